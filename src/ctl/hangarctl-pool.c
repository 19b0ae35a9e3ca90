/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangarctl"

#include "hangarctl.h"

#include "hangar-connection.h"
#include "hangard-error.h"

/* Storage pools: directories of disk images (virsh's pool-* verbs). */

#define POOLINFO_WIDTH 15
#define PROXY_FLAGS G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS

/* Finding pools and volumes */

const char *
hangarctl_pool_name (HangarStoragePool *pool)
{
  const char *name = hangar_storage_pool_get_name (pool);

  return name != NULL ? name : "";
}

static const char *
pool_uuid (HangarStoragePool *pool)
{
  const char *uuid = hangar_storage_pool_get_uuid (pool);

  return uuid != NULL ? uuid : "";
}

/* The name to tell the user: the engine's, else what they typed. */
static const char *
display_name (HangarStoragePool *pool,
              const char        *typed)
{
  const char *name = hangarctl_pool_name (pool);

  return *name != '\0' ? name : typed;
}

static int
compare_pools (gconstpointer a,
               gconstpointer b)
{
  const char *name_a = hangarctl_pool_name (*(HangarStoragePool * const *) a);
  const char *name_b = hangarctl_pool_name (*(HangarStoragePool * const *) b);
  int by_name = g_ascii_strcasecmp (name_a, name_b);

  return by_name != 0 ? by_name : strcmp (name_a, name_b);
}

/* Every pool, by name as virsh sorts them. */
GPtrArray *
hangarctl_list_pools (HangarctlContext  *ctx,
                      GError           **error)
{
  GDBusObjectManager *object_manager = hangarctl_get_object_manager (ctx, error);
  g_autoptr(GPtrArray) pools = NULL;
  GList *objects;

  if (object_manager == NULL)
    return NULL;

  pools = g_ptr_array_new_with_free_func (g_object_unref);
  objects = g_dbus_object_manager_get_objects (object_manager);
  for (GList *l = objects; l != NULL; l = l->next)
    {
      HangarStoragePool *pool = hangar_object_get_storage_pool (HANGAR_OBJECT (l->data));

      if (pool != NULL)
        g_ptr_array_add (pools, pool);
    }
  g_list_free_full (objects, g_object_unref);

  g_ptr_array_sort (pools, compare_pools);
  return g_steal_pointer (&pools);
}

static int
compare_volumes (gconstpointer a,
                 gconstpointer b)
{
  const char *name_a = hangar_volume_get_name (*(HangarVolume * const *) a);
  const char *name_b = hangar_volume_get_name (*(HangarVolume * const *) b);
  int by_name = g_ascii_strcasecmp (name_a != NULL ? name_a : "", name_b != NULL ? name_b : "");

  return by_name != 0 ? by_name : g_strcmp0 (name_a, name_b);
}

/* The volumes of the pool at @pool_path, or of every active pool when it
 * is NULL, by name. */
GPtrArray *
hangarctl_list_volumes (HangarctlContext  *ctx,
                        const char        *pool_path,
                        GError           **error)
{
  GDBusObjectManager *object_manager = hangarctl_get_object_manager (ctx, error);
  g_autoptr(GPtrArray) volumes = NULL;
  GList *objects;

  if (object_manager == NULL)
    return NULL;

  volumes = g_ptr_array_new_with_free_func (g_object_unref);
  objects = g_dbus_object_manager_get_objects (object_manager);
  for (GList *l = objects; l != NULL; l = l->next)
    {
      HangarVolume *volume = hangar_object_get_volume (HANGAR_OBJECT (l->data));

      if (volume == NULL)
        continue;
      if (pool_path == NULL || g_strcmp0 (hangar_volume_get_pool (volume), pool_path) == 0)
        g_ptr_array_add (volumes, volume);
      else
        g_object_unref (volume);
    }
  g_list_free_full (objects, g_object_unref);

  g_ptr_array_sort (volumes, compare_volumes);
  return g_steal_pointer (&volumes);
}

HangarStoragePool *
hangarctl_pool_for_path (HangarctlContext  *ctx,
                         const char        *object_path,
                         GError           **error)
{
  if (hangarctl_get_manager (ctx, error) == NULL)
    return NULL;

  return hangar_storage_pool_proxy_new_sync (ctx->connection, PROXY_FLAGS,
                                             hangar_connection_get_engine_name (ctx->connection),
                                             object_path, NULL, error);
}

