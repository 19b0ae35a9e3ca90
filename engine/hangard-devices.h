/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hangar-dbus.h"

G_BEGIN_DECLS

/* A machine's hardware changes, live and at next boot (virsh
 * attach-device, detach-device, update-device, setmem, setvcpus,
 * vcpupin): the Machine methods AttachDevice, DetachDevice, UpdateDevice,
 * SetMemory, SetVcpus and PinVcpu.
 *
 * Each call names where it applies with the options "live" (the running
 * QEMU, through QMP) and "config" (the stored definition, used from the
 * next start); with neither, a running machine is changed live and a
 * shut-off one in its definition, as virsh does. The answer says where
 * the change was made: {"live": b, "config": b}.
 *
 * Live, Hangar hot-plugs virtio disks (blockdev-add + device_add, the
 * same blockdev the command line gives a disk at start) and network
 * interfaces (netdev_add with a tap, passt or slirp + device_add), unplugs
 * them (device_del, then once the guest let go, blockdev-del or
 * netdev_del), changes and ejects CD-ROM media (blockdev-open-tray,
 * -remove-medium, -insert-medium, -close-tray) and pins vCPU threads.
 * Memory and the vCPU count change at next boot only. A change that fails
 * part way is undone: the machine keeps running as before and its
 * definition is untouched. One hardware change of a machine runs at a
 * time. */

/* Installs the handlers of those methods into the Machine interface. */
void hangard_devices_iface_init (HangarMachineIface *iface);

G_END_DECLS
