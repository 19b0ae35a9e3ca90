/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <sched.h>

G_BEGIN_DECLS

/* A machine definition: the subset of libvirt's domain XML that Hangar runs.
 *
 * The parsed libxml2 document is kept as the source of truth (`doc`), so
 * GetXml returns what the user defined, plus only what Hangar had to fill in
 * (a generated UUID, generated MAC addresses). The C fields below are a
 * validated view of that document for building QEMU's command line.
 *
 * Elements are either understood (fields below), tolerated (kept in the
 * document, with no effect on the guest; e.g. <emulator>, <on_poweroff>,
 * <clock>, <pm>, <memballoon>, <controller>), or rejected with
 * HANGAR_ERROR_UNSUPPORTED naming the element. Nothing is dropped silently. */

#define HANGARD_DOMAIN_MAX_XML_SIZE (1024 * 1024)   /* bytes; larger → InvalidArgument */
#define HANGARD_DOMAIN_MAX_NAME_LEN 64

typedef enum {
  HANGARD_DISK_DEVICE_DISK,
  HANGARD_DISK_DEVICE_CDROM,
} HangardDiskDevice;

typedef enum {
  HANGARD_DISK_BUS_VIRTIO,
  HANGARD_DISK_BUS_SATA,
  HANGARD_DISK_BUS_IDE,
} HangardDiskBus;

typedef enum {
  HANGARD_DISK_FORMAT_RAW,
  HANGARD_DISK_FORMAT_QCOW2,
} HangardDiskFormat;

typedef enum {
  HANGARD_DISK_CACHE_DEFAULT,       /* attribute absent: QEMU's default (writeback) */
  HANGARD_DISK_CACHE_NONE,
  HANGARD_DISK_CACHE_WRITEBACK,
  HANGARD_DISK_CACHE_WRITETHROUGH,
  HANGARD_DISK_CACHE_DIRECTSYNC,
  HANGARD_DISK_CACHE_UNSAFE,
} HangardDiskCache;

typedef struct {
  HangardDiskDevice device;
  HangardDiskBus    bus;
  HangardDiskFormat format;         /* <driver type=...>; required for disks with a source */
  HangardDiskCache  cache;
  /* <disk type='file'>: source_file is the image's absolute path.
   * <disk type='volume'>: source_pool and source_volume name a volume in a
   * storage pool (both valid names, the one set only with the other), and
   * source_file is NULL: the engine resolves the volume to its path when
   * the machine starts, and fills source_file in a copy before building
   * QEMU's command line. All three are NULL for an empty CD-ROM drive. */
  char             *source_file;
  char             *source_pool;    /* <source pool=...>; NULL for type='file' */
  char             *source_volume;  /* <source volume=...>; NULL for type='file' */
  char             *target_dev;     /* "vda", "sda", "hdc" */
  gboolean          readonly;       /* <readonly/>; always TRUE for cdrom */
  guint             boot_order;     /* per-device <boot order='N'/>; 0 when absent */
} HangardDiskDef;

typedef enum {
  HANGARD_NIC_MODEL_VIRTIO,
  HANGARD_NIC_MODEL_E1000,
  HANGARD_NIC_MODEL_RTL8139,
} HangardNicModel;

typedef enum {
  HANGARD_NIC_TYPE_USER,            /* <interface type='user'>: QEMU user-mode networking */
  HANGARD_NIC_TYPE_NETWORK,         /* <interface type='network'><source network='NAME'/> */
  HANGARD_NIC_TYPE_BRIDGE,          /* <interface type='bridge'><source bridge='br0'/> */
} HangardNicType;

/* <portForward proto='tcp' address='127.0.0.1'><range start='2222' to='22'/></portForward>
 * on a user interface: host port `host_port` forwards to the guest's `guest_port`. */
typedef struct {
  char  *protocol;                  /* "tcp" or "udp" */
  char  *host_address;              /* NULL: all host addresses */
  guint  host_port;                 /* 1..65535 */
  guint  guest_port;                /* 1..65535 */
} HangardPortForward;

/* <backend type='...'/> of a user interface: which user-mode stack. */
typedef enum {
  HANGARD_NIC_BACKEND_DEFAULT,      /* the engine picks: passt when installed and not
                                       root, else QEMU's own slirp */
  HANGARD_NIC_BACKEND_PASST,        /* <backend type='passt'/>: passt, or an error */
} HangardNicBackend;

typedef struct {
  HangardNicType  type;
  HangardNicBackend backend;        /* user interfaces only */
  HangardNicModel model;            /* default virtio */
  char           *mac;              /* "52:54:00:xx:xx:xx", lower case; generated when absent */
  guint           boot_order;
  char           *source;           /* network or bridge name; NULL for user */
  GPtrArray      *port_forwards;    /* HangardPortForward*, user only; never NULL */
} HangardNicDef;

typedef enum {
  HANGARD_BOOT_HD,
  HANGARD_BOOT_CDROM,
  HANGARD_BOOT_NETWORK,
} HangardBootDev;

typedef enum {
  HANGARD_CPU_MODE_DEFAULT,          /* no <cpu>: QEMU's default model */
  HANGARD_CPU_MODE_HOST_PASSTHROUGH, /* -cpu host (KVM); "max" under TCG */
  HANGARD_CPU_MODE_HOST_MODEL,       /* same as above for Hangar */
  HANGARD_CPU_MODE_CUSTOM,           /* <cpu mode='custom'><model>NAME</model> */
} HangardCpuMode;

/* One <cputune><vcpupin>. */
typedef struct {
  guint             vcpu;           /* 0 .. vcpus - 1, each at most once */
  char             *cpuset;         /* host CPUs, libvirt's cpuset syntax (validated) */
} HangardVcpuPin;

