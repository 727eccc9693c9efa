/* test-settings-page.c: the Settings page, driven in-process against a real engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GTK 4.8 has no automation from outside, so these tests build the page in a window, type into
 * it through the same GtkEditable and GtkSpinButton API a keyboard ends in, and check what the
 * user would see (error styling, the subtitle, whether Apply can be pressed) and what the
 * engine did (the receiver listens on the new port).
 */

#define G_LOG_DOMAIN "ferry-test-settings-page"

#include "config.h"

#include <adwaita.h>

#include "ferry-dicom.h"
#include "ferry-engine.h"
#include "ferry-ui-test.h"
#include "ferry-settings-page.h"

typedef struct
{
  FerryEngine       *engine;
  GtkWindow         *window;
  FerrySettingsPage *page;
} Fixture;

static gpointer
child (Fixture    *fixture,
       const char *name)
{
  return ferry_ui_test_child (GTK_WIDGET (fixture->page), FERRY_TYPE_SETTINGS_PAGE, name);
}

/* Runs the main loop until @condition holds or @timeout_ms pass. */
static gboolean
wait_until (gboolean (*condition) (Fixture *fixture),
            Fixture   *fixture,
            guint      timeout_ms)
{
  return ferry_ui_test_wait_until ((gboolean (*) (gpointer)) condition, fixture, timeout_ms);
}

static guint16
free_port (GSocket **keep_listening)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) any = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (any, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  if (keep_listening != NULL)
    {
      g_socket_listen (socket, &error);
      g_assert_no_error (error);
      *keep_listening = g_steal_pointer (&socket);
    }

  return port;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(FerryPaths) paths = ferry_paths_new (NULL);
  g_autoptr(FerryConfig) config = ferry_config_new_default ();
  g_autoptr(GError) error = NULL;

  /* Start on a free port, never on 11112, which a real Ferry on this machine may own. */
  ferry_paths_ensure (paths, &error);
  g_assert_no_error (error);
  config->port = free_port (NULL);
  ferry_config_save (config, paths->config_file, &error);
  g_assert_no_error (error);

  fixture->engine = ferry_engine_new (NULL, &error);
  g_assert_no_error (error);
  ferry_engine_start (fixture->engine, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ferry_engine_get_receiver_state (fixture->engine), ==, FERRY_RECEIVER_LISTENING);

  fixture->page = g_object_new (FERRY_TYPE_SETTINGS_PAGE,
                                "engine", fixture->engine,
                                NULL);
  fixture->window = ferry_ui_test_present (GTK_WIDGET (fixture->page), 800, 700);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (fixture->window);
  ferry_engine_stop (fixture->engine);
  g_clear_object (&fixture->engine);
}

static gboolean
apply_sensitive (Fixture *fixture)
{
  return gtk_widget_get_sensitive (child (fixture, "apply_button"));
}

static gboolean
apply_insensitive (Fixture *fixture)
{
  return !apply_sensitive (fixture);
}

static gboolean
port_checked (Fixture *fixture)
{
  const char *subtitle = adw_action_row_get_subtitle (child (fixture, "port_row"));

  /* Not "Checking whether port N is free…", which is shown while the worker runs. */
  return subtitle != NULL
         && (g_str_has_suffix (subtitle, "is free") || strstr (subtitle, "in use") != NULL);
}

static void
test_settings_unchanged (Fixture       *fixture,
                         gconstpointer  data)
{
  /* The form shows the configuration in force, and nothing can be applied yet. */
  g_assert_cmpstr (gtk_editable_get_text (child (fixture, "receiver_ae_row")), ==, "FERRY");
  g_assert_cmpint (gtk_spin_button_get_value_as_int (child (fixture, "port_spin")), ==,
                   ferry_engine_get_config (fixture->engine)->port);
  g_assert_false (apply_sensitive (fixture));
}

static void
test_settings_invalid_ae_title (Fixture       *fixture,
                                gconstpointer  data)
{
  GtkWidget *row = child (fixture, "receiver_ae_row");
  GtkWidget *message = child (fixture, "message_label");

  gtk_editable_set_text (GTK_EDITABLE (row), "A-TITLE-MUCH-TOO-LONG");

  g_assert_true (gtk_widget_has_css_class (row, "error"));
  g_assert_true (gtk_widget_get_visible (message));
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (message)), "Receiver AE title"));
  g_assert_false (apply_sensitive (fixture));

  /* Fixing it clears the error and, since it differs from the saved title, allows Apply. */
  gtk_editable_set_text (GTK_EDITABLE (row), "CART3");
  g_assert_false (gtk_widget_has_css_class (row, "error"));
  g_assert_false (gtk_widget_get_visible (message));
  g_assert_true (apply_sensitive (fixture));

  /* Typing the saved value back leaves nothing to apply. */
  gtk_editable_set_text (GTK_EDITABLE (row), "FERRY");
  g_assert_false (apply_sensitive (fixture));
}

