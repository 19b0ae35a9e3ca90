/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "hangar-dbus.h"

G_BEGIN_DECLS

/* The machine page's Snapshots view: the machine's snapshots (its
 * Snapshots property, the Snapshot objects of the engine's object manager)
 * as a tree by parent, each with its name, when it was taken, its
 * description, whether it holds the memory or the disks only, and the
 * current one marked; kept up to date as the engine changes them.
 *
 * Actions:
 *   snapshots.create          a dialog for the name (checked as the engine
 *                             checks it), a description and "disks only";
 *                             then Machine.CreateSnapshot
 *   snapshots.revert (o)      the snapshot at that object path: after a
 *                             confirmation, Snapshot.Revert
 *   snapshots.delete (o)      after a confirmation (which offers to delete
 *                             its children too), Snapshot.Delete
 * Each is disabled, with a tooltip saying why, where the machine's state
 * forbids it, and while another runs.
 *
 * Engine errors are emitted as "error" (a GError with what failed, then the
 * engine's words) for the window to show. */

#define HANGAR_TYPE_SNAPSHOTS_VIEW (hangar_snapshots_view_get_type ())
G_DECLARE_FINAL_TYPE (HangarSnapshotsView, hangar_snapshots_view, HANGAR, SNAPSHOTS_VIEW, GtkWidget)

GtkWidget *hangar_snapshots_view_new          (void);

/* Shows @machine's snapshots (nullable: nothing); @object_manager is the
 * engine's, where the Snapshot objects are (nullable: none can be shown). */
void       hangar_snapshots_view_set_machine  (HangarSnapshotsView *self,
                                               HangarMachine       *machine,
                                               GDBusObjectManager  *object_manager);

/* The object paths of the snapshots shown, in their order (the tree, depth
 * first, oldest first among siblings). */
GStrv      hangar_snapshots_view_dup_shown    (HangarSnapshotsView *self);
/* TRUE while a snapshot is being created, reverted to or deleted. */
gboolean   hangar_snapshots_view_get_busy     (HangarSnapshotsView *self);

G_END_DECLS
