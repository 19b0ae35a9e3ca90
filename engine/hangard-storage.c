/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-storage"

#include "hangard-storage.h"
#include "hangard-error.h"
#include "hangard-volume.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

/* Written once the default pool has been made, so a user who undefines it
 * does not get it back at the next start. */
#define FIRST_START_MARKER ".default-pool-created"

struct _HangardStorage
{
  GObject        parent_instance;

  HangardDaemon *daemon;   /* owns us */
  GHashTable    *pools;    /* uuid → HangardPool* (owned) */
};

G_DEFINE_FINAL_TYPE (HangardStorage, hangard_storage, G_TYPE_OBJECT)

static HangardPaths *
paths (HangardStorage *self)
{
  return hangard_daemon_get_paths (self->daemon);
}

static char *
definition_path (HangardStorage *self,
                 const char     *uuid)
{
  g_autofree char *name = g_strconcat (uuid, ".xml", NULL);

  return g_build_filename (paths (self)->pools_dir, name, NULL);
}

static char *
autostart_path (HangardStorage *self,
                const char     *uuid)
{
  return g_build_filename (paths (self)->pool_autostart_dir, uuid, NULL);
}

static gboolean
store_definition (HangardStorage  *self,
                  HangardPoolDef  *def,
                  GError         **error)
{
  g_autofree char *path = definition_path (self, def->uuid);
  g_autofree char *xml = hangard_pool_def_to_xml (def);
  g_autoptr(GError) local_error = NULL;

  /* Temp file, fsync, rename: never half a definition. */
  if (!g_file_set_contents_full (path, xml, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, &local_error))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot store the pool definition: %s"),
                   local_error->message);
      return FALSE;
    }
  return TRUE;
}

static HangardPool *
find (HangardStorage *self,
      gboolean      (*matches) (HangardPool *, const char *),
      const char     *value)
{
  GHashTableIter iter;
  gpointer pool;

  g_hash_table_iter_init (&iter, self->pools);
  while (g_hash_table_iter_next (&iter, NULL, &pool))
    if (matches (pool, value))
      return pool;
  return NULL;
}

static gboolean
has_name (HangardPool *pool, const char *name)
{
  return g_str_equal (hangard_pool_get_name (pool), name);
}

static gboolean
has_target (HangardPool *pool, const char *target)
{
  return g_str_equal (hangard_pool_get_def (pool)->target_path, target);
}

static gboolean
has_object_path (HangardPool *pool, const char *path)
{
  return g_str_equal (hangard_pool_get_object_path (pool), path);
}

static void
export_pool (HangardStorage *self,
             HangardPool    *pool)
{
  g_autoptr(HangarObjectSkeleton) object = hangar_object_skeleton_new (hangard_pool_get_object_path (pool));

  hangar_object_skeleton_set_storage_pool (object, HANGAR_STORAGE_POOL (pool));
  g_dbus_object_manager_server_export (hangard_daemon_get_object_manager (self->daemon),
                                       G_DBUS_OBJECT_SKELETON (object));
  g_hash_table_insert (self->pools, g_strdup (hangard_pool_get_uuid (pool)), pool);
}

/* Names, UUIDs and directories are each one pool's. */
static gboolean
check_identity (HangardStorage  *self,
                HangardPoolDef  *def,
                HangardPool     *same_uuid,
                GError         **error)
{
  HangardPool *other = find (self, has_name, def->name);

  if (other != NULL && other != same_uuid)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                   _("A pool named '%s' already exists"), def->name);
      return FALSE;
    }
  if (same_uuid != NULL && !g_str_equal (hangard_pool_get_name (same_uuid), def->name))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                   _("UUID %s already belongs to pool '%s'"), def->uuid, hangard_pool_get_name (same_uuid));
      return FALSE;
    }
  other = find (self, has_target, def->target_path);
  if (other != NULL && other != same_uuid)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                   _("Pool '%s' already uses the directory %s"), hangard_pool_get_name (other), def->target_path);
      return FALSE;
    }
  return TRUE;
}

HangardPool *
hangard_storage_define_pool (HangardStorage  *self,
                             const char      *xml,
                             GError         **error)
{
  g_autoptr(HangardPoolDef) def = hangard_pool_def_parse (xml, -1, error);
  HangardPool *existing;
  HangardPool *pool;

  if (def == NULL)
    return NULL;
  existing = g_hash_table_lookup (self->pools, def->uuid);
  if (!check_identity (self, def, existing, error) || !store_definition (self, def, error))
    return NULL;

  if (existing != NULL)
    {
      hangard_pool_set_def (existing, g_steal_pointer (&def));
      return existing;
    }

  pool = hangard_pool_new (self->daemon, g_steal_pointer (&def), FALSE);
  export_pool (self, pool);
  g_message ("Defined pool %s (%s)", hangard_pool_get_name (pool), hangard_pool_get_target (pool));
  return pool;
}

