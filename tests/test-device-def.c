/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-device-def"

/* Hardware changes to definitions (hangard-device-def.h): a device on its
 * own joining, leaving or changing a definition, memory, vCPUs and pins;
 * and the host's huge page check (hangard-hugepages.h) on made-up
 * /proc/meminfo and sysfs trees. */

#include <glib/gstdio.h>
#include <string.h>

#include "hangard-device-def.h"
#include "hangard-error.h"
#include "hangard-hugepages.h"

#define BASE_DOMAIN \
  "<domain type='kvm'>" \
  "<name>box</name>" \
  "<memory unit='MiB'>512</memory><currentMemory unit='MiB'>512</currentMemory>" \
  "<vcpu>2</vcpu>" \
  "<cputune><vcpupin vcpu='1' cpuset='1'/></cputune>" \
  "<os><type arch='x86_64' machine='pc'>hvm</type></os>" \
  "<devices>" \
  "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>" \
  "<source file='/images/root.qcow2'/><target dev='vda' bus='virtio'/></disk>" \
  "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>" \
  "<source file='/isos/a.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>" \
  "<interface type='user'><mac address='52:54:00:00:00:01'/></interface>" \
  "<interface type='user'><mac address='52:54:00:00:00:02'/><model type='e1000'/></interface>" \
  "<serial type='pty'/>" \
  "</devices>" \
  "</domain>"

static HangardDomain *
base_domain (void)
{
  g_autoptr(GError) error = NULL;
  HangardDomain *domain = hangard_domain_parse (BASE_DOMAIN, -1, &error);

  g_assert_no_error (error);
  return domain;
}

static HangardDeviceDef *
device_ok (const char *xml)
{
  g_autoptr(GError) error = NULL;
  HangardDeviceDef *device = hangard_device_def_parse (xml, &error);

  g_assert_no_error (error);
  g_assert_nonnull (device);
  return device;
}

static void
assert_error (GError     *error,
              int         code,
              const char *needle)
{
  g_assert_nonnull (error);
  g_test_message ("Refused as expected: %s", error->message);
  g_assert_error (error, HANGAR_ERROR, code);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("'%s' does not say '%s'", error->message, needle);
}

/* ---- The device on its own ------------------------------------------------- */

static void
test_parse (void)
{
  g_autoptr(HangardDeviceDef) disk = device_ok ("<disk type='file'><target dev='vdb'/></disk>");
  g_autoptr(HangardDeviceDef) nic = device_ok ("<interface type='user'><mac address='52:54:00:AB:cd:EF'/></interface>");
  g_autoptr(HangardDeviceDef) bare = device_ok ("<interface type='network'/>");
  g_autoptr(HangardDeviceDef) copy = hangard_device_def_copy (nic);
  g_autofree char *described = hangard_device_def_describe (nic);
  static const struct {
    const char *xml;
    int         code;
    const char *needle;
  } bad[] = {
    { "<domain/>", HANGAR_ERROR_INVALID_XML, "<disk> or <interface>" },
    { "<disk type='file'/>", HANGAR_ERROR_INVALID_XML, "<target dev=" },
    { "<disk><target/></disk>", HANGAR_ERROR_INVALID_XML, "<target dev=" },
    { "<interface type='user'><mac address='01:00:5e:00:00:01'/></interface>", HANGAR_ERROR_INVALID_XML, NULL },
    { "<disk", HANGAR_ERROR_INVALID_XML, NULL },
    { "", HANGAR_ERROR_INVALID_XML, NULL },
    { "<!DOCTYPE d [<!ENTITY e 'x'>]><disk><target dev='&e;'/></disk>", HANGAR_ERROR_INVALID_XML, NULL },
  };

  g_assert_cmpint (disk->kind, ==, HANGARD_DEVICE_DISK);
  g_assert_cmpstr (disk->target_dev, ==, "vdb");
  g_assert_cmpint (nic->kind, ==, HANGARD_DEVICE_INTERFACE);
  g_assert_cmpstr (nic->mac, ==, "52:54:00:ab:cd:ef");
  g_assert_cmpstr (copy->mac, ==, "52:54:00:ab:cd:ef");
  g_assert_cmpstr (nic->type, ==, "user");
  g_assert_cmpstr (described, ==, "interface 52:54:00:ab:cd:ef");
  g_assert_null (bare->mac);
  hangard_device_def_ensure_mac (bare);
  g_assert_true (g_str_has_prefix (bare->mac, "52:54:00:"));

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HangardDeviceDef) device = hangard_device_def_parse (bad[i].xml, &error);

      g_assert_null (device);
      assert_error (error, bad[i].code, bad[i].needle);
    }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) huge = g_string_new ("<disk><target dev='vdb'/>");

    while (huge->len < 70 * 1024)
      g_string_append (huge, "<!-- padding padding padding padding padding padding -->");
    g_string_append (huge, "</disk>");
    g_assert_null (hangard_device_def_parse (huge->str, &error));
    assert_error (error, HANGAR_ERROR_INVALID_ARGUMENT, NULL);
  }
}

