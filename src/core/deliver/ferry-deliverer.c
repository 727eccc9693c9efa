/* ferry-deliverer.c: routes archived instances and delivers them to PACS destinations
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Threads: one scheduler (routes, claims due rows, starts jobs) and a pool of sender threads
 * (one job = one association to one destination). The ledger is the only state that matters;
 * what lives here is bookkeeping that a restart rebuilds: how many associations each
 * destination has open, and the senders to abort on stop.
 */

#define G_LOG_DOMAIN "ferry-deliverer"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "ferry-deliverer.h"
#include "ferry-dicom-send.h"
#include "ferry-ledger.h"
#include "ferry-router.h"
#include "ferry-status.h"

#define ROUTE_BATCH        200
#define CLAIM_BATCH        64     /* rows taken from the ledger at a time */
#define MAX_SENDERS        8      /* sender threads, across destinations */
#define POLL_SECONDS       2      /* other processes (ferry-cli retry) change the ledger too */
#define SETTLE_USEC        (20 * 1000)  /* a burst of kicks (a study arriving) is one round */
#define FLUSH_EVERY        16     /* outcomes written together */
#define FLUSH_AFTER_USEC   (200 * 1000)
#define DEFAULT_TIMEOUT    30
#define LINGER_USEC        (300 * 1000)   /* an idle association waits this long for more */
#define LINGER_STEP_USEC   (50 * 1000)
/* (SOP class, transfer syntax) pairs per association: each takes up to three presentation
 * contexts (stored, explicit and implicit little endian), and an association has 128. */
#define MAX_PAIRS          42

struct _FerryDeliverer {
  FerryDatabase              *db;        /* not owned */
  FerryArchive               *archive;   /* not owned */
  FerryDeliveriesChangedFunc  changed;
  gpointer                    user_data;

  GMutex                      lock;
  GCond                       cond;
  /* Guarded by lock */
  FerryConfig                *config;
  gboolean                    running;
  gboolean                    kicked;
  GHashTable                 *active;    /* destination name → number of open jobs */
  GPtrArray                  *senders;   /* FerryDicomSender* in use, to abort on stop */

  GThread                    *scheduler;
  GThreadPool                *pool;
};

typedef struct {
  char      *destination;
  GPtrArray *batch;                      /* (element-type FerryDelivery) */
} Job;

static void
job_free (Job *job)
{
  g_free (job->destination);
  g_clear_pointer (&job->batch, g_ptr_array_unref);
  g_free (job);
}

static FerryConfig *
dup_config (FerryDeliverer *self)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return ferry_config_copy (self->config);
}

static void
notify_studies (FerryDeliverer *self,
                GPtrArray      *outcomes)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (self->changed == NULL)
    return;
  for (guint i = 0; i < outcomes->len; i++)
    {
      const FerryOutcome *o = g_ptr_array_index (outcomes, i);

      if (o->study_instance_uid != NULL && g_hash_table_add (seen, o->study_instance_uid))
        self->changed (o->study_instance_uid, self->user_data);
    }
}

/* Writes the outcomes gathered so far. A failure to write leaves the rows "sending"; the next
 * start sends them again (at least once). */
static void
flush_outcomes (FerryDeliverer *self,
                GPtrArray      *outcomes)
{
  g_autoptr(GError) error = NULL;

  if (outcomes->len == 0)
    return;
  if (!ferry_ledger_finish (self->db, outcomes, g_get_real_time (), &error))
    g_message ("Could not record %u delivery outcomes: %s", outcomes->len, error->message);
  else
    notify_studies (self, outcomes);
  g_ptr_array_set_size (outcomes, 0);
}

gint64
ferry_deliverer_next_attempt (const FerryDestination *destination,
                              gint64                  now)
{
  gint64 interval = (gint64) MAX (destination->retry_interval_seconds, 1) * G_USEC_PER_SEC;

  /* Up to a tenth more, so that many deliveries that failed together do not all come back in
   * the same second. */
  return now + interval + (gint64) (g_random_double () * (double) interval / 10.0);
}

