/* ferry-archive.c: the durable archive of instances
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An instance counts as archived once its file and the directory entries that lead to it are on
 * disk: the spool file is fsynced, linked under its final name, and its folder is fsynced.
 * There are 256 folders, named by the first byte of SHA-256 of the SOP Instance UID, created
 * (and the root fsynced) when the archive opens: a folder per UID would cost a mkdir and a
 * flush of the root for every new instance, a third of the time a CT slice spends on disk. link() rather than rename() is used so that an existing file of
 * the same name is never replaced: the name is the hash of the content, so an existing file is
 * the same bytes, already durable.
 */

#define G_LOG_DOMAIN "ferry-archive"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>

#include "ferry-archive.h"

#define SPOOL_NAME     ".spool"
#define FOLDER_HEX     2
#define FOLDER_COUNT   256
#define OLD_FOLDER_HEX 32  /* one folder per UID, before the folders were shared */
#define HASH_BUFFER    (1024 * 1024)
#define MIB            (G_GUINT64_CONSTANT (1024) * 1024)

struct _FerryArchive {
  /* Immutable after open */
  char    *root;
  char    *spool_dir;
  guint64  reserve_bytes;
  guint    swept_count;

  /* Atomic: folders whose entry in the root is known to be durable */
  guint32  durable_folders[FOLDER_COUNT / 32];
};

G_DEFINE_QUARK (ferry-archive-error-quark, ferry_archive_error)

static gboolean
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *operation,
                 const char  *path)
{
  int code = (saved_errno == ENOSPC || saved_errno == EDQUOT) ? FERRY_ARCHIVE_ERROR_NO_SPACE
                                                              : FERRY_ARCHIVE_ERROR_IO;

  g_set_error (error, FERRY_ARCHIVE_ERROR, code,
               /* Translators: "could not fsync /path/file: Input/output error" */
               _("Archive: could not %s %s: %s"), operation, path, g_strerror (saved_errno));
  return FALSE;
}

static gboolean
fsync_dir (const char  *path,
           GError     **error)
{
  int fd;
  int saved_errno;

  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return set_errno_error (error, errno, _("open"), path);

  if (fsync (fd) != 0)
    {
      saved_errno = errno;
      close (fd);
      return set_errno_error (error, saved_errno, _("fsync"), path);
    }

  close (fd);
  return TRUE;
}

static gboolean
is_hex (const char *s,
        gsize       length)
{
  if (strlen (s) != length)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    {
      if (!g_ascii_isxdigit (s[i]) || g_ascii_isupper (s[i]))
        return FALSE;
    }
  return TRUE;
}

/* Temporary names Ferry may leave in the archive itself: "*.tmp-*". */
static gboolean
is_temporary_name (const char *name)
{
  return strstr (name, ".tmp-") != NULL;
}

static void
sweep_dir (FerryArchive *self,
           const char   *path,
           gboolean      everything)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (!everything && !is_temporary_name (name))
        continue;
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        continue;

      if (g_unlink (child) == 0)
        self->swept_count++;
      else
        g_message ("Could not remove the orphaned file %s: %s", child, g_strerror (errno));
    }
}

/* Removes what a killed process left: everything in the spool, and temporary names in the
 * archive root. Files with final names are kept: they were complete before they were named.
 * Nothing ever writes a temporary name inside a hash folder (files arrive there by link or
 * rename from the spool), so the folders are not walked: start-up stays independent of how
 * many objects the archive holds. */
static void
sweep (FerryArchive *self)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  sweep_dir (self, self->spool_dir, TRUE);

  dir = g_dir_open (self->root, 0, NULL);
  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = NULL;

      if (!is_temporary_name (name))
        continue;

      child = g_build_filename (self->root, name, NULL);
      if (!g_file_test (child, G_FILE_TEST_IS_DIR) && g_unlink (child) == 0)
        self->swept_count++;
    }

  /* The caller reports the count (ferry_archive_get_swept_count()). */
  if (self->swept_count > 0)
    g_debug ("Removed %u orphaned temporary files from the archive", self->swept_count);
}

static guint
folder_index (const char *folder)
{
  return (guint) g_ascii_strtoull (folder, NULL, 16) % FOLDER_COUNT;
}

static gboolean
folder_is_durable (FerryArchive *self,
                   guint         index)
{
  return (__atomic_load_n (&self->durable_folders[index / 32], __ATOMIC_ACQUIRE) >> (index % 32)) & 1;
}

