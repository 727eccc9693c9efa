/* ferry-config.h: config.json: the station's identity, its devices, PACS destinations and rules
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

#define FERRY_CONFIG_VERSION 2

/* Which attribute of a device's objects names the performing physician. JSON strings:
 * "performing" (default), "referring", "operator", "reading", "telecom", "none". */
typedef enum {
  FERRY_PHYSICIAN_TAG_PERFORMING,   /* Performing Physician's Name (0008,1050) */
  FERRY_PHYSICIAN_TAG_REFERRING,    /* Referring Physician's Name (0008,0090) */
  FERRY_PHYSICIAN_TAG_OPERATOR,     /* Operator's Name (0008,1070) */
  FERRY_PHYSICIAN_TAG_READING,      /* Name of Physician(s) Reading Study (0008,1060) */
  FERRY_PHYSICIAN_TAG_TELECOM,      /* Person's Telecom Information (0040,1104) */
  FERRY_PHYSICIAN_TAG_NONE,
} FerryPhysicianTag;

/* A device (modality) profile, keyed on the calling AE title. */
typedef struct {
  char  *name;              /* what the admin calls it, e.g. "Cart 3, room 12" */
  char  *ae_title;          /* the calling AE title it uses */
  char  *host;              /* (nullable) numeric IPv4 address it must come from */
  char  *character_set;     /* (nullable) Specific Character Set to assume when the object's is
                             * missing or wrong, e.g. "ISO_IR 100" */
  char  *specialty;         /* (nullable) free text, e.g. "Cardiology" */
  FerryPhysicianTag physician_tag;
  char **destinations;      /* (nullable) names of FerryDestination its objects go to; empty or
                             * NULL: the default destinations */
} FerryDevice;

/* A PACS (DICOM storage SCP) that Ferry delivers to. AE title + host + port are unique across
 * destinations; names are unique too (case-insensitively). */
typedef struct {
  char     *name;                    /* e.g. "PACS cardiology" */
  char     *ae_title;                /* called AE title */
  char     *host;                    /* host name or numeric address */
  guint16   port;
  char    **specialties;             /* (nullable) free text list */
  char     *character_set;           /* (nullable) Specific Character Set of objects sent; NULL
                                      * or "": as received */
  gboolean  decompress;              /* send uncompressed even when the PACS accepts more */
  guint     max_associations;        /* parallel associations, 1–16, default 2 */
  guint     retry_interval_seconds;  /* ≥ 1; the window offers 300, 900, 1800; default 300 */
  guint     retry_days;              /* keep retrying for 1–4 days, default 4 */
  gboolean  is_default;              /* unknown devices (and devices with no list) go here */
  gboolean  verified;                /* the last Test connection with these settings worked */
} FerryDestination;

/* Rules: conditions on tag values, combined with AND (no condition: every instance). A tag is a
 * DICOM keyword ("Modality") or "gggg,eeee" hex; checked with ferry_dicom_parse_tag(). */
typedef enum {
  FERRY_MATCH_EQUALS,        /* JSON "equals" */
  FERRY_MATCH_STARTS_WITH,   /* JSON "starts-with" */
  FERRY_MATCH_REGEX,         /* JSON "regex": GRegex syntax, must compile */
} FerryMatchOp;

typedef struct {
  char         *tag;
  FerryMatchOp  op;
  char         *value;
} FerryCondition;

typedef enum {
  FERRY_COERCE_SET,          /* JSON "set": tag := value */
  FERRY_COERCE_COPY,         /* JSON "copy": tag := value of source tag (e.g. AccessionNumber →
                              * PatientID) */
  FERRY_COERCE_REMOVE,       /* JSON "remove": the tag is removed */
} FerryCoercionAction;

typedef struct {
  FerryCoercionAction  action;
  char                *tag;      /* the attribute changed */
  char                *value;    /* SET: the new value; COPY: the source tag; REMOVE: NULL */
} FerryCoercion;

/* An instance matching every condition goes to each of @destinations, with @coercions applied to
 * the copy sent (never to the archived original). */
