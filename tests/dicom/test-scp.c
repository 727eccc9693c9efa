/* test-scp.c: the storage SCP and the echo SCU against DCMTK's own command-line tools
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Objects are made at test time with pydicom (a second, independent DICOM implementation), sent
 * with the real storescu and echoscu, and what reaches the store callback is read back and
 * compared with what was sent: element values and pixel bytes.
 */

#define _GNU_SOURCE
#define G_LOG_DOMAIN "ferry-test"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ferry-dicom.h"

#define AE_TITLE     "FERRY"
#define CALLING_AE   "CART"
#define ROWS         512
#define COLUMNS      512

#define TS_IMPLICIT_LE "1.2.840.10008.1.2"
#define TS_EXPLICIT_LE "1.2.840.10008.1.2.1"
#define TS_EXPLICIT_BE "1.2.840.10008.1.2.2"
#define TS_DEFLATED    "1.2.840.10008.1.2.1.99"
#define TS_MPEG4       "1.2.840.10008.1.2.4.102"

/* Writes a Secondary Capture object with known values and a known 16-bit pixel ramp, or, for
 * MPEG-4, a Video Photographic object whose single fragment holds a known byte pattern. */
static const char make_object_py[] =
  "import sys\n"
  "import numpy as np\n"
  "from pydicom.dataset import Dataset, FileMetaDataset\n"
  "from pydicom.encaps import encapsulate\n"
  "path, ts, uid = sys.argv[1], sys.argv[2], sys.argv[3]\n"
  "video = ts.startswith('1.2.840.10008.1.2.4.10')\n"
  "sop_class = '1.2.840.10008.5.1.4.1.1.77.1.4.1' if video else '1.2.840.10008.5.1.4.1.1.7'\n"
  "meta = FileMetaDataset()\n"
  "meta.MediaStorageSOPClassUID = sop_class\n"
  "meta.MediaStorageSOPInstanceUID = uid\n"
  "meta.TransferSyntaxUID = ts\n"
  "ds = Dataset()\n"
  "ds.file_meta = meta\n"
  "ds.SpecificCharacterSet = 'ISO_IR 100'\n"
  "ds.SOPClassUID = sop_class\n"
  "ds.SOPInstanceUID = uid\n"
  "ds.StudyDate = '20240102'\n"
  "ds.StudyTime = '101500'\n"
  "ds.AccessionNumber = 'ACC0042'\n"
  "ds.Modality = 'XC' if video else 'OT'\n"
  "ds.StudyDescription = 'Wound follow-up'\n"
  "ds.SeriesDescription = 'Left heel'\n"
  "ds.PatientName = 'Doe^Jane'\n"
  "ds.PatientID = 'P12345'\n"
  "ds.PatientBirthDate = '19700101'\n"
  "ds.PatientSex = 'F'\n"
  "ds.StudyInstanceUID = uid + '.1'\n"
  "ds.SeriesInstanceUID = uid + '.2'\n"
  "ds.StudyID = 'S1'\n"
  "ds.SeriesNumber = '3'\n"
  "ds.InstanceNumber = '7'\n"
  "if video:\n"
  "    ds.SamplesPerPixel = 3\n"
  "    ds.PhotometricInterpretation = 'YBR_PARTIAL_420'\n"
  "    ds.PlanarConfiguration = 0\n"
  "    ds.NumberOfFrames = '1'\n"
  "    ds.Rows = 64\n"
  "    ds.Columns = 64\n"
  "    ds.BitsAllocated = 8\n"
  "    ds.BitsStored = 8\n"
  "    ds.HighBit = 7\n"
  "    ds.PixelRepresentation = 0\n"
  "    ds.PixelData = encapsulate([bytes((i * 13) % 251 for i in range(20000))])\n"
  "    ds['PixelData'].is_undefined_length = True\n"
  "    ds['PixelData'].VR = 'OB'\n"
  "else:\n"
  "    ds.SamplesPerPixel = 1\n"
  "    ds.PhotometricInterpretation = 'MONOCHROME2'\n"
  "    ds.Rows = 512\n"
  "    ds.Columns = 512\n"
  "    ds.BitsAllocated = 16\n"
  "    ds.BitsStored = 12\n"
  "    ds.HighBit = 11\n"
  "    ds.PixelRepresentation = 0\n"
  "    ramp = (np.arange(512 * 512, dtype=np.uint32) * 7 % 4096).astype(np.uint16)\n"
  "    ds.PixelData = ramp.tobytes()\n"
  "    ds['PixelData'].VR = 'OW'\n"
  "ds.is_little_endian = ts != '1.2.840.10008.1.2.2'\n"
  "ds.is_implicit_VR = ts == '1.2.840.10008.1.2'\n"
  "ds.save_as(path, write_like_original=False)\n";

/* ------------------------------------------------------------------------------------------ */
/* Fixture: an SCP on port 0 with a private spool directory, and a record of its callbacks.    */

typedef struct {
  GMutex lock;
  GCond changed;

  /* Policy */
  guint16 store_status;
  char *store_comment;
  gboolean block_store;

  /* What happened */
  GPtrArray *associations;     /* "calling|called|peer" */
  guint stores;
  gboolean store_entered;
  gboolean store_released;
  char *kept_path;             /* a copy of the last spool file, taken in on_store */
  char *last_sop_class;
  char *last_sop_instance;
  char *last_ts;
  char *last_calling;
  char *last_peer;
  char *last_spool_path;
  guint64 last_size;
  guint64 last_size_on_disk;
  int last_write_errno;
  guint ends;
  guint end_stored;
  char *end_error;

  char *work_dir;
  char *spool_dir;
  FerryDicomScp *scp;
  guint16 port;
} Fixture;

