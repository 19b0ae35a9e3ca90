/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-new-machine"

/* The New Machine assistant and its libosinfo helper. The helper is
 * checked against the installed osinfo-db; the assistant against the real
 * engine (a private dbus-daemon, the real hangard, real QEMU), driven
 * through its actions and widgets, with a screenshot of each page in
 * tests/screenshots/ of the build tree. Runs under Xvfb. */

#include "hangar-new-machine.h"
#include "hangar-os-info.h"
#include "hangar-test-env.h"
#include "hangar-test-gui.h"

#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define UI_TIMEOUT_S    30
#define JOB_TIMEOUT_S   120
#define BOOT_TIMEOUT_S  120
#define MIB             (G_GUINT64_CONSTANT (1024) * 1024)
#define GIB             (MIB * 1024)
#define GUEST_ISO       "test-guest.iso"

static HangarTestEnv *env;    /* session mode, shared by the assistant's cases */

/* ---- Waiting -------------------------------------------------------------- */

typedef struct {
  gboolean  done;
  GObject  *object;
  GError   *error;
} AsyncWait;

static gboolean
async_done (gpointer data)
{
  return ((AsyncWait *) data)->done;
}

static void
on_db_loaded (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  AsyncWait *wait = user_data;

  wait->object = G_OBJECT (hangar_os_info_load_db_finish (result, &wait->error));
  wait->done = TRUE;
}

static OsinfoDb *
load_db (void)
{
  AsyncWait wait = { 0 };

  hangar_os_info_load_db_async (NULL, on_db_loaded, &wait);
  g_assert_true (hangar_test_wait_until (async_done, &wait, UI_TIMEOUT_S));
  g_assert_no_error (wait.error);
  g_assert_true (OSINFO_IS_DB (wait.object));
  return OSINFO_DB (wait.object);
}

static void
on_detected (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  AsyncWait *wait = user_data;

  wait->object = G_OBJECT (hangar_os_info_detect_finish (result, &wait->error));
  wait->done = TRUE;
}

/* The system on @path, or NULL; *error as the helper says. */
static OsinfoOs *
detect (OsinfoDb    *db,
        const char  *path,
        GError     **error)
{
  AsyncWait wait = { 0 };

  hangar_os_info_detect_async (db, path, NULL, on_detected, &wait);
  g_assert_true (hangar_test_wait_until (async_done, &wait, UI_TIMEOUT_S));
  if (wait.error != NULL)
    g_propagate_error (error, wait.error);
  return wait.object ? OSINFO_OS (wait.object) : NULL;
}

static char *
guest_file (const char *name)
{
  return g_build_filename (g_getenv ("HANGAR_TEST_GUEST_DIR"), name, NULL);
}

/* The newest Debian osinfo-db knows: Debian 12 where the database has it
 * (Debian 12's own osinfo-db 20221130 stops at Debian 11). */
