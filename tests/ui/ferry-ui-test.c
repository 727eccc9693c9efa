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

static gboolean
widget_drawn (gpointer data)
{
  GtkWidget *widget = data;

  return gtk_widget_get_mapped (widget) && gtk_widget_get_width (widget) > 0;
}

static gboolean
count_frame_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  guint frames = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (widget), "frames")) + 1;

  g_object_set_data (G_OBJECT (widget), "frames", GUINT_TO_POINTER (frames));
  gtk_widget_queue_draw (widget);

  return frames < 5 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
frames_drawn (gpointer data)
{
  return GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (data), "frames")) >= 5;
}

void
ferry_ui_test_save_screenshot (GtkWidget  *widget,
                               const char *name)
{
  const char *dir = g_getenv ("FERRY_UI_ARTIFACTS");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  GtkSnapshot *snapshot;
  GskRenderer *renderer;
  int width, height;

  if (dir == NULL)
    return;

  g_assert_true (ferry_ui_test_wait_until (widget_drawn, widget, 5000));
  /* A widget paintable shows what was last drawn: let a few frames go by first. */
  g_object_set_data (G_OBJECT (widget), "frames", GUINT_TO_POINTER (0));
  gtk_widget_add_tick_callback (widget, count_frame_cb, NULL, NULL);
  g_assert_true (ferry_ui_test_wait_until (frames_drawn, widget, 5000));

  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  /* The page is drawn on the window's background, which the paintable does not include. */
  gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 0.98f, 0.98f, 0.98f, 1.0f },
                             &GRAPHENE_RECT_INIT (0, 0, width, height));
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_build_filename (dir, name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("saved %s", path);
}

GtkWidget *
ferry_ui_test_find (GtkWidget  *widget,
                    GType       type,
                    const char *css_class)
{
  if (g_type_is_a (G_OBJECT_TYPE (widget), type)
      && (css_class == NULL || gtk_widget_has_css_class (widget, css_class)))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = ferry_ui_test_find (child, type, css_class);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static void
collect_text (GtkWidget  *widget,
              const char *css_class,
              GString    *text)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, css_class))
    g_string_append_printf (text, "%s\n", gtk_label_get_label (GTK_LABEL (widget)));

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_text (child, css_class, text);
}

char *
ferry_ui_test_dup_text (GtkWidget  *widget,
                        const char *css_class)
{
  GString *text = g_string_new (NULL);

  collect_text (widget, css_class, text);

  return g_string_free (text, FALSE);
}
