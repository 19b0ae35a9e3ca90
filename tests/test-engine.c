/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-engine"

/* The real hangard on a private bus running the real QEMU (TCG here) with
 * the busybox test guest: lifecycle, crash detection, restart survival. */

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hangar-test-env.h"
#include "hangard-error.h"

#define BOOT_TIMEOUT_S 90
#define STATE_TIMEOUT_S 60
#define BOOT_MARKER "HANGAR-GUEST-BOOTED"

static HangarMachine *
define_and_start (HangarTestEnv *env,
                  const char    *name,
                  const char    *cmdline_extra)
{
  g_autofree char *xml = hangar_test_guest_xml (name, cmdline_extra);
  g_autoptr(GError) error = NULL;
  HangarMachine *machine = hangar_test_env_define (env, xml);

  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "shutoff");
  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "running", STATE_TIMEOUT_S));
  return machine;
}

static guint
count_qemus (HangarTestEnv *env)
{
  g_autoptr(GArray) pids = hangar_test_env_qemu_pids (env);

  return pids->len;
}

static void
assert_booted (HangarMachine *machine)
{
  if (!hangar_test_wait_for_console (machine, BOOT_MARKER, BOOT_TIMEOUT_S))
    g_error ("the guest did not print %s", BOOT_MARKER);
}

static char *
qemu_log_text (HangarMachine *machine)
{
  g_autoptr(GVariant) log = NULL;
  g_autoptr(GError) error = NULL;
  const char *bytes;
  gsize length;

  hangar_machine_call_get_qemu_log_sync (machine, 0, &log, NULL, &error);
  g_assert_no_error (error);
  bytes = g_variant_get_fixed_array (log, &length, 1);
  return g_strndup (length ? bytes : "", length);
}

static void
test_host_info (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(GVariant) info = NULL;
  g_autoptr(GError) error = NULL;
  const char *accelerator = NULL, *qemu_version = NULL, *mode = NULL;
  guint32 cpus = 0;
  guint64 memory = 0;
  gboolean kvm = TRUE;

  hangar_manager_call_get_host_info_sync (env->manager, &info, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_lookup (info, "accelerator", "&s", &accelerator));
  g_assert_true (g_variant_lookup (info, "kvm", "b", &kvm));
  g_assert_true (g_variant_lookup (info, "qemu-version", "&s", &qemu_version));
  g_assert_true (g_variant_lookup (info, "cpus", "u", &cpus));
  g_assert_true (g_variant_lookup (info, "memory-kib", "t", &memory));
  g_assert_true (g_variant_lookup (info, "mode", "&s", &mode));

  g_assert_cmpstr (accelerator, ==, kvm ? "kvm" : "tcg");
  g_assert_cmpstr (accelerator, ==, hangar_manager_get_accelerator (env->manager));
  if (!kvm)
    g_assert_true (g_variant_lookup (info, "kvm-reason", "&s", NULL));
  g_assert_true (g_ascii_isdigit (qemu_version[0]));
  g_assert_cmpuint (cpus, >=, 1);
  g_assert_cmpuint (memory, >, 0);
  g_assert_cmpstr (mode, ==, "session");
  g_assert_cmpstr (hangar_manager_get_mode (env->manager), ==, "session");

  hangar_test_env_free (env);
}

/* define → start → serial marker → ACPI shutdown → shutoff */
static void
test_boot_and_acpi_shutdown (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarMachine) machine = define_and_start (env, "boot-test", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *console = NULL;

  g_assert_cmpstr (hangar_machine_get_accelerator (machine), ==, hangar_manager_get_accelerator (env->manager));
  g_assert_cmpuint (hangar_machine_get_pid (machine), >, 0);
  g_assert_cmpuint (hangar_machine_get_start_time (machine), >, 0);
  assert_booted (machine);

  hangar_machine_call_shutdown_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", STATE_TIMEOUT_S));
  g_assert_cmpstr (hangar_machine_get_state_reason (machine), ==, "guest powered off");
  g_assert_cmpuint (hangar_machine_get_pid (machine), ==, 0);
  g_assert_cmpstr (hangar_machine_get_accelerator (machine), ==, "");

  /* The guest's own words prove it went through its ACPI power-off path. */
  console = hangar_test_console_log (machine);
  g_assert_nonnull (strstr (console, "HANGAR-GUEST-POWEROFF"));
  g_assert_cmpuint (count_qemus (env), ==, 0);

  hangar_test_env_free (env);
}

