/* ferry-archive.h: the durable archive of instances
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Files live under <root>/<hash of SOP Instance UID>/<sha256 of content>, where the UID's hash is
 * its first byte (256 folders, made when the archive opens); no received string is ever a path
 * component. New files come from the spool directory (<root>/.spool), on the same
 * filesystem, and are fsynced, renamed and their directories fsynced before they count.
 * Thread-safe.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FERRY_ARCHIVE_ERROR (ferry_archive_error_quark ())

typedef enum {
  FERRY_ARCHIVE_ERROR_NO_SPACE,    /* below the reserve, or ENOSPC/EDQUOT */
  FERRY_ARCHIVE_ERROR_IO,          /* any other write, fsync or rename failure */
  FERRY_ARCHIVE_ERROR_TRUNCATED,   /* the file on disk is not the size that was received */
} FerryArchiveError;

GQuark ferry_archive_error_quark (void);

typedef struct _FerryArchive FerryArchive;

/* Creates <root> and <root>/.spool and removes orphaned temporary files left by a killed
 * process (sweep). @reserve_bytes is free space that objects may never use. */
FerryArchive *ferry_archive_open                (const char    *root,
                                                 guint64        reserve_bytes,
                                                 GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* Without the sweep: for a process adding files while another owns the data directory. */
FerryArchive *ferry_archive_open_shared         (const char    *root,
                                                 guint64        reserve_bytes,
                                                 GError       **error) G_GNUC_WARN_UNUSED_RESULT;
void          ferry_archive_close               (FerryArchive  *archive);

const char   *ferry_archive_get_root            (FerryArchive  *archive);
const char   *ferry_archive_get_spool_dir       (FerryArchive  *archive);
guint         ferry_archive_get_swept_count     (FerryArchive  *archive);

/* Takes effect for the next object; any thread. */
void          ferry_archive_set_reserve         (FerryArchive  *archive,
                                                 guint64        reserve_bytes);

/* FERRY_ARCHIVE_ERROR_NO_SPACE when storing @size more bytes would go below the reserve. */
gboolean      ferry_archive_check_space         (FerryArchive  *archive,
                                                 guint64        size,
                                                 GError       **error);

/* The archive-relative name: "<first 2 hex of sha256(uid)>/<sha256 hex of content>". */
char         *ferry_archive_name_for            (const char    *sop_instance_uid,
                                                 const char    *content_sha256) G_GNUC_WARN_UNUSED_RESULT;

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
 * fsyncs the spool file, checks its size against @expected_size, hashes it, renames it into
 * place and fsyncs both directories. When a file with the same name exists already (the same
 * content under the same UID), the spool file is removed and the existing file is reused.
 * On failure nothing is left in the archive; the spool file is left for the caller to unlink.
 */
gboolean      ferry_archive_commit_spool        (FerryArchive  *archive,
                                                 int            spool_fd,
                                                 const char    *spool_path,
                                                 guint64        expected_size,
                                                 const char    *sop_instance_uid,
                                                 char         **relative_path,
                                                 char         **sha256,
                                                 GError       **error);

/* The same, and tells whether this call created the archive file (%FALSE when a file with the
 * same content was there already), so that a caller rolling back removes only its own file. */
gboolean      ferry_archive_commit_spool_full   (FerryArchive  *archive,
                                                 int            spool_fd,
                                                 const char    *spool_path,
                                                 guint64        expected_size,
                                                 const char    *sop_instance_uid,
                                                 char         **relative_path,
                                                 char         **sha256,
                                                 gboolean      *created,
                                                 GError       **error);

/* Removes an archived file (to roll back when the database refused the row). */
gboolean      ferry_archive_remove              (FerryArchive  *archive,
                                                 const char    *relative_path,
                                                 GError       **error);

/* The absolute path of an archive-relative name. */
char         *ferry_archive_dup_path            (FerryArchive  *archive,
                                                 const char    *relative_path) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryArchive, ferry_archive_close)

G_END_DECLS
