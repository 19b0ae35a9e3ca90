/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-machine-ops"

/* Day-2 operations in the real app against the real engine (a private
 * dbus-daemon, the real hangard, the busybox guest under QEMU on a qcow2
 * disk of the default pool): Save State (the row and the page say "Saved",
 * Start resumes the guest where it was: what it had in memory is still
 * there), Discard Saved State, Save to File and Restore from File, the
 * Clone dialog (its name check, progress to completion, the clone selected;
 * Cancel leaving nothing), and the Snapshots view (create, the tree, revert,
 * delete with children). Runs under Xvfb (meson test --suite gui) and saves
 * screenshots in tests/screenshots/ of the build tree. The cases run in
 * order on one engine and one window. */

#include <adwaita.h>
#include <glib/gstdio.h>

#include "hangar-add-disk-dialog.h"
#include "hangar-application.h"
#include "hangar-clone-dialog.h"
#include "hangar-machine-actions.h"
#include "hangar-machine-page.h"
#include "hangar-machine-row.h"
#include "hangar-serial-console.h"
#include "hangar-snapshots-view.h"
#include "hangar-test-env.h"
#include "hangar-test-gui.h"
#include "hangar-window.h"

#define UI_TIMEOUT_S     30
#define GUEST_TIMEOUT_S  180
#define SHELL_RETRY_S    10
#define BOOT_MARKER      "HANGAR-GUEST-BOOTED"
#define MACHINE_NAME     "ops"

static HangarTestEnv     *env;
static HangarApplication *app;
static HangarWindow      *window;
static HangarMachine     *machine;
static GString           *page_errors;   /* what the machine page emitted */

/* ---- Looking at widgets --------------------------------------------------- */

static gboolean
has_name (GtkWidget     *widget,
          gconstpointer  name)
{
  return g_strcmp0 (gtk_widget_get_name (widget), name) == 0;
}

static gboolean
has_action (GtkWidget     *widget,
            gconstpointer  action)
{
  return GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0;
}

static gboolean
has_tooltip (GtkWidget     *widget,
             gconstpointer  text)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_widget_get_tooltip_text (widget), text) == 0;
}

static gboolean
is_label_containing (GtkWidget     *widget,
                     gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) &&
         strstr (gtk_label_get_label (GTK_LABEL (widget)), text) != NULL;
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

static const char *
row_badge (const char *name)
{
  GtkWidget *row = hangar_test_find_widget (GTK_WIDGET (window), hangar_test_is_machine_row_of, name);
  GtkWidget *badge = row ? hangar_test_find_widget (row, hangar_test_has_css_class, "badge") : NULL;

  return badge ? gtk_label_get_label (GTK_LABEL (badge)) : NULL;
}

static HangarMachinePage *
machine_page (void)
{
  return HANGAR_MACHINE_PAGE (gtk_widget_get_template_child (GTK_WIDGET (window), HANGAR_TYPE_WINDOW,
                                                             "machine_page"));
}

static gpointer
page_child (const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (machine_page ()),
                                                   HANGAR_TYPE_MACHINE_PAGE, name);

  g_assert_nonnull (object);
  return object;
}

static void
show_view (const char *name)
{
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (page_child ("stack")), name);
}

static HangarSnapshotsView *
snapshots_view (void)
{
  return page_child ("snapshots_view");
}

static HangarSerialConsole *
serial_console (void)
{
  return page_child ("serial_console");
}

static gpointer
find_toplevel (GType type)
{
  GList *toplevels = gtk_window_list_toplevels ();
  gpointer found = NULL;

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type) && gtk_widget_get_visible (l->data))
      found = l->data;
  g_list_free (toplevels);
  return found;
}

static gboolean
toplevel_shown (gpointer type)
{
  return find_toplevel (GPOINTER_TO_SIZE (type)) != NULL;
}

static gboolean
toplevel_gone (gpointer type)
{
  return find_toplevel (GPOINTER_TO_SIZE (type)) == NULL;
}

static AdwMessageDialog *
wait_for_message_dialog (void)
{
  g_assert_true (hangar_test_wait_until (toplevel_shown, GSIZE_TO_POINTER (ADW_TYPE_MESSAGE_DIALOG),
                                         UI_TIMEOUT_S));
  return find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
}

/* As a click on the dialog's button: the response, then closing. */
static void
respond (AdwMessageDialog *dialog,
         const char       *response)
{
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, response));
  adw_message_dialog_response (dialog, response);
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_true (hangar_test_wait_until (toplevel_gone, GSIZE_TO_POINTER (ADW_TYPE_MESSAGE_DIALOG),
                                         UI_TIMEOUT_S));
}

/* ---- Waiting -------------------------------------------------------------- */

static void
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  hangar_test_save_screenshot (widget, name, UI_TIMEOUT_S);
}

