/* ferry-device-dialog.h: add or edit a device (modality) profile
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "ferry-engine.h"

G_BEGIN_DECLS

#define FERRY_TYPE_DEVICE_DIALOG (ferry_device_dialog_get_type ())

G_DECLARE_FINAL_TYPE (FerryDeviceDialog, ferry_device_dialog, FERRY, DEVICE_DIALOG, AdwWindow)

/* A modal dialog over @parent that adds a device (@index -1) or edits the configuration's
 * device at @index, and applies the result through @engine. It closes itself once saved. */
GtkWidget *ferry_device_dialog_new (GtkWindow   *parent,
                                    FerryEngine *engine,
                                    int          index);

G_END_DECLS
