/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-domain"

#include <string.h>

#include <glib.h>

#include "hangard-domain.h"
#include "hangard-error.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static char *
load_domain_file (const char *basename)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "domains",
                                                 basename, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static HangardDomain *
parse_ok (const char *xml)
{
  g_autoptr(GError) error = NULL;
  HangardDomain *domain = hangard_domain_parse (xml, -1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (domain);
  return domain;
}

static HangardDomain *
parse_file_ok (const char *basename)
{
  g_autofree char *xml = load_domain_file (basename);

  return parse_ok (xml);
}

/* The pieces of a small valid domain; NULL fields take a default. */
typedef struct {
  const char *name;       /* raw XML text inside <name> */
  const char *memory;     /* a whole <memory> element (and <currentMemory>) */
  const char *vcpu;       /* a whole <vcpu> element, or "" */
  const char *os_type;    /* a whole <type> element */
  const char *os_extra;   /* more children of <os> */
  const char *extra;      /* more children of <domain> */
  const char *devices;    /* children of <devices> */
} DomainParts;

static char *
make_domain (const DomainParts *parts)
{
  return g_strdup_printf ("<domain type='kvm'>\n"
                          "  <name>%s</name>\n"
                          "  %s\n"
                          "  %s\n"
                          "  <os>%s%s</os>\n"
                          "  %s\n"
                          "  <devices>%s</devices>\n"
                          "</domain>\n",
                          parts->name ? parts->name : "test",
                          parts->memory ? parts->memory : "<memory unit='MiB'>512</memory>",
                          parts->vcpu ? parts->vcpu : "",
                          parts->os_type ? parts->os_type : "<type arch='x86_64' machine='q35'>hvm</type>",
                          parts->os_extra ? parts->os_extra : "",
                          parts->extra ? parts->extra : "",
                          parts->devices ? parts->devices : "");
}

static char *
domain_with_devices (const char *devices)
{
  return make_domain (&(DomainParts) { .devices = devices });
}

static void
assert_message_contains (const GError *error,
                         const char   *needle)
{
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_test_fail_printf ("Error message \"%s\" does not contain \"%s\"",
                        error->message, needle);
}

static void
assert_rejected (const char *xml,
                 HangarError code,
                 const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardDomain) domain = hangard_domain_parse (xml, -1, &error);

  g_assert_null (domain);
  g_assert_error (error, HANGAR_ERROR, (gint) code);
  g_test_message ("Rejected as expected: %s", error->message);
  assert_message_contains (error, needle);
}

static void
assert_devices_rejected (const char *devices,
                         HangarError code,
                         const char *needle)
{
  g_autofree char *xml = domain_with_devices (devices);

  assert_rejected (xml, code, needle);
}

static HangardDomain *
parse_devices_ok (const char *devices)
{
  g_autofree char *xml = domain_with_devices (devices);

  return parse_ok (xml);
}

static HangardDiskDef *
disk_at (HangardDomain *domain,
         guint          index)
{
  g_assert_cmpuint (index, <, domain->disks->len);
  return domain->disks->pdata[index];
}

static HangardNicDef *
nic_at (HangardDomain *domain,
        guint          index)
{
  g_assert_cmpuint (index, <, domain->nics->len);
  return domain->nics->pdata[index];
}

static gboolean
uuid_is_canonical_lower_case (const char *uuid)
{
  return g_uuid_string_is_valid (uuid) && strspn (uuid, "0123456789abcdef-") == 36;
}

static gboolean
mac_is_generated (const char *mac)
{
  return mac != NULL && strlen (mac) == 17 && g_str_has_prefix (mac, "52:54:00:") &&
         strspn (mac, "0123456789abcdef:") == 17;
}

static char *
without_trailing_newline (const char *text)
{
  gsize length = strlen (text);

  while (length > 0 && text[length - 1] == '\n')
    length--;
  return g_strndup (text, length);
}

/* ------------------------------------------------------------------------ */
/* Parsing valid definitions                                                */
/* ------------------------------------------------------------------------ */

static void
test_parse_minimal (void)
{
  g_autoptr(HangardDomain) domain = parse_file_ok ("minimal.xml");

  g_assert_nonnull (domain->doc);
  g_assert_cmpstr (domain->name, ==, "minimal");
  g_assert_true (uuid_is_canonical_lower_case (domain->uuid));
  g_assert_null (domain->title);
  g_assert_null (domain->description);
  g_assert_cmpuint (domain->memory_kib, ==, 1048576);
  g_assert_cmpuint (domain->current_memory_kib, ==, 1048576);
  g_assert_cmpuint (domain->vcpus, ==, 1);
  g_assert_null (domain->cpuset);
  g_assert_cmpstr (domain->arch, ==, "x86_64");
  g_assert_null (domain->machine_type);
  g_assert_cmpuint (domain->n_boot, ==, 0);
  g_assert_null (domain->kernel);
  g_assert_null (domain->initrd);
  g_assert_null (domain->cmdline);
  g_assert_false (domain->acpi);
  g_assert_false (domain->apic);
  g_assert_cmpint (domain->cpu_mode, ==, HANGARD_CPU_MODE_DEFAULT);
  g_assert_null (domain->cpu_model);
  g_assert_nonnull (domain->disks);
  g_assert_cmpuint (domain->disks->len, ==, 0);
  g_assert_nonnull (domain->nics);
  g_assert_cmpuint (domain->nics->len, ==, 0);
  g_assert_false (domain->has_vnc);
  g_assert_cmpint (domain->video, ==, HANGARD_VIDEO_NONE);
  g_assert_false (domain->has_serial);
  g_assert_false (domain->has_tablet);
}

static void
test_parse_full (void)
{
  g_autoptr(HangardDomain) domain = parse_file_ok ("full.xml");
  g_autofree char *xml = NULL;
  HangardDiskDef *disk;
  HangardNicDef *nic;

  g_assert_cmpstr (domain->name, ==, "full-vm");
  g_assert_cmpstr (domain->uuid, ==, "4dea22b3-1d52-d8f3-2516-782e98ab3fa0");
  g_assert_cmpstr (domain->title, ==, "Full & complete");
  g_assert_cmpstr (domain->description, ==, "A machine\nwith every supported element.");
  g_assert_cmpuint (domain->memory_kib, ==, 4 * 1024 * 1024);
  g_assert_cmpuint (domain->current_memory_kib, ==, 2048 * 1024);
  g_assert_cmpuint (domain->vcpus, ==, 4);
  g_assert_cmpstr (domain->cpuset, ==, "0-3,^2,5");

  g_assert_cmpstr (domain->arch, ==, "x86_64");
  g_assert_cmpstr (domain->machine_type, ==, "pc-q35-7.2");
  g_assert_cmpuint (domain->n_boot, ==, 0);
  g_assert_cmpstr (domain->kernel, ==, "/var/lib/hangar/boot/vmlinuz");
  g_assert_cmpstr (domain->initrd, ==, "/var/lib/hangar/boot/initrd.img");
  g_assert_cmpstr (domain->cmdline, ==, "console=ttyS0 root=/dev/vda1 quiet");

  g_assert_true (domain->acpi);
  g_assert_true (domain->apic);
  g_assert_cmpint (domain->cpu_mode, ==, HANGARD_CPU_MODE_CUSTOM);
  g_assert_cmpstr (domain->cpu_model, ==, "Skylake-Client");

  g_assert_cmpuint (domain->disks->len, ==, 4);

  disk = disk_at (domain, 0);
  g_assert_cmpint (disk->device, ==, HANGARD_DISK_DEVICE_DISK);
  g_assert_cmpint (disk->bus, ==, HANGARD_DISK_BUS_VIRTIO);
  g_assert_cmpint (disk->format, ==, HANGARD_DISK_FORMAT_QCOW2);
  g_assert_cmpint (disk->cache, ==, HANGARD_DISK_CACHE_NONE);
  g_assert_cmpstr (disk->source_file, ==, "/var/lib/hangar/images/full-vm.qcow2");
  g_assert_cmpstr (disk->target_dev, ==, "vda");
  g_assert_false (disk->readonly);
  g_assert_cmpuint (disk->boot_order, ==, 1);

  disk = disk_at (domain, 1);
  g_assert_cmpint (disk->device, ==, HANGARD_DISK_DEVICE_DISK);
  g_assert_cmpint (disk->bus, ==, HANGARD_DISK_BUS_VIRTIO);
  g_assert_cmpint (disk->format, ==, HANGARD_DISK_FORMAT_RAW);
  g_assert_cmpint (disk->cache, ==, HANGARD_DISK_CACHE_WRITETHROUGH);
  g_assert_cmpstr (disk->source_file, ==, "/srv/images/data, \"backup\" copy.img");
  g_assert_cmpstr (disk->target_dev, ==, "vdb");
  g_assert_true (disk->readonly);
  g_assert_cmpuint (disk->boot_order, ==, 0);

  disk = disk_at (domain, 2);
  g_assert_cmpint (disk->device, ==, HANGARD_DISK_DEVICE_CDROM);
  g_assert_cmpint (disk->bus, ==, HANGARD_DISK_BUS_SATA);
  g_assert_cmpint (disk->format, ==, HANGARD_DISK_FORMAT_RAW);
  g_assert_cmpint (disk->cache, ==, HANGARD_DISK_CACHE_DEFAULT);
  g_assert_cmpstr (disk->source_file, ==, "/srv/iso/debian 12,netinst.iso");
  g_assert_cmpstr (disk->target_dev, ==, "sda");
  g_assert_true (disk->readonly);
  g_assert_cmpuint (disk->boot_order, ==, 3);

  disk = disk_at (domain, 3);
  g_assert_cmpint (disk->device, ==, HANGARD_DISK_DEVICE_CDROM);
  g_assert_cmpint (disk->bus, ==, HANGARD_DISK_BUS_SATA);
  g_assert_null (disk->source_file);
  g_assert_cmpstr (disk->target_dev, ==, "sdb");
  g_assert_true (disk->readonly);
  g_assert_cmpuint (disk->boot_order, ==, 0);

  g_assert_cmpuint (domain->nics->len, ==, 2);

  nic = nic_at (domain, 0);
  g_assert_cmpint (nic->type, ==, HANGARD_NIC_TYPE_USER);
  g_assert_cmpint (nic->model, ==, HANGARD_NIC_MODEL_E1000);
  g_assert_cmpstr (nic->mac, ==, "52:54:00:ab:cd:ef");
  g_assert_cmpuint (nic->boot_order, ==, 2);

  nic = nic_at (domain, 1);
  g_assert_cmpint (nic->type, ==, HANGARD_NIC_TYPE_USER);
  g_assert_cmpint (nic->model, ==, HANGARD_NIC_MODEL_RTL8139);
  g_assert_true (mac_is_generated (nic->mac));
  g_assert_cmpstr (nic->mac, !=, "52:54:00:ab:cd:ef");
  g_assert_cmpuint (nic->boot_order, ==, 0);

  g_assert_true (domain->has_vnc);
  g_assert_cmpint (domain->video, ==, HANGARD_VIDEO_VIRTIO);
  g_assert_true (domain->has_serial);
  g_assert_true (domain->has_tablet);

  /* Tolerated elements stay in the document, as written. */
  xml = hangard_domain_to_xml (domain);
  g_assert_nonnull (strstr (xml, "<app:info xmlns:app=\"http://example.org/app/1\">kept as is</app:info>"));
  g_assert_nonnull (strstr (xml, "<on_reboot>restart</on_reboot>"));
  g_assert_nonnull (strstr (xml, "<memballoon model=\"virtio\"/>"));
  g_assert_nonnull (strstr (xml, "<uuid>4DEA22B3-1D52-D8F3-2516-782E98AB3FA0</uuid>"));
  g_assert_nonnull (strstr (xml, "<!-- Every element Hangar understands or tolerates, once. -->"));
}

