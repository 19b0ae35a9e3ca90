/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-screenshots"

/* The screenshots of the AppStream metadata (data/screenshots/), taken
 * from the real GUI on a real engine with real guests under Xvfb, the way
 * the other GUI tests drive it. They land in tests/screenshots/metainfo/
 * of the build tree; with $HANGAR_SCREENSHOTS_DIR set (ninja
 * update-screenshots), also there. Each screen is checked before it is
 * taken, so a screenshot shows what it claims to. */

#include "hangar-add-disk-dialog.h"
#include "hangar-application.h"
#include "hangar-machine-page.h"
#include "hangar-machine-row.h"
#include "hangar-new-machine.h"
#include "hangar-os-info.h"
#include "hangar-test-env.h"
#include "hangar-test-gui.h"
#include "hangar-usage-graph.h"
#include "hangar-window.h"

#include <glib/gstdio.h>
#include <string.h>

#define UI_TIMEOUT_S    30
#define GUEST_TIMEOUT_S 180
#define JOB_TIMEOUT_S   120
#define WIDTH           1180
#define HEIGHT          720
#define GIB             (G_GUINT64_CONSTANT (1024) * 1024 * 1024)

static HangarTestEnv     *env;
static HangarApplication *app;
static HangarWindow      *window;

/* ---- Widgets -------------------------------------------------------------- */

static GtkWidget *
find_row (const char *name)
{
  return hangar_test_find_widget (GTK_WIDGET (window), hangar_test_is_machine_row_of, name);
}

static gpointer
page_child (const char *name)
{
  GtkWidget *page = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window), HANGAR_TYPE_WINDOW,
                                                               "machine_page"));

  return gtk_widget_get_template_child (page, HANGAR_TYPE_MACHINE_PAGE, name);
}

/* ---- Waiting -------------------------------------------------------------- */

static void
wait_for_frames (GtkWidget *widget)
{
  hangar_test_wait_for_frames (widget, UI_TIMEOUT_S);
}

static gboolean
page_is (gpointer data)
{
  return g_strcmp0 (hangar_window_get_page_name (window), data) == 0;
}

static gboolean
row_shown (gpointer name)
{
  return find_row (name) != NULL;
}

typedef struct {
  const char *name;
  const char *icon;
} IconWait;

static gboolean
row_icon_is (gpointer data)
{
  IconWait *wait = data;
  GtkWidget *row = find_row (wait->name);
  GObject *icon = row ? gtk_widget_get_template_child (row, HANGAR_TYPE_MACHINE_ROW, "icon") : NULL;

  return icon != NULL && g_strcmp0 (gtk_image_get_icon_name (GTK_IMAGE (icon)), wait->icon) == 0;
}

static void
wait_for_row_icon (const char *name,
                   const char *icon)
{
  IconWait wait = { name, icon };

  g_assert_true (hangar_test_wait_until (row_icon_is, &wait, UI_TIMEOUT_S));
}

static gboolean
graph_has_samples (gpointer data)
{
  return hangar_usage_graph_get_n_samples (data) >= GPOINTER_TO_UINT (g_object_get_data (data, "wanted"));
}

static gboolean
widget_sensitive (gpointer widget)
{
  return gtk_widget_is_sensitive (widget);
}

static gboolean
toplevel_of_type_shown (gpointer type)
{
  GList *toplevels = gtk_window_list_toplevels ();
  gboolean found = FALSE;

  for (GList *l = toplevels; l != NULL; l = l->next)
    found = found || (G_TYPE_CHECK_INSTANCE_TYPE (l->data, GPOINTER_TO_SIZE (type)) &&
                      gtk_widget_get_mapped (l->data));
  g_list_free (toplevels);
  return found;
}

static gpointer
find_toplevel (GType type)
{
  GList *toplevels = gtk_window_list_toplevels ();
  gpointer found = NULL;

  g_assert_true (hangar_test_wait_until (toplevel_of_type_shown, GSIZE_TO_POINTER (type), UI_TIMEOUT_S));
  for (GList *l = toplevels; l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type) && gtk_widget_get_mapped (l->data))
      found = l->data;
  g_list_free (toplevels);
  return found;
}

static gboolean
window_width_near (gpointer data)
{
  return ABS (gtk_widget_get_width (GTK_WIDGET (window)) - GPOINTER_TO_INT (data)) <= 20;
}

