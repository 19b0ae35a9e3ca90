/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-dnsmasq"

#include "hangard-dnsmasq.h"
#include "hangard-error.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>

#define PID_FILE "dnsmasq.pid"
#define LEASE_FILE "dnsmasq.leases"
#define TABLE_PREFIX "hangar_"
/* How long dnsmasq may take to write its pid file, and to end. */
#define START_TIMEOUT_US (5 * G_USEC_PER_SEC)
#define STOP_TIMEOUT_US (3 * G_USEC_PER_SEC)
#define POLL_INTERVAL_US (50 * 1000)
/* The lease time dnsmasq gives; a guest renews it at half. */
#define LEASE_TIME "1h"

void
hangard_dhcp_lease_free (HangardDhcpLease *lease)
{
  if (lease == NULL)
    return;
  g_free (lease->mac);
  g_free (lease->ip);
  g_free (lease->hostname);
  g_free (lease);
}

/* ---- The dnsmasq process -------------------------------------------------- */

static GPid
read_pid (const char *state_dir)
{
  g_autofree char *path = g_build_filename (state_dir, PID_FILE, NULL);
  g_autofree char *text = NULL;
  guint64 pid = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL) ||
      !g_ascii_string_to_unsigned (g_strstrip (text), 10, 2, G_MAXINT32, &pid, NULL))
    return 0;
  return (GPid) pid;
}

/* Whether `pid` is a live dnsmasq serving `bridge`: a pid file can outlive
 * its process and the pid be reused, so its command line is checked. A
 * zombie has an empty command line and does not count. */
static gboolean
pid_is_dnsmasq_for (GPid        pid,
                    const char *bridge)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", pid);
  g_autofree char *cmdline = NULL;
  g_autofree char *interface_arg = g_strconcat ("--interface=", bridge, NULL);
  g_autofree char *program = NULL;
  gsize length = 0;
  gboolean for_bridge = FALSE;

  if (pid <= 1 || !g_file_get_contents (path, &cmdline, &length, NULL) || length == 0)
    return FALSE;
  program = g_path_get_basename (cmdline);
  for (gsize at = strlen (cmdline) + 1; at < length; at += strlen (cmdline + at) + 1)
    if (strcmp (cmdline + at, interface_arg) == 0)
      for_bridge = TRUE;
  return strcmp (program, "dnsmasq") == 0 && for_bridge;
}

gboolean
hangard_dnsmasq_is_running (const char *state_dir,
                            const char *bridge)
{
  return pid_is_dnsmasq_for (read_pid (state_dir), bridge);
}

/* Polls until `pid` is no longer `bridge`'s dnsmasq, for at most `timeout`. */
static gboolean
wait_gone (GPid        pid,
           const char *bridge,
           gint64      timeout)
{
  gint64 deadline = g_get_monotonic_time () + timeout;

  while (pid_is_dnsmasq_for (pid, bridge))
    {
      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      g_usleep (POLL_INTERVAL_US);
    }
  return TRUE;
}

void
hangard_dnsmasq_stop (const char *state_dir,
                      const char *bridge)
{
  g_autofree char *pid_path = g_build_filename (state_dir, PID_FILE, NULL);
  GPid pid = read_pid (state_dir);

  if (pid_is_dnsmasq_for (pid, bridge))
    {
      kill (pid, SIGTERM);
      if (!wait_gone (pid, bridge, STOP_TIMEOUT_US))
        {
          g_warning ("dnsmasq (pid %d) for %s ignored SIGTERM; killing it", pid, bridge);
          kill (pid, SIGKILL);
          wait_gone (pid, bridge, STOP_TIMEOUT_US);
        }
      g_message ("Stopped dnsmasq for %s", bridge);
    }
  /* dnsmasq leaves its pid file behind (it has dropped root by then). */
  g_unlink (pid_path);
}

static void
add_printf (GStrvBuilder *builder,
            const char   *format,
            ...) G_GNUC_PRINTF (2, 3);

static void
add_printf (GStrvBuilder *builder,
            const char   *format,
            ...)
{
  g_autofree char *arg = NULL;
  va_list ap;

  va_start (ap, format);
  arg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_strv_builder_add (builder, arg);
}

/* The static hosts, as --dhcp-host=MAC,IP[,NAME] arguments. Not a
 * --dhcp-hostsfile: dnsmasq reads that only after dropping to 'nobody',
 * who cannot get into the engine's private state directory; the command
 * line is read while still root. A name that is not a plain host name is
 * left out rather than let a ',' change the argument's meaning. */
