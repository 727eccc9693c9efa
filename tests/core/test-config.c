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

/* Every field of the delivery settings set to something other than its default. */
static FerryConfig *
full_config (void)
{
  FerryConfig *config = sample_config ();
  FerryDestination *destination;
  FerryDevice *device;
  FerryRule *rule;

  destination = ferry_destination_new ("PACS cardiología", "CARDIO_PACS", "pacs.example.org",
                                       4242);
  destination->specialties = g_strsplit ("Cardiology|Echocardiography", "|", -1);
  destination->character_set = g_strdup ("ISO_IR 100");
  destination->decompress = TRUE;
  destination->max_associations = 5;
  destination->retry_interval_seconds = 900;
  destination->retry_days = 2;
  destination->is_default = TRUE;
  destination->verified = TRUE;
  g_ptr_array_add (config->destinations, destination);
  g_ptr_array_add (config->destinations, ferry_destination_new ("Archive", "ARCHIVE", "10.0.0.9",
                                                                104));

  device = g_ptr_array_index (config->devices, 0);
  device->specialty = g_strdup ("Cardiology");
  device->physician_tag = FERRY_PHYSICIAN_TAG_OPERATOR;
  device->destinations = g_strsplit ("PACS cardiología|Archive", "|", -1);

  rule = ferry_rule_new ("Echo to cardiology");
  rule->enabled = FALSE;
  g_ptr_array_add (rule->conditions, ferry_condition_new ("Modality", FERRY_MATCH_EQUALS, "US"));
  g_ptr_array_add (rule->conditions, ferry_condition_new ("0008,1030", FERRY_MATCH_STARTS_WITH,
                                                          "ECHO"));
  g_ptr_array_add (rule->conditions, ferry_condition_new ("StationName", FERRY_MATCH_REGEX,
                                                          "^CART[0-9]+$"));
  rule->destinations = g_strsplit ("PACS cardiología", "|", -1);
  g_ptr_array_add (rule->coercions, ferry_coercion_new (FERRY_COERCE_SET, "InstitutionName",
                                                        "Hospital Niño Jesús"));
  g_ptr_array_add (rule->coercions, ferry_coercion_new (FERRY_COERCE_SET, "StudyDescription",
                                                        ""));
  g_ptr_array_add (rule->coercions, ferry_coercion_new (FERRY_COERCE_COPY, "PatientID",
                                                        "AccessionNumber"));
  g_ptr_array_add (rule->coercions, ferry_coercion_new (FERRY_COERCE_REMOVE, "(0010,1000)",
                                                        NULL));
  g_ptr_array_add (config->rules, rule);

  rule = ferry_rule_new ("Everything to the archive");
  rule->destinations = g_strsplit ("Archive|PACS cardiología", "|", -1);
  g_ptr_array_add (config->rules, rule);

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
  g_assert_cmpuint (config->destinations->len, ==, 0);
  g_assert_cmpuint (config->rules->len, ==, 0);
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
  g_assert_cmpint (json_object_get_int_member (root, "version"), ==, FERRY_CONFIG_VERSION);
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

  g_assert_true (g_file_set_contents (path, "{\"version\": 3, \"receiver\": {\"port\": 104}}",
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

static void
test_new_defaults (void)
{
  g_autoptr(FerryDevice) device = ferry_device_new ("Cart", "CART", NULL, NULL);
  g_autoptr(FerryDestination) destination = ferry_destination_new ("PACS", "PACS", "pacs", 104);
  g_autoptr(FerryRule) rule = ferry_rule_new ("Rule");

  g_assert_cmpint (device->physician_tag, ==, FERRY_PHYSICIAN_TAG_PERFORMING);
  g_assert_null (device->specialty);
  g_assert_null (device->destinations);

  g_assert_cmpuint (destination->port, ==, 104);
  g_assert_cmpuint (destination->max_associations, ==, 2);
  g_assert_cmpuint (destination->retry_interval_seconds, ==, 300);
  g_assert_cmpuint (destination->retry_days, ==, 4);
  g_assert_false (destination->decompress);
  g_assert_false (destination->is_default);
  g_assert_false (destination->verified);
  g_assert_null (destination->specialties);
  g_assert_null (destination->character_set);

  g_assert_true (rule->enabled);
  g_assert_cmpuint (rule->conditions->len, ==, 0);
  g_assert_cmpuint (rule->coercions->len, ==, 0);
}

static void
test_enum_strings (void)
{
  static const char *const tags[] = {
    "performing", "referring", "operator", "reading", "telecom", "none",
  };
  static const char *const keywords[] = {
    "PerformingPhysicianName", "ReferringPhysicianName", "OperatorsName",
    "NameOfPhysiciansReadingStudy", "PersonTelecomInformation", NULL,
  };

  for (int i = 0; i < (int) G_N_ELEMENTS (tags); i++)
    {
      g_assert_cmpstr (ferry_physician_tag_to_string (i), ==, tags[i]);
      g_assert_cmpint (ferry_physician_tag_from_string (tags[i]), ==, i);
      g_assert_cmpstr (ferry_physician_tag_keyword (i), ==, keywords[i]);
    }
  g_assert_null (ferry_physician_tag_to_string (G_N_ELEMENTS (tags)));
  g_assert_cmpint (ferry_physician_tag_from_string ("Performing"), ==, -1);
  g_assert_cmpint (ferry_physician_tag_from_string (NULL), ==, -1);

  g_assert_cmpstr (ferry_match_op_to_string (FERRY_MATCH_EQUALS), ==, "equals");
  g_assert_cmpstr (ferry_match_op_to_string (FERRY_MATCH_STARTS_WITH), ==, "starts-with");
  g_assert_cmpstr (ferry_match_op_to_string (FERRY_MATCH_REGEX), ==, "regex");
  g_assert_cmpint (ferry_match_op_from_string ("starts-with"), ==, FERRY_MATCH_STARTS_WITH);
  g_assert_cmpint (ferry_match_op_from_string ("contains"), ==, -1);

  g_assert_cmpstr (ferry_coercion_action_to_string (FERRY_COERCE_SET), ==, "set");
  g_assert_cmpstr (ferry_coercion_action_to_string (FERRY_COERCE_COPY), ==, "copy");
  g_assert_cmpstr (ferry_coercion_action_to_string (FERRY_COERCE_REMOVE), ==, "remove");
  g_assert_cmpint (ferry_coercion_action_from_string ("remove"), ==, FERRY_COERCE_REMOVE);
  g_assert_cmpint (ferry_coercion_action_from_string ("delete"), ==, -1);
}

static JsonObject *
array_object (JsonObject *object,
              const char *member,
              guint       index)
{
  return json_array_get_object_element (json_object_get_array_member (object, member), index);
}

static void
test_round_trip_delivery (void)
{
  g_autoptr(FerryConfig) config = full_config ();
  g_autoptr(FerryConfig) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *path = config_path ();
  const FerryDestination *destination;
  const FerryDevice *device;
  const FerryRule *rule;
  const FerryCondition *condition;
  const FerryCoercion *coercion;
  JsonObject *root;
  JsonObject *object;
  JsonArray *array;

  g_assert_true (ferry_config_validate (config, &error));
  g_assert_no_error (error);
  g_assert_true (ferry_config_save (config, path, &error));
  g_assert_no_error (error);
  loaded = ferry_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_config_equal (config, loaded));

  /* Each field read back, not only compared. */
  g_assert_cmpuint (loaded->destinations->len, ==, 2);
  destination = g_ptr_array_index (loaded->destinations, 0);
  g_assert_cmpstr (destination->name, ==, "PACS cardiología");
  g_assert_cmpstr (destination->ae_title, ==, "CARDIO_PACS");
  g_assert_cmpstr (destination->host, ==, "pacs.example.org");
  g_assert_cmpuint (destination->port, ==, 4242);
  g_assert_cmpuint (g_strv_length (destination->specialties), ==, 2);
  g_assert_cmpstr (destination->specialties[1], ==, "Echocardiography");
  g_assert_cmpstr (destination->character_set, ==, "ISO_IR 100");
  g_assert_true (destination->decompress);
  g_assert_cmpuint (destination->max_associations, ==, 5);
  g_assert_cmpuint (destination->retry_interval_seconds, ==, 900);
  g_assert_cmpuint (destination->retry_days, ==, 2);
  g_assert_true (destination->is_default);
  g_assert_true (destination->verified);
  destination = g_ptr_array_index (loaded->destinations, 1);
  g_assert_null (destination->specialties);
  g_assert_null (destination->character_set);
  g_assert_cmpuint (destination->max_associations, ==, 2);

  device = g_ptr_array_index (loaded->devices, 0);
  g_assert_cmpstr (device->specialty, ==, "Cardiology");
  g_assert_cmpint (device->physician_tag, ==, FERRY_PHYSICIAN_TAG_OPERATOR);
  g_assert_cmpuint (g_strv_length (device->destinations), ==, 2);
  g_assert_cmpstr (device->destinations[1], ==, "Archive");
  device = g_ptr_array_index (loaded->devices, 1);
  g_assert_null (device->specialty);
  g_assert_cmpint (device->physician_tag, ==, FERRY_PHYSICIAN_TAG_PERFORMING);
  g_assert_null (device->destinations);

  g_assert_cmpuint (loaded->rules->len, ==, 2);
  rule = g_ptr_array_index (loaded->rules, 0);
  g_assert_cmpstr (rule->name, ==, "Echo to cardiology");
  g_assert_false (rule->enabled);
  g_assert_cmpuint (rule->conditions->len, ==, 3);
  condition = g_ptr_array_index (rule->conditions, 1);
  g_assert_cmpstr (condition->tag, ==, "0008,1030");
  g_assert_cmpint (condition->op, ==, FERRY_MATCH_STARTS_WITH);
  g_assert_cmpstr (condition->value, ==, "ECHO");
  condition = g_ptr_array_index (rule->conditions, 2);
  g_assert_cmpint (condition->op, ==, FERRY_MATCH_REGEX);
  g_assert_cmpuint (g_strv_length (rule->destinations), ==, 1);
  g_assert_cmpuint (rule->coercions->len, ==, 4);
  coercion = g_ptr_array_index (rule->coercions, 1);
  g_assert_cmpint (coercion->action, ==, FERRY_COERCE_SET);
  g_assert_cmpstr (coercion->value, ==, "");
  coercion = g_ptr_array_index (rule->coercions, 2);
  g_assert_cmpint (coercion->action, ==, FERRY_COERCE_COPY);
  g_assert_cmpstr (coercion->tag, ==, "PatientID");
  g_assert_cmpstr (coercion->value, ==, "AccessionNumber");
  coercion = g_ptr_array_index (rule->coercions, 3);
  g_assert_cmpint (coercion->action, ==, FERRY_COERCE_REMOVE);
  g_assert_null (coercion->value);
  rule = g_ptr_array_index (loaded->rules, 1);
  g_assert_true (rule->enabled);
  g_assert_cmpuint (rule->conditions->len, ==, 0);

  /* The names other programs (and the integration tests) read. */
  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  object = array_object (root, "destinations", 0);
  g_assert_cmpstr (json_object_get_string_member (object, "name"), ==, "PACS cardiología");
  g_assert_cmpstr (json_object_get_string_member (object, "ae_title"), ==, "CARDIO_PACS");
  g_assert_cmpstr (json_object_get_string_member (object, "host"), ==, "pacs.example.org");
  g_assert_cmpint (json_object_get_int_member (object, "port"), ==, 4242);
  array = json_object_get_array_member (object, "specialties");
  g_assert_cmpstr (json_array_get_string_element (array, 0), ==, "Cardiology");
  g_assert_cmpstr (json_object_get_string_member (object, "character_set"), ==, "ISO_IR 100");
  g_assert_true (json_object_get_boolean_member (object, "decompress"));
  g_assert_cmpint (json_object_get_int_member (object, "max_associations"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (object, "retry_interval_seconds"), ==, 900);
  g_assert_cmpint (json_object_get_int_member (object, "retry_days"), ==, 2);
  g_assert_true (json_object_get_boolean_member (object, "default"));
  g_assert_true (json_object_get_boolean_member (object, "verified"));

  object = array_object (root, "devices", 0);
  g_assert_cmpstr (json_object_get_string_member (object, "specialty"), ==, "Cardiology");
  g_assert_cmpstr (json_object_get_string_member (object, "physician_tag"), ==, "operator");
  array = json_object_get_array_member (object, "destinations");
  g_assert_cmpstr (json_array_get_string_element (array, 0), ==, "PACS cardiología");

  object = array_object (root, "rules", 0);
  g_assert_cmpstr (json_object_get_string_member (object, "name"), ==, "Echo to cardiology");
  g_assert_false (json_object_get_boolean_member (object, "enabled"));
  g_assert_cmpstr (json_object_get_string_member (array_object (object, "conditions", 1),
                                                  "match"), ==, "starts-with");
  g_assert_cmpstr (json_object_get_string_member (array_object (object, "conditions", 2),
                                                  "value"), ==, "^CART[0-9]+$");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (object,
                                                                                "destinations"),
                                                  0), ==, "PACS cardiología");
  g_assert_cmpstr (json_object_get_string_member (array_object (object, "coercions", 2),
                                                  "action"), ==, "copy");
  g_assert_cmpstr (json_object_get_string_member (array_object (object, "coercions", 0),
                                                  "tag"), ==, "InstitutionName");
  g_assert_false (json_object_has_member (array_object (object, "coercions", 3), "value"));
}

static void
test_version_1 (void)
{
  /* The example of HACKING.md, as Ferry 0.1 wrote it. */
  static const char json[] =
    "{\"version\": 1,\n"
    " \"receiver\": {\"ae_title\": \"FERRY\", \"port\": 11112, \"max_associations\": 8,\n"
    "              \"timeout_seconds\": 60, \"accept_unknown_devices\": true,\n"
    "              \"disk_reserve_mb\": 256},\n"
    " \"identity\": {\"sender_ae_title\": \"FERRY\", \"institution_name\": \"\",\n"
    "              \"station_name\": \"\"},\n"
    " \"devices\": [{\"name\": \"Cart 3\", \"ae_title\": \"US_CART3\", \"host\": \"10.0.0.23\",\n"
    "               \"character_set\": \"ISO_IR 100\"}]}";
  g_autoptr(FerryConfig) config = NULL;
  g_autoptr(FerryConfig) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *path = config_path ();
  const FerryDevice *device;
  JsonObject *root;

  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  config = ferry_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (config->version, ==, FERRY_CONFIG_VERSION);
  g_assert_cmpuint (config->destinations->len, ==, 0);
  g_assert_cmpuint (config->rules->len, ==, 0);
  device = g_ptr_array_index (config->devices, 0);
  g_assert_cmpstr (device->host, ==, "10.0.0.23");
  g_assert_null (device->specialty);
  g_assert_cmpint (device->physician_tag, ==, FERRY_PHYSICIAN_TAG_PERFORMING);
  g_assert_null (device->destinations);

  /* Written back in the current version, with the new fields. */
  g_assert_true (ferry_config_save (config, path, &error));
  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (root, "version"), ==, 2);
  g_assert_true (json_object_has_member (root, "destinations"));
  g_assert_true (json_object_has_member (root, "rules"));
  g_assert_cmpstr (json_object_get_string_member (array_object (root, "devices", 0),
                                                  "physician_tag"), ==, "performing");

  loaded = ferry_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_config_equal (config, loaded));
}

