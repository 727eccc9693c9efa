/* test-config.c: config.json
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "ferry-config.h"

static char *
config_path (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "ferry", NULL);

  g_assert_no_errno (g_mkdir_with_parents (dir, 0700));
  return g_build_filename (dir, "config.json", NULL);
}

static FerryConfig *
sample_config (void)
{
  FerryConfig *config = ferry_config_new_default ();

  g_free (config->receiver_ae_title);
  config->receiver_ae_title = g_strdup ("WARD_7");
  config->port = 104;
  config->max_associations = 3;
  config->accept_unknown_devices = FALSE;
  config->disk_reserve_bytes = 1024 * 1024 * 1024;
  config->institution_name = g_strdup ("Hospital Niño Jesús");
  config->station_name = g_strdup ("Ward 7 desk");
  g_ptr_array_add (config->devices, ferry_device_new ("Cart 3", "US_CART3", "10.0.0.5",
                                                      "ISO_IR 100"));
  g_ptr_array_add (config->devices, ferry_device_new ("Endoscopy", "ENDO", NULL, NULL));

  return config;
}

static void
test_defaults (void)
{
  g_autoptr(FerryConfig) config = ferry_config_new_default ();
  g_autoptr(FerryConfig) loaded = NULL;
  g_autoptr(FerryConfig) empty = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = config_path ();

  g_assert_cmpint (config->version, ==, FERRY_CONFIG_VERSION);
  g_assert_cmpstr (config->receiver_ae_title, ==, "FERRY");
  g_assert_cmpuint (config->port, ==, 11112);
  g_assert_cmpstr (config->sender_ae_title, ==, "FERRY");
  g_assert_true (config->accept_unknown_devices);
  g_assert_cmpuint (config->max_associations, ==, 8);
  g_assert_cmpuint (config->timeout_seconds, ==, 60);
  g_assert_cmpuint (config->disk_reserve_bytes, ==, 256 * 1024 * 1024);
  g_assert_cmpuint (config->devices->len, ==, 0);
  g_assert_true (ferry_config_validate (config, &error));
  g_assert_no_error (error);

  /* Zero configuration must work: no file gives the defaults. */
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  loaded = ferry_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_config_equal (config, loaded));

  /* So does an empty object: every member is optional. */
  empty = ferry_config_from_json ("{}", -1, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_config_equal (config, empty));
}

