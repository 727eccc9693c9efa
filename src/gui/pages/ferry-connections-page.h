/* ferry-connections-page.h: PACS destinations, devices, and what to type into a cart
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ferry-page.h"

G_BEGIN_DECLS

#define FERRY_TYPE_CONNECTIONS_PAGE (ferry_connections_page_get_type ())

G_DECLARE_FINAL_TYPE (FerryConnectionsPage, ferry_connections_page,
                      FERRY, CONNECTIONS_PAGE, FerryPage)

G_END_DECLS