/* Retry later, or give up when that would be past the destination's retry window. */
static void
retry_or_give_up (FerryOutcome           *outcome,
                  const FerryDelivery    *delivery,
                  const FerryDestination *destination,
                  const char             *reason,
                  gint64                  now)
{
  gint64 next = ferry_deliverer_next_attempt (destination, now);
  gint64 window_end = delivery->queued_at +
                      (gint64) destination->retry_days * 24 * 3600 * G_USEC_PER_SEC;

  g_free (outcome->error_text);
  if (next > window_end)
    {
      outcome->state = FERRY_DELIVERY_OUTBOX;
      outcome->error_text =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                      "Gave up after %u attempt over %u days: %s",
                                      "Gave up after %u attempts over %u days: %s",
                                      delivery->attempts),
                         delivery->attempts, destination->retry_days, reason);
    }
  else
    {
      outcome->state = FERRY_DELIVERY_RETRYING;
      outcome->next_attempt_at = next;
      outcome->error_text = g_strdup (reason);
    }
}

/* Every row of @batch from @from on gets the same fate. */
static void
finish_rest (GPtrArray              *outcomes,
             GPtrArray              *batch,
             guint                   from,
             FerryDeliveryState      state,
             const FerryDestination *destination,
             const char             *reason,
             gint64                  now)
{
  for (guint i = from; i < batch->len; i++)
    {
      const FerryDelivery *d = g_ptr_array_index (batch, i);
      FerryOutcome *o = ferry_outcome_new (d, state);

      if (state == FERRY_DELIVERY_RETRYING)
        retry_or_give_up (o, d, destination, reason, now);
      else if (state == FERRY_DELIVERY_QUEUED)
        o->next_attempt_at = now;
      else
        o->error_text = g_strdup (reason);
      g_ptr_array_add (outcomes, o);
    }
}

/* The coercions of a row, as the SCU takes them; the strings live in @parser. */
static GArray *
parse_coercions (const char  *json,
                 JsonParser  *parser)
{
  GArray *coercions = g_array_new (FALSE, TRUE, sizeof (FerryDicomCoercion));
  JsonArray *array;

  if (json == NULL || !json_parser_load_from_data (parser, json, -1, NULL) ||
      !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return coercions;

  array = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);
      FerryDicomCoercion c = { 0 };
      int action;

      if (object == NULL)
        continue;
      action = ferry_coercion_action_from_string (json_object_get_string_member_with_default (object, "action", ""));
      if (action < 0)
        continue;
      switch ((FerryCoercionAction) action)
        {
        case FERRY_COERCE_SET:
          c.action = FERRY_DICOM_COERCE_SET;
          break;
        case FERRY_COERCE_COPY:
          c.action = FERRY_DICOM_COERCE_COPY;
          break;
        case FERRY_COERCE_REMOVE:
        default:
          c.action = FERRY_DICOM_COERCE_REMOVE;
          break;
        }
      c.tag = json_object_get_string_member_with_default (object, "tag", NULL);
      c.value = json_object_get_string_member_with_default (object, "value", NULL);
      if (c.tag != NULL)
        g_array_append_val (coercions, c);
    }
  return coercions;
}

/* The outcome of one C-STORE attempt. */
static FerryOutcome *
store_one (FerryDeliverer         *self,
           FerryDicomSender       *sender,
           const FerryDelivery    *d,
           const FerryDestination *destination,
           gint64                  now)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GArray) coercions = parse_coercions (d->coercions_json, parser);
  g_autofree char *path = ferry_archive_dup_path (self->archive, d->file_path);
  g_autofree char *comment = NULL;
  g_autoptr(GError) error = NULL;
  FerryOutcome *o;
  guint16 status = 0;

  if (ferry_dicom_sender_store (sender, path, (const FerryDicomCoercion *) coercions->data,
                                coercions->len, &status, &comment, &error))
    {
      g_autofree char *meaning = ferry_status_describe (status);

      switch (ferry_status_classify (status))
        {
        case FERRY_STATUS_DELIVERED:
          o = ferry_outcome_new (d, FERRY_DELIVERY_DELIVERED);
          break;
        case FERRY_STATUS_DELIVERED_WITH_WARNING:
          o = ferry_outcome_new (d, FERRY_DELIVERY_DELIVERED_WITH_WARNING);
          break;
        case FERRY_STATUS_RETRY:
          o = ferry_outcome_new (d, FERRY_DELIVERY_RETRYING);
          retry_or_give_up (o, d, destination, meaning, now);
          break;
        case FERRY_STATUS_OUTBOX:
        default:
          o = ferry_outcome_new (d, FERRY_DELIVERY_OUTBOX);
          o->error_text = comment != NULL && comment[0] != '\0'
                            ? g_strdup_printf ("%s: %s", meaning, comment)
                            : g_strdup (meaning);
          break;
        }
      o->status = status;
      o->status_meaning = g_steal_pointer (&meaning);
      return o;
    }

  if (g_error_matches (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_NO_CONTEXT))
    {
      /* The PACS refused what this object needs: no retry will change that. */
      o = ferry_outcome_new (d, FERRY_DELIVERY_OUTBOX);
      o->error_text = g_strdup (error->message);
    }
  else if (g_error_matches (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_DECOMPRESS) ||
           g_error_matches (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_FILE) ||
           g_error_matches (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_COERCION) ||
           g_error_matches (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_CHARSET))
    {
      /* Ferry cannot make this object into what the destination takes. */
      o = ferry_outcome_new (d, FERRY_DELIVERY_FAILED);
      o->error_text = g_strdup (error->message);
    }
  else
    {
      /* The connection broke with the object on the way: the PACS may have it. */
      o = ferry_outcome_new (d, FERRY_DELIVERY_RETRYING);
      retry_or_give_up (o, d, destination, error->message, now);
      o->uncertain = TRUE;
    }
  return o;
}

