/* test-studies-page.c: the Studies page, driven in-process against a real engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine receives real C-STOREs from DCMTK's storescu; the page must switch from the "how
 * to connect" state to the list, and the search must find studies the way people type names.
 */

#define G_LOG_DOMAIN "ferry-test-studies-page"

#include "config.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <adwaita.h>

#include "ferry-dicom.h"
#include "ferry-engine.h"
#include "ferry-outbox-view.h"
#include "ferry-ui-test.h"
#include "ferry-studies-page.h"

typedef struct
{
  FerryEngine      *engine;
  GtkWindow        *window;
  FerryStudiesPage *page;
  guint             wanted;
  const char       *wanted_view;
  const char       *wanted_text;
  GPid              storescp;        /* PACS-B: takes everything */
  GPid              refusing_scp;    /* PACS-C: answers 0xC000 */
  char             *peer_dir;
  const char       *watched_destination;
  guint             wanted_attempts;
  gint64            delivered_before;
} Fixture;

static gpointer
child (Fixture    *fixture,
       const char *name)
{
  return ferry_ui_test_child (GTK_WIDGET (fixture->page), FERRY_TYPE_STUDIES_PAGE, name);
}

/* Runs the main loop until @condition holds or @timeout_ms pass. */
static gboolean
wait_until (gboolean (*condition) (Fixture *fixture),
            Fixture   *fixture,
            guint      timeout_ms)
{
  return ferry_ui_test_wait_until ((gboolean (*) (gpointer)) condition, fixture, timeout_ms);
}

/* A minimal DICOM Part 10 file (Ultrasound Image, explicit VR little endian, 8×8 pixels),
 * written by hand so that the test needs no toolkit beyond the peer it talks to. */

static void
put_element (GByteArray *out,
             guint16     group,
             guint16     element,
             const char  vr[2],
             const void *value,
             gsize       length)
{
  static const char *long_vrs[] = { "OB", "OW", "OF", "SQ", "UT", "UN", NULL };
  gboolean is_long = g_strv_contains (long_vrs, (char[3]) { vr[0], vr[1], 0 });
  gsize padded = length + (length & 1);
  guint8 header[12];
  gsize header_length;

  header[0] = group & 0xff;
  header[1] = group >> 8;
  header[2] = element & 0xff;
  header[3] = element >> 8;
  header[4] = vr[0];
  header[5] = vr[1];
  if (is_long)
    {
      header[6] = header[7] = 0;
      header[8] = padded & 0xff;
      header[9] = (padded >> 8) & 0xff;
      header[10] = (padded >> 16) & 0xff;
      header[11] = (padded >> 24) & 0xff;
      header_length = 12;
    }
  else
    {
      header[6] = padded & 0xff;
      header[7] = (padded >> 8) & 0xff;
      header_length = 8;
    }

  g_byte_array_append (out, header, header_length);
  g_byte_array_append (out, value, length);
  if (length & 1)
    g_byte_array_append (out, (const guint8 *) (vr[0] == 'U' && vr[1] == 'I' ? "\0" : " "), 1);
}

static void
put_string (GByteArray *out,
            guint16     group,
            guint16     element,
            const char  vr[2],
            const char *value)
{
  put_element (out, group, element, vr, value, strlen (value));
}

static void
put_us (GByteArray *out,
        guint16     group,
        guint16     element,
        guint16     value)
{
  guint8 bytes[2] = { value & 0xff, value >> 8 };

  put_element (out, group, element, "US", bytes, 2);
}

