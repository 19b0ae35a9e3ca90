/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangarctl"

#include "hangarctl.h"

#include "hangard-error.h"

/* Domain monitoring: listing machines and showing what they are doing. */

#define DOMINFO_WIDTH 15

static char *
format_id (guint id)
{
  return id != 0 ? g_strdup_printf ("%u", id) : g_strdup ("-");
}

/* list [--all] [--inactive] [--name] [--uuid] [--title] */

static gboolean opt_list_all;
static gboolean opt_list_inactive;
static gboolean opt_list_name;
static gboolean opt_list_uuid;
static gboolean opt_list_title;

static const GOptionEntry list_options[] = {
  { "all", 0, 0, G_OPTION_ARG_NONE, &opt_list_all,
    N_("List all machines, not only the active ones"), NULL },
  { "inactive", 0, 0, G_OPTION_ARG_NONE, &opt_list_inactive,
    N_("List only the machines that are not active"), NULL },
  { "name", 0, 0, G_OPTION_ARG_NONE, &opt_list_name,
    N_("Print only the names, one a line"), NULL },
  { "uuid", 0, 0, G_OPTION_ARG_NONE, &opt_list_uuid,
    N_("Print only the UUIDs, one a line (with --name: UUID and name)"), NULL },
  { "title", 0, 0, G_OPTION_ARG_NONE, &opt_list_title,
    N_("Show the machines’ titles too"), NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
list_wants (HangarMachine *machine)
{
  if (hangarctl_machine_is_active (machine))
    return !opt_list_inactive;
  return opt_list_all || opt_list_inactive;
}

static void
print_list_plain (HangarMachine *machine)
{
  if (opt_list_uuid && opt_list_name)
    printf ("%-36s %s\n", hangarctl_machine_uuid (machine), hangarctl_machine_name (machine));
  else if (opt_list_uuid)
    printf ("%s\n", hangarctl_machine_uuid (machine));
  else
    printf ("%s\n", hangarctl_machine_name (machine));
}

static void
add_list_row (HangarctlTable *table,
              GPtrArray      *machines,
              HangarMachine  *machine)
{
  g_autofree char *id = format_id (hangarctl_machine_id (machines, machine));
  const char *state = hangarctl_state_to_string (hangar_machine_get_state (machine));

  if (opt_list_title)
    hangarctl_table_add_row (table, id, hangarctl_machine_name (machine), state,
                             hangar_machine_get_title (machine));
  else
    hangarctl_table_add_row (table, id, hangarctl_machine_name (machine), state);
}

static gboolean
run_list (HangarctlContext     *ctx,
          const HangarctlVerb  *verb G_GNUC_UNUSED,
          char                **args G_GNUC_UNUSED,
          GError              **error)
{
  g_autoptr(GPtrArray) machines = NULL;
  g_autoptr(HangarctlTable) table = NULL;
  gboolean plain = opt_list_name || opt_list_uuid;

  machines = hangarctl_list_machines (ctx, error);
  if (machines == NULL)
    return FALSE;

  if (opt_list_title)
    table = hangarctl_table_new (4, _("Id"), _("Name"), _("State"), _("Title"));
  else
    table = hangarctl_table_new (3, _("Id"), _("Name"), _("State"));

  for (guint i = 0; i < machines->len; i++)
    {
      HangarMachine *machine = g_ptr_array_index (machines, i);

      if (!list_wants (machine))
        continue;
      if (plain)
        print_list_plain (machine);
      else
        add_list_row (table, machines, machine);
    }

  if (!plain)
    hangarctl_table_print (table, !ctx->quiet, stdout);
  return TRUE;
}

/* dominfo NAME */

static guint
lookup_id (HangarctlContext *ctx,
           HangarMachine    *machine)
{
  g_autoptr(GPtrArray) machines = NULL;

  if (!hangarctl_machine_is_active (machine))
    return 0;

  machines = hangarctl_list_machines (ctx, NULL);
  return machines != NULL ? hangarctl_machine_id (machines, machine) : 0;
}

static const char *
machine_accelerator (HangarctlContext *ctx,
                     HangarMachine    *machine)
{
  const char *accelerator = hangar_machine_get_accelerator (machine);

  /* Shut off: what its next start will use. */
  if ((accelerator == NULL || *accelerator == '\0') && ctx->manager != NULL)
    accelerator = hangar_manager_get_accelerator (ctx->manager);
  return accelerator != NULL && *accelerator != '\0' ? accelerator : "-";
}

static void
print_dominfo (HangarctlContext *ctx,
               HangarMachine    *machine,
               GVariant         *stats)
{
  g_autofree char *id = format_id (lookup_id (ctx, machine));
  guint64 cpu_time_ns = 0;
  guint64 used_kib = 0;

  hangarctl_dict_get_u64 (stats, "cpu-time-ns", &cpu_time_ns);
  if (!hangarctl_dict_get_u64 (stats, "memory-kib", &used_kib) || used_kib == 0)
    used_kib = hangar_machine_get_memory_kib (machine);

  hangarctl_print_field (DOMINFO_WIDTH, _("Id:"), "%s", id);
  hangarctl_print_field (DOMINFO_WIDTH, _("Name:"), "%s", hangarctl_machine_name (machine));
  hangarctl_print_field (DOMINFO_WIDTH, _("UUID:"), "%s", hangarctl_machine_uuid (machine));
  hangarctl_print_field (DOMINFO_WIDTH, _("OS Type:"), "%s", "hvm");
  hangarctl_print_field (DOMINFO_WIDTH, _("State:"), "%s",
                         hangarctl_state_to_string (hangar_machine_get_state (machine)));
  hangarctl_print_field (DOMINFO_WIDTH, _("CPU(s):"), "%u", hangar_machine_get_vcpus (machine));
  if (cpu_time_ns != 0)
    hangarctl_print_field (DOMINFO_WIDTH, _("CPU time:"), "%.1fs", cpu_time_ns / 1e9);
  hangarctl_print_field (DOMINFO_WIDTH, _("Max memory:"), "%" G_GUINT64_FORMAT " KiB",
                         hangar_machine_get_memory_kib (machine));
  hangarctl_print_field (DOMINFO_WIDTH, _("Used memory:"), "%" G_GUINT64_FORMAT " KiB",
                         used_kib);
  hangarctl_print_field (DOMINFO_WIDTH, _("Persistent:"), "%s", _("yes"));
  hangarctl_print_field (DOMINFO_WIDTH, _("Autostart:"), "%s",
                         hangar_machine_get_autostart (machine) ? _("enable") : _("disable"));
  hangarctl_print_field (DOMINFO_WIDTH, _("Accelerator:"), "%s",
                         machine_accelerator (ctx, machine));
}

static gboolean
run_dominfo (HangarctlContext     *ctx,
             const HangarctlVerb  *verb G_GNUC_UNUSED,
             char                **args,
             GError              **error)
{
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(GVariant) stats = NULL;

  machine = hangarctl_lookup_machine (ctx, args[0], error);
  if (machine == NULL)
    return FALSE;

  if (!hangar_machine_call_get_stats_sync (machine, &stats, NULL, error))
    return FALSE;

  print_dominfo (ctx, machine, stats);
  return TRUE;
}

/* domstate NAME [--reason] */

static gboolean opt_domstate_reason;

static const GOptionEntry domstate_options[] = {
  { "reason", 0, 0, G_OPTION_ARG_NONE, &opt_domstate_reason,
    N_("Also say why the machine is in its state"), NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
run_domstate (HangarctlContext     *ctx,
              const HangarctlVerb  *verb G_GNUC_UNUSED,
              char                **args,
              GError              **error)
{
  g_autoptr(HangarMachine) machine = NULL;
  const char *state;
  const char *reason;

  machine = hangarctl_lookup_machine (ctx, args[0], error);
  if (machine == NULL)
    return FALSE;

  state = hangarctl_state_to_string (hangar_machine_get_state (machine));
  reason = hangar_machine_get_state_reason (machine);

  if (!opt_domstate_reason)
    printf ("%s\n", state);
  else
    printf ("%s (%s)\n", state, reason != NULL && *reason != '\0' ? reason : _("unknown"));
  return TRUE;
}

/* domblklist NAME [--details], domiflist NAME */

static gboolean opt_devices_details;
static gboolean opt_devices_inactive;

static const GOptionEntry domblklist_options[] = {
  { "details", 0, 0, G_OPTION_ARG_NONE, &opt_devices_details,
    N_("Show each disk’s type and device too"), NULL },
  { "inactive", 0, 0, G_OPTION_ARG_NONE, &opt_devices_inactive,
    N_("Use the definition for the next start (what Hangar always shows)"), NULL },
  G_OPTION_ENTRY_NULL
};

static const GOptionEntry domiflist_options[] = {
  { "inactive", 0, 0, G_OPTION_ARG_NONE, &opt_devices_inactive,
    N_("Show the definition for the next start, without the running machine’s tap devices"), NULL },
  G_OPTION_ENTRY_NULL
};

static HangarctlDomain *
lookup_domain (HangarctlContext  *ctx,
               const char        *name,
               GError           **error)
{
  g_autoptr(HangarMachine) machine = NULL;
  g_autofree char *xml = NULL;

  machine = hangarctl_lookup_machine (ctx, name, error);
  if (machine == NULL)
    return NULL;

  xml = hangarctl_machine_get_xml (machine, error);
  if (xml == NULL)
    return NULL;

  return hangarctl_domain_parse (xml, error);
}

static gboolean
run_domblklist (HangarctlContext     *ctx,
                const HangarctlVerb  *verb G_GNUC_UNUSED,
                char                **args,
                GError              **error)
{
  g_autoptr(HangarctlDomain) domain = NULL;
  g_autoptr(HangarctlTable) table = NULL;

  domain = lookup_domain (ctx, args[0], error);
  if (domain == NULL)
    return FALSE;

  if (opt_devices_details)
    table = hangarctl_table_new (4, _("Type"), _("Device"), _("Target"), _("Source"));
  else
    table = hangarctl_table_new (2, _("Target"), _("Source"));

  for (guint i = 0; i < domain->disks->len; i++)
    {
      HangarctlDisk *disk = g_ptr_array_index (domain->disks, i);

      if (opt_devices_details)
        hangarctl_table_add_row (table, disk->type, disk->device, disk->target, disk->source);
      else
        hangarctl_table_add_row (table, disk->target, disk->source);
    }

  hangarctl_table_print (table, !ctx->quiet, stdout);
  return TRUE;
}

/* GetInterfaces: one a{sv} a NIC, with the tap and the leased address. */
static GVariant *
machine_interfaces (HangarMachine  *machine,
                    GError        **error)
{
  GVariant *interfaces = NULL;

  if (!hangar_machine_call_get_interfaces_sync (machine, &interfaces, NULL, error))
    return NULL;
  return interfaces;
}

/* A string of a NIC's a{sv}; "-" when absent or empty, as virsh shows it. */
static const char *
nic_field (GVariant   *nic,
           const char *key)
{
  const char *value = NULL;

  if (!g_variant_lookup (nic, key, "&s", &value) || *value == '\0')
    return "-";
  return value;
}

static gboolean
run_domiflist (HangarctlContext     *ctx,
               const HangarctlVerb  *verb G_GNUC_UNUSED,
               char                **args,
               GError              **error)
{
  g_autoptr(HangarMachine) machine = hangarctl_lookup_machine (ctx, args[0], error);
  g_autoptr(GVariant) interfaces = NULL;
  g_autoptr(HangarctlTable) table = NULL;

  if (machine == NULL || (interfaces = machine_interfaces (machine, error)) == NULL)
    return FALSE;

  table = hangarctl_table_new (5, _("Interface"), _("Type"), _("Source"), _("Model"), _("MAC"));
  for (gsize i = 0; i < g_variant_n_children (interfaces); i++)
    {
      g_autoptr(GVariant) nic = g_variant_get_child_value (interfaces, i);

      const char *source = nic_field (nic, "source");

      /* A running user-mode NIC has no source but a stack: passt or slirp. */
      if (g_str_equal (source, "-") && !opt_devices_inactive)
        source = nic_field (nic, "backend");
      /* The next start's definition has no tap yet. */
      hangarctl_table_add_row (table, opt_devices_inactive ? "-" : nic_field (nic, "device"),
                               nic_field (nic, "type"), source,
                               nic_field (nic, "model"), nic_field (nic, "mac"));
    }

  hangarctl_table_print (table, !ctx->quiet, stdout);
  return TRUE;
}

/* domifaddr NAME [--interface DEVICE]: the addresses Hangar's networks
 * leased (virsh's --source lease). */

static char *opt_domifaddr_interface;

static const GOptionEntry domifaddr_options[] = {
  { "interface", 0, 0, G_OPTION_ARG_STRING, &opt_domifaddr_interface,
    N_("Show only this interface (its tap device or MAC address)"), N_("INTERFACE") },
  G_OPTION_ENTRY_NULL
};

/* "192.168.122.50/24": the lease with its network's prefix (the network's
 * Address), as virsh shows it; the bare address when the network is gone. */
static char *
address_with_prefix (HangarctlContext *ctx,
                     GVariant         *nic,
                     const char       *ip)
{
  g_autoptr(HangarNetwork) network = NULL;
  const char *address;
  const char *slash;

  if (g_strcmp0 (nic_field (nic, "type"), "network") == 0)
    network = hangarctl_lookup_network (ctx, nic_field (nic, "source"), NULL);
  address = network != NULL ? hangar_network_get_address (network) : NULL;
  slash = address != NULL ? strchr (address, '/') : NULL;

  if (slash == NULL)
    return g_strdup (ip);
  return g_strconcat (ip, slash, NULL);
}

static gboolean
domifaddr_wants (GVariant *nic)
{
  if (opt_domifaddr_interface == NULL)
    return TRUE;
  return g_strcmp0 (nic_field (nic, "device"), opt_domifaddr_interface) == 0 ||
         g_ascii_strcasecmp (nic_field (nic, "mac"), opt_domifaddr_interface) == 0;
}

static void
add_domifaddr_row (HangarctlContext *ctx,
                   HangarctlTable   *table,
                   GVariant         *nic)
{
  const char *ip = nic_field (nic, "ip");
  g_autofree char *address = NULL;

  if (g_str_equal (ip, "-"))
    {
      hangarctl_table_add_row (table, nic_field (nic, "device"), nic_field (nic, "mac"), "-", "-");
      return;
    }
  address = address_with_prefix (ctx, nic, ip);
  hangarctl_table_add_row (table, nic_field (nic, "device"), nic_field (nic, "mac"), "ipv4", address);
}

static gboolean
run_domifaddr (HangarctlContext     *ctx,
               const HangarctlVerb  *verb G_GNUC_UNUSED,
               char                **args,
               GError              **error)
{
  g_autoptr(HangarMachine) machine = hangarctl_lookup_machine (ctx, args[0], error);
  g_autoptr(GVariant) interfaces = NULL;
  g_autoptr(HangarctlTable) table = NULL;
  guint shown = 0;

  if (machine == NULL)
    return FALSE;

  /* As virsh: a machine that is off has no addresses, whatever leases
   * dnsmasq still remembers. */
  if (!hangarctl_machine_is_active (machine))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Domain '%s' is not running"), hangarctl_machine_name (machine));
      return FALSE;
    }

  interfaces = machine_interfaces (machine, error);
  if (interfaces == NULL)
    return FALSE;

  table = hangarctl_table_new (4, _("Name"), _("MAC address"), _("Protocol"), _("Address"));
  for (gsize i = 0; i < g_variant_n_children (interfaces); i++)
    {
      g_autoptr(GVariant) nic = g_variant_get_child_value (interfaces, i);

      if (!domifaddr_wants (nic))
        continue;
      add_domifaddr_row (ctx, table, nic);
      shown++;
    }

  if (opt_domifaddr_interface != NULL && shown == 0)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                   _("Machine '%s' has no interface '%s'"), args[0], opt_domifaddr_interface);
      return FALSE;
    }
  hangarctl_table_print (table, !ctx->quiet, stdout);
  return TRUE;
}

/* domstats [NAME...] with virsh's group and --list-* options */

static gboolean opt_stats_state;
static gboolean opt_stats_cpu;
static gboolean opt_stats_balloon;
static gboolean opt_stats_vcpu;
static gboolean opt_stats_interface;
static gboolean opt_stats_block;
static gboolean opt_stats_active;
static gboolean opt_stats_inactive;
static gboolean opt_stats_running;
static gboolean opt_stats_paused;
static gboolean opt_stats_shutoff;

static const GOptionEntry domstats_options[] = {
  { "state", 0, 0, G_OPTION_ARG_NONE, &opt_stats_state, N_("Show the state"), NULL },
  { "cpu-total", 0, 0, G_OPTION_ARG_NONE, &opt_stats_cpu, N_("Show the CPU time"), NULL },
  { "balloon", 0, 0, G_OPTION_ARG_NONE, &opt_stats_balloon, N_("Show the memory"), NULL },
  { "vcpu", 0, 0, G_OPTION_ARG_NONE, &opt_stats_vcpu, N_("Show the virtual CPUs"), NULL },
  { "interface", 0, 0, G_OPTION_ARG_NONE, &opt_stats_interface,
    N_("Show the network interfaces"), NULL },
  { "block", 0, 0, G_OPTION_ARG_NONE, &opt_stats_block, N_("Show the disks"), NULL },
  { "list-active", 0, 0, G_OPTION_ARG_NONE, &opt_stats_active,
    N_("Only active machines"), NULL },
  { "list-inactive", 0, 0, G_OPTION_ARG_NONE, &opt_stats_inactive,
    N_("Only machines that are not active"), NULL },
  { "list-running", 0, 0, G_OPTION_ARG_NONE, &opt_stats_running,
    N_("Only running machines"), NULL },
  { "list-paused", 0, 0, G_OPTION_ARG_NONE, &opt_stats_paused,
    N_("Only paused machines"), NULL },
  { "list-shutoff", 0, 0, G_OPTION_ARG_NONE, &opt_stats_shutoff,
    N_("Only machines that are shut off"), NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
stats_filtered (void)
{
  return opt_stats_active || opt_stats_inactive || opt_stats_running ||
         opt_stats_paused || opt_stats_shutoff;
}

static gboolean
stats_wants (HangarMachine *machine)
{
  const char *state = hangar_machine_get_state (machine);
  gboolean active = hangarctl_machine_is_active (machine);

  if (!stats_filtered ())
    return TRUE;
  return (opt_stats_active && active) ||
         (opt_stats_inactive && !active) ||
         (opt_stats_running && g_strcmp0 (state, "running") == 0) ||
         (opt_stats_paused && g_strcmp0 (state, "paused") == 0) ||
         (opt_stats_shutoff && g_strcmp0 (state, "shutoff") == 0);
}

static void
print_stat (const char *key,
            GVariant   *dict,
            const char *dict_key)
{
  guint64 value;

  if (hangarctl_dict_get_u64 (dict, dict_key, &value))
    printf ("  %s=%" G_GUINT64_FORMAT "\n", key, value);
}

static void
print_stats_state (HangarMachine *machine,
                   GVariant      *stats)
{
  g_autofree char *state = hangarctl_dict_dup_string (stats, "state");

  printf ("  state.state=%d\n",
          hangarctl_state_to_number (state != NULL ? state : hangar_machine_get_state (machine)));
}

static void
print_stats_balloon (HangarMachine *machine,
                     GVariant      *stats)
{
  guint64 current = 0;

  if (!hangarctl_dict_get_u64 (stats, "memory-kib", &current) || current == 0)
    current = hangar_machine_get_memory_kib (machine);

  printf ("  balloon.current=%" G_GUINT64_FORMAT "\n", current);
  printf ("  balloon.maximum=%" G_GUINT64_FORMAT "\n", hangar_machine_get_memory_kib (machine));
  print_stat ("balloon.rss", stats, "memory-rss-kib");
}

static void
print_stats_vcpu (HangarMachine *machine,
                  GVariant      *stats)
{
  guint64 vcpus = hangar_machine_get_vcpus (machine);

  hangarctl_dict_get_u64 (stats, "vcpus", &vcpus);
  printf ("  vcpu.current=%" G_GUINT64_FORMAT "\n", vcpus);
  printf ("  vcpu.maximum=%u\n", hangar_machine_get_vcpus (machine));
}

/* "net" and "block": arrays of a{sv}, one per device. */
static void
print_stats_devices (GVariant    *stats,
                     const char  *array_key,
                     const char  *prefix,
                     const char **keys)
{
  g_autoptr(GVariant) devices = g_variant_lookup_value (stats, array_key,
                                                        G_VARIANT_TYPE ("aa{sv}"));
  gsize n = devices != NULL ? g_variant_n_children (devices) : 0;

  printf ("  %s.count=%" G_GSIZE_FORMAT "\n", prefix, n);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) device = g_variant_get_child_value (devices, i);

      for (gsize k = 0; keys[k] != NULL; k += 2)
        {
          g_autofree char *name = g_strdup_printf ("%s.%" G_GSIZE_FORMAT ".%s", prefix, i, keys[k]);
          g_autofree char *text = hangarctl_dict_dup_string (device, keys[k + 1]);

          if (text != NULL)
            printf ("  %s=%s\n", name, text);
          else
            print_stat (name, device, keys[k + 1]);
        }
    }
}

static const char *net_keys[] = {
  "name", "name", "mac", "mac",
  "rx.bytes", "rx-bytes", "tx.bytes", "tx-bytes",
  NULL
};

static const char *block_keys[] = {
  "name", "target",
  "rd.reqs", "read-requests", "rd.bytes", "read-bytes",
  "wr.reqs", "write-requests", "wr.bytes", "write-bytes",
  NULL
};

static void
print_domstats (HangarMachine *machine,
                GVariant      *stats)
{
  gboolean all = !(opt_stats_state || opt_stats_cpu || opt_stats_balloon ||
                   opt_stats_vcpu || opt_stats_interface || opt_stats_block);

  printf ("Domain: '%s'\n", hangarctl_machine_name (machine));
  if (all || opt_stats_state)
    print_stats_state (machine, stats);
  if (all || opt_stats_cpu)
    print_stat ("cpu.time", stats, "cpu-time-ns");
  if (all || opt_stats_balloon)
    print_stats_balloon (machine, stats);
  if (all || opt_stats_vcpu)
    print_stats_vcpu (machine, stats);
  if (all || opt_stats_interface)
    print_stats_devices (stats, "net", "net", net_keys);
  if (all || opt_stats_block)
    print_stats_devices (stats, "block", "block", block_keys);
  printf ("\n");
}

static GPtrArray *
domstats_machines (HangarctlContext  *ctx,
                   char             **args,
                   GError           **error)
{
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) machines = g_ptr_array_new_with_free_func (g_object_unref);

  if (args[0] != NULL && stats_filtered ())
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("--list-* options select machines: give either them or names"));
      return NULL;
    }

  for (guint i = 0; args[i] != NULL; i++)
    {
      HangarMachine *machine = hangarctl_lookup_machine (ctx, args[i], error);

      if (machine == NULL)
        return NULL;
      g_ptr_array_add (machines, machine);
    }
  if (args[0] != NULL)
    return g_steal_pointer (&machines);

  all = hangarctl_list_machines (ctx, error);
  if (all == NULL)
    return NULL;

  for (guint i = 0; i < all->len; i++)
    {
      if (stats_wants (g_ptr_array_index (all, i)))
        g_ptr_array_add (machines, g_object_ref (g_ptr_array_index (all, i)));
    }
  return g_steal_pointer (&machines);
}

