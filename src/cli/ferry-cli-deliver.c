/* ferry-cli-deliver.c: ferry-cli send, queue, retry, resend, cancel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * send archives DICOM files and delivers them. When no other Ferry owns the data directory, this
 * process becomes the owner without listening and delivers until every new delivery has had its
 * first answer (or, with --wait, a final one). When Ferry is running, the files are added beside
 * it and its deliverer, which polls the ledger, sends them; --wait then watches the ledger.
 * queue, retry, resend and cancel work on the ledger in either case.
 */

#define G_LOG_DOMAIN "ferry-cli"

#include "config.h"

#include <stdio.h>

#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include "ferry-cli-common.h"
#include "ferry-cli-deliver.h"
#include "ferry-dicom.h"
#include "ferry-engine.h"
#include "ferry-import.h"
#include "ferry-ledger.h"

#define POLL_MS 250

/* ------------------------------------------------------------------------------------------ */
/* send                                                                                       */

typedef struct {
  FerryEngine *engine;
  GMainLoop   *loop;
  GHashTable  *sop_uids;        /* what this run sent */
  char        *destination;
  gboolean     wait_final;      /* --wait: until delivered or given up */
  gboolean     interrupted;
  GPtrArray   *rows;            /* the last look at the ledger */
  guint        poll_id;
} SendRun;

static gboolean
is_final (FerryDeliveryState state)
{
  return state == FERRY_DELIVERY_DELIVERED || state == FERRY_DELIVERY_DELIVERED_WITH_WARNING ||
         state == FERRY_DELIVERY_FAILED || state == FERRY_DELIVERY_OUTBOX ||
         state == FERRY_DELIVERY_CANCELLED;
}

/* Whether every delivery of this run is where the caller wants it. */
static gboolean
check_done (SendRun *run)
{
  FerryLedgerFilter filter = { .destination = run->destination };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = ferry_engine_list_deliveries_sync (run->engine, &filter, &error);
  g_autoptr(GPtrArray) mine = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_delivery_free);

  if (rows == NULL)
    {
      g_printerr ("ferry-cli: %s\n", error->message);
      return FALSE;
    }

  for (guint i = 0; i < rows->len; i++)
    {
      FerryDelivery *d = g_ptr_array_index (rows, i);

      if (g_hash_table_contains (run->sop_uids, d->sop_instance_uid))
        g_ptr_array_add (mine, ferry_delivery_copy (d));
    }

  g_clear_pointer (&run->rows, g_ptr_array_unref);
  run->rows = g_steal_pointer (&mine);

  /* Routed: every instance has its row (the owner routes within seconds). */
  if (run->rows->len < g_hash_table_size (run->sop_uids))
    return FALSE;

  for (guint i = 0; i < run->rows->len; i++)
    {
      FerryDelivery *d = g_ptr_array_index (run->rows, i);

      if (is_final (d->state))
        continue;
      if (!run->wait_final && d->state == FERRY_DELIVERY_RETRYING)
        continue;
      return FALSE;
    }
  return TRUE;
}