static OsinfoOs *
newest_debian (OsinfoDb *db)
{
  g_autoptr(GPtrArray) found = hangar_os_info_search (db, "debian");

  g_assert_cmpuint (found->len, >, 0);
  for (guint i = 0; i < found->len; i++)
    {
      OsinfoOs *os = g_ptr_array_index (found, i);

      if (g_strcmp0 (hangar_os_info_get_short_id (os), "debian12") == 0)
        return g_object_ref (os);
    }
  for (guint i = 0; i < found->len; i++)
    {
      OsinfoOs *os = g_ptr_array_index (found, i);
      const char *short_id = hangar_os_info_get_short_id (os);

      if (g_str_has_prefix (short_id, "debian") && g_ascii_isdigit (short_id[strlen ("debian")]))
        return g_object_ref (os);
    }
  g_assert_not_reached ();
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GFile) file = g_file_new_for_path (dir);
  g_autoptr(GFileEnumerator) children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                                                   G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                                                   NULL, NULL);
  GFileInfo *info;

  while (children != NULL && (info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
    {
      g_autofree char *child = g_build_filename (dir, g_file_info_get_name (info), NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_remove (child);
      g_object_unref (info);
    }
  g_rmdir (dir);
}

/* An ISO that libosinfo takes for Debian 11's network installer: only its
 * volume ID matters. NULL (the test skipped) without xorriso. */
static char *
make_debian_iso (const char *dir)
{
  g_autofree char *content = g_build_filename (dir, "content", NULL);
  g_autofree char *readme = g_build_filename (content, "README", NULL);
  g_autofree char *iso = g_build_filename (dir, "debian-11.5.0-amd64-netinst.iso", NULL);
  g_autofree char *xorriso = g_find_program_in_path ("xorriso");
  g_autoptr(GError) error = NULL;
  int status;

  if (xorriso == NULL)
    {
      g_test_skip ("xorriso is not installed");
      return NULL;
    }

  g_assert_cmpint (g_mkdir_with_parents (content, 0755), ==, 0);
  g_assert_true (g_file_set_contents (readme, "not really Debian\n", -1, NULL));
  g_spawn_sync (NULL, (char *[]) { xorriso, "-as", "mkisofs", "-quiet", "-V", "Debian 11.5.0 amd64 n",
                                   "-o", iso, content, NULL },
                NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_steal_pointer (&iso);
}

/* ---- hangar-os-info ------------------------------------------------------- */

static void
test_os_info_detect (void)
{
  g_autoptr(OsinfoDb) db = load_db ();
  g_autofree char *dir = g_dir_make_tmp ("test-new-machine-XXXXXX", NULL);
  g_autofree char *iso = make_debian_iso (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(OsinfoOs) os = NULL;

  if (iso == NULL)
    {
      remove_tree (dir);
      return;
    }

  os = detect (db, iso, &error);
  g_assert_no_error (error);
  g_assert_nonnull (os);
  g_assert_cmpstr (hangar_os_info_get_id (os), ==, "http://debian.org/debian/11");
  g_assert_cmpstr (hangar_os_info_get_short_id (os), ==, "debian11");
  g_assert_cmpstr (hangar_os_info_get_name (os), ==, "Debian 11");
  remove_tree (dir);
}


/* The busybox test ISO is nothing libosinfo knows: no system, no error;
 * neither is a kernel image (not an ISO at all); a missing file is an error. */
static void
test_os_info_unknown_iso (void)
{
  g_autoptr(OsinfoDb) db = load_db ();
  g_autofree char *iso = guest_file (GUEST_ISO);
  g_autofree char *kernel = guest_file ("vmlinuz");
  g_autofree char *missing = guest_file ("no-such.iso");
  g_autoptr(GError) error = NULL;
  g_autoptr(OsinfoOs) os = NULL;
  HangarOsResources resources;

  os = detect (db, iso, &error);
  g_assert_no_error (error);
  g_assert_null (os);

  os = detect (db, kernel, &error);
  g_assert_no_error (error);
  g_assert_null (os);

  os = detect (db, missing, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (os);

  /* Unknown: the general settings. */
  hangar_os_info_get_resources (NULL, &resources);
  g_assert_false (resources.from_osinfo);
  g_assert_cmpuint (resources.ram, ==, 2 * GIB);
  g_assert_cmpuint (resources.n_cpus, ==, 2);
  g_assert_cmpuint (resources.storage, ==, 20 * GIB);
  g_assert_true (hangar_os_info_supports_device (NULL, "block", "virtio"));
}

static void
test_os_info_search (void)
{
  g_autoptr(OsinfoDb) db = load_db ();
  g_autoptr(OsinfoOs) debian = newest_debian (db);
  g_autoptr(OsinfoOs) windows = g_object_ref (osinfo_db_get_os (db, "http://microsoft.com/win/10"));
  g_autoptr(GListModel) all = hangar_os_info_list_oses (db);
  g_autoptr(GPtrArray) everything = hangar_os_info_search (db, "");
  g_autoptr(GPtrArray) none = hangar_os_info_search (db, "no such system anywhere");
  HangarOsResources resources;

  g_test_message ("newest Debian in osinfo-db: %s (%s)", hangar_os_info_get_name (debian),
                  hangar_os_info_get_short_id (debian));
  g_assert_true (g_str_has_prefix (hangar_os_info_get_name (debian), "Debian "));
  g_assert_true (g_str_has_prefix (hangar_os_info_get_id (debian), "http://debian.org/debian/"));

  hangar_os_info_get_resources (debian, &resources);
  g_assert_true (resources.from_osinfo);
  g_assert_cmpuint (resources.ram, >=, GIB);
  g_assert_cmpuint (resources.n_cpus, >=, 1);
  g_assert_cmpuint (resources.storage, >=, 5 * GIB);

  /* Words in any order, any case, name or short ID or vendor. */
  g_assert_true (hangar_os_info_matches (debian, "DEBIAN"));
  g_assert_true (hangar_os_info_matches (debian, hangar_os_info_get_short_id (debian)));
  g_assert_true (hangar_os_info_matches (debian, "project debian"));
  g_assert_false (hangar_os_info_matches (debian, "debian fedora"));
  g_assert_cmpuint (none->len, ==, 0);

  /* The whole list, without libosinfo's "Unknown" placeholder. */
  g_assert_cmpuint (everything->len, ==, g_list_model_get_n_items (all));
  g_assert_cmpuint (everything->len, >, 100);
  for (guint i = 0; i < everything->len; i++)
    g_assert_cmpstr (hangar_os_info_get_short_id (g_ptr_array_index (everything, i)), !=, "unknown");

  /* Device support drives the hardware: Windows has no virtio drivers. */
  g_assert_true (hangar_os_info_supports_device (debian, "block", "virtio"));
  g_assert_true (hangar_os_info_supports_device (debian, "net", "virtio"));
  g_assert_false (hangar_os_info_supports_device (windows, "block", "virtio"));
  g_assert_true (hangar_os_info_supports_device (windows, "net", "e1000"));
}

/* Each family its icon (drawn for Hangar, in the GResource), found by the
 * icon theme; IDs the database lacks take their distro's. */
static void
test_os_icons (void)
{
  g_autoptr(OsinfoDb) db = load_db ();
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (gdk_display_get_default ());
  const char *icons[] = { HANGAR_OS_ICON_LINUX, HANGAR_OS_ICON_WINDOWS, HANGAR_OS_ICON_BSD,
                          HANGAR_OS_ICON_UNKNOWN };
  struct {
    const char *id;
    const char *icon;
  } cases[] = {
    { "http://debian.org/debian/11", HANGAR_OS_ICON_LINUX },
    { "http://fedoraproject.org/fedora/37", HANGAR_OS_ICON_LINUX },
    { "http://microsoft.com/win/10", HANGAR_OS_ICON_WINDOWS },
    { "http://microsoft.com/win/2k", HANGAR_OS_ICON_WINDOWS },
    { "http://freebsd.org/freebsd/13.1", HANGAR_OS_ICON_BSD },
    { "http://openbsd.org/openbsd/7.2", HANGAR_OS_ICON_BSD },
    { "http://apple.com/macosx/10.7", HANGAR_OS_ICON_UNKNOWN },
    /* Not in this database: Debian's family all the same. */
    { "http://debian.org/debian/99", HANGAR_OS_ICON_LINUX },
    { "http://example.com/nothing/1", HANGAR_OS_ICON_UNKNOWN },
    { "", HANGAR_OS_ICON_UNKNOWN },
    { NULL, HANGAR_OS_ICON_UNKNOWN },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpstr (hangar_os_info_icon_name_for_id (db, cases[i].id), ==, cases[i].icon);
  g_assert_cmpstr (hangar_os_info_get_icon_name (NULL), ==, HANGAR_OS_ICON_UNKNOWN);

  hangar_os_info_add_icon_path (gdk_display_get_default ());
  for (guint i = 0; i < G_N_ELEMENTS (icons); i++)
    {
      g_autoptr(GtkIconPaintable) paintable = NULL;
      g_autoptr(GFile) file = NULL;
      g_autofree char *uri = NULL;

      g_assert_true (gtk_icon_theme_has_icon (theme, icons[i]));
      paintable = gtk_icon_theme_lookup_icon (theme, icons[i], NULL, 32, 1, GTK_TEXT_DIR_NONE, 0);
      file = gtk_icon_paintable_get_file (paintable);
      uri = file ? g_file_get_uri (file) : NULL;
      g_test_message ("%s: %s", icons[i], uri);
      g_assert_true (g_str_has_prefix (uri, "resource:///io/github/hangarvm/Hangar/icons/"));
      g_assert_true (gtk_icon_paintable_is_symbolic (paintable));
    }
}

/* ---- Driving the assistant ------------------------------------------------ */

#define CHILD(assistant, type, name) \
  type (gtk_widget_get_template_child (GTK_WIDGET (assistant), HANGAR_TYPE_NEW_MACHINE, name))

static gboolean
not_busy (gpointer data)
{
  return !hangar_new_machine_get_busy (data);
}

static void
wait_idle (HangarNewMachine *assistant)
{
  g_assert_true (hangar_test_wait_until (not_busy, assistant, UI_TIMEOUT_S));
  hangar_test_settle ();
}

static void
wait_for_frames (GtkWidget *widget)
{
  hangar_test_wait_for_frames (widget, UI_TIMEOUT_S);
}

static void
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  hangar_test_save_screenshot (widget, name, UI_TIMEOUT_S);
}

static gboolean
action_enabled (HangarNewMachine *assistant,
                const char       *action)
{
  /* The buttons follow the actions' enabled state. */
  GtkWidget *button = CHILD (assistant, GTK_WIDGET, g_str_equal (action, "assistant.create")
                                                    ? "create_button" : "next_button");

  return gtk_widget_get_sensitive (button);
}

static const char *
problem_text (HangarNewMachine *assistant)
{
  GtkRevealer *revealer = CHILD (assistant, GTK_REVEALER, "problem_revealer");

  if (!gtk_revealer_get_reveal_child (revealer))
    return NULL;
  return gtk_label_get_text (CHILD (assistant, GTK_LABEL, "problem_label"));
}

static void
next (HangarNewMachine *assistant)
{
  g_assert_true (action_enabled (assistant, "assistant.next"));
  gtk_widget_activate_action (GTK_WIDGET (assistant), "assistant.next", NULL);
  wait_for_frames (GTK_WIDGET (assistant));
}

static void
back (HangarNewMachine *assistant)
{
  gtk_widget_activate_action (GTK_WIDGET (assistant), "assistant.back", NULL);
  wait_for_frames (GTK_WIDGET (assistant));
}

static const char *
page_subtitle (HangarNewMachine *assistant)
{
  return adw_window_title_get_subtitle (CHILD (assistant, ADW_WINDOW_TITLE, "window_title"));
}

/* Picks the entry of a combo row whose label starts with @prefix. */
static void
select_in_combo (HangarNewMachine *assistant,
                 const char       *combo_name,
                 const char       *prefix)
{
  AdwComboRow *combo = CHILD (assistant, ADW_COMBO_ROW, combo_name);
  GListModel *model = adw_combo_row_get_model (combo);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GtkStringObject) item = g_list_model_get_item (model, i);

      if (g_str_has_prefix (gtk_string_object_get_string (item), prefix))
        {
          adw_combo_row_set_selected (combo, i);
          return;
        }
    }
  g_error ("no '%s…' in %s", prefix, combo_name);
}

static gboolean
list_filtered (gpointer data)
{
  return g_list_model_get_n_items (data) < 20;
}

/* Searches the OS list for @os and selects it, as a click would. */
static void
choose_os (HangarNewMachine *assistant,
           OsinfoOs         *os)
{
  GtkListView *list = CHILD (assistant, GTK_LIST_VIEW, "os_list");
  GtkSingleSelection *selection = GTK_SINGLE_SELECTION (gtk_list_view_get_model (list));

  /* The search entry waits for typing to pause before it filters. */
  gtk_editable_set_text (CHILD (assistant, GTK_EDITABLE, "os_search"), hangar_os_info_get_short_id (os));
  g_assert_true (hangar_test_wait_until (list_filtered, selection, UI_TIMEOUT_S));
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (selection)); i++)
    {
      g_autoptr(OsinfoOs) item = g_list_model_get_item (G_LIST_MODEL (selection), i);

      if (g_str_equal (hangar_os_info_get_id (item), hangar_os_info_get_id (os)))
        {
          gtk_single_selection_set_selected (selection, i);
          return;
        }
    }
  g_error ("%s is not in the list", hangar_os_info_get_id (os));
}

static HangarNewMachine *
open_assistant (HangarTestEnv *test_env)
{
  HangarNewMachine *assistant;

  assistant = hangar_new_machine_present_with (NULL, test_env->connection, test_env->object_manager,
                                               test_env->manager);
  g_object_add_weak_pointer (G_OBJECT (assistant), (gpointer *) &assistant);
  gtk_window_set_default_size (GTK_WINDOW (assistant), 640, 640);
  wait_idle (assistant);
  g_object_remove_weak_pointer (G_OBJECT (assistant), (gpointer *) &assistant);
  return assistant;
}

/* ---- The engine ----------------------------------------------------------- */

static HangarStoragePool *
default_pool (HangarTestEnv *test_env)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  HangarStoragePool *pool;

  hangar_manager_call_lookup_pool_sync (test_env->manager, "default", &path, NULL, &error);
  g_assert_no_error (error);
  pool = hangar_storage_pool_proxy_new_sync (test_env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                             "io.github.hangarvm.Hangar1", path, NULL, &error);
  g_assert_no_error (error);
  return pool;
}

