/* ferry-config.c: config.json: the station's identity, its devices, PACS destinations and rules
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
#include "ferry-dicom-send.h"

#define DEFAULT_AE_TITLE          "FERRY"
#define DEFAULT_PORT              11112
#define DEFAULT_MAX_ASSOCIATIONS  8
#define DEFAULT_DISK_RESERVE_MB   256
#define MAX_MAX_ASSOCIATIONS      1024
#define DEFAULT_TIMEOUT_SECONDS   60
#define MIN_TIMEOUT_SECONDS       5
#define MAX_TIMEOUT_SECONDS       3600
#define MIB                       (G_GUINT64_CONSTANT (1024) * 1024)

#define DEFAULT_DESTINATION_ASSOCIATIONS  2
#define MAX_DESTINATION_ASSOCIATIONS      16
#define DEFAULT_RETRY_INTERVAL_SECONDS    300
#define MAX_RETRY_INTERVAL_SECONDS        86400
#define DEFAULT_RETRY_DAYS                4
#define MAX_RETRY_DAYS                    4

G_DEFINE_QUARK (ferry-config-error-quark, ferry_config_error)

/* Small helpers for the optional string lists (NULL and an empty list mean the same). */

static guint
strv_length0 (char **strv)
{
  return strv != NULL ? g_strv_length (strv) : 0;
}

static char **
strv_copy0 (char **strv)
{
  return strv_length0 (strv) > 0 ? g_strdupv (strv) : NULL;
}

static gboolean
strv_equal0 (char **a,
             char **b)
{
  guint n = strv_length0 (a);

  if (n != strv_length0 (b))
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      if (strcmp (a[i], b[i]) != 0)
        return FALSE;
    }

  return TRUE;
}

/* NULL and "" mean the same for the optional strings. */
static gboolean
optional_equal (const char *a,
                const char *b)
{
  return g_strcmp0 (a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* Destination names are compared case-insensitively, so "PACS" and "pacs" cannot both exist
 * and a reference written in another case still finds its destination. */
static gboolean
same_name (const char *a,
           const char *b)
{
  g_autofree char *fa = NULL;
  g_autofree char *fb = NULL;

  if (a == NULL || b == NULL)
    return a == b;
  if (!g_utf8_validate (a, -1, NULL) || !g_utf8_validate (b, -1, NULL))
    return strcmp (a, b) == 0;

  fa = g_utf8_casefold (a, -1);
  fb = g_utf8_casefold (b, -1);
  return strcmp (fa, fb) == 0;
}

/**
 * ferry_device_new:
 * @name: what the admin calls the device
 * @ae_title: the calling AE title it uses
 * @host: (nullable): the numeric IPv4 address it must come from
 * @character_set: (nullable): the Specific Character Set to assume for its objects
 *
 * The new device has no specialty, names its physician in Performing Physician's Name and
 * sends to the default destinations.
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
  device->specialty = NULL;
  device->physician_tag = FERRY_PHYSICIAN_TAG_PERFORMING;
  device->destinations = NULL;

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
  FerryDevice *copy;

  g_return_val_if_fail (device != NULL, NULL);

  copy = ferry_device_new (device->name, device->ae_title, device->host, device->character_set);
  copy->specialty = g_strdup (device->specialty);
  copy->physician_tag = device->physician_tag;
  copy->destinations = strv_copy0 (device->destinations);

  return copy;
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
  g_free (device->specialty);
  g_strfreev (device->destinations);
  g_free (device);
}

static gboolean
device_equal (const FerryDevice *a,
              const FerryDevice *b)
{
  return g_strcmp0 (a->name, b->name) == 0 &&
         g_strcmp0 (a->ae_title, b->ae_title) == 0 &&
         optional_equal (a->host, b->host) &&
         optional_equal (a->character_set, b->character_set) &&
         optional_equal (a->specialty, b->specialty) &&
         a->physician_tag == b->physician_tag &&
         strv_equal0 (a->destinations, b->destinations);
}

/**
 * ferry_destination_new:
 * @name: what the admin calls the PACS
 * @ae_title: its (called) AE title
 * @host: its host name or numeric address
 * @port: its port
 *
 * The new destination takes two associations at a time, is retried every 300 s for 4 days, is
 * not a default destination and is not verified.
 *
 * Returns: (transfer full): a new destination; free with ferry_destination_free()
 */
FerryDestination *
ferry_destination_new (const char *name,
                       const char *ae_title,
                       const char *host,
                       guint16     port)
{
  FerryDestination *destination;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (ae_title != NULL, NULL);
  g_return_val_if_fail (host != NULL, NULL);

  destination = g_new0 (FerryDestination, 1);
  destination->name = g_strdup (name);
  destination->ae_title = g_strdup (ae_title);
  destination->host = g_strdup (host);
  destination->port = port;
  destination->specialties = NULL;
  destination->character_set = NULL;
  destination->decompress = FALSE;
  destination->max_associations = DEFAULT_DESTINATION_ASSOCIATIONS;
  destination->retry_interval_seconds = DEFAULT_RETRY_INTERVAL_SECONDS;
  destination->retry_days = DEFAULT_RETRY_DAYS;
  destination->is_default = FALSE;
  destination->verified = FALSE;

  return destination;
}

/**
 * ferry_destination_copy:
 * @destination: a destination
 *
 * Returns: (transfer full): a deep copy of @destination
 */
FerryDestination *
ferry_destination_copy (const FerryDestination *destination)
{
  FerryDestination *copy;

  g_return_val_if_fail (destination != NULL, NULL);

  copy = g_new0 (FerryDestination, 1);
  *copy = *destination;
  copy->name = g_strdup (destination->name);
  copy->ae_title = g_strdup (destination->ae_title);
  copy->host = g_strdup (destination->host);
  copy->specialties = strv_copy0 (destination->specialties);
  copy->character_set = g_strdup (destination->character_set);

  return copy;
}

/**
 * ferry_destination_free:
 * @destination: (nullable): a destination
 *
 * Frees @destination and its strings.
 */
void
ferry_destination_free (FerryDestination *destination)
{
  if (destination == NULL)
    return;

  g_free (destination->name);
  g_free (destination->ae_title);
  g_free (destination->host);
  g_strfreev (destination->specialties);
  g_free (destination->character_set);
  g_free (destination);
}

static gboolean
destination_equal (const FerryDestination *a,
                   const FerryDestination *b)
{
  return g_strcmp0 (a->name, b->name) == 0 &&
         g_strcmp0 (a->ae_title, b->ae_title) == 0 &&
         g_strcmp0 (a->host, b->host) == 0 &&
         a->port == b->port &&
         strv_equal0 (a->specialties, b->specialties) &&
         optional_equal (a->character_set, b->character_set) &&
         !a->decompress == !b->decompress &&
         a->max_associations == b->max_associations &&
         a->retry_interval_seconds == b->retry_interval_seconds &&
         a->retry_days == b->retry_days &&
         !a->is_default == !b->is_default &&
         !a->verified == !b->verified;
}

/**
 * ferry_condition_new:
 * @tag: a DICOM keyword or "gggg,eeee"
 * @op: how the value is compared
 * @value: the value compared with (a GRegex pattern for %FERRY_MATCH_REGEX)
 *
 * Returns: (transfer full): a new condition; free with ferry_condition_free()
 */
FerryCondition *
ferry_condition_new (const char   *tag,
                     FerryMatchOp  op,
                     const char   *value)
{
  FerryCondition *condition;

  g_return_val_if_fail (tag != NULL, NULL);

  condition = g_new0 (FerryCondition, 1);
  condition->tag = g_strdup (tag);
  condition->op = op;
  condition->value = g_strdup (value);

  return condition;
}

/**
 * ferry_condition_free:
 * @condition: (nullable): a condition
 */
void
ferry_condition_free (FerryCondition *condition)
{
  if (condition == NULL)
    return;

  g_free (condition->tag);
  g_free (condition->value);
  g_free (condition);
}

static FerryCondition *
condition_copy (const FerryCondition *condition)
{
  return ferry_condition_new (condition->tag, condition->op, condition->value);
}

static gboolean
condition_equal (const FerryCondition *a,
                 const FerryCondition *b)
{
  return g_strcmp0 (a->tag, b->tag) == 0 && a->op == b->op && g_strcmp0 (a->value, b->value) == 0;
}

/**
 * ferry_coercion_new:
 * @action: what is done to the attribute
 * @tag: the attribute changed, a DICOM keyword or "gggg,eeee"
 * @value: (nullable): %FERRY_COERCE_SET: the new value; %FERRY_COERCE_COPY: the source tag;
 *   %FERRY_COERCE_REMOVE: %NULL
 *
 * Returns: (transfer full): a new coercion; free with ferry_coercion_free()
 */
FerryCoercion *
ferry_coercion_new (FerryCoercionAction  action,
                    const char          *tag,
                    const char          *value)
{
  FerryCoercion *coercion;

  g_return_val_if_fail (tag != NULL, NULL);

  coercion = g_new0 (FerryCoercion, 1);
  coercion->action = action;
  coercion->tag = g_strdup (tag);
  coercion->value = g_strdup (value);

  return coercion;
}

/**
 * ferry_coercion_free:
 * @coercion: (nullable): a coercion
 */
void
ferry_coercion_free (FerryCoercion *coercion)
{
  if (coercion == NULL)
    return;

  g_free (coercion->tag);
  g_free (coercion->value);
  g_free (coercion);
}

static FerryCoercion *
coercion_copy (const FerryCoercion *coercion)
{
  return ferry_coercion_new (coercion->action, coercion->tag, coercion->value);
}

static gboolean
coercion_equal (const FerryCoercion *a,
                const FerryCoercion *b)
{
  return a->action == b->action && g_strcmp0 (a->tag, b->tag) == 0 &&
         g_strcmp0 (a->value, b->value) == 0;
}

/**
 * ferry_rule_new:
 * @name: what the admin calls the rule
 *
 * The new rule is enabled and has no conditions (it matches every instance), no destinations
 * (it is not valid until it has one) and no coercions.
 *
 * Returns: (transfer full): a new rule; free with ferry_rule_free()
 */
FerryRule *
ferry_rule_new (const char *name)
{
  FerryRule *rule;

  g_return_val_if_fail (name != NULL, NULL);

  rule = g_new0 (FerryRule, 1);
  rule->name = g_strdup (name);
  rule->enabled = TRUE;
  rule->conditions = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_condition_free);
  rule->destinations = NULL;
  rule->coercions = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_coercion_free);

  return rule;
}