static gboolean
poll_cb (gpointer user_data)
{
  SendRun *run = user_data;

  if (check_done (run))
    {
      g_main_loop_quit (run->loop);
      run->poll_id = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
interrupt_cb (gpointer user_data)
{
  SendRun *run = user_data;

  run->interrupted = TRUE;
  g_main_loop_quit (run->loop);
  return G_SOURCE_CONTINUE;
}

/* One line per delivery that did not arrive; the exit code. */
static int
report (SendRun *run)
{
  guint delivered = 0, pending = 0, failed = 0;

  for (guint i = 0; run->rows != NULL && i < run->rows->len; i++)
    {
      FerryDelivery *d = g_ptr_array_index (run->rows, i);

      switch (d->state)
        {
        case FERRY_DELIVERY_DELIVERED:
          delivered++;
          break;
        case FERRY_DELIVERY_DELIVERED_WITH_WARNING:
          delivered++;
          g_print (_("%s: delivered to %s with a warning: %s\n"), d->sop_instance_uid,
                   d->destination, d->last_status_meaning != NULL ? d->last_status_meaning : "");
          break;
        case FERRY_DELIVERY_FAILED:
        case FERRY_DELIVERY_OUTBOX:
        case FERRY_DELIVERY_CANCELLED:
          failed++;
          g_printerr (_("%s: not delivered to %s (%s): %s\n"), d->sop_instance_uid,
                      d->destination, ferry_delivery_state_describe (d->state),
                      d->last_error != NULL ? d->last_error : "");
          break;
        case FERRY_DELIVERY_QUEUED:
        case FERRY_DELIVERY_SENDING:
        case FERRY_DELIVERY_RETRYING:
        case FERRY_DELIVERY_N_STATES:
        default:
          pending++;
          if (d->last_error != NULL)
            g_printerr (_("%s: not yet delivered to %s, retrying: %s\n"), d->sop_instance_uid,
                        d->destination, d->last_error);
          break;
        }
    }

  g_print (_("%u delivered, %u waiting, %u failed\n"), delivered, pending, failed);
  if (failed > 0 || (run->wait_final && pending > 0))
    return EXIT_FAILED;
  return EXIT_OK;
}

int
ferry_cli_send (int    argc,
                char **argv)
{
  g_autofree char *to = NULL;
  gboolean wait = FALSE;
  GOptionEntry entries[] = {
    { "to", 0, 0, G_OPTION_ARG_STRING, &to, N_("Send to the destination NAME (required)"), N_("NAME") },
    { "wait", 0, 0, G_OPTION_ARG_NONE, &wait,
      N_("Wait until every object is delivered or has failed; exit 1 on any failure"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("PATH…"));
  g_autoptr(FerryEngine) engine = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GHashTable) sop_uids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;
  const FerryDestination *destination;
  SendRun run = { 0 };
  gboolean owner;
  guint imported = 0, refused = 0;
  guint sigint_id, sigterm_id;
  int ret;

  g_option_context_set_summary (context,
                                _("Archive DICOM files (or folders of them) as they are and send "
                                  "them to a PACS destination."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((ret = ferry_cli_parse_options (context, &argc, &argv)) >= 0)
    return ret;
  if (argc < 2)
    return ferry_cli_usage_error (context, _("send needs at least one file or folder"));
  if (to == NULL)
    return ferry_cli_usage_error (context, _("send needs --to NAME"));

  if (!ferry_dicom_init (&error))
    return ferry_cli_fail (NULL, error);

  engine = ferry_engine_new (NULL, &error);
  if (engine == NULL)
    return ferry_cli_fail (NULL, error);

  destination = ferry_config_find_destination (ferry_engine_get_config (engine), to);
  if (destination == NULL)
    {
      g_printerr (_("ferry-cli: there is no destination named “%s”; "
                    "“ferry-cli destination list” shows them\n"), to);
      return EXIT_FAILED;
    }
  run.destination = g_strdup (destination->name);

  /* Own the data directory when nobody else does; otherwise add beside the owner. */
  ferry_engine_set_receiver_enabled (engine, FALSE);
  owner = ferry_engine_start (engine, &error);
  if (!owner)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY))
        return ferry_cli_fail (NULL, error);
      g_print (_("%s; it will send the files\n"), error->message);
      g_clear_error (&error);
    }

  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GPtrArray) files = ferry_import_collect_files (argv[i], &error);

      if (files == NULL)
        {
          g_printerr ("ferry-cli: %s\n", error->message);
          g_clear_error (&error);
          refused++;
          continue;
        }
      for (guint f = 0; f < files->len; f++)
        {
          char *sop_uid = NULL;

          if (!ferry_engine_import_file_sync (engine, g_ptr_array_index (files, f), run.destination,
                                              &sop_uid, &error))
            {
              g_printerr ("ferry-cli: %s\n", error->message);
              g_clear_error (&error);
              refused++;
              continue;
            }
          g_hash_table_add (sop_uids, sop_uid);
          imported++;
        }
    }

  g_print (g_dngettext (GETTEXT_PACKAGE, "%u object archived for %s\n",
                        "%u objects archived for %s\n", imported), imported, run.destination);

  if (imported > 0 && (owner || wait))
    {
      loop = g_main_loop_new (NULL, FALSE);
      run.engine = engine;
      run.loop = loop;
      run.sop_uids = sop_uids;
      run.wait_final = wait;
      sigint_id = g_unix_signal_add (SIGINT, interrupt_cb, &run);
      sigterm_id = g_unix_signal_add (SIGTERM, interrupt_cb, &run);
      run.poll_id = g_timeout_add (POLL_MS, poll_cb, &run);
      if (!check_done (&run))
        g_main_loop_run (loop);
      g_source_remove (sigint_id);
      g_source_remove (sigterm_id);
      g_clear_handle_id (&run.poll_id, g_source_remove);
      ret = report (&run);
      if (run.interrupted)
        {
          g_printerr (_("ferry-cli: interrupted; what was not sent stays queued and goes the "
                        "next time Ferry runs\n"));
          ret = EXIT_FAILED;
        }
    }
  else
    {
      if (imported > 0)
        g_print (_("Queued; the running Ferry sends them (“ferry-cli queue” shows how it goes)\n"));
      ret = EXIT_OK;
    }

  if (owner)
    ferry_engine_stop (engine);

  g_clear_pointer (&run.rows, g_ptr_array_unref);
  g_free (run.destination);

  if (refused > 0)
    return EXIT_FAILED;
  return ret;
}

