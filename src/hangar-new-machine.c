/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-new-machine"

#include "hangar-new-machine.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "hangar-connection.h"
#include "hangar-os-info.h"

#define MIB (G_GUINT64_CONSTANT (1024) * 1024)
#define GIB (MIB * 1024)
#define MAX_NAME_BYTES 64          /* the engine's limit for machine names */
#define NAME_BASE_BYTES 56         /* room left for "-NN" */
#define MEMORY_WARNING_PERCENT 80
#define MIN_MEMORY_MIB 128
#define START_TIMEOUT_MS (5 * 60 * 1000)
#define PULSE_INTERVAL_MS 150
#define LIBOSINFO_NS "http://libosinfo.org/xmlns/libvirt/domain/1.0"

typedef enum {
  PAGE_SOURCE,
  PAGE_OS,
  PAGE_RESOURCES,
  PAGE_STORAGE,
  PAGE_NAME,
  PAGE_SUMMARY,
  N_PAGES
} Page;

typedef enum {
  SOURCE_ISO,
  SOURCE_IMPORT,
  SOURCE_NETWORK,
  SOURCE_KERNEL,
} SourceKind;

/* What is known of a file named on the Kernel page. */
typedef enum {
  FILE_UNCHECKED,       /* no path, or not an absolute one */
  FILE_CHECKING,
  FILE_OK,
  FILE_MISSING,
  FILE_NOT_REGULAR,
  FILE_UNREADABLE,
  FILE_ERROR,           /* could not be looked at: see message */
} FileState;

typedef struct {
  char         *path;          /* what was checked (or is being checked) */
  FileState     state;
  char         *message;       /* FILE_ERROR: why */
  GCancellable *cancellable;
} FileCheck;

/* An ISO or disk image to offer: a volume in a pool, or (ISOs only) a
 * file on this computer (pool NULL). */
typedef struct {
  char    *label;
  char    *pool;
  char    *volume;
  char    *path;
  char    *format;
  guint64  capacity;
} MediaItem;

typedef struct {
  char    *name;
  char    *object_path;
  guint64  available;
} PoolItem;

/* What Create does, decided from the choices when it is pressed. */
typedef struct {
  char    *name;
  char    *disk_pool;           /* NULL: no disk */
  char    *disk_volume;
  char    *disk_format;
  guint64  disk_size;           /* 0: an existing (imported) volume */
  char    *iso_pool;            /* the ISO as a volume... */
  char    *iso_volume;
  char    *iso_file;            /* ...or a file the engine opens itself */
  char    *upload_path;         /* a file to copy into iso_pool first */
  char    *kernel;
  char    *initrd;
  char    *cmdline;
  gboolean network_boot;        /* PXE first, then the disk */
  char    *network;             /* NULL: user-mode */
  guint64  memory_mib;
  guint    vcpus;
  char    *arch;
  char    *os_id;
  gboolean sata_disk;
  gboolean virtio_net;
  gboolean e1000_net;
  gboolean virtio_video;
} Plan;

typedef void (*JobDoneFunc) (HangarNewMachine *self,
                             const char       *result_path,
                             const GError     *error);

struct _HangarNewMachine
{
  AdwWindow           parent_instance;

  AdwWindowTitle     *window_title;
  GtkWidget          *cancel_button;
  GtkWidget          *back_button;
  GtkWidget          *next_button;
  GtkWidget          *create_button;
  AdwCarousel        *carousel;
  GtkCheckButton     *iso_check;
  GtkCheckButton     *import_check;
  AdwExpanderRow     *advanced_row;
  GtkCheckButton     *network_boot_check;
  GtkCheckButton     *kernel_check;
  GtkWidget          *iso_group;
  AdwComboRow        *iso_combo;
  GtkStringList      *iso_names;
  AdwActionRow       *iso_file_row;
  GtkWidget          *import_group;
  AdwComboRow        *import_combo;
  GtkStringList      *import_names;
  GtkWidget          *network_boot_group;
  AdwActionRow       *network_boot_row;
  GtkWidget          *kernel_group;
  GtkEditable        *kernel_entry;
  GtkEditable        *initrd_entry;
  GtkEditable        *cmdline_entry;
  AdwActionRow       *os_row;
  GtkImage           *os_icon;
  GtkSpinner         *os_spinner;
  GtkEditable        *os_search;
  GtkListView        *os_list;
  AdwPreferencesGroup *resources_group;
  AdwActionRow       *memory_row;
  GtkSpinButton      *memory_spin;
  AdwActionRow       *cpus_row;
  GtkSpinButton      *cpus_spin;
  GtkWidget          *memory_warning;
  GtkLabel           *memory_warning_label;
  GtkWidget          *disk_group;
  GtkSwitch          *disk_switch;
  AdwComboRow        *pool_combo;
  GtkStringList      *pool_names;
  AdwActionRow       *size_row;
  GtkSpinButton      *size_spin;
  GtkWidget          *imported_group;
  AdwActionRow       *imported_row;
  GtkEditable        *name_entry;
  AdwPreferencesGroup *network_group;
  AdwComboRow        *network_combo;
  GtkStringList      *network_names;
  AdwPreferencesGroup *summary_group;
  AdwActionRow       *summary_name_row;
  AdwActionRow       *summary_os_row;
  AdwActionRow       *summary_source_row;
  AdwActionRow       *summary_resources_row;
  AdwActionRow       *summary_disk_row;
  AdwActionRow       *summary_network_row;
  GtkCheckButton     *customize_check;
  GtkWidget          *progress_group;
  AdwActionRow       *progress_row;
  GtkProgressBar     *progress_bar;
  GtkRevealer        *problem_revealer;
  GtkImage           *problem_icon;
  GtkLabel           *problem_label;

  GDBusConnection    *connection;
  GDBusObjectManager *object_manager;
  HangarManager      *manager;
  GCancellable       *cancellable;        /* everything; cancelled when the window goes */
  GCancellable       *detect_cancellable; /* the detection under way */

  guint               page;
  guint               pending;            /* loads and detections under way */
  guint               refresh_id;
  gboolean            refreshing;

  /* The host, from GetHostInfo. */
  gboolean            host_known;
  guint64             host_memory_kib;
  guint               host_cpus;
  char               *host_arch;

  /* Lists offered, parallel to the string lists of the combo rows. */
  GPtrArray          *isos;               /* MediaItem */
  GPtrArray          *disks;              /* MediaItem */
  GPtrArray          *pools;              /* PoolItem */
  GPtrArray          *networks;           /* char *, "" for user-mode */
  GPtrArray          *local_isos;         /* char *: files chosen on this computer */

  /* The operating system. */
  OsinfoDb           *db;
  GtkCustomFilter    *os_filter;
  GtkSingleSelection *os_selection;
  OsinfoOs           *os;                 /* chosen; NULL: unknown */
  OsinfoOs           *detected_os;
  char               *detected_path;      /* the file detection ran (or runs) on */
  gboolean            detecting;
  gboolean            detect_failed;
  gboolean            os_chosen_by_user;
  gboolean            selecting_os;

  gboolean            name_edited;
  gboolean            setting_name;

  /* The kernel page's files, looked at as they are typed. */
  FileCheck           kernel_file;
  FileCheck           initrd_file;

  /* Creating. */
  gboolean            creating;
  char               *error_text;
  Plan               *plan;
  char               *xml;
  char               *created_volume;     /* object path of the disk made, until defined */
  HangarJob          *job;
  JobDoneFunc         job_done;
  guint               pulse_id;
};

