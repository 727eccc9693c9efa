/* ferry-receiver.c: the storage SCP as the engine sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ferry-receiver"
#define _GNU_SOURCE  /* sync_file_range */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>

#include "ferry-charset.h"
#include "ferry-import.h"
#include "ferry-router.h"
#include "ferry-dicom.h"
#include "ferry-receiver.h"

/* Stores of one SOP Instance UID are serialised from the archive commit to the database
 * commit (or rollback): otherwise a rollback could take back a file that another association,
 * storing the same object at the same moment, has just been acknowledged for. */
#define UID_LOCK_STRIPES 64

struct _FerryReceiver
{
  /* Owned */
  FerryDicomScp *scp;
  GMutex         uid_locks[UID_LOCK_STRIPES];
  GMutex         config_lock;
  FerryConfig   *config;      /* guarded by config_lock; replaced, never modified */

  /* Borrowed */
  FerryArchive  *archive;
  FerryDatabase *db;
  FerryReceiverCallbacks callbacks;
  gpointer       user_data;
};

static FerryConfig *
dup_config (FerryReceiver *self)
{
  FerryConfig *copy;

  g_mutex_lock (&self->config_lock);
  copy = ferry_config_copy (self->config);
  g_mutex_unlock (&self->config_lock);

  return copy;
}

static char *
strip_ae (const char *ae)
{
  return g_strstrip (g_strdup (ae != NULL ? ae : ""));
}

static FerryDicomAssociationDecision
on_association_cb (const FerryDicomAssociationInfo *info,
                   gpointer                         user_data)
{
  FerryReceiver *self = user_data;
  FerryDicomAssociationDecision decision = FERRY_DICOM_ASSOCIATION_ACCEPT;
  g_autofree char *called = strip_ae (info->called_ae);
  g_autofree char *ours = NULL;

  g_mutex_lock (&self->config_lock);
  ours = strip_ae (self->config->receiver_ae_title);
  if (g_strcmp0 (called, ours) != 0)
    decision = FERRY_DICOM_ASSOCIATION_REJECT_CALLED_AE;
  else if (!self->config->accept_unknown_devices &&
           ferry_config_find_device (self->config, info->calling_ae, info->peer_address) == NULL)
    decision = FERRY_DICOM_ASSOCIATION_REJECT_CALLING_AE;
  g_mutex_unlock (&self->config_lock);

  switch (decision)
    {
    case FERRY_DICOM_ASSOCIATION_REJECT_CALLED_AE:
      g_message ("Rejected association from %s (%s): called AE title \"%s\" is not ours (\"%s\")",
                 info->calling_ae, info->peer_address, called, ours);
      if (self->callbacks.store_failed != NULL)
        {
          g_autofree char *message =
            g_strdup_printf (_("Refused a connection from %s: it called AE title “%s”, but Ferry’s is “%s”"),
                             info->calling_ae, called, ours);
          self->callbacks.store_failed (info->calling_ae, message, self->user_data);
        }
      break;

    case FERRY_DICOM_ASSOCIATION_REJECT_CALLING_AE:
      g_message ("Rejected association from %s (%s): calling AE title not recognised",
                 info->calling_ae, info->peer_address);
      if (self->callbacks.store_failed != NULL)
        {
          g_autofree char *message =
            g_strdup_printf (_("Refused a connection from unknown device %s (%s): add it to the devices in config.json, or allow unknown devices in Settings"),
                             info->calling_ae, info->peer_address);
          self->callbacks.store_failed (info->calling_ae, message, self->user_data);
        }
      break;

    case FERRY_DICOM_ASSOCIATION_ACCEPT:
    case FERRY_DICOM_ASSOCIATION_REJECT_BUSY:
    default:
      break;
    }

  return decision;
}

static void
on_association_end_cb (const FerryDicomAssociationInfo *info,
                       guint                            stored,
                       const char                      *error_message,
                       gpointer                         user_data)
{
  if (error_message != NULL)
    g_message ("Association from %s (%s) ended after %u objects: %s",
               info->calling_ae, info->peer_address, stored, error_message);
  else
    g_info ("Association from %s (%s) released after %u objects",
            info->calling_ae, info->peer_address, stored);
}