/* Wraps JSON for a destination list, with a valid first destination "PACS A". */
#define DEST_A "{\"name\": \"PACS A\", \"ae_title\": \"PACS_A\", \"host\": \"10.0.0.1\", \"port\": 104}"
#define DEST(extra) "{\"destinations\": [" DEST_A ", {\"name\": \"PACS B\", \"ae_title\": " \
                    "\"PACS_B\", \"host\": \"pacs-b.example\", \"port\": 104" extra "}]}"
#define RULE(extra) "{\"destinations\": [" DEST_A "], \"rules\": [{\"name\": \"R\", " \
                    "\"destinations\": [\"PACS A\"]" extra "}]}"

static void
test_invalid_delivery_fields (void)
{
  static const InvalidCase cases[] = {
    /* Destinations. */
    { "{\"destinations\": {}}", "destinations:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"destinations\": [1]}", "destinations[0]:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"destinations\": [{\"ae_title\": \"A\", \"host\": \"h\", \"port\": 104}]}",
      "destinations[0].name: a destination needs a name", FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"name\": \"  \""), "destinations[1].name:", FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"name\": \"pacs a\""),
      "destinations[1].name: “pacs a” is already the name of destinations[0]",
      FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"ae_title\": \"TOO_LONG_AE_TITLE_X\""),
      "destinations[1].ae_title: AE title is longer than 16 characters",
      FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"ae_title\": \"A\\\\B\""), "destinations[1].ae_title:",
      FERRY_CONFIG_ERROR_INVALID },
    { "{\"destinations\": [{\"name\": \"A\", \"ae_title\": \"A\", \"port\": 104}]}",
      "destinations[0].host:", FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"host\": \"\""), "destinations[1].host:", FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"host\": \"pacs b\""),
      "destinations[1].host: “pacs b” must not contain spaces or control characters",
      FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"host\": \"pacs\\tb\""), "destinations[1].host:", FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"host\": \"10.0.0.300\""), "destinations[1].host:", FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"host\": \"pacs/b\""), "destinations[1].host:", FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"host\": \"-pacs\""), "destinations[1].host:", FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"host\": \"pacs..example\""), "destinations[1].host:",
      FERRY_CONFIG_ERROR_INVALID },
    { "{\"destinations\": [{\"name\": \"A\", \"ae_title\": \"A\", \"host\": \"h\"}]}",
      "destinations[0].port: a destination needs a port", FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"port\": 0"), "destinations[1].port: 0 is not a port",
      FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"port\": 65536"), "destinations[1].port:", FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"port\": \"104\""), "destinations[1].port:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"destinations\": [" DEST_A ", {\"name\": \"B\", \"ae_title\": \" PACS_A\", "
      "\"host\": \"10.0.0.1\", \"port\": 104}]}",
      "destinations[1].ae_title: “ PACS_A” at 10.0.0.1:104 is already used by destinations[0] "
      "(“PACS A”)", FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"max_associations\": 0"), "destinations[1].max_associations:",
      FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"max_associations\": 17"), "destinations[1].max_associations:",
      FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"retry_interval_seconds\": 0"), "destinations[1].retry_interval_seconds:",
      FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"retry_interval_seconds\": 86401"), "destinations[1].retry_interval_seconds:",
      FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"retry_interval_seconds\": -1"), "destinations[1].retry_interval_seconds:",
      FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"retry_days\": 0"), "destinations[1].retry_days:", FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"retry_days\": 5"), "destinations[1].retry_days:", FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"character_set\": \"KOI8-R\""), "destinations[1].character_set:",
      FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"specialties\": \"Cardiology\""), "destinations[1].specialties:",
      FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"specialties\": [\"A\", 2]"), "destinations[1].specialties[1]:",
      FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"decompress\": \"yes\""), "destinations[1].decompress:",
      FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"default\": 1"), "destinations[1].default:", FERRY_CONFIG_ERROR_INVALID },
    { DEST (", \"verified\": null"), "destinations[1].verified:", FERRY_CONFIG_ERROR_INVALID },

    /* Devices. */
    { "{\"devices\": [{\"name\": \"A\", \"ae_title\": \"A\", \"physician_tag\": \"surgeon\"}]}",
      "devices[0].physician_tag: “surgeon” is not one of performing, referring, operator, "
      "reading, telecom, none", FERRY_CONFIG_ERROR_INVALID },
    { "{\"devices\": [{\"name\": \"A\", \"ae_title\": \"A\", \"specialty\": 3}]}",
      "devices[0].specialty:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"destinations\": [" DEST_A "], \"devices\": [{\"name\": \"A\", \"ae_title\": \"A\", "
      "\"destinations\": [\"PACS A\", \"PACS Z\"]}]}",
      "devices[0].destinations[1]: there is no destination named “PACS Z”",
      FERRY_CONFIG_ERROR_INVALID },
    { "{\"devices\": [{\"name\": \"A\", \"ae_title\": \"A\", \"destinations\": \"PACS A\"}]}",
      "devices[0].destinations:", FERRY_CONFIG_ERROR_INVALID },

    /* Rules. */
    { "{\"rules\": {}}", "rules:", FERRY_CONFIG_ERROR_INVALID },
    { RULE (", \"name\": \"\""), "rules[0].name: a rule needs a name",
      FERRY_CONFIG_ERROR_INVALID },
    { "{\"rules\": [{\"destinations\": []}]}", "rules[0].name:", FERRY_CONFIG_ERROR_INVALID },
    { "{\"rules\": [{\"name\": \"R\"}]}",
      "rules[0].destinations: a rule needs at least one destination",
      FERRY_CONFIG_ERROR_INVALID },
    { "{\"rules\": [{\"name\": \"R\", \"destinations\": []}]}", "rules[0].destinations:",
      FERRY_CONFIG_ERROR_INVALID },
    { "{\"rules\": [{\"name\": \"R\", \"destinations\": [\"Nowhere\"]}]}",
      "rules[0].destinations[0]: there is no destination named “Nowhere”",
      FERRY_CONFIG_ERROR_INVALID },
    { RULE (", \"enabled\": \"no\""), "rules[0].enabled:", FERRY_CONFIG_ERROR_INVALID },
    { RULE (", \"conditions\": [{\"tag\": \"NoSuchKeyword\", \"value\": \"x\"}]"),
      "rules[0].conditions[0].tag: “NoSuchKeyword” is not a DICOM attribute",
      FERRY_CONFIG_ERROR_INVALID },
    { RULE (", \"conditions\": [{\"tag\": \"Modality\", \"value\": \"US\"},"
            "                   {\"tag\": \"0008,10\", \"value\": \"x\"}]"),
      "rules[0].conditions[1].tag:", FERRY_CONFIG_ERROR_INVALID },
    { RULE (", \"conditions\": [{\"value\": \"x\"}]"), "rules[0].conditions[0].tag:",
      FERRY_CONFIG_ERROR_INVALID },
    { RULE (", \"conditions\": [{\"tag\": \"Modality\", \"match\": \"contains\", "
            "\"value\": \"x\"}]"),
      "rules[0].conditions[0].match: “contains” is not one of equals, starts-with, regex",
      FERRY_CONFIG_ERROR_INVALID },
    { RULE (", \"conditions\": [{\"tag\": \"Modality\"}]"),
      "rules[0].conditions[0].value: a condition needs a value", FERRY_CONFIG_ERROR_INVALID },
    { RULE (", \"conditions\": [{\"tag\": \"Modality\", \"match\": \"regex\", "
            "\"value\": \"US(\"}]"),
      "rules[0].conditions[0].value: not a valid regular expression: ",
      FERRY_CONFIG_ERROR_INVALID },
    { RULE (", \"conditions\": {}"), "rules[0].conditions:", FERRY_CONFIG_ERROR_INVALID },
    { RULE (", \"coercions\": [{\"tag\": \"PatientID\", \"value\": \"x\"}]"),
      "rules[0].coercions[0].action:", FERRY_CONFIG_ERROR_INVALID },
    { RULE (", \"coercions\": [{\"action\": \"rename\", \"tag\": \"PatientID\"}]"),
      "rules[0].coercions[0].action: “rename” is not one of set, copy, remove",
      FERRY_CONFIG_ERROR_INVALID },
    { RULE (", \"coercions\": [{\"action\": \"set\", \"tag\": \"Patient ID\", "
            "\"value\": \"x\"}]"),
      "rules[0].coercions[0].tag:", FERRY_CONFIG_ERROR_INVALID },
    { RULE (", \"coercions\": [{\"action\": \"set\", \"tag\": \"PatientID\"}]"),
      "rules[0].coercions[0].value:", FERRY_CONFIG_ERROR_INVALID },
    { RULE (", \"coercions\": [{\"action\": \"copy\", \"tag\": \"PatientID\", "
            "\"value\": \"Accession\"}]"),
      "rules[0].coercions[0].value: “Accession” is not a DICOM attribute",
      FERRY_CONFIG_ERROR_INVALID },
    { RULE (", \"coercions\": [{\"action\": \"copy\", \"tag\": \"PatientID\"}]"),
      "rules[0].coercions[0].value:", FERRY_CONFIG_ERROR_INVALID },
    { RULE (", \"coercions\": [{\"action\": \"remove\", \"tag\": \"PatientID\", "
            "\"value\": \"x\"}]"),
      "rules[0].coercions[0].value: “remove” takes no value", FERRY_CONFIG_ERROR_INVALID },
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
      if (!g_str_has_prefix (error->message, cases[i].field))
        g_error ("case %" G_GSIZE_FORMAT ": “%s” does not start with “%s”", i, error->message,
                 cases[i].field);
    }
}

