/* test-connections-page.c: the Connections page and its dialogs, in-process against a real engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The dialogs are filled through the same GtkEditable, GtkSpinButton and action API a keyboard
 * ends in. Test connection talks to a real DCMTK storescp on 127.0.0.1 (FERRY_TEST_STORESCP),
 * and every change is checked where it matters: in config.json as the engine saved it, and in
 * the rows the user sees.
 */

#define G_LOG_DOMAIN "ferry-test-connections-page"

#include "config.h"

#include <adwaita.h>

#include "ferry-connections-page.h"
#include "ferry-destination-dialog.h"
#include "ferry-device-dialog.h"
#include "ferry-dicom.h"
#include "ferry-engine.h"
#include "ferry-ui-test.h"

typedef struct
{
  FerryPaths           *paths;
  FerryEngine          *engine;
  GtkWindow            *window;
  FerryConnectionsPage *page;
  GSubprocess          *storescp;
  guint16               storescp_port;
  guint                 generation;
} Fixture;

static gpointer
child (Fixture    *fixture,
       const char *name)
{
  return ferry_ui_test_child (GTK_WIDGET (fixture->page), FERRY_TYPE_CONNECTIONS_PAGE, name);
}

static gboolean
wait_until (gboolean (*condition) (Fixture *fixture),
            Fixture   *fixture,
            guint      timeout_ms)
{
  return ferry_ui_test_wait_until ((gboolean (*) (gpointer)) condition, fixture, timeout_ms);
}

static guint16
free_port (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
add_destination (FerryConfig *config,
                 const char  *name,
                 guint16      port,
                 gboolean     is_default)
{
  g_autofree char *ae_title = g_ascii_strup (name, -1);
  FerryDestination *destination;

  g_strdelimit (ae_title, " ", '_');
  destination = ferry_destination_new (name, ae_title, "127.0.0.1", port);
  destination->is_default = is_default;
  g_ptr_array_add (config->destinations, destination);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(FerryConfig) config = ferry_config_new_default ();
  g_autoptr(GError) error = NULL;
  gboolean with_destinations = GPOINTER_TO_INT (data);

  fixture->paths = ferry_paths_new (NULL);
  ferry_paths_ensure (fixture->paths, &error);
  g_assert_no_error (error);
  config->port = free_port ();
  if (with_destinations)
    {
      add_destination (config, "PACS A", 104, TRUE);
      add_destination (config, "PACS B", 105, FALSE);
    }
  ferry_config_save (config, fixture->paths->config_file, &error);
  g_assert_no_error (error);

  fixture->engine = ferry_engine_new (NULL, &error);
  g_assert_no_error (error);
  ferry_engine_start (fixture->engine, &error);
  g_assert_no_error (error);

  fixture->page = g_object_new (FERRY_TYPE_CONNECTIONS_PAGE,
                                "engine", fixture->engine,
                                NULL);
  fixture->window = ferry_ui_test_present (GTK_WIDGET (fixture->page), 900, 1000);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  GList *toplevels = gtk_window_list_toplevels ();

  /* Dialogs left open by a test go with it. */
  for (GList *l = toplevels; l != NULL; l = l->next)
    if (l->data != fixture->window)
      gtk_window_destroy (l->data);
  g_list_free (toplevels);

  gtk_window_destroy (fixture->window);
  ferry_engine_stop (fixture->engine);
  g_clear_object (&fixture->engine);
  g_clear_pointer (&fixture->paths, ferry_paths_free);

  if (fixture->storescp != NULL)
    {
      g_subprocess_force_exit (fixture->storescp);
      g_subprocess_wait (fixture->storescp, NULL, NULL);
      g_clear_object (&fixture->storescp);
    }
}

/* A real Storage SCP on 127.0.0.1 with AE title PACS_A, listening once this returns: DCMTK's
 * storescp, or the Orthanc that tests/ui/with-orthanc.py started. */
static gboolean
start_storescp (Fixture *fixture)
{
  const char *storescp = g_getenv ("FERRY_TEST_STORESCP");
  g_autofree char *port_text = NULL;
  g_autofree char *output_dir = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline;

  /* Under tests/ui/with-orthanc.py the PACS is a live Orthanc, started already. */
  if (g_getenv ("FERRY_TEST_ORTHANC_PORT") != NULL)
    {
      g_assert_cmpstr (g_getenv ("FERRY_TEST_ORTHANC_AE"), ==, "PACS_A");
      fixture->storescp_port = (guint16) g_ascii_strtoull (g_getenv ("FERRY_TEST_ORTHANC_PORT"),
                                                           NULL, 10);
      return TRUE;
    }

  if (storescp == NULL)
    {
      g_test_skip ("FERRY_TEST_STORESCP is not set");
      return FALSE;
    }

  fixture->storescp_port = free_port ();
  port_text = g_strdup_printf ("%u", fixture->storescp_port);
  output_dir = g_build_filename (g_get_tmp_dir (), "storescp", NULL);
  g_mkdir_with_parents (output_dir, 0700);
  fixture->storescp = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                        | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                        &error,
                                        storescp, "--aetitle", "PACS_A",
                                        "--output-directory", output_dir, port_text, NULL);
  g_assert_no_error (error);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(GSocketClient) client = g_socket_client_new ();
      g_autoptr(GSocketConnection) connection = NULL;

      connection = g_socket_client_connect_to_host (client, "127.0.0.1", fixture->storescp_port,
                                                    NULL, NULL);
      if (connection != NULL)
        return TRUE;
      g_usleep (50000);
    }

  g_assert_not_reached ();
}