typedef struct {
  const char *name;
  const char *text;
} TextWait;

static gboolean
badge_is (gpointer data)
{
  const TextWait *wait = data;

  return g_strcmp0 (row_badge (wait->name), wait->text) == 0;
}

static void
wait_for_badge (const char *name,
                const char *text,
                guint       timeout_s)
{
  TextWait wait = { name, text };

  if (!hangar_test_wait_until (badge_is, &wait, timeout_s))
    g_error ("the row of %s says “%s”, not “%s”", name, row_badge (name), text);
}

static gboolean
machine_selected (gpointer name)
{
  HangarMachine *selected = hangar_window_get_selected_machine (window);

  return selected != NULL && g_strcmp0 (hangar_machine_get_name (selected), name) == 0;
}

static void
select_machine (HangarMachine *which)
{
  g_assert_true (hangar_window_select_machine (window, g_dbus_proxy_get_object_path (G_DBUS_PROXY (which))));
  g_assert_true (machine_selected ((gpointer) hangar_machine_get_name (which)));
}

static void
wait_for_state (HangarMachine *which,
                const char    *state,
                guint          timeout_s)
{
  if (!hangar_test_wait_for_state (which, state, timeout_s))
    g_error ("%s is “%s”, not “%s”", hangar_machine_get_name (which),
             hangar_machine_get_state (which), state);
}

/* ---- The guest's shell, through the page's Console view ----------------- */

static gboolean
console_connected (gpointer data)
{
  return g_strcmp0 (hangar_serial_console_get_status (serial_console ()), "connected") == 0;
}

static gboolean
terminal_shows_line (gpointer data)
{
  return hangar_test_serial_console_shows_line (serial_console (), data);
}

/* Types @command into the Console view until a line of the terminal is
 * @expected. The shell may still lose the first characters typed (the
 * port is reset while the guest starts): commands that write chain with
 * "&&", so a mangled one prints nothing expected and is typed again. */
static void
run_in_guest (const char *command,
              const char *expected)
{
  show_view ("console");
  g_assert_true (hangar_test_wait_until (console_connected, NULL, UI_TIMEOUT_S));
  for (guint i = 0; i < GUEST_TIMEOUT_S / SHELL_RETRY_S; i++)
    {
      hangar_test_serial_console_type (serial_console (), command);
      if (hangar_test_wait_until (terminal_shows_line, (gpointer) expected, SHELL_RETRY_S))
        return;
    }
  {
    g_autofree char *text = hangar_serial_console_dup_text (serial_console ());

    g_error ("the guest never answered “%s” with “%s” (the console is %s); the terminal shows:\n%s",
             command, expected, hangar_serial_console_get_status (serial_console ()), text);
  }
}

/* ---- Save State and resume ------------------------------------------------ */

static void
start_machine (HangarMachine *which)
{
  g_autoptr(GError) error = NULL;

  hangar_machine_call_start_sync (which, NULL, &error);
  g_assert_no_error (error);
  wait_for_state (which, "running", GUEST_TIMEOUT_S);
  /* The window's own view of the machine, which enables its actions. */
  wait_for_badge (hangar_machine_get_name (which), "Running", UI_TIMEOUT_S);
}

/* Starts @which from off and waits for this run's boot marker: the serial
 * log keeps the earlier runs', which say nothing about this one. */
static void
boot_machine (HangarMachine *which)
{
  guint booted_before = hangar_test_console_count (which, BOOT_MARKER);

  start_machine (which);
  g_assert_true (hangar_test_wait_for_console_count (which, BOOT_MARKER, booted_before + 1,
                                                     GUEST_TIMEOUT_S));
}

static void
test_save_state (void)
{
  const char *badge;

  select_machine (machine);
  boot_machine (machine);
  /* Something only the guest's memory holds (its root is a RAM disk). */
  run_in_guest ("echo KEPT-$((20+22)) > /kept && echo WROTE-$((1+1))", "WROTE-2");
  show_view ("overview");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "machine.save-state", NULL));
  wait_for_badge (MACHINE_NAME, "Saved", GUEST_TIMEOUT_S);
  wait_for_state (machine, "saved", UI_TIMEOUT_S);
  badge = gtk_label_get_label (page_child ("state_badge"));
  g_assert_cmpstr (badge, ==, "Saved");
  g_assert_true (gtk_widget_has_css_class (page_child ("state_badge"), "saved"));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (hangar_test_find_widget (page_child ("toolbar"), has_action,
                                                                          "machine.start")), ==,
                   "Resume the machine from its saved state");
  save_screenshot (GTK_WIDGET (window), "machine-ops-saved.png");

  /* Start resumes it where it was: the file is still in its memory. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "machine.start", NULL));
  wait_for_state (machine, "running", GUEST_TIMEOUT_S);
  wait_for_badge (MACHINE_NAME, "Running", UI_TIMEOUT_S);
  run_in_guest ("cat /kept", "KEPT-42");
}

static void
test_discard_saved_state (void)
{
  AdwMessageDialog *dialog;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "machine.save-state", NULL));
  wait_for_state (machine, "saved", GUEST_TIMEOUT_S);
  /* The window's own view of the machine, which enables its actions. */
  wait_for_badge (MACHINE_NAME, "Saved", UI_TIMEOUT_S);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "machine.discard-saved-state", NULL));
  dialog = wait_for_message_dialog ();
  save_screenshot (GTK_WIDGET (dialog), "machine-ops-discard-dialog.png");
  respond (dialog, "discard");
  wait_for_state (machine, "shutoff", UI_TIMEOUT_S);
  wait_for_badge (MACHINE_NAME, "Shut Off", UI_TIMEOUT_S);
}

