/* ferry-config.c: config.json, the station's identity and its devices
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ferry-config"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "ferry-charset.h"
#include "ferry-config.h"

#define DEFAULT_AE_TITLE          "FERRY"
#define DEFAULT_PORT              11112
#define DEFAULT_MAX_ASSOCIATIONS  8
#define DEFAULT_DISK_RESERVE_MB   256
#define MAX_MAX_ASSOCIATIONS      1024
#define DEFAULT_TIMEOUT_SECONDS   60
#define MIN_TIMEOUT_SECONDS       5
#define MAX_TIMEOUT_SECONDS       3600
#define MIB                       (G_GUINT64_CONSTANT (1024) * 1024)

G_DEFINE_QUARK (ferry-config-error-quark, ferry_config_error)

/**
 * ferry_device_new:
 * @name: what the admin calls the device
 * @ae_title: the calling AE title it uses
 * @host: (nullable): the numeric IPv4 address it must come from
 * @character_set: (nullable): the Specific Character Set to assume for its objects
 *
 * Returns: (transfer full): a new device; free with ferry_device_free()
 */
FerryDevice *
ferry_device_new (const char *name,
                  const char *ae_title,
                  const char *host,
                  const char *character_set)
{
  FerryDevice *device;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (ae_title != NULL, NULL);

  device = g_new0 (FerryDevice, 1);
  device->name = g_strdup (name);
  device->ae_title = g_strdup (ae_title);
  device->host = g_strdup (host);
  device->character_set = g_strdup (character_set);

  return device;
}

/**
 * ferry_device_copy:
 * @device: a device
 *
 * Returns: (transfer full): a deep copy of @device
 */
FerryDevice *
ferry_device_copy (const FerryDevice *device)
{
  g_return_val_if_fail (device != NULL, NULL);

  return ferry_device_new (device->name, device->ae_title, device->host, device->character_set);
}

/**
 * ferry_device_free:
 * @device: (nullable): a device
 *
 * Frees @device and its strings.
 */
void
ferry_device_free (FerryDevice *device)
{
  if (device == NULL)
    return;

  g_free (device->name);
  g_free (device->ae_title);
  g_free (device->host);
  g_free (device->character_set);
  g_free (device);
}

static gboolean
device_equal (const FerryDevice *a,
              const FerryDevice *b)
{
  return g_strcmp0 (a->name, b->name) == 0 &&
         g_strcmp0 (a->ae_title, b->ae_title) == 0 &&
         g_strcmp0 (a->host, b->host) == 0 &&
         g_strcmp0 (a->character_set, b->character_set) == 0;
}

/**
 * ferry_config_new_default:
 *
 * The configuration Ferry runs with when there is no config.json: receiver and sender AE title
 * "FERRY", port 11112, eight associations, unknown devices accepted, a 256 MiB disk reserve and
 * no devices.
 *
 * Returns: (transfer full): a new configuration; free with ferry_config_free()
 */
FerryConfig *
ferry_config_new_default (void)
{
  FerryConfig *config = g_new0 (FerryConfig, 1);

  config->version = FERRY_CONFIG_VERSION;
  config->receiver_ae_title = g_strdup (DEFAULT_AE_TITLE);
  config->port = DEFAULT_PORT;
  config->sender_ae_title = g_strdup (DEFAULT_AE_TITLE);
  config->institution_name = NULL;
  config->station_name = NULL;
  config->accept_unknown_devices = TRUE;
  config->max_associations = DEFAULT_MAX_ASSOCIATIONS;
  config->timeout_seconds = DEFAULT_TIMEOUT_SECONDS;
  config->disk_reserve_bytes = DEFAULT_DISK_RESERVE_MB * MIB;
  config->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_device_free);

  return config;
}

/**
 * ferry_config_copy:
 * @config: a configuration
 *
 * Returns: (transfer full): a deep copy of @config
 */
