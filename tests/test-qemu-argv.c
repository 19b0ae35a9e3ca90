/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-qemu-argv"

#include <json-glib/json-glib.h>
#include <string.h>

#include "hangard-error.h"
#include "hangard-qemu-argv.h"

/* Domains are built by hand rather than parsed, so these tests exercise
 * the argv builder alone. HangardDomain's own autoptr cleanup calls the
 * parser's hangard_domain_free(), which is not linked here, hence a local
 * alias with its own cleanup. */
typedef HangardDomain TestDomain;

static void
disk_def_free (gpointer data)
{
  HangardDiskDef *disk = data;

  g_free (disk->source_file);
  g_free (disk->target_dev);
  g_free (disk);
}

static void
port_forward_free (gpointer data)
{
  HangardPortForward *forward = data;

  g_free (forward->protocol);
  g_free (forward->host_address);
  g_free (forward);
}

static void
nic_def_free (gpointer data)
{
  HangardNicDef *nic = data;

  g_free (nic->mac);
  g_free (nic->source);
  g_ptr_array_unref (nic->port_forwards);
  g_free (nic);
}

static void
test_domain_free (TestDomain *d)
{
  g_free (d->name);
  g_free (d->cpuset);
  g_free (d->arch);
  g_free (d->machine_type);
  g_free (d->kernel);
  g_free (d->initrd);
  g_free (d->cmdline);
  g_free (d->cpu_model);
  g_ptr_array_unref (d->disks);
  g_ptr_array_unref (d->nics);
  g_free (d);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestDomain, test_domain_free)

/* The smallest runnable machine: 1 GiB, 2 vCPUs, ACPI, no devices. */
static TestDomain *
make_domain (void)
{
  TestDomain *d = g_new0 (TestDomain, 1);

  d->name = g_strdup ("test");
  g_strlcpy (d->uuid, "0b5e3c1a-9f3e-4c2d-8a7b-6d5e4f3a2b1c", sizeof d->uuid);
  d->memory_kib = 1024 * 1024;
  d->current_memory_kib = d->memory_kib;
  d->vcpus = 2;
  d->arch = g_strdup ("x86_64");
  d->acpi = TRUE;
  d->apic = TRUE;
  d->disks = g_ptr_array_new_with_free_func (disk_def_free);
  d->nics = g_ptr_array_new_with_free_func (nic_def_free);
  return d;
}

static HangardDiskDef *
add_disk (TestDomain        *d,
          HangardDiskDevice  device,
          HangardDiskBus     bus,
          const char        *source,
          const char        *target)
{
  HangardDiskDef *disk = g_new0 (HangardDiskDef, 1);

  disk->device = device;
  disk->bus = bus;
  disk->format = HANGARD_DISK_FORMAT_RAW;
  disk->source_file = g_strdup (source);
  disk->target_dev = g_strdup (target);
  disk->readonly = device == HANGARD_DISK_DEVICE_CDROM;
  g_ptr_array_add (d->disks, disk);
  return disk;
}

static HangardNicDef *
add_nic (TestDomain      *d,
         HangardNicModel  model,
         const char      *mac)
{
  HangardNicDef *nic = g_new0 (HangardNicDef, 1);

  nic->type = HANGARD_NIC_TYPE_USER;
  nic->model = model;
  nic->mac = g_strdup (mac);
  nic->port_forwards = g_ptr_array_new_with_free_func (port_forward_free);
  g_ptr_array_add (d->nics, nic);
  return nic;
}

/* A NIC on a virtual network or host bridge named `source`. */
static HangardNicDef *
add_tap_nic (TestDomain     *d,
             HangardNicType  type,
             const char     *source,
             const char     *mac)
{
  HangardNicDef *nic = add_nic (d, HANGARD_NIC_MODEL_VIRTIO, mac);

  nic->type = type;
  nic->source = g_strdup (source);
  return nic;
}

static void
add_port_forward (HangardNicDef *nic,
                  const char    *protocol,
                  const char    *host_address,
                  guint          host_port,
                  guint          guest_port)
{
  HangardPortForward *forward = g_new0 (HangardPortForward, 1);

  forward->protocol = g_strdup (protocol);
  forward->host_address = g_strdup (host_address);
  forward->host_port = host_port;
  forward->guest_port = guest_port;
  g_ptr_array_add (nic->port_forwards, forward);
}

static HangardQemuRun
make_run (void)
{
  return (HangardQemuRun) {
    .qemu_binary = "/usr/bin/qemu-system-x86_64",
    .accel = "tcg",
    .qmp_fd = 3,
    .serial_fd = -1,
    .serial_log_path = NULL,
    .pid_file = "/run/hangar/test.pid",
  };
}

static GStrv
build_ok (const TestDomain     *d,
          const HangardQemuRun *run)
{
  g_autoptr(GError) error = NULL;
  GStrv argv = hangard_qemu_build_argv (d, run, &error);

  g_assert_no_error (error);
  g_assert_nonnull (argv);
  return argv;
}

static void
assert_build_fails (const TestDomain     *d,
                    const HangardQemuRun *run,
                    gint                  code)  /* a HangarError; GError codes are gint */
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = hangard_qemu_build_argv (d, run, &error);

  g_assert_error (error, HANGAR_ERROR, code);
  g_assert_null (argv);
}

/* Every value that follows `option`, in order. */
static GPtrArray *
values_of (GStrv       argv,
           const char *option)
{
  GPtrArray *values = g_ptr_array_new ();

  for (guint i = 1; argv[i] != NULL; i++)
    if (strcmp (argv[i], option) == 0 && argv[i + 1] != NULL)
      g_ptr_array_add (values, argv[++i]);
  return values;
}

static gboolean
has_pair (GStrv       argv,
          const char *option,
          const char *value)
{
  g_autoptr(GPtrArray) values = values_of (argv, option);

  for (guint i = 0; i < values->len; i++)
    if (strcmp (g_ptr_array_index (values, i), value) == 0)
      return TRUE;
  return FALSE;
}

static guint
count_option (GStrv       argv,
              const char *option)
{
  guint n = 0;

  for (guint i = 1; argv[i] != NULL; i++)
    if (strcmp (argv[i], option) == 0)
      n++;
  return n;
}

/* The -device value ending in or containing ",id=ID" (ids come last or
 * are followed by ",bootindex"). */
static const char *
device_with_id (GStrv       argv,
                const char *id)
{
  g_autoptr(GPtrArray) devices = values_of (argv, "-device");
  g_autofree char *needle = g_strdup_printf (",id=%s", id);

  for (guint i = 0; i < devices->len; i++)
    {
      const char *dev = g_ptr_array_index (devices, i);
      const char *at = strstr (dev, needle);

      if (at != NULL && (at[strlen (needle)] == '\0' || at[strlen (needle)] == ','))
        return dev;
    }
  return NULL;
}

