/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-pool"

#include "hangard-pool.h"
#include "hangard-error.h"
#include "hangard-job.h"
#include "hangard-qemu-img.h"
#include "hangard-volume.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct _HangardPool
{
  HangarStoragePoolSkeleton  parent_instance;

  HangardDaemon             *daemon;  /* owns us */
  HangardPoolDef            *def;
  char                      *object_path;
  char                      *active_target;  /* the directory while active */
  GHashTable                *volumes;        /* name → HangardVolume* (owned) */
  GFileMonitor              *monitor;        /* notices the directory vanishing */
};

static void hangard_pool_iface_init (HangarStoragePoolIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HangardPool, hangard_pool, HANGAR_TYPE_STORAGE_POOL_SKELETON,
                               G_IMPLEMENT_INTERFACE (HANGAR_TYPE_STORAGE_POOL, hangard_pool_iface_init))

static GDBusObjectManagerServer *
object_manager (HangardPool *self)
{
  return hangard_daemon_get_object_manager (self->daemon);
}

const char *
hangard_pool_get_uuid (HangardPool *self)
{
  return self->def->uuid;
}

const char *
hangard_pool_get_name (HangardPool *self)
{
  return self->def->name;
}

const char *
hangard_pool_get_object_path (HangardPool *self)
{
  return self->object_path;
}

const char *
hangard_pool_get_target (HangardPool *self)
{
  return self->active_target ? self->active_target : self->def->target_path;
}

HangardPoolDef *
hangard_pool_get_def (HangardPool *self)
{
  return self->def;
}

gboolean
hangard_pool_is_active (HangardPool *self)
{
  return self->active_target != NULL;
}

char *
hangard_pool_build_path (HangardPool *self,
                         const char  *name)
{
  return g_build_filename (hangard_pool_get_target (self), name, NULL);
}

static void
publish (HangardPool *self)
{
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
}

static void
set_state (HangardPool *self,
           const char  *state,
           const char  *reason)
{
  hangar_storage_pool_set_state (HANGAR_STORAGE_POOL (self), state);
  hangar_storage_pool_set_state_reason (HANGAR_STORAGE_POOL (self), reason ? reason : "");
}

/* Capacity, allocation and available space, from the filesystem. */
static void
update_space (HangardPool *self)
{
  HangarStoragePool *iface = HANGAR_STORAGE_POOL (self);
  struct statvfs fs;
  guint64 capacity = 0, allocation = 0, available = 0;

  if (self->active_target != NULL && statvfs (self->active_target, &fs) == 0)
    {
      capacity = (guint64) fs.f_blocks * fs.f_frsize;
      allocation = (guint64) (fs.f_blocks - fs.f_bfree) * fs.f_frsize;
      available = (guint64) fs.f_bavail * fs.f_frsize;
    }
  hangar_storage_pool_set_capacity (iface, capacity);
  hangar_storage_pool_set_allocation (iface, allocation);
  hangar_storage_pool_set_available (iface, available);
}

/* ---- Volumes -------------------------------------------------------------- */

static void
export_volume (HangardPool   *self,
               HangardVolume *volume)
{
  g_autoptr(HangarObjectSkeleton) object = hangar_object_skeleton_new (hangard_volume_get_object_path (volume));

  hangar_object_skeleton_set_volume (object, HANGAR_VOLUME (volume));
  g_dbus_object_manager_server_export (object_manager (self), G_DBUS_OBJECT_SKELETON (object));
}

static void
drop_volume (HangardPool   *self,
             HangardVolume *volume)
{
  g_dbus_object_manager_server_unexport (object_manager (self), hangard_volume_get_object_path (volume));
  hangard_volume_detach (volume);
}

static void
drop_all_volumes (HangardPool *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->volumes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      drop_volume (self, value);
      g_hash_table_iter_remove (&iter);
    }
}

void
hangard_pool_remove_volume (HangardPool   *self,
                            HangardVolume *volume)
{
  const char *name = hangar_volume_get_name (HANGAR_VOLUME (volume));

  if (g_hash_table_lookup (self->volumes, name) != volume)
    return;
  drop_volume (self, volume);
  g_hash_table_remove (self->volumes, name);
}

/* Files Hangar would refuse as volume names (hidden, temporary) are not
 * volumes: they stay invisible. */
