/* ferry-connections-page.c: PACS destinations, devices, and what to type into a cart
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The page shows the configuration in force and is rebuilt whenever the engine bumps
 * "config-generation", whether the change came from this window or from another process that
 * rewrote config.json. Adding and editing happen in modal dialogs; deleting asks first, then
 * hands a modified copy of the configuration to the engine, which saves and applies it in its
 * worker.
 */

#define G_LOG_DOMAIN "ferry-connections-page"

#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "ferry-connections-page.h"
#include "ferry-destination-dialog.h"
#include "ferry-device-dialog.h"

#define NAME_KEY  "ferry-name"
#define INDEX_KEY "ferry-index"

struct _FerryConnectionsPage
{
  FerryPage       parent_instance;

  /* Owned */
  GCancellable   *cancellable;          /* cancelled in dispose */
  GPtrArray      *address_rows;         /* (element-type AdwActionRow): in connect_list */

  /* Template children */
  GtkListBox     *connect_list;
  AdwActionRow   *ae_title_row;
  GtkLabel       *ae_title_label;
  GtkButton      *ae_title_copy_button;
  AdwActionRow   *port_row;
  GtkLabel       *port_label;
  GtkButton      *port_copy_button;
  GtkButton      *add_destination_button;
  GtkListBox     *destinations_list;
  GtkButton      *add_device_button;
  GtkListBox     *devices_list;
  GtkLabel       *devices_placeholder;
};

G_DEFINE_FINAL_TYPE (FerryConnectionsPage, ferry_connections_page, FERRY_TYPE_PAGE)

static void
show_toast (FerryConnectionsPage *self,
            const char           *title)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  g_autofree char *escaped = NULL;
  AdwToast *toast;

  if (overlay == NULL)
    return;

  /* A toast title is Pango markup in libadwaita 1.2; names may hold '<' or '&'. */
  escaped = g_markup_escape_text (title, -1);
  toast = adw_toast_new (escaped);
  adw_toast_set_timeout (toast, 3);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
}

static GtkWindow *
get_parent_window (FerryConnectionsPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
clear_list (GtkListBox *list)
{
  GtkListBoxRow *row;

  while ((row = gtk_list_box_get_row_at_index (list, 0)) != NULL)
    gtk_list_box_remove (list, GTK_WIDGET (row));
}

static GtkWidget *
new_badge (const char *label,
           const char *style_class)
{
  GtkWidget *badge = gtk_label_new (label);

  gtk_widget_set_valign (badge, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (badge, "badge");
  if (style_class != NULL)
    gtk_widget_add_css_class (badge, style_class);

  return badge;
}

/* An icon-only button that says what it does, for the pointer and for screen readers. */
static GtkWidget *
new_row_button (const char *icon_name,
                const char *tooltip,
                const char *action_name,
                GVariant   *target)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip,
                                  -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action_name);
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), target);

  return button;
}

/* Ultrasound panel */

static void
set_copy_target (GtkButton  *button,
                 const char *text)
{
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), g_variant_new_string (text));
}

