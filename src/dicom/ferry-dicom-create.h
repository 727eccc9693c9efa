/* ferry-dicom-create.h: creating new DICOM objects from files that are not DICOM
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A plain C API. Every text is UTF-8 and is written as such (Specific Character Set
 * ISO_IR 192); the caller validates formats (dates, sex, person names) in words the user knows,
 * this layer only refuses what would make an invalid file. Blocking: call from worker threads,
 * after ferry_dicom_init().
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The attributes every created object shares. All borrowed, nullable (NULL or "" = empty,
 * for Type 2 attributes) except the three UIDs, which are required. */
typedef struct {
  /* Patient */
  const char *patient_id;
  const char *patient_name;          /* Family^Given */
  const char *patient_birth_date;    /* YYYYMMDD */
  const char *patient_sex;           /* M, F or O */
  /* General Study */
  const char *study_instance_uid;
  const char *study_date;            /* YYYYMMDD */
  const char *study_time;            /* HHMMSS */
  const char *accession_number;
  const char *study_description;
  const char *referring_physician;   /* Family^Given */
  /* Series */
  const char *series_instance_uid;
  const char *series_number;         /* an integer string; NULL: "1" */
  const char *modality;              /* NULL: the IOD's usual one ("DOC" for documents) */
  /* Instance */
  const char *sop_instance_uid;
  const char *instance_number;       /* an integer string; NULL: "1" */
  const char *content_date;          /* YYYYMMDD */
  const char *content_time;          /* HHMMSS */
  /* General Equipment */
  const char *institution_name;
  const char *station_name;
} FerryDicomNewObject;

/* The largest PDF Ferry encapsulates: an even value length of at most 2³¹ − 2 bytes keeps
 * every reader's signed 32-bit arithmetic safe. */
#define FERRY_DICOM_MAX_PDF_SIZE G_GUINT64_CONSTANT (2147483646)

/* A new UID: "2.25." followed by a random (version 4) UUID written as one decimal number
 * (PS3.5 B.2). At most 44 characters. Free with g_free(). */
char      *ferry_dicom_new_uid                 (void);

/**
 * ferry_dicom_write_encapsulated_pdf:
 * @object: the common attributes
 * @document_title: (nullable): Document Title (0042,0010)
 * @pdf_path: the PDF to encapsulate
 * @out_path: where the Part 10 file goes; replaced if it exists
 * @error: return location for a #GError
 *
 * Checks that @pdf_path is a PDF ("%PDF-1." or "%PDF-2." at the start, "%%EOF" in its last
 * 1024 bytes, at most FERRY_DICOM_MAX_PDF_SIZE bytes) before anything is written, then writes
 * an Encapsulated PDF Storage object in Explicit VR Little Endian to a temporary file beside
 * @out_path, fsyncs it and renames it to @out_path. An odd-length PDF is padded with one NUL
 * (PS3.3 C.24.2.1); Encapsulated Document Length holds the PDF's own length.
 *
 * Returns: %TRUE on success; on failure nothing is left at @out_path's temporary name
 */
gboolean   ferry_dicom_write_encapsulated_pdf  (const FerryDicomNewObject  *object,
                                                const char                 *document_title,
                                                const char                 *pdf_path,
                                                const char                 *out_path,
                                                GError                    **error);

/* What the JPEG writer needs to know about the image, read from its frame header by the
 * caller (the DICOM layer does not parse JPEG). */
typedef struct {
  guint       rows;
  guint       columns;
  guint       samples_per_pixel;     /* 1 or 3 */
  const char *photometric;           /* "MONOCHROME2", "YBR_FULL_422" or "RGB" */
} FerryDicomJpegInfo;

/* The largest JPEG Ferry puts into one fragment, pad included: 2³¹ − 2 bytes, as for PDFs. */
#define FERRY_DICOM_MAX_JPEG_SIZE G_GUINT64_CONSTANT (2147483646)

/**
 * ferry_dicom_write_jpeg_photo:
 * @object: the common attributes (Modality NULL: "XC")
 * @jpeg: a baseline 8-bit JPEG image, SOI through EOI, already checked by the caller
 * @length: its length
 * @info: what its frame header says
 * @out_path: where the Part 10 file goes; replaced if it exists
 * @error: return location for a #GError
 *
 * Writes a VL Photographic Image Storage object in the JPEG Baseline transfer syntax: the
 * encapsulated Pixel Data holds an empty Basic Offset Table and one fragment with @jpeg
 * unchanged, followed by one 0x00 after EOI when its length is odd (PS3.5 A.4 allows padding
 * after the EOI marker). Temporary file beside @out_path, fsync, rename, as for PDFs.
 */
gboolean   ferry_dicom_write_jpeg_photo        (const FerryDicomNewObject  *object,
                                                const guint8               *jpeg,
                                                gsize                       length,
                                                const FerryDicomJpegInfo   *info,
                                                const char                 *out_path,
                                                GError                    **error);

/* What the writers put in the file, for callers that report it. */
#define FERRY_DICOM_SOP_CLASS_ENCAPSULATED_PDF  "1.2.840.10008.5.1.4.1.1.104.1"
#define FERRY_DICOM_SOP_CLASS_VL_PHOTOGRAPHIC   "1.2.840.10008.5.1.4.1.1.77.1.4"
#define FERRY_DICOM_EXPLICIT_VR_LITTLE_ENDIAN   "1.2.840.10008.1.2.1"
#define FERRY_DICOM_JPEG_BASELINE               "1.2.840.10008.1.2.4.50"

G_END_DECLS
