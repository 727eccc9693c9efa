/* ferry-destination-dialog.c: add or edit a PACS destination
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The dialog edits a copy: Save takes the configuration in force at that moment, changes this
 * one destination in it (renaming it everywhere it is referenced), has the engine check the
 * whole and then apply it in its worker. The dialog stays open, saying what is wrong, until the
 * engine has saved it. Test connection sends a C-ECHO from the engine's worker with what the
 * form holds; a destination is stored as verified only when such a test worked with exactly the
 * AE title, host and port that are saved.
 */

#define G_LOG_DOMAIN "ferry-destination-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-destination-dialog.h"
#include "ferry-form.h"

/* The retry intervals the window offers, in the order of the combo row's first items. */
static const guint retry_intervals[] = { 5 * 60, 15 * 60, 30 * 60 };
#define N_RETRY_DAYS 4

struct _FerryDestinationDialog
{
  AdwWindow            parent_instance;

  /* Owned */
  FerryEngine         *engine;
  FerryDestination    *original;           /* what is edited, or NULL when adding */
  GCancellable        *cancellable;        /* cancelled in dispose */
  GCancellable        *test;               /* the test running, or NULL */
  char                *tested_ae_title;    /* what the last finished test used, or NULL */
  char                *tested_host;
  guint16              tested_port;
  guint                tested_ok : 1;
  guint                saving : 1;
  guint                other_retry_interval; /* seconds of the extra item, or 0 */

  /* Template children */
  AdwWindowTitle      *window_title;
  GtkButton           *save_button;
  AdwPreferencesGroup *message_group;
  GtkLabel            *message_label;
  AdwEntryRow         *name_row;
  AdwEntryRow         *ae_title_row;
  AdwEntryRow         *host_row;
  AdwActionRow        *port_row;
  GtkSpinButton       *port_spin;
  AdwActionRow        *test_row;
  GtkStack            *test_state_stack;
  GtkSpinner          *test_spinner;
  GtkButton           *test_button;
  GtkSwitch           *default_switch;
  AdwEntryRow         *specialties_row;
  AdwComboRow         *charset_row;
  GtkSwitch           *decompress_switch;
  GtkSpinButton       *max_associations_spin;
  AdwComboRow         *retry_interval_row;
  AdwComboRow         *retry_days_row;
};

G_DEFINE_FINAL_TYPE (FerryDestinationDialog, ferry_destination_dialog, ADW_TYPE_WINDOW)

static void
ferry_destination_dialog_show_message (FerryDestinationDialog *self,
                                       const char             *message)
{
  gtk_label_set_label (self->message_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_group), message != NULL);
}

static void
ferry_destination_dialog_update_actions (FerryDestinationDialog *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "destination.save",
                                 self->engine != NULL && !self->saving);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "destination.test",
                                 self->engine != NULL && self->test == NULL);
}

/* Form */

static char **
dup_specialties (FerryDestinationDialog *self)
{
  g_autofree char *text = ferry_form_dup_text (GTK_EDITABLE (self->specialties_row));
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint n = 0;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strstrip (parts[i]);
      if (parts[i][0] == '\0')
        continue;
      g_strv_builder_add (builder, parts[i]);
      n++;
    }

  return n > 0 ? g_strv_builder_end (builder) : NULL;
}

static guint
selected_retry_interval (FerryDestinationDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->retry_interval_row);

  if (selected < G_N_ELEMENTS (retry_intervals))
    return retry_intervals[selected];

  return self->other_retry_interval != 0 ? self->other_retry_interval : retry_intervals[0];
}

