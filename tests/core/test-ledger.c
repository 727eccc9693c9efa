/* test-ledger.c: the delivery ledger
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "ferry-database.h"
#include "ferry-ledger.h"

#define STUDY_A "1.2.3.100"
#define STUDY_B "1.2.3.200"
#define SECOND  G_USEC_PER_SEC

typedef struct {
  FerryDatabase *db;
} Fixture;

static void
add_instance (Fixture    *fixture,
              const char *study_uid,
              const char *sop_uid,
              const char *route_to)
{
  g_autoptr(FerryInstanceRecord) r = g_new0 (FerryInstanceRecord, 1);
  g_autoptr(GError) error = NULL;
  FerryInsertOutcome outcome;

  r->sop_instance_uid = g_strdup (sop_uid);
  r->sop_class_uid = g_strdup ("1.2.840.10008.5.1.4.1.1.6.1");
  r->transfer_syntax_uid = g_strdup ("1.2.840.10008.1.2.1");
  r->study_instance_uid = g_strdup (study_uid);
  r->series_instance_uid = g_strconcat (study_uid, ".1", NULL);
  r->patient_id = g_strdup ("PID-1");
  r->patient_name = g_strdup ("DOE^JANE");
  r->calling_ae = g_strdup ("CART1");
  r->file_path = g_strconcat ("ab/", sop_uid, NULL);
  r->sha256 = g_compute_checksum_for_string (G_CHECKSUM_SHA256, sop_uid, -1);
  r->size = 10;
  r->received_at = g_get_real_time ();
  r->route_to = g_strdup (route_to);
  g_assert_true (ferry_database_insert_instance (fixture->db, r, &outcome, &error));
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "ferry", NULL);
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_no_errno (g_mkdir_with_parents (dir, 0700));
  path = g_build_filename (dir, "ferry.db", NULL);
  g_unlink (path);
  fixture->db = ferry_database_open (path, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_pointer (&fixture->db, ferry_database_close);
}

/* Routes every unrouted instance to @destinations (or to its own route_to). */
static void
route_all (Fixture     *fixture,
           const char **destinations,
           gint64       now)
{
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;

  pending = ferry_ledger_list_unrouted (fixture->db, 100, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < pending->len; i++)
    {
      FerryRoutable *r = g_ptr_array_index (pending, i);

      r->routes = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_route_free);
      if (r->route_to != NULL)
        g_ptr_array_add (r->routes, ferry_route_new (r->route_to, NULL));
      else
        for (guint d = 0; destinations[d] != NULL; d++)
          g_ptr_array_add (r->routes, ferry_route_new (destinations[d], "[{\"action\":\"remove\",\"tag\":\"OtherPatientIDs\"}]"));
    }
  g_assert_true (ferry_ledger_route (fixture->db, pending, now, &error));
  g_assert_no_error (error);
}

static GPtrArray *
list (Fixture    *fixture,
      const char *destination,
      guint       states)
{
  FerryLedgerFilter filter = { .destination = destination, .states = states };
  g_autoptr(GError) error = NULL;
  GPtrArray *rows = ferry_ledger_list (fixture->db, &filter, &error);

  g_assert_no_error (error);
  return rows;
}

static void
finish_all (Fixture            *fixture,
            GPtrArray          *batch,
            FerryDeliveryState  state,
            int                 status,
            gint64              next,
            gint64              now)
{
  g_autoptr(GPtrArray) outcomes = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_outcome_free);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < batch->len; i++)
    {
      FerryOutcome *o = ferry_outcome_new (g_ptr_array_index (batch, i), state);

      o->status = status;
      o->status_meaning = status >= 0 ? g_strdup_printf ("meaning of %04X", status) : NULL;
      o->error_text = state == FERRY_DELIVERY_DELIVERED ? NULL : g_strdup ("the reason");
      o->next_attempt_at = next;
      g_ptr_array_add (outcomes, o);
    }
  g_assert_true (ferry_ledger_finish (fixture->db, outcomes, now, &error));
  g_assert_no_error (error);
}