static gboolean
job_ended (gpointer data)
{
  return g_strcmp0 (hangar_job_get_state (data), "running") != 0;
}

/* An ISO file, copied into the default pool as install media @name. */
static void
upload_iso (HangarTestEnv *test_env,
            const char    *iso,
            const char    *name)
{
  g_autoptr(HangarStoragePool) pool = default_pool (test_env);
  g_autoptr(GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *job_path = NULL;
  g_autoptr(HangarJob) job = NULL;
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

  job = hangar_job_proxy_new_sync (test_env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                   "io.github.hangarvm.Hangar1", job_path, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_until (job_ended, job, JOB_TIMEOUT_S));
  g_assert_cmpstr (hangar_job_get_error_message (job), ==, "");
  g_assert_cmpstr (hangar_job_get_state (job), ==, "completed");
  hangar_test_settle ();
}

static HangarVolume *
find_volume (HangarTestEnv *test_env,
             const char    *name)
{
  g_autolist(GDBusObject) objects = NULL;

  hangar_test_settle ();
  objects = g_dbus_object_manager_get_objects (test_env->object_manager);
  for (GList *l = objects; l != NULL; l = l->next)
    {
      HangarVolume *volume = hangar_object_peek_volume (HANGAR_OBJECT (l->data));

      if (volume != NULL && g_str_equal (hangar_volume_get_name (volume), name))
        return g_object_ref (volume);
    }
  return NULL;
}

typedef struct {
  char             *path;
  HangarNewMachine *assistant;
} Created;

static void
on_created (HangarNewMachine *assistant,
            const char       *path,
            Created          *created)
{
  created->path = g_strdup (path);
}

static gboolean
created_seen (gpointer data)
{
  return ((Created *) data)->path != NULL;
}

static HangarMachine *
machine_proxy (HangarTestEnv *test_env,
               const char    *path)
{
  g_autoptr(GError) error = NULL;
  HangarMachine *machine;

  machine = hangar_machine_proxy_new_sync (test_env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                           "io.github.hangarvm.Hangar1", path, NULL, &error);
  g_assert_no_error (error);
  return machine;
}

static char *
machine_xml (HangarMachine *machine)
{
  g_autoptr(GError) error = NULL;
  char *xml = NULL;

  hangar_machine_call_get_xml_sync (machine, g_variant_new ("a{sv}", NULL), &xml, NULL, &error);
  g_assert_no_error (error);
  return xml;
}

static void
force_off (HangarMachine *machine)
{
  g_autoptr(GError) error = NULL;

  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", UI_TIMEOUT_S));
}

static gboolean
created_or_failed (gpointer data)
{
  Created *created = data;

  /* Once created, the assistant is gone: not looked at. */
  return created->path != NULL || !hangar_new_machine_get_busy (created->assistant);
}

/* Goes on from the current page to the summary and presses Create; the
 * new machine's object path. */
static char *
create_through_pages (HangarNewMachine *assistant)
{
  Created created = { NULL, assistant };
  GtkWidget *create = CHILD (assistant, GTK_WIDGET, "create_button");

  g_signal_connect (assistant, "created", G_CALLBACK (on_created), &created);
  while (!gtk_widget_get_visible (create))
    next (assistant);
  gtk_widget_activate_action (GTK_WIDGET (assistant), "assistant.create", NULL);
  g_assert_true (hangar_test_wait_until (created_or_failed, &created, BOOT_TIMEOUT_S));
  if (created.path == NULL)
    g_error ("not created: %s", problem_text (assistant));
  return created.path;
}

static void
set_small_machine (HangarNewMachine *assistant)
{
  gtk_spin_button_set_value (CHILD (assistant, GTK_SPIN_BUTTON, "memory_spin"), 256);
  gtk_spin_button_set_value (CHILD (assistant, GTK_SPIN_BUTTON, "cpus_spin"), 1);
}

static const char *
combo_text (HangarNewMachine *assistant,
            const char       *combo_name)
{
  AdwComboRow *combo = CHILD (assistant, ADW_COMBO_ROW, combo_name);
  GtkStringObject *item = adw_combo_row_get_selected_item (combo);

  return item ? gtk_string_object_get_string (item) : NULL;
}

/* ---- The assistant -------------------------------------------------------- */

/* Install from the test ISO in the default pool, through every page, with
 * a screenshot of each: a machine with the chosen memory and processors,
 * a new qcow2 disk, the ISO as its CD-ROM, running and booted. */
static void
test_create_from_iso (void)
{
  HangarNewMachine *assistant;
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(HangarVolume) disk = NULL;
  g_autofree char *xml = NULL;
  Created created = { NULL, NULL };
  g_autofree char *iso = guest_file (GUEST_ISO);

  upload_iso (env, iso, GUEST_ISO);
  assistant = open_assistant (env);
  g_signal_connect (assistant, "created", G_CALLBACK (on_created), &created);

  /* 1. Source: the pool's ISO, offered without asking. */
  g_assert_cmpstr (page_subtitle (assistant), ==, "Step 1 of 6: Source");
  select_in_combo (assistant, "iso_combo", GUEST_ISO);
  wait_idle (assistant);
  save_screenshot (GTK_WIDGET (assistant), "new-machine-1-source.png");
  next (assistant);

  /* 2. The busybox ISO is unknown to libosinfo: general settings. */
  g_assert_cmpstr (page_subtitle (assistant), ==, "Step 2 of 6: Operating System");
  g_assert_cmpstr (adw_preferences_row_get_title (CHILD (assistant, ADW_PREFERENCES_ROW, "os_row")),
                   ==, "Unknown Operating System");
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (CHILD (assistant, ADW_ACTION_ROW, "os_row")),
                            "was not recognized"));
  save_screenshot (GTK_WIDGET (assistant), "new-machine-2-os.png");
  next (assistant);

  /* 3. Defaults 2 GiB / 2 CPUs (capped by the host); the guest needs little. */
  g_assert_cmpstr (page_subtitle (assistant), ==, "Step 3 of 6: Memory and Processors");
  gtk_spin_button_set_value (CHILD (assistant, GTK_SPIN_BUTTON, "memory_spin"), 256);
  gtk_spin_button_set_value (CHILD (assistant, GTK_SPIN_BUTTON, "cpus_spin"), 1);
  save_screenshot (GTK_WIDGET (assistant), "new-machine-3-resources.png");
  next (assistant);

  /* 4. A new 1 GiB disk in the default pool. */
  g_assert_cmpstr (page_subtitle (assistant), ==, "Step 4 of 6: Storage");
  g_assert_cmpint (gtk_spin_button_get_value_as_int (CHILD (assistant, GTK_SPIN_BUTTON, "size_spin")), ==, 20);
  gtk_spin_button_set_value (CHILD (assistant, GTK_SPIN_BUTTON, "size_spin"), 0);
  g_assert_false (action_enabled (assistant, "assistant.next"));
  g_assert_cmpstr (problem_text (assistant), ==, "Give the new disk a size");
  gtk_spin_button_set_value (CHILD (assistant, GTK_SPIN_BUTTON, "size_spin"), 1);
  save_screenshot (GTK_WIDGET (assistant), "new-machine-4-storage.png");
  next (assistant);

  /* 5. Named after the ISO, for want of a system's short ID. */
  g_assert_cmpstr (page_subtitle (assistant), ==, "Step 5 of 6: Name and Network");
  g_assert_cmpstr (gtk_editable_get_text (CHILD (assistant, GTK_EDITABLE, "name_entry")), ==, "test-guest");
  save_screenshot (GTK_WIDGET (assistant), "new-machine-5-name.png");
  next (assistant);

  /* 6. Summary, then Create. */
  g_assert_cmpstr (page_subtitle (assistant), ==, "Step 6 of 6: Summary");
  g_assert_cmpstr (adw_action_row_get_subtitle (CHILD (assistant, ADW_ACTION_ROW, "summary_disk_row")),
                   ==, "New 1.0\u00a0GiB disk “test-guest.qcow2” in pool “default”");
  g_assert_true (action_enabled (assistant, "assistant.create"));
  save_screenshot (GTK_WIDGET (assistant), "new-machine-6-summary.png");

  gtk_widget_activate_action (GTK_WIDGET (assistant), "assistant.create", NULL);
  g_assert_true (hangar_new_machine_get_busy (assistant));
  g_assert_true (hangar_test_wait_until (created_seen, &created, BOOT_TIMEOUT_S));

  machine = machine_proxy (env, created.path);
  g_assert_cmpstr (hangar_machine_get_name (machine), ==, "test-guest");
  g_assert_cmpuint (hangar_machine_get_memory_kib (machine), ==, 256 * 1024);
  g_assert_cmpuint (hangar_machine_get_vcpus (machine), ==, 1);
  g_assert_true (hangar_test_wait_for_state (machine, "running", UI_TIMEOUT_S));

  disk = find_volume (env, "test-guest.qcow2");
  g_assert_nonnull (disk);
  g_assert_cmpstr (hangar_volume_get_format (disk), ==, "qcow2");
  g_assert_cmpuint (hangar_volume_get_capacity (disk), ==, GIB);

  xml = machine_xml (machine);
  g_test_message ("defined:\n%s", xml);
  g_strdelimit (xml, "\"", '\'');
  g_assert_nonnull (strstr (xml, "<disk type='volume' device='cdrom'>"));
  g_assert_nonnull (strstr (xml, "<source pool='default' volume='" GUEST_ISO "'/>"));
  g_assert_nonnull (strstr (xml, "<source pool='default' volume='test-guest.qcow2'/>"));

  /* The installer on the CD-ROM boots. */
  g_assert_true (hangar_test_wait_for_console (machine, "HANGAR-GUEST-BOOTED", BOOT_TIMEOUT_S));
  force_off (machine);
  g_free (created.path);
}

