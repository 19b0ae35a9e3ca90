/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-usage-graph"

#include "hangar-usage-graph.h"

#include <math.h>

#define DEFAULT_WINDOW_US (5 * 60 * G_USEC_PER_SEC)
#define MIN_WIDTH 120
#define NATURAL_HEIGHT 72
#define GRID_LINES 4
#define LINE_WIDTH 1.5

typedef struct {
  gint64 time_us;
  double values[HANGAR_USAGE_GRAPH_MAX_SERIES];
} Sample;

struct _HangarUsageGraph
{
  GtkWidget  parent_instance;

  GArray    *samples;       /* Sample, oldest first */
  gint64     window_us;
  double     scale_floor;
  guint      n_series;
};

G_DEFINE_FINAL_TYPE (HangarUsageGraph, hangar_usage_graph, GTK_TYPE_WIDGET)

/* 1, 2 or 5 times a power of ten, at least @value. */
static double
nice_ceiling (double value)
{
  double magnitude = 1;

  if (value <= 0)
    return 1;

  while (magnitude * 10 <= value)
    magnitude *= 10;
  while (magnitude > value)
    magnitude /= 10;

  if (value <= magnitude)
    return magnitude;
  if (value <= 2 * magnitude)
    return 2 * magnitude;
  if (value <= 5 * magnitude)
    return 5 * magnitude;
  return 10 * magnitude;
}

double
hangar_usage_graph_get_scale_max (HangarUsageGraph *self)
{
  double largest = 0;

  g_return_val_if_fail (HANGAR_IS_USAGE_GRAPH (self), 1);

  for (guint i = 0; i < self->samples->len; i++)
    {
      const Sample *sample = &g_array_index (self->samples, Sample, i);

      for (guint s = 0; s < self->n_series; s++)
        largest = MAX (largest, sample->values[s]);
    }
  return MAX (self->scale_floor, nice_ceiling (largest * 1.1));
}