/* The -blockdev JSON whose top node is `node_name`, parsed back. */
static JsonNode *
blockdev_node (GStrv       argv,
               const char *node_name)
{
  g_autoptr(GPtrArray) blockdevs = values_of (argv, "-blockdev");

  for (guint i = 0; i < blockdevs->len; i++)
    {
      g_autoptr(GError) error = NULL;
      JsonNode *root = json_from_string (g_ptr_array_index (blockdevs, i), &error);

      g_assert_no_error (error);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
      if (g_strcmp0 (json_object_get_string_member (json_node_get_object (root), "node-name"),
                     node_name) == 0)
        return root;
      json_node_unref (root);
    }
  return NULL;
}

/* ---- escaping ------------------------------------------------------------ */

static void
test_escape (void)
{
  static const struct { const char *in, *out; } cases[] = {
    { "a,b,,c", "a,,b,,,,c" },
    { "", "" },
    { "plain", "plain" },
    { ",", ",," },
    { "/path/with space=and\"quote", "/path/with space=and\"quote" },
    { "ünï,cödé", "ünï,,cödé" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *escaped = hangard_qemu_escape_option (cases[i].in);
      g_assert_cmpstr (escaped, ==, cases[i].out);
    }
}

/* ---- the common skeleton ------------------------------------------------- */

static void
test_basic (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;

  argv = build_ok (d, &run);
  g_assert_cmpstr (argv[0], ==, "/usr/bin/qemu-system-x86_64");
  g_assert_true (has_pair (argv, "-name", "guest=test,debug-threads=on"));
  g_assert_true (has_pair (argv, "-uuid", "0b5e3c1a-9f3e-4c2d-8a7b-6d5e4f3a2b1c"));
  g_assert_cmpuint (count_option (argv, "-nodefaults"), ==, 1);
  g_assert_cmpuint (count_option (argv, "-no-user-config"), ==, 1);
  g_assert_true (has_pair (argv, "-machine", "pc,accel=tcg"));
  g_assert_true (has_pair (argv, "-m", "size=1024M"));
  g_assert_true (has_pair (argv, "-smp", "2"));
  g_assert_cmpuint (count_option (argv, "-cpu"), ==, 0);
  g_assert_cmpuint (count_option (argv, "-boot"), ==, 0);
  g_assert_cmpuint (count_option (argv, "-blockdev"), ==, 0);
  g_assert_cmpuint (count_option (argv, "-netdev"), ==, 0);
  g_assert_true (has_pair (argv, "-chardev", "socket,id=qmp,fd=3,server=on,wait=off"));
  g_assert_true (has_pair (argv, "-mon", "chardev=qmp,mode=control"));
  g_assert_true (has_pair (argv, "-pidfile", "/run/hangar/test.pid"));
  g_assert_true (has_pair (argv, "-sandbox",
                           "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"));
  g_assert_true (has_pair (argv, "-msg", "timestamp=on"));

  /* Nothing listens on the network. */
  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_assert_null (strstr (argv[i], "tcp"));
      g_assert_null (strstr (argv[i], "hostfwd"));
      g_assert_null (strstr (argv[i], "port="));
    }

  g_clear_pointer (&argv, g_strfreev);
  run.pid_file = NULL;
  argv = build_ok (d, &run);
  g_assert_cmpuint (count_option (argv, "-pidfile"), ==, 0);
}

static void
test_name_escaped (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;

  g_free (d->name);
  d->name = g_strdup ("web,debug-threads=off");
  argv = build_ok (d, &run);
  g_assert_true (has_pair (argv, "-name", "guest=web,,debug-threads=off,debug-threads=on"));
}

static void
test_memory_rounding (void)
{
  static const struct { guint64 kib; const char *arg; } cases[] = {
    { 1024 * 1024, "size=1024M" },
    { 1024 * 1024 + 1, "size=1025M" },
    { 1, "size=1M" },
    { 1023, "size=1M" },
    { G_MAXUINT64, "size=18014398509481984M" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TestDomain) d = make_domain ();
      HangardQemuRun run = make_run ();
      g_auto(GStrv) argv = NULL;

      d->memory_kib = cases[i].kib;
      d->current_memory_kib = 1;  /* ignored: no balloon */
      argv = build_ok (d, &run);
      g_assert_true (has_pair (argv, "-m", cases[i].arg));
      g_assert_null (device_with_id (argv, "balloon0"));
    }
}

static void
test_machine (void)
{
  static const struct { const char *type; gboolean acpi; const char *arg; } good[] = {
    { NULL, TRUE, "pc,accel=tcg" },
    { "pc", FALSE, "pc,accel=tcg,acpi=off" },
    { "pc-i440fx-7.2", TRUE, "pc-i440fx-7.2,accel=tcg" },
    { "q35", TRUE, "q35,accel=tcg" },
    { "pc-q35-7.2", FALSE, "pc-q35-7.2,accel=tcg,acpi=off" },
  };
  static const char *bad[] = { "microvm", "isapc", "help", "pc,usb=on", "q35,,x", "" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(TestDomain) d = make_domain ();
      HangardQemuRun run = make_run ();
      g_auto(GStrv) argv = NULL;

      d->machine_type = g_strdup (good[i].type);
      d->acpi = good[i].acpi;
      argv = build_ok (d, &run);
      g_assert_true (has_pair (argv, "-machine", good[i].arg));
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(TestDomain) d = make_domain ();
      HangardQemuRun run = make_run ();

      d->machine_type = g_strdup (bad[i]);
      assert_build_fails (d, &run, HANGAR_ERROR_UNSUPPORTED);
    }
}

/* ---- cpu ----------------------------------------------------------------- */

