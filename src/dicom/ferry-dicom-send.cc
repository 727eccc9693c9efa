/* ferry-dicom-send.cc: Storage SCU (C-STORE) on DCMTK's association-level API
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Not DcmSCU: Ferry must reach the association's socket to bound every read and write by the
 * destination's timeout and to shut it down from another thread (ferry_dicom_sender_abort()).
 */

/* Ferry's config.h first: DCMTK's osconfig.h defines PACKAGE_VERSION as well, and warnings in
 * a system header are not shown. */
#include "config.h"
#include "dcmtk/config/osconfig.h"

#define G_LOG_DOMAIN "ferry-dicom"

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmdata/dcxfer.h"
#include "dcmtk/dcmnet/assoc.h"
#include "dcmtk/dcmnet/dimse.h"

#include <exception>

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "ferry-dicom-private.hh"
#include "ferry-dicom-send.h"

/* Presentation context IDs are odd numbers from 1 to 255. */
#define MAX_CONTEXTS 128

#define DEFAULT_TIMEOUT_SECONDS 30

#define UTF8_CHARSET "ISO_IR 192"

typedef struct {
  T_ASC_PresentationContextID id;
  char *sop_class_uid;
  char *transfer_syntax_uid;
  gboolean accepted;
} Context;

struct _FerryDicomSender
{
  /* Owned */
  T_ASC_Network *net;
  T_ASC_Association *assoc;
  GArray *contexts;          /* of Context */
  char *peer;                /* "host:port", for messages */
  char *character_set;       /* (nullable) */

  guint timeout_seconds;
  gboolean decompress;
  DIC_US next_message_id;

  /* Guards fd and the state that abort() changes from another thread. */
  GMutex lock;
  int fd;                    /* a dup of the association's socket, for abort(); -1 after close */
  gboolean usable;
  gboolean aborted;
};

/* Video is sent as stored or not at all: there is no decoder for it, and an uncompressed video
 * would be far beyond what any PACS takes. */
static const char *const video_transfer_syntaxes[] = {
  "1.2.840.10008.1.2.4.100",    /* MPEG-2 MP@ML */
  "1.2.840.10008.1.2.4.100.1",
  "1.2.840.10008.1.2.4.101",    /* MPEG-2 MP@HL */
  "1.2.840.10008.1.2.4.101.1",
  "1.2.840.10008.1.2.4.102",    /* MPEG-4 AVC/H.264 High Profile / Level 4.1 */
  "1.2.840.10008.1.2.4.102.1",
  "1.2.840.10008.1.2.4.103",    /* MPEG-4 AVC/H.264 BD-compatible */
  "1.2.840.10008.1.2.4.103.1",
  "1.2.840.10008.1.2.4.104",    /* MPEG-4 AVC/H.264 2D video */
  "1.2.840.10008.1.2.4.104.1",
  "1.2.840.10008.1.2.4.105",    /* MPEG-4 AVC/H.264 3D video */
  "1.2.840.10008.1.2.4.105.1",
  "1.2.840.10008.1.2.4.106",    /* MPEG-4 AVC/H.264 Stereo High Profile */
  "1.2.840.10008.1.2.4.106.1",
  "1.2.840.10008.1.2.4.107",    /* HEVC/H.265 Main Profile */
  "1.2.840.10008.1.2.4.108",    /* HEVC/H.265 Main 10 Profile */
};

static gboolean
is_video (const char *transfer_syntax_uid)
{
  for (gsize i = 0; i < G_N_ELEMENTS (video_transfer_syntaxes); i++)
    if (g_str_equal (transfer_syntax_uid, video_transfer_syntaxes[i]))
      return TRUE;
  return FALSE;
}

static void
context_clear (gpointer data)
{
  Context *c = (Context *) data;

  g_free (c->sop_class_uid);
  g_free (c->transfer_syntax_uid);
}

/* "Secondary Capture Image Storage (1.2.840.10008.5.1.4.1.1.7)", or the UID alone. DCMTK
 * names UIDs by keyword ("SecondaryCaptureImageStorage"); a PACS admin reads words. */
