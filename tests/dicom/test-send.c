/* test-send.c: the Storage SCU against real peers, through the C API only
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Peers: DCMTK's storescp, and ferry-test-scp (tests/peers/) for chosen statuses, refusals,
 * rejections and stalls. Objects are made at test time with pydicom, compressed with dcmcjpeg,
 * and what arrives is compared with pydicom (an independent implementation) or read back with
 * ferry_dicom_read_values().
 */

#define _GNU_SOURCE
#define G_LOG_DOMAIN "ferry-test"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ferry-dicom.h"
#include "ferry-dicom-send.h"

#define SC_SOP_CLASS  "1.2.840.10008.5.1.4.1.1.7"
#define VL_SOP_CLASS  "1.2.840.10008.5.1.4.1.1.77.1.4"
#define TS_EXPLICIT   "1.2.840.10008.1.2.1"
#define TS_IMPLICIT   "1.2.840.10008.1.2"
#define TS_JPEG       "1.2.840.10008.1.2.4.50"
#define TS_J2K        "1.2.840.10008.1.2.4.90"

/* path ts uid sop_class: an 8-bit 64x64 ramp with known text values in ISO_IR 100. With a JPEG
 * 2000 transfer syntax the pixel data is a fragment of bytes that no decoder would take. */
static const char make_object_py[] =
  "import sys\n"
  "import numpy as np\n"
  "from pydicom.dataset import Dataset, FileMetaDataset\n"
  "from pydicom.encaps import encapsulate\n"
  "path, ts, uid, sop_class = sys.argv[1:5]\n"
  "meta = FileMetaDataset()\n"
  "meta.MediaStorageSOPClassUID = sop_class\n"
  "meta.MediaStorageSOPInstanceUID = uid\n"
  "meta.TransferSyntaxUID = ts\n"
  "ds = Dataset()\n"
  "ds.file_meta = meta\n"
  "ds.SpecificCharacterSet = 'ISO_IR 100'\n"
  "ds.SOPClassUID = sop_class\n"
  "ds.SOPInstanceUID = uid\n"
  "ds.AccessionNumber = 'ACC0042'\n"
  "ds.Modality = 'OT'\n"
  "ds.ReferringPhysicianName = ''\n"
  "ds.PatientName = 'Doe^Jane'\n"
  "ds.PatientID = 'P12345'\n"
  "ds.OtherPatientIDs = ['OLD1', 'OLD2']\n"
  "ds.StudyDescription = 'Gew\\u00e4chs'\n"
  "ds.StudyInstanceUID = '1.2.826.0.1.3680043.10.1'\n"
  "ds.SeriesInstanceUID = '1.2.826.0.1.3680043.10.2'\n"
  "ds.SamplesPerPixel = 1\n"
  "ds.PhotometricInterpretation = 'MONOCHROME2'\n"
  "ds.Rows = 64\n"
  "ds.Columns = 64\n"
  "ds.BitsAllocated = 8\n"
  "ds.BitsStored = 8\n"
  "ds.HighBit = 7\n"
  "ds.PixelRepresentation = 0\n"
  "if ts == '" TS_J2K "':\n"
  "    ds.PixelData = encapsulate([bytes(range(200))])\n"
  "    ds['PixelData'].is_undefined_length = True\n"
  "    ds['PixelData'].VR = 'OB'\n"
  "else:\n"
  "    ds.PixelData = ((np.arange(64 * 64) * 3) % 251).astype(np.uint8).tobytes()\n"
  "    ds['PixelData'].VR = 'OB'\n"
  "ds.is_little_endian = True\n"
  "ds.is_implicit_VR = ts == '" TS_IMPLICIT "'\n"
  "ds.save_as(path, write_like_original=False)\n";

/* mode a b: "dataset" — every element of a's dataset is in b with the same value and b has no
 * other; "uncompressed" — a arrived uncompressed and its pixel data equals b's. */
static const char compare_py[] =
  "import sys\n"
  "import pydicom\n"
  "mode, a, b = sys.argv[1:4]\n"
  "x = pydicom.dcmread(a)\n"
  "y = pydicom.dcmread(b)\n"
  "if mode == 'dataset':\n"
  "    tx = sorted(e.tag for e in x)\n"
  "    ty = sorted(e.tag for e in y)\n"
  "    if tx != ty:\n"
  "        sys.exit('tags differ: %s' % (set(tx) ^ set(ty)))\n"
  "    for e in x:\n"
  "        if e.value != y[e.tag].value:\n"
  "            sys.exit('%s differs' % e.tag)\n"
  "else:\n"
  "    ts = x.file_meta.TransferSyntaxUID\n"
  "    if ts not in ('" TS_EXPLICIT "', '" TS_IMPLICIT "'):\n"
  "        sys.exit('arrived in ' + ts)\n"
  "    if len(x.PixelData) == 0 or x.PixelData != y.PixelData:\n"
  "        sys.exit('pixel data differs')\n";