FerryConfig *
ferry_config_copy (const FerryConfig *config)
{
  FerryConfig *copy;

  g_return_val_if_fail (config != NULL, NULL);

  copy = g_new0 (FerryConfig, 1);
  copy->version = config->version;
  copy->receiver_ae_title = g_strdup (config->receiver_ae_title);
  copy->port = config->port;
  copy->sender_ae_title = g_strdup (config->sender_ae_title);
  copy->institution_name = g_strdup (config->institution_name);
  copy->station_name = g_strdup (config->station_name);
  copy->accept_unknown_devices = config->accept_unknown_devices;
  copy->max_associations = config->max_associations;
  copy->timeout_seconds = config->timeout_seconds;
  copy->disk_reserve_bytes = config->disk_reserve_bytes;
  copy->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_device_free);
  if (config->devices != NULL)
    {
      for (guint i = 0; i < config->devices->len; i++)
        g_ptr_array_add (copy->devices, ferry_device_copy (g_ptr_array_index (config->devices, i)));
    }

  return copy;
}

/**
 * ferry_config_free:
 * @config: (nullable): a configuration
 *
 * Frees @config, its strings and its devices.
 */
void
ferry_config_free (FerryConfig *config)
{
  if (config == NULL)
    return;

  g_free (config->receiver_ae_title);
  g_free (config->sender_ae_title);
  g_free (config->institution_name);
  g_free (config->station_name);
  g_clear_pointer (&config->devices, g_ptr_array_unref);
  g_free (config);
}

