/* ferry-window.c: Ferry's one window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A sidebar of pages beside a stack that keeps every page alive while it is hidden, with the
 * receiver's state always visible at the bottom of the sidebar. When the engine could not start,
 * the window says why and how to fix it instead.
 */

#define G_LOG_DOMAIN "ferry-window"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-connections-page.h"
#include "ferry-page.h"
#include "ferry-receiver-status.h"
#include "ferry-settings-page.h"
#include "ferry-studies-page.h"
#include "ferry-window.h"

struct _FerryWindow
{
  AdwApplicationWindow  parent_instance;

  /* Owned */
  FerryEngine          *engine;

  /* Borrowed: the toast that reports refused images while it is shown */
  AdwToast             *refusal_toast;
  guint                 refusals;

  /* Template children */
  AdwToastOverlay      *toast_overlay;
  GtkStack             *main_stack;
  AdwStatusPage        *error_page;
  AdwLeaflet           *leaflet;
  GtkListView          *sidebar;
  AdwWindowTitle       *page_title;
  GtkToggleButton      *search_button;
  GtkStack             *stack;
  FerryStudiesPage     *studies_page;
};

enum {
  PROP_0,
  PROP_ENGINE,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (FerryWindow, ferry_window, ADW_TYPE_APPLICATION_WINDOW)

static GParamSpec *properties[N_PROPS];

static void
stack_notify_visible_child_cb (FerryWindow *self,
                               GParamSpec  *pspec,
                               GtkStack    *stack)
{
  GtkWidget *child = gtk_stack_get_visible_child (stack);
  const char *name = gtk_stack_get_visible_child_name (stack);

  g_assert (FERRY_IS_WINDOW (self));

  if (FERRY_IS_PAGE (child))
    adw_window_title_set_title (self->page_title, ferry_page_get_title (FERRY_PAGE (child)));

  gtk_widget_set_visible (GTK_WIDGET (self->search_button), g_strcmp0 (name, "studies") == 0);

  /* On a narrow window the sidebar and the page take turns; picking a page shows it. */
  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child_name (self->leaflet, "content");
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  FerryWindow *self = FERRY_WINDOW (widget);

  adw_leaflet_set_visible_child_name (self->leaflet, "sidebar");
}

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  FerryWindow *self = FERRY_WINDOW (widget);

  ferry_window_show_page (self, g_variant_get_string (param, NULL));
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  FerryWindow *self = FERRY_WINDOW (widget);

  if (self->engine == NULL)
    return;

  ferry_window_show_page (self, "studies");
  ferry_studies_page_begin_search (self->studies_page);
}

static void
ferry_window_constructed (GObject *object)
{
  FerryWindow *self = (FerryWindow *)object;
  g_autoptr(GtkSelectionModel) pages = NULL;

  G_OBJECT_CLASS (ferry_window_parent_class)->constructed (object);

  /* The stack's pages are a selection model already: selecting a row shows its page, and
   * showing a page (Alt+1, app.preferences) selects its row. */
  pages = gtk_stack_get_pages (self->stack);
  gtk_list_view_set_model (self->sidebar, pages);

  stack_notify_visible_child_cb (self, NULL, self->stack);
}

static void
ferry_window_dispose (GObject *object)
{
  FerryWindow *self = (FerryWindow *)object;

  /* The stack's pages model does not keep the stack alive, and the stack may go first. */
  if (self->sidebar != NULL)
    gtk_list_view_set_model (self->sidebar, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_WINDOW);

  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (self->engine, self);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (ferry_window_parent_class)->dispose (object);
}

static void
ferry_window_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  FerryWindow *self = FERRY_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      g_value_set_object (value, self->engine);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_window_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  FerryWindow *self = FERRY_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      ferry_window_set_engine (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_window_class_init (FerryWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = ferry_window_constructed;
  object_class->dispose = ferry_window_dispose;
  object_class->get_property = ferry_window_get_property;
  object_class->set_property = ferry_window_set_property;

  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL,
                         FERRY_TYPE_ENGINE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/ferrydicom/Ferry/ferry-window.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, page_title);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, studies_page);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, toast_overlay);
  gtk_widget_class_bind_template_callback (widget_class, stack_notify_visible_child_cb);

  gtk_widget_class_install_action (widget_class, "win.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK,
                                       "win.show-page", "s", "studies");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK,
                                       "win.show-page", "s", "connections");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_3, GDK_ALT_MASK,
                                       "win.show-page", "s", "settings");

  g_type_ensure (FERRY_TYPE_CONNECTIONS_PAGE);
  g_type_ensure (FERRY_TYPE_RECEIVER_STATUS);
  g_type_ensure (FERRY_TYPE_SETTINGS_PAGE);
  g_type_ensure (FERRY_TYPE_STUDIES_PAGE);
}

static void
ferry_window_init (FerryWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-page", FALSE);
}

FerryWindow *
ferry_window_new (FerryApplication *application)
{
  g_return_val_if_fail (FERRY_IS_APPLICATION (application), NULL);

  return g_object_new (FERRY_TYPE_WINDOW,
                       "application", application,
                       NULL);
}

/**
 * ferry_window_get_engine:
 *
 * Returns: (transfer none) (nullable): the engine the window shows
 */
