/* ferry-ledger.c: the delivery ledger
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The rows live in the deliveries table of the index database (see the 1 → 2 migration in
 * ferry-database.c). Each public call is one transaction under the database's mutex.
 */

#define G_LOG_DOMAIN "ferry-ledger"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "ferry-database-private.h"
#include "ferry-ledger.h"

static const char * const state_names[FERRY_DELIVERY_N_STATES] = {
  [FERRY_DELIVERY_QUEUED] = "queued",
  [FERRY_DELIVERY_SENDING] = "sending",
  [FERRY_DELIVERY_DELIVERED] = "delivered",
  [FERRY_DELIVERY_DELIVERED_WITH_WARNING] = "delivered-with-warning",
  [FERRY_DELIVERY_RETRYING] = "retrying",
  [FERRY_DELIVERY_FAILED] = "failed",
  [FERRY_DELIVERY_OUTBOX] = "outbox",
  [FERRY_DELIVERY_CANCELLED] = "cancelled",
};

const char *
ferry_delivery_state_to_string (FerryDeliveryState state)
{
  g_return_val_if_fail (state < FERRY_DELIVERY_N_STATES, NULL);
  return state_names[state];
}

int
ferry_delivery_state_from_string (const char *text)
{
  for (int i = 0; text != NULL && i < FERRY_DELIVERY_N_STATES; i++)
    if (g_strcmp0 (state_names[i], text) == 0)
      return i;
  return -1;
}

const char *
ferry_delivery_state_describe (FerryDeliveryState state)
{
  switch (state)
    {
    case FERRY_DELIVERY_QUEUED:
      return _("Queued");
    case FERRY_DELIVERY_SENDING:
      return C_("delivery state", "Sending");
    case FERRY_DELIVERY_DELIVERED:
      return _("Delivered");
    case FERRY_DELIVERY_DELIVERED_WITH_WARNING:
      return _("Delivered with a warning");
    case FERRY_DELIVERY_RETRYING:
      return _("Retrying");
    case FERRY_DELIVERY_FAILED:
      return _("Failed");
    case FERRY_DELIVERY_OUTBOX:
      return _("In the outbox");
    case FERRY_DELIVERY_CANCELLED:
      return _("Cancelled");
    case FERRY_DELIVERY_N_STATES:
    default:
      g_return_val_if_reached (NULL);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                    */

static sqlite3_stmt *
prepare (sqlite3     *db,
         const char  *sql,
         GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      ferry_database_set_sqlite_error (error, db, rc, _("prepare a statement"));
      return NULL;
    }
  return stmt;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *value)
{
  if (value == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, value, -1, SQLITE_TRANSIENT);
}

static char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

static gboolean
exec (sqlite3     *db,
      const char  *sql,
      GError     **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    return ferry_database_set_sqlite_error (error, db, rc, _("update the delivery ledger"));
  return TRUE;
}

static gboolean
step_done (sqlite3       *db,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE)
    return ferry_database_set_sqlite_error (error, db, rc, _("update the delivery ledger"));
  return TRUE;
}

/* A value for a numbered parameter (?1, ?2, …) of run_change(). */
typedef struct {
  gboolean    is_text;
  const char *text;
  gint64      number;
} Arg;

#define ARG_TEXT(t)   ((Arg) { TRUE, (t), 0 })
#define ARG_NUMBER(n) ((Arg) { FALSE, NULL, (n) })

/* Runs one statement that changes rows, under the database's lock; @changed (nullable) gets how
 * many it changed. */
static gboolean
run_change (FerryDatabase  *db,
            const char     *sql_text,
            const Arg      *args,
            guint           n_args,
            guint          *changed,
            GError        **error)
{
  sqlite3 *sql = ferry_database_lock (db);
  sqlite3_stmt *stmt = prepare (sql, sql_text, error);
  gboolean ok = FALSE;

  if (stmt != NULL)
    {
      for (guint i = 0; i < n_args; i++)
        {
          if (args[i].is_text)
            bind_text (stmt, (int) i + 1, args[i].text);
          else
            sqlite3_bind_int64 (stmt, (int) i + 1, args[i].number);
        }
      ok = step_done (sql, stmt, error);
      sqlite3_finalize (stmt);
    }
  if (changed != NULL)
    *changed = ok ? (guint) sqlite3_changes (sql) : 0;
  ferry_database_unlock (db);
  return ok;
}

