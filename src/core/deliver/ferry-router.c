/* ferry-router.c: where an archived instance goes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ferry-router"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "ferry-charset.h"
#include "ferry-dicom-send.h"
#include "ferry-router.h"

gboolean
ferry_router_condition_holds (const FerryCondition *condition,
                              const char           *value)
{
  g_return_val_if_fail (condition != NULL, FALSE);

  /* An absent attribute holds no value: it equals nothing, starts with nothing and matches no
   * pattern, not even an empty one. */
  if (value == NULL)
    return FALSE;

  switch (condition->op)
    {
    case FERRY_MATCH_EQUALS:
      return g_strcmp0 (value, condition->value != NULL ? condition->value : "") == 0;
    case FERRY_MATCH_STARTS_WITH:
      return g_str_has_prefix (value, condition->value != NULL ? condition->value : "");
    case FERRY_MATCH_REGEX:
      {
        g_autoptr(GRegex) regex = NULL;

        /* Validated when the configuration was loaded; a pattern that still fails matches
         * nothing. */
        regex = g_regex_new (condition->value != NULL ? condition->value : "", G_REGEX_OPTIMIZE,
                             0, NULL);
        return regex != NULL && g_regex_match (regex, value, 0, NULL);
      }
    default:
      g_return_val_if_reached (FALSE);
    }
}

/* One destination and the coercions collected for it. */
typedef struct {
  char      *destination;
  JsonArray *coercions;
} Target;

static void
target_free (Target *target)
{
  g_free (target->destination);
  g_clear_pointer (&target->coercions, json_array_unref);
  g_free (target);
}

static Target *
add_target (GPtrArray         *targets,
            const FerryConfig *config,
            const char        *name)
{
  const FerryDestination *destination = ferry_config_find_destination (config, name);
  Target *target;

  if (destination == NULL)
    {
      g_message ("Not routing to “%s”: no destination has that name", name);
      return NULL;
    }

  for (guint i = 0; i < targets->len; i++)
    {
      target = g_ptr_array_index (targets, i);
      if (g_strcmp0 (target->destination, destination->name) == 0)
        return target;
    }

  target = g_new0 (Target, 1);
  target->destination = g_strdup (destination->name);
  target->coercions = json_array_new ();
  g_ptr_array_add (targets, target);
  return target;
}

static void
add_defaults (GPtrArray         *targets,
              const FerryConfig *config)
{
  g_autoptr(GPtrArray) defaults = ferry_config_dup_default_destinations (config);

  for (guint i = 0; i < defaults->len; i++)
    add_target (targets, config, ((const FerryDestination *) g_ptr_array_index (defaults, i))->name);
}

static JsonNode *
coercion_to_json (const FerryCoercion *coercion)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "action");
  json_builder_add_string_value (builder, ferry_coercion_action_to_string (coercion->action));
  json_builder_set_member_name (builder, "tag");
  json_builder_add_string_value (builder, coercion->tag);
  if (coercion->value != NULL)
    {
      json_builder_set_member_name (builder, "value");
      json_builder_add_string_value (builder, coercion->value);
    }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* The tags that enabled rules test, each once. */
static GPtrArray *
rule_tags (const FerryConfig *config)
{
  GPtrArray *tags = g_ptr_array_new ();

  for (guint r = 0; config->rules != NULL && r < config->rules->len; r++)
    {
      const FerryRule *rule = g_ptr_array_index (config->rules, r);

      if (!rule->enabled)
        continue;
      for (guint c = 0; rule->conditions != NULL && c < rule->conditions->len; c++)
        {
          const FerryCondition *condition = g_ptr_array_index (rule->conditions, c);
          gboolean seen = FALSE;

          for (guint t = 0; t < tags->len && !seen; t++)
            seen = g_strcmp0 (g_ptr_array_index (tags, t), condition->tag) == 0;
          if (!seen)
            g_ptr_array_add (tags, condition->tag);
        }
    }
  return tags;
}

GPtrArray *
ferry_router_route (const FerryConfig    *config,
                    const FerryRoutable  *instance,
                    const char           *path,
                    GError              **error)
{
  g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func ((GDestroyNotify) target_free);
  g_autoptr(GPtrArray) routes = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_route_free);
  g_autoptr(GPtrArray) tags = NULL;
  const FerryDevice *device = NULL;
  char **values = NULL;
  const char *fallback_charset;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (instance != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  if (instance->route_to != NULL && instance->route_to[0] != '\0')
    {
      add_target (targets, config, instance->route_to);
    }
  else
    {
      if (instance->calling_ae != NULL)
        device = ferry_config_find_device (config, instance->calling_ae, instance->peer_address);

      if (device != NULL && device->destinations != NULL && device->destinations[0] != NULL)
        {
          for (guint i = 0; device->destinations[i] != NULL; i++)
            add_target (targets, config, device->destinations[i]);
        }
      else
        {
          add_defaults (targets, config);
        }
    }

  /* Rules add destinations (and coercions) to whatever the device or the user chose. */
  tags = rule_tags (config);
  if (tags->len > 0)
    {
      /* The file's own character set is read with the tags, for the conversion to UTF-8. */
      g_ptr_array_add (tags, (gpointer) "SpecificCharacterSet");
      values = g_new0 (char *, tags->len + 1);
      if (!ferry_dicom_read_values (path, (const char * const *) tags->pdata, tags->len, values,
                                    error))
        {
          g_strfreev (values);
          return NULL;
        }

      fallback_charset = device != NULL ? device->character_set : NULL;
      for (guint t = 0; t + 1 < tags->len; t++)
        {
          char *utf8 = ferry_charset_to_utf8 (values[t], values[tags->len - 1], fallback_charset);

          g_free (values[t]);
          values[t] = utf8;
        }
    }

  for (guint r = 0; config->rules != NULL && r < config->rules->len; r++)
    {
      const FerryRule *rule = g_ptr_array_index (config->rules, r);
      gboolean holds = rule->enabled;

      for (guint c = 0; holds && rule->conditions != NULL && c < rule->conditions->len; c++)
        {
          const FerryCondition *condition = g_ptr_array_index (rule->conditions, c);
          const char *value = NULL;

          for (guint t = 0; t + 1 < tags->len; t++)
            if (g_strcmp0 (g_ptr_array_index (tags, t), condition->tag) == 0)
              value = values[t];
          holds = ferry_router_condition_holds (condition, value);
        }
      if (!holds)
        continue;

      for (guint d = 0; rule->destinations != NULL && rule->destinations[d] != NULL; d++)
        {
          Target *target = add_target (targets, config, rule->destinations[d]);

          for (guint k = 0; target != NULL && rule->coercions != NULL && k < rule->coercions->len; k++)
            json_array_add_element (target->coercions,
                                    coercion_to_json (g_ptr_array_index (rule->coercions, k)));
        }
    }

  g_strfreev (values);

  for (guint i = 0; i < targets->len; i++)
    {
      Target *target = g_ptr_array_index (targets, i);
      g_autofree char *json = NULL;

      if (json_array_get_length (target->coercions) > 0)
        {
          g_autoptr(JsonNode) node = json_node_alloc ();

          json_node_init_array (node, target->coercions);
          json = json_to_string (node, FALSE);
        }
      g_ptr_array_add (routes, ferry_route_new (target->destination, json));
    }

  return g_steal_pointer (&routes);
}