/**
 * ferry_rule_copy:
 * @rule: a rule
 *
 * Returns: (transfer full): a deep copy of @rule
 */
FerryRule *
ferry_rule_copy (const FerryRule *rule)
{
  FerryRule *copy;

  g_return_val_if_fail (rule != NULL, NULL);

  copy = ferry_rule_new (rule->name);
  copy->enabled = rule->enabled;
  for (guint i = 0; rule->conditions != NULL && i < rule->conditions->len; i++)
    g_ptr_array_add (copy->conditions, condition_copy (g_ptr_array_index (rule->conditions, i)));
  copy->destinations = strv_copy0 (rule->destinations);
  for (guint i = 0; rule->coercions != NULL && i < rule->coercions->len; i++)
    g_ptr_array_add (copy->coercions, coercion_copy (g_ptr_array_index (rule->coercions, i)));

  return copy;
}

/**
 * ferry_rule_free:
 * @rule: (nullable): a rule
 *
 * Frees @rule, its conditions and its coercions.
 */
void
ferry_rule_free (FerryRule *rule)
{
  if (rule == NULL)
    return;

  g_free (rule->name);
  g_clear_pointer (&rule->conditions, g_ptr_array_unref);
  g_strfreev (rule->destinations);
  g_clear_pointer (&rule->coercions, g_ptr_array_unref);
  g_free (rule);
}

static guint
array_length0 (GPtrArray *array)
{
  return array != NULL ? array->len : 0;
}

static gboolean
rule_equal (const FerryRule *a,
            const FerryRule *b)
{
  if (g_strcmp0 (a->name, b->name) != 0 ||
      !a->enabled != !b->enabled ||
      !strv_equal0 (a->destinations, b->destinations) ||
      array_length0 (a->conditions) != array_length0 (b->conditions) ||
      array_length0 (a->coercions) != array_length0 (b->coercions))
    return FALSE;

  for (guint i = 0; i < array_length0 (a->conditions); i++)
    {
      if (!condition_equal (g_ptr_array_index (a->conditions, i),
                            g_ptr_array_index (b->conditions, i)))
        return FALSE;
    }
  for (guint i = 0; i < array_length0 (a->coercions); i++)
    {
      if (!coercion_equal (g_ptr_array_index (a->coercions, i),
                           g_ptr_array_index (b->coercions, i)))
        return FALSE;
    }

  return TRUE;
}

