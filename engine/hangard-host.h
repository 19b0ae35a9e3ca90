/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Facts about the host, probed once: what accelerator guests can use, which
 * QEMU runs them, and what `virsh nodeinfo` shows. */
#define HANGARD_TYPE_HOST (hangard_host_get_type ())
G_DECLARE_FINAL_TYPE (HangardHost, hangard_host, HANGARD, HOST, GObject)

/* qemu_binary: NULL → $HANGAR_QEMU, else qemu-system-x86_64 from PATH. */
HangardHost *hangard_host_new                (const char  *qemu_binary);
/* "kvm" when /dev/kvm opens and answers KVM_GET_API_VERSION, else "tcg". */
const char  *hangard_host_get_accelerator    (HangardHost *self);
/* Why KVM is not used ("/dev/kvm: No such file or directory"), or NULL. */
const char  *hangard_host_get_kvm_reason     (HangardHost *self);
/* Absolute path of the QEMU binary, or NULL when none was found. */
const char  *hangard_host_get_qemu_binary    (HangardHost *self);

/* System mode: QEMU is confined (see HangardQemuSandbox). `qemu_user`:
 * the user QEMU runs as when the engine is root; `private_dir`: where each
 * machine's QEMU gets a directory of its own (PRIVATE_DIR/UUID, owned by
 * that user, mode 0700); `systemd` (nullable): the system bus when systemd
 * runs the host, so guests go into transient scopes, else the engine makes
 * their cgroups itself. Session mode never calls this. */
void         hangard_host_set_confinement    (HangardHost     *self,
                                              const char      *qemu_user,
                                              const char      *private_dir,
                                              GDBusConnection *systemd);
/* Whether QEMU runs confined (system mode). */
gboolean     hangard_host_confines_qemu      (HangardHost *self);
const char  *hangard_host_get_qemu_user      (HangardHost *self);
const char  *hangard_host_get_qemu_private_dir (HangardHost *self);
GDBusConnection *hangard_host_get_systemd    (HangardHost *self);

/* The a{sv} of Manager.GetHostInfo (asks QEMU its version the first time). */
void         hangard_host_get_info_async     (HangardHost         *self,
                                              const char          *mode,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GVariant    *hangard_host_get_info_finish    (HangardHost         *self,
                                              GAsyncResult        *result,
                                              GError             **error);

G_END_DECLS
