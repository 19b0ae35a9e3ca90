/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangarctl"

#include "hangarctl.h"

/* Domain management: defining machines and driving their lifecycle. */

/* The name to tell the user: the engine's, else what they typed. */
static const char *
display_name (HangarMachine *machine,
              const char    *typed)
{
  const char *name = hangarctl_machine_name (machine);

  return *name != '\0' ? name : typed;
}

/* Lifecycle verbs: one call, one line of virsh-like output. */

typedef gboolean (*MachineCall) (HangarMachine  *machine,
                                 GCancellable   *cancellable,
                                 GError        **error);

typedef struct {
  MachineCall  call;
  const char  *done;   /* N_(), with the machine's name */
} Lifecycle;

static const Lifecycle start_call    = { hangar_machine_call_start_sync,     N_("Domain '%s' started") };
static const Lifecycle shutdown_call = { hangar_machine_call_shutdown_sync,  N_("Domain '%s' is being shutdown") };
static const Lifecycle destroy_call  = { hangar_machine_call_force_off_sync, N_("Domain '%s' destroyed") };
static const Lifecycle reboot_call   = { hangar_machine_call_reboot_sync,    N_("Domain '%s' is being rebooted") };
static const Lifecycle reset_call    = { hangar_machine_call_reset_sync,     N_("Domain '%s' was reset") };
static const Lifecycle suspend_call  = { hangar_machine_call_pause_sync,     N_("Domain '%s' suspended") };
static const Lifecycle resume_call   = { hangar_machine_call_resume_sync,    N_("Domain '%s' resumed") };

static gboolean
run_lifecycle (HangarctlContext     *ctx,
               const HangarctlVerb  *verb,
               char                **args,
               GError              **error)
{
  const Lifecycle *lifecycle = verb->data;
  g_autoptr(HangarMachine) machine = NULL;

  machine = hangarctl_lookup_machine (ctx, args[0], error);
  if (machine == NULL)
    return FALSE;

  hangarctl_set_lifecycle_timeout (machine);
  if (!lifecycle->call (machine, NULL, error))
    return FALSE;

  hangarctl_message (ctx, _(lifecycle->done), display_name (machine, args[0]));
  return TRUE;
}

/* define FILE */

static gboolean opt_define_validate;

