/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hangar-connection.h"

G_BEGIN_DECLS

/* The main window: the machine list beside the selected machine, or a page
 * saying the engine is being reached, cannot be reached, or has no
 * machines. Its actions:
 *   win.connection (s)   the engine: "session", "system" (or an address)
 *   win.retry            connect again
 *   win.new-machine      the New Machine assistant
 *   win.search           show the search bar
 *   win.back             back to the list when the window is narrow
 *   win.restore-from-file  a file dialog, then Manager.Restore: the machine
 *                        saved in the file runs again, and is selected
 *   machine.start, machine.shutdown, machine.force-off, machine.reboot,
 *   machine.pause, machine.resume, machine.delete, machine.save-state,
 *   machine.discard-saved-state, machine.save-to-file, machine.clone
 *                        on the selected machine (a row's own menu acts on
 *                        its machine with the same names) */

#define HANGAR_TYPE_WINDOW (hangar_window_get_type ())
G_DECLARE_FINAL_TYPE (HangarWindow, hangar_window, HANGAR, WINDOW, AdwApplicationWindow)

HangarWindow     *hangar_window_new                  (GtkApplication   *application,
                                                      HangarConnection *connection);

HangarConnection *hangar_window_get_connection       (HangarWindow     *self);

/* A toast with the engine's message for @error (a missing engine
 * explained for the current bus); a long one gets a Details button. */
void              hangar_window_show_error           (HangarWindow     *self,
                                                      const GError     *error);
/* The same, saying first what failed: "Could not start “web”". */
void              hangar_window_show_failure         (HangarWindow     *self,
                                                      const char       *what,
                                                      const GError     *error);
/* A toast with @text as it is (not markup). */
void              hangar_window_show_message         (HangarWindow     *self,
                                                      const char       *text);

/* NULL when none is selected. */
HangarMachine    *hangar_window_get_selected_machine (HangarWindow     *self);
/* Selects the machine at @object_path (NULL: none) if the list shows it;
 * returns whether it did. */
gboolean          hangar_window_select_machine       (HangarWindow     *self,
                                                      const char       *object_path);

/* Selects the machine at @object_path, now or once the list shows it (a
 * machine just made), clearing a search that would hide it. */
void              hangar_window_show_machine         (HangarWindow     *self,
                                                      const char       *object_path);

/* Restores the machine saved in @file (Manager.Restore): what
 * win.restore-from-file does once the file is chosen. It is selected when
 * it runs; a failure is a toast. */
void              hangar_window_restore_from_file    (HangarWindow     *self,
                                                      GFile            *file);

/* What the window shows: "connecting", "unreachable", "empty" or "machines". */
const char       *hangar_window_get_page_name        (HangarWindow     *self);

G_END_DECLS
