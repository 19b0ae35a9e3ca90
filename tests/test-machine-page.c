/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-machine-page"

/* The machine page against the real engine (a private dbus-daemon, the real
 * hangard, the busybox guest under QEMU): lifecycle buttons, the overview
 * and its graphs, the hardware list and its edits, the console, and the XML
 * editor's errors. Runs under Xvfb (meson test --suite gui) and saves a
 * screenshot of each view in tests/screenshots/ of the build tree. The cases
 * run in order on one engine, one machine and one window. */

#include <adwaita.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "hangar-add-disk-dialog.h"
#include "hangar-connection.h"
#include "hangar-machine-def.h"
#include "hangar-machine-page.h"
#include "hangar-serial-console.h"
#include "hangar-test-env.h"
#include "hangar-test-gui.h"
#include "hangar-usage-graph.h"
#include "hangard-error.h"

#define UI_TIMEOUT_S    20
#define GUEST_TIMEOUT_S 120
#define JOB_TIMEOUT_S   120
#define GIB             (G_GUINT64_CONSTANT (1024) * 1024 * 1024)
#define BOOT_MARKER     "HANGAR-GUEST-BOOTED"
#define MACHINE_NAME    "page-guest"

static HangarTestEnv     *env;
static GtkWindow         *window;
static HangarMachinePage *page;
static HangarMachine     *machine;
static HangarConnection  *connection;  /* as the window's: pools and volumes for Add Disk */
static GPtrArray         *errors;     /* GError: what the page emitted */

/* ---- Looking at the page -------------------------------------------------- */

static gpointer
child (const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (page), HANGAR_TYPE_MACHINE_PAGE, name);

  g_assert_nonnull (object);
  return object;
}

static const char *
label_text (const char *name)
{
  return gtk_label_get_label (GTK_LABEL (child (name)));
}

/* The toolbar's button for "machine.<action>", labelled or compact. */
static GtkWidget *
find_button (GtkWidget  *widget,
             const char *action)
{
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (c) && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (c)), action) == 0)
        return c;
      found = find_button (c, action);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
button (const char *toolbar,
        const char *action)
{
  g_autofree char *name = g_strconcat ("machine.", action, NULL);
  GtkWidget *found = find_button (child (toolbar), name);

  g_assert_nonnull (found);
  return found;
}

static gboolean
action_enabled (const char *action)
{
  gboolean enabled = gtk_widget_is_sensitive (button ("toolbar", action));

  g_assert_cmpint (enabled, ==, gtk_widget_is_sensitive (button ("compact_toolbar", action)));
  return enabled;
}

static const char *
tooltip (const char *action)
{
  const char *text = gtk_widget_get_tooltip_text (button ("toolbar", action));

  g_assert_cmpstr (text, ==, gtk_widget_get_tooltip_text (button ("compact_toolbar", action)));
  return text;
}

static gboolean
button_shown (const char *action)
{
  gboolean shown = gtk_widget_get_visible (button ("toolbar", action));

  g_assert_cmpint (shown, ==, gtk_widget_get_visible (button ("compact_toolbar", action)));
  return shown;
}

static const char *
description (const char *group)
{
  const char *text = adw_preferences_group_get_description (child (group));

  return text != NULL ? text : "";
}

static char *
view_text (const char *name)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (child (name)));
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
set_view_text (const char *name,
               const char *text)
{
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (child (name))), text, -1);
}

static int
cursor_line (const char *name)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (child (name)));
  GtkTextIter iter;

  gtk_text_buffer_get_iter_at_mark (buffer, &iter, gtk_text_buffer_get_insert (buffer));
  return gtk_text_iter_get_line (&iter);
}

static void
show_view (const char *name)
{
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (child ("stack")), name);
}

static void
click (const char *button)
{
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (child (button))));
  /* "clicked" at once; gtk_widget_activate() waits for a press animation. */
  g_signal_emit_by_name (child (button), "clicked");
}

/* The last button under @widget with tooltip @text. */
static GtkWidget *
find_button_by_tooltip (GtkWidget  *widget,
                        const char *text)
{
  GtkWidget *found = NULL;

  if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_widget_get_tooltip_text (widget), text) == 0)
    found = widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *inner = find_button_by_tooltip (c, text);

      if (inner != NULL)
        found = inner;
    }
  return found;
}

/* Whether a row with @title is in the preferences group @group. */
static gboolean
group_has_row (GtkWidget  *widget,
               const char *title)
{
  if (ADW_IS_PREFERENCES_ROW (widget) &&
      g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0)
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    if (group_has_row (c, title))
      return TRUE;
  return FALSE;
}

static char *
stored_xml (void)
{
  g_autoptr(GError) error = NULL;
  char *xml = NULL;

  hangar_machine_call_get_xml_sync (machine, g_variant_new ("a{sv}", NULL), &xml, NULL, &error);
  g_assert_no_error (error);
  return xml;
}

static char *
replace (const char *text,
         const char *old,
         const char *new)
{
  g_auto(GStrv) parts = g_strsplit (text, old, 2);

  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  return g_strjoinv (new, parts);
}

/* ---- Waiting -------------------------------------------------------------- */

static void
wait_for_frames (GtkWidget *widget)
{
  hangar_test_wait_for_frames (widget, UI_TIMEOUT_S);
}

typedef struct {
  const char *name;
  const char *text;
} LabelWait;

static gboolean
label_is (gpointer data)
{
  const LabelWait *wait = data;

  return g_strcmp0 (label_text (wait->name), wait->text) == 0;
}

static void
wait_for_label (const char *name,
                const char *text)
{
  LabelWait wait = { name, text };

  if (!hangar_test_wait_until (label_is, &wait, UI_TIMEOUT_S))
    g_error ("%s shows “%s”, not “%s”", name, label_text (name), text);
}

static gboolean
tooltip_is (gpointer data)
{
  const LabelWait *wait = data;

  return g_strcmp0 (tooltip (wait->name), wait->text) == 0;
}