typedef struct {
  const char *name;
  void (*mutate) (FerryConfig *config);
} ValidCase;

static void
valid_ipv6 (FerryConfig *config)
{
  FerryDestination *d = g_ptr_array_index (config->destinations, 1);

  g_free (d->host);
  d->host = g_strdup ("fd00::1");
}

static void
valid_same_ae_other_port (FerryConfig *config)
{
  FerryDestination *d = g_ptr_array_index (config->destinations, 1);

  /* One PACS listening on two ports is two destinations. */
  g_free (d->ae_title);
  d->ae_title = g_strdup ("CARDIO_PACS");
  g_free (d->host);
  d->host = g_strdup ("PACS.example.org");
}

static void
valid_reference_other_case (FerryConfig *config)
{
  FerryDevice *device = g_ptr_array_index (config->devices, 0);

  g_free (device->destinations[1]);
  device->destinations[1] = g_strdup ("ARCHIVE");
}

static void
valid_remove_empty_value (FerryConfig *config)
{
  FerryRule *rule = g_ptr_array_index (config->rules, 0);
  FerryCoercion *coercion = g_ptr_array_index (rule->coercions, 3);

  coercion->value = g_strdup ("");
}

static void
valid_no_conditions_physician_none (FerryConfig *config)
{
  FerryRule *rule = g_ptr_array_index (config->rules, 0);
  FerryDevice *device = g_ptr_array_index (config->devices, 0);

  g_ptr_array_set_size (rule->conditions, 0);
  device->physician_tag = FERRY_PHYSICIAN_TAG_NONE;
}

