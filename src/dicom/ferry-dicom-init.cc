/* ferry-dicom-init.cc: one-time set-up of DCMTK, the error domain, shared helpers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "dcmtk/config/osconfig.h"

#define G_LOG_DOMAIN "ferry-dicom"

#include "dcmtk/dcmdata/dcdict.h"
#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmdata/dcrleerg.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpeg/djencode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/dcmjpls/djencode.h"
#include "dcmtk/dcmnet/dcmtrans.h"
#include "dcmtk/dcmnet/dul.h"
#include "dcmtk/oflog/appender.h"
#include "dcmtk/oflog/logger.h"
#include "dcmtk/oflog/oflog.h"
#include "dcmtk/oflog/spi/logevent.h"

#include <exception>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "ferry-dicom-private.hh"

G_DEFINE_QUARK (ferry-dicom-error-quark, ferry_dicom_error)

/* The log domain DCMTK's messages travel under, so the Logs page can tell them from Ferry's. */
#define DCMTK_LOG_DOMAIN "ferry-dcmtk"

/* Seconds allowed for a TCP connect; DCMTK's default (-1) waits for the kernel (minutes). */
#define CONNECT_TIMEOUT_SECONDS 10

/* Socket timeout until an association is established; the SCP and echo refine it per socket. */
#define SOCKET_TIMEOUT_SECONDS 5

static GMutex init_lock;
static gboolean initialized;

namespace {

/* A log4cplus appender that hands every DCMTK log event to GLib's structured log. DCMTK's
 * warnings and errors are about the peer's data or PDUs far more often than about Ferry, and the
 * tests run with fatal warnings, so nothing goes out above G_LOG_LEVEL_MESSAGE; the DCMTK level
 * is kept as a field for the Logs page to filter on. */
class GLibAppender : public dcmtk::log4cplus::Appender
{
public:
  GLibAppender () {}

  ~GLibAppender () override
  {
    destructorImpl ();
  }

  void
  close () override
  {
    closed = true;
  }

protected:
  void
  append (const dcmtk::log4cplus::spi::InternalLoggingEvent &event) override
  {
    dcmtk::log4cplus::LogLevel level = event.getLogLevel ();
    GLogLevelFlags glib_level;
    const char *level_name;

    if (level >= dcmtk::log4cplus::FATAL_LOG_LEVEL)
      level_name = "fatal";
    else if (level >= dcmtk::log4cplus::ERROR_LOG_LEVEL)
      level_name = "error";
    else if (level >= dcmtk::log4cplus::WARN_LOG_LEVEL)
      level_name = "warn";
    else if (level >= dcmtk::log4cplus::INFO_LOG_LEVEL)
      level_name = "info";
    else if (level >= dcmtk::log4cplus::DEBUG_LOG_LEVEL)
      level_name = "debug";
    else
      level_name = "trace";

    /* DCMTK warns about things Ferry does on purpose (reading a file only up to its pixel data
     * warns once per received object), so its warnings stay at info; its errors are messages. */
    glib_level = level >= dcmtk::log4cplus::ERROR_LOG_LEVEL ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_INFO;

    g_log_structured (DCMTK_LOG_DOMAIN, glib_level,
                      "FERRY_DCMTK_LEVEL", level_name,
                      "FERRY_DCMTK_LOGGER", event.getLoggerName ().c_str (),
                      "MESSAGE", "%s", event.getMessage ().c_str ());
  }
};

} /* namespace */

static void
route_dcmtk_log (void)
{
  dcmtk::log4cplus::Logger root = dcmtk::log4cplus::Logger::getRoot ();
  dcmtk::log4cplus::SharedAppenderPtr appender (new GLibAppender ());

  /* DCMTK installs a console appender on stderr by default; Ferry's log replaces it. */
  appender->setName ("ferry-glib");
  root.removeAllAppenders ();
  root.addAppender (appender);

  /* Debug and trace dump whole PDUs and datasets (patient data); only ask for them when someone
   * is debugging DCMTK itself. */
  if (g_getenv ("FERRY_DCMTK_DEBUG") != NULL)
    root.setLogLevel (dcmtk::log4cplus::DEBUG_LOG_LEVEL);
  else
    root.setLogLevel (dcmtk::log4cplus::INFO_LOG_LEVEL);
}

