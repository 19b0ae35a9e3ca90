/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-devices"

/* Hardware changes on the real engine and real QEMU (TCG) with the busybox
 * test guest: a live CD change the guest reads, disks and network
 * interfaces hot-plugged and unplugged as the guest sees them, changes for
 * the next boot (memory, vCPUs, pins, cache mode) in GetXml and on the
 * next start's QEMU command line, vCPU pinning live, huge pages refused on
 * a host without them, hangarctl's verbs, and bad input. The guest's
 * hangar.devwatch word prints its disks, NICs and CD label whenever they
 * change ("HANGAR-GUEST-DEVICES block=… net=… cd=…"). */

#include <fcntl.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "hangar-test-env.h"
#include "hangard-error.h"

#define BOOT_TIMEOUT_S 300
#define STATE_TIMEOUT_S 120
#define DEVICE_TIMEOUT_S 120
/* Device calls wait for the guest (an unplug): more than D-Bus' default. */
#define CALL_TIMEOUT_MS (300 * 1000)

#define DEVICES_MARKER "HANGAR-GUEST-DEVICES "

/* ---- Helpers ---------------------------------------------------------------- */

static void
run_ok (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", argv[0], err);
}

/* A tiny ISO 9660 image with volume label `label` and a marker file. */
static char *
make_iso (HangarTestEnv *env,
          const char    *name,
          const char    *label)
{
  g_autofree char *dir = g_build_filename (env->tmpdir, label, NULL);
  g_autofree char *marker = g_build_filename (dir, "MARKER.TXT", NULL);
  char *path = g_build_filename (env->tmpdir, name, NULL);
  const char *argv[] = { "xorriso", "-as", "mkisofs", "-quiet", "-o", path, "-V", label, dir, NULL };

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (marker, label, -1, NULL));
  run_ok (argv);
  return path;
}

static char *
make_raw_image (HangarTestEnv *env,
                const char    *name,
                goffset        size)
{
  char *path = g_build_filename (env->tmpdir, name, NULL);
  int fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, size), ==, 0);
  close (fd);
  return path;
}

static char *
make_qcow2_image (HangarTestEnv *env,
                  const char    *name)
{
  char *path = g_build_filename (env->tmpdir, name, NULL);
  const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", path, "16M", NULL };

  run_ok (argv);
  return path;
}

/* The test guest's definition with `devices` (XML) added to its <devices>. */
static char *
guest_xml_with (HangarTestEnv *env,
                const char    *name,
                const char    *cmdline,
                const char    *devices)
{
  g_autofree char *xml = hangar_test_env_guest_xml (env, name, cmdline);
  GString *out = g_string_new (xml);
  const char *at = strstr (out->str, "</devices>");

  g_assert_nonnull (at);
  g_string_insert (out, at - out->str, devices);
  return g_string_free (out, FALSE);
}

static GVariant *
targets (gboolean live,
         gboolean config)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  if (live)
    g_variant_builder_add (&builder, "{sv}", "live", g_variant_new_boolean (TRUE));
  if (config)
    g_variant_builder_add (&builder, "{sv}", "config", g_variant_new_boolean (TRUE));
  return g_variant_builder_end (&builder);
}

static void
assert_applied (GVariant *result,
                gboolean  live,
                gboolean  config)
{
  gboolean got_live = !live;
  gboolean got_config = !config;

  g_assert_nonnull (result);
  g_assert_true (g_variant_lookup (result, "live", "b", &got_live));
  g_assert_true (g_variant_lookup (result, "config", "b", &got_config));
  g_assert_cmpint (got_live, ==, live);
  g_assert_cmpint (got_config, ==, config);
}

typedef gboolean (*DeviceCall) (HangarMachine *proxy, const char *xml, GVariant *options,
                                GVariant **result, GCancellable *cancellable, GError **error);

/* A device call that must succeed, applied where `live`/`config` say. */
static void
device_ok (HangarMachine *machine,
           DeviceCall     call,
           const char    *xml,
           GVariant      *options,
           gboolean       live,
           gboolean       config)
{
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GError) error = NULL;

  call (machine, xml, options, &result, NULL, &error);
  g_assert_no_error (error);
  assert_applied (result, live, config);
}

/* A device call that must fail with `code`, its message saying `needle`. */
static void
device_refused (HangarMachine *machine,
                DeviceCall     call,
                const char    *xml,
                GVariant      *options,
                int            code,
                const char    *needle)
{
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GError) error = NULL;

  call (machine, xml, options, &result, NULL, &error);
  hangar_assert_engine_error (error, code, needle);
  g_test_message ("Refused as expected: %s", error->message);
}

static char *
get_xml (HangarMachine *machine,
         gboolean       live)
{
  g_autoptr(GError) error = NULL;
  char *xml = NULL;

  hangar_machine_call_get_xml_sync (machine, targets (live, FALSE), &xml, NULL, &error);
  g_assert_no_error (error);
  return xml;
}

