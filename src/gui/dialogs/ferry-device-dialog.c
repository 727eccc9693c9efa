/* ferry-device-dialog.c: add or edit a device (modality) profile
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Like the destination dialog, it edits a copy of the configuration in force when Save is
 * pressed, has the engine check it and apply it in its worker, and stays open with the reason
 * when that fails.
 */

#define G_LOG_DOMAIN "ferry-device-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-device-dialog.h"
#include "ferry-form.h"

#define DESTINATION_NAME_KEY "ferry-destination-name"

struct _FerryDeviceDialog
{
  AdwWindow             parent_instance;

  /* Owned */
  FerryEngine          *engine;
  FerryDevice          *original;        /* what is edited, or NULL when adding */
  GCancellable         *cancellable;     /* cancelled in dispose */
  GPtrArray            *checks;          /* (element-type GtkCheckButton): one per destination */
  guint                 saving : 1;

  /* Template children */
  AdwWindowTitle       *window_title;
  AdwPreferencesGroup  *message_group;
  GtkLabel             *message_label;
  AdwEntryRow          *name_row;
  AdwEntryRow          *ae_title_row;
  AdwEntryRow          *host_row;
  AdwEntryRow          *specialty_row;
  AdwComboRow          *physician_row;
  AdwComboRow          *charset_row;
  AdwPreferencesGroup  *destinations_group;
  GtkListBox           *destinations_list;
};

G_DEFINE_FINAL_TYPE (FerryDeviceDialog, ferry_device_dialog, ADW_TYPE_WINDOW)

static void
ferry_device_dialog_show_message (FerryDeviceDialog *self,
                                  const char        *message)
{
  gtk_label_set_label (self->message_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_group), message != NULL);
}

static FerryDevice *
ferry_device_dialog_build (FerryDeviceDialog *self)
{
  g_autofree char *name = ferry_form_dup_text (GTK_EDITABLE (self->name_row));
  g_autofree char *ae_title = ferry_form_dup_text (GTK_EDITABLE (self->ae_title_row));
  g_autofree char *host = ferry_form_dup_optional_text (GTK_EDITABLE (self->host_row));
  g_autofree char *character_set = ferry_form_dup_charset (self->charset_row);
  g_autoptr(FerryDevice) device = ferry_device_new (name, ae_title, host, character_set);
  g_autoptr(GStrvBuilder) destinations = g_strv_builder_new ();
  guint n_destinations = 0;

  device->specialty = ferry_form_dup_optional_text (GTK_EDITABLE (self->specialty_row));
  device->physician_tag = adw_combo_row_get_selected (self->physician_row);

  for (guint i = 0; i < self->checks->len; i++)
    {
      GtkCheckButton *check = g_ptr_array_index (self->checks, i);

      if (!gtk_check_button_get_active (check))
        continue;

      g_strv_builder_add (destinations, g_object_get_data (G_OBJECT (check),
                                                           DESTINATION_NAME_KEY));
      n_destinations++;
    }

  /* None checked is the default destinations: stored as no list at all. */
  device->destinations = n_destinations > 0 ? g_strv_builder_end (destinations) : NULL;

  return g_steal_pointer (&device);
}

static void
ferry_device_dialog_fill_destinations (FerryDeviceDialog *self,
                                       const FerryDevice *device)
{
  const FerryConfig *config = ferry_engine_get_config (self->engine);
  g_autoptr(GString) defaults = g_string_new (NULL);
  g_autofree char *description = NULL;
  guint n_destinations = config->destinations != NULL ? config->destinations->len : 0;

  for (guint i = 0; i < n_destinations; i++)
    {
      const FerryDestination *destination = g_ptr_array_index (config->destinations, i);
      g_autofree char *subtitle = g_strdup_printf ("%s@%s:%u", destination->ae_title,
                                                   destination->host, destination->port);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();
      gboolean active = device != NULL && device->destinations != NULL
                        && g_strv_contains ((const char * const *) device->destinations,
                                            destination->name);

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), destination->name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), active);
      gtk_accessible_update_property (GTK_ACCESSIBLE (check),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, destination->name,
                                      -1);
      g_object_set_data_full (G_OBJECT (check), DESTINATION_NAME_KEY,
                              g_strdup (destination->name), g_free);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      gtk_list_box_append (self->destinations_list, row);
      g_ptr_array_add (self->checks, check);

      if (destination->is_default)
        {
          if (defaults->len > 0)
            /* Translators: separates the names of PACS in a list. */
            g_string_append (defaults, _(", "));
          g_string_append (defaults, destination->name);
        }
    }

  if (n_destinations == 0)
    description = g_strdup (_("There is no PACS yet. Add one under PACS Destinations; until "
                              "then Ferry keeps this device’s images."));
  else if (defaults->len == 0)
    description = g_strdup (_("None checked: the default destinations, but no PACS is marked as "
                              "default yet."));
  else
    /* Translators: %s is a list of PACS names. */
    description = g_strdup_printf (_("None checked: the default destinations (%s)."),
                                   defaults->str);

  adw_preferences_group_set_description (self->destinations_group, description);
  gtk_widget_set_visible (GTK_WIDGET (self->destinations_list), n_destinations > 0);
}

