/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "hangar-application.h"
#include "hangar-serial-console.h"
#include "hangar-test-env.h"
#include "hangar-window.h"

G_BEGIN_DECLS

/* Helpers the GUI tests share: finding widgets in a tree, waiting for the
 * frame clock, rendering a widget into a PNG under the screenshots
 * directory of the build tree, the serial console's terminal, and starting
 * the app against the test's engine. Wait on the main loop with
 * hangar_test_wait_until() (hangar-test-env.h). */

/* The common start of a GUI test's main(): what the GUI tests draw with
 * (cairo on X11, as over `ssh -X`), no accessibility bus, settings in
 * memory, C.UTF-8 and no $LANGUAGE; g_test_init(), gtk_init_check(),
 * adw_init() and no animations (pictures of what is shown, not of a
 * crossfade half way). FALSE when there is no display: then it has logged
 * why and marked the run skipped, GTK is not usable, and the caller runs
 * what needs no display (usually nothing: `return g_test_run ();`). */
gboolean    hangar_test_gui_init          (int                   *argc,
                                           char                ***argv);

typedef gboolean (*HangarTestWidgetMatch) (GtkWidget *widget, gconstpointer data);

/* The first widget under (and including) @root, depth first, @match accepts. */
GtkWidget  *hangar_test_find_widget       (GtkWidget             *root,
                                           HangarTestWidgetMatch  match,
                                           gconstpointer          data);

/* Matches: a widget with the CSS class @css_class (a string). */
gboolean    hangar_test_has_css_class     (GtkWidget             *widget,
                                           gconstpointer          css_class);

/* Matches: a mapped HangarMachineRow of the machine named @name (a string). */
gboolean    hangar_test_is_machine_row_of (GtkWidget             *widget,
                                           gconstpointer          name);

/* Queues a draw of @widget and waits until its frame clock ticked three
 * times; fails the test after @timeout_s seconds. */
void        hangar_test_wait_for_frames   (GtkWidget             *widget,
                                           guint                  timeout_s);

/* @widget as it is drawn now, at its size, by its native's renderer. */
GdkTexture *hangar_test_render_widget     (GtkWidget             *widget);

/* Saves @texture as the PNG @name in $G_TEST_BUILDDIR/screenshots/; logs
 * the path as a test message. */
void        hangar_test_save_texture      (GdkTexture            *texture,
                                           const char            *name);

/* Waits for frames (as above), renders @widget and saves it as the PNG
 * @name in $G_TEST_BUILDDIR/screenshots/; logs the path as a test message. */
void        hangar_test_save_screenshot   (GtkWidget             *widget,
                                           const char            *name,
                                           guint                  timeout_s);

/* Whether the terminal of @console shows @text (anywhere, scrollback too). */
gboolean    hangar_test_serial_console_shows (HangarSerialConsole *console,
                                              const char          *text);

/* Whether a line of the terminal of @console is @line (trailing blanks
 * aside): output, not the echo of a command line or an error quoting it
 * ("sh: OK-42: not found" when the shell lost the "echo " typed first). */
gboolean    hangar_test_serial_console_shows_line (HangarSerialConsole *console,
                                                   const char          *line);

/* Types @command and Return into the terminal of @console, as a person types. */
void        hangar_test_serial_console_type  (HangarSerialConsole *console,
                                              const char          *command);

/* Starts the app against the engine of @env: the test's bus becomes the
 * app's session bus too (its closing is no reason to exit), the app connects
 * to @connect ($HANGAR_CONNECT; NULL: @env's bus), is registered and
 * activated; its window in @window. */
HangarApplication *hangar_test_start_app     (HangarTestEnv        *env,
                                              const char           *connect,
                                              HangarWindow        **window);

G_END_DECLS