typedef struct {
  char *dir;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("ferry-send-XXXXXX", &error);
  g_assert_no_error (error);
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
  remove_tree (f->dir);
  g_free (f->dir);
}

/* ------------------------------------------------------------------------------------------ */
/* Tools and peers.                                                                            */

static const char *
tool (const char *variable)
{
  const char *path = g_getenv (variable);

  if (path == NULL)
    g_error ("%s is not set; run this test through meson", variable);
  return path;
}

static gboolean
run (const char *const *argv,
     char             **output)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, &error));
  g_assert_no_error (error);
  g_test_message ("%s: %s%s", argv[0], out, err);
  if (output != NULL)
    *output = g_strconcat (out, err, NULL);
  return g_spawn_check_wait_status (status, NULL);
}

static char *
make_object (Fixture    *f,
             const char *name,
             const char *ts,
             const char *uid,
             const char *sop_class)
{
  char *path = g_build_filename (f->dir, name, NULL);
  const char *argv[] = {
    tool ("FERRY_TEST_PYTHON"), "-c", make_object_py, path, ts, uid, sop_class, NULL,
  };

  g_assert_true (run (argv, NULL));
  return path;
}

static char *
make_jpeg (Fixture    *f,
           const char *uncompressed,
           const char *name)
{
  char *path = g_build_filename (f->dir, name, NULL);
  const char *argv[] = { tool ("FERRY_TEST_DCMCJPEG"), "+eb", uncompressed, path, NULL };

  g_assert_true (run (argv, NULL));
  return path;
}

static gboolean
compare (const char *mode,
         const char *a,
         const char *b)
{
  const char *argv[] = { tool ("FERRY_TEST_PYTHON"), "-c", compare_py, mode, a, b, NULL };

  return run (argv, NULL);
}

typedef struct {
  GPid pid;
  guint16 port;
  char *output_dir;
} Peer;

static void
peer_stop (Peer *peer)
{
  if (peer->pid > 0)
    {
      kill (peer->pid, SIGTERM);
      waitpid (peer->pid, NULL, 0);
      g_spawn_close_pid (peer->pid);
      peer->pid = 0;
    }
  g_clear_pointer (&peer->output_dir, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Peer, peer_stop)

/* A peer left behind by a failed assertion would keep the test's output open. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* Starts ferry-test-scp with @args (NULL-terminated) and reads the port it chose. */
static void
peer_start_test_scp (Fixture    *f,
                     Peer       *peer,
                     const char *first_arg,
                     ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOChannel) channel = NULL;
  g_autofree char *line = NULL;
  int out_fd = -1;
  va_list ap;

  peer->output_dir = g_build_filename (f->dir, "received", NULL);
  g_assert_cmpint (g_mkdir_with_parents (peer->output_dir, 0700), ==, 0);

  g_ptr_array_add (argv, (gpointer) tool ("FERRY_TEST_SCP"));
  g_ptr_array_add (argv, (gpointer) "--port");
  g_ptr_array_add (argv, (gpointer) "0");
  g_ptr_array_add (argv, (gpointer) "--ae");
  g_ptr_array_add (argv, (gpointer) "PACS");
  g_ptr_array_add (argv, (gpointer) "--output-dir");
  g_ptr_array_add (argv, peer->output_dir);
  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv->pdata, NULL,
                                           G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent, NULL,
                                           &peer->pid, NULL, &out_fd, NULL, &error));
  g_assert_no_error (error);

  channel = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (channel, TRUE);
  g_assert_cmpint (g_io_channel_read_line (channel, &line, NULL, NULL, &error), ==,
                   G_IO_STATUS_NORMAL);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "Listening on port "));
  peer->port = (guint16) g_ascii_strtoull (line + strlen ("Listening on port "), NULL, 10);
  g_assert_cmpuint (peer->port, >, 0);
}

/* A port nothing listens on: the OS hands it out and it is closed again at once. */
static guint16
free_port (void)
{
  struct sockaddr_in address = { 0, };
  socklen_t length = sizeof address;
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &address, sizeof address), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &address, &length), ==, 0);
  close (fd);
  return ntohs (address.sin_port);
}