G_DEFINE_TYPE (HangarNewMachine, hangar_new_machine, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

enum {
  SIGNAL_CREATED,
  SIGNAL_CUSTOMIZE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void update_navigation    (HangarNewMachine *self);
static void schedule_refresh     (HangarNewMachine *self);
static void refresh_lists        (HangarNewMachine *self);
static void detect_selected_iso  (HangarNewMachine *self);
static void apply_os             (HangarNewMachine *self);
static void update_default_name  (HangarNewMachine *self);
static void scroll_to_chosen_os  (HangarNewMachine *self);
static void create_step_upload   (HangarNewMachine *self);
static void check_kernel_files   (HangarNewMachine *self,
                                  gboolean          again);

/* ---- Small helpers -------------------------------------------------------- */

static void
media_item_free (MediaItem *item)
{
  g_free (item->label);
  g_free (item->pool);
  g_free (item->volume);
  g_free (item->path);
  g_free (item->format);
  g_free (item);
}

static void
pool_item_free (PoolItem *item)
{
  g_free (item->name);
  g_free (item->object_path);
  g_free (item);
}

static void
plan_free (Plan *plan)
{
  g_free (plan->name);
  g_free (plan->disk_pool);
  g_free (plan->disk_volume);
  g_free (plan->disk_format);
  g_free (plan->iso_pool);
  g_free (plan->iso_volume);
  g_free (plan->iso_file);
  g_free (plan->upload_path);
  g_free (plan->kernel);
  g_free (plan->initrd);
  g_free (plan->cmdline);
  g_free (plan->network);
  g_free (plan->arch);
  g_free (plan->os_id);
  g_free (plan);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Plan, plan_free)

static void
file_check_clear (FileCheck *check)
{
  g_cancellable_cancel (check->cancellable);
  g_clear_object (&check->cancellable);
  g_clear_pointer (&check->path, g_free);
  g_clear_pointer (&check->message, g_free);
  check->state = FILE_UNCHECKED;
}

static GVariant *
no_options (void)
{
  return g_variant_new ("a{sv}", NULL);
}

static char *
format_bytes (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
}

static const char *
engine_name (HangarNewMachine *self)
{
  return g_dbus_proxy_get_name (G_DBUS_PROXY (self->manager));
}

static gboolean
is_system_mode (HangarNewMachine *self)
{
  return g_strcmp0 (hangar_manager_get_mode (self->manager), "system") == 0;
}

static void
set_pending (HangarNewMachine *self,
             gboolean          started)
{
  gboolean was_busy = hangar_new_machine_get_busy (self);

  if (started)
    self->pending++;
  else
    self->pending--;

  if (was_busy != hangar_new_machine_get_busy (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
set_creating (HangarNewMachine *self,
              gboolean          creating)
{
  gboolean was_busy = hangar_new_machine_get_busy (self);

  self->creating = creating;
  gtk_widget_set_visible (self->progress_group, creating);
  if (was_busy != hangar_new_machine_get_busy (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  update_navigation (self);
}

static void
set_error_text (HangarNewMachine *self,
                const char       *text)
{
  g_free (self->error_text);
  self->error_text = g_strdup (text);
  update_navigation (self);
}

static void
set_error (HangarNewMachine *self,
           const char       *what,
           const GError     *error)
{
  g_autofree char *message = hangar_error_get_message (error);
  g_autofree char *text = g_strdup_printf ("%s: %s", what, message);

  set_error_text (self, text);
}

static SourceKind
source_kind (HangarNewMachine *self)
{
  if (gtk_check_button_get_active (self->import_check))
    return SOURCE_IMPORT;
  if (gtk_check_button_get_active (self->network_boot_check))
    return SOURCE_NETWORK;
  if (gtk_check_button_get_active (self->kernel_check))
    return SOURCE_KERNEL;
  return SOURCE_ISO;
}

static MediaItem *
selected_media (AdwComboRow *combo,
                GPtrArray   *items)
{
  guint selected = adw_combo_row_get_selected (combo);

  return selected < items->len ? g_ptr_array_index (items, selected) : NULL;
}

static MediaItem *
selected_iso (HangarNewMachine *self)
{
  return selected_media (self->iso_combo, self->isos);
}

static MediaItem *
selected_disk (HangarNewMachine *self)
{
  return selected_media (self->import_combo, self->disks);
}

static PoolItem *
selected_pool (HangarNewMachine *self)
{
  guint selected = adw_combo_row_get_selected (self->pool_combo);

  return selected < self->pools->len ? g_ptr_array_index (self->pools, selected) : NULL;
}

/* The network's name, "" for user-mode, NULL before there is a list. */
static const char *
selected_network (HangarNewMachine *self)
{
  guint selected = adw_combo_row_get_selected (self->network_combo);

  return selected < self->networks->len ? g_ptr_array_index (self->networks, selected) : NULL;
}

static gboolean
wants_new_disk (HangarNewMachine *self)
{
  return source_kind (self) != SOURCE_IMPORT && gtk_switch_get_active (self->disk_switch);
}

static guint64
memory_mib (HangarNewMachine *self)
{
  return (guint64) gtk_spin_button_get_value_as_int (self->memory_spin);
}

static guint
vcpus (HangarNewMachine *self)
{
  return (guint) gtk_spin_button_get_value_as_int (self->cpus_spin);
}

static guint64
disk_size (HangarNewMachine *self)
{
  return (guint64) gtk_spin_button_get_value_as_int (self->size_spin) * GIB;
}

/* ---- The engine's objects ------------------------------------------------- */

static GList *
list_objects (HangarNewMachine *self)
{
  return g_dbus_object_manager_get_objects (self->object_manager);
}

static gboolean
machine_name_taken (HangarNewMachine *self,
                    const char       *name)
{
  g_autolist(GDBusObject) objects = list_objects (self);

  for (GList *l = objects; l != NULL; l = l->next)
    {
      HangarMachine *machine = hangar_object_peek_machine (HANGAR_OBJECT (l->data));

      if (machine != NULL && g_strcmp0 (hangar_machine_get_name (machine), name) == 0)
        return TRUE;
    }
  return FALSE;
}

static HangarVolume *
find_volume (HangarNewMachine *self,
             const char       *pool_path,
             const char       *name)
{
  g_autolist(GDBusObject) objects = list_objects (self);

  for (GList *l = objects; l != NULL; l = l->next)
    {
      HangarVolume *volume = hangar_object_peek_volume (HANGAR_OBJECT (l->data));

      if (volume != NULL && g_strcmp0 (hangar_volume_get_pool (volume), pool_path) == 0 &&
          g_strcmp0 (hangar_volume_get_name (volume), name) == 0)
        return g_object_ref (volume);
    }
  return NULL;
}

static HangarStoragePool *
find_pool (HangarNewMachine *self,
           const char       *name)
{
  g_autolist(GDBusObject) objects = list_objects (self);

  for (GList *l = objects; l != NULL; l = l->next)
    {
      HangarStoragePool *pool = hangar_object_peek_storage_pool (HANGAR_OBJECT (l->data));

      if (pool != NULL && g_strcmp0 (hangar_storage_pool_get_name (pool), name) == 0)
        return g_object_ref (pool);
    }
  return NULL;
}

static const char *
pool_name_of (HangarNewMachine *self,
              const char       *pool_path)
{
  g_autoptr(GDBusObject) object = g_dbus_object_manager_get_object (self->object_manager, pool_path);
  HangarStoragePool *pool = object ? hangar_object_peek_storage_pool (HANGAR_OBJECT (object)) : NULL;

  return pool != NULL ? hangar_storage_pool_get_name (pool) : NULL;
}

static gboolean
pool_is_active (HangarNewMachine *self,
                const char       *pool_path)
{
  g_autoptr(GDBusObject) object = g_dbus_object_manager_get_object (self->object_manager, pool_path);
  HangarStoragePool *pool = object ? hangar_object_peek_storage_pool (HANGAR_OBJECT (object)) : NULL;

  return pool != NULL && g_strcmp0 (hangar_storage_pool_get_state (pool), "active") == 0;
}

/* "name.qcow2", else "name-2.qcow2"... : a file name free in the pool. */
static char *
unique_volume_name (HangarNewMachine *self,
                    const char       *pool_name,
                    const char       *base,
                    const char       *extension)
{
  g_autoptr(HangarStoragePool) pool = find_pool (self, pool_name);
  const char *pool_path = pool ? g_dbus_proxy_get_object_path (G_DBUS_PROXY (pool)) : "";

  for (guint n = 1; ; n++)
    {
      g_autofree char *name = n == 1 ? g_strdup_printf ("%s%s", base, extension)
                                     : g_strdup_printf ("%s-%u%s", base, n, extension);
      g_autoptr(HangarVolume) volume = find_volume (self, pool_path, name);

      if (volume == NULL)
        return g_steal_pointer (&name);
    }
}

/* ---- Names ---------------------------------------------------------------- */

/* Why the engine would refuse @name as a machine name, in words; NULL when
 * it is fine. The same rules as hangard_domain_name_is_valid(). */
static char *
name_problem (const char *name)
{
  if (name[0] == '\0')
    return g_strdup (_("Give the machine a name"));
  if (strlen (name) > MAX_NAME_BYTES)
    return g_strdup_printf (_("The name is too long: at most %d bytes"), MAX_NAME_BYTES);
  if (strchr (name, '/') != NULL)
    return g_strdup (_("The name cannot contain “/”"));
  if (name[0] == '.' || name[0] == '-')
    return g_strdup (_("The name cannot start with “.” or “-”"));

  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (g_unichar_iscntrl (g_utf8_get_char (p)))
        return g_strdup (_("The name cannot contain tabs or line breaks"));
    }
  return NULL;
}

/* @text made fit to start a machine name: what the engine refuses
 * replaced, cut to leave room for a "-2". */
static char *
sanitize_name_base (const char *text)
{
  g_autoptr(GString) base = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (base->len == 0 && (c == '.' || c == '-'))
        continue;
      if (c == '/' || g_unichar_iscntrl (c) || g_unichar_isspace (c))
        c = '-';
      if (base->len + g_unichar_to_utf8 (c, NULL) > NAME_BASE_BYTES)
        break;
      g_string_append_unichar (base, c);
    }

  if (base->len == 0)
    g_string_assign (base, "machine");
  return g_string_free (g_steal_pointer (&base), FALSE);
}

/* A file name without its extension ("debian-12.iso" → "debian-12"). */
static char *
strip_extension (const char *name)
{
  const char *dot = strrchr (name, '.');

  return dot != NULL && dot != name ? g_strndup (name, dot - name) : g_strdup (name);
}

static char *
default_name_base (HangarNewMachine *self)
{
  MediaItem *item = NULL;
  g_autofree char *stem = NULL;

  if (self->os != NULL && hangar_os_info_get_short_id (self->os) != NULL)
    return sanitize_name_base (hangar_os_info_get_short_id (self->os));

  if (source_kind (self) == SOURCE_ISO)
    item = selected_iso (self);
  else if (source_kind (self) == SOURCE_IMPORT)
    item = selected_disk (self);
  if (item == NULL)
    return sanitize_name_base ("machine");

  stem = strip_extension (item->volume);
  return sanitize_name_base (stem);
}

/* "debian12", or "debian12-2", "debian12-3"... when taken. */
static char *
unique_machine_name (HangarNewMachine *self,
                     const char       *base)
{
  for (guint n = 1; ; n++)
    {
      g_autofree char *name = n == 1 ? g_strdup (base) : g_strdup_printf ("%s-%u", base, n);

      if (!machine_name_taken (self, name))
        return g_steal_pointer (&name);
    }
}

static void
update_default_name (HangarNewMachine *self)
{
  g_autofree char *base = NULL;
  g_autofree char *name = NULL;

  if (self->name_edited)
    return;

  base = default_name_base (self);
  name = unique_machine_name (self, base);
  if (g_strcmp0 (gtk_editable_get_text (self->name_entry), name) == 0)
    return;

  self->setting_name = TRUE;
  gtk_editable_set_text (self->name_entry, name);
  self->setting_name = FALSE;
}

/* ---- What is wrong with each page ---------------------------------------- */

/* What is wrong with the file @check looked at, or NULL. */
static char *
file_problem (const FileCheck *check,
              gboolean         is_kernel)
{
  switch (check->state)
    {
    case FILE_UNCHECKED:
    case FILE_OK:
      return NULL;
    case FILE_CHECKING:
      return g_strdup (is_kernel ? _("Looking for the kernel file…") : _("Looking for the initrd file…"));
    case FILE_MISSING:
      return g_strdup_printf (is_kernel ? _("There is no kernel file “%s”") : _("There is no initrd file “%s”"),
                              check->path);
    case FILE_NOT_REGULAR:
      return g_strdup_printf (_("“%s” is not a file"), check->path);
    case FILE_UNREADABLE:
      return g_strdup_printf (_("“%s” cannot be read: the engine could not start the machine from it"),
                              check->path);
    case FILE_ERROR:
      return g_strdup_printf (_("“%s” cannot be looked at: %s"), check->path, check->message);
    default:
      g_assert_not_reached ();
    }
}

static char *
kernel_problem (HangarNewMachine *self)
{
  const char *kernel = gtk_editable_get_text (self->kernel_entry);
  const char *initrd = gtk_editable_get_text (self->initrd_entry);
  char *problem;

  if (kernel[0] == '\0')
    return g_strdup (_("Enter the path of the kernel"));
  if (!g_path_is_absolute (kernel))
    return g_strdup (_("The kernel path must be absolute (start with “/”)"));
  if (initrd[0] != '\0' && !g_path_is_absolute (initrd))
    return g_strdup (_("The initrd path must be absolute (start with “/”)"));

  problem = file_problem (&self->kernel_file, TRUE);
  if (problem == NULL && initrd[0] != '\0')
    problem = file_problem (&self->initrd_file, FALSE);
  return problem;
}

static char *
source_problem (HangarNewMachine *self)
{
  switch (source_kind (self))
    {
    case SOURCE_ISO:
      return selected_iso (self) ? NULL : g_strdup (_("Choose an ISO image to install from"));
    case SOURCE_IMPORT:
      if (self->disks->len == 0)
        return g_strdup (_("There are no disk images in the active storage pools to import"));
      return selected_disk (self) ? NULL : g_strdup (_("Choose a disk image to import"));
    case SOURCE_NETWORK:
      return NULL;
    case SOURCE_KERNEL:
      return kernel_problem (self);
    default:
      g_assert_not_reached ();
    }
}

static char *
resources_problem (HangarNewMachine *self)
{
  if (!self->host_known)
    return g_strdup (_("Asking the engine about this computer…"));
  if (self->host_memory_kib > 0 && memory_mib (self) * 1024 > self->host_memory_kib)
    return g_strdup (_("The machine cannot have more memory than this computer"));
  if (vcpus (self) == 0)
    return g_strdup (_("The machine needs at least one processor"));
  return NULL;
}

static char *
storage_problem (HangarNewMachine *self)
{
  if (!wants_new_disk (self))
    return NULL;
  if (selected_pool (self) == NULL)
    return g_strdup (_("There is no active storage pool for the new disk: start one, or turn the new disk off"));
  if (disk_size (self) == 0)
    return g_strdup (_("Give the new disk a size"));
  return NULL;
}

static char *
name_page_problem (HangarNewMachine *self)
{
  const char *name = gtk_editable_get_text (self->name_entry);
  char *problem = name_problem (name);

  if (problem == NULL && machine_name_taken (self, name))
    problem = g_strdup_printf (_("A machine named “%s” already exists"), name);
  return problem;
}

static char *
page_problem (HangarNewMachine *self,
              guint             page)
{
  switch (page)
    {
    case PAGE_SOURCE:    return source_problem (self);
    case PAGE_OS:        return NULL;
    case PAGE_RESOURCES: return resources_problem (self);
    case PAGE_STORAGE:   return storage_problem (self);
    case PAGE_NAME:      return name_page_problem (self);
    case PAGE_SUMMARY:   return NULL;
    default:             g_assert_not_reached ();
    }
}

static char *
first_problem (HangarNewMachine *self)
{
  for (guint page = 0; page < N_PAGES; page++)
    {
      char *problem = page_problem (self, page);

      if (problem != NULL)
        return problem;
    }
  return NULL;
}

/* ---- Navigation ----------------------------------------------------------- */

static const char *
page_title (guint page)
{
  static const char *titles[N_PAGES] = {
    N_("Source"),
    N_("Operating System"),
    N_("Memory and Processors"),
    N_("Storage"),
    N_("Name and Network"),
    N_("Summary"),
  };

  return _(titles[page]);
}

static void
show_problem (HangarNewMachine *self,
              const char       *text,
              gboolean          is_error)
{
  gtk_revealer_set_reveal_child (self->problem_revealer, text != NULL);
  if (text == NULL)
    return;

  gtk_label_set_text (self->problem_label, text);
  gtk_image_set_from_icon_name (self->problem_icon, is_error ? "dialog-error-symbolic"
                                                             : "dialog-information-symbolic");
  if (is_error)
    gtk_widget_add_css_class (GTK_WIDGET (self->problem_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->problem_label), "error");
}

static void
update_navigation (HangarNewMachine *self)
{
  g_autofree char *problem = page_problem (self, self->page);
  g_autofree char *any_problem = first_problem (self);
  g_autofree char *subtitle = NULL;
  gboolean last = self->page == N_PAGES - 1;

  subtitle = g_strdup_printf (_("Step %u of %u: %s"), self->page + 1, N_PAGES, page_title (self->page));
  adw_window_title_set_subtitle (self->window_title, subtitle);

  gtk_widget_set_visible (self->cancel_button, self->page == 0);
  gtk_widget_set_visible (self->back_button, self->page > 0);
  gtk_widget_set_visible (self->next_button, !last);
  gtk_widget_set_visible (self->create_button, last);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "assistant.back", self->page > 0 && !self->creating);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "assistant.next", !last && problem == NULL && !self->creating);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "assistant.create", last && any_problem == NULL && !self->creating);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "assistant.stop", self->job != NULL);

  gtk_widget_set_tooltip_text (self->next_button, problem ? problem : _("Go to the next step"));
  gtk_widget_set_tooltip_text (self->create_button,
                               any_problem ? any_problem
                               : gtk_check_button_get_active (self->customize_check)
                               ? _("Create the machine and open its hardware settings")
                               : _("Create the machine and start it"));

  if (self->error_text != NULL)
    show_problem (self, self->error_text, TRUE);
  else
    show_problem (self, last ? any_problem : problem, FALSE);
}

static void
go_to_page (HangarNewMachine *self,
            guint             page)
{
  gboolean animate = FALSE;

  g_object_get (gtk_widget_get_settings (GTK_WIDGET (self)), "gtk-enable-animations", &animate, NULL);
  self->page = page;
  g_clear_pointer (&self->error_text, g_free);
  /* Files may have come or gone meanwhile. */
  if (page == PAGE_SOURCE || page == PAGE_SUMMARY)
    check_kernel_files (self, TRUE);
  adw_carousel_scroll_to (self->carousel, adw_carousel_get_nth_page (self->carousel, page), animate);
  scroll_to_chosen_os (self);
  update_navigation (self);
}

/* ---- Page 1: source ------------------------------------------------------- */

static void
update_source_groups (HangarNewMachine *self)
{
  SourceKind kind = source_kind (self);

  gtk_widget_set_visible (self->iso_group, kind == SOURCE_ISO);
  gtk_widget_set_visible (self->import_group, kind == SOURCE_IMPORT);
  gtk_widget_set_visible (self->network_boot_group, kind == SOURCE_NETWORK);
  gtk_widget_set_visible (self->kernel_group, kind == SOURCE_KERNEL);
  /* An advanced source chosen stays in sight. */
  if (kind == SOURCE_NETWORK || kind == SOURCE_KERNEL)
    adw_expander_row_set_expanded (self->advanced_row, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->iso_combo), self->isos->len > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->import_combo), self->disks->len > 0);

  gtk_widget_set_visible (self->disk_group, kind != SOURCE_IMPORT);
  gtk_widget_set_visible (self->imported_group, kind == SOURCE_IMPORT);
}

