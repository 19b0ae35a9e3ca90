/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-bench"

#include "bench-common.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_TIMEOUT_S       10
#define LIBVIRTD_TIMEOUT_S   30

/* ---- Figures ------------------------------------------------------------------ */

double
bench_ms_since (gint64 start_us)
{
  return (double) (g_get_monotonic_time () - start_us) / 1000.0;
}

double
bench_ratio (double a,
             double b)
{
  return b > 0 ? a / b : 0;
}

GArray *
bench_samples_new (void)
{
  return g_array_new (FALSE, FALSE, sizeof (double));
}

void
bench_samples_add (GArray *samples,
                   double  ms)
{
  g_array_append_val (samples, ms);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

double
bench_samples_median (GArray *samples)
{
  g_autoptr(GArray) sorted = g_array_copy (samples);
  guint n = sorted->len;

  if (n == 0)
    return 0;
  g_array_sort (sorted, compare_doubles);
  if (n % 2 == 1)
    return g_array_index (sorted, double, n / 2);
  return (g_array_index (sorted, double, n / 2 - 1) + g_array_index (sorted, double, n / 2)) / 2;
}

double
bench_samples_min (GArray *samples)
{
  double min = G_MAXDOUBLE;

  for (guint i = 0; i < samples->len; i++)
    min = MIN (min, g_array_index (samples, double, i));
  return samples->len > 0 ? min : 0;
}

double
bench_samples_sum (GArray *samples)
{
  double sum = 0;

  for (guint i = 0; i < samples->len; i++)
    sum += g_array_index (samples, double, i);
  return sum;
}

guint
bench_count_lines (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (*g_strstrip (lines[i]) != '\0')
      n++;
  return n;
}

/* ---- Failing, cleaning up ------------------------------------------------------ */

static GDestroyNotify fail_cleanup;
static gpointer       fail_cleanup_data;

void
bench_set_cleanup (GDestroyNotify cleanup,
                   gpointer       data)
{
  fail_cleanup = cleanup;
  fail_cleanup_data = data;
}

void
bench_fail (const char *format,
            ...)
{
  g_autofree char *message = NULL;
  GDestroyNotify cleanup = fail_cleanup;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("%s: %s\n", g_get_prgname (), message);

  fail_cleanup = NULL;
  if (cleanup != NULL)
    cleanup (fail_cleanup_data);
  exit (1);
}

char *
bench_make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *template = g_strdup_printf ("%s-XXXXXX", g_get_prgname ());
  char *dir = g_dir_make_tmp (template, &error);

  if (dir == NULL)
    bench_fail ("cannot make a temporary directory: %s", error->message);
  return dir;
}

void
bench_remove_tmpdir (const char *dir)
{
  bench_kill_processes_under (dir);
  if (g_getenv ("HANGAR_TEST_KEEP") == NULL)
    bench_remove_tree (dir);
  else
    g_printerr ("%s: kept %s\n", g_get_prgname (), dir);
}

/* ---- Processes and files --------------------------------------------------------- */

gboolean
bench_wait_for_exit (GPid  pid,
                     guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      if (waitpid (pid, NULL, WNOHANG) == pid)
        return TRUE;
      g_usleep (10 * 1000);
    }
  return FALSE;
}

void
bench_stop_child (GPid pid,
                  int  signum)
{
  kill (pid, signum);
  if (!bench_wait_for_exit (pid, EXIT_TIMEOUT_S))
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
    }
}

/* libvirtd's QEMU probes, a bare QEMU after an error: anything of ours
 * whose command line names a file under `dir`. */
void
bench_kill_processes_under (const char *dir)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *entry;

  while (proc != NULL && (entry = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *cmdline = NULL;
      gsize length = 0;
      GPid pid;

      if (!g_ascii_isdigit (entry[0]))
        continue;
      path = g_strdup_printf ("/proc/%s/cmdline", entry);
      if (!g_file_get_contents (path, &cmdline, &length, NULL) || length == 0)
        continue;
      for (gsize i = 0; i + 1 < length; i++)
        if (cmdline[i] == '\0')
          cmdline[i] = ' ';
      pid = (GPid) g_ascii_strtoll (entry, NULL, 10);
      if (pid != getpid () && strstr (cmdline, dir) != NULL)
        kill (pid, SIGKILL);
    }
}

