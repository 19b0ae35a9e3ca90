/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-volume"

#include "hangard-volume.h"
#include "hangard-error.h"
#include "hangard-job.h"
#include "hangard-pool.h"
#include "hangard-pool-def.h"
#include "hangard-qemu-img.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <sys/stat.h>
#include <unistd.h>

struct _HangardVolume
{
  HangarVolumeSkeleton  parent_instance;

  HangardDaemon        *daemon;
  HangardPool          *pool;        /* owns us; NULL once detached */
  char                 *object_path;
  char                 *backing_format;
};

static void hangard_volume_iface_init (HangarVolumeIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HangardVolume, hangard_volume, HANGAR_TYPE_VOLUME_SKELETON,
                               G_IMPLEMENT_INTERFACE (HANGAR_TYPE_VOLUME, hangard_volume_iface_init))

/* ---- Probing files -------------------------------------------------------- */

#define QCOW2_MAGIC 0x514649fbu   /* "QFI\xfb" */
#define ISO9660_SIGNATURE_OFFSET 0x8001

void
hangard_volume_info_clear (HangardVolumeInfo *info)
{
  g_clear_pointer (&info->format, g_free);
  g_clear_pointer (&info->backing_path, g_free);
  info->capacity = 0;
  info->allocation = 0;
}

static guint64
read_be64 (const guint8 *p)
{
  return GUINT64_FROM_BE (*(const guint64 *) (const void *) p);
}

static guint32
read_be32 (const guint8 *p)
{
  return GUINT32_FROM_BE (*(const guint32 *) (const void *) p);
}

/* The fields of a qcow2 header a listing needs (virtual size, backing file
 * name); the rest is qemu-img's business when it works on the image. */
static gboolean
probe_qcow2 (int                fd,
             const char        *dir_path,
             HangardVolumeInfo *info)
{
  guint8 header[32];
  guint64 backing_offset;
  guint32 backing_size;

  if (pread (fd, header, sizeof header, 0) != (ssize_t) sizeof header || read_be32 (header) != QCOW2_MAGIC)
    return FALSE;

  info->format = g_strdup ("qcow2");
  info->capacity = read_be64 (header + 24);
  backing_offset = read_be64 (header + 8);
  backing_size = read_be32 (header + 16);
  if (backing_offset != 0 && backing_size > 0 && backing_size <= 4096)
    {
      g_autofree char *name = g_malloc0 (backing_size + 1);

      if (pread (fd, name, backing_size, (off_t) backing_offset) == (ssize_t) backing_size)
        info->backing_path = g_path_is_absolute (name) ? g_steal_pointer (&name)
                                                       : g_build_filename (dir_path, name, NULL);
    }
  return TRUE;
}

static gboolean
has_iso9660_signature (int fd)
{
  char signature[5];

  return pread (fd, signature, sizeof signature, ISO9660_SIGNATURE_OFFSET) == (ssize_t) sizeof signature &&
         memcmp (signature, "CD001", sizeof signature) == 0;
}

gboolean
hangard_volume_info_probe (int                dir_fd,
                           const char        *dir_path,
                           const char        *name,
                           HangardVolumeInfo *info)
{
  struct stat st;
  int fd;

  memset (info, 0, sizeof *info);
  /* O_NOFOLLOW: a symlink in a pool never leads the engine out of it. */
  fd = openat (dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return FALSE;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      return FALSE;
    }

  info->allocation = (guint64) st.st_blocks * 512;
  if (!probe_qcow2 (fd, dir_path, info))
    {
      gboolean is_iso = has_iso9660_signature (fd) || g_str_has_suffix (name, ".iso") ||
                        g_str_has_suffix (name, ".ISO");
      info->format = g_strdup (is_iso ? "iso" : "raw");
      info->capacity = (guint64) st.st_size;
    }
  close (fd);
  return TRUE;
}

/* ---- Object paths --------------------------------------------------------- */

char *
hangard_volume_path_for_name (const char *pool_path,
                              const char *name)
{
  GString *path = g_string_new (pool_path);

  g_string_append (path, "/volumes/");
  for (const guchar *p = (const guchar *) name; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p))
        g_string_append_c (path, (char) *p);
      else
        g_string_append_printf (path, "_%02x", *p);
    }
  return g_string_free (path, FALSE);
}

/* ---- Helpers -------------------------------------------------------------- */