static char *
log_text (HangarMachine *machine,
          gboolean       qemu)
{
  g_autoptr(GVariant) log = NULL;
  g_autoptr(GError) error = NULL;
  const char *bytes;
  gsize length;

  if (qemu)
    hangar_machine_call_get_qemu_log_sync (machine, 0, &log, NULL, &error);
  else
    hangar_machine_call_get_console_log_sync (machine, 0, &log, NULL, &error);
  g_assert_no_error (error);
  bytes = g_variant_get_fixed_array (log, &length, 1);
  return g_strndup (length ? bytes : "", length);
}

/* The guest's last "HANGAR-GUEST-DEVICES …" line (without the marker), or NULL. */
static char *
last_devices_line (HangarMachine *machine)
{
  g_autofree char *text = log_text (machine, FALSE);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  char *last = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *at = strstr (lines[i], DEVICES_MARKER);

      if (at != NULL)
        {
          g_free (last);
          last = g_strdup (at + strlen (DEVICES_MARKER));
          g_strdelimit (last, "\r", ' ');
          g_strstrip (last);
        }
    }
  return last;
}

/* Whether `word` is one of the space-separated words of `line`, or what
 * follows "key=" in one ("block=vda vdb": vda and vdb). */
static gboolean
has_word (const char *line,
          const char *word)
{
  g_auto(GStrv) words = g_strsplit (line, " ", -1);

  for (guint i = 0; words[i] != NULL; i++)
    {
      const char *equals = strchr (words[i], '=');

      if (g_str_equal (words[i], word) || (equals != NULL && g_str_equal (equals + 1, word)))
        return TRUE;
    }
  return FALSE;
}

typedef struct {
  HangarMachine *machine;
  const char    *word;     /* in the last line, or with `absent` not */
  gboolean       absent;
} DevicesWait;

static gboolean
devices_line_matches (gpointer data)
{
  DevicesWait *wait = data;
  g_autofree char *line = last_devices_line (wait->machine);

  return line != NULL && has_word (line, wait->word) != wait->absent;
}

static void
wait_for_devices (HangarMachine *machine,
                  const char    *word,
                  gboolean       absent)
{
  DevicesWait wait = { machine, word, absent };

  if (!hangar_test_wait_until (devices_line_matches, &wait, DEVICE_TIMEOUT_S))
    {
      g_autofree char *line = last_devices_line (machine);

      g_error ("the guest never said %s'%s'; its last word: %s", absent ? "without " : "", word,
               line != NULL ? line : "(nothing)");
    }
}

static HangarMachine *
define_and_start (HangarTestEnv *env,
                  const char    *xml)
{
  g_autoptr(GError) error = NULL;
  HangarMachine *machine = hangar_test_env_define (env, xml);

  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (machine), CALL_TIMEOUT_MS);
  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "running", STATE_TIMEOUT_S));
  return machine;
}

static void
force_off (HangarMachine *machine)
{
  g_autoptr(GError) error = NULL;

  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", STATE_TIMEOUT_S));
}

/* The MAC of the machine's last interface in `xml`. */
static char *
last_mac (const char *xml)
{
  const char *at = NULL;

  for (const char *p = strstr (xml, "<mac address=\""); p != NULL; p = strstr (p + 1, "<mac address=\""))
    at = p;
  g_assert_nonnull (at);
  return g_strndup (at + strlen ("<mac address=\""), 17);
}

/* A line of `text` whose words are `first` and `second`. */
static gboolean
has_row (const char *text,
         const char *first,
         const char *second)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = g_strsplit_set (g_strstrip (lines[i]), " \t", -1);
      g_autoptr(GPtrArray) kept = g_ptr_array_new ();

      for (guint j = 0; words[j] != NULL; j++)
        if (*words[j] != '\0')
          g_ptr_array_add (kept, words[j]);
      if (kept->len == 2 && g_str_equal (kept->pdata[0], first) && g_str_equal (kept->pdata[1], second))
        return TRUE;
    }
  return FALSE;
}

/* ---- Live: CD change, disk and NIC hot-plug ----------------------------------------- */

#define CDROM_XML(source) \
  "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>" source \
  "<target dev='hdc' bus='ide'/><readonly/></disk>"