static gpointer
find_toplevel (GType type)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    {
      if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type) && gtk_widget_get_visible (l->data))
        return l->data;
    }

  return NULL;
}

static gpointer
dialog_child (GtkWidget  *dialog,
              const char *name)
{
  return ferry_ui_test_child (dialog, G_OBJECT_TYPE (dialog), name);
}

static GtkWidget *
open_destination_dialog (Fixture *fixture)
{
  GtkWidget *dialog;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page),
                                             "connections.add-destination", NULL));
  dialog = find_toplevel (FERRY_TYPE_DESTINATION_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (dialog)));
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == fixture->window);

  return dialog;
}

static void
fill_destination (GtkWidget  *dialog,
                  const char *name,
                  const char *ae_title,
                  guint16     port)
{
  gtk_editable_set_text (dialog_child (dialog, "name_row"), name);
  gtk_editable_set_text (dialog_child (dialog, "ae_title_row"), ae_title);
  gtk_editable_set_text (dialog_child (dialog, "host_row"), "127.0.0.1");
  gtk_spin_button_set_value (dialog_child (dialog, "port_spin"), port);
}

static gboolean
test_finished (Fixture *fixture)
{
  GtkWidget *dialog = find_toplevel (FERRY_TYPE_DESTINATION_DIALOG);
  const char *state = gtk_stack_get_visible_child_name (dialog_child (dialog, "test_state_stack"));

  return g_str_equal (state, "success") || g_str_equal (state, "failure");
}

static gboolean
dialog_closed (Fixture *fixture)
{
  return find_toplevel (FERRY_TYPE_DESTINATION_DIALOG) == NULL
         && find_toplevel (FERRY_TYPE_DEVICE_DIALOG) == NULL;
}

static gboolean
config_applied (Fixture *fixture)
{
  guint generation;

  g_object_get (fixture->engine, "config-generation", &generation, NULL);

  return generation > fixture->generation;
}

static void
remember_generation (Fixture *fixture)
{
  g_object_get (fixture->engine, "config-generation", &fixture->generation, NULL);
}

/* config.json as the engine wrote it. */
static FerryConfig *
load_saved (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  FerryConfig *config = ferry_config_load (fixture->paths->config_file, &error);

  g_assert_no_error (error);

  return config;
}

static gboolean
widget_shows_text (GtkWidget  *widget,
                   const char *text)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget)
      && g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), text) == 0)
    return TRUE;

  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      if (widget_shows_text (c, text))
        return TRUE;
    }

  return FALSE;
}

