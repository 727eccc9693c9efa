/* test-database.c: the SQLite index
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "ferry-database.h"

#define STUDY_A  "1.2.3.100"
#define STUDY_B  "1.2.3.200"

static char *
database_path (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "ferry", NULL);

  g_assert_no_errno (g_mkdir_with_parents (dir, 0700));
  return g_build_filename (dir, "ferry.db", NULL);
}

static FerryDatabase *
open_database (void)
{
  g_autofree char *path = database_path ();
  g_autoptr(GError) error = NULL;
  FerryDatabase *db = ferry_database_open (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (db);
  return db;
}

/* A record as the receiver builds it; the SHA-256 is derived from @content. */
static FerryInstanceRecord *
make_record (const char *study_uid,
             const char *series_uid,
             const char *sop_uid,
             const char *content,
             const char *modality,
             gint64      received_at)
{
  FerryInstanceRecord *r = g_new0 (FerryInstanceRecord, 1);

  r->sop_instance_uid = g_strdup (sop_uid);
  r->sop_class_uid = g_strdup ("1.2.840.10008.5.1.4.1.1.6.1");
  r->transfer_syntax_uid = g_strdup ("1.2.840.10008.1.2.1");
  r->study_instance_uid = g_strdup (study_uid);
  r->series_instance_uid = g_strdup (series_uid);
  r->patient_id = g_strdup ("PID-1");
  r->patient_name = g_strdup ("DOE^JANE");
  r->patient_birth_date = g_strdup ("19800101");
  r->patient_sex = g_strdup ("F");
  r->accession_number = g_strdup ("ACC1");
  r->study_date = g_strdup ("20240501");
  r->study_time = g_strdup ("101500");
  r->study_description = g_strdup ("Abdomen");
  r->modality = g_strdup (modality);
  r->series_number = g_strdup ("1");
  r->instance_number = g_strdup ("1");
  r->specific_character_set = g_strdup ("ISO_IR 100");
  r->calling_ae = g_strdup ("US_CART3");
  r->peer_address = g_strdup ("10.0.0.5");
  r->sha256 = g_compute_checksum_for_string (G_CHECKSUM_SHA256, content, -1);
  r->file_path = g_strdup_printf ("folder/%s", r->sha256);
  r->size = strlen (content);
  r->received_at = received_at;

  return r;
}

static FerryInsertOutcome
insert (FerryDatabase             *db,
        const FerryInstanceRecord *record)
{
  g_autoptr(GError) error = NULL;
  FerryInsertOutcome outcome = -1;

  g_assert_true (ferry_database_insert_instance (db, record, &outcome, &error));
  g_assert_no_error (error);
  return outcome;
}

static gint64
query_integer (const char *sql)
{
  g_autofree char *path = database_path ();
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return value;
}

