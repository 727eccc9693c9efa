/* test-init.c: initialising the DICOM layer, its log routing and the attribute reader
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ferry-test"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ferry-dicom.h"
#include "ferry-dicom-send.h"

/* ------------------------------------------------------------------------------------------ */
/* Capturing what DCMTK logs.                                                                  */

typedef struct {
  GLogLevelFlags level;
  char *dcmtk_level;
  char *message;
} Captured;

static GMutex captured_lock;
static GPtrArray *captured;   /* of Captured*, log records of the ferry-dcmtk domain */

static void
captured_free (gpointer data)
{
  Captured *c = data;

  g_free (c->dcmtk_level);
  g_free (c->message);
  g_free (c);
}

static GLogWriterOutput
capture_writer (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  const char *domain = NULL;
  const char *dcmtk_level = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
        domain = fields[i].value;
      else if (g_str_equal (fields[i].key, "FERRY_DCMTK_LEVEL"))
        dcmtk_level = fields[i].value;
      else if (g_str_equal (fields[i].key, "MESSAGE"))
        message = fields[i].value;
    }

  if (g_strcmp0 (domain, "ferry-dcmtk") == 0)
    {
      Captured *c = g_new0 (Captured, 1);

      c->level = log_level & G_LOG_LEVEL_MASK;
      c->dcmtk_level = g_strdup (dcmtk_level);
      c->message = g_strdup (message);
      g_mutex_lock (&captured_lock);
      g_ptr_array_add (captured, c);
      g_mutex_unlock (&captured_lock);
    }

  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

/* ------------------------------------------------------------------------------------------ */
/* A small Part 10 object, explicit VR little endian.                                          */

static void
put16 (GByteArray *b,
       guint16     v)
{
  guint8 bytes[2] = { v & 0xFF, v >> 8 };

  g_byte_array_append (b, bytes, 2);
}

static void
put32 (GByteArray *b,
       guint32     v)
{
  put16 (b, v & 0xFFFF);
  put16 (b, v >> 16);
}

static void
put_element (GByteArray   *b,
             guint16       group,
             guint16       element,
             const char   *vr,
             const guint8 *value,
             gsize         length)
{
  put16 (b, group);
  put16 (b, element);
  g_byte_array_append (b, (const guint8 *) vr, 2);
  if (strstr ("OB OW SQ UN UT", vr) != NULL)
    {
      put16 (b, 0);
      put32 (b, length);
    }
  else
    put16 (b, length);
  g_byte_array_append (b, value, length);
}

static void
put_string (GByteArray *b,
            guint16     group,
            guint16     element,
            const char *vr,
            const char *value)
{
  put_element (b, group, element, vr, (const guint8 *) value, strlen (value));
}

/* UIDs are padded with a NUL to even length. */
static void
put_uid (GByteArray *b,
         guint16     group,
         guint16     element,
         const char *uid)
{
  gsize length = strlen (uid);

  put_element (b, group, element, "UI", (const guint8 *) uid, length + (length & 1));
}