static GArray *
contexts_for (GPtrArray *batch)
{
  GArray *contexts = g_array_new (FALSE, TRUE, sizeof (FerryDicomContextRequest));

  for (guint i = 0; i < batch->len; i++)
    {
      const FerryDelivery *d = g_ptr_array_index (batch, i);
      gboolean seen = FALSE;

      for (guint j = 0; j < contexts->len && !seen; j++)
        {
          FerryDicomContextRequest *c = &g_array_index (contexts, FerryDicomContextRequest, j);

          seen = g_strcmp0 (c->sop_class_uid, d->sop_class_uid) == 0 &&
                 g_strcmp0 (c->transfer_syntax_uid, d->transfer_syntax_uid) == 0;
        }
      if (!seen)
        {
          FerryDicomContextRequest c = { d->sop_class_uid, d->transfer_syntax_uid };

          g_array_append_val (contexts, c);
        }
    }
  return contexts;
}

/* Whether every pair of @wanted is among @offered. */
static gboolean
pair_fits (GArray *offered,
           GArray *wanted)
{
  for (guint i = 0; i < wanted->len; i++)
    {
      const FerryDicomContextRequest *w = &g_array_index (wanted, FerryDicomContextRequest, i);
      gboolean found = FALSE;

      for (guint j = 0; j < offered->len && !found; j++)
        {
          const FerryDicomContextRequest *o = &g_array_index (offered, FerryDicomContextRequest, j);

          found = g_strcmp0 (w->sop_class_uid, o->sop_class_uid) == 0 &&
                  g_strcmp0 (w->transfer_syntax_uid, o->transfer_syntax_uid) == 0;
        }
      if (!found)
        return FALSE;
    }
  return TRUE;
}

/* An open association and what it was negotiated for. */
typedef struct {
  FerryDicomSender *sender;
  GArray           *contexts;   /* FerryDicomContextRequest, strings owned by strings */
  GPtrArray        *strings;
} Link;

static gboolean
link_covers (const Link *link,
             GArray     *contexts)
{
  return link->sender != NULL && pair_fits (link->contexts, contexts);
}

static gboolean
is_running (FerryDeliverer *self)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return self->running;
}

static void
track_sender (FerryDeliverer   *self,
              FerryDicomSender *sender,
              gboolean          add)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (add)
    g_ptr_array_add (self->senders, sender);
  else
    g_ptr_array_remove_fast (self->senders, sender);
}

static void
link_close (FerryDeliverer *self,
            Link           *link)
{
  if (link->sender != NULL)
    {
      track_sender (self, link->sender, FALSE);
      ferry_dicom_sender_close (g_steal_pointer (&link->sender));
    }
  g_clear_pointer (&link->contexts, g_array_unref);
  g_clear_pointer (&link->strings, g_ptr_array_unref);
}