static void
test_cpu (void)
{
  static const struct {
    HangardCpuMode mode;
    const char    *accel;
    const char    *expected;  /* NULL: no -cpu */
  } cases[] = {
    { HANGARD_CPU_MODE_DEFAULT,          "tcg", NULL },
    { HANGARD_CPU_MODE_DEFAULT,          "kvm", NULL },
    { HANGARD_CPU_MODE_HOST_PASSTHROUGH, "kvm", "host" },
    { HANGARD_CPU_MODE_HOST_PASSTHROUGH, "tcg", "max" },
    { HANGARD_CPU_MODE_HOST_MODEL,       "kvm", "host" },
    { HANGARD_CPU_MODE_HOST_MODEL,       "tcg", "max" },
    { HANGARD_CPU_MODE_CUSTOM,           "kvm", "Skylake-Client-v1" },
    { HANGARD_CPU_MODE_CUSTOM,           "tcg", "Skylake-Client-v1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TestDomain) d = make_domain ();
      HangardQemuRun run = make_run ();
      g_auto(GStrv) argv = NULL;
      g_autofree char *machine = g_strdup_printf ("pc,accel=%s", cases[i].accel);

      d->cpu_mode = cases[i].mode;
      d->cpu_model = g_strdup (cases[i].mode == HANGARD_CPU_MODE_CUSTOM ? cases[i].expected : NULL);
      run.accel = cases[i].accel;
      argv = build_ok (d, &run);

      g_assert_true (has_pair (argv, "-machine", machine));
      if (cases[i].expected == NULL)
        g_assert_cmpuint (count_option (argv, "-cpu"), ==, 0);
      else
        g_assert_true (has_pair (argv, "-cpu", cases[i].expected));
      if (strcmp (cases[i].accel, "tcg") == 0)
        g_assert_false (has_pair (argv, "-cpu", "host"));
    }
}

static void
test_cpu_invalid_model (void)
{
  static const char *bad[] = { "qemu64,+vmx", "help", "", "model with space", NULL };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(TestDomain) d = make_domain ();
      HangardQemuRun run = make_run ();

      d->cpu_mode = HANGARD_CPU_MODE_CUSTOM;
      d->cpu_model = g_strdup (bad[i]);
      assert_build_fails (d, &run, HANGAR_ERROR_UNSUPPORTED);
    }
}

/* ---- disks --------------------------------------------------------------- */

static void
test_disk_path_in_json (void)
{
  const char *path = "/var/lib/hangar/we,ird \"dir\"/a b,,c\n'd'\\e\tü.qcow2";
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) blockdevs = NULL;
  JsonObject *file;
  HangardDiskDef *disk;

  disk = add_disk (d, HANGARD_DISK_DEVICE_DISK, HANGARD_DISK_BUS_VIRTIO, path, "vda");
  disk->format = HANGARD_DISK_FORMAT_QCOW2;
  argv = build_ok (d, &run);

  /* A JSON object, so QEMU takes it as JSON and never splits on commas. */
  blockdevs = values_of (argv, "-blockdev");
  g_assert_cmpuint (blockdevs->len, ==, 1);
  g_assert_true (((const char *) g_ptr_array_index (blockdevs, 0))[0] == '{');

  root = blockdev_node (argv, "drive-vda");
  g_assert_nonnull (root);
  file = json_object_get_object_member (json_node_get_object (root), "file");
  g_assert_cmpstr (json_object_get_string_member (file, "filename"), ==, path);
  g_assert_cmpstr (json_object_get_string_member (file, "driver"), ==, "file");
  g_assert_cmpstr (json_object_get_string_member (file, "node-name"), ==, "file-vda");
  g_assert_cmpstr (json_object_get_string_member (file, "aio"), ==, "threads");
  g_assert_cmpstr (device_with_id (argv, "disk-vda"), ==,
                   "virtio-blk-pci,drive=drive-vda,id=disk-vda");
}

static void
test_disk_format_explicit (void)
{
  static const struct { HangardDiskFormat format; const char *driver; } cases[] = {
    { HANGARD_DISK_FORMAT_RAW, "raw" },
    { HANGARD_DISK_FORMAT_QCOW2, "qcow2" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TestDomain) d = make_domain ();
      HangardQemuRun run = make_run ();
      g_auto(GStrv) argv = NULL;
      g_autoptr(JsonNode) root = NULL;
      HangardDiskDef *disk;

      disk = add_disk (d, HANGARD_DISK_DEVICE_DISK, HANGARD_DISK_BUS_VIRTIO, "/d.img", "vda");
      disk->format = cases[i].format;
      argv = build_ok (d, &run);
      root = blockdev_node (argv, "drive-vda");
      g_assert_nonnull (root);
      g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "driver"),
                       ==, cases[i].driver);
    }
}

static void
test_disk_cache (void)
{
  static const struct {
    HangardDiskCache cache;
    gboolean         direct;
    gboolean         no_flush;
    gboolean         write_cache_off;
  } cases[] = {
    { HANGARD_DISK_CACHE_DEFAULT,      FALSE, FALSE, FALSE },
    { HANGARD_DISK_CACHE_NONE,         TRUE,  FALSE, FALSE },
    { HANGARD_DISK_CACHE_WRITEBACK,    FALSE, FALSE, FALSE },
    { HANGARD_DISK_CACHE_WRITETHROUGH, FALSE, FALSE, TRUE },
    { HANGARD_DISK_CACHE_DIRECTSYNC,   TRUE,  FALSE, TRUE },
    { HANGARD_DISK_CACHE_UNSAFE,       FALSE, TRUE,  FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TestDomain) d = make_domain ();
      HangardQemuRun run = make_run ();
      g_auto(GStrv) argv = NULL;
      g_autoptr(JsonNode) root = NULL;
      JsonObject *format_node, *file_node;
      const char *device;

      add_disk (d, HANGARD_DISK_DEVICE_DISK, HANGARD_DISK_BUS_VIRTIO, "/d.img", "vda")->cache =
        cases[i].cache;
      add_disk (d, HANGARD_DISK_DEVICE_DISK, HANGARD_DISK_BUS_SATA, "/e.img", "sda")->cache =
        cases[i].cache;
      argv = build_ok (d, &run);

      root = blockdev_node (argv, "drive-vda");
      format_node = json_node_get_object (root);
      file_node = json_object_get_object_member (format_node, "file");
      for (JsonObject *node = format_node; node != NULL;
           node = node == format_node ? file_node : NULL)
        {
          JsonObject *cache = json_object_get_object_member (node, "cache");

          g_assert_cmpint (json_object_get_boolean_member (cache, "direct"), ==, cases[i].direct);
          g_assert_cmpint (json_object_get_boolean_member (cache, "no-flush"), ==, cases[i].no_flush);
        }

      device = device_with_id (argv, "disk-vda");
      g_assert_nonnull (device);
      g_assert_cmpint (strstr (device, ",write-cache=off") != NULL, ==, cases[i].write_cache_off);
      device = device_with_id (argv, "disk-sda");
      g_assert_nonnull (device);
      g_assert_cmpint (strstr (device, ",write-cache=off") != NULL, ==, cases[i].write_cache_off);
    }
}

static void
test_disk_readonly (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;
  g_autoptr(JsonNode) cd = NULL;
  g_autoptr(JsonNode) rw = NULL;
  JsonObject *obj;

  add_disk (d, HANGARD_DISK_DEVICE_CDROM, HANGARD_DISK_BUS_IDE, "/iso/install.iso", "hdc");
  add_disk (d, HANGARD_DISK_DEVICE_DISK, HANGARD_DISK_BUS_VIRTIO, "/d.img", "vda");
  argv = build_ok (d, &run);

  cd = blockdev_node (argv, "drive-hdc");
  obj = json_node_get_object (cd);
  g_assert_true (json_object_get_boolean_member (obj, "read-only"));
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (obj, "file"),
                                                 "read-only"));
  rw = blockdev_node (argv, "drive-vda");
  obj = json_node_get_object (rw);
  g_assert_false (json_object_get_boolean_member (obj, "read-only"));
  g_assert_false (json_object_get_boolean_member (json_object_get_object_member (obj, "file"),
                                                  "read-only"));
  g_assert_cmpstr (device_with_id (argv, "disk-hdc"), ==,
                   "ide-cd,bus=ide.1,unit=0,drive=drive-hdc,id=disk-hdc");
}

