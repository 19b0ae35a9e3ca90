/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-paths"

#include "hangard-paths.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

static void
set_system_dirs (HangardPaths *paths,
                 const char   *root)
{
  const char *prefix = root ? root : "/";

  paths->config_dir = g_build_filename (prefix, "etc", "hangar", NULL);
  paths->data_dir = g_build_filename (prefix, "var", "lib", "hangar", NULL);
  paths->runtime_dir = g_build_filename (prefix, "run", "hangar", NULL);
  paths->log_dir = g_build_filename (prefix, "var", "log", "hangar", NULL);
}

static void
set_session_dirs (HangardPaths *paths,
                  const char   *root)
{
  if (root != NULL)
    {
      paths->config_dir = g_build_filename (root, "config", NULL);
      paths->data_dir = g_build_filename (root, "data", NULL);
      paths->runtime_dir = g_build_filename (root, "run", NULL);
      paths->log_dir = g_build_filename (root, "log", NULL);
      return;
    }

  paths->config_dir = g_build_filename (g_get_user_config_dir (), "hangar", NULL);
  paths->data_dir = g_build_filename (g_get_user_data_dir (), "hangar", NULL);
  /* Without XDG_RUNTIME_DIR GLib falls back to the cache dir, which still
   * survives an engine restart: that is all the runtime dir needs. */
  paths->runtime_dir = g_build_filename (g_get_user_runtime_dir (), "hangar", NULL);
  paths->log_dir = g_build_filename (g_get_user_state_dir (), "hangar", "log", NULL);
}

HangardPaths *
hangard_paths_new (HangardMode  mode,
                   const char  *root)
{
  HangardPaths *paths = g_new0 (HangardPaths, 1);

  paths->mode = mode;
  if (mode == HANGARD_MODE_SYSTEM)
    set_system_dirs (paths, root);
  else
    set_session_dirs (paths, root);

  paths->machines_dir = g_build_filename (paths->config_dir, "machines", NULL);
  paths->autostart_dir = g_build_filename (paths->config_dir, "autostart", NULL);
  paths->pools_dir = g_build_filename (paths->config_dir, "pools", NULL);
  paths->pool_autostart_dir = g_build_filename (paths->pools_dir, "autostart", NULL);
  paths->images_dir = g_build_filename (paths->data_dir, "images", NULL);
  paths->vm_runtime_dir = g_build_filename (paths->runtime_dir, "machines", NULL);

  return paths;
}

static gboolean
ensure_dir (const char  *path,
            int          mode,
            GError     **error)
{
  if (g_mkdir_with_parents (path, mode) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot create directory %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

gboolean
hangard_paths_ensure (HangardPaths  *paths,
                      GError       **error)
{
  /* Definitions and sockets are private to the engine's user; images are
   * readable by others in system mode, where QEMU runs as its own user. */
  int private_mode = 0700;
  int shared_mode = paths->mode == HANGARD_MODE_SYSTEM ? 0755 : 0700;

  return ensure_dir (paths->machines_dir, private_mode, error) &&
         ensure_dir (paths->autostart_dir, private_mode, error) &&
         ensure_dir (paths->pool_autostart_dir, private_mode, error) &&
         ensure_dir (paths->images_dir, shared_mode, error) &&
         ensure_dir (paths->vm_runtime_dir, private_mode, error) &&
         ensure_dir (paths->log_dir, private_mode, error);
}

void
hangard_paths_free (HangardPaths *paths)
{
  if (paths == NULL)
    return;

  g_free (paths->config_dir);
  g_free (paths->data_dir);
  g_free (paths->runtime_dir);
  g_free (paths->log_dir);
  g_free (paths->machines_dir);
  g_free (paths->autostart_dir);
  g_free (paths->pools_dir);
  g_free (paths->pool_autostart_dir);
  g_free (paths->images_dir);
  g_free (paths->vm_runtime_dir);
  g_free (paths);
}

const char *
hangard_mode_to_string (HangardMode mode)
{
  return mode == HANGARD_MODE_SYSTEM ? "system" : "session";
}