/* The WHERE clause of a filter over deliveries d joined with instances i, series se and studies
 * st; binds ?101–?104. */
#define FILTER_SQL \
  " (?101 IS NULL OR st.study_instance_uid = ?101)" \
  " AND (?102 IS NULL OR i.sop_instance_uid = ?102)" \
  " AND (?103 IS NULL OR d.destination = ?103)" \
  " AND (?104 = 0 OR ((?104 >> (CASE d.state" \
  "      WHEN 'queued' THEN 0 WHEN 'sending' THEN 1 WHEN 'delivered' THEN 2" \
  "      WHEN 'delivered-with-warning' THEN 3 WHEN 'retrying' THEN 4 WHEN 'failed' THEN 5" \
  "      WHEN 'outbox' THEN 6 ELSE 7 END)) & 1) = 1)"

#define FILTER_JOIN \
  " JOIN instances i ON i.id = d.instance_ref" \
  " JOIN series se ON se.id = i.series_ref" \
  " JOIN studies st ON st.id = se.study_ref" \
  " JOIN patients p ON p.id = st.patient_ref"

static void
bind_filter (sqlite3_stmt            *stmt,
             const FerryLedgerFilter *filter)
{
  static const FerryLedgerFilter all = { 0 };

  if (filter == NULL)
    filter = &all;
  bind_text (stmt, 101, filter->study_instance_uid);
  bind_text (stmt, 102, filter->sop_instance_uid);
  bind_text (stmt, 103, filter->destination);
  sqlite3_bind_int64 (stmt, 104, filter->states);
}

#define DELIVERY_COLUMNS \
  "SELECT d.id, d.instance_ref, d.destination, d.state, d.attempts, d.uncertain, d.coercions," \
  "       d.queued_at, coalesce (d.next_attempt_at, 0), coalesce (d.last_attempt_at, 0)," \
  "       coalesce (d.delivered_at, 0), d.updated_at, coalesce (d.last_status, -1)," \
  "       d.last_status_meaning, d.last_error, i.sop_instance_uid, i.sop_class_uid," \
  "       i.transfer_syntax_uid, st.study_instance_uid, i.file_path, p.patient_name," \
  "       p.patient_id" \
  "  FROM deliveries d" FILTER_JOIN

static FerryDelivery *
delivery_from_row (sqlite3_stmt *stmt)
{
  FerryDelivery *d = g_new0 (FerryDelivery, 1);
  int state = ferry_delivery_state_from_string ((const char *) sqlite3_column_text (stmt, 3));

  d->id = sqlite3_column_int64 (stmt, 0);
  d->instance_id = sqlite3_column_int64 (stmt, 1);
  d->destination = column_text (stmt, 2);
  d->state = state >= 0 ? (FerryDeliveryState) state : FERRY_DELIVERY_QUEUED;
  d->attempts = (guint) sqlite3_column_int (stmt, 4);
  d->uncertain = (guint) sqlite3_column_int (stmt, 5);
  d->coercions_json = column_text (stmt, 6);
  d->queued_at = sqlite3_column_int64 (stmt, 7);
  d->next_attempt_at = sqlite3_column_int64 (stmt, 8);
  d->last_attempt_at = sqlite3_column_int64 (stmt, 9);
  d->delivered_at = sqlite3_column_int64 (stmt, 10);
  d->updated_at = sqlite3_column_int64 (stmt, 11);
  d->last_status = sqlite3_column_int (stmt, 12);
  d->last_status_meaning = column_text (stmt, 13);
  d->last_error = column_text (stmt, 14);
  d->sop_instance_uid = column_text (stmt, 15);
  d->sop_class_uid = column_text (stmt, 16);
  d->transfer_syntax_uid = column_text (stmt, 17);
  d->study_instance_uid = column_text (stmt, 18);
  d->file_path = column_text (stmt, 19);
  d->patient_name = column_text (stmt, 20);
  d->patient_id = column_text (stmt, 21);
  return d;
}

