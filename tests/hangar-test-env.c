/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-test"

#include "hangar-test-env.h"

#include "hangard-error.h"

#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#define ENGINE_START_TIMEOUT_S 20

static const char *
required_env (const char *name)
{
  const char *value = g_getenv (name);

  if (value == NULL)
    g_error ("%s is not set: run the tests with meson test", name);
  return value;
}

static char *
guest_file (const char *name)
{
  return g_build_filename (required_env ("HANGAR_TEST_GUEST_DIR"), name, NULL);
}

const char *
hangar_test_guest_kernel (void)
{
  static char *path;

  if (path == NULL)
    path = guest_file ("vmlinuz");
  return path;
}

const char *
hangar_test_guest_initrd (void)
{
  static char *path;

  if (path == NULL)
    path = guest_file ("initramfs.img");
  return path;
}

static char *
guest_xml_for (const char *name,
               const char *kernel_path,
               const char *initrd_path,
               const char *cmdline_extra)
{
  g_autofree char *escaped_name = g_markup_escape_text (name, -1);
  g_autofree char *kernel = g_markup_escape_text (kernel_path, -1);
  g_autofree char *initrd = g_markup_escape_text (initrd_path, -1);
  g_autofree char *extra = g_markup_escape_text (cmdline_extra ? cmdline_extra : "", -1);

  return g_strdup_printf (
    "<domain type='kvm'>\n"
    "  <name>%s</name>\n"
    "  <memory unit='MiB'>128</memory>\n"
    "  <vcpu>1</vcpu>\n"
    "  <os>\n"
    "    <type arch='x86_64' machine='pc'>hvm</type>\n"
    "    <kernel>%s</kernel>\n"
    "    <initrd>%s</initrd>\n"
    "    <cmdline>console=ttyS0 quiet panic=-1 %s</cmdline>\n"
    "  </os>\n"
    "  <features><acpi/><apic/></features>\n"
    "  <devices>\n"
    "    <serial type='pty'><target port='0'/></serial>\n"
    "  </devices>\n"
    "</domain>\n",
    escaped_name, kernel, initrd, extra);
}

char *
hangar_test_guest_xml (const char *name,
                       const char *cmdline_extra)
{
  return guest_xml_for (name, hangar_test_guest_kernel (), hangar_test_guest_initrd (), cmdline_extra);
}

static char *
copy_for_engine (HangarTestEnv *env,
                 const char    *source)
{
  g_autofree char *base = g_path_get_basename (source);
  g_autofree char *target = g_build_filename (env->tmpdir, base, NULL);
  g_autofree char *contents = NULL;
  gsize length;

  if (!g_file_test (target, G_FILE_TEST_EXISTS))
    {
      g_assert_true (g_file_get_contents (source, &contents, &length, NULL));
      g_assert_true (g_file_set_contents_full (target, contents, length, G_FILE_SET_CONTENTS_NONE, 0644, NULL));
    }
  return g_steal_pointer (&target);
}

char *
hangar_test_env_guest_xml (HangarTestEnv *env,
                           const char    *name,
                           const char    *cmdline_extra)
{
  g_autofree char *kernel = copy_for_engine (env, hangar_test_guest_kernel ());
  g_autofree char *initrd = copy_for_engine (env, hangar_test_guest_initrd ());

  return guest_xml_for (name, kernel, initrd, cmdline_extra);
}

/* ---- Processes ------------------------------------------------------------ */

