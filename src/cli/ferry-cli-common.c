/* ferry-cli-common.c: what every ferry-cli command shares
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "ferry-cli-common.h"

int
ferry_cli_usage_error (GOptionContext *context,
                       const char     *message)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

  g_printerr ("ferry-cli: %s\n\n%s", message, help);

  return EXIT_USAGE;
}

int
ferry_cli_fail (const char *what,
                GError     *error)
{
  if (what != NULL)
    g_printerr ("ferry-cli: %s: %s\n", what, error->message);
  else
    g_printerr ("ferry-cli: %s\n", error->message);

  return EXIT_FAILED;
}

int
ferry_cli_parse_options (GOptionContext   *context,
                         int              *argc,
                         char           ***argv)
{
  g_autoptr(GError) error = NULL;

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    return ferry_cli_usage_error (context, error->message);

  return -1;
}
