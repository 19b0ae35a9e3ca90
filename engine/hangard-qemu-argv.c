/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-qemu-argv"

#include "hangard-qemu-argv.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "hangard-error.h"
#include "hangard-network-def.h"

/* The memory backend of a guest on huge pages; "pc.ram" is the id QEMU's
 * PC machines give their RAM themselves. */
#define HUGEPAGES_BACKEND_ID "pc.ram"

/* The AHCI controller QEMU's ich9-ahci provides has six ports (sata0.0..5). */
#define SATA_PORTS 6

/* QEMU refuses node names longer than 31 bytes; "drive-" plus the target
 * must fit, and a short limit keeps every derived id well clear of it. */
#define MAX_TARGET_DEV_LEN 16

typedef enum {
  MACHINE_I440FX,
  MACHINE_Q35,
} MachineFamily;

typedef struct {
  const HangardDomain  *domain;
  const HangardQemuRun *run;
  GStrvBuilder         *argv;
  MachineFamily         family;
  gboolean              tcg;
  gboolean              use_bootindex;  /* some device has <boot order=...> */
  gboolean              have_sata;      /* the ich9-ahci controller was added */
  GHashTable           *boot_indexes;   /* guint → seen, to refuse duplicates */
} ArgvBuilder;

char *
hangard_qemu_escape_option (const char *value)
{
  GString *escaped;

  g_return_val_if_fail (value != NULL, NULL);

  escaped = g_string_sized_new (strlen (value) + 8);
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == ',')
        g_string_append_c (escaped, ',');
      g_string_append_c (escaped, *p);
    }
  return g_string_free (escaped, FALSE);
}

static void
add_args (ArgvBuilder *b,
          const char  *option,
          const char  *value)
{
  g_strv_builder_add (b->argv, option);
  if (value != NULL)
    g_strv_builder_add (b->argv, value);
}

/* Takes ownership of `value`, which is usually a freshly formatted string. */
static void
add_args_take (ArgvBuilder *b,
               const char  *option,
               char        *value)
{
  add_args (b, option, value);
  g_free (value);
}

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '.' || c == '-';
}

/* A model or machine name goes into an option list unescaped and is also
 * matched by QEMU against its own tables, so only plain identifiers pass;
 * "help" would make QEMU print a list and exit instead of running. */
static gboolean
is_plain_identifier (const char *s)
{
  if (s == NULL || *s == '\0' || g_ascii_strcasecmp (s, "help") == 0)
    return FALSE;
  for (const char *p = s; *p != '\0'; p++)
    if (!is_name_char (*p))
      return FALSE;
  return TRUE;
}

/* Device ids and block node names are derived from the target ("disk-vda",
 * "drive-vda"), so the target must be something that never needs escaping
 * and that QEMU accepts inside an id. */
static gboolean
is_valid_target_dev (const char *dev)
{
  size_t len;

  if (dev == NULL)
    return FALSE;
  len = strlen (dev);
  if (len == 0 || len > MAX_TARGET_DEV_LEN)
    return FALSE;
  for (const char *p = dev; *p != '\0'; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

static gboolean
is_valid_mac (const char *mac)
{
  if (mac == NULL || strlen (mac) != 17)
    return FALSE;
  for (int i = 0; i < 17; i++)
    {
      if (i % 3 == 2 ? mac[i] != ':' : !g_ascii_isxdigit (mac[i]))
        return FALSE;
    }
  return TRUE;
}

/* ---- run-wide checks ---------------------------------------------------- */

static gboolean
check_run (const HangardQemuRun *run,
           GError              **error)
{
  if (run->qemu_binary == NULL || *run->qemu_binary == '\0')
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                           "No QEMU binary given");
      return FALSE;
    }
  if (g_strcmp0 (run->accel, "kvm") != 0 && g_strcmp0 (run->accel, "tcg") != 0)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Unsupported accelerator “%s” (only kvm and tcg)",
                   run->accel != NULL ? run->accel : "(none)");
      return FALSE;
    }
  /* The engine drives every machine through QMP; without it the process
   * could be neither watched nor stopped cleanly. */
  if (run->qmp_fd < 0)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                           "No QMP socket given");
      return FALSE;
    }
  return TRUE;
}

/* Every device model we emit is PCI (virtio, e1000, VGA, xhci) or sits on
 * the PC's ISA/IDE buses, so only the two PC machine families can run. */
static gboolean
machine_family (const char    *type,
                MachineFamily *family,
                GError       **error)
{
  if (is_plain_identifier (type))
    {
      if (strcmp (type, "pc") == 0 || g_str_has_prefix (type, "pc-i440fx-"))
        {
          *family = MACHINE_I440FX;
          return TRUE;
        }
      if (strcmp (type, "q35") == 0 || g_str_has_prefix (type, "pc-q35-"))
        {
          *family = MACHINE_Q35;
          return TRUE;
        }
    }
  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
               "Unsupported machine type “%s” (pc, q35 and their versions run)",
               type);
  return FALSE;
}

/* ---- identity, machine, cpu, memory -------------------------------------- */

static gboolean
add_identity (ArgvBuilder *b,
              GError     **error)
{
  const HangardDomain *d = b->domain;
  g_autofree char *name = NULL;

  if (d->name == NULL || *d->name == '\0')
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                           "The machine has no name");
      return FALSE;
    }
  if (!g_uuid_string_is_valid (d->uuid))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Invalid UUID “%s”", d->uuid);
      return FALSE;
    }

  /* debug-threads names the vCPU threads ("CPU 0/KVM"), which is how the
   * host's tools (and the engine, if it ever needs to) tell them apart. */
  name = hangard_qemu_escape_option (d->name);
  add_args_take (b, "-name", g_strdup_printf ("guest=%s,debug-threads=on", name));
  add_args (b, "-uuid", d->uuid);
  add_args (b, "-nodefaults", NULL);
  add_args (b, "-no-user-config", NULL);
  return TRUE;
}