static char *
start_bus (HangarTestEnv *env)
{
  g_autofree char *config = g_build_filename (env->tmpdir, "bus.conf", NULL);
  g_autofree char *socket_dir = g_build_filename (env->tmpdir, "bus", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "dbus-daemon", NULL, "--nofork", "--print-address=1", NULL };
  g_autofree char *config_arg = NULL;
  int stdout_fd = -1;
  char buffer[512] = { 0 };
  gssize n;

  /* 0711: an engine running as another user must reach the socket. */
  g_mkdir (socket_dir, env->engine_as_user ? 0711 : 0700);
  contents = g_strdup_printf (
    "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
    " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
    "<busconfig>\n"
    "  <type>session</type>\n"
    "  <listen>unix:dir=%s</listen>\n"
    "  <auth>EXTERNAL</auth>\n"
    "  <policy context='default'>\n"
    "    <allow send_destination='*' eavesdrop='true'/>\n"
    "    <allow eavesdrop='true'/>\n"
    "    <allow own='*'/>\n"
    "    <allow user='*'/>\n"
    "  </policy>\n"
    "</busconfig>\n", socket_dir);
  g_assert_true (g_file_set_contents (config, contents, -1, NULL));

  config_arg = g_strconcat ("--config-file=", config, NULL);
  argv[1] = config_arg;
  g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL,
                            NULL, NULL, &env->bus_pid, NULL, &stdout_fd, NULL, &error);
  g_assert_no_error (error);

  n = read (stdout_fd, buffer, sizeof buffer - 1);
  close (stdout_fd);
  g_assert_cmpint (n, >, 0);
  return g_strstrip (g_strdup (buffer));
}

static void
on_engine_appeared (GDBusConnection *connection,
                    const char      *name,
                    const char      *owner,
                    gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

static gboolean
flag_is_set (gpointer data)
{
  return *(gboolean *) data;
}

/* ---- Network namespace ---------------------------------------------------- */

static void
run_or_fail (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s %s failed: %s", argv[0], argv[1], err);
}

/* A system engine changes the host's network (bridges, nftables, dnsmasq):
 * in tests it gets a namespace of its own, so the real host is never
 * touched. Restarted engines join the same one. */
static void
create_netns (HangarTestEnv *env)
{
  g_autofree char *base = g_path_get_basename (env->tmpdir);
  const char *add[] = { "ip", "netns", "add", NULL, NULL };
  const char *lo_up[] = { "ip", "-n", NULL, "link", "set", "lo", "up", NULL };

  env->netns = g_strdup (base);
  add[3] = env->netns;
  lo_up[2] = env->netns;
  run_or_fail (add);
  run_or_fail (lo_up);
}

static void
kill_netns_processes (HangarTestEnv *env)
{
  const char *argv[] = { "ip", "netns", "pids", env->netns, NULL };
  g_autofree char *out = NULL;
  g_auto(GStrv) pids = NULL;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, &out, NULL, NULL, NULL);
  pids = g_strsplit (out ? out : "", "\n", -1);
  for (guint i = 0; pids[i] != NULL; i++)
    if (*pids[i] != '\0')
      kill ((pid_t) g_ascii_strtoll (pids[i], NULL, 10), SIGKILL);
}

static void
delete_netns (HangarTestEnv *env)
{
  const char *del[] = { "ip", "netns", "del", env->netns, NULL };

  if (env->netns != NULL)
    run_or_fail (del);
}

void
hangar_test_env_run_in_netns (HangarTestEnv      *env,
                              const char * const *argv)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) full = NULL;

  g_assert_nonnull (env->netns);
  g_strv_builder_add_many (builder, "ip", "netns", "exec", env->netns, NULL);
  g_strv_builder_addv (builder, (const char **) argv);
  full = g_strv_builder_end (builder);
  run_or_fail ((const char * const *) full);
}

/* Runs before exec in the engine's child. */
static void
become_engine_user (gpointer user_data)
{
  HangarTestEnv *env = user_data;

  if (setgroups (0, NULL) != 0 || setgid ((gid_t) env->engine_gid) != 0 ||
      setuid ((uid_t) env->engine_uid) != 0)
    _exit (97);
}

static void
enter_netns (gpointer user_data)
{
  const char *path = user_data;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0 || setns (fd, CLONE_NEWNET) != 0)
    _exit (98);
  close (fd);
}