static gboolean
accepts_connections (guint16 port)
{
  struct sockaddr_in address = { 0, };
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  gboolean ok;

  address.sin_family = AF_INET;
  address.sin_port = htons (port);
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  ok = connect (fd, (struct sockaddr *) &address, sizeof address) == 0;
  close (fd);
  return ok;
}

static void
peer_start_storescp (Fixture *f,
                     Peer    *peer)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *port = NULL;

  peer->output_dir = g_build_filename (f->dir, "storescp", NULL);
  g_assert_cmpint (g_mkdir_with_parents (peer->output_dir, 0700), ==, 0);
  peer->port = free_port ();
  port = g_strdup_printf ("%u", peer->port);

  const char *argv[] = {
    tool ("FERRY_TEST_STORESCP"), "-aet", "PACS", "-od", peer->output_dir, port, NULL,
  };

  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                die_with_parent, NULL, &peer->pid, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 100 && !accepts_connections (peer->port); i++)
    g_usleep (50 * 1000);
  g_assert_true (accepts_connections (peer->port));
}

/* The files in @dir, sorted by name. */
static GPtrArray *
files_in (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (files, g_build_filename (dir, name, NULL));
  g_ptr_array_sort (files, (GCompareFunc) g_strcmp0);
  return files;
}

static FerryDicomSender *
open_sender (const Peer                     *peer,
             const FerryDicomContextRequest *contexts,
             guint                           n_contexts,
             guint                           timeout,
             GError                        **error)
{
  FerryDicomSendOptions options = { 0, };

  options.host = "127.0.0.1";
  options.port = peer->port;
  options.calling_ae = "FERRY";
  options.called_ae = "PACS";
  options.timeout_seconds = timeout;
  return ferry_dicom_sender_open (&options, contexts, n_contexts, error);
}

static const FerryDicomContextRequest sc_explicit[] = { { SC_SOP_CLASS, TS_EXPLICIT } };

/* ------------------------------------------------------------------------------------------ */
/* Tests.                                                                                      */

static void
test_storescp_study (Fixture       *f,
                     gconstpointer  data)
{
  g_auto(Peer) peer = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryDicomSender) sender = NULL;
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) received = NULL;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("%u.dcm", i);
      g_autofree char *uid = g_strdup_printf ("1.2.826.0.1.3680043.10.3.%u", i + 1);

      g_ptr_array_add (sent, make_object (f, name, TS_EXPLICIT, uid, SC_SOP_CLASS));
    }

  peer_start_storescp (f, &peer);
  sender = open_sender (&peer, sc_explicit, G_N_ELEMENTS (sc_explicit), 10, &error);
  g_assert_no_error (error);
  g_assert_nonnull (sender);

  for (guint i = 0; i < sent->len; i++)
    {
      guint16 status = 0xFFFF;
      g_autofree char *comment = NULL;

      g_assert_true (ferry_dicom_sender_store (sender, g_ptr_array_index (sent, i), NULL, 0,
                                               &status, &comment, &error));
      g_assert_no_error (error);
      g_assert_cmphex (status, ==, FERRY_DICOM_STATUS_SUCCESS);
      g_assert_null (comment);
      g_assert_true (ferry_dicom_sender_is_usable (sender));
    }
  g_clear_pointer (&sender, ferry_dicom_sender_close);

  /* storescp names files after the modality and the SOP Instance UID. */
  received = files_in (peer.output_dir);
  g_assert_cmpuint (received->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *suffix = g_strdup_printf ("1.2.826.0.1.3680043.10.3.%u", i + 1);
      const char *got = NULL;

      for (guint j = 0; j < received->len; j++)
        if (g_str_has_suffix (g_ptr_array_index (received, j), suffix))
          got = g_ptr_array_index (received, j);
      g_assert_nonnull (got);
      g_assert_true (compare ("dataset", g_ptr_array_index (sent, i), got));
    }
}