/* Every value the index keeps, in UTF-8. The object itself is never changed. */
static FerryInstanceRecord *
build_record (const FerryDicomAttributes   *attrs,
              const FerryDicomStoreRequest *request,
              const FerryDevice            *device)
{
  FerryInstanceRecord *record =
    ferry_instance_record_from_attributes (attrs, device != NULL ? device->character_set : NULL,
                                           device != NULL ? device->physician_tag
                                                          : FERRY_PHYSICIAN_TAG_PERFORMING);

  /* The request's UIDs and transfer syntax are what was negotiated and checked. */
  g_free (record->sop_instance_uid);
  record->sop_instance_uid = g_strdup (request->sop_instance_uid);
  g_free (record->sop_class_uid);
  record->sop_class_uid = g_strdup (request->sop_class_uid);
  g_free (record->transfer_syntax_uid);
  record->transfer_syntax_uid = g_strdup (request->transfer_syntax_uid);
  record->calling_ae = strip_ae (request->calling_ae);
  record->peer_address = g_strdup (request->peer_address);
  record->size = request->size;
  return record;
}

static GPtrArray *
route (const FerryConfig         *config,
       const FerryInstanceRecord *record,
       const char                *path)
{
  FerryRoutable routable = { 0 };
  g_autoptr(GError) error = NULL;
  GPtrArray *routes;

  routable.sop_instance_uid = record->sop_instance_uid;
  routable.calling_ae = record->calling_ae;
  routable.peer_address = record->peer_address;
  routable.specific_character_set = record->specific_character_set;

  routes = ferry_router_route (config, &routable, path, &error);
  if (routes == NULL)
    {
      /* The rules could not read the file; the device's destinations still apply. */
      g_autoptr(FerryConfig) plain = ferry_config_copy (config);

      g_message ("Routing %s without rules: %s", record->sop_instance_uid, error->message);
      g_ptr_array_set_size (plain->rules, 0);
      routes = ferry_router_route (plain, &routable, path, NULL);
    }
  return routes;
}

/* What the sending device is told, in the default repertoire of Error Comment (at most 64
 * characters), whatever the language of the window: the detail goes to the log and the window. */
static const char *
error_comment_for (guint16 status)
{
  switch (status)
    {
    case FERRY_DICOM_STATUS_OUT_OF_RESOURCES:
      return "Archive cannot take the object now; send it again later";
    case FERRY_DICOM_STATUS_DATASET_MISMATCH:
      return "Data set does not match the SOP Class/Instance of the request";
    case FERRY_DICOM_STATUS_CANNOT_UNDERSTAND:
    default:
      return "Data set is not valid DICOM; it was not stored";
    }
}

static guint16
refuse (FerryReceiver                *self,
        const FerryDicomStoreRequest *request,
        guint16                       status,
        char                        **error_comment,
        const char                   *detail)
{
  g_message ("Refused %s from %s with status 0x%04X: %s",
             request->sop_instance_uid, request->calling_ae, status, detail);

  *error_comment = g_strdup (error_comment_for (status));

  if (self->callbacks.store_failed != NULL)
    {
      g_autofree char *user_message =
        g_strdup_printf (_("An image from %s was refused: %s"), request->calling_ae, detail);
      self->callbacks.store_failed (request->calling_ae, user_message, self->user_data);
    }

  return status;
}

