/* ferry-dicom-create.cc: new DICOM objects (Encapsulated PDF) written with DCMTK
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The IOD is PS3.3 A.45.1 (Encapsulated PDF): SOP Common, Patient, General Study, Encapsulated
 * Document Series, General Equipment, SC Equipment and Encapsulated Document modules, with every
 * Type 1 and Type 2 attribute present.
 *
 * JPEG photographs become VL Photographic Image objects (PS3.3 A.32.4): Patient, General Study,
 * General Series, General Equipment, General Acquisition, General Image, Image Pixel,
 * Acquisition Context, VL Image and SOP Common, the JPEG bytes passed through unchanged.
 */

/* Ferry's config.h first: DCMTK's osconfig.h defines PACKAGE_VERSION as well. */
#include "config.h"
/* Taken before osconfig.h replaces PACKAGE_VERSION with DCMTK's own. */
static const char ferry_version[] = PACKAGE_VERSION;
#include "dcmtk/config/osconfig.h"

#define G_LOG_DOMAIN "ferry-dicom"

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcmetinf.h"
#include "dcmtk/dcmdata/dcpixel.h"
#include "dcmtk/dcmdata/dcpixseq.h"
#include "dcmtk/dcmdata/dcpxitem.h"
#include "dcmtk/dcmdata/dcsequen.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmdata/dcvrobow.h"

#include <exception>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ferry-dicom-create.h"
#include "ferry-dicom-private.hh"

#define PDF_TAIL_WINDOW 1024

/* ------------------------------------------------------------------------------------------ */
/* UIDs                                                                                       */

char *
ferry_dicom_new_uid (void)
{
  g_autofree char *uuid = g_uuid_string_random ();
  guint32 limbs[4] = { 0 };   /* most significant first */
  char digits[48];
  gsize n = 0, hex = 0;
  GString *uid;

  for (const char *p = uuid; *p != '\0'; p++)
    {
      if (!g_ascii_isxdigit (*p))
        continue;
      limbs[hex / 8] = (limbs[hex / 8] << 4) | (guint32) g_ascii_xdigit_value (*p);
      hex++;
    }
  g_assert (hex == 32);

  /* Long division by 10, least significant digit first. A version 4 UUID is never zero. */
  while (limbs[0] != 0 || limbs[1] != 0 || limbs[2] != 0 || limbs[3] != 0)
    {
      guint64 rem = 0;

      for (int i = 0; i < 4; i++)
        {
          guint64 cur = (rem << 32) | limbs[i];

          limbs[i] = (guint32) (cur / 10);
          rem = cur % 10;
        }
      digits[n++] = (char) ('0' + rem);
    }

  uid = g_string_new ("2.25.");
  while (n > 0)
    g_string_append_c (uid, digits[--n]);

  return g_string_free (uid, FALSE);
}

/* ------------------------------------------------------------------------------------------ */
/* The PDF                                                                                    */

static void
set_not_pdf (GError    **error,
             const char *path,
             const char *why)
{
  g_autofree char *name = g_filename_display_name (path);

  g_set_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_PARSE,
               /* Translators: the first %s is a file name, the second says what is wrong */
               _("“%s” is not a PDF: %s"), name, why);
}

static void
set_io_error (GError    **error,
              gboolean    writing,
              const char *path,
              int         saved_errno)
{
  g_autofree char *name = g_filename_display_name (path);

  if (writing)
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                 _("Cannot write “%s”: %s"), name, g_strerror (saved_errno));
  else
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                 _("Cannot read “%s”: %s"), name, g_strerror (saved_errno));
}

static gboolean
read_all (int      fd,
          guint8  *buffer,
          guint64  length,
          guint64  offset)
{
  while (length > 0)
    {
      ssize_t n = pread (fd, buffer, MIN (length, (guint64) (1 << 30)), (off_t) offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (n == 0)
            errno = EIO;   /* the file shrank under us */
          return FALSE;
        }
      buffer += n;
      offset += (guint64) n;
      length -= (guint64) n;
    }
  return TRUE;
}

