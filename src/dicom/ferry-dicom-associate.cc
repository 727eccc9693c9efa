/* ferry-dicom-associate.cc: requesting an association, shared by the echo and storage SCUs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Ferry's config.h first: DCMTK's osconfig.h defines PACKAGE_VERSION as well, and warnings in
 * a system header are not shown. */
#include "config.h"
#include "dcmtk/config/osconfig.h"

#define G_LOG_DOMAIN "ferry-dicom"

#include "dcmtk/dcmnet/assoc.h"
#include "dcmtk/dcmnet/dul.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "ferry-dicom-private.hh"

static const char *
reject_reason_text (const T_ASC_RejectParameters *rej)
{
  switch (rej->reason)
    {
    case ASC_REASON_SU_NOREASON:
    case ASC_REASON_SP_ACSE_NOREASON:
      return _("no reason given");
    case ASC_REASON_SU_APPCONTEXTNAMENOTSUPPORTED:
      return _("application context name not supported");
    case ASC_REASON_SU_CALLINGAETITLENOTRECOGNIZED:
      return _("calling AE title not recognised");
    case ASC_REASON_SU_CALLEDAETITLENOTRECOGNIZED:
      return _("called AE title not recognised");
    case ASC_REASON_SP_ACSE_PROTOCOLVERSIONNOTSUPPORTED:
      return _("protocol version not supported");
    case ASC_REASON_SP_PRES_TEMPORARYCONGESTION:
      return _("temporary congestion");
    case ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED:
      return _("local limit exceeded (too many associations)");
    default:
      return _("unknown reason");
    }
}

/* Sorts a failed ASC_requestAssociation into what a PACS admin can act on. DCMTK reports
 * connect failures only as text (the errno's strerror inside a condition stack). */
static FerryDicomRequestFailure
describe_failure (const OFCondition &cond,
                  T_ASC_Parameters  *params,
                  const char        *host,
                  guint16            port,
                  char             **message)
{
  g_autofree char *where = g_strdup_printf ("%s:%u", host, port);

  if (cond == DUL_ASSOCIATIONREJECTED && params != NULL)
    {
      T_ASC_RejectParameters rej;
      gboolean transient;

      ASC_getRejectParameters (params, &rej);
      transient = rej.result == ASC_RESULT_REJECTEDTRANSIENT;
      *message = transient ? g_strdup_printf (_("association rejected (transient): %s"),
                                              reject_reason_text (&rej))
                           : g_strdup_printf (_("association rejected (permanent): %s"),
                                              reject_reason_text (&rej));
      return transient ? FERRY_DICOM_REQUEST_FAILURE_REJECTED_TRANSIENT
                       : FERRY_DICOM_REQUEST_FAILURE_REJECTED_PERMANENT;
    }

  g_autofree char *text = g_ascii_strdown (cond.text () ? cond.text () : "", -1);

  if (strstr (text, "refused") != NULL)
    {
      *message = g_strdup_printf (_("connection refused by %s (is the DICOM service running on "
                                    "that port?)"), where);
      return FERRY_DICOM_REQUEST_FAILURE_REFUSED;
    }
  if (strstr (text, "timed out") != NULL || strstr (text, "timeout") != NULL ||
      strstr (text, "in progress") != NULL || cond == DUL_READTIMEOUT)
    {
      *message = g_strdup_printf (_("timed out waiting for %s"), where);
      return FERRY_DICOM_REQUEST_FAILURE_TIMEOUT;
    }
  if (strstr (text, "unknown host") != NULL || strstr (text, "name or service") != NULL)
    {
      *message = g_strdup_printf (_("the host name %s could not be resolved"), host);
      return FERRY_DICOM_REQUEST_FAILURE_UNKNOWN_HOST;
    }
  if (strstr (text, "unreachable") != NULL || strstr (text, "no route") != NULL)
    {
      *message = g_strdup_printf (_("%s cannot be reached over the network"), where);
      return FERRY_DICOM_REQUEST_FAILURE_UNREACHABLE;
    }
  if (strstr (text, "abort") != NULL || cond == DUL_PEERABORTEDASSOCIATION ||
      cond == DUL_NETWORKCLOSED)
    {
      *message = g_strdup_printf (_("%s aborted the association request"), where);
      return FERRY_DICOM_REQUEST_FAILURE_ABORTED;
    }

  g_autofree char *detail = g_strdup (cond.text () ? cond.text () : "");

  g_strdelimit (detail, "\r\n", ' ');
  g_strstrip (detail);
  *message = g_strdup_printf (_("could not open an association with %s (%s)"), where, detail);
  return FERRY_DICOM_REQUEST_FAILURE_OTHER;
}

T_ASC_Parameters *
_ferry_dicom_association_parameters_new (const char  *calling_ae,
                                         const char  *called_ae,
                                         const char  *host,
                                         guint16      port,
                                         guint32      max_pdu,
                                         char       **message)
{
  T_ASC_Parameters *params = NULL;
  g_autofree char *peer = g_strdup_printf ("%s:%u", host, port);
  OFCondition cond;

  cond = ASC_createAssociationParameters (&params,
                                          max_pdu != 0 ? (int) max_pdu : FERRY_DICOM_DEFAULT_MAX_PDU);
  if (cond.bad ())
    {
      *message = g_strdup_printf (_("could not prepare the association (%s)"), cond.text ());
      return NULL;
    }

  g_strlcpy (params->ourImplementationClassUID, FERRY_DICOM_IMPLEMENTATION_CLASS_UID,
             sizeof params->ourImplementationClassUID);
  g_strlcpy (params->ourImplementationVersionName, FERRY_DICOM_IMPLEMENTATION_VERSION_NAME,
             sizeof params->ourImplementationVersionName);
  ASC_setAPTitles (params, calling_ae, called_ae, NULL);
  ASC_setPresentationAddresses (params, "localhost", peer);
  return params;
}

T_ASC_Association *
_ferry_dicom_request_association (T_ASC_Network             *net,
                                  T_ASC_Parameters          *params,
                                  const char                *host,
                                  guint16                    port,
                                  guint                      timeout_seconds,
                                  FerryDicomRequestFailure  *failure,
                                  char                     **message)
{
  T_ASC_Association *assoc = NULL;
  OFCondition cond;

  /* The non-blocking request bounds the wait for the A-ASSOCIATE-AC by the caller's timeout;
   * the connect itself is bounded by dcmConnectionTimeout, set once at init. */
  cond = ASC_requestAssociation (net, params, &assoc, NULL, NULL, DUL_NOBLOCK,
                                 (int) timeout_seconds);
  if (cond.bad ())
    {
      /* The association owns the parameters once it exists. */
      *failure = describe_failure (cond, assoc != NULL ? assoc->params : params, host, port,
                                   message);
      if (assoc != NULL)
        {
          ASC_dropAssociation (assoc);
          ASC_destroyAssociation (&assoc);
        }
      else
        ASC_destroyAssociationParameters (&params);
      return NULL;
    }

  _ferry_dicom_configure_socket (_ferry_dicom_association_socket (assoc), timeout_seconds);
  return assoc;
}
