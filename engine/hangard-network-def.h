/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

/* A virtual network definition: the part of libvirt's network XML Hangar
 * runs (https://libvirt.org/formatnetwork.html):
 *
 *   <network>
 *     <name>default</name> <uuid>…</uuid>            uuid generated when absent
 *     <forward mode='nat'/>                          nat; absent <forward> = isolated;
 *                                                    mode='bridge' = an existing host bridge
 *     <bridge name='virbr0' stp='on' delay='0'/>     nat/isolated: optional (chosen at
 *                                                    define time when absent); bridge: required
 *     <mac address='52:54:00:…'/>                    tolerated, kept
 *     <domain name='…'/>                             tolerated, kept
 *     <ip address='192.168.122.1' netmask='255.255.255.0'>   or prefix='24'; IPv4 only
 *       <dhcp>
 *         <range start='192.168.122.2' end='192.168.122.254'/>
 *         <host mac='52:54:00:…' name='vm1' ip='192.168.122.10'/>
 *       </dhcp>
 *     </ip>
 *   </network>
 *
 * Other forward modes (route, open, passthrough…), IPv6, <dns> content
 * and other elements are refused with HANGAR_ERROR_UNSUPPORTED naming them. */

#define HANGARD_NETWORK_MAX_XML_SIZE (256 * 1024)

typedef enum {
  HANGARD_FORWARD_NAT,
  HANGARD_FORWARD_NONE,     /* isolated */
  HANGARD_FORWARD_BRIDGE,   /* machines join an existing host bridge */
} HangardForwardMode;

typedef struct {
  char    *mac;     /* lower case */
  char    *name;    /* may be NULL */
  guint32  ip;      /* host byte order */
} HangardDhcpHost;

typedef struct {
  xmlDoc             *doc;
  char               *name;
  char                uuid[37];
  HangardForwardMode  forward_mode;
  char               *bridge_name;   /* NULL for nat/isolated without <bridge name> */
  gboolean            has_ip;        /* required for nat and isolated, refused for bridge */
  guint32             address;       /* the bridge's address, host byte order */
  guint               prefix;        /* 1..30 */
  gboolean            has_dhcp;
  guint32             dhcp_start;    /* inside the subnet, not the network, broadcast
                                        or bridge address; start <= end */
  guint32             dhcp_end;
  GPtrArray          *hosts;         /* HangardDhcpHost*, never NULL */
} HangardNetworkDef;

/* Errors: HANGAR_ERROR_INVALID_XML, HANGAR_ERROR_UNSUPPORTED,
 * HANGAR_ERROR_INVALID_ARGUMENT (bad name, MAC, address, range outside the
 * subnet, too large). Parsed like domains: no network, no DTD, no entities. */
HangardNetworkDef *hangard_network_def_parse        (const char        *xml,
                                                     gssize             length,
                                                     GError           **error);
char              *hangard_network_def_to_xml       (HangardNetworkDef *def);
HangardNetworkDef *hangard_network_def_copy         (HangardNetworkDef *def);
void               hangard_network_def_free         (HangardNetworkDef *def);
/* Writes <bridge name='NAME'/> into the document (and the field). */
void               hangard_network_def_set_bridge   (HangardNetworkDef *def,
                                                     const char        *bridge_name);
/* "nat", "none", "bridge" */
const char        *hangard_forward_mode_to_string   (HangardForwardMode mode);

/* Subnet helpers, host byte order. */
guint32            hangard_ipv4_netmask             (guint              prefix);
gboolean           hangard_ipv4_subnets_overlap     (guint32            a,
                                                     guint              a_prefix,
                                                     guint32            b,
                                                     guint              b_prefix);
char              *hangard_ipv4_to_string           (guint32            address);
gboolean           hangard_ipv4_parse               (const char        *text,
                                                     guint32           *address);
/* Interface names: 1..15 bytes of [A-Za-z0-9_.-], not "." or "..". */
gboolean           hangard_ifname_is_valid          (const char        *name,
                                                     GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangardNetworkDef, hangard_network_def_free)

G_END_DECLS
