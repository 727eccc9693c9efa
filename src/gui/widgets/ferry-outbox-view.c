/* ferry-outbox-view.c: deliveries that gave up, and a way to send them again
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Outbox of the Studies page. A delivery lands here when a PACS refused the image or its
 * retries ran out; nothing leaves on its own, so each row says why and offers Resend. Rows
 * are per study and destination: a refused study is one problem, not forty.
 */

#define G_LOG_DOMAIN "ferry-outbox-view"

#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "ferry-charset.h"
#include "ferry-format.h"
#include "ferry-outbox-view.h"

typedef struct
{
  char      *study_instance_uid;
  char      *destination;
  char      *patient_name;        /* DICOM PN */
  char      *patient_id;
  char      *reason;              /* of the row that gave up last */
  gint64     updated_at;
  GPtrArray *sop_instance_uids;   /* (element-type utf8) */
} OutboxGroup;

/* One resend request: a study to a destination, or (both NULL) the whole outbox. */
typedef struct
{
  char *study_instance_uid;
  char *destination;
} Resend;

struct _FerryOutboxView
{
  GtkWidget     parent_instance;

  /* Owned */
  FerryEngine  *engine;
  GCancellable *cancellable;
  GPtrArray    *groups;           /* (element-type OutboxGroup), newest first */
  gboolean      in_flight;
  gboolean      stale;
  GQueue        resends;          /* (element-type Resend) waiting for the one in flight */
  gboolean      resending;
  guint         resent;           /* images queued again by the current run of resends */
  char         *resend_error;     /* the first thing that went wrong in the current run */

  /* Template children */
  GtkStack     *stack;
  GtkLabel     *summary_label;
  GtkListBox   *list_box;
};

enum {
  PROP_0,
  PROP_ENGINE,
  PROP_COUNT,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (FerryOutboxView, ferry_outbox_view, GTK_TYPE_WIDGET)

static GParamSpec *properties[N_PROPS];

static void
outbox_group_free (OutboxGroup *group)
{
  g_free (group->study_instance_uid);
  g_free (group->destination);
  g_free (group->patient_name);
  g_free (group->patient_id);
  g_free (group->reason);
  g_ptr_array_unref (group->sop_instance_uids);
  g_free (group);
}

static void
resend_free (Resend *resend)
{
  g_free (resend->study_instance_uid);
  g_free (resend->destination);
  g_free (resend);
}

static void
add_toast (FerryOutboxView *self,
           const char      *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  /* Toast titles are Pango markup in libadwaita 1.2; reasons come from the PACS. */
  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (escaped));
}

/* Rows */

static OutboxGroup *
find_group (FerryOutboxView *self,
            const char      *study_instance_uid,
            const char      *destination)
{
  for (guint i = 0; self->groups != NULL && i < self->groups->len; i++)
    {
      OutboxGroup *group = g_ptr_array_index (self->groups, i);

      if (g_strcmp0 (group->study_instance_uid, study_instance_uid) == 0
          && g_strcmp0 (group->destination, destination) == 0)
        return group;
    }

  return NULL;
}

static void resend_next (FerryOutboxView *self);

static void
act_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(FerryOutboxView) self = user_data;
  g_autoptr(GError) error = NULL;
  guint changed = 0;

  if (!ferry_engine_act_on_deliveries_finish (FERRY_ENGINE (source), result, &changed, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      if (self->resend_error == NULL)
        self->resend_error = g_strdup (error->message);
    }

  self->resent += changed;
  self->resending = FALSE;
  resend_next (self);
}