static void
lookup_color (GtkWidget  *widget,
              const char *name,
              const char *fallback,
              GdkRGBA    *color)
{
  GtkStyleContext *context;
  gboolean found;

  /* GTK 4.8 has no newer way to read a named color of the theme. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  context = gtk_widget_get_style_context (widget);
  found = gtk_style_context_lookup_color (context, name, color);
  G_GNUC_END_IGNORE_DEPRECATIONS

  if (!found)
    gdk_rgba_parse (color, fallback);
}

static void
get_foreground (GtkWidget *widget,
                GdkRGBA   *color)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), color);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
draw_grid (cairo_t       *cr,
           const GdkRGBA *foreground,
           double         width,
           double         height)
{
  cairo_set_source_rgba (cr, foreground->red, foreground->green, foreground->blue,
                         foreground->alpha * 0.12);
  cairo_set_line_width (cr, 1);
  for (int i = 0; i <= GRID_LINES; i++)
    {
      double y = (int) (height * i / GRID_LINES + 0.5) + (i == GRID_LINES ? -0.5 : 0.5);

      cairo_move_to (cr, 0, y);
      cairo_line_to (cr, width, y);
    }
  cairo_stroke (cr);
}

static double
sample_x (HangarUsageGraph *self,
          const Sample     *sample,
          gint64            now_us,
          double            width)
{
  return width - (double) (now_us - sample->time_us) / self->window_us * width;
}

static double
sample_y (const Sample *sample,
          guint         series,
          double        scale_max,
          double        height)
{
  double value = CLAMP (sample->values[series], 0, scale_max);

  return height - value / scale_max * (height - LINE_WIDTH) - LINE_WIDTH / 2;
}

/* Samples further apart than this are not joined: the page was not polling. */
static gboolean
is_gap (HangarUsageGraph *self,
        const Sample     *previous,
        const Sample     *sample)
{
  return sample->time_us - previous->time_us > self->window_us / 30;
}

/* One run of joined samples from @first: its path is left in @cr, and the
 * index after its end is returned. */
static guint
trace_run (HangarUsageGraph *self,
           cairo_t          *cr,
           guint             first,
           guint             series,
           gint64            now_us,
           double            scale_max,
           double            width,
           double            height)
{
  guint i = first;

  cairo_new_path (cr);
  for (; i < self->samples->len; i++)
    {
      const Sample *sample = &g_array_index (self->samples, Sample, i);
      double x = sample_x (self, sample, now_us, width);
      double y = sample_y (sample, series, scale_max, height);

      if (i > first && is_gap (self, &g_array_index (self->samples, Sample, i - 1), sample))
        break;
      cairo_line_to (cr, x, y);
    }
  return i;
}

static void
draw_series (HangarUsageGraph *self,
             cairo_t          *cr,
             guint             series,
             const GdkRGBA    *color,
             gint64            now_us,
             double            scale_max,
             double            width,
             double            height)
{
  guint first = 0;

  while (first < self->samples->len)
    {
      guint end = trace_run (self, cr, first, series, now_us, scale_max, width, height);
      const Sample *a = &g_array_index (self->samples, Sample, first);
      const Sample *b = &g_array_index (self->samples, Sample, end - 1);
      cairo_path_t *line = cairo_copy_path (cr);

      /* The area under the line, faint... */
      cairo_line_to (cr, sample_x (self, b, now_us, width), height);
      cairo_line_to (cr, sample_x (self, a, now_us, width), height);
      cairo_close_path (cr);
      cairo_set_source_rgba (cr, color->red, color->green, color->blue, 0.22);
      cairo_fill (cr);

      /* ...and the line itself. A lone sample is a short tick. */
      cairo_append_path (cr, line);
      cairo_path_destroy (line);
      if (end - first == 1)
        cairo_rel_line_to (cr, -2, 0);
      cairo_set_source_rgba (cr, color->red, color->green, color->blue, 1);
      cairo_set_line_width (cr, LINE_WIDTH);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      cairo_stroke (cr);

      first = end;
    }
}

static void
hangar_usage_graph_snapshot (GtkWidget   *widget,
                             GtkSnapshot *snapshot)
{
  HangarUsageGraph *self = HANGAR_USAGE_GRAPH (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  GdkRGBA foreground;
  GdkRGBA colors[HANGAR_USAGE_GRAPH_MAX_SERIES];
  cairo_t *cr;

  if (width <= 0 || height <= 0)
    return;

  get_foreground (widget, &foreground);
  lookup_color (widget, "accent_color", "#1c71d8", &colors[0]);
  lookup_color (widget, "purple_3", "#9141ac", &colors[1]);

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  draw_grid (cr, &foreground, width, height);

  if (self->samples->len > 0)
    {
      gint64 now_us = g_array_index (self->samples, Sample, self->samples->len - 1).time_us;
      double scale_max = hangar_usage_graph_get_scale_max (self);

      for (guint s = self->n_series; s > 0; s--)
        draw_series (self, cr, s - 1, &colors[s - 1], now_us, scale_max, width, height);
    }
  cairo_destroy (cr);
}

static void
hangar_usage_graph_measure (GtkWidget      *widget,
                            GtkOrientation  orientation,
                            int             for_size,
                            int            *minimum,
                            int            *natural,
                            int            *minimum_baseline,
                            int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = *natural = MIN_WIDTH;
  else
    *minimum = *natural = NATURAL_HEIGHT;
}

static void
hangar_usage_graph_finalize (GObject *object)
{
  HangarUsageGraph *self = HANGAR_USAGE_GRAPH (object);

  g_clear_pointer (&self->samples, g_array_unref);

  G_OBJECT_CLASS (hangar_usage_graph_parent_class)->finalize (object);
}

static void
hangar_usage_graph_class_init (HangarUsageGraphClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = hangar_usage_graph_finalize;
  widget_class->snapshot = hangar_usage_graph_snapshot;
  widget_class->measure = hangar_usage_graph_measure;

  gtk_widget_class_set_css_name (widget_class, "usagegraph");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
hangar_usage_graph_init (HangarUsageGraph *self)
{
  self->samples = g_array_new (FALSE, FALSE, sizeof (Sample));
  self->window_us = DEFAULT_WINDOW_US;
  self->scale_floor = 1;
  self->n_series = 1;
}

GtkWidget *
hangar_usage_graph_new (void)
{
  return g_object_new (HANGAR_TYPE_USAGE_GRAPH, NULL);
}

void
hangar_usage_graph_set_window (HangarUsageGraph *self,
                               gint64            window_us)
{
  g_return_if_fail (HANGAR_IS_USAGE_GRAPH (self));
  g_return_if_fail (window_us > 0);

  self->window_us = window_us;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
hangar_usage_graph_set_scale_floor (HangarUsageGraph *self,
                                    double            floor)
{
  g_return_if_fail (HANGAR_IS_USAGE_GRAPH (self));
  g_return_if_fail (floor > 0);

  self->scale_floor = floor;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
hangar_usage_graph_set_n_series (HangarUsageGraph *self,
                                 guint             n_series)
{
  g_return_if_fail (HANGAR_IS_USAGE_GRAPH (self));
  g_return_if_fail (n_series >= 1 && n_series <= HANGAR_USAGE_GRAPH_MAX_SERIES);

  self->n_series = n_series;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
drop_old_samples (HangarUsageGraph *self,
                  gint64            now_us)
{
  guint keep_from = 0;

  /* One sample before the window stays, so the line enters from the edge. */
  while (keep_from + 1 < self->samples->len &&
         g_array_index (self->samples, Sample, keep_from + 1).time_us < now_us - self->window_us)
    keep_from++;
  if (keep_from > 0)
    g_array_remove_range (self->samples, 0, keep_from);
}

void
hangar_usage_graph_add_sample (HangarUsageGraph *self,
                               gint64            time_us,
                               const double     *values)
{
  Sample sample = { .time_us = time_us };

  g_return_if_fail (HANGAR_IS_USAGE_GRAPH (self));
  g_return_if_fail (values != NULL);

  /* A clock that went back (another engine, a restart) starts afresh. */
  if (self->samples->len > 0 &&
      g_array_index (self->samples, Sample, self->samples->len - 1).time_us >= time_us)
    g_array_set_size (self->samples, 0);

  for (guint s = 0; s < self->n_series; s++)
    sample.values[s] = isfinite (values[s]) ? values[s] : 0;
  g_array_append_val (self->samples, sample);
  drop_old_samples (self, time_us);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
hangar_usage_graph_clear (HangarUsageGraph *self)
{
  g_return_if_fail (HANGAR_IS_USAGE_GRAPH (self));

  g_array_set_size (self->samples, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
hangar_usage_graph_get_n_samples (HangarUsageGraph *self)
{
  g_return_val_if_fail (HANGAR_IS_USAGE_GRAPH (self), 0);

  return self->samples->len;
}