static void
mark_folder_durable (FerryArchive *self,
                     guint         index,
                     gboolean      durable)
{
  if (durable)
    __atomic_fetch_or (&self->durable_folders[index / 32], 1u << (index % 32), __ATOMIC_RELEASE);
  else
    __atomic_fetch_and (&self->durable_folders[index / 32], ~(1u << (index % 32)), __ATOMIC_RELEASE);
}

/* Creates the folder @folder if needed and makes its entry in the root durable. Safe to race:
 * whoever has not seen the folder marked durable fsyncs the root itself. */
static gboolean
ensure_folder (FerryArchive  *self,
               const char    *folder,
               GError       **error)
{
  guint index = folder_index (folder);
  g_autofree char *path = NULL;

  if (folder_is_durable (self, index))
    return TRUE;

  path = g_build_filename (self->root, folder, NULL);
  if (mkdir (path, 0700) != 0 && errno != EEXIST)
    return set_errno_error (error, errno, _("create the folder"), path);
  if (!fsync_dir (self->root, error))
    return FALSE;

  mark_folder_durable (self, index, TRUE);
  return TRUE;
}

static gboolean
create_folders (FerryArchive  *self,
                GError       **error)
{
  gboolean created = FALSE;

  for (guint i = 0; i < FOLDER_COUNT; i++)
    {
      char folder[FOLDER_HEX + 1];
      g_autofree char *path = NULL;

      g_snprintf (folder, sizeof folder, "%02x", i);
      path = g_build_filename (self->root, folder, NULL);
      if (mkdir (path, 0700) == 0)
        created = TRUE;
      else if (errno != EEXIST)
        return set_errno_error (error, errno, _("create the folder"), path);
    }

  /* One flush for all of them; an existing folder's entry was flushed when it was made. */
  if (!fsync_dir (self->root, error))
    return FALSE;
  if (created)
    g_debug ("Created the archive folders in %s", self->root);

  for (guint i = 0; i < FOLDER_COUNT / 32; i++)
    self->durable_folders[i] = G_MAXUINT32;
  return TRUE;
}

