/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "engine-bench"

/* engine-bench: what hangard costs against the alternatives, every figure
 * measured in the same run on the same machine so the ratios mean something.
 *
 *  1. Start latency: Machine.Start() until its reply, against the engine's
 *     own QEMU command line (minus -S) launched bare, until its QMP greeting
 *     and until query-status says running.
 *  2. Defining many machines, listing them with a fresh object manager, and
 *     looking each one up.
 *  3. The same definitions and listings through virsh and a private libvirtd
 *     session, when libvirt is installed.
 *
 * It uses the tests' harness (a private dbus-daemon and the real hangard) and
 * prints results; it never judges them. */

#include <fcntl.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hangar-test-env.h"
#include "hangard-domain.h"
#include "hangard-qemu-argv.h"

#define HANGAR_BUS_NAME      "io.github.hangarvm.Hangar1"
#define HANGAR_ROOT_PATH     "/io/github/hangarvm/Hangar1"
#define MACHINE_INTERFACE    "io.github.hangarvm.Hangar1.Machine"

/* Same numbers the engine gives its QEMU (hangard-vm.c). */
#define QMP_CHILD_FD         3
#define SERIAL_CHILD_FD      4

#define QMP_TIMEOUT_S        60
#define STATE_TIMEOUT_S      60
#define EXIT_TIMEOUT_S       10
#define LIBVIRTD_TIMEOUT_S   30
#define VIRSH_CONNECT_RUNS   3
#define LIST_RUNS            3

static int      opt_runs = 5;
static int      opt_machines = 1000;
static gboolean opt_verbose = FALSE;

static const GOptionEntry options[] = {
  { "runs", 'n', 0, G_OPTION_ARG_INT, &opt_runs, "Start latency repetitions (default 5)", "N" },
  { "machines", 'm', 0, G_OPTION_ARG_INT, &opt_machines, "Machines to define (default 1000)", "N" },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, "Also print both QEMU command lines", NULL },
  { NULL }
};

typedef struct {
  HangarTestEnv *env;
  char          *tmpdir;        /* bare QEMU runs, virsh definitions, libvirtd */
  char          *accel;
  char          *qemu_binary;
  GPid           bare_pid;      /* the bare QEMU being measured, or 0 */
} Bench;

/* For fail(), which cleans up before exiting. */
static Bench *current_bench;

/* The hangard side of sections 2 and 3, in milliseconds. */
typedef struct {
  double define_ms;
  double list_ms;               /* new connection + object manager */
  double lookup_ms;
} DefineResults;

/* ---- small helpers ------------------------------------------------------- */

static double
ms_since (gint64 start_us)
{
  return (double) (g_get_monotonic_time () - start_us) / 1000.0;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
samples_median (GArray *samples)
{
  g_autoptr(GArray) sorted = g_array_copy (samples);
  guint n = sorted->len;

  g_array_sort (sorted, compare_doubles);
  if (n % 2 == 1)
    return g_array_index (sorted, double, n / 2);
  return (g_array_index (sorted, double, n / 2 - 1) + g_array_index (sorted, double, n / 2)) / 2;
}

static double
samples_min (GArray *samples)
{
  double min = G_MAXDOUBLE;

  for (guint i = 0; i < samples->len; i++)
    min = MIN (min, g_array_index (samples, double, i));
  return min;
}

static void
samples_add (GArray *samples,
             double  ms)
{
  g_array_append_val (samples, ms);
}

static double
ratio (double a,
       double b)
{
  return b > 0 ? a / b : 0;
}

static guint
count_lines (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (*g_strstrip (lines[i]) != '\0')
      n++;
  return n;
}

static char *
machine_name (guint i)
{
  return g_strdup_printf ("bench-%04u", i);
}

/* A small definition, different for every machine; libvirt takes it too
 * (type 'qemu', which it accepts without /dev/kvm). */
static char *
small_machine_xml (const char *name)
{
  g_autofree char *kernel = g_markup_escape_text (hangar_test_guest_kernel (), -1);
  g_autofree char *initrd = g_markup_escape_text (hangar_test_guest_initrd (), -1);

  return g_strdup_printf (
    "<domain type='qemu'>\n"
    "  <name>%s</name>\n"
    "  <memory unit='MiB'>64</memory>\n"
    "  <vcpu>1</vcpu>\n"
    "  <os>\n"
    "    <type arch='x86_64' machine='pc'>hvm</type>\n"
    "    <kernel>%s</kernel>\n"
    "    <initrd>%s</initrd>\n"
    "    <cmdline>console=ttyS0</cmdline>\n"
    "  </os>\n"
    "  <devices>\n"
    "    <serial type='pty'><target port='0'/></serial>\n"
    "  </devices>\n"
    "</domain>\n", name, kernel, initrd);
}

static gboolean
wait_for_exit (GPid  pid,
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

static void
stop_child (GPid pid,
            int  signum)
{
  kill (pid, signum);
  if (!wait_for_exit (pid, EXIT_TIMEOUT_S))
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
    }
}

/* Kills what is left of our own processes that name a file under `dir` on
 * their command line (libvirtd's QEMU probes, a bare QEMU after an error). */
static void
kill_processes_under (const char *dir)
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

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* Ends the engine, its bus and every QEMU of ours; removes the temporary
 * trees (kept with HANGAR_TEST_KEEP=1, as the tests do). */
static void
bench_cleanup (Bench *bench)
{
  if (bench->bare_pid != 0)
    stop_child (bench->bare_pid, SIGKILL);
  bench->bare_pid = 0;
  g_clear_pointer (&bench->env, hangar_test_env_free);
  if (bench->tmpdir != NULL)
    {
      kill_processes_under (bench->tmpdir);
      if (g_getenv ("HANGAR_TEST_KEEP") == NULL)
        remove_tree (bench->tmpdir);
      else
        g_printerr ("engine-bench: kept %s\n", bench->tmpdir);
    }
  g_clear_pointer (&bench->tmpdir, g_free);
  g_clear_pointer (&bench->accel, g_free);
  g_clear_pointer (&bench->qemu_binary, g_free);
}

/* A benchmark that cannot go on says why, and leaves nothing running. */
static void G_GNUC_NORETURN G_GNUC_PRINTF (1, 2)
fail (const char *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("engine-bench: %s\n", message);

  if (current_bench != NULL)
    bench_cleanup (g_steal_pointer (&current_bench));
  exit (1);
}

static char *
file_tail (const char *path,
           gsize       max_bytes)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return g_strdup ("(no log)");
  return g_strstrip (g_strdup (contents + (length > max_bytes ? length - max_bytes : 0)));
}