static void
test_live_cdrom (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *iso_a = make_iso (env, "a.iso", "HANGAR_CD_A");
  g_autofree char *iso_b = make_iso (env, "b.iso", "HANGAR_CD_B");
  g_autofree char *first = g_markup_printf_escaped (CDROM_XML ("<source file='%s'/>"), iso_a);
  g_autofree char *second = g_markup_printf_escaped (CDROM_XML ("<source file='%s'/>"), iso_b);
  g_autofree char *xml = guest_xml_with (env, "cd", "hangar.cdrom hangar.devwatch", first);
  g_autoptr(HangarMachine) machine = define_and_start (env, xml);
  g_autofree char *live = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *out = NULL;

  wait_for_devices (machine, "cd=HANGAR_CD_A", FALSE);

  /* No option on a running machine: now, not in the definition. */
  device_ok (machine, hangar_machine_call_update_device_sync, second, targets (FALSE, FALSE), TRUE, FALSE);
  wait_for_devices (machine, "cd=HANGAR_CD_B", FALSE);
  live = get_xml (machine, TRUE);
  stored = get_xml (machine, FALSE);
  g_assert_nonnull (strstr (live, "b.iso"));
  g_assert_null (strstr (live, "a.iso"));
  g_assert_nonnull (strstr (stored, "a.iso"));

  /* A medium QEMU cannot open: refused, the old one stays in. */
  device_refused (machine, hangar_machine_call_update_device_sync,
                  CDROM_XML ("<source file='/nonexistent/c.iso'/>"), targets (TRUE, FALSE),
                  HANGAR_ERROR_QEMU, "c.iso");
  g_clear_pointer (&live, g_free);
  live = get_xml (machine, TRUE);
  g_assert_nonnull (strstr (live, "b.iso"));
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "running");

  /* Not a CD-ROM, no such drive, and an interface: nothing changes. */
  device_refused (machine, hangar_machine_call_update_device_sync,
                  "<disk type='file' device='cdrom'><target dev='hdd' bus='ide'/></disk>",
                  targets (FALSE, FALSE), HANGAR_ERROR_NOT_FOUND, "hdd");
  device_refused (machine, hangar_machine_call_update_device_sync,
                  "<interface type='user'/>", targets (FALSE, FALSE), HANGAR_ERROR_UNSUPPORTED, NULL);
  /* A CD-ROM drive cannot be plugged into a running PC. */
  device_refused (machine, hangar_machine_call_attach_device_sync,
                  "<disk type='file' device='cdrom'><target dev='hdd' bus='ide'/></disk>",
                  targets (TRUE, FALSE), HANGAR_ERROR_UNSUPPORTED, "ide");

  /* Eject, now and in the definition: hangarctl change-media. */
  hangar_test_ctl_ok (env, &out, "change-media", "cd", "hdc", "--eject", "--live", "--config", NULL);
  hangar_assert_has_line (out, "Successfully ejected media.");
  wait_for_devices (machine, "cd=none", FALSE);
  g_clear_pointer (&stored, g_free);
  stored = get_xml (machine, FALSE);
  g_assert_null (strstr (stored, "a.iso"));

  /* And back in, with hangarctl again: the guest reads the new label. */
  hangar_test_ctl_ok (env, &out, "change-media", "cd", "hdc", iso_a, "--insert", NULL);
  hangar_assert_has_line (out, "Successfully inserted media.");
  g_assert_nonnull (strstr (out, "definition is unchanged"));
  wait_for_devices (machine, "cd=HANGAR_CD_A", FALSE);

  force_off (machine);
  hangar_test_env_free (env);
}

#define VIRTIO_DISK_XML \
  "<disk type='file' device='disk'><driver name='qemu' type='%s'/><source file='%s'/>" \
  "<target dev='%s' bus='virtio'/></disk>"

