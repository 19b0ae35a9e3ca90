/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangarctl"

#include "hangarctl.h"

#include <glib-unix.h>
#include <termios.h>
#include <unistd.h>

/* top: virt-top for Hangar. A refreshing table of every machine with its
 * CPU share, memory, and disk and network rates. Rates are computed here
 * from the counters of two GetStats samples (the engine's own cpu-percent
 * counts from anyone's previous call, so two viewers would skew it). */

static double opt_top_delay = 3.0;
static int opt_top_iterations;
static gboolean opt_top_batch;
static gboolean opt_top_all;

static const GOptionEntry top_options[] = {
  { "delay", 'd', 0, G_OPTION_ARG_DOUBLE, &opt_top_delay,
    N_("Seconds between updates (default 3)"), N_("SECONDS") },
  { "iterations", 'n', 0, G_OPTION_ARG_INT, &opt_top_iterations,
    N_("Stop after this many updates (default: until q or Ctrl+C)"), N_("N") },
  { "batch", 'b', 0, G_OPTION_ARG_NONE, &opt_top_batch,
    N_("Print updates one after another instead of redrawing the screen"), NULL },
  { "all", 'a', 0, G_OPTION_ARG_NONE, &opt_top_all,
    N_("Show machines that are shut off too"), NULL },
  G_OPTION_ENTRY_NULL
};

/* One GetStats sample of one machine. */
typedef struct {
  char    *uuid;
  char    *name;
  char    *state;
  guint    id;
  gboolean valid;
  guint64  cpu_time_ns;
  guint64  memory_kib;
  guint64  rss_kib;
  guint64  block_read;
  guint64  block_write;
  guint64  net_rx;
  guint64  net_tx;
  gboolean has_net;
  gint64   timestamp_us;
} TopSample;

static void
top_sample_free (TopSample *sample)
{
  g_free (sample->uuid);
  g_free (sample->name);
  g_free (sample->state);
  g_free (sample);
}

/* A finished row: rates between the previous sample and this one. */
typedef struct {
  const TopSample *sample;
  double           cpu_percent;     /* < 0: not known yet */
  double           read_rate;
  double           write_rate;
  double           rx_rate;
  double           tx_rate;
  gboolean         has_rates;
} TopRow;

typedef struct {
  HangarctlContext *ctx;
  GMainLoop        *loop;
  GHashTable       *previous;        /* uuid -> TopSample* */
  guint64           host_memory_kib;
  guint             host_cpus;
  int               frames;
  gboolean          redraw;          /* a terminal: redraw in place */
  gboolean          quit;
  GError           *error;
} TopState;

static TopSample *
take_sample (HangarctlContext *ctx,
             GPtrArray        *machines,
             HangarMachine    *machine)
{
  TopSample *sample = g_new0 (TopSample, 1);
  g_autoptr(GVariant) stats = NULL;

  sample->uuid = g_strdup (hangarctl_machine_uuid (machine));
  sample->name = g_strdup (hangarctl_machine_name (machine));
  sample->state = g_strdup (hangar_machine_get_state (machine));
  sample->id = hangarctl_machine_id (machines, machine);

  /* A machine can stop or vanish between the list and the call. */
  if (!hangarctl_machine_is_active (machine) ||
      !hangar_machine_call_get_stats_sync (machine, &stats, NULL, NULL))
    return sample;

  sample->valid = TRUE;
  hangarctl_dict_get_u64 (stats, "cpu-time-ns", &sample->cpu_time_ns);
  hangarctl_dict_get_u64 (stats, "memory-kib", &sample->memory_kib);
  hangarctl_dict_get_u64 (stats, "memory-rss-kib", &sample->rss_kib);
  hangarctl_dict_get_u64 (stats, "block-read-bytes", &sample->block_read);
  hangarctl_dict_get_u64 (stats, "block-write-bytes", &sample->block_write);
  sample->has_net = hangarctl_dict_get_u64 (stats, "net-rx-bytes", &sample->net_rx);
  hangarctl_dict_get_u64 (stats, "net-tx-bytes", &sample->net_tx);
  if (!g_variant_lookup (stats, "timestamp-us", "x", &sample->timestamp_us))
    sample->timestamp_us = g_get_monotonic_time ();
  return sample;
}

static double
rate (guint64 now,
      guint64 before,
      double  seconds)
{
  /* Counters restart with QEMU: no negative rates. */
  return now >= before ? (double) (now - before) / seconds : 0.0;
}

static TopRow
make_row (const TopSample *now,
          const TopSample *before)
{
  TopRow row = { .sample = now, .cpu_percent = -1.0 };
  double seconds;

  if (!now->valid || before == NULL || !before->valid || now->timestamp_us <= before->timestamp_us)
    return row;

  seconds = (now->timestamp_us - before->timestamp_us) / (double) G_USEC_PER_SEC;
  row.has_rates = TRUE;
  row.cpu_percent = now->cpu_time_ns >= before->cpu_time_ns
                    ? 100.0 * (now->cpu_time_ns - before->cpu_time_ns) / 1e9 / seconds
                    : 0.0;
  row.read_rate = rate (now->block_read, before->block_read, seconds);
  row.write_rate = rate (now->block_write, before->block_write, seconds);
  row.rx_rate = rate (now->net_rx, before->net_rx, seconds);
  row.tx_rate = rate (now->net_tx, before->net_tx, seconds);
  return row;
}

