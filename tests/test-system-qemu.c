/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-system-qemu"

/* System mode's confinement of QEMU: an unprivileged user, seccomp, every
 * host file handed over as a descriptor, a cgroup of its own with the
 * definition's <memtune>/<cputune>.
 *
 * The first tests need no root: <memtune>/<cputune> parsing and their
 * cgroup values, the systemd scope name, QEMU's command line with fd sets,
 * and the engine opening real qcow2 chains (qemu-img). The last ones run a
 * real system-mode hangard on a private bus (tests/hangar-test-env.h) and
 * boot the busybox guest from a qcow2 overlay in a pool, with a CD-ROM ISO
 * and its kernel and initrd, then look at the QEMU process from outside:
 * /proc/PID/status, fd, cmdline, cwd, cgroup. They skip without root. */

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hangar-test-env.h"
#include "hangard-cgroup.h"
#include "hangard-domain.h"
#include "hangard-error.h"
#include "hangard-qemu-argv.h"
#include "hangard-qemu-files.h"

#define GIB (G_GUINT64_CONSTANT (1024) * 1024 * 1024)
#define MIB (G_GUINT64_CONSTANT (1024) * 1024)
#define BOOT_TIMEOUT_S 180
#define DISK_MARKER "HANGAR-DISK-MARKER-OK"

/* ---- Helpers ------------------------------------------------------------------ */

static void
run_command (const char * const *argv)
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

/* DIR/BASE (qcow2, DISK_MARKER at offset 0) and DIR/OVERLAY on top of it,
 * named relative to the overlay, with its format recorded. */
static void
make_disk_chain (const char *dir,
                 const char *base,
                 const char *overlay)
{
  g_autofree char *raw = g_build_filename (dir, "marker.raw", NULL);
  g_autofree char *base_path = g_build_filename (dir, base, NULL);
  g_autofree char *overlay_path = g_build_filename (dir, overlay, NULL);
  g_autofree char *data = g_malloc0 (MIB);
  const char *convert[] = { "qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw, base_path, NULL };
  const char *create[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2",
                           overlay_path, NULL };

  memcpy (data, DISK_MARKER "\n", strlen (DISK_MARKER) + 1);
  g_assert_true (g_file_set_contents (raw, data, MIB, NULL));
  run_command (convert);
  g_unlink (raw);
  run_command (create);
}

/* Replaces the first `from` in the first 64 KiB of `path` with `to`
 * (same length): a way to make qcow2 headers that qemu-img refuses to. */
static void
patch_file (const char   *path,
            const guint8 *from,
            const guint8 *to,
            gsize         length)
{
  g_autofree char *contents = NULL;
  gsize size = 0;
  guint8 *found = NULL;

  g_assert_true (g_file_get_contents (path, &contents, &size, NULL));
  for (gsize i = 0; i + length <= MIN (size, 65536); i++)
    if (memcmp (contents + i, from, length) == 0)
      {
        found = (guint8 *) contents + i;
        break;
      }
  g_assert_nonnull (found);
  memcpy (found, to, length);
  g_assert_true (g_file_set_contents (path, contents, size, NULL));
}

static char *
read_proc (GPid        pid,
           const char *file)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/%s", (int) pid, file);
  char *contents = NULL;
  gsize length = 0;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  /* cmdline separates its words with NULs. */
  for (gsize i = 0; i + 1 < length; i++)
    if (contents[i] == '\0')
      contents[i] = ' ';
  return contents;
}

/* The value of "Key:" in /proc/PID/status, whitespace collapsed. */
static char *
status_field (GPid        pid,
              const char *key)
{
  g_autofree char *status = read_proc (pid, "status");
  g_auto(GStrv) lines = g_strsplit (status, "\n", -1);
  g_autofree char *prefix = g_strconcat (key, ":", NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], prefix))
      {
        g_auto(GStrv) words = g_strsplit_set (lines[i] + strlen (prefix), " \t", -1);
        g_autoptr(GStrvBuilder) kept = g_strv_builder_new ();
        g_auto(GStrv) joined = NULL;

        for (guint j = 0; words[j] != NULL; j++)
          if (*words[j] != '\0')
            g_strv_builder_add (kept, words[j]);
        joined = g_strv_builder_end (kept);
        return g_strjoinv (" ", joined);
      }
  g_error ("no %s in /proc/%d/status", key, (int) pid);
}

static char *
read_trimmed (const char *path)
{
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  return g_strstrip (contents);
}

static HangarStoragePool *
lookup_pool (HangarTestEnv *env,
             const char    *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  HangarStoragePool *pool;

  hangar_manager_call_lookup_pool_sync (env->manager, name, &path, NULL, &error);
  g_assert_no_error (error);
  pool = hangar_storage_pool_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                             "io.github.hangarvm.Hangar1", path, NULL, &error);
  g_assert_no_error (error);
  return pool;
}

/* A small definition around `devices_and_tuning` (with an <os> unless it has one). */
static char *
domain_xml (const char *devices_and_tuning)
{
  const char *os = strstr (devices_and_tuning, "<os>") != NULL
                   ? "" : "<os><type arch='x86_64' machine='pc'>hvm</type></os>";

  return g_strdup_printf ("<domain type='kvm'><name>t</name>"
                          "<memory unit='MiB'>128</memory><vcpu>2</vcpu>%s%s"
                          "</domain>", os, devices_and_tuning);
}

static HangardDomain *
parse_domain (const char *devices_and_tuning)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = domain_xml (devices_and_tuning);
  HangardDomain *domain = hangard_domain_parse (xml, -1, &error);

  g_assert_no_error (error);
  return domain;
}

static void
assert_domain_refused (const char *devices_and_tuning,
                       int         code,
                       const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = domain_xml (devices_and_tuning);
  g_autoptr(HangardDomain) domain = hangard_domain_parse (xml, -1, &error);

  if (domain != NULL)
    g_error ("this definition was accepted: %s", xml);
  g_assert_error (error, HANGAR_ERROR, code);
  if (strstr (error->message, needle) == NULL)
    g_error ("'%s' does not mention '%s'", error->message, needle);
}