static void
test_disk_sata_controller_once (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  guint controllers = 0;

  add_disk (d, HANGARD_DISK_DEVICE_DISK, HANGARD_DISK_BUS_SATA, "/a.img", "sda");
  add_disk (d, HANGARD_DISK_DEVICE_DISK, HANGARD_DISK_BUS_VIRTIO, "/v.img", "vda");
  add_disk (d, HANGARD_DISK_DEVICE_CDROM, HANGARD_DISK_BUS_SATA, "/c.iso", "sdb");
  add_disk (d, HANGARD_DISK_DEVICE_DISK, HANGARD_DISK_BUS_SATA, "/f.img", "sdf");
  argv = build_ok (d, &run);

  devices = values_of (argv, "-device");
  for (guint i = 0; i < devices->len; i++)
    {
      const char *dev = g_ptr_array_index (devices, i);

      if (strcmp (dev, "ich9-ahci,id=sata0") == 0)
        controllers++;
      /* The controller exists before the first device that sits on it. */
      if (strstr (dev, "bus=sata0.") != NULL)
        g_assert_cmpuint (controllers, ==, 1);
    }
  g_assert_cmpuint (controllers, ==, 1);
  g_assert_cmpstr (device_with_id (argv, "disk-sda"), ==, "ide-hd,bus=sata0.0,drive=drive-sda,id=disk-sda");
  g_assert_cmpstr (device_with_id (argv, "disk-sdb"), ==, "ide-cd,bus=sata0.1,drive=drive-sdb,id=disk-sdb");
  g_assert_cmpstr (device_with_id (argv, "disk-sdf"), ==, "ide-hd,bus=sata0.5,drive=drive-sdf,id=disk-sdf");
}

static void
test_disk_no_sata_controller_without_sata (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;

  add_disk (d, HANGARD_DISK_DEVICE_DISK, HANGARD_DISK_BUS_VIRTIO, "/v.img", "vda");
  argv = build_ok (d, &run);
  g_assert_false (has_pair (argv, "-device", "ich9-ahci,id=sata0"));
}

static void
test_disk_ide (void)
{
  static const char *expected[] = {
    "ide-hd,bus=ide.0,unit=0,drive=drive-hda,id=disk-hda",
    "ide-hd,bus=ide.0,unit=1,drive=drive-hdb,id=disk-hdb",
    "ide-hd,bus=ide.1,unit=0,drive=drive-hdc,id=disk-hdc",
    "ide-hd,bus=ide.1,unit=1,drive=drive-hdd,id=disk-hdd",
  };
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *target = g_strdup_printf ("hd%c", 'a' + i);
      g_autofree char *path = g_strdup_printf ("/%s.img", target);

      add_disk (d, HANGARD_DISK_DEVICE_DISK, HANGARD_DISK_BUS_IDE, path, target);
    }
  argv = build_ok (d, &run);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_true (has_pair (argv, "-device", expected[i]));
}

static void
test_disk_ide_q35_unsupported (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();

  d->machine_type = g_strdup ("q35");
  add_disk (d, HANGARD_DISK_DEVICE_CDROM, HANGARD_DISK_BUS_IDE, NULL, "hdc");
  assert_build_fails (d, &run, HANGAR_ERROR_UNSUPPORTED);
}

static void
test_disk_empty_cdrom (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;

  add_disk (d, HANGARD_DISK_DEVICE_CDROM, HANGARD_DISK_BUS_SATA, NULL, "sda")->boot_order = 1;
  argv = build_ok (d, &run);
  g_assert_cmpuint (count_option (argv, "-blockdev"), ==, 0);
  g_assert_cmpstr (device_with_id (argv, "disk-sda"), ==, "ide-cd,bus=sata0.0,id=disk-sda,bootindex=1");
}