/* The JSON names of the enums, in the order of their values. */
static const char *const physician_tag_names[] = {
  "performing", "referring", "operator", "reading", "telecom", "none",
};
static const char *const physician_tag_keywords[] = {
  "PerformingPhysicianName", "ReferringPhysicianName", "OperatorsName",
  "NameOfPhysiciansReadingStudy", "PersonTelecomInformation", NULL,
};
static const char *const match_op_names[] = { "equals", "starts-with", "regex" };
static const char *const coercion_action_names[] = { "set", "copy", "remove" };

G_STATIC_ASSERT (G_N_ELEMENTS (physician_tag_names) == FERRY_PHYSICIAN_TAG_NONE + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (physician_tag_keywords) == FERRY_PHYSICIAN_TAG_NONE + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (match_op_names) == FERRY_MATCH_REGEX + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (coercion_action_names) == FERRY_COERCE_REMOVE + 1);

static int
name_index (const char *const *names,
            guint               n_names,
            const char         *text)
{
  if (text == NULL)
    return -1;
  for (guint i = 0; i < n_names; i++)
    {
      if (strcmp (names[i], text) == 0)
        return (int) i;
    }

  return -1;
}

/**
 * ferry_physician_tag_to_string:
 * @tag: a physician tag
 *
 * Returns: (transfer none) (nullable): its name in config.json ("performing", …), or %NULL
 *   when @tag is not a #FerryPhysicianTag
 */
const char *
ferry_physician_tag_to_string (FerryPhysicianTag tag)
{
  if ((guint) tag >= G_N_ELEMENTS (physician_tag_names))
    return NULL;
  return physician_tag_names[tag];
}

/**
 * ferry_physician_tag_from_string:
 * @text: (nullable): a name from config.json
 *
 * Returns: the #FerryPhysicianTag named @text, or -1
 */
int
ferry_physician_tag_from_string (const char *text)
{
  return name_index (physician_tag_names, G_N_ELEMENTS (physician_tag_names), text);
}

/**
 * ferry_physician_tag_keyword:
 * @tag: a physician tag
 *
 * Returns: (transfer none) (nullable): the DICOM keyword of the attribute, e.g.
 *   "PerformingPhysicianName"; %NULL for %FERRY_PHYSICIAN_TAG_NONE
 */
const char *
ferry_physician_tag_keyword (FerryPhysicianTag tag)
{
  if ((guint) tag >= G_N_ELEMENTS (physician_tag_keywords))
    return NULL;
  return physician_tag_keywords[tag];
}

/**
 * ferry_match_op_to_string:
 * @op: a match operator
 *
 * Returns: (transfer none) (nullable): its name in config.json ("equals", "starts-with",
 *   "regex"), or %NULL when @op is not a #FerryMatchOp
 */
const char *
ferry_match_op_to_string (FerryMatchOp op)
{
  if ((guint) op >= G_N_ELEMENTS (match_op_names))
    return NULL;
  return match_op_names[op];
}

/**
 * ferry_match_op_from_string:
 * @text: (nullable): a name from config.json
 *
 * Returns: the #FerryMatchOp named @text, or -1
 */
int
ferry_match_op_from_string (const char *text)
{
  return name_index (match_op_names, G_N_ELEMENTS (match_op_names), text);
}

/**
 * ferry_coercion_action_to_string:
 * @action: a coercion action
 *
 * Returns: (transfer none) (nullable): its name in config.json ("set", "copy", "remove"), or
 *   %NULL when @action is not a #FerryCoercionAction
 */
const char *
ferry_coercion_action_to_string (FerryCoercionAction action)
{
  if ((guint) action >= G_N_ELEMENTS (coercion_action_names))
    return NULL;
  return coercion_action_names[action];
}

/**
 * ferry_coercion_action_from_string:
 * @text: (nullable): a name from config.json
 *
 * Returns: the #FerryCoercionAction named @text, or -1
 */
int
ferry_coercion_action_from_string (const char *text)
{
  return name_index (coercion_action_names, G_N_ELEMENTS (coercion_action_names), text);
}

/**
 * ferry_config_new_default:
 *
 * The configuration Ferry runs with when there is no config.json: receiver and sender AE title
 * "FERRY", port 11112, eight associations, unknown devices accepted, a 256 MiB disk reserve, and
 * no devices, destinations or rules.
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
  config->destinations = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_destination_free);
  config->rules = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_rule_free);

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
  for (guint i = 0; i < array_length0 (config->devices); i++)
    g_ptr_array_add (copy->devices, ferry_device_copy (g_ptr_array_index (config->devices, i)));
  copy->destinations = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_destination_free);
  for (guint i = 0; i < array_length0 (config->destinations); i++)
    g_ptr_array_add (copy->destinations,
                     ferry_destination_copy (g_ptr_array_index (config->destinations, i)));
  copy->rules = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_rule_free);
  for (guint i = 0; i < array_length0 (config->rules); i++)
    g_ptr_array_add (copy->rules, ferry_rule_copy (g_ptr_array_index (config->rules, i)));

  return copy;
}

/**
 * ferry_config_free:
 * @config: (nullable): a configuration
 *
 * Frees @config, its strings, devices, destinations and rules.
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
  g_clear_pointer (&config->destinations, g_ptr_array_unref);
  g_clear_pointer (&config->rules, g_ptr_array_unref);
  g_free (config);
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

  if (array_length0 (a->devices) != array_length0 (b->devices) ||
      array_length0 (a->destinations) != array_length0 (b->destinations) ||
      array_length0 (a->rules) != array_length0 (b->rules))
    return FALSE;

  for (guint i = 0; i < array_length0 (a->devices); i++)
    {
      if (!device_equal (g_ptr_array_index (a->devices, i), g_ptr_array_index (b->devices, i)))
        return FALSE;
    }
  for (guint i = 0; i < array_length0 (a->destinations); i++)
    {
      if (!destination_equal (g_ptr_array_index (a->destinations, i),
                              g_ptr_array_index (b->destinations, i)))
        return FALSE;
    }
  for (guint i = 0; i < array_length0 (a->rules); i++)
    {
      if (!rule_equal (g_ptr_array_index (a->rules, i), g_ptr_array_index (b->rules, i)))
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

/* A reference to a destination by name (from a device or a rule) must name one that exists. */
static gboolean
check_destination_reference (const FerryConfig  *config,
                             const char         *prefix,
                             guint               index,
                             const char         *name,
                             GError            **error)
{
  g_autofree char *field = NULL;

  if (ferry_config_find_destination (config, name) != NULL)
    return TRUE;

  field = g_strdup_printf ("%s.destinations[%u]", prefix, index);
  if (name[0] == '\0')
    return invalid (error, field, "%s", _("the name of a destination is empty"));
  return invalid (error, field, _("there is no destination named “%s”"), name);
}

