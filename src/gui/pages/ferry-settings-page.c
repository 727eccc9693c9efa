/* ferry-settings-page.c: the station's identity and its receiver
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The form is checked as the user types, and whether the port is free is asked of the engine
 * (which tries to bind in a worker) a moment after the user stops changing it. Apply hands a
 * modified copy of the configuration to the engine, which saves it and restarts the receiver
 * in its worker; the page only reports the outcome.
 */

#define G_LOG_DOMAIN "ferry-settings-page"

#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "ferry-settings-page.h"

/* DICOM value representations: Institution Name is LO, Station Name is SH. */
#define INSTITUTION_NAME_MAX_CHARS 64
#define STATION_NAME_MAX_CHARS     16
#define PORT_CHECK_DELAY_MS        300

struct _FerrySettingsPage
{
  FerryPage       parent_instance;

  /* Owned */
  FerryConfig    *shown;               /* what the form was filled from */
  GCancellable   *cancellable;         /* cancelled in dispose */
  GCancellable   *port_check;
  char           *port_error;          /* why port_checked cannot be used, or NULL */
  guint           port_checked;
  guint           port_check_source;
  guint           applying : 1;
  guint           receiver_changed : 1;

  /* Template children */
  GtkButton      *apply_button;
  AdwEntryRow    *receiver_ae_row;
  GtkImage       *receiver_ae_warning;
  AdwActionRow   *port_row;
  GtkSpinButton  *port_spin;
  AdwEntryRow    *sender_ae_row;
  GtkImage       *sender_ae_warning;
  AdwEntryRow    *institution_row;
  GtkImage       *institution_warning;
  AdwEntryRow    *station_row;
  GtkImage       *station_warning;
  GtkSwitch      *accept_unknown_switch;
  GtkSpinButton  *max_associations_spin;
  GtkLabel       *message_label;
  AdwActionRow   *addresses_row;
  AdwActionRow   *data_dir_row;
  AdwActionRow   *config_file_row;
};

G_DEFINE_FINAL_TYPE (FerrySettingsPage, ferry_settings_page, FERRY_TYPE_PAGE)

static void ferry_settings_page_revalidate (FerrySettingsPage *self);

static void
show_toast (FerrySettingsPage *self,
            const char        *title)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  g_autofree char *escaped = NULL;
  AdwToast *toast;

  if (overlay == NULL)
    return;

  /* A toast title is Pango markup in libadwaita 1.2; error texts may hold '<' or '&'. */
  escaped = g_markup_escape_text (title, -1);
  toast = adw_toast_new (escaped);
  adw_toast_set_timeout (toast, 5);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
}

static char *
dup_entry_text (AdwEntryRow *row)
{
  g_autofree char *text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (row)));

  /* Leading and trailing spaces are not significant in DICOM strings. */
  g_strstrip (text);

  return g_steal_pointer (&text);
}

static char *
dup_optional_entry_text (AdwEntryRow *row)
{
  g_autofree char *text = dup_entry_text (row);

  return text[0] != '\0' ? g_steal_pointer (&text) : NULL;
}

static void
set_entry_text (AdwEntryRow *row,
                const char  *text)
{
  gtk_editable_set_text (GTK_EDITABLE (row), text != NULL ? text : "");
}

/* A copy of @base with the form's values in it. */
static FerryConfig *
ferry_settings_page_build_config (FerrySettingsPage *self,
                                  const FerryConfig *base)
{
  g_autoptr(FerryConfig) config = ferry_config_copy (base);

  g_free (config->receiver_ae_title);
  config->receiver_ae_title = dup_entry_text (self->receiver_ae_row);
  config->port = (guint16)gtk_spin_button_get_value_as_int (self->port_spin);
  g_free (config->sender_ae_title);
  config->sender_ae_title = dup_entry_text (self->sender_ae_row);
  g_free (config->institution_name);
  config->institution_name = dup_optional_entry_text (self->institution_row);
  g_free (config->station_name);
  config->station_name = dup_optional_entry_text (self->station_row);
  config->accept_unknown_devices = gtk_switch_get_active (self->accept_unknown_switch);
  config->max_associations = gtk_spin_button_get_value_as_int (self->max_associations_spin);

  return g_steal_pointer (&config);
}