static FerryArchive *
open_archive (const char  *root,
              guint64      reserve_bytes,
              gboolean     sweep_spool,
              GError     **error)
{
  FerryArchive *self;
  g_autofree char *absolute = NULL;
  g_autofree char *spool = NULL;

  g_return_val_if_fail (root != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  absolute = g_canonicalize_filename (root, NULL);
  spool = g_build_filename (absolute, SPOOL_NAME, NULL);

  if (g_mkdir_with_parents (spool, 0700) != 0)
    {
      set_errno_error (error, errno, _("create"), spool);
      return NULL;
    }

  self = g_new0 (FerryArchive, 1);
  self->root = g_steal_pointer (&absolute);
  self->spool_dir = g_steal_pointer (&spool);
  self->reserve_bytes = reserve_bytes;

  if (!create_folders (self, error))
    {
      ferry_archive_close (self);
      return NULL;
    }

  if (sweep_spool)
    sweep (self);

  return self;
}

/**
 * ferry_archive_open:
 * @root: the archive directory, normally #FerryPaths.archive_dir
 * @reserve_bytes: free space that objects may never use
 * @error: return location for a #GError
 *
 * Creates @root and its spool directory (0700) and sweeps away temporary files a killed process
 * left behind (see ferry_archive_get_swept_count()). The sweep removes every file in the spool
 * directory, so only the owner of the data directory (the holder of its #FerryLock) may open
 * the archive this way: another process would delete the spool files of a C-STORE in progress.
 *
 * Returns: (transfer full) (nullable): the archive; close with ferry_archive_close()
 */
FerryArchive *
ferry_archive_open (const char  *root,
                    guint64      reserve_bytes,
                    GError     **error)
{
  return open_archive (root, reserve_bytes, TRUE, error);
}

/**
 * ferry_archive_open_shared:
 *
 * The same without the sweep, for a process that adds files while another owns the data
 * directory (ferry-cli send beside a running Ferry).
 */
FerryArchive *
ferry_archive_open_shared (const char  *root,
                           guint64      reserve_bytes,
                           GError     **error)
{
  return open_archive (root, reserve_bytes, FALSE, error);
}

/**
 * ferry_archive_close:
 * @archive: (nullable) (transfer full): an archive
 *
 * Frees @archive. Everything committed is on disk already.
 */
void
ferry_archive_close (FerryArchive *archive)
{
  if (archive == NULL)
    return;

  g_free (archive->root);
  g_free (archive->spool_dir);
  g_free (archive);
}

/**
 * ferry_archive_get_root:
 * @archive: an archive
 *
 * Returns: (transfer none): the absolute path of the archive directory
 */
const char *
ferry_archive_get_root (FerryArchive *archive)
{
  g_return_val_if_fail (archive != NULL, NULL);

  return archive->root;
}

/**
 * ferry_archive_get_spool_dir:
 * @archive: an archive
 *
 * Returns: (transfer none): the directory where receivers write incoming objects
 */
const char *
ferry_archive_get_spool_dir (FerryArchive *archive)
{
  g_return_val_if_fail (archive != NULL, NULL);

  return archive->spool_dir;
}

/**
 * ferry_archive_get_swept_count:
 * @archive: an archive
 *
 * Returns: how many orphaned temporary files ferry_archive_open() removed
 */
guint
ferry_archive_get_swept_count (FerryArchive *archive)
{
  g_return_val_if_fail (archive != NULL, 0);

  return archive->swept_count;
}

/**
 * ferry_archive_check_space:
 * @archive: an archive
 * @size: bytes about to be stored
 * @error: return location for a #GError
 *
 * Returns: %TRUE when storing @size bytes leaves at least the reserve free; otherwise %FALSE
 *   with %FERRY_ARCHIVE_ERROR_NO_SPACE (or %FERRY_ARCHIVE_ERROR_IO when statvfs failed)
 */
gboolean
ferry_archive_check_space (FerryArchive  *archive,
                           guint64        size,
                           GError       **error)
{
  struct statvfs st;
  guint64 available;

  g_return_val_if_fail (archive != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (statvfs (archive->root, &st) != 0)
    return set_errno_error (error, errno, _("check the free space of"), archive->root);

  available = (guint64) st.f_bavail * (guint64) st.f_frsize;
  guint64 reserve = __atomic_load_n (&archive->reserve_bytes, __ATOMIC_RELAXED);

  if (available < size || available - size < reserve)
    {
      g_set_error (error, FERRY_ARCHIVE_ERROR, FERRY_ARCHIVE_ERROR_NO_SPACE,
                   _("The archive disk has %llu MB free, below the reserve of %llu MB"),
                   (unsigned long long) (available / MIB),
                   (unsigned long long) (reserve / MIB));
      return FALSE;
    }

  return TRUE;
}

static char *
uid_folder (const char *sop_instance_uid)
{
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, sop_instance_uid, -1);

  return g_strndup (hash, FOLDER_HEX);
}

/**
 * ferry_archive_set_reserve:
 * @archive: the archive
 * @reserve_bytes: free space that objects may never use
 *
 * Changes the reserve for the objects that come next; any thread.
 */
void
ferry_archive_set_reserve (FerryArchive *archive,
                           guint64       reserve_bytes)
{
  g_return_if_fail (archive != NULL);

  __atomic_store_n (&archive->reserve_bytes, reserve_bytes, __ATOMIC_RELAXED);
}

/**
 * ferry_archive_name_for:
 * @sop_instance_uid: the SOP Instance UID
 * @content_sha256: the hex SHA-256 of the content
 *
 * Returns: (transfer full): "<first 2 hex of sha256(uid)>/<content sha256>"; no part of it
 *   is a received string
 */
char *
ferry_archive_name_for (const char *sop_instance_uid,
                        const char *content_sha256)
{
  g_autofree char *folder = NULL;

  g_return_val_if_fail (sop_instance_uid != NULL, NULL);
  g_return_val_if_fail (content_sha256 != NULL, NULL);
  g_return_val_if_fail (is_hex (content_sha256, 64), NULL);

  folder = uid_folder (sop_instance_uid);
  return g_strconcat (folder, "/", content_sha256, NULL);
}

/* A relative name from the database is accepted only in the shape ferry_archive_name_for()
 * makes, so that it can never point outside the archive. */
static gboolean
is_archive_name (const char *relative_path)
{
  const char *slash = strchr (relative_path, '/');
  g_autofree char *folder = NULL;

  if (slash == NULL)
    return FALSE;
  folder = g_strndup (relative_path, (gsize) (slash - relative_path));
  return (is_hex (folder, FOLDER_HEX) || is_hex (folder, OLD_FOLDER_HEX)) && is_hex (slash + 1, 64);
}

/* SHA-256 of the whole file. OpenSSL's implementation uses the CPU's SHA extensions and runs
 * about eight times faster than GChecksum here (1.2 GB/s against 160 MB/s), which is the
 * difference between hashing and not hashing a 1.4 MB ultrasound frame within its C-STORE. */
static char *
hash_fd (int          fd,
         const char  *path,
         GError     **error)
{
  g_autofree guint8 *buffer = g_malloc (HASH_BUFFER);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  EVP_MD_CTX *context = EVP_MD_CTX_new ();
  GString *hex;
  off_t offset = 0;

  if (context == NULL || EVP_DigestInit_ex (context, EVP_sha256 (), NULL) != 1)
    {
      EVP_MD_CTX_free (context);
      g_set_error (error, FERRY_ARCHIVE_ERROR, FERRY_ARCHIVE_ERROR_IO,
                   _("Cannot hash %s: SHA-256 is not available"), path);
      return NULL;
    }

  for (;;)
    {
      gssize n = pread (fd, buffer, HASH_BUFFER, offset);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          EVP_MD_CTX_free (context);
          set_errno_error (error, errno, _("read"), path);
          return NULL;
        }
      if (n == 0)
        break;
      EVP_DigestUpdate (context, buffer, (gsize) n);
      offset += n;
    }

  EVP_DigestFinal_ex (context, digest, &digest_length);
  EVP_MD_CTX_free (context);

  hex = g_string_sized_new (2 * digest_length);
  for (unsigned int i = 0; i < digest_length; i++)
    g_string_append_printf (hex, "%02x", digest[i]);

  return g_string_free (hex, FALSE);
}

