/* ferry-database.c: the SQLite index of patients, studies, series and instances
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The connection is opened in serialized mode and every public call additionally holds one
 * mutex, so that a call's statements (and its transaction) are never interleaved with another
 * thread's. Statements are prepared once and kept for the life of the connection.
 *
 * Other processes (ferry-cli beside the engine) may write the same file: transactions that write
 * start with BEGIN IMMEDIATE, so that waiting for the write lock happens at BEGIN, under the
 * busy timeout, rather than as a deadlock in the middle of a transaction.
 */

#define G_LOG_DOMAIN "ferry-database"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <sqlite3.h>

#include "ferry-database.h"
#include "ferry-database-private.h"
#include "ferry-ledger.h"

#define BUSY_TIMEOUT_MS 5000

G_DEFINE_QUARK (ferry-database-error-quark, ferry_database_error)

/* The schema, one step per version; step i takes user_version i to i + 1. Each step runs in one
 * transaction together with the change of user_version. Never edit a released step: add one. */
static const char * const migrations[] = {
  /* 0 → 1 */
  "CREATE TABLE patients ("
  "  id INTEGER PRIMARY KEY,"
  "  patient_id TEXT NOT NULL DEFAULT '',"
  "  patient_name TEXT NOT NULL DEFAULT '',"
  "  birth_date TEXT,"
  "  sex TEXT,"
  "  UNIQUE (patient_id, patient_name));"
  "CREATE TABLE studies ("
  "  id INTEGER PRIMARY KEY,"
  "  patient_ref INTEGER NOT NULL REFERENCES patients (id),"
  "  study_instance_uid TEXT NOT NULL UNIQUE,"
  "  accession_number TEXT,"
  "  study_id TEXT,"
  "  study_date TEXT,"
  "  study_time TEXT,"
  "  study_description TEXT,"
  "  referring_physician_name TEXT,"
  "  calling_ae TEXT,"
  "  first_received_at INTEGER NOT NULL,"
  "  last_received_at INTEGER NOT NULL);"
  "CREATE TABLE series ("
  "  id INTEGER PRIMARY KEY,"
  "  study_ref INTEGER NOT NULL REFERENCES studies (id),"
  "  series_instance_uid TEXT NOT NULL UNIQUE,"
  "  modality TEXT,"
  "  series_number TEXT,"
  "  series_description TEXT);"
  "CREATE TABLE instances ("
  "  id INTEGER PRIMARY KEY,"
  "  series_ref INTEGER NOT NULL REFERENCES series (id),"
  "  sop_instance_uid TEXT NOT NULL,"
  "  sop_class_uid TEXT NOT NULL,"
  "  transfer_syntax_uid TEXT NOT NULL,"
  "  instance_number TEXT,"
  "  specific_character_set TEXT,"
  "  calling_ae TEXT,"
  "  peer_address TEXT,"
  "  file_path TEXT NOT NULL UNIQUE,"
  "  sha256 TEXT NOT NULL,"
  "  size INTEGER NOT NULL,"
  "  received_at INTEGER NOT NULL,"
  "  UNIQUE (sop_instance_uid, sha256));"
  "CREATE INDEX instances_sop_instance_uid ON instances (sop_instance_uid);"
  "CREATE INDEX instances_series_ref ON instances (series_ref);"
  "CREATE INDEX series_study_ref ON series (study_ref);"
  "CREATE INDEX studies_patient_ref ON studies (patient_ref);"
  "CREATE INDEX studies_last_received_at ON studies (last_received_at);",

  /* 1 → 2: the delivery ledger. Instances indexed before it existed count as routed (to no
   * destination); new ones are inserted unrouted and the router takes them. */
  "ALTER TABLE instances ADD COLUMN routed INTEGER NOT NULL DEFAULT 1;"
  "ALTER TABLE instances ADD COLUMN route_to TEXT;"
  "ALTER TABLE studies ADD COLUMN physician_name TEXT;"
  "CREATE INDEX instances_unrouted ON instances (id) WHERE routed = 0;"
  "CREATE TABLE deliveries ("
  "  id INTEGER PRIMARY KEY,"
  "  instance_ref INTEGER NOT NULL REFERENCES instances (id),"
  "  destination TEXT NOT NULL,"
  "  state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'delivered',"
  "                                       'delivered-with-warning', 'retrying', 'failed',"
  "                                       'outbox', 'cancelled')),"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  uncertain INTEGER NOT NULL DEFAULT 0,"
  "  coercions TEXT,"
  "  queued_at INTEGER NOT NULL,"
  "  next_attempt_at INTEGER,"
  "  last_attempt_at INTEGER,"
  "  last_status INTEGER,"
  "  last_status_meaning TEXT,"
  "  last_error TEXT,"
  "  delivered_at INTEGER,"
  "  updated_at INTEGER NOT NULL,"
  "  UNIQUE (instance_ref, destination));"
  "CREATE INDEX deliveries_due ON deliveries (state, destination, next_attempt_at);"
  "CREATE INDEX deliveries_instance_ref ON deliveries (instance_ref);",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == FERRY_DATABASE_SCHEMA_VERSION);

typedef enum {
  STMT_BEGIN_IMMEDIATE,
  STMT_COMMIT,
  STMT_FIND_INSTANCE,
  STMT_FIND_PATIENT,
  STMT_INSERT_PATIENT,
  STMT_UPDATE_PATIENT,
  STMT_FIND_STUDY,
  STMT_INSERT_STUDY,
  STMT_UPDATE_STUDY,
  STMT_FIND_SERIES,
  STMT_INSERT_SERIES,
  STMT_UPDATE_SERIES,
  STMT_INSERT_INSTANCE,
  STMT_LIST_STUDIES,
  STMT_GET_STUDY,
  STMT_LIST_INSTANCES,
  STMT_COUNT_INSTANCES,
  STMT_INSERT_DELIVERY,
  N_STMTS
} StatementId;

