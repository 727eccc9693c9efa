/* ferry-receiver-status.h: whether Ferry is receiving, at the bottom of the sidebar
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "ferry-engine.h"

G_BEGIN_DECLS

#define FERRY_TYPE_RECEIVER_STATUS (ferry_receiver_status_get_type ())

G_DECLARE_FINAL_TYPE (FerryReceiverStatus, ferry_receiver_status, FERRY, RECEIVER_STATUS, GtkWidget)

FerryEngine *ferry_receiver_status_get_engine (FerryReceiverStatus *self);
void         ferry_receiver_status_set_engine (FerryReceiverStatus *self,
                                               FerryEngine         *engine);

G_END_DECLS