static void
test_live_disk_and_nic (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *root = make_raw_image (env, "root.img", 8 * 1024 * 1024);
  g_autofree char *data = make_qcow2_image (env, "data.qcow2");
  g_autofree char *root_xml = g_markup_printf_escaped (VIRTIO_DISK_XML, "raw", root, "vda");
  g_autofree char *data_xml = g_markup_printf_escaped (VIRTIO_DISK_XML, "qcow2", data, "vdb");
  g_autofree char *sata_xml = g_markup_printf_escaped (
    "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='%s'/>"
    "<target dev='sdb' bus='sata'/></disk>", data);
  g_autofree char *devices = g_strconcat (root_xml, "<interface type='user'><model type='virtio'/></interface>",
                                          NULL);
  /* vda from the start, so the hot-plugged disk is the guest's vdb. */
  g_autofree char *xml = guest_xml_with (env, "hot", "hangar.devwatch hangar.dhcp", devices);
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(GVariant) stats = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *live = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *mac = NULL;
  g_autofree char *nic_xml = NULL;
  g_autofree char *line = NULL;

  machine = define_and_start (env, xml);
  wait_for_devices (machine, "vda", FALSE);
  line = last_devices_line (machine);
  g_assert_true (has_word (line, "eth0"));
  g_assert_false (has_word (line, "vdb"));

  /* A disk, live: the guest sees a new virtio disk. */
  device_ok (machine, hangar_machine_call_attach_device_sync, data_xml, targets (TRUE, FALSE), TRUE, FALSE);
  wait_for_devices (machine, "vdb", FALSE);
  live = get_xml (machine, TRUE);
  stored = get_xml (machine, FALSE);
  g_assert_nonnull (strstr (live, "data.qcow2"));
  g_assert_null (strstr (stored, "data.qcow2"));
  hangar_machine_call_get_stats_sync (machine, &stats, NULL, &error);
  g_assert_no_error (error);
  {
    g_autofree char *printed = g_variant_print (stats, FALSE);
    g_assert_nonnull (strstr (printed, "'vdb'"));
  }

  /* Taken target, a bus that cannot hot-plug, bad XML: refused, nothing changes. */
  device_refused (machine, hangar_machine_call_attach_device_sync, data_xml, targets (TRUE, FALSE),
                  HANGAR_ERROR_ALREADY_EXISTS, "vdb");
  device_refused (machine, hangar_machine_call_attach_device_sync, sata_xml, targets (TRUE, FALSE),
                  HANGAR_ERROR_UNSUPPORTED, "sata");
  device_refused (machine, hangar_machine_call_attach_device_sync, "<disk", targets (TRUE, FALSE),
                  HANGAR_ERROR_INVALID_XML, NULL);
  device_refused (machine, hangar_machine_call_attach_device_sync,
                  "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
                  "<source file='/nonexistent/x.img'/><target dev='vdc' bus='virtio'/></disk>",
                  targets (TRUE, FALSE), HANGAR_ERROR_QEMU, "x.img");
  device_refused (machine, hangar_machine_call_detach_device_sync,
                  "<disk><target dev='vdz'/></disk>", targets (TRUE, FALSE), HANGAR_ERROR_NOT_FOUND, "vdz");
  g_clear_pointer (&live, g_free);
  live = get_xml (machine, TRUE);
  g_assert_null (strstr (live, "vdc"));
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "running");

  /* Unplugged: the call returns once the guest let go. */
  device_ok (machine, hangar_machine_call_detach_device_sync, "<disk><target dev='vdb'/></disk>",
             targets (FALSE, FALSE), TRUE, FALSE);
  wait_for_devices (machine, "vdb", TRUE);
  g_clear_pointer (&live, g_free);
  live = get_xml (machine, TRUE);
  g_assert_null (strstr (live, "data.qcow2"));
  /* Its node is gone too: the same disk plugs in again. */
  device_ok (machine, hangar_machine_call_attach_device_sync, data_xml, targets (TRUE, FALSE), TRUE, FALSE);
  wait_for_devices (machine, "vdb", FALSE);

  /* A network interface, live, with hangarctl. */
  {
    g_autofree char *out = NULL;

    hangar_test_ctl_ok (env, &out, "attach-interface", "hot", "user", "--model", "e1000", "--live", NULL);
    hangar_assert_has_line (out, "Interface attached successfully");
  }
  wait_for_devices (machine, "eth1", FALSE);
  /* Traffic flows: QEMU's slirp answers the new card's DHCP. */
  g_assert_true (hangar_test_wait_for_console (machine, "HANGAR-GUEST-IP eth1 10.0.2.15", DEVICE_TIMEOUT_S));
  g_clear_pointer (&live, g_free);
  live = get_xml (machine, TRUE);
  g_assert_nonnull (strstr (live, "e1000"));
  mac = last_mac (live);

  /* Two user interfaces now: the type alone does not say which goes. */
  device_refused (machine, hangar_machine_call_detach_device_sync, "<interface type='user'/>",
                  targets (TRUE, FALSE), HANGAR_ERROR_INVALID_ARGUMENT, "MAC");
  nic_xml = g_strdup_printf ("<interface type='user'><mac address='%s'/></interface>", mac);
  device_ok (machine, hangar_machine_call_detach_device_sync, nic_xml, targets (TRUE, FALSE), TRUE, FALSE);
  wait_for_devices (machine, "eth1", TRUE);
  g_clear_pointer (&live, g_free);
  live = get_xml (machine, TRUE);
  g_assert_null (strstr (live, mac));

  /* Live and config at once: in the definition too. */
  device_ok (machine, hangar_machine_call_attach_device_sync,
             "<interface type='user'><mac address='52:54:00:aa:bb:cc'/></interface>",
             targets (TRUE, TRUE), TRUE, TRUE);
  wait_for_devices (machine, "eth1", FALSE);
  g_clear_pointer (&stored, g_free);
  stored = get_xml (machine, FALSE);
  g_assert_nonnull (strstr (stored, "52:54:00:aa:bb:cc"));

  g_assert_true (hangar_test_env_engine_alive (env));
  force_off (machine);
  hangar_test_env_free (env);
}

/* ---- Next boot: definition, then the command line ----------------------------------- */

