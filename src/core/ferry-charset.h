/* ferry-charset.h: DICOM Specific Character Set to UTF-8
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * ferry_charset_to_utf8:
 * @value: (nullable): raw bytes of a text element, as stored in the object
 * @specific_character_set: (nullable): the object's (0008,0005), possibly multi-valued
 * @fallback_character_set: (nullable): the device's character set, tried when the object's is
 *   missing, unknown or does not decode @value
 *
 * Converts on a copy: the object is never changed. Tries the object's character set, then
 * @fallback_character_set, then UTF-8 when the bytes are valid UTF-8, then ISO 8859-1 (which
 * always succeeds). Handles ISO 2022 escape sequences for the common multi-byte sets.
 * Never fails; control characters other than the DICOM delimiters are replaced.
 *
 * Returns: (transfer full) (nullable): UTF-8, or %NULL when @value is %NULL
 */
char *ferry_charset_to_utf8           (const char *value,
                                       const char *specific_character_set,
                                       const char *fallback_character_set) G_GNUC_WARN_UNUSED_RESULT;

/* Whether @term (e.g. "ISO_IR 100", "ISO 2022 IR 87") is a defined term Ferry can decode. */
gboolean ferry_charset_is_known       (const char *term);

/* "DOE^JANE^^^" → "DOE, JANE"; for display only. Returns a new string. */
char *ferry_person_name_to_display    (const char *person_name) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