static void
resend_next (FerryOutboxView *self)
{
  Resend *resend;

  if (self->resending || self->engine == NULL)
    return;

  /* Only what is in the outbox (failed or given up): the study's delivered images are not sent
   * again. One call per study and destination, or one for everything (NULLs). */
  if ((resend = g_queue_pop_head (&self->resends)) != NULL)
    {
      self->resending = TRUE;
      ferry_engine_act_on_deliveries_async (self->engine, FERRY_LEDGER_RESEND,
                                            resend->study_instance_uid, resend->destination, NULL,
                                            FERRY_DELIVERY_GAVE_UP_MASK, self->cancellable,
                                            act_cb, g_object_ref (self));
      resend_free (resend);
      return;
    }

  if (self->resend_error != NULL)
    {
      g_autofree char *text =
        /* Translators: %s says why, e.g. "database is locked". */
        g_strdup_printf (_("Could not resend the images: %s"), self->resend_error);

      add_toast (self, text);
    }
  else
    {
      g_autofree char *text =
        g_strdup_printf (ngettext ("%u image will be sent again",
                                   "%u images will be sent again", self->resent),
                         self->resent);

      add_toast (self, text);
    }

  self->resent = 0;
  g_clear_pointer (&self->resend_error, g_free);
}

static void
queue_resend (FerryOutboxView   *self,
              const OutboxGroup *group)
{
  Resend *resend = g_new0 (Resend, 1);

  /* NULL group: everything in the outbox. */
  if (group != NULL)
    {
      resend->study_instance_uid = g_strdup (group->study_instance_uid);
      resend->destination = g_strdup (group->destination);
    }
  g_queue_push_tail (&self->resends, resend);
}

static void
resend_clicked_cb (FerryOutboxView *self,
                   GtkButton       *button)
{
  const char *study_instance_uid = g_object_get_data (G_OBJECT (button), "ferry-study");
  const char *destination = g_object_get_data (G_OBJECT (button), "ferry-destination");
  OutboxGroup *group = find_group (self, study_instance_uid, destination);

  if (group == NULL)
    return;

  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  queue_resend (self, group);
  resend_next (self);
}

static void
resend_all_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  FerryOutboxView *self = FERRY_OUTBOX_VIEW (widget);

  queue_resend (self, NULL);

  gtk_widget_action_set_enabled (widget, "outbox.resend-all", FALSE);
  resend_next (self);
}

/* "1 image for PACS-B · ID 123" */
static char *
join (char       *first,
      const char *second)
{
  char *joined;

  if (second == NULL)
    return first;

  /* Translators: joins the facts of an outbox row, e.g. "3 images for PACS-B · ID 123". */
  joined = g_strdup_printf (_("%s · %s"), first, second);
  g_free (first);

  return joined;
}

static GtkWidget *
create_row (FerryOutboxView   *self,
            const OutboxGroup *group)
{
  g_autofree char *name = NULL;
  g_autofree char *images = NULL;
  g_autofree char *when = ferry_format_day_and_time (group->updated_at);
  g_autofree char *subtitle = NULL;
  g_autofree char *tooltip = NULL;
  g_autofree char *first_line = NULL;
  GtkWidget *row;
  GtkWidget *button;
  guint n = group->sop_instance_uids->len;

  if (group->patient_name != NULL && group->patient_name[0] != '\0')
    name = ferry_person_name_to_display (group->patient_name);
  else
    name = g_strdup (_("Unknown patient"));

  /* Translators: how many images of a study did not reach the PACS %s. */
  images = g_strdup_printf (ngettext ("%u image for %s", "%u images for %s", n),
                            n, group->destination);
  first_line = g_steal_pointer (&images);
  if (group->patient_id != NULL && group->patient_id[0] != '\0')
    {
      /* Translators: the patient ID, as under the patient's name in the list of studies. */
      g_autofree char *id = g_strdup_printf (_("ID %s"), group->patient_id);

      first_line = join (first_line, id);
    }
  first_line = join (first_line, when);

  if (group->reason != NULL)
    subtitle = g_strdup_printf ("%s\n%s", first_line, group->reason);
  else
    subtitle = g_strdup (first_line);

  row = g_object_new (ADW_TYPE_ACTION_ROW,
                      "title", name,
                      "subtitle", subtitle,
                      "subtitle-lines", 4,
                      "use-markup", FALSE,
                      NULL);
  gtk_widget_add_css_class (row, "outbox-row");

  /* Translators: the tooltip of an outbox row's Resend button; %s is a PACS. */
  tooltip = g_strdup_printf (_("Send these images to %s again"), group->destination);
  button = g_object_new (GTK_TYPE_BUTTON,
                         "label", _("_Resend"),
                         "use-underline", TRUE,
                         "valign", GTK_ALIGN_CENTER,
                         "tooltip-text", tooltip,
                         NULL);
  g_object_set_data_full (G_OBJECT (button), "ferry-study",
                          g_strdup (group->study_instance_uid), g_free);
  g_object_set_data_full (G_OBJECT (button), "ferry-destination",
                          g_strdup (group->destination), g_free);
  g_signal_connect_object (button, "clicked", G_CALLBACK (resend_clicked_cb), self,
                           G_CONNECT_SWAPPED);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);

  return row;
}