void
hangar_test_env_start_engine (HangarTestEnv *env)
{
  g_autofree char *netns_path = env->netns ? g_build_filename ("/run/netns", env->netns, NULL) : NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *log_path = g_build_filename (env->tmpdir, "hangard.log", NULL);
  gboolean appeared = FALSE;
  guint watch;
  int log_fd;

  g_ptr_array_add (argv, (char *) required_env ("HANGARD"));
  g_ptr_array_add (argv, env->system_mode ? "--system" : "--session");
  g_ptr_array_add (argv, "--bus-address");
  g_ptr_array_add (argv, env->bus_address);
  g_ptr_array_add (argv, "--root");
  g_ptr_array_add (argv, env->root);
  g_ptr_array_add (argv, "--verbose");
  for (guint i = 0; env->engine_args != NULL && env->engine_args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) env->engine_args[i]);
  g_ptr_array_add (argv, NULL);

  log_fd = open (log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  g_spawn_async_with_pipes_and_fds (NULL, (const char * const *) argv->pdata, NULL,
                                    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                                    netns_path ? enter_netns : env->engine_as_user ? become_engine_user : NULL,
                                    netns_path ? (gpointer) netns_path : env,
                                    -1, log_fd, log_fd, NULL, NULL, 0,
                                    &env->engine_pid, NULL, NULL, NULL, &error);
  close (log_fd);
  g_assert_no_error (error);

  watch = g_bus_watch_name_on_connection (env->connection, "io.github.hangarvm.Hangar1",
                                          G_BUS_NAME_WATCHER_FLAGS_NONE,
                                          on_engine_appeared, NULL, &appeared, NULL);
  if (!hangar_test_wait_until (flag_is_set, &appeared, ENGINE_START_TIMEOUT_S))
    g_error ("hangard did not appear on the bus; see %s", log_path);
  g_bus_unwatch_name (watch);

  g_clear_object (&env->object_manager);
  g_clear_object (&env->manager);
  env->object_manager = hangar_object_manager_client_new_sync (env->connection,
                                                               G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
                                                               "io.github.hangarvm.Hangar1",
                                                               "/io/github/hangarvm/Hangar1", NULL, &error);
  g_assert_no_error (error);
  env->manager = hangar_manager_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                                "io.github.hangarvm.Hangar1",
                                                "/io/github/hangarvm/Hangar1", NULL, &error);
  g_assert_no_error (error);
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (env->manager), 120000);
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
      g_usleep (20 * 1000);
    }
  return FALSE;
}

void
hangar_test_env_kill_engine (HangarTestEnv *env,
                             int            signum)
{
  if (env->engine_pid == 0)
    return;
  kill (env->engine_pid, signum);
  if (!wait_for_exit (env->engine_pid, 10))
    {
      kill (env->engine_pid, SIGKILL);
      wait_for_exit (env->engine_pid, 10);
    }
  env->engine_pid = 0;
}

gboolean
hangar_test_env_engine_alive (HangarTestEnv *env)
{
  return env->engine_pid != 0 && waitpid (env->engine_pid, NULL, WNOHANG) == 0;
}

/* QEMUs are found by their command line naming a file under our tmpdir,
 * so a test never touches a QEMU that is not its own. */
GArray *
hangar_test_env_qemu_pids (HangarTestEnv *env)
{
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (proc && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *cmdline = NULL;
      gsize length = 0;
      GPid pid;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_strdup_printf ("/proc/%s/cmdline", name);
      if (!g_file_get_contents (path, &cmdline, &length, NULL) || length == 0)
        continue;
      if (!strstr (cmdline, "qemu-system"))
        continue;
      for (gsize i = 0; i < length; i++)
        if (cmdline[i] == '\0')
          cmdline[i] = ' ';
      if (strstr (cmdline, env->tmpdir) == NULL)
        {
          g_autofree char *cwd_link = g_strdup_printf ("/proc/%s/cwd", name);
          g_autofree char *cwd = g_file_read_link (cwd_link, NULL);

          if (cwd == NULL || !g_str_has_prefix (cwd, env->tmpdir))
            continue;
        }
      pid = (GPid) g_ascii_strtoll (name, NULL, 10);
      g_array_append_val (pids, pid);
    }
  return pids;
}

