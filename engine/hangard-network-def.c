/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-network-def"

#include "hangard-network-def.h"

#include <string.h>

#include "hangard-domain.h"
#include "hangard-error.h"
#include "hangard-xml.h"

#define MAX_IFNAME_LEN   15    /* IFNAMSIZ - 1 */
#define MIN_PREFIX       1
#define MAX_PREFIX       30    /* /31 and /32 leave no address for a guest */
#define MAX_HOSTNAME_LEN 253   /* a DNS name */

/* ------------------------------------------------------------------------- */
/* IPv4 addresses                                                            */
/* ------------------------------------------------------------------------- */

guint32
hangard_ipv4_netmask (guint prefix)
{
  g_return_val_if_fail (prefix <= 32, 0);

  /* Shifting a 32-bit value by 32 is undefined. */
  return prefix == 0 ? 0 : G_MAXUINT32 << (32 - prefix);
}

gboolean
hangard_ipv4_subnets_overlap (guint32 a,
                              guint   a_prefix,
                              guint32 b,
                              guint   b_prefix)
{
  guint32 mask = hangard_ipv4_netmask (MIN (a_prefix, b_prefix));

  /* Two subnets overlap exactly when the larger one contains the smaller. */
  return (a & mask) == (b & mask);
}

char *
hangard_ipv4_to_string (guint32 address)
{
  return g_strdup_printf ("%u.%u.%u.%u",
                          (address >> 24) & 0xff, (address >> 16) & 0xff,
                          (address >> 8) & 0xff, address & 0xff);
}

/* One part of a dotted quad: 1..3 digits, no leading zero (which some
 * tools read as octal), at most 255. Advances `*p` past it. */
static gboolean
parse_ipv4_octet (const char **p,
                  guint32     *octet)
{
  const char *start = *p;
  guint32 value = 0;

  while (g_ascii_isdigit (**p) && *p - start < 3)
    {
      value = value * 10 + (guint32) (**p - '0');
      (*p)++;
    }

  if (*p == start || g_ascii_isdigit (**p) || value > 255)
    return FALSE;
  if (start[0] == '0' && *p - start > 1)
    return FALSE;

  *octet = value;
  return TRUE;
}

gboolean
hangard_ipv4_parse (const char *text,
                    guint32    *address)
{
  const char *p = text;
  guint32 value = 0;

  if (text == NULL)
    return FALSE;

  for (int i = 0; i < 4; i++)
    {
      guint32 octet;

      if (i > 0 && *p++ != '.')
        return FALSE;
      if (!parse_ipv4_octet (&p, &octet))
        return FALSE;
      value = (value << 8) | octet;
    }

  if (*p != '\0')
    return FALSE;

  if (address != NULL)
    *address = value;
  return TRUE;
}

/* 255.255.255.0 → 24; FALSE when the one bits are not all at the front. */
static gboolean
netmask_to_prefix (guint32  netmask,
                   guint   *prefix)
{
  guint32 host_bits = ~netmask;

  /* The host part must be 2^n - 1. */
  if ((host_bits & (host_bits + 1)) != 0)
    return FALSE;

  *prefix = 32 - (guint) __builtin_popcount (host_bits);
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Names                                                                     */
/* ------------------------------------------------------------------------- */

static gboolean
is_ifname_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '.' || c == '-';
}

static gboolean
set_bad_ifname_error (const char  *name,
                      const char  *problem,
                      GError     **error)
{
  g_autofree char *shown = hangard_xml_describe_for_message (name);

  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
               "Invalid interface name '%s': %s", shown, problem);
  return FALSE;
}

gboolean
hangard_ifname_is_valid (const char  *name,
                         GError     **error)
{
  if (name == NULL || *name == '\0')
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                           "An interface name cannot be empty");
      return FALSE;
    }

  if (strlen (name) > MAX_IFNAME_LEN)
    return set_bad_ifname_error (name, "Linux allows at most 15 characters", error);

  for (const char *p = name; *p != '\0'; p++)
    {
      if (!is_ifname_char (*p))
        return set_bad_ifname_error (name, "it may hold only letters, digits, '_', '.' "
                                     "and '-'", error);
    }

  if (g_str_equal (name, ".") || g_str_equal (name, ".."))
    return set_bad_ifname_error (name, "'.' and '..' are reserved", error);

  /* Interface names are arguments to ip(8): never an option. */
  if (name[0] == '-')
    return set_bad_ifname_error (name, "it cannot start with '-'", error);

  return TRUE;
}

static gboolean
network_name_is_valid (const char  *name,
                       GError     **error)
{
  return hangard_xml_check_name (name, "network", HANGARD_DOMAIN_MAX_NAME_LEN, TRUE, error);
}

/* Names go into dnsmasq's hosts file, one "mac,ip,name" a line: letters,
 * digits, '-' and '.', starting with a letter or digit. */
