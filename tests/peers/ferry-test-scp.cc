/* ferry-test-scp.cc: a storage SCP whose answers the tests choose
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * DCMTK's storescp cannot answer with a chosen status, refuse one SOP class or transfer syntax,
 * reject an association transiently, or stall after some objects; the Storage SCU's tests need
 * all of that from a real DICOM peer. Built on DcmSCP, one association at a time.
 *
 *   ferry-test-scp --port N (0: the OS picks) --ae TITLE [--status 0xA700]
 *     [--status-for SOP_INSTANCE_UID=0xC000 ...] [--refuse-ts UID ...]
 *     [--refuse-sop-class UID ...] [--uncompressed-only] [--reject transient|permanent]
 *     [--output-dir DIR] [--stall-after N]
 *
 * Prints "Listening on port N" once listening, then serves until SIGTERM. Received objects are
 * written to DIR as 1.dcm, 2.dcm, … in the transfer syntax they arrived in (never named after a
 * received string). Non-success statuses carry an Error Comment "ferry-test-scp status 0xXXXX".
 */

#include "dcmtk/config/osconfig.h"

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcdict.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmnet/scp.h"
#include "dcmtk/oflog/oflog.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

const char *const all_transfer_syntaxes[] = {
  UID_LittleEndianExplicitTransferSyntax,
  UID_LittleEndianImplicitTransferSyntax,
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
  "1.2.840.10008.1.2.4.100",
  "1.2.840.10008.1.2.4.101",
  "1.2.840.10008.1.2.4.102",
  "1.2.840.10008.1.2.4.103",
  "1.2.840.10008.1.2.4.104",
  "1.2.840.10008.1.2.4.105",
  "1.2.840.10008.1.2.4.106",
  "1.2.840.10008.1.2.4.107",
  "1.2.840.10008.1.2.4.108",
};

const char *const uncompressed_transfer_syntaxes[] = {
  UID_LittleEndianExplicitTransferSyntax,
  UID_LittleEndianImplicitTransferSyntax,
};

struct Options
{
  unsigned port = 0;
  std::string ae = "TESTSCP";
  Uint16 status = STATUS_Success;
  std::map<std::string, Uint16> status_for;
  std::set<std::string> refuse_ts;
  std::set<std::string> refuse_sop_class;
  bool uncompressed_only = false;
  std::string reject;     /* "", "transient" or "permanent" */
  std::string output_dir;
  long stall_after = -1;
};

class TestSCP : public DcmSCP
{
public:
  TestSCP (const Options          &options,
           const OFList<OFString> &syntaxes)
    : options_ (options), syntaxes_ (syntaxes)
  {
  }

protected:
  void
  notifyAssociationRequest (const T_ASC_Parameters &params,
                            DcmSCPActionType        &desired_action) override
  {
    if (!options_.reject.empty ())
      {
        desired_action = DCMSCP_ACTION_REFUSE_ASSOCIATION;
        return;
      }

    /* A profile holds at most 128 presentation contexts, fewer than there are storage SOP
     * classes: each association gets a profile of the SOP classes it proposes. */
    T_ASC_Parameters *proposed = const_cast<T_ASC_Parameters *> (&params);
    std::set<std::string> sop_classes;
    std::string profile = "ASSOCIATION" + std::to_string (++associations_);

    for (int i = 0; i < ASC_countPresentationContexts (proposed); i++)
      {
        T_ASC_PresentationContext pc;

        if (ASC_getPresentationContext (proposed, i, &pc).good ())
          sop_classes.insert (pc.abstractSyntax);
      }

    OFList<OFString> verification;

    verification.push_back (UID_LittleEndianExplicitTransferSyntax);
    verification.push_back (UID_LittleEndianImplicitTransferSyntax);
    addPresentationContext (UID_VerificationSOPClass, verification, ASC_SC_ROLE_DEFAULT,
                            profile.c_str ());
    for (const std::string &sop_class : sop_classes)
      if (options_.refuse_sop_class.count (sop_class) == 0 &&
          dcmIsaStorageSOPClassUID (sop_class.c_str (), ESSC_All))
        addPresentationContext (sop_class.c_str (), syntaxes_, ASC_SC_ROLE_DEFAULT,
                                profile.c_str ());
    getConfig ().setAndCheckAssociationProfile (profile.c_str ());
  }

