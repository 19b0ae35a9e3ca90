/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "hangard-network-def.h"

G_BEGIN_DECLS

/* DHCP/DNS and NAT for one virtual network: a dnsmasq bound to the
 * network's bridge, and an nftables table of Hangar's own. Both outlive
 * the engine (dnsmasq daemonizes with a pid file; the table stays in the
 * kernel) so running guests keep their network across an engine restart;
 * the engine finds and removes them by name. */

/* Starts dnsmasq for `def` on its bridge, with its files in `state_dir`
 * (dnsmasq.pid, dnsmasq.leases): --conf-file=/dev/null --bind-interfaces
 * --interface=BR --except-interface=lo --listen-address=BR_ADDRESS, the
 * DHCP range and static hosts (--dhcp-host, on the command line),
 * --dhcp-leasefile, --no-hosts. DNS is forwarded to the host's resolvers
 * (/etc/resolv.conf), as libvirt does: with --no-resolv the guests, told
 * by DHCP to ask dnsmasq, could resolve no name outside the network.
 * dnsmasq drops to 'nobody' once its files are open, so `state_dir` may
 * be root's and 0700. Changed hosts take a restart (stop, start): the
 * leases survive in the lease file. INVALID_STATE when one runs already.
 * Returns once dnsmasq runs (its pid file exists). */
gboolean   hangard_dnsmasq_start           (HangardNetworkDef *def,
                                            const char        *state_dir,
                                            GError           **error);
/* Ends the dnsmasq whose pid file is in `state_dir` (checking that the pid
 * is a dnsmasq for this bridge); quiet when there is none. */
void       hangard_dnsmasq_stop            (const char        *state_dir,
                                            const char        *bridge);
gboolean   hangard_dnsmasq_is_running      (const char        *state_dir,
                                            const char        *bridge);

typedef struct {
  gint64   expiry;    /* seconds since the epoch; 0 = infinite */
  char    *mac;
  char    *ip;        /* dotted quad */
  char    *hostname;  /* "" when the client sent none */
} HangardDhcpLease;

void       hangard_dhcp_lease_free         (HangardDhcpLease  *lease);
/* The leases in state_dir/dnsmasq.leases (HangardDhcpLease*). */
GPtrArray *hangard_dnsmasq_read_leases     (const char        *state_dir);

/* nftables: table "ip hangar_<bridge>" (nft 1.0.6 takes '-' and '.' in a
 * table name, so the bridge name is used as it is). Its forward chain
 * passes traffic within the bridge; with `masquerade` (NAT) also the
 * subnet's traffic out and the replies back in, plus a nat postrouting
 * chain masquerading the subnet's traffic leaving it. Anything else into
 * or out of the bridge is rejected: without `masquerade` the network is
 * isolated. Replaces an existing table of that name, in one transaction. */
gboolean   hangard_nft_add_network_table   (const char        *bridge,
                                            guint32            subnet,
                                            guint              prefix,
                                            gboolean           masquerade,
                                            GError           **error);
gboolean   hangard_nft_delete_network_table (const char       *bridge,
                                             GError          **error);
/* Names of the bridges that have an "ip hangar_" table (for reconciling). */
GStrv      hangard_nft_list_network_tables (GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangardDhcpLease, hangard_dhcp_lease_free)

G_END_DECLS