static AdwActionRow *
find_row (GtkListBox *list,
          const char *title)
{
  GtkListBoxRow *row;

  for (int i = 0; (row = gtk_list_box_get_row_at_index (list, i)) != NULL; i++)
    {
      if (ADW_IS_ACTION_ROW (row)
          && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), title) == 0)
        return ADW_ACTION_ROW (row);
    }

  return NULL;
}

static void
test_connections_connect_panel (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autofree char *port = g_strdup_printf ("%u", ferry_engine_get_receiver_port (fixture->engine));
  GtkListBox *list = child (fixture, "connect_list");

  /* What to type into the cart: the receiver's AE title and the port it really listens on. */
  g_assert_cmpstr (gtk_label_get_label (child (fixture, "ae_title_label")), ==, "FERRY");
  g_assert_cmpstr (gtk_label_get_label (child (fixture, "port_label")), ==, port);
  /* AE title, at least one address row, port. */
  g_assert_nonnull (gtk_list_box_get_row_at_index (list, 2));

  /* The empty states say what to do next. */
  g_assert_true (widget_shows_text (child (fixture, "destinations_list"),
                                    "Add the PACS that should receive images"));

  ferry_ui_test_save_screenshot (GTK_WIDGET (fixture->page), "ferry-connections-empty.png");
}

static gboolean
ae_title_shown_is_cart (Fixture *fixture)
{
  return g_strcmp0 (gtk_label_get_label (child (fixture, "ae_title_label")), "CART_RX") == 0;
}

static void
test_connections_follow_config_file (Fixture       *fixture,
                                     gconstpointer  data)
{
  g_autoptr(FerryConfig) config = ferry_config_copy (ferry_engine_get_config (fixture->engine));
  g_autoptr(GError) error = NULL;

  /* Another process (ferry-cli config import, an editor) rewrites config.json. */
  g_free (config->receiver_ae_title);
  config->receiver_ae_title = g_strdup ("CART_RX");
  add_destination (config, "PACS C", 4242, TRUE);
  ferry_config_save (config, fixture->paths->config_file, &error);
  g_assert_no_error (error);

  g_assert_true (wait_until (ae_title_shown_is_cart, fixture, 10000));
  g_assert_nonnull (find_row (child (fixture, "destinations_list"), "PACS C"));
}

static void
test_connections_test_succeeds (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(FerryConfig) saved = NULL;
  const FerryDestination *destination;
  GtkWidget *dialog;
  AdwActionRow *row;

  if (!start_storescp (fixture))
    return;

  dialog = open_destination_dialog (fixture);
  fill_destination (dialog, "PACS A", "PACS_A", fixture->storescp_port);
  gtk_editable_set_text (dialog_child (dialog, "specialties_row"), "Cardiology, , Obstetrics");

  g_assert_true (gtk_widget_activate_action (dialog, "destination.test", NULL));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (dialog_child (dialog, "test_state_stack")),
                   ==, "running");
  g_assert_true (wait_until (test_finished, fixture, 20000));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (dialog_child (dialog, "test_state_stack")),
                   ==, "success");
  g_assert_cmpstr (adw_action_row_get_subtitle (dialog_child (dialog, "test_row")), ==,
                   "Connection works");

  ferry_ui_test_save_screenshot (adw_window_get_content (ADW_WINDOW (dialog)),
                                 "ferry-destination-dialog.png");

  remember_generation (fixture);
  g_assert_true (gtk_widget_activate_action (dialog, "destination.save", NULL));
  g_assert_true (wait_until (dialog_closed, fixture, 10000));
  g_assert_true (wait_until (config_applied, fixture, 10000));

  /* Tested with exactly what was saved: verified, and the first PACS is the default. */
  saved = load_saved (fixture);
  g_assert_cmpuint (saved->destinations->len, ==, 1);
  destination = g_ptr_array_index (saved->destinations, 0);
  g_assert_cmpstr (destination->name, ==, "PACS A");
  g_assert_cmpstr (destination->ae_title, ==, "PACS_A");
  g_assert_cmpuint (destination->port, ==, fixture->storescp_port);
  g_assert_true (destination->verified);
  g_assert_true (destination->is_default);
  g_assert_cmpuint (g_strv_length (destination->specialties), ==, 2);
  g_assert_cmpstr (destination->specialties[1], ==, "Obstetrics");
  g_assert_cmpuint (destination->max_associations, ==, 2);
  g_assert_cmpuint (destination->retry_interval_seconds, ==, 300);

  row = find_row (child (fixture, "destinations_list"), "PACS A");
  g_assert_nonnull (row);
  g_assert_true (widget_shows_text (GTK_WIDGET (row), "Default"));
  g_assert_false (widget_shows_text (GTK_WIDGET (row), "Not verified"));
}