/* A host name (ASCII letters, digits, hyphens, underscores and dots, or an internationalised
 * name) or a numeric IPv4 or IPv6 address. Whether it resolves is for Test to find out. */
static gboolean
host_validate (const char  *host,
               GError     **error)
{
  gboolean only_digits_and_dots = TRUE;
  gsize length;

  if (host == NULL || host[0] == '\0')
    {
      g_set_error_literal (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_INVALID,
                           _("a destination needs a host name or address"));
      return FALSE;
    }

  for (const char *p = host; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c <= 0x20 || c == 0x7F)
        {
          g_set_error (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_INVALID,
                       _("“%s” must not contain spaces or control characters"), host);
          return FALSE;
        }
    }

  if (g_hostname_is_ip_address (host))
    return TRUE;

  if (!g_utf8_validate (host, -1, NULL))
    {
      g_set_error_literal (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_INVALID,
                           _("not valid UTF-8"));
      return FALSE;
    }

  length = strlen (host);
  for (const char *p = host; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;
      gboolean label_start = p == host || p[-1] == '.';
      gboolean label_end = p[1] == '\0' || p[1] == '.';

      if (c != '.' && !g_ascii_isdigit (c))
        only_digits_and_dots = FALSE;

      if ((c == '.' && label_start) ||
          (c == '-' && (label_start || label_end)) ||
          (c < 0x80 && !g_ascii_isalnum (c) && c != '-' && c != '_' && c != '.'))
        length = 0;
    }

  /* "10.0.0.300" is a mistyped address, not a host name. */
  if (length == 0 || length > 253 || only_digits_and_dots)
    {
      g_set_error (error, FERRY_CONFIG_ERROR, FERRY_CONFIG_ERROR_INVALID,
                   _("“%s” is not a host name or a numeric address"), host);
      return FALSE;
    }

  return TRUE;
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

  g_clear_pointer (&field, g_free);
  field = g_strconcat (prefix, ".specialty", NULL);
  if (device->specialty != NULL && !g_utf8_validate (device->specialty, -1, NULL))
    return invalid (error, field, "%s", _("not valid UTF-8"));

  if (ferry_physician_tag_to_string (device->physician_tag) == NULL)
    {
      g_clear_pointer (&field, g_free);
      field = g_strconcat (prefix, ".physician_tag", NULL);
      return invalid (error, field, _("%d is not a physician tag"), (int) device->physician_tag);
    }

  for (guint j = 0; j < strv_length0 (device->destinations); j++)
    {
      if (!check_destination_reference (config, prefix, j, device->destinations[j], error))
        return FALSE;
    }

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

static gboolean
validate_destination (const FerryConfig *config,
                      guint              index,
                      GError           **error)
{
  const FerryDestination *destination = g_ptr_array_index (config->destinations, index);
  g_autofree char *prefix = g_strdup_printf ("destinations[%u]", index);
  g_autofree char *field = NULL;
  g_autofree char *name = NULL;

#define FIELD(member) (g_free (field), field = g_strconcat (prefix, "." member, NULL))

  FIELD ("name");
  if (destination->name != NULL && !g_utf8_validate (destination->name, -1, NULL))
    return invalid (error, field, "%s", _("not valid UTF-8"));
  name = g_strstrip (g_strdup (destination->name != NULL ? destination->name : ""));
  if (name[0] == '\0')
    return invalid (error, field, "%s", _("a destination needs a name"));

  FIELD ("ae_title");
  if (destination->ae_title == NULL)
    return invalid (error, field, "%s", _("AE title is empty"));
  if (!ferry_ae_title_validate (destination->ae_title, error))
    {
      prefix_field (error, field);
      return FALSE;
    }

  FIELD ("host");
  if (!host_validate (destination->host, error))
    {
      prefix_field (error, field);
      return FALSE;
    }

  FIELD ("port");
  if (!ferry_port_validate (destination->port, error))
    {
      prefix_field (error, field);
      return FALSE;
    }

  FIELD ("specialties");
  for (guint j = 0; j < strv_length0 (destination->specialties); j++)
    {
      if (!g_utf8_validate (destination->specialties[j], -1, NULL))
        return invalid (error, field, "%s", _("not valid UTF-8"));
    }

  FIELD ("character_set");
  if (destination->character_set != NULL && destination->character_set[0] != '\0' &&
      !ferry_charset_is_known (destination->character_set))
    return invalid (error, field, _("“%s” is not a character set Ferry knows"),
                    destination->character_set);

  FIELD ("max_associations");
  if (destination->max_associations < 1 ||
      destination->max_associations > MAX_DESTINATION_ASSOCIATIONS)
    return invalid (error, field, _("%u is not between 1 and %u"),
                    destination->max_associations, MAX_DESTINATION_ASSOCIATIONS);

  FIELD ("retry_interval_seconds");
  if (destination->retry_interval_seconds < 1 ||
      destination->retry_interval_seconds > MAX_RETRY_INTERVAL_SECONDS)
    return invalid (error, field, _("%u is not between %u and %u seconds"),
                    destination->retry_interval_seconds, 1u, MAX_RETRY_INTERVAL_SECONDS);

  FIELD ("retry_days");
  if (destination->retry_days < 1 || destination->retry_days > MAX_RETRY_DAYS)
    return invalid (error, field, _("%u is not between %u and %u days"),
                    destination->retry_days, 1u, MAX_RETRY_DAYS);

  for (guint j = 0; j < index; j++)
    {
      const FerryDestination *other = g_ptr_array_index (config->destinations, j);

      if (same_name (other->name, destination->name))
        {
          FIELD ("name");
          return invalid (error, field, _("“%s” is already the name of destinations[%u]"),
                          destination->name, j);
        }

      /* Two entries for one PACS would deliver every object twice to it. */
      if (same_ae_title (other->ae_title, destination->ae_title) &&
          g_ascii_strcasecmp (other->host, destination->host) == 0 &&
          other->port == destination->port)
        {
          FIELD ("ae_title");
          return invalid (error, field,
                          _("“%s” at %s:%u is already used by destinations[%u] (“%s”)"),
                          destination->ae_title, destination->host, destination->port, j,
                          other->name);
        }
    }

#undef FIELD

  return TRUE;
}

