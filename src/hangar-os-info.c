/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-os-info"

#include "hangar-os-info.h"

#include <string.h>

#define UNKNOWN_OS_SHORT_ID "unknown"
#define HOST_ARCH "x86_64"

/* ---- The database --------------------------------------------------------- */

/* Loaded once; osinfo-db is some 800 XML files, about half a second. */
static GMutex db_lock;
static OsinfoLoader *db_loader;
static OsinfoDb *loaded_db;     /* set once loaded, for peeking without the lock */

static OsinfoDb *
load_db (GError **error)
{
  g_autoptr(OsinfoLoader) loader = osinfo_loader_new ();
  g_autoptr(GError) local_error = NULL;
  OsinfoDb *db;

  osinfo_loader_process_default_path (loader, &local_error);
  db = osinfo_loader_get_db (loader);

  /* A broken file among hundreds is no reason to offer nothing. */
  if (local_error != NULL)
    {
      if (osinfo_list_get_length (OSINFO_LIST (osinfo_db_get_os_list (db))) == 0)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      g_warning ("Part of the osinfo database could not be read: %s", local_error->message);
    }

  db_loader = g_steal_pointer (&loader);
  return db;
}

static void
load_db_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&db_lock);
  GError *error = NULL;
  OsinfoDb *db;

  db = db_loader != NULL ? osinfo_loader_get_db (db_loader) : load_db (&error);
  if (db == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_atomic_pointer_set (&loaded_db, db);
  g_task_return_pointer (task, g_object_ref (db), g_object_unref);
}

OsinfoDb *
hangar_os_info_peek_db (void)
{
  return g_atomic_pointer_get (&loaded_db);
}

void
hangar_os_info_load_db_async (GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, hangar_os_info_load_db_async);
  g_task_run_in_thread (task, load_db_thread);
}

OsinfoDb *
hangar_os_info_load_db_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Detecting the system on an ISO --------------------------------------- */

static void
on_media_created (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(OsinfoMedia) media = osinfo_media_create_from_location_with_flags_finish (result, &error);
  OsinfoDb *db = g_task_get_task_data (task);

  /* Not install media libosinfo understands: an unknown system, no error. */
  if (media == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else if (media == NULL && error != NULL && error->domain != OSINFO_MEDIA_ERROR)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (media != NULL && osinfo_db_identify_media (db, media))
    g_task_return_pointer (task, osinfo_media_get_os (media), g_object_unref);
  else
    g_task_return_pointer (task, NULL, NULL);
}

void
hangar_os_info_detect_async (OsinfoDb            *db,
                             const char          *path,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (OSINFO_IS_DB (db));
  g_return_if_fail (path != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, hangar_os_info_detect_async);
  g_task_set_task_data (task, g_object_ref (db), g_object_unref);

  /* Not requiring a boot record, as virt-manager: some installers have none. */
  osinfo_media_create_from_location_with_flags_async (path, G_PRIORITY_DEFAULT, cancellable,
                                                      on_media_created, 0, task);
}

OsinfoOs *
hangar_os_info_detect_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Listing and searching ------------------------------------------------ */

const char *
hangar_os_info_get_id (OsinfoOs *os)
{
  return osinfo_entity_get_id (OSINFO_ENTITY (os));
}

const char *
hangar_os_info_get_short_id (OsinfoOs *os)
{
  return osinfo_product_get_short_id (OSINFO_PRODUCT (os));
}

const char *
hangar_os_info_get_name (OsinfoOs *os)
{
  const char *name = osinfo_product_get_name (OSINFO_PRODUCT (os));

  return name != NULL ? name : hangar_os_info_get_short_id (os);
}

static const char *
release_date (OsinfoOs *os)
{
  const char *date = osinfo_product_get_release_date_string (OSINFO_PRODUCT (os));

  return date != NULL ? date : "";
}

/* Newest first; systems without a date (rolling, "testing") after the
 * dated ones; then by name. */
static int
compare_oses (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  OsinfoOs *os_a = OSINFO_OS ((gpointer) a);
  OsinfoOs *os_b = OSINFO_OS ((gpointer) b);
  int by_date = -g_strcmp0 (release_date (os_a), release_date (os_b));

  if (by_date != 0)
    return by_date;
  return g_utf8_collate (hangar_os_info_get_name (os_a), hangar_os_info_get_name (os_b));
}

GListModel *
hangar_os_info_list_oses (OsinfoDb *db)
{
  g_autoptr(OsinfoOsList) list = osinfo_db_get_os_list (db);
  GListStore *store = g_list_store_new (OSINFO_TYPE_OS);
  int length = osinfo_list_get_length (OSINFO_LIST (list));

  for (int i = 0; i < length; i++)
    {
      OsinfoOs *os = OSINFO_OS (osinfo_list_get_nth (OSINFO_LIST (list), i));

      if (g_strcmp0 (hangar_os_info_get_short_id (os), UNKNOWN_OS_SHORT_ID) != 0)
        g_list_store_append (store, os);
    }

  g_list_store_sort (store, compare_oses, NULL);
  return G_LIST_MODEL (store);
}

/* Lower case without accents, for matching what a person types. */
static char *
fold_for_search (const char *text)
{
  g_autofree char *ascii = g_str_to_ascii (text != NULL ? text : "", NULL);

  return g_ascii_strdown (ascii, -1);
}

static char *
searchable_text (OsinfoOs *os)
{
  OsinfoProduct *product = OSINFO_PRODUCT (os);
  g_autofree char *joined = NULL;

  joined = g_strjoin (" ",
                      hangar_os_info_get_name (os),
                      hangar_os_info_get_short_id (os) ? hangar_os_info_get_short_id (os) : "",
                      osinfo_product_get_vendor (product) ? osinfo_product_get_vendor (product) : "",
                      NULL);
  return fold_for_search (joined);
}

gboolean
hangar_os_info_matches (OsinfoOs   *os,
                        const char *query)
{
  g_autofree char *folded_query = fold_for_search (query);
  g_autofree char *text = NULL;
  g_auto(GStrv) words = NULL;

  g_return_val_if_fail (OSINFO_IS_OS (os), FALSE);

  words = g_strsplit_set (folded_query, " \t", -1);
  text = searchable_text (os);
  for (guint i = 0; words[i] != NULL; i++)
    {
      if (words[i][0] != '\0' && strstr (text, words[i]) == NULL)
        return FALSE;
    }
  return TRUE;
}

GPtrArray *
hangar_os_info_search (OsinfoDb   *db,
                       const char *query)
{
  g_autoptr(GListModel) oses = hangar_os_info_list_oses (db);
  GPtrArray *found = g_ptr_array_new_with_free_func (g_object_unref);
  guint n = g_list_model_get_n_items (oses);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(OsinfoOs) os = g_list_model_get_item (oses, i);

      if (hangar_os_info_matches (os, query))
        g_ptr_array_add (found, g_steal_pointer (&os));
    }
  return found;
}