static char *
describe_uid (const char *uid)
{
  const char *name = dcmFindNameOfUID (uid, NULL);

  if (name == NULL)
    return g_strdup (uid);

  GString *words = g_string_new (NULL);

  for (gsize i = 0; name[i] != '\0'; i++)
    {
      if (i > 0 && g_ascii_isupper (name[i]) &&
          (g_ascii_islower (name[i - 1]) ||
           (g_ascii_isupper (name[i - 1]) && g_ascii_islower (name[i + 1]))))
        g_string_append_c (words, ' ');
      g_string_append_c (words, name[i]);
    }
  g_string_append_printf (words, " (%s)", uid);
  return g_string_free (words, FALSE);
}

static gboolean
has_context (GArray     *contexts,
             const char *sop_class_uid,
             const char *transfer_syntax_uid)
{
  for (guint i = 0; i < contexts->len; i++)
    {
      Context *c = &g_array_index (contexts, Context, i);

      if (g_str_equal (c->sop_class_uid, sop_class_uid) &&
          g_str_equal (c->transfer_syntax_uid, transfer_syntax_uid))
        return TRUE;
    }
  return FALSE;
}

/* The contexts one (SOP class, stored transfer syntax) pair needs, each transfer syntax in its
 * own context so that the PACS can accept or refuse each one. */
static guint
contexts_for_pair (const FerryDicomContextRequest *request,
                   gboolean                        decompress,
                   const char                    **out)
{
  guint n = 0;

  if (!decompress)
    out[n++] = request->transfer_syntax_uid;
  if (is_video (request->transfer_syntax_uid))
    return n;
  if (decompress || !g_str_equal (request->transfer_syntax_uid, UID_LittleEndianExplicitTransferSyntax))
    out[n++] = UID_LittleEndianExplicitTransferSyntax;
  if (decompress || !g_str_equal (request->transfer_syntax_uid, UID_LittleEndianImplicitTransferSyntax))
    out[n++] = UID_LittleEndianImplicitTransferSyntax;
  return n;
}

static FerryDicomSendError
send_error_for_failure (FerryDicomRequestFailure failure)
{
  switch (failure)
    {
    case FERRY_DICOM_REQUEST_FAILURE_REFUSED:
    case FERRY_DICOM_REQUEST_FAILURE_UNKNOWN_HOST:
    case FERRY_DICOM_REQUEST_FAILURE_UNREACHABLE:
      return FERRY_DICOM_SEND_ERROR_CONNECT;
    case FERRY_DICOM_REQUEST_FAILURE_TIMEOUT:
      return FERRY_DICOM_SEND_ERROR_TIMEOUT;
    case FERRY_DICOM_REQUEST_FAILURE_REJECTED_TRANSIENT:
      return FERRY_DICOM_SEND_ERROR_REJECTED_TRANSIENT;
    case FERRY_DICOM_REQUEST_FAILURE_REJECTED_PERMANENT:
      return FERRY_DICOM_SEND_ERROR_REJECTED_PERMANENT;
    case FERRY_DICOM_REQUEST_FAILURE_ABORTED:
      return FERRY_DICOM_SEND_ERROR_ABORTED;
    case FERRY_DICOM_REQUEST_FAILURE_OTHER:
    default:
      return FERRY_DICOM_SEND_ERROR_PROTOCOL;
    }
}

static void
sender_free (FerryDicomSender *sender)
{
  if (sender->assoc != NULL)
    {
      ASC_dropAssociation (sender->assoc);
      ASC_destroyAssociation (&sender->assoc);
    }
  if (sender->net != NULL)
    ASC_dropNetwork (&sender->net);
  if (sender->fd >= 0)
    close (sender->fd);
  g_array_unref (sender->contexts);
  g_free (sender->peer);
  g_free (sender->character_set);
  g_mutex_clear (&sender->lock);
  g_free (sender);
}

/**
 * ferry_dicom_sender_open:
 *
 * See ferry-dicom-send.h.
 */
