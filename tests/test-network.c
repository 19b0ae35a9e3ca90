/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-network"

/* Virtual networks for real: a system-mode hangard in a network namespace
 * of the test's own (the host's network is never touched) with real
 * bridges, taps, dnsmasq and nftables, and busybox guests asking for DHCP
 * leases and pinging. An "outside" namespace joined by a veth pair stands
 * for the world beyond the host; a "LAN" namespace with its own dnsmasq
 * stands for the network a bridged guest joins. */

#include <glib/gstdio.h>
#include <gio/gio.h>
#include <unistd.h>

#include "hangar-test-env.h"
#include "hangard-error.h"

#define BOOT_TIMEOUT_S 240
#define OUTSIDE_ADDRESS "10.99.0.2"
#define LAN_SERVER "10.88.0.1"

typedef struct {
  HangarTestEnv *env;
  char          *peer_netns;   /* "outside" or "LAN" namespace, when made */
} Fixture;

static GVariant *
no_options (void)
{
  return g_variant_new ("a{sv}", NULL);
}

static void
run (const char *first, ...) G_GNUC_NULL_TERMINATED;

static void
run (const char *first,
     ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  const char *arg;
  va_list args;
  int status;

  g_ptr_array_add (argv, (char *) first);
  va_start (args, first);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s %s failed: %s", first, (char *) argv->pdata[1], err);
}

/* Output of a command, or NULL when it fails. */
static char *
output_of (const char *first,
           ...) G_GNUC_NULL_TERMINATED;

static char *
output_of (const char *first,
           ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL;
  const char *arg;
  va_list args;
  int status;

  g_ptr_array_add (argv, (char *) first);
  va_start (args, first);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, &out, NULL, &status, NULL) ||
      !g_spawn_check_wait_status (status, NULL))
    return NULL;
  return g_steal_pointer (&out);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  if (getuid () != 0)
    return;
  fixture->env = hangar_test_env_new (TRUE);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  if (fixture->env == NULL)
    return;
  hangar_test_env_free (fixture->env);
  if (fixture->peer_netns != NULL)
    {
      g_autofree char *pids = output_of ("ip", "netns", "pids", fixture->peer_netns, NULL);
      g_auto(GStrv) lines = g_strsplit (pids ? pids : "", "\n", -1);

      for (guint i = 0; lines[i] != NULL; i++)
        if (*lines[i])
          kill ((pid_t) g_ascii_strtoll (lines[i], NULL, 10), SIGKILL);
      run ("ip", "netns", "del", fixture->peer_netns, NULL);
      g_free (fixture->peer_netns);
    }
}

static gboolean
skip_unless_root (Fixture *fixture)
{
  if (fixture->env != NULL)
    return FALSE;
  g_test_skip ("network tests need root for their network namespaces");
  return TRUE;
}

/* A namespace joined to the engine's by a veth pair: ENGINE_IF (in the
 * engine's namespace, with engine_address) and PEER_IF (in the new one,
 * with peer_address), both /24. */
static void
make_peer_netns (Fixture    *fixture,
                 const char *suffix,
                 const char *engine_if,
                 const char *engine_address,
                 const char *peer_if,
                 const char *peer_address)
{
  const char *netns = fixture->env->netns;

  fixture->peer_netns = g_strconcat (netns, "-", suffix, NULL);
  run ("ip", "netns", "add", fixture->peer_netns, NULL);
  run ("ip", "-n", fixture->peer_netns, "link", "set", "lo", "up", NULL);
  run ("ip", "-n", netns, "link", "add", engine_if, "type", "veth", "peer", "name", peer_if,
       "netns", fixture->peer_netns, NULL);
  if (engine_address != NULL)
    run ("ip", "-n", netns, "addr", "add", engine_address, "dev", engine_if, NULL);
  run ("ip", "-n", netns, "link", "set", engine_if, "up", NULL);
  run ("ip", "-n", fixture->peer_netns, "addr", "add", peer_address, "dev", peer_if, NULL);
  run ("ip", "-n", fixture->peer_netns, "link", "set", peer_if, "up", NULL);
}

