/* ferry-page.h: the base class of the window's pages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "ferry-engine.h"

G_BEGIN_DECLS

#define FERRY_TYPE_PAGE (ferry_page_get_type ())

G_DECLARE_DERIVABLE_TYPE (FerryPage, ferry_page, FERRY, PAGE, GtkWidget)

struct _FerryPageClass
{
  GtkWidgetClass parent_class;

  /* Called when the window hands the page its engine (or takes it away with %NULL). */
  void (*engine_changed) (FerryPage   *self,
                          FerryEngine *engine);

  /*< private >*/
  gpointer _reserved[8];
};

GtkWidget   *ferry_page_get_child     (FerryPage   *self);
void         ferry_page_set_child     (FerryPage   *self,
                                       GtkWidget   *child);
const char  *ferry_page_get_title     (FerryPage   *self);
void         ferry_page_set_title     (FerryPage   *self,
                                       const char  *title);
const char  *ferry_page_get_icon_name (FerryPage   *self);
void         ferry_page_set_icon_name (FerryPage   *self,
                                       const char  *icon_name);
const char  *ferry_page_get_attention (FerryPage   *self);
void         ferry_page_set_attention (FerryPage   *self,
                                       const char  *attention);
FerryEngine *ferry_page_get_engine    (FerryPage   *self);
void         ferry_page_set_engine    (FerryPage   *self,
                                       FerryEngine *engine);

G_END_DECLS
