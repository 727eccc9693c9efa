/* ferry-studies-page.c: the studies Ferry received
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A column view over the engine's live list of studies, filtered by a search and sorted by the
 * column headers. Before the first study arrives, the page shows what to type into a modality
 * so that it sends its images here.
 */

#define G_LOG_DOMAIN "ferry-studies-page"

#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "ferry-charset.h"
#include "ferry-delivery-tracker.h"
#include "ferry-format.h"
#include "ferry-outbox-view.h"
#include "ferry-studies-page.h"

struct _FerryStudiesPage
{
  FerryPage              parent_instance;

  /* Owned */
  GtkFilterListModel    *filter_model;
  GtkCustomFilter       *filter;
  char                  *search_text;        /* case-folded, or NULL */
  guint                  n_logged;           /* G_MAXUINT until the first count is logged */
  FerryDeliveryTracker  *tracker;            /* (nullable): while there is an engine */
  GHashTable            *delivery_items;     /* GtkListItem set: bound delivery cells */
  guint                  countdown_source;   /* refreshes "retrying in N min" while mapped */

  /* Template children */
  GtkSearchBar          *search_bar;
  GtkSearchEntry        *search_entry;
  GtkStack              *view_stack;
  GtkColumnView         *column_view;
  GtkColumnViewColumn   *patient_column;
  GtkColumnViewColumn   *birth_date_column;
  GtkColumnViewColumn   *study_date_column;
  GtkColumnViewColumn   *description_column;
  GtkColumnViewColumn   *modality_column;
  GtkColumnViewColumn   *device_column;
  GtkColumnViewColumn   *images_column;
  GtkColumnViewColumn   *received_column;
  GtkColumnViewColumn   *delivery_column;
  AdwViewStack          *sections;
  AdwStatusPage         *empty_page;
  GtkLabel              *ae_title_label;
  GtkLabel              *addresses_label;
  GtkLabel              *port_label;
  GtkWidget             *not_receiving_box;
  GtkLabel              *not_receiving_label;
};

enum {
  PROP_0,
  PROP_SEARCH_MODE_ENABLED,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (FerryStudiesPage, ferry_studies_page, FERRY_TYPE_PAGE)

static GParamSpec *properties[N_PROPS];

/* Formatting */

static gboolean
parse_dicom_date (const char *value,
                  int        *year,
                  int        *month,
                  int        *day)
{
  if (value == NULL || strlen (value) < 8)
    return FALSE;

  for (guint i = 0; i < 8; i++)
    {
      if (!g_ascii_isdigit (value[i]))
        return FALSE;
    }

  *year = (value[0] - '0') * 1000 + (value[1] - '0') * 100
          + (value[2] - '0') * 10 + (value[3] - '0');
  *month = (value[4] - '0') * 10 + (value[5] - '0');
  *day = (value[6] - '0') * 10 + (value[7] - '0');

  return g_date_valid_dmy (*day, *month, *year);
}

/* A DICOM DA ("19700115") as the locale writes dates, with the month spelt out so that a birth
 * date is never ambiguous; anything unparseable is shown as it came. */
static char *
format_dicom_date (const char *value)
{
  g_autoptr(GDateTime) date = NULL;
  int year, month, day;

  if (value == NULL || value[0] == '\0')
    return NULL;

  if (!parse_dicom_date (value, &year, &month, &day)
      || !(date = g_date_time_new_local (year, month, day, 12, 0, 0)))
    return g_strdup (value);

  /* Translators: a date, in the format of g_date_time_format(): %b is the abbreviated month
   * name, %-d the day and %Y the four-digit year, e.g. "Jan 15, 1970". */
  return g_date_time_format (date, _("%b %-d, %Y"));
}

/* A DICOM DA and TM ("20240301", "142501.000") as a date and an hour. */
static char *
format_dicom_date_time (const char *date,
                        const char *time)
{
  g_autofree char *formatted = format_dicom_date (date);

  if (formatted == NULL)
    return NULL;

  if (time != NULL && strlen (time) >= 4
      && g_ascii_isdigit (time[0]) && g_ascii_isdigit (time[1])
      && g_ascii_isdigit (time[2]) && g_ascii_isdigit (time[3]))
    return g_strdup_printf ("%s %c%c:%c%c", formatted, time[0], time[1], time[2], time[3]);

  return g_steal_pointer (&formatted);
}

static char *
format_patient_name (FerryStudy *study)
{
  const char *name = ferry_study_get_patient_name (study);

  if (name == NULL || name[0] == '\0')
    return NULL;

  return ferry_person_name_to_display (name);
}

/* "US\SR" → "US, SR" */
static char *
format_modalities (FerryStudy *study)
{
  const char *modalities = ferry_study_get_modalities (study);
  g_auto(GStrv) parts = NULL;

  if (modalities == NULL || modalities[0] == '\0')
    return NULL;

  parts = g_strsplit (modalities, "\\", -1);

  return g_strjoinv (", ", parts);
}

/* Cells */

typedef struct
{
  GtkWidget *(*create) (void);
  void       (*fill)   (GtkWidget  *cell,
                        FerryStudy *study);
} StudyColumn;

static void
set_label_or_dash (GtkLabel   *label,
                   const char *text)
{
  gboolean empty = text == NULL || text[0] == '\0';

  /* An em dash, so that an empty cell reads as "not given", not as "still loading". */
  gtk_label_set_label (label, empty ? "—" : text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (label), empty ? NULL : text);

  if (empty)
    gtk_widget_add_css_class (GTK_WIDGET (label), "dim-label");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (label), "dim-label");
}