/* The size asked for, give or take the window frame. */
static void
resize (int width,
        int height)
{
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  if (!hangar_test_wait_until (window_width_near, GINT_TO_POINTER (width), UI_TIMEOUT_S))
    g_error ("the window is %d wide, not %d", gtk_widget_get_width (GTK_WIDGET (window)), width);
  wait_for_frames (GTK_WIDGET (window));
}

/* ---- Screenshots ---------------------------------------------------------- */

static void
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  g_autofree char *dir = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "screenshots", "metainfo", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  const char *update_dir = g_getenv ("HANGAR_SCREENSHOTS_DIR");
  g_autoptr(GdkTexture) texture = NULL;
  int width, height;

  wait_for_frames (widget);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  texture = hangar_test_render_widget (widget);

  g_mkdir_with_parents (dir, 0755);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s (%d×%d)", path, width, height);

  if (update_dir != NULL && update_dir[0] != '\0')
    {
      g_autofree char *copy = g_build_filename (update_dir, name, NULL);

      g_assert_true (gdk_texture_save_to_png (texture, copy));
      g_test_message ("updated: %s", copy);
    }
}

/* ---- The engine ----------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *os_id;     /* NULL: none */
  guint       memory_mib;
  guint       vcpus;
  gboolean    disk;      /* a qcow2 volume of its own in the default pool */
} Guest;

static const Guest guests[] = {
  { "debian-web", "http://debian.org/debian/11", 1024, 2, TRUE },
  { "fedora-workstation", "http://fedoraproject.org/fedora/37", 2048, 2, TRUE },
  { "freebsd-builder", "http://freebsd.org/freebsd/13.1", 1024, 1, TRUE },
  { "router", NULL, 128, 1, FALSE },
  { "windows-10", "http://microsoft.com/win/10", 4096, 2, TRUE },
};

static gboolean
job_ended (gpointer data)
{
  return g_strcmp0 (hangar_job_get_state (data), "running") != 0;
}

static void
create_volume (const char *name,
               guint64     capacity)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pool_path = NULL;
  g_autofree char *job_path = NULL;
  g_autoptr(HangarStoragePool) pool = NULL;
  g_autoptr(HangarJob) job = NULL;

  hangar_manager_call_lookup_pool_sync (env->manager, "default", &pool_path, NULL, &error);
  g_assert_no_error (error);
  pool = hangar_storage_pool_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                             "io.github.hangarvm.Hangar1", pool_path, NULL, &error);
  g_assert_no_error (error);
  hangar_storage_pool_call_create_volume_sync (pool, name, capacity, "qcow2", g_variant_new ("a{sv}", NULL),
                                               &job_path, NULL, &error);
  g_assert_no_error (error);
  job = hangar_job_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE, "io.github.hangarvm.Hangar1",
                                   job_path, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_until (job_ended, job, JOB_TIMEOUT_S));
  g_assert_cmpstr (hangar_job_get_state (job), ==, "completed");
}

static char *
guest_xml (const Guest *guest)
{
  g_autoptr(GString) xml = g_string_new ("<domain type='kvm'>\n");
  g_autofree char *kernel = g_markup_escape_text (hangar_test_guest_kernel (), -1);
  g_autofree char *initrd = g_markup_escape_text (hangar_test_guest_initrd (), -1);

  g_string_append_printf (xml, "  <name>%s</name>\n", guest->name);
  if (guest->os_id != NULL)
    g_string_append_printf (xml,
                            "  <metadata>\n"
                            "    <libosinfo:libosinfo xmlns:libosinfo=\"http://libosinfo.org/xmlns/libvirt/domain/1.0\">\n"
                            "      <libosinfo:os id=\"%s\"/>\n"
                            "    </libosinfo:libosinfo>\n"
                            "  </metadata>\n", guest->os_id);
  g_string_append_printf (xml,
                          "  <memory unit='MiB'>%u</memory>\n"
                          "  <vcpu>%u</vcpu>\n"
                          "  <os>\n"
                          "    <type arch='x86_64' machine='q35'>hvm</type>\n"
                          "    <kernel>%s</kernel>\n"
                          "    <initrd>%s</initrd>\n"
                          "    <cmdline>console=ttyS0 quiet panic=-1 hangar.heartbeat</cmdline>\n"
                          "  </os>\n"
                          "  <features><acpi/><apic/></features>\n"
                          "  <devices>\n",
                          guest->memory_mib, guest->vcpus, kernel, initrd);
  if (guest->disk)
    g_string_append_printf (xml,
                            "    <disk type='volume' device='disk'>\n"
                            "      <driver name='qemu' type='qcow2'/>\n"
                            "      <source pool='default' volume='%s.qcow2'/>\n"
                            "      <target dev='vda' bus='virtio'/>\n"
                            "    </disk>\n", guest->name);
  g_string_append (xml,
                   "    <interface type='user'>\n"
                   "      <model type='virtio'/>\n"
                   "    </interface>\n"
                   "    <serial type='pty'><target port='0'/></serial>\n"
                   "  </devices>\n"
                   "</domain>\n");
  return g_string_free (g_steal_pointer (&xml), FALSE);
}