/* Opens @path and checks that it is a PDF of a size Ferry takes. Returns the descriptor, or -1. */
static int
open_pdf (const char *path,
          guint64    *size_out,
          GError    **error)
{
  struct stat st;
  guint8 head[8];
  guint8 tail[PDF_TAIL_WINDOW];
  guint64 size, tail_len;
  int fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      set_io_error (error, FALSE, path, errno);
      return -1;
    }
  if (fstat (fd, &st) != 0)
    {
      set_io_error (error, FALSE, path, errno);
      close (fd);
      return -1;
    }
  if (!S_ISREG (st.st_mode))
    {
      set_io_error (error, FALSE, path, S_ISDIR (st.st_mode) ? EISDIR : EINVAL);
      close (fd);
      return -1;
    }

  size = (guint64) st.st_size;
  if (size == 0)
    {
      set_not_pdf (error, path, _("the file is empty"));
      close (fd);
      return -1;
    }
  if (size > FERRY_DICOM_MAX_PDF_SIZE)
    {
      g_autofree char *name = g_filename_display_name (path);
      g_autofree char *have = g_format_size (size);

      g_set_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_HOSTILE,
                   _("“%s” is too large to encapsulate (%s; at most 2 GiB)"), name, have);
      close (fd);
      return -1;
    }

  if (size < sizeof head || !read_all (fd, head, sizeof head, 0))
    {
      if (size >= sizeof head)
        {
          set_io_error (error, FALSE, path, errno);
          close (fd);
          return -1;
        }
      set_not_pdf (error, path, _("it does not start with a PDF header"));
      close (fd);
      return -1;
    }
  if (memcmp (head, "%PDF-1.", 7) != 0 && memcmp (head, "%PDF-2.", 7) != 0)
    {
      set_not_pdf (error, path, _("it does not start with a PDF header"));
      close (fd);
      return -1;
    }

  tail_len = MIN (size, (guint64) PDF_TAIL_WINDOW);
  if (!read_all (fd, tail, tail_len, size - tail_len))
    {
      set_io_error (error, FALSE, path, errno);
      close (fd);
      return -1;
    }
  if (memmem (tail, tail_len, "%%EOF", 5) == NULL)
    {
      set_not_pdf (error, path, _("it has no end-of-file marker; it may be truncated"));
      close (fd);
      return -1;
    }

  *size_out = size;
  return fd;
}

/* ------------------------------------------------------------------------------------------ */
/* The dataset                                                                                */

static const char *
or_empty (const char *value)
{
  return value != NULL ? value : "";
}

static const char *
or_default (const char *value,
            const char *fallback)
{
  return value != NULL && value[0] != '\0' ? value : fallback;
}

/* Puts @value (UTF-8) into @tag; FALSE with @error set when DCMTK refuses it. */
static gboolean
put (DcmItem         *item,
     const DcmTagKey &tag,
     const char      *value,
     GError         **error)
{
  OFCondition cond;

  if (value == NULL)
    value = "";
  if (!g_utf8_validate (value, -1, NULL))
    {
      g_set_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_FAILED,
                   _("%s is not valid UTF-8"), DcmTag (tag).getTagName ());
      return FALSE;
    }

  cond = item->putAndInsertString (tag, value);
  if (cond.bad ())
    {
      g_set_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_FAILED,
                   _("Cannot set %s to “%s”: %s"), DcmTag (tag).getTagName (), value,
                   cond.text ());
      return FALSE;
    }
  return TRUE;
}

/* Date and time now, as DA and TM. */
static void
now_da_tm (char **date,
           char **time)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  *date = g_date_time_format (now, "%Y%m%d");
  *time = g_date_time_format (now, "%H%M%S");
}

/* SOP Common, Patient, General Study, the series, General Equipment and the instance's number,
 * dates and times: what every created object has. */