static void
ferry_connections_page_update_connect (FerryConnectionsPage *self)
{
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));
  g_auto(GStrv) addresses = ferry_engine_dup_host_addresses ();
  g_autofree char *port_text = NULL;
  const FerryConfig *config;
  guint port;

  g_assert (FERRY_IS_CONNECTIONS_PAGE (self));

  if (engine == NULL)
    return;

  config = ferry_engine_get_config (engine);

  gtk_label_set_label (self->ae_title_label, config->receiver_ae_title);
  set_copy_target (self->ae_title_copy_button, config->receiver_ae_title);

  /* What the receiver really listens on: --port may override the saved port. */
  if (ferry_engine_get_receiver_state (engine) == FERRY_RECEIVER_LISTENING)
    {
      port = ferry_engine_get_receiver_port (engine);
      adw_action_row_set_subtitle (self->port_row, NULL);
    }
  else
    {
      const char *reason = ferry_engine_get_receiver_error (engine);
      g_autofree char *subtitle = NULL;

      port = config->port;
      /* Translators: %s says why, e.g. "port 104 is in use by another program". */
      subtitle = reason != NULL ? g_strdup_printf (_("Ferry is not receiving: %s"), reason)
                                : g_strdup (_("Ferry is not receiving"));
      adw_action_row_set_subtitle (self->port_row, subtitle);
    }
  port_text = g_strdup_printf ("%u", port);
  gtk_label_set_label (self->port_label, port_text);
  set_copy_target (self->port_copy_button, port_text);

  /* One row per address, between the AE title and the port, in the order a cart asks. */
  for (guint i = 0; i < self->address_rows->len; i++)
    gtk_list_box_remove (self->connect_list, g_ptr_array_index (self->address_rows, i));
  g_ptr_array_set_size (self->address_rows, 0);

  if (addresses == NULL || addresses[0] == NULL)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("IP address"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                   _("No network connection: connect this computer to the "
                                     "network the ultrasound system is on"));
      gtk_list_box_insert (self->connect_list, row, 1);
      g_ptr_array_add (self->address_rows, row);
      return;
    }

  for (guint i = 0; addresses[i] != NULL; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *label = gtk_label_new (addresses[i]);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     addresses[1] != NULL ? _("IP address (any of these)")
                                                          : _("IP address"));
      gtk_label_set_selectable (GTK_LABEL (label), TRUE);
      gtk_widget_add_css_class (label, "connect-value");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 new_row_button ("edit-copy-symbolic", _("Copy IP Address"),
                                                 "connections.copy",
                                                 g_variant_new_string (addresses[i])));
      gtk_list_box_insert (self->connect_list, row, 1 + i);
      g_ptr_array_add (self->address_rows, row);
    }
}

/* Destinations */

static GtkWidget *
new_destination_row (const FerryDestination *destination)
{
  g_autofree char *subtitle = g_strdup_printf ("%s@%s:%u", destination->ae_title,
                                               destination->host, destination->port);
  g_autofree char *edit_tooltip = NULL;
  g_autofree char *delete_tooltip = NULL;
  GtkWidget *row = adw_action_row_new ();
  GVariant *target = g_variant_ref_sink (g_variant_new_string (destination->name));

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), destination->name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), NAME_KEY, g_strdup (destination->name), g_free);

  if (destination->is_default)
    adw_action_row_add_suffix (ADW_ACTION_ROW (row), new_badge (_("Default"), "accent"));
  if (!destination->verified)
    adw_action_row_add_suffix (ADW_ACTION_ROW (row), new_badge (_("Not verified"), "warning"));

  /* Translators: %s is the name of a PACS. */
  edit_tooltip = g_strdup_printf (_("Edit “%s”"), destination->name);
  delete_tooltip = g_strdup_printf (_("Delete “%s”"), destination->name);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             new_row_button ("document-edit-symbolic", edit_tooltip,
                                             "connections.edit-destination", target));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             new_row_button ("user-trash-symbolic", delete_tooltip,
                                             "connections.delete-destination", target));
  g_variant_unref (target);

  return row;
}

static GtkWidget *
new_device_row (const FerryDevice *device,
                guint              index)
{
  g_autofree char *subtitle = NULL;
  g_autofree char *edit_tooltip = NULL;
  g_autofree char *delete_tooltip = NULL;
  GtkWidget *row = adw_action_row_new ();
  GVariant *target = g_variant_ref_sink (g_variant_new_int32 (index));

  /* Translators: a device's AE title and the address it must send from, e.g.
   * "US_CART3 · 10.0.0.23", or "US_CART3 · any address". */
  subtitle = g_strdup_printf (_("%s · %s"), device->ae_title,
                              device->host != NULL ? device->host : _("any address"));

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), device->name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data (G_OBJECT (row), INDEX_KEY, GUINT_TO_POINTER (index));

  if (device->specialty != NULL && device->specialty[0] != '\0')
    {
      GtkWidget *specialty = gtk_label_new (device->specialty);

      gtk_label_set_ellipsize (GTK_LABEL (specialty), PANGO_ELLIPSIZE_END);
      gtk_label_set_max_width_chars (GTK_LABEL (specialty), 24);
      gtk_widget_add_css_class (specialty, "dim-label");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), specialty);
    }

  /* Translators: %s is the name of a device, e.g. "Cart 3". */
  edit_tooltip = g_strdup_printf (_("Edit “%s”"), device->name);
  delete_tooltip = g_strdup_printf (_("Delete “%s”"), device->name);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             new_row_button ("document-edit-symbolic", edit_tooltip,
                                             "connections.edit-device", target));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             new_row_button ("user-trash-symbolic", delete_tooltip,
                                             "connections.delete-device", target));
  g_variant_unref (target);

  return row;
}

