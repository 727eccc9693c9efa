/* ferry-dicom-send.h: the Storage SCU, tag access for rules, and coercions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A plain C API over DCMTK's association-level calls (ASC_requestAssociation, DIMSE_storeUser),
 * so that Ferry owns the socket: receive/send timeouts, TCP_USER_TIMEOUT, keepalive and
 * TCP_NODELAY are set on it, and a PACS that stalls mid-transfer is dropped within the timeout
 * (DCMTK's DIMSE timeout alone does not stop it). Blocking: call from worker threads. One
 * association is used by one thread at a time; ferry_dicom_sender_abort() may be called from
 * any thread to unblock it.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FERRY_DICOM_SEND_ERROR (ferry_dicom_send_error_quark ())

typedef enum {
  FERRY_DICOM_SEND_ERROR_CONNECT,             /* TCP: refused, no route, unreachable, unknown host */
  FERRY_DICOM_SEND_ERROR_TIMEOUT,             /* connect, or the peer silent for the timeout */
  FERRY_DICOM_SEND_ERROR_REJECTED_TRANSIENT,  /* A-ASSOCIATE-RJ, result "rejected (transient)" */
  FERRY_DICOM_SEND_ERROR_REJECTED_PERMANENT,  /* A-ASSOCIATE-RJ, result "rejected (permanent)" */
  FERRY_DICOM_SEND_ERROR_ABORTED,             /* A-ABORT, or the connection closed */
  FERRY_DICOM_SEND_ERROR_NO_CONTEXT,          /* no accepted presentation context can carry this
                                               * object (SOP class refused, or only a transfer
                                               * syntax it cannot be converted to) */
  FERRY_DICOM_SEND_ERROR_DECOMPRESS,          /* the object cannot be decompressed (e.g. JPEG
                                               * 2000: no decoder) for a PACS that needs it */
  FERRY_DICOM_SEND_ERROR_FILE,                /* the archived file cannot be read or parsed */
  FERRY_DICOM_SEND_ERROR_COERCION,            /* a coercion could not be applied */
  FERRY_DICOM_SEND_ERROR_CHARSET,             /* text could not be converted to the destination's
                                               * character set */
  FERRY_DICOM_SEND_ERROR_PROTOCOL,            /* any other DIMSE/ACSE failure */
} FerryDicomSendError;

GQuark ferry_dicom_send_error_quark (void);

/* ------------------------------------------------------------------------------------------ */
/* Tags.                                                                                      */

/* Parses a DICOM keyword ("PatientID", from the data dictionary) or "gggg,eeee" / "(gggg,eeee)"
 * in hex. The error message names the text and says what is expected. */
gboolean     ferry_dicom_parse_tag          (const char   *text,
                                             guint16      *group,
                                             guint16      *element,
                                             GError      **error);

/* The name DICOM gives @uid ("CT Image Storage"), or NULL when the dictionary does not know it.
 * Static storage. */
const char  *ferry_dicom_uid_name           (const char   *uid);

/* Reads the values of @tags (as accepted by ferry_dicom_parse_tag()) from the top level of the
 * dataset of the Part 10 file @path, stopping before the pixel data. @values gets @n_tags
 * strings (transfer full): the raw bytes of the value, WITHOUT character set conversion (core
 * converts them with its own charset code and the device's fallback; read Specific Character
 * Set (0008,0005) with the same call when needed); binary VRs (US, UL, FD, …) as decimal text;
 * multiple values joined with a backslash, trailing spaces and NULs removed; NULL when the
 * attribute is absent; "" when present and empty (and for a sequence). On failure every entry of
 * @values is NULL and @error is FERRY_DICOM_SEND_ERROR_FILE (the file cannot be read) or
 * _COERCION (a tag is not a DICOM attribute). Any thread. */
gboolean     ferry_dicom_read_values        (const char          *path,
                                             const char  *const  *tags,
                                             guint                n_tags,
                                             char               **values,
                                             GError             **error);

/* ------------------------------------------------------------------------------------------ */
/* Coercions, applied to the copy sent, never to the file.                                     */

typedef enum {
  FERRY_DICOM_COERCE_SET,      /* tag := value (created when absent) */
  FERRY_DICOM_COERCE_COPY,     /* tag := the value of the tag named by value (absent: tag removed) */
  FERRY_DICOM_COERCE_REMOVE,   /* tag removed (absent: nothing) */
} FerryDicomCoerceAction;