/* Cpus_allowed_list of the QEMU thread named `name` ("CPU 1/TCG"). */
static char *
thread_cpus (guint       pid,
             const char *name)
{
  g_autofree char *dir_path = g_strdup_printf ("/proc/%u/task", pid);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *tid;

  g_assert_nonnull (dir);
  while ((tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *comm_path = g_build_filename (dir_path, tid, "comm", NULL);
      g_autofree char *status_path = g_build_filename (dir_path, tid, "status", NULL);
      g_autofree char *comm = NULL;
      g_autofree char *status = NULL;
      const char *at;

      if (!g_file_get_contents (comm_path, &comm, NULL, NULL) || !g_str_has_prefix (comm, name) ||
          !g_file_get_contents (status_path, &status, NULL, NULL))
        continue;
      at = strstr (status, "Cpus_allowed_list:");
      g_assert_nonnull (at);
      at += strlen ("Cpus_allowed_list:");
      while (*at == ' ' || *at == '\t')
        at++;
      return g_strndup (at, strcspn (at, "\n"));
    }
  return NULL;
}

static gboolean
host_has_hugepages (void)
{
  g_autofree char *meminfo = NULL;
  const char *at;

  if (!g_file_get_contents ("/proc/meminfo", &meminfo, NULL, NULL) ||
      (at = strstr (meminfo, "HugePages_Total:")) == NULL)
    return FALSE;
  return g_ascii_strtoull (at + strlen ("HugePages_Total:"), NULL, 10) > 0;
}

static void
test_next_boot (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *data = make_qcow2_image (env, "next.qcow2");
  g_autofree char *disk_xml = g_markup_printf_escaped (
    "<disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='writethrough'/>"
    "<source file='%s'/><target dev='vdb' bus='virtio'/></disk>", data);
  g_autofree char *xml = hangar_test_env_guest_xml (env, "next", NULL);
  g_autoptr(HangarMachine) machine = hangar_test_env_define (env, xml);
  g_autoptr(GVariant) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *qemu_log = NULL;
  g_autofree char *cpus = NULL;
  g_autofree char *out = NULL;
  gboolean two_cpus = sysconf (_SC_NPROCESSORS_ONLN) >= 2;

  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (machine), CALL_TIMEOUT_MS);

  /* Shut off: no option means the definition; live is refused. */
  device_ok (machine, hangar_machine_call_attach_device_sync, disk_xml, targets (FALSE, FALSE), FALSE, TRUE);
  device_refused (machine, hangar_machine_call_detach_device_sync, "<disk><target dev='vdb'/></disk>",
                  targets (TRUE, FALSE), HANGAR_ERROR_INVALID_STATE, "not running");

  hangar_machine_call_set_memory_sync (machine, 256 * 1024, targets (FALSE, TRUE), &result, NULL, &error);
  g_assert_no_error (error);
  assert_applied (result, FALSE, TRUE);
  g_clear_pointer (&result, g_variant_unref);
  /* hangarctl: setvcpus and vcpupin --config print nothing, as virsh. */
  hangar_test_ctl_ok (env, &out, "setvcpus", "next", "2", "--config", NULL);
  g_assert_cmpstr (out, ==, "");
  hangar_test_ctl_ok (env, &out, "vcpupin", "next", "1", "0", "--config", NULL);
  g_assert_cmpstr (out, ==, "");
  hangar_test_ctl_ok (env, &out, "vcpupin", "next", NULL);
  g_assert_true (has_row (out, "1", "0"));

  hangar_test_settle ();
  g_assert_cmpuint (hangar_machine_get_memory_kib (machine), ==, 256 * 1024);
  g_assert_cmpuint (hangar_machine_get_vcpus (machine), ==, 2);
  stored = get_xml (machine, FALSE);
  g_assert_nonnull (strstr (stored, "<memory unit=\"KiB\">262144</memory>"));
  g_assert_nonnull (strstr (stored, "<vcpu>2</vcpu>"));
  g_assert_nonnull (strstr (stored, "<vcpupin vcpu=\"1\" cpuset=\"0\"/>"));
  g_assert_nonnull (strstr (stored, "cache=\"writethrough\""));

  /* The next start runs all of it. */
  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "running", STATE_TIMEOUT_S));
  qemu_log = log_text (machine, TRUE);
  g_assert_nonnull (strstr (qemu_log, "-m size=256M"));
  g_assert_nonnull (strstr (qemu_log, "-smp 2"));
  g_assert_nonnull (strstr (qemu_log, "\"node-name\":\"drive-vdb\""));
  g_assert_nonnull (strstr (qemu_log, "virtio-blk-pci,drive=drive-vdb,write-cache=off,id=disk-vdb"));
  cpus = thread_cpus (hangar_machine_get_pid (machine), "CPU 1/TCG");
  g_assert_cmpstr (cpus, ==, "0");

  /* Memory and vCPUs cannot change live: said so, nothing changes. */
  hangar_machine_call_set_memory_sync (machine, 512 * 1024, targets (FALSE, FALSE), &result, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_UNSUPPORTED, "next boot");
  g_clear_error (&error);
  hangar_machine_call_set_vcpus_sync (machine, 1, targets (TRUE, TRUE), &result, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_UNSUPPORTED, "next boot");
  g_clear_error (&error);
  {
    g_autofree char *err = NULL;
    int status = hangar_test_ctl (env, &out, &err, "setmem", "next", "1G", NULL);

    hangar_assert_ctl_error (status, err, "next boot");
  }

  /* A vCPU pin, live: the thread moves; the definition keeps its own. */
  if (two_cpus)
    {
      hangar_machine_call_pin_vcpu_sync (machine, 1, "1", targets (TRUE, FALSE), &result, NULL, &error);
      g_assert_no_error (error);
      assert_applied (result, TRUE, FALSE);
      g_clear_pointer (&result, g_variant_unref);
      g_clear_pointer (&cpus, g_free);
      cpus = thread_cpus (hangar_machine_get_pid (machine), "CPU 1/TCG");
      g_assert_cmpstr (cpus, ==, "1");
      g_clear_pointer (&stored, g_free);
      stored = get_xml (machine, FALSE);
      g_assert_nonnull (strstr (stored, "<vcpupin vcpu=\"1\" cpuset=\"0\"/>"));
      g_clear_pointer (&stored, g_free);
      stored = get_xml (machine, TRUE);
      g_assert_nonnull (strstr (stored, "<vcpupin vcpu=\"1\" cpuset=\"1\"/>"));
    }
  hangar_machine_call_pin_vcpu_sync (machine, 7, "0", targets (TRUE, FALSE), &result, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_ARGUMENT, "vCPU 7");
  g_clear_error (&error);
  hangar_machine_call_pin_vcpu_sync (machine, 0, "banana", targets (TRUE, FALSE), &result, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_ARGUMENT, "banana");
  g_clear_error (&error);

  force_off (machine);

  /* Huge pages on a host without any: the start says so, plainly. */
  if (!host_has_hugepages ())
    {
      g_autofree char *huge = NULL;
      GString *edited = g_string_new (get_xml (machine, FALSE));

      g_string_replace (edited, "</vcpu>", "</vcpu><memoryBacking><hugepages/></memoryBacking>", 1);
      huge = g_string_free (edited, FALSE);
      hangar_machine_call_update_xml_sync (machine, huge, NULL, &error);
      g_assert_no_error (error);
      hangar_machine_call_start_sync (machine, NULL, &error);
      hangar_assert_engine_error (error, HANGAR_ERROR_UNSUPPORTED, "huge pages");
      g_test_message ("Refused as expected: %s", error->message);
      g_clear_error (&error);
      hangar_test_settle ();
      g_assert_cmpstr (hangar_machine_get_state (machine), ==, "shutoff");
    }

  hangar_test_env_free (env);
}

