/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangarctl"

#include "hangarctl.h"

/* Host and engine: nodeinfo, version. */

#define NODEINFO_WIDTH 20

static GVariant *
get_host_info (HangarctlContext  *ctx,
               GError           **error)
{
  HangarManager *manager = hangarctl_get_manager (ctx, error);
  GVariant *info = NULL;

  if (manager == NULL)
    return NULL;

  if (!hangar_manager_call_get_host_info_sync (manager, &info, NULL, error))
    return NULL;
  return info;
}

static void
print_number (const char *label,
              GVariant   *info,
              const char *key,
              const char *unit)
{
  guint64 value;

  if (!hangarctl_dict_get_u64 (info, key, &value))
    hangarctl_print_field (NODEINFO_WIDTH, label, "-");
  else if (unit != NULL)
    hangarctl_print_field (NODEINFO_WIDTH, label, "%" G_GUINT64_FORMAT " %s", value, unit);
  else
    hangarctl_print_field (NODEINFO_WIDTH, label, "%" G_GUINT64_FORMAT, value);
}

static void
print_accelerator (GVariant *info)
{
  g_autofree char *accelerator = hangarctl_dict_dup_string (info, "accelerator");
  g_autofree char *reason = hangarctl_dict_dup_string (info, "kvm-reason");

  if (accelerator == NULL)
    accelerator = g_strdup ("-");

  if (g_strcmp0 (accelerator, "kvm") != 0 && reason != NULL && *reason != '\0')
    hangarctl_print_field (NODEINFO_WIDTH, _("Accelerator:"), "%s (%s)", accelerator, reason);
  else
    hangarctl_print_field (NODEINFO_WIDTH, _("Accelerator:"), "%s", accelerator);
}

static gboolean
run_nodeinfo (HangarctlContext     *ctx,
              const HangarctlVerb  *verb G_GNUC_UNUSED,
              char                **args G_GNUC_UNUSED,
              GError              **error)
{
  g_autoptr(GVariant) info = get_host_info (ctx, error);
  g_autofree char *model = NULL;
  g_autofree char *qemu_version = NULL;
  guint64 mhz = 0;

  if (info == NULL)
    return FALSE;

  model = hangarctl_dict_dup_string (info, "cpu-model");
  if (model == NULL || *model == '\0')
    {
      g_free (model);
      model = hangarctl_dict_dup_string (info, "arch");
    }
  qemu_version = hangarctl_dict_dup_string (info, "qemu-version");

  hangarctl_print_field (NODEINFO_WIDTH, _("CPU model:"), "%s", model != NULL ? model : "-");
  print_number (_("CPU(s):"), info, "cpus", NULL);
  if (hangarctl_dict_get_u64 (info, "cpu-mhz", &mhz) && mhz != 0)
    print_number (_("CPU frequency:"), info, "cpu-mhz", "MHz");
  print_number (_("CPU socket(s):"), info, "sockets", NULL);
  print_number (_("Core(s) per socket:"), info, "cores-per-socket", NULL);
  print_number (_("Thread(s) per core:"), info, "threads-per-core", NULL);
  print_number (_("NUMA cell(s):"), info, "numa-nodes", NULL);
  print_number (_("Memory size:"), info, "memory-kib", "KiB");
  print_accelerator (info);
  hangarctl_print_field (NODEINFO_WIDTH, _("QEMU version:"), "%s",
                         qemu_version != NULL ? qemu_version : "-");
  return TRUE;
}

static const char *
or_dash (const char *text)
{
  return text != NULL && *text != '\0' ? text : "-";
}

static gboolean
run_version (HangarctlContext     *ctx,
             const HangarctlVerb  *verb G_GNUC_UNUSED,
             char                **args G_GNUC_UNUSED,
             GError              **error)
{
  g_autoptr(GVariant) info = get_host_info (ctx, error);
  g_autofree char *qemu_version = NULL;

  if (info == NULL)
    return FALSE;

  qemu_version = hangarctl_dict_dup_string (info, "qemu-version");

  printf (_("Client: hangarctl %s\n"), HANGAR_VERSION);
  printf (_("Engine: hangard %s (%s mode)\n"),
          or_dash (hangar_manager_get_version (ctx->manager)),
          or_dash (hangar_manager_get_mode (ctx->manager)));
  printf (_("Running hypervisor: QEMU %s\n"), or_dash (qemu_version));
  printf (_("Accelerator: %s\n"), or_dash (hangar_manager_get_accelerator (ctx->manager)));
  return TRUE;
}

static const HangarctlVerb verbs[] = {
  { "nodeinfo", run_nodeinfo, "", N_("Show facts about the host"), NULL, 0, 0, NULL },
  { "version", run_version, "", N_("Show the versions of hangarctl, the engine and QEMU"),
    NULL, 0, 0, NULL },
  { NULL }
};

const HangarctlVerbGroup hangarctl_host_verbs = {
  N_("Host and engine"), verbs
};