/* A new destination with the form's values; verified is decided by the caller. */
static FerryDestination *
ferry_destination_dialog_build (FerryDestinationDialog *self)
{
  g_autofree char *name = ferry_form_dup_text (GTK_EDITABLE (self->name_row));
  g_autofree char *ae_title = ferry_form_dup_text (GTK_EDITABLE (self->ae_title_row));
  g_autofree char *host = ferry_form_dup_text (GTK_EDITABLE (self->host_row));
  guint16 port = (guint16) gtk_spin_button_get_value_as_int (self->port_spin);
  g_autoptr(FerryDestination) destination = ferry_destination_new (name, ae_title, host, port);

  destination->specialties = dup_specialties (self);
  destination->character_set = ferry_form_dup_charset (self->charset_row);
  destination->decompress = gtk_switch_get_active (self->decompress_switch);
  destination->max_associations = gtk_spin_button_get_value_as_int (self->max_associations_spin);
  destination->retry_interval_seconds = selected_retry_interval (self);
  destination->retry_days = adw_combo_row_get_selected (self->retry_days_row) + 1;
  destination->is_default = gtk_switch_get_active (self->default_switch);

  return g_steal_pointer (&destination);
}

static char *
format_retry_interval (guint seconds)
{
  /* Translators: a retry interval that only config.json can set, e.g. "Every 20 s (set in
   * config.json)". */
  if (seconds % 60 == 0)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "Every %u minute (set in config.json)",
                                         "Every %u minutes (set in config.json)",
                                         seconds / 60),
                            seconds / 60);

  return g_strdup_printf (_("Every %u s (set in config.json)"), seconds);
}

static void
ferry_destination_dialog_load (FerryDestinationDialog *self,
                               const FerryDestination *destination)
{
  GtkStringList *intervals = GTK_STRING_LIST (adw_combo_row_get_model (self->retry_interval_row));
  g_autofree char *specialties = NULL;
  guint interval = 0;

  ferry_form_set_text (GTK_EDITABLE (self->name_row), destination->name);
  ferry_form_set_text (GTK_EDITABLE (self->ae_title_row), destination->ae_title);
  ferry_form_set_text (GTK_EDITABLE (self->host_row), destination->host);
  gtk_spin_button_set_value (self->port_spin, destination->port);
  gtk_switch_set_active (self->default_switch, destination->is_default);

  if (destination->specialties != NULL)
    specialties = g_strjoinv (", ", destination->specialties);
  ferry_form_set_text (GTK_EDITABLE (self->specialties_row), specialties);

  ferry_form_fill_charsets (self->charset_row, _("As received"), destination->character_set);
  gtk_switch_set_active (self->decompress_switch, destination->decompress);
  gtk_spin_button_set_value (self->max_associations_spin, destination->max_associations);

  /* An interval the window does not offer stays as it is until someone picks another one. */
  while (interval < G_N_ELEMENTS (retry_intervals)
         && retry_intervals[interval] != destination->retry_interval_seconds)
    interval++;
  if (interval == G_N_ELEMENTS (retry_intervals))
    {
      g_autofree char *label = format_retry_interval (destination->retry_interval_seconds);

      self->other_retry_interval = destination->retry_interval_seconds;
      gtk_string_list_append (intervals, label);
    }
  adw_combo_row_set_selected (self->retry_interval_row, interval);

  adw_combo_row_set_selected (self->retry_days_row,
                              CLAMP (destination->retry_days, 1, N_RETRY_DAYS) - 1);
}

static void
ferry_destination_dialog_set_test_state (FerryDestinationDialog *self,
                                         const char             *state,
                                         const char             *subtitle)
{
  gtk_stack_set_visible_child_name (self->test_state_stack, state);
  gtk_spinner_set_spinning (self->test_spinner, g_str_equal (state, "running"));
  adw_action_row_set_subtitle (self->test_row, subtitle);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->test_row),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, subtitle,
                                  -1);
}

static gboolean
same_connection (const FerryDestination *destination,
                 const char             *ae_title,
                 const char             *host,
                 guint16                 port)
{
  return ae_title != NULL && host != NULL
         && g_strcmp0 (destination->ae_title, ae_title) == 0
         && g_strcmp0 (destination->host, host) == 0
         && destination->port == port;
}

/* Whether the saved destination may say it works: only a test with these very values tells. */
static gboolean
ferry_destination_dialog_is_verified (FerryDestinationDialog *self,
                                      const FerryDestination *destination)
{
  if (same_connection (destination, self->tested_ae_title, self->tested_host, self->tested_port))
    return self->tested_ok;

  if (self->original != NULL
      && same_connection (destination, self->original->ae_title, self->original->host,
                          self->original->port))
    return self->original->verified;

  return FALSE;
}

