/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hangard-daemon.h"
#include "hangard-domain.h"
#include "hangard-pool.h"

G_BEGIN_DECLS

/* The engine's storage pools: their definitions on disk, the default pool,
 * autostart, and resolving a machine's pool volumes to files. */
#define HANGARD_TYPE_STORAGE (hangard_storage_get_type ())
G_DECLARE_FINAL_TYPE (HangardStorage, hangard_storage, HANGARD, STORAGE, GObject)

HangardStorage *hangard_storage_new             (HangardDaemon   *daemon);
/* Loads stored pools; on the very first start defines, builds and starts
 * the "default" pool in the images directory. */
gboolean        hangard_storage_load            (HangardStorage  *self,
                                                 GError         **error);
/* Starts the pools marked autostart. */
void            hangard_storage_autostart       (HangardStorage  *self);

HangardPool    *hangard_storage_define_pool     (HangardStorage  *self,
                                                 const char      *xml,
                                                 GError         **error);
HangardPool    *hangard_storage_lookup_pool     (HangardStorage  *self,
                                                 const char      *name_or_uuid,
                                                 GError         **error);
HangardPool    *hangard_storage_lookup_pool_by_path (HangardStorage *self,
                                                     const char     *object_path,
                                                     GError        **error);
gboolean        hangard_storage_undefine_pool   (HangardStorage  *self,
                                                 HangardPool     *pool,
                                                 gboolean         delete_directory,
                                                 gboolean         delete_volumes,
                                                 GError         **error);
gboolean        hangard_storage_set_autostart   (HangardStorage  *self,
                                                 HangardPool     *pool,
                                                 gboolean         autostart,
                                                 GError         **error);

/* A copy of `domain` whose volume disks (<source pool= volume=>) carry the
 * file path of their volume. Errors: NOT_FOUND (no such pool or volume),
 * INVALID_STATE (pool not active). */
HangardDomain  *hangard_storage_resolve_domain  (HangardStorage  *self,
                                                 HangardDomain   *domain,
                                                 GError         **error);

/* Lists every active pool's directory again (after files were removed). */
void            hangard_storage_refresh_all     (HangardStorage  *self);

G_END_DECLS
