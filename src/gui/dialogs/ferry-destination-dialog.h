/* ferry-destination-dialog.h: add or edit a PACS destination
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "ferry-engine.h"

G_BEGIN_DECLS

#define FERRY_TYPE_DESTINATION_DIALOG (ferry_destination_dialog_get_type ())

G_DECLARE_FINAL_TYPE (FerryDestinationDialog, ferry_destination_dialog,
                      FERRY, DESTINATION_DIALOG, AdwWindow)

/* A modal dialog over @parent that adds a destination (@name %NULL) or edits the one named
 * @name, and applies the result through @engine. It closes itself once the change is saved. */
GtkWidget *ferry_destination_dialog_new (GtkWindow   *parent,
                                         FerryEngine *engine,
                                         const char  *name);

G_END_DECLS
