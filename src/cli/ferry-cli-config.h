/* ferry-cli-config.h: ferry-cli's destination and device commands
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

/* Each takes the command line from the command's name on ("destination", "add", …) and returns
 * the exit code: 0 success, 1 the operation failed (the reason is printed), 2 the command line
 * was wrong. They edit config.json with ferry_config_save(); a running engine picks it up. */
int ferry_cli_destination (int    argc,
                           char **argv);
int ferry_cli_device      (int    argc,
                           char **argv);
