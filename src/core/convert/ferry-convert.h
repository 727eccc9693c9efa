/* ferry-convert.h: files that are not DICOM made into new DICOM objects
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One batch of dropped files is one study: the caller makes the study UID once (and one series
 * UID per kind of file) and numbers the instances in drop order. Each conversion runs in a
 * worker thread and writes one Part 10 file durably (temporary name, fsync, rename) into an
 * output folder; nothing is archived here.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_CONVERT_ERROR (ferry_convert_error_quark ())

typedef enum {
  FERRY_CONVERT_ERROR_INVALID,       /* a patient or study field is not valid */
  FERRY_CONVERT_ERROR_UNSUPPORTED,   /* a kind of file Ferry cannot convert (yet) */
  FERRY_CONVERT_ERROR_CORRUPT,       /* not what it claims to be, truncated or malformed */
  FERRY_CONVERT_ERROR_TOO_LARGE,     /* beyond the budgets (size, pixels) */
} FerryConvertError;

GQuark ferry_convert_error_quark (void);

/* What the caller says about the patient and the study. Borrowed, UTF-8; NULL or "" = empty. */
typedef struct {
  const char *patient_id;
  const char *patient_name;          /* Family^Given */
  const char *patient_birth_date;    /* YYYYMMDD */
  const char *patient_sex;           /* M, F or O */
  const char *accession_number;
  const char *study_description;
  const char *referring_physician;   /* Family^Given */
  const char *study_date;            /* YYYYMMDD; NULL: today */
  const char *study_time;            /* HHMMSS; NULL: now */
  const char *institution_name;
  const char *station_name;
  const char *study_instance_uid;    /* required: one batch = one study */
  const char *series_instance_uid;   /* required: one series per kind of file */
  guint       series_number;         /* 0: 1 */
  guint       instance_number;       /* 0: 1 */
  const char *document_title;        /* PDF; NULL: the file name without its extension */
} FerryConvertRequest;

/* Checks the patient and study fields of @request, naming the first one that is wrong in
 * words the user knows (FERRY_CONVERT_ERROR_INVALID). */
gboolean ferry_convert_request_validate (const FerryConvertRequest  *request,
                                         GError                    **error);

typedef struct {
  char       *output_path;           /* the file written */
  char       *sop_class_uid;
  char       *sop_instance_uid;
  char       *transfer_syntax_uid;
  const char *path_taken;            /* "encapsulated", later "passthrough", "transcode", … */
} FerryConvertResult;

void ferry_convert_result_free (FerryConvertResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryConvertResult, ferry_convert_result_free)

/* The kind of file at @path by its content ("PDF", "JPEG", "PNG", …, "DICOM"), or NULL when
 * it cannot be read or is of no known kind. Reads a few bytes; blocking. */
const char *ferry_convert_sniff (const char *path);

/**
 * ferry_convert_pdf_async:
 * @path: the PDF
 * @request: patient, study and series; copied
 * @out_dir: where the DICOM file goes (named after the PDF: "report.pdf" → "report.dcm",
 *   "report-2.dcm" if that name is taken)
 *
 * Writes an Encapsulated PDF object in a worker thread. The PDF is checked to be one before
 * anything is written; cancellation is honoured until the file is written.
 */
void                ferry_convert_pdf_async   (const char                 *path,
                                               const FerryConvertRequest  *request,
                                               const char                 *out_dir,
                                               GCancellable               *cancellable,
                                               GAsyncReadyCallback         callback,
                                               gpointer                    user_data);
FerryConvertResult *ferry_convert_pdf_finish  (GAsyncResult               *result,
                                               GError                    **error);

/**
 * ferry_convert_jpeg_async:
 * @path: the JPEG
 * @request: patient, study and series; copied
 * @out_dir: where the DICOM file goes, named as for PDFs
 *
 * Writes a VL Photographic Image object in the JPEG Baseline transfer syntax in a worker thread,
 * the JPEG's bytes passed through unchanged up to its primary image's EOI (path "passthrough").
 * Refused before anything is written: not a JPEG, truncated, beyond the budgets
 * (FERRY_JPEG_MAX_*), or one that would need re-encoding (progressive, arithmetic-coded, 12-bit,
 * CMYK) or rotating (EXIF orientation other than 1), which this version does not do.
 */
void                ferry_convert_jpeg_async  (const char                 *path,
                                               const FerryConvertRequest  *request,
                                               const char                 *out_dir,
                                               GCancellable               *cancellable,
                                               GAsyncReadyCallback         callback,
                                               gpointer                    user_data);
FerryConvertResult *ferry_convert_jpeg_finish (GAsyncResult               *result,
                                               GError                    **error);

G_END_DECLS