/* NULL and "" mean the same for the optional strings. */
static gboolean
optional_equal (const char *a,
                const char *b)
{
  return g_strcmp0 (a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/**
 * ferry_config_equal:
 * @a: a configuration
 * @b: another configuration
 *
 * Returns: whether @a and @b hold the same settings (an unset optional string equals "")
 */
gboolean
ferry_config_equal (const FerryConfig *a,
                    const FerryConfig *b)
{
  guint n_a, n_b;

  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  if (a->version != b->version ||
      g_strcmp0 (a->receiver_ae_title, b->receiver_ae_title) != 0 ||
      a->port != b->port ||
      g_strcmp0 (a->sender_ae_title, b->sender_ae_title) != 0 ||
      !optional_equal (a->institution_name, b->institution_name) ||
      !optional_equal (a->station_name, b->station_name) ||
      !a->accept_unknown_devices != !b->accept_unknown_devices ||
      a->max_associations != b->max_associations ||
      a->timeout_seconds != b->timeout_seconds ||
      a->disk_reserve_bytes != b->disk_reserve_bytes)
    return FALSE;

  n_a = a->devices != NULL ? a->devices->len : 0;
  n_b = b->devices != NULL ? b->devices->len : 0;
  if (n_a != n_b)
    return FALSE;

  for (guint i = 0; i < n_a; i++)
    {
      if (!device_equal (g_ptr_array_index (a->devices, i), g_ptr_array_index (b->devices, i)))
        return FALSE;
    }

  return TRUE;
}

/**
 * ferry_ae_title_validate:
 * @ae_title: an AE title
 * @error: return location for a #GError
 *
 * Checks the AE title rules: 1–16 characters once leading and trailing spaces are removed,
 * printable ASCII (the Default Character Repertoire) only, no backslash.
 *
 * Returns: %TRUE when @ae_title is valid; otherwise %FALSE with %FERRY_CONFIG_ERROR_INVALID
 */
gboolean
ferry_ae_title_validate (const char  *ae_title,
                         GError     **error)
{
  const char *start;
  gsize length;

  g_return_val_if_fail (ae_title != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (const char *p = ae_title; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c == '\\')
        {
          g_set_error_literal (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_INVALID,
                               _("AE title must not contain a backslash"));
          return FALSE;
        }
      if (c < 0x20 || c == 0x7F)
        {
          g_set_error_literal (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_INVALID,
                               _("AE title must not contain control characters"));
          return FALSE;
        }
      if (c > 0x7F)
        {
          g_set_error_literal (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_INVALID,
                               _("AE title may only contain ASCII letters, digits, spaces "
                                 "and punctuation"));
          return FALSE;
        }
    }

  start = ae_title;
  while (*start == ' ')
    start++;
  length = strlen (start);
  while (length > 0 && start[length - 1] == ' ')
    length--;

  if (length == 0)
    {
      g_set_error_literal (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_INVALID,
                           ae_title[0] == '\0' ? _("AE title is empty")
                                               : _("AE title must not be only spaces"));
      return FALSE;
    }

  if (length > 16)
    {
      g_set_error_literal (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_INVALID,
                           _("AE title is longer than 16 characters"));
      return FALSE;
    }

  return TRUE;
}

/**
 * ferry_port_validate:
 * @port: a TCP port number
 * @error: return location for a #GError
 *
 * Returns: %TRUE when @port is 1–65535; otherwise %FALSE with %FERRY_CONFIG_ERROR_INVALID
 */
gboolean
ferry_port_validate (gint64   port,
                     GError **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (port < 1 || port > 65535)
    {
      g_set_error (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_INVALID,
                   _("%lld is not a port (1–65535)"), (long long) port);
      return FALSE;
    }

  return TRUE;
}

static gboolean
is_ipv4_address (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (!g_hostname_is_ip_address (host))
    return FALSE;

  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4;
}

/* Prefixes the message of @error with the path of the field, "receiver.port: …". */
static void
prefix_field (GError     **error,
              const char  *field)
{
  if (error != NULL && *error != NULL)
    g_prefix_error (error, "%s: ", field);
}

static gboolean
invalid (GError     **error,
         const char  *field,
         const char  *format,
         ...) G_GNUC_PRINTF (3, 4);

static gboolean
invalid (GError     **error,
         const char  *field,
         const char  *format,
         ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_INVALID, "%s: %s", field, message);
  return FALSE;
}

static gboolean
same_ae_title (const char *a,
               const char *b)
{
  g_autofree char *ta = g_strstrip (g_strdup (a != NULL ? a : ""));
  g_autofree char *tb = g_strstrip (g_strdup (b != NULL ? b : ""));

  return strcmp (ta, tb) == 0;
}

static gboolean
validate_device (const FerryConfig *config,
                 guint              index,
                 GError           **error)
{
  const FerryDevice *device = g_ptr_array_index (config->devices, index);
  g_autofree char *prefix = g_strdup_printf ("devices[%u]", index);
  g_autofree char *field = NULL;

  g_autofree char *name = g_strstrip (g_strdup (device->name != NULL ? device->name : ""));

  field = g_strconcat (prefix, ".name", NULL);
  if (name[0] == '\0')
    return invalid (error, field, "%s", _("a device needs a name"));

  g_clear_pointer (&field, g_free);
  field = g_strconcat (prefix, ".ae_title", NULL);
  if (device->ae_title == NULL)
    return invalid (error, field, "%s", _("AE title is empty"));
  if (!ferry_ae_title_validate (device->ae_title, error))
    {
      prefix_field (error, field);
      return FALSE;
    }

  g_clear_pointer (&field, g_free);
  field = g_strconcat (prefix, ".host", NULL);
  if (device->host != NULL && device->host[0] != '\0' && !is_ipv4_address (device->host))
    return invalid (error, field, _("“%s” is not a numeric IPv4 address"), device->host);

  g_clear_pointer (&field, g_free);
  field = g_strconcat (prefix, ".character_set", NULL);
  if (device->character_set != NULL && device->character_set[0] != '\0' &&
      !ferry_charset_is_known (device->character_set))
    return invalid (error, field, _("“%s” is not a character set Ferry knows"),
                    device->character_set);

  for (guint j = 0; j < index; j++)
    {
      const FerryDevice *other = g_ptr_array_index (config->devices, j);
      const char *host = device->host != NULL ? device->host : "";
      const char *other_host = other->host != NULL ? other->host : "";

      if (g_strcmp0 (other->name, device->name) == 0)
        {
          g_clear_pointer (&field, g_free);
          field = g_strconcat (prefix, ".name", NULL);
          return invalid (error, field, _("“%s” is already the name of devices[%u]"),
                          device->name, j);
        }

      if (same_ae_title (other->ae_title, device->ae_title) && strcmp (host, other_host) == 0)
        {
          g_clear_pointer (&field, g_free);
          field = g_strconcat (prefix, ".ae_title", NULL);
          if (host[0] != '\0')
            return invalid (error, field,
                            _("“%s” from %s is already the AE title of devices[%u] (“%s”)"),
                            device->ae_title, host, j, other->name);
          return invalid (error, field,
                          _("“%s” is already the AE title of devices[%u] (“%s”)"),
                          device->ae_title, j, other->name);
        }
    }

  return TRUE;
}

/**
 * ferry_config_validate:
 * @config: a configuration
 * @error: return location for a #GError
 *
 * Checks every field. The message of the error names the field as it is spelt in config.json,
 * e.g. "receiver.port: 0 is not a port (1–65535)" or "devices[2].ae_title: …".
 *
 * Returns: %TRUE when @config is valid; otherwise %FALSE with %FERRY_CONFIG_ERROR_INVALID
 */
gboolean
ferry_config_validate (const FerryConfig  *config,
                       GError            **error)
{
  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (config->version < 1)
    return invalid (error, "version", _("%d is not a configuration version"), config->version);
  if (config->version > FERRY_CONFIG_VERSION)
    return invalid (error, "version",
                    _("the file was written by a newer Ferry (version %d; this Ferry reads up "
                      "to version %d)"),
                    config->version, FERRY_CONFIG_VERSION);

  if (config->receiver_ae_title == NULL)
    return invalid (error, "receiver.ae_title", "%s", _("AE title is empty"));
  if (!ferry_ae_title_validate (config->receiver_ae_title, error))
    {
      prefix_field (error, "receiver.ae_title");
      return FALSE;
    }

  if (!ferry_port_validate (config->port, error))
    {
      prefix_field (error, "receiver.port");
      return FALSE;
    }

  if (config->max_associations < 1 || config->max_associations > MAX_MAX_ASSOCIATIONS)
    return invalid (error, "receiver.max_associations", _("%u is not between 1 and %u"),
                    config->max_associations, MAX_MAX_ASSOCIATIONS);

  if (config->timeout_seconds < MIN_TIMEOUT_SECONDS || config->timeout_seconds > MAX_TIMEOUT_SECONDS)
    return invalid (error, "receiver.timeout_seconds", _("%u is not between %u and %u seconds"),
                    config->timeout_seconds, MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS);

  if (config->sender_ae_title == NULL)
    return invalid (error, "identity.sender_ae_title", "%s", _("AE title is empty"));
  if (!ferry_ae_title_validate (config->sender_ae_title, error))
    {
      prefix_field (error, "identity.sender_ae_title");
      return FALSE;
    }

  if (config->institution_name != NULL && !g_utf8_validate (config->institution_name, -1, NULL))
    return invalid (error, "identity.institution_name", "%s", _("not valid UTF-8"));
  if (config->station_name != NULL && !g_utf8_validate (config->station_name, -1, NULL))
    return invalid (error, "identity.station_name", "%s", _("not valid UTF-8"));

  if (config->devices != NULL)
    {
      for (guint i = 0; i < config->devices->len; i++)
        {
          if (!validate_device (config, i, error))
            return FALSE;
        }
    }

  return TRUE;
}

/* JSON reading. Every helper takes the field path for its messages. */

static gboolean
wrong_type (GError     **error,
            const char  *field,
            const char  *expected)
{
  return invalid (error, field, _("expected %s"), expected);
}

static gboolean
read_string (JsonObject  *object,
             const char  *member,
             const char  *field,
             char       **value,
             GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_NULL (node))
    {
      g_clear_pointer (value, g_free);
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return wrong_type (error, field, _("a string"));

  g_free (*value);
  *value = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gboolean
read_integer (JsonObject  *object,
              const char  *member,
              const char  *field,
              gint64      *value,
              GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return wrong_type (error, field, _("a whole number"));

  *value = json_node_get_int (node);
  return TRUE;
}

static gboolean
read_boolean (JsonObject  *object,
              const char  *member,
              const char  *field,
              gboolean    *value,
              GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return wrong_type (error, field, _("true or false"));

  *value = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
read_object (JsonObject  *object,
             const char  *member,
             JsonObject **value,
             GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  *value = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return wrong_type (error, member, _("an object"));

  *value = json_node_get_object (node);
  return TRUE;
}

/* Empty optional strings are stored as NULL. */
static void
normalise_optional (char **value)
{
  if (*value != NULL && (*value)[0] == '\0')
    g_clear_pointer (value, g_free);
}

static gboolean
read_receiver (FerryConfig  *config,
               JsonObject   *receiver,
               GError      **error)
{
  gint64 port = config->port;
  gint64 max_associations = config->max_associations;
  gint64 timeout_seconds = config->timeout_seconds;
  gint64 reserve_mb = (gint64) (config->disk_reserve_bytes / MIB);

  if (!read_string (receiver, "ae_title", "receiver.ae_title", &config->receiver_ae_title, error))
    return FALSE;
  if (config->receiver_ae_title == NULL)
    return invalid (error, "receiver.ae_title", "%s", _("AE title is empty"));

  if (!read_integer (receiver, "port", "receiver.port", &port, error))
    return FALSE;
  if (!ferry_port_validate (port, error))
    {
      prefix_field (error, "receiver.port");
      return FALSE;
    }
  config->port = (guint16) port;

  if (!read_integer (receiver, "max_associations", "receiver.max_associations",
                     &max_associations, error))
    return FALSE;
  if (max_associations < 1 || max_associations > MAX_MAX_ASSOCIATIONS)
    return invalid (error, "receiver.max_associations",
                    _("%lld is not between 1 and %u"),
                    (long long) max_associations, MAX_MAX_ASSOCIATIONS);
  config->max_associations = (guint) max_associations;

  if (!read_integer (receiver, "timeout_seconds", "receiver.timeout_seconds",
                     &timeout_seconds, error))
    return FALSE;
  if (timeout_seconds < MIN_TIMEOUT_SECONDS || timeout_seconds > MAX_TIMEOUT_SECONDS)
    return invalid (error, "receiver.timeout_seconds",
                    _("%lld is not between %u and %u seconds"),
                    (long long) timeout_seconds, MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS);
  config->timeout_seconds = (guint) timeout_seconds;

  if (!read_boolean (receiver, "accept_unknown_devices", "receiver.accept_unknown_devices",
                     &config->accept_unknown_devices, error))
    return FALSE;

  if (!read_integer (receiver, "disk_reserve_mb", "receiver.disk_reserve_mb", &reserve_mb, error))
    return FALSE;
  /* Up to 16 TiB; more is a typo, and the limit keeps the multiplication in range. */
  if (reserve_mb < 0 || reserve_mb > 16 * 1024 * 1024)
    return invalid (error, "receiver.disk_reserve_mb",
                    _("%lld is not a size in MB (0–16777216)"), (long long) reserve_mb);
  config->disk_reserve_bytes = (guint64) reserve_mb * MIB;

  return TRUE;
}

static gboolean
read_identity (FerryConfig  *config,
               JsonObject   *identity,
               GError      **error)
{
  if (!read_string (identity, "sender_ae_title", "identity.sender_ae_title",
                    &config->sender_ae_title, error))
    return FALSE;
  if (config->sender_ae_title == NULL)
    return invalid (error, "identity.sender_ae_title", "%s", _("AE title is empty"));
  if (!read_string (identity, "institution_name", "identity.institution_name",
                    &config->institution_name, error))
    return FALSE;
  if (!read_string (identity, "station_name", "identity.station_name",
                    &config->station_name, error))
    return FALSE;

  normalise_optional (&config->institution_name);
  normalise_optional (&config->station_name);
  return TRUE;
}

static gboolean
read_devices (FerryConfig  *config,
              JsonNode     *node,
              GError      **error)
{
  JsonArray *array;

  if (JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return wrong_type (error, "devices", _("an array"));

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree char *prefix = g_strdup_printf ("devices[%u]", i);
      g_autofree char *name_field = g_strconcat (prefix, ".name", NULL);
      g_autofree char *ae_field = g_strconcat (prefix, ".ae_title", NULL);
      g_autofree char *host_field = g_strconcat (prefix, ".host", NULL);
      g_autofree char *charset_field = g_strconcat (prefix, ".character_set", NULL);
      g_autofree char *name = NULL;
      g_autofree char *ae_title = NULL;
      g_autofree char *host = NULL;
      g_autofree char *character_set = NULL;
      JsonObject *object;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        return wrong_type (error, prefix, _("an object"));
      object = json_node_get_object (element);

      if (!read_string (object, "name", name_field, &name, error) ||
          !read_string (object, "ae_title", ae_field, &ae_title, error) ||
          !read_string (object, "host", host_field, &host, error) ||
          !read_string (object, "character_set", charset_field, &character_set, error))
        return FALSE;

      if (name == NULL)
        return invalid (error, name_field, "%s", _("a device needs a name"));
      if (ae_title == NULL)
        return invalid (error, ae_field, "%s", _("AE title is empty"));

      normalise_optional (&host);
      normalise_optional (&character_set);
      g_ptr_array_add (config->devices, ferry_device_new (name, ae_title, host, character_set));
    }

  return TRUE;
}

/**
 * ferry_config_from_json:
 * @data: the contents of a config.json
 * @length: the length of @data, or -1 when it is nul-terminated
 * @error: return location for a #GError
 *
 * Parses and validates. Missing members take their defaults; unknown members are ignored.
 *
 * Returns: (transfer full) (nullable): the configuration, or %NULL with
 *   %FERRY_CONFIG_ERROR_PARSE (not JSON, not an object) or %FERRY_CONFIG_ERROR_INVALID (the
 *   message names the field)
 */
FerryConfig *
ferry_config_from_json (const char  *data,
                        gssize       length,
                        GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(FerryConfig) config = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;
  JsonObject *object;
  JsonObject *section;
  JsonNode *devices;
  gint64 version = FERRY_CONFIG_VERSION;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, length, &local_error))
    {
      g_set_error (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_PARSE,
                   _("not a valid JSON file: %s"), local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_PARSE,
                           _("the file does not hold a JSON object"));
      return NULL;
    }
  object = json_node_get_object (root);
  config = ferry_config_new_default ();

  if (!read_integer (object, "version", "version", &version, error))
    return NULL;
  if (version > FERRY_CONFIG_VERSION)
    {
      invalid (error, "version",
               _("the file was written by a newer Ferry (version %lld; this Ferry reads up to "
                 "version %d)"),
               (long long) version, FERRY_CONFIG_VERSION);
      return NULL;
    }
  if (version < 1)
    {
      invalid (error, "version", _("%lld is not a configuration version"),
               (long long) version);
      return NULL;
    }
  /* An older file is read as it is and written back in the current version. */
  config->version = FERRY_CONFIG_VERSION;

  if (!read_object (object, "receiver", &section, error))
    return NULL;
  if (section != NULL && !read_receiver (config, section, error))
    return NULL;

  if (!read_object (object, "identity", &section, error))
    return NULL;
  if (section != NULL && !read_identity (config, section, error))
    return NULL;

  devices = json_object_get_member (object, "devices");
  if (devices != NULL && !read_devices (config, devices, error))
    return NULL;

  if (!ferry_config_validate (config, error))
    return NULL;

  return g_steal_pointer (&config);
}

/**
 * ferry_config_to_json:
 * @config: a configuration
 *
 * Serialises @config in the config.json format (pretty-printed, ending in a newline). It does
 * not validate.
 *
 * Returns: (transfer full): the JSON text
 */
char *
ferry_config_to_json (const FerryConfig *config)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  g_return_val_if_fail (config != NULL, NULL);

  builder = json_builder_new ();
  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, config->version);

  json_builder_set_member_name (builder, "receiver");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ae_title");
  json_builder_add_string_value (builder, config->receiver_ae_title != NULL
                                          ? config->receiver_ae_title : "");
  json_builder_set_member_name (builder, "port");
  json_builder_add_int_value (builder, config->port);
  json_builder_set_member_name (builder, "max_associations");
  json_builder_add_int_value (builder, config->max_associations);
  json_builder_set_member_name (builder, "timeout_seconds");
  json_builder_add_int_value (builder, config->timeout_seconds);
  json_builder_set_member_name (builder, "accept_unknown_devices");
  json_builder_add_boolean_value (builder, config->accept_unknown_devices);
  json_builder_set_member_name (builder, "disk_reserve_mb");
  /* Rounded up so that saving never lowers the reserve. */
  json_builder_add_int_value (builder, (gint64) ((config->disk_reserve_bytes + MIB - 1) / MIB));
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "identity");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sender_ae_title");
  json_builder_add_string_value (builder, config->sender_ae_title != NULL
                                          ? config->sender_ae_title : "");
  json_builder_set_member_name (builder, "institution_name");
  json_builder_add_string_value (builder, config->institution_name != NULL
                                          ? config->institution_name : "");
  json_builder_set_member_name (builder, "station_name");
  json_builder_add_string_value (builder, config->station_name != NULL
                                          ? config->station_name : "");
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "devices");
  json_builder_begin_array (builder);
  for (guint i = 0; config->devices != NULL && i < config->devices->len; i++)
    {
      const FerryDevice *device = g_ptr_array_index (config->devices, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, device->name != NULL ? device->name : "");
      json_builder_set_member_name (builder, "ae_title");
      json_builder_add_string_value (builder, device->ae_title != NULL ? device->ae_title : "");
      if (device->host != NULL && device->host[0] != '\0')
        {
          json_builder_set_member_name (builder, "host");
          json_builder_add_string_value (builder, device->host);
        }
      if (device->character_set != NULL && device->character_set[0] != '\0')
        {
          json_builder_set_member_name (builder, "character_set");
          json_builder_add_string_value (builder, device->character_set);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  generator = json_generator_new ();
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);

  return g_strconcat (text, "\n", NULL);
}