static HangarMachine *
start (const char *name)
{
  g_autoptr(GError) error = NULL;
  HangarMachine *machine = hangar_test_env_lookup (env, name);

  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);
  return machine;
}

/* ---- The screens ---------------------------------------------------------- */

/* The first start: nothing defined yet. */
static void
test_empty (void)
{
  g_assert_true (hangar_test_wait_until (page_is, "empty", UI_TIMEOUT_S));
  save_screenshot (GTK_WIDGET (window), "empty.png");
}

/* Machines of every family, two running; the running Debian's overview
 * with a minute of graphs. */
static void
test_machines (void)
{
  g_autoptr(HangarMachine) debian = NULL;
  g_autoptr(HangarMachine) router = NULL;
  g_autoptr(GError) error = NULL;
  GObject *cpu_graph;

  for (guint i = 0; i < G_N_ELEMENTS (guests); i++)
    {
      g_autofree char *xml = guest_xml (&guests[i]);
      g_autofree char *volume = g_strdup_printf ("%s.qcow2", guests[i].name);
      g_autoptr(HangarMachine) machine = NULL;

      if (guests[i].disk)
        create_volume (volume, 20 * GIB);
      machine = hangar_test_env_define (env, xml);
    }

  debian = start ("debian-web");
  router = start ("router");
  g_assert_true (hangar_test_wait_for_console (router, "HANGAR-GUEST-BOOTED", GUEST_TIMEOUT_S));
  hangar_machine_call_pause_sync (router, NULL, &error);
  g_assert_no_error (error);

  g_assert_true (hangar_test_wait_until (page_is, "machines", UI_TIMEOUT_S));
  for (guint i = 0; i < G_N_ELEMENTS (guests); i++)
    g_assert_true (hangar_test_wait_until (row_shown, (gpointer) guests[i].name, UI_TIMEOUT_S));
  wait_for_row_icon ("debian-web", HANGAR_OS_ICON_LINUX);
  wait_for_row_icon ("windows-10", HANGAR_OS_ICON_WINDOWS);
  wait_for_row_icon ("freebsd-builder", HANGAR_OS_ICON_BSD);
  wait_for_row_icon ("router", HANGAR_OS_ICON_UNKNOWN);

  g_assert_true (hangar_window_select_machine (window, g_dbus_proxy_get_object_path (G_DBUS_PROXY (debian))));
  adw_view_stack_set_visible_child_name (page_child ("stack"), "overview");
  g_assert_true (hangar_test_wait_for_console (debian, "HANGAR-GUEST-BOOTED", GUEST_TIMEOUT_S));
  cpu_graph = page_child ("cpu_graph");
  g_object_set_data (cpu_graph, "wanted", GUINT_TO_POINTER (8));
  g_assert_true (hangar_test_wait_until (graph_has_samples, cpu_graph, 60));
  save_screenshot (GTK_WIDGET (window), "machines.png");
}

/* The Hardware view of a machine with its disk, and Add Disk offering the
 * pool's volumes. */
static void
test_hardware (void)
{
  g_autoptr(HangarMachine) fedora = hangar_test_env_lookup (env, "fedora-workstation");
  HangarAddDiskDialog *dialog;

  create_volume ("shared-data.qcow2", 50 * GIB);
  g_assert_true (hangar_window_select_machine (window, g_dbus_proxy_get_object_path (G_DBUS_PROXY (fedora))));
  adw_view_stack_set_visible_child_name (page_child ("stack"), "hardware");
  g_assert_true (hangar_test_wait_until (widget_sensitive, page_child ("hardware_box"), UI_TIMEOUT_S));
  save_screenshot (GTK_WIDGET (window), "hardware.png");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window),
                                                                                       HANGAR_TYPE_WINDOW,
                                                                                       "machine_page")),
                                             "hardware.add-disk", NULL));
  dialog = find_toplevel (HANGAR_TYPE_ADD_DISK_DIALOG);
  save_screenshot (GTK_WIDGET (dialog), "add-disk.png");
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static gboolean
assistant_idle (gpointer data)
{
  return !hangar_new_machine_get_busy (data);
}

