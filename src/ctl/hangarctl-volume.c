/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangarctl"

#include "hangarctl.h"

#include "hangard-error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Storage volumes: the image files in a pool (virsh's vol-* verbs). A
 * volume is named by its name with --pool, or by its path (its key too). */

#define VOLINFO_WIDTH 15

/* The pool named by --pool, shared by the verbs that take it. */
static char *opt_pool;

#define POOL_OPTION \
  { "pool", 0, 0, G_OPTION_ARG_STRING, &opt_pool, \
    N_("The pool of the volume (name or UUID); without it VOL must be a path"), N_("POOL") }

static const char *
volume_name (HangarVolume *volume)
{
  const char *name = hangar_volume_get_name (volume);

  return name != NULL ? name : "";
}

static const char *
volume_path (HangarVolume *volume)
{
  const char *path = hangar_volume_get_path (volume);

  return path != NULL ? path : "";
}

/* Finding a volume */

static HangarVolume *
find_by_name_or_path (GPtrArray  *volumes,
                      const char *name_or_path)
{
  for (guint i = 0; i < volumes->len; i++)
    {
      HangarVolume *volume = g_ptr_array_index (volumes, i);

      if (g_strcmp0 (hangar_volume_get_name (volume), name_or_path) == 0)
        return g_object_ref (volume);
    }
  for (guint i = 0; i < volumes->len; i++)
    {
      HangarVolume *volume = g_ptr_array_index (volumes, i);

      if (g_strcmp0 (hangar_volume_get_path (volume), name_or_path) == 0)
        return g_object_ref (volume);
    }
  return NULL;
}

static gboolean
same_file (const char *a,
           const char *b)
{
  g_autofree char *real_a = realpath (a, NULL);
  g_autofree char *real_b = real_a != NULL ? realpath (b, NULL) : NULL;

  return real_b != NULL && g_str_equal (real_a, real_b);
}

/* By path, as typed, made absolute, or through symbolic links. */
static HangarVolume *
find_by_path (GPtrArray  *volumes,
              const char *path)
{
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);

  for (guint i = 0; i < volumes->len; i++)
    {
      HangarVolume *volume = g_ptr_array_index (volumes, i);
      const char *volume_file = volume_path (volume);

      if (g_str_equal (volume_file, path) || g_str_equal (volume_file, absolute))
        return g_object_ref (volume);
    }
  for (guint i = 0; i < volumes->len; i++)
    {
      HangarVolume *volume = g_ptr_array_index (volumes, i);

      if (same_file (absolute, volume_path (volume)))
        return g_object_ref (volume);
    }
  return NULL;
}

static HangarVolume *
lookup_in_pool (HangarctlContext  *ctx,
                const char        *pool_name,
                const char        *name_or_path,
                GError           **error)
{
  g_autoptr(HangarStoragePool) pool = hangarctl_lookup_pool (ctx, pool_name, error);
  g_autoptr(GPtrArray) volumes = NULL;
  HangarVolume *volume;

  if (pool == NULL || !hangarctl_pool_check_active (pool, error))
    return NULL;

  volumes = hangarctl_list_volumes (ctx, g_dbus_proxy_get_object_path (G_DBUS_PROXY (pool)), error);
  if (volumes == NULL)
    return NULL;

  volume = find_by_name_or_path (volumes, name_or_path);
  if (volume == NULL && strchr (name_or_path, '/') != NULL)
    volume = find_by_path (volumes, name_or_path);
  if (volume == NULL)
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                 _("No volume '%s' in pool '%s'"), name_or_path, hangarctl_pool_name (pool));
  return volume;
}

/* A volume by name in the pool @pool_name, or by path (virsh's key) in any
 * active pool when @pool_name is NULL. */
static HangarVolume *
lookup_volume (HangarctlContext  *ctx,
               const char        *pool_name,
               const char        *name_or_path,
               GError           **error)
{
  g_autoptr(GPtrArray) volumes = NULL;
  HangarVolume *volume;

  if (pool_name != NULL)
    return lookup_in_pool (ctx, pool_name, name_or_path, error);

  volumes = hangarctl_list_volumes (ctx, NULL, error);
  if (volumes == NULL)
    return NULL;

  volume = find_by_path (volumes, name_or_path);
  if (volume == NULL && strchr (name_or_path, '/') == NULL)
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                 _("No volume with the path '%s': give --pool POOL to name a volume in a pool"),
                 name_or_path);
  else if (volume == NULL)
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                 _("No volume with the path '%s' in an active pool"), name_or_path);
  return volume;
}