static gboolean
fill_common (DcmDataset                *ds,
             const FerryDicomNewObject *o,
             const char                *sop_class_uid,
             const char                *default_modality,
             GError                   **error)
{
  g_autofree char *created_date = NULL;
  g_autofree char *created_time = NULL;
  g_autofree char *acquisition = NULL;

  now_da_tm (&created_date, &created_time);
  if (o->content_date != NULL && o->content_date[0] != '\0')
    acquisition = g_strconcat (o->content_date, or_empty (o->content_time), NULL);

  struct { DcmTagKey tag; const char *value; } values[] = {
    /* SOP Common */
    { DCM_SpecificCharacterSet, "ISO_IR 192" },
    { DCM_SOPClassUID, sop_class_uid },
    { DCM_SOPInstanceUID, o->sop_instance_uid },
    { DCM_InstanceCreationDate, created_date },
    { DCM_InstanceCreationTime, created_time },
    /* Patient */
    { DCM_PatientName, o->patient_name },
    { DCM_PatientID, o->patient_id },
    { DCM_PatientBirthDate, o->patient_birth_date },
    { DCM_PatientSex, o->patient_sex },
    /* General Study */
    { DCM_StudyInstanceUID, o->study_instance_uid },
    { DCM_StudyDate, o->study_date },
    { DCM_StudyTime, o->study_time },
    { DCM_ReferringPhysicianName, o->referring_physician },
    { DCM_StudyID, "" },
    { DCM_AccessionNumber, o->accession_number },
    /* The series */
    { DCM_Modality, or_default (o->modality, default_modality) },
    { DCM_SeriesInstanceUID, o->series_instance_uid },
    { DCM_SeriesNumber, or_default (o->series_number, "1") },
    /* General Equipment */
    { DCM_Manufacturer, "Ferry" },
    { DCM_SoftwareVersions, ferry_version },
    /* The instance */
    { DCM_InstanceNumber, or_default (o->instance_number, "1") },
    { DCM_ContentDate, o->content_date },
    { DCM_ContentTime, o->content_time },
    { DCM_AcquisitionDateTime, acquisition },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
    if (!put (ds, values[i].tag, values[i].value, error))
      return FALSE;

  /* Type 3: only when there is something to say. */
  if (o->study_description != NULL && o->study_description[0] != '\0' &&
      !put (ds, DCM_StudyDescription, o->study_description, error))
    return FALSE;
  if (o->institution_name != NULL && o->institution_name[0] != '\0' &&
      !put (ds, DCM_InstitutionName, o->institution_name, error))
    return FALSE;
  if (o->station_name != NULL && o->station_name[0] != '\0' &&
      !put (ds, DCM_StationName, o->station_name, error))
    return FALSE;

  return TRUE;
}

static gboolean
insert_empty_sequence (DcmDataset       *ds,
                       const DcmTagKey  &tag,
                       GError          **error)
{
  if (ds->insertEmptyElement (tag).bad ())
    {
      g_set_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_FAILED,
                   "Cannot insert the %s", DcmTag (tag).getTagName ());
      return FALSE;
    }
  return TRUE;
}

static gboolean
fill_dataset (DcmDataset                *ds,
              const FerryDicomNewObject *o,
              const char                *document_title,
              GError                   **error)
{
  struct { DcmTagKey tag; const char *value; } values[] = {
    /* SC Equipment: a workstation made it */
    { DCM_ConversionType, "WSD" },
    /* Encapsulated Document */
    { DCM_BurnedInAnnotation, "YES" },
    { DCM_DocumentTitle, document_title },
    { DCM_MIMETypeOfEncapsulatedDocument, "application/pdf" },
  };

  if (!fill_common (ds, o, UID_EncapsulatedPDFStorage, "DOC", error))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
    if (!put (ds, values[i].tag, values[i].value, error))
      return FALSE;

  /* Concept Name Code Sequence: Type 2, empty (no document kind is claimed). */
  return insert_empty_sequence (ds, DCM_ConceptNameCodeSequence, error);
}

