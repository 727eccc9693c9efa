/* ferry-ledger.h: the delivery ledger, one row per (instance, destination)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Lives in the database (schema 2). Every state change is one transaction. "delivered" is written
 * only after the PACS answered the C-STORE. Times are microseconds since the epoch, UTC.
 * Thread-safe: calls are serialised by the database.
 */

#pragma once

#include <glib.h>

#include "ferry-database.h"

G_BEGIN_DECLS

typedef enum {
  FERRY_DELIVERY_QUEUED,
  FERRY_DELIVERY_SENDING,
  FERRY_DELIVERY_DELIVERED,
  FERRY_DELIVERY_DELIVERED_WITH_WARNING,
  FERRY_DELIVERY_RETRYING,
  FERRY_DELIVERY_FAILED,      /* Ferry cannot send it as it is (e.g. no decoder): no retry */
  FERRY_DELIVERY_OUTBOX,      /* the PACS refused it, or the retry window ran out */
  FERRY_DELIVERY_CANCELLED,
  FERRY_DELIVERY_N_STATES
} FerryDeliveryState;

#define FERRY_DELIVERY_STATE_BIT(s) (1u << (s))
#define FERRY_DELIVERY_PENDING_MASK (FERRY_DELIVERY_STATE_BIT (FERRY_DELIVERY_QUEUED) | \
                                     FERRY_DELIVERY_STATE_BIT (FERRY_DELIVERY_SENDING) | \
                                     FERRY_DELIVERY_STATE_BIT (FERRY_DELIVERY_RETRYING))
#define FERRY_DELIVERY_GAVE_UP_MASK (FERRY_DELIVERY_STATE_BIT (FERRY_DELIVERY_FAILED) | \
                                     FERRY_DELIVERY_STATE_BIT (FERRY_DELIVERY_OUTBOX))
#define FERRY_DELIVERY_ALL_MASK     ((1u << FERRY_DELIVERY_N_STATES) - 1)

/* "queued", "delivered-with-warning", …: the ledger's and the CLI's names. */
const char *ferry_delivery_state_to_string   (FerryDeliveryState state);
int         ferry_delivery_state_from_string (const char        *text);
/* Translated, for people: "Delivered", "Retrying", "In the outbox", … */
const char *ferry_delivery_state_describe    (FerryDeliveryState state);

/* An instance waiting for the router. */
typedef struct {
  gint64  instance_id;
  char   *sop_instance_uid;
  char   *study_instance_uid;
  char   *file_path;               /* archive-relative */
  char   *calling_ae;              /* NULL for files imported by hand */
  char   *peer_address;
  char   *specific_character_set;
  char   *route_to;                /* (nullable) destination chosen by whoever imported it */
  GPtrArray *routes;               /* (element-type FerryRoute) (nullable): the router's answer */
} FerryRoutable;

/* Where the router sends one instance. */
typedef struct {
  char *destination;
  char *coercions_json;            /* (nullable) JSON array of {"action","tag","value"} */
} FerryRoute;

/* The outcome of one attempt, for ferry_ledger_finish(). */
typedef struct {
  gint64              delivery_id;
  char               *study_instance_uid;  /* for change notifications; not written */
  FerryDeliveryState  state;
  int                 status;              /* DIMSE status, -1 when there was no response */
  char               *status_meaning;      /* (nullable) translated */
  char               *error_text;          /* (nullable) translated; why it did not work */
  gint64              next_attempt_at;     /* for FERRY_DELIVERY_RETRYING */
  gboolean            uncertain;           /* may have reached the PACS without a response */
} FerryOutcome;

typedef struct {
  gint64              id;
  gint64              instance_id;
  char               *destination;
  FerryDeliveryState  state;
  guint               attempts;
  guint               uncertain;        /* attempts that may have reached the PACS unconfirmed */
  char               *coercions_json;
  gint64              queued_at;        /* start of the retry window */
  gint64              next_attempt_at;  /* 0: none */
  gint64              last_attempt_at;
  gint64              delivered_at;
  gint64              updated_at;
  int                 last_status;      /* DIMSE status word, -1 before any response */
  char               *last_status_meaning;
  char               *last_error;
  /* From the instance */
  char               *sop_instance_uid;
  char               *sop_class_uid;
  char               *transfer_syntax_uid;
  char               *study_instance_uid;
  char               *file_path;
  char               *patient_name;
  char               *patient_id;
} FerryDelivery;

/* Per destination, for one study: the Studies page's line "38 of 40 delivered to PACS-A". */
typedef struct {
  char   *destination;
  guint   total;
  guint   delivered;         /* delivered and delivered-with-warning */
  guint   warnings;
  guint   pending;           /* queued, sending, retrying */
  guint   retrying;
  guint   gave_up;           /* failed and outbox */
  guint   cancelled;
  guint   uncertain;
  gint64  next_attempt_at;   /* earliest among the retrying; 0: none */
  char   *last_error;        /* of the most recently updated retrying or given-up row */
} FerryDeliverySummary;