/* The engine names the field that is wrong ("destinations[2].ae_title: …"); point at its row. */
static void
mark_field_error (FerryDestinationDialog *self,
                  const char             *message)
{
  static const struct {
    const char *field;
    gsize       row_offset;
  } fields[] = {
    { ".name:",     G_STRUCT_OFFSET (FerryDestinationDialog, name_row) },
    { ".ae_title:", G_STRUCT_OFFSET (FerryDestinationDialog, ae_title_row) },
    { ".host:",     G_STRUCT_OFFSET (FerryDestinationDialog, host_row) },
    { ".port:",     G_STRUCT_OFFSET (FerryDestinationDialog, port_row) },
  };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      GtkWidget *row = G_STRUCT_MEMBER (GtkWidget *, self, fields[i].row_offset);

      ferry_form_set_row_error (row, message != NULL && strstr (message, fields[i].field) != NULL
                                     ? message : NULL);
    }
}

/* The engine would refuse these too, but in the words of config.json ("destinations[0]"). */
static char *
check_unique (FerryDestinationDialog *self,
              const FerryDestination *destination)
{
  const FerryConfig *config = ferry_engine_get_config (self->engine);
  g_autofree char *folded_name = g_utf8_casefold (destination->name, -1);
  g_autofree char *ae_title = g_strstrip (g_strdup (destination->ae_title));

  for (guint i = 0; config->destinations != NULL && i < config->destinations->len; i++)
    {
      const FerryDestination *other = g_ptr_array_index (config->destinations, i);
      g_autofree char *other_name = g_utf8_casefold (other->name, -1);
      g_autofree char *other_ae_title = g_strstrip (g_strdup (other->ae_title));
      char *problem;

      if (self->original != NULL && g_strcmp0 (other->name, self->original->name) == 0)
        continue;

      if (g_strcmp0 (folded_name, other_name) == 0)
        {
          /* Translators: %s is the name of a PACS. */
          problem = g_strdup_printf (_("Another PACS is already called “%s”"), other->name);
          ferry_form_set_row_error (GTK_WIDGET (self->name_row), problem);
          return problem;
        }

      if (g_strcmp0 (ae_title, other_ae_title) == 0
          && g_ascii_strcasecmp (destination->host, other->host) == 0
          && destination->port == other->port)
        {
          /* Translators: %s is the name of a PACS. */
          problem = g_strdup_printf (_("“%s” has this AE title, host and port already; "
                                       "images would be sent twice"), other->name);
          ferry_form_set_row_error (GTK_WIDGET (self->ae_title_row), problem);
          return problem;
        }
    }

  return NULL;
}

/* Checks what the engine's message would say less plainly; returns the first problem. */
static char *
check_form (FerryDestinationDialog *self,
            const FerryDestination *destination)
{
  g_autoptr(GError) error = NULL;
  char *problem = NULL;

  ferry_form_set_row_error (GTK_WIDGET (self->name_row), NULL);
  ferry_form_set_row_error (GTK_WIDGET (self->ae_title_row), NULL);
  ferry_form_set_row_error (GTK_WIDGET (self->host_row), NULL);
  ferry_form_set_row_error (GTK_WIDGET (self->port_row), NULL);

  if (destination->name[0] == '\0')
    {
      problem = g_strdup (_("Give this PACS a name"));
      ferry_form_set_row_error (GTK_WIDGET (self->name_row), problem);
    }
  else if (!ferry_ae_title_validate (destination->ae_title, &error))
    {
      /* Translators: %s says what is wrong with the AE title. */
      problem = destination->ae_title[0] == '\0'
                ? g_strdup (_("Enter the PACS’s AE title"))
                : g_strdup_printf (_("AE title: %s"), error->message);
      ferry_form_set_row_error (GTK_WIDGET (self->ae_title_row), problem);
    }
  else if (destination->host[0] == '\0')
    {
      problem = g_strdup (_("Enter the PACS’s host name or IP address"));
      ferry_form_set_row_error (GTK_WIDGET (self->host_row), problem);
    }
  else
    {
      problem = check_unique (self, destination);
    }

  return problem;
}

