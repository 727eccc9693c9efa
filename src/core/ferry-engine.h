/* ferry-engine.h: the one object the window and ferry-cli hold
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * FerryEngine owns the configuration, the database, the archive and the receiver for one data
 * directory. It lives on the main thread: its properties and signals are only ever changed and
 * emitted there; workers hand it owned payloads through the main context.
 */

#pragma once

#include <gio/gio.h>

#include "ferry-config.h"
#include "ferry-ledger.h"
#include "ferry-paths.h"
#include "ferry-study.h"

G_BEGIN_DECLS

#define FERRY_TYPE_ENGINE (ferry_engine_get_type ())

G_DECLARE_FINAL_TYPE (FerryEngine, ferry_engine, FERRY, ENGINE, GObject)

typedef enum {
  FERRY_RECEIVER_STOPPED,
  FERRY_RECEIVER_LISTENING,
  FERRY_RECEIVER_FAILED,
} FerryReceiverState;

/* Defined with G_DEFINE_ENUM_TYPE in ferry-engine.c. */
GType ferry_receiver_state_get_type (void) G_GNUC_CONST;
#define FERRY_TYPE_RECEIVER_STATE (ferry_receiver_state_get_type ())

/**
 * ferry_engine_new:
 * @home: (nullable): a data directory that overrides $FERRY_HOME and the XDG directories
 * @error: return location for a #GError
 *
 * Loads config.json and opens the database (migrating it). Does not take the data-directory
 * lock and does not listen: commands that only read (studies, config show) use an engine like
 * this beside a running owner. Blocking (disk): call it before the main loop runs.
 *
 * Returns: (transfer full): the engine, or %NULL with @error set
 */