static gboolean
check_attached (HangardVolume  *self,
                GError        **error)
{
  if (self->pool == NULL || !hangard_pool_is_active (self->pool))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("The pool of volume '%s' is not active"), hangar_volume_get_name (HANGAR_VOLUME (self)));
      return FALSE;
    }
  return TRUE;
}

/* A disk a running machine writes to must not change under it. */
static gboolean
check_not_in_use (HangardVolume  *self,
                  const char     *action,
                  GError        **error)
{
  const char *path = hangar_volume_get_path (HANGAR_VOLUME (self));
  const char *machine = hangard_daemon_find_running_user (self->daemon, path);
  GList *volumes;

  if (machine != NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Cannot %s volume '%s': running machine '%s' uses it"),
                   action, hangar_volume_get_name (HANGAR_VOLUME (self)), machine);
      return FALSE;
    }

  volumes = hangard_pool_get_volumes (self->pool);
  for (GList *l = volumes; l != NULL; l = l->next)
    if (g_strcmp0 (hangar_volume_get_backing_path (l->data), path) == 0)
      {
        g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                     _("Cannot %s volume '%s': volume '%s' is linked to it (backing file)"),
                     action, hangar_volume_get_name (HANGAR_VOLUME (self)),
                     hangar_volume_get_name (l->data));
        g_list_free (volumes);
        return FALSE;
      }
  g_list_free (volumes);
  return TRUE;
}

/* ---- Delete --------------------------------------------------------------- */

static gboolean
handle_delete (HangarVolume          *iface,
               GDBusMethodInvocation *invocation,
               GVariant              *options)
{
  HangardVolume *self = HANGARD_VOLUME (iface);
  g_autoptr(GError) error = NULL;
  const char *path = hangar_volume_get_path (iface);

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  if (!hangard_check_options (options, NULL, &error) ||
      !check_attached (self, &error) ||
      !check_not_in_use (self, _("delete"), &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return TRUE;
    }

  if (unlink (path) != 0 && errno != ENOENT)
    {
      g_dbus_method_invocation_return_error (invocation, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                                             _("Cannot delete %s: %s"), path, g_strerror (errno));
      return TRUE;
    }

  g_message ("Deleted volume %s", path);
  g_object_ref (self);
  hangar_volume_complete_delete (iface, invocation);
  hangard_pool_remove_volume (self->pool, self);
  g_object_unref (self);
  return TRUE;
}

/* ---- Resize --------------------------------------------------------------- */

static void
on_resized (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  HangardVolume *self = g_object_get_data (G_OBJECT (invocation), "hangard-volume");
  g_autoptr(GError) error = NULL;

  if (!hangard_qemu_img_resize_finish (result, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  if (self->pool != NULL)
    hangard_pool_add_or_update_volume (self->pool, hangar_volume_get_name (HANGAR_VOLUME (self)), NULL);
  hangar_volume_complete_resize (HANGAR_VOLUME (self), invocation);
}

static gboolean
handle_resize (HangarVolume          *iface,
               GDBusMethodInvocation *invocation,
               guint64                capacity,
               GVariant              *options)
{
  HangardVolume *self = HANGARD_VOLUME (iface);
  const char *allowed[] = { "shrink", NULL };
  g_autoptr(GError) error = NULL;
  gboolean shrink = FALSE;
  const char *format = hangar_volume_get_format (iface);

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  g_variant_lookup (options, "shrink", "b", &shrink);
  if (!hangard_check_options (options, allowed, &error) ||
      !check_attached (self, &error) ||
      !check_not_in_use (self, _("resize"), &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return TRUE;
    }

  if (g_str_equal (format, "iso"))
    g_set_error (&error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT, _("An ISO image cannot be resized"));
  else if (capacity < 512)
    g_set_error (&error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT, _("A volume must hold at least 512 bytes"));
  else if (capacity < hangar_volume_get_capacity (iface) && !shrink)
    g_set_error (&error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                 _("The new size is smaller than the volume: data beyond it would be lost (use the shrink option to allow it)"));
  if (error != NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return TRUE;
    }

  g_object_set_data_full (G_OBJECT (invocation), "hangard-volume", g_object_ref (self), g_object_unref);
  hangard_qemu_img_resize_async (hangar_volume_get_path (iface), format, capacity, shrink,
                                 NULL, on_resized, g_object_ref (invocation));
  return TRUE;
}

/* ---- Clone ---------------------------------------------------------------- */

typedef struct {
  HangardJob  *job;
  HangardPool *pool;         /* where the clone goes */
  char        *name;
} CloneData;

static void
clone_data_free (CloneData *data)
{
  g_clear_object (&data->job);
  g_clear_object (&data->pool);
  g_free (data->name);
  g_free (data);
}

static void
on_clone_progress (guint64  done,
                   guint64  total,
                   gpointer user_data)
{
  CloneData *data = user_data;

  hangard_job_set_progress (data->job, done, total);
}

static void
finish_clone (CloneData *data,
              GError    *error)
{
  g_autoptr(GError) local_error = NULL;
  HangardVolume *volume = NULL;

  if (error == NULL)
    volume = hangard_pool_add_or_update_volume (data->pool, data->name, &local_error);

  if (error != NULL)
    hangard_job_fail (data->job, error);
  else if (volume == NULL)
    hangard_job_fail (data->job, local_error);
  else
    hangard_job_complete (data->job, hangard_volume_get_object_path (volume));
  clone_data_free (data);
}

static void
on_clone_converted (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  hangard_qemu_img_convert_finish (result, &error);
  finish_clone (user_data, error);
}

static void
on_clone_created (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  hangard_qemu_img_create_finish (result, &error);
  finish_clone (user_data, error);
}

static HangardPool *
clone_destination (HangardVolume  *self,
                   GVariant       *options,
                   gboolean        linked,
                   GError        **error)
{
  const char *pool_path = NULL;
  HangardPool *pool;

  if (!g_variant_lookup (options, "pool", "&o", &pool_path))
    return g_object_ref (self->pool);

  pool = hangard_daemon_lookup_pool_by_path (self->daemon, pool_path, error);
  if (pool == NULL)
    return NULL;
  if (linked && pool != self->pool)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("A linked clone must stay in the pool of its backing volume"));
      return NULL;
    }
  if (!hangard_pool_is_active (pool))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Pool '%s' is not active"), hangard_pool_get_name (pool));
      return NULL;
    }
  return g_object_ref (pool);
}

static gboolean
check_clone_format (const char  *source_format,
                    const char  *format,
                    gboolean     linked,
                    GError     **error)
{
  if (g_str_equal (source_format, "iso") && (linked || !g_str_equal (format, "iso")))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("An ISO image can only be copied as it is"));
      return FALSE;
    }
  if (!g_str_equal (format, "qcow2") && !g_str_equal (format, "raw") && !g_str_equal (format, "iso"))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("Unknown format '%s': use qcow2 or raw"), format);
      return FALSE;
    }
  return TRUE;
}