static void
ferry_settings_page_load (FerrySettingsPage *self,
                          const FerryConfig *config)
{
  g_assert (FERRY_IS_SETTINGS_PAGE (self));
  g_assert (config != NULL);

  g_clear_pointer (&self->shown, ferry_config_free);
  self->shown = ferry_config_copy (config);

  set_entry_text (self->receiver_ae_row, config->receiver_ae_title);
  gtk_spin_button_set_value (self->port_spin, config->port);
  set_entry_text (self->sender_ae_row, config->sender_ae_title);
  set_entry_text (self->institution_row, config->institution_name);
  set_entry_text (self->station_row, config->station_name);
  gtk_switch_set_active (self->accept_unknown_switch, config->accept_unknown_devices);
  gtk_spin_button_set_value (self->max_associations_spin, config->max_associations);

  ferry_settings_page_revalidate (self);
}

/* Marks a row as wrong, in words (the message) and not by colour alone (the icon). */
static void
set_row_error (GtkWidget  *row,
               GtkImage   *warning,
               const char *message)
{
  if (message != NULL)
    gtk_widget_add_css_class (row, "error");
  else
    gtk_widget_remove_css_class (row, "error");

  if (warning != NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (warning), message != NULL);
      gtk_widget_set_tooltip_text (GTK_WIDGET (warning), message);
    }

  if (message != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message,
                                    -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}

static char *
check_ae_title (const char *ae_title)
{
  g_autoptr(GError) error = NULL;

  if (ae_title[0] == '\0')
    return g_strdup (_("An AE title is required"));

  if (!ferry_ae_title_validate (ae_title, &error))
    return g_strdup (error->message);

  return NULL;
}

static char *
check_dicom_string (const char *value,
                    guint       max_chars)
{
  if (value == NULL)
    return NULL;

  if (strchr (value, '\\') != NULL)
    return g_strdup (_("Must not contain a backslash"));

  if (g_utf8_strlen (value, -1) > max_chars)
    return g_strdup_printf (ngettext ("At most %u character",
                                      "At most %u characters",
                                      max_chars),
                            max_chars);

  return NULL;
}

static void
append_problem (GString    *messages,
                const char *field,
                const char *problem)
{
  if (problem == NULL)
    return;

  if (messages->len > 0)
    g_string_append_c (messages, '\n');

  /* Translators: a problem with one setting, e.g. "Receiver AE title: at most 16 characters". */
  g_string_append_printf (messages, _("%s: %s"), field, problem);
}

static void
ferry_settings_page_update_port_row (FerrySettingsPage *self,
                                     guint              port)
{
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));
  g_autofree char *subtitle = NULL;
  g_autoptr(GError) error = NULL;
  const char *message = NULL;

  if (!ferry_port_validate (port, &error))
    {
      message = error->message;
    }
  else if (self->port_error != NULL && self->port_checked == port)
    {
      message = self->port_error;
    }
  else if (self->port_check_source != 0 || self->port_check != NULL)
    {
      subtitle = g_strdup_printf (_("Checking whether port %u is free…"), port);
    }
  else if (engine != NULL
           && ferry_engine_get_receiver_state (engine) == FERRY_RECEIVER_LISTENING
           && ferry_engine_get_receiver_port (engine) == port)
    {
      subtitle = g_strdup (_("Ferry is receiving on this port"));
    }
  else if (engine != NULL
           && ferry_engine_get_receiver_state (engine) == FERRY_RECEIVER_LISTENING
           && ferry_engine_get_config (engine)->port == port)
    {
      /* Only a --port override makes the receiver listen elsewhere than configured. */
      subtitle = g_strdup_printf (_("Saved port; for now Ferry receives on port %u, as asked "
                                    "on the command line"),
                                  ferry_engine_get_receiver_port (engine));
    }
  else if (self->port_checked == port)
    {
      subtitle = g_strdup_printf (_("Port %u is free"), port);
    }
  else
    {
      subtitle = g_strdup (_("The TCP port modalities send to"));
    }

  set_row_error (GTK_WIDGET (self->port_row), NULL, message);
  adw_action_row_set_subtitle (self->port_row, message != NULL ? message : subtitle);
}