static FerryDicomAssociationDecision
on_association_cb (const FerryDicomAssociationInfo *info,
                   gpointer                         user_data)
{
  Fixture *f = user_data;

  g_mutex_lock (&f->lock);
  g_ptr_array_add (f->associations,
                   g_strdup_printf ("%s|%s|%s", info->calling_ae, info->called_ae,
                                    info->peer_address));
  g_cond_broadcast (&f->changed);
  g_mutex_unlock (&f->lock);

  if (!g_str_equal (info->called_ae, AE_TITLE))
    return FERRY_DICOM_ASSOCIATION_REJECT_CALLED_AE;
  if (g_str_equal (info->calling_ae, "INTRUDER"))
    return FERRY_DICOM_ASSOCIATION_REJECT_CALLING_AE;
  return FERRY_DICOM_ASSOCIATION_ACCEPT;
}

static guint16
on_store_cb (const FerryDicomStoreRequest  *request,
             char                         **error_comment,
             gpointer                       user_data)
{
  Fixture *f = user_data;
  g_autofree char *contents = NULL;
  gsize length = 0;
  struct stat st;
  guint16 status;

  /* Take the file the way core does: by its path, while the SCP still holds it. */
  g_assert_true (g_file_get_contents (request->spool_path, &contents, &length, NULL));
  g_assert_cmpint (fstat (request->spool_fd, &st), ==, 0);

  g_mutex_lock (&f->lock);
  f->stores++;
  f->store_entered = TRUE;
  g_free (f->kept_path);
  f->kept_path = g_build_filename (f->work_dir, "kept.dcm", NULL);
  g_assert_true (g_file_set_contents (f->kept_path, contents, length, NULL));
  g_free (f->last_sop_class);
  f->last_sop_class = g_strdup (request->sop_class_uid);
  g_free (f->last_sop_instance);
  f->last_sop_instance = g_strdup (request->sop_instance_uid);
  g_free (f->last_ts);
  f->last_ts = g_strdup (request->transfer_syntax_uid);
  g_free (f->last_calling);
  f->last_calling = g_strdup (request->calling_ae);
  g_free (f->last_peer);
  f->last_peer = g_strdup (request->peer_address);
  g_free (f->last_spool_path);
  f->last_spool_path = g_strdup (request->spool_path);
  f->last_size = request->size;
  f->last_size_on_disk = (guint64) st.st_size;
  g_assert_cmpuint (length, ==, (gsize) st.st_size);
  f->last_write_errno = request->write_errno;
  g_cond_broadcast (&f->changed);

  while (f->block_store && !f->store_released)
    g_cond_wait (&f->changed, &f->lock);

  status = f->store_status;
  if (f->store_comment != NULL)
    *error_comment = g_strdup (f->store_comment);
  g_mutex_unlock (&f->lock);

  return status;
}

static void
on_association_end_cb (const FerryDicomAssociationInfo *info,
                       guint                            stored,
                       const char                      *error_message,
                       gpointer                         user_data)
{
  Fixture *f = user_data;

  g_mutex_lock (&f->lock);
  f->ends++;
  f->end_stored = stored;
  g_free (f->end_error);
  f->end_error = g_strdup (error_message);
  g_cond_broadcast (&f->changed);
  g_mutex_unlock (&f->lock);
}

static void
fixture_start (Fixture *f,
               guint    max_associations,
               guint    first_pdu_timeout,
               guint    idle_timeout)
{
  FerryDicomScpOptions options = { 0, };
  g_autoptr(GError) error = NULL;

  options.port = 0;
  options.ae_title = AE_TITLE;
  options.max_associations = max_associations;
  options.first_pdu_timeout = first_pdu_timeout;
  options.idle_timeout = idle_timeout;
  options.spool_dir = f->spool_dir;
  options.on_association = on_association_cb;
  options.on_store = on_store_cb;
  options.on_association_end = on_association_end_cb;
  options.user_data = f;

  f->scp = ferry_dicom_scp_new (&options, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->scp);
  f->port = ferry_dicom_scp_get_port (f->scp);
  g_assert_cmpuint (f->port, >, 0);
  g_assert_true (ferry_dicom_scp_start (f->scp, &error));
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_mutex_init (&f->lock);
  g_cond_init (&f->changed);
  f->associations = g_ptr_array_new_with_free_func (g_free);
  f->store_status = FERRY_DICOM_STATUS_SUCCESS;
  f->work_dir = g_dir_make_tmp ("ferry-scp-XXXXXX", &error);
  g_assert_no_error (error);
  f->spool_dir = g_build_filename (f->work_dir, "spool", NULL);
  g_assert_cmpint (g_mkdir (f->spool_dir, 0700), ==, 0);

  fixture_start (f, GPOINTER_TO_UINT (data), 2, 10);
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_unlink (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      remove_tree (child);
    }
  g_dir_close (dir);
  g_rmdir (path);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->scp != NULL)
    {
      ferry_dicom_scp_stop (f->scp, 5);
      g_assert_cmpuint (ferry_dicom_scp_get_active (f->scp), ==, 0);
      g_clear_pointer (&f->scp, ferry_dicom_scp_unref);
    }
  remove_tree (f->work_dir);

  g_ptr_array_unref (f->associations);
  g_free (f->store_comment);
  g_free (f->kept_path);
  g_free (f->last_sop_class);
  g_free (f->last_sop_instance);
  g_free (f->last_ts);
  g_free (f->last_calling);
  g_free (f->last_peer);
  g_free (f->last_spool_path);
  g_free (f->end_error);
  g_free (f->work_dir);
  g_free (f->spool_dir);
  g_mutex_clear (&f->lock);
  g_cond_clear (&f->changed);
}

