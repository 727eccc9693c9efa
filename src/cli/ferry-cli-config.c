/* ferry-cli-config.c: ferry-cli destination … and device … — edit config.json from scripts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every command reads config.json, changes it, validates the whole configuration and saves it
 * atomically (ferry_config_save()); a running Ferry notices the new file within a second. An
 * invalid result is never written: the validation message is printed as it is, naming the
 * field.
 */

#define G_LOG_DOMAIN "ferry-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "ferry-cli-config.h"
#include "ferry-config.h"
#include "ferry-dicom.h"
#include "ferry-paths.h"

/* The same as in ferry-cli.c. */
enum {
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
};

/* C-ECHO of `destination test`: long enough for a PACS across a WAN, short enough for a
 * script. */
#define TEST_TIMEOUT_SECONDS 10

typedef struct {
  const char *name;
  const char *summary;
  int (*run) (int argc, char **argv);
} Subcommand;

static int
usage_error (GOptionContext *context,
             const char     *message)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

  g_printerr ("ferry-cli: %s\n\n%s", message, help);

  return EXIT_USAGE;
}

static int
fail (GError *error)
{
  g_printerr ("ferry-cli: %s\n", error->message);

  return EXIT_FAILED;
}

/* Parses options; returns -1 to go on, or the exit code. */
static int
parse_options (GOptionContext  *context,
               int             *argc,
               char          ***argv)
{
  g_autoptr(GError) error = NULL;

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    return usage_error (context, error->message);

  return -1;
}

static GOptionContext *
subcommand_context (const char *group,
                    const char *name,
                    const char *parameters,
                    const char *summary)
{
  g_autofree char *prgname = g_strdup_printf ("ferry-cli %s %s", group, name);
  GOptionContext *context = g_option_context_new (parameters);

  g_set_prgname (prgname);
  g_option_context_set_summary (context, summary);

  return context;
}

static FerryConfig *
load_config (FerryPaths  *paths,
             GError     **error)
{
  return ferry_config_load (paths->config_file, error);
}

static int
save_config (FerryPaths  *paths,
             FerryConfig *config)
{
  g_autoptr(GError) error = NULL;

  /* Validated first, so the message names the field, e.g. "destinations[1].port: …". */
  if (!ferry_config_validate (config, &error) ||
      !ferry_paths_ensure (paths, &error) ||
      !ferry_config_save (config, paths->config_file, &error))
    return fail (error);

  return EXIT_OK;
}

/* Prints one member of the configuration as config.json spells it, so scripts read one format. */
static void
print_json_member (const FerryConfig *config,
                   const char        *member)
{
  g_autofree char *text = ferry_config_to_json (config);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *output = NULL;
  JsonObject *root;

  /* Ferry wrote it a moment ago; it parses. */
  if (!json_parser_load_from_data (parser, text, -1, NULL))
    g_assert_not_reached ();
  root = json_node_get_object (json_parser_get_root (parser));

  json_generator_set_root (generator, json_object_get_member (root, member));
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  output = json_generator_to_data (generator, NULL);
  g_print ("%s\n", output);
}

static const char *
or_empty (const char *value)
{
  return value != NULL ? value : "";
}

/* Options that must not be negative are read as int by GOption; -1 means "not given". */
static gboolean
check_optional_count (GOptionContext  *context,
                      const char      *option,
                      int              value,
                      int             *ret)
{
  g_autofree char *message = NULL;

  if (value >= 0 || value == -1)
    return TRUE;

  message = g_strdup_printf (_("%s must not be negative"), option);
  *ret = usage_error (context, message);
  return FALSE;
}