/* ---- Resources ------------------------------------------------------------ */

/* The entry for x86_64, else the one for every architecture. */
static OsinfoResources *
find_resources (OsinfoResourcesList *list)
{
  OsinfoResources *for_all = NULL;
  int length = osinfo_list_get_length (OSINFO_LIST (list));

  for (int i = 0; i < length; i++)
    {
      OsinfoResources *resources = OSINFO_RESOURCES (osinfo_list_get_nth (OSINFO_LIST (list), i));
      const char *arch = osinfo_resources_get_architecture (resources);

      if (g_strcmp0 (arch, HOST_ARCH) == 0)
        return resources;
      if (g_strcmp0 (arch, OSINFO_ARCHITECTURE_ALL) == 0)
        for_all = resources;
    }
  return for_all;
}

/* libosinfo says -1 (or 0) for "not stated". */
static guint64
pick_size (gint64  recommended,
           gint64  minimum,
           guint64 fallback)
{
  if (recommended > 0)
    return (guint64) recommended;
  return MAX ((guint64) MAX (minimum, 0), fallback);
}

void
hangar_os_info_get_resources (OsinfoOs          *os,
                              HangarOsResources *resources)
{
  g_autoptr(OsinfoResourcesList) recommended_list = NULL;
  g_autoptr(OsinfoResourcesList) minimum_list = NULL;
  OsinfoResources *recommended;
  OsinfoResources *minimum;

  g_return_if_fail (os == NULL || OSINFO_IS_OS (os));
  g_return_if_fail (resources != NULL);

  resources->ram = HANGAR_OS_INFO_DEFAULT_RAM;
  resources->n_cpus = HANGAR_OS_INFO_DEFAULT_CPUS;
  resources->storage = HANGAR_OS_INFO_DEFAULT_STORAGE;
  resources->from_osinfo = FALSE;
  if (os == NULL)
    return;

  recommended_list = osinfo_os_get_recommended_resources (os);
  minimum_list = osinfo_os_get_minimum_resources (os);
  recommended = find_resources (recommended_list);
  minimum = find_resources (minimum_list);
  if (recommended == NULL && minimum == NULL)
    return;

  resources->from_osinfo = TRUE;
  resources->ram = pick_size (recommended ? osinfo_resources_get_ram (recommended) : -1,
                              minimum ? osinfo_resources_get_ram (minimum) : -1,
                              HANGAR_OS_INFO_DEFAULT_RAM);
  resources->storage = pick_size (recommended ? osinfo_resources_get_storage (recommended) : -1,
                                  minimum ? osinfo_resources_get_storage (minimum) : -1,
                                  HANGAR_OS_INFO_DEFAULT_STORAGE);
  resources->n_cpus = (guint) pick_size (recommended ? osinfo_resources_get_n_cpus (recommended) : -1,
                                         minimum ? osinfo_resources_get_n_cpus (minimum) : -1,
                                         HANGAR_OS_INFO_DEFAULT_CPUS);
}

