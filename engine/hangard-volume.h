/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hangar-dbus.h"
#include "hangard-daemon.h"

G_BEGIN_DECLS

/* What a pool knows of one file, read from its header without running
 * anything (a pool of 1000 images lists in milliseconds). */
typedef struct {
  char    *format;          /* "qcow2", "raw" or "iso" */
  guint64  capacity;        /* virtual size */
  guint64  allocation;      /* bytes used on disk */
  char    *backing_path;    /* absolute, or NULL */
} HangardVolumeInfo;

void     hangard_volume_info_clear (HangardVolumeInfo *info);
/* Reads `name` in the directory `dir_fd` without following a symlink.
 * FALSE (no error) for anything that is not a regular file. */
gboolean hangard_volume_info_probe (int                dir_fd,
                                    const char        *dir_path,
                                    const char        *name,
                                    HangardVolumeInfo *info);

typedef struct _HangardPool HangardPool;

/* io.github.hangarvm.Hangar1.Volume: one file in an active pool. */
#define HANGARD_TYPE_VOLUME (hangard_volume_get_type ())
G_DECLARE_FINAL_TYPE (HangardVolume, hangard_volume, HANGARD, VOLUME, HangarVolumeSkeleton)

/* Takes the contents of `info`. */
HangardVolume *hangard_volume_new            (HangardDaemon     *daemon,
                                              HangardPool       *pool,
                                              const char        *name,
                                              HangardVolumeInfo *info);
const char    *hangard_volume_get_object_path (HangardVolume    *self);
/* Replaces what is known of the file (after a resize or a refresh). */
void           hangard_volume_update         (HangardVolume     *self,
                                              HangardVolumeInfo *info);
/* The pool is going away or stopping: forget it. */
void           hangard_volume_detach         (HangardVolume     *self);

/* "<pool path>/volumes/<name with bytes outside [A-Za-z0-9] as _XX>" */
char          *hangard_volume_path_for_name  (const char        *pool_path,
                                              const char        *name);

G_END_DECLS