/* A pool by name or UUID, as the engine resolves them. */
HangarStoragePool *
hangarctl_lookup_pool (HangarctlContext  *ctx,
                       const char        *name_or_uuid,
                       GError           **error)
{
  g_autofree char *path = NULL;
  HangarManager *manager;

  manager = hangarctl_get_manager (ctx, error);
  if (manager == NULL)
    return NULL;

  if (!hangar_manager_call_lookup_pool_sync (manager, name_or_uuid, &path, NULL, error))
    return NULL;

  return hangarctl_pool_for_path (ctx, path, error);
}

/* Volumes are there only while their pool is active. */
gboolean
hangarctl_pool_check_active (HangarStoragePool  *pool,
                             GError            **error)
{
  const char *state = hangar_storage_pool_get_state (pool);

  if (g_strcmp0 (state, "inactive") != 0 && state != NULL)
    return TRUE;

  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
               _("Pool '%s' is not active"), hangarctl_pool_name (pool));
  return FALSE;
}

/* States, in virsh's words: pool-list says "active", pool-list --details
 * and pool-info "running". */
static const char *
pool_state_to_string (HangarStoragePool *pool,
                      gboolean           details)
{
  const char *state = hangar_storage_pool_get_state (pool);

  if (g_strcmp0 (state, "active") == 0)
    return details ? _("running") : _("active");
  if (g_strcmp0 (state, "inactive") == 0)
    return _("inactive");
  if (g_strcmp0 (state, "inaccessible") == 0)
    return _("inaccessible");
  return state != NULL && *state != '\0' ? state : _("unknown");
}

static gboolean
pool_has_sizes (HangarStoragePool *pool)
{
  return g_strcmp0 (hangar_storage_pool_get_state (pool), "active") == 0;
}

/* Lifecycle verbs: one call, one line of virsh's output. */

typedef gboolean (*PoolCall) (HangarStoragePool  *pool,
                              GCancellable       *cancellable,
                              GError            **error);

typedef struct {
  PoolCall     call;
  const char  *done;   /* N_(), with the pool's name */
} PoolAction;

static const PoolAction build_action   = { hangar_storage_pool_call_build_sync,   N_("Pool %s built") };
static const PoolAction start_action   = { hangar_storage_pool_call_start_sync,   N_("Pool %s started") };
static const PoolAction destroy_action = { hangar_storage_pool_call_stop_sync,    N_("Pool %s destroyed") };
static const PoolAction refresh_action = { hangar_storage_pool_call_refresh_sync, N_("Pool %s refreshed") };

static gboolean
run_pool_action (HangarctlContext     *ctx,
                 const HangarctlVerb  *verb,
                 char                **args,
                 GError              **error)
{
  const PoolAction *action = verb->data;
  g_autoptr(HangarStoragePool) pool = hangarctl_lookup_pool (ctx, args[0], error);

  if (pool == NULL)
    return FALSE;

  hangarctl_set_lifecycle_timeout (pool);
  if (!action->call (pool, NULL, error))
    return FALSE;

  hangarctl_message (ctx, _(action->done), display_name (pool, args[0]));
  return TRUE;
}

/* pool-define FILE */

static gboolean
run_pool_define (HangarctlContext     *ctx,
                 const HangarctlVerb  *verb G_GNUC_UNUSED,
                 char                **args,
                 GError              **error)
{
  g_autofree char *xml = NULL;
  g_autofree char *path = NULL;
  g_autoptr(HangarStoragePool) pool = NULL;
  HangarManager *manager;
  gsize length = 0;

  if (!g_file_get_contents (args[0], &xml, &length, error))
    return FALSE;
  if (!hangarctl_check_text (xml, length, args[0], error))
    return FALSE;

  manager = hangarctl_get_manager (ctx, error);
  if (manager == NULL)
    return FALSE;

  hangarctl_set_lifecycle_timeout (manager);
  if (!hangar_manager_call_define_pool_sync (manager, xml, &path, NULL, error))
    return FALSE;

  pool = hangarctl_pool_for_path (ctx, path, error);
  if (pool == NULL)
    return FALSE;

  hangarctl_message (ctx, _("Pool %s defined from %s"), display_name (pool, path), args[0]);
  return TRUE;
}