static GVariant *
no_options (void)
{
  return g_variant_new ("a{sv}", NULL);
}

/* vol-create-as POOL NAME SIZE [--format qcow2|raw] [--prealloc] [--backing-vol VOL] */

static char *opt_create_format;
static gboolean opt_create_prealloc;
static char *opt_create_backing;

static const GOptionEntry create_as_options[] = {
  { "format", 0, 0, G_OPTION_ARG_STRING, &opt_create_format,
    N_("The image format: raw (the default) or qcow2 (the default with --backing-vol)"),
    N_("FORMAT") },
  { "prealloc", 0, 0, G_OPTION_ARG_NONE, &opt_create_prealloc,
    N_("Reserve all the space now (fails cleanly when it does not fit)"), NULL },
  { "backing-vol", 0, 0, G_OPTION_ARG_STRING, &opt_create_backing,
    N_("A volume of the same pool (name or path) to back a new qcow2 volume"), N_("VOL") },
  G_OPTION_ENTRY_NULL
};

/* The engine takes the backing volume's name in the pool. */
static char *
backing_volume_name (HangarctlContext  *ctx,
                     HangarStoragePool *pool,
                     GError           **error)
{
  g_autoptr(HangarVolume) backing = NULL;

  if (strchr (opt_create_backing, '/') == NULL)
    return g_strdup (opt_create_backing);

  backing = lookup_volume (ctx, hangarctl_pool_name (pool), opt_create_backing, error);
  if (backing == NULL)
    return NULL;
  return g_strdup (volume_name (backing));
}

static GVariant *
create_options (HangarctlContext  *ctx,
                HangarStoragePool *pool,
                GError           **error)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  g_autofree char *backing = NULL;

  if (opt_create_backing != NULL)
    {
      backing = backing_volume_name (ctx, pool, error);
      if (backing == NULL)
        return NULL;
      g_variant_dict_insert (&dict, "backing-volume", "s", backing);
    }
  if (opt_create_prealloc)
    g_variant_dict_insert (&dict, "preallocate", "b", TRUE);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

static gboolean
run_vol_create_as (HangarctlContext     *ctx,
                   const HangarctlVerb  *verb G_GNUC_UNUSED,
                   char                **args,
                   GError              **error)
{
  g_autoptr(HangarStoragePool) pool = NULL;
  g_autoptr(GVariant) options = NULL;
  g_autofree char *job = NULL;
  g_autofree char *label = NULL;
  const char *format = opt_create_format;
  guint64 capacity;

  if (!hangarctl_parse_capacity (args[2], &capacity, error))
    return FALSE;
  if (format == NULL)
    format = opt_create_backing != NULL ? "qcow2" : "raw";

  pool = hangarctl_lookup_pool (ctx, args[0], error);
  if (pool == NULL)
    return FALSE;

  options = create_options (ctx, pool, error);
  if (options == NULL)
    return FALSE;

  if (!hangar_storage_pool_call_create_volume_sync (pool, args[1], capacity, format, options,
                                                    &job, NULL, error))
    return FALSE;

  label = g_strdup_printf (_("Creating %s"), args[1]);
  if (!hangarctl_wait_job (ctx, job, label, NULL, error))
    return FALSE;

  hangarctl_message (ctx, _("Vol %s created"), args[1]);
  return TRUE;
}

/* vol-upload [POOL] NAME FILE [--pool POOL] [--format FORMAT]: a new
 * volume from FILE, which hangarctl opens and the engine reads. */

static char *opt_upload_format;

static const GOptionEntry upload_options[] = {
  { "pool", 0, 0, G_OPTION_ARG_STRING, &opt_pool,
    N_("The pool to create the volume in, instead of the POOL argument"), N_("POOL") },
  { "format", 0, 0, G_OPTION_ARG_STRING, &opt_upload_format,
    N_("The file’s format: qcow2, raw or iso (default: found from its contents)"),
    N_("FORMAT") },
  G_OPTION_ENTRY_NULL
};

