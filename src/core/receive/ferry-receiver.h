/* ferry-receiver.h: the storage SCP as the engine sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Glue between the DICOM layer's SCP and the archive and database: association policy (called
 * AE, known devices), and for every C-STORE the durability contract — pre-scan, space check,
 * fsync and rename into the archive, index, and only then success.
 */

#pragma once

#include <glib.h>

#include "ferry-archive.h"
#include "ferry-config.h"
#include "ferry-database.h"

G_BEGIN_DECLS

typedef struct _FerryReceiver FerryReceiver;

typedef struct {
  /* Called on an association thread after an instance was archived and indexed, before the
   * response goes out: it must only hand the UIDs on, never read the database. */
  void (*instance_stored) (const char       *study_instance_uid,
                           const char       *sop_instance_uid,
                           gpointer          user_data);
  /* Called on an association thread when an object or association was refused. */
  void (*store_failed)    (const char       *calling_ae,
                           const char       *message,
                           gpointer          user_data);
  /* Called on an association thread when an object with the SOP Instance UID of an archived
   * one but different content was archived beside it (nullable). */
  void (*new_version)     (const char       *calling_ae,
                           const char       *sop_instance_uid,
                           gpointer          user_data);
} FerryReceiverCallbacks;

/* Binds the port at once ("port in use" is reported here). The archive and database are
 * borrowed and must outlive the receiver; @config is copied. */
FerryReceiver *ferry_receiver_new        (const FerryConfig             *config,
                                          guint16                        port,
                                          FerryArchive                  *archive,
                                          FerryDatabase                 *db,
                                          const FerryReceiverCallbacks  *callbacks,
                                          gpointer                       user_data,
                                          GError                       **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean       ferry_receiver_start      (FerryReceiver *self,
                                          GError       **error);
guint16        ferry_receiver_get_port   (FerryReceiver *self);
/* Replaces the device list and policy without restarting (associations in flight keep theirs). */
void           ferry_receiver_set_config (FerryReceiver     *self,
                                          const FerryConfig *config);
/* Stops and joins; blocking for at most @grace_seconds plus a moment. */
void           ferry_receiver_stop       (FerryReceiver *self,
                                          guint          grace_seconds);
void           ferry_receiver_free       (FerryReceiver *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryReceiver, ferry_receiver_free)

G_END_DECLS