/* pool-define-as NAME [TYPE [SOURCE-HOST SOURCE-PATH SOURCE-DEV SOURCE-NAME [TARGET]]]
 * with --type and --target for TYPE and TARGET, as virsh takes them. */

static char *opt_define_as_type;
static char *opt_define_as_target;
static gboolean opt_define_as_print_xml;

static const GOptionEntry define_as_options[] = {
  { "type", 0, 0, G_OPTION_ARG_STRING, &opt_define_as_type,
    N_("The pool type: dir, a directory of image files (the one Hangar has)"), N_("TYPE") },
  { "target", 0, 0, G_OPTION_ARG_FILENAME, &opt_define_as_target,
    N_("The directory that holds the volumes (absolute)"), N_("PATH") },
  { "print-xml", 0, 0, G_OPTION_ARG_NONE, &opt_define_as_print_xml,
    N_("Print the XML definition instead of defining the pool"), NULL },
  G_OPTION_ENTRY_NULL
};

/* An argument given both by position and as an option must agree. */
static gboolean
pick_argument (const char  *option_name,
               const char  *option,
               const char  *positional,
               const char **value,
               GError     **error)
{
  if (option != NULL && positional != NULL && g_strcmp0 (option, positional) != 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("--%s %s contradicts the argument “%s”"), option_name, option, positional);
      return FALSE;
    }
  *value = option != NULL ? option : positional;
  return TRUE;
}

/* virsh's SOURCE-* arguments, which a directory pool has no use for: "-"
 * or "" is how scripts skip them. */
static gboolean
check_no_source (char   **args,
                 GError **error)
{
  guint n_args = g_strv_length (args);

  for (guint i = 2; i < MIN (n_args, 6); i++)
    {
      if (*args[i] != '\0' && g_strcmp0 (args[i], "-") != 0)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       _("A dir pool has no source: give “-” for SOURCE-HOST, SOURCE-PATH, "
                         "SOURCE-DEV and SOURCE-NAME, not “%s”"), args[i]);
          return FALSE;
        }
    }
  return TRUE;
}

static char *
build_pool_xml (char   **args,
                GError **error)
{
  const char *type = NULL;
  const char *target = NULL;
  guint n_args = g_strv_length (args);
  g_autofree char *xml = NULL;

  if (!pick_argument ("type", opt_define_as_type, n_args > 1 ? args[1] : NULL, &type, error) ||
      !pick_argument ("target", opt_define_as_target, n_args > 6 ? args[6] : NULL, &target, error) ||
      !check_no_source (args, error))
    return NULL;

  if (type == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("Missing the pool type: give --type dir"));
      return NULL;
    }
  if (!g_str_equal (type, "dir"))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   _("Pool type '%s' is not supported: Hangar has only dir pools"), type);
      return NULL;
    }
  if (target == NULL || *target == '\0')
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("Missing the pool’s directory: give --target PATH"));
      return NULL;
    }

  xml = g_markup_printf_escaped ("<pool type='dir'>\n"
                                 "  <name>%s</name>\n"
                                 "  <target>\n"
                                 "    <path>%s</path>\n"
                                 "  </target>\n"
                                 "</pool>\n",
                                 args[0], target);
  if (!hangarctl_check_text (xml, strlen (xml), _("The pool’s name or directory"), error))
    return NULL;
  return g_steal_pointer (&xml);
}

static gboolean
run_pool_define_as (HangarctlContext     *ctx,
                    const HangarctlVerb  *verb G_GNUC_UNUSED,
                    char                **args,
                    GError              **error)
{
  g_autofree char *xml = build_pool_xml (args, error);
  g_autofree char *path = NULL;
  g_autoptr(HangarStoragePool) pool = NULL;
  HangarManager *manager;

  if (xml == NULL)
    return FALSE;

  if (opt_define_as_print_xml)
    {
      fputs (xml, stdout);
      return TRUE;
    }

  manager = hangarctl_get_manager (ctx, error);
  if (manager == NULL)
    return FALSE;

  hangarctl_set_lifecycle_timeout (manager);
  if (!hangar_manager_call_define_pool_sync (manager, xml, &path, NULL, error))
    return FALSE;

  pool = hangarctl_pool_for_path (ctx, path, error);
  if (pool == NULL)
    return FALSE;

  hangarctl_message (ctx, _("Pool %s defined"), display_name (pool, args[0]));
  return TRUE;
}

/* pool-undefine POOL [--delete-directory [--delete-volumes]] */