  void
  refuseAssociation (const DcmRefuseReasonType reason) override
  {
    /* DcmSCP rejects "too many associations" transiently (local limit exceeded) and an
     * unknown called AE title permanently: the two results the SCU must tell apart. */
    if (options_.reject == "transient")
      DcmSCP::refuseAssociation (DCMSCP_TOO_MANY_ASSOCIATIONS);
    else if (options_.reject == "permanent")
      DcmSCP::refuseAssociation (DCMSCP_CALLED_AE_TITLE_NOT_RECOGNIZED);
    else
      DcmSCP::refuseAssociation (reason);
  }

  OFCondition
  handleIncomingCommand (T_DIMSE_Message                  *message,
                         const DcmPresentationContextInfo &info) override
  {
    if (message->CommandField != DIMSE_C_STORE_RQ)
      return DcmSCP::handleIncomingCommand (message, info);

    T_DIMSE_C_StoreRQ &request = message->msg.CStoreRQ;
    T_ASC_PresentationContextID id = info.presentationContextID;
    DcmDataset *dataset = NULL;
    OFCondition cond = receiveSTORERequest (request, id, dataset);

    if (cond.bad ())
      {
        delete dataset;
        return cond;
      }

    count_++;
    Uint16 status = options_.status;
    auto it = options_.status_for.find (request.AffectedSOPInstanceUID);

    if (it != options_.status_for.end ())
      status = it->second;

    if (!options_.output_dir.empty ())
      {
        E_TransferSyntax xfer = dataset->getOriginalXfer ();
        DcmFileFormat file (dataset, OFFalse);
        std::string path = options_.output_dir + "/" + std::to_string (count_) + ".dcm";

        /* The file format now owns the dataset. */
        dataset = NULL;
        cond = file.saveFile (path.c_str (), xfer);
        if (cond.bad ())
          {
            fprintf (stderr, "ferry-test-scp: cannot write %s: %s\n", path.c_str (), cond.text ());
            status = STATUS_STORE_Refused_OutOfResources;
          }
      }
    delete dataset;

    DcmDataset *detail = NULL;

    if (status != STATUS_Success)
      {
        char comment[64];

        snprintf (comment, sizeof comment, "ferry-test-scp status 0x%04X", status);
        detail = new DcmDataset ();
        detail->putAndInsertString (DCM_ErrorComment, comment);
      }
    cond = sendSTOREResponse (id, request.MessageID, request.AffectedSOPClassUID,
                              request.AffectedSOPInstanceUID, status, detail);
    delete detail;

    if (options_.stall_after >= 0 && count_ >= options_.stall_after)
      {
        fprintf (stderr, "ferry-test-scp: stalling after %ld objects\n", count_);
        for (;;)
          pause ();
      }
    return cond;
  }

private:
  const Options &options_;
  const OFList<OFString> &syntaxes_;
  long count_ = 0;
  long associations_ = 0;
};

/* DcmSCP keeps its network to itself; the listening socket is the only one in this process
 * that accepts connections. */
int
listening_port (void)
{
  for (int fd = 3; fd < 1024; fd++)
    {
      int accepting = 0;
      socklen_t length = sizeof accepting;
      struct sockaddr_storage address;
      socklen_t address_length = sizeof address;

      if (getsockopt (fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) != 0 || !accepting)
        continue;
      if (getsockname (fd, (struct sockaddr *) &address, &address_length) != 0)
        continue;
      if (address.ss_family == AF_INET)
        return ntohs (((struct sockaddr_in *) &address)->sin_port);
      if (address.ss_family == AF_INET6)
        return ntohs (((struct sockaddr_in6 *) &address)->sin6_port);
    }
  return -1;
}

