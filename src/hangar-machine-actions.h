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
  HANGAR_MACHINE_ACTION_SAVE_STATE,
  HANGAR_MACHINE_ACTION_DISCARD_SAVED_STATE,
  HANGAR_MACHINE_ACTION_SAVE_TO_FILE,
  HANGAR_MACHINE_ACTION_CLONE,
  HANGAR_MACHINE_N_ACTIONS
} HangarMachineAction;

/* "start", "shutdown", "force-off", "reboot", "pause", "resume", "delete",
 * "save-state" (ManagedSave: the machine stops with its memory kept, State
 * "saved", and Start resumes it), "discard-saved-state" (ManagedSaveRemove,
 * after a confirmation), "save-to-file" (Save, to a file chosen in a file
 * dialog), "clone" (the Clone dialog; the clone is selected in the window
 * once made). */
const char *hangar_machine_action_get_name    (HangarMachineAction  action);
/* Whether a machine in @state (the State property) allows @action. */
gboolean    hangar_machine_action_is_allowed  (HangarMachineAction  action,
                                               const char          *state);
/* Calls the engine; DELETE and DISCARD_SAVED_STATE ask for confirmation
 * first, SAVE_TO_FILE for the file, CLONE opens the Clone dialog. Errors
 * become a toast in @context's HangarWindow. */
void        hangar_machine_action_run         (HangarMachineAction  action,
                                               HangarMachine       *machine,
                                               GtkWidget           *context);

/* Saves @machine's state into @file (Machine.Save): what "save-to-file"
 * does once the file is chosen. The outcome is a toast in @context's
 * HangarWindow. */
void        hangar_machine_action_save_to_file (HangarMachine       *machine,
                                                GFile               *file,
                                                GtkWidget           *context);

/* "Running", "Shut Off"... for a State value, translated. */
const char *hangar_machine_state_to_label     (const char          *state);

G_END_DECLS
