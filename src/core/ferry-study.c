/* ferry-study.c: one study as the window shows it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ferry-study"

#include "config.h"

#include "ferry-study.h"

struct _FerryStudy
{
  GObject parent_instance;

  /* Owned; never NULL */
  char    *study_instance_uid;
  char    *patient_id;
  char    *patient_name;
  char    *patient_birth_date;
  char    *patient_sex;
  char    *accession_number;
  char    *study_date;
  char    *study_time;
  char    *study_description;
  char    *modalities;
  char    *calling_ae;
  char    *physician_name;

  guint    instances;
  guint64  size;
  gint64   last_received_at;
};

G_DEFINE_FINAL_TYPE (FerryStudy, ferry_study, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STUDY_INSTANCE_UID,
  PROP_PATIENT_ID,
  PROP_PATIENT_NAME,
  PROP_PATIENT_BIRTH_DATE,
  PROP_PATIENT_SEX,
  PROP_ACCESSION_NUMBER,
  PROP_STUDY_DATE,
  PROP_STUDY_TIME,
  PROP_STUDY_DESCRIPTION,
  PROP_MODALITIES,
  PROP_CALLING_AE,
  PROP_PHYSICIAN_NAME,
  PROP_INSTANCES,
  PROP_SIZE,
  PROP_LAST_RECEIVED_AT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The string field behind each string property, so that update and get_property are one loop. */
static char **
string_field (FerryStudy *self,
              guint       prop_id)
{
  switch (prop_id)
    {
    case PROP_STUDY_INSTANCE_UID: return &self->study_instance_uid;
    case PROP_PATIENT_ID:         return &self->patient_id;
    case PROP_PATIENT_NAME:       return &self->patient_name;
    case PROP_PATIENT_BIRTH_DATE: return &self->patient_birth_date;
    case PROP_PATIENT_SEX:        return &self->patient_sex;
    case PROP_ACCESSION_NUMBER:   return &self->accession_number;
    case PROP_STUDY_DATE:         return &self->study_date;
    case PROP_STUDY_TIME:         return &self->study_time;
    case PROP_STUDY_DESCRIPTION:  return &self->study_description;
    case PROP_MODALITIES:         return &self->modalities;
    case PROP_CALLING_AE:         return &self->calling_ae;
    case PROP_PHYSICIAN_NAME:     return &self->physician_name;
    default:                      return NULL;
    }
}

static const char *
record_string (const FerryStudyRecord *record,
               guint                   prop_id)
{
  const char *value = NULL;

  switch (prop_id)
    {
    case PROP_STUDY_INSTANCE_UID: value = record->study_instance_uid; break;
    case PROP_PATIENT_ID:         value = record->patient_id; break;
    case PROP_PATIENT_NAME:       value = record->patient_name; break;
    case PROP_PATIENT_BIRTH_DATE: value = record->patient_birth_date; break;
    case PROP_PATIENT_SEX:        value = record->patient_sex; break;
    case PROP_ACCESSION_NUMBER:   value = record->accession_number; break;
    case PROP_STUDY_DATE:         value = record->study_date; break;
    case PROP_STUDY_TIME:         value = record->study_time; break;
    case PROP_STUDY_DESCRIPTION:  value = record->study_description; break;
    case PROP_MODALITIES:         value = record->modalities; break;
    case PROP_CALLING_AE:         value = record->calling_ae; break;
    case PROP_PHYSICIAN_NAME:     value = record->physician_name; break;
    default:                      g_assert_not_reached ();
    }

  return value != NULL ? value : "";
}

static void
ferry_study_finalize (GObject *object)
{
  FerryStudy *self = (FerryStudy *) object;

  for (guint prop_id = PROP_STUDY_INSTANCE_UID; prop_id <= PROP_PHYSICIAN_NAME; prop_id++)
    g_clear_pointer (string_field (self, prop_id), g_free);

  G_OBJECT_CLASS (ferry_study_parent_class)->finalize (object);
}

static void
ferry_study_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  FerryStudy *self = FERRY_STUDY (object);

  switch (prop_id)
    {
    case PROP_STUDY_INSTANCE_UID:
    case PROP_PATIENT_ID:
    case PROP_PATIENT_NAME:
    case PROP_PATIENT_BIRTH_DATE:
    case PROP_PATIENT_SEX:
    case PROP_ACCESSION_NUMBER:
    case PROP_STUDY_DATE:
    case PROP_STUDY_TIME:
    case PROP_STUDY_DESCRIPTION:
    case PROP_MODALITIES:
    case PROP_CALLING_AE:
    case PROP_PHYSICIAN_NAME:
      g_value_set_string (value, *string_field (self, prop_id));
      break;

    case PROP_INSTANCES:
      g_value_set_uint (value, self->instances);
      break;

    case PROP_SIZE:
      g_value_set_uint64 (value, self->size);
      break;

    case PROP_LAST_RECEIVED_AT:
      g_value_set_int64 (value, self->last_received_at);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_study_class_init (FerryStudyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = ferry_study_finalize;
  object_class->get_property = ferry_study_get_property;

  properties[PROP_STUDY_INSTANCE_UID] =
    g_param_spec_string ("study-instance-uid", NULL, NULL, "", flags);
  properties[PROP_PATIENT_ID] =
    g_param_spec_string ("patient-id", NULL, NULL, "", flags);
  /* The DICOM PN value in UTF-8, e.g. "DOE^JANE"; see ferry_person_name_to_display(). */
  properties[PROP_PATIENT_NAME] =
    g_param_spec_string ("patient-name", NULL, NULL, "", flags);
  properties[PROP_PATIENT_BIRTH_DATE] =
    g_param_spec_string ("patient-birth-date", NULL, NULL, "", flags);
  properties[PROP_PATIENT_SEX] =
    g_param_spec_string ("patient-sex", NULL, NULL, "", flags);
  properties[PROP_ACCESSION_NUMBER] =
    g_param_spec_string ("accession-number", NULL, NULL, "", flags);
  properties[PROP_STUDY_DATE] =
    g_param_spec_string ("study-date", NULL, NULL, "", flags);
  properties[PROP_STUDY_TIME] =
    g_param_spec_string ("study-time", NULL, NULL, "", flags);
  properties[PROP_STUDY_DESCRIPTION] =
    g_param_spec_string ("study-description", NULL, NULL, "", flags);
  properties[PROP_MODALITIES] =
    g_param_spec_string ("modalities", NULL, NULL, "", flags);
  properties[PROP_CALLING_AE] =
    g_param_spec_string ("calling-ae", NULL, NULL, "", flags);
  /* Per the sending device's profile: performing, referring, reading physician, operator… */
  properties[PROP_PHYSICIAN_NAME] =
    g_param_spec_string ("physician-name", NULL, NULL, "", flags);
  properties[PROP_INSTANCES] =
    g_param_spec_uint ("instances", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_SIZE] =
    g_param_spec_uint64 ("size", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  /* Microseconds since the epoch, UTC. */
  properties[PROP_LAST_RECEIVED_AT] =
    g_param_spec_int64 ("last-received-at", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ferry_study_init (FerryStudy *self)
{
  for (guint prop_id = PROP_STUDY_INSTANCE_UID; prop_id <= PROP_PHYSICIAN_NAME; prop_id++)
    *string_field (self, prop_id) = g_strdup ("");
}

/**
 * ferry_study_new:
 * @record: (nullable): the values to start with
 *
 * Creates the main-thread object for a study. Call on the main thread.
 *
 * Returns: (transfer full): a new #FerryStudy
 */
FerryStudy *
ferry_study_new (const FerryStudyRecord *record)
{
  FerryStudy *self = g_object_new (FERRY_TYPE_STUDY, NULL);

  /* Nobody can be connected yet, so the notifications this emits reach no one. */
  if (record != NULL)
    ferry_study_update (self, record);

  return self;
}

/**
 * ferry_study_update:
 * @self: a #FerryStudy
 * @record: the new values
 *
 * Replaces every value with those of @record (%NULL strings become "") and emits
 * #GObject::notify for each property whose value changed, after all of them are set.
 */
void
ferry_study_update (FerryStudy             *self,
                    const FerryStudyRecord *record)
{
  gboolean changed[N_PROPS] = { FALSE, };

  g_return_if_fail (FERRY_IS_STUDY (self));
  g_return_if_fail (record != NULL);

  for (guint prop_id = PROP_STUDY_INSTANCE_UID; prop_id <= PROP_PHYSICIAN_NAME; prop_id++)
    {
      char **field = string_field (self, prop_id);
      const char *value = record_string (record, prop_id);

      if (g_strcmp0 (*field, value) != 0)
        {
          g_free (*field);
          *field = g_strdup (value);
          changed[prop_id] = TRUE;
        }
    }

  if (self->instances != record->instances)
    {
      self->instances = record->instances;
      changed[PROP_INSTANCES] = TRUE;
    }
  if (self->size != record->size)
    {
      self->size = record->size;
      changed[PROP_SIZE] = TRUE;
    }
  if (self->last_received_at != record->last_received_at)
    {
      self->last_received_at = record->last_received_at;
      changed[PROP_LAST_RECEIVED_AT] = TRUE;
    }

  g_object_freeze_notify (G_OBJECT (self));
  for (guint prop_id = 1; prop_id < N_PROPS; prop_id++)
    {
      if (changed[prop_id])
        g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

/**
 * ferry_study_get_study_instance_uid:
 * @self: a #FerryStudy
 *
 * Returns: (transfer none): the Study Instance UID, or ""
 */
const char *
ferry_study_get_study_instance_uid (FerryStudy *self)
{
  g_return_val_if_fail (FERRY_IS_STUDY (self), "");
  return self->study_instance_uid;
}

/**
 * ferry_study_get_patient_id:
 * @self: a #FerryStudy
 *
 * Returns: (transfer none): the Patient ID, or ""
 */
const char *
ferry_study_get_patient_id (FerryStudy *self)
{
  g_return_val_if_fail (FERRY_IS_STUDY (self), "");
  return self->patient_id;
}

/**
 * ferry_study_get_patient_name:
 * @self: a #FerryStudy
 *
 * Returns: (transfer none): the patient's name as a DICOM PN value in UTF-8, or ""
 */
const char *
ferry_study_get_patient_name (FerryStudy *self)
{
  g_return_val_if_fail (FERRY_IS_STUDY (self), "");
  return self->patient_name;
}

/**
 * ferry_study_get_patient_birth_date:
 * @self: a #FerryStudy
 *
 * Returns: (transfer none): the birth date as YYYYMMDD, or ""
 */
const char *
ferry_study_get_patient_birth_date (FerryStudy *self)
{
  g_return_val_if_fail (FERRY_IS_STUDY (self), "");
  return self->patient_birth_date;
}

/**
 * ferry_study_get_patient_sex:
 * @self: a #FerryStudy
 *
 * Returns: (transfer none): "M", "F", "O", or ""
 */
const char *
ferry_study_get_patient_sex (FerryStudy *self)
{
  g_return_val_if_fail (FERRY_IS_STUDY (self), "");
  return self->patient_sex;
}

/**
 * ferry_study_get_accession_number:
 * @self: a #FerryStudy
 *
 * Returns: (transfer none): the Accession Number, or ""
 */
const char *
ferry_study_get_accession_number (FerryStudy *self)
{
  g_return_val_if_fail (FERRY_IS_STUDY (self), "");
  return self->accession_number;
}

/**
 * ferry_study_get_study_date:
 * @self: a #FerryStudy
 *
 * Returns: (transfer none): the Study Date as YYYYMMDD, or ""
 */
const char *
ferry_study_get_study_date (FerryStudy *self)
{
  g_return_val_if_fail (FERRY_IS_STUDY (self), "");
  return self->study_date;
}

/**
 * ferry_study_get_study_time:
 * @self: a #FerryStudy
 *
 * Returns: (transfer none): the Study Time as DICOM TM, or ""
 */
const char *
ferry_study_get_study_time (FerryStudy *self)
{
  g_return_val_if_fail (FERRY_IS_STUDY (self), "");
  return self->study_time;
}

/**
 * ferry_study_get_study_description:
 * @self: a #FerryStudy
 *
 * Returns: (transfer none): the Study Description, or ""
 */
const char *
ferry_study_get_study_description (FerryStudy *self)
{
  g_return_val_if_fail (FERRY_IS_STUDY (self), "");
  return self->study_description;
}

/**
 * ferry_study_get_modalities:
 * @self: a #FerryStudy
 *
 * Returns: (transfer none): the distinct modalities of the study's series, "US\SR", or ""
 */
const char *
ferry_study_get_modalities (FerryStudy *self)
{
  g_return_val_if_fail (FERRY_IS_STUDY (self), "");
  return self->modalities;
}

const char *
ferry_study_get_physician_name (FerryStudy *self)
{
  g_return_val_if_fail (FERRY_IS_STUDY (self), NULL);

  return self->physician_name;
}

/**
 * ferry_study_get_calling_ae:
 * @self: a #FerryStudy
 *
 * Returns: (transfer none): the AE title of the device that sent the latest instance, or ""
 */
const char *
ferry_study_get_calling_ae (FerryStudy *self)
{
  g_return_val_if_fail (FERRY_IS_STUDY (self), "");
  return self->calling_ae;
}

/**
 * ferry_study_get_instances:
 * @self: a #FerryStudy
 *
 * Returns: the number of archived instances
 */
guint
ferry_study_get_instances (FerryStudy *self)
{
  g_return_val_if_fail (FERRY_IS_STUDY (self), 0);
  return self->instances;
}

/**
 * ferry_study_get_size:
 * @self: a #FerryStudy
 *
 * Returns: the total size of the archived instances in bytes
 */
guint64
ferry_study_get_size (FerryStudy *self)
{
  g_return_val_if_fail (FERRY_IS_STUDY (self), 0);
  return self->size;
}

/**
 * ferry_study_get_last_received_at:
 * @self: a #FerryStudy
 *
 * Returns: when the latest instance arrived, in microseconds since the epoch (UTC)
 */
gint64
ferry_study_get_last_received_at (FerryStudy *self)
{
  g_return_val_if_fail (FERRY_IS_STUDY (self), 0);
  return self->last_received_at;
}
