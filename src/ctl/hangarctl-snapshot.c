/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangarctl"

#include "hangarctl.h"

#include "hangar-connection.h"

/* Snapshots, as virsh's snapshot-* verbs: internal snapshots kept in the
 * machine's qcow2 disks, the engine's Snapshot objects below the machine. */

#define INFO_WIDTH 15

static HangarSnapshot *
snapshot_for_path (HangarctlContext  *ctx,
                   const char        *path,
                   GError           **error)
{
  HangarSnapshot *snapshot;

  snapshot = hangar_snapshot_proxy_new_sync (ctx->connection, G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                             hangar_connection_get_engine_name (ctx->connection),
                                             path, NULL, error);
  if (snapshot != NULL)
    hangarctl_set_lifecycle_timeout (snapshot);
  return snapshot;
}

static HangarSnapshot *
lookup_snapshot (HangarctlContext  *ctx,
                 HangarMachine     *machine,
                 const char        *name,
                 GError           **error)
{
  g_autofree char *path = NULL;

  if (!hangar_machine_call_lookup_snapshot_sync (machine, name, &path, NULL, error))
    return NULL;
  return snapshot_for_path (ctx, path, error);
}

/* The machine's snapshots, oldest first. */
static GPtrArray *
list_snapshots (HangarctlContext  *ctx,
                HangarMachine     *machine,
                GError           **error)
{
  g_autoptr(GPtrArray) snapshots = g_ptr_array_new_with_free_func (g_object_unref);
  const char * const *paths = hangar_machine_get_snapshots (machine);

  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      HangarSnapshot *snapshot = snapshot_for_path (ctx, paths[i], error);

      if (snapshot == NULL)
        return NULL;
      g_ptr_array_add (snapshots, snapshot);
    }
  return g_steal_pointer (&snapshots);
}

static const char *
name_or_dash (const char *name)
{
  return name != NULL && *name != '\0' ? name : "-";
}

/* The name of the snapshot at `path` among `snapshots`, or NULL. */
static const char *
name_for_path (GPtrArray  *snapshots,
               const char *path)
{
  for (guint i = 0; path != NULL && i < snapshots->len; i++)
    {
      HangarSnapshot *snapshot = g_ptr_array_index (snapshots, i);

      if (g_strcmp0 (g_dbus_proxy_get_object_path (G_DBUS_PROXY (snapshot)), path) == 0)
        return hangar_snapshot_get_name (snapshot);
    }
  return NULL;
}

static char *
format_creation_time (guint64 seconds)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local ((gint64) seconds);

  return time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M:%S %z") : g_strdup ("-");
}

/* snapshot-create-as NAME SNAP [--description TEXT] [--disk-only] */

static char *opt_create_description;
static gboolean opt_create_disk_only;