static void
test_parse_example (void)
{
  static const char json[] =
    "{\"version\": 1,\n"
    " \"receiver\": {\"ae_title\": \"FERRY\", \"port\": 11112, \"max_associations\": 8,\n"
    "              \"accept_unknown_devices\": true, \"disk_reserve_mb\": 0},\n"
    " \"identity\": {\"sender_ae_title\": \"FERRY_OUT\", \"institution_name\": \"\",\n"
    "              \"station_name\": \"Desk\"},\n"
    " \"future_section\": {\"ignored\": true},\n"
    " \"devices\": [{\"name\": \"Cart 3\", \"ae_title\": \"US_CART3\", \"host\": \"10.0.0.5\",\n"
    "               \"character_set\": \"ISO_IR 100\"},\n"
    "              {\"name\": \"Cart 4\", \"ae_title\": \"US_CART4\"}]}";
  g_autoptr(FerryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  const FerryDevice *device;

  config = ferry_config_from_json (json, -1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);

  g_assert_cmpuint (config->disk_reserve_bytes, ==, 0);
  g_assert_cmpstr (config->sender_ae_title, ==, "FERRY_OUT");
  g_assert_null (config->institution_name);
  g_assert_cmpstr (config->station_name, ==, "Desk");
  g_assert_cmpuint (config->devices->len, ==, 2);

  device = g_ptr_array_index (config->devices, 0);
  g_assert_cmpstr (device->name, ==, "Cart 3");
  g_assert_cmpstr (device->ae_title, ==, "US_CART3");
  g_assert_cmpstr (device->host, ==, "10.0.0.5");
  g_assert_cmpstr (device->character_set, ==, "ISO_IR 100");

  device = g_ptr_array_index (config->devices, 1);
  g_assert_null (device->host);
  g_assert_null (device->character_set);
}

static void
test_round_trip (void)
{
  g_autoptr(FerryConfig) config = sample_config ();
  g_autoptr(FerryConfig) loaded = NULL;
  g_autoptr(FerryConfig) copy = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *path = config_path ();
  JsonObject *root;
  JsonObject *receiver;
  JsonArray *devices;
  GStatBuf st;

  g_assert_true (ferry_config_save (config, path, &error));
  g_assert_no_error (error);

  g_assert_no_errno (g_stat (path, &st));
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  loaded = ferry_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_config_equal (config, loaded));
  g_assert_cmpstr (loaded->institution_name, ==, "Hospital Niño Jesús");

  copy = ferry_config_copy (loaded);
  g_assert_true (ferry_config_equal (copy, config));
  copy->port = 105;
  g_assert_false (ferry_config_equal (copy, config));

  /* Other programs (and the integration tests) read these exact names. */
  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (root, "version"), ==, 1);
  receiver = json_object_get_object_member (root, "receiver");
  g_assert_cmpstr (json_object_get_string_member (receiver, "ae_title"), ==, "WARD_7");
  g_assert_cmpint (json_object_get_int_member (receiver, "port"), ==, 104);
  g_assert_cmpint (json_object_get_int_member (receiver, "max_associations"), ==, 3);
  g_assert_false (json_object_get_boolean_member (receiver, "accept_unknown_devices"));
  g_assert_cmpint (json_object_get_int_member (receiver, "disk_reserve_mb"), ==, 1024);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (root, "identity"),
                                                  "sender_ae_title"), ==, "FERRY");
  devices = json_object_get_array_member (root, "devices");
  g_assert_cmpuint (json_array_get_length (devices), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (devices, 0),
                                                  "host"), ==, "10.0.0.5");
  g_assert_false (json_object_has_member (json_array_get_object_element (devices, 1), "host"));
}

typedef struct {
  const char *json;
  const char *field;     /* the message must start with it */
  int         code;
} InvalidCase;

