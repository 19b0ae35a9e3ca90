/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hangard-daemon.h"
#include "hangard-domain.h"
#include "hangard-network.h"

G_BEGIN_DECLS

/* The engine's virtual networks (system mode): definitions on disk, the
 * default NAT network, autostart, reconciling after a restart, and the
 * taps machines get on them. */
#define HANGARD_TYPE_NETWORKS (hangard_networks_get_type ())
G_DECLARE_FINAL_TYPE (HangardNetworks, hangard_networks, HANGARD, NETWORKS, GObject)

HangardNetworks *hangard_networks_new            (HangardDaemon    *daemon);
/* Loads stored networks; on the first system start defines the "default"
 * NAT network on a subnet no host interface uses. */
gboolean         hangard_networks_load           (HangardNetworks  *self,
                                                  GError          **error);
/* Reconciles what a previous engine left, then starts autostart networks. */
void             hangard_networks_start          (HangardNetworks  *self);

HangardNetwork  *hangard_networks_define         (HangardNetworks  *self,
                                                  const char       *xml,
                                                  GError          **error);
HangardNetwork  *hangard_networks_lookup         (HangardNetworks  *self,
                                                  const char       *name_or_uuid,
                                                  GError          **error);
gboolean         hangard_networks_undefine       (HangardNetworks  *self,
                                                  HangardNetwork   *network,
                                                  GError          **error);
gboolean         hangard_networks_set_autostart  (HangardNetworks  *self,
                                                  HangardNetwork   *network,
                                                  gboolean          autostart,
                                                  GError          **error);

/* Opens one tap per network/bridge interface of `domain`, attached to its
 * bridge and up; -1 for user interfaces. Returns an array of fds (int) the
 * caller closes after QEMU has them, and their names. Errors: UNSUPPORTED
 * (session mode), NOT_FOUND (no such network or bridge), INVALID_STATE
 * (network not active). On error nothing stays open. */
GArray          *hangard_networks_open_taps      (HangardNetworks  *self,
                                                  HangardDomain    *domain,
                                                  GPtrArray       **tap_names,
                                                  GError          **error);

G_END_DECLS