static void
ferry_connections_page_load (FerryConnectionsPage *self)
{
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));
  const FerryConfig *config;

  g_assert (FERRY_IS_CONNECTIONS_PAGE (self));

  clear_list (self->destinations_list);
  clear_list (self->devices_list);

  if (engine == NULL)
    return;

  config = ferry_engine_get_config (engine);

  for (guint i = 0; config->destinations != NULL && i < config->destinations->len; i++)
    gtk_list_box_append (self->destinations_list,
                         new_destination_row (g_ptr_array_index (config->destinations, i)));

  for (guint i = 0; config->devices != NULL && i < config->devices->len; i++)
    gtk_list_box_append (self->devices_list,
                         new_device_row (g_ptr_array_index (config->devices, i), i));

  gtk_label_set_label (self->devices_placeholder,
                       config->accept_unknown_devices
                       ? _("No devices yet. Ferry accepts images from any device; add one to "
                           "choose where its images go.")
                       : _("No devices yet. Ferry refuses images from unknown devices: add the "
                           "ones that may send."));

  ferry_connections_page_update_connect (self);
}

/* Actions */

static void
apply_config_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(FerryConnectionsPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!ferry_engine_apply_config_finish (FERRY_ENGINE (object), result, &error))
    {
      g_autofree char *title = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          || g_cancellable_is_cancelled (self->cancellable))
        return;

      g_message ("Could not delete: %s", error->message);
      /* Translators: %s says why. */
      title = g_strdup_printf (_("Not deleted: %s"), error->message);
      show_toast (self, title);
    }
}

static void
ferry_connections_page_apply (FerryConnectionsPage *self,
                              const FerryConfig    *config)
{
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));
  g_autoptr(GError) error = NULL;

  if (!ferry_engine_validate_config (engine, config, &error))
    {
      g_autofree char *title = g_strdup_printf (_("Not deleted: %s"), error->message);

      show_toast (self, title);
      return;
    }

  ferry_engine_apply_config_async (engine, config, self->cancellable,
                                   apply_config_cb, g_object_ref (self));
}

static void
delete_destination_response_cb (AdwMessageDialog     *dialog,
                                const char           *response,
                                FerryConnectionsPage *self)
{
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));
  const char *name = g_object_get_data (G_OBJECT (dialog), NAME_KEY);
  g_autoptr(FerryConfig) config = NULL;

  if (!g_str_equal (response, "delete") || engine == NULL)
    return;

  config = ferry_config_copy (ferry_engine_get_config (engine));
  if (!ferry_config_remove_destination (config, name))
    return;

  ferry_connections_page_apply (self, config);
}