/**
 * ferry_config_load:
 * @path: the config.json to read
 * @error: return location for a #GError
 *
 * Reads and validates @path. A missing file gives the defaults. Any other problem is an error
 * whose message starts with @path and names the field.
 *
 * Returns: (transfer full) (nullable): the configuration, or %NULL with @error set
 */
FerryConfig *
ferry_config_load (const char  *path,
                   GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *data = NULL;
  gsize length = 0;
  FerryConfig *config;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_get_contents (path, &data, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return ferry_config_new_default ();

      g_set_error (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_IO,
                   "%s: %s", path, local_error->message);
      return NULL;
    }

  config = ferry_config_from_json (data, (gssize) length, error);
  if (config == NULL)
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }

  return config;
}

static gboolean
io_error (GError     **error,
          const char  *operation,
          const char  *path,
          int          saved_errno)
{
  g_set_error (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_IO,
               /* Translators: "%s: could not write: No space left on device" */
               _("%s: could not %s: %s"), path, operation, g_strerror (saved_errno));
  return FALSE;
}

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        length)
{
  while (length > 0)
    {
      gssize written = write (fd, data, length);

      if (written < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      data += written;
      length -= (gsize) written;
    }

  return TRUE;
}

/**
 * ferry_config_save:
 * @config: a configuration
 * @path: the config.json to write
 * @error: return location for a #GError
 *
 * Validates @config, then replaces @path atomically: the text goes to a temporary file in the
 * same directory (mode 0600), which is fsynced and renamed over @path, and the directory is
 * fsynced. On failure @path is unchanged and no temporary file is left.
 *
 * Returns: %TRUE on success
 */
gboolean
ferry_config_save (const FerryConfig  *config,
                   const char         *path,
                   GError            **error)
{
  g_autofree char *text = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *template = NULL;
  int fd;
  int dir_fd;
  int saved_errno;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!ferry_config_validate (config, error))
    return FALSE;

  text = ferry_config_to_json (config);
  dir = g_path_get_dirname (path);
  template = g_strconcat (path, ".tmp-XXXXXX", NULL);

  fd = g_mkstemp_full (template, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    return io_error (error, _("create a temporary file"), template, errno);

  if (!write_all (fd, text, strlen (text)))
    {
      saved_errno = errno;
      close (fd);
      g_unlink (template);
      return io_error (error, _("write"), template, saved_errno);
    }

  if (fsync (fd) != 0)
    {
      saved_errno = errno;
      close (fd);
      g_unlink (template);
      return io_error (error, _("fsync"), template, saved_errno);
    }

  if (close (fd) != 0)
    {
      saved_errno = errno;
      g_unlink (template);
      return io_error (error, _("write"), template, saved_errno);
    }

  if (g_rename (template, path) != 0)
    {
      saved_errno = errno;
      g_unlink (template);
      return io_error (error, _("rename the temporary file"), path, saved_errno);
    }

  dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    return io_error (error, _("open the folder"), dir, errno);
  if (fsync (dir_fd) != 0)
    {
      saved_errno = errno;
      close (dir_fd);
      return io_error (error, _("fsync the folder"), dir, saved_errno);
    }
  close (dir_fd);

  return TRUE;
}

/**
 * ferry_config_find_device:
 * @config: a configuration
 * @calling_ae: the calling AE title of an association
 * @peer_address: (nullable): the numeric address it came from
 *
 * Finds the device that @calling_ae belongs to. AE titles are compared without leading and
 * trailing spaces and case-sensitively (DICOM AE titles are case-sensitive). A device that has
 * a host only matches associations from that address; a device bound to the peer's address is
 * preferred over one with no host.
 *
 * Returns: (transfer none) (nullable): the device, or %NULL
 */
const FerryDevice *
ferry_config_find_device (const FerryConfig *config,
                          const char        *calling_ae,
                          const char        *peer_address)
{
  const FerryDevice *unbound = NULL;
  const char *peer = peer_address;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (calling_ae != NULL, NULL);

  /* An IPv4 peer seen through an IPv6 socket. */
  if (peer != NULL && g_str_has_prefix (peer, "::ffff:") && strchr (peer, '.') != NULL)
    peer += strlen ("::ffff:");

  if (config->devices == NULL)
    return NULL;

  for (guint i = 0; i < config->devices->len; i++)
    {
      const FerryDevice *device = g_ptr_array_index (config->devices, i);

      if (!same_ae_title (device->ae_title, calling_ae))
        continue;

      if (device->host == NULL || device->host[0] == '\0')
        {
          if (unbound == NULL)
            unbound = device;
        }
      else if (peer_address != NULL && strcmp (device->host, peer) == 0)
        {
          return device;
        }
    }

  return unbound;
}