/* Waits until @count association ends were seen; they are reported after the peer is gone. */
static void
wait_for_ends (Fixture *f,
               guint    count)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  g_mutex_lock (&f->lock);
  while (f->ends < count)
    if (!g_cond_wait_until (&f->changed, &f->lock, deadline))
      break;
  g_assert_cmpuint (f->ends, >=, count);
  g_mutex_unlock (&f->lock);
}

/* ------------------------------------------------------------------------------------------ */
/* Running the tools.                                                                          */

static const char *
tool (const char *variable)
{
  const char *path = g_getenv (variable);

  if (path == NULL)
    g_error ("%s is not set; run this test through meson", variable);
  return path;
}

typedef struct {
  gboolean success;
  char *output;   /* stdout and stderr */
} ToolResult;

static void
tool_result_clear (ToolResult *r)
{
  g_clear_pointer (&r->output, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ToolResult, tool_result_clear)

static ToolResult
run (const char * const *argv)
{
  ToolResult result = { FALSE, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, &error));
  g_assert_no_error (error);
  result.success = g_spawn_check_wait_status (status, NULL);
  result.output = g_strconcat (out, err, NULL);
  g_test_message ("%s: %s", argv[0], result.output);
  return result;
}

static ToolResult
run_echoscu (Fixture    *f,
             const char *calling,
             const char *called)
{
  g_autofree char *port = g_strdup_printf ("%u", f->port);
  const char *argv[] = {
    tool ("FERRY_TEST_ECHOSCU"), "-aet", calling, "-aec", called,
    "-to", "10", "-ta", "10", "-td", "10", "127.0.0.1", port, NULL,
  };

  return run (argv);
}

/* "-d" makes storescu print the response's command set, Error Comment included. */
static const char *storescu_verbosity = "-v";

static ToolResult
run_storescu (Fixture    *f,
              const char *path,
              const char *propose)
{
  g_autofree char *port = g_strdup_printf ("%u", f->port);
  const char *argv[] = {
    tool ("FERRY_TEST_STORESCU"), storescu_verbosity, "-aet", CALLING_AE, "-aec", AE_TITLE,
    "-to", "10", "-ta", "10", "-td", "10", "-R", propose ? propose : "-xe",
    "127.0.0.1", port, path, NULL,
  };

  return run (argv);
}

static char *
make_object (Fixture    *f,
             const char *ts,
             const char *sop_instance_uid)
{
  g_autofree char *name = g_strdup_printf ("%s.dcm", sop_instance_uid);
  char *path = g_build_filename (f->work_dir, name, NULL);
  const char *argv[] = {
    tool ("FERRY_TEST_PYTHON"), "-c", make_object_py, path, ts, sop_instance_uid, NULL,
  };
  g_auto(ToolResult) r = run (argv);

  g_assert_true (r.success);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  return path;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading what arrived.                                                                       */

/* The dataset bytes of a Part 10 file: what follows the file meta group. */
static GBytes *
dataset_of (const char *path,
            GBytes    **meta_out)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  guint32 group_length;
  gsize start;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_cmpuint (length, >, 144);
  g_assert_cmpmem (contents + 128, 4, "DICM", 4);
  /* (0002,0000) UL comes first: tag, "UL", 2-byte length 4, then the value. */
  g_assert_cmpmem (contents + 132, 6, "\x02\x00\x00\x00UL", 6);
  memcpy (&group_length, contents + 140, 4);
  group_length = GUINT32_FROM_LE (group_length);
  start = 144 + group_length;
  g_assert_cmpuint (start, <=, length);

  if (meta_out != NULL)
    *meta_out = g_bytes_new (contents, start);
  return g_bytes_new (contents + start, length - start);
}

/* The value of native (7FE0,0010) in a little endian dataset. */
static const guint8 *
find_pixels (GBytes  *dataset,
             gboolean explicit_vr,
             gsize   *length)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (dataset, &size);
  const guint8 tag[] = { 0xE0, 0x7F, 0x10, 0x00 };
  const guint8 *p = NULL;
  guint32 value_length;

  /* The last occurrence: pixel data is the last element of these objects. */
  for (const guint8 *q = data; (q = memmem (q, size - (q - data), tag, 4)) != NULL; q++)
    p = q;
  g_assert_nonnull (p);

  if (explicit_vr)
    {
      g_assert_cmpmem (p + 4, 4, "OW\0\0", 4);
      memcpy (&value_length, p + 8, 4);
      p += 12;
    }
  else
    {
      memcpy (&value_length, p + 4, 4);
      p += 8;
    }
  *length = GUINT32_FROM_LE (value_length);
  g_assert_cmpuint ((gsize) (p - data) + *length, <=, size);
  return p;
}

