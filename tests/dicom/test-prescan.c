/* test-prescan.c: the bounded structural pre-scan, on objects built byte by byte
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define _GNU_SOURCE
#define G_LOG_DOMAIN "ferry-test"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <zlib.h>

#include "ferry-dicom.h"

#define TS_IMPLICIT_LE "1.2.840.10008.1.2"
#define TS_EXPLICIT_LE "1.2.840.10008.1.2.1"
#define TS_EXPLICIT_BE "1.2.840.10008.1.2.2"
#define TS_DEFLATED    "1.2.840.10008.1.2.1.99"
#define TS_JPEG        "1.2.840.10008.1.2.4.50"

#define SOP_CLASS      "1.2.840.10008.5.1.4.1.1.7"
#define SOP_INSTANCE   "2.25.1234567890123456789"

#define UNDEFINED      0xFFFFFFFFu

/* ------------------------------------------------------------------------------------------ */
/* A tiny encoder, just enough to build the objects the tests need, valid or broken.           */

typedef struct {
  GByteArray *bytes;
  gboolean    explicit_vr;
  gboolean    big_endian;
} Enc;

static void
put16 (Enc     *e,
       guint16  v)
{
  guint8 b[2];

  if (e->big_endian)
    {
      b[0] = v >> 8;
      b[1] = v & 0xFF;
    }
  else
    {
      b[0] = v & 0xFF;
      b[1] = v >> 8;
    }
  g_byte_array_append (e->bytes, b, 2);
}

static void
put32 (Enc     *e,
       guint32  v)
{
  if (e->big_endian)
    {
      put16 (e, v >> 16);
      put16 (e, v & 0xFFFF);
    }
  else
    {
      put16 (e, v & 0xFFFF);
      put16 (e, v >> 16);
    }
}

static gboolean
is_long_vr (const char *vr)
{
  return strstr ("OB OD OF OL OV OW SQ SV UC UN UR UT UV", vr) != NULL;
}

/* An element header with a declared @length (the value is appended separately). */
static void
put_header (Enc        *e,
            guint16     group,
            guint16     element,
            const char *vr,
            guint32     length)
{
  put16 (e, group);
  put16 (e, element);
  if (!e->explicit_vr)
    {
      put32 (e, length);
      return;
    }
  g_byte_array_append (e->bytes, (const guint8 *) vr, 2);
  if (is_long_vr (vr))
    {
      put16 (e, 0);
      put32 (e, length);
    }
  else
    put16 (e, (guint16) length);
}

/* A text element padded to even length. */
static void
put_text (Enc        *e,
          guint16     group,
          guint16     element,
          const char *vr,
          const char *value)
{
  gsize length = strlen (value);
  gsize padded = length + (length & 1);

  put_header (e, group, element, vr, (guint32) padded);
  g_byte_array_append (e->bytes, (const guint8 *) value, (guint) length);
  if (padded != length)
    g_byte_array_append (e->bytes, (const guint8 *) (strcmp (vr, "UI") == 0 ? "\0" : " "), 1);
}

/* Item-level tags (item, delimiters) carry no VR in any transfer syntax. */
static void
put_item_tag (Enc     *e,
              guint16  element,
              guint32  length)
{
  put16 (e, 0xFFFE);
  put16 (e, element);
  put32 (e, length);
}

static void
put_bytes (Enc    *e,
           guint8  fill,
           gsize   length)
{
  gsize old = e->bytes->len;

  g_byte_array_set_size (e->bytes, old + length);
  memset (e->bytes->data + old, fill, length);
}

/* Preamble, "DICM" and a file meta group announcing @ts. */
static Enc
begin_file (const char *ts)
{
  Enc e = { g_byte_array_new (), TRUE, FALSE };
  Enc group = { g_byte_array_new (), TRUE, FALSE };
  static const guint8 version[2] = { 0, 1 };

  put_header (&group, 0x0002, 0x0001, "OB", 2);
  g_byte_array_append (group.bytes, version, 2);
  put_text (&group, 0x0002, 0x0002, "UI", SOP_CLASS);
  put_text (&group, 0x0002, 0x0003, "UI", SOP_INSTANCE);
  put_text (&group, 0x0002, 0x0010, "UI", ts);

  put_bytes (&e, 0, 128);
  g_byte_array_append (e.bytes, (const guint8 *) "DICM", 4);
  put_header (&e, 0x0002, 0x0000, "UL", 4);
  put32 (&e, group.bytes->len);
  g_byte_array_append (e.bytes, group.bytes->data, group.bytes->len);
  g_byte_array_unref (group.bytes);

  if (g_str_equal (ts, TS_IMPLICIT_LE))
    e.explicit_vr = FALSE;
  else if (g_str_equal (ts, TS_EXPLICIT_BE))
    e.big_endian = TRUE;
  return e;
}