static GtkWidget *
create_text_cell (void)
{
  return g_object_new (GTK_TYPE_LABEL,
                       "xalign", 0.0f,
                       "ellipsize", PANGO_ELLIPSIZE_END,
                       NULL);
}

/* Names and descriptions matter most: they keep room for a readable start when the window is
 * narrow or the column titles are long (some translations are). */
static GtkWidget *
create_wide_text_cell (void)
{
  GtkWidget *label = create_text_cell ();

  gtk_label_set_width_chars (GTK_LABEL (label), 10);

  return label;
}

static GtkWidget *
create_number_cell (void)
{
  GtkWidget *label = g_object_new (GTK_TYPE_LABEL,
                                   "xalign", 1.0f,
                                   NULL);

  gtk_widget_add_css_class (label, "numeric");

  return label;
}

static GtkWidget *
create_patient_cell (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *name = create_wide_text_cell ();
  GtkWidget *patient_id = create_text_cell ();

  gtk_widget_add_css_class (name, "patient-name");
  gtk_widget_add_css_class (patient_id, "caption");
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), patient_id);

  return box;
}

static void
fill_patient (GtkWidget  *cell,
              FerryStudy *study)
{
  g_autofree char *name = format_patient_name (study);
  g_autofree char *birth_date = format_dicom_date (ferry_study_get_patient_birth_date (study));
  const char *patient_id = ferry_study_get_patient_id (study);
  GtkLabel *id_label = GTK_LABEL (gtk_widget_get_last_child (cell));
  g_autofree char *id_text = NULL;

  set_label_or_dash (GTK_LABEL (gtk_widget_get_first_child (cell)), name);

  /* The birth date goes under the name with the ID rather than in a column of its own: the
   * delivery state needs the room. */
  if (patient_id != NULL && patient_id[0] != '\0' && birth_date != NULL)
    /* Translators: under the patient's name in the list of studies: the patient ID, then the
     * birth date, e.g. "ID 12345 · Jan 15, 1970". */
    id_text = g_strdup_printf (_("ID %s · %s"), patient_id, birth_date);
  else if (patient_id != NULL && patient_id[0] != '\0')
    /* Translators: the patient ID under the patient's name in the list of studies. */
    id_text = g_strdup_printf (_("ID %s"), patient_id);
  else if (birth_date != NULL)
    id_text = g_strdup (birth_date);

  set_label_or_dash (id_label, id_text);
  gtk_widget_add_css_class (GTK_WIDGET (id_label), "dim-label");
}

static void
fill_birth_date (GtkWidget  *cell,
                 FerryStudy *study)
{
  g_autofree char *text = format_dicom_date (ferry_study_get_patient_birth_date (study));

  set_label_or_dash (GTK_LABEL (cell), text);
}

static void
fill_study_date (GtkWidget  *cell,
                 FerryStudy *study)
{
  g_autofree char *text = format_dicom_date_time (ferry_study_get_study_date (study),
                                                  ferry_study_get_study_time (study));

  set_label_or_dash (GTK_LABEL (cell), text);
}

/* The description, and under it the physician (from the attribute the device's profile names),
 * when the study has one. */
static GtkWidget *
create_description_cell (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *description = create_wide_text_cell ();
  GtkWidget *physician = create_text_cell ();

  gtk_widget_add_css_class (physician, "caption");
  gtk_widget_add_css_class (physician, "dim-label");
  gtk_widget_add_css_class (physician, "physician");
  gtk_box_append (GTK_BOX (box), description);
  gtk_box_append (GTK_BOX (box), physician);

  return box;
}

static void
fill_description (GtkWidget  *cell,
                  FerryStudy *study)
{
  const char *physician = ferry_study_get_physician_name (study);
  GtkWidget *physician_label = gtk_widget_get_last_child (cell);

  set_label_or_dash (GTK_LABEL (gtk_widget_get_first_child (cell)),
                     ferry_study_get_study_description (study));

  if (physician != NULL && physician[0] != '\0')
    {
      g_autofree char *display = ferry_person_name_to_display (physician);

      gtk_label_set_label (GTK_LABEL (physician_label), display);
      gtk_widget_set_tooltip_text (physician_label, display);
      gtk_widget_set_visible (physician_label, TRUE);
    }
  else
    {
      gtk_widget_set_visible (physician_label, FALSE);
    }
}

static void
fill_modality (GtkWidget  *cell,
               FerryStudy *study)
{
  g_autofree char *text = format_modalities (study);

  set_label_or_dash (GTK_LABEL (cell), text);
}

static void
fill_device (GtkWidget  *cell,
             FerryStudy *study)
{
  set_label_or_dash (GTK_LABEL (cell), ferry_study_get_calling_ae (study));
}

static void
fill_images (GtkWidget  *cell,
             FerryStudy *study)
{
  g_autofree char *text = g_strdup_printf ("%u", ferry_study_get_instances (study));

  gtk_label_set_label (GTK_LABEL (cell), text);
}

static void
fill_received (GtkWidget  *cell,
               FerryStudy *study)
{
  g_autofree char *text = ferry_format_day_and_time (ferry_study_get_last_received_at (study));

  set_label_or_dash (GTK_LABEL (cell), text);
}