/* Rules name attributes the way a PACS admin writes them; the dictionary decides. */
static gboolean
check_tag (const char  *field,
           const char  *tag,
           GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  guint16 group, element;

  if (tag == NULL || tag[0] == '\0')
    return invalid (error, field, "%s", _("the attribute is empty: use a keyword such as "
                                          "PatientID or a tag such as 0010,0020"));
  if (!ferry_dicom_parse_tag (tag, &group, &element, &local_error))
    return invalid (error, field, "%s", local_error->message);

  return TRUE;
}

static gboolean
validate_rule (const FerryConfig *config,
               guint              index,
               GError           **error)
{
  const FerryRule *rule = g_ptr_array_index (config->rules, index);
  g_autofree char *prefix = g_strdup_printf ("rules[%u]", index);
  g_autofree char *field = NULL;
  g_autofree char *name = NULL;

  field = g_strconcat (prefix, ".name", NULL);
  if (rule->name != NULL && !g_utf8_validate (rule->name, -1, NULL))
    return invalid (error, field, "%s", _("not valid UTF-8"));
  name = g_strstrip (g_strdup (rule->name != NULL ? rule->name : ""));
  if (name[0] == '\0')
    return invalid (error, field, "%s", _("a rule needs a name"));

  for (guint j = 0; j < array_length0 (rule->conditions); j++)
    {
      const FerryCondition *condition = g_ptr_array_index (rule->conditions, j);

      g_free (field);
      field = g_strdup_printf ("%s.conditions[%u].tag", prefix, j);
      if (!check_tag (field, condition->tag, error))
        return FALSE;

      g_free (field);
      field = g_strdup_printf ("%s.conditions[%u].match", prefix, j);
      if (ferry_match_op_to_string (condition->op) == NULL)
        return invalid (error, field, _("%d is not a way to match"), (int) condition->op);

      g_free (field);
      field = g_strdup_printf ("%s.conditions[%u].value", prefix, j);
      if (condition->value == NULL)
        return invalid (error, field, "%s", _("a condition needs a value"));
      if (!g_utf8_validate (condition->value, -1, NULL))
        return invalid (error, field, "%s", _("not valid UTF-8"));
      if (condition->op == FERRY_MATCH_REGEX)
        {
          g_autoptr(GRegex) regex = NULL;
          g_autoptr(GError) local_error = NULL;

          regex = g_regex_new (condition->value, 0, 0, &local_error);
          if (regex == NULL)
            return invalid (error, field, _("not a valid regular expression: %s"),
                            local_error->message);
        }
    }

  g_free (field);
  field = g_strconcat (prefix, ".destinations", NULL);
  if (strv_length0 (rule->destinations) == 0)
    return invalid (error, field, "%s", _("a rule needs at least one destination"));
  for (guint j = 0; j < strv_length0 (rule->destinations); j++)
    {
      if (!check_destination_reference (config, prefix, j, rule->destinations[j], error))
        return FALSE;
    }

  for (guint j = 0; j < array_length0 (rule->coercions); j++)
    {
      const FerryCoercion *coercion = g_ptr_array_index (rule->coercions, j);

      g_free (field);
      field = g_strdup_printf ("%s.coercions[%u].action", prefix, j);
      if (ferry_coercion_action_to_string (coercion->action) == NULL)
        return invalid (error, field, _("%d is not a coercion"), (int) coercion->action);

      g_free (field);
      field = g_strdup_printf ("%s.coercions[%u].tag", prefix, j);
      if (!check_tag (field, coercion->tag, error))
        return FALSE;

      g_free (field);
      field = g_strdup_printf ("%s.coercions[%u].value", prefix, j);
      switch (coercion->action)
        {
        case FERRY_COERCE_SET:
          /* An empty value is allowed: it empties the attribute. */
          if (coercion->value == NULL)
            return invalid (error, field, "%s", _("“set” needs a value (it may be empty)"));
          if (!g_utf8_validate (coercion->value, -1, NULL))
            return invalid (error, field, "%s", _("not valid UTF-8"));
          break;

        case FERRY_COERCE_COPY:
          if (!check_tag (field, coercion->value, error))
            return FALSE;
          break;

        case FERRY_COERCE_REMOVE:
          if (coercion->value != NULL && coercion->value[0] != '\0')
            return invalid (error, field, "%s", _("“remove” takes no value"));
          break;

        default:
          g_assert_not_reached ();
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

  /* Destinations first: devices and rules refer to them by name. */
  for (guint i = 0; i < array_length0 (config->destinations); i++)
    {
      if (!validate_destination (config, i, error))
        return FALSE;
    }
  for (guint i = 0; i < array_length0 (config->devices); i++)
    {
      if (!validate_device (config, i, error))
        return FALSE;
    }
  for (guint i = 0; i < array_length0 (config->rules); i++)
    {
      if (!validate_rule (config, i, error))
        return FALSE;
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

/* A list of strings; an empty list is stored as NULL. */
static gboolean
read_string_array (JsonObject   *object,
                   const char   *member,
                   const char   *field,
                   char       ***value,
                   GError      **error)
{
  JsonNode *node = json_object_get_member (object, member);
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonArray *array;

  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_NULL (node))
    {
      g_clear_pointer (value, g_strfreev);
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return wrong_type (error, field, _("an array of strings"));

  array = json_node_get_array (node);
  builder = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        {
          g_autofree char *element_field = g_strdup_printf ("%s[%u]", field, i);
          return wrong_type (error, element_field, _("a string"));
        }
      g_strv_builder_add (builder, json_node_get_string (element));
    }

  g_clear_pointer (value, g_strfreev);
  if (json_array_get_length (array) > 0)
    *value = g_strv_builder_end (builder);
  return TRUE;
}

/* A whole number that must lie in [@min, @max]. */
static gboolean
read_uint (JsonObject  *object,
           const char  *member,
           const char  *field,
           guint        min,
           guint        max,
           guint       *value,
           GError     **error)
{
  gint64 number = *value;

  if (!read_integer (object, member, field, &number, error))
    return FALSE;
  if (number < min || number > max)
    return invalid (error, field, _("%lld is not between %u and %u"), (long long) number, min, max);

  *value = (guint) number;
  return TRUE;
}

/* One of @names, stored as its index. */
static gboolean
read_enum (JsonObject         *object,
           const char         *member,
           const char         *field,
           const char *const  *names,
           guint               n_names,
           int                *value,
           GError            **error)
{
  g_autofree char *text = NULL;
  g_autofree char *choices = NULL;
  int index;

  if (!read_string (object, member, field, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;

  index = name_index (names, n_names, text);
  if (index < 0)
    {
      g_autoptr(GString) list = g_string_new (NULL);

      for (guint i = 0; i < n_names; i++)
        g_string_append_printf (list, "%s%s", i > 0 ? ", " : "", names[i]);
      /* Translators: the second %s is a list such as "equals, starts-with, regex" */
      return invalid (error, field, _("“%s” is not one of %s"), text, list->str);
    }

  *value = index;
  return TRUE;
}

static gboolean
read_destinations (FerryConfig  *config,
                   JsonNode     *node,
                   GError      **error)
{
  JsonArray *array;

  if (JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return wrong_type (error, "destinations", _("an array"));

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree char *prefix = g_strdup_printf ("destinations[%u]", i);
      g_autofree char *field = NULL;
      g_autofree char *name = NULL;
      g_autofree char *ae_title = NULL;
      g_autofree char *host = NULL;
      g_autoptr(FerryDestination) destination = NULL;
      gint64 port = -1;
      JsonObject *object;

#define FIELD(member) (g_free (field), field = g_strconcat (prefix, "." member, NULL))

      if (!JSON_NODE_HOLDS_OBJECT (element))
        return wrong_type (error, prefix, _("an object"));
      object = json_node_get_object (element);

      if (!read_string (object, "name", FIELD ("name"), &name, error))
        return FALSE;
      if (name == NULL)
        return invalid (error, field, "%s", _("a destination needs a name"));
      if (!read_string (object, "ae_title", FIELD ("ae_title"), &ae_title, error))
        return FALSE;
      if (ae_title == NULL)
        return invalid (error, field, "%s", _("AE title is empty"));
      if (!read_string (object, "host", FIELD ("host"), &host, error))
        return FALSE;
      if (host == NULL)
        return invalid (error, field, "%s", _("a destination needs a host name or address"));
      if (!read_integer (object, "port", FIELD ("port"), &port, error))
        return FALSE;
      if (!json_object_has_member (object, "port"))
        return invalid (error, field, "%s", _("a destination needs a port"));
      if (!ferry_port_validate (port, error))
        {
          prefix_field (error, field);
          return FALSE;
        }

      destination = ferry_destination_new (name, ae_title, host, (guint16) port);

      if (!read_string_array (object, "specialties", FIELD ("specialties"),
                              &destination->specialties, error) ||
          !read_string (object, "character_set", FIELD ("character_set"),
                        &destination->character_set, error) ||
          !read_boolean (object, "decompress", FIELD ("decompress"),
                         &destination->decompress, error) ||
          !read_uint (object, "max_associations", FIELD ("max_associations"), 1,
                      MAX_DESTINATION_ASSOCIATIONS, &destination->max_associations, error) ||
          !read_uint (object, "retry_interval_seconds", FIELD ("retry_interval_seconds"), 1,
                      MAX_RETRY_INTERVAL_SECONDS, &destination->retry_interval_seconds, error) ||
          !read_uint (object, "retry_days", FIELD ("retry_days"), 1, MAX_RETRY_DAYS,
                      &destination->retry_days, error) ||
          !read_boolean (object, "default", FIELD ("default"), &destination->is_default, error) ||
          !read_boolean (object, "verified", FIELD ("verified"), &destination->verified, error))
        return FALSE;

#undef FIELD

      normalise_optional (&destination->character_set);
      g_ptr_array_add (config->destinations, g_steal_pointer (&destination));
    }

  return TRUE;
}

static gboolean
read_conditions (FerryRule   *rule,
                 JsonObject  *object,
                 const char  *prefix,
                 GError     **error)
{
  g_autofree char *field = g_strconcat (prefix, ".conditions", NULL);
  JsonNode *node = json_object_get_member (object, "conditions");
  JsonArray *array;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return wrong_type (error, field, _("an array"));

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree char *item = g_strdup_printf ("%s.conditions[%u]", prefix, i);
      g_autofree char *tag_field = g_strconcat (item, ".tag", NULL);
      g_autofree char *match_field = g_strconcat (item, ".match", NULL);
      g_autofree char *value_field = g_strconcat (item, ".value", NULL);
      g_autofree char *tag = NULL;
      g_autofree char *value = NULL;
      int op = FERRY_MATCH_EQUALS;
      JsonObject *condition;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        return wrong_type (error, item, _("an object"));
      condition = json_node_get_object (element);

      if (!read_string (condition, "tag", tag_field, &tag, error) ||
          !read_enum (condition, "match", match_field, match_op_names,
                      G_N_ELEMENTS (match_op_names), &op, error) ||
          !read_string (condition, "value", value_field, &value, error))
        return FALSE;
      if (tag == NULL)
        return invalid (error, tag_field, "%s", _("a condition needs an attribute"));

      /* Validation says what is wrong with a missing value. */
      g_ptr_array_add (rule->conditions, ferry_condition_new (tag, (FerryMatchOp) op, value));
    }

  return TRUE;
}

static gboolean
read_coercions (FerryRule   *rule,
                JsonObject  *object,
                const char  *prefix,
                GError     **error)
{
  g_autofree char *field = g_strconcat (prefix, ".coercions", NULL);
  JsonNode *node = json_object_get_member (object, "coercions");
  JsonArray *array;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return wrong_type (error, field, _("an array"));

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree char *item = g_strdup_printf ("%s.coercions[%u]", prefix, i);
      g_autofree char *action_field = g_strconcat (item, ".action", NULL);
      g_autofree char *tag_field = g_strconcat (item, ".tag", NULL);
      g_autofree char *value_field = g_strconcat (item, ".value", NULL);
      g_autofree char *tag = NULL;
      g_autofree char *value = NULL;
      int action = -1;
      JsonObject *coercion;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        return wrong_type (error, item, _("an object"));
      coercion = json_node_get_object (element);

      if (!read_enum (coercion, "action", action_field, coercion_action_names,
                      G_N_ELEMENTS (coercion_action_names), &action, error) ||
          !read_string (coercion, "tag", tag_field, &tag, error) ||
          !read_string (coercion, "value", value_field, &value, error))
        return FALSE;
      if (action < 0)
        return invalid (error, action_field, "%s", _("a coercion needs an action: set, copy or "
                                                      "remove"));
      if (tag == NULL)
        return invalid (error, tag_field, "%s", _("a coercion needs an attribute"));
      if (action == FERRY_COERCE_REMOVE)
        normalise_optional (&value);

      g_ptr_array_add (rule->coercions,
                       ferry_coercion_new ((FerryCoercionAction) action, tag, value));
    }

  return TRUE;
}

static gboolean
read_rules (FerryConfig  *config,
            JsonNode     *node,
            GError      **error)
{
  JsonArray *array;

  if (JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return wrong_type (error, "rules", _("an array"));

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree char *prefix = g_strdup_printf ("rules[%u]", i);
      g_autofree char *name_field = g_strconcat (prefix, ".name", NULL);
      g_autofree char *enabled_field = g_strconcat (prefix, ".enabled", NULL);
      g_autofree char *destinations_field = g_strconcat (prefix, ".destinations", NULL);
      g_autofree char *name = NULL;
      g_autoptr(FerryRule) rule = NULL;
      JsonObject *object;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        return wrong_type (error, prefix, _("an object"));
      object = json_node_get_object (element);

      if (!read_string (object, "name", name_field, &name, error))
        return FALSE;
      if (name == NULL)
        return invalid (error, name_field, "%s", _("a rule needs a name"));

      rule = ferry_rule_new (name);
      if (!read_boolean (object, "enabled", enabled_field, &rule->enabled, error) ||
          !read_conditions (rule, object, prefix, error) ||
          !read_string_array (object, "destinations", destinations_field, &rule->destinations,
                              error) ||
          !read_coercions (rule, object, prefix, error))
        return FALSE;

      g_ptr_array_add (config->rules, g_steal_pointer (&rule));
    }

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
      g_autofree char *specialty_field = g_strconcat (prefix, ".specialty", NULL);
      g_autofree char *tag_field = g_strconcat (prefix, ".physician_tag", NULL);
      g_autofree char *destinations_field = g_strconcat (prefix, ".destinations", NULL);
      g_autofree char *name = NULL;
      g_autofree char *ae_title = NULL;
      g_autofree char *host = NULL;
      g_autofree char *character_set = NULL;
      g_autofree char *specialty = NULL;
      g_auto(GStrv) destinations = NULL;
      int physician_tag = FERRY_PHYSICIAN_TAG_PERFORMING;
      FerryDevice *device;
      JsonObject *object;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        return wrong_type (error, prefix, _("an object"));
      object = json_node_get_object (element);

      if (!read_string (object, "name", name_field, &name, error) ||
          !read_string (object, "ae_title", ae_field, &ae_title, error) ||
          !read_string (object, "host", host_field, &host, error) ||
          !read_string (object, "character_set", charset_field, &character_set, error) ||
          !read_string (object, "specialty", specialty_field, &specialty, error) ||
          !read_enum (object, "physician_tag", tag_field, physician_tag_names,
                      G_N_ELEMENTS (physician_tag_names), &physician_tag, error) ||
          !read_string_array (object, "destinations", destinations_field, &destinations, error))
        return FALSE;

      if (name == NULL)
        return invalid (error, name_field, "%s", _("a device needs a name"));
      if (ae_title == NULL)
        return invalid (error, ae_field, "%s", _("AE title is empty"));

      normalise_optional (&host);
      normalise_optional (&character_set);
      normalise_optional (&specialty);
      device = ferry_device_new (name, ae_title, host, character_set);
      device->specialty = g_steal_pointer (&specialty);
      device->physician_tag = (FerryPhysicianTag) physician_tag;
      device->destinations = g_steal_pointer (&destinations);
      g_ptr_array_add (config->devices, device);
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
  JsonNode *member;
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

  /* Destinations first, so that errors in them come before errors in references to them. */
  member = json_object_get_member (object, "destinations");
  if (member != NULL && !read_destinations (config, member, error))
    return NULL;

  member = json_object_get_member (object, "devices");
  if (member != NULL && !read_devices (config, member, error))
    return NULL;

  member = json_object_get_member (object, "rules");
  if (member != NULL && !read_rules (config, member, error))
    return NULL;

  if (!ferry_config_validate (config, error))
    return NULL;

  return g_steal_pointer (&config);
}

static const char *
or_empty (const char *value)
{
  return value != NULL ? value : "";
}

/* Always written, as an empty array when there is nothing, so the file shows the field. */
static void
add_string_array (JsonBuilder  *builder,
                  const char   *member,
                  char * const *strv)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_builder_add_string_value (builder, strv[i]);
  json_builder_end_array (builder);
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
      if (device->specialty != NULL && device->specialty[0] != '\0')
        {
          json_builder_set_member_name (builder, "specialty");
          json_builder_add_string_value (builder, device->specialty);
        }
      json_builder_set_member_name (builder, "physician_tag");
      json_builder_add_string_value (builder,
                                     or_empty (ferry_physician_tag_to_string (device->physician_tag)));
      add_string_array (builder, "destinations", device->destinations);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "destinations");
  json_builder_begin_array (builder);
  for (guint i = 0; i < array_length0 (config->destinations); i++)
    {
      const FerryDestination *destination = g_ptr_array_index (config->destinations, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, or_empty (destination->name));
      json_builder_set_member_name (builder, "ae_title");
      json_builder_add_string_value (builder, or_empty (destination->ae_title));
      json_builder_set_member_name (builder, "host");
      json_builder_add_string_value (builder, or_empty (destination->host));
      json_builder_set_member_name (builder, "port");
      json_builder_add_int_value (builder, destination->port);
      add_string_array (builder, "specialties", destination->specialties);
      json_builder_set_member_name (builder, "character_set");
      json_builder_add_string_value (builder, or_empty (destination->character_set));
      json_builder_set_member_name (builder, "decompress");
      json_builder_add_boolean_value (builder, destination->decompress);
      json_builder_set_member_name (builder, "max_associations");
      json_builder_add_int_value (builder, destination->max_associations);
      json_builder_set_member_name (builder, "retry_interval_seconds");
      json_builder_add_int_value (builder, destination->retry_interval_seconds);
      json_builder_set_member_name (builder, "retry_days");
      json_builder_add_int_value (builder, destination->retry_days);
      json_builder_set_member_name (builder, "default");
      json_builder_add_boolean_value (builder, destination->is_default);
      json_builder_set_member_name (builder, "verified");
      json_builder_add_boolean_value (builder, destination->verified);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "rules");
  json_builder_begin_array (builder);
  for (guint i = 0; i < array_length0 (config->rules); i++)
    {
      const FerryRule *rule = g_ptr_array_index (config->rules, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, or_empty (rule->name));
      json_builder_set_member_name (builder, "enabled");
      json_builder_add_boolean_value (builder, rule->enabled);

      json_builder_set_member_name (builder, "conditions");
      json_builder_begin_array (builder);
      for (guint j = 0; j < array_length0 (rule->conditions); j++)
        {
          const FerryCondition *condition = g_ptr_array_index (rule->conditions, j);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "tag");
          json_builder_add_string_value (builder, or_empty (condition->tag));
          json_builder_set_member_name (builder, "match");
          json_builder_add_string_value (builder,
                                         or_empty (ferry_match_op_to_string (condition->op)));
          if (condition->value != NULL)
            {
              json_builder_set_member_name (builder, "value");
              json_builder_add_string_value (builder, condition->value);
            }
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);

      add_string_array (builder, "destinations", rule->destinations);

      json_builder_set_member_name (builder, "coercions");
      json_builder_begin_array (builder);
      for (guint j = 0; j < array_length0 (rule->coercions); j++)
        {
          const FerryCoercion *coercion = g_ptr_array_index (rule->coercions, j);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "action");
          json_builder_add_string_value (builder,
                                         or_empty (ferry_coercion_action_to_string (coercion->action)));
          json_builder_set_member_name (builder, "tag");
          json_builder_add_string_value (builder, or_empty (coercion->tag));
          if (coercion->value != NULL)
            {
              json_builder_set_member_name (builder, "value");
              json_builder_add_string_value (builder, coercion->value);
            }
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);

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

/**
 * ferry_config_find_destination:
 * @config: a configuration
 * @name: the name of a destination
 *
 * Names are compared case-insensitively.
 *
 * Returns: (transfer none) (nullable): the destination named @name, or %NULL
 */
const FerryDestination *
ferry_config_find_destination (const FerryConfig *config,
                               const char        *name)
{
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < array_length0 (config->destinations); i++)
    {
      const FerryDestination *destination = g_ptr_array_index (config->destinations, i);

      if (same_name (destination->name, name))
        return destination;
    }

  return NULL;
}