static gboolean
is_volume_name (const char *name)
{
  return hangard_volume_name_is_valid (name, NULL);
}

static void
add_or_update (HangardPool       *self,
               const char        *name,
               HangardVolumeInfo *info)
{
  HangardVolume *volume = g_hash_table_lookup (self->volumes, name);

  if (volume != NULL)
    {
      hangard_volume_update (volume, info);
      return;
    }
  volume = hangard_volume_new (self->daemon, self, name, info);
  g_hash_table_insert (self->volumes, g_strdup (name), volume);
  export_volume (self, volume);
}

static int
open_target (HangardPool  *self,
             GError      **error)
{
  int fd = open (hangard_pool_get_target (self), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, saved_errno == ENOENT ? HANGAR_ERROR_NOT_FOUND : HANGAR_ERROR_FAILED,
                   _("Cannot open the directory %s of pool '%s': %s"),
                   hangard_pool_get_target (self), self->def->name, g_strerror (saved_errno));
    }
  return fd;
}

HangardVolume *
hangard_pool_add_or_update_volume (HangardPool  *self,
                                   const char   *name,
                                   GError      **error)
{
  HangardVolumeInfo info;
  int dir_fd = open_target (self, error);
  gboolean found;

  if (dir_fd < 0)
    return NULL;
  found = hangard_volume_info_probe (dir_fd, hangard_pool_get_target (self), name, &info);
  close (dir_fd);
  if (!found)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                   _("Pool '%s' has no volume '%s'"), self->def->name, name);
      return NULL;
    }
  add_or_update (self, name, &info);
  update_space (self);
  publish (self);
  return g_hash_table_lookup (self->volumes, name);
}

gboolean
hangard_pool_refresh (HangardPool  *self,
                      GError      **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GDir) dir = NULL;
  GHashTableIter iter;
  gpointer key, value;
  const char *name;
  int dir_fd;

  dir_fd = open_target (self, error);
  if (dir_fd < 0)
    return FALSE;
  dir = g_dir_open (hangard_pool_get_target (self), 0, error);
  if (dir == NULL)
    {
      close (dir_fd);
      return FALSE;
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      HangardVolumeInfo info;

      if (!is_volume_name (name) || !hangard_volume_info_probe (dir_fd, hangard_pool_get_target (self), name, &info))
        continue;
      add_or_update (self, name, &info);
      g_hash_table_add (seen, (gpointer) hangar_volume_get_name (g_hash_table_lookup (self->volumes, name)));
    }
  close (dir_fd);

  /* Files removed by hand leave the list. */
  g_hash_table_iter_init (&iter, self->volumes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (seen, key))
      {
        drop_volume (self, value);
        g_hash_table_iter_remove (&iter);
      }

  update_space (self);
  publish (self);
  return TRUE;
}

HangardVolume *
hangard_pool_lookup_volume (HangardPool  *self,
                            const char   *name,
                            GError      **error)
{
  HangardVolume *volume;

  if (!hangard_pool_is_active (self))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Pool '%s' is not active"), self->def->name);
      return NULL;
    }
  volume = g_hash_table_lookup (self->volumes, name);
  if (volume == NULL)
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                 _("Pool '%s' has no volume '%s'"), self->def->name, name);
  return volume;
}

GList *
hangard_pool_get_volumes (HangardPool *self)
{
  return g_hash_table_get_values (self->volumes);
}

/* ---- Activation ----------------------------------------------------------- */

static void
on_directory_changed (GFileMonitor      *monitor,
                      GFile             *file,
                      GFile             *other,
                      GFileMonitorEvent  event,
                      gpointer           user_data)
{
  HangardPool *self = user_data;
  g_autofree char *reason = NULL;

  if (event != G_FILE_MONITOR_EVENT_DELETED && event != G_FILE_MONITOR_EVENT_UNMOUNTED &&
      event != G_FILE_MONITOR_EVENT_MOVED_OUT)
    return;
  if (g_file_test (self->active_target, G_FILE_TEST_IS_DIR))
    return;

  reason = g_strdup_printf (_("The directory %s is gone"), self->active_target);
  g_warning ("Pool %s: %s", self->def->name, reason);
  hangard_pool_stop (self, reason);
}

