/* ferry-status.c: what a C-STORE response status means for a delivery
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "ferry-status.h"

/**
 * ferry_status_classify:
 * @status: the Status (0000,0900) of a C-STORE response
 *
 * The table of RELIABILITY.md, promise 6: 0x0000 delivered; the warnings 0xB000, 0xB006, 0xB007
 * and the general warnings 0x0001, 0x0107, 0x0116 delivered with the warning recorded; 0xA7xx
 * (out of resources) retried; 0xA9xx, 0xCxxx and every other failure (0x0110, 0x0111, 0x0117,
 * 0x0122, 0x0124, 0x0211–0x0213, …) to the outbox with the reason. An unknown warning-class
 * word (0xBxxx) counts as delivered with a warning; anything unknown otherwise goes to the
 * outbox, where a person sees it, rather than being retried for days.
 */
FerryStatusOutcome
ferry_status_classify (guint16 status)
{
  if (status == 0x0000)
    return FERRY_STATUS_DELIVERED;

  switch (status)
    {
    case 0x0001:   /* Requested optional attributes are not supported */
    case 0x0107:   /* Attribute list error */
    case 0x0116:   /* Attribute value out of range */
      return FERRY_STATUS_DELIVERED_WITH_WARNING;
    default:
      break;
    }

  if ((status & 0xF000) == 0xB000)
    return FERRY_STATUS_DELIVERED_WITH_WARNING;
  if ((status & 0xFF00) == 0xA700)
    return FERRY_STATUS_RETRY;

  return FERRY_STATUS_OUTBOX;
}

char *
ferry_status_describe (guint16 status)
{
  const char *meaning;

  switch (status)
    {
    case 0x0000:
      meaning = _("Success");
      break;
    case 0x0001:
      meaning = _("Warning: requested optional attributes are not supported");
      break;
    case 0x0107:
      meaning = _("Warning: attribute list error");
      break;
    case 0x0116:
      meaning = _("Warning: attribute value out of range");
      break;
    case 0xB000:
      meaning = _("Warning: coercion of data elements");
      break;
    case 0xB006:
      meaning = _("Warning: elements discarded");
      break;
    case 0xB007:
      meaning = _("Warning: data set does not match SOP class");
      break;
    case 0x0110:
      meaning = _("Refused: processing failure");
      break;
    case 0x0111:
      meaning = _("Refused: duplicate SOP instance");
      break;
    case 0x0117:
      meaning = _("Refused: invalid object instance");
      break;
    case 0x0122:
      meaning = _("Refused: SOP class not supported");
      break;
    case 0x0124:
      meaning = _("Refused: not authorised");
      break;
    case 0x0211:
      meaning = _("Refused: unrecognised operation");
      break;
    case 0x0212:
      meaning = _("Refused: mistyped argument");
      break;
    case 0x0213:
      meaning = _("Refused: resource limitation");
      break;
    default:
      if ((status & 0xFF00) == 0xA700)
        meaning = _("Out of resources (the PACS may be full)");
      else if ((status & 0xFF00) == 0xA900)
        meaning = _("Refused: data set does not match SOP class");
      else if ((status & 0xF000) == 0xC000)
        meaning = _("Refused: cannot understand");
      else if ((status & 0xF000) == 0xB000)
        meaning = _("Warning");
      else
        meaning = _("Failure");
      break;
    }

  /* Translators: a status meaning and its code, e.g. "Refused: cannot understand (0xC000)" */
  return g_strdup_printf (_("%s (0x%04X)"), meaning, status);
}