/* ---- environment ---------------------------------------------------------- */

/* Run by hand, the benchmark finds hangard and the test guest in the build
 * tree it lives in (_build/tests/bench/engine-bench). */
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

static gboolean
check_inputs (void)
{
  const char *hangard = g_getenv ("HANGARD");

  if (!g_file_test (hangard, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_printerr ("engine-bench: no hangard at %s (build first: ninja -C _build, or set HANGARD)\n", hangard);
      return FALSE;
    }
  if (!g_file_test (hangar_test_guest_kernel (), G_FILE_TEST_EXISTS) ||
      !g_file_test (hangar_test_guest_initrd (), G_FILE_TEST_EXISTS))
    {
      g_printerr ("engine-bench: no test guest in %s (build first: ninja -C _build, or set HANGAR_TEST_GUEST_DIR)\n",
                  g_getenv ("HANGAR_TEST_GUEST_DIR"));
      return FALSE;
    }
  return TRUE;
}

static void
print_host (Bench *bench)
{
  g_autoptr(GVariant) info = NULL;
  g_autoptr(GError) error = NULL;
  const char *cpu_model = "?", *qemu_version = "?";
  guint32 cpus = 0;

  if (!hangar_manager_call_get_host_info_sync (bench->env->manager, &info, NULL, &error))
    fail ("GetHostInfo failed: %s", error->message);
  g_variant_lookup (info, "cpu-model", "&s", &cpu_model);
  g_variant_lookup (info, "cpus", "u", &cpus);
  g_variant_lookup (info, "qemu-version", "&s", &qemu_version);
  if (!g_variant_lookup (info, "qemu-binary", "s", &bench->qemu_binary) || *bench->qemu_binary == '\0')
    fail ("hangard found no QEMU binary");
  bench->accel = g_strdup (hangar_manager_get_accelerator (bench->env->manager));

  g_print ("engine-bench: %s, %u CPUs, accelerator %s, QEMU %s\n",
           cpu_model, cpus, bench->accel, qemu_version);
}

/* ---- 1. start latency: hangard ------------------------------------------ */

static void
hangard_force_off (HangarMachine *machine)
{
  g_autoptr(GError) error = NULL;

  if (!hangar_machine_call_force_off_sync (machine, NULL, &error))
    fail ("ForceOff failed: %s", error->message);
  if (!hangar_test_wait_for_state (machine, "shutoff", STATE_TIMEOUT_S))
    fail ("the machine is not shut off %d s after ForceOff", STATE_TIMEOUT_S);
}

/* Start() until its reply, which the engine sends once QEMU runs the guest. */
static double
hangard_start_once (HangarMachine *machine)
{
  g_autoptr(GError) error = NULL;
  gint64 start;
  double ms;

  hangar_test_settle ();
  start = g_get_monotonic_time ();
  if (!hangar_machine_call_start_sync (machine, NULL, &error))
    fail ("Start failed: %s", error->message);
  ms = ms_since (start);

  hangard_force_off (machine);
  return ms;
}

/* The command line the engine ran, from its QEMU log ("starting (tcg): ..."). */
static char *
hangard_command_line (HangarMachine *machine)
{
  g_autoptr(GVariant) log = NULL;
  g_autofree char *text = NULL;
  const char *bytes, *line, *end;
  gsize length;

  if (!hangar_machine_call_get_qemu_log_sync (machine, 0, &log, NULL, NULL))
    return g_strdup ("(no QEMU log)");
  bytes = g_variant_get_fixed_array (log, &length, 1);
  text = g_strndup (length ? bytes : "", length);
  line = strstr (text, "starting (");
  if (line == NULL || (line = strstr (line, "): ")) == NULL)
    return g_strdup ("(not in the QEMU log)");
  line += 3;
  end = strchr (line, '\n');
  return end != NULL ? g_strndup (line, end - line) : g_strdup (line);
}

/* ---- 1. start latency: bare QEMU ----------------------------------------- */

typedef struct {
  GSocketConnection *connection;
  GDataInputStream  *input;
} QmpClient;

static void
qmp_client_clear (QmpClient *client)
{
  g_clear_object (&client->input);
  if (client->connection != NULL)
    g_io_stream_close (G_IO_STREAM (client->connection), NULL, NULL);
  g_clear_object (&client->connection);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (QmpClient, qmp_client_clear)

static gboolean
qmp_connect (QmpClient   *client,
             const char  *path,
             GError     **error)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_DEFAULT, error);
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);

  if (socket == NULL || !g_socket_connect (socket, address, NULL, error))
    return FALSE;
  g_socket_set_timeout (socket, QMP_TIMEOUT_S);
  client->connection = g_socket_connection_factory_create_connection (socket);
  client->input = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (client->connection)));
  g_data_input_stream_set_newline_type (client->input, G_DATA_STREAM_NEWLINE_TYPE_ANY);
  return TRUE;
}

