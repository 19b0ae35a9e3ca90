/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-hangarctl-network"

/* Virtual networks through the real hangarctl against a real system-mode
 * hangard in a network namespace of the test's own (the host's network is
 * never touched): virsh's net-* verbs, a busybox guest's lease seen by
 * net-dhcp-leases, domiflist and domifaddr, and iface-bridge moving a
 * (veth) LAN interface's address into a bridge and back. */

#include <glib/gstdio.h>
#include <unistd.h>

#include "hangar-test-env.h"

#define BOOT_TIMEOUT_S 90
#define LEASE_TIMEOUT_S 10
#define POLL_INTERVAL_MS 300
#define INFO_WIDTH 15
#define IP_MARKER "HANGAR-GUEST-IP eth0 "
#define GUEST "net-guest"

/* ---- Commands in the engine's namespace ------------------------------------ */

static char *
run_argv (const char * const *argv,
          gboolean            must_succeed)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  if (g_spawn_check_wait_status (status, NULL))
    return g_steal_pointer (&out);
  if (must_succeed)
    g_error ("%s %s %s %s failed: %s", argv[0], argv[1], argv[2], argv[3], err);
  return NULL;
}

/* `ip -n NETNS ARGS…`: its stdout, or NULL when it fails (and `must_succeed` is FALSE). */
static char *
ip_in_netns (HangarTestEnv *env,
             gboolean       must_succeed,
             const char    *first,
             ...) G_GNUC_NULL_TERMINATED;

static char *
ip_in_netns (HangarTestEnv *env,
             gboolean       must_succeed,
             const char    *first,
             ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  va_list args;

  g_ptr_array_add (argv, "ip");
  g_ptr_array_add (argv, "-n");
  g_ptr_array_add (argv, env->netns);
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  return run_argv ((const char * const *) argv->pdata, must_succeed);
}

static gboolean
link_exists (HangarTestEnv *env,
             const char    *name)
{
  g_autofree char *out = ip_in_netns (env, FALSE, "link", "show", "dev", name, NULL);

  return out != NULL;
}

static char *
ipv4_addresses (HangarTestEnv *env,
                const char    *device)
{
  return ip_in_netns (env, TRUE, "-4", "addr", "show", "dev", device, NULL);
}

/* ---- Output ----------------------------------------------------------------- */