/* Opens the job's association for @contexts. */
static gboolean
link_open (FerryDeliverer              *self,
           Link                        *link,
           const FerryDicomSendOptions *options,
           GArray                      *contexts,
           GError                     **error)
{
  FerryDicomSender *sender;

  sender = ferry_dicom_sender_open (options, (const FerryDicomContextRequest *) contexts->data,
                                    contexts->len, error);
  if (sender == NULL)
    return FALSE;

  /* The batch's strings go when the batch does: keep copies for link_covers(). */
  link->sender = sender;
  link->strings = g_ptr_array_new_with_free_func (g_free);
  link->contexts = g_array_new (FALSE, TRUE, sizeof (FerryDicomContextRequest));
  for (guint c = 0; c < contexts->len; c++)
    {
      FerryDicomContextRequest copy = g_array_index (contexts, FerryDicomContextRequest, c);

      copy.sop_class_uid = g_strdup (copy.sop_class_uid);
      copy.transfer_syntax_uid = g_strdup (copy.transfer_syntax_uid);
      g_ptr_array_add (link->strings, (gpointer) copy.sop_class_uid);
      g_ptr_array_add (link->strings, (gpointer) copy.transfer_syntax_uid);
      g_array_append_val (link->contexts, copy);
    }
  track_sender (self, sender, TRUE);
  return TRUE;
}

/* The association could not be opened: rows from @from on retry, or go to the outbox when the
 * PACS rejected it permanently. */
static void
fail_open (FerryDeliverer         *self,
           GPtrArray              *outcomes,
           GPtrArray              *batch,
           guint                   from,
           const FerryDestination *destination,
           GArray                 *contexts,
           const GError           *error)
{
  gboolean permanent = g_error_matches (error, FERRY_DICOM_SEND_ERROR,
                                        FERRY_DICOM_SEND_ERROR_REJECTED_PERMANENT);
  g_autofree char *reason = NULL;

  /* "No reason given" is common when a PACS takes none of what was proposed: say what that
   * was, so that the admin can see which kind of object it refuses. */
  if (permanent)
    {
      g_autoptr(GString) classes = g_string_new (NULL);

      for (guint c = 0; c < contexts->len; c++)
        {
          const char *uid = g_array_index (contexts, FerryDicomContextRequest, c).sop_class_uid;
          const char *name = ferry_dicom_uid_name (uid);

          if (strstr (classes->str, uid) != NULL)
            continue;
          if (classes->len > 0)
            g_string_append (classes, ", ");
          if (name != NULL)
            g_string_append_printf (classes, "%s (%s)", name, uid);
          else
            g_string_append (classes, uid);
        }
      /* Translators: "association rejected (permanent): no reason given; Ferry proposed CT
       * Image Storage (1.2.840.10008.5.1.4.1.1.2)" */
      reason = g_strdup_printf (_("%s; Ferry proposed %s"), error->message, classes->str);
    }
  else
    {
      reason = g_strdup (error->message);
    }

  g_info ("Could not open an association to %s: %s", destination->name, reason);
  finish_rest (outcomes, batch, from,
               permanent ? FERRY_DELIVERY_OUTBOX : FERRY_DELIVERY_RETRYING,
               destination, reason, g_get_real_time ());
  flush_outcomes (self, outcomes);
}

/* Sends one batch over the job's association, opening (or reopening, when the batch needs
 * presentation contexts it was not negotiated for) as needed, and records every outcome.
 * Returns FALSE when the destination is in trouble and the job should stop. */
