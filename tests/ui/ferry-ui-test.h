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

/* Saves what @widget shows as $FERRY_UI_ARTIFACTS/@name (PNG), for people reviewing the
 * layout; nothing without $FERRY_UI_ARTIFACTS. */
void       ferry_ui_test_save_screenshot (GtkWidget  *widget,
                                          const char *name);

/* The first descendant of @widget (depth first, @widget included) of @type whose CSS classes
 * include @css_class (NULL: any), or NULL. */
GtkWidget *ferry_ui_test_find        (GtkWidget   *widget,
                                      GType        type,
                                      const char  *css_class);

/* The labels under @widget with @css_class, joined by newlines (owned). */
char      *ferry_ui_test_dup_text    (GtkWidget   *widget,
                                      const char  *css_class);

G_END_DECLS