void
bench_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        bench_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

char *
bench_file_tail (const char *path,
                 gsize       max_bytes)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return g_strdup ("(no log)");
  return g_strstrip (g_strdup (contents + (length > max_bytes ? length - max_bytes : 0)));
}

gboolean
bench_run (const char * const *argv,
           const char * const *envp,
           char              **output,
           double             *ms,
           GError            **error)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  gint64 start = g_get_monotonic_time ();
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, (char **) envp, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, &err, &status, error))
    return FALSE;
  if (ms != NULL)
    *ms = bench_ms_since (start);
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_autofree char *name = g_path_get_basename (argv[0]);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed: %s", name, g_strstrip (err));
      return FALSE;
    }
  if (output != NULL)
    *output = g_steal_pointer (&out);
  return TRUE;
}

/* ---- The engine --------------------------------------------------------------------- */

static void
default_env_from_build_dir (const char *name,
                            const char *relative)
{
  g_autofree char *exe = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;

  if (g_getenv (name) != NULL)
    return;
  exe = g_file_read_link ("/proc/self/exe", NULL);
  dir = exe != NULL ? g_path_get_dirname (exe) : g_get_current_dir ();
  path = g_canonicalize_filename (relative, dir);
  g_setenv (name, path, TRUE);
}

const char *
bench_build_path (const char *name,
                  const char *relative)
{
  default_env_from_build_dir (name, relative);
  return g_getenv (name);
}

gboolean
bench_find_inputs (gboolean need_guest)
{
  const char *hangard;

  /* The benchmarks live in _build/tests/bench/. */
  default_env_from_build_dir ("HANGARD", "../../engine/hangard");
  default_env_from_build_dir ("HANGAR_TEST_GUEST_DIR", "..");
  hangard = g_getenv ("HANGARD");

  if (!g_file_test (hangard, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_printerr ("%s: no hangard at %s (build first: ninja -C _build, or set HANGARD)\n",
                  g_get_prgname (), hangard);
      return FALSE;
    }
  if (need_guest &&
      (!g_file_test (hangar_test_guest_kernel (), G_FILE_TEST_EXISTS) ||
       !g_file_test (hangar_test_guest_initrd (), G_FILE_TEST_EXISTS)))
    {
      g_printerr ("%s: no test guest in %s (build first: ninja -C _build, or set HANGAR_TEST_GUEST_DIR)\n",
                  g_get_prgname (), g_getenv ("HANGAR_TEST_GUEST_DIR"));
      return FALSE;
    }
  return TRUE;
}

GVariant *
bench_print_host (HangarTestEnv *env)
{
  g_autoptr(GVariant) info = NULL;
  g_autoptr(GError) error = NULL;
  const char *cpu_model = "?", *qemu_version = "?";
  guint32 cpus = 0;

  if (!hangar_manager_call_get_host_info_sync (env->manager, &info, NULL, &error))
    bench_fail ("GetHostInfo failed: %s", error->message);
  g_variant_lookup (info, "cpu-model", "&s", &cpu_model);
  g_variant_lookup (info, "cpus", "u", &cpus);
  g_variant_lookup (info, "qemu-version", "&s", &qemu_version);

  g_print ("%s: %s, %u CPUs, accelerator %s, QEMU %s\n", g_get_prgname (),
           cpu_model, cpus, hangar_manager_get_accelerator (env->manager), qemu_version);
  return g_steal_pointer (&info);
}

GDBusObjectManager *
bench_new_object_manager (GDBusConnection *connection)
{
  g_autoptr(GError) error = NULL;
  GDBusObjectManager *manager =
    hangar_object_manager_client_new_sync (connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
                                           BENCH_BUS_NAME, BENCH_ROOT_PATH, NULL, &error);

  if (manager == NULL)
    bench_fail ("cannot create an object manager: %s", error->message);
  return manager;
}

guint
bench_count_objects (GDBusObjectManager *manager,
                     const char         *interface)
{
  g_autolist(GDBusObject) objects = g_dbus_object_manager_get_objects (manager);
  guint n = 0;

  for (GList *l = objects; l != NULL; l = l->next)
    {
      g_autoptr(GDBusInterface) found = g_dbus_object_get_interface (l->data, interface);

      if (found != NULL)
        n++;
    }
  return n;
}

double
bench_list_with_object_manager (HangarTestEnv *env,
                                const char    *interface,
                                guint         *n_objects)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GDBusObjectManager) manager = bench_new_object_manager (env->connection);
  double ms = bench_ms_since (start);

  *n_objects = bench_count_objects (manager, interface);
  return ms;
}