static gboolean
add_machine (ArgvBuilder *b,
             GError     **error)
{
  const HangardDomain *d = b->domain;
  const char *type = d->machine_type != NULL ? d->machine_type : "pc";
  GString *opt;

  if (!machine_family (type, &b->family, error))
    return FALSE;

  /* libvirt turns ACPI off when <features> lacks <acpi/>; so do we. */
  opt = g_string_new (type);
  g_string_append_printf (opt, ",accel=%s", b->run->accel);
  if (!d->acpi)
    g_string_append (opt, ",acpi=off");
  /* Huge pages: the RAM comes from the backend add_memory_and_smp() makes. */
  if (d->hugepages)
    g_string_append (opt, ",memory-backend=" HUGEPAGES_BACKEND_ID);
  add_args_take (b, "-machine", g_string_free (opt, FALSE));
  return TRUE;
}

/* The <apic/> feature is deliberately not turned into "-cpu ...,-apic":
 * libvirt's QEMU driver never hides the local APIC either (the flag only
 * means something to Xen/bhyve/VirtualBox), and most definitions written
 * without <features> would otherwise boot SMP guests without interrupts. */
static gboolean
add_cpu (ArgvBuilder *b,
         GError     **error)
{
  const HangardDomain *d = b->domain;

  switch (d->cpu_mode)
    {
    case HANGARD_CPU_MODE_DEFAULT:
      /* QEMU's default model (qemu64) is what libvirt gives without <cpu>. */
      return TRUE;

    case HANGARD_CPU_MODE_HOST_PASSTHROUGH:
    case HANGARD_CPU_MODE_HOST_MODEL:
      /* "host" needs a hardware accelerator; "max" is TCG's closest match. */
      add_args (b, "-cpu", b->tcg ? "max" : "host");
      return TRUE;

    case HANGARD_CPU_MODE_CUSTOM:
      if (!is_plain_identifier (d->cpu_model))
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       "Unsupported CPU model “%s”",
                       d->cpu_model != NULL ? d->cpu_model : "");
          return FALSE;
        }
      add_args (b, "-cpu", d->cpu_model);
      return TRUE;

    default:
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Unsupported CPU mode %d", (int) d->cpu_mode);
      return FALSE;
    }
}

/* Only the size and count are QEMU's business: the <vcpu cpuset=...> host
 * CPU pinning is applied by the engine with sched_setaffinity() on the
 * QEMU process, and <currentMemory> is ignored because Hangar adds no
 * balloon device (<memballoon> is tolerated without effect), so the guest
 * always owns its full <memory>. */
static gboolean
add_memory_and_smp (ArgvBuilder *b,
                    GError     **error)
{
  const HangardDomain *d = b->domain;
  guint64 mib;

  if (d->memory_kib == 0 || d->vcpus == 0)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                           "Memory and vCPU count must be positive");
      return FALSE;
    }

  /* Round up: a guest never gets less than it asked for. Written this way
   * so a huge value cannot overflow. */
  mib = d->memory_kib / 1024 + (d->memory_kib % 1024 != 0 ? 1 : 0);
  add_args_take (b, "-m", g_strdup_printf ("size=%" G_GUINT64_FORMAT "M", mib));

  /* <hugepages/>: hugetlbfs memory from a memfd (no mount point needed,
   * nothing on the file system), private, and allocated up front so a
   * short pool fails the start instead of the running guest. The engine
   * checks the host's pool before it starts QEMU. */
  if (d->hugepages)
    {
      GString *backend = g_string_new ("memory-backend-memfd,id=" HUGEPAGES_BACKEND_ID);

      g_string_append_printf (backend, ",size=%" G_GUINT64_FORMAT "M,hugetlb=on", mib);
      if (d->hugepage_kib > 0)
        g_string_append_printf (backend, ",hugetlbsize=%" G_GUINT64_FORMAT "K", d->hugepage_kib);
      g_string_append (backend, ",prealloc=on,share=off");
      add_args_take (b, "-object", g_string_free (backend, FALSE));
    }
  add_args_take (b, "-smp", g_strdup_printf ("%u", d->vcpus));
  return TRUE;
}

/* ---- boot ---------------------------------------------------------------- */

static gboolean
any_device_boot_order (const HangardDomain *d)
{
  for (guint i = 0; d->disks != NULL && i < d->disks->len; i++)
    if (((HangardDiskDef *) g_ptr_array_index (d->disks, i))->boot_order > 0)
      return TRUE;
  for (guint i = 0; d->nics != NULL && i < d->nics->len; i++)
    if (((HangardNicDef *) g_ptr_array_index (d->nics, i))->boot_order > 0)
      return TRUE;
  return FALSE;
}

/* Per-device <boot order> wins over <os><boot dev>: libvirt refuses a
 * definition with both, and QEMU's bootindex is the more precise of the
 * two, so if both reach us the device orders are the ones honoured. */