/* The name comes from the system's short ID and dodges taken names;
 * invalid choices keep Next insensitive and say why. */
static void
test_name_and_checks (void)
{
  g_autoptr(OsinfoDb) db = load_db ();
  g_autoptr(OsinfoOs) debian = newest_debian (db);
  const char *short_id = hangar_os_info_get_short_id (debian);
  g_autofree char *taken_xml = hangar_test_guest_xml (short_id, NULL);
  g_autoptr(HangarMachine) taken = hangar_test_env_define (env, taken_xml);
  g_autofree char *expected = g_strdup_printf ("%s-2", short_id);
  g_autofree char *xml = NULL;
  HangarNewMachine *assistant;
  GtkSpinButton *memory;
  HangarOsResources resources;

  hangar_test_settle ();
  assistant = open_assistant (env);

  /* Kernel boot: nothing to detect; the path must be there and absolute. */
  gtk_check_button_set_active (CHILD (assistant, GTK_CHECK_BUTTON, "kernel_check"), TRUE);
  g_assert_false (action_enabled (assistant, "assistant.next"));
  g_assert_cmpstr (problem_text (assistant), ==, "Enter the path of the kernel");
  gtk_editable_set_text (CHILD (assistant, GTK_EDITABLE, "kernel_entry"), "vmlinuz");
  g_assert_cmpstr (problem_text (assistant), ==, "The kernel path must be absolute (start with “/”)");
  gtk_editable_set_text (CHILD (assistant, GTK_EDITABLE, "kernel_entry"), hangar_test_guest_kernel ());
  wait_idle (assistant);
  next (assistant);

  /* Chosen from the list: its recommendations and its name. */
  choose_os (assistant, debian);
  g_assert_cmpstr (adw_preferences_row_get_title (CHILD (assistant, ADW_PREFERENCES_ROW, "os_row")),
                   ==, hangar_os_info_get_name (debian));
  g_assert_cmpstr (gtk_image_get_icon_name (CHILD (assistant, GTK_IMAGE, "os_icon")), ==, HANGAR_OS_ICON_LINUX);
  save_screenshot (GTK_WIDGET (assistant), "new-machine-os-chosen.png");
  next (assistant);

  hangar_os_info_get_resources (debian, &resources);
  memory = CHILD (assistant, GTK_SPIN_BUTTON, "memory_spin");
  g_assert_cmpuint ((guint64) gtk_spin_button_get_value_as_int (memory) * MIB, ==, resources.ram);

  /* Never more than the host; a warning past 80 % of it. */
  gtk_spin_button_set_value (memory, 1024.0 * 1024 * 1024);
  g_assert_cmpfloat (gtk_spin_button_get_value (memory), <, 1024.0 * 1024 * 1024);
  g_assert_true (gtk_widget_get_visible (CHILD (assistant, GTK_WIDGET, "memory_warning")));
  g_assert_true (action_enabled (assistant, "assistant.next"));
  save_screenshot (GTK_WIDGET (assistant), "new-machine-memory-warning.png");
  gtk_spin_button_set_value (memory, 256);
  g_assert_false (gtk_widget_get_visible (CHILD (assistant, GTK_WIDGET, "memory_warning")));
  next (assistant);
  gtk_switch_set_active (CHILD (assistant, GTK_SWITCH, "disk_switch"), FALSE);
  next (assistant);

  /* "debian12" is taken: "debian12-2". */
  g_assert_cmpstr (gtk_editable_get_text (CHILD (assistant, GTK_EDITABLE, "name_entry")), ==, expected);
  gtk_editable_set_text (CHILD (assistant, GTK_EDITABLE, "name_entry"), short_id);
  g_assert_false (action_enabled (assistant, "assistant.next"));
  g_assert_nonnull (strstr (problem_text (assistant), "already exists"));
  save_screenshot (GTK_WIDGET (assistant), "new-machine-name-taken.png");
  gtk_editable_set_text (CHILD (assistant, GTK_EDITABLE, "name_entry"), "");
  g_assert_cmpstr (problem_text (assistant), ==, "Give the machine a name");
  gtk_editable_set_text (CHILD (assistant, GTK_EDITABLE, "name_entry"), "-x");
  g_assert_false (action_enabled (assistant, "assistant.next"));
  gtk_editable_set_text (CHILD (assistant, GTK_EDITABLE, "name_entry"), expected);
  g_assert_true (action_enabled (assistant, "assistant.next"));

  /* Back and forth keeps what was typed. */
  back (assistant);
  next (assistant);
  g_assert_cmpstr (gtk_editable_get_text (CHILD (assistant, GTK_EDITABLE, "name_entry")), ==, expected);

  /* What Create would send: the system's libosinfo ID, a direct kernel
   * boot, virtio for a Linux, and the engine accepts it. */
  xml = hangar_new_machine_build_xml (assistant);
  g_assert_nonnull (strstr (xml, "<libosinfo:os id=\"http://debian.org/debian/"));
  g_assert_nonnull (strstr (xml, "<kernel>"));
  g_assert_null (strstr (xml, "<disk"));
  g_assert_nonnull (strstr (xml, "<model type='virtio'/>"));
  {
    g_autoptr(GError) error = NULL;

    hangar_manager_call_validate_machine_xml_sync (env->manager, xml, NULL, &error);
    g_assert_no_error (error);
  }

  gtk_window_destroy (GTK_WINDOW (assistant));
}