static const StudyColumn patient_cells = { create_patient_cell, fill_patient };
static const StudyColumn birth_date_cells = { create_text_cell, fill_birth_date };
static const StudyColumn study_date_cells = { create_text_cell, fill_study_date };
static const StudyColumn description_cells = { create_description_cell, fill_description };
static const StudyColumn modality_cells = { create_text_cell, fill_modality };
static const StudyColumn device_cells = { create_text_cell, fill_device };
static const StudyColumn images_cells = { create_number_cell, fill_images };
static const StudyColumn received_cells = { create_text_cell, fill_received };

static void
study_notify_cb (FerryStudy  *study,
                 GParamSpec  *pspec,
                 GtkListItem *list_item)
{
  const StudyColumn *column = g_object_get_data (G_OBJECT (list_item), "ferry-study-column");

  column->fill (gtk_list_item_get_child (list_item), study);
}

static void
cell_setup_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               const StudyColumn        *column)
{
  g_object_set_data (G_OBJECT (list_item), "ferry-study-column", (gpointer)column);
  gtk_list_item_set_child (list_item, column->create ());
}

static void
cell_bind_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              const StudyColumn        *column)
{
  FerryStudy *study = gtk_list_item_get_item (list_item);
  gulong handler;

  column->fill (gtk_list_item_get_child (list_item), study);

  /* Studies grow while a modality is still sending; the engine notifies on the main thread. */
  handler = g_signal_connect (study, "notify", G_CALLBACK (study_notify_cb), list_item);
  g_object_set_data (G_OBJECT (list_item), "ferry-study-notify", GSIZE_TO_POINTER (handler));
}

static void
cell_unbind_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *list_item,
                const StudyColumn        *column)
{
  FerryStudy *study = gtk_list_item_get_item (list_item);
  gpointer data = g_object_get_data (G_OBJECT (list_item), "ferry-study-notify");
  gulong handler = GPOINTER_TO_SIZE (data);

  if (handler != 0)
    g_signal_handler_disconnect (study, handler);
  g_object_set_data (G_OBJECT (list_item), "ferry-study-notify", NULL);
}

/* Sort keys: GtkStringSorter and GtkNumericSorter evaluate these once per item. */

static char *
patient_sort_key (FerryStudy *study,
                  gpointer    user_data)
{
  return format_patient_name (study);
}

static char *
birth_date_sort_key (FerryStudy *study,
                     gpointer    user_data)
{
  return g_strdup (ferry_study_get_patient_birth_date (study));
}

static char *
study_date_sort_key (FerryStudy *study,
                     gpointer    user_data)
{
  return g_strconcat (ferry_study_get_study_date (study) ?: "",
                      ferry_study_get_study_time (study) ?: "",
                      NULL);
}

static char *
description_sort_key (FerryStudy *study,
                      gpointer    user_data)
{
  return g_strdup (ferry_study_get_study_description (study));
}

static char *
modality_sort_key (FerryStudy *study,
                   gpointer    user_data)
{
  return g_strdup (ferry_study_get_modalities (study));
}

static char *
device_sort_key (FerryStudy *study,
                 gpointer    user_data)
{
  return g_strdup (ferry_study_get_calling_ae (study));
}

static guint
images_sort_key (FerryStudy *study,
                 gpointer    user_data)
{
  return ferry_study_get_instances (study);
}

static gint64
received_sort_key (FerryStudy *study,
                   gpointer    user_data)
{
  return ferry_study_get_last_received_at (study);
}

static void
setup_column (GtkColumnViewColumn *column,
              const StudyColumn   *cells,
              GType                key_type,
              GCallback            sort_key)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkExpression *expression;
  g_autoptr(GtkSorter) sorter = NULL;

  g_signal_connect (factory, "setup", G_CALLBACK (cell_setup_cb), (gpointer)cells);
  g_signal_connect (factory, "bind", G_CALLBACK (cell_bind_cb), (gpointer)cells);
  g_signal_connect (factory, "unbind", G_CALLBACK (cell_unbind_cb), (gpointer)cells);
  gtk_column_view_column_set_factory (column, factory);

  expression = gtk_cclosure_expression_new (key_type, NULL, 0, NULL, sort_key, NULL, NULL);
  if (key_type == G_TYPE_STRING)
    sorter = GTK_SORTER (gtk_string_sorter_new (expression));
  else
    sorter = GTK_SORTER (gtk_numeric_sorter_new (expression));
  gtk_column_view_column_set_sorter (column, sorter);
}

/* Delivery: where the study's images went, per destination, and what can be done about it */

typedef enum {
  MENU_RETRY_NOW = 1 << 0,
  MENU_CANCEL    = 1 << 1,
  MENU_RESEND    = 1 << 2,
} DeliveryMenu;

static GtkWidget *
create_delivery_cell (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *icon = gtk_image_new ();
  GtkWidget *lines = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *menu_button;

  gtk_widget_add_css_class (box, "delivery");
  gtk_widget_set_valign (icon, GTK_ALIGN_CENTER);
  gtk_widget_set_hexpand (lines, TRUE);
  gtk_widget_set_valign (lines, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (lines, "delivery-lines");

  menu_button = g_object_new (GTK_TYPE_MENU_BUTTON,
                              "icon-name", "view-more-symbolic",
                              "valign", GTK_ALIGN_CENTER,
                              "tooltip-text", _("Delivery Actions"),
                              NULL);
  gtk_widget_add_css_class (menu_button, "flat");
  gtk_accessible_update_property (GTK_ACCESSIBLE (menu_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Delivery Actions"),
                                  -1);

  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), lines);
  gtk_box_append (GTK_BOX (box), menu_button);

  return box;
}

