/* ferry-settings-page.h: the station's identity and its receiver
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ferry-page.h"

G_BEGIN_DECLS

#define FERRY_TYPE_SETTINGS_PAGE (ferry_settings_page_get_type ())

G_DECLARE_FINAL_TYPE (FerrySettingsPage, ferry_settings_page, FERRY, SETTINGS_PAGE, FerryPage)

G_END_DECLS
