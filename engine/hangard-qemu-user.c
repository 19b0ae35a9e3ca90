/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-qemu-user"

#include "hangard-qemu-user.h"
#include "hangard-error.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

/* The primary group and kvm: all QEMU needs. */
#define MAX_GROUPS 2

struct _HangardQemuUser
{
  GObject  parent_instance;

  char    *name;
  uid_t    uid;
  gid_t    gid;
  gid_t    groups[MAX_GROUPS];
  int      n_groups;
};

G_DEFINE_FINAL_TYPE (HangardQemuUser, hangard_qemu_user, G_TYPE_OBJECT)

static void
hangard_qemu_user_finalize (GObject *object)
{
  HangardQemuUser *self = HANGARD_QEMU_USER (object);

  g_free (self->name);

  G_OBJECT_CLASS (hangard_qemu_user_parent_class)->finalize (object);
}

static void
hangard_qemu_user_class_init (HangardQemuUserClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hangard_qemu_user_finalize;
}

static void
hangard_qemu_user_init (HangardQemuUser *self)
{
}

static long
buffer_size (int name)
{
  long size = sysconf (name);

  return size > 0 ? size : 16384;
}

/* The host's kvm group (owner of /dev/kvm on Debian and with udev's
 * rules), or FALSE when there is none. */
static gboolean
lookup_kvm_group (gid_t *gid)
{
  g_autofree char *buffer = NULL;
  long size = buffer_size (_SC_GETGR_R_SIZE_MAX);
  struct group group, *found = NULL;

  for (;;)
    {
      int status;

      buffer = g_realloc (buffer, size);
      status = getgrnam_r ("kvm", &group, buffer, size, &found);
      if (status == ERANGE && size < 1024 * 1024)
        {
          size *= 2;
          continue;
        }
      if (status != 0 || found == NULL)
        return FALSE;
      *gid = found->gr_gid;
      return TRUE;
    }
}

HangardQemuUser *
hangard_qemu_user_lookup (const char  *name,
                          GError     **error)
{
  g_autoptr(HangardQemuUser) self = NULL;
  g_autofree char *buffer = NULL;
  long size = buffer_size (_SC_GETPW_R_SIZE_MAX);
  struct passwd passwd, *found = NULL;
  int status;
  gid_t kvm;

  g_return_val_if_fail (name != NULL, NULL);

  for (;;)
    {
      buffer = g_realloc (buffer, size);
      status = getpwnam_r (name, &passwd, buffer, size, &found);
      if (status == ERANGE && size < 1024 * 1024)
        {
          size *= 2;
          continue;
        }
      break;
    }

  if (found == NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                   _("The system engine runs QEMU as the user “%s”, which does not exist: "
                     "create it with systemd-sysusers (Hangar installs its sysusers.d entry) "
                     "or with “useradd --system --no-create-home --shell /usr/sbin/nologin %s”, "
                     "or name another unprivileged user with hangard --qemu-user"),
                   name, name);
      return NULL;
    }
  if (found->pw_uid == 0 || found->pw_gid == 0)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                   _("The system engine will not run QEMU as “%s”: that user or its group "
                     "is root; name an unprivileged user with hangard --qemu-user"),
                   name);
      return NULL;
    }

  self = g_object_new (HANGARD_TYPE_QEMU_USER, NULL);
  self->name = g_strdup (name);
  self->uid = found->pw_uid;
  self->gid = found->pw_gid;
  self->groups[self->n_groups++] = found->pw_gid;
  /* Only /dev/kvm: no other supplementary group of the user (it is
   * meant to have none) reaches QEMU. */
  if (lookup_kvm_group (&kvm) && kvm != found->pw_gid && kvm != 0)
    self->groups[self->n_groups++] = kvm;

  return g_steal_pointer (&self);
}

const char *
hangard_qemu_user_get_name (HangardQemuUser *self)
{
  g_return_val_if_fail (HANGARD_IS_QEMU_USER (self), NULL);
  return self->name;
}

uid_t
hangard_qemu_user_get_uid (HangardQemuUser *self)
{
  g_return_val_if_fail (HANGARD_IS_QEMU_USER (self), (uid_t) -1);
  return self->uid;
}

gid_t
hangard_qemu_user_get_gid (HangardQemuUser *self)
{
  g_return_val_if_fail (HANGARD_IS_QEMU_USER (self), (gid_t) -1);
  return self->gid;
}

gboolean
hangard_qemu_user_can_read (HangardQemuUser   *self,
                            const struct stat *st)
{
  g_return_val_if_fail (HANGARD_IS_QEMU_USER (self), FALSE);

  /* The kernel checks owner, then group, then others: the first class
   * that applies decides, even if a later one would allow more. */
  if (st->st_uid == self->uid)
    return (st->st_mode & S_IRUSR) != 0;
  for (int i = 0; i < self->n_groups; i++)
    if (st->st_gid == self->groups[i])
      return (st->st_mode & S_IRGRP) != 0;
  return (st->st_mode & S_IROTH) != 0;
}

gboolean
hangard_qemu_user_make_private_dir (HangardQemuUser  *self,
                                    const char       *path,
                                    GError          **error)
{
  int fd;
  struct stat st;

  g_return_val_if_fail (HANGARD_IS_QEMU_USER (self), FALSE);

  if (mkdir (path, 0700) != 0 && errno != EEXIST)
    goto fail;
  /* O_NOFOLLOW: a symlink planted by the user's processes must not make
   * root chown something else. */
  fd = open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    goto fail;
  if (fstat (fd, &st) != 0 || fchown (fd, self->uid, self->gid) != 0 || fchmod (fd, 0700) != 0)
    {
      int saved_errno = errno;
      close (fd);
      errno = saved_errno;
      goto fail;
    }
  close (fd);
  return TRUE;

fail:
  {
    int saved_errno = errno;
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                 _("Cannot prepare QEMU’s directory %s: %s"), path, g_strerror (saved_errno));
    return FALSE;
  }
}

static void
die_in_child (const char *what)
{
  static const char prefix[] = "hangard: cannot switch QEMU to its user: ";
  static const char middle[] = " failed, errno ";
  char number[16];
  int n = (int) sizeof number;
  int value = errno;

  /* write() and arithmetic only: this runs between fork and exec, where
   * strerror() and printf() are not safe. */
  number[--n] = '\n';
  do
    number[--n] = (char) ('0' + value % 10);
  while ((value /= 10) > 0 && n > 0);
  if (write (STDERR_FILENO, prefix, sizeof prefix - 1) < 0 ||
      write (STDERR_FILENO, what, strlen (what)) < 0 ||
      write (STDERR_FILENO, middle, sizeof middle - 1) < 0 ||
      write (STDERR_FILENO, number + n, sizeof number - (size_t) n) < 0)
    _exit (126);
  _exit (126);
}

void
hangard_qemu_user_become (HangardQemuUser *self)
{
  /* Groups first, then the gid, then the uid: each step needs the
   * privilege the next one gives up. */
  if (setgroups ((size_t) self->n_groups, self->groups) != 0)
    die_in_child ("setgroups");
  if (setresgid (self->gid, self->gid, self->gid) != 0)
    die_in_child ("setresgid");
  if (setresuid (self->uid, self->uid, self->uid) != 0)
    die_in_child ("setresuid");
  /* Getting root back must be impossible now. */
  if (setuid (0) == 0 || geteuid () != self->uid || getegid () != self->gid)
    {
      errno = EPERM;
      die_in_child ("check");
    }
}