static void
test_settings_port_in_use (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GSocket) other_program = NULL;
  guint16 busy = free_port (&other_program);
  GtkWidget *row = child (fixture, "port_row");

  gtk_spin_button_set_value (child (fixture, "port_spin"), busy);

  /* Checked in the engine's worker after a short pause, then shown with the reason. */
  g_assert_true (wait_until (port_checked, fixture, 5000));
  g_assert_true (gtk_widget_has_css_class (row, "error"));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "in use"));
  g_assert_false (apply_sensitive (fixture));
}

/* Keeps what the page looks like as an artifact, for people reviewing the layout. */
static void
save_screenshot (Fixture    *fixture,
                 const char *name)
{
  ferry_ui_test_save_screenshot (GTK_WIDGET (fixture->page), name);
}

static void
test_settings_errors_shown (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GSocket) other_program = NULL;
  guint16 busy = free_port (&other_program);

  gtk_editable_set_text (child (fixture, "receiver_ae_row"), "BACK\\SLASH");
  gtk_editable_set_text (child (fixture, "station_row"), "A STATION NAME THAT IS TOO LONG");
  gtk_spin_button_set_value (child (fixture, "port_spin"), busy);
  g_assert_true (wait_until (port_checked, fixture, 5000));

  g_assert_true (gtk_widget_has_css_class (child (fixture, "receiver_ae_row"), "error"));
  g_assert_true (gtk_widget_has_css_class (child (fixture, "station_row"), "error"));
  g_assert_true (gtk_widget_has_css_class (child (fixture, "port_row"), "error"));
  g_assert_false (apply_sensitive (fixture));

  save_screenshot (fixture, "ferry-settings-errors.png");
}

static gboolean
receiver_moved (Fixture *fixture)
{
  guint16 wanted = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (fixture->page), "wanted-port"));

  return ferry_engine_get_receiver_port (fixture->engine) == wanted
         && ferry_engine_get_receiver_state (fixture->engine) == FERRY_RECEIVER_LISTENING;
}

static void
test_settings_apply_port (Fixture       *fixture,
                          gconstpointer  data)
{
  guint16 port = free_port (NULL);
  guint generation;

  g_object_get (fixture->engine, "config-generation", &generation, NULL);
  g_object_set_data (G_OBJECT (fixture->page), "wanted-port", GUINT_TO_POINTER (port));

  gtk_spin_button_set_value (child (fixture, "port_spin"), port);
  g_assert_true (wait_until (port_checked, fixture, 5000));
  g_assert_false (gtk_widget_has_css_class (child (fixture, "port_row"), "error"));
  g_assert_true (apply_sensitive (fixture));

  gtk_widget_activate (child (fixture, "apply_button"));

  /* The receiver restarts in the engine's worker; the page only waits for the outcome. */
  g_assert_true (wait_until (receiver_moved, fixture, 10000));
  g_assert_cmpint (ferry_engine_get_config (fixture->engine)->port, ==, port);
  g_assert_true (wait_until (apply_insensitive, fixture, 2000));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (child (fixture, "port_spin")), ==, port);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dirs = g_strdup (g_getenv ("XDG_DATA_DIRS"));

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

  g_test_add ("/ferry/ui/settings/unchanged", Fixture, NULL,
              fixture_set_up, test_settings_unchanged, fixture_tear_down);
  g_test_add ("/ferry/ui/settings/invalid-ae-title", Fixture, NULL,
              fixture_set_up, test_settings_invalid_ae_title, fixture_tear_down);
  g_test_add ("/ferry/ui/settings/port-in-use", Fixture, NULL,
              fixture_set_up, test_settings_port_in_use, fixture_tear_down);
  g_test_add ("/ferry/ui/settings/errors-shown", Fixture, NULL,
              fixture_set_up, test_settings_errors_shown, fixture_tear_down);
  g_test_add ("/ferry/ui/settings/apply-port", Fixture, NULL,
              fixture_set_up, test_settings_apply_port, fixture_tear_down);

  return g_test_run ();
}