static gboolean
handle_clone (HangarVolume          *iface,
              GDBusMethodInvocation *invocation,
              const char            *name,
              GVariant              *options)
{
  HangardVolume *self = HANGARD_VOLUME (iface);
  const char *allowed[] = { "linked", "pool", "format", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardPool) pool = NULL;
  g_autofree char *destination = NULL;
  g_autofree char *description = NULL;
  const char *source_format = hangar_volume_get_format (iface);
  const char *format = source_format;
  gboolean linked = FALSE;
  CloneData *data;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  g_variant_lookup (options, "linked", "b", &linked);
  g_variant_lookup (options, "format", "&s", &format);
  if (linked)
    format = "qcow2";

  if (!hangard_check_options (options, allowed, &error) ||
      !check_attached (self, &error) ||
      !hangard_volume_name_is_valid (name, &error) ||
      !check_clone_format (source_format, format, linked, &error) ||
      (pool = clone_destination (self, options, linked, &error)) == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return TRUE;
    }

  /* A copy (or a linked clone) of a disk a guest writes to would be torn. */
  if (hangard_daemon_find_running_user (self->daemon, hangar_volume_get_path (iface)) != NULL)
    {
      g_dbus_method_invocation_return_error (invocation, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                                             _("Volume '%s' is in use by a running machine: shut it down before copying it"),
                                             hangar_volume_get_name (iface));
      return TRUE;
    }

  destination = hangard_pool_build_path (pool, name);
  if (g_file_test (destination, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK))
    {
      g_dbus_method_invocation_return_error (invocation, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                                             _("Pool '%s' already has a file named '%s'"),
                                             hangard_pool_get_name (pool), name);
      return TRUE;
    }

  description = g_strdup_printf (linked ? _("Linking %s to %s") : _("Copying %s to %s"),
                                 hangar_volume_get_name (iface), name);
  data = g_new0 (CloneData, 1);
  data->job = hangard_job_new (self->daemon, "clone-volume", description, self->object_path);
  data->pool = g_steal_pointer (&pool);
  data->name = g_strdup (name);
  hangard_daemon_export_job (self->daemon, data->job);
  hangar_volume_complete_clone (iface, invocation,
                                g_dbus_interface_skeleton_get_object_path (G_DBUS_INTERFACE_SKELETON (data->job)));

  if (linked)
    hangard_qemu_img_create_async (destination, "qcow2", hangar_volume_get_capacity (iface), FALSE,
                                   hangar_volume_get_path (iface), source_format,
                                   hangard_job_get_cancellable (data->job), on_clone_created, data);
  else
    hangard_qemu_img_convert_async (hangar_volume_get_path (iface),
                                    g_str_equal (source_format, "iso") ? "raw" : source_format,
                                    destination, g_str_equal (format, "iso") ? "raw" : format,
                                    on_clone_progress, data,
                                    hangard_job_get_cancellable (data->job), on_clone_converted, data);
  return TRUE;
}