static char *
write_object (void)
{
  g_autoptr(GByteArray) meta = g_byte_array_new ();
  g_autoptr(GByteArray) file = g_byte_array_new ();
  char *path = g_build_filename (g_get_tmp_dir (), "attributes.dcm", NULL);
  guint8 pixels[64];
  g_autoptr(GError) error = NULL;

  put_element (meta, 0x0002, 0x0001, "OB", (const guint8 *) "\0\1", 2);
  put_uid (meta, 0x0002, 0x0002, "1.2.840.10008.5.1.4.1.1.7");
  put_uid (meta, 0x0002, 0x0003, "2.25.42");
  put_uid (meta, 0x0002, 0x0010, "1.2.840.10008.1.2.1");

  g_byte_array_set_size (file, 128);
  memset (file->data, 0, 128);
  g_byte_array_append (file, (const guint8 *) "DICM", 4);
  put16 (file, 0x0002);
  put16 (file, 0x0000);
  g_byte_array_append (file, (const guint8 *) "UL", 2);
  put16 (file, 4);
  put32 (file, meta->len);
  g_byte_array_append (file, meta->data, meta->len);

  put_string (file, 0x0008, 0x0005, "CS", "ISO_IR 100");
  put_uid (file, 0x0008, 0x0016, "1.2.840.10008.5.1.4.1.1.7");
  put_uid (file, 0x0008, 0x0018, "2.25.42");
  put_string (file, 0x0008, 0x0060, "CS", "OT");
  /* Two values: kept raw, separator included. */
  put_string (file, 0x0008, 0x1030, "LO", "Wound\\Heel  ");
  /* Latin-1 e acute: the reader must not convert it. */
  put_string (file, 0x0010, 0x0010, "PN", "Ren\xE9^Jos\xE9 ");
  put_string (file, 0x0010, 0x0020, "LO", "P42 ");
  put_uid (file, 0x0020, 0x000D, "2.25.42.1");
  put_uid (file, 0x0020, 0x000E, "2.25.42.2");
  put_string (file, 0x0028, 0x0008, "IS", "1 ");
  memset (pixels, 0x7F, sizeof pixels);
  put_element (file, 0x7FE0, 0x0010, "OW", pixels, sizeof pixels);

  g_assert_true (g_file_set_contents (path, (const char *) file->data, file->len, &error));
  g_assert_no_error (error);
  return path;
}

/* ------------------------------------------------------------------------------------------ */
/* Tests.                                                                                      */

static void
test_init (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ferry_dicom_init (&error));
  g_assert_no_error (error);
  /* Harmless the second time. */
  g_assert_true (ferry_dicom_init (&error));
  g_assert_no_error (error);
}

/* Rules name attributes by keyword or number; retired ones by the standard's keyword too. */
static void
test_parse_tag (void)
{
  static const struct { const char *text; guint16 group, element; } good[] = {
    { "PatientID", 0x0010, 0x0020 },
    { "0010,0020", 0x0010, 0x0020 },
    { "(0008,0060)", 0x0008, 0x0060 },
    { " AccessionNumber ", 0x0008, 0x0050 },
    { "OtherPatientIDs", 0x0010, 0x1000 },   /* retired; DCMTK calls it RETIRED_… */
  };
  static const char * const bad[] = { "", "Patient ID", "patientid2", "0010-0020", "NoSuchThing",
                                      "0010,002G" };
  g_autoptr(GError) error = NULL;

  g_assert_true (ferry_dicom_init (&error));
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      guint16 group = 0, element = 0;

      g_assert_true (ferry_dicom_parse_tag (good[i].text, &group, &element, &error));
      g_assert_no_error (error);
      g_assert_cmphex (group, ==, good[i].group);
      g_assert_cmphex (element, ==, good[i].element);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      guint16 group, element;

      g_assert_false (ferry_dicom_parse_tag (bad[i], &group, &element, &error));
      g_assert_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_COERCION);
      g_clear_error (&error);
    }
}

static void
test_implementation_identity (void)
{
  const char *uid = ferry_dicom_implementation_class_uid ();
  const char *name = ferry_dicom_implementation_version_name ();
  g_auto(GStrv) components = NULL;

  g_assert_true (g_str_has_prefix (uid, "2.25."));
  g_assert_cmpuint (strlen (uid), <=, 64);
  components = g_strsplit (uid, ".", -1);
  for (guint i = 0; components[i] != NULL; i++)
    {
      g_assert_cmpuint (strlen (components[i]), >, 0);
      g_assert_true (strspn (components[i], "0123456789") == strlen (components[i]));
      g_assert_true (components[i][0] != '0' || components[i][1] == '\0');
    }
  /* Not DCMTK's own. */
  g_assert_false (g_str_has_prefix (uid, "1.2.276.0.7230010"));

  g_assert_cmpuint (strlen (name), >, 0);
  g_assert_cmpuint (strlen (name), <=, 16);
  g_assert_true (g_str_has_prefix (name, "FERRY"));
}

