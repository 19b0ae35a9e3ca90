/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-gui"

/* The GUI against the real engine: a private dbus-daemon, the real hangard
 * and real QEMU guests; the window is driven through its actions and
 * checked through its widgets. Runs under Xvfb (meson test --suite gui)
 * and saves a screenshot of each screen in tests/screenshots/ of the build
 * tree. The cases run in order on one engine and one window. */

#include "hangar-application.h"
#include "hangar-machine-actions.h"
#include "hangar-machine-def.h"
#include "hangar-machine-row.h"
#include "hangar-machine-page.h"
#include "hangar-new-machine.h"
#include "hangar-os-info.h"
#include "hangar-sparkline.h"
#include "hangar-test-env.h"
#include "hangar-test-gui.h"
#include "hangar-window.h"

#include <glib/gstdio.h>
#include <signal.h>

#define UI_TIMEOUT_S    20
#define GUEST_TIMEOUT_S 120

static HangarTestEnv     *env;
static HangarApplication *app;
static HangarWindow      *window;

/* ---- Looking at widgets --------------------------------------------------- */

static GtkWidget *
find_row (const char *name)
{
  return hangar_test_find_widget (GTK_WIDGET (window), hangar_test_is_machine_row_of, name);
}

static gboolean
is_sparkline (GtkWidget     *widget,
              gconstpointer  data)
{
  return HANGAR_IS_SPARKLINE (widget);
}

static gboolean
is_label_containing (GtkWidget     *widget,
                     gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) &&
         strstr (gtk_label_get_label (GTK_LABEL (widget)), text) != NULL;
}

static const char *
row_badge (const char *name)
{
  GtkWidget *row = find_row (name);
  GtkWidget *badge = row ? hangar_test_find_widget (row, hangar_test_has_css_class, "badge") : NULL;

  return badge ? gtk_label_get_label (GTK_LABEL (badge)) : NULL;
}

/* ---- Waiting -------------------------------------------------------------- */

static gboolean
page_is (gpointer data)
{
  return g_strcmp0 (hangar_window_get_page_name (window), data) == 0;
}

static void
wait_for_page (const char *page)
{
  if (!hangar_test_wait_until (page_is, (gpointer) page, UI_TIMEOUT_S))
    g_error ("the window shows “%s”, not “%s”", hangar_window_get_page_name (window), page);
}

static gboolean
row_shown (gpointer name)
{
  return find_row (name) != NULL;
}

static gboolean
row_gone (gpointer name)
{
  return find_row (name) == NULL;
}

typedef struct {
  const char *name;
  const char *badge;
} BadgeWait;

static gboolean
badge_is (gpointer data)
{
  BadgeWait *wait = data;

  return g_strcmp0 (row_badge (wait->name), wait->badge) == 0;
}

static void
wait_for_badge (const char *name,
                const char *badge)
{
  BadgeWait wait = { name, badge };

  if (!hangar_test_wait_until (badge_is, &wait, UI_TIMEOUT_S))
    g_error ("the row of %s says “%s”, not “%s”", name, row_badge (name), badge);
}

static gboolean
sparkline_has_values (gpointer name)
{
  GtkWidget *row = find_row (name);
  GtkWidget *sparkline = row ? hangar_test_find_widget (row, is_sparkline, NULL) : NULL;

  return sparkline != NULL && hangar_sparkline_get_n_values (HANGAR_SPARKLINE (sparkline)) >= 2;
}

static gboolean
text_shown (gpointer text)
{
  GList *toplevels = gtk_window_list_toplevels ();
  gboolean found = FALSE;

  for (GList *l = toplevels; l != NULL && !found; l = l->next)
    found = hangar_test_find_widget (l->data, is_label_containing, text) != NULL;
  g_list_free (toplevels);
  return found;
}

/* A few frames, so what changed is laid out and drawn. */
static void
wait_for_frames (GtkWidget *widget)
{
  hangar_test_wait_for_frames (widget, UI_TIMEOUT_S);
}

/* ---- Screenshots ---------------------------------------------------------- */

static void
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  hangar_test_save_screenshot (widget, name, UI_TIMEOUT_S);
}

/* ---- The cases ------------------------------------------------------------ */