/* ---- Save to File and Restore from File ----------------------------------- */

static gboolean
reason_is_saved (gpointer data)
{
  return g_strcmp0 (hangar_machine_get_state (machine), "shutoff") == 0 &&
         g_strcmp0 (hangar_machine_get_state_reason (machine), "saved") == 0;
}

static void
test_save_restore_file (void)
{
  g_autofree char *path = g_build_filename (env->tmpdir, "ops.save", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);

  select_machine (machine);
  boot_machine (machine);
  run_in_guest ("echo FILED-$((40+2)) > /filed && echo WROTE-$((2+1))", "WROTE-3");

  hangar_machine_action_save_to_file (machine, file, GTK_WIDGET (window));
  g_assert_true (hangar_test_wait_until (reason_is_saved, NULL, GUEST_TIMEOUT_S));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  /* Nothing selected: the restored machine is selected when it runs. */
  hangar_window_select_machine (window, NULL);
  hangar_window_restore_from_file (window, file);
  wait_for_state (machine, "running", GUEST_TIMEOUT_S);
  g_assert_true (hangar_test_wait_until (machine_selected, MACHINE_NAME, UI_TIMEOUT_S));
  run_in_guest ("cat /filed", "FILED-42");

  {
    g_autoptr(GError) error = NULL;

    hangar_machine_call_force_off_sync (machine, NULL, &error);
    g_assert_no_error (error);
    wait_for_state (machine, "shutoff", UI_TIMEOUT_S);
    wait_for_badge (MACHINE_NAME, "Shut Off", UI_TIMEOUT_S);
  }
}

/* A file that is not a save file: a toast, nothing changes. */
static void
test_restore_bad_file (void)
{
  g_autofree char *path = g_build_filename (env->tmpdir, "not-a-save", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, "hello\n", -1, &error);
  g_assert_no_error (error);
  hangar_window_restore_from_file (window, file);
  /* A toast names the file; the machine is as it was. */
  if (!hangar_test_wait_until (text_shown, "Could not restore from “not-a-save”", UI_TIMEOUT_S))
    g_error ("no toast for the bad save file");
  save_screenshot (GTK_WIDGET (window), "machine-ops-restore-error.png");
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "shutoff");
}

/* ---- Clone ---------------------------------------------------------------- */

#define CLONE_CHILD(dialog, name) \
  ((gpointer) gtk_widget_get_template_child (GTK_WIDGET (dialog), HANGAR_TYPE_CLONE_DIALOG, name))

static double max_fraction;

static void
on_fraction (GtkProgressBar *bar)
{
  max_fraction = MAX (max_fraction, gtk_progress_bar_get_fraction (bar));
}

static gboolean
clone_action_enabled (HangarCloneDialog *dialog)
{
  GtkWidget *button = hangar_test_find_widget (GTK_WIDGET (dialog), has_action, "clone.clone");

  g_assert_nonnull (button);

  return gtk_widget_is_sensitive (button);
}

static gboolean
machine_defined (gpointer name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  return hangar_manager_call_lookup_machine_sync (env->manager, name, &path, NULL, &error);
}