static void
ensure_machine (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(HangarMachine) machine = NULL;

  if (hangar_manager_call_lookup_machine_sync (env->manager, name, &path, NULL, &error))
    return;
  xml = hangar_test_guest_xml (name, NULL);
  machine = hangar_test_env_define (env, xml);
  hangar_test_settle ();
}

/* An installer libosinfo knows, in a pool: detected, its recommendations
 * and its short ID (with "-2", "debian11" being taken) filled in. */
static void
test_detected_iso (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-new-machine-XXXXXX", NULL);
  g_autofree char *iso = make_debian_iso (dir);
  HangarNewMachine *assistant;
  AdwActionRow *os_row;

  if (iso == NULL)
    {
      remove_tree (dir);
      return;
    }

  upload_iso (env, iso, "debian-11.5.0-amd64-netinst.iso");
  remove_tree (dir);
  ensure_machine ("debian11");
  assistant = open_assistant (env);

  select_in_combo (assistant, "iso_combo", "debian-11.5.0-amd64-netinst.iso");
  wait_idle (assistant);
  next (assistant);

  os_row = CHILD (assistant, ADW_ACTION_ROW, "os_row");
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (os_row)), ==, "Debian 11");
  g_assert_cmpstr (adw_action_row_get_subtitle (os_row), ==,
                   "Detected on “debian-11.5.0-amd64-netinst.iso”");
  save_screenshot (GTK_WIDGET (assistant), "new-machine-os-detected.png");
  next (assistant);

  g_assert_cmpint (gtk_spin_button_get_value_as_int (CHILD (assistant, GTK_SPIN_BUTTON, "memory_spin")), ==, 1024);
  next (assistant);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (CHILD (assistant, GTK_SPIN_BUTTON, "size_spin")), ==, 20);
  next (assistant);
  g_assert_cmpstr (gtk_editable_get_text (CHILD (assistant, GTK_EDITABLE, "name_entry")), ==, "debian11-2");
  next (assistant);
  g_assert_cmpstr (adw_action_row_get_subtitle (CHILD (assistant, ADW_ACTION_ROW, "summary_os_row")),
                   ==, "Debian 11");

  gtk_window_destroy (GTK_WINDOW (assistant));
}