static void
test_action_rules (void)
{
  g_assert_true (hangar_machine_action_is_allowed (HANGAR_MACHINE_ACTION_START, "shutoff"));
  g_assert_true (hangar_machine_action_is_allowed (HANGAR_MACHINE_ACTION_START, "crashed"));
  g_assert_false (hangar_machine_action_is_allowed (HANGAR_MACHINE_ACTION_START, "running"));
  g_assert_true (hangar_machine_action_is_allowed (HANGAR_MACHINE_ACTION_SHUTDOWN, "running"));
  g_assert_false (hangar_machine_action_is_allowed (HANGAR_MACHINE_ACTION_SHUTDOWN, "paused"));
  g_assert_true (hangar_machine_action_is_allowed (HANGAR_MACHINE_ACTION_FORCE_OFF, "paused"));
  g_assert_false (hangar_machine_action_is_allowed (HANGAR_MACHINE_ACTION_FORCE_OFF, "shutoff"));
  g_assert_true (hangar_machine_action_is_allowed (HANGAR_MACHINE_ACTION_PAUSE, "running"));
  g_assert_false (hangar_machine_action_is_allowed (HANGAR_MACHINE_ACTION_PAUSE, "paused"));
  g_assert_true (hangar_machine_action_is_allowed (HANGAR_MACHINE_ACTION_RESUME, "paused"));
  g_assert_false (hangar_machine_action_is_allowed (HANGAR_MACHINE_ACTION_DELETE, "running"));
  g_assert_false (hangar_machine_action_is_allowed (HANGAR_MACHINE_ACTION_DELETE, "paused"));
  g_assert_true (hangar_machine_action_is_allowed (HANGAR_MACHINE_ACTION_DELETE, "shutoff"));
  g_assert_false (hangar_machine_action_is_allowed (HANGAR_MACHINE_ACTION_DELETE, NULL));
}

static void
test_empty (void)
{
  wait_for_page ("empty");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  save_screenshot (GTK_WIDGET (window), "empty.png");
}

static void
test_machine_appears (void)
{
  g_autofree char *xml = hangar_test_guest_xml ("alpha", NULL);
  g_autoptr(HangarMachine) machine = hangar_test_env_define (env, xml);
  GtkWidget *row;

  wait_for_page ("machines");
  g_assert_true (hangar_test_wait_until (row_shown, "alpha", UI_TIMEOUT_S));
  row = find_row ("alpha");
  g_assert_true (hangar_test_find_widget (row, is_label_containing, "Shut Off · 1 vCPU · 128 MiB") != NULL);
  g_assert_cmpstr (row_badge ("alpha"), ==, "Shut Off");
  g_assert_null (hangar_window_get_selected_machine (window));
  save_screenshot (GTK_WIDGET (window), "machine-defined.png");
}

static void
test_state_change_shows (void)
{
  g_autoptr(HangarMachine) machine = hangar_test_env_lookup (env, "alpha");
  g_autoptr(GError) error = NULL;

  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);

  wait_for_badge ("alpha", "Running");
  g_assert_true (text_shown ("Running · 1 vCPU · 128 MiB"));
  /* The row polls GetStats while shown and running. */
  g_assert_true (hangar_test_wait_until (sparkline_has_values, "alpha", UI_TIMEOUT_S));

  g_assert_true (hangar_window_select_machine (window, g_dbus_proxy_get_object_path (G_DBUS_PROXY (machine))));
  g_assert_nonnull (hangar_window_get_selected_machine (window));
  g_assert_cmpstr (hangar_machine_get_name (hangar_window_get_selected_machine (window)), ==, "alpha");
  save_screenshot (GTK_WIDGET (window), "machine-running.png");
}

static gboolean
is_menu_button (GtkWidget     *widget,
                gconstpointer  data)
{
  return GTK_IS_MENU_BUTTON (widget);
}

static gboolean
widget_mapped (gpointer widget)
{
  return gtk_widget_get_mapped (widget);
}

/* The row's menu, as its ⋮ button or a right click opens it. */
static void
check_row_menu (const char *name)
{
  GtkMenuButton *button = GTK_MENU_BUTTON (hangar_test_find_widget (find_row (name), is_menu_button, NULL));
  GtkPopover *popover = gtk_menu_button_get_popover (button);

  gtk_menu_button_popup (button);
  g_assert_true (hangar_test_wait_until (widget_mapped, popover, UI_TIMEOUT_S));
  g_assert_nonnull (hangar_test_find_widget (GTK_WIDGET (popover), is_label_containing, "Force Off"));
  save_screenshot (GTK_WIDGET (popover), "row-menu.png");
  gtk_menu_button_popdown (button);
}