static gboolean
add_boot_order (ArgvBuilder *b,
                GError     **error)
{
  const HangardDomain *d = b->domain;
  char order[G_N_ELEMENTS (d->boot) + 1] = { 0 };
  guint n = 0;

  if (b->use_bootindex || d->n_boot == 0)
    return TRUE;

  for (guint i = 0; i < d->n_boot && i < G_N_ELEMENTS (d->boot); i++)
    {
      char c;

      switch (d->boot[i])
        {
        case HANGARD_BOOT_HD:      c = 'c'; break;
        case HANGARD_BOOT_CDROM:   c = 'd'; break;
        case HANGARD_BOOT_NETWORK: c = 'n'; break;
        default:
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       "Unsupported boot device %d", (int) d->boot[i]);
          return FALSE;
        }
      /* QEMU refuses a drive letter given twice; a repeat adds nothing. */
      if (strchr (order, c) == NULL)
        order[n++] = c;
    }

  add_args_take (b, "-boot", g_strdup_printf ("order=%s", order));
  return TRUE;
}

/* Appends ",bootindex=N" for a device with a boot order, refusing an index
 * used twice (QEMU would, with a less helpful message). */
static gboolean
append_bootindex (ArgvBuilder *b,
                  GString     *device,
                  guint        boot_order,
                  GError     **error)
{
  if (boot_order == 0)
    return TRUE;
  if (!g_hash_table_add (b->boot_indexes, GUINT_TO_POINTER (boot_order)))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Boot order %u is given to more than one device", boot_order);
      return FALSE;
    }
  g_string_append_printf (device, ",bootindex=%u", boot_order);
  return TRUE;
}

/* -kernel, -initrd and -append are not option lists: QEMU 7.2 stores each
 * argument whole (as machine properties), so they are passed unescaped. */
static gboolean
add_kernel (ArgvBuilder *b,
            GError     **error)
{
  const HangardDomain *d = b->domain;

  if (d->kernel == NULL)
    {
      if (d->initrd != NULL || d->cmdline != NULL)
        {
          g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                               "<initrd> and <cmdline> need a <kernel>");
          return FALSE;
        }
      return TRUE;
    }

  /* The engine may have opened them for QEMU (system mode): then QEMU
   * reads them through its own descriptors, /proc/self/fd/N. */
  add_args (b, "-kernel", b->run->kernel_path != NULL ? b->run->kernel_path : d->kernel);
  if (d->initrd != NULL)
    add_args (b, "-initrd", b->run->initrd_path != NULL ? b->run->initrd_path : d->initrd);
  if (d->cmdline != NULL)
    add_args (b, "-append", d->cmdline);
  return TRUE;
}

/* ---- disks --------------------------------------------------------------- */

typedef struct {
  gboolean direct;           /* O_DIRECT: bypass the host page cache */
  gboolean no_flush;         /* ignore the guest's flush requests */
  gboolean write_cache_off;  /* the device reports no volatile write cache */
} CacheMode;

/* The same mapping libvirt uses from cache='...' to -blockdev/-device. */
static gboolean
cache_mode (HangardDiskCache cache,
            CacheMode       *mode,
            GError         **error)
{
  *mode = (CacheMode) { FALSE, FALSE, FALSE };

  switch (cache)
    {
    case HANGARD_DISK_CACHE_DEFAULT:
    case HANGARD_DISK_CACHE_WRITEBACK:
      return TRUE;
    case HANGARD_DISK_CACHE_NONE:
      mode->direct = TRUE;
      return TRUE;
    case HANGARD_DISK_CACHE_WRITETHROUGH:
      mode->write_cache_off = TRUE;
      return TRUE;
    case HANGARD_DISK_CACHE_DIRECTSYNC:
      mode->direct = TRUE;
      mode->write_cache_off = TRUE;
      return TRUE;
    case HANGARD_DISK_CACHE_UNSAFE:
      mode->no_flush = TRUE;
      return TRUE;
    default:
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Unsupported disk cache mode %d", (int) cache);
      return FALSE;
    }
}

static void
add_node_common (JsonBuilder     *json,
                 const char      *driver,
                 const char      *node_name,
                 gboolean         read_only,
                 const CacheMode *mode)
{
  json_builder_set_member_name (json, "driver");
  json_builder_add_string_value (json, driver);
  json_builder_set_member_name (json, "node-name");
  json_builder_add_string_value (json, node_name);
  json_builder_set_member_name (json, "read-only");
  json_builder_add_boolean_value (json, read_only);
  json_builder_set_member_name (json, "cache");
  json_builder_begin_object (json);
  json_builder_set_member_name (json, "direct");
  json_builder_add_boolean_value (json, mode->direct);
  json_builder_set_member_name (json, "no-flush");
  json_builder_add_boolean_value (json, mode->no_flush);
  json_builder_end_object (json);
}

/* One image node of a disk and its protocol ("file") child; with fd sets,
 * its backing chain nested under "backing". Level 0 is the disk's own
 * image, level N its Nth backing file (always read-only). */
/* Node names: "drive-vda" (format) over "file-vda" (protocol), the
 * backing files' "drive-vda-b1"... A CD-ROM's next medium is added while
 * the old one is still in, so it takes the other pair ("media-hdc" over
 * "mfile-hdc"), and the one after that the first pair again. */
typedef struct {
  const char *format;
  const char *file;
} NodePrefixes;

static const NodePrefixes drive_nodes = { "drive", "file" };
static const NodePrefixes media_nodes = { "media", "mfile" };

