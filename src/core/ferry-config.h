/* ferry-config.h: config.json, the station's identity and its devices
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FERRY_CONFIG_ERROR (ferry_config_error_quark ())

typedef enum {
  FERRY_CONFIG_ERROR_INVALID,   /* a field has a bad value; the message names the field */
  FERRY_CONFIG_ERROR_PARSE,     /* not JSON, or not the expected shape */
  FERRY_CONFIG_ERROR_IO,
} FerryConfigError;

GQuark ferry_config_error_quark (void);

#define FERRY_CONFIG_VERSION 1

typedef struct {
  char *name;            /* what the admin calls it, e.g. "Cart 3, room 12" */
  char *ae_title;        /* the calling AE title it uses */
  char *host;            /* (nullable) numeric IPv4 address it must come from */
  char *character_set;   /* (nullable) Specific Character Set to assume when the object's is
                          * missing or wrong, e.g. "ISO_IR 100" */
} FerryDevice;

typedef struct {
  int        version;
  char      *receiver_ae_title;        /* default "FERRY" */
  guint16    port;                     /* default 11112 */
  char      *sender_ae_title;          /* default "FERRY" */
  char      *institution_name;         /* (nullable) */
  char      *station_name;             /* (nullable) */
  gboolean   accept_unknown_devices;   /* default TRUE */
  guint      max_associations;         /* default 8 */
  guint      timeout_seconds;          /* default 60: a peer silent this long within an
                                        * association, even mid-PDU, is dropped */
  guint64    disk_reserve_bytes;       /* default 256 MiB; refuse objects below it */
  GPtrArray *devices;                  /* (element-type FerryDevice) */
} FerryConfig;

FerryDevice *ferry_device_new                (const char        *name,
                                              const char        *ae_title,
                                              const char        *host,
                                              const char        *character_set) G_GNUC_WARN_UNUSED_RESULT;
FerryDevice *ferry_device_copy               (const FerryDevice *device) G_GNUC_WARN_UNUSED_RESULT;
void         ferry_device_free               (FerryDevice       *device);

FerryConfig *ferry_config_new_default        (void) G_GNUC_WARN_UNUSED_RESULT;
FerryConfig *ferry_config_copy               (const FerryConfig *config) G_GNUC_WARN_UNUSED_RESULT;
void         ferry_config_free               (FerryConfig       *config);
gboolean     ferry_config_equal              (const FerryConfig *a,
                                              const FerryConfig *b);

/* Parses and validates; missing fields take their defaults, unknown fields are ignored. */
FerryConfig *ferry_config_from_json          (const char        *data,
                                              gssize             length,
                                              GError           **error) G_GNUC_WARN_UNUSED_RESULT;
char        *ferry_config_to_json            (const FerryConfig *config) G_GNUC_WARN_UNUSED_RESULT;

/* A missing file gives the defaults; anything else wrong is an error naming the file and field. */
FerryConfig *ferry_config_load               (const char        *path,
                                              GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* Validates, then writes atomically (temporary file, fsync, rename, directory fsync). */
gboolean     ferry_config_save               (const FerryConfig *config,
                                              const char        *path,
                                              GError           **error);
/* The error message names the field, e.g. "receiver_ae_title: …". */
gboolean     ferry_config_validate           (const FerryConfig *config,
                                              GError           **error);

/* Finds the device whose AE title is @calling_ae (and whose host, when set, is @peer_address). */
const FerryDevice *ferry_config_find_device  (const FerryConfig *config,
                                              const char        *calling_ae,
                                              const char        *peer_address);

/* AE title rules: 1–16 characters of the Default Character Repertoire, no backslash, no control
 * characters, not only spaces. Leading and trailing spaces are not significant. */
gboolean     ferry_ae_title_validate         (const char        *ae_title,
                                              GError           **error);
gboolean     ferry_port_validate             (gint64             port,
                                              GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryConfig, ferry_config_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryDevice, ferry_device_free)

G_END_DECLS
