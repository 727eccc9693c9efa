/* ferry-delivery-tracker.h: delivery summaries of the studies on screen
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "ferry-engine.h"

G_BEGIN_DECLS

#define FERRY_TYPE_DELIVERY_TRACKER (ferry_delivery_tracker_get_type ())

G_DECLARE_FINAL_TYPE (FerryDeliveryTracker, ferry_delivery_tracker, FERRY, DELIVERY_TRACKER, GObject)

FerryDeliveryTracker *ferry_delivery_tracker_new     (FerryEngine          *engine) G_GNUC_WARN_UNUSED_RESULT;

/* A row shows the study: its summaries are fetched (if they are not known or stale) and kept
 * fresh while at least one watcher remains. Calls nest. */
void        ferry_delivery_tracker_watch             (FerryDeliveryTracker *self,
                                                      const char           *study_instance_uid);
void        ferry_delivery_tracker_unwatch           (FerryDeliveryTracker *self,
                                                      const char           *study_instance_uid);

/* (transfer none) (nullable) (element-type FerryDeliverySummary): the last summaries fetched
 * for the study, one per destination; NULL before the first fetch completes. */
GPtrArray  *ferry_delivery_tracker_lookup            (FerryDeliveryTracker *self,
                                                      const char           *study_instance_uid);

/*
 * Signals:
 *   "summaries-changed" (const char *study_instance_uid): new summaries for a watched study.
 */

G_END_DECLS
