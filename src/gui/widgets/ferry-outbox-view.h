/* ferry-outbox-view.h: deliveries that gave up, and a way to send them again
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "ferry-engine.h"

G_BEGIN_DECLS

#define FERRY_TYPE_OUTBOX_VIEW (ferry_outbox_view_get_type ())

G_DECLARE_FINAL_TYPE (FerryOutboxView, ferry_outbox_view, FERRY, OUTBOX_VIEW, GtkWidget)

FerryEngine *ferry_outbox_view_get_engine (FerryOutboxView *self);
void         ferry_outbox_view_set_engine (FerryOutboxView *self,
                                           FerryEngine     *engine);
/* Rows shown: one per study and destination with images in the outbox. */
guint        ferry_outbox_view_get_count  (FerryOutboxView *self);

G_END_DECLS
