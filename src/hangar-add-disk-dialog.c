/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-add-disk-dialog"

#include "hangar-add-disk-dialog.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hangar-machine-def.h"

#define GIB (G_GUINT64_CONSTANT (1024) * 1024 * 1024)
#define MANAGER_PATH "/io/github/hangarvm/Hangar1"
#define PULSE_INTERVAL_MS 150

typedef enum {
  SOURCE_VOLUME,
  SOURCE_NEW,
  SOURCE_FILE,
} SourceKind;

/* Parallel to the combo rows' string lists. */
static const char * const buses[] = { "virtio", "sata", "ide" };
static const char * const formats[] = { "qcow2", "raw" };
enum { BUS_VIRTIO, BUS_SATA, BUS_IDE };
enum { DEVICE_DISK, DEVICE_CDROM };

typedef struct {
  char    *name;
  char    *object_path;
  guint64  available;
} PoolItem;

typedef struct {
  char    *name;
  char    *format;       /* "qcow2" or "raw" as the disk's driver type */
  guint64  capacity;
  char    *used_by;      /* another machine that has it as a disk, or NULL */
} VolumeItem;

struct _HangarAddDiskDialog
{
  AdwWindow            parent_instance;

  GtkWidget           *add_button;
  AdwComboRow         *device_combo;
  AdwComboRow         *bus_combo;
  AdwActionRow        *volume_source_row;
  AdwActionRow        *new_source_row;
  GtkCheckButton      *volume_check;
  GtkCheckButton      *new_check;
  GtkCheckButton      *file_check;
  GtkWidget           *pool_group;
  AdwComboRow         *pool_combo;
  GtkStringList       *pool_names;
  AdwComboRow         *volume_combo;
  GtkStringList       *volume_names;
  GtkWidget           *new_group;
  GtkEditable         *name_entry;
  GtkSpinButton       *size_spin;
  GtkWidget           *file_group;
  GtkEditable         *path_entry;
  GtkWidget           *format_group;
  AdwComboRow         *format_combo;
  GtkWidget           *progress_group;
  AdwActionRow        *progress_row;
  GtkProgressBar      *progress_bar;
  GtkRevealer         *problem_revealer;
  GtkImage            *problem_icon;
  GtkLabel            *problem_label;

  GDBusObjectManager  *object_manager;     /* NULL: image files only */
  char                *machine_xml;
  HangarMachineDef    *def;
  GCancellable        *cancellable;

  GPtrArray           *pools;              /* PoolItem */
  GPtrArray           *volumes;            /* VolumeItem, of the selected pool */
  guint                refresh_id;
  gboolean             refreshing;
  gboolean             volume_chosen;      /* by the user: kept across refreshes */
  GHashTable          *used_by;            /* "pool/volume" or a path → another machine's name */
  gboolean             name_edited;
  gboolean             setting_name;

  /* Making a new volume. */
  gboolean             creating;
  gboolean             close_when_done;
  char                *planned_xml;
  char                *error_text;
  HangarJob           *job;
  guint                pulse_id;
};

G_DEFINE_FINAL_TYPE (HangarAddDiskDialog, hangar_add_disk_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

enum {
  SIGNAL_DEFINITION_READY,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void update_state (HangarAddDiskDialog *self);
static void schedule_refresh (HangarAddDiskDialog *self);

/* ---- Small helpers -------------------------------------------------------- */

static void
pool_item_free (PoolItem *item)
{
  g_free (item->name);
  g_free (item->object_path);
  g_free (item);
}

static void
volume_item_free (VolumeItem *item)
{
  g_free (item->name);
  g_free (item->format);
  g_free (item->used_by);
  g_free (item);
}

static gboolean
is_cdrom (HangarAddDiskDialog *self)
{
  return adw_combo_row_get_selected (self->device_combo) == DEVICE_CDROM;
}

static SourceKind
source_kind (HangarAddDiskDialog *self)
{
  if (gtk_check_button_get_active (self->new_check))
    return SOURCE_NEW;
  if (gtk_check_button_get_active (self->file_check))
    return SOURCE_FILE;
  return SOURCE_VOLUME;
}

static const char *
selected_bus (HangarAddDiskDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->bus_combo);

  return selected < G_N_ELEMENTS (buses) ? buses[selected] : buses[BUS_SATA];
}

static const char *
selected_format (HangarAddDiskDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->format_combo);

  return selected < G_N_ELEMENTS (formats) ? formats[selected] : formats[0];
}

static PoolItem *
selected_pool (HangarAddDiskDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->pool_combo);

  return selected < self->pools->len ? g_ptr_array_index (self->pools, selected) : NULL;
}