static void
test_missing_dictionary (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;

      /* DCMTK loads its dictionary on first use, from DCMDICTPATH when set. */
      g_setenv ("DCMDICTPATH", "/nonexistent/ferry/dicom.dic", TRUE);
      g_assert_false (ferry_dicom_init (&error));
      g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_DICTIONARY);
      g_assert_nonnull (strstr (error->message, "DCMDICTPATH"));
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_read_attributes (void)
{
  g_autofree char *path = write_object ();
  g_auto(FerryDicomAttributes) a = { 0, };
  g_autoptr(GError) error = NULL;
  guint before, after;
  gboolean routed = FALSE;

  g_assert_true (ferry_dicom_init (NULL));
  g_mutex_lock (&captured_lock);
  before = captured->len;
  g_mutex_unlock (&captured_lock);

  g_assert_true (ferry_dicom_read_attributes (path, &a, &error));
  g_assert_no_error (error);

  g_assert_cmpstr (a.sop_class_uid, ==, "1.2.840.10008.5.1.4.1.1.7");
  g_assert_cmpstr (a.sop_instance_uid, ==, "2.25.42");
  g_assert_cmpstr (a.study_instance_uid, ==, "2.25.42.1");
  g_assert_cmpstr (a.series_instance_uid, ==, "2.25.42.2");
  g_assert_cmpstr (a.transfer_syntax_uid, ==, "1.2.840.10008.1.2.1");
  g_assert_cmpstr (a.specific_character_set, ==, "ISO_IR 100");
  g_assert_cmpstr (a.modality, ==, "OT");
  g_assert_cmpstr (a.study_description, ==, "Wound\\Heel");
  g_assert_cmpstr (a.patient_name, ==, "Ren\xE9^Jos\xE9");
  g_assert_cmpstr (a.patient_id, ==, "P42");
  g_assert_cmpstr (a.number_of_frames, ==, "1");
  g_assert_null (a.accession_number);
  g_assert_null (a.study_date);

  /* Stopping before the pixel data makes DCMTK warn; Ferry does it on purpose for every object,
   * so the warning reaches GLib at info level with DCMTK's own level as a field, never as a
   * GLib warning (the tests run with fatal warnings). */
  g_mutex_lock (&captured_lock);
  after = captured->len;
  for (guint i = before; i < after; i++)
    {
      Captured *c = g_ptr_array_index (captured, i);

      g_assert_true (c->level == G_LOG_LEVEL_MESSAGE || c->level == G_LOG_LEVEL_INFO);
      g_assert_nonnull (c->dcmtk_level);
      if (strstr (c->message, "PixelData") != NULL)
        {
          g_assert_cmpstr (c->dcmtk_level, ==, "warn");
          g_assert_cmpint (c->level, ==, G_LOG_LEVEL_INFO);
          routed = TRUE;
        }
    }
  g_mutex_unlock (&captured_lock);
  g_assert_true (routed);

  g_unlink (path);
}

static void
test_read_attributes_not_dicom (void)
{
  g_autofree char *path = g_build_filename (g_get_tmp_dir (), "not-dicom.txt", NULL);
  g_auto(FerryDicomAttributes) a = { 0, };
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, "hello, not DICOM", -1, NULL));
  g_assert_false (ferry_dicom_read_attributes (path, &a, &error));
  g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_PARSE);
  g_assert_null (a.patient_name);
  g_clear_error (&error);

  g_assert_false (ferry_dicom_read_attributes ("/nonexistent/ferry.dcm", &a, &error));
  g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_PARSE);
  g_unlink (path);
}

int
main (int   argc,
      char *argv[])
{
  captured = g_ptr_array_new_with_free_func (captured_free);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* The subprocess case must run before anything else loads the dictionary in this process. */
  g_test_add_func ("/ferry/dicom/init/missing-dictionary", test_missing_dictionary);
  g_test_add_func ("/ferry/dicom/init/dictionary-loaded", test_init);
  g_test_add_func ("/ferry/dicom/init/implementation-identity", test_implementation_identity);
  g_test_add_func ("/ferry/dicom/init/parse-tag", test_parse_tag);
  g_test_add_func ("/ferry/dicom/init/read-attributes", test_read_attributes);
  g_test_add_func ("/ferry/dicom/init/read-attributes-not-dicom", test_read_attributes_not_dicom);

  return g_test_run ();
}