static void
test_guest_powers_itself_off (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarMachine) machine = define_and_start (env, "self-poweroff", "hangar.poweroff");

  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", BOOT_TIMEOUT_S));
  g_assert_cmpstr (hangar_machine_get_state_reason (machine), ==, "guest powered off");
  hangar_test_env_free (env);
}

static void
test_pause_resume_destroy (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarMachine) machine = define_and_start (env, "pause-test", NULL);
  g_autoptr(GError) error = NULL;

  hangar_machine_call_pause_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "paused", STATE_TIMEOUT_S));

  /* Wrong-state calls are refused with a name and a reason. */
  hangar_machine_call_pause_sync (machine, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "already paused");
  g_clear_error (&error);
  hangar_machine_call_start_sync (machine, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "already running");
  g_clear_error (&error);

  hangar_machine_call_resume_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "running", STATE_TIMEOUT_S));
  assert_booted (machine);

  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", STATE_TIMEOUT_S));
  g_assert_cmpstr (hangar_machine_get_state_reason (machine), ==, "destroyed");

  hangar_machine_call_resume_sync (machine, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "not paused");
  g_clear_error (&error);
  hangar_machine_call_shutdown_sync (machine, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "not running");
  g_clear_error (&error);
  hangar_machine_call_force_off_sync (machine, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "not running");

  hangar_test_env_free (env);
}

typedef struct {
  HangarMachine *machine;
  guint          boots;
} BootCount;

static gboolean
booted_n_times (gpointer data)
{
  BootCount *count = data;
  g_autofree char *console = hangar_test_console_log (count->machine);

  return hangar_test_count (console, BOOT_MARKER) >= count->boots;
}

/* Reboot goes through the guest's power-off, then a reset: the same QEMU
 * boots the guest a second time. Reset restarts it without asking. */
static void
test_reboot_and_reset (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarMachine) machine = define_and_start (env, "reboot-test", NULL);
  g_autoptr(GError) error = NULL;
  guint pid;
  BootCount count = { machine, 2 };

  assert_booted (machine);
  pid = hangar_machine_get_pid (machine);

  hangar_machine_call_reboot_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_until (booted_n_times, &count, BOOT_TIMEOUT_S));
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "running");
  g_assert_cmpuint (hangar_machine_get_pid (machine), ==, pid);

  hangar_machine_call_reset_sync (machine, NULL, &error);
  g_assert_no_error (error);
  count.boots = 3;
  g_assert_true (hangar_test_wait_until (booted_n_times, &count, BOOT_TIMEOUT_S));
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "running");

  hangar_test_env_free (env);
}

/* A QEMU that dies under the guest is "crashed", with the reason and the
 * engine's note in its log. */
static void
test_crash_detection (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarMachine) machine = define_and_start (env, "crash-test", NULL);
  g_autofree char *log = NULL;

  assert_booted (machine);
  g_assert_cmpint (kill ((pid_t) hangar_machine_get_pid (machine), SIGKILL), ==, 0);
  g_assert_true (hangar_test_wait_for_state (machine, "crashed", STATE_TIMEOUT_S));
  g_assert_nonnull (strstr (hangar_machine_get_state_reason (machine), "signal 9"));

  log = qemu_log_text (machine);
  g_assert_nonnull (strstr (log, "ended: QEMU was killed by signal 9"));

  /* A crashed machine starts again. */
  g_clear_object (&machine);
  machine = hangar_test_env_lookup (env, "crash-test");
  {
    g_autoptr(GError) error = NULL;
    hangar_machine_call_start_sync (machine, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (hangar_test_wait_for_state (machine, "running", STATE_TIMEOUT_S));
  }
  hangar_test_env_free (env);
}

/* kill -9 the engine while three guests run: a new engine lists them
 * running and controls them fully. */
