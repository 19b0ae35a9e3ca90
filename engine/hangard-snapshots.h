/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hangard-daemon.h"
#include "hangard-snapshot.h"

G_BEGIN_DECLS

/* One machine's internal snapshots: their records on disk
 * (<config>/snapshots/<machine uuid>/<name>.xml and a "current" file naming
 * the current one), the tree they form, their D-Bus objects at
 * <machine path>/snapshots/<n>, and the work of creating, reverting and
 * deleting them: QMP jobs (snapshot-save, -load, -delete) and a
 * blockdev-snapshot-internal-sync transaction while QEMU runs, qemu-img
 * snapshot on the qcow2 images while it does not.
 *
 * One operation at a time per machine; another one meanwhile fails with
 * HANGAR_ERROR_INVALID_STATE. Every file is written atomically (temporary
 * file, fsync, rename). */
#define HANGARD_TYPE_SNAPSHOTS (hangard_snapshots_get_type ())
G_DECLARE_FINAL_TYPE (HangardSnapshots, hangard_snapshots, HANGARD, SNAPSHOTS, GObject)

/* `machine` owns the store. */
HangardSnapshots *hangard_snapshots_new            (HangardDaemon     *daemon,
                                                    HangardMachine    *machine);
/* Reads the stored records and exports their objects. A record that
 * cannot be read is skipped with a warning (and kept on disk); a snapshot
 * whose parent is missing becomes a root. */
void              hangard_snapshots_load           (HangardSnapshots  *self);
HangardDaemon    *hangard_snapshots_get_daemon     (HangardSnapshots  *self);
guint             hangard_snapshots_get_count      (HangardSnapshots  *self);

/* Errors: HANGAR_ERROR_NOT_FOUND, HANGAR_ERROR_INVALID_ARGUMENT (empty). */
HangardSnapshot  *hangard_snapshots_lookup         (HangardSnapshots  *self,
                                                    const char        *name,
                                                    GError           **error);

/* Machine.CreateSnapshot; see the D-Bus API for what it does and its
 * errors. The result is the new snapshot (a new reference). */
void              hangard_snapshots_create_async   (HangardSnapshots    *self,
                                                    const char          *name,
                                                    const char          *description,
                                                    GVariant            *options,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
HangardSnapshot  *hangard_snapshots_create_finish  (HangardSnapshots    *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* Snapshot.Revert. */
void              hangard_snapshots_revert_async   (HangardSnapshots    *self,
                                                    HangardSnapshot     *snapshot,
                                                    GVariant            *options,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean          hangard_snapshots_revert_finish  (HangardSnapshots    *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* Snapshot.Delete. */
void              hangard_snapshots_delete_async   (HangardSnapshots    *self,
                                                    HangardSnapshot     *snapshot,
                                                    GVariant            *options,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean          hangard_snapshots_delete_finish  (HangardSnapshots    *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* Whether Machine.Undefine may go ahead: with snapshots, only when
 * `drop_metadata` (the caller asked for snapshots-metadata or
 * remove-storage); never during a snapshot operation.
 * Error: HANGAR_ERROR_INVALID_STATE. */
gboolean          hangard_snapshots_check_undefine (HangardSnapshots  *self,
                                                    gboolean           drop_metadata,
                                                    GError           **error);
/* The machine is undefined: unexports every snapshot and removes the
 * records (the qcow2 images keep their internal snapshots). */
void              hangard_snapshots_remove_all     (HangardSnapshots  *self);

G_END_DECLS