/* ---- Bad input, and hangarctl on a shut-off machine ----------------------------------- */

static void
test_bad_input (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *xml = hangar_test_env_guest_xml (env, "bad", NULL);
  g_autoptr(HangarMachine) machine = hangar_test_env_define (env, xml);
  g_autofree char *before = get_xml (machine, FALSE);
  g_autofree char *after = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *iso = make_iso (env, "c.iso", "HANGAR_CD_C");
  g_autofree char *device_file = g_build_filename (env->tmpdir, "dev.xml", NULL);
  GVariantBuilder builder;
  int status;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "now", g_variant_new_boolean (TRUE));
  device_refused (machine, hangar_machine_call_attach_device_sync, "<interface type='user'/>",
                  g_variant_builder_end (&builder), HANGAR_ERROR_INVALID_ARGUMENT, "now");
  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "live", g_variant_new_string ("yes"));
  device_refused (machine, hangar_machine_call_attach_device_sync, "<interface type='user'/>",
                  g_variant_builder_end (&builder), HANGAR_ERROR_INVALID_ARGUMENT, "boolean");
  device_refused (machine, hangar_machine_call_attach_device_sync, "<interface type='user'/>",
                  targets (TRUE, FALSE), HANGAR_ERROR_INVALID_STATE, "not running");
  device_refused (machine, hangar_machine_call_attach_device_sync, "<domain/>",
                  targets (FALSE, FALSE), HANGAR_ERROR_INVALID_XML, "<disk> or <interface>");
  device_refused (machine, hangar_machine_call_attach_device_sync, "not xml at all",
                  targets (FALSE, FALSE), HANGAR_ERROR_INVALID_XML, NULL);
  device_refused (machine, hangar_machine_call_attach_device_sync,
                  "<disk type='file' device='disk'><source file='/x.img'/><target dev='vdb'/></disk>",
                  targets (FALSE, FALSE), HANGAR_ERROR_INVALID_XML, "never guesses");
  device_refused (machine, hangar_machine_call_detach_device_sync, "<interface type='user'/>",
                  targets (FALSE, FALSE), HANGAR_ERROR_NOT_FOUND, NULL);
  device_refused (machine, hangar_machine_call_update_device_sync,
                  "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>",
                  targets (FALSE, FALSE), HANGAR_ERROR_NOT_FOUND, "hdc");
  after = get_xml (machine, FALSE);
  g_assert_cmpstr (before, ==, after);
  g_assert_true (hangar_test_env_engine_alive (env));

  /* hangarctl, virsh's words. */
  hangar_test_ctl_ok (env, &out, "attach-disk", "bad", iso, "hdc", "--type", "cdrom", NULL);
  hangar_assert_has_line (out, "Disk attached successfully");
  hangar_test_ctl_ok (env, &out, "change-media", "bad", "hdc", "--eject", NULL);
  hangar_assert_has_line (out, "Successfully ejected media.");
  hangar_test_ctl_ok (env, &out, "change-media", "bad", "hdc", iso, NULL);
  hangar_assert_has_line (out, "Successfully inserted media.");
  hangar_test_ctl_ok (env, &out, "change-media", "bad", "hdc", iso, "--update", NULL);
  hangar_assert_has_line (out, "Successfully updated media.");
  status = hangar_test_ctl (env, &out, &err, "change-media", "bad", "hdc", iso, "--insert", NULL);
  hangar_assert_ctl_error (status, err, "already holds a medium");
  hangar_test_ctl_ok (env, &out, "detach-disk", "bad", "hdc", NULL);
  hangar_assert_has_line (out, "Disk detached successfully");
  status = hangar_test_ctl (env, &out, &err, "attach-disk", "bad", iso, "vdb", NULL);
  hangar_assert_ctl_error (status, err, "--driver");
  status = hangar_test_ctl (env, &out, &err, "detach-disk", "bad", "vdq", NULL);
  hangar_assert_ctl_error (status, err, "no disk vdq");

  g_assert_true (g_file_set_contents (device_file,
                                      "<interface type='user'><mac address='52:54:00:01:02:03'/></interface>",
                                      -1, NULL));
  hangar_test_ctl_ok (env, &out, "attach-device", "bad", device_file, "--persistent", NULL);
  hangar_assert_has_line (out, "Device attached successfully");
  status = hangar_test_ctl (env, &out, &err, "attach-device", "bad", device_file, NULL);
  hangar_assert_ctl_error (status, err, "52:54:00:01:02:03");
  hangar_test_ctl_ok (env, &out, "detach-interface", "bad", "user", "--mac", "52:54:00:01:02:03", NULL);
  hangar_assert_has_line (out, "Interface detached successfully");
  hangar_test_ctl_ok (env, &out, "setmem", "bad", "192M", "--config", NULL);
  hangar_test_settle ();
  g_assert_cmpuint (hangar_machine_get_memory_kib (machine), ==, 192 * 1024);

  hangar_test_env_free (env);
}