static void
update_imported_row (HangarNewMachine *self)
{
  MediaItem *disk = selected_disk (self);
  g_autofree char *size = NULL;
  g_autofree char *subtitle = NULL;

  if (disk == NULL)
    return;

  size = format_bytes (disk->capacity);
  /* Translators: a disk image: "20 GiB, qcow2, in pool “default”". */
  subtitle = g_strdup_printf (_("%s, %s, in pool “%s”"), size, disk->format, disk->pool);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->imported_row), disk->volume);
  adw_action_row_set_subtitle (self->imported_row, subtitle);
}

/* A new source: the system on it is unknown until detected or chosen. */
static void
source_changed (HangarNewMachine *self)
{
  if (self->refreshing)
    return;

  update_source_groups (self);
  update_imported_row (self);
  detect_selected_iso (self);
  if (!self->os_chosen_by_user)
    g_set_object (&self->os, self->detected_os);
  apply_os (self);
}

static void
on_source_toggled (HangarNewMachine *self,
                   GtkCheckButton   *button)
{
  if (!gtk_check_button_get_active (button))
    return;

  /* Another kind of source: what was picked for the last one no longer holds. */
  self->os_chosen_by_user = FALSE;
  check_kernel_files (self, TRUE);
  source_changed (self);
}

static void
on_iso_selected (HangarNewMachine *self)
{
  source_changed (self);
}

static void
on_import_selected (HangarNewMachine *self)
{
  source_changed (self);
}

/* ---- The kernel's files -------------------------------------------------- */

typedef struct {
  HangarNewMachine *self;
  FileCheck        *check;
} FileCheckCall;

/* A path the engine could not boot from is marked where it was typed. */
static void
mark_file_entry (GtkEditable     *entry,
                 const FileCheck *check)
{
  if (check->state == FILE_MISSING || check->state == FILE_NOT_REGULAR ||
      check->state == FILE_UNREADABLE || check->state == FILE_ERROR)
    gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
}

static void
mark_kernel_entries (HangarNewMachine *self)
{
  mark_file_entry (self->kernel_entry, &self->kernel_file);
  mark_file_entry (self->initrd_entry, &self->initrd_file);
}

static void
on_file_checked (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autofree FileCheckCall *call = user_data;
  g_autoptr(HangarNewMachine) self = call->self;
  FileCheck *check = call->check;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInfo) info = g_file_query_info_finish (G_FILE (source), result, &error);

  set_pending (self, FALSE);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&check->cancellable);
  if (info == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    check->state = FILE_MISSING;
  else if (info == NULL)
    {
      check->state = FILE_ERROR;
      check->message = g_strdup (error->message);
    }
  else if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    check->state = FILE_NOT_REGULAR;
  /* A session engine runs as this user: what this user cannot read, it
   * cannot either. A system engine (root) reads what it likes. */
  else if (!is_system_mode (self) &&
           g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_ACCESS_CAN_READ) &&
           !g_file_info_get_attribute_boolean (info, G_FILE_ATTRIBUTE_ACCESS_CAN_READ))
    check->state = FILE_UNREADABLE;
  else
    check->state = FILE_OK;
  mark_file_entry (check == &self->kernel_file ? self->kernel_entry : self->initrd_entry, check);
  update_navigation (self);
}

/* Looks at the file @text names (asynchronously), unless it is the one
 * already looked at and @again is FALSE. */
static void
check_file (HangarNewMachine *self,
            FileCheck        *check,
            const char       *text,
            gboolean          again)
{
  g_autoptr(GFile) file = NULL;
  FileCheckCall *call;

  if (!again && check->state != FILE_UNCHECKED && g_strcmp0 (check->path, text) == 0)
    return;

  file_check_clear (check);
  if (!g_path_is_absolute (text))
    return;

  check->path = g_strdup (text);
  check->state = FILE_CHECKING;
  check->cancellable = g_cancellable_new ();
  call = g_new0 (FileCheckCall, 1);
  call->self = g_object_ref (self);
  call->check = check;
  file = g_file_new_for_path (text);
  set_pending (self, TRUE);
  g_file_query_info_async (file, G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_ACCESS_CAN_READ,
                           G_FILE_QUERY_INFO_NONE, G_PRIORITY_DEFAULT, check->cancellable,
                           on_file_checked, call);
}

static void
check_kernel_files (HangarNewMachine *self,
                    gboolean          again)
{
  if (source_kind (self) != SOURCE_KERNEL)
    return;
  check_file (self, &self->kernel_file, gtk_editable_get_text (self->kernel_entry), again);
  check_file (self, &self->initrd_file, gtk_editable_get_text (self->initrd_entry), again);
  mark_kernel_entries (self);
}

static void
on_kernel_entry_changed (HangarNewMachine *self)
{
  check_kernel_files (self, FALSE);
  update_navigation (self);
}

static void
on_kernel_file_chosen (GtkNativeDialog  *dialog,
                       int               response,
                       HangarNewMachine *self)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "hangar-entry");
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  g_object_unref (dialog);
  if (file == NULL)
    return;

  path = g_file_get_path (file);
  if (path == NULL)
    {
      set_error_text (self, _("Choose a file on this computer"));
      return;
    }
  gtk_editable_set_text (entry, path);
}

static void
choose_kernel_file (HangarNewMachine *self,
                    const char       *title,
                    GtkEditable      *entry)
{
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (title, GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN,
                                        _("_Choose"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_object_set_data (G_OBJECT (dialog), "hangar-entry", entry);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_kernel_file_chosen), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
choose_kernel_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  HangarNewMachine *self = HANGAR_NEW_MACHINE (widget);

  if (g_str_equal (action_name, "assistant.choose-kernel"))
    choose_kernel_file (self, _("Choose the Kernel"), self->kernel_entry);
  else
    choose_kernel_file (self, _("Choose the Initial RAM Disk"), self->initrd_entry);
}

static void
update_network_boot_row (HangarNewMachine *self)
{
  const char *text;

  if (is_system_mode (self))
    text = _("The machine's network needs a PXE boot server; when none answers, it "
             "boots from its disk.");
  else
    text = _("QEMU's user-mode networking has no PXE boot server: the machine boots "
             "from its disk unless a server on its network answers.");
  adw_action_row_set_subtitle (self->network_boot_row, text);
}

static void
add_local_iso (HangarNewMachine *self,
               const char       *path)
{
  gboolean known = FALSE;

  for (guint i = 0; i < self->local_isos->len; i++)
    known |= g_str_equal (g_ptr_array_index (self->local_isos, i), path);
  if (!known)
    g_ptr_array_add (self->local_isos, g_strdup (path));
}

static void
select_iso_path (HangarNewMachine *self,
                 const char       *path)
{
  for (guint i = 0; i < self->isos->len; i++)
    {
      MediaItem *item = g_ptr_array_index (self->isos, i);

      if (item->pool == NULL && g_strcmp0 (item->path, path) == 0)
        adw_combo_row_set_selected (self->iso_combo, i);
    }
}

void
hangar_new_machine_set_iso_file (HangarNewMachine *self,
                                 const char       *path)
{
  g_return_if_fail (HANGAR_IS_NEW_MACHINE (self));
  g_return_if_fail (path != NULL && g_path_is_absolute (path));

  gtk_check_button_set_active (self->iso_check, TRUE);
  add_local_iso (self, path);
  refresh_lists (self);
  select_iso_path (self, path);
}

static void
on_iso_file_chosen (GtkNativeDialog  *dialog,
                    int               response,
                    HangarNewMachine *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  g_object_unref (dialog);
  if (file == NULL)
    return;

  path = g_file_get_path (file);
  if (path == NULL)
    {
      set_error_text (self, _("Choose a file on this computer"));
      return;
    }

  hangar_new_machine_set_iso_file (self, path);
}

static void
choose_iso_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  HangarNewMachine *self = HANGAR_NEW_MACHINE (widget);
  GtkFileChooserNative *dialog;
  g_autoptr(GtkFileFilter) iso_filter = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all_filter = gtk_file_filter_new ();

  dialog = gtk_file_chooser_native_new (_("Choose an ISO Image"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);

  gtk_file_filter_set_name (iso_filter, _("ISO Images"));
  gtk_file_filter_add_mime_type (iso_filter, "application/x-cd-image");
  gtk_file_filter_add_suffix (iso_filter, "iso");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), iso_filter);
  gtk_file_filter_set_name (all_filter, _("All Files"));
  gtk_file_filter_add_pattern (all_filter, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), all_filter);

  g_signal_connect (dialog, "response", G_CALLBACK (on_iso_file_chosen), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ---- Page 2: operating system --------------------------------------------- */

static const char *
media_file_name (HangarNewMachine *self)
{
  MediaItem *iso = source_kind (self) == SOURCE_ISO ? selected_iso (self) : NULL;

  return iso != NULL ? iso->volume : NULL;
}

static char *
unknown_os_subtitle (HangarNewMachine *self)
{
  const char *file = media_file_name (self);

  if (file != NULL && self->detect_failed)
    return g_strdup_printf (_("“%s” cannot be read from here: choose the system below, "
                              "or go on with general settings"), file);
  if (file != NULL)
    return g_strdup_printf (_("“%s” was not recognized: choose the system below, "
                              "or go on with general settings"), file);
  if (source_kind (self) == SOURCE_NETWORK || source_kind (self) == SOURCE_KERNEL)
    return g_strdup (_("Nothing to detect it from: choose the system below, "
                       "or go on with general settings"));
  return g_strdup (_("Choose the system below, or go on with general settings"));
}

static void
update_os_row (HangarNewMachine *self)
{
  g_autofree char *subtitle = NULL;
  const char *title;

  gtk_widget_set_visible (GTK_WIDGET (self->os_spinner), self->detecting);
  gtk_spinner_set_spinning (self->os_spinner, self->detecting);

  if (self->detecting)
    {
      title = _("Detecting…");
      subtitle = g_strdup_printf (_("Looking at “%s”"), media_file_name (self));
    }
  else if (self->os != NULL)
    {
      title = hangar_os_info_get_name (self->os);
      if (self->os == self->detected_os && !self->os_chosen_by_user)
        subtitle = g_strdup_printf (_("Detected on “%s”"), media_file_name (self));
      else
        subtitle = g_strdup (_("Chosen from the list below"));
    }
  else
    {
      title = _("Unknown Operating System");
      subtitle = unknown_os_subtitle (self);
    }

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->os_row), title);
  adw_action_row_set_subtitle (self->os_row, subtitle);
  gtk_image_set_from_icon_name (self->os_icon, hangar_os_info_get_icon_name (self->os));
}