static void
test_connections_test_refused (Fixture       *fixture,
                               gconstpointer  data)
{
  GtkWidget *dialog = open_destination_dialog (fixture);
  const char *subtitle;

  /* Nothing listens on a port just released. */
  fill_destination (dialog, "PACS A", "PACS_A", free_port ());
  g_assert_true (gtk_widget_activate_action (dialog, "destination.test", NULL));
  g_assert_true (wait_until (test_finished, fixture, 20000));

  g_assert_cmpstr (gtk_stack_get_visible_child_name (dialog_child (dialog, "test_state_stack")),
                   ==, "failure");
  subtitle = adw_action_row_get_subtitle (dialog_child (dialog, "test_row"));
  g_test_message ("failure shown: %s", subtitle);
  g_assert_nonnull (strstr (subtitle, "Connection refused"));

  ferry_ui_test_save_screenshot (adw_window_get_content (ADW_WINDOW (dialog)),
                                 "ferry-destination-dialog-refused.png");

  /* Changing the port makes the outcome moot. */
  gtk_spin_button_set_value (dialog_child (dialog, "port_spin"), 11113);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (dialog_child (dialog, "test_state_stack")),
                   ==, "idle");
}

static void
test_connections_save_unverified (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(FerryConfig) saved = NULL;
  const FerryDestination *destination;
  GtkWidget *dialog = open_destination_dialog (fixture);
  AdwActionRow *row;

  fill_destination (dialog, "PACS C", "PACS_C", 4242);
  adw_combo_row_set_selected (dialog_child (dialog, "retry_interval_row"), 2);
  adw_combo_row_set_selected (dialog_child (dialog, "retry_days_row"), 0);

  remember_generation (fixture);
  g_assert_true (gtk_widget_activate_action (dialog, "destination.save", NULL));
  g_assert_true (wait_until (dialog_closed, fixture, 10000));
  g_assert_true (wait_until (config_applied, fixture, 10000));

  saved = load_saved (fixture);
  destination = ferry_config_find_destination (saved, "PACS C");
  g_assert_nonnull (destination);
  g_assert_false (destination->verified);
  g_assert_cmpuint (destination->retry_interval_seconds, ==, 1800);
  g_assert_cmpuint (destination->retry_days, ==, 1);

  row = find_row (child (fixture, "destinations_list"), "PACS C");
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, "PACS_C@127.0.0.1:4242");
  g_assert_true (widget_shows_text (GTK_WIDGET (row), "Not verified"));
}

static void
test_connections_duplicate_name (Fixture       *fixture,
                                 gconstpointer  data)
{
  GtkWidget *dialog = open_destination_dialog (fixture);
  GtkWidget *message = dialog_child (dialog, "message_label");

  /* The engine's own check refuses a second "PACS A"; the dialog stays open and says why. */
  fill_destination (dialog, "pacs a", "OTHER", 4243);
  g_assert_true (gtk_widget_activate_action (dialog, "destination.save", NULL));

  g_assert_true (gtk_widget_get_visible (dialog_child (dialog, "message_group")));
  g_test_message ("error shown: %s", gtk_label_get_label (GTK_LABEL (message)));
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (message)), "PACS A"));
  g_assert_true (find_toplevel (FERRY_TYPE_DESTINATION_DIALOG) == dialog);
  g_assert_cmpuint (ferry_engine_get_config (fixture->engine)->destinations->len, ==, 2);
}

