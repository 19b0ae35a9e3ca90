/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "gui-bench"

/* gui-bench: how long the real hangar GUI takes, from its spawn, to list
 * every machine of an engine, and how much memory it holds then.
 *
 *  1. An empty engine: hangar and `hangarctl list --all`, to show what
 *     starting costs before there is anything to list.
 *  2. The same engine with many small machines (DefineMachine, default
 *     1000): the same two, and the GUI against the CLI floor.
 *  3. virt-manager on the same machines in a private libvirtd session,
 *     when it is installed.
 *
 * "Listed" is the moment the GUI's machine model holds every machine: the
 * GUI says "N machines listed" on its debug log (G_MESSAGES_DEBUG=
 * hangar-gui-connection, which GLib prints on stdout) right after it filled
 * the model from the object manager; the clock stops when that line
 * arrives, then VmRSS is read from /proc and the GUI is killed. The rows on screen come
 * with the next frame, which is not counted. For virt-manager the same
 * moment is its "conn=… changed to state=Active" (--debug), which it logs
 * once every domain found at connect time was added to its list.
 *
 * It uses the tests' harness (a private dbus-daemon and the real hangard),
 * runs under Xvfb (meson test --benchmark gui-bench, or xvfb-run -a) and
 * prints results; it never judges them. */

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "bench-common.h"

#define GUI_LOG_DOMAIN        "hangar-gui-connection"
#define GUI_LISTED_MARK       " machines listed"
#define VIRT_MANAGER_ACTIVE   "changed to state=Active"
#define GUI_TIMEOUT_S         60
#define VIRT_MANAGER_TIMEOUT_S 180
#define OUTPUT_KEEP_BYTES     4000

static int       opt_runs = 3;
static int       opt_machines = 1000;
static char     *opt_hangar = NULL;
static gboolean  opt_verbose = FALSE;

static const GOptionEntry options[] = {
  { "runs", 'n', 0, G_OPTION_ARG_INT, &opt_runs, "Timed runs of each program (default 3)", "N" },
  { "machines", 'm', 0, G_OPTION_ARG_INT, &opt_machines, "Machines to define (default 1000)", "N" },
  { "hangar", 0, 0, G_OPTION_ARG_FILENAME, &opt_hangar,
    "The GUI to run (default: $HANGAR_GUI, else src/hangar of this build tree)", "PATH" },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, "Also print every run", NULL },
  { NULL }
};

typedef struct {
  HangarTestEnv *env;
  char          *tmpdir;        /* libvirtd for virt-manager */
  const char    *hangar;
} Bench;

/* What a program listed, how fast and at what size: one sample a run. */
typedef struct {
  const char *label;
  GArray     *ms;
  GArray     *rss_mib;          /* VmRSS when listed; empty for a CLI */
  GArray     *hwm_mib;          /* VmHWM (peak RSS) when listed */
  guint       listed;           /* what the last run listed */
} Figures;

static void
figures_init (Figures    *figures,
              const char *label)
{
  figures->label = label;
  figures->ms = bench_samples_new ();
  figures->rss_mib = bench_samples_new ();
  figures->hwm_mib = bench_samples_new ();
  figures->listed = 0;
}

static void
figures_clear (Figures *figures)
{
  g_clear_pointer (&figures->ms, g_array_unref);
  g_clear_pointer (&figures->rss_mib, g_array_unref);
  g_clear_pointer (&figures->hwm_mib, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Figures, figures_clear)

static void
bench_cleanup (gpointer data)
{
  Bench *bench = data;

  g_clear_pointer (&bench->env, hangar_test_env_free);
  if (bench->tmpdir != NULL)
    bench_remove_tmpdir (bench->tmpdir);
  g_clear_pointer (&bench->tmpdir, g_free);
}

/* ---- small helpers ------------------------------------------------------- */

static char *
machine_name (guint i)
{
  return g_strdup_printf ("bench-%04u", i);
}

/* A small definition, different for every machine, that libvirt takes too
 * (type 'qemu', which it accepts without /dev/kvm). */
static char *
small_machine_xml (const char *name)
{
  return g_strdup_printf (
    "<domain type='qemu'>\n"
    "  <name>%s</name>\n"
    "  <memory unit='MiB'>64</memory>\n"
    "  <vcpu>1</vcpu>\n"
    "  <os>\n"
    "    <type arch='x86_64' machine='pc'>hvm</type>\n"
    "  </os>\n"
    "  <devices>\n"
    "    <serial type='pty'><target port='0'/></serial>\n"
    "  </devices>\n"
    "</domain>\n", name);
}

/* A line of /proc/PID/status in kB ("VmRSS:    12345 kB"), in MiB. */
static double
proc_status_mib (GPid        pid,
                 const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents (path, &status, NULL, NULL) ||
      (line = strstr (status, field)) == NULL)
    return 0;
  return (double) g_ascii_strtoull (line + strlen (field), NULL, 10) / 1024.0;
}