typedef enum {
  FERRY_LEDGER_RETRY_NOW,    /* queued/retrying: due now */
  FERRY_LEDGER_RESEND,       /* any state but sending: queued again, a fresh retry window */
  FERRY_LEDGER_CANCEL,       /* queued/retrying: cancelled */
} FerryLedgerAction;

/* Which rows an action or a listing applies to; NULL fields match everything. */
typedef struct {
  const char *study_instance_uid;
  const char *sop_instance_uid;
  const char *destination;
  guint       states;        /* FERRY_DELIVERY_STATE_BIT mask; 0 means all */
} FerryLedgerFilter;

/* Instances not routed yet, oldest first. (element-type FerryRoutable) */
GPtrArray  *ferry_ledger_list_unrouted   (FerryDatabase        *db,
                                          guint                 limit,
                                          GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* For each of @routables (element-type FerryRoutable), adds a queued row per route (a route to a
 * destination the instance has a row for already is skipped) and marks the instance routed:
 * one transaction for all. */
gboolean    ferry_ledger_route           (FerryDatabase        *db,
                                          GPtrArray            *routables,
                                          gint64                now,
                                          GError              **error);

/* A delivery of the archived object (@sop_instance_uid, @sha256) to @destination, queued unless
 * it has one already (whatever its state: delivered objects are not sent again unasked).
 * @added tells which. */
gboolean    ferry_ledger_route_existing  (FerryDatabase        *db,
                                          const char           *sop_instance_uid,
                                          const char           *sha256,
                                          const char           *destination,
                                          gint64                now,
                                          gboolean             *added,
                                          GError              **error);

/* Destinations with rows due at @now (queued, or retrying with next_attempt_at <= @now). */
char      **ferry_ledger_due_destinations (FerryDatabase       *db,
                                           gint64               now,
                                           GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* Earliest next_attempt_at of a retrying row; FALSE when none. */
gboolean    ferry_ledger_next_retry      (FerryDatabase        *db,
                                          gint64               *when,
                                          GError              **error);

/* Takes up to @max due rows of @destination, all of the study of the oldest due row, and marks
 * them sending (attempts + 1): one transaction. (element-type FerryDelivery) */
GPtrArray  *ferry_ledger_claim           (FerryDatabase        *db,
                                          const char           *destination,
                                          gint64                now,
                                          guint                 max,
                                          GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Records the outcomes of attempts (element-type FerryOutcome), each row's change atomic, all in
 * one transaction: an association's responses are written in small groups, so that forwarding
 * does not cost a disk flush per image. */
gboolean    ferry_ledger_finish          (FerryDatabase        *db,
                                          GPtrArray            *outcomes,
                                          gint64                now,
                                          GError              **error);

/* At start-up: rows left sending by a process that stopped are queued again and counted as
 * uncertain. */
gboolean    ferry_ledger_resume          (FerryDatabase        *db,
                                          gint64                now,
                                          guint                *resumed,
                                          GError              **error);

gboolean    ferry_ledger_act             (FerryDatabase        *db,
                                          FerryLedgerAction     action,
                                          const FerryLedgerFilter *filter,
                                          gint64                now,
                                          guint                *changed,
                                          GError              **error);

/* Rows of destination @old_name now belong to @new_name (the destination was renamed). */
gboolean    ferry_ledger_rename_destination (FerryDatabase     *db,
                                             const char        *old_name,
                                             const char        *new_name,
                                             guint             *changed,
                                             GError           **error);

/* Oldest first. (element-type FerryDelivery) */
GPtrArray  *ferry_ledger_list            (FerryDatabase        *db,
                                          const FerryLedgerFilter *filter,
                                          GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* (element-type FerryDeliverySummary), by destination name */
GPtrArray  *ferry_ledger_summarize_study (FerryDatabase        *db,
                                          const char           *study_instance_uid,
                                          GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Counts by state over the whole ledger; @counts has FERRY_DELIVERY_N_STATES entries. */
gboolean    ferry_ledger_count           (FerryDatabase        *db,
                                          guint                *counts,
                                          guint                *uncertain,
                                          GError              **error);

void        ferry_routable_free          (FerryRoutable        *routable);
FerryOutcome *ferry_outcome_new          (const FerryDelivery  *delivery,
                                          FerryDeliveryState    state) G_GNUC_WARN_UNUSED_RESULT;
void        ferry_outcome_free           (FerryOutcome         *outcome);
FerryRoute *ferry_route_new              (const char           *destination,
                                          const char           *coercions_json) G_GNUC_WARN_UNUSED_RESULT;
void        ferry_route_free             (FerryRoute           *route);
void        ferry_delivery_free          (FerryDelivery        *delivery);
FerryDelivery *ferry_delivery_copy       (const FerryDelivery  *delivery) G_GNUC_WARN_UNUSED_RESULT;
void        ferry_delivery_summary_free  (FerryDeliverySummary *summary);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryRoutable, ferry_routable_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryRoute, ferry_route_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryOutcome, ferry_outcome_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryDelivery, ferry_delivery_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryDeliverySummary, ferry_delivery_summary_free)

G_END_DECLS