/* Reads messages until one has `member` ("QMP" for the greeting, "return"
 * for a reply), skipping events; returns that member. */
static JsonNode *
qmp_read (QmpClient   *client,
          const char  *member,
          GError     **error)
{
  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *line = g_data_input_stream_read_line (client->input, NULL, NULL, &local_error);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonNode *root;
      JsonObject *object;

      if (line == NULL)
        {
          if (local_error == NULL)
            local_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, "QEMU closed QMP");
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      if (*g_strstrip (line) == '\0')
        continue;
      if (!json_parser_load_from_data (parser, line, -1, error))
        return NULL;
      root = json_parser_get_root (parser);
      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        continue;
      object = json_node_get_object (root);
      if (json_object_has_member (object, "error"))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "QMP error: %s", line);
          return NULL;
        }
      if (json_object_has_member (object, member))
        return json_node_copy (json_object_get_member (object, member));
    }
}

static JsonNode *
qmp_execute (QmpClient   *client,
             const char  *command,
             GError     **error)
{
  g_autofree char *message = g_strdup_printf ("{\"execute\": \"%s\"}\n", command);
  GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (client->connection));

  if (!g_output_stream_write_all (output, message, strlen (message), NULL, NULL, error))
    return NULL;
  return qmp_read (client, "return", error);
}

static gboolean
qmp_says_running (QmpClient   *client,
                  gboolean    *running,
                  GError     **error)
{
  g_autoptr(JsonNode) status = qmp_execute (client, "query-status", error);

  if (status == NULL)
    return FALSE;
  *running = JSON_NODE_HOLDS_OBJECT (status) &&
             json_object_get_boolean_member_with_default (json_node_get_object (status), "running", FALSE);
  return TRUE;
}

static GSocket *
listen_unix (const char  *path,
             GError     **error)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_DEFAULT, error);
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);

  g_unlink (path);
  if (socket == NULL || !g_socket_bind (socket, address, FALSE, error) || !g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

/* The engine's own command line for `xml` (hangard_qemu_build_argv, as
 * hangard-vm.c calls it) without the -S the engine adds to pin vCPUs first:
 * bare QEMU starts the guest at once. */
static GStrv
bare_qemu_argv (Bench      *bench,
                const char *xml)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardDomain) domain = hangard_domain_parse (xml, -1, &error);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *console_log = g_build_filename (bench->tmpdir, "bare-console.log", NULL);
  g_autofree char *pid_file = g_build_filename (bench->tmpdir, "bare-qemu.pid", NULL);
  g_auto(GStrv) argv = NULL;
  HangardQemuRun run = {
    .qemu_binary = bench->qemu_binary,
    .accel = bench->accel,
    .qmp_fd = QMP_CHILD_FD,
    .serial_fd = SERIAL_CHILD_FD,
    .serial_log_path = console_log,
    .pid_file = pid_file,
  };

  if (domain == NULL)
    fail ("cannot parse the test guest: %s", error->message);
  argv = hangard_qemu_build_argv (domain, &run, &error);
  if (argv == NULL)
    fail ("cannot build the QEMU command line: %s", error->message);
  g_strv_builder_addv (builder, (const char **) argv);
  g_strv_builder_add (builder, "-no-shutdown");
  return g_strv_builder_end (builder);
}