static void
test_row_actions (void)
{
  g_autoptr(HangarMachine) machine = hangar_test_env_lookup (env, "alpha");
  GtkWidget *row = find_row ("alpha");

  g_assert_nonnull (row);
  g_assert_true (gtk_widget_activate_action (row, "machine.force-off", NULL));
  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", GUEST_TIMEOUT_S));
  wait_for_badge ("alpha", "Shut Off");

  g_assert_true (gtk_widget_activate_action (find_row ("alpha"), "machine.start", NULL));
  g_assert_true (hangar_test_wait_for_state (machine, "running", GUEST_TIMEOUT_S));
  wait_for_badge ("alpha", "Running");

  check_row_menu ("alpha");

  g_assert_true (gtk_widget_activate_action (find_row ("alpha"), "machine.pause", NULL));
  g_assert_true (hangar_test_wait_for_state (machine, "paused", GUEST_TIMEOUT_S));
  wait_for_badge ("alpha", "Paused");
  save_screenshot (GTK_WIDGET (window), "machine-paused.png");

  g_assert_true (gtk_widget_activate_action (find_row ("alpha"), "machine.resume", NULL));
  g_assert_true (hangar_test_wait_for_state (machine, "running", GUEST_TIMEOUT_S));

  /* The window's own machine.* actions act on the selected machine. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "machine.force-off", NULL));
  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", GUEST_TIMEOUT_S));
  wait_for_badge ("alpha", "Shut Off");
}

static GtkWindow *
find_dialog (void)
{
  GList *toplevels = gtk_window_list_toplevels ();
  GtkWindow *dialog = NULL;

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data) && gtk_widget_get_visible (l->data))
      dialog = l->data;
  g_list_free (toplevels);
  return dialog;
}

static gboolean
dialog_shown (gpointer data)
{
  return find_dialog () != NULL;
}

static gboolean
dialog_gone (gpointer data)
{
  return find_dialog () == NULL;
}

static gboolean
is_details_button (GtkWidget     *widget,
                   gconstpointer  data)
{
  return GTK_IS_BUTTON (widget) && gtk_widget_get_mapped (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), "win.error-details") == 0;
}

static void
test_engine_error_toast (void)
{
  g_autoptr(HangarMachine) machine = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *good = hangar_test_guest_xml ("broken", NULL);
  g_autoptr(GString) bad = g_string_new (good);
  GtkWidget *details;
  GtkWindow *dialog;

  /* A kernel that is not there: QEMU refuses to start, the engine says so. */
  g_string_replace (bad, hangar_test_guest_kernel (), "/nonexistent/vmlinuz", 1);
  machine = hangar_test_env_define (env, bad->str);
  g_assert_true (hangar_test_wait_until (row_shown, "broken", UI_TIMEOUT_S));

  g_assert_true (gtk_widget_activate_action (find_row ("broken"), "machine.start", NULL));
  if (!hangar_test_wait_until (text_shown, "Could not start “broken”: QEMU failed", GUEST_TIMEOUT_S))
    g_error ("no toast for the failed start");
  save_screenshot (GTK_WIDGET (window), "error-toast.png");

  /* QEMU's message is long: Details shows all of it. */
  details = hangar_test_find_widget (GTK_WIDGET (window), is_details_button, NULL);
  g_assert_nonnull (details);
  gtk_widget_activate (details);
  g_assert_true (hangar_test_wait_until (dialog_shown, NULL, UI_TIMEOUT_S));
  g_assert_true (text_shown ("could not open kernel file"));
  dialog = find_dialog ();
  save_screenshot (GTK_WIDGET (dialog), "error-details.png");
  /* As a click on its button: the response, then closing. */
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_window_close (dialog);
}

static void
test_delete_from_row (void)
{
  GtkWindow *dialog;

  g_assert_true (hangar_test_wait_until (row_shown, "broken", UI_TIMEOUT_S));
  g_assert_true (hangar_test_wait_until (dialog_gone, NULL, UI_TIMEOUT_S));
  g_assert_true (gtk_widget_activate_action (find_row ("broken"), "machine.delete", NULL));
  g_assert_true (hangar_test_wait_until (dialog_shown, NULL, UI_TIMEOUT_S));
  dialog = find_dialog ();
  save_screenshot (GTK_WIDGET (dialog), "delete-dialog.png");

  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "delete");
  gtk_window_close (dialog);
  g_assert_true (hangar_test_wait_until (row_gone, "broken", UI_TIMEOUT_S));
  g_assert_true (hangar_test_wait_until (row_shown, "alpha", UI_TIMEOUT_S));
}

static gboolean
is_check_button (GtkWidget     *widget,
                 gconstpointer  data)
{
  return GTK_IS_CHECK_BUTTON (widget);
}

static gboolean
file_gone (gpointer path)
{
  return !g_file_test (path, G_FILE_TEST_EXISTS);
}

