/* ferry-cli.c: Ferry without a window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same engine as the window, as a service (serve) and as scriptable commands. Exit codes:
 * 0 success, 1 the operation failed (the reason is printed), 2 the command line was wrong.
 */

#define G_LOG_DOMAIN "ferry-cli"

#include "config.h"

#include <locale.h>
#include <stdio.h>

#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include "ferry-charset.h"
#include "ferry-cli-common.h"
#include "ferry-cli-config.h"
#include "ferry-cli-convert.h"
#include "ferry-cli-deliver.h"
#include "ferry-config.h"
#include "ferry-dicom.h"
#include "ferry-engine.h"

typedef struct {
  const char *name;
  const char *parameters;
  const char *summary;
  int (*run) (int argc, char **argv);
} Command;


/* ------------------------------------------------------------------------------------------ */
/* serve                                                                                      */

static gboolean
quit_cb (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_message ("Stopping: signal received");
  g_main_loop_quit (loop);

  /* Kept until serve removes it, so a second signal during shutdown is absorbed too. */
  return G_SOURCE_CONTINUE;
}

static int
run_serve (int    argc,
           char **argv)
{
  int port = -1;
  g_autofree char *ae_title = NULL;
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port,
      N_("Listen on PORT instead of the configured port (0 lets the system choose)"), N_("PORT") },
    { "ae", 'a', 0, G_OPTION_ARG_STRING, &ae_title,
      N_("Answer to AE TITLE instead of the configured one"), N_("TITLE") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(FerryEngine) engine = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  guint sigint_id, sigterm_id;
  int ret;

  g_option_context_set_summary (context,
                                _("Run Ferry's engine without a window: receive DICOM, archive it "
                                  "durably and index it, until SIGINT or SIGTERM."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((ret = ferry_cli_parse_options (context, &argc, &argv)) >= 0)
    return ret;
  if (argc > 1)
    return ferry_cli_usage_error (context, _("serve takes no arguments"));
  if (port < -1 || port > 65535)
    return ferry_cli_usage_error (context, _("--port must be between 0 and 65535"));
  if (ae_title != NULL && !ferry_ae_title_validate (ae_title, &error))
    return ferry_cli_usage_error (context, error->message);

  /* The handlers are in place before anything is announced: a supervisor may send SIGTERM the
   * moment it reads the port, and that must still be a clean shutdown. */
  loop = g_main_loop_new (NULL, FALSE);
  sigint_id = g_unix_signal_add (SIGINT, quit_cb, loop);
  sigterm_id = g_unix_signal_add (SIGTERM, quit_cb, loop);

  if (!ferry_dicom_init (&error))
    return ferry_cli_fail (NULL, error);

  engine = ferry_engine_new (NULL, &error);
  if (engine == NULL)
    return ferry_cli_fail (NULL, error);

  ferry_engine_set_port_override (engine, port);
  if (ae_title != NULL)
    ferry_engine_set_ae_title_override (engine, g_strstrip (ae_title));

  if (!ferry_engine_start (engine, &error))
    return ferry_cli_fail (NULL, error);

  if (ferry_engine_get_receiver_state (engine) != FERRY_RECEIVER_LISTENING)
    {
      g_printerr ("ferry-cli: %s\n", ferry_engine_get_receiver_error (engine));
      ferry_engine_stop (engine);
      return EXIT_FAILED;
    }

  g_print (_("Listening on port %u as %s\n"), ferry_engine_get_receiver_port (engine),
           ae_title != NULL ? ae_title : ferry_engine_get_config (engine)->receiver_ae_title);
  g_print (_("Data directory: %s\n"), ferry_engine_get_paths (engine)->data_dir);
  fflush (stdout);

  g_main_loop_run (loop);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

  /* Associations in flight finish, or are aborted after a grace period; every object that was
   * acknowledged is durable already. */
  ferry_engine_stop (engine);

  return EXIT_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* echo                                                                                       */

static int
run_echo (int    argc,
          char **argv)
{
  g_autofree char *calling = NULL;
  g_autofree char *called = NULL;
  int timeout = 10;
  GOptionEntry entries[] = {
    { "aet", 0, 0, G_OPTION_ARG_STRING, &calling, N_("Our (calling) AE title; default: the configured sender AE title"), N_("TITLE") },
    { "aec", 0, 0, G_OPTION_ARG_STRING, &called, N_("The peer’s (called) AE title; default: ANY-SCP"), N_("TITLE") },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout, N_("Give up after SECONDS (default 10)"), N_("SECONDS") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("HOST PORT"));
  g_autoptr(GError) error = NULL;
  guint64 port;
  int ret;

  g_option_context_set_summary (context, _("Check a DICOM peer with C-ECHO (Verification)."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((ret = ferry_cli_parse_options (context, &argc, &argv)) >= 0)
    return ret;
  if (argc != 3)
    return ferry_cli_usage_error (context, _("echo needs HOST and PORT"));
  if (!g_ascii_string_to_unsigned (argv[2], 10, 1, 65535, &port, NULL))
    return ferry_cli_usage_error (context, _("PORT must be a number between 1 and 65535"));
  if (timeout < 1 || timeout > 3600)
    return ferry_cli_usage_error (context, _("--timeout must be between 1 and 3600 seconds"));

  if (calling == NULL)
    {
      g_autoptr(FerryPaths) paths = ferry_paths_new (NULL);
      g_autoptr(FerryConfig) config = ferry_config_load (paths->config_file, &error);

      if (config == NULL)
        return ferry_cli_fail (NULL, error);
      calling = g_strdup (config->sender_ae_title);
    }
  if (called == NULL)
    called = g_strdup ("ANY-SCP");
  if (!ferry_ae_title_validate (calling, &error) || !ferry_ae_title_validate (called, &error))
    return ferry_cli_usage_error (context, error->message);

  if (!ferry_dicom_init (&error))
    return ferry_cli_fail (NULL, error);

  if (!ferry_dicom_echo (argv[1], (guint16) port, calling, called, (guint) timeout, &error))
    {
      g_printerr (_("Echo to %s at %s:%s failed: %s\n"), called, argv[1], argv[2], error->message);
      return EXIT_FAILED;
    }

  g_print (_("Echo to %s at %s:%s succeeded\n"), called, argv[1], argv[2]);

  return EXIT_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* studies                                                                                    */

static char *
format_time (gint64 usec)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  g_autoptr(GDateTime) local = NULL;

  if (utc == NULL)
    return g_strdup ("");
  local = g_date_time_to_local (utc);

  return g_date_time_format_iso8601 (local);
}

static const char *
or_empty (const char *value)
{
  return value != NULL ? value : "";
}

static int
run_studies (int    argc,
             char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON instead of a table"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(FerryEngine) engine = NULL;
  g_autoptr(GPtrArray) studies = NULL;
  g_autoptr(GError) error = NULL;
  int ret;

  g_option_context_set_summary (context, _("List the studies in the archive, newest first."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((ret = ferry_cli_parse_options (context, &argc, &argv)) >= 0)
    return ret;
  if (argc > 1)
    return ferry_cli_usage_error (context, _("studies takes no arguments"));

  engine = ferry_engine_new (NULL, &error);
  if (engine == NULL)
    return ferry_cli_fail (NULL, error);

  studies = ferry_engine_list_studies_sync (engine, &error);
  if (studies == NULL)
    return ferry_cli_fail (_("Cannot read the studies"), error);

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < studies->len; i++)
        {
          const FerryStudyRecord *study = g_ptr_array_index (studies, i);
          g_autofree char *received = format_time (study->last_received_at);

          json_builder_begin_object (builder);
#define MEMBER(key, value) json_builder_set_member_name (builder, key); \
                           json_builder_add_string_value (builder, or_empty (value))
          MEMBER ("study_instance_uid", study->study_instance_uid);
          MEMBER ("patient_id", study->patient_id);
          MEMBER ("patient_name", study->patient_name);
          MEMBER ("patient_birth_date", study->patient_birth_date);
          MEMBER ("patient_sex", study->patient_sex);
          MEMBER ("accession_number", study->accession_number);
          MEMBER ("study_date", study->study_date);
          MEMBER ("study_time", study->study_time);
          MEMBER ("study_description", study->study_description);
          MEMBER ("modality", study->modalities);
          MEMBER ("calling_ae", study->calling_ae);
          MEMBER ("physician", study->physician_name);
          MEMBER ("received", received);
#undef MEMBER
          json_builder_set_member_name (builder, "instances");
          json_builder_add_int_value (builder, study->instances);
          json_builder_set_member_name (builder, "size");
          json_builder_add_int_value (builder, (gint64) study->size);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);

      root = json_builder_get_root (builder);
      json_generator_set_root (generator, root);
      json_generator_set_pretty (generator, TRUE);
      text = json_generator_to_data (generator, NULL);
      g_print ("%s\n", text);

      return EXIT_OK;
    }

  if (studies->len == 0)
    {
      g_print (_("No studies yet.\n"));
      return EXIT_OK;
    }

  g_print ("%-28s %-12s %-10s %-8s %-16s %6s  %s\n", _("Patient"), _("Patient ID"), _("Date"),
           _("Modality"), _("Device"), _("Images"), _("Description"));
  for (guint i = 0; i < studies->len; i++)
    {
      const FerryStudyRecord *study = g_ptr_array_index (studies, i);
      g_autofree char *name = ferry_person_name_to_display (or_empty (study->patient_name));

      g_print ("%-28s %-12s %-10s %-8s %-16s %6u  %s\n", name, or_empty (study->patient_id),
               or_empty (study->study_date), or_empty (study->modalities),
               or_empty (study->calling_ae), study->instances, or_empty (study->study_description));
    }

  return EXIT_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* config                                                                                     */

static int
run_config (int    argc,
            char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("show | export FILE | import FILE"));
  g_autoptr(FerryPaths) paths = NULL;
  g_autoptr(FerryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  int ret;

  g_option_context_set_summary (context,
                                _("Show, export or import Ferry’s configuration (config.json). "
                                  "An imported file is validated first; a running Ferry picks it "
                                  "up within a second."));
  if ((ret = ferry_cli_parse_options (context, &argc, &argv)) >= 0)
    return ret;

  if (argc < 2)
    return ferry_cli_usage_error (context, _("config needs show, export or import"));

  paths = ferry_paths_new (NULL);

  if (g_str_equal (argv[1], "show") || g_str_equal (argv[1], "export"))
    {
      g_autofree char *text = NULL;

      if (g_str_equal (argv[1], "show") ? argc != 2 : argc != 3)
        return ferry_cli_usage_error (context, g_str_equal (argv[1], "show")
                                       ? _("config show takes no file")
                                       : _("config export needs FILE"));

      config = ferry_config_load (paths->config_file, &error);
      if (config == NULL)
        return ferry_cli_fail (NULL, error);
      text = ferry_config_to_json (config);

      if (g_str_equal (argv[1], "show"))
        {
          g_print (_("# %s\n"), paths->config_file);
          g_print ("%s\n", text);
          return EXIT_OK;
        }

      if (!g_file_set_contents_full (argv[2], text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
        return ferry_cli_fail (_("Cannot export the configuration"), error);
      g_print (_("Configuration exported to %s\n"), argv[2]);

      return EXIT_OK;
    }

  if (g_str_equal (argv[1], "import"))
    {
      g_autofree char *text = NULL;
      gsize length;

      if (argc != 3)
        return ferry_cli_usage_error (context, _("config import needs FILE"));

      if (!g_file_get_contents (argv[2], &text, &length, &error))
        return ferry_cli_fail (_("Cannot read the file to import"), error);
      config = ferry_config_from_json (text, (gssize) length, &error);
      if (config == NULL)
        {
          g_printerr (_("ferry-cli: %s is not a valid Ferry configuration: %s\n"), argv[2], error->message);
          return EXIT_FAILED;
        }
      if (!ferry_paths_ensure (paths, &error) || !ferry_config_save (config, paths->config_file, &error))
        return ferry_cli_fail (_("Cannot save the configuration"), error);
      g_print (_("Configuration imported into %s\n"), paths->config_file);

      return EXIT_OK;
    }

  {
    g_autofree char *message = g_strdup_printf (_("unknown config command “%s”"), argv[1]);
    return ferry_cli_usage_error (context, message);
  }
}

/* ------------------------------------------------------------------------------------------ */

static const Command commands[] = {
  { "serve", "[--port N] [--ae TITLE]", N_("Receive DICOM without a window until stopped"), run_serve },
  { "echo", "HOST PORT [--aet A] [--aec B]", N_("Check a DICOM peer with C-ECHO"), run_echo },
  { "studies", "[--json]", N_("List the studies in the archive"), run_studies },
  { "config", "show | export FILE | import FILE", N_("Show, export or import the configuration"), run_config },
  { "destination", "add | list | remove | test", N_("Manage the PACS destinations"), ferry_cli_destination },
  { "device", "add | list | remove", N_("Manage the devices (modalities)"), ferry_cli_device },
  { "convert", "FILE… -o DIR [--patient-id ID …]", N_("Make DICOM files from PDFs and JPEG photographs, without archiving them"), ferry_cli_convert },
  { "send", "PATH… --to NAME [--wait]", N_("Archive DICOM files and send them to a PACS"), ferry_cli_send },
  { "queue", "[--json] [--state S] [--to NAME]", N_("List deliveries and their state"), ferry_cli_queue },
  { "retry", "--to NAME | --study UID | --all", N_("Try waiting deliveries now"), ferry_cli_retry },
  { "resend", "--outbox | --study UID | …", N_("Send deliveries again"), ferry_cli_resend },
  { "cancel", "--to NAME | --study UID | …", N_("Cancel waiting deliveries"), ferry_cli_cancel },
};

static void
print_usage (FILE *stream)
{
  fprintf (stream, "%s\n\n", _("Usage: ferry-cli COMMAND [OPTION…]"));
  fprintf (stream, "%s\n", _("Ferry carries medical images from this workstation to where they belong."));
  fprintf (stream, "\n%s\n", _("Commands:"));
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (stream, "  %-11s %-34s %s\n", commands[i].name, commands[i].parameters,
             _(commands[i].summary));
  fprintf (stream, "\n%s\n", _("“ferry-cli COMMAND --help” describes a command. FERRY_HOME=DIR keeps "
                               "configuration and data in DIR."));
}

int
main (int    argc,
      char **argv)
{
  /* DCMTK 3.6.7 has no API for Nagle's algorithm; it reads this variable on every connection.
   * It must be set before any thread starts: Nagle costs ~50 ms per C-STORE. */
  g_setenv ("TCP_NODELAY", "1", TRUE);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc < 2)
    {
      print_usage (stderr);
      return EXIT_USAGE;
    }

  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") || g_str_equal (argv[1], "help"))
    {
      print_usage (stdout);
      return EXIT_OK;
    }

  if (g_str_equal (argv[1], "--version"))
    {
      g_print ("ferry-cli %s\n", PACKAGE_VERSION);
      return EXIT_OK;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (g_str_equal (argv[1], commands[i].name))
        {
          g_autofree char *prgname = g_strdup_printf ("ferry-cli %s", commands[i].name);

          g_set_prgname (prgname);
          return commands[i].run (argc - 1, argv + 1);
        }
    }

  g_printerr (_("ferry-cli: unknown command “%s”\n\n"), argv[1]);
  print_usage (stderr);

  return EXIT_USAGE;
}
