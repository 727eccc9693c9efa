/* ferry-charset.c: DICOM Specific Character Set to UTF-8
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Text elements arrive in whatever the sending device believes its character set is, and the
 * declaration in (0008,0005) is often missing or wrong. Decoding is therefore a chain of strict
 * attempts (the object's set, the device's set, UTF-8) that ends in ISO 8859-1, which decodes any
 * byte string, so indexing never fails because of text.
 *
 * ISO 2022 code extensions (PS3.5 6.1.2.5) are decoded by a small state machine that tracks the
 * G0 and G1 designations and hands each run of characters to iconv in an equivalent EUC or ISO
 * 8859 form. The result is post-processed: trailing spaces and NULs are removed (DICOM padding)
 * and control characters other than TAB, LF, FF and CR are replaced by U+FFFD REPLACEMENT
 * CHARACTER, so that what the window and the logs show is always printable and never silently
 * loses a character.
 */

#define G_LOG_DOMAIN "ferry-charset"

#include "config.h"

#include <string.h>

#include "ferry-charset.h"

/* What a graphic set designated to G0 or G1 is, and how iconv decodes it. */
typedef enum {
  SET_NONE,
  SET_ASCII,          /* ISO-IR 6, and JIS X 0201 Romaji, which only differs in 0x5C and 0x7E */
  SET_SINGLE_GR,      /* an ISO 8859 part in GR: iconv with the 8859 name */
  SET_KATAKANA,       /* JIS X 0201 Katakana in GR (ISO-IR 13) */
  SET_JIS_X0208,      /* 94×94 in GL (ISO-IR 87) */
  SET_JIS_X0212,      /* 94×94 in GL (ISO-IR 159) */
  SET_KS_X1001,       /* 94×94 in GR (ISO-IR 149) */
  SET_GB2312,         /* 94×94 in GR (ISO-IR 58) */
} CharsetKind;

typedef struct {
  const char  *term;          /* the defined term, without the ISO 2022 flavour */
  gboolean     iso2022;       /* "ISO 2022 IR n" rather than "ISO_IR n" */
  const char  *iconv_name;    /* whole-value conversion for the non-ISO 2022 terms */
  CharsetKind  g0;
  CharsetKind  g1;
  const char  *g1_iconv;      /* for SET_SINGLE_GR */
} CharsetTerm;

