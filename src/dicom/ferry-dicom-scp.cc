/* ferry-dicom-scp.cc: Verification and Storage SCP with Ferry's own accept loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One accept thread takes TCP connections itself and holds each one, without DCMTK, until its
 * whole A-ASSOCIATE-RQ PDU has arrived (peeked, never consumed) or first_pdu_timeout passes.
 * Only then does DCMTK see the connection, through dcmExternalSocketHandle, and read a PDU that
 * is already in the kernel's buffer. So a peer that connects and stays silent, or trickles its
 * request, never holds the loop: dozens of them wait side by side while real senders pass.
 * Every accepted association runs on its own joinable thread. DCMTK's DcmSCPPool is not used: in
 * 3.6.7 it never joins finished workers, binds inside its loop, and turns "too busy" into a
 * permanent rejection.
 *
 * Incoming datasets are written bit-preserving to a spool file (a Part 10 header that Ferry
 * writes itself, then the bytes exactly as they came off the wire) and handed to the caller;
 * nothing here parses them, so a hostile dataset cannot reach DCMTK's parser from the network.
 */

#include "dcmtk/config/osconfig.h"

#define G_LOG_DOMAIN "ferry-dicom"

#include "dcmtk/dcmdata/dcdatset.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcostrma.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmnet/assoc.h"
#include "dcmtk/dcmnet/cond.h"
#include "dcmtk/dcmnet/dcmtrans.h"
#include "dcmtk/dcmnet/dimse.h"
#include "dcmtk/dcmnet/diutil.h"

#include <exception>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ferry-dicom-private.hh"

#define DEFAULT_MAX_ASSOCIATIONS   8
#define DEFAULT_FIRST_PDU_TIMEOUT  5
#define DEFAULT_IDLE_TIMEOUT       60
/* How long one poll of the listening socket waits, which bounds how late stop() is noticed. */
#define ACCEPT_POLL_SECONDS        1
/* Connections whose association request has not fully arrived yet; more are closed at once. */
#define MAX_PENDING_CONNECTIONS    64
/* An A-ASSOCIATE-RQ with 128 presentation contexts is about 16 KiB; anything far larger is not
 * a modality asking to store images, and would not fit the socket buffer we wait on. */
#define MAX_ASSOCIATE_RQ_LENGTH    (64 * 1024)
/* Error Comment (0000,0902) is LO: at most 64 characters. */
#define MAX_ERROR_COMMENT          64

typedef struct _Association Association;

struct _FerryDicomScp
{
  gint ref_count;

  /* Owned copies of the options */
  char *ae_title;
  char *spool_dir;
  guint max_associations;
  guint first_pdu_timeout;
  guint idle_timeout;
  guint32 max_pdu;
  FerryDicomAssociationFunc on_association;
  FerryDicomStoreFunc on_store;
  FerryDicomAssociationEndFunc on_association_end;
  gpointer user_data;

  /* Owned */
  T_ASC_Network *net;
  guint16 port;
  GThread *accept_thread;
  gint stop_requested;          /* atomic */

  GMutex stop_lock;             /* serialises start() and stop() */
  gboolean started;
  gboolean stopped;

  GMutex lock;                  /* guards what follows */
  GCond changed;
  GList *associations;          /* of Association*, running or finished but not joined */
  guint active;
};

struct _Association
{
  /* Borrowed: the SCP joins this thread before it goes away. */
  FerryDicomScp *scp;

  /* Owned */
  T_ASC_Association *assoc;
  GThread *thread;
  char *calling_ae;
  char *called_ae;
  char *peer_address;

  /* The association's socket, for stop() to shut down; -1 once the association is gone.
   * Guarded by scp->lock. */
  int fd;
  gint finished;                /* atomic; set as the thread's last action */
};

/* Every transfer syntax Ferry stores; bit-preserving, so none of them needs a codec. */
static const char *const accepted_transfer_syntaxes[] = {
  UID_LittleEndianImplicitTransferSyntax,
  UID_LittleEndianExplicitTransferSyntax,
  UID_BigEndianExplicitTransferSyntax,
  UID_DeflatedExplicitVRLittleEndianTransferSyntax,
  UID_JPEGProcess1TransferSyntax,
  UID_JPEGProcess2_4TransferSyntax,
  UID_JPEGProcess14TransferSyntax,
  UID_JPEGProcess14SV1TransferSyntax,
  UID_JPEGLSLosslessTransferSyntax,
  UID_JPEGLSLossyTransferSyntax,
  UID_JPEG2000LosslessOnlyTransferSyntax,
  UID_JPEG2000TransferSyntax,
  UID_RLELosslessTransferSyntax,
  UID_MPEG2MainProfileAtMainLevelTransferSyntax,
  UID_MPEG2MainProfileAtHighLevelTransferSyntax,
  UID_MPEG4HighProfileLevel4_1TransferSyntax,
  UID_MPEG4BDcompatibleHighProfileLevel4_1TransferSyntax,
  UID_MPEG4HighProfileLevel4_2_For2DVideoTransferSyntax,
  UID_MPEG4HighProfileLevel4_2_For3DVideoTransferSyntax,
  UID_MPEG4StereoHighProfileLevel4_2TransferSyntax,
  UID_HEVCMainProfileLevel5_1TransferSyntax,
  UID_HEVCMain10ProfileLevel5_1TransferSyntax,
};

static gboolean
is_accepted_transfer_syntax (const char *uid)
{
  for (gsize i = 0; i < G_N_ELEMENTS (accepted_transfer_syntaxes); i++)
    if (g_str_equal (uid, accepted_transfer_syntaxes[i]))
      return TRUE;
  return FALSE;
}

