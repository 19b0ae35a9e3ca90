/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "hangard-domain.h"

G_BEGIN_DECLS

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
 * logfile; QMP on the inherited fd; -sandbox on. No TCP port is opened.
 * Errors: HANGAR_ERROR_UNSUPPORTED for something the runner cannot do. */
GStrv  hangard_qemu_build_argv    (const HangardDomain  *domain,
                                   const HangardQemuRun *run,
                                   GError              **error);

/* Doubles every comma: the escaping of QEMU's key=value option lists. */
char  *hangard_qemu_escape_option (const char *value);

G_END_DECLS