static void
test_clone (void)
{
  HangarCloneDialog *dialog;
  GtkEditable *name;
  g_autoptr(HangarMachine) clone = NULL;

  select_machine (machine);
  /* Offered only while the machine is off. */
  g_assert_true (hangar_machine_action_is_allowed (HANGAR_MACHINE_ACTION_CLONE, "shutoff"));
  g_assert_false (hangar_machine_action_is_allowed (HANGAR_MACHINE_ACTION_CLONE, "running"));
  g_assert_false (hangar_machine_action_is_allowed (HANGAR_MACHINE_ACTION_CLONE, "saved"));

  wait_for_badge (MACHINE_NAME, "Shut Off", UI_TIMEOUT_S);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "machine.clone", NULL));
  g_assert_true (hangar_test_wait_until (toplevel_shown, GSIZE_TO_POINTER (HANGAR_TYPE_CLONE_DIALOG),
                                         UI_TIMEOUT_S));
  dialog = find_toplevel (HANGAR_TYPE_CLONE_DIALOG);
  name = CLONE_CHILD (dialog, "name_row");
  g_assert_cmpstr (gtk_editable_get_text (name), ==, MACHINE_NAME "-clone");
  g_assert_true (clone_action_enabled (dialog));

  /* Checked before Clone can be clicked. */
  gtk_editable_set_text (name, MACHINE_NAME);
  g_assert_false (clone_action_enabled (dialog));
  g_assert_cmpstr (gtk_label_get_label (CLONE_CHILD (dialog, "problem_label")), ==,
                   "A machine named “" MACHINE_NAME "” already exists");
  save_screenshot (GTK_WIDGET (dialog), "clone-dialog-name-taken.png");
  gtk_editable_set_text (name, "-bad");
  g_assert_false (clone_action_enabled (dialog));
  gtk_editable_set_text (name, "");
  g_assert_false (clone_action_enabled (dialog));
  gtk_editable_set_text (name, MACHINE_NAME "-clone");
  g_assert_true (clone_action_enabled (dialog));
  save_screenshot (GTK_WIDGET (dialog), "clone-dialog.png");

  max_fraction = 0;
  g_signal_connect (CLONE_CHILD (dialog, "progress_bar"), "notify::fraction", G_CALLBACK (on_fraction), NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "clone.clone", NULL));
  g_assert_true (hangar_clone_dialog_get_busy (dialog));
  g_assert_true (gtk_widget_get_visible (CLONE_CHILD (dialog, "progress_group")));
  g_assert_false (clone_action_enabled (dialog));
  save_screenshot (GTK_WIDGET (dialog), "clone-dialog-progress.png");

  /* Done: the dialog goes, the clone is there and selected. */
  g_assert_true (hangar_test_wait_until (toplevel_gone, GSIZE_TO_POINTER (HANGAR_TYPE_CLONE_DIALOG),
                                         GUEST_TIMEOUT_S));
  g_assert_cmpfloat (max_fraction, ==, 1.0);
  g_assert_true (hangar_test_wait_until (machine_selected, MACHINE_NAME "-clone", UI_TIMEOUT_S));
  clone = hangar_test_env_lookup (env, MACHINE_NAME "-clone");
  g_assert_cmpstr (hangar_machine_get_state (clone), ==, "shutoff");
  save_screenshot (GTK_WIDGET (window), "machine-ops-cloned.png");
}

/* Cancel while it copies: the job is cancelled, nothing is defined. */
static void
test_clone_cancel (void)
{
  HangarCloneDialog *dialog;

  select_machine (machine);
  wait_for_badge (MACHINE_NAME, "Shut Off", UI_TIMEOUT_S);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "machine.clone", NULL));
  g_assert_true (hangar_test_wait_until (toplevel_shown, GSIZE_TO_POINTER (HANGAR_TYPE_CLONE_DIALOG),
                                         UI_TIMEOUT_S));
  dialog = find_toplevel (HANGAR_TYPE_CLONE_DIALOG);
  /* The first clone took the default name. */
  g_assert_cmpstr (gtk_editable_get_text (CLONE_CHILD (dialog, "name_row")), ==, MACHINE_NAME "-clone-2");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "clone.clone", NULL));
  g_signal_emit_by_name (CLONE_CHILD (dialog, "cancel_button"), "clicked");
  g_assert_true (hangar_test_wait_until (toplevel_gone, GSIZE_TO_POINTER (HANGAR_TYPE_CLONE_DIALOG),
                                         GUEST_TIMEOUT_S));
  g_assert_false (machine_defined (MACHINE_NAME "-clone-2"));
}

/* ---- Snapshots ------------------------------------------------------------ */

static guint
n_shown (void)
{
  g_auto(GStrv) shown = hangar_snapshots_view_dup_shown (snapshots_view ());

  return g_strv_length (shown);
}

static gboolean
n_shown_is (gpointer data)
{
  return n_shown () == GPOINTER_TO_UINT (data) && !hangar_snapshots_view_get_busy (snapshots_view ());
}

static void
wait_for_n_shown (guint n,
                  guint timeout_s)
{
  if (!hangar_test_wait_until (n_shown_is, GUINT_TO_POINTER (n), timeout_s))
    g_error ("the Snapshots view shows %u snapshots, not %u", n_shown (), n);
}

static char *
snapshot_path (const char *name)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;

  hangar_machine_call_lookup_snapshot_sync (machine, name, &path, NULL, &error);
  g_assert_no_error (error);
  return path;
}