static gboolean
upload_arguments (char        **args,
                  const char  **pool_name,
                  const char  **name,
                  const char  **file,
                  GError      **error)
{
  guint n_args = g_strv_length (args);

  if (n_args == 3)
    {
      if (opt_pool != NULL && g_strcmp0 (opt_pool, args[0]) != 0)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                       _("--pool %s contradicts the argument “%s”"), opt_pool, args[0]);
          return FALSE;
        }
      *pool_name = args[0];
      *name = args[1];
      *file = args[2];
      return TRUE;
    }

  if (opt_pool == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("Missing the pool: give POOL NAME FILE, or NAME FILE --pool POOL"));
      return FALSE;
    }
  *pool_name = opt_pool;
  *name = args[0];
  *file = args[1];
  return TRUE;
}

static int
open_source (const char  *file,
             GError     **error)
{
  struct stat st;
  int fd = open (file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  int saved_errno;

  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot open %s: %s"), file, g_strerror (saved_errno));
      return -1;
    }

  /* A pipe too (/dev/stdin, a FIFO): the engine reads it to its end, with
   * no total for the progress bar. */
  if (fstat (fd, &st) == 0 && !S_ISREG (st.st_mode) && !S_ISBLK (st.st_mode) &&
      !S_ISFIFO (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("%s is not a file, a block device or a pipe"), file);
      close (fd);
      return -1;
    }
  return fd;
}

static gboolean
upload (HangarStoragePool  *pool,
        const char         *name,
        int                 fd,
        char              **job,
        GError            **error)
{
  g_autoptr(GUnixFDList) fd_list = g_unix_fd_list_new_from_array (&fd, 1);

  return hangar_storage_pool_call_upload_volume_sync (pool, name, g_variant_new_handle (0),
                                                      opt_upload_format != NULL ? opt_upload_format : "",
                                                      no_options (), fd_list, job, NULL,
                                                      NULL, error);
}

static gboolean
run_vol_upload (HangarctlContext     *ctx,
                const HangarctlVerb  *verb G_GNUC_UNUSED,
                char                **args,
                GError              **error)
{
  g_autoptr(HangarStoragePool) pool = NULL;
  g_autofree char *job = NULL;
  g_autofree char *label = NULL;
  const char *pool_name, *name, *file;
  int fd;

  if (!upload_arguments (args, &pool_name, &name, &file, error))
    return FALSE;

  fd = open_source (file, error);
  if (fd < 0)
    return FALSE;

  pool = hangarctl_lookup_pool (ctx, pool_name, error);
  if (pool == NULL)
    {
      close (fd);
      return FALSE;
    }

  /* The fd list owns @fd from here on. */
  if (!upload (pool, name, fd, &job, error))
    return FALSE;

  label = g_strdup_printf (_("Uploading %s"), name);
  if (!hangarctl_wait_job (ctx, job, label, NULL, error))
    return FALSE;

  hangarctl_message (ctx, _("Vol %s created from %s"), name, file);
  return TRUE;
}

/* vol-list POOL [--details] */

static gboolean opt_list_details;

static const GOptionEntry list_options[] = {
  { "details", 0, 0, G_OPTION_ARG_NONE, &opt_list_details,
    N_("Show each volume’s type and sizes too"), NULL },
  G_OPTION_ENTRY_NULL
};

static void
add_list_row (HangarctlTable *table,
              HangarVolume   *volume)
{
  g_autofree char *capacity = NULL;
  g_autofree char *allocation = NULL;

  if (!opt_list_details)
    {
      hangarctl_table_add_row (table, volume_name (volume), volume_path (volume));
      return;
    }

  capacity = hangarctl_format_capacity (hangar_volume_get_capacity (volume));
  allocation = hangarctl_format_capacity (hangar_volume_get_allocation (volume));
  hangarctl_table_add_row (table, volume_name (volume), volume_path (volume), _("file"),
                           capacity, allocation);
}

