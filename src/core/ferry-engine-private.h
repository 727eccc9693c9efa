/* ferry-engine-private.h: for the engine's own source files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ferry-archive.h"
#include "ferry-database.h"
#include "ferry-engine.h"

G_BEGIN_DECLS

FerryDatabase *ferry_engine_get_database     (FerryEngine *self);
/* (nullable): only while started */
FerryArchive  *ferry_engine_get_archive      (FerryEngine *self);
/* Emits "deliveries-changed" for @study_instance_uid on the main thread. Any thread. */
void           ferry_engine_notify_deliveries_changed (FerryEngine *self,
                                                       const char  *study_instance_uid);
/* The ledger changed (a person acted on it): schedule now. Any thread. */
void           ferry_engine_kick_deliveries  (FerryEngine *self);

G_END_DECLS