FerryDicomSender *
ferry_dicom_sender_open (const FerryDicomSendOptions     *options,
                         const FerryDicomContextRequest  *contexts,
                         guint                            n_contexts,
                         GError                         **error)
{
  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (options->host != NULL, NULL);
  g_return_val_if_fail (options->calling_ae != NULL && options->called_ae != NULL, NULL);
  g_return_val_if_fail (n_contexts == 0 || contexts != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  for (guint i = 0; i < n_contexts; i++)
    g_return_val_if_fail (contexts[i].sop_class_uid != NULL &&
                            contexts[i].transfer_syntax_uid != NULL, NULL);

  FerryDicomSender *sender = g_new0 (FerryDicomSender, 1);

  g_mutex_init (&sender->lock);
  sender->fd = -1;
  sender->contexts = g_array_new (FALSE, TRUE, sizeof (Context));
  g_array_set_clear_func (sender->contexts, context_clear);
  sender->timeout_seconds =
    options->timeout_seconds != 0 ? options->timeout_seconds : DEFAULT_TIMEOUT_SECONDS;
  sender->decompress = options->decompress;
  sender->peer = g_strdup_printf ("%s:%u", options->host, options->port);
  if (options->character_set != NULL && options->character_set[0] != '\0')
    sender->character_set = g_strstrip (g_strdup (options->character_set));
  sender->next_message_id = 1;

  FERRY_DICOM_GUARD_BEGIN

  T_ASC_Parameters *params = NULL;
  g_autofree char *message = NULL;
  FerryDicomRequestFailure failure;
  OFCondition cond;
  int fd;

  cond = ASC_initializeNetwork (NET_REQUESTOR, 0, (int) sender->timeout_seconds, &sender->net);
  if (cond.bad ())
    {
      g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_PROTOCOL,
                   _("Could not initialise the network: %s"), cond.text ());
      sender_free (sender);
      return NULL;
    }

  params = _ferry_dicom_association_parameters_new (options->calling_ae, options->called_ae,
                                                    options->host, options->port,
                                                    options->max_pdu, &message);
  if (params == NULL)
    {
      g_set_error_literal (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_PROTOCOL,
                           message);
      sender_free (sender);
      return NULL;
    }

  for (guint i = 0; i < n_contexts; i++)
    {
      const char *syntaxes[3];
      guint n, added = 0;

      n = contexts_for_pair (&contexts[i], sender->decompress, syntaxes);
      for (guint j = 0; j < n; j++)
        if (!has_context (sender->contexts, contexts[i].sop_class_uid, syntaxes[j]))
          syntaxes[added++] = syntaxes[j];

      /* A pair gets all of its contexts or none; later pairs may still fit. */
      if (sender->contexts->len + added > MAX_CONTEXTS)
        {
          g_info ("Leaving %s in %s out of the association with %s: over %d presentation "
                  "contexts", contexts[i].sop_class_uid, contexts[i].transfer_syntax_uid,
                  sender->peer, MAX_CONTEXTS);
          continue;
        }

      for (guint j = 0; j < added; j++)
        {
          Context c = { 0, };

          c.id = (T_ASC_PresentationContextID) (2 * sender->contexts->len + 1);
          c.sop_class_uid = g_strdup (contexts[i].sop_class_uid);
          c.transfer_syntax_uid = g_strdup (syntaxes[j]);
          g_array_append_val (sender->contexts, c);

          cond = ASC_addPresentationContext (params, c.id, c.sop_class_uid, &syntaxes[j], 1);
          if (cond.bad ())
            {
              g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_PROTOCOL,
                           _("Could not prepare the association (%s)"), cond.text ());
              ASC_destroyAssociationParameters (&params);
              sender_free (sender);
              return NULL;
            }
        }
    }

  sender->assoc = _ferry_dicom_request_association (sender->net, params, options->host,
                                                    options->port, sender->timeout_seconds,
                                                    &failure, &message);
  if (sender->assoc == NULL)
    {
      g_set_error_literal (error, FERRY_DICOM_SEND_ERROR, send_error_for_failure (failure),
                           message);
      sender_free (sender);
      return NULL;
    }

  for (guint i = 0; i < sender->contexts->len; i++)
    {
      Context *c = &g_array_index (sender->contexts, Context, i);
      T_ASC_PresentationContext pc;

      if (ASC_findAcceptedPresentationContext (sender->assoc->params, c->id, &pc).good () &&
          pc.resultReason == ASC_P_ACCEPTANCE &&
          g_str_equal (pc.acceptedTransferSyntax, c->transfer_syntax_uid))
        c->accepted = TRUE;
    }

  /* abort() shuts this copy down: the association's own descriptor may be closed by DCMTK
   * while another thread still holds its number. */
  fd = _ferry_dicom_association_socket (sender->assoc);
  sender->fd = fd >= 0 ? fcntl (fd, F_DUPFD_CLOEXEC, 0) : -1;
  sender->usable = TRUE;
  return sender;

  FERRY_DICOM_GUARD_END (error, (sender_free (sender), (FerryDicomSender *) NULL))
}

