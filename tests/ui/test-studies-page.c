/* test-studies-page.c: the Studies page, driven in-process against a real engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine receives real C-STOREs from DCMTK's storescu; the page must switch from the "how
 * to connect" state to the list, and the search must find studies the way people type names.
 */

#define G_LOG_DOMAIN "ferry-test-studies-page"

#include "config.h"

#include <adwaita.h>

#include "ferry-dicom.h"
#include "ferry-engine.h"
#include "ferry-ui-test.h"
#include "ferry-studies-page.h"

typedef struct
{
  FerryEngine      *engine;
  GtkWindow        *window;
  FerryStudiesPage *page;
  guint             wanted;
  const char       *wanted_view;
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
send_study (Fixture    *fixture,
            const char *path)
{
  g_autofree char *port = g_strdup_printf ("%u", ferry_engine_get_receiver_port (fixture->engine));
  g_autofree char *standard_error = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = {
    "storescu", "-aet", "UITEST", "-aec", "FERRY", "127.0.0.1", port, path, NULL
  };
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &standard_error, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("storescu failed: %s\n%s", error->message, standard_error);
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

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (fixture->window);
  ferry_engine_stop (fixture->engine);
  g_clear_object (&fixture->engine);
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

  return g_test_run ();
}
