/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-stats-sample"

/* CPU use as each GUI poller computes it from its own GetStats samples
 * (hangar-stats-sample): the arithmetic, then two pollers of one running
 * guest at once, against the real engine and QEMU. */

#include "hangar-stats-sample.h"
#include "hangar-test-env.h"

#include <math.h>

#define GUEST_TIMEOUT_S 120
#define N_ROUNDS        6
#define HALF_PERIOD_MS  500

static GVariant *
stats_of (guint64 cpu_time_ns,
          gint64  timestamp_us)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "cpu-time-ns", "t", cpu_time_ns);
  g_variant_dict_insert (&dict, "timestamp-us", "x", timestamp_us);
  /* What the engine says from anyone's previous call: never used. */
  g_variant_dict_insert (&dict, "cpu-percent", "d", 999.0);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

static void
test_arithmetic (void)
{
  HangarStatsSample sample = { 0 };
  g_autoptr(GVariant) first = stats_of (5 * G_GUINT64_CONSTANT (1000000000), 10 * G_USEC_PER_SEC);
  g_autoptr(GVariant) second = stats_of (6 * G_GUINT64_CONSTANT (1000000000), 12 * G_USEC_PER_SEC);
  g_autoptr(GVariant) busier = stats_of (9 * G_GUINT64_CONSTANT (1000000000), 13 * G_USEC_PER_SEC);
  g_autoptr(GVariant) restarted = stats_of (G_GUINT64_CONSTANT (100000000), 14 * G_USEC_PER_SEC);
  g_autoptr(GVariant) after_restart = stats_of (G_GUINT64_CONSTANT (600000000), 15 * G_USEC_PER_SEC);
  g_autoptr(GVariant) same_time = stats_of (G_GUINT64_CONSTANT (700000000), 15 * G_USEC_PER_SEC);
  g_autoptr(GVariant) empty = g_variant_ref_sink (g_variant_new ("a{sv}", NULL));
  double percent = -1;

  /* Nothing to compare the first sample with. */
  g_assert_false (hangar_stats_sample_cpu_percent (&sample, first, &percent));
  g_assert_cmpfloat (percent, ==, -1);

  /* 1 s of CPU in 2 s: half of one host CPU; 3 s in 1 s: three CPUs. */
  g_assert_true (hangar_stats_sample_cpu_percent (&sample, second, &percent));
  g_assert_cmpfloat_with_epsilon (percent, 50.0, 1e-9);
  g_assert_true (hangar_stats_sample_cpu_percent (&sample, busier, &percent));
  g_assert_cmpfloat_with_epsilon (percent, 300.0, 1e-9);

  /* QEMU started again: its CPU time went back; counted from there on. */
  percent = -1;
  g_assert_false (hangar_stats_sample_cpu_percent (&sample, restarted, &percent));
  g_assert_cmpfloat (percent, ==, -1);
  g_assert_true (hangar_stats_sample_cpu_percent (&sample, after_restart, &percent));
  g_assert_cmpfloat_with_epsilon (percent, 50.0, 1e-9);

  /* No time passed: no share to give. */
  g_assert_false (hangar_stats_sample_cpu_percent (&sample, same_time, &percent));

  /* Without the counters (an engine that has none): nothing, nothing kept. */
  g_assert_false (hangar_stats_sample_cpu_percent (&sample, empty, &percent));
  g_assert_true (sample.valid);

  hangar_stats_sample_reset (&sample);
  g_assert_false (sample.valid);
  g_assert_false (hangar_stats_sample_cpu_percent (&sample, second, &percent));
}