static void
add_image_node (JsonBuilder                *json,
                const HangardDiskDef       *disk,
                const CacheMode            *mode,
                const HangardQemuDiskFiles *files,
                const NodePrefixes         *nodes,
                guint                       level)
{
  g_autofree char *format_node = NULL;
  g_autofree char *file_node = NULL;
  g_autofree char *filename = NULL;
  const char *format;
  gboolean read_only = disk->readonly || level > 0;

  if (level == 0)
    {
      format_node = g_strdup_printf ("%s-%s", nodes->format, disk->target_dev);
      file_node = g_strdup_printf ("%s-%s", nodes->file, disk->target_dev);
      format = disk->format == HANGARD_DISK_FORMAT_QCOW2 ? "qcow2" : "raw";
    }
  else
    {
      format_node = g_strdup_printf ("%s-%s-b%u", nodes->format, disk->target_dev, level);
      file_node = g_strdup_printf ("%s-%s-b%u", nodes->file, disk->target_dev, level);
      format = files->images[level].format;
    }
  filename = files != NULL ? g_strdup_printf ("/dev/fdset/%u", files->images[level].fdset)
                           : g_strdup (disk->source_file);

  json_builder_begin_object (json);
  add_node_common (json, format, format_node, read_only, mode);
  json_builder_set_member_name (json, "file");
  json_builder_begin_object (json);
  add_node_common (json, "file", file_node, read_only, mode);
  json_builder_set_member_name (json, "filename");
  json_builder_add_string_value (json, filename);
  json_builder_set_member_name (json, "aio");
  json_builder_add_string_value (json, "threads");
  json_builder_end_object (json);

  /* With fd sets the chain is complete here: "backing": null keeps QEMU
   * from opening the file name a qcow2 header may hold. */
  if (files != NULL && g_str_equal (format, "qcow2"))
    {
      json_builder_set_member_name (json, "backing");
      if (level + 1 < files->n_images)
        add_image_node (json, disk, mode, files, nodes, level + 1);
      else
        json_builder_add_null_value (json);
    }
  json_builder_end_object (json);
}

/* The -blockdev argument as JSON, so the path needs no escaping at all
 * (commas, quotes, spaces, newlines are all plain JSON string content).
 * The format driver is always named so QEMU never probes a guest-written
 * image header, and both nodes state read-only and cache explicitly rather
 * than relying on inheritance from the format node. `files` (nullable):
 * the disk's images as fd sets. */
static JsonNode *
disk_blockdev_node (const HangardDiskDef       *disk,
                    const CacheMode            *mode,
                    const HangardQemuDiskFiles *files,
                    const NodePrefixes         *nodes)
{
  g_autoptr(JsonBuilder) json = json_builder_new ();

  add_image_node (json, disk, mode, files, nodes, 0);
  return json_builder_get_root (json);
}

static char *
disk_blockdev_json (const HangardDiskDef       *disk,
                    const CacheMode            *mode,
                    const HangardQemuDiskFiles *files)
{
  g_autoptr(JsonNode) root = disk_blockdev_node (disk, mode, files, &drive_nodes);

  return json_to_string (root, FALSE);
}

/* A disk's fd sets (`files`, with at least one image) make a chain of
 * qcow2 images that may end in a raw one. */
static gboolean
check_disk_files (const HangardDiskDef       *disk,
                  const HangardQemuDiskFiles *files,
                  GError                    **error)
{
  for (guint i = 0; i < files->n_images; i++)
    {
      const HangardQemuImage *image = &files->images[i];
      gboolean qcow2 = g_strcmp0 (image->format, "qcow2") == 0;

      if (image->fdset == 0 || (!qcow2 && g_strcmp0 (image->format, "raw") != 0) ||
          (!qcow2 && i + 1 < files->n_images))
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                       "internal: bad image chain for disk %s", disk->target_dev);
          return FALSE;
        }
    }
  return TRUE;
}

/* The disk's fd sets, checked, or NULL when it is opened by path. */
static gboolean
disk_files_for (ArgvBuilder                 *b,
                const HangardDiskDef        *disk,
                guint                        index,
                const HangardQemuDiskFiles **files_out,
                GError                     **error)
{
  const HangardQemuRun *run = b->run;
  const HangardQemuDiskFiles *files;

  *files_out = NULL;
  if (run->disk_files == NULL || index >= run->n_disk_files || disk->source_file == NULL)
    return TRUE;
  files = &run->disk_files[index];
  if (files->n_images == 0)
    return TRUE;

  if (!check_disk_files (disk, files, error))
    return FALSE;
  *files_out = files;
  return TRUE;
}

static gboolean
check_disk (const HangardDiskDef *disk,
            GError              **error)
{
  if (!is_valid_target_dev (disk->target_dev))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Unsupported disk target “%s” (lower-case letters and digits, "
                   "at most %d)", disk->target_dev != NULL ? disk->target_dev : "",
                   MAX_TARGET_DEV_LEN);
      return FALSE;
    }
  if (disk->format != HANGARD_DISK_FORMAT_RAW && disk->format != HANGARD_DISK_FORMAT_QCOW2)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Unsupported format for disk %s", disk->target_dev);
      return FALSE;
    }
  if (disk->device != HANGARD_DISK_DEVICE_DISK && disk->device != HANGARD_DISK_DEVICE_CDROM)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Unsupported device kind for disk %s", disk->target_dev);
      return FALSE;
    }
  /* JSON strings are UTF-8; the definition came from XML, so anything else
   * is a bug upstream, but never hand QEMU a mangled path. */
  if (disk->source_file != NULL && !g_utf8_validate (disk->source_file, -1, NULL))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "The source of disk %s is not valid UTF-8", disk->target_dev);
      return FALSE;
    }
  if (disk->source_file == NULL && disk->device != HANGARD_DISK_DEVICE_CDROM)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Disk %s has no source (only a CD-ROM drive may be empty)",
                   disk->target_dev);
      return FALSE;
    }
  return TRUE;
}