static guint16
on_store_cb (const FerryDicomStoreRequest  *request,
             char                         **error_comment,
             gpointer                       user_data)
{
  FerryReceiver *self = user_data;
  g_autoptr(FerryConfig) config = dup_config (self);
  g_auto(FerryDicomPrescanResult) prescan = { 0 };
  g_auto(FerryDicomAttributes) attrs = { 0 };
  g_autoptr(FerryInstanceRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *relative_path = NULL;
  g_autofree char *sha256 = NULL;
  const FerryDevice *device;
  FerryInsertOutcome outcome;
  gboolean created = FALSE;
  GMutex *uid_lock;

  /* Start writing the object to disk now, so that the pre-scan, the parse and the hash below
   * overlap with the device; the fsync in the archive then mostly waits for what has begun. */
  if (request->write_errno == 0)
    sync_file_range (request->spool_fd, 0, 0, SYNC_FILE_RANGE_WRITE);

  if (request->write_errno != 0)
    {
      g_autofree char *message = g_strdup_printf (_("it could not be written to the archive (%s)"),
                                                  g_strerror (request->write_errno));
      return refuse (self, request, FERRY_DICOM_STATUS_OUT_OF_RESOURCES, error_comment, message);
    }

  /* The bytes are on disk already; refuse them when they took the archive below its reserve,
   * so the database and logs can still be written. */
  if (!ferry_archive_check_space (self->archive, 0, &error))
    return refuse (self, request, FERRY_DICOM_STATUS_OUT_OF_RESOURCES, error_comment, error->message);

  /* A bounded structural walk before any full parse: DCMTK 3.6.7 overflows its stack on
   * thousands of nested sequences. */
  if (!ferry_dicom_prescan_file (request->spool_path, NULL, &prescan, &error))
    {
      g_autofree char *message = g_strdup_printf (_("its structure is not valid DICOM (%s)"),
                                                  error->message);
      return refuse (self, request, FERRY_DICOM_STATUS_CANNOT_UNDERSTAND, error_comment, message);
    }

  if (g_strcmp0 (prescan.sop_instance_uid, request->sop_instance_uid) != 0)
    return refuse (self, request, FERRY_DICOM_STATUS_DATASET_MISMATCH, error_comment,
                   _("the SOP Instance UID in the image differs from the one the device announced"));
  if (g_strcmp0 (prescan.sop_class_uid, request->sop_class_uid) != 0)
    return refuse (self, request, FERRY_DICOM_STATUS_DATASET_MISMATCH, error_comment,
                   _("the SOP Class UID in the image differs from the one the device announced"));

  if (!ferry_dicom_read_attributes (request->spool_path, &attrs, &error))
    {
      g_autofree char *message = g_strdup_printf (_("it could not be read as DICOM (%s)"),
                                                  error->message);
      return refuse (self, request, FERRY_DICOM_STATUS_CANNOT_UNDERSTAND, error_comment, message);
    }

  if (attrs.study_instance_uid == NULL || attrs.series_instance_uid == NULL)
    return refuse (self, request, FERRY_DICOM_STATUS_CANNOT_UNDERSTAND, error_comment,
                   _("its Study or Series Instance UID is missing"));

  device = ferry_config_find_device (config, request->calling_ae, request->peer_address);
  record = build_record (&attrs, request, device);

  /* Where it goes is decided now and written with the instance, in the same transaction: no
   * window in which an acknowledged object is not on its way anywhere. */
  record->routes = route (config, record, request->spool_path);

  uid_lock = &self->uid_locks[g_str_hash (request->sop_instance_uid) % UID_LOCK_STRIPES];
  g_mutex_lock (uid_lock);

  if (!ferry_archive_commit_spool_full (self->archive, request->spool_fd, request->spool_path,
                                        request->size, request->sop_instance_uid,
                                        &relative_path, &sha256, &created, &error))
    {
      g_mutex_unlock (uid_lock);
      return refuse (self, request, FERRY_DICOM_STATUS_OUT_OF_RESOURCES, error_comment, error->message);
    }

  record->file_path = g_strdup (relative_path);
  record->sha256 = g_strdup (sha256);

  if (!ferry_database_insert_instance (self->db, record, &outcome, &error))
    {
      g_autoptr(GError) remove_error = NULL;

      /* Nothing may stay behind that the index does not know: take back the file this
       * request created (a file that was there before belongs to an earlier row). */
      if (created && !ferry_archive_remove (self->archive, relative_path, &remove_error))
        g_message ("Could not take back %s: %s", relative_path, remove_error->message);

      g_mutex_unlock (uid_lock);
      return refuse (self, request, FERRY_DICOM_STATUS_OUT_OF_RESOURCES, error_comment, error->message);
    }

  g_mutex_unlock (uid_lock);

  if (outcome == FERRY_INSERT_NEW_VERSION)
    {
      g_message ("%s from %s has the SOP Instance UID of an archived object but different content; both are kept",
                 request->sop_instance_uid, request->calling_ae);
      if (self->callbacks.new_version != NULL)
        self->callbacks.new_version (request->calling_ae, request->sop_instance_uid,
                                     self->user_data);
    }

  g_info ("Stored %s from %s (%" G_GUINT64_FORMAT " bytes)",
          request->sop_instance_uid, request->calling_ae, request->size);

  if (self->callbacks.instance_stored != NULL)
    self->callbacks.instance_stored (record->study_instance_uid, request->sop_instance_uid,
                                     self->user_data);

  return FERRY_DICOM_STATUS_SUCCESS;
}

FerryReceiver *
ferry_receiver_new (const FerryConfig            *config,
                    guint16                       port,
                    FerryArchive                 *archive,
                    FerryDatabase                *db,
                    const FerryReceiverCallbacks *callbacks,
                    gpointer                      user_data,
                    GError                      **error)
{
  g_autoptr(FerryReceiver) self = NULL;
  FerryDicomScpOptions options = { 0 };

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (archive != NULL, NULL);
  g_return_val_if_fail (db != NULL, NULL);

  self = g_new0 (FerryReceiver, 1);
  g_mutex_init (&self->config_lock);
  for (guint i = 0; i < UID_LOCK_STRIPES; i++)
    g_mutex_init (&self->uid_locks[i]);
  self->config = ferry_config_copy (config);
  self->archive = archive;
  self->db = db;
  if (callbacks != NULL)
    self->callbacks = *callbacks;
  self->user_data = user_data;

  options.port = port;
  options.ae_title = config->receiver_ae_title;
  options.max_associations = config->max_associations;
  options.idle_timeout = config->timeout_seconds;
  options.spool_dir = ferry_archive_get_spool_dir (archive);
  options.on_association = on_association_cb;
  options.on_store = on_store_cb;
  options.on_association_end = on_association_end_cb;
  options.user_data = self;

  self->scp = ferry_dicom_scp_new (&options, error);
  if (self->scp == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

gboolean
ferry_receiver_start (FerryReceiver  *self,
                      GError        **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return ferry_dicom_scp_start (self->scp, error);
}

guint16
ferry_receiver_get_port (FerryReceiver *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return ferry_dicom_scp_get_port (self->scp);
}

void
ferry_receiver_set_config (FerryReceiver     *self,
                           const FerryConfig *config)
{
  FerryConfig *old;

  g_return_if_fail (self != NULL);
  g_return_if_fail (config != NULL);

  g_mutex_lock (&self->config_lock);
  old = self->config;
  self->config = ferry_config_copy (config);
  g_mutex_unlock (&self->config_lock);

  ferry_config_free (old);
}

void
ferry_receiver_stop (FerryReceiver *self,
                     guint          grace_seconds)
{
  g_return_if_fail (self != NULL);

  if (self->scp != NULL)
    ferry_dicom_scp_stop (self->scp, grace_seconds);
}

void
ferry_receiver_free (FerryReceiver *self)
{
  if (self == NULL)
    return;

  if (self->scp != NULL)
    {
      ferry_dicom_scp_stop (self->scp, 0);
      g_clear_pointer (&self->scp, ferry_dicom_scp_unref);
    }
  g_clear_pointer (&self->config, ferry_config_free);
  g_mutex_clear (&self->config_lock);
  for (guint i = 0; i < UID_LOCK_STRIPES; i++)
    g_mutex_clear (&self->uid_locks[i]);
  g_free (self);
}