static void
test_disk_invalid (void)
{
  static const struct {
    HangardDiskDevice device;
    HangardDiskBus    bus;
    const char       *source;
    const char       *target;
  } cases[] = {
    { HANGARD_DISK_DEVICE_DISK,  HANGARD_DISK_BUS_VIRTIO, "/a", "vd-a" },
    { HANGARD_DISK_DEVICE_DISK,  HANGARD_DISK_BUS_VIRTIO, "/a", "VDA" },
    { HANGARD_DISK_DEVICE_DISK,  HANGARD_DISK_BUS_VIRTIO, "/a", "vda,id=x" },
    { HANGARD_DISK_DEVICE_DISK,  HANGARD_DISK_BUS_VIRTIO, "/a", "" },
    { HANGARD_DISK_DEVICE_DISK,  HANGARD_DISK_BUS_VIRTIO, "/a", NULL },
    { HANGARD_DISK_DEVICE_DISK,  HANGARD_DISK_BUS_VIRTIO, "/a", "vdaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
    { HANGARD_DISK_DEVICE_CDROM, HANGARD_DISK_BUS_VIRTIO, "/a", "vda" },
    { HANGARD_DISK_DEVICE_DISK,  HANGARD_DISK_BUS_VIRTIO, NULL, "vda" },
    { HANGARD_DISK_DEVICE_DISK,  HANGARD_DISK_BUS_SATA,   "/a", "sdg" },
    { HANGARD_DISK_DEVICE_DISK,  HANGARD_DISK_BUS_SATA,   "/a", "vda" },
    { HANGARD_DISK_DEVICE_DISK,  HANGARD_DISK_BUS_IDE,    "/a", "hde" },
    { HANGARD_DISK_DEVICE_DISK,  HANGARD_DISK_BUS_IDE,    "/a", "hdaa" },
    { HANGARD_DISK_DEVICE_DISK,  HANGARD_DISK_BUS_VIRTIO, "/\xff\xfe", "vda" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TestDomain) d = make_domain ();
      HangardQemuRun run = make_run ();

      add_disk (d, cases[i].device, cases[i].bus, cases[i].source, cases[i].target);
      assert_build_fails (d, &run, HANGAR_ERROR_UNSUPPORTED);
    }
}

static void
test_disk_duplicate_target (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();

  add_disk (d, HANGARD_DISK_DEVICE_DISK, HANGARD_DISK_BUS_VIRTIO, "/a", "vda");
  add_disk (d, HANGARD_DISK_DEVICE_DISK, HANGARD_DISK_BUS_VIRTIO, "/b", "vda");
  assert_build_fails (d, &run, HANGAR_ERROR_INVALID_ARGUMENT);
}

/* ---- boot ---------------------------------------------------------------- */

static void
test_boot_order (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;

  d->boot[0] = HANGARD_BOOT_CDROM;
  d->boot[1] = HANGARD_BOOT_HD;
  d->boot[2] = HANGARD_BOOT_CDROM;  /* repeated: QEMU would refuse "dcd" */
  d->boot[3] = HANGARD_BOOT_NETWORK;
  d->n_boot = 4;
  add_disk (d, HANGARD_DISK_DEVICE_DISK, HANGARD_DISK_BUS_VIRTIO, "/a", "vda");
  argv = build_ok (d, &run);
  g_assert_true (has_pair (argv, "-boot", "order=dcn"));
  g_assert_null (strstr (device_with_id (argv, "disk-vda"), "bootindex"));
}

static void
test_boot_bootindex (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;

  d->boot[0] = HANGARD_BOOT_HD;
  d->n_boot = 1;
  add_disk (d, HANGARD_DISK_DEVICE_DISK, HANGARD_DISK_BUS_VIRTIO, "/a", "vda")->boot_order = 2;
  add_disk (d, HANGARD_DISK_DEVICE_DISK, HANGARD_DISK_BUS_VIRTIO, "/b", "vdb");
  add_nic (d, HANGARD_NIC_MODEL_VIRTIO, "52:54:00:aa:bb:cc")->boot_order = 1;
  argv = build_ok (d, &run);

  g_assert_cmpuint (count_option (argv, "-boot"), ==, 0);
  g_assert_cmpstr (device_with_id (argv, "disk-vda"), ==,
                   "virtio-blk-pci,drive=drive-vda,id=disk-vda,bootindex=2");
  g_assert_cmpstr (device_with_id (argv, "disk-vdb"), ==,
                   "virtio-blk-pci,drive=drive-vdb,id=disk-vdb");
  g_assert_cmpstr (device_with_id (argv, "nic0"), ==,
                   "virtio-net-pci,netdev=net0,mac=52:54:00:aa:bb:cc,id=nic0,bootindex=1");
}

static void
test_boot_bootindex_duplicate (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();

  add_disk (d, HANGARD_DISK_DEVICE_DISK, HANGARD_DISK_BUS_VIRTIO, "/a", "vda")->boot_order = 1;
  add_nic (d, HANGARD_NIC_MODEL_E1000, "52:54:00:aa:bb:cc")->boot_order = 1;
  assert_build_fails (d, &run, HANGAR_ERROR_INVALID_ARGUMENT);
}

static void
test_kernel (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;

  /* Not option lists: passed exactly as given, commas and all. */
  d->kernel = g_strdup ("/boot/vm,linuz 6");
  d->initrd = g_strdup ("/boot/init,rd");
  d->cmdline = g_strdup ("console=ttyS0,115200 root=/dev/vda1 quiet");
  argv = build_ok (d, &run);
  g_assert_true (has_pair (argv, "-kernel", "/boot/vm,linuz 6"));
  g_assert_true (has_pair (argv, "-initrd", "/boot/init,rd"));
  g_assert_true (has_pair (argv, "-append", "console=ttyS0,115200 root=/dev/vda1 quiet"));
}

static void
test_kernel_required (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;

  argv = build_ok (d, &run);
  g_assert_cmpuint (count_option (argv, "-kernel"), ==, 0);
  g_assert_cmpuint (count_option (argv, "-append"), ==, 0);

  d->cmdline = g_strdup ("quiet");
  assert_build_fails (d, &run, HANGAR_ERROR_UNSUPPORTED);
}

/* ---- network ------------------------------------------------------------- */

static void
test_nics (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;

  add_nic (d, HANGARD_NIC_MODEL_VIRTIO, "52:54:00:00:00:01");
  add_nic (d, HANGARD_NIC_MODEL_E1000, "52:54:00:00:00:02");
  add_nic (d, HANGARD_NIC_MODEL_RTL8139, "52:54:00:00:00:03");
  argv = build_ok (d, &run);

  g_assert_true (has_pair (argv, "-netdev", "user,id=net0"));
  g_assert_true (has_pair (argv, "-netdev", "user,id=net1"));
  g_assert_true (has_pair (argv, "-netdev", "user,id=net2"));
  g_assert_cmpstr (device_with_id (argv, "nic0"), ==,
                   "virtio-net-pci,netdev=net0,mac=52:54:00:00:00:01,id=nic0");
  g_assert_cmpstr (device_with_id (argv, "nic1"), ==,
                   "e1000,netdev=net1,mac=52:54:00:00:00:02,id=nic1");
  g_assert_cmpstr (device_with_id (argv, "nic2"), ==,
                   "rtl8139,netdev=net2,mac=52:54:00:00:00:03,id=nic2");
}

static void
test_nic_invalid_mac (void)
{
  static const char *bad[] = { "52:54:00:00:00", "52:54:00:00:00:0g", "52,54:00:00:00:01", NULL };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(TestDomain) d = make_domain ();
      HangardQemuRun run = make_run ();

      add_nic (d, HANGARD_NIC_MODEL_VIRTIO, bad[i]);
      assert_build_fails (d, &run, HANGAR_ERROR_INVALID_ARGUMENT);
    }
}

static void
test_nic_hostfwd (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;
  HangardNicDef *nic = add_nic (d, HANGARD_NIC_MODEL_VIRTIO, "52:54:00:00:00:01");

  add_port_forward (nic, "tcp", "127.0.0.1", 2222, 22);
  add_port_forward (nic, "udp", NULL, 5353, 53);
  add_port_forward (nic, "tcp", NULL, 8080, 8080);
  add_nic (d, HANGARD_NIC_MODEL_E1000, "52:54:00:00:00:02");
  argv = build_ok (d, &run);

  /* The form checked against QEMU 7.2: it listens on 127.0.0.1:2222 and on
   * every address for the others. */
  g_assert_true (has_pair (argv, "-netdev",
                           "user,id=net0,hostfwd=tcp:127.0.0.1:2222-:22,"
                           "hostfwd=udp::5353-:53,hostfwd=tcp::8080-:8080"));
  g_assert_true (has_pair (argv, "-netdev", "user,id=net1"));
  g_assert_cmpuint (count_option (argv, "-netdev"), ==, 2);
}

