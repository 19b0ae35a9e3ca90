/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-qemu-sandbox"

#include "hangard-qemu-sandbox.h"
#include "hangard-cgroup.h"
#include "hangard-error.h"
#include "hangard-qemu-files.h"
#include "hangard-qemu-user.h"

#include <glib/gi18n-lib.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* What QEMU's environment holds besides its directory and user. */
#define QEMU_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct _HangardQemuSandbox
{
  GObject           parent_instance;

  HangardHost      *host;
  char             *uuid;
  char             *name;

  HangardQemuUser  *user;        /* NULL: QEMU runs as the engine's user */
  HangardQemuFiles *files;
  HangardCgroup    *cgroup;
  gboolean          cgroup_made; /* the engine made it (no systemd) and enters it */
  gboolean          spawned;     /* QEMU runs: what prepare made stays for it */
  char             *directory;
  GStrv             envp;
  GPtrArray        *notes;       /* char*, NULL-terminated */
};

G_DEFINE_FINAL_TYPE (HangardQemuSandbox, hangard_qemu_sandbox, G_TYPE_OBJECT)

static void
note (HangardQemuSandbox *self,
      const char         *format,
      ...) G_GNUC_PRINTF (2, 3);

static void
note (HangardQemuSandbox *self,
      const char         *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_insert (self->notes, (int) self->notes->len - 1, g_strdup_vprintf (format, args));
  va_end (args);
}

/* Removes what a previous QEMU may have left in its directory. One level
 * only, and never following a link: the directory belongs to the QEMU user. */
static void
empty_directory (const char *path)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *dir;
  struct dirent *entry;

  if (fd < 0)
    return;
  dir = fdopendir (fd);
  if (dir == NULL)
    {
      close (fd);
      return;
    }
  while ((entry = readdir (dir)) != NULL)
    {
      if (g_str_equal (entry->d_name, ".") || g_str_equal (entry->d_name, ".."))
        continue;
      if (unlinkat (dirfd (dir), entry->d_name, 0) != 0 &&
          unlinkat (dirfd (dir), entry->d_name, AT_REMOVEDIR) != 0)
        g_debug ("Cannot remove %s/%s: %s", path, entry->d_name, g_strerror (errno));
    }
  closedir (dir);
}

static gboolean
make_directory (HangardQemuSandbox  *self,
                GError             **error)
{
  const char *base = hangard_host_get_qemu_private_dir (self->host);

  /* 0711: the QEMU user reaches its own directory, lists none. */
  if (g_mkdir_with_parents (base, 0711) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot create %s: %s"),
                   base, g_strerror (saved_errno));
      return FALSE;
    }
  self->directory = g_build_filename (base, self->uuid, NULL);
  if (self->user != NULL)
    {
      if (!hangard_qemu_user_make_private_dir (self->user, self->directory, error))
        return FALSE;
    }
  else if (g_mkdir_with_parents (self->directory, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot create %s: %s"),
                   self->directory, g_strerror (saved_errno));
      return FALSE;
    }
  empty_directory (self->directory);
  return TRUE;
}

static void
make_environ (HangardQemuSandbox *self)
{
  const char *user = self->user != NULL ? hangard_qemu_user_get_name (self->user) : g_get_user_name ();

  self->envp = g_new0 (char *, 6);
  self->envp[0] = g_strdup (QEMU_PATH);
  self->envp[1] = g_strconcat ("HOME=", self->directory, NULL);
  self->envp[2] = g_strconcat ("TMPDIR=", self->directory, NULL);
  self->envp[3] = g_strconcat ("USER=", user, NULL);
  self->envp[4] = g_strconcat ("LOGNAME=", user, NULL);
}

static void
make_cgroup (HangardQemuSandbox  *self,
             const HangardDomain *domain)
{
  HangardCgroupLimits limits;
  g_autoptr(GError) error = NULL;
  const char * const *warnings;

  hangard_cgroup_limits_from_domain (domain, &limits);
  self->cgroup = hangard_cgroup_new (self->uuid, self->name, &limits);

  /* Under systemd the scope is asked for once QEMU has a pid. */
  if (hangard_host_get_systemd (self->host) != NULL)
    return;

  if (!hangard_cgroup_create (self->cgroup, &error))
    {
      g_warning ("%s: %s", self->name, error->message);
      note (self, "%s", error->message);
      return;
    }
  self->cgroup_made = TRUE;
  note (self, "cgroup %s", hangard_cgroup_get_path (self->cgroup));
  warnings = hangard_cgroup_get_warnings (self->cgroup);
  for (guint i = 0; warnings[i] != NULL; i++)
    {
      g_warning ("%s: %s", self->name, warnings[i]);
      note (self, "%s", warnings[i]);
    }
}