static GMenuModel *
create_delivery_menu (const char *study_instance_uid,
                      guint       items)
{
  GMenu *menu = g_menu_new ();
  g_autoptr(GMenuItem) item = NULL;

  if (items & MENU_RETRY_NOW)
    {
      item = g_menu_item_new (_("Retry _Now"), NULL);
      g_menu_item_set_action_and_target (item, "studies.retry-now", "s", study_instance_uid);
      g_menu_append_item (menu, item);
      g_clear_object (&item);
    }

  if (items & MENU_CANCEL)
    {
      item = g_menu_item_new (_("_Cancel Sending"), NULL);
      g_menu_item_set_action_and_target (item, "studies.cancel", "s", study_instance_uid);
      g_menu_append_item (menu, item);
      g_clear_object (&item);
    }

  if (items & MENU_RESEND)
    {
      item = g_menu_item_new (_("_Resend…"), NULL);
      g_menu_item_set_action_and_target (item, "studies.resend", "s", study_instance_uid);
      g_menu_append_item (menu, item);
      g_clear_object (&item);
    }

  return G_MENU_MODEL (menu);
}

static void
fill_delivery (FerryStudiesPage *self,
               GtkListItem      *list_item)
{
  FerryStudy *study = gtk_list_item_get_item (list_item);
  GtkWidget *cell = gtk_list_item_get_child (list_item);
  GtkWidget *icon = gtk_widget_get_first_child (cell);
  GtkWidget *lines = gtk_widget_get_next_sibling (icon);
  GtkWidget *menu_button = gtk_widget_get_last_child (cell);
  const char *uid = ferry_study_get_study_instance_uid (study);
  GPtrArray *summaries = NULL;
  const char *icon_name;
  GtkWidget *line;
  gint64 now = g_get_real_time ();
  guint items = 0;

  if (self->tracker != NULL)
    summaries = ferry_delivery_tracker_lookup (self->tracker, uid);

  while ((line = gtk_widget_get_first_child (lines)))
    gtk_box_remove (GTK_BOX (lines), line);

  for (guint i = 0; summaries != NULL && i < summaries->len; i++)
    {
      const FerryDeliverySummary *summary = g_ptr_array_index (summaries, i);
      g_autofree char *text = ferry_delivery_summary_format (summary, now);

      if (text == NULL)
        continue;

      /* Two lines leave room for the reason ("retrying in 4 min: association rejected")
       * without making the other columns give up theirs. */
      line = g_object_new (GTK_TYPE_LABEL,
                           "label", text,
                           "tooltip-text", text,
                           "xalign", 0.0f,
                           "wrap", TRUE,
                           "wrap-mode", PANGO_WRAP_WORD_CHAR,
                           "lines", 2,
                           "ellipsize", PANGO_ELLIPSIZE_END,
                           "width-chars", 20,
                           "max-width-chars", 60,
                           NULL);
      gtk_widget_add_css_class (line, "delivery-line");
      gtk_box_append (GTK_BOX (lines), line);

      if (summary->retrying > 0)
        items |= MENU_RETRY_NOW;
      if (summary->pending > 0)
        items |= MENU_CANCEL;
      items |= MENU_RESEND;
    }

  /* A study sent nowhere keeps the row as it was. */
  icon_name = items != 0 ? ferry_delivery_summaries_icon_name (summaries) : NULL;
  gtk_image_set_from_icon_name (GTK_IMAGE (icon), icon_name);
  gtk_widget_set_visible (icon, icon_name != NULL);
  gtk_widget_set_visible (menu_button, items != 0);

  gtk_widget_remove_css_class (icon, "success");
  gtk_widget_remove_css_class (icon, "warning");
  if (g_strcmp0 (icon_name, "emblem-ok-symbolic") == 0)
    gtk_widget_add_css_class (icon, "success");
  else if (g_strcmp0 (icon_name, "dialog-warning-symbolic") == 0)
    gtk_widget_add_css_class (icon, "warning");

  /* A new model closes an open menu: only replace it when its items change. */
  if (items != GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (menu_button), "ferry-menu-items"))
      || g_strcmp0 (uid, g_object_get_data (G_OBJECT (menu_button), "ferry-menu-study")) != 0)
    {
      g_autoptr(GMenuModel) menu = create_delivery_menu (uid, items);

      gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (menu_button), menu);
      g_object_set_data (G_OBJECT (menu_button), "ferry-menu-items", GUINT_TO_POINTER (items));
      g_object_set_data_full (G_OBJECT (menu_button), "ferry-menu-study", g_strdup (uid), g_free);
    }
}

static void
delivery_setup_cb (FerryStudiesPage         *self,
                   GtkListItem              *list_item,
                   GtkSignalListItemFactory *factory)
{
  gtk_list_item_set_child (list_item, create_delivery_cell ());
}

static void
delivery_bind_cb (FerryStudiesPage         *self,
                  GtkListItem              *list_item,
                  GtkSignalListItemFactory *factory)
{
  FerryStudy *study = gtk_list_item_get_item (list_item);

  if (self->tracker != NULL)
    {
      /* Unbind unwatches on the tracker that watched, even if the engine changed since. */
      ferry_delivery_tracker_watch (self->tracker, ferry_study_get_study_instance_uid (study));
      g_object_set_data_full (G_OBJECT (list_item), "ferry-delivery-tracker",
                              g_object_ref (self->tracker), g_object_unref);
    }

  g_hash_table_add (self->delivery_items, list_item);
  fill_delivery (self, list_item);
}