/* Spawns QEMU on listening sockets made here, as the engine does, so the
 * clock starts before QEMU exists and no connect() polling is measured. */
static gboolean
bare_qemu_spawn (Bench       *bench,
                 GStrv        argv,
                 GPid        *pid,
                 GError     **error)
{
  g_autofree char *qmp_path = g_build_filename (bench->tmpdir, "bare-qmp.sock", NULL);
  g_autofree char *serial_path = g_build_filename (bench->tmpdir, "bare-serial.sock", NULL);
  g_autofree char *log_path = g_build_filename (bench->tmpdir, "bare-qemu.log", NULL);
  g_autoptr(GSocket) qmp = listen_unix (qmp_path, error);
  g_autoptr(GSocket) serial = qmp != NULL ? listen_unix (serial_path, error) : NULL;
  int source_fds[2], target_fds[2] = { QMP_CHILD_FD, SERIAL_CHILD_FD };
  int log_fd;
  gboolean spawned;

  if (serial == NULL)
    return FALSE;
  source_fds[0] = g_socket_get_fd (qmp);
  source_fds[1] = g_socket_get_fd (serial);
  log_fd = open (log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  spawned = g_spawn_async_with_pipes_and_fds (NULL, (const char * const *) argv, NULL,
                                              G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                                              NULL, NULL, -1, log_fd, log_fd,
                                              source_fds, target_fds, G_N_ELEMENTS (source_fds),
                                              pid, NULL, NULL, NULL, error);
  if (log_fd >= 0)
    close (log_fd);
  return spawned;
}

static gboolean
bare_qemu_wait (Bench       *bench,
                gint64       start,
                double      *greeting_ms,
                double      *running_ms,
                GError     **error)
{
  g_autofree char *qmp_path = g_build_filename (bench->tmpdir, "bare-qmp.sock", NULL);
  g_auto(QmpClient) client = { NULL, NULL };
  g_autoptr(JsonNode) greeting = NULL;
  g_autoptr(JsonNode) capabilities = NULL;
  gint64 deadline = start + QMP_TIMEOUT_S * G_USEC_PER_SEC;
  gboolean running = FALSE;

  if (!qmp_connect (&client, qmp_path, error) ||
      (greeting = qmp_read (&client, "QMP", error)) == NULL)
    return FALSE;
  *greeting_ms = ms_since (start);

  if ((capabilities = qmp_execute (&client, "qmp_capabilities", error)) == NULL)
    return FALSE;
  while (!running)
    {
      if (!qmp_says_running (&client, &running, error))
        return FALSE;
      if (!running && g_get_monotonic_time () > deadline)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "QEMU never said it runs");
          return FALSE;
        }
    }
  *running_ms = ms_since (start);
  return TRUE;
}

static void
bare_qemu_start_once (Bench  *bench,
                      GStrv   argv,
                      double *greeting_ms,
                      double *running_ms)
{
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  gboolean ok;

  if (!bare_qemu_spawn (bench, argv, &bench->bare_pid, &error))
    fail ("cannot start bare QEMU: %s", error->message);
  ok = bare_qemu_wait (bench, start, greeting_ms, running_ms, &error);
  stop_child (bench->bare_pid, SIGKILL);
  bench->bare_pid = 0;
  if (!ok)
    {
      g_autofree char *log_path = g_build_filename (bench->tmpdir, "bare-qemu.log", NULL);
      g_autofree char *log = file_tail (log_path, 2000);

      fail ("bare QEMU: %s; it said:\n%s", error->message, log);
    }
}

/* ---- 1. start latency: the table ------------------------------------------ */

static void
print_start_row (const char *label,
                 GArray     *hangard,
                 GArray     *bare)
{
  g_print ("  %-18s hangard  median %5.0f ms  min %5.0f ms | bare qemu  median %5.0f ms  min %5.0f ms | ratio %.2f\n",
           label, samples_median (hangard), samples_min (hangard),
           samples_median (bare), samples_min (bare),
           ratio (samples_median (hangard), samples_median (bare)));
}

static void
undefine (HangarMachine *machine)
{
  g_autoptr(GError) error = NULL;

  if (!hangar_machine_call_undefine_sync (machine, g_variant_new ("a{sv}", NULL), NULL, &error))
    fail ("Undefine failed: %s", error->message);
}

