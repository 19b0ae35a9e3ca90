/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A time-series graph of up to two series (e.g. disk read and write) over a
 * sliding window, drawn with GtkSnapshot: a filled area and a line per
 * series, faint grid lines behind. The vertical scale grows to fit the
 * largest value shown, and never drops below the scale floor. */
#define HANGAR_TYPE_USAGE_GRAPH (hangar_usage_graph_get_type ())
G_DECLARE_FINAL_TYPE (HangarUsageGraph, hangar_usage_graph, HANGAR, USAGE_GRAPH, GtkWidget)

#define HANGAR_USAGE_GRAPH_MAX_SERIES 2

GtkWidget *hangar_usage_graph_new             (void);

/* How much time the graph shows, in microseconds (default 5 minutes). */
void       hangar_usage_graph_set_window      (HangarUsageGraph *self,
                                               gint64            window_us);
/* The smallest top of the vertical scale (e.g. 100 for percentages). */
void       hangar_usage_graph_set_scale_floor (HangarUsageGraph *self,
                                               double            floor);
/* Number of series drawn, 1 or 2. */
void       hangar_usage_graph_set_n_series    (HangarUsageGraph *self,
                                               guint             n_series);

/* Adds one sample per series at @time_us (a monotonic time); @values holds
 * one value per series. Samples older than the window are dropped. */
void       hangar_usage_graph_add_sample      (HangarUsageGraph *self,
                                               gint64            time_us,
                                               const double     *values);
/* Forgets every sample (e.g. when the machine starts again). */
void       hangar_usage_graph_clear           (HangarUsageGraph *self);

guint      hangar_usage_graph_get_n_samples   (HangarUsageGraph *self);
/* The top of the vertical scale as currently drawn. */
double     hangar_usage_graph_get_scale_max   (HangarUsageGraph *self);

G_END_DECLS