/* Runs @stmt to the end, collecting deliveries. */
static GPtrArray *
collect_deliveries (sqlite3       *db,
                    sqlite3_stmt  *stmt,
                    GError       **error)
{
  g_autoptr(GPtrArray) result = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_delivery_free);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (result, delivery_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      ferry_database_set_sqlite_error (error, db, rc, _("read the delivery ledger"));
      return NULL;
    }
  return g_steal_pointer (&result);
}

/* ------------------------------------------------------------------------------------------ */
/* Routing                                                                                    */

/**
 * ferry_ledger_list_unrouted:
 * @db: the database
 * @limit: at most this many
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type FerryRoutable) (nullable): instances waiting for the
 *   router, oldest first
 */
GPtrArray *
ferry_ledger_list_unrouted (FerryDatabase  *db,
                            guint           limit,
                            GError        **error)
{
  g_autoptr(GPtrArray) result = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_routable_free);
  sqlite3 *sql = ferry_database_lock (db);
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (sql,
                  "SELECT i.id, i.sop_instance_uid, st.study_instance_uid, i.file_path,"
                  "       i.calling_ae, i.peer_address, i.specific_character_set, i.route_to"
                  "  FROM instances i"
                  "  JOIN series se ON se.id = i.series_ref"
                  "  JOIN studies st ON st.id = se.study_ref"
                  " WHERE i.routed = 0 ORDER BY i.id LIMIT ?1", error);
  if (stmt == NULL)
    {
      ferry_database_unlock (db);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      FerryRoutable *r = g_new0 (FerryRoutable, 1);

      r->instance_id = sqlite3_column_int64 (stmt, 0);
      r->sop_instance_uid = column_text (stmt, 1);
      r->study_instance_uid = column_text (stmt, 2);
      r->file_path = column_text (stmt, 3);
      r->calling_ae = column_text (stmt, 4);
      r->peer_address = column_text (stmt, 5);
      r->specific_character_set = column_text (stmt, 6);
      r->route_to = column_text (stmt, 7);
      g_ptr_array_add (result, r);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      ferry_database_set_sqlite_error (error, sql, rc, _("read the delivery ledger"));
      ferry_database_unlock (db);
      return NULL;
    }
  ferry_database_unlock (db);
  return g_steal_pointer (&result);
}

/**
 * ferry_ledger_route:
 * @db: the database
 * @routables: (element-type FerryRoutable): instances with their routes filled in; no route is
 *   fine (routed nowhere)
 * @now: the time
 * @error: return location for a #GError
 *
 * Adds a queued row per route and marks the instances routed, in one transaction.
 *
 * Returns: %TRUE once committed
 */
gboolean
ferry_ledger_route (FerryDatabase  *db,
                    GPtrArray      *routables,
                    gint64          now,
                    GError        **error)
{
  sqlite3 *sql = ferry_database_lock (db);
  sqlite3_stmt *insert = NULL;
  sqlite3_stmt *mark = NULL;
  gboolean ok = FALSE;

  if (!exec (sql, "BEGIN IMMEDIATE", error))
    goto out;

  insert = prepare (sql,
                    "INSERT INTO deliveries (instance_ref, destination, state, coercions,"
                    "                        queued_at, next_attempt_at, updated_at)"
                    " VALUES (?1, ?2, 'queued', ?3, ?4, ?4, ?4)"
                    " ON CONFLICT (instance_ref, destination) DO NOTHING", error);
  mark = prepare (sql, "UPDATE instances SET routed = 1 WHERE id = ?1", error);
  if (insert == NULL || mark == NULL)
    goto out;

  for (guint n = 0; n < routables->len; n++)
    {
      const FerryRoutable *routable = g_ptr_array_index (routables, n);

      for (guint i = 0; routable->routes != NULL && i < routable->routes->len; i++)
        {
          const FerryRoute *route = g_ptr_array_index (routable->routes, i);

          sqlite3_reset (insert);
          sqlite3_bind_int64 (insert, 1, routable->instance_id);
          bind_text (insert, 2, route->destination);
          bind_text (insert, 3, route->coercions_json);
          sqlite3_bind_int64 (insert, 4, now);
          if (!step_done (sql, insert, error))
            goto out;
        }

      sqlite3_reset (mark);
      sqlite3_bind_int64 (mark, 1, routable->instance_id);
      if (!step_done (sql, mark, error))
        goto out;
    }

  if (!exec (sql, "COMMIT", error))
    goto out;
  ok = TRUE;

out:
  if (!ok)
    ferry_database_rollback (db);
  sqlite3_finalize (insert);
  sqlite3_finalize (mark);
  ferry_database_unlock (db);
  return ok;
}