/* Lifecycle calls return after the state changed: the tooltip follows. */
static void
wait_for_tooltip (const char *action,
                  const char *text)
{
  LabelWait wait = { action, text };

  if (!hangar_test_wait_until (tooltip_is, &wait, UI_TIMEOUT_S))
    g_error ("%s says “%s”, not “%s”", action, tooltip (action), text);
}

static gboolean
view_contains (gpointer data)
{
  const LabelWait *wait = data;
  g_autofree char *text = view_text (wait->name);

  return strstr (text, wait->text) != NULL;
}

static void
wait_for_view_text (const char *name,
                    const char *needle,
                    guint       timeout_s)
{
  LabelWait wait = { name, needle };

  if (!hangar_test_wait_until (view_contains, &wait, timeout_s))
    {
      g_autofree char *text = view_text (name);

      g_error ("%s never showed “%s”; it shows:\n%s", name, needle, text);
    }
}

static gboolean
graph_has_samples (gpointer data)
{
  return hangar_usage_graph_get_n_samples (data) >= 3;
}

static gboolean
revealed (gpointer data)
{
  return gtk_revealer_get_reveal_child (GTK_REVEALER (child (data)));
}

static gboolean
not_editing (gpointer data)
{
  return gtk_widget_get_visible (GTK_WIDGET (child ("xml_edit_button")));
}

static gboolean
stored_contains (gpointer data)
{
  g_autofree char *xml = stored_xml ();

  return strstr (xml, data) != NULL;
}

static gboolean
error_emitted (gpointer data)
{
  return errors->len > 0;
}

static guint
count_in_stored (const char *needle)
{
  g_autofree char *xml = stored_xml ();

  return hangar_test_count (xml, needle);
}

typedef struct {
  const char *needle;
  guint       count;
} CountWait;

static gboolean
stored_count_is (gpointer data)
{
  const CountWait *wait = data;

  return count_in_stored (wait->needle) == wait->count;
}

static void
wait_for_stored_count (const char *needle,
                       guint       count)
{
  CountWait wait = { needle, count };

  if (!hangar_test_wait_until (stored_count_is, &wait, UI_TIMEOUT_S))
    g_error ("the definition has %u “%s”, not %u", count_in_stored (needle), needle, count);
}

static gboolean
hardware_ready (gpointer data)
{
  return gtk_widget_is_sensitive (GTK_WIDGET (child ("hardware_box")));
}

/* ---- Screenshots ---------------------------------------------------------- */

static GtkAdjustment *
scroll_adjustment (GtkWidget *inside)
{
  GtkWidget *scroller = gtk_widget_get_ancestor (inside, GTK_TYPE_SCROLLED_WINDOW);

  g_assert_nonnull (scroller);
  return gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));
}

static void
scroll_to_end (GtkWidget *inside)
{
  GtkAdjustment *adjustment = scroll_adjustment (inside);

  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
}

static void
scroll_to_start (GtkWidget *inside)
{
  gtk_adjustment_set_value (scroll_adjustment (inside), 0);
}

static void
save_widget_screenshot (GtkWidget  *widget,
                        const char *name)
{
  hangar_test_save_screenshot (widget, name, UI_TIMEOUT_S);
}

static void
save_screenshot (const char *name)
{
  save_widget_screenshot (GTK_WIDGET (window), name);
}

/* ---- The Add Disk dialog and the engine's pool ---------------------------- */

#define DIALOG_CHILD(dialog, name) \
  ((gpointer) gtk_widget_get_template_child (GTK_WIDGET (dialog), HANGAR_TYPE_ADD_DISK_DIALOG, name))

static HangarAddDiskDialog *
find_add_disk_dialog (void)
{
  GList *toplevels = gtk_window_list_toplevels ();
  HangarAddDiskDialog *found = NULL;

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (HANGAR_IS_ADD_DISK_DIALOG (l->data) && gtk_widget_get_mapped (l->data))
      found = l->data;
  g_list_free (toplevels);
  return found;
}

static gboolean
add_disk_dialog_shown (gpointer data)
{
  return find_add_disk_dialog () != NULL;
}

static gboolean
add_disk_dialog_gone (gpointer data)
{
  return find_add_disk_dialog () == NULL;
}

/* The Disks group's "+", as a click does it. */
static HangarAddDiskDialog *
open_add_disk (void)
{
  HangarAddDiskDialog *dialog;
  GtkWidget *plus = find_button (child ("disks_group"), "hardware.add-disk");

  g_assert_nonnull (plus);
  g_assert_true (gtk_widget_is_sensitive (plus));
  g_signal_emit_by_name (plus, "clicked");
  g_assert_true (hangar_test_wait_until (add_disk_dialog_shown, NULL, UI_TIMEOUT_S));
  dialog = find_add_disk_dialog ();
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == window);
  wait_for_frames (GTK_WIDGET (dialog));
  return dialog;
}

static gboolean
add_enabled (HangarAddDiskDialog *dialog)
{
  /* The button follows the action's enabled state. */
  return gtk_widget_get_sensitive (DIALOG_CHILD (dialog, "add_button"));
}

static const char *
dialog_problem (HangarAddDiskDialog *dialog)
{
  if (!gtk_revealer_get_reveal_child (DIALOG_CHILD (dialog, "problem_revealer")))
    return NULL;
  return gtk_label_get_text (DIALOG_CHILD (dialog, "problem_label"));
}

/* Add, and the dialog is gone (a new volume made first). */
static void
add_disk (HangarAddDiskDialog *dialog)
{
  g_assert_true (add_enabled (dialog));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "add-disk.add", NULL));
  if (!hangar_test_wait_until (add_disk_dialog_gone, NULL, JOB_TIMEOUT_S))
    g_error ("the dialog stays: %s", dialog_problem (dialog));
}

static const char *
combo_text (HangarAddDiskDialog *dialog,
            const char          *name)
{
  GtkStringObject *item = adw_combo_row_get_selected_item (DIALOG_CHILD (dialog, name));

  return item != NULL ? gtk_string_object_get_string (item) : NULL;
}