gboolean
ferry_dicom_init (GError **error)
{
  FERRY_DICOM_GUARD_BEGIN

  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&init_lock);

  if (initialized)
    return TRUE;

  /* First, so that the dictionary's own complaint below goes to GLib, not to stderr. */
  route_dcmtk_log ();

  if (!dcmDataDict.isDictionaryLoaded ())
    {
      g_set_error (error, FERRY_DICOM_ERROR, FERRY_DICOM_ERROR_DICTIONARY,
                   "The DICOM data dictionary is not loaded: install DCMTK's dictionary "
                   "(Debian package libdcmtk17, file dicom.dic) or point the DCMDICTPATH "
                   "environment variable at it (currently %s)",
                   g_getenv ("DCMDICTPATH") ? g_getenv ("DCMDICTPATH") : "unset");
      return FALSE;
    }

  /* Codecs are registered into global lists that are not thread-safe to change: once, here,
   * before any thread starts. */
  DJDecoderRegistration::registerCodecs ();
  DJEncoderRegistration::registerCodecs ();
  DJLSDecoderRegistration::registerCodecs ();
  DJLSEncoderRegistration::registerCodecs ();
  DcmRLEDecoderRegistration::registerCodecs ();
  DcmRLEEncoderRegistration::registerCodecs ();

  /* Devices are matched on numeric addresses, and a slow DNS server must not delay every
   * association. */
  dcmDisableGethostbyaddr.set (OFTrue);

  /* dcmConnectionTimeout is process-wide; one value that suits every outgoing connection. */
  dcmConnectionTimeout.set (CONNECT_TIMEOUT_SECONDS);
  dcmSocketReceiveTimeout.set (SOCKET_TIMEOUT_SECONDS);
  dcmSocketSendTimeout.set (SOCKET_TIMEOUT_SECONDS);

  /* A peer that closes its socket while Ferry writes must give an error, not kill the process. */
  signal (SIGPIPE, SIG_IGN);

  initialized = TRUE;
  return TRUE;

  FERRY_DICOM_GUARD_END (error, FALSE)
}

gboolean
_ferry_dicom_is_initialized (void)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&init_lock);

  return initialized;
}

/**
 * ferry_dicom_implementation_class_uid:
 *
 * Ferry's Implementation Class UID, announced in A-ASSOCIATE-RQ and -AC and written as (0002,0012)
 * into every file Ferry writes. It is fixed for all versions of Ferry.
 *
 * Returns: (transfer none): a static string
 */
const char *
ferry_dicom_implementation_class_uid (void)
{
  return FERRY_DICOM_IMPLEMENTATION_CLASS_UID;
}

/**
 * ferry_dicom_implementation_version_name:
 *
 * Ferry's Implementation Version Name (at most 16 characters), announced beside the class UID and
 * written as (0002,0013).
 *
 * Returns: (transfer none): a static string
 */
const char *
ferry_dicom_implementation_version_name (void)
{
  return FERRY_DICOM_IMPLEMENTATION_VERSION_NAME;
}

void
_ferry_dicom_set_error_from_condition (GError            **error,
                                       FerryDicomError     code,
                                       const OFCondition  &condition,
                                       const char         *prefix)
{
  g_autofree char *text = g_strdup (condition.text () ? condition.text () : "unknown error");

  /* DCMTK's texts are multi-line stacks of conditions; one line reads better in a log or a toast. */
  g_strdelimit (text, "\r\n", ' ');
  g_strstrip (text);

  if (prefix != NULL)
    g_set_error (error, FERRY_DICOM_ERROR, code, "%s (%s)", prefix, text);
  else
    g_set_error_literal (error, FERRY_DICOM_ERROR, code, text);
}

void
_ferry_dicom_set_nodelay (int fd)
{
  int one = 1;

  if (fd < 0)
    return;

  (void) setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void
_ferry_dicom_configure_socket (int   fd,
                               guint timeout_seconds)
{
  struct timeval tv = { (time_t) timeout_seconds, 0 };
  unsigned int user_timeout_ms = timeout_seconds * 1000;
  int one = 1;
  int keep_idle = CLAMP ((int) timeout_seconds / 2, 1, 60);
  int keep_interval = CLAMP ((int) timeout_seconds / 4, 1, 15);
  int keep_count = 4;

  if (fd < 0)
    return;

  _ferry_dicom_set_nodelay (fd);
  (void) setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void) setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  /* Unacknowledged data older than this closes the connection even while the kernel retransmits. */
  (void) setsockopt (fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
  (void) setsockopt (fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  (void) setsockopt (fd, IPPROTO_TCP, TCP_KEEPIDLE, &keep_idle, sizeof keep_idle);
  (void) setsockopt (fd, IPPROTO_TCP, TCP_KEEPINTVL, &keep_interval, sizeof keep_interval);
  (void) setsockopt (fd, IPPROTO_TCP, TCP_KEEPCNT, &keep_count, sizeof keep_count);
}