static gboolean
dhcp_host_name_is_valid (const char  *name,
                         GError     **error)
{
  gboolean valid = *name != '\0' && strlen (name) <= MAX_HOSTNAME_LEN &&
                   g_ascii_isalnum (name[0]);

  for (const char *p = name; valid && *p != '\0'; p++)
    valid = g_ascii_isalnum (*p) || *p == '-' || *p == '.';

  if (!valid)
    {
      g_autofree char *shown = hangard_xml_describe_for_message (name);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Invalid host name '%s' in <host>: a host name is letters, digits, "
                   "'-' and '.', starting with a letter or digit", shown);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Definitions                                                               */
/* ------------------------------------------------------------------------- */

static void
dhcp_host_free (HangardDhcpHost *host)
{
  if (host == NULL)
    return;
  g_free (host->mac);
  g_free (host->name);
  g_free (host);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangardDhcpHost, dhcp_host_free)

static gpointer
dhcp_host_copy (gconstpointer data,
                gpointer      user_data G_GNUC_UNUSED)
{
  const HangardDhcpHost *host = data;
  HangardDhcpHost *copy = g_memdup2 (host, sizeof *host);

  copy->mac = g_strdup (host->mac);
  copy->name = g_strdup (host->name);
  return copy;
}

void
hangard_network_def_free (HangardNetworkDef *def)
{
  if (def == NULL)
    return;

  g_clear_pointer (&def->doc, xmlFreeDoc);
  g_free (def->name);
  g_free (def->bridge_name);
  g_clear_pointer (&def->hosts, g_ptr_array_unref);
  g_free (def);
}

HangardNetworkDef *
hangard_network_def_copy (HangardNetworkDef *def)
{
  HangardNetworkDef *copy;

  g_return_val_if_fail (def != NULL, NULL);

  copy = g_memdup2 (def, sizeof *def);
  copy->doc = xmlCopyDoc (def->doc, 1);
  if (copy->doc == NULL)
    g_error ("Out of memory copying a network definition");

  copy->name = g_strdup (def->name);
  copy->bridge_name = g_strdup (def->bridge_name);
  copy->hosts = g_ptr_array_copy (def->hosts, dhcp_host_copy, NULL);
  g_ptr_array_set_free_func (copy->hosts, (GDestroyNotify) dhcp_host_free);
  return copy;
}

const char *
hangard_forward_mode_to_string (HangardForwardMode mode)
{
  switch (mode)
    {
    case HANGARD_FORWARD_NAT:    return "nat";
    case HANGARD_FORWARD_NONE:   return "none";
    case HANGARD_FORWARD_BRIDGE: return "bridge";
    default:                     g_return_val_if_reached ("none");
    }
}

/* ------------------------------------------------------------------------- */
/* The parser: top level                                                     */
/* ------------------------------------------------------------------------- */

static const HangardXmlChildRule network_children[] = {
  HANGARD_XML_CHILD_ONCE ("name"),
  HANGARD_XML_CHILD_ONCE ("uuid"),
  HANGARD_XML_CHILD_ONCE ("title"),
  HANGARD_XML_CHILD_ONCE ("description"),
  HANGARD_XML_CHILD_ONCE ("metadata"),
  HANGARD_XML_CHILD_ONCE ("forward"),
  HANGARD_XML_CHILD_ONCE ("bridge"),
  HANGARD_XML_CHILD_ONCE ("mac"),
  HANGARD_XML_CHILD_ONCE ("domain"),
  HANGARD_XML_CHILD_ONCE ("dns"),
  HANGARD_XML_CHILD_MANY ("ip"),
  HANGARD_XML_CHILD_UNSUPPORTED ("route", "Hangar does not add static routes for networks"),
  HANGARD_XML_CHILD_UNSUPPORTED ("portgroup", "Hangar's networks have no port groups"),
  HANGARD_XML_CHILD_UNSUPPORTED ("bandwidth", "Hangar does not limit a network's bandwidth"),
  HANGARD_XML_CHILD_UNSUPPORTED ("vlan", "Hangar does not tag network traffic with VLANs"),
  HANGARD_XML_CHILD_UNSUPPORTED ("virtualport",
                                 "Hangar's networks are Linux bridges, not Open vSwitch"),
  HANGARD_XML_CHILD_UNSUPPORTED ("mtu", "Hangar leaves the bridge's MTU to the kernel"),
  HANGARD_XML_CHILD_UNSUPPORTED ("port", "Hangar does not isolate guests' ports from "
                                 "each other"),
  HANGARD_XML_CHILD_RULES_END
};

static const char *const text_elements[] = { "name", "uuid", "title", "description" };

/* <network ipv6='yes'> routes IPv6 between guests with no IPv6 address. */
static gboolean
check_root_attributes (xmlNode  *root,
                       GError  **error)
{
  static const HangardXmlEnumValue ipv6_values[] = {
    { "no", FALSE }, { "yes", HANGARD_XML_ENUM_UNSUPPORTED }, HANGARD_XML_ENUM_VALUES_END
  };
  int ipv6;

  return hangard_xml_parse_enum_attribute (root, "ipv6", ipv6_values,
                                           HANGARD_XML_UNKNOWN_IS_INVALID, FALSE,
                                           "Hangar's networks are IPv4 only", &ipv6, error);
}

static gboolean
check_text_elements (xmlNode  *root,
                     GError  **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (text_elements); i++)
    {
      xmlNode *node = hangard_xml_find_child (root, text_elements[i]);

      if (node != NULL && !hangard_xml_check_children (node, hangard_xml_no_children, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_name (HangardNetworkDef  *def,
            xmlNode            *root,
            GError            **error)
{
  xmlNode *node = hangard_xml_find_child (root, "name");
  g_autofree char *name = NULL;

  if (node == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "The network definition has no <name>");
      return FALSE;
    }

  name = hangard_xml_get_text (node);
  if (!network_name_is_valid (name, error))
    return FALSE;

  def->name = g_steal_pointer (&name);
  return TRUE;
}

static gboolean
parse_uuid (HangardNetworkDef  *def,
            xmlNode            *root,
            GError            **error)
{
  xmlNode *node = hangard_xml_find_child (root, "uuid");
  g_autofree char *text = NULL;

  /* Generated once everything else is valid. */
  if (node == NULL)
    return TRUE;

  text = hangard_xml_get_stripped_text (node);
  return hangard_xml_normalize_uuid (text, def->uuid, error);
}

/* ------------------------------------------------------------------------- */
/* <forward>                                                                 */
/* ------------------------------------------------------------------------- */

#define FORWARD_DEVICE_REASON \
  "Hangar's networks do not hand host devices to guests; use mode='bridge' " \
  "with <bridge name='...'/> to join a host bridge"

static const HangardXmlChildRule forward_children[] = {
  HANGARD_XML_CHILD_ONCE ("nat"),
  HANGARD_XML_CHILD_UNSUPPORTED ("interface", FORWARD_DEVICE_REASON),
  HANGARD_XML_CHILD_UNSUPPORTED ("pf", FORWARD_DEVICE_REASON),
  HANGARD_XML_CHILD_UNSUPPORTED ("address", FORWARD_DEVICE_REASON),
  HANGARD_XML_CHILD_UNSUPPORTED ("driver", FORWARD_DEVICE_REASON),
  HANGARD_XML_CHILD_RULES_END
};

/* <port start='1024' end='65535'/> is libvirt's default source port range
 * for masquerading, which the kernel's masquerade picks from anyway. */
static const HangardXmlChildRule nat_children[] = {
  HANGARD_XML_CHILD_ONCE ("port"),
  HANGARD_XML_CHILD_UNSUPPORTED ("address", "Hangar masquerades with the host's own address"),
  HANGARD_XML_CHILD_RULES_END
};

static gboolean
check_nat (xmlNode  *forward,
           GError  **error)
{
  static const HangardXmlEnumValue ipv6_values[] = {
    { "no", FALSE }, { "yes", HANGARD_XML_ENUM_UNSUPPORTED }, HANGARD_XML_ENUM_VALUES_END
  };
  xmlNode *nat = hangard_xml_find_child (forward, "nat");
  xmlNode *port;
  int ipv6;

  if (nat == NULL)
    return TRUE;

  if (!hangard_xml_check_children (nat, nat_children, error) ||
      !hangard_xml_parse_enum_attribute (nat, "ipv6", ipv6_values,
                                         HANGARD_XML_UNKNOWN_IS_INVALID, FALSE,
                                         "Hangar's networks are IPv4 only", &ipv6, error))
    return FALSE;

  port = hangard_xml_find_child (nat, "port");
  return port == NULL || hangard_xml_check_children (port, hangard_xml_no_children, error);
}

static gboolean
check_forward_dev (xmlNode  *forward,
                   GError  **error)
{
  g_autofree char *dev = hangard_xml_get_attribute (forward, "dev");
  g_autofree char *shown = NULL;

  if (dev == NULL)
    return TRUE;

  shown = hangard_xml_describe_for_message (dev);
  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
               "Unsupported <forward dev='%s'>: Hangar's NAT leaves the host through "
               "whichever interface the host routes it to", shown);
  return FALSE;
}

/* No <forward>: isolated. <forward/> without a mode: NAT, as in libvirt. */
static gboolean
parse_forward (HangardNetworkDef  *def,
               xmlNode            *root,
               GError            **error)
{
  static const HangardXmlEnumValue modes[] = {
    { "nat", HANGARD_FORWARD_NAT },
    { "bridge", HANGARD_FORWARD_BRIDGE },
    { "route", HANGARD_XML_ENUM_UNSUPPORTED }, { "open", HANGARD_XML_ENUM_UNSUPPORTED },
    { "private", HANGARD_XML_ENUM_UNSUPPORTED }, { "vepa", HANGARD_XML_ENUM_UNSUPPORTED },
    { "passthrough", HANGARD_XML_ENUM_UNSUPPORTED },
    { "hostdev", HANGARD_XML_ENUM_UNSUPPORTED },
    HANGARD_XML_ENUM_VALUES_END
  };
  xmlNode *forward = hangard_xml_find_child (root, "forward");
  int mode;

  def->forward_mode = HANGARD_FORWARD_NONE;
  if (forward == NULL)
    return TRUE;

  if (!hangard_xml_parse_enum_attribute (forward, "mode", modes,
                                         HANGARD_XML_UNKNOWN_IS_INVALID, HANGARD_FORWARD_NAT,
                                         "Hangar's networks are NAT (mode='nat'), isolated "
                                         "(no <forward>) or a host bridge (mode='bridge')",
                                         &mode, error) ||
      !check_forward_dev (forward, error) ||
      !hangard_xml_check_children (forward, forward_children, error))
    return FALSE;

  def->forward_mode = mode;
  if (mode == HANGARD_FORWARD_BRIDGE && hangard_xml_find_child (forward, "nat") != NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "<nat> in <forward> is for mode='nat', not mode='bridge'");
      return FALSE;
    }
  return check_nat (forward, error);
}

/* ------------------------------------------------------------------------- */
/* <bridge>, <mac>, <domain>, <dns>                                          */
/* ------------------------------------------------------------------------- */

static gboolean
check_bridge_options (xmlNode  *bridge,
                      GError  **error)
{
  static const HangardXmlEnumValue stp_values[] = {
    { "on", TRUE }, { "off", FALSE }, HANGARD_XML_ENUM_VALUES_END
  };
  static const HangardXmlEnumValue mac_table_managers[] = {
    { "kernel", 0 }, { "libvirt", HANGARD_XML_ENUM_UNSUPPORTED }, HANGARD_XML_ENUM_VALUES_END
  };
  g_autofree char *zone = hangard_xml_get_attribute (bridge, "zone");
  int value;

  if (!hangard_xml_parse_enum_attribute (bridge, "stp", stp_values,
                                         HANGARD_XML_UNKNOWN_IS_INVALID, TRUE, NULL,
                                         &value, error) ||
      !hangard_xml_parse_enum_attribute (bridge, "macTableManager", mac_table_managers,
                                         HANGARD_XML_UNKNOWN_IS_INVALID, 0,
                                         "Hangar leaves the bridge's forwarding table "
                                         "to the kernel", &value, error))
    return FALSE;

  if (zone != NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           "Unsupported <bridge zone='...'>: Hangar sets up its own "
                           "nftables rules and does not use firewalld zones");
      return FALSE;
    }
  return TRUE;
}