static guint
combo_find (HangarAddDiskDialog *dialog,
            const char          *name,
            const char          *prefix)
{
  GListModel *model = adw_combo_row_get_model (DIALOG_CHILD (dialog, name));

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GtkStringObject) item = g_list_model_get_item (model, i);

      if (g_str_has_prefix (gtk_string_object_get_string (item), prefix))
        return i;
    }
  return GTK_INVALID_LIST_POSITION;
}

static gboolean
combo_has (HangarAddDiskDialog *dialog,
           const char          *name,
           const char          *prefix)
{
  return combo_find (dialog, name, prefix) != GTK_INVALID_LIST_POSITION;
}

static void
select_in_combo (HangarAddDiskDialog *dialog,
                 const char          *name,
                 const char          *prefix)
{
  guint position = combo_find (dialog, name, prefix);

  if (position == GTK_INVALID_LIST_POSITION)
    g_error ("no '%s…' in %s", prefix, name);
  adw_combo_row_set_selected (DIALOG_CHILD (dialog, name), position);
}

/* Whether a row of @widget has @subtitle. */
static gboolean
group_has_row_subtitle (GtkWidget  *widget,
                        const char *subtitle)
{
  if (ADW_IS_ACTION_ROW (widget) &&
      g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (widget)), subtitle) == 0)
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    if (group_has_row_subtitle (c, subtitle))
      return TRUE;
  return FALSE;
}

static HangarStoragePool *
default_pool (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  HangarStoragePool *pool;

  hangar_manager_call_lookup_pool_sync (env->manager, "default", &path, NULL, &error);
  g_assert_no_error (error);
  pool = hangar_storage_pool_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                             "io.github.hangarvm.Hangar1", path, NULL, &error);
  g_assert_no_error (error);
  return pool;
}

static gboolean
job_ended (gpointer data)
{
  return g_strcmp0 (hangar_job_get_state (data), "running") != 0;
}

static void
wait_for_job (const char *job_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HangarJob) job = hangar_job_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                                        "io.github.hangarvm.Hangar1", job_path,
                                                        NULL, &error);

  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_until (job_ended, job, JOB_TIMEOUT_S));
  g_assert_cmpstr (hangar_job_get_error_message (job), ==, "");
  g_assert_cmpstr (hangar_job_get_state (job), ==, "completed");
  hangar_test_settle ();
}

static void
create_volume (const char *name,
               guint64     capacity,
               const char *format)
{
  g_autoptr(HangarStoragePool) pool = default_pool ();
  g_autoptr(GError) error = NULL;
  g_autofree char *job_path = NULL;

  hangar_storage_pool_call_create_volume_sync (pool, name, capacity, format, g_variant_new ("a{sv}", NULL),
                                               &job_path, NULL, &error);
  g_assert_no_error (error);
  wait_for_job (job_path);
}