/* Parses "<prefix><letter>" into 0-based index, for sd[a-f] and hd[a-d]. */
static gboolean
target_index (const char *dev,
              const char *prefix,
              guint       count,
              guint      *index)
{
  size_t len = strlen (prefix);

  if (strncmp (dev, prefix, len) != 0 || dev[len] == '\0' || dev[len + 1] != '\0')
    return FALSE;
  if (dev[len] < 'a' || (guint) (dev[len] - 'a') >= count)
    return FALSE;
  *index = dev[len] - 'a';
  return TRUE;
}

/* Starts the -device string with the model and the bus address the target
 * name implies, adding the SATA controller the first time it is needed. */
static gboolean
disk_device_start (ArgvBuilder          *b,
                   const HangardDiskDef *disk,
                   GString              *device,
                   GError              **error)
{
  gboolean cdrom = disk->device == HANGARD_DISK_DEVICE_CDROM;
  guint index;

  switch (disk->bus)
    {
    case HANGARD_DISK_BUS_VIRTIO:
      /* virtio-blk has no removable media: it cannot be a CD-ROM drive. */
      if (cdrom)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       "CD-ROM %s cannot be on the virtio bus", disk->target_dev);
          return FALSE;
        }
      g_string_append (device, "virtio-blk-pci");
      return TRUE;

    case HANGARD_DISK_BUS_SATA:
      if (!target_index (disk->target_dev, "sd", SATA_PORTS, &index))
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       "Unsupported SATA target “%s” (sda to sdf)", disk->target_dev);
          return FALSE;
        }
      if (!b->have_sata)
        {
          /* One controller for all SATA disks, whatever the machine type:
           * q35's built-in AHCI would do, but i440fx has none, and one
           * layout for both keeps the code and the guest view simple. */
          add_args (b, "-device", "ich9-ahci,id=sata0");
          b->have_sata = TRUE;
        }
      g_string_append_printf (device, "%s,bus=sata0.%u",
                              cdrom ? "ide-cd" : "ide-hd", index);
      return TRUE;

    case HANGARD_DISK_BUS_IDE:
      /* q35 has no PATA controller (its "ide.N" buses are AHCI ports);
       * libvirt refuses bus='ide' there too. */
      if (b->family != MACHINE_I440FX)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       "Disk %s: the IDE bus exists only on the pc (i440fx) "
                       "machine; use sata", disk->target_dev);
          return FALSE;
        }
      if (!target_index (disk->target_dev, "hd", 4, &index))
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       "Unsupported IDE target “%s” (hda to hdd)", disk->target_dev);
          return FALSE;
        }
      /* hda/hdb are master/slave on the primary channel, hdc/hdd on the
       * secondary, as on real hardware and in libvirt. */
      g_string_append_printf (device, "%s,bus=ide.%u,unit=%u",
                              cdrom ? "ide-cd" : "ide-hd", index / 2, index % 2);
      return TRUE;

    default:
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Disk %s: unsupported bus %s", disk->target_dev,
                   hangard_disk_bus_to_string (disk->bus));
      return FALSE;
    }
}

static gboolean
add_disk (ArgvBuilder          *b,
          const HangardDiskDef *disk,
          guint                 index,
          GError              **error)
{
  g_autoptr(GString) device = g_string_new (NULL);
  const HangardQemuDiskFiles *files = NULL;
  CacheMode mode;

  if (!check_disk (disk, error) || !cache_mode (disk->cache, &mode, error) ||
      !disk_files_for (b, disk, index, &files, error))
    return FALSE;
  if (!disk_device_start (b, disk, device, error))
    return FALSE;

  /* An empty CD-ROM drive is a device with no backend: media can be
   * inserted later through QMP. */
  if (disk->source_file != NULL)
    {
      add_args_take (b, "-blockdev", disk_blockdev_json (disk, &mode, files));
      g_string_append_printf (device, ",drive=drive-%s", disk->target_dev);
      if (mode.write_cache_off)
        g_string_append (device, ",write-cache=off");
    }
  g_string_append_printf (device, ",id=disk-%s", disk->target_dev);
  if (!append_bootindex (b, device, disk->boot_order, error))
    return FALSE;

  add_args (b, "-device", device->str);
  return TRUE;
}

static gboolean
add_disks (ArgvBuilder *b,
           GError     **error)
{
  const HangardDomain *d = b->domain;
  g_autoptr(GHashTable) targets = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; d->disks != NULL && i < d->disks->len; i++)
    {
      const HangardDiskDef *disk = g_ptr_array_index (d->disks, i);

      /* Two disks on one target would share ids and node names. */
      if (disk->target_dev != NULL && !g_hash_table_add (targets, disk->target_dev))
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                       "Disk target %s is used twice", disk->target_dev);
          return FALSE;
        }
      if (!add_disk (b, disk, i, error))
        return FALSE;
    }
  return TRUE;
}

/* ---- hot-plugged disks (QMP) -------------------------------------------- */

JsonNode *
hangard_qemu_disk_blockdev (const HangardDiskDef       *disk,
                            const HangardQemuDiskFiles *files,
                            gboolean                    media_node_names,
                            GError                    **error)
{
  CacheMode mode;

  g_return_val_if_fail (disk != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_disk (disk, error) || !cache_mode (disk->cache, &mode, error))
    return NULL;
  if (disk->source_file == NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Disk %s has no medium", disk->target_dev);
      return NULL;
    }
  if (files != NULL && files->n_images == 0)
    files = NULL;
  if (files != NULL && !check_disk_files (disk, files, error))
    return NULL;
  return disk_blockdev_node (disk, &mode, files, media_node_names ? &media_nodes : &drive_nodes);
}