static char *
write_study (const char *patient_name,
             const char *patient_id,
             const char *description,
             guint       serial)
{
  static const char *sop_class = "1.2.840.10008.5.1.4.1.1.6.1";
  g_autoptr(GByteArray) meta = g_byte_array_new ();
  g_autoptr(GByteArray) file = g_byte_array_new ();
  g_autofree char *study_uid = g_strdup_printf ("2.25.%u%u1", g_random_int (), serial);
  g_autofree char *series_uid = g_strdup_printf ("2.25.%u%u2", g_random_int (), serial);
  g_autofree char *instance_uid = g_strdup_printf ("2.25.%u%u3", g_random_int (), serial);
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  guint8 preamble[128] = { 0 };
  guint8 pixels[64];
  guint8 version[2] = { 0, 1 };
  guint8 group_length[4];

  put_element (meta, 0x0002, 0x0001, "OB", version, 2);
  put_string (meta, 0x0002, 0x0002, "UI", sop_class);
  put_string (meta, 0x0002, 0x0003, "UI", instance_uid);
  put_string (meta, 0x0002, 0x0010, "UI", "1.2.840.10008.1.2.1");
  put_string (meta, 0x0002, 0x0012, "UI", "2.25.1");

  g_byte_array_append (file, preamble, sizeof preamble);
  g_byte_array_append (file, (const guint8 *) "DICM", 4);
  group_length[0] = meta->len & 0xff;
  group_length[1] = (meta->len >> 8) & 0xff;
  group_length[2] = group_length[3] = 0;
  put_element (file, 0x0002, 0x0000, "UL", group_length, 4);
  g_byte_array_append (file, meta->data, meta->len);

  put_string (file, 0x0008, 0x0005, "CS", "ISO_IR 192");
  put_string (file, 0x0008, 0x0016, "UI", sop_class);
  put_string (file, 0x0008, 0x0018, "UI", instance_uid);
  put_string (file, 0x0008, 0x0020, "DA", "20240301");
  put_string (file, 0x0008, 0x0030, "TM", "101500");
  put_string (file, 0x0008, 0x0050, "SH", "ACC1");
  put_string (file, 0x0008, 0x0060, "CS", "US");
  put_string (file, 0x0008, 0x1030, "LO", description);
  put_string (file, 0x0008, 0x1050, "PN", "HOUSE^GREGORY");
  put_string (file, 0x0010, 0x0010, "PN", patient_name);
  put_string (file, 0x0010, 0x0020, "LO", patient_id);
  put_string (file, 0x0010, 0x0030, "DA", "19700115");
  put_string (file, 0x0020, 0x000d, "UI", study_uid);
  put_string (file, 0x0020, 0x000e, "UI", series_uid);
  put_string (file, 0x0020, 0x0010, "SH", "1");
  put_string (file, 0x0020, 0x0011, "IS", "1");
  put_string (file, 0x0020, 0x0013, "IS", "1");
  put_us (file, 0x0028, 0x0002, 1);
  put_string (file, 0x0028, 0x0004, "CS", "MONOCHROME2");
  put_us (file, 0x0028, 0x0010, 8);
  put_us (file, 0x0028, 0x0011, 8);
  put_us (file, 0x0028, 0x0100, 8);
  put_us (file, 0x0028, 0x0101, 8);
  put_us (file, 0x0028, 0x0102, 7);
  put_us (file, 0x0028, 0x0103, 0);
  for (guint i = 0; i < sizeof pixels; i++)
    pixels[i] = i * 4;
  put_element (file, 0x7fe0, 0x0010, "OB", pixels, sizeof pixels);

  path = g_strdup_printf ("%s/study-%u.dcm", g_get_user_cache_dir (), serial);
  g_mkdir_with_parents (g_get_user_cache_dir (), 0700);
  g_file_set_contents (path, (const char *) file->data, file->len, &error);
  g_assert_no_error (error);

  return g_steal_pointer (&path);
}

static void
send_study_as (Fixture    *fixture,
               const char *calling_ae,
               const char *path)
{
  g_autofree char *port = g_strdup_printf ("%u", ferry_engine_get_receiver_port (fixture->engine));
  g_autofree char *standard_error = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = {
    "storescu", "-aet", calling_ae, "-aec", "FERRY", "127.0.0.1", port, path, NULL
  };
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &standard_error, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("storescu failed: %s\n%s", error->message, standard_error);
}

static void
send_study (Fixture    *fixture,
            const char *path)
{
  send_study_as (fixture, "UITEST", path);
}

static guint16
free_port (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) any = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (any, 0);
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
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(FerryPaths) paths = ferry_paths_new (NULL);
  g_autoptr(FerryConfig) config = ferry_config_new_default ();
  g_autoptr(GError) error = NULL;

  ferry_paths_ensure (paths, &error);
  g_assert_no_error (error);
  config->port = free_port ();
  ferry_config_save (config, paths->config_file, &error);
  g_assert_no_error (error);

  fixture->engine = ferry_engine_new (NULL, &error);
  g_assert_no_error (error);
  ferry_engine_start (fixture->engine, &error);
  g_assert_no_error (error);

  fixture->page = g_object_new (FERRY_TYPE_STUDIES_PAGE,
                                "engine", fixture->engine,
                                NULL);
  fixture->window = ferry_ui_test_present (GTK_WIDGET (fixture->page), 1000, 600);
}

