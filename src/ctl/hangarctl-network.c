/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangarctl"

#include "hangarctl.h"

#include "hangar-connection.h"
#include "hangard-error.h"

/* Virtual networks (virsh's net-* verbs) and putting a host interface in a
 * bridge (iface-bridge, iface-unbridge). A system engine's only. */

#define NETINFO_WIDTH 15
#define PROXY_FLAGS G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS

/* Finding networks */

static const char *
network_name (HangarNetwork *network)
{
  const char *name = hangar_network_get_name (network);

  return name != NULL ? name : "";
}

static const char *
network_uuid (HangarNetwork *network)
{
  const char *uuid = hangar_network_get_uuid (network);

  return uuid != NULL ? uuid : "";
}

/* The name to tell the user: the engine's, else what they typed. */
static const char *
display_name (HangarNetwork *network,
              const char    *typed)
{
  const char *name = network_name (network);

  return *name != '\0' ? name : typed;
}

static int
compare_networks (gconstpointer a,
                  gconstpointer b)
{
  const char *name_a = network_name (*(HangarNetwork * const *) a);
  const char *name_b = network_name (*(HangarNetwork * const *) b);
  int by_name = g_ascii_strcasecmp (name_a, name_b);

  return by_name != 0 ? by_name : strcmp (name_a, name_b);
}

/* Every network, by name as virsh sorts them. */
static GPtrArray *
list_networks (HangarctlContext  *ctx,
               GError           **error)
{
  GDBusObjectManager *object_manager = hangarctl_get_object_manager (ctx, error);
  g_autoptr(GPtrArray) networks = NULL;
  GList *objects;

  if (object_manager == NULL)
    return NULL;

  networks = g_ptr_array_new_with_free_func (g_object_unref);
  objects = g_dbus_object_manager_get_objects (object_manager);
  for (GList *l = objects; l != NULL; l = l->next)
    {
      HangarNetwork *network = hangar_object_get_network (HANGAR_OBJECT (l->data));

      if (network != NULL)
        g_ptr_array_add (networks, network);
    }
  g_list_free_full (objects, g_object_unref);

  g_ptr_array_sort (networks, compare_networks);
  return g_steal_pointer (&networks);
}

static HangarNetwork *
network_for_path (HangarctlContext  *ctx,
                  const char        *object_path,
                  GError           **error)
{
  if (hangarctl_get_manager (ctx, error) == NULL)
    return NULL;

  return hangar_network_proxy_new_sync (ctx->connection, PROXY_FLAGS,
                                        hangar_connection_get_engine_name (ctx->connection),
                                        object_path, NULL, error);
}

/* A network by name or UUID, as the engine resolves them. */
HangarNetwork *
hangarctl_lookup_network (HangarctlContext  *ctx,
                          const char        *name_or_uuid,
                          GError           **error)
{
  g_autofree char *path = NULL;
  HangarManager *manager;

  manager = hangarctl_get_manager (ctx, error);
  if (manager == NULL)
    return NULL;

  if (!hangar_manager_call_lookup_network_sync (manager, name_or_uuid, &path, NULL, error))
    return NULL;

  return network_for_path (ctx, path, error);
}

static const char *
yes_no (gboolean value)
{
  return value ? _("yes") : _("no");
}

/* Lifecycle verbs: one call, one line of virsh's output. */

typedef gboolean (*NetworkCall) (HangarNetwork  *network,
                                 GCancellable   *cancellable,
                                 GError        **error);

typedef struct {
  NetworkCall  call;
  const char  *done;   /* N_(), with the network's name */
} NetworkAction;

static const NetworkAction start_action   = { hangar_network_call_start_sync, N_("Network %s started") };
static const NetworkAction destroy_action = { hangar_network_call_stop_sync,  N_("Network %s destroyed") };

static gboolean
run_network_action (HangarctlContext     *ctx,
                    const HangarctlVerb  *verb,
                    char                **args,
                    GError              **error)
{
  const NetworkAction *action = verb->data;
  g_autoptr(HangarNetwork) network = hangarctl_lookup_network (ctx, args[0], error);

  if (network == NULL)
    return FALSE;

  hangarctl_set_lifecycle_timeout (network);
  if (!action->call (network, NULL, error))
    return FALSE;

  hangarctl_message (ctx, _(action->done), display_name (network, args[0]));
  return TRUE;
}

/* net-define FILE, and what net-define-as makes */