/* A shut off machine with a qcow2 file disk and an ISO as CD-ROM. */
static char *
define_with_disk (const char *name)
{
  g_autofree char *disk = g_strdup_printf ("%s/%s.qcow2", env->tmpdir, name);
  g_autofree char *iso = g_strdup_printf ("%s/%s.iso", env->tmpdir, name);
  g_autofree char *base = hangar_test_guest_xml (name, NULL);
  g_autofree char *with_disk = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL };
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_true (g_file_set_contents (iso, "not really an ISO", -1, NULL));

  with_disk = hangar_machine_def_add_disk (base, disk, "disk", "qcow2", "virtio", &error);
  g_assert_no_error (error);
  xml = hangar_machine_def_add_disk (with_disk, iso, "cdrom", "raw", "sata", &error);
  g_assert_no_error (error);
  machine = hangar_test_env_define (env, xml);
  g_assert_true (hangar_test_wait_until (row_shown, (gpointer) name, UI_TIMEOUT_S));
  return g_steal_pointer (&disk);
}

static AdwMessageDialog *
open_delete_dialog (const char *name)
{
  g_assert_true (hangar_test_wait_until (dialog_gone, NULL, UI_TIMEOUT_S));
  g_assert_true (gtk_widget_activate_action (find_row (name), "machine.delete", NULL));
  g_assert_true (hangar_test_wait_until (dialog_shown, NULL, UI_TIMEOUT_S));
  return ADW_MESSAGE_DIALOG (find_dialog ());
}

/* "Also delete its disks": the disk file goes with the machine, the ISO
 * stays; unchecked (the default) both stay. */
static void
test_delete_with_disks (void)
{
  g_autofree char *gamma_disk = define_with_disk ("gamma");
  g_autofree char *delta_disk = define_with_disk ("delta");
  g_autofree char *gamma_iso = g_strdup_printf ("%s/gamma.iso", env->tmpdir);
  AdwMessageDialog *dialog;
  GtkCheckButton *check;

  dialog = open_delete_dialog ("gamma");
  check = GTK_CHECK_BUTTON (hangar_test_find_widget (GTK_WIDGET (dialog), is_check_button, NULL));
  g_assert_nonnull (check);
  g_assert_false (gtk_check_button_get_active (check));
  g_assert_false (text_shown (gamma_disk));
  gtk_check_button_set_active (check, TRUE);
  /* The list comes from GetXml: the disk, not the CD-ROM. */
  if (!hangar_test_wait_until (text_shown, gamma_disk, UI_TIMEOUT_S))
    g_error ("the dialog does not list %s", gamma_disk);
  g_assert_false (text_shown (gamma_iso));
  save_screenshot (GTK_WIDGET (dialog), "delete-dialog-disks.png");

  adw_message_dialog_response (dialog, "delete");
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_true (hangar_test_wait_until (row_gone, "gamma", UI_TIMEOUT_S));
  g_assert_true (hangar_test_wait_until (file_gone, gamma_disk, UI_TIMEOUT_S));
  g_assert_true (g_file_test (gamma_iso, G_FILE_TEST_EXISTS));

  dialog = open_delete_dialog ("delta");
  check = GTK_CHECK_BUTTON (hangar_test_find_widget (GTK_WIDGET (dialog), is_check_button, NULL));
  g_assert_false (gtk_check_button_get_active (check));
  adw_message_dialog_response (dialog, "delete");
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_true (hangar_test_wait_until (row_gone, "delta", UI_TIMEOUT_S));
  g_assert_true (g_file_test (delta_disk, G_FILE_TEST_EXISTS));
  g_assert_true (hangar_test_wait_until (row_shown, "alpha", UI_TIMEOUT_S));
}

/* The machine list, not a list inside a drop-down of the machine page. */
static gboolean
is_machine_list (GtkWidget     *widget,
                 gconstpointer  data)
{
  return GTK_IS_LIST_VIEW (widget) && gtk_widget_has_css_class (widget, "machine-list");
}

static gboolean
is_search_entry (GtkWidget     *widget,
                 gconstpointer  data)
{
  /* The list's, not one inside a drop-down of the machine page. */
  return GTK_IS_SEARCH_ENTRY (widget) && gtk_widget_get_ancestor (widget, GTK_TYPE_SEARCH_BAR) != NULL;
}

static gboolean
only_row (gpointer name)
{
  return find_row (name) != NULL && find_row ("alpha") == NULL;
}

static void
test_search (void)
{
  g_autofree char *xml = hangar_test_guest_xml ("beta", NULL);
  g_autoptr(HangarMachine) beta = hangar_test_env_define (env, xml);
  GtkEditable *entry;

  g_assert_true (hangar_test_wait_until (row_shown, "beta", UI_TIMEOUT_S));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL));
  entry = GTK_EDITABLE (hangar_test_find_widget (GTK_WIDGET (window), is_search_entry, NULL));
  g_assert_nonnull (entry);

  gtk_editable_set_text (entry, "BET");
  g_assert_true (hangar_test_wait_until (only_row, "beta", UI_TIMEOUT_S));
  save_screenshot (GTK_WIDGET (window), "search.png");

  gtk_editable_set_text (entry, "no such machine");
  g_assert_true (hangar_test_wait_until (text_shown, "No Results Found", UI_TIMEOUT_S));

  gtk_editable_set_text (entry, "");
  gtk_search_bar_set_search_mode (GTK_SEARCH_BAR (gtk_widget_get_ancestor (GTK_WIDGET (entry), GTK_TYPE_SEARCH_BAR)),
                                  FALSE);
  g_assert_true (hangar_test_wait_until (row_shown, "alpha", UI_TIMEOUT_S));
  g_assert_true (hangar_test_wait_until (row_shown, "beta", UI_TIMEOUT_S));
}

