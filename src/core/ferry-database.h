/* ferry-database.h: the SQLite index of patients, studies, series and instances
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * WAL, synchronous=FULL, a versioned schema migrated on open. Every change is one transaction.
 * One FerryDatabase may be used from several threads: calls are serialised by an internal mutex.
 * All text is UTF-8.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FERRY_DATABASE_ERROR (ferry_database_error_quark ())

typedef enum {
  FERRY_DATABASE_ERROR_FAILED,
  FERRY_DATABASE_ERROR_FULL,       /* SQLITE_FULL / disk I/O: answer 0xA700 */
  FERRY_DATABASE_ERROR_CORRUPT,
  FERRY_DATABASE_ERROR_TOO_NEW,    /* the schema was written by a newer Ferry */
  FERRY_DATABASE_ERROR_NOT_FOUND,
} FerryDatabaseError;

GQuark ferry_database_error_quark (void);

#define FERRY_DATABASE_SCHEMA_VERSION 2

typedef struct _FerryDatabase FerryDatabase;

/* One archived instance, everything converted to UTF-8 already. */
typedef struct {
  char   *sop_instance_uid;
  char   *sop_class_uid;
  char   *transfer_syntax_uid;
  char   *study_instance_uid;
  char   *series_instance_uid;
  char   *patient_id;
  char   *patient_name;
  char   *patient_birth_date;      /* YYYYMMDD as in DICOM */
  char   *patient_sex;
  char   *accession_number;
  char   *study_id;
  char   *study_date;
  char   *study_time;
  char   *study_description;
  char   *referring_physician_name;
  char   *physician_name;          /* from the attribute the device's profile names */
  char   *modality;
  char   *series_number;
  char   *series_description;
  char   *instance_number;
  char   *specific_character_set;  /* as the object declared it */
  char   *calling_ae;              /* who sent it; NULL for converted files */
  char   *peer_address;
  char   *file_path;               /* archive-relative */
  char   *sha256;
  guint64 size;
  gint64  received_at;             /* microseconds since the epoch, UTC */
  char   *route_to;                /* (nullable) the destination chosen when it was imported by
                                    * hand; NULL: the router decides */
  GPtrArray *routes;               /* (nullable) (element-type FerryRoute): decided already;
                                    * the delivery rows go in with the instance, in the same
                                    * transaction. NULL: the router takes it later. */
} FerryInstanceRecord;

/* One row of the Studies page. */
typedef struct {
  gint64  id;
  char   *study_instance_uid;
  char   *patient_id;
  char   *patient_name;
  char   *patient_birth_date;
  char   *patient_sex;
  char   *accession_number;
  char   *study_date;
  char   *study_time;
  char   *study_description;
  char   *modalities;              /* distinct modalities of its series, "US\SR" */
  char   *calling_ae;              /* the device that sent the most recent instance */
  char   *physician_name;          /* performing physician, per the device's profile */
  guint   instances;
  guint64 size;
  gint64  first_received_at;
  gint64  last_received_at;
} FerryStudyRecord;

typedef enum {
  FERRY_INSERT_NEW,          /* a new instance */
  FERRY_INSERT_SAME,         /* the same SOP Instance UID with the same content: nothing changed */
  FERRY_INSERT_NEW_VERSION,  /* the same UID with different content: kept beside the first */
} FerryInsertOutcome;

FerryDatabase *ferry_database_open              (const char               *path,
                                                 GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
void           ferry_database_close             (FerryDatabase            *db);
int            ferry_database_get_schema_version (FerryDatabase           *db);

/* Upserts patient, study and series and adds the instance, in one transaction. */
gboolean       ferry_database_insert_instance   (FerryDatabase            *db,
                                                 const FerryInstanceRecord *record,
                                                 FerryInsertOutcome       *outcome,
                                                 GError                  **error);

/* Newest first. (element-type FerryStudyRecord) (transfer full) */
GPtrArray     *ferry_database_list_studies      (FerryDatabase            *db,
                                                 GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
FerryStudyRecord *ferry_database_get_study      (FerryDatabase            *db,
                                                 const char               *study_instance_uid,
                                                 GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
/* (element-type FerryInstanceRecord) (transfer full) */
GPtrArray     *ferry_database_list_instances    (FerryDatabase            *db,
                                                 const char               *study_instance_uid,
                                                 GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean       ferry_database_count_instances   (FerryDatabase            *db,
                                                 guint64                  *count,
                                                 GError                  **error);
/* "ok", or what PRAGMA integrity_check reported. */
char          *ferry_database_integrity_check   (FerryDatabase            *db) G_GNUC_WARN_UNUSED_RESULT;

void               ferry_instance_record_free   (FerryInstanceRecord      *record);
void               ferry_study_record_free      (FerryStudyRecord         *record);
FerryStudyRecord  *ferry_study_record_copy      (const FerryStudyRecord   *record) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryDatabase, ferry_database_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryInstanceRecord, ferry_instance_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryStudyRecord, ferry_study_record_free)

G_END_DECLS
