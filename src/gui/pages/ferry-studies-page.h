/* ferry-studies-page.h: the studies Ferry received
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ferry-page.h"

G_BEGIN_DECLS

#define FERRY_TYPE_STUDIES_PAGE (ferry_studies_page_get_type ())

G_DECLARE_FINAL_TYPE (FerryStudiesPage, ferry_studies_page, FERRY, STUDIES_PAGE, FerryPage)

void ferry_studies_page_begin_search (FerryStudiesPage *self);

G_END_DECLS