static void
assert_ramp (const guint8 *pixels,
             gsize         length,
             gboolean      big_endian)
{
  g_assert_cmpuint (length, ==, ROWS * COLUMNS * 2);
  for (guint i = 0; i < ROWS * COLUMNS; i++)
    {
      guint16 expected = (guint16) ((i * 7u) % 4096u);
      guint16 got = big_endian ? (guint16) ((pixels[2 * i] << 8) | pixels[2 * i + 1])
                               : (guint16) ((pixels[2 * i + 1] << 8) | pixels[2 * i]);

      if (got != expected)
        g_error ("pixel %u is %u, expected %u", i, got, expected);
    }
}

static void
assert_attributes (const char *path,
                   const char *sop_instance_uid,
                   const char *ts)
{
  g_auto(FerryDicomAttributes) a = { 0, };
  g_autoptr(GError) error = NULL;
  g_autofree char *study = g_strconcat (sop_instance_uid, ".1", NULL);
  g_autofree char *series = g_strconcat (sop_instance_uid, ".2", NULL);

  g_assert_true (ferry_dicom_read_attributes (path, &a, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (a.sop_instance_uid, ==, sop_instance_uid);
  g_assert_cmpstr (a.study_instance_uid, ==, study);
  g_assert_cmpstr (a.series_instance_uid, ==, series);
  g_assert_cmpstr (a.transfer_syntax_uid, ==, ts);
  g_assert_cmpstr (a.specific_character_set, ==, "ISO_IR 100");
  g_assert_cmpstr (a.patient_name, ==, "Doe^Jane");
  g_assert_cmpstr (a.patient_id, ==, "P12345");
  g_assert_cmpstr (a.patient_birth_date, ==, "19700101");
  g_assert_cmpstr (a.patient_sex, ==, "F");
  g_assert_cmpstr (a.accession_number, ==, "ACC0042");
  g_assert_cmpstr (a.study_id, ==, "S1");
  g_assert_cmpstr (a.study_date, ==, "20240102");
  g_assert_cmpstr (a.study_time, ==, "101500");
  g_assert_cmpstr (a.study_description, ==, "Wound follow-up");
  g_assert_cmpstr (a.series_description, ==, "Left heel");
  g_assert_cmpstr (a.series_number, ==, "3");
  g_assert_cmpstr (a.instance_number, ==, "7");
  g_assert_null (a.referring_physician_name);
}

static gboolean
dir_is_empty (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);

  g_assert_nonnull (dir);
  return g_dir_read_name (dir) == NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Tests.                                                                                      */

static void
test_echo (Fixture       *f,
           gconstpointer  data)
{
  g_auto(ToolResult) r = run_echoscu (f, CALLING_AE, AE_TITLE);

  g_assert_true (r.success);
  wait_for_ends (f, 1);

  g_mutex_lock (&f->lock);
  g_assert_cmpuint (f->associations->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->associations, 0), ==, CALLING_AE "|" AE_TITLE "|127.0.0.1");
  g_assert_null (f->end_error);
  g_assert_cmpuint (f->end_stored, ==, 0);
  g_mutex_unlock (&f->lock);
  g_assert_cmpuint (ferry_dicom_scp_get_active (f->scp), ==, 0);
}

static void
check_store (Fixture    *f,
             const char *ts,
             const char *propose,
             const char *uid)
{
  g_autofree char *path = make_object (f, ts, uid);
  g_auto(ToolResult) r = run_storescu (f, path, propose);
  g_autoptr(GBytes) sent = NULL;
  g_autoptr(GBytes) received = NULL;
  g_autoptr(GBytes) meta = NULL;
  g_auto(FerryDicomPrescanResult) scan = { 0, };
  g_autoptr(GError) error = NULL;

  g_assert_true (r.success);
  wait_for_ends (f, 1);

  g_mutex_lock (&f->lock);
  g_assert_cmpuint (f->stores, ==, 1);
  g_assert_cmpuint (f->end_stored, ==, 1);
  g_assert_null (f->end_error);
  g_assert_cmpstr (f->last_sop_instance, ==, uid);
  g_assert_cmpstr (f->last_ts, ==, ts);
  g_assert_cmpstr (f->last_calling, ==, CALLING_AE);
  g_assert_cmpstr (f->last_peer, ==, "127.0.0.1");
  g_assert_cmpint (f->last_write_errno, ==, 0);
  g_assert_cmpuint (f->last_size, ==, f->last_size_on_disk);
  /* The spool file is named by Ferry, in the spool directory, and gone afterwards. */
  g_assert_true (g_str_has_prefix (f->last_spool_path, f->spool_dir));
  g_assert_true (g_str_has_suffix (f->last_spool_path, ".part"));
  g_assert_null (strstr (f->last_spool_path, uid));
  g_mutex_unlock (&f->lock);
  g_assert_true (dir_is_empty (f->spool_dir));

  /* The file meta group is Ferry's; the structure passes the pre-scan. */
  received = dataset_of (f->kept_path, &meta);
  g_assert_nonnull (memmem (g_bytes_get_data (meta, NULL), g_bytes_get_size (meta),
                            ferry_dicom_implementation_class_uid (),
                            strlen (ferry_dicom_implementation_class_uid ())));
  g_assert_nonnull (memmem (g_bytes_get_data (meta, NULL), g_bytes_get_size (meta),
                            "AE\x04\x00" CALLING_AE, 8));
  g_assert_true (ferry_dicom_prescan_file (f->kept_path, NULL, &scan, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (scan.sop_instance_uid, ==, uid);
  g_assert_cmpstr (scan.transfer_syntax_uid, ==, ts);

  /* Every indexed value as sent. */
  assert_attributes (f->kept_path, uid, ts);

  /* Bit-preserving: storescu sends the dataset in the file's own encoding, and Ferry keeps it. */
  sent = dataset_of (path, NULL);
  if (!g_str_equal (ts, TS_DEFLATED))
    g_assert_true (g_bytes_equal (sent, received));

  if (g_str_equal (ts, TS_EXPLICIT_LE) || g_str_equal (ts, TS_IMPLICIT_LE))
    {
      gsize length;
      const guint8 *pixels = find_pixels (received, g_str_equal (ts, TS_EXPLICIT_LE), &length);

      assert_ramp (pixels, length, FALSE);
    }
}

static void
test_store_explicit (Fixture       *f,
                     gconstpointer  data)
{
  check_store (f, TS_EXPLICIT_LE, "-xe", "2.25.1001");
}

static void
test_store_implicit (Fixture       *f,
                     gconstpointer  data)
{
  check_store (f, TS_IMPLICIT_LE, "-xi", "2.25.1002");
}

static void
test_store_big_endian (Fixture       *f,
                       gconstpointer  data)
{
  check_store (f, TS_EXPLICIT_BE, "-xb", "2.25.1003");
}

static void
test_store_deflated (Fixture       *f,
                     gconstpointer  data)
{
  check_store (f, TS_DEFLATED, "-xd", "2.25.1004");
}

static void
test_store_mpeg4 (Fixture       *f,
                  gconstpointer  data)
{
  guint8 fragment[64];

  check_store (f, TS_MPEG4, "-xn", "2.25.1005");

  /* The stream is kept byte for byte. */
  for (guint i = 0; i < sizeof fragment; i++)
    fragment[i] = (guint8) ((i * 13) % 251);
  {
    g_autofree char *contents = NULL;
    gsize length;

    g_assert_true (g_file_get_contents (f->kept_path, &contents, &length, NULL));
    g_assert_nonnull (memmem (contents, length, fragment, sizeof fragment));
  }
}

static void
test_reject_called_ae (Fixture       *f,
                       gconstpointer  data)
{
  g_auto(ToolResult) r = run_echoscu (f, CALLING_AE, "NOTFERRY");
  g_autoptr(GError) error = NULL;

  g_assert_false (r.success);
  g_assert_nonnull (strstr (r.output, "Rejected Permanent"));
  g_assert_nonnull (strstr (r.output, "Called AE Title Not Recognized"));

  g_mutex_lock (&f->lock);
  g_assert_cmpuint (f->associations->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->associations, 0), ==, CALLING_AE "|NOTFERRY|127.0.0.1");
  g_mutex_unlock (&f->lock);

  /* Ferry's own echo words it for a PACS admin. */
  g_assert_false (ferry_dicom_echo ("127.0.0.1", f->port, "FERRYTEST", "NOTFERRY", 10, &error));
  g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_REJECTED);
  g_assert_nonnull (strstr (error->message, "called AE title not recognised"));
  g_assert_nonnull (strstr (error->message, "permanent"));
  g_clear_error (&error);

  g_assert_false (ferry_dicom_echo ("127.0.0.1", f->port, "INTRUDER", AE_TITLE, 10, &error));
  g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_REJECTED);
  g_assert_nonnull (strstr (error->message, "calling AE title not recognised"));
}