static void
ferry_settings_page_revalidate (FerrySettingsPage *self)
{
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));
  g_autoptr(FerryConfig) config = NULL;
  g_autoptr(GString) messages = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *receiver_ae_error = NULL;
  g_autofree char *sender_ae_error = NULL;
  g_autofree char *institution_error = NULL;
  g_autofree char *station_error = NULL;
  gboolean valid;
  gboolean changed;

  g_assert (FERRY_IS_SETTINGS_PAGE (self));

  if (engine == NULL || self->shown == NULL)
    return;

  config = ferry_settings_page_build_config (self, self->shown);

  receiver_ae_error = check_ae_title (config->receiver_ae_title);
  sender_ae_error = check_ae_title (config->sender_ae_title);
  institution_error = check_dicom_string (config->institution_name, INSTITUTION_NAME_MAX_CHARS);
  station_error = check_dicom_string (config->station_name, STATION_NAME_MAX_CHARS);

  set_row_error (GTK_WIDGET (self->receiver_ae_row), self->receiver_ae_warning, receiver_ae_error);
  set_row_error (GTK_WIDGET (self->sender_ae_row), self->sender_ae_warning, sender_ae_error);
  set_row_error (GTK_WIDGET (self->institution_row), self->institution_warning, institution_error);
  set_row_error (GTK_WIDGET (self->station_row), self->station_warning, station_error);
  ferry_settings_page_update_port_row (self, config->port);

  append_problem (messages, _("Receiver AE title"), receiver_ae_error);
  append_problem (messages, _("Sender AE title"), sender_ae_error);
  append_problem (messages, _("Institution name"), institution_error);
  append_problem (messages, _("Station name"), station_error);

  valid = receiver_ae_error == NULL
          && sender_ae_error == NULL
          && institution_error == NULL
          && station_error == NULL
          && !(self->port_error != NULL && self->port_checked == config->port);

  /* Whatever the rules above do not cover, the engine's own check does. */
  if (valid && !ferry_engine_validate_config (engine, config, &error))
    {
      valid = FALSE;
      if (messages->len > 0)
        g_string_append_c (messages, '\n');
      g_string_append (messages, error->message);
    }

  gtk_label_set_label (self->message_label, messages->str);
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), messages->len > 0);

  changed = !ferry_config_equal (config, ferry_engine_get_config (engine));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "settings.apply",
                                 valid && changed && !self->applying);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "settings.revert",
                                 changed && !self->applying);
}

/* Port check */

typedef struct
{
  FerrySettingsPage *self;
  GCancellable      *cancellable;
  guint              port;
} PortCheck;

static void
port_check_free (PortCheck *check)
{
  g_clear_object (&check->self);
  g_clear_object (&check->cancellable);
  g_free (check);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PortCheck, port_check_free)

static void
check_port_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  FerryEngine *engine = FERRY_ENGINE (object);
  g_autoptr(PortCheck) check = user_data;
  FerrySettingsPage *self = check->self;
  g_autoptr(GError) error = NULL;
  gboolean free;

  g_assert (FERRY_IS_SETTINGS_PAGE (self));

  free = ferry_engine_check_port_finish (engine, result, &error);

  /* A newer check may have started while this one ran: only the current one counts. */
  if (g_cancellable_is_cancelled (check->cancellable) || check->cancellable != self->port_check)
    return;

  g_clear_object (&self->port_check);
  g_clear_pointer (&self->port_error, g_free);
  self->port_checked = check->port;
  if (!free)
    self->port_error = g_strdup (error->message);

  ferry_settings_page_revalidate (self);
}

static gboolean
port_check_timeout_cb (gpointer user_data)
{
  FerrySettingsPage *self = user_data;
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));
  PortCheck *check;

  self->port_check_source = 0;

  if (engine == NULL)
    return G_SOURCE_REMOVE;

  self->port_check = g_cancellable_new ();

  check = g_new0 (PortCheck, 1);
  check->self = g_object_ref (self);
  check->cancellable = g_object_ref (self->port_check);
  check->port = gtk_spin_button_get_value_as_int (self->port_spin);

  ferry_engine_check_port_async (engine, check->port, check->cancellable, check_port_cb, check);

  return G_SOURCE_REMOVE;
}

static void
ferry_settings_page_schedule_port_check (FerrySettingsPage *self)
{
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));
  guint port = gtk_spin_button_get_value_as_int (self->port_spin);

  g_clear_handle_id (&self->port_check_source, g_source_remove);
  if (self->port_check != NULL)
    {
      g_cancellable_cancel (self->port_check);
      g_clear_object (&self->port_check);
    }

  /* The engine's own receiver does not count as "in use". */
  if (engine == NULL
      || !ferry_port_validate (port, NULL)
      || (ferry_engine_get_receiver_state (engine) == FERRY_RECEIVER_LISTENING
          && ferry_engine_get_receiver_port (engine) == port))
    return;

  /* Wait until the user stops typing or clicking, so that each keystroke does not bind. */
  self->port_check_source = g_timeout_add (PORT_CHECK_DELAY_MS, port_check_timeout_cb, self);
}

