/* ferry-dicom-attributes.cc: the attributes Ferry indexes, read with DCMTK
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "dcmtk/config/osconfig.h"

#define G_LOG_DOMAIN "ferry-dicom"

#include "dcmtk/dcmdata/dcdatset.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcmetinf.h"
#include "dcmtk/dcmdata/dcxfer.h"

#include <exception>

#include "ferry-dicom-private.hh"

/* Returns the value of @key in @item as its raw bytes (several values stay joined by
 * backslashes), with trailing spaces and NULs removed, or NULL when absent or empty. No character
 * set conversion happens here: core knows the device's character set, DCMTK does not. */
static char *
dup_raw_string (DcmItem         *item,
                const DcmTagKey &key)
{
  DcmElement *element = NULL;
  char *value = NULL;
  Uint32 length = 0;

  if (item->findAndGetElement (key, element, OFFalse /* top level only */).bad () || element == NULL)
    return NULL;
  if (element->getString (value, length).bad () || value == NULL)
    return NULL;

  while (length > 0 && (value[length - 1] == ' ' || value[length - 1] == '\0'))
    length--;
  if (length == 0)
    return NULL;

  return g_strndup (value, length);
}

gboolean
ferry_dicom_read_attributes (const char            *path,
                             FerryDicomAttributes  *attributes,
                             GError               **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (attributes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  memset (attributes, 0, sizeof *attributes);

  FERRY_DICOM_GUARD_BEGIN

  DcmFileFormat file;
  /* Pixel data is all that follows the indexed attributes in practice, and the largest part;
   * stopping before it keeps this cheap for multi-gigabyte videos. */
  OFCondition cond = file.loadFileUntilTag (path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength,
                                            ERM_autoDetect, DCM_PixelData);
  if (cond.bad ())
    {
      _ferry_dicom_set_error_from_condition (error, FERRY_DICOM_ERROR_PARSE, cond,
                                             "Could not read the DICOM object");
      return FALSE;
    }

  DcmDataset *dataset = file.getDataset ();
  DcmMetaInfo *meta = file.getMetaInfo ();

  attributes->transfer_syntax_uid = meta ? dup_raw_string (meta, DCM_TransferSyntaxUID) : NULL;
  if (attributes->transfer_syntax_uid == NULL)
    {
      DcmXfer xfer (dataset->getOriginalXfer ());

      if (xfer.getXfer () != EXS_Unknown)
        attributes->transfer_syntax_uid = g_strdup (xfer.getXferID ());
    }

  attributes->sop_class_uid = dup_raw_string (dataset, DCM_SOPClassUID);
  attributes->sop_instance_uid = dup_raw_string (dataset, DCM_SOPInstanceUID);
  attributes->study_instance_uid = dup_raw_string (dataset, DCM_StudyInstanceUID);
  attributes->series_instance_uid = dup_raw_string (dataset, DCM_SeriesInstanceUID);
  attributes->specific_character_set = dup_raw_string (dataset, DCM_SpecificCharacterSet);
  attributes->patient_id = dup_raw_string (dataset, DCM_PatientID);
  attributes->patient_name = dup_raw_string (dataset, DCM_PatientName);
  attributes->patient_birth_date = dup_raw_string (dataset, DCM_PatientBirthDate);
  attributes->patient_sex = dup_raw_string (dataset, DCM_PatientSex);
  attributes->accession_number = dup_raw_string (dataset, DCM_AccessionNumber);
  attributes->study_id = dup_raw_string (dataset, DCM_StudyID);
  attributes->study_date = dup_raw_string (dataset, DCM_StudyDate);
  attributes->study_time = dup_raw_string (dataset, DCM_StudyTime);
  attributes->study_description = dup_raw_string (dataset, DCM_StudyDescription);
  attributes->referring_physician_name = dup_raw_string (dataset, DCM_ReferringPhysicianName);
  attributes->performing_physician_name = dup_raw_string (dataset, DCM_PerformingPhysicianName);
  attributes->operators_name = dup_raw_string (dataset, DCM_OperatorsName);
  attributes->physicians_reading_study = dup_raw_string (dataset, DCM_NameOfPhysiciansReadingStudy);
  attributes->persons_telecom_information = dup_raw_string (dataset, DCM_PersonTelecomInformation);
  attributes->modality = dup_raw_string (dataset, DCM_Modality);
  attributes->series_number = dup_raw_string (dataset, DCM_SeriesNumber);
  attributes->series_description = dup_raw_string (dataset, DCM_SeriesDescription);
  attributes->instance_number = dup_raw_string (dataset, DCM_InstanceNumber);
  attributes->number_of_frames = dup_raw_string (dataset, DCM_NumberOfFrames);

  return TRUE;

  FERRY_DICOM_GUARD_END (error, (ferry_dicom_attributes_clear (attributes), FALSE))
}

/**
 * ferry_dicom_attributes_clear:
 * @attributes: (nullable): attributes filled by ferry_dicom_read_attributes()
 *
 * Frees every string of @attributes and sets it to %NULL; the struct belongs to the caller.
 */
void
ferry_dicom_attributes_clear (FerryDicomAttributes *attributes)
{
  if (attributes == NULL)
    return;

  g_clear_pointer (&attributes->sop_class_uid, g_free);
  g_clear_pointer (&attributes->sop_instance_uid, g_free);
  g_clear_pointer (&attributes->study_instance_uid, g_free);
  g_clear_pointer (&attributes->series_instance_uid, g_free);
  g_clear_pointer (&attributes->transfer_syntax_uid, g_free);
  g_clear_pointer (&attributes->specific_character_set, g_free);
  g_clear_pointer (&attributes->patient_id, g_free);
  g_clear_pointer (&attributes->patient_name, g_free);
  g_clear_pointer (&attributes->patient_birth_date, g_free);
  g_clear_pointer (&attributes->patient_sex, g_free);
  g_clear_pointer (&attributes->accession_number, g_free);
  g_clear_pointer (&attributes->study_id, g_free);
  g_clear_pointer (&attributes->study_date, g_free);
  g_clear_pointer (&attributes->study_time, g_free);
  g_clear_pointer (&attributes->study_description, g_free);
  g_clear_pointer (&attributes->referring_physician_name, g_free);
  g_clear_pointer (&attributes->performing_physician_name, g_free);
  g_clear_pointer (&attributes->operators_name, g_free);
  g_clear_pointer (&attributes->physicians_reading_study, g_free);
  g_clear_pointer (&attributes->persons_telecom_information, g_free);
  g_clear_pointer (&attributes->modality, g_free);
  g_clear_pointer (&attributes->series_number, g_free);
  g_clear_pointer (&attributes->series_description, g_free);
  g_clear_pointer (&attributes->instance_number, g_free);
  g_clear_pointer (&attributes->number_of_frames, g_free);
}