static void
test_decompress_jpeg (Fixture       *f,
                      gconstpointer  data)
{
  g_auto(Peer) peer = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryDicomSender) sender = NULL;
  g_autoptr(GPtrArray) received = NULL;
  g_autofree char *plain = make_object (f, "plain.dcm", TS_EXPLICIT, "1.2.826.0.1.3680043.10.4.1",
                                        SC_SOP_CLASS);
  g_autofree char *jpeg = make_jpeg (f, plain, "jpeg.dcm");
  g_autofree char *expected = g_build_filename (f->dir, "dcmdjpeg.dcm", NULL);
  const char *argv[] = { tool ("FERRY_TEST_DCMDJPEG"), jpeg, expected, NULL };
  const FerryDicomContextRequest contexts[] = { { SC_SOP_CLASS, TS_JPEG } };
  guint16 status = 0xFFFF;

  g_assert_true (run (argv, NULL));
  peer_start_test_scp (f, &peer, "--uncompressed-only", NULL);

  sender = open_sender (&peer, contexts, G_N_ELEMENTS (contexts), 10, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_dicom_sender_store (sender, jpeg, NULL, 0, &status, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmphex (status, ==, 0);
  g_clear_pointer (&sender, ferry_dicom_sender_close);

  received = files_in (peer.output_dir);
  g_assert_cmpuint (received->len, ==, 1);
  g_assert_true (compare ("uncompressed", g_ptr_array_index (received, 0), expected));
  /* The same object, untouched, is not uncompressed: the comparison can fail. */
  g_assert_false (compare ("uncompressed", jpeg, expected));
}

static void
test_decompress_option (Fixture       *f,
                        gconstpointer  data)
{
  g_auto(Peer) peer = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryDicomSender) sender = NULL;
  g_autoptr(GPtrArray) received = NULL;
  g_autofree char *plain = make_object (f, "plain.dcm", TS_EXPLICIT, "1.2.826.0.1.3680043.10.4.2",
                                        SC_SOP_CLASS);
  g_autofree char *jpeg = make_jpeg (f, plain, "jpeg.dcm");
  g_autofree char *expected = g_build_filename (f->dir, "dcmdjpeg.dcm", NULL);
  const char *argv[] = { tool ("FERRY_TEST_DCMDJPEG"), jpeg, expected, NULL };
  const FerryDicomContextRequest contexts[] = { { SC_SOP_CLASS, TS_JPEG } };
  FerryDicomSendOptions options = { 0, };
  guint16 status = 0xFFFF;

  g_assert_true (run (argv, NULL));
  /* This peer takes JPEG; the destination is set to decompress anyway. */
  peer_start_test_scp (f, &peer, NULL);
  options.host = "127.0.0.1";
  options.port = peer.port;
  options.calling_ae = "FERRY";
  options.called_ae = "PACS";
  options.timeout_seconds = 10;
  options.decompress = TRUE;
  sender = ferry_dicom_sender_open (&options, contexts, G_N_ELEMENTS (contexts), &error);
  g_assert_no_error (error);
  g_assert_true (ferry_dicom_sender_store (sender, jpeg, NULL, 0, &status, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmphex (status, ==, 0);
  g_clear_pointer (&sender, ferry_dicom_sender_close);

  received = files_in (peer.output_dir);
  g_assert_cmpuint (received->len, ==, 1);
  g_assert_true (compare ("uncompressed", g_ptr_array_index (received, 0), expected));
}

static void
test_jpeg2000_cannot_decompress (Fixture       *f,
                                 gconstpointer  data)
{
  g_auto(Peer) peer = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryDicomSender) sender = NULL;
  g_autoptr(GPtrArray) received = NULL;
  g_autofree char *j2k = make_object (f, "j2k.dcm", TS_J2K, "1.2.826.0.1.3680043.10.5.1",
                                      SC_SOP_CLASS);
  g_autofree char *plain = make_object (f, "plain.dcm", TS_EXPLICIT, "1.2.826.0.1.3680043.10.5.2",
                                        SC_SOP_CLASS);
  const FerryDicomContextRequest contexts[] = {
    { SC_SOP_CLASS, TS_J2K }, { SC_SOP_CLASS, TS_EXPLICIT },
  };
  guint16 status = 0xFFFF;

  peer_start_test_scp (f, &peer, "--uncompressed-only", NULL);
  sender = open_sender (&peer, contexts, G_N_ELEMENTS (contexts), 10, &error);
  g_assert_no_error (error);

  g_assert_false (ferry_dicom_sender_store (sender, j2k, NULL, 0, &status, NULL, &error));
  g_assert_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_DECOMPRESS);
  g_assert_nonnull (strstr (error->message, "JPEG 2000"));
  g_assert_nonnull (strstr (error->message, TS_J2K));
  g_clear_error (&error);

  /* Nothing was sent; the association carries the next object. */
  g_assert_true (ferry_dicom_sender_is_usable (sender));
  g_assert_true (ferry_dicom_sender_store (sender, plain, NULL, 0, &status, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmphex (status, ==, 0);
  g_clear_pointer (&sender, ferry_dicom_sender_close);

  received = files_in (peer.output_dir);
  g_assert_cmpuint (received->len, ==, 1);
}

static void
test_statuses (Fixture       *f,
               gconstpointer  data)
{
  static const guint16 statuses[] = { 0xB000, 0xA700, 0xA900, 0xC000, 0x0000 };
  g_auto(Peer) peer = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryDicomSender) sender = NULL;
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autofree char *name = g_strdup_printf ("%u.dcm", i);
      g_autofree char *uid = g_strdup_printf ("1.2.826.0.1.3680043.10.6.%u", i + 1);

      g_ptr_array_add (paths, make_object (f, name, TS_EXPLICIT, uid, SC_SOP_CLASS));
      g_ptr_array_add (args, g_strdup_printf ("%s=0x%04X", uid, statuses[i]));
    }

  peer_start_test_scp (f, &peer,
                       "--status-for", g_ptr_array_index (args, 0),
                       "--status-for", g_ptr_array_index (args, 1),
                       "--status-for", g_ptr_array_index (args, 2),
                       "--status-for", g_ptr_array_index (args, 3),
                       NULL);
  sender = open_sender (&peer, sc_explicit, G_N_ELEMENTS (sc_explicit), 10, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      guint16 status = 0x1234;
      g_autofree char *comment = NULL;

      g_assert_true (ferry_dicom_sender_store (sender, g_ptr_array_index (paths, i), NULL, 0,
                                               &status, &comment, &error));
      g_assert_no_error (error);
      g_assert_cmphex (status, ==, statuses[i]);
      if (statuses[i] != 0)
        {
          g_autofree char *expected = g_strdup_printf ("ferry-test-scp status 0x%04X",
                                                       statuses[i]);

          g_assert_cmpstr (comment, ==, expected);
        }
      else
        g_assert_null (comment);
      g_assert_true (ferry_dicom_sender_is_usable (sender));
    }
}

