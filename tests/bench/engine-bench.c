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
#include <unistd.h>

#include "bench-common.h"
#include "hangard-domain.h"
#include "hangard-qemu-argv.h"

#define MACHINE_INTERFACE    "io.github.hangarvm.Hangar1.Machine"

/* Same numbers the engine gives its QEMU (hangard-vm.c). */
#define QMP_CHILD_FD         3
#define SERIAL_CHILD_FD      4

#define QMP_TIMEOUT_S        60
#define STATE_TIMEOUT_S      60
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

/* The hangard side of sections 2 and 3, in milliseconds. */
typedef struct {
  double define_ms;
  double list_ms;               /* new connection + object manager */
  double lookup_ms;
} DefineResults;

/* ---- small helpers ------------------------------------------------------- */

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

/* Ends the engine, its bus and every QEMU of ours; removes the temporary
 * tree (kept with HANGAR_TEST_KEEP=1, as the tests do). */
static void
bench_cleanup (gpointer data)
{
  Bench *bench = data;

  if (bench->bare_pid != 0)
    bench_stop_child (bench->bare_pid, SIGKILL);
  bench->bare_pid = 0;
  g_clear_pointer (&bench->env, hangar_test_env_free);
  if (bench->tmpdir != NULL)
    bench_remove_tmpdir (bench->tmpdir);
  g_clear_pointer (&bench->tmpdir, g_free);
  g_clear_pointer (&bench->accel, g_free);
  g_clear_pointer (&bench->qemu_binary, g_free);
}

static void
print_host (Bench *bench)
{
  g_autoptr(GVariant) info = bench_print_host (bench->env);

  if (!g_variant_lookup (info, "qemu-binary", "s", &bench->qemu_binary) || *bench->qemu_binary == '\0')
    bench_fail ("hangard found no QEMU binary");
  bench->accel = g_strdup (hangar_manager_get_accelerator (bench->env->manager));
}

/* ---- 1. start latency: hangard ------------------------------------------ */

static void
hangard_force_off (HangarMachine *machine)
{
  g_autoptr(GError) error = NULL;

  if (!hangar_machine_call_force_off_sync (machine, NULL, &error))
    bench_fail ("ForceOff failed: %s", error->message);
  if (!hangar_test_wait_for_state (machine, "shutoff", STATE_TIMEOUT_S))
    bench_fail ("the machine is not shut off %d s after ForceOff", STATE_TIMEOUT_S);
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
    bench_fail ("Start failed: %s", error->message);
  ms = bench_ms_since (start);

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
    bench_fail ("cannot parse the test guest: %s", error->message);
  argv = hangard_qemu_build_argv (domain, &run, &error);
  if (argv == NULL)
    bench_fail ("cannot build the QEMU command line: %s", error->message);
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
  *greeting_ms = bench_ms_since (start);

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
  *running_ms = bench_ms_since (start);
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
    bench_fail ("cannot start bare QEMU: %s", error->message);
  ok = bare_qemu_wait (bench, start, greeting_ms, running_ms, &error);
  bench_stop_child (bench->bare_pid, SIGKILL);
  bench->bare_pid = 0;
  if (!ok)
    {
      g_autofree char *log_path = g_build_filename (bench->tmpdir, "bare-qemu.log", NULL);
      g_autofree char *log = bench_file_tail (log_path, 2000);

      bench_fail ("bare QEMU: %s; it said:\n%s", error->message, log);
    }
}

/* ---- 1. start latency: the table ------------------------------------------ */

static void
print_start_row (const char *label,
                 GArray     *hangard,
                 GArray     *bare)
{
  g_print ("  %-18s hangard  median %5.0f ms  min %5.0f ms | bare qemu  median %5.0f ms  min %5.0f ms | ratio %.2f\n",
           label, bench_samples_median (hangard), bench_samples_min (hangard),
           bench_samples_median (bare), bench_samples_min (bare),
           bench_ratio (bench_samples_median (hangard), bench_samples_median (bare)));
}

static void
undefine (HangarMachine *machine)
{
  g_autoptr(GError) error = NULL;

  if (!hangar_machine_call_undefine_sync (machine, g_variant_new ("a{sv}", NULL), NULL, &error))
    bench_fail ("Undefine failed: %s", error->message);
}

static void
bench_start_latency (Bench *bench)
{
  g_autofree char *xml = hangar_test_guest_xml ("bench-start", NULL);
  g_autoptr(HangarMachine) machine = hangar_test_env_define (bench->env, xml);
  g_auto(GStrv) bare_argv = bare_qemu_argv (bench, xml);
  g_autoptr(GArray) hangard = bench_samples_new ();
  g_autoptr(GArray) greeting = bench_samples_new ();
  g_autoptr(GArray) running = bench_samples_new ();
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
      bench_samples_add (hangard, hangard_start_once (machine));
      bare_qemu_start_once (bench, bare_argv, &greeting_ms, &running_ms);
      bench_samples_add (greeting, greeting_ms);
      bench_samples_add (running, running_ms);
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
    bench_fail ("DefineMachine failed: %s", error->message);
}