static void
add_static_hosts (GStrvBuilder      *argv,
                  HangardNetworkDef *def)
{
  for (guint i = 0; i < def->hosts->len; i++)
    {
      HangardDhcpHost *host = g_ptr_array_index (def->hosts, i);
      g_autofree char *ip = hangard_ipv4_to_string (host->ip);
      gboolean plain_name = host->name != NULL && *host->name != '\0';

      for (const char *p = host->name; plain_name && *p != '\0'; p++)
        plain_name = g_ascii_isalnum (*p) || *p == '-' || *p == '.' || *p == '_';
      if (plain_name)
        add_printf (argv, "--dhcp-host=%s,%s,%s", host->mac, ip, host->name);
      else
        add_printf (argv, "--dhcp-host=%s,%s", host->mac, ip);
    }
}

static GStrv
dnsmasq_argv (HangardNetworkDef *def,
              const char        *state_dir)
{
  g_autoptr(GStrvBuilder) argv = g_strv_builder_new ();
  g_autofree char *address = hangard_ipv4_to_string (def->address);

  g_strv_builder_add_many (argv, "dnsmasq",
                           "--conf-file=/dev/null",
                           "--bind-interfaces",
                           NULL);
  add_printf (argv, "--interface=%s", def->bridge_name);
  g_strv_builder_add (argv, "--except-interface=lo");
  add_printf (argv, "--listen-address=%s", address);
  /* DNS: the guests' names from DHCP, everything else forwarded to the
   * host's resolvers (/etc/resolv.conf, as libvirt does) in their order;
   * not the host's /etc/hosts. */
  g_strv_builder_add_many (argv, "--strict-order", "--no-hosts", NULL);
  add_printf (argv, "--pid-file=%s/%s", state_dir, PID_FILE);
  add_printf (argv, "--dhcp-leasefile=%s/%s", state_dir, LEASE_FILE);

  if (def->has_dhcp)
    {
      g_autofree char *start = hangard_ipv4_to_string (def->dhcp_start);
      g_autofree char *end = hangard_ipv4_to_string (def->dhcp_end);
      g_autofree char *netmask = hangard_ipv4_to_string (hangard_ipv4_netmask (def->prefix));

      add_printf (argv, "--dhcp-range=%s,%s,%s,%s", start, end, netmask, LEASE_TIME);
      add_static_hosts (argv, def);
      /* dnsmasq's default cap is 1000 leases, less than a /16's range. */
      add_printf (argv, "--dhcp-lease-max=%u", def->dhcp_end - def->dhcp_start + 1 + def->hosts->len);
      /* The only DHCP server on this bridge: answer a guest that asks for
       * a lease from another network at once instead of ignoring it; and
       * no PXE fields, so the DHCP options have the whole packet. */
      g_strv_builder_add_many (argv, "--dhcp-authoritative", "--dhcp-no-override", NULL);
    }
  return g_strv_builder_end (argv);
}

/* Waits for the daemon's pid file: dnsmasq's parent returns once the
 * daemon is set up, but the file may come an instant later. */
static gboolean
wait_for_pid_file (const char  *state_dir,
                   const char  *bridge,
                   GError     **error)
{
  gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_US;

  while (!hangard_dnsmasq_is_running (state_dir, bridge))
    {
      if (g_get_monotonic_time () >= deadline)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                       _("dnsmasq for %s did not come up within %d seconds"),
                       bridge, (int) (START_TIMEOUT_US / G_USEC_PER_SEC));
          return FALSE;
        }
      g_usleep (POLL_INTERVAL_US);
    }
  return TRUE;
}

gboolean
hangard_dnsmasq_start (HangardNetworkDef  *def,
                       const char         *state_dir,
                       GError            **error)
{
  g_autofree char *pid_path = g_build_filename (state_dir, PID_FILE, NULL);
  g_autofree char *std_err = NULL;
  g_autoptr(GError) spawn_error = NULL;
  g_auto(GStrv) argv = NULL;
  int status = 0;

  if (!hangard_ifname_is_valid (def->bridge_name, error))
    return FALSE;
  if (!def->has_ip)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("Network '%s' has no IP address for dnsmasq to serve on"), def->name);
      return FALSE;
    }
  if (hangard_dnsmasq_is_running (state_dir, def->bridge_name))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("dnsmasq is already running for %s"), def->bridge_name);
      return FALSE;
    }
  if (g_mkdir_with_parents (state_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot create %s: %s"),
                   state_dir, g_strerror (saved_errno));
      return FALSE;
    }
  /* A stale pid file would pass for the new daemon's. */
  g_unlink (pid_path);

  /* dnsmasq daemonizes (and calls setsid()), so it outlives the engine; its
   * parent exits once the daemon has its sockets, reporting failures on
   * stderr. It reads its arguments, writes its pid file and opens the
   * lease file as root, then drops to the user 'nobody' (keeping the lease
   * file open, and CAP_NET_ADMIN/CAP_NET_RAW for DHCP): the state
   * directory can stay root's and private. GLib closes every other
   * fd in the child, so the daemon holds none of the engine's. */
  argv = dnsmasq_argv (def, state_dir);
  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &std_err, &status, &spawn_error) ||
      !g_spawn_check_wait_status (status, &spawn_error))
    {
      const char *message = std_err != NULL ? g_strstrip (std_err) : "";

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("dnsmasq for %s failed to start: %s"),
                   def->bridge_name, *message != '\0' ? message : spawn_error->message);
      return FALSE;
    }
  if (!wait_for_pid_file (state_dir, def->bridge_name, error))
    return FALSE;
  g_message ("Started dnsmasq for %s (pid %d)", def->bridge_name, read_pid (state_dir));
  return TRUE;
}

