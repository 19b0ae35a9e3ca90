/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The host's networking, as the engine (root, system mode) changes it:
 * links, addresses, bridges and taps. It runs ip(8) from iproute2 (with
 * -json where it reads) and the TUN ioctl; every call is quick. Errors:
 * HANGAR_ERROR_FAILED with the step and ip's own message,
 * HANGAR_ERROR_NOT_FOUND for a missing link. */

typedef struct {
  char    *device;
  guint32  address;   /* host byte order */
  guint    prefix;
} HangardHostAddress;

void       hangard_host_address_free          (HangardHostAddress *address);

/* Every IPv4 address on the host (in this network namespace). */
GPtrArray *hangard_host_net_list_ipv4         (GError    **error);
gboolean   hangard_host_net_link_exists       (const char *name);
gboolean   hangard_host_net_link_is_bridge    (const char *name);
/* The bridge `name` is enslaved to, or NULL. */
char      *hangard_host_net_link_master       (const char *name);

gboolean   hangard_host_net_bridge_create     (const char *name,
                                               GError    **error);
gboolean   hangard_host_net_link_delete       (const char *name,
                                               GError    **error);
gboolean   hangard_host_net_link_set_up       (const char *name,
                                               GError    **error);
gboolean   hangard_host_net_address_add       (const char *device,
                                               guint32     address,
                                               guint       prefix,
                                               GError    **error);
gboolean   hangard_host_net_set_master        (const char *device,
                                               const char *bridge,
                                               GError    **error);
/* /proc/sys/net/ipv4/ip_forward = 1 */
gboolean   hangard_host_net_enable_ip_forward (GError    **error);

/* Opens a new tap (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR), named by the kernel
 * from `name_template` ("hgtap%d"), not persistent: it vanishes when the
 * last fd (QEMU's) closes. Returns the fd (O_CLOEXEC) and the name. */
int        hangard_host_net_tap_open          (const char *name_template,
                                               char      **name,
                                               GError    **error);

/* iface-bridge: creates `bridge` (with `device`'s MAC, so the LAN's DHCP
 * server knows the host again), moves `device`'s IPv4 addresses and its
 * routes in the main table to it, enslaves `device` and brings both up.
 * On any failure every step done so far is undone, leaving `device` as it
 * was. Refused before any change: ALREADY_EXISTS (bridge name taken),
 * NOT_FOUND, INVALID_ARGUMENT (a bridge, not Ethernet), INVALID_STATE
 * (already a bridge port), UNSUPPORTED (a multipath route or a metric
 * that could not be put back). */
gboolean   hangard_host_net_bridge_interface  (const char *device,
                                               const char *bridge,
                                               GError    **error);
/* The undo: addresses and routes back to the enslaved device, bridge
 * deleted. INVALID_STATE while taps (machines) or other ports are on it. */
gboolean   hangard_host_net_unbridge_interface (const char *bridge,
                                                GError    **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangardHostAddress, hangard_host_address_free)

G_END_DECLS