static gboolean opt_undefine_delete_directory;
static gboolean opt_undefine_delete_volumes;

static const GOptionEntry undefine_options[] = {
  { "delete-directory", 0, 0, G_OPTION_ARG_NONE, &opt_undefine_delete_directory,
    N_("Also remove the pool’s directory, which must be empty"), NULL },
  { "delete-volumes", 0, 0, G_OPTION_ARG_NONE, &opt_undefine_delete_volumes,
    N_("With --delete-directory: delete every volume in it first"), NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
check_undefine_options (GError **error)
{
  if (!opt_undefine_delete_volumes || opt_undefine_delete_directory)
    return TRUE;

  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
               _("--delete-volumes goes with --delete-directory"));
  return FALSE;
}

static GVariant *
undefine_options_dict (void)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);

  if (opt_undefine_delete_directory)
    g_variant_dict_insert (&dict, "delete-directory", "b", TRUE);
  if (opt_undefine_delete_volumes)
    g_variant_dict_insert (&dict, "delete-volumes", "b", TRUE);
  return g_variant_dict_end (&dict);
}

static gboolean
run_pool_undefine (HangarctlContext     *ctx,
                   const HangarctlVerb  *verb G_GNUC_UNUSED,
                   char                **args,
                   GError              **error)
{
  g_autoptr(HangarStoragePool) pool = NULL;
  g_autofree char *name = NULL;

  if (!check_undefine_options (error))
    return FALSE;

  pool = hangarctl_lookup_pool (ctx, args[0], error);
  if (pool == NULL)
    return FALSE;

  name = g_strdup (display_name (pool, args[0]));
  hangarctl_set_lifecycle_timeout (pool);
  if (!hangar_storage_pool_call_undefine_sync (pool, undefine_options_dict (), NULL, error))
    return FALSE;

  hangarctl_message (ctx, _("Pool %s has been undefined"), name);
  return TRUE;
}

/* pool-autostart POOL [--disable] */

static gboolean opt_autostart_disable;