static void
test_connections_keep_odd_retry (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(FerryConfig) config = ferry_config_copy (ferry_engine_get_config (fixture->engine));
  g_autoptr(FerryConfig) saved = NULL;
  FerryDestination *b = (FerryDestination *) ferry_config_find_destination (config, "PACS B");
  GtkWidget *dialog;
  GtkStringList *intervals;
  guint selected;
  g_autoptr(GError) error = NULL;

  b->retry_interval_seconds = 20;
  ferry_engine_apply_config_sync (fixture->engine, config, &error);
  g_assert_no_error (error);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page),
                                             "connections.edit-destination", "s", "PACS B"));
  dialog = find_toplevel (FERRY_TYPE_DESTINATION_DIALOG);
  g_assert_nonnull (dialog);

  /* A value only config.json can set is shown as such, and kept. */
  selected = adw_combo_row_get_selected (dialog_child (dialog, "retry_interval_row"));
  intervals = GTK_STRING_LIST (adw_combo_row_get_model (dialog_child (dialog,
                                                                      "retry_interval_row")));
  g_assert_cmpstr (gtk_string_list_get_string (intervals, selected), ==,
                   "Every 20 s (set in config.json)");

  /* Renaming goes through the configuration, so references follow. */
  gtk_editable_set_text (dialog_child (dialog, "name_row"), "PACS Bee");
  remember_generation (fixture);
  g_assert_true (gtk_widget_activate_action (dialog, "destination.save", NULL));
  g_assert_true (wait_until (dialog_closed, fixture, 10000));
  g_assert_true (wait_until (config_applied, fixture, 10000));

  saved = load_saved (fixture);
  g_assert_null (ferry_config_find_destination (saved, "PACS B"));
  g_assert_cmpuint (ferry_config_find_destination (saved, "PACS Bee")->retry_interval_seconds,
                    ==, 20);
}

static gboolean
destination_a_gone (Fixture *fixture)
{
  return ferry_config_find_destination (ferry_engine_get_config (fixture->engine),
                                        "PACS A") == NULL;
}

static void
test_connections_delete_destination (Fixture       *fixture,
                                     gconstpointer  data)
{
  g_autoptr(FerryConfig) saved = NULL;
  AdwMessageDialog *question;

  g_assert_nonnull (find_row (child (fixture, "destinations_list"), "PACS A"));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page),
                                             "connections.delete-destination", "s", "PACS A"));
  question = find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (question);
  g_assert_cmpstr (adw_message_dialog_get_heading (question), ==, "Delete “PACS A”?");

  /* Cancel keeps it. */
  adw_message_dialog_response (question, "cancel");
  gtk_window_destroy (GTK_WINDOW (question));
  g_assert_nonnull (ferry_config_find_destination (ferry_engine_get_config (fixture->engine),
                                                   "PACS A"));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page),
                                             "connections.delete-destination", "s", "PACS A"));
  question = find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  adw_message_dialog_response (question, "delete");
  gtk_window_destroy (GTK_WINDOW (question));

  g_assert_true (wait_until (destination_a_gone, fixture, 10000));
  saved = load_saved (fixture);
  g_assert_null (ferry_config_find_destination (saved, "PACS A"));
  g_assert_nonnull (ferry_config_find_destination (saved, "PACS B"));
  g_assert_null (find_row (child (fixture, "destinations_list"), "PACS A"));
}