static void
delete_destination_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *param)
{
  FerryConnectionsPage *self = FERRY_CONNECTIONS_PAGE (widget);
  const char *name = g_variant_get_string (param, NULL);
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  /* Translators: %s is the name of a PACS. */
  heading = g_strdup_printf (_("Delete “%s”?"), name);
  dialog = adw_message_dialog_new (get_parent_window (self), heading,
                                   _("Devices and rules that send to it will stop doing so, and "
                                     "a rule that sends nowhere else is removed. Images already "
                                     "in the PACS stay there."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), NAME_KEY, g_strdup (name), g_free);
  g_signal_connect_object (dialog, "response",
                           G_CALLBACK (delete_destination_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
delete_device_response_cb (AdwMessageDialog     *dialog,
                           const char           *response,
                           FerryConnectionsPage *self)
{
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));
  const FerryDevice *device = g_object_get_data (G_OBJECT (dialog), NAME_KEY);
  g_autoptr(FerryConfig) config = NULL;

  if (!g_str_equal (response, "delete") || engine == NULL)
    return;

  /* Found again by what it was, in case config.json changed while the question was asked. */
  config = ferry_config_copy (ferry_engine_get_config (engine));
  for (guint i = 0; i < config->devices->len; i++)
    {
      const FerryDevice *candidate = g_ptr_array_index (config->devices, i);

      if (g_strcmp0 (candidate->name, device->name) == 0
          && g_strcmp0 (candidate->ae_title, device->ae_title) == 0
          && g_strcmp0 (candidate->host, device->host) == 0)
        {
          g_ptr_array_remove_index (config->devices, i);
          ferry_connections_page_apply (self, config);
          return;
        }
    }
}

static void
delete_device_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  FerryConnectionsPage *self = FERRY_CONNECTIONS_PAGE (widget);
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));
  int index = g_variant_get_int32 (param);
  const FerryConfig *config;
  const FerryDevice *device;
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  if (engine == NULL)
    return;

  config = ferry_engine_get_config (engine);
  if (index < 0 || (guint) index >= config->devices->len)
    return;
  device = g_ptr_array_index (config->devices, index);

  /* Translators: %s is the name of a device, e.g. "Cart 3". */
  heading = g_strdup_printf (_("Delete “%s”?"), device->name);
  dialog = adw_message_dialog_new (get_parent_window (self), heading,
                                   config->accept_unknown_devices
                                   ? _("Its images will then be received like those of any "
                                       "unknown device, and sent to the default destinations.")
                                   : _("Ferry will then refuse its images, since it does not "
                                       "accept unknown devices."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), NAME_KEY, ferry_device_copy (device),
                          (GDestroyNotify) ferry_device_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (delete_device_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
add_destination_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  FerryConnectionsPage *self = FERRY_CONNECTIONS_PAGE (widget);
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));

  if (engine != NULL)
    gtk_window_present (GTK_WINDOW (ferry_destination_dialog_new (get_parent_window (self),
                                                                  engine, NULL)));
}

static void
edit_destination_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *param)
{
  FerryConnectionsPage *self = FERRY_CONNECTIONS_PAGE (widget);
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));

  if (engine != NULL)
    gtk_window_present (GTK_WINDOW (ferry_destination_dialog_new (get_parent_window (self),
                                                                  engine,
                                                                  g_variant_get_string (param,
                                                                                        NULL))));
}

static void
add_device_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  FerryConnectionsPage *self = FERRY_CONNECTIONS_PAGE (widget);
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));

  if (engine != NULL)
    gtk_window_present (GTK_WINDOW (ferry_device_dialog_new (get_parent_window (self),
                                                             engine, -1)));
}

static void
edit_device_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  FerryConnectionsPage *self = FERRY_CONNECTIONS_PAGE (widget);
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));

  if (engine != NULL)
    gtk_window_present (GTK_WINDOW (ferry_device_dialog_new (get_parent_window (self), engine,
                                                             g_variant_get_int32 (param))));
}

static void
copy_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  FerryConnectionsPage *self = FERRY_CONNECTIONS_PAGE (widget);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), g_variant_get_string (param, NULL));
  show_toast (self, _("Copied"));
}

/* Callbacks */

static void
row_activated_cb (FerryConnectionsPage *self,
                  GtkListBoxRow        *row,
                  GtkListBox           *list)
{
  if (list == self->destinations_list)
    gtk_widget_activate_action (GTK_WIDGET (self), "connections.edit-destination", "s",
                                g_object_get_data (G_OBJECT (row), NAME_KEY));
  else if (list == self->devices_list)
    gtk_widget_activate_action (GTK_WIDGET (self), "connections.edit-device", "i",
                                GPOINTER_TO_INT (g_object_get_data (G_OBJECT (row), INDEX_KEY)));
}

static void
engine_notify_config_generation_cb (FerryConnectionsPage *self,
                                    GParamSpec           *pspec,
                                    FerryEngine          *engine)
{
  ferry_connections_page_load (self);
}