static const GOptionEntry define_options[] = {
  { "validate", 0, 0, G_OPTION_ARG_NONE, &opt_define_validate,
    N_("Validate the XML (Hangar always does)"), NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
run_define (HangarctlContext     *ctx,
            const HangarctlVerb  *verb G_GNUC_UNUSED,
            char                **args,
            GError              **error)
{
  g_autofree char *xml = NULL;
  g_autofree char *path = NULL;
  g_autoptr(HangarMachine) machine = NULL;
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
  if (!hangar_manager_call_define_machine_sync (manager, xml, &path, NULL, error))
    return FALSE;

  machine = hangarctl_machine_for_path (ctx, path, error);
  if (machine == NULL)
    return FALSE;

  hangarctl_message (ctx, _("Domain '%s' defined from %s"),
                     display_name (machine, path), args[0]);
  return TRUE;
}

/* undefine [--remove-all-storage] NAME */

static gboolean opt_undefine_remove_storage;
static gboolean opt_undefine_snapshots_metadata;

static const GOptionEntry undefine_options[] = {
  { "remove-all-storage", 0, 0, G_OPTION_ARG_NONE, &opt_undefine_remove_storage,
    N_("Also delete the machine’s disk files (installation media are kept)"), NULL },
  { "snapshots-metadata", 0, 0, G_OPTION_ARG_NONE, &opt_undefine_snapshots_metadata,
    N_("Also remove the records of its snapshots (they stay inside the disks)"), NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
run_undefine (HangarctlContext     *ctx,
              const HangarctlVerb  *verb G_GNUC_UNUSED,
              char                **args,
              GError              **error)
{
  g_autoptr(HangarMachine) machine = NULL;
  g_autofree char *name = NULL;
  GVariantBuilder options;

  machine = hangarctl_lookup_machine (ctx, args[0], error);
  if (machine == NULL)
    return FALSE;

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (opt_undefine_remove_storage)
    g_variant_builder_add (&options, "{sv}", "remove-storage", g_variant_new_boolean (TRUE));
  if (opt_undefine_snapshots_metadata)
    g_variant_builder_add (&options, "{sv}", "snapshots-metadata", g_variant_new_boolean (TRUE));
  name = g_strdup (display_name (machine, args[0]));
  hangarctl_set_lifecycle_timeout (machine);
  if (!hangar_machine_call_undefine_sync (machine, g_variant_builder_end (&options), NULL, error))
    return FALSE;

  hangarctl_message (ctx, _("Domain '%s' has been undefined"), name);
  return TRUE;
}

/* autostart [--disable] NAME */

static gboolean opt_autostart_disable;

static const GOptionEntry autostart_options[] = {
  { "disable", 0, 0, G_OPTION_ARG_NONE, &opt_autostart_disable,
    N_("Do not start the machine with the engine"), NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
run_autostart (HangarctlContext     *ctx,
               const HangarctlVerb  *verb G_GNUC_UNUSED,
               char                **args,
               GError              **error)
{
  g_autoptr(HangarMachine) machine = NULL;

  machine = hangarctl_lookup_machine (ctx, args[0], error);
  if (machine == NULL)
    return FALSE;

  if (!hangar_machine_call_set_autostart_sync (machine, !opt_autostart_disable, NULL, error))
    return FALSE;

  if (opt_autostart_disable)
    hangarctl_message (ctx, _("Domain '%s' unmarked as autostarted"), display_name (machine, args[0]));
  else
    hangarctl_message (ctx, _("Domain '%s' marked as autostarted"), display_name (machine, args[0]));
  return TRUE;
}

/* dumpxml NAME */

static gboolean opt_dumpxml_inactive;

static const GOptionEntry dumpxml_options[] = {
  { "inactive", 0, 0, G_OPTION_ARG_NONE, &opt_dumpxml_inactive,
    N_("Show the definition for the next start (what Hangar always shows)"), NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
run_dumpxml (HangarctlContext     *ctx,
             const HangarctlVerb  *verb G_GNUC_UNUSED,
             char                **args,
             GError              **error)
{
  g_autoptr(HangarMachine) machine = NULL;
  g_autofree char *xml = NULL;

  machine = hangarctl_lookup_machine (ctx, args[0], error);
  if (machine == NULL)
    return FALSE;

  xml = hangarctl_machine_get_xml (machine, error);
  if (xml == NULL)
    return FALSE;

  fputs (xml, stdout);
  if (*xml != '\0' && !g_str_has_suffix (xml, "\n"))
    fputc ('\n', stdout);
  return TRUE;
}

/* domuuid NAME, domname UUID, domid NAME */

static gboolean
run_domuuid (HangarctlContext     *ctx,
             const HangarctlVerb  *verb G_GNUC_UNUSED,
             char                **args,
             GError              **error)
{
  g_autoptr(HangarMachine) machine = hangarctl_lookup_machine (ctx, args[0], error);

  if (machine == NULL)
    return FALSE;

  printf ("%s\n", hangarctl_machine_uuid (machine));
  return TRUE;
}

static gboolean
run_domname (HangarctlContext     *ctx,
             const HangarctlVerb  *verb G_GNUC_UNUSED,
             char                **args,
             GError              **error)
{
  g_autoptr(HangarMachine) machine = hangarctl_lookup_machine (ctx, args[0], error);

  if (machine == NULL)
    return FALSE;

  printf ("%s\n", hangarctl_machine_name (machine));
  return TRUE;
}

static gboolean
run_domid (HangarctlContext     *ctx,
           const HangarctlVerb  *verb G_GNUC_UNUSED,
           char                **args,
           GError              **error)
{
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(GPtrArray) machines = NULL;
  guint id;

  machine = hangarctl_lookup_machine (ctx, args[0], error);
  if (machine == NULL)
    return FALSE;

  machines = hangarctl_list_machines (ctx, error);
  if (machines == NULL)
    return FALSE;

  id = hangarctl_machine_id (machines, machine);
  if (id == 0)
    printf ("-\n");
  else
    printf ("%u\n", id);
  return TRUE;
}

#define MACHINE N_("NAME")

static const HangarctlVerb verbs[] = {
  { "autostart", run_autostart, MACHINE, N_("Start a machine when the engine starts"),
    autostart_options, 1, 1, NULL },
  { "define", run_define, N_("FILE"), N_("Define (but don’t start) a machine from an XML file"),
    define_options, 1, 1, NULL },
  { "destroy", run_lifecycle, MACHINE, N_("Stop a machine at once, like pulling the plug"),
    NULL, 1, 1, &destroy_call },
  { "domid", run_domid, MACHINE, N_("Show a machine’s Id"), NULL, 1, 1, NULL },
  { "domname", run_domname, N_("UUID"), N_("Show the name of the machine with a UUID"),
    NULL, 1, 1, NULL },
  { "domuuid", run_domuuid, MACHINE, N_("Show a machine’s UUID"), NULL, 1, 1, NULL },
  { "dumpxml", run_dumpxml, MACHINE, N_("Show a machine’s definition in XML"),
    dumpxml_options, 1, 1, NULL },
  { "edit", hangarctl_edit, MACHINE, N_("Edit a machine’s XML definition in $EDITOR"),
    NULL, 1, 1, NULL },
  { "reboot", run_lifecycle, MACHINE, N_("Ask a machine’s guest to reboot"),
    NULL, 1, 1, &reboot_call },
  { "reset", run_lifecycle, MACHINE, N_("Press a machine’s reset button"),
    NULL, 1, 1, &reset_call },
  { "resume", run_lifecycle, MACHINE, N_("Continue a suspended machine"),
    NULL, 1, 1, &resume_call },
  { "shutdown", run_lifecycle, MACHINE, N_("Ask a machine’s guest to power off"),
    NULL, 1, 1, &shutdown_call },
  { "start", run_lifecycle, MACHINE, N_("Start a machine"),
    NULL, 1, 1, &start_call },
  { "suspend", run_lifecycle, MACHINE, N_("Pause a machine’s virtual CPUs"),
    NULL, 1, 1, &suspend_call },
  { "undefine", run_undefine, MACHINE, N_("Remove a machine’s definition (its disks stay unless asked)"),
    undefine_options, 1, 1, NULL },
  { NULL }
};

const HangarctlVerbGroup hangarctl_machine_verbs = {
  N_("Domain management"), verbs
};
