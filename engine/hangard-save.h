/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hangard-daemon.h"
#include "hangard-domain.h"

G_BEGIN_DECLS

/* Save files: a guest's memory and device state with the definition it ran.
 *
 * Layout (version 1):
 *
 *   "HANGAR-SAVE 1\n"            magic line: the format and its version
 *   "uuid=<uuid>\n"              the machine
 *   "state=running\n"            or "state=paused": how it was when saved
 *   "xml-length=<N>\n"           bytes of XML that follow the header
 *   "\n"                         end of the header (at most 4 KiB in all)
 *   <N bytes of domain XML>      the definition QEMU ran with
 *   <QEMU's migration stream>    from here to the end of the file ("QEVM"...)
 *
 * Unknown "key=value" lines are ignored, so later versions of the same
 * major format can add some. The engine writes the header, then hands QEMU
 * the file descriptor positioned after it (QMP getfd + migrate fd:NAME);
 * a restore reads the header and hands QEMU the descriptor positioned at
 * the stream (migrate-incoming). QEMU never opens the file.
 *
 * Managed saves (virsh managedsave) are such files kept by the engine at
 * <data dir>/save/<uuid>.save. */

#define HANGARD_SAVE_MAGIC          "HANGAR-SAVE 1\n"
#define HANGARD_SAVE_MAX_HEADER     4096
#define HANGARD_SAVE_STREAM_MAGIC   "QEVM"

typedef struct {
  char    uuid[37];
  gboolean paused;          /* the guest was paused when it was saved */
  char    *xml;             /* the domain XML it ran with */
  goffset  stream_offset;   /* where QEMU's stream begins */
} HangardSaveHeader;

void               hangard_save_header_free   (HangardSaveHeader *header);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangardSaveHeader, hangard_save_header_free)

/* Writes the header and `xml` at the current offset of `fd`, which is then
 * where QEMU's stream goes. Errors: HANGAR_ERROR_FAILED (I/O). */
gboolean           hangard_save_write_header  (int                  fd,
                                               const char          *uuid,
                                               const char          *xml,
                                               gboolean             paused,
                                               GError             **error);

/* Reads and checks the header of the save file open at `fd` (read with
 * pread: the offset is not moved), and that QEMU's stream begins where it
 * says. `path` names the file in messages. Errors:
 * HANGAR_ERROR_INVALID_ARGUMENT naming `path` (not a save file, another
 * version, a damaged header, no stream), HANGAR_ERROR_FAILED (I/O). */
HangardSaveHeader *hangard_save_read_header   (int                  fd,
                                               const char          *path,
                                               GError             **error);

/* <data dir>/save/<uuid>.save */
char              *hangard_save_managed_path  (HangardDaemon       *daemon,
                                               const char          *uuid);

/* Machine.Save (`path` absolute) or Machine.ManagedSave (`path` NULL):
 * writes the save file next to its destination under a temporary name,
 * has QEMU put the state in it, fsyncs and renames it, then ends QEMU.
 * On failure no file is left and the guest goes on. */
void               hangard_save_machine_async (HangardMachine      *machine,
                                               const char          *path,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean           hangard_save_machine_finish (HangardMachine     *machine,
                                                GAsyncResult       *result,
                                                GError            **error);

/* Manager.Restore: finds (or defines) the file's machine and starts it
 * from the saved state; a machine defined here is undefined again when
 * that fails. */
void               hangard_save_restore_async (HangardDaemon       *daemon,
                                               const char          *path,
                                               gboolean             paused,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
/* The restored machine (owned by the daemon), or NULL with an error. */
HangardMachine    *hangard_save_restore_finish (HangardDaemon      *daemon,
                                                GAsyncResult       *result,
                                                GError            **error);

/* Start of a machine with a managed save: resumes it from the file and
 * deletes the file once the guest runs (keeps it on failure). Finish with
 * hangard_vm_start_finish() on the machine's vm, the source object. */
void               hangard_save_resume_managed_async (HangardMachine      *machine,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);

/* Machine.ManagedSaveRemove, and Undefine's clean-up. Errors:
 * HANGAR_ERROR_FAILED (the file cannot be deleted). */
gboolean           hangard_save_remove_managed (HangardMachine     *machine,
                                                GError            **error);

G_END_DECLS
