/* ferry-application.c: the application, which owns the engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window hosts the engine on a desktop: the application creates it at start-up, takes the
 * data directory's lock and starts the receiver. Closing the window does not stop receiving;
 * only Quit does.
 */

#define G_LOG_DOMAIN "ferry-application"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-application.h"
#include "ferry-window.h"

struct _FerryApplication
{
  AdwApplication  parent_instance;

  /* Owned */
  FerryEngine    *engine;
  GError         *engine_error;
  GError         *startup_error;       /* from main(), before the engine could be tried */

  int             port_override;
  guint           held : 1;
  guint           told_about_background : 1;
  guint           quitting : 1;
};

G_DEFINE_FINAL_TYPE (FerryApplication, ferry_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  /* A string: GApplication drops integer options whose value is 0, and 0 is meaningful here. */
  { "port", 'p', 0, G_OPTION_ARG_STRING, NULL,
    N_("Receive on PORT instead of the configured port, without saving it "
       "(0 lets the system choose)"),
    N_("PORT") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Print the version and exit"), NULL },
  { NULL }
};

static FerryWindow *
ferry_application_find_window (FerryApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next)
    {
      if (FERRY_IS_WINDOW (l->data))
        return l->data;
    }

  return NULL;
}

static void
ferry_application_release_background (FerryApplication *self)
{
  if (self->held)
    {
      self->held = FALSE;
      g_application_release (G_APPLICATION (self));
    }
}

/* Creates the engine and makes this process its owner. Blocking (disk); it runs before the
 * first window is shown, as ferry_engine_new() asks. */
static void
ferry_application_start_engine (FerryApplication *self)
{
  g_autoptr(FerryEngine) engine = NULL;
  g_autoptr(GError) error = NULL;

  g_assert (FERRY_IS_APPLICATION (self));
  g_assert (self->engine == NULL);

  g_clear_error (&self->engine_error);

  if (self->startup_error != NULL)
    {
      self->engine_error = g_error_copy (self->startup_error);
      return;
    }

  if (!(engine = ferry_engine_new (NULL, &error)))
    {
      /* Operational trouble, shown in the window: not a programming error. */
      g_message ("Could not open Ferry's data: %s", error->message);
      self->engine_error = g_steal_pointer (&error);
      return;
    }

  if (self->port_override >= 0)
    ferry_engine_set_port_override (engine, self->port_override);

  if (!ferry_engine_start (engine, &error))
    {
      g_message ("Could not start the engine: %s", error->message);
      self->engine_error = g_steal_pointer (&error);
      return;
    }

  self->engine = g_steal_pointer (&engine);
}

static gboolean
window_close_request_cb (FerryApplication *self,
                         FerryWindow      *window)
{
  g_assert (FERRY_IS_APPLICATION (self));
  g_assert (FERRY_IS_WINDOW (window));

  if (self->quitting
      || self->engine == NULL
      || ferry_engine_get_receiver_state (self->engine) != FERRY_RECEIVER_LISTENING)
    return GDK_EVENT_PROPAGATE;

  /* Modalities keep sending after the clinician closes the window, so the window only hides
   * (keeping its state) and the application holds itself alive until Quit. */
  gtk_widget_set_visible (GTK_WIDGET (window), FALSE);

  if (!self->held)
    {
      self->held = TRUE;
      g_application_hold (G_APPLICATION (self));
    }

  g_message ("Window closed; Ferry keeps receiving in the background on port %u",
             ferry_engine_get_receiver_port (self->engine));

  if (!self->told_about_background)
    {
      g_autoptr(GNotification) notification = NULL;
      g_autofree char *body = NULL;

      self->told_about_background = TRUE;

      body = g_strdup_printf (_("Devices can still send images to %s on port %u. "
                                "Open Ferry to see them, or quit it from its menu."),
                              ferry_engine_get_config (self->engine)->receiver_ae_title,
                              ferry_engine_get_receiver_port (self->engine));
      notification = g_notification_new (_("Ferry keeps receiving in the background"));
      g_notification_set_body (notification, body);
      g_notification_add_button (notification, _("Quit Ferry"), "app.quit");
      g_application_send_notification (G_APPLICATION (self), "background", notification);
    }

  return GDK_EVENT_STOP;
}

static FerryWindow *
ferry_application_ensure_window (FerryApplication *self)
{
  FerryWindow *window;

  if ((window = ferry_application_find_window (self)))
    return window;

  window = ferry_window_new (self);
  ferry_window_set_engine (window, self->engine);
  ferry_window_set_engine_error (window, self->engine_error);

  g_signal_connect_object (window, "close-request",
                           G_CALLBACK (window_close_request_cb), self, G_CONNECT_SWAPPED);

  return window;
}

static void
ferry_application_present (FerryApplication *self)
{
  FerryWindow *window = ferry_application_ensure_window (self);

  gtk_window_present (GTK_WINDOW (window));

  /* The visible window keeps the application alive now. */
  ferry_application_release_background (self);
}

static void
ferry_application_activate (GApplication *app)
{
  ferry_application_present (FERRY_APPLICATION (app));
}