/* ---- Attach, detach, update ------------------------------------------------- */

static void
test_attach (void)
{
  g_autoptr(HangardDomain) domain = base_domain ();
  g_autoptr(HangardDeviceDef) disk = device_ok (
    "<disk type='file' device='disk'><driver name='qemu' type='raw' cache='none'/>"
    "<source file='/images/data.img'/><target dev='vdb' bus='virtio'/></disk>");
  g_autoptr(HangardDeviceDef) nic = device_ok ("<interface type='user'><model type='rtl8139'/></interface>");
  g_autoptr(HangardDomain) with_disk = NULL;
  g_autoptr(HangardDomain) with_nic = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  HangardDiskDef *added;
  guint index = 99;

  with_disk = hangard_domain_attach_device (domain, disk, &index, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (index, ==, 2);
  g_assert_cmpuint (with_disk->disks->len, ==, 3);
  added = with_disk->disks->pdata[2];
  g_assert_cmpstr (added->target_dev, ==, "vdb");
  g_assert_cmpint (added->cache, ==, HANGARD_DISK_CACHE_NONE);
  g_assert_cmpuint (domain->disks->len, ==, 2);   /* untouched */

  /* After the disks, before the interfaces. */
  xml = hangard_domain_to_xml (with_disk);
  g_assert_true (strstr (xml, "data.img") < strstr (xml, "<interface"));
  g_assert_true (strstr (xml, "a.iso") < strstr (xml, "data.img"));

  hangard_device_def_ensure_mac (nic);
  with_nic = hangard_domain_attach_device (with_disk, nic, &index, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (index, ==, 2);
  g_assert_cmpstr (((HangardNicDef *) with_nic->nics->pdata[2])->mac, ==, nic->mac);
  g_assert_cmpint (((HangardNicDef *) with_nic->nics->pdata[2])->model, ==, HANGARD_NIC_MODEL_RTL8139);
}

static void
test_attach_refused (void)
{
  g_autoptr(HangardDomain) domain = base_domain ();
  static const struct {
    const char *xml;
    int         code;
    const char *needle;
  } cases[] = {
    { "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/x.img'/>"
      "<target dev='vda' bus='virtio'/></disk>", HANGAR_ERROR_ALREADY_EXISTS, "already has a disk vda" },
    { "<interface type='user'><mac address='52:54:00:00:00:02'/></interface>",
      HANGAR_ERROR_ALREADY_EXISTS, "52:54:00:00:00:02" },
    /* Checked by the domain parser, as in a whole definition: */
    { "<disk type='file' device='disk'><source file='/x.img'/><target dev='vdb'/></disk>",
      HANGAR_ERROR_INVALID_XML, "never guesses" },
    { "<disk type='file' device='cdrom'><target dev='vdc' bus='virtio'/></disk>",
      HANGAR_ERROR_UNSUPPORTED, "virtio" },
    { "<disk type='block' device='disk'><target dev='vdb'/></disk>", HANGAR_ERROR_UNSUPPORTED, NULL },
    { "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='relative.img'/>"
      "<target dev='vdb'/></disk>", HANGAR_ERROR_INVALID_XML, "absolute" },
    { "<interface type='direct'/>", HANGAR_ERROR_UNSUPPORTED, NULL },
    { "<interface type='user'><model type='ne2k_pci'/></interface>", HANGAR_ERROR_UNSUPPORTED, NULL },
    { "<interface type='user'><link state='down'/></interface>", HANGAR_ERROR_UNSUPPORTED, "<link>" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HangardDeviceDef) device = device_ok (cases[i].xml);
      g_autoptr(HangardDomain) changed = hangard_domain_attach_device (domain, device, NULL, &error);

      g_assert_null (changed);
      assert_error (error, cases[i].code, cases[i].needle);
    }
}

static void
test_detach (void)
{
  g_autoptr(HangardDomain) domain = base_domain ();
  g_autoptr(HangardDeviceDef) disk = device_ok ("<disk><target dev='hdc'/></disk>");
  g_autoptr(HangardDeviceDef) by_mac = device_ok ("<interface type='user'><mac address='52:54:00:00:00:02'/></interface>");
  g_autoptr(HangardDeviceDef) by_type = device_ok ("<interface type='user'/>");
  g_autoptr(HangardDeviceDef) missing = device_ok ("<disk><target dev='vdz'/></disk>");
  g_autoptr(HangardDomain) without_disk = NULL;
  g_autoptr(HangardDomain) without_nic = NULL;
  g_autoptr(HangardDomain) without_both = NULL;
  g_autoptr(HangardDomain) refused = NULL;
  g_autoptr(GError) error = NULL;
  guint index = 99;

  without_disk = hangard_domain_detach_device (domain, disk, &index, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (index, ==, 1);
  g_assert_cmpuint (without_disk->disks->len, ==, 1);

  without_nic = hangard_domain_detach_device (without_disk, by_mac, &index, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (index, ==, 1);
  g_assert_cmpuint (without_nic->nics->len, ==, 1);

  /* Two user interfaces: the type alone does not say which. */
  refused = hangard_domain_detach_device (domain, by_type, NULL, &error);
  g_assert_null (refused);
  assert_error (error, HANGAR_ERROR_INVALID_ARGUMENT, "MAC");
  g_clear_error (&error);

  /* One: it does. */
  without_both = hangard_domain_detach_device (without_nic, by_type, &index, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (index, ==, 0);
  g_assert_cmpuint (without_both->nics->len, ==, 0);

  g_assert_null (hangard_domain_detach_device (domain, missing, NULL, &error));
  assert_error (error, HANGAR_ERROR_NOT_FOUND, "no disk vdz");
}

static void
test_update_media (void)
{
  g_autoptr(HangardDomain) domain = base_domain ();
  g_autoptr(HangardDeviceDef) change = device_ok (
    "<disk type='volume' device='cdrom'><driver name='qemu' type='raw'/>"
    "<source pool='isos' volume='b.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>");
  g_autoptr(HangardDeviceDef) eject = device_ok (
    "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>");
  g_autoptr(HangardDomain) changed = NULL;
  g_autoptr(HangardDomain) ejected = NULL;
  g_autoptr(GError) error = NULL;
  HangardDiskDef *cd;
  guint index = 99;
  static const struct {
    const char *xml;
    int         code;
    const char *needle;
  } bad[] = {
    { "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/y.qcow2'/>"
      "<target dev='vda' bus='virtio'/></disk>", HANGAR_ERROR_UNSUPPORTED, "not a CD-ROM" },
    { "<disk type='file' device='cdrom'><target dev='hdc' bus='sata'/></disk>",
      HANGAR_ERROR_UNSUPPORTED, NULL },
    { "<disk type='file' device='cdrom'><driver name='qemu' type='raw' cache='none'/>"
      "<target dev='hdc' bus='ide'/></disk>", HANGAR_ERROR_UNSUPPORTED, "cache" },
    { "<disk type='file' device='cdrom'><target dev='hdd' bus='ide'/></disk>", HANGAR_ERROR_NOT_FOUND, "hdd" },
    { "<interface type='user'><mac address='52:54:00:00:00:01'/></interface>", HANGAR_ERROR_UNSUPPORTED, NULL },
  };

  changed = hangard_domain_update_device (domain, change, &index, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (index, ==, 1);
  cd = changed->disks->pdata[1];
  g_assert_cmpstr (cd->source_pool, ==, "isos");
  g_assert_cmpstr (cd->source_volume, ==, "b.iso");
  g_assert_null (cd->source_file);

  ejected = hangard_domain_update_device (changed, eject, NULL, &error);
  g_assert_no_error (error);
  cd = ejected->disks->pdata[1];
  g_assert_null (cd->source_file);
  g_assert_null (cd->source_volume);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(HangardDeviceDef) device = device_ok (bad[i].xml);
      g_autoptr(HangardDomain) refused = hangard_domain_update_device (domain, device, NULL, &error);

      g_assert_null (refused);
      assert_error (error, bad[i].code, bad[i].needle);
      g_clear_error (&error);
    }
}

/* ---- Memory, vCPUs, pins ----------------------------------------------------- */

static void
test_memory_and_vcpus (void)
{
  g_autoptr(HangardDomain) domain = base_domain ();
  g_autoptr(HangardDomain) more = NULL;
  g_autoptr(HangardDomain) one = NULL;
  g_autoptr(HangardDomain) four = NULL;
  g_autoptr(HangardDomain) refused = NULL;
  g_autoptr(GError) error = NULL;

  more = hangard_domain_set_memory (domain, 1024 * 1024, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (more->memory_kib, ==, 1024 * 1024);
  g_assert_cmpuint (more->current_memory_kib, ==, 1024 * 1024);
  g_assert_cmpuint (domain->memory_kib, ==, 512 * 1024);

  refused = hangard_domain_set_memory (domain, 10, &error);
  g_assert_null (refused);
  assert_error (error, HANGAR_ERROR_INVALID_XML, "at least 1 MiB");
  g_clear_error (&error);

  /* vCPU 1's pin goes with vCPU 1. */
  one = hangard_domain_set_vcpus (domain, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (one->vcpus, ==, 1);
  g_assert_cmpuint (one->vcpu_pins->len, ==, 0);

  four = hangard_domain_set_vcpus (domain, 4, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (four->vcpus, ==, 4);
  g_assert_cmpuint (four->vcpu_pins->len, ==, 1);

  g_assert_null (hangard_domain_set_vcpus (domain, 0, &error));
  assert_error (error, HANGAR_ERROR_INVALID_XML, "<vcpu>");
}

static void
test_pin_vcpu (void)
{
  g_autoptr(HangardDomain) domain = base_domain ();
  g_autoptr(HangardDomain) pinned = NULL;
  g_autoptr(HangardDomain) repinned = NULL;
  g_autoptr(HangardDomain) unpinned = NULL;
  g_autoptr(HangardDomain) bare = NULL;
  g_autoptr(HangardDomain) fresh = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  pinned = hangard_domain_pin_vcpu (domain, 0, "0,1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hangard_domain_get_vcpu_cpuset (pinned, 0), ==, "0,1");
  g_assert_cmpstr (hangard_domain_get_vcpu_cpuset (pinned, 1), ==, "1");
  /* In vCPU order. */
  xml = hangard_domain_to_xml (pinned);
  g_assert_true (strstr (xml, "vcpu=\"0\"") < strstr (xml, "vcpu=\"1\""));

  repinned = hangard_domain_pin_vcpu (pinned, 1, "0", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hangard_domain_get_vcpu_cpuset (repinned, 1), ==, "0");
  g_assert_cmpuint (repinned->vcpu_pins->len, ==, 2);

  unpinned = hangard_domain_pin_vcpu (repinned, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (hangard_domain_get_vcpu_cpuset (unpinned, 1));
  bare = hangard_domain_pin_vcpu (unpinned, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bare->vcpu_pins->len, ==, 0);

  /* A definition without <cputune> gets one. */
  fresh = hangard_domain_pin_vcpu (bare, 1, "1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hangard_domain_get_vcpu_cpuset (fresh, 1), ==, "1");

  g_assert_null (hangard_domain_pin_vcpu (domain, 2, "0", &error));
  assert_error (error, HANGAR_ERROR_INVALID_ARGUMENT, "no vCPU 2");
  g_clear_error (&error);
  g_assert_null (hangard_domain_pin_vcpu (domain, 0, "3-1", &error));
  assert_error (error, HANGAR_ERROR_INVALID_XML, "low to high");
}

/* ---- The host's huge pages ------------------------------------------------------ */

static char *
fake_host (const char *meminfo,
           guint64     gib_pages_total,
           guint64     gib_pages_free,
           char      **sysfs_dir)
{
  g_autofree char *dir = g_dir_make_tmp ("hangar-hugepages-XXXXXX", NULL);
  g_autofree char *gib = g_build_filename (dir, "hugepages-1048576kB", NULL);
  g_autofree char *total = g_strdup_printf ("%" G_GUINT64_FORMAT "\n", gib_pages_total);
  g_autofree char *free_pages = g_strdup_printf ("%" G_GUINT64_FORMAT "\n", gib_pages_free);
  g_autofree char *total_path = g_build_filename (gib, "nr_hugepages", NULL);
  g_autofree char *free_path = g_build_filename (gib, "free_hugepages", NULL);
  char *meminfo_path = g_build_filename (dir, "meminfo", NULL);

  g_assert_nonnull (dir);
  g_assert_true (g_file_set_contents (meminfo_path, meminfo, -1, NULL));
  g_assert_cmpint (g_mkdir (gib, 0700), ==, 0);
  g_assert_true (g_file_set_contents (total_path, total, -1, NULL));
  g_assert_true (g_file_set_contents (free_path, free_pages, -1, NULL));
  *sysfs_dir = g_steal_pointer (&dir);
  return meminfo_path;
}

static void
remove_tree (const char *dir)
{
  g_autofree char *command = g_strdup_printf ("rm -rf '%s'", dir);

  g_assert_true (g_str_has_prefix (dir, g_get_tmp_dir ()));
  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));
}

static void
test_hugepages_check (void)
{
  static const char none[] =
    "MemTotal:        8000000 kB\nHugePages_Total:       0\nHugePages_Free:        0\n"
    "Hugepagesize:       2048 kB\n";
  static const char some[] =
    "MemTotal:        8000000 kB\nHugePages_Total:     128\nHugePages_Free:      100\n"
    "Hugepagesize:       2048 kB\n";
  static const char no_support[] = "MemTotal:        8000000 kB\n";
  g_autofree char *dir = NULL;
  g_autofree char *meminfo = NULL;
  g_autoptr(GError) error = NULL;

  meminfo = fake_host (none, 0, 0, &dir);
  g_assert_false (hangard_hugepages_check (128 * 1024, 0, meminfo, dir, &error));
  assert_error (error, HANGAR_ERROR_UNSUPPORTED, "vm.nr_hugepages");
  g_clear_error (&error);
  remove_tree (dir);
  g_clear_pointer (&dir, g_free);
  g_clear_pointer (&meminfo, g_free);

  meminfo = fake_host (some, 4, 1, &dir);
  /* 100 free pages of 2 MiB: 200 MiB fit, 256 MiB do not. */
  g_assert_true (hangard_hugepages_check (128 * 1024, 0, meminfo, dir, &error));
  g_assert_no_error (error);
  g_assert_true (hangard_hugepages_check (200 * 1024, 2048, meminfo, dir, &error));
  g_assert_no_error (error);
  g_assert_false (hangard_hugepages_check (256 * 1024, 0, meminfo, dir, &error));
  assert_error (error, HANGAR_ERROR_INVALID_STATE, "only 100 of the host’s 128 are free");
  g_clear_error (&error);
  g_assert_false (hangard_hugepages_check (129 * 1024 + 1, 0, meminfo, dir, &error));
  assert_error (error, HANGAR_ERROR_UNSUPPORTED, "whole number");
  g_clear_error (&error);
  /* 1 GiB pages: their own pool, in sysfs. */
  g_assert_true (hangard_hugepages_check (1024 * 1024, 1024 * 1024, meminfo, dir, &error));
  g_assert_no_error (error);
  g_assert_false (hangard_hugepages_check (2048 * 1024, 1024 * 1024, meminfo, dir, &error));
  assert_error (error, HANGAR_ERROR_INVALID_STATE, NULL);
  g_clear_error (&error);
  g_assert_false (hangard_hugepages_check (32 * 1024, 16 * 1024, meminfo, dir, &error));
  assert_error (error, HANGAR_ERROR_UNSUPPORTED, "no huge pages of");
  g_clear_error (&error);
  remove_tree (dir);
  g_clear_pointer (&dir, g_free);
  g_clear_pointer (&meminfo, g_free);

  meminfo = fake_host (no_support, 0, 0, &dir);
  g_assert_false (hangard_hugepages_check (128 * 1024, 0, meminfo, dir, &error));
  assert_error (error, HANGAR_ERROR_UNSUPPORTED, "Hugepagesize");
  remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/device-def/parse", test_parse);
  g_test_add_func ("/device-def/attach", test_attach);
  g_test_add_func ("/device-def/attach-refused", test_attach_refused);
  g_test_add_func ("/device-def/detach", test_detach);
  g_test_add_func ("/device-def/update-media", test_update_media);
  g_test_add_func ("/device-def/memory-and-vcpus", test_memory_and_vcpus);
  g_test_add_func ("/device-def/pin-vcpu", test_pin_vcpu);
  g_test_add_func ("/device-def/hugepages-check", test_hugepages_check);

  return g_test_run ();
}
