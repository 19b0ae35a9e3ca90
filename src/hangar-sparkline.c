/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-sparkline"

#include "hangar-sparkline.h"

#include <glib/gi18n.h>

#define N_SLOTS       30
#define BAR_GAP       1.0
#define MIN_BAR       1.0
#define NATURAL_WIDTH 60
#define NATURAL_HEIGHT 16

struct _HangarSparkline
{
  GtkWidget parent_instance;

  double    values[N_SLOTS];   /* a ring: values[first] is the oldest */
  guint     first;
  guint     n_values;
  double    max_value;
};

G_DEFINE_FINAL_TYPE (HangarSparkline, hangar_sparkline, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MAX_VALUE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static double
value_at (HangarSparkline *self,
          guint            i)
{
  return self->values[(self->first + i) % N_SLOTS];
}

static double
scale_max (HangarSparkline *self)
{
  double max = self->max_value;

  for (guint i = 0; i < self->n_values; i++)
    max = MAX (max, value_at (self, i));
  return max > 0 ? max : 1.0;
}

static void
hangar_sparkline_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  HangarSparkline *self = HANGAR_SPARKLINE (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  double slot = (double) width / N_SLOTS;
  double max = scale_max (self);
  GdkRGBA color, faint;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);
  G_GNUC_END_IGNORE_DEPRECATIONS
  faint = color;
  faint.alpha *= 0.25;

  /* The baseline: an idle machine still shows it is measured. */
  gtk_snapshot_append_color (snapshot, &faint, &GRAPHENE_RECT_INIT (0, height - 1, width, 1));

  for (guint i = 0; i < self->n_values; i++)
    {
      double value = CLAMP (value_at (self, i), 0, max);
      double bar = MAX (MIN_BAR, (height - 1) * value / max);
      /* The newest value sits at the right edge. */
      double x = width - (self->n_values - i) * slot;

      gtk_snapshot_append_color (snapshot, &color,
                                 &GRAPHENE_RECT_INIT (x + BAR_GAP / 2, height - 1 - bar,
                                                      MAX (slot - BAR_GAP, 1), bar));
    }
}

static void
hangar_sparkline_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = N_SLOTS;
      *natural = NATURAL_WIDTH;
    }
  else
    {
      *minimum = 8;
      *natural = NATURAL_HEIGHT;
    }
}

static void
update_description (HangarSparkline *self)
{
  g_autofree char *text = NULL;

  if (self->n_values == 0)
    {
      gtk_widget_set_tooltip_text (GTK_WIDGET (self), NULL);
      return;
    }
  /* TRANSLATORS: the machine's latest CPU use, e.g. "CPU: 12 %" */
  text = g_strdup_printf (_("CPU: %.0f %%"),
                          value_at (self, self->n_values - 1));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
}

void
hangar_sparkline_push (HangarSparkline *self,
                       double           value)
{
  g_return_if_fail (HANGAR_IS_SPARKLINE (self));

  if (self->n_values < N_SLOTS)
    self->values[(self->first + self->n_values++) % N_SLOTS] = value;
  else
    {
      self->values[self->first] = value;
      self->first = (self->first + 1) % N_SLOTS;
    }
  update_description (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
hangar_sparkline_clear (HangarSparkline *self)
{
  g_return_if_fail (HANGAR_IS_SPARKLINE (self));

  self->first = 0;
  self->n_values = 0;
  update_description (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
hangar_sparkline_get_n_values (HangarSparkline *self)
{
  g_return_val_if_fail (HANGAR_IS_SPARKLINE (self), 0);

  return self->n_values;
}

double
hangar_sparkline_get_max_value (HangarSparkline *self)
{
  g_return_val_if_fail (HANGAR_IS_SPARKLINE (self), 0);

  return self->max_value;
}

void
hangar_sparkline_set_max_value (HangarSparkline *self,
                                double           max_value)
{
  g_return_if_fail (HANGAR_IS_SPARKLINE (self));

  if (self->max_value == max_value)
    return;
  self->max_value = max_value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_VALUE]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

GtkWidget *
hangar_sparkline_new (void)
{
  return g_object_new (HANGAR_TYPE_SPARKLINE, NULL);
}

static void
hangar_sparkline_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  HangarSparkline *self = HANGAR_SPARKLINE (object);

  switch (prop_id)
    {
    case PROP_MAX_VALUE:
      g_value_set_double (value, self->max_value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hangar_sparkline_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  HangarSparkline *self = HANGAR_SPARKLINE (object);

  switch (prop_id)
    {
    case PROP_MAX_VALUE:
      hangar_sparkline_set_max_value (self, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hangar_sparkline_class_init (HangarSparklineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = hangar_sparkline_get_property;
  object_class->set_property = hangar_sparkline_set_property;
  widget_class->snapshot = hangar_sparkline_snapshot;
  widget_class->measure = hangar_sparkline_measure;

  properties[PROP_MAX_VALUE] =
    g_param_spec_double ("max-value", NULL, NULL, 0, G_MAXDOUBLE, 100,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "sparkline");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
hangar_sparkline_init (HangarSparkline *self)
{
  self->max_value = 100;
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("CPU usage"), -1);
}