/* The attributes every valid test object starts with. */
static void
put_identity (Enc *e)
{
  put_text (e, 0x0008, 0x0016, "UI", SOP_CLASS);
  put_text (e, 0x0008, 0x0018, "UI", SOP_INSTANCE);
  put_text (e, 0x0010, 0x0010, "PN", "Doe^Jane");
}

/* A dataset with a defined-length sequence, an undefined-length sequence with an
 * undefined-length item, and native pixel data of @pixel_bytes. */
static void
put_rich_dataset (Enc  *e,
                  gsize pixel_bytes)
{
  put_identity (e);

  /* (0008,1115) SQ, defined length: one item holding one UI element of 8 bytes + header. */
  {
    Enc item = { g_byte_array_new (), e->explicit_vr, e->big_endian };

    put_text (&item, 0x0008, 0x1150, "UI", "1.2.3.4");
    put_header (e, 0x0008, 0x1115, "SQ", item.bytes->len + 8);
    put_item_tag (e, 0xE000, item.bytes->len);
    g_byte_array_append (e->bytes, item.bytes->data, item.bytes->len);
    g_byte_array_unref (item.bytes);
  }

  /* (0040,0275) SQ, undefined length, one undefined-length item. */
  put_header (e, 0x0040, 0x0275, "SQ", UNDEFINED);
  put_item_tag (e, 0xE000, UNDEFINED);
  put_text (e, 0x0040, 0x0009, "SH", "STEP1");
  put_item_tag (e, 0xE00D, 0);
  put_item_tag (e, 0xE0DD, 0);

  put_header (e, 0x0028, 0x0010, "US", 2);
  put16 (e, 16);
  put_header (e, 0x7FE0, 0x0010, "OW", (guint32) pixel_bytes);
  put_bytes (e, 0x5A, pixel_bytes);
}

static gboolean
prescan (GByteArray                    *bytes,
         const FerryDicomPrescanLimits *limits,
         FerryDicomPrescanResult       *result,
         GError                       **error)
{
  return ferry_dicom_prescan_buffer (bytes->data, bytes->len, limits, result, error);
}

static void
assert_identity (const FerryDicomPrescanResult *result,
                 const char                    *ts)
{
  g_assert_cmpstr (result->sop_class_uid, ==, SOP_CLASS);
  g_assert_cmpstr (result->sop_instance_uid, ==, SOP_INSTANCE);
  g_assert_cmpstr (result->transfer_syntax_uid, ==, ts);
}

/* ------------------------------------------------------------------------------------------ */
/* Valid objects.                                                                              */

static void
check_valid (const char *ts)
{
  Enc e = begin_file (ts);
  g_auto(FerryDicomPrescanResult) result = { 0, };
  g_autoptr(GError) error = NULL;

  put_rich_dataset (&e, 1024);

  g_assert_true (prescan (e.bytes, NULL, &result, &error));
  g_assert_no_error (error);
  assert_identity (&result, ts);
  g_assert_cmpuint (result.max_depth_seen, ==, 1);
  /* 5 meta elements; SOP class, instance, name, two SQs, the UI and SH inside, rows, pixels. */
  g_assert_cmpuint (result.element_count, ==, 5 + 9);

  g_byte_array_unref (e.bytes);
}

static void
test_explicit_le (void)
{
  check_valid (TS_EXPLICIT_LE);
}

static void
test_implicit_le (void)
{
  check_valid (TS_IMPLICIT_LE);
}

static void
test_explicit_be (void)
{
  check_valid (TS_EXPLICIT_BE);
}