static void
ferry_device_dialog_load (FerryDeviceDialog *self,
                          const FerryDevice *device)
{
  ferry_form_set_text (GTK_EDITABLE (self->name_row), device->name);
  ferry_form_set_text (GTK_EDITABLE (self->ae_title_row), device->ae_title);
  ferry_form_set_text (GTK_EDITABLE (self->host_row), device->host);
  ferry_form_set_text (GTK_EDITABLE (self->specialty_row), device->specialty);
  adw_combo_row_set_selected (self->physician_row,
                              MIN ((guint) device->physician_tag, FERRY_PHYSICIAN_TAG_NONE));
  ferry_form_fill_charsets (self->charset_row, _("From the image"), device->character_set);
  ferry_device_dialog_fill_destinations (self, device);
}

static char *
check_form (FerryDeviceDialog *self,
            const FerryDevice *device)
{
  g_autoptr(GError) error = NULL;
  char *problem = NULL;

  ferry_form_set_row_error (GTK_WIDGET (self->name_row), NULL);
  ferry_form_set_row_error (GTK_WIDGET (self->ae_title_row), NULL);
  ferry_form_set_row_error (GTK_WIDGET (self->host_row), NULL);

  if (device->name[0] == '\0')
    {
      problem = g_strdup (_("Give this device a name"));
      ferry_form_set_row_error (GTK_WIDGET (self->name_row), problem);
    }
  else if (!ferry_ae_title_validate (device->ae_title, &error))
    {
      problem = device->ae_title[0] == '\0'
                ? g_strdup (_("Enter the AE title the device sends with"))
                : g_strdup_printf (_("AE title: %s"), error->message);
      ferry_form_set_row_error (GTK_WIDGET (self->ae_title_row), problem);
    }

  return problem;
}

/* The engine names the field ("devices[2].host: …"); point at its row. */
static void
mark_field_error (FerryDeviceDialog *self,
                  const char        *message)
{
  ferry_form_set_row_error (GTK_WIDGET (self->name_row),
                            strstr (message, ".name:") != NULL ? message : NULL);
  ferry_form_set_row_error (GTK_WIDGET (self->ae_title_row),
                            strstr (message, ".ae_title:") != NULL ? message : NULL);
  ferry_form_set_row_error (GTK_WIDGET (self->host_row),
                            strstr (message, ".host:") != NULL ? message : NULL);
}

static gboolean
same_device (const FerryDevice *a,
             const FerryDevice *b)
{
  return g_strcmp0 (a->name, b->name) == 0
         && g_strcmp0 (a->ae_title, b->ae_title) == 0
         && g_strcmp0 (a->host, b->host) == 0;
}

static void
apply_config_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(FerryDeviceDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!ferry_engine_apply_config_finish (FERRY_ENGINE (object), result, &error))
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          || g_cancellable_is_cancelled (self->cancellable))
        return;

      self->saving = FALSE;
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "device.save", TRUE);
      g_message ("Could not save the device: %s", error->message);
      /* Translators: %s says why, e.g. a disk error. */
      message = g_strdup_printf (_("Not saved: %s"), error->message);
      ferry_device_dialog_show_message (self, message);
      mark_field_error (self, error->message);
      return;
    }

  if (g_cancellable_is_cancelled (self->cancellable))
    return;

  gtk_window_destroy (GTK_WINDOW (self));
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  FerryDeviceDialog *self = FERRY_DEVICE_DIALOG (widget);
  g_autoptr(FerryDevice) device = NULL;
  g_autoptr(FerryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *problem = NULL;
  gboolean replaced = FALSE;

  if (self->engine == NULL || self->saving)
    return;

  device = ferry_device_dialog_build (self);
  problem = check_form (self, device);
  if (problem != NULL)
    {
      ferry_device_dialog_show_message (self, problem);
      return;
    }

  /* The device is found again by what it was, in case config.json changed in the meantime. */
  config = ferry_config_copy (ferry_engine_get_config (self->engine));
  for (guint i = 0; self->original != NULL && i < config->devices->len; i++)
    {
      FerryDevice *old = g_ptr_array_index (config->devices, i);

      if (same_device (old, self->original))
        {
          g_ptr_array_index (config->devices, i) = g_steal_pointer (&device);
          ferry_device_free (old);
          replaced = TRUE;
          break;
        }
    }
  if (!replaced)
    g_ptr_array_add (config->devices, g_steal_pointer (&device));

  if (!ferry_engine_validate_config (self->engine, config, &error))
    {
      ferry_device_dialog_show_message (self, error->message);
      mark_field_error (self, error->message);
      return;
    }

  ferry_device_dialog_show_message (self, NULL);
  self->saving = TRUE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "device.save", FALSE);

  ferry_engine_apply_config_async (self->engine, config, self->cancellable,
                                   apply_config_cb, g_object_ref (self));
}

