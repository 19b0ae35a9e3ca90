/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "hangard-domain.h"
#include "hangard-qemu-argv.h"
#include "hangard-qemu-user.h"

G_BEGIN_DECLS

/* The deepest backing chain Hangar follows (an image and its backing files). */
#define HANGARD_QEMU_FILES_MAX_CHAIN 16

/* Every host file one QEMU run needs, opened by the engine and handed to
 * QEMU as inherited descriptors, so QEMU (running as an unprivileged user
 * in system mode) never opens a host file by name:
 *
 * - each disk image as an fd set (-add-fd, "/dev/fdset/N"), opened
 *   read-write or read-only as the disk is, with its whole qcow2 backing
 *   chain (read-only, one fd set per image; each backing file's format
 *   must be recorded in its overlay, as QEMU is never left to guess);
 * - the CD-ROM media likewise (read-only);
 * - the kernel and initrd as /proc/self/fd/N paths (QEMU 7.2 reads them
 *   with plain fopen(), which takes no fd set): the descriptor itself when
 *   QEMU's user may read the file by its mode bits, else a sealed memfd
 *   copy, since reopening /proc/self/fd/N checks the file's permissions;
 * - the serial console's log as a write-only fd set.
 *
 * Only regular files are accepted. The descriptors are the engine's until
 * hangard_qemu_files_close(); the spawn gives QEMU its own copies. */
#define HANGARD_TYPE_QEMU_FILES (hangard_qemu_files_get_type ())
G_DECLARE_FINAL_TYPE (HangardQemuFiles, hangard_qemu_files, HANGARD, QEMU_FILES, GObject)

/* QEMU gets the files at fd numbers from `first_child_fd` up. `user`
 * (nullable): who QEMU will run as; NULL means the engine's own user. */
HangardQemuFiles *hangard_qemu_files_new              (int                 first_child_fd,
                                                       HangardQemuUser    *user);

/* Opens the disks (with backing chains), CD-ROM media, kernel and initrd
 * of `domain` (pool volumes already resolved to paths). Errors:
 * HANGAR_ERROR_NOT_FOUND (a file is missing), HANGAR_ERROR_UNSUPPORTED (not
 * a regular file; a backing file without a recorded format, in another
 * format than qcow2 or raw, not a local file, too deep a chain; an
 * external data file), HANGAR_ERROR_FAILED (cannot be opened or read). */
gboolean          hangard_qemu_files_open_domain      (HangardQemuFiles   *self,
                                                       const HangardDomain *domain,
                                                       GError            **error);
/* Opens (creating, appending) the serial console's log. */
gboolean          hangard_qemu_files_open_console_log (HangardQemuFiles   *self,
                                                       const char         *path,
                                                       GError            **error);

/* Points `run` at the files: add_fds, disk_files, kernel_path, initrd_path
 * and, when the console log is open, serial_log_path ("/dev/fdset/N").
 * The pointers stay valid as long as `self`. */
void              hangard_qemu_files_fill_run         (HangardQemuFiles   *self,
                                                       HangardQemuRun     *run);

guint             hangard_qemu_files_get_n_fds        (HangardQemuFiles   *self);
/* The engine's descriptor and QEMU's fd number of file `index`. */
int               hangard_qemu_files_get_fd           (HangardQemuFiles   *self,
                                                       guint               index,
                                                       int                *child_fd);
/* The host files QEMU gets (disk images and backing files, media, kernel,
 * initrd, console log), by path; memfd copies are named by their source. */
const char * const *hangard_qemu_files_get_paths      (HangardQemuFiles   *self);

/* Closes the engine's descriptors (QEMU has its copies, or failed to start). */
void              hangard_qemu_files_close            (HangardQemuFiles   *self);

G_END_DECLS