/* A host bridge is the administrator's: libvirt refuses to tune it too. */
static gboolean
check_bridge_mode_bridge (xmlNode  *bridge,
                          GError  **error)
{
  static const char *const attributes[] = { "stp", "delay" };

  for (gsize i = 0; i < G_N_ELEMENTS (attributes); i++)
    {
      g_autofree char *value = hangard_xml_get_attribute (bridge, attributes[i]);

      if (value != NULL)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                       "<bridge %s='...'> is for networks Hangar creates a bridge for, "
                       "not for forward mode='bridge' (an existing host bridge)",
                       attributes[i]);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
parse_bridge (HangardNetworkDef  *def,
              xmlNode            *root,
              GError            **error)
{
  xmlNode *bridge = hangard_xml_find_child (root, "bridge");
  g_autofree char *name = NULL;

  if (bridge != NULL)
    {
      if (!hangard_xml_check_children (bridge, hangard_xml_no_children, error) ||
          !check_bridge_options (bridge, error))
        return FALSE;
      if (def->forward_mode == HANGARD_FORWARD_BRIDGE &&
          !check_bridge_mode_bridge (bridge, error))
        return FALSE;
      name = hangard_xml_get_attribute (bridge, "name");
    }

  if (name == NULL && def->forward_mode == HANGARD_FORWARD_BRIDGE)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "A network with <forward mode='bridge'/> needs the host bridge "
                           "it joins: <bridge name='br0'/>");
      return FALSE;
    }
  if (name != NULL && !hangard_ifname_is_valid (name, error))
    return FALSE;

  def->bridge_name = g_steal_pointer (&name);
  return TRUE;
}