/* Busiest first, then by name: the machines worth watching on top. */
static int
compare_rows (gconstpointer a,
              gconstpointer b)
{
  const TopRow *ra = a, *rb = b;

  if (ra->cpu_percent != rb->cpu_percent)
    return ra->cpu_percent > rb->cpu_percent ? -1 : 1;
  return g_strcmp0 (ra->sample->name, rb->sample->name);
}

/* Short sizes as top prints them ("0", "512", "1.5K", "82M"): the table
 * stays narrow, and units are powers of 1024. */
static char *
format_compact (double bytes)
{
  static const char units[] = "KMGTP";
  int unit = -1;

  while (bytes >= 1024.0 && unit < (int) sizeof units - 2)
    {
      bytes /= 1024.0;
      unit++;
    }
  if (unit < 0)
    return g_strdup_printf ("%.0f", bytes);
  return g_strdup_printf (bytes < 10.0 ? "%.1f%c" : "%.0f%c", bytes, units[unit]);
}

static char *
format_rate (const TopRow *row,
             double        value,
             gboolean      known)
{
  if (!row->has_rates || !known)
    return g_strdup ("-");
  return format_compact (value);
}

static char *
format_cpu_time (guint64 ns)
{
  guint64 seconds = ns / G_GUINT64_CONSTANT (1000000000);

  return g_strdup_printf ("%" G_GUINT64_FORMAT ":%02u", seconds / 60, (guint) (seconds % 60));
}

static void
add_row (HangarctlTable *table,
         const TopRow   *row,
         guint64         host_memory_kib)
{
  const TopSample *s = row->sample;
  g_autofree char *id = s->id != 0 ? g_strdup_printf ("%u", s->id) : g_strdup ("-");
  g_autofree char *cpu = row->cpu_percent >= 0 ? g_strdup_printf ("%.1f", row->cpu_percent) : g_strdup ("-");
  g_autofree char *mem_percent = s->valid && host_memory_kib > 0
                                 ? g_strdup_printf ("%.1f", 100.0 * s->memory_kib / host_memory_kib)
                                 : g_strdup ("-");
  g_autofree char *rss = s->valid ? format_compact (s->rss_kib * 1024.0) : g_strdup ("-");
  g_autofree char *rd = format_rate (row, row->read_rate, TRUE);
  g_autofree char *wr = format_rate (row, row->write_rate, TRUE);
  g_autofree char *rx = format_rate (row, row->rx_rate, s->has_net);
  g_autofree char *tx = format_rate (row, row->tx_rate, s->has_net);
  g_autofree char *time = s->valid ? format_cpu_time (s->cpu_time_ns) : g_strdup ("-");

  hangarctl_table_add_row (table, id, hangarctl_state_to_string (s->state), cpu, mem_percent, rss,
                           rd, wr, rx, tx, time, s->name);
}

static void
print_frame (TopState  *state,
             GPtrArray *samples)
{
  g_autoptr(GArray) rows = g_array_new (FALSE, FALSE, sizeof (TopRow));
  g_autoptr(HangarctlTable) table = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *clock = g_date_time_format (now, "%H:%M:%S");
  g_autofree char *host_memory = g_format_size (state->host_memory_kib * 1024);
  guint running = 0;

  for (guint i = 0; i < samples->len; i++)
    {
      const TopSample *sample = g_ptr_array_index (samples, i);
      TopRow row = make_row (sample, g_hash_table_lookup (state->previous, sample->uuid));

      running += sample->valid;
      if (sample->valid || opt_top_all)
        g_array_append_val (rows, row);
    }
  g_array_sort (rows, compare_rows);

  /* ID and the columns virt-top has, in its order; rates are per second. */
  table = hangarctl_table_new (11, _("ID"), _("State"), _("%CPU"), _("%MEM"), _("RSS"),
                               _("Read/s"), _("Write/s"), _("RX/s"), _("TX/s"),
                               _("Time"), _("Name"));
  for (guint i = 0; i < rows->len; i++)
    add_row (table, &g_array_index (rows, TopRow, i), state->host_memory_kib);

  if (state->redraw)
    fputs ("\033[H\033[2J", stdout);
  else if (state->frames > 0)
    fputc ('\n', stdout);
  /* TRANSLATORS: the header of hangarctl top: time, machines, host size */
  printf (_("hangarctl top - %s, %u machines, %u running, host: %u CPUs, %s\n"),
          clock, samples->len, running, state->host_cpus, host_memory);
  printf ("\n");
  hangarctl_table_print (table, TRUE, stdout);
  if (state->redraw)
    printf ("\n%s", _("Press q to quit."));
  fflush (stdout);
  state->frames++;
}