static VolumeItem *
selected_volume (HangarAddDiskDialog *self)
{
  guint selected = adw_combo_row_get_selected (self->volume_combo);

  return selected < self->volumes->len ? g_ptr_array_index (self->volumes, selected) : NULL;
}

static guint64
new_size (HangarAddDiskDialog *self)
{
  return (guint64) gtk_spin_button_get_value_as_int (self->size_spin) * GIB;
}

static char *
stripped_text (GtkEditable *editable)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (editable)));
}

static void
set_busy (HangarAddDiskDialog *self,
          gboolean             creating)
{
  if (self->creating == creating)
    return;
  self->creating = creating;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* ---- The engine's pools and volumes --------------------------------------- */

static GList *
list_objects (HangarAddDiskDialog *self)
{
  return self->object_manager ? g_dbus_object_manager_get_objects (self->object_manager) : NULL;
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
compare_volumes (gconstpointer a,
                 gconstpointer b)
{
  const VolumeItem *volume_a = *(VolumeItem * const *) a;
  const VolumeItem *volume_b = *(VolumeItem * const *) b;

  /* Free volumes first: two machines writing one disk damage it. */
  if ((volume_a->used_by == NULL) != (volume_b->used_by == NULL))
    return volume_a->used_by == NULL ? -1 : 1;
  return g_utf8_collate (volume_a->name, volume_b->name);
}

static GPtrArray *
collect_pools (HangarAddDiskDialog *self)
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

/* Whether the machine has "pool/volume" as a disk already. */
static gboolean
machine_uses (HangarAddDiskDialog *self,
              const char          *pool,
              const char          *volume)
{
  g_autofree char *source = g_strdup_printf ("%s/%s", pool, volume);

  for (guint i = 0; self->def != NULL && i < self->def->disks->len; i++)
    {
      HangarDiskInfo *disk = g_ptr_array_index (self->def->disks, i);

      if (g_str_equal (disk->source, source))
        return TRUE;
    }
  return FALSE;
}

/* Another machine that has @volume as a disk (by pool and name, or by
 * its path), as far as their definitions were read; else NULL. */
static const char *
volume_user (HangarAddDiskDialog *self,
             const char          *pool_name,
             HangarVolume        *volume)
{
  g_autofree char *source = g_strdup_printf ("%s/%s", pool_name, hangar_volume_get_name (volume));
  const char *user = g_hash_table_lookup (self->used_by, source);

  return user != NULL ? user : g_hash_table_lookup (self->used_by, hangar_volume_get_path (volume));
}

static void
on_other_definition (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(HangarAddDiskDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(HangarMachineDef) def = NULL;

  if (!hangar_machine_call_get_xml_finish (HANGAR_MACHINE (source), &xml, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Cannot read a definition for its disks: %s", error->message);
      return;
    }

  def = hangar_machine_def_parse (xml, NULL);
  for (guint i = 0; def != NULL && i < def->disks->len; i++)
    {
      HangarDiskInfo *disk = g_ptr_array_index (def->disks, i);

      if (disk->source[0] != '\0')
        g_hash_table_insert (self->used_by, g_strdup (disk->source),
                             g_strdup (hangar_machine_get_name (HANGAR_MACHINE (source))));
    }
  schedule_refresh (self);
}

static void
read_other_definition (HangarAddDiskDialog *self,
                       GDBusObject         *object)
{
  HangarMachine *machine = hangar_object_peek_machine (HANGAR_OBJECT (object));

  if (machine == NULL || (self->def != NULL &&
                          g_strcmp0 (hangar_machine_get_name (machine), self->def->name) == 0))
    return;
  hangar_machine_call_get_xml (machine, g_variant_new ("a{sv}", NULL), self->cancellable,
                               on_other_definition, g_object_ref (self));
}

/* Which volumes the other machines use, from their definitions, read in
 * the background: the list marks them as they come. */
static void
read_other_definitions (HangarAddDiskDialog *self)
{
  g_autolist(GDBusObject) objects = list_objects (self);

  for (GList *l = objects; l != NULL; l = l->next)
    read_other_definition (self, l->data);
}

static void
on_object_added (HangarAddDiskDialog *self,
                 GDBusObject         *object)
{
  read_other_definition (self, object);
  schedule_refresh (self);
}

/* The pool's volumes fit for the device: install media for a CD-ROM,
 * other images for a disk; not those the machine has already. */
static GPtrArray *
collect_volumes (HangarAddDiskDialog *self,
                 PoolItem            *pool)
{
  g_autolist(GDBusObject) objects = list_objects (self);
  GPtrArray *volumes = g_ptr_array_new_with_free_func ((GDestroyNotify) volume_item_free);
  gboolean cdrom = is_cdrom (self);

  for (GList *l = objects; pool != NULL && l != NULL; l = l->next)
    {
      HangarVolume *volume = hangar_object_peek_volume (HANGAR_OBJECT (l->data));
      VolumeItem *item;

      if (volume == NULL || g_strcmp0 (hangar_volume_get_pool (volume), pool->object_path) != 0 ||
          hangar_volume_get_install_media (volume) != cdrom ||
          machine_uses (self, pool->name, hangar_volume_get_name (volume)))
        continue;

      item = g_new0 (VolumeItem, 1);
      item->name = g_strdup (hangar_volume_get_name (volume));
      item->used_by = g_strdup (volume_user (self, pool->name, volume));
      /* ISO images are raw data to QEMU. */
      item->format = g_strdup (g_strcmp0 (hangar_volume_get_format (volume), "qcow2") == 0 ? "qcow2" : "raw");
      item->capacity = hangar_volume_get_capacity (volume);
      g_ptr_array_add (volumes, item);
    }
  g_ptr_array_sort (volumes, compare_volumes);
  return volumes;
}

static gboolean
pool_has_volume (HangarAddDiskDialog *self,
                 PoolItem            *pool,
                 const char          *name)
{
  g_autolist(GDBusObject) objects = list_objects (self);

  for (GList *l = objects; l != NULL; l = l->next)
    {
      HangarVolume *volume = hangar_object_peek_volume (HANGAR_OBJECT (l->data));

      if (volume != NULL && g_strcmp0 (hangar_volume_get_pool (volume), pool->object_path) == 0 &&
          g_strcmp0 (hangar_volume_get_name (volume), name) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Shows @labels, touching the list only when they changed (an open popover
 * must not flicker on each engine signal), and selects the item named
 * @selected (else the first). */
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

static void
show_volumes (HangarAddDiskDialog *self,
              const char          *selected_name)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  guint position = 0;

  g_clear_pointer (&self->volumes, g_ptr_array_unref);
  self->volumes = collect_volumes (self, selected_pool (self));
  for (guint i = 0; i < self->volumes->len; i++)
    {
      VolumeItem *volume = g_ptr_array_index (self->volumes, i);
      g_autofree char *size = g_format_size_full (volume->capacity, G_FORMAT_SIZE_IEC_UNITS);

      if (volume->used_by != NULL)
        /* Translators: a volume to choose: "disk.qcow2 (10.0 GiB, qcow2), a disk of “web”". */
        g_ptr_array_add (labels, g_strdup_printf (_("%s (%s, %s), a disk of “%s”"), volume->name, size,
                                                  volume->format, volume->used_by));
      else
        /* Translators: a volume to choose: "disk.qcow2 (10.0 GiB, qcow2)". */
        g_ptr_array_add (labels, g_strdup_printf (_("%s (%s, %s)"), volume->name, size, volume->format));
      if (g_strcmp0 (volume->name, selected_name) == 0)
        position = i;
    }
  set_combo_items (self->volume_combo, self->volume_names, labels, position);
}

static void
refresh (HangarAddDiskDialog *self)
{
  PoolItem *pool = selected_pool (self);
  VolumeItem *volume = selected_volume (self);
  g_autofree char *pool_name = g_strdup (pool ? pool->name : NULL);
  /* Until the user picks one, the first (a free one) is offered. */
  g_autofree char *volume_name = g_strdup (volume && self->volume_chosen ? volume->name : NULL);
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  guint position = 0;

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  self->refreshing = TRUE;

  g_clear_pointer (&self->pools, g_ptr_array_unref);
  self->pools = collect_pools (self);
  for (guint i = 0; i < self->pools->len; i++)
    {
      PoolItem *item = g_ptr_array_index (self->pools, i);

      g_ptr_array_add (labels, item->name);
      if (g_strcmp0 (item->name, pool_name) == 0)
        position = i;
    }
  set_combo_items (self->pool_combo, self->pool_names, labels, position);
  show_volumes (self, volume_name);

  self->refreshing = FALSE;
  update_state (self);
}

static gboolean
refresh_idle (gpointer user_data)
{
  HangarAddDiskDialog *self = user_data;

  self->refresh_id = 0;
  refresh (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (HangarAddDiskDialog *self)
{
  if (self->refresh_id == 0)
    self->refresh_id = g_idle_add (refresh_idle, self);
}

static void
on_proxy_properties_changed (HangarAddDiskDialog *self,
                             GDBusObjectProxy    *object,
                             GDBusProxy          *proxy)
{
  /* Jobs and machines change often and say nothing about the lists. */
  if (HANGAR_IS_STORAGE_POOL (proxy) || HANGAR_IS_VOLUME (proxy))
    schedule_refresh (self);
}

static void
watch_object_manager (HangarAddDiskDialog *self)
{
  static const char *const signal_names[] = {
    "object-removed", "interface-added", "interface-removed",
  };

  for (guint i = 0; i < G_N_ELEMENTS (signal_names); i++)
    g_signal_connect_object (self->object_manager, signal_names[i],
                             G_CALLBACK (schedule_refresh), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->object_manager, "object-added",
                           G_CALLBACK (on_object_added), self, G_CONNECT_SWAPPED);
  if (G_IS_DBUS_OBJECT_MANAGER_CLIENT (self->object_manager))
    g_signal_connect_object (self->object_manager, "interface-proxy-properties-changed",
                             G_CALLBACK (on_proxy_properties_changed), self, G_CONNECT_SWAPPED);
}

/* ---- The new volume's name ------------------------------------------------ */

static const char *
format_extension (const char *format)
{
  return g_str_equal (format, "qcow2") ? ".qcow2" : ".img";
}

/* "web-disk2.qcow2", or "web-disk3.qcow2"... : free in the pool. */
static void
update_default_name (HangarAddDiskDialog *self)
{
  PoolItem *pool = selected_pool (self);
  const char *machine = self->def != NULL && self->def->name != NULL ? self->def->name : "disk";
  const char *extension = format_extension (selected_format (self));
  g_autofree char *name = NULL;

  /* Setting the text emits "changed" twice (removed, then inserted). */
  if (self->name_edited || self->setting_name)
    return;

  for (guint n = (self->def != NULL ? self->def->disks->len : 0) + 1; ; n++)
    {
      g_free (name);
      name = g_strdup_printf ("%s-disk%u%s", machine, n, extension);
      if (pool == NULL || !pool_has_volume (self, pool, name))
        break;
    }

  if (g_strcmp0 (gtk_editable_get_text (self->name_entry), name) == 0)
    return;
  self->setting_name = TRUE;
  gtk_editable_set_text (self->name_entry, name);
  self->setting_name = FALSE;
}

/* ---- What is wrong -------------------------------------------------------- */

static char *
volume_problem (HangarAddDiskDialog *self)
{
  PoolItem *pool = selected_pool (self);

  if (self->object_manager == NULL)
    return g_strdup (_("Not connected to the engine: only an image file can be added"));
  if (pool == NULL)
    return g_strdup (_("There is no active storage pool"));
  if (selected_volume (self) != NULL)
    return NULL;
  if (self->volumes->len > 0)
    return g_strdup (_("Choose a volume"));
  if (is_cdrom (self))
    return g_strdup_printf (_("The pool “%s” has no ISO images"), pool->name);
  return g_strdup_printf (_("The pool “%s” has no disk images this machine does not use already"),
                          pool->name);
}

static char *
new_volume_problem (HangarAddDiskDialog *self)
{
  g_autofree char *name = stripped_text (self->name_entry);
  PoolItem *pool = selected_pool (self);

  if (self->object_manager == NULL)
    return g_strdup (_("Not connected to the engine: only an image file can be added"));
  if (pool == NULL)
    return g_strdup (_("There is no active storage pool"));
  if (name[0] == '\0')
    return g_strdup (_("Give the new volume a file name"));
  if (strchr (name, '/') != NULL)
    return g_strdup (_("The file name cannot contain “/”"));
  if (name[0] == '.')
    return g_strdup (_("The file name cannot start with “.”"));
  if (strlen (name) > 255)
    return g_strdup (_("The file name is too long: at most 255 bytes"));
  if (pool_has_volume (self, pool, name))
    return g_strdup_printf (_("The pool “%s” has a volume “%s” already"), pool->name, name);
  if (new_size (self) == 0)
    return g_strdup (_("Give the new volume a size"));
  return NULL;
}

static char *
file_problem (HangarAddDiskDialog *self)
{
  g_autofree char *path = stripped_text (self->path_entry);

  if (path[0] == '\0')
    return g_strdup (_("Enter the path of the image file"));
  if (!g_path_is_absolute (path))
    return g_strdup (_("The path must be absolute (start with “/”)"));
  return NULL;
}

static char *
choice_problem (HangarAddDiskDialog *self)
{
  if (is_cdrom (self) && adw_combo_row_get_selected (self->bus_combo) == BUS_VIRTIO)
    return g_strdup (_("A CD-ROM cannot be on the VirtIO bus: choose SATA or IDE"));

  switch (source_kind (self))
    {
    case SOURCE_VOLUME:
      return volume_problem (self);
    case SOURCE_NEW:
      return new_volume_problem (self);
    case SOURCE_FILE:
      return file_problem (self);
    default:
      g_assert_not_reached ();
    }
}

static void
show_problem (HangarAddDiskDialog *self,
              const char          *text,
              gboolean             is_error)
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
update_state (HangarAddDiskDialog *self)
{
  SourceKind kind = source_kind (self);
  g_autofree char *problem = choice_problem (self);
  gboolean can_add = problem == NULL && !self->creating;

  gtk_widget_set_visible (self->pool_group, kind != SOURCE_FILE);
  gtk_widget_set_visible (GTK_WIDGET (self->volume_combo), kind == SOURCE_VOLUME);
  gtk_widget_set_visible (self->new_group, kind == SOURCE_NEW);
  gtk_widget_set_visible (self->file_group, kind == SOURCE_FILE);
  gtk_widget_set_visible (self->format_group, kind != SOURCE_VOLUME && !is_cdrom (self));
  gtk_widget_set_visible (self->progress_group, self->creating);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "add-disk.add", can_add);
  gtk_widget_set_tooltip_text (self->add_button, problem != NULL ? problem
                                                 : kind == SOURCE_NEW ? _("Make the volume and add it to the machine")
                                                 : _("Add the disk to the machine"));
  if (self->error_text != NULL)
    show_problem (self, self->error_text, TRUE);
  else if (problem == NULL && kind == SOURCE_VOLUME && selected_volume (self)->used_by != NULL)
    {
      g_autofree char *warning = NULL;

      /* Allowed (a machine off may lend its disk), but said. */
      warning = g_strdup_printf (is_cdrom (self)
                                 ? _("“%s” is in “%s” too.")
                                 : _("“%s” is a disk of “%s” too: two machines running from one disk damage it."),
                                 selected_volume (self)->name, selected_volume (self)->used_by);
      show_problem (self, warning, FALSE);
    }
  else
    show_problem (self, problem, FALSE);
}

/* ---- The choices ---------------------------------------------------------- */

static void
on_choice_changed (HangarAddDiskDialog *self)
{
  if (self->refreshing)
    return;
  g_clear_pointer (&self->error_text, g_free);
  update_default_name (self);
  update_state (self);
}

static void
on_pool_changed (HangarAddDiskDialog *self)
{
  if (self->refreshing)
    return;
  self->volume_chosen = FALSE;
  show_volumes (self, NULL);
  on_choice_changed (self);
}

static void
on_volume_selected (HangarAddDiskDialog *self)
{
  if (self->refreshing)
    return;
  self->volume_chosen = TRUE;
  on_choice_changed (self);
}

/* A CD-ROM holds install media, read-only on SATA (no VirtIO CD-ROMs); a
 * new volume is never one. */
static void
on_device_changed (HangarAddDiskDialog *self)
{
  gboolean cdrom;

  if (self->refreshing)
    return;

  cdrom = is_cdrom (self);
  adw_combo_row_set_selected (self->bus_combo, cdrom ? BUS_SATA : BUS_VIRTIO);
  gtk_widget_set_sensitive (GTK_WIDGET (self->new_source_row), !cdrom && self->object_manager != NULL);
  if (cdrom && gtk_check_button_get_active (self->new_check))
    gtk_check_button_set_active (self->volume_check, TRUE);
  adw_combo_row_set_selected (self->format_combo, cdrom ? 1 : 0);
  self->volume_chosen = FALSE;
  self->refreshing = TRUE;
  show_volumes (self, NULL);
  self->refreshing = FALSE;
  on_choice_changed (self);
}

static void
on_name_changed (HangarAddDiskDialog *self)
{
  if (!self->setting_name)
    self->name_edited = TRUE;
  on_choice_changed (self);
}

static void
on_file_chosen (GtkNativeDialog     *dialog,
                int                  response,
                HangarAddDiskDialog *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  g_object_unref (dialog);
  if (file == NULL)
    return;

  path = g_file_get_path (file);
  if (path != NULL)
    gtk_editable_set_text (self->path_entry, path);
}

static void
choose_file_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  HangarAddDiskDialog *self = HANGAR_ADD_DISK_DIALOG (widget);
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Choose an Image File"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Choose"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_file_chosen), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ---- Adding --------------------------------------------------------------- */

static void
finish (HangarAddDiskDialog *self,
        const char          *xml)
{
  g_signal_emit (self, signals[SIGNAL_DEFINITION_READY], 0, xml);
  gtk_window_close (GTK_WINDOW (self));
}

static void
stop_creating (HangarAddDiskDialog *self,
               const char          *error_text)
{
  g_clear_handle_id (&self->pulse_id, g_source_remove);
  if (self->job != NULL)
    g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);
  g_clear_pointer (&self->planned_xml, g_free);
  g_free (self->error_text);
  self->error_text = g_strdup (error_text);
  gtk_widget_set_sensitive (GTK_WIDGET (self->device_combo), TRUE);
  set_busy (self, FALSE);
  update_state (self);

  if (self->close_when_done)
    gtk_window_close (GTK_WINDOW (self));
}

static void
creation_failed (HangarAddDiskDialog *self,
                 const char          *what,
                 const GError        *error)
{
  g_autoptr(GError) copy = g_error_copy (error);
  g_autofree char *text = NULL;

  g_dbus_error_strip_remote_error (copy);
  text = g_strdup_printf ("%s: %s", what, copy->message);
  stop_creating (self, text);
}

static gboolean
pulse (gpointer user_data)
{
  HangarAddDiskDialog *self = user_data;

  if (self->job == NULL || hangar_job_get_bytes_total (self->job) == 0)
    gtk_progress_bar_pulse (self->progress_bar);
  return G_SOURCE_CONTINUE;
}

static void
on_job_changed (HangarAddDiskDialog *self)
{
  const char *state = hangar_job_get_state (self->job);
  guint64 total = hangar_job_get_bytes_total (self->job);
  g_autofree char *xml = NULL;

  if (total > 0)
    gtk_progress_bar_set_fraction (self->progress_bar,
                                   MIN ((double) hangar_job_get_bytes_done (self->job) / total, 1.0));

  if (g_strcmp0 (state, "running") == 0)
    return;
  if (g_strcmp0 (state, "completed") == 0)
    {
      xml = g_steal_pointer (&self->planned_xml);
      self->close_when_done = FALSE;
      stop_creating (self, NULL);
      finish (self, xml);
    }
  else if (g_strcmp0 (state, "cancelled") == 0)
    stop_creating (self, _("Stopped: no volume was made"));
  else
    {
      g_autofree char *text = g_strdup_printf ("%s: %s", _("The volume could not be made"),
                                               hangar_job_get_error_message (self->job));

      stop_creating (self, text);
    }
}

static void
on_job_proxy (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HangarAddDiskDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  HangarJob *job = hangar_job_proxy_new_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (job == NULL)
    {
      creation_failed (self, _("The volume could not be made"), error);
      return;
    }

  self->job = job;
  g_signal_connect_object (job, "g-properties-changed", G_CALLBACK (on_job_changed), self,
                           G_CONNECT_SWAPPED);
  /* Closed while the engine was asked: stopped at once. */
  if (self->close_when_done)
    hangar_job_call_cancel (job, NULL, NULL, NULL);
  on_job_changed (self);
}

static void
on_create_volume_called (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(HangarAddDiskDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *job_path = NULL;
  GDBusProxy *pool = G_DBUS_PROXY (source);

  if (!hangar_storage_pool_call_create_volume_finish (HANGAR_STORAGE_POOL (source), &job_path,
                                                      result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        creation_failed (self, _("The volume could not be made"), error);
      return;
    }

  hangar_job_proxy_new (g_dbus_proxy_get_connection (pool), G_DBUS_PROXY_FLAGS_NONE,
                        g_dbus_proxy_get_name (pool), job_path, self->cancellable,
                        on_job_proxy, g_object_ref (self));
}

static void
create_volume (HangarAddDiskDialog *self)
{
  PoolItem *pool = selected_pool (self);
  g_autoptr(GDBusInterface) proxy = NULL;
  g_autofree char *name = stripped_text (self->name_entry);
  g_autofree char *title = NULL;

  if (pool != NULL)
    proxy = g_dbus_object_manager_get_interface (self->object_manager, pool->object_path,
                                                 "io.github.hangarvm.Hangar1.StoragePool");
  if (proxy == NULL)
    {
      stop_creating (self, _("The storage pool is gone"));
      return;
    }

  title = g_strdup_printf (_("Making “%s” in pool “%s”…"), name, pool->name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->progress_row), title);
  hangar_storage_pool_call_create_volume (HANGAR_STORAGE_POOL (proxy), name, new_size (self),
                                          selected_format (self), g_variant_new ("a{sv}", NULL),
                                          self->cancellable, on_create_volume_called,
                                          g_object_ref (self));
}

static void
on_validated (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data);

/* The engine's Manager, at the root beside the object manager. */
static void
on_manager_proxy (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(HangarAddDiskDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HangarManager) manager = hangar_manager_proxy_new_finish (result, &error);

  if (manager == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        creation_failed (self, _("The engine would refuse the disk"), error);
      return;
    }
  hangar_manager_call_validate_machine_xml (manager, self->planned_xml, self->cancellable,
                                            on_validated, g_object_ref (self));
}

static void
on_validated (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HangarAddDiskDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!hangar_manager_call_validate_machine_xml_finish (HANGAR_MANAGER (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        creation_failed (self, _("The engine would refuse the disk"), error);
      return;
    }
  if (self->close_when_done)
    {
      stop_creating (self, NULL);
      return;
    }
  create_volume (self);
}

/* The machine's definition with the disk the choices describe. */
static char *
build_xml (HangarAddDiskDialog  *self,
           GError              **error)
{
  const char *device = is_cdrom (self) ? "cdrom" : "disk";
  PoolItem *pool = selected_pool (self);
  VolumeItem *volume = selected_volume (self);
  g_autofree char *name = stripped_text (self->name_entry);
  g_autofree char *path = stripped_text (self->path_entry);

  switch (source_kind (self))
    {
    case SOURCE_VOLUME:
      return hangar_machine_def_add_volume_disk (self->machine_xml, pool->name, volume->name, device,
                                                 volume->format, selected_bus (self), error);
    case SOURCE_NEW:
      return hangar_machine_def_add_volume_disk (self->machine_xml, pool->name, name, device,
                                                 selected_format (self), selected_bus (self), error);
    case SOURCE_FILE:
      return hangar_machine_def_add_disk (self->machine_xml, path, device,
                                          is_cdrom (self) ? "raw" : selected_format (self),
                                          selected_bus (self), error);
    default:
      g_assert_not_reached ();
    }
}

static void
add_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  HangarAddDiskDialog *self = HANGAR_ADD_DISK_DIALOG (widget);
  g_autofree char *problem = choice_problem (self);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusInterface) pool = NULL;
  g_autofree char *xml = NULL;

  if (problem != NULL || self->creating)
    return;

  g_clear_pointer (&self->error_text, g_free);
  xml = build_xml (self, &error);
  if (xml == NULL)
    {
      self->error_text = g_strdup_printf ("%s: %s", _("The disk cannot be added"), error->message);
      update_state (self);
      return;
    }
  if (source_kind (self) != SOURCE_NEW)
    {
      finish (self, xml);
      return;
    }

  pool = g_dbus_object_manager_get_interface (self->object_manager, selected_pool (self)->object_path,
                                              "io.github.hangarvm.Hangar1.StoragePool");
  if (pool == NULL)
    {
      self->error_text = g_strdup (_("The storage pool is gone"));
      update_state (self);
      return;
    }

  self->planned_xml = g_steal_pointer (&xml);
  set_busy (self, TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->device_combo), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->progress_row), _("Checking the new definition…"));
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  self->pulse_id = g_timeout_add (PULSE_INTERVAL_MS, pulse, self);
  update_state (self);
  /* A volume is made only for a definition the engine takes. */
  hangar_manager_proxy_new (g_dbus_proxy_get_connection (G_DBUS_PROXY (pool)),
                            G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES,
                            g_dbus_proxy_get_name (G_DBUS_PROXY (pool)), MANAGER_PATH,
                            self->cancellable, on_manager_proxy, g_object_ref (self));
}

/* ---- The window ----------------------------------------------------------- */

static gboolean
hangar_add_disk_dialog_close_request (GtkWindow *window)
{
  HangarAddDiskDialog *self = HANGAR_ADD_DISK_DIALOG (window);

  /* A volume half made is stopped first (the engine leaves no file), then
   * the dialog closes. */
  if (self->creating)
    {
      self->close_when_done = TRUE;
      if (self->job != NULL)
        hangar_job_call_cancel (self->job, NULL, NULL, NULL);
      return TRUE;
    }
  return GTK_WINDOW_CLASS (hangar_add_disk_dialog_parent_class)->close_request (window);
}

static void
hangar_add_disk_dialog_dispose (GObject *object)
{
  HangarAddDiskDialog *self = HANGAR_ADD_DISK_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_clear_handle_id (&self->pulse_id, g_source_remove);
  if (self->object_manager != NULL)
    g_signal_handlers_disconnect_by_data (self->object_manager, self);
  if (self->job != NULL)
    g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);

  gtk_widget_dispose_template (GTK_WIDGET (self), HANGAR_TYPE_ADD_DISK_DIALOG);

  G_OBJECT_CLASS (hangar_add_disk_dialog_parent_class)->dispose (object);
}

static void
hangar_add_disk_dialog_finalize (GObject *object)
{
  HangarAddDiskDialog *self = HANGAR_ADD_DISK_DIALOG (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->object_manager);
  g_clear_pointer (&self->def, hangar_machine_def_free);
  g_clear_pointer (&self->pools, g_ptr_array_unref);
  g_clear_pointer (&self->volumes, g_ptr_array_unref);
  g_clear_pointer (&self->used_by, g_hash_table_unref);
  g_free (self->machine_xml);
  g_free (self->planned_xml);
  g_free (self->error_text);

  G_OBJECT_CLASS (hangar_add_disk_dialog_parent_class)->finalize (object);
}

static void
hangar_add_disk_dialog_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  HangarAddDiskDialog *self = HANGAR_ADD_DISK_DIALOG (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, self->creating);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hangar_add_disk_dialog_class_init (HangarAddDiskDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = hangar_add_disk_dialog_dispose;
  object_class->finalize = hangar_add_disk_dialog_finalize;
  object_class->get_property = hangar_add_disk_dialog_get_property;
  window_class->close_request = hangar_add_disk_dialog_close_request;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_DEFINITION_READY] =
    g_signal_new ("definition-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hangarvm/Hangar/hangar-add-disk-dialog.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, HangarAddDiskDialog, name)
  BIND (add_button); BIND (device_combo); BIND (bus_combo);
  BIND (volume_source_row); BIND (new_source_row);
  BIND (volume_check); BIND (new_check); BIND (file_check);
  BIND (pool_group); BIND (pool_combo); BIND (pool_names); BIND (volume_combo); BIND (volume_names);
  BIND (new_group); BIND (name_entry); BIND (size_spin);
  BIND (file_group); BIND (path_entry); BIND (format_group); BIND (format_combo);
  BIND (progress_group); BIND (progress_row); BIND (progress_bar);
  BIND (problem_revealer); BIND (problem_icon); BIND (problem_label);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_choice_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_pool_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_volume_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_device_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_name_changed);

  gtk_widget_class_install_action (widget_class, "add-disk.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "add-disk.choose-file", NULL, choose_file_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
hangar_add_disk_dialog_init (HangarAddDiskDialog *self)
{
  self->cancellable = g_cancellable_new ();
  self->pools = g_ptr_array_new_with_free_func ((GDestroyNotify) pool_item_free);
  self->volumes = g_ptr_array_new_with_free_func ((GDestroyNotify) volume_item_free);
  self->used_by = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  /* The callbacks run while the template is built: the lists are there. */
  self->refreshing = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));
  self->refreshing = FALSE;
}

gboolean
hangar_add_disk_dialog_get_busy (HangarAddDiskDialog *self)
{
  g_return_val_if_fail (HANGAR_IS_ADD_DISK_DIALOG (self), FALSE);

  return self->creating;
}

HangarAddDiskDialog *
hangar_add_disk_dialog_present (GtkWindow          *parent,
                                GDBusObjectManager *object_manager,
                                const char         *machine_xml)
{
  HangarAddDiskDialog *self;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (object_manager == NULL || G_IS_DBUS_OBJECT_MANAGER (object_manager), NULL);
  g_return_val_if_fail (machine_xml != NULL, NULL);

  self = g_object_new (HANGAR_TYPE_ADD_DISK_DIALOG, "transient-for", parent, NULL);
  self->machine_xml = g_strdup (machine_xml);
  self->def = hangar_machine_def_parse (machine_xml, &error);
  if (self->def == NULL)
    g_debug ("Cannot read the definition: %s", error->message);

  if (object_manager != NULL)
    {
      self->object_manager = g_object_ref (object_manager);
      watch_object_manager (self);
      read_other_definitions (self);
    }
  else
    {
      /* Image files only. */
      gtk_widget_set_sensitive (GTK_WIDGET (self->volume_source_row), FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->new_source_row), FALSE);
      gtk_check_button_set_active (self->file_check, TRUE);
    }

  refresh (self);
  update_default_name (self);
  update_state (self);
  gtk_window_present (GTK_WINDOW (self));
  return self;
}
