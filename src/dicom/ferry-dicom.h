/* ferry-dicom.h: the plain C API over DCMTK
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * This header is the only door to DCMTK. Nothing above src/dicom/ includes a DCMTK header; the
 * implementation files (ferry-dicom-*.cc) guard every exported body so that no C++ exception
 * crosses it, and turn every OFCondition into a GError in the FERRY_DICOM_ERROR domain.
 *
 * Thread rules: ferry_dicom_init() runs once on the main thread before any other thread starts.
 * After that every function may be called from any thread. Callbacks given to the storage SCP
 * run on the association's own thread; they must not touch objects that the UI binds to.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FERRY_DICOM_ERROR (ferry_dicom_error_quark ())

typedef enum {
  FERRY_DICOM_ERROR_FAILED,
  FERRY_DICOM_ERROR_DICTIONARY,     /* the data dictionary is not loaded */
  FERRY_DICOM_ERROR_PORT_IN_USE,    /* the listening port is taken */
  FERRY_DICOM_ERROR_NETWORK,        /* connection refused, no route, reset */
  FERRY_DICOM_ERROR_TIMEOUT,        /* the peer did not answer in time */
  FERRY_DICOM_ERROR_REJECTED,       /* the peer rejected the association */
  FERRY_DICOM_ERROR_PARSE,          /* the object is not readable DICOM */
  FERRY_DICOM_ERROR_HOSTILE,        /* the object's structure is out of bounds (pre-scan) */
} FerryDicomError;

GQuark ferry_dicom_error_quark (void);

/* DIMSE status words Ferry answers with. */
#define FERRY_DICOM_STATUS_SUCCESS                0x0000
#define FERRY_DICOM_STATUS_OUT_OF_RESOURCES       0xA700
#define FERRY_DICOM_STATUS_DATASET_MISMATCH       0xA900
#define FERRY_DICOM_STATUS_CANNOT_UNDERSTAND      0xC000
#define FERRY_DICOM_STATUS_SOP_CLASS_UNSUPPORTED  0x0122

/**
 * ferry_dicom_init:
 * @error: return location for a #GError
 *
 * Initialises the DICOM layer once per process: checks that the data dictionary is loaded
 * (an error that says how to fix it otherwise), routes DCMTK's log into GLib's structured log
 * at info/message level (the DCMTK level travels as the field FERRY_DCMTK_LEVEL), registers the
 * JPEG, JPEG-LS and RLE codecs, turns reverse DNS off and sets the socket-level defaults.
 *
 * Call it on the main thread after setting the TCP_NODELAY environment variable and before any
 * thread starts. Calling it again is harmless.
 *
 * Returns: %TRUE on success
 */
gboolean     ferry_dicom_init                          (GError **error);

/* Ferry's Implementation Class UID and Version Name, announced on associations and in files. */
const char  *ferry_dicom_implementation_class_uid      (void);
const char  *ferry_dicom_implementation_version_name   (void);

/* ------------------------------------------------------------------------------------------ */
/* Pre-scan: a bounded structural check on bytes received, before any full parse.             */

typedef struct {
  guint   max_depth;          /* sequence nesting depth; 0 means the default (32) */
  guint64 max_inflated_size;  /* bound for deflated transfer syntax; 0 means 4 GiB */
} FerryDicomPrescanLimits;

typedef struct {
  char *sop_class_uid;        /* (0008,0016) of the dataset, or NULL when absent */
  char *sop_instance_uid;     /* (0008,0018) of the dataset, or NULL when absent */
  char *transfer_syntax_uid;  /* (0002,0010) of the file meta information */
  guint max_depth_seen;
  guint64 element_count;
} FerryDicomPrescanResult;

/**
 * ferry_dicom_prescan_file:
 * @path: a Part 10 file (preamble, "DICM", file meta information, dataset)
 * @limits: (nullable): bounds, or %NULL for the defaults
 * @result: (out caller-allocates): filled on success; free with ferry_dicom_prescan_result_clear()
 * @error: return location for a #GError; FERRY_DICOM_ERROR_HOSTILE names what was out of bounds
 *
 * Walks the dataset structure without DCMTK, reading the file in bounded chunks: explicit and
 * implicit VR little endian, explicit big endian, deflated (inflated with a bound) and
 * encapsulated pixel data. Every declared length is checked against what remains, undefined
 * lengths must be closed by their delimiters, and sequence nesting deeper than the limit is
 * refused. It never recurses on the C stack. Pure C, safe on any thread.
 *
 * Returns: %TRUE when the structure is sound
 */