static void
test_undefine_removes_row (void)
{
  g_autoptr(HangarMachine) beta = hangar_test_env_lookup (env, "beta");
  g_autoptr(GError) error = NULL;

  hangar_machine_call_undefine_sync (beta, g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0),
                                     NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_until (row_gone, "beta", UI_TIMEOUT_S));
  g_assert_true (find_row ("alpha") != NULL);
  save_screenshot (GTK_WIDGET (window), "machines.png");
}

static gboolean
is_leaflet (GtkWidget     *widget,
            gconstpointer  data)
{
  return ADW_IS_LEAFLET (widget);
}

static gboolean
showing_machine_page (gpointer data)
{
  AdwLeaflet *leaflet = data;

  return adw_leaflet_get_folded (leaflet) && find_row ("alpha") == NULL &&
         text_shown ("Overview");
}

/* A narrow window (a phone, a small ssh -X window): one pane at a time.
 * GTK does not resize a shown window on request: a second window, narrow
 * from the start, on the same connection. */
static void
test_narrow_window (void)
{
  HangarWindow *wide = window;
  g_autoptr(HangarMachine) alpha = hangar_test_env_lookup (env, "alpha");
  AdwLeaflet *leaflet;

  window = hangar_window_new (GTK_APPLICATION (app), hangar_application_get_connection (app));
  gtk_window_set_default_size (GTK_WINDOW (window), 400, 640);
  gtk_window_present (GTK_WINDOW (window));
  leaflet = ADW_LEAFLET (hangar_test_find_widget (GTK_WIDGET (window), is_leaflet, NULL));

  g_assert_true (hangar_test_wait_until (row_shown, "alpha", UI_TIMEOUT_S));
  g_assert_null (hangar_window_get_selected_machine (window));
  save_screenshot (GTK_WIDGET (window), "narrow-list.png");
  g_assert_true (adw_leaflet_get_folded (leaflet));

  g_assert_true (hangar_window_select_machine (window, g_dbus_proxy_get_object_path (G_DBUS_PROXY (alpha))));
  g_signal_emit_by_name (hangar_test_find_widget (GTK_WIDGET (window), is_machine_list, NULL), "activate", 0);
  g_assert_true (hangar_test_wait_until (showing_machine_page, leaflet, UI_TIMEOUT_S));
  save_screenshot (GTK_WIDGET (window), "narrow-machine.png");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.back", NULL));
  g_assert_true (hangar_test_wait_until (row_shown, "alpha", UI_TIMEOUT_S));

  gtk_window_destroy (GTK_WINDOW (window));
  window = wide;
}

static gboolean
unreachable_says (gpointer text)
{
  return page_is ("unreachable") && text_shown (text);
}

static void
test_engine_gone_and_back (void)
{
  hangar_test_env_kill_engine (env, SIGTERM);
  if (!hangar_test_wait_until (unreachable_says, "hangard --bus-address", UI_TIMEOUT_S))
    g_error ("no unreachable page naming the command after the engine left");
  save_screenshot (GTK_WIDGET (window), "unreachable.png");

  /* Retry without an engine: unreachable again. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.retry", NULL));
  wait_for_page ("unreachable");

  hangar_test_env_start_engine (env);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.retry", NULL));
  wait_for_page ("machines");
  g_assert_true (hangar_test_wait_until (row_shown, "alpha", UI_TIMEOUT_S));
}

static void
test_engine_back_by_itself (void)
{
  /* The engine comes back without Retry: the window notices. */
  hangar_test_env_kill_engine (env, SIGTERM);
  wait_for_page ("unreachable");
  hangar_test_env_start_engine (env);
  wait_for_page ("machines");
  g_assert_true (hangar_test_wait_until (row_shown, "alpha", UI_TIMEOUT_S));
}

/* The connection switcher: the choice is remembered, and the window follows. */
static void
test_switch_connection (void)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.hangarvm.Hangar");
  g_autofree char *saved = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.connection", "s", "system"));
  /* No engine on this machine's system bus (or no system bus at all). */
  wait_for_page ("unreachable");
  saved = g_settings_get_string (settings, "connection");
  g_assert_cmpstr (saved, ==, "system");
  g_assert_true (text_shown ("This computer (system)"));
  save_screenshot (GTK_WIDGET (window), "unreachable-system.png");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.connection", "s", env->bus_address));
  wait_for_page ("machines");
  g_assert_true (hangar_test_wait_until (row_shown, "alpha", UI_TIMEOUT_S));
}

