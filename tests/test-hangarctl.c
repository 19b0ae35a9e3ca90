/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-hangarctl"

/* The real hangarctl binary against the real hangard on a private bus, with
 * the busybox test guest under QEMU: what a user types, what they read. */

#include <signal.h>

#include "hangar-test-env.h"
#include "hangard-error.h"

#define BOOT_TIMEOUT_S 90
#define STATE_TIMEOUT_S 60
#define POLL_INTERVAL_MS 300
#define BOOT_MARKER "HANGAR-GUEST-BOOTED"
#define TEST_MAC "52:54:00:12:34:56"

/* A "Label:  value" line as dominfo lays them out (virsh's "%-15s %s"). */
static char *
field_line (int         width,
            const char *label,
            const char *value)
{
  return g_strdup_printf ("%-*s %s", width, label, value);
}

#define assert_dominfo_field(text, label, value) \
  G_STMT_START { \
    g_autofree char *field_line_ = field_line (15, (label), (value)); \
    hangar_assert_has_line ((text), field_line_); \
  } G_STMT_END

/* The value after `label` in a "Label:  value" listing, or NULL. */
static char *
field_value (const char *text,
             const char *label)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], label))
        return g_strstrip (g_strdup (lines[i] + strlen (label)));
    }
  return NULL;
}

static gboolean
is_number (const char *text)
{
  guint64 value;

  return text != NULL && g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &value, NULL);
}

/* ---- Files and machines ---------------------------------------------------- */

static char *
write_tmp_file (HangarTestEnv *env,
                const char    *name,
                const char    *contents,
                int            mode)
{
  char *path = g_build_filename (env->tmpdir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_NONE, mode, &error);
  g_assert_no_error (error);
  return path;
}

/* `hangarctl define FILE` of `xml` in NAME.xml; returns the machine's UUID. */
static char *
ctl_define (HangarTestEnv *env,
            const char    *name,
            const char    *xml)
{
  g_autofree char *file_name = g_strconcat (name, ".xml", NULL);
  g_autofree char *path = write_tmp_file (env, file_name, xml, 0644);
  g_autofree char *expected = g_strdup_printf ("Domain '%s' defined from %s\n", name, path);
  g_autofree char *out = NULL;
  char *uuid = NULL;

  hangar_test_ctl_ok (env, &out, "define", path, NULL);
  g_assert_cmpstr (out, ==, expected);
  hangar_test_ctl_ok (env, &uuid, "domuuid", name, NULL);
  g_strchomp (uuid);
  g_assert_true (g_uuid_string_is_valid (uuid));
  return uuid;
}

static char *
ctl_domstate (HangarTestEnv *env,
              const char    *name)
{
  char *out = NULL;

  hangar_test_ctl_ok (env, &out, "domstate", name, NULL);
  return g_strchomp (out);
}

static void
assert_domstate (HangarTestEnv *env,
                 const char    *name,
                 const char    *state)
{
  g_autofree char *current = ctl_domstate (env, name);

  g_assert_cmpstr (current, ==, state);
}

static gboolean
wait_for_domstate (HangarTestEnv *env,
                   const char    *name,
                   const char    *state,
                   guint          timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  do
    {
      g_autofree char *current = ctl_domstate (env, name);

      if (g_str_equal (current, state))
        return TRUE;
      g_usleep (POLL_INTERVAL_MS * 1000);
    }
  while (g_get_monotonic_time () < deadline);
  return FALSE;
}

static guint
count_occurrences (const char *haystack,
                   const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* Polls `hangarctl console-log` until the guest has booted `boots` times
 * (the log spans runs and reboots). */
static void
wait_for_boots (HangarTestEnv *env,
                const char    *name,
                guint          boots)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) BOOT_TIMEOUT_S * G_USEC_PER_SEC;
  g_autofree char *console = NULL;

  do
    {
      hangar_test_ctl_ok (env, &console, "console-log", name, NULL);
      if (count_occurrences (console, BOOT_MARKER) >= boots)
        return;
      g_usleep (POLL_INTERVAL_MS * 1000);
    }
  while (g_get_monotonic_time () < deadline);

  g_error ("%s did not print %s %u times in %d s; its console:\n%s",
           name, BOOT_MARKER, boots, BOOT_TIMEOUT_S, console);
}

/* A line of dashes as long as a table's header underline. */
static char *
dashes (gsize n)
{
  char *line = g_malloc (n + 1);

  memset (line, '-', n);
  line[n] = '\0';
  return line;
}

/* ---- Tests ------------------------------------------------------------------ */

