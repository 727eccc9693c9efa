/* ferry-page.c: the base class of the window's pages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A page is one place in the sidebar: it has a title and an icon for the sidebar, a single child
 * that fills it, and the engine it shows. Pages stay alive while hidden, so they keep their
 * scroll position, search text and half-typed settings. A page may ask for attention with a short
 * text (the Studies page: how many deliveries gave up), shown as a badge on its sidebar row.
 */

#define G_LOG_DOMAIN "ferry-page"

#include "config.h"

#include "ferry-page.h"

typedef struct
{
  /* Owned */
  GtkWidget   *child;
  char        *title;
  char        *icon_name;
  char        *attention;
  FerryEngine *engine;
} FerryPagePrivate;

enum {
  PROP_0,
  PROP_CHILD,
  PROP_ENGINE,
  PROP_ICON_NAME,
  PROP_TITLE,
  PROP_ATTENTION,
  PROP_NEEDS_ATTENTION,
  N_PROPS
};

static void ferry_page_buildable_iface_init (GtkBuildableIface *iface);

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (FerryPage, ferry_page, GTK_TYPE_WIDGET,
                                  G_ADD_PRIVATE (FerryPage)
                                  G_IMPLEMENT_INTERFACE (GTK_TYPE_BUILDABLE,
                                                         ferry_page_buildable_iface_init))

static GParamSpec *properties[N_PROPS];
static GtkBuildableIface *parent_buildable_iface;

/* g_set_str() arrived in GLib 2.76. */
static gboolean
replace_str (char       **str,
             const char  *value)
{
  if (g_strcmp0 (*str, value) == 0)
    return FALSE;

  g_free (*str);
  *str = g_strdup (value);

  return TRUE;
}

static void
ferry_page_add_child (GtkBuildable *buildable,
                      GtkBuilder   *builder,
                      GObject      *child,
                      const char   *type)
{
  if (GTK_IS_WIDGET (child))
    ferry_page_set_child (FERRY_PAGE (buildable), GTK_WIDGET (child));
  else
    parent_buildable_iface->add_child (buildable, builder, child, type);
}

static void
ferry_page_buildable_iface_init (GtkBuildableIface *iface)
{
  parent_buildable_iface = g_type_interface_peek_parent (iface);
  iface->add_child = ferry_page_add_child;
}

static void
ferry_page_dispose (GObject *object)
{
  FerryPage *self = (FerryPage *)object;
  FerryPagePrivate *priv = ferry_page_get_instance_private (self);

  g_clear_pointer (&priv->child, gtk_widget_unparent);
  g_clear_object (&priv->engine);

  G_OBJECT_CLASS (ferry_page_parent_class)->dispose (object);
}

static void
ferry_page_finalize (GObject *object)
{
  FerryPage *self = (FerryPage *)object;
  FerryPagePrivate *priv = ferry_page_get_instance_private (self);

  g_clear_pointer (&priv->title, g_free);
  g_clear_pointer (&priv->attention, g_free);
  g_clear_pointer (&priv->icon_name, g_free);

  G_OBJECT_CLASS (ferry_page_parent_class)->finalize (object);
}