#define STUDY_COLUMNS \
  "SELECT s.id, s.study_instance_uid, p.patient_id, p.patient_name, p.birth_date, p.sex," \
  "       s.accession_number, s.study_date, s.study_time, s.study_description," \
  "       (SELECT group_concat (modality, '\\')" \
  "          FROM (SELECT DISTINCT se.modality AS modality FROM series se" \
  "                 WHERE se.study_ref = s.id AND coalesce (se.modality, '') != ''" \
  "                 ORDER BY se.modality))," \
  "       s.calling_ae," \
  "       (SELECT count (*) FROM instances i JOIN series se ON i.series_ref = se.id" \
  "         WHERE se.study_ref = s.id)," \
  "       (SELECT coalesce (sum (i.size), 0) FROM instances i JOIN series se" \
  "            ON i.series_ref = se.id WHERE se.study_ref = s.id)," \
  "       s.first_received_at, s.last_received_at, s.physician_name" \
  "  FROM studies s JOIN patients p ON p.id = s.patient_ref "

static const char * const statement_sql[N_STMTS] = {
  [STMT_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_FIND_INSTANCE] =
    "SELECT count (*), coalesce (sum (sha256 = ?2), 0) FROM instances"
    " WHERE sop_instance_uid = ?1",
  [STMT_FIND_PATIENT] =
    "SELECT id FROM patients WHERE patient_id = ?1 AND patient_name = ?2",
  [STMT_INSERT_PATIENT] =
    "INSERT INTO patients (patient_id, patient_name, birth_date, sex)"
    " VALUES (?1, ?2, nullif (?3, ''), nullif (?4, ''))",
  [STMT_UPDATE_PATIENT] =
    "UPDATE patients SET birth_date = coalesce (nullif (?2, ''), birth_date),"
    "                    sex = coalesce (nullif (?3, ''), sex)"
    " WHERE id = ?1",
  [STMT_FIND_STUDY] =
    "SELECT id FROM studies WHERE study_instance_uid = ?1",
  [STMT_INSERT_STUDY] =
    "INSERT INTO studies (patient_ref, study_instance_uid, accession_number, study_id,"
    "                     study_date, study_time, study_description,"
    "                     referring_physician_name, calling_ae, first_received_at,"
    "                     last_received_at, physician_name)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11)",
  /* Fields the first instances left empty are filled from later ones; the device and the time
   * are those of the most recent instance. */
  [STMT_UPDATE_STUDY] =
    "UPDATE studies SET"
    "  accession_number = coalesce (nullif (accession_number, ''), ?2, accession_number),"
    "  study_id = coalesce (nullif (study_id, ''), ?3, study_id),"
    "  study_date = coalesce (nullif (study_date, ''), ?4, study_date),"
    "  study_time = coalesce (nullif (study_time, ''), ?5, study_time),"
    "  study_description = coalesce (nullif (study_description, ''), ?6, study_description),"
    "  referring_physician_name = coalesce (nullif (referring_physician_name, ''), ?7,"
    "                                       referring_physician_name),"
    "  calling_ae = CASE WHEN ?9 >= last_received_at THEN ?8 ELSE calling_ae END,"
    "  physician_name = coalesce (nullif (physician_name, ''), ?10, physician_name),"
    "  first_received_at = min (first_received_at, ?9),"
    "  last_received_at = max (last_received_at, ?9)"
    " WHERE id = ?1",
  [STMT_FIND_SERIES] =
    "SELECT id FROM series WHERE series_instance_uid = ?1",
  [STMT_INSERT_SERIES] =
    "INSERT INTO series (study_ref, series_instance_uid, modality, series_number,"
    "                    series_description)"
    " VALUES (?1, ?2, ?3, ?4, ?5)",
  [STMT_UPDATE_SERIES] =
    "UPDATE series SET"
    "  modality = coalesce (nullif (modality, ''), ?2, modality),"
    "  series_number = coalesce (nullif (series_number, ''), ?3, series_number),"
    "  series_description = coalesce (nullif (series_description, ''), ?4, series_description)"
    " WHERE id = ?1",
  [STMT_INSERT_INSTANCE] =
    "INSERT INTO instances (series_ref, sop_instance_uid, sop_class_uid, transfer_syntax_uid,"
    "                       instance_number, specific_character_set, calling_ae, peer_address,"
    "                       file_path, sha256, size, received_at, routed, route_to)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?14, ?13)",
  [STMT_LIST_STUDIES] =
    STUDY_COLUMNS "ORDER BY s.last_received_at DESC, s.id DESC",
  [STMT_GET_STUDY] =
    STUDY_COLUMNS "WHERE s.study_instance_uid = ?1",
  [STMT_LIST_INSTANCES] =
    "SELECT i.sop_instance_uid, i.sop_class_uid, i.transfer_syntax_uid,"
    "       st.study_instance_uid, se.series_instance_uid, p.patient_id, p.patient_name,"
    "       p.birth_date, p.sex, st.accession_number, st.study_id, st.study_date,"
    "       st.study_time, st.study_description, st.referring_physician_name, se.modality,"
    "       se.series_number, se.series_description, i.instance_number,"
    "       i.specific_character_set, i.calling_ae, i.peer_address, i.file_path, i.sha256,"
    "       i.size, i.received_at"
    "  FROM instances i"
    "  JOIN series se ON se.id = i.series_ref"
    "  JOIN studies st ON st.id = se.study_ref"
    "  JOIN patients p ON p.id = st.patient_ref"
    " WHERE st.study_instance_uid = ?1"
    " ORDER BY se.id, cast (i.instance_number AS INTEGER), i.id",
  [STMT_COUNT_INSTANCES] =
    "SELECT count (*) FROM instances",
  [STMT_INSERT_DELIVERY] =
    "INSERT INTO deliveries (instance_ref, destination, state, coercions, queued_at,"
    "                        next_attempt_at, updated_at)"
    " VALUES (?1, ?2, 'queued', ?3, ?4, ?4, ?4)"
    " ON CONFLICT (instance_ref, destination) DO NOTHING",
};