static const CharsetTerm charset_terms[] = {
  { "ISO_IR 6",   FALSE, "ASCII",       SET_ASCII, SET_NONE,      NULL },
  { "ISO_IR 100", FALSE, "ISO-8859-1",  SET_ASCII, SET_SINGLE_GR, "ISO-8859-1" },
  { "ISO_IR 101", FALSE, "ISO-8859-2",  SET_ASCII, SET_SINGLE_GR, "ISO-8859-2" },
  { "ISO_IR 109", FALSE, "ISO-8859-3",  SET_ASCII, SET_SINGLE_GR, "ISO-8859-3" },
  { "ISO_IR 110", FALSE, "ISO-8859-4",  SET_ASCII, SET_SINGLE_GR, "ISO-8859-4" },
  { "ISO_IR 144", FALSE, "ISO-8859-5",  SET_ASCII, SET_SINGLE_GR, "ISO-8859-5" },
  { "ISO_IR 127", FALSE, "ISO-8859-6",  SET_ASCII, SET_SINGLE_GR, "ISO-8859-6" },
  { "ISO_IR 126", FALSE, "ISO-8859-7",  SET_ASCII, SET_SINGLE_GR, "ISO-8859-7" },
  { "ISO_IR 138", FALSE, "ISO-8859-8",  SET_ASCII, SET_SINGLE_GR, "ISO-8859-8" },
  { "ISO_IR 148", FALSE, "ISO-8859-9",  SET_ASCII, SET_SINGLE_GR, "ISO-8859-9" },
  { "ISO_IR 203", FALSE, "ISO-8859-15", SET_ASCII, SET_SINGLE_GR, "ISO-8859-15" },
  { "ISO_IR 166", FALSE, "TIS-620",     SET_ASCII, SET_SINGLE_GR, "TIS-620" },
  { "ISO_IR 13",  FALSE, NULL,          SET_ASCII, SET_KATAKANA,  NULL },
  { "ISO_IR 192", FALSE, "UTF-8",       SET_NONE,  SET_NONE,      NULL },
  { "GB18030",    FALSE, "GB18030",     SET_NONE,  SET_NONE,      NULL },
  { "GBK",        FALSE, "GBK",         SET_NONE,  SET_NONE,      NULL },

  { "ISO 2022 IR 6",   TRUE, NULL, SET_ASCII,     SET_NONE,      NULL },
  { "ISO 2022 IR 100", TRUE, NULL, SET_ASCII,     SET_SINGLE_GR, "ISO-8859-1" },
  { "ISO 2022 IR 101", TRUE, NULL, SET_ASCII,     SET_SINGLE_GR, "ISO-8859-2" },
  { "ISO 2022 IR 109", TRUE, NULL, SET_ASCII,     SET_SINGLE_GR, "ISO-8859-3" },
  { "ISO 2022 IR 110", TRUE, NULL, SET_ASCII,     SET_SINGLE_GR, "ISO-8859-4" },
  { "ISO 2022 IR 144", TRUE, NULL, SET_ASCII,     SET_SINGLE_GR, "ISO-8859-5" },
  { "ISO 2022 IR 127", TRUE, NULL, SET_ASCII,     SET_SINGLE_GR, "ISO-8859-6" },
  { "ISO 2022 IR 126", TRUE, NULL, SET_ASCII,     SET_SINGLE_GR, "ISO-8859-7" },
  { "ISO 2022 IR 138", TRUE, NULL, SET_ASCII,     SET_SINGLE_GR, "ISO-8859-8" },
  { "ISO 2022 IR 148", TRUE, NULL, SET_ASCII,     SET_SINGLE_GR, "ISO-8859-9" },
  { "ISO 2022 IR 203", TRUE, NULL, SET_ASCII,     SET_SINGLE_GR, "ISO-8859-15" },
  { "ISO 2022 IR 166", TRUE, NULL, SET_ASCII,     SET_SINGLE_GR, "TIS-620" },
  { "ISO 2022 IR 13",  TRUE, NULL, SET_ASCII,     SET_KATAKANA,  NULL },
  /* The multi-byte sets are designated by escape sequences; as value 1 they start in ASCII. */
  { "ISO 2022 IR 87",  TRUE, NULL, SET_ASCII,     SET_NONE,      NULL },
  { "ISO 2022 IR 159", TRUE, NULL, SET_ASCII,     SET_NONE,      NULL },
  { "ISO 2022 IR 149", TRUE, NULL, SET_ASCII,     SET_NONE,      NULL },
  { "ISO 2022 IR 58",  TRUE, NULL, SET_ASCII,     SET_NONE,      NULL },
};

/* Escape sequences (without the ESC) that designate a set to G0 or G1. */
typedef struct {
  const char  *sequence;
  gboolean     to_g1;
  CharsetKind  kind;
  const char  *iconv_name;    /* for SET_SINGLE_GR */
} Designation;