HangardPool *
hangard_storage_lookup_pool (HangardStorage  *self,
                             const char      *name_or_uuid,
                             GError         **error)
{
  g_autofree char *lower = NULL;
  HangardPool *pool;

  if (name_or_uuid == NULL || *name_or_uuid == '\0')
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT, _("No pool name or UUID given"));
      return NULL;
    }
  pool = find (self, has_name, name_or_uuid);
  if (pool != NULL)
    return pool;
  lower = g_ascii_strdown (name_or_uuid, -1);
  pool = g_hash_table_lookup (self->pools, lower);
  if (pool == NULL)
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND, _("No storage pool named '%s'"), name_or_uuid);
  return pool;
}

HangardPool *
hangard_storage_lookup_pool_by_path (HangardStorage  *self,
                                     const char      *object_path,
                                     GError         **error)
{
  HangardPool *pool = find (self, has_object_path, object_path);

  if (pool == NULL)
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND, _("No storage pool at %s"), object_path);
  return pool;
}

static gboolean
delete_all_volumes (HangardStorage  *self,
                    HangardPool     *pool,
                    GError         **error)
{
  g_autoptr(GDir) dir = g_dir_open (hangard_pool_get_target (pool), 0, error);
  const char *name;

  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (hangard_pool_get_target (pool), name, NULL);

      if (g_unlink (path) != 0)
        {
          int saved_errno = errno;
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot delete %s: %s"),
                       path, g_strerror (saved_errno));
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_no_running_users (HangardStorage  *self,
                        HangardPool     *pool,
                        GError         **error)
{
  g_autoptr(GDir) dir = g_dir_open (hangard_pool_get_target (pool), 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (hangard_pool_get_target (pool), name, NULL);
      const char *machine = hangard_daemon_find_running_user (self->daemon, path);

      if (machine != NULL)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                       _("Running machine '%s' uses %s from this pool"), machine, name);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
directory_is_empty (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);

  return dir == NULL || g_dir_read_name (dir) == NULL;
}

static gboolean
delete_directory (HangardStorage  *self,
                  HangardPool     *pool,
                  gboolean         delete_volumes,
                  GError         **error)
{
  const char *target = hangard_pool_get_def (pool)->target_path;

  if (!g_file_test (target, G_FILE_TEST_IS_DIR))
    return TRUE;
  if (!directory_is_empty (target) && !delete_volumes)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("The directory %s still holds volumes: give the delete-volumes option to delete them too"),
                   target);
      return FALSE;
    }
  if (!check_no_running_users (self, pool, error) ||
      (delete_volumes && !delete_all_volumes (self, pool, error)))
    return FALSE;
  if (g_rmdir (target) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot remove %s: %s"),
                   target, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

gboolean
hangard_storage_undefine_pool (HangardStorage  *self,
                               HangardPool     *pool,
                               gboolean         remove_directory,
                               gboolean         delete_volumes,
                               GError         **error)
{
  const char *uuid = hangard_pool_get_uuid (pool);
  g_autofree char *path = definition_path (self, uuid);
  g_autofree char *autostart = autostart_path (self, uuid);

  if (hangard_pool_is_active (pool))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Pool '%s' is active: stop it first"), hangard_pool_get_name (pool));
      return FALSE;
    }
  if (delete_volumes && !remove_directory)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("delete-volumes goes with delete-directory"));
      return FALSE;
    }
  if (remove_directory && !delete_directory (self, pool, delete_volumes, error))
    return FALSE;

  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot remove %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }
  g_unlink (autostart);
  g_message ("Undefined pool %s", hangard_pool_get_name (pool));
  g_dbus_object_manager_server_unexport (hangard_daemon_get_object_manager (self->daemon),
                                         hangard_pool_get_object_path (pool));
  g_hash_table_remove (self->pools, uuid);
  return TRUE;
}

