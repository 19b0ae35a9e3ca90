/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hangard-authority.h"
#include "hangard-domain.h"
#include "hangard-host.h"
#include "hangard-paths.h"

G_BEGIN_DECLS

#define HANGARD_DBUS_NAME "io.github.hangarvm.Hangar1"
#define HANGARD_DBUS_ROOT "/io/github/hangarvm/Hangar1"

typedef struct _HangardMachine HangardMachine;
typedef struct _HangardPool HangardPool;
typedef struct _HangardJob HangardJob;
typedef struct _HangardStorage HangardStorage;
typedef struct _HangardNetworks HangardNetworks;

/* The engine: owns the bus connection, the object manager, the host facts,
 * the directories (paths) and the machines. */
#define HANGARD_TYPE_DAEMON (hangard_daemon_get_type ())
G_DECLARE_FINAL_TYPE (HangardDaemon, hangard_daemon, HANGARD, DAEMON, GObject)

/* Takes `paths`. Loads every stored definition and exports the objects (before the bus
 * name is owned, so clients never see a half-filled engine). */
HangardDaemon  *hangard_daemon_new               (GDBusConnection        *connection,
                                                  HangardPaths           *paths,
                                                  HangardHost            *host,
                                                  GError                **error);
/* Reconnects to guests left running by a previous engine, then starts the
 * machines marked autostart that are not running. */
void            hangard_daemon_start             (HangardDaemon          *self);

GDBusConnection *hangard_daemon_get_connection   (HangardDaemon          *self);
GDBusObjectManagerServer *hangard_daemon_get_object_manager (HangardDaemon *self);
HangardStorage *hangard_daemon_get_storage       (HangardDaemon          *self);
HangardNetworks *hangard_daemon_get_networks     (HangardDaemon          *self);
HangardPaths   *hangard_daemon_get_paths         (HangardDaemon          *self);
HangardHost    *hangard_daemon_get_host          (HangardDaemon          *self);

/* The one place that decides whether the caller of `invocation` may do
 * `access` (READ: polkit action io.github.hangarvm.hangar.monitor, MANAGE:
 * ...manage; see HangardAuthority). Every method handler calls it first,
 * before it does anything:
 *
 *   if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
 *     return TRUE;
 *
 * TRUE: the caller may, go on. FALSE: the invocation is taken care of, the
 * handler just returns TRUE; either it was refused (answered with
 * NotAuthorized) or the answer needs the bus or polkit, which is asked
 * without blocking, and once allowed the handler is run again with the same
 * invocation (then this returns TRUE at once). So nothing a handler does
 * before this call may have an effect: it may happen twice. */
gboolean        hangard_daemon_authorize         (HangardDaemon          *self,
                                                  GDBusMethodInvocation  *invocation,
                                                  HangardAccess           access);

/* Defines or redefines a machine from XML. `expected_uuid` (nullable)
 * requires the definition to keep that UUID (Machine.UpdateXml). */
HangardMachine *hangard_daemon_define_machine    (HangardDaemon          *self,
                                                  const char             *xml,
                                                  const char             *expected_uuid,
                                                  GError                **error);
HangardMachine *hangard_daemon_lookup_machine    (HangardDaemon          *self,
                                                  const char             *name_or_uuid,
                                                  GError                **error);
/* With `remove_storage`, also deletes the files of its disks (pool volumes
 * and plain files; CD-ROM media are kept: ISOs are shared install media).
 * Refused while the machine runs or another running machine uses a disk;
 * nothing is removed when a file cannot be. */
gboolean        hangard_daemon_undefine_machine  (HangardDaemon          *self,
                                                  HangardMachine         *machine,
                                                  gboolean                remove_storage,
                                                  GError                **error);
gboolean        hangard_daemon_set_autostart     (HangardDaemon          *self,
                                                  HangardMachine         *machine,
                                                  gboolean                autostart,
                                                  GError                **error);

/* The name of a running machine that has `path` as a disk, or NULL. */
const char     *hangard_daemon_find_running_user (HangardDaemon          *self,
                                                  const char             *path);

/* Shortcuts to the storage registry, for the pool and volume objects. */
HangardPool    *hangard_daemon_lookup_pool_by_path (HangardDaemon        *self,
                                                    const char           *object_path,
                                                    GError              **error);
gboolean        hangard_daemon_undefine_pool     (HangardDaemon          *self,
                                                  HangardPool            *pool,
                                                  gboolean                delete_directory,
                                                  gboolean                delete_volumes,
                                                  GError                **error);
gboolean        hangard_daemon_set_pool_autostart (HangardDaemon         *self,
                                                   HangardPool           *pool,
                                                   gboolean               autostart,
                                                   GError               **error);

/* Exports `job` at /io/github/hangarvm/Hangar1/jobs/<n> and unexports it
 * a minute after it ends. */
void            hangard_daemon_export_job        (HangardDaemon          *self,
                                                  HangardJob             *job);

G_END_DECLS