/* What a package install makes with systemd-sysusers. */
static void
ensure_qemu_user (void)
{
  const char *argv[] = { "useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                         "--shell", "/usr/sbin/nologin", "--user-group", "hangar-qemu", NULL };

  g_autofree char *err = NULL;

  if (getpwnam ("hangar-qemu") != NULL)
    return;
  /* Another test may be making it at the same moment: what counts is
   * that it exists afterwards. */
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, NULL, NULL);
  if (getpwnam ("hangar-qemu") == NULL)
    g_error ("cannot create the hangar-qemu user: %s", err ? err : "useradd did not run");
}

/* A test that crashes, or that meson kills at its timeout, never reaches
 * hangar_test_env_free: its bus, engine, QEMUs (in sessions of their own,
 * as guests outlive their engine) and dnsmasq would run on, and pile up
 * over a CI run. So each env has a watchdog, in a session of its own, that
 * waits on a pipe from the test: "done" when the env is freed, or the end
 * of the pipe when the test died, and then kills every process naming the
 * env's tree, deletes its network namespaces (the engine's, and the peers'
 * a test names after it, NAME-*) and its tree (unless HANGAR_TEST_KEEP). The tree and namespace go in its environment, not its
 * arguments, so that pkill does not find the watchdog itself. */
static const char watchdog_script[] =
  "IFS= read -r line\n"
  "[ \"$line\" = done ] && exit 0\n"
  "pkill -KILL -f -- \"$HANGAR_WATCH_DIR\"\n"
  "[ -z \"$HANGAR_WATCH_NETNS\" ] ||\n"
  "  for ns in $(ip netns list | cut -d' ' -f1); do\n"
  "    case $ns in \"$HANGAR_WATCH_NETNS\"|\"$HANGAR_WATCH_NETNS\"-*)\n"
  "      ip netns pids \"$ns\" | xargs -r kill -KILL\n"
  "      ip netns delete \"$ns\";;\n"
  "    esac\n"
  "  done\n"
  "[ -n \"$HANGAR_TEST_KEEP\" ] || rm -rf -- \"$HANGAR_WATCH_DIR\"\n";

static void
start_watchdog (HangarTestEnv *env)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_setenv (launcher, "HANGAR_WATCH_DIR", env->tmpdir, TRUE);
  if (env->netns != NULL)
    g_subprocess_launcher_setenv (launcher, "HANGAR_WATCH_NETNS", env->netns, TRUE);
  env->watchdog = g_subprocess_launcher_spawn (launcher, &error, "setsid", "sh", "-c", watchdog_script,
                                               "hangar-test-watchdog", NULL);
  if (env->watchdog == NULL)
    g_test_message ("no watchdog for %s: %s", env->tmpdir, error->message);
}

static void
stop_watchdog (HangarTestEnv *env)
{
  GOutputStream *pipe;

  if (env->watchdog == NULL)
    return;
  pipe = g_subprocess_get_stdin_pipe (env->watchdog);
  g_output_stream_write_all (pipe, "done\n", 5, NULL, NULL, NULL);
  g_output_stream_close (pipe, NULL, NULL);
  g_subprocess_wait (env->watchdog, NULL, NULL);
  g_clear_object (&env->watchdog);
}

