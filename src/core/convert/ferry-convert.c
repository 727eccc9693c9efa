/* ferry-convert.c: files that are not DICOM made into new DICOM objects
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * PDF → Encapsulated PDF, and baseline JPEG → VL Photographic Image with the JPEG bytes passed
 * through (the DICOM layer writes both; the JPEG's markers are read here, in ferry-jpeg.c). The fields are
 * checked here, where the messages can name them as the user typed them.
 */

#define G_LOG_DOMAIN "ferry-convert"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ferry-convert.h"
#include "ferry-dicom-create.h"
#include "ferry-jpeg.h"

G_DEFINE_QUARK (ferry-convert-error-quark, ferry_convert_error)

/* ------------------------------------------------------------------------------------------ */
/* The request                                                                                */

typedef struct {
  char *patient_id, *patient_name, *patient_birth_date, *patient_sex;
  char *accession_number, *study_description, *referring_physician;
  char *study_date, *study_time, *institution_name, *station_name;
  char *study_instance_uid, *series_instance_uid, *document_title;
  guint series_number, instance_number;
} Request;

static void
request_free (Request *r)
{
  g_free (r->patient_id);
  g_free (r->patient_name);
  g_free (r->patient_birth_date);
  g_free (r->patient_sex);
  g_free (r->accession_number);
  g_free (r->study_description);
  g_free (r->referring_physician);
  g_free (r->study_date);
  g_free (r->study_time);
  g_free (r->institution_name);
  g_free (r->station_name);
  g_free (r->study_instance_uid);
  g_free (r->series_instance_uid);
  g_free (r->document_title);
  g_free (r);
}

static Request *
request_copy (const FerryConvertRequest *q)
{
  Request *r = g_new0 (Request, 1);

  r->patient_id = g_strdup (q->patient_id);
  r->patient_name = g_strdup (q->patient_name);
  r->patient_birth_date = g_strdup (q->patient_birth_date);
  r->patient_sex = g_strdup (q->patient_sex);
  r->accession_number = g_strdup (q->accession_number);
  r->study_description = g_strdup (q->study_description);
  r->referring_physician = g_strdup (q->referring_physician);
  r->study_date = g_strdup (q->study_date);
  r->study_time = g_strdup (q->study_time);
  r->institution_name = g_strdup (q->institution_name);
  r->station_name = g_strdup (q->station_name);
  r->study_instance_uid = g_strdup (q->study_instance_uid);
  r->series_instance_uid = g_strdup (q->series_instance_uid);
  r->document_title = g_strdup (q->document_title);
  r->series_number = q->series_number;
  r->instance_number = q->instance_number;
  return r;
}

static gboolean
is_empty (const char *value)
{
  return value == NULL || value[0] == '\0';
}

/* A DICOM text value of at most @max_chars characters, without a backslash (the value
 * separator) or control characters. */
static gboolean
check_text (const char  *value,
            const char  *field,
            guint        max_chars,
            GError     **error)
{
  if (is_empty (value))
    return TRUE;
  if (!g_utf8_validate (value, -1, NULL))
    {
      g_set_error (error, FERRY_CONVERT_ERROR, FERRY_CONVERT_ERROR_INVALID,
                   _("%s is not valid UTF-8"), field);
      return FALSE;
    }
  if (g_utf8_strlen (value, -1) > max_chars)
    {
      g_set_error (error, FERRY_CONVERT_ERROR, FERRY_CONVERT_ERROR_INVALID,
                   _("%s is longer than %u characters"), field, max_chars);
      return FALSE;
    }
  for (const char *p = value; *p != '\0'; p++)
    if (*p == '\\' || (guchar) *p < 0x20 || *p == 0x7f)
      {
        g_set_error (error, FERRY_CONVERT_ERROR, FERRY_CONVERT_ERROR_INVALID,
                     _("%s may not contain a backslash or control characters"), field);
        return FALSE;
      }
  return TRUE;
}

/* A person name: Family^Given[^Middle^Prefix^Suffix], one alphabetic group of at most 64
 * characters. */