static char *first_interface_field (HangarMachine *machine,
                                    const char    *field);

/* ---- passt: an ordinary user's engine ------------------------------------------------ */

/* passt processes whose command line has `needle` as one argument. */
static guint
count_processes_with_arg (const char *needle)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint count = 0;

  while ((name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc", name, "cmdline", NULL);
      g_autofree char *cmdline = NULL;
      gsize length = 0;

      if (!g_ascii_isdigit (*name) || !g_file_get_contents (path, &cmdline, &length, NULL) ||
          strstr (cmdline, "passt") == NULL)
        continue;
      for (gsize at = 0; at < length; at += strlen (cmdline + at) + 1)
        if (g_str_equal (cmdline + at, needle))
          count++;
    }
  return count;
}

static gboolean
no_process_with_arg (gpointer data)
{
  return count_processes_with_arg (data) == 0;
}

static void
test_passt_live (void)
{
  HangarTestEnv *env;
  g_autofree char *xml = NULL;
  g_autofree char *nic = NULL;
  g_autofree char *spec = NULL;
  g_autofree char *backend = NULL;
  g_autoptr(HangarMachine) machine = NULL;
  guint port = 20000 + (guint) ((getpid () + 11) % 20000);

  if (g_find_program_in_path ("passt") == NULL)
    {
      g_test_skip ("passt is not installed (apt-get install passt)");
      return;
    }
  env = hangar_test_env_new_unprivileged ("nobody");
  xml = hangar_test_env_guest_xml (env, "pst", "hangar.devwatch hangar.dhcp");
  machine = define_and_start (env, xml);
  wait_for_devices (machine, "lo", FALSE);

  /* A user interface plugged in live runs on passt, as at start. */
  nic = g_strdup_printf ("<interface type='user'><portForward proto='tcp' address='127.0.0.1'>"
                         "<range start='%u' to='80'/></portForward></interface>", port);
  spec = g_strdup_printf ("127.0.0.1/%u:80", port);
  device_ok (machine, hangar_machine_call_attach_device_sync, nic, targets (TRUE, FALSE), TRUE, FALSE);
  wait_for_devices (machine, "eth0", FALSE);
  backend = first_interface_field (machine, "backend");
  g_assert_cmpstr (backend, ==, "passt");
  g_assert_cmpuint (count_processes_with_arg (spec), ==, 1);
  /* Traffic flows: passt's DHCP answers the guest. */
  g_assert_true (hangar_test_wait_for_console (machine, "HANGAR-GUEST-IP eth0 ", DEVICE_TIMEOUT_S));

  /* Unplugged: passt ends with its socket. */
  device_ok (machine, hangar_machine_call_detach_device_sync, "<interface type='user'/>",
             targets (TRUE, FALSE), TRUE, FALSE);
  wait_for_devices (machine, "eth0", TRUE);
  g_assert_true (hangar_test_wait_until (no_process_with_arg, spec, 30));

  force_off (machine);
  hangar_test_env_free (env);
}