static gboolean
is_accepted_abstract_syntax (const char *uid)
{
  if (g_str_equal (uid, UID_VerificationSOPClass))
    return TRUE;
  for (int i = 0; i < numberOfDcmAllStorageSOPClassUIDs; i++)
    if (dcmAllStorageSOPClassUIDs[i] != NULL && g_str_equal (uid, dcmAllStorageSOPClassUIDs[i]))
      return TRUE;
  return FALSE;
}

/* ------------------------------------------------------------------------------------------ */
/* The spool file.                                                                            */

/* A DcmConsumer that writes to a file descriptor and never refuses bytes: after the first failed
 * write (ENOSPC, EIO) it remembers the errno and swallows the rest, so the dataset is drained
 * from the association and the SCU gets a failure status instead of an abort. */
class SpoolConsumer : public DcmConsumer
{
public:
  explicit SpoolConsumer (int fd, int first_errno)
    : fd_ (fd), written_ (0), first_errno_ (first_errno)
  {
  }

  OFBool good () const override { return OFTrue; }
  OFCondition status () const override { return EC_Normal; }
  OFBool isFlushed () const override { return OFTrue; }
  offile_off_t avail () const override { return (offile_off_t) G_MAXINT32; }
  void flush () override {}

  offile_off_t
  write (const void *buf, offile_off_t buflen) override
  {
    const guint8 *p = (const guint8 *) buf;
    offile_off_t left = buflen;

    while (first_errno_ == 0 && left > 0)
      {
        ssize_t n = ::write (fd_, p, (size_t) left);

        if (n < 0)
          {
            if (errno == EINTR)
              continue;
            first_errno_ = errno;
            break;
          }
        if (n == 0)
          {
            first_errno_ = EIO;
            break;
          }
        p += n;
        left -= n;
        written_ += (guint64) n;
      }

    return buflen;
  }

  guint64 written () const { return written_; }
  int first_errno () const { return first_errno_; }

private:
  int fd_;
  guint64 written_;
  int first_errno_;
};

class SpoolStream : public DcmOutputStream
{
public:
  /* The base class keeps the pointer and does not use it during construction. */
  explicit SpoolStream (int fd, int first_errno)
    : DcmOutputStream (&consumer_), consumer_ (fd, first_errno)
  {
  }

  guint64 written () const { return consumer_.written (); }
  int first_errno () const { return consumer_.first_errno (); }

private:
  SpoolConsumer consumer_;
};

static void
put16 (GByteArray *out,
       guint16     v)
{
  guint8 b[2] = { (guint8) (v & 0xFF), (guint8) (v >> 8) };

  g_byte_array_append (out, b, 2);
}

static void
put32 (GByteArray *out,
       guint32     v)
{
  guint8 b[4] = { (guint8) (v & 0xFF), (guint8) (v >> 8), (guint8) (v >> 16), (guint8) (v >> 24) };

  g_byte_array_append (out, b, 4);
}

/* One explicit VR little endian element with a 2-byte length, padded to even length with
 * @pad (NUL for UI, space for the others). */
static void
put_text_element (GByteArray *out,
                  guint16     element,
                  const char *vr,
                  const char *value,
                  guint8      pad)
{
  gsize length = strlen (value);
  gsize padded = length + (length & 1);

  put16 (out, 0x0002);
  put16 (out, element);
  g_byte_array_append (out, (const guint8 *) vr, 2);
  put16 (out, (guint16) padded);
  g_byte_array_append (out, (const guint8 *) value, (guint) length);
  if (padded != length)
    g_byte_array_append (out, &pad, 1);
}

/* The preamble, "DICM" and the file meta information, written by hand so that the bytes that
 * follow are exactly the received dataset and the Implementation Class UID is Ferry's. */
static GByteArray *
build_file_meta (const char *sop_class_uid,
                 const char *sop_instance_uid,
                 const char *transfer_syntax_uid,
                 const char *source_ae)
{
  GByteArray *out = g_byte_array_sized_new (512);
  g_autoptr(GByteArray) group = g_byte_array_sized_new (384);
  static const guint8 version[2] = { 0x00, 0x01 };

  /* (0002,0001) File Meta Information Version, OB: 2 reserved bytes and a 4-byte length. */
  put16 (group, 0x0002);
  put16 (group, 0x0001);
  g_byte_array_append (group, (const guint8 *) "OB", 2);
  put16 (group, 0);
  put32 (group, 2);
  g_byte_array_append (group, version, 2);

  put_text_element (group, 0x0002, "UI", sop_class_uid, '\0');
  put_text_element (group, 0x0003, "UI", sop_instance_uid, '\0');
  put_text_element (group, 0x0010, "UI", transfer_syntax_uid, '\0');
  put_text_element (group, 0x0012, "UI", FERRY_DICOM_IMPLEMENTATION_CLASS_UID, '\0');
  put_text_element (group, 0x0013, "SH", FERRY_DICOM_IMPLEMENTATION_VERSION_NAME, ' ');
  if (source_ae != NULL && source_ae[0] != '\0')
    put_text_element (group, 0x0016, "AE", source_ae, ' ');

  g_byte_array_set_size (out, 128);
  memset (out->data, 0, 128);
  g_byte_array_append (out, (const guint8 *) "DICM", 4);

  /* (0002,0000) File Meta Information Group Length. */
  put16 (out, 0x0002);
  put16 (out, 0x0000);
  g_byte_array_append (out, (const guint8 *) "UL", 2);
  put16 (out, 4);
  put32 (out, group->len);
  g_byte_array_append (out, group->data, group->len);

  return out;
}

static int
write_all (int           fd,
           const guint8 *data,
           gsize         length)
{
  while (length > 0)
    {
      ssize_t n = write (fd, data, length);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return errno;
        }
      if (n == 0)
        return EIO;
      data += n;
      length -= (gsize) n;
    }
  return 0;
}

/* Error Comment is LO: printable characters without backslash, at most 64 of them. Comments come
 * from Ferry, but a path or a message from the system could carry anything. */