static void
ferry_page_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  FerryPage *self = FERRY_PAGE (object);

  switch (prop_id)
    {
    case PROP_CHILD:
      g_value_set_object (value, ferry_page_get_child (self));
      break;

    case PROP_ENGINE:
      g_value_set_object (value, ferry_page_get_engine (self));
      break;

    case PROP_ICON_NAME:
      g_value_set_string (value, ferry_page_get_icon_name (self));
      break;

    case PROP_TITLE:
      g_value_set_string (value, ferry_page_get_title (self));
      break;

    case PROP_ATTENTION:
      g_value_set_string (value, ferry_page_get_attention (self));
      break;

    case PROP_NEEDS_ATTENTION:
      g_value_set_boolean (value, ferry_page_get_attention (self) != NULL);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_page_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  FerryPage *self = FERRY_PAGE (object);

  switch (prop_id)
    {
    case PROP_CHILD:
      ferry_page_set_child (self, g_value_get_object (value));
      break;

    case PROP_ENGINE:
      ferry_page_set_engine (self, g_value_get_object (value));
      break;

    case PROP_ICON_NAME:
      ferry_page_set_icon_name (self, g_value_get_string (value));
      break;

    case PROP_TITLE:
      ferry_page_set_title (self, g_value_get_string (value));
      break;

    case PROP_ATTENTION:
      ferry_page_set_attention (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_page_class_init (FerryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ferry_page_dispose;
  object_class->finalize = ferry_page_finalize;
  object_class->get_property = ferry_page_get_property;
  object_class->set_property = ferry_page_set_property;

  properties[PROP_CHILD] =
    g_param_spec_object ("child", NULL, NULL,
                         GTK_TYPE_WIDGET,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL,
                         FERRY_TYPE_ENGINE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_ICON_NAME] =
    g_param_spec_string ("icon-name", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* A short text for the sidebar's badge, e.g. "3"; NULL when nothing needs attention. */
  properties[PROP_ATTENTION] =
    g_param_spec_string ("attention", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_NEEDS_ATTENTION] =
    g_param_spec_boolean ("needs-attention", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
ferry_page_init (FerryPage *self)
{
}

/**
 * ferry_page_get_attention:
 *
 * Returns: (nullable): the text of the sidebar's badge, or %NULL when nothing needs attention
 */
const char *
ferry_page_get_attention (FerryPage *self)
{
  FerryPagePrivate *priv = ferry_page_get_instance_private (self);

  g_return_val_if_fail (FERRY_IS_PAGE (self), NULL);

  return priv->attention;
}

void
ferry_page_set_attention (FerryPage  *self,
                          const char *attention)
{
  FerryPagePrivate *priv = ferry_page_get_instance_private (self);
  gboolean needed = priv->attention != NULL;

  g_return_if_fail (FERRY_IS_PAGE (self));

  if (attention != NULL && attention[0] == '\0')
    attention = NULL;
  if (!replace_str (&priv->attention, attention))
    return;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ATTENTION]);
  if (needed != (attention != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NEEDS_ATTENTION]);
}

/**
 * ferry_page_get_child:
 *
 * Returns: (transfer none) (nullable): the widget that fills the page
 */
GtkWidget *
ferry_page_get_child (FerryPage *self)
{
  FerryPagePrivate *priv = ferry_page_get_instance_private (self);

  g_return_val_if_fail (FERRY_IS_PAGE (self), NULL);

  return priv->child;
}

void
ferry_page_set_child (FerryPage *self,
                      GtkWidget *child)
{
  FerryPagePrivate *priv = ferry_page_get_instance_private (self);

  g_return_if_fail (FERRY_IS_PAGE (self));
  g_return_if_fail (!child || GTK_IS_WIDGET (child));
  g_return_if_fail (!child || gtk_widget_get_parent (child) == NULL);

  if (priv->child == child)
    return;

  g_clear_pointer (&priv->child, gtk_widget_unparent);

  if (child != NULL)
    {
      priv->child = child;
      gtk_widget_set_parent (child, GTK_WIDGET (self));
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHILD]);
}

const char *
ferry_page_get_title (FerryPage *self)
{
  FerryPagePrivate *priv = ferry_page_get_instance_private (self);

  g_return_val_if_fail (FERRY_IS_PAGE (self), NULL);

  return priv->title;
}

void
ferry_page_set_title (FerryPage  *self,
                      const char *title)
{
  FerryPagePrivate *priv = ferry_page_get_instance_private (self);

  g_return_if_fail (FERRY_IS_PAGE (self));

  if (replace_str (&priv->title, title))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

const char *
ferry_page_get_icon_name (FerryPage *self)
{
  FerryPagePrivate *priv = ferry_page_get_instance_private (self);

  g_return_val_if_fail (FERRY_IS_PAGE (self), NULL);

  return priv->icon_name;
}

void
ferry_page_set_icon_name (FerryPage  *self,
                          const char *icon_name)
{
  FerryPagePrivate *priv = ferry_page_get_instance_private (self);

  g_return_if_fail (FERRY_IS_PAGE (self));

  if (replace_str (&priv->icon_name, icon_name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ICON_NAME]);
}

/**
 * ferry_page_get_engine:
 *
 * Returns: (transfer none) (nullable): the engine the page shows
 */
FerryEngine *
ferry_page_get_engine (FerryPage *self)
{
  FerryPagePrivate *priv = ferry_page_get_instance_private (self);

  g_return_val_if_fail (FERRY_IS_PAGE (self), NULL);

  return priv->engine;
}

void
ferry_page_set_engine (FerryPage   *self,
                       FerryEngine *engine)
{
  FerryPagePrivate *priv = ferry_page_get_instance_private (self);

  g_return_if_fail (FERRY_IS_PAGE (self));
  g_return_if_fail (!engine || FERRY_IS_ENGINE (engine));

  if (!g_set_object (&priv->engine, engine))
    return;

  if (FERRY_PAGE_GET_CLASS (self)->engine_changed != NULL)
    FERRY_PAGE_GET_CLASS (self)->engine_changed (self, engine);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENGINE]);
}