/* Only on its page: a list view scrolled while out of sight stays blank. */
static void
scroll_to_chosen_os (HangarNewMachine *self)
{
  guint position;

  if (self->os_selection == NULL || self->page != PAGE_OS)
    return;

  position = gtk_single_selection_get_selected (self->os_selection);
  if (position != GTK_INVALID_LIST_POSITION)
    gtk_widget_activate_action (GTK_WIDGET (self->os_list), "list.scroll-to-item", "u", position);
}

static void
select_os_in_list (HangarNewMachine *self)
{
  GListModel *model;
  guint position = GTK_INVALID_LIST_POSITION;
  guint n;

  if (self->os_selection == NULL)
    return;

  model = gtk_single_selection_get_model (self->os_selection);
  n = g_list_model_get_n_items (model);
  for (guint i = 0; i < n && self->os != NULL; i++)
    {
      g_autoptr(OsinfoOs) os = g_list_model_get_item (model, i);

      if (os == self->os)
        position = i;
    }

  self->selecting_os = TRUE;
  gtk_single_selection_set_selected (self->os_selection, position);
  self->selecting_os = FALSE;
  scroll_to_chosen_os (self);
}

static void
apply_resources (HangarNewMachine *self)
{
  HangarOsResources resources;
  g_autofree char *memory = NULL;
  g_autofree char *storage = NULL;
  g_autofree char *description = NULL;
  g_autofree char *escaped = NULL;

  hangar_os_info_get_resources (self->os, &resources);
  gtk_spin_button_set_value (self->memory_spin, (double) (resources.ram / MIB));
  gtk_spin_button_set_value (self->cpus_spin, resources.n_cpus);
  gtk_spin_button_set_value (self->size_spin, (double) ((resources.storage + GIB - 1) / GIB));

  memory = format_bytes (resources.ram);
  storage = format_bytes (resources.storage);
  if (resources.from_osinfo)
    /* Translators: "Recommended for Debian 12: 2.0 GiB of memory and 2 processors." */
    description = g_strdup_printf (ngettext ("Recommended for %s: %s of memory and %u processor.",
                                             "Recommended for %s: %s of memory and %u processors.",
                                             resources.n_cpus),
                                   hangar_os_info_get_name (self->os), memory, resources.n_cpus);
  else
    description = g_strdup_printf (ngettext ("General settings: %s of memory and %u processor.",
                                             "General settings: %s of memory and %u processors.",
                                             resources.n_cpus),
                                   memory, resources.n_cpus);
  escaped = g_markup_escape_text (description, -1);
  adw_preferences_group_set_description (self->resources_group, escaped);

  g_free (description);
  description = g_strdup_printf (_("Recommended: %s"), storage);
  adw_action_row_set_subtitle (self->size_row, description);
}

/* The system changed (detected, chosen, or forgotten with its source). */
static void
apply_os (HangarNewMachine *self)
{
  update_os_row (self);
  select_os_in_list (self);
  apply_resources (self);
  update_default_name (self);
  update_navigation (self);
}

static void
on_os_selected (HangarNewMachine *self)
{
  OsinfoOs *os = gtk_single_selection_get_selected_item (self->os_selection);

  /* Unselected because the search hid it: the choice stands. */
  if (self->selecting_os || os == NULL || os == self->os)
    return;

  self->os_chosen_by_user = TRUE;
  g_set_object (&self->os, os);
  apply_os (self);
}

static gboolean
filter_os (gpointer item,
           gpointer user_data)
{
  HangarNewMachine *self = user_data;

  return hangar_os_info_matches (OSINFO_OS (item), gtk_editable_get_text (self->os_search));
}

static void
on_os_search_changed (HangarNewMachine *self)
{
  if (self->os_filter != NULL)
    gtk_filter_changed (GTK_FILTER (self->os_filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
setup_os_item (GtkSignalListItemFactory *factory,
               GtkListItem              *item)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *icon = gtk_image_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *detail = gtk_label_new (NULL);

  gtk_widget_add_css_class (icon, "dim-label");
  gtk_box_append (GTK_BOX (row), icon);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (detail), 0);
  gtk_label_set_ellipsize (GTK_LABEL (detail), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (detail, "dim-label");
  gtk_widget_add_css_class (detail, "caption");
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), detail);
  gtk_widget_set_hexpand (box, TRUE);
  gtk_box_append (GTK_BOX (row), box);
  gtk_widget_set_margin_top (row, 3);
  gtk_widget_set_margin_bottom (row, 3);
  gtk_list_item_set_child (item, row);
}

static void
bind_os_item (GtkSignalListItemFactory *factory,
              GtkListItem              *item)
{
  OsinfoOs *os = gtk_list_item_get_item (item);
  GtkWidget *icon = gtk_widget_get_first_child (gtk_list_item_get_child (item));
  GtkWidget *name = gtk_widget_get_first_child (gtk_widget_get_next_sibling (icon));
  GtkWidget *detail = gtk_widget_get_next_sibling (name);
  const char *vendor = osinfo_product_get_vendor (OSINFO_PRODUCT (os));
  const char *short_id = hangar_os_info_get_short_id (os);
  g_autofree char *text = NULL;

  /* Translators: under an operating system's name: "debian12 · Debian Project". */
  text = vendor ? g_strdup_printf (_("%s · %s"), short_id ? short_id : "", vendor)
                : g_strdup (short_id ? short_id : "");
  gtk_image_set_from_icon_name (GTK_IMAGE (icon), hangar_os_info_get_icon_name (os));
  gtk_label_set_text (GTK_LABEL (name), hangar_os_info_get_name (os));
  gtk_label_set_text (GTK_LABEL (detail), text);
}

static void
setup_os_list (HangarNewMachine *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkFilterListModel *filtered;

  self->os_filter = gtk_custom_filter_new (filter_os, self, NULL);
  filtered = gtk_filter_list_model_new (hangar_os_info_list_oses (self->db),
                                        GTK_FILTER (g_object_ref (self->os_filter)));
  self->os_selection = gtk_single_selection_new (G_LIST_MODEL (filtered));
  gtk_single_selection_set_autoselect (self->os_selection, FALSE);
  gtk_single_selection_set_can_unselect (self->os_selection, TRUE);
  gtk_single_selection_set_selected (self->os_selection, GTK_INVALID_LIST_POSITION);
  g_signal_connect_object (self->os_selection, "notify::selected-item",
                           G_CALLBACK (on_os_selected), self, G_CONNECT_SWAPPED);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_os_item), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_os_item), NULL);
  gtk_list_view_set_factory (self->os_list, factory);
  gtk_list_view_set_model (self->os_list, GTK_SELECTION_MODEL (self->os_selection));
}

static void
on_detected (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(HangarNewMachine) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(OsinfoOs) os = hangar_os_info_detect_finish (result, &error);

  set_pending (self, FALSE);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->detecting = FALSE;
  if (error != NULL)
    {
      g_debug ("Cannot read %s: %s", self->detected_path, error->message);
      self->detect_failed = TRUE;
    }

  g_set_object (&self->detected_os, os);
  if (!self->os_chosen_by_user)
    g_set_object (&self->os, os);
  apply_os (self);
}

static void
start_detection (HangarNewMachine *self)
{
  if (self->db == NULL || self->detected_path == NULL || self->detecting)
    return;

  /* A pool volume may belong to the engine's user only (system mode). */
  if (g_access (self->detected_path, R_OK) != 0)
    {
      self->detect_failed = TRUE;
      return;
    }

  self->detecting = TRUE;
  self->detect_cancellable = g_cancellable_new ();
  set_pending (self, TRUE);
  hangar_os_info_detect_async (self->db, self->detected_path, self->detect_cancellable,
                               on_detected, g_object_ref (self));
}

static void
detect_selected_iso (HangarNewMachine *self)
{
  MediaItem *iso = source_kind (self) == SOURCE_ISO ? selected_iso (self) : NULL;

  if (iso != NULL && g_strcmp0 (iso->path, self->detected_path) == 0)
    return;

  g_cancellable_cancel (self->detect_cancellable);
  g_clear_object (&self->detect_cancellable);
  self->detecting = FALSE;
  self->detect_failed = FALSE;
  g_clear_object (&self->detected_os);
  g_free (self->detected_path);
  self->detected_path = iso ? g_strdup (iso->path) : NULL;

  start_detection (self);
}

static void
on_db_loaded (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HangarNewMachine) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(OsinfoDb) db = hangar_os_info_load_db_finish (result, &error);

  set_pending (self, FALSE);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (db == NULL)
    {
      /* Still usable: general settings for every machine. */
      g_warning ("Cannot load the osinfo database: %s", error->message);
      return;
    }

  self->db = g_steal_pointer (&db);
  setup_os_list (self);
  start_detection (self);
  apply_os (self);
}

/* ---- Page 3: memory and processors ---------------------------------------- */

static void
update_memory_warning (HangarNewMachine *self)
{
  guint64 memory_kib = memory_mib (self) * 1024;
  gboolean warn = self->host_memory_kib > 0 &&
                  memory_kib * 100 > self->host_memory_kib * MEMORY_WARNING_PERCENT;
  g_autofree char *host = NULL;
  g_autofree char *text = NULL;

  gtk_widget_set_visible (self->memory_warning, warn);
  if (!warn)
    return;

  host = format_bytes (self->host_memory_kib * 1024);
  text = g_strdup_printf (_("This is more than %d %% of this computer's memory (%s): "
                            "the computer and its other machines may run short."),
                          MEMORY_WARNING_PERCENT, host);
  gtk_label_set_text (self->memory_warning_label, text);
}

static void
on_resources_changed (HangarNewMachine *self)
{
  update_memory_warning (self);
  update_navigation (self);
}