gboolean
ferry_ledger_route_existing (FerryDatabase  *db,
                             const char     *sop_instance_uid,
                             const char     *sha256,
                             const char     *destination,
                             gint64          now,
                             gboolean       *added,
                             GError        **error)
{
  const Arg args[] = {
    ARG_TEXT (sop_instance_uid), ARG_TEXT (sha256), ARG_TEXT (destination), ARG_NUMBER (now),
  };
  guint changed = 0;
  gboolean ok;

  ok = run_change (db,
                   "INSERT INTO deliveries (instance_ref, destination, state, queued_at,"
                   "                        next_attempt_at, updated_at)"
                   " SELECT id, ?3, 'queued', ?4, ?4, ?4 FROM instances"
                   "  WHERE sop_instance_uid = ?1 AND sha256 = ?2"
                   " ON CONFLICT (instance_ref, destination) DO NOTHING",
                   args, G_N_ELEMENTS (args), &changed, error);
  if (added != NULL)
    *added = changed > 0;
  return ok;
}

/* ------------------------------------------------------------------------------------------ */
/* Scheduling                                                                                 */

#define DUE_SQL \
  " (d.state = 'queued' OR (d.state = 'retrying' AND d.next_attempt_at <= ?1))"

/**
 * ferry_ledger_due_destinations:
 * @db: the database
 * @now: the time
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): names of destinations with rows due at @now
 */
char **
ferry_ledger_due_destinations (FerryDatabase  *db,
                               gint64          now,
                               GError        **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  sqlite3 *sql = ferry_database_lock (db);
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (sql, "SELECT DISTINCT d.destination FROM deliveries d WHERE" DUE_SQL, error);
  if (stmt == NULL)
    {
      ferry_database_unlock (db);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, now);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_strv_builder_add (builder, (const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      ferry_database_set_sqlite_error (error, sql, rc, _("read the delivery ledger"));
      ferry_database_unlock (db);
      return NULL;
    }
  ferry_database_unlock (db);
  return g_strv_builder_end (builder);
}

gboolean
ferry_ledger_next_retry (FerryDatabase  *db,
                         gint64         *when,
                         GError        **error)
{
  sqlite3 *sql = ferry_database_lock (db);
  sqlite3_stmt *stmt;
  gboolean found = FALSE;
  int rc;

  *when = 0;
  stmt = prepare (sql, "SELECT min (next_attempt_at) FROM deliveries WHERE state = 'retrying'",
                  error);
  if (stmt == NULL)
    {
      ferry_database_unlock (db);
      return FALSE;
    }
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    {
      *when = sqlite3_column_int64 (stmt, 0);
      found = TRUE;
    }
  else if (rc != SQLITE_ROW)
    {
      ferry_database_set_sqlite_error (error, sql, rc, _("read the delivery ledger"));
    }
  sqlite3_finalize (stmt);
  ferry_database_unlock (db);
  return found;
}

/**
 * ferry_ledger_claim:
 * @db: the database
 * @destination: the destination
 * @now: the time
 * @max: at most this many rows
 * @error: return location for a #GError
 *
 * Takes the due rows of @destination that belong to the study of its oldest due row, so that a
 * study travels over one association, and marks them sending.
 *
 * Returns: (transfer full) (element-type FerryDelivery) (nullable): the rows, maybe none
 */
GPtrArray *
ferry_ledger_claim (FerryDatabase  *db,
                    const char     *destination,
                    gint64          now,
                    guint           max,
                    GError        **error)
{
  g_autoptr(GPtrArray) claimed = NULL;
  sqlite3 *sql = ferry_database_lock (db);
  sqlite3_stmt *pick = NULL;
  sqlite3_stmt *list = NULL;
  sqlite3_stmt *mark = NULL;
  gint64 study_ref = -1;
  int rc;

  if (!exec (sql, "BEGIN IMMEDIATE", error))
    goto fail;

  pick = prepare (sql,
                  "SELECT se.study_ref FROM deliveries d"
                  "  JOIN instances i ON i.id = d.instance_ref"
                  "  JOIN series se ON se.id = i.series_ref"
                  " WHERE d.destination = ?2 AND" DUE_SQL
                  " ORDER BY d.id LIMIT 1", error);
  if (pick == NULL)
    goto fail;
  sqlite3_bind_int64 (pick, 1, now);
  bind_text (pick, 2, destination);
  rc = sqlite3_step (pick);
  if (rc == SQLITE_ROW)
    study_ref = sqlite3_column_int64 (pick, 0);
  else if (rc != SQLITE_DONE)
    {
      ferry_database_set_sqlite_error (error, sql, rc, _("read the delivery ledger"));
      goto fail;
    }

  if (study_ref < 0)
    {
      exec (sql, "COMMIT", NULL);
      sqlite3_finalize (pick);
      ferry_database_unlock (db);
      return g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_delivery_free);
    }

  list = prepare (sql,
                  DELIVERY_COLUMNS
                  " WHERE d.destination = ?2 AND se.study_ref = ?3 AND" DUE_SQL
                  " ORDER BY se.id, cast (i.instance_number AS INTEGER), i.id LIMIT ?4", error);
  if (list == NULL)
    goto fail;
  sqlite3_bind_int64 (list, 1, now);
  bind_text (list, 2, destination);
  sqlite3_bind_int64 (list, 3, study_ref);
  sqlite3_bind_int64 (list, 4, max);
  claimed = collect_deliveries (sql, list, error);
  if (claimed == NULL)
    goto fail;

  mark = prepare (sql,
                  "UPDATE deliveries SET state = 'sending', attempts = attempts + 1,"
                  "                      last_attempt_at = ?2, updated_at = ?2"
                  " WHERE id = ?1", error);
  if (mark == NULL)
    goto fail;
  for (guint i = 0; i < claimed->len; i++)
    {
      FerryDelivery *d = g_ptr_array_index (claimed, i);

      sqlite3_reset (mark);
      sqlite3_bind_int64 (mark, 1, d->id);
      sqlite3_bind_int64 (mark, 2, now);
      if (!step_done (sql, mark, error))
        goto fail;
      d->state = FERRY_DELIVERY_SENDING;
      d->attempts++;
      d->last_attempt_at = now;
    }

  if (!exec (sql, "COMMIT", error))
    goto fail;

  sqlite3_finalize (pick);
  sqlite3_finalize (list);
  sqlite3_finalize (mark);
  ferry_database_unlock (db);
  return g_steal_pointer (&claimed);

fail:
  ferry_database_rollback (db);
  sqlite3_finalize (pick);
  sqlite3_finalize (list);
  sqlite3_finalize (mark);
  ferry_database_unlock (db);
  return NULL;
}

