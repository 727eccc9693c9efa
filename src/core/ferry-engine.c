/* ferry-engine.c: the one object the window and ferry-cli hold
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ferry-engine"

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "ferry-archive.h"
#include "ferry-database.h"
#include "ferry-dicom.h"
#include "ferry-engine.h"
#include "ferry-engine-private.h"
#include "ferry-deliverer.h"
#include "ferry-receiver.h"

/* How long associations in flight may take to finish when the receiver stops. */
#define STOP_GRACE_SECONDS 5

struct _FerryEngine
{
  GObject parent_instance;

  /* Owned */
  GMainContext  *main_context;
  FerryPaths    *paths;
  FerryConfig   *config;
  FerryDatabase *db;
  FerryArchive  *archive;
  FerryLock     *lock;
  GListStore    *studies;
  GHashTable    *study_by_uid;        /* study UID → FerryStudy (borrowed from the store) */
  GHashTable    *dirty_studies;       /* study UIDs to read again (a set) */
  GFileMonitor  *config_monitor;
  GCancellable  *cancellable;
  char          *receiver_error;
  char          *ae_title_override;

  /* The receiver is swapped by workers (apply_config) and read by stop(): guarded. */
  GMutex         receiver_lock;
  FerryReceiver *receiver;

  /* Created by start() and freed by stop(), both under apply_lock, around the receiver's life:
   * the receiver's threads may kick it whenever they exist. */
  FerryDeliverer *deliverer;

  /* Applying configuration is serialised: a worker compares against what the previous apply
   * put in force, never against self->config, which the main thread replaces. */
  GMutex         apply_lock;
  FerryConfig   *applied;

  int                port_override;
  gboolean           receiver_disabled;  /* set before start(); ferry-cli send */
  guint              receiver_port;
  FerryReceiverState receiver_state;
  guint              config_generation;
  guint              studies_loaded : 1;
  guint              studies_loading : 1;
  guint              refreshing : 1;
  /* Written on the main thread and read by apply workers, both under apply_lock; a field of its
   * own, not a bit beside the main-thread-only flags. */
  gboolean           started;
};

G_DEFINE_FINAL_TYPE (FerryEngine, ferry_engine, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (FerryReceiverState, ferry_receiver_state,
                    G_DEFINE_ENUM_VALUE (FERRY_RECEIVER_STOPPED, "stopped"),
                    G_DEFINE_ENUM_VALUE (FERRY_RECEIVER_LISTENING, "listening"),
                    G_DEFINE_ENUM_VALUE (FERRY_RECEIVER_FAILED, "failed"))

enum {
  PROP_0,
  PROP_RECEIVER_STATE,
  PROP_RECEIVER_PORT,
  PROP_RECEIVER_ERROR,
  PROP_STUDIES_LOADED,
  PROP_CONFIG_GENERATION,
  N_PROPS
};

enum {
  INSTANCE_STORED,
  STUDY_CHANGED,
  STORE_FAILED,
  DELIVERIES_CHANGED,
  NEW_VERSION,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------------------------------ */
/* Receiver state, main thread only.                                                          */

static void
set_receiver_state (FerryEngine        *self,
                    FerryReceiverState  state,
                    guint               port,
                    const char         *error_message)
{
  g_object_freeze_notify (G_OBJECT (self));

  if (self->receiver_state != state)
    {
      self->receiver_state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECEIVER_STATE]);
    }
  if (self->receiver_port != port)
    {
      self->receiver_port = port;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECEIVER_PORT]);
    }
  if (g_strcmp0 (self->receiver_error, error_message) != 0)
    {
      g_free (self->receiver_error);
      self->receiver_error = g_strdup (error_message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECEIVER_ERROR]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

/* The configuration the receiver runs with: the saved one plus command-line overrides. */
static FerryConfig *
effective_config (FerryEngine       *self,
                  const FerryConfig *config)
{
  FerryConfig *effective = ferry_config_copy (config);

  if (self->ae_title_override != NULL)
    {
      g_free (effective->receiver_ae_title);
      effective->receiver_ae_title = g_strdup (self->ae_title_override);
    }

  return effective;
}

static guint16
effective_port (FerryEngine       *self,
                const FerryConfig *config)
{
  return self->port_override >= 0 ? (guint16) self->port_override : config->port;
}

/* ------------------------------------------------------------------------------------------ */
/* From association threads to the main thread.                                               */

typedef struct {
  FerryEngine      *engine;
  char             *study_instance_uid;
  char             *sop_instance_uid;
  char             *calling_ae;
  char             *message;
} Handoff;

static void
handoff_free (gpointer data)
{
  Handoff *handoff = data;

  g_clear_object (&handoff->engine);
  g_free (handoff->study_instance_uid);
  g_free (handoff->sop_instance_uid);
  g_free (handoff->calling_ae);
  g_free (handoff->message);
  g_free (handoff);
}

static FerryStudy *
upsert_study (FerryEngine            *self,
              const FerryStudyRecord *record)
{
  FerryStudy *study = g_hash_table_lookup (self->study_by_uid, record->study_instance_uid);

  if (study != NULL)
    {
      ferry_study_update (study, record);
      return study;
    }

  study = ferry_study_new (record);
  g_hash_table_insert (self->study_by_uid, g_strdup (record->study_instance_uid), study);
  g_list_store_insert (self->studies, 0, study);
  g_object_unref (study);

  return study;
}

static void refresh_studies (FerryEngine *self);

/* Reads the studies that changed, off the main thread and off the C-STORE's path. */
static void
refresh_studies_worker (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  FerryEngine *self = source_object;
  GPtrArray *uids = task_data;
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_study_record_free);

  for (guint i = 0; i < uids->len; i++)
    {
      g_autoptr(GError) error = NULL;
      FerryStudyRecord *record = ferry_database_get_study (self->db, g_ptr_array_index (uids, i), &error);

      if (record != NULL)
        g_ptr_array_add (records, record);
      else
        g_message ("Could not read a changed study back: %s", error->message);
    }

  g_task_return_pointer (task, records, (GDestroyNotify) g_ptr_array_unref);
}