/* Callbacks */

static void
form_changed_cb (FerrySettingsPage *self)
{
  ferry_settings_page_revalidate (self);
}

static void
port_value_changed_cb (FerrySettingsPage *self,
                       GtkSpinButton     *spin)
{
  ferry_settings_page_schedule_port_check (self);
  ferry_settings_page_revalidate (self);
}

static void
apply_config_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  FerryEngine *engine = FERRY_ENGINE (object);
  g_autoptr(FerrySettingsPage) self = user_data;
  g_autoptr(GError) error = NULL;

  g_assert (FERRY_IS_SETTINGS_PAGE (self));

  if (!ferry_engine_apply_config_finish (engine, result, &error))
    {
      g_autofree char *title = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->port_row == NULL)
        return;

      self->applying = FALSE;
      g_message ("Could not apply the settings: %s", error->message);
      /* Translators: %s says why, e.g. "port 104 is in use by another program". */
      title = g_strdup_printf (_("Settings not applied: %s"), error->message);
      show_toast (self, title);
      ferry_settings_page_revalidate (self);
      return;
    }

  if (self->port_row == NULL)
    return;

  self->applying = FALSE;

  if (self->receiver_changed
      && ferry_engine_get_receiver_state (engine) == FERRY_RECEIVER_LISTENING)
    {
      g_autofree char *title = g_strdup_printf (_("Receiver restarted on port %u"),
                                                ferry_engine_get_receiver_port (engine));
      show_toast (self, title);
    }
  else
    {
      show_toast (self, _("Settings saved"));
    }

  ferry_settings_page_load (self, ferry_engine_get_config (engine));
}

static void
apply_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  FerrySettingsPage *self = FERRY_SETTINGS_PAGE (widget);
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));
  const FerryConfig *current;
  g_autoptr(FerryConfig) config = NULL;

  if (engine == NULL || self->applying)
    return;

  current = ferry_engine_get_config (engine);
  config = ferry_settings_page_build_config (self, current);

  self->receiver_changed = g_strcmp0 (config->receiver_ae_title, current->receiver_ae_title) != 0
                           || config->port != current->port
                           || config->max_associations != current->max_associations;
  self->applying = TRUE;
  ferry_settings_page_revalidate (self);

  ferry_engine_apply_config_async (engine, config, self->cancellable,
                                   apply_config_cb, g_object_ref (self));
}

static void
revert_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  FerrySettingsPage *self = FERRY_SETTINGS_PAGE (widget);
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));

  if (engine != NULL)
    ferry_settings_page_load (self, ferry_engine_get_config (engine));
}

static void
open_data_folder_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *param)
{
  FerrySettingsPage *self = FERRY_SETTINGS_PAGE (widget);
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));
  g_autofree char *uri = NULL;

  if (engine == NULL)
    return;

  uri = g_filename_to_uri (ferry_engine_get_paths (engine)->data_dir, NULL, NULL);
  if (uri != NULL)
    gtk_show_uri (GTK_WINDOW (gtk_widget_get_root (widget)), uri, GDK_CURRENT_TIME);
}

static void
ferry_settings_page_update_host (FerrySettingsPage *self)
{
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));
  g_auto(GStrv) addresses = ferry_engine_dup_host_addresses ();
  g_autofree char *addresses_text = NULL;
  const FerryPaths *paths;

  if (addresses != NULL && addresses[0] != NULL)
    addresses_text = g_strjoinv (", ", addresses);
  else
    addresses_text = g_strdup (_("No network connection"));

  adw_action_row_set_subtitle (self->addresses_row, addresses_text);

  if (engine == NULL)
    return;

  paths = ferry_engine_get_paths (engine);
  adw_action_row_set_subtitle (self->data_dir_row, paths->data_dir);
  adw_action_row_set_subtitle (self->config_file_row, paths->config_file);
}

static void
engine_notify_config_generation_cb (FerrySettingsPage *self,
                                    GParamSpec        *pspec,
                                    FerryEngine       *engine)
{
  g_autoptr(FerryConfig) form = NULL;

  if (self->shown == NULL)
    return;

  /* Someone else (ferry-cli, an edited config.json) changed the configuration. Untouched
   * fields follow it; what the user is editing stays as typed. */
  form = ferry_settings_page_build_config (self, self->shown);
  if (ferry_config_equal (form, self->shown))
    ferry_settings_page_load (self, ferry_engine_get_config (engine));
  else
    ferry_settings_page_revalidate (self);
}