static char *
write_tmp_file (HangarTestEnv *env,
                const char    *name,
                const char    *contents)
{
  g_autofree char *path = g_build_filename (env->tmpdir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

/* A "Label:  value" line as net-info lays them out ("%-15s %s"). */
#define assert_field(text, label, value) \
  G_STMT_START { \
    g_autofree char *field_line_ = g_strdup_printf ("%-*s %s", INFO_WIDTH, (label), (value)); \
    hangar_assert_has_line ((text), field_line_); \
  } G_STMT_END

/* A table as virsh prints it: a header, dashes, rows; one space before,
 * three between columns, the last one not padded. `cells` holds the header
 * then the rows, `n_columns` a row, NULL-terminated. */
static char *
virsh_table (guint               n_columns,
             const char * const *cells)
{
  g_autofree gsize *widths = g_new0 (gsize, n_columns);
  GString *table = g_string_new (NULL);
  gsize n_cells = g_strv_length ((char **) cells);
  gsize dashes = 0;

  g_assert_cmpuint (n_cells % n_columns, ==, 0);
  for (gsize i = 0; i < n_cells; i++)
    widths[i % n_columns] = MAX (widths[i % n_columns], strlen (cells[i]));
  for (guint c = 0; c < n_columns; c++)
    dashes += widths[c] + 3;

  for (gsize i = 0; i < n_cells; i++)
    {
      guint column = i % n_columns;

      if (column == n_columns - 1)
        g_string_append_printf (table, " %s\n", cells[i]);
      else
        g_string_append_printf (table, " %-*s  ", (int) widths[column], cells[i]);
      if (i == n_columns - 1)
        {
          for (gsize d = 0; d < dashes; d++)
            g_string_append_c (table, '-');
          g_string_append_c (table, '\n');
        }
    }
  return g_string_free (table, FALSE);
}

/* The cells of a table line: columns are at least three spaces apart, and
 * a cell ("2024-05-01 13:45:00") has at most single spaces. */
static char **
split_cells (const char *line)
{
  g_autofree char *stripped = g_strstrip (g_strdup (line));

  return g_regex_split_simple (" {3,}", stripped, 0, 0);
}

/* The row of `table` whose cell `column` is `value`. */
static char **
table_row (const char *table,
           guint       column,
           const char *value)
{
  g_auto(GStrv) lines = g_strsplit (table, "\n", -1);

  for (guint i = 2; lines[0] != NULL && lines[1] != NULL && lines[i] != NULL; i++)
    {
      g_auto(GStrv) cells = split_cells (lines[i]);

      if (g_strv_length (cells) > column && g_strcmp0 (cells[column], value) == 0)
        return g_steal_pointer (&cells);
    }
  g_error ("no row with '%s' in column %u of:\n%s", value, column, table);
}

static guint
count_rows (const char *table)
{
  g_auto(GStrv) lines = g_strsplit (table, "\n", -1);
  guint n = 0;

  for (guint i = 2; lines[0] != NULL && lines[1] != NULL && lines[i] != NULL; i++)
    n += *lines[i] != '\0';
  return n;
}

/* A failure as hangarctl promises it: exit 1, one line "error: …" with `needle`. */
#define assert_ctl_fails(env, needle, ...) \
  G_STMT_START { \
    g_autofree char *out_ = NULL; \
    g_autofree char *err_ = NULL; \
    int status_ = hangar_test_ctl ((env), &out_, &err_, __VA_ARGS__, NULL); \
    hangar_assert_ctl_error (status_, err_, (needle)); \
    g_assert_cmpstr (out_, ==, ""); \
  } G_STMT_END

static HangarTestEnv *
system_env (void)
{
  if (getuid () != 0)
    {
      g_test_skip ("network tests need root for their network namespaces");
      return NULL;
    }
  return hangar_test_env_new (TRUE);
}

/* ---- Tests ------------------------------------------------------------------ */

/* A system engine's first start brings the default NAT network, started
 * and autostarted, as libvirt does. */
static void
test_default (void)
{
  HangarTestEnv *env = system_env ();
  g_autofree char *out = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *uuid_line = NULL;

  if (env == NULL)
    return;

  hangar_test_ctl_ok (env, &out, "net-list", NULL);
  expected = virsh_table (4, (const char * const[]) {
                            "Name", "State", "Autostart", "Persistent",
                            "default", "active", "yes", "yes", NULL });
  g_assert_cmpstr (out, ==, expected);

  hangar_test_ctl_ok (env, &out, "net-list", "--all", "--name", NULL);
  g_assert_cmpstr (out, ==, "default\n");

  hangar_test_ctl_ok (env, &out, "net-uuid", "default", NULL);
  uuid = g_strstrip (g_strdup (out));
  g_assert_true (g_uuid_string_is_valid (uuid));
  hangar_test_ctl_ok (env, &out, "net-name", uuid, NULL);
  g_assert_cmpstr (out, ==, "default\n");
  hangar_test_ctl_ok (env, &out, "net-list", "--uuid", "--name", NULL);
  uuid_line = g_strdup_printf ("%-36s default\n", uuid);
  g_assert_cmpstr (out, ==, uuid_line);

  hangar_test_ctl_ok (env, &out, "net-info", "default", NULL);
  assert_field (out, "Name:", "default");
  assert_field (out, "UUID:", uuid);
  assert_field (out, "Active:", "yes");
  assert_field (out, "Persistent:", "yes");
  assert_field (out, "Autostart:", "yes");
  assert_field (out, "Bridge:", "hgbr0");
  g_assert_true (link_exists (env, "hgbr0"));

  hangar_test_env_free (env);
}

/* An isolated network from net-define-as, through its whole life. */
static void
test_isolated_lifecycle (void)
{
  HangarTestEnv *env = system_env ();
  g_autofree char *out = NULL;
  g_autofree char *addresses = NULL;
  g_autofree char *expected = NULL;

  if (env == NULL)
    return;

  /* --print-xml shows what would be defined, and defines nothing. */
  hangar_test_ctl_ok (env, &out, "net-define-as", "iso", "--forward", "none", "--bridge", "hgiso1",
                      "--address", "10.51.0.1/24", "--dhcp-range", "10.51.0.10-10.51.0.20",
                      "--print-xml", NULL);
  g_assert_nonnull (strstr (out, "<name>iso</name>"));
  g_assert_nonnull (strstr (out, "<ip address='10.51.0.1' prefix='24'>"));
  g_assert_nonnull (strstr (out, "<range start='10.51.0.10' end='10.51.0.20'/>"));
  g_assert_null (strstr (out, "<forward"));
  assert_ctl_fails (env, "No network named 'iso'", "net-info", "iso");

  hangar_test_ctl_ok (env, &out, "net-define-as", "iso", "--forward", "none", "--bridge", "hgiso1",
                      "--address", "10.51.0.1/24", "--dhcp-range", "10.51.0.10-10.51.0.20", NULL);
  g_assert_cmpstr (out, ==, "Network iso defined\n");

  hangar_test_ctl_ok (env, &out, "net-list", NULL);
  g_assert_null (strstr (out, "iso"));
  hangar_test_ctl_ok (env, &out, "net-list", "--all", NULL);
  expected = virsh_table (4, (const char * const[]) {
                            "Name", "State", "Autostart", "Persistent",
                            "default", "active", "yes", "yes",
                            "iso", "inactive", "no", "yes", NULL });
  g_assert_cmpstr (out, ==, expected);
  hangar_test_ctl_ok (env, &out, "net-list", "--inactive", "--name", NULL);
  g_assert_cmpstr (out, ==, "iso\n");

  hangar_test_ctl_ok (env, &out, "net-start", "iso", NULL);
  g_assert_cmpstr (out, ==, "Network iso started\n");
  assert_ctl_fails (env, "already active", "net-start", "iso");
  addresses = ipv4_addresses (env, "hgiso1");
  g_assert_nonnull (strstr (addresses, "10.51.0.1/24"));

  hangar_test_ctl_ok (env, &out, "net-info", "iso", NULL);
  assert_field (out, "Name:", "iso");
  assert_field (out, "Active:", "yes");
  assert_field (out, "Persistent:", "yes");
  assert_field (out, "Autostart:", "no");
  assert_field (out, "Bridge:", "hgiso1");

  hangar_test_ctl_ok (env, &out, "net-dumpxml", "iso", NULL);
  g_assert_true (g_str_has_prefix (out, "<network"));
  g_assert_nonnull (strstr (out, "<name>iso</name>"));
  g_assert_nonnull (strstr (out, "<uuid>"));
  g_assert_nonnull (strstr (out, "<bridge name=\"hgiso1\"/>"));
  g_assert_nonnull (strstr (out, "10.51.0.10"));

  hangar_test_ctl_ok (env, &out, "net-autostart", "iso", NULL);
  g_assert_cmpstr (out, ==, "Network iso marked as autostarted\n");
  hangar_test_ctl_ok (env, &out, "net-info", "iso", NULL);
  assert_field (out, "Autostart:", "yes");
  hangar_test_ctl_ok (env, &out, "net-autostart", "--disable", "iso", NULL);
  g_assert_cmpstr (out, ==, "Network iso unmarked as autostarted\n");
  hangar_test_ctl_ok (env, &out, "net-info", "iso", NULL);
  assert_field (out, "Autostart:", "no");

  assert_ctl_fails (env, "active", "net-undefine", "iso");
  hangar_test_ctl_ok (env, &out, "net-destroy", "iso", NULL);
  g_assert_cmpstr (out, ==, "Network iso destroyed\n");
  g_assert_false (link_exists (env, "hgiso1"));
  assert_ctl_fails (env, "not active", "net-destroy", "iso");

  hangar_test_ctl_ok (env, &out, "net-undefine", "iso", NULL);
  g_assert_cmpstr (out, ==, "Network iso has been undefined\n");
  assert_ctl_fails (env, "No network named 'iso'", "net-info", "iso");
  hangar_test_ctl_ok (env, &out, "net-list", "--all", "--name", NULL);
  g_assert_cmpstr (out, ==, "default\n");

  hangar_test_env_free (env);
}

/* A NAT network on a 10.x subnet from a file, as virsh net-define reads it. */
static void
test_define_file (void)
{
  HangarTestEnv *env = system_env ();
  g_autofree char *out = NULL;
  g_autofree char *file = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *addresses = NULL;

  if (env == NULL)
    return;

  file = write_tmp_file (env, "lab.xml",
                         "<network>\n"
                         "  <name>lab</name>\n"
                         "  <forward mode='nat'/>\n"
                         "  <bridge name='hglab0'/>\n"
                         "  <ip address='10.52.0.1' netmask='255.255.255.0'>\n"
                         "    <dhcp><range start='10.52.0.100' end='10.52.0.199'/></dhcp>\n"
                         "  </ip>\n"
                         "</network>\n");
  hangar_test_ctl_ok (env, &out, "net-define", file, NULL);
  expected = g_strdup_printf ("Network lab defined from %s\n", file);
  g_assert_cmpstr (out, ==, expected);

  hangar_test_ctl_ok (env, &out, "net-start", "lab", NULL);
  g_assert_cmpstr (out, ==, "Network lab started\n");
  addresses = ipv4_addresses (env, "hglab0");
  g_assert_nonnull (strstr (addresses, "10.52.0.1/24"));
  hangar_test_ctl_ok (env, &out, "net-dumpxml", "lab", NULL);
  g_assert_nonnull (strstr (out, "<forward mode=\"nat\"/>"));
  hangar_test_ctl_ok (env, &out, "net-dhcp-leases", "lab", NULL);
  g_assert_cmpuint (count_rows (out), ==, 0);
  g_assert_true (g_str_has_prefix (out, " Expiry Time   MAC address   Protocol   IP address   "
                                        "Hostname   Client ID or DUID\n"));

  hangar_test_ctl_ok (env, &out, "net-destroy", "lab", NULL);
  g_assert_false (link_exists (env, "hglab0"));
  hangar_test_ctl_ok (env, &out, "net-undefine", "lab", NULL);
  g_assert_cmpstr (out, ==, "Network lab has been undefined\n");

  hangar_test_env_free (env);
}

/* Bad requests: one line "error: …", exit status 1, nothing defined. */
static void
test_errors (void)
{
  HangarTestEnv *env = system_env ();
  g_autofree char *out = NULL;
  g_autofree char *missing = NULL;

  if (env == NULL)
    return;

  /* The engine's refusals. */
  assert_ctl_fails (env, "overlaps network 'default'", "net-define-as", "clash", "--forward", "nat",
                    "--address", "192.168.122.129/25");
  assert_ctl_fails (env, "outside", "net-define-as", "range", "--forward", "none",
                    "--address", "10.61.0.1/24", "--dhcp-range", "10.62.0.2-10.62.0.9");
  assert_ctl_fails (env, "already active", "net-start", "default");
  assert_ctl_fails (env, "No network named 'nosuch'", "net-start", "nosuch");
  assert_ctl_fails (env, "No network named 'nosuch'", "net-info", "nosuch");
  assert_ctl_fails (env, "No network named 'nosuch'", "net-dhcp-leases", "nosuch");
  assert_ctl_fails (env, "No network named 'nosuch'", "net-undefine", "nosuch");
  hangar_test_ctl_ok (env, &out, "net-define-as", "lan", "--forward", "bridge", "--bridge", "nosuchbr0", NULL);
  assert_ctl_fails (env, "nosuchbr0", "net-start", "lan");
  hangar_test_ctl_ok (env, &out, "net-undefine", "lan", NULL);

  /* hangarctl's own. */
  assert_ctl_fails (env, "--forward", "net-define-as", "noforward", "--address", "10.64.0.1/24");
  assert_ctl_fails (env, "routed", "net-define-as", "bad", "--forward", "routed");
  assert_ctl_fails (env, "ADDRESS/PREFIX", "net-define-as", "bad", "--forward", "nat",
                    "--address", "10.64.0.1");
  assert_ctl_fails (env, "START-END", "net-define-as", "bad", "--forward", "nat",
                    "--address", "10.64.0.1/24", "--dhcp-range", "10.64.0.9");
  assert_ctl_fails (env, "--address", "net-define-as", "bad", "--forward", "none",
                    "--dhcp-range", "10.64.0.2-10.64.0.9");
  assert_ctl_fails (env, "--address", "net-define-as", "bad", "--forward", "bridge", "--bridge", "br0",
                    "--address", "10.64.0.1/24");
  assert_ctl_fails (env, "--bridge", "net-define-as", "bad", "--forward", "bridge");
  missing = g_build_filename (env->tmpdir, "missing.xml", NULL);
  assert_ctl_fails (env, "missing.xml", "net-define", missing);

  hangar_test_ctl_ok (env, &out, "net-list", "--all", "--name", NULL);
  g_assert_cmpstr (out, ==, "default\n");

  hangar_test_env_free (env);
}

/* The console's "HANGAR-GUEST-IP eth0 ADDR" once the guest has its lease. */
static char *
wait_for_guest_ip (HangarTestEnv *env,
                   const char    *name)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) BOOT_TIMEOUT_S * G_USEC_PER_SEC;
  g_autofree char *console = NULL;

  do
    {
      const char *marker;

      hangar_test_ctl_ok (env, &console, "console-log", name, NULL);
      marker = strstr (console, IP_MARKER);
      if (marker != NULL && strpbrk (marker, "\r\n") != NULL)
        {
          marker += strlen (IP_MARKER);
          return g_strndup (marker, strcspn (marker, "\r\n"));
        }
      g_usleep (POLL_INTERVAL_MS * 1000);
    }
  while (g_get_monotonic_time () < deadline);

  g_error ("%s got no address in %d s; its console:\n%s", name, BOOT_TIMEOUT_S, console);
}