static void
refresh_studies_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  FerryEngine *self = FERRY_ENGINE (object);
  g_autoptr(GPtrArray) records = g_task_propagate_pointer (G_TASK (result), NULL);

  self->refreshing = FALSE;
  if (records == NULL)
    return;

  for (guint i = 0; i < records->len; i++)
    {
      FerryStudy *study = upsert_study (self, g_ptr_array_index (records, i));

      g_signal_emit (self, signals[STUDY_CHANGED], 0, study);
    }

  /* What changed while this read ran. */
  refresh_studies (self);
}

/* One read at a time, for every study touched since the last one: a cart sending 500 images
 * costs a handful of queries, not 500. */
static void
refresh_studies (FerryEngine *self)
{
  g_autoptr(GTask) task = NULL;
  GPtrArray *uids;
  GHashTableIter iter;
  gpointer key;

  if (self->refreshing || g_hash_table_size (self->dirty_studies) == 0)
    return;

  uids = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_iter_init (&iter, self->dirty_studies);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_ptr_array_add (uids, key);
      g_hash_table_iter_steal (&iter);
    }

  self->refreshing = TRUE;
  task = g_task_new (self, self->cancellable, refresh_studies_cb, NULL);
  g_task_set_source_tag (task, refresh_studies);
  g_task_set_task_data (task, uids, (GDestroyNotify) g_ptr_array_unref);
  g_task_run_in_thread (task, refresh_studies_worker);
}

static gboolean
instance_stored_main_cb (gpointer data)
{
  Handoff *handoff = data;
  FerryEngine *self = handoff->engine;

  g_signal_emit (self, signals[INSTANCE_STORED], 0, handoff->study_instance_uid,
                 handoff->sop_instance_uid);

  /* Nobody has asked for the list (ferry-cli serve): keep no objects for it. */
  if (!self->studies_loaded && !self->studies_loading)
    return G_SOURCE_REMOVE;

  g_hash_table_add (self->dirty_studies, g_strdup (handoff->study_instance_uid));
  refresh_studies (self);

  return G_SOURCE_REMOVE;
}

static gboolean
store_failed_main_cb (gpointer data)
{
  Handoff *handoff = data;

  g_signal_emit (handoff->engine, signals[STORE_FAILED], 0, handoff->calling_ae, handoff->message);

  return G_SOURCE_REMOVE;
}

/* Always through the main context, never inline: g_main_context_invoke() would run the
 * callback on the association thread whenever nobody owns the context (before the CLI's loop
 * runs, during a stop). */
static void
post_to_main (FerryEngine *self,
              GSourceFunc  func,
              Handoff     *handoff)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT_IDLE);
  g_source_set_callback (source, func, handoff, handoff_free);
  g_source_set_static_name (source, "[ferry] engine handoff");
  g_source_attach (source, self->main_context);
}

static void
receiver_instance_stored_cb (const char *study_instance_uid,
                             const char *sop_instance_uid,
                             gpointer    user_data)
{
  FerryEngine *self = user_data;
  Handoff *handoff = g_new0 (Handoff, 1);

  handoff->engine = g_object_ref (self);
  handoff->study_instance_uid = g_strdup (study_instance_uid);
  handoff->sop_instance_uid = g_strdup (sop_instance_uid);
  post_to_main (self, instance_stored_main_cb, handoff);

  /* Route and send it now rather than at the next poll. */
  if (self->deliverer != NULL)
    ferry_deliverer_kick (self->deliverer);
}

static gboolean
new_version_main_cb (gpointer data)
{
  Handoff *handoff = data;

  g_signal_emit (handoff->engine, signals[NEW_VERSION], 0, handoff->calling_ae,
                 handoff->sop_instance_uid);
  return G_SOURCE_REMOVE;
}

