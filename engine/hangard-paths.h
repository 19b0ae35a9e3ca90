/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  HANGARD_MODE_SESSION,
  HANGARD_MODE_SYSTEM,
} HangardMode;

/* The one place that decides where the engine keeps things.
 *
 *                system mode              session mode
 *   config_dir   /etc/hangar              $XDG_CONFIG_HOME/hangar
 *   data_dir     /var/lib/hangar          $XDG_DATA_HOME/hangar
 *   runtime_dir  /run/hangar              $XDG_RUNTIME_DIR/hangar
 *   log_dir      /var/log/hangar          $XDG_STATE_HOME/hangar/log
 *
 * With a root (`--root DIR`) every one of them moves under DIR, keeping the
 * system layout for system mode and using DIR/{config,data,run,log} for
 * session mode, so tests can run either mode in a temporary tree. */
typedef struct {
  HangardMode mode;
  char       *config_dir;
  char       *data_dir;
  char       *runtime_dir;
  char       *log_dir;

  char       *machines_dir;   /* config_dir/machines: <uuid>.xml definitions */
  char       *autostart_dir;  /* config_dir/autostart: one empty <uuid> file per machine */
  char       *pools_dir;      /* config_dir/pools: <uuid>.xml pool definitions */
  char       *pool_autostart_dir; /* config_dir/pools/autostart: one empty <uuid> file per pool */
  char       *images_dir;     /* data_dir/images: the default pool */
  char       *vm_runtime_dir; /* runtime_dir/machines: QMP and serial sockets, pid and state files */
} HangardPaths;

HangardPaths *hangard_paths_new        (HangardMode    mode,
                                        const char    *root);
/* Creates every directory (0700 in session mode, 0755/0700 in system mode). */
gboolean      hangard_paths_ensure     (HangardPaths  *paths,
                                        GError       **error);
void          hangard_paths_free       (HangardPaths  *paths);
const char   *hangard_mode_to_string   (HangardMode    mode);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangardPaths, hangard_paths_free)

G_END_DECLS