static void
test_route (Fixture       *fixture,
            gconstpointer  data)
{
  const char *both[] = { "PACS A", "PACS B", NULL };
  g_autoptr(GPtrArray) unrouted = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time ();

  add_instance (fixture, STUDY_A, "1.1", NULL);
  add_instance (fixture, STUDY_A, "1.2", "PACS C");
  route_all (fixture, both, now);

  /* Routed once: nothing left for the router, and a second routing adds nothing. */
  unrouted = ferry_ledger_list_unrouted (fixture->db, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (unrouted->len, ==, 0);
  route_all (fixture, both, now);

  rows = list (fixture, NULL, 0);
  g_assert_cmpuint (rows->len, ==, 3);
  for (guint i = 0; i < rows->len; i++)
    {
      FerryDelivery *d = g_ptr_array_index (rows, i);

      g_assert_cmpint (d->state, ==, FERRY_DELIVERY_QUEUED);
      g_assert_cmpuint (d->attempts, ==, 0);
      g_assert_cmpint (d->last_status, ==, -1);
      g_assert_cmpint (d->queued_at, ==, now);
      g_assert_cmpstr (d->study_instance_uid, ==, STUDY_A);
      g_assert_cmpstr (d->patient_name, ==, "DOE^JANE");
      if (g_strcmp0 (d->sop_instance_uid, "1.2") == 0)
        {
          g_assert_cmpstr (d->destination, ==, "PACS C");
          g_assert_null (d->coercions_json);
        }
      else
        {
          g_assert_nonnull (strstr (d->coercions_json, "OtherPatientIDs"));
        }
    }
}

static void
test_claim_by_study (Fixture       *fixture,
                     gconstpointer  data)
{
  const char *one[] = { "PACS A", NULL };
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) second = NULL;
  g_autoptr(GPtrArray) third = NULL;
  g_autoptr(GPtrArray) sending = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) due = NULL;
  gint64 now = g_get_real_time ();

  add_instance (fixture, STUDY_A, "1.1", NULL);
  add_instance (fixture, STUDY_B, "2.1", NULL);
  add_instance (fixture, STUDY_A, "1.2", NULL);
  add_instance (fixture, STUDY_B, "2.2", NULL);
  route_all (fixture, one, now);

  due = ferry_ledger_due_destinations (fixture->db, now, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (due, ((const char *[]) { "PACS A", NULL }));

  /* The oldest row's study first, all of it, then the other study. */
  first = ferry_ledger_claim (fixture->db, "PACS A", now, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (first->len, ==, 2);
  for (guint i = 0; i < first->len; i++)
    {
      FerryDelivery *d = g_ptr_array_index (first, i);

      g_assert_cmpstr (d->study_instance_uid, ==, STUDY_A);
      g_assert_cmpint (d->state, ==, FERRY_DELIVERY_SENDING);
      g_assert_cmpuint (d->attempts, ==, 1);
    }

  second = ferry_ledger_claim (fixture->db, "PACS A", now, 1, &error);
  g_assert_cmpuint (second->len, ==, 1);
  g_assert_cmpstr (((FerryDelivery *) g_ptr_array_index (second, 0))->study_instance_uid, ==, STUDY_B);

  sending = list (fixture, NULL, FERRY_DELIVERY_STATE_BIT (FERRY_DELIVERY_SENDING));
  g_assert_cmpuint (sending->len, ==, 3);

  /* Another destination has nothing. */
  third = ferry_ledger_claim (fixture->db, "PACS Z", now, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (third->len, ==, 0);
}

static void
test_finish_and_retry (Fixture       *fixture,
                       gconstpointer  data)
{
  const char *one[] = { "PACS A", NULL };
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GPtrArray) retrying = NULL;
  g_autoptr(GPtrArray) delivered = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) due = NULL;
  gint64 now = g_get_real_time ();
  gint64 when = 0;

  add_instance (fixture, STUDY_A, "1.1", NULL);
  route_all (fixture, one, now);

  batch = ferry_ledger_claim (fixture->db, "PACS A", now, 10, &error);
  finish_all (fixture, batch, FERRY_DELIVERY_RETRYING, 0xA700, now + 60 * SECOND, now);

  retrying = list (fixture, NULL, FERRY_DELIVERY_STATE_BIT (FERRY_DELIVERY_RETRYING));
  g_assert_cmpuint (retrying->len, ==, 1);
  {
    FerryDelivery *d = g_ptr_array_index (retrying, 0);

    g_assert_cmpint (d->last_status, ==, 0xA700);
    g_assert_cmpstr (d->last_status_meaning, ==, "meaning of A700");
    g_assert_cmpstr (d->last_error, ==, "the reason");
    g_assert_cmpint (d->next_attempt_at, ==, now + 60 * SECOND);
  }

  /* Not due before its time; due after. */
  due = ferry_ledger_due_destinations (fixture->db, now + 59 * SECOND, &error);
  g_assert_cmpuint (g_strv_length (due), ==, 0);
  g_assert_true (ferry_ledger_next_retry (fixture->db, &when, &error));
  g_assert_cmpint (when, ==, now + 60 * SECOND);
  again = ferry_ledger_claim (fixture->db, "PACS A", now + 61 * SECOND, 10, &error);
  g_assert_cmpuint (again->len, ==, 1);
  g_assert_cmpuint (((FerryDelivery *) g_ptr_array_index (again, 0))->attempts, ==, 2);

  finish_all (fixture, again, FERRY_DELIVERY_DELIVERED, 0x0000, 0, now + 62 * SECOND);
  delivered = list (fixture, NULL, FERRY_DELIVERY_STATE_BIT (FERRY_DELIVERY_DELIVERED));
  g_assert_cmpuint (delivered->len, ==, 1);
  {
    FerryDelivery *d = g_ptr_array_index (delivered, 0);

    g_assert_cmpint (d->last_status, ==, 0);
    g_assert_null (d->last_error);
    g_assert_cmpint (d->delivered_at, ==, now + 62 * SECOND);
    g_assert_cmpint (d->next_attempt_at, ==, 0);
  }
  g_assert_false (ferry_ledger_next_retry (fixture->db, &when, &error));
  g_assert_no_error (error);
}

