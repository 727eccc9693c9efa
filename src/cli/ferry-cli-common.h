/* ferry-cli-common.h: what every ferry-cli command shares
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

/* Exit codes: 0 success, 1 the operation failed (the reason is printed), 2 the command line was
 * wrong (the help is printed). */
enum {
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
};

/* Prints "ferry-cli: MESSAGE" and the command's help; returns EXIT_USAGE. */
int ferry_cli_usage_error   (GOptionContext   *context,
                             const char       *message);
/* Prints "ferry-cli: [WHAT: ]MESSAGE"; returns EXIT_FAILED. */
int ferry_cli_fail          (const char       *what,
                             GError           *error);
/* Parses options in Ferry's translation domain; returns -1 to go on, or the exit code. */
int ferry_cli_parse_options (GOptionContext   *context,
                             int              *argc,
                             char           ***argv);