static void
test_nic_hostfwd_invalid (void)
{
  static const struct {
    const char *protocol;
    const char *address;
    guint       host_port;
    guint       guest_port;
  } bad[] = {
    { "sctp", NULL, 2222, 22 },
    { NULL, NULL, 2222, 22 },
    { "tcp", "127.0.0.1,guestfwd=x", 2222, 22 },
    { "tcp", "localhost", 2222, 22 },
    { "tcp", NULL, 0, 22 },
    { "tcp", NULL, 2222, 65536 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(TestDomain) d = make_domain ();
      HangardQemuRun run = make_run ();
      HangardNicDef *nic = add_nic (d, HANGARD_NIC_MODEL_VIRTIO, "52:54:00:00:00:01");

      add_port_forward (nic, bad[i].protocol, bad[i].address, bad[i].host_port,
                        bad[i].guest_port);
      assert_build_fails (d, &run, HANGAR_ERROR_INVALID_ARGUMENT);
    }
}

static void
test_nic_tap (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  const int fds[] = { 5, -1, 7 };
  g_auto(GStrv) argv = NULL;

  add_tap_nic (d, HANGARD_NIC_TYPE_NETWORK, "default", "52:54:00:00:00:01")->boot_order = 1;
  add_port_forward (add_nic (d, HANGARD_NIC_MODEL_E1000, "52:54:00:00:00:02"),
                    "tcp", NULL, 2222, 22);
  add_tap_nic (d, HANGARD_NIC_TYPE_BRIDGE, "br0", "52:54:00:00:00:03");
  run.nic_fds = fds;
  run.n_nic_fds = G_N_ELEMENTS (fds);
  argv = build_ok (d, &run);

  g_assert_true (has_pair (argv, "-netdev", "tap,id=net0,fd=5,vhost=off"));
  g_assert_true (has_pair (argv, "-netdev", "user,id=net1,hostfwd=tcp::2222-:22"));
  g_assert_true (has_pair (argv, "-netdev", "tap,id=net2,fd=7,vhost=off"));
  g_assert_cmpstr (device_with_id (argv, "nic0"), ==,
                   "virtio-net-pci,netdev=net0,mac=52:54:00:00:00:01,id=nic0,bootindex=1");
  g_assert_cmpstr (device_with_id (argv, "nic1"), ==,
                   "e1000,netdev=net1,mac=52:54:00:00:00:02,id=nic1");
  g_assert_cmpstr (device_with_id (argv, "nic2"), ==,
                   "virtio-net-pci,netdev=net2,mac=52:54:00:00:00:03,id=nic2");
}

static void
test_nic_tap_for_user_nic (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  const int fds[] = { 9 };
  g_auto(GStrv) argv = NULL;

  /* A tap given for a user NIC is used: the engine decides. */
  add_nic (d, HANGARD_NIC_MODEL_VIRTIO, "52:54:00:00:00:01");
  run.nic_fds = fds;
  run.n_nic_fds = G_N_ELEMENTS (fds);
  argv = build_ok (d, &run);

  g_assert_true (has_pair (argv, "-netdev", "tap,id=net0,fd=9,vhost=off"));
  g_assert_cmpuint (count_option (argv, "-netdev"), ==, 1);
}

/* passt's socket: -netdev stream on the fd; the forwards are passt's. */
static void
test_nic_passt_stream (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  const int stream_fds[] = { -1, 6 };
  g_auto(GStrv) argv = NULL;

  add_nic (d, HANGARD_NIC_MODEL_VIRTIO, "52:54:00:00:00:01");
  add_port_forward (add_nic (d, HANGARD_NIC_MODEL_E1000, "52:54:00:00:00:02"), "tcp", NULL, 2222, 22);
  run.nic_stream_fds = stream_fds;
  run.n_nic_stream_fds = G_N_ELEMENTS (stream_fds);
  argv = build_ok (d, &run);

  g_assert_true (has_pair (argv, "-netdev", "user,id=net0"));
  g_assert_true (has_pair (argv, "-netdev", "stream,id=net1,server=off,addr.type=fd,addr.str=6"));
  g_assert_cmpstr (device_with_id (argv, "nic1"), ==, "e1000,netdev=net1,mac=52:54:00:00:00:02,id=nic1");
}

static void
test_nic_tap_missing (void)
{
  const int short_fds[] = { 4 };
  const int unset_fds[] = { 4, -1 };
  const struct {
    const int *fds;
    guint      n_fds;
  } runs[] = {
    { NULL, 0 },
    { short_fds, G_N_ELEMENTS (short_fds) },
    { unset_fds, G_N_ELEMENTS (unset_fds) },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      g_autoptr(TestDomain) d = make_domain ();
      HangardQemuRun run = make_run ();
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) argv = NULL;

      add_nic (d, HANGARD_NIC_MODEL_VIRTIO, "52:54:00:00:00:01");
      add_tap_nic (d, i % 2 == 0 ? HANGARD_NIC_TYPE_NETWORK : HANGARD_NIC_TYPE_BRIDGE,
                   i % 2 == 0 ? "default" : "br0", "52:54:00:00:00:02");
      run.nic_fds = runs[i].fds;
      run.n_nic_fds = runs[i].n_fds;

      argv = hangard_qemu_build_argv (d, &run, &error);
      g_assert_null (argv);
      g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED);
      g_assert_cmpstr (error->message, ==, "internal: no tap for interface 1");
    }
}

/* ---- display ------------------------------------------------------------- */

static void
test_display_vnc (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;

  d->has_vnc = TRUE;
  d->video = HANGARD_VIDEO_VGA;
  argv = build_ok (d, &run);
  g_assert_true (has_pair (argv, "-vnc", "none"));
  g_assert_cmpuint (count_option (argv, "-vnc"), ==, 1);
  g_assert_cmpuint (count_option (argv, "-display"), ==, 0);
  g_assert_true (has_pair (argv, "-device", "VGA,id=video0"));
}

static void
test_display_none (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;

  argv = build_ok (d, &run);
  g_assert_true (has_pair (argv, "-display", "none"));
  g_assert_cmpuint (count_option (argv, "-vnc"), ==, 0);
  g_assert_null (device_with_id (argv, "video0"));
}

static void
test_display_virtio_vga (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;

  d->video = HANGARD_VIDEO_VIRTIO;
  argv = build_ok (d, &run);
  g_assert_true (has_pair (argv, "-device", "virtio-vga,id=video0"));
  g_assert_false (has_pair (argv, "-device", "VGA,id=video0"));
}

static void
test_tablet (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;

  argv = build_ok (d, &run);
  g_assert_null (device_with_id (argv, "usb"));
  g_assert_null (device_with_id (argv, "input0"));
  g_clear_pointer (&argv, g_strfreev);

  d->has_tablet = TRUE;
  argv = build_ok (d, &run);
  g_assert_true (has_pair (argv, "-device", "qemu-xhci,id=usb"));
  g_assert_true (has_pair (argv, "-device", "usb-tablet,bus=usb.0,id=input0"));
}