/* Peers: DCMTK's storescp, and ferry-test-scp (tests/peers/) for a PACS that refuses. */

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
stop_peer (GPid *pid)
{
  if (*pid > 0)
    {
      kill (*pid, SIGTERM);
      waitpid (*pid, NULL, 0);
      g_spawn_close_pid (*pid);
      *pid = 0;
    }
}

static gboolean
accepts_connections (guint16 port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);

  return connection != NULL;
}

static guint16
start_storescp (Fixture *fixture)
{
  g_autofree char *dir = g_build_filename (fixture->peer_dir, "storescp", NULL);
  g_autofree char *port_text = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port = free_port ();

  port_text = g_strdup_printf ("%u", port);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);

  const char *argv[] = {
    g_getenv ("FERRY_TEST_STORESCP"), "-aet", "PACS-B", "-od", dir, port_text, NULL,
  };

  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                die_with_parent, NULL, &fixture->storescp, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 100 && !accepts_connections (port); i++)
    g_usleep (50 * 1000);
  g_assert_true (accepts_connections (port));

  return port;
}

static guint16
start_refusing_scp (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOChannel) channel = NULL;
  g_autofree char *line = NULL;
  int out_fd = -1;
  const char *argv[] = {
    g_getenv ("FERRY_TEST_SCP"), "--port", "0", "--ae", "PACS-C", "--status", "0xC000", NULL,
  };

  g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, NULL,
                                           G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent, NULL,
                                           &fixture->refusing_scp, NULL, &out_fd, NULL, &error));
  g_assert_no_error (error);

  channel = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (channel, TRUE);
  g_assert_cmpint (g_io_channel_read_line (channel, &line, NULL, NULL, &error), ==,
                   G_IO_STATUS_NORMAL);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "Listening on port "));

  return (guint16) g_ascii_strtoull (line + strlen ("Listening on port "), NULL, 10);
}

static void
add_route (FerryConfig *config,
           const char  *calling_ae,
           const char  *destination_name,
           guint16      port,
           guint        retry_interval_seconds)
{
  FerryDestination *destination = ferry_destination_new (destination_name, destination_name,
                                                         "127.0.0.1", port);
  FerryDevice *device = ferry_device_new (calling_ae, calling_ae, NULL, NULL);

  destination->retry_interval_seconds = retry_interval_seconds;
  g_ptr_array_add (config->destinations, destination);
  device->destinations = g_strdupv ((char *[]) { (char *) destination_name, NULL });
  g_ptr_array_add (config->devices, device);
}

/* Three carts, each with its own PACS: one that is down (PACS-A), one that takes everything
 * (PACS-B, DCMTK's storescp) and one that refuses everything (PACS-C). */
static void
fixture_set_up_deliveries (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(FerryPaths) paths = ferry_paths_new (NULL);
  g_autoptr(FerryConfig) config = ferry_config_new_default ();
  g_autoptr(GError) error = NULL;
  AdwToastOverlay *overlay;

  fixture->peer_dir = g_build_filename (g_get_user_cache_dir (), "peers", NULL);

  ferry_paths_ensure (paths, &error);
  g_assert_no_error (error);
  config->port = free_port ();
  /* Nothing listens on a port the OS handed out and that was closed again. */
  add_route (config, "CART-A", "PACS-A", free_port (), 300);
  add_route (config, "CART-B", "PACS-B", start_storescp (fixture), 1);
  add_route (config, "CART-C", "PACS-C", start_refusing_scp (fixture), 1);
  ferry_config_save (config, paths->config_file, &error);
  g_assert_no_error (error);

  fixture->engine = ferry_engine_new (NULL, &error);
  g_assert_no_error (error);
  ferry_engine_start (fixture->engine, &error);
  g_assert_no_error (error);

  /* As in the window, toasts have an overlay to go to. */
  fixture->page = g_object_new (FERRY_TYPE_STUDIES_PAGE,
                                "engine", fixture->engine,
                                NULL);
  overlay = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  adw_toast_overlay_set_child (overlay, GTK_WIDGET (fixture->page));
  /* The width the window gives its pages beside the sidebar. */
  fixture->window = ferry_ui_test_present (GTK_WIDGET (overlay), 940, 520);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (fixture->window);
  ferry_engine_stop (fixture->engine);
  g_clear_object (&fixture->engine);
  stop_peer (&fixture->storescp);
  stop_peer (&fixture->refusing_scp);
  g_clear_pointer (&fixture->peer_dir, g_free);
}