static void
form_changed_cb (FerryDeviceDialog *self)
{
  ferry_form_set_row_error (GTK_WIDGET (self->name_row), NULL);
  ferry_form_set_row_error (GTK_WIDGET (self->ae_title_row), NULL);
  ferry_form_set_row_error (GTK_WIDGET (self->host_row), NULL);
}

/* GObject */

static void
ferry_device_dialog_dispose (GObject *object)
{
  FerryDeviceDialog *self = (FerryDeviceDialog *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->checks, g_ptr_array_unref);

  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_DEVICE_DIALOG);

  g_clear_object (&self->engine);

  G_OBJECT_CLASS (ferry_device_dialog_parent_class)->dispose (object);
}

static void
ferry_device_dialog_finalize (GObject *object)
{
  FerryDeviceDialog *self = (FerryDeviceDialog *)object;

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->original, ferry_device_free);

  G_OBJECT_CLASS (ferry_device_dialog_parent_class)->finalize (object);
}

static void
ferry_device_dialog_class_init (FerryDeviceDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ferry_device_dialog_dispose;
  object_class->finalize = ferry_device_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/ferrydicom/Ferry/"
                                               "dialogs/ferry-device-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryDeviceDialog, ae_title_row);
  gtk_widget_class_bind_template_child (widget_class, FerryDeviceDialog, charset_row);
  gtk_widget_class_bind_template_child (widget_class, FerryDeviceDialog, destinations_group);
  gtk_widget_class_bind_template_child (widget_class, FerryDeviceDialog, destinations_list);
  gtk_widget_class_bind_template_child (widget_class, FerryDeviceDialog, host_row);
  gtk_widget_class_bind_template_child (widget_class, FerryDeviceDialog, message_group);
  gtk_widget_class_bind_template_child (widget_class, FerryDeviceDialog, message_label);
  gtk_widget_class_bind_template_child (widget_class, FerryDeviceDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, FerryDeviceDialog, physician_row);
  gtk_widget_class_bind_template_child (widget_class, FerryDeviceDialog, specialty_row);
  gtk_widget_class_bind_template_child (widget_class, FerryDeviceDialog, window_title);
  gtk_widget_class_bind_template_callback (widget_class, form_changed_cb);

  gtk_widget_class_install_action (widget_class, "device.save", NULL, save_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK,
                                       "device.save", NULL);
}

static void
ferry_device_dialog_init (FerryDeviceDialog *self)
{
  self->cancellable = g_cancellable_new ();
  self->checks = g_ptr_array_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
ferry_device_dialog_new (GtkWindow   *parent,
                         FerryEngine *engine,
                         int          index)
{
  const FerryConfig *config;
  FerryDeviceDialog *self;
  g_autoptr(FerryDevice) fresh = NULL;
  const FerryDevice *device = NULL;

  g_return_val_if_fail (!parent || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (FERRY_IS_ENGINE (engine), NULL);

  config = ferry_engine_get_config (engine);

  self = g_object_new (FERRY_TYPE_DEVICE_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->engine = g_object_ref (engine);

  if (index >= 0 && (guint) index < config->devices->len)
    device = g_ptr_array_index (config->devices, index);

  if (device != NULL)
    {
      self->original = ferry_device_copy (device);
      gtk_window_set_title (GTK_WINDOW (self), _("Edit Device"));
      adw_window_title_set_title (self->window_title, _("Edit Device"));
      adw_window_title_set_subtitle (self->window_title, device->name);
    }
  else
    {
      fresh = ferry_device_new ("", "", NULL, NULL);
      device = fresh;
      gtk_window_set_title (GTK_WINDOW (self), _("Add Device"));
      adw_window_title_set_title (self->window_title, _("Add Device"));
    }

  ferry_device_dialog_load (self, device);
  gtk_widget_grab_focus (GTK_WIDGET (self->name_row));

  return GTK_WIDGET (self);
}