/* Reads the PDF into a new Encapsulated Document element, padded to even length. */
static gboolean
put_document (DcmDataset  *ds,
              int          fd,
              guint64      size,
              const char  *pdf_path,
              GError     **error)
{
  guint64 padded = size + (size & 1);
  DcmOtherByteOtherWord *element = new DcmOtherByteOtherWord (DcmTag (DCM_EncapsulatedDocument,
                                                                      EVR_OB));
  Uint8 *bytes = NULL;
  char length_text[32];

  if (element->createUint8Array ((Uint32) padded, bytes).bad () || bytes == NULL)
    {
      delete element;
      g_set_error_literal (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_FAILED,
                           _("Not enough memory for the document"));
      return FALSE;
    }
  if (!read_all (fd, bytes, size, 0))
    {
      delete element;
      set_io_error (error, FALSE, pdf_path, errno);
      return FALSE;
    }
  if (padded != size)
    bytes[size] = 0;   /* PS3.3 C.24.2.1: one trailing NUL makes an odd document even */

  if (ds->insert (element, OFTrue).bad ())
    {
      delete element;
      g_set_error_literal (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_FAILED,
                           "Cannot insert the Encapsulated Document");
      return FALSE;
    }

  /* The document's own length, without the pad (Type 1 since PS3.3 2020). */
  g_snprintf (length_text, sizeof length_text, "%" G_GUINT64_FORMAT, size);
  return put (ds, DCM_EncapsulatedDocumentLength, length_text, error);
}

/* ------------------------------------------------------------------------------------------ */
/* Writing                                                                                    */

static gboolean
fsync_path (const char *path,
            gboolean    directory,
            GError    **error)
{
  int fd = g_open (path, (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC, 0);
  int saved;

  if (fd < 0 || fsync (fd) != 0)
    {
      saved = errno;
      if (fd >= 0)
        close (fd);
      set_io_error (error, TRUE, path, saved);
      return FALSE;
    }
  close (fd);
  return TRUE;
}

static gboolean
fill_meta (DcmFileFormat *file,
           const char    *transfer_syntax_uid,
           GError       **error)
{
  DcmMetaInfo *meta = file->getMetaInfo ();
  DcmDataset *ds = file->getDataset ();
  const Uint8 version[2] = { 0x00, 0x01 };
  OFString sop_class, sop_instance;
  OFCondition cond;

  ds->findAndGetOFString (DCM_SOPClassUID, sop_class);
  ds->findAndGetOFString (DCM_SOPInstanceUID, sop_instance);

  meta->clear ();
  cond = meta->putAndInsertUint8Array (DCM_FileMetaInformationVersion, version, 2);
  if (cond.good ())
    cond = meta->putAndInsertOFStringArray (DCM_MediaStorageSOPClassUID, sop_class);
  if (cond.good ())
    cond = meta->putAndInsertOFStringArray (DCM_MediaStorageSOPInstanceUID, sop_instance);
  if (cond.good ())
    cond = meta->putAndInsertString (DCM_TransferSyntaxUID, transfer_syntax_uid);
  if (cond.good ())
    cond = meta->putAndInsertString (DCM_ImplementationClassUID,
                                     FERRY_DICOM_IMPLEMENTATION_CLASS_UID);
  if (cond.good ())
    cond = meta->putAndInsertString (DCM_ImplementationVersionName,
                                     FERRY_DICOM_IMPLEMENTATION_VERSION_NAME);
  /* The group length counts every element after it; it is inserted last, so getLength() does
   * not count it, and sorts first. */
  if (cond.good ())
    cond = meta->putAndInsertUint32 (DCM_FileMetaInformationGroupLength,
                                     meta->getLength (EXS_LittleEndianExplicit,
                                                      EET_ExplicitLength));
  if (cond.bad ())
    {
      g_set_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_FAILED,
                   "Cannot build the file meta information: %s", cond.text ());
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_file (DcmFileFormat     *file,
            E_TransferSyntax   xfer,
            const char        *out_path,
            GError           **error)
{
  g_autofree char *dir = g_path_get_dirname (out_path);
  g_autofree char *base = g_path_get_basename (out_path);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.tmp-XXXXXX", dir, base);
  OFCondition cond;
  int fd;

  fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      set_io_error (error, TRUE, out_path, errno);
      return FALSE;
    }
  close (fd);

  /* The file meta information is Ferry's own, whole: DCMTK 3.6.7 replaces the Implementation
   * Class UID and Version Name with its own whenever it fills in the group itself. */
  if (!fill_meta (file, DcmXfer (xfer).getXferID (), error))
    {
      g_unlink (tmp);
      return FALSE;
    }

  cond = file->saveFile (tmp, xfer, EET_ExplicitLength, EGL_recalcGL,
                         EPD_noChange, 0, 0, EWM_dontUpdateMeta);
  if (cond.bad ())
    {
      g_autofree char *name = g_filename_display_name (out_path);

      g_unlink (tmp);
      g_set_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_FAILED,
                   _("Cannot write “%s”: %s"), name, cond.text ());
      return FALSE;
    }

  if (!fsync_path (tmp, FALSE, error))
    {
      g_unlink (tmp);
      return FALSE;
    }
  if (g_rename (tmp, out_path) != 0)
    {
      int saved = errno;

      g_unlink (tmp);
      set_io_error (error, TRUE, out_path, saved);
      return FALSE;
    }

  return fsync_path (dir, TRUE, error);
}

