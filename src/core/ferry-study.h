/* ferry-study.h: one study as the window shows it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Main-thread object: created and updated by FerryEngine from FerryStudyRecords that workers
 * hand over, and bound by the Studies page. Every property is read-only and notifies.
 */

#pragma once

#include <glib-object.h>

#include "ferry-database.h"

G_BEGIN_DECLS

#define FERRY_TYPE_STUDY (ferry_study_get_type ())

G_DECLARE_FINAL_TYPE (FerryStudy, ferry_study, FERRY, STUDY, GObject)

FerryStudy *ferry_study_new                      (const FerryStudyRecord *record) G_GNUC_WARN_UNUSED_RESULT;
/* Replaces every value and notifies the properties that changed. */
void        ferry_study_update                   (FerryStudy             *self,
                                                  const FerryStudyRecord *record);

const char *ferry_study_get_study_instance_uid   (FerryStudy *self);
const char *ferry_study_get_patient_id           (FerryStudy *self);
const char *ferry_study_get_patient_name         (FerryStudy *self);   /* DICOM PN, UTF-8 */
const char *ferry_study_get_patient_birth_date   (FerryStudy *self);   /* YYYYMMDD or "" */
const char *ferry_study_get_patient_sex          (FerryStudy *self);
const char *ferry_study_get_accession_number     (FerryStudy *self);
const char *ferry_study_get_study_date           (FerryStudy *self);   /* YYYYMMDD or "" */
const char *ferry_study_get_study_time           (FerryStudy *self);
const char *ferry_study_get_study_description    (FerryStudy *self);
const char *ferry_study_get_modalities           (FerryStudy *self);
const char *ferry_study_get_calling_ae           (FerryStudy *self);
const char *ferry_study_get_physician_name       (FerryStudy *self);
guint       ferry_study_get_instances            (FerryStudy *self);
guint64     ferry_study_get_size                 (FerryStudy *self);
gint64      ferry_study_get_last_received_at     (FerryStudy *self);   /* µs since the epoch */

G_END_DECLS