/* An ISO file copied into the default pool as install media @name. */
static void
upload_iso (const char *iso,
            const char *name)
{
  g_autoptr(HangarStoragePool) pool = default_pool ();
  g_autoptr(GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *job_path = NULL;
  int fd = g_open (iso, O_RDONLY | O_CLOEXEC, 0);
  int index;

  g_assert_cmpint (fd, >=, 0);
  index = g_unix_fd_list_append (fds, fd, &error);
  close (fd);
  g_assert_no_error (error);
  hangar_storage_pool_call_upload_volume_sync (pool, name, g_variant_new_handle (index), "iso",
                                               g_variant_new ("a{sv}", NULL), fds, &job_path, NULL,
                                               NULL, &error);
  g_assert_no_error (error);
  wait_for_job (job_path);
}

typedef struct {
  HangarAddDiskDialog *dialog;
  const char          *label;
} VolumeLabelWait;

static gboolean
volume_label_shown (gpointer data)
{
  VolumeLabelWait *wait = data;

  return combo_has (wait->dialog, "volume_combo", wait->label);
}

/* Another machine with @volume of the default pool as its disk. */
static HangarMachine *
define_with_volume (const char *name,
                    const char *volume)
{
  g_autofree char *xml = hangar_test_guest_xml (name, NULL);
  g_autofree char *disk = g_strdup_printf (
    "    <disk type='volume' device='disk'>\n"
    "      <driver name='qemu' type='qcow2'/>\n"
    "      <source pool='default' volume='%s'/>\n"
    "      <target dev='vda' bus='virtio'/>\n"
    "    </disk>\n"
    "  </devices>", volume);
  g_autofree char *with_disk = replace (xml, "  </devices>", disk);

  return hangar_test_env_define (env, with_disk);
}

static HangarVolume *
find_volume (const char *name)
{
  g_autolist(GDBusObject) objects = NULL;

  hangar_test_settle ();
  objects = g_dbus_object_manager_get_objects (env->object_manager);
  for (GList *l = objects; l != NULL; l = l->next)
    {
      HangarVolume *volume = hangar_object_peek_volume (HANGAR_OBJECT (l->data));

      if (volume != NULL && g_str_equal (hangar_volume_get_name (volume), name))
        return g_object_ref (volume);
    }
  return NULL;
}

/* ---- The cases ------------------------------------------------------------ */

static void
test_def_edits (void)
{
  const char *xml =
    "<domain type='kvm'>\n"
    "  <name>x</name>\n"
    "  <memory unit='MiB'>128</memory>\n"
    "  <currentMemory unit='MiB'>128</currentMemory>\n"
    "  <vcpu current='1'>1</vcpu>\n"
    "  <cpu><topology sockets='1' cores='1' threads='1'/></cpu>\n"
    "  <devices>\n"
    "    <interface type='user'/>\n"
    "  </devices>\n"
    "</domain>\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(HangarMachineDef) def = NULL;
  g_autofree char *resized = NULL;
  g_autofree char *with_disk = NULL;
  g_autofree char *without_nic = NULL;

  resized = hangar_machine_def_set_resources (xml, 2 * 1024 * 1024, 4, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (resized, "<memory unit=\"GiB\">2</memory>"));
  g_assert_nonnull (strstr (resized, "<currentMemory unit=\"GiB\">2</currentMemory>"));
  g_assert_nonnull (strstr (resized, "<vcpu>4</vcpu>"));
  g_assert_nonnull (strstr (resized, "sockets=\"4\""));
  g_assert_false (g_str_has_prefix (resized, "<?xml"));

  with_disk = hangar_machine_def_add_disk (resized, "/tmp/a & b.qcow2", "disk", "qcow2", "virtio", &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (with_disk, "    <disk type=\"file\" device=\"disk\">\n"
                                       "      <driver name=\"qemu\" type=\"qcow2\"/>\n"
                                       "      <source file=\"/tmp/a &amp; b.qcow2\"/>\n"
                                       "      <target dev=\"vda\" bus=\"virtio\"/>\n"
                                       "    </disk>\n"
                                       "  </devices>"));

  without_nic = hangar_machine_def_remove_device (with_disk, "interface", 0, &error);
  g_assert_no_error (error);
  g_assert_null (strstr (without_nic, "<interface"));

  def = hangar_machine_def_parse (without_nic, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (def->memory_kib, ==, 2 * 1024 * 1024);
  g_assert_cmpuint (def->vcpus, ==, 4);
  g_assert_cmpuint (def->disks->len, ==, 1);
  g_assert_cmpuint (def->nics->len, ==, 0);

  g_clear_pointer (&def, hangar_machine_def_free);
  def = hangar_machine_def_parse ("<domain><os><boot dev='cdrom'/><boot dev='hd'/></os><devices>"
                                  "<disk type='volume' device='disk'><source pool='p' volume='v'/>"
                                  "<target dev='vda' bus='virtio'/><boot order='1'/></disk>"
                                  "<interface type='network'><source network='lan'/></interface>"
                                  "</devices></domain>", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (def->boot_devs->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (def->boot_devs, 0), ==, "cdrom");
  g_assert_cmpuint (((HangarDiskInfo *) g_ptr_array_index (def->disks, 0))->boot_order, ==, 1);
  g_assert_cmpstr (((HangarDiskInfo *) g_ptr_array_index (def->disks, 0))->source, ==, "p/v");
  g_assert_cmpstr (((HangarNicInfo *) g_ptr_array_index (def->nics, 0))->source, ==, "lan");

  g_assert_null (hangar_machine_def_parse ("<!DOCTYPE d [<!ENTITY e 'x'>]><domain>&e;</domain>", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML);
  g_assert_cmpuint (hangar_machine_def_error_line ("The XML is not well-formed: line 12: oops"), ==, 12);
  g_assert_cmpuint (hangar_machine_def_error_line ("Memory must be at least 1 MiB"), ==, 0);
}

static void
test_shut_off (void)
{
  hangar_machine_page_set_machine (page, machine, G_OBJECT (connection));
  wait_for_view_text ("xml_view", "<name>" MACHINE_NAME "</name>", UI_TIMEOUT_S);
  g_assert_true (hangar_test_wait_until (hardware_ready, NULL, UI_TIMEOUT_S));

  g_assert_cmpstr (label_text ("title_label"), ==, MACHINE_NAME);
  g_assert_cmpstr (label_text ("state_badge"), ==, "Shut Off");
  g_assert_cmpstr (label_text ("state_value"), ==, "Shut Off");
  g_assert_cmpstr (label_text ("uptime_value"), ==, "Not running");
  g_assert_cmpstr (label_text ("memory_value"), ==, "128 MiB");
  g_assert_cmpstr (label_text ("vcpus_value"), ==, "1");

  g_assert_true (action_enabled ("start"));
  g_assert_false (action_enabled ("shutdown"));
  g_assert_false (action_enabled ("pause"));
  g_assert_false (action_enabled ("reboot"));
  g_assert_false (action_enabled ("reset"));
  g_assert_false (action_enabled ("force-off"));
  g_assert_cmpstr (tooltip ("shutdown"), ==, "The machine is not running");
  g_assert_cmpstr (tooltip ("force-off"), ==, "The machine is not running");
  g_assert_cmpstr (tooltip ("start"), ==, "Start the machine");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (child ("graph_grid"))));
  save_screenshot ("machine-page-overview-shutoff.png");

  show_view ("hardware");
  g_assert_cmpint (gtk_spin_button_get_value_as_int (child ("memory_spin")), ==, 128);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (child ("vcpus_spin")), ==, 1);
  g_assert_true (group_has_row (child ("disks_group"), "sda · CD-ROM"));
  g_assert_true (group_has_row (child ("nics_group"), "User-mode networking"));
  g_assert_true (group_has_row (child ("boot_group"), "Direct kernel boot"));
  g_assert_cmpstr (description ("resources_group"), ==, "");
  save_screenshot ("machine-page-hardware-shutoff.png");
}

static gboolean
window_width_is (gpointer data)
{
  return gtk_widget_get_width (GTK_WIDGET (window)) == GPOINTER_TO_INT (data);
}

static void
resize_window (int width)
{
  gtk_window_set_default_size (window, width, 1000);
  g_assert_true (hangar_test_wait_until (window_width_is, GINT_TO_POINTER (width), UI_TIMEOUT_S));
}

/* A narrow window (a folded main window, a small ssh -X window): icons
 * instead of labelled buttons, the page still fits. */
static void
test_narrow (void)
{
  int minimum;

  gtk_widget_measure (GTK_WIDGET (page), GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 360);

  show_view ("overview");
  resize_window (400);
  g_assert_true (gtk_widget_get_mapped (child ("compact_toolbar")));
  g_assert_false (gtk_widget_get_mapped (child ("toolbar")));
  save_screenshot ("machine-page-narrow.png");

  resize_window (960);
  g_assert_true (gtk_widget_get_mapped (child ("toolbar")));
}

static void
test_start (void)
{
  show_view ("overview");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "machine.start", NULL));
  /* Until the engine answers, nothing else can be asked. */
  g_assert_false (action_enabled ("start"));

  g_assert_true (hangar_test_wait_for_state (machine, "running", GUEST_TIMEOUT_S));
  wait_for_label ("state_value", "Running");
  wait_for_label ("state_badge", "Running");
  wait_for_tooltip ("start", "The machine is already running");
  g_assert_false (action_enabled ("start"));
  g_assert_true (action_enabled ("shutdown"));
  g_assert_true (action_enabled ("pause"));
  g_assert_true (action_enabled ("reboot"));
  g_assert_true (action_enabled ("reset"));
  g_assert_true (action_enabled ("force-off"));
  g_assert_false (button_shown ("resume"));

  if (g_str_equal (hangar_machine_get_accelerator (machine), "tcg"))
    {
      g_assert_cmpstr (label_text ("accelerator_value"), ==, "TCG");
      g_assert_cmpstr (adw_action_row_get_subtitle (child ("accelerator_row")), ==, "Software emulation, slow");
    }
  else
    g_assert_cmpstr (label_text ("accelerator_value"), ==, "KVM");
  g_assert_cmpstr (label_text ("ip_value"), !=, "");

  /* Stats every 2 s while the page is shown; disk rates from the second on. */
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (child ("graph_grid"))));
  g_assert_true (hangar_test_wait_until (graph_has_samples, child ("disk_graph"), UI_TIMEOUT_S));
  g_assert_cmpuint (hangar_usage_graph_get_n_samples (child ("cpu_graph")), >=, 3);
  g_assert_cmpuint (hangar_usage_graph_get_n_samples (child ("memory_graph")), >=, 3);
  g_assert_cmpstr (label_text ("uptime_value"), !=, "Not running");
  g_assert_nonnull (strstr (label_text ("cpu_label"), "%"));
  /* User-mode networking keeps no byte counters: no network graph. */
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (child ("net_card"))));
  save_screenshot ("machine-page-overview-running.png");
  scroll_to_end (child ("cpu_graph"));
  save_screenshot ("machine-page-overview-graphs.png");
  scroll_to_start (child ("cpu_graph"));

  show_view ("hardware");
  g_assert_cmpstr (adw_preferences_group_get_description (child ("resources_group")), ==,
                   "Applies at next boot");
}