/* A name taken behind the assistant's back, after it checked: the engine
 * refuses the definition, the disk made for it is deleted, the reason is
 * shown and the assistant stays open. */
static void
test_engine_refusal (void)
{
  HangarNewMachine *assistant = open_assistant (env);
  g_autofree char *xml = hangar_test_guest_xml ("racer", NULL);
  g_autoptr(HangarMachine) racer = NULL;
  g_autoptr(HangarVolume) leftover = NULL;

  select_in_combo (assistant, "iso_combo", GUEST_ISO);
  wait_idle (assistant);
  for (guint i = 0; i < 4; i++)
    next (assistant);
  gtk_editable_set_text (CHILD (assistant, GTK_EDITABLE, "name_entry"), "racer");
  next (assistant);

  /* Validation is asked first, on the same connection: it passes, then
   * this definition takes the name before the assistant's own. */
  gtk_widget_activate_action (GTK_WIDGET (assistant), "assistant.create", NULL);
  racer = hangar_test_env_define (env, xml);
  wait_idle (assistant);

  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (assistant)));
  g_assert_nonnull (strstr (problem_text (assistant), "The engine refused the machine"));
  g_assert_nonnull (strstr (problem_text (assistant), "racer"));
  save_screenshot (GTK_WIDGET (assistant), "new-machine-refused.png");

  /* The disk is deleted (asynchronously, right away). */
  for (guint i = 0; i < 50 && (leftover = find_volume (env, "racer.qcow2")) != NULL; i++)
    {
      g_clear_object (&leftover);
      g_usleep (100 * 1000);
    }
  g_assert_null (leftover);

  gtk_window_destroy (GTK_WINDOW (assistant));
}

/* An ISO file on this computer, for a session engine: used where it is
 * (the engine runs as this user), not copied into a pool. */
static void
test_local_iso_session (void)
{
  g_autofree char *iso = guest_file (GUEST_ISO);
  g_autofree char *escaped = g_markup_escape_text (iso, -1);
  g_autofree char *file_source = g_strdup_printf ("<source file='%s'/>", escaped);
  HangarNewMachine *assistant = open_assistant (env);
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(HangarVolume) copy = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *path = NULL;

  hangar_new_machine_set_iso_file (assistant, iso);
  wait_idle (assistant);
  g_assert_cmpstr (combo_text (assistant, "iso_combo"), ==, GUEST_ISO " (this computer)");

  xml = hangar_new_machine_build_xml (assistant);
  g_assert_nonnull (strstr (xml, "<disk type='file' device='cdrom'>"));
  g_assert_nonnull (strstr (xml, file_source));
  g_clear_pointer (&xml, g_free);

  next (assistant);
  next (assistant);
  set_small_machine (assistant);
  path = create_through_pages (assistant);

  /* "test-guest" is the first case's. */
  machine = machine_proxy (env, path);
  g_assert_cmpstr (hangar_machine_get_name (machine), ==, "test-guest-2");
  g_assert_true (hangar_test_wait_for_console (machine, "HANGAR-GUEST-BOOTED", BOOT_TIMEOUT_S));
  xml = machine_xml (machine);
  g_strdelimit (xml, "\"", '\'');
  g_assert_nonnull (strstr (xml, file_source));
  copy = find_volume (env, "test-guest-2.iso");
  g_assert_null (copy);
  force_off (machine);
}

/* Direct kernel boot of the busybox guest: missing files are flagged
 * before Next, the system is a manual choice, and the machine made boots
 * from the kernel and initrd chosen. */