static gboolean
run_vol_list (HangarctlContext     *ctx,
              const HangarctlVerb  *verb G_GNUC_UNUSED,
              char                **args,
              GError              **error)
{
  g_autoptr(HangarStoragePool) pool = hangarctl_lookup_pool (ctx, args[0], error);
  g_autoptr(GPtrArray) volumes = NULL;
  g_autoptr(HangarctlTable) table = NULL;

  if (pool == NULL || !hangarctl_pool_check_active (pool, error))
    return FALSE;

  volumes = hangarctl_list_volumes (ctx, g_dbus_proxy_get_object_path (G_DBUS_PROXY (pool)), error);
  if (volumes == NULL)
    return FALSE;

  if (opt_list_details)
    table = hangarctl_table_new (5, _("Name"), _("Path"), _("Type"), _("Capacity"), _("Allocation"));
  else
    table = hangarctl_table_new (2, _("Name"), _("Path"));

  for (guint i = 0; i < volumes->len; i++)
    add_list_row (table, g_ptr_array_index (volumes, i));

  hangarctl_table_print (table, !ctx->quiet, stdout);
  return TRUE;
}

/* vol-info VOL [--pool POOL] [--bytes] */

static gboolean opt_info_bytes;

static const GOptionEntry info_options[] = {
  POOL_OPTION,
  { "bytes", 0, 0, G_OPTION_ARG_NONE, &opt_info_bytes,
    N_("Show sizes in bytes instead of KiB, MiB, GiB…"), NULL },
  G_OPTION_ENTRY_NULL
};

static void
print_size_field (const char *label,
                  guint64     bytes)
{
  g_autofree char *text = NULL;

  if (opt_info_bytes)
    {
      hangarctl_print_field (VOLINFO_WIDTH, label, "%" G_GUINT64_FORMAT " %s", bytes, _("bytes"));
      return;
    }
  text = hangarctl_format_capacity (bytes);
  hangarctl_print_field (VOLINFO_WIDTH, label, "%s", text);
}

static gboolean
run_vol_info (HangarctlContext     *ctx,
              const HangarctlVerb  *verb G_GNUC_UNUSED,
              char                **args,
              GError              **error)
{
  g_autoptr(HangarVolume) volume = lookup_volume (ctx, opt_pool, args[0], error);

  if (volume == NULL)
    return FALSE;

  hangarctl_print_field (VOLINFO_WIDTH, _("Name:"), "%s", volume_name (volume));
  hangarctl_print_field (VOLINFO_WIDTH, _("Type:"), "%s", _("file"));
  print_size_field (_("Capacity:"), hangar_volume_get_capacity (volume));
  print_size_field (_("Allocation:"), hangar_volume_get_allocation (volume));
  return TRUE;
}

/* vol-delete VOL [--pool POOL] */

static const GOptionEntry pool_options[] = {
  POOL_OPTION,
  G_OPTION_ENTRY_NULL
};

static gboolean
run_vol_delete (HangarctlContext     *ctx,
                const HangarctlVerb  *verb G_GNUC_UNUSED,
                char                **args,
                GError              **error)
{
  g_autoptr(HangarVolume) volume = lookup_volume (ctx, opt_pool, args[0], error);
  g_autofree char *name = NULL;

  if (volume == NULL)
    return FALSE;

  name = g_strdup (volume_name (volume));
  hangarctl_set_lifecycle_timeout (volume);
  if (!hangar_volume_call_delete_sync (volume, no_options (), NULL, error))
    return FALSE;

  hangarctl_message (ctx, _("Vol %s deleted"), name);
  return TRUE;
}

/* vol-resize VOL SIZE [--pool POOL] [--shrink] [--delta]. As in virsh,
 * --delta with --shrink (or a SIZE of "-N", after "--") takes SIZE away. */

static gboolean opt_resize_shrink;
static gboolean opt_resize_delta;