GPtrArray *
hangard_dnsmasq_read_leases (const char *state_dir)
{
  g_autofree char *path = g_build_filename (state_dir, LEASE_FILE, NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *leases = g_ptr_array_new_with_free_func ((GDestroyNotify) hangard_dhcp_lease_free);

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return leases;
  /* "EXPIRY MAC IP HOSTNAME CLIENT-ID", HOSTNAME "*" when none; IPv6 lines
   * (after a "duid" line) have an IAID where the MAC is and are skipped. */
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], " ", -1);
      HangardDhcpLease *lease;
      gint64 expiry;

      if (g_strv_length (fields) < 4 || strchr (fields[1], ':') == NULL ||
          !hangard_ipv4_parse (fields[2], NULL))
        continue;
      expiry = g_ascii_strtoll (fields[0], NULL, 10);
      lease = g_new0 (HangardDhcpLease, 1);
      lease->expiry = expiry;
      lease->mac = g_ascii_strdown (fields[1], -1);
      lease->ip = g_strdup (fields[2]);
      lease->hostname = g_strdup (strcmp (fields[3], "*") == 0 ? "" : fields[3]);
      g_ptr_array_add (leases, lease);
    }
  return leases;
}

/* ---- nftables ------------------------------------------------------------- */

/* nft 1.0.6 takes every character hangard_ifname_is_valid() allows in a
 * table name, so the bridge name is used as it is and read back from the
 * table's name. */
static char *
table_name (const char *bridge)
{
  return g_strconcat (TABLE_PREFIX, bridge, NULL);
}

/* Runs nft with `ruleset` on its stdin (or, if NULL, `args`). One nft -f
 * is one transaction: all of it applies or none. */
static gboolean
run_nft (const char * const  *args,
         const char          *ruleset,
         char               **out,
         GError             **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) nft = NULL;
  g_autofree char *std_out = NULL;
  g_autofree char *std_err = NULL;
  g_autoptr(GError) local_error = NULL;
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE;

  if (ruleset != NULL)
    flags |= G_SUBPROCESS_FLAGS_STDIN_PIPE;
  launcher = g_subprocess_launcher_new (flags);
  nft = g_subprocess_launcher_spawnv (launcher, args, &local_error);
  if (nft == NULL ||
      !g_subprocess_communicate_utf8 (nft, ruleset, NULL, &std_out, &std_err, &local_error))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, "nft: %s", local_error->message);
      return FALSE;
    }
  if (!g_subprocess_get_successful (nft))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, "nft: %s",
                   std_err != NULL ? g_strstrip (std_err) : "");
      return FALSE;
    }
  if (out != NULL)
    *out = g_steal_pointer (&std_out);
  return TRUE;
}

static gboolean
run_nft_script (const char  *ruleset,
                GError     **error)
{
  const char * const args[] = { "nft", "-f", "-", NULL };

  return run_nft (args, ruleset, NULL, error);
}

/* Adding the table before deleting it makes the delete succeed when there
 * is none, so replacing is one transaction either way. */
static void
append_table_reset (GString    *ruleset,
                    const char *table)
{
  g_string_append_printf (ruleset, "table ip %s\ndelete table ip %s\n", table, table);
}

/* The forward chain follows libvirt: traffic within the bridge passes; with
 * NAT the subnet may go out and the replies come back in; anything else
 * into or out of the bridge is rejected, which is what keeps an isolated
 * network isolated when the host forwards (another network's NAT turns
 * ip_forward on). An accept here cannot override another table's drop.
 * nft 1.0.6 wants a ';' or newline before each '}'. */