static void
test_invalid_fields (void)
{
  static const InvalidCase cases[] = {
    { "{\"receiver\": {\"port\": 70000}}", "receiver.port: 70000 is not a port (1–65535)",
      FERRY_CONFIG_ERROR_INVALID },
    { "{\"receiver\": {\"port\": 0}}", "receiver.port:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"receiver\": {\"port\": -1}}", "receiver.port:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"receiver\": {\"port\": \"104\"}}", "receiver.port:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"receiver\": {\"port\": 104.5}}", "receiver.port:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"receiver\": {\"ae_title\": \"\"}}", "receiver.ae_title:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"receiver\": {\"ae_title\": 7}}", "receiver.ae_title:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"receiver\": {\"ae_title\": \"A_VERY_LONG_AE_TITLE\"}}", "receiver.ae_title:",
      FERRY_CONFIG_ERROR_INVALID },
    { "{\"receiver\": {\"max_associations\": 0}}", "receiver.max_associations:",
      FERRY_CONFIG_ERROR_INVALID },
    { "{\"receiver\": {\"timeout_seconds\": 1}}", "receiver.timeout_seconds:",
      FERRY_CONFIG_ERROR_INVALID },
    { "{\"receiver\": {\"timeout_seconds\": \"60\"}}", "receiver.timeout_seconds:",
      FERRY_CONFIG_ERROR_INVALID },
    { "{\"receiver\": {\"accept_unknown_devices\": 1}}", "receiver.accept_unknown_devices:",
      FERRY_CONFIG_ERROR_INVALID },
    { "{\"receiver\": {\"disk_reserve_mb\": -5}}", "receiver.disk_reserve_mb:",
      FERRY_CONFIG_ERROR_INVALID },
    { "{\"receiver\": []}", "receiver:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"identity\": {\"sender_ae_title\": \"A\\\\B\"}}", "identity.sender_ae_title:",
      FERRY_CONFIG_ERROR_INVALID },
    { "{\"identity\": {\"station_name\": false}}", "identity.station_name:",
      FERRY_CONFIG_ERROR_INVALID },
    { "{\"devices\": {}}", "devices:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"devices\": [7]}", "devices[0]:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"devices\": [{\"ae_title\": \"A\"}]}", "devices[0].name:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"devices\": [{\"name\": \"A\"}]}", "devices[0].ae_title:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"devices\": [{\"name\": \"A\", \"ae_title\": \"A\"},"
      "              {\"name\": \"B\", \"ae_title\": \"B\"},"
      "              {\"name\": \"C\", \"ae_title\": \"                 \"}]}",
      "devices[2].ae_title:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"devices\": [{\"name\": \"A\", \"ae_title\": \"A\", \"host\": \"cart.example\"}]}",
      "devices[0].host:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"devices\": [{\"name\": \"A\", \"ae_title\": \"A\", \"host\": \"::1\"}]}",
      "devices[0].host:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"devices\": [{\"name\": \"A\", \"ae_title\": \"A\", \"host\": \"10.0.0.300\"}]}",
      "devices[0].host:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"devices\": [{\"name\": \"A\", \"ae_title\": \"A\", \"character_set\": \"KOI8-R\"}]}",
      "devices[0].character_set:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"devices\": [{\"name\": \"Cart\", \"ae_title\": \"A\"},"
      "              {\"name\": \"Cart\", \"ae_title\": \"B\"}]}",
      "devices[1].name: “Cart”", FERRY_CONFIG_ERROR_INVALID },
    { "{\"devices\": [{\"name\": \"A\", \"ae_title\": \"CART\"},"
      "              {\"name\": \"B\", \"ae_title\": \" CART \"}]}",
      "devices[1].ae_title: “ CART ”", FERRY_CONFIG_ERROR_INVALID },
    { "{\"devices\": [{\"name\": \"A\", \"ae_title\": \"CART\", \"host\": \"10.0.0.1\"},"
      "              {\"name\": \"B\", \"ae_title\": \"CART\", \"host\": \"10.0.0.1\"}]}",
      "devices[1].ae_title:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"version\": 0}", "version:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"version\": \"1\"}", "version:", FERRY_CONFIG_ERROR_INVALID },
    { "[1, 2]", "", FERRY_CONFIG_ERROR_PARSE },
    { "{\"receiver\": ", "", FERRY_CONFIG_ERROR_PARSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(FerryConfig) config = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, cases[i].json);
      config = ferry_config_from_json (cases[i].json, -1, &error);
      g_assert_null (config);
      g_assert_error (error, FERRY_CONFIG_ERROR, cases[i].code);
      g_test_message ("→ %s", error->message);
      g_assert_true (g_str_has_prefix (error->message, cases[i].field));
    }
}