JsonObject *
hangard_qemu_disk_hotplug_device (const HangardDiskDef  *disk,
                                  GError               **error)
{
  g_autoptr(JsonObject) device = NULL;
  g_autofree char *id = NULL;
  g_autofree char *drive = NULL;
  CacheMode mode;

  g_return_val_if_fail (disk != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_disk (disk, error) || !cache_mode (disk->cache, &mode, error))
    return NULL;
  /* QEMU's IDE and AHCI buses take no devices once the machine runs. */
  if (disk->bus != HANGARD_DISK_BUS_VIRTIO || disk->device != HANGARD_DISK_DEVICE_DISK)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Disk %s is on the %s bus, which cannot take devices while the machine "
                   "runs: only virtio disks can be attached live",
                   disk->target_dev, hangard_disk_bus_to_string (disk->bus));
      return NULL;
    }
  if (disk->source_file == NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Disk %s has no source", disk->target_dev);
      return NULL;
    }

  id = g_strdup_printf ("disk-%s", disk->target_dev);
  drive = g_strdup_printf ("drive-%s", disk->target_dev);
  device = json_object_new ();
  json_object_set_string_member (device, "driver", "virtio-blk-pci");
  json_object_set_string_member (device, "id", id);
  json_object_set_string_member (device, "drive", drive);
  if (mode.write_cache_off)
    json_object_set_string_member (device, "write-cache", "off");
  if (disk->boot_order > 0)
    json_object_set_int_member (device, "bootindex", disk->boot_order);
  return g_steal_pointer (&device);
}

/* ---- network ------------------------------------------------------------- */

static const char *
nic_device_model (HangardNicModel model)
{
  switch (model)
    {
    case HANGARD_NIC_MODEL_VIRTIO:  return "virtio-net-pci";
    case HANGARD_NIC_MODEL_E1000:   return "e1000";
    case HANGARD_NIC_MODEL_RTL8139: return "rtl8139";
    default:                        return NULL;
    }
}

/* The fd number NIC `index`'s tap has in QEMU, or -1 for none. */
static int
nic_tap_fd (const HangardQemuRun *run,
            guint                 index)
{
  if (run->nic_fds == NULL || index >= run->n_nic_fds || run->nic_fds[index] < 0)
    return -1;
  return run->nic_fds[index];
}

/* The fd number NIC `index`'s passt socket has in QEMU, or -1 for none. */
static int
nic_stream_fd (const HangardQemuRun *run,
               guint                 index)
{
  if (run->nic_stream_fds == NULL || index >= run->n_nic_stream_fds || run->nic_stream_fds[index] < 0)
    return -1;
  return run->nic_stream_fds[index];
}

/* ",hostfwd=tcp:127.0.0.1:2222-:22": an empty guest address is the guest's
 * first DHCP address, an empty host address every host address. The parts
 * are checked again here since they land unescaped in an option list. */
static char *
format_hostfwd (const HangardPortForward  *forward,
                guint                      index,
                GError                   **error)
{
  const char *protocol = forward->protocol != NULL ? forward->protocol : "";
  const char *address = forward->host_address != NULL ? forward->host_address : "";

  if ((strcmp (protocol, "tcp") != 0 && strcmp (protocol, "udp") != 0) ||
      (forward->host_address != NULL && !hangard_ipv4_parse (forward->host_address, NULL)) ||
      forward->host_port == 0 || forward->host_port > 65535 ||
      forward->guest_port == 0 || forward->guest_port > 65535)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Invalid port forward on network interface %u", index);
      return NULL;
    }

  return g_strdup_printf ("%s:%s:%u-:%u",
                          protocol, address, forward->host_port, forward->guest_port);
}

static gboolean
append_hostfwd (GString                   *netdev,
                const HangardPortForward  *forward,
                guint                      index,
                GError                   **error)
{
  g_autofree char *hostfwd = format_hostfwd (forward, index, error);

  if (hostfwd == NULL)
    return FALSE;
  g_string_append_printf (netdev, ",hostfwd=%s", hostfwd);
  return TRUE;
}

/* QEMU's own NAT; host ports are listened on only where the definition
 * forwards them. */
static char *
build_user_netdev (const HangardNicDef  *nic,
                   guint                 index,
                   GError              **error)
{
  g_autoptr(GString) netdev = g_string_new (NULL);

  g_string_printf (netdev, "user,id=net%u", index);
  for (guint i = 0; nic->port_forwards != NULL && i < nic->port_forwards->len; i++)
    {
      if (!append_hostfwd (netdev, g_ptr_array_index (nic->port_forwards, i), index, error))
        return NULL;
    }
  return g_string_free (g_steal_pointer (&netdev), FALSE);
}

/* A NIC with a tap from the engine (opened with IFF_VNET_HDR, which QEMU
 * detects on the fd) uses it whatever its type; network and bridge NICs
 * always get one. */
static gboolean
add_netdev (ArgvBuilder          *b,
            const HangardNicDef  *nic,
            guint                 index,
            GError              **error)
{
  int fd = nic_tap_fd (b->run, index);
  char *netdev;

  if (fd >= 0)
    {
      add_args_take (b, "-netdev",
                     g_strdup_printf ("tap,id=net%u,fd=%d,vhost=off", index, fd));
      return TRUE;
    }

  if (nic->type != HANGARD_NIC_TYPE_USER)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                   "internal: no tap for interface %u", index);
      return FALSE;
    }

  /* passt: the port forwards are passt's business. */
  fd = nic_stream_fd (b->run, index);
  if (fd >= 0)
    {
      add_args_take (b, "-netdev",
                     g_strdup_printf ("stream,id=net%u,server=off,addr.type=fd,addr.str=%d", index, fd));
      return TRUE;
    }

  netdev = build_user_netdev (nic, index, error);
  if (netdev == NULL)
    return FALSE;
  add_args_take (b, "-netdev", netdev);
  return TRUE;
}