gboolean
hangard_qemu_sandbox_prepare (HangardQemuSandbox   *self,
                              const HangardDomain  *domain,
                              const char           *console_log_path,
                              int                   first_child_fd,
                              GError              **error)
{
  g_return_val_if_fail (HANGARD_IS_QEMU_SANDBOX (self), FALSE);
  g_return_val_if_fail (self->files == NULL, FALSE);

  /* Only root can switch users; a system engine on a test tree run by an
   * ordinary user runs QEMU as that user, confined otherwise alike. */
  if (geteuid () == 0)
    {
      self->user = hangard_qemu_user_lookup (hangard_host_get_qemu_user (self->host), error);
      if (self->user == NULL)
        return FALSE;
      note (self, "QEMU runs as %s (uid %u, gid %u)", hangard_qemu_user_get_name (self->user),
            (guint) hangard_qemu_user_get_uid (self->user),
            (guint) hangard_qemu_user_get_gid (self->user));
    }
  else
    note (self, "QEMU runs as the engine's user %s: only a root engine switches to %s",
          g_get_user_name (), hangard_host_get_qemu_user (self->host));

  if (!make_directory (self, error))
    return FALSE;
  make_environ (self);

  self->files = hangard_qemu_files_new (first_child_fd, self->user);
  if (!hangard_qemu_files_open_domain (self->files, domain, error))
    return FALSE;
  if (domain->has_serial && console_log_path != NULL &&
      !hangard_qemu_files_open_console_log (self->files, console_log_path, error))
    {
      g_prefix_error (error, _("The serial console’s log: "));
      return FALSE;
    }

  make_cgroup (self, domain);
  return TRUE;
}

void
hangard_qemu_sandbox_fill_run (HangardQemuSandbox *self,
                               HangardQemuRun     *run)
{
  g_return_if_fail (HANGARD_IS_QEMU_SANDBOX (self));
  g_return_if_fail (self->files != NULL);

  hangard_qemu_files_fill_run (self->files, run);
  run->pid_file = NULL;
}

guint
hangard_qemu_sandbox_get_n_fds (HangardQemuSandbox *self)
{
  g_return_val_if_fail (HANGARD_IS_QEMU_SANDBOX (self), 0);
  return self->files != NULL ? hangard_qemu_files_get_n_fds (self->files) : 0;
}

int
hangard_qemu_sandbox_get_fd (HangardQemuSandbox *self,
                             guint               index,
                             int                *child_fd)
{
  g_return_val_if_fail (HANGARD_IS_QEMU_SANDBOX (self), -1);
  g_return_val_if_fail (self->files != NULL, -1);
  return hangard_qemu_files_get_fd (self->files, index, child_fd);
}

const char *
hangard_qemu_sandbox_get_directory (HangardQemuSandbox *self)
{
  g_return_val_if_fail (HANGARD_IS_QEMU_SANDBOX (self), NULL);
  return self->directory;
}

const char * const *
hangard_qemu_sandbox_get_environ (HangardQemuSandbox *self)
{
  g_return_val_if_fail (HANGARD_IS_QEMU_SANDBOX (self), NULL);
  return (const char * const *) self->envp;
}

const char * const *
hangard_qemu_sandbox_get_notes (HangardQemuSandbox *self)
{
  g_return_val_if_fail (HANGARD_IS_QEMU_SANDBOX (self), NULL);
  return (const char * const *) self->notes->pdata;
}

void
hangard_qemu_sandbox_child_setup (HangardQemuSandbox *self)
{
  /* The cgroup first: entering it needs the engine's privileges. */
  if (self->cgroup_made)
    hangard_cgroup_enter (self->cgroup);
  if (self->user != NULL)
    hangard_qemu_user_become (self->user);
}