FerryEngine        *ferry_engine_new                  (const char   *home,
                                                       GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/* Takes the exclusive lock on the data directory, sweeps the archive's spool and starts the
 * receiver with the current configuration. A second owner gets G_IO_ERROR_BUSY naming the PID.
 * A receiver that cannot listen (port in use) is not an error here: the engine stays owner,
 * receiver-state becomes FAILED and receiver-error says why. */
gboolean            ferry_engine_start                (FerryEngine  *self,
                                                       GError      **error);
/* Stops the receiver (associations in flight finish, or are aborted after a grace period),
 * releases the lock. Blocking for at most a few seconds. */
void                ferry_engine_stop                 (FerryEngine  *self);

const FerryPaths   *ferry_engine_get_paths            (FerryEngine  *self);
/* (transfer none): the configuration in force; replaced, never modified, by _apply_config(). */
const FerryConfig  *ferry_engine_get_config           (FerryEngine  *self);

/* Checks @config without side effects; the error message names the field. */
gboolean            ferry_engine_validate_config      (FerryEngine        *self,
                                                       const FerryConfig  *config,
                                                       GError            **error);

/**
 * ferry_engine_apply_config_async:
 * @self: the engine
 * @config: the new configuration (copied)
 *
 * Validates at once, then in a worker saves config.json atomically and, when the receiver
 * settings changed and the engine is the owner, restarts the receiver: a new port is bound
 * before the old receiver stops, so "port in use" leaves the previous receiver running.
 * Properties and "config-generation" change on the main thread when it completes.
 */
void                ferry_engine_apply_config_async   (FerryEngine         *self,
                                                       const FerryConfig   *config,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean            ferry_engine_apply_config_finish  (FerryEngine         *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
/* The same, blocking, for ferry-cli. */
gboolean            ferry_engine_apply_config_sync    (FerryEngine         *self,
                                                       const FerryConfig   *config,
                                                       GError             **error);

/* Whether something else listens on @port already (the engine's own receiver does not count):
 * tries to bind in a worker. The error says who ("port 104 is in use by another program"). */
void                ferry_engine_check_port_async     (FerryEngine         *self,
                                                       guint16              port,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean            ferry_engine_check_port_finish    (FerryEngine         *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* Listen on @port instead of the configured one, without saving it (ferry-cli serve --port,
 * ferry --port, tests). 0 lets the OS choose; -1 removes the override. Call before _start(). */
void                ferry_engine_set_port_override    (FerryEngine         *self,
                                                       int                  port);
/* FALSE: start() takes ownership of the data directory and delivers, but does not listen
 * (ferry-cli send). Call before _start(). */
void                ferry_engine_set_receiver_enabled (FerryEngine        *self,
                                                       gboolean            enabled);
/* Answer to @ae_title instead of the configured receiver AE title, without saving it. */
void                ferry_engine_set_ae_title_override (FerryEngine        *self,
                                                       const char          *ae_title);

FerryReceiverState  ferry_engine_get_receiver_state   (FerryEngine  *self);
guint               ferry_engine_get_receiver_port    (FerryEngine  *self);
/* (nullable): why the receiver is not listening. */
const char         *ferry_engine_get_receiver_error   (FerryEngine  *self);

/* (transfer none): a GListModel of FerryStudy, newest first, filled asynchronously after
 * construction and kept up to date as instances arrive. */
GListModel         *ferry_engine_get_studies          (FerryEngine  *self);
gboolean            ferry_engine_get_studies_loaded   (FerryEngine  *self);

/* Blocking reads for the CLI (which has no main loop worth protecting).
 * (element-type FerryStudyRecord) (transfer full) */
GPtrArray          *ferry_engine_list_studies_sync    (FerryEngine  *self,
                                                       GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/* Numeric IPv4 addresses of this host's interfaces, for "what to type into the cart".
 * (transfer full) (array zero-terminated=1) */
char              **ferry_engine_dup_host_addresses   (void) G_GNUC_WARN_UNUSED_RESULT;

/* Verification SCU in a worker thread. */
void                ferry_engine_echo_async           (FerryEngine         *self,
                                                       const char          *host,
                                                       guint16              port,
                                                       const char          *called_ae,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean            ferry_engine_echo_finish          (FerryEngine   *self,
                                                       GAsyncResult  *result,
                                                       GError       **error);

/* ------------------------------------------------------------------------------------------ */
/* Deliveries: the ledger, read and changed in a worker.                                       */

/* (element-type FerryDelivery), oldest first; @study_instance_uid NULL: every study; @states a
 * FERRY_DELIVERY_STATE_BIT mask, 0 for all. */
void                ferry_engine_list_deliveries_async (FerryEngine        *self,
                                                        const char         *study_instance_uid,
                                                        guint               states,
                                                        GCancellable       *cancellable,
                                                        GAsyncReadyCallback callback,
                                                        gpointer            user_data);
GPtrArray          *ferry_engine_list_deliveries_finish (FerryEngine       *self,
                                                         GAsyncResult      *result,
                                                         GError           **error) G_GNUC_WARN_UNUSED_RESULT;

/* (element-type FerryDeliverySummary), one per destination of the study. */
void                ferry_engine_summarize_deliveries_async (FerryEngine        *self,
                                                             const char         *study_instance_uid,
                                                             GCancellable       *cancellable,
                                                             GAsyncReadyCallback callback,
                                                             gpointer            user_data);
GPtrArray          *ferry_engine_summarize_deliveries_finish (FerryEngine       *self,
                                                              GAsyncResult      *result,
                                                              GError           **error) G_GNUC_WARN_UNUSED_RESULT;

/* Retry now, resend or cancel the rows matching the filter (NULL fields: all; @states a
 * FERRY_DELIVERY_STATE_BIT mask, 0: any state the action applies to), then schedule.
 * "deliveries-changed" follows for the studies touched. */
void                ferry_engine_act_on_deliveries_async (FerryEngine        *self,
                                                          FerryLedgerAction   action,
                                                          const char         *study_instance_uid,
                                                          const char         *destination,
                                                          const char         *sop_instance_uid,
                                                          guint               states,
                                                          GCancellable       *cancellable,
                                                          GAsyncReadyCallback callback,
                                                          gpointer            user_data);
gboolean            ferry_engine_act_on_deliveries_finish (FerryEngine       *self,
                                                           GAsyncResult      *result,
                                                           guint             *changed,
                                                           GError           **error);

/* Blocking, for the CLI; work whether or not this process owns the data directory (a running
 * owner polls the ledger and picks changes up within seconds). */
GPtrArray          *ferry_engine_list_deliveries_sync (FerryEngine              *self,
                                                       const FerryLedgerFilter  *filter,
                                                       GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean            ferry_engine_act_on_deliveries_sync (FerryEngine            *self,
                                                         FerryLedgerAction       action,
                                                         const FerryLedgerFilter *filter,
                                                         guint                  *changed,
                                                         GError                **error);

/* Archives and indexes a DICOM Part 10 file as it is and, when @route_to is set, routes it to
 * that destination only (an object archived already gets a delivery to @route_to unless it has
 * one). Works whether or not this process owns the data directory: the owner's deliverer finds
 * new rows in the ledger within seconds. Blocking. */
gboolean            ferry_engine_import_file_sync     (FerryEngine        *self,
                                                       const char         *path,
                                                       const char         *route_to,
                                                       char              **sop_instance_uid,
                                                       GError            **error);

/*
 * Properties: "receiver-state" (FerryReceiverState), "receiver-port" (guint),
 * "receiver-error" (string), "studies-loaded" (boolean), "config-generation" (guint, bumped
 * on every applied configuration).
 * Signals:
 *   "instance-stored" (const char *study_instance_uid, const char *sop_instance_uid): after
 *     an object was archived and indexed, on the main thread.
 *   "study-changed" (FerryStudy *study): a study in the list was added or updated; reads are
 *     coalesced in a worker, so a burst of images gives a few of these.
 *   "store-failed" (const char *calling_ae, const char *message): an object was refused.
 *   "new-version" (const char *calling_ae, const char *sop_instance_uid): an object with the UID
 *     of an archived one but different content was kept beside it; on the main thread.
 *   "deliveries-changed" (const char *study_instance_uid): ledger rows of the study changed
 *     (routed, sent, retried, given up, acted on); on the main thread.
 *
 * When the receiver starts listening the engine logs, at message level,
 * "Receiving on port N as AE-TITLE" (tests read the port from it).
 */

G_END_DECLS