typedef struct {
  Fixture *f;
  char *path;
  gboolean success;
} StoreJob;

static gpointer
store_job_worker (gpointer data)
{
  StoreJob *job = data;
  g_auto(ToolResult) r = run_storescu (job->f, job->path, NULL);

  job->success = r.success;
  return NULL;
}

static void
test_over_cap_transient (Fixture       *f,
                         gconstpointer  data)
{
  StoreJob job = { f, NULL, FALSE };
  GThread *thread;
  gint64 deadline;
  g_autoptr(GError) error = NULL;

  job.path = make_object (f, TS_EXPLICIT_LE, "2.25.2001");

  /* Hold one association open inside its C-STORE. */
  f->block_store = TRUE;
  thread = g_thread_new ("storescu", store_job_worker, &job);

  deadline = g_get_monotonic_time () + 15 * G_TIME_SPAN_SECOND;
  g_mutex_lock (&f->lock);
  while (!f->store_entered)
    g_assert_true (g_cond_wait_until (&f->changed, &f->lock, deadline));
  g_mutex_unlock (&f->lock);
  g_assert_cmpuint (ferry_dicom_scp_get_active (f->scp), ==, 1);

  {
    g_auto(ToolResult) r = run_echoscu (f, CALLING_AE, AE_TITLE);

    g_assert_false (r.success);
    g_assert_nonnull (strstr (r.output, "Rejected Transient"));
    g_assert_nonnull (strstr (r.output, "Local Limit Exceeded"));
  }

  g_assert_false (ferry_dicom_echo ("127.0.0.1", f->port, "FERRYTEST", AE_TITLE, 10, &error));
  g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_REJECTED);
  g_assert_nonnull (strstr (error->message, "transient"));

  g_mutex_lock (&f->lock);
  f->store_released = TRUE;
  g_cond_broadcast (&f->changed);
  g_mutex_unlock (&f->lock);

  g_thread_join (thread);
  g_assert_true (job.success);
  g_free (job.path);
}

