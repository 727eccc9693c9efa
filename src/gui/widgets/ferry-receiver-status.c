/* ferry-receiver-status.c: whether Ferry is receiving, at the bottom of the sidebar
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The state is always said in words and with a distinct icon, never by colour alone.
 */

#define G_LOG_DOMAIN "ferry-receiver-status"

#include "config.h"

#include <glib/gi18n.h>

#include "ferry-receiver-status.h"

struct _FerryReceiverStatus
{
  GtkWidget    parent_instance;

  /* Owned */
  FerryEngine *engine;

  /* Template children */
  GtkImage    *icon;
  GtkLabel    *title;
  GtkLabel    *subtitle;
};

enum {
  PROP_0,
  PROP_ENGINE,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (FerryReceiverStatus, ferry_receiver_status, GTK_TYPE_WIDGET)

static GParamSpec *properties[N_PROPS];

static void
ferry_receiver_status_update (FerryReceiverStatus *self)
{
  g_autofree char *subtitle = NULL;
  g_autofree char *tooltip = NULL;
  const char *title;
  const char *icon_name;
  const char *css_class;

  g_assert (FERRY_IS_RECEIVER_STATUS (self));

  gtk_widget_remove_css_class (GTK_WIDGET (self), "listening");
  gtk_widget_remove_css_class (GTK_WIDGET (self), "failed");
  gtk_widget_remove_css_class (GTK_WIDGET (self), "stopped");

  if (self->engine == NULL)
    {
      title = _("Not receiving");
      subtitle = g_strdup (_("Ferry could not start"));
      icon_name = "dialog-warning-symbolic";
      css_class = "failed";
    }
  else
    {
      const FerryConfig *config = ferry_engine_get_config (self->engine);
      const char *error = ferry_engine_get_receiver_error (self->engine);

      switch (ferry_engine_get_receiver_state (self->engine))
        {
        case FERRY_RECEIVER_LISTENING:
          /* Translators: the title of the receiver's status at the bottom of the sidebar. */
          title = _("Receiving");
          /* The AE title and port are what a modality needs, so they are shown exactly as a
           * technician would type them into it. */
          subtitle = g_strdup_printf ("%s:%u",
                                      config->receiver_ae_title,
                                      ferry_engine_get_receiver_port (self->engine));
          icon_name = "network-receive-symbolic";
          css_class = "listening";
          break;

        case FERRY_RECEIVER_FAILED:
          title = _("Not receiving");
          subtitle = g_strdup (error != NULL ? error : _("The receiver failed"));
          icon_name = "dialog-warning-symbolic";
          css_class = "failed";
          break;

        case FERRY_RECEIVER_STOPPED:
        default:
          title = _("Not receiving");
          subtitle = g_strdup (_("The receiver is stopped"));
          icon_name = "network-offline-symbolic";
          css_class = "stopped";
          break;
        }
    }

  gtk_image_set_from_icon_name (self->icon, icon_name);
  gtk_label_set_label (self->title, title);
  gtk_label_set_label (self->subtitle, subtitle);
  gtk_widget_add_css_class (GTK_WIDGET (self), css_class);

  /* Translators: the receiver's state and its details, e.g. "Receiving · FERRY:11112". */
  tooltip = g_strdup_printf (_("%s · %s"), title, subtitle);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip,
                                  -1);
}

static void
engine_notify_cb (FerryReceiverStatus *self,
                  GParamSpec          *pspec,
                  FerryEngine         *engine)
{
  ferry_receiver_status_update (self);
}

static void
ferry_receiver_status_dispose (GObject *object)
{
  FerryReceiverStatus *self = (FerryReceiverStatus *)object;
  GtkWidget *child;

  ferry_receiver_status_set_engine (self, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_RECEIVER_STATUS);

  /* GTK 4.8 leaves the template's top-level box in place. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (ferry_receiver_status_parent_class)->dispose (object);
}

static void
ferry_receiver_status_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  FerryReceiverStatus *self = FERRY_RECEIVER_STATUS (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      g_value_set_object (value, self->engine);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_receiver_status_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  FerryReceiverStatus *self = FERRY_RECEIVER_STATUS (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      ferry_receiver_status_set_engine (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_receiver_status_class_init (FerryReceiverStatusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ferry_receiver_status_dispose;
  object_class->get_property = ferry_receiver_status_get_property;
  object_class->set_property = ferry_receiver_status_set_property;

  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL,
                         FERRY_TYPE_ENGINE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/ferrydicom/Ferry/"
                                               "widgets/ferry-receiver-status.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryReceiverStatus, icon);
  gtk_widget_class_bind_template_child (widget_class, FerryReceiverStatus, title);
  gtk_widget_class_bind_template_child (widget_class, FerryReceiverStatus, subtitle);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "receiverstatus");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_STATUS);
}

static void
ferry_receiver_status_init (FerryReceiverStatus *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  ferry_receiver_status_update (self);
}

FerryEngine *
ferry_receiver_status_get_engine (FerryReceiverStatus *self)
{
  g_return_val_if_fail (FERRY_IS_RECEIVER_STATUS (self), NULL);

  return self->engine;
}

void
ferry_receiver_status_set_engine (FerryReceiverStatus *self,
                                  FerryEngine         *engine)
{
  g_return_if_fail (FERRY_IS_RECEIVER_STATUS (self));
  g_return_if_fail (!engine || FERRY_IS_ENGINE (engine));

  if (self->engine == engine)
    return;

  if (self->engine != NULL)
    g_signal_handlers_disconnect_by_func (self->engine, G_CALLBACK (engine_notify_cb), self);

  g_set_object (&self->engine, engine);

  if (engine != NULL)
    {
      g_signal_connect_object (engine, "notify::receiver-state",
                               G_CALLBACK (engine_notify_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (engine, "notify::receiver-port",
                               G_CALLBACK (engine_notify_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (engine, "notify::receiver-error",
                               G_CALLBACK (engine_notify_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (engine, "notify::config-generation",
                               G_CALLBACK (engine_notify_cb), self, G_CONNECT_SWAPPED);
    }

  ferry_receiver_status_update (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENGINE]);
}
