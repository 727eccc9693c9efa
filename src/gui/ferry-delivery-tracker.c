/* ferry-delivery-tracker.c: delivery summaries of the studies on screen, and their words
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Studies page shows, for each visible study, where its images went. Summaries are read in
 * the engine's workers, only for studies a row shows, and kept here by Study Instance UID. The
 * engine says "deliveries-changed" for every group of answers a PACS gives, so while images flow
 * that comes many times a second: a study has at most one read in flight, and changes that
 * arrive meanwhile cost exactly one more read when it completes.
 */

#define G_LOG_DOMAIN "ferry-delivery-tracker"

#include "config.h"


#include "ferry-delivery-tracker.h"

typedef struct
{
  GPtrArray *summaries;    /* (element-type FerryDeliverySummary) (nullable) */
  guint      watchers;
  gboolean   in_flight;
  gboolean   stale;        /* changed since the read in flight (or the last one) started */
} Entry;

struct _FerryDeliveryTracker
{
  GObject       parent_instance;

  /* Owned */
  FerryEngine  *engine;
  GHashTable   *entries;     /* Study Instance UID → Entry */
  GCancellable *cancellable;
};

enum {
  SUMMARIES_CHANGED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (FerryDeliveryTracker, ferry_delivery_tracker, G_TYPE_OBJECT)

static guint signals[N_SIGNALS];

static void
entry_free (Entry *entry)
{
  g_clear_pointer (&entry->summaries, g_ptr_array_unref);
  g_free (entry);
}

static void fetch (FerryDeliveryTracker *self,
                   const char           *study_instance_uid,
                   Entry                *entry);

typedef struct
{
  FerryDeliveryTracker *tracker;
  char                 *study_instance_uid;
} Fetch;

static void
fetch_free (Fetch *data)
{
  g_object_unref (data->tracker);
  g_free (data->study_instance_uid);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fetch, fetch_free)

static void
summarize_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Fetch) data = user_data;
  FerryDeliveryTracker *self = data->tracker;
  g_autoptr(GPtrArray) summaries = NULL;
  g_autoptr(GError) error = NULL;
  Entry *entry;

  summaries = ferry_engine_summarize_deliveries_finish (FERRY_ENGINE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  entry = g_hash_table_lookup (self->entries, data->study_instance_uid);
  g_assert (entry != NULL);
  entry->in_flight = FALSE;

  if (summaries == NULL)
    {
      /* The line keeps what it said before; the next change tries again. */
      g_message ("Could not read the deliveries of a study: %s", error->message);
      entry->stale = TRUE;
      return;
    }

  g_clear_pointer (&entry->summaries, g_ptr_array_unref);
  entry->summaries = g_steal_pointer (&summaries);

  if (entry->stale && entry->watchers > 0)
    fetch (self, data->study_instance_uid, entry);

  g_signal_emit (self, signals[SUMMARIES_CHANGED], 0, data->study_instance_uid);
}

static void
fetch (FerryDeliveryTracker *self,
       const char           *study_instance_uid,
       Entry                *entry)
{
  Fetch *data;

  g_assert (FERRY_IS_DELIVERY_TRACKER (self));

  if (entry->in_flight)
    {
      entry->stale = TRUE;
      return;
    }

  entry->in_flight = TRUE;
  entry->stale = FALSE;

  data = g_new0 (Fetch, 1);
  data->tracker = g_object_ref (self);
  data->study_instance_uid = g_strdup (study_instance_uid);
  ferry_engine_summarize_deliveries_async (self->engine, study_instance_uid, self->cancellable,
                                           summarize_cb, data);
}

static void
deliveries_changed_cb (FerryDeliveryTracker *self,
                       const char           *study_instance_uid,
                       FerryEngine          *engine)
{
  Entry *entry;

  if (study_instance_uid == NULL
      || !(entry = g_hash_table_lookup (self->entries, study_instance_uid)))
    return;

  /* A study nobody shows is read again when a row shows it. */
  if (entry->watchers > 0)
    fetch (self, study_instance_uid, entry);
  else
    entry->stale = TRUE;
}

static void
ferry_delivery_tracker_dispose (GObject *object)
{
  FerryDeliveryTracker *self = (FerryDeliveryTracker *)object;

  g_cancellable_cancel (self->cancellable);
  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_func (self->engine, deliveries_changed_cb, self);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (ferry_delivery_tracker_parent_class)->dispose (object);
}

static void
ferry_delivery_tracker_finalize (GObject *object)
{
  FerryDeliveryTracker *self = (FerryDeliveryTracker *)object;

  g_clear_pointer (&self->entries, g_hash_table_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (ferry_delivery_tracker_parent_class)->finalize (object);
}

static void
ferry_delivery_tracker_class_init (FerryDeliveryTrackerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_delivery_tracker_dispose;
  object_class->finalize = ferry_delivery_tracker_finalize;

  signals[SUMMARIES_CHANGED] =
    g_signal_new ("summaries-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
ferry_delivery_tracker_init (FerryDeliveryTracker *self)
{
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) entry_free);
  self->cancellable = g_cancellable_new ();
}

/**
 * ferry_delivery_tracker_new:
 * @engine: the engine whose ledger is shown
 *
 * Returns: (transfer full): a tracker with nothing watched
 */
FerryDeliveryTracker *
ferry_delivery_tracker_new (FerryEngine *engine)
{
  FerryDeliveryTracker *self;

  g_return_val_if_fail (FERRY_IS_ENGINE (engine), NULL);

  self = g_object_new (FERRY_TYPE_DELIVERY_TRACKER, NULL);
  self->engine = g_object_ref (engine);
  g_signal_connect_object (engine, "deliveries-changed",
                           G_CALLBACK (deliveries_changed_cb), self, G_CONNECT_SWAPPED);

  return self;
}

void
ferry_delivery_tracker_watch (FerryDeliveryTracker *self,
                              const char           *study_instance_uid)
{
  Entry *entry;

  g_return_if_fail (FERRY_IS_DELIVERY_TRACKER (self));
  g_return_if_fail (study_instance_uid != NULL);

  if (!(entry = g_hash_table_lookup (self->entries, study_instance_uid)))
    {
      entry = g_new0 (Entry, 1);
      entry->stale = TRUE;
      g_hash_table_insert (self->entries, g_strdup (study_instance_uid), entry);
    }

  entry->watchers++;

  if (entry->stale)
    fetch (self, study_instance_uid, entry);
}

void
ferry_delivery_tracker_unwatch (FerryDeliveryTracker *self,
                                const char           *study_instance_uid)
{
  Entry *entry;

  g_return_if_fail (FERRY_IS_DELIVERY_TRACKER (self));
  g_return_if_fail (study_instance_uid != NULL);

  entry = g_hash_table_lookup (self->entries, study_instance_uid);
  g_return_if_fail (entry != NULL && entry->watchers > 0);

  entry->watchers--;
}

GPtrArray *
ferry_delivery_tracker_lookup (FerryDeliveryTracker *self,
                               const char           *study_instance_uid)
{
  Entry *entry;

  g_return_val_if_fail (FERRY_IS_DELIVERY_TRACKER (self), NULL);
  g_return_val_if_fail (study_instance_uid != NULL, NULL);

  entry = g_hash_table_lookup (self->entries, study_instance_uid);

  return entry != NULL ? entry->summaries : NULL;
}
