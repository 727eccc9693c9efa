/* test-create.c: new UIDs for created objects
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ferry-test"

#include <string.h>

#include <glib.h>

#include "ferry-dicom-create.h"

/* 2.25.<decimal of a 128-bit UUID>: digits only, no leading zero, at most 64 characters
 * (PS3.5 9.1), and a new one each time. */
static void
test_new_uid (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (int i = 0; i < 2000; i++)
    {
      char *uid = ferry_dicom_new_uid ();
      const char *number;

      g_assert_true (g_str_has_prefix (uid, "2.25."));
      g_assert_cmpuint (strlen (uid), <=, 64);
      number = uid + strlen ("2.25.");
      g_assert_cmpuint (strlen (number), >=, 1);
      g_assert_cmpuint (strlen (number), <=, 39);   /* 2^128 has 39 digits */
      g_assert_cmpint (number[0], !=, '0');
      for (const char *p = number; *p != '\0'; p++)
        g_assert_true (g_ascii_isdigit (*p));
      /* A version 4 UUID has bits 76..79 set to 0100: at least 2^78, so 24 digits or more. */
      g_assert_cmpuint (strlen (number), >=, 24);

      g_assert_false (g_hash_table_contains (seen, uid));
      g_hash_table_add (seen, uid);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/create/new-uid", test_new_uid);
  return g_test_run ();
}