/* The accepted context for an object, or NULL with @error set. */
static const Context *
choose_context (FerryDicomSender *sender,
                const char       *sop_class_uid,
                const char       *transfer_syntax_uid,
                GError          **error)
{
  const char *order[3];
  guint n = 0;

  if (!sender->decompress)
    order[n++] = transfer_syntax_uid;
  if (!is_video (transfer_syntax_uid))
    {
      order[n++] = UID_LittleEndianExplicitTransferSyntax;
      order[n++] = UID_LittleEndianImplicitTransferSyntax;
    }

  for (guint k = 0; k < n; k++)
    for (guint i = 0; i < sender->contexts->len; i++)
      {
        const Context *c = &g_array_index (sender->contexts, Context, i);

        if (c->accepted && g_str_equal (c->sop_class_uid, sop_class_uid) &&
            g_str_equal (c->transfer_syntax_uid, order[k]))
          return c;
      }

  g_autofree char *sop_class = describe_uid (sop_class_uid);
  g_autofree char *syntax = describe_uid (transfer_syntax_uid);

  g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_NO_CONTEXT,
               _("%s accepted no presentation context for %s in %s"), sender->peer, sop_class,
               syntax);
  return NULL;
}

static char *
charset_of (DcmDataset *dataset)
{
  OFString value;

  if (dataset->findAndGetOFStringArray (DCM_SpecificCharacterSet, value, OFFalse).bad ())
    return g_strdup ("");
  return g_strstrip (g_strdup (value.c_str ()));
}

static gboolean
is_ascii (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if ((guchar) *p >= 0x80)
      return FALSE;
  return TRUE;
}

static gboolean
ensure_utf8 (DcmDataset *dataset,
             const char *tag,
             GError    **error)
{
  g_autofree char *charset = charset_of (dataset);

  if (g_str_equal (charset, UTF8_CHARSET))
    return TRUE;

  OFCondition cond = dataset->convertToUTF8 ();

  if (cond.bad ())
    {
      g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_CHARSET,
                   _("Cannot set %s to a value with non-ASCII characters: the object’s text "
                     "cannot be converted from “%s” to UTF-8 (%s)"),
                   tag, charset[0] != '\0' ? charset : "ISO_IR 6", cond.text ());
      return FALSE;
    }
  return TRUE;
}

