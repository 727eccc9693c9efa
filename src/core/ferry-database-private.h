/* ferry-database-private.h: for the parts of core that keep their own tables in the database
 * (the delivery ledger), not for anything above core.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <sqlite3.h>

#include "ferry-database.h"

G_BEGIN_DECLS

/* Takes the database's mutex and returns the connection; every call that touches it must be
 * inside ferry_database_lock() … ferry_database_unlock(). */
sqlite3  *ferry_database_lock             (FerryDatabase  *db);
void      ferry_database_unlock           (FerryDatabase  *db);

/* Sets @error from @rc and the connection's message; always returns %FALSE. @operation is a
 * translated verb phrase ("add the instance"). */
gboolean  ferry_database_set_sqlite_error (GError        **error,
                                           sqlite3        *db,
                                           int             rc,
                                           const char     *operation);

/* ROLLBACK when a transaction is open (SQLite ends some itself after I/O errors). */
void      ferry_database_rollback         (FerryDatabase  *db);

G_END_DECLS