static gboolean
run_domstats (HangarctlContext     *ctx,
              const HangarctlVerb  *verb G_GNUC_UNUSED,
              char                **args,
              GError              **error)
{
  g_autoptr(GPtrArray) machines = domstats_machines (ctx, args, error);

  if (machines == NULL)
    return FALSE;

  for (guint i = 0; i < machines->len; i++)
    {
      HangarMachine *machine = g_ptr_array_index (machines, i);
      g_autoptr(GVariant) stats = NULL;

      if (!hangar_machine_call_get_stats_sync (machine, &stats, NULL, error))
        return FALSE;
      print_domstats (machine, stats);
    }
  return TRUE;
}

/* console-log NAME [--bytes N], qemu-log NAME [--bytes N] */

typedef struct {
  gboolean (*call) (HangarMachine  *machine,
                    guint64         max_bytes,
                    GVariant      **data,
                    GCancellable   *cancellable,
                    GError        **error);
} LogKind;

static const LogKind console_log = { hangar_machine_call_get_console_log_sync };
static const LogKind qemu_log = { hangar_machine_call_get_qemu_log_sync };

static char *opt_log_bytes;

static const GOptionEntry log_options[] = {
  { "bytes", 0, 0, G_OPTION_ARG_STRING, &opt_log_bytes,
    N_("Show at most the last N bytes (K, M suffixes; default and limit: 1M)"), N_("N") },
  G_OPTION_ENTRY_NULL
};

