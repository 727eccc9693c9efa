/* ferry-dicom-private.hh: what the DCMTK wrapper files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * C++ only. Include it after "dcmtk/config/osconfig.h" and <glib.h>.
 */

#pragma once

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmnet/assoc.h"
#include "dcmtk/dcmnet/dcmtrans.h"
#include "dcmtk/ofstd/ofcond.h"

#include <glib.h>

#include "ferry-dicom.h"

/* Ferry's Implementation Class UID: 2.25 followed by a UUID generated once for Ferry, written as
 * one decimal number (PS3.5 B.2). It never changes between releases; the version name does. */
#define FERRY_DICOM_IMPLEMENTATION_CLASS_UID    "2.25.279877017135830266050471810891192721838"
#define FERRY_DICOM_IMPLEMENTATION_VERSION_NAME "FERRY_0.2"

/* The receive PDU Ferry announces unless told otherwise; DCMTK cannot take more than 128 KiB. */
#define FERRY_DICOM_DEFAULT_MAX_PDU 131072

/* Sets @error from @condition. @prefix (nullable) says what Ferry was doing, in words a PACS
 * admin knows; the condition's own text follows it. */
void     _ferry_dicom_set_error_from_condition (GError            **error,
                                                FerryDicomError     code,
                                                const OFCondition  &condition,
                                                const char         *prefix);

/* Turns Nagle off and bounds every blocking read and write on @fd by @timeout_seconds
 * (SO_RCVTIMEO, SO_SNDTIMEO, TCP_USER_TIMEOUT), and turns keepalive on, so that a peer that
 * stalls in the middle of a PDU or vanishes cannot hold a thread forever. */
void     _ferry_dicom_configure_socket         (int                 fd,
                                                guint               timeout_seconds);

/* Turns Nagle off on @fd. */
void     _ferry_dicom_set_nodelay              (int                 fd);

/* The socket of an association, or -1. DCMTK 3.6.7 keeps DcmTransportConnection::getSocket()
 * protected; a pointer to the member, taken inside a derived class, is the sanctioned way to call
 * it from outside without patching DCMTK. */
class _FerryDicomSocketAccess : public DcmTransportConnection
{
public:
  static int
  socket_of (DcmTransportConnection *connection)
  {
    DcmNativeSocketType (DcmTransportConnection::*get) () = &_FerryDicomSocketAccess::getSocket;

    return connection != NULL ? (int) (connection->*get) () : -1;
  }
};

static inline int
_ferry_dicom_association_socket (T_ASC_Association *assoc)
{
  if (assoc == NULL || assoc->DULassociation == NULL)
    return -1;
  return _FerryDicomSocketAccess::socket_of (DUL_getTransportConnection (assoc->DULassociation));
}

/* TRUE once ferry_dicom_init() succeeded. */
gboolean _ferry_dicom_is_initialized           (void);

/* The body of every exported C++ function runs inside these, so that no exception (std::bad_alloc
 * from DCMTK, for one) crosses into C. @failure is what the function returns then. */
#define FERRY_DICOM_GUARD_BEGIN try {
#define FERRY_DICOM_GUARD_END(error, failure)                                            \
  }                                                                                      \
  catch (const std::exception &e)                                                        \
  {                                                                                      \
    g_set_error ((error), FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_FAILED,                   \
                 "Internal error in the DICOM layer: %s", e.what ());                    \
    return (failure);                                                                    \
  }                                                                                      \
  catch (...)                                                                            \
  {                                                                                      \
    g_set_error_literal ((error), FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_FAILED,           \
                         "Internal error in the DICOM layer");                           \
    return (failure);                                                                    \
  }

/* Why an association request failed, whatever error domain the caller reports it in. */
typedef enum {
  FERRY_DICOM_REQUEST_FAILURE_REFUSED,             /* nothing listens on that port */
  FERRY_DICOM_REQUEST_FAILURE_TIMEOUT,             /* connect or A-ASSOCIATE-AC too slow */
  FERRY_DICOM_REQUEST_FAILURE_UNKNOWN_HOST,
  FERRY_DICOM_REQUEST_FAILURE_UNREACHABLE,
  FERRY_DICOM_REQUEST_FAILURE_ABORTED,             /* A-ABORT, or the connection closed */
  FERRY_DICOM_REQUEST_FAILURE_REJECTED_TRANSIENT,  /* A-ASSOCIATE-RJ, rejected (transient) */
  FERRY_DICOM_REQUEST_FAILURE_REJECTED_PERMANENT,  /* A-ASSOCIATE-RJ, rejected (permanent) */
  FERRY_DICOM_REQUEST_FAILURE_OTHER,
} FerryDicomRequestFailure;

/* Connects to @host:@port and negotiates an association that proposes what @params holds
 * (_ferry_dicom_association_parameters_new() plus the caller's presentation contexts). @params
 * is consumed whatever happens. The wait for the A-ASSOCIATE-AC is bounded by
 * @timeout_seconds, the connect by dcmConnectionTimeout; the socket of the association returned
 * is configured with _ferry_dicom_configure_socket(). On failure, @failure and @message (transfer
 * full, words a PACS admin knows: "connection refused by …", "association rejected (permanent):
 * called AE title not recognised") say why, and NULL is returned. */
T_ASC_Association *_ferry_dicom_request_association (T_ASC_Network             *net,
                                                    T_ASC_Parameters          *params,
                                                    const char                *host,
                                                    guint16                    port,
                                                    guint                      timeout_seconds,
                                                    FerryDicomRequestFailure  *failure,
                                                    char                     **message);

/* Association parameters with Ferry's Implementation Class UID and Version Name, the AE titles,
 * the peer's address and a receive PDU of @max_pdu bytes (0: FERRY_DICOM_DEFAULT_MAX_PDU) and no
 * presentation context yet; NULL (with @message set, transfer full) on failure. */
T_ASC_Parameters  *_ferry_dicom_association_parameters_new (const char  *calling_ae,
                                                            const char  *called_ae,
                                                            const char  *host,
                                                            guint16      port,
                                                            guint32      max_pdu,
                                                            char       **message);