static void
create_snapshot (const char *name,
                 const char *description)
{
  AdwMessageDialog *dialog;
  GtkWidget *name_row, *description_row;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (snapshots_view ()), "snapshots.create", NULL));
  dialog = wait_for_message_dialog ();
  name_row = hangar_test_find_widget (GTK_WIDGET (dialog), has_name, "snapshot-name");
  description_row = hangar_test_find_widget (GTK_WIDGET (dialog), has_name, "snapshot-description");
  g_assert_nonnull (name_row);
  g_assert_nonnull (description_row);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (name_row)), ==, "snapshot-1");

  /* Names the engine would refuse keep Create off. */
  gtk_editable_set_text (GTK_EDITABLE (name_row), "1234");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "create"));
  gtk_editable_set_text (GTK_EDITABLE (name_row), "a/b");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "create"));

  gtk_editable_set_text (GTK_EDITABLE (name_row), name);
  gtk_editable_set_text (GTK_EDITABLE (description_row), description);
  save_screenshot (GTK_WIDGET (dialog), "snapshots-create-dialog.png");
  respond (dialog, "create");
}

static gboolean
current_is (gpointer name)
{
  g_autofree char *path = snapshot_path (name);

  return g_strcmp0 (hangar_machine_get_current_snapshot (machine), path) == 0 &&
         !hangar_snapshots_view_get_busy (snapshots_view ());
}

static GtkWidget *
snapshot_row (const char *name)
{
  g_autofree char *path = snapshot_path (name);

  return hangar_test_find_widget (GTK_WIDGET (snapshots_view ()), has_name, path);
}

/* The row's icon, @data pixels in. */
static gboolean
is_indented_image (GtkWidget     *widget,
                   gconstpointer  data)
{
  return GTK_IS_IMAGE (widget) && gtk_widget_get_margin_start (widget) == GPOINTER_TO_INT (data);
}

static void
test_snapshots (void)
{
  g_autofree char *base = NULL;
  g_autofree char *live = NULL;
  g_auto(GStrv) shown = NULL;
  GtkWidget *row;

  select_machine (machine);
  show_view ("snapshots");
  wait_for_n_shown (0, UI_TIMEOUT_S);
  save_screenshot (GTK_WIDGET (window), "snapshots-empty.png");

  /* Off: the disks. */
  create_snapshot ("base", "clean install");
  wait_for_n_shown (1, GUEST_TIMEOUT_S);
  base = snapshot_path ("base");
  g_assert_true (hangar_test_wait_until (current_is, "base", UI_TIMEOUT_S));
  row = snapshot_row ("base");
  g_assert_nonnull (row);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "clean install"));
  g_assert_nonnull (hangar_test_find_widget (row, hangar_test_has_css_class, "badge"));

  /* Running: with the memory, a child of the current one. */
  boot_machine (machine);
  run_in_guest ("echo BEFORE-$((1+2)) > /mark && echo WROTE-$((3+1))", "WROTE-4");
  show_view ("snapshots");
  create_snapshot ("live", "");
  wait_for_n_shown (2, GUEST_TIMEOUT_S);
  live = snapshot_path ("live");
  g_assert_true (hangar_test_wait_until (current_is, "live", UI_TIMEOUT_S));
  shown = hangar_snapshots_view_dup_shown (snapshots_view ());
  g_assert_cmpstr (shown[0], ==, base);
  g_assert_cmpstr (shown[1], ==, live);
  /* The child sits further in than its parent. */
  g_assert_nonnull (hangar_test_find_widget (snapshot_row ("base"), is_indented_image, GINT_TO_POINTER (0)));
  g_assert_nonnull (hangar_test_find_widget (snapshot_row ("live"), is_indented_image, GINT_TO_POINTER (24)));
  save_screenshot (GTK_WIDGET (window), "snapshots-tree.png");

  /* A disks-only snapshot cannot be reverted to while the machine runs:
   * its button says why. */
  {
    GtkWidget *blocked = hangar_test_find_widget (snapshot_row ("base"), has_tooltip,
                                                  "This snapshot holds only the disks: shut the machine down first");

    g_assert_nonnull (blocked);
    g_assert_false (gtk_widget_is_sensitive (blocked));
  }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (snapshots_view ()), "snapshots.revert", "o", base));
  g_assert_null (find_toplevel (ADW_TYPE_MESSAGE_DIALOG));

  /* Revert to the one with memory: the guest is back where it was. */
  run_in_guest ("echo AFTER-$((2+2)) > /mark && echo WROTE-$((4+1))", "WROTE-5");
  show_view ("snapshots");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (snapshots_view ()), "snapshots.revert", "o", live));
  {
    AdwMessageDialog *dialog = wait_for_message_dialog ();

    save_screenshot (GTK_WIDGET (dialog), "snapshots-revert-dialog.png");
    respond (dialog, "revert");
  }
  g_assert_true (hangar_test_wait_until (current_is, "live", GUEST_TIMEOUT_S));
  wait_for_state (machine, "running", GUEST_TIMEOUT_S);
  run_in_guest ("cat /mark", "BEFORE-3");

  /* Off, back to the disks of "base". */
  {
    g_autoptr(GError) error = NULL;

    hangar_machine_call_force_off_sync (machine, NULL, &error);
    g_assert_no_error (error);
    wait_for_state (machine, "shutoff", UI_TIMEOUT_S);
    wait_for_badge (MACHINE_NAME, "Shut Off", UI_TIMEOUT_S);
  }
  show_view ("snapshots");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (snapshots_view ()), "snapshots.revert", "o", base));
  respond (wait_for_message_dialog (), "revert");
  g_assert_true (hangar_test_wait_until (current_is, "base", GUEST_TIMEOUT_S));
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "shutoff");

  /* Delete "base" and its child. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (snapshots_view ()), "snapshots.delete", "o", base));
  {
    AdwMessageDialog *dialog = wait_for_message_dialog ();
    GtkWidget *children = hangar_test_find_widget (GTK_WIDGET (dialog), has_name, "snapshot-delete-children");

    g_assert_nonnull (children);
    gtk_check_button_set_active (GTK_CHECK_BUTTON (children), TRUE);
    save_screenshot (GTK_WIDGET (dialog), "snapshots-delete-dialog.png");
    respond (dialog, "delete");
  }
  wait_for_n_shown (0, GUEST_TIMEOUT_S);
  g_assert_cmpstr (hangar_machine_get_current_snapshot (machine), ==, "/");
}

/* ---- Live hardware changes ------------------------------------------------ */