static gboolean
run_log (HangarctlContext     *ctx,
         const HangarctlVerb  *verb,
         char                **args,
         GError              **error)
{
  const LogKind *kind = verb->data;
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(GVariant) data = NULL;
  guint64 max_bytes = 0;

  if (opt_log_bytes != NULL && !hangarctl_parse_size (opt_log_bytes, &max_bytes, error))
    return FALSE;

  machine = hangarctl_lookup_machine (ctx, args[0], error);
  if (machine == NULL)
    return FALSE;

  if (!kind->call (machine, max_bytes, &data, NULL, error))
    return FALSE;

  return hangarctl_write_bytes (data, error);
}

#define MACHINE N_("NAME")

static const HangarctlVerb verbs[] = {
  { "console-log", run_log, MACHINE, N_("Show what a guest wrote to its serial console"),
    log_options, 1, 1, &console_log },
  { "domblklist", run_domblklist, MACHINE, N_("List a machine’s disks"),
    domblklist_options, 1, 1, NULL },
  { "domifaddr", run_domifaddr, MACHINE, N_("Show the addresses a machine’s interfaces got"),
    domifaddr_options, 1, 1, NULL },
  { "domiflist", run_domiflist, MACHINE, N_("List a machine’s network interfaces"),
    domiflist_options, 1, 1, NULL },
  { "dominfo", run_dominfo, MACHINE, N_("Show facts about a machine"), NULL, 1, 1, NULL },
  { "domstate", run_domstate, MACHINE, N_("Show a machine’s state"),
    domstate_options, 1, 1, NULL },
  { "domstats", run_domstats, N_("[NAME…]"), N_("Show machines’ usage counters"),
    domstats_options, 0, G_MAXUINT, NULL },
  { "list", run_list, "", N_("List machines"), list_options, 0, 0, NULL },
  { "qemu-log", run_log, MACHINE, N_("Show what QEMU printed for a machine, with the engine’s notes"),
    log_options, 1, 1, &qemu_log },
  { NULL }
};

const HangarctlVerbGroup hangarctl_monitor_verbs = {
  N_("Domain monitoring"), verbs
};