static void
bench_start_latency (Bench *bench)
{
  g_autofree char *xml = hangar_test_guest_xml ("bench-start", NULL);
  g_autoptr(HangarMachine) machine = hangar_test_env_define (bench->env, xml);
  g_auto(GStrv) bare_argv = bare_qemu_argv (bench, xml);
  g_autoptr(GArray) hangard = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) greeting = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) running = g_array_new (FALSE, FALSE, sizeof (double));
  double greeting_ms, running_ms;

  g_print ("\n1. Start latency, accelerator %s, %d runs each after one warm-up, interleaved\n",
           bench->accel, opt_runs);
  g_print ("   hangard: Machine.Start() until its reply (QEMU runs the guest)\n"
           "   bare qemu: the engine's own QEMU command line without -S, from spawn until\n"
           "   the QMP greeting / until qmp_capabilities + query-status says running\n");

  /* Warm-up, not counted: the first exec of QEMU and reads of the guest's
   * kernel and initramfs come from disk. */
  hangard_start_once (machine);
  bare_qemu_start_once (bench, bare_argv, &greeting_ms, &running_ms);

  for (int i = 0; i < opt_runs; i++)
    {
      samples_add (hangard, hangard_start_once (machine));
      bare_qemu_start_once (bench, bare_argv, &greeting_ms, &running_ms);
      samples_add (greeting, greeting_ms);
      samples_add (running, running_ms);
    }

  print_start_row ("start-to-greeting", hangard, greeting);
  print_start_row ("start-to-running", hangard, running);

  if (opt_verbose)
    {
      g_autofree char *engine_line = hangard_command_line (machine);
      g_autofree char *bare_line = g_strjoinv (" ", bare_argv);

      g_print ("   hangard ran:   %s\n   bare qemu ran: %s\n", engine_line, bare_line);
    }
  undefine (machine);
}

/* ---- 2. definitions -------------------------------------------------------- */

static GPtrArray *
machine_xmls (guint n)
{
  GPtrArray *xmls = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = machine_name (i);
      g_ptr_array_add (xmls, small_machine_xml (name));
    }
  return xmls;
}

static void
hangard_define (Bench      *bench,
                const char *xml)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  if (!hangar_manager_call_define_machine_sync (bench->env->manager, xml, &path, NULL, &error))
    fail ("DefineMachine failed: %s", error->message);
}

static double
hangard_define_all (Bench     *bench,
                    GPtrArray *xmls)
{
  gint64 start = g_get_monotonic_time ();
  double ms;

  for (guint i = 0; i < xmls->len; i++)
    hangard_define (bench, g_ptr_array_index (xmls, i));
  ms = ms_since (start);

  /* The harness's own object manager heard every InterfacesAdded. */
  hangar_test_settle ();
  return ms;
}

static guint
count_machines (GDBusObjectManager *manager)
{
  GList *objects = g_dbus_object_manager_get_objects (manager);
  guint n = 0;

  for (GList *l = objects; l != NULL; l = l->next)
    {
      g_autoptr(GDBusInterface) machine = g_dbus_object_get_interface (l->data, MACHINE_INTERFACE);
      if (machine != NULL)
        n++;
    }
  g_list_free_full (objects, g_object_unref);
  return n;
}

static GDBusObjectManager *
new_object_manager (GDBusConnection *connection)
{
  g_autoptr(GError) error = NULL;
  GDBusObjectManager *manager =
    hangar_object_manager_client_new_sync (connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
                                           HANGAR_BUS_NAME, HANGAR_ROOT_PATH, NULL, &error);

  if (manager == NULL)
    fail ("cannot create an object manager: %s", error->message);
  return manager;
}

/* A fresh GDBusObjectManagerClient on the existing connection. */
static double
list_with_object_manager (Bench *bench,
                          guint *n_machines)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GDBusObjectManager) manager = new_object_manager (bench->env->connection);
  double ms = ms_since (start);

  *n_machines = count_machines (manager);
  return ms;
}

/* What a new client pays: connect and authenticate to the bus, then list. */
static double
list_with_new_connection (Bench *bench,
                          guint *n_machines)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GDBusObjectManager) manager = NULL;
  gint64 start = g_get_monotonic_time ();
  double ms;

  connection = g_dbus_connection_new_for_address_sync (bench->env->bus_address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  if (connection == NULL)
    fail ("cannot connect to the bus: %s", error->message);
  manager = new_object_manager (connection);
  ms = ms_since (start);

  *n_machines = count_machines (manager);
  g_clear_object (&manager);
  g_dbus_connection_close_sync (connection, NULL, NULL);
  return ms;
}

typedef double (*ListFunc) (Bench *bench,
                            guint *n_machines);

/* Listing is short and noisy: the median of a few runs. */
static double
list_median (ListFunc  list,
             Bench    *bench,
             guint    *n_machines)
{
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (double));

  for (int i = 0; i < LIST_RUNS; i++)
    samples_add (samples, list (bench, n_machines));
  return samples_median (samples);
}

