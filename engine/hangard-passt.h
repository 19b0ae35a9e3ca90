/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "hangard-domain.h"

G_BEGIN_DECLS

/* passt (Debian package "passt"): user-mode networking in a process of its
 * own instead of QEMU's built-in slirp. It speaks to QEMU over a connected
 * stream socket (-netdev stream,addr.type=fd) and forwards host ports to
 * the guest itself. It refuses to run as root, so only a session engine of
 * an ordinary user uses it. */

/* Whether passt can serve a NIC of this engine: installed, and we are not
 * root. Otherwise FALSE with HANGAR_ERROR_UNSUPPORTED saying why. */
gboolean hangard_passt_usable (GError              **error);

/* Starts passt for user interface `index`, `nic` (its port forwards
 * become passt's -t/-u options), on one end of a new socket pair; passt's
 * messages go to `log_fd`. Returns the other end, for QEMU, or -1 with
 * `error` set. passt runs in its own session (a signal for the engine does
 * not reach it) and ends by itself when QEMU's end closes, so it lives
 * exactly as long as the guest's NIC, across engine restarts. `pid` gets
 * its process id; the caller reaps it. */
int      hangard_passt_spawn  (const HangardNicDef  *nic,
                               guint                 index,
                               int                   log_fd,
                               GPid                 *pid,
                               GError              **error);

G_END_DECLS