static void
watch_directory (HangardPool *self)
{
  g_autoptr(GFile) directory = g_file_new_for_path (self->active_target);

  /* Watching the directory itself (not its contents) reports its removal. */
  self->monitor = g_file_monitor_file (directory, G_FILE_MONITOR_WATCH_MOVES, NULL, NULL);
  if (self->monitor != NULL)
    g_signal_connect (self->monitor, "changed", G_CALLBACK (on_directory_changed), self);
}

gboolean
hangard_pool_start (HangardPool  *self,
                    GError      **error)
{
  GStatBuf st;

  if (hangard_pool_is_active (self))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Pool '%s' is already active"), self->def->name);
      return FALSE;
    }
  if (g_stat (self->def->target_path, &st) != 0 || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                   _("The directory %s of pool '%s' does not exist: build the pool first"),
                   self->def->target_path, self->def->name);
      return FALSE;
    }

  self->active_target = g_strdup (self->def->target_path);
  if (!hangard_pool_refresh (self, error))
    {
      g_clear_pointer (&self->active_target, g_free);
      return FALSE;
    }
  watch_directory (self);
  set_state (self, "active", "");
  publish (self);
  return TRUE;
}

void
hangard_pool_stop (HangardPool *self,
                   const char  *reason)
{
  if (self->monitor != NULL)
    {
      g_file_monitor_cancel (self->monitor);
      g_signal_handlers_disconnect_by_data (self->monitor, self);
      g_clear_object (&self->monitor);
    }
  drop_all_volumes (self);
  g_clear_pointer (&self->active_target, g_free);
  update_space (self);
  set_state (self, "inactive", reason);
  publish (self);
}

/* ---- Methods -------------------------------------------------------------- */

static gboolean
handle_build (HangarStoragePool     *iface,
              GDBusMethodInvocation *invocation)
{
  HangardPool *self = HANGARD_POOL (iface);
  g_autoptr(GError) error = NULL;
  HangardPaths *paths = hangard_daemon_get_paths (self->daemon);
  int mode = paths->mode == HANGARD_MODE_SYSTEM ? 0755 : 0700;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  if (g_mkdir_with_parents (self->def->target_path, mode) != 0)
    {
      int saved_errno = errno;
      g_set_error (&error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot create %s: %s"),
                   self->def->target_path, g_strerror (saved_errno));
    }
  return hangard_invocation_answer (invocation, error == NULL, error);
}

static gboolean
handle_start (HangarStoragePool     *iface,
              GDBusMethodInvocation *invocation)
{
  HangardPool *self = HANGARD_POOL (iface);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;
  ok = hangard_pool_start (self, &error);
  return hangard_invocation_answer (invocation, ok, error);
}

static gboolean
handle_stop (HangarStoragePool     *iface,
             GDBusMethodInvocation *invocation)
{
  HangardPool *self = HANGARD_POOL (iface);

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;
  if (!hangard_pool_is_active (self))
    {
      g_dbus_method_invocation_return_error (invocation, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                                             _("Pool '%s' is not active"), self->def->name);
      return TRUE;
    }
  hangard_pool_stop (self, _("stopped"));
  g_dbus_method_invocation_return_value (invocation, NULL);
  return TRUE;
}

static gboolean
handle_refresh (HangarStoragePool     *iface,
                GDBusMethodInvocation *invocation)
{
  HangardPool *self = HANGARD_POOL (iface);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;
  if (!hangard_pool_is_active (self))
    {
      g_dbus_method_invocation_return_error (invocation, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                                             _("Pool '%s' is not active"), self->def->name);
      return TRUE;
    }
  ok = hangard_pool_refresh (self, &error);
  if (!ok && g_error_matches (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND))
    hangard_pool_stop (self, error->message);
  return hangard_invocation_answer (invocation, ok, error);
}

static gboolean
handle_set_autostart (HangarStoragePool     *iface,
                      GDBusMethodInvocation *invocation,
                      gboolean               autostart)
{
  HangardPool *self = HANGARD_POOL (iface);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;
  ok = hangard_daemon_set_pool_autostart (self->daemon, self, autostart, &error);
  return hangard_invocation_answer (invocation, ok, error);
}