static gboolean
apply_coercions (DcmDataset               *dataset,
                 const FerryDicomCoercion *coercions,
                 guint                     n_coercions,
                 GError                  **error)
{
  for (guint i = 0; i < n_coercions; i++)
    {
      const FerryDicomCoercion *c = &coercions[i];
      guint16 group, element;
      OFCondition cond;

      if (c->tag == NULL || !ferry_dicom_parse_tag (c->tag, &group, &element, error))
        {
          if (c->tag == NULL)
            g_set_error_literal (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_COERCION,
                                 _("A coercion names no attribute"));
          return FALSE;
        }

      /* The command and the file meta information are Ferry's to write, not a rule's. */
      if (group < 0x0008)
        {
          g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_COERCION,
                       _("%s cannot be coerced: only attributes of the dataset can"), c->tag);
          return FALSE;
        }

      DcmTagKey key (group, element);

      switch (c->action)
        {
        case FERRY_DICOM_COERCE_SET:
          {
            const char *value = c->value != NULL ? c->value : "";

            if (!g_utf8_validate (value, -1, NULL))
              {
                g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_COERCION,
                             _("The value for %s is not valid UTF-8"), c->tag);
                return FALSE;
              }
            if (!is_ascii (value) && !ensure_utf8 (dataset, c->tag, error))
              return FALSE;
            cond = dataset->putAndInsertString (DcmTag (key), value, OFTrue);
            break;
          }

        case FERRY_DICOM_COERCE_COPY:
          {
            guint16 from_group, from_element;
            DcmElement *from = NULL;
            OFString value;

            if (c->value == NULL ||
                !ferry_dicom_parse_tag (c->value, &from_group, &from_element, error))
              {
                if (c->value == NULL)
                  g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_COERCION,
                               _("The copy to %s names no attribute to copy from"), c->tag);
                return FALSE;
              }
            if (dataset->findAndGetElement (DcmTagKey (from_group, from_element), from, OFFalse)
                  .bad () ||
                from == NULL)
              {
                dataset->findAndDeleteElement (key, OFFalse, OFFalse);
                continue;
              }
            if (from->getLength () > 0 && from->getOFStringArray (value, OFFalse).bad ())
              {
                g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_COERCION,
                             _("%s cannot be copied to %s: it holds no text"), c->value, c->tag);
                return FALSE;
              }
            cond = dataset->putAndInsertString (DcmTag (key), value.c_str (), OFTrue);
            break;
          }

        case FERRY_DICOM_COERCE_REMOVE:
          dataset->findAndDeleteElement (key, OFFalse, OFFalse);
          continue;

        default:
          g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_COERCION,
                       _("Unknown coercion %d for %s"), (int) c->action, c->tag);
          return FALSE;
        }

      if (cond.bad ())
        {
          g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_COERCION,
                       _("%s could not be set: %s"), c->tag, cond.text ());
          return FALSE;
        }
    }
  return TRUE;
}

/* A failed DIMSE exchange leaves the association in an unknown state: it is not usable. */
static void
set_dimse_error (FerryDicomSender  *sender,
                 const OFCondition &cond,
                 gint64             started,
                 GError           **error)
{
  gboolean aborted;
  g_autofree char *text = g_ascii_strdown (cond.text () ? cond.text () : "", -1);
  gint64 elapsed = g_get_monotonic_time () - started;

  g_mutex_lock (&sender->lock);
  sender->usable = FALSE;
  aborted = sender->aborted;
  g_mutex_unlock (&sender->lock);

  if (aborted)
    g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_ABORTED,
                 _("The transfer to %s was cancelled"), sender->peer);
  /* A socket timeout comes back as a failed read or write; the time it took tells it apart
   * from a peer that closed the connection. */
  else if (cond == DIMSE_NODATAAVAILABLE || cond == DUL_READTIMEOUT ||
           strstr (text, "timed out") != NULL || strstr (text, "timeout") != NULL ||
           strstr (text, "temporarily unavailable") != NULL ||
           elapsed >= (gint64) sender->timeout_seconds * G_TIME_SPAN_SECOND * 9 / 10)
    g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_TIMEOUT,
                 _("%s did not answer the C-STORE within %u s"), sender->peer,
                 sender->timeout_seconds);
  else if (cond == DUL_PEERABORTEDASSOCIATION || cond == DUL_NETWORKCLOSED ||
           cond == DUL_PEERREQUESTEDRELEASE || strstr (text, "abort") != NULL ||
           strstr (text, "closed") != NULL || strstr (text, "reset") != NULL ||
           strstr (text, "broken pipe") != NULL)
    g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_ABORTED,
                 _("%s aborted the association or closed the connection during a C-STORE"),
                 sender->peer);
  else
    {
      g_autofree char *detail = g_strdup (cond.text () ? cond.text () : "");

      g_strdelimit (detail, "\r\n", ' ');
      g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_PROTOCOL,
                   _("The C-STORE to %s failed (%s)"), sender->peer, g_strstrip (detail));
    }
}

