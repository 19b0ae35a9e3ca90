/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hangard-domain.h"
#include "hangard-host.h"
#include "hangard-qemu-argv.h"

G_BEGIN_DECLS

/* How a system engine confines one run of a machine's QEMU:
 *
 * - QEMU runs as the unprivileged QEMU user (hangard --qemu-user, default
 *   hangar-qemu; plus the kvm group), switched to between fork and exec,
 *   when the engine is root; a system engine on a test tree run by an
 *   ordinary user keeps its own user. A missing user is an error naming
 *   systemd-sysusers and useradd.
 * - Every host file QEMU needs is opened by the engine and inherited
 *   (HangardQemuFiles); QEMU's -sandbox (already on in every mode) keeps it
 *   from spawning, elevating or changing resource limits; no -daemonize.
 * - The engine writes the pid file (QEMU's -pidfile would need a writable
 *   directory and keep the file open).
 * - QEMU's working directory, HOME and TMPDIR are a private directory
 *   (PRIVATE_DIR/UUID, owned by the QEMU user, mode 0700), its environment
 *   a minimal one: nothing of the engine's leaks in.
 * - The process goes into a cgroup of its own (HangardCgroup): a transient
 *   systemd scope when systemd runs the host and the engine serves the
 *   system bus, else one the engine makes; the definition's <memtune> and
 *   <cputune> apply there. Failing that, the guest still runs and the
 *   engine's log and the QEMU log say what is missing. */
#define HANGARD_TYPE_QEMU_SANDBOX (hangard_qemu_sandbox_get_type ())
G_DECLARE_FINAL_TYPE (HangardQemuSandbox, hangard_qemu_sandbox, HANGARD, QEMU_SANDBOX, GObject)

/* NULL when `host` does not confine QEMU (session mode). */
HangardQemuSandbox *hangard_qemu_sandbox_new        (HangardHost          *host,
                                                     const char           *uuid,
                                                     const char           *name);

/* Looks the QEMU user up, makes the private directory, opens the files of
 * `domain` (and the console log at `console_log_path` when the machine has
 * a serial port) for QEMU fd numbers from `first_child_fd` up, and makes
 * the cgroup. Errors: those of hangard_qemu_user_lookup() and
 * hangard_qemu_files_open_domain(), HANGAR_ERROR_FAILED. */
gboolean      hangard_qemu_sandbox_prepare          (HangardQemuSandbox   *self,
                                                     const HangardDomain  *domain,
                                                     const char           *console_log_path,
                                                     int                   first_child_fd,
                                                     GError              **error);

/* Sets `run` up for the prepared files, and pid_file to NULL. */
void          hangard_qemu_sandbox_fill_run         (HangardQemuSandbox   *self,
                                                     HangardQemuRun       *run);
guint         hangard_qemu_sandbox_get_n_fds        (HangardQemuSandbox   *self);
int           hangard_qemu_sandbox_get_fd           (HangardQemuSandbox   *self,
                                                     guint                 index,
                                                     int                  *child_fd);
const char   *hangard_qemu_sandbox_get_directory    (HangardQemuSandbox   *self);
/* A minimal environment for QEMU: PATH, HOME, TMPDIR, USER, LOGNAME. */
const char * const *hangard_qemu_sandbox_get_environ (HangardQemuSandbox  *self);
/* Lines for the machine's QEMU log: who QEMU runs as, its cgroup, what
 * could not be applied. */
const char * const *hangard_qemu_sandbox_get_notes  (HangardQemuSandbox   *self);

/* The spawn's child setup, between fork and exec: enters the cgroup, then
 * becomes the QEMU user. Async-signal-safe. */
void          hangard_qemu_sandbox_child_setup      (HangardQemuSandbox   *self);

/* QEMU runs as `pid`: writes `pid_file`, closes the engine's copies of the
 * files and, under systemd, moves QEMU into its scope (in the background;
 * a refusal is logged). */
void          hangard_qemu_sandbox_spawned          (HangardQemuSandbox   *self,
                                                     GPid                  pid,
                                                     const char           *pid_file);
/* QEMU did not start: closes the engine's copies of the files and
 * removes what prepare made (done anyway when the sandbox is dropped
 * without hangard_qemu_sandbox_spawned()). */
void          hangard_qemu_sandbox_abandon          (HangardQemuSandbox   *self);

/* The cgroup directories the engine made for QEMU (none under systemd,
 * whose scope goes away by itself). With hangard_qemu_sandbox_get_directory()
 * they are what hangard_qemu_sandbox_remove() takes once QEMU is gone; the
 * engine keeps both in its run state, so a restarted engine can too. */
GStrv         hangard_qemu_sandbox_dup_cgroup_dirs  (HangardQemuSandbox   *self);
/* Removes QEMU's private `directory` (emptied first, without following
 * links) and the `cgroup_dirs`. Both nullable. */
void          hangard_qemu_sandbox_remove           (const char           *directory,
                                                     const char * const   *cgroup_dirs);

G_END_DECLS