static gboolean
shows_view (Fixture *fixture)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (child (fixture, "view_stack")),
                    fixture->wanted_view) == 0;
}

static gboolean
shows_rows (Fixture *fixture)
{
  GListModel *model = G_LIST_MODEL (gtk_column_view_get_model (child (fixture, "column_view")));

  return g_list_model_get_n_items (model) == fixture->wanted;
}

static void
search (Fixture    *fixture,
        const char *text,
        guint       rows)
{
  gtk_editable_set_text (child (fixture, "search_entry"), text);
  fixture->wanted = rows;
  g_assert_true (wait_until (shows_rows, fixture, 5000));
}

static void
test_studies_receive_and_search (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autofree char *port = NULL;
  g_autofree char *jane = write_study ("DOE^JANE", "PID-123", "Abdomen", 1);
  g_autofree char *richard = write_study ("ROE^RICHARD", "PID-456", "Thyroid", 2);

  /* Before anything arrives: what to type into the modality, with the port in force. */
  fixture->wanted_view = "empty";
  g_assert_true (wait_until (shows_view, fixture, 10000));
  port = g_strdup_printf ("%u", ferry_engine_get_receiver_port (fixture->engine));
  g_assert_cmpstr (gtk_label_get_label (child (fixture, "ae_title_label")), ==, "FERRY");
  g_assert_cmpstr (gtk_label_get_label (child (fixture, "port_label")), ==, port);

  send_study (fixture, jane);
  send_study (fixture, richard);

  fixture->wanted_view = "list";
  g_assert_true (wait_until (shows_view, fixture, 10000));
  fixture->wanted = 2;
  g_assert_true (wait_until (shows_rows, fixture, 10000));

  /* The performing physician (the default profile's choice) under the description. */
  {
    g_autofree char *physicians = ferry_ui_test_dup_text (child (fixture, "column_view"),
                                                          "physician");

    g_assert_nonnull (strstr (physicians, "HOUSE, GREGORY"));
  }

  /* People type names as the list shows them, or as DICOM stores them, or an ID. */
  search (fixture, "doe, j", 1);
  search (fixture, "ROE^RICH", 1);
  search (fixture, "pid-456", 1);
  search (fixture, "thyroid", 1);
  search (fixture, "", 2);

  search (fixture, "nobody", 0);
  fixture->wanted_view = "no-results";
  g_assert_true (wait_until (shows_view, fixture, 2000));

  search (fixture, "", 2);
  fixture->wanted_view = "list";
  g_assert_true (wait_until (shows_view, fixture, 2000));
}

/* What the Delivery column says, one line per destination of each study on screen. */
static char *
dup_delivery_text (Fixture *fixture)
{
  return ferry_ui_test_dup_text (child (fixture, "column_view"), "delivery-line");
}

static gboolean
delivery_says (Fixture *fixture)
{
  g_autofree char *text = dup_delivery_text (fixture);

  return strstr (text, fixture->wanted_text) != NULL;
}

static void
wait_for_delivery_text (Fixture    *fixture,
                        const char *text)
{
  fixture->wanted_text = text;
  if (!wait_until (delivery_says, fixture, 20000))
    {
      g_autofree char *shown = dup_delivery_text (fixture);

      g_test_message ("The Delivery column says: %s", shown);
      g_assert_cmpstr (shown, ==, text);
    }
}

static GtkWidget *
outbox (Fixture *fixture)
{
  return adw_view_stack_get_child_by_name (child (fixture, "sections"), "outbox");
}