static gboolean
add_nics (ArgvBuilder *b,
          GError     **error)
{
  const HangardDomain *d = b->domain;

  for (guint i = 0; d->nics != NULL && i < d->nics->len; i++)
    {
      const HangardNicDef *nic = g_ptr_array_index (d->nics, i);
      const char *model = nic_device_model (nic->model);
      g_autoptr(GString) device = NULL;

      if (model == NULL)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       "Unsupported model for network interface %u", i);
          return FALSE;
        }
      if (!is_valid_mac (nic->mac))
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                       "Invalid MAC address “%s”", nic->mac != NULL ? nic->mac : "");
          return FALSE;
        }

      if (!add_netdev (b, nic, i, error))
        return FALSE;
      device = g_string_new (NULL);
      g_string_printf (device, "%s,netdev=net%u,mac=%s,id=nic%u", model, i, nic->mac, i);
      if (!append_bootindex (b, device, nic->boot_order, error))
        return FALSE;
      add_args (b, "-device", device->str);
    }
  return TRUE;
}

/* ---- hot-plugged NICs (QMP) --------------------------------------------- */

JsonObject *
hangard_qemu_nic_hotplug_netdev (const HangardNicDef  *nic,
                                 const char           *netdev_id,
                                 const char           *fd_name,
                                 GError              **error)
{
  g_autoptr(JsonObject) netdev = json_object_new ();

  g_return_val_if_fail (nic != NULL, NULL);
  g_return_val_if_fail (netdev_id != NULL, NULL);

  json_object_set_string_member (netdev, "id", netdev_id);
  if (nic->type != HANGARD_NIC_TYPE_USER)
    {
      /* A tap the engine opened, as -netdev tap,fd=N at start. */
      if (fd_name == NULL)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                       "internal: no tap for interface %s", nic->mac);
          return NULL;
        }
      json_object_set_string_member (netdev, "type", "tap");
      json_object_set_string_member (netdev, "fd", fd_name);
      json_object_set_boolean_member (netdev, "vhost", FALSE);
    }
  else if (fd_name != NULL)
    {
      /* passt's end of a socket pair: the port forwards are passt's.
       * The "socket" backend speaks the same length-prefixed frames as
       * "stream", and unlike QEMU 7.2's stream backend it closes a
       * monitor fd at netdev_del, so passt ends with the interface. */
      json_object_set_string_member (netdev, "type", "socket");
      json_object_set_string_member (netdev, "fd", fd_name);
    }
  else
    {
      g_autoptr(JsonArray) forwards = json_array_new ();

      json_object_set_string_member (netdev, "type", "user");
      for (guint i = 0; nic->port_forwards != NULL && i < nic->port_forwards->len; i++)
        {
          g_autofree char *hostfwd = format_hostfwd (g_ptr_array_index (nic->port_forwards, i), i, error);
          JsonObject *item;

          if (hostfwd == NULL)
            return NULL;
          item = json_object_new ();
          json_object_set_string_member (item, "str", hostfwd);
          json_array_add_object_element (forwards, item);
        }
      if (json_array_get_length (forwards) > 0)
        json_object_set_array_member (netdev, "hostfwd", g_steal_pointer (&forwards));
    }
  return g_steal_pointer (&netdev);
}

JsonObject *
hangard_qemu_nic_hotplug_device (const HangardNicDef  *nic,
                                 const char           *device_id,
                                 const char           *netdev_id,
                                 GError              **error)
{
  g_autoptr(JsonObject) device = NULL;
  const char *model;

  g_return_val_if_fail (nic != NULL, NULL);
  g_return_val_if_fail (device_id != NULL && netdev_id != NULL, NULL);

  model = nic_device_model (nic->model);
  if (model == NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Unsupported model for network interface %s", nic->mac);
      return NULL;
    }
  if (!is_valid_mac (nic->mac))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Invalid MAC address “%s”", nic->mac != NULL ? nic->mac : "");
      return NULL;
    }

  device = json_object_new ();
  json_object_set_string_member (device, "driver", model);
  json_object_set_string_member (device, "id", device_id);
  json_object_set_string_member (device, "netdev", netdev_id);
  json_object_set_string_member (device, "mac", nic->mac);
  if (nic->boot_order > 0)
    json_object_set_int_member (device, "bootindex", nic->boot_order);
  return g_steal_pointer (&device);
}

/* ---- display, input ------------------------------------------------------ */

static gboolean
add_display (ArgvBuilder *b,
             GError     **error)
{
  const HangardDomain *d = b->domain;

  /* "-vnc none" starts the VNC server without any listening socket; the
   * engine hands it connected client sockets with QMP add_client, so no
   * TCP port is opened and access control stays with the engine. */
  if (d->has_vnc)
    add_args (b, "-vnc", "none");
  else
    add_args (b, "-display", "none");

  switch (d->video)
    {
    case HANGARD_VIDEO_NONE:
      break;
    case HANGARD_VIDEO_VGA:
      add_args (b, "-device", "VGA,id=video0");
      break;
    case HANGARD_VIDEO_VIRTIO:
      add_args (b, "-device", "virtio-vga,id=video0");
      break;
    default:
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Unsupported video model %d", (int) d->video);
      return FALSE;
    }

  /* An absolute-pointing tablet keeps the VNC pointer in step with the
   * guest's; it needs a USB controller, which -nodefaults leaves out. */
  if (d->has_tablet)
    {
      add_args (b, "-device", "qemu-xhci,id=usb");
      add_args (b, "-device", "usb-tablet,bus=usb.0,id=input0");
    }
  return TRUE;
}