/**
 * ferry_archive_commit_spool:
 * @archive: the archive
 * @spool_fd: the open spool file (read/write), positioned anywhere
 * @spool_path: its path inside the spool directory
 * @expected_size: bytes that were received
 * @sop_instance_uid: used only to hash the folder name
 * @relative_path: (out) (transfer full): the archive-relative name
 * @sha256: (out) (transfer full): hex SHA-256 of the content
 * @error: return location for a #GError
 *
 * fsyncs the spool file, checks its size against @expected_size, hashes it, links it into
 * place and fsyncs the directories. When a file with the same name exists already (the same
 * content under the same UID), the spool file is removed and the existing file is reused.
 * On failure nothing is left in the archive; the spool file is left for the caller to unlink.
 *
 * Returns: %TRUE once the file is durable under its archive name
 */
gboolean
ferry_archive_commit_spool (FerryArchive  *archive,
                            int            spool_fd,
                            const char    *spool_path,
                            guint64        expected_size,
                            const char    *sop_instance_uid,
                            char         **relative_path,
                            char         **sha256,
                            GError       **error)
{
  return ferry_archive_commit_spool_full (archive, spool_fd, spool_path, expected_size,
                                          sop_instance_uid, relative_path, sha256, NULL, error);
}

/**
 * ferry_archive_commit_spool_full:
 * @archive: the archive
 * @spool_fd: the open spool file (read/write), positioned anywhere
 * @spool_path: its path inside the spool directory
 * @expected_size: bytes that were received
 * @sop_instance_uid: used only to hash the folder name
 * @relative_path: (out) (transfer full): the archive-relative name
 * @sha256: (out) (transfer full): hex SHA-256 of the content
 * @created: (out) (optional): whether this call created the archive file; %FALSE when a file
 *   with the same content was there already
 * @error: return location for a #GError
 *
 * Like ferry_archive_commit_spool(), and tells the caller whether the file is its own, so that
 * a rollback (ferry_archive_remove()) never removes a file an earlier instance row refers to.
 *
 * Returns: %TRUE once the file is durable under its archive name
 */
