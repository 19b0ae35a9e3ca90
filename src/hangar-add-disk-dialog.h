/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hangar-dbus.h"

G_BEGIN_DECLS

/* The Add Disk dialog of a machine's Hardware view. The disk (or CD-ROM)
 * comes from a volume of a storage pool (pool, then volume: the engine's
 * StoragePool and Volume objects; CD-ROMs offer its install media), from a
 * new volume made in a pool (with progress, stoppable), or from an image
 * file; on the bus chosen. Invalid choices keep Add insensitive and say
 * why. Add works out the machine's new definition from the one it was
 * given (a new volume is made first, once the engine has checked that
 * definition) and emits "definition-ready"; the caller sends it to the
 * engine (UpdateXml). The dialog then closes.
 *
 * Signals:
 *   "definition-ready" (const char *xml): the machine's definition with
 *   the disk added. */

#define HANGAR_TYPE_ADD_DISK_DIALOG (hangar_add_disk_dialog_get_type ())
G_DECLARE_FINAL_TYPE (HangarAddDiskDialog, hangar_add_disk_dialog, HANGAR, ADD_DISK_DIALOG, AdwWindow)

/* @object_manager is the engine's (nullable: only image files can be
 * chosen then); @machine_xml the machine's definition as it is now. The
 * dialog is shown, modal for @parent, and owned by GTK until it closes. */
HangarAddDiskDialog *hangar_add_disk_dialog_present  (GtkWindow           *parent,
                                                      GDBusObjectManager  *object_manager,
                                                      const char          *machine_xml);

/* TRUE while a new volume is being made (see "busy"). */
gboolean             hangar_add_disk_dialog_get_busy (HangarAddDiskDialog *self);

G_END_DECLS