static void
figures_print_verbose (const Figures *figures,
                       guint          run)
{
  if (!opt_verbose)
    return;
  if (figures->rss_mib->len > run)
    g_print ("    run %u  %-24s %7.1f ms  RSS %6.1f MiB  peak %6.1f MiB  (%u listed)\n", run + 1,
             figures->label, g_array_index (figures->ms, double, run),
             g_array_index (figures->rss_mib, double, run), g_array_index (figures->hwm_mib, double, run),
             figures->listed);
  else
    g_print ("    run %u  %-24s %7.1f ms  (%u listed)\n", run + 1, figures->label,
             g_array_index (figures->ms, double, run), figures->listed);
}

/* ---- A GUI, from spawn until it says it listed everything ---------------- */

/* Called with each line the GUI writes; TRUE when it is listed. */
typedef gboolean (*LineFunc) (const char *line,
                              guint      *listed);

/* The GUI dies with us, should we be killed while it runs. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean
gui_failed (const char     *argv0,
            const char     *what,
            GString        *output,
            GError        **error)
{
  g_autofree char *name = g_path_get_basename (argv0);
  const char *tail = output->str + (output->len > OUTPUT_KEEP_BYTES ? output->len - OUTPUT_KEEP_BYTES : 0);

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s %s; its output ends with:\n%s",
               name, what, *tail != '\0' ? tail : "(nothing)");
  return FALSE;
}

/* Spawns `argv`, reads what it prints line by line until `line_func` says
 * it listed its machines or `timeout_s` passes; then reads its memory and
 * kills it. Adds one sample to `figures`. */
