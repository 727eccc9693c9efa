/* ferry-router.h: where an archived instance goes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "ferry-config.h"
#include "ferry-ledger.h"

G_BEGIN_DECLS

/**
 * ferry_router_route:
 * @config: the configuration
 * @instance: the instance
 * @path: its archived file, read for the tags that rules test
 * @error: return location for a #GError (the file cannot be read)
 *
 * The destinations of one instance: the one chosen when it was imported by hand; otherwise the
 * destinations of the device that sent it (by calling AE title and host), or the default
 * destinations for unknown devices, devices without a list and imported files; plus the
 * destinations of every enabled rule whose conditions all hold, with the coercions of the rules
 * that send it there. Destinations missing from @config are left out.
 *
 * Returns: (transfer full) (element-type FerryRoute) (nullable): the routes, maybe none
 */
GPtrArray *ferry_router_route (const FerryConfig    *config,
                               const FerryRoutable  *instance,
                               const char           *path,
                               GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Whether @value (UTF-8, NULL when the attribute is absent) satisfies @condition. */
gboolean   ferry_router_condition_holds (const FerryCondition *condition,
                                         const char           *value);

G_END_DECLS