static void
test_resume (Fixture       *fixture,
             gconstpointer  data)
{
  const char *one[] = { "PACS A", NULL };
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time ();
  guint resumed = 0;

  add_instance (fixture, STUDY_A, "1.1", NULL);
  add_instance (fixture, STUDY_A, "1.2", NULL);
  route_all (fixture, one, now);
  batch = ferry_ledger_claim (fixture->db, "PACS A", now, 10, &error);
  g_assert_cmpuint (batch->len, ==, 2);

  /* A process killed here left them sending; the next start queues them again. */
  g_assert_true (ferry_ledger_resume (fixture->db, now + SECOND, &resumed, &error));
  g_assert_cmpuint (resumed, ==, 2);
  queued = list (fixture, NULL, FERRY_DELIVERY_STATE_BIT (FERRY_DELIVERY_QUEUED));
  g_assert_cmpuint (queued->len, ==, 2);
  g_assert_cmpuint (((FerryDelivery *) g_ptr_array_index (queued, 0))->uncertain, ==, 1);

  /* An outcome for a row no longer sending changes nothing. */
  finish_all (fixture, batch, FERRY_DELIVERY_DELIVERED, 0, 0, now + 2 * SECOND);
  g_clear_pointer (&queued, g_ptr_array_unref);
  queued = list (fixture, NULL, FERRY_DELIVERY_STATE_BIT (FERRY_DELIVERY_QUEUED));
  g_assert_cmpuint (queued->len, ==, 2);
}

static void
test_actions (Fixture       *fixture,
              gconstpointer  data)
{
  const char *one[] = { "PACS A", NULL };
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) summary = NULL;
  g_autoptr(GError) error = NULL;
  FerryLedgerFilter study_a = { .study_instance_uid = STUDY_A };
  FerryLedgerFilter sop = { .sop_instance_uid = "1.1" };
  gint64 now = g_get_real_time ();
  guint counts[FERRY_DELIVERY_N_STATES];
  guint uncertain = 0;
  guint changed = 0;

  add_instance (fixture, STUDY_A, "1.1", NULL);
  add_instance (fixture, STUDY_A, "1.2", NULL);
  add_instance (fixture, STUDY_A, "1.3", NULL);
  add_instance (fixture, STUDY_B, "2.1", NULL);
  route_all (fixture, one, now);

  batch = ferry_ledger_claim (fixture->db, "PACS A", now, 3, &error);
  g_assert_cmpuint (batch->len, ==, 3);
  {
    g_autoptr(GPtrArray) outcomes = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_outcome_free);
    FerryOutcome *o;

    o = ferry_outcome_new (g_ptr_array_index (batch, 0), FERRY_DELIVERY_DELIVERED);
    o->status = 0;
    g_ptr_array_add (outcomes, o);
    o = ferry_outcome_new (g_ptr_array_index (batch, 1), FERRY_DELIVERY_RETRYING);
    o->error_text = g_strdup ("connection refused");
    o->next_attempt_at = now + 300 * SECOND;
    g_ptr_array_add (outcomes, o);
    o = ferry_outcome_new (g_ptr_array_index (batch, 2), FERRY_DELIVERY_OUTBOX);
    o->status = 0xC000;
    o->error_text = g_strdup ("Refused: cannot understand (0xC000)");
    g_ptr_array_add (outcomes, o);
    g_assert_true (ferry_ledger_finish (fixture->db, outcomes, now, &error));
  }

  summary = ferry_ledger_summarize_study (fixture->db, STUDY_A, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (summary->len, ==, 1);
  {
    FerryDeliverySummary *s = g_ptr_array_index (summary, 0);

    g_assert_cmpstr (s->destination, ==, "PACS A");
    g_assert_cmpuint (s->total, ==, 3);
    g_assert_cmpuint (s->delivered, ==, 1);
    g_assert_cmpuint (s->pending, ==, 1);
    g_assert_cmpuint (s->retrying, ==, 1);
    g_assert_cmpuint (s->gave_up, ==, 1);
    g_assert_cmpint (s->next_attempt_at, ==, now + 300 * SECOND);
    g_assert_nonnull (s->last_error);
  }

  /* Retry now: only the retrying row of study A becomes due. */
  g_assert_true (ferry_ledger_act (fixture->db, FERRY_LEDGER_RETRY_NOW, &study_a, now, &changed, &error));
  g_assert_cmpuint (changed, ==, 1);
  rows = list (fixture, NULL, FERRY_DELIVERY_STATE_BIT (FERRY_DELIVERY_QUEUED));
  g_assert_cmpuint (rows->len, ==, 2);   /* 1.2 again, and 2.1 never claimed */
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* Resend the delivered one: queued again with a fresh window. */
  g_assert_true (ferry_ledger_act (fixture->db, FERRY_LEDGER_RESEND, &sop, now + SECOND, &changed, &error));
  g_assert_cmpuint (changed, ==, 1);
  rows = list (fixture, NULL, FERRY_DELIVERY_STATE_BIT (FERRY_DELIVERY_QUEUED));
  g_assert_cmpuint (rows->len, ==, 3);
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* Cancel study A's pending rows; the outbox row stays for a person. */
  g_assert_true (ferry_ledger_act (fixture->db, FERRY_LEDGER_CANCEL, &study_a, now, &changed, &error));
  g_assert_cmpuint (changed, ==, 2);

  g_assert_true (ferry_ledger_count (fixture->db, counts, &uncertain, &error));
  g_assert_cmpuint (counts[FERRY_DELIVERY_CANCELLED], ==, 2);
  g_assert_cmpuint (counts[FERRY_DELIVERY_OUTBOX], ==, 1);
  g_assert_cmpuint (counts[FERRY_DELIVERY_QUEUED], ==, 1);
  g_assert_cmpuint (uncertain, ==, 0);
}