/* One instance waiting to be committed. Lives on the stack of the thread that inserts it. */
typedef struct {
  const FerryInstanceRecord *record;
  FerryInsertOutcome         outcome;
  GError                    *error;
  gboolean                   done;
} PendingInsert;

struct _FerryDatabase {
  GMutex        mutex;

  /* Group commit: instances that arrive while a commit is being made to disk wait here and go
   * into the next transaction together, so that concurrent associations share one WAL sync. */
  GMutex        queue_lock;
  GCond         queue_done;
  GPtrArray    *queue;          /* of PendingInsert*, guarded by queue_lock */
  gboolean      committing;     /* guarded by queue_lock */

  /* Owned */
  sqlite3      *db;
  char         *path;
  sqlite3_stmt *statements[N_STMTS];

  int           schema_version;
};

static int
error_code_for (int rc)
{
  switch (rc & 0xFF)
    {
    case SQLITE_FULL:
    case SQLITE_IOERR:
      return FERRY_DATABASE_ERROR_FULL;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return FERRY_DATABASE_ERROR_CORRUPT;
    default:
      return FERRY_DATABASE_ERROR_FAILED;
    }
}

static gboolean
set_sqlite_error (GError     **error,
                  sqlite3     *db,
                  int          rc,
                  const char  *operation)
{
  const char *message = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);

  g_set_error (error, FERRY_DATABASE_ERROR, error_code_for (rc),
               /* Translators: "Database: could not add the instance: database or disk is full" */
               _("Database: could not %s: %s"), operation, message);
  return FALSE;
}

static gboolean
exec_sql (FerryDatabase  *self,
          const char     *sql,
          const char     *operation,
          GError        **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    return set_sqlite_error (error, self->db, rc, operation);
  return TRUE;
}

static void
rollback (FerryDatabase *self)
{
  /* SQLite rolls back by itself after some errors (SQLITE_FULL, SQLITE_IOERR). */
  if (!sqlite3_get_autocommit (self->db))
    {
      int rc = sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);

      if (rc != SQLITE_OK)
        g_message ("Could not roll back: %s", sqlite3_errmsg (self->db));
    }
}

/* A reset statement with no bindings, prepared on first use. */
static sqlite3_stmt *
statement (FerryDatabase  *self,
           StatementId     id,
           GError        **error)
{
  sqlite3_stmt *stmt = self->statements[id];

  if (stmt == NULL)
    {
      int rc = sqlite3_prepare_v3 (self->db, statement_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                   &stmt, NULL);

      if (rc != SQLITE_OK)
        {
          set_sqlite_error (error, self->db, rc, _("prepare a statement"));
          return NULL;
        }
      self->statements[id] = stmt;
    }

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
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
    sqlite3_bind_text (stmt, index, value, -1, SQLITE_STATIC);
}

static char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

/* Runs a statement that returns no rows. */
static gboolean
step_done (FerryDatabase  *self,
           sqlite3_stmt   *stmt,
           const char     *operation,
           GError        **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return set_sqlite_error (error, self->db, rc, operation);
  return TRUE;
}

/* Runs a statement that returns at most one row and reads an integer from its first column:
 * 1 with *value set, 0 for no row, -1 on error. */
static int
step_integer (FerryDatabase  *self,
              sqlite3_stmt   *stmt,
              gint64         *value,
              const char     *operation,
              GError        **error)
{
  int rc = sqlite3_step (stmt);
  int found = 0;

  if (rc == SQLITE_ROW)
    {
      *value = sqlite3_column_int64 (stmt, 0);
      found = 1;
    }
  else if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, self->db, rc, operation);
      found = -1;
    }

  sqlite3_reset (stmt);
  return found;
}

static gboolean
read_user_version (FerryDatabase  *self,
                   int            *version,
                   GError        **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      set_sqlite_error (error, self->db, rc, _("read the schema version"));
      sqlite3_finalize (stmt);
      return FALSE;
    }

  *version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return TRUE;
}