static int
run_subcommand (const char       *group,
                const Subcommand *subcommands,
                gsize             n_subcommands,
                int               argc,
                char            **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GString) parameters = g_string_new (NULL);
  g_autoptr(GString) description = g_string_new (_("Commands:"));
  g_autofree char *message = NULL;
  int ret;

  for (gsize i = 0; i < n_subcommands; i++)
    {
      g_string_append_printf (parameters, "%s%s", i > 0 ? " | " : "", subcommands[i].name);
      g_string_append_printf (description, "\n  %-8s %s", subcommands[i].name,
                              _(subcommands[i].summary));
    }
  g_string_append_printf (description, "\n\n");
  g_string_append_printf (description, _("“ferry-cli %s COMMAND --help” describes a command."),
                          group);

  /* The sub-command's own options come after its name, so only the first argument decides. */
  if (argc >= 2 && argv[1][0] != '-')
    {
      for (gsize i = 0; i < n_subcommands; i++)
        {
          if (g_str_equal (argv[1], subcommands[i].name))
            return subcommands[i].run (argc - 1, argv + 1);
        }
    }

  context = g_option_context_new (parameters->str);
  g_option_context_set_description (context, description->str);
  if ((ret = parse_options (context, &argc, &argv)) >= 0)
    return ret;

  if (argc < 2)
    message = g_strdup_printf (_("%s needs a command: %s"), group, parameters->str);
  else
    message = g_strdup_printf (_("unknown %s command “%s”"), group, argv[1]);

  return usage_error (context, message);
}

/* ------------------------------------------------------------------------------------------ */
/* destination                                                                                */

