/* ferry-jpeg.h: what a JPEG file is, read from its markers without decoding it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Pure C and bounded: every read is checked against the buffer. The walk starts at SOI, reads
 * the frame header (SOFn), the JFIF APP0, the Adobe APP14 transform and the EXIF orientation,
 * follows the entropy-coded data of every scan (stuffed 0xFF00 and RSTn skipped) and stops at
 * the primary image's EOI: whatever a phone appends after it (MPF, gain maps) is not part of
 * the image.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Budgets: a frame header beyond these is refused before anything is decoded or written. */
#define FERRY_JPEG_MAX_DIMENSION  32767
#define FERRY_JPEG_MAX_PIXELS     G_GUINT64_CONSTANT (100000000)
#define FERRY_JPEG_MAX_FILE_SIZE  G_GUINT64_CONSTANT (1073741824)   /* 1 GiB */

typedef enum {
  FERRY_JPEG_COLOUR_GREY,
  FERRY_JPEG_COLOUR_YCBCR,
  FERRY_JPEG_COLOUR_RGB,
  FERRY_JPEG_COLOUR_CMYK,      /* four components, Adobe transform 0 or none */
  FERRY_JPEG_COLOUR_YCCK,      /* four components, Adobe transform 2 */
  FERRY_JPEG_COLOUR_OTHER,     /* two components, or more than four */
} FerryJpegColour;

typedef struct {
  guint           sof;               /* n of SOFn: 0 baseline, 1 extended, 2 progressive, … */
  guint           precision;         /* bits per sample */
  guint           rows;
  guint           columns;
  guint           components;
  gboolean        jfif;              /* a JFIF APP0 segment */
  int             adobe_transform;   /* the APP14 "Adobe" transform, or -1 when absent */
  guint           orientation;       /* the EXIF orientation (1–8), or 0 when absent */
  FerryJpegColour colour;
  gsize           primary_length;    /* bytes from SOI through the primary image's EOI */
} FerryJpegHeader;

/**
 * ferry_jpeg_parse:
 * @data: the file's bytes
 * @length: how many
 * @display_name: the file's name as the user knows it, for the messages
 * @header: (out): what the markers say
 * @error: FERRY_CONVERT_ERROR_CORRUPT (not a JPEG, truncated, malformed) or
 *   FERRY_CONVERT_ERROR_TOO_LARGE (dimensions beyond the budgets)
 */
gboolean ferry_jpeg_parse             (const guint8     *data,
                                       gsize             length,
                                       const char       *display_name,
                                       FerryJpegHeader  *header,
                                       GError          **error);

/* TRUE when the bytes can go into DICOM unchanged in this version: baseline (SOF0) 8-bit,
 * one component (grey) or three (YCbCr, or RGB by the Adobe transform), upright (no EXIF
 * orientation other than 1). Otherwise FERRY_CONVERT_ERROR_UNSUPPORTED says why. */
gboolean ferry_jpeg_can_pass_through  (const FerryJpegHeader  *header,
                                       const char             *display_name,
                                       GError                **error);

G_END_DECLS