static HangarNetwork *
define_network (HangarctlContext  *ctx,
                const char        *xml,
                GError           **error)
{
  g_autofree char *path = NULL;
  HangarManager *manager = hangarctl_get_manager (ctx, error);

  if (manager == NULL)
    return NULL;

  hangarctl_set_lifecycle_timeout (manager);
  if (!hangar_manager_call_define_network_sync (manager, xml, &path, NULL, error))
    return NULL;

  return network_for_path (ctx, path, error);
}

static gboolean
run_net_define (HangarctlContext     *ctx,
                const HangarctlVerb  *verb G_GNUC_UNUSED,
                char                **args,
                GError              **error)
{
  g_autofree char *xml = NULL;
  g_autoptr(HangarNetwork) network = NULL;
  gsize length = 0;

  if (!g_file_get_contents (args[0], &xml, &length, error))
    return FALSE;
  if (!hangarctl_check_text (xml, length, args[0], error))
    return FALSE;

  network = define_network (ctx, xml, error);
  if (network == NULL)
    return FALSE;

  hangarctl_message (ctx, _("Network %s defined from %s"), display_name (network, args[0]), args[0]);
  return TRUE;
}

/* net-define-as NAME --forward nat|none|bridge [--bridge BR]
 *               [--address ADDRESS/PREFIX] [--dhcp-range START-END] [--print-xml]
 * Hangar's own: what a user would otherwise write in XML. */

static char *opt_define_as_forward;
static char *opt_define_as_bridge;
static char *opt_define_as_address;
static char *opt_define_as_dhcp_range;
static gboolean opt_define_as_print_xml;

static const GOptionEntry define_as_options[] = {
  { "forward", 0, 0, G_OPTION_ARG_STRING, &opt_define_as_forward,
    N_("nat (guests reach out through the host), none (isolated: the host only) or "
       "bridge (guests join the existing host bridge --bridge)"), N_("MODE") },
  { "bridge", 0, 0, G_OPTION_ARG_STRING, &opt_define_as_bridge,
    N_("nat, none: the name of the bridge the engine makes (default: one it picks); "
       "bridge: the existing host bridge"), N_("BRIDGE") },
  { "address", 0, 0, G_OPTION_ARG_STRING, &opt_define_as_address,
    N_("The host’s address on the network, with the subnet’s prefix: 192.168.100.1/24"),
    N_("ADDRESS/PREFIX") },
  { "dhcp-range", 0, 0, G_OPTION_ARG_STRING, &opt_define_as_dhcp_range,
    N_("The addresses DHCP hands out: 192.168.100.10-192.168.100.99"), N_("START-END") },
  { "print-xml", 0, 0, G_OPTION_ARG_NONE, &opt_define_as_print_xml,
    N_("Print the XML definition instead of defining the network"), NULL },
  G_OPTION_ENTRY_NULL
};

/* "TEXT" split at its one @separator into two non-empty halves. */
static gboolean
split_pair (const char  *text,
            char         separator,
            char       **first,
            char       **second)
{
  const char *at = strchr (text, separator);

  if (at == NULL || at == text || at[1] == '\0' || strchr (at + 1, separator) != NULL)
    return FALSE;

  *first = g_strndup (text, at - text);
  *second = g_strdup (at + 1);
  return TRUE;
}

static gboolean
check_forward_mode (const char  *forward,
                    GError     **error)
{
  static const char * const modes[] = { "nat", "none", "bridge", NULL };

  if (forward == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("Missing the forward mode: give --forward nat, none or bridge"));
      return FALSE;
    }
  if (!g_strv_contains (modes, forward))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("Unknown forward mode “%s”: give nat, none or bridge"), forward);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_define_as_options (GError **error)
{
  if (!check_forward_mode (opt_define_as_forward, error))
    return FALSE;

  if (g_str_equal (opt_define_as_forward, "bridge") &&
      (opt_define_as_address != NULL || opt_define_as_dhcp_range != NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("A bridge network uses the host bridge’s own addresses: "
                     "--address and --dhcp-range are for nat and none"));
      return FALSE;
    }
  if (g_str_equal (opt_define_as_forward, "bridge") && opt_define_as_bridge == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("Missing the host bridge: give --bridge BRIDGE with --forward bridge"));
      return FALSE;
    }
  if (opt_define_as_dhcp_range != NULL && opt_define_as_address == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("--dhcp-range needs --address: the range lies in the host’s subnet"));
      return FALSE;
    }
  return TRUE;
}