static void
set_host_limits (HangarNewMachine *self,
                 guint64           memory_kib,
                 guint             cpus)
{
  g_autofree char *memory = format_bytes (memory_kib * 1024);
  g_autofree char *memory_text = g_strdup_printf (_("This computer has %s"), memory);
  g_autofree char *cpus_text = g_strdup_printf (ngettext ("This computer has %u",
                                                          "This computer has %u", cpus), cpus);

  self->host_known = TRUE;
  self->host_memory_kib = memory_kib;
  self->host_cpus = cpus;
  gtk_adjustment_set_upper (gtk_spin_button_get_adjustment (self->memory_spin),
                            MAX (memory_kib / 1024, MIN_MEMORY_MIB));
  gtk_adjustment_set_upper (gtk_spin_button_get_adjustment (self->cpus_spin), MAX (cpus, 1));
  adw_action_row_set_subtitle (self->memory_row, memory_text);
  adw_action_row_set_subtitle (self->cpus_row, cpus_text);
}

static void
on_host_info (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HangarNewMachine) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) info = NULL;
  guint64 memory_kib = 0;
  guint32 cpus = 0;

  hangar_manager_call_get_host_info_finish (HANGAR_MANAGER (source), &info, result, &error);
  set_pending (self, FALSE);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (info != NULL)
    {
      g_variant_lookup (info, "memory-kib", "t", &memory_kib);
      g_variant_lookup (info, "cpus", "u", &cpus);
      g_variant_lookup (info, "arch", "s", &self->host_arch);
    }

  /* Without the host's size, nothing is capped; the choices stay open. */
  if (memory_kib == 0 || cpus == 0)
    {
      self->host_known = TRUE;
      if (error != NULL)
        set_error (self, _("The engine did not say what this computer has"), error);
      update_navigation (self);
      return;
    }

  set_host_limits (self, memory_kib, cpus);
  apply_resources (self);
  update_navigation (self);
}

/* ---- Page 4: storage ------------------------------------------------------ */

static void
update_storage_rows (HangarNewMachine *self)
{
  PoolItem *pool = selected_pool (self);
  gboolean new_disk = gtk_switch_get_active (self->disk_switch);
  g_autofree char *available = NULL;
  g_autofree char *text = NULL;

  gtk_widget_set_sensitive (GTK_WIDGET (self->pool_combo), new_disk);
  gtk_widget_set_sensitive (GTK_WIDGET (self->size_row), new_disk);
  if (pool == NULL)
    {
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->pool_combo), _("No active storage pool"));
      return;
    }

  available = format_bytes (pool->available);
  text = g_strdup_printf (_("%s free"), available);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->pool_combo), text);
}

static void
on_storage_changed (HangarNewMachine *self)
{
  if (self->refreshing)
    return;

  update_storage_rows (self);
  update_navigation (self);
}

/* ---- Page 5: name and network --------------------------------------------- */

static void
on_name_changed (HangarNewMachine *self)
{
  if (!self->setting_name)
    self->name_edited = TRUE;
  update_navigation (self);
}

static void
on_name_activated (HangarNewMachine *self)
{
  if (gtk_widget_is_sensitive (self->next_button))
    gtk_widget_activate_action (GTK_WIDGET (self), "assistant.next", NULL);
}

static void
on_network_selected (HangarNewMachine *self)
{
  if (!self->refreshing)
    update_navigation (self);
}

static void
update_network_description (HangarNewMachine *self)
{
  const char *text;

  if (is_system_mode (self))
    text = _("Virtual networks let machines reach each other and the host; user-mode "
             "networking needs none but only reaches out.");
  else
    text = _("The machine reaches the network through QEMU's user-mode networking; "
             "other computers cannot reach it.");
  adw_preferences_group_set_description (self->network_group, text);
}

/* ---- Keeping the lists in step with the engine ---------------------------- */

static int
compare_media (gconstpointer a,
               gconstpointer b)
{
  const MediaItem *item_a = *(MediaItem * const *) a;
  const MediaItem *item_b = *(MediaItem * const *) b;

  return g_utf8_collate (item_a->label, item_b->label);
}

static int
compare_pools (gconstpointer a,
               gconstpointer b)
{
  const PoolItem *pool_a = *(PoolItem * const *) a;
  const PoolItem *pool_b = *(PoolItem * const *) b;

  /* "default" first: the pool people mean when they do not choose. */
  if (g_str_equal (pool_a->name, "default") != g_str_equal (pool_b->name, "default"))
    return g_str_equal (pool_a->name, "default") ? -1 : 1;
  return g_utf8_collate (pool_a->name, pool_b->name);
}

static int
compare_networks (gconstpointer a,
                  gconstpointer b)
{
  const char *name_a = *(const char * const *) a;
  const char *name_b = *(const char * const *) b;

  /* Virtual networks ("default" first), then user-mode (""). */
  if ((name_a[0] == '\0') != (name_b[0] == '\0'))
    return name_a[0] == '\0' ? 1 : -1;
  if (g_str_equal (name_a, "default") != g_str_equal (name_b, "default"))
    return g_str_equal (name_a, "default") ? -1 : 1;
  return g_utf8_collate (name_a, name_b);
}

static MediaItem *
media_item_from_volume (HangarNewMachine *self,
                        HangarVolume     *volume)
{
  MediaItem *item = g_new0 (MediaItem, 1);

  item->pool = g_strdup (pool_name_of (self, hangar_volume_get_pool (volume)));
  item->volume = g_strdup (hangar_volume_get_name (volume));
  item->path = g_strdup (hangar_volume_get_path (volume));
  item->format = g_strdup (hangar_volume_get_format (volume));
  item->capacity = hangar_volume_get_capacity (volume);
  /* Translators: a volume in a storage pool: "debian-12.iso (default)". */
  item->label = g_strdup_printf (_("%s (%s)"), item->volume, item->pool);
  return item;
}

static MediaItem *
media_item_from_file (const char *path)
{
  MediaItem *item = g_new0 (MediaItem, 1);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInfo) info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                                 G_FILE_QUERY_INFO_NONE, NULL, NULL);

  item->volume = g_path_get_basename (path);
  item->path = g_strdup (path);
  item->format = g_strdup ("iso");
  item->capacity = info ? (guint64) g_file_info_get_size (info) : 0;
  /* Translators: an ISO file chosen on this computer: "debian-12.iso (this computer)". */
  item->label = g_strdup_printf (_("%s (this computer)"), item->volume);
  return item;
}

static void
collect_volumes (HangarNewMachine *self,
                 GPtrArray        *isos,
                 GPtrArray        *disks)
{
  g_autolist(GDBusObject) objects = list_objects (self);

  for (GList *l = objects; l != NULL; l = l->next)
    {
      HangarVolume *volume = hangar_object_peek_volume (HANGAR_OBJECT (l->data));

      if (volume == NULL || !pool_is_active (self, hangar_volume_get_pool (volume)))
        continue;
      if (hangar_volume_get_install_media (volume))
        g_ptr_array_add (isos, media_item_from_volume (self, volume));
      else
        g_ptr_array_add (disks, media_item_from_volume (self, volume));
    }

  for (guint i = 0; i < self->local_isos->len; i++)
    g_ptr_array_add (isos, media_item_from_file (g_ptr_array_index (self->local_isos, i)));

  g_ptr_array_sort (isos, compare_media);
  g_ptr_array_sort (disks, compare_media);
}

static GPtrArray *
collect_pools (HangarNewMachine *self)
{
  g_autolist(GDBusObject) objects = list_objects (self);
  GPtrArray *pools = g_ptr_array_new_with_free_func ((GDestroyNotify) pool_item_free);

  for (GList *l = objects; l != NULL; l = l->next)
    {
      HangarStoragePool *pool = hangar_object_peek_storage_pool (HANGAR_OBJECT (l->data));
      PoolItem *item;

      if (pool == NULL || g_strcmp0 (hangar_storage_pool_get_state (pool), "active") != 0)
        continue;

      item = g_new0 (PoolItem, 1);
      item->name = g_strdup (hangar_storage_pool_get_name (pool));
      item->object_path = g_strdup (g_dbus_object_get_object_path (G_DBUS_OBJECT (l->data)));
      item->available = hangar_storage_pool_get_available (pool);
      g_ptr_array_add (pools, item);
    }

  g_ptr_array_sort (pools, compare_pools);
  return pools;
}

static GPtrArray *
collect_networks (HangarNewMachine *self)
{
  GPtrArray *networks = g_ptr_array_new_with_free_func (g_free);
  g_autolist(GDBusObject) objects = NULL;

  if (is_system_mode (self))
    objects = list_objects (self);
  for (GList *l = objects; l != NULL; l = l->next)
    {
      HangarNetwork *network = hangar_object_peek_network (HANGAR_OBJECT (l->data));

      if (network != NULL && hangar_network_get_active (network))
        g_ptr_array_add (networks, g_strdup (hangar_network_get_name (network)));
    }

  g_ptr_array_add (networks, g_strdup (""));
  g_ptr_array_sort (networks, compare_networks);
  return networks;
}

static char *
media_key (MediaItem *item)
{
  if (item == NULL)
    return NULL;
  return g_strconcat (item->pool ? item->pool : "", "/", item->pool ? item->volume : item->path, NULL);
}

/* Shows @labels in @list, touching it only when they changed (a combo's
 * popover must not flicker on each engine signal), and selects @position. */
static void
set_combo_items (AdwComboRow   *combo,
                 GtkStringList *list,
                 GPtrArray     *labels,
                 guint          position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (list));
  gboolean same = n == labels->len;

  for (guint i = 0; same && i < n; i++)
    same = g_str_equal (gtk_string_list_get_string (list, i), g_ptr_array_index (labels, i));

  if (!same)
    {
      g_ptr_array_add (labels, NULL);
      gtk_string_list_splice (list, 0, n, (const char * const *) labels->pdata);
      g_ptr_array_remove_index (labels, labels->len - 1);
    }

  adw_combo_row_set_selected (combo, labels->len > 0 ? position : GTK_INVALID_LIST_POSITION);
}

static guint
find_media (GPtrArray  *items,
            const char *key)
{
  for (guint i = 0; i < items->len; i++)
    {
      g_autofree char *item_key = media_key (g_ptr_array_index (items, i));

      if (g_strcmp0 (item_key, key) == 0)
        return i;
    }
  return 0;
}

static void
show_media (AdwComboRow   *combo,
            GtkStringList *list,
            GPtrArray     *items,
            const char    *selected_key)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();

  for (guint i = 0; i < items->len; i++)
    g_ptr_array_add (labels, ((MediaItem *) g_ptr_array_index (items, i))->label);
  set_combo_items (combo, list, labels, find_media (items, selected_key));
}

static void
show_pools (HangarNewMachine *self,
            const char       *selected_name)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  guint position = 0;

  for (guint i = 0; i < self->pools->len; i++)
    {
      PoolItem *pool = g_ptr_array_index (self->pools, i);

      g_ptr_array_add (labels, pool->name);
      if (g_strcmp0 (pool->name, selected_name) == 0)
        position = i;
    }
  set_combo_items (self->pool_combo, self->pool_names, labels, position);
}

static void
show_networks (HangarNewMachine *self,
               const char       *selected_name)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  guint position = 0;

  for (guint i = 0; i < self->networks->len; i++)
    {
      const char *name = g_ptr_array_index (self->networks, i);

      if (name[0] == '\0')
        g_ptr_array_add (labels, g_strdup (_("User-mode networking")));
      else
        g_ptr_array_add (labels, g_strdup_printf (_("Virtual network “%s”"), name));
      if (g_strcmp0 (name, selected_name) == 0)
        position = i;
    }
  set_combo_items (self->network_combo, self->network_names, labels, position);
}