static void
test_same_ae_different_hosts (void)
{
  /* One AE title on two carts is fine when each is bound to its own address. */
  static const char json[] =
    "{\"devices\": [{\"name\": \"A\", \"ae_title\": \"CART\", \"host\": \"10.0.0.1\"},"
    "              {\"name\": \"B\", \"ae_title\": \"CART\", \"host\": \"10.0.0.2\"},"
    "              {\"name\": \"C\", \"ae_title\": \"CART\"}]}";
  g_autoptr(FerryConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  config = ferry_config_from_json (json, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ferry_config_find_device (config, "CART", "10.0.0.2")->name, ==, "B");
  g_assert_cmpstr (ferry_config_find_device (config, "CART", "10.0.0.1")->name, ==, "A");
  g_assert_cmpstr (ferry_config_find_device (config, "CART", "10.0.0.9")->name, ==, "C");
}

typedef struct {
  const char *ae_title;
  const char *message;   /* NULL when valid */
} AeTitleCase;

static void
test_ae_title (void)
{
  static const AeTitleCase cases[] = {
    { "FERRY", NULL },
    { "A", NULL },
    { "0123456789ABCDEF", NULL },
    { "  PADDED_TO_16  ", NULL },
    { "0123456789ABCDEF   ", NULL },
    { "lower case ok", NULL },
    { "US-CART#3 (R12)", NULL },
    { "0123456789ABCDEFG", "AE title is longer than 16 characters" },
    { "", "AE title is empty" },
    { "    ", "AE title must not be only spaces" },
    { "A\\B", "AE title must not contain a backslash" },
    { "A\tB", "AE title must not contain control characters" },
    { "A\nB", "AE title must not contain control characters" },
    { "A\x7f", "AE title must not contain control characters" },
    { "MUÑOZ", "AE title may only contain ASCII letters, digits, spaces and punctuation" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean valid;

      g_test_message ("case %" G_GSIZE_FORMAT ": “%s”", i, cases[i].ae_title);
      valid = ferry_ae_title_validate (cases[i].ae_title, &error);
      if (cases[i].message == NULL)
        {
          g_assert_no_error (error);
          g_assert_true (valid);
        }
      else
        {
          g_assert_false (valid);
          g_assert_error (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_INVALID);
          g_assert_cmpstr (error->message, ==, cases[i].message);
        }
    }
}

static void
test_port (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ferry_port_validate (1, NULL));
  g_assert_true (ferry_port_validate (65535, NULL));
  g_assert_false (ferry_port_validate (65536, NULL));
  g_assert_false (ferry_port_validate (0, &error));
  g_assert_error (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "0 is not a port (1–65535)");
}

static void
assert_only_config_file (const char *path)
{
  g_autofree char *dir_path = g_path_get_dirname (path);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  guint count = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_assert_cmpstr (name, ==, "config.json");
      count++;
    }
  g_assert_cmpuint (count, ==, 1);
}

static void
test_atomic_save (void)
{
  g_autoptr(FerryConfig) config = sample_config ();
  g_autoptr(FerryConfig) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = config_path ();
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_assert_true (ferry_config_save (config, path, &error));
  g_assert_no_error (error);
  assert_only_config_file (path);

  config->port = 4242;
  g_assert_true (ferry_config_save (config, path, &error));
  g_assert_no_error (error);
  assert_only_config_file (path);

  loaded = ferry_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->port, ==, 4242);

  /* An invalid configuration is refused before anything is written. */
  g_assert_true (g_file_get_contents (path, &before, NULL, NULL));
  config->port = 0;
  g_assert_false (ferry_config_save (config, path, &error));
  g_assert_error (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "receiver.port:"));
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (before, ==, after);
  assert_only_config_file (path);
}

static void
test_save_unwritable (void)
{
  g_autoptr(FerryConfig) config = ferry_config_new_default ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "missing-dir",
                                            "config.json", NULL);

  g_assert_false (ferry_config_save (config, path, &error));
  g_assert_error (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_IO);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_newer_version (void)
{
  g_autoptr(FerryConfig) config = NULL;
  g_autoptr(FerryConfig) newer = ferry_config_new_default ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = config_path ();

  g_assert_true (g_file_set_contents (path, "{\"version\": 2, \"receiver\": {\"port\": 104}}",
                                      -1, NULL));
  config = ferry_config_load (path, &error);
  g_assert_null (config);
  g_assert_error (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, "version: the file was written by a newer Ferry"));
  g_clear_error (&error);

  newer->version = FERRY_CONFIG_VERSION + 1;
  g_assert_false (ferry_config_validate (newer, &error));
  g_assert_error (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "newer Ferry"));
}