static gboolean
os_list_short (gpointer data)
{
  return g_list_model_get_n_items (data) < 40;
}

/* The assistant's operating system step: a Debian chosen from the list. */
static void
test_new_machine (void)
{
  HangarNewMachine *assistant;
  GtkListView *list;
  GtkSingleSelection *selection;
  guint n;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.new-machine", NULL));
  assistant = find_toplevel (HANGAR_TYPE_NEW_MACHINE);
  g_assert_true (hangar_test_wait_until (assistant_idle, assistant, UI_TIMEOUT_S));
  gtk_check_button_set_active (GTK_CHECK_BUTTON (gtk_widget_get_template_child (GTK_WIDGET (assistant),
                                                                                HANGAR_TYPE_NEW_MACHINE,
                                                                                "network_boot_check")), TRUE);
  g_assert_true (hangar_test_wait_until (assistant_idle, assistant, UI_TIMEOUT_S));
  wait_for_frames (GTK_WIDGET (assistant));
  gtk_widget_activate_action (GTK_WIDGET (assistant), "assistant.next", NULL);
  wait_for_frames (GTK_WIDGET (assistant));

  list = GTK_LIST_VIEW (gtk_widget_get_template_child (GTK_WIDGET (assistant), HANGAR_TYPE_NEW_MACHINE, "os_list"));
  selection = GTK_SINGLE_SELECTION (gtk_list_view_get_model (list));
  gtk_editable_set_text (GTK_EDITABLE (gtk_widget_get_template_child (GTK_WIDGET (assistant), HANGAR_TYPE_NEW_MACHINE,
                                                                      "os_search")), "debian");
  g_assert_true (hangar_test_wait_until (os_list_short, selection, UI_TIMEOUT_S));
  n = g_list_model_get_n_items (G_LIST_MODEL (selection));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(OsinfoOs) os = g_list_model_get_item (G_LIST_MODEL (selection), i);

      if (g_str_equal (hangar_os_info_get_id (os), "http://debian.org/debian/11"))
        gtk_single_selection_set_selected (selection, i);
    }
  g_assert_cmpstr (hangar_os_info_get_short_id (gtk_single_selection_get_selected_item (selection)), ==, "debian11");
  save_screenshot (GTK_WIDGET (assistant), "new-machine.png");
  gtk_window_destroy (GTK_WINDOW (assistant));
}

/* A narrow window (a phone, a small ssh -X window): the list alone. */
static void
test_narrow (void)
{
  hangar_window_select_machine (window, NULL);
  resize (420, HEIGHT);
  g_assert_true (hangar_test_wait_until (row_shown, "windows-10", UI_TIMEOUT_S));
  save_screenshot (GTK_WIDGET (window), "narrow.png");
  resize (WIDTH, HEIGHT);
}

static void
stop_guests (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (guests); i++)
    {
      g_autoptr(HangarMachine) machine = hangar_test_env_lookup (env, guests[i].name);

      if (machine != NULL && !g_str_equal (hangar_machine_get_state (machine), "shutoff"))
        {
          hangar_machine_call_force_off_sync (machine, NULL, NULL);
          hangar_test_wait_for_state (machine, "shutoff", UI_TIMEOUT_S);
        }
    }
}

/* ---- Setup ---------------------------------------------------------------- */

static void
start_app (void)
{
  /* The test's bus is the app's session bus, and the session engine is
   * the one on it: the header says "This computer (user)" as it would. */
  app = hangar_test_start_app (env, "session", &window);
  resize (WIDTH, HEIGHT);
}

int
main (int    argc,
      char **argv)
{
  int status;

  if (!hangar_test_gui_init (&argc, &argv))
    return g_test_run ();
  g_object_set (gtk_settings_get_default (), "gtk-cursor-blink", FALSE, NULL);

  g_test_add_func ("/screenshots/empty", test_empty);
  g_test_add_func ("/screenshots/machines", test_machines);
  g_test_add_func ("/screenshots/hardware", test_hardware);
  g_test_add_func ("/screenshots/new-machine", test_new_machine);
  g_test_add_func ("/screenshots/narrow", test_narrow);

  env = hangar_test_env_new (FALSE);
  start_app ();
  status = g_test_run ();

  stop_guests ();
  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&app);
  hangar_test_env_free (env);
  return status;
}