static GByteArray *
raw_deflate (const guint8 *data,
             gsize         length)
{
  z_stream zs = { 0, };
  GByteArray *out = g_byte_array_sized_new (compressBound (length) + 64);

  g_assert_cmpint (deflateInit2 (&zs, 9, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY), ==, Z_OK);
  g_byte_array_set_size (out, compressBound (length) + 64);
  zs.next_in = (Bytef *) data;
  zs.avail_in = length;
  zs.next_out = out->data;
  zs.avail_out = out->len;
  g_assert_cmpint (deflate (&zs, Z_FINISH), ==, Z_STREAM_END);
  g_byte_array_set_size (out, zs.total_out);
  deflateEnd (&zs);
  return out;
}

/* A deflated object: the meta group as is, the dataset raw-deflated after it. */
static GByteArray *
build_deflated (gsize pixel_bytes)
{
  Enc e = begin_file (TS_DEFLATED);
  Enc dataset = { g_byte_array_new (), TRUE, FALSE };
  GByteArray *deflated;

  put_rich_dataset (&dataset, pixel_bytes);
  deflated = raw_deflate (dataset.bytes->data, dataset.bytes->len);
  g_byte_array_append (e.bytes, deflated->data, deflated->len);
  g_byte_array_unref (deflated);
  g_byte_array_unref (dataset.bytes);
  return e.bytes;
}

static void
test_deflated (void)
{
  g_autoptr(GByteArray) bytes = build_deflated (300 * 1024);
  g_auto(FerryDicomPrescanResult) result = { 0, };
  g_autoptr(GError) error = NULL;

  /* The 300 KiB of pixels deflate to little; the walk must inflate all of it. */
  g_assert_cmpuint (bytes->len, <, 10 * 1024);
  g_assert_true (prescan (bytes, NULL, &result, &error));
  g_assert_no_error (error);
  assert_identity (&result, TS_DEFLATED);
  g_assert_cmpuint (result.element_count, ==, 5 + 9);
}

static void
test_deflate_bomb (void)
{
  g_autoptr(GByteArray) bytes = build_deflated (8 * 1024 * 1024);
  FerryDicomPrescanLimits limits = { 0, 1024 * 1024 };
  g_auto(FerryDicomPrescanResult) result = { 0, };
  g_autoptr(GError) error = NULL;

  g_assert_false (prescan (bytes, &limits, &result, &error));
  g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_HOSTILE);
  g_assert_nonnull (strstr (error->message, "inflates"));
  g_assert_null (result.sop_instance_uid);
}

static void
test_deflate_truncated (void)
{
  g_autoptr(GByteArray) bytes = build_deflated (64 * 1024);
  g_auto(FerryDicomPrescanResult) result = { 0, };
  g_autoptr(GError) error = NULL;

  g_byte_array_set_size (bytes, bytes->len - 20);
  g_assert_false (prescan (bytes, NULL, &result, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == FERRY_DICOM_ERROR);
}

static void
test_encapsulated (void)
{
  Enc e = begin_file (TS_JPEG);
  g_auto(FerryDicomPrescanResult) result = { 0, };
  g_autoptr(GError) error = NULL;

  put_identity (&e);
  put_header (&e, 0x7FE0, 0x0010, "OB", UNDEFINED);
  put_item_tag (&e, 0xE000, 0);          /* empty basic offset table */
  put_item_tag (&e, 0xE000, 6);
  g_byte_array_append (e.bytes, (const guint8 *) "\xFF\xD8\x00\x00\xFF\xD9", 6);
  put_item_tag (&e, 0xE000, 70000);      /* a fragment larger than the reading window */
  put_bytes (&e, 0x11, 70000);
  put_item_tag (&e, 0xE0DD, 0);

  g_assert_true (prescan (e.bytes, NULL, &result, &error));
  g_assert_no_error (error);
  assert_identity (&result, TS_JPEG);
  g_assert_cmpuint (result.max_depth_seen, ==, 0);

  /* The same fragments without the closing delimiter: truncated. */
  g_byte_array_set_size (e.bytes, e.bytes->len - 8);
  ferry_dicom_prescan_result_clear (&result);
  g_assert_false (prescan (e.bytes, NULL, &result, &error));
  g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, "(7FE0,0010)"));

  g_byte_array_unref (e.bytes);
}