static const Designation designations[] = {
  { "(B",  FALSE, SET_ASCII,     NULL },
  { "(J",  FALSE, SET_ASCII,     NULL },
  { "$B",  FALSE, SET_JIS_X0208, NULL },
  { "$@",  FALSE, SET_JIS_X0208, NULL },
  { "$(D", FALSE, SET_JIS_X0212, NULL },
  { ")I",  TRUE,  SET_KATAKANA,  NULL },
  { "-A",  TRUE,  SET_SINGLE_GR, "ISO-8859-1" },
  { "-B",  TRUE,  SET_SINGLE_GR, "ISO-8859-2" },
  { "-C",  TRUE,  SET_SINGLE_GR, "ISO-8859-3" },
  { "-D",  TRUE,  SET_SINGLE_GR, "ISO-8859-4" },
  { "-L",  TRUE,  SET_SINGLE_GR, "ISO-8859-5" },
  { "-G",  TRUE,  SET_SINGLE_GR, "ISO-8859-6" },
  { "-F",  TRUE,  SET_SINGLE_GR, "ISO-8859-7" },
  { "-H",  TRUE,  SET_SINGLE_GR, "ISO-8859-8" },
  { "-M",  TRUE,  SET_SINGLE_GR, "ISO-8859-9" },
  { "-b",  TRUE,  SET_SINGLE_GR, "ISO-8859-15" },
  { "-T",  TRUE,  SET_SINGLE_GR, "TIS-620" },
  { "$)C", TRUE,  SET_KS_X1001,  NULL },
  { "$)A", TRUE,  SET_GB2312,    NULL },
};

static const CharsetTerm *
lookup_term (const char *term,
             gsize       length)
{
  /* Defined terms are compared without surrounding spaces (values are space padded). */
  while (length > 0 && term[0] == ' ')
    {
      term++;
      length--;
    }
  while (length > 0 && term[length - 1] == ' ')
    length--;

  if (length == 0)
    return &charset_terms[0];

  for (gsize i = 0; i < G_N_ELEMENTS (charset_terms); i++)
    {
      if (strlen (charset_terms[i].term) == length &&
          strncmp (charset_terms[i].term, term, length) == 0)
        return &charset_terms[i];
    }

  return NULL;
}

/* The state of one ISO 2022 decoding: the designations in force and the run of bytes that
 * iconv has not seen yet, in an EUC or ISO 8859 form. */
typedef struct {
  CharsetKind  initial_g0;
  CharsetKind  initial_g1;
  const char  *initial_g1_iconv;
  CharsetKind  g0;
  CharsetKind  g1;
  const char  *g1_iconv;

  GString     *out;
  GByteArray  *pending;
  const char  *pending_iconv;   /* NULL while the run is pure ASCII */
} Iso2022Decoder;

static gboolean
decoder_flush (Iso2022Decoder *decoder)
{
  g_autofree char *converted = NULL;
  gsize written = 0;

  if (decoder->pending->len == 0)
    return TRUE;

  if (decoder->pending_iconv == NULL)
    {
      g_string_append_len (decoder->out, (const char *) decoder->pending->data,
                           decoder->pending->len);
    }
  else
    {
      converted = g_convert ((const char *) decoder->pending->data, decoder->pending->len,
                             "UTF-8", decoder->pending_iconv, NULL, &written, NULL);
      if (converted == NULL)
        return FALSE;
      g_string_append_len (decoder->out, converted, written);
    }

  g_byte_array_set_size (decoder->pending, 0);
  decoder->pending_iconv = NULL;
  return TRUE;
}

/* Queues @bytes, which iconv decodes as @iconv_name (NULL: plain ASCII, valid in any run since
 * every set used here is ASCII-compatible in GL). */
static gboolean
decoder_push (Iso2022Decoder *decoder,
              const char     *iconv_name,
              const guint8   *bytes,
              gsize           length)
{
  if (iconv_name != NULL && decoder->pending_iconv != NULL &&
      g_strcmp0 (iconv_name, decoder->pending_iconv) != 0)
    {
      if (!decoder_flush (decoder))
        return FALSE;
    }

  if (iconv_name != NULL)
    decoder->pending_iconv = iconv_name;

  g_byte_array_append (decoder->pending, bytes, length);
  return TRUE;
}