static void
receiver_new_version_cb (const char *calling_ae,
                         const char *sop_instance_uid,
                         gpointer    user_data)
{
  FerryEngine *self = user_data;
  Handoff *handoff = g_new0 (Handoff, 1);

  handoff->engine = g_object_ref (self);
  handoff->calling_ae = g_strdup (calling_ae);
  handoff->sop_instance_uid = g_strdup (sop_instance_uid);
  post_to_main (self, new_version_main_cb, handoff);
}

static gboolean
deliveries_changed_main_cb (gpointer data)
{
  Handoff *handoff = data;

  g_signal_emit (handoff->engine, signals[DELIVERIES_CHANGED], 0, handoff->study_instance_uid);
  return G_SOURCE_REMOVE;
}

/* On the deliverer's threads. */
static void
deliveries_changed_cb (const char *study_instance_uid,
                       gpointer    user_data)
{
  FerryEngine *self = user_data;
  Handoff *handoff = g_new0 (Handoff, 1);

  handoff->engine = g_object_ref (self);
  handoff->study_instance_uid = g_strdup (study_instance_uid);
  post_to_main (self, deliveries_changed_main_cb, handoff);
}

static void
receiver_store_failed_cb (const char *calling_ae,
                          const char *message,
                          gpointer    user_data)
{
  FerryEngine *self = user_data;
  Handoff *handoff = g_new0 (Handoff, 1);

  handoff->engine = g_object_ref (self);
  handoff->calling_ae = g_strdup (calling_ae);
  handoff->message = g_strdup (message);
  post_to_main (self, store_failed_main_cb, handoff);
}

static const FerryReceiverCallbacks receiver_callbacks = {
  .instance_stored = receiver_instance_stored_cb,
  .store_failed = receiver_store_failed_cb,
  .new_version = receiver_new_version_cb,
};

/* Binds and starts a receiver; any thread. */
static FerryReceiver *
open_receiver (FerryEngine        *self,
               const FerryConfig  *config,
               guint16             port,
               GError            **error)
{
  g_autoptr(FerryConfig) effective = effective_config (self, config);
  g_autoptr(FerryReceiver) receiver = NULL;

  receiver = ferry_receiver_new (effective, port, self->archive, self->db,
                                 &receiver_callbacks, self, error);
  if (receiver == NULL)
    return NULL;

  if (!ferry_receiver_start (receiver, error))
    return NULL;

  g_message ("Receiving on port %u as %s", ferry_receiver_get_port (receiver),
             effective->receiver_ae_title);

  return g_steal_pointer (&receiver);
}

static void
close_receiver (FerryEngine *self)
{
  FerryReceiver *receiver;

  g_mutex_lock (&self->receiver_lock);
  receiver = g_steal_pointer (&self->receiver);
  g_mutex_unlock (&self->receiver_lock);

  if (receiver != NULL)
    {
      ferry_receiver_stop (receiver, STOP_GRACE_SECONDS);
      ferry_receiver_free (receiver);
      g_message ("Receiver stopped");
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Studies.                                                                                   */

static void
load_studies_worker (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  FerryEngine *self = source_object;
  GError *error = NULL;
  GPtrArray *records;

  records = ferry_database_list_studies (self->db, &error);
  if (records == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, records, (GDestroyNotify) g_ptr_array_unref);
}

static void
load_studies_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  FerryEngine *self = FERRY_ENGINE (object);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) studies = NULL;
  g_autoptr(GError) error = NULL;

  self->studies_loading = FALSE;

  records = g_task_propagate_pointer (G_TASK (result), &error);
  if (records == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("Could not load the studies: %s", error->message);
      return;
    }

  /* Studies that arrived while the list was loading are in the store already and newer than
   * what the query saw; the rest go after them, newest first as the query returned them. */
  studies = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < records->len; i++)
    {
      const FerryStudyRecord *record = g_ptr_array_index (records, i);
      FerryStudy *study;

      if (g_hash_table_contains (self->study_by_uid, record->study_instance_uid))
        continue;

      study = ferry_study_new (record);
      g_hash_table_insert (self->study_by_uid, g_strdup (record->study_instance_uid), study);
      g_ptr_array_add (studies, study);
    }
  g_list_store_splice (self->studies, g_list_model_get_n_items (G_LIST_MODEL (self->studies)), 0,
                       studies->pdata, studies->len);

  self->studies_loaded = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STUDIES_LOADED]);
}

static void
ensure_studies_loading (FerryEngine *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->studies_loaded || self->studies_loading)
    return;

  self->studies_loading = TRUE;
  task = g_task_new (self, self->cancellable, load_studies_cb, NULL);
  g_task_set_source_tag (task, ensure_studies_loading);
  g_task_run_in_thread (task, load_studies_worker);
}

/* ------------------------------------------------------------------------------------------ */
/* Applying configuration.                                                                    */