/**
 * ferry_ledger_finish:
 * @db: the database
 * @outcomes: (element-type FerryOutcome): what happened
 * @now: the time
 * @error: return location for a #GError
 *
 * Returns: %TRUE once committed
 */
gboolean
ferry_ledger_finish (FerryDatabase  *db,
                     GPtrArray      *outcomes,
                     gint64          now,
                     GError        **error)
{
  sqlite3 *sql = ferry_database_lock (db);
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;

  if (!exec (sql, "BEGIN IMMEDIATE", error))
    goto out;

  stmt = prepare (sql,
                  "UPDATE deliveries SET state = ?2,"
                  "  last_status = CASE WHEN ?3 >= 0 THEN ?3 ELSE last_status END,"
                  "  last_status_meaning = CASE WHEN ?3 >= 0 THEN ?4 ELSE last_status_meaning END,"
                  "  last_error = ?5,"
                  "  next_attempt_at = ?6,"
                  "  uncertain = uncertain + ?7,"
                  "  delivered_at = CASE WHEN ?8 THEN ?9 ELSE delivered_at END,"
                  "  updated_at = ?9"
                  " WHERE id = ?1 AND state = 'sending'", error);
  if (stmt == NULL)
    goto out;

  for (guint i = 0; i < outcomes->len; i++)
    {
      const FerryOutcome *o = g_ptr_array_index (outcomes, i);
      gboolean delivered = o->state == FERRY_DELIVERY_DELIVERED ||
                           o->state == FERRY_DELIVERY_DELIVERED_WITH_WARNING;

      sqlite3_reset (stmt);
      sqlite3_bind_int64 (stmt, 1, o->delivery_id);
      bind_text (stmt, 2, ferry_delivery_state_to_string (o->state));
      sqlite3_bind_int (stmt, 3, o->status);
      bind_text (stmt, 4, o->status_meaning);
      bind_text (stmt, 5, o->error_text);
      if (o->state == FERRY_DELIVERY_RETRYING || o->state == FERRY_DELIVERY_QUEUED)
        sqlite3_bind_int64 (stmt, 6, o->next_attempt_at);
      else
        sqlite3_bind_null (stmt, 6);
      sqlite3_bind_int (stmt, 7, o->uncertain ? 1 : 0);
      sqlite3_bind_int (stmt, 8, delivered ? 1 : 0);
      sqlite3_bind_int64 (stmt, 9, now);
      if (!step_done (sql, stmt, error))
        goto out;
    }

  if (!exec (sql, "COMMIT", error))
    goto out;
  ok = TRUE;

out:
  if (!ok)
    ferry_database_rollback (db);
  sqlite3_finalize (stmt);
  ferry_database_unlock (db);
  return ok;
}