static void
delivery_unbind_cb (FerryStudiesPage         *self,
                    GtkListItem              *list_item,
                    GtkSignalListItemFactory *factory)
{
  FerryStudy *study = gtk_list_item_get_item (list_item);
  FerryDeliveryTracker *tracker = g_object_get_data (G_OBJECT (list_item),
                                                     "ferry-delivery-tracker");

  if (tracker != NULL)
    {
      ferry_delivery_tracker_unwatch (tracker, ferry_study_get_study_instance_uid (study));
      g_object_set_data (G_OBJECT (list_item), "ferry-delivery-tracker", NULL);
    }

  g_hash_table_remove (self->delivery_items, list_item);
}

static void
summaries_changed_cb (FerryStudiesPage     *self,
                      const char           *study_instance_uid,
                      FerryDeliveryTracker *tracker)
{
  GHashTableIter iter;
  GtkListItem *list_item;

  g_hash_table_iter_init (&iter, self->delivery_items);
  while (g_hash_table_iter_next (&iter, (gpointer *) &list_item, NULL))
    {
      FerryStudy *study = gtk_list_item_get_item (list_item);

      if (g_strcmp0 (ferry_study_get_study_instance_uid (study), study_instance_uid) == 0)
        fill_delivery (self, list_item);
    }
}

static gboolean
countdown_cb (gpointer user_data)
{
  FerryStudiesPage *self = user_data;
  GHashTableIter iter;
  GtkListItem *list_item;

  g_hash_table_iter_init (&iter, self->delivery_items);
  while (g_hash_table_iter_next (&iter, (gpointer *) &list_item, NULL))
    fill_delivery (self, list_item);

  return G_SOURCE_CONTINUE;
}

static void
setup_delivery_column (FerryStudiesPage *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  g_signal_connect_object (factory, "setup", G_CALLBACK (delivery_setup_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (factory, "bind", G_CALLBACK (delivery_bind_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (factory, "unbind", G_CALLBACK (delivery_unbind_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_column_view_column_set_factory (self->delivery_column, factory);
}

/* Actions on a study's deliveries */

typedef struct
{
  FerryStudiesPage  *page;
  FerryLedgerAction  action;
} ActOn;

static void
add_toast (FerryStudiesPage *self,
           const char       *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  /* Toast titles are Pango markup in libadwaita 1.2. */
  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (escaped));
}

static void
act_on_deliveries_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  ActOn *data = user_data;
  g_autoptr(FerryStudiesPage) self = data->page;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  FerryLedgerAction action = data->action;
  guint changed = 0;

  g_free (data);

  if (!ferry_engine_act_on_deliveries_finish (FERRY_ENGINE (source), result, &changed, &error))
    /* Translators: %s says why, e.g. "database is locked". */
    text = g_strdup_printf (_("Could not change the deliveries: %s"), error->message);
  else if (action == FERRY_LEDGER_RETRY_NOW)
    text = changed == 0
           ? g_strdup (_("Nothing is waiting to be retried"))
           : g_strdup_printf (ngettext ("%u delivery will be tried now",
                                        "%u deliveries will be tried now", changed),
                              changed);
  else if (action == FERRY_LEDGER_CANCEL)
    text = changed == 0
           ? g_strdup (_("Nothing was waiting to be sent"))
           : g_strdup_printf (ngettext ("%u delivery cancelled",
                                        "%u deliveries cancelled", changed),
                              changed);
  else
    text = g_strdup_printf (ngettext ("%u image will be sent again",
                                      "%u images will be sent again", changed),
                            changed);

  add_toast (self, text);
}

static void
act_on_study (FerryStudiesPage  *self,
              FerryLedgerAction  action,
              const char        *study_instance_uid)
{
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));
  ActOn *data;

  if (engine == NULL)
    return;

  data = g_new0 (ActOn, 1);
  data->page = g_object_ref (self);
  data->action = action;
  ferry_engine_act_on_deliveries_async (engine, action, study_instance_uid, NULL, NULL, 0, NULL,
                                        act_on_deliveries_cb, data);
}

static void
retry_now_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  act_on_study (FERRY_STUDIES_PAGE (widget), FERRY_LEDGER_RETRY_NOW,
                g_variant_get_string (param, NULL));
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  act_on_study (FERRY_STUDIES_PAGE (widget), FERRY_LEDGER_CANCEL,
                g_variant_get_string (param, NULL));
}

static void
resend_response_cb (FerryStudiesPage *self,
                    const char       *response,
                    AdwMessageDialog *dialog)
{
  const char *uid = g_object_get_data (G_OBJECT (dialog), "ferry-study");

  if (g_str_equal (response, "resend"))
    act_on_study (self, FERRY_LEDGER_RESEND, uid);
}

static void
resend_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  FerryStudiesPage *self = FERRY_STUDIES_PAGE (widget);
  const char *uid = g_variant_get_string (param, NULL);
  GPtrArray *summaries = NULL;
  g_autoptr(GString) destinations = g_string_new (NULL);
  g_autofree char *body = NULL;
  GtkWidget *dialog;
  guint images = 0;

  if (self->tracker != NULL)
    summaries = ferry_delivery_tracker_lookup (self->tracker, uid);

  for (guint i = 0; summaries != NULL && i < summaries->len; i++)
    {
      const FerryDeliverySummary *summary = g_ptr_array_index (summaries, i);

      images = MAX (images, summary->total);
      if (destinations->len > 0)
        /* Translators: separates the names of PACS in a list, e.g. "PACS-A, PACS-B". */
        g_string_append (destinations, _(", "));
      g_string_append (destinations, summary->destination);
    }

  body = g_strdup_printf (ngettext ("The %u image of this study will be sent to %s again, "
                                    "including what arrived already. The PACS will receive it "
                                    "a second time.",
                                    "The %u images of this study will be sent to %s again, "
                                    "including those that arrived already. The PACS will "
                                    "receive them a second time.",
                                    images),
                          images, destinations->str);

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                   _("Resend This Study?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "resend", _("_Resend"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "resend",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "ferry-study", g_strdup (uid), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (resend_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Search */

static gboolean
contains_folded (const char *haystack,
                 const char *needle)
{
  g_autofree char *folded = NULL;

  if (haystack == NULL || haystack[0] == '\0')
    return FALSE;

  folded = g_utf8_casefold (haystack, -1);

  return strstr (folded, needle) != NULL;
}

static gboolean
study_matches (gpointer item,
               gpointer user_data)
{
  FerryStudiesPage *self = user_data;
  FerryStudy *study = item;
  g_autofree char *display_name = NULL;

  if (self->search_text == NULL)
    return TRUE;

  /* People type names as they read them ("doe, jane") or as DICOM stores them ("DOE^JANE"). */
  display_name = format_patient_name (study);

  return contains_folded (display_name, self->search_text)
         || contains_folded (ferry_study_get_patient_name (study), self->search_text)
         || contains_folded (ferry_study_get_patient_id (study), self->search_text)
         || contains_folded (ferry_study_get_accession_number (study), self->search_text)
         || contains_folded (ferry_study_get_study_description (study), self->search_text);
}

static void
ferry_studies_page_update_view (FerryStudiesPage *self)
{
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));
  GListModel *studies;
  guint n_studies;
  const char *visible;

  g_assert (FERRY_IS_STUDIES_PAGE (self));

  if (engine == NULL)
    return;

  studies = ferry_engine_get_studies (engine);
  n_studies = g_list_model_get_n_items (studies);

  if (n_studies == 0 && !ferry_engine_get_studies_loaded (engine))
    visible = "loading";
  else if (n_studies == 0)
    visible = "empty";
  /* Without a search every study matches, even if the filter has not seen the newest yet:
   * saying "No Matching Studies" for that moment makes the list flash. */
  else if (self->search_text != NULL
           && g_list_model_get_n_items (G_LIST_MODEL (self->filter_model)) == 0)
    visible = "no-results";
  else
    visible = "list";

  gtk_stack_set_visible_child_name (self->view_stack, visible);

  /* Tests watch this line: GTK 4.8 offers no way to read the window's widgets from outside,
   * so the page says what it shows. Counts only: logs carry no patient data. */
  if (!g_str_equal (visible, "loading") && n_studies != self->n_logged)
    {
      self->n_logged = n_studies;
      g_message ("Studies page shows %u %s", n_studies, n_studies == 1 ? "study" : "studies");
    }
}

