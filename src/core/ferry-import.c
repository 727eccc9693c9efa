/* ferry-import.c: DICOM files from disk into the archive, as they are
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ferry-import"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ferry-charset.h"
#include "ferry-import.h"

#define COPY_BUFFER (1024 * 1024)

G_DEFINE_QUARK (ferry-import-error-quark, ferry_import_error)

FerryInstanceRecord *
ferry_instance_record_from_attributes (const FerryDicomAttributes *attrs,
                                       const char                 *fallback_charset,
                                       FerryPhysicianTag           physician_tag)
{
  FerryInstanceRecord *record = g_new0 (FerryInstanceRecord, 1);
  const char *scs = attrs->specific_character_set;

#define TEXT(field) ferry_charset_to_utf8 (attrs->field, scs, fallback_charset)
  record->sop_instance_uid = g_strdup (attrs->sop_instance_uid);
  record->sop_class_uid = g_strdup (attrs->sop_class_uid);
  record->transfer_syntax_uid = g_strdup (attrs->transfer_syntax_uid);
  record->study_instance_uid = g_strdup (attrs->study_instance_uid);
  record->series_instance_uid = g_strdup (attrs->series_instance_uid);
  record->patient_id = TEXT (patient_id);
  record->patient_name = TEXT (patient_name);
  record->patient_birth_date = g_strdup (attrs->patient_birth_date);
  record->patient_sex = g_strdup (attrs->patient_sex);
  record->accession_number = TEXT (accession_number);
  record->study_id = TEXT (study_id);
  record->study_date = g_strdup (attrs->study_date);
  record->study_time = g_strdup (attrs->study_time);
  record->study_description = TEXT (study_description);
  record->referring_physician_name = TEXT (referring_physician_name);
  record->modality = g_strdup (attrs->modality);
  record->series_number = g_strdup (attrs->series_number);
  record->series_description = TEXT (series_description);
  record->instance_number = g_strdup (attrs->instance_number);
  record->specific_character_set = g_strdup (scs);
  switch (physician_tag)
    {
    case FERRY_PHYSICIAN_TAG_PERFORMING:
      record->physician_name = TEXT (performing_physician_name);
      break;
    case FERRY_PHYSICIAN_TAG_REFERRING:
      record->physician_name = TEXT (referring_physician_name);
      break;
    case FERRY_PHYSICIAN_TAG_OPERATOR:
      record->physician_name = TEXT (operators_name);
      break;
    case FERRY_PHYSICIAN_TAG_READING:
      record->physician_name = TEXT (physicians_reading_study);
      break;
    case FERRY_PHYSICIAN_TAG_TELECOM:
      record->physician_name = TEXT (persons_telecom_information);
      break;
    case FERRY_PHYSICIAN_TAG_NONE:
    default:
      break;
    }
  record->received_at = g_get_real_time ();
#undef TEXT

  return record;
}

static gboolean
io_error (GError     **error,
          int          saved_errno,
          const char  *path,
          const char  *what)
{
  g_set_error (error, FERRY_IMPORT_ERROR, FERRY_IMPORT_ERROR_IO,
               /* Translators: "/path/file: could not read it: Permission denied" */
               _("%s: could not %s: %s"), path, what, g_strerror (saved_errno));
  return FALSE;
}

/* Copies @in to @out_fd; the number of bytes in @size. */
static gboolean
copy_fd (int          in_fd,
         int          out_fd,
         const char  *path,
         guint64     *size,
         GError     **error)
{
  g_autofree guint8 *buffer = g_malloc (COPY_BUFFER);

  *size = 0;
  for (;;)
    {
      ssize_t n = read (in_fd, buffer, COPY_BUFFER);
      ssize_t done = 0;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return io_error (error, errno, path, _("read it"));
      if (n == 0)
        return TRUE;
      while (done < n)
        {
          ssize_t w = write (out_fd, buffer + done, (size_t) (n - done));

          if (w < 0 && errno == EINTR)
            continue;
          if (w < 0)
            return io_error (error, errno, path, _("copy it into the archive"));
          done += w;
        }
      *size += (guint64) n;
    }
}

