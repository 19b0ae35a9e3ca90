/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A machine's CPU use as one GUI client sees it, from the deltas of its own
 * GetStats samples ("cpu-time-ns" and "timestamp-us"). The engine's
 * "cpu-percent" counts from the previous GetStats of any caller, so two
 * pollers (the list's row and the machine page) would each get a share of
 * an interval the other cut: each keeps a HangarStatsSample instead.
 *
 * A plain struct, embedded in its owner and zeroed (or reset) to start. */
typedef struct {
  guint64  cpu_time_ns;     /* QEMU's CPU time at the previous sample */
  gint64   timestamp_us;    /* the engine's monotonic clock then */
  gboolean valid;           /* FALSE: no previous sample */
} HangarStatsSample;

/* Forgets the previous sample (a new machine, a new run, polling stopped). */
void     hangar_stats_sample_reset        (HangarStatsSample *self);

/* Takes the next sample from @stats (GetStats' a{sv}) and sets
 * @cpu_percent to the share of one host CPU used since the previous one
 * (100.0: one CPU busy; a guest with several vCPUs can use more). FALSE,
 * @cpu_percent untouched, on the first sample, when QEMU restarted between
 * the two (its CPU time went back), when no time passed, or when @stats
 * lacks either key; the sample is kept whenever it has both keys. */
gboolean hangar_stats_sample_cpu_percent  (HangarStatsSample *self,
                                           GVariant          *stats,
                                           double            *cpu_percent);

G_END_DECLS