double
bench_list_with_new_connection (HangarTestEnv *env,
                                const char    *interface,
                                guint         *n_objects)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GDBusObjectManager) manager = NULL;
  gint64 start = g_get_monotonic_time ();
  double ms;

  connection = g_dbus_connection_new_for_address_sync (env->bus_address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  if (connection == NULL)
    bench_fail ("cannot connect to the bus: %s", error->message);
  manager = bench_new_object_manager (connection);
  ms = bench_ms_since (start);

  *n_objects = bench_count_objects (manager, interface);
  g_clear_object (&manager);
  g_dbus_connection_close_sync (connection, NULL, NULL);
  return ms;
}

double
bench_list_median (BenchListFunc  list,
                   HangarTestEnv *env,
                   const char    *interface,
                   guint          runs,
                   guint         *n_objects)
{
  g_autoptr(GArray) samples = bench_samples_new ();

  for (guint i = 0; i < runs; i++)
    bench_samples_add (samples, list (env, interface, n_objects));
  return bench_samples_median (samples);
}

/* ---- libvirt ------------------------------------------------------------------------- */

/* libvirtd lives in /usr/sbin, which a normal user's PATH often lacks. */
static char *
find_daemon (const char *name)
{
  char *path = g_find_program_in_path (name);
  const char *dirs[] = { "/usr/sbin", "/usr/local/sbin", "/sbin" };

  for (guint i = 0; path == NULL && i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *candidate = g_build_filename (dirs[i], name, NULL);

      if (g_file_test (candidate, G_FILE_TEST_IS_EXECUTABLE))
        path = g_steal_pointer (&candidate);
    }
  return path;
}

BenchLibvirt *
bench_libvirt_find (void)
{
  g_autoptr(BenchLibvirt) lv = g_new0 (BenchLibvirt, 1);

  lv->virsh = g_find_program_in_path ("virsh");
  lv->libvirtd = find_daemon ("libvirtd");
  if (lv->virsh == NULL || lv->libvirtd == NULL)
    {
      g_print ("  virsh/libvirtd not installed: skipped (apt install libvirt-daemon-system libvirt-clients to compare)\n");
      return NULL;
    }
  if (geteuid () == 0)
    {
      g_print ("  running as root: skipped (libvirtd as root is the system instance, not a private\n"
               "  session; run %s as a normal user to compare)\n", g_get_prgname ());
      return NULL;
    }
  return g_steal_pointer (&lv);
}

void
bench_libvirt_free (BenchLibvirt *lv)
{
  if (lv->daemon_pid != 0)
    bench_stop_child (lv->daemon_pid, SIGTERM);
  if (lv->dir != NULL)
    bench_remove_tmpdir (lv->dir);
  g_free (lv->dir);
  g_free (lv->virsh);
  g_free (lv->libvirtd);
  g_free (lv->socket);
  g_free (lv->uri);
  g_strfreev (lv->envp);
  g_free (lv);
}

/* Every XDG directory points into our temporary tree, so the session
 * libvirtd and virsh touch nothing of the user's. */
static GStrv
libvirt_environment (const char *dir)
{
  const char *vars[][2] = {
    { "XDG_CONFIG_HOME", "config" }, { "XDG_CACHE_HOME", "cache" },
    { "XDG_DATA_HOME", "data" }, { "XDG_STATE_HOME", "state" },
    { "XDG_RUNTIME_DIR", "runtime" },
  };
  GStrv envp = g_get_environ ();

  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      g_autofree char *path = g_build_filename (dir, vars[i][1], NULL);

      g_mkdir_with_parents (path, 0700);
      envp = g_environ_setenv (envp, vars[i][0], path, TRUE);
    }
  envp = g_environ_unsetenv (envp, "LIBVIRT_DEFAULT_URI");
  envp = g_environ_unsetenv (envp, "VIRSH_DEFAULT_CONNECT_URI");
  return envp;
}