static HangarNetwork *
network_proxy (HangarTestEnv *env,
               const char    *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  HangarNetwork *network;

  hangar_manager_call_lookup_network_sync (env->manager, name, &path, NULL, &error);
  g_assert_no_error (error);
  network = hangar_network_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                           "io.github.hangarvm.Hangar1", path, NULL, &error);
  g_assert_no_error (error);
  return network;
}

static HangarNetwork *
define_network (HangarTestEnv *env,
                const char    *xml)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  HangarNetwork *network;

  hangar_manager_call_define_network_sync (env->manager, xml, &path, NULL, &error);
  g_assert_no_error (error);
  network = hangar_network_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                           "io.github.hangarvm.Hangar1", path, NULL, &error);
  g_assert_no_error (error);
  return network;
}

/* A busybox guest with one virtio NIC (`interface_xml`'s source) that asks
 * for a lease and pings the given addresses. */
static HangarMachine *
start_guest (HangarTestEnv *env,
             const char    *name,
             const char    *interface_xml,
             const char    *pings)
{
  g_autofree char *extra = g_strdup_printf ("hangar.dhcp %s", pings);
  g_autofree char *base = hangar_test_guest_xml (name, extra);
  g_autoptr(GString) xml = g_string_new (base);
  g_autoptr(GError) error = NULL;
  g_autofree char *devices = g_strdup_printf ("<devices>\n    %s", interface_xml);
  HangarMachine *machine;

  g_string_replace (xml, "<devices>", devices, 1);
  machine = hangar_test_env_define (env, xml->str);
  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);
  return machine;
}

static void
assert_console (HangarMachine *machine,
                const char    *marker)
{
  if (!hangar_test_wait_for_console (machine, marker, BOOT_TIMEOUT_S))
    {
      g_autofree char *log = hangar_test_console_log (machine);

      g_error ("the guest never printed '%s'; its serial log:\n%s", marker, log);
    }
}

/* The guest's address came from the LAN's own DHCP server: one of its
 * range, 10.88.0.50 to 10.88.0.60 (which one depends on the MAC). */
static void
assert_lease_in_lan_range (HangarMachine *machine)
{
  static const char marker[] = "HANGAR-GUEST-IP eth0 10.88.0.";
  g_autofree char *log = NULL;
  const char *found;
  guint64 host;

  assert_console (machine, marker);
  log = hangar_test_console_log (machine);
  found = strstr (log, marker);
  g_assert_nonnull (found);
  host = g_ascii_strtoull (found + strlen (marker), NULL, 10);
  if (host < 50 || host > 60)
    g_error ("the guest's address 10.88.0.%" G_GUINT64_FORMAT " is not from the LAN's range; its serial log:\n%s",
             host, log);
}

static GVariant *
interfaces_of (HangarMachine *machine)
{
  g_autoptr(GError) error = NULL;
  GVariant *interfaces = NULL;

  hangar_machine_call_get_interfaces_sync (machine, &interfaces, NULL, &error);
  g_assert_no_error (error);
  return interfaces;
}

static char *
first_interface_field (HangarMachine *machine,
                       const char    *key)
{
  g_autoptr(GVariant) interfaces = interfaces_of (machine);
  g_autoptr(GVariant) first = g_variant_get_child_value (interfaces, 0);
  const char *value = NULL;

  g_assert_true (g_variant_lookup (first, key, "&s", &value));
  return g_strdup (value);
}

/* dnsmasq processes in the engine's namespace serving `bridge`: scoped to
 * the namespace, so other tests' networks never count. */
static guint
count_dnsmasq (HangarTestEnv *env,
               const char    *bridge)
{
  g_autofree char *pids = output_of ("ip", "netns", "pids", env->netns, NULL);
  g_auto(GStrv) lines = g_strsplit (pids ? pids : "", "\n", -1);
  g_autofree char *wanted = g_strconcat ("--interface=", bridge, NULL);
  guint count = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%s/cmdline", lines[i]);
      g_autofree char *cmdline = NULL;
      gsize length = 0;

      if (*lines[i] == '\0' || !g_file_get_contents (path, &cmdline, &length, NULL) || length == 0)
        continue;
      if (g_str_has_suffix (cmdline, "dnsmasq") &&
          memmem (cmdline, length, wanted, strlen (wanted)) != NULL)
        count++;
    }
  return count;
}

