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
  g_autofree char *message = NULL;
  FerryDicomRequestFailure failure;

  cond = ASC_initializeNetwork (NET_REQUESTOR, 0, (int) timeout_seconds, &net);
  if (cond.bad ())
    {
      _ferry_dicom_set_error_from_condition (error, FERRY_DICOM_ERROR_FAILED, cond,
                                             "could not initialise the network");
      goto out;
    }

  params = _ferry_dicom_association_parameters_new (calling_ae, called_ae, host, port, 0,
                                                    &message);
  if (params == NULL)
    {
      g_set_error_literal (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_FAILED, message);
      goto out;
    }

  cond = ASC_addPresentationContext (params, 1, UID_VerificationSOPClass, transfer_syntaxes,
                                     (int) G_N_ELEMENTS (transfer_syntaxes));
  if (cond.bad ())
    {
      _ferry_dicom_set_error_from_condition (error, FERRY_DICOM_ERROR_FAILED, cond,
                                             "could not prepare the association");
      goto out;
    }

  assoc = _ferry_dicom_request_association (net, g_steal_pointer (&params), host, port,
                                            timeout_seconds, &failure, &message);
  if (assoc == NULL)
    {
      FerryDicomError code;

      switch (failure)
        {
        case FERRY_DICOM_REQUEST_FAILURE_TIMEOUT:
          code = FERRY_DICOM_ERROR_TIMEOUT;
          break;
        case FERRY_DICOM_REQUEST_FAILURE_REJECTED_TRANSIENT:
        case FERRY_DICOM_REQUEST_FAILURE_REJECTED_PERMANENT:
          code = FERRY_DICOM_ERROR_REJECTED;
          break;
        default:
          code = FERRY_DICOM_ERROR_NETWORK;
          break;
        }
      g_set_error_literal (error, FERRY_DICOM_ERROR, code, message);
      goto out;
    }

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
