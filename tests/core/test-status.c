/* test-status.c: the status table of RELIABILITY.md promise 6, row by row
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>
#include <string.h>

#include "ferry-status.h"

typedef struct {
  guint16             status;
  FerryStatusOutcome  outcome;
  const char         *meaning;   /* a part of the description */
} Row;

static const Row rows[] = {
  { 0x0000, FERRY_STATUS_DELIVERED, "Success" },
  /* Warnings: delivered, the warning recorded */
  { 0xB000, FERRY_STATUS_DELIVERED_WITH_WARNING, "coercion" },
  { 0xB006, FERRY_STATUS_DELIVERED_WITH_WARNING, "discarded" },
  { 0xB007, FERRY_STATUS_DELIVERED_WITH_WARNING, "does not match" },
  { 0x0001, FERRY_STATUS_DELIVERED_WITH_WARNING, "optional attributes" },
  { 0x0107, FERRY_STATUS_DELIVERED_WITH_WARNING, "attribute list" },
  { 0x0116, FERRY_STATUS_DELIVERED_WITH_WARNING, "out of range" },
  /* Out of resources: retried */
  { 0xA700, FERRY_STATUS_RETRY, "Out of resources" },
  { 0xA701, FERRY_STATUS_RETRY, "Out of resources" },
  { 0xA7FF, FERRY_STATUS_RETRY, "Out of resources" },
  /* Refusals and general failures: the outbox */
  { 0xA900, FERRY_STATUS_OUTBOX, "does not match SOP class" },
  { 0xA9FF, FERRY_STATUS_OUTBOX, "does not match SOP class" },
  { 0xC000, FERRY_STATUS_OUTBOX, "cannot understand" },
  { 0xC123, FERRY_STATUS_OUTBOX, "cannot understand" },
  { 0x0110, FERRY_STATUS_OUTBOX, "processing failure" },
  { 0x0111, FERRY_STATUS_OUTBOX, "duplicate" },
  { 0x0117, FERRY_STATUS_OUTBOX, "invalid object" },
  { 0x0122, FERRY_STATUS_OUTBOX, "not supported" },
  { 0x0124, FERRY_STATUS_OUTBOX, "not authorised" },
  { 0x0211, FERRY_STATUS_OUTBOX, "unrecognised operation" },
  { 0x0212, FERRY_STATUS_OUTBOX, "mistyped argument" },
  { 0x0213, FERRY_STATUS_OUTBOX, "resource limitation" },
  /* Unknown words: a warning class stays delivered; anything else goes where a person sees it */
  { 0xB123, FERRY_STATUS_DELIVERED_WITH_WARNING, "Warning" },
  { 0x0999, FERRY_STATUS_OUTBOX, "Failure" },
  { 0xFE00, FERRY_STATUS_OUTBOX, "Failure" },
};

static void
test_row (gconstpointer data)
{
  const Row *row = data;
  g_autofree char *description = ferry_status_describe (row->status);
  g_autofree char *code = g_strdup_printf ("(0x%04X)", row->status);

  g_assert_cmpint (ferry_status_classify (row->status), ==, row->outcome);
  g_assert_nonnull (strstr (description, row->meaning));
  g_assert_true (g_str_has_suffix (description, code));
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "C");
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ferry/core/status/0x%04X", rows[i].status);

      g_test_add_data_func (path, &rows[i], test_row);
    }

  return g_test_run ();
}