static gboolean
check_person_name (const char  *value,
                   const char  *field,
                   GError     **error)
{
  g_auto(GStrv) parts = NULL;

  if (!check_text (value, field, 64, error))
    return FALSE;
  if (is_empty (value))
    return TRUE;
  if (strchr (value, '=') != NULL || g_strv_length (parts = g_strsplit (value, "^", -1)) > 5)
    {
      g_set_error (error, FERRY_CONVERT_ERROR, FERRY_CONVERT_ERROR_INVALID,
                   _("%s must be written Family^Given"), field);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_date (const char  *value,
            const char  *field,
            GError     **error)
{
  guint64 year, month, day;
  char buf[5];

  if (is_empty (value))
    return TRUE;
  if (strlen (value) != 8 || strspn (value, "0123456789") != 8)
    goto bad;
  memcpy (buf, value, 4), buf[4] = '\0';
  year = g_ascii_strtoull (buf, NULL, 10);
  memcpy (buf, value + 4, 2), buf[2] = '\0';
  month = g_ascii_strtoull (buf, NULL, 10);
  memcpy (buf, value + 6, 2), buf[2] = '\0';
  day = g_ascii_strtoull (buf, NULL, 10);
  if (year >= 1 && g_date_valid_dmy ((GDateDay) day, (GDateMonth) month, (GDateYear) year))
    return TRUE;

bad:
  g_set_error (error, FERRY_CONVERT_ERROR, FERRY_CONVERT_ERROR_INVALID,
               _("%s must be a date written YYYYMMDD, not “%s”"), field, value);
  return FALSE;
}

static gboolean
check_time (const char  *value,
            const char  *field,
            GError     **error)
{
  if (is_empty (value))
    return TRUE;
  if (strlen (value) == 6 && strspn (value, "0123456789") == 6 &&
      (value[0] - '0') * 10 + (value[1] - '0') < 24 &&
      (value[2] - '0') * 10 + (value[3] - '0') < 60 &&
      (value[4] - '0') * 10 + (value[5] - '0') < 60)
    return TRUE;

  g_set_error (error, FERRY_CONVERT_ERROR, FERRY_CONVERT_ERROR_INVALID,
               _("%s must be a time written HHMMSS, not “%s”"), field, value);
  return FALSE;
}

static gboolean
check_uid (const char  *value,
           const char  *field,
           GError     **error)
{
  gboolean ok = !is_empty (value) && strlen (value) <= 64 &&
                strspn (value, "0123456789.") == strlen (value);

  if (!ok)
    g_set_error (error, FERRY_CONVERT_ERROR, FERRY_CONVERT_ERROR_INVALID,
                 _("%s is not a valid UID"), field);
  return ok;
}

gboolean
ferry_convert_request_validate (const FerryConvertRequest  *r,
                                GError                    **error)
{
  g_return_val_if_fail (r != NULL, FALSE);

  if (!check_text (r->patient_id, _("Patient ID"), 64, error) ||
      !check_person_name (r->patient_name, _("Patient name"), error) ||
      !check_date (r->patient_birth_date, _("Birth date"), error) ||
      !check_text (r->accession_number, _("Accession number"), 16, error) ||
      !check_text (r->study_description, _("Study description"), 64, error) ||
      !check_person_name (r->referring_physician, _("Referring physician"), error) ||
      !check_date (r->study_date, _("Study date"), error) ||
      !check_time (r->study_time, _("Study time"), error) ||
      !check_text (r->institution_name, _("Institution name"), 64, error) ||
      !check_text (r->station_name, _("Station name"), 16, error) ||
      !check_text (r->document_title, _("Document title"), 64, error) ||
      !check_uid (r->study_instance_uid, "Study Instance UID", error) ||
      !check_uid (r->series_instance_uid, "Series Instance UID", error))
    return FALSE;

  if (!is_empty (r->patient_sex) && !g_str_equal (r->patient_sex, "M") &&
      !g_str_equal (r->patient_sex, "F") && !g_str_equal (r->patient_sex, "O"))
    {
      g_set_error (error, FERRY_CONVERT_ERROR, FERRY_CONVERT_ERROR_INVALID,
                   _("Sex must be M, F or O, not “%s”"), r->patient_sex);
      return FALSE;
    }
  return TRUE;
}

void
ferry_convert_result_free (FerryConvertResult *result)
{
  if (result == NULL)
    return;
  g_free (result->output_path);
  g_free (result->sop_class_uid);
  g_free (result->sop_instance_uid);
  g_free (result->transfer_syntax_uid);
  g_free (result);
}

/* ------------------------------------------------------------------------------------------ */
/* What kind of file                                                                          */

static const char *
kind_from_content (const guint8 *b,
                   gsize         n)
{
  if (n >= 132 && memcmp (b + 128, "DICM", 4) == 0)
    return "DICOM";
  if (n >= 5 && memcmp (b, "%PDF-", 5) == 0)
    return "PDF";
  if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
    return "JPEG";
  if (n >= 8 && memcmp (b, "\x89PNG\r\n\x1a\n", 8) == 0)
    return "PNG";
  if (n >= 6 && (memcmp (b, "GIF87a", 6) == 0 || memcmp (b, "GIF89a", 6) == 0))
    return "GIF";
  if (n >= 2 && memcmp (b, "BM", 2) == 0)
    return "BMP";
  if (n >= 4 && (memcmp (b, "II*\0", 4) == 0 || memcmp (b, "MM\0*", 4) == 0))
    return "TIFF";
  if (n >= 12 && memcmp (b, "RIFF", 4) == 0 && memcmp (b + 8, "WEBP", 4) == 0)
    return "WebP";
  if (n >= 12 && memcmp (b, "RIFF", 4) == 0 && memcmp (b + 8, "AVI ", 4) == 0)
    return "AVI";
  if (n >= 12 && memcmp (b + 4, "ftyp", 4) == 0)
    return memcmp (b + 8, "qt  ", 4) == 0 ? "QuickTime" : "MP4";
  if (n >= 4 && memcmp (b, "\x1a\x45\xdf\xa3", 4) == 0)
    return "Matroska";
  if (n >= 4 && memcmp (b, "\0\0\1\xba", 4) == 0)
    return "MPEG";
  if (n >= 189 && b[0] == 0x47 && b[188] == 0x47)
    return "MPEG-TS";
  return NULL;
}

static const char *
kind_from_extension (const char *path)
{
  static const struct { const char *ext; const char *kind; } table[] = {
    { ".pdf", "PDF" }, { ".jpg", "JPEG" }, { ".jpeg", "JPEG" }, { ".png", "PNG" },
    { ".gif", "GIF" }, { ".bmp", "BMP" }, { ".tif", "TIFF" }, { ".tiff", "TIFF" },
    { ".webp", "WebP" }, { ".mp4", "MP4" }, { ".mov", "QuickTime" }, { ".avi", "AVI" },
    { ".mkv", "Matroska" }, { ".mpg", "MPEG" }, { ".mpeg", "MPEG" }, { ".ts", "MPEG-TS" },
    { ".dcm", "DICOM" },
  };
  g_autofree char *base = g_path_get_basename (path);
  const char *dot = strrchr (base, '.');

  if (dot == NULL)
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if (g_ascii_strcasecmp (dot, table[i].ext) == 0)
      return table[i].kind;
  return NULL;
}

const char *
ferry_convert_sniff (const char *path)
{
  guint8 head[192];
  ssize_t n = -1;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);

  /* Unreadable or empty: the extension says which converter reports why. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd >= 0)
    {
      do
        n = read (fd, head, sizeof head);
      while (n < 0 && errno == EINTR);
      close (fd);
    }
  if (n > 0)
    {
      const char *kind = kind_from_content (head, (gsize) n);

      if (kind != NULL)
        return kind;
    }
  return kind_from_extension (path);
}

/* ------------------------------------------------------------------------------------------ */
/* PDF                                                                                        */

typedef struct {
  char    *path;
  char    *out_dir;
  Request *request;
} ConvertJob;

static void
convert_job_free (ConvertJob *job)
{
  g_free (job->path);
  g_free (job->out_dir);
  request_free (job->request);
  g_free (job);
}

/* Validates @request and runs @worker on a copy of the job in a thread. */
static void
start_job (const char                 *path,
           const FerryConvertRequest  *request,
           const char                 *out_dir,
           GCancellable               *cancellable,
           GAsyncReadyCallback         callback,
           gpointer                    user_data,
           gpointer                    source_tag,
           GTaskThreadFunc             worker)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  ConvertJob *job;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  if (!ferry_convert_request_validate (request, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  job = g_new0 (ConvertJob, 1);
  job->path = g_strdup (path);
  job->out_dir = g_strdup (out_dir);
  job->request = request_copy (request);
  g_task_set_task_data (task, job, (GDestroyNotify) convert_job_free);
  g_task_run_in_thread (task, worker);
}

/* What a worker returns once its file is written. */
static void
return_result (GTask      *task,
               char       *output_path,
               const char *sop_class_uid,
               char       *sop_instance_uid,
               const char *transfer_syntax_uid,
               const char *path_taken)
{
  FerryConvertResult *result = g_new0 (FerryConvertResult, 1);

  result->output_path = output_path;
  result->sop_class_uid = g_strdup (sop_class_uid);
  result->sop_instance_uid = sop_instance_uid;
  result->transfer_syntax_uid = g_strdup (transfer_syntax_uid);
  result->path_taken = path_taken;
  g_task_return_pointer (task, result, (GDestroyNotify) ferry_convert_result_free);
}


/* The file name without its directory and its last extension, in UTF-8. */
static char *
file_stem (const char *path)
{
  g_autofree char *base = g_filename_display_basename (path);
  char *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  return g_steal_pointer (&base);
}

/* "<stem>.dcm" in @dir, or "<stem>-N.dcm" when that is taken. The name is made from the
 * on-disk (not the display) name, so that odd bytes survive. */
static char *
free_output_path (const char *dir,
                  const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  char *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  if (base[0] == '.' || base[0] == '\0')
    {
      g_autofree char *tmp = g_strconcat ("document", base, NULL);
      g_free (base);
      base = g_steal_pointer (&tmp);
    }

  for (guint n = 1; ; n++)
    {
      g_autofree char *name = n == 1 ? g_strdup_printf ("%s.dcm", base)
                                     : g_strdup_printf ("%s-%u.dcm", base, n);
      char *candidate = g_build_filename (dir, name, NULL);

      if (!g_file_test (candidate, G_FILE_TEST_EXISTS))
        return candidate;
      g_free (candidate);
    }
}

static void
pdf_worker (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  ConvertJob *job = task_data;
  Request *r = job->request;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *today = g_date_time_format (now, "%Y%m%d");
  g_autofree char *now_time = g_date_time_format (now, "%H%M%S");
  g_autofree char *sop_instance_uid = ferry_dicom_new_uid ();
  g_autofree char *series_number = g_strdup_printf ("%u", MAX (r->series_number, 1));
  g_autofree char *instance_number = g_strdup_printf ("%u", MAX (r->instance_number, 1));
  g_autofree char *title = r->document_title != NULL ? g_strdup (r->document_title)
                                                     : file_stem (job->path);
  g_autofree char *out_path = NULL;
  GError *error = NULL;
  FerryDicomNewObject object = {
    .patient_id = r->patient_id,
    .patient_name = r->patient_name,
    .patient_birth_date = r->patient_birth_date,
    .patient_sex = r->patient_sex,
    .study_instance_uid = r->study_instance_uid,
    .study_date = r->study_date != NULL ? r->study_date : today,
    .study_time = r->study_time != NULL ? r->study_time : now_time,
    .accession_number = r->accession_number,
    .study_description = r->study_description,
    .referring_physician = r->referring_physician,
    .series_instance_uid = r->series_instance_uid,
    .series_number = series_number,
    .modality = "DOC",
    .sop_instance_uid = sop_instance_uid,
    .instance_number = instance_number,
    .content_date = today,
    .content_time = now_time,
    .institution_name = r->institution_name,
    .station_name = r->station_name,
  };

  /* A title made from a long file name is cut to what Document Title (LO) holds. */
  if (g_utf8_strlen (title, -1) > 64)
    *g_utf8_offset_to_pointer (title, 64) = '\0';

  if (g_task_return_error_if_cancelled (task))
    return;

  out_path = free_output_path (job->out_dir, job->path);
  if (!ferry_dicom_write_encapsulated_pdf (&object, title, job->path, out_path, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  return_result (task, g_steal_pointer (&out_path), FERRY_DICOM_SOP_CLASS_ENCAPSULATED_PDF,
                 g_steal_pointer (&sop_instance_uid), FERRY_DICOM_EXPLICIT_VR_LITTLE_ENDIAN, "encapsulated");
}

void
ferry_convert_pdf_async (const char                 *path,
                         const FerryConvertRequest  *request,
                         const char                 *out_dir,
                         GCancellable               *cancellable,
                         GAsyncReadyCallback         callback,
                         gpointer                    user_data)
{
  g_return_if_fail (path != NULL && request != NULL && out_dir != NULL);

  start_job (path, request, out_dir, cancellable, callback, user_data,
             ferry_convert_pdf_async, pdf_worker);
}

FerryConvertResult *
ferry_convert_pdf_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ferry_convert_pdf_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}


/* ------------------------------------------------------------------------------------------ */
/* JPEG                                                                                       */

static void
set_read_error (GError    **error,
                const char *name,
                int         saved_errno)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
               _("Cannot read “%s”: %s"), name, g_strerror (saved_errno));
}

/* The whole file, within the budget. */
static gboolean
read_jpeg_file (const char  *path,
                const char  *name,
                char       **data_out,
                gsize       *length_out,
                GError     **error)
{
  g_autofree char *data = NULL;
  struct stat st;
  gsize size, done = 0;
  int fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      set_read_error (error, name, errno);
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      int saved = S_ISDIR (st.st_mode) ? EISDIR : errno != 0 ? errno : EINVAL;

      close (fd);
      set_read_error (error, name, saved);
      return FALSE;
    }
  if ((guint64) st.st_size > FERRY_JPEG_MAX_FILE_SIZE)
    {
      g_autofree char *have = g_format_size ((guint64) st.st_size);

      close (fd);
      g_set_error (error, FERRY_CONVERT_ERROR, FERRY_CONVERT_ERROR_TOO_LARGE,
                   _("“%s” is too large for a photograph (%s; at most 1 GiB)"), name, have);
      return FALSE;
    }

  size = (gsize) st.st_size;
  data = g_malloc (MAX (size, 1));
  errno = 0;
  while (done < size)
    {
      ssize_t n = read (fd, data + done, size - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;   /* shrank under us: the parser says it is truncated */
      done += (gsize) n;
    }
  if (done < size && errno != 0 && errno != EINTR)
    {
      int saved = errno;

      close (fd);
      set_read_error (error, name, saved);
      return FALSE;
    }
  close (fd);

  *data_out = g_steal_pointer (&data);
  *length_out = done;
  return TRUE;
}

static void
jpeg_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ConvertJob *job = task_data;
  Request *r = job->request;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *today = g_date_time_format (now, "%Y%m%d");
  g_autofree char *now_time = g_date_time_format (now, "%H%M%S");
  g_autofree char *sop_instance_uid = ferry_dicom_new_uid ();
  g_autofree char *series_number = g_strdup_printf ("%u", MAX (r->series_number, 1));
  g_autofree char *instance_number = g_strdup_printf ("%u", MAX (r->instance_number, 1));
  g_autofree char *name = g_filename_display_name (job->path);
  g_autofree char *data = NULL;
  g_autofree char *out_path = NULL;
  FerryJpegHeader header;
  FerryDicomJpegInfo info = { 0 };
  GError *error = NULL;
  gsize length = 0;
  FerryDicomNewObject object = {
    .patient_id = r->patient_id,
    .patient_name = r->patient_name,
    .patient_birth_date = r->patient_birth_date,
    .patient_sex = r->patient_sex,
    .study_instance_uid = r->study_instance_uid,
    .study_date = r->study_date != NULL ? r->study_date : today,
    .study_time = r->study_time != NULL ? r->study_time : now_time,
    .accession_number = r->accession_number,
    .study_description = r->study_description,
    .referring_physician = r->referring_physician,
    .series_instance_uid = r->series_instance_uid,
    .series_number = series_number,
    .modality = "XC",
    .sop_instance_uid = sop_instance_uid,
    .instance_number = instance_number,
    .content_date = today,
    .content_time = now_time,
    .institution_name = r->institution_name,
    .station_name = r->station_name,
  };

  if (g_task_return_error_if_cancelled (task))
    return;

  if (!read_jpeg_file (job->path, name, &data, &length, &error) ||
      !ferry_jpeg_parse ((const guint8 *) data, length, name, &header, &error) ||
      !ferry_jpeg_can_pass_through (&header, name, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  info.rows = header.rows;
  info.columns = header.columns;
  info.samples_per_pixel = header.components;
  info.photometric = header.colour == FERRY_JPEG_COLOUR_GREY ? "MONOCHROME2"
                   : header.colour == FERRY_JPEG_COLOUR_RGB ? "RGB"
                   : "YBR_FULL_422";

  if (g_task_return_error_if_cancelled (task))
    return;

  /* Only the primary image: what follows its EOI (MPF, gain maps) is left out. */
  out_path = free_output_path (job->out_dir, job->path);
  if (!ferry_dicom_write_jpeg_photo (&object, (const guint8 *) data, header.primary_length,
                                     &info, out_path, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  return_result (task, g_steal_pointer (&out_path), FERRY_DICOM_SOP_CLASS_VL_PHOTOGRAPHIC,
                 g_steal_pointer (&sop_instance_uid), FERRY_DICOM_JPEG_BASELINE, "passthrough");
}

void
ferry_convert_jpeg_async (const char                 *path,
                          const FerryConvertRequest  *request,
                          const char                 *out_dir,
                          GCancellable               *cancellable,
                          GAsyncReadyCallback         callback,
                          gpointer                    user_data)
{
  g_return_if_fail (path != NULL && request != NULL && out_dir != NULL);

  start_job (path, request, out_dir, cancellable, callback, user_data,
             ferry_convert_jpeg_async, jpeg_worker);
}

FerryConvertResult *
ferry_convert_jpeg_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ferry_convert_jpeg_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