gboolean     ferry_dicom_prescan_file                  (const char                    *path,
                                                        const FerryDicomPrescanLimits *limits,
                                                        FerryDicomPrescanResult       *result,
                                                        GError                       **error);
/* The same on a Part 10 image held in memory. */
gboolean     ferry_dicom_prescan_buffer                (const guint8                  *data,
                                                        gsize                          length,
                                                        const FerryDicomPrescanLimits *limits,
                                                        FerryDicomPrescanResult       *result,
                                                        GError                       **error);
void         ferry_dicom_prescan_result_clear          (FerryDicomPrescanResult       *result);

/* ------------------------------------------------------------------------------------------ */
/* Attributes Ferry indexes.                                                                  */

/* Text values are the raw bytes of the element (trailing padding removed), in the object's own
 * character set; core converts them to UTF-8. NULL when the element is absent. */
typedef struct {
  char *sop_class_uid;
  char *sop_instance_uid;
  char *study_instance_uid;
  char *series_instance_uid;
  char *transfer_syntax_uid;
  char *specific_character_set;
  char *patient_id;
  char *patient_name;
  char *patient_birth_date;
  char *patient_sex;
  char *accession_number;
  char *study_id;
  char *study_date;
  char *study_time;
  char *study_description;
  char *referring_physician_name;
  char *performing_physician_name;   /* the attributes a device profile may name as its */
  char *operators_name;              /* physician's (FerryPhysicianTag) */
  char *physicians_reading_study;
  char *persons_telecom_information;
  char *modality;
  char *series_number;
  char *series_description;
  char *instance_number;
  char *number_of_frames;
} FerryDicomAttributes;

/**
 * ferry_dicom_read_attributes:
 * @path: a Part 10 file that passed ferry_dicom_prescan_file()
 * @attributes: (out caller-allocates): filled on success; free with ferry_dicom_attributes_clear()
 * @error: return location for a #GError
 *
 * Reads the indexed attributes, stopping before the pixel data.
 *
 * Returns: %TRUE on success
 */
gboolean     ferry_dicom_read_attributes               (const char            *path,
                                                        FerryDicomAttributes  *attributes,
                                                        GError               **error);
void         ferry_dicom_attributes_clear              (FerryDicomAttributes  *attributes);

/* ------------------------------------------------------------------------------------------ */
/* Verification SCU.                                                                          */

/**
 * ferry_dicom_echo:
 * @host: a host name or numeric address
 * @port: the peer's port
 * @calling_ae: our AE title
 * @called_ae: the peer's AE title
 * @timeout_seconds: connect, ACSE and DIMSE timeout; also set on the socket
 * @error: return location for a #GError; the message says why in words a PACS admin knows
 *   ("association rejected: called AE title not recognised", "connection refused", "timed out")
 *
 * Opens an association proposing Verification, sends C-ECHO and releases. Blocking: run it in
 * a worker thread.
 *
 * Returns: %TRUE when the peer answered with status Success
 */
gboolean     ferry_dicom_echo                          (const char  *host,
                                                        guint16      port,
                                                        const char  *calling_ae,
                                                        const char  *called_ae,
                                                        guint        timeout_seconds,
                                                        GError     **error);

/* ------------------------------------------------------------------------------------------ */
/* Verification and Storage SCP.                                                              */

typedef struct _FerryDicomScp FerryDicomScp;

typedef struct {
  const char *calling_ae;     /* trimmed */
  const char *called_ae;      /* trimmed */
  const char *peer_address;   /* numeric IPv4, never resolved */
} FerryDicomAssociationInfo;

typedef enum {
  FERRY_DICOM_ASSOCIATION_ACCEPT,
  FERRY_DICOM_ASSOCIATION_REJECT_CALLED_AE,   /* permanent, "called AE title not recognised" */
  FERRY_DICOM_ASSOCIATION_REJECT_CALLING_AE,  /* permanent, "calling AE title not recognised" */
  FERRY_DICOM_ASSOCIATION_REJECT_BUSY,        /* transient, "local limit exceeded" */
} FerryDicomAssociationDecision;