static double
lookup_all (Bench *bench,
            guint  n)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  gint64 start;

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (names, machine_name (i));

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = NULL;

      if (!hangar_manager_call_lookup_machine_sync (bench->env->manager, g_ptr_array_index (names, i),
                                                    &path, NULL, &error))
        fail ("LookupMachine failed: %s", error->message);
    }
  return ms_since (start);
}

static void
hangard_warm_up (Bench *bench)
{
  g_autofree char *xml = small_machine_xml ("bench-warmup");
  g_autoptr(HangarMachine) machine = hangar_test_env_define (bench->env, xml);

  undefine (machine);
  hangar_test_settle ();
}

static void
print_total_row (const char *label,
                 double      total_ms,
                 guint       n)
{
  g_print ("  %-18s hangard  total %7.0f ms  per-op %6.3f ms\n", label, total_ms, total_ms / n);
}

static void
print_list_row (const char *label,
                double      ms,
                guint       n_machines)
{
  g_print ("  %-18s hangard  %7.1f ms  (%u machines)\n", label, ms, n_machines);
}

static DefineResults
bench_definitions (Bench *bench)
{
  g_autoptr(GPtrArray) xmls = machine_xmls (opt_machines);
  g_autofree char *define_label = g_strdup_printf ("define x%d", opt_machines);
  g_autofree char *lookup_label = g_strdup_printf ("lookup x%d", opt_machines);
  DefineResults results;
  guint n_om, n_new;
  double om_ms;

  g_print ("\n2. %d definitions (DefineMachine, one at a time, on one connection)\n", opt_machines);
  hangard_warm_up (bench);

  results.define_ms = hangard_define_all (bench, xmls);
  om_ms = list_median (list_with_object_manager, bench, &n_om);
  results.list_ms = list_median (list_with_new_connection, bench, &n_new);
  results.lookup_ms = lookup_all (bench, opt_machines);

  print_total_row (define_label, results.define_ms, opt_machines);
  print_list_row ("list (new OM)", om_ms, n_om);
  print_list_row ("list (new conn)", results.list_ms, n_new);
  print_total_row (lookup_label, results.lookup_ms, opt_machines);
  g_print ("   list (new OM): hangar_object_manager_client_new_sync on the open connection;\n"
           "   list (new conn): a new bus connection, then the same; both the median of %d runs\n",
           LIST_RUNS);
  return results;
}

/* ---- 3. libvirt ------------------------------------------------------------ */

typedef struct {
  char  *dir;
  char  *virsh;
  char  *libvirtd;
  char  *socket;
  char  *uri;
  GStrv  envp;
  GPid   daemon_pid;
} Libvirt;

static void
libvirt_free (Libvirt *lv)
{
  if (lv->daemon_pid != 0)
    stop_child (lv->daemon_pid, SIGTERM);
  if (lv->dir != NULL)
    {
      kill_processes_under (lv->dir);
      if (g_getenv ("HANGAR_TEST_KEEP") == NULL)
        remove_tree (lv->dir);
    }
  g_free (lv->dir);
  g_free (lv->virsh);
  g_free (lv->libvirtd);
  g_free (lv->socket);
  g_free (lv->uri);
  g_strfreev (lv->envp);
  g_free (lv);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Libvirt, libvirt_free)

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

static gboolean
run_virsh (Libvirt     *lv,
           const char  *commands,
           char       **output,
           double      *ms,
           GError     **error)
{
  const char *argv[] = { lv->virsh, "-q", "-c", lv->uri, commands, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  gint64 start = g_get_monotonic_time ();
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, lv->envp, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, &err, &status, error))
    return FALSE;
  if (ms != NULL)
    *ms = ms_since (start);
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "virsh failed: %s", g_strstrip (err));
      return FALSE;
    }
  if (output != NULL)
    *output = g_steal_pointer (&out);
  return TRUE;
}

static gboolean
libvirtd_failed (Libvirt     *lv,
                 const char  *what,
                 GError     **error)
{
  g_autofree char *log_path = g_build_filename (lv->dir, "libvirtd.log", NULL);
  g_autofree char *log = file_tail (log_path, 2000);

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s; it said:\n%s", what, log);
  return FALSE;
}

static gboolean
libvirt_wait_ready (Libvirt  *lv,
                    GError  **error)
{
  gint64 deadline = g_get_monotonic_time () + LIBVIRTD_TIMEOUT_S * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      if (waitpid (lv->daemon_pid, NULL, WNOHANG) == lv->daemon_pid)
        {
          lv->daemon_pid = 0;
          return libvirtd_failed (lv, "libvirtd exited at once", error);
        }
      if (g_file_test (lv->socket, G_FILE_TEST_EXISTS) && run_virsh (lv, "uri", NULL, NULL, NULL))
        return TRUE;
      g_usleep (50 * 1000);
    }
  return libvirtd_failed (lv, "libvirtd did not answer in time", error);
}