static gboolean
send_batch (FerryDeliverer         *self,
            const FerryConfig      *config,
            const FerryDestination *destination,
            GPtrArray              *batch,
            Link                   *link)
{
  g_autoptr(GPtrArray) outcomes = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_outcome_free);
  g_autoptr(GArray) contexts = contexts_for (batch);
  g_autoptr(GError) error = NULL;
  FerryDicomSendOptions options = { 0 };
  FerryDicomSender *sender;
  gint64 last_flush = g_get_monotonic_time ();
  gboolean healthy = TRUE;
  gboolean reused;
  guint i;

  /* A batch of very mixed objects waits partly for the next association rather than going
   * to the outbox for want of a presentation context. */
  if (contexts->len > MAX_PAIRS)
    {
      g_autoptr(GPtrArray) later = g_ptr_array_new ();
      g_autoptr(GPtrArray) now_rows = g_ptr_array_new ();

      g_array_set_size (contexts, MAX_PAIRS);
      for (guint r = 0; r < batch->len; r++)
        {
          const FerryDelivery *d = g_ptr_array_index (batch, r);
          g_autoptr(GArray) one = NULL;
          GPtrArray *single = g_ptr_array_new ();

          g_ptr_array_add (single, (gpointer) d);
          one = contexts_for (single);
          g_ptr_array_unref (single);
          g_ptr_array_add (pair_fits (contexts, one) ? now_rows : later, (gpointer) d);
        }
      finish_rest (outcomes, later, 0, FERRY_DELIVERY_QUEUED, destination, NULL,
                   g_get_real_time ());
      flush_outcomes (self, outcomes);
      /* From here on the batch is what fits (copied out before the batch frees its rows). */
      {
        g_autoptr(GPtrArray) keep = g_ptr_array_new ();

        for (guint r = 0; r < now_rows->len; r++)
          g_ptr_array_add (keep, ferry_delivery_copy (g_ptr_array_index (now_rows, r)));
        g_ptr_array_set_size (batch, 0);
        for (guint r = 0; r < keep->len; r++)
          g_ptr_array_add (batch, g_ptr_array_index (keep, r));
      }
    }

  if (!link_covers (link, contexts))
    link_close (self, link);

  options.host = destination->host;
  options.port = destination->port;
  options.calling_ae = config->sender_ae_title;
  options.called_ae = destination->ae_title;
  options.timeout_seconds = config->timeout_seconds > 0 ? config->timeout_seconds : DEFAULT_TIMEOUT;
  options.decompress = destination->decompress;
  options.character_set = destination->character_set;

  reused = link->sender != NULL;
  if (!reused && !link_open (self, link, &options, contexts, &error))
    {
      fail_open (self, outcomes, batch, 0, destination, contexts, error);
      return FALSE;
    }
  sender = link->sender;

  for (i = 0; i < batch->len; i++)
    {
      const FerryDelivery *d = g_ptr_array_index (batch, i);
      g_autofree char *reason = NULL;
      FerryOutcome *o;

      if (!is_running (self))
        break;

      o = store_one (self, sender, d, destination, g_get_real_time ());

      /* An association kept from an earlier batch may have died while it waited (the PACS
       * restarted), or was negotiated with a PACS that has changed its mind since about a SOP
       * class it refused then (a "no presentation context" outcome is decided here, without
       * asking the PACS): open a fresh association and try this object again, once. */
      if (reused &&
          ((i == 0 && !ferry_dicom_sender_is_usable (sender)) ||
           (o->state == FERRY_DELIVERY_OUTBOX && o->status < 0)))
        {
          g_autoptr(GError) reopen_error = NULL;

          g_info ("The association to %s kept for more cannot carry this object (%s); "
                  "opening another", destination->name,
                  o->error_text != NULL ? o->error_text : "");
          ferry_outcome_free (o);
          reused = FALSE;
          link_close (self, link);
          if (!link_open (self, link, &options, contexts, &reopen_error))
            {
              fail_open (self, outcomes, batch, i, destination, contexts, reopen_error);
              return FALSE;
            }
          sender = link->sender;
          i--;
          continue;
        }

      /* Kept before the outcome may be written and freed below. */
      reason = g_strdup (o->error_text);
      g_ptr_array_add (outcomes, o);

      if (outcomes->len >= FLUSH_EVERY ||
          g_get_monotonic_time () - last_flush > FLUSH_AFTER_USEC)
        {
          flush_outcomes (self, outcomes);
          last_flush = g_get_monotonic_time ();
        }

      if (!ferry_dicom_sender_is_usable (sender))
        {
          /* The rest were not tried: they wait with the one that broke. */
          i++;
          finish_rest (outcomes, batch, i, FERRY_DELIVERY_RETRYING, destination,
                       reason != NULL ? reason : _("The association ended"),
                       g_get_real_time ());
          i = batch->len;
          healthy = FALSE;
          break;
        }
    }

  /* Stopped before the end: the rest were never sent, so they are simply queued again. */
  if (i < batch->len)
    finish_rest (outcomes, batch, i, FERRY_DELIVERY_QUEUED, destination, NULL,
                 g_get_real_time ());

  flush_outcomes (self, outcomes);
  if (!healthy || !is_running (self))
    link_close (self, link);
  return healthy && is_running (self);
}

/* The next rows for the job's destination; when there are none yet, looks again every 50 ms for
 * a little while (images still arriving) before the association is let go. It does not wake on
 * every kick: a study arriving kicks once per image, and each look is a ledger transaction. */