static gboolean
decoder_escape (Iso2022Decoder *decoder,
                const guint8   *p,
                const guint8   *end,
                gsize          *consumed)
{
  gsize length = 0;

  /* ESC, intermediate bytes 0x20–0x2F, one final byte 0x30–0x7E. */
  while (p + 1 + length < end && p[1 + length] >= 0x20 && p[1 + length] <= 0x2F)
    length++;
  if (p + 1 + length >= end || p[1 + length] < 0x30 || p[1 + length] > 0x7E)
    return FALSE;
  length++;

  for (gsize i = 0; i < G_N_ELEMENTS (designations); i++)
    {
      const Designation *d = &designations[i];

      if (strlen (d->sequence) != length || memcmp (d->sequence, p + 1, length) != 0)
        continue;

      if (d->to_g1)
        {
          decoder->g1 = d->kind;
          decoder->g1_iconv = d->iconv_name;
        }
      else
        {
          decoder->g0 = d->kind;
        }
      *consumed = 1 + length;
      return TRUE;
    }

  return FALSE;
}

static char *
decode_iso2022 (const guint8      *value,
                gsize              length,
                const CharsetTerm *first)
{
  Iso2022Decoder decoder = { 0, };
  const guint8 *p = value;
  const guint8 *end = value + length;
  gboolean ok = TRUE;

  decoder.initial_g0 = decoder.g0 = first->g0 != SET_NONE ? first->g0 : SET_ASCII;
  decoder.initial_g1 = decoder.g1 = first->g1;
  decoder.initial_g1_iconv = decoder.g1_iconv = first->g1_iconv;
  decoder.out = g_string_sized_new (length + 1);
  decoder.pending = g_byte_array_sized_new (length);

  while (ok && p < end)
    {
      guint8 c = *p;

      if (c == 0x1B)
        {
          gsize consumed = 0;

          ok = decoder_escape (&decoder, p, end, &consumed);
          p += consumed;
        }
      else if (c < 0x20 || c == 0x7F)
        {
          /* The initial designations are in force again after every control character
           * (PS3.5 6.1.2.5.3); a well-formed value has switched back already. */
          decoder.g0 = decoder.initial_g0;
          decoder.g1 = decoder.initial_g1;
          decoder.g1_iconv = decoder.initial_g1_iconv;
          ok = decoder_push (&decoder, NULL, p, 1);
          p++;
        }
      else if (c < 0x80)
        {
          if (decoder.g0 == SET_JIS_X0208 || decoder.g0 == SET_JIS_X0212)
            {
              guint8 euc[3];
              gsize n = 0;

              if (c == 0x20)
                {
                  ok = decoder_push (&decoder, NULL, p, 1);
                  p++;
                  continue;
                }
              if (p + 1 >= end || p[1] < 0x21 || p[1] > 0x7E)
                {
                  ok = FALSE;
                  break;
                }
              if (decoder.g0 == SET_JIS_X0212)
                euc[n++] = 0x8F;
              euc[n++] = p[0] | 0x80;
              euc[n++] = p[1] | 0x80;
              ok = decoder_push (&decoder, "EUC-JP", euc, n);
              p += 2;
            }
          else
            {
              ok = decoder_push (&decoder, NULL, p, 1);
              p++;
            }
        }
      else
        {
          switch (decoder.g1)
            {
            case SET_SINGLE_GR:
              ok = decoder_push (&decoder, decoder.g1_iconv, p, 1);
              p++;
              break;

            case SET_KATAKANA:
              {
                guint8 euc[2] = { 0x8E, c };

                ok = c >= 0xA1 && c <= 0xDF && decoder_push (&decoder, "EUC-JP", euc, 2);
                p++;
              }
              break;

            case SET_KS_X1001:
            case SET_GB2312:
              if (p + 1 >= end || p[1] < 0xA1 || p[1] == 0xFF)
                {
                  ok = FALSE;
                  break;
                }
              ok = decoder_push (&decoder, decoder.g1 == SET_KS_X1001 ? "EUC-KR" : "GB2312",
                                 p, 2);
              p += 2;
              break;

            case SET_NONE:
            case SET_ASCII:
            case SET_JIS_X0208:
            case SET_JIS_X0212:
            default:
              ok = FALSE;
              break;
            }
        }
    }

  if (ok)
    ok = decoder_flush (&decoder);

  g_byte_array_unref (decoder.pending);
  if (!ok)
    {
      g_string_free (decoder.out, TRUE);
      return NULL;
    }
  return g_string_free (decoder.out, FALSE);
}

