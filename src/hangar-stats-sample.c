/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-stats-sample"

#include "hangar-stats-sample.h"

void
hangar_stats_sample_reset (HangarStatsSample *self)
{
  g_return_if_fail (self != NULL);

  self->cpu_time_ns = 0;
  self->timestamp_us = 0;
  self->valid = FALSE;
}

gboolean
hangar_stats_sample_cpu_percent (HangarStatsSample *self,
                                 GVariant          *stats,
                                 double            *cpu_percent)
{
  HangarStatsSample previous;
  guint64 cpu_time_ns;
  gint64 timestamp_us;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (stats != NULL && g_variant_is_of_type (stats, G_VARIANT_TYPE_VARDICT), FALSE);
  g_return_val_if_fail (cpu_percent != NULL, FALSE);

  if (!g_variant_lookup (stats, "cpu-time-ns", "t", &cpu_time_ns) ||
      !g_variant_lookup (stats, "timestamp-us", "x", &timestamp_us))
    return FALSE;

  previous = *self;
  self->cpu_time_ns = cpu_time_ns;
  self->timestamp_us = timestamp_us;
  self->valid = TRUE;

  /* A first sample, QEMU restarted in between (its counter starts at 0
   * again), or a clock that did not move. */
  if (!previous.valid || cpu_time_ns < previous.cpu_time_ns || timestamp_us <= previous.timestamp_us)
    return FALSE;

  *cpu_percent = 100.0 * ((cpu_time_ns - previous.cpu_time_ns) / 1000.0) /
                 (double) (timestamp_us - previous.timestamp_us);
  return TRUE;
}