static gboolean
link_exists (HangarTestEnv *env,
             const char    *name)
{
  g_autofree char *out = output_of ("ip", "-n", env->netns, "link", "show", name, NULL);

  return out != NULL;
}

/* ---- Tests ----------------------------------------------------------------- */

/* The default NAT network: a lease from dnsmasq, the bridge reachable, the
 * world beyond reachable through masquerading, taps made and removed. */
static void
test_nat (Fixture *fixture, gconstpointer data)
{
  HangarTestEnv *env;
  g_autoptr(HangarNetwork) network = NULL;
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(GVariant) leases = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tap = NULL;
  g_autofree char *ip = NULL;
  g_autofree char *table = NULL;

  if (skip_unless_root (fixture))
    return;
  env = fixture->env;
  make_peer_netns (fixture, "out", "out0", "10.99.0.1/24", "out1", OUTSIDE_ADDRESS "/24");

  network = network_proxy (env, "default");
  g_assert_true (hangar_network_get_active (network));
  g_assert_true (hangar_network_get_autostart (network));
  g_assert_cmpstr (hangar_network_get_forward_mode (network), ==, "nat");
  g_assert_cmpstr (hangar_network_get_address (network), ==, "192.168.122.1/24");
  g_assert_true (link_exists (env, hangar_network_get_bridge (network)));

  machine = start_guest (env, "nat-guest",
                         "<interface type='network'><source network='default'/><model type='virtio'/></interface>",
                         "hangar.ping=192.168.122.1 hangar.ping=" OUTSIDE_ADDRESS);
  assert_console (machine, "HANGAR-GUEST-IP eth0 192.168.122.");
  assert_console (machine, "HANGAR-GUEST-PING 192.168.122.1 ok");
  assert_console (machine, "HANGAR-GUEST-PING " OUTSIDE_ADDRESS " ok");

  /* virsh net-dhcp-leases and domiflist agree with the guest. */
  hangar_network_call_get_dhcp_leases_sync (network, &leases, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (leases), ==, 1);
  tap = first_interface_field (machine, "device");
  ip = first_interface_field (machine, "ip");
  g_assert_true (g_str_has_prefix (tap, "hgtap"));
  g_assert_true (g_str_has_prefix (ip, "192.168.122."));
  g_assert_true (link_exists (env, tap));

  table = output_of ("ip", "netns", "exec", env->netns, "nft", "list", "ruleset", NULL);
  g_assert_nonnull (strstr (table, "masquerade"));

  /* GetStats counts the guest's traffic on its tap (DHCP and pings). */
  {
    g_autoptr(GVariant) stats = NULL;
    guint64 rx = 0, tx = 0;

    hangar_machine_call_get_stats_sync (machine, &stats, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (g_variant_lookup (stats, "net-rx-bytes", "t", &rx));
    g_assert_true (g_variant_lookup (stats, "net-tx-bytes", "t", &tx));
    g_assert_cmpuint (rx, >, 0);
    g_assert_cmpuint (tx, >, 0);
  }

  /* Stopping the machine removes its tap. */
  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", 30));
  g_assert_false (link_exists (env, tap));

  /* Stopping the network removes bridge, dnsmasq and its table. */
  hangar_network_call_stop_sync (network, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (link_exists (env, "hgbr0"));
  g_clear_pointer (&table, g_free);
  table = output_of ("ip", "netns", "exec", env->netns, "nft", "list", "ruleset", NULL);
  g_assert_null (strstr (table ? table : "", "hangar_"));
  g_assert_cmpuint (count_dnsmasq (env, "hgbr0"), ==, 0);
}

/* An isolated network: a lease, the host's bridge address, and nothing beyond. */
static void
test_isolated (Fixture *fixture, gconstpointer data)
{
  HangarTestEnv *env;
  g_autoptr(HangarNetwork) network = NULL;
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(GError) error = NULL;

  if (skip_unless_root (fixture))
    return;
  env = fixture->env;
  make_peer_netns (fixture, "out", "out0", "10.99.0.1/24", "out1", OUTSIDE_ADDRESS "/24");

  network = define_network (env, "<network><name>hostonly</name><bridge name='hgiso0'/>"
                                 "<ip address='10.50.0.1' prefix='24'><dhcp>"
                                 "<range start='10.50.0.10' end='10.50.0.20'/></dhcp></ip></network>");
  hangar_network_call_start_sync (network, NULL, &error);
  g_assert_no_error (error);
  hangar_network_call_start_sync (network, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "already active");
  g_clear_error (&error);

  machine = start_guest (env, "isolated-guest",
                         "<interface type='network'><source network='hostonly'/><model type='e1000'/></interface>",
                         "hangar.ping=10.50.0.1 hangar.ping=" OUTSIDE_ADDRESS);
  assert_console (machine, "HANGAR-GUEST-IP eth0 10.50.0.");
  assert_console (machine, "HANGAR-GUEST-PING 10.50.0.1 ok");
  assert_console (machine, "HANGAR-GUEST-PING " OUTSIDE_ADDRESS " fail");
}

/* The tutorial's bridged setup: iface-bridge moves the LAN interface's
 * address into br0; a guest on br0 gets its lease from the LAN's own
 * DHCP server; the undo puts the address back. */
static void
test_bridged (Fixture *fixture, gconstpointer data)
{
  HangarTestEnv *env;
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *lan_pid_file = NULL;
  g_autofree char *addresses = NULL;
  g_autofree char *routes = NULL;

  if (skip_unless_root (fixture))
    return;
  env = fixture->env;
  make_peer_netns (fixture, "lan", "lan0", "10.88.0.2/24", "lan1", LAN_SERVER "/24");
  run ("ip", "-n", env->netns, "route", "add", "10.77.0.0/16", "via", LAN_SERVER, "dev", "lan0", NULL);

  /* "The LAN": its own DHCP server. */
  lan_pid_file = g_strconcat ("--pid-file=", env->tmpdir, "/lan-dnsmasq.pid", NULL);
  run ("ip", "netns", "exec", fixture->peer_netns, "dnsmasq", "--conf-file=/dev/null", "--bind-interfaces",
       "--interface=lan1", "--except-interface=lo", "--dhcp-range=10.88.0.50,10.88.0.60,255.255.255.0,1h",
       "--no-resolv", "--no-hosts", "--port=0", "--user=root", "--no-ping", lan_pid_file,
       "--dhcp-leasefile=/dev/null", NULL);

  /* Bad requests change nothing. */
  hangar_manager_call_bridge_interface_sync (env->manager, "nosuch0", "br0", NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_NOT_FOUND, "nosuch0");
  g_clear_error (&error);
  hangar_manager_call_bridge_interface_sync (env->manager, "lan0", "lan0", NULL, &error);
  g_assert_nonnull (error);
  g_clear_error (&error);

  hangar_manager_call_bridge_interface_sync (env->manager, "lan0", "br0", NULL, &error);
  g_assert_no_error (error);
  addresses = output_of ("ip", "-n", env->netns, "-4", "addr", "show", "br0", NULL);
  g_assert_nonnull (strstr (addresses, "10.88.0.2/24"));
  routes = output_of ("ip", "-n", env->netns, "route", "show", "10.77.0.0/16", NULL);
  g_assert_nonnull (strstr (routes, "br0"));

  machine = start_guest (env, "bridged-guest",
                         "<interface type='bridge'><source bridge='br0'/><model type='virtio'/></interface>",
                         "hangar.ping=" LAN_SERVER);
  assert_lease_in_lan_range (machine);
  assert_console (machine, "HANGAR-GUEST-PING " LAN_SERVER " ok");
  {
    g_autofree char *type = first_interface_field (machine, "type");
    g_autofree char *source = first_interface_field (machine, "source");
    g_assert_cmpstr (type, ==, "bridge");
    g_assert_cmpstr (source, ==, "br0");
  }

  /* While a guest is attached, the bridge stays. */
  hangar_manager_call_unbridge_interface_sync (env->manager, "br0", NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, NULL);
  g_clear_error (&error);

  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", 30));
  hangar_manager_call_unbridge_interface_sync (env->manager, "br0", NULL, &error);
  g_assert_no_error (error);
  g_assert_false (link_exists (env, "br0"));
  g_clear_pointer (&addresses, g_free);
  addresses = output_of ("ip", "-n", env->netns, "-4", "addr", "show", "lan0", NULL);
  g_assert_nonnull (strstr (addresses, "10.88.0.2/24"));
  g_clear_pointer (&routes, g_free);
  routes = output_of ("ip", "-n", env->netns, "route", "show", "10.77.0.0/16", NULL);
  g_assert_nonnull (strstr (routes, "lan0"));
}

/* Kill the engine while a guest runs on a NAT network: the new engine
 * takes the network back without a second dnsmasq, and the guest keeps
 * its tap; stopping the network then leaves nothing behind. */
static void
test_restart_reconciles (Fixture *fixture, gconstpointer data)
{
  HangarTestEnv *env;
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(HangarNetwork) network = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tap = NULL;

  if (skip_unless_root (fixture))
    return;
  env = fixture->env;

  machine = start_guest (env, "survivor",
                         "<interface type='network'><source network='default'/><model type='virtio'/></interface>",
                         "hangar.ping=192.168.122.1");
  assert_console (machine, "HANGAR-GUEST-PING 192.168.122.1 ok");
  tap = first_interface_field (machine, "device");

  hangar_test_env_kill_engine (env, SIGKILL);
  hangar_test_env_start_engine (env);
  g_clear_object (&machine);
  machine = hangar_test_env_lookup (env, "survivor");
  g_assert_true (hangar_test_wait_for_state (machine, "running", 30));
  {
    g_autofree char *tap_after = first_interface_field (machine, "device");
    g_assert_cmpstr (tap_after, ==, tap);
  }
  network = network_proxy (env, "default");
  g_assert_true (hangar_network_get_active (network));
  g_assert_cmpuint (count_dnsmasq (env, "hgbr0"), ==, 1);

  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", 30));
  hangar_network_call_stop_sync (network, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (link_exists (env, "hgbr0"));
  g_assert_false (link_exists (env, tap));
  g_assert_cmpuint (count_dnsmasq (env, "hgbr0"), ==, 0);
}

static void
assert_define_fails (HangarTestEnv *env,
                     const char    *xml,
                     int            code,
                     const char    *needle)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  hangar_manager_call_define_network_sync (env->manager, xml, &path, NULL, &error);
  hangar_assert_engine_error (error, code, needle);
}

static void
test_bad_input (Fixture *fixture, gconstpointer data)
{
  HangarTestEnv *env;
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(HangarNetwork) network = NULL;
  g_autoptr(GError) error = NULL;

  if (skip_unless_root (fixture))
    return;
  env = fixture->env;

  /* Overlaps the default network's 192.168.122.0/24. */
  assert_define_fails (env, "<network><name>clash</name><forward mode='nat'/>"
                            "<ip address='192.168.122.129' prefix='25'/></network>",
                       HANGAR_ERROR_ALREADY_EXISTS, "default");
  /* Overlaps an address on the host. */
  /* (a veth pair: the test kernel has no dummy driver) */
  run ("ip", "-n", env->netns, "link", "add", "host7", "type", "veth", "peer", "name", "host7p", NULL);
  run ("ip", "-n", env->netns, "addr", "add", "10.7.0.5/16", "dev", "host7", NULL);
  assert_define_fails (env, "<network><name>shadow</name><ip address='10.7.1.1' prefix='24'/></network>",
                       HANGAR_ERROR_ALREADY_EXISTS, "host7");
  /* A foreign interface's name as the NAT network's bridge. */
  run ("ip", "-n", env->netns, "link", "add", "theirs0", "type", "bridge", NULL);
  assert_define_fails (env, "<network><name>steal</name><forward mode='nat'/><bridge name='theirs0'/>"
                            "<ip address='10.60.0.1' prefix='24'/></network>",
                       HANGAR_ERROR_ALREADY_EXISTS, "theirs0");
  assert_define_fails (env, "<network><name>range</name><ip address='10.61.0.1' prefix='24'><dhcp>"
                            "<range start='10.62.0.2' end='10.62.0.9'/></dhcp></ip></network>",
                       HANGAR_ERROR_INVALID_ARGUMENT, NULL);
  assert_define_fails (env, "<network><name>mac</name><ip address='10.63.0.1' prefix='24'><dhcp>"
                            "<host mac='zz:54:00:00:00:01' ip='10.63.0.5'/></dhcp></ip></network>",
                       HANGAR_ERROR_INVALID_ARGUMENT, NULL);
  assert_define_fails (env, "<network><name>routed</name><forward mode='route'/>"
                            "<ip address='10.64.0.1' prefix='24'/></network>",
                       HANGAR_ERROR_UNSUPPORTED, "route");

  /* A machine on a network that is not started says so. */
  network = define_network (env, "<network><name>idle</name><ip address='10.65.0.1' prefix='24'/></network>");
  {
    g_autofree char *base = hangar_test_guest_xml ("waiting", NULL);
    g_autoptr(GString) xml = g_string_new (base);

    g_string_replace (xml, "<devices>", "<devices><interface type='network'><source network='idle'/></interface>", 1);
    machine = hangar_test_env_define (env, xml->str);
    hangar_machine_call_start_sync (machine, NULL, &error);
    hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "idle");
    g_clear_error (&error);
  }
  hangar_network_call_stop_sync (network, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "not active");
  g_clear_error (&error);
  hangar_network_call_undefine_sync (network, no_options (), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_env_engine_alive (env));
}

/* Session mode: user networking with a host port forward, and a clear
 * refusal of virtual networks. */
static void
test_session_user_networking (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *base = hangar_test_guest_xml ("forwarded", NULL);
  g_autoptr(GString) xml = g_string_new (base);
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree char *path = NULL;
  guint port = 20000 + (guint) (getpid () % 20000);
  g_autofree char *nic = g_strdup_printf ("<devices><interface type='user'><model type='e1000'/>"
                                          "<portForward proto='tcp' address='127.0.0.1'><range start='%u' to='22'/>"
                                          "</portForward></interface>", port);

  g_string_replace (xml, "<devices>", nic, 1);
  machine = hangar_test_env_define (env, xml->str);
  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);

  /* QEMU listens on the forwarded host port (loopback only). */
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) port, NULL, &error);
  g_assert_no_error (error);

  hangar_manager_call_define_network_sync (env->manager, "<network><name>n</name><ip address='10.66.0.1' prefix='24'/></network>",
                                           &path, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_UNSUPPORTED, "system");
  g_clear_error (&error);

  /* An engine running as root cannot give passt: it says so. */
  if (getuid () == 0)
    {
      g_autofree char *passt_base = hangar_test_guest_xml ("insists-on-passt", NULL);
      g_autoptr(GString) passt_xml = g_string_new (passt_base);
      g_autoptr(HangarMachine) passt_machine = NULL;

      g_string_replace (passt_xml, "<devices>",
                        "<devices><interface type='user'><backend type='passt'/></interface>", 1);
      passt_machine = hangar_test_env_define (env, passt_xml->str);
      hangar_machine_call_start_sync (passt_machine, NULL, &error);
      hangar_assert_engine_error (error, HANGAR_ERROR_UNSUPPORTED, "root");
      g_assert_cmpstr (hangar_machine_get_state (passt_machine), ==, "shutoff");
    }
  hangar_test_env_free (env);
}