typedef struct {
  char      *name;
  gboolean   enabled;           /* default TRUE */
  GPtrArray *conditions;        /* (element-type FerryCondition) */
  char     **destinations;      /* names; at least one */
  GPtrArray *coercions;         /* (element-type FerryCoercion) */
} FerryRule;

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
  GPtrArray *destinations;             /* (element-type FerryDestination) */
  GPtrArray *rules;                    /* (element-type FerryRule) */
} FerryConfig;

FerryDevice *ferry_device_new                (const char        *name,
                                              const char        *ae_title,
                                              const char        *host,
                                              const char        *character_set) G_GNUC_WARN_UNUSED_RESULT;
FerryDevice *ferry_device_copy               (const FerryDevice *device) G_GNUC_WARN_UNUSED_RESULT;
void         ferry_device_free               (FerryDevice       *device);

/* Defaults: max_associations 2, retry every 300 s for 4 days, not default, not verified. */
FerryDestination *ferry_destination_new      (const char        *name,
                                              const char        *ae_title,
                                              const char        *host,
                                              guint16            port) G_GNUC_WARN_UNUSED_RESULT;
FerryDestination *ferry_destination_copy     (const FerryDestination *destination) G_GNUC_WARN_UNUSED_RESULT;
void         ferry_destination_free          (FerryDestination  *destination);

FerryCondition *ferry_condition_new          (const char        *tag,
                                              FerryMatchOp       op,
                                              const char        *value) G_GNUC_WARN_UNUSED_RESULT;
void         ferry_condition_free            (FerryCondition    *condition);
FerryCoercion *ferry_coercion_new            (FerryCoercionAction action,
                                              const char        *tag,
                                              const char        *value) G_GNUC_WARN_UNUSED_RESULT;
void         ferry_coercion_free             (FerryCoercion     *coercion);
FerryRule   *ferry_rule_new                  (const char        *name) G_GNUC_WARN_UNUSED_RESULT;
FerryRule   *ferry_rule_copy                 (const FerryRule   *rule) G_GNUC_WARN_UNUSED_RESULT;
void         ferry_rule_free                 (FerryRule         *rule);

/* The JSON names of the enums ("performing", "equals", "set", …) and back; -1 when unknown. */
const char  *ferry_physician_tag_to_string   (FerryPhysicianTag  tag);
int          ferry_physician_tag_from_string (const char        *text);
/* The DICOM keyword of the attribute, e.g. "PerformingPhysicianName"; NULL for NONE. */
const char  *ferry_physician_tag_keyword     (FerryPhysicianTag  tag);
const char  *ferry_match_op_to_string        (FerryMatchOp       op);
int          ferry_match_op_from_string      (const char        *text);
const char  *ferry_coercion_action_to_string (FerryCoercionAction action);
int          ferry_coercion_action_from_string (const char      *text);

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

/* The destination named @name (case-insensitive), or NULL. */
const FerryDestination *ferry_config_find_destination (const FerryConfig *config,
                                                       const char        *name);
/* The destinations marked default, in order (element-type FerryDestination, not owned). */
GPtrArray   *ferry_config_dup_default_destinations (const FerryConfig *config) G_GNUC_WARN_UNUSED_RESULT;
/* Renames a destination and every reference to it (devices, rules). FALSE if not found. */
gboolean     ferry_config_rename_destination (FerryConfig       *config,
                                              const char        *old_name,
                                              const char        *new_name);
/* Removes a destination and every reference to it (devices, rules; a rule left without
 * destinations is removed). FALSE if not found. */
gboolean     ferry_config_remove_destination (FerryConfig       *config,
                                              const char        *name);

/* AE title rules: 1–16 characters of the Default Character Repertoire, no backslash, no control
 * characters, not only spaces. Leading and trailing spaces are not significant. */
gboolean     ferry_ae_title_validate         (const char        *ae_title,
                                              GError           **error);
gboolean     ferry_port_validate             (gint64             port,
                                              GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryConfig, ferry_config_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryDevice, ferry_device_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryDestination, ferry_destination_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryRule, ferry_rule_free)

G_END_DECLS