static gboolean
run_gui_once (const char * const  *argv,
              const char * const  *envp,
              LineFunc             line_func,
              guint                timeout_s,
              Figures             *figures,
              GError             **error)
{
  g_autoptr(GString) output = g_string_new (NULL);
  gint64 start, deadline;
  GPid pid = 0;
  int fds[2] = { -1, -1 };
  int out_fd;
  gboolean spawned;
  gsize line_start = 0;
  gboolean listed = FALSE;
  guint n_listed = 0;
  double ms = 0, rss = 0, hwm = 0;

  /* GLib writes debug messages on stdout, warnings on stderr: one pipe
   * takes both, in the order they were written. */
  if (!g_unix_open_pipe (fds, FD_CLOEXEC, error))
    return FALSE;
  out_fd = fds[0];

  start = g_get_monotonic_time ();
  spawned = g_spawn_async_with_pipes_and_fds (NULL, argv, envp,
                                              G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                                              die_with_parent, NULL, -1, fds[1], fds[1], NULL, NULL, 0,
                                              &pid, NULL, NULL, NULL, error);
  close (fds[1]);
  if (!spawned)
    {
      close (out_fd);
      return FALSE;
    }
  deadline = start + (gint64) timeout_s * G_USEC_PER_SEC;

  while (!listed)
    {
      struct pollfd pfd = { .fd = out_fd, .events = POLLIN };
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      char buffer[4096];
      gssize n;
      char *newline;

      if (left_ms <= 0)
        break;
      if (poll (&pfd, 1, (int) left_ms) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (pfd.revents == 0)
        continue;
      n = read (out_fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          close (out_fd);
          bench_stop_child (pid, SIGKILL);
          return gui_failed (argv[0], "exited before it listed its machines", output, error);
        }
      g_string_append_len (output, buffer, n);

      /* Whole lines only; the rest waits for the next read. */
      while (!listed && (newline = memchr (output->str + line_start, '\n', output->len - line_start)) != NULL)
        {
          *newline = '\0';
          listed = line_func (output->str + line_start, &n_listed);
          *newline = '\n';
          line_start = newline + 1 - output->str;
        }
      if (listed)
        {
          ms = bench_ms_since (start);
          rss = proc_status_mib (pid, "VmRSS:");
          hwm = proc_status_mib (pid, "VmHWM:");
        }
    }

  close (out_fd);
  bench_stop_child (pid, SIGKILL);
  if (!listed)
    {
      g_autofree char *what = g_strdup_printf ("did not list its machines in %u s", timeout_s);

      return gui_failed (argv[0], what, output, error);
    }
  bench_samples_add (figures->ms, ms);
  bench_samples_add (figures->rss_mib, rss);
  bench_samples_add (figures->hwm_mib, hwm);
  figures->listed = n_listed;
  return TRUE;
}

/* ---- hangar ---------------------------------------------------------------- */

/* "(hangar:123): hangar-gui-connection-DEBUG: 12:00:00.000: unix:…: 1000 machines listed" */
static gboolean
hangar_line (const char *line,
             guint      *listed)
{
  const char *mark = strstr (line, GUI_LISTED_MARK);
  const char *digits;

  if (mark == NULL || strstr (line, GUI_LOG_DOMAIN) == NULL)
    return FALSE;
  for (digits = mark; digits > line && g_ascii_isdigit (digits[-1]); digits--)
    ;
  *listed = (guint) g_ascii_strtoull (digits, NULL, 10);
  return TRUE;
}

/* Like test-gui: X11 and the cairo renderer under Xvfb, the private bus as
 * both the engine's and the app's session bus, settings in memory. */
static GStrv
hangar_environ (Bench *bench)
{
  GStrv envp = g_get_environ ();

  envp = g_environ_setenv (envp, "HANGAR_CONNECT", bench->env->bus_address, TRUE);
  envp = g_environ_setenv (envp, "DBUS_SESSION_BUS_ADDRESS", bench->env->bus_address, TRUE);
  envp = g_environ_setenv (envp, "GSK_RENDERER", "cairo", TRUE);
  envp = g_environ_setenv (envp, "GDK_BACKEND", "x11", TRUE);
  envp = g_environ_setenv (envp, "GTK_A11Y", "none", TRUE);
  envp = g_environ_setenv (envp, "NO_AT_BRIDGE", "1", TRUE);
  envp = g_environ_setenv (envp, "GSETTINGS_BACKEND", "memory", TRUE);
  envp = g_environ_setenv (envp, "GSETTINGS_SCHEMA_DIR",
                           bench_build_path ("GSETTINGS_SCHEMA_DIR", "../../data"), TRUE);
  envp = g_environ_setenv (envp, "LC_ALL", "C.UTF-8", TRUE);
  envp = g_environ_unsetenv (envp, "LANGUAGE");
  envp = g_environ_setenv (envp, "G_MESSAGES_DEBUG", GUI_LOG_DOMAIN, TRUE);
  return envp;
}

static void
hangar_run_once (Bench   *bench,
                 Figures *figures)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) envp = hangar_environ (bench);
  const char *argv[] = { bench->hangar, NULL };

  if (!run_gui_once (argv, (const char * const *) envp, hangar_line, GUI_TIMEOUT_S, figures, &error))
    bench_fail ("%s", error->message);
}

/* ---- hangarctl list --all: the floor ---------------------------------------- */