static const GOptionEntry resize_options[] = {
  POOL_OPTION,
  { "shrink", 0, 0, G_OPTION_ARG_NONE, &opt_resize_shrink,
    N_("Allow a smaller size: the data beyond it is lost"), NULL },
  { "delta", 0, 0, G_OPTION_ARG_NONE, &opt_resize_delta,
    N_("SIZE is how much to add (with --shrink: to take away)"), NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
new_capacity (HangarVolume  *volume,
              const char    *text,
              gboolean       negative,
              guint64       *capacity,
              GError       **error)
{
  guint64 current = hangar_volume_get_capacity (volume);
  guint64 size;

  if (!hangarctl_parse_capacity (text, &size, error))
    return FALSE;

  if (negative && size > current)
    {
      /* The count is formatted apart: xgettext cannot see through G_GUINT64_FORMAT. */
      g_autofree char *bytes = g_strdup_printf ("%" G_GUINT64_FORMAT, current);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("Cannot take %s away from volume '%s': it has %s bytes"),
                   text, volume_name (volume), bytes);
      return FALSE;
    }
  if (!negative && opt_resize_delta && size > G_MAXUINT64 - current)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("Volume '%s' cannot grow by %s"), volume_name (volume), text);
      return FALSE;
    }

  if (negative)
    *capacity = current - size;
  else if (opt_resize_delta)
    *capacity = current + size;
  else
    *capacity = size;
  return TRUE;
}

static gboolean
run_vol_resize (HangarctlContext     *ctx,
                const HangarctlVerb  *verb G_GNUC_UNUSED,
                char                **args,
                GError              **error)
{
  g_autoptr(HangarVolume) volume = NULL;
  g_auto(GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  const char *size_text = args[1];
  gboolean negative = FALSE;
  guint64 capacity;
  guint64 unused;

  if (*size_text == '-')
    {
      if (!opt_resize_shrink)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                       _("A negative size needs --shrink"));
          return FALSE;
        }
      negative = TRUE;
      size_text++;
    }
  negative = negative || (opt_resize_delta && opt_resize_shrink);
  if (!hangarctl_parse_capacity (size_text, &unused, error))
    return FALSE;

  volume = lookup_volume (ctx, opt_pool, args[0], error);
  if (volume == NULL || !new_capacity (volume, size_text, negative, &capacity, error))
    return FALSE;

  if (opt_resize_shrink)
    g_variant_dict_insert (&options, "shrink", "b", TRUE);
  hangarctl_set_lifecycle_timeout (volume);
  if (!hangar_volume_call_resize_sync (volume, capacity, g_variant_dict_end (&options), NULL, error))
    return FALSE;

  if (negative || opt_resize_delta)
    hangarctl_message (ctx, _("Size of volume '%s' successfully changed by %s"),
                       volume_name (volume), size_text);
  else
    hangarctl_message (ctx, _("Size of volume '%s' successfully changed to %s"),
                       volume_name (volume), size_text);
  return TRUE;
}

/* vol-clone VOL NEWNAME [--pool POOL] [--linked] */

static gboolean opt_clone_linked;

