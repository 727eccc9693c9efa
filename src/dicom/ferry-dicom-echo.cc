/* ferry-dicom-echo.cc: Verification SCU (C-ECHO) on DCMTK's association-level API
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "dcmtk/config/osconfig.h"

#define G_LOG_DOMAIN "ferry-dicom"

#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmnet/assoc.h"
#include "dcmtk/dcmnet/dcmtrans.h"
#include "dcmtk/dcmnet/dimse.h"
#include "dcmtk/dcmnet/diutil.h"

#include <exception>

#include "ferry-dicom-private.hh"

/* Message IDs only need to be unique within an association, but a process-wide counter costs
 * nothing and makes peers' logs easier to follow. */
static gint next_message_id = 1;

static const char *
reject_reason_text (const T_ASC_RejectParameters *rej)
{
  switch (rej->reason)
    {
    case ASC_REASON_SU_NOREASON:
      return "no reason given";
    case ASC_REASON_SU_APPCONTEXTNAMENOTSUPPORTED:
      return "application context name not supported";
    case ASC_REASON_SU_CALLINGAETITLENOTRECOGNIZED:
      return "calling AE title not recognised";
    case ASC_REASON_SU_CALLEDAETITLENOTRECOGNIZED:
      return "called AE title not recognised";
    case ASC_REASON_SP_ACSE_NOREASON:
      return "no reason given";
    case ASC_REASON_SP_ACSE_PROTOCOLVERSIONNOTSUPPORTED:
      return "protocol version not supported";
    case ASC_REASON_SP_PRES_TEMPORARYCONGESTION:
      return "temporary congestion";
    case ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED:
      return "local limit exceeded (too many associations)";
    default:
      return "unknown reason";
    }
}

/* Turns a failed ASC_requestAssociation into words a PACS admin knows. */
static void
set_request_error (GError           **error,
                   const OFCondition &cond,
                   T_ASC_Parameters  *params,
                   const char        *host,
                   guint16            port)
{
  if (cond == DUL_ASSOCIATIONREJECTED)
    {
      T_ASC_RejectParameters rej;

      ASC_getRejectParameters (params, &rej);
      g_set_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_REJECTED,
                   "association rejected by the peer: %s (%s)", reject_reason_text (&rej),
                   rej.result == ASC_RESULT_REJECTEDTRANSIENT ? "transient" : "permanent");
      return;
    }

  g_autofree char *text = g_ascii_strdown (cond.text () ? cond.text () : "", -1);
  g_autofree char *where = g_strdup_printf ("%s:%u", host, port);

  if (strstr (text, "refused") != NULL)
    g_set_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_NETWORK,
                 "connection refused by %s (is the DICOM service running on that port?)", where);
  else if (strstr (text, "timed out") != NULL || strstr (text, "timeout") != NULL ||
           strstr (text, "in progress") != NULL || cond == DUL_READTIMEOUT)
    g_set_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_TIMEOUT,
                 "timed out waiting for %s", where);
  else if (strstr (text, "unknown host") != NULL || strstr (text, "name or service") != NULL)
    g_set_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_NETWORK,
                 "the host name %s could not be resolved", host);
  else if (strstr (text, "unreachable") != NULL || strstr (text, "no route") != NULL)
    g_set_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_NETWORK,
                 "%s cannot be reached over the network", where);
  else if (strstr (text, "abort") != NULL)
    g_set_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_NETWORK,
                 "%s aborted the association request", where);
  else
    {
      g_autofree char *prefix = g_strdup_printf ("could not open an association with %s", where);

      _ferry_dicom_set_error_from_condition (error, FERRY_DICOM_ERROR_NETWORK, cond, prefix);
    }
}