[[noreturn]] void
usage (const char *problem)
{
  fprintf (stderr,
           "ferry-test-scp: %s\n"
           "usage: ferry-test-scp --port N --ae TITLE [--status 0xA700]\n"
           "  [--status-for SOP_INSTANCE_UID=0xC000 ...] [--refuse-ts UID ...]\n"
           "  [--refuse-sop-class UID ...] [--uncompressed-only]\n"
           "  [--reject transient|permanent] [--output-dir DIR] [--stall-after N]\n",
           problem);
  exit (2);
}

unsigned long
parse_number (const char *text,
              unsigned long max)
{
  char *end = NULL;
  unsigned long value = strtoul (text, &end, 0);

  if (end == text || *end != '\0' || value > max)
    usage ("bad number");
  return value;
}

} /* namespace */

int
main (int    argc,
      char **argv)
{
  Options options;

  setenv ("TCP_NODELAY", "1", 1);

  for (int i = 1; i < argc; i++)
    {
      std::string arg = argv[i];
      auto next = [&] () -> const char * {
        if (i + 1 >= argc)
          usage ("missing value");
        return argv[++i];
      };

      if (arg == "--port")
        options.port = (unsigned) parse_number (next (), 65535);
      else if (arg == "--ae")
        options.ae = next ();
      else if (arg == "--status")
        options.status = (Uint16) parse_number (next (), 0xFFFF);
      else if (arg == "--status-for")
        {
          std::string value = next ();
          size_t eq = value.rfind ('=');

          if (eq == std::string::npos)
            usage ("--status-for wants UID=STATUS");
          options.status_for[value.substr (0, eq)] =
            (Uint16) parse_number (value.c_str () + eq + 1, 0xFFFF);
        }
      else if (arg == "--refuse-ts")
        options.refuse_ts.insert (next ());
      else if (arg == "--refuse-sop-class")
        options.refuse_sop_class.insert (next ());
      else if (arg == "--uncompressed-only")
        options.uncompressed_only = true;
      else if (arg == "--reject")
        {
          options.reject = next ();
          if (options.reject != "transient" && options.reject != "permanent")
            usage ("--reject wants transient or permanent");
        }
      else if (arg == "--output-dir")
        options.output_dir = next ();
      else if (arg == "--stall-after")
        options.stall_after = (long) parse_number (next (), 1000000);
      else
        usage ("unknown option");
    }

  OFLog::configure (OFLogger::WARN_LOG_LEVEL);
  if (!dcmDataDict.isDictionaryLoaded ())
    {
      fprintf (stderr, "ferry-test-scp: the DICOM data dictionary is not loaded\n");
      return 1;
    }

  OFList<OFString> syntaxes;

  if (options.uncompressed_only)
    for (const char *ts : uncompressed_transfer_syntaxes)
      syntaxes.push_back (ts);
  else
    for (const char *ts : all_transfer_syntaxes)
      syntaxes.push_back (ts);
  for (const std::string &ts : options.refuse_ts)
    syntaxes.remove (ts.c_str ());

  TestSCP scp (options, syntaxes);
  DcmSCPConfig &config = scp.getConfig ();

  config.setPort ((Uint16) options.port);
  config.setAETitle (options.ae.c_str ());
  config.setMaxReceivePDULength (131072);
  config.setHostLookupEnabled (OFFalse);
  config.setACSETimeout (30);
  config.setDIMSETimeout (30);

  /* Presentation contexts are set per association, in notifyAssociationRequest(). */
  OFList<OFString> verification;

  verification.push_back (UID_LittleEndianExplicitTransferSyntax);
  scp.addPresentationContext (UID_VerificationSOPClass, verification);

  OFCondition cond = scp.openListenPort ();

  if (cond.bad ())
    {
      fprintf (stderr, "ferry-test-scp: cannot listen on port %u: %s\n", options.port,
               cond.text ());
      return 1;
    }

  printf ("Listening on port %d\n", listening_port ());
  fflush (stdout);

  cond = scp.acceptAssociations ();
  fprintf (stderr, "ferry-test-scp: stopped: %s\n", cond.text ());
  return cond.good () ? 0 : 1;
}