static void
test_refused_sop_class (Fixture       *f,
                        gconstpointer  data)
{
  g_auto(Peer) peer = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryDicomSender) sender = NULL;
  g_autoptr(GPtrArray) received = NULL;
  g_autofree char *sc = make_object (f, "sc.dcm", TS_EXPLICIT, "1.2.826.0.1.3680043.10.7.1",
                                     SC_SOP_CLASS);
  g_autofree char *vl = make_object (f, "vl.dcm", TS_EXPLICIT, "1.2.826.0.1.3680043.10.7.2",
                                     VL_SOP_CLASS);
  const FerryDicomContextRequest contexts[] = {
    { SC_SOP_CLASS, TS_EXPLICIT }, { VL_SOP_CLASS, TS_EXPLICIT },
  };
  guint16 status = 0xFFFF;

  peer_start_test_scp (f, &peer, "--refuse-sop-class", SC_SOP_CLASS, NULL);
  sender = open_sender (&peer, contexts, G_N_ELEMENTS (contexts), 10, &error);
  g_assert_no_error (error);

  g_assert_false (ferry_dicom_sender_store (sender, sc, NULL, 0, &status, NULL, &error));
  g_assert_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_NO_CONTEXT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "Secondary Capture Image Storage (" SC_SOP_CLASS ")"));
  g_clear_error (&error);
  g_assert_true (ferry_dicom_sender_is_usable (sender));

  g_assert_true (ferry_dicom_sender_store (sender, vl, NULL, 0, &status, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmphex (status, ==, 0);
  g_clear_pointer (&sender, ferry_dicom_sender_close);

  received = files_in (peer.output_dir);
  g_assert_cmpuint (received->len, ==, 1);
}

static void
test_rejected (Fixture       *f,
               gconstpointer  data)
{
  gboolean transient = GPOINTER_TO_INT (data);
  g_auto(Peer) peer = { 0, };
  g_autoptr(GError) error = NULL;
  FerryDicomSender *sender;

  peer_start_test_scp (f, &peer, "--reject", transient ? "transient" : "permanent", NULL);
  sender = open_sender (&peer, sc_explicit, G_N_ELEMENTS (sc_explicit), 10, &error);
  g_assert_null (sender);
  if (transient)
    {
      g_assert_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_REJECTED_TRANSIENT);
      g_assert_cmpstr (error->message, ==,
                       "association rejected (transient): local limit exceeded (too many "
                       "associations)");
    }
  else
    {
      g_assert_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_REJECTED_PERMANENT);
      g_assert_cmpstr (error->message, ==,
                       "association rejected (permanent): called AE title not recognised");
    }
}