HangarTestEnv *
hangar_test_env_new (gboolean system_mode)
{
  HangarTestEnv *env = g_new0 (HangarTestEnv, 1);
  g_autoptr(GError) error = NULL;

  /* Registers the engine's D-Bus error names, so remote errors come back
   * as HANGAR_ERROR codes. */
  (void) hangar_error_quark ();

  env->system_mode = system_mode;
  env->tmpdir = g_dir_make_tmp ("hangar-test-XXXXXX", &error);
  g_assert_no_error (error);
  env->root = g_build_filename (env->tmpdir, "root", NULL);
  env->bus_address = start_bus (env);
  if (system_mode)
    {
      if (getuid () != 0)
        g_error ("a system-mode engine test needs root (for its network namespace)");
      ensure_qemu_user ();
      create_netns (env);
    }
  start_watchdog (env);
  env->connection = g_dbus_connection_new_for_address_sync (env->bus_address,
                                                            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                            NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (env->connection, FALSE);
  hangar_test_env_start_engine (env);
  return env;
}

HangarTestEnv *
hangar_test_env_new_unprivileged (const char *user)
{
  HangarTestEnv *env = g_new0 (HangarTestEnv, 1);
  g_autoptr(GError) error = NULL;

  (void) hangar_error_quark ();
  env->tmpdir = g_dir_make_tmp ("hangar-test-XXXXXX", &error);
  g_assert_no_error (error);
  env->root = g_build_filename (env->tmpdir, "root", NULL);
  if (getuid () == 0)
    {
      struct passwd *pw = getpwnam (user);

      g_assert_nonnull (pw);
      env->engine_as_user = TRUE;
      env->engine_uid = pw->pw_uid;
      env->engine_gid = pw->pw_gid;
      g_assert_cmpint (chown (env->tmpdir, pw->pw_uid, pw->pw_gid), ==, 0);
    }
  env->bus_address = start_bus (env);
  start_watchdog (env);
  env->connection = g_dbus_connection_new_for_address_sync (env->bus_address,
                                                            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                            NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (env->connection, FALSE);
  hangar_test_env_start_engine (env);
  return env;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileEnumerator) children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                                                   G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  GFileInfo *info;

  while (children && (info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);

      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        remove_tree (child);
      else
        g_unlink (child);
      g_object_unref (info);
    }
  g_rmdir (path);
}

/* The cgroup directories a system engine made for QEMU `pid`
 * (".../hangar.slice/machine-UUID"), from /proc/PID/cgroup. */
static GPtrArray *
machine_cgroups (GPid pid)
{
  GPtrArray *dirs = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *path = g_strdup_printf ("/proc/%d/cgroup", (int) pid);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  const char *v2 = g_file_test ("/sys/fs/cgroup/cgroup.controllers", G_FILE_TEST_EXISTS)
                   ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return dirs;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (lines[i], ":", 3);
      g_auto(GStrv) controllers = NULL;

      if (g_strv_length (parts) != 3 || strstr (parts[2], "/hangar.slice/machine-") == NULL)
        continue;
      if (*parts[1] == '\0')
        g_ptr_array_add (dirs, g_build_filename (v2, parts[2], NULL));
      else
        {
          /* v1: mounted under the first controller's name (cpu,cpuacct → cpu,cpuacct or cpu). */
          controllers = g_strsplit (parts[1], ",", -1);
          g_ptr_array_add (dirs, g_build_filename ("/sys/fs/cgroup", parts[1], parts[2], NULL));
          g_ptr_array_add (dirs, g_build_filename ("/sys/fs/cgroup", controllers[0], parts[2], NULL));
        }
    }
  return dirs;
}

void
hangar_test_env_free (HangarTestEnv *env)
{
  g_autoptr(GArray) pids = NULL;

  stop_watchdog (env);
  hangar_test_env_kill_engine (env, SIGTERM);

  pids = hangar_test_env_qemu_pids (env);
  for (guint i = 0; i < pids->len; i++)
    {
      GPid pid = g_array_index (pids, GPid, i);
      g_autoptr(GPtrArray) cgroups = machine_cgroups (pid);

      kill (pid, SIGKILL);
      /* A system engine's QEMU had cgroups the gone engine cannot remove. */
      if (cgroups->len > 0)
        {
          for (guint tries = 0; tries < 100 && kill (pid, 0) == 0; tries++)
            g_usleep (50 * 1000);
          for (guint j = 0; j < cgroups->len; j++)
            g_rmdir (g_ptr_array_index (cgroups, j));
        }
    }

  g_clear_object (&env->manager);
  g_clear_object (&env->object_manager);
  g_clear_object (&env->connection);
  kill (env->bus_pid, SIGTERM);
  wait_for_exit (env->bus_pid, 5);
  /* dnsmasq daemonizes: it is found by the namespace it serves. */
  if (env->netns != NULL)
    {
      kill_netns_processes (env);
      delete_netns (env);
    }

  if (g_getenv ("HANGAR_TEST_KEEP") == NULL)
    remove_tree (env->tmpdir);
  else
    g_test_message ("kept %s", env->tmpdir);

  g_free (env->tmpdir);
  g_free (env->root);
  g_free (env->bus_address);
  g_free (env->netns);
  g_free (env);
}