/**
 * ferry_config_dup_default_destinations:
 * @config: a configuration
 *
 * The destinations marked default, where objects from unknown devices and from devices with no
 * list of their own go.
 *
 * Returns: (transfer container) (element-type FerryDestination): the default destinations, in
 *   the order of the configuration; they belong to @config
 */
GPtrArray *
ferry_config_dup_default_destinations (const FerryConfig *config)
{
  GPtrArray *defaults;

  g_return_val_if_fail (config != NULL, NULL);

  defaults = g_ptr_array_new ();
  for (guint i = 0; i < array_length0 (config->destinations); i++)
    {
      FerryDestination *destination = g_ptr_array_index (config->destinations, i);

      if (destination->is_default)
        g_ptr_array_add (defaults, destination);
    }

  return defaults;
}

/* Replaces every entry of @strv that names @old_name by @new_name (or removes it when
 * @new_name is NULL); an emptied list becomes NULL. */
static void
update_references (char       ***strv,
                   const char   *old_name,
                   const char   *new_name)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  gboolean any = FALSE;

  if (*strv == NULL)
    return;

  builder = g_strv_builder_new ();
  for (guint i = 0; (*strv)[i] != NULL; i++)
    {
      if (!same_name ((*strv)[i], old_name))
        {
          g_strv_builder_add (builder, (*strv)[i]);
          any = TRUE;
        }
      else if (new_name != NULL)
        {
          g_strv_builder_add (builder, new_name);
          any = TRUE;
        }
    }

  g_strfreev (*strv);
  *strv = any ? g_strv_builder_end (builder) : NULL;
}

