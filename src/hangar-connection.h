/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hangar-dbus.h"
/* The engine's connect helpers (hangar_connection_open_async(),
 * hangar_connection_get_error_message()...) share this file name: including
 * this header brings both. */
#include "../engine/hangar-connection.h"

G_BEGIN_DECLS

/* The GUI's link to one engine: the bus connection, the engine's objects
 * and whether it can be reached, kept up to date as the engine comes and
 * goes. Every call on the bus is asynchronous. */

typedef enum {
  HANGAR_CONNECTION_CONNECTING,
  HANGAR_CONNECTION_CONNECTED,
  HANGAR_CONNECTION_UNREACHABLE,
} HangarConnectionState;

#define HANGAR_TYPE_CONNECTION_STATE (hangar_connection_state_get_type ())
GType hangar_connection_state_get_type (void);

#define HANGAR_TYPE_CONNECTION (hangar_connection_get_type ())
G_DECLARE_FINAL_TYPE (HangarConnection, hangar_connection, HANGAR, CONNECTION, GObject)

/* @spec: "session", "system" or a D-Bus address (as hangarctl --connect).
 * Nothing happens on the bus until hangar_connection_reconnect(). */
HangarConnection      *hangar_connection_new                 (const char       *spec);

const char            *hangar_connection_get_bus_spec        (HangarConnection *self);
/* Changes the engine to talk to and reconnects. */
void                   hangar_connection_set_bus_spec        (HangarConnection *self,
                                                              const char       *spec);
/* Drops what there is and connects again (the Retry button). */
void                   hangar_connection_reconnect           (HangarConnection *self);

HangarConnectionState  hangar_connection_get_state           (HangarConnection *self);
/* When unreachable: what went wrong, naming the engine and the command that
 * starts it; else NULL. */
const char            *hangar_connection_get_error_text      (HangarConnection *self);

/* The machines (HangarMachine proxies) sorted by name, kept live from the
 * engine's object manager; empty unless connected. The model stays the
 * same object across reconnections. */
GListModel            *hangar_connection_get_machines        (HangarConnection *self);
/* NULL unless connected. */
HangarManager         *hangar_connection_get_manager         (HangarConnection *self);
GDBusObjectManager    *hangar_connection_get_object_manager  (HangarConnection *self);
GDBusConnection       *hangar_connection_get_dbus_connection (HangarConnection *self);

/* The message to show a person for an error from this engine (a missing
 * engine explained for this bus). Free with g_free(). */
char                  *hangar_connection_format_error        (HangarConnection *self,
                                                              const GError     *error);

G_END_DECLS