/* Through a file, with pixel data far larger than the reading window. */
static void
test_file (void)
{
  Enc e = begin_file (TS_EXPLICIT_LE);
  g_autofree char *path = g_build_filename (g_get_tmp_dir (), "prescan.dcm", NULL);
  g_auto(FerryDicomPrescanResult) result = { 0, };
  g_autoptr(GError) error = NULL;

  put_rich_dataset (&e, 3 * 1024 * 1024);
  g_assert_true (g_file_set_contents (path, (const char *) e.bytes->data, e.bytes->len, &error));
  g_assert_no_error (error);

  g_assert_true (ferry_dicom_prescan_file (path, NULL, &result, &error));
  g_assert_no_error (error);
  assert_identity (&result, TS_EXPLICIT_LE);
  ferry_dicom_prescan_result_clear (&result);

  /* Truncated in the middle of the pixel data. */
  g_assert_true (g_file_set_contents (path, (const char *) e.bytes->data, e.bytes->len / 2, &error));
  g_assert_false (ferry_dicom_prescan_file (path, NULL, &result, &error));
  g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_HOSTILE);
  g_assert_nonnull (strstr (error->message, "(7FE0,0010)"));
  g_assert_null (result.sop_class_uid);
  g_clear_error (&error);

  g_assert_false (ferry_dicom_prescan_file ("/nonexistent/ferry.dcm", NULL, &result, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);

  g_unlink (path);
  g_byte_array_unref (e.bytes);
}

/* ------------------------------------------------------------------------------------------ */
/* Hostile and broken objects.                                                                 */

#define NESTING 20000

static GByteArray *
build_nested_defined (guint levels)
{
  Enc e = begin_file (TS_EXPLICIT_LE);
  g_autofree guint32 *lengths = g_new (guint32, levels);
  const guint32 innermost = 10;   /* (0008,0100) SH "AB" */

  /* A sequence at level i holds one item: 8 bytes of item header, then either the innermost
   * element or the next sequence (12 bytes of header and its value). */
  for (guint i = levels; i-- > 0;)
    lengths[i] = 8 + (i == levels - 1 ? innermost : 12 + lengths[i + 1]);

  put_identity (&e);
  for (guint i = 0; i < levels; i++)
    {
      put_header (&e, 0x0040, 0xA730, "SQ", lengths[i]);
      put_item_tag (&e, 0xE000, lengths[i] - 8);
    }
  put_text (&e, 0x0008, 0x0100, "SH", "AB");
  return e.bytes;
}

static GByteArray *
build_nested_undefined (guint levels)
{
  Enc e = begin_file (TS_EXPLICIT_LE);

  put_identity (&e);
  for (guint i = 0; i < levels; i++)
    {
      put_header (&e, 0x0040, 0xA730, "SQ", UNDEFINED);
      put_item_tag (&e, 0xE000, UNDEFINED);
    }
  put_text (&e, 0x0008, 0x0100, "SH", "AB");
  for (guint i = 0; i < levels; i++)
    {
      put_item_tag (&e, 0xE00D, 0);
      put_item_tag (&e, 0xE0DD, 0);
    }
  return e.bytes;
}

static void
check_nested (GByteArray *bytes)
{
  g_auto(FerryDicomPrescanResult) result = { 0, };
  g_autoptr(GError) error = NULL;
  FerryDicomPrescanLimits generous = { NESTING + 1, 0 };

  /* Refused with the default limit... */
  g_assert_false (prescan (bytes, NULL, &result, &error));
  g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_HOSTILE);
  g_assert_nonnull (strstr (error->message, "(0040,A730)"));
  g_assert_nonnull (strstr (error->message, "32"));
  g_clear_error (&error);

  /* ...and walked to the bottom without recursion when the limit allows it. */
  g_assert_true (prescan (bytes, &generous, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (result.max_depth_seen, ==, NESTING);
  assert_identity (&result, TS_EXPLICIT_LE);
}

static void
test_nested_defined (void)
{
  g_autoptr(GByteArray) bytes = build_nested_defined (NESTING);

  check_nested (bytes);
}

static void
test_nested_undefined (void)
{
  g_autoptr(GByteArray) bytes = build_nested_undefined (NESTING);

  check_nested (bytes);
}

static void
test_nested_implicit (void)
{
  Enc e = begin_file (TS_IMPLICIT_LE);
  g_auto(FerryDicomPrescanResult) result = { 0, };
  g_autoptr(GError) error = NULL;

  /* Implicit VR has no "SQ" to see: undefined lengths are sequences. */
  put_identity (&e);
  for (guint i = 0; i < 100; i++)
    {
      put_header (&e, 0x0040, 0xA730, NULL, UNDEFINED);
      put_item_tag (&e, 0xE000, UNDEFINED);
    }
  g_assert_false (prescan (e.bytes, NULL, &result, &error));
  g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_HOSTILE);
  g_byte_array_unref (e.bytes);
}