static void
test_valid_delivery (void)
{
  static const ValidCase cases[] = {
    { "IPv6 host", valid_ipv6 },
    { "same AE title and host on another port", valid_same_ae_other_port },
    { "reference in another case", valid_reference_other_case },
    { "remove with an empty value", valid_remove_empty_value },
    { "rule without conditions, no physician tag", valid_no_conditions_physician_none },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(FerryConfig) config = full_config ();
      g_autoptr(GError) error = NULL;

      g_test_message ("case %s", cases[i].name);
      cases[i].mutate (config);
      g_assert_true (ferry_config_validate (config, &error));
      g_assert_no_error (error);
    }
}

/* Each changes one field of full_config(); equal() must notice and copy() must carry it. */
#define DESTINATION(c) ((FerryDestination *) g_ptr_array_index ((c)->destinations, 0))
#define DEVICE(c) ((FerryDevice *) g_ptr_array_index ((c)->devices, 0))
#define RULE0(c) ((FerryRule *) g_ptr_array_index ((c)->rules, 0))
#define CONDITION(c) ((FerryCondition *) g_ptr_array_index (RULE0 (c)->conditions, 0))
#define COERCION(c) ((FerryCoercion *) g_ptr_array_index (RULE0 (c)->coercions, 0))

static void replace (char **field, const char *value) { g_free (*field); *field = g_strdup (value); }