static void
test_connect_refused (Fixture       *f,
                      gconstpointer  data)
{
  Peer nobody = { 0, };
  g_autoptr(GError) error = NULL;
  FerryDicomSender *sender;

  nobody.port = free_port ();
  sender = open_sender (&nobody, sc_explicit, G_N_ELEMENTS (sc_explicit), 5, &error);
  g_assert_null (sender);
  g_assert_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_CONNECT);
  g_assert_nonnull (strstr (error->message, "refused"));
}

static void
test_stall_timeout (Fixture       *f,
                    gconstpointer  data)
{
  g_auto(Peer) peer = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryDicomSender) sender = NULL;
  g_autofree char *one = make_object (f, "1.dcm", TS_EXPLICIT, "1.2.826.0.1.3680043.10.8.1",
                                      SC_SOP_CLASS);
  g_autofree char *two = make_object (f, "2.dcm", TS_EXPLICIT, "1.2.826.0.1.3680043.10.8.2",
                                      SC_SOP_CLASS);
  guint16 status = 0xFFFF;
  gint64 started;
  gint64 elapsed;

  peer_start_test_scp (f, &peer, "--stall-after", "1", NULL);
  sender = open_sender (&peer, sc_explicit, G_N_ELEMENTS (sc_explicit), 2, &error);
  g_assert_no_error (error);

  g_assert_true (ferry_dicom_sender_store (sender, one, NULL, 0, &status, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmphex (status, ==, 0);

  started = g_get_monotonic_time ();
  g_assert_false (ferry_dicom_sender_store (sender, two, NULL, 0, &status, NULL, &error));
  elapsed = g_get_monotonic_time () - started;
  g_assert_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_TIMEOUT);
  g_assert_cmpint (elapsed, >=, 1 * G_TIME_SPAN_SECOND);
  g_assert_cmpint (elapsed, <, 5 * G_TIME_SPAN_SECOND);
  g_assert_false (ferry_dicom_sender_is_usable (sender));

  /* Closing aborts: it must not wait for the stalled peer's release either. */
  started = g_get_monotonic_time ();
  g_clear_pointer (&sender, ferry_dicom_sender_close);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 3 * G_TIME_SPAN_SECOND);
}

typedef struct {
  FerryDicomSender *sender;
  const char *path;
  gboolean ok;
  GError *error;
  gint64 returned;
} StoreJob;

static gpointer
store_worker (gpointer data)
{
  StoreJob *job = data;
  guint16 status;

  job->ok = ferry_dicom_sender_store (job->sender, job->path, NULL, 0, &status, NULL,
                                      &job->error);
  job->returned = g_get_monotonic_time ();
  return NULL;
}

static void
test_abort_unblocks (Fixture       *f,
                     gconstpointer  data)
{
  g_auto(Peer) peer = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryDicomSender) sender = NULL;
  g_autofree char *one = make_object (f, "1.dcm", TS_EXPLICIT, "1.2.826.0.1.3680043.10.9.1",
                                      SC_SOP_CLASS);
  g_autofree char *two = make_object (f, "2.dcm", TS_EXPLICIT, "1.2.826.0.1.3680043.10.9.2",
                                      SC_SOP_CLASS);
  guint16 status = 0xFFFF;
  StoreJob job = { 0, };
  GThread *thread;
  gint64 aborted;

  peer_start_test_scp (f, &peer, "--stall-after", "1", NULL);
  /* A long timeout: only the abort can end the blocked store in time. */
  sender = open_sender (&peer, sc_explicit, G_N_ELEMENTS (sc_explicit), 60, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_dicom_sender_store (sender, one, NULL, 0, &status, NULL, &error));
  g_assert_no_error (error);

  job.sender = sender;
  job.path = two;
  thread = g_thread_new ("store", store_worker, &job);
  g_usleep (500 * 1000);
  aborted = g_get_monotonic_time ();
  ferry_dicom_sender_abort (sender);
  g_thread_join (thread);

  g_assert_false (job.ok);
  g_assert_error (job.error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_ABORTED);
  g_clear_error (&job.error);
  g_assert_cmpint (job.returned - aborted, <, 2 * G_TIME_SPAN_SECOND);
  g_assert_false (ferry_dicom_sender_is_usable (sender));
}

static char *
sha256_of (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
}