static void
test_parse_os_boot_devices (void)
{
  g_autofree char *xml = make_domain (&(DomainParts) {
    .os_extra = "<boot dev='cdrom'/><boot dev='hd'/><boot dev='network'/>",
  });
  g_autoptr(HangardDomain) domain = parse_ok (xml);

  g_assert_cmpuint (domain->n_boot, ==, 3);
  g_assert_cmpint (domain->boot[0], ==, HANGARD_BOOT_CDROM);
  g_assert_cmpint (domain->boot[1], ==, HANGARD_BOOT_HD);
  g_assert_cmpint (domain->boot[2], ==, HANGARD_BOOT_NETWORK);
}

static void
test_parse_defaults (void)
{
  g_autoptr(HangardDomain) with_vnc = parse_devices_ok ("<graphics type='vnc'/>");
  g_autoptr(HangardDomain) no_video = parse_devices_ok ("<graphics type='vnc'/>"
                                                        "<video><model type='none'/></video>");
  g_autoptr(HangardDomain) vga = parse_devices_ok ("<video><model type='vga'/></video>");
  g_autoptr(HangardDomain) plain = parse_devices_ok ("<interface type='user'/>"
                                                     "<input type='tablet'/>"
                                                     "<serial type='file'><source path='/tmp/x'/></serial>");

  g_assert_true (with_vnc->has_vnc);
  g_assert_cmpint (with_vnc->video, ==, HANGARD_VIDEO_VGA);
  g_assert_cmpint (no_video->video, ==, HANGARD_VIDEO_NONE);
  g_assert_false (vga->has_vnc);
  g_assert_cmpint (vga->video, ==, HANGARD_VIDEO_VGA);

  g_assert_cmpint (nic_at (plain, 0)->model, ==, HANGARD_NIC_MODEL_VIRTIO);
  g_assert_true (plain->has_tablet);
  g_assert_true (plain->has_serial);
}

static HangardPortForward *
port_forward_at (HangardNicDef *nic,
                 guint          index)
{
  g_assert_cmpuint (index, <, nic->port_forwards->len);
  return nic->port_forwards->pdata[index];
}

static void
test_parse_interface_network (void)
{
  g_autoptr(HangardDomain) domain =
    parse_devices_ok ("<interface type='network'>"
                      "<mac address='52:54:00:3c:5b:8a'/>"
                      "<source network='default'/>"
                      "<target dev='vnet0'/>"
                      "<model type='e1000'/>"
                      "<alias name='net0'/>"
                      "<address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>"
                      "</interface>"
                      /* What virsh dumpxml shows of a running machine. */
                      "<interface type='network'>"
                      "<source network='lab net' portid='5e0b1a63-9d4e-4c8b-a0a2-5b8c7e2f1d3a' "
                      "bridge='virbr1'/>"
                      "<target dev='vnet1' managed='yes'/>"
                      "<backend type='default'/>"
                      "</interface>");
  g_autofree char *xml = hangard_domain_to_xml (domain);
  HangardNicDef *nic = nic_at (domain, 0);

  g_assert_cmpuint (domain->nics->len, ==, 2);
  g_assert_cmpint (nic->type, ==, HANGARD_NIC_TYPE_NETWORK);
  g_assert_cmpstr (nic->source, ==, "default");
  g_assert_cmpint (nic->model, ==, HANGARD_NIC_MODEL_E1000);
  g_assert_cmpstr (nic->mac, ==, "52:54:00:3c:5b:8a");
  g_assert_nonnull (nic->port_forwards);
  g_assert_cmpuint (nic->port_forwards->len, ==, 0);

  nic = nic_at (domain, 1);
  g_assert_cmpint (nic->type, ==, HANGARD_NIC_TYPE_NETWORK);
  g_assert_cmpstr (nic->source, ==, "lab net");
  g_assert_true (mac_is_generated (nic->mac));

  /* Tolerated elements stay in the document. */
  g_assert_nonnull (strstr (xml, "<target dev=\"vnet0\"/>"));
  g_assert_nonnull (strstr (xml, "<alias name=\"net0\"/>"));
}

static void
test_parse_interface_bridge (void)
{
  g_autoptr(HangardDomain) domain =
    parse_devices_ok ("<interface type='bridge'><source bridge='br0'/><boot order='1'/></interface>"
                      "<interface type='user'/>");
  HangardNicDef *bridge = nic_at (domain, 0);
  HangardNicDef *user = nic_at (domain, 1);

  g_assert_cmpint (bridge->type, ==, HANGARD_NIC_TYPE_BRIDGE);
  g_assert_cmpstr (bridge->source, ==, "br0");
  g_assert_cmpint (bridge->model, ==, HANGARD_NIC_MODEL_VIRTIO);
  g_assert_cmpuint (bridge->boot_order, ==, 1);
  g_assert_cmpuint (bridge->port_forwards->len, ==, 0);

  g_assert_cmpint (user->type, ==, HANGARD_NIC_TYPE_USER);
  g_assert_null (user->source);
  g_assert_nonnull (user->port_forwards);
  g_assert_cmpuint (user->port_forwards->len, ==, 0);
}

static void
test_parse_passt_backend (void)
{
  g_autoptr(HangardDomain) domain =
    parse_devices_ok ("<interface type='user'><backend type='passt'/>"
                      "<portForward proto='tcp' address='127.0.0.1'><range start='2222' to='22'/></portForward>"
                      "</interface>"
                      "<interface type='user'/>");

  g_assert_cmpint (nic_at (domain, 0)->backend, ==, HANGARD_NIC_BACKEND_PASST);
  g_assert_cmpuint (nic_at (domain, 0)->port_forwards->len, ==, 1);
  g_assert_cmpint (nic_at (domain, 1)->backend, ==, HANGARD_NIC_BACKEND_DEFAULT);
}

static void
test_parse_port_forwards (void)
{
  g_autoptr(HangardDomain) domain =
    parse_devices_ok ("<interface type='user'>"
                      "<backend type='default'/>"
                      "<portForward proto='tcp' address='127.0.0.1'>"
                      "<range start='2222' to='22'/></portForward>"
                      "<portForward proto='udp'><range start='5353' to='53'/></portForward>"
                      "<portForward proto='tcp'><range start='8080'/></portForward>"
                      /* The same port number in another protocol is another port. */
                      "<portForward proto='udp'><range start='2222' to='2222'/></portForward>"
                      "<model type='virtio'/>"
                      "</interface>"
                      "<interface type='user'>"
                      "<portForward proto='tcp' address='0.0.0.0'>"
                      "<range start='65535' to='1'/></portForward>"
                      "</interface>");
  HangardNicDef *nic = nic_at (domain, 0);
  HangardPortForward *forward;

  g_assert_cmpuint (nic->port_forwards->len, ==, 4);
  g_assert_cmpint (nic->backend, ==, HANGARD_NIC_BACKEND_DEFAULT);

  forward = port_forward_at (nic, 0);
  g_assert_cmpstr (forward->protocol, ==, "tcp");
  g_assert_cmpstr (forward->host_address, ==, "127.0.0.1");
  g_assert_cmpuint (forward->host_port, ==, 2222);
  g_assert_cmpuint (forward->guest_port, ==, 22);

  forward = port_forward_at (nic, 1);
  g_assert_cmpstr (forward->protocol, ==, "udp");
  g_assert_null (forward->host_address);
  g_assert_cmpuint (forward->host_port, ==, 5353);
  g_assert_cmpuint (forward->guest_port, ==, 53);

  /* Without `to`, the guest port is the host port. */
  forward = port_forward_at (nic, 2);
  g_assert_cmpuint (forward->host_port, ==, 8080);
  g_assert_cmpuint (forward->guest_port, ==, 8080);

  g_assert_cmpstr (port_forward_at (nic, 3)->protocol, ==, "udp");

  forward = port_forward_at (nic_at (domain, 1), 0);
  g_assert_cmpstr (forward->host_address, ==, "0.0.0.0");
  g_assert_cmpuint (forward->host_port, ==, 65535);
  g_assert_cmpuint (forward->guest_port, ==, 1);
}

static void
test_copy_interfaces (void)
{
  g_autoptr(HangardDomain) domain =
    parse_devices_ok ("<interface type='network'><source network='default'/></interface>"
                      "<interface type='user'><portForward proto='tcp' address='127.0.0.1'>"
                      "<range start='2222' to='22'/></portForward></interface>");
  g_autoptr(HangardDomain) copy = hangard_domain_copy (domain);
  HangardNicDef *network = nic_at (copy, 0);
  HangardNicDef *user = nic_at (copy, 1);
  HangardPortForward *forward = port_forward_at (user, 0);

  g_assert_true (network->source != nic_at (domain, 0)->source);
  g_assert_true (user->port_forwards != nic_at (domain, 1)->port_forwards);
  g_assert_true (forward != port_forward_at (nic_at (domain, 1), 0));
  g_assert_nonnull (network->port_forwards);

  /* Independent of the original from now on. */
  g_clear_pointer (&domain, hangard_domain_free);
  g_assert_cmpint (network->type, ==, HANGARD_NIC_TYPE_NETWORK);
  g_assert_cmpstr (network->source, ==, "default");
  g_assert_cmpstr (forward->protocol, ==, "tcp");
  g_assert_cmpstr (forward->host_address, ==, "127.0.0.1");
  g_assert_cmpuint (forward->host_port, ==, 2222);
  g_assert_cmpuint (forward->guest_port, ==, 22);
}

