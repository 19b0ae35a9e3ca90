/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-host-net"

/* The host networking the engine does as root: links, bridges, taps,
 * moving an interface into a bridge and back, dnsmasq with a real DHCP
 * client, and nftables tables. Everything runs in a network namespace of
 * the test's own (made first thing in main), so the host's network is
 * never touched and no packet leaves the machine; without root the tests
 * are skipped. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "hangard-dnsmasq.h"
#include "hangard-error.h"
#include "hangard-host-net.h"

#define IPV4(a, b, c, d) (((guint32) (a) << 24) | ((guint32) (b) << 16) | ((guint32) (c) << 8) | (guint32) (d))
/* How long a lease may take to reach dnsmasq's lease file after the ACK. */
#define LEASE_FILE_TIMEOUT_US (3 * G_USEC_PER_SEC)

static gboolean have_netns;
/* The dnsmasq a test started: a failed assertion (SIGABRT) ends it too,
 * instead of leaving a daemon behind. */
static volatile sig_atomic_t started_dnsmasq;

static void
on_abort (int signal_number)
{
  if (started_dnsmasq > 0)
    kill (started_dnsmasq, SIGTERM);
  signal (signal_number, SIG_DFL);
  raise (signal_number);
}

static gboolean
need_netns (void)
{
  if (!have_netns)
    g_test_skip ("Needs root, to make a network namespace of its own");
  return have_netns;
}

/* ---- Running commands (argv from a command line, never a shell) ----------- */

static gboolean
try_run (char      **out,
         const char *format,
         ...) G_GNUC_PRINTF (2, 3);

static gboolean
try_run (char      **out,
         const char *format,
         ...)
{
  g_autofree char *command_line = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *std_out = NULL;
  g_autofree char *std_err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;
  va_list ap;

  va_start (ap, format);
  command_line = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_assert_true (g_shell_parse_argv (command_line, NULL, &argv, NULL));
  g_assert_true (g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &std_out, &std_err, &status, &error));
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_test_message ("%s: %s", command_line, std_err);
      return FALSE;
    }
  if (out != NULL)
    *out = g_steal_pointer (&std_out);
  return TRUE;
}

#define run(...) g_assert_true (try_run (NULL, __VA_ARGS__))

static JsonNode *
run_json (const char *command_line)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (try_run (&out, "%s", command_line));
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

/* The link's IPv4 addresses as "A/P brd B scope S [secondary]" lines,
 * whatever the link's name: what must survive a move exactly. */
