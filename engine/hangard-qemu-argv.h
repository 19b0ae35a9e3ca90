/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "hangard-domain.h"

G_BEGIN_DECLS

/* One -add-fd: the file QEMU has open at fd number `fd` joins fd set
 * `set`; QEMU then opens "/dev/fdset/SET" by duplicating the member whose
 * access mode (read-only, read-write, write-only) matches what it asks. */
typedef struct {
  int         fd;
  guint       set;
  const char *opaque;             /* a label shown by query-fdsets, or NULL */
} HangardQemuAddFd;

/* One image of a disk's chain, handed over as an fd set. */
typedef struct {
  guint       fdset;
  const char *format;             /* "qcow2" or "raw" */
} HangardQemuImage;

/* A disk's images as fd sets: images[0] is the disk's own image and
 * images[i + 1] the backing file of images[i]; the last has no backing
 * file. The blockdev names every backing node (or "backing": null), so QEMU
 * never opens an image by the name stored in its header. */
typedef struct {
  const HangardQemuImage *images;
  guint                   n_images;  /* 0: the disk's path, as without fd sets */
} HangardQemuDiskFiles;

/* What the engine decided for one run of a machine, beyond its definition. */
typedef struct {
  const char *qemu_binary;        /* e.g. "qemu-system-x86_64" */
  const char *accel;              /* "kvm" or "tcg" */
  int         qmp_fd;             /* listening unix socket QEMU inherits at this fd number */
  int         serial_fd;          /* listening unix socket for the serial console, or -1 */
  const char *serial_log_path;    /* everything the guest writes to its serial port goes here */
  const char *pid_file;           /* -pidfile */
  const int  *nic_fds;            /* per NIC of the domain, in order: the fd number of its
                                     tap in QEMU (-netdev tap,fd=N), or -1 (user networking);
                                     NULL when every NIC is user-mode */
  guint       n_nic_fds;
  const int  *nic_stream_fds;     /* per NIC: the fd number of a connected stream socket to
                                     the NIC's user-mode stack in another process (passt:
                                     -netdev stream,addr.type=fd), or -1; NULL for none */
  guint       n_nic_stream_fds;
  gboolean    incoming;           /* -incoming defer: the guest's state comes from a saved
                                     stream (QMP migrate-incoming) instead of a fresh boot */
  /* System mode: files the engine opened for QEMU (see HangardQemuFiles). */
  const HangardQemuAddFd     *add_fds;      /* -add-fd options, or NULL */
  guint                       n_add_fds;
  const HangardQemuDiskFiles *disk_files;   /* per disk of the domain, in order, or NULL:
                                               every disk by its path */
  guint                       n_disk_files;
  const char *kernel_path;        /* replaces <kernel> (e.g. /proc/self/fd/N), or NULL */
  const char *initrd_path;        /* replaces <initrd>, or NULL */
} HangardQemuRun;

/* Builds QEMU's argv (argv[0] = qemu_binary) for `domain`.
 *
 * Rules: -nodefaults and -no-user-config, so only what the definition names
 * exists; disks are -blockdev JSON objects with the format always stated
 * (QEMU never probes); every string that lands inside a QEMU option list has
 * its commas doubled; -name guest=NAME,debug-threads=on; -uuid; -machine
 * TYPE,accel=ACCEL; -cpu per cpu mode ("host" needs kvm: "max" under tcg);
 * -smp; -m in MiB (rounded up); -boot order=... or per-device bootindex;
 * -kernel/-initrd/-append; NICs as -netdev tap/stream/user + -device (virtio-net-pci,
 * e1000, rtl8139) with mac; -vnc none when the definition has VNC graphics
 * (clients are added through QMP add_client) else -display none; -device
 * VGA / virtio-vga; usb tablet; the serial port on a chardev socket with a
 * logfile; QMP on the inherited fd; -sandbox on; -incoming defer when the
 * run restores a saved state. With `add_fds`/`disk_files`, disks are
 * "/dev/fdset/N" and every backing image is named in the blockdev, so the
 * command line names no disk path. No TCP port is opened.
 * Errors: HANGAR_ERROR_UNSUPPORTED for something the runner cannot do. */
GStrv  hangard_qemu_build_argv    (const HangardDomain  *domain,
                                   const HangardQemuRun *run,
                                   GError              **error);

/* Live changes through QMP, made of the same parts as the command line. */

/* The blockdev-add object of `disk`'s medium, as the command line's
 * -blockdev gives it: format node "drive-TARGET" over protocol node
 * "file-TARGET" (with `media_node_names`, "media-TARGET" over
 * "mfile-TARGET": a CD-ROM's next medium is added while the previous one,
 * under the other names, is still in). `files` (nullable): the disk's
 * images as fd sets QEMU already has. Errors: HANGAR_ERROR_UNSUPPORTED,
 * HANGAR_ERROR_INVALID_ARGUMENT (no medium). */
JsonNode   *hangard_qemu_disk_blockdev        (const HangardDiskDef       *disk,
                                               const HangardQemuDiskFiles *files,
                                               gboolean                    media_node_names,
                                               GError                    **error);
/* The device_add arguments that plug `disk` into a running machine:
 * virtio-blk-pci "disk-TARGET" on node "drive-TARGET" (with its cache
 * mode's write-cache and its boot index). HANGAR_ERROR_UNSUPPORTED for any
 * other bus: QEMU's IDE and AHCI buses are not hot-pluggable. */
JsonObject *hangard_qemu_disk_hotplug_device  (const HangardDiskDef       *disk,
                                               GError                    **error);
/* The netdev_add arguments of `nic` under `netdev_id`: a tap for network
 * and bridge interfaces (`fd_name`: the tap as named by getfd), passt's
 * connected socket for user interfaces with `fd_name` (the "socket"
 * backend: QEMU 7.2's "stream" backend keeps a monitor fd open after
 * netdev_del), else QEMU's slirp with the interface's port forwards. */
JsonObject *hangard_qemu_nic_hotplug_netdev   (const HangardNicDef        *nic,
                                               const char                 *netdev_id,
                                               const char                 *fd_name,
                                               GError                    **error);
/* The device_add arguments of `nic` as device `device_id` on `netdev_id`. */
JsonObject *hangard_qemu_nic_hotplug_device   (const HangardNicDef        *nic,
                                               const char                 *device_id,
                                               const char                 *netdev_id,
                                               GError                    **error);

/* Doubles every comma: the escaping of QEMU's key=value option lists. */
char  *hangard_qemu_escape_option (const char *value);

G_END_DECLS