static void
test_parse_cpu_modes (void)
{
  static const struct {
    const char     *cpu;
    HangardCpuMode  mode;
    const char     *model;
  } cases[] = {
    { "", HANGARD_CPU_MODE_DEFAULT, NULL },
    { "<cpu mode='host-passthrough' check='none'/>", HANGARD_CPU_MODE_HOST_PASSTHROUGH, NULL },
    { "<cpu mode='host-model'><model fallback='allow'/></cpu>", HANGARD_CPU_MODE_HOST_MODEL, NULL },
    { "<cpu mode='custom'><model>EPYC-Rome</model></cpu>", HANGARD_CPU_MODE_CUSTOM, "EPYC-Rome" },
    { "<cpu><model>qemu64</model></cpu>", HANGARD_CPU_MODE_CUSTOM, "qemu64" },
    { "<cpu><topology sockets='1' cores='1' threads='1'/></cpu>", HANGARD_CPU_MODE_DEFAULT, NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = make_domain (&(DomainParts) { .extra = cases[i].cpu });
      g_autoptr(HangardDomain) domain = parse_ok (xml);

      g_assert_cmpint (domain->cpu_mode, ==, cases[i].mode);
      g_assert_cmpstr (domain->cpu_model, ==, cases[i].model);
    }
}

static void
test_parse_uuid_forms (void)
{
  static const char *forms[] = {
    "c7a5fdbd-cdaf-9455-926a-d65c16db1809",
    "C7A5FDBD-CDAF-9455-926A-D65C16DB1809",
    "c7a5fdbdcdaf9455926ad65c16db1809",
    "  c7a5fdbd-cdaf-9455-926a-d65c16db1809\n",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (forms); i++)
    {
      g_autofree char *extra = g_strdup_printf ("<uuid>%s</uuid>", forms[i]);
      g_autofree char *xml = make_domain (&(DomainParts) { .extra = extra });
      g_autoptr(HangardDomain) domain = parse_ok (xml);

      g_assert_cmpstr (domain->uuid, ==, "c7a5fdbd-cdaf-9455-926a-d65c16db1809");
    }
}

static void
test_parse_paths_with_commas (void)
{
  g_autoptr(HangardDomain) domain = parse_devices_ok (
    "<disk type='file' device='disk'>"
    "  <driver name='qemu' type='qcow2'/>"
    "  <source file=\"/srv/My VMs/it's,a,&quot;test&quot;/disk,format=raw.qcow2\"/>"
    "  <target dev='vda' bus='virtio'/>"
    "</disk>");

  g_assert_cmpstr (disk_at (domain, 0)->source_file, ==,
                   "/srv/My VMs/it's,a,\"test\"/disk,format=raw.qcow2");
}

static void
test_parse_disk_bus_from_name (void)
{
  /* Without a bus, libvirt reads "vdX" as virtio and "hdX" as IDE. */
  g_autofree char *xml = make_domain (&(DomainParts) {
    .os_type = "<type machine='pc'>hvm</type>",
    .devices =
      "<disk type='file'><driver name='qemu' type='raw'/>"
      "  <source file='/a.img'/><target dev='vda'/></disk>"
      "<disk type='file' device='cdrom'><target dev='hdc'/></disk>",
  });
  g_autoptr(HangardDomain) domain = parse_ok (xml);

  g_assert_cmpint (disk_at (domain, 0)->bus, ==, HANGARD_DISK_BUS_VIRTIO);
  g_assert_cmpint (disk_at (domain, 1)->bus, ==, HANGARD_DISK_BUS_IDE);
  g_assert_cmpint (disk_at (domain, 1)->device, ==, HANGARD_DISK_DEVICE_CDROM);
}

/* ------------------------------------------------------------------------ */
/* What Hangar fills in                                                     */
/* ------------------------------------------------------------------------ */

static void
test_parse_volume_disks (void)
{
  g_autoptr(HangardDomain) domain =
    parse_devices_ok ("<disk type='volume' device='disk'>"
                      "<driver name='qemu' type='qcow2'/>"
                      "<source pool='vmdisk' volume='disk.qcow2'/>"
                      "<target dev='vda' bus='virtio'/></disk>"
                      "<disk type='volume' device='cdrom'>"
                      "<driver name='qemu' type='raw'/>"
                      "<source pool='default' volume='debian 12, netinst.iso'/>"
                      "<target dev='sda' bus='sata'/><readonly/></disk>"
                      "<disk type='volume' device='cdrom'>"
                      "<source/><target dev='sdb' bus='sata'/></disk>"
                      "<disk type='file' device='disk'>"
                      "<driver name='qemu' type='raw'/>"
                      "<source file='/srv/data.img'/>"
                      "<target dev='vdb' bus='virtio'/></disk>");
  g_autofree char *xml = NULL;
  g_autoptr(HangardDomain) again = NULL;
  HangardDiskDef *disk;

  g_assert_cmpuint (domain->disks->len, ==, 4);

  disk = disk_at (domain, 0);
  g_assert_cmpint (disk->device, ==, HANGARD_DISK_DEVICE_DISK);
  g_assert_cmpint (disk->format, ==, HANGARD_DISK_FORMAT_QCOW2);
  g_assert_cmpstr (disk->source_pool, ==, "vmdisk");
  g_assert_cmpstr (disk->source_volume, ==, "disk.qcow2");
  g_assert_null (disk->source_file);
  g_assert_false (disk->readonly);

  disk = disk_at (domain, 1);
  g_assert_cmpint (disk->device, ==, HANGARD_DISK_DEVICE_CDROM);
  g_assert_cmpint (disk->format, ==, HANGARD_DISK_FORMAT_RAW);
  g_assert_cmpstr (disk->source_pool, ==, "default");
  g_assert_cmpstr (disk->source_volume, ==, "debian 12, netinst.iso");
  g_assert_null (disk->source_file);
  g_assert_true (disk->readonly);

  /* An empty CD-ROM drive, libvirt's way. */
  disk = disk_at (domain, 2);
  g_assert_null (disk->source_pool);
  g_assert_null (disk->source_volume);
  g_assert_null (disk->source_file);

  disk = disk_at (domain, 3);
  g_assert_cmpstr (disk->source_file, ==, "/srv/data.img");
  g_assert_null (disk->source_pool);
  g_assert_null (disk->source_volume);

  /* The document keeps the volume, not a path. */
  xml = hangard_domain_to_xml (domain);
  g_assert_nonnull (strstr (xml, "<source pool=\"vmdisk\" volume=\"disk.qcow2\"/>"));
  again = parse_ok (xml);
  g_assert_cmpstr (disk_at (again, 1)->source_volume, ==, "debian 12, netinst.iso");
}

static void
test_generate_uuid (void)
{
  g_autoptr(HangardDomain) first = parse_file_ok ("minimal.xml");
  g_autoptr(HangardDomain) second = parse_file_ok ("minimal.xml");
  g_autoptr(HangardDomain) reparsed = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *uuid_element = NULL;
  const char *name_at;
  const char *uuid_at;
  const char *memory_at;

  g_assert_true (uuid_is_canonical_lower_case (first->uuid));
  g_assert_cmpstr (first->uuid, !=, second->uuid);

  /* Written into the document, right after <name> as libvirt orders it. */
  xml = hangard_domain_to_xml (first);
  uuid_element = g_strdup_printf ("<uuid>%s</uuid>", first->uuid);
  name_at = strstr (xml, "<name>minimal</name>");
  uuid_at = strstr (xml, uuid_element);
  memory_at = strstr (xml, "<memory>");
  g_assert_nonnull (name_at);
  g_assert_nonnull (uuid_at);
  g_assert_nonnull (memory_at);
  g_assert_true (name_at < uuid_at && uuid_at < memory_at);

  /* And kept from then on. */
  reparsed = parse_ok (xml);
  g_assert_cmpstr (reparsed->uuid, ==, first->uuid);
}

static void
test_generate_mac (void)
{
  g_autoptr(HangardDomain) domain = parse_devices_ok (
    "<interface type='user'/>"
    "<interface type='user'><model type='e1000'/><boot order='1'/></interface>"
    "<interface type='user'><mac address='52:54:00:00:00:01'/></interface>");
  g_autoptr(HangardDomain) reparsed = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *first_mac = NULL;
  g_autofree char *second_mac = NULL;

  g_assert_cmpuint (domain->nics->len, ==, 3);
  g_assert_true (mac_is_generated (nic_at (domain, 0)->mac));
  g_assert_true (mac_is_generated (nic_at (domain, 1)->mac));
  g_assert_cmpstr (nic_at (domain, 0)->mac, !=, nic_at (domain, 1)->mac);
  g_assert_cmpstr (nic_at (domain, 2)->mac, ==, "52:54:00:00:00:01");
  g_assert_cmpint (nic_at (domain, 1)->model, ==, HANGARD_NIC_MODEL_E1000);
  g_assert_cmpuint (nic_at (domain, 1)->boot_order, ==, 1);

  /* Written into the document as the first child of <interface>. */
  xml = hangard_domain_to_xml (domain);
  first_mac = g_strdup_printf ("<interface type=\"user\">\n      <mac address=\"%s\"/>\n    </interface>",
                               nic_at (domain, 0)->mac);
  second_mac = g_strdup_printf ("<interface type=\"user\">\n      <mac address=\"%s\"/>\n      <model type=\"e1000\"/>",
                                nic_at (domain, 1)->mac);
  g_assert_nonnull (strstr (xml, first_mac));
  g_assert_nonnull (strstr (xml, second_mac));

  reparsed = parse_ok (xml);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpstr (nic_at (reparsed, i)->mac, ==, nic_at (domain, i)->mac);
}

/* ------------------------------------------------------------------------ */
/* Memory units                                                             */
/* ------------------------------------------------------------------------ */

static void
test_units (void)
{
  static const struct {
    const char *value;
    const char *unit;     /* NULL: no unit attribute (KiB) */
    guint64     kib;
  } cases[] = {
    { "1048576", NULL, 1048576 },
    { "1073741824", "b", 1048576 },
    { "1073741824", "bytes", 1048576 },
    { "1048577", "b", 1025 },              /* rounded up, as libvirt does */
    { "1024000", "KB", 1000000 },
    { "1048576", "k", 1048576 },
    { "1048576", "KiB", 1048576 },
    { "1000", "MB", 976563 },              /* 10^9 bytes, rounded up */
    { "1024", "M", 1048576 },
    { "1024", "MiB", 1048576 },
    { "2", "GB", 1953125 },
    { "2", "G", 2097152 },
    { "2", "GiB", 2097152 },
    { "1", "TB", 976562500 },
    { "1", "T", 1073741824 },
    { "1", "TiB", 1073741824 },
    { "16", "TiB", G_GUINT64_CONSTANT (17179869184) },
    { "1", "mib", 1024 },                  /* libvirt ignores case */
    { " 512 ", "MiB", 524288 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *memory = NULL;
      g_autofree char *xml = NULL;
      g_autoptr(HangardDomain) domain = NULL;

      if (cases[i].unit != NULL)
        memory = g_strdup_printf ("<memory unit='%s'>%s</memory>", cases[i].unit, cases[i].value);
      else
        memory = g_strdup_printf ("<memory>%s</memory>", cases[i].value);

      xml = make_domain (&(DomainParts) { .memory = memory });
      domain = parse_ok (xml);
      g_assert_cmpuint (domain->memory_kib, ==, cases[i].kib);
      g_assert_cmpuint (domain->current_memory_kib, ==, cases[i].kib);
    }
}

/* ------------------------------------------------------------------------ */
/* Formatting, copying, editing                                             */
/* ------------------------------------------------------------------------ */

static void
test_xml_round_trip (void)
{
  static const char *files[] = { "minimal.xml", "full.xml", "formatted.xml" };

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr(HangardDomain) first = parse_file_ok (files[i]);
      g_autofree char *first_xml = hangard_domain_to_xml (first);
      g_autoptr(HangardDomain) second = parse_ok (first_xml);
      g_autofree char *second_xml = hangard_domain_to_xml (second);

      g_assert_cmpstr (second_xml, ==, first_xml);
      g_assert_cmpstr (second->uuid, ==, first->uuid);
      g_assert_false (g_str_has_prefix (first_xml, "<?xml"));
    }
}

static void
test_xml_formatted_unchanged (void)
{
  g_autofree char *original = load_domain_file ("formatted.xml");
  g_autoptr(HangardDomain) domain = parse_ok (original);
  g_autofree char *xml = hangard_domain_to_xml (domain);
  g_autofree char *expected = without_trailing_newline (original);
  g_autofree char *actual = without_trailing_newline (xml);

  g_assert_cmpstr (actual, ==, expected);

  /* It is a realistic document: check a few fields too. */
  g_assert_cmpstr (domain->name, ==, "debian12");
  g_assert_cmpuint (domain->n_boot, ==, 2);
  g_assert_cmpint (domain->boot[0], ==, HANGARD_BOOT_HD);
  g_assert_cmpint (domain->boot[1], ==, HANGARD_BOOT_CDROM);
  g_assert_cmpint (domain->cpu_mode, ==, HANGARD_CPU_MODE_HOST_PASSTHROUGH);
  g_assert_cmpstr (nic_at (domain, 0)->mac, ==, "52:54:00:3c:5b:8a");
}

static void
test_xml_indents_unformatted_input (void)
{
  g_autoptr(HangardDomain) domain = parse_ok (
    "<domain type='qemu'><name>a</name><uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid>"
    "<memory unit='MiB'>64</memory><os><type>hvm</type></os></domain>");
  g_autofree char *xml = hangard_domain_to_xml (domain);

  g_assert_cmpstr (xml, ==,
                   "<domain type=\"qemu\">\n"
                   "  <name>a</name>\n"
                   "  <uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid>\n"
                   "  <memory unit=\"MiB\">64</memory>\n"
                   "  <os>\n"
                   "    <type>hvm</type>\n"
                   "  </os>\n"
                   "</domain>\n");
}

static void
test_xml_keeps_non_ascii (void)
{
  g_autoptr(HangardDomain) domain = parse_ok (
    "<domain type='kvm'><name>测试机</name><memory unit='MiB'>64</memory>"
    "<os><type>hvm</type></os></domain>");
  g_autofree char *xml = hangard_domain_to_xml (domain);

  g_assert_nonnull (strstr (xml, "<name>测试机</name>"));
}

static void
test_copy (void)
{
  g_autoptr(HangardDomain) domain = parse_file_ok ("full.xml");
  g_autoptr(HangardDomain) copy = hangard_domain_copy (domain);
  g_autofree char *xml = hangard_domain_to_xml (domain);
  g_autofree char *copy_xml = NULL;

  g_assert_true (copy != domain);
  g_assert_true (copy->doc != domain->doc);
  g_assert_true (copy->disks != domain->disks);
  g_assert_cmpstr (copy->name, ==, domain->name);
  g_assert_cmpstr (copy->uuid, ==, domain->uuid);
  g_assert_cmpstr (copy->title, ==, domain->title);
  g_assert_cmpstr (copy->description, ==, domain->description);
  g_assert_cmpstr (copy->cpuset, ==, domain->cpuset);
  g_assert_cmpstr (copy->machine_type, ==, domain->machine_type);
  g_assert_cmpstr (copy->kernel, ==, domain->kernel);
  g_assert_cmpstr (copy->cpu_model, ==, domain->cpu_model);
  g_assert_cmpuint (copy->memory_kib, ==, domain->memory_kib);
  g_assert_cmpuint (copy->disks->len, ==, domain->disks->len);
  g_assert_cmpuint (copy->nics->len, ==, domain->nics->len);
  g_assert_true (disk_at (copy, 0) != disk_at (domain, 0));
  g_assert_cmpstr (disk_at (copy, 1)->source_file, ==, disk_at (domain, 1)->source_file);
  g_assert_cmpstr (nic_at (copy, 1)->mac, ==, nic_at (domain, 1)->mac);

  /* Independent of the original from now on. */
  g_clear_pointer (&domain, hangard_domain_free);
  copy_xml = hangard_domain_to_xml (copy);
  g_assert_cmpstr (copy_xml, ==, xml);
  g_assert_cmpstr (disk_at (copy, 0)->target_dev, ==, "vda");
}

static void
test_copy_volume_disk (void)
{
  g_autoptr(HangardDomain) domain =
    parse_devices_ok ("<disk type='volume' device='disk'>"
                      "<driver name='qemu' type='qcow2'/>"
                      "<source pool='vmdisk' volume='disk.qcow2'/>"
                      "<target dev='vda' bus='virtio'/></disk>");
  g_autoptr(HangardDomain) copy = hangard_domain_copy (domain);
  HangardDiskDef *original = disk_at (domain, 0);
  HangardDiskDef *copied = disk_at (copy, 0);

  g_assert_true (copied->source_pool != original->source_pool);
  g_assert_true (copied->source_volume != original->source_volume);

  /* The engine fills the resolved path into a copy; the original keeps none. */
  g_clear_pointer (&domain, hangard_domain_free);
  copied->source_file = g_strdup ("/data/vmfs/disk.qcow2");
  g_assert_cmpstr (copied->source_pool, ==, "vmdisk");
  g_assert_cmpstr (copied->source_volume, ==, "disk.qcow2");
  g_assert_cmpint (copied->format, ==, HANGARD_DISK_FORMAT_QCOW2);
}

static void
test_set_title (void)
{
  g_autoptr(HangardDomain) domain = parse_file_ok ("minimal.xml");
  g_autoptr(HangardDomain) reparsed = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *cleared_xml = NULL;

  hangard_domain_set_title (domain, "Tom & Jerry's <lab>");
  g_assert_cmpstr (domain->title, ==, "Tom & Jerry's <lab>");
  hangard_domain_set_title (domain, "Tom & Jerry's <lab>\nsecond");
  g_assert_cmpstr (domain->title, ==, "Tom & Jerry's <lab> second");

  xml = hangard_domain_to_xml (domain);
  g_assert_nonnull (strstr (xml, "<title>Tom &amp; Jerry's &lt;lab&gt; second</title>"));
  reparsed = parse_ok (xml);
  g_assert_cmpstr (reparsed->title, ==, "Tom & Jerry's <lab> second");

  hangard_domain_set_title (domain, NULL);
  g_assert_null (domain->title);
  cleared_xml = hangard_domain_to_xml (domain);
  g_assert_null (strstr (cleared_xml, "<title"));
  hangard_domain_set_title (domain, "");
  g_assert_null (domain->title);
}

static void
test_to_string (void)
{
  g_assert_cmpstr (hangard_disk_bus_to_string (HANGARD_DISK_BUS_VIRTIO), ==, "virtio");
  g_assert_cmpstr (hangard_disk_bus_to_string (HANGARD_DISK_BUS_SATA), ==, "sata");
  g_assert_cmpstr (hangard_disk_bus_to_string (HANGARD_DISK_BUS_IDE), ==, "ide");
  g_assert_cmpstr (hangard_disk_format_to_string (HANGARD_DISK_FORMAT_RAW), ==, "raw");
  g_assert_cmpstr (hangard_disk_format_to_string (HANGARD_DISK_FORMAT_QCOW2), ==, "qcow2");
  g_assert_cmpstr (hangard_disk_cache_to_string (HANGARD_DISK_CACHE_DEFAULT), ==, "default");
  g_assert_cmpstr (hangard_disk_cache_to_string (HANGARD_DISK_CACHE_NONE), ==, "none");
  g_assert_cmpstr (hangard_disk_cache_to_string (HANGARD_DISK_CACHE_WRITEBACK), ==, "writeback");
  g_assert_cmpstr (hangard_disk_cache_to_string (HANGARD_DISK_CACHE_WRITETHROUGH), ==, "writethrough");
  g_assert_cmpstr (hangard_disk_cache_to_string (HANGARD_DISK_CACHE_DIRECTSYNC), ==, "directsync");
  g_assert_cmpstr (hangard_disk_cache_to_string (HANGARD_DISK_CACHE_UNSAFE), ==, "unsafe");
  g_assert_cmpstr (hangard_nic_model_to_string (HANGARD_NIC_MODEL_VIRTIO), ==, "virtio");
  g_assert_cmpstr (hangard_nic_model_to_string (HANGARD_NIC_MODEL_E1000), ==, "e1000");
  g_assert_cmpstr (hangard_nic_model_to_string (HANGARD_NIC_MODEL_RTL8139), ==, "rtl8139");
}

/* ------------------------------------------------------------------------ */
/* Names                                                                    */
/* ------------------------------------------------------------------------ */

static void
test_name_valid (void)
{
  static const char *names[] = {
    "a",
    "web server \"prod\", eu-west",
    "it's a VM",
    "测试虚拟机",
    "name-with-dash",
    "a.b",
    "1234567890123456789012345678901234567890123456789012345678901234",  /* 64 bytes */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (hangard_domain_name_is_valid (names[i], &error));
      g_assert_no_error (error);
    }
}

static void
test_name_valid_in_definition (void)
{
  g_autofree char *xml = make_domain (&(DomainParts) {
    .name = "web &quot;prod&quot;, it's 测试 &amp; co",
  });
  g_autoptr(HangardDomain) domain = parse_ok (xml);

  g_assert_cmpstr (domain->name, ==, "web \"prod\", it's 测试 & co");
}

static void
test_name_invalid (void)
{
  static const struct {
    const char *name;
    const char *needle;
  } cases[] = {
    { "", "empty" },
    { "a/b", "'/'" },
    { "line\nbreak", "control characters" },
    { "tab\there", "control characters" },
    { "bell\a", "control characters" },
    { ".hidden", "start with" },
    { "-option", "start with" },
    { ".", "reserved" },
    { "..", "reserved" },
    { "12345678901234567890123456789012345678901234567890123456789012345", "65 bytes" },
    { "\xff\xfe", "UTF-8" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (hangard_domain_name_is_valid (cases[i].name, &error));
      g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
      assert_message_contains (error, cases[i].needle);
    }

  /* A newline is shown escaped, not broken across lines. */
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (hangard_domain_name_is_valid ("line\nbreak", &error));
    assert_message_contains (error, "line\\nbreak");
  }
}

static void
test_name_invalid_in_definition (void)
{
  static const struct {
    const char *name_xml;
    const char *needle;
  } cases[] = {
    { "a/b", "a/b" },
    { "line&#10;break", "line\\nbreak" },
    { "..", "'..'" },
    { ".hidden", ".hidden" },
    { "", "empty" },
    { "12345678901234567890123456789012345678901234567890123456789012345", "65 bytes" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = make_domain (&(DomainParts) { .name = cases[i].name_xml });

      assert_rejected (xml, HANGAR_ERROR_INVALID_ARGUMENT, cases[i].needle);
    }

  assert_rejected ("<domain type='kvm'><memory>1048576</memory><os><type>hvm</type></os></domain>",
                   HANGAR_ERROR_INVALID_XML, "<name>");
}

/* ------------------------------------------------------------------------ */
/* Refused documents                                                        */
/* ------------------------------------------------------------------------ */

static void
test_reject_malformed (void)
{
  assert_rejected ("<domain type='kvm'>\n"
                   "  <name>a</name>\n"
                   "  <memory>1048576</memory\n"
                   "</domain>\n",
                   HANGAR_ERROR_INVALID_XML, "line ");
  assert_rejected ("<domain type='kvm'>\n"
                   "  <name>a</nam>\n"
                   "</domain>\n",
                   HANGAR_ERROR_INVALID_XML, "line 2");
  assert_rejected ("not xml at all", HANGAR_ERROR_INVALID_XML, "line 1");
  assert_rejected ("", HANGAR_ERROR_INVALID_XML, "empty");
  assert_rejected ("<domain type='kvm'><undeclared:foo/></domain>",
                   HANGAR_ERROR_INVALID_XML, "undeclared");
  assert_rejected ("<machine/>", HANGAR_ERROR_INVALID_XML, "<machine>");
  assert_rejected ("<domain><name>a</name></domain>", HANGAR_ERROR_INVALID_XML, "type");
}

static void
test_reject_embedded_nul (void)
{
  static const char xml[] = "<domain type='kvm'>\0<name>a</name></domain>";
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardDomain) domain = hangard_domain_parse (xml, sizeof xml - 1, &error);

  g_assert_null (domain);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML);
}