gboolean
ferry_ledger_resume (FerryDatabase  *db,
                     gint64          now,
                     guint          *resumed,
                     GError        **error)
{
  const Arg args[] = { ARG_NUMBER (now) };

  return run_change (db,
                     "UPDATE deliveries SET state = 'queued', uncertain = uncertain + 1,"
                     "                      next_attempt_at = ?1, updated_at = ?1"
                     " WHERE state = 'sending'",
                     args, G_N_ELEMENTS (args), resumed, error);
}

/* ------------------------------------------------------------------------------------------ */
/* What people do with it                                                                     */

gboolean
ferry_ledger_act (FerryDatabase            *db,
                  FerryLedgerAction         action,
                  const FerryLedgerFilter  *filter,
                  gint64                    now,
                  guint                    *changed,
                  GError                  **error)
{
  const char *set_sql = NULL;
  const char *from_states = NULL;
  g_autofree char *full_sql = NULL;
  sqlite3 *sql;
  sqlite3_stmt *stmt;
  gboolean ok;

  switch (action)
    {
    case FERRY_LEDGER_RETRY_NOW:
      set_sql = "state = 'queued', next_attempt_at = ?1";
      from_states = "'queued', 'retrying'";
      break;
    case FERRY_LEDGER_RESEND:
      set_sql = "state = 'queued', attempts = 0, queued_at = ?1, next_attempt_at = ?1,"
                " last_error = NULL, delivered_at = NULL";
      from_states = "'queued', 'delivered', 'delivered-with-warning', 'retrying', 'failed',"
                    " 'outbox', 'cancelled'";
      break;
    case FERRY_LEDGER_CANCEL:
      set_sql = "state = 'cancelled', next_attempt_at = NULL";
      from_states = "'queued', 'retrying'";
      break;
    default:
      g_return_val_if_reached (FALSE);
    }

  full_sql = g_strdup_printf ("UPDATE deliveries SET %s, updated_at = ?1"
                              " WHERE state IN (%s) AND id IN"
                              " (SELECT d.id FROM deliveries d" FILTER_JOIN
                              "   WHERE" FILTER_SQL ")",
                              set_sql, from_states);

  sql = ferry_database_lock (db);
  stmt = prepare (sql, full_sql, error);
  if (stmt == NULL)
    {
      ferry_database_unlock (db);
      return FALSE;
    }
  sqlite3_bind_int64 (stmt, 1, now);
  bind_filter (stmt, filter);
  ok = step_done (sql, stmt, error);
  if (changed != NULL)
    *changed = ok ? (guint) sqlite3_changes (sql) : 0;
  sqlite3_finalize (stmt);
  ferry_database_unlock (db);
  return ok;
}

gboolean
ferry_ledger_rename_destination (FerryDatabase  *db,
                                 const char     *old_name,
                                 const char     *new_name,
                                 guint          *changed,
                                 GError        **error)
{
  const Arg args[] = { ARG_TEXT (old_name), ARG_TEXT (new_name), ARG_NUMBER (g_get_real_time ()) };

  /* A row for the instance under the new name already (it was routed there too) keeps that
   * one; the old row stays as it is. */
  return run_change (db,
                     "UPDATE OR IGNORE deliveries SET destination = ?2, updated_at = ?3"
                     " WHERE destination = ?1",
                     args, G_N_ELEMENTS (args), changed, error);
}

