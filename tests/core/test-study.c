/* test-study.c: the FerryStudy object
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "ferry-study.h"

static FerryStudyRecord *
make_record (void)
{
  FerryStudyRecord *record = g_new0 (FerryStudyRecord, 1);

  record->id = 1;
  record->study_instance_uid = g_strdup ("1.2.3.100");
  record->patient_id = g_strdup ("PID-1");
  record->patient_name = g_strdup ("MUÑOZ^JOSÉ");
  record->patient_birth_date = g_strdup ("19800101");
  record->patient_sex = g_strdup ("M");
  record->accession_number = g_strdup ("ACC1");
  record->study_date = g_strdup ("20240501");
  record->study_time = g_strdup ("101500");
  record->study_description = g_strdup ("Abdomen");
  record->modalities = g_strdup ("US");
  record->calling_ae = g_strdup ("US_CART3");
  record->physician_name = g_strdup ("HOUSE^GREGORY");
  record->instances = 3;
  record->size = G_GUINT64_CONSTANT (5000000000);
  record->first_received_at = 1000;
  record->last_received_at = 2000;

  return record;
}

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           GPtrArray  *notified)
{
  g_ptr_array_add (notified, g_strdup (pspec->name));
}

static gboolean
was_notified (GPtrArray  *notified,
              const char *name)
{
  return g_ptr_array_find_with_equal_func (notified, name, g_str_equal, NULL);
}

static void
test_properties (void)
{
  g_autoptr(FerryStudyRecord) record = make_record ();
  FerryStudy *study = ferry_study_new (record);
  g_autofree char *uid = NULL, *patient_id = NULL, *patient_name = NULL, *birth_date = NULL;
  g_autofree char *sex = NULL, *accession = NULL, *date = NULL, *time = NULL, *description = NULL;
  g_autofree char *modalities = NULL, *calling_ae = NULL;
  guint instances = 0;
  guint64 size = 0;
  gint64 last_received_at = 0;

  g_assert_cmpstr (ferry_study_get_study_instance_uid (study), ==, "1.2.3.100");
  g_assert_cmpstr (ferry_study_get_patient_id (study), ==, "PID-1");
  g_assert_cmpstr (ferry_study_get_patient_name (study), ==, "MUÑOZ^JOSÉ");
  g_assert_cmpstr (ferry_study_get_patient_birth_date (study), ==, "19800101");
  g_assert_cmpstr (ferry_study_get_patient_sex (study), ==, "M");
  g_assert_cmpstr (ferry_study_get_accession_number (study), ==, "ACC1");
  g_assert_cmpstr (ferry_study_get_study_date (study), ==, "20240501");
  g_assert_cmpstr (ferry_study_get_study_time (study), ==, "101500");
  g_assert_cmpstr (ferry_study_get_study_description (study), ==, "Abdomen");
  g_assert_cmpstr (ferry_study_get_modalities (study), ==, "US");
  g_assert_cmpstr (ferry_study_get_calling_ae (study), ==, "US_CART3");
  g_assert_cmpstr (ferry_study_get_physician_name (study), ==, "HOUSE^GREGORY");
  g_assert_cmpuint (ferry_study_get_instances (study), ==, 3);
  g_assert_cmpuint (ferry_study_get_size (study), ==, G_GUINT64_CONSTANT (5000000000));
  g_assert_cmpint (ferry_study_get_last_received_at (study), ==, 2000);

  g_object_get (study,
                "study-instance-uid", &uid,
                "patient-id", &patient_id,
                "patient-name", &patient_name,
                "patient-birth-date", &birth_date,
                "patient-sex", &sex,
                "accession-number", &accession,
                "study-date", &date,
                "study-time", &time,
                "study-description", &description,
                "modalities", &modalities,
                "calling-ae", &calling_ae,
                "instances", &instances,
                "size", &size,
                "last-received-at", &last_received_at,
                NULL);
  g_assert_cmpstr (uid, ==, "1.2.3.100");
  g_assert_cmpstr (patient_id, ==, "PID-1");
  g_assert_cmpstr (patient_name, ==, "MUÑOZ^JOSÉ");
  g_assert_cmpstr (birth_date, ==, "19800101");
  g_assert_cmpstr (sex, ==, "M");
  g_assert_cmpstr (accession, ==, "ACC1");
  g_assert_cmpstr (date, ==, "20240501");
  g_assert_cmpstr (time, ==, "101500");
  g_assert_cmpstr (description, ==, "Abdomen");
  g_assert_cmpstr (modalities, ==, "US");
  g_assert_cmpstr (calling_ae, ==, "US_CART3");
  g_assert_cmpuint (instances, ==, 3);
  g_assert_cmpuint (size, ==, G_GUINT64_CONSTANT (5000000000));
  g_assert_cmpint (last_received_at, ==, 2000);

  g_assert_finalize_object (study);
}

static void
test_pspecs (void)
{
  static const char * const names[] = {
    "study-instance-uid", "patient-id", "patient-name", "patient-birth-date", "patient-sex",
    "accession-number", "study-date", "study-time", "study-description", "modalities",
    "calling-ae", "physician-name", "instances", "size", "last-received-at",
  };
  g_autoptr(GTypeClass) klass = g_type_class_ref (FERRY_TYPE_STUDY);
  guint n_pspecs = 0;
  g_autofree GParamSpec **pspecs = g_object_class_list_properties (G_OBJECT_CLASS (klass),
                                                                   &n_pspecs);

  g_assert_cmpuint (n_pspecs, ==, G_N_ELEMENTS (names));
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      GParamSpec *pspec = g_object_class_find_property (G_OBJECT_CLASS (klass), names[i]);

      g_assert_nonnull (pspec);
      g_assert_true (pspec->flags & G_PARAM_READABLE);
      g_assert_false (pspec->flags & G_PARAM_WRITABLE);
      g_assert_true (pspec->flags & G_PARAM_EXPLICIT_NOTIFY);
    }

  g_assert_true (G_PARAM_SPEC_VALUE_TYPE (g_object_class_find_property (G_OBJECT_CLASS (klass),
                                                                        "instances")) ==
                 G_TYPE_UINT);
  g_assert_true (G_PARAM_SPEC_VALUE_TYPE (g_object_class_find_property (G_OBJECT_CLASS (klass),
                                                                        "size")) ==
                 G_TYPE_UINT64);
  g_assert_true (G_PARAM_SPEC_VALUE_TYPE (g_object_class_find_property (G_OBJECT_CLASS (klass),
                                                                        "last-received-at")) ==
                 G_TYPE_INT64);
}

static void
test_empty_strings (void)
{
  FerryStudyRecord empty = { 0, };
  FerryStudy *study = ferry_study_new (&empty);
  FerryStudy *blank = ferry_study_new (NULL);

  /* Getters never return NULL. */
  g_assert_cmpstr (ferry_study_get_study_instance_uid (study), ==, "");
  g_assert_cmpstr (ferry_study_get_patient_name (study), ==, "");
  g_assert_cmpstr (ferry_study_get_accession_number (study), ==, "");
  g_assert_cmpstr (ferry_study_get_modalities (study), ==, "");
  g_assert_cmpstr (ferry_study_get_calling_ae (blank), ==, "");
  g_assert_cmpstr (ferry_study_get_patient_sex (blank), ==, "");
  g_assert_cmpuint (ferry_study_get_instances (blank), ==, 0);

  g_assert_finalize_object (study);
  g_assert_finalize_object (blank);
}

