/* ferry-import.h: DICOM files from disk into the archive, as they are
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "ferry-archive.h"
#include "ferry-config.h"
#include "ferry-database.h"
#include "ferry-dicom.h"

G_BEGIN_DECLS

#define FERRY_IMPORT_ERROR (ferry_import_error_quark ())

typedef enum {
  FERRY_IMPORT_ERROR_NOT_DICOM,   /* not a Part 10 file, or not valid DICOM */
  FERRY_IMPORT_ERROR_IO,          /* cannot read it, or the archive cannot take it */
} FerryImportError;

GQuark ferry_import_error_quark (void);

/* The index row for an object, its text converted to UTF-8 (the object's Specific Character Set,
 * then @fallback_charset); the physician comes from the attribute @physician_tag names (the
 * device profile's choice). file_path, sha256, calling_ae, peer_address, size, route_to are left
 * for the caller; received_at is now. */
FerryInstanceRecord *ferry_instance_record_from_attributes (const FerryDicomAttributes *attrs,
                                                            const char                 *fallback_charset,
                                                            FerryPhysicianTag           physician_tag) G_GNUC_WARN_UNUSED_RESULT;

/**
 * ferry_import_dicom_file:
 * @archive: the archive
 * @db: the index
 * @path: a DICOM Part 10 file
 * @route_to: (nullable): send it to this destination only; %NULL: the router decides
 * @record: (out) (optional) (transfer full): what was indexed
 * @outcome: (out) (optional): new, the same as an archived object, or a new version
 * @error: FERRY_IMPORT_ERROR; the message names the file and what to do
 *
 * Copies @path into the spool (fsynced, size checked), pre-scans it, reads its attributes,
 * commits it to the archive and indexes it, exactly like a received object: bit for bit. The
 * file at @path is not changed. Blocking: call from a worker.
 *
 * Returns: %TRUE once archived and indexed
 */
gboolean ferry_import_dicom_file (FerryArchive          *archive,
                                  FerryDatabase         *db,
                                  const char            *path,
                                  const char            *route_to,
                                  FerryInstanceRecord  **record,
                                  FerryInsertOutcome    *outcome,
                                  GError               **error);

/* Files under @path (a file, or a folder walked recursively, symbolic links not followed), in
 * name order. (transfer full) */
GPtrArray *ferry_import_collect_files (const char  *path,
                                       GError     **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