/* Our passt processes: found by the port forward only this test uses. */
static guint
count_passt_processes (const char *forward_spec)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint count = 0;

  while (proc && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%s/cmdline", name);
      g_autofree char *cmdline = NULL;
      gsize length = 0;
      gboolean is_passt = FALSE, has_spec = FALSE;

      if (!g_ascii_isdigit (name[0]) || !g_file_get_contents (path, &cmdline, &length, NULL))
        continue;
      for (gsize offset = 0; offset < length; offset += strlen (cmdline + offset) + 1)
        {
          g_autofree char *base = g_path_get_basename (cmdline + offset);
          if (offset == 0)
            is_passt = g_str_equal (base, "passt");
          else if (g_str_equal (cmdline + offset, forward_spec))
            has_spec = TRUE;
        }
      count += is_passt && has_spec;
    }
  return count;
}

static gboolean
no_passt_left (gpointer spec)
{
  return count_passt_processes (spec) == 0;
}

static char *
http_get (guint port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  static const char request[] = "GET / HTTP/1.0\r\n\r\n";
  char buffer[4096] = { 0 };
  gsize total = 0;
  gssize n;

  g_socket_client_set_timeout (client, 20);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             request, strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                   buffer + total, sizeof buffer - 1 - total, NULL, &error)) > 0)
    total += (gsize) n;
  g_assert_no_error (error);
  return g_strndup (buffer, total);
}