/* Test connection */

typedef struct
{
  FerryDestinationDialog *self;
  GCancellable           *cancellable;
  char                   *ae_title;
  char                   *host;
  guint16                 port;
} EchoTest;

static void
echo_test_free (EchoTest *test)
{
  g_clear_object (&test->self);
  g_clear_object (&test->cancellable);
  g_free (test->ae_title);
  g_free (test->host);
  g_free (test);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EchoTest, echo_test_free)

/* A short verdict in the user's language, then the engine's words for the PACS admin. */
static char *
describe_echo_error (const GError *error)
{
  const char *message = error->message;
  const char *verdict;

  if (strstr (message, "rejected") != NULL && strstr (message, "AE title") != NULL)
    verdict = _("AE title refused");
  else if (strstr (message, "rejected") != NULL)
    verdict = _("The PACS refused the connection");
  else if (strstr (message, "refused") != NULL)
    verdict = _("Connection refused");
  else if (strstr (message, "timed out") != NULL)
    verdict = _("Timed out");
  else if (strstr (message, "could not be resolved") != NULL)
    verdict = _("Unknown host");
  else if (strstr (message, "cannot be reached") != NULL)
    verdict = _("The host cannot be reached");
  else
    verdict = _("The test failed");

  /* The engine's words often start with the verdict already ("connection refused by …"). */
  if (g_ascii_strncasecmp (message, verdict, strlen (verdict)) == 0)
    return g_strdup_printf ("%s%s", verdict, message + strlen (verdict));

  /* Translators: a failed connection test: a short verdict, then the details, e.g.
   * "AE title refused — association rejected by the peer: called AE title not recognised
   * (permanent)". */
  return g_strdup_printf (_("%s — %s"), verdict, message);
}

static void
echo_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(EchoTest) test = user_data;
  FerryDestinationDialog *self = test->self;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = ferry_engine_echo_finish (FERRY_ENGINE (object), result, &error);

  /* A change of AE title, host or port since, or a closed dialog, makes the outcome moot. */
  if (g_cancellable_is_cancelled (test->cancellable) || test->cancellable != self->test)
    return;

  g_clear_object (&self->test);
  g_free (self->tested_ae_title);
  self->tested_ae_title = g_strdup (test->ae_title);
  g_free (self->tested_host);
  self->tested_host = g_strdup (test->host);
  self->tested_port = test->port;
  self->tested_ok = ok;

  if (ok)
    {
      ferry_destination_dialog_set_test_state (self, "success", _("Connection works"));
    }
  else
    {
      g_autofree char *subtitle = describe_echo_error (error);

      g_message ("Test connection to %s@%s:%u failed: %s",
                 test->ae_title, test->host, test->port, error->message);
      ferry_destination_dialog_set_test_state (self, "failure", subtitle);
    }

  ferry_destination_dialog_update_actions (self);
}

static void
ferry_destination_dialog_cancel_test (FerryDestinationDialog *self)
{
  if (self->test == NULL)
    return;

  g_cancellable_cancel (self->test);
  g_clear_object (&self->test);
}

static void
test_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  FerryDestinationDialog *self = FERRY_DESTINATION_DIALOG (widget);
  g_autoptr(FerryDestination) destination = NULL;
  g_autofree char *problem = NULL;
  EchoTest *test;

  if (self->engine == NULL || self->test != NULL)
    return;

  destination = ferry_destination_dialog_build (self);
  if (destination->ae_title[0] == '\0' || destination->host[0] == '\0')
    {
      ferry_destination_dialog_set_test_state (self, "failure",
                                               _("Enter the AE title and the host first"));
      return;
    }
  if (!ferry_ae_title_validate (destination->ae_title, NULL))
    {
      problem = check_form (self, destination);
      ferry_destination_dialog_set_test_state (self, "failure", problem);
      return;
    }

  self->test = g_cancellable_new ();

  test = g_new0 (EchoTest, 1);
  test->self = g_object_ref (self);
  test->cancellable = g_object_ref (self->test);
  test->ae_title = g_strdup (destination->ae_title);
  test->host = g_strdup (destination->host);
  test->port = destination->port;

  ferry_destination_dialog_set_test_state (self, "running", _("Testing…"));
  ferry_destination_dialog_update_actions (self);

  ferry_engine_echo_async (self->engine, test->host, test->port, test->ae_title,
                           test->cancellable, echo_cb, test);
}

