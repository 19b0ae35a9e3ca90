/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hangar-dbus.h"

G_BEGIN_DECLS

/* The New Machine assistant: a modal window that walks through source (an
 * installer ISO, a disk image to import, or, advanced, network boot (PXE)
 * or a kernel, initrd and arguments of one's own), operating system
 * (detected from an ISO, else chosen), memory and processors, storage,
 * name and network, and a summary; Create makes the disk, defines the
 * machine and starts it (or, "Customize Before Install", leaves it off for
 * its hardware settings).
 *
 * Signals:
 *   "created" (const char *object_path): the machine was defined (and
 *   started, unless starting it failed: that is reported on the parent,
 *   or "Customize Before Install" was chosen); the assistant closes right
 *   after.
 *   "customize" (const char *object_path): emitted just before "created"
 *   when "Customize Before Install" was chosen: the machine is defined but
 *   not started, for its hardware settings to be shown (with a way to
 *   begin the installation: hangar_machine_page_customize()). */

#define HANGAR_TYPE_NEW_MACHINE (hangar_new_machine_get_type ())
G_DECLARE_FINAL_TYPE (HangarNewMachine, hangar_new_machine, HANGAR, NEW_MACHINE, AdwWindow)

/* @connection is the GUI's HangarConnection (connected). Returns the
 * assistant (owned by GTK until it closes) so the caller can connect to
 * "created". */
HangarNewMachine *hangar_new_machine_present      (GtkWindow          *parent,
                                                   GObject            *connection);

/* The same from the bus objects themselves (the tests, other tools). */
HangarNewMachine *hangar_new_machine_present_with (GtkWindow          *parent,
                                                   GDBusConnection    *connection,
                                                   GDBusObjectManager *object_manager,
                                                   HangarManager      *manager);

/* Chooses "Install from an ISO image" with the file at @path on this
 * computer: what the file dialog does, for an ISO dropped on or opened
 * with the app too. A session engine opens the file itself; a system
 * engine gets a copy in the chosen storage pool on Create. */
void              hangar_new_machine_set_iso_file (HangarNewMachine   *self,
                                                   const char         *path);

/* TRUE while the assistant waits for something (the engine's answers,
 * the osinfo database, ISO detection, a kernel or initrd file being looked
 * at, the creation): see "busy". */
gboolean          hangar_new_machine_get_busy     (HangarNewMachine   *self);

/* What Create would send: the domain XML of the current choices. Free
 * with g_free(). */
char             *hangar_new_machine_build_xml    (HangarNewMachine   *self);

G_END_DECLS
