/* ferry-status.h: what a C-STORE response status means for a delivery
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One table (RELIABILITY.md, promise 6), tested row by row in tests/core/test-status.c.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  FERRY_STATUS_DELIVERED,
  FERRY_STATUS_DELIVERED_WITH_WARNING,
  FERRY_STATUS_RETRY,
  FERRY_STATUS_OUTBOX,
} FerryStatusOutcome;

FerryStatusOutcome  ferry_status_classify  (guint16 status);

/* Translated: "Success", "Out of resources (the PACS may be full)", "Refused: data set does not
 * match SOP class", … always with the word in hex for a PACS admin: "… (0xA900)". */
char               *ferry_status_describe  (guint16 status) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