static void
on_scope_started (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autofree char *name = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *unit = hangard_cgroup_start_scope_finish (HANGARD_CGROUP (source), result, &error);

  if (unit == NULL)
    g_warning ("%s: %s; the machine runs in the engine's own cgroup, without its limits",
               name, error->message);
  else
    g_message ("%s: QEMU runs in %s", name, unit);
}

void
hangard_qemu_sandbox_spawned (HangardQemuSandbox *self,
                              GPid                pid,
                              const char         *pid_file)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = g_strdup_printf ("%d\n", (int) pid);
  GDBusConnection *systemd;

  g_return_if_fail (HANGARD_IS_QEMU_SANDBOX (self));

  self->spawned = TRUE;
  if (self->files != NULL)
    hangard_qemu_files_close (self->files);

  /* A new engine finds the running QEMU by this file. */
  if (!g_file_set_contents_full (pid_file, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error))
    g_warning ("Cannot write the pid file: %s", error->message);

  systemd = hangard_host_get_systemd (self->host);
  if (systemd != NULL && self->cgroup != NULL)
    hangard_cgroup_start_scope_async (self->cgroup, systemd, pid, NULL, on_scope_started,
                                      g_strdup (self->name));
}

GStrv
hangard_qemu_sandbox_dup_cgroup_dirs (HangardQemuSandbox *self)
{
  g_return_val_if_fail (HANGARD_IS_QEMU_SANDBOX (self), NULL);

  if (!self->cgroup_made)
    return g_new0 (char *, 1);
  return hangard_cgroup_dup_dirs (self->cgroup);
}

void
hangard_qemu_sandbox_remove (const char         *directory,
                             const char * const *cgroup_dirs)
{
  for (guint i = 0; cgroup_dirs != NULL && cgroup_dirs[i] != NULL; i++)
    if (g_rmdir (cgroup_dirs[i]) != 0 && errno != ENOENT)
      g_debug ("Cannot remove %s: %s", cgroup_dirs[i], g_strerror (errno));
  if (directory != NULL)
    {
      empty_directory (directory);
      if (g_rmdir (directory) != 0 && errno != ENOENT)
        g_debug ("Cannot remove %s: %s", directory, g_strerror (errno));
    }
}

void
hangard_qemu_sandbox_abandon (HangardQemuSandbox *self)
{
  g_return_if_fail (HANGARD_IS_QEMU_SANDBOX (self));

  if (self->files != NULL)
    hangard_qemu_files_close (self->files);
  if (self->cgroup_made)
    hangard_cgroup_remove (self->cgroup);
  self->cgroup_made = FALSE;
  hangard_qemu_sandbox_remove (self->directory, NULL);
}

/* ---- Object ------------------------------------------------------------------ */

HangardQemuSandbox *
hangard_qemu_sandbox_new (HangardHost *host,
                          const char  *uuid,
                          const char  *name)
{
  HangardQemuSandbox *self;

  g_return_val_if_fail (HANGARD_IS_HOST (host), NULL);
  g_return_val_if_fail (uuid != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (!hangard_host_confines_qemu (host))
    return NULL;

  self = g_object_new (HANGARD_TYPE_QEMU_SANDBOX, NULL);
  self->host = g_object_ref (host);
  self->uuid = g_strdup (uuid);
  self->name = g_strdup (name);
  return self;
}

static void
hangard_qemu_sandbox_finalize (GObject *object)
{
  HangardQemuSandbox *self = HANGARD_QEMU_SANDBOX (object);

  /* Dropped before QEMU started: nothing it made may stay behind. */
  if (!self->spawned)
    hangard_qemu_sandbox_abandon (self);

  g_clear_object (&self->host);
  g_clear_object (&self->user);
  g_clear_object (&self->files);
  g_clear_object (&self->cgroup);
  g_free (self->uuid);
  g_free (self->name);
  g_free (self->directory);
  g_strfreev (self->envp);
  g_ptr_array_unref (self->notes);

  G_OBJECT_CLASS (hangard_qemu_sandbox_parent_class)->finalize (object);
}

static void
hangard_qemu_sandbox_class_init (HangardQemuSandboxClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hangard_qemu_sandbox_finalize;
}

static void
hangard_qemu_sandbox_init (HangardQemuSandbox *self)
{
  self->notes = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->notes, NULL);
}