static gboolean
is_new_machine (GtkWidget     *widget,
                gconstpointer  data)
{
  return HANGAR_IS_NEW_MACHINE (widget);
}

static gboolean
new_machine_shown (gpointer data)
{
  GList *toplevels = gtk_window_list_toplevels ();
  gboolean found = FALSE;

  for (GList *l = toplevels; l != NULL; l = l->next)
    found = found || (is_new_machine (l->data, NULL) && gtk_widget_get_mapped (l->data));
  g_list_free (toplevels);
  return found;
}

static HangarNewMachine *
find_new_machine (void)
{
  GList *toplevels = gtk_window_list_toplevels ();
  HangarNewMachine *found = NULL;

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (is_new_machine (l->data, NULL) && gtk_widget_get_mapped (l->data))
      found = l->data;
  g_list_free (toplevels);
  return found;
}

/* "+" opens the assistant; what it creates gets selected. */
static void
test_new_machine_opens (void)
{
  g_autoptr(HangarMachine) alpha = hangar_test_env_lookup (env, "alpha");
  HangarNewMachine *assistant;

  hangar_window_select_machine (window, NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.new-machine", NULL));
  g_assert_true (hangar_test_wait_until (new_machine_shown, NULL, UI_TIMEOUT_S));
  assistant = find_new_machine ();
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (assistant)) == GTK_WINDOW (window));

  g_signal_emit_by_name (assistant, "created", g_dbus_proxy_get_object_path (G_DBUS_PROXY (alpha)));
  g_assert_nonnull (hangar_window_get_selected_machine (window));
  g_assert_cmpstr (hangar_machine_get_name (hangar_window_get_selected_machine (window)), ==, "alpha");
  gtk_window_destroy (GTK_WINDOW (assistant));
}

/* ---- OS icons and customizing before install ------------------------------ */

/* The test guest with a system in its libosinfo metadata, as the assistant
 * writes it. */
static HangarMachine *
define_with_os (const char *name,
                const char *os_id)
{
  g_autofree char *base = hangar_test_guest_xml (name, NULL);
  g_autofree char *escaped_name = g_markup_escape_text (name, -1);
  g_autofree char *old = g_strdup_printf ("<name>%s</name>", escaped_name);
  g_autofree char *metadata = g_strdup_printf (
    "%s\n  <metadata>\n"
    "    <libosinfo:libosinfo xmlns:libosinfo=\"http://libosinfo.org/xmlns/libvirt/domain/1.0\">\n"
    "      <libosinfo:os id=\"%s\"/>\n"
    "    </libosinfo:libosinfo>\n"
    "  </metadata>", old, os_id);
  g_auto(GStrv) parts = g_strsplit (base, old, 2);
  g_autofree char *xml = NULL;

  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  xml = g_strjoin (metadata, parts[0], parts[1], NULL);
  return hangar_test_env_define (env, xml);
}

static const char *
row_icon (const char *name)
{
  GtkWidget *row = find_row (name);
  GObject *icon = row ? gtk_widget_get_template_child (row, HANGAR_TYPE_MACHINE_ROW, "icon") : NULL;

  return icon ? gtk_image_get_icon_name (GTK_IMAGE (icon)) : NULL;
}

typedef struct {
  const char *name;
  const char *icon;
} IconWait;

static gboolean
row_icon_is (gpointer data)
{
  IconWait *wait = data;

  return g_strcmp0 (row_icon (wait->name), wait->icon) == 0;
}

static void
wait_for_row_icon (const char *name,
                   const char *icon)
{
  IconWait wait = { name, icon };

  if (!hangar_test_wait_until (row_icon_is, &wait, UI_TIMEOUT_S))
    g_error ("the row of %s shows %s, not %s", name, row_icon (name), icon);
}

/* Each row shows its system's family, from its definition's libosinfo ID;
 * a machine without one the "unknown" icon. */