/* net-dhcp-leases' row for `mac`: dnsmasq writes its lease file as it
 * answers, which may be a moment after the guest printed its address. */
static char **
wait_for_lease (HangarTestEnv *env,
                const char    *network,
                const char    *mac)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) LEASE_TIMEOUT_S * G_USEC_PER_SEC;
  g_autofree char *out = NULL;

  do
    {
      hangar_test_ctl_ok (env, &out, "net-dhcp-leases", network, NULL);
      if (strstr (out, mac) != NULL)
        return table_row (out, 1, mac);
      g_usleep (POLL_INTERVAL_MS * 1000);
    }
  while (g_get_monotonic_time () < deadline);

  g_error ("no lease for %s in %d s:\n%s", mac, LEASE_TIMEOUT_S, out);
}

/* A guest on the default network: its lease, tap and address as
 * net-dhcp-leases, domiflist and domifaddr show them. */
static void
test_guest (void)
{
  HangarTestEnv *env = system_env ();
  g_autofree char *base = NULL;
  g_autoptr(GString) xml = NULL;
  g_autofree char *file = NULL;
  g_autofree char *out = NULL;
  g_autofree char *ip = NULL;
  g_autofree char *ip_prefix = NULL;
  g_auto(GStrv) nic = NULL;
  g_auto(GStrv) inactive = NULL;
  g_auto(GStrv) lease = NULL;
  g_auto(GStrv) address = NULL;

  if (env == NULL)
    return;

  base = hangar_test_guest_xml (GUEST, "hangar.dhcp");
  xml = g_string_new (base);
  g_string_replace (xml, "<devices>",
                    "<devices>\n    <interface type='network'><source network='default'/>"
                    "<model type='virtio'/></interface>", 1);
  file = write_tmp_file (env, GUEST ".xml", xml->str);
  hangar_test_ctl_ok (env, &out, "define", file, NULL);

  /* Defined, not running: no tap, no address. */
  hangar_test_ctl_ok (env, &out, "domiflist", GUEST, NULL);
  nic = table_row (out, 1, "network");
  g_assert_cmpstr (nic[0], ==, "-");
  g_clear_pointer (&nic, g_strfreev);

  hangar_test_ctl_ok (env, &out, "start", GUEST, NULL);
  ip = wait_for_guest_ip (env, GUEST);
  g_assert_true (g_str_has_prefix (ip, "192.168.122."));
  ip_prefix = g_strconcat (ip, "/24", NULL);

  /* domiflist: Interface, Type, Source, Model, MAC. */
  hangar_test_ctl_ok (env, &out, "domiflist", GUEST, NULL);
  g_assert_true (g_str_has_prefix (out, " Interface   Type      Source    Model    MAC\n"));
  g_assert_cmpuint (count_rows (out), ==, 1);
  nic = table_row (out, 1, "network");
  g_assert_cmpuint (g_strv_length (nic), ==, 5);
  g_assert_true (g_str_has_prefix (nic[0], "hgtap"));
  g_assert_true (link_exists (env, nic[0]));
  g_assert_cmpstr (nic[2], ==, "default");
  g_assert_cmpstr (nic[3], ==, "virtio");
  g_assert_true (g_regex_match_simple ("^52:54:00(:[0-9a-f]{2}){3}$", nic[4], 0, 0));
  hangar_test_ctl_ok (env, &out, "domiflist", "--inactive", GUEST, NULL);
  inactive = table_row (out, 4, nic[4]);
  g_assert_cmpstr (inactive[0], ==, "-");

  /* net-dhcp-leases: Expiry Time, MAC address, Protocol, IP address, Hostname, Client ID. */
  lease = wait_for_lease (env, "default", nic[4]);
  g_assert_cmpuint (g_strv_length (lease), ==, 6);
  g_assert_true (g_regex_match_simple ("^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$",
                                       lease[0], 0, 0));
  g_assert_cmpstr (lease[2], ==, "ipv4");
  g_assert_cmpstr (lease[3], ==, ip_prefix);
  hangar_test_ctl_ok (env, &out, "net-dhcp-leases", "default", "--mac", "52:54:00:ff:ff:ff", NULL);
  g_assert_cmpuint (count_rows (out), ==, 0);

  /* domifaddr: Name, MAC address, Protocol, Address. */
  hangar_test_ctl_ok (env, &out, "domifaddr", GUEST, NULL);
  g_assert_true (g_str_has_prefix (out, " Name"));
  address = table_row (out, 0, nic[0]);
  g_assert_cmpuint (g_strv_length (address), ==, 4);
  g_assert_cmpstr (address[1], ==, nic[4]);
  g_assert_cmpstr (address[2], ==, "ipv4");
  g_assert_cmpstr (address[3], ==, ip_prefix);
  assert_ctl_fails (env, "no interface 'eth9'", "domifaddr", "--interface", "eth9", GUEST);
  assert_ctl_fails (env, "nosuch-guest", "domifaddr", "nosuch-guest");

  hangar_test_ctl_ok (env, &out, "destroy", GUEST, NULL);
  g_assert_false (link_exists (env, nic[0]));
  assert_ctl_fails (env, "is not running", "domifaddr", GUEST);

  hangar_test_env_free (env);
}