gboolean
ferry_archive_commit_spool_full (FerryArchive  *archive,
                                 int            spool_fd,
                                 const char    *spool_path,
                                 guint64        expected_size,
                                 const char    *sop_instance_uid,
                                 char         **relative_path,
                                 char         **sha256,
                                 gboolean      *created,
                                 GError       **error)
{
  g_autofree char *hash = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *folder_path = NULL;
  g_autofree char *name = NULL;
  g_autofree char *target = NULL;
  gboolean existed = FALSE;
  gboolean renamed = FALSE;
  gboolean linked;
  struct stat st;

  g_return_val_if_fail (archive != NULL, FALSE);
  g_return_val_if_fail (spool_fd >= 0, FALSE);
  g_return_val_if_fail (spool_path != NULL, FALSE);
  g_return_val_if_fail (sop_instance_uid != NULL, FALSE);
  g_return_val_if_fail (relative_path != NULL, FALSE);
  g_return_val_if_fail (sha256 != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Hash first: the pages are in memory whether or not they have reached the disk, and the
   * device can go on writing them meanwhile, so the fsync below waits less. */
  hash = hash_fd (spool_fd, spool_path, error);
  if (hash == NULL)
    return FALSE;

  if (fsync (spool_fd) != 0)
    return set_errno_error (error, errno, _("fsync"), spool_path);

  if (fstat (spool_fd, &st) != 0)
    return set_errno_error (error, errno, _("stat"), spool_path);

  if ((guint64) st.st_size != expected_size)
    {
      g_set_error (error, FERRY_ARCHIVE_ERROR, FERRY_ARCHIVE_ERROR_TRUNCATED,
                   _("Archive: %s holds %llu bytes, but %llu were received"),
                   spool_path, (unsigned long long) st.st_size,
                   (unsigned long long) expected_size);
      return FALSE;
    }

  folder = uid_folder (sop_instance_uid);
  folder_path = g_build_filename (archive->root, folder, NULL);
  name = g_strconcat (folder, "/", hash, NULL);
  target = g_build_filename (archive->root, folder, hash, NULL);

  if (!ensure_folder (archive, folder, error))
    return FALSE;

  linked = link (spool_path, target) == 0;
  if (!linked && errno == ENOENT)
    {
      /* Someone removed the folder while Ferry ran: make it again. */
      g_message ("The archive folder %s had disappeared; creating it again", folder_path);
      mark_folder_durable (archive, folder_index (folder), FALSE);
      if (!ensure_folder (archive, folder, error))
        return FALSE;
      linked = link (spool_path, target) == 0;
    }

  if (!linked)
    {
      int saved_errno = errno;

      if (saved_errno == EEXIST)
        {
          existed = TRUE;
        }
      else if (saved_errno == EPERM || saved_errno == ENOTSUP || saved_errno == EOPNOTSUPP ||
               saved_errno == EMLINK)
        {
          /* Filesystems without hard links: rename, after checking by hand that the name is
           * free (only this archive writes under it, and equal names mean equal content). */
          if (g_file_test (target, G_FILE_TEST_EXISTS))
            existed = TRUE;
          else if (g_rename (spool_path, target) != 0)
            return set_errno_error (error, errno, _("rename the spool file to"), target);
          else
            renamed = TRUE;
        }
      else
        {
          return set_errno_error (error, saved_errno, _("link the spool file to"), target);
        }
    }

  if (!fsync_dir (folder_path, error))
    {
      /* Not durable yet: take back what this call added so that nothing is left. */
      if (renamed)
        g_rename (target, spool_path);
      else if (!existed)
        g_unlink (target);
      return FALSE;
    }

  /* The spool entry goes last: while both names exist, a crash leaves at worst a spool file
   * that the next sweep removes. */
  if (g_unlink (spool_path) != 0 && errno != ENOENT)
    g_debug ("Could not remove the spool file %s: %s", spool_path, g_strerror (errno));

  if (existed)
    g_debug ("%s was archived already", name);

  if (created != NULL)
    *created = !existed;
  *relative_path = g_steal_pointer (&name);
  *sha256 = g_steal_pointer (&hash);
  return TRUE;
}

/**
 * ferry_archive_remove:
 * @archive: the archive
 * @relative_path: an archive-relative name from ferry_archive_commit_spool()
 * @error: return location for a #GError
 *
 * Removes an archived file and fsyncs its folder, e.g. to roll back when the database refused
 * the row. A name that is not in the archive's own shape is refused.
 *
 * Returns: %TRUE on success (also when the file was gone already)
 */
gboolean
ferry_archive_remove (FerryArchive  *archive,
                      const char    *relative_path,
                      GError       **error)
{
  g_autofree char *path = NULL;
  g_autofree char *folder_path = NULL;

  g_return_val_if_fail (archive != NULL, FALSE);
  g_return_val_if_fail (relative_path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!is_archive_name (relative_path))
    {
      g_set_error (error, FERRY_ARCHIVE_ERROR, FERRY_ARCHIVE_ERROR_IO,
                   _("Archive: “%s” is not an archive name"), relative_path);
      return FALSE;
    }

  path = g_build_filename (archive->root, relative_path, NULL);
  folder_path = g_path_get_dirname (path);

  if (g_unlink (path) != 0 && errno != ENOENT)
    return set_errno_error (error, errno, _("remove"), path);

  return fsync_dir (folder_path, error);
}

/**
 * ferry_archive_dup_path:
 * @archive: the archive
 * @relative_path: an archive-relative name
 *
 * Returns: (transfer full): the absolute path of @relative_path
 */
char *
ferry_archive_dup_path (FerryArchive *archive,
                        const char   *relative_path)
{
  g_return_val_if_fail (archive != NULL, NULL);
  g_return_val_if_fail (relative_path != NULL, NULL);

  return g_build_filename (archive->root, relative_path, NULL);
}