static void
test_reject_xxe (void)
{
  assert_rejected ("<?xml version=\"1.0\"?>\n"
                   "<!DOCTYPE domain [\n"
                   "  <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n"
                   "]>\n"
                   "<domain type='kvm'><name>&xxe;</name>"
                   "<memory>1048576</memory><os><type>hvm</type></os></domain>\n",
                   HANGAR_ERROR_INVALID_XML, "DOCTYPE");
  assert_rejected ("<!DOCTYPE domain SYSTEM \"http://example.org/evil.dtd\">\n"
                   "<domain type='kvm'><name>a</name></domain>\n",
                   HANGAR_ERROR_INVALID_XML, "DOCTYPE");
}

static void
test_reject_billion_laughs (void)
{
  g_autoptr(GString) xml = g_string_new ("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
                                         "  <!ENTITY lol0 \"lol\">\n");
  gint64 start;
  gint64 elapsed;

  for (int i = 1; i <= 12; i++)
    {
      g_string_append_printf (xml, "  <!ENTITY lol%d \"", i);
      for (int j = 0; j < 10; j++)
        g_string_append_printf (xml, "&lol%d;", i - 1);
      g_string_append (xml, "\">\n");
    }
  g_string_append (xml, "]>\n<domain type='kvm'><name>&lol12;</name>"
                        "<memory>1048576</memory><os><type>hvm</type></os></domain>\n");

  start = g_get_monotonic_time ();
  assert_rejected (xml->str, HANGAR_ERROR_INVALID_XML, "DOCTYPE");
  elapsed = g_get_monotonic_time () - start;

  /* 10^12 "lol"s would take hours and terabytes: any expansion shows. */
  g_assert_cmpint (elapsed, <, G_USEC_PER_SEC);
}

static void
test_reject_doctype (void)
{
  assert_rejected ("<!DOCTYPE domain>\n"
                   "<domain type='kvm'><name>a</name><memory>1048576</memory>"
                   "<os><type>hvm</type></os></domain>\n",
                   HANGAR_ERROR_INVALID_XML, "DOCTYPE");
}

static void
test_reject_undeclared_entity (void)
{
  assert_rejected ("<domain type='kvm'><name>&foo;</name><memory>1048576</memory>"
                   "<os><type>hvm</type></os></domain>\n",
                   HANGAR_ERROR_INVALID_XML, "foo");
}

