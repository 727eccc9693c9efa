/* ferry-form.c: small helpers shared by the forms of the pages and dialogs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ferry-form"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-charset.h"
#include "ferry-form.h"

#define CHARSET_TERMS_KEY "ferry-form-charset-terms"

/* The character sets people meet on modalities and PACS, most common first. Multi-byte sets go
 * with code extensions, as DICOM requires: an empty first value, then the ISO 2022 term. */
static const struct {
  const char *term;
  const char *label;
} charsets[] = {
  { "ISO_IR 192",         N_("Unicode (UTF-8)") },
  { "ISO_IR 100",         N_("Western European (Latin-1)") },
  { "ISO_IR 203",         N_("Western European with euro sign (Latin-9)") },
  { "ISO_IR 101",         N_("Central European (Latin-2)") },
  { "ISO_IR 109",         N_("South European (Latin-3)") },
  { "ISO_IR 110",         N_("North European (Latin-4)") },
  { "ISO_IR 148",         N_("Turkish (Latin-5)") },
  { "ISO_IR 144",         N_("Cyrillic") },
  { "ISO_IR 126",         N_("Greek") },
  { "ISO_IR 127",         N_("Arabic") },
  { "ISO_IR 138",         N_("Hebrew") },
  { "ISO_IR 166",         N_("Thai") },
  { "\\ISO 2022 IR 87",   N_("Japanese (JIS X 0208)") },
  { "\\ISO 2022 IR 149",  N_("Korean (KS X 1001)") },
  { "\\ISO 2022 IR 58",   N_("Simplified Chinese (GB 2312)") },
  { "ISO_IR 6",           N_("ASCII only") },
};

char *
ferry_form_dup_text (GtkEditable *editable)
{
  g_autofree char *text = NULL;

  g_return_val_if_fail (GTK_IS_EDITABLE (editable), NULL);

  text = g_strdup (gtk_editable_get_text (editable));
  g_strstrip (text);

  return g_steal_pointer (&text);
}

char *
ferry_form_dup_optional_text (GtkEditable *editable)
{
  g_autofree char *text = ferry_form_dup_text (editable);

  return text != NULL && text[0] != '\0' ? g_steal_pointer (&text) : NULL;
}

void
ferry_form_set_text (GtkEditable *editable,
                     const char  *text)
{
  g_return_if_fail (GTK_IS_EDITABLE (editable));

  gtk_editable_set_text (editable, text != NULL ? text : "");
}

void
ferry_form_set_row_error (GtkWidget  *row,
                          const char *message)
{
  g_return_if_fail (GTK_IS_WIDGET (row));

  if (message != NULL)
    {
      gtk_widget_add_css_class (row, "error");
      gtk_widget_set_tooltip_text (row, message);
      gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message,
                                      -1);
    }
  else
    {
      gtk_widget_remove_css_class (row, "error");
      gtk_widget_set_tooltip_text (row, NULL);
      gtk_accessible_reset_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
    }
}

void
ferry_form_fill_charsets (AdwComboRow *row,
                          const char  *none_label,
                          const char  *current)
{
  g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);
  g_autoptr(GPtrArray) terms = g_ptr_array_new_with_free_func (g_free);
  guint selected = 0;

  g_return_if_fail (ADW_IS_COMBO_ROW (row));
  g_return_if_fail (none_label != NULL);

  if (current != NULL && current[0] == '\0')
    current = NULL;

  gtk_string_list_append (labels, none_label);
  g_ptr_array_add (terms, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (charsets); i++)
    {
      g_autofree char *label = NULL;

      if (!ferry_charset_is_known (charsets[i].term))
        continue;

      if (g_strcmp0 (current, charsets[i].term) == 0)
        selected = terms->len;

      /* Translators: a character set and its DICOM defined term, e.g.
       * "Western European (Latin-1) · ISO_IR 100". */
      label = g_strdup_printf (_("%s · %s"), _(charsets[i].label),
                               charsets[i].term[0] == '\\' ? charsets[i].term + 1
                                                           : charsets[i].term);
      gtk_string_list_append (labels, label);
      g_ptr_array_add (terms, g_strdup (charsets[i].term));
    }

  /* Whatever config.json says is kept until someone picks something else. */
  if (current != NULL && selected == 0)
    {
      selected = terms->len;
      gtk_string_list_append (labels, current);
      g_ptr_array_add (terms, g_strdup (current));
    }

  g_object_set_data_full (G_OBJECT (row), CHARSET_TERMS_KEY,
                          g_steal_pointer (&terms), (GDestroyNotify) g_ptr_array_unref);
  adw_combo_row_set_model (row, G_LIST_MODEL (labels));
  adw_combo_row_set_selected (row, selected);
}

char *
ferry_form_dup_charset (AdwComboRow *row)
{
  GPtrArray *terms;
  guint selected;

  g_return_val_if_fail (ADW_IS_COMBO_ROW (row), NULL);

  terms = g_object_get_data (G_OBJECT (row), CHARSET_TERMS_KEY);
  selected = adw_combo_row_get_selected (row);
  if (terms == NULL || selected >= terms->len)
    return NULL;

  return g_strdup (g_ptr_array_index (terms, selected));
}