/* ---- <memtune>, <cputune> ----------------------------------------------------- */

static void
test_tune_parsing (void)
{
  g_autoptr(HangardDomain) domain = NULL;
  g_autoptr(HangardDomain) copy = NULL;
  g_autofree char *xml = NULL;
  HangardCgroupLimits limits;

  domain = parse_domain ("<memtune><hard_limit unit='GiB'>1</hard_limit>"
                         "<soft_limit unit='MiB'>768</soft_limit></memtune>"
                         "<cputune><shares>512</shares><period>50000</period>"
                         "<quota>20000</quota></cputune>");
  g_assert_cmpuint (domain->hard_limit_kib, ==, GIB / 1024);
  g_assert_cmpuint (domain->soft_limit_kib, ==, 768 * 1024);
  g_assert_cmpuint (domain->cpu_shares, ==, 512);
  g_assert_cmpuint (domain->cpu_period_us, ==, 50000);
  g_assert_cmpint (domain->cpu_quota_us, ==, 20000);

  /* The stored XML keeps them, and a copy too. */
  xml = hangard_domain_to_xml (domain);
  g_assert_nonnull (strstr (xml, "<hard_limit unit=\"GiB\">1</hard_limit>"));
  copy = hangard_domain_copy (domain);
  g_assert_cmpuint (copy->hard_limit_kib, ==, GIB / 1024);

  /* libvirt's per-vCPU quota becomes one for the whole QEMU: 2 vCPUs. */
  hangard_cgroup_limits_from_domain (domain, &limits);
  g_assert_cmpuint (limits.memory_max, ==, GIB);
  g_assert_cmpuint (limits.memory_high, ==, 768 * MIB);
  g_assert_cmpuint (limits.cpu_weight, ==, 512);
  g_assert_cmpuint (limits.cpu_quota_us, ==, 40000);
  g_assert_cmpuint (limits.cpu_period_us, ==, 50000);
  g_assert_false (hangard_cgroup_limits_are_empty (&limits));
  g_clear_pointer (&domain, hangard_domain_free);

  /* A global quota that allows less wins; -1 is no limit; no period is 100 ms. */
  domain = parse_domain ("<cputune><quota>-1</quota><global_quota>30000</global_quota></cputune>");
  g_assert_cmpint (domain->cpu_quota_us, ==, -1);
  hangard_cgroup_limits_from_domain (domain, &limits);
  g_assert_cmpuint (limits.cpu_quota_us, ==, 30000);
  g_assert_cmpuint (limits.cpu_period_us, ==, 100000);
  g_clear_pointer (&domain, hangard_domain_free);

  domain = parse_domain ("<cputune><quota>100000</quota><global_quota>150000</global_quota>"
                         "<global_period>100000</global_period></cputune>");
  hangard_cgroup_limits_from_domain (domain, &limits);
  g_assert_cmpuint (limits.cpu_quota_us, ==, 150000);   /* 1.5 CPUs < 2 × 1 CPU */
  g_clear_pointer (&domain, hangard_domain_free);

  /* What virsh dumpxml shows for "unlimited" is no limit. */
  domain = parse_domain ("<memtune><hard_limit unit='KiB'>9007199254740991</hard_limit></memtune>");
  g_assert_cmpuint (domain->hard_limit_kib, ==, 0);
  hangard_cgroup_limits_from_domain (domain, &limits);
  g_assert_true (hangard_cgroup_limits_are_empty (&limits));
  g_clear_pointer (&domain, hangard_domain_free);

  assert_domain_refused ("<memtune><hard_limit>lots</hard_limit></memtune>",
                         HANGAR_ERROR_INVALID_XML, "hard_limit");
  assert_domain_refused ("<memtune><hard_limit unit='MiB'>512</hard_limit>"
                         "<soft_limit unit='MiB'>1024</soft_limit></memtune>",
                         HANGAR_ERROR_INVALID_XML, "soft_limit");
  assert_domain_refused ("<memtune><swap_hard_limit>1</swap_hard_limit></memtune>",
                         HANGAR_ERROR_UNSUPPORTED, "swap_hard_limit");
  assert_domain_refused ("<cputune><period>10</period></cputune>",
                         HANGAR_ERROR_INVALID_XML, "period");
  assert_domain_refused ("<cputune><quota>12</quota></cputune>",
                         HANGAR_ERROR_INVALID_XML, "quota");
  assert_domain_refused ("<cputune><shares>0</shares></cputune>",
                         HANGAR_ERROR_INVALID_XML, "shares");
  assert_domain_refused ("<cputune><vcpusched vcpus='0' scheduler='fifo' priority='1'/></cputune>",
                         HANGAR_ERROR_UNSUPPORTED, "vcpusched");
  assert_domain_refused ("<cputune><emulator_quota>5000</emulator_quota></cputune>",
                         HANGAR_ERROR_UNSUPPORTED, "emulator_quota");
}

static void
test_scope_name (void)
{
  const char *uuid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
  g_autofree char *plain = hangard_cgroup_scope_name ("web-01", uuid);
  g_autofree char *odd = hangard_cgroup_scope_name (".my vm/ü", uuid);
  g_autofree char *long_name = NULL;
  g_autofree char *many = g_strnfill (64, '/');

  g_assert_cmpstr (plain, ==, "hangar-web-01-0f1e2d3c.scope");
  g_assert_cmpstr (odd, ==, "hangar-\\x2emy\\x20vm\\x2f\\xc3\\xbc-0f1e2d3c.scope");

  /* 64 characters that all need escaping still give a valid unit name. */
  long_name = hangard_cgroup_scope_name (many, uuid);
  g_assert_cmpuint (strlen (long_name), <=, 255);
  g_assert_true (g_str_has_suffix (long_name, "\\x2f-0f1e2d3c.scope"));
}

/* ---- QEMU's command line with fd sets ----------------------------------------- */