static gboolean
handle_undefine (HangarStoragePool     *iface,
                 GDBusMethodInvocation *invocation,
                 GVariant              *options)
{
  HangardPool *self = HANGARD_POOL (iface);
  const char *allowed[] = { "delete-directory", "delete-volumes", NULL };
  g_autoptr(GError) error = NULL;
  gboolean delete_directory = FALSE, delete_volumes = FALSE;
  gboolean ok;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  g_variant_lookup (options, "delete-directory", "b", &delete_directory);
  g_variant_lookup (options, "delete-volumes", "b", &delete_volumes);
  g_object_ref (self);
  ok = hangard_check_options (options, allowed, &error) &&
       hangard_daemon_undefine_pool (self->daemon, self, delete_directory, delete_volumes, &error);
  hangard_invocation_answer (invocation, ok, error);
  g_object_unref (self);
  return TRUE;
}

static gboolean
handle_get_xml (HangarStoragePool     *iface,
                GDBusMethodInvocation *invocation,
                GVariant              *options)
{
  HangardPool *self = HANGARD_POOL (iface);
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_READ))
    return TRUE;
  if (!hangard_check_options (options, NULL, &error))
    return hangard_invocation_answer (invocation, FALSE, error);

  update_space (self);
  if (hangard_pool_is_active (self))
    xml = hangard_pool_def_to_live_xml (self->def, hangar_storage_pool_get_capacity (iface),
                                        hangar_storage_pool_get_allocation (iface),
                                        hangar_storage_pool_get_available (iface));
  else
    xml = hangard_pool_def_to_xml (self->def);
  hangar_storage_pool_complete_get_xml (iface, invocation, xml);
  return TRUE;
}

/* ---- Jobs that make volumes ------------------------------------------------ */

typedef struct {
  HangardPool *pool;
  HangardJob  *job;
  char        *name;
  char        *expected_format;  /* upload: what the caller said it sends */
} VolumeJob;

static VolumeJob *
volume_job_new (HangardPool *self,
                const char  *operation,
                const char  *description,
                const char  *name)
{
  VolumeJob *data = g_new0 (VolumeJob, 1);

  data->pool = g_object_ref (self);
  data->job = hangard_job_new (self->daemon, operation, description, self->object_path);
  data->name = g_strdup (name);
  hangard_daemon_export_job (self->daemon, data->job);
  return data;
}

/* An imported file must be what the caller said it is: a "raw" file that
 * is really qcow2 would otherwise reach a guest with the wrong format. An
 * ISO is raw data, so "raw" accepts it. */
static gboolean
format_matches (HangardVolume  *volume,
                const char     *expected,
                GError        **error)
{
  const char *found = hangar_volume_get_format (HANGAR_VOLUME (volume));

  if (expected == NULL || *expected == '\0' || g_str_equal (expected, found) ||
      (g_str_equal (expected, "raw") && g_str_equal (found, "iso")) ||
      (g_str_equal (expected, "iso") && g_str_equal (found, "raw")))
    return TRUE;
  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
               _("The imported file is %s, not %s: nothing was kept"), found, expected);
  return FALSE;
}

static void
discard_volume (HangardPool   *self,
                HangardVolume *volume)
{
  g_unlink (hangar_volume_get_path (HANGAR_VOLUME (volume)));
  hangard_pool_remove_volume (self, volume);
}

static void
volume_job_finish (VolumeJob *data,
                   GError    *error)
{
  g_autoptr(GError) local_error = NULL;
  HangardVolume *volume = NULL;

  if (error == NULL)
    {
      volume = hangard_pool_add_or_update_volume (data->pool, data->name, &local_error);
      error = local_error;
    }
  if (volume != NULL && !format_matches (volume, data->expected_format, &local_error))
    {
      discard_volume (data->pool, volume);
      volume = NULL;
      error = local_error;
    }
  if (volume != NULL)
    hangard_job_complete (data->job, hangard_volume_get_object_path (volume));
  else
    hangard_job_fail (data->job, error);

  g_object_unref (data->pool);
  g_object_unref (data->job);
  g_free (data->name);
  g_free (data->expected_format);
  g_free (data);
}

static const char *
job_path (VolumeJob *data)
{
  return g_dbus_interface_skeleton_get_object_path (G_DBUS_INTERFACE_SKELETON (data->job));
}