/* ---- serial, monitor, process -------------------------------------------- */

/* The serial port is the first ISA UART (ttyS0 / COM1). With a socket from
 * the engine, clients attach and detach at will while the logfile records
 * all the guest's output; with no socket it goes straight to the log file;
 * with neither the guest still sees its port, backed by a null chardev. */
static void
add_serial (ArgvBuilder *b)
{
  const HangardQemuRun *run = b->run;
  g_autoptr(GString) chardev = g_string_new (NULL);

  if (!b->domain->has_serial)
    return;

  if (run->serial_fd >= 0)
    {
      g_string_printf (chardev, "socket,id=charserial0,fd=%d,server=on,wait=off",
                       run->serial_fd);
      if (run->serial_log_path != NULL)
        {
          g_autofree char *log = hangard_qemu_escape_option (run->serial_log_path);
          g_string_append_printf (chardev, ",logfile=%s,logappend=on", log);
        }
    }
  else if (run->serial_log_path != NULL)
    {
      g_autofree char *log = hangard_qemu_escape_option (run->serial_log_path);
      g_string_printf (chardev, "file,id=charserial0,path=%s,append=on", log);
    }
  else
    {
      g_string_assign (chardev, "null,id=charserial0");
    }

  add_args (b, "-chardev", chardev->str);
  add_args (b, "-device", "isa-serial,chardev=charserial0,id=serial0");
}

/* The files the engine opened for QEMU, as fd sets (system mode). */
static gboolean
add_fd_sets (ArgvBuilder *b,
             GError     **error)
{
  const HangardQemuRun *run = b->run;

  for (guint i = 0; run->add_fds != NULL && i < run->n_add_fds; i++)
    {
      const HangardQemuAddFd *add = &run->add_fds[i];
      g_autoptr(GString) option = g_string_new (NULL);

      if (add->fd <= 2 || add->set == 0)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                       "internal: bad fd %d for fd set %u", add->fd, add->set);
          return FALSE;
        }
      g_string_printf (option, "fd=%d,set=%u", add->fd, add->set);
      if (add->opaque != NULL)
        {
          g_autofree char *opaque = hangard_qemu_escape_option (add->opaque);
          g_string_append_printf (option, ",opaque=%s", opaque);
        }
      add_args (b, "-add-fd", option->str);
    }
  return TRUE;
}

static void
add_qmp (ArgvBuilder *b)
{
  /* The engine created and bound the listening socket, so QEMU never
   * needs write access to the runtime directory to make one. */
  add_args_take (b, "-chardev",
                 g_strdup_printf ("socket,id=qmp,fd=%d,server=on,wait=off", b->run->qmp_fd));
  add_args (b, "-mon", "chardev=qmp,mode=control");
}

static void
add_process (ArgvBuilder *b)
{
  /* -pidfile takes a plain file name, not an option list. */
  if (b->run->pid_file != NULL)
    add_args (b, "-pidfile", b->run->pid_file);

  /* seccomp: no exec of helpers, no setuid, no scheduler/priority games,
   * no obsolete syscalls. Nothing Hangar's configurations use needs them. */
  add_args (b, "-sandbox",
            "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
  add_args (b, "-msg", "timestamp=on");

  /* A restore: QEMU waits for migrate-incoming on a file descriptor the
   * engine passes it (getfd), so the save file is never opened by QEMU. */
  if (b->run->incoming)
    add_args (b, "-incoming", "defer");
}

GStrv
hangard_qemu_build_argv (const HangardDomain  *domain,
                         const HangardQemuRun *run,
                         GError              **error)
{
  g_autoptr(GStrvBuilder) argv = NULL;
  g_autoptr(GHashTable) boot_indexes = NULL;
  ArgvBuilder b;

  g_return_val_if_fail (domain != NULL, NULL);
  g_return_val_if_fail (run != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_run (run, error))
    return NULL;

  argv = g_strv_builder_new ();
  boot_indexes = g_hash_table_new (g_direct_hash, g_direct_equal);
  b = (ArgvBuilder) {
    .domain = domain,
    .run = run,
    .argv = argv,
    .tcg = strcmp (run->accel, "tcg") == 0,
    .use_bootindex = any_device_boot_order (domain),
    .boot_indexes = boot_indexes,
  };

  /* The order matters beyond readability: QEMU gives PCI slots in the
   * order devices appear, so video comes first, then disks and NICs in
   * definition order, keeping a guest's view stable from run to run. */
  g_strv_builder_add (argv, run->qemu_binary);
  if (!add_identity (&b, error) ||
      !add_fd_sets (&b, error) ||
      !add_machine (&b, error) ||
      !add_cpu (&b, error) ||
      !add_memory_and_smp (&b, error) ||
      !add_boot_order (&b, error) ||
      !add_kernel (&b, error) ||
      !add_display (&b, error) ||
      !add_disks (&b, error) ||
      !add_nics (&b, error))
    return NULL;
  add_serial (&b);
  add_qmp (&b);
  add_process (&b);

  return g_strv_builder_end (argv);
}