static guint
count_machines (const char *listing)
{
  g_auto(GStrv) lines = g_strsplit (listing != NULL ? listing : "", "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], "bench-") != NULL)
      n++;
  return n;
}

static void
hangarctl_run_once (Bench   *bench,
                    Figures *figures)
{
  static const char * const args[] = { "list", "--all", NULL };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = hangar_test_ctl_argv (bench->env, NULL, args);
  g_auto(GStrv) envp = hangar_test_ctl_environ (bench->env, NULL);
  g_autofree char *listing = NULL;
  double ms;

  if (!bench_run ((const char * const *) argv, (const char * const *) envp, &listing, &ms, &error))
    bench_fail ("%s", error->message);
  bench_samples_add (figures->ms, ms);
  figures->listed = count_machines (listing);
}

/* ---- Printing --------------------------------------------------------------- */

static void
print_gui_row (const Figures *figures)
{
  g_print ("  %-24s median %7.1f ms  min %7.1f ms | RSS median %6.1f MiB (peak %6.1f MiB) | %u listed\n",
           figures->label, bench_samples_median (figures->ms), bench_samples_min (figures->ms),
           bench_samples_median (figures->rss_mib), bench_samples_median (figures->hwm_mib),
           figures->listed);
}

static void
print_cli_row (const Figures *figures)
{
  g_print ("  %-24s median %7.1f ms  min %7.1f ms | %u listed\n",
           figures->label, bench_samples_median (figures->ms), bench_samples_min (figures->ms),
           figures->listed);
}

static void
print_ratio_row (const char    *label,
                 const Figures *a,
                 const Figures *b)
{
  g_print ("  %-24s %.2f (median / median)\n", label,
           bench_ratio (bench_samples_median (a->ms), bench_samples_median (b->ms)));
}

static void
check_listed (const Figures *figures,
              guint          expected)
{
  if (figures->listed != expected)
    g_print ("  note: %s listed %u machines, not %u\n", figures->label, figures->listed, expected);
}

/* hangar then hangarctl, `opt_runs` times, interleaved. */
static void
measure_hangar (Bench   *bench,
                Figures *gui,
                Figures *cli)
{
  for (int i = 0; i < opt_runs; i++)
    {
      hangar_run_once (bench, gui);
      figures_print_verbose (gui, i);
      hangarctl_run_once (bench, cli);
      figures_print_verbose (cli, i);
    }
}

/* ---- 1. and 2. ---------------------------------------------------------------- */

static void
bench_empty (Bench   *bench,
             Figures *gui,
             Figures *cli)
{
  g_auto(Figures) warm = { 0 };

  g_print ("\n1. Empty engine: %d runs each after one warm-up, interleaved\n", opt_runs);

  /* Not counted: the first run reads the GUI, GTK and their data from disk. */
  figures_init (&warm, "warm-up");
  hangar_run_once (bench, &warm);
  hangarctl_run_once (bench, &warm);

  measure_hangar (bench, gui, cli);
  print_gui_row (gui);
  print_cli_row (cli);
  check_listed (gui, 0);
  check_listed (cli, 0);
}

static double
define_all (Bench *bench)
{
  gint64 start = g_get_monotonic_time ();

  for (int i = 0; i < opt_machines; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *name = machine_name (i);
      g_autofree char *xml = small_machine_xml (name);
      g_autofree char *path = NULL;

      if (!hangar_manager_call_define_machine_sync (bench->env->manager, xml, &path, NULL, &error))
        bench_fail ("DefineMachine %s failed: %s", name, error->message);
    }
  return bench_ms_since (start);
}

static void
bench_many (Bench         *bench,
            const Figures *empty_gui,
            Figures       *gui,
            Figures       *cli)
{
  double define_ms;

  g_print ("\n2. %d machines: %d runs each, interleaved\n", opt_machines, opt_runs);
  define_ms = define_all (bench);
  g_print ("  %-24s total %7.0f ms (DefineMachine, one at a time; not part of the figures)\n",
           "define", define_ms);

  measure_hangar (bench, gui, cli);
  print_gui_row (gui);
  print_cli_row (cli);
  check_listed (gui, opt_machines);
  check_listed (cli, opt_machines);
  print_ratio_row ("hangar / hangarctl", gui, cli);
  g_print ("  %-24s +%.1f ms, +%.1f MiB RSS over the empty engine\n",
           "the machines cost hangar",
           bench_samples_median (gui->ms) - bench_samples_median (empty_gui->ms),
           bench_samples_median (gui->rss_mib) - bench_samples_median (empty_gui->rss_mib));
  g_print ("   hangar: spawn until its log says \"%d machines listed\" (model filled from the\n"
           "   object manager; the next frame draws the rows), RSS at that moment;\n"
           "   hangarctl: `hangarctl --connect BUS list --all`, spawn to exit\n", opt_machines);
}

/* ---- 3. virt-manager ---------------------------------------------------------- */

/* With --debug: "… (connection:NNN) domain=bench-0001 status=Shutoff added",
 * then "… conn=URI changed to state=Active" once every domain found at
 * connect time is added. */
static gboolean
virt_manager_line (const char *line,
                   guint      *listed)
{
  if (strstr (line, "=bench-") != NULL && g_str_has_suffix (line, " added"))
    (*listed)++;
  return strstr (line, VIRT_MANAGER_ACTIVE) != NULL;
}

static gboolean
virt_manager_define_all (BenchLibvirt  *lv,
                         GError       **error)
{
  g_autoptr(GString) commands = g_string_new (NULL);
  g_autofree char *dir = g_build_filename (lv->dir, "definitions", NULL);

  g_mkdir_with_parents (dir, 0700);
  for (int i = 0; i < opt_machines; i++)
    {
      g_autofree char *name = machine_name (i);
      g_autofree char *xml = small_machine_xml (name);
      g_autofree char *file = g_strdup_printf ("%s.xml", name);
      g_autofree char *path = g_build_filename (dir, file, NULL);
      g_autofree char *quoted = g_shell_quote (path);

      if (!g_file_set_contents (path, xml, -1, error))
        return FALSE;
      g_string_append_printf (commands, "define %s; ", quoted);
    }
  return bench_virsh (lv, commands->str, NULL, NULL, error);
}

static GStrv
virt_manager_environ (Bench        *bench,
                      BenchLibvirt *lv)
{
  GStrv envp = g_strdupv (lv->envp);

  envp = g_environ_setenv (envp, "DBUS_SESSION_BUS_ADDRESS", bench->env->bus_address, TRUE);
  envp = g_environ_setenv (envp, "GDK_BACKEND", "x11", TRUE);
  envp = g_environ_setenv (envp, "NO_AT_BRIDGE", "1", TRUE);
  envp = g_environ_setenv (envp, "GSETTINGS_BACKEND", "memory", TRUE);
  envp = g_environ_unsetenv (envp, "GSETTINGS_SCHEMA_DIR");
  envp = g_environ_setenv (envp, "LC_ALL", "C.UTF-8", TRUE);
  envp = g_environ_unsetenv (envp, "LANGUAGE");
  envp = g_environ_unsetenv (envp, "G_DEBUG");
  return envp;
}

static gboolean
virt_manager_measure (Bench         *bench,
                      BenchLibvirt  *lv,
                      const char    *virt_manager,
                      Figures       *figures,
                      GError       **error)
{
  g_auto(GStrv) envp = virt_manager_environ (bench, lv);
  const char *argv[] = { virt_manager, "--no-fork", "--debug", "--connect", lv->uri, NULL };
  g_auto(Figures) warm = { 0 };

  figures_init (&warm, "warm-up");
  if (!virt_manager_define_all (lv, error) ||
      !run_gui_once (argv, (const char * const *) envp, virt_manager_line, VIRT_MANAGER_TIMEOUT_S,
                     &warm, error))
    return FALSE;
  for (int i = 0; i < opt_runs; i++)
    {
      if (!run_gui_once (argv, (const char * const *) envp, virt_manager_line, VIRT_MANAGER_TIMEOUT_S,
                         figures, error))
        return FALSE;
      figures_print_verbose (figures, i);
    }
  return TRUE;
}

static void
bench_virt_manager (Bench         *bench,
                    const Figures *gui)
{
  g_autofree char *virt_manager = g_find_program_in_path ("virt-manager");
  g_autofree char *dir = NULL;
  g_autoptr(BenchLibvirt) lv = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Figures) figures = { 0 };

  g_print ("\n3. virt-manager on the same %d machines (private libvirtd session)\n", opt_machines);
  if (virt_manager == NULL)
    {
      g_print ("  virt-manager not installed: skipped (apt install virt-manager libvirt-daemon-system to compare)\n");
      return;
    }
  lv = bench_libvirt_find ();
  if (lv == NULL)
    return;

  bench->tmpdir = bench_make_tmpdir ();
  dir = g_build_filename (bench->tmpdir, "libvirt", NULL);
  figures_init (&figures, "virt-manager");
  if (!bench_libvirt_start (lv, dir, &error) ||
      !virt_manager_measure (bench, lv, virt_manager, &figures, &error))
    {
      g_print ("  virt-manager comparison failed: %s\n", error->message);
      return;
    }
  print_gui_row (&figures);
  check_listed (&figures, opt_machines);
  print_ratio_row ("hangar / virt-manager", gui, &figures);
  g_print ("   virt-manager: spawn (--no-fork --debug --connect URI) until it logs\n"
           "   \"%s\" (every domain added to its list), RSS at that moment;\n"
           "   one warm-up run not counted\n", VIRT_MANAGER_ACTIVE);
}