static void
test_argv_fd_sets (void)
{
  g_autoptr(HangardDomain) domain = parse_domain (
    "<os><type arch='x86_64' machine='pc'>hvm</type><kernel>/boot/k</kernel>"
    "<initrd>/boot/i</initrd></os>"
    "<devices>"
    "<disk type='file'><driver name='qemu' type='qcow2'/><source file='/srv/over,lay.qcow2'/>"
    "<target dev='vda' bus='virtio'/></disk>"
    "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='/srv/x.iso'/>"
    "<target dev='hdc' bus='ide'/><readonly/></disk>"
    "<serial type='pty'/></devices>");
  HangardQemuImage vda_images[] = { { 1, "qcow2" }, { 2, "qcow2" }, { 3, "raw" } };
  HangardQemuImage hdc_images[] = { { 4, "raw" } };
  HangardQemuDiskFiles disk_files[] = { { vda_images, 3 }, { hdc_images, 1 } };
  HangardQemuAddFd add_fds[] = {
    { 20, 1, "vda" }, { 21, 2, "vda-backing-1" }, { 22, 3, "vda-backing-2" },
    { 23, 4, "hdc" }, { 24, 5, "console,log" },
  };
  HangardQemuRun run = {
    .qemu_binary = "qemu-system-x86_64",
    .accel = "tcg",
    .qmp_fd = 3,
    .serial_fd = 4,
    .serial_log_path = "/dev/fdset/5",
    .add_fds = add_fds,
    .n_add_fds = G_N_ELEMENTS (add_fds),
    .disk_files = disk_files,
    .n_disk_files = G_N_ELEMENTS (disk_files),
    .kernel_path = "/proc/self/fd/25",
    .initrd_path = "/proc/self/fd/26",
  };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = hangard_qemu_build_argv (domain, &run, &error);
  g_autofree char *joined = NULL;
  guint blockdevs = 0;

  g_assert_no_error (error);
  joined = g_strjoinv ("\n", argv);
  g_test_message ("%s", joined);

  /* No host path of a disk, the kernel or the initrd anywhere. */
  g_assert_null (strstr (joined, "/srv/"));
  g_assert_null (strstr (joined, "/boot/"));
  g_assert_true (g_strv_contains ((const char * const *) argv, "fd=20,set=1,opaque=vda"));
  g_assert_true (g_strv_contains ((const char * const *) argv, "fd=24,set=5,opaque=console,,log"));
  g_assert_true (g_strv_contains ((const char * const *) argv, "/proc/self/fd/25"));
  g_assert_true (g_strv_contains ((const char * const *) argv, "/proc/self/fd/26"));
  g_assert_nonnull (strstr (joined, "logfile=/dev/fdset/5,logappend=on"));
  g_assert_null (strstr (joined, "-pidfile"));

  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = NULL;
      JsonObject *node, *file;

      if (!g_str_equal (argv[i], "-blockdev"))
        continue;
      parser = json_parser_new ();
      g_assert_true (json_parser_load_from_data (parser, argv[i + 1], -1, NULL));
      node = json_node_get_object (json_parser_get_root (parser));
      file = json_object_get_object_member (node, "file");
      if (blockdevs++ == 0)
        {
          JsonObject *backing, *backing2;

          /* vda: its chain spelled out, read-only below the top, ending in raw. */
          g_assert_cmpstr (json_object_get_string_member (file, "filename"), ==, "/dev/fdset/1");
          g_assert_false (json_object_get_boolean_member (node, "read-only"));
          backing = json_object_get_object_member (node, "backing");
          g_assert_cmpstr (json_object_get_string_member (backing, "driver"), ==, "qcow2");
          g_assert_cmpstr (json_object_get_string_member (backing, "node-name"), ==, "drive-vda-b1");
          g_assert_true (json_object_get_boolean_member (backing, "read-only"));
          g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (backing, "file"),
                                                          "filename"), ==, "/dev/fdset/2");
          backing2 = json_object_get_object_member (backing, "backing");
          g_assert_cmpstr (json_object_get_string_member (backing2, "driver"), ==, "raw");
          g_assert_false (json_object_has_member (backing2, "backing"));
        }
      else
        {
          g_assert_cmpstr (json_object_get_string_member (file, "filename"), ==, "/dev/fdset/4");
          g_assert_true (json_object_get_boolean_member (node, "read-only"));
        }
    }
  g_assert_cmpuint (blockdevs, ==, 2);

  /* A raw image cannot have a backing file; a chain saying so is a bug. */
  vda_images[0].format = "raw";
  g_clear_pointer (&argv, g_strfreev);
  argv = hangard_qemu_build_argv (domain, &run, &error);
  g_assert_null (argv);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED);
}

/* A qcow2 image without a backing file still says "backing": null, so
 * QEMU opens nothing by a name from the header. */
static void
test_argv_no_backing (void)
{
  g_autoptr(HangardDomain) domain = parse_domain (
    "<devices><disk type='file'><driver name='qemu' type='qcow2'/><source file='/srv/a.qcow2'/>"
    "<target dev='vda' bus='virtio'/></disk></devices>");
  HangardQemuImage images[] = { { 7, "qcow2" } };
  HangardQemuDiskFiles disk_files[] = { { images, 1 } };
  HangardQemuAddFd add_fds[] = { { 30, 7, NULL } };
  HangardQemuRun run = {
    .qemu_binary = "qemu-system-x86_64", .accel = "tcg", .qmp_fd = 3, .serial_fd = -1,
    .add_fds = add_fds, .n_add_fds = 1, .disk_files = disk_files, .n_disk_files = 1,
  };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = hangard_qemu_build_argv (domain, &run, &error);
  g_autofree char *joined = NULL;

  g_assert_no_error (error);
  joined = g_strjoinv (" ", argv);
  g_assert_nonnull (strstr (joined, "-add-fd fd=30,set=7 "));
  g_assert_nonnull (strstr (joined, "\"filename\":\"/dev/fdset/7\""));
  g_assert_nonnull (strstr (joined, "\"backing\":null"));
  g_assert_null (strstr (joined, "/srv/"));
}