static void
refresh_lists (HangarNewMachine *self)
{
  g_autofree char *iso_key = media_key (selected_iso (self));
  g_autofree char *disk_key = media_key (selected_disk (self));
  g_autofree char *pool = g_strdup (selected_pool (self) ? selected_pool (self)->name : NULL);
  g_autofree char *network = g_strdup (selected_network (self));
  g_autofree char *new_iso_key = NULL;
  g_autofree char *new_disk_key = NULL;

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  self->refreshing = TRUE;

  g_ptr_array_set_size (self->isos, 0);
  g_ptr_array_set_size (self->disks, 0);
  collect_volumes (self, self->isos, self->disks);
  g_clear_pointer (&self->pools, g_ptr_array_unref);
  self->pools = collect_pools (self);
  g_clear_pointer (&self->networks, g_ptr_array_unref);
  self->networks = collect_networks (self);

  show_media (self->iso_combo, self->iso_names, self->isos, iso_key);
  show_media (self->import_combo, self->import_names, self->disks, disk_key);
  show_pools (self, pool);
  show_networks (self, network);
  self->refreshing = FALSE;

  new_iso_key = media_key (selected_iso (self));
  new_disk_key = media_key (selected_disk (self));
  update_source_groups (self);
  update_storage_rows (self);
  if (g_strcmp0 (iso_key, new_iso_key) != 0 || g_strcmp0 (disk_key, new_disk_key) != 0)
    source_changed (self);
  update_default_name (self);
  update_navigation (self);
}

static gboolean
refresh_idle (gpointer user_data)
{
  HangarNewMachine *self = user_data;

  self->refresh_id = 0;
  refresh_lists (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (HangarNewMachine *self)
{
  if (self->refresh_id == 0)
    self->refresh_id = g_idle_add (refresh_idle, self);
}

static void
on_proxy_properties_changed (HangarNewMachine *self,
                             GDBusObjectProxy *object,
                             GDBusProxy       *proxy)
{
  /* Jobs change many times a second and say nothing about the lists. */
  if (!HANGAR_IS_JOB (proxy))
    schedule_refresh (self);
}

static void
watch_object_manager (HangarNewMachine *self)
{
  static const char *const signal_names[] = {
    "object-added", "object-removed", "interface-added", "interface-removed",
  };

  for (guint i = 0; i < G_N_ELEMENTS (signal_names); i++)
    g_signal_connect_object (self->object_manager, signal_names[i],
                             G_CALLBACK (schedule_refresh), self, G_CONNECT_SWAPPED);

  if (G_IS_DBUS_OBJECT_MANAGER_CLIENT (self->object_manager))
    g_signal_connect_object (self->object_manager, "interface-proxy-properties-changed",
                             G_CALLBACK (on_proxy_properties_changed), self, G_CONNECT_SWAPPED);
}

/* ---- The plan and its domain XML ------------------------------------------ */

/* A file of the same name and size in the pool is taken to be the same
 * ISO, uploaded before: it is used again instead of copied twice. */
static void
plan_upload (HangarNewMachine *self,
             Plan             *plan,
             MediaItem        *iso)
{
  PoolItem *pool = selected_pool (self);
  g_autoptr(HangarVolume) same = NULL;
  g_autofree char *stem = strip_extension (iso->volume);

  if (pool == NULL)
    return;

  plan->iso_pool = g_strdup (pool->name);
  same = find_volume (self, pool->object_path, iso->volume);
  if (same != NULL && hangar_volume_get_capacity (same) == iso->capacity)
    {
      plan->iso_volume = g_strdup (iso->volume);
      return;
    }

  plan->iso_volume = unique_volume_name (self, pool->name, stem, ".iso");
  plan->upload_path = g_strdup (iso->path);
}

static void
plan_source (HangarNewMachine *self,
             Plan             *plan)
{
  MediaItem *iso = selected_iso (self);
  MediaItem *disk = selected_disk (self);

  switch (source_kind (self))
    {
    case SOURCE_ISO:
      if (iso == NULL)
        break;
      if (iso->pool != NULL)
        {
          plan->iso_pool = g_strdup (iso->pool);
          plan->iso_volume = g_strdup (iso->volume);
        }
      /* A session engine runs as this user on this computer and opens
       * the file itself; a system one gets a copy in a pool. */
      else if (is_system_mode (self))
        plan_upload (self, plan, iso);
      else
        plan->iso_file = g_strdup (iso->path);
      break;

    case SOURCE_IMPORT:
      if (disk == NULL)
        break;
      plan->disk_pool = g_strdup (disk->pool);
      plan->disk_volume = g_strdup (disk->volume);
      plan->disk_format = g_strdup (disk->format);
      break;

    case SOURCE_NETWORK:
      plan->network_boot = TRUE;
      break;

    case SOURCE_KERNEL:
      plan->kernel = g_strdup (gtk_editable_get_text (self->kernel_entry));
      plan->initrd = g_strdup (gtk_editable_get_text (self->initrd_entry));
      plan->cmdline = g_strdup (gtk_editable_get_text (self->cmdline_entry));
      break;

    default:
      g_assert_not_reached ();
    }
}

static Plan *
make_plan (HangarNewMachine *self)
{
  Plan *plan = g_new0 (Plan, 1);
  const char *network = selected_network (self);
  PoolItem *pool = selected_pool (self);

  plan->name = g_strdup (gtk_editable_get_text (self->name_entry));
  plan->memory_mib = memory_mib (self);
  plan->vcpus = vcpus (self);
  plan->arch = g_strdup (self->host_arch ? self->host_arch : "x86_64");
  plan->os_id = self->os ? g_strdup (hangar_os_info_get_id (self->os)) : NULL;
  plan->network = network != NULL && network[0] != '\0' ? g_strdup (network) : NULL;

  /* What the system has drivers for (Windows: no virtio without extras). */
  plan->sata_disk = !hangar_os_info_supports_device (self->os, "block", "virtio");
  plan->virtio_net = hangar_os_info_supports_device (self->os, "net", "virtio");
  plan->e1000_net = hangar_os_info_supports_device (self->os, "net", "e1000");
  plan->virtio_video = hangar_os_info_supports_device (self->os, "video", "virtio");

  plan_source (self, plan);

  if (wants_new_disk (self) && pool != NULL && plan->name[0] != '\0')
    {
      plan->disk_pool = g_strdup (pool->name);
      plan->disk_volume = unique_volume_name (self, pool->name, plan->name, ".qcow2");
      plan->disk_format = g_strdup ("qcow2");
      plan->disk_size = disk_size (self);
    }
  return plan;
}

static void append_escaped (GString    *xml,
                            const char *format,
                            ...) G_GNUC_PRINTF (2, 3);

static void
append_escaped (GString    *xml,
                const char *format,
                ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_markup_vprintf_escaped (format, args);
  va_end (args);
  g_string_append (xml, text);
}

static void
append_os (GString    *xml,
           const Plan *plan)
{
  append_escaped (xml, "  <os>\n    <type arch='%s' machine='q35'>hvm</type>\n", plan->arch);
  if (plan->kernel != NULL)
    {
      append_escaped (xml, "    <kernel>%s</kernel>\n", plan->kernel);
      if (plan->initrd[0] != '\0')
        append_escaped (xml, "    <initrd>%s</initrd>\n", plan->initrd);
      if (plan->cmdline[0] != '\0')
        append_escaped (xml, "    <cmdline>%s</cmdline>\n", plan->cmdline);
    }
  else
    {
      /* The installer first; once installed, the disk boots (the ISO stays
       * in the drive, and installers boot from disk when told to). */
      if (plan->iso_volume != NULL || plan->iso_file != NULL)
        g_string_append (xml, "    <boot dev='cdrom'/>\n");
      /* A network installer (or a diskless machine) from a PXE server; the
       * disk once the server lets it go. */
      if (plan->network_boot)
        g_string_append (xml, "    <boot dev='network'/>\n");
      g_string_append (xml, "    <boot dev='hd'/>\n");
    }
  g_string_append (xml, "  </os>\n");
}

static void
append_disks (GString    *xml,
              const Plan *plan)
{
  const char *cdrom_dev = plan->sata_disk && plan->disk_volume ? "sdb" : "sda";

  if (plan->disk_volume != NULL)
    append_escaped (xml,
                    "    <disk type='volume' device='disk'>\n"
                    "      <driver name='qemu' type='%s'/>\n"
                    "      <source pool='%s' volume='%s'/>\n"
                    "      <target dev='%s' bus='%s'/>\n"
                    "    </disk>\n",
                    plan->disk_format, plan->disk_pool, plan->disk_volume,
                    plan->sata_disk ? "sda" : "vda", plan->sata_disk ? "sata" : "virtio");

  if (plan->iso_volume != NULL)
    append_escaped (xml,
                    "    <disk type='volume' device='cdrom'>\n"
                    "      <driver name='qemu' type='raw'/>\n"
                    "      <source pool='%s' volume='%s'/>\n"
                    "      <target dev='%s' bus='sata'/>\n"
                    "      <readonly/>\n"
                    "    </disk>\n",
                    plan->iso_pool, plan->iso_volume, cdrom_dev);
  else if (plan->iso_file != NULL)
    append_escaped (xml,
                    "    <disk type='file' device='cdrom'>\n"
                    "      <driver name='qemu' type='raw'/>\n"
                    "      <source file='%s'/>\n"
                    "      <target dev='%s' bus='sata'/>\n"
                    "      <readonly/>\n"
                    "    </disk>\n",
                    plan->iso_file, cdrom_dev);
}

static void
append_devices (GString    *xml,
                const Plan *plan)
{
  const char *nic_model = plan->virtio_net ? "virtio" : plan->e1000_net ? "e1000" : "rtl8139";

  g_string_append (xml, "  <devices>\n");
  append_disks (xml, plan);

  if (plan->network != NULL)
    append_escaped (xml,
                    "    <interface type='network'>\n"
                    "      <source network='%s'/>\n"
                    "      <model type='%s'/>\n"
                    "    </interface>\n",
                    plan->network, nic_model);
  else
    append_escaped (xml,
                    "    <interface type='user'>\n"
                    "      <model type='%s'/>\n"
                    "    </interface>\n",
                    nic_model);

  append_escaped (xml,
                  "    <graphics type='vnc'/>\n"
                  "    <video>\n"
                  "      <model type='%s'/>\n"
                  "    </video>\n"
                  "    <input type='tablet' bus='usb'/>\n"
                  "    <serial type='pty'>\n"
                  "      <target port='0'/>\n"
                  "    </serial>\n"
                  "  </devices>\n",
                  plan->virtio_video ? "virtio" : "vga");
}

static char *
plan_to_xml (const Plan *plan)
{
  GString *xml = g_string_new ("<domain type='kvm'>\n");

  append_escaped (xml, "  <name>%s</name>\n", plan->name);
  if (plan->os_id != NULL)
    append_escaped (xml,
                    "  <metadata>\n"
                    "    <libosinfo:libosinfo xmlns:libosinfo=\"" LIBOSINFO_NS "\">\n"
                    "      <libosinfo:os id=\"%s\"/>\n"
                    "    </libosinfo:libosinfo>\n"
                    "  </metadata>\n",
                    plan->os_id);
  append_escaped (xml,
                  "  <memory unit='MiB'>%" G_GUINT64_FORMAT "</memory>\n"
                  "  <currentMemory unit='MiB'>%" G_GUINT64_FORMAT "</currentMemory>\n"
                  "  <vcpu>%u</vcpu>\n",
                  plan->memory_mib, plan->memory_mib, plan->vcpus);
  append_os (xml, plan);
  g_string_append (xml, "  <features>\n    <acpi/>\n    <apic/>\n  </features>\n");
  append_devices (xml, plan);
  g_string_append (xml, "</domain>\n");
  return g_string_free (xml, FALSE);
}

char *
hangar_new_machine_build_xml (HangarNewMachine *self)
{
  g_autoptr(Plan) plan = NULL;

  g_return_val_if_fail (HANGAR_IS_NEW_MACHINE (self), NULL);

  plan = make_plan (self);
  return plan_to_xml (plan);
}

/* ---- Page 6: summary ------------------------------------------------------ */

static char *
describe_source (HangarNewMachine *self,
                 const Plan       *plan)
{
  MediaItem *iso = selected_iso (self);

  if (plan->kernel != NULL && plan->initrd[0] != '\0')
    /* Translators: "Kernel /boot/vmlinuz with initrd /boot/initrd.img". */
    return g_strdup_printf (_("Kernel %s with initrd %s"), plan->kernel, plan->initrd);
  if (plan->kernel != NULL)
    return g_strdup_printf (_("Kernel %s"), plan->kernel);
  if (plan->network_boot)
    return g_strdup (_("Network boot (PXE)"));
  if (source_kind (self) == SOURCE_IMPORT)
    return g_strdup_printf (_("Disk image “%s” in pool “%s”"), plan->disk_volume, plan->disk_pool);
  if (plan->upload_path != NULL)
    return g_strdup_printf (_("%s, copied to pool “%s”"), plan->upload_path, plan->iso_pool);
  if (plan->iso_file != NULL)
    return g_strdup (plan->iso_file);
  if (plan->iso_volume != NULL && iso != NULL && iso->pool == NULL)
    return g_strdup_printf (_("%s, already in pool “%s”"), iso->path, plan->iso_pool);
  if (plan->iso_volume != NULL)
    return g_strdup_printf (_("ISO image “%s” in pool “%s”"), plan->iso_volume, plan->iso_pool);
  return g_strdup (_("None"));
}

static char *
describe_disk (const Plan *plan)
{
  g_autofree char *size = NULL;

  if (plan->disk_volume == NULL)
    return g_strdup (_("None"));
  if (plan->disk_size == 0)
    return g_strdup_printf (_("“%s” in pool “%s”"), plan->disk_volume, plan->disk_pool);

  size = format_bytes (plan->disk_size);
  /* Translators: "New 20.0 GiB disk “debian12.qcow2” in pool “default”". */
  return g_strdup_printf (_("New %s disk “%s” in pool “%s”"), size, plan->disk_volume, plan->disk_pool);
}

static void
set_row_subtitle (AdwActionRow *row,
                  char         *text)
{
  adw_action_row_set_subtitle (row, text);
  g_free (text);
}

static void
update_summary_description (HangarNewMachine *self)
{
  gboolean customize = gtk_check_button_get_active (self->customize_check);
  const char *text;

  if (customize && wants_new_disk (self))
    text = _("Create makes the disk and defines the machine; it starts when you begin the "
             "installation from its hardware settings.");
  else if (customize)
    text = _("Create defines the machine; it starts when you begin the installation from its "
             "hardware settings.");
  else if (wants_new_disk (self))
    text = _("Create makes the disk, defines the machine and starts it.");
  else
    text = _("Create defines the machine and starts it.");
  adw_preferences_group_set_description (self->summary_group, text);
}

static void
on_customize_toggled (HangarNewMachine *self)
{
  update_summary_description (self);
  update_navigation (self);
}

static void
update_summary (HangarNewMachine *self)
{
  g_autoptr(Plan) plan = make_plan (self);
  g_autofree char *memory = format_bytes (plan->memory_mib * MIB);

  update_summary_description (self);

  adw_action_row_set_subtitle (self->summary_name_row, plan->name);
  adw_action_row_set_subtitle (self->summary_os_row, self->os ? hangar_os_info_get_name (self->os)
                                                              : _("Unknown (general settings)"));
  set_row_subtitle (self->summary_source_row, describe_source (self, plan));
  /* Translators: "2.0 GiB of memory, 2 processors". */
  set_row_subtitle (self->summary_resources_row,
                    g_strdup_printf (ngettext ("%s of memory, %u processor",
                                               "%s of memory, %u processors", plan->vcpus),
                                     memory, plan->vcpus));
  set_row_subtitle (self->summary_disk_row, describe_disk (plan));
  set_row_subtitle (self->summary_network_row,
                    plan->network ? g_strdup_printf (_("Virtual network “%s”"), plan->network)
                                  : g_strdup (_("User-mode networking")));
}

/* ---- Navigation actions --------------------------------------------------- */

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  HangarNewMachine *self = HANGAR_NEW_MACHINE (widget);

  if (self->page > 0)
    go_to_page (self, self->page - 1);
}

static void
next_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  HangarNewMachine *self = HANGAR_NEW_MACHINE (widget);
  g_autofree char *problem = page_problem (self, self->page);

  if (problem != NULL || self->page + 1 >= N_PAGES)
    return;

  if (self->page + 1 == PAGE_SUMMARY)
    update_summary (self);
  go_to_page (self, self->page + 1);
}