/* define, list in its forms, dumpxml, domuuid/domname, dominfo, nodeinfo,
 * autostart, undefine: everything that needs no running guest. */
static void
test_define_and_inspect (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *beta_xml = hangar_test_guest_xml ("beta", NULL);
  g_autofree char *alpha_xml = hangar_test_guest_xml ("ctl-alpha", NULL);
  g_autofree char *beta = ctl_define (env, "beta", beta_xml);
  g_autofree char *alpha = ctl_define (env, "ctl-alpha", alpha_xml);
  const char *accelerator = hangar_manager_get_accelerator (env->manager);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *dump = NULL;
  g_autofree char *dump_path = NULL;
  int status;

  g_assert_cmpstr (beta, !=, alpha);

  /* Nothing runs: plain list shows the header only; --all both, by name. */
  hangar_test_ctl_ok (env, &out, "list", NULL);
  g_assert_cmpstr (out, ==, " Id   Name   State\n" "--------------------\n");
  hangar_test_ctl_ok (env, &out, "list", "--all", NULL);
  g_assert_cmpstr (out, ==,
                   " Id   Name        State\n"
                   "----------------------------\n"
                   " -    beta        shut off\n"
                   " -    ctl-alpha   shut off\n");
  hangar_test_ctl_ok (env, &out, "-q", "list", "--all", NULL);
  g_assert_cmpstr (out, ==,
                   " -   beta        shut off\n"
                   " -   ctl-alpha   shut off\n");
  hangar_test_ctl_ok (env, &out, "list", "--all", "--name", NULL);
  g_assert_cmpstr (out, ==, "beta\nctl-alpha\n");
  hangar_test_ctl_ok (env, &out, "list", "--name", NULL);
  g_assert_cmpstr (out, ==, "");
  hangar_test_ctl_ok (env, &out, "list", "--all", "--uuid", NULL);
  expected = g_strdup_printf ("%s\n%s\n", beta, alpha);
  g_assert_cmpstr (out, ==, expected);
  g_free (expected);
  hangar_test_ctl_ok (env, &out, "list", "--inactive", "--uuid", "--name", NULL);
  expected = g_strdup_printf ("%s beta\n%s ctl-alpha\n", beta, alpha);
  g_assert_cmpstr (out, ==, expected);

  /* UUIDs and names both ways. */
  g_free (expected);
  hangar_test_ctl_ok (env, &out, "domname", alpha, NULL);
  g_assert_cmpstr (out, ==, "ctl-alpha\n");
  hangar_test_ctl_ok (env, &out, "domuuid", alpha, NULL);
  expected = g_strdup_printf ("%s\n", alpha);
  g_assert_cmpstr (out, ==, expected);
  hangar_test_ctl_ok (env, &out, "domid", "ctl-alpha", NULL);
  g_assert_cmpstr (out, ==, "-\n");

  /* dumpxml gives the definition back, with the generated UUID; defining
   * that document again keeps the machine, as virsh define does. */
  hangar_test_ctl_ok (env, &dump, "dumpxml", "ctl-alpha", NULL);
  g_assert_nonnull (strstr (dump, "<name>ctl-alpha</name>"));
  g_free (expected);
  expected = g_strdup_printf ("<uuid>%s</uuid>", alpha);
  g_assert_nonnull (strstr (dump, expected));
  g_assert_nonnull (strstr (dump, hangar_test_guest_kernel ()));
  g_assert_true (g_str_has_suffix (dump, "</domain>\n"));
  dump_path = write_tmp_file (env, "ctl-alpha-dump.xml", dump, 0644);
  hangar_test_ctl_ok (env, &out, "define", dump_path, NULL);
  g_free (expected);
  expected = g_strdup_printf ("Domain 'ctl-alpha' defined from %s\n", dump_path);
  g_assert_cmpstr (out, ==, expected);
  hangar_test_ctl_ok (env, &out, "dumpxml", alpha, NULL);
  g_assert_cmpstr (out, ==, dump);

  /* The first file again: no UUID in it, the name taken by a machine with
   * one, so the engine refuses rather than replacing it. */
  {
    g_autofree char *first_path = g_build_filename (env->tmpdir, "ctl-alpha.xml", NULL);

    status = hangar_test_ctl (env, &out, &err, "define", first_path, NULL);
    hangar_assert_ctl_error (status, err, "ctl-alpha");
    g_assert_cmpstr (out, ==, "");
  }

  /* dominfo of a machine that is shut off: the accelerator its next start uses. */
  hangar_test_ctl_ok (env, &out, "dominfo", "ctl-alpha", NULL);
  assert_dominfo_field (out, "Id:", "-");
  assert_dominfo_field (out, "Name:", "ctl-alpha");
  assert_dominfo_field (out, "UUID:", alpha);
  assert_dominfo_field (out, "OS Type:", "hvm");
  assert_dominfo_field (out, "State:", "shut off");
  assert_dominfo_field (out, "CPU(s):", "1");
  assert_dominfo_field (out, "Max memory:", "131072 KiB");
  assert_dominfo_field (out, "Used memory:", "131072 KiB");
  assert_dominfo_field (out, "Persistent:", "yes");
  assert_dominfo_field (out, "Autostart:", "disable");
  assert_dominfo_field (out, "Accelerator:", accelerator);
  g_assert_true (g_str_has_prefix (out, "Id:             -\nName:           ctl-alpha\n"));

  /* By UUID, the same facts. */
  {
    g_autofree char *by_uuid = NULL;

    hangar_test_ctl_ok (env, &by_uuid, "dominfo", alpha, NULL);

    g_assert_cmpstr (by_uuid, ==, out);
  }

  /* autostart and back, as dominfo shows it. */
  hangar_test_ctl_ok (env, &out, "autostart", "ctl-alpha", NULL);
  g_assert_cmpstr (out, ==, "Domain 'ctl-alpha' marked as autostarted\n");
  hangar_test_ctl_ok (env, &out, "dominfo", "ctl-alpha", NULL);
  assert_dominfo_field (out, "Autostart:", "enable");
  hangar_test_ctl_ok (env, &out, "autostart", "--disable", alpha, NULL);
  g_assert_cmpstr (out, ==, "Domain 'ctl-alpha' unmarked as autostarted\n");
  hangar_test_ctl_ok (env, &out, "dominfo", "ctl-alpha", NULL);
  assert_dominfo_field (out, "Autostart:", "disable");

  /* version: both ends. */
  hangar_test_ctl_ok (env, &out, "version", NULL);
  g_assert_true (g_str_has_prefix (out, "Client: hangarctl "));
  g_assert_nonnull (strstr (out, "\nEngine: hangard "));
  g_assert_nonnull (strstr (out, " (session mode)\n"));
  {
    g_autofree char *line = g_strdup_printf ("Accelerator: %s", accelerator);

    hangar_assert_has_line (out, line);
  }

  /* nodeinfo: the host as the engine sees it. */
  hangar_test_ctl_ok (env, &out, "nodeinfo", NULL);
  {
    g_autofree char *cpus = field_value (out, "CPU(s):");
    g_autofree char *memory = field_value (out, "Memory size:");
    g_autofree char *accel = field_value (out, "Accelerator:");
    g_autofree char *qemu = field_value (out, "QEMU version:");
    g_autofree char *model = field_value (out, "CPU model:");

    g_assert_true (g_str_has_prefix (out, "CPU model:           "));
    g_assert_nonnull (model);
    g_assert_true (is_number (cpus));
    g_assert_cmpuint (g_ascii_strtoull (cpus, NULL, 10), >=, 1);
    g_assert_true (g_str_has_suffix (memory, " KiB"));
    g_assert_cmpuint (g_ascii_strtoull (memory, NULL, 10), >, 0);
    /* "tcg (why not KVM)" or "kvm" */
    g_assert_true (g_str_has_prefix (accel, accelerator));
    if (g_str_equal (accelerator, "tcg"))
      g_assert_true (g_str_has_prefix (accel, "tcg ("));
    g_assert_nonnull (qemu);
    g_assert_true (g_ascii_isdigit (qemu[0]));
  }

  /* undefine: gone from every list, by name or by UUID. */
  hangar_test_ctl_ok (env, &out, "undefine", beta, NULL);
  g_assert_cmpstr (out, ==, "Domain 'beta' has been undefined\n");
  hangar_test_ctl_ok (env, &out, "undefine", "ctl-alpha", NULL);
  g_assert_cmpstr (out, ==, "Domain 'ctl-alpha' has been undefined\n");
  hangar_test_ctl_ok (env, &out, "list", "--all", NULL);
  g_assert_cmpstr (out, ==, " Id   Name   State\n" "--------------------\n");
  status = hangar_test_ctl (env, &out, &err, "dominfo", alpha, NULL);
  hangar_assert_ctl_error (status, err, alpha);

  hangar_test_env_free (env);
}