static gboolean
migrate (FerryDatabase  *self,
         GError        **error)
{
  int version;

  if (!read_user_version (self, &version, error))
    return FALSE;

  if (version > FERRY_DATABASE_SCHEMA_VERSION)
    {
      g_set_error (error, FERRY_DATABASE_ERROR, FERRY_DATABASE_ERROR_TOO_NEW,
                   _("The database %s was written by a newer Ferry (schema version %d; this "
                     "Ferry knows up to version %d)"),
                   self->path, version, FERRY_DATABASE_SCHEMA_VERSION);
      return FALSE;
    }

  while (version < FERRY_DATABASE_SCHEMA_VERSION)
    {
      g_autofree char *set_version = NULL;
      int current;

      if (!exec_sql (self, "BEGIN IMMEDIATE", _("start the schema upgrade"), error))
        return FALSE;

      /* Another process may have migrated while we waited for the write lock. */
      if (!read_user_version (self, &current, error))
        {
          rollback (self);
          return FALSE;
        }

      if (current == version)
        {
          set_version = g_strdup_printf ("PRAGMA user_version = %d", version + 1);
          if (!exec_sql (self, migrations[version], _("upgrade the schema"), error) ||
              !exec_sql (self, set_version, _("upgrade the schema"), error))
            {
              rollback (self);
              return FALSE;
            }
          g_debug ("Migrated %s to schema version %d", self->path, version + 1);
        }

      if (!exec_sql (self, "COMMIT", _("upgrade the schema"), error))
        {
          rollback (self);
          return FALSE;
        }

      if (!read_user_version (self, &version, error))
        return FALSE;
      if (version > FERRY_DATABASE_SCHEMA_VERSION)
        {
          g_set_error (error, FERRY_DATABASE_ERROR, FERRY_DATABASE_ERROR_TOO_NEW,
                       _("The database %s was written by a newer Ferry (schema version %d; "
                         "this Ferry knows up to version %d)"),
                       self->path, version, FERRY_DATABASE_SCHEMA_VERSION);
          return FALSE;
        }
    }

  self->schema_version = version;
  return TRUE;
}

/**
 * ferry_database_open:
 * @path: the database file, normally #FerryPaths.database_file
 * @error: return location for a #GError
 *
 * Opens (creating when needed) the database, switches it to WAL with synchronous=FULL and
 * foreign keys, and migrates the schema to %FERRY_DATABASE_SCHEMA_VERSION. A schema newer than
 * that is refused with %FERRY_DATABASE_ERROR_TOO_NEW.
 *
 * Returns: (transfer full) (nullable): the database; close with ferry_database_close()
 */