gboolean
bench_virsh (BenchLibvirt  *lv,
             const char    *commands,
             char         **output,
             double        *ms,
             GError       **error)
{
  const char *argv[] = { lv->virsh, "-q", "-c", lv->uri, commands, NULL };

  return bench_run (argv, (const char * const *) lv->envp, output, ms, error);
}

static gboolean
libvirtd_failed (BenchLibvirt  *lv,
                 const char    *what,
                 GError       **error)
{
  g_autofree char *log_path = g_build_filename (lv->dir, "libvirtd.log", NULL);
  g_autofree char *log = bench_file_tail (log_path, 2000);

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s; it said:\n%s", what, log);
  return FALSE;
}

static gboolean
libvirt_wait_ready (BenchLibvirt  *lv,
                    GError       **error)
{
  gint64 deadline = g_get_monotonic_time () + LIBVIRTD_TIMEOUT_S * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      if (waitpid (lv->daemon_pid, NULL, WNOHANG) == lv->daemon_pid)
        {
          lv->daemon_pid = 0;
          return libvirtd_failed (lv, "libvirtd exited at once", error);
        }
      if (g_file_test (lv->socket, G_FILE_TEST_EXISTS) && bench_virsh (lv, "uri", NULL, NULL, NULL))
        return TRUE;
      g_usleep (50 * 1000);
    }
  return libvirtd_failed (lv, "libvirtd did not answer in time", error);
}

/* libvirtd run as a normal user is the session instance; with the XDG
 * directories moved, its socket is $XDG_RUNTIME_DIR/libvirt/libvirt-sock.
 * virsh is pointed at that socket so it never spawns a daemon of its own.
 * --timeout makes it go away by itself should this program die. */
gboolean
bench_libvirt_start (BenchLibvirt  *lv,
                     const char    *dir,
                     GError       **error)
{
  g_autofree char *runtime = NULL;
  g_autofree char *log_path = NULL;
  g_autofree char *escaped = NULL;
  const char *argv[] = { lv->libvirtd, "--timeout", "600", NULL };
  int log_fd;
  gboolean spawned;

  lv->dir = g_strdup (dir);
  g_mkdir_with_parents (lv->dir, 0700);
  runtime = g_build_filename (lv->dir, "runtime", NULL);
  log_path = g_build_filename (lv->dir, "libvirtd.log", NULL);
  lv->envp = libvirt_environment (lv->dir);
  lv->socket = g_build_filename (runtime, "libvirt", "libvirt-sock", NULL);
  escaped = g_uri_escape_string (lv->socket, "/", FALSE);
  lv->uri = g_strdup_printf ("qemu+unix:///session?socket=%s", escaped);

  log_fd = open (log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  spawned = g_spawn_async_with_pipes_and_fds (NULL, argv, (const char * const *) lv->envp,
                                              G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                                              NULL, NULL, -1, log_fd, log_fd, NULL, NULL, 0,
                                              &lv->daemon_pid, NULL, NULL, NULL, error);
  if (log_fd >= 0)
    close (log_fd);
  return spawned && libvirt_wait_ready (lv, error);
}

gboolean
bench_virsh_connect_cost (BenchLibvirt  *lv,
                          guint          runs,
                          double        *min_ms,
                          GError       **error)
{
  *min_ms = G_MAXDOUBLE;
  for (guint i = 0; i < runs; i++)
    {
      double ms;

      if (!bench_virsh (lv, "uri", NULL, &ms, error))
        return FALSE;
      *min_ms = MIN (*min_ms, ms);
    }
  return TRUE;
}

char *
bench_ratio_without_start_up (double hangard_ms,
                              double virsh_ms,
                              double virsh_start_ms)
{
  if (virsh_ms - virsh_start_ms <= 0)
    return g_strdup ("n/a");
  return g_strdup_printf ("%#.3g", bench_ratio (hangard_ms, virsh_ms - virsh_start_ms));
}