/* ---- serial -------------------------------------------------------------- */

static void
test_serial_socket (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;

  d->has_serial = TRUE;
  run.serial_fd = 4;
  run.serial_log_path = "/var/log/hangar/a,b/serial.log";
  argv = build_ok (d, &run);
  g_assert_true (has_pair (argv, "-chardev",
                           "socket,id=charserial0,fd=4,server=on,wait=off,"
                           "logfile=/var/log/hangar/a,,b/serial.log,logappend=on"));
  g_assert_true (has_pair (argv, "-device", "isa-serial,chardev=charserial0,id=serial0"));

  g_clear_pointer (&argv, g_strfreev);
  run.serial_log_path = NULL;
  argv = build_ok (d, &run);
  g_assert_true (has_pair (argv, "-chardev", "socket,id=charserial0,fd=4,server=on,wait=off"));
}

static void
test_serial_without_socket (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;

  d->has_serial = TRUE;
  run.serial_log_path = "/log,s/serial.log";
  argv = build_ok (d, &run);
  g_assert_true (has_pair (argv, "-chardev", "file,id=charserial0,path=/log,,s/serial.log,append=on"));
  g_assert_true (has_pair (argv, "-device", "isa-serial,chardev=charserial0,id=serial0"));

  g_clear_pointer (&argv, g_strfreev);
  run.serial_log_path = NULL;
  argv = build_ok (d, &run);
  g_assert_true (has_pair (argv, "-chardev", "null,id=charserial0"));
}

static void
test_no_serial (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) argv = NULL;

  run.serial_fd = 4;
  run.serial_log_path = "/serial.log";
  argv = build_ok (d, &run);
  g_assert_cmpuint (count_option (argv, "-chardev"), ==, 1);  /* QMP only */
  g_assert_null (device_with_id (argv, "serial0"));
}

/* ---- the run ------------------------------------------------------------- */

static void
test_run_invalid (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();

  run.accel = "hvf";
  assert_build_fails (d, &run, HANGAR_ERROR_UNSUPPORTED);
  run = make_run ();
  run.qmp_fd = -1;
  assert_build_fails (d, &run, HANGAR_ERROR_INVALID_ARGUMENT);
  run = make_run ();
  run.qemu_binary = NULL;
  assert_build_fails (d, &run, HANGAR_ERROR_INVALID_ARGUMENT);
}

static void
test_domain_invalid (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();

  d->vcpus = 0;
  assert_build_fails (d, &run, HANGAR_ERROR_INVALID_ARGUMENT);
  d->vcpus = 1;
  g_strlcpy (d->uuid, "not-a-uuid", sizeof d->uuid);
  assert_build_fails (d, &run, HANGAR_ERROR_INVALID_ARGUMENT);
}

/* ---- huge pages, and what live changes hand QMP --------------------------- */

static void
test_hugepages (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  g_auto(GStrv) plain = build_ok (d, &run);
  g_auto(GStrv) argv = NULL;
  g_auto(GStrv) sized = NULL;
  g_autoptr(GPtrArray) machines = NULL;

  g_assert_cmpuint (count_option (plain, "-object"), ==, 0);

  d->hugepages = TRUE;
  argv = build_ok (d, &run);
  g_assert_true (has_pair (argv, "-m", "size=1024M"));
  g_assert_true (has_pair (argv, "-object",
                           "memory-backend-memfd,id=pc.ram,size=1024M,hugetlb=on,prealloc=on,share=off"));
  machines = values_of (argv, "-machine");
  g_assert_cmpuint (machines->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (machines, 0), ",memory-backend=pc.ram"));

  d->hugepage_kib = 1024 * 1024;
  sized = build_ok (d, &run);
  g_assert_true (has_pair (sized, "-object",
                           "memory-backend-memfd,id=pc.ram,size=1024M,hugetlb=on,hugetlbsize=1048576K,"
                           "prealloc=on,share=off"));
}