static gboolean
is_ascii (const guint8 *value,
          gsize         length)
{
  for (gsize i = 0; i < length; i++)
    {
      if (value[i] >= 0x80)
        return FALSE;
    }
  return TRUE;
}

/* Decodes strictly with @specific_character_set; NULL when it is unknown or does not fit. */
static char *
decode_with (const guint8 *value,
             gsize         length,
             const char   *specific_character_set)
{
  g_auto(GStrv) terms = NULL;
  const CharsetTerm *first;
  gboolean code_extensions = FALSE;

  if (specific_character_set == NULL)
    return NULL;

  terms = g_strsplit (specific_character_set, "\\", -1);
  if (terms[0] == NULL)
    return NULL;

  first = lookup_term (terms[0], strlen (terms[0]));
  if (first == NULL)
    return NULL;

  for (guint i = 0; terms[i] != NULL; i++)
    {
      const CharsetTerm *term = lookup_term (terms[i], strlen (terms[i]));

      if (term == NULL)
        return NULL;
      if (term->iso2022)
        code_extensions = TRUE;
    }

  if (code_extensions || first->g1 == SET_KATAKANA)
    return decode_iso2022 (value, length, first);

  if (first->g0 == SET_ASCII && first->g1 == SET_NONE)
    return is_ascii (value, length) ? g_strndup ((const char *) value, length) : NULL;

  if (g_ascii_strcasecmp (first->iconv_name, "UTF-8") == 0)
    {
      if (!g_utf8_validate ((const char *) value, length, NULL))
        return NULL;
      return g_strndup ((const char *) value, length);
    }

  return g_convert ((const char *) value, length, "UTF-8", first->iconv_name, NULL, NULL, NULL);
}

/* Removes DICOM padding and makes every control character visible. */
static char *
clean_up (char *utf8)
{
  GString *out;
  gsize length = strlen (utf8);

  while (length > 0 && utf8[length - 1] == ' ')
    length--;
  utf8[length] = '\0';

  out = g_string_sized_new (length + 1);
  for (const char *p = utf8; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\f' && c != '\r') ||
          (c >= 0x7F && c <= 0x9F))
        g_string_append_unichar (out, 0xFFFD);
      else
        g_string_append_unichar (out, c);
    }

  g_free (utf8);
  return g_string_free (out, FALSE);
}

/**
 * ferry_charset_to_utf8:
 * @value: (nullable): raw bytes of a text element, as stored in the object
 * @specific_character_set: (nullable): the object's (0008,0005), possibly multi-valued
 * @fallback_character_set: (nullable): the device's character set
 *
 * Converts a text element to UTF-8 on a copy. The object's character set is tried first, then
 * @fallback_character_set, then the bytes as UTF-8 when they are valid UTF-8, then ISO 8859-1,
 * which always succeeds. Trailing spaces and NULs are removed; control characters other than
 * TAB, LF, FF and CR are replaced by U+FFFD.
 *
 * Returns: (transfer full) (nullable): UTF-8, or %NULL when @value is %NULL
 */