static void
test_length_beyond_end (void)
{
  Enc e = begin_file (TS_EXPLICIT_LE);
  g_auto(FerryDicomPrescanResult) result = { 0, };
  g_autoptr(GError) error = NULL;

  put_identity (&e);
  put_header (&e, 0x0010, 0x4000, "LT", 1000);
  g_byte_array_append (e.bytes, (const guint8 *) "short", 5);

  g_assert_false (prescan (e.bytes, NULL, &result, &error));
  g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_HOSTILE);
  g_assert_nonnull (strstr (error->message, "(0010,4000)"));
  g_assert_nonnull (strstr (error->message, "offset"));
  g_assert_nonnull (strstr (error->message, "1000"));
  g_byte_array_unref (e.bytes);
}

static void
test_length_beyond_item (void)
{
  Enc e = begin_file (TS_EXPLICIT_LE);
  g_auto(FerryDicomPrescanResult) result = { 0, };
  g_autoptr(GError) error = NULL;

  /* The item says 16 bytes; the LO inside claims 40 of them. Plenty follows in the file. */
  put_identity (&e);
  put_header (&e, 0x0008, 0x1115, "SQ", 24);
  put_item_tag (&e, 0xE000, 16);
  put_header (&e, 0x0008, 0x1030, "LO", 40);
  put_bytes (&e, 'x', 200);

  g_assert_false (prescan (e.bytes, NULL, &result, &error));
  g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_HOSTILE);
  g_assert_nonnull (strstr (error->message, "(0008,1030)"));
  g_assert_nonnull (strstr (error->message, "enclosing"));
  g_byte_array_unref (e.bytes);
}

static void
test_truncated (void)
{
  Enc e = begin_file (TS_EXPLICIT_LE);
  g_auto(FerryDicomPrescanResult) result = { 0, };
  g_autoptr(GError) error = NULL;
  guint cut;

  put_rich_dataset (&e, 64);

  /* Every cut inside the dataset must be refused (never crash, never pass). */
  for (cut = 140; cut < e.bytes->len; cut++)
    {
      if (!ferry_dicom_prescan_buffer (e.bytes->data, cut, NULL, &result, &error))
        {
          g_assert_nonnull (error);
          g_assert_true (error->domain == FERRY_DICOM_ERROR);
          g_clear_error (&error);
          continue;
        }
      /* Only a cut exactly between two top-level elements leaves a sound, shorter object. */
      ferry_dicom_prescan_result_clear (&result);
    }

  /* Cut in the middle of the undefined-length sequence: never closed. */
  {
    const guint8 needle[] = { 0x40, 0x00, 0x75, 0x02, 'S', 'Q' };
    guint8 *found = memmem (e.bytes->data, e.bytes->len, needle, sizeof needle);

    g_assert_nonnull (found);
    cut = (guint) (found - e.bytes->data) + 12 + 8 + 14;
    g_assert_false (ferry_dicom_prescan_buffer (e.bytes->data, cut, NULL, &result, &error));
    g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_PARSE);
    g_assert_nonnull (strstr (error->message, "never closed"));
  }

  g_byte_array_unref (e.bytes);
}