/* ---- Machines ------------------------------------------------------------- */

static HangarMachine *
machine_proxy (HangarTestEnv *env,
               const char    *path)
{
  g_autoptr(GError) error = NULL;
  HangarMachine *machine = hangar_machine_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                                          "io.github.hangarvm.Hangar1", path, NULL, &error);

  g_assert_no_error (error);
  /* Start under TCG can take a while on a loaded 2-core machine. */
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (machine), 120000);
  return machine;
}

HangarMachine *
hangar_test_env_define (HangarTestEnv *env,
                        const char    *xml)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  hangar_manager_call_define_machine_sync (env->manager, xml, &path, NULL, &error);
  g_assert_no_error (error);
  return machine_proxy (env, path);
}

HangarMachine *
hangar_test_env_lookup (HangarTestEnv *env,
                        const char    *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  hangar_manager_call_lookup_machine_sync (env->manager, name, &path, NULL, &error);
  g_assert_no_error (error);
  return machine_proxy (env, path);
}

static gboolean
on_wait_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
wake_up (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
hangar_test_wait_until (gboolean (*predicate) (gpointer),
                        gpointer   data,
                        guint      timeout_s)
{
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add_seconds (timeout_s, on_wait_timeout, &timed_out);
  /* Predicates that poll (console logs) need a tick even without events. */
  guint tick = g_timeout_add (100, wake_up, NULL);
  gboolean done;

  while (!(done = predicate (data)) && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (tick);
  if (!timed_out)
    g_source_remove (timeout);
  return done;
}

void
hangar_test_env_sync (HangarTestEnv *env)
{
  g_autoptr(GVariant) reply = NULL;

  /* The engine's messages reach us in the order it sent them, so when its
   * answer to this ping arrives, every signal it sent before is queued. */
  if (hangar_test_env_engine_alive (env))
    reply = g_dbus_connection_call_sync (env->connection, "io.github.hangarvm.Hangar1",
                                         "/io/github/hangarvm/Hangar1",
                                         "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
                                         G_DBUS_CALL_FLAGS_NO_AUTO_START, 10000, NULL, NULL);
  hangar_test_settle ();
}

void
hangar_test_settle (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

typedef struct {
  HangarMachine *machine;
  const char    *state;
} StateWait;

static gboolean
machine_has_state (gpointer data)
{
  StateWait *wait = data;

  return g_strcmp0 (hangar_machine_get_state (wait->machine), wait->state) == 0;
}

gboolean
hangar_test_wait_for_state (HangarMachine *machine,
                            const char    *state,
                            guint          timeout_s)
{
  StateWait wait = { machine, state };

  return hangar_test_wait_until (machine_has_state, &wait, timeout_s);
}

typedef struct {
  HangarMachine *machine;
  const char    *marker;
  guint          count;
} ConsoleWait;

/* The serial log of @machine as a string, or NULL and @error. */
static char *
console_log (HangarMachine  *machine,
             GError        **error)
{
  g_autoptr(GVariant) log = NULL;
  const char *bytes;
  gsize length;

  if (!hangar_machine_call_get_console_log_sync (machine, 0, &log, NULL, error))
    return NULL;
  bytes = g_variant_get_fixed_array (log, &length, 1);
  return g_strndup (length ? bytes : "", length);
}

static gboolean
console_has_markers (gpointer data)
{
  ConsoleWait *wait = data;
  g_autofree char *text = console_log (wait->machine, NULL);

  return text != NULL && hangar_test_count (text, wait->marker) >= wait->count;
}

gboolean
hangar_test_wait_for_console (HangarMachine *machine,
                              const char    *marker,
                              guint          timeout_s)
{
  return hangar_test_wait_for_console_count (machine, marker, 1, timeout_s);
}

guint
hangar_test_console_count (HangarMachine *machine,
                           const char    *marker)
{
  g_autofree char *text = hangar_test_console_log (machine);

  return hangar_test_count (text, marker);
}

gboolean
hangar_test_wait_for_console_count (HangarMachine *machine,
                                    const char    *marker,
                                    guint          count,
                                    guint          timeout_s)
{
  ConsoleWait wait = { machine, marker, count };

  return hangar_test_wait_until (console_has_markers, &wait, timeout_s);
}

/* The descriptor an Open* method answered with; fails the test on error. */
static int
fd_from_reply (GVariant    *handle,
               GUnixFDList *fds,
               GError      *error)
{
  g_autoptr(GError) fd_error = NULL;
  int fd;

  g_assert_no_error (error);
  g_assert_nonnull (fds);
  fd = g_unix_fd_list_get (fds, g_variant_get_handle (handle), &fd_error);
  g_assert_no_error (fd_error);
  return fd;
}

int
hangar_test_open_display_fd (HangarMachine *machine)
{
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  g_autoptr(GError) error = NULL;

  hangar_machine_call_open_display_sync (machine, NULL, &handle, &fds, NULL, &error);
  return fd_from_reply (handle, fds, error);
}

int
hangar_test_open_serial_fd (HangarMachine *machine)
{
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  g_autoptr(GError) error = NULL;

  hangar_machine_call_open_serial_sync (machine, NULL, &handle, &fds, NULL, &error);
  return fd_from_reply (handle, fds, error);
}

char *
hangar_test_console_log (HangarMachine *machine)
{
  g_autoptr(GError) error = NULL;
  char *text = console_log (machine, &error);

  g_assert_no_error (error);
  return text;
}

guint
hangar_test_count (const char *text,
                   const char *marker)
{
  guint n = 0;

  for (const char *p = strstr (text, marker); p != NULL; p = strstr (p + 1, marker))
    n++;
  return n;
}

void
hangar_test_spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, on_wait_timeout, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

void
hangar_test_assert_engine_error (GError     *error,
                                 int         code,
                                 const char *needle,
                                 const char *location)
{
  g_autofree char *message = NULL;

  if (error == NULL)
    g_error ("%s: expected engine error %d, got success", location, code);

  g_dbus_error_strip_remote_error (error);
  if (!g_error_matches (error, HANGAR_ERROR, code))
    g_error ("%s: expected engine error %d, got %s %d: %s", location, code,
             g_quark_to_string (error->domain), error->code, error->message);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("%s: error message '%s' does not mention '%s'", location, error->message, needle);
}

/* ---- hangarctl ------------------------------------------------------------ */

const char *
hangar_test_hangarctl (void)
{
  return required_env ("HANGARCTL");
}

char **
hangar_test_ctl_argv (HangarTestEnv      *env,
                      const char         *address,
                      const char * const *args)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_strv_builder_add (builder, hangar_test_hangarctl ());
  g_strv_builder_add (builder, "--connect");
  g_strv_builder_add (builder, address != NULL ? address : env->bus_address);
  g_strv_builder_addv (builder, (const char **) args);
  return g_strv_builder_end (builder);
}

char **
hangar_test_ctl_environ (HangarTestEnv *env,
                         const char    *editor)
{
  char **envp = g_get_environ ();

  envp = g_environ_setenv (envp, "LC_ALL", "C.UTF-8", TRUE);
  envp = g_environ_unsetenv (envp, "LANGUAGE");
  envp = g_environ_unsetenv (envp, "VISUAL");
  envp = g_environ_unsetenv (envp, "HANGAR_CONNECT");
  envp = g_environ_setenv (envp, "TMPDIR", env->tmpdir, TRUE);
  if (editor != NULL)
    envp = g_environ_setenv (envp, "EDITOR", editor, TRUE);
  else
    envp = g_environ_unsetenv (envp, "EDITOR");
  return envp;
}

/* Runs in the child between fork and exec: the answers hangarctl reads. */
static void
redirect_stdin (gpointer data)
{
  int fd = open ((const char *) data, O_RDONLY);

  if (fd < 0)
    _exit (127);
  if (fd != STDIN_FILENO)
    {
      dup2 (fd, STDIN_FILENO);
      close (fd);
    }
}

int
hangar_test_ctl_run_argv (HangarTestEnv           *env,
                          const HangarCtlOptions  *options,
                          const char * const      *args,
                          char                   **out,
                          char                   **err)
{
  static const HangarCtlOptions defaults = { 0 };
  g_auto(GStrv) argv = NULL;
  g_auto(GStrv) envp = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *command = NULL;
  const char *stdin_path;
  int wait_status = 0;

  if (options == NULL)
    options = &defaults;
  stdin_path = options->stdin_path != NULL ? options->stdin_path : "/dev/null";
  argv = hangar_test_ctl_argv (env, options->address, args);
  envp = hangar_test_ctl_environ (env, options->editor);

  g_clear_pointer (out, g_free);
  g_clear_pointer (err, g_free);

  command = g_strjoinv (" ", argv);
  g_test_message ("$ %s", command);

  g_spawn_sync (NULL, argv, envp, G_SPAWN_DEFAULT,
                redirect_stdin, (gpointer) stdin_path, out, err, &wait_status, &error);
  g_assert_no_error (error);

  if (!WIFEXITED (wait_status))
    g_error ("%s: ended by signal %d; stderr: %s", command, WTERMSIG (wait_status), *err);
  if (options->address == NULL)
    hangar_test_env_sync (env);
  return WEXITSTATUS (wait_status);
}

static int
ctl_run_va (HangarTestEnv           *env,
            const HangarCtlOptions  *options,
            char                   **out,
            char                   **err,
            const char              *first,
            va_list                  rest)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();

  for (const char *arg = first; arg != NULL; arg = va_arg (rest, const char *))
    g_ptr_array_add (args, (char *) arg);
  g_ptr_array_add (args, NULL);

  return hangar_test_ctl_run_argv (env, options, (const char * const *) args->pdata, out, err);
}

int
hangar_test_ctl (HangarTestEnv  *env,
                 char          **out,
                 char          **err,
                 const char     *first,
                 ...)
{
  va_list args;
  int status;

  va_start (args, first);
  status = ctl_run_va (env, NULL, out, err, first, args);
  va_end (args);
  return status;
}

int
hangar_test_ctl_with (HangarTestEnv           *env,
                      const HangarCtlOptions  *options,
                      char                   **out,
                      char                   **err,
                      const char              *first,
                      ...)
{
  va_list args;
  int status;

  va_start (args, first);
  status = ctl_run_va (env, options, out, err, first, args);
  va_end (args);
  return status;
}

const char *
hangar_test_ctl_ok (HangarTestEnv  *env,
                    char          **out,
                    const char     *first,
                    ...)
{
  g_autofree char *err = NULL;
  va_list args;
  int status;

  va_start (args, first);
  status = ctl_run_va (env, NULL, out, &err, first, args);
  va_end (args);

  if (status != 0 || *err != '\0')
    g_error ("hangarctl %s: exit status %d, stderr: %s", first, status, err);
  return *out;
}

void
hangar_test_assert_ctl_error (int         status,
                              const char *err,
                              const char *needle,
                              const char *location)
{
  const char *newline = strchr (err, '\n');

  if (status != 1)
    g_error ("%s: expected exit status 1, got %d (stderr: %s)", location, status, err);
  if (!g_str_has_prefix (err, "error: ") || newline == NULL || newline[1] != '\0')
    g_error ("%s: expected one line 'error: …' on stderr, got '%s'", location, err);
  if (needle != NULL && strstr (err, needle) == NULL)
    g_error ("%s: the error '%s' does not mention '%s'", location, err, needle);
}

gboolean
hangar_test_has_line (const char *text,
                      const char *line)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  return g_strv_contains ((const char * const *) lines, line);
}
