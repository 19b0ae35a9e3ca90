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