/* ---- System mode: a confined QEMU gets files and taps from the engine -------------- */

static char *
first_interface_field (HangarMachine *machine,
                       const char    *field)
{
  g_autoptr(GVariant) interfaces = NULL;
  g_autoptr(GVariant) first = NULL;
  g_autoptr(GError) error = NULL;
  char *value = NULL;

  hangar_machine_call_get_interfaces_sync (machine, &interfaces, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (interfaces), >=, 1);
  first = g_variant_get_child_value (interfaces, 0);
  g_assert_true (g_variant_lookup (first, field, "s", &value));
  return value;
}

static gboolean
link_exists (HangarTestEnv *env,
             const char    *name)
{
  const char *argv[] = { "ip", "netns", "exec", env->netns, "ip", "link", "show", name, NULL };
  int status = 1;

  g_spawn_sync (NULL, (char **) argv, NULL,
                G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, NULL);
  return g_spawn_check_wait_status (status, NULL);
}

static void
test_system_live (void)
{
  HangarTestEnv *env;
  g_autofree char *root = NULL;
  g_autofree char *data = NULL;
  g_autofree char *root_xml = NULL;
  g_autofree char *data_xml = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *tap = NULL;
  g_autofree char *backend = NULL;
  g_autoptr(HangarMachine) machine = NULL;

  if (geteuid () != 0)
    {
      g_test_skip ("a system engine needs root (for its network namespace)");
      return;
    }
  env = hangar_test_env_new (TRUE);
  root = make_raw_image (env, "sysroot.img", 8 * 1024 * 1024);
  data = make_qcow2_image (env, "sysdata.qcow2");
  root_xml = g_markup_printf_escaped (VIRTIO_DISK_XML, "raw", root, "vda");
  data_xml = g_markup_printf_escaped (VIRTIO_DISK_XML, "qcow2", data, "vdb");
  xml = guest_xml_with (env, "sys", "hangar.devwatch hangar.dhcp", root_xml);
  machine = define_and_start (env, xml);
  wait_for_devices (machine, "vda", FALSE);

  /* The engine opens the image and hands it over (add-fd): QEMU, its own
   * user, never opens a host file. */
  device_ok (machine, hangar_machine_call_attach_device_sync, data_xml, targets (TRUE, FALSE), TRUE, FALSE);
  wait_for_devices (machine, "vdb", FALSE);

  /* A tap on the default NAT network, opened by the engine (getfd). */
  device_ok (machine, hangar_machine_call_attach_device_sync,
             "<interface type='network'><source network='default'/></interface>",
             targets (TRUE, FALSE), TRUE, FALSE);
  wait_for_devices (machine, "eth0", FALSE);
  /* Traffic flows: the network's dnsmasq leases the guest an address. */
  g_assert_true (hangar_test_wait_for_console (machine, "HANGAR-GUEST-IP eth0 192.168.122.", DEVICE_TIMEOUT_S));
  tap = first_interface_field (machine, "device");
  backend = first_interface_field (machine, "backend");
  g_assert_true (g_str_has_prefix (tap, "hgtap"));
  g_assert_cmpstr (backend, ==, "tap");
  g_assert_true (link_exists (env, tap));

  /* Gone again: the guest's NIC, and the host's tap with it. */
  device_ok (machine, hangar_machine_call_detach_device_sync, "<interface type='network'/>",
             targets (TRUE, FALSE), TRUE, FALSE);
  wait_for_devices (machine, "eth0", TRUE);
  g_assert_false (link_exists (env, tap));
  device_ok (machine, hangar_machine_call_detach_device_sync, "<disk><target dev='vdb'/></disk>",
             targets (TRUE, FALSE), TRUE, FALSE);
  wait_for_devices (machine, "vdb", TRUE);
  /* Two QMP round trips: the engine's clean-up of the disk's fd set is
   * done by then, and QEMU still answers. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GVariant) stats = NULL;
      g_autoptr(GError) error = NULL;

      hangar_machine_call_get_stats_sync (machine, &stats, NULL, &error);
      g_assert_no_error (error);
    }
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "running");

  force_off (machine);
  hangar_test_env_free (env);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/devices/bad-input", test_bad_input);
  g_test_add_func ("/devices/next-boot", test_next_boot);
  g_test_add_func ("/devices/live-cdrom", test_live_cdrom);
  g_test_add_func ("/devices/live-disk-and-nic", test_live_disk_and_nic);
  g_test_add_func ("/devices/passt-live", test_passt_live);
  g_test_add_func ("/devices/system-live", test_system_live);

  return g_test_run ();
}
