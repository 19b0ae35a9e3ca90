/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-machine-page"

/* The machine page against the real engine (a private dbus-daemon, the real
 * hangard, the busybox guest under QEMU): lifecycle buttons, the overview
 * and its graphs, the hardware list and its edits, the console, and the XML
 * editor's errors. Runs under Xvfb (meson test --suite gui) and saves a
 * screenshot of each view in tests/screenshots/ of the build tree. The cases
 * run in order on one engine, one machine and one window. */

#include <adwaita.h>
#include <glib/gstdio.h>

#include "hangar-machine-def.h"
#include "hangar-machine-page.h"
#include "hangar-test-env.h"
#include "hangar-usage-graph.h"
#include "hangard-error.h"

#define UI_TIMEOUT_S    20
#define GUEST_TIMEOUT_S 120
#define BOOT_MARKER     "HANGAR-GUEST-BOOTED"
#define MACHINE_NAME    "page-guest"

static HangarTestEnv     *env;
static GtkWindow         *window;
static HangarMachinePage *page;
static HangarMachine     *machine;
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

static gboolean
on_tick (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       data)
{
  (*(guint *) data)++;
  return G_SOURCE_CONTINUE;
}

static gboolean
frames_drawn (gpointer data)
{
  return *(guint *) data >= 3;
}

static void
wait_for_frames (GtkWidget *widget)
{
  guint frames = 0;
  guint id = gtk_widget_add_tick_callback (widget, on_tick, &frames, NULL);

  gtk_widget_queue_draw (widget);
  g_assert_true (hangar_test_wait_until (frames_drawn, &frames, UI_TIMEOUT_S));
  gtk_widget_remove_tick_callback (widget, id);
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
  guint n = 0;

  for (const char *p = strstr (xml, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
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
  g_autofree char *dir = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "screenshots", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GtkSnapshot *snapshot;
  GskRenderer *renderer;
  int width, height;

  wait_for_frames (widget);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);

  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);

  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));

  g_mkdir_with_parents (dir, 0755);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}

static void
save_screenshot (const char *name)
{
  save_widget_screenshot (GTK_WIDGET (window), name);
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
  hangar_machine_page_set_machine (page, machine, NULL);
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

static void
test_console (void)
{
  g_assert_true (hangar_test_wait_for_console (machine, BOOT_MARKER, GUEST_TIMEOUT_S));
  show_view ("console");
  wait_for_view_text ("console_view", BOOT_MARKER, UI_TIMEOUT_S);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (child ("console_stack")), ==, "log");
  g_assert_false (gtk_text_view_get_editable (child ("console_view")));
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

  /* A CD-ROM: raw on SATA, named after the first free SATA target. */
  gtk_popover_popup (child ("add_disk_popover"));
  g_assert_true (hangar_test_wait_until (popover_shown, child ("add_disk_popover"), UI_TIMEOUT_S));
  g_assert_false (gtk_widget_is_sensitive (child ("add_disk_confirm")));
  gtk_editable_set_text (child ("disk_path_entry"), iso);
  gtk_drop_down_set_selected (child ("disk_device_dropdown"), 1);
  g_assert_cmpuint (gtk_drop_down_get_selected (child ("disk_bus_dropdown")), ==, 1);
  save_widget_screenshot (child ("add_disk_popover"), "machine-page-add-disk.png");
  click ("add_disk_confirm");
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

static void
setup (void)
{
  g_autofree char *xml = guest_xml ();

  env = hangar_test_env_new (FALSE);
  machine = hangar_test_env_define (env, xml);
  errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);

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
  hangar_test_env_free (env);
  g_ptr_array_unref (errors);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_unsetenv ("LANGUAGE");

  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      g_test_skip ("no display: run under xvfb-run (meson test --suite gui)");
      return g_test_run ();
    }
  adw_init ();
  /* No crossfades half way in screenshots; no cursor blink, whose timer warns
   * when a popover's entry keeps the focus of a window Xvfb never focuses. */
  g_object_set (gtk_settings_get_default (),
                "gtk-enable-animations", FALSE,
                "gtk-cursor-blink", FALSE,
                NULL);

  g_test_add_func ("/machine-page/def-edits", test_def_edits);
  g_test_add_func ("/machine-page/shut-off", test_shut_off);
  g_test_add_func ("/machine-page/narrow", test_narrow);
  g_test_add_func ("/machine-page/start", test_start);
  g_test_add_func ("/machine-page/console", test_console);
  g_test_add_func ("/machine-page/xml-bad-edit", test_xml_bad_edit);
  g_test_add_func ("/machine-page/xml-good-edit", test_xml_good_edit);
  g_test_add_func ("/machine-page/hardware-apply", test_hardware_apply);
  g_test_add_func ("/machine-page/hardware-devices", test_hardware_devices);
  g_test_add_func ("/machine-page/pause-resume", test_pause_resume);
  g_test_add_func ("/machine-page/engine-error", test_engine_error);
  g_test_add_func ("/machine-page/no-machine", test_no_machine);

  setup ();
  status = g_test_run ();
  teardown ();
  return status;
}
