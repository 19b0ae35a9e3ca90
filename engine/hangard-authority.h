/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

#include "hangard-paths.h"

G_BEGIN_DECLS

/* What a method does, for the one authorization check. */
typedef enum {
  HANGARD_ACCESS_READ,    /* looks at machines and the host: polkit action ...monitor */
  HANGARD_ACCESS_MANAGE,  /* changes definitions or runs guests: polkit action ...manage */
} HangardAccess;

/* The polkit actions (data/io.github.hangarvm.hangar.policy.in). */
#define HANGARD_POLKIT_ACTION_MONITOR "io.github.hangarvm.hangar.monitor"
#define HANGARD_POLKIT_ACTION_MANAGE  "io.github.hangarvm.hangar.manage"

typedef enum {
  HANGARD_DECISION_ALLOWED,
  HANGARD_DECISION_DENIED,
  HANGARD_DECISION_ASK,     /* not known without asking the bus or polkit */
} HangardDecision;

/* Who may call the engine, decided without ever blocking the main loop.
 *
 * Session mode: the engine's own user and root, as before polkit.
 * System mode: polkit, the caller being its unique bus name
 * (polkit_system_bus_name_new); READ needs ...monitor, MANAGE ...manage, and
 * polkit may ask the caller's authentication agent only when the message
 * carries G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION. Without
 * polkit (no system bus, or no polkitd on it) anyone may monitor and only
 * uid 0 may manage. A peer-to-peer link (no bus) is judged by the peer's
 * credentials with the rules without polkit.
 *
 * The engine's "system bus" is the bus it serves: hangard --system
 * --bus-address ADDR sets DBUS_SYSTEM_BUS_ADDRESS to ADDR, so polkit is
 * asked on that bus (the tests run a polkitd there). */
#define HANGARD_TYPE_AUTHORITY (hangard_authority_get_type ())
G_DECLARE_FINAL_TYPE (HangardAuthority, hangard_authority, HANGARD, AUTHORITY, GObject)

HangardAuthority *hangard_authority_new             (GDBusConnection        *connection,
                                                     HangardMode             mode);

/* The decision when it is known at once (session mode with the caller's
 * uid already known, a peer link); on DENIED `error` says why
 * (NotAuthorized). ASK: use hangard_authority_check_async(). */
HangardDecision   hangard_authority_check_now       (HangardAuthority       *self,
                                                     GDBusMethodInvocation  *invocation,
                                                     HangardAccess           access,
                                                     GError                **error);
/* Asks the bus and polkit as needed. Fails with HANGAR_ERROR_NOT_AUTHORIZED
 * and a message a person understands (which action, whether an
 * authentication was dismissed or could not be asked for). A pending check
 * is cancelled when its caller leaves the bus. */
void              hangard_authority_check_async     (HangardAuthority       *self,
                                                     GDBusMethodInvocation  *invocation,
                                                     HangardAccess           access,
                                                     GAsyncReadyCallback     callback,
                                                     gpointer                user_data);
gboolean          hangard_authority_check_finish    (HangardAuthority       *self,
                                                     GAsyncResult           *result,
                                                     GError                **error);

const char       *hangard_access_to_action_id       (HangardAccess           access);

/* The rules without polkit, on their own (for tests): session mode lets
 * `caller` in when it is `engine_uid` or root; system mode lets anyone
 * READ and only root MANAGE. */
gboolean          hangard_authority_allowed_without_polkit (HangardMode      mode,
                                                            HangardAccess    access,
                                                            uid_t            caller,
                                                            uid_t            engine_uid);

G_END_DECLS
