/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* An asynchronous QMP client on a unix socket (json-glib), on the thread
 * default main context it was created on.
 *
 * Replies are matched to commands by "id", since QEMU interleaves events
 * with replies (an event may come before the reply to the command that
 * caused it). Signals:
 *   "event"  (const char *name, JsonObject *data_or_NULL, gint64 timestamp_usec)
 *   "closed" ()  — once, when the peer hangs up or a read fails; pending
 *                  commands then fail with G_IO_ERROR_CONNECTION_CLOSED. */
#define HANGARD_TYPE_QMP (hangard_qmp_get_type ())
G_DECLARE_FINAL_TYPE (HangardQmp, hangard_qmp, HANGARD, QMP, GObject)

/* Connects, reads the greeting and negotiates capabilities. */
void        hangard_qmp_connect_async        (const char          *socket_path,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
HangardQmp *hangard_qmp_connect_finish       (GAsyncResult        *result,
                                              GError             **error);

/* Runs `command` with `arguments` (nullable; not consumed). The result is
 * the reply's "return" member. A QMP error reply becomes HANGAR_ERROR_QEMU
 * with QEMU's "desc" as message. When fd >= 0 it is sent with the command
 * (SCM_RIGHTS in the same sendmsg), as `getfd` and `add-fd` need; the
 * caller keeps its own copy. */
void        hangard_qmp_execute_async        (HangardQmp          *self,
                                              const char          *command,
                                              JsonObject          *arguments,
                                              int                  fd,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
JsonNode   *hangard_qmp_execute_finish       (HangardQmp          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* "7.2.22" from the greeting. */
const char *hangard_qmp_get_qemu_version     (HangardQmp          *self);
gboolean    hangard_qmp_is_closed            (HangardQmp          *self);
void        hangard_qmp_close                (HangardQmp          *self);

G_END_DECLS