FerryDatabase *
ferry_database_open (const char  *path,
                     GError     **error)
{
  g_autoptr(FerryDatabase) self = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (FerryDatabase, 1);
  g_mutex_init (&self->mutex);
  g_mutex_init (&self->queue_lock);
  g_cond_init (&self->queue_done);
  self->queue = g_ptr_array_new ();
  self->path = g_strdup (path);

  rc = sqlite3_open_v2 (path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, FERRY_DATABASE_ERROR, error_code_for (rc),
                   _("Could not open the database %s: %s"), path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return NULL;
    }

  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);

  if (!exec_sql (self, "PRAGMA journal_mode = WAL", _("switch to write-ahead logging"), error) ||
      !exec_sql (self, "PRAGMA synchronous = FULL", _("set synchronous writes"), error) ||
      !exec_sql (self, "PRAGMA foreign_keys = ON", _("enable foreign keys"), error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }

  if (!migrate (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * ferry_database_close:
 * @db: (nullable) (transfer full): a database
 *
 * Finalizes the statements and closes the connection. No other thread may be using @db.
 */
void
ferry_database_close (FerryDatabase *db)
{
  if (db == NULL)
    return;

  for (guint i = 0; i < N_STMTS; i++)
    g_clear_pointer (&db->statements[i], sqlite3_finalize);

  if (db->db != NULL)
    {
      int rc = sqlite3_close (db->db);

      if (rc != SQLITE_OK)
        g_warning ("Could not close the database %s: %s", db->path, sqlite3_errstr (rc));
    }

  g_mutex_clear (&db->mutex);
  g_mutex_clear (&db->queue_lock);
  g_cond_clear (&db->queue_done);
  g_clear_pointer (&db->queue, g_ptr_array_unref);
  g_free (db->path);
  g_free (db);
}

/**
 * ferry_database_get_schema_version:
 * @db: a database
 *
 * Returns: the schema version of the open database
 */
int
ferry_database_get_schema_version (FerryDatabase *db)
{
  g_return_val_if_fail (db != NULL, 0);

  return db->schema_version;
}

/* Looks a row up by its natural key and inserts it when missing: *id is set either way. */
static gboolean
upsert_patient (FerryDatabase              *self,
                const FerryInstanceRecord  *record,
                gint64                     *id,
                GError                    **error)
{
  const char *patient_id = record->patient_id != NULL ? record->patient_id : "";
  const char *patient_name = record->patient_name != NULL ? record->patient_name : "";
  sqlite3_stmt *stmt;
  int found;

  if (!(stmt = statement (self, STMT_FIND_PATIENT, error)))
    return FALSE;
  bind_text (stmt, 1, patient_id);
  bind_text (stmt, 2, patient_name);
  found = step_integer (self, stmt, id, _("find the patient"), error);
  if (found < 0)
    return FALSE;

  if (found)
    {
      if (!(stmt = statement (self, STMT_UPDATE_PATIENT, error)))
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, *id);
      bind_text (stmt, 2, record->patient_birth_date);
      bind_text (stmt, 3, record->patient_sex);
      return step_done (self, stmt, _("update the patient"), error);
    }

  if (!(stmt = statement (self, STMT_INSERT_PATIENT, error)))
    return FALSE;
  bind_text (stmt, 1, patient_id);
  bind_text (stmt, 2, patient_name);
  bind_text (stmt, 3, record->patient_birth_date);
  bind_text (stmt, 4, record->patient_sex);
  if (!step_done (self, stmt, _("add the patient"), error))
    return FALSE;

  *id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

static gboolean
upsert_study (FerryDatabase              *self,
              const FerryInstanceRecord  *record,
              gint64                      patient_ref,
              gint64                     *id,
              GError                    **error)
{
  sqlite3_stmt *stmt;
  int found;

  if (!(stmt = statement (self, STMT_FIND_STUDY, error)))
    return FALSE;
  bind_text (stmt, 1, record->study_instance_uid);
  found = step_integer (self, stmt, id, _("find the study"), error);
  if (found < 0)
    return FALSE;

  if (found)
    {
      if (!(stmt = statement (self, STMT_UPDATE_STUDY, error)))
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, *id);
      bind_text (stmt, 2, record->accession_number);
      bind_text (stmt, 3, record->study_id);
      bind_text (stmt, 4, record->study_date);
      bind_text (stmt, 5, record->study_time);
      bind_text (stmt, 6, record->study_description);
      bind_text (stmt, 7, record->referring_physician_name);
      bind_text (stmt, 8, record->calling_ae);
      sqlite3_bind_int64 (stmt, 9, record->received_at);
      bind_text (stmt, 10, record->physician_name);
      return step_done (self, stmt, _("update the study"), error);
    }

  if (!(stmt = statement (self, STMT_INSERT_STUDY, error)))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, patient_ref);
  bind_text (stmt, 2, record->study_instance_uid);
  bind_text (stmt, 3, record->accession_number);
  bind_text (stmt, 4, record->study_id);
  bind_text (stmt, 5, record->study_date);
  bind_text (stmt, 6, record->study_time);
  bind_text (stmt, 7, record->study_description);
  bind_text (stmt, 8, record->referring_physician_name);
  bind_text (stmt, 9, record->calling_ae);
  sqlite3_bind_int64 (stmt, 10, record->received_at);
  bind_text (stmt, 11, record->physician_name);
  if (!step_done (self, stmt, _("add the study"), error))
    return FALSE;

  *id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

static gboolean
upsert_series (FerryDatabase              *self,
               const FerryInstanceRecord  *record,
               gint64                      study_ref,
               gint64                     *id,
               GError                    **error)
{
  sqlite3_stmt *stmt;
  int found;

  if (!(stmt = statement (self, STMT_FIND_SERIES, error)))
    return FALSE;
  bind_text (stmt, 1, record->series_instance_uid);
  found = step_integer (self, stmt, id, _("find the series"), error);
  if (found < 0)
    return FALSE;

  if (found)
    {
      if (!(stmt = statement (self, STMT_UPDATE_SERIES, error)))
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, *id);
      bind_text (stmt, 2, record->modality);
      bind_text (stmt, 3, record->series_number);
      bind_text (stmt, 4, record->series_description);
      return step_done (self, stmt, _("update the series"), error);
    }

  if (!(stmt = statement (self, STMT_INSERT_SERIES, error)))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, study_ref);
  bind_text (stmt, 2, record->series_instance_uid);
  bind_text (stmt, 3, record->modality);
  bind_text (stmt, 4, record->series_number);
  bind_text (stmt, 5, record->series_description);
  if (!step_done (self, stmt, _("add the series"), error))
    return FALSE;

  *id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

static gboolean
insert_instance_locked (FerryDatabase              *self,
                        const FerryInstanceRecord  *record,
                        FerryInsertOutcome         *outcome,
                        GError                    **error)
{
  sqlite3_stmt *stmt;
  gint64 patient_ref = 0, study_ref = 0, series_ref = 0;
  gint64 versions = 0, same = 0;
  int rc;

  if (!(stmt = statement (self, STMT_FIND_INSTANCE, error)))
    return FALSE;
  bind_text (stmt, 1, record->sop_instance_uid);
  bind_text (stmt, 2, record->sha256);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      versions = sqlite3_column_int64 (stmt, 0);
      same = sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    return set_sqlite_error (error, self->db, rc, _("look the instance up"));

  if (same > 0)
    {
      *outcome = FERRY_INSERT_SAME;
      return TRUE;
    }

  if (!upsert_patient (self, record, &patient_ref, error) ||
      !upsert_study (self, record, patient_ref, &study_ref, error) ||
      !upsert_series (self, record, study_ref, &series_ref, error))
    return FALSE;

  if (!(stmt = statement (self, STMT_INSERT_INSTANCE, error)))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, series_ref);
  bind_text (stmt, 2, record->sop_instance_uid);
  bind_text (stmt, 3, record->sop_class_uid != NULL ? record->sop_class_uid : "");
  bind_text (stmt, 4, record->transfer_syntax_uid != NULL ? record->transfer_syntax_uid : "");
  bind_text (stmt, 5, record->instance_number);
  bind_text (stmt, 6, record->specific_character_set);
  bind_text (stmt, 7, record->calling_ae);
  bind_text (stmt, 8, record->peer_address);
  bind_text (stmt, 9, record->file_path);
  bind_text (stmt, 10, record->sha256);
  sqlite3_bind_int64 (stmt, 11, (sqlite3_int64) record->size);
  sqlite3_bind_int64 (stmt, 12, record->received_at);
  bind_text (stmt, 13, record->route_to);
  sqlite3_bind_int (stmt, 14, record->routes != NULL ? 1 : 0);
  if (!step_done (self, stmt, _("add the instance"), error))
    return FALSE;

  if (record->routes != NULL && record->routes->len > 0)
    {
      gint64 instance_id = sqlite3_last_insert_rowid (self->db);

      if (!(stmt = statement (self, STMT_INSERT_DELIVERY, error)))
        return FALSE;
      for (guint i = 0; i < record->routes->len; i++)
        {
          const FerryRoute *route = g_ptr_array_index (record->routes, i);

          sqlite3_reset (stmt);
          sqlite3_bind_int64 (stmt, 1, instance_id);
          bind_text (stmt, 2, route->destination);
          bind_text (stmt, 3, route->coercions_json);
          sqlite3_bind_int64 (stmt, 4, record->received_at);
          if (!step_done (self, stmt, _("queue the instance for delivery"), error))
            return FALSE;
        }
    }

  *outcome = versions > 0 ? FERRY_INSERT_NEW_VERSION : FERRY_INSERT_NEW;
  return TRUE;
}