static char *
network_ruleset (const char *bridge,
                 const char *table,
                 const char *subnet,
                 gboolean    masquerade)
{
  GString *ruleset = g_string_new (NULL);

  append_table_reset (ruleset, table);
  g_string_append_printf (ruleset, "table ip %s {\n", table);
  g_string_append_printf (ruleset, "\tcomment \"Hangar: the virtual network on %s\"\n", bridge);
  g_string_append (ruleset,
                   "\tchain forward {\n"
                   "\t\ttype filter hook forward priority 0; policy accept;\n");
  g_string_append_printf (ruleset, "\t\tiifname \"%s\" oifname \"%s\" accept\n", bridge, bridge);
  if (masquerade)
    {
      g_string_append_printf (ruleset, "\t\tiifname \"%s\" ip saddr %s accept\n", bridge, subnet);
      g_string_append_printf (ruleset, "\t\toifname \"%s\" ip daddr %s ct state established,related accept\n",
                              bridge, subnet);
    }
  g_string_append_printf (ruleset, "\t\tiifname \"%s\" reject\n", bridge);
  g_string_append_printf (ruleset, "\t\toifname \"%s\" reject\n", bridge);
  g_string_append (ruleset, "\t}\n");

  if (masquerade)
    {
      /* Multicast and broadcast stay on the link, unmasqueraded. */
      g_string_append (ruleset,
                       "\tchain postrouting {\n"
                       "\t\ttype nat hook postrouting priority 100; policy accept;\n");
      g_string_append_printf (ruleset, "\t\tip saddr %s ip daddr 224.0.0.0/24 return\n", subnet);
      g_string_append_printf (ruleset, "\t\tip saddr %s ip daddr 255.255.255.255 return\n", subnet);
      g_string_append_printf (ruleset, "\t\tip saddr %s ip daddr != %s masquerade\n", subnet, subnet);
      g_string_append (ruleset, "\t}\n");
    }
  g_string_append (ruleset, "}\n");
  return g_string_free (ruleset, FALSE);
}

gboolean
hangard_nft_add_network_table (const char  *bridge,
                               guint32      subnet,
                               guint        prefix,
                               gboolean     masquerade,
                               GError     **error)
{
  g_autofree char *table = NULL;
  g_autofree char *network = NULL;
  g_autofree char *subnet_text = NULL;
  g_autofree char *ruleset = NULL;

  if (!hangard_ifname_is_valid (bridge, error))
    return FALSE;
  if (prefix > 32)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("%u is not an IPv4 prefix length"), prefix);
      return FALSE;
    }
  table = table_name (bridge);
  network = hangard_ipv4_to_string (subnet & hangard_ipv4_netmask (prefix));
  subnet_text = g_strdup_printf ("%s/%u", network, prefix);
  ruleset = network_ruleset (bridge, table, subnet_text, masquerade);
  if (!run_nft_script (ruleset, error))
    {
      g_prefix_error (error, _("Cannot set up the firewall table %s: "), table);
      return FALSE;
    }
  return TRUE;
}

gboolean
hangard_nft_delete_network_table (const char  *bridge,
                                  GError     **error)
{
  g_autofree char *table = NULL;
  g_autoptr(GString) ruleset = g_string_new (NULL);

  if (!hangard_ifname_is_valid (bridge, error))
    return FALSE;
  table = table_name (bridge);
  append_table_reset (ruleset, table);
  if (!run_nft_script (ruleset->str, error))
    {
      g_prefix_error (error, _("Cannot remove the firewall table %s: "), table);
      return FALSE;
    }
  return TRUE;
}

GStrv
hangard_nft_list_network_tables (GError **error)
{
  const char * const args[] = { "nft", "-j", "list", "tables", "ip", NULL };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GStrvBuilder) bridges = g_strv_builder_new ();
  g_autofree char *out = NULL;
  JsonNode *root;
  JsonNode *items = NULL;

  if (!run_nft (args, NULL, &out, error) ||
      !json_parser_load_from_data (parser, out, -1, error))
    {
      g_prefix_error (error, _("Cannot list the firewall tables: "));
      return NULL;
    }
  /* {"nftables": [{"metainfo": {…}}, {"table": {"family": "ip", "name": …}}, …]} */
  root = json_parser_get_root (parser);
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    items = json_object_get_member (json_node_get_object (root), "nftables");
  for (guint i = 0; items != NULL && JSON_NODE_HOLDS_ARRAY (items) &&
                    i < json_array_get_length (json_node_get_array (items)); i++)
    {
      JsonNode *item = json_array_get_element (json_node_get_array (items), i);
      JsonNode *table_node = JSON_NODE_HOLDS_OBJECT (item)
                             ? json_object_get_member (json_node_get_object (item), "table") : NULL;
      JsonObject *table;
      const char *name;

      if (table_node == NULL || !JSON_NODE_HOLDS_OBJECT (table_node))
        continue;
      table = json_node_get_object (table_node);
      name = json_object_get_string_member_with_default (table, "name", "");
      if (g_strcmp0 (json_object_get_string_member_with_default (table, "family", ""), "ip") == 0 &&
          g_str_has_prefix (name, TABLE_PREFIX) && hangard_ifname_is_valid (name + strlen (TABLE_PREFIX), NULL))
        g_strv_builder_add (bridges, name + strlen (TABLE_PREFIX));
    }
  return g_strv_builder_end (bridges);
}
