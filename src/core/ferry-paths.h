/* ferry-paths.h: where Ferry keeps its configuration and data
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* $FERRY_HOME when set, otherwise $XDG_CONFIG_HOME/ferry and $XDG_DATA_HOME/ferry. The
 * directories are created (0700) on demand by ferry_paths_ensure(). */
typedef struct {
  char *config_dir;    /* holds config.json */
  char *config_file;
  char *data_dir;      /* holds ferry.db, archive/, logs/, the lock */
  char *database_file;
  char *archive_dir;
  char *log_dir;
  char *lock_file;
} FerryPaths;

/* @home: (nullable): overrides $FERRY_HOME (tests, portable installs). */
FerryPaths *ferry_paths_new          (const char  *home) G_GNUC_WARN_UNUSED_RESULT;
gboolean    ferry_paths_ensure       (FerryPaths  *paths,
                                      GError     **error);
void        ferry_paths_free         (FerryPaths  *paths);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryPaths, ferry_paths_free)

/* One engine per data directory. */
typedef struct _FerryLock FerryLock;

/* Takes an exclusive, non-blocking lock on @path (fcntl OFD lock held for the life of the
 * process) and writes our PID into it. When another process holds it, fails with
 * G_IO_ERROR_BUSY and "Ferry is already running for this data directory (process N)". */
FerryLock  *ferry_lock_acquire       (const char  *path,
                                      GError     **error) G_GNUC_WARN_UNUSED_RESULT;
void        ferry_lock_release       (FerryLock   *lock);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryLock, ferry_lock_release)

G_END_DECLS
