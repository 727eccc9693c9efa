/* ferry-dicom-tags.cc: tag names for rules and coercions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Ferry's config.h first: DCMTK's osconfig.h defines PACKAGE_VERSION as well, and warnings in
 * a system header are not shown. */
#include "config.h"
#include "dcmtk/config/osconfig.h"

#define G_LOG_DOMAIN "ferry-dicom"

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcdict.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dctag.h"

#include <exception>

#include <glib/gi18n-lib.h>

#include "ferry-dicom-private.hh"
#include "ferry-dicom-send.h"

G_DEFINE_QUARK (ferry-dicom-send-error-quark, ferry_dicom_send_error)

static gboolean
parse_hex4 (const char *text,
            guint16    *out)
{
  guint v = 0;

  for (int i = 0; i < 4; i++)
    {
      int d = g_ascii_xdigit_value (text[i]);

      if (d < 0)
        return FALSE;
      v = (v << 4) | (guint) d;
    }
  *out = (guint16) v;
  return TRUE;
}

/* "gggg,eeee", optionally in parentheses, nothing else. */
static gboolean
parse_numeric (const char *text,
               guint16    *group,
               guint16    *element)
{
  gsize length = strlen (text);

  if (length == 11 && text[0] == '(' && text[10] == ')')
    {
      text++;
      length = 9;
    }
  if (length != 9 || text[4] != ',')
    return FALSE;
  return parse_hex4 (text, group) && parse_hex4 (text + 5, element);
}

const char *
ferry_dicom_uid_name (const char *uid)
{
  g_return_val_if_fail (uid != NULL, NULL);

  return dcmFindNameOfUID (uid, NULL);
}

/**
 * ferry_dicom_parse_tag:
 * @text: a keyword from the data dictionary ("PatientID") or "gggg,eeee" in hex
 * @group: (out): the group
 * @element: (out): the element
 * @error: return location for a #GError (FERRY_DICOM_SEND_ERROR_COERCION)
 *
 * Returns: %TRUE when @text names a tag
 */
gboolean
ferry_dicom_parse_tag (const char  *text,
                       guint16     *group,
                       guint16     *element,
                       GError     **error)
{
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (group != NULL && element != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_autofree char *trimmed = g_strstrip (g_strdup (text));

  if (parse_numeric (trimmed, group, element))
    return TRUE;

  gboolean found = FALSE;

  FERRY_DICOM_GUARD_BEGIN

  /* Keywords only: DCMTK would also take "gggg,eeee" and names with spaces here. */
  if (trimmed[0] != '\0' && g_ascii_isupper (trimmed[0]) &&
      strspn (trimmed, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
        strlen (trimmed))
    {
      DcmTag tag;
      g_autofree char *retired = g_strconcat ("RETIRED_", trimmed, NULL);

      /* DCMTK prefixes retired attributes ("RETIRED_OtherPatientIDs"); people write the
       * standard's keyword. */
      if (DcmTag::findTagFromName (trimmed, tag).good () ||
          DcmTag::findTagFromName (retired, tag).good ())
        {
          *group = tag.getGroup ();
          *element = tag.getElement ();
          found = TRUE;
        }
    }

  FERRY_DICOM_GUARD_END (error, FALSE)

  if (!found)
    g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_COERCION,
                 /* Translators: keep PatientID and 0010,0020 as they are */
                 _("“%s” is not a DICOM attribute: use a keyword such as PatientID or a tag "
                   "such as 0010,0020"), text);
  return found;
}

/* The raw value of @element (no character set conversion), padding trimmed. */
static char *
raw_value (DcmElement *element)
{
  OFString value;

  if (element->ident () == EVR_SQ || element->getLength () == 0)
    return g_strdup ("");

  /* For strings this is the value as stored, backslashes included; numbers come as text. */
  if (element->getOFStringArray (value, OFFalse).bad ())
    return g_strdup ("");

  gsize length = value.length ();
  const char *data = value.c_str ();

  while (length > 0 && (data[length - 1] == ' ' || data[length - 1] == '\0'))
    length--;
  return g_strndup (data, length);
}

gboolean
ferry_dicom_read_values (const char          *path,
                         const char  *const  *tags,
                         guint                n_tags,
                         char               **values,
                         GError             **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (n_tags == 0 || (tags != NULL && values != NULL), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint i = 0; i < n_tags; i++)
    values[i] = NULL;

  g_autofree guint16 *groups = g_new0 (guint16, MAX (n_tags, 1));
  g_autofree guint16 *elements = g_new0 (guint16, MAX (n_tags, 1));

  for (guint i = 0; i < n_tags; i++)
    if (!ferry_dicom_parse_tag (tags[i], &groups[i], &elements[i], error))
      return FALSE;

  FERRY_DICOM_GUARD_BEGIN

  DcmFileFormat file;
  OFCondition cond = file.loadFileUntilTag (path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength,
                                            ERM_autoDetect, DCM_PixelData);

  if (cond.bad ())
    {
      g_set_error (error, FERRY_DICOM_SEND_ERROR, FERRY_DICOM_SEND_ERROR_FILE,
                   _("Cannot read the DICOM file %s: %s"), path, cond.text ());
      return FALSE;
    }

  DcmDataset *dataset = file.getDataset ();

  for (guint i = 0; i < n_tags; i++)
    {
      DcmElement *element = NULL;

      if (dataset->findAndGetElement (DcmTagKey (groups[i], elements[i]), element, OFFalse).good () &&
          element != NULL)
        values[i] = raw_value (element);
    }
  return TRUE;

  FERRY_DICOM_GUARD_END (error, FALSE)
}