/* ---- Creating ------------------------------------------------------------- */

static void
set_progress (HangarNewMachine *self,
              const char       *text)
{
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->progress_row), text);
}

static gboolean
pulse_progress (gpointer user_data)
{
  HangarNewMachine *self = user_data;

  if (self->job == NULL || hangar_job_get_bytes_total (self->job) == 0)
    gtk_progress_bar_pulse (self->progress_bar);
  return G_SOURCE_CONTINUE;
}

static void
on_cleanup_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!hangar_volume_call_delete_finish (HANGAR_VOLUME (source), result, &error))
    g_warning ("Could not delete the disk made for a machine that was not created: %s",
               error->message);
}

/* A disk made for a machine that could not be defined is not left behind. */
static void
delete_created_volume (HangarNewMachine *self)
{
  g_autoptr(GDBusInterface) volume = NULL;

  if (self->created_volume == NULL)
    return;

  volume = g_dbus_object_manager_get_interface (self->object_manager, self->created_volume,
                                                "io.github.hangarvm.Hangar1.Volume");
  if (volume != NULL)
    hangar_volume_call_delete (HANGAR_VOLUME (volume), no_options (), NULL, on_cleanup_done, NULL);
  g_clear_pointer (&self->created_volume, g_free);
}

static void
stop_creating (HangarNewMachine *self)
{
  g_clear_handle_id (&self->pulse_id, g_source_remove);
  g_clear_pointer (&self->plan, plan_free);
  g_clear_pointer (&self->xml, g_free);
  set_creating (self, FALSE);
}

static void
creation_failed (HangarNewMachine *self,
                 const char       *what,
                 const GError     *error)
{
  delete_created_volume (self);
  stop_creating (self);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    set_error_text (self, _("Stopped: no machine was created"));
  else
    set_error (self, what, error);
}

static void
finish_job (HangarNewMachine *self)
{
  g_autoptr(HangarJob) job = g_steal_pointer (&self->job);
  const char *state = hangar_job_get_state (job);
  g_autoptr(GError) error = NULL;
  JobDoneFunc done = self->job_done;

  g_signal_handlers_disconnect_by_data (job, self);
  self->job_done = NULL;
  update_navigation (self);

  if (g_strcmp0 (state, "completed") == 0)
    {
      done (self, hangar_job_get_result (job), NULL);
      return;
    }

  if (g_strcmp0 (state, "cancelled") == 0)
    error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Stopped"));
  else
    error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, hangar_job_get_error_message (job));
  done (self, NULL, error);
}

static void
on_job_changed (HangarNewMachine *self)
{
  guint64 total = hangar_job_get_bytes_total (self->job);
  guint64 done = hangar_job_get_bytes_done (self->job);

  if (total > 0)
    gtk_progress_bar_set_fraction (self->progress_bar, MIN ((double) done / total, 1.0));

  if (g_strcmp0 (hangar_job_get_state (self->job), "running") != 0)
    finish_job (self);
}

static void
on_job_proxy (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HangarNewMachine) self = user_data;
  g_autoptr(GError) error = NULL;
  HangarJob *job = hangar_job_proxy_new_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (job == NULL)
    {
      self->job_done (self, NULL, error);
      return;
    }

  self->job = job;
  g_signal_connect_object (job, "g-properties-changed", G_CALLBACK (on_job_changed), self,
                           G_CONNECT_SWAPPED);
  update_navigation (self);
  on_job_changed (self);
}

/* Follows the Job at @job_path, showing its progress; @done gets its
 * Result, or an error (G_IO_ERROR_CANCELLED when stopped). */
static void
watch_job (HangarNewMachine *self,
           const char       *job_path,
           const char       *title,
           JobDoneFunc       done)
{
  set_progress (self, title);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  self->job_done = done;
  hangar_job_proxy_new (self->connection, G_DBUS_PROXY_FLAGS_NONE, engine_name (self), job_path,
                        self->cancellable, on_job_proxy, g_object_ref (self));
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  HangarNewMachine *self = HANGAR_NEW_MACHINE (widget);

  /* The job ends as "cancelled", and that ends the creation. */
  if (self->job != NULL)
    hangar_job_call_cancel (self->job, NULL, NULL, NULL);
}

/* Step 5: start the machine, and the assistant is done. */
static void
on_started (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(HangarNewMachine) self = user_data;
  g_autoptr(GError) error = NULL;
  const char *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (source));
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));

  hangar_machine_call_start_finish (HANGAR_MACHINE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (error != NULL)
    {
      g_autofree char *message = hangar_error_get_message (error);
      AdwMessageDialog *dialog;

      dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (parent, _("The Machine Did Not Start"), NULL));
      adw_message_dialog_format_body (dialog, _("“%s” was created, but starting it failed: %s"),
                                      hangar_machine_get_name (HANGAR_MACHINE (source)), message);
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
    }

  stop_creating (self);
  g_signal_emit (self, signals[SIGNAL_CREATED], 0, path);
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_machine_proxy (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(HangarNewMachine) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HangarMachine) machine = hangar_machine_proxy_new_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (machine == NULL)
    {
      stop_creating (self);
      set_error (self, _("The machine was created but cannot be reached"), error);
      return;
    }

  set_progress (self, _("Starting the machine…"));
  /* QEMU may take its time to come up under software emulation. */
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (machine), START_TIMEOUT_MS);
  hangar_machine_call_start (machine, self->cancellable, on_started, g_object_ref (self));
}