/* libvirtd run as a normal user is the session instance; with the XDG
 * directories moved, its socket is $XDG_RUNTIME_DIR/libvirt/libvirt-sock.
 * virsh is pointed at that socket so it never spawns a daemon of its own.
 * --timeout makes it go away by itself should this program die. */
static gboolean
libvirt_start (Libvirt  *lv,
               GError  **error)
{
  g_autofree char *runtime = g_build_filename (lv->dir, "runtime", NULL);
  g_autofree char *log_path = g_build_filename (lv->dir, "libvirtd.log", NULL);
  g_autofree char *escaped = NULL;
  const char *argv[] = { lv->libvirtd, "--timeout", "600", NULL };
  int log_fd;
  gboolean spawned;

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

static gboolean
write_definitions (Libvirt    *lv,
                   GPtrArray  *xmls,
                   GString    *commands,
                   GError    **error)
{
  g_autofree char *dir = g_build_filename (lv->dir, "definitions", NULL);

  g_mkdir_with_parents (dir, 0700);
  for (guint i = 0; i < xmls->len; i++)
    {
      g_autofree char *name = g_strdup_printf ("%04u.xml", i);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *quoted = g_shell_quote (path);

      if (!g_file_set_contents (path, g_ptr_array_index (xmls, i), -1, error))
        return FALSE;
      g_string_append_printf (commands, "define %s; ", quoted);
    }
  return TRUE;
}

static gboolean
virsh_warm_up (Libvirt  *lv,
               GError  **error)
{
  g_autofree char *xml = small_machine_xml ("bench-warmup");
  g_autofree char *path = g_build_filename (lv->dir, "warmup.xml", NULL);
  g_autofree char *quoted = g_shell_quote (path);
  g_autofree char *commands = g_strdup_printf ("define %s; undefine bench-warmup", quoted);

  /* The first define makes libvirtd probe QEMU's capabilities. */
  return g_file_set_contents (path, xml, -1, error) && run_virsh (lv, commands, NULL, NULL, error);
}

static gboolean
virsh_connect_cost (Libvirt  *lv,
                    double   *min_ms,
                    GError  **error)
{
  *min_ms = G_MAXDOUBLE;
  for (int i = 0; i < VIRSH_CONNECT_RUNS; i++)
    {
      double ms;

      if (!run_virsh (lv, "uri", NULL, &ms, error))
        return FALSE;
      *min_ms = MIN (*min_ms, ms);
    }
  return TRUE;
}

typedef struct {
  double define_ms;
  double list_ms;
  double lookup_ms;
  double connect_ms;
  guint  listed;
  guint  looked_up;
} VirshResults;

static gboolean
virsh_list (Libvirt  *lv,
            double   *median_ms,
            guint    *listed,
            GError  **error)
{
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (double));

  for (int i = 0; i < LIST_RUNS; i++)
    {
      g_autofree char *listing = NULL;
      double ms;

      if (!run_virsh (lv, "list --all --name", &listing, &ms, error))
        return FALSE;
      samples_add (samples, ms);
      *listed = count_lines (listing);
    }
  *median_ms = samples_median (samples);
  return TRUE;
}

static gboolean
virsh_measure (Libvirt       *lv,
               VirshResults  *r,
               GError       **error)
{
  g_autoptr(GPtrArray) xmls = machine_xmls (opt_machines);
  g_autoptr(GString) defines = g_string_new (NULL);
  g_autoptr(GString) lookups = g_string_new (NULL);
  g_autofree char *uuids = NULL;

  for (int i = 0; i < opt_machines; i++)
    {
      g_autofree char *name = machine_name (i);
      g_string_append_printf (lookups, "domuuid %s; ", name);
    }

  if (!write_definitions (lv, xmls, defines, error) ||
      !virsh_warm_up (lv, error) ||
      !virsh_connect_cost (lv, &r->connect_ms, error) ||
      !run_virsh (lv, defines->str, NULL, &r->define_ms, error) ||
      !virsh_list (lv, &r->list_ms, &r->listed, error) ||
      !run_virsh (lv, lookups->str, &uuids, &r->lookup_ms, error))
    return FALSE;
  r->looked_up = count_lines (uuids);
  return TRUE;
}

/* The ratio against virsh's time minus what starting virsh and connecting
 * cost alone, when that leaves something to compare with. */
static char *
ratio_without_start_up (double hangard_ms,
                        double virsh_ms,
                        double virsh_start_ms)
{
  if (virsh_ms - virsh_start_ms <= 0)
    return g_strdup ("n/a");
  return g_strdup_printf ("%.2f", ratio (hangard_ms, virsh_ms - virsh_start_ms));
}