static gpointer
outbox_child (Fixture    *fixture,
              const char *name)
{
  return ferry_ui_test_child (outbox (fixture), FERRY_TYPE_OUTBOX_VIEW, name);
}

static gboolean
outbox_count_is (Fixture *fixture)
{
  return ferry_outbox_view_get_count (FERRY_OUTBOX_VIEW (outbox (fixture))) == fixture->wanted;
}

static gboolean
transitions_done (Fixture *fixture)
{
  return !gtk_stack_get_transition_running (child (fixture, "view_stack"))
         && !gtk_stack_get_transition_running (outbox_child (fixture, "stack"));
}

/* The one delivery to fixture->watched_destination, read from the ledger. */
static FerryDelivery *
watched_delivery (Fixture *fixture)
{
  FerryLedgerFilter filter = { .destination = fixture->watched_destination };
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;

  rows = ferry_engine_list_deliveries_sync (fixture->engine, &filter, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);
  return ferry_delivery_copy (g_ptr_array_index (rows, 0));
}

static gboolean
delivered_again (Fixture *fixture)
{
  g_autoptr(FerryDelivery) d = watched_delivery (fixture);

  /* Resend starts the count afresh: one attempt, and the PACS answered it. */
  return d->state == FERRY_DELIVERY_DELIVERED && d->attempts == 1 &&
         d->delivered_at > fixture->delivered_before;
}

static AdwMessageDialog *
find_message_dialog (void)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data) && gtk_widget_get_visible (l->data))
      return l->data;
  return NULL;
}

static gboolean
attempts_reached (Fixture *fixture)
{
  g_autoptr(FerryDelivery) d = watched_delivery (fixture);

  return d->attempts >= fixture->wanted_attempts && d->state == FERRY_DELIVERY_RETRYING;
}