static void m_dest_name (FerryConfig *c) { replace (&DESTINATION (c)->name, "Other"); }
static void m_dest_ae (FerryConfig *c) { replace (&DESTINATION (c)->ae_title, "OTHER"); }
static void m_dest_host (FerryConfig *c) { replace (&DESTINATION (c)->host, "other"); }
static void m_dest_port (FerryConfig *c) { DESTINATION (c)->port++; }
static void m_dest_specialties (FerryConfig *c) { replace (&DESTINATION (c)->specialties[1], "X"); }
static void m_dest_specialties_len (FerryConfig *c) { g_clear_pointer (&DESTINATION (c)->specialties, g_strfreev); }
static void m_dest_charset (FerryConfig *c) { replace (&DESTINATION (c)->character_set, NULL); }
static void m_dest_decompress (FerryConfig *c) { DESTINATION (c)->decompress = FALSE; }
static void m_dest_max (FerryConfig *c) { DESTINATION (c)->max_associations++; }
static void m_dest_interval (FerryConfig *c) { DESTINATION (c)->retry_interval_seconds++; }
static void m_dest_days (FerryConfig *c) { DESTINATION (c)->retry_days++; }
static void m_dest_default (FerryConfig *c) { DESTINATION (c)->is_default = FALSE; }
static void m_dest_verified (FerryConfig *c) { DESTINATION (c)->verified = FALSE; }
static void m_dest_removed (FerryConfig *c) { g_ptr_array_remove_index (c->destinations, 1); }
static void m_dev_specialty (FerryConfig *c) { replace (&DEVICE (c)->specialty, "Radiology"); }
static void m_dev_tag (FerryConfig *c) { DEVICE (c)->physician_tag = FERRY_PHYSICIAN_TAG_READING; }
static void m_dev_destinations (FerryConfig *c) { replace (&DEVICE (c)->destinations[0], "Archive"); }
static void m_dev_destinations_len (FerryConfig *c) { g_clear_pointer (&DEVICE (c)->destinations, g_strfreev); }
static void m_rule_name (FerryConfig *c) { replace (&RULE0 (c)->name, "Other"); }
static void m_rule_enabled (FerryConfig *c) { RULE0 (c)->enabled = TRUE; }
static void m_rule_destinations (FerryConfig *c) { replace (&RULE0 (c)->destinations[0], "Archive"); }
static void m_rule_removed (FerryConfig *c) { g_ptr_array_remove_index (c->rules, 1); }
static void m_cond_tag (FerryConfig *c) { replace (&CONDITION (c)->tag, "StationName"); }
static void m_cond_op (FerryConfig *c) { CONDITION (c)->op = FERRY_MATCH_REGEX; }
static void m_cond_value (FerryConfig *c) { replace (&CONDITION (c)->value, "CT"); }
static void m_cond_removed (FerryConfig *c) { g_ptr_array_remove_index (RULE0 (c)->conditions, 2); }
static void m_coer_action (FerryConfig *c) { COERCION (c)->action = FERRY_COERCE_COPY; }
static void m_coer_tag (FerryConfig *c) { replace (&COERCION (c)->tag, "StationName"); }
static void m_coer_value (FerryConfig *c) { replace (&COERCION (c)->value, "Other"); }
static void m_coer_removed (FerryConfig *c) { g_ptr_array_remove_index (RULE0 (c)->coercions, 0); }