/* Step 4: define the machine. */
static void
on_defined (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(HangarNewMachine) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  hangar_manager_call_define_machine_finish (HANGAR_MANAGER (source), &path, result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (path == NULL)
    {
      creation_failed (self, _("The engine refused the machine"), error);
      return;
    }

  /* The disk is the machine's now. */
  g_clear_pointer (&self->created_volume, g_free);

  /* Customized first: the user starts it from its hardware settings. */
  if (gtk_check_button_get_active (self->customize_check))
    {
      stop_creating (self);
      g_signal_emit (self, signals[SIGNAL_CUSTOMIZE], 0, path);
      g_signal_emit (self, signals[SIGNAL_CREATED], 0, path);
      gtk_window_close (GTK_WINDOW (self));
      return;
    }

  hangar_machine_proxy_new (self->connection, G_DBUS_PROXY_FLAGS_NONE, engine_name (self), path,
                            self->cancellable, on_machine_proxy, g_object_ref (self));
}

static void
create_step_define (HangarNewMachine *self)
{
  set_progress (self, _("Defining the machine…"));
  hangar_manager_call_define_machine (self->manager, self->xml, self->cancellable,
                                      on_defined, g_object_ref (self));
}

/* Step 3: the new disk. */
static void
on_disk_created (HangarNewMachine *self,
                 const char       *volume_path,
                 const GError     *error)
{
  if (volume_path == NULL)
    {
      creation_failed (self, _("The disk could not be created"), error);
      return;
    }

  self->created_volume = g_strdup (volume_path);
  create_step_define (self);
}

static void
on_create_volume_called (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(HangarNewMachine) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *job_path = NULL;
  g_autofree char *title = NULL;

  hangar_storage_pool_call_create_volume_finish (HANGAR_STORAGE_POOL (source), &job_path,
                                                 result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (job_path == NULL)
    {
      creation_failed (self, _("The disk could not be created"), error);
      return;
    }

  title = g_strdup_printf (_("Creating the disk “%s”…"), self->plan->disk_volume);
  watch_job (self, job_path, title, on_disk_created);
}

static void
create_step_disk (HangarNewMachine *self)
{
  g_autoptr(HangarStoragePool) pool = NULL;

  if (self->plan->disk_size == 0)
    {
      create_step_define (self);
      return;
    }

  pool = find_pool (self, self->plan->disk_pool);
  if (pool == NULL)
    {
      g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                             _("The pool “%s” is gone"), self->plan->disk_pool);
      creation_failed (self, _("The disk could not be created"), error);
      return;
    }

  set_progress (self, _("Creating the disk…"));
  hangar_storage_pool_call_create_volume (pool, self->plan->disk_volume, self->plan->disk_size,
                                          self->plan->disk_format, no_options (), self->cancellable,
                                          on_create_volume_called, g_object_ref (self));
}

/* Step 2: copy an ISO into a pool (a system engine cannot open the file). */
static void
on_uploaded (HangarNewMachine *self,
             const char       *volume_path,
             const GError     *error)
{
  if (volume_path == NULL)
    creation_failed (self, _("The ISO image could not be copied"), error);
  else
    create_step_disk (self);
}

static void
on_upload_called (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(HangarNewMachine) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *job_path = NULL;
  g_autofree char *title = NULL;

  hangar_storage_pool_call_upload_volume_finish (HANGAR_STORAGE_POOL (source), &job_path, NULL,
                                                 result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (job_path == NULL)
    {
      creation_failed (self, _("The ISO image could not be copied"), error);
      return;
    }

  title = g_strdup_printf (_("Copying “%s” to pool “%s”…"), self->plan->iso_volume, self->plan->iso_pool);
  watch_job (self, job_path, title, on_uploaded);
}

static void
create_step_upload (HangarNewMachine *self)
{
  g_autoptr(HangarStoragePool) pool = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  g_autoptr(GError) error = NULL;
  int fd;

  if (self->plan->upload_path == NULL)
    {
      create_step_disk (self);
      return;
    }

  pool = find_pool (self, self->plan->iso_pool);
  fd = g_open (self->plan->upload_path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      error = g_error_new (G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s",
                           self->plan->upload_path, g_strerror (saved_errno));
      creation_failed (self, _("The ISO image cannot be read"), error);
      return;
    }
  if (pool == NULL)
    {
      close (fd);
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("The pool “%s” is gone"),
                           self->plan->iso_pool);
      creation_failed (self, _("The ISO image could not be copied"), error);
      return;
    }

  fds = g_unix_fd_list_new_from_array (&fd, 1);
  set_progress (self, _("Copying the ISO image…"));
  hangar_storage_pool_call_upload_volume (pool, self->plan->iso_volume, g_variant_new_handle (0),
                                          "iso", no_options (), fds, self->cancellable,
                                          on_upload_called, g_object_ref (self));
}

/* Step 1: the engine checks the definition before anything is made. */
static void
on_validated (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HangarNewMachine) self = user_data;
  g_autoptr(GError) error = NULL;

  hangar_manager_call_validate_machine_xml_finish (HANGAR_MANAGER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      creation_failed (self, _("The engine refused the machine"), error);
      return;
    }

  create_step_upload (self);
}

static void
create_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  HangarNewMachine *self = HANGAR_NEW_MACHINE (widget);
  g_autofree char *problem = first_problem (self);

  if (problem != NULL || self->creating)
    return;

  g_clear_pointer (&self->error_text, g_free);
  self->plan = make_plan (self);
  self->xml = plan_to_xml (self->plan);
  g_debug ("Creating a machine:\n%s", self->xml);

  set_creating (self, TRUE);
  set_progress (self, _("Checking the definition…"));
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  self->pulse_id = g_timeout_add (PULSE_INTERVAL_MS, pulse_progress, self);
  hangar_manager_call_validate_machine_xml (self->manager, self->xml, self->cancellable,
                                            on_validated, g_object_ref (self));
}

/* ---- The window ----------------------------------------------------------- */

static gboolean
hangar_new_machine_close_request (GtkWindow *window)
{
  HangarNewMachine *self = HANGAR_NEW_MACHINE (window);

  /* Half a machine is worse than none: creation is stopped with Stop. */
  if (self->creating)
    return TRUE;
  return GTK_WINDOW_CLASS (hangar_new_machine_parent_class)->close_request (window);
}

static void
hangar_new_machine_dispose (GObject *object)
{
  HangarNewMachine *self = HANGAR_NEW_MACHINE (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->detect_cancellable);
  file_check_clear (&self->kernel_file);
  file_check_clear (&self->initrd_file);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_clear_handle_id (&self->pulse_id, g_source_remove);
  /* Callbacks still under way hold a reference: no signal may reach the
   * widgets that are going. */
  if (self->object_manager != NULL)
    g_signal_handlers_disconnect_by_data (self->object_manager, self);
  if (self->job != NULL)
    g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);
  if (self->os_list != NULL)
    gtk_list_view_set_model (self->os_list, NULL);
  g_clear_object (&self->os_selection);
  g_clear_object (&self->os_filter);

  gtk_widget_dispose_template (GTK_WIDGET (self), HANGAR_TYPE_NEW_MACHINE);

  G_OBJECT_CLASS (hangar_new_machine_parent_class)->dispose (object);
}

static void
hangar_new_machine_finalize (GObject *object)
{
  HangarNewMachine *self = HANGAR_NEW_MACHINE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->detect_cancellable);
  g_clear_object (&self->connection);
  g_clear_object (&self->object_manager);
  g_clear_object (&self->manager);
  g_clear_object (&self->db);
  g_clear_object (&self->os);
  g_clear_object (&self->detected_os);
  g_clear_pointer (&self->isos, g_ptr_array_unref);
  g_clear_pointer (&self->disks, g_ptr_array_unref);
  g_clear_pointer (&self->pools, g_ptr_array_unref);
  g_clear_pointer (&self->networks, g_ptr_array_unref);
  g_clear_pointer (&self->local_isos, g_ptr_array_unref);
  g_clear_pointer (&self->plan, plan_free);
  g_free (self->host_arch);
  g_free (self->detected_path);
  g_free (self->error_text);
  g_free (self->xml);
  g_free (self->created_volume);

  G_OBJECT_CLASS (hangar_new_machine_parent_class)->finalize (object);
}

static void
hangar_new_machine_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  HangarNewMachine *self = HANGAR_NEW_MACHINE (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, hangar_new_machine_get_busy (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bind_template (GtkWidgetClass *widget_class)
{
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hangarvm/Hangar/hangar-new-machine.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, HangarNewMachine, name)
  BIND (window_title); BIND (cancel_button); BIND (back_button); BIND (next_button);
  BIND (create_button); BIND (carousel);
  BIND (iso_check); BIND (import_check); BIND (advanced_row); BIND (network_boot_check);
  BIND (kernel_check); BIND (network_boot_group); BIND (network_boot_row);
  BIND (iso_group); BIND (iso_combo); BIND (iso_names); BIND (iso_file_row);
  BIND (import_group); BIND (import_combo); BIND (import_names);
  BIND (kernel_group); BIND (kernel_entry); BIND (initrd_entry); BIND (cmdline_entry);
  BIND (os_row); BIND (os_icon); BIND (os_spinner); BIND (os_search); BIND (os_list);
  BIND (resources_group); BIND (memory_row); BIND (memory_spin); BIND (cpus_row);
  BIND (cpus_spin); BIND (memory_warning); BIND (memory_warning_label);
  BIND (disk_group); BIND (disk_switch); BIND (pool_combo); BIND (pool_names);
  BIND (size_row); BIND (size_spin); BIND (imported_group); BIND (imported_row);
  BIND (name_entry); BIND (network_group); BIND (network_combo); BIND (network_names);
  BIND (summary_group); BIND (summary_name_row); BIND (summary_os_row); BIND (summary_source_row);
  BIND (summary_resources_row); BIND (summary_disk_row); BIND (summary_network_row);
  BIND (customize_check);
  BIND (progress_group); BIND (progress_row); BIND (progress_bar);
  BIND (problem_revealer); BIND (problem_icon); BIND (problem_label);
#undef BIND

  gtk_widget_class_bind_template_callback (widget_class, on_source_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_iso_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_import_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_kernel_entry_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_customize_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_os_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_resources_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_storage_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_name_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_name_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_network_selected);
}

static void
hangar_new_machine_class_init (HangarNewMachineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = hangar_new_machine_dispose;
  object_class->finalize = hangar_new_machine_finalize;
  object_class->get_property = hangar_new_machine_get_property;
  window_class->close_request = hangar_new_machine_close_request;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_CREATED] =
    g_signal_new ("created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_CUSTOMIZE] =
    g_signal_new ("customize", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  bind_template (widget_class);

  gtk_widget_class_install_action (widget_class, "assistant.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "assistant.next", NULL, next_action);
  gtk_widget_class_install_action (widget_class, "assistant.create", NULL, create_action);
  gtk_widget_class_install_action (widget_class, "assistant.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "assistant.choose-iso", NULL, choose_iso_action);
  gtk_widget_class_install_action (widget_class, "assistant.choose-kernel", NULL, choose_kernel_action);
  gtk_widget_class_install_action (widget_class, "assistant.choose-initrd", NULL, choose_kernel_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Down, GDK_CONTROL_MASK,
                                       "assistant.next", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Up, GDK_CONTROL_MASK,
                                       "assistant.back", NULL);
}

static void
hangar_new_machine_init (HangarNewMachine *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  hangar_os_info_add_icon_path (gtk_widget_get_display (GTK_WIDGET (self)));

  self->cancellable = g_cancellable_new ();
  self->isos = g_ptr_array_new_with_free_func ((GDestroyNotify) media_item_free);
  self->disks = g_ptr_array_new_with_free_func ((GDestroyNotify) media_item_free);
  self->pools = g_ptr_array_new_with_free_func ((GDestroyNotify) pool_item_free);
  self->networks = g_ptr_array_new_with_free_func (g_free);
  self->local_isos = g_ptr_array_new_with_free_func (g_free);

  /* Until the engine tells what the host has, nothing is capped. */
  gtk_adjustment_set_upper (gtk_spin_button_get_adjustment (self->memory_spin), 1024 * 1024);
  gtk_adjustment_set_upper (gtk_spin_button_get_adjustment (self->cpus_spin), 1024);
}

gboolean
hangar_new_machine_get_busy (HangarNewMachine *self)
{
  g_return_val_if_fail (HANGAR_IS_NEW_MACHINE (self), FALSE);

  return self->pending > 0 || self->creating;
}

static void
start_loading (HangarNewMachine *self)
{
  set_pending (self, TRUE);
  hangar_manager_call_get_host_info (self->manager, self->cancellable, on_host_info,
                                     g_object_ref (self));
  set_pending (self, TRUE);
  hangar_os_info_load_db_async (self->cancellable, on_db_loaded, g_object_ref (self));
}

HangarNewMachine *
hangar_new_machine_present_with (GtkWindow          *parent,
                                 GDBusConnection    *connection,
                                 GDBusObjectManager *object_manager,
                                 HangarManager      *manager)
{
  HangarNewMachine *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
  g_return_val_if_fail (G_IS_DBUS_OBJECT_MANAGER (object_manager), NULL);
  g_return_val_if_fail (HANGAR_IS_MANAGER (manager), NULL);

  self = g_object_new (HANGAR_TYPE_NEW_MACHINE, "transient-for", parent, NULL);
  self->connection = g_object_ref (connection);
  self->object_manager = g_object_ref (object_manager);
  self->manager = g_object_ref (manager);

  watch_object_manager (self);
  update_network_description (self);
  update_network_boot_row (self);
  update_summary_description (self);
  refresh_lists (self);
  source_changed (self);
  start_loading (self);
  go_to_page (self, PAGE_SOURCE);
  gtk_window_present (GTK_WINDOW (self));
  return self;
}

HangarNewMachine *
hangar_new_machine_present (GtkWindow *parent,
                            GObject   *connection)
{
  HangarConnection *hangar_connection;

  g_return_val_if_fail (HANGAR_IS_CONNECTION (connection), NULL);

  hangar_connection = HANGAR_CONNECTION (connection);
  g_return_val_if_fail (hangar_connection_get_manager (hangar_connection) != NULL, NULL);

  return hangar_new_machine_present_with (parent,
                                          hangar_connection_get_dbus_connection (hangar_connection),
                                          hangar_connection_get_object_manager (hangar_connection),
                                          hangar_connection_get_manager (hangar_connection));
}