static void
test_row_os_icons (void)
{
  g_autoptr(HangarMachine) debian = define_with_os ("deb", "http://debian.org/debian/11");
  g_autoptr(HangarMachine) windows = define_with_os ("win", "http://microsoft.com/win/10");
  g_autoptr(HangarMachine) bsd = define_with_os ("bsd", "http://freebsd.org/freebsd/13.1");
  GtkWidget *row;

  hangar_window_select_machine (window, NULL);
  g_assert_true (hangar_test_wait_until (row_shown, "deb", UI_TIMEOUT_S));
  wait_for_row_icon ("deb", HANGAR_OS_ICON_LINUX);
  wait_for_row_icon ("win", HANGAR_OS_ICON_WINDOWS);
  wait_for_row_icon ("bsd", HANGAR_OS_ICON_BSD);
  wait_for_row_icon ("alpha", HANGAR_OS_ICON_UNKNOWN);

  /* The system's name on the icon. */
  row = find_row ("deb");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (gtk_widget_get_template_child (row, HANGAR_TYPE_MACHINE_ROW,
                                                                                           "icon"))),
                   ==, "Debian 11");
  save_screenshot (GTK_WIDGET (window), "row-os-icons.png");
}

#define NEW_MACHINE_CHILD(assistant, name) \
  ((gpointer) gtk_widget_get_template_child (GTK_WIDGET (assistant), HANGAR_TYPE_NEW_MACHINE, name))
#define PAGE_CHILD(page, name) \
  ((gpointer) gtk_widget_get_template_child (GTK_WIDGET (page), HANGAR_TYPE_MACHINE_PAGE, name))

static gboolean
assistant_idle (gpointer data)
{
  return !hangar_new_machine_get_busy (data);
}

static void
assistant_next (HangarNewMachine *assistant)
{
  g_assert_true (hangar_test_wait_until (assistant_idle, assistant, UI_TIMEOUT_S));
  g_assert_true (gtk_widget_get_sensitive (NEW_MACHINE_CHILD (assistant, "next_button")));
  gtk_widget_activate_action (GTK_WIDGET (assistant), "assistant.next", NULL);
  wait_for_frames (GTK_WIDGET (assistant));
}

static gboolean
widget_sensitive_now (gpointer widget)
{
  return gtk_widget_is_sensitive (widget);
}

static gboolean
is_begin_install (GtkWidget     *widget,
                  gconstpointer  data)
{
  return GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), "machine.begin-install") == 0;
}

static gboolean
machine_selected (gpointer name)
{
  HangarMachine *selected = hangar_window_get_selected_machine (window);

  return selected != NULL && g_strcmp0 (hangar_machine_get_name (selected), name) == 0;
}

static gboolean
install_bar_shown (gpointer page)
{
  return gtk_revealer_get_reveal_child (PAGE_CHILD (page, "install_revealer"));
}

static gboolean
install_bar_hidden (gpointer page)
{
  return !install_bar_shown (page);
}

/* "Customize before install": Create defines the machine without starting
 * it, selects it with its Hardware view open and a "Begin Installation"
 * bar, which starts it. */
static void
test_customize_before_install (void)
{
  HangarMachinePage *page = HANGAR_MACHINE_PAGE (gtk_widget_get_template_child (GTK_WIDGET (window),
                                                                                HANGAR_TYPE_WINDOW,
                                                                                "machine_page"));
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(GError) error = NULL;
  HangarNewMachine *assistant;

  hangar_window_select_machine (window, NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.new-machine", NULL));
  g_assert_true (hangar_test_wait_until (new_machine_shown, NULL, UI_TIMEOUT_S));
  assistant = find_new_machine ();
  g_assert_true (hangar_test_wait_until (assistant_idle, assistant, UI_TIMEOUT_S));

  /* The test guest's kernel, no disk, little memory. */
  gtk_check_button_set_active (NEW_MACHINE_CHILD (assistant, "kernel_check"), TRUE);
  gtk_editable_set_text (NEW_MACHINE_CHILD (assistant, "kernel_entry"), hangar_test_guest_kernel ());
  gtk_editable_set_text (NEW_MACHINE_CHILD (assistant, "initrd_entry"), hangar_test_guest_initrd ());
  assistant_next (assistant);
  assistant_next (assistant);
  gtk_spin_button_set_value (NEW_MACHINE_CHILD (assistant, "memory_spin"), 256);
  gtk_spin_button_set_value (NEW_MACHINE_CHILD (assistant, "cpus_spin"), 1);
  assistant_next (assistant);
  gtk_switch_set_active (NEW_MACHINE_CHILD (assistant, "disk_switch"), FALSE);
  assistant_next (assistant);
  gtk_editable_set_text (NEW_MACHINE_CHILD (assistant, "name_entry"), "custom");
  assistant_next (assistant);

  gtk_check_button_set_active (NEW_MACHINE_CHILD (assistant, "customize_check"), TRUE);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (NEW_MACHINE_CHILD (assistant, "create_button")), ==,
                   "Create the machine and open its hardware settings");
  save_screenshot (GTK_WIDGET (assistant), "new-machine-customize.png");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (assistant), "assistant.create", NULL));

  /* Defined, selected, shown with its hardware: not started. */
  g_assert_true (hangar_test_wait_until (machine_selected, "custom", UI_TIMEOUT_S));
  machine = hangar_test_env_lookup (env, "custom");
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "shutoff");
  g_assert_false (new_machine_shown (NULL));
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (PAGE_CHILD (page, "stack")), ==, "hardware");
  g_assert_true (install_bar_shown (page));
  /* Once its definition is read, as the rest of the view. */
  g_assert_true (hangar_test_wait_until (widget_sensitive_now,
                                         hangar_test_find_widget (PAGE_CHILD (page, "install_revealer"), is_begin_install, NULL),
                                         UI_TIMEOUT_S));
  save_screenshot (GTK_WIDGET (window), "customize-before-install.png");

  /* Another machine and back: the bar stays with it until it starts. */
  g_assert_true (hangar_window_select_machine (window, NULL));
  g_assert_true (hangar_window_select_machine (window, g_dbus_proxy_get_object_path (G_DBUS_PROXY (machine))));
  g_assert_true (install_bar_shown (page));

  /* Begin Installation starts it. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "machine.begin-install", NULL));
  g_assert_true (hangar_test_wait_for_state (machine, "running", GUEST_TIMEOUT_S));
  g_assert_true (hangar_test_wait_until (install_bar_hidden, page, UI_TIMEOUT_S));
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (PAGE_CHILD (page, "stack")), !=, "hardware");
  g_assert_true (hangar_test_wait_for_console (machine, "HANGAR-GUEST-BOOTED", GUEST_TIMEOUT_S));

  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", UI_TIMEOUT_S));
  /* Started once: no bar again. */
  g_assert_false (install_bar_shown (page));
}