static gboolean
sender_store (FerryDicomSender         *sender,
              const char               *path,
              const FerryDicomCoercion *coercions,
              guint                     n_coercions,
              guint16                  *status,
              char                    **error_comment,
              GError                  **error)
{
  DcmFileFormat file;
  OFCondition cond;
  gboolean from_file;

  /* Only what the choice of context needs: the rest is read when it is sent. */
  cond = file.loadFileUntilTag (path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength,
                                ERM_autoDetect, DCM_PixelData);
  if (cond.bad ())
    {
      g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_FILE,
                   _("Cannot read the DICOM file %s: %s"), path, cond.text ());
      return FALSE;
    }

  DcmDataset *dataset = file.getDataset ();
  E_TransferSyntax stored = dataset->getOriginalXfer ();
  DcmXfer stored_xfer (stored);
  OFString sop_class, sop_instance;
  g_autofree char *charset = charset_of (dataset);

  if (dataset->findAndGetOFString (DCM_SOPClassUID, sop_class).bad () || sop_class.empty () ||
      dataset->findAndGetOFString (DCM_SOPInstanceUID, sop_instance).bad () ||
      sop_instance.empty ())
    {
      g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_FILE,
                   _("The DICOM file %s has no SOP Class or SOP Instance UID"), path);
      return FALSE;
    }

  const Context *context = choose_context (sender, sop_class.c_str (), stored_xfer.getXferID (),
                                           error);
  if (context == NULL)
    return FALSE;

  E_TransferSyntax target = DcmXfer (context->transfer_syntax_uid).getXfer ();
  gboolean recode = sender->character_set != NULL &&
                    !g_str_equal (sender->character_set, charset);

  /* Untouched objects go from the file: DCMTK reads large values from it as it sends, so a big
   * object is not held in memory twice. */
  from_file = n_coercions == 0 && !recode && target == stored;

  if (!from_file)
    {
      cond = file.loadFile (path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect);
      if (cond.bad ())
        {
          g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_FILE,
                       _("Cannot read the DICOM file %s: %s"), path, cond.text ());
          return FALSE;
        }
      dataset = file.getDataset ();

      if (!apply_coercions (dataset, coercions, n_coercions, error))
        return FALSE;

      if (sender->character_set != NULL)
        {
          g_autofree char *current = charset_of (dataset);

          if (!g_str_equal (current, sender->character_set))
            {
              cond = dataset->convertCharacterSet (sender->character_set, 0, OFFalse);
              if (cond.bad ())
                {
                  g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_CHARSET,
                               _("The text of this object cannot be converted from “%s” to "
                                 "“%s”, the character set %s expects (%s)"),
                               current[0] != '\0' ? current : "ISO_IR 6", sender->character_set,
                               sender->peer, cond.text ());
                  return FALSE;
                }
            }
        }

      if (target != stored)
        {
          /* Decoding fails for syntaxes without a codec (JPEG 2000 in Debian's DCMTK); what
           * matters is whether the result can be written. */
          (void) dataset->chooseRepresentation (target, NULL);
          if (!dataset->canWriteXfer (target))
            {
              g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_DECOMPRESS,
                           _("%s accepts this object only uncompressed, and Ferry cannot "
                             "decompress %s (%s)"),
                           sender->peer, stored_xfer.getXferName (), stored_xfer.getXferID ());
              return FALSE;
            }
        }

      if (dataset->findAndGetOFString (DCM_SOPClassUID, sop_class).bad () ||
          dataset->findAndGetOFString (DCM_SOPInstanceUID, sop_instance).bad ())
        {
          g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_COERCION,
                       _("The coercions removed the SOP Class or SOP Instance UID"));
          return FALSE;
        }
    }

  T_DIMSE_C_StoreRQ request;
  T_DIMSE_C_StoreRSP response;
  DcmDataset *status_detail = NULL;
  gint64 started;

  memset (&request, 0, sizeof request);
  memset (&response, 0, sizeof response);
  request.MessageID = sender->next_message_id++;
  if (sender->next_message_id == 0)
    sender->next_message_id = 1;
  g_strlcpy (request.AffectedSOPClassUID, sop_class.c_str (), sizeof request.AffectedSOPClassUID);
  g_strlcpy (request.AffectedSOPInstanceUID, sop_instance.c_str (),
             sizeof request.AffectedSOPInstanceUID);
  request.DataSetType = DIMSE_DATASET_PRESENT;
  request.Priority = DIMSE_PRIORITY_MEDIUM;

  started = g_get_monotonic_time ();
  cond = DIMSE_storeUser (sender->assoc, context->id, &request, from_file ? path : NULL,
                          from_file ? NULL : dataset, NULL, NULL, DIMSE_NONBLOCKING,
                          (int) sender->timeout_seconds, &response, &status_detail);
  if (cond.bad ())
    {
      delete status_detail;
      set_dimse_error (sender, cond, started, error);
      return FALSE;
    }

  *status = response.DimseStatus;
  if (error_comment != NULL)
    {
      OFString comment;

      *error_comment = NULL;
      if (status_detail != NULL &&
          status_detail->findAndGetOFString (DCM_ErrorComment, comment).good ())
        *error_comment = g_strdup (comment.c_str ());
    }
  delete status_detail;
  return TRUE;
}