static void
test_misplaced_delimiter (void)
{
  g_auto(FerryDicomPrescanResult) result = { 0, };
  g_autoptr(GError) error = NULL;

  /* An item delimiter at the top level. */
  {
    Enc e = begin_file (TS_EXPLICIT_LE);

    put_identity (&e);
    put_item_tag (&e, 0xE00D, 0);
    put_text (&e, 0x0010, 0x0020, "LO", "ID1");
    g_assert_false (prescan (e.bytes, NULL, &result, &error));
    g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_PARSE);
    g_assert_nonnull (strstr (error->message, "item delimiter"));
    g_assert_nonnull (strstr (error->message, "(FFFE,E00D)"));
    g_clear_error (&error);
    g_byte_array_unref (e.bytes);
  }

  /* An item delimiter directly inside a sequence, where an item should be. */
  {
    Enc e = begin_file (TS_EXPLICIT_LE);

    put_identity (&e);
    put_header (&e, 0x0040, 0x0275, "SQ", UNDEFINED);
    put_item_tag (&e, 0xE00D, 0);
    put_item_tag (&e, 0xE0DD, 0);
    g_assert_false (prescan (e.bytes, NULL, &result, &error));
    g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_PARSE);
    g_assert_nonnull (strstr (error->message, "item delimiter"));
    g_clear_error (&error);
    g_byte_array_unref (e.bytes);
  }

  /* An item delimiter inside a defined-length item. */
  {
    Enc e = begin_file (TS_EXPLICIT_LE);

    put_identity (&e);
    put_header (&e, 0x0008, 0x1115, "SQ", 16);
    put_item_tag (&e, 0xE000, 8);
    put_item_tag (&e, 0xE00D, 0);
    g_assert_false (prescan (e.bytes, NULL, &result, &error));
    g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_PARSE);
    g_byte_array_unref (e.bytes);
  }
}

static void
test_not_dicom (void)
{
  g_auto(FerryDicomPrescanResult) result = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  const char *text = "%PDF-1.4 not a DICOM object at all, but long enough to have a preamble";

  for (int i = 0; i < 4; i++)
    g_byte_array_append (bytes, (const guint8 *) text, strlen (text));

  g_assert_false (prescan (bytes, NULL, &result, &error));
  g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, "DICM"));
  g_clear_error (&error);

  g_assert_false (ferry_dicom_prescan_buffer ((const guint8 *) "DICM", 4, NULL, &result, &error));
  g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_PARSE);
}

static void
test_missing_transfer_syntax (void)
{
  Enc e = { g_byte_array_new (), TRUE, FALSE };
  g_auto(FerryDicomPrescanResult) result = { 0, };
  g_autoptr(GError) error = NULL;

  put_bytes (&e, 0, 128);
  g_byte_array_append (e.bytes, (const guint8 *) "DICM", 4);
  put_text (&e, 0x0002, 0x0002, "UI", SOP_CLASS);
  put_identity (&e);

  g_assert_false (prescan (e.bytes, NULL, &result, &error));
  g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_PARSE);
  g_assert_nonnull (strstr (error->message, "(0002,0010)"));
  g_byte_array_unref (e.bytes);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/ferry/dicom/prescan/explicit-le", test_explicit_le);
  g_test_add_func ("/ferry/dicom/prescan/implicit-le", test_implicit_le);
  g_test_add_func ("/ferry/dicom/prescan/explicit-be", test_explicit_be);
  g_test_add_func ("/ferry/dicom/prescan/deflated", test_deflated);
  g_test_add_func ("/ferry/dicom/prescan/deflate-bomb", test_deflate_bomb);
  g_test_add_func ("/ferry/dicom/prescan/deflate-truncated", test_deflate_truncated);
  g_test_add_func ("/ferry/dicom/prescan/encapsulated", test_encapsulated);
  g_test_add_func ("/ferry/dicom/prescan/file", test_file);
  g_test_add_func ("/ferry/dicom/prescan/nested-defined", test_nested_defined);
  g_test_add_func ("/ferry/dicom/prescan/nested-undefined", test_nested_undefined);
  g_test_add_func ("/ferry/dicom/prescan/nested-implicit", test_nested_implicit);
  g_test_add_func ("/ferry/dicom/prescan/length-beyond-end", test_length_beyond_end);
  g_test_add_func ("/ferry/dicom/prescan/length-beyond-item", test_length_beyond_item);
  g_test_add_func ("/ferry/dicom/prescan/truncated", test_truncated);
  g_test_add_func ("/ferry/dicom/prescan/misplaced-delimiter", test_misplaced_delimiter);
  g_test_add_func ("/ferry/dicom/prescan/not-dicom", test_not_dicom);
  g_test_add_func ("/ferry/dicom/prescan/missing-transfer-syntax", test_missing_transfer_syntax);

  return g_test_run ();
}
