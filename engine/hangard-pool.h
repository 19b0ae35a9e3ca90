/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hangar-dbus.h"
#include "hangard-daemon.h"
#include "hangard-pool-def.h"

G_BEGIN_DECLS

typedef struct _HangardVolume HangardVolume;

/* io.github.hangarvm.Hangar1.StoragePool: a directory of images and its
 * volumes, which it exports below its own object path while active. */
#define HANGARD_TYPE_POOL (hangard_pool_get_type ())
G_DECLARE_FINAL_TYPE (HangardPool, hangard_pool, HANGARD, POOL, HangarStoragePoolSkeleton)

/* Takes `def`. */
HangardPool    *hangard_pool_new             (HangardDaemon   *daemon,
                                              HangardPoolDef  *def,
                                              gboolean         autostart);
const char     *hangard_pool_get_uuid        (HangardPool     *self);
const char     *hangard_pool_get_name        (HangardPool     *self);
const char     *hangard_pool_get_object_path (HangardPool     *self);
const char     *hangard_pool_get_target      (HangardPool     *self);
HangardPoolDef *hangard_pool_get_def         (HangardPool     *self);
gboolean        hangard_pool_is_active       (HangardPool     *self);
/* Takes the new definition; an active pool keeps running on its old
 * directory until it is stopped. */
void            hangard_pool_set_def         (HangardPool     *self,
                                              HangardPoolDef  *def);
void            hangard_pool_set_autostart_flag (HangardPool  *self,
                                                 gboolean      autostart);

/* Activates the pool and lists its volumes. */
gboolean        hangard_pool_start           (HangardPool     *self,
                                              GError         **error);
/* Deactivates: volumes leave the bus, files stay. */
void            hangard_pool_stop            (HangardPool     *self,
                                              const char      *reason);
/* Lists the directory again (synchronously: only headers are read). */
gboolean        hangard_pool_refresh         (HangardPool     *self,
                                              GError         **error);

/* The volume called `name`, or NOT_FOUND / INVALID_STATE (pool inactive). */
HangardVolume  *hangard_pool_lookup_volume   (HangardPool     *self,
                                              const char      *name,
                                              GError         **error);
/* Every volume (HangardVolume*), for in-use checks. */
GList          *hangard_pool_get_volumes     (HangardPool     *self);
/* The absolute path of `name` in this pool (validated, not resolved). */
char           *hangard_pool_build_path      (HangardPool     *self,
                                              const char      *name);
/* Re-reads one file into its volume object (adding or updating it), e.g.
 * after a job made it. Returns the volume, or NULL with an error. */
HangardVolume  *hangard_pool_add_or_update_volume (HangardPool *self,
                                                   const char  *name,
                                                   GError     **error);
void            hangard_pool_remove_volume   (HangardPool     *self,
                                              HangardVolume   *volume);

G_END_DECLS