/* Save */

static void
apply_config_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(FerryDestinationDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!ferry_engine_apply_config_finish (FERRY_ENGINE (object), result, &error))
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          || g_cancellable_is_cancelled (self->cancellable))
        return;

      self->saving = FALSE;
      g_message ("Could not save the PACS: %s", error->message);
      /* Translators: %s says why, e.g. a disk error. */
      message = g_strdup_printf (_("Not saved: %s"), error->message);
      ferry_destination_dialog_show_message (self, message);
      mark_field_error (self, error->message);
      ferry_destination_dialog_update_actions (self);
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
  FerryDestinationDialog *self = FERRY_DESTINATION_DIALOG (widget);
  g_autoptr(FerryDestination) destination = NULL;
  g_autoptr(FerryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *problem = NULL;
  FerryDestination *target = NULL;

  if (self->engine == NULL || self->saving)
    return;

  destination = ferry_destination_dialog_build (self);
  problem = check_form (self, destination);
  if (problem != NULL)
    {
      ferry_destination_dialog_show_message (self, problem);
      return;
    }

  destination->verified = ferry_destination_dialog_is_verified (self, destination);

  config = ferry_config_copy (ferry_engine_get_config (self->engine));
  if (config->destinations == NULL)
    config->destinations = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_destination_free);

  /* Renaming goes through the configuration, so that devices and rules follow. A destination
   * removed by someone else in the meantime is added back. */
  if (self->original != NULL
      && ferry_config_find_destination (config, self->original->name) != NULL)
    {
      if (g_strcmp0 (self->original->name, destination->name) != 0)
        ferry_config_rename_destination (config, self->original->name, destination->name);
      target = (FerryDestination *) ferry_config_find_destination (config, destination->name);
    }

  if (target != NULL)
    {
      for (guint i = 0; i < config->destinations->len; i++)
        {
          if (g_ptr_array_index (config->destinations, i) == target)
            {
              g_ptr_array_index (config->destinations, i) = g_steal_pointer (&destination);
              ferry_destination_free (target);
              break;
            }
        }
    }
  else
    {
      g_ptr_array_add (config->destinations, g_steal_pointer (&destination));
    }

  if (!ferry_engine_validate_config (self->engine, config, &error))
    {
      ferry_destination_dialog_show_message (self, error->message);
      mark_field_error (self, error->message);
      return;
    }

  ferry_destination_dialog_show_message (self, NULL);
  self->saving = TRUE;
  ferry_destination_dialog_update_actions (self);

  ferry_engine_apply_config_async (self->engine, config, self->cancellable,
                                   apply_config_cb, g_object_ref (self));
}

/* Callbacks */

static void
form_changed_cb (FerryDestinationDialog *self)
{
  ferry_form_set_row_error (GTK_WIDGET (self->name_row), NULL);
}

static void
connection_changed_cb (FerryDestinationDialog *self)
{
  g_autofree char *ae_title = ferry_form_dup_text (GTK_EDITABLE (self->ae_title_row));
  g_autofree char *host = ferry_form_dup_text (GTK_EDITABLE (self->host_row));
  guint16 port = (guint16) gtk_spin_button_get_value_as_int (self->port_spin);

  ferry_form_set_row_error (GTK_WIDGET (self->ae_title_row), NULL);
  ferry_form_set_row_error (GTK_WIDGET (self->host_row), NULL);
  ferry_form_set_row_error (GTK_WIDGET (self->port_row), NULL);

  /* What was tested is no longer what is in the form. */
  if (g_strcmp0 (ae_title, self->tested_ae_title) == 0
      && g_strcmp0 (host, self->tested_host) == 0
      && port == self->tested_port)
    return;

  ferry_destination_dialog_cancel_test (self);
  ferry_destination_dialog_set_test_state (self, "idle",
                                           _("Ask the PACS to answer a C-ECHO, with the values "
                                             "above"));
  ferry_destination_dialog_update_actions (self);
}