static gboolean
check_mac (xmlNode  *root,
           GError  **error)
{
  xmlNode *mac = hangard_xml_find_child (root, "mac");
  g_autofree char *address = NULL;
  g_autofree char *normalized = NULL;

  if (mac == NULL)
    return TRUE;
  if (!hangard_xml_check_children (mac, hangard_xml_no_children, error))
    return FALSE;

  address = hangard_xml_get_attribute (mac, "address");
  if (address == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "<mac> in <network> needs an address attribute");
      return FALSE;
    }

  normalized = hangard_xml_parse_unicast_mac (address, HANGAR_ERROR_INVALID_ARGUMENT, error);
  return normalized != NULL;
}

#define DNS_CONTENT_REASON \
  "Hangar's networks answer DNS for their guests' names and do not add records " \
  "or forwarders"

static const HangardXmlChildRule dns_children[] = {
  HANGARD_XML_CHILD_UNSUPPORTED ("forwarder", DNS_CONTENT_REASON),
  HANGARD_XML_CHILD_UNSUPPORTED ("txt", DNS_CONTENT_REASON),
  HANGARD_XML_CHILD_UNSUPPORTED ("srv", DNS_CONTENT_REASON),
  HANGARD_XML_CHILD_UNSUPPORTED ("host", DNS_CONTENT_REASON),
  HANGARD_XML_CHILD_RULES_END
};