/* Samples every machine, prints a frame from the second sample on, and
 * keeps this sample for the next frame's rates. */
static gboolean
sample_and_print (TopState *state,
                  gboolean  print)
{
  g_autoptr(GPtrArray) machines = hangarctl_list_machines (state->ctx, &state->error);
  g_autoptr(GPtrArray) samples = NULL;

  if (machines == NULL)
    return FALSE;

  samples = g_ptr_array_new ();
  for (guint i = 0; i < machines->len; i++)
    g_ptr_array_add (samples, take_sample (state->ctx, machines, g_ptr_array_index (machines, i)));

  if (print)
    print_frame (state, samples);

  g_hash_table_remove_all (state->previous);
  for (guint i = 0; i < samples->len; i++)
    {
      TopSample *sample = g_ptr_array_index (samples, i);
      g_hash_table_insert (state->previous, sample->uuid, sample);
    }
  return TRUE;
}

static gboolean
on_tick (gpointer user_data)
{
  TopState *state = user_data;

  if (!sample_and_print (state, TRUE) ||
      (opt_top_iterations > 0 && state->frames >= opt_top_iterations))
    {
      g_main_loop_quit (state->loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_key (int          fd,
        GIOCondition condition,
        gpointer     user_data)
{
  TopState *state = user_data;
  char key = 0;

  if (read (fd, &key, 1) <= 0 || key == 'q' || key == 'Q')
    {
      g_main_loop_quit (state->loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_interrupt (gpointer user_data)
{
  TopState *state = user_data;

  g_main_loop_quit (state->loop);
  return G_SOURCE_CONTINUE;
}

static void
read_host_size (TopState *state)
{
  g_autoptr(GVariant) info = NULL;
  HangarManager *manager = hangarctl_get_manager (state->ctx, NULL);

  if (manager != NULL && hangar_manager_call_get_host_info_sync (manager, &info, NULL, NULL))
    {
      hangarctl_dict_get_u64 (info, "memory-kib", &state->host_memory_kib);
      g_variant_lookup (info, "cpus", "u", &state->host_cpus);
    }
}

static gboolean
run_top (HangarctlContext     *ctx,
         const HangarctlVerb  *verb G_GNUC_UNUSED,
         char                **args G_GNUC_UNUSED,
         GError              **error)
{
  TopState state = { .ctx = ctx };
  struct termios saved_termios, raw_termios;
  gboolean keys = FALSE;
  guint tick, key_watch = 0, interrupt_watch, terminate_watch;

  if (opt_top_delay < 0.1 || opt_top_delay > 3600)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--delay must be between 0.1 and 3600 seconds"));
      return FALSE;
    }
  if (opt_top_iterations < 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--iterations must not be negative"));
      return FALSE;
    }

  state.redraw = !opt_top_batch && isatty (STDOUT_FILENO);
  state.previous = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) top_sample_free);
  state.loop = g_main_loop_new (NULL, FALSE);
  read_host_size (&state);

  /* The first sample only gives the counters to measure from. */
  if (!sample_and_print (&state, FALSE))
    goto out;

  if (state.redraw && isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved_termios) == 0)
    {
      raw_termios = saved_termios;
      raw_termios.c_lflag &= ~(ICANON | ECHO);
      keys = tcsetattr (STDIN_FILENO, TCSANOW, &raw_termios) == 0;
      if (keys)
        key_watch = g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP, on_key, &state);
    }
  interrupt_watch = g_unix_signal_add (SIGINT, on_interrupt, &state);
  terminate_watch = g_unix_signal_add (SIGTERM, on_interrupt, &state);
  tick = g_timeout_add ((guint) (opt_top_delay * 1000), on_tick, &state);

  /* The loop also keeps the machine list current (object manager signals). */
  g_main_loop_run (state.loop);

  g_source_remove (interrupt_watch);
  g_source_remove (terminate_watch);
  if (g_main_context_find_source_by_id (NULL, tick) != NULL)
    g_source_remove (tick);
  if (key_watch != 0 && g_main_context_find_source_by_id (NULL, key_watch) != NULL)
    g_source_remove (key_watch);
  if (keys)
    {
      tcsetattr (STDIN_FILENO, TCSANOW, &saved_termios);
      printf ("\n");
    }

out:
  g_main_loop_unref (state.loop);
  g_hash_table_unref (state.previous);
  if (state.error != NULL)
    {
      g_propagate_error (error, state.error);
      return FALSE;
    }
  return TRUE;
}

static const HangarctlVerb top_verbs[] = {
  { "top", run_top, "", N_("Show machines’ CPU, memory, disk and network use, refreshing (virt-top)"),
    top_options, 0, 0, NULL },
  { NULL }
};

const HangarctlVerbGroup hangarctl_top_verbs = {
  N_("Monitoring"), top_verbs
};