static void
test_notify_on_change (void)
{
  g_autoptr(FerryStudyRecord) record = make_record ();
  g_autoptr(GPtrArray) notified = g_ptr_array_new_with_free_func (g_free);
  FerryStudy *study = ferry_study_new (record);

  g_signal_connect (study, "notify", G_CALLBACK (notify_cb), notified);

  /* The same values: nothing to tell. */
  ferry_study_update (study, record);
  g_assert_cmpuint (notified->len, ==, 0);

  /* Another instance arrived from another device. */
  record->instances = 4;
  record->size += 1000;
  record->last_received_at = 3000;
  g_free (record->modalities);
  record->modalities = g_strdup ("SR\\US");
  g_free (record->calling_ae);
  record->calling_ae = g_strdup ("US_CART4");
  ferry_study_update (study, record);

  g_assert_cmpuint (notified->len, ==, 5);
  g_assert_true (was_notified (notified, "instances"));
  g_assert_true (was_notified (notified, "size"));
  g_assert_true (was_notified (notified, "last-received-at"));
  g_assert_true (was_notified (notified, "modalities"));
  g_assert_true (was_notified (notified, "calling-ae"));
  g_assert_cmpuint (ferry_study_get_instances (study), ==, 4);
  g_assert_cmpstr (ferry_study_get_modalities (study), ==, "SR\\US");
  g_ptr_array_set_size (notified, 0);

  /* NULL and "" are the same value. */
  g_free (record->accession_number);
  record->accession_number = NULL;
  ferry_study_update (study, record);
  g_assert_cmpuint (notified->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (notified, 0), ==, "accession-number");
  g_assert_cmpstr (ferry_study_get_accession_number (study), ==, "");
  g_ptr_array_set_size (notified, 0);

  record->accession_number = g_strdup ("");
  ferry_study_update (study, record);
  g_assert_cmpuint (notified->len, ==, 0);

  g_assert_finalize_object (study);
}

static void
test_record_copy (void)
{
  g_autoptr(FerryStudyRecord) record = make_record ();
  g_autoptr(FerryStudyRecord) copy = ferry_study_record_copy (record);

  g_assert_true (copy->patient_name != record->patient_name);
  g_assert_cmpstr (copy->patient_name, ==, record->patient_name);
  g_assert_cmpstr (copy->calling_ae, ==, record->calling_ae);
  g_assert_cmpint (copy->id, ==, record->id);
  g_assert_cmpuint (copy->size, ==, record->size);
  g_assert_cmpint (copy->first_received_at, ==, record->first_received_at);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/ferry/core/study/properties", test_properties);
  g_test_add_func ("/ferry/core/study/pspecs", test_pspecs);
  g_test_add_func ("/ferry/core/study/empty-strings", test_empty_strings);
  g_test_add_func ("/ferry/core/study/notify-on-change", test_notify_on_change);
  g_test_add_func ("/ferry/core/study/record-copy", test_record_copy);

  return g_test_run ();
}