/**
 * ferry_ledger_list:
 * @db: the database
 * @filter: (nullable): which rows
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type FerryDelivery) (nullable): the rows, oldest first
 */
GPtrArray *
ferry_ledger_list (FerryDatabase            *db,
                   const FerryLedgerFilter  *filter,
                   GError                  **error)
{
  sqlite3 *sql = ferry_database_lock (db);
  sqlite3_stmt *stmt;
  GPtrArray *result;

  stmt = prepare (sql, DELIVERY_COLUMNS " WHERE" FILTER_SQL " ORDER BY d.id", error);
  if (stmt == NULL)
    {
      ferry_database_unlock (db);
      return NULL;
    }
  bind_filter (stmt, filter);
  result = collect_deliveries (sql, stmt, error);
  sqlite3_finalize (stmt);
  ferry_database_unlock (db);
  return result;
}

/**
 * ferry_ledger_summarize_study:
 * @db: the database
 * @study_instance_uid: the study
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type FerryDeliverySummary) (nullable): one per destination
 */
GPtrArray *
ferry_ledger_summarize_study (FerryDatabase  *db,
                              const char     *study_instance_uid,
                              GError        **error)
{
  g_autoptr(GPtrArray) result =
    g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_delivery_summary_free);
  sqlite3 *sql = ferry_database_lock (db);
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (sql,
                  "SELECT d.destination, count (*),"
                  "  sum (d.state IN ('delivered', 'delivered-with-warning')),"
                  "  sum (d.state = 'delivered-with-warning'),"
                  "  sum (d.state IN ('queued', 'sending', 'retrying')),"
                  "  sum (d.state = 'retrying'),"
                  "  sum (d.state IN ('failed', 'outbox')),"
                  "  sum (d.state = 'cancelled'),"
                  "  sum (d.uncertain),"
                  "  coalesce (min (CASE WHEN d.state = 'retrying' THEN d.next_attempt_at END), 0),"
                  "  (SELECT d2.last_error FROM deliveries d2"
                  "     JOIN instances i2 ON i2.id = d2.instance_ref"
                  "     JOIN series se2 ON se2.id = i2.series_ref"
                  "    WHERE se2.study_ref = st.id AND d2.destination = d.destination"
                  "      AND d2.state IN ('retrying', 'failed', 'outbox')"
                  "      AND d2.last_error IS NOT NULL"
                  "    ORDER BY d2.updated_at DESC LIMIT 1)"
                  "  FROM deliveries d" FILTER_JOIN
                  " WHERE st.study_instance_uid = ?1"
                  " GROUP BY d.destination ORDER BY d.destination", error);
  if (stmt == NULL)
    {
      ferry_database_unlock (db);
      return NULL;
    }
  bind_text (stmt, 1, study_instance_uid);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      FerryDeliverySummary *s = g_new0 (FerryDeliverySummary, 1);

      s->destination = column_text (stmt, 0);
      s->total = (guint) sqlite3_column_int (stmt, 1);
      s->delivered = (guint) sqlite3_column_int (stmt, 2);
      s->warnings = (guint) sqlite3_column_int (stmt, 3);
      s->pending = (guint) sqlite3_column_int (stmt, 4);
      s->retrying = (guint) sqlite3_column_int (stmt, 5);
      s->gave_up = (guint) sqlite3_column_int (stmt, 6);
      s->cancelled = (guint) sqlite3_column_int (stmt, 7);
      s->uncertain = (guint) sqlite3_column_int (stmt, 8);
      s->next_attempt_at = sqlite3_column_int64 (stmt, 9);
      s->last_error = column_text (stmt, 10);
      g_ptr_array_add (result, s);
    }
  sqlite3_finalize (stmt);
  ferry_database_unlock (db);
  if (rc != SQLITE_DONE)
    {
      ferry_database_set_sqlite_error (error, NULL, rc, _("read the delivery ledger"));
      return NULL;
    }
  return g_steal_pointer (&result);
}

