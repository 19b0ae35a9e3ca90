/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "hangar-dbus.h"

G_BEGIN_DECLS

/* The right-hand side of the main window for one machine: its title and
 * state, the lifecycle actions ("machine.start", "machine.shutdown",
 * "machine.force-off", "machine.reboot", "machine.reset", "machine.pause",
 * "machine.resume", "machine.begin-install"; its menu offers the window's
 * "machine.save-state", "machine.discard-saved-state", "machine.save-to-file",
 * "machine.clone" and "machine.delete") and the Display
 * (HangarDisplayView; "display.fullscreen", F11 anywhere in the window), Overview, Hardware
 * ("hardware.add-disk": the Add Disk dialog; "hardware.eject" (s: a CD-ROM
 * drive's target), "hardware.insert-volume" ((sss): target, pool, volume)
 * and "hardware.insert-file" (s: target; a file dialog) change its medium),
 * Snapshots (HangarSnapshotsView), Console (HangarSerialConsole, the live
 * serial console) and XML views. A running machine opens on its Display.
 *
 * While the machine runs, the Hardware view's device changes go through
 * Machine.AttachDevice, DetachDevice and UpdateDevice: into the running
 * machine and its definition where QEMU can plug the device (virtio disks,
 * network interfaces, CD-ROM media), into the definition alone otherwise;
 * a notice says which ("applied now", "takes effect at next boot"). A
 * machine that is off gets a new definition (UpdateXml); its CD-ROM media
 * change with UpdateDevice.
 *
 * Everything goes through the machine's D-Bus proxy, asynchronously. Engine
 * errors the user should hear about are emitted as the "error" signal
 * (a GError with the engine's message, prefixed with what failed) for the
 * window to show as a toast; the XML view shows its own errors in place. */
#define HANGAR_TYPE_MACHINE_PAGE (hangar_machine_page_get_type ())
G_DECLARE_FINAL_TYPE (HangarMachinePage, hangar_machine_page, HANGAR, MACHINE_PAGE, GtkWidget)

GtkWidget     *hangar_machine_page_new         (void);

/* Shows @machine (nullable: nothing). @connection is the window's
 * HangarConnection (nullable): the page needs only the machine's proxy,
 * and the connection's object manager for the pools and volumes that Add
 * Disk offers (without one, only image files). */
void           hangar_machine_page_set_machine (HangarMachinePage *self,
                                                HangarMachine     *machine,
                                                GObject           *connection);
HangarMachine *hangar_machine_page_get_machine (HangarMachinePage *self);

/* "Customize before install": shows the machine's Hardware view with a bar
 * offering "machine.begin-install" (starts the machine, as Start does, and
 * shows it running). The bar stays with the machine (also when another is
 * shown meanwhile) until it is started, by the bar or otherwise. */
void           hangar_machine_page_customize   (HangarMachinePage *self);

G_END_DECLS