typedef struct {
  FerryConfig   *config;
  gboolean       save;            /* FALSE when config.json is where it came from */
  FerryReceiver *old_receiver;    /* to stop and free on the worker */
  gboolean       restarted;
  gboolean       receiver_failed;
  guint          port;
  char          *receiver_error;
} ApplyData;

static void
apply_data_free (gpointer data)
{
  ApplyData *apply = data;

  g_clear_pointer (&apply->config, ferry_config_free);
  if (apply->old_receiver != NULL)
    ferry_receiver_free (apply->old_receiver);
  g_free (apply->receiver_error);
  g_free (apply);
}

static gboolean
receiver_settings_changed (const FerryConfig *a,
                           const FerryConfig *b)
{
  return a->port != b->port ||
         g_strcmp0 (a->receiver_ae_title, b->receiver_ae_title) != 0 ||
         a->max_associations != b->max_associations ||
         a->timeout_seconds != b->timeout_seconds;
}

/* Saves and, when needed, rebinds, compared with @current (what is in force). */
static gboolean
apply_receiver_config (FerryEngine        *self,
                       const FerryConfig  *current,
                       ApplyData          *apply,
                       GError            **error)
{
  g_autoptr(FerryConfig) effective = NULL;
  FerryReceiver *receiver;

  if (apply->save && !ferry_config_save (apply->config, self->paths->config_file, error))
    return FALSE;

  if (self->archive != NULL)
    ferry_archive_set_reserve (self->archive, apply->config->disk_reserve_bytes);

  g_mutex_lock (&self->receiver_lock);
  receiver = self->receiver;
  g_mutex_unlock (&self->receiver_lock);

  if (!self->started || self->receiver_disabled)
    return TRUE;

  effective = effective_config (self, apply->config);

  if (receiver != NULL && !receiver_settings_changed (current, apply->config))
    {
      ferry_receiver_set_config (receiver, effective);
      apply->port = ferry_receiver_get_port (receiver);
      return TRUE;
    }

  {
    guint16 new_port = effective_port (self, apply->config);
    g_autoptr(GError) local_error = NULL;
    FerryReceiver *fresh = NULL;

    /* A different port is bound before the old receiver stops, so "port in use" leaves the
     * running receiver alone. The same port must be released first. */
    if (receiver == NULL || new_port == 0 || new_port != ferry_receiver_get_port (receiver))
      {
        fresh = open_receiver (self, apply->config, new_port, &local_error);
        if (fresh == NULL)
          {
            if (receiver != NULL)
              {
                g_propagate_error (error, g_steal_pointer (&local_error));
                return FALSE;
              }
            apply->receiver_failed = TRUE;
            apply->receiver_error = g_strdup (local_error->message);
            apply->restarted = TRUE;
            return TRUE;
          }
      }

    g_mutex_lock (&self->receiver_lock);
    apply->old_receiver = g_steal_pointer (&self->receiver);
    g_mutex_unlock (&self->receiver_lock);

    if (apply->old_receiver != NULL)
      {
        ferry_receiver_stop (apply->old_receiver, STOP_GRACE_SECONDS);
        g_clear_pointer (&apply->old_receiver, ferry_receiver_free);
      }

    if (fresh == NULL)
      {
        fresh = open_receiver (self, apply->config, new_port, &local_error);
        if (fresh == NULL)
          {
            apply->receiver_failed = TRUE;
            apply->receiver_error = g_strdup (local_error->message);
            apply->restarted = TRUE;
            return TRUE;
          }
      }

    g_mutex_lock (&self->receiver_lock);
    self->receiver = fresh;
    g_mutex_unlock (&self->receiver_lock);

    apply->port = ferry_receiver_get_port (fresh);
    apply->restarted = TRUE;
  }

  return TRUE;
}

/* Saves and, when needed, rebinds. Runs on a worker (or the CLI's only thread). */
static gboolean
apply_config_in_worker (FerryEngine  *self,
                        ApplyData    *apply,
                        GError      **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->apply_lock);
  gboolean ret;

  ret = apply_receiver_config (self, self->applied, apply, error);
  if (ret)
    {
      ferry_config_free (self->applied);
      self->applied = ferry_config_copy (apply->config);
      if (self->deliverer != NULL)
        ferry_deliverer_set_config (self->deliverer, apply->config);
    }

  return ret;
}

/* Main thread: the new configuration is in force. */
static void
apply_config_done (FerryEngine *self,
                   ApplyData   *apply)
{
  g_clear_pointer (&self->config, ferry_config_free);
  self->config = g_steal_pointer (&apply->config);

  if (self->started)
    {
      if (apply->receiver_failed)
        set_receiver_state (self, FERRY_RECEIVER_FAILED, 0, apply->receiver_error);
      else
        set_receiver_state (self, FERRY_RECEIVER_LISTENING, apply->port, NULL);
    }

  self->config_generation++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONFIG_GENERATION]);
}

