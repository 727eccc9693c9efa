/* main.c: the entry point of the window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ferry-main"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "ferry-application.h"
#include "ferry-dicom.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(FerryApplication) app = NULL;
  g_autoptr(GError) error = NULL;

  /* DCMTK 3.6.7 has no API to disable Nagle's algorithm; it reads this variable on every
   * connection. setenv() is not thread-safe, so it must happen before anything starts a thread
   * (GTK, GIO and the engine all do). Without it small PDUs wait for delayed ACKs. */
  g_setenv ("TCP_NODELAY", "1", TRUE);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* DCMTK's codecs and socket defaults are set up once, here, before GTK or the engine start a
   * thread. A failure (no data dictionary) is shown in the window, which says how to fix it. */
  if (!ferry_dicom_init (&error))
    g_message ("Could not initialise DICOM: %s", error->message);

  app = ferry_application_new ();
  if (error != NULL)
    ferry_application_set_startup_error (app, error);

  return g_application_run (G_APPLICATION (app), argc, argv);
}
