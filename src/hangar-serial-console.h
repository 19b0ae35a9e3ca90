/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <vte/vte.h>

#include "hangar-dbus.h"

G_BEGIN_DECLS

/* A machine's serial console (ttyS0) in a terminal, the machine page's
 * Console view.
 *
 * While the machine runs and the view is shown, it asks the engine for the
 * serial port (Machine.OpenSerial, asynchronously: a connected socket) and
 * joins it to a VteTerminal: what the guest writes is read from the socket
 * and fed to the terminal, what the terminal commits (typed keys, pasted
 * text, its answers to the guest's queries) is written to the socket. The
 * end of the console log comes first, so the guest's recent output shows.
 * Another client taking the port over (hangarctl console) ends the link:
 * the view says so and offers to take it back. A new run of the machine
 * (another StartTime) connects again by itself.
 *
 * While the machine is off (or crashed, or saved) the terminal shows its
 * console log (Machine.GetConsoleLog), read only.
 *
 * Its action "console.reconnect" opens the port again. */

#define HANGAR_TYPE_SERIAL_CONSOLE (hangar_serial_console_get_type ())
G_DECLARE_FINAL_TYPE (HangarSerialConsole, hangar_serial_console, HANGAR, SERIAL_CONSOLE, GtkWidget)

GtkWidget     *hangar_serial_console_new         (void);

/* Shows @machine's console (nullable: nothing). */
void           hangar_serial_console_set_machine (HangarSerialConsole *self,
                                                  HangarMachine       *machine);
HangarMachine *hangar_serial_console_get_machine (HangarSerialConsole *self);

/* What the view shows, also as the "status" property:
 *   "none"        no machine
 *   "log"         the machine is not running: its console log
 *   "connecting"  asking the engine for the port
 *   "connected"   live: typing goes to the guest
 *   "taken-over"  another client has the port now
 *   "no-serial"   the machine has no serial port
 *   "failed"      the engine refused (the view says why) */
const char    *hangar_serial_console_get_status  (HangarSerialConsole *self);

/* What the terminal holds, its scrollback included, as text. */
char          *hangar_serial_console_dup_text    (HangarSerialConsole *self);

/* The terminal the console is shown in. */
VteTerminal   *hangar_serial_console_get_terminal (HangarSerialConsole *self);

G_END_DECLS