gboolean
ferry_ledger_count (FerryDatabase  *db,
                    guint          *counts,
                    guint          *uncertain,
                    GError        **error)
{
  sqlite3 *sql = ferry_database_lock (db);
  sqlite3_stmt *stmt;
  int rc;

  memset (counts, 0, sizeof (guint) * FERRY_DELIVERY_N_STATES);
  if (uncertain != NULL)
    *uncertain = 0;

  stmt = prepare (sql, "SELECT state, count (*), sum (uncertain) FROM deliveries GROUP BY state",
                  error);
  if (stmt == NULL)
    {
      ferry_database_unlock (db);
      return FALSE;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      int state = ferry_delivery_state_from_string ((const char *) sqlite3_column_text (stmt, 0));

      if (state >= 0)
        counts[state] = (guint) sqlite3_column_int (stmt, 1);
      if (uncertain != NULL)
        *uncertain += (guint) sqlite3_column_int (stmt, 2);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      ferry_database_set_sqlite_error (error, sql, rc, _("read the delivery ledger"));
      ferry_database_unlock (db);
      return FALSE;
    }
  ferry_database_unlock (db);
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* Records                                                                                    */

void
ferry_routable_free (FerryRoutable *routable)
{
  if (routable == NULL)
    return;
  g_free (routable->sop_instance_uid);
  g_free (routable->study_instance_uid);
  g_free (routable->file_path);
  g_free (routable->calling_ae);
  g_free (routable->peer_address);
  g_free (routable->specific_character_set);
  g_free (routable->route_to);
  g_clear_pointer (&routable->routes, g_ptr_array_unref);
  g_free (routable);
}

FerryOutcome *
ferry_outcome_new (const FerryDelivery *delivery,
                   FerryDeliveryState   state)
{
  FerryOutcome *outcome = g_new0 (FerryOutcome, 1);

  outcome->delivery_id = delivery->id;
  outcome->study_instance_uid = g_strdup (delivery->study_instance_uid);
  outcome->state = state;
  outcome->status = -1;
  return outcome;
}

void
ferry_outcome_free (FerryOutcome *outcome)
{
  if (outcome == NULL)
    return;
  g_free (outcome->study_instance_uid);
  g_free (outcome->status_meaning);
  g_free (outcome->error_text);
  g_free (outcome);
}

FerryRoute *
ferry_route_new (const char *destination,
                 const char *coercions_json)
{
  FerryRoute *route = g_new0 (FerryRoute, 1);

  route->destination = g_strdup (destination);
  route->coercions_json = g_strdup (coercions_json);
  return route;
}

void
ferry_route_free (FerryRoute *route)
{
  if (route == NULL)
    return;
  g_free (route->destination);
  g_free (route->coercions_json);
  g_free (route);
}

void
ferry_delivery_free (FerryDelivery *d)
{
  if (d == NULL)
    return;
  g_free (d->destination);
  g_free (d->coercions_json);
  g_free (d->last_status_meaning);
  g_free (d->last_error);
  g_free (d->sop_instance_uid);
  g_free (d->sop_class_uid);
  g_free (d->transfer_syntax_uid);
  g_free (d->study_instance_uid);
  g_free (d->file_path);
  g_free (d->patient_name);
  g_free (d->patient_id);
  g_free (d);
}

FerryDelivery *
ferry_delivery_copy (const FerryDelivery *d)
{
  FerryDelivery *copy = g_memdup2 (d, sizeof *d);

  copy->destination = g_strdup (d->destination);
  copy->coercions_json = g_strdup (d->coercions_json);
  copy->last_status_meaning = g_strdup (d->last_status_meaning);
  copy->last_error = g_strdup (d->last_error);
  copy->sop_instance_uid = g_strdup (d->sop_instance_uid);
  copy->sop_class_uid = g_strdup (d->sop_class_uid);
  copy->transfer_syntax_uid = g_strdup (d->transfer_syntax_uid);
  copy->study_instance_uid = g_strdup (d->study_instance_uid);
  copy->file_path = g_strdup (d->file_path);
  copy->patient_name = g_strdup (d->patient_name);
  copy->patient_id = g_strdup (d->patient_id);
  return copy;
}

void
ferry_delivery_summary_free (FerryDeliverySummary *summary)
{
  if (summary == NULL)
    return;
  g_free (summary->destination);
  g_free (summary->last_error);
  g_free (summary);
}