static GPtrArray *
claim_more (FerryDeliverer *self,
            const char     *destination)
{
  gint64 give_up = g_get_monotonic_time () + LINGER_USEC;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      GPtrArray *batch = ferry_ledger_claim (self->db, destination, g_get_real_time (),
                                             CLAIM_BATCH, &error);

      if (batch == NULL)
        {
          g_message ("Could not read the delivery ledger: %s", error->message);
          return NULL;
        }
      if (batch->len > 0)
        return batch;
      g_ptr_array_unref (batch);

      if (!is_running (self) || g_get_monotonic_time () >= give_up)
        return NULL;
      g_usleep (MIN (LINGER_STEP_USEC, MAX (give_up - g_get_monotonic_time (), 0)));
    }
}

static void
job_run (gpointer data,
         gpointer user_data)
{
  Job *job = data;
  FerryDeliverer *self = user_data;
  g_autoptr(FerryConfig) config = dup_config (self);
  const FerryDestination *destination = ferry_config_find_destination (config, job->destination);
  GPtrArray *batch = g_steal_pointer (&job->batch);
  Link link = { 0 };

  while (batch != NULL && batch->len > 0)
    {
      if (!is_running (self))
        {
          /* Stopped before this batch began: nothing was sent, the rows are queued again. */
          g_autoptr(GPtrArray) outcomes =
            g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_outcome_free);

          finish_rest (outcomes, batch, 0, FERRY_DELIVERY_QUEUED, NULL, NULL, g_get_real_time ());
          flush_outcomes (self, outcomes);
          g_clear_pointer (&batch, g_ptr_array_unref);
          break;
        }

      if (destination == NULL)
        {
          g_autoptr(GPtrArray) outcomes =
            g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_outcome_free);
          g_autofree char *reason =
            g_strdup_printf (_("The destination “%s” is no longer in the settings"),
                             job->destination);

          finish_rest (outcomes, batch, 0, FERRY_DELIVERY_FAILED, NULL, reason,
                       g_get_real_time ());
          flush_outcomes (self, outcomes);
          g_clear_pointer (&batch, g_ptr_array_unref);
          break;
        }

      if (!send_batch (self, config, destination, batch, &link))
        {
          g_clear_pointer (&batch, g_ptr_array_unref);
          break;
        }
      g_clear_pointer (&batch, g_ptr_array_unref);

      /* More for this destination (the rest of a study still arriving, or the next one), over
       * the same association when it can carry them. */
      batch = claim_more (self, job->destination);
    }
  g_clear_pointer (&batch, g_ptr_array_unref);
  link_close (self, &link);

  g_mutex_lock (&self->lock);
  {
    guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->active, job->destination));

    if (n <= 1)
      g_hash_table_remove (self->active, job->destination);
    else
      g_hash_table_insert (self->active, g_strdup (job->destination), GUINT_TO_POINTER (n - 1));
    self->kicked = TRUE;
    g_cond_broadcast (&self->cond);
  }
  g_mutex_unlock (&self->lock);

  job_free (job);
}

/* ------------------------------------------------------------------------------------------ */
/* The scheduler                                                                              */

static void
route_pending (FerryDeliverer    *self,
               const FerryConfig *config)
{
  for (;;)
    {
      g_autoptr(GPtrArray) pending = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GHashTable) studies = g_hash_table_new (g_str_hash, g_str_equal);
      GHashTableIter iter;
      gpointer study;

      pending = ferry_ledger_list_unrouted (self->db, ROUTE_BATCH, &error);
      if (pending == NULL)
        {
          g_message ("Could not read the instances to route: %s", error->message);
          return;
        }
      if (pending->len == 0)
        return;

      for (guint i = 0; i < pending->len; i++)
        {
          FerryRoutable *r = g_ptr_array_index (pending, i);
          g_autofree char *path = ferry_archive_dup_path (self->archive, r->file_path);
          g_autoptr(GError) route_error = NULL;

          r->routes = ferry_router_route (config, r, path, &route_error);
          if (r->routes == NULL)
            {
              /* The rules could not read the file; the device's destinations still apply. */
              g_autoptr(FerryConfig) plain = ferry_config_copy (config);

              g_message ("Routing %s without rules: %s", r->sop_instance_uid,
                         route_error->message);
              g_ptr_array_set_size (plain->rules, 0);
              r->routes = ferry_router_route (plain, r, path, NULL);
            }
          g_hash_table_add (studies, r->study_instance_uid);
        }

      if (!ferry_ledger_route (self->db, pending, g_get_real_time (), &error))
        {
          g_message ("Could not record where %u instances go: %s", pending->len,
                     error->message);
          return;
        }

      if (self->changed != NULL)
        {
          g_hash_table_iter_init (&iter, studies);
          while (g_hash_table_iter_next (&iter, &study, NULL))
            self->changed (study, self->user_data);
        }

      if (pending->len < ROUTE_BATCH)
        return;
    }
}

