/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "hangar-dbus.h"

G_BEGIN_DECLS

/* What a person can do to a machine from its row, the window's shortcuts
 * or its page: which state allows what, and doing it asynchronously with
 * the engine's errors shown as toasts in the HangarWindow around. */

typedef enum {
  HANGAR_MACHINE_ACTION_START,
  HANGAR_MACHINE_ACTION_SHUTDOWN,
  HANGAR_MACHINE_ACTION_FORCE_OFF,
  HANGAR_MACHINE_ACTION_REBOOT,
  HANGAR_MACHINE_ACTION_PAUSE,
  HANGAR_MACHINE_ACTION_RESUME,
  HANGAR_MACHINE_ACTION_DELETE,
  HANGAR_MACHINE_N_ACTIONS
} HangarMachineAction;

/* "start", "shutdown", "force-off", "reboot", "pause", "resume", "delete". */
const char *hangar_machine_action_get_name    (HangarMachineAction  action);
/* Whether a machine in @state (the State property) allows @action. */
gboolean    hangar_machine_action_is_allowed  (HangarMachineAction  action,
                                               const char          *state);
/* Calls the engine; DELETE asks for confirmation first. Errors become a
 * toast in @context's HangarWindow. */
void        hangar_machine_action_run         (HangarMachineAction  action,
                                               HangarMachine       *machine,
                                               GtkWidget           *context);

/* "Running", "Shut Off"... for a State value, translated. */
const char *hangar_machine_state_to_label     (const char          *state);

G_END_DECLS