/* ------------------------------------------------------------------------------------------ */
/* queue                                                                                      */

static char *
format_time (gint64 usec)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) time = NULL;

  if (usec <= 0)
    return NULL;
  utc = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  time = g_date_time_to_local (utc);
  return g_date_time_format_iso8601 (time);
}

static void
print_json (GPtrArray *rows)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; i < rows->len; i++)
    {
      FerryDelivery *d = g_ptr_array_index (rows, i);
      g_autofree char *next = format_time (d->next_attempt_at);
      g_autofree char *delivered = format_time (d->delivered_at);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "sop_instance_uid");
      json_builder_add_string_value (builder, d->sop_instance_uid);
      json_builder_set_member_name (builder, "study_instance_uid");
      json_builder_add_string_value (builder, d->study_instance_uid);
      json_builder_set_member_name (builder, "destination");
      json_builder_add_string_value (builder, d->destination);
      json_builder_set_member_name (builder, "state");
      json_builder_add_string_value (builder, ferry_delivery_state_to_string (d->state));
      json_builder_set_member_name (builder, "attempts");
      json_builder_add_int_value (builder, d->attempts);
      json_builder_set_member_name (builder, "uncertain");
      json_builder_add_int_value (builder, d->uncertain);
      json_builder_set_member_name (builder, "last_status");
      if (d->last_status >= 0)
        json_builder_add_int_value (builder, d->last_status);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "last_status_meaning");
      json_builder_add_string_value (builder, d->last_status_meaning);
      json_builder_set_member_name (builder, "last_error");
      json_builder_add_string_value (builder, d->last_error);
      json_builder_set_member_name (builder, "next_attempt");
      json_builder_add_string_value (builder, next);
      json_builder_set_member_name (builder, "delivered_at");
      json_builder_add_string_value (builder, delivered);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static void
print_table (GPtrArray *rows)
{
  guint counts[FERRY_DELIVERY_N_STATES] = { 0 };

  for (guint i = 0; i < rows->len; i++)
    {
      FerryDelivery *d = g_ptr_array_index (rows, i);
      g_autofree char *status = d->last_status >= 0 ? g_strdup_printf ("0x%04X", d->last_status)
                                                    : g_strdup ("-");

      counts[d->state]++;
      g_print ("%-22s %-16s %3u %-7s %s", ferry_delivery_state_to_string (d->state),
               d->destination, d->attempts, status, d->sop_instance_uid);
      if (d->last_error != NULL && !is_final (d->state) && d->state != FERRY_DELIVERY_QUEUED)
        g_print ("  (%s)", d->last_error);
      else if (d->last_error != NULL && d->state != FERRY_DELIVERY_DELIVERED)
        g_print ("  (%s)", d->last_error);
      g_print ("\n");
    }

  for (int s = 0; s < FERRY_DELIVERY_N_STATES; s++)
    if (counts[s] > 0)
      g_print ("%s: %u\n", ferry_delivery_state_describe (s), counts[s]);
  if (rows->len == 0)
    g_print ("%s\n", _("No deliveries"));
}