typedef enum {
  HANGARD_VIDEO_NONE,
  HANGARD_VIDEO_VGA,
  HANGARD_VIDEO_VIRTIO,
} HangardVideoModel;

typedef struct {
  xmlDoc           *doc;            /* the definition as stored; owned */

  char             *name;
  char              uuid[37];       /* lower-case canonical form, always set */
  char             *title;          /* NULL when absent */
  char             *description;    /* NULL when absent */

  guint64           memory_kib;     /* <memory unit=...>, converted to KiB */
  guint64           current_memory_kib; /* <currentMemory>; = memory_kib when absent */
  guint             vcpus;
  char             *cpuset;         /* <vcpu cpuset='0-3,^2'>, NULL when absent */

  char             *arch;           /* <os><type arch=...>; "x86_64" */
  char             *machine_type;   /* <os><type machine=...>; NULL → QEMU default ("pc") */
  HangardBootDev    boot[4];        /* <os><boot dev=...> in order */
  guint             n_boot;
  char             *kernel;         /* direct kernel boot, NULL when absent */
  char             *initrd;
  char             *cmdline;

  gboolean          acpi;
  gboolean          apic;
  HangardCpuMode    cpu_mode;
  char             *cpu_model;      /* for HANGARD_CPU_MODE_CUSTOM */

  GPtrArray        *disks;          /* HangardDiskDef*, in document order */
  GPtrArray        *nics;           /* HangardNicDef*, in document order */
  gboolean          has_vnc;        /* <graphics type='vnc'> */
  HangardVideoModel video;          /* default VGA when there is graphics, else NONE */
  gboolean          has_serial;     /* <serial> or <console> (both map to the one serial port) */
  gboolean          has_tablet;     /* <input type='tablet' bus='usb'>, or by default with VNC
                                       graphics unless an <input type='mouse'> is named */

  /* <memtune> and <cputune>: limits a system engine puts on the cgroup of
   * the machine's QEMU process (see hangard-cgroup.h); 0 when absent. */
  guint64           hard_limit_kib;       /* <memtune><hard_limit> */
  guint64           soft_limit_kib;       /* <memtune><soft_limit> */
  guint64           cpu_shares;           /* <cputune><shares>: 1..262144 */
  guint64           cpu_period_us;        /* <cputune><period>: 1000..1000000 */
  gint64            cpu_quota_us;         /* <cputune><quota>, per vCPU: 1000..17592186044415,
                                             or -1 for no limit */
  guint64           cpu_global_period_us; /* <cputune><global_period> */
  gint64            cpu_global_quota_us;  /* <cputune><global_quota>, for all vCPUs */

  /* <cputune><vcpupin vcpu='N' cpuset='...'/>: vCPU N runs on those host
   * CPUs (instead of <vcpu cpuset>), pinned by the engine at start. */
  GPtrArray        *vcpu_pins;      /* HangardVcpuPin*, in document order; never NULL */
  /* <memoryBacking><hugepages/>: guest memory from the host's huge page
   * pool (hugetlbfs memory, preallocated at start). */
  gboolean          hugepages;
  guint64           hugepage_kib;   /* <hugepages><page size=...>; 0: the host's default size */
} HangardDomain;

/* Parses and validates a domain document. Network access and entity
 * expansion are off; documents over HANGARD_DOMAIN_MAX_XML_SIZE are refused.
 * A missing <uuid> is generated and written into the document; missing MACs
 * likewise. Errors: HANGAR_ERROR_INVALID_XML (malformed, DTD/entities, missing
 * or bad values such as memory 0 or beyond what QEMU accepts),
 * HANGAR_ERROR_INVALID_ARGUMENT (too large, a bad machine name, or a bad pool
 * or volume name in a <disk type='volume'>: whether they exist is the
 * engine's business at start), HANGAR_ERROR_UNSUPPORTED (an element or value
 * Hangar does not run; the message names it). */
HangardDomain *hangard_domain_parse        (const char    *xml,
                                            gssize         length,
                                            GError       **error);
/* The stored document, formatted (indented, no XML declaration). */
char          *hangard_domain_to_xml       (HangardDomain *domain);
HangardDomain *hangard_domain_copy         (HangardDomain *domain);
void           hangard_domain_free         (HangardDomain *domain);

/* Machine names: 1..64 bytes of UTF-8, no '/', no control characters
 * (newline, tab...), not "." or "..", no leading '.' or '-' (so a name is
 * never an option or a hidden file). Error: HANGAR_ERROR_INVALID_ARGUMENT. */
gboolean       hangard_domain_name_is_valid (const char   *name,
                                             GError      **error);

/* Sets or clears <title>/<description>; keeps doc and fields in step. */
void           hangard_domain_set_title       (HangardDomain *domain,
                                               const char    *title);

/* Parses libvirt's cpuset syntax ("0-3,^2,8", applied left to right) into a
 * set of host CPUs (0..1023). On failure `problem` says why, in words. */
gboolean       hangard_cpuset_parse           (const char    *cpuset,
                                               cpu_set_t     *set,
                                               const char   **problem);

/* The host CPUs vCPU `vcpu` runs on: its <vcpupin>, else <vcpu cpuset>,
 * else NULL (anywhere). */
const char    *hangard_domain_get_vcpu_cpuset (const HangardDomain *domain,
                                               guint                vcpu);

const char    *hangard_disk_bus_to_string     (HangardDiskBus    bus);
const char    *hangard_disk_format_to_string  (HangardDiskFormat format);
const char    *hangard_disk_cache_to_string   (HangardDiskCache  cache);  /* "default" for DEFAULT */
const char    *hangard_nic_model_to_string    (HangardNicModel   model);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangardDomain, hangard_domain_free)

G_END_DECLS