static gboolean
console_connected (gpointer data)
{
  return g_strcmp0 (hangar_serial_console_get_status (data), "connected") == 0;
}

static gboolean
terminal_shows (gpointer data)
{
  g_autofree char *text = hangar_serial_console_dup_text (child ("serial_console"));

  return text != NULL && strstr (text, data) != NULL;
}

/* The Console view is the live serial console (test-serial-console.c
 * tries it in depth): it opens on the running guest, with its recent output. */
static void
test_console (void)
{
  g_assert_true (hangar_test_wait_for_console (machine, BOOT_MARKER, GUEST_TIMEOUT_S));
  show_view ("console");
  g_assert_true (hangar_test_wait_until (console_connected, child ("serial_console"), UI_TIMEOUT_S));
  if (!hangar_test_wait_until (terminal_shows, BOOT_MARKER, UI_TIMEOUT_S))
    {
      g_autofree char *text = hangar_serial_console_dup_text (child ("serial_console"));

      save_screenshot ("machine-page-console-failed.png");
      g_error ("the console never showed %s; it shows:\n%s", BOOT_MARKER, text);
    }
  save_screenshot ("machine-page-console.png");
}

static void
test_xml_bad_edit (void)
{
  g_autofree char *before = stored_xml ();
  g_autofree char *shown = NULL;
  g_autofree char *bad = NULL;
  g_autofree char *kept = NULL;
  g_autofree char *after = NULL;
  g_autofree char *broken = NULL;
  g_autofree char *after_broken = NULL;
  guint line;

  show_view ("xml");
  wait_for_frames (GTK_WIDGET (window));
  shown = view_text ("xml_view");
  g_assert_cmpstr (shown, ==, before);
  g_assert_false (gtk_text_view_get_editable (child ("xml_view")));

  click ("xml_edit_button");
  g_assert_true (gtk_text_view_get_editable (child ("xml_view")));
  bad = replace (shown, "<memory unit=\"MiB\">128</memory>", "<memory unit=\"MiB\">0</memory>");
  set_view_text ("xml_view", bad);
  click ("xml_apply_button");

  g_assert_true (hangar_test_wait_until (revealed, "xml_error_revealer", UI_TIMEOUT_S));
  g_assert_nonnull (strstr (label_text ("xml_error_label"), "Memory must be at least 1 MiB"));
  kept = view_text ("xml_view");
  g_assert_cmpstr (kept, ==, bad);
  g_assert_true (gtk_text_view_get_editable (child ("xml_view")));
  /* The cursor is on the element the message names. */
  g_assert_cmpint (cursor_line ("xml_view"), ==, 3);
  after = stored_xml ();
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpuint (errors->len, ==, 0);
  save_screenshot ("machine-page-xml-error.png");

  /* Malformed: the cursor goes to the line the engine names. */
  broken = replace (shown, "<vcpu>1</vcpu>", "<vcpu>1</vcpu");
  set_view_text ("xml_view", broken);
  gtk_revealer_set_reveal_child (child ("xml_error_revealer"), FALSE);
  click ("xml_apply_button");
  g_assert_true (hangar_test_wait_until (revealed, "xml_error_revealer", UI_TIMEOUT_S));
  line = hangar_machine_def_error_line (label_text ("xml_error_label"));
  g_assert_cmpuint (line, >, 0);
  g_assert_cmpint (cursor_line ("xml_view"), ==, (int) line - 1);
  after_broken = stored_xml ();
  g_assert_cmpstr (after_broken, ==, before);

  /* Cancel restores the stored definition. */
  click ("xml_cancel_button");
  g_free (kept);
  kept = view_text ("xml_view");
  g_assert_cmpstr (kept, ==, before);
  g_assert_false (gtk_text_view_get_editable (child ("xml_view")));
  g_assert_false (gtk_revealer_get_reveal_child (child ("xml_error_revealer")));
}