static int
ferry_application_handle_local_options (GApplication *app,
                                        GVariantDict *options)
{
  FerryApplication *self = FERRY_APPLICATION (app);
  const char *port_text;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("ferry %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  if (g_variant_dict_lookup (options, "port", "&s", &port_text))
    {
      g_autoptr(GError) error = NULL;
      guint64 port;

      /* 0 is allowed here, unlike in config.json: tests let the system choose. */
      if (!g_ascii_string_to_unsigned (port_text, 10, 0, G_MAXUINT16, &port, &error))
        {
          g_printerr ("ferry: --port: %s\n", error->message);
          return EXIT_FAILURE;
        }

      self->port_override = (int)port;
    }

  return G_APPLICATION_CLASS (ferry_application_parent_class)->handle_local_options (app, options);
}

static void
ferry_application_startup (GApplication *app)
{
  FerryApplication *self = FERRY_APPLICATION (app);

  G_APPLICATION_CLASS (ferry_application_parent_class)->startup (app);

  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit",
                                         (const char *[]) { "<Control>q", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         (const char *[]) { "<Control>comma", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-help-overlay",
                                         (const char *[]) { "<Control>question", NULL });

  ferry_application_start_engine (self);
}

static void
ferry_application_shutdown (GApplication *app)
{
  FerryApplication *self = FERRY_APPLICATION (app);

  if (self->engine != NULL)
    {
      g_message ("Quitting; stopping the receiver");
      ferry_engine_stop (self->engine);
      g_clear_object (&self->engine);
    }

  G_APPLICATION_CLASS (ferry_application_parent_class)->shutdown (app);
}

static void
ferry_application_finalize (GObject *object)
{
  FerryApplication *self = (FerryApplication *)object;

  g_clear_object (&self->engine);
  g_clear_error (&self->engine_error);
  g_clear_error (&self->startup_error);

  G_OBJECT_CLASS (ferry_application_parent_class)->finalize (object);
}

static void
ferry_application_class_init (FerryApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = ferry_application_finalize;

  app_class->activate = ferry_application_activate;
  app_class->handle_local_options = ferry_application_handle_local_options;
  app_class->startup = ferry_application_startup;
  app_class->shutdown = ferry_application_shutdown;
}

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  FerryApplication *self = user_data;
  GList *windows;

  self->quitting = TRUE;

  /* Destroying a window removes it from the list. */
  while ((windows = gtk_application_get_windows (GTK_APPLICATION (self))))
    gtk_window_destroy (windows->data);

  ferry_application_release_background (self);
  g_application_withdraw_notification (G_APPLICATION (self), "background");
  g_application_quit (G_APPLICATION (self));
}

static void
about_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  FerryApplication *self = user_data;
  static const char *developers[] = { "The Ferry developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", ferry_application_ensure_window (self),
                        "application-icon", APP_ID,
                        "application-name", _("Ferry"),
                        "developer-name", _("The Ferry developers"),
                        "developers", developers,
                        "version", PACKAGE_VERSION,
                        "comments", _("Receives medical images from modalities over DICOM "
                                      "and delivers them to PACS."),
                        "website", "https://github.com/ferrydicom/ferry",
                        "issue-url", "https://github.com/ferrydicom/ferry/issues",
                        "copyright", "© 2026 The Ferry developers",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        /* Translators: put your name (and e-mail) here, one per line. */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  FerryApplication *self = user_data;

  ferry_application_present (self);
  ferry_window_show_page (ferry_application_find_window (self), "settings");
}

static void
retry_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  FerryApplication *self = user_data;
  FerryWindow *window;

  if (self->engine != NULL)
    return;

  ferry_application_start_engine (self);

  if ((window = ferry_application_find_window (self)))
    {
      ferry_window_set_engine (window, self->engine);
      ferry_window_set_engine_error (window, self->engine_error);
    }
}

static const GActionEntry action_entries[] = {
  { "quit", quit_action },
  { "about", about_action },
  { "preferences", preferences_action },
  { "retry", retry_action },
};

static void
ferry_application_init (FerryApplication *self)
{
  self->port_override = -1;

  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_action_map_add_action_entries (G_ACTION_MAP (self),
                                   action_entries, G_N_ELEMENTS (action_entries),
                                   self);
}

FerryApplication *
ferry_application_new (void)
{
  return g_object_new (FERRY_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/ferrydicom/Ferry",
                       NULL);
}

/**
 * ferry_application_get_engine:
 *
 * Returns: (transfer none) (nullable): the engine, or %NULL when it could not start
 */
FerryEngine *
ferry_application_get_engine (FerryApplication *self)
{
  g_return_val_if_fail (FERRY_IS_APPLICATION (self), NULL);

  return self->engine;
}

/**
 * ferry_application_set_startup_error:
 * @error: why Ferry cannot start, found before the application ran
 *
 * Makes the window show @error instead of starting the engine. Call before g_application_run().
 */
void
ferry_application_set_startup_error (FerryApplication *self,
                                     const GError     *error)
{
  g_return_if_fail (FERRY_IS_APPLICATION (self));
  g_return_if_fail (error != NULL);

  g_clear_error (&self->startup_error);
  self->startup_error = g_error_copy (error);
}