static void
show_groups (FerryOutboxView *self)
{
  GtkWidget *child;
  guint n_images = 0;
  guint n_groups = self->groups != NULL ? self->groups->len : 0;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list_box))))
    gtk_list_box_remove (self->list_box, child);

  for (guint i = 0; i < n_groups; i++)
    {
      OutboxGroup *group = g_ptr_array_index (self->groups, i);

      n_images += group->sop_instance_uids->len;
      gtk_list_box_append (self->list_box, create_row (self, group));
    }

  if (n_groups > 0)
    {
      g_autofree char *images =
        g_strdup_printf (ngettext ("%u image could not be delivered",
                                   "%u images could not be delivered", n_images),
                         n_images);

      gtk_label_set_label (self->summary_label, images);
    }

  gtk_stack_set_visible_child_name (self->stack, n_groups > 0 ? "list" : "empty");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "outbox.resend-all", n_groups > 0);
}

/* Reading the ledger */

static int
compare_newest_first (gconstpointer a,
                      gconstpointer b)
{
  const OutboxGroup *group_a = *(OutboxGroup **) a;
  const OutboxGroup *group_b = *(OutboxGroup **) b;

  return group_a->updated_at < group_b->updated_at ? 1
         : group_a->updated_at > group_b->updated_at ? -1 : 0;
}

static GPtrArray *
group_deliveries (GPtrArray *deliveries)
{
  GPtrArray *groups = g_ptr_array_new_with_free_func ((GDestroyNotify) outbox_group_free);
  g_autoptr(GHashTable) by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < deliveries->len; i++)
    {
      const FerryDelivery *delivery = g_ptr_array_index (deliveries, i);
      g_autofree char *key = g_strconcat (delivery->study_instance_uid ?: "", "\n",
                                          delivery->destination, NULL);
      OutboxGroup *group = g_hash_table_lookup (by_key, key);

      if (group == NULL)
        {
          group = g_new0 (OutboxGroup, 1);
          group->study_instance_uid = g_strdup (delivery->study_instance_uid);
          group->destination = g_strdup (delivery->destination);
          group->patient_name = g_strdup (delivery->patient_name);
          group->patient_id = g_strdup (delivery->patient_id);
          group->sop_instance_uids = g_ptr_array_new_with_free_func (g_free);
          g_ptr_array_add (groups, group);
          g_hash_table_insert (by_key, g_steal_pointer (&key), group);
        }

      g_ptr_array_add (group->sop_instance_uids, g_strdup (delivery->sop_instance_uid));
      if (delivery->updated_at >= group->updated_at)
        {
          group->updated_at = delivery->updated_at;
          g_free (group->reason);
          group->reason = ferry_delivery_format_reason (delivery->last_error,
                                                        delivery->last_status,
                                                        delivery->last_status_meaning);
        }
    }

  g_ptr_array_sort (groups, compare_newest_first);

  return groups;
}

static void refresh (FerryOutboxView *self);

static void
list_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(FerryOutboxView) self = user_data;
  g_autoptr(GPtrArray) deliveries = NULL;
  g_autoptr(GError) error = NULL;
  guint old_count = ferry_outbox_view_get_count (self);

  deliveries = ferry_engine_list_deliveries_finish (FERRY_ENGINE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->in_flight = FALSE;

  if (deliveries == NULL)
    {
      g_message ("Could not read the outbox: %s", error->message);
      return;
    }

  g_clear_pointer (&self->groups, g_ptr_array_unref);
  self->groups = group_deliveries (deliveries);
  show_groups (self);

  if (old_count != ferry_outbox_view_get_count (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COUNT]);

  if (self->stale)
    refresh (self);
}

