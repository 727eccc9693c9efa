/* main.c: the entry point of the window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ferry-main"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "ferry-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(FerryApplication) app = NULL;

  /* DCMTK 3.6.7 has no API to disable Nagle's algorithm; it reads this variable on every
   * connection. setenv() is not thread-safe, so it must happen before anything starts a thread
   * (GTK, GIO and the engine all do). Without it small PDUs wait for delayed ACKs. */
  g_setenv ("TCP_NODELAY", "1", TRUE);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = ferry_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