static gboolean
timeout_done (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
sleep_in_loop (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, timeout_done, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static GVariant *
get_stats (HangarMachine *machine)
{
  g_autoptr(GError) error = NULL;
  GVariant *stats = NULL;

  hangar_machine_call_get_stats_sync (machine, &stats, NULL, &error);
  g_assert_no_error (error);
  return stats;
}

typedef struct {
  const char        *name;
  HangarStatsSample  sample;
  GArray            *values;       /* double: this poller's CPU use */
  GArray            *engine;       /* double: the engine's "cpu-percent" */
  guint64            first_cpu_ns;
  gint64             first_us;
  guint64            last_cpu_ns;
  gint64             last_us;
} Poller;

static void
poll_once (Poller        *poller,
           HangarMachine *machine)
{
  g_autoptr(GVariant) stats = get_stats (machine);
  double percent, engine_percent;
  guint64 cpu_ns;
  gint64 us;

  g_assert_true (g_variant_lookup (stats, "cpu-time-ns", "t", &cpu_ns));
  g_assert_true (g_variant_lookup (stats, "timestamp-us", "x", &us));
  g_assert_true (g_variant_lookup (stats, "cpu-percent", "d", &engine_percent));
  if (poller->first_us == 0)
    {
      poller->first_cpu_ns = cpu_ns;
      poller->first_us = us;
    }
  poller->last_cpu_ns = cpu_ns;
  poller->last_us = us;

  if (hangar_stats_sample_cpu_percent (&poller->sample, stats, &percent))
    {
      g_array_append_val (poller->values, percent);
      g_array_append_val (poller->engine, engine_percent);
    }
}

static double
mean (GArray *values)
{
  double sum = 0;

  for (guint i = 0; i < values->len; i++)
    sum += g_array_index (values, double, i);
  return values->len > 0 ? sum / values->len : 0;
}

/* The list's row and the machine page poll the same machine, each every
 * 2 s, half a period apart (here faster): each one's CPU use covers its own
 * interval, so both see the same load; the engine's "cpu-percent" would
 * give each the share since the other's call. */
static void
test_two_pollers (void)
{
  g_autoptr(GError) error = NULL;
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *xml = hangar_test_guest_xml ("two-pollers", "hangar.heartbeat");
  g_autoptr(HangarMachine) machine = hangar_test_env_define (env, xml);
  Poller pollers[2] = { { .name = "row" }, { .name = "page" } };
  double upper = 100.0 * g_get_num_processors () + 10;

  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_console (machine, "HANGAR-GUEST-BOOTED", GUEST_TIMEOUT_S));

  for (guint p = 0; p < G_N_ELEMENTS (pollers); p++)
    {
      pollers[p].values = g_array_new (FALSE, FALSE, sizeof (double));
      pollers[p].engine = g_array_new (FALSE, FALSE, sizeof (double));
    }

  for (guint round = 0; round <= N_ROUNDS; round++)
    for (guint p = 0; p < G_N_ELEMENTS (pollers); p++)
      {
        poll_once (&pollers[p], machine);
        sleep_in_loop (HALF_PERIOD_MS);
      }

  for (guint p = 0; p < G_N_ELEMENTS (pollers); p++)
    {
      Poller *poller = &pollers[p];
      double overall = 100.0 * ((poller->last_cpu_ns - poller->first_cpu_ns) / 1000.0) /
                       (poller->last_us - poller->first_us);
      double sum_weighted = mean (poller->values) * poller->values->len;

      g_test_message ("%s: mean %.1f %% over %u samples (overall %.1f %%); engine's cpu-percent %.1f %%",
                      poller->name, mean (poller->values), poller->values->len, overall,
                      mean (poller->engine));
      g_assert_cmpuint (poller->values->len, ==, N_ROUNDS);
      for (guint i = 0; i < poller->values->len; i++)
        {
          double value = g_array_index (poller->values, double, i);

          g_assert_cmpfloat (value, >=, 0);
          g_assert_cmpfloat (value, <=, upper);
        }
      /* Equal intervals: the samples' mean is the use over the whole run. */
      g_assert_cmpfloat (fabs (sum_weighted / poller->values->len - overall), <, 0.15 * overall + 2);
    }

  /* Both pollers watch the same guest over the same few seconds. */
  g_assert_cmpfloat (fabs (mean (pollers[0].values) - mean (pollers[1].values)), <,
                     0.35 * MAX (mean (pollers[0].values), mean (pollers[1].values)) + 5);

  for (guint p = 0; p < G_N_ELEMENTS (pollers); p++)
    {
      g_array_unref (pollers[p].values);
      g_array_unref (pollers[p].engine);
    }
  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", GUEST_TIMEOUT_S));
  g_clear_object (&machine);
  hangar_test_env_free (env);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stats-sample/arithmetic", test_arithmetic);
  g_test_add_func ("/stats-sample/two-pollers", test_two_pollers);
  return g_test_run ();
}