static void
test_silent_peer (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *path = make_object (f, TS_EXPLICIT_LE, "2.25.3001");
  struct sockaddr_in address = { 0, };
  int silent = socket (AF_INET, SOCK_STREAM, 0);
  gint64 started;
  double elapsed;

  address.sin_family = AF_INET;
  address.sin_port = htons (f->port);
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (silent, >=, 0);
  g_assert_cmpint (connect (silent, (struct sockaddr *) &address, sizeof address), ==, 0);
  /* Let the accept loop take the silent connection first. */
  g_usleep (300 * 1000);

  started = g_get_monotonic_time ();
  {
    g_auto(ToolResult) r = run_storescu (f, path, NULL);

    g_assert_true (r.success);
  }
  elapsed = (g_get_monotonic_time () - started) / (double) G_TIME_SPAN_SECOND;
  g_test_message ("storescu beside a silent peer took %.1f s", elapsed);
  /* The first PDU timeout is 2 s here. */
  g_assert_cmpfloat (elapsed, <, 6.0);

  g_mutex_lock (&f->lock);
  g_assert_cmpuint (f->stores, ==, 1);
  /* The silent peer never got as far as the policy. */
  g_assert_cmpuint (f->associations->len, ==, 1);
  g_mutex_unlock (&f->lock);

  close (silent);
}

static void
test_store_failure_status (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *path = make_object (f, TS_EXPLICIT_LE, "2.25.4001");

  f->store_status = FERRY_DICOM_STATUS_OUT_OF_RESOURCES;
  f->store_comment = g_strdup ("Archive disk full\\ and a backslash, and far more than sixty-four characters");

  storescu_verbosity = "-d";
  {
    g_auto(ToolResult) r = run_storescu (f, path, NULL);

    /* storescu reports the failure status (its exit code does not always say so), and the
     * comment arrives cleaned: no backslash (a value separator in LO), at most 64 characters. */
    g_assert_nonnull (strstr (r.output, "0xa700: Refused: Out of resources"));
    g_assert_nonnull (strstr (r.output,
                              "[Archive disk full? and a backslash, and far more than sixty-four] #  64"));
  }
  storescu_verbosity = "-v";
  wait_for_ends (f, 1);

  g_mutex_lock (&f->lock);
  g_assert_cmpuint (f->stores, ==, 1);
  g_assert_cmpuint (f->end_stored, ==, 0);
  g_mutex_unlock (&f->lock);
  g_assert_true (dir_is_empty (f->spool_dir));
}

static void
test_spool_unwritable (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *path = make_object (f, TS_EXPLICIT_LE, "2.25.5001");

  /* Without a spool directory nothing can be received; the peer still hears a status. */
  g_assert_cmpint (g_rmdir (f->spool_dir), ==, 0);
  {
    g_auto(ToolResult) r = run_storescu (f, path, NULL);

    g_assert_nonnull (strstr (r.output, "Refused: OutOfResources"));
  }
  wait_for_ends (f, 1);

  g_mutex_lock (&f->lock);
  g_assert_cmpuint (f->stores, ==, 0);
  g_assert_cmpuint (f->end_stored, ==, 0);
  g_assert_null (f->end_error);
  g_mutex_unlock (&f->lock);
  g_assert_cmpint (g_mkdir (f->spool_dir, 0700), ==, 0);
}

static void
test_stop_prompt (Fixture       *f,
                  gconstpointer  data)
{
  gint64 started = g_get_monotonic_time ();

  ferry_dicom_scp_stop (f->scp, 10);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 3 * G_TIME_SPAN_SECOND);

  /* Idempotent, and the port is closed. */
  ferry_dicom_scp_stop (f->scp, 10);
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (ferry_dicom_echo ("127.0.0.1", f->port, "FERRYTEST", AE_TITLE, 5, &error));
    g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_NETWORK);
  }
}

static void
put_be16 (GByteArray *pdu,
          guint16     v)
{
  guint8 b[2] = { v >> 8, v & 0xFF };

  g_byte_array_append (pdu, b, 2);
}

static void
put_item (GByteArray *pdu,
          guint8      type,
          const char *uid)
{
  guint8 header[2] = { type, 0 };

  g_byte_array_append (pdu, header, 2);
  put_be16 (pdu, strlen (uid));
  g_byte_array_append (pdu, (const guint8 *) uid, strlen (uid));
}

/* Opens an association by hand (an A-ASSOCIATE-RQ for @abstract_syntax, implicit VR LE), waits for the A-ASSOCIATE-AC
 * and then says nothing more: a peer that holds an association open. */
