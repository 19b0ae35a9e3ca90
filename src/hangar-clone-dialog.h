/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hangar-dbus.h"

G_BEGIN_DECLS

/* The Clone dialog (virt-clone) for a shut-off machine: the clone's name
 * (checked as the engine checks machine names, and against the machines
 * there are, before Clone can be clicked; "NAME-clone" at first), a full
 * copy of the disks or linked ones (qcow2 overlays on the original's), and
 * the storage pool for the copies (the engine's active StoragePool objects,
 * or each disk's own). Clone calls Machine.Clone and follows the Job it
 * returns with a progress bar; Cancel then cancels the job (Job.Cancel),
 * which leaves nothing behind. A failure is shown in the dialog, which
 * stays open to try again.
 *
 * Signals:
 *   "cloned" (const char *object_path): the job completed; the new
 *   machine's object path. The dialog then closes. */

#define HANGAR_TYPE_CLONE_DIALOG (hangar_clone_dialog_get_type ())
G_DECLARE_FINAL_TYPE (HangarCloneDialog, hangar_clone_dialog, HANGAR, CLONE_DIALOG, AdwWindow)

/* @object_manager is the engine's (nullable: then no pools are offered
 * and names are checked by the engine alone). The dialog is shown, modal
 * for @parent, and owned by GTK until it closes. */
HangarCloneDialog *hangar_clone_dialog_present  (GtkWindow          *parent,
                                                 GDBusObjectManager *object_manager,
                                                 HangarMachine      *machine);

/* TRUE while the clone is being made. */
gboolean           hangar_clone_dialog_get_busy (HangarCloneDialog  *self);

G_END_DECLS