/* <ip address='…' prefix='…'> with its <dhcp>, from --address and --dhcp-range. */
static gboolean
append_ip_xml (GString  *xml,
               GError  **error)
{
  g_autofree char *address = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *start = NULL;
  g_autofree char *end = NULL;
  g_autofree char *ip = NULL;
  g_autofree char *range = NULL;

  if (!split_pair (opt_define_as_address, '/', &address, &prefix))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("Invalid address “%s”: give ADDRESS/PREFIX, e.g. 192.168.100.1/24"),
                   opt_define_as_address);
      return FALSE;
    }
  if (opt_define_as_dhcp_range != NULL &&
      !split_pair (opt_define_as_dhcp_range, '-', &start, &end))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("Invalid DHCP range “%s”: give START-END, e.g. "
                     "192.168.100.10-192.168.100.99"), opt_define_as_dhcp_range);
      return FALSE;
    }

  ip = g_markup_printf_escaped ("  <ip address='%s' prefix='%s'", address, prefix);
  g_string_append (xml, ip);
  if (start == NULL)
    {
      g_string_append (xml, "/>\n");
      return TRUE;
    }
  range = g_markup_printf_escaped ("      <range start='%s' end='%s'/>\n", start, end);
  g_string_append (xml, ">\n    <dhcp>\n");
  g_string_append (xml, range);
  g_string_append (xml, "    </dhcp>\n  </ip>\n");
  return TRUE;
}

static char *
build_network_xml (const char  *name,
                   GError     **error)
{
  g_autoptr(GString) xml = g_string_new ("<network>\n");
  g_autofree char *name_element = g_markup_printf_escaped ("  <name>%s</name>\n", name);

  if (!check_define_as_options (error))
    return NULL;

  g_string_append (xml, name_element);
  if (!g_str_equal (opt_define_as_forward, "none"))
    {
      g_autofree char *forward = g_markup_printf_escaped ("  <forward mode='%s'/>\n",
                                                          opt_define_as_forward);
      g_string_append (xml, forward);
    }
  if (opt_define_as_bridge != NULL)
    {
      g_autofree char *bridge = g_markup_printf_escaped ("  <bridge name='%s'/>\n",
                                                         opt_define_as_bridge);
      g_string_append (xml, bridge);
    }
  if (opt_define_as_address != NULL && !append_ip_xml (xml, error))
    return NULL;
  g_string_append (xml, "</network>\n");

  if (!hangarctl_check_text (xml->str, xml->len, _("The network’s definition"), error))
    return NULL;
  return g_string_free (g_steal_pointer (&xml), FALSE);
}

static gboolean
run_net_define_as (HangarctlContext     *ctx,
                   const HangarctlVerb  *verb G_GNUC_UNUSED,
                   char                **args,
                   GError              **error)
{
  g_autofree char *xml = build_network_xml (args[0], error);
  g_autoptr(HangarNetwork) network = NULL;

  if (xml == NULL)
    return FALSE;

  if (opt_define_as_print_xml)
    {
      fputs (xml, stdout);
      return TRUE;
    }

  network = define_network (ctx, xml, error);
  if (network == NULL)
    return FALSE;

  hangarctl_message (ctx, _("Network %s defined"), display_name (network, args[0]));
  return TRUE;
}

/* net-undefine NETWORK */

static gboolean
run_net_undefine (HangarctlContext     *ctx,
                  const HangarctlVerb  *verb G_GNUC_UNUSED,
                  char                **args,
                  GError              **error)
{
  g_autoptr(HangarNetwork) network = hangarctl_lookup_network (ctx, args[0], error);
  g_autofree char *name = NULL;

  if (network == NULL)
    return FALSE;

  name = g_strdup (display_name (network, args[0]));
  hangarctl_set_lifecycle_timeout (network);
  if (!hangar_network_call_undefine_sync (network, g_variant_new ("a{sv}", NULL), NULL, error))
    return FALSE;

  hangarctl_message (ctx, _("Network %s has been undefined"), name);
  return TRUE;
}

/* net-autostart NETWORK [--disable] */

static gboolean opt_autostart_disable;