static void
test_restart_survival (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  const char *names[] = { "survivor-1", "survivor-2", "survivor-3" };
  guint pids[3];
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(HangarMachine) machine = define_and_start (env, names[i], NULL);
      pids[i] = hangar_machine_get_pid (machine);
    }
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(HangarMachine) machine = hangar_test_env_lookup (env, names[i]);
      assert_booted (machine);
    }

  hangar_test_env_kill_engine (env, SIGKILL);
  g_assert_cmpuint (count_qemus (env), ==, 3);
  hangar_test_env_start_engine (env);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(HangarMachine) machine = hangar_test_env_lookup (env, names[i]);
      g_assert_true (hangar_test_wait_for_state (machine, "running", STATE_TIMEOUT_S));
      g_assert_cmpuint (hangar_machine_get_pid (machine), ==, pids[i]);
      g_assert_cmpstr (hangar_machine_get_accelerator (machine), ==, hangar_manager_get_accelerator (env->manager));
    }

  {
    g_autoptr(HangarMachine) first = hangar_test_env_lookup (env, names[0]);
    g_autoptr(HangarMachine) second = hangar_test_env_lookup (env, names[1]);
    g_autoptr(HangarMachine) third = hangar_test_env_lookup (env, names[2]);

    hangar_machine_call_pause_sync (first, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (hangar_test_wait_for_state (first, "paused", STATE_TIMEOUT_S));
    hangar_machine_call_resume_sync (first, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (hangar_test_wait_for_state (first, "running", STATE_TIMEOUT_S));

    hangar_machine_call_shutdown_sync (second, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (hangar_test_wait_for_state (second, "shutoff", STATE_TIMEOUT_S));
    g_assert_cmpstr (hangar_machine_get_state_reason (second), ==, "guest powered off");

    hangar_machine_call_force_off_sync (third, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (hangar_test_wait_for_state (third, "shutoff", STATE_TIMEOUT_S));

    hangar_machine_call_force_off_sync (first, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (hangar_test_wait_for_state (first, "shutoff", STATE_TIMEOUT_S));
  }
  g_assert_cmpuint (count_qemus (env), ==, 0);

  hangar_test_env_free (env);
}

static void
test_autostart (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *xml = hangar_test_guest_xml ("autostart-test", NULL);
  g_autoptr(HangarMachine) machine = hangar_test_env_define (env, xml);
  g_autoptr(GError) error = NULL;

  hangar_machine_call_set_autostart_sync (machine, TRUE, NULL, &error);
  g_assert_no_error (error);
  hangar_test_settle ();
  g_assert_true (hangar_machine_get_autostart (machine));

  hangar_test_env_kill_engine (env, SIGTERM);
  hangar_test_env_start_engine (env);
  g_clear_object (&machine);
  machine = hangar_test_env_lookup (env, "autostart-test");
  g_assert_true (hangar_machine_get_autostart (machine));
  g_assert_true (hangar_test_wait_for_state (machine, "running", STATE_TIMEOUT_S));

  hangar_machine_call_set_autostart_sync (machine, FALSE, NULL, &error);
  g_assert_no_error (error);
  hangar_test_settle ();
  g_assert_false (hangar_machine_get_autostart (machine));
  hangar_test_env_free (env);
}

/* Definitions survive the engine; GetXml gives back what was defined. */
static void
test_definitions_persist (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *xml = hangar_test_guest_xml ("persist-test", NULL);
  g_autoptr(HangarMachine) machine = hangar_test_env_define (env, xml);
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *uuid = g_strdup (hangar_machine_get_uuid (machine));

  hangar_machine_call_get_xml_sync (machine, g_variant_new ("a{sv}", NULL), &before, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (before, uuid));
  g_assert_nonnull (strstr (before, "<name>persist-test</name>"));

  hangar_test_env_kill_engine (env, SIGKILL);
  hangar_test_env_start_engine (env);
  g_clear_object (&machine);
  machine = hangar_test_env_lookup (env, uuid);
  g_assert_cmpstr (hangar_machine_get_name (machine), ==, "persist-test");
  hangar_machine_call_get_xml_sync (machine, g_variant_new ("a{sv}", NULL), &after, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (before, ==, after);

  /* Redefining the same XML keeps the machine (virsh define semantics). */
  {
    g_autofree char *path = NULL;
    hangar_manager_call_define_machine_sync (env->manager, after, &path, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (path, ==, g_dbus_proxy_get_object_path (G_DBUS_PROXY (machine)));
  }

  /* Undefine removes the definition for good. */
  hangar_machine_call_undefine_sync (machine, g_variant_new ("a{sv}", NULL), NULL, &error);
  g_assert_no_error (error);
  hangar_test_env_kill_engine (env, SIGTERM);
  hangar_test_env_start_engine (env);
  {
    g_autofree char *path = NULL;
    hangar_manager_call_lookup_machine_sync (env->manager, "persist-test", &path, NULL, &error);
    hangar_assert_engine_error (error, HANGAR_ERROR_NOT_FOUND, "persist-test");
  }
  hangar_test_env_free (env);
}

typedef struct {
  HangarMachine *machine;
  GVariant      *stats;
} StatsWait;

static gboolean
disk_was_read (gpointer data)
{
  StatsWait *wait = data;
  guint64 read_bytes = 0;

  g_clear_pointer (&wait->stats, g_variant_unref);
  if (!hangar_machine_call_get_stats_sync (wait->machine, &wait->stats, NULL, NULL))
    return FALSE;
  return g_variant_lookup (wait->stats, "block-read-bytes", "t", &read_bytes) && read_bytes > 0;
}

/* GetStats reports real usage: QEMU's CPU time, its memory, and the bytes
 * the guest's kernel read from a qcow2 disk while probing partitions. */
static void
test_stats (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *disk = g_build_filename (env->tmpdir, "disk, with comma.qcow2", NULL);
  g_autofree char *escaped_disk = g_markup_escape_text (disk, -1);
  g_autofree char *base_xml = hangar_test_guest_xml ("stats-test", NULL);
  g_autofree char *disk_xml = g_strdup_printf ("<devices>\n    <disk type='file' device='disk'>"
                                               "<driver name='qemu' type='qcow2'/>"
                                               "<source file='%s'/><target dev='vda' bus='virtio'/></disk>",
                                               escaped_disk);
  g_autofree char *xml = NULL;
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "64M", NULL };
  int status;
  StatsWait wait = { 0 };
  guint64 cpu_ns = 0, rss = 0, memory = 0;
  g_autoptr(GVariant) devices = NULL;
  const char *target = NULL;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  {
    g_auto(GStrv) parts = g_strsplit (base_xml, "<devices>", 2);
    xml = g_strconcat (parts[0], disk_xml, parts[1], NULL);
  }
  machine = hangar_test_env_define (env, xml);
  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);
  assert_booted (machine);

  wait.machine = machine;
  g_assert_true (hangar_test_wait_until (disk_was_read, &wait, STATE_TIMEOUT_S));
  g_assert_true (g_variant_lookup (wait.stats, "cpu-time-ns", "t", &cpu_ns));
  g_assert_true (g_variant_lookup (wait.stats, "memory-rss-kib", "t", &rss));
  g_assert_true (g_variant_lookup (wait.stats, "memory-kib", "t", &memory));
  g_assert_cmpuint (cpu_ns, >, 0);
  g_assert_cmpuint (rss, >, 0);
  g_assert_cmpuint (memory, ==, 128 * 1024);
  devices = g_variant_lookup_value (wait.stats, "block", G_VARIANT_TYPE ("aa{sv}"));
  g_assert_nonnull (devices);
  g_assert_cmpuint (g_variant_n_children (devices), ==, 1);
  {
    g_autoptr(GVariant) device = g_variant_get_child_value (devices, 0);
    g_assert_true (g_variant_lookup (device, "target", "&s", &target));
    g_assert_cmpstr (target, ==, "vda");
  }
  g_clear_pointer (&wait.stats, g_variant_unref);

  hangar_test_env_free (env);
}


/* System mode in a test tree: definitions land under ROOT/etc/hangar, and
 * guests run as in session mode. */
static void
test_system_mode (void)
{
  HangarTestEnv *env = hangar_test_env_new (TRUE);
  g_autoptr(HangarMachine) machine = define_and_start (env, "system-guest", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *definition = g_strdup_printf ("%s/etc/hangar/machines/%s.xml", env->root,
                                                 hangar_machine_get_uuid (machine));

  g_assert_cmpstr (hangar_manager_get_mode (env->manager), ==, "system");
  g_assert_true (g_file_test (definition, G_FILE_TEST_IS_REGULAR));
  assert_booted (machine);
  hangar_machine_call_shutdown_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", STATE_TIMEOUT_S));
  hangar_test_env_free (env);
}

static void
drop_to_nobody (gpointer user_data)
{
  if (setgid (65534) != 0 || setuid (65534) != 0)
    _exit (99);
}

/* Runs hangarctl as user "nobody" against the env's bus; returns its exit
 * status and stderr. */
static int
run_ctl_as_nobody (HangarTestEnv *env,
                   char         **err,
                   const char    *verb,
                   const char    *name)
{
  const char *argv[] = { g_getenv ("HANGARCTL"), "--connect", env->bus_address, verb, name, NULL };
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, drop_to_nobody, NULL,
                NULL, err, &status, &error);
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
open_bus_to_everyone (HangarTestEnv *env)
{
  g_autofree char *bus_dir = g_build_filename (env->tmpdir, "bus", NULL);

  g_assert_cmpint (g_chmod (env->tmpdir, 0755), ==, 0);
  g_assert_cmpint (g_chmod (bus_dir, 0755), ==, 0);
}

/* The one authorization check: a session engine serves only its own user;
 * a system engine lets anyone look and only root change. */
static void
test_authorization (void)
{
  HangarTestEnv *session = NULL, *system = NULL;
  g_autofree char *xml = hangar_test_guest_xml ("guarded", NULL);
  g_autoptr(HangarMachine) machine = NULL;
  g_autofree char *err = NULL;

  if (getuid () != 0)
    {
      g_test_skip ("needs root to run a client as another user");
      return;
    }

  session = hangar_test_env_new (FALSE);
  open_bus_to_everyone (session);
  machine = hangar_test_env_define (session, xml);
  g_assert_cmpint (run_ctl_as_nobody (session, &err, "start", "guarded"), ==, 1);
  g_assert_nonnull (strstr (err, "may not do this on the session engine"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_ctl_as_nobody (session, &err, "dumpxml", "guarded"), ==, 1);
  g_assert_nonnull (strstr (err, "may not"));
  g_clear_pointer (&err, g_free);
  g_clear_object (&machine);
  hangar_test_env_free (session);

  system = hangar_test_env_new (TRUE);
  open_bus_to_everyone (system);
  machine = hangar_test_env_define (system, xml);
  g_assert_cmpint (run_ctl_as_nobody (system, &err, "dumpxml", "guarded"), ==, 0);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_ctl_as_nobody (system, &err, "start", "guarded"), ==, 1);
  g_assert_nonnull (strstr (err, "may not do this on the system engine"));
  hangar_test_settle ();
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "shutoff");
  hangar_test_env_free (system);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/host-info", test_host_info);
  g_test_add_func ("/engine/lifecycle/boot-and-acpi-shutdown", test_boot_and_acpi_shutdown);
  g_test_add_func ("/engine/lifecycle/guest-powers-itself-off", test_guest_powers_itself_off);
  g_test_add_func ("/engine/lifecycle/pause-resume-destroy", test_pause_resume_destroy);
  g_test_add_func ("/engine/lifecycle/reboot-and-reset", test_reboot_and_reset);
  g_test_add_func ("/engine/crash-detection", test_crash_detection);
  g_test_add_func ("/engine/restart-survival", test_restart_survival);
  g_test_add_func ("/engine/autostart", test_autostart);
  g_test_add_func ("/engine/definitions-persist", test_definitions_persist);
  g_test_add_func ("/engine/stats", test_stats);
  g_test_add_func ("/engine/system-mode", test_system_mode);
  g_test_add_func ("/engine/authorization", test_authorization);

  return g_test_run ();
}