static void
test_reject_too_large (void)
{
  const gsize size = 10 * 1024 * 1024;
  const char *head = "<domain type='kvm'><name>big</name><description>";
  const char *tail = "</description><memory>1048576</memory><os><type>hvm</type></os></domain>";
  g_autofree char *xml = g_malloc (size + 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardDomain) domain = NULL;
  g_autoptr(HangardDomain) at_limit = NULL;

  memset (xml, 'x', size);
  memcpy (xml, head, strlen (head));
  memcpy (xml + size - strlen (tail), tail, strlen (tail));
  xml[size] = '\0';

  domain = hangard_domain_parse (xml, -1, &error);
  g_assert_null (domain);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
  assert_message_contains (error, "10485760");
  g_clear_error (&error);

  /* Also when the length is given. */
  domain = hangard_domain_parse (xml, (gssize) size, &error);
  g_assert_null (domain);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* Exactly at the limit is fine. */
  memmove (xml + HANGARD_DOMAIN_MAX_XML_SIZE - strlen (tail), tail, strlen (tail) + 1);
  at_limit = hangard_domain_parse (xml, -1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (at_limit);
}

static void
test_reject_memory (void)
{
  static const struct {
    const char *memory;
    const char *needle;
  } cases[] = {
    { "<memory>0</memory>", "got 0" },
    { "<memory unit='KiB'>1023</memory>", "at least 1 MiB" },
    { "<memory unit='b'>9223372036854775808</memory>", "9223372036854775808" },
    { "<memory unit='KiB'>9223372036854775807</memory>", "9223372036854775807" },
    { "<memory>18446744073709551615</memory>", "18446744073709551615" },
    { "<memory>99999999999999999999999999</memory>", "99999999999999999999999999" },
    { "<memory unit='TiB'>17</memory>", "16 TiB" },
    { "<memory unit='EiB'>1</memory>", "16 TiB" },
    { "<memory>-1</memory>", "-1" },
    { "<memory>1e6</memory>", "1e6" },
    { "<memory></memory>", "whole number" },
    { "<memory unit='parsecs'>1</memory>", "parsecs" },
    { "<memory unit='MiB'>1024</memory><currentMemory unit='MiB'>2048</currentMemory>", "Current memory" },
    { "<memory unit='MiB'>1024</memory><currentMemory>0</currentMemory>", "Current memory" },
    { "<currentMemory unit='MiB'>1024</currentMemory>", "<memory>" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = make_domain (&(DomainParts) { .memory = cases[i].memory });

      assert_rejected (xml, HANGAR_ERROR_INVALID_XML, cases[i].needle);
    }
}

static void
test_reject_vcpu (void)
{
  static const struct {
    const char *vcpu;
    HangarError code;
    const char *needle;
  } cases[] = {
    { "<vcpu>0</vcpu>", HANGAR_ERROR_INVALID_XML, "got '0'" },
    { "<vcpu>1000</vcpu>", HANGAR_ERROR_INVALID_XML, "got '1000'" },
    { "<vcpu>two</vcpu>", HANGAR_ERROR_INVALID_XML, "two" },
    { "<vcpu>-1</vcpu>", HANGAR_ERROR_INVALID_XML, "-1" },
    { "<vcpu current='2'>4</vcpu>", HANGAR_ERROR_UNSUPPORTED, "current='2'" },
    { "<vcpu placement='somewhere'>4</vcpu>", HANGAR_ERROR_INVALID_XML, "somewhere" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = make_domain (&(DomainParts) { .vcpu = cases[i].vcpu });

      assert_rejected (xml, cases[i].code, cases[i].needle);
    }
}

static void
test_reject_cpuset (void)
{
  static const char *bad[] = {
    "", "a", "0-", "-3", "3-1", "0,,1", "^0-3", "0-3,^0,^1,^2,^3", "1024", "99999999999999999999",
    "1.5", "0;1", "0 - 1", "+1",
  };
  static const char *good[] = {
    "0", "0-3", "0-3,^2,5", "1,3,5", "0-1023", " 0-1 ", "0 , 2",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *vcpu = g_strdup_printf ("<vcpu cpuset='%s'>2</vcpu>", bad[i]);
      g_autofree char *xml = make_domain (&(DomainParts) { .vcpu = vcpu });
      g_autofree char *needle = g_strdup_printf ("cpuset='%s'", bad[i]);

      assert_rejected (xml, HANGAR_ERROR_INVALID_XML, needle);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *vcpu = g_strdup_printf ("<vcpu cpuset='%s'>2</vcpu>", good[i]);
      g_autofree char *xml = make_domain (&(DomainParts) { .vcpu = vcpu });
      g_autoptr(HangardDomain) domain = parse_ok (xml);

      g_assert_cmpstr (domain->cpuset, ==, good[i]);
    }
}

static void
test_reject_cpu (void)
{
  static const struct {
    const char *extra;
    HangarError code;
    const char *needle;
  } cases[] = {
    { "<vcpu>4</vcpu><cpu><topology sockets='1' cores='2' threads='1'/></cpu>",
      HANGAR_ERROR_INVALID_XML, "2 vCPUs" },
    { "<vcpu>4</vcpu><cpu><topology sockets='1000000' cores='1000000' threads='1000000'/></cpu>",
      HANGAR_ERROR_INVALID_XML, "more than 255" },
    { "<vcpu>4</vcpu><cpu><topology sockets='4' cores='1'/></cpu>",
      HANGAR_ERROR_INVALID_XML, "threads" },
    { "<vcpu>4</vcpu><cpu><topology sockets='0' cores='4' threads='1'/></cpu>",
      HANGAR_ERROR_INVALID_XML, "sockets='0'" },
    { "<cpu mode='custom'><model>qemu64,+vmx</model></cpu>",
      HANGAR_ERROR_INVALID_XML, "qemu64,+vmx" },
    { "<cpu mode='custom'><model>help</model></cpu>", HANGAR_ERROR_INVALID_XML, "'help'" },
    { "<cpu mode='maximum'/>", HANGAR_ERROR_UNSUPPORTED, "maximum" },
    { "<cpu mode='fastest'/>", HANGAR_ERROR_INVALID_XML, "fastest" },
    { "<cpu mode='host-passthrough'><feature policy='disable' name='vmx'/></cpu>",
      HANGAR_ERROR_UNSUPPORTED, "<feature>" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = make_domain (&(DomainParts) { .extra = cases[i].extra });

      assert_rejected (xml, cases[i].code, cases[i].needle);
    }
}

static void
test_reject_os (void)
{
  static const struct {
    const char *os_type;
    const char *os_extra;
    HangarError code;
    const char *needle;
  } cases[] = {
    { "<type>xen</type>", "", HANGAR_ERROR_UNSUPPORTED, "xen" },
    { "<type>windows</type>", "", HANGAR_ERROR_INVALID_XML, "windows" },
    { "<type arch='aarch64'>hvm</type>", "", HANGAR_ERROR_UNSUPPORTED, "aarch64" },
    { "<type machine='isapc'>hvm</type>", "", HANGAR_ERROR_UNSUPPORTED, "isapc" },
    { "<type machine='pc-q35-7.2,accel=tcg'>hvm</type>", "", HANGAR_ERROR_UNSUPPORTED, "accel=tcg" },
    { NULL, "<boot dev='fd'/>", HANGAR_ERROR_UNSUPPORTED, "fd" },
    { NULL, "<boot dev='usb'/>", HANGAR_ERROR_INVALID_XML, "usb" },
    { NULL, "<boot/>", HANGAR_ERROR_INVALID_XML, "dev" },
    { NULL, "<boot dev='hd'/><boot dev='hd'/>", HANGAR_ERROR_INVALID_XML, "more than once" },
    /* Only three devices exist, so a fifth <boot> always repeats one. */
    { NULL, "<boot dev='hd'/><boot dev='cdrom'/><boot dev='network'/><boot dev='hd'/><boot dev='cdrom'/>",
      HANGAR_ERROR_INVALID_XML, "<boot dev='hd'>" },
    { NULL, "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>",
      HANGAR_ERROR_UNSUPPORTED, "UEFI" },
    { NULL, "<nvram>/var/lib/nvram.fd</nvram>", HANGAR_ERROR_UNSUPPORTED, "<nvram>" },
    { NULL, "<kernel>vmlinuz</kernel>", HANGAR_ERROR_INVALID_XML, "vmlinuz" },
    { NULL, "<kernel>/boot/vmlinuz</kernel><initrd>initrd.img</initrd>", HANGAR_ERROR_INVALID_XML, "initrd.img" },
    { NULL, "<cmdline>quiet</cmdline>", HANGAR_ERROR_INVALID_XML, "<kernel>" },
    { NULL, "<type>hvm</type>", HANGAR_ERROR_INVALID_XML, "more than once" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = make_domain (&(DomainParts) {
        .os_type = cases[i].os_type,
        .os_extra = cases[i].os_extra,
      });

      assert_rejected (xml, cases[i].code, cases[i].needle);
    }

  assert_rejected ("<domain type='kvm'><name>a</name><memory>1048576</memory></domain>",
                   HANGAR_ERROR_INVALID_XML, "<os>");
  assert_rejected ("<domain type='kvm'><name>a</name><memory>1048576</memory><os/></domain>",
                   HANGAR_ERROR_INVALID_XML, "<type>");
  assert_rejected ("<domain type='kvm'><name>a</name><memory>1048576</memory>"
                   "<os firmware='efi'><type>hvm</type></os></domain>",
                   HANGAR_ERROR_UNSUPPORTED, "UEFI");
}

static void
test_reject_domain_type (void)
{
  assert_rejected ("<domain type='xen'><name>a</name></domain>", HANGAR_ERROR_UNSUPPORTED, "xen");
  assert_rejected ("<domain type='vmware2'><name>a</name></domain>", HANGAR_ERROR_INVALID_XML, "vmware2");
}

static void
test_reject_relative_paths (void)
{
  assert_devices_rejected ("<disk type='file' device='disk'>"
                           "<driver name='qemu' type='qcow2'/>"
                           "<source file='images/disk.qcow2'/>"
                           "<target dev='vda' bus='virtio'/></disk>",
                           HANGAR_ERROR_INVALID_XML, "images/disk.qcow2");
  assert_devices_rejected ("<disk type='file' device='cdrom'>"
                           "<driver name='qemu' type='raw'/>"
                           "<source file='../install.iso'/>"
                           "<target dev='sda' bus='sata'/></disk>",
                           HANGAR_ERROR_INVALID_XML, "../install.iso");
  assert_devices_rejected ("<disk type='file' device='disk'>"
                           "<driver name='qemu' type='qcow2'/>"
                           "<source file=''/>"
                           "<target dev='vda' bus='virtio'/></disk>",
                           HANGAR_ERROR_INVALID_XML, "absolute");
}

static void
test_reject_disk_without_format (void)
{
  assert_devices_rejected ("<disk type='file' device='disk'>"
                           "<source file='/var/lib/disk.img'/>"
                           "<target dev='vda' bus='virtio'/></disk>",
                           HANGAR_ERROR_INVALID_XML, "never guesses");
  assert_devices_rejected ("<disk type='file' device='disk'>"
                           "<driver name='qemu' cache='none'/>"
                           "<source file='/var/lib/disk.img'/>"
                           "<target dev='vda' bus='virtio'/></disk>",
                           HANGAR_ERROR_INVALID_XML, "vda");
  assert_devices_rejected ("<disk type='file' device='cdrom'>"
                           "<source file='/srv/install.iso'/>"
                           "<target dev='sda' bus='sata'/></disk>",
                           HANGAR_ERROR_INVALID_XML, "never guesses");
}

static void
test_reject_disk (void)
{
  static const struct {
    const char *devices;
    HangarError code;
    const char *needle;
  } cases[] = {
    { "<disk type='block' device='disk'><source dev='/dev/sdb'/><target dev='vda' bus='virtio'/></disk>",
      HANGAR_ERROR_UNSUPPORTED, "type='block'" },
    { "<disk type='network' device='disk'><target dev='vda' bus='virtio'/></disk>",
      HANGAR_ERROR_UNSUPPORTED, "type='network'" },
    { "<disk type='dir' device='disk'><source dir='/srv/files'/><target dev='vda'/></disk>",
      HANGAR_ERROR_UNSUPPORTED, "type='dir'" },
    { "<disk type='file' device='floppy'><target dev='fda'/></disk>",
      HANGAR_ERROR_UNSUPPORTED, "floppy" },
    { "<disk type='file' device='lun'><target dev='sda'/></disk>",
      HANGAR_ERROR_UNSUPPORTED, "lun" },
    { "<disk type='file'><driver name='qemu' type='raw'/><source file='/a'/><target dev='sda' bus='scsi'/></disk>",
      HANGAR_ERROR_UNSUPPORTED, "bus='scsi'" },
    { "<disk type='file'><driver name='qemu' type='raw'/><source file='/a'/><target dev='sda' bus='usb'/></disk>",
      HANGAR_ERROR_UNSUPPORTED, "bus='usb'" },
    { "<disk type='file'><driver name='qemu' type='raw'/><source file='/a'/><target dev='sda' bus='pci'/></disk>",
      HANGAR_ERROR_INVALID_XML, "bus='pci'" },
    { "<disk type='file'><driver name='qemu' type='raw'/><source file='/a'/><target dev='sda'/></disk>",
      HANGAR_ERROR_UNSUPPORTED, "bus='sata'" },
    { "<disk type='file'><driver name='qemu' type='vmdk'/><source file='/a'/><target dev='vda'/></disk>",
      HANGAR_ERROR_UNSUPPORTED, "vmdk" },
    { "<disk type='file'><driver name='qemu' type='qcow3'/><source file='/a'/><target dev='vda'/></disk>",
      HANGAR_ERROR_INVALID_XML, "qcow3" },
    { "<disk type='file'><driver name='qemu' type='raw' cache='sometimes'/><source file='/a'/><target dev='vda'/></disk>",
      HANGAR_ERROR_INVALID_XML, "sometimes" },
    { "<disk type='file'><driver name='tap' type='raw'/><source file='/a'/><target dev='vda'/></disk>",
      HANGAR_ERROR_UNSUPPORTED, "tap" },
    { "<disk type='file'><driver name='qemu' type='raw'/><target dev='vda'/></disk>",
      HANGAR_ERROR_INVALID_XML, "<source" },
    { "<disk type='file'><driver name='qemu' type='raw'/><source file='/a'/></disk>",
      HANGAR_ERROR_INVALID_XML, "<target" },
    { "<disk type='file'><driver name='qemu' type='raw'/><source file='/a'/><target bus='virtio'/></disk>",
      HANGAR_ERROR_INVALID_XML, "dev" },
    { "<disk type='file'><driver name='qemu' type='raw'/><source file='/a'/><target dev='vd a'/></disk>",
      HANGAR_ERROR_INVALID_XML, "vd a" },
    { "<disk type='file'><driver name='qemu' type='raw'/><source file='/a'/><target dev='vdabcdefghijklmnop'/></disk>",
      HANGAR_ERROR_INVALID_XML, "vdabcdefghijklmnop" },
    { "<disk type='file' device='cdrom'><target dev='vdc' bus='virtio'/></disk>",
      HANGAR_ERROR_UNSUPPORTED, "virtio" },
    { "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>",
      HANGAR_ERROR_UNSUPPORTED, "IDE" },
    { "<disk type='file'><driver name='qemu' type='raw'/><source file='/a'/><target dev='sda' bus='sata'/><readonly/></disk>",
      HANGAR_ERROR_UNSUPPORTED, "Read-only" },
    { "<disk type='file'><driver name='qemu' type='raw'/><source file='/a'/><target dev='vda'/><shareable/></disk>",
      HANGAR_ERROR_UNSUPPORTED, "<shareable> in <disk>" },
    { "<disk type='file'><driver name='qemu' type='raw'/><source file='/a'/><target dev='vda'/><iotune/></disk>",
      HANGAR_ERROR_UNSUPPORTED, "<iotune>" },
    { "<disk type='file'><driver name='qemu' type='raw'/><source file='/a'/><target dev='vda'/><driver name='qemu' type='raw'/></disk>",
      HANGAR_ERROR_INVALID_XML, "more than once" },
    { "<disk type='file'><driver name='qemu' type='raw'/><source file='/a'/><target dev='vda'/><boot order='0'/></disk>",
      HANGAR_ERROR_INVALID_XML, "order='0'" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_devices_rejected (cases[i].devices, cases[i].code, cases[i].needle);
}

static void
test_reject_volume_disk (void)
{
  static const struct {
    const char *devices;
    HangarError code;
    const char *needle;
  } cases[] = {
    { "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
      "<source pool='vmdisk'/><target dev='vda' bus='virtio'/></disk>",
      HANGAR_ERROR_INVALID_XML, "volume" },
    { "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
      "<source volume='disk.qcow2'/><target dev='vda' bus='virtio'/></disk>",
      HANGAR_ERROR_INVALID_XML, "pool" },
    { "<disk type='volume' device='cdrom'><driver name='qemu' type='raw'/>"
      "<source volume='install.iso'/><target dev='sda' bus='sata'/></disk>",
      HANGAR_ERROR_INVALID_XML, "sda" },
    { "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
      "<source file='/srv/disk.qcow2'/><target dev='vda' bus='virtio'/></disk>",
      HANGAR_ERROR_INVALID_XML, "pool" },
    { "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
      "<target dev='vda' bus='virtio'/></disk>",
      HANGAR_ERROR_INVALID_XML, "<source pool=" },
    { "<disk type='volume' device='disk'>"
      "<source pool='vmdisk' volume='disk.qcow2'/><target dev='vda' bus='virtio'/></disk>",
      HANGAR_ERROR_INVALID_XML, "never guesses" },
    { "<disk type='volume' device='cdrom'>"
      "<source pool='default' volume='install.iso'/><target dev='sda' bus='sata'/></disk>",
      HANGAR_ERROR_INVALID_XML, "never guesses" },
    { "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
      "<source pool='vmdisk' volume='../../etc/shadow'/><target dev='vda' bus='virtio'/></disk>",
      HANGAR_ERROR_INVALID_ARGUMENT, "volume name" },
    { "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
      "<source pool='vmdisk' volume='..'/><target dev='vda' bus='virtio'/></disk>",
      HANGAR_ERROR_INVALID_ARGUMENT, "vda" },
    { "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
      "<source pool='vmdisk' volume='.hidden.qcow2'/><target dev='vda' bus='virtio'/></disk>",
      HANGAR_ERROR_INVALID_ARGUMENT, "volume name" },
    { "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
      "<source pool='vmdisk' volume=''/><target dev='vda' bus='virtio'/></disk>",
      HANGAR_ERROR_INVALID_ARGUMENT, "volume name" },
    { "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
      "<source pool='a/b' volume='disk.qcow2'/><target dev='vda' bus='virtio'/></disk>",
      HANGAR_ERROR_INVALID_ARGUMENT, "pool name" },
    { "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
      "<source pool='-vmdisk' volume='disk.qcow2'/><target dev='vda' bus='virtio'/></disk>",
      HANGAR_ERROR_INVALID_ARGUMENT, "pool name" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_devices_rejected (cases[i].devices, cases[i].code, cases[i].needle);
}

static void
test_reject_duplicate_target (void)
{
  assert_devices_rejected ("<disk type='file'><driver name='qemu' type='raw'/>"
                           "<source file='/a.img'/><target dev='vda' bus='virtio'/></disk>"
                           "<disk type='file'><driver name='qemu' type='raw'/>"
                           "<source file='/b.img'/><target dev='vda' bus='virtio'/></disk>",
                           HANGAR_ERROR_INVALID_XML, "vda");
}

static void
test_reject_unknown_element (void)
{
  static const struct {
    const char *extra;
    const char *devices;
    const char *needle;
  } cases[] = {
    { "", "<hostdev mode='subsystem' type='pci'/>",
      "Unsupported element <hostdev> in <devices>: Hangar cannot pass host devices through" },
    { "", "<foo/>", "Unsupported element <foo> in <devices>" },
    { "<foo/>", "", "Unsupported element <foo> in <domain>" },
    { "", "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>", "<channel>" },
    { "", "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>", "<rng>" },
    { "", "<sound model='ich9'/>", "<sound>" },
    { "<sysinfo type='smbios'/>", "", "<sysinfo>" },
    { "<memoryBacking><locked/></memoryBacking>", "", "<locked> in <memoryBacking>" },
    { "<iothreads>1</iothreads>", "", "<iothreads>" },
    { "<features><hap/></features>", "", "<hap> in <features>" },
    { "<features><acpi><extra/></acpi></features>", "", "<extra> in <acpi>" },
    { "", "<interface type='user'><link state='down'/></interface>", "<link> in <interface>" },
    { "", "<video><driver name='vhostuser'/></video>", "<driver> in <video>" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = make_domain (&(DomainParts) {
        .extra = cases[i].extra,
        .devices = cases[i].devices,
      });

      assert_rejected (xml, HANGAR_ERROR_UNSUPPORTED, cases[i].needle);
    }

  assert_rejected ("<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
                   "<name>a</name><memory>1048576</memory><os><type>hvm</type></os>"
                   "<qemu:commandline><qemu:arg value='-s'/></qemu:commandline></domain>",
                   HANGAR_ERROR_UNSUPPORTED, "<qemu:commandline>");
}

static void
test_reject_duplicate_element (void)
{
  g_autofree char *xml = make_domain (&(DomainParts) {
    .memory = "<memory>1048576</memory><memory>2097152</memory>",
  });

  assert_rejected (xml, HANGAR_ERROR_INVALID_XML, "<memory> appears more than once");
}

static void
test_reject_interface (void)
{
  static const struct {
    const char *devices;
    HangarError code;
    const char *needle;
  } cases[] = {
    { "<interface type='direct'/>", HANGAR_ERROR_UNSUPPORTED, "type='direct'" },
    { "<interface type='ethernet'/>", HANGAR_ERROR_UNSUPPORTED, "type='bridge'" },
    { "<interface type='carrier-pigeon'/>", HANGAR_ERROR_INVALID_XML, "carrier-pigeon" },
    { "<interface/>", HANGAR_ERROR_INVALID_XML, "type" },
    { "<interface type='user'><model type='e1000e'/></interface>", HANGAR_ERROR_UNSUPPORTED, "e1000e" },
    { "<interface type='user'><mac/></interface>", HANGAR_ERROR_INVALID_XML, "address" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_devices_rejected (cases[i].devices, cases[i].code, cases[i].needle);
}

static void
test_reject_interface_source (void)
{
  static const struct {
    const char *devices;
    HangarError code;
    const char *needle;
  } cases[] = {
    { "<interface type='network'/>", HANGAR_ERROR_INVALID_XML, "<source network='default'/>" },
    { "<interface type='network'><source bridge='br0'/></interface>",
      HANGAR_ERROR_INVALID_XML, "<source network='default'/>" },
    { "<interface type='bridge'/>", HANGAR_ERROR_INVALID_XML, "<source bridge='br0'/>" },
    { "<interface type='bridge'><source network='default'/></interface>",
      HANGAR_ERROR_INVALID_XML, "<source bridge='br0'/>" },
    { "<interface type='network'><source network='../etc'/></interface>",
      HANGAR_ERROR_INVALID_ARGUMENT, "network name" },
    { "<interface type='network'><source network=''/></interface>",
      HANGAR_ERROR_INVALID_ARGUMENT, "network name" },
    { "<interface type='network'><source network='-x'/></interface>",
      HANGAR_ERROR_INVALID_ARGUMENT, "network name" },
    { "<interface type='network'><source network='default' portgroup='web'/></interface>",
      HANGAR_ERROR_UNSUPPORTED, "portgroup" },
    { "<interface type='network'><source network='default'><x/></source></interface>",
      HANGAR_ERROR_UNSUPPORTED, "<x> in <source>" },
    { "<interface type='bridge'><source bridge='my bridge'/></interface>",
      HANGAR_ERROR_INVALID_ARGUMENT, "interface name" },
    { "<interface type='bridge'><source bridge='br0123456789abcd'/></interface>",
      HANGAR_ERROR_INVALID_ARGUMENT, "15" },
    { "<interface type='bridge'><source bridge='-br0'/></interface>",
      HANGAR_ERROR_INVALID_ARGUMENT, "'-'" },
    { "<interface type='user'><source network='default'/></interface>",
      HANGAR_ERROR_UNSUPPORTED, "<source>" },
    { "<interface type='network'><source network='default'/>"
      "<target dev='tap0' managed='no'/></interface>",
      HANGAR_ERROR_UNSUPPORTED, "managed='no'" },
    { "<interface type='network'><source network='default'/><target dev='tap0' managed='maybe'/>"
      "</interface>", HANGAR_ERROR_INVALID_XML, "maybe" },
    { "<interface type='network'><source network='default'/><backend type='passt'/></interface>",
      HANGAR_ERROR_UNSUPPORTED, "type='passt'" },
    { "<interface type='user'><backend type='slirp4'/></interface>",
      HANGAR_ERROR_INVALID_XML, "slirp4" },
    { "<interface type='user'><backend logFile='/tmp/passt.log'/></interface>",
      HANGAR_ERROR_UNSUPPORTED, "logFile" },
    { "<interface type='network'><source network='default'/><backend tap='/dev/net/tun'/>"
      "</interface>", HANGAR_ERROR_UNSUPPORTED, "tap=" },
    { "<interface type='network'><source network='default'/><source network='other'/>"
      "</interface>", HANGAR_ERROR_INVALID_XML, "more than once" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_devices_rejected (cases[i].devices, cases[i].code, cases[i].needle);
}

static void
test_reject_port_forward (void)
{
  static const struct {
    const char *port_forward;
    HangarError code;
    const char *needle;
  } cases[] = {
    { "<portForward><range start='2222' to='22'/></portForward>",
      HANGAR_ERROR_INVALID_XML, "proto" },
    { "<portForward proto='sctp'><range start='2222' to='22'/></portForward>",
      HANGAR_ERROR_INVALID_XML, "sctp" },
    { "<portForward proto='tcp'/>", HANGAR_ERROR_INVALID_XML, "<range" },
    { "<portForward proto='tcp'><range start='2222' to='22'/><range start='2223' to='23'/>"
      "</portForward>", HANGAR_ERROR_UNSUPPORTED, "second <range>" },
    { "<portForward proto='tcp'><range start='5000' end='5020' to='6000'/></portForward>",
      HANGAR_ERROR_UNSUPPORTED, "end=" },
    { "<portForward proto='tcp'><range start='5010' exclude='yes'/></portForward>",
      HANGAR_ERROR_UNSUPPORTED, "exclude=" },
    { "<portForward proto='tcp'><range to='22'/></portForward>",
      HANGAR_ERROR_INVALID_XML, "start" },
    { "<portForward proto='tcp'><range start='0' to='22'/></portForward>",
      HANGAR_ERROR_INVALID_XML, "start='0'" },
    { "<portForward proto='tcp'><range start='65536' to='22'/></portForward>",
      HANGAR_ERROR_INVALID_XML, "65536" },
    { "<portForward proto='tcp'><range start='ssh' to='22'/></portForward>",
      HANGAR_ERROR_INVALID_XML, "ssh" },
    { "<portForward proto='tcp'><range start='-1' to='22'/></portForward>",
      HANGAR_ERROR_INVALID_XML, "-1" },
    { "<portForward proto='tcp'><range start='2222' to='0'/></portForward>",
      HANGAR_ERROR_INVALID_XML, "to='0'" },
    { "<portForward proto='tcp'><range start='2222' to=''/></portForward>",
      HANGAR_ERROR_INVALID_XML, "to=''" },
    { "<portForward proto='tcp'><range start='2222'><x/></range></portForward>",
      HANGAR_ERROR_UNSUPPORTED, "<x>" },
    { "<portForward proto='tcp' address='::1'><range start='2222'/></portForward>",
      HANGAR_ERROR_UNSUPPORTED, "::1" },
    { "<portForward proto='tcp' address='localhost'><range start='2222'/></portForward>",
      HANGAR_ERROR_INVALID_XML, "localhost" },
    { "<portForward proto='tcp' address='127.0.0.1,guestfwd=x'><range start='2222'/>"
      "</portForward>", HANGAR_ERROR_INVALID_XML, "guestfwd" },
    { "<portForward proto='tcp' dev='eth0'><range start='2222'/></portForward>",
      HANGAR_ERROR_UNSUPPORTED, "dev=" },
    { "<portForward proto='tcp'><range start='2222' to='22'/></portForward>"
      "<portForward proto='tcp' address='127.0.0.1'><range start='2222' to='23'/></portForward>",
      HANGAR_ERROR_INVALID_XML, "forwarded twice" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *devices = g_strdup_printf ("<interface type='user'>%s</interface>",
                                                  cases[i].port_forward);

      assert_devices_rejected (devices, cases[i].code, cases[i].needle);
    }

  /* Only user-mode interfaces forward ports. */
  assert_devices_rejected ("<interface type='network'><source network='default'/>"
                           "<portForward proto='tcp'><range start='2222'/></portForward>"
                           "</interface>", HANGAR_ERROR_UNSUPPORTED, "<portForward>");
  assert_devices_rejected ("<interface type='bridge'><source bridge='br0'/>"
                           "<portForward proto='tcp'><range start='2222'/></portForward>"
                           "</interface>", HANGAR_ERROR_UNSUPPORTED, "type='user'");
  /* Nor twice across interfaces. */
  assert_devices_rejected ("<interface type='user'><portForward proto='udp'>"
                           "<range start='5353'/></portForward></interface>"
                           "<interface type='user'><portForward proto='udp'>"
                           "<range start='5353' to='53'/></portForward></interface>",
                           HANGAR_ERROR_INVALID_XML, "Host port 5353 (udp)");
}

static void
test_reject_invalid_mac (void)
{
  static const char *bad[] = {
    "52:54:00:12:34", "52:54:00:12:34:5g", "52-54-00-12-34-56", "5254.0012.3456",
    "52:54:00:12:34:56:78", "2:54:00:12:34:56", "", "52:54:00:12:34:56 ",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *devices = g_strdup_printf ("<interface type='user'><mac address='%s'/></interface>",
                                                  bad[i]);
      g_autofree char *needle = g_strdup_printf ("'%s'", bad[i]);

      assert_devices_rejected (devices, HANGAR_ERROR_INVALID_XML, needle);
    }
}

static void
test_reject_multicast_mac (void)
{
  assert_devices_rejected ("<interface type='user'><mac address='01:00:5e:00:00:01'/></interface>",
                           HANGAR_ERROR_INVALID_XML, "01:00:5e:00:00:01");
  assert_devices_rejected ("<interface type='user'><mac address='ff:ff:ff:ff:ff:ff'/></interface>",
                           HANGAR_ERROR_INVALID_XML, "multicast");
  assert_devices_rejected ("<interface type='user'><mac address='53:54:00:12:34:56'/></interface>",
                           HANGAR_ERROR_INVALID_XML, "multicast");
}

static void
test_reject_duplicate_mac (void)
{
  assert_devices_rejected ("<interface type='user'><mac address='52:54:00:12:34:56'/></interface>"
                           "<interface type='user'><mac address='52:54:00:12:34:56'/></interface>",
                           HANGAR_ERROR_INVALID_XML, "52:54:00:12:34:56");
  /* The same address in another case is the same address. */
  assert_devices_rejected ("<interface type='user'><mac address='52:54:00:ab:cd:ef'/></interface>"
                           "<interface type='user'><mac address='52:54:00:AB:CD:EF'/></interface>",
                           HANGAR_ERROR_INVALID_XML, "same MAC");
}

static void
test_reject_boot_order (void)
{
  g_autofree char *combined = make_domain (&(DomainParts) {
    .os_extra = "<boot dev='hd'/>",
    .devices = "<disk type='file'><driver name='qemu' type='raw'/><source file='/a.img'/>"
               "<target dev='vda' bus='virtio'/><boot order='1'/></disk>",
  });

  assert_devices_rejected ("<disk type='file'><driver name='qemu' type='raw'/><source file='/a.img'/>"
                           "<target dev='vda' bus='virtio'/><boot order='1'/></disk>"
                           "<interface type='user'><boot order='1'/></interface>",
                           HANGAR_ERROR_INVALID_XML, "Boot order 1");
  assert_rejected (combined, HANGAR_ERROR_INVALID_XML, "<boot dev=");
}

static void
test_reject_devices (void)
{
  static const struct {
    const char *devices;
    HangarError code;
    const char *needle;
  } cases[] = {
    { "<graphics type='spice'/>", HANGAR_ERROR_UNSUPPORTED, "type='spice'" },
    { "<graphics type='sdl'/>", HANGAR_ERROR_UNSUPPORTED, "type='sdl'" },
    { "<graphics type='vnc'/><graphics type='vnc'/>", HANGAR_ERROR_UNSUPPORTED, "more than one <graphics>" },
    { "<video><model type='qxl'/></video>", HANGAR_ERROR_UNSUPPORTED, "qxl" },
    { "<video><model type='cirrus'/></video>", HANGAR_ERROR_UNSUPPORTED, "cirrus" },
    { "<video><model type='virtio'><acceleration accel3d='yes'/></model></video>",
      HANGAR_ERROR_UNSUPPORTED, "accel3d" },
    { "<video/><video/>", HANGAR_ERROR_UNSUPPORTED, "more than one <video>" },
    { "<serial type='tcp'/>", HANGAR_ERROR_UNSUPPORTED, "type='tcp'" },
    { "<serial type='pty'/><serial type='pty'/>", HANGAR_ERROR_UNSUPPORTED, "one serial port" },
    { "<console type='pty'><target type='virtio'/></console>", HANGAR_ERROR_UNSUPPORTED, "type='virtio'" },
    { "<input type='tablet' bus='virtio'/>", HANGAR_ERROR_UNSUPPORTED, "bus='virtio'" },
    { "<input type='mouse' bus='usb'/>", HANGAR_ERROR_UNSUPPORTED, "type='mouse'" },
    { "<input type='passthrough' bus='virtio'/>", HANGAR_ERROR_UNSUPPORTED, "passthrough" },
    { "<emulator>/a</emulator><emulator>/b</emulator>", HANGAR_ERROR_INVALID_XML, "<emulator>" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_devices_rejected (cases[i].devices, cases[i].code, cases[i].needle);
}

static void
test_reject_uuid (void)
{
  static const struct {
    const char *uuid;
    const char *needle;
  } cases[] = {
    { "xyz", "Invalid UUID 'xyz'" },
    { "", "Invalid UUID ''" },
    { "c7a5fdbd-cdaf-9455-926a-d65c16db180", "d65c16db180" },
    { "c7a5fdbdc-daf-9455-926a-d65c16db1809", "c7a5fdbdc" },
    { "g7a5fdbd-cdaf-9455-926a-d65c16db1809", "g7a5fdbd" },
    { "00000000-0000-0000-0000-000000000000", "same" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *extra = g_strdup_printf ("<uuid>%s</uuid>", cases[i].uuid);
      g_autofree char *xml = make_domain (&(DomainParts) { .extra = extra });

      assert_rejected (xml, HANGAR_ERROR_INVALID_XML, cases[i].needle);
    }
}

static void
test_reject_title (void)
{
  g_autofree char *xml = make_domain (&(DomainParts) { .extra = "<title>two\nlines</title>" });

  assert_rejected (xml, HANGAR_ERROR_INVALID_XML, "<title>");
}

/* ---- Hardware: vCPU pins, huge pages, cache modes, boot order ------------ */

static void
test_parse_vcpupin (void)
{
  g_autofree char *xml = make_domain (&(DomainParts) {
    .vcpu = "<vcpu cpuset='0-3'>4</vcpu>",
    .extra = "<cputune><vcpupin vcpu='0' cpuset='1'/><vcpupin vcpu='2' cpuset='2-3,^3'/>"
             "<shares>2048</shares></cputune>",
  });
  g_autoptr(HangardDomain) domain = parse_ok (xml);
  g_autoptr(HangardDomain) copy = hangard_domain_copy (domain);
  HangardVcpuPin *pin;

  g_assert_cmpuint (domain->vcpu_pins->len, ==, 2);
  pin = domain->vcpu_pins->pdata[1];
  g_assert_cmpuint (pin->vcpu, ==, 2);
  g_assert_cmpstr (pin->cpuset, ==, "2-3,^3");
  g_assert_cmpuint (domain->cpu_shares, ==, 2048);

  /* A pin wins over <vcpu cpuset>, which holds the others. */
  g_assert_cmpstr (hangard_domain_get_vcpu_cpuset (domain, 0), ==, "1");
  g_assert_cmpstr (hangard_domain_get_vcpu_cpuset (domain, 1), ==, "0-3");
  g_assert_cmpstr (hangard_domain_get_vcpu_cpuset (copy, 2), ==, "2-3,^3");
  g_assert_cmpuint (copy->vcpu_pins->len, ==, 2);
}

static void
test_reject_vcpupin (void)
{
  static const struct {
    const char *cputune;
    HangarError code;
    const char *needle;
  } cases[] = {
    { "<vcpupin vcpu='2' cpuset='1'/>", HANGAR_ERROR_INVALID_XML, "vcpu='2'" },
    { "<vcpupin vcpu='x' cpuset='1'/>", HANGAR_ERROR_INVALID_XML, "vcpu='x'" },
    { "<vcpupin cpuset='1'/>", HANGAR_ERROR_INVALID_XML, "vCPU number" },
    { "<vcpupin vcpu='0'/>", HANGAR_ERROR_INVALID_XML, "cpuset attribute is missing" },
    { "<vcpupin vcpu='0' cpuset='3-1'/>", HANGAR_ERROR_INVALID_XML, "low to high" },
    { "<vcpupin vcpu='0' cpuset='1'/><vcpupin vcpu='0' cpuset='2'/>", HANGAR_ERROR_INVALID_XML,
      "pinned twice" },
    { "<emulatorpin cpuset='1'/>", HANGAR_ERROR_UNSUPPORTED, "<emulatorpin>" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *extra = g_strdup_printf ("<cputune>%s</cputune>", cases[i].cputune);
      g_autofree char *xml = make_domain (&(DomainParts) {
        .vcpu = "<vcpu>2</vcpu>",
        .extra = extra,
      });

      assert_rejected (xml, cases[i].code, cases[i].needle);
    }
}

static void
test_parse_hugepages (void)
{
  static const struct {
    const char *backing;
    guint64     page_kib;
  } cases[] = {
    { "<memoryBacking><hugepages/></memoryBacking>", 0 },
    { "<memoryBacking><hugepages><page size='2048'/></hugepages></memoryBacking>", 2048 },
    { "<memoryBacking><hugepages><page size='2' unit='M'/></hugepages></memoryBacking>", 2048 },
    { "<memoryBacking><hugepages><page size='1' unit='GiB'/></hugepages></memoryBacking>", 1024 * 1024 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = make_domain (&(DomainParts) { .extra = cases[i].backing });
      g_autoptr(HangardDomain) domain = parse_ok (xml);
      g_autoptr(HangardDomain) copy = hangard_domain_copy (domain);
      g_autofree char *out = hangard_domain_to_xml (domain);

      g_assert_true (domain->hugepages);
      g_assert_cmpuint (domain->hugepage_kib, ==, cases[i].page_kib);
      g_assert_true (copy->hugepages);
      g_assert_cmpuint (copy->hugepage_kib, ==, cases[i].page_kib);
      /* Kept as written. */
      g_assert_nonnull (strstr (out, "<hugepages"));
    }

  {
    g_autofree char *xml = make_domain (&(DomainParts) { .extra = "<memoryBacking/>" });
    g_autoptr(HangardDomain) domain = parse_ok (xml);

    g_assert_false (domain->hugepages);
  }
}

static void
test_reject_hugepages (void)
{
  static const struct {
    const char *backing;
    HangarError code;
    const char *needle;
  } cases[] = {
    { "<hugepages><page size='3' unit='M'/></hugepages>", HANGAR_ERROR_INVALID_XML, "huge page size" },
    { "<hugepages><page size='4'/></hugepages>", HANGAR_ERROR_INVALID_XML, "huge page size" },
    { "<hugepages><page unit='M'/></hugepages>", HANGAR_ERROR_INVALID_XML, "huge page size" },
    { "<hugepages><page size='2' unit='parsecs'/></hugepages>", HANGAR_ERROR_INVALID_XML, "huge page size" },
    { "<hugepages><page size='2' unit='M' nodeset='0'/></hugepages>", HANGAR_ERROR_UNSUPPORTED, "nodeset" },
    { "<hugepages><page size='2' unit='M'/><page size='1' unit='G'/></hugepages>",
      HANGAR_ERROR_UNSUPPORTED, "second <page>" },
    { "<hugepages/><locked/>", HANGAR_ERROR_UNSUPPORTED, "<locked>" },
    { "<source type='memfd'/>", HANGAR_ERROR_UNSUPPORTED, "<source>" },
    { "<access mode='shared'/>", HANGAR_ERROR_UNSUPPORTED, "<access>" },
    { "<hugepages/><hugepages/>", HANGAR_ERROR_INVALID_XML, "more than once" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *extra = g_strdup_printf ("<memoryBacking>%s</memoryBacking>", cases[i].backing);
      g_autofree char *xml = make_domain (&(DomainParts) { .extra = extra });

      assert_rejected (xml, cases[i].code, cases[i].needle);
    }
}

/* Every libvirt cache mode and per-device boot orders: read, and kept. */
static void
test_parse_cache_and_boot_order (void)
{
  static const char * const modes[] = {
    "default", "none", "writeback", "writethrough", "directsync", "unsafe"
  };

  for (gsize i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_autofree char *devices = g_strdup_printf (
        "<disk type='file' device='disk'><driver name='qemu' type='raw' cache='%s'/>"
        "<source file='/d.img'/><target dev='vda' bus='virtio'/><boot order='2'/></disk>"
        "<interface type='user'><mac address='52:54:00:00:00:01'/><boot order='1'/></interface>",
        modes[i]);
      g_autoptr(HangardDomain) domain = parse_devices_ok (devices);

      g_assert_cmpstr (hangard_disk_cache_to_string (disk_at (domain, 0)->cache), ==, modes[i]);
      g_assert_cmpuint (disk_at (domain, 0)->boot_order, ==, 2);
      g_assert_cmpuint (((HangardNicDef *) domain->nics->pdata[0])->boot_order, ==, 1);
    }
  assert_devices_rejected ("<disk type='file' device='disk'><driver name='qemu' type='raw' cache='fast'/>"
                           "<source file='/d.img'/><target dev='vda' bus='virtio'/></disk>",
                           HANGAR_ERROR_INVALID_XML, "cache");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/domain/hardware/vcpupin", test_parse_vcpupin);
  g_test_add_func ("/domain/hardware/vcpupin-rejected", test_reject_vcpupin);
  g_test_add_func ("/domain/hardware/hugepages", test_parse_hugepages);
  g_test_add_func ("/domain/hardware/hugepages-rejected", test_reject_hugepages);
  g_test_add_func ("/domain/hardware/cache-and-boot-order", test_parse_cache_and_boot_order);

  g_test_add_func ("/domain/parse/minimal", test_parse_minimal);
  g_test_add_func ("/domain/parse/full", test_parse_full);
  g_test_add_func ("/domain/parse/os-boot-devices", test_parse_os_boot_devices);
  g_test_add_func ("/domain/parse/defaults", test_parse_defaults);
  g_test_add_func ("/domain/parse/interface-network", test_parse_interface_network);
  g_test_add_func ("/domain/parse/interface-bridge", test_parse_interface_bridge);
  g_test_add_func ("/domain/parse/port-forwards", test_parse_port_forwards);
  g_test_add_func ("/domain/parse/passt-backend", test_parse_passt_backend);
  g_test_add_func ("/domain/parse/cpu-modes", test_parse_cpu_modes);
  g_test_add_func ("/domain/parse/uuid-forms", test_parse_uuid_forms);
  g_test_add_func ("/domain/parse/paths-with-commas", test_parse_paths_with_commas);
  g_test_add_func ("/domain/parse/disk-bus-from-name", test_parse_disk_bus_from_name);
  g_test_add_func ("/domain/parse/volume-disks", test_parse_volume_disks);
  g_test_add_func ("/domain/generate/uuid", test_generate_uuid);
  g_test_add_func ("/domain/generate/mac", test_generate_mac);
  g_test_add_func ("/domain/units", test_units);
  g_test_add_func ("/domain/xml/round-trip", test_xml_round_trip);
  g_test_add_func ("/domain/xml/formatted-unchanged", test_xml_formatted_unchanged);
  g_test_add_func ("/domain/xml/indents-unformatted-input", test_xml_indents_unformatted_input);
  g_test_add_func ("/domain/xml/keeps-non-ascii", test_xml_keeps_non_ascii);
  g_test_add_func ("/domain/copy", test_copy);
  g_test_add_func ("/domain/copy/volume-disk", test_copy_volume_disk);
  g_test_add_func ("/domain/copy/interfaces", test_copy_interfaces);
  g_test_add_func ("/domain/set-title", test_set_title);
  g_test_add_func ("/domain/to-string", test_to_string);
  g_test_add_func ("/domain/name/valid", test_name_valid);
  g_test_add_func ("/domain/name/valid-in-definition", test_name_valid_in_definition);
  g_test_add_func ("/domain/name/invalid", test_name_invalid);
  g_test_add_func ("/domain/name/invalid-in-definition", test_name_invalid_in_definition);
  g_test_add_func ("/domain/reject/malformed", test_reject_malformed);
  g_test_add_func ("/domain/reject/embedded-nul", test_reject_embedded_nul);
  g_test_add_func ("/domain/reject/xxe", test_reject_xxe);
  g_test_add_func ("/domain/reject/billion-laughs", test_reject_billion_laughs);
  g_test_add_func ("/domain/reject/doctype", test_reject_doctype);
  g_test_add_func ("/domain/reject/undeclared-entity", test_reject_undeclared_entity);
  g_test_add_func ("/domain/reject/too-large", test_reject_too_large);
  g_test_add_func ("/domain/reject/memory", test_reject_memory);
  g_test_add_func ("/domain/reject/vcpu", test_reject_vcpu);
  g_test_add_func ("/domain/reject/cpuset", test_reject_cpuset);
  g_test_add_func ("/domain/reject/cpu", test_reject_cpu);
  g_test_add_func ("/domain/reject/os", test_reject_os);
  g_test_add_func ("/domain/reject/domain-type", test_reject_domain_type);
  g_test_add_func ("/domain/reject/relative-paths", test_reject_relative_paths);
  g_test_add_func ("/domain/reject/disk-without-format", test_reject_disk_without_format);
  g_test_add_func ("/domain/reject/disk", test_reject_disk);
  g_test_add_func ("/domain/reject/volume-disk", test_reject_volume_disk);
  g_test_add_func ("/domain/reject/duplicate-target", test_reject_duplicate_target);
  g_test_add_func ("/domain/reject/unknown-element", test_reject_unknown_element);
  g_test_add_func ("/domain/reject/duplicate-element", test_reject_duplicate_element);
  g_test_add_func ("/domain/reject/interface", test_reject_interface);
  g_test_add_func ("/domain/reject/interface-source", test_reject_interface_source);
  g_test_add_func ("/domain/reject/port-forward", test_reject_port_forward);
  g_test_add_func ("/domain/reject/invalid-mac", test_reject_invalid_mac);
  g_test_add_func ("/domain/reject/multicast-mac", test_reject_multicast_mac);
  g_test_add_func ("/domain/reject/duplicate-mac", test_reject_duplicate_mac);
  g_test_add_func ("/domain/reject/boot-order", test_reject_boot_order);
  g_test_add_func ("/domain/reject/devices", test_reject_devices);
  g_test_add_func ("/domain/reject/uuid", test_reject_uuid);
  g_test_add_func ("/domain/reject/title", test_reject_title);

  return g_test_run ();
}