gboolean
ferry_dicom_echo (const char  *host,
                  guint16      port,
                  const char  *calling_ae,
                  const char  *called_ae,
                  guint        timeout_seconds,
                  GError     **error)
{
  g_return_val_if_fail (host != NULL, FALSE);
  g_return_val_if_fail (calling_ae != NULL, FALSE);
  g_return_val_if_fail (called_ae != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  T_ASC_Network *net = NULL;
  T_ASC_Parameters *params = NULL;
  T_ASC_Association *assoc = NULL;
  gboolean ok = FALSE;

  if (timeout_seconds == 0)
    timeout_seconds = 30;

  FERRY_DICOM_GUARD_BEGIN

  OFCondition cond;
  g_autofree char *peer = g_strdup_printf ("%s:%u", host, port);
  const char *transfer_syntaxes[] = {
    UID_LittleEndianExplicitTransferSyntax,
    UID_LittleEndianImplicitTransferSyntax,
  };
  DIC_US status = 0;
  DcmDataset *status_detail = NULL;
  DIC_US message_id;

  cond = ASC_initializeNetwork (NET_REQUESTOR, 0, (int) timeout_seconds, &net);
  if (cond.bad ())
    {
      _ferry_dicom_set_error_from_condition (error, FERRY_DICOM_ERROR_FAILED, cond,
                                             "could not initialise the network");
      goto out;
    }

  cond = ASC_createAssociationParameters (&params, FERRY_DICOM_DEFAULT_MAX_PDU);
  if (cond.bad ())
    {
      _ferry_dicom_set_error_from_condition (error, FERRY_DICOM_ERROR_FAILED, cond,
                                             "could not prepare the association");
      goto out;
    }

  g_strlcpy (params->ourImplementationClassUID, FERRY_DICOM_IMPLEMENTATION_CLASS_UID,
             sizeof params->ourImplementationClassUID);
  g_strlcpy (params->ourImplementationVersionName, FERRY_DICOM_IMPLEMENTATION_VERSION_NAME,
             sizeof params->ourImplementationVersionName);
  ASC_setAPTitles (params, calling_ae, called_ae, NULL);
  ASC_setPresentationAddresses (params, "localhost", peer);

  cond = ASC_addPresentationContext (params, 1, UID_VerificationSOPClass, transfer_syntaxes,
                                     (int) G_N_ELEMENTS (transfer_syntaxes));
  if (cond.bad ())
    {
      _ferry_dicom_set_error_from_condition (error, FERRY_DICOM_ERROR_FAILED, cond,
                                             "could not prepare the association");
      goto out;
    }

  /* The non-blocking request bounds the wait for the A-ASSOCIATE-AC by the caller's timeout;
   * the connect itself is bounded by dcmConnectionTimeout, set once at init. */
  cond = ASC_requestAssociation (net, params, &assoc, NULL, NULL, DUL_NOBLOCK,
                                 (int) timeout_seconds);
  if (cond.bad ())
    {
      /* The association owns the parameters once it exists. */
      if (assoc != NULL)
        params = NULL;
      set_request_error (error, cond, assoc ? assoc->params : params, host, port);
      goto out;
    }
  params = NULL;

  _ferry_dicom_configure_socket (_ferry_dicom_association_socket (assoc), timeout_seconds);

  if (ASC_countAcceptedPresentationContexts (assoc->params) == 0)
    {
      g_set_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_REJECTED,
                   "%s accepted the association but not the Verification service", peer);
      ASC_abortAssociation (assoc);
      goto out;
    }

  message_id = (DIC_US) (g_atomic_int_add (&next_message_id, 1) & 0xFFFF);
  cond = DIMSE_echoUser (assoc, message_id, DIMSE_NONBLOCKING, (int) timeout_seconds, &status,
                         &status_detail);
  delete status_detail;
  if (cond.bad ())
    {
      if (cond == DIMSE_NODATAAVAILABLE)
        g_set_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_TIMEOUT,
                     "timed out waiting for %s to answer the C-ECHO", peer);
      else
        {
          g_autofree char *prefix = g_strdup_printf ("the C-ECHO to %s failed", peer);

          _ferry_dicom_set_error_from_condition (error, FERRY_DICOM_ERROR_NETWORK, cond, prefix);
        }
      ASC_abortAssociation (assoc);
      goto out;
    }

  if (status != STATUS_Success)
    {
      g_set_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_FAILED,
                   "%s answered the C-ECHO with status 0x%04X", peer, status);
      ASC_releaseAssociation (assoc);
      goto out;
    }

  /* The echo succeeded; a peer that then fumbles the release does not change that. */
  cond = ASC_releaseAssociation (assoc);
  if (cond.bad ())
    ASC_abortAssociation (assoc);
  ok = TRUE;

out:
  if (assoc != NULL)
    {
      ASC_dropAssociation (assoc);
      ASC_destroyAssociation (&assoc);
    }
  if (params != NULL)
    ASC_destroyAssociationParameters (&params);
  if (net != NULL)
    ASC_dropNetwork (&net);
  return ok;

  FERRY_DICOM_GUARD_END (error, FALSE)
}