/* ---- XML ------------------------------------------------------------------ */

static gboolean
handle_get_xml (HangarVolume          *iface,
                GDBusMethodInvocation *invocation,
                GVariant              *options)
{
  HangardVolume *self = HANGARD_VOLUME (iface);
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  const char *backing = hangar_volume_get_backing_path (iface);

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_READ))
    return TRUE;
  if (!hangard_check_options (options, NULL, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return TRUE;
    }

  xml = hangard_volume_to_xml (hangar_volume_get_name (iface), hangar_volume_get_path (iface),
                               hangar_volume_get_format (iface), hangar_volume_get_capacity (iface),
                               hangar_volume_get_allocation (iface),
                               *backing ? backing : NULL, self->backing_format);
  hangar_volume_complete_get_xml (iface, invocation, xml);
  return TRUE;
}

/* ---- Object --------------------------------------------------------------- */

static void
hangard_volume_iface_init (HangarVolumeIface *iface)
{
  iface->handle_delete = handle_delete;
  iface->handle_resize = handle_resize;
  iface->handle_clone = handle_clone;
  iface->handle_get_xml = handle_get_xml;
}

void
hangard_volume_update (HangardVolume     *self,
                       HangardVolumeInfo *info)
{
  HangarVolume *iface = HANGAR_VOLUME (self);

  hangar_volume_set_format (iface, info->format);
  hangar_volume_set_capacity (iface, info->capacity);
  hangar_volume_set_allocation (iface, info->allocation);
  hangar_volume_set_backing_path (iface, info->backing_path ? info->backing_path : "");
  hangar_volume_set_install_media (iface, g_strcmp0 (info->format, "iso") == 0);
  g_clear_pointer (&self->backing_format, g_free);
  hangard_volume_info_clear (info);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
}

HangardVolume *
hangard_volume_new (HangardDaemon     *daemon,
                    HangardPool       *pool,
                    const char        *name,
                    HangardVolumeInfo *info)
{
  HangardVolume *self = g_object_new (HANGARD_TYPE_VOLUME, NULL);
  HangarVolume *iface = HANGAR_VOLUME (self);
  g_autofree char *path = hangard_pool_build_path (pool, name);

  self->daemon = daemon;
  self->pool = pool;
  self->object_path = hangard_volume_path_for_name (hangard_pool_get_object_path (pool), name);
  hangar_volume_set_name (iface, name);
  hangar_volume_set_pool (iface, hangard_pool_get_object_path (pool));
  hangar_volume_set_path (iface, path);
  hangard_volume_update (self, info);
  return self;
}

const char *
hangard_volume_get_object_path (HangardVolume *self)
{
  return self->object_path;
}

void
hangard_volume_detach (HangardVolume *self)
{
  self->pool = NULL;
}

static void
hangard_volume_finalize (GObject *object)
{
  HangardVolume *self = HANGARD_VOLUME (object);

  g_free (self->object_path);
  g_free (self->backing_format);
  G_OBJECT_CLASS (hangard_volume_parent_class)->finalize (object);
}

static void
hangard_volume_class_init (HangardVolumeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hangard_volume_finalize;
}

static void
hangard_volume_init (HangardVolume *self)
{
}