static void
test_equal_copy (void)
{
  static const ValidCase cases[] = {
    { "destination name", m_dest_name }, { "destination ae_title", m_dest_ae },
    { "destination host", m_dest_host }, { "destination port", m_dest_port },
    { "destination specialties", m_dest_specialties },
    { "destination specialties removed", m_dest_specialties_len },
    { "destination character_set", m_dest_charset },
    { "destination decompress", m_dest_decompress },
    { "destination max_associations", m_dest_max },
    { "destination retry_interval_seconds", m_dest_interval },
    { "destination retry_days", m_dest_days }, { "destination default", m_dest_default },
    { "destination verified", m_dest_verified }, { "a destination fewer", m_dest_removed },
    { "device specialty", m_dev_specialty }, { "device physician_tag", m_dev_tag },
    { "device destinations", m_dev_destinations },
    { "device destinations removed", m_dev_destinations_len },
    { "rule name", m_rule_name }, { "rule enabled", m_rule_enabled },
    { "rule destinations", m_rule_destinations }, { "a rule fewer", m_rule_removed },
    { "condition tag", m_cond_tag }, { "condition match", m_cond_op },
    { "condition value", m_cond_value }, { "a condition fewer", m_cond_removed },
    { "coercion action", m_coer_action }, { "coercion tag", m_coer_tag },
    { "coercion value", m_coer_value }, { "a coercion fewer", m_coer_removed },
  };
  g_autoptr(FerryConfig) original = full_config ();

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(FerryConfig) changed = full_config ();
      g_autoptr(FerryConfig) copy = NULL;

      g_test_message ("case %s", cases[i].name);
      g_assert_true (ferry_config_equal (original, changed));
      cases[i].mutate (changed);
      g_assert_false (ferry_config_equal (original, changed));
      g_assert_false (ferry_config_equal (changed, original));

      copy = ferry_config_copy (changed);
      g_assert_true (ferry_config_equal (copy, changed));
      g_assert_false (ferry_config_equal (copy, original));
    }

  /* A copy shares nothing with its original. */
  {
    g_autoptr(FerryConfig) copy = ferry_config_copy (original);
    g_autoptr(FerryDestination) destination = ferry_destination_copy (DESTINATION (original));
    g_autoptr(FerryRule) rule = ferry_rule_copy (RULE0 (original));
    g_autoptr(FerryDevice) device = ferry_device_copy (DEVICE (original));

    g_assert_true (DESTINATION (copy) != DESTINATION (original));
    g_assert_true (DESTINATION (copy)->specialties != DESTINATION (original)->specialties);
    g_assert_true (DEVICE (copy)->destinations != DEVICE (original)->destinations);
    g_assert_true (CONDITION (copy) != CONDITION (original));
    g_assert_true (COERCION (copy) != COERCION (original));
    g_assert_cmpstr (destination->specialties[0], ==, "Cardiology");
    g_assert_cmpuint (destination->retry_interval_seconds, ==, 900);
    g_assert_true (destination->verified);
    g_assert_false (rule->enabled);
    g_assert_cmpuint (rule->conditions->len, ==, 3);
    g_assert_cmpuint (rule->coercions->len, ==, 4);
    g_assert_cmpstr (rule->destinations[0], ==, "PACS cardiología");
    g_assert_cmpstr (device->specialty, ==, "Cardiology");
    g_assert_cmpint (device->physician_tag, ==, FERRY_PHYSICIAN_TAG_OPERATOR);
    g_assert_cmpstr (device->destinations[1], ==, "Archive");
  }
}

