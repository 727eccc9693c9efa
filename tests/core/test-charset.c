/* test-charset.c: DICOM Specific Character Set to UTF-8
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The multi-byte examples are the ones of PS3.5 Annexes H, I and J.
 */

#include "config.h"

#include "ferry-charset.h"

/* "MUÑOZ^JOSÉ" in ISO 8859-1. */
static const char latin1_name[] = "MU\xd1OZ^JOS\xc9";
static const char utf8_name[] = "MUÑOZ^JOSÉ";

static void
assert_converts (const char *value,
                 const char *specific_character_set,
                 const char *fallback_character_set,
                 const char *expected)
{
  g_autofree char *utf8 = ferry_charset_to_utf8 (value, specific_character_set,
                                                 fallback_character_set);

  g_assert_nonnull (utf8);
  g_assert_true (g_utf8_validate (utf8, -1, NULL));
  g_assert_cmpstr (utf8, ==, expected);
}

static void
test_latin1 (void)
{
  /* Declared correctly. */
  assert_converts (latin1_name, "ISO_IR 100", NULL, utf8_name);
  assert_converts (latin1_name, "ISO 2022 IR 100", NULL, utf8_name);
  /* Not declared at all: the default repertoire fails, Latin-1 is the last resort. */
  assert_converts (latin1_name, NULL, NULL, utf8_name);
  assert_converts (latin1_name, "", NULL, utf8_name);
  /* Declared wrongly as UTF-8: still readable. */
  assert_converts (latin1_name, "ISO_IR 192", NULL, utf8_name);
  /* Declared as something Ferry does not know. */
  assert_converts (latin1_name, "ISO_IR 999", NULL, utf8_name);
}

static void
test_utf8 (void)
{
  assert_converts (utf8_name, "ISO_IR 192", NULL, utf8_name);
  /* Valid UTF-8 without a declaration is taken as UTF-8 rather than mangled to Latin-1. */
  assert_converts (utf8_name, NULL, NULL, utf8_name);
  assert_converts ("Ελληνικά", "ISO_IR 192", "ISO_IR 100", "Ελληνικά");
  assert_converts ("plain ASCII", NULL, NULL, "plain ASCII");
}

static void
test_single_byte_sets (void)
{
  assert_converts ("\xb4\xd8\xde\xdd\xd8\xe1\xde\xd2", "ISO_IR 144", NULL, "Дионисов");
  assert_converts ("\xc4\xe9\xef\xed\xf5\xf3\xe9\xef\xf2", "ISO_IR 126", NULL, "Διονυσιος");
  assert_converts ("\xa3\xf3\x64\xbc", "ISO_IR 101", NULL, "Łódź");
  assert_converts ("\xf9\xec\xe5\xed", "ISO_IR 138", NULL, "שלום");
}

static void
test_fallback (void)
{
  /* A device known to send Cyrillic without saying so. */
  assert_converts ("\xb4\xd8\xde\xdd\xd8\xe1\xde\xd2", NULL, "ISO_IR 144", "Дионисов");
  /* The object's own declaration wins when it decodes. */
  assert_converts (latin1_name, "ISO_IR 100", "ISO_IR 144", utf8_name);
  /* The fallback is tried when the declaration does not decode the bytes. */
  assert_converts ("\xb4\xd8\xde\xdd\xd8\xe1\xde\xd2", "ISO_IR 192", "ISO_IR 144", "Дионисов");
  /* An unknown fallback is skipped. */
  assert_converts (latin1_name, NULL, "NOT A CHARSET", utf8_name);
}

static void
test_japanese (void)
{
  /* PS3.5 H.3.1: "Yamada^Tarou=山田^太郎=やまだ^たろう" */
  static const char value[] =
    "Yamada^Tarou="
    "\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B="
    "\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B";
  /* PS3.5 H.3.2: half-width katakana in G1, then kanji. */
  static const char katakana[] =
    "\xd4\xcf\xc0\xde^\xc0\xdb\xb3="
    "\x1b$B;3ED\x1b(J^\x1b$BB@O:\x1b(J="
    "\x1b$B$d$^$@\x1b(J^\x1b$B$?$m$&\x1b(J";

  assert_converts (value, "\\ISO 2022 IR 87", NULL, "Yamada^Tarou=山田^太郎=やまだ^たろう");
  assert_converts (value, "ISO 2022 IR 6\\ISO 2022 IR 87", NULL,
                   "Yamada^Tarou=山田^太郎=やまだ^たろう");
  assert_converts (katakana, "ISO 2022 IR 13\\ISO 2022 IR 87", NULL,
                   "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう");
  /* ISO_IR 13 without code extensions: JIS X 0201. */
  assert_converts ("\xd4\xcf\xc0\xde^\xc0\xdb\xb3", "ISO_IR 13", NULL, "ﾔﾏﾀﾞ^ﾀﾛｳ");
  /* Escapes used without a declaration: the device's set decodes them. */
  assert_converts (value, NULL, "\\ISO 2022 IR 87", "Yamada^Tarou=山田^太郎=やまだ^たろう");
}

static void
test_korean (void)
{
  /* PS3.5 I.2: "Hong^Gildong=洪^吉洞=홍^길동" */
  static const char value[] =
    "Hong^Gildong="
    "\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7="
    "\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf";

  assert_converts (value, "\\ISO 2022 IR 149", NULL, "Hong^Gildong=洪^吉洞=홍^길동");
}

