/* ferry-paths.c: where Ferry keeps its configuration and data
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ferry-paths"

/* For F_OFD_SETLK. */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ferry-paths.h"

/**
 * ferry_paths_new:
 * @home: (nullable): a directory that holds everything; overrides $FERRY_HOME
 *
 * Works out the paths without touching the disk. With @home or $FERRY_HOME set, configuration
 * and data share that directory; otherwise they live in $XDG_CONFIG_HOME/ferry and
 * $XDG_DATA_HOME/ferry.
 *
 * Returns: (transfer full): the paths; free with ferry_paths_free()
 */
FerryPaths *
ferry_paths_new (const char *home)
{
  FerryPaths *paths = g_new0 (FerryPaths, 1);

  if (home == NULL || home[0] == '\0')
    home = g_getenv ("FERRY_HOME");

  if (home != NULL && home[0] != '\0')
    {
      g_autofree char *absolute = g_canonicalize_filename (home, NULL);

      paths->config_dir = g_strdup (absolute);
      paths->data_dir = g_strdup (absolute);
    }
  else
    {
      paths->config_dir = g_build_filename (g_get_user_config_dir (), "ferry", NULL);
      paths->data_dir = g_build_filename (g_get_user_data_dir (), "ferry", NULL);
    }

  paths->config_file = g_build_filename (paths->config_dir, "config.json", NULL);
  paths->database_file = g_build_filename (paths->data_dir, "ferry.db", NULL);
  paths->archive_dir = g_build_filename (paths->data_dir, "archive", NULL);
  paths->log_dir = g_build_filename (paths->data_dir, "logs", NULL);
  paths->lock_file = g_build_filename (paths->data_dir, "ferry.lock", NULL);

  return paths;
}

static gboolean
ensure_dir (const char  *path,
            GError     **error)
{
  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not create the folder %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

/**
 * ferry_paths_ensure:
 * @paths: the paths
 * @error: return location for a #GError
 *
 * Creates the configuration, data, archive and log directories (mode 0700) when missing.
 *
 * Returns: %TRUE on success
 */
gboolean
ferry_paths_ensure (FerryPaths  *paths,
                    GError     **error)
{
  g_return_val_if_fail (paths != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return ensure_dir (paths->config_dir, error) &&
         ensure_dir (paths->data_dir, error) &&
         ensure_dir (paths->archive_dir, error) &&
         ensure_dir (paths->log_dir, error);
}

/**
 * ferry_paths_free:
 * @paths: (nullable): the paths
 */
void
ferry_paths_free (FerryPaths *paths)
{
  if (paths == NULL)
    return;

  g_free (paths->config_dir);
  g_free (paths->config_file);
  g_free (paths->data_dir);
  g_free (paths->database_file);
  g_free (paths->archive_dir);
  g_free (paths->log_dir);
  g_free (paths->lock_file);
  g_free (paths);
}

struct _FerryLock {
  int   fd;
  char *path;
};

static void
whole_file_lock (struct flock *lock,
                 short         type)
{
  memset (lock, 0, sizeof *lock);
  lock->l_type = type;
  lock->l_whence = SEEK_SET;
  lock->l_start = 0;
  lock->l_len = 0;
  lock->l_pid = 0;   /* must be 0 for OFD locks */
}

static gint64
read_holder_pid (int fd)
{
  char buffer[32];
  gssize n;

  n = pread (fd, buffer, sizeof buffer - 1, 0);
  if (n <= 0)
    return 0;
  buffer[n] = '\0';

  return g_ascii_strtoll (buffer, NULL, 10);
}

/**
 * ferry_lock_acquire:
 * @path: the lock file, normally #FerryPaths.lock_file
 * @error: return location for a #GError
 *
 * Takes an exclusive, non-blocking open-file-description lock on the whole of @path and writes
 * our PID into it. The lock is held until ferry_lock_release() or the end of the process, and
 * the kernel drops it when the process dies, so a crash never leaves a stale lock behind.
 *
 * Returns: (transfer full) (nullable): the lock, or %NULL with %G_IO_ERROR_BUSY when another
 *   process (or another open of the file) holds it, or another #G_IO_ERROR
 */
FerryLock *
ferry_lock_acquire (const char  *path,
                    GError     **error)
{
  struct flock lock;
  g_autofree char *pid = NULL;
  FerryLock *self;
  int fd;
  int saved_errno;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not open the lock file %s: %s"), path, g_strerror (saved_errno));
      return NULL;
    }

  whole_file_lock (&lock, F_WRLCK);
  if (fcntl (fd, F_OFD_SETLK, &lock) != 0)
    {
      saved_errno = errno;

      if (saved_errno == EAGAIN || saved_errno == EACCES)
        {
          gint64 holder = read_holder_pid (fd);

          close (fd);
          if (holder > 0)
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                         _("Ferry is already running for this data directory (process %lld)"),
                         (long long) holder);
          else
            g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                                 _("Ferry is already running for this data directory"));
          return NULL;
        }

      close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not lock %s: %s"), path, g_strerror (saved_errno));
      return NULL;
    }

  pid = g_strdup_printf ("%ld\n", (long) getpid ());
  if (ftruncate (fd, 0) != 0 ||
      pwrite (fd, pid, strlen (pid), 0) != (gssize) strlen (pid))
    {
      /* The lock is what counts; the PID is only for the message another process shows. */
      g_debug ("Could not write the PID into %s: %s", path, g_strerror (errno));
    }

  self = g_new0 (FerryLock, 1);
  self->fd = fd;
  self->path = g_strdup (path);

  return self;
}

/**
 * ferry_lock_release:
 * @lock: (nullable) (transfer full): a lock
 *
 * Unlocks and closes the lock file. The file itself stays: removing it would let two processes
 * lock two different files of the same name.
 */
void
ferry_lock_release (FerryLock *lock)
{
  struct flock unlock;

  if (lock == NULL)
    return;

  whole_file_lock (&unlock, F_UNLCK);
  if (fcntl (lock->fd, F_OFD_SETLK, &unlock) != 0)
    g_debug ("Could not unlock %s: %s", lock->path, g_strerror (errno));
  close (lock->fd);
  g_free (lock->path);
  g_free (lock);
}