/* At most one read in flight; changes meanwhile cost one more read when it completes. */
static void
refresh (FerryOutboxView *self)
{
  if (self->engine == NULL)
    return;

  if (self->in_flight)
    {
      self->stale = TRUE;
      return;
    }

  self->in_flight = TRUE;
  self->stale = FALSE;
  ferry_engine_list_deliveries_async (self->engine, NULL, FERRY_DELIVERY_GAVE_UP_MASK,
                                      self->cancellable, list_cb, g_object_ref (self));
}

static void
deliveries_changed_cb (FerryOutboxView *self,
                       const char      *study_instance_uid,
                       FerryEngine     *engine)
{
  refresh (self);
}

/* GObject */

static void
ferry_outbox_view_dispose (GObject *object)
{
  FerryOutboxView *self = (FerryOutboxView *)object;

  ferry_outbox_view_set_engine (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_OUTBOX_VIEW);

  G_OBJECT_CLASS (ferry_outbox_view_parent_class)->dispose (object);
}

static void
ferry_outbox_view_finalize (GObject *object)
{
  FerryOutboxView *self = (FerryOutboxView *)object;

  g_clear_pointer (&self->groups, g_ptr_array_unref);
  g_queue_clear_full (&self->resends, (GDestroyNotify) resend_free);
  g_clear_pointer (&self->resend_error, g_free);

  G_OBJECT_CLASS (ferry_outbox_view_parent_class)->finalize (object);
}

static void
ferry_outbox_view_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  FerryOutboxView *self = FERRY_OUTBOX_VIEW (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      g_value_set_object (value, self->engine);
      break;

    case PROP_COUNT:
      g_value_set_uint (value, ferry_outbox_view_get_count (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_outbox_view_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  FerryOutboxView *self = FERRY_OUTBOX_VIEW (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      ferry_outbox_view_set_engine (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_outbox_view_class_init (FerryOutboxViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ferry_outbox_view_dispose;
  object_class->finalize = ferry_outbox_view_finalize;
  object_class->get_property = ferry_outbox_view_get_property;
  object_class->set_property = ferry_outbox_view_set_property;

  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL,
                         FERRY_TYPE_ENGINE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* What the view switcher's badge shows. */
  properties[PROP_COUNT] =
    g_param_spec_uint ("count", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/ferrydicom/Ferry/"
                                               "widgets/ferry-outbox-view.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryOutboxView, list_box);
  gtk_widget_class_bind_template_child (widget_class, FerryOutboxView, stack);
  gtk_widget_class_bind_template_child (widget_class, FerryOutboxView, summary_label);

  gtk_widget_class_install_action (widget_class, "outbox.resend-all", NULL, resend_all_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ferry_outbox_view_init (FerryOutboxView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_queue_init (&self->resends);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "outbox.resend-all", FALSE);
}

FerryEngine *
ferry_outbox_view_get_engine (FerryOutboxView *self)
{
  g_return_val_if_fail (FERRY_IS_OUTBOX_VIEW (self), NULL);

  return self->engine;
}

void
ferry_outbox_view_set_engine (FerryOutboxView *self,
                              FerryEngine     *engine)
{
  g_return_if_fail (FERRY_IS_OUTBOX_VIEW (self));
  g_return_if_fail (!engine || FERRY_IS_ENGINE (engine));

  if (self->engine == engine)
    return;

  if (self->engine != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->engine, deliveries_changed_cb, self);
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }

  g_set_object (&self->engine, engine);
  self->in_flight = FALSE;
  self->stale = FALSE;
  self->resending = FALSE;
  g_queue_clear_full (&self->resends, (GDestroyNotify) resend_free);

  if (engine != NULL)
    {
      self->cancellable = g_cancellable_new ();
      g_signal_connect_object (engine, "deliveries-changed",
                               G_CALLBACK (deliveries_changed_cb), self, G_CONNECT_SWAPPED);
      refresh (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENGINE]);
}

guint
ferry_outbox_view_get_count (FerryOutboxView *self)
{
  g_return_val_if_fail (FERRY_IS_OUTBOX_VIEW (self), 0);

  return self->groups != NULL ? self->groups->len : 0;
}