static void
test_chinese (void)
{
  /* PS3.5 J.3: "Zhang^XiaoDong=张^小东=" in GB 2312 with code extensions. */
  static const char value[] = "Zhang^XiaoDong=\x1b$)A\xd5\xc5^\x1b$)A\xd0\xa1\xb6\xab=";

  assert_converts (value, "\\ISO 2022 IR 58", NULL, "Zhang^XiaoDong=张^小东=");
  /* GB18030 without code extensions. */
  assert_converts ("Wang^XiaoDong=\xcd\xf5^\xd0\xa1\xb6\xab=", "GB18030", NULL,
                   "Wang^XiaoDong=王^小东=");
}

static void
test_broken_iso2022 (void)
{
  /* A truncated double-byte character or an unknown escape fails the declared set; the chain
   * still returns something readable and never fails. */
  g_autofree char *truncated = ferry_charset_to_utf8 ("\x1b$B;3E", "\\ISO 2022 IR 87", NULL);
  g_autofree char *unknown = ferry_charset_to_utf8 ("A\x1b%GB", "\\ISO 2022 IR 87", NULL);

  g_assert_true (g_utf8_validate (truncated, -1, NULL));
  g_assert_true (g_utf8_validate (unknown, -1, NULL));
  /* The escape is a control character and is replaced, not passed on. */
  g_assert_cmpstr (unknown, ==, "A\xef\xbf\xbd%GB");
}

static void
test_padding_and_controls (void)
{
  assert_converts ("DOE^JANE  ", NULL, NULL, "DOE^JANE");
  assert_converts ("1.2.840.10008.1.2\0", NULL, NULL, "1.2.840.10008.1.2");
  assert_converts ("  leading kept", NULL, NULL, "  leading kept");
  assert_converts ("line one\r\nline two\ttab\fpage", "ISO_IR 100", NULL,
                   "line one\r\nline two\ttab\fpage");
  /* Other control characters become U+FFFD. */
  assert_converts ("bell\x07here\x01", NULL, NULL, "bell\xef\xbf\xbdhere\xef\xbf\xbd");
  assert_converts ("C1\x85", "ISO_IR 100", NULL, "C1\xef\xbf\xbd");
  assert_converts ("", "ISO_IR 100", NULL, "");
  g_assert_null (ferry_charset_to_utf8 (NULL, "ISO_IR 100", NULL));
}

static void
test_is_known (void)
{
  static const char * const known[] = {
    "", "ISO_IR 6", "ISO_IR 100", "ISO_IR 101", "ISO_IR 109", "ISO_IR 110", "ISO_IR 144",
    "ISO_IR 127", "ISO_IR 126", "ISO_IR 138", "ISO_IR 148", "ISO_IR 203", "ISO_IR 13",
    "ISO_IR 166", "ISO_IR 192", "GB18030", "GBK", "ISO 2022 IR 6", "ISO 2022 IR 100",
    "ISO 2022 IR 87", "ISO 2022 IR 159", "ISO 2022 IR 149", "ISO 2022 IR 58",
    "\\ISO 2022 IR 87", "ISO 2022 IR 13\\ISO 2022 IR 87", " ISO_IR 100 ",
  };
  static const char * const unknown[] = {
    "ISO_IR 99", "iso_ir 100", "UTF-8", "ISO-8859-1", "ISO 2022 IR 87\\BOGUS",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (known); i++)
    g_assert_true (ferry_charset_is_known (known[i]));
  for (gsize i = 0; i < G_N_ELEMENTS (unknown); i++)
    g_assert_false (ferry_charset_is_known (unknown[i]));
}

typedef struct {
  const char *pn;
  const char *display;
} PersonNameCase;

static void
test_person_name (void)
{
  static const PersonNameCase cases[] = {
    { "DOE^JANE^M^^", "DOE, JANE M" },
    { "DOE^JANE^^^", "DOE, JANE" },
    { "DOE^JANE", "DOE, JANE" },
    { "DOE", "DOE" },
    { "DOE^^^^", "DOE" },
    { "^JANE", "JANE" },
    { "DOE^JANE^M^DR^PHD", "DR DOE, JANE M, PHD" },
    { " DOE ^ JANE ", "DOE, JANE" },
    { "Yamada^Tarou=山田^太郎=やまだ^たろう", "Yamada, Tarou" },
    { "=山田^太郎=やまだ^たろう", "山田, 太郎" },
    { "^^^^=^=", "" },
    { "", "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *display = ferry_person_name_to_display (cases[i].pn);

      g_assert_cmpstr (display, ==, cases[i].display);
    }

  {
    g_autofree char *display = ferry_person_name_to_display (NULL);

    g_assert_cmpstr (display, ==, "");
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/ferry/core/charset/latin1", test_latin1);
  g_test_add_func ("/ferry/core/charset/utf8", test_utf8);
  g_test_add_func ("/ferry/core/charset/single-byte-sets", test_single_byte_sets);
  g_test_add_func ("/ferry/core/charset/fallback", test_fallback);
  g_test_add_func ("/ferry/core/charset/japanese", test_japanese);
  g_test_add_func ("/ferry/core/charset/korean", test_korean);
  g_test_add_func ("/ferry/core/charset/chinese", test_chinese);
  g_test_add_func ("/ferry/core/charset/broken-iso2022", test_broken_iso2022);
  g_test_add_func ("/ferry/core/charset/padding-and-controls", test_padding_and_controls);
  g_test_add_func ("/ferry/core/charset/is-known", test_is_known);
  g_test_add_func ("/ferry/core/charset/person-name", test_person_name);

  return g_test_run ();
}