static void
test_find_destination (void)
{
  g_autoptr(FerryConfig) config = full_config ();
  g_autoptr(GPtrArray) defaults = NULL;

  g_assert_cmpstr (ferry_config_find_destination (config, "archive")->name, ==, "Archive");
  g_assert_cmpstr (ferry_config_find_destination (config, "PACS CARDIOLOGÍA")->name, ==,
                   "PACS cardiología");
  g_assert_null (ferry_config_find_destination (config, "Archive 2"));

  defaults = ferry_config_dup_default_destinations (config);
  g_assert_cmpuint (defaults->len, ==, 1);
  g_assert_true (g_ptr_array_index (defaults, 0) == g_ptr_array_index (config->destinations, 0));
  g_clear_pointer (&defaults, g_ptr_array_unref);

  DESTINATION (config)->is_default = FALSE;
  ((FerryDestination *) g_ptr_array_index (config->destinations, 1))->is_default = TRUE;
  defaults = ferry_config_dup_default_destinations (config);
  g_assert_cmpuint (defaults->len, ==, 1);
  g_assert_cmpstr (((FerryDestination *) g_ptr_array_index (defaults, 0))->name, ==, "Archive");
}

static void
test_rename_destination (void)
{
  g_autoptr(FerryConfig) config = full_config ();
  g_autoptr(GError) error = NULL;
  FerryRule *rule;

  g_assert_false (ferry_config_rename_destination (config, "Nowhere", "Somewhere"));

  /* The old name in any case; references follow. */
  g_assert_true (ferry_config_rename_destination (config, "pacs CARDIOLOGÍA", "Cardio"));
  g_assert_cmpstr (DESTINATION (config)->name, ==, "Cardio");
  g_assert_cmpstr (DEVICE (config)->destinations[0], ==, "Cardio");
  g_assert_cmpstr (DEVICE (config)->destinations[1], ==, "Archive");
  g_assert_cmpstr (RULE0 (config)->destinations[0], ==, "Cardio");
  rule = g_ptr_array_index (config->rules, 1);
  g_assert_cmpstr (rule->destinations[0], ==, "Archive");
  g_assert_cmpstr (rule->destinations[1], ==, "Cardio");
  g_assert_null (ferry_config_find_destination (config, "PACS cardiología"));
  g_assert_true (ferry_config_validate (config, &error));
  g_assert_no_error (error);

  /* A change of case only is a rename too. */
  g_assert_true (ferry_config_rename_destination (config, "Archive", "ARCHIVE"));
  g_assert_cmpstr (DEVICE (config)->destinations[1], ==, "ARCHIVE");
  g_assert_true (ferry_config_validate (config, &error));
  g_assert_no_error (error);
}