/* blockdev-add gets exactly the -blockdev of the command line. */
static void
test_hotplug_disk_blockdev (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardQemuRun run = make_run ();
  HangardDiskDef *disk = add_disk (d, HANGARD_DISK_DEVICE_DISK, HANGARD_DISK_BUS_VIRTIO,
                                   "/images/a,b \"c\".qcow2", "vdb");
  g_auto(GStrv) argv = NULL;
  g_autoptr(JsonNode) at_start = NULL;
  g_autoptr(JsonNode) live = NULL;
  g_autoptr(JsonNode) media = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  disk->format = HANGARD_DISK_FORMAT_QCOW2;
  disk->cache = HANGARD_DISK_CACHE_DIRECTSYNC;
  argv = build_ok (d, &run);
  at_start = blockdev_node (argv, "drive-vdb");
  g_assert_nonnull (at_start);

  live = hangard_qemu_disk_blockdev (disk, NULL, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (json_node_equal (at_start, live));

  /* A CD-ROM's next medium: the other node names, the same content. */
  media = hangard_qemu_disk_blockdev (disk, NULL, TRUE, &error);
  g_assert_no_error (error);
  object = json_node_get_object (media);
  g_assert_cmpstr (json_object_get_string_member (object, "node-name"), ==, "media-vdb");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object, "file"), "node-name"),
                   ==, "mfile-vdb");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object, "file"), "filename"),
                   ==, "/images/a,b \"c\".qcow2");

  /* An empty drive has nothing to add. */
  disk->device = HANGARD_DISK_DEVICE_CDROM;
  disk->bus = HANGARD_DISK_BUS_IDE;
  g_clear_pointer (&disk->source_file, g_free);
  g_assert_null (hangard_qemu_disk_blockdev (disk, NULL, FALSE, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
}

static void
test_hotplug_disk_device (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardDiskDef *disk = add_disk (d, HANGARD_DISK_DEVICE_DISK, HANGARD_DISK_BUS_VIRTIO, "/d.img", "vdc");
  HangardDiskDef *sata = add_disk (d, HANGARD_DISK_DEVICE_DISK, HANGARD_DISK_BUS_SATA, "/s.img", "sdb");
  HangardDiskDef *cdrom = add_disk (d, HANGARD_DISK_DEVICE_CDROM, HANGARD_DISK_BUS_IDE, "/c.iso", "hdc");
  g_autoptr(JsonObject) device = NULL;
  g_autoptr(JsonObject) refused = NULL;
  g_autoptr(GError) error = NULL;

  disk->cache = HANGARD_DISK_CACHE_WRITETHROUGH;
  disk->boot_order = 3;
  device = hangard_qemu_disk_hotplug_device (disk, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (device, "driver"), ==, "virtio-blk-pci");
  g_assert_cmpstr (json_object_get_string_member (device, "id"), ==, "disk-vdc");
  g_assert_cmpstr (json_object_get_string_member (device, "drive"), ==, "drive-vdc");
  g_assert_cmpstr (json_object_get_string_member (device, "write-cache"), ==, "off");
  g_assert_cmpint (json_object_get_int_member (device, "bootindex"), ==, 3);

  /* IDE and AHCI take no devices once the machine runs. */
  refused = hangard_qemu_disk_hotplug_device (sata, &error);
  g_assert_null (refused);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_null (hangard_qemu_disk_hotplug_device (cdrom, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED);
}

static void
test_hotplug_nic (void)
{
  g_autoptr(TestDomain) d = make_domain ();
  HangardNicDef *user = add_nic (d, HANGARD_NIC_MODEL_E1000, "52:54:00:00:00:0a");
  HangardNicDef *tap = add_tap_nic (d, HANGARD_NIC_TYPE_NETWORK, "default", "52:54:00:00:00:0b");
  g_autoptr(JsonObject) slirp = NULL;
  g_autoptr(JsonObject) passt = NULL;
  g_autoptr(JsonObject) tapdev = NULL;
  g_autoptr(JsonObject) device = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *forwards;

  add_port_forward (user, "tcp", "127.0.0.1", 2222, 22);
  slirp = hangard_qemu_nic_hotplug_netdev (user, "hostnet-x", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (slirp, "type"), ==, "user");
  g_assert_cmpstr (json_object_get_string_member (slirp, "id"), ==, "hostnet-x");
  forwards = json_object_get_array_member (slirp, "hostfwd");
  g_assert_cmpuint (json_array_get_length (forwards), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (forwards, 0), "str"),
                   ==, "tcp:127.0.0.1:2222-:22");

  passt = hangard_qemu_nic_hotplug_netdev (user, "hostnet-x", "hangar-net-1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (passt, "type"), ==, "socket");
  g_assert_cmpstr (json_object_get_string_member (passt, "fd"), ==, "hangar-net-1");

  tapdev = hangard_qemu_nic_hotplug_netdev (tap, "hostnet-y", "hangar-net-2", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (tapdev, "type"), ==, "tap");
  g_assert_cmpstr (json_object_get_string_member (tapdev, "fd"), ==, "hangar-net-2");
  g_assert_false (json_object_get_boolean_member (tapdev, "vhost"));
  g_assert_null (hangard_qemu_nic_hotplug_netdev (tap, "hostnet-y", NULL, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED);
  g_clear_error (&error);

  device = hangard_qemu_nic_hotplug_device (user, "net-x", "hostnet-x", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (device, "driver"), ==, "e1000");
  g_assert_cmpstr (json_object_get_string_member (device, "mac"), ==, "52:54:00:00:00:0a");
  g_assert_cmpstr (json_object_get_string_member (device, "netdev"), ==, "hostnet-x");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qemu-argv/nic/passt-stream", test_nic_passt_stream);
  g_test_add_func ("/qemu-argv/escape", test_escape);
  g_test_add_func ("/qemu-argv/memory/hugepages", test_hugepages);
  g_test_add_func ("/qemu-argv/hotplug/disk-blockdev", test_hotplug_disk_blockdev);
  g_test_add_func ("/qemu-argv/hotplug/disk-device", test_hotplug_disk_device);
  g_test_add_func ("/qemu-argv/hotplug/nic", test_hotplug_nic);
  g_test_add_func ("/qemu-argv/basic", test_basic);
  g_test_add_func ("/qemu-argv/name-escaped", test_name_escaped);
  g_test_add_func ("/qemu-argv/memory-rounding", test_memory_rounding);
  g_test_add_func ("/qemu-argv/machine", test_machine);
  g_test_add_func ("/qemu-argv/cpu/mapping", test_cpu);
  g_test_add_func ("/qemu-argv/cpu/invalid-model", test_cpu_invalid_model);
  g_test_add_func ("/qemu-argv/disk/path-in-json", test_disk_path_in_json);
  g_test_add_func ("/qemu-argv/disk/format-explicit", test_disk_format_explicit);
  g_test_add_func ("/qemu-argv/disk/cache", test_disk_cache);
  g_test_add_func ("/qemu-argv/disk/readonly", test_disk_readonly);
  g_test_add_func ("/qemu-argv/disk/sata-controller-once", test_disk_sata_controller_once);
  g_test_add_func ("/qemu-argv/disk/no-sata-controller", test_disk_no_sata_controller_without_sata);
  g_test_add_func ("/qemu-argv/disk/ide", test_disk_ide);
  g_test_add_func ("/qemu-argv/disk/ide-q35-unsupported", test_disk_ide_q35_unsupported);
  g_test_add_func ("/qemu-argv/disk/empty-cdrom", test_disk_empty_cdrom);
  g_test_add_func ("/qemu-argv/disk/invalid", test_disk_invalid);
  g_test_add_func ("/qemu-argv/disk/duplicate-target", test_disk_duplicate_target);
  g_test_add_func ("/qemu-argv/boot/order", test_boot_order);
  g_test_add_func ("/qemu-argv/boot/bootindex", test_boot_bootindex);
  g_test_add_func ("/qemu-argv/boot/bootindex-duplicate", test_boot_bootindex_duplicate);
  g_test_add_func ("/qemu-argv/boot/kernel", test_kernel);
  g_test_add_func ("/qemu-argv/boot/kernel-required", test_kernel_required);
  g_test_add_func ("/qemu-argv/nic/models", test_nics);
  g_test_add_func ("/qemu-argv/nic/invalid-mac", test_nic_invalid_mac);
  g_test_add_func ("/qemu-argv/nic/hostfwd", test_nic_hostfwd);
  g_test_add_func ("/qemu-argv/nic/hostfwd-invalid", test_nic_hostfwd_invalid);
  g_test_add_func ("/qemu-argv/nic/tap", test_nic_tap);
  g_test_add_func ("/qemu-argv/nic/tap-for-user-nic", test_nic_tap_for_user_nic);
  g_test_add_func ("/qemu-argv/nic/tap-missing", test_nic_tap_missing);
  g_test_add_func ("/qemu-argv/display/vnc", test_display_vnc);
  g_test_add_func ("/qemu-argv/display/none", test_display_none);
  g_test_add_func ("/qemu-argv/display/virtio-vga", test_display_virtio_vga);
  g_test_add_func ("/qemu-argv/display/tablet", test_tablet);
  g_test_add_func ("/qemu-argv/serial/socket", test_serial_socket);
  g_test_add_func ("/qemu-argv/serial/without-socket", test_serial_without_socket);
  g_test_add_func ("/qemu-argv/serial/none", test_no_serial);
  g_test_add_func ("/qemu-argv/run/invalid", test_run_invalid);
  g_test_add_func ("/qemu-argv/domain/invalid", test_domain_invalid);

  return g_test_run ();
}