int
ferry_cli_queue (int    argc,
                 char **argv)
{
  g_autofree char *state = NULL;
  g_autofree char *to = NULL;
  g_autofree char *study = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON instead of a table"), NULL },
    { "state", 0, 0, G_OPTION_ARG_STRING, &state,
      N_("Only deliveries in STATE (queued, sending, delivered, delivered-with-warning, "
         "retrying, failed, outbox, cancelled)"), N_("STATE") },
    { "to", 0, 0, G_OPTION_ARG_STRING, &to, N_("Only deliveries to destination NAME"), N_("NAME") },
    { "study", 0, 0, G_OPTION_ARG_STRING, &study, N_("Only deliveries of the study UID"), N_("UID") },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(FerryEngine) engine = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  FerryLedgerFilter filter = { 0 };
  int ret;

  g_option_context_set_summary (context, _("List deliveries to PACS destinations and their state."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((ret = ferry_cli_parse_options (context, &argc, &argv)) >= 0)
    return ret;
  if (argc > 1)
    return ferry_cli_usage_error (context, _("queue takes no arguments"));
  if (state != NULL)
    {
      int s = ferry_delivery_state_from_string (state);

      if (s < 0)
        return ferry_cli_usage_error (context, _("--state: unknown state"));
      filter.states = FERRY_DELIVERY_STATE_BIT (s);
    }
  filter.destination = to;
  filter.study_instance_uid = study;

  engine = ferry_engine_new (NULL, &error);
  if (engine == NULL)
    return ferry_cli_fail (NULL, error);
  rows = ferry_engine_list_deliveries_sync (engine, &filter, &error);
  if (rows == NULL)
    return ferry_cli_fail (NULL, error);

  if (json)
    print_json (rows);
  else
    print_table (rows);
  return EXIT_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* retry, resend, cancel                                                                      */

static int
act (int                argc,
     char             **argv,
     FerryLedgerAction  action,
     const char        *summary)
{
  g_autofree char *to = NULL;
  g_autofree char *study = NULL;
  g_autofree char *instance = NULL;
  gboolean outbox = FALSE;
  gboolean all = FALSE;
  GOptionEntry entries[] = {
    { "to", 0, 0, G_OPTION_ARG_STRING, &to, N_("Only deliveries to destination NAME"), N_("NAME") },
    { "study", 0, 0, G_OPTION_ARG_STRING, &study, N_("Only deliveries of the study UID"), N_("UID") },
    { "instance", 0, 0, G_OPTION_ARG_STRING, &instance,
      N_("Only deliveries of the SOP instance UID"), N_("UID") },
    { "outbox", 0, 0, G_OPTION_ARG_NONE, &outbox,
      N_("Only deliveries in the outbox or failed"), NULL },
    { "all", 0, 0, G_OPTION_ARG_NONE, &all, N_("Every delivery the command applies to"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(FerryEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  FerryLedgerFilter filter = { 0 };
  guint changed = 0;
  int ret;

  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((ret = ferry_cli_parse_options (context, &argc, &argv)) >= 0)
    return ret;
  if (argc > 1)
    return ferry_cli_usage_error (context, _("this command takes no arguments; use the options"));
  if (!all && to == NULL && study == NULL && instance == NULL && !outbox)
    return ferry_cli_usage_error (context, _("say which deliveries: --to, --study, --instance, "
                                             "--outbox or --all"));

  filter.destination = to;
  filter.study_instance_uid = study;
  filter.sop_instance_uid = instance;
  if (outbox)
    filter.states = FERRY_DELIVERY_GAVE_UP_MASK;

  engine = ferry_engine_new (NULL, &error);
  if (engine == NULL)
    return ferry_cli_fail (NULL, error);
  if (!ferry_engine_act_on_deliveries_sync (engine, action, &filter, &changed, &error))
    return ferry_cli_fail (NULL, error);

  switch (action)
    {
    case FERRY_LEDGER_RETRY_NOW:
      g_print (g_dngettext (GETTEXT_PACKAGE, "%u delivery will be tried now\n",
                            "%u deliveries will be tried now\n", changed), changed);
      break;
    case FERRY_LEDGER_RESEND:
      g_print (g_dngettext (GETTEXT_PACKAGE, "%u delivery queued to be sent again\n",
                            "%u deliveries queued to be sent again\n", changed), changed);
      break;
    case FERRY_LEDGER_CANCEL:
    default:
      g_print (g_dngettext (GETTEXT_PACKAGE, "%u delivery cancelled\n",
                            "%u deliveries cancelled\n", changed), changed);
      break;
    }
  return EXIT_OK;
}

int
ferry_cli_retry (int    argc,
                 char **argv)
{
  return act (argc, argv, FERRY_LEDGER_RETRY_NOW,
              _("Try queued and retrying deliveries now instead of at their next attempt."));
}

int
ferry_cli_resend (int    argc,
                  char **argv)
{
  return act (argc, argv, FERRY_LEDGER_RESEND,
              _("Send deliveries again: from the outbox, or ones delivered already."));
}

int
ferry_cli_cancel (int    argc,
                  char **argv)
{
  return act (argc, argv, FERRY_LEDGER_CANCEL, _("Cancel queued and retrying deliveries."));
}