/* One transaction for every queued instance, each inside a savepoint so that a row that fails
 * (bad input) takes only itself back. A failed commit fails them all: none is durable. */
static void
commit_batch (FerryDatabase *db,
              GPtrArray     *batch)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&db->mutex);
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;

  if (!(stmt = statement (db, STMT_BEGIN_IMMEDIATE, &error)) ||
      !step_done (db, stmt, _("start a transaction"), &error))
    goto fail_all;

  for (guint i = 0; i < batch->len; i++)
    {
      PendingInsert *p = g_ptr_array_index (batch, i);

      if (!exec_sql (db, "SAVEPOINT ferry_instance", _("start a transaction"), &error))
        goto fail_all;

      if (insert_instance_locked (db, p->record, &p->outcome, &p->error))
        {
          if (!exec_sql (db, "RELEASE ferry_instance", _("commit the instance"), &error))
            goto fail_all;
          continue;
        }

      /* After SQLITE_FULL or an I/O error SQLite may have ended the transaction itself. */
      if (sqlite3_get_autocommit (db->db))
        {
          error = g_error_copy (p->error);
          goto fail_all;
        }
      if (!exec_sql (db, "ROLLBACK TO ferry_instance", _("commit the instance"), &error) ||
          !exec_sql (db, "RELEASE ferry_instance", _("commit the instance"), &error))
        goto fail_all;
    }

  if (!(stmt = statement (db, STMT_COMMIT, &error)) ||
      !step_done (db, stmt, _("commit the instance"), &error))
    goto fail_all;

  for (guint i = 0; i < batch->len; i++)
    ((PendingInsert *) g_ptr_array_index (batch, i))->done = TRUE;
  return;

fail_all:
  rollback (db);
  for (guint i = 0; i < batch->len; i++)
    {
      PendingInsert *p = g_ptr_array_index (batch, i);

      if (p->error == NULL)
        p->error = g_error_copy (error);
      p->done = TRUE;
    }
}

/**
 * ferry_database_insert_instance:
 * @db: a database
 * @record: the instance, its text in UTF-8
 * @outcome: (out) (optional): whether the instance was new, the same as one indexed already, or
 *   a new version (same SOP Instance UID, different content)
 * @error: return location for a #GError
 *
 * Upserts the patient (by patient ID and name; birth date and sex are updated when given), the
 * study (by UID; empty fields are filled, and the sending device and time of the most recent
 * instance are kept) and the series, and adds the instance — all in one transaction, rolled
 * back on any error. Nothing changes when the same UID with the same content is indexed already.
 * A full disk or an I/O error gives %FERRY_DATABASE_ERROR_FULL.
 *
 * Returns: %TRUE once the transaction committed
 */
gboolean
ferry_database_insert_instance (FerryDatabase              *db,
                                const FerryInstanceRecord  *record,
                                FerryInsertOutcome         *outcome,
                                GError                    **error)
{
  PendingInsert pending = { 0 };

  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (record != NULL, FALSE);
  g_return_val_if_fail (record->sop_instance_uid != NULL, FALSE);
  g_return_val_if_fail (record->file_path != NULL, FALSE);
  g_return_val_if_fail (record->sha256 != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* A received object may lack them; that is bad input, not a programming error. */
  if (record->study_instance_uid == NULL || record->study_instance_uid[0] == '\0')
    {
      g_set_error_literal (error, FERRY_DATABASE_ERROR, FERRY_DATABASE_ERROR_FAILED,
                           _("Database: the instance has no Study Instance UID"));
      return FALSE;
    }
  if (record->series_instance_uid == NULL || record->series_instance_uid[0] == '\0')
    {
      g_set_error_literal (error, FERRY_DATABASE_ERROR, FERRY_DATABASE_ERROR_FAILED,
                           _("Database: the instance has no Series Instance UID"));
      return FALSE;
    }

  pending.record = record;
  pending.outcome = FERRY_INSERT_NEW;

  g_mutex_lock (&db->queue_lock);
  g_ptr_array_add (db->queue, &pending);
  while (!pending.done)
    {
      g_autoptr(GPtrArray) batch = NULL;

      if (db->committing)
        {
          g_cond_wait (&db->queue_done, &db->queue_lock);
          continue;
        }

      /* Nobody is committing: this thread commits everything queued, its own row included. */
      db->committing = TRUE;
      batch = g_steal_pointer (&db->queue);
      db->queue = g_ptr_array_new ();
      g_mutex_unlock (&db->queue_lock);

      commit_batch (db, batch);

      g_mutex_lock (&db->queue_lock);
      db->committing = FALSE;
      g_cond_broadcast (&db->queue_done);
    }
  g_mutex_unlock (&db->queue_lock);

  if (pending.error != NULL)
    {
      g_propagate_error (error, pending.error);
      return FALSE;
    }

  if (outcome != NULL)
    *outcome = pending.outcome;
  return TRUE;
}

static FerryStudyRecord *
study_from_row (sqlite3_stmt *stmt)
{
  FerryStudyRecord *record = g_new0 (FerryStudyRecord, 1);

  record->id = sqlite3_column_int64 (stmt, 0);
  record->study_instance_uid = column_text (stmt, 1);
  record->patient_id = column_text (stmt, 2);
  record->patient_name = column_text (stmt, 3);
  record->patient_birth_date = column_text (stmt, 4);
  record->patient_sex = column_text (stmt, 5);
  record->accession_number = column_text (stmt, 6);
  record->study_date = column_text (stmt, 7);
  record->study_time = column_text (stmt, 8);
  record->study_description = column_text (stmt, 9);
  record->modalities = column_text (stmt, 10);
  record->calling_ae = column_text (stmt, 11);
  record->instances = (guint) sqlite3_column_int64 (stmt, 12);
  record->size = (guint64) sqlite3_column_int64 (stmt, 13);
  record->first_received_at = sqlite3_column_int64 (stmt, 14);
  record->last_received_at = sqlite3_column_int64 (stmt, 15);
  record->physician_name = column_text (stmt, 16);

  return record;
}

/**
 * ferry_database_list_studies:
 * @db: a database
 * @error: return location for a #GError
 *
 * Every study with its patient, the distinct modalities of its series ("US\SR"), its number of
 * instances and their total size; the most recently received first.
 *
 * Returns: (transfer full) (element-type FerryStudyRecord) (nullable): the studies, or %NULL
 *   with @error set
 */
GPtrArray *
ferry_database_list_studies (FerryDatabase  *db,
                             GError        **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GPtrArray) studies = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (db != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  locker = g_mutex_locker_new (&db->mutex);

  if (!(stmt = statement (db, STMT_LIST_STUDIES, error)))
    return NULL;

  studies = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_study_record_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (studies, study_from_row (stmt));
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, db->db, rc, _("list the studies"));
      return NULL;
    }

  return g_steal_pointer (&studies);
}

