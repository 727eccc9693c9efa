/* ferry-format.h: Ferry's facts in words, for the pages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "ferry-ledger.h"

G_BEGIN_DECLS

/* "Today at 14:02", "Yesterday at 09:10", "Jan 15, 2024 at 14:02"; NULL for 0. */
char       *ferry_format_day_and_time                (gint64                      usec) G_GNUC_WARN_UNUSED_RESULT;

/* One line for people, e.g. "38 of 40 delivered to PACS-A · retrying in 4 min: association
 * rejected"; @now in µs since the epoch, for the countdown. NULL when there is nothing to say. */
char       *ferry_delivery_summary_format            (const FerryDeliverySummary *summary,
                                                      gint64                      now) G_GNUC_WARN_UNUSED_RESULT;

/* (nullable): an icon for the state of all @summaries together (emblem-ok-symbolic when
 * everything arrived, dialog-warning-symbolic when something is in the outbox, …). */
const char *ferry_delivery_summaries_icon_name       (GPtrArray            *summaries);

/* The reason a delivery did not arrive, in one line: the error and the PACS's status. */
char       *ferry_delivery_format_reason             (const char           *error_text,
                                                      int                   status,
                                                      const char           *status_meaning) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
