/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-network-def"

#include <string.h>

#include <glib.h>

#include "hangard-error.h"
#include "hangard-network-def.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

/* libvirt's default network, as /usr/share/libvirt/networks/default.xml
 * and virsh net-dumpxml default show it. */
#define LIBVIRT_DEFAULT_NETWORK \
  "<network>\n" \
  "  <name>default</name>\n" \
  "  <uuid>9a05da11-e96b-47f3-8253-a3a482e445f5</uuid>\n" \
  "  <forward mode='nat'>\n" \
  "    <nat>\n" \
  "      <port start='1024' end='65535'/>\n" \
  "    </nat>\n" \
  "  </forward>\n" \
  "  <bridge name='virbr0' stp='on' delay='0'/>\n" \
  "  <mac address='52:54:00:0a:cd:21'/>\n" \
  "  <ip address='192.168.122.1' netmask='255.255.255.0'>\n" \
  "    <dhcp>\n" \
  "      <range start='192.168.122.2' end='192.168.122.254'/>\n" \
  "    </dhcp>\n" \
  "  </ip>\n" \
  "</network>\n"

#define ISOLATED_NETWORK \
  "<network><name>lab</name><ip address='10.10.0.1' prefix='24'/></network>"

#define BRIDGE_NETWORK \
  "<network><name>host-lan</name><forward mode='bridge'/><bridge name='br0'/></network>"

/* <network><name>n</name><forward mode='nat'/>IP</network> */
static char *
nat_network_with_ip (const char *ip)
{
  return g_strdup_printf ("<network><name>n</name><forward mode='nat'/>%s</network>", ip);
}

/* A 192.168.50.0/24 network whose <dhcp> holds `dhcp`. */
static char *
network_with_dhcp (const char *dhcp)
{
  return g_strdup_printf ("<network><name>n</name><forward mode='nat'/>"
                          "<ip address='192.168.50.1' netmask='255.255.255.0'>"
                          "<dhcp>%s</dhcp></ip></network>", dhcp);
}

static HangardNetworkDef *
parse_ok (const char *xml)
{
  g_autoptr(GError) error = NULL;
  HangardNetworkDef *def = hangard_network_def_parse (xml, -1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (def);
  return def;
}

static void
assert_message_contains (const GError *error,
                         const char   *needle)
{
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_test_fail_printf ("Error message \"%s\" does not contain \"%s\"",
                        error->message, needle);
}

static void
assert_rejected (const char *xml,
                 HangarError code,
                 const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardNetworkDef) def = hangard_network_def_parse (xml, -1, &error);

  g_assert_null (def);
  g_assert_error (error, HANGAR_ERROR, (gint) code);
  g_test_message ("Rejected as expected: %s", error->message);
  assert_message_contains (error, needle);
}

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_test_fail_printf ("\"%s\" does not contain \"%s\"", haystack, needle);
}

static gsize
position_of (const char *haystack,
             const char *needle)
{
  const char *found = strstr (haystack, needle);

  g_assert_nonnull (found);
  return (gsize) (found - haystack);
}

static guint32
ipv4 (const char *text)
{
  guint32 address = 0;

  g_assert_true (hangard_ipv4_parse (text, &address));
  return address;
}