static int
open_quiet_association (guint16     port,
                        const char *abstract_syntax)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GByteArray) context = g_byte_array_new ();
  g_autoptr(GByteArray) pdu = g_byte_array_new ();
  struct sockaddr_in address = { 0, };
  guint8 zeros[32] = { 0, };
  guint8 answer[6];
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  put_be16 (body, 1);                                       /* protocol version */
  put_be16 (body, 0);
  g_byte_array_append (body, (const guint8 *) AE_TITLE "           ", 16);
  g_byte_array_append (body, (const guint8 *) "QUIET           ", 16);
  g_byte_array_append (body, zeros, 32);
  put_item (body, 0x10, "1.2.840.10008.3.1.1.1");          /* application context */

  g_byte_array_append (context, (const guint8 *) "\x01\x00\x00\x00", 4);
  put_item (context, 0x30, abstract_syntax);
  put_item (context, 0x40, TS_IMPLICIT_LE);
  g_byte_array_append (body, (const guint8 *) "\x20\x00", 2);
  put_be16 (body, context->len);
  g_byte_array_append (body, context->data, context->len);

  g_byte_array_append (body, (const guint8 *) "\x50\x00\x00\x08\x51\x00\x00\x04\x00\x00\x40\x00", 12);

  g_byte_array_append (pdu, (const guint8 *) "\x01\x00", 2);
  put_be16 (pdu, 0);
  put_be16 (pdu, body->len);
  g_byte_array_append (pdu, body->data, body->len);

  address.sin_family = AF_INET;
  address.sin_port = htons (port);
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &address, sizeof address), ==, 0);
  g_assert_cmpint (write (fd, pdu->data, pdu->len), ==, (gssize) pdu->len);
  g_assert_cmpint (read (fd, answer, sizeof answer), >=, 1);
  g_assert_cmpint (answer[0], ==, 0x02);                    /* A-ASSOCIATE-AC */
  return fd;
}

static void
test_stop_aborts_after_grace (Fixture       *f,
                              gconstpointer  data)
{
  int quiet = open_quiet_association (f->port, "1.2.840.10008.1.1");
  gint64 started;
  double elapsed;

  g_assert_cmpuint (ferry_dicom_scp_get_active (f->scp), ==, 1);

  started = g_get_monotonic_time ();
  ferry_dicom_scp_stop (f->scp, 1);
  elapsed = (g_get_monotonic_time () - started) / (double) G_TIME_SPAN_SECOND;
  g_test_message ("stop with a quiet association took %.1f s", elapsed);

  /* The grace second, then the socket is shut down: well before the 10 s idle timeout. */
  g_assert_cmpfloat (elapsed, >=, 0.9);
  g_assert_cmpfloat (elapsed, <, 5.0);
  g_assert_cmpuint (ferry_dicom_scp_get_active (f->scp), ==, 0);

  g_mutex_lock (&f->lock);
  g_assert_cmpuint (f->ends, ==, 1);
  g_assert_nonnull (f->end_error);
  g_mutex_unlock (&f->lock);

  close (quiet);
}

static void
put_le_element (GByteArray   *b,
                guint16       element,
                const guint8 *value,
                guint32       length)
{
  guint8 header[8] = { 0x00, 0x00, element & 0xFF, element >> 8,
                       length & 0xFF, (length >> 8) & 0xFF, (length >> 16) & 0xFF, length >> 24 };

  g_byte_array_append (b, header, 8);
  g_byte_array_append (b, value, length);
}

static void
put_le_us (GByteArray *b,
           guint16     element,
           guint16     value)
{
  guint8 v[2] = { value & 0xFF, value >> 8 };

  put_le_element (b, element, v, 2);
}

/* One P-DATA-TF PDU holding one PDV on presentation context 1. */
static void
send_pdv (int           fd,
          guint8        control,
          const guint8 *data,
          guint32       length)
{
  g_autoptr(GByteArray) pdu = g_byte_array_new ();
  guint32 pdv_length = length + 2;
  guint32 pdu_length = pdv_length + 4;
  guint8 header[12] = {
    0x04, 0x00, pdu_length >> 24, (pdu_length >> 16) & 0xFF, (pdu_length >> 8) & 0xFF, pdu_length & 0xFF,
    pdv_length >> 24, (pdv_length >> 16) & 0xFF, (pdv_length >> 8) & 0xFF, pdv_length & 0xFF,
    0x01, control,
  };

  g_byte_array_append (pdu, header, sizeof header);
  g_byte_array_append (pdu, data, length);
  g_assert_cmpint (write (fd, pdu->data, pdu->len), ==, (gssize) pdu->len);
}

static void
test_stalled_store (Fixture       *f,
                    gconstpointer  data)
{
  const char sop_class[] = "1.2.840.10008.5.1.4.1.1.7";   /* 26 with the NUL pad */
  const char sop_instance[] = "2.25.7001";                /* 10 with the NUL pad */
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GByteArray) command = g_byte_array_new ();
  guint8 group_length[4];
  guint8 partial[600];
  int peer;

  /* A receiver whose idle timeout is short enough to watch. */
  ferry_dicom_scp_stop (f->scp, 0);
  g_clear_pointer (&f->scp, ferry_dicom_scp_unref);
  fixture_start (f, 0, 2, 2);

  peer = open_quiet_association (f->port, sop_class);

  /* A C-STORE-RQ command set, implicit VR little endian, then a first slice of its dataset. */
  put_le_element (body, 0x0002, (const guint8 *) sop_class, sizeof sop_class);
  put_le_us (body, 0x0100, 0x0001);
  put_le_us (body, 0x0110, 1);
  put_le_us (body, 0x0700, 0);
  put_le_us (body, 0x0800, 0x0000);
  put_le_element (body, 0x1000, (const guint8 *) sop_instance, sizeof sop_instance);
  group_length[0] = body->len & 0xFF;
  group_length[1] = (body->len >> 8) & 0xFF;
  group_length[2] = group_length[3] = 0;
  put_le_element (command, 0x0000, group_length, 4);
  g_byte_array_append (command, body->data, body->len);
  send_pdv (peer, 0x03, command->data, command->len);

  memset (partial, 0x20, sizeof partial);
  send_pdv (peer, 0x00, partial, sizeof partial);

  /* The slice is in a spool file while the peer is silent... */
  g_usleep (G_USEC_PER_SEC);
  g_assert_false (dir_is_empty (f->spool_dir));

  /* ...and after the idle timeout the association is aborted and the spool file is gone. */
  wait_for_ends (f, 1);
  g_mutex_lock (&f->lock);
  g_assert_cmpuint (f->stores, ==, 0);
  g_assert_nonnull (f->end_error);
  g_assert_nonnull (strstr (f->end_error, "middle of a C-STORE"));
  g_mutex_unlock (&f->lock);
  g_assert_true (dir_is_empty (f->spool_dir));
  g_assert_cmpuint (ferry_dicom_scp_get_active (f->scp), ==, 0);

  close (peer);
}

