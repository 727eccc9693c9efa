/* ferry-application.h: the application, which owns the engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "ferry-engine.h"

G_BEGIN_DECLS

#define FERRY_TYPE_APPLICATION (ferry_application_get_type ())

G_DECLARE_FINAL_TYPE (FerryApplication, ferry_application, FERRY, APPLICATION, AdwApplication)

FerryApplication *ferry_application_new               (void) G_GNUC_WARN_UNUSED_RESULT;
FerryEngine      *ferry_application_get_engine        (FerryApplication *self);
void              ferry_application_set_startup_error (FerryApplication *self,
                                                       const GError     *error);

G_END_DECLS