static void
engine_notify_receiver_cb (FerrySettingsPage *self,
                           GParamSpec        *pspec,
                           FerryEngine       *engine)
{
  ferry_settings_page_revalidate (self);
}

static void
ferry_settings_page_engine_changed (FerryPage   *page,
                                    FerryEngine *engine)
{
  FerrySettingsPage *self = FERRY_SETTINGS_PAGE (page);

  if (engine == NULL)
    return;

  g_signal_connect_object (engine, "notify::config-generation",
                           G_CALLBACK (engine_notify_config_generation_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (engine, "notify::receiver-state",
                           G_CALLBACK (engine_notify_receiver_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (engine, "notify::receiver-port",
                           G_CALLBACK (engine_notify_receiver_cb), self, G_CONNECT_SWAPPED);

  ferry_settings_page_load (self, ferry_engine_get_config (engine));
  ferry_settings_page_update_host (self);
}

/* GObject */

static void
ferry_settings_page_dispose (GObject *object)
{
  FerrySettingsPage *self = (FerrySettingsPage *)object;

  g_clear_handle_id (&self->port_check_source, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  if (self->port_check != NULL)
    g_cancellable_cancel (self->port_check);
  g_clear_object (&self->port_check);

  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_SETTINGS_PAGE);

  G_OBJECT_CLASS (ferry_settings_page_parent_class)->dispose (object);
}

static void
ferry_settings_page_finalize (GObject *object)
{
  FerrySettingsPage *self = (FerrySettingsPage *)object;

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->shown, ferry_config_free);
  g_clear_pointer (&self->port_error, g_free);

  G_OBJECT_CLASS (ferry_settings_page_parent_class)->finalize (object);
}

static void
ferry_settings_page_class_init (FerrySettingsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  FerryPageClass *page_class = FERRY_PAGE_CLASS (klass);

  object_class->dispose = ferry_settings_page_dispose;
  object_class->finalize = ferry_settings_page_finalize;

  page_class->engine_changed = ferry_settings_page_engine_changed;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/ferrydicom/Ferry/"
                                               "pages/ferry-settings-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FerrySettingsPage, accept_unknown_switch);
  gtk_widget_class_bind_template_child (widget_class, FerrySettingsPage, apply_button);
  gtk_widget_class_bind_template_child (widget_class, FerrySettingsPage, addresses_row);
  gtk_widget_class_bind_template_child (widget_class, FerrySettingsPage, config_file_row);
  gtk_widget_class_bind_template_child (widget_class, FerrySettingsPage, data_dir_row);
  gtk_widget_class_bind_template_child (widget_class, FerrySettingsPage, institution_row);
  gtk_widget_class_bind_template_child (widget_class, FerrySettingsPage, institution_warning);
  gtk_widget_class_bind_template_child (widget_class, FerrySettingsPage, max_associations_spin);
  gtk_widget_class_bind_template_child (widget_class, FerrySettingsPage, message_label);
  gtk_widget_class_bind_template_child (widget_class, FerrySettingsPage, port_row);
  gtk_widget_class_bind_template_child (widget_class, FerrySettingsPage, port_spin);
  gtk_widget_class_bind_template_child (widget_class, FerrySettingsPage, receiver_ae_row);
  gtk_widget_class_bind_template_child (widget_class, FerrySettingsPage, receiver_ae_warning);
  gtk_widget_class_bind_template_child (widget_class, FerrySettingsPage, sender_ae_row);
  gtk_widget_class_bind_template_child (widget_class, FerrySettingsPage, sender_ae_warning);
  gtk_widget_class_bind_template_child (widget_class, FerrySettingsPage, station_row);
  gtk_widget_class_bind_template_child (widget_class, FerrySettingsPage, station_warning);
  gtk_widget_class_bind_template_callback (widget_class, form_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, port_value_changed_cb);

  gtk_widget_class_install_action (widget_class, "settings.apply", NULL, apply_action);
  gtk_widget_class_install_action (widget_class, "settings.revert", NULL, revert_action);
  gtk_widget_class_install_action (widget_class, "settings.open-data-folder", NULL,
                                   open_data_folder_action);
}

static void
ferry_settings_page_init (FerrySettingsPage *self)
{
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "settings.apply", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "settings.revert", FALSE);

  ferry_settings_page_update_host (self);
}
