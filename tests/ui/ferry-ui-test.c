/* ferry-ui-test.c: helpers for the in-process page tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "ferry-ui-test.h"

gpointer
ferry_ui_test_child (GtkWidget  *widget,
                     GType       widget_type,
                     const char *name)
{
  GObject *object = gtk_widget_get_template_child (widget, widget_type, name);

  g_assert_nonnull (object);

  return object;
}

GtkWindow *
ferry_ui_test_present (GtkWidget *page,
                       int        width,
                       int        height)
{
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());

  gtk_window_set_default_size (window, width, height);
  gtk_window_set_child (window, page);
  gtk_window_present (window);

  return window;
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;

  return G_SOURCE_REMOVE;
}

gboolean
ferry_ui_test_wait_until (gboolean (*condition) (gpointer data),
                          gpointer   data,
                          guint      timeout_ms)
{
  gboolean timed_out = FALSE;
  guint source = g_timeout_add (timeout_ms, timeout_cb, &timed_out);

  while (!condition (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (!timed_out)
    g_source_remove (source);

  return condition (data);
}