/* ---- The engine opening real images --------------------------------------------- */

static int
access_mode (int fd)
{
  return fcntl (fd, F_GETFL) & O_ACCMODE;
}

static gboolean
same_file (int         fd,
           const char *path)
{
  struct stat a, b;

  return fstat (fd, &a) == 0 && stat (path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static HangardDomain *
domain_with_disk (const char *path)
{
  g_autofree char *escaped = g_markup_escape_text (path, -1);
  g_autofree char *devices = g_strdup_printf (
    "<devices><disk type='file'><driver name='qemu' type='qcow2'/><source file='%s'/>"
    "<target dev='vda' bus='virtio'/></disk><serial type='pty'/></devices>", escaped);

  return parse_domain (devices);
}

static void
test_files_chain (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hangar-files-XXXXXX", &error);
  g_autofree char *base = NULL;
  g_autofree char *overlay = NULL;
  g_autofree char *log = NULL;
  g_autoptr(HangardDomain) domain = NULL;
  g_autoptr(HangardQemuFiles) files = NULL;
  HangardQemuRun run = { 0 };
  int child_fd;
  int fd;

  g_assert_no_error (error);
  make_disk_chain (dir, "base.qcow2", "overlay.qcow2");
  base = g_build_filename (dir, "base.qcow2", NULL);
  overlay = g_build_filename (dir, "overlay.qcow2", NULL);
  log = g_build_filename (dir, "console.log", NULL);

  domain = domain_with_disk (overlay);
  files = hangard_qemu_files_new (10, NULL);
  g_assert_true (hangard_qemu_files_open_domain (files, domain, &error));
  g_assert_no_error (error);
  g_assert_true (hangard_qemu_files_open_console_log (files, log, &error));
  g_assert_no_error (error);
  hangard_qemu_files_fill_run (files, &run);

  /* The overlay read-write, its backing file (found relative to it) read-only. */
  g_assert_cmpuint (run.n_disk_files, ==, 1);
  g_assert_cmpuint (run.disk_files[0].n_images, ==, 2);
  g_assert_cmpstr (run.disk_files[0].images[0].format, ==, "qcow2");
  g_assert_cmpstr (run.disk_files[0].images[1].format, ==, "qcow2");
  g_assert_cmpuint (run.n_add_fds, ==, 3);
  g_assert_cmpuint (hangard_qemu_files_get_n_fds (files), ==, 3);

  fd = hangard_qemu_files_get_fd (files, 0, &child_fd);
  g_assert_cmpint (child_fd, ==, 10);
  g_assert_true (same_file (fd, overlay));
  g_assert_cmpint (access_mode (fd), ==, O_RDWR);
  g_assert_cmpint (run.add_fds[0].fd, ==, 10);
  g_assert_cmpuint (run.add_fds[0].set, ==, run.disk_files[0].images[0].fdset);

  fd = hangard_qemu_files_get_fd (files, 1, &child_fd);
  g_assert_cmpint (child_fd, ==, 11);
  g_assert_true (same_file (fd, base));
  g_assert_cmpint (access_mode (fd), ==, O_RDONLY);
  g_assert_cmpuint (run.add_fds[1].set, ==, run.disk_files[0].images[1].fdset);

  fd = hangard_qemu_files_get_fd (files, 2, &child_fd);
  g_assert_true (same_file (fd, log));
  g_assert_cmpint (access_mode (fd), ==, O_WRONLY);
  g_assert_true (fcntl (fd, F_GETFL) & O_APPEND);
  g_assert_true (g_str_has_prefix (run.serial_log_path, "/dev/fdset/"));

  g_assert_cmpstr (hangard_qemu_files_get_paths (files)[0], ==, overlay);
  g_assert_cmpstr (hangard_qemu_files_get_paths (files)[1], ==, base);

  hangard_qemu_files_close (files);
  g_assert_cmpint (hangard_qemu_files_get_fd (files, 0, NULL), ==, -1);

  g_unlink (log);
  g_unlink (overlay);
  g_unlink (base);
  g_rmdir (dir);
}

static void
assert_open_refused (const char *path,
                     int         code,
                     const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardDomain) domain = domain_with_disk (path);
  g_autoptr(HangardQemuFiles) files = hangard_qemu_files_new (10, NULL);

  g_assert_false (hangard_qemu_files_open_domain (files, domain, &error));
  g_assert_error (error, HANGAR_ERROR, code);
  g_test_message ("%s", error->message);
  if (strstr (error->message, needle) == NULL)
    g_error ("'%s' does not mention '%s'", error->message, needle);
}

/* What the engine will not hand to QEMU, each with a reason. */
static void
test_files_refused (void)
{
  static const guint8 format_extension[] = { 0xe2, 0x79, 0x2a, 0xca };
  static const guint8 unknown_extension[] = { 0x12, 0x34, 0x56, 0x78 };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hangar-files-XXXXXX", &error);
  g_autofree char *no_format = g_build_filename (dir, "no-format.qcow2", NULL);
  g_autofree char *protocol = g_build_filename (dir, "protocol.qcow2", NULL);
  g_autofree char *fifo = g_build_filename (dir, "fifo.qcow2", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.qcow2", NULL);
  g_autofree char *base = g_build_filename (dir, "base.qcow2", NULL);
  g_autofree char *loop = g_build_filename (dir, "loop.qcow2", NULL);

  g_assert_no_error (error);
  make_disk_chain (dir, "base.qcow2", "no-format.qcow2");
  make_disk_chain (dir, "base.qcow2", "protocol.qcow2");
  make_disk_chain (dir, "base.qcow2", "loop.qcow2");

  /* The overlay's backing format extension becomes one QEMU ignores. */
  patch_file (no_format, format_extension, unknown_extension, sizeof format_extension);
  assert_open_refused (no_format, HANGAR_ERROR_UNSUPPORTED, "without a recorded format");

  /* "base.qcow2" → "nbd:x:1234": a protocol, not a file. */
  patch_file (protocol, (const guint8 *) "base.qcow2", (const guint8 *) "nbd:x:1234", 10);
  assert_open_refused (protocol, HANGAR_ERROR_UNSUPPORTED, "not a local file");

  /* "base.qcow2" → "loop.qcow2": its own backing file. */
  patch_file (loop, (const guint8 *) "base.qcow2", (const guint8 *) "loop.qcow2", 10);
  assert_open_refused (loop, HANGAR_ERROR_UNSUPPORTED, "comes back to");

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  assert_open_refused (fifo, HANGAR_ERROR_UNSUPPORTED, "not a regular file");
  assert_open_refused (missing, HANGAR_ERROR_NOT_FOUND, "does not exist");

  g_unlink (no_format);
  g_unlink (protocol);
  g_unlink (loop);
  g_unlink (fifo);
  g_unlink (base);
  g_rmdir (dir);
}

/* ---- A confined guest --------------------------------------------------------- */

static gboolean
skip_without_root (void)
{
  if (getuid () == 0)
    return FALSE;
  g_test_skip ("needs root: a system engine switches QEMU to its own user");
  return TRUE;
}

static char *
copy_file (const char *source,
           const char *dir,
           int         mode)
{
  g_autofree char *base = g_path_get_basename (source);
  char *target = g_build_filename (dir, base, NULL);
  g_autofree char *contents = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (source, &contents, &length, NULL));
  g_assert_true (g_file_set_contents_full (target, contents, length, G_FILE_SET_CONTENTS_NONE, mode, NULL));
  g_assert_cmpint (chmod (target, mode), ==, 0);
  return target;
}

static char *
confined_guest_xml (const char *name,
                    const char *kernel,
                    const char *initrd,
                    const char *iso)
{
  g_autofree char *escaped_name = g_markup_escape_text (name, -1);
  g_autofree char *k = g_markup_escape_text (kernel, -1);
  g_autofree char *i = g_markup_escape_text (initrd, -1);
  g_autofree char *cd = g_markup_escape_text (iso, -1);

  return g_strdup_printf (
    "<domain type='kvm'>\n"
    "  <name>%s</name>\n"
    "  <memory unit='MiB'>128</memory>\n"
    "  <vcpu>1</vcpu>\n"
    "  <memtune><hard_limit unit='GiB'>1</hard_limit><soft_limit unit='MiB'>768</soft_limit></memtune>\n"
    "  <cputune><shares>512</shares><period>100000</period><quota>150000</quota></cputune>\n"
    "  <os>\n"
    "    <type arch='x86_64' machine='pc'>hvm</type>\n"
    "    <kernel>%s</kernel>\n"
    "    <initrd>%s</initrd>\n"
    "    <cmdline>console=ttyS0 quiet panic=-1</cmdline>\n"
    "  </os>\n"
    "  <features><acpi/><apic/></features>\n"
    "  <devices>\n"
    "    <disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
    "<source pool='default' volume='confined-disk.qcow2'/><target dev='vda' bus='virtio'/></disk>\n"
    "    <disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
    "<source file='%s'/><target dev='hdc' bus='ide'/><readonly/></disk>\n"
    "    <serial type='pty'><target port='0'/></serial>\n"
    "  </devices>\n"
    "</domain>\n", escaped_name, k, i, cd);
}

typedef struct {
  struct stat st;
  const char *what;
} AllowedFile;

/* Every descriptor of QEMU is a socket, pipe, anonymous inode, /dev/null
 * (stdin), /dev/kvm, a memfd, or one of `allowed` (same inode). Returns
 * how many descriptors name each allowed file. */
static void
assert_only_passed_files (GPid         pid,
                          AllowedFile *allowed,
                          guint        n_allowed,
                          guint       *counts)
{
  g_autofree char *fd_dir = g_strdup_printf ("/proc/%d/fd", (int) pid);
  g_autoptr(GDir) dir = g_dir_open (fd_dir, 0, NULL);
  const char *name;
  struct stat dev_null, dev_kvm;
  gboolean have_kvm = stat ("/dev/kvm", &dev_kvm) == 0;

  g_assert_nonnull (dir);
  g_assert_cmpint (stat ("/dev/null", &dev_null), ==, 0);
  memset (counts, 0, n_allowed * sizeof *counts);

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *link = g_build_filename (fd_dir, name, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);
      struct stat st;
      gboolean ok = FALSE;

      if (target == NULL)
        continue;   /* closed meanwhile */
      if (g_str_has_prefix (target, "socket:") || g_str_has_prefix (target, "pipe:") ||
          g_str_has_prefix (target, "anon_inode:") || g_str_has_prefix (target, "/memfd:"))
        continue;
      g_assert_cmpint (stat (link, &st), ==, 0);
      if ((st.st_dev == dev_null.st_dev && st.st_ino == dev_null.st_ino) ||
          (have_kvm && st.st_rdev == dev_kvm.st_rdev && S_ISCHR (st.st_mode)))
        continue;
      for (guint i = 0; i < n_allowed; i++)
        if (st.st_dev == allowed[i].st.st_dev && st.st_ino == allowed[i].st.st_ino)
          {
            counts[i]++;
            ok = TRUE;
          }
      if (!ok)
        g_error ("QEMU has fd %s open on %s, which the engine did not pass", name, target);
    }
}