gboolean
hangard_storage_set_autostart (HangardStorage  *self,
                               HangardPool     *pool,
                               gboolean         autostart,
                               GError         **error)
{
  g_autofree char *path = autostart_path (self, hangard_pool_get_uuid (pool));
  g_autoptr(GError) local_error = NULL;

  if (autostart && !g_file_set_contents_full (path, "", 0, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot mark for autostart: %s"), local_error->message);
      return FALSE;
    }
  if (!autostart && g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot remove %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }
  hangard_pool_set_autostart_flag (pool, autostart);
  return TRUE;
}

/* ---- Resolving volumes ----------------------------------------------------- */

HangardDomain *
hangard_storage_resolve_domain (HangardStorage  *self,
                                HangardDomain   *domain,
                                GError         **error)
{
  g_autoptr(HangardDomain) resolved = hangard_domain_copy (domain);

  for (guint i = 0; i < resolved->disks->len; i++)
    {
      HangardDiskDef *disk = g_ptr_array_index (resolved->disks, i);
      HangardPool *pool;
      HangardVolume *volume;

      if (disk->source_pool == NULL)
        continue;
      pool = hangard_storage_lookup_pool (self, disk->source_pool, error);
      if (pool == NULL)
        return NULL;
      volume = hangard_pool_lookup_volume (pool, disk->source_volume, error);
      if (volume == NULL)
        return NULL;
      g_free (disk->source_file);
      disk->source_file = g_strdup (hangar_volume_get_path (HANGAR_VOLUME (volume)));
    }
  return g_steal_pointer (&resolved);
}

/* ---- Loading --------------------------------------------------------------- */

static void
load_definition (HangardStorage *self,
                 const char     *filename)
{
  g_autofree char *path = g_build_filename (paths (self)->pools_dir, filename, NULL);
  g_autofree char *xml = NULL;
  g_autofree char *autostart = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardPoolDef) def = NULL;
  HangardPool *pool;

  if (!g_file_get_contents (path, &xml, NULL, &error) ||
      (def = hangard_pool_def_parse (xml, -1, &error)) == NULL)
    {
      g_warning ("Skipping pool definition %s: %s", path, error->message);
      return;
    }
  if (g_hash_table_contains (self->pools, def->uuid) || find (self, has_name, def->name))
    {
      g_warning ("Skipping pool definition %s: pool %s is defined twice", path, def->name);
      return;
    }
  autostart = autostart_path (self, def->uuid);
  pool = hangard_pool_new (self->daemon, g_steal_pointer (&def), g_file_test (autostart, G_FILE_TEST_EXISTS));
  export_pool (self, pool);
}

static gboolean
create_default_pool (HangardStorage  *self,
                     GError         **error)
{
  g_autoptr(HangardPoolDef) def = NULL;
  HangardPool *pool;

  def = hangard_pool_def_new_dir ("default", paths (self)->images_dir, error);
  if (def == NULL || !store_definition (self, def, error))
    return FALSE;
  pool = hangard_pool_new (self->daemon, g_steal_pointer (&def), FALSE);
  export_pool (self, pool);
  if (g_mkdir_with_parents (paths (self)->images_dir, paths (self)->mode == HANGARD_MODE_SYSTEM ? 0755 : 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot create %s: %s"),
                   paths (self)->images_dir, g_strerror (saved_errno));
      return FALSE;
    }
  return hangard_storage_set_autostart (self, pool, TRUE, error);
}

gboolean
hangard_storage_load (HangardStorage  *self,
                      GError         **error)
{
  g_autofree char *marker = g_build_filename (paths (self)->pools_dir, FIRST_START_MARKER, NULL);
  g_autoptr(GDir) dir = g_dir_open (paths (self)->pools_dir, 0, error);
  const char *name;

  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".xml") && name[0] != '.')
      load_definition (self, name);

  if (g_file_test (marker, G_FILE_TEST_EXISTS))
    return TRUE;
  if (find (self, has_name, "default") == NULL && !create_default_pool (self, error))
    return FALSE;
  return g_file_set_contents_full (marker, "", 0, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

void
hangard_storage_autostart (HangardStorage *self)
{
  GHashTableIter iter;
  gpointer pool;

  g_hash_table_iter_init (&iter, self->pools);
  while (g_hash_table_iter_next (&iter, NULL, &pool))
    {
      g_autoptr(GError) error = NULL;

      if (!hangar_storage_pool_get_autostart (HANGAR_STORAGE_POOL (pool)) || hangard_pool_is_active (pool))
        continue;
      if (!hangard_pool_start (pool, &error))
        {
          /* Shown on the pool, not only in a log nobody reads. */
          g_warning ("Cannot start pool %s: %s", hangard_pool_get_name (pool), error->message);
          hangar_storage_pool_set_state_reason (HANGAR_STORAGE_POOL (pool), error->message);
        }
    }
}

void
hangard_storage_refresh_all (HangardStorage *self)
{
  GHashTableIter iter;
  gpointer pool;

  g_hash_table_iter_init (&iter, self->pools);
  while (g_hash_table_iter_next (&iter, NULL, &pool))
    if (hangard_pool_is_active (pool))
      hangard_pool_refresh (pool, NULL);
}

/* ---- Object --------------------------------------------------------------- */

HangardStorage *
hangard_storage_new (HangardDaemon *daemon)
{
  HangardStorage *self = g_object_new (HANGARD_TYPE_STORAGE, NULL);

  self->daemon = daemon;
  return self;
}

static void
hangard_storage_finalize (GObject *object)
{
  HangardStorage *self = HANGARD_STORAGE (object);

  g_clear_pointer (&self->pools, g_hash_table_unref);
  G_OBJECT_CLASS (hangard_storage_parent_class)->finalize (object);
}

static void
hangard_storage_class_init (HangardStorageClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hangard_storage_finalize;
}

static void
hangard_storage_init (HangardStorage *self)
{
  self->pools = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}