static double
hangard_define_all (Bench     *bench,
                    GPtrArray *xmls)
{
  gint64 start = g_get_monotonic_time ();
  double ms;

  for (guint i = 0; i < xmls->len; i++)
    hangard_define (bench, g_ptr_array_index (xmls, i));
  ms = bench_ms_since (start);

  /* The harness's own object manager heard every InterfacesAdded. */
  hangar_test_settle ();
  return ms;
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
        bench_fail ("LookupMachine failed: %s", error->message);
    }
  return bench_ms_since (start);
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
  om_ms = bench_list_median (bench_list_with_object_manager, bench->env, MACHINE_INTERFACE, LIST_RUNS, &n_om);
  results.list_ms = bench_list_median (bench_list_with_new_connection, bench->env, MACHINE_INTERFACE,
                                       LIST_RUNS, &n_new);
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

static gboolean
write_definitions (BenchLibvirt    *lv,
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
virsh_warm_up (BenchLibvirt  *lv,
               GError  **error)
{
  g_autofree char *xml = small_machine_xml ("bench-warmup");
  g_autofree char *path = g_build_filename (lv->dir, "warmup.xml", NULL);
  g_autofree char *quoted = g_shell_quote (path);
  g_autofree char *commands = g_strdup_printf ("define %s; undefine bench-warmup", quoted);

  /* The first define makes libvirtd probe QEMU's capabilities. */
  return g_file_set_contents (path, xml, -1, error) && bench_virsh (lv, commands, NULL, NULL, error);
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
virsh_list (BenchLibvirt  *lv,
            double   *median_ms,
            guint    *listed,
            GError  **error)
{
  g_autoptr(GArray) samples = bench_samples_new ();

  for (int i = 0; i < LIST_RUNS; i++)
    {
      g_autofree char *listing = NULL;
      double ms;

      if (!bench_virsh (lv, "list --all --name", &listing, &ms, error))
        return FALSE;
      bench_samples_add (samples, ms);
      *listed = bench_count_lines (listing);
    }
  *median_ms = bench_samples_median (samples);
  return TRUE;
}

static gboolean
virsh_measure (BenchLibvirt       *lv,
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
      !bench_virsh_connect_cost (lv, VIRSH_CONNECT_RUNS, &r->connect_ms, error) ||
      !bench_virsh (lv, defines->str, NULL, &r->define_ms, error) ||
      !virsh_list (lv, &r->list_ms, &r->listed, error) ||
      !bench_virsh (lv, lookups->str, &uuids, &r->lookup_ms, error))
    return FALSE;
  r->looked_up = bench_count_lines (uuids);
  return TRUE;
}

static void
print_compare_row (const char *label,
                   double      hangard_ms,
                   double      virsh_ms,
                   double      virsh_start_ms,
                   guint       n)
{
  g_autofree char *net = bench_ratio_without_start_up (hangard_ms, virsh_ms, virsh_start_ms);

  g_print ("  %-18s hangard  total %7.0f ms  per-op %6.3f ms | virsh  total %7.0f ms  per-op %6.3f ms"
           " | ratio %#.3g (%s without virsh start-up)\n",
           label, hangard_ms, hangard_ms / n, virsh_ms, virsh_ms / n, bench_ratio (hangard_ms, virsh_ms), net);
}

static void
print_virsh_results (const DefineResults *hangard,
                     const VirshResults  *r)
{
  g_autofree char *define_label = g_strdup_printf ("define x%d", opt_machines);
  g_autofree char *lookup_label = g_strdup_printf ("lookup x%d", opt_machines);
  g_autofree char *list_net = bench_ratio_without_start_up (hangard->list_ms, r->list_ms, r->connect_ms);

  print_compare_row (define_label, hangard->define_ms, r->define_ms, r->connect_ms, opt_machines);
  g_print ("  %-18s hangard  %7.1f ms | virsh list --all --name  %7.1f ms (%u machines) | ratio %#.3g"
           " (%s without virsh start-up)\n",
           "list all", hangard->list_ms, r->list_ms, r->listed, bench_ratio (hangard->list_ms, r->list_ms), list_net);
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
  g_autoptr(BenchLibvirt) lv = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (bench->tmpdir, "libvirt", NULL);
  VirshResults results = { 0 };

  g_print ("\n3. The same against libvirt (virsh, private libvirtd session)\n");
  lv = bench_libvirt_find ();
  if (lv == NULL)
    return;
  if (!bench_libvirt_start (lv, dir, &error) || !virsh_measure (lv, &results, &error))
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

int
main (int    argc,
      char **argv)
{
  DefineResults results;
  Bench bench = { 0 };
  gint64 start = g_get_monotonic_time ();

  g_set_prgname ("engine-bench");
  if (!parse_options (&argc, &argv))
    return 2;
  if (!bench_find_inputs (TRUE))
    return 1;

  bench.tmpdir = bench_make_tmpdir ();
  bench_set_cleanup (bench_cleanup, &bench);
  bench.env = hangar_test_env_new (FALSE);
  print_host (&bench);

  bench_start_latency (&bench);
  results = bench_definitions (&bench);
  bench_libvirt (&bench, &results);

  bench_set_cleanup (NULL, NULL);
  bench_cleanup (&bench);
  g_print ("\nengine-bench: done in %.1f s\n", bench_ms_since (start) / 1000.0);
  return 0;
}