static void
schedule (FerryDeliverer    *self,
          const FerryConfig *config)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) due = NULL;
  gint64 now = g_get_real_time ();

  due = ferry_ledger_due_destinations (self->db, now, &error);
  if (due == NULL)
    {
      g_message ("Could not read the delivery ledger: %s", error->message);
      return;
    }

  for (guint i = 0; due[i] != NULL; i++)
    {
      const FerryDestination *destination = ferry_config_find_destination (config, due[i]);
      guint max = destination != NULL ? MAX (destination->max_associations, 1) : 1;

      for (;;)
        {
          GPtrArray *batch;
          Job *job;
          guint n;

          g_mutex_lock (&self->lock);
          n = GPOINTER_TO_UINT (g_hash_table_lookup (self->active, due[i]));
          if (n >= max || !self->running)
            {
              g_mutex_unlock (&self->lock);
              break;
            }
          g_hash_table_insert (self->active, g_strdup (due[i]), GUINT_TO_POINTER (n + 1));
          g_mutex_unlock (&self->lock);

          batch = ferry_ledger_claim (self->db, due[i], now, CLAIM_BATCH, &error);
          if (batch == NULL || batch->len == 0)
            {
              if (batch == NULL)
                g_message ("Could not read the delivery ledger: %s", error->message);
              g_clear_error (&error);
              g_clear_pointer (&batch, g_ptr_array_unref);
              g_mutex_lock (&self->lock);
              if (n == 0)
                g_hash_table_remove (self->active, due[i]);
              else
                g_hash_table_insert (self->active, g_strdup (due[i]), GUINT_TO_POINTER (n));
              g_mutex_unlock (&self->lock);
              break;
            }

          job = g_new0 (Job, 1);
          job->destination = g_strdup (due[i]);
          job->batch = batch;
          g_thread_pool_push (self->pool, job, NULL);
        }
    }
}