static void
search_changed_cb (FerryStudiesPage *self,
                   GtkSearchEntry   *entry)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  g_autofree char *folded = NULL;
  GtkFilterChange change = GTK_FILTER_CHANGE_DIFFERENT;

  if (stripped[0] != '\0')
    folded = g_utf8_casefold (stripped, -1);

  if (g_strcmp0 (folded, self->search_text) == 0)
    return;

  if (self->search_text == NULL)
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (folded == NULL)
    change = GTK_FILTER_CHANGE_LESS_STRICT;
  else if (strstr (folded, self->search_text) != NULL)
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (strstr (self->search_text, folded) != NULL)
    change = GTK_FILTER_CHANGE_LESS_STRICT;

  g_free (self->search_text);
  self->search_text = g_steal_pointer (&folded);

  gtk_filter_changed (GTK_FILTER (self->filter), change);
}

static void
search_bar_notify_search_mode_enabled_cb (FerryStudiesPage *self,
                                          GParamSpec       *pspec,
                                          GtkSearchBar     *search_bar)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH_MODE_ENABLED]);
}

/* The empty state: what to type into the modality */

static void
ferry_studies_page_update_connect_info (FerryStudiesPage *self)
{
  FerryEngine *engine = ferry_page_get_engine (FERRY_PAGE (self));
  g_auto(GStrv) addresses = NULL;
  g_autofree char *addresses_text = NULL;
  g_autofree char *port_text = NULL;
  const FerryConfig *config;
  guint port;

  g_assert (FERRY_IS_STUDIES_PAGE (self));

  if (engine == NULL)
    return;

  config = ferry_engine_get_config (engine);
  port = ferry_engine_get_receiver_port (engine);
  if (port == 0)
    port = config->port;

  addresses = ferry_engine_dup_host_addresses ();
  if (addresses != NULL && addresses[0] != NULL)
    addresses_text = g_strjoinv ("\n", addresses);
  else
    addresses_text = g_strdup (_("No network connection"));

  port_text = g_strdup_printf ("%u", port);

  gtk_label_set_label (self->ae_title_label, config->receiver_ae_title);
  gtk_label_set_label (self->addresses_label, addresses_text);
  gtk_label_set_label (self->port_label, port_text);

  if (ferry_engine_get_receiver_state (engine) == FERRY_RECEIVER_LISTENING)
    {
      gtk_widget_set_visible (self->not_receiving_box, FALSE);
    }
  else
    {
      const char *reason = ferry_engine_get_receiver_error (engine);
      g_autofree char *text = NULL;

      if (reason != NULL)
        /* Translators: %s says why, e.g. "port 104 is in use by another program". */
        text = g_strdup_printf (_("Ferry is not receiving right now: %s."), reason);
      else
        text = g_strdup (_("Ferry is not receiving right now."));

      gtk_label_set_label (self->not_receiving_label, text);
      gtk_widget_set_visible (self->not_receiving_box, TRUE);
    }
}

