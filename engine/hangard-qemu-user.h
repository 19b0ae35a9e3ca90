/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include <sys/stat.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* The user a system engine runs QEMU as (hangard --qemu-user). */
#define HANGARD_QEMU_USER_DEFAULT "hangar-qemu"

/* The unprivileged identity of a system engine's QEMU processes: the user's
 * uid and primary gid, plus the `kvm` group when the host has one (for
 * /dev/kvm). A root engine switches to it in the child between fork and
 * exec; QEMU then holds no capability and can open only what its uid may,
 * which is why the engine hands it every file as a descriptor. */
#define HANGARD_TYPE_QEMU_USER (hangard_qemu_user_get_type ())
G_DECLARE_FINAL_TYPE (HangardQemuUser, hangard_qemu_user, HANGARD, QEMU_USER, GObject)

/* Looks `name` up in the user database (getpwnam). Errors:
 * HANGAR_ERROR_FAILED when there is no such user (the message says how to
 * create it: systemd-sysusers or useradd) or when it is root. */
HangardQemuUser *hangard_qemu_user_lookup      (const char       *name,
                                                GError          **error);

const char      *hangard_qemu_user_get_name    (HangardQemuUser  *self);
uid_t            hangard_qemu_user_get_uid     (HangardQemuUser  *self);
gid_t            hangard_qemu_user_get_gid     (HangardQemuUser  *self);

/* Whether the user may read a file with status `st` by its owner, group
 * and mode bits (ACLs are not consulted). */
gboolean         hangard_qemu_user_can_read    (HangardQemuUser  *self,
                                                const struct stat *st);

/* Makes `path` a directory owned by the user with mode 0700 (creating it,
 * or taking over an existing one that is not a symlink). */
gboolean         hangard_qemu_user_make_private_dir (HangardQemuUser *self,
                                                     const char      *path,
                                                     GError         **error);

/* In a forked child before exec: setgroups, setgid, setuid to the user,
 * checked. Async-signal-safe; on any failure it writes why to stderr and
 * _exit()s, so QEMU never runs with the engine's privileges. */
void             hangard_qemu_user_become      (HangardQemuUser  *self);

G_END_DECLS
