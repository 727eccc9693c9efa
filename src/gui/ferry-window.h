/* ferry-window.h: Ferry's one window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "ferry-application.h"
#include "ferry-engine.h"

G_BEGIN_DECLS

#define FERRY_TYPE_WINDOW (ferry_window_get_type ())

G_DECLARE_FINAL_TYPE (FerryWindow, ferry_window, FERRY, WINDOW, AdwApplicationWindow)

FerryWindow *ferry_window_new              (FerryApplication *application);
FerryEngine *ferry_window_get_engine       (FerryWindow      *self);
void         ferry_window_set_engine       (FerryWindow      *self,
                                            FerryEngine      *engine);
void         ferry_window_set_engine_error (FerryWindow      *self,
                                            const GError     *error);
void         ferry_window_show_page        (FerryWindow      *self,
                                            const char       *page_name);
void         ferry_window_add_toast        (FerryWindow      *self,
                                            AdwToast         *toast);

G_END_DECLS