static void
test_remove_destination (void)
{
  g_autoptr(FerryConfig) config = full_config ();
  g_autoptr(GError) error = NULL;
  FerryRule *rule;

  g_assert_false (ferry_config_remove_destination (config, "Nowhere"));
  g_assert_cmpuint (config->destinations->len, ==, 2);

  g_assert_true (ferry_config_remove_destination (config, "PACS CARDIOLOGÍA"));
  g_assert_cmpuint (config->destinations->len, ==, 1);
  g_assert_null (ferry_config_find_destination (config, "PACS cardiología"));

  /* The device keeps its other destination; the rule that only sent there is gone; the rule
   * with two keeps the other. */
  g_assert_cmpuint (g_strv_length (DEVICE (config)->destinations), ==, 1);
  g_assert_cmpstr (DEVICE (config)->destinations[0], ==, "Archive");
  g_assert_cmpuint (config->rules->len, ==, 1);
  rule = g_ptr_array_index (config->rules, 0);
  g_assert_cmpstr (rule->name, ==, "Everything to the archive");
  g_assert_cmpuint (g_strv_length (rule->destinations), ==, 1);
  g_assert_cmpstr (rule->destinations[0], ==, "Archive");
  g_assert_true (ferry_config_validate (config, &error));
  g_assert_no_error (error);

  /* The last one: the device goes back to the default destinations. */
  g_assert_true (ferry_config_remove_destination (config, "archive"));
  g_assert_cmpuint (config->destinations->len, ==, 0);
  g_assert_null (DEVICE (config)->destinations);
  g_assert_cmpuint (config->rules->len, ==, 0);
  g_assert_true (ferry_config_validate (config, &error));
  g_assert_no_error (error);
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
  g_test_add_func ("/ferry/core/config/new-defaults", test_new_defaults);
  g_test_add_func ("/ferry/core/config/enum-strings", test_enum_strings);
  g_test_add_func ("/ferry/core/config/round-trip-delivery", test_round_trip_delivery);
  g_test_add_func ("/ferry/core/config/version-1", test_version_1);
  g_test_add_func ("/ferry/core/config/invalid-delivery-fields", test_invalid_delivery_fields);
  g_test_add_func ("/ferry/core/config/valid-delivery", test_valid_delivery);
  g_test_add_func ("/ferry/core/config/equal-copy", test_equal_copy);
  g_test_add_func ("/ferry/core/config/find-destination", test_find_destination);
  g_test_add_func ("/ferry/core/config/rename-destination", test_rename_destination);
  g_test_add_func ("/ferry/core/config/remove-destination", test_remove_destination);

  return g_test_run ();
}