/* Checks shared by CreateVolume and UploadVolume; returns the new path. */
static char *
prepare_new_volume (HangardPool  *self,
                    const char   *name,
                    GError      **error)
{
  g_autofree char *path = NULL;

  if (!hangard_volume_name_is_valid (name, error))
    return NULL;
  if (!hangard_pool_is_active (self))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Pool '%s' is not active: start it first"), self->def->name);
      return NULL;
    }
  path = hangard_pool_build_path (self, name);
  if (g_file_test (path, G_FILE_TEST_EXISTS) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                   _("Pool '%s' already has a file named '%s'"), self->def->name, name);
      return NULL;
    }
  return g_steal_pointer (&path);
}

static void
on_volume_created (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  hangard_qemu_img_create_finish (result, &error);
  volume_job_finish (user_data, error);
}

static gboolean
check_create_arguments (HangardPool  *self,
                        guint64       capacity,
                        const char   *format,
                        gboolean      preallocate,
                        const char   *backing_name,
                        char        **backing_path,
                        GError      **error)
{
  HangardVolume *backing;

  if (!g_str_equal (format, "qcow2") && !g_str_equal (format, "raw"))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("Unknown volume format '%s': use qcow2 or raw"), format);
      return FALSE;
    }
  if (capacity < 512)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("A volume must hold at least 512 bytes"));
      return FALSE;
    }
  if (backing_name == NULL)
    return TRUE;
  if (!g_str_equal (format, "qcow2"))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("Only a qcow2 volume can have a backing volume"));
      return FALSE;
    }
  if (preallocate)
    {
      /* qemu-img cannot preallocate an overlay: its space is the backing file's. */
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("A volume with a backing volume cannot be preallocated"));
      return FALSE;
    }
  backing = hangard_pool_lookup_volume (self, backing_name, error);
  if (backing == NULL)
    return FALSE;
  *backing_path = g_strdup (hangar_volume_get_path (HANGAR_VOLUME (backing)));
  return TRUE;
}

static gboolean
handle_create_volume (HangarStoragePool     *iface,
                      GDBusMethodInvocation *invocation,
                      const char            *name,
                      guint64                capacity,
                      const char            *format,
                      GVariant              *options)
{
  HangardPool *self = HANGARD_POOL (iface);
  const char *allowed[] = { "preallocate", "backing-volume", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *backing_path = NULL;
  g_autofree char *description = NULL;
  const char *backing_name = NULL;
  gboolean preallocate = FALSE;
  VolumeJob *data;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  g_variant_lookup (options, "preallocate", "b", &preallocate);
  g_variant_lookup (options, "backing-volume", "&s", &backing_name);
  if (!hangard_check_options (options, allowed, &error) ||
      (path = prepare_new_volume (self, name, &error)) == NULL ||
      !check_create_arguments (self, capacity, format, preallocate, backing_name, &backing_path, &error))
    return hangard_invocation_answer (invocation, FALSE, error);

  description = g_strdup_printf (_("Creating %s"), name);
  data = volume_job_new (self, "create-volume", description, name);
  hangar_storage_pool_complete_create_volume (iface, invocation, job_path (data));
  hangard_qemu_img_create_async (path, format, capacity, preallocate,
                                 backing_path, backing_path ? hangar_volume_get_format (
                                   HANGAR_VOLUME (g_hash_table_lookup (self->volumes, backing_name))) : NULL,
                                 hangard_job_get_cancellable (data->job), on_volume_created, data);
  return TRUE;
}

static void
on_upload_progress (guint64  done,
                    guint64  total,
                    gpointer user_data)
{
  VolumeJob *data = user_data;

  hangard_job_set_progress (data->job, done, total);
}

static void
on_uploaded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  hangard_copy_fd_to_file_finish (result, &error);
  volume_job_finish (user_data, error);
}