static const char *
interface_backend (HangarMachine *machine)
{
  g_autoptr(GVariant) interfaces = NULL;
  g_autoptr(GVariant) nic = NULL;
  g_autoptr(GError) error = NULL;
  static char backend[16];
  const char *value = "";

  hangar_machine_call_get_interfaces_sync (machine, &interfaces, NULL, &error);
  g_assert_no_error (error);
  nic = g_variant_get_child_value (interfaces, 0);
  g_variant_lookup (nic, "backend", "&s", &value);
  g_strlcpy (backend, value, sizeof backend);
  return backend;
}

/* Session mode of an ordinary user with passt installed: the guest's
 * user-mode NIC is served by passt (its DHCP, and a host port forward to a
 * web server in the guest); passt goes with the guest. */
static void
test_session_passt (void)
{
  HangarTestEnv *env;
  g_autofree char *base = NULL;
  g_autoptr(GString) xml = NULL;
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *spec = NULL;
  g_autofree char *nic = NULL;
  g_autofree char *ctl_out = NULL;
  guint port = 20000 + (guint) ((getpid () + 7) % 20000);

  if (g_find_program_in_path ("passt") == NULL)
    {
      g_test_skip ("passt is not installed (apt-get install passt)");
      return;
    }

  env = hangar_test_env_new_unprivileged ("nobody");
  base = hangar_test_env_guest_xml (env, "web", "hangar.dhcp hangar.httpd=80");
  xml = g_string_new (base);
  spec = g_strdup_printf ("127.0.0.1/%u:80", port);
  nic = g_strdup_printf ("<devices><interface type='user'><model type='virtio'/>"
                         "<portForward proto='tcp' address='127.0.0.1'><range start='%u' to='80'/>"
                         "</portForward></interface>", port);
  g_string_replace (xml, "<devices>", nic, 1);
  machine = hangar_test_env_define (env, xml->str);
  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (interface_backend (machine), ==, "passt");
  g_assert_cmpuint (count_passt_processes (spec), ==, 1);

  /* passt's own DHCP gave the guest an address, then its web server ran. */
  g_assert_true (hangar_test_wait_for_console (machine, "HANGAR-GUEST-IP eth0", 240));
  g_assert_true (hangar_test_wait_for_console (machine, "HANGAR-GUEST-HTTPD 80", 60));
  reply = http_get (port);
  g_assert_nonnull (strstr (reply, "HANGAR-GUEST-HTTP"));

  hangar_test_ctl_ok (env, &ctl_out, "domiflist", "web", NULL);
  g_assert_nonnull (strstr (ctl_out, " passt "));

  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_until (no_passt_left, spec, 30));
  g_assert_cmpstr (interface_backend (machine), ==, "");
  hangar_test_env_free (env);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/network/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("nat", test_nat);
  ADD ("isolated", test_isolated);
  ADD ("bridged", test_bridged);
  ADD ("restart-reconciles", test_restart_reconciles);
  ADD ("bad-input", test_bad_input);
#undef ADD
  g_test_add_func ("/network/session-user-networking", test_session_user_networking);
  g_test_add_func ("/network/session-passt", test_session_passt);

  return g_test_run ();
}