static void
copy_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  FerryStudiesPage *self = FERRY_STUDIES_PAGE (widget);
  const char *what = g_variant_get_string (param, NULL);
  GtkWidget *overlay;
  GtkLabel *label;
  const char *toast;

  if (g_str_equal (what, "ae-title"))
    {
      label = self->ae_title_label;
      toast = _("AE title copied");
    }
  else if (g_str_equal (what, "addresses"))
    {
      label = self->addresses_label;
      toast = _("IP address copied");
    }
  else
    {
      label = self->port_label;
      toast = _("Port copied");
    }

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), gtk_label_get_label (label));

  if ((overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY)))
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (toast));
}

/* The engine */

static void
studies_items_changed_cb (FerryStudiesPage *self,
                          guint             position,
                          guint             removed,
                          guint             added,
                          GListModel       *model)
{
  ferry_studies_page_update_view (self);
}

static void
engine_notify_studies_loaded_cb (FerryStudiesPage *self,
                                 GParamSpec       *pspec,
                                 FerryEngine      *engine)
{
  ferry_studies_page_update_view (self);
}

static void
engine_notify_receiver_cb (FerryStudiesPage *self,
                           GParamSpec       *pspec,
                           FerryEngine      *engine)
{
  ferry_studies_page_update_connect_info (self);
}

static void
ferry_studies_page_engine_changed (FerryPage   *page,
                                   FerryEngine *engine)
{
  FerryStudiesPage *self = FERRY_STUDIES_PAGE (page);
  GListModel *studies = NULL;

  /* Rows bound from now on watch the new tracker; rows still bound unwatch the old one. */
  if (self->tracker != NULL)
    g_signal_handlers_disconnect_by_func (self->tracker, summaries_changed_cb, self);
  g_clear_object (&self->tracker);

  if (engine != NULL)
    {
      studies = ferry_engine_get_studies (engine);

      self->tracker = ferry_delivery_tracker_new (engine);
      g_signal_connect_object (self->tracker, "summaries-changed",
                               G_CALLBACK (summaries_changed_cb), self, G_CONNECT_SWAPPED);

      g_signal_connect_object (engine, "notify::studies-loaded",
                               G_CALLBACK (engine_notify_studies_loaded_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (engine, "notify::receiver-state",
                               G_CALLBACK (engine_notify_receiver_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (engine, "notify::receiver-port",
                               G_CALLBACK (engine_notify_receiver_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (engine, "notify::receiver-error",
                               G_CALLBACK (engine_notify_receiver_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (engine, "notify::config-generation",
                               G_CALLBACK (engine_notify_receiver_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (studies, "items-changed",
                               G_CALLBACK (studies_items_changed_cb), self, G_CONNECT_SWAPPED);
    }

  gtk_filter_list_model_set_model (self->filter_model, studies);

  ferry_studies_page_update_connect_info (self);
  ferry_studies_page_update_view (self);
}

/* "retrying in 4 min" counts down only while someone can see it. */
static void
ferry_studies_page_map (GtkWidget *widget)
{
  FerryStudiesPage *self = FERRY_STUDIES_PAGE (widget);

  GTK_WIDGET_CLASS (ferry_studies_page_parent_class)->map (widget);

  if (self->countdown_source == 0)
    {
      self->countdown_source = g_timeout_add_seconds (30, countdown_cb, self);
      /* What was counted down while hidden is out of date now. */
      countdown_cb (self);
    }
}

static void
ferry_studies_page_unmap (GtkWidget *widget)
{
  FerryStudiesPage *self = FERRY_STUDIES_PAGE (widget);

  g_clear_handle_id (&self->countdown_source, g_source_remove);

  GTK_WIDGET_CLASS (ferry_studies_page_parent_class)->unmap (widget);
}

static void
sections_notify_visible_child_cb (FerryStudiesPage *self,
                                  GParamSpec       *pspec,
                                  AdwViewStack     *sections)
{
  /* The search finds studies; in the Outbox it would hide nothing and confuse. */
  if (g_strcmp0 (adw_view_stack_get_visible_child_name (sections), "outbox") == 0)
    gtk_search_bar_set_search_mode (self->search_bar, FALSE);
}

/* What gave up is what needs a person: the sidebar row says how many deliveries. */
static void
outbox_notify_count_cb (FerryStudiesPage *self,
                        GParamSpec       *pspec,
                        FerryOutboxView  *outbox)
{
  guint count = ferry_outbox_view_get_count (outbox);
  g_autofree char *text = count > 0 ? g_strdup_printf ("%u", count) : NULL;

  ferry_page_set_attention (FERRY_PAGE (self), text);
}

/* GObject */

static void
ferry_studies_page_dispose (GObject *object)
{
  FerryStudiesPage *self = (FerryStudiesPage *)object;

  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_STUDIES_PAGE);

  g_clear_handle_id (&self->countdown_source, g_source_remove);
  if (self->tracker != NULL)
    g_signal_handlers_disconnect_by_func (self->tracker, summaries_changed_cb, self);
  g_clear_object (&self->tracker);
  g_clear_object (&self->filter_model);
  g_clear_object (&self->filter);

  G_OBJECT_CLASS (ferry_studies_page_parent_class)->dispose (object);
}

static void
ferry_studies_page_finalize (GObject *object)
{
  FerryStudiesPage *self = (FerryStudiesPage *)object;

  g_clear_pointer (&self->search_text, g_free);
  g_clear_pointer (&self->delivery_items, g_hash_table_unref);

  G_OBJECT_CLASS (ferry_studies_page_parent_class)->finalize (object);
}

static void
ferry_studies_page_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  FerryStudiesPage *self = FERRY_STUDIES_PAGE (object);

  switch (prop_id)
    {
    case PROP_SEARCH_MODE_ENABLED:
      g_value_set_boolean (value, gtk_search_bar_get_search_mode (self->search_bar));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_studies_page_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  FerryStudiesPage *self = FERRY_STUDIES_PAGE (object);

  switch (prop_id)
    {
    case PROP_SEARCH_MODE_ENABLED:
      gtk_search_bar_set_search_mode (self->search_bar, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_studies_page_class_init (FerryStudiesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  FerryPageClass *page_class = FERRY_PAGE_CLASS (klass);

  object_class->dispose = ferry_studies_page_dispose;
  object_class->finalize = ferry_studies_page_finalize;
  object_class->get_property = ferry_studies_page_get_property;
  object_class->set_property = ferry_studies_page_set_property;

  widget_class->map = ferry_studies_page_map;
  widget_class->unmap = ferry_studies_page_unmap;

  page_class->engine_changed = ferry_studies_page_engine_changed;

  /* Forwarded from the search bar, so that the window's search button can follow it. */
  properties[PROP_SEARCH_MODE_ENABLED] =
    g_param_spec_boolean ("search-mode-enabled", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/ferrydicom/Ferry/"
                                               "pages/ferry-studies-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, addresses_label);
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, ae_title_label);
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, birth_date_column);
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, delivery_column);
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, description_column);
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, device_column);
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, images_column);
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, modality_column);
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, not_receiving_box);
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, not_receiving_label);
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, patient_column);
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, port_label);
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, received_column);
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, search_bar);
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, sections);
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, study_date_column);
  gtk_widget_class_bind_template_child (widget_class, FerryStudiesPage, view_stack);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_bar_notify_search_mode_enabled_cb);
  gtk_widget_class_bind_template_callback (widget_class, sections_notify_visible_child_cb);
  gtk_widget_class_bind_template_callback (widget_class, outbox_notify_count_cb);

  gtk_widget_class_install_action (widget_class, "studies.copy", "s", copy_action);
  gtk_widget_class_install_action (widget_class, "studies.retry-now", "s", retry_now_action);
  gtk_widget_class_install_action (widget_class, "studies.cancel", "s", cancel_action);
  gtk_widget_class_install_action (widget_class, "studies.resend", "s", resend_action);

  g_type_ensure (FERRY_TYPE_OUTBOX_VIEW);
}

