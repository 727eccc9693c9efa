/* ferry-cli-deliver.h: ferry-cli send, queue, retry, resend, cancel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

/* Each takes the command line from the command's name on and returns the exit code
 * (ferry-cli-common.h). */
int ferry_cli_send   (int argc, char **argv);
int ferry_cli_queue  (int argc, char **argv);
int ferry_cli_retry  (int argc, char **argv);
int ferry_cli_resend (int argc, char **argv);
int ferry_cli_cancel (int argc, char **argv);