static void
test_xml_good_edit (void)
{
  g_autofree char *shown = view_text ("xml_view");
  g_autofree char *good = NULL;

  click ("xml_edit_button");
  good = replace (shown, "<memory unit=\"MiB\">128</memory>", "<memory unit=\"MiB\">256</memory>");
  set_view_text ("xml_view", good);
  click ("xml_apply_button");

  g_assert_true (hangar_test_wait_until (not_editing, NULL, UI_TIMEOUT_S));
  g_assert_true (stored_contains ("<memory unit=\"MiB\">256</memory>"));
  g_assert_false (gtk_revealer_get_reveal_child (child ("xml_error_revealer")));
  wait_for_view_text ("xml_view", "<memory unit=\"MiB\">256</memory>", UI_TIMEOUT_S);
  wait_for_label ("memory_value", "256 MiB");
  g_assert_cmpstr (label_text ("xml_hint"), ==,
                   "The machine runs: a new definition applies at next boot");
  save_screenshot ("machine-page-xml.png");
}

static void
test_hardware_apply (void)
{
  show_view ("hardware");
  g_assert_true (hangar_test_wait_until (hardware_ready, NULL, UI_TIMEOUT_S));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (child ("memory_spin")), ==, 256);
  g_assert_false (gtk_widget_is_sensitive (child ("resources_apply_button")));

  gtk_spin_button_set_value (child ("vcpus_spin"), 2);
  g_assert_true (gtk_widget_is_sensitive (child ("resources_apply_button")));
  save_screenshot ("machine-page-hardware.png");
  click ("resources_apply_button");

  g_assert_true (hangar_test_wait_until (stored_contains, "<vcpu>2</vcpu>", UI_TIMEOUT_S));
  g_assert_true (stored_contains ("<memory unit=\"MiB\">256</memory>"));
  wait_for_label ("vcpus_value", "2");
  g_assert_true (hangar_test_wait_until (hardware_ready, NULL, UI_TIMEOUT_S));
  g_assert_false (gtk_widget_is_sensitive (child ("resources_apply_button")));
  g_assert_cmpuint (errors->len, ==, 0);
}

static gboolean
popover_shown (gpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data));
}

static void
test_hardware_devices (void)
{
  g_autofree char *iso = g_build_filename (g_getenv ("HANGAR_TEST_GUEST_DIR"), "test-guest.iso", NULL);
  HangarAddDiskDialog *dialog;
  GtkWidget *remove;

  show_view ("hardware");
  g_assert_true (hangar_test_wait_until (hardware_ready, NULL, UI_TIMEOUT_S));

  /* A second NIC from the popover, then removed again. */
  gtk_popover_popup (child ("add_nic_popover"));
  g_assert_true (hangar_test_wait_until (popover_shown, child ("add_nic_popover"), UI_TIMEOUT_S));
  save_widget_screenshot (child ("add_nic_popover"), "machine-page-add-nic.png");
  g_assert_true (gtk_widget_is_sensitive (child ("add_nic_confirm")));
  click ("add_nic_confirm");
  wait_for_stored_count ("<interface ", 2);
  g_assert_true (hangar_test_wait_until (hardware_ready, NULL, UI_TIMEOUT_S));

  remove = find_button_by_tooltip (child ("nics_group"), "Remove this network interface");

  g_assert_nonnull (remove);
  g_signal_emit_by_name (remove, "clicked");
  wait_for_stored_count ("<interface ", 1);
  g_assert_true (hangar_test_wait_until (hardware_ready, NULL, UI_TIMEOUT_S));

  /* A CD-ROM from an image file: raw on SATA, named after the first free
   * SATA target. */
  dialog = open_add_disk ();
  adw_combo_row_set_selected (DIALOG_CHILD (dialog, "device_combo"), 1);
  g_assert_cmpuint (adw_combo_row_get_selected (DIALOG_CHILD (dialog, "bus_combo")), ==, 1);
  gtk_check_button_set_active (DIALOG_CHILD (dialog, "file_check"), TRUE);
  g_assert_false (add_enabled (dialog));
  g_assert_cmpstr (dialog_problem (dialog), ==, "Enter the path of the image file");
  gtk_editable_set_text (DIALOG_CHILD (dialog, "path_entry"), iso);
  g_assert_true (add_enabled (dialog));
  save_widget_screenshot (GTK_WIDGET (dialog), "machine-page-add-disk-file.png");
  add_disk (dialog);
  g_assert_true (hangar_test_wait_until (stored_contains, "<target dev=\"sdb\" bus=\"sata\"/>", UI_TIMEOUT_S));
  g_assert_true (hangar_test_wait_until (hardware_ready, NULL, UI_TIMEOUT_S));
  g_assert_true (group_has_row (child ("disks_group"), "sdb · CD-ROM"));
  save_screenshot ("machine-page-hardware-devices.png");

  remove = find_button_by_tooltip (child ("disks_group"), "Remove sdb (its image file is kept)");
  g_assert_nonnull (remove);
  g_signal_emit_by_name (remove, "clicked");
  wait_for_stored_count ("<disk ", 1);
  g_assert_true (hangar_test_wait_until (hardware_ready, NULL, UI_TIMEOUT_S));
  g_assert_false (group_has_row (child ("disks_group"), "sdb · CD-ROM"));
  g_assert_cmpuint (errors->len, ==, 0);
}

/* Add Disk from the engine's pools: an existing volume as a disk, an ISO
 * volume as a CD-ROM, a new volume; each in the hardware list and the
 * definition. */