static void
test_load_errors (void)
{
  g_autoptr(FerryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = config_path ();
  g_autofree char *expected = NULL;

  g_assert_true (g_file_set_contents (path, "this is not json", -1, NULL));
  config = ferry_config_load (path, &error);
  g_assert_null (config);
  g_assert_error (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_PARSE);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (path, "{\"devices\": [{\"name\": \"A\", \"ae_title\": "
                                      "\"A\"}, {\"name\": \"B\", \"ae_title\": \"B\\\\\"}]}",
                                      -1, NULL));
  config = ferry_config_load (path, &error);
  g_assert_null (config);
  g_assert_error (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_INVALID);
  expected = g_strdup_printf ("%s: devices[1].ae_title: AE title must not contain a backslash",
                              path);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);

  /* A directory where the file should be cannot be read. */
  g_assert_no_errno (g_unlink (path));
  g_assert_no_errno (g_mkdir (path, 0700));
  config = ferry_config_load (path, &error);
  g_assert_null (config);
  g_assert_error (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, path));
}

static void
test_find_device (void)
{
  g_autoptr(FerryConfig) config = sample_config ();

  /* Bound to a host: only from that address. */
  g_assert_nonnull (ferry_config_find_device (config, "US_CART3", "10.0.0.5"));
  g_assert_nonnull (ferry_config_find_device (config, "US_CART3", "::ffff:10.0.0.5"));
  g_assert_null (ferry_config_find_device (config, "US_CART3", "10.0.0.6"));
  g_assert_null (ferry_config_find_device (config, "US_CART3", NULL));

  /* Not bound: from anywhere; AE titles trimmed but case-sensitive. */
  g_assert_cmpstr (ferry_config_find_device (config, "ENDO", "192.168.1.1")->name, ==,
                   "Endoscopy");
  g_assert_cmpstr (ferry_config_find_device (config, "ENDO            ", NULL)->name, ==,
                   "Endoscopy");
  g_assert_cmpstr (ferry_config_find_device (config, " ENDO", "10.0.0.5")->name, ==,
                   "Endoscopy");
  g_assert_null (ferry_config_find_device (config, "endo", "192.168.1.1"));
  g_assert_null (ferry_config_find_device (config, "UNKNOWN", "10.0.0.5"));
}

static void
test_device_copy (void)
{
  g_autoptr(FerryDevice) device = ferry_device_new ("Cart", "CART", NULL, "ISO_IR 192");
  g_autoptr(FerryDevice) copy = ferry_device_copy (device);

  g_assert_true (copy != device);
  g_assert_cmpstr (copy->name, ==, "Cart");
  g_assert_cmpstr (copy->ae_title, ==, "CART");
  g_assert_null (copy->host);
  g_assert_cmpstr (copy->character_set, ==, "ISO_IR 192");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/ferry/core/config/defaults", test_defaults);
  g_test_add_func ("/ferry/core/config/parse-example", test_parse_example);
  g_test_add_func ("/ferry/core/config/round-trip", test_round_trip);
  g_test_add_func ("/ferry/core/config/invalid-fields", test_invalid_fields);
  g_test_add_func ("/ferry/core/config/same-ae-different-hosts", test_same_ae_different_hosts);
  g_test_add_func ("/ferry/core/config/ae-title", test_ae_title);
  g_test_add_func ("/ferry/core/config/port", test_port);
  g_test_add_func ("/ferry/core/config/atomic-save", test_atomic_save);
  g_test_add_func ("/ferry/core/config/save-unwritable", test_save_unwritable);
  g_test_add_func ("/ferry/core/config/newer-version", test_newer_version);
  g_test_add_func ("/ferry/core/config/load-errors", test_load_errors);
  g_test_add_func ("/ferry/core/config/find-device", test_find_device);
  g_test_add_func ("/ferry/core/config/device-copy", test_device_copy);

  return g_test_run ();
}