static GtkWindow *
find_toplevel (GType type)
{
  GList *toplevels = gtk_window_list_toplevels ();
  GtkWindow *found = NULL;

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type) && gtk_widget_get_mapped (l->data))
      found = l->data;
  g_list_free (toplevels);
  return found;
}

static gboolean
toplevel_shown (gpointer type)
{
  return find_toplevel (GPOINTER_TO_SIZE (type)) != NULL;
}

static void
check_window_opens (const char *action,
                    GType       type,
                    const char *screenshot)
{
  GtkWindow *opened;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), action, NULL));
  g_assert_true (hangar_test_wait_until (toplevel_shown, GSIZE_TO_POINTER (type), UI_TIMEOUT_S));
  opened = find_toplevel (type);
  save_screenshot (GTK_WIDGET (opened), screenshot);
  gtk_window_close (opened);
}

/* The main menu's windows. */
static void
test_menu_windows (void)
{
  check_window_opens ("app.about", ADW_TYPE_ABOUT_WINDOW, "about.png");
  check_window_opens ("win.show-help-overlay", GTK_TYPE_SHORTCUTS_WINDOW, "shortcuts.png");
}

/* ---- Setup ---------------------------------------------------------------- */

static void
start_app (void)
{
  /* The app's own session bus is the test bus too: nothing outside the
   * test is touched, and the bus going away at the end is no reason to quit. */
  app = hangar_test_start_app (env, NULL, &window);
  g_assert_true (hangar_window_get_connection (window) == hangar_application_get_connection (app));
}

int
main (int    argc,
      char **argv)
{
  int status;

  if (!hangar_test_gui_init (&argc, &argv))
    return g_test_run ();

  g_test_add_func ("/gui/action-rules", test_action_rules);
  g_test_add_func ("/gui/empty", test_empty);
  g_test_add_func ("/gui/menu-windows", test_menu_windows);
  g_test_add_func ("/gui/machine-appears", test_machine_appears);
  g_test_add_func ("/gui/state-change-shows", test_state_change_shows);
  g_test_add_func ("/gui/row-actions", test_row_actions);
  g_test_add_func ("/gui/search", test_search);
  g_test_add_func ("/gui/undefine-removes-row", test_undefine_removes_row);
  g_test_add_func ("/gui/narrow-window", test_narrow_window);
  g_test_add_func ("/gui/engine-gone-and-back", test_engine_gone_and_back);
  g_test_add_func ("/gui/engine-back-by-itself", test_engine_back_by_itself);
  g_test_add_func ("/gui/switch-connection", test_switch_connection);
  g_test_add_func ("/gui/new-machine-opens", test_new_machine_opens);
  g_test_add_func ("/gui/engine-error-toast", test_engine_error_toast);
  g_test_add_func ("/gui/delete-from-row", test_delete_from_row);
  g_test_add_func ("/gui/delete-with-disks", test_delete_with_disks);
  g_test_add_func ("/gui/row-os-icons", test_row_os_icons);
  g_test_add_func ("/gui/customize-before-install", test_customize_before_install);

  env = hangar_test_env_new (FALSE);
  start_app ();

  status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&app);
  hangar_test_env_free (env);
  return status;
}