gboolean
ferry_import_dicom_file (FerryArchive          *archive,
                         FerryDatabase         *db,
                         const char            *path,
                         const char            *route_to,
                         FerryInstanceRecord  **record_out,
                         FerryInsertOutcome    *outcome_out,
                         GError               **error)
{
  g_auto(FerryDicomPrescanResult) prescan = { 0 };
  g_auto(FerryDicomAttributes) attrs = { 0 };
  g_autoptr(FerryInstanceRecord) record = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *spool_path = NULL;
  g_autofree char *relative_path = NULL;
  g_autofree char *sha256 = NULL;
  FerryInsertOutcome outcome = FERRY_INSERT_NEW;
  gboolean created = FALSE;
  gboolean ok = FALSE;
  guint64 size = 0;
  int in_fd = -1;
  int fd = -1;

  g_return_val_if_fail (archive != NULL, FALSE);
  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  in_fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (in_fd < 0)
    return io_error (error, errno, path, _("open it"));

  spool_path = g_build_filename (ferry_archive_get_spool_dir (archive), "import-XXXXXX.part", NULL);
  fd = g_mkstemp_full (spool_path, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      io_error (error, errno, path, _("create a file in the archive's spool folder"));
      g_clear_pointer (&spool_path, g_free);
      goto out;
    }

  if (!copy_fd (in_fd, fd, path, &size, error))
    goto out;

  if (!ferry_dicom_prescan_file (spool_path, NULL, &prescan, &local_error))
    {
      g_set_error (error, FERRY_IMPORT_ERROR, FERRY_IMPORT_ERROR_NOT_DICOM,
                   _("%s is not a DICOM file Ferry can take (%s); nothing was imported"),
                   path, local_error->message);
      goto out;
    }
  if (!ferry_dicom_read_attributes (spool_path, &attrs, &local_error))
    {
      g_set_error (error, FERRY_IMPORT_ERROR, FERRY_IMPORT_ERROR_NOT_DICOM,
                   _("%s could not be read as DICOM (%s); nothing was imported"),
                   path, local_error->message);
      goto out;
    }
  if (attrs.sop_instance_uid == NULL || attrs.sop_class_uid == NULL ||
      attrs.study_instance_uid == NULL || attrs.series_instance_uid == NULL ||
      attrs.transfer_syntax_uid == NULL)
    {
      g_set_error (error, FERRY_IMPORT_ERROR, FERRY_IMPORT_ERROR_NOT_DICOM,
                   _("%s lacks a SOP Class, SOP Instance, Study or Series Instance UID or a "
                     "transfer syntax; nothing was imported"), path);
      goto out;
    }

  record = ferry_instance_record_from_attributes (&attrs, NULL, FERRY_PHYSICIAN_TAG_PERFORMING);
  record->size = size;
  record->route_to = g_strdup (route_to);

  if (!ferry_archive_commit_spool_full (archive, fd, spool_path, size, attrs.sop_instance_uid,
                                        &relative_path, &sha256, &created, &local_error))
    {
      g_set_error (error, FERRY_IMPORT_ERROR, FERRY_IMPORT_ERROR_IO,
                   _("%s could not be archived: %s"), path, local_error->message);
      goto out;
    }
  record->file_path = g_strdup (relative_path);
  record->sha256 = g_strdup (sha256);

  if (!ferry_database_insert_instance (db, record, &outcome, &local_error))
    {
      g_autoptr(GError) remove_error = NULL;

      if (created && !ferry_archive_remove (archive, relative_path, &remove_error))
        g_message ("Could not take back %s: %s", relative_path, remove_error->message);
      g_set_error (error, FERRY_IMPORT_ERROR, FERRY_IMPORT_ERROR_IO,
                   _("%s could not be indexed: %s"), path, local_error->message);
      goto out;
    }

  if (outcome_out != NULL)
    *outcome_out = outcome;
  if (record_out != NULL)
    *record_out = g_steal_pointer (&record);
  ok = TRUE;

out:
  if (fd >= 0)
    close (fd);
  if (spool_path != NULL && g_unlink (spool_path) != 0 && errno != ENOENT)
    g_message ("Could not remove %s: %s", spool_path, g_strerror (errno));
  close (in_fd);
  return ok;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
collect (const char  *path,
         GPtrArray   *files,
         guint        depth,
         GError     **error)
{
  struct stat st;

  if (lstat (path, &st) != 0)
    return io_error (error, errno, path, _("read it"));

  if (S_ISREG (st.st_mode))
    {
      g_ptr_array_add (files, g_strdup (path));
      return TRUE;
    }

  if (S_ISDIR (st.st_mode) && depth < 32)
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, error);
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      if (dir == NULL)
        return FALSE;
      while ((name = g_dir_read_name (dir)) != NULL)
        g_ptr_array_add (names, g_strdup (name));
      g_ptr_array_sort (names, compare_names);
      for (guint i = 0; i < names->len; i++)
        {
          g_autofree char *child = g_build_filename (path, g_ptr_array_index (names, i), NULL);

          if (!collect (child, files, depth + 1, error))
            return FALSE;
        }
    }

  /* Links, devices and sockets are not images. */
  return TRUE;
}

GPtrArray *
ferry_import_collect_files (const char  *path,
                            GError     **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);

  if (!collect (path, files, 0, error))
    return NULL;
  return g_steal_pointer (&files);
}
