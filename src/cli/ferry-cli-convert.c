/* ferry-cli-convert.c: ferry-cli convert
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Writes DICOM files made from files that are not DICOM into a folder, without archiving them.
 * The files given are one batch: one study, one series per kind, instance numbers in the order
 * of the arguments. A file that fails is reported and the others are still written.
 * PDFs become Encapsulated PDF objects; JPEG photographs (told by their first bytes) become
 * VL Photographic Image objects with the JPEG passed through.
 */

#define G_LOG_DOMAIN "ferry-cli"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <glib-unix.h>

#include "ferry-cli-common.h"
#include "ferry-cli-convert.h"
#include "ferry-convert.h"
#include "ferry-dicom.h"
#include "ferry-dicom-create.h"

typedef struct {
  GMainLoop          *loop;
  gboolean            jpeg;
  FerryConvertResult *result;
  GError             *error;
} Wait;

static void
converted_cb (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = wait->jpeg ? ferry_convert_jpeg_finish (res, &wait->error)
                            : ferry_convert_pdf_finish (res, &wait->error);
  g_main_loop_quit (wait->loop);
}

static gboolean
interrupt_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_CONTINUE;
}

static const char *
describe_sop_class (const char *uid)
{
  if (g_str_equal (uid, FERRY_DICOM_SOP_CLASS_ENCAPSULATED_PDF))
    return "Encapsulated PDF";
  if (g_str_equal (uid, FERRY_DICOM_SOP_CLASS_VL_PHOTOGRAPHIC))
    return "VL Photographic Image";
  return uid;
}

static const char *
describe_transfer_syntax (const char *uid)
{
  if (g_str_equal (uid, FERRY_DICOM_EXPLICIT_VR_LITTLE_ENDIAN))
    return "Explicit VR Little Endian";
  if (g_str_equal (uid, FERRY_DICOM_JPEG_BASELINE))
    return "JPEG Baseline";
  return uid;
}

/* "ferry-cli: MESSAGE", with the file named when the message does not name it already. */
static void
report_failure (const char *path,
                const char *message)
{
  g_autofree char *name = g_filename_display_name (path);

  if (strstr (message, name) != NULL)
    g_printerr ("ferry-cli: %s\n", message);
  else
    g_printerr ("ferry-cli: %s: %s\n", name, message);
}