static void
print_compare_row (const char *label,
                   double      hangard_ms,
                   double      virsh_ms,
                   double      virsh_start_ms,
                   guint       n)
{
  g_autofree char *net = ratio_without_start_up (hangard_ms, virsh_ms, virsh_start_ms);

  g_print ("  %-18s hangard  total %7.0f ms  per-op %6.3f ms | virsh  total %7.0f ms  per-op %6.3f ms"
           " | ratio %.2f (%s without virsh start-up)\n",
           label, hangard_ms, hangard_ms / n, virsh_ms, virsh_ms / n, ratio (hangard_ms, virsh_ms), net);
}

static void
print_virsh_results (const DefineResults *hangard,
                     const VirshResults  *r)
{
  g_autofree char *define_label = g_strdup_printf ("define x%d", opt_machines);
  g_autofree char *lookup_label = g_strdup_printf ("lookup x%d", opt_machines);
  g_autofree char *list_net = ratio_without_start_up (hangard->list_ms, r->list_ms, r->connect_ms);

  print_compare_row (define_label, hangard->define_ms, r->define_ms, r->connect_ms, opt_machines);
  g_print ("  %-18s hangard  %7.1f ms | virsh list --all --name  %7.1f ms (%u machines) | ratio %.2f"
           " (%s without virsh start-up)\n",
           "list all", hangard->list_ms, r->list_ms, r->listed, ratio (hangard->list_ms, r->list_ms), list_net);
  print_compare_row (lookup_label, hangard->lookup_ms, r->lookup_ms, r->connect_ms, opt_machines);
  g_print ("   each virsh figure is one virsh process and connection running all its commands;\n"
           "   virsh start-up + connect alone (virsh uri): %.1f ms; lists are medians of %d runs;\n"
           "   hangard: list = new connection + OM, lookup = LookupMachine; virsh: domuuid NAME\n",
           r->connect_ms, LIST_RUNS);
  if (r->looked_up != (guint) opt_machines)
    g_print ("   note: virsh answered %u of %d lookups\n", r->looked_up, opt_machines);
}

static void
bench_libvirt (Bench               *bench,
               const DefineResults *hangard)
{
  g_autoptr(Libvirt) lv = g_new0 (Libvirt, 1);
  g_autoptr(GError) error = NULL;
  VirshResults results = { 0 };

  g_print ("\n3. The same against libvirt (virsh, private libvirtd session)\n");
  lv->virsh = g_find_program_in_path ("virsh");
  lv->libvirtd = find_daemon ("libvirtd");
  if (lv->virsh == NULL || lv->libvirtd == NULL)
    {
      g_print ("  virsh/libvirtd not installed: skipped (apt install libvirt-daemon-system libvirt-clients to compare)\n");
      return;
    }
  if (geteuid () == 0)
    {
      g_print ("  running as root: skipped (libvirtd as root is the system instance, not a private\n"
               "  session; run engine-bench as a normal user to compare)\n");
      return;
    }

  lv->dir = g_build_filename (bench->tmpdir, "libvirt", NULL);
  if (!libvirt_start (lv, &error) || !virsh_measure (lv, &results, &error))
    {
      g_print ("  libvirt comparison failed: %s\n", error->message);
      return;
    }
  print_virsh_results (hangard, &results);
}

/* ---- main ------------------------------------------------------------------ */

static gboolean
parse_options (int    *argc,
               char ***argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— time hangard against bare QEMU and libvirt");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, options, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("engine-bench: %s\n", error->message);
      return FALSE;
    }
  if (opt_runs < 1 || opt_machines < 1)
    {
      g_printerr ("engine-bench: --runs and --machines must be at least 1\n");
      return FALSE;
    }
  return TRUE;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  DefineResults results;
  Bench bench = { 0 };
  gint64 start = g_get_monotonic_time ();

  if (!parse_options (&argc, &argv))
    return 2;
  default_env_from_build_dir ("HANGARD", "../../engine/hangard");
  default_env_from_build_dir ("HANGAR_TEST_GUEST_DIR", "..");
  if (!check_inputs ())
    return 1;

  bench.tmpdir = g_dir_make_tmp ("engine-bench-XXXXXX", &error);
  if (bench.tmpdir == NULL)
    fail ("cannot make a temporary directory: %s", error->message);
  current_bench = &bench;
  bench.env = hangar_test_env_new (FALSE);
  print_host (&bench);

  bench_start_latency (&bench);
  results = bench_definitions (&bench);
  bench_libvirt (&bench, &results);

  current_bench = NULL;
  bench_cleanup (&bench);
  g_print ("\nengine-bench: done in %.1f s\n", ms_since (start) / 1000.0);
  return 0;
}