static void
engine_notify_receiver_cb (FerryConnectionsPage *self,
                           GParamSpec           *pspec,
                           FerryEngine          *engine)
{
  ferry_connections_page_update_connect (self);
}

static void
ferry_connections_page_engine_changed (FerryPage   *page,
                                       FerryEngine *engine)
{
  FerryConnectionsPage *self = FERRY_CONNECTIONS_PAGE (page);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "connections.add-destination",
                                 engine != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "connections.add-device", engine != NULL);

  if (engine == NULL)
    {
      ferry_connections_page_load (self);
      return;
    }

  g_signal_connect_object (engine, "notify::config-generation",
                           G_CALLBACK (engine_notify_config_generation_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (engine, "notify::receiver-state",
                           G_CALLBACK (engine_notify_receiver_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (engine, "notify::receiver-port",
                           G_CALLBACK (engine_notify_receiver_cb), self, G_CONNECT_SWAPPED);

  ferry_connections_page_load (self);
}

/* GObject */

static void
ferry_connections_page_dispose (GObject *object)
{
  FerryConnectionsPage *self = (FerryConnectionsPage *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->address_rows, g_ptr_array_unref);

  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_CONNECTIONS_PAGE);

  G_OBJECT_CLASS (ferry_connections_page_parent_class)->dispose (object);
}

static void
ferry_connections_page_finalize (GObject *object)
{
  FerryConnectionsPage *self = (FerryConnectionsPage *)object;

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (ferry_connections_page_parent_class)->finalize (object);
}

static void
ferry_connections_page_class_init (FerryConnectionsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  FerryPageClass *page_class = FERRY_PAGE_CLASS (klass);

  object_class->dispose = ferry_connections_page_dispose;
  object_class->finalize = ferry_connections_page_finalize;

  page_class->engine_changed = ferry_connections_page_engine_changed;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/ferrydicom/Ferry/"
                                               "pages/ferry-connections-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryConnectionsPage,
                                        add_destination_button);
  gtk_widget_class_bind_template_child (widget_class, FerryConnectionsPage, add_device_button);
  gtk_widget_class_bind_template_child (widget_class, FerryConnectionsPage,
                                        ae_title_copy_button);
  gtk_widget_class_bind_template_child (widget_class, FerryConnectionsPage, ae_title_label);
  gtk_widget_class_bind_template_child (widget_class, FerryConnectionsPage, ae_title_row);
  gtk_widget_class_bind_template_child (widget_class, FerryConnectionsPage, connect_list);
  gtk_widget_class_bind_template_child (widget_class, FerryConnectionsPage, destinations_list);
  gtk_widget_class_bind_template_child (widget_class, FerryConnectionsPage, devices_list);
  gtk_widget_class_bind_template_child (widget_class, FerryConnectionsPage, devices_placeholder);
  gtk_widget_class_bind_template_child (widget_class, FerryConnectionsPage, port_copy_button);
  gtk_widget_class_bind_template_child (widget_class, FerryConnectionsPage, port_label);
  gtk_widget_class_bind_template_child (widget_class, FerryConnectionsPage, port_row);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);

  gtk_widget_class_install_action (widget_class, "connections.add-destination", NULL,
                                   add_destination_action);
  gtk_widget_class_install_action (widget_class, "connections.edit-destination", "s",
                                   edit_destination_action);
  gtk_widget_class_install_action (widget_class, "connections.delete-destination", "s",
                                   delete_destination_action);
  gtk_widget_class_install_action (widget_class, "connections.add-device", NULL,
                                   add_device_action);
  gtk_widget_class_install_action (widget_class, "connections.edit-device", "i",
                                   edit_device_action);
  gtk_widget_class_install_action (widget_class, "connections.delete-device", "i",
                                   delete_device_action);
  gtk_widget_class_install_action (widget_class, "connections.copy", "s", copy_action);
}

static void
ferry_connections_page_init (FerryConnectionsPage *self)
{
  self->cancellable = g_cancellable_new ();
  self->address_rows = g_ptr_array_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "connections.add-destination", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "connections.add-device", FALSE);
}