static const GOptionEntry autostart_options[] = {
  { "disable", 0, 0, G_OPTION_ARG_NONE, &opt_autostart_disable,
    N_("Do not start the pool with the engine"), NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
run_pool_autostart (HangarctlContext     *ctx,
                    const HangarctlVerb  *verb G_GNUC_UNUSED,
                    char                **args,
                    GError              **error)
{
  g_autoptr(HangarStoragePool) pool = hangarctl_lookup_pool (ctx, args[0], error);

  if (pool == NULL)
    return FALSE;

  if (!hangar_storage_pool_call_set_autostart_sync (pool, !opt_autostart_disable, NULL, error))
    return FALSE;

  if (opt_autostart_disable)
    hangarctl_message (ctx, _("Pool %s unmarked as autostarted"), display_name (pool, args[0]));
  else
    hangarctl_message (ctx, _("Pool %s marked as autostarted"), display_name (pool, args[0]));
  return TRUE;
}

/* pool-list [--all] [--inactive] [--autostart] [--no-autostart] [--details] [--name] [--uuid] */

static gboolean opt_list_all;
static gboolean opt_list_inactive;
static gboolean opt_list_autostart;
static gboolean opt_list_no_autostart;
static gboolean opt_list_details;
static gboolean opt_list_name;
static gboolean opt_list_uuid;

static const GOptionEntry list_options[] = {
  { "all", 0, 0, G_OPTION_ARG_NONE, &opt_list_all,
    N_("List all pools, not only the active ones"), NULL },
  { "inactive", 0, 0, G_OPTION_ARG_NONE, &opt_list_inactive,
    N_("List only the pools that are not active"), NULL },
  { "autostart", 0, 0, G_OPTION_ARG_NONE, &opt_list_autostart,
    N_("List only the pools that start with the engine"), NULL },
  { "no-autostart", 0, 0, G_OPTION_ARG_NONE, &opt_list_no_autostart,
    N_("List only the pools that do not start with the engine"), NULL },
  { "details", 0, 0, G_OPTION_ARG_NONE, &opt_list_details,
    N_("Show sizes too"), NULL },
  { "name", 0, 0, G_OPTION_ARG_NONE, &opt_list_name,
    N_("Print only the names, one a line"), NULL },
  { "uuid", 0, 0, G_OPTION_ARG_NONE, &opt_list_uuid,
    N_("Print only the UUIDs, one a line (with --name: UUID and name)"), NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
list_wants (HangarStoragePool *pool)
{
  gboolean active = g_strcmp0 (hangar_storage_pool_get_state (pool), "inactive") != 0;
  gboolean autostart = hangar_storage_pool_get_autostart (pool);

  if (opt_list_autostart != opt_list_no_autostart && autostart != opt_list_autostart)
    return FALSE;
  if (opt_list_all)
    return TRUE;
  return opt_list_inactive ? !active : active;
}

static void
print_list_plain (HangarStoragePool *pool)
{
  if (opt_list_uuid && opt_list_name)
    printf ("%-36s %s\n", pool_uuid (pool), hangarctl_pool_name (pool));
  else if (opt_list_uuid)
    printf ("%s\n", pool_uuid (pool));
  else
    printf ("%s\n", hangarctl_pool_name (pool));
}

static void
add_list_row (HangarctlTable    *table,
              HangarStoragePool *pool)
{
  const char *autostart = hangar_storage_pool_get_autostart (pool) ? _("yes") : _("no");
  g_autofree char *capacity = NULL;
  g_autofree char *allocation = NULL;
  g_autofree char *available = NULL;

  if (!opt_list_details)
    {
      hangarctl_table_add_row (table, hangarctl_pool_name (pool),
                               pool_state_to_string (pool, FALSE), autostart);
      return;
    }

  if (pool_has_sizes (pool))
    {
      capacity = hangarctl_format_capacity (hangar_storage_pool_get_capacity (pool));
      allocation = hangarctl_format_capacity (hangar_storage_pool_get_allocation (pool));
      available = hangarctl_format_capacity (hangar_storage_pool_get_available (pool));
    }
  hangarctl_table_add_row (table, hangarctl_pool_name (pool), pool_state_to_string (pool, TRUE),
                           autostart, _("yes"), capacity, allocation, available);
}

static gboolean
run_pool_list (HangarctlContext     *ctx,
               const HangarctlVerb  *verb G_GNUC_UNUSED,
               char                **args G_GNUC_UNUSED,
               GError              **error)
{
  g_autoptr(GPtrArray) pools = hangarctl_list_pools (ctx, error);
  g_autoptr(HangarctlTable) table = NULL;
  gboolean plain = opt_list_name || opt_list_uuid;

  if (pools == NULL)
    return FALSE;

  if (opt_list_details)
    table = hangarctl_table_new (7, _("Name"), _("State"), _("Autostart"), _("Persistent"),
                                 _("Capacity"), _("Allocation"), _("Available"));
  else
    table = hangarctl_table_new (3, _("Name"), _("State"), _("Autostart"));

  for (guint i = 0; i < pools->len; i++)
    {
      HangarStoragePool *pool = g_ptr_array_index (pools, i);

      if (!list_wants (pool))
        continue;
      if (plain)
        print_list_plain (pool);
      else
        add_list_row (table, pool);
    }

  if (!plain)
    hangarctl_table_print (table, !ctx->quiet, stdout);
  return TRUE;
}

/* pool-info POOL [--bytes] */

static gboolean opt_info_bytes;

static const GOptionEntry info_options[] = {
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
      hangarctl_print_field (POOLINFO_WIDTH, label, "%" G_GUINT64_FORMAT, bytes);
      return;
    }
  text = hangarctl_format_capacity (bytes);
  hangarctl_print_field (POOLINFO_WIDTH, label, "%s", text);
}

static gboolean
run_pool_info (HangarctlContext     *ctx,
               const HangarctlVerb  *verb G_GNUC_UNUSED,
               char                **args,
               GError              **error)
{
  g_autoptr(HangarStoragePool) pool = hangarctl_lookup_pool (ctx, args[0], error);

  if (pool == NULL)
    return FALSE;

  hangarctl_print_field (POOLINFO_WIDTH, _("Name:"), "%s", hangarctl_pool_name (pool));
  hangarctl_print_field (POOLINFO_WIDTH, _("UUID:"), "%s", pool_uuid (pool));
  hangarctl_print_field (POOLINFO_WIDTH, _("State:"), "%s", pool_state_to_string (pool, TRUE));
  hangarctl_print_field (POOLINFO_WIDTH, _("Persistent:"), "%s", _("yes"));
  hangarctl_print_field (POOLINFO_WIDTH, _("Autostart:"), "%s",
                         hangar_storage_pool_get_autostart (pool) ? _("yes") : _("no"));
  if (pool_has_sizes (pool))
    {
      print_size_field (_("Capacity:"), hangar_storage_pool_get_capacity (pool));
      print_size_field (_("Allocation:"), hangar_storage_pool_get_allocation (pool));
      print_size_field (_("Available:"), hangar_storage_pool_get_available (pool));
    }
  return TRUE;
}

/* pool-dumpxml POOL */

static gboolean
run_pool_dumpxml (HangarctlContext     *ctx,
                  const HangarctlVerb  *verb G_GNUC_UNUSED,
                  char                **args,
                  GError              **error)
{
  g_autoptr(HangarStoragePool) pool = hangarctl_lookup_pool (ctx, args[0], error);
  g_autofree char *xml = NULL;

  if (pool == NULL)
    return FALSE;

  if (!hangar_storage_pool_call_get_xml_sync (pool, g_variant_new ("a{sv}", NULL), &xml,
                                              NULL, error))
    return FALSE;

  fputs (xml, stdout);
  if (*xml != '\0' && !g_str_has_suffix (xml, "\n"))
    fputc ('\n', stdout);
  return TRUE;
}

/* pool-uuid POOL, pool-name UUID */

static gboolean
run_pool_uuid (HangarctlContext     *ctx,
               const HangarctlVerb  *verb G_GNUC_UNUSED,
               char                **args,
               GError              **error)
{
  g_autoptr(HangarStoragePool) pool = hangarctl_lookup_pool (ctx, args[0], error);

  if (pool == NULL)
    return FALSE;

  printf ("%s\n", pool_uuid (pool));
  return TRUE;
}

static gboolean
run_pool_name (HangarctlContext     *ctx,
               const HangarctlVerb  *verb G_GNUC_UNUSED,
               char                **args,
               GError              **error)
{
  g_autoptr(HangarStoragePool) pool = hangarctl_lookup_pool (ctx, args[0], error);

  if (pool == NULL)
    return FALSE;

  printf ("%s\n", hangarctl_pool_name (pool));
  return TRUE;
}

#define POOL N_("POOL")

static const HangarctlVerb verbs[] = {
  { "pool-autostart", run_pool_autostart, POOL, N_("Start a pool when the engine starts"),
    autostart_options, 1, 1, NULL },
  { "pool-build", run_pool_action, POOL, N_("Create a pool’s directory"),
    NULL, 1, 1, &build_action },
  { "pool-define", run_pool_define, N_("FILE"), N_("Define (but don’t start) a pool from an XML file"),
    NULL, 1, 1, NULL },
  { "pool-define-as", run_pool_define_as,
    N_("NAME [TYPE [SOURCE-HOST SOURCE-PATH SOURCE-DEV SOURCE-NAME [TARGET]]]"),
    N_("Define (but don’t start) a directory pool: --type dir --target PATH"),
    define_as_options, 1, 7, NULL },
  { "pool-destroy", run_pool_action, POOL, N_("Stop a pool (its files stay)"),
    NULL, 1, 1, &destroy_action },
  { "pool-dumpxml", run_pool_dumpxml, POOL, N_("Show a pool’s definition in XML"),
    NULL, 1, 1, NULL },
  { "pool-info", run_pool_info, POOL, N_("Show facts about a pool"),
    info_options, 1, 1, NULL },
  { "pool-list", run_pool_list, "", N_("List pools"), list_options, 0, 0, NULL },
  { "pool-name", run_pool_name, N_("UUID"), N_("Show the name of the pool with a UUID"),
    NULL, 1, 1, NULL },
  { "pool-refresh", run_pool_action, POOL, N_("List a pool’s directory again"),
    NULL, 1, 1, &refresh_action },
  { "pool-start", run_pool_action, POOL, N_("Start a pool"),
    NULL, 1, 1, &start_action },
  { "pool-undefine", run_pool_undefine, POOL, N_("Remove a pool’s definition (and with options its directory)"),
    undefine_options, 1, 1, NULL },
  { "pool-uuid", run_pool_uuid, POOL, N_("Show a pool’s UUID"), NULL, 1, 1, NULL },
  { NULL }
};

const HangarctlVerbGroup hangarctl_pool_verbs = {
  N_("Storage pools"), verbs
};