static void
apply_config_worker (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  GError *error = NULL;

  if (!apply_config_in_worker (source_object, task_data, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
apply_config_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  FerryEngine *self = FERRY_ENGINE (object);
  g_autoptr(GTask) outer = user_data;
  GTask *inner = G_TASK (result);
  GError *error = NULL;

  if (!g_task_propagate_boolean (inner, &error))
    {
      g_task_return_error (outer, error);
      return;
    }

  apply_config_done (self, g_task_get_task_data (inner));
  g_task_return_boolean (outer, TRUE);
}

gboolean
ferry_engine_validate_config (FerryEngine        *self,
                              const FerryConfig  *config,
                              GError            **error)
{
  g_return_val_if_fail (FERRY_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (config != NULL, FALSE);

  return ferry_config_validate (config, error);
}

static void
apply_config_start (FerryEngine         *self,
                    const FerryConfig   *config,
                    gboolean             save,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) outer = NULL;
  g_autoptr(GTask) inner = NULL;
  GError *error = NULL;
  ApplyData *apply;

  g_return_if_fail (FERRY_IS_ENGINE (self));
  g_return_if_fail (config != NULL);

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, ferry_engine_apply_config_async);

  if (!ferry_config_validate (config, &error))
    {
      g_task_return_error (outer, error);
      return;
    }

  apply = g_new0 (ApplyData, 1);
  apply->config = ferry_config_copy (config);
  apply->save = save;

  inner = g_task_new (self, NULL, apply_config_cb, g_steal_pointer (&outer));
  g_task_set_task_data (inner, apply, apply_data_free);
  g_task_run_in_thread (inner, apply_config_worker);
}

void
ferry_engine_apply_config_async (FerryEngine         *self,
                                 const FerryConfig   *config,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_ENGINE (self));
  g_return_if_fail (config != NULL);

  apply_config_start (self, config, TRUE, cancellable, callback, user_data);
}