static void
test_echo_api (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  struct sockaddr_in address = { 0, };
  socklen_t length = sizeof address;
  int closed = socket (AF_INET, SOCK_STREAM, 0);
  guint16 closed_port;

  g_assert_true (ferry_dicom_echo ("127.0.0.1", f->port, "FERRYTEST", AE_TITLE, 10, &error));
  g_assert_no_error (error);
  wait_for_ends (f, 1);
  g_mutex_lock (&f->lock);
  g_assert_cmpstr (g_ptr_array_index (f->associations, 0), ==, "FERRYTEST|" AE_TITLE "|127.0.0.1");
  g_assert_null (f->end_error);
  g_mutex_unlock (&f->lock);

  /* A port nobody listens on: bound once to learn a free number, then closed. */
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (closed, (struct sockaddr *) &address, sizeof address), ==, 0);
  g_assert_cmpint (getsockname (closed, (struct sockaddr *) &address, &length), ==, 0);
  closed_port = ntohs (address.sin_port);
  close (closed);

  g_assert_false (ferry_dicom_echo ("127.0.0.1", closed_port, "FERRYTEST", AE_TITLE, 5, &error));
  g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "refused"));
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
  g_clear_error (&error);

  /* A port that accepts connections (the kernel's backlog) but never answers. */
  {
    int mute = socket (AF_INET, SOCK_STREAM, 0);
    gint64 started;

    address.sin_port = 0;
    length = sizeof address;
    g_assert_cmpint (bind (mute, (struct sockaddr *) &address, sizeof address), ==, 0);
    g_assert_cmpint (listen (mute, 4), ==, 0);
    g_assert_cmpint (getsockname (mute, (struct sockaddr *) &address, &length), ==, 0);

    started = g_get_monotonic_time ();
    g_assert_false (ferry_dicom_echo ("127.0.0.1", ntohs (address.sin_port), "FERRYTEST",
                                      AE_TITLE, 2, &error));
    g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_TIMEOUT);
    g_assert_nonnull (strstr (error->message, "timed out waiting for 127.0.0.1"));
    g_assert_cmpint (g_get_monotonic_time () - started, <, 8 * G_TIME_SPAN_SECOND);
    close (mute);
  }
}

static void
test_port_in_use (Fixture       *f,
                  gconstpointer  data)
{
  FerryDicomScpOptions options = { 0, };
  g_autoptr(GError) error = NULL;
  g_autofree char *port = g_strdup_printf ("%u", f->port);
  FerryDicomScp *second;

  options.port = f->port;
  options.spool_dir = f->spool_dir;
  options.on_store = on_store_cb;
  options.user_data = f;

  second = ferry_dicom_scp_new (&options, &error);
  g_assert_null (second);
  g_assert_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_PORT_IN_USE);
  g_assert_nonnull (strstr (error->message, port));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  if (!ferry_dicom_init (&error))
    g_error ("%s", error->message);

#define ADD(path, cap, func) \
  g_test_add ("/ferry/dicom/scp/" path, Fixture, GUINT_TO_POINTER (cap), fixture_setup, func, \
              fixture_teardown)

  ADD ("echo", 0, test_echo);
  ADD ("store-explicit", 0, test_store_explicit);
  ADD ("store-implicit", 0, test_store_implicit);
  ADD ("store-big-endian", 0, test_store_big_endian);
  ADD ("store-deflated", 0, test_store_deflated);
  ADD ("store-mpeg4", 0, test_store_mpeg4);
  ADD ("reject-called-ae", 0, test_reject_called_ae);
  ADD ("over-cap-transient", 1, test_over_cap_transient);
  ADD ("silent-peer", 0, test_silent_peer);
  ADD ("store-failure-status", 0, test_store_failure_status);
  ADD ("spool-unwritable", 0, test_spool_unwritable);
  ADD ("stop-prompt", 0, test_stop_prompt);
  ADD ("stop-aborts-after-grace", 0, test_stop_aborts_after_grace);
  ADD ("stalled-store", 0, test_stalled_store);
  ADD ("echo-api", 0, test_echo_api);
  ADD ("port-in-use", 0, test_port_in_use);

#undef ADD

  return g_test_run ();
}