/* Runs on the accept thread for every association request; must be quick. */
typedef FerryDicomAssociationDecision (*FerryDicomAssociationFunc) (const FerryDicomAssociationInfo *info,
                                                                     gpointer                         user_data);

typedef struct {
  const char *calling_ae;
  const char *peer_address;
  const char *sop_class_uid;        /* Affected SOP Class UID of the C-STORE request */
  const char *sop_instance_uid;     /* Affected SOP Instance UID of the C-STORE request */
  const char *transfer_syntax_uid;  /* of the presentation context */
  const char *spool_path;           /* a complete Part 10 file in the spool directory */
  int         spool_fd;             /* open read/write on spool_path, owned by the SCP */
  guint64     size;                 /* bytes written to spool_path */
  int         write_errno;          /* 0, or the errno of the first failed write (e.g. ENOSPC) */
} FerryDicomStoreRequest;

/* Runs on the association's thread once the whole dataset is in the spool file. The callback
 * takes the file (renames it into the archive) or leaves it; the SCP unlinks whatever is left at
 * spool_path afterwards. Returns the DIMSE status to answer with. @error_comment (nullable) is
 * sent as Error Comment (0000,0902) with a failure status; the SCP frees it. */
typedef guint16 (*FerryDicomStoreFunc) (const FerryDicomStoreRequest  *request,
                                        char                         **error_comment,
                                        gpointer                       user_data);

/* Runs on the association's thread when an association ends, for logging and counters. */
typedef void (*FerryDicomAssociationEndFunc) (const FerryDicomAssociationInfo *info,
                                              guint                            stored,
                                              const char                      *error_message,
                                              gpointer                         user_data);

typedef struct {
  guint16     port;                 /* 0 lets the OS choose; read it back with _get_port() */
  const char *ae_title;             /* the called AE title Ferry answers to */
  guint       max_associations;     /* concurrent associations; 0 means 8 */
  guint       first_pdu_timeout;    /* seconds for the A-ASSOCIATE-RQ; 0 means 5 */
  guint       idle_timeout;         /* seconds of silence within an association; 0 means 60 */
  guint32     max_pdu;              /* receive PDU; 0 means 131072 */
  const char *spool_dir;            /* where incoming objects are written; same filesystem as the archive */
  FerryDicomAssociationFunc     on_association;
  FerryDicomStoreFunc           on_store;
  FerryDicomAssociationEndFunc  on_association_end;  /* nullable */
  gpointer                      user_data;
} FerryDicomScpOptions;

/**
 * ferry_dicom_scp_new:
 * @options: copied; the callbacks and @user_data must outlive the SCP
 * @error: FERRY_DICOM_ERROR_PORT_IN_USE when the port is taken, with the port in the message
 *
 * Binds the listening socket on the calling thread, so a port that is in use is reported at
 * once. Nothing is accepted until ferry_dicom_scp_start().
 *
 * Returns: (transfer full): a new SCP, or %NULL
 */
FerryDicomScp *ferry_dicom_scp_new                     (const FerryDicomScpOptions *options,
                                                        GError                    **error);
FerryDicomScp *ferry_dicom_scp_ref                     (FerryDicomScp *scp);
void           ferry_dicom_scp_unref                   (FerryDicomScp *scp);
/* The port actually bound (getsockname), useful after port 0. */
guint16        ferry_dicom_scp_get_port                (FerryDicomScp *scp);
/* Starts the accept thread. */
gboolean       ferry_dicom_scp_start                   (FerryDicomScp *scp,
                                                        GError       **error);
/* Stops accepting, lets associations in flight finish (or aborts them after @grace_seconds),
 * joins every thread and closes the listening socket. Blocking; idempotent. */
void           ferry_dicom_scp_stop                    (FerryDicomScp *scp,
                                                        guint          grace_seconds);
/* Number of associations currently running. */
guint          ferry_dicom_scp_get_active              (FerryDicomScp *scp);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryDicomScp, ferry_dicom_scp_unref)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FerryDicomAttributes, ferry_dicom_attributes_clear)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FerryDicomPrescanResult, ferry_dicom_prescan_result_clear)

G_END_DECLS