/* iface-bridge moves a LAN interface's address and routes into a new
 * bridge; iface-unbridge gives them back. The "LAN" is a veth pair in the
 * engine's namespace. */
static void
test_iface_bridge (void)
{
  HangarTestEnv *env = system_env ();
  g_autofree char *out = NULL;
  g_autofree char *addresses = NULL;
  g_autofree char *routes = NULL;

  if (env == NULL)
    return;

  g_free (ip_in_netns (env, TRUE, "link", "add", "lan7", "type", "veth", "peer", "name", "lan7p", NULL));
  g_free (ip_in_netns (env, TRUE, "addr", "add", "10.88.0.2/24", "dev", "lan7", NULL));
  g_free (ip_in_netns (env, TRUE, "link", "set", "lan7p", "up", NULL));
  g_free (ip_in_netns (env, TRUE, "link", "set", "lan7", "up", NULL));
  g_free (ip_in_netns (env, TRUE, "route", "add", "10.77.0.0/16", "via", "10.88.0.1", "dev", "lan7", NULL));

  assert_ctl_fails (env, "nosuch0", "iface-bridge", "nosuch0", "br7");
  g_assert_false (link_exists (env, "br7"));

  hangar_test_ctl_ok (env, &out, "iface-bridge", "lan7", "br7", NULL);
  g_assert_cmpstr (out, ==, "Created bridge br7 with attached device lan7\n");
  addresses = ipv4_addresses (env, "br7");
  g_assert_nonnull (strstr (addresses, "10.88.0.2/24"));
  g_clear_pointer (&addresses, g_free);
  addresses = ipv4_addresses (env, "lan7");
  g_assert_null (strstr (addresses, "10.88.0.2"));
  routes = ip_in_netns (env, TRUE, "route", "show", "10.77.0.0/16", NULL);
  g_assert_nonnull (strstr (routes, "dev br7"));
  assert_ctl_fails (env, "br7", "iface-bridge", "lan7p", "br7");

  hangar_test_ctl_ok (env, &out, "iface-unbridge", "br7", NULL);
  g_assert_cmpstr (out, ==, "Device un-attached from bridge br7\n");
  g_assert_false (link_exists (env, "br7"));
  g_clear_pointer (&addresses, g_free);
  addresses = ipv4_addresses (env, "lan7");
  g_assert_nonnull (strstr (addresses, "10.88.0.2/24"));
  g_clear_pointer (&routes, g_free);
  routes = ip_in_netns (env, TRUE, "route", "show", "10.77.0.0/16", NULL);
  g_assert_nonnull (strstr (routes, "dev lan7"));

  assert_ctl_fails (env, "br7", "iface-unbridge", "br7");

  hangar_test_env_free (env);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hangarctl/network/default", test_default);
  g_test_add_func ("/hangarctl/network/isolated-lifecycle", test_isolated_lifecycle);
  g_test_add_func ("/hangarctl/network/define-file", test_define_file);
  g_test_add_func ("/hangarctl/network/errors", test_errors);
  g_test_add_func ("/hangarctl/network/guest", test_guest);
  g_test_add_func ("/hangarctl/network/iface-bridge", test_iface_bridge);

  return g_test_run ();
}