static void
test_add_volume_disks (void)
{
  g_autofree char *iso = g_build_filename (g_getenv ("HANGAR_TEST_GUEST_DIR"), "test-guest.iso", NULL);
  g_autoptr(HangarVolume) made = NULL;
  g_autoptr(HangarMachine) other = NULL;
  g_autoptr(GError) error = NULL;
  HangarAddDiskDialog *dialog;
  VolumeLabelWait marked;

  create_volume ("extra.qcow2", GIB, "qcow2");
  create_volume ("another.qcow2", GIB, "qcow2");
  upload_iso (iso, "installer.iso");
  other = define_with_volume ("other-guest", "another.qcow2");
  show_view ("hardware");
  g_assert_true (hangar_test_wait_until (hardware_ready, NULL, UI_TIMEOUT_S));

  /* An existing volume: the pool's disk images, not its ISOs; another
   * machine's disk is marked (and offered last), and picking it warns. */
  dialog = open_add_disk ();
  g_assert_cmpstr (combo_text (dialog, "pool_combo"), ==, "default");
  marked.dialog = dialog;
  marked.label = "another.qcow2 (1.0\u00a0GiB, qcow2), a disk of “other-guest”";
  g_assert_true (hangar_test_wait_until (volume_label_shown, &marked, UI_TIMEOUT_S));
  g_assert_cmpstr (combo_text (dialog, "volume_combo"), ==, "extra.qcow2 (1.0\u00a0GiB, qcow2)");
  g_assert_true (combo_has (dialog, "volume_combo", "extra.qcow2 ("));
  g_assert_false (combo_has (dialog, "volume_combo", "installer.iso ("));
  select_in_combo (dialog, "volume_combo", "another.qcow2 (");
  g_assert_true (add_enabled (dialog));
  g_assert_cmpstr (dialog_problem (dialog), ==,
                   "“another.qcow2” is a disk of “other-guest” too: two machines running from one disk damage it.");
  save_widget_screenshot (GTK_WIDGET (dialog), "machine-page-add-disk-shared.png");
  select_in_combo (dialog, "volume_combo", "extra.qcow2 (");
  g_assert_true (add_enabled (dialog));
  save_widget_screenshot (GTK_WIDGET (dialog), "machine-page-add-disk-volume.png");
  add_disk (dialog);
  g_assert_true (hangar_test_wait_until (stored_contains, "<source pool=\"default\" volume=\"extra.qcow2\"/>",
                                         UI_TIMEOUT_S));
  g_assert_true (stored_contains ("<target dev=\"vda\" bus=\"virtio\"/>"));
  g_assert_true (stored_contains ("<driver name=\"qemu\" type=\"qcow2\"/>"));
  g_assert_true (hangar_test_wait_until (hardware_ready, NULL, UI_TIMEOUT_S));
  g_assert_true (group_has_row (child ("disks_group"), "vda · Disk"));
  g_assert_true (group_has_row_subtitle (child ("disks_group"), "default/extra.qcow2"));

  /* A CD-ROM offers the install media; VirtIO has no CD-ROMs. */
  dialog = open_add_disk ();
  adw_combo_row_set_selected (DIALOG_CHILD (dialog, "device_combo"), 1);
  g_assert_true (combo_has (dialog, "volume_combo", "installer.iso ("));
  g_assert_false (combo_has (dialog, "volume_combo", "extra.qcow2 ("));
  g_assert_false (gtk_widget_get_sensitive (DIALOG_CHILD (dialog, "new_source_row")));
  adw_combo_row_set_selected (DIALOG_CHILD (dialog, "bus_combo"), 0);
  g_assert_false (add_enabled (dialog));
  g_assert_cmpstr (dialog_problem (dialog), ==, "A CD-ROM cannot be on the VirtIO bus: choose SATA or IDE");
  adw_combo_row_set_selected (DIALOG_CHILD (dialog, "bus_combo"), 1);
  select_in_combo (dialog, "volume_combo", "installer.iso (");
  save_widget_screenshot (GTK_WIDGET (dialog), "machine-page-add-cdrom.png");
  add_disk (dialog);
  g_assert_true (hangar_test_wait_until (stored_contains, "<source pool=\"default\" volume=\"installer.iso\"/>",
                                         UI_TIMEOUT_S));
  g_assert_true (stored_contains ("<target dev=\"sdb\" bus=\"sata\"/>"));
  g_assert_true (hangar_test_wait_until (hardware_ready, NULL, UI_TIMEOUT_S));
  g_assert_true (group_has_row (child ("disks_group"), "sdb · CD-ROM"));
  g_assert_true (group_has_row_subtitle (child ("disks_group"), "default/installer.iso"));

  /* A new volume, named after the machine; a taken name is refused first. */
  dialog = open_add_disk ();
  gtk_check_button_set_active (DIALOG_CHILD (dialog, "new_check"), TRUE);
  g_assert_cmpstr (gtk_editable_get_text (DIALOG_CHILD (dialog, "name_entry")), ==, MACHINE_NAME "-disk4.qcow2");
  gtk_editable_set_text (DIALOG_CHILD (dialog, "name_entry"), "extra.qcow2");
  g_assert_false (add_enabled (dialog));
  g_assert_cmpstr (dialog_problem (dialog), ==, "The pool “default” has a volume “extra.qcow2” already");
  gtk_editable_set_text (DIALOG_CHILD (dialog, "name_entry"), "scratch.qcow2");
  gtk_spin_button_set_value (DIALOG_CHILD (dialog, "size_spin"), 2);
  g_assert_true (add_enabled (dialog));
  save_widget_screenshot (GTK_WIDGET (dialog), "machine-page-add-new-volume.png");
  add_disk (dialog);
  g_assert_true (hangar_test_wait_until (stored_contains, "<source pool=\"default\" volume=\"scratch.qcow2\"/>",
                                         JOB_TIMEOUT_S));
  made = find_volume ("scratch.qcow2");
  g_assert_nonnull (made);
  g_assert_cmpuint (hangar_volume_get_capacity (made), ==, 2 * GIB);
  g_assert_cmpstr (hangar_volume_get_format (made), ==, "qcow2");
  g_assert_true (hangar_test_wait_until (hardware_ready, NULL, UI_TIMEOUT_S));
  g_assert_true (group_has_row (child ("disks_group"), "vdb · Disk"));
  scroll_to_end (child ("disks_group"));
  save_screenshot ("machine-page-hardware-volumes.png");
  scroll_to_start (child ("disks_group"));

  /* Back to the one CD-ROM the cases after this one know. */
  for (guint i = 0; i < 3; i++)
    {
      GtkWidget *remove = find_button_by_tooltip (child ("disks_group"), i == 1 ? "Remove sdb (its image file is kept)"
                                                                               : i == 0 ? "Remove vda (its image file is kept)"
                                                                               : "Remove vdb (its image file is kept)");

      g_assert_nonnull (remove);
      g_signal_emit_by_name (remove, "clicked");
      wait_for_stored_count ("<disk ", 3 - i);
      g_assert_true (hangar_test_wait_until (hardware_ready, NULL, UI_TIMEOUT_S));
    }
  hangar_machine_call_undefine_sync (other, g_variant_new ("a{sv}", NULL), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (errors->len, ==, 0);
}

static void
test_pause_resume (void)
{
  show_view ("overview");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "machine.pause", NULL));
  wait_for_label ("state_value", "Paused");
  g_assert_true (button_shown ("resume"));
  g_assert_false (button_shown ("pause"));
  wait_for_tooltip ("shutdown", "The machine is paused: resume it first, or force it off");
  g_assert_false (action_enabled ("shutdown"));
  g_assert_true (action_enabled ("force-off"));
  save_screenshot ("machine-page-paused.png");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "machine.resume", NULL));
  wait_for_label ("state_value", "Running");
  wait_for_tooltip ("pause", "Stop the virtual CPUs; the memory is kept");
  g_assert_true (button_shown ("pause"));
}