static const GOptionEntry clone_options[] = {
  POOL_OPTION,
  { "linked", 0, 0, G_OPTION_ARG_NONE, &opt_clone_linked,
    N_("Make a qcow2 volume backed by VOL instead of a full copy (VOL must then stay)"),
    NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
run_vol_clone (HangarctlContext     *ctx,
               const HangarctlVerb  *verb G_GNUC_UNUSED,
               char                **args,
               GError              **error)
{
  g_autoptr(HangarVolume) volume = lookup_volume (ctx, opt_pool, args[0], error);
  g_auto(GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  g_autofree char *job = NULL;
  g_autofree char *label = NULL;

  if (volume == NULL)
    return FALSE;

  if (opt_clone_linked)
    g_variant_dict_insert (&options, "linked", "b", TRUE);
  if (!hangar_volume_call_clone_sync (volume, args[1], g_variant_dict_end (&options),
                                      &job, NULL, error))
    return FALSE;

  label = g_strdup_printf (_("Copying %s"), volume_name (volume));
  if (!hangarctl_wait_job (ctx, job, label, NULL, error))
    return FALSE;

  hangarctl_message (ctx, _("Vol %s cloned from %s"), args[1], volume_name (volume));
  return TRUE;
}

/* vol-dumpxml VOL [--pool POOL] */

static gboolean
run_vol_dumpxml (HangarctlContext     *ctx,
                 const HangarctlVerb  *verb G_GNUC_UNUSED,
                 char                **args,
                 GError              **error)
{
  g_autoptr(HangarVolume) volume = lookup_volume (ctx, opt_pool, args[0], error);
  g_autofree char *xml = NULL;

  if (volume == NULL)
    return FALSE;

  if (!hangar_volume_call_get_xml_sync (volume, no_options (), &xml, NULL, error))
    return FALSE;

  fputs (xml, stdout);
  if (*xml != '\0' && !g_str_has_suffix (xml, "\n"))
    fputc ('\n', stdout);
  return TRUE;
}

/* vol-path VOL, vol-key VOL (a file volume's key is its path), vol-name
 * PATH, vol-pool PATH [--uuid] */

static gboolean
run_vol_path (HangarctlContext     *ctx,
              const HangarctlVerb  *verb G_GNUC_UNUSED,
              char                **args,
              GError              **error)
{
  g_autoptr(HangarVolume) volume = lookup_volume (ctx, opt_pool, args[0], error);

  if (volume == NULL)
    return FALSE;

  printf ("%s\n", volume_path (volume));
  return TRUE;
}

static gboolean
run_vol_name (HangarctlContext     *ctx,
              const HangarctlVerb  *verb G_GNUC_UNUSED,
              char                **args,
              GError              **error)
{
  g_autoptr(HangarVolume) volume = lookup_volume (ctx, NULL, args[0], error);

  if (volume == NULL)
    return FALSE;

  printf ("%s\n", volume_name (volume));
  return TRUE;
}

static gboolean opt_vol_pool_uuid;

static const GOptionEntry vol_pool_options[] = {
  { "uuid", 0, 0, G_OPTION_ARG_NONE, &opt_vol_pool_uuid,
    N_("Show the pool’s UUID instead of its name"), NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
run_vol_pool (HangarctlContext     *ctx,
              const HangarctlVerb  *verb G_GNUC_UNUSED,
              char                **args,
              GError              **error)
{
  g_autoptr(HangarVolume) volume = lookup_volume (ctx, NULL, args[0], error);
  g_autoptr(HangarStoragePool) pool = NULL;
  const char *uuid;

  if (volume == NULL)
    return FALSE;

  pool = hangarctl_pool_for_path (ctx, hangar_volume_get_pool (volume), error);
  if (pool == NULL)
    return FALSE;

  uuid = hangar_storage_pool_get_uuid (pool);
  if (opt_vol_pool_uuid)
    printf ("%s\n", uuid != NULL ? uuid : "");
  else
    printf ("%s\n", hangarctl_pool_name (pool));
  return TRUE;
}

#define VOLUME N_("VOL")

static const HangarctlVerb verbs[] = {
  { "vol-clone", run_vol_clone, N_("VOL NEWNAME"), N_("Copy a volume in its pool"),
    clone_options, 2, 2, NULL },
  { "vol-create-as", run_vol_create_as, N_("POOL NAME SIZE"),
    N_("Create an empty volume of SIZE bytes (K, M, G, T suffixes)"),
    create_as_options, 3, 3, NULL },
  { "vol-delete", run_vol_delete, VOLUME, N_("Delete a volume and its file"),
    pool_options, 1, 1, NULL },
  { "vol-dumpxml", run_vol_dumpxml, VOLUME, N_("Show a volume in XML"),
    pool_options, 1, 1, NULL },
  { "vol-info", run_vol_info, VOLUME, N_("Show a volume’s sizes"),
    info_options, 1, 1, NULL },
  { "vol-key", run_vol_path, VOLUME, N_("Show a volume’s key (its path)"),
    pool_options, 1, 1, NULL },
  { "vol-list", run_vol_list, N_("POOL"), N_("List the volumes of a pool"),
    list_options, 1, 1, NULL },
  { "vol-name", run_vol_name, N_("PATH"), N_("Show the name of the volume at a path"),
    NULL, 1, 1, NULL },
  { "vol-path", run_vol_path, VOLUME, N_("Show a volume’s path"),
    pool_options, 1, 1, NULL },
  { "vol-pool", run_vol_pool, N_("PATH"), N_("Show the pool of the volume at a path"),
    vol_pool_options, 1, 1, NULL },
  { "vol-resize", run_vol_resize, N_("VOL SIZE"), N_("Change a volume’s size"),
    resize_options, 2, 2, NULL },
  { "vol-upload", run_vol_upload, N_("[POOL] NAME FILE"),
    N_("Create a volume from an image or ISO file"),
    upload_options, 2, 3, NULL },
  { NULL }
};

const HangarctlVerbGroup hangarctl_volume_verbs = {
  N_("Storage volumes"), verbs
};