static gboolean
check_dns (xmlNode  *root,
           GError  **error)
{
  static const HangardXmlEnumValue enable_values[] = {
    { "yes", TRUE }, { "no", HANGARD_XML_ENUM_UNSUPPORTED }, HANGARD_XML_ENUM_VALUES_END
  };
  xmlNode *dns = hangard_xml_find_child (root, "dns");
  int enable;

  if (dns == NULL)
    return TRUE;

  return hangard_xml_parse_enum_attribute (dns, "enable", enable_values,
                                           HANGARD_XML_UNKNOWN_IS_INVALID, TRUE,
                                           "Hangar's networks always answer DNS for "
                                           "their guests", &enable, error) &&
         hangard_xml_check_children (dns, dns_children, error);
}

/* libvirt refuses what only makes sense for a bridge it creates. */
static gboolean
check_bridge_mode_elements (xmlNode  *root,
                            GError  **error)
{
  static const char *const elements[] = { "ip", "mac", "domain", "dns" };

  for (gsize i = 0; i < G_N_ELEMENTS (elements); i++)
    {
      if (hangard_xml_find_child (root, elements[i]) != NULL)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                       "<%s> is for networks Hangar creates a bridge for, not for "
                       "<forward mode='bridge'/>: the host bridge's own network "
                       "gives guests their addresses", elements[i]);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_domain_element (xmlNode  *root,
                      GError  **error)
{
  xmlNode *domain = hangard_xml_find_child (root, "domain");

  return domain == NULL || hangard_xml_check_children (domain, hangard_xml_no_children, error);
}

/* ------------------------------------------------------------------------- */
/* <ip>                                                                      */
/* ------------------------------------------------------------------------- */

static const HangardXmlChildRule ip_children[] = {
  HANGARD_XML_CHILD_ONCE ("dhcp"),
  HANGARD_XML_CHILD_UNSUPPORTED ("tftp", "Hangar does not run a TFTP server"),
  HANGARD_XML_CHILD_RULES_END
};

static const HangardXmlChildRule dhcp_children[] = {
  HANGARD_XML_CHILD_MANY ("range"),
  HANGARD_XML_CHILD_MANY ("host"),
  HANGARD_XML_CHILD_UNSUPPORTED ("bootp", "Hangar does not offer network boot over DHCP"),
  HANGARD_XML_CHILD_RULES_END
};

static const HangardXmlChildRule lease_holder_children[] = {
  HANGARD_XML_CHILD_UNSUPPORTED ("lease", "Hangar's DHCP leases always last an hour"),
  HANGARD_XML_CHILD_RULES_END
};

/* "<range start='...'>" for messages. */
static char *
describe_attribute (xmlNode    *node,
                    const char *attribute,
                    const char *value)
{
  g_autofree char *label = hangard_xml_element_label (node);
  g_autofree char *shown = hangard_xml_describe_for_message (value);

  return g_strdup_printf ("<%s %s='%s'>", label, attribute, shown);
}

/* Reads a required IPv4 address attribute. */
static gboolean
parse_address_attribute (xmlNode     *node,
                         const char  *attribute,
                         guint32     *out,
                         GError     **error)
{
  g_autofree char *text = hangard_xml_get_attribute (node, attribute);
  g_autofree char *what = NULL;

  if (text == NULL)
    {
      g_autofree char *label = hangard_xml_element_label (node);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "<%s> needs an %s attribute", label, attribute);
      return FALSE;
    }

  what = describe_attribute (node, attribute, text);
  if (strchr (text, ':') != NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Unsupported %s: Hangar's networks are IPv4 only", what);
      return FALSE;
    }
  if (!hangard_ipv4_parse (text, out))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Invalid %s: expected an IPv4 address such as %s", what,
                   g_str_equal (attribute, "netmask") ? "255.255.255.0" : "192.168.122.1");
      return FALSE;
    }
  return TRUE;
}

/* family='ipv4' or none: TRUE; 'ipv6': UNSUPPORTED. */
static gboolean
check_ip_family (xmlNode  *ip,
                 GError  **error)
{
  static const HangardXmlEnumValue families[] = {
    { "ipv4", 4 }, { "ipv6", HANGARD_XML_ENUM_UNSUPPORTED }, HANGARD_XML_ENUM_VALUES_END
  };
  int family;

  return hangard_xml_parse_enum_attribute (ip, "family", families,
                                           HANGARD_XML_UNKNOWN_IS_INVALID, 4,
                                           "Hangar's networks are IPv4 only", &family, error);
}