static const GOptionEntry create_options[] = {
  { "description", 0, 0, G_OPTION_ARG_STRING, &opt_create_description,
    N_("A description of the snapshot"), N_("TEXT") },
  { "disk-only", 0, 0, G_OPTION_ARG_NONE, &opt_create_disk_only,
    N_("Save the disks only, not the memory of a running machine"), NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
run_create_as (HangarctlContext     *ctx,
               const HangarctlVerb  *verb G_GNUC_UNUSED,
               char                **args,
               GError              **error)
{
  g_autoptr(HangarMachine) machine = NULL;
  g_autofree char *path = NULL;
  GVariantBuilder options;

  machine = hangarctl_lookup_machine (ctx, args[0], error);
  if (machine == NULL)
    return FALSE;

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (opt_create_disk_only)
    g_variant_builder_add (&options, "{sv}", "disk-only", g_variant_new_boolean (TRUE));
  hangarctl_set_lifecycle_timeout (machine);
  if (!hangar_machine_call_create_snapshot_sync (machine, args[1],
                                                 opt_create_description ? opt_create_description : "",
                                                 g_variant_builder_end (&options), &path, NULL, error))
    return FALSE;

  hangarctl_message (ctx, _("Domain snapshot %s created"), args[1]);
  return TRUE;
}

/* snapshot-list NAME [--parent] [--tree] */

static gboolean opt_list_parent;
static gboolean opt_list_tree;

static const GOptionEntry list_options[] = {
  { "parent", 0, 0, G_OPTION_ARG_NONE, &opt_list_parent,
    N_("Add a column with each snapshot’s parent"), NULL },
  { "tree", 0, 0, G_OPTION_ARG_NONE, &opt_list_tree,
    N_("Show the snapshots as a tree"), NULL },
  G_OPTION_ENTRY_NULL
};

/* virsh's tree: children under their parent, "+- " before each, "|"
 * while more siblings follow. */
static void
print_tree (GPtrArray   *snapshots,
            const char  *parent_path,
            GString     *indent)
{
  g_autoptr(GPtrArray) children = g_ptr_array_new ();

  for (guint i = 0; i < snapshots->len; i++)
    {
      HangarSnapshot *snapshot = g_ptr_array_index (snapshots, i);

      if (g_strcmp0 (hangar_snapshot_get_parent (snapshot), parent_path) == 0)
        g_ptr_array_add (children, snapshot);
    }

  for (guint i = 0; i < children->len; i++)
    {
      HangarSnapshot *child = g_ptr_array_index (children, i);
      gboolean last = i + 1 == children->len;
      gsize length = indent->len;
      g_autofree char *name = hangarctl_one_line (hangar_snapshot_get_name (child));

      if (parent_path == NULL || g_str_equal (parent_path, "/"))
        {
          printf ("%s\n", name);
          g_string_append (indent, "  ");
        }
      else
        {
          printf ("%s|\n%s+- %s\n", indent->str, indent->str, name);
          g_string_append (indent, last ? "    " : "|   ");
        }
      print_tree (snapshots, g_dbus_proxy_get_object_path (G_DBUS_PROXY (child)), indent);
      g_string_truncate (indent, length);
      if ((parent_path == NULL || g_str_equal (parent_path, "/")) && !last)
        printf ("\n");
    }
}

static gboolean
run_list (HangarctlContext     *ctx,
          const HangarctlVerb  *verb G_GNUC_UNUSED,
          char                **args,
          GError              **error)
{
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(GPtrArray) snapshots = NULL;
  g_autoptr(HangarctlTable) table = NULL;

  machine = hangarctl_lookup_machine (ctx, args[0], error);
  if (machine == NULL)
    return FALSE;
  snapshots = list_snapshots (ctx, machine, error);
  if (snapshots == NULL)
    return FALSE;

  if (opt_list_tree)
    {
      g_autoptr(GString) indent = g_string_new (NULL);

      print_tree (snapshots, "/", indent);
      return TRUE;
    }

  if (opt_list_parent)
    table = hangarctl_table_new (4, _("Name"), _("Creation Time"), _("State"), _("Parent"));
  else
    table = hangarctl_table_new (3, _("Name"), _("Creation Time"), _("State"));
  for (guint i = 0; i < snapshots->len; i++)
    {
      HangarSnapshot *snapshot = g_ptr_array_index (snapshots, i);
      g_autofree char *created = format_creation_time (hangar_snapshot_get_creation_time (snapshot));
      const char *parent = name_for_path (snapshots, hangar_snapshot_get_parent (snapshot));

      if (opt_list_parent)
        hangarctl_table_add_row (table, hangar_snapshot_get_name (snapshot), created,
                                 hangar_snapshot_get_state (snapshot), name_or_dash (parent));
      else
        hangarctl_table_add_row (table, hangar_snapshot_get_name (snapshot), created,
                                 hangar_snapshot_get_state (snapshot));
    }
  hangarctl_table_print (table, !ctx->quiet, stdout);
  return TRUE;
}

/* snapshot-info NAME SNAP */

static guint
count_descendants (GPtrArray  *snapshots,
                   const char *path)
{
  guint n = 0;

  for (guint i = 0; i < snapshots->len; i++)
    {
      HangarSnapshot *snapshot = g_ptr_array_index (snapshots, i);

      if (g_strcmp0 (hangar_snapshot_get_parent (snapshot), path) == 0)
        n += 1 + count_descendants (snapshots, g_dbus_proxy_get_object_path (G_DBUS_PROXY (snapshot)));
    }
  return n;
}

static gboolean
run_info (HangarctlContext     *ctx,
          const HangarctlVerb  *verb G_GNUC_UNUSED,
          char                **args,
          GError              **error)
{
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(HangarSnapshot) snapshot = NULL;
  g_autoptr(GPtrArray) snapshots = NULL;
  const char * const *children;
  const char *parent;

  machine = hangarctl_lookup_machine (ctx, args[0], error);
  if (machine == NULL)
    return FALSE;
  snapshot = lookup_snapshot (ctx, machine, args[1], error);
  if (snapshot == NULL)
    return FALSE;
  snapshots = list_snapshots (ctx, machine, error);
  if (snapshots == NULL)
    return FALSE;

  children = hangar_snapshot_get_children (snapshot);
  parent = name_for_path (snapshots, hangar_snapshot_get_parent (snapshot));
  hangarctl_print_field (INFO_WIDTH, _("Name:"), "%s", hangar_snapshot_get_name (snapshot));
  hangarctl_print_field (INFO_WIDTH, _("Domain:"), "%s", hangarctl_machine_name (machine));
  hangarctl_print_field (INFO_WIDTH, _("Current:"), "%s",
                         hangar_snapshot_get_is_current (snapshot) ? _("yes") : _("no"));
  hangarctl_print_field (INFO_WIDTH, _("State:"), "%s", hangar_snapshot_get_state (snapshot));
  hangarctl_print_field (INFO_WIDTH, _("Location:"), "%s", "internal");
  hangarctl_print_field (INFO_WIDTH, _("Memory:"), "%s",
                         hangar_snapshot_get_has_memory (snapshot) ? _("yes") : _("no"));
  hangarctl_print_field (INFO_WIDTH, _("Parent:"), "%s", name_or_dash (parent));
  hangarctl_print_field (INFO_WIDTH, _("Children:"), "%u", children ? g_strv_length ((char **) children) : 0);
  hangarctl_print_field (INFO_WIDTH, _("Descendants:"), "%u",
                         count_descendants (snapshots, g_dbus_proxy_get_object_path (G_DBUS_PROXY (snapshot))));
  hangarctl_print_field (INFO_WIDTH, _("Metadata:"), "%s", _("yes"));
  return TRUE;
}

/* snapshot-dumpxml NAME SNAP; snapshot-current NAME [--name] */

static gboolean
print_xml (HangarSnapshot  *snapshot,
           GError         **error)
{
  g_autofree char *xml = NULL;

  if (!hangar_snapshot_call_get_xml_sync (snapshot, &xml, NULL, error))
    return FALSE;
  fputs (xml, stdout);
  if (*xml != '\0' && !g_str_has_suffix (xml, "\n"))
    fputc ('\n', stdout);
  return TRUE;
}

static gboolean
run_dumpxml (HangarctlContext     *ctx,
             const HangarctlVerb  *verb G_GNUC_UNUSED,
             char                **args,
             GError              **error)
{
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(HangarSnapshot) snapshot = NULL;

  machine = hangarctl_lookup_machine (ctx, args[0], error);
  if (machine == NULL)
    return FALSE;
  snapshot = lookup_snapshot (ctx, machine, args[1], error);
  if (snapshot == NULL)
    return FALSE;
  return print_xml (snapshot, error);
}

static gboolean opt_current_name;

static const GOptionEntry current_options[] = {
  { "name", 0, 0, G_OPTION_ARG_NONE, &opt_current_name,
    N_("Print the current snapshot’s name rather than its XML"), NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
run_current (HangarctlContext     *ctx,
             const HangarctlVerb  *verb G_GNUC_UNUSED,
             char                **args,
             GError              **error)
{
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(HangarSnapshot) snapshot = NULL;
  const char *path;

  machine = hangarctl_lookup_machine (ctx, args[0], error);
  if (machine == NULL)
    return FALSE;
  path = hangar_machine_get_current_snapshot (machine);
  if (path == NULL || g_str_equal (path, "/"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("Domain '%s' has no current snapshot"), hangarctl_machine_name (machine));
      return FALSE;
    }
  snapshot = snapshot_for_path (ctx, path, error);
  if (snapshot == NULL)
    return FALSE;
  if (opt_current_name)
    {
      printf ("%s\n", hangar_snapshot_get_name (snapshot));
      return TRUE;
    }
  return print_xml (snapshot, error);
}

/* snapshot-revert NAME SNAP */

static gboolean
run_revert (HangarctlContext     *ctx,
            const HangarctlVerb  *verb G_GNUC_UNUSED,
            char                **args,
            GError              **error)
{
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(HangarSnapshot) snapshot = NULL;

  machine = hangarctl_lookup_machine (ctx, args[0], error);
  if (machine == NULL)
    return FALSE;
  snapshot = lookup_snapshot (ctx, machine, args[1], error);
  if (snapshot == NULL)
    return FALSE;
  /* As virsh, silent when it worked. */
  return hangar_snapshot_call_revert_sync (snapshot, g_variant_new ("a{sv}", NULL), NULL, error);
}

/* snapshot-delete NAME SNAP [--children] */

static gboolean opt_delete_children;

static const GOptionEntry delete_options[] = {
  { "children", 0, 0, G_OPTION_ARG_NONE, &opt_delete_children,
    N_("Also delete the snapshot’s descendants"), NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
run_delete (HangarctlContext     *ctx,
            const HangarctlVerb  *verb G_GNUC_UNUSED,
            char                **args,
            GError              **error)
{
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(HangarSnapshot) snapshot = NULL;
  GVariantBuilder options;

  machine = hangarctl_lookup_machine (ctx, args[0], error);
  if (machine == NULL)
    return FALSE;
  snapshot = lookup_snapshot (ctx, machine, args[1], error);
  if (snapshot == NULL)
    return FALSE;

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (opt_delete_children)
    g_variant_builder_add (&options, "{sv}", "children", g_variant_new_boolean (TRUE));
  if (!hangar_snapshot_call_delete_sync (snapshot, g_variant_builder_end (&options), NULL, error))
    return FALSE;

  if (opt_delete_children)
    hangarctl_message (ctx, _("Domain snapshot %s and its descendants deleted"), args[1]);
  else
    hangarctl_message (ctx, _("Domain snapshot %s deleted"), args[1]);
  return TRUE;
}

#define MACHINE_SNAPSHOT N_("NAME SNAPSHOT")

static const HangarctlVerb verbs[] = {
  { "snapshot-create-as", run_create_as, MACHINE_SNAPSHOT,
    N_("Take an internal snapshot of a machine (with its memory while it runs)"),
    create_options, 2, 2, NULL },
  { "snapshot-current", run_current, N_("NAME"), N_("Show a machine’s current snapshot"),
    current_options, 1, 1, NULL },
  { "snapshot-delete", run_delete, MACHINE_SNAPSHOT, N_("Delete a snapshot"),
    delete_options, 2, 2, NULL },
  { "snapshot-dumpxml", run_dumpxml, MACHINE_SNAPSHOT, N_("Show a snapshot in XML"),
    NULL, 2, 2, NULL },
  { "snapshot-info", run_info, MACHINE_SNAPSHOT, N_("Show what is known of a snapshot"),
    NULL, 2, 2, NULL },
  { "snapshot-list", run_list, N_("NAME"), N_("List a machine’s snapshots"),
    list_options, 1, 1, NULL },
  { "snapshot-revert", run_revert, MACHINE_SNAPSHOT, N_("Put a machine back to a snapshot"),
    NULL, 2, 2, NULL },
  { NULL }
};

const HangarctlVerbGroup hangarctl_snapshot_verbs = {
  N_("Snapshots"), verbs
};
