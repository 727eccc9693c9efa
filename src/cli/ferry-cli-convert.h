/* ferry-cli-convert.h: ferry-cli convert
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

/* Takes the command line from the command's name on; returns the exit code
 * (ferry-cli-common.h). */
int ferry_cli_convert (int argc, char **argv);