FerryEngine *
ferry_window_get_engine (FerryWindow *self)
{
  g_return_val_if_fail (FERRY_IS_WINDOW (self), NULL);

  return self->engine;
}

static void
refusal_toast_dismissed_cb (AdwToast    *toast,
                            FerryWindow *self)
{
  if (self->refusal_toast == toast)
    {
      self->refusal_toast = NULL;
      self->refusals = 0;
    }
}

/* A refused image is something the operator at the modality will see fail too; say why here,
 * where the admin is looking. A burst of refusals (a full disk) updates one toast instead of
 * queueing hundreds. */
static void
store_failed_cb (FerryEngine *engine,
                 const char  *calling_ae,
                 const char  *message,
                 FerryWindow *self)
{
  /* Toast titles are Pango markup in libadwaita 1.2, and the message carries the calling AE
   * title, which the peer chose. */
  g_autofree char *escaped = g_markup_escape_text (message, -1);

  self->refusals++;

  if (self->refusal_toast != NULL)
    {
      g_autofree char *title =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u refusal; latest: %s",
                                      "%u refusals; latest: %s", self->refusals),
                         self->refusals, escaped);

      adw_toast_set_title (self->refusal_toast, title);
      return;
    }

  self->refusal_toast = adw_toast_new (escaped);
  adw_toast_set_priority (self->refusal_toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_set_timeout (self->refusal_toast, 10);
  g_signal_connect_object (self->refusal_toast, "dismissed",
                           G_CALLBACK (refusal_toast_dismissed_cb), self, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, self->refusal_toast);
}

/* Not an error, but a PACS admin wants to know: the device sent a different image under a UID
 * Ferry has; both are archived and both are delivered. */
static void
new_version_cb (FerryEngine *engine,
                const char  *calling_ae,
                const char  *sop_instance_uid,
                FerryWindow *self)
{
  g_autofree char *message =
    g_strdup_printf (_("%s sent a different image with the UID of one already received; both "
                       "are kept"), calling_ae);
  g_autofree char *escaped = g_markup_escape_text (message, -1);
  AdwToast *toast = adw_toast_new (escaped);

  adw_toast_set_timeout (toast, 10);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
ferry_window_set_engine (FerryWindow *self,
                         FerryEngine *engine)
{
  g_return_if_fail (FERRY_IS_WINDOW (self));
  g_return_if_fail (!engine || FERRY_IS_ENGINE (engine));

  if (self->engine == engine)
    return;

  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_data (self->engine, self);
  g_set_object (&self->engine, engine);
  if (engine != NULL)
    {
      g_signal_connect (engine, "store-failed", G_CALLBACK (store_failed_cb), self);
      g_signal_connect (engine, "new-version", G_CALLBACK (new_version_cb), self);
    }

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search", engine != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-page", engine != NULL);

  if (engine != NULL)
    gtk_stack_set_visible_child_name (self->main_stack, "pages");

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENGINE]);
}

/**
 * ferry_window_set_engine_error:
 * @error: (nullable): why the engine could not start, or %NULL
 *
 * Shows what went wrong and how to fix it in place of the pages.
 */
void
ferry_window_set_engine_error (FerryWindow  *self,
                               const GError *error)
{
  g_autofree char *description = NULL;
  const char *title;
  const char *advice;

  g_return_if_fail (FERRY_IS_WINDOW (self));

  if (error == NULL)
    {
      if (self->engine != NULL)
        gtk_stack_set_visible_child_name (self->main_stack, "pages");
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY))
    {
      title = _("Ferry Is Already Running");
      advice = _("Only one Ferry at a time can receive images into a data directory. "
                 "Quit the other one, or stop “ferry-cli serve”, then try again.");
    }
  else
    {
      title = _("Ferry Could Not Start");
      advice = _("Check that the data directory is on a disk with free space and that you "
                 "may write to it. A damaged config.json can be moved aside: Ferry then "
                 "starts with the default settings.");
    }

  description = g_markup_printf_escaped ("%s\n\n%s", error->message, advice);

  adw_status_page_set_title (self->error_page, title);
  adw_status_page_set_description (self->error_page, description);
  gtk_stack_set_visible_child_name (self->main_stack, "error");
}

/**
 * ferry_window_show_page:
 * @page_name: "studies", "connections" or "settings"
 *
 * Shows a page and selects its row in the sidebar.
 */
void
ferry_window_show_page (FerryWindow *self,
                        const char  *page_name)
{
  g_return_if_fail (FERRY_IS_WINDOW (self));
  g_return_if_fail (page_name != NULL);

  if (self->engine == NULL)
    return;

  if (gtk_stack_get_child_by_name (self->stack, page_name) == NULL)
    {
      g_warning ("No page named “%s”", page_name);
      return;
    }

  gtk_stack_set_visible_child_name (self->stack, page_name);
  adw_leaflet_set_visible_child_name (self->leaflet, "content");
}

/**
 * ferry_window_add_toast:
 * @toast: (transfer full): the toast
 */
void
ferry_window_add_toast (FerryWindow *self,
                        AdwToast    *toast)
{
  g_return_if_fail (FERRY_IS_WINDOW (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}