static gboolean
hardware_ready (gpointer data)
{
  return gtk_widget_is_sensitive (GTK_WIDGET (page_child ("hardware_box")));
}

static gboolean
notice_is (gpointer data)
{
  return gtk_revealer_get_reveal_child (page_child ("hardware_notice_revealer")) &&
         g_strcmp0 (gtk_label_get_label (page_child ("hardware_notice_label")), data) == 0 &&
         hardware_ready (NULL);
}

static void
wait_for_notice (const char *text)
{
  if (!hangar_test_wait_until (notice_is, (gpointer) text, GUEST_TIMEOUT_S))
    {
      g_error ("the Hardware view says “%s”, not “%s”; errors: %s",
               gtk_revealer_get_reveal_child (page_child ("hardware_notice_revealer"))
               ? gtk_label_get_label (page_child ("hardware_notice_label")) : "",
               text, page_errors->len > 0 ? page_errors->str : "none");
    }
}

static char *
machine_xml (gboolean live)
{
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autoptr(GError) error = NULL;
  char *xml = NULL;

  if (live)
    g_variant_builder_add (&options, "{sv}", "live", g_variant_new_boolean (TRUE));
  hangar_machine_call_get_xml_sync (machine, g_variant_builder_end (&options), &xml, NULL, &error);
  g_assert_no_error (error);
  return xml;
}

static void
click_button_with_tooltip (const char *group,
                           const char *tooltip)
{
  GtkWidget *button = hangar_test_find_widget (page_child (group), has_tooltip, tooltip);

  if (button == NULL)
    g_error ("no button “%s” in %s", tooltip, group);
  g_signal_emit_by_name (button, "clicked");
}

static HangarAddDiskDialog *
open_add_disk (void)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (machine_page ()), "hardware.add-disk", NULL));
  g_assert_true (hangar_test_wait_until (toplevel_shown, GSIZE_TO_POINTER (HANGAR_TYPE_ADD_DISK_DIALOG),
                                         UI_TIMEOUT_S));
  return find_toplevel (HANGAR_TYPE_ADD_DISK_DIALOG);
}

#define DISK_CHILD(dialog, name) \
  ((gpointer) gtk_widget_get_template_child (GTK_WIDGET (dialog), HANGAR_TYPE_ADD_DISK_DIALOG, name))

static guint
volume_position (HangarAddDiskDialog *dialog,
                 const char          *prefix)
{
  GListModel *model = adw_combo_row_get_model (DISK_CHILD (dialog, "volume_combo"));

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GtkStringObject) item = g_list_model_get_item (model, i);

      if (g_str_has_prefix (gtk_string_object_get_string (item), prefix))
        return i;
    }
  return GTK_INVALID_LIST_POSITION;
}

static gboolean
volume_offered (gpointer dialog)
{
  return volume_position (dialog, "extra.qcow2 (") != GTK_INVALID_LIST_POSITION;
}