/**
 * ferry_database_get_study:
 * @db: a database
 * @study_instance_uid: the Study Instance UID
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the study as ferry_database_list_studies() gives it, or
 *   %NULL with %FERRY_DATABASE_ERROR_NOT_FOUND or another error
 */
FerryStudyRecord *
ferry_database_get_study (FerryDatabase  *db,
                          const char     *study_instance_uid,
                          GError        **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  FerryStudyRecord *record = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (db != NULL, NULL);
  g_return_val_if_fail (study_instance_uid != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  locker = g_mutex_locker_new (&db->mutex);

  if (!(stmt = statement (db, STMT_GET_STUDY, error)))
    return NULL;
  bind_text (stmt, 1, study_instance_uid);

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    record = study_from_row (stmt);
  sqlite3_reset (stmt);

  if (rc == SQLITE_DONE)
    g_set_error (error, FERRY_DATABASE_ERROR, FERRY_DATABASE_ERROR_NOT_FOUND,
                 _("Database: there is no study %s"), study_instance_uid);
  else if (rc != SQLITE_ROW)
    set_sqlite_error (error, db->db, rc, _("read the study"));

  return record;
}

/**
 * ferry_database_list_instances:
 * @db: a database
 * @study_instance_uid: the Study Instance UID
 * @error: return location for a #GError
 *
 * The instances of a study, series by series, with their patient, study and series fields.
 * An unknown study gives an empty array.
 *
 * Returns: (transfer full) (element-type FerryInstanceRecord) (nullable): the instances, or
 *   %NULL with @error set
 */
GPtrArray *
ferry_database_list_instances (FerryDatabase  *db,
                               const char     *study_instance_uid,
                               GError        **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GPtrArray) instances = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (db != NULL, NULL);
  g_return_val_if_fail (study_instance_uid != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  locker = g_mutex_locker_new (&db->mutex);

  if (!(stmt = statement (db, STMT_LIST_INSTANCES, error)))
    return NULL;
  bind_text (stmt, 1, study_instance_uid);

  instances = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_instance_record_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      FerryInstanceRecord *r = g_new0 (FerryInstanceRecord, 1);

      r->sop_instance_uid = column_text (stmt, 0);
      r->sop_class_uid = column_text (stmt, 1);
      r->transfer_syntax_uid = column_text (stmt, 2);
      r->study_instance_uid = column_text (stmt, 3);
      r->series_instance_uid = column_text (stmt, 4);
      r->patient_id = column_text (stmt, 5);
      r->patient_name = column_text (stmt, 6);
      r->patient_birth_date = column_text (stmt, 7);
      r->patient_sex = column_text (stmt, 8);
      r->accession_number = column_text (stmt, 9);
      r->study_id = column_text (stmt, 10);
      r->study_date = column_text (stmt, 11);
      r->study_time = column_text (stmt, 12);
      r->study_description = column_text (stmt, 13);
      r->referring_physician_name = column_text (stmt, 14);
      r->modality = column_text (stmt, 15);
      r->series_number = column_text (stmt, 16);
      r->series_description = column_text (stmt, 17);
      r->instance_number = column_text (stmt, 18);
      r->specific_character_set = column_text (stmt, 19);
      r->calling_ae = column_text (stmt, 20);
      r->peer_address = column_text (stmt, 21);
      r->file_path = column_text (stmt, 22);
      r->sha256 = column_text (stmt, 23);
      r->size = (guint64) sqlite3_column_int64 (stmt, 24);
      r->received_at = sqlite3_column_int64 (stmt, 25);

      g_ptr_array_add (instances, r);
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, db->db, rc, _("list the instances"));
      return NULL;
    }

  return g_steal_pointer (&instances);
}