typedef struct {
  FerryDicomCoerceAction  action;
  const char             *tag;
  const char             *value;   /* UTF-8 */
} FerryDicomCoercion;

/* ------------------------------------------------------------------------------------------ */
/* The Storage SCU.                                                                           */

typedef struct {
  const char *host;             /* host name or numeric address */
  guint16     port;
  const char *calling_ae;       /* Ferry's sender AE title */
  const char *called_ae;        /* the PACS's AE title */
  guint       timeout_seconds;  /* connect, ACSE, DIMSE and socket silence; 0 means 30 */
  guint32     max_pdu;          /* receive PDU; 0 means 131072 */
  gboolean    decompress;       /* propose only explicit and implicit little endian */
  const char *character_set;    /* (nullable) convert text of objects sent to this Specific
                                 * Character Set (e.g. "ISO_IR 100"); NULL or "": unchanged */
} FerryDicomSendOptions;

/* What will be sent over the association: one entry per distinct (SOP class, stored transfer
 * syntax) pair. The SCU proposes, per pair, the stored syntax in its own context, and explicit
 * and implicit little endian each in their own context, except for video syntaxes (MPEG-2,
 * MPEG-4/H.264, HEVC), which get no uncompressed fallback; at most 128 contexts. */
typedef struct {
  const char *sop_class_uid;
  const char *transfer_syntax_uid;
} FerryDicomContextRequest;

typedef struct _FerryDicomSender FerryDicomSender;

/**
 * ferry_dicom_sender_open:
 * @options: where and how
 * @contexts: (array length=n_contexts): what will be sent
 * @n_contexts: how many
 * @error: FERRY_DICOM_SEND_ERROR_CONNECT, _TIMEOUT, _REJECTED_TRANSIENT, _REJECTED_PERMANENT,
 *   _ABORTED or _PROTOCOL; the message says why in words a PACS admin knows ("association
 *   rejected: called AE title not recognised", "connection refused", "timed out after 30 s")
 *
 * Connects and negotiates an association. Pairs beyond the 128-context limit are left out (a
 * later ferry_dicom_sender_store() of such an object fails with _NO_CONTEXT). The TCP connect
 * itself is bounded by the process-wide 10 s of ferry_dicom_init(), not by timeout_seconds.
 *
 * Returns: (transfer full) (nullable): the association
 */
FerryDicomSender *ferry_dicom_sender_open   (const FerryDicomSendOptions     *options,
                                             const FerryDicomContextRequest  *contexts,
                                             guint                            n_contexts,
                                             GError                         **error);

/**
 * ferry_dicom_sender_store:
 * @sender: an open association
 * @path: a Part 10 file from the archive
 * @coercions: (array length=n_coercions) (nullable): applied to the copy sent
 * @n_coercions: how many
 * @status: (out): the DIMSE status of the C-STORE response
 * @error_comment: (out) (optional) (transfer full) (nullable): Error Comment (0000,0902) of the
 *   response, if any
 * @error: see #FerryDicomSendError
 *
 * Sends one object with C-STORE and waits for the response. Chooses the accepted context for
 * the object's SOP class: the stored syntax when accepted and the destination does not
 * decompress; otherwise explicit, then implicit little endian, decompressing with DCMTK's codecs
 * (JPEG, JPEG-LS, RLE). The file itself is never modified.
 *
 * Returns: %TRUE when a response arrived (whatever its status). On %FALSE,
 *   ferry_dicom_sender_is_usable() tells whether the association can carry the next object
 *   (after _NO_CONTEXT, _DECOMPRESS, _FILE, _COERCION, _CHARSET it can).
 */
gboolean     ferry_dicom_sender_store       (FerryDicomSender           *sender,
                                             const char                 *path,
                                             const FerryDicomCoercion   *coercions,
                                             guint                       n_coercions,
                                             guint16                    *status,
                                             char                      **error_comment,
                                             GError                    **error);

gboolean     ferry_dicom_sender_is_usable   (FerryDicomSender           *sender);

/* Any thread, as long as @sender is not closed: shuts the socket down, so that a blocked call
 * returns with _ABORTED soon; the association is not usable afterwards. */
void         ferry_dicom_sender_abort       (FerryDicomSender           *sender);

/* Releases the association (aborts it when it is not usable) and frees @sender. The wait for
 * the A-RELEASE-RP is bounded by the timeout. */
void         ferry_dicom_sender_close       (FerryDicomSender           *sender);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryDicomSender, ferry_dicom_sender_close)

G_END_DECLS