/**
 * ferry_dicom_sender_store:
 *
 * See ferry-dicom-send.h.
 */
gboolean
ferry_dicom_sender_store (FerryDicomSender          *sender,
                          const char                *path,
                          const FerryDicomCoercion  *coercions,
                          guint                      n_coercions,
                          guint16                   *status,
                          char                     **error_comment,
                          GError                   **error)
{
  g_return_val_if_fail (sender != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (n_coercions == 0 || coercions != NULL, FALSE);
  g_return_val_if_fail (status != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (error_comment != NULL)
    *error_comment = NULL;

  if (!ferry_dicom_sender_is_usable (sender))
    {
      g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_ABORTED,
                   _("The association with %s is no longer usable"), sender->peer);
      return FALSE;
    }

  FERRY_DICOM_GUARD_BEGIN

  return sender_store (sender, path, coercions, n_coercions, status, error_comment, error);

  FERRY_DICOM_GUARD_END (error, FALSE)
}

/**
 * ferry_dicom_sender_is_usable:
 * @sender: an association
 *
 * Returns: %TRUE while the association can carry another object: %FALSE after abort, a timeout,
 *   or a failure of the connection or of the protocol
 */
gboolean
ferry_dicom_sender_is_usable (FerryDicomSender *sender)
{
  gboolean usable;

  g_return_val_if_fail (sender != NULL, FALSE);

  g_mutex_lock (&sender->lock);
  usable = sender->usable && !sender->aborted;
  g_mutex_unlock (&sender->lock);
  return usable;
}

/**
 * ferry_dicom_sender_abort:
 * @sender: an association that has not been closed
 *
 * Any thread. Shuts the socket down, so that a call blocked on it returns with
 * FERRY_DICOM_SEND_ERROR_ABORTED at once; the association is not usable afterwards.
 */
void
ferry_dicom_sender_abort (FerryDicomSender *sender)
{
  g_return_if_fail (sender != NULL);

  g_mutex_lock (&sender->lock);
  sender->aborted = TRUE;
  sender->usable = FALSE;
  if (sender->fd >= 0)
    shutdown (sender->fd, SHUT_RDWR);
  g_mutex_unlock (&sender->lock);
}

/**
 * ferry_dicom_sender_close:
 * @sender: (transfer full): an association
 *
 * Releases the association when it is usable, aborts it otherwise, and frees @sender. Not while
 * another thread may still call ferry_dicom_sender_abort() on it.
 */
void
ferry_dicom_sender_close (FerryDicomSender *sender)
{
  if (sender == NULL)
    return;

  try
    {
      if (sender->assoc != NULL)
        {
          if (ferry_dicom_sender_is_usable (sender))
            {
              /* A peer that fumbles the release gets an abort; the objects were confirmed. */
              if (ASC_releaseAssociation (sender->assoc).bad ())
                ASC_abortAssociation (sender->assoc);
            }
          else
            ASC_abortAssociation (sender->assoc);
        }
    }
  catch (...)
    {
      g_info ("Internal error while closing the association with %s", sender->peer);
    }

  g_mutex_lock (&sender->lock);
  if (sender->fd >= 0)
    close (sender->fd);
  sender->fd = -1;
  g_mutex_unlock (&sender->lock);

  sender_free (sender);
}