/* ---- main ------------------------------------------------------------------ */

static gboolean
parse_options (int    *argc,
               char ***argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— time the hangar GUI listing many machines");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, options, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      return FALSE;
    }
  if (opt_runs < 1 || opt_machines < 1)
    {
      g_printerr ("%s: --runs and --machines must be at least 1\n", g_get_prgname ());
      return FALSE;
    }
  return TRUE;
}

static gboolean
find_programs (Bench *bench)
{
  bench->hangar = opt_hangar != NULL ? opt_hangar : bench_build_path ("HANGAR_GUI", "../../src/hangar");
  bench_build_path ("HANGARCTL", "../../src/ctl/hangarctl");

  if (!g_file_test (bench->hangar, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_printerr ("%s: no hangar at %s (build first: ninja -C _build, or pass --hangar)\n",
                  g_get_prgname (), bench->hangar);
      return FALSE;
    }
  if (!g_file_test (hangar_test_hangarctl (), G_FILE_TEST_IS_EXECUTABLE))
    {
      g_printerr ("%s: no hangarctl at %s (build first: ninja -C _build, or set HANGARCTL)\n",
                  g_get_prgname (), hangar_test_hangarctl ());
      return FALSE;
    }
  return bench_find_inputs (FALSE);
}

int
main (int    argc,
      char **argv)
{
  Bench bench = { 0 };
  g_auto(Figures) empty_gui = { 0 };
  g_auto(Figures) empty_cli = { 0 };
  g_auto(Figures) gui = { 0 };
  g_auto(Figures) cli = { 0 };
  g_autoptr(GVariant) host = NULL;
  gint64 start = g_get_monotonic_time ();

  g_set_prgname ("gui-bench");
  if (!parse_options (&argc, &argv))
    return 2;
  if (g_getenv ("DISPLAY") == NULL)
    {
      g_print ("%s: no display: skipped (run under xvfb-run -a, or meson test --benchmark gui-bench)\n",
               g_get_prgname ());
      return 77;
    }
  if (!find_programs (&bench))
    return 1;

  figures_init (&empty_gui, "hangar (GUI)");
  figures_init (&empty_cli, "hangarctl list --all");
  figures_init (&gui, "hangar (GUI)");
  figures_init (&cli, "hangarctl list --all");

  bench_set_cleanup (bench_cleanup, &bench);
  bench.env = hangar_test_env_new (FALSE);
  host = bench_print_host (bench.env);

  bench_empty (&bench, &empty_gui, &empty_cli);
  bench_many (&bench, &empty_gui, &gui, &cli);
  bench_virt_manager (&bench, &gui);

  bench_set_cleanup (NULL, NULL);
  bench_cleanup (&bench);
  g_print ("\ngui-bench: done in %.1f s\n", bench_ms_since (start) / 1000.0);
  return 0;
}
