/* ferry-format.c: Ferry's facts in words, for the pages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Kept apart from the widgets so that the Studies page and its Outbox say things the same way.
 */

#define G_LOG_DOMAIN "ferry-format"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-format.h"

char *
ferry_format_day_and_time (gint64 usec)
{
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GDateTime) yesterday = NULL;
  int y1, m1, d1, y2, m2, d2;

  if (usec <= 0 || !(when = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC)))
    return NULL;

  now = g_date_time_new_now_local ();
  yesterday = g_date_time_add_days (now, -1);

  g_date_time_get_ymd (when, &y1, &m1, &d1);
  g_date_time_get_ymd (now, &y2, &m2, &d2);
  if (y1 == y2 && m1 == m2 && d1 == d2)
    /* Translators: when something happened today (a study arrived, a delivery gave up), in
     * the format of g_date_time_format(). */
    return g_date_time_format (when, _("Today at %H:%M"));

  g_date_time_get_ymd (yesterday, &y2, &m2, &d2);
  if (y1 == y2 && m1 == m2 && d1 == d2)
    /* Translators: when something happened yesterday, in the format of g_date_time_format(). */
    return g_date_time_format (when, _("Yesterday at %H:%M"));

  /* Translators: when something happened, in the format of g_date_time_format(),
   * e.g. "Jan 15, 2024 at 14:02". */
  return g_date_time_format (when, _("%b %-d, %Y at %H:%M"));
}

/* Words */

char *
ferry_delivery_format_reason (const char *error_text,
                              int         status,
                              const char *status_meaning)
{
  gboolean has_error = error_text != NULL && error_text[0] != '\0';
  gboolean has_meaning = status_meaning != NULL && status_meaning[0] != '\0';

  /* The deliverer often puts the status meaning into the error already. */
  if (has_error && has_meaning && strstr (error_text, status_meaning) == NULL)
    /* Translators: why an image did not arrive: an error, then the PACS's answer, e.g.
     * "Data set rejected — Refused: cannot understand (0xC000)". */
    return g_strdup_printf (_("%s — %s"), error_text, status_meaning);
  if (has_error)
    return g_strdup (error_text);
  if (has_meaning)
    return g_strdup (status_meaning);
  if (status >= 0)
    /* Translators: a DICOM status word Ferry has no words for, e.g. "Status 0xC123". */
    return g_strdup_printf (_("Status 0x%04X"), (guint) status);

  return NULL;
}

/* "retrying in 4 min", "retrying now", or "retrying at 14:05" when it is a long way off. */
static char *
format_retry (gint64 next_attempt_at,
              gint64 now)
{
  gint64 minutes;

  if (next_attempt_at <= 0 || next_attempt_at <= now)
    return g_strdup (_("retrying now"));

  minutes = (next_attempt_at - now + 60 * G_USEC_PER_SEC - 1) / (60 * G_USEC_PER_SEC);
  if (minutes <= 90)
    /* Translators: when the next attempt to send is made; %u is a number of minutes. */
    return g_strdup_printf (ngettext ("retrying in %u min", "retrying in %u min", minutes),
                            (guint) minutes);
  else
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (next_attempt_at
                                                                   / G_USEC_PER_SEC);
      /* Translators: when the next attempt to send is made, in the format of
       * g_date_time_format(), e.g. "retrying at 14:05". */
      return g_date_time_format (when, _("retrying at %H:%M"));
    }
}

/* "38 of 40 delivered to PACS-A", or when nothing arrived yet, what is happening instead. */
static char *
format_progress (const FerryDeliverySummary *summary)
{
  if (summary->delivered > 0 || summary->pending == 0)
    /* Translators: images of a study that reached a PACS; %u of %u are numbers, %s the PACS's
     * name, e.g. "38 of 40 delivered to PACS-A". */
    return g_strdup_printf (ngettext ("%u of %u delivered to %s", "%u of %u delivered to %s",
                                      summary->total),
                            summary->delivered, summary->total, summary->destination);

  if (summary->retrying > 0)
    /* Translators: no image of the study reached the PACS %s yet, e.g. "Not yet delivered to
     * PACS-A". */
    return g_strdup_printf (_("Not yet delivered to %s"), summary->destination);

  /* Translators: the images of a study are queued for the PACS %s. */
  return g_strdup_printf (_("Waiting to be sent to %s"), summary->destination);
}