static char *
sanitize_error_comment (const char *comment)
{
  GString *out = g_string_sized_new (MAX_ERROR_COMMENT);

  for (const char *p = comment; *p != '\0' && out->len < MAX_ERROR_COMMENT; p++)
    {
      char c = *p;

      if (c == '\\' || !g_ascii_isprint (c))
        c = '?';
      g_string_append_c (out, c);
    }
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------------------------------ */
/* The association thread.                                                                    */

static OFCondition
send_store_response (T_ASC_Association          *assoc,
                     T_ASC_PresentationContextID pres_id,
                     T_DIMSE_C_StoreRQ          *request,
                     guint16                     status,
                     const char                 *comment)
{
  T_DIMSE_C_StoreRSP response;
  DcmDataset *detail = NULL;
  OFCondition cond;

  memset (&response, 0, sizeof response);
  response.MessageIDBeingRespondedTo = request->MessageID;
  response.DimseStatus = status;
  response.DataSetType = DIMSE_DATASET_NULL;
  g_strlcpy (response.AffectedSOPClassUID, request->AffectedSOPClassUID,
             sizeof response.AffectedSOPClassUID);
  g_strlcpy (response.AffectedSOPInstanceUID, request->AffectedSOPInstanceUID,
             sizeof response.AffectedSOPInstanceUID);
  response.opts = O_STORE_AFFECTEDSOPCLASSUID | O_STORE_AFFECTEDSOPINSTANCEUID;

  if (status != FERRY_DICOM_STATUS_SUCCESS && comment != NULL && comment[0] != '\0')
    {
      g_autofree char *clean = sanitize_error_comment (comment);

      detail = new DcmDataset ();
      detail->putAndInsertString (DCM_ErrorComment, clean);
    }

  cond = DIMSE_sendStoreResponse (assoc, pres_id, request, &response, detail);
  delete detail;
  return cond;
}

/* Receives one C-STORE. Returns FALSE when the association cannot go on; *@error_message
 * says why then. */
static gboolean
handle_store (Association                *a,
              T_ASC_PresentationContextID pres_id,
              T_DIMSE_C_StoreRQ          *request,
              guint                      *stored,
              char                      **error_message)
{
  FerryDicomScp *scp = a->scp;
  T_ASC_Association *assoc = a->assoc;
  T_ASC_PresentationContext context;
  OFCondition cond;
  g_autofree char *spool_path = NULL;
  g_autoptr(GByteArray) meta = NULL;
  int fd = -1;
  int first_errno = 0;
  guint64 size = 0;

  if (ASC_findAcceptedPresentationContext (assoc->params, pres_id, &context).bad ())
    {
      *error_message = g_strdup_printf ("C-STORE on presentation context %u, which was not "
                                        "accepted", (guint) pres_id);
      return FALSE;
    }

  if (request->DataSetType == DIMSE_DATASET_NULL)
    {
      cond = send_store_response (assoc, pres_id, request, FERRY_DICOM_STATUS_CANNOT_UNDERSTAND,
                                  "C-STORE request without a dataset");
      if (cond.bad ())
        {
          *error_message = g_strdup ("could not send the C-STORE response");
          return FALSE;
        }
      return TRUE;
    }

  /* The name comes from a template, never from anything the peer sent. */
  spool_path = g_build_filename (scp->spool_dir, "spool-XXXXXX.part", NULL);
  fd = g_mkstemp_full (spool_path, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      first_errno = errno;
      g_clear_pointer (&spool_path, g_free);
      g_message ("Could not create a spool file in the spool directory: %s",
                 g_strerror (first_errno));
    }
  else
    {
      meta = build_file_meta (request->AffectedSOPClassUID, request->AffectedSOPInstanceUID,
                              context.acceptedTransferSyntax, a->calling_ae);
      first_errno = write_all (fd, meta->data, meta->len);
      if (first_errno == 0)
        size = meta->len;
    }

  /* Drained even when nothing can be written, so the SCU hears a status instead of an abort. */
  SpoolStream stream (fd, first_errno);
  T_ASC_PresentationContextID data_pres_id = pres_id;

  cond = DIMSE_receiveDataSetInFile (assoc, DIMSE_NONBLOCKING, (int) scp->idle_timeout,
                                     &data_pres_id, &stream, NULL, NULL);
  if (cond.bad ())
    {
      if (cond == DUL_PEERABORTEDASSOCIATION)
        *error_message = g_strdup ("the peer aborted the association during a C-STORE");
      else if (cond == DIMSE_NODATAAVAILABLE)
        *error_message = g_strdup_printf ("the peer stopped sending in the middle of a C-STORE "
                                          "(no data for %u seconds)", scp->idle_timeout);
      else
        *error_message = g_strdup_printf ("the C-STORE dataset could not be received (%s)",
                                          cond.text ());
      if (fd >= 0)
        {
          g_unlink (spool_path);
          close (fd);
        }
      return FALSE;
    }

  guint16 status;
  char *comment = NULL;

  if (fd < 0)
    {
      status = FERRY_DICOM_STATUS_OUT_OF_RESOURCES;
      comment = g_strdup ("Cannot create a file in the spool directory");
    }
  else
    {
      FerryDicomStoreRequest store = { 0, };

      size += stream.written ();
      store.calling_ae = a->calling_ae;
      store.peer_address = a->peer_address;
      store.sop_class_uid = request->AffectedSOPClassUID;
      store.sop_instance_uid = request->AffectedSOPInstanceUID;
      store.transfer_syntax_uid = context.acceptedTransferSyntax;
      store.spool_path = spool_path;
      store.spool_fd = fd;
      store.size = size;
      store.write_errno = stream.first_errno ();

      (void) lseek (fd, 0, SEEK_SET);
      status = scp->on_store (&store, &comment, scp->user_data);
    }

  cond = send_store_response (assoc, pres_id, request, status, comment);
  g_free (comment);

  if (fd >= 0)
    {
      /* Whatever the callback did not take into the archive is not kept. */
      if (g_unlink (spool_path) != 0 && errno != ENOENT)
        g_message ("Could not remove a spool file: %s", g_strerror (errno));
      close (fd);
    }

  if (cond.bad ())
    {
      *error_message = g_strdup_printf ("could not send the C-STORE response (%s)", cond.text ());
      return FALSE;
    }

  if (status == FERRY_DICOM_STATUS_SUCCESS || (status & 0xF000) == 0xB000)
    (*stored)++;
  return TRUE;
}

/* Runs the association until it is released, aborted or times out. */
static void
run_association (Association *a,
                 guint       *stored,
                 char       **error_message)
{
  FerryDicomScp *scp = a->scp;
  T_ASC_Association *assoc = a->assoc;
  OFCondition cond;

  _ferry_dicom_configure_socket (_ferry_dicom_association_socket (assoc), scp->idle_timeout);

  cond = ASC_acknowledgeAssociation (assoc);
  if (cond.bad ())
    {
      *error_message = g_strdup_printf ("could not acknowledge the association (%s)", cond.text ());
      /* Without an abort, dropping would wait for a peer that may never close. */
      ASC_abortAssociation (assoc);
      return;
    }

  for (;;)
    {
      T_ASC_PresentationContextID pres_id = 0;
      T_DIMSE_Message message;
      DcmDataset *status_detail = NULL;

      memset (&message, 0, sizeof message);
      cond = DIMSE_receiveCommand (assoc, DIMSE_NONBLOCKING, (int) scp->idle_timeout, &pres_id,
                                   &message, &status_detail);
      delete status_detail;

      if (cond == DUL_PEERREQUESTEDRELEASE)
        {
          ASC_acknowledgeRelease (assoc);
          return;
        }
      if (cond == DUL_PEERABORTEDASSOCIATION)
        {
          *error_message = g_strdup ("the peer aborted the association");
          return;
        }
      if (cond == DIMSE_NODATAAVAILABLE)
        {
          *error_message = g_strdup_printf ("the peer was silent for %u seconds; association "
                                            "aborted", scp->idle_timeout);
          ASC_abortAssociation (assoc);
          return;
        }
      if (cond.bad ())
        {
          *error_message = g_strdup_printf ("the association failed (%s)", cond.text ());
          ASC_abortAssociation (assoc);
          return;
        }

      switch (message.CommandField)
        {
        case DIMSE_C_ECHO_RQ:
          cond = DIMSE_sendEchoResponse (assoc, pres_id, &message.msg.CEchoRQ, STATUS_Success,
                                         NULL);
          if (cond.bad ())
            {
              *error_message = g_strdup_printf ("could not answer a C-ECHO (%s)", cond.text ());
              ASC_abortAssociation (assoc);
              return;
            }
          break;

        case DIMSE_C_STORE_RQ:
          if (!handle_store (a, pres_id, &message.msg.CStoreRQ, stored, error_message))
            {
              ASC_abortAssociation (assoc);
              return;
            }
          break;

        default:
          /* Only Verification and Storage contexts are ever accepted, so anything else is a
           * protocol violation by the peer. */
          *error_message = g_strdup_printf ("the peer sent an unsupported DIMSE command "
                                            "(0x%04X); association aborted",
                                            (guint) message.CommandField);
          ASC_abortAssociation (assoc);
          return;
        }
    }
}

static gpointer
association_worker (gpointer data)
{
  Association *a = (Association *) data;
  FerryDicomScp *scp = a->scp;
  guint stored = 0;
  char *error_message = NULL;

  try
    {
      run_association (a, &stored, &error_message);
    }
  catch (...)
    {
      g_free (error_message);
      error_message = g_strdup ("internal error in the DICOM layer; association aborted");
      ASC_abortAssociation (a->assoc);
    }

  g_mutex_lock (&scp->lock);
  if (a->fd >= 0)
    close (a->fd);
  a->fd = -1;
  g_mutex_unlock (&scp->lock);

  try
    {
      ASC_dropSCPAssociation (a->assoc);
      ASC_destroyAssociation (&a->assoc);
    }
  catch (...)
    {
    }

  if (scp->on_association_end != NULL)
    {
      FerryDicomAssociationInfo info = { a->calling_ae, a->called_ae, a->peer_address };

      scp->on_association_end (&info, stored, error_message, scp->user_data);
    }
  g_free (error_message);

  g_mutex_lock (&scp->lock);
  scp->active--;
  g_cond_broadcast (&scp->changed);
  g_mutex_unlock (&scp->lock);

  g_atomic_int_set (&a->finished, 1);
  return NULL;
}

static void
association_free (Association *a)
{
  if (a->assoc != NULL)
    {
      ASC_dropAssociation (a->assoc);
      ASC_destroyAssociation (&a->assoc);
    }
  g_free (a->calling_ae);
  g_free (a->called_ae);
  g_free (a->peer_address);
  g_free (a);
}

/* ------------------------------------------------------------------------------------------ */
/* The accept thread.                                                                         */

/* Joins the threads of associations that have ended, so that none lingers. */
static void
reap_finished (FerryDicomScp *scp,
               gboolean       all)
{
  GList *done = NULL;

  g_mutex_lock (&scp->lock);
  for (GList *l = scp->associations; l != NULL;)
    {
      GList *next = l->next;
      Association *a = (Association *) l->data;

      if (all || g_atomic_int_get (&a->finished))
        {
          scp->associations = g_list_remove_link (scp->associations, l);
          done = g_list_concat (l, done);
        }
      l = next;
    }
  g_mutex_unlock (&scp->lock);

  for (GList *l = done; l != NULL; l = l->next)
    {
      Association *a = (Association *) l->data;

      g_thread_join (a->thread);
      association_free (a);
    }
  g_list_free (done);
}

static void
reject (T_ASC_Association             *assoc,
        T_ASC_RejectParametersResult  result,
        T_ASC_RejectParametersSource  source,
        T_ASC_RejectParametersReason  reason)
{
  T_ASC_RejectParameters rej = { result, source, reason };

  ASC_rejectAssociation (assoc, &rej);
  ASC_dropAssociation (assoc);
  ASC_destroyAssociation (&assoc);
}

/* Accepts the presentation contexts Ferry serves, each with the first transfer syntax the peer
 * proposed among those Ferry takes. */
static void
negotiate_contexts (T_ASC_Parameters *params)
{
  int count = ASC_countPresentationContexts (params);

  for (int i = 0; i < count; i++)
    {
      T_ASC_PresentationContext pc;
      const char *chosen = NULL;

      if (ASC_getPresentationContext (params, i, &pc).bad ())
        continue;

      if (!is_accepted_abstract_syntax (pc.abstractSyntax))
        {
          ASC_refusePresentationContext (params, pc.presentationContextID,
                                         ASC_P_ABSTRACTSYNTAXNOTSUPPORTED);
          continue;
        }

      for (int j = 0; j < pc.transferSyntaxCount && chosen == NULL; j++)
        if (is_accepted_transfer_syntax (pc.proposedTransferSyntaxes[j]))
          chosen = pc.proposedTransferSyntaxes[j];

      if (chosen != NULL)
        ASC_acceptPresentationContext (params, pc.presentationContextID, chosen);
      else
        ASC_refusePresentationContext (params, pc.presentationContextID,
                                       ASC_P_TRANSFERSYNTAXESNOTSUPPORTED);
    }
}

static char *
peer_address_of (int fd)
{
  struct sockaddr_storage address;
  socklen_t length = sizeof address;
  char text[INET6_ADDRSTRLEN] = "";

  if (fd < 0 || getpeername (fd, (struct sockaddr *) &address, &length) != 0)
    return g_strdup ("");

  if (address.ss_family == AF_INET)
    inet_ntop (AF_INET, &((struct sockaddr_in *) &address)->sin_addr, text, sizeof text);
  else if (address.ss_family == AF_INET6)
    inet_ntop (AF_INET6, &((struct sockaddr_in6 *) &address)->sin6_addr, text, sizeof text);
  return g_strdup (text);
}

static void
handle_request (FerryDicomScp     *scp,
                T_ASC_Association *assoc)
{
  char calling[64] = "";
  char called[64] = "";
  int fd = _ferry_dicom_association_socket (assoc);
  g_autofree char *peer = peer_address_of (fd);
  FerryDicomAssociationDecision decision;
  gboolean over_cap;
  g_autoptr(GError) error = NULL;
  Association *a;

  _ferry_dicom_set_nodelay (fd);

  /* The A-ASSOCIATE-AC announces Ferry, not DCMTK. */
  g_strlcpy (assoc->params->ourImplementationClassUID, FERRY_DICOM_IMPLEMENTATION_CLASS_UID,
             sizeof assoc->params->ourImplementationClassUID);
  g_strlcpy (assoc->params->ourImplementationVersionName, FERRY_DICOM_IMPLEMENTATION_VERSION_NAME,
             sizeof assoc->params->ourImplementationVersionName);

  ASC_getAPTitles (assoc->params, calling, sizeof calling, called, sizeof called, NULL, 0);
  g_strstrip (calling);
  g_strstrip (called);

  FerryDicomAssociationInfo info = { calling, called, peer };

  decision = scp->on_association ? scp->on_association (&info, scp->user_data)
                                 : FERRY_DICOM_ASSOCIATION_ACCEPT;

  switch (decision)
    {
    case FERRY_DICOM_ASSOCIATION_REJECT_CALLED_AE:
      g_info ("Association from %s rejected: called AE title not recognised", peer);
      reject (assoc, ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER,
              ASC_REASON_SU_CALLEDAETITLENOTRECOGNIZED);
      return;
    case FERRY_DICOM_ASSOCIATION_REJECT_CALLING_AE:
      g_info ("Association from %s rejected: calling AE title not recognised", peer);
      reject (assoc, ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER,
              ASC_REASON_SU_CALLINGAETITLENOTRECOGNIZED);
      return;
    case FERRY_DICOM_ASSOCIATION_REJECT_BUSY:
      g_info ("Association from %s rejected: busy", peer);
      reject (assoc, ASC_RESULT_REJECTEDTRANSIENT, ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED,
              ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED);
      return;
    case FERRY_DICOM_ASSOCIATION_ACCEPT:
    default:
      break;
    }

  negotiate_contexts (assoc->params);

  /* Nothing Ferry offers was asked for (or nothing was proposed at all): an association with no
   * accepted context can carry no message, and DCMTK cannot even acknowledge it. */
  if (ASC_countAcceptedPresentationContexts (assoc->params) == 0)
    {
      g_info ("Association from %s rejected: no acceptable presentation context", peer);
      reject (assoc, ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER,
              ASC_REASON_SU_NOREASON);
      return;
    }

  /* Checked and counted at once; the count is given back if the association does not start
   * after all. */
  g_mutex_lock (&scp->lock);
  over_cap = scp->active >= scp->max_associations;
  if (!over_cap)
    scp->active++;
  g_mutex_unlock (&scp->lock);

  if (over_cap)
    {
      g_info ("Association from %s rejected: %u associations already running", peer,
              scp->max_associations);
      reject (assoc, ASC_RESULT_REJECTEDTRANSIENT, ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED,
              ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED);
      return;
    }

  a = g_new0 (Association, 1);
  a->scp = scp;
  a->assoc = assoc;
  /* A duplicate of our own, only for stop() to shut down: DCMTK closes its descriptor when the
   * association ends, and that number may belong to another connection a moment later. */
  a->fd = fcntl (fd, F_DUPFD_CLOEXEC, 0);
  a->calling_ae = g_strdup (calling);
  a->called_ae = g_strdup (called);
  a->peer_address = g_strdup (peer);

  g_mutex_lock (&scp->lock);
  scp->associations = g_list_prepend (scp->associations, a);
  a->thread = g_thread_try_new ("ferry-association", association_worker, a, &error);
  if (a->thread == NULL)
    {
      scp->associations = g_list_remove (scp->associations, a);
      scp->active--;
    }
  g_mutex_unlock (&scp->lock);

  if (a->thread == NULL)
    {
      g_message ("Association from %s rejected: %s", peer, error->message);
      a->assoc = NULL;
      association_free (a);
      reject (assoc, ASC_RESULT_REJECTEDTRANSIENT, ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED,
              ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED);
    }
}

/* dcmExternalSocketHandle is one value for the whole process: whoever sets it holds this lock
 * until DCMTK has read it (and while a listening network is created, which may look at it). */
G_LOCK_DEFINE_STATIC (external_socket);

typedef struct {
  int    fd;
  gint64 deadline;   /* monotonic µs */
  gboolean partial;  /* part of the request is there: poll() would report it readable again
                      * at once, so it is re-checked on a short timer instead */
} Pending;

/* How often a connection with a partial association request is looked at again. */
#define PARTIAL_RECHECK_MS 20

typedef enum {
  RQ_WAITING,        /* not all of it yet */
  RQ_COMPLETE,       /* the whole PDU is in the socket buffer */
  RQ_REFUSED,        /* closed, reset, or not an association request: drop it */
} RqState;

/* Peeks at the connection without consuming anything, so that DCMTK later reads the PDU from
 * its first byte. */
static RqState
associate_rq_state (int fd)
{
  guint8 header[6];
  ssize_t n = recv (fd, header, sizeof header, MSG_PEEK | MSG_DONTWAIT);
  guint32 length;
  int available = 0;

  if (n == 0)
    return RQ_REFUSED;
  if (n < 0)
    return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? RQ_WAITING : RQ_REFUSED;
  /* PDU type 01H is A-ASSOCIATE-RQ (PS3.8 9.3.2). */
  if (header[0] != 0x01)
    return RQ_REFUSED;
  if (n < (ssize_t) sizeof header)
    return RQ_WAITING;

  length = ((guint32) header[2] << 24) | ((guint32) header[3] << 16) |
           ((guint32) header[4] << 8) | (guint32) header[5];
  if (length > MAX_ASSOCIATE_RQ_LENGTH)
    return RQ_REFUSED;
  if (ioctl (fd, FIONREAD, &available) != 0)
    return RQ_REFUSED;

  return (guint64) available >= (guint64) length + sizeof header ? RQ_COMPLETE : RQ_WAITING;
}

/* Hands a connection whose A-ASSOCIATE-RQ is complete to DCMTK and decides on it. Takes @fd. */
static void
receive_association (FerryDicomScp *scp,
                     int            fd)
{
  T_ASC_Association *assoc = NULL;
  gboolean owned_by_dcmtk;
  OFCondition cond;

  G_LOCK (external_socket);
  dcmExternalSocketHandle.set (fd);
  try
    {
      cond = ASC_receiveAssociation (scp->net, &assoc, (long) scp->max_pdu, NULL, NULL, OFFalse,
                                     DUL_NOBLOCK, (int) scp->first_pdu_timeout);
    }
  catch (...)
    {
      cond = EC_IllegalCall;
    }
  dcmExternalSocketHandle.set (-1);
  G_UNLOCK (external_socket);

  /* DCMTK keeps the socket once its association key holds the connection; before that (a
   * transport error) the socket is still ours to close. */
  owned_by_dcmtk = assoc != NULL && assoc->DULassociation != NULL;

  if (cond.bad ())
    {
      g_autofree char *text = g_strdup (cond.text ());

      g_strdelimit (text, "\r\n", ' ');
      g_info ("An association request could not be read: %s", text);
      if (assoc != NULL)
        {
          ASC_dropAssociation (assoc);
          ASC_destroyAssociation (&assoc);
        }
      if (!owned_by_dcmtk)
        close (fd);
      return;
    }

  if (g_atomic_int_get (&scp->stop_requested))
    {
      reject (assoc, ASC_RESULT_REJECTEDTRANSIENT, ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED,
              ASC_REASON_SP_PRES_TEMPORARYCONGESTION);
      return;
    }

  handle_request (scp, assoc);
}

static void
accept_connections (FerryDicomScp *scp,
                    int            listen_fd,
                    GArray        *pending)
{
  for (;;)
    {
      int fd = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC);

      if (fd < 0)
        {
          if (errno == EINTR || errno == ECONNABORTED)
            continue;
          if (errno != EAGAIN && errno != EWOULDBLOCK)
            g_info ("accept() failed: %s", g_strerror (errno));
          return;
        }

      if (pending->len >= MAX_PENDING_CONNECTIONS)
        {
          g_info ("Closing a connection: %u others have not sent their association request yet",
                  pending->len);
          close (fd);
          continue;
        }

      _ferry_dicom_set_nodelay (fd);

      Pending p = { fd, g_get_monotonic_time () + (gint64) scp->first_pdu_timeout * G_TIME_SPAN_SECOND,
                    FALSE };
      g_array_append_val (pending, p);
    }
}