/* While the machine runs: a CD-ROM medium in and out, a network interface
 * and a virtio disk plugged in and out, each applied now, in the running
 * machine and in its definition. */
static void
test_live_hardware (void)
{
  g_autofree char *live = NULL;
  g_autofree char *stored = NULL;
  HangarAddDiskDialog *dialog;

  select_machine (machine);
  boot_machine (machine);
  show_view ("hardware");
  g_assert_true (hangar_test_wait_until (hardware_ready, NULL, UI_TIMEOUT_S));
  g_assert_cmpstr (adw_preferences_group_get_description (page_child ("nics_group")), ==,
                   "Network interfaces are added and removed at once");

  /* A medium from the pool's install media, the tray opened and closed. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (machine_page ()), "hardware.insert-volume",
                                             "(sss)", "sda", "default", "installer.iso"));
  wait_for_notice ("sda holds installer.iso: applied now");
  live = machine_xml (TRUE);
  stored = machine_xml (FALSE);
  g_assert_nonnull (strstr (live, "volume=\"installer.iso\""));
  g_assert_nonnull (strstr (stored, "volume=\"installer.iso\""));
  save_screenshot (GTK_WIDGET (window), "machine-ops-live-cdrom.png");

  click_button_with_tooltip ("disks_group", "Eject the medium from sda");
  wait_for_notice ("Medium ejected from sda: applied now");
  g_clear_pointer (&live, g_free);
  live = machine_xml (TRUE);
  g_assert_null (strstr (live, "installer.iso"));

  /* A network interface, plugged in and out. */
  g_signal_emit_by_name (page_child ("add_nic_confirm"), "clicked");
  wait_for_notice ("Network interface added: applied now");
  g_clear_pointer (&live, g_free);
  live = machine_xml (TRUE);
  g_assert_nonnull (strstr (live, "<interface type"));
  /* Taken out once the guest has it, as a person would: a hot-unplug
   * asked while the guest still sets the device up can go unanswered. */
  run_in_guest ("test -d /sys/class/net/eth0 && echo ETH-$((1+1))", "ETH-2");
  show_view ("hardware");
  click_button_with_tooltip ("nics_group", "Remove this network interface");
  wait_for_notice ("Network interface removed: applied now");
  g_clear_pointer (&live, g_free);
  g_clear_pointer (&stored, g_free);
  live = machine_xml (TRUE);
  stored = machine_xml (FALSE);
  g_assert_null (strstr (live, "<interface type"));
  g_assert_null (strstr (stored, "<interface type"));

  /* A virtio disk from the Add Disk dialog, plugged in and out. */
  dialog = open_add_disk ();
  g_assert_true (hangar_test_wait_until (volume_offered, dialog, UI_TIMEOUT_S));
  adw_combo_row_set_selected (DISK_CHILD (dialog, "volume_combo"), volume_position (dialog, "extra.qcow2 ("));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "add-disk.add", NULL));
  g_assert_true (hangar_test_wait_until (toplevel_gone, GSIZE_TO_POINTER (HANGAR_TYPE_ADD_DISK_DIALOG),
                                         UI_TIMEOUT_S));
  wait_for_notice ("vdb added: applied now");
  g_clear_pointer (&live, g_free);
  live = machine_xml (TRUE);
  g_assert_nonnull (strstr (live, "volume=\"extra.qcow2\""));
  save_screenshot (GTK_WIDGET (window), "machine-ops-live-disk.png");
  run_in_guest ("test -b /dev/vdb && echo VDB-$((1+1))", "VDB-2");
  show_view ("hardware");

  click_button_with_tooltip ("disks_group", "Remove vdb (its image file is kept)");
  wait_for_notice ("vdb removed: applied now");
  g_clear_pointer (&live, g_free);
  g_clear_pointer (&stored, g_free);
  live = machine_xml (TRUE);
  stored = machine_xml (FALSE);
  g_assert_null (strstr (live, "extra.qcow2"));
  g_assert_null (strstr (stored, "extra.qcow2"));

  /* Paused: the definition alone, said so. */
  {
    g_autoptr(GError) error = NULL;

    hangar_machine_call_pause_sync (machine, NULL, &error);
    g_assert_no_error (error);
    wait_for_state (machine, "paused", UI_TIMEOUT_S);
    wait_for_badge (MACHINE_NAME, "Paused", UI_TIMEOUT_S);
    g_assert_true (hangar_test_wait_until (hardware_ready, NULL, UI_TIMEOUT_S));
    g_assert_cmpstr (adw_preferences_group_get_description (page_child ("nics_group")), ==,
                     "Applies at next boot");
    g_signal_emit_by_name (page_child ("add_nic_confirm"), "clicked");
    wait_for_notice ("Network interface added: takes effect at next boot");
    g_clear_pointer (&live, g_free);
    g_clear_pointer (&stored, g_free);
    live = machine_xml (TRUE);
    stored = machine_xml (FALSE);
    g_assert_null (strstr (live, "<interface type"));
    g_assert_nonnull (strstr (stored, "<interface type"));

    hangar_machine_call_force_off_sync (machine, NULL, &error);
    g_assert_no_error (error);
    wait_for_state (machine, "shutoff", UI_TIMEOUT_S);
    wait_for_badge (MACHINE_NAME, "Shut Off", UI_TIMEOUT_S);
  }
}

