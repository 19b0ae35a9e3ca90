/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Where the engine lives on the bus. */
#define HANGAR_DBUS_NAME "io.github.hangarvm.Hangar1"
#define HANGAR_DBUS_PATH "/io/github/hangarvm/Hangar1"

/* Opening a connection to the bus an engine serves on, as chosen by the
 * user (hangarctl --connect, the GUI's connection switcher):
 *
 *   NULL or "session"  the user's session bus (session mode engine)
 *   "system"           the system bus (system mode engine)
 *   a D-Bus address    anything containing ':', e.g. "unix:path=/tmp/x/bus"
 *
 * Anything else fails with G_IO_ERROR_INVALID_ARGUMENT. The spec is kept on
 * the connection (hangar_connection_get_spec()) so later messages can name
 * the bus. Opening also registers the HANGAR_ERROR domain, so errors from
 * the engine come back as HANGAR_ERROR codes. */
GDBusConnection *hangar_connection_open_sync   (const char           *spec,
                                                GCancellable         *cancellable,
                                                GError              **error);
void             hangar_connection_open_async  (const char           *spec,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
GDBusConnection *hangar_connection_open_finish (GAsyncResult         *result,
                                                GError              **error);

/* Whether the engine may have polkit ask the user to authenticate (e.g. an
 * administrator password in the desktop's dialog) when a call needs it:
 * marks every method call to the engine's interfaces on @connection with
 * G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION (generated proxies
 * have no call flags of their own). Off by default: such a call is then
 * refused at once with NotAuthorized instead of waiting for a password.
 * Only the system engine asks polkit; a session engine ignores the flag. */
void             hangar_connection_set_allow_interactive_authorization (GDBusConnection *connection,
                                                                        gboolean         allow);
gboolean         hangar_connection_get_allow_interactive_authorization (GDBusConnection *connection);

/* "session", "system" or the address the connection was opened with; NULL
 * for a connection not made by hangar_connection_open_*(). */
const char      *hangar_connection_get_spec    (GDBusConnection      *connection);

/* The bus name to address the engine by on @connection: HANGAR_DBUS_NAME on
 * a message bus, NULL on a peer-to-peer link (e.g. over ssh). */
const char      *hangar_connection_get_engine_name (GDBusConnection  *connection);

/* Makes sure an engine owns HANGAR_DBUS_NAME on the bus, asking the bus to
 * start one when it knows how (D-Bus activation). When there is none, fails
 * with G_DBUS_ERROR_SERVICE_UNKNOWN and a message that names the bus and
 * says how to start the engine. Always succeeds on a peer-to-peer link. */
gboolean         hangar_connection_check_engine_sync   (GDBusConnection     *connection,
                                                        GCancellable        *cancellable,
                                                        GError             **error);
void             hangar_connection_check_engine_async  (GDBusConnection     *connection,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean         hangar_connection_check_engine_finish (GAsyncResult        *result,
                                                        GError             **error);

/* TRUE when @error says that no engine owns the bus name. */
gboolean         hangar_error_is_no_engine     (const GError         *error);

/* The message of @error for a person: the D-Bus remote-error prefix
 * ("GDBus.Error:io.github...: ") stripped, and a missing engine explained
 * along with how to start one. Free with g_free(). */
char            *hangar_error_get_message      (const GError         *error);

/* As hangar_error_get_message(), but a missing engine is explained for the
 * bus @connection was opened on ("No Hangar engine on the session bus..."). */
char            *hangar_connection_get_error_message (GDBusConnection *connection,
                                                      const GError    *error);

G_END_DECLS