static void
test_kernel_boot (void)
{
  g_autofree char *kernel_element = g_markup_printf_escaped ("<kernel>%s</kernel>", hangar_test_guest_kernel ());
  g_autofree char *initrd_element = g_markup_printf_escaped ("<initrd>%s</initrd>", hangar_test_guest_initrd ());
  g_autofree char *expected_source = g_strdup_printf ("Kernel %s with initrd %s", hangar_test_guest_kernel (),
                                                      hangar_test_guest_initrd ());
  HangarNewMachine *assistant = open_assistant (env);
  g_autoptr(HangarMachine) machine = NULL;
  g_autofree char *path = NULL;
  g_autofree char *xml = NULL;

  /* An advanced source, out of the way until wanted. */
  g_assert_false (adw_expander_row_get_expanded (CHILD (assistant, ADW_EXPANDER_ROW, "advanced_row")));
  gtk_check_button_set_active (CHILD (assistant, GTK_CHECK_BUTTON, "kernel_check"), TRUE);
  g_assert_true (adw_expander_row_get_expanded (CHILD (assistant, ADW_EXPANDER_ROW, "advanced_row")));

  /* No such kernel: flagged before Next. */
  gtk_editable_set_text (CHILD (assistant, GTK_EDITABLE, "kernel_entry"), "/nonexistent/vmlinuz");
  wait_idle (assistant);
  g_assert_false (action_enabled (assistant, "assistant.next"));
  g_assert_cmpstr (problem_text (assistant), ==, "There is no kernel file “/nonexistent/vmlinuz”");
  save_screenshot (GTK_WIDGET (assistant), "new-machine-kernel-missing.png");

  /* A directory is no kernel either. */
  gtk_editable_set_text (CHILD (assistant, GTK_EDITABLE, "kernel_entry"), g_getenv ("HANGAR_TEST_GUEST_DIR"));
  wait_idle (assistant);
  g_assert_false (action_enabled (assistant, "assistant.next"));
  g_assert_nonnull (strstr (problem_text (assistant), "is not a file"));

  /* The kernel, then a missing initrd, then the real one. */
  gtk_editable_set_text (CHILD (assistant, GTK_EDITABLE, "kernel_entry"), hangar_test_guest_kernel ());
  gtk_editable_set_text (CHILD (assistant, GTK_EDITABLE, "initrd_entry"), "/nonexistent/initrd.img");
  wait_idle (assistant);
  g_assert_false (action_enabled (assistant, "assistant.next"));
  g_assert_cmpstr (problem_text (assistant), ==, "There is no initrd file “/nonexistent/initrd.img”");
  gtk_editable_set_text (CHILD (assistant, GTK_EDITABLE, "initrd_entry"), hangar_test_guest_initrd ());
  wait_idle (assistant);
  g_assert_cmpstr (gtk_editable_get_text (CHILD (assistant, GTK_EDITABLE, "cmdline_entry")), ==, "console=ttyS0");
  g_assert_null (problem_text (assistant));
  save_screenshot (GTK_WIDGET (assistant), "new-machine-kernel.png");
  next (assistant);

  /* Nothing to detect: the system is for the user to choose. */
  g_assert_cmpstr (adw_preferences_row_get_title (CHILD (assistant, ADW_PREFERENCES_ROW, "os_row")),
                   ==, "Unknown Operating System");
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (CHILD (assistant, ADW_ACTION_ROW, "os_row")),
                            "Nothing to detect it from"));
  g_assert_cmpstr (gtk_image_get_icon_name (CHILD (assistant, GTK_IMAGE, "os_icon")), ==, HANGAR_OS_ICON_UNKNOWN);
  next (assistant);

  set_small_machine (assistant);
  next (assistant);
  gtk_switch_set_active (CHILD (assistant, GTK_SWITCH, "disk_switch"), FALSE);
  next (assistant);
  gtk_editable_set_text (CHILD (assistant, GTK_EDITABLE, "name_entry"), "kernel-guest");
  next (assistant);
  g_assert_cmpstr (adw_action_row_get_subtitle (CHILD (assistant, ADW_ACTION_ROW, "summary_source_row")),
                   ==, expected_source);
  save_screenshot (GTK_WIDGET (assistant), "new-machine-kernel-summary.png");
  path = create_through_pages (assistant);

  machine = machine_proxy (env, path);
  g_assert_cmpstr (hangar_machine_get_name (machine), ==, "kernel-guest");
  xml = machine_xml (machine);
  g_test_message ("defined:\n%s", xml);
  g_assert_nonnull (strstr (xml, kernel_element));
  g_assert_nonnull (strstr (xml, initrd_element));
  g_assert_nonnull (strstr (xml, "<cmdline>console=ttyS0</cmdline>"));
  g_assert_null (strstr (xml, "<disk"));

  /* Booted from the kernel chosen, on its serial console. */
  g_assert_true (hangar_test_wait_for_state (machine, "running", UI_TIMEOUT_S));
  g_assert_true (hangar_test_wait_for_console (machine, "HANGAR-GUEST-BOOTED", BOOT_TIMEOUT_S));
  force_off (machine);
}

/* Network boot (PXE): boot from the network, then the disk, with a NIC to
 * boot from; the engine takes it and QEMU runs it (nothing answers PXE on
 * user-mode networking, so it stays at its firmware). */
static void
test_network_boot (void)
{
  HangarNewMachine *assistant = open_assistant (env);
  g_autoptr(HangarMachine) machine = NULL;
  g_autofree char *path = NULL;
  g_autofree char *xml = NULL;
  const char *network_boot;
  const char *disk_boot;

  gtk_check_button_set_active (CHILD (assistant, GTK_CHECK_BUTTON, "network_boot_check"), TRUE);
  wait_idle (assistant);
  g_assert_true (gtk_widget_get_visible (CHILD (assistant, GTK_WIDGET, "network_boot_group")));
  g_assert_false (gtk_widget_get_visible (CHILD (assistant, GTK_WIDGET, "iso_group")));
  g_assert_null (problem_text (assistant));
  save_screenshot (GTK_WIDGET (assistant), "new-machine-network-boot.png");
  next (assistant);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (CHILD (assistant, ADW_ACTION_ROW, "os_row")),
                            "Nothing to detect it from"));

  xml = hangar_new_machine_build_xml (assistant);
  network_boot = strstr (xml, "<boot dev='network'/>");
  disk_boot = strstr (xml, "<boot dev='hd'/>");
  g_assert_nonnull (network_boot);
  g_assert_nonnull (disk_boot);
  g_assert_true (network_boot < disk_boot);
  g_assert_null (strstr (xml, "<boot dev='cdrom'/>"));
  g_assert_nonnull (strstr (xml, "<interface type='user'>"));
  g_clear_pointer (&xml, g_free);

  next (assistant);
  set_small_machine (assistant);
  next (assistant);
  gtk_spin_button_set_value (CHILD (assistant, GTK_SPIN_BUTTON, "size_spin"), 1);
  next (assistant);
  gtk_editable_set_text (CHILD (assistant, GTK_EDITABLE, "name_entry"), "pxe-guest");
  next (assistant);
  g_assert_cmpstr (adw_action_row_get_subtitle (CHILD (assistant, ADW_ACTION_ROW, "summary_source_row")),
                   ==, "Network boot (PXE)");
  path = create_through_pages (assistant);

  machine = machine_proxy (env, path);
  g_assert_true (hangar_test_wait_for_state (machine, "running", UI_TIMEOUT_S));
  xml = machine_xml (machine);
  g_strdelimit (xml, "\"", '\'');
  g_assert_nonnull (strstr (xml, "<boot dev='network'/>"));
  g_assert_nonnull (strstr (xml, "<interface type='user'>"));
  force_off (machine);
}