gboolean
ferry_dicom_write_encapsulated_pdf (const FerryDicomNewObject  *object,
                                    const char                 *document_title,
                                    const char                 *pdf_path,
                                    const char                 *out_path,
                                    GError                    **error)
{
  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (pdf_path != NULL && out_path != NULL, FALSE);
  g_return_val_if_fail (object->study_instance_uid != NULL &&
                        object->series_instance_uid != NULL &&
                        object->sop_instance_uid != NULL, FALSE);

  FERRY_DICOM_GUARD_BEGIN

  if (!_ferry_dicom_is_initialized ())
    {
      g_set_error_literal (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_DICTIONARY,
                           "ferry_dicom_init() has not been called");
      return FALSE;
    }

  DcmFileFormat file;
  guint64 size = 0;
  gboolean ok;
  int fd;

  fd = open_pdf (pdf_path, &size, error);
  if (fd < 0)
    return FALSE;

  ok = fill_dataset (file.getDataset (), object, document_title, error) &&
       put_document (file.getDataset (), fd, size, pdf_path, error);
  close (fd);

  return ok && write_file (&file, EXS_LittleEndianExplicit, out_path, error);

  FERRY_DICOM_GUARD_END (error, FALSE)
}


/* ------------------------------------------------------------------------------------------ */
/* JPEG photographs                                                                           */

static gboolean
fill_photo (DcmDataset                *ds,
            const FerryDicomNewObject *o,
            const FerryDicomJpegInfo  *info,
            gsize                      length,
            GError                   **error)
{
  char rows[16], columns[16], samples[16], ratio[32];
  double uncompressed = (double) info->rows * info->columns * info->samples_per_pixel;

  g_snprintf (rows, sizeof rows, "%u", info->rows);
  g_snprintf (columns, sizeof columns, "%u", info->columns);
  g_snprintf (samples, sizeof samples, "%u", info->samples_per_pixel);
  g_ascii_formatd (ratio, sizeof ratio, "%.2f", uncompressed / (double) MAX (length, 1));

  struct { DcmTagKey tag; const char *value; } values[] = {
    /* Laterality: General Series' (2C) is left out and General Image's Image Laterality says
     * "U" (unpaired), as no paired body part is named. dciodvfy wants one of the two, and an
     * empty Laterality only when the side is actually unknown (img2dcm's output fails here). */
    { DCM_ImageLaterality, "U" },
    /* General Image */
    { DCM_PatientOrientation, "" },
    { DCM_ImageType, "ORIGINAL\\PRIMARY" },
    { DCM_BurnedInAnnotation, "NO" },
    { DCM_LossyImageCompression, "01" },
    { DCM_LossyImageCompressionRatio, ratio },
    { DCM_LossyImageCompressionMethod, "ISO_10918_1" },
    /* Image Pixel */
    { DCM_SamplesPerPixel, samples },
    { DCM_PhotometricInterpretation, info->photometric },
    { DCM_Rows, rows },
    { DCM_Columns, columns },
    { DCM_BitsAllocated, "8" },
    { DCM_BitsStored, "8" },
    { DCM_HighBit, "7" },
    { DCM_PixelRepresentation, "0" },
  };

  if (!fill_common (ds, o, UID_VLPhotographicImageStorage, "XC", error))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
    if (!put (ds, values[i].tag, values[i].value, error))
      return FALSE;
  if (info->samples_per_pixel > 1 && !put (ds, DCM_PlanarConfiguration, "0", error))
    return FALSE;

  /* Acquisition Context: Type 2, empty. */
  return insert_empty_sequence (ds, DCM_AcquisitionContextSequence, error);
}