static int
destination_add (int    argc,
                 char **argv)
{
  g_autofree char *ae_title = NULL;
  g_autofree char *host = NULL;
  g_autofree char *character_set = NULL;
  g_auto(GStrv) specialties = NULL;
  int port = -1;
  int retry_interval = -1;
  int retry_days = -1;
  int max_associations = -1;
  gboolean decompress = FALSE;
  gboolean is_default = FALSE;
  GOptionEntry entries[] = {
    { "ae", 0, 0, G_OPTION_ARG_STRING, &ae_title,
      N_("The PACS’s (called) AE title (required)"), N_("TITLE") },
    { "host", 0, 0, G_OPTION_ARG_STRING, &host,
      N_("Its host name or numeric address (required)"), N_("HOST") },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, N_("Its port (required)"), N_("PORT") },
    { "retry-interval", 0, 0, G_OPTION_ARG_INT, &retry_interval,
      N_("Retry a failed delivery every SECONDS (default 300)"), N_("SECONDS") },
    { "retry-days", 0, 0, G_OPTION_ARG_INT, &retry_days,
      N_("Keep retrying for N days, 1–4 (default 4)"), N_("N") },
    { "max-associations", 0, 0, G_OPTION_ARG_INT, &max_associations,
      N_("Send over up to N associations at once, 1–16 (default 2)"), N_("N") },
    { "decompress", 0, 0, G_OPTION_ARG_NONE, &decompress,
      N_("Send uncompressed even when the PACS accepts compressed objects"), NULL },
    { "character-set", 0, 0, G_OPTION_ARG_STRING, &character_set,
      N_("Convert the text of objects sent to this Specific Character Set, e.g. “ISO_IR 100”"),
      N_("CS") },
    { "specialty", 0, 0, G_OPTION_ARG_STRING_ARRAY, &specialties,
      N_("A specialty this PACS serves (may be repeated)"), N_("TEXT") },
    { "default", 0, 0, G_OPTION_ARG_NONE, &is_default,
      N_("Objects from unknown devices, and from devices with no destinations, go here"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    subcommand_context ("destination", "add", _("NAME"),
                        _("Add a PACS that Ferry delivers to. A running Ferry uses it within a "
                          "second."));
  g_autoptr(FerryPaths) paths = NULL;
  g_autoptr(FerryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  FerryDestination *destination;
  int ret;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((ret = parse_options (context, &argc, &argv)) >= 0)
    return ret;
  if (argc != 2)
    return usage_error (context, _("destination add needs one NAME"));
  if (ae_title == NULL || host == NULL || port == -1)
    return usage_error (context, _("destination add needs --ae, --host and --port"));
  if (!check_optional_count (context, "--retry-interval", retry_interval, &ret) ||
      !check_optional_count (context, "--retry-days", retry_days, &ret) ||
      !check_optional_count (context, "--max-associations", max_associations, &ret))
    return ret;
  /* The field is 16 bits wide: check before it is narrowed. */
  if (!ferry_port_validate (port, &error))
    {
      g_prefix_error (&error, "--port: ");
      return fail (error);
    }

  paths = ferry_paths_new (NULL);
  config = load_config (paths, &error);
  if (config == NULL)
    return fail (error);

  if (ferry_config_find_destination (config, argv[1]) != NULL)
    {
      g_printerr (_("ferry-cli: there is already a destination named “%s”\n"),
                  ferry_config_find_destination (config, argv[1])->name);
      return EXIT_FAILED;
    }

  destination = ferry_destination_new (argv[1], ae_title, host, (guint16) port);
  if (retry_interval >= 0)
    destination->retry_interval_seconds = (guint) retry_interval;
  if (retry_days >= 0)
    destination->retry_days = (guint) retry_days;
  if (max_associations >= 0)
    destination->max_associations = (guint) max_associations;
  destination->decompress = decompress;
  destination->is_default = is_default;
  if (character_set != NULL && character_set[0] != '\0')
    destination->character_set = g_steal_pointer (&character_set);
  if (specialties != NULL && specialties[0] != NULL)
    destination->specialties = g_steal_pointer (&specialties);
  g_ptr_array_add (config->destinations, destination);

  if ((ret = save_config (paths, config)) != EXIT_OK)
    return ret;

  g_print (_("Destination “%s” added (%s at %s:%u)\n"), destination->name, destination->ae_title,
           destination->host, destination->port);

  return EXIT_OK;
}

static int
destination_list (int    argc,
                  char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      N_("Print JSON (as in config.json) instead of a table"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    subcommand_context ("destination", "list", NULL, _("List the PACS destinations."));
  g_autoptr(FerryPaths) paths = NULL;
  g_autoptr(FerryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  int ret;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((ret = parse_options (context, &argc, &argv)) >= 0)
    return ret;
  if (argc != 1)
    return usage_error (context, _("destination list takes no arguments"));

  paths = ferry_paths_new (NULL);
  config = load_config (paths, &error);
  if (config == NULL)
    return fail (error);

  if (json)
    {
      print_json_member (config, "destinations");
      return EXIT_OK;
    }

  if (config->destinations->len == 0)
    {
      g_print (_("No destinations yet: add one with “ferry-cli destination add”.\n"));
      return EXIT_OK;
    }

  g_print ("%-24s %-16s %-32s %-8s %s\n", _("Name"), _("AE title"), _("Address"), _("Default"),
           _("Verified"));
  for (guint i = 0; i < config->destinations->len; i++)
    {
      const FerryDestination *destination = g_ptr_array_index (config->destinations, i);
      g_autofree char *address = NULL;

      /* An IPv6 address is bracketed so that the port stays readable. */
      if (strchr (destination->host, ':') != NULL)
        address = g_strdup_printf ("[%s]:%u", destination->host, destination->port);
      else
        address = g_strdup_printf ("%s:%u", destination->host, destination->port);

      g_print ("%-24s %-16s %-32s %-8s %s\n", destination->name, destination->ae_title, address,
               destination->is_default ? _("yes") : _("no"),
               destination->verified ? _("yes") : _("no"));
    }

  return EXIT_OK;
}

static int
destination_remove (int    argc,
                    char **argv)
{
  g_autoptr(GOptionContext) context =
    subcommand_context ("destination", "remove", _("NAME"),
                        _("Remove a PACS destination, and every reference to it: devices no "
                          "longer send to it, and rules that sent only to it are removed."));
  g_autoptr(FerryPaths) paths = NULL;
  g_autoptr(FerryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  guint rules_before;
  int ret;

  if ((ret = parse_options (context, &argc, &argv)) >= 0)
    return ret;
  if (argc != 2)
    return usage_error (context, _("destination remove needs one NAME"));

  paths = ferry_paths_new (NULL);
  config = load_config (paths, &error);
  if (config == NULL)
    return fail (error);

  if (ferry_config_find_destination (config, argv[1]) == NULL)
    {
      g_printerr (_("ferry-cli: there is no destination named “%s”\n"), argv[1]);
      return EXIT_FAILED;
    }
  name = g_strdup (ferry_config_find_destination (config, argv[1])->name);

  rules_before = config->rules->len;
  ferry_config_remove_destination (config, name);

  if ((ret = save_config (paths, config)) != EXIT_OK)
    return ret;

  g_print (_("Destination “%s” removed\n"), name);
  if (rules_before > config->rules->len)
    g_print (g_dngettext (GETTEXT_PACKAGE, "%u rule that sent only there was removed\n",
                          "%u rules that sent only there were removed\n",
                          rules_before - config->rules->len),
             rules_before - config->rules->len);

  return EXIT_OK;
}

static int
destination_test (int    argc,
                  char **argv)
{
  g_autoptr(GOptionContext) context =
    subcommand_context ("destination", "test", _("NAME"),
                        _("Check a PACS destination with C-ECHO, from the sender AE title in the "
                          "configuration, and remember whether it worked (“verified”)."));
  g_autoptr(FerryPaths) paths = NULL;
  g_autoptr(FerryConfig) config = NULL;
  g_autoptr(FerryConfig) current = NULL;
  g_autoptr(FerryDestination) tested = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) echo_error = NULL;
  FerryDestination *destination;
  gboolean verified;
  int ret;

  if ((ret = parse_options (context, &argc, &argv)) >= 0)
    return ret;
  if (argc != 2)
    return usage_error (context, _("destination test needs one NAME"));

  paths = ferry_paths_new (NULL);
  config = load_config (paths, &error);
  if (config == NULL)
    return fail (error);

  if (ferry_config_find_destination (config, argv[1]) == NULL)
    {
      g_printerr (_("ferry-cli: there is no destination named “%s”\n"), argv[1]);
      return EXIT_FAILED;
    }
  tested = ferry_destination_copy (ferry_config_find_destination (config, argv[1]));

  if (!ferry_dicom_init (&error))
    return fail (error);

  verified = ferry_dicom_echo (tested->host, tested->port, config->sender_ae_title,
                               tested->ae_title, TEST_TIMEOUT_SECONDS, &echo_error);

  /* The echo took up to the timeout: read the file again, so that a change made meanwhile is
   * kept, and mark only a destination whose address is still the one tested. */
  current = load_config (paths, &error);
  if (current == NULL)
    return fail (error);
  destination = (FerryDestination *) ferry_config_find_destination (current, tested->name);
  if (destination != NULL &&
      g_strcmp0 (destination->ae_title, tested->ae_title) == 0 &&
      g_strcmp0 (destination->host, tested->host) == 0 &&
      destination->port == tested->port &&
      !destination->verified != !verified)
    {
      destination->verified = verified;
      if ((ret = save_config (paths, current)) != EXIT_OK)
        return ret;
    }

  if (!verified)
    {
      g_printerr (_("ferry-cli: %s: %s\n"), tested->name, echo_error->message);
      return EXIT_FAILED;
    }

  g_print (_("%s: verified\n"), tested->name);

  return EXIT_OK;
}

static const Subcommand destination_commands[] = {
  { "add", N_("Add a PACS destination"), destination_add },
  { "list", N_("List the destinations"), destination_list },
  { "remove", N_("Remove a destination and the references to it"), destination_remove },
  { "test", N_("Check a destination with C-ECHO and mark it verified"), destination_test },
};

/**
 * ferry_cli_destination:
 * @argc: the number of arguments, "destination" included
 * @argv: "destination", the sub-command and its arguments
 *
 * `ferry-cli destination add | list | remove | test`.
 *
 * Returns: the exit code
 */
int
ferry_cli_destination (int    argc,
                       char **argv)
{
  return run_subcommand ("destination", destination_commands,
                         G_N_ELEMENTS (destination_commands), argc, argv);
}

/* ------------------------------------------------------------------------------------------ */
/* device                                                                                     */

static int
device_add (int    argc,
            char **argv)
{
  g_autofree char *ae_title = NULL;
  g_autofree char *host = NULL;
  g_autofree char *specialty = NULL;
  g_autofree char *physician_tag = NULL;
  g_autofree char *character_set = NULL;
  g_auto(GStrv) to = NULL;
  GOptionEntry entries[] = {
    { "ae", 0, 0, G_OPTION_ARG_STRING, &ae_title,
      N_("The calling AE title the device uses (required)"), N_("TITLE") },
    { "host", 0, 0, G_OPTION_ARG_STRING, &host,
      N_("Accept it only from this numeric IPv4 address"), N_("IP") },
    { "to", 0, 0, G_OPTION_ARG_STRING_ARRAY, &to,
      N_("Send its objects to these destinations (comma-separated; default: the default "
         "destinations)"), N_("DEST[,DEST…]") },
    { "specialty", 0, 0, G_OPTION_ARG_STRING, &specialty,
      N_("Its specialty, e.g. “Cardiology”"), N_("TEXT") },
    { "physician-tag", 0, 0, G_OPTION_ARG_STRING, &physician_tag,
      N_("Which attribute names the physician: performing (default), referring, operator, "
         "reading, telecom or none"), N_("TAG") },
    { "character-set", 0, 0, G_OPTION_ARG_STRING, &character_set,
      N_("The Specific Character Set to assume when its objects declare none or a wrong one, "
         "e.g. “ISO_IR 100”"), N_("CS") },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    subcommand_context ("device", "add", _("NAME"),
                        _("Add a device (a modality that sends to Ferry), known by its calling "
                          "AE title. A running Ferry uses it within a second."));
  g_autoptr(FerryPaths) paths = NULL;
  g_autoptr(FerryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GStrvBuilder) destinations = g_strv_builder_new ();
  g_auto(GStrv) destination_list = NULL;
  FerryDevice *device;
  int tag = FERRY_PHYSICIAN_TAG_PERFORMING;
  int ret;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((ret = parse_options (context, &argc, &argv)) >= 0)
    return ret;
  if (argc != 2)
    return usage_error (context, _("device add needs one NAME"));
  if (ae_title == NULL)
    return usage_error (context, _("device add needs --ae"));
  if (physician_tag != NULL && (tag = ferry_physician_tag_from_string (physician_tag)) < 0)
    return usage_error (context, _("--physician-tag must be one of performing, referring, "
                                   "operator, reading, telecom, none"));

  for (guint i = 0; to != NULL && to[i] != NULL; i++)
    {
      g_auto(GStrv) names = g_strsplit (to[i], ",", -1);

      for (guint j = 0; names[j] != NULL; j++)
        {
          g_strstrip (names[j]);
          if (names[j][0] != '\0')
            g_strv_builder_add (destinations, names[j]);
        }
    }
  destination_list = g_strv_builder_end (destinations);

  paths = ferry_paths_new (NULL);
  config = load_config (paths, &error);
  if (config == NULL)
    return fail (error);

  for (guint i = 0; i < config->devices->len; i++)
    {
      const FerryDevice *other = g_ptr_array_index (config->devices, i);

      if (g_strcmp0 (other->name, argv[1]) == 0)
        {
          g_printerr (_("ferry-cli: there is already a device named “%s”\n"), argv[1]);
          return EXIT_FAILED;
        }
    }

  device = ferry_device_new (argv[1], ae_title,
                             host != NULL && host[0] != '\0' ? host : NULL,
                             character_set != NULL && character_set[0] != '\0' ? character_set
                                                                               : NULL);
  if (specialty != NULL && specialty[0] != '\0')
    device->specialty = g_steal_pointer (&specialty);
  device->physician_tag = (FerryPhysicianTag) tag;
  /* Stored as the destinations spell their names, whatever case was typed. */
  for (guint i = 0; destination_list[i] != NULL; i++)
    {
      const FerryDestination *destination =
        ferry_config_find_destination (config, destination_list[i]);

      if (destination != NULL)
        {
          g_free (destination_list[i]);
          destination_list[i] = g_strdup (destination->name);
        }
    }
  if (destination_list[0] != NULL)
    device->destinations = g_steal_pointer (&destination_list);
  g_ptr_array_add (config->devices, device);

  if ((ret = save_config (paths, config)) != EXIT_OK)
    return ret;

  g_print (_("Device “%s” added (%s)\n"), device->name, device->ae_title);

  return EXIT_OK;
}

static int
device_list (int    argc,
             char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      N_("Print JSON (as in config.json) instead of a table"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    subcommand_context ("device", "list", NULL, _("List the devices (modalities)."));
  g_autoptr(FerryPaths) paths = NULL;
  g_autoptr(FerryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  int ret;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((ret = parse_options (context, &argc, &argv)) >= 0)
    return ret;
  if (argc != 1)
    return usage_error (context, _("device list takes no arguments"));

  paths = ferry_paths_new (NULL);
  config = load_config (paths, &error);
  if (config == NULL)
    return fail (error);

  if (json)
    {
      print_json_member (config, "devices");
      return EXIT_OK;
    }

  if (config->devices->len == 0)
    {
      g_print (_("No devices yet: add one with “ferry-cli device add”.\n"));
      return EXIT_OK;
    }

  g_print ("%-24s %-16s %-15s %-16s %s\n", _("Name"), _("AE title"), _("Host"), _("Specialty"),
           _("Destinations"));
  for (guint i = 0; i < config->devices->len; i++)
    {
      const FerryDevice *device = g_ptr_array_index (config->devices, i);
      g_autofree char *destinations = NULL;

      if (device->destinations != NULL && device->destinations[0] != NULL)
        destinations = g_strjoinv (", ", device->destinations);

      g_print ("%-24s %-16s %-15s %-16s %s\n", device->name, device->ae_title,
               device->host != NULL ? device->host : _("any"), or_empty (device->specialty),
               destinations != NULL ? destinations : _("(default)"));
    }

  return EXIT_OK;
}

static int
device_remove (int    argc,
               char **argv)
{
  g_autoptr(GOptionContext) context =
    subcommand_context ("device", "remove", _("NAME"), _("Remove a device."));
  g_autoptr(FerryPaths) paths = NULL;
  g_autoptr(FerryConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  int ret;

  if ((ret = parse_options (context, &argc, &argv)) >= 0)
    return ret;
  if (argc != 2)
    return usage_error (context, _("device remove needs one NAME"));

  paths = ferry_paths_new (NULL);
  config = load_config (paths, &error);
  if (config == NULL)
    return fail (error);

  for (guint i = 0; i < config->devices->len; i++)
    {
      const FerryDevice *device = g_ptr_array_index (config->devices, i);

      if (g_strcmp0 (device->name, argv[1]) == 0)
        {
          g_ptr_array_remove_index (config->devices, i);
          if ((ret = save_config (paths, config)) != EXIT_OK)
            return ret;
          g_print (_("Device “%s” removed\n"), argv[1]);
          return EXIT_OK;
        }
    }

  g_printerr (_("ferry-cli: there is no device named “%s”\n"), argv[1]);

  return EXIT_FAILED;
}

static const Subcommand device_commands[] = {
  { "add", N_("Add a device (modality)"), device_add },
  { "list", N_("List the devices"), device_list },
  { "remove", N_("Remove a device"), device_remove },
};

/**
 * ferry_cli_device:
 * @argc: the number of arguments, "device" included
 * @argv: "device", the sub-command and its arguments
 *
 * `ferry-cli device add | list | remove`.
 *
 * Returns: the exit code
 */
int
ferry_cli_device (int    argc,
                  char **argv)
{
  return run_subcommand ("device", device_commands, G_N_ELEMENTS (device_commands), argc, argv);
}