/* NAT and isolated networks need exactly one IPv4 <ip>: the bridge's. */
static xmlNode *
find_single_ip (xmlNode  *root,
                GError  **error)
{
  xmlNode *found = NULL;

  HANGARD_XML_FOR_EACH_CHILD_ELEMENT (child, root)
    {
      if (!hangard_xml_is_element_named (child, "ip"))
        continue;
      if (!check_ip_family (child, error))
        return NULL;
      if (found != NULL)
        {
          g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                               "Unsupported second <ip> in <network>: Hangar gives a "
                               "network one IPv4 subnet");
          return NULL;
        }
      found = child;
    }

  if (found == NULL)
    g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                         "The network has no <ip>: Hangar's NAT and isolated networks "
                         "need the bridge's IPv4 address, e.g. <ip address='192.168.100.1' "
                         "netmask='255.255.255.0'>");
  return found;
}

static gboolean
parse_netmask (xmlNode     *ip,
               const char  *text,
               guint       *prefix,
               GError     **error)
{
  guint32 netmask;

  if (!parse_address_attribute (ip, "netmask", &netmask, error))
    return FALSE;

  if (!netmask_to_prefix (netmask, prefix))
    {
      g_autofree char *shown = hangard_xml_describe_for_message (text);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Invalid netmask '%s' in <ip>: its one bits must all come first, "
                   "as in 255.255.255.0", shown);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_prefix_attribute (const char  *text,
                        guint       *prefix,
                        GError     **error)
{
  guint64 value;

  if (!g_ascii_isdigit (text[0]) ||
      !g_ascii_string_to_unsigned (text, 10, 0, 32, &value, NULL))
    {
      g_autofree char *shown = hangard_xml_describe_for_message (text);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Invalid <ip prefix='%s'>: expected the number of network bits, "
                   "such as 24", shown);
      return FALSE;
    }

  *prefix = (guint) value;
  return TRUE;
}

/* libvirt's default when neither netmask nor prefix is given: the
 * address's class (A: /8, B: /16, C: /24). */
static gboolean
classful_prefix (guint32  address,
                 guint   *prefix,
                 GError **error)
{
  guint first = address >> 24;

  if (first < 128)
    *prefix = 8;
  else if (first < 192)
    *prefix = 16;
  else if (first < 224)
    *prefix = 24;
  else
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                           "<ip> needs a netmask or prefix attribute, e.g. "
                           "netmask='255.255.255.0'");
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_ip_prefix (xmlNode  *ip,
                 guint32   address,
                 guint    *prefix,
                 GError  **error)
{
  g_autofree char *netmask = hangard_xml_get_attribute (ip, "netmask");
  g_autofree char *prefix_text = hangard_xml_get_attribute (ip, "prefix");

  if (netmask != NULL && prefix_text != NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "<ip> has both a netmask and a prefix: give one of them");
      return FALSE;
    }

  if (netmask != NULL)
    return parse_netmask (ip, netmask, prefix, error);
  if (prefix_text != NULL)
    return parse_prefix_attribute (prefix_text, prefix, error);
  return classful_prefix (address, prefix, error);
}

static gboolean
check_prefix_range (guint    prefix,
                    GError **error)
{
  if (prefix >= MIN_PREFIX && prefix <= MAX_PREFIX)
    return TRUE;

  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
               "Invalid network size /%u in <ip>: Hangar's networks have a prefix of "
               "%d to %d (a netmask from 128.0.0.0 to 255.255.255.252), so there is "
               "room for the bridge and guests", prefix, MIN_PREFIX, MAX_PREFIX);
  return FALSE;
}

/* 0.0.0.0/8, loopback, multicast and the reserved 240.0.0.0/4 cannot be
 * the address of a bridge. */
static gboolean
is_usable_unicast (guint32 address)
{
  guint first = address >> 24;

  return first != 0 && first != 127 && first < 224;
}

static gboolean
check_bridge_address (HangardNetworkDef  *def,
                      GError            **error)
{
  guint32 mask = hangard_ipv4_netmask (def->prefix);
  g_autofree char *shown = hangard_ipv4_to_string (def->address);
  const char *problem = NULL;

  if (!is_usable_unicast (def->address))
    problem = "it is not an ordinary unicast address (loopback, multicast or reserved)";
  else if ((def->address & ~mask) == 0)
    problem = "it is the network address of its subnet (all host bits zero)";
  else if ((def->address & ~mask) == ~mask)
    problem = "it is the broadcast address of its subnet (all host bits one)";

  if (problem == NULL)
    return TRUE;

  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
               "Invalid <ip address='%s' prefix='%u'>: %s; the bridge needs a host "
               "address such as the subnet's first", shown, def->prefix, problem);
  return FALSE;
}

/* Inside the subnet, and neither its network, broadcast nor bridge address.
 * `what` is "DHCP range start", "address for static host 52:54:00:…"... */