/* ---- Setup ---------------------------------------------------------------- */

static void
run_command (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", argv[0], err);
}

/* A qcow2 disk with some data in the default pool, and the guest on it. */
static char *
guest_xml (void)
{
  g_autofree char *dir = g_build_filename (env->root, "data", "images", NULL);
  g_autofree char *path = g_build_filename (dir, "ops.qcow2", NULL);
  /* Enough data that a clone takes a while to copy: progress to see, and
   * time to cancel it. */
  const char *create[] = { "qemu-img", "create", "-q", "-f", "qcow2", path, "512M", NULL };
  const char *fill[] = { "qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 320M", path, NULL };
  g_autofree char *xml = hangar_test_guest_xml (MACHINE_NAME, NULL);
  g_auto(GStrv) parts = g_strsplit (xml, "  </devices>", 2);
  g_autoptr(HangarStoragePool) pool = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pool_path = NULL;

  g_autofree char *extra = g_build_filename (dir, "extra.qcow2", NULL);
  const char *create_extra[] = { "qemu-img", "create", "-q", "-f", "qcow2", extra, "64M", NULL };
  g_autofree char *iso = g_build_filename (g_getenv ("HANGAR_TEST_GUEST_DIR"), "test-guest.iso", NULL);
  g_autofree char *installer = g_build_filename (dir, "installer.iso", NULL);
  const char *copy_iso[] = { "cp", iso, installer, NULL };

  run_command (create);
  run_command (fill);
  /* For the live hardware changes: a disk to plug in, an ISO to insert. */
  run_command (create_extra);
  run_command (copy_iso);
  hangar_manager_call_lookup_pool_sync (env->manager, "default", &pool_path, NULL, &error);
  g_assert_no_error (error);
  pool = hangar_storage_pool_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                             "io.github.hangarvm.Hangar1", pool_path, NULL, &error);
  g_assert_no_error (error);
  hangar_storage_pool_call_refresh_sync (pool, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  return g_strconcat (parts[0],
                      "    <disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
                      "<source pool='default' volume='ops.qcow2'/><target dev='vda' bus='virtio'/></disk>\n"
                      "    <disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
                      "<target dev='sda' bus='sata'/><readonly/></disk>\n"
                      "  </devices>", parts[1], NULL);
}

static gboolean
row_shown (gpointer name)
{
  return hangar_test_find_widget (GTK_WIDGET (window), hangar_test_is_machine_row_of, name) != NULL;
}

static void
on_page_error (HangarMachinePage *page,
               const GError      *error,
               gpointer           data)
{
  g_test_message ("page error: %s", error->message);
  g_string_append_printf (page_errors, "%s\n", error->message);
}

static void
start_app (void)
{
  /* The app's own session bus is the test bus too. */
  app = hangar_test_start_app (env, NULL, &window);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  page_errors = g_string_new (NULL);
  g_signal_connect (machine_page (), "error", G_CALLBACK (on_page_error), NULL);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *xml = NULL;
  int status;

  if (!hangar_test_gui_init (&argc, &argv))
    return g_test_run ();
  g_object_set (gtk_settings_get_default (), "gtk-cursor-blink", FALSE, NULL);

  g_test_add_func ("/machine-ops/save-state", test_save_state);
  g_test_add_func ("/machine-ops/discard-saved-state", test_discard_saved_state);
  g_test_add_func ("/machine-ops/save-restore-file", test_save_restore_file);
  g_test_add_func ("/machine-ops/restore-bad-file", test_restore_bad_file);
  g_test_add_func ("/machine-ops/clone", test_clone);
  g_test_add_func ("/machine-ops/clone-cancel", test_clone_cancel);
  g_test_add_func ("/machine-ops/snapshots", test_snapshots);
  g_test_add_func ("/machine-ops/live-hardware", test_live_hardware);

  env = hangar_test_env_new (FALSE);
  xml = guest_xml ();
  machine = hangar_test_env_define (env, xml);
  start_app ();
  g_assert_true (hangar_test_wait_until (row_shown, MACHINE_NAME, UI_TIMEOUT_S));

  status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&app);
  g_clear_object (&machine);
  hangar_test_env_free (env);
  return status;
}