static gpointer
scheduler_main (gpointer data)
{
  FerryDeliverer *self = data;

  g_mutex_lock (&self->lock);
  while (self->running)
    {
      g_autoptr(FerryConfig) config = NULL;
      g_autoptr(GError) error = NULL;
      gint64 next_retry = 0;
      gint64 wake;

      config = ferry_config_copy (self->config);
      g_mutex_unlock (&self->lock);

      /* A cart sending a study kicks once per image: gather them into one round of ledger
       * queries instead of one per image, each of which waits for the database. */
      g_usleep (SETTLE_USEC);
      g_mutex_lock (&self->lock);
      self->kicked = FALSE;
      g_mutex_unlock (&self->lock);

      route_pending (self, config);
      schedule (self, config);
      if (!ferry_ledger_next_retry (self->db, &next_retry, &error) && error != NULL)
        g_message ("Could not read the delivery ledger: %s", error->message);

      g_mutex_lock (&self->lock);
      if (!self->running || self->kicked)
        continue;

      wake = g_get_monotonic_time () + POLL_SECONDS * G_USEC_PER_SEC;
      if (next_retry > 0)
        wake = MIN (wake, g_get_monotonic_time () + MAX (next_retry - g_get_real_time (), 0));
      while (self->running && !self->kicked)
        if (!g_cond_wait_until (&self->cond, &self->lock, wake))
          break;
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Public                                                                                     */

FerryDeliverer *
ferry_deliverer_new (FerryDatabase              *db,
                     FerryArchive               *archive,
                     FerryDeliveriesChangedFunc  changed,
                     gpointer                    user_data)
{
  FerryDeliverer *self;

  g_return_val_if_fail (db != NULL, NULL);
  g_return_val_if_fail (archive != NULL, NULL);

  self = g_new0 (FerryDeliverer, 1);
  self->db = db;
  self->archive = archive;
  self->changed = changed;
  self->user_data = user_data;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->config = ferry_config_new_default ();
  self->active = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->senders = g_ptr_array_new ();
  return self;
}

static gboolean
same_peer (const FerryDestination *a,
           const FerryDestination *b)
{
  return g_ascii_strcasecmp (a->host, b->host) == 0 && a->port == b->port &&
         g_strcmp0 (a->ae_title, b->ae_title) == 0;
}

/* What a new configuration means for rows already in the ledger: a renamed destination (gone
 * under one name, present under another with the same AE title, host and port) takes its rows
 * along; a destination whose address changed is tried again now rather than at the next retry,
 * since the admin has probably just fixed it. */
static void
carry_ledger_over (FerryDeliverer    *self,
                   const FerryConfig *old,
                   const FerryConfig *config)
{
  for (guint i = 0; old->destinations != NULL && i < old->destinations->len; i++)
    {
      const FerryDestination *before = g_ptr_array_index (old->destinations, i);
      const FerryDestination *after = ferry_config_find_destination (config, before->name);
      g_autoptr(GError) error = NULL;

      if (after == NULL)
        {
          for (guint j = 0; config->destinations != NULL && j < config->destinations->len; j++)
            {
              const FerryDestination *candidate = g_ptr_array_index (config->destinations, j);

              if (same_peer (before, candidate) &&
                  ferry_config_find_destination (old, candidate->name) == NULL)
                {
                  guint moved = 0;

                  if (!ferry_ledger_rename_destination (self->db, before->name, candidate->name,
                                                        &moved, &error))
                    g_message ("Could not move the deliveries of “%s” to “%s”: %s",
                               before->name, candidate->name, error->message);
                  else if (moved > 0)
                    g_info ("%u deliveries follow “%s”, renamed “%s”", moved, before->name,
                            candidate->name);
                  break;
                }
            }
        }
      else if (!same_peer (before, after))
        {
          FerryLedgerFilter filter = { .destination = after->name };

          if (!ferry_ledger_act (self->db, FERRY_LEDGER_RETRY_NOW, &filter, g_get_real_time (),
                                 NULL, &error))
            g_message ("Could not retry the deliveries to “%s”: %s", after->name,
                       error->message);
        }
    }
}

void
ferry_deliverer_set_config (FerryDeliverer    *self,
                            const FerryConfig *config)
{
  g_autoptr(FerryConfig) old = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (config != NULL);

  old = dup_config (self);
  carry_ledger_over (self, old, config);

  g_mutex_lock (&self->lock);
  ferry_config_free (self->config);
  self->config = ferry_config_copy (config);
  self->kicked = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

gboolean
ferry_deliverer_start (FerryDeliverer  *self,
                       GError         **error)
{
  guint resumed = 0;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (self->scheduler == NULL, FALSE);

  if (!ferry_ledger_resume (self->db, g_get_real_time (), &resumed, error))
    return FALSE;
  if (resumed > 0)
    g_message (g_dngettext (GETTEXT_PACKAGE,
                            "Resuming %u delivery that was under way when Ferry stopped",
                            "Resuming %u deliveries that were under way when Ferry stopped",
                            resumed), resumed);

  self->pool = g_thread_pool_new (job_run, self, MAX_SENDERS, FALSE, error);
  if (self->pool == NULL)
    return FALSE;

  self->running = TRUE;
  self->kicked = TRUE;
  self->scheduler = g_thread_new ("ferry-deliver", scheduler_main, self);
  return TRUE;
}

void
ferry_deliverer_kick (FerryDeliverer *self)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->kicked = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

void
ferry_deliverer_stop (FerryDeliverer *self)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  if (!self->running)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  self->running = FALSE;
  g_cond_broadcast (&self->cond);
  for (guint i = 0; i < self->senders->len; i++)
    ferry_dicom_sender_abort (g_ptr_array_index (self->senders, i));
  g_mutex_unlock (&self->lock);

  g_thread_join (g_steal_pointer (&self->scheduler));
  /* Jobs still queued in the pool run, see !running and give their rows back. */
  g_thread_pool_free (g_steal_pointer (&self->pool), FALSE, TRUE);
}

void
ferry_deliverer_free (FerryDeliverer *self)
{
  if (self == NULL)
    return;
  ferry_deliverer_stop (self);
  ferry_config_free (self->config);
  g_hash_table_unref (self->active);
  g_ptr_array_unref (self->senders);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}