/* The access mode of every descriptor QEMU has on `st`'s file. */
static void
assert_opened_read_only (GPid               pid,
                         const struct stat *file)
{
  g_autofree char *fd_dir = g_strdup_printf ("/proc/%d/fd", (int) pid);
  g_autoptr(GDir) dir = g_dir_open (fd_dir, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *link = g_build_filename (fd_dir, name, NULL);
      g_autofree char *info_path = g_strdup_printf ("/proc/%d/fdinfo/%s", (int) pid, name);
      g_autofree char *info = NULL;
      struct stat st;
      const char *flags;

      if (stat (link, &st) != 0 || st.st_dev != file->st_dev || st.st_ino != file->st_ino)
        continue;
      g_assert_true (g_file_get_contents (info_path, &info, NULL, NULL));
      flags = strstr (info, "flags:");
      g_assert_nonnull (flags);
      /* Octal; the low two bits are the access mode. */
      g_assert_cmpint (g_ascii_strtoll (flags + 6, NULL, 8) & O_ACCMODE, ==, O_RDONLY);
    }
}

static char *
cgroup_of (GPid        pid,
           const char *controller)
{
  g_autofree char *contents = read_proc (pid, "cgroup");
  g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (lines[i], ":", 3);
      g_auto(GStrv) controllers = NULL;

      if (g_strv_length (parts) != 3)
        continue;
      controllers = g_strsplit (parts[1], ",", -1);
      if ((controller == NULL && *parts[1] == '\0' && g_str_equal (parts[0], "0")) ||
          (controller != NULL && g_strv_contains ((const char * const *) controllers, controller)))
        return g_strdup (parts[2]);
    }
  return NULL;
}