static gboolean
check_guest_address (HangardNetworkDef  *def,
                     guint32             address,
                     const char         *what,
                     GError            **error)
{
  guint32 mask = hangard_ipv4_netmask (def->prefix);
  g_autofree char *shown = hangard_ipv4_to_string (address);
  g_autofree char *subnet = hangard_ipv4_to_string (def->address & mask);
  const char *problem = NULL;

  if ((address & mask) != (def->address & mask))
    problem = "is outside the network";
  else if ((address & ~mask) == 0)
    problem = "is the network address of";
  else if ((address & ~mask) == ~mask)
    problem = "is the broadcast address of";
  else if (address == def->address)
    problem = "is the bridge's own address in";

  if (problem == NULL)
    return TRUE;

  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
               "Invalid %s (%s): it %s %s/%u", what, shown, problem, subnet, def->prefix);
  return FALSE;
}

static gboolean
parse_range (HangardNetworkDef  *def,
             xmlNode            *range,
             GError            **error)
{
  guint32 start;
  guint32 end;

  if (!hangard_xml_check_children (range, lease_holder_children, error) ||
      !parse_address_attribute (range, "start", &start, error) ||
      !parse_address_attribute (range, "end", &end, error) ||
      !check_guest_address (def, start, "DHCP range start", error) ||
      !check_guest_address (def, end, "DHCP range end", error))
    return FALSE;

  if (start > end)
    {
      g_autofree char *start_text = hangard_ipv4_to_string (start);
      g_autofree char *end_text = hangard_ipv4_to_string (end);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "The DHCP range starts at %s, after its end %s",
                   start_text, end_text);
      return FALSE;
    }

  def->has_dhcp = TRUE;
  def->dhcp_start = start;
  def->dhcp_end = end;
  return TRUE;
}

static gboolean
check_host_mac_present (xmlNode  *host,
                        GError  **error)
{
  g_autofree char *mac = hangard_xml_get_attribute (host, "mac");
  g_autofree char *id = hangard_xml_get_attribute (host, "id");
  g_autofree char *name = hangard_xml_get_attribute (host, "name");

  if (id != NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           "Unsupported <host id='...'> in <dhcp>: DHCP client ids are "
                           "for IPv6, and Hangar's networks are IPv4 only");
      return FALSE;
    }
  if (mac != NULL)
    return TRUE;

  if (name != NULL)
    g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                         "Unsupported <host> in <dhcp> without a mac: Hangar gives static "
                         "addresses by MAC address, e.g. <host mac='52:54:00:12:34:56' "
                         "ip='192.168.122.10'/>");
  else
    g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                         "<host> in <dhcp> needs a mac and an ip attribute");
  return FALSE;
}

static gboolean
check_host_unique (HangardNetworkDef  *def,
                   HangardDhcpHost    *host,
                   GError            **error)
{
  for (guint i = 0; i < def->hosts->len; i++)
    {
      HangardDhcpHost *other = def->hosts->pdata[i];

      if (g_str_equal (other->mac, host->mac))
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                       "Two static hosts in <dhcp> have the MAC address %s", host->mac);
          return FALSE;
        }
      if (other->ip == host->ip)
        {
          g_autofree char *shown = hangard_ipv4_to_string (host->ip);

          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                       "Two static hosts in <dhcp> have the address %s (%s and %s)",
                       shown, other->mac, host->mac);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
parse_host (HangardNetworkDef  *def,
            xmlNode            *node,
            GError            **error)
{
  g_autoptr(HangardDhcpHost) host = g_new0 (HangardDhcpHost, 1);
  g_autofree char *mac = NULL;
  g_autofree char *what = NULL;

  if (!hangard_xml_check_children (node, lease_holder_children, error) ||
      !check_host_mac_present (node, error))
    return FALSE;

  mac = hangard_xml_get_attribute (node, "mac");
  host->mac = hangard_xml_parse_unicast_mac (mac, HANGAR_ERROR_INVALID_ARGUMENT, error);
  if (host->mac == NULL)
    return FALSE;

  host->name = hangard_xml_get_attribute (node, "name");
  if (host->name != NULL && !dhcp_host_name_is_valid (host->name, error))
    return FALSE;

  what = g_strdup_printf ("address for static host %s", host->mac);
  if (!parse_address_attribute (node, "ip", &host->ip, error) ||
      !check_guest_address (def, host->ip, what, error) ||
      !check_host_unique (def, host, error))
    return FALSE;

  g_ptr_array_add (def->hosts, g_steal_pointer (&host));
  return TRUE;
}

static gboolean
parse_dhcp_child (HangardNetworkDef  *def,
                  xmlNode            *child,
                  gboolean           *seen_range,
                  GError            **error)
{
  if (hangard_xml_is_element_named (child, "host"))
    return parse_host (def, child, error);

  if (*seen_range)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           "Unsupported second <range> in <dhcp>: Hangar hands out one "
                           "range of addresses");
      return FALSE;
    }
  *seen_range = TRUE;
  return parse_range (def, child, error);
}