static const GOptionEntry autostart_options[] = {
  { "disable", 0, 0, G_OPTION_ARG_NONE, &opt_autostart_disable,
    N_("Do not start the network with the engine"), NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
run_net_autostart (HangarctlContext     *ctx,
                   const HangarctlVerb  *verb G_GNUC_UNUSED,
                   char                **args,
                   GError              **error)
{
  g_autoptr(HangarNetwork) network = hangarctl_lookup_network (ctx, args[0], error);

  if (network == NULL)
    return FALSE;

  if (!hangar_network_call_set_autostart_sync (network, !opt_autostart_disable, NULL, error))
    return FALSE;

  if (opt_autostart_disable)
    hangarctl_message (ctx, _("Network %s unmarked as autostarted"), display_name (network, args[0]));
  else
    hangarctl_message (ctx, _("Network %s marked as autostarted"), display_name (network, args[0]));
  return TRUE;
}

/* net-list [--all] [--inactive] [--autostart] [--no-autostart] [--name] [--uuid] */

static gboolean opt_list_all;
static gboolean opt_list_inactive;
static gboolean opt_list_autostart;
static gboolean opt_list_no_autostart;
static gboolean opt_list_name;
static gboolean opt_list_uuid;

static const GOptionEntry list_options[] = {
  { "all", 0, 0, G_OPTION_ARG_NONE, &opt_list_all,
    N_("List all networks, not only the active ones"), NULL },
  { "inactive", 0, 0, G_OPTION_ARG_NONE, &opt_list_inactive,
    N_("List only the networks that are not active"), NULL },
  { "autostart", 0, 0, G_OPTION_ARG_NONE, &opt_list_autostart,
    N_("List only the networks that start with the engine"), NULL },
  { "no-autostart", 0, 0, G_OPTION_ARG_NONE, &opt_list_no_autostart,
    N_("List only the networks that do not start with the engine"), NULL },
  { "name", 0, 0, G_OPTION_ARG_NONE, &opt_list_name,
    N_("Print only the names, one a line"), NULL },
  { "uuid", 0, 0, G_OPTION_ARG_NONE, &opt_list_uuid,
    N_("Print only the UUIDs, one a line (with --name: UUID and name)"), NULL },
  G_OPTION_ENTRY_NULL
};

static gboolean
list_wants (HangarNetwork *network)
{
  gboolean active = hangar_network_get_active (network);
  gboolean autostart = hangar_network_get_autostart (network);

  if (opt_list_autostart != opt_list_no_autostart && autostart != opt_list_autostart)
    return FALSE;
  if (opt_list_all)
    return TRUE;
  return opt_list_inactive ? !active : active;
}

static void
print_list_plain (HangarNetwork *network)
{
  if (opt_list_uuid && opt_list_name)
    printf ("%-36s %s\n", network_uuid (network), network_name (network));
  else if (opt_list_uuid)
    printf ("%s\n", network_uuid (network));
  else
    printf ("%s\n", network_name (network));
}

static gboolean
run_net_list (HangarctlContext     *ctx,
              const HangarctlVerb  *verb G_GNUC_UNUSED,
              char                **args G_GNUC_UNUSED,
              GError              **error)
{
  g_autoptr(GPtrArray) networks = list_networks (ctx, error);
  g_autoptr(HangarctlTable) table = NULL;
  gboolean plain = opt_list_name || opt_list_uuid;

  if (networks == NULL)
    return FALSE;

  table = hangarctl_table_new (4, _("Name"), _("State"), _("Autostart"), _("Persistent"));
  for (guint i = 0; i < networks->len; i++)
    {
      HangarNetwork *network = g_ptr_array_index (networks, i);

      if (!list_wants (network))
        continue;
      if (plain)
        print_list_plain (network);
      else
        hangarctl_table_add_row (table, network_name (network),
                                 hangar_network_get_active (network) ? _("active") : _("inactive"),
                                 yes_no (hangar_network_get_autostart (network)), _("yes"));
    }

  if (!plain)
    hangarctl_table_print (table, !ctx->quiet, stdout);
  return TRUE;
}

/* net-info NETWORK */

static gboolean
run_net_info (HangarctlContext     *ctx,
              const HangarctlVerb  *verb G_GNUC_UNUSED,
              char                **args,
              GError              **error)
{
  g_autoptr(HangarNetwork) network = hangarctl_lookup_network (ctx, args[0], error);
  const char *bridge;

  if (network == NULL)
    return FALSE;

  bridge = hangar_network_get_bridge (network);
  hangarctl_print_field (NETINFO_WIDTH, _("Name:"), "%s", network_name (network));
  hangarctl_print_field (NETINFO_WIDTH, _("UUID:"), "%s", network_uuid (network));
  hangarctl_print_field (NETINFO_WIDTH, _("Active:"), "%s", yes_no (hangar_network_get_active (network)));
  hangarctl_print_field (NETINFO_WIDTH, _("Persistent:"), "%s", _("yes"));
  hangarctl_print_field (NETINFO_WIDTH, _("Autostart:"), "%s",
                         yes_no (hangar_network_get_autostart (network)));
  if (bridge != NULL && *bridge != '\0')
    hangarctl_print_field (NETINFO_WIDTH, _("Bridge:"), "%s", bridge);
  return TRUE;
}

/* net-dumpxml NETWORK */

static gboolean
run_net_dumpxml (HangarctlContext     *ctx,
                 const HangarctlVerb  *verb G_GNUC_UNUSED,
                 char                **args,
                 GError              **error)
{
  g_autoptr(HangarNetwork) network = hangarctl_lookup_network (ctx, args[0], error);
  g_autofree char *xml = NULL;

  if (network == NULL)
    return FALSE;

  if (!hangar_network_call_get_xml_sync (network, g_variant_new ("a{sv}", NULL), &xml, NULL, error))
    return FALSE;

  fputs (xml, stdout);
  if (*xml != '\0' && !g_str_has_suffix (xml, "\n"))
    fputc ('\n', stdout);
  return TRUE;
}

/* net-uuid NETWORK, net-name UUID */

static gboolean
run_net_uuid (HangarctlContext     *ctx,
              const HangarctlVerb  *verb G_GNUC_UNUSED,
              char                **args,
              GError              **error)
{
  g_autoptr(HangarNetwork) network = hangarctl_lookup_network (ctx, args[0], error);

  if (network == NULL)
    return FALSE;

  printf ("%s\n", network_uuid (network));
  return TRUE;
}

static gboolean
run_net_name (HangarctlContext     *ctx,
              const HangarctlVerb  *verb G_GNUC_UNUSED,
              char                **args,
              GError              **error)
{
  g_autoptr(HangarNetwork) network = hangarctl_lookup_network (ctx, args[0], error);

  if (network == NULL)
    return FALSE;

  printf ("%s\n", network_name (network));
  return TRUE;
}

/* net-dhcp-leases NETWORK [--mac MAC] */

static char *opt_leases_mac;

static const GOptionEntry leases_options[] = {
  { "mac", 0, 0, G_OPTION_ARG_STRING, &opt_leases_mac,
    N_("Show only the lease of this MAC address"), N_("MAC") },
  G_OPTION_ENTRY_NULL
};

/* "2024-05-01 13:45:00" in local time, as virsh shows it; 0 is a lease
 * that never expires. */
static char *
format_expiry (gint64 expiry)
{
  g_autoptr(GDateTime) time = NULL;

  if (expiry <= 0)
    return g_strdup (_("never"));

  time = g_date_time_new_from_unix_local (expiry);
  if (time == NULL)
    return g_strdup ("-");
  return g_date_time_format (time, "%Y-%m-%d %H:%M:%S");
}

static const char *
dash_if_empty (const char *text)
{
  return text != NULL && *text != '\0' ? text : "-";
}

static void
add_lease_row (HangarctlTable *table,
               GVariant       *lease)
{
  const char *mac = "";
  const char *ip = "";
  const char *hostname = "";
  gint64 expiry = 0;
  g_autofree char *expiry_text = NULL;

  g_variant_lookup (lease, "mac", "&s", &mac);
  g_variant_lookup (lease, "ip", "&s", &ip);
  g_variant_lookup (lease, "hostname", "&s", &hostname);
  g_variant_lookup (lease, "expiry", "x", &expiry);

  if (opt_leases_mac != NULL && g_ascii_strcasecmp (mac, opt_leases_mac) != 0)
    return;

  expiry_text = format_expiry (expiry);
  hangarctl_table_add_row (table, expiry_text, dash_if_empty (mac), "ipv4", dash_if_empty (ip),
                           dash_if_empty (hostname), "-");
}

static gboolean
run_net_dhcp_leases (HangarctlContext     *ctx,
                     const HangarctlVerb  *verb G_GNUC_UNUSED,
                     char                **args,
                     GError              **error)
{
  g_autoptr(HangarNetwork) network = hangarctl_lookup_network (ctx, args[0], error);
  g_autoptr(GVariant) leases = NULL;
  g_autoptr(HangarctlTable) table = NULL;
  GVariantIter iter;
  GVariant *lease;

  if (network == NULL)
    return FALSE;

  if (!hangar_network_call_get_dhcp_leases_sync (network, &leases, NULL, error))
    return FALSE;

  table = hangarctl_table_new (6, _("Expiry Time"), _("MAC address"), _("Protocol"),
                               _("IP address"), _("Hostname"), _("Client ID or DUID"));
  g_variant_iter_init (&iter, leases);
  while ((lease = g_variant_iter_next_value (&iter)) != NULL)
    {
      add_lease_row (table, lease);
      g_variant_unref (lease);
    }

  hangarctl_table_print (table, !ctx->quiet, stdout);
  return TRUE;
}

/* iface-bridge INTERFACE BRIDGE, iface-unbridge BRIDGE */

static gboolean
run_iface_bridge (HangarctlContext     *ctx,
                  const HangarctlVerb  *verb G_GNUC_UNUSED,
                  char                **args,
                  GError              **error)
{
  HangarManager *manager = hangarctl_get_manager (ctx, error);

  if (manager == NULL)
    return FALSE;

  hangarctl_set_lifecycle_timeout (manager);
  if (!hangar_manager_call_bridge_interface_sync (manager, args[0], args[1], NULL, error))
    return FALSE;

  hangarctl_message (ctx, _("Created bridge %s with attached device %s"), args[1], args[0]);
  return TRUE;
}

/* virsh names the device it detached; the engine does not say which one
 * it gave the bridge's addresses back to. */
static gboolean
run_iface_unbridge (HangarctlContext     *ctx,
                    const HangarctlVerb  *verb G_GNUC_UNUSED,
                    char                **args,
                    GError              **error)
{
  HangarManager *manager = hangarctl_get_manager (ctx, error);

  if (manager == NULL)
    return FALSE;

  hangarctl_set_lifecycle_timeout (manager);
  if (!hangar_manager_call_unbridge_interface_sync (manager, args[0], NULL, error))
    return FALSE;

  hangarctl_message (ctx, _("Device un-attached from bridge %s"), args[0]);
  return TRUE;
}

#define NETWORK N_("NETWORK")

static const HangarctlVerb network_verbs[] = {
  { "net-autostart", run_net_autostart, NETWORK, N_("Start a network when the engine starts"),
    autostart_options, 1, 1, NULL },
  { "net-define", run_net_define, N_("FILE"), N_("Define (but don’t start) a network from an XML file"),
    NULL, 1, 1, NULL },
  { "net-define-as", run_net_define_as, N_("NAME"),
    N_("Define (but don’t start) a network: --forward nat|none|bridge, --address, --dhcp-range"),
    define_as_options, 1, 1, NULL },
  { "net-destroy", run_network_action, NETWORK, N_("Stop a network"),
    NULL, 1, 1, &destroy_action },
  { "net-dhcp-leases", run_net_dhcp_leases, NETWORK, N_("List the addresses a network’s DHCP handed out"),
    leases_options, 1, 1, NULL },
  { "net-dumpxml", run_net_dumpxml, NETWORK, N_("Show a network’s definition in XML"),
    NULL, 1, 1, NULL },
  { "net-info", run_net_info, NETWORK, N_("Show facts about a network"), NULL, 1, 1, NULL },
  { "net-list", run_net_list, "", N_("List networks"), list_options, 0, 0, NULL },
  { "net-name", run_net_name, N_("UUID"), N_("Show the name of the network with a UUID"),
    NULL, 1, 1, NULL },
  { "net-start", run_network_action, NETWORK, N_("Start a network"),
    NULL, 1, 1, &start_action },
  { "net-undefine", run_net_undefine, NETWORK, N_("Remove a network’s definition"),
    NULL, 1, 1, NULL },
  { "net-uuid", run_net_uuid, NETWORK, N_("Show a network’s UUID"), NULL, 1, 1, NULL },
  { NULL }
};

const HangarctlVerbGroup hangarctl_network_verbs = {
  N_("Virtual networks"), network_verbs
};

static const HangarctlVerb interface_verbs[] = {
  { "iface-bridge", run_iface_bridge, N_("INTERFACE BRIDGE"),
    N_("Make a bridge and move a host interface, with its addresses, into it"),
    NULL, 2, 2, NULL },
  { "iface-unbridge", run_iface_unbridge, N_("BRIDGE"),
    N_("Undo iface-bridge: give the addresses back to the interface, remove the bridge"),
    NULL, 1, 1, NULL },
  { NULL }
};

const HangarctlVerbGroup hangarctl_interface_verbs = {
  N_("Host interfaces"), interface_verbs
};