static char *
addresses_of (const char *device)
{
  g_autofree char *command_line = g_strdup_printf ("ip -json -4 addr show dev %s", device);
  g_autoptr(JsonNode) root = run_json (command_line);
  g_autoptr(GString) text = g_string_new (NULL);
  JsonArray *links = json_node_get_array (root);

  for (guint i = 0; i < json_array_get_length (links); i++)
    {
      JsonArray *infos = json_object_get_array_member (json_array_get_object_element (links, i), "addr_info");

      for (guint j = 0; j < json_array_get_length (infos); j++)
        {
          JsonObject *info = json_array_get_object_element (infos, j);

          g_string_append_printf (text, "%s/%" G_GINT64_FORMAT " brd %s scope %s%s\n",
                                  json_object_get_string_member (info, "local"),
                                  json_object_get_int_member (info, "prefixlen"),
                                  json_object_get_string_member_with_default (info, "broadcast", "-"),
                                  json_object_get_string_member (info, "scope"),
                                  json_object_get_boolean_member_with_default (info, "secondary", FALSE)
                                  ? " secondary" : "");
        }
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* `ip route show dev X` does not print X, so two links' routes compare. */
static char *
routes_of (const char *device)
{
  char *out = NULL;

  g_assert_true (try_run (&out, "ip -details -4 route show dev %s", device));
  return out;
}

static char *
mac_of (const char *device)
{
  g_autofree char *command_line = g_strdup_printf ("ip -json link show dev %s", device);
  g_autoptr(JsonNode) root = run_json (command_line);

  return g_strdup (json_object_get_string_member (json_array_get_object_element (json_node_get_array (root), 0),
                                                  "address"));
}

static gboolean
link_is_up (const char *device)
{
  g_autofree char *command_line = g_strdup_printf ("ip -json link show dev %s", device);
  g_autoptr(JsonNode) root = run_json (command_line);
  JsonArray *flags = json_object_get_array_member (json_array_get_object_element (json_node_get_array (root), 0),
                                                   "flags");

  for (guint i = 0; i < json_array_get_length (flags); i++)
    if (g_strcmp0 (json_array_get_string_element (flags, i), "UP") == 0)
      return TRUE;
  return FALSE;
}

/* A veth pair, both ends up (a veth has carrier only when its peer is up). */
static void
make_veth (const char *name,
           const char *peer)
{
  run ("ip link add %s type veth peer name %s", name, peer);
  run ("ip link set dev %s up", name);
  run ("ip link set dev %s up", peer);
}

/* A link in a namespace that just died goes with it, but the kernel tears
 * namespaces down in the background: wait for that, a little. */
static void
wait_link_gone (const char *name)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (hangard_host_net_link_exists (name) && g_get_monotonic_time () < deadline)
    g_usleep (G_USEC_PER_SEC / 20);
  g_assert_false (hangard_host_net_link_exists (name));
}

/* ---- Links ---------------------------------------------------------------- */

static void
test_list_ipv4 (void)
{
  g_autoptr(GPtrArray) addresses = NULL;
  g_autoptr(GError) error = NULL;
  gboolean found_test = FALSE;
  gboolean found_loopback = FALSE;

  if (!need_netns ())
    return;
  /* A veth, as the test kernel may have no dummy driver. */
  make_veth ("hgt-l0", "hgt-l1");
  run ("ip addr add 192.0.2.1/24 dev hgt-l0");

  addresses = hangard_host_net_list_ipv4 (&error);
  g_assert_no_error (error);
  for (guint i = 0; i < addresses->len; i++)
    {
      HangardHostAddress *address = g_ptr_array_index (addresses, i);

      if (strcmp (address->device, "hgt-l0") == 0)
        {
          g_assert_cmphex (address->address, ==, IPV4 (192, 0, 2, 1));
          g_assert_cmpuint (address->prefix, ==, 24);
          found_test = TRUE;
        }
      if (strcmp (address->device, "lo") == 0 && address->address == IPV4 (127, 0, 0, 1))
        found_loopback = TRUE;
      g_assert_cmpstr (address->device, !=, "hgt-l1");
    }
  g_assert_true (found_test);
  g_assert_true (found_loopback);
  run ("ip link delete dev hgt-l0");
}

static void
test_link_queries (void)
{
  g_autofree char *master = NULL;

  if (!need_netns ())
    return;
  g_assert_true (hangard_host_net_link_exists ("lo"));
  g_assert_false (hangard_host_net_link_exists ("hgt-none"));
  /* Bad names are not run through ip at all. */
  g_assert_false (hangard_host_net_link_exists ("a/b"));
  g_assert_false (hangard_host_net_link_exists ("-j"));
  g_assert_false (hangard_host_net_link_exists ("0123456789abcdef"));
  g_assert_false (hangard_host_net_link_exists (""));
  g_assert_false (hangard_host_net_link_is_bridge ("lo"));
  g_assert_null (hangard_host_net_link_master ("lo"));
  g_assert_null (hangard_host_net_link_master ("hgt-none"));

  make_veth ("hgt-q0", "hgt-q1");
  run ("ip link add hgt-qbr type bridge");
  run ("ip link set dev hgt-q0 master hgt-qbr");
  g_assert_true (hangard_host_net_link_is_bridge ("hgt-qbr"));
  g_assert_false (hangard_host_net_link_is_bridge ("hgt-q0"));
  master = hangard_host_net_link_master ("hgt-q0");
  g_assert_cmpstr (master, ==, "hgt-qbr");
  run ("ip link delete dev hgt-q0");
  run ("ip link delete dev hgt-qbr");
}

/* "help" and "type" are valid names; ip must read them as names, not as
 * keywords. A leading '-' is refused outright. */
static void
test_keyword_names (void)
{
  const char *names[] = { "help", "type", "dev" };
  g_autoptr(GError) error = NULL;

  if (!need_netns ())
    return;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_assert_true (hangard_host_net_bridge_create (names[i], &error));
      g_assert_no_error (error);
      g_assert_true (hangard_host_net_link_is_bridge (names[i]));
      g_assert_true (hangard_host_net_link_set_up (names[i], &error));
      g_assert_no_error (error);
      g_assert_true (hangard_host_net_link_delete (names[i], &error));
      g_assert_no_error (error);
      g_assert_false (hangard_host_net_link_exists (names[i]));
    }
  g_assert_false (hangard_host_net_bridge_create ("-j", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
}

static void
test_bridge (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *addresses = NULL;

  if (!need_netns ())
    return;
  g_assert_true (hangard_host_net_bridge_create ("hgt-br0", &error));
  g_assert_no_error (error);
  g_assert_true (hangard_host_net_link_exists ("hgt-br0"));
  g_assert_true (hangard_host_net_link_is_bridge ("hgt-br0"));
  g_assert_false (link_is_up ("hgt-br0"));

  g_assert_true (hangard_host_net_address_add ("hgt-br0", IPV4 (10, 77, 0, 1), 24, &error));
  g_assert_no_error (error);
  g_assert_true (hangard_host_net_link_set_up ("hgt-br0", &error));
  g_assert_no_error (error);
  g_assert_true (link_is_up ("hgt-br0"));
  addresses = addresses_of ("hgt-br0");
  g_assert_cmpstr (addresses, ==, "10.77.0.1/24 brd 10.77.0.255 scope global\n");

  /* Taken: ip's own message comes back. */
  g_assert_false (hangard_host_net_bridge_create ("hgt-br0", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "ip link add name hgt-br0"));
  g_assert_nonnull (strstr (error->message, "exists"));
  g_clear_error (&error);

  g_assert_true (hangard_host_net_link_delete ("hgt-br0", &error));
  g_assert_no_error (error);
  g_assert_false (hangard_host_net_link_exists ("hgt-br0"));

  g_assert_false (hangard_host_net_bridge_create ("bad name", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (hangard_host_net_link_delete ("hgt-none", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (hangard_host_net_link_set_up ("hgt-none", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND);
}

static void
test_ip_forward (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;

  if (!need_netns ())
    return;
  /* /proc/sys/net is this namespace's. */
  g_assert_true (hangard_host_net_enable_ip_forward (&error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents ("/proc/sys/net/ipv4/ip_forward", &value, NULL, NULL));
  g_assert_cmpstr (value, ==, "1\n");
}

static void
test_tap (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *name2 = NULL;
  g_autofree char *master = NULL;
  int fd, fd2;

  if (!need_netns ())
    return;
  fd = hangard_host_net_tap_open ("hgtap%d", &name, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  g_assert_true (g_str_has_prefix (name, "hgtap"));
  g_assert_true (hangard_host_net_link_exists (name));
  g_assert_cmpint (fcntl (fd, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);

  fd2 = hangard_host_net_tap_open ("hgtap%d", &name2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, !=, name2);

  g_assert_true (hangard_host_net_bridge_create ("hgt-tbr", &error));
  g_assert_no_error (error);
  g_assert_true (hangard_host_net_set_master (name, "hgt-tbr", &error));
  g_assert_no_error (error);
  g_assert_true (hangard_host_net_link_set_up (name, &error));
  g_assert_no_error (error);
  master = hangard_host_net_link_master (name);
  g_assert_cmpstr (master, ==, "hgt-tbr");

  /* Not persistent: the tap goes with its last fd, bridge port or not. */
  close (fd);
  g_assert_false (hangard_host_net_link_exists (name));
  close (fd2);
  g_assert_false (hangard_host_net_link_exists (name2));

  g_assert_cmpint (hangard_host_net_tap_open ("hgtap-much-too-long%d", &name, &error), ==, -1);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
  run ("ip link delete dev hgt-tbr");
}

/* ---- Moving an interface into a bridge ------------------------------------ */

/* hgt-b0: two addresses (a primary and a secondary), a gateway route, a
 * default route with a metric and source, and an on-link static route
 * with an MTU. */
static void
make_configured_device (const char *device,
                        const char *peer)
{
  make_veth (device, peer);
  run ("ip addr add 10.9.0.1/24 broadcast + dev %s", device);
  run ("ip addr add 10.9.0.2/24 dev %s", device);
  run ("ip route add 10.99.0.0/16 via 10.9.0.254 dev %s", device);
  run ("ip route add default via 10.9.0.254 dev %s metric 100 src 10.9.0.1", device);
  run ("ip route add 198.51.100.0/24 via 203.0.113.1 dev %s onlink proto static mtu 1400", device);
}

static void
test_bridge_interface (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *addresses = NULL;
  g_autofree char *routes = NULL;
  g_autofree char *mac = NULL;
  g_autofree char *master = NULL;
  g_autofree char *tap = NULL;
  int tap_fd;

  if (!need_netns ())
    return;
  make_configured_device ("hgt-b0", "hgt-b1");
  addresses = addresses_of ("hgt-b0");
  routes = routes_of ("hgt-b0");
  mac = mac_of ("hgt-b0");
  g_assert_nonnull (strstr (routes, "default via 10.9.0.254"));
  g_assert_nonnull (strstr (routes, "10.99.0.0/16 via 10.9.0.254"));

  g_assert_true (hangard_host_net_bridge_interface ("hgt-b0", "hgt-bbr", &error));
  g_assert_no_error (error);
  g_assert_true (hangard_host_net_link_is_bridge ("hgt-bbr"));
  g_assert_true (link_is_up ("hgt-bbr"));
  master = hangard_host_net_link_master ("hgt-b0");
  g_assert_cmpstr (master, ==, "hgt-bbr");
  {
    g_autofree char *on_bridge = addresses_of ("hgt-bbr");
    g_autofree char *left = addresses_of ("hgt-b0");
    g_autofree char *bridge_routes = routes_of ("hgt-bbr");
    g_autofree char *left_routes = routes_of ("hgt-b0");
    g_autofree char *bridge_mac = mac_of ("hgt-bbr");

    g_assert_cmpstr (on_bridge, ==, addresses);
    g_assert_cmpstr (left, ==, "");
    g_assert_cmpstr (bridge_routes, ==, routes);
    g_assert_cmpstr (left_routes, ==, "");
    g_assert_cmpstr (bridge_mac, ==, mac);
  }

  /* A machine's tap on the bridge: the bridge stays. */
  tap_fd = hangard_host_net_tap_open ("hgtap%d", &tap, &error);
  g_assert_no_error (error);
  g_assert_true (hangard_host_net_set_master (tap, "hgt-bbr", &error));
  g_assert_no_error (error);
  g_assert_false (hangard_host_net_unbridge_interface ("hgt-bbr", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE);
  g_assert_nonnull (strstr (error->message, tap));
  g_clear_error (&error);
  g_assert_true (hangard_host_net_link_exists ("hgt-bbr"));
  close (tap_fd);

  g_assert_true (hangard_host_net_unbridge_interface ("hgt-bbr", &error));
  g_assert_no_error (error);
  g_assert_false (hangard_host_net_link_exists ("hgt-bbr"));
  g_clear_pointer (&master, g_free);
  master = hangard_host_net_link_master ("hgt-b0");
  g_assert_null (master);
  {
    g_autofree char *back = addresses_of ("hgt-b0");
    g_autofree char *back_routes = routes_of ("hgt-b0");

    g_assert_cmpstr (back, ==, addresses);
    g_assert_cmpstr (back_routes, ==, routes);
  }

  g_assert_false (hangard_host_net_unbridge_interface ("hgt-bbr", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (hangard_host_net_unbridge_interface ("hgt-b0", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
  run ("ip link delete dev hgt-b0");
}

/* A device that was down is brought up with the bridge. */
static void
test_bridge_interface_down_device (void)
{
  g_autoptr(GError) error = NULL;

  if (!need_netns ())
    return;
  run ("ip link add hgt-d0 type veth peer name hgt-d1");
  g_assert_false (link_is_up ("hgt-d0"));
  g_assert_true (hangard_host_net_bridge_interface ("hgt-d0", "hgt-dbr", &error));
  g_assert_no_error (error);
  g_assert_true (link_is_up ("hgt-d0"));
  g_assert_true (hangard_host_net_unbridge_interface ("hgt-dbr", &error));
  g_assert_no_error (error);
  run ("ip link delete dev hgt-d0");
}

/* Refusals come before any change. */
static void
test_bridge_interface_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *addresses = NULL;
  g_autofree char *routes = NULL;

  if (!need_netns ())
    return;
  make_configured_device ("hgt-r0", "hgt-r1");
  addresses = addresses_of ("hgt-r0");
  routes = routes_of ("hgt-r0");

  /* The bridge's name is taken (by the peer). */
  g_assert_false (hangard_host_net_bridge_interface ("hgt-r0", "hgt-r1", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS);
  g_clear_error (&error);

  g_assert_false (hangard_host_net_bridge_interface ("hgt-none", "hgt-rbr", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_false (hangard_host_net_bridge_interface ("lo", "hgt-rbr", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_false (hangard_host_net_bridge_interface ("hgt-r0", "no/slash", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  run ("ip link add hgt-rbx type bridge");
  g_assert_false (hangard_host_net_bridge_interface ("hgt-rbx", "hgt-rbr", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* Already some bridge's port. */
  run ("ip link set dev hgt-r1 master hgt-rbx");
  g_assert_false (hangard_host_net_bridge_interface ("hgt-r1", "hgt-rbr", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_false (hangard_host_net_link_exists ("hgt-rbr"));
  {
    g_autofree char *now = addresses_of ("hgt-r0");
    g_autofree char *now_routes = routes_of ("hgt-r0");

    g_assert_cmpstr (now, ==, addresses);
    g_assert_cmpstr (now_routes, ==, routes);
  }
  run ("ip link delete dev hgt-r0");
  run ("ip link delete dev hgt-rbx");
}

/* A failure at the very last step, after the bridge was made, the device
 * enslaved and its addresses moved: another uplink (hgt-u0) has a route
 * with the same destination and metric (appended, as ip allows), so the
 * kernel refuses to add the moved route to the bridge. Everything must be
 * put back. */
static void
test_bridge_interface_rollback (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *addresses = NULL;
  g_autofree char *routes = NULL;
  g_autofree char *other_routes = NULL;
  g_autofree char *master = NULL;

  if (!need_netns ())
    return;
  make_configured_device ("hgt-f0", "hgt-f1");
  make_veth ("hgt-u0", "hgt-u1");
  run ("ip addr add 10.8.0.1/24 dev hgt-u0");
  run ("ip route append 10.99.0.0/16 via 10.8.0.254 dev hgt-u0");
  addresses = addresses_of ("hgt-f0");
  routes = routes_of ("hgt-f0");
  other_routes = routes_of ("hgt-u0");

  g_assert_false (hangard_host_net_bridge_interface ("hgt-f0", "hgt-fbr", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "every change was undone"));
  g_assert_nonnull (strstr (error->message, "ip route add 10.99.0.0/16 via 10.9.0.254"));
  g_assert_nonnull (strstr (error->message, "File exists"));

  g_assert_false (hangard_host_net_link_exists ("hgt-fbr"));
  master = hangard_host_net_link_master ("hgt-f0");
  g_assert_null (master);
  g_assert_true (link_is_up ("hgt-f0"));
  {
    g_autofree char *now = addresses_of ("hgt-f0");
    g_autofree char *now_routes = routes_of ("hgt-f0");
    g_autofree char *now_other = routes_of ("hgt-u0");

    g_assert_cmpstr (now, ==, addresses);
    g_assert_cmpstr (now_routes, ==, routes);
    g_assert_cmpstr (now_other, ==, other_routes);
  }
  run ("ip link delete dev hgt-f0");
  run ("ip link delete dev hgt-u0");
}

/* ---- dnsmasq -------------------------------------------------------------- */

static void
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_unlink (child);
    }
  g_rmdir (path);
}

static void
dhcp_host_free (HangardDhcpHost *host)
{
  g_free (host->mac);
  g_free (host->name);
  g_free (host);
}

/* A shell in a network namespace of its own (a guest, or a host outside),
 * given `link` once it is there; its output is read line by line. */
typedef struct {
  GSubprocess      *process;
  GDataInputStream *output;
} Namespace;

static void
namespace_free (Namespace *ns)
{
  g_clear_object (&ns->output);
  if (ns->process != NULL)
    {
      g_subprocess_force_exit (ns->process);
      g_subprocess_wait (ns->process, NULL, NULL);
    }
  g_clear_object (&ns->process);
  g_free (ns);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Namespace, namespace_free)

/* Reads the shell's output up to the line `marker` (or the end, with
 * NULL); returns what came before it. */
static char *
namespace_read_until (Namespace  *ns,
                      const char *marker)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  char *line;

  while ((line = g_data_input_stream_read_line_utf8 (ns->output, NULL, NULL, &error)) != NULL)
    {
      gboolean done = g_strcmp0 (line, marker) == 0;

      if (!done)
        g_string_append_printf (text, "%s\n", line);
      g_free (line);
      if (done)
        break;
    }
  g_assert_no_error (error);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Starts `script` in a new namespace once `link` (moved there from here)
 * is up in it. */
static Namespace *
namespace_start (const char *link,
                 const char *script)
{
  g_autofree char *full_script =
    g_strdup_printf ("echo ready; "
                     "for i in $(seq 100); do ip link show %s >/dev/null 2>&1 && break; sleep 0.05; done; "
                     "ip link set dev lo up && ip link set dev %s up && %s",
                     link, link, script);
  const char *argv[] = { "unshare", "--net", "sh", "-c", full_script, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  Namespace *ns = g_new0 (Namespace, 1);

  ns->process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE, &error);
  g_assert_no_error (error);
  ns->output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (ns->process));
  /* Once it printed, the shell is in its namespace: move the link there. */
  before = namespace_read_until (ns, "ready");
  g_assert_cmpstr (before, ==, "");
  run ("ip link set dev %s netns %s", link, g_subprocess_get_identifier (ns->process));
  return ns;
}

/* Waits for the shell to end; returns its output, *ok its success. */
static char *
namespace_finish (Namespace *ns,
                  gboolean  *ok)
{
  g_autoptr(GError) error = NULL;
  char *text = namespace_read_until (ns, NULL);

  g_subprocess_wait (ns->process, NULL, &error);
  g_assert_no_error (error);
  *ok = g_subprocess_get_successful (ns->process);
  return text;
}

/* A veth pair whose `port` end is a port of `bridge`; the other end is for
 * a namespace. */
static void
make_bridge_port (const char *bridge,
                  const char *port,
                  const char *guest_end,
                  const char *mac)
{
  run ("ip link add %s address %s type veth peer name %s", guest_end, mac, port);
  run ("ip link set dev %s master %s", port, bridge);
  run ("ip link set dev %s up", port);
}

/* Runs busybox udhcpc in a namespace of its own, on a veth whose other
 * end is a port of `bridge`: a real client, like a guest's. Returns
 * udhcpc's output; *ok says whether it got a lease. */
static char *
dhcp_client (const char *bridge,
             const char *mac,
             gboolean   *ok)
{
  g_autoptr(Namespace) client = NULL;
  char *text;

  make_bridge_port (bridge, "hgt-dh0", "hgt-dc0", mac);
  client = namespace_start ("hgt-dc0", "exec busybox udhcpc -i hgt-dc0 -n -q -T 1 -t 5 -s /bin/true");
  text = namespace_finish (client, ok);
  /* The client's namespace goes with it, and the veth pair with that. */
  wait_link_gone ("hgt-dh0");
  return text;
}

/* dnsmasq's lease for `mac`, waiting a little for the lease file. */
static HangardDhcpLease *
lease_for (const char *state_dir,
           const char *mac)
{
  gint64 deadline = g_get_monotonic_time () + LEASE_FILE_TIMEOUT_US;

  do
    {
      g_autoptr(GPtrArray) leases = hangard_dnsmasq_read_leases (state_dir);

      for (guint i = 0; i < leases->len; i++)
        {
          HangardDhcpLease *lease = g_ptr_array_index (leases, i);

          if (strcmp (lease->mac, mac) == 0)
            return g_ptr_array_steal_index (leases, i);
        }
      g_usleep (G_USEC_PER_SEC / 20);
    }
  while (g_get_monotonic_time () < deadline);
  return NULL;
}

static gboolean
process_gone (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", pid);
  g_autofree char *cmdline = NULL;
  gsize length = 0;

  /* A zombie (not reaped yet by whoever adopted the daemon) has no
   * command line. */
  return !g_file_get_contents (path, &cmdline, &length, NULL) || length == 0;
}

static GPid
pid_in (const char *state_dir)
{
  g_autofree char *path = g_build_filename (state_dir, "dnsmasq.pid", NULL);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  return (GPid) g_ascii_strtoll (text, NULL, 10);
}

static void
test_dnsmasq (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *cmdline_path = NULL;
  g_autofree char *cmdline = NULL;
  gsize cmdline_length = 0;
  g_autofree char *dynamic_log = NULL;
  g_autofree char *static_log = NULL;
  g_autoptr(HangardDhcpLease) dynamic_lease = NULL;
  g_autoptr(HangardDhcpLease) static_lease = NULL;
  g_autoptr(GPtrArray) host_list = g_ptr_array_new_with_free_func ((GDestroyNotify) dhcp_host_free);
  HangardDhcpHost *host;
  gboolean dynamic_ok = FALSE;
  gboolean static_ok = FALSE;
  gboolean second_start;
  guint32 leased = 0;
  GPid pid;
  HangardNetworkDef def = {
    .name = (char *) "hgt-net",
    .forward_mode = HANGARD_FORWARD_NAT,
    .bridge_name = (char *) "hgt-dbr",
    .has_ip = TRUE,
    .address = IPV4 (10, 77, 0, 1),
    .prefix = 24,
    .has_dhcp = TRUE,
    .dhcp_start = IPV4 (10, 77, 0, 100),
    .dhcp_end = IPV4 (10, 77, 0, 200),
    .hosts = host_list,
  };

  if (!need_netns ())
    return;
  host = g_new0 (HangardDhcpHost, 1);
  host->mac = g_strdup ("52:54:00:00:aa:02");
  host->name = g_strdup ("fixed");
  host->ip = IPV4 (10, 77, 0, 50);
  g_ptr_array_add (host_list, host);
  /* A name that would break the argument is dropped, the host kept. */
  host = g_new0 (HangardDhcpHost, 1);
  host->mac = g_strdup ("52:54:00:00:aa:03");
  host->name = g_strdup ("bad,name");
  host->ip = IPV4 (10, 77, 0, 51);
  g_ptr_array_add (host_list, host);

  state_dir = g_dir_make_tmp ("hangar-dnsmasq-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_true (hangard_host_net_bridge_create ("hgt-dbr", &error));
  g_assert_no_error (error);
  g_assert_true (hangard_host_net_address_add ("hgt-dbr", def.address, def.prefix, &error));
  g_assert_no_error (error);
  g_assert_true (hangard_host_net_link_set_up ("hgt-dbr", &error));
  g_assert_no_error (error);

  g_assert_false (hangard_dnsmasq_is_running (state_dir, "hgt-dbr"));
  g_assert_true (hangard_dnsmasq_start (&def, state_dir, &error));
  g_assert_no_error (error);
  g_assert_true (hangard_dnsmasq_is_running (state_dir, "hgt-dbr"));
  g_assert_false (hangard_dnsmasq_is_running (state_dir, "hgt-other"));
  pid = pid_in (state_dir);
  started_dnsmasq = pid;
  cmdline_path = g_strdup_printf ("/proc/%d/cmdline", pid);
  g_file_get_contents (cmdline_path, &cmdline, &cmdline_length, NULL);

  /* The clients run before any assertion can fail, so dnsmasq is always
   * stopped below. */
  second_start = hangard_dnsmasq_start (&def, state_dir, &error);
  dynamic_log = dhcp_client ("hgt-dbr", "52:54:00:00:aa:01", &dynamic_ok);
  static_log = dhcp_client ("hgt-dbr", "52:54:00:00:aa:02", &static_ok);
  dynamic_lease = lease_for (state_dir, "52:54:00:00:aa:01");
  static_lease = lease_for (state_dir, "52:54:00:00:aa:02");

  hangard_dnsmasq_stop (state_dir, "hgt-dbr");
  g_assert_false (hangard_dnsmasq_is_running (state_dir, "hgt-dbr"));
  g_assert_true (process_gone (pid));
  started_dnsmasq = 0;
  hangard_dnsmasq_stop (state_dir, "hgt-dbr");

  g_test_message ("udhcpc (dynamic): %s", dynamic_log);
  g_test_message ("udhcpc (static): %s", static_log);
  g_assert_false (second_start);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE);
  g_assert_nonnull (cmdline);
  for (gsize i = 0; i + 1 < cmdline_length; i++)
    if (cmdline[i] == '\0')
      cmdline[i] = ' ';
  g_test_message ("dnsmasq: %s", cmdline);
  g_assert_nonnull (strstr (cmdline, " --dhcp-host=52:54:00:00:aa:02,10.77.0.50,fixed "));
  g_assert_nonnull (strstr (cmdline, " --dhcp-host=52:54:00:00:aa:03,10.77.0.51 "));
  g_assert_true (dynamic_ok);
  g_assert_true (static_ok);
  g_assert_nonnull (dynamic_lease);
  g_assert_true (inet_pton (AF_INET, dynamic_lease->ip, &leased) == 1);
  g_assert_cmphex (g_ntohl (leased), >=, def.dhcp_start);
  g_assert_cmphex (g_ntohl (leased), <=, def.dhcp_end);
  g_assert_nonnull (strstr (dynamic_log, dynamic_lease->ip));
  g_assert_cmpint (dynamic_lease->expiry, >, g_get_real_time () / G_USEC_PER_SEC);
  g_assert_cmpstr (dynamic_lease->hostname, ==, "");
  g_assert_nonnull (static_lease);
  g_assert_cmpstr (static_lease->ip, ==, "10.77.0.50");

  run ("ip link delete dev hgt-dbr");
  remove_dir (state_dir);
}

/* A pid file naming some other process is not taken for dnsmasq's, and
 * stopping leaves that process alone. */
static void
test_dnsmasq_stale_pid (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *pid_path = NULL;
  g_autofree char *pid_text = g_strdup_printf ("%d\n", getpid ());

  if (!need_netns ())
    return;
  state_dir = g_dir_make_tmp ("hangar-dnsmasq-XXXXXX", &error);
  g_assert_no_error (error);
  pid_path = g_build_filename (state_dir, "dnsmasq.pid", NULL);
  g_assert_true (g_file_set_contents (pid_path, pid_text, -1, &error));
  g_assert_no_error (error);

  g_assert_false (hangard_dnsmasq_is_running (state_dir, "hgt-dbr"));
  hangard_dnsmasq_stop (state_dir, "hgt-dbr");
  g_assert_false (g_file_test (pid_path, G_FILE_TEST_EXISTS));
  hangard_dnsmasq_stop ("/nonexistent", "hgt-dbr");
  {
    g_autoptr(GPtrArray) leases = hangard_dnsmasq_read_leases (state_dir);

    g_assert_cmpuint (leases->len, ==, 0);
  }
  remove_dir (state_dir);
}

static void
test_dnsmasq_start_fails (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state_dir = NULL;
  g_autoptr(GPtrArray) host_list = g_ptr_array_new ();
  HangardNetworkDef def = {
    .name = (char *) "hgt-net",
    .bridge_name = (char *) "hgt-nobr",
    .has_ip = TRUE,
    .address = IPV4 (10, 78, 0, 1),
    .prefix = 24,
    .has_dhcp = TRUE,
    .dhcp_start = IPV4 (10, 78, 0, 100),
    .dhcp_end = IPV4 (10, 78, 0, 200),
    .hosts = host_list,
  };

  if (!need_netns ())
    return;
  state_dir = g_dir_make_tmp ("hangar-dnsmasq-XXXXXX", &error);
  g_assert_no_error (error);
  /* No such interface: dnsmasq's own complaint comes back. */
  g_assert_false (hangard_dnsmasq_start (&def, state_dir, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "dnsmasq"));
  g_assert_false (hangard_dnsmasq_is_running (state_dir, "hgt-nobr"));
  remove_dir (state_dir);
}

/* ---- nftables ------------------------------------------------------------- */

static gboolean
strv_has (GStrv       strv,
          const char *value)
{
  return strv != NULL && g_strv_contains ((const char * const *) strv, value);
}

static void
test_nft (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ruleset = NULL;
  g_autofree char *isolated = NULL;
  g_autofree char *after = NULL;
  g_auto(GStrv) tables = NULL;

  if (!need_netns ())
    return;
  /* Some other table, which is none of ours. */
  run ("nft add table ip hgtest_other");
  run ("nft add table inet hangar_inet");

  /* '-' and '.' are fine in nft 1.0.6 table names. */
  g_assert_true (hangard_nft_add_network_table ("hgt-n.0", IPV4 (10, 77, 0, 1), 24, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (try_run (&ruleset, "nft list table ip hangar_hgt-n.0"));
  g_assert_nonnull (strstr (ruleset, "ip saddr 10.77.0.0/24 ip daddr != 10.77.0.0/24 masquerade"));
  g_assert_nonnull (strstr (ruleset, "hook postrouting"));
  g_assert_nonnull (strstr (ruleset, "iifname \"hgt-n.0\" ip saddr 10.77.0.0/24 accept"));

  tables = hangard_nft_list_network_tables (&error);
  g_assert_no_error (error);
  g_assert_true (strv_has (tables, "hgt-n.0"));
  g_assert_false (strv_has (tables, "inet"));
  g_assert_cmpuint (g_strv_length (tables), ==, 1);
  g_clear_pointer (&tables, g_strfreev);

  /* Adding again replaces: an isolated network has no NAT and rejects what
   * crosses its bridge. */
  g_assert_true (hangard_nft_add_network_table ("hgt-n.0", IPV4 (10, 77, 0, 0), 24, FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (try_run (&isolated, "nft list table ip hangar_hgt-n.0"));
  g_assert_null (strstr (isolated, "masquerade"));
  g_assert_null (strstr (isolated, "ip saddr"));
  g_assert_nonnull (strstr (isolated, "iifname \"hgt-n.0\" reject"));
  g_assert_nonnull (strstr (isolated, "iifname \"hgt-n.0\" oifname \"hgt-n.0\" accept"));

  g_assert_true (hangard_nft_add_network_table ("hgt_n2", IPV4 (10, 78, 0, 0), 16, TRUE, &error));
  g_assert_no_error (error);
  tables = hangard_nft_list_network_tables (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (tables), ==, 2);
  g_assert_true (strv_has (tables, "hgt_n2"));
  g_clear_pointer (&tables, g_strfreev);

  g_assert_true (hangard_nft_delete_network_table ("hgt-n.0", &error));
  g_assert_no_error (error);
  g_assert_true (hangard_nft_delete_network_table ("hgt_n2", &error));
  g_assert_no_error (error);
  /* Quiet when there is none. */
  g_assert_true (hangard_nft_delete_network_table ("hgt-n.0", &error));
  g_assert_no_error (error);

  tables = hangard_nft_list_network_tables (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (tables), ==, 0);
  g_assert_true (try_run (&after, "nft list tables"));
  g_assert_nonnull (strstr (after, "hgtest_other"));
  g_assert_null (strstr (after, "hangar_hgt"));

  g_assert_false (hangard_nft_add_network_table ("bad name", IPV4 (10, 77, 0, 0), 24, TRUE, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
  run ("nft delete table ip hgtest_other");
  run ("nft delete table inet hangar_inet");
}

/* The table at work: a guest namespace on the bridge reaches a host
 * outside, which has no route back to the guests' subnet, through
 * masquerading; on an isolated network it reaches the host's bridge
 * address but nothing beyond, even when the outside could answer. */
static char *
guest_run (const char *script,
           gboolean   *ok)
{
  g_autofree char *full_script = g_strdup_printf ("ip addr add 10.77.1.5/24 dev hgt-g0 && "
                                                  "ip route add default via 10.77.1.1 && %s", script);
  g_autoptr(Namespace) guest = NULL;
  char *text;

  make_bridge_port ("hgt-nbr", "hgt-gh0", "hgt-g0", "52:54:00:00:bb:01");
  guest = namespace_start ("hgt-g0", full_script);
  text = namespace_finish (guest, ok);
  wait_link_gone ("hgt-gh0");
  return text;
}

static void
test_nat (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Namespace) outside = NULL;
  g_autofree char *outside_log = NULL;
  g_autofree char *nat_log = NULL;
  g_autofree char *isolated_log = NULL;
  gboolean nat_ok = FALSE;
  gboolean isolated_ok = FALSE;

  if (!need_netns ())
    return;
  g_assert_true (hangard_host_net_bridge_create ("hgt-nbr", &error));
  g_assert_no_error (error);
  g_assert_true (hangard_host_net_address_add ("hgt-nbr", IPV4 (10, 77, 1, 1), 24, &error));
  g_assert_no_error (error);
  g_assert_true (hangard_host_net_link_set_up ("hgt-nbr", &error));
  g_assert_no_error (error);
  g_assert_true (hangard_host_net_enable_ip_forward (&error));
  g_assert_no_error (error);

  /* The "internet": 198.51.100.2, behind the host's uplink 198.51.100.1. */
  run ("ip link add hgt-up type veth peer name hgt-out");
  run ("ip addr add 198.51.100.1/24 dev hgt-up");
  run ("ip link set dev hgt-up up");
  outside = namespace_start ("hgt-out", "ip addr add 198.51.100.2/24 dev hgt-out && "
                                        "echo configured && exec sleep 120");
  outside_log = namespace_read_until (outside, "configured");

  g_assert_true (hangard_nft_add_network_table ("hgt-nbr", IPV4 (10, 77, 1, 0), 24, TRUE, &error));
  g_assert_no_error (error);
  nat_log = guest_run ("busybox ping -c 1 -W 3 198.51.100.2", &nat_ok);

  /* Now the outside could answer the guest's own address: only the
   * table's reject stops the guest's traffic from being routed there. */
  run ("nsenter --net=/proc/%s/ns/net ip route add 10.77.1.0/24 via 198.51.100.1",
       g_subprocess_get_identifier (outside->process));
  g_assert_true (hangard_nft_add_network_table ("hgt-nbr", IPV4 (10, 77, 1, 0), 24, FALSE, &error));
  g_assert_no_error (error);
  isolated_log = guest_run ("busybox ping -c 1 -W 3 10.77.1.1 && ! busybox ping -c 1 -W 2 198.51.100.2",
                            &isolated_ok);

  g_clear_pointer (&outside, namespace_free);
  g_assert_true (hangard_nft_delete_network_table ("hgt-nbr", &error));
  g_assert_no_error (error);
  wait_link_gone ("hgt-up");
  run ("ip link delete dev hgt-nbr");

  g_test_message ("outside: %s", outside_log);
  g_test_message ("NAT guest: %s", nat_log);
  g_test_message ("isolated guest: %s", isolated_log);
  g_assert_true (nat_ok);
  g_assert_true (isolated_ok);
}

int
main (int    argc,
      char **argv)
{
  /* Before anything else, so every ip, nft and dnsmasq this program runs
   * is in the new namespace. */
  have_netns = unshare (CLONE_NEWNET) == 0;

  g_test_init (&argc, &argv, NULL);
  signal (SIGABRT, on_abort);
  if (have_netns)
    run ("ip link set dev lo up");

  g_test_add_func ("/host-net/list-ipv4", test_list_ipv4);
  g_test_add_func ("/host-net/link-queries", test_link_queries);
  g_test_add_func ("/host-net/keyword-names", test_keyword_names);
  g_test_add_func ("/host-net/bridge", test_bridge);
  g_test_add_func ("/host-net/ip-forward", test_ip_forward);
  g_test_add_func ("/host-net/tap", test_tap);
  g_test_add_func ("/host-net/bridge-interface", test_bridge_interface);
  g_test_add_func ("/host-net/bridge-interface-down-device", test_bridge_interface_down_device);
  g_test_add_func ("/host-net/bridge-interface-refused", test_bridge_interface_refused);
  g_test_add_func ("/host-net/bridge-interface-rollback", test_bridge_interface_rollback);
  g_test_add_func ("/host-net/dnsmasq", test_dnsmasq);
  g_test_add_func ("/host-net/dnsmasq-stale-pid", test_dnsmasq_stale_pid);
  g_test_add_func ("/host-net/dnsmasq-start-fails", test_dnsmasq_start_fails);
  g_test_add_func ("/host-net/nft", test_nft);
  g_test_add_func ("/host-net/nat", test_nat);
  return g_test_run ();
}