static void
test_engine_error (void)
{
  g_autoptr(GError) error = NULL;
  const GError *emitted;

  /* Forced off behind the page's back: the page still shows it running, and
   * its Shut Down gets the engine's refusal. */
  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "machine.shutdown", NULL));
  g_assert_true (hangar_test_wait_until (error_emitted, NULL, UI_TIMEOUT_S));
  emitted = g_ptr_array_index (errors, 0);
  g_assert_error (emitted, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE);
  g_assert_cmpstr (emitted->message, ==, "Could not shut down “" MACHINE_NAME "”: The machine is not running");

  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", UI_TIMEOUT_S));
  wait_for_label ("state_value", "Shut Off");
  g_assert_true (action_enabled ("start"));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (child ("graph_grid"))));
  g_assert_cmpstr (description ("resources_group"), ==, "");
}

static void
test_no_machine (void)
{
  hangar_machine_page_set_machine (page, NULL, NULL);
  g_assert_null (hangar_machine_page_get_machine (page));
  g_assert_false (action_enabled ("start"));
  g_assert_cmpstr (tooltip ("start"), ==, "No machine is selected");
}

/* ---- Setup ---------------------------------------------------------------- */

static void
on_page_error (HangarMachinePage *emitter,
               const GError      *error,
               gpointer           data)
{
  g_test_message ("page error: %s", error->message);
  g_ptr_array_add (errors, g_error_copy (error));
}

static char *
guest_xml (void)
{
  g_autofree char *xml = hangar_test_guest_xml (MACHINE_NAME, NULL);
  g_autofree char *iso = g_build_filename (g_getenv ("HANGAR_TEST_GUEST_DIR"), "test-guest.iso", NULL);
  g_autofree char *escaped = g_markup_escape_text (iso, -1);
  g_autofree char *devices = g_strdup_printf (
    "    <disk type='file' device='cdrom'>\n"
    "      <driver name='qemu' type='raw'/>\n"
    "      <source file='%s'/>\n"
    "      <target dev='sda' bus='sata'/>\n"
    "      <readonly/>\n"
    "    </disk>\n"
    "    <interface type='user'>\n"
    "      <model type='virtio'/>\n"
    "    </interface>\n"
    "  </devices>", escaped);

  return replace (xml, "  </devices>", devices);
}

static gboolean
connection_ready (gpointer data)
{
  return hangar_connection_get_state (connection) == HANGAR_CONNECTION_CONNECTED;
}

static void
setup (void)
{
  g_autofree char *xml = guest_xml ();

  env = hangar_test_env_new (FALSE);
  machine = hangar_test_env_define (env, xml);
  errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);

  /* The page's own link to the engine, as the window gives it. */
  connection = hangar_connection_new (env->bus_address);
  hangar_connection_reconnect (connection);
  g_assert_true (hangar_test_wait_until (connection_ready, NULL, UI_TIMEOUT_S));

  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 960, 1000);
  page = HANGAR_MACHINE_PAGE (hangar_machine_page_new ());
  g_signal_connect (page, "error", G_CALLBACK (on_page_error), NULL);
  gtk_window_set_child (window, GTK_WIDGET (page));
  gtk_window_present (window);
}

static void
teardown (void)
{
  gtk_window_destroy (window);
  g_clear_object (&machine);
  g_clear_object (&connection);
  hangar_test_env_free (env);
  g_ptr_array_unref (errors);
}

int
main (int    argc,
      char **argv)
{
  int status;

  if (!hangar_test_gui_init (&argc, &argv))
    return g_test_run ();
  /* No cursor blink, whose timer warns when a popover's entry keeps the
   * focus of a window Xvfb never focuses. */
  g_object_set (gtk_settings_get_default (), "gtk-cursor-blink", FALSE, NULL);

  g_test_add_func ("/machine-page/def-edits", test_def_edits);
  g_test_add_func ("/machine-page/shut-off", test_shut_off);
  g_test_add_func ("/machine-page/narrow", test_narrow);
  g_test_add_func ("/machine-page/start", test_start);
  g_test_add_func ("/machine-page/console", test_console);
  g_test_add_func ("/machine-page/xml-bad-edit", test_xml_bad_edit);
  g_test_add_func ("/machine-page/xml-good-edit", test_xml_good_edit);
  g_test_add_func ("/machine-page/hardware-apply", test_hardware_apply);
  g_test_add_func ("/machine-page/hardware-devices", test_hardware_devices);
  g_test_add_func ("/machine-page/add-volume-disks", test_add_volume_disks);
  g_test_add_func ("/machine-page/pause-resume", test_pause_resume);
  g_test_add_func ("/machine-page/engine-error", test_engine_error);
  g_test_add_func ("/machine-page/no-machine", test_no_machine);

  setup ();
  status = g_test_run ();
  teardown ();
  return status;
}