gboolean
ferry_engine_apply_config_finish (FerryEngine   *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (FERRY_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
ferry_engine_apply_config_sync (FerryEngine        *self,
                                const FerryConfig  *config,
                                GError            **error)
{
  ApplyData *apply;
  gboolean ret;

  g_return_val_if_fail (FERRY_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (config != NULL, FALSE);

  if (!ferry_config_validate (config, error))
    return FALSE;

  apply = g_new0 (ApplyData, 1);
  apply->config = ferry_config_copy (config);
  apply->save = TRUE;
  ret = apply_config_in_worker (self, apply, error);
  if (ret)
    apply_config_done (self, apply);
  apply_data_free (apply);

  return ret;
}

/* ------------------------------------------------------------------------------------------ */
/* config.json changed by ferry-cli or another tool.                                           */

static void
reload_config_worker (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  const char *path = task_data;
  GError *error = NULL;
  FerryConfig *config;

  config = ferry_config_load (path, &error);
  if (config == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, config, (GDestroyNotify) ferry_config_free);
}

static void
reload_config_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  FerryEngine *self = FERRY_ENGINE (object);
  g_autoptr(FerryConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  config = g_task_propagate_pointer (G_TASK (result), &error);
  if (config == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("Ignoring the changed configuration file: %s", error->message);
      return;
    }

  if (ferry_config_equal (config, self->config))
    return;

  g_message ("Configuration file changed; applying it");
  apply_config_start (self, config, FALSE, self->cancellable, NULL, NULL);
}

static void
config_changed_cb (GFileMonitor      *monitor,
                   GFile             *file,
                   GFile             *other_file,
                   GFileMonitorEvent  event,
                   gpointer           user_data)
{
  FerryEngine *self = user_data;
  g_autoptr(GTask) task = NULL;

  /* Atomic writes arrive as a rename onto config.json. */
  if (event != G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT &&
      event != G_FILE_MONITOR_EVENT_RENAMED &&
      event != G_FILE_MONITOR_EVENT_MOVED_IN &&
      event != G_FILE_MONITOR_EVENT_CREATED)
    return;

  task = g_task_new (self, self->cancellable, reload_config_cb, NULL);
  g_task_set_task_data (task, g_strdup (self->paths->config_file), g_free);
  g_task_run_in_thread (task, reload_config_worker);
}

/* ------------------------------------------------------------------------------------------ */

FerryEngine *
ferry_engine_new (const char  *home,
                  GError     **error)
{
  g_autoptr(FerryEngine) self = g_object_new (FERRY_TYPE_ENGINE, NULL);

  self->paths = ferry_paths_new (home);
  if (!ferry_paths_ensure (self->paths, error))
    return NULL;

  self->config = ferry_config_load (self->paths->config_file, error);
  if (self->config == NULL)
    return NULL;
  self->applied = ferry_config_copy (self->config);

  self->db = ferry_database_open (self->paths->database_file, error);
  if (self->db == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

gboolean
ferry_engine_start (FerryEngine  *self,
                    GError      **error)
{
  g_autoptr(GError) receiver_error = NULL;
  g_autoptr(GFile) config_file = NULL;
  FerryReceiver *receiver;

  g_return_val_if_fail (FERRY_IS_ENGINE (self), FALSE);

  if (self->started)
    return TRUE;

  self->lock = ferry_lock_acquire (self->paths->lock_file, error);
  if (self->lock == NULL)
    return FALSE;

  /* Only the owner opens the archive: opening sweeps the spool, which would take files from
   * under another owner's feet. */
  self->archive = ferry_archive_open (self->paths->archive_dir, self->config->disk_reserve_bytes, error);
  if (self->archive == NULL)
    {
      g_clear_pointer (&self->lock, ferry_lock_release);
      return FALSE;
    }
  if (ferry_archive_get_swept_count (self->archive) > 0)
    g_message ("Removed %u unfinished files left by an earlier run",
               ferry_archive_get_swept_count (self->archive));

  g_mutex_lock (&self->apply_lock);
  self->deliverer = ferry_deliverer_new (self->db, self->archive, deliveries_changed_cb, self);
  ferry_deliverer_set_config (self->deliverer, self->applied);
  if (!ferry_deliverer_start (self->deliverer, error))
    {
      g_clear_pointer (&self->deliverer, ferry_deliverer_free);
      g_mutex_unlock (&self->apply_lock);
      g_clear_pointer (&self->archive, ferry_archive_close);
      g_clear_pointer (&self->lock, ferry_lock_release);
      return FALSE;
    }
  self->started = TRUE;
  g_mutex_unlock (&self->apply_lock);

  if (self->receiver_disabled)
    {
      g_debug ("Not receiving: this engine only delivers");
      receiver = NULL;
    }
  else if ((receiver = open_receiver (self, self->config, effective_port (self, self->config),
                                      &receiver_error)) == NULL)
    {
      g_message ("Not receiving: %s", receiver_error->message);
      set_receiver_state (self, FERRY_RECEIVER_FAILED, 0, receiver_error->message);
    }
  else
    {
      g_mutex_lock (&self->receiver_lock);
      self->receiver = receiver;
      g_mutex_unlock (&self->receiver_lock);
      set_receiver_state (self, FERRY_RECEIVER_LISTENING, ferry_receiver_get_port (receiver), NULL);
    }

  config_file = g_file_new_for_path (self->paths->config_file);
  self->config_monitor = g_file_monitor_file (config_file, G_FILE_MONITOR_WATCH_MOVES, NULL, NULL);
  if (self->config_monitor != NULL)
    g_signal_connect_object (self->config_monitor, "changed", G_CALLBACK (config_changed_cb), self, 0);

  return TRUE;
}

void
ferry_engine_stop (FerryEngine *self)
{
  g_return_if_fail (FERRY_IS_ENGINE (self));

  if (!self->started)
    return;

  if (self->config_monitor != NULL)
    {
      g_file_monitor_cancel (self->config_monitor);
      g_clear_object (&self->config_monitor);
    }

  /* An apply in flight finishes first (it may be binding a receiver that uses the archive);
   * once started is FALSE, none that follows touches the receiver or the archive. */
  g_mutex_lock (&self->apply_lock);
  self->started = FALSE;
  close_receiver (self);
  g_clear_pointer (&self->deliverer, ferry_deliverer_free);
  g_clear_pointer (&self->archive, ferry_archive_close);
  g_mutex_unlock (&self->apply_lock);
  g_clear_pointer (&self->lock, ferry_lock_release);

  set_receiver_state (self, FERRY_RECEIVER_STOPPED, 0, NULL);
}

void
ferry_engine_set_receiver_enabled (FerryEngine *self,
                                   gboolean     enabled)
{
  g_return_if_fail (FERRY_IS_ENGINE (self));
  g_return_if_fail (!self->started);

  self->receiver_disabled = !enabled;
}

/* ferry-engine-private.h */
void
ferry_engine_notify_deliveries_changed (FerryEngine *self,
                                        const char  *study_instance_uid)
{
  /* An engine that is not running (ferry-cli retry beside a running Ferry) has nobody to tell
   * and no main loop to tell it in. */
  gboolean started;

  g_mutex_lock (&self->apply_lock);
  started = self->started;
  g_mutex_unlock (&self->apply_lock);

  if (started)
    deliveries_changed_cb (study_instance_uid, self);
}

FerryDatabase *
ferry_engine_get_database (FerryEngine *self)
{
  return self->db;
}

FerryArchive *
ferry_engine_get_archive (FerryEngine *self)
{
  return self->archive;
}

void
ferry_engine_kick_deliveries (FerryEngine *self)
{
  g_mutex_lock (&self->apply_lock);
  if (self->deliverer != NULL)
    ferry_deliverer_kick (self->deliverer);
  g_mutex_unlock (&self->apply_lock);
}

const FerryPaths *
ferry_engine_get_paths (FerryEngine *self)
{
  g_return_val_if_fail (FERRY_IS_ENGINE (self), NULL);

  return self->paths;
}

const FerryConfig *
ferry_engine_get_config (FerryEngine *self)
{
  g_return_val_if_fail (FERRY_IS_ENGINE (self), NULL);

  return self->config;
}

FerryReceiverState
ferry_engine_get_receiver_state (FerryEngine *self)
{
  g_return_val_if_fail (FERRY_IS_ENGINE (self), FERRY_RECEIVER_STOPPED);

  return self->receiver_state;
}

guint
ferry_engine_get_receiver_port (FerryEngine *self)
{
  g_return_val_if_fail (FERRY_IS_ENGINE (self), 0);

  return self->receiver_port;
}

const char *
ferry_engine_get_receiver_error (FerryEngine *self)
{
  g_return_val_if_fail (FERRY_IS_ENGINE (self), NULL);

  return self->receiver_error;
}

GListModel *
ferry_engine_get_studies (FerryEngine *self)
{
  g_return_val_if_fail (FERRY_IS_ENGINE (self), NULL);

  ensure_studies_loading (self);

  return G_LIST_MODEL (self->studies);
}

gboolean
ferry_engine_get_studies_loaded (FerryEngine *self)
{
  g_return_val_if_fail (FERRY_IS_ENGINE (self), FALSE);

  return self->studies_loaded;
}

GPtrArray *
ferry_engine_list_studies_sync (FerryEngine  *self,
                                GError      **error)
{
  g_return_val_if_fail (FERRY_IS_ENGINE (self), NULL);

  return ferry_database_list_studies (self->db, error);
}

void
ferry_engine_set_port_override (FerryEngine *self,
                                int          port)
{
  g_return_if_fail (FERRY_IS_ENGINE (self));
  g_return_if_fail (port >= -1 && port <= 65535);

  self->port_override = port;
}

void
ferry_engine_set_ae_title_override (FerryEngine *self,
                                    const char  *ae_title)
{
  g_return_if_fail (FERRY_IS_ENGINE (self));

  g_free (self->ae_title_override);
  self->ae_title_override = g_strdup (ae_title);
}

char **
ferry_engine_dup_host_addresses (void)
{
  g_autoptr(GPtrArray) addresses = g_ptr_array_new ();
  struct ifaddrs *list = NULL;

  if (getifaddrs (&list) == 0)
    {
      for (struct ifaddrs *it = list; it != NULL; it = it->ifa_next)
        {
          char text[INET_ADDRSTRLEN];
          const struct sockaddr_in *address;

          if (it->ifa_addr == NULL || it->ifa_addr->sa_family != AF_INET)
            continue;

          address = (const struct sockaddr_in *) it->ifa_addr;
          if (ntohl (address->sin_addr.s_addr) >> 24 == 127)
            continue;
          if (inet_ntop (AF_INET, &address->sin_addr, text, sizeof text) != NULL &&
              !g_ptr_array_find_with_equal_func (addresses, text, g_str_equal, NULL))
            g_ptr_array_add (addresses, g_strdup (text));
        }
      freeifaddrs (list);
    }

  /* A machine with no network still receives on loopback; say so rather than show nothing. */
  if (addresses->len == 0)
    g_ptr_array_add (addresses, g_strdup ("127.0.0.1"));

  g_ptr_array_add (addresses, NULL);

  return (char **) g_ptr_array_free (g_steal_pointer (&addresses), FALSE);
}

/* ------------------------------------------------------------------------------------------ */
/* Echo and port check, in workers.                                                           */

typedef struct {
  char    *host;
  char    *calling_ae;
  char    *called_ae;
  guint16  port;
} EchoData;

static void
echo_data_free (gpointer data)
{
  EchoData *echo = data;

  g_free (echo->host);
  g_free (echo->calling_ae);
  g_free (echo->called_ae);
  g_free (echo);
}

static void
echo_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  EchoData *echo = task_data;
  GError *error = NULL;

  if (ferry_dicom_echo (echo->host, echo->port, echo->calling_ae, echo->called_ae, 10, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
ferry_engine_echo_async (FerryEngine         *self,
                         const char          *host,
                         guint16              port,
                         const char          *called_ae,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  EchoData *echo;

  g_return_if_fail (FERRY_IS_ENGINE (self));
  g_return_if_fail (host != NULL);
  g_return_if_fail (called_ae != NULL);

  echo = g_new0 (EchoData, 1);
  echo->host = g_strdup (host);
  echo->port = port;
  echo->calling_ae = g_strdup (self->config->sender_ae_title);
  echo->called_ae = g_strdup (called_ae);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_engine_echo_async);
  g_task_set_task_data (task, echo, echo_data_free);
  g_task_run_in_thread (task, echo_worker);
}

gboolean
ferry_engine_echo_finish (FerryEngine   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (FERRY_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
check_port_worker (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  guint16 port = GPOINTER_TO_UINT (task_data);
  struct sockaddr_in address = { 0 };
  int reuse = 1;
  int saved_errno = 0;
  int fd;

  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      int socket_errno = errno;
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (socket_errno),
                               _("Cannot check port %u: %s"), port, g_strerror (socket_errno));
      return;
    }

  /* The receiver binds with SO_REUSEADDR too, so sockets in TIME_WAIT do not count. */
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
  address.sin_family = AF_INET;
  address.sin_port = htons (port);
  address.sin_addr.s_addr = htonl (INADDR_ANY);
  if (bind (fd, (struct sockaddr *) &address, sizeof address) != 0)
    saved_errno = errno;
  close (fd);

  if (saved_errno == EADDRINUSE)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                             _("Port %u is in use by another program"), port);
  else if (saved_errno == EACCES)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                             _("Port %u needs administrator rights; choose a port above 1023"), port);
  else if (saved_errno != 0)
    g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                             _("Cannot listen on port %u: %s"), port, g_strerror (saved_errno));
  else
    g_task_return_boolean (task, TRUE);
}

void
ferry_engine_check_port_async (FerryEngine         *self,
                               guint16              port,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (FERRY_IS_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_engine_check_port_async);

  if (self->receiver_state == FERRY_RECEIVER_LISTENING && self->receiver_port == port)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_task_set_task_data (task, GUINT_TO_POINTER (port), NULL);
  g_task_run_in_thread (task, check_port_worker);
}

gboolean
ferry_engine_check_port_finish (FerryEngine   *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (FERRY_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------------------------------ */

static void
ferry_engine_dispose (GObject *object)
{
  FerryEngine *self = FERRY_ENGINE (object);

  g_cancellable_cancel (self->cancellable);
  ferry_engine_stop (self);
  g_hash_table_remove_all (self->study_by_uid);
  g_list_store_remove_all (self->studies);

  G_OBJECT_CLASS (ferry_engine_parent_class)->dispose (object);
}

static void
ferry_engine_finalize (GObject *object)
{
  FerryEngine *self = FERRY_ENGINE (object);

  g_clear_pointer (&self->db, ferry_database_close);
  g_clear_pointer (&self->config, ferry_config_free);
  g_clear_pointer (&self->paths, ferry_paths_free);
  g_clear_pointer (&self->study_by_uid, g_hash_table_unref);
  g_clear_pointer (&self->dirty_studies, g_hash_table_unref);
  g_clear_object (&self->studies);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->main_context, g_main_context_unref);
  g_free (self->receiver_error);
  g_free (self->ae_title_override);
  g_mutex_clear (&self->receiver_lock);
  g_clear_pointer (&self->applied, ferry_config_free);
  g_mutex_clear (&self->apply_lock);

  G_OBJECT_CLASS (ferry_engine_parent_class)->finalize (object);
}

static void
ferry_engine_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  FerryEngine *self = FERRY_ENGINE (object);

  switch (prop_id)
    {
    case PROP_RECEIVER_STATE:
      g_value_set_enum (value, self->receiver_state);
      break;

    case PROP_RECEIVER_PORT:
      g_value_set_uint (value, self->receiver_port);
      break;

    case PROP_RECEIVER_ERROR:
      g_value_set_string (value, self->receiver_error);
      break;

    case PROP_STUDIES_LOADED:
      g_value_set_boolean (value, self->studies_loaded);
      break;

    case PROP_CONFIG_GENERATION:
      g_value_set_uint (value, self->config_generation);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_engine_class_init (FerryEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_engine_dispose;
  object_class->finalize = ferry_engine_finalize;
  object_class->get_property = ferry_engine_get_property;

  properties[PROP_RECEIVER_STATE] =
    g_param_spec_enum ("receiver-state", NULL, NULL,
                       FERRY_TYPE_RECEIVER_STATE, FERRY_RECEIVER_STOPPED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RECEIVER_PORT] =
    g_param_spec_uint ("receiver-port", NULL, NULL, 0, G_MAXUINT16, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RECEIVER_ERROR] =
    g_param_spec_string ("receiver-error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STUDIES_LOADED] =
    g_param_spec_boolean ("studies-loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONFIG_GENERATION] =
    g_param_spec_uint ("config-generation", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[INSTANCE_STORED] =
    g_signal_new ("instance-stored", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[STUDY_CHANGED] =
    g_signal_new ("study-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, FERRY_TYPE_STUDY);
  signals[STORE_FAILED] =
    g_signal_new ("store-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[NEW_VERSION] =
    g_signal_new ("new-version", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[DELIVERIES_CHANGED] =
    g_signal_new ("deliveries-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ferry_engine_init (FerryEngine *self)
{
  self->main_context = g_main_context_ref_thread_default ();
  self->studies = g_list_store_new (FERRY_TYPE_STUDY);
  self->study_by_uid = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->dirty_studies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
  self->port_override = -1;
  self->receiver_state = FERRY_RECEIVER_STOPPED;
  g_mutex_init (&self->receiver_lock);
  g_mutex_init (&self->apply_lock);
}