static const char *
cgroup2_mount (void)
{
  if (g_file_test ("/sys/fs/cgroup/cgroup.controllers", G_FILE_TEST_EXISTS))
    return "/sys/fs/cgroup";
  if (g_file_test ("/sys/fs/cgroup/unified/cgroup.controllers", G_FILE_TEST_EXISTS))
    return "/sys/fs/cgroup/unified";
  return NULL;
}

/* Where the QEMU process is accounted, and with which limits; returns the
 * directories it found, to check they go away with QEMU. */
static GPtrArray *
check_cgroups (GPid        pid,
               const char *uuid)
{
  GPtrArray *dirs = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *leaf = g_strconcat ("/hangar.slice/machine-", uuid, NULL);
  g_autofree char *v2 = cgroup_of (pid, NULL);
  g_autofree char *v1_memory = cgroup_of (pid, "memory");
  g_autofree char *v1_cpu = cgroup_of (pid, "cpu");
  const char *mount = cgroup2_mount ();
  gboolean memory_checked = FALSE, cpu_checked = FALSE;

  g_test_message ("QEMU's cgroups: v2 %s, v1 memory %s, v1 cpu %s", v2, v1_memory, v1_cpu);

  if (mount != NULL && v2 != NULL && g_str_equal (v2, leaf))
    {
      g_autofree char *dir = g_build_filename (mount, v2, NULL);
      g_autofree char *max_path = g_build_filename (dir, "memory.max", NULL);
      g_autofree char *weight_path = g_build_filename (dir, "cpu.weight", NULL);
      g_autofree char *cpu_max_path = g_build_filename (dir, "cpu.max", NULL);
      g_autofree char *max = read_trimmed (max_path);
      g_autofree char *weight = read_trimmed (weight_path);
      g_autofree char *cpu_max = read_trimmed (cpu_max_path);

      g_ptr_array_add (dirs, g_strdup (dir));
      if (max != NULL)
        {
          g_autofree char *high_path = g_build_filename (dir, "memory.high", NULL);
          g_autofree char *high = read_trimmed (high_path);

          g_assert_cmpstr (max, ==, "1073741824");
          g_assert_cmpstr (high, ==, "805306368");
          memory_checked = TRUE;
        }
      if (weight != NULL)
        {
          g_assert_cmpstr (weight, ==, "512");
          g_assert_cmpstr (cpu_max, ==, "150000 100000");
          cpu_checked = TRUE;
        }
      g_test_message ("cgroup v2 %s: memory controller %s, cpu controller %s", dir,
                      max ? "on" : "absent", weight ? "on" : "absent");
    }
  else
    g_test_message ("QEMU is not in a cgroup v2 %s (cgroup2 mount: %s)", leaf, mount ? mount : "none");

  if (!memory_checked && v1_memory != NULL && g_str_has_suffix (v1_memory, leaf))
    {
      g_autofree char *dir = g_build_filename ("/sys/fs/cgroup/memory", v1_memory, NULL);
      g_autofree char *limit_path = g_build_filename (dir, "memory.limit_in_bytes", NULL);
      g_autofree char *soft_path = g_build_filename (dir, "memory.soft_limit_in_bytes", NULL);
      g_autofree char *limit = read_trimmed (limit_path);
      g_autofree char *soft = read_trimmed (soft_path);

      g_assert_cmpstr (limit, ==, "1073741824");
      g_assert_cmpstr (soft, ==, "805306368");
      g_ptr_array_add (dirs, g_strdup (dir));
      memory_checked = TRUE;
      g_test_message ("cgroup v1 memory %s: limits checked", dir);
    }
  if (!cpu_checked && v1_cpu != NULL && g_str_has_suffix (v1_cpu, leaf))
    {
      g_autofree char *dir = g_build_filename ("/sys/fs/cgroup/cpu", v1_cpu, NULL);
      g_autofree char *shares_path = g_build_filename (dir, "cpu.shares", NULL);
      g_autofree char *quota_path = g_build_filename (dir, "cpu.cfs_quota_us", NULL);
      g_autofree char *period_path = g_build_filename (dir, "cpu.cfs_period_us", NULL);
      g_autofree char *shares = read_trimmed (shares_path);
      g_autofree char *quota = read_trimmed (quota_path);
      g_autofree char *period = read_trimmed (period_path);

      g_assert_cmpstr (shares, ==, "512");
      g_assert_cmpstr (quota, ==, "150000");
      g_assert_cmpstr (period, ==, "100000");
      g_ptr_array_add (dirs, g_strdup (dir));
      cpu_checked = TRUE;
      g_test_message ("cgroup v1 cpu %s: limits checked", dir);
    }

  if (!memory_checked)
    g_test_message ("NOT VERIFIED here: no memory controller took QEMU's limits");
  if (!cpu_checked)
    g_test_message ("NOT VERIFIED here: no cpu controller took QEMU's limits");
  return dirs;
}

static void
type_into (int         fd,
           const char *text)
{
  gsize done = 0, length = strlen (text);

  while (done < length)
    {
      ssize_t n = write (fd, text + done, length - done);

      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >, 0);
      done += (gsize) n;
    }
}