int
ferry_cli_convert (int    argc,
                   char **argv)
{
  g_autofree char *out_dir = NULL;
  g_autofree char *patient_id = NULL;
  g_autofree char *patient_name = NULL;
  g_autofree char *birth_date = NULL;
  g_autofree char *sex = NULL;
  g_autofree char *accession = NULL;
  g_autofree char *description = NULL;
  g_autofree char *physician = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir,
      N_("Write the DICOM files into DIR (required; created if needed)"), N_("DIR") },
    { "patient-id", 0, 0, G_OPTION_ARG_STRING, &patient_id, N_("Patient ID"), N_("ID") },
    { "patient-name", 0, 0, G_OPTION_ARG_STRING, &patient_name,
      N_("Patient name, written Family^Given"), N_("NAME") },
    { "birth-date", 0, 0, G_OPTION_ARG_STRING, &birth_date,
      N_("Patient’s birth date, written YYYYMMDD"), N_("DATE") },
    { "sex", 0, 0, G_OPTION_ARG_STRING, &sex, N_("Patient’s sex: M, F or O"), N_("SEX") },
    { "accession", 0, 0, G_OPTION_ARG_STRING, &accession, N_("Accession number"), N_("NUMBER") },
    { "study-description", 0, 0, G_OPTION_ARG_STRING, &description, N_("Study description"),
      N_("TEXT") },
    { "referring-physician", 0, 0, G_OPTION_ARG_STRING, &physician,
      N_("Referring physician, written Family^Given"), N_("NAME") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("FILE…"));
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *study_uid = NULL;
  g_autofree char *pdf_series_uid = NULL;
  g_autofree char *jpeg_series_uid = NULL;
  guint pdf_series_number = 0, jpeg_series_number = 0, series_count = 0;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *study_date = g_date_time_format (now, "%Y%m%d");
  g_autofree char *study_time = g_date_time_format (now, "%H%M%S");
  FerryConvertRequest request = { 0 };
  guint written = 0, failed = 0, pdfs = 0, jpegs = 0;
  guint sigint_id, sigterm_id;
  int ret;

  g_option_context_set_summary (context,
                                _("Make DICOM files from PDF documents and JPEG photographs "
                                  "(other images and videos will follow) without archiving "
                                  "them. The files given are one study, with one series per "
                                  "kind of file; the output is named after each file."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((ret = ferry_cli_parse_options (context, &argc, &argv)) >= 0)
    return ret;
  if (argc < 2)
    return ferry_cli_usage_error (context, _("convert needs at least one file"));
  if (out_dir == NULL)
    return ferry_cli_usage_error (context, _("convert needs -o DIR"));

  study_uid = ferry_dicom_new_uid ();
  pdf_series_uid = ferry_dicom_new_uid ();
  jpeg_series_uid = ferry_dicom_new_uid ();
  request = (FerryConvertRequest) {
    .patient_id = patient_id,
    .patient_name = patient_name,
    .patient_birth_date = birth_date,
    .patient_sex = sex,
    .accession_number = accession,
    .study_description = description,
    .referring_physician = physician,
    .study_date = study_date,
    .study_time = study_time,
    .study_instance_uid = study_uid,
    .series_instance_uid = pdf_series_uid,
    .series_number = 1,
  };
  if (!ferry_convert_request_validate (&request, &error))
    return ferry_cli_usage_error (context, error->message);

  if (g_mkdir_with_parents (out_dir, 0755) != 0)
    {
      int saved = errno;
      g_autofree char *name = g_filename_display_name (out_dir);

      g_printerr (_("ferry-cli: cannot create the folder “%s”: %s\n"), name, g_strerror (saved));
      return EXIT_FAILED;
    }

  if (!ferry_dicom_init (&error))
    return ferry_cli_fail (NULL, error);

  loop = g_main_loop_new (NULL, FALSE);
  sigint_id = g_unix_signal_add (SIGINT, interrupt_cb, cancellable);
  sigterm_id = g_unix_signal_add (SIGTERM, interrupt_cb, cancellable);

  for (int i = 1; i < argc && !g_cancellable_is_cancelled (cancellable); i++)
    {
      const char *path = argv[i];
      const char *kind = ferry_convert_sniff (path);
      g_autofree char *name = g_filename_display_name (path);
      Wait wait = { loop, FALSE, NULL, NULL };

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          g_printerr (_("ferry-cli: “%s” is a folder; convert takes files\n"), name);
          failed++;
          continue;
        }
      if (kind == NULL)
        {
          g_printerr (_("ferry-cli: “%s”: Ferry cannot tell what kind of file this is\n"), name);
          failed++;
          continue;
        }
      if (!g_str_equal (kind, "PDF") && !g_str_equal (kind, "JPEG"))
        {
          /* Translators: the second %s is a kind of file: "JPEG", "MP4", "DICOM", … */
          g_printerr (_("ferry-cli: “%s”: conversion of %s is not available yet\n"), name, kind);
          failed++;
          continue;
        }

      /* One series per kind, numbered as the kinds first appear; instance numbers in
       * argument order among the files of a series written: a file that fails leaves no gap. */
      wait.jpeg = g_str_equal (kind, "JPEG");
      if (wait.jpeg)
        {
          if (jpeg_series_number == 0)
            jpeg_series_number = ++series_count;
          request.series_instance_uid = jpeg_series_uid;
          request.series_number = jpeg_series_number;
          request.instance_number = jpegs + 1;
          ferry_convert_jpeg_async (path, &request, out_dir, cancellable, converted_cb, &wait);
        }
      else
        {
          if (pdf_series_number == 0)
            pdf_series_number = ++series_count;
          request.series_instance_uid = pdf_series_uid;
          request.series_number = pdf_series_number;
          request.instance_number = pdfs + 1;
          ferry_convert_pdf_async (path, &request, out_dir, cancellable, converted_cb, &wait);
        }
      g_main_loop_run (loop);

      if (wait.result == NULL)
        {
          report_failure (path, wait.error->message);
          g_clear_error (&wait.error);
          failed++;
          continue;
        }

      {
        g_autofree char *out_name = g_filename_display_name (wait.result->output_path);

        /* Translators: "report.pdf → out/report.dcm: Encapsulated PDF, Explicit VR Little
         * Endian, encapsulated"; the last %s says how the file was made */
        g_print (_("%s → %s: %s, %s, %s\n"), name, out_name,
                 describe_sop_class (wait.result->sop_class_uid),
                 describe_transfer_syntax (wait.result->transfer_syntax_uid),
                 wait.result->path_taken);
        g_print ("  SOP Class UID %s, Transfer Syntax UID %s\n", wait.result->sop_class_uid,
                 wait.result->transfer_syntax_uid);
      }
      ferry_convert_result_free (wait.result);
      if (wait.jpeg)
        jpegs++;
      else
        pdfs++;
      written++;
    }

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

  if (g_cancellable_is_cancelled (cancellable))
    {
      g_printerr (_("ferry-cli: interrupted after writing %u of %d files\n"), written, argc - 1);
      return EXIT_FAILED;
    }
  if (failed > 0)
    {
      g_printerr (_("ferry-cli: %u of %d files could not be converted\n"), failed, argc - 1);
      return EXIT_FAILED;
    }
  return EXIT_OK;
}
