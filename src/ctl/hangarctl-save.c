/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangarctl"

#include "hangarctl.h"

/* Saved state and clones: virsh save, restore, managedsave,
 * managedsave-remove, and virt-clone as `clone`. */

static GVariant *
no_options (void)
{
  return g_variant_new ("a{sv}", NULL);
}

/* The engine takes absolute paths only: a relative FILE is the user's,
 * from hangarctl's directory. */
static char *
absolute_path (const char *path)
{
  return g_canonicalize_filename (path, NULL);
}

/* save NAME FILE */

static gboolean
run_save (HangarctlContext     *ctx,
          const HangarctlVerb  *verb G_GNUC_UNUSED,
          char                **args,
          GError              **error)
{
  g_autoptr(HangarMachine) machine = hangarctl_lookup_machine (ctx, args[0], error);
  g_autofree char *path = absolute_path (args[1]);

  if (machine == NULL)
    return FALSE;

  hangarctl_set_lifecycle_timeout (machine);
  if (!hangar_machine_call_save_sync (machine, path, no_options (), NULL, error))
    return FALSE;

  hangarctl_message (ctx, _("Domain '%s' saved to %s"), hangarctl_machine_name (machine), path);
  return TRUE;
}

/* restore FILE [--paused] */

static gboolean opt_restore_paused;

static const GOptionEntry restore_options[] = {
  { "paused", 0, 0, G_OPTION_ARG_NONE, &opt_restore_paused,
    N_("Leave the restored machine paused"), NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
run_restore (HangarctlContext     *ctx,
             const HangarctlVerb  *verb G_GNUC_UNUSED,
             char                **args,
             GError              **error)
{
  HangarManager *manager = hangarctl_get_manager (ctx, error);
  g_auto(GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  g_autofree char *path = absolute_path (args[0]);
  g_autofree char *machine_path = NULL;
  g_autoptr(HangarMachine) machine = NULL;

  if (manager == NULL)
    return FALSE;

  if (opt_restore_paused)
    g_variant_dict_insert (&options, "paused", "b", TRUE);
  hangarctl_set_lifecycle_timeout (manager);
  if (!hangar_manager_call_restore_sync (manager, path, g_variant_dict_end (&options),
                                         &machine_path, NULL, error))
    return FALSE;

  machine = hangarctl_machine_for_path (ctx, machine_path, error);
  if (machine == NULL)
    return FALSE;
  hangarctl_message (ctx, _("Domain '%s' restored from %s"), hangarctl_machine_name (machine), path);
  return TRUE;
}

/* managedsave NAME */

static gboolean
run_managedsave (HangarctlContext     *ctx,
                 const HangarctlVerb  *verb G_GNUC_UNUSED,
                 char                **args,
                 GError              **error)
{
  g_autoptr(HangarMachine) machine = hangarctl_lookup_machine (ctx, args[0], error);

  if (machine == NULL)
    return FALSE;

  hangarctl_set_lifecycle_timeout (machine);
  if (!hangar_machine_call_managed_save_sync (machine, no_options (), NULL, error))
    return FALSE;

  hangarctl_message (ctx, _("Domain '%s' state saved by Hangar"), hangarctl_machine_name (machine));
  return TRUE;
}

/* managedsave-remove NAME */

static gboolean
run_managedsave_remove (HangarctlContext     *ctx,
                        const HangarctlVerb  *verb G_GNUC_UNUSED,
                        char                **args,
                        GError              **error)
{
  g_autoptr(HangarMachine) machine = hangarctl_lookup_machine (ctx, args[0], error);

  if (machine == NULL)
    return FALSE;

  /* As virsh: nothing to remove is not a failure. */
  if (g_strcmp0 (hangar_machine_get_state (machine), "saved") != 0)
    {
      hangarctl_message (ctx, _("Domain '%s' has no managed save image; removal skipped"),
                         hangarctl_machine_name (machine));
      return TRUE;
    }

  if (!hangar_machine_call_managed_save_remove_sync (machine, NULL, error))
    return FALSE;

  hangarctl_message (ctx, _("Removed managed save image for domain '%s'"), hangarctl_machine_name (machine));
  return TRUE;
}

/* clone SOURCE NEWNAME [--linked] [--pool POOL] */

static gboolean opt_clone_linked;
static char *opt_clone_pool;

static const GOptionEntry clone_options[] = {
  { "linked", 0, 0, G_OPTION_ARG_NONE, &opt_clone_linked,
    N_("Give the clone qcow2 disks backed by the source’s instead of copies (the source’s disks must then stay unchanged)"),
    NULL },
  { "pool", 0, 0, G_OPTION_ARG_STRING, &opt_clone_pool,
    N_("Put the clone’s disks in POOL (default: each disk’s own pool, “default” for plain files)"),
    N_("POOL") },
  G_OPTION_ENTRY_NULL
};

static gboolean
run_clone (HangarctlContext     *ctx,
           const HangarctlVerb  *verb G_GNUC_UNUSED,
           char                **args,
           GError              **error)
{
  g_autoptr(HangarMachine) machine = hangarctl_lookup_machine (ctx, args[0], error);
  g_auto(GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  g_autofree char *job = NULL;
  g_autofree char *label = NULL;

  if (machine == NULL)
    return FALSE;

  if (opt_clone_linked)
    g_variant_dict_insert (&options, "linked", "b", TRUE);
  if (opt_clone_pool != NULL)
    g_variant_dict_insert (&options, "pool", "s", opt_clone_pool);
  if (!hangar_machine_call_clone_sync (machine, args[1], g_variant_dict_end (&options), &job, NULL, error))
    return FALSE;

  label = g_strdup_printf (_("Cloning %s"), hangarctl_machine_name (machine));
  if (!hangarctl_wait_job (ctx, job, label, NULL, error))
    return FALSE;

  hangarctl_message (ctx, _("Clone '%s' created successfully."), args[1]);
  return TRUE;
}

static const HangarctlVerb verbs[] = {
  { "clone", run_clone, N_("SOURCE NEWNAME"),
    N_("Copy a shut-off machine: new name, UUID and MACs, its disks copied"),
    clone_options, 2, 2, NULL },
  { "managedsave", run_managedsave, N_("NAME"),
    N_("Save a machine’s state for its next start to resume"), NULL, 1, 1, NULL },
  { "managedsave-remove", run_managedsave_remove, N_("NAME"),
    N_("Drop a managed save: the next start boots afresh"), NULL, 1, 1, NULL },
  { "restore", run_restore, N_("FILE"), N_("Run a machine again from a save file"),
    restore_options, 1, 1, NULL },
  { "save", run_save, N_("NAME FILE"), N_("Save a machine’s state to a file and stop it"),
    NULL, 2, 2, NULL },
  { NULL }
};

const HangarctlVerbGroup hangarctl_save_verbs = {
  N_("Saved state and clones"), verbs
};