static gboolean
state_is_shutoff (gpointer user_data)
{
  return g_strcmp0 (hangar_machine_get_state (user_data), "shutoff") == 0;
}

static gboolean
state_is_running (gpointer user_data)
{
  return g_strcmp0 (hangar_machine_get_state (user_data), "running") == 0;
}

static void
test_confined_guest (void)
{
  HangarTestEnv *env;
  g_autoptr(HangarStoragePool) pool = NULL;
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cgroup_dirs = NULL;
  g_autoptr(GArray) pids = NULL;
  g_autofree char *images = NULL;
  g_autofree char *kernel = NULL;
  g_autofree char *initrd = NULL;
  g_autofree char *iso = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *overlay = NULL;
  g_autofree char *base = NULL;
  g_autofree char *console_log = NULL;
  g_autofree char *qemu_log_file = NULL;
  g_autofree char *cmdline = NULL;
  g_autofree char *uid = NULL;
  g_autofree char *gid = NULL;
  g_autofree char *seccomp = NULL;
  g_autofree char *expected_ids = NULL;
  g_autofree char *cwd_link = NULL;
  g_autofree char *cwd = NULL;
  g_autofree char *qemu_log = NULL;
  g_autoptr(GVariant) qemu_log_data = NULL;
  struct passwd *qemu_user;
  struct stat st;
  AllowedFile allowed[6];
  guint counts[G_N_ELEMENTS (allowed)];
  gboolean found_pid = FALSE;
  GPid pid;
  int serial;

  if (skip_without_root ())
    return;

  env = hangar_test_env_new (TRUE);
  qemu_user = getpwnam ("hangar-qemu");
  g_assert_nonnull (qemu_user);

  /* A qcow2 overlay in the default pool, on a base that holds the marker. */
  pool = lookup_pool (env, "default");
  images = g_strdup (hangar_storage_pool_get_target_path (pool));
  make_disk_chain (images, "confined-base.qcow2", "confined-disk.qcow2");
  hangar_storage_pool_call_refresh_sync (pool, NULL, &error);
  g_assert_no_error (error);
  overlay = g_build_filename (images, "confined-disk.qcow2", NULL);
  base = g_build_filename (images, "confined-base.qcow2", NULL);

  /* The kernel readable by root only (QEMU gets a memfd copy), the
   * initrd by anyone (QEMU gets the file itself), the ISO outside any pool. */
  kernel = copy_file (hangar_test_guest_kernel (), env->tmpdir, 0600);
  initrd = copy_file (hangar_test_guest_initrd (), env->tmpdir, 0644);
  iso = g_build_filename (g_getenv ("HANGAR_TEST_GUEST_DIR"), "test-guest.iso", NULL);
  g_assert_true (g_file_test (iso, G_FILE_TEST_IS_REGULAR));

  xml = confined_guest_xml ("confined", kernel, initrd, iso);
  machine = hangar_test_env_define (env, xml);
  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);
  if (!hangar_test_wait_for_console (machine, "HANGAR-GUEST-BOOTED", BOOT_TIMEOUT_S))
    g_error ("the confined guest did not boot");
  hangar_test_settle ();
  pid = (GPid) hangar_machine_get_pid (machine);
  g_assert_cmpint (pid, >, 0);

  /* The test environment finds it although no path names it. */
  pids = hangar_test_env_qemu_pids (env);
  for (guint i = 0; i < pids->len; i++)
    found_pid |= g_array_index (pids, GPid, i) == pid;
  g_assert_true (found_pid);

  /* QEMU runs as hangar-qemu, every id of it, with seccomp filtering. */
  uid = status_field (pid, "Uid");
  gid = status_field (pid, "Gid");
  seccomp = status_field (pid, "Seccomp");
  expected_ids = g_strdup_printf ("%u %u %u %u", qemu_user->pw_uid, qemu_user->pw_uid,
                                  qemu_user->pw_uid, qemu_user->pw_uid);
  g_assert_cmpstr (uid, ==, expected_ids);
  g_clear_pointer (&expected_ids, g_free);
  expected_ids = g_strdup_printf ("%u %u %u %u", qemu_user->pw_gid, qemu_user->pw_gid,
                                  qemu_user->pw_gid, qemu_user->pw_gid);
  g_assert_cmpstr (gid, ==, expected_ids);
  g_assert_cmpstr (seccomp, ==, "2");
  {
    g_autofree char *caps = status_field (pid, "CapEff");
    g_assert_cmpstr (caps, ==, "0000000000000000");
  }

  /* Its command line names no host file: fd sets and /proc/self/fd. */
  cmdline = read_proc (pid, "cmdline");
  g_test_message ("QEMU: %s", cmdline);
  g_assert_nonnull (strstr (cmdline, "/dev/fdset/"));
  g_assert_nonnull (strstr (cmdline, "-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"));
  g_assert_null (strstr (cmdline, "-daemonize"));
  g_assert_null (strstr (cmdline, env->tmpdir));
  g_assert_null (strstr (cmdline, iso));

  /* Its only host files are those the engine passed. */
  console_log = g_build_filename (env->root, "var", "log", "hangar", NULL);
  {
    g_autofree char *uuid = g_strdup (hangar_machine_get_uuid (machine));
    g_autofree char *name = g_strconcat (uuid, "-console.log", NULL);
    g_autofree char *qname = g_strconcat (uuid, "-qemu.log", NULL);
    g_autofree char *dir = g_steal_pointer (&console_log);

    console_log = g_build_filename (dir, name, NULL);
    qemu_log_file = g_build_filename (dir, qname, NULL);
  }
  {
    const char *paths[] = { overlay, base, iso, initrd, console_log, qemu_log_file };
    const char *what[] = { "overlay", "base", "iso", "initrd", "console log", "qemu log" };

    for (guint i = 0; i < G_N_ELEMENTS (allowed); i++)
      {
        g_assert_cmpint (stat (paths[i], &allowed[i].st), ==, 0);
        allowed[i].what = what[i];
      }
  }
  assert_only_passed_files (pid, allowed, G_N_ELEMENTS (allowed), counts);
  for (guint i = 0; i < G_N_ELEMENTS (allowed); i++)
    {
      g_test_message ("%s: %u descriptors", allowed[i].what, counts[i]);
      g_assert_cmpuint (counts[i], >, 0);
    }
  assert_opened_read_only (pid, &allowed[1].st);   /* base */
  assert_opened_read_only (pid, &allowed[2].st);   /* ISO */

  /* Its working directory is its own, and nobody else's. */
  cwd_link = g_strdup_printf ("/proc/%d/cwd", (int) pid);
  cwd = g_file_read_link (cwd_link, NULL);
  g_assert_nonnull (cwd);
  g_assert_true (g_str_has_prefix (cwd, env->root));
  g_assert_true (g_str_has_suffix (cwd, hangar_machine_get_uuid (machine)));
  g_assert_cmpint (stat (cwd, &st), ==, 0);
  g_assert_cmpuint (st.st_uid, ==, qemu_user->pw_uid);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0700);

  cgroup_dirs = check_cgroups (pid, hangar_machine_get_uuid (machine));

  /* The guest reads its disk through the overlay, from the base; the
   * console log keeps going through OpenSerial's switch of the chardev. */
  serial = hangar_test_open_serial_fd (machine);
  type_into (serial, "\nhead -c 21 /dev/vda; echo\n");
  if (!hangar_test_wait_for_console (machine, DISK_MARKER, 60))
    g_error ("the guest did not read the marker from its disk");
  close (serial);

  /* A new engine takes the running QEMU over (the pid file the engine
   * wrote, its run state), and the console log goes on through the fd set
   * after another OpenSerial. */
  hangar_test_env_kill_engine (env, SIGTERM);
  g_assert_cmpint (kill (pid, 0), ==, 0);
  hangar_test_env_start_engine (env);
  g_clear_object (&machine);
  machine = hangar_test_env_lookup (env, "confined");
  g_assert_true (hangar_test_wait_until (state_is_running, machine, 30));
  g_assert_cmpuint (hangar_machine_get_pid (machine), ==, (guint) pid);
  serial = hangar_test_open_serial_fd (machine);
  type_into (serial, "\necho OK-$((40+2))\n");
  if (!hangar_test_wait_for_console (machine, "OK-42", 60))
    g_error ("the adopted guest's console did not reach the log");
  close (serial);

  hangar_machine_call_get_qemu_log_sync (machine, 0, &qemu_log_data, NULL, &error);
  g_assert_no_error (error);
  {
    gsize length = 0;
    const char *bytes = g_variant_get_fixed_array (qemu_log_data, &length, 1);

    qemu_log = g_strndup (length ? bytes : "", length);
  }
  g_assert_nonnull (strstr (qemu_log, "QEMU runs as hangar-qemu"));

  /* Gone with QEMU: its directory and the cgroups the engine made. */
  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_until (state_is_shutoff, machine, 30));
  g_assert_false (g_file_test (cwd, G_FILE_TEST_EXISTS));
  for (guint i = 0; i < cgroup_dirs->len; i++)
    g_assert_false (g_file_test (g_ptr_array_index (cgroup_dirs, i), G_FILE_TEST_EXISTS));

  hangar_test_env_free (env);
}

