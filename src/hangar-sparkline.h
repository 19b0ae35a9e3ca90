/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A small bar graph of the last values pushed (a machine's CPU use), drawn
 * in the widget's foreground color; newest on the right. */

#define HANGAR_TYPE_SPARKLINE (hangar_sparkline_get_type ())
G_DECLARE_FINAL_TYPE (HangarSparkline, hangar_sparkline, HANGAR, SPARKLINE, GtkWidget)

GtkWidget *hangar_sparkline_new        (void);

/* Values are drawn against max-value, or the largest value shown if larger. */
void       hangar_sparkline_push       (HangarSparkline *self,
                                        double           value);
void       hangar_sparkline_clear      (HangarSparkline *self);
guint      hangar_sparkline_get_n_values (HangarSparkline *self);
double     hangar_sparkline_get_max_value (HangarSparkline *self);
void       hangar_sparkline_set_max_value (HangarSparkline *self,
                                           double           max_value);

G_END_DECLS