static void
test_rename (Fixture       *fixture,
             gconstpointer  data)
{
  const char *old_name[] = { "PACS A", NULL };
  const char *both[] = { "PACS A", "PACS NEW", NULL };
  g_autoptr(GPtrArray) renamed = NULL;
  g_autoptr(GPtrArray) left = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time ();
  guint changed = 0;

  add_instance (fixture, STUDY_A, "1.1", NULL);
  route_all (fixture, old_name, now);
  add_instance (fixture, STUDY_A, "1.2", NULL);
  route_all (fixture, both, now);

  /* 1.1 moves; 1.2 has a row under the new name already and keeps both. */
  g_assert_true (ferry_ledger_rename_destination (fixture->db, "PACS A", "PACS NEW", &changed,
                                                  &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changed, ==, 1);
  renamed = list (fixture, "PACS NEW", 0);
  g_assert_cmpuint (renamed->len, ==, 2);
  left = list (fixture, "PACS A", 0);
  g_assert_cmpuint (left->len, ==, 1);
  g_assert_cmpstr (((FerryDelivery *) g_ptr_array_index (left, 0))->sop_instance_uid, ==, "1.2");
}

static void
test_states (void)
{
  for (int i = 0; i < FERRY_DELIVERY_N_STATES; i++)
    {
      g_assert_cmpint (ferry_delivery_state_from_string (ferry_delivery_state_to_string (i)), ==, i);
      g_assert_nonnull (ferry_delivery_state_describe (i));
    }
  g_assert_cmpint (ferry_delivery_state_from_string ("lost"), ==, -1);
  g_assert_cmpstr (ferry_delivery_state_to_string (FERRY_DELIVERY_DELIVERED_WITH_WARNING), ==,
                   "delivered-with-warning");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/ferry/core/ledger/states", test_states);
  g_test_add ("/ferry/core/ledger/route", Fixture, NULL, fixture_set_up, test_route, fixture_tear_down);
  g_test_add ("/ferry/core/ledger/claim-by-study", Fixture, NULL, fixture_set_up, test_claim_by_study, fixture_tear_down);
  g_test_add ("/ferry/core/ledger/finish-and-retry", Fixture, NULL, fixture_set_up, test_finish_and_retry, fixture_tear_down);
  g_test_add ("/ferry/core/ledger/resume", Fixture, NULL, fixture_set_up, test_resume, fixture_tear_down);
  g_test_add ("/ferry/core/ledger/rename", Fixture, NULL, fixture_set_up, test_rename, fixture_tear_down);
  g_test_add ("/ferry/core/ledger/actions", Fixture, NULL, fixture_set_up, test_actions, fixture_tear_down);

  return g_test_run ();
}