static void
read_values (const char  *path,
             const char  *tag,
             char       **value)
{
  const char *tags[] = { tag };
  g_autoptr(GError) error = NULL;

  gboolean ok = ferry_dicom_read_values (path, tags, 1, value, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
test_coercions (Fixture       *f,
                gconstpointer  data)
{
  g_auto(Peer) peer = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryDicomSender) sender = NULL;
  g_autoptr(GPtrArray) received = NULL;
  g_autofree char *path = make_object (f, "c.dcm", TS_EXPLICIT, "1.2.826.0.1.3680043.10.10.1",
                                       SC_SOP_CLASS);
  g_autofree char *before = sha256_of (path);
  g_autofree char *after = NULL;
  const FerryDicomCoercion coercions[] = {
    { FERRY_DICOM_COERCE_SET, "PatientName", "M\u00fcller^J\u00fcrgen" },
    { FERRY_DICOM_COERCE_COPY, "PatientID", "AccessionNumber" },
    { FERRY_DICOM_COERCE_REMOVE, "0010,1000", NULL },
  };
  const FerryDicomCoercion bad[] = { { FERRY_DICOM_COERCE_SET, "NoSuchKeyword", "x" } };
  guint16 status = 0xFFFF;
  g_autofree char *value = NULL;

  peer_start_test_scp (f, &peer, NULL);
  sender = open_sender (&peer, sc_explicit, G_N_ELEMENTS (sc_explicit), 10, &error);
  g_assert_no_error (error);

  g_assert_false (ferry_dicom_sender_store (sender, path, bad, G_N_ELEMENTS (bad), &status, NULL,
                                            &error));
  g_assert_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_COERCION);
  g_clear_error (&error);
  g_assert_true (ferry_dicom_sender_is_usable (sender));

  g_assert_true (ferry_dicom_sender_store (sender, path, coercions, G_N_ELEMENTS (coercions),
                                           &status, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmphex (status, ==, 0);
  g_clear_pointer (&sender, ferry_dicom_sender_close);

  received = files_in (peer.output_dir);
  g_assert_cmpuint (received->len, ==, 1);
  /* The object was made UTF-8 so that the new name fits; its other text came along. */
  read_values (g_ptr_array_index (received, 0), "SpecificCharacterSet", &value);
  g_assert_cmpstr (value, ==, "ISO_IR 192");
  g_clear_pointer (&value, g_free);
  read_values (g_ptr_array_index (received, 0), "PatientName", &value);
  g_assert_cmpstr (value, ==, "M\u00fcller^J\u00fcrgen");
  g_clear_pointer (&value, g_free);
  read_values (g_ptr_array_index (received, 0), "StudyDescription", &value);
  g_assert_cmpstr (value, ==, "Gew\u00e4chs");
  g_clear_pointer (&value, g_free);
  read_values (g_ptr_array_index (received, 0), "PatientID", &value);
  g_assert_cmpstr (value, ==, "ACC0042");
  g_clear_pointer (&value, g_free);
  read_values (g_ptr_array_index (received, 0), "0010,1000", &value);
  g_assert_null (value);

  /* The archived file is what it was. */
  after = sha256_of (path);
  g_assert_cmpstr (before, ==, after);
  read_values (path, "PatientName", &value);
  g_assert_cmpstr (value, ==, "Doe^Jane");
  g_clear_pointer (&value, g_free);
  read_values (path, "0010,1000", &value);
  g_assert_cmpstr (value, ==, "OLD1\\OLD2");
}

static void
test_character_set (Fixture       *f,
                    gconstpointer  data)
{
  g_auto(Peer) peer = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryDicomSender) sender = NULL;
  g_autoptr(FerryDicomSender) ascii = NULL;
  g_autoptr(GPtrArray) received = NULL;
  g_autofree char *path = make_object (f, "c.dcm", TS_EXPLICIT, "1.2.826.0.1.3680043.10.11.1",
                                       SC_SOP_CLASS);
  const FerryDicomCoercion coercions[] = {
    { FERRY_DICOM_COERCE_SET, "PatientName", "M\u00fcller^J\u00fcrgen" },
  };
  FerryDicomSendOptions options = { 0, };
  guint16 status = 0xFFFF;
  g_autofree char *value = NULL;

  peer_start_test_scp (f, &peer, NULL);
  options.host = "127.0.0.1";
  options.port = peer.port;
  options.calling_ae = "FERRY";
  options.called_ae = "PACS";
  options.timeout_seconds = 10;

  /* Latin-1 for a PACS that wants it: UTF-8 for the coercion, then back. */
  options.character_set = "ISO_IR 100";
  sender = ferry_dicom_sender_open (&options, sc_explicit, 1, &error);
  g_assert_no_error (error);
  g_assert_true (ferry_dicom_sender_store (sender, path, coercions, 1, &status, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmphex (status, ==, 0);
  g_clear_pointer (&sender, ferry_dicom_sender_close);

  received = files_in (peer.output_dir);
  g_assert_cmpuint (received->len, ==, 1);
  read_values (g_ptr_array_index (received, 0), "SpecificCharacterSet", &value);
  g_assert_cmpstr (value, ==, "ISO_IR 100");
  g_clear_pointer (&value, g_free);
  read_values (g_ptr_array_index (received, 0), "PatientName", &value);
  g_assert_cmpstr (value, ==, "M\xfcller^J\xfcrgen");
  g_clear_pointer (&value, g_free);

  /* Japanese does not fit in Latin-1. */
  {
    const FerryDicomCoercion japanese[] = {
      { FERRY_DICOM_COERCE_SET, "PatientName", "\u5c71\u7530^\u592a\u90ce" },
    };

    ascii = ferry_dicom_sender_open (&options, sc_explicit, 1, &error);
    g_assert_no_error (error);
    g_assert_false (ferry_dicom_sender_store (ascii, path, japanese, 1, &status, NULL, &error));
    g_assert_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_CHARSET);
    g_assert_nonnull (strstr (error->message, "ISO_IR 100"));
    g_assert_true (ferry_dicom_sender_is_usable (ascii));
  }
}

static void
test_read_values (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *path = make_object (f, "r.dcm", TS_EXPLICIT, "1.2.826.0.1.3680043.10.12.1",
                                       SC_SOP_CLASS);
  const char *tags[] = {
    "PatientName", "ReferringPhysicianName", "0010,1000", "PatientBirthDate",
    "0008,0005", "(0028,0010)", "StudyDescription",
  };
  char *values[G_N_ELEMENTS (tags)];
  const char *bad_tags[] = { "PatientName", "Patient Name" };
  char *bad_values[2] = { (char *) "x", (char *) "y" };
  g_autoptr(GError) error = NULL;

  g_assert_true (ferry_dicom_read_values (path, tags, G_N_ELEMENTS (tags), values, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (values[0], ==, "Doe^Jane");
  g_assert_cmpstr (values[1], ==, "");
  g_assert_cmpstr (values[2], ==, "OLD1\\OLD2");
  g_assert_null (values[3]);
  g_assert_cmpstr (values[4], ==, "ISO_IR 100");
  g_assert_cmpstr (values[5], ==, "64");
  /* Raw bytes: Latin-1 as stored, not converted. */
  g_assert_cmpstr (values[6], ==, "Gew\xe4" "chs");
  for (guint i = 0; i < G_N_ELEMENTS (tags); i++)
    g_free (values[i]);

  g_assert_false (ferry_dicom_read_values (path, bad_tags, 2, bad_values, &error));
  g_assert_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_COERCION);
  g_assert_null (bad_values[0]);
  g_assert_null (bad_values[1]);
  g_clear_error (&error);

  g_assert_false (ferry_dicom_read_values (f->dir, tags, 1, values, &error));
  g_assert_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_FILE);
  g_assert_null (values[0]);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;

  g_setenv ("TCP_NODELAY", "1", TRUE);
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_assert_true (ferry_dicom_init (&error));
  g_assert_no_error (error);

#define ADD(path, func, data) \
  g_test_add ("/ferry/dicom/send/" path, Fixture, data, fixture_setup, func, fixture_teardown)

  ADD ("storescp-study", test_storescp_study, NULL);
  ADD ("decompress-jpeg", test_decompress_jpeg, NULL);
  ADD ("decompress-option", test_decompress_option, NULL);
  ADD ("jpeg2000-cannot-decompress", test_jpeg2000_cannot_decompress, NULL);
  ADD ("statuses", test_statuses, NULL);
  ADD ("refused-sop-class", test_refused_sop_class, NULL);
  ADD ("rejected-transient", test_rejected, GINT_TO_POINTER (TRUE));
  ADD ("rejected-permanent", test_rejected, GINT_TO_POINTER (FALSE));
  ADD ("connect-refused", test_connect_refused, NULL);
  ADD ("stall-timeout", test_stall_timeout, NULL);
  ADD ("abort-unblocks", test_abort_unblocks, NULL);
  ADD ("coercions", test_coercions, NULL);
  ADD ("character-set", test_character_set, NULL);
  ADD ("read-values", test_read_values, NULL);

  return g_test_run ();
}
