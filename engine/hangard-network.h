/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hangar-dbus.h"
#include "hangard-daemon.h"
#include "hangard-network-def.h"

G_BEGIN_DECLS

/* io.github.hangarvm.Hangar1.Network: one virtual network and what runs it
 * on the host (bridge, dnsmasq, nftables table). */
#define HANGARD_TYPE_NETWORK (hangard_network_get_type ())
G_DECLARE_FINAL_TYPE (HangardNetwork, hangard_network, HANGARD, NETWORK, HangarNetworkSkeleton)

/* Takes `def`; `state_dir` holds its dnsmasq files and its "active" mark. */
HangardNetwork    *hangard_network_new              (HangardDaemon     *daemon,
                                                     HangardNetworkDef *def,
                                                     const char        *state_dir,
                                                     gboolean           autostart);
const char        *hangard_network_get_name         (HangardNetwork    *self);
const char        *hangard_network_get_uuid         (HangardNetwork    *self);
const char        *hangard_network_get_object_path  (HangardNetwork    *self);
HangardNetworkDef *hangard_network_get_def          (HangardNetwork    *self);
gboolean           hangard_network_is_active        (HangardNetwork    *self);
/* The bridge machines' taps join. */
const char        *hangard_network_get_bridge       (HangardNetwork    *self);
void               hangard_network_set_def          (HangardNetwork    *self,
                                                     HangardNetworkDef *def);
void               hangard_network_set_autostart_flag (HangardNetwork  *self,
                                                       gboolean         autostart);

gboolean           hangard_network_start            (HangardNetwork    *self,
                                                     GError           **error);
void               hangard_network_stop             (HangardNetwork    *self);
/* After an engine restart: a network marked active whose bridge is still
 * there is taken back as it is (guests keep their network); dnsmasq is
 * started again if it died. Anything half there is cleaned up. */
void               hangard_network_reconcile        (HangardNetwork    *self);
/* The IPv4 address dnsmasq leased to `mac`, or NULL. */
char              *hangard_network_lookup_lease     (HangardNetwork    *self,
                                                     const char        *mac);

G_END_DECLS