/* GObject */

static void
ferry_destination_dialog_dispose (GObject *object)
{
  FerryDestinationDialog *self = (FerryDestinationDialog *)object;

  g_cancellable_cancel (self->cancellable);
  ferry_destination_dialog_cancel_test (self);

  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_DESTINATION_DIALOG);

  g_clear_object (&self->engine);

  G_OBJECT_CLASS (ferry_destination_dialog_parent_class)->dispose (object);
}

static void
ferry_destination_dialog_finalize (GObject *object)
{
  FerryDestinationDialog *self = (FerryDestinationDialog *)object;

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->original, ferry_destination_free);
  g_clear_pointer (&self->tested_ae_title, g_free);
  g_clear_pointer (&self->tested_host, g_free);

  G_OBJECT_CLASS (ferry_destination_dialog_parent_class)->finalize (object);
}

static void
ferry_destination_dialog_class_init (FerryDestinationDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ferry_destination_dialog_dispose;
  object_class->finalize = ferry_destination_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/ferrydicom/Ferry/"
                                               "dialogs/ferry-destination-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog, ae_title_row);
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog, charset_row);
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog, decompress_switch);
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog, default_switch);
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog, host_row);
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog,
                                        max_associations_spin);
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog, message_group);
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog, message_label);
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog, port_row);
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog, port_spin);
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog, retry_days_row);
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog, retry_interval_row);
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog, specialties_row);
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog, test_button);
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog, test_row);
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog, test_spinner);
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog, test_state_stack);
  gtk_widget_class_bind_template_child (widget_class, FerryDestinationDialog, window_title);
  gtk_widget_class_bind_template_callback (widget_class, connection_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, form_changed_cb);

  gtk_widget_class_install_action (widget_class, "destination.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "destination.test", NULL, test_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK,
                                       "destination.save", NULL);
}

static void
ferry_destination_dialog_init (FerryDestinationDialog *self)
{
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
ferry_destination_dialog_new (GtkWindow   *parent,
                              FerryEngine *engine,
                              const char  *name)
{
  FerryDestinationDialog *self;
  const FerryDestination *destination = NULL;
  g_autoptr(FerryDestination) fresh = NULL;

  g_return_val_if_fail (!parent || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (FERRY_IS_ENGINE (engine), NULL);

  self = g_object_new (FERRY_TYPE_DESTINATION_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->engine = g_object_ref (engine);

  if (name != NULL)
    destination = ferry_config_find_destination (ferry_engine_get_config (engine), name);

  if (destination != NULL)
    {
      self->original = ferry_destination_copy (destination);
      gtk_window_set_title (GTK_WINDOW (self), _("Edit PACS"));
      adw_window_title_set_title (self->window_title, _("Edit PACS"));
      adw_window_title_set_subtitle (self->window_title, destination->name);
    }
  else
    {
      /* The well-known DICOM port; most PACS listen there or on 11112. */
      fresh = ferry_destination_new ("", "", "", 104);
      /* The first PACS is where everything goes until there are others. */
      fresh->is_default = ferry_engine_get_config (engine)->destinations == NULL
                          || ferry_engine_get_config (engine)->destinations->len == 0;
      destination = fresh;
      gtk_window_set_title (GTK_WINDOW (self), _("Add PACS"));
      adw_window_title_set_title (self->window_title, _("Add PACS"));
    }

  ferry_destination_dialog_load (self, destination);
  ferry_destination_dialog_update_actions (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->name_row));

  return GTK_WIDGET (self);
}