char *
ferry_charset_to_utf8 (const char *value,
                       const char *specific_character_set,
                       const char *fallback_character_set)
{
  const guint8 *bytes = (const guint8 *) value;
  gsize length;
  char *utf8;

  if (value == NULL)
    return NULL;

  length = strlen (value);
  while (length > 0 && (bytes[length - 1] == ' ' || bytes[length - 1] == '\0'))
    length--;

  /* A missing (0008,0005) means the default repertoire, tried strictly like any other. */
  utf8 = decode_with (bytes, length,
                      specific_character_set != NULL ? specific_character_set : "");
  if (utf8 == NULL)
    utf8 = decode_with (bytes, length, fallback_character_set);
  if (utf8 == NULL && g_utf8_validate (value, length, NULL))
    utf8 = g_strndup (value, length);
  if (utf8 == NULL)
    utf8 = g_convert (value, length, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
  if (utf8 == NULL)
    {
      /* Only when iconv itself is broken: keep the ASCII and mark everything else. */
      GString *out = g_string_sized_new (length + 1);

      for (gsize i = 0; i < length; i++)
        {
          if (bytes[i] < 0x80)
            g_string_append_c (out, value[i]);
          else
            g_string_append_unichar (out, 0xFFFD);
        }
      utf8 = g_string_free (out, FALSE);
    }

  return clean_up (utf8);
}

/**
 * ferry_charset_is_known:
 * @term: a defined term such as "ISO_IR 100", or a multi-valued "\ISO 2022 IR 87"
 *
 * Returns: whether every value of @term is a character set Ferry can decode. The empty string
 *   (the default repertoire) is known.
 */
gboolean
ferry_charset_is_known (const char *term)
{
  g_auto(GStrv) values = NULL;

  g_return_val_if_fail (term != NULL, FALSE);

  values = g_strsplit (term, "\\", -1);
  for (guint i = 0; values[i] != NULL; i++)
    {
      if (lookup_term (values[i], strlen (values[i])) == NULL)
        return FALSE;
    }

  return TRUE;
}

static char *
trimmed_component (char **components,
                   guint  n_components,
                   guint  index)
{
  if (index >= n_components)
    return g_strdup ("");
  return g_strstrip (g_strdup (components[index]));
}

/**
 * ferry_person_name_to_display:
 * @person_name: (nullable): a DICOM PN value in UTF-8, e.g. "DOE^JANE^M^^"
 *
 * Formats a person name for display: "prefix family, given middle, suffix", e.g. "DOE, JANE M".
 * Of the component groups separated by "=", the first that is not empty is used (normally the
 * alphabetic one).
 *
 * Returns: (transfer full): a new string, "" for an empty or %NULL name
 */
char *
ferry_person_name_to_display (const char *person_name)
{
  g_auto(GStrv) groups = NULL;
  g_auto(GStrv) components = NULL;
  g_autofree char *family = NULL;
  g_autofree char *given = NULL;
  g_autofree char *middle = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *suffix = NULL;
  GString *out;
  guint n;

  if (person_name == NULL)
    return g_strdup ("");

  groups = g_strsplit (person_name, "=", -1);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *stripped = g_strstrip (g_strdup (groups[i]));

      g_strdelimit (stripped, "^", ' ');
      g_strstrip (stripped);
      if (stripped[0] != '\0')
        {
          components = g_strsplit (groups[i], "^", -1);
          break;
        }
    }

  if (components == NULL)
    return g_strdup ("");

  n = g_strv_length (components);
  family = trimmed_component (components, n, 0);
  given = trimmed_component (components, n, 1);
  middle = trimmed_component (components, n, 2);
  prefix = trimmed_component (components, n, 3);
  suffix = trimmed_component (components, n, 4);

  out = g_string_new (NULL);
  if (prefix[0] != '\0')
    g_string_append_printf (out, "%s ", prefix);
  g_string_append (out, family);
  if (given[0] != '\0' || middle[0] != '\0')
    {
      if (family[0] != '\0')
        g_string_append (out, ", ");
      g_string_append (out, given);
      if (given[0] != '\0' && middle[0] != '\0')
        g_string_append_c (out, ' ');
      g_string_append (out, middle);
    }
  if (suffix[0] != '\0')
    g_string_append_printf (out, ", %s", suffix);

  return g_strstrip (g_string_free (out, FALSE));
}