static void
test_studies_deliveries (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *jane = write_study ("DOE^JANE", "PID-123", "Abdomen", 1);
  g_autofree char *richard = write_study ("ROE^RICHARD", "PID-456", "Thyroid", 2);
  g_autofree char *ana = write_study ("GARCÍA^ANA", "PID-789", "Carotid", 3);
  AdwViewStackPage *outbox_section = adw_view_stack_get_page (child (fixture, "sections"),
                                                             outbox (fixture));
  AdwActionRow *row;
  GtkWidget *resend;
  g_autofree char *subtitle = NULL;

  fixture->wanted_view = "empty";
  g_assert_true (wait_until (shows_view, fixture, 10000));

  send_study_as (fixture, "CART-A", jane);
  send_study_as (fixture, "CART-B", richard);
  send_study_as (fixture, "CART-C", ana);

  fixture->wanted_view = "list";
  g_assert_true (wait_until (shows_view, fixture, 10000));
  fixture->wanted = 3;
  g_assert_true (wait_until (shows_rows, fixture, 10000));

  /* Each row says, in words, where its images went. */
  wait_for_delivery_text (fixture, "1 of 1 delivered to PACS-B");
  wait_for_delivery_text (fixture, "Not yet delivered to PACS-A · retrying in ");
  wait_for_delivery_text (fixture, "1 in the outbox for PACS-C: Refused: cannot understand "
                                   "(0xC000)");

  /* The outbox counts what needs a person, on the switcher. */
  fixture->wanted = 1;
  g_assert_true (wait_until (outbox_count_is, fixture, 10000));
  g_assert_cmpuint (adw_view_stack_page_get_badge_number (outbox_section), ==, 1);
  /* … and on the page's row in the window's sidebar. */
  g_assert_cmpstr (ferry_page_get_attention (FERRY_PAGE (fixture->page)), ==, "1");

  g_assert_true (wait_until (transitions_done, fixture, 5000));
  ferry_ui_test_save_screenshot (GTK_WIDGET (fixture->page), "ferry-studies-deliveries.png");

  adw_view_stack_set_visible_child_name (child (fixture, "sections"), "outbox");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (outbox_child (fixture, "stack")), ==,
                   "list");
  row = ADW_ACTION_ROW (ferry_ui_test_find (GTK_WIDGET (outbox_child (fixture, "list_box")),
                                            ADW_TYPE_ACTION_ROW, "outbox-row"));
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==,
                   "GARCÍA, ANA");
  subtitle = g_strdup (adw_action_row_get_subtitle (row));
  g_assert_nonnull (strstr (subtitle, "1 image for PACS-C"));
  g_assert_nonnull (strstr (subtitle, "ID PID-789"));
  g_assert_nonnull (strstr (subtitle, "Refused: cannot understand (0xC000)"));

  g_assert_true (wait_until (transitions_done, fixture, 5000));
  ferry_ui_test_save_screenshot (GTK_WIDGET (fixture->page), "ferry-outbox.png");

  /* PACS-C is fixed (here: it is gone, so the image waits for it instead of being refused
   * again); Resend takes the image out of the outbox. */
  stop_peer (&fixture->refusing_scp);
  resend = ferry_ui_test_find (GTK_WIDGET (row), GTK_TYPE_BUTTON, NULL);
  while (resend != NULL && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (resend)), "_Resend") != 0)
    resend = ferry_ui_test_find (gtk_widget_get_next_sibling (resend), GTK_TYPE_BUTTON, NULL);
  g_assert_nonnull (resend);
  g_signal_emit_by_name (resend, "clicked");

  fixture->wanted = 0;
  g_assert_true (wait_until (outbox_count_is, fixture, 10000));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (outbox_child (fixture, "stack")), ==,
                   "empty");
  g_assert_cmpuint (adw_view_stack_page_get_badge_number (outbox_section), ==, 0);
  g_assert_null (ferry_page_get_attention (FERRY_PAGE (fixture->page)));
  g_assert_true (wait_until (transitions_done, fixture, 5000));
  ferry_ui_test_save_screenshot (GTK_WIDGET (fixture->page), "ferry-outbox-empty.png");

  adw_view_stack_set_visible_child_name (child (fixture, "sections"), "studies");
  wait_for_delivery_text (fixture, "to PACS-C · retrying");

  /* The row menu on PACS-A's study: Retry now makes the next attempt at once instead of in
   * five minutes, Cancel stops it, and the line says so. */
  {
    g_autoptr(FerryDelivery) before = NULL;

    fixture->watched_destination = "PACS-A";
    before = watched_delivery (fixture);
    fixture->wanted_attempts = before->attempts + 1;
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "studies.retry-now",
                                               "s", before->study_instance_uid));
    g_assert_true (wait_until (attempts_reached, fixture, 15000));

    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "studies.cancel",
                                               "s", before->study_instance_uid));
    wait_for_delivery_text (fixture, "Sending to PACS-A was cancelled");
  }

  /* Resend asks first, since the PACS gets the images a second time; once confirmed, PACS-B's
   * delivered image goes again and is delivered again. */
  {
    g_autoptr(FerryDelivery) before = NULL;
    AdwMessageDialog *dialog;

    fixture->watched_destination = "PACS-B";
    before = watched_delivery (fixture);
    g_assert_cmpint (before->state, ==, FERRY_DELIVERY_DELIVERED);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "studies.resend",
                                               "s", before->study_instance_uid));
    dialog = find_message_dialog ();
    g_assert_nonnull (dialog);
    g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Resend This Study?");
    adw_message_dialog_response (dialog, "resend");
    fixture->delivered_before = before->delivered_at;
    g_assert_true (wait_until (delivered_again, fixture, 15000));
  }
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

  /* GTK needs the system's GSettings schemas and icons; they are only read. */
  g_setenv ("XDG_DATA_DIRS", data_dirs != NULL ? data_dirs : "/usr/local/share:/usr/share", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);

  if (g_find_program_in_path ("storescu") == NULL)
    {
      g_print ("1..0 # SKIP storescu (DCMTK) is not installed\n");
      return 0;
    }

  if (!ferry_dicom_init (&error))
    g_error ("%s", error->message);

  gtk_init ();
  adw_init ();

  g_test_add ("/ferry/ui/studies/receive-and-search", Fixture, NULL,
              fixture_set_up, test_studies_receive_and_search, fixture_tear_down);
  if (g_getenv ("FERRY_TEST_STORESCP") != NULL && g_getenv ("FERRY_TEST_SCP") != NULL)
    g_test_add ("/ferry/ui/studies/deliveries", Fixture, NULL,
                fixture_set_up_deliveries, test_studies_deliveries, fixture_tear_down);

  return g_test_run ();
}