static void
ferry_studies_page_init (FerryStudiesPage *self)
{
  g_autoptr(GtkSortListModel) sort_model = NULL;
  g_autoptr(GtkSingleSelection) selection = NULL;
  GtkSorter *sorter;

  self->n_logged = G_MAXUINT;
  self->delivery_items = g_hash_table_new (NULL, NULL);

  gtk_widget_init_template (GTK_WIDGET (self));

  setup_column (self->patient_column, &patient_cells,
                G_TYPE_STRING, G_CALLBACK (patient_sort_key));
  setup_column (self->birth_date_column, &birth_date_cells,
                G_TYPE_STRING, G_CALLBACK (birth_date_sort_key));
  setup_column (self->study_date_column, &study_date_cells,
                G_TYPE_STRING, G_CALLBACK (study_date_sort_key));
  setup_column (self->description_column, &description_cells,
                G_TYPE_STRING, G_CALLBACK (description_sort_key));
  setup_column (self->modality_column, &modality_cells,
                G_TYPE_STRING, G_CALLBACK (modality_sort_key));
  setup_column (self->device_column, &device_cells,
                G_TYPE_STRING, G_CALLBACK (device_sort_key));
  setup_column (self->images_column, &images_cells,
                G_TYPE_UINT, G_CALLBACK (images_sort_key));
  setup_column (self->received_column, &received_cells,
                G_TYPE_INT64, G_CALLBACK (received_sort_key));
  setup_delivery_column (self);

  /* engine studies (newest first) → search → the column headers' sort → selection */
  self->filter = gtk_custom_filter_new (study_matches, self, NULL);
  self->filter_model = gtk_filter_list_model_new (NULL, g_object_ref (GTK_FILTER (self->filter)));
  sorter = gtk_column_view_get_sorter (self->column_view);
  sort_model = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (self->filter_model)),
                                        g_object_ref (sorter));
  selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (sort_model)));
  gtk_single_selection_set_autoselect (selection, FALSE);
  gtk_single_selection_set_can_unselect (selection, TRUE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (selection));

  g_signal_connect_object (self->filter_model, "items-changed",
                           G_CALLBACK (studies_items_changed_cb), self, G_CONNECT_SWAPPED);

  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  /* Typing a name anywhere on the page starts searching for it. */
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));
}

/**
 * ferry_studies_page_begin_search:
 *
 * Opens the search bar and puts the focus in it.
 */
void
ferry_studies_page_begin_search (FerryStudiesPage *self)
{
  g_return_if_fail (FERRY_IS_STUDIES_PAGE (self));

  adw_view_stack_set_visible_child_name (self->sections, "studies");
  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}