static char *
join (char       *first,
      const char *second)
{
  char *joined;

  if (second == NULL || second[0] == '\0')
    return first;

  /* Translators: joins the parts of a study's delivery line, e.g. "38 of 40 delivered to
   * PACS-A · retrying in 4 min". */
  joined = g_strdup_printf (_("%s · %s"), first, second);
  g_free (first);

  return joined;
}

static char *
with_reason (char       *first,
             const char *reason)
{
  char *joined;

  if (reason == NULL || reason[0] == '\0')
    return first;

  /* Translators: a delivery state and why, e.g. "retrying in 4 min: association rejected". */
  joined = g_strdup_printf (_("%s: %s"), first, reason);
  g_free (first);

  return joined;
}

char *
ferry_delivery_summary_format (const FerryDeliverySummary *summary,
                               gint64                      now)
{
  g_return_val_if_fail (summary != NULL, NULL);

  if (summary->total == 0)
    return NULL;

  if (summary->gave_up > 0)
    {
      /* What needs a person comes first: it will not fix itself. */
      g_autofree char *outbox = NULL;

      if (summary->delivered == 0)
        return with_reason (
          /* Translators: images of a study that the PACS %s refused or that ran out of
           * retries, e.g. "3 in the outbox for PACS-B". */
          g_strdup_printf (ngettext ("%u in the outbox for %s", "%u in the outbox for %s",
                                     summary->gave_up),
                           summary->gave_up, summary->destination),
          summary->last_error);

      /* Translators: after "38 of 40 delivered to PACS-A · ", the images that did not arrive. */
      outbox = g_strdup_printf (ngettext ("%u in the outbox", "%u in the outbox",
                                          summary->gave_up),
                                summary->gave_up);

      outbox = with_reason (g_steal_pointer (&outbox), summary->last_error);

      return join (format_progress (summary), outbox);
    }

  if (summary->retrying > 0)
    {
      g_autofree char *retry = format_retry (summary->next_attempt_at, now);

      retry = with_reason (g_steal_pointer (&retry), summary->last_error);

      return join (format_progress (summary), retry);
    }

  if (summary->pending > 0)
    return summary->delivered > 0 ? join (format_progress (summary), _("sending"))
                                  : format_progress (summary);

  if (summary->cancelled > 0 && summary->delivered == 0)
    /* Translators: somebody cancelled sending the study to the PACS %s. */
    return g_strdup_printf (_("Sending to %s was cancelled"), summary->destination);

  {
    char *line = format_progress (summary);

    if (summary->warnings > 0)
      {
        g_autofree char *warnings =
          /* Translators: the PACS accepted the images but answered with a warning. */
          g_strdup_printf (ngettext ("%u with a warning", "%u with warnings", summary->warnings),
                           summary->warnings);

        line = join (line, warnings);
      }

    if (summary->cancelled > 0)
      {
        g_autofree char *cancelled =
          g_strdup_printf (ngettext ("%u cancelled", "%u cancelled", summary->cancelled),
                           summary->cancelled);

        line = join (line, cancelled);
      }

    return line;
  }
}

const char *
ferry_delivery_summaries_icon_name (GPtrArray *summaries)
{
  guint total = 0, delivered = 0, pending = 0, retrying = 0, gave_up = 0;

  if (summaries == NULL)
    return NULL;

  for (guint i = 0; i < summaries->len; i++)
    {
      const FerryDeliverySummary *summary = g_ptr_array_index (summaries, i);

      total += summary->total;
      delivered += summary->delivered;
      pending += summary->pending;
      retrying += summary->retrying;
      gave_up += summary->gave_up;
    }

  if (total == 0)
    return NULL;
  if (gave_up > 0)
    return "dialog-warning-symbolic";
  if (retrying > 0)
    return "view-refresh-symbolic";
  if (pending > 0)
    return "content-loading-symbolic";
  if (delivered > 0)
    return "emblem-ok-symbolic";

  return "process-stop-symbolic";
}