static gboolean
handle_upload_volume (HangarStoragePool     *iface,
                      GDBusMethodInvocation *invocation,
                      GUnixFDList           *fd_list,
                      const char            *name,
                      GVariant              *source,
                      const char            *format,
                      GVariant              *options)
{
  HangardPool *self = HANGARD_POOL (iface);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *description = NULL;
  struct stat st;
  guint64 total = 0;
  int fd;
  VolumeJob *data;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  if (!hangard_check_options (options, NULL, &error) ||
      (path = prepare_new_volume (self, name, &error)) == NULL)
    return hangard_invocation_answer (invocation, FALSE, error);
  if (*format != '\0' && !g_str_equal (format, "qcow2") && !g_str_equal (format, "raw") && !g_str_equal (format, "iso"))
    {
      g_dbus_method_invocation_return_error (invocation, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                                             _("Unknown volume format '%s': use qcow2, raw or iso"), format);
      return TRUE;
    }
  if (fd_list == NULL || (fd = g_unix_fd_list_get (fd_list, g_variant_get_handle (source), &error)) < 0)
    {
      g_dbus_method_invocation_return_error (invocation, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                                             _("No readable file descriptor was passed"));
      return TRUE;
    }
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode))
    total = (guint64) st.st_size;

  description = g_strdup_printf (_("Importing %s"), name);
  data = volume_job_new (self, "upload-volume", description, name);
  data->expected_format = g_strdup (format);
  hangar_storage_pool_complete_upload_volume (iface, invocation, NULL, job_path (data));
  hangard_copy_fd_to_file_async (fd, path, total, on_upload_progress, data,
                                 hangard_job_get_cancellable (data->job), on_uploaded, data);
  return TRUE;
}

/* ---- Object --------------------------------------------------------------- */

static void
hangard_pool_iface_init (HangarStoragePoolIface *iface)
{
  iface->handle_build = handle_build;
  iface->handle_start = handle_start;
  iface->handle_stop = handle_stop;
  iface->handle_refresh = handle_refresh;
  iface->handle_set_autostart = handle_set_autostart;
  iface->handle_undefine = handle_undefine;
  iface->handle_get_xml = handle_get_xml;
  iface->handle_create_volume = handle_create_volume;
  iface->handle_upload_volume = handle_upload_volume;
}

static void
sync_definition (HangardPool *self)
{
  HangarStoragePool *iface = HANGAR_STORAGE_POOL (self);

  hangar_storage_pool_set_name (iface, self->def->name);
  hangar_storage_pool_set_uuid (iface, self->def->uuid);
  hangar_storage_pool_set_type_ (iface, "dir");
  hangar_storage_pool_set_target_path (iface, self->def->target_path);
}

HangardPool *
hangard_pool_new (HangardDaemon  *daemon,
                  HangardPoolDef *def,
                  gboolean        autostart)
{
  HangardPool *self = g_object_new (HANGARD_TYPE_POOL, NULL);
  g_autofree char *element = g_strdelimit (g_strdup (def->uuid), "-", '_');

  self->daemon = daemon;
  self->def = def;
  self->object_path = g_strdup_printf ("/io/github/hangarvm/Hangar1/pools/%s", element);
  sync_definition (self);
  set_state (self, "inactive", "");
  hangar_storage_pool_set_autostart (HANGAR_STORAGE_POOL (self), autostart);
  return self;
}

void
hangard_pool_set_def (HangardPool    *self,
                      HangardPoolDef *def)
{
  hangard_pool_def_free (self->def);
  self->def = def;
  sync_definition (self);
  publish (self);
}

void
hangard_pool_set_autostart_flag (HangardPool *self,
                                 gboolean     autostart)
{
  hangar_storage_pool_set_autostart (HANGAR_STORAGE_POOL (self), autostart);
  publish (self);
}

static void
hangard_pool_dispose (GObject *object)
{
  HangardPool *self = HANGARD_POOL (object);

  if (self->monitor != NULL)
    {
      g_file_monitor_cancel (self->monitor);
      g_signal_handlers_disconnect_by_data (self->monitor, self);
      g_clear_object (&self->monitor);
    }
  G_OBJECT_CLASS (hangard_pool_parent_class)->dispose (object);
}

static void
hangard_pool_finalize (GObject *object)
{
  HangardPool *self = HANGARD_POOL (object);

  g_clear_pointer (&self->volumes, g_hash_table_unref);
  g_clear_pointer (&self->def, hangard_pool_def_free);
  g_free (self->object_path);
  g_free (self->active_target);
  G_OBJECT_CLASS (hangard_pool_parent_class)->finalize (object);
}

static void
hangard_pool_class_init (HangardPoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hangard_pool_dispose;
  object_class->finalize = hangard_pool_finalize;
}

static void
hangard_pool_init (HangardPool *self)
{
  self->volumes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}
