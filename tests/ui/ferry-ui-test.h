/* ferry-ui-test.h: helpers for the in-process page tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The template child @name of @widget (built from @widget_type's template); asserts it exists. */
gpointer ferry_ui_test_child      (GtkWidget   *widget,
                                   GType        widget_type,
                                   const char  *name);

/* Runs the main loop until @condition (@data) holds or @timeout_ms pass; returns whether it
 * holds. */
gboolean ferry_ui_test_wait_until (gboolean   (*condition) (gpointer data),
                                   gpointer      data,
                                   guint         timeout_ms);

/* A window of @width × @height showing @page, presented. */
GtkWindow *ferry_ui_test_present  (GtkWidget   *page,
                                   int          width,
                                   int          height);

G_END_DECLS