static HangarNetwork *
start_isolated_network (HangarTestEnv *system_env)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  HangarNetwork *network;

  hangar_manager_call_define_network_sync (system_env->manager,
                                           "<network><name>isolated</name><bridge name='hgnm0'/>"
                                           "<ip address='10.79.0.1' prefix='24'/></network>",
                                           &path, NULL, &error);
  g_assert_no_error (error);
  network = hangar_network_proxy_new_sync (system_env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                           "io.github.hangarvm.Hangar1", path, NULL, &error);
  g_assert_no_error (error);
  hangar_network_call_start_sync (network, NULL, &error);
  g_assert_no_error (error);
  hangar_test_settle ();
  return network;
}

/* A system engine: the ISO file is copied into the pool (the engine
 * cannot open the user's file), and the host's active virtual networks
 * are offered before user-mode networking. */
static void
test_system_mode (void)
{
  g_autofree char *iso = guest_file (GUEST_ISO);
  HangarTestEnv *system_env;
  g_autoptr(HangarNetwork) network = NULL;
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(HangarVolume) copy = NULL;
  HangarNewMachine *assistant;
  g_autofree char *path = NULL;
  g_autofree char *xml = NULL;

  if (getuid () != 0)
    {
      g_test_skip ("a system-mode engine needs root");
      return;
    }

  system_env = hangar_test_env_new (TRUE);
  network = start_isolated_network (system_env);
  assistant = open_assistant (system_env);

  hangar_new_machine_set_iso_file (assistant, iso);
  wait_idle (assistant);
  next (assistant);
  next (assistant);
  set_small_machine (assistant);
  next (assistant);
  next (assistant);
  /* The engine's own NAT network "default" is offered first. */
  g_assert_cmpstr (combo_text (assistant, "network_combo"), ==, "Virtual network “default”");
  select_in_combo (assistant, "network_combo", "Virtual network “isolated”");
  save_screenshot (GTK_WIDGET (assistant), "new-machine-system-network.png");
  next (assistant);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (CHILD (assistant, ADW_ACTION_ROW,
                                                                "summary_source_row")),
                            "copied to pool “default”"));
  save_screenshot (GTK_WIDGET (assistant), "new-machine-system-summary.png");
  path = create_through_pages (assistant);

  machine = machine_proxy (system_env, path);
  g_assert_true (hangar_test_wait_for_state (machine, "running", UI_TIMEOUT_S));
  xml = machine_xml (machine);
  g_test_message ("defined:\n%s", xml);
  g_strdelimit (xml, "\"", '\'');
  g_assert_nonnull (strstr (xml, "<source network='isolated'/>"));
  g_assert_nonnull (strstr (xml, "<source pool='default' volume='" GUEST_ISO "'/>"));
  copy = find_volume (system_env, GUEST_ISO);
  g_assert_nonnull (copy);
  g_assert_true (hangar_volume_get_install_media (copy));
  g_assert_true (hangar_test_wait_for_console (machine, "HANGAR-GUEST-BOOTED", BOOT_TIMEOUT_S));
  force_off (machine);

  g_clear_object (&machine);
  g_clear_object (&copy);
  g_clear_object (&network);
  hangar_test_env_free (system_env);
}

/* Windows gets SATA and e1000: no virtio drivers on its installer. */
static void
test_windows_hardware (void)
{
  g_autoptr(OsinfoDb) db = load_db ();
  g_autoptr(OsinfoOs) windows = g_object_ref (osinfo_db_get_os (db, "http://microsoft.com/win/10"));
  HangarNewMachine *assistant = open_assistant (env);
  g_autofree char *xml = NULL;
  g_autoptr(GError) error = NULL;

  select_in_combo (assistant, "iso_combo", GUEST_ISO);
  wait_idle (assistant);
  next (assistant);
  choose_os (assistant, windows);

  xml = hangar_new_machine_build_xml (assistant);
  g_test_message ("%s", xml);
  g_assert_nonnull (strstr (xml, "<target dev='sda' bus='sata'/>"));
  g_assert_nonnull (strstr (xml, "<target dev='sdb' bus='sata'/>"));
  g_assert_nonnull (strstr (xml, "<model type='e1000'/>"));
  g_assert_nonnull (strstr (xml, "<model type='vga'/>"));
  g_assert_nonnull (strstr (xml, "<name>win10</name>"));
  hangar_manager_call_validate_machine_xml_sync (env->manager, xml, NULL, &error);
  g_assert_no_error (error);

  gtk_window_destroy (GTK_WINDOW (assistant));
}

int
main (int    argc,
      char **argv)
{
  int status;

  gboolean have_display = hangar_test_gui_init (&argc, &argv);

  /* These need no display: they run without one too. */
  g_test_add_func ("/new-machine/os-info/unknown-iso", test_os_info_unknown_iso);
  g_test_add_func ("/new-machine/os-info/search", test_os_info_search);
  g_test_add_func ("/new-machine/os-info/detect", test_os_info_detect);

  if (!have_display)
    return g_test_run ();

  g_test_add_func ("/new-machine/create-from-iso", test_create_from_iso);
  g_test_add_func ("/new-machine/name-and-checks", test_name_and_checks);
  g_test_add_func ("/new-machine/detected-iso", test_detected_iso);
  g_test_add_func ("/new-machine/engine-refusal", test_engine_refusal);
  g_test_add_func ("/new-machine/local-iso-session", test_local_iso_session);
  g_test_add_func ("/new-machine/kernel-boot", test_kernel_boot);
  g_test_add_func ("/new-machine/network-boot", test_network_boot);
  g_test_add_func ("/new-machine/os-icons", test_os_icons);
  g_test_add_func ("/new-machine/system-mode", test_system_mode);
  g_test_add_func ("/new-machine/windows-hardware", test_windows_hardware);

  env = hangar_test_env_new (FALSE);
  status = g_test_run ();
  hangar_test_env_free (env);
  return status;
}