static void
test_migrate_empty (void)
{
  g_autoptr(FerryDatabase) db = open_database ();
  g_autofree char *path = database_path ();
  g_autofree char *journal_mode = NULL;
  sqlite3 *raw = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (ferry_database_get_schema_version (db), ==, FERRY_DATABASE_SCHEMA_VERSION);
  g_assert_cmpint (query_integer ("PRAGMA user_version"), ==, FERRY_DATABASE_SCHEMA_VERSION);

  /* The columns the integration tests query directly. */
  g_assert_cmpint (query_integer ("SELECT count (*) FROM pragma_table_info ('instances') WHERE "
                                  "name IN ('series_ref', 'sop_instance_uid', 'sop_class_uid', "
                                  "'transfer_syntax_uid', 'instance_number', "
                                  "'specific_character_set', 'calling_ae', 'peer_address', "
                                  "'file_path', 'sha256', 'size', 'received_at')"), ==, 12);
  g_assert_cmpint (query_integer ("SELECT count (*) FROM pragma_table_info ('studies') WHERE "
                                  "name IN ('patient_ref', 'study_instance_uid', "
                                  "'accession_number', 'study_id', 'study_date', 'study_time', "
                                  "'study_description', 'referring_physician_name', "
                                  "'calling_ae', 'first_received_at', 'last_received_at')"),
                   ==, 11);
  g_assert_cmpint (query_integer ("SELECT count (*) FROM pragma_table_info ('patients') WHERE "
                                  "name IN ('patient_id', 'patient_name', 'birth_date', 'sex')"),
                   ==, 4);
  g_assert_cmpint (query_integer ("SELECT count (*) FROM pragma_table_info ('series') WHERE "
                                  "name IN ('study_ref', 'series_instance_uid', 'modality', "
                                  "'series_number', 'series_description')"), ==, 5);
  g_assert_cmpint (query_integer ("SELECT count (*) FROM sqlite_master WHERE type = 'index' "
                                  "AND name IN ('instances_sop_instance_uid', "
                                  "'studies_last_received_at')"), ==, 2);

  g_assert_cmpint (sqlite3_open_v2 (path, &raw, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (raw, "PRAGMA journal_mode", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  journal_mode = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (raw);
  g_assert_cmpstr (journal_mode, ==, "wal");
}

static void
test_reopen (void)
{
  g_autoptr(FerryInstanceRecord) record = make_record (STUDY_A, "1.2.3.101", "1.2.3.101.1",
                                                       "one", "US", 1000);
  g_autoptr(FerryDatabase) db = open_database ();
  g_autoptr(GError) error = NULL;
  guint64 count = 0;

  g_assert_cmpint (insert (db, record), ==, FERRY_INSERT_NEW);
  g_clear_pointer (&db, ferry_database_close);

  /* Opening an up-to-date database migrates nothing and keeps the rows. */
  db = open_database ();
  g_assert_cmpint (ferry_database_get_schema_version (db), ==, FERRY_DATABASE_SCHEMA_VERSION);
  g_assert_true (ferry_database_count_instances (db, &count, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 1);
}

static void
test_too_new (void)
{
  g_autofree char *path = database_path ();
  g_autoptr(FerryDatabase) db = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *raw = NULL;

  g_assert_cmpint (sqlite3_open (path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, "PRAGMA user_version = 99", NULL, NULL, NULL), ==,
                   SQLITE_OK);
  sqlite3_close (raw);

  db = ferry_database_open (path, &error);
  g_assert_null (db);
  g_assert_error (error, FERRY_DATABASE_ERROR, FERRY_DATABASE_ERROR_TOO_NEW);
  g_assert_nonnull (strstr (error->message, "newer Ferry"));

  /* Refused, not changed. */
  g_assert_cmpint (query_integer ("PRAGMA user_version"), ==, 99);
}

static void
test_not_a_database (void)
{
  g_autofree char *path = database_path ();
  g_autoptr(FerryDatabase) db = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *garbage = g_strnfill (8192, 'x');

  g_assert_true (g_file_set_contents (path, garbage, -1, NULL));
  db = ferry_database_open (path, &error);
  g_assert_null (db);
  g_assert_error (error, FERRY_DATABASE_ERROR, FERRY_DATABASE_ERROR_CORRUPT);
}

static void
test_insert_outcomes (void)
{
  g_autoptr(FerryDatabase) db = open_database ();
  g_autoptr(FerryInstanceRecord) first = make_record (STUDY_A, "1.2.3.101", "1.2.3.101.1",
                                                      "content one", "US", 1000);
  g_autoptr(FerryInstanceRecord) again = make_record (STUDY_A, "1.2.3.101", "1.2.3.101.1",
                                                      "content one", "US", 2000);
  g_autoptr(FerryInstanceRecord) changed = make_record (STUDY_A, "1.2.3.101", "1.2.3.101.1",
                                                        "content two", "US", 3000);
  g_autoptr(FerryStudyRecord) study = NULL;
  g_autoptr(GError) error = NULL;
  guint64 count = 0;

  g_assert_cmpint (insert (db, first), ==, FERRY_INSERT_NEW);

  /* The same UID with the same content changes nothing, not even the study's time. */
  g_assert_cmpint (insert (db, again), ==, FERRY_INSERT_SAME);
  study = ferry_database_get_study (db, STUDY_A, &error);
  g_assert_no_error (error);
  g_assert_cmpint (study->last_received_at, ==, 1000);
  g_assert_cmpuint (study->instances, ==, 1);
  g_clear_pointer (&study, ferry_study_record_free);

  /* The same UID with other content is kept beside the first. */
  g_assert_cmpint (insert (db, changed), ==, FERRY_INSERT_NEW_VERSION);
  g_assert_true (ferry_database_count_instances (db, &count, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 2);
  g_assert_cmpint (query_integer ("SELECT count (*) FROM instances WHERE sop_instance_uid = "
                                  "'1.2.3.101.1'"), ==, 2);

  study = ferry_database_get_study (db, STUDY_A, &error);
  g_assert_no_error (error);
  g_assert_cmpint (study->first_received_at, ==, 1000);
  g_assert_cmpint (study->last_received_at, ==, 3000);
  g_assert_cmpuint (study->instances, ==, 2);
}

static void
test_list_studies (void)
{
  g_autoptr(FerryDatabase) db = open_database ();
  g_autoptr(GPtrArray) studies = NULL;
  g_autoptr(GError) error = NULL;
  FerryStudyRecord *study;
  struct {
    const char *study, *series, *sop, *content, *modality;
    gint64 at;
  } rows[] = {
    { STUDY_A, "1.2.3.101", "1.2.3.101.1", "a1", "US", 1000 },
    { STUDY_A, "1.2.3.101", "1.2.3.101.2", "a22", "US", 1100 },
    { STUDY_A, "1.2.3.102", "1.2.3.102.1", "a333", "SR", 1200 },
    { STUDY_B, "1.2.3.201", "1.2.3.201.1", "b1", "XC", 5000 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autoptr(FerryInstanceRecord) record = make_record (rows[i].study, rows[i].series,
                                                           rows[i].sop, rows[i].content,
                                                           rows[i].modality, rows[i].at);

      if (i == 3)
        {
          g_free (record->patient_id);
          record->patient_id = g_strdup ("PID-2");
          g_free (record->calling_ae);
          record->calling_ae = g_strdup ("CAMERA");
        }
      g_assert_cmpint (insert (db, record), ==, FERRY_INSERT_NEW);
    }

  studies = ferry_database_list_studies (db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (studies->len, ==, 2);

  /* Newest first. */
  study = g_ptr_array_index (studies, 0);
  g_assert_cmpstr (study->study_instance_uid, ==, STUDY_B);
  g_assert_cmpstr (study->patient_id, ==, "PID-2");
  g_assert_cmpstr (study->modalities, ==, "XC");
  g_assert_cmpstr (study->calling_ae, ==, "CAMERA");
  g_assert_cmpuint (study->instances, ==, 1);
  g_assert_cmpuint (study->size, ==, 2);

  study = g_ptr_array_index (studies, 1);
  g_assert_cmpstr (study->study_instance_uid, ==, STUDY_A);
  g_assert_cmpstr (study->patient_id, ==, "PID-1");
  g_assert_cmpstr (study->patient_name, ==, "DOE^JANE");
  g_assert_cmpstr (study->patient_birth_date, ==, "19800101");
  g_assert_cmpstr (study->patient_sex, ==, "F");
  g_assert_cmpstr (study->accession_number, ==, "ACC1");
  g_assert_cmpstr (study->study_date, ==, "20240501");
  g_assert_cmpstr (study->study_time, ==, "101500");
  g_assert_cmpstr (study->study_description, ==, "Abdomen");
  g_assert_cmpstr (study->modalities, ==, "SR\\US");
  g_assert_cmpuint (study->instances, ==, 3);
  g_assert_cmpuint (study->size, ==, 2 + 3 + 4);
  g_assert_cmpint (study->first_received_at, ==, 1000);
  g_assert_cmpint (study->last_received_at, ==, 1200);

  /* Two patients, three series. */
  g_assert_cmpint (query_integer ("SELECT count (*) FROM patients"), ==, 2);
  g_assert_cmpint (query_integer ("SELECT count (*) FROM series"), ==, 3);
}

static void
test_study_updates (void)
{
  g_autoptr(FerryDatabase) db = open_database ();
  g_autoptr(FerryInstanceRecord) first = make_record (STUDY_A, "1.2.3.101", "1.2.3.101.1", "1",
                                                      "US", 2000);
  g_autoptr(FerryInstanceRecord) later = make_record (STUDY_A, "1.2.3.101", "1.2.3.101.2", "2",
                                                      "US", 3000);
  g_autoptr(FerryInstanceRecord) late_arrival = make_record (STUDY_A, "1.2.3.101",
                                                             "1.2.3.101.3", "3", "US", 2500);
  g_autoptr(FerryStudyRecord) study = NULL;
  g_autoptr(GError) error = NULL;

  /* The first instance lacks the accession number and birth date. */
  g_clear_pointer (&first->accession_number, g_free);
  g_clear_pointer (&first->patient_birth_date, g_free);
  g_free (later->calling_ae);
  later->calling_ae = g_strdup ("US_CART4");
  g_free (later->accession_number);
  later->accession_number = g_strdup ("ACC-LATER");
  g_free (late_arrival->calling_ae);
  late_arrival->calling_ae = g_strdup ("OLD_DEVICE");

  insert (db, first);
  insert (db, later);
  insert (db, late_arrival);

  study = ferry_database_get_study (db, STUDY_A, &error);
  g_assert_no_error (error);
  /* Empty fields are filled; the device is the one of the most recent instance. */
  g_assert_cmpstr (study->accession_number, ==, "ACC-LATER");
  g_assert_cmpstr (study->patient_birth_date, ==, "19800101");
  g_assert_cmpstr (study->calling_ae, ==, "US_CART4");
  g_assert_cmpint (study->last_received_at, ==, 3000);
  g_assert_cmpuint (study->instances, ==, 3);
}

static void
test_utf8_round_trip (void)
{
  g_autoptr(FerryDatabase) db = open_database ();
  g_autoptr(FerryInstanceRecord) record = make_record (STUDY_A, "1.2.3.101", "1.2.3.101.1",
                                                       "x", "US", 1000);
  g_autoptr(GPtrArray) instances = NULL;
  g_autoptr(FerryStudyRecord) study = NULL;
  g_autoptr(GError) error = NULL;
  FerryInstanceRecord *stored;
  const char *name = "MUÑOZ^JOSÉ=山田^太郎=やまだ^たろう";

  g_free (record->patient_name);
  record->patient_name = g_strdup (name);
  g_free (record->study_description);
  record->study_description = g_strdup ("Échographie abdominale — contrôle");
  insert (db, record);

  study = ferry_database_get_study (db, STUDY_A, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (study->patient_name, ==, name);
  g_assert_cmpstr (study->study_description, ==, "Échographie abdominale — contrôle");

  instances = ferry_database_list_instances (db, STUDY_A, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (instances->len, ==, 1);
  stored = g_ptr_array_index (instances, 0);
  g_assert_cmpstr (stored->patient_name, ==, name);
  g_assert_cmpstr (stored->sop_instance_uid, ==, record->sop_instance_uid);
  g_assert_cmpstr (stored->series_instance_uid, ==, record->series_instance_uid);
  g_assert_cmpstr (stored->study_instance_uid, ==, STUDY_A);
  g_assert_cmpstr (stored->file_path, ==, record->file_path);
  g_assert_cmpstr (stored->sha256, ==, record->sha256);
  g_assert_cmpstr (stored->calling_ae, ==, "US_CART3");
  g_assert_cmpstr (stored->peer_address, ==, "10.0.0.5");
  g_assert_cmpstr (stored->modality, ==, "US");
  g_assert_cmpuint (stored->size, ==, 1);
  g_assert_cmpint (stored->received_at, ==, 1000);
}

static void
test_rollback (void)
{
  g_autoptr(FerryDatabase) db = open_database ();
  g_autoptr(FerryInstanceRecord) first = make_record (STUDY_A, "1.2.3.101", "1.2.3.101.1", "1",
                                                      "US", 1000);
  g_autoptr(FerryInstanceRecord) clash = make_record (STUDY_B, "1.2.3.201", "1.2.3.201.1", "2",
                                                      "US", 2000);
  g_autoptr(FerryStudyRecord) study = NULL;
  g_autoptr(GError) error = NULL;
  FerryInsertOutcome outcome;

  insert (db, first);

  /* The instance row fails (file_path is unique) after patient, study and series were
   * written: none of them may remain. */
  g_free (clash->file_path);
  clash->file_path = g_strdup (first->file_path);
  g_free (clash->patient_id);
  clash->patient_id = g_strdup ("PID-NEW");
  g_assert_false (ferry_database_insert_instance (db, clash, &outcome, &error));
  g_assert_error (error, FERRY_DATABASE_ERROR, FERRY_DATABASE_ERROR_FAILED);
  g_clear_error (&error);

  study = ferry_database_get_study (db, STUDY_B, &error);
  g_assert_null (study);
  g_assert_error (error, FERRY_DATABASE_ERROR, FERRY_DATABASE_ERROR_NOT_FOUND);
  g_assert_cmpint (query_integer ("SELECT count (*) FROM patients"), ==, 1);
  g_assert_cmpint (query_integer ("SELECT count (*) FROM series"), ==, 1);

  /* The connection is usable afterwards. */
  g_free (clash->file_path);
  clash->file_path = g_strdup ("folder/other");
  g_assert_cmpint (insert (db, clash), ==, FERRY_INSERT_NEW);
}

static void
test_missing_uids (void)
{
  g_autoptr(FerryDatabase) db = open_database ();
  g_autoptr(FerryInstanceRecord) record = make_record (STUDY_A, "1.2.3.101", "1.2.3.101.1", "1",
                                                       "US", 1000);
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&record->series_instance_uid, g_free);
  g_assert_false (ferry_database_insert_instance (db, record, NULL, &error));
  g_assert_error (error, FERRY_DATABASE_ERROR, FERRY_DATABASE_ERROR_FAILED);
  g_clear_error (&error);

  /* Optional text may be missing altogether. */
  g_clear_pointer (&record->patient_id, g_free);
  g_clear_pointer (&record->patient_name, g_free);
  g_clear_pointer (&record->modality, g_free);
  g_clear_pointer (&record->calling_ae, g_free);
  record->series_instance_uid = g_strdup ("1.2.3.101");
  g_assert_true (ferry_database_insert_instance (db, record, NULL, &error));
  g_assert_no_error (error);
}

static void
test_integrity_check (void)
{
  g_autoptr(FerryDatabase) db = open_database ();
  g_autoptr(FerryInstanceRecord) record = make_record (STUDY_A, "1.2.3.101", "1.2.3.101.1", "1",
                                                       "US", 1000);
  g_autofree char *report = NULL;

  insert (db, record);
  report = ferry_database_integrity_check (db);
  g_assert_cmpstr (report, ==, "ok");
}

typedef struct {
  FerryDatabase *db;
  guint          thread;
} ThreadData;

static gpointer
insert_worker (gpointer user_data)
{
  ThreadData *data = user_data;

  for (guint i = 0; i < 25; i++)
    {
      g_autofree char *sop = g_strdup_printf ("1.2.3.101.%u.%u", data->thread, i);
      g_autoptr(FerryInstanceRecord) record = make_record (STUDY_A, "1.2.3.101", sop, sop, "US",
                                                           1000 + i);
      g_autoptr(GError) error = NULL;

      if (!ferry_database_insert_instance (data->db, record, NULL, &error))
        g_error ("insert failed: %s", error->message);
    }

  return NULL;
}

static void
test_threads (void)
{
  g_autoptr(FerryDatabase) db = open_database ();
  ThreadData data[4];
  GThread *threads[4];
  g_autoptr(GError) error = NULL;
  guint64 count = 0;

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      data[i].db = db;
      data[i].thread = i;
      threads[i] = g_thread_new ("insert", insert_worker, &data[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  g_assert_true (ferry_database_count_instances (db, &count, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 100);
}

typedef struct {
  FerryDatabase *db;
  const char    *taken_path;
  guint          refused;
} ClashData;

/* Rows that fail (a file path already taken) while other threads insert: with group commit they
 * share transactions with good rows, and must take back only themselves. */
static gpointer
clash_worker (gpointer user_data)
{
  ClashData *data = user_data;

  for (guint i = 0; i < 25; i++)
    {
      g_autofree char *sop = g_strdup_printf ("1.2.3.909.%u", i);
      g_autofree char *pid = g_strdup_printf ("CLASH-%u", i);
      g_autoptr(FerryInstanceRecord) record = make_record (STUDY_B, "1.2.3.909", sop, sop, "US",
                                                           5000 + i);
      g_autoptr(GError) error = NULL;

      g_free (record->file_path);
      record->file_path = g_strdup (data->taken_path);
      g_free (record->patient_id);
      record->patient_id = g_strdup (pid);
      if (!ferry_database_insert_instance (data->db, record, NULL, &error))
        data->refused++;
    }

  return NULL;
}

static void
test_group_commit_isolation (void)
{
  g_autoptr(FerryDatabase) db = open_database ();
  g_autoptr(FerryInstanceRecord) first = make_record (STUDY_A, "1.2.3.101", "1.2.3.101.99.1", "x",
                                                      "US", 900);
  ThreadData data[4];
  GThread *threads[4];
  ClashData clash = { 0 };
  GThread *clash_thread;
  g_autoptr(GError) error = NULL;
  g_autofree char *report = NULL;
  guint64 count = 0;

  insert (db, first);
  clash.db = db;
  clash.taken_path = first->file_path;

  clash_thread = g_thread_new ("clash", clash_worker, &clash);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      data[i].db = db;
      data[i].thread = i;
      threads[i] = g_thread_new ("insert", insert_worker, &data[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  g_thread_join (clash_thread);

  g_assert_cmpuint (clash.refused, ==, 25);
  g_assert_true (ferry_database_count_instances (db, &count, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 101);
  g_assert_cmpint (query_integer ("SELECT count (*) FROM patients WHERE patient_id LIKE 'CLASH-%'"), ==, 0);
  g_assert_cmpint (query_integer ("SELECT count (*) FROM series WHERE series_instance_uid = '1.2.3.909'"), ==, 0);
  report = ferry_database_integrity_check (db);
  g_assert_cmpstr (report, ==, "ok");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/ferry/core/database/migrate-empty", test_migrate_empty);
  g_test_add_func ("/ferry/core/database/reopen", test_reopen);
  g_test_add_func ("/ferry/core/database/too-new", test_too_new);
  g_test_add_func ("/ferry/core/database/not-a-database", test_not_a_database);
  g_test_add_func ("/ferry/core/database/insert-outcomes", test_insert_outcomes);
  g_test_add_func ("/ferry/core/database/list-studies", test_list_studies);
  g_test_add_func ("/ferry/core/database/study-updates", test_study_updates);
  g_test_add_func ("/ferry/core/database/utf8-round-trip", test_utf8_round_trip);
  g_test_add_func ("/ferry/core/database/rollback", test_rollback);
  g_test_add_func ("/ferry/core/database/missing-uids", test_missing_uids);
  g_test_add_func ("/ferry/core/database/integrity-check", test_integrity_check);
  g_test_add_func ("/ferry/core/database/threads", test_threads);
  g_test_add_func ("/ferry/core/database/group-commit-isolation", test_group_commit_isolation);

  return g_test_run ();
}