/**
 * ferry_database_count_instances:
 * @db: a database
 * @count: (out): the number of archived instances
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
ferry_database_count_instances (FerryDatabase  *db,
                                guint64        *count,
                                GError        **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  sqlite3_stmt *stmt;
  gint64 value = 0;

  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (count != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  locker = g_mutex_locker_new (&db->mutex);

  if (!(stmt = statement (db, STMT_COUNT_INSTANCES, error)))
    return FALSE;
  if (step_integer (db, stmt, &value, _("count the instances"), error) < 0)
    return FALSE;

  *count = (guint64) value;
  return TRUE;
}

/**
 * ferry_database_integrity_check:
 * @db: a database
 *
 * Runs PRAGMA integrity_check.
 *
 * Returns: (transfer full): "ok", or what the check reported (one problem a line), or why the
 *   check could not run
 */
char *
ferry_database_integrity_check (FerryDatabase *db)
{
  g_autoptr(GMutexLocker) locker = NULL;
  sqlite3_stmt *stmt = NULL;
  GString *report;
  int rc;

  g_return_val_if_fail (db != NULL, NULL);

  locker = g_mutex_locker_new (&db->mutex);

  rc = sqlite3_prepare_v2 (db->db, "PRAGMA integrity_check", -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    return g_strdup (sqlite3_errmsg (db->db));

  report = g_string_new (NULL);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (report->len > 0)
        g_string_append_c (report, '\n');
      g_string_append (report, (const char *) sqlite3_column_text (stmt, 0));
    }
  if (rc != SQLITE_DONE)
    {
      if (report->len > 0)
        g_string_append_c (report, '\n');
      g_string_append (report, sqlite3_errmsg (db->db));
    }
  sqlite3_finalize (stmt);

  return g_string_free (report, FALSE);
}

/**
 * ferry_instance_record_free:
 * @record: (nullable): an instance record
 */
void
ferry_instance_record_free (FerryInstanceRecord *record)
{
  if (record == NULL)
    return;

  g_free (record->sop_instance_uid);
  g_free (record->sop_class_uid);
  g_free (record->transfer_syntax_uid);
  g_free (record->study_instance_uid);
  g_free (record->series_instance_uid);
  g_free (record->patient_id);
  g_free (record->patient_name);
  g_free (record->patient_birth_date);
  g_free (record->patient_sex);
  g_free (record->accession_number);
  g_free (record->study_id);
  g_free (record->study_date);
  g_free (record->study_time);
  g_free (record->study_description);
  g_free (record->referring_physician_name);
  g_free (record->physician_name);
  g_free (record->modality);
  g_free (record->series_number);
  g_free (record->series_description);
  g_free (record->instance_number);
  g_free (record->specific_character_set);
  g_free (record->calling_ae);
  g_free (record->peer_address);
  g_free (record->file_path);
  g_free (record->sha256);
  g_free (record->route_to);
  g_clear_pointer (&record->routes, g_ptr_array_unref);
  g_free (record);
}

/**
 * ferry_study_record_free:
 * @record: (nullable): a study record
 */
void
ferry_study_record_free (FerryStudyRecord *record)
{
  if (record == NULL)
    return;

  g_free (record->study_instance_uid);
  g_free (record->patient_id);
  g_free (record->patient_name);
  g_free (record->patient_birth_date);
  g_free (record->patient_sex);
  g_free (record->accession_number);
  g_free (record->study_date);
  g_free (record->study_time);
  g_free (record->study_description);
  g_free (record->modalities);
  g_free (record->calling_ae);
  g_free (record->physician_name);
  g_free (record);
}

/**
 * ferry_study_record_copy:
 * @record: a study record
 *
 * Returns: (transfer full): a deep copy of @record
 */
FerryStudyRecord *
ferry_study_record_copy (const FerryStudyRecord *record)
{
  FerryStudyRecord *copy;

  g_return_val_if_fail (record != NULL, NULL);

  copy = g_new0 (FerryStudyRecord, 1);
  copy->id = record->id;
  copy->study_instance_uid = g_strdup (record->study_instance_uid);
  copy->patient_id = g_strdup (record->patient_id);
  copy->patient_name = g_strdup (record->patient_name);
  copy->patient_birth_date = g_strdup (record->patient_birth_date);
  copy->patient_sex = g_strdup (record->patient_sex);
  copy->accession_number = g_strdup (record->accession_number);
  copy->study_date = g_strdup (record->study_date);
  copy->study_time = g_strdup (record->study_time);
  copy->study_description = g_strdup (record->study_description);
  copy->modalities = g_strdup (record->modalities);
  copy->calling_ae = g_strdup (record->calling_ae);
  copy->physician_name = g_strdup (record->physician_name);
  copy->instances = record->instances;
  copy->size = record->size;
  copy->first_received_at = record->first_received_at;
  copy->last_received_at = record->last_received_at;

  return copy;
}

/* ------------------------------------------------------------------------------------------ */
/* For the delivery ledger (ferry-database-private.h).                                        */

sqlite3 *
ferry_database_lock (FerryDatabase *db)
{
  g_mutex_lock (&db->mutex);
  return db->db;
}

void
ferry_database_unlock (FerryDatabase *db)
{
  g_mutex_unlock (&db->mutex);
}

gboolean
ferry_database_set_sqlite_error (GError     **error,
                                 sqlite3     *db,
                                 int          rc,
                                 const char  *operation)
{
  return set_sqlite_error (error, db, rc, operation);
}

void
ferry_database_rollback (FerryDatabase *db)
{
  rollback (db);
}