/* ---- Devices -------------------------------------------------------------- */

gboolean
hangar_os_info_supports_device (OsinfoOs   *os,
                                const char *device_class,
                                const char *name_part)
{
  g_autoptr(OsinfoDeviceList) devices = NULL;
  int length;

  g_return_val_if_fail (os == NULL || OSINFO_IS_OS (os), FALSE);

  if (os == NULL)
    return TRUE;

  devices = osinfo_os_get_all_devices (os, NULL);
  length = osinfo_list_get_length (OSINFO_LIST (devices));
  for (int i = 0; i < length; i++)
    {
      OsinfoDevice *device = OSINFO_DEVICE (osinfo_list_get_nth (OSINFO_LIST (devices), i));
      const char *name = osinfo_device_get_name (device);

      if (g_strcmp0 (osinfo_device_get_class (device), device_class) == 0 &&
          name != NULL && strstr (name, name_part) != NULL)
        return TRUE;
    }
  return FALSE;
}

/* ---- Icons ---------------------------------------------------------------- */

#define ICON_RESOURCE_PATH "/io/github/hangarvm/Hangar/icons"

static const char *
icon_for_family (const char *family)
{
  if (family == NULL)
    return NULL;
  if (g_str_equal (family, "linux"))
    return HANGAR_OS_ICON_LINUX;
  if (g_str_has_prefix (family, "win"))       /* winnt, win9x, win16 */
    return HANGAR_OS_ICON_WINDOWS;
  if (g_str_has_suffix (family, "bsd"))       /* freebsd, openbsd, netbsd, dragonflybsd */
    return HANGAR_OS_ICON_BSD;
  return NULL;
}

const char *
hangar_os_info_get_icon_name (OsinfoOs *os)
{
  const char *icon;
  const char *distro;

  g_return_val_if_fail (os == NULL || OSINFO_IS_OS (os), HANGAR_OS_ICON_UNKNOWN);

  if (os == NULL)
    return HANGAR_OS_ICON_UNKNOWN;

  icon = icon_for_family (osinfo_os_get_family (os));
  if (icon != NULL)
    return icon;

  /* No family stated: what the distro says. */
  distro = osinfo_os_get_distro (os);
  if (g_strcmp0 (distro, "win") == 0)
    return HANGAR_OS_ICON_WINDOWS;
  icon = icon_for_family (distro);
  return icon != NULL ? icon : HANGAR_OS_ICON_UNKNOWN;
}

/* A release of the distro @os_id names: "http://debian.org/debian/14"
 * → one whose ID starts with "http://debian.org/debian/". */
static OsinfoOs *
find_sibling (OsinfoDb   *db,
              const char *os_id)
{
  const char *slash = strrchr (os_id, '/');
  g_autofree char *prefix = NULL;
  g_autoptr(OsinfoOsList) list = NULL;
  int length;

  /* At least "http://host/distro/": the host alone says too little. */
  if (slash == NULL || slash[1] == '\0' || !g_str_has_prefix (os_id, "http://") ||
      slash - os_id <= (gssize) strlen ("http://") || memchr (os_id + strlen ("http://"), '/',
                                                              slash - os_id - strlen ("http://")) == NULL)
    return NULL;

  prefix = g_strndup (os_id, slash - os_id + 1);
  list = osinfo_db_get_os_list (db);
  length = osinfo_list_get_length (OSINFO_LIST (list));
  for (int i = 0; i < length; i++)
    {
      OsinfoOs *os = OSINFO_OS (osinfo_list_get_nth (OSINFO_LIST (list), i));

      if (g_str_has_prefix (hangar_os_info_get_id (os), prefix))
        return os;
    }
  return NULL;
}

const char *
hangar_os_info_icon_name_for_id (OsinfoDb   *db,
                                 const char *os_id)
{
  OsinfoOs *os;

  g_return_val_if_fail (OSINFO_IS_DB (db), HANGAR_OS_ICON_UNKNOWN);

  if (os_id == NULL || os_id[0] == '\0')
    return HANGAR_OS_ICON_UNKNOWN;

  os = osinfo_db_get_os (db, os_id);
  if (os == NULL)
    os = find_sibling (db, os_id);
  return hangar_os_info_get_icon_name (os);
}

void
hangar_os_info_add_icon_path (GdkDisplay *display)
{
  GtkIconTheme *theme;

  g_return_if_fail (GDK_IS_DISPLAY (display));

  theme = gtk_icon_theme_get_for_display (display);
  if (g_object_get_data (G_OBJECT (theme), "hangar-os-icons") != NULL)
    return;

  g_object_set_data (G_OBJECT (theme), "hangar-os-icons", GINT_TO_POINTER (TRUE));
  /* An application has it already (its resource base path). */
  if (!gtk_icon_theme_has_icon (theme, HANGAR_OS_ICON_UNKNOWN))
    gtk_icon_theme_add_resource_path (theme, ICON_RESOURCE_PATH);
}