/* An empty Basic Offset Table and one fragment: the JPEG, then one 0x00 when its length is
 * odd. */
static gboolean
put_jpeg (DcmDataset    *ds,
          const guint8  *jpeg,
          gsize          length,
          GError       **error)
{
  gsize padded = length + (length & 1);
  DcmPixelData *pixel_data = new DcmPixelData (DCM_PixelData);
  DcmPixelSequence *sequence = new DcmPixelSequence (DCM_PixelSequenceTag);
  DcmPixelItem *offset_table = new DcmPixelItem (DCM_PixelItemTag);
  DcmPixelItem *fragment = new DcmPixelItem (DCM_PixelItemTag);
  Uint8 *bytes = NULL;

  sequence->insert (offset_table);
  if (fragment->createUint8Array ((Uint32) padded, bytes).bad () || bytes == NULL)
    {
      delete fragment;
      delete sequence;
      delete pixel_data;
      g_set_error_literal (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_FAILED,
                           _("Not enough memory for the image"));
      return FALSE;
    }
  memcpy (bytes, jpeg, length);
  if (padded != length)
    bytes[length] = 0;   /* after EOI, where decoders stop reading (PS3.5 A.4) */
  sequence->insert (fragment);

  pixel_data->putOriginalRepresentation (EXS_JPEGProcess1, NULL, sequence);
  if (ds->insert (pixel_data, OFTrue).bad ())
    {
      delete pixel_data;
      g_set_error_literal (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_FAILED,
                           "Cannot insert the Pixel Data");
      return FALSE;
    }
  return TRUE;
}

gboolean
ferry_dicom_write_jpeg_photo (const FerryDicomNewObject  *object,
                              const guint8               *jpeg,
                              gsize                       length,
                              const FerryDicomJpegInfo   *info,
                              const char                 *out_path,
                              GError                    **error)
{
  g_return_val_if_fail (object != NULL && info != NULL, FALSE);
  g_return_val_if_fail (jpeg != NULL && out_path != NULL, FALSE);
  g_return_val_if_fail (object->study_instance_uid != NULL &&
                        object->series_instance_uid != NULL &&
                        object->sop_instance_uid != NULL, FALSE);

  FERRY_DICOM_GUARD_BEGIN

  if (!_ferry_dicom_is_initialized ())
    {
      g_set_error_literal (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_DICTIONARY,
                           "ferry_dicom_init() has not been called");
      return FALSE;
    }
  if (length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8 ||
      jpeg[length - 2] != 0xFF || jpeg[length - 1] != 0xD9 ||
      (guint64) length + 1 > FERRY_DICOM_MAX_JPEG_SIZE ||
      (info->samples_per_pixel != 1 && info->samples_per_pixel != 3) ||
      info->rows == 0 || info->rows > 65535 || info->columns == 0 || info->columns > 65535 ||
      info->photometric == NULL)
    {
      g_set_error_literal (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_FAILED,
                           "ferry_dicom_write_jpeg_photo: not a checked JPEG image");
      return FALSE;
    }

  DcmFileFormat file;

  return fill_photo (file.getDataset (), object, info, length, error) &&
         put_jpeg (file.getDataset (), jpeg, length, error) &&
         write_file (&file, EXS_JPEGProcess1, out_path, error);

  FERRY_DICOM_GUARD_END (error, FALSE)
}