/**
 * ferry_config_rename_destination:
 * @config: a configuration
 * @old_name: the name of a destination (case-insensitive)
 * @new_name: its new name
 *
 * Renames the destination and every reference to it in devices and rules. It does not validate
 * @new_name; ferry_config_validate() does.
 *
 * Returns: %FALSE when there is no destination named @old_name
 */
gboolean
ferry_config_rename_destination (FerryConfig *config,
                                 const char  *old_name,
                                 const char  *new_name)
{
  FerryDestination *destination;
  g_autofree char *old = NULL;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (old_name != NULL, FALSE);
  g_return_val_if_fail (new_name != NULL, FALSE);

  destination = (FerryDestination *) ferry_config_find_destination (config, old_name);
  if (destination == NULL)
    return FALSE;

  /* @old_name may be the destination's own name, which is replaced below. */
  old = g_strdup (old_name);
  g_free (destination->name);
  destination->name = g_strdup (new_name);

  for (guint i = 0; i < array_length0 (config->devices); i++)
    {
      FerryDevice *device = g_ptr_array_index (config->devices, i);

      update_references (&device->destinations, old, new_name);
    }
  for (guint i = 0; i < array_length0 (config->rules); i++)
    {
      FerryRule *rule = g_ptr_array_index (config->rules, i);

      update_references (&rule->destinations, old, new_name);
    }

  return TRUE;
}

