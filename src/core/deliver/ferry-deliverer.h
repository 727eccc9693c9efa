/* ferry-deliverer.h: routes archived instances and delivers them to PACS destinations
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One scheduler thread routes new instances into the ledger and hands due deliveries to a
 * bounded pool of sender threads: per destination at most max_associations associations, each
 * carrying the pending instances of one study. Outcomes follow ferry-status.h; network errors
 * retry with the destination's interval plus jitter until its retry window ends, then go to the
 * outbox. Everything it knows is in the ledger, so a restart resumes where it stopped.
 */

#pragma once

#include <glib.h>

#include "ferry-archive.h"
#include "ferry-config.h"
#include "ferry-database.h"

G_BEGIN_DECLS

typedef struct _FerryDeliverer FerryDeliverer;

/* Called from the deliverer's threads after ledger rows of @study_instance_uid changed. */
typedef void (*FerryDeliveriesChangedFunc) (const char *study_instance_uid,
                                            gpointer    user_data);

FerryDeliverer *ferry_deliverer_new        (FerryDatabase              *db,
                                            FerryArchive               *archive,
                                            FerryDeliveriesChangedFunc  changed,
                                            gpointer                    user_data) G_GNUC_WARN_UNUSED_RESULT;

/* Takes a copy; applies to the next routing and the next associations. Any thread. */
void            ferry_deliverer_set_config (FerryDeliverer             *self,
                                            const FerryConfig          *config);

/* Resumes the ledger (rows left sending are queued again) and starts the threads. */
gboolean        ferry_deliverer_start      (FerryDeliverer             *self,
                                            GError                    **error);

/* Something new is in the archive or the ledger: route and schedule now. Any thread. */
void            ferry_deliverer_kick       (FerryDeliverer             *self);

/* Aborts associations in progress, joins every thread. Rows being sent stay "sending" in the
 * ledger and are resumed (counted as uncertain) by the next start. */
void            ferry_deliverer_stop       (FerryDeliverer             *self);

void            ferry_deliverer_free       (FerryDeliverer             *self);

/* The retry window check and the delay with jitter, exposed for tests. */
gint64          ferry_deliverer_next_attempt (const FerryDestination   *destination,
                                              gint64                    now);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryDeliverer, ferry_deliverer_free)

G_END_DECLS