static HangardDhcpHost *
host_at (HangardNetworkDef *def,
         guint              index)
{
  g_assert_cmpuint (index, <, def->hosts->len);
  return def->hosts->pdata[index];
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                  */
/* ------------------------------------------------------------------------ */

static void
test_parse_libvirt_default (void)
{
  g_autoptr(HangardNetworkDef) def = parse_ok (LIBVIRT_DEFAULT_NETWORK);
  g_autofree char *xml = hangard_network_def_to_xml (def);

  g_assert_nonnull (def->doc);
  g_assert_cmpstr (def->name, ==, "default");
  g_assert_cmpstr (def->uuid, ==, "9a05da11-e96b-47f3-8253-a3a482e445f5");
  g_assert_cmpint (def->forward_mode, ==, HANGARD_FORWARD_NAT);
  g_assert_cmpstr (def->bridge_name, ==, "virbr0");
  g_assert_true (def->has_ip);
  g_assert_cmphex (def->address, ==, ipv4 ("192.168.122.1"));
  g_assert_cmpuint (def->prefix, ==, 24);
  g_assert_true (def->has_dhcp);
  g_assert_cmphex (def->dhcp_start, ==, ipv4 ("192.168.122.2"));
  g_assert_cmphex (def->dhcp_end, ==, ipv4 ("192.168.122.254"));
  g_assert_nonnull (def->hosts);
  g_assert_cmpuint (def->hosts->len, ==, 0);

  /* Returned as defined: the tolerated parts are kept. */
  assert_contains (xml, "<port start=\"1024\" end=\"65535\"/>");
  assert_contains (xml, "<bridge name=\"virbr0\" stp=\"on\" delay=\"0\"/>");
  assert_contains (xml, "<mac address=\"52:54:00:0a:cd:21\"/>");
  g_assert_false (g_str_has_prefix (xml, "<?xml"));
}

static void
test_parse_isolated (void)
{
  g_autoptr(HangardNetworkDef) def = parse_ok (ISOLATED_NETWORK);
  g_autofree char *xml = hangard_network_def_to_xml (def);
  g_autofree char *uuid_element = g_strdup_printf ("<uuid>%s</uuid>", def->uuid);

  g_assert_cmpstr (def->name, ==, "lab");
  g_assert_cmpint (def->forward_mode, ==, HANGARD_FORWARD_NONE);
  g_assert_null (def->bridge_name);
  g_assert_true (def->has_ip);
  g_assert_cmphex (def->address, ==, ipv4 ("10.10.0.1"));
  g_assert_cmpuint (def->prefix, ==, 24);
  g_assert_false (def->has_dhcp);
  g_assert_cmpuint (def->hosts->len, ==, 0);

  /* A generated UUID, written right after the name. */
  g_assert_true (g_uuid_string_is_valid (def->uuid));
  g_assert_cmpuint (position_of (xml, "<name>lab</name>"), <, position_of (xml, uuid_element));
}

static void
test_parse_bridge_mode (void)
{
  g_autoptr(HangardNetworkDef) def = parse_ok (BRIDGE_NETWORK);

  g_assert_cmpstr (def->name, ==, "host-lan");
  g_assert_cmpint (def->forward_mode, ==, HANGARD_FORWARD_BRIDGE);
  g_assert_cmpstr (def->bridge_name, ==, "br0");
  g_assert_false (def->has_ip);
  g_assert_false (def->has_dhcp);
  g_assert_cmpuint (def->hosts->len, ==, 0);
}

static void
test_parse_forward_without_mode (void)
{
  /* libvirt reads <forward/> as NAT. */
  g_autoptr(HangardNetworkDef) def =
    parse_ok ("<network><name>n</name><forward/><ip address='10.0.0.1' prefix='8'/></network>");

  g_assert_cmpint (def->forward_mode, ==, HANGARD_FORWARD_NAT);
  g_assert_cmpuint (def->prefix, ==, 8);
}

static void
test_parse_prefix_and_netmask (void)
{
  static const struct {
    const char *ip;
    guint       prefix;
  } cases[] = {
    { "<ip address='172.16.5.1' netmask='255.255.0.0'/>", 16 },
    { "<ip address='172.16.5.1' prefix='16'/>", 16 },
    { "<ip address='10.1.2.1' netmask='255.255.255.252'/>", 30 },
    { "<ip address='10.1.2.2' prefix='30'/>", 30 },
    { "<ip address='10.1.2.3' netmask='255.255.240.0'/>", 20 },
    { "<ip address='10.1.2.3' netmask='128.0.0.0'/>", 1 },
    { "<ip family='ipv4' address='192.168.7.1' prefix='24'/>", 24 },
    /* Neither: the address's class, as libvirt does. */
    { "<ip address='10.1.2.3'/>", 8 },
    { "<ip address='172.16.5.1'/>", 16 },
    { "<ip address='192.168.100.1'/>", 24 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = nat_network_with_ip (cases[i].ip);
      g_autoptr(HangardNetworkDef) def = parse_ok (xml);

      g_assert_cmpuint (def->prefix, ==, cases[i].prefix);
    }
}

static void
test_parse_static_hosts (void)
{
  g_autofree char *xml =
    network_with_dhcp ("<range start='192.168.50.100' end='192.168.50.200'/>"
                       "<host mac='52:54:00:AA:BB:01' name='web' ip='192.168.50.10'/>"
                       "<host mac='52:54:00:aa:bb:02' ip='192.168.50.150'/>"
                       "<host mac='52:54:00:aa:bb:03' name='db-1.lab' ip='192.168.50.254'/>");
  g_autoptr(HangardNetworkDef) def = parse_ok (xml);
  g_autofree char *stored = hangard_network_def_to_xml (def);

  g_assert_true (def->has_dhcp);
  g_assert_cmphex (def->dhcp_start, ==, ipv4 ("192.168.50.100"));
  g_assert_cmphex (def->dhcp_end, ==, ipv4 ("192.168.50.200"));
  g_assert_cmpuint (def->hosts->len, ==, 3);

  /* MACs in lower case; a host may sit inside the dynamic range. */
  g_assert_cmpstr (host_at (def, 0)->mac, ==, "52:54:00:aa:bb:01");
  g_assert_cmpstr (host_at (def, 0)->name, ==, "web");
  g_assert_cmphex (host_at (def, 0)->ip, ==, ipv4 ("192.168.50.10"));
  g_assert_null (host_at (def, 1)->name);
  g_assert_cmphex (host_at (def, 1)->ip, ==, ipv4 ("192.168.50.150"));
  g_assert_cmpstr (host_at (def, 2)->name, ==, "db-1.lab");

  /* The document keeps what was written. */
  assert_contains (stored, "52:54:00:AA:BB:01");
}

static void
test_parse_tolerated (void)
{
  g_autoptr(HangardNetworkDef) def =
    parse_ok ("<network connections='2' ipv6='no'>"
              "<name>t</name><title>Test</title><description>A network</description>"
              "<metadata><app:x xmlns:app='http://example.org/app'>1</app:x></metadata>"
              "<forward mode='nat'><nat ipv6='no'/></forward>"
              "<bridge name='virbr7' stp='off' delay='2' macTableManager='kernel'/>"
              "<mac address='52:54:00:01:02:03'/>"
              "<domain name='lab.example' localOnly='yes'/>"
              "<dns forwardPlainNames='no'/>"
              "<ip address='192.168.7.1' netmask='255.255.255.0' localPtr='yes'><dhcp/></ip>"
              "</network>");

  g_assert_cmpstr (def->bridge_name, ==, "virbr7");
  /* An empty <dhcp/> gives no DHCP. */
  g_assert_false (def->has_dhcp);
}

static void
test_parse_range_edges (void)
{
  /* The whole subnet but its network, broadcast and bridge addresses. */
  g_autofree char *xml = g_strdup ("<network><name>n</name>"
                                   "<ip address='10.0.0.1' netmask='255.255.255.0'><dhcp>"
                                   "<range start='10.0.0.2' end='10.0.0.254'/>"
                                   "</dhcp></ip></network>");
  g_autofree char *single = g_strdup ("<network><name>n</name>"
                                      "<ip address='10.0.0.1' prefix='30'><dhcp>"
                                      "<range start='10.0.0.2' end='10.0.0.2'/>"
                                      "</dhcp></ip></network>");
  g_autoptr(HangardNetworkDef) def = parse_ok (xml);
  g_autoptr(HangardNetworkDef) single_def = parse_ok (single);

  g_assert_cmphex (def->dhcp_end, ==, ipv4 ("10.0.0.254"));
  g_assert_cmphex (single_def->dhcp_start, ==, single_def->dhcp_end);
}

/* ------------------------------------------------------------------------ */
/* Documents                                                                */
/* ------------------------------------------------------------------------ */

static void
test_generate_uuid (void)
{
  g_autoptr(HangardNetworkDef) first = parse_ok (ISOLATED_NETWORK);
  g_autoptr(HangardNetworkDef) second = parse_ok (ISOLATED_NETWORK);
  g_autofree char *xml = hangard_network_def_to_xml (first);
  g_autoptr(HangardNetworkDef) again = parse_ok (xml);

  g_assert_cmpstr (first->uuid, !=, second->uuid);
  g_assert_cmpstr (again->uuid, ==, first->uuid);
}

static void
test_xml_round_trip (void)
{
  g_autofree char *hosts = network_with_dhcp ("<range start='192.168.50.100' "
                                              "end='192.168.50.200'/>"
                                              "<host mac='52:54:00:aa:bb:01' name='web' "
                                              "ip='192.168.50.10'/>");
  const char *documents[] = {
    LIBVIRT_DEFAULT_NETWORK, ISOLATED_NETWORK, BRIDGE_NETWORK, hosts,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (documents); i++)
    {
      g_autoptr(HangardNetworkDef) first = parse_ok (documents[i]);
      g_autofree char *first_xml = hangard_network_def_to_xml (first);
      g_autoptr(HangardNetworkDef) second = parse_ok (first_xml);
      g_autofree char *second_xml = hangard_network_def_to_xml (second);

      g_assert_cmpstr (second_xml, ==, first_xml);
      g_assert_cmpstr (second->uuid, ==, first->uuid);
      g_assert_cmpint (second->forward_mode, ==, first->forward_mode);
      g_assert_cmpstr (second->bridge_name, ==, first->bridge_name);
      g_assert_cmphex (second->address, ==, first->address);
      g_assert_cmpuint (second->prefix, ==, first->prefix);
      g_assert_cmphex (second->dhcp_start, ==, first->dhcp_start);
      g_assert_cmphex (second->dhcp_end, ==, first->dhcp_end);
      g_assert_cmpuint (second->hosts->len, ==, first->hosts->len);
    }
}

static void
test_copy (void)
{
  g_autofree char *xml =
    network_with_dhcp ("<range start='192.168.50.100' end='192.168.50.200'/>"
                       "<host mac='52:54:00:aa:bb:01' name='web' ip='192.168.50.10'/>");
  g_autoptr(HangardNetworkDef) def = parse_ok (xml);
  g_autoptr(HangardNetworkDef) copy = NULL;
  g_autofree char *def_xml = NULL;
  g_autofree char *copy_xml = NULL;

  hangard_network_def_set_bridge (def, "hgbr0");
  copy = hangard_network_def_copy (def);
  def_xml = hangard_network_def_to_xml (def);

  g_assert_true (copy->doc != def->doc);
  g_assert_true (copy->name != def->name);
  g_assert_true (copy->hosts != def->hosts);
  g_assert_cmpstr (copy->name, ==, def->name);
  g_assert_cmpstr (copy->uuid, ==, def->uuid);
  g_assert_cmpstr (copy->bridge_name, ==, "hgbr0");
  g_assert_cmpint (copy->forward_mode, ==, def->forward_mode);
  g_assert_cmphex (copy->address, ==, def->address);
  g_assert_cmpuint (copy->prefix, ==, def->prefix);
  g_assert_true (copy->has_dhcp);
  g_assert_cmphex (copy->dhcp_start, ==, def->dhcp_start);
  g_assert_cmpuint (copy->hosts->len, ==, 1);
  g_assert_true (host_at (copy, 0) != host_at (def, 0));
  g_assert_cmpstr (host_at (copy, 0)->mac, ==, "52:54:00:aa:bb:01");

  g_clear_pointer (&def, hangard_network_def_free);
  copy_xml = hangard_network_def_to_xml (copy);
  g_assert_cmpstr (copy_xml, ==, def_xml);
  g_assert_cmpstr (host_at (copy, 0)->name, ==, "web");
}

static void
test_set_bridge (void)
{
  g_autoptr(HangardNetworkDef) nat =
    parse_ok ("<network><name>n</name><uuid>9a05da11-e96b-47f3-8253-a3a482e445f5</uuid>"
              "<forward mode='nat'/><ip address='10.9.0.1' prefix='24'/></network>");
  g_autoptr(HangardNetworkDef) isolated = parse_ok (ISOLATED_NETWORK);
  g_autoptr(HangardNetworkDef) existing = parse_ok (LIBVIRT_DEFAULT_NETWORK);
  g_autofree char *nat_xml = NULL;
  g_autofree char *isolated_xml = NULL;
  g_autofree char *existing_xml = NULL;
  g_autoptr(HangardNetworkDef) reparsed = NULL;

  /* Added in libvirt's place: after <forward>, else after <uuid>. */
  hangard_network_def_set_bridge (nat, "hgbr3");
  nat_xml = hangard_network_def_to_xml (nat);
  g_assert_cmpstr (nat->bridge_name, ==, "hgbr3");
  g_assert_cmpuint (position_of (nat_xml, "<forward"), <,
                    position_of (nat_xml, "<bridge name=\"hgbr3\"/>"));
  g_assert_cmpuint (position_of (nat_xml, "<bridge"), <, position_of (nat_xml, "<ip"));

  hangard_network_def_set_bridge (isolated, "hgbr4");
  isolated_xml = hangard_network_def_to_xml (isolated);
  g_assert_cmpuint (position_of (isolated_xml, "<uuid>"), <,
                    position_of (isolated_xml, "<bridge name=\"hgbr4\"/>"));
  reparsed = parse_ok (isolated_xml);
  g_assert_cmpstr (reparsed->bridge_name, ==, "hgbr4");
  g_assert_cmpstr (reparsed->uuid, ==, isolated->uuid);

  /* An existing <bridge> keeps its other attributes. */
  hangard_network_def_set_bridge (existing, "virbr9");
  existing_xml = hangard_network_def_to_xml (existing);
  g_assert_cmpstr (existing->bridge_name, ==, "virbr9");
  assert_contains (existing_xml, "<bridge name=\"virbr9\" stp=\"on\" delay=\"0\"/>");
  g_assert_null (strstr (existing_xml, "virbr0"));
}

static void
test_forward_mode_to_string (void)
{
  g_assert_cmpstr (hangard_forward_mode_to_string (HANGARD_FORWARD_NAT), ==, "nat");
  g_assert_cmpstr (hangard_forward_mode_to_string (HANGARD_FORWARD_NONE), ==, "none");
  g_assert_cmpstr (hangard_forward_mode_to_string (HANGARD_FORWARD_BRIDGE), ==, "bridge");
}

/* ------------------------------------------------------------------------ */
/* IPv4 helpers and interface names                                         */
/* ------------------------------------------------------------------------ */

static void
test_ipv4_parse (void)
{
  static const struct {
    const char *text;
    guint32     address;
  } good[] = {
    { "0.0.0.0", 0 },
    { "192.168.122.1", 0xc0a87a01 },
    { "255.255.255.255", 0xffffffff },
    { "10.0.0.1", 0x0a000001 },
  };
  static const char *bad[] = {
    "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.04", "01.2.3.4", " 1.2.3.4", "1.2.3.4 ",
    "1..3.4", "1.2.3.", "a.b.c.d", "-1.2.3.4", "+1.2.3.4", "1.2.3.1000", "0x1.2.3.4",
    "::1", "1.2.3.4/24",
  };
  guint32 address;

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *back = NULL;

      g_assert_true (hangard_ipv4_parse (good[i].text, &address));
      g_assert_cmphex (address, ==, good[i].address);
      back = hangard_ipv4_to_string (address);
      g_assert_cmpstr (back, ==, good[i].text);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      if (hangard_ipv4_parse (bad[i], &address))
        g_test_fail_printf ("'%s' parsed as an IPv4 address", bad[i]);
    }
  g_assert_false (hangard_ipv4_parse (NULL, &address));
  g_assert_true (hangard_ipv4_parse ("1.2.3.4", NULL));
}

static void
test_ipv4_netmask (void)
{
  g_assert_cmphex (hangard_ipv4_netmask (0), ==, 0);
  g_assert_cmphex (hangard_ipv4_netmask (1), ==, 0x80000000);
  g_assert_cmphex (hangard_ipv4_netmask (8), ==, 0xff000000);
  g_assert_cmphex (hangard_ipv4_netmask (24), ==, 0xffffff00);
  g_assert_cmphex (hangard_ipv4_netmask (30), ==, 0xfffffffc);
  g_assert_cmphex (hangard_ipv4_netmask (32), ==, 0xffffffff);
}

static void
test_ipv4_overlap (void)
{
  static const struct {
    const char *a;
    guint       a_prefix;
    const char *b;
    guint       b_prefix;
    gboolean    overlap;
  } cases[] = {
    { "192.168.122.1", 24, "192.168.122.200", 24, TRUE },
    { "192.168.122.1", 24, "192.168.123.1", 24, FALSE },
    { "192.168.0.1", 16, "192.168.122.1", 24, TRUE },
    { "192.168.122.1", 24, "192.168.0.1", 16, TRUE },
    { "10.0.0.1", 8, "10.255.255.1", 30, TRUE },
    { "10.0.0.1", 8, "11.0.0.1", 8, FALSE },
    { "10.0.0.1", 30, "10.0.0.5", 30, FALSE },
    { "10.0.0.1", 29, "10.0.0.5", 30, TRUE },
    { "172.16.0.1", 12, "172.31.255.1", 24, TRUE },
    { "172.16.0.1", 12, "172.32.0.1", 24, FALSE },
    { "1.2.3.4", 0, "200.1.1.1", 24, TRUE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gboolean overlap = hangard_ipv4_subnets_overlap (ipv4 (cases[i].a), cases[i].a_prefix,
                                                       ipv4 (cases[i].b), cases[i].b_prefix);

      if (overlap != cases[i].overlap)
        g_test_fail_printf ("%s/%u and %s/%u: expected %s", cases[i].a, cases[i].a_prefix,
                            cases[i].b, cases[i].b_prefix,
                            cases[i].overlap ? "overlap" : "no overlap");
    }
}

static void
test_ifname (void)
{
  static const char *good[] = {
    "virbr0", "br0", "hgbr-lab", "a", "eth0.100", "x_y", "123456789012345", "..x",
  };
  static const char *bad[] = {
    "", "1234567890123456", "br 0", "br/0", "br:0", "br%d", ".", "..", "-br", "bre\xcc\x81",
    "br\n0",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (hangard_ifname_is_valid (good[i], &error));
      g_assert_no_error (error);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (hangard_ifname_is_valid (bad[i], &error));
      g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
      g_test_message ("Refused as expected: %s", error->message);
    }
  g_assert_false (hangard_ifname_is_valid (NULL, NULL));
}

/* ------------------------------------------------------------------------ */
/* Rejections                                                               */
/* ------------------------------------------------------------------------ */

static void
test_reject_forward_mode (void)
{
  static const char *unsupported[] = {
    "route", "open", "private", "vepa", "passthrough", "hostdev",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (unsupported); i++)
    {
      g_autofree char *xml =
        g_strdup_printf ("<network><name>n</name><forward mode='%s'/>"
                         "<ip address='10.0.0.1' prefix='24'/></network>", unsupported[i]);
      g_autofree char *needle = g_strdup_printf ("mode='%s'", unsupported[i]);

      assert_rejected (xml, HANGAR_ERROR_UNSUPPORTED, needle);
    }

  assert_rejected ("<network><name>n</name><forward mode='teleport'/>"
                   "<ip address='10.0.0.1' prefix='24'/></network>",
                   HANGAR_ERROR_INVALID_XML, "teleport");
  assert_rejected ("<network><name>n</name><forward mode='nat' dev='eth0'/>"
                   "<ip address='10.0.0.1' prefix='24'/></network>",
                   HANGAR_ERROR_UNSUPPORTED, "dev='eth0'");
  assert_rejected ("<network><name>n</name><forward mode='nat'><interface dev='eth0'/>"
                   "</forward><ip address='10.0.0.1' prefix='24'/></network>",
                   HANGAR_ERROR_UNSUPPORTED, "<interface> in <forward>");
  assert_rejected ("<network><name>n</name><forward mode='nat'><nat>"
                   "<address start='1.2.3.4' end='1.2.3.10'/></nat></forward>"
                   "<ip address='10.0.0.1' prefix='24'/></network>",
                   HANGAR_ERROR_UNSUPPORTED, "<address> in <nat>");
  assert_rejected ("<network><name>n</name><forward mode='nat'><nat ipv6='yes'/></forward>"
                   "<ip address='10.0.0.1' prefix='24'/></network>",
                   HANGAR_ERROR_UNSUPPORTED, "IPv4");
}

static void
test_reject_ipv6 (void)
{
  assert_rejected ("<network><name>n</name><forward mode='nat'/>"
                   "<ip address='10.0.0.1' prefix='24'/>"
                   "<ip family='ipv6' address='2001:db8:ca2:2::1' prefix='64'/></network>",
                   HANGAR_ERROR_UNSUPPORTED, "family='ipv6'");
  assert_rejected ("<network><name>n</name><forward mode='nat'/>"
                   "<ip address='2001:db8:ca2:2::1' prefix='64'/></network>",
                   HANGAR_ERROR_UNSUPPORTED, "IPv4 only");
  assert_rejected ("<network ipv6='yes'><name>n</name>"
                   "<ip address='10.0.0.1' prefix='24'/></network>",
                   HANGAR_ERROR_UNSUPPORTED, "ipv6='yes'");
  assert_rejected ("<network><name>n</name><ip family='ipx' address='10.0.0.1' prefix='24'/>"
                   "</network>", HANGAR_ERROR_INVALID_XML, "ipx");
}

static void
test_reject_ip_count (void)
{
  assert_rejected ("<network><name>n</name><forward mode='nat'/></network>",
                   HANGAR_ERROR_UNSUPPORTED, "no <ip>");
  assert_rejected ("<network><name>n</name></network>",
                   HANGAR_ERROR_UNSUPPORTED, "no <ip>");
  assert_rejected ("<network><name>n</name><ip address='10.0.0.1' prefix='24'/>"
                   "<ip address='10.0.1.1' prefix='24'/></network>",
                   HANGAR_ERROR_UNSUPPORTED, "second <ip>");
}

static void
test_reject_netmask (void)
{
  static const char *bad[] = {
    "255.0.255.0", "255.255.255.1", "0.255.255.255", "255.255.254.255",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *ip = g_strdup_printf ("<ip address='10.0.0.1' netmask='%s'/>", bad[i]);
      g_autofree char *xml = nat_network_with_ip (ip);

      assert_rejected (xml, HANGAR_ERROR_INVALID_ARGUMENT, bad[i]);
    }

  {
    g_autofree char *xml = nat_network_with_ip ("<ip address='10.0.0.1' netmask='255.255.0'/>");
    g_autofree char *both =
      nat_network_with_ip ("<ip address='10.0.0.1' netmask='255.255.255.0' prefix='24'/>");

    assert_rejected (xml, HANGAR_ERROR_INVALID_ARGUMENT, "255.255.0");
    assert_rejected (both, HANGAR_ERROR_INVALID_XML, "both");
  }
}

static void
test_reject_prefix (void)
{
  static const struct {
    const char *ip;
    const char *needle;
  } cases[] = {
    { "<ip address='10.0.0.1' prefix='31'/>", "/31" },
    { "<ip address='10.0.0.1' prefix='32'/>", "/32" },
    { "<ip address='10.0.0.1' prefix='0'/>", "/0" },
    { "<ip address='10.0.0.1' netmask='255.255.255.255'/>", "/32" },
    { "<ip address='10.0.0.1' netmask='255.255.255.254'/>", "/31" },
    { "<ip address='10.0.0.1' netmask='0.0.0.0'/>", "/0" },
    { "<ip address='10.0.0.1' prefix='33'/>", "'33'" },
    { "<ip address='10.0.0.1' prefix='-8'/>", "'-8'" },
    { "<ip address='10.0.0.1' prefix='24 '/>", "'24 '" },
    { "<ip address='10.0.0.1' prefix=''/>", "prefix=''" },
    { "<ip address='10.0.0.1' prefix='0x18'/>", "0x18" },
    { "<ip address='230.0.0.1'/>", "netmask or prefix" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = nat_network_with_ip (cases[i].ip);

      assert_rejected (xml, HANGAR_ERROR_INVALID_ARGUMENT, cases[i].needle);
    }
}

static void
test_reject_bridge_address (void)
{
  static const struct {
    const char *ip;
    const char *needle;
  } cases[] = {
    { "<ip address='192.168.122.0' prefix='24'/>", "network address" },
    { "<ip address='192.168.122.255' prefix='24'/>", "broadcast address" },
    { "<ip address='10.0.0.0' prefix='8'/>", "network address" },
    { "<ip address='10.0.0.3' prefix='30'/>", "broadcast address" },
    { "<ip address='127.0.0.1' prefix='8'/>", "loopback" },
    { "<ip address='224.0.0.1' prefix='24'/>", "multicast" },
    { "<ip address='0.1.2.3' prefix='24'/>", "unicast" },
    { "<ip address='192.168.1.256' prefix='24'/>", "192.168.1.256" },
    { "<ip address='my-host' prefix='24'/>", "my-host" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = nat_network_with_ip (cases[i].ip);

      assert_rejected (xml, HANGAR_ERROR_INVALID_ARGUMENT, cases[i].needle);
    }

  {
    g_autofree char *xml = nat_network_with_ip ("<ip prefix='24'/>");

    assert_rejected (xml, HANGAR_ERROR_INVALID_XML, "address");
  }
}

static void
test_reject_dhcp_range (void)
{
  static const struct {
    const char *range;
    const char *needle;
  } cases[] = {
    { "<range start='192.168.51.2' end='192.168.51.254'/>", "outside the network" },
    { "<range start='192.168.50.2' end='192.168.51.10'/>", "192.168.51.10" },
    { "<range start='10.0.0.2' end='192.168.50.254'/>", "10.0.0.2" },
    { "<range start='192.168.50.0' end='192.168.50.254'/>", "network address" },
    { "<range start='192.168.50.2' end='192.168.50.255'/>", "broadcast address" },
    { "<range start='192.168.50.1' end='192.168.50.254'/>", "bridge's own address" },
    { "<range start='192.168.50.200' end='192.168.50.100'/>", "after its end" },
    { "<range start='192.168.50.x' end='192.168.50.100'/>", "192.168.50.x" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = network_with_dhcp (cases[i].range);

      assert_rejected (xml, HANGAR_ERROR_INVALID_ARGUMENT, cases[i].needle);
    }

  {
    g_autofree char *no_end = network_with_dhcp ("<range start='192.168.50.2'/>");
    g_autofree char *two = network_with_dhcp ("<range start='192.168.50.2' end='192.168.50.9'/>"
                                              "<range start='192.168.50.20' end='192.168.50.29'/>");
    g_autofree char *lease = network_with_dhcp ("<range start='192.168.50.2' end='192.168.50.9'>"
                                                "<lease expiry='1' unit='hours'/></range>");
    g_autofree char *hosts_only = network_with_dhcp ("<host mac='52:54:00:00:00:01' "
                                                     "ip='192.168.50.5'/>");
    g_autofree char *bootp = network_with_dhcp ("<range start='192.168.50.2' end='192.168.50.9'/>"
                                                "<bootp file='pxelinux.0'/>");
    g_autofree char *ipv6 = network_with_dhcp ("<range start='fd00::2' end='fd00::9'/>");

    assert_rejected (no_end, HANGAR_ERROR_INVALID_XML, "end");
    assert_rejected (two, HANGAR_ERROR_UNSUPPORTED, "second <range>");
    assert_rejected (lease, HANGAR_ERROR_UNSUPPORTED, "<lease>");
    assert_rejected (hosts_only, HANGAR_ERROR_UNSUPPORTED, "no <range>");
    assert_rejected (bootp, HANGAR_ERROR_UNSUPPORTED, "<bootp>");
    assert_rejected (ipv6, HANGAR_ERROR_UNSUPPORTED, "IPv4");
  }
}

static void
test_reject_static_hosts (void)
{
  static const struct {
    const char *host;
    HangarError code;
    const char *needle;
  } cases[] = {
    { "<host mac='01:00:5e:00:00:01' ip='192.168.50.10'/>",
      HANGAR_ERROR_INVALID_ARGUMENT, "multicast" },
    { "<host mac='52:54:00:00:01' ip='192.168.50.10'/>",
      HANGAR_ERROR_INVALID_ARGUMENT, "52:54:00:00:01" },
    { "<host mac='52:54:00:00:00:01' ip='192.168.51.10'/>",
      HANGAR_ERROR_INVALID_ARGUMENT, "outside the network" },
    { "<host mac='52:54:00:00:00:01' ip='192.168.50.255'/>",
      HANGAR_ERROR_INVALID_ARGUMENT, "broadcast" },
    { "<host mac='52:54:00:00:00:01' ip='192.168.50.1'/>",
      HANGAR_ERROR_INVALID_ARGUMENT, "bridge's own address" },
    { "<host mac='52:54:00:00:00:01' ip='192.168.50.10'/>"
      "<host mac='52:54:00:00:00:01' ip='192.168.50.11'/>",
      HANGAR_ERROR_INVALID_ARGUMENT, "MAC address 52:54:00:00:00:01" },
    { "<host mac='52:54:00:00:00:0a' ip='192.168.50.10'/>"
      "<host mac='52:54:00:00:00:0A' ip='192.168.50.11'/>",
      HANGAR_ERROR_INVALID_ARGUMENT, "52:54:00:00:00:0a" },
    { "<host mac='52:54:00:00:00:01' ip='192.168.50.10'/>"
      "<host mac='52:54:00:00:00:02' ip='192.168.50.10'/>",
      HANGAR_ERROR_INVALID_ARGUMENT, "address 192.168.50.10" },
    { "<host mac='52:54:00:00:00:01' name='bad,name' ip='192.168.50.10'/>",
      HANGAR_ERROR_INVALID_ARGUMENT, "bad,name" },
    /* Escaped or not, markup characters would land in dnsmasq's hosts file. */
    { "<host mac='52:54:00:00:00:01' name='a&amp;b' ip='192.168.50.10'/>",
      HANGAR_ERROR_INVALID_ARGUMENT, "a&b" },
    { "<host mac='52:54:00:00:00:01' name='-x' ip='192.168.50.10'/>",
      HANGAR_ERROR_INVALID_ARGUMENT, "host name" },
    { "<host mac='52:54:00:00:00:01' name='a b' ip='192.168.50.10'/>",
      HANGAR_ERROR_INVALID_ARGUMENT, "host name" },
    { "<host mac='52:54:00:00:00:01'/>", HANGAR_ERROR_INVALID_XML, "ip" },
    { "<host ip='192.168.50.10'/>", HANGAR_ERROR_INVALID_XML, "mac" },
    { "<host name='web' ip='192.168.50.10'/>", HANGAR_ERROR_UNSUPPORTED, "MAC address" },
    { "<host id='0:4:7e:7d:f0:7d:a8:bc:c5:d2:13:32:11:ed:16:ea:84:63' ip='192.168.50.10'/>",
      HANGAR_ERROR_UNSUPPORTED, "id=" },
    { "<host mac='52:54:00:00:00:01' ip='192.168.50.10'><lease expiry='24'/></host>",
      HANGAR_ERROR_UNSUPPORTED, "<lease>" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *dhcp = g_strdup_printf ("<range start='192.168.50.100' "
                                               "end='192.168.50.200'/>%s", cases[i].host);
      g_autofree char *xml = network_with_dhcp (dhcp);

      assert_rejected (xml, cases[i].code, cases[i].needle);
    }
}

static void
test_reject_bridge_mode (void)
{
  static const struct {
    const char *xml;
    HangarError code;
    const char *needle;
  } cases[] = {
    { "<network><name>n</name><forward mode='bridge'/></network>",
      HANGAR_ERROR_INVALID_XML, "<bridge name='br0'/>" },
    { "<network><name>n</name><forward mode='bridge'/><bridge stp='on'/></network>",
      HANGAR_ERROR_INVALID_XML, "stp" },
    { "<network><name>n</name><forward mode='bridge'/><bridge name='br0'/>"
      "<ip address='10.0.0.1' prefix='24'/></network>", HANGAR_ERROR_INVALID_XML, "<ip>" },
    { "<network><name>n</name><forward mode='bridge'/><bridge name='br0'/>"
      "<mac address='52:54:00:00:00:01'/></network>", HANGAR_ERROR_INVALID_XML, "<mac>" },
    { "<network><name>n</name><forward mode='bridge'/><bridge name='br0'/>"
      "<dns/></network>", HANGAR_ERROR_INVALID_XML, "<dns>" },
    { "<network><name>n</name><forward mode='bridge'/><bridge name='br0' delay='0'/>"
      "</network>", HANGAR_ERROR_INVALID_XML, "delay" },
    { "<network><name>n</name><forward mode='bridge'><interface dev='eth0'/></forward>"
      "</network>", HANGAR_ERROR_UNSUPPORTED, "<interface> in <forward>" },
    { "<network><name>n</name><forward mode='bridge'><nat/></forward><bridge name='br0'/>"
      "</network>", HANGAR_ERROR_INVALID_XML, "<nat>" },
    { "<network><name>n</name><forward mode='bridge'/><bridge name='my bridge'/></network>",
      HANGAR_ERROR_INVALID_ARGUMENT, "my bridge" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_rejected (cases[i].xml, cases[i].code, cases[i].needle);
}

static void
test_reject_bridge (void)
{
  static const char *bad[] = { "virbr%d", "a-very-long-bridge", "br/0", "-br", "..", "" };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *xml =
        g_strdup_printf ("<network><name>n</name><bridge name='%s'/>"
                         "<ip address='10.0.0.1' prefix='24'/></network>", bad[i]);

      assert_rejected (xml, HANGAR_ERROR_INVALID_ARGUMENT, "interface name");
    }

  assert_rejected ("<network><name>n</name><bridge name='b' stp='maybe'/>"
                   "<ip address='10.0.0.1' prefix='24'/></network>",
                   HANGAR_ERROR_INVALID_XML, "maybe");
  assert_rejected ("<network><name>n</name><bridge name='b' macTableManager='libvirt'/>"
                   "<ip address='10.0.0.1' prefix='24'/></network>",
                   HANGAR_ERROR_UNSUPPORTED, "macTableManager='libvirt'");
  assert_rejected ("<network><name>n</name><bridge name='b' zone='trusted'/>"
                   "<ip address='10.0.0.1' prefix='24'/></network>",
                   HANGAR_ERROR_UNSUPPORTED, "zone");
}

static void
test_reject_mac (void)
{
  assert_rejected ("<network><name>n</name><mac address='03:54:00:00:00:01'/>"
                   "<ip address='10.0.0.1' prefix='24'/></network>",
                   HANGAR_ERROR_INVALID_ARGUMENT, "multicast");
  assert_rejected ("<network><name>n</name><mac address='52:54:00'/>"
                   "<ip address='10.0.0.1' prefix='24'/></network>",
                   HANGAR_ERROR_INVALID_ARGUMENT, "52:54:00");
  assert_rejected ("<network><name>n</name><mac/>"
                   "<ip address='10.0.0.1' prefix='24'/></network>",
                   HANGAR_ERROR_INVALID_XML, "address");
}

static void
test_reject_unknown_element (void)
{
  static const struct {
    const char *xml;
    const char *needle;
  } cases[] = {
    { "<network><name>n</name><colour>red</colour></network>", "<colour>" },
    { "<network><name>n</name><route address='10.1.0.0' prefix='16' gateway='10.0.0.2'/>"
      "<ip address='10.0.0.1' prefix='24'/></network>", "<route>" },
    { "<network><name>n</name><portgroup name='a'/>"
      "<ip address='10.0.0.1' prefix='24'/></network>", "<portgroup>" },
    { "<network><name>n</name><bandwidth/><ip address='10.0.0.1' prefix='24'/></network>",
      "<bandwidth>" },
    { "<network><name>n</name><mtu size='9000'/><ip address='10.0.0.1' prefix='24'/></network>",
      "<mtu>" },
    { "<network><name>n</name><dns><host ip='10.0.0.5'><hostname>x</hostname></host></dns>"
      "<ip address='10.0.0.1' prefix='24'/></network>", "<host> in <dns>" },
    { "<network><name>n</name><dns><forwarder addr='8.8.8.8'/></dns>"
      "<ip address='10.0.0.1' prefix='24'/></network>", "<forwarder>" },
    { "<network><name>n</name><dns enable='no'/>"
      "<ip address='10.0.0.1' prefix='24'/></network>", "enable='no'" },
    { "<network><name>n</name><ip address='10.0.0.1' prefix='24'><tftp root='/srv'/></ip>"
      "</network>", "<tftp>" },
    { "<network xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'>"
      "<name>n</name><ip address='10.0.0.1' prefix='24'/>"
      "<dnsmasq:options><dnsmasq:option value='foo'/></dnsmasq:options></network>",
      "dnsmasq:options" },
    { "<network><name>n<b/></name><ip address='10.0.0.1' prefix='24'/></network>", "<b>" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_rejected (cases[i].xml, HANGAR_ERROR_UNSUPPORTED, cases[i].needle);
}

static void
test_reject_missing_or_repeated (void)
{
  assert_rejected ("<network><ip address='10.0.0.1' prefix='24'/></network>",
                   HANGAR_ERROR_INVALID_XML, "<name>");
  assert_rejected ("<network><name>a</name><name>b</name>"
                   "<ip address='10.0.0.1' prefix='24'/></network>",
                   HANGAR_ERROR_INVALID_XML, "more than once");
  assert_rejected ("<network><name>a</name><forward/><forward/>"
                   "<ip address='10.0.0.1' prefix='24'/></network>",
                   HANGAR_ERROR_INVALID_XML, "more than once");
  assert_rejected ("<network><name>a</name><ip address='10.0.0.1' prefix='24'><dhcp/><dhcp/>"
                   "</ip></network>", HANGAR_ERROR_INVALID_XML, "more than once");
  assert_rejected ("<pool type='dir'><name>p</name></pool>", HANGAR_ERROR_INVALID_XML,
                   "<network>");
  assert_rejected ("<network><name>n</name>", HANGAR_ERROR_INVALID_XML, "line 1");
  assert_rejected ("", HANGAR_ERROR_INVALID_XML, "empty");
  assert_rejected ("<network><name>n</name><uuid>nope</uuid>"
                   "<ip address='10.0.0.1' prefix='24'/></network>",
                   HANGAR_ERROR_INVALID_XML, "nope");
}

static void
test_reject_bad_name (void)
{
  static const char *names[] = { "", "a/b", ".hidden", "-option", "..", "tab\there" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *xml =
        g_strdup_printf ("<network><name>%s</name><ip address='10.0.0.1' prefix='24'/>"
                         "</network>", names[i]);

      assert_rejected (xml, HANGAR_ERROR_INVALID_ARGUMENT, "network name");
    }
}

static void
test_reject_xxe (void)
{
  assert_rejected ("<?xml version=\"1.0\"?>\n"
                   "<!DOCTYPE network [\n"
                   "  <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n"
                   "]>\n"
                   "<network><name>&xxe;</name><ip address='10.0.0.1' prefix='24'/></network>\n",
                   HANGAR_ERROR_INVALID_XML, "DOCTYPE");
  assert_rejected ("<!DOCTYPE network SYSTEM \"http://example.org/evil.dtd\">\n"
                   "<network><name>n</name><ip address='10.0.0.1' prefix='24'/></network>\n",
                   HANGAR_ERROR_INVALID_XML, "DOCTYPE");
  assert_rejected ("<network><name>&foo;</name><ip address='10.0.0.1' prefix='24'/></network>",
                   HANGAR_ERROR_INVALID_XML, "foo");
}

static void
test_reject_billion_laughs (void)
{
  g_autoptr(GString) xml = g_string_new ("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
                                         "  <!ENTITY lol0 \"lol\">\n");
  gint64 start;

  for (int i = 1; i <= 12; i++)
    {
      g_string_append_printf (xml, "  <!ENTITY lol%d \"", i);
      for (int j = 0; j < 10; j++)
        g_string_append_printf (xml, "&lol%d;", i - 1);
      g_string_append (xml, "\">\n");
    }
  g_string_append (xml, "]>\n<network><name>&lol12;</name>"
                        "<ip address='10.0.0.1' prefix='24'/></network>\n");

  start = g_get_monotonic_time ();
  assert_rejected (xml->str, HANGAR_ERROR_INVALID_XML, "DOCTYPE");
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
}

static void
test_reject_doctype (void)
{
  assert_rejected ("<!DOCTYPE network>\n"
                   "<network><name>n</name><ip address='10.0.0.1' prefix='24'/></network>\n",
                   HANGAR_ERROR_INVALID_XML, "DOCTYPE");
}

static void
test_reject_too_large (void)
{
  const char *head = "<network><name>n</name><ip address='10.0.0.1' prefix='24'/>";
  const char *tail = "</network>";
  const gsize size = HANGARD_NETWORK_MAX_XML_SIZE + 1;
  g_autofree char *xml = g_malloc (size + 1);
  g_autofree char *size_text = g_strdup_printf ("%" G_GSIZE_FORMAT, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardNetworkDef) def = NULL;
  g_autoptr(HangardNetworkDef) at_limit = NULL;

  /* Padding in a comment keeps the document valid at any size. */
  memset (xml, ' ', size);
  memcpy (xml, head, strlen (head));
  memcpy (xml + strlen (head), "<!--", 4);
  memcpy (xml + size - strlen (tail) - 3, "-->", 3);
  memcpy (xml + size - strlen (tail), tail, strlen (tail));
  xml[size] = '\0';

  def = hangard_network_def_parse (xml, -1, &error);
  g_assert_null (def);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
  assert_message_contains (error, size_text);
  g_clear_error (&error);

  /* One byte less is at the limit, and fine. */
  memmove (xml + size - strlen (tail) - 4, xml + size - strlen (tail) - 3, strlen (tail) + 4);
  g_assert_cmpuint (strlen (xml), ==, HANGARD_NETWORK_MAX_XML_SIZE);
  at_limit = hangard_network_def_parse (xml, -1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (at_limit);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/network-def/parse/libvirt-default", test_parse_libvirt_default);
  g_test_add_func ("/network-def/parse/isolated", test_parse_isolated);
  g_test_add_func ("/network-def/parse/bridge-mode", test_parse_bridge_mode);
  g_test_add_func ("/network-def/parse/forward-without-mode", test_parse_forward_without_mode);
  g_test_add_func ("/network-def/parse/prefix-and-netmask", test_parse_prefix_and_netmask);
  g_test_add_func ("/network-def/parse/static-hosts", test_parse_static_hosts);
  g_test_add_func ("/network-def/parse/tolerated", test_parse_tolerated);
  g_test_add_func ("/network-def/parse/range-edges", test_parse_range_edges);
  g_test_add_func ("/network-def/generate/uuid", test_generate_uuid);
  g_test_add_func ("/network-def/xml/round-trip", test_xml_round_trip);
  g_test_add_func ("/network-def/copy", test_copy);
  g_test_add_func ("/network-def/set-bridge", test_set_bridge);
  g_test_add_func ("/network-def/forward-mode-to-string", test_forward_mode_to_string);
  g_test_add_func ("/network-def/ipv4/parse", test_ipv4_parse);
  g_test_add_func ("/network-def/ipv4/netmask", test_ipv4_netmask);
  g_test_add_func ("/network-def/ipv4/overlap", test_ipv4_overlap);
  g_test_add_func ("/network-def/ifname", test_ifname);
  g_test_add_func ("/network-def/reject/forward-mode", test_reject_forward_mode);
  g_test_add_func ("/network-def/reject/ipv6", test_reject_ipv6);
  g_test_add_func ("/network-def/reject/ip-count", test_reject_ip_count);
  g_test_add_func ("/network-def/reject/netmask", test_reject_netmask);
  g_test_add_func ("/network-def/reject/prefix", test_reject_prefix);
  g_test_add_func ("/network-def/reject/bridge-address", test_reject_bridge_address);
  g_test_add_func ("/network-def/reject/dhcp-range", test_reject_dhcp_range);
  g_test_add_func ("/network-def/reject/static-hosts", test_reject_static_hosts);
  g_test_add_func ("/network-def/reject/bridge-mode", test_reject_bridge_mode);
  g_test_add_func ("/network-def/reject/bridge", test_reject_bridge);
  g_test_add_func ("/network-def/reject/mac", test_reject_mac);
  g_test_add_func ("/network-def/reject/unknown-element", test_reject_unknown_element);
  g_test_add_func ("/network-def/reject/missing-or-repeated", test_reject_missing_or_repeated);
  g_test_add_func ("/network-def/reject/bad-name", test_reject_bad_name);
  g_test_add_func ("/network-def/reject/xxe", test_reject_xxe);
  g_test_add_func ("/network-def/reject/billion-laughs", test_reject_billion_laughs);
  g_test_add_func ("/network-def/reject/doctype", test_reject_doctype);
  g_test_add_func ("/network-def/reject/too-large", test_reject_too_large);

  return g_test_run ();
}
