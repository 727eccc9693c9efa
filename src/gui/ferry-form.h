/* ferry-form.h: small helpers shared by the forms of the pages and dialogs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The text of @editable without leading and trailing spaces (not significant in DICOM). */
char       *ferry_form_dup_text           (GtkEditable *editable) G_GNUC_WARN_UNUSED_RESULT;
/* The same, or NULL when it is empty. */
char       *ferry_form_dup_optional_text  (GtkEditable *editable) G_GNUC_WARN_UNUSED_RESULT;
void        ferry_form_set_text           (GtkEditable *editable,
                                           const char  *text);

/* Marks @row as wrong, in words (its accessible description, and @message shown by the caller)
 * and not by colour alone; %NULL clears it. */
void        ferry_form_set_row_error      (GtkWidget   *row,
                                           const char  *message);

/* Fills @row with @none_label (meaning "no character set", NULL) followed by the character sets
 * Ferry can decode, and selects @current; a @current not in the list is added so that it is kept
 * unless the user picks another. */
void        ferry_form_fill_charsets      (AdwComboRow *row,
                                           const char  *none_label,
                                           const char  *current);
/* (transfer full) (nullable): the selected defined term, or NULL for @none_label. */
char       *ferry_form_dup_charset        (AdwComboRow *row) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