static gpointer
accept_worker (gpointer data)
{
  FerryDicomScp *scp = (FerryDicomScp *) data;
  int listen_fd = DUL_networkSocket (scp->net->network);
  g_autoptr(GArray) pending = g_array_new (FALSE, FALSE, sizeof (Pending));
  g_autoptr(GArray) polled = g_array_new (FALSE, FALSE, sizeof (struct pollfd));

  while (!g_atomic_int_get (&scp->stop_requested))
    {
      gint64 now = g_get_monotonic_time ();
      int timeout_ms = ACCEPT_POLL_SECONDS * 1000;
      int n;

      reap_finished (scp, FALSE);

      g_array_set_size (polled, 0);
      struct pollfd listen_poll = { listen_fd, POLLIN, 0 };
      g_array_append_val (polled, listen_poll);
      for (guint i = 0; i < pending->len; i++)
        {
          const Pending *p = &g_array_index (pending, Pending, i);
          /* Without POLLIN, poll() still reports a hang-up or an error. */
          struct pollfd pfd = { p->fd, (short) (p->partial ? 0 : POLLIN), 0 };

          g_array_append_val (polled, pfd);
          timeout_ms = MIN (timeout_ms, (int) MAX (0, (p->deadline - now) / 1000 + 1));
          if (p->partial)
            timeout_ms = MIN (timeout_ms, PARTIAL_RECHECK_MS);
        }

      n = poll ((struct pollfd *) (gpointer) polled->data, polled->len, timeout_ms);
      if (n < 0 && errno != EINTR)
        {
          g_info ("poll() failed: %s", g_strerror (errno));
          g_usleep (100 * 1000);
          continue;
        }

      /* Pending connections first (walking backwards so removal keeps indices valid): the ones
       * whose request is complete go to DCMTK; closed, foreign or late ones are dropped. */
      now = g_get_monotonic_time ();
      for (guint i = pending->len; i-- > 0;)
        {
          Pending p = g_array_index (pending, Pending, i);
          short revents = g_array_index (polled, struct pollfd, i + 1).revents;
          RqState state = RQ_WAITING;

          if (revents != 0 || p.partial)
            state = associate_rq_state (p.fd);

          if (state == RQ_WAITING && now < p.deadline)
            {
              /* Bytes are waiting unread (or poll() would not have said so): look again on the
               * timer rather than spin on a readable socket. */
              g_array_index (pending, Pending, i).partial = TRUE;
              continue;
            }

          g_array_remove_index (pending, i);

          if (state == RQ_COMPLETE)
            receive_association (scp, p.fd);
          else
            {
              if (state == RQ_WAITING)
                g_info ("Closing a connection that sent no association request within %u s",
                        scp->first_pdu_timeout);
              else
                g_info ("Closing a connection that did not ask for a DICOM association");
              close (p.fd);
            }
        }

      if (g_array_index (polled, struct pollfd, 0).revents & POLLIN)
        accept_connections (scp, listen_fd, pending);
    }

  for (guint i = 0; i < pending->len; i++)
    close (g_array_index (pending, Pending, i).fd);

  return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Public API.                                                                                */

/* Frees an SCP that failed half-way through ferry_dicom_scp_new(); returns NULL. */
static FerryDicomScp *
discard_partial (FerryDicomScp *scp)
{
  if (scp != NULL)
    ferry_dicom_scp_unref (scp);
  return NULL;
}

FerryDicomScp *
ferry_dicom_scp_new (const FerryDicomScpOptions *options,
                     GError                    **error)
{
  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (options->spool_dir != NULL, NULL);
  g_return_val_if_fail (options->on_store != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  FerryDicomScp *scp = NULL;

  FERRY_DICOM_GUARD_BEGIN

  if (!_ferry_dicom_is_initialized ())
    {
      g_set_error_literal (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_FAILED,
                           "The DICOM layer is not initialised (ferry_dicom_init)");
      return NULL;
    }

  scp = g_new0 (FerryDicomScp, 1);
  scp->ref_count = 1;
  scp->ae_title = g_strdup (options->ae_title ? options->ae_title : "FERRY");
  scp->spool_dir = g_strdup (options->spool_dir);
  scp->max_associations = options->max_associations ? options->max_associations
                                                    : DEFAULT_MAX_ASSOCIATIONS;
  scp->first_pdu_timeout = options->first_pdu_timeout ? options->first_pdu_timeout
                                                      : DEFAULT_FIRST_PDU_TIMEOUT;
  scp->idle_timeout = options->idle_timeout ? options->idle_timeout : DEFAULT_IDLE_TIMEOUT;
  scp->max_pdu = options->max_pdu ? options->max_pdu : FERRY_DICOM_DEFAULT_MAX_PDU;
  scp->max_pdu = CLAMP (scp->max_pdu, ASC_MINIMUMPDUSIZE, ASC_MAXIMUMPDUSIZE);
  scp->on_association = options->on_association;
  scp->on_store = options->on_store;
  scp->on_association_end = options->on_association_end;
  scp->user_data = options->user_data;
  g_mutex_init (&scp->lock);
  g_mutex_init (&scp->stop_lock);
  g_cond_init (&scp->changed);

  /* Until an association is accepted its socket carries DCMTK's global timeouts: keep them as
   * short as the first PDU may take, so a silent or stalled peer cannot hold the accept loop
   * longer than that. The association thread sets its own. */
  dcmSocketReceiveTimeout.set ((Sint32) scp->first_pdu_timeout);
  dcmSocketSendTimeout.set ((Sint32) scp->first_pdu_timeout);

  G_LOCK (external_socket);
  OFCondition cond = ASC_initializeNetwork (NET_ACCEPTOR, options->port,
                                            (int) scp->first_pdu_timeout, &scp->net);
  G_UNLOCK (external_socket);
  if (cond.bad ())
    {
      g_autofree char *text = g_ascii_strdown (cond.text () ? cond.text () : "", -1);

      if (strstr (text, "in use") != NULL)
        g_set_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_PORT_IN_USE,
                     "Port %u is already in use by another program", options->port);
      else
        {
          g_autofree char *prefix = g_strdup_printf ("Cannot listen on port %u", options->port);

          _ferry_dicom_set_error_from_condition (error, FERRY_DICOM_ERROR_FAILED, cond, prefix);
        }
      scp->net = NULL;
      ferry_dicom_scp_unref (scp);
      return NULL;
    }

  {
    int fd = DUL_networkSocket (scp->net->network);
    struct sockaddr_in address;
    socklen_t length = sizeof address;

    _ferry_dicom_set_nodelay (fd);
    /* The accept loop drains the backlog until EAGAIN. Accepted sockets do not inherit the
     * flag, so DCMTK still gets blocking sockets. */
    if (fd >= 0)
      fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
    if (fd >= 0 && getsockname (fd, (struct sockaddr *) &address, &length) == 0 &&
        address.sin_family == AF_INET)
      scp->port = ntohs (address.sin_port);
    else
      scp->port = options->port;
  }

  return scp;

  FERRY_DICOM_GUARD_END (error, discard_partial (scp))
}

/**
 * ferry_dicom_scp_ref:
 * @scp: an SCP
 *
 * Takes a reference; thread-safe.
 *
 * Returns: (transfer full): @scp
 */
FerryDicomScp *
ferry_dicom_scp_ref (FerryDicomScp *scp)
{
  g_return_val_if_fail (scp != NULL, NULL);

  g_atomic_int_inc (&scp->ref_count);
  return scp;
}

/**
 * ferry_dicom_scp_unref:
 * @scp: (transfer full): an SCP
 *
 * Drops a reference. The last one stops the SCP (without grace) if that was not done, joins its
 * threads and frees it; so it must not be dropped from one of the SCP's own callbacks.
 */
void
ferry_dicom_scp_unref (FerryDicomScp *scp)
{
  g_return_if_fail (scp != NULL);

  if (!g_atomic_int_dec_and_test (&scp->ref_count))
    return;

  /* The last reference must not be dropped from one of the SCP's own callbacks: stopping joins
   * the thread that runs them. */
  ferry_dicom_scp_stop (scp, 0);

  g_free (scp->ae_title);
  g_free (scp->spool_dir);
  g_mutex_clear (&scp->lock);
  g_mutex_clear (&scp->stop_lock);
  g_cond_clear (&scp->changed);
  g_free (scp);
}

/**
 * ferry_dicom_scp_get_port:
 * @scp: an SCP
 *
 * Returns: the TCP port the SCP listens on, as bound (the OS's choice when 0 was asked for)
 */
guint16
ferry_dicom_scp_get_port (FerryDicomScp *scp)
{
  g_return_val_if_fail (scp != NULL, 0);

  return scp->port;
}

/**
 * ferry_dicom_scp_start:
 * @scp: an SCP from ferry_dicom_scp_new()
 * @error: return location for a #GError
 *
 * Starts the accept thread. Starting a running SCP does nothing; a stopped SCP cannot be started
 * again (make a new one: its socket is closed).
 *
 * Returns: %TRUE on success
 */
gboolean
ferry_dicom_scp_start (FerryDicomScp *scp,
                       GError       **error)
{
  g_return_val_if_fail (scp != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  FERRY_DICOM_GUARD_BEGIN

  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&scp->stop_lock);

  if (scp->stopped || scp->net == NULL)
    {
      g_set_error_literal (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_FAILED,
                           "The DICOM receiver was stopped and cannot be started again");
      return FALSE;
    }
  if (scp->started)
    return TRUE;

  scp->accept_thread = g_thread_try_new ("ferry-dicom-accept", accept_worker, scp, error);
  if (scp->accept_thread == NULL)
    return FALSE;

  scp->started = TRUE;
  return TRUE;

  FERRY_DICOM_GUARD_END (error, FALSE)
}

static void
stop_locked (FerryDicomScp *scp,
             guint          grace_seconds)
{
  gint64 deadline;

  if (scp->stopped)
    return;
  scp->stopped = TRUE;

  g_atomic_int_set (&scp->stop_requested, 1);
  if (scp->accept_thread != NULL)
    g_thread_join (g_steal_pointer (&scp->accept_thread));

  /* No new association can start now. Give the running ones their grace period. */
  deadline = g_get_monotonic_time () + (gint64) grace_seconds * G_TIME_SPAN_SECOND;

  g_mutex_lock (&scp->lock);
  while (scp->active > 0)
    if (!g_cond_wait_until (&scp->changed, &scp->lock, deadline))
      break;

  /* Whatever is still running is blocked on its socket; shutting the socket down makes its next
   * read or write fail at once, and the thread then ends its association. */
  for (GList *l = scp->associations; l != NULL; l = l->next)
    {
      Association *a = (Association *) l->data;

      if (a->fd >= 0)
        shutdown (a->fd, SHUT_RDWR);
    }
  g_mutex_unlock (&scp->lock);

  reap_finished (scp, TRUE);

  if (scp->net != NULL)
    ASC_dropNetwork (&scp->net);
  scp->net = NULL;
}

/**
 * ferry_dicom_scp_stop:
 * @scp: an SCP
 * @grace_seconds: how long associations in flight may take to finish
 *
 * Stops accepting (within about a second), waits up to @grace_seconds for running associations,
 * then shuts their sockets down so that they end at once, joins every thread and closes the
 * listening socket. Blocking and idempotent; call it from any thread but the SCP's own.
 */
void
ferry_dicom_scp_stop (FerryDicomScp *scp,
                      guint          grace_seconds)
{
  g_return_if_fail (scp != NULL);

  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&scp->stop_lock);

  try
    {
      stop_locked (scp, grace_seconds);
    }
  catch (...)
    {
      g_message ("Internal error while stopping the DICOM receiver");
    }
}

/**
 * ferry_dicom_scp_get_active:
 * @scp: an SCP
 *
 * Returns: the number of associations currently running
 */
guint
ferry_dicom_scp_get_active (FerryDicomScp *scp)
{
  guint active;

  g_return_val_if_fail (scp != NULL, 0);

  g_mutex_lock (&scp->lock);
  active = scp->active;
  g_mutex_unlock (&scp->lock);
  return active;
}