/**
 * ferry_config_remove_destination:
 * @config: a configuration
 * @name: the name of a destination (case-insensitive)
 *
 * Removes the destination and every reference to it. A device whose list becomes empty sends to
 * the default destinations; a rule left without destinations is removed.
 *
 * Returns: %FALSE when there is no destination named @name
 */
gboolean
ferry_config_remove_destination (FerryConfig *config,
                                 const char  *name)
{
  g_autofree char *removed = NULL;
  guint index;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  for (index = 0; index < array_length0 (config->destinations); index++)
    {
      const FerryDestination *destination = g_ptr_array_index (config->destinations, index);

      if (same_name (destination->name, name))
        break;
    }
  if (index == array_length0 (config->destinations))
    return FALSE;

  removed = g_strdup (name);
  g_ptr_array_remove_index (config->destinations, index);

  for (guint i = 0; i < array_length0 (config->devices); i++)
    {
      FerryDevice *device = g_ptr_array_index (config->devices, i);

      update_references (&device->destinations, removed, NULL);
    }
  for (guint i = array_length0 (config->rules); i > 0; i--)
    {
      FerryRule *rule = g_ptr_array_index (config->rules, i - 1);

      update_references (&rule->destinations, removed, NULL);
      if (rule->destinations == NULL)
        g_ptr_array_remove_index (config->rules, i - 1);
    }

  return TRUE;
}