/* A machine with a qcow2 disk whose path has a comma and a space, and a
 * user-mode NIC: the whole lifecycle through hangarctl, one guest reused. */
static void
test_lifecycle (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  const char *name = "ctl-life";
  g_autofree char *disk = g_build_filename (env->tmpdir, "disk, with space.qcow2", NULL);
  g_autofree char *escaped_disk = g_markup_escape_text (disk, -1);
  g_autofree char *base_xml = hangar_test_guest_xml (name, NULL);
  g_autofree char *devices = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;
  const char *accelerator = hangar_manager_get_accelerator (env->manager);
  const char *qemu_img[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "64M", NULL };
  int status = 0;

  g_spawn_sync (NULL, (char **) qemu_img, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  devices = g_strdup_printf ("<devices>\n"
                             "    <disk type='file' device='disk'>"
                             "<driver name='qemu' type='qcow2'/>"
                             "<source file='%s'/><target dev='vda' bus='virtio'/></disk>\n"
                             "    <interface type='user'><mac address='" TEST_MAC "'/>"
                             "<model type='e1000'/></interface>\n",
                             escaped_disk);
  {
    g_auto(GStrv) parts = g_strsplit (base_xml, "<devices>", 2);

    xml = g_strconcat (parts[0], devices, parts[1], NULL);
  }
  uuid = ctl_define (env, name, xml);

  /* The devices, from the definition. */
  hangar_test_ctl_ok (env, &out, "domblklist", name, NULL);
  {
    g_autofree char *line = dashes (strlen ("Target") + 3 + MAX (strlen ("Source"), strlen (disk)) + 3);

    expected = g_strdup_printf (" Target   Source\n%s\n vda      %s\n", line, disk);
    g_assert_cmpstr (out, ==, expected);
  }
  hangar_test_ctl_ok (env, &out, "domblklist", "--details", name, NULL);
  g_assert_true (g_str_has_prefix (out, " Type   Device   Target   Source\n"));
  g_free (expected);
  expected = g_strdup_printf (" file   disk     vda      %s", disk);
  hangar_assert_has_line (out, expected);
  hangar_test_ctl_ok (env, &out, "domiflist", name, NULL);
  g_assert_cmpstr (out, ==,
                   " Interface   Type   Source   Model   MAC\n"
                   "--------------------------------------------------------\n"
                   " -           user   -        e1000   " TEST_MAC "\n");

  /* start; a second start is refused. */
  hangar_test_ctl_ok (env, &out, "start", name, NULL);
  g_assert_cmpstr (out, ==, "Domain 'ctl-life' started\n");
  assert_domstate (env, name, "running");
  status = hangar_test_ctl (env, &out, &err, "start", name, NULL);
  hangar_assert_ctl_error (status, err, "already running");
  g_assert_cmpstr (out, ==, "");

  wait_for_boots (env, name, 1);

  hangar_test_ctl_ok (env, &out, "list", NULL);
  g_assert_cmpstr (out, ==,
                   " Id   Name       State\n"
                   "--------------------------\n"
                   " 1    ctl-life   running\n");
  hangar_test_ctl_ok (env, &out, "list", "--uuid", NULL);
  g_free (expected);
  expected = g_strdup_printf ("%s\n", uuid);
  g_assert_cmpstr (out, ==, expected);
  hangar_test_ctl_ok (env, &out, "domid", name, NULL);
  g_assert_cmpstr (out, ==, "1\n");
  /* The Id names the machine too, while it runs. */
  hangar_test_ctl_ok (env, &out, "domname", "1", NULL);
  g_assert_cmpstr (out, ==, "ctl-life\n");
  hangar_test_ctl_ok (env, &out, "console-log", "--bytes", "64", "1", NULL);
  g_assert_cmpuint (strlen (out), <=, 64);

  hangar_test_ctl_ok (env, &out, "dominfo", name, NULL);
  assert_dominfo_field (out, "Id:", "1");
  assert_dominfo_field (out, "Name:", name);
  assert_dominfo_field (out, "UUID:", uuid);
  assert_dominfo_field (out, "State:", "running");
  assert_dominfo_field (out, "CPU(s):", "1");
  assert_dominfo_field (out, "Max memory:", "131072 KiB");
  assert_dominfo_field (out, "Autostart:", "disable");
  assert_dominfo_field (out, "Accelerator:", accelerator);
  {
    g_autofree char *cpu_time = field_value (out, "CPU time:");

    g_assert_nonnull (cpu_time);
    g_assert_true (g_str_has_suffix (cpu_time, "s"));
  }

  /* domstats: state, CPU, the disk the kernel probed, the NIC. */
  hangar_test_ctl_ok (env, &out, "domstats", name, NULL);
  g_assert_true (g_str_has_prefix (out, "Domain: 'ctl-life'\n  state.state=1\n"));
  g_assert_true (g_str_has_suffix (out, "\n\n"));
  {
    g_autofree char *cpu_time = field_value (out, "  cpu.time=");
    g_autofree char *rd_bytes = field_value (out, "  block.0.rd.bytes=");
    g_autofree char *wr_bytes = field_value (out, "  block.0.wr.bytes=");

    g_assert_true (is_number (cpu_time));
    g_assert_cmpuint (g_ascii_strtoull (cpu_time, NULL, 10), >, 0);
    g_assert_true (is_number (rd_bytes));
    g_assert_true (is_number (wr_bytes));
  }
  hangar_assert_has_line (out, "  balloon.maximum=131072");
  hangar_assert_has_line (out, "  vcpu.current=1");
  hangar_assert_has_line (out, "  block.count=1");
  hangar_assert_has_line (out, "  block.0.name=vda");
  hangar_assert_has_line (out, "  net.count=1");
  hangar_assert_has_line (out, "  net.0.mac=" TEST_MAC);
  hangar_test_ctl_ok (env, &out, "domstats", "--state", "--list-running", NULL);
  g_assert_cmpstr (out, ==, "Domain: 'ctl-life'\n  state.state=1\n\n");

  /* suspend and resume, by name and by UUID. */
  hangar_test_ctl_ok (env, &out, "suspend", name, NULL);
  g_assert_cmpstr (out, ==, "Domain 'ctl-life' suspended\n");
  assert_domstate (env, uuid, "paused");
  hangar_test_ctl_ok (env, &out, "domstate", "--reason", name, NULL);
  g_assert_cmpstr (out, ==, "paused (paused by user)\n");
  status = hangar_test_ctl (env, &out, &err, "suspend", name, NULL);
  hangar_assert_ctl_error (status, err, "paused");
  hangar_test_ctl_ok (env, &out, "resume", uuid, NULL);
  g_assert_cmpstr (out, ==, "Domain 'ctl-life' resumed\n");
  assert_domstate (env, name, "running");

  /* A running machine keeps its definition. */
  status = hangar_test_ctl (env, &out, &err, "undefine", name, NULL);
  hangar_assert_ctl_error (status, err, "ctl-life");
  g_assert_cmpstr (out, ==, "");

  /* reboot goes through the guest, reset does not: both boot it again. */
  hangar_test_ctl_ok (env, &out, "reboot", name, NULL);
  g_assert_cmpstr (out, ==, "Domain 'ctl-life' is being rebooted\n");
  wait_for_boots (env, name, 2);
  assert_domstate (env, name, "running");
  hangar_test_ctl_ok (env, &out, "reset", name, NULL);
  g_assert_cmpstr (out, ==, "Domain 'ctl-life' was reset\n");
  assert_domstate (env, name, "running");
  wait_for_boots (env, name, 3);

  /* shutdown: the guest powers itself off. */
  hangar_test_ctl_ok (env, &out, "shutdown", name, NULL);
  g_assert_cmpstr (out, ==, "Domain 'ctl-life' is being shutdown\n");
  if (!wait_for_domstate (env, name, "shut off", STATE_TIMEOUT_S))
    g_error ("ctl-life did not power off after shutdown");
  hangar_test_ctl_ok (env, &out, "domstate", "--reason", name, NULL);
  g_assert_cmpstr (out, ==, "shut off (guest powered off)\n");
  hangar_test_ctl_ok (env, &out, "console-log", name, NULL);
  g_assert_nonnull (strstr (out, "HANGAR-GUEST-POWEROFF"));
  hangar_test_ctl_ok (env, &out, "list", NULL);
  g_assert_cmpstr (out, ==, " Id   Name   State\n" "--------------------\n");
  status = hangar_test_ctl (env, &out, &err, "shutdown", name, NULL);
  hangar_assert_ctl_error (status, err, "not running");

  /* start by UUID, destroy by UUID. */
  hangar_test_ctl_ok (env, &out, "start", uuid, NULL);
  g_assert_cmpstr (out, ==, "Domain 'ctl-life' started\n");
  assert_domstate (env, uuid, "running");
  hangar_test_ctl_ok (env, &out, "destroy", uuid, NULL);
  g_assert_cmpstr (out, ==, "Domain 'ctl-life' destroyed\n");
  assert_domstate (env, name, "shut off");
  hangar_test_ctl_ok (env, &out, "domstate", "--reason", uuid, NULL);
  g_assert_cmpstr (out, ==, "shut off (destroyed)\n");
  hangar_test_ctl_ok (env, &out, "list", "--all", NULL);
  g_assert_cmpstr (out, ==,
                   " Id   Name       State\n"
                   "---------------------------\n"
                   " -    ctl-life   shut off\n");
  {
    g_autoptr(GArray) qemu_pids = hangar_test_env_qemu_pids (env);

    g_assert_cmpuint (qemu_pids->len, ==, 0);
  }

  hangar_test_env_free (env);
}

/* What a user gets wrong, and an engine that is not there. */
static void
test_errors (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *xml = hangar_test_guest_xml ("ctl-errors", NULL);
  g_autofree char *uuid = ctl_define (env, "ctl-errors", xml);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *no_socket = NULL;
  HangarCtlOptions elsewhere = { 0 };
  const char *unknown_verbs[] = { "dominfo", "start", "dumpxml", "edit", "undefine", NULL };
  int status;

  /* An unknown machine is named, whatever the verb. */
  for (guint i = 0; unknown_verbs[i] != NULL; i++)
    {
      status = hangar_test_ctl (env, &out, &err, unknown_verbs[i], "no-such-machine", NULL);
      hangar_assert_ctl_error (status, err, "'no-such-machine'");
      g_assert_cmpstr (out, ==, "");
    }

  /* Bad verbs, options and argument counts. */
  status = hangar_test_ctl (env, &out, &err, "frobnicate", "ctl-errors", NULL);
  hangar_assert_ctl_error (status, err, "frobnicate");
  status = hangar_test_ctl (env, &out, &err, "list", "--no-such-option", NULL);
  hangar_assert_ctl_error (status, err, "--no-such-option");
  status = hangar_test_ctl (env, &out, &err, "start", NULL);
  hangar_assert_ctl_error (status, err, "NAME");
  status = hangar_test_ctl (env, &out, &err, "domstate", "ctl-errors", "extra", NULL);
  hangar_assert_ctl_error (status, err, "extra");
  status = hangar_test_ctl (env, &out, &err, "resume", "ctl-errors", NULL);
  hangar_assert_ctl_error (status, err, "not paused");

  /* define: the engine's own message, on one line. */
  {
    const struct {
      const char *file;
      const char *contents;
      int         code;
      const char *needle;
    } broken[] = {
      { "not-xml.xml", "<domain type='kvm'><name>broken</name>\n", HANGAR_ERROR_INVALID_XML, NULL },
      { "no-memory.xml", "<domain type='kvm'><name>broken</name><memory>0</memory>"
        "<os><type>hvm</type></os></domain>\n", HANGAR_ERROR_INVALID_XML, NULL },
      { "hostdev.xml", "<domain type='kvm'><name>broken</name><memory unit='MiB'>64</memory>"
        "<os><type>hvm</type></os><devices><hostdev mode='subsystem' type='usb'/></devices>"
        "</domain>\n", HANGAR_ERROR_UNSUPPORTED, "hostdev" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (broken); i++)
      {
        g_autofree char *path = write_tmp_file (env, broken[i].file, broken[i].contents, 0644);
        g_autoptr(GError) error = NULL;
        g_autofree char *expected = NULL;

        hangar_manager_call_validate_machine_xml_sync (env->manager, broken[i].contents, NULL, &error);
        hangar_assert_engine_error (error, broken[i].code, broken[i].needle);
        g_assert_null (strchr (error->message, '\n'));
        expected = g_strdup_printf ("error: %s\n", error->message);

        g_assert_cmpint (hangar_test_ctl (env, &out, &err, "define", path, NULL), ==, 1);
        g_assert_cmpstr (err, ==, expected);
        g_assert_cmpstr (out, ==, "");
      }
  }
  {
    g_autofree char *missing = g_build_filename (env->tmpdir, "missing.xml", NULL);

    status = hangar_test_ctl (env, &out, &err, "define", missing, NULL);
    hangar_assert_ctl_error (status, err, missing);
  }

  /* Nothing of that changed the machine. */
  hangar_test_ctl_ok (env, &out, "list", "--all", "--uuid", NULL);
  {
    g_autofree char *expected = g_strdup_printf ("%s\n", uuid);

    g_assert_cmpstr (out, ==, expected);
  }

  /* Addresses that lead nowhere. */
  no_socket = g_strdup_printf ("unix:path=%s/no-such-socket", env->tmpdir);
  elsewhere.address = no_socket;
  status = hangar_test_ctl_with (env, &elsewhere, &out, &err, "list", NULL);
  hangar_assert_ctl_error (status, err, "Cannot connect");
  g_assert_nonnull (strstr (err, no_socket));
  g_assert_cmpstr (out, ==, "");
  elsewhere.address = "qemu:///system";
  status = hangar_test_ctl_with (env, &elsewhere, &out, &err, "list", NULL);
  hangar_assert_ctl_error (status, err, "libvirt URI");

  /* A bus without an engine: every verb says so, list does not print an
   * empty table. */
  hangar_test_env_kill_engine (env, SIGTERM);
  status = hangar_test_ctl (env, &out, &err, "list", "--all", NULL);
  hangar_assert_ctl_error (status, err, "No Hangar engine");
  g_assert_nonnull (strstr (err, env->bus_address));
  g_assert_cmpstr (out, ==, "");
  status = hangar_test_ctl (env, &out, &err, "dominfo", "ctl-errors", NULL);
  hangar_assert_ctl_error (status, err, "No Hangar engine");
  status = hangar_test_ctl (env, &out, &err, "nodeinfo", NULL);
  hangar_assert_ctl_error (status, err, "No Hangar engine");
  g_assert_cmpstr (out, ==, "");

  hangar_test_env_free (env);
}

/* edit: $EDITOR on the definition, validated by the engine, redefined; on
 * a bad edit the question, and the user's text is never lost. */
static void
test_edit (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  const char *name = "ctl-edit";
  g_autofree char *xml = hangar_test_guest_xml (name, NULL);
  g_autofree char *uuid = ctl_define (env, name, xml);
  g_autofree char *grow_memory = write_tmp_file (env, "grow-memory.sh",
    "#!/bin/sh\n"
    "exec sed -i 's|<memory unit=.MiB.>128</memory>|<memory unit=\"MiB\">256</memory>|' \"$1\"\n",
    0755);
  g_autofree char *break_xml = write_tmp_file (env, "break-xml.sh",
    "#!/bin/sh\n"
    "exec sed -i 's|</domain>|<broken|' \"$1\"\n",
    0755);
  g_autofree char *break_then_fix = write_tmp_file (env, "break-then-fix.sh",
    "#!/bin/sh\n"
    "if [ -e \"$0.ran\" ]; then\n"
    "  exec sed -i 's|<broken|</domain>|; s|<vcpu>1</vcpu>|<vcpu>2</vcpu>|' \"$1\"\n"
    "fi\n"
    ": > \"$0.ran\"\n"
    "exec sed -i 's|</domain>|<broken|' \"$1\"\n",
    0755);
  g_autofree char *answer_no = write_tmp_file (env, "answer-no", "n\n", 0644);
  g_autofree char *answer_yes = write_tmp_file (env, "answer-yes", "y\n", 0644);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *engine_message = NULL;
  HangarCtlOptions options = { 0 };

  /* A good edit: redefined, and dominfo shows it. */
  options.editor = grow_memory;
  g_assert_cmpint (hangar_test_ctl_with (env, &options, &out, &err, "edit", name, NULL), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_cmpstr (out, ==, "Domain 'ctl-edit' XML configuration edited.\n");
  hangar_test_ctl_ok (env, &out, "dominfo", name, NULL);
  assert_dominfo_field (out, "Max memory:", "262144 KiB");
  assert_dominfo_field (out, "UUID:", uuid);

  /* An editor that changes nothing. */
  options.editor = "true";
  g_assert_cmpint (hangar_test_ctl_with (env, &options, &out, &err, "edit", name, NULL), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_cmpstr (out, ==, "Domain 'ctl-edit' XML configuration not changed.\n");

  /* The engine's words for the broken text the next edits make. */
  hangar_test_ctl_ok (env, &before, "dumpxml", name, NULL);
  {
    g_auto(GStrv) parts = g_strsplit (before, "</domain>", 2);
    g_autofree char *broken = g_strconcat (parts[0], "<broken", parts[1], NULL);
    g_autoptr(GError) error = NULL;

    hangar_manager_call_validate_machine_xml_sync (env->manager, broken, NULL, &error);
    hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_XML, NULL);
    engine_message = g_strdup_printf ("error: %s\n", error->message);
  }

  /* A bad edit, answered "n": nothing changes, the text is kept. */
  options.editor = break_xml;
  options.stdin_path = answer_no;
  g_assert_cmpint (hangar_test_ctl_with (env, &options, &out, &err, "edit", name, NULL), ==, 1);
  g_assert_cmpstr (err, ==, engine_message);
  g_assert_true (g_str_has_prefix (out, "Failed. Try again? [y,n,i,f,?]: n\n"
                                        "Domain 'ctl-edit' XML configuration not changed; "
                                        "your text is kept in "));
  {
    g_autofree char *kept_path = g_strchomp (g_strdup (strstr (out, "kept in ") + strlen ("kept in ")));
    g_autofree char *kept = NULL;

    g_assert_true (g_str_has_prefix (kept_path, env->tmpdir));
    g_assert_true (g_file_get_contents (kept_path, &kept, NULL, NULL));
    g_assert_nonnull (strstr (kept, "<broken"));
    g_assert_nonnull (strstr (kept, "<name>ctl-edit</name>"));
  }
  hangar_test_ctl_ok (env, &after, "dumpxml", name, NULL);
  g_assert_cmpstr (after, ==, before);

  /* The same with no answer at all (stdin at its end): no, not a hang. */
  options.stdin_path = NULL;
  g_assert_cmpint (hangar_test_ctl_with (env, &options, &out, &err, "edit", name, NULL), ==, 1);
  g_assert_cmpstr (err, ==, engine_message);
  g_assert_nonnull (strstr (out, "XML configuration not changed; your text is kept in "));
  hangar_test_ctl_ok (env, &after, "dumpxml", name, NULL);
  g_assert_cmpstr (after, ==, before);

  /* Broken the first time, "y", fixed the second: the fix is the user's
   * text edited again, not a fresh copy. */
  options.editor = break_then_fix;
  options.stdin_path = answer_yes;
  g_assert_cmpint (hangar_test_ctl_with (env, &options, &out, &err, "edit", name, NULL), ==, 0);
  g_assert_cmpstr (err, ==, engine_message);
  g_assert_cmpstr (out, ==, "Failed. Try again? [y,n,i,f,?]: y\n"
                            "Domain 'ctl-edit' XML configuration edited.\n");
  hangar_test_ctl_ok (env, &out, "dominfo", name, NULL);
  assert_dominfo_field (out, "CPU(s):", "2");
  assert_dominfo_field (out, "Max memory:", "262144 KiB");

  hangar_test_env_free (env);
}

/* top in batch mode: frames one after another, a row per running machine
 * with rates measured between two samples, shut-off ones with --all. */
static void
test_top (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *busy_xml = hangar_test_guest_xml ("top-busy", "hangar.heartbeat");
  g_autofree char *idle_xml = hangar_test_guest_xml ("top-idle", NULL);
  g_autoptr(HangarMachine) busy = hangar_test_env_define (env, busy_xml);
  g_autoptr(HangarMachine) idle = hangar_test_env_define (env, idle_xml);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *all = NULL;
  g_auto(GStrv) lines = NULL;
  guint headers = 0, busy_rows = 0;

  hangar_machine_call_start_sync (busy, NULL, &error);
  g_assert_no_error (error);

  hangar_test_ctl_ok (env, &out, "top", "--batch", "--iterations", "2", "--delay", "0.5", NULL);
  g_test_message ("%s", out);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      g_auto(GStrv) words = NULL;

      if (g_str_has_prefix (lines[i], "hangarctl top - "))
        {
          g_assert_nonnull (strstr (lines[i], "2 machines, 1 running"));
          headers++;
          continue;
        }
      for (guint f = 0; fields[f] != NULL; f++)
        if (*fields[f] != '\0')
          g_strv_builder_add (builder, fields[f]);
      words = g_strv_builder_end (builder);
      /* ID State(2 words: "running") %CPU ... Name */
      if (g_strv_length (words) >= 11 && g_str_equal (words[g_strv_length (words) - 1], "top-busy"))
        {
          char *end = NULL;
          double cpu = g_ascii_strtod (words[2], &end);

          g_assert_cmpstr (words[1], ==, "running");
          g_assert_true (end != words[2] && *end == '\0');
          g_assert_cmpfloat (cpu, >=, 0.0);
          busy_rows++;
        }
    }
  g_assert_cmpuint (headers, ==, 2);
  g_assert_cmpuint (busy_rows, ==, 2);
  g_assert_null (strstr (out, "top-idle"));

  hangar_test_ctl_ok (env, &all, "top", "--batch", "-n", "1", "-d", "0.2", "--all", NULL);
  g_assert_nonnull (strstr (all, "top-idle"));

  {
    g_autofree char *bad_out = NULL;
    g_autofree char *err = NULL;
    int status = hangar_test_ctl (env, &bad_out, &err, "top", "--delay", "0", NULL);

    hangar_assert_ctl_error (status, err, "--delay");
  }
  (void) idle;
  hangar_test_env_free (env);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hangarctl/define-and-inspect", test_define_and_inspect);
  g_test_add_func ("/hangarctl/errors", test_errors);
  g_test_add_func ("/hangarctl/edit", test_edit);
  g_test_add_func ("/hangarctl/lifecycle", test_lifecycle);
  g_test_add_func ("/hangarctl/top", test_top);

  return g_test_run ();
}