static gboolean
parse_dhcp (HangardNetworkDef  *def,
            xmlNode            *ip,
            GError            **error)
{
  xmlNode *dhcp = hangard_xml_find_child (ip, "dhcp");
  gboolean seen_range = FALSE;

  if (dhcp == NULL)
    return TRUE;
  if (!hangard_xml_check_children (dhcp, dhcp_children, error))
    return FALSE;

  HANGARD_XML_FOR_EACH_CHILD_ELEMENT (child, dhcp)
    {
      if (!parse_dhcp_child (def, child, &seen_range, error))
        return FALSE;
    }

  /* dnsmasq is started for the range; hosts alone would go unserved. */
  if (def->hosts->len > 0 && !seen_range)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           "Unsupported <dhcp> with static hosts and no <range>: Hangar's "
                           "DHCP needs a range, e.g. <range start='192.168.122.100' "
                           "end='192.168.122.254'/>");
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_ip (HangardNetworkDef  *def,
          xmlNode            *root,
          GError            **error)
{
  xmlNode *ip;

  if (def->forward_mode == HANGARD_FORWARD_BRIDGE)
    return check_bridge_mode_elements (root, error);

  ip = find_single_ip (root, error);
  if (ip == NULL)
    return FALSE;

  if (!hangard_xml_check_children (ip, ip_children, error) ||
      !parse_address_attribute (ip, "address", &def->address, error) ||
      !parse_ip_prefix (ip, def->address, &def->prefix, error) ||
      !check_prefix_range (def->prefix, error) ||
      !check_bridge_address (def, error))
    return FALSE;

  def->has_ip = TRUE;
  return parse_dhcp (def, ip, error);
}

/* ------------------------------------------------------------------------- */
/* The parser: putting it together                                           */
/* ------------------------------------------------------------------------- */

static gboolean
parse_network (HangardNetworkDef  *def,
               GError            **error)
{
  xmlNode *root = xmlDocGetRootElement (def->doc);

  if (!check_root_attributes (root, error) ||
      !hangard_xml_check_children (root, network_children, error) ||
      !check_text_elements (root, error) ||
      !parse_name (def, root, error) ||
      !parse_uuid (def, root, error) ||
      !parse_forward (def, root, error) ||
      !parse_bridge (def, root, error) ||
      !check_mac (root, error) ||
      !check_domain_element (root, error) ||
      !check_dns (root, error) ||
      !parse_ip (def, root, error))
    return FALSE;

  /* Only a valid definition gets anything written into it. */
  if (hangard_xml_find_child (root, "uuid") == NULL)
    hangard_xml_insert_generated_uuid (root, def->uuid);

  return TRUE;
}

HangardNetworkDef *
hangard_network_def_parse (const char  *xml,
                           gssize       length,
                           GError     **error)
{
  g_autoptr(HangardNetworkDef) def = NULL;
  xmlDoc *doc;

  g_return_val_if_fail (xml != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  doc = hangard_xml_parse_safely (xml, length, HANGARD_NETWORK_MAX_XML_SIZE, "network", error);
  if (doc == NULL)
    return NULL;

  def = g_new0 (HangardNetworkDef, 1);
  def->doc = doc;
  def->hosts = g_ptr_array_new_with_free_func ((GDestroyNotify) dhcp_host_free);
  if (!parse_network (def, error))
    return NULL;

  return g_steal_pointer (&def);
}

char *
hangard_network_def_to_xml (HangardNetworkDef *def)
{
  g_return_val_if_fail (def != NULL, NULL);

  return hangard_xml_to_string (def->doc);
}

/* libvirt's order: name, uuid, forward, bridge, mac, ... */
static void
insert_bridge_element (xmlNode *root,
                       xmlNode *bridge)
{
  static const char *const predecessors[] = { "forward", "uuid", "name" };

  for (gsize i = 0; i < G_N_ELEMENTS (predecessors); i++)
    {
      xmlNode *before = hangard_xml_find_child (root, predecessors[i]);

      if (before != NULL)
        {
          xmlAddNextSibling (before, bridge);
          return;
        }
    }

  if (root->children != NULL)
    xmlAddPrevSibling (root->children, bridge);
  else
    xmlAddChild (root, bridge);
}

void
hangard_network_def_set_bridge (HangardNetworkDef *def,
                                const char        *bridge_name)
{
  xmlNode *root;
  xmlNode *bridge;

  g_return_if_fail (def != NULL);
  g_return_if_fail (hangard_ifname_is_valid (bridge_name, NULL));

  root = xmlDocGetRootElement (def->doc);
  bridge = hangard_xml_find_child (root, "bridge");
  if (bridge == NULL)
    {
      bridge = xmlNewDocNode (def->doc, NULL, BAD_CAST "bridge", NULL);
      insert_bridge_element (root, bridge);
    }
  xmlSetProp (bridge, BAD_CAST "name", BAD_CAST bridge_name);

  g_free (def->bridge_name);
  def->bridge_name = g_strdup (bridge_name);
}