/* --qemu-user: a user that does not exist stops the start with a message
 * that says how to make it; another existing user is taken. */
static void
test_qemu_user_option (void)
{
  const char *missing[] = { "--qemu-user", "hangar-test-no-such-user", NULL };
  const char *nobody[] = { "--qemu-user", "nobody", NULL };
  HangarTestEnv *env;
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) pids = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *uid = NULL;
  struct passwd *user;
  GPid pid;

  if (skip_without_root ())
    return;

  env = hangar_test_env_new (TRUE);
  hangar_test_env_kill_engine (env, SIGTERM);
  env->engine_args = missing;
  hangar_test_env_start_engine (env);

  xml = hangar_test_env_guest_xml (env, "user-option", NULL);
  machine = hangar_test_env_define (env, xml);
  hangar_machine_call_start_sync (machine, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_FAILED, "hangar-test-no-such-user");
  g_assert_nonnull (strstr (error->message, "systemd-sysusers"));
  g_assert_nonnull (strstr (error->message, "useradd"));
  g_clear_error (&error);
  hangar_test_settle ();
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "shutoff");
  pids = hangar_test_env_qemu_pids (env);
  g_assert_cmpuint (pids->len, ==, 0);
  g_clear_object (&machine);

  hangar_test_env_kill_engine (env, SIGTERM);
  env->engine_args = nobody;
  hangar_test_env_start_engine (env);
  machine = hangar_test_env_lookup (env, "user-option");
  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);
  hangar_test_settle ();
  pid = (GPid) hangar_machine_get_pid (machine);
  g_assert_cmpint (pid, >, 0);
  user = getpwnam ("nobody");
  g_assert_nonnull (user);
  uid = status_field (pid, "Uid");
  {
    g_autofree char *prefix = g_strdup_printf ("%u ", user->pw_uid);
    g_assert_true (g_str_has_prefix (uid, prefix));
  }

  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_until (state_is_shutoff, machine, 30));
  env->engine_args = NULL;
  hangar_test_env_free (env);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/system-qemu/tune-parsing", test_tune_parsing);
  g_test_add_func ("/system-qemu/scope-name", test_scope_name);
  g_test_add_func ("/system-qemu/argv/fd-sets", test_argv_fd_sets);
  g_test_add_func ("/system-qemu/argv/no-backing", test_argv_no_backing);
  g_test_add_func ("/system-qemu/files/chain", test_files_chain);
  g_test_add_func ("/system-qemu/files/refused", test_files_refused);
  g_test_add_func ("/system-qemu/confined-guest", test_confined_guest);
  g_test_add_func ("/system-qemu/qemu-user-option", test_qemu_user_option);

  return g_test_run ();
}
