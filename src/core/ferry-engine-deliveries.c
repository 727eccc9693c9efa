/* ferry-engine-deliveries.c: the engine's window onto the delivery ledger
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every read and change runs in a worker thread (GTask); the database serialises them.
 */

#define G_LOG_DOMAIN "ferry-engine"

#include "config.h"

#include "ferry-engine-private.h"
#include "ferry-import.h"
#include "ferry-ledger.h"

typedef struct {
  FerryLedgerAction action;
  char             *study_instance_uid;
  char             *destination;
  char             *sop_instance_uid;
  guint             states;
} Request;

static void
request_free (Request *request)
{
  g_free (request->study_instance_uid);
  g_free (request->destination);
  g_free (request->sop_instance_uid);
  g_free (request);
}

static FerryLedgerFilter
filter_of (const Request *request)
{
  FerryLedgerFilter filter = {
    .study_instance_uid = request->study_instance_uid,
    .sop_instance_uid = request->sop_instance_uid,
    .destination = request->destination,
    .states = request->states,
  };

  return filter;
}

static void
list_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  FerryLedgerFilter filter = filter_of (task_data);
  GError *error = NULL;
  GPtrArray *rows = ferry_ledger_list (ferry_engine_get_database (source_object), &filter, &error);

  if (rows == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, rows, (GDestroyNotify) g_ptr_array_unref);
}

void
ferry_engine_list_deliveries_async (FerryEngine         *self,
                                    const char          *study_instance_uid,
                                    guint                states,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Request *request = g_new0 (Request, 1);

  g_return_if_fail (FERRY_IS_ENGINE (self));

  request->study_instance_uid = g_strdup (study_instance_uid);
  request->states = states;
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_engine_list_deliveries_async);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  g_task_run_in_thread (task, list_worker);
}

GPtrArray *
ferry_engine_list_deliveries_finish (FerryEngine   *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
summarize_worker (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  const Request *request = task_data;
  GError *error = NULL;
  GPtrArray *rows = ferry_ledger_summarize_study (ferry_engine_get_database (source_object),
                                                  request->study_instance_uid, &error);

  if (rows == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, rows, (GDestroyNotify) g_ptr_array_unref);
}

void
ferry_engine_summarize_deliveries_async (FerryEngine         *self,
                                         const char          *study_instance_uid,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Request *request = g_new0 (Request, 1);

  g_return_if_fail (FERRY_IS_ENGINE (self));
  g_return_if_fail (study_instance_uid != NULL);

  request->study_instance_uid = g_strdup (study_instance_uid);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_engine_summarize_deliveries_async);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  g_task_run_in_thread (task, summarize_worker);
}

GPtrArray *
ferry_engine_summarize_deliveries_finish (FerryEngine   *self,
                                          GAsyncResult  *result,
                                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
act_worker (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  const Request *request = task_data;
  FerryLedgerFilter filter = filter_of (request);
  GError *error = NULL;
  guint changed = 0;

  if (!ferry_engine_act_on_deliveries_sync (source_object, request->action, &filter, &changed,
                                            &error))
    g_task_return_error (task, error);
  else
    g_task_return_int (task, changed);
}

void
ferry_engine_act_on_deliveries_async (FerryEngine         *self,
                                      FerryLedgerAction    action,
                                      const char          *study_instance_uid,
                                      const char          *destination,
                                      const char          *sop_instance_uid,
                                      guint                states,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Request *request = g_new0 (Request, 1);

  g_return_if_fail (FERRY_IS_ENGINE (self));

  request->action = action;
  request->study_instance_uid = g_strdup (study_instance_uid);
  request->destination = g_strdup (destination);
  request->sop_instance_uid = g_strdup (sop_instance_uid);
  request->states = states;
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_engine_act_on_deliveries_async);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  g_task_run_in_thread (task, act_worker);
}

gboolean
ferry_engine_act_on_deliveries_finish (FerryEngine   *self,
                                       GAsyncResult  *result,
                                       guint         *changed,
                                       GError       **error)
{
  gssize n;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  n = g_task_propagate_int (G_TASK (result), error);
  if (n < 0)
    return FALSE;
  if (changed != NULL)
    *changed = (guint) n;
  return TRUE;
}

GPtrArray *
ferry_engine_list_deliveries_sync (FerryEngine              *self,
                                   const FerryLedgerFilter  *filter,
                                   GError                  **error)
{
  g_return_val_if_fail (FERRY_IS_ENGINE (self), NULL);

  return ferry_ledger_list (ferry_engine_get_database (self), filter, error);
}

gboolean
ferry_engine_act_on_deliveries_sync (FerryEngine              *self,
                                     FerryLedgerAction         action,
                                     const FerryLedgerFilter  *filter,
                                     guint                    *changed,
                                     GError                  **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GHashTable) studies = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer study;

  g_return_val_if_fail (FERRY_IS_ENGINE (self), FALSE);

  /* The studies touched, so that the window shows the change (the deliverer only tells about
   * rows it moves itself). */
  rows = ferry_ledger_list (ferry_engine_get_database (self), filter, error);
  if (rows == NULL)
    return FALSE;
  for (guint i = 0; i < rows->len; i++)
    g_hash_table_add (studies, ((FerryDelivery *) g_ptr_array_index (rows, i))->study_instance_uid);

  if (!ferry_ledger_act (ferry_engine_get_database (self), action, filter, g_get_real_time (),
                         changed, error))
    return FALSE;

  g_hash_table_iter_init (&iter, studies);
  while (g_hash_table_iter_next (&iter, &study, NULL))
    ferry_engine_notify_deliveries_changed (self, study);

  ferry_engine_kick_deliveries (self);
  return TRUE;
}

gboolean
ferry_engine_import_file_sync (FerryEngine  *self,
                               const char   *path,
                               const char   *route_to,
                               char        **sop_instance_uid,
                               GError      **error)
{
  g_autoptr(FerryArchive) shared = NULL;
  g_autoptr(FerryInstanceRecord) record = NULL;
  FerryArchive *archive;
  FerryInsertOutcome outcome;

  g_return_val_if_fail (FERRY_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  /* Not the owner: add the file beside the running Ferry, without sweeping its spool. */
  archive = ferry_engine_get_archive (self);
  if (archive == NULL)
    {
      shared = ferry_archive_open_shared (ferry_engine_get_paths (self)->archive_dir,
                                          ferry_engine_get_config (self)->disk_reserve_bytes,
                                          error);
      if (shared == NULL)
        return FALSE;
      archive = shared;
    }

  if (!ferry_import_dicom_file (archive, ferry_engine_get_database (self), path, route_to,
                                &record, &outcome, error))
    return FALSE;

  /* The same object was archived before: it keeps its deliveries, and gets one to @route_to
   * if it had none. */
  if (outcome == FERRY_INSERT_SAME && route_to != NULL &&
      !ferry_ledger_route_existing (ferry_engine_get_database (self), record->sop_instance_uid,
                                    record->sha256, route_to, g_get_real_time (), NULL, error))
    return FALSE;

  if (sop_instance_uid != NULL)
    *sop_instance_uid = g_strdup (record->sop_instance_uid);

  ferry_engine_kick_deliveries (self);
  return TRUE;
}