static void
test_connections_add_device (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(FerryConfig) saved = NULL;
  const FerryDevice *device;
  GtkWidget *dialog;
  AdwActionRow *row;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page),
                                             "connections.add-device", NULL));
  dialog = find_toplevel (FERRY_TYPE_DEVICE_DIALOG);
  g_assert_nonnull (dialog);

  gtk_editable_set_text (dialog_child (dialog, "name_row"), "Cart 3");
  gtk_editable_set_text (dialog_child (dialog, "ae_title_row"), "US_CART3");
  gtk_editable_set_text (dialog_child (dialog, "host_row"), "10.0.0.23");
  gtk_editable_set_text (dialog_child (dialog, "specialty_row"), "Obstetrics");
  adw_combo_row_set_selected (dialog_child (dialog, "physician_row"), 2);

  /* No box checked goes to the default destinations, which the caption names. */
  g_assert_nonnull (strstr (adw_preferences_group_get_description (dialog_child (dialog,
                                                                     "destinations_group")),
                            "PACS A"));
  row = find_row (dialog_child (dialog, "destinations_list"), "PACS B");
  g_assert_nonnull (row);
  adw_action_row_activate (row);

  ferry_ui_test_save_screenshot (adw_window_get_content (ADW_WINDOW (dialog)),
                                 "ferry-device-dialog.png");

  remember_generation (fixture);
  g_assert_true (gtk_widget_activate_action (dialog, "device.save", NULL));
  g_assert_true (wait_until (dialog_closed, fixture, 10000));
  g_assert_true (wait_until (config_applied, fixture, 10000));

  saved = load_saved (fixture);
  g_assert_cmpuint (saved->devices->len, ==, 1);
  device = g_ptr_array_index (saved->devices, 0);
  g_assert_cmpstr (device->name, ==, "Cart 3");
  g_assert_cmpstr (device->ae_title, ==, "US_CART3");
  g_assert_cmpstr (device->host, ==, "10.0.0.23");
  g_assert_cmpstr (device->specialty, ==, "Obstetrics");
  g_assert_cmpint (device->physician_tag, ==, FERRY_PHYSICIAN_TAG_OPERATOR);
  g_assert_cmpuint (g_strv_length (device->destinations), ==, 1);
  g_assert_cmpstr (device->destinations[0], ==, "PACS B");

  row = find_row (child (fixture, "devices_list"), "Cart 3");
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, "US_CART3 · 10.0.0.23");
  g_assert_true (widget_shows_text (GTK_WIDGET (row), "Obstetrics"));

  ferry_ui_test_save_screenshot (GTK_WIDGET (fixture->page), "ferry-connections.png");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dirs = g_strdup (g_getenv ("XDG_DATA_DIRS"));
  g_autoptr(GtkCssProvider) provider = NULL;

  g_setenv ("TCP_NODELAY", "1", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_unsetenv ("FERRY_HOME");

  /* GTK needs the system's GSettings schemas and icons; they are only read, so the test's
   * writable directories stay isolated. */
  g_setenv ("XDG_DATA_DIRS", data_dirs != NULL ? data_dirs : "/usr/local/share:/usr/share", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);

  if (!ferry_dicom_init (&error))
    g_error ("%s", error->message);

  gtk_init ();
  adw_init ();

  /* What FerryApplication loads by itself, so that the screenshots look like the window. */
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, "/io/github/ferrydicom/Ferry/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  g_test_add ("/ferry/ui/connections/connect-panel", Fixture, GINT_TO_POINTER (FALSE),
              fixture_set_up, test_connections_connect_panel, fixture_tear_down);
  g_test_add ("/ferry/ui/connections/follow-config-file", Fixture, GINT_TO_POINTER (FALSE),
              fixture_set_up, test_connections_follow_config_file, fixture_tear_down);
  g_test_add ("/ferry/ui/connections/test-succeeds", Fixture, GINT_TO_POINTER (FALSE),
              fixture_set_up, test_connections_test_succeeds, fixture_tear_down);
  g_test_add ("/ferry/ui/connections/test-refused", Fixture, GINT_TO_POINTER (FALSE),
              fixture_set_up, test_connections_test_refused, fixture_tear_down);
  g_test_add ("/ferry/ui/connections/save-unverified", Fixture, GINT_TO_POINTER (FALSE),
              fixture_set_up, test_connections_save_unverified, fixture_tear_down);
  g_test_add ("/ferry/ui/connections/duplicate-name", Fixture, GINT_TO_POINTER (TRUE),
              fixture_set_up, test_connections_duplicate_name, fixture_tear_down);
  g_test_add ("/ferry/ui/connections/keep-odd-retry", Fixture, GINT_TO_POINTER (TRUE),
              fixture_set_up, test_connections_keep_odd_retry, fixture_tear_down);
  g_test_add ("/ferry/ui/connections/delete-destination", Fixture, GINT_TO_POINTER (TRUE),
              fixture_set_up, test_connections_delete_destination, fixture_tear_down);
  g_test_add ("/ferry/ui/connections/add-device", Fixture, GINT_TO_POINTER (TRUE),
              fixture_set_up, test_connections_add_device, fixture_tear_down);

  return g_test_run ();
}
