/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-qemu-files"

#include "hangard-qemu-files.h"
#include "hangard-error.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* qcow2's header (docs/interop/qcow2.txt in QEMU's sources). */
#define QCOW2_MAGIC                   0x514649fbu  /* "QFI\xfb" */
#define QCOW2_V2_HEADER_LENGTH        72
#define QCOW2_EXT_END                 0x00000000u
#define QCOW2_EXT_BACKING_FORMAT      0xe2792acau
#define QCOW2_EXT_DATA_FILE           0x44415441u
#define QCOW2_INCOMPAT_DATA_FILE      (G_GUINT64_CONSTANT (1) << 2)
#define QCOW2_MAX_BACKING_NAME        1023
/* Header extensions live in the first cluster; this much of it is read. */
#define QCOW2_HEADER_READ             65536
/* memfd copies of the kernel and initrd are written in pieces this big. */
#define COPY_BUFFER_SIZE              65536

typedef struct {
  int fd;         /* the engine's descriptor */
  int child_fd;   /* its number in QEMU */
} PassedFd;

struct _HangardQemuFiles
{
  GObject          parent_instance;

  HangardQemuUser *user;
  int              next_child_fd;
  guint            next_set;

  GArray          *fds;            /* PassedFd */
  GArray          *add_fds;        /* HangardQemuAddFd */
  GArray          *disk_files;     /* HangardQemuDiskFiles, one per disk */
  GPtrArray       *image_chains;   /* GArray of HangardQemuImage, owned, per disk */
  GPtrArray       *strings;        /* strings the arrays above point to */
  GPtrArray       *paths;          /* char*, NULL-terminated */

  char            *kernel_path;    /* /proc/self/fd/N, or NULL */
  char            *initrd_path;
  char            *console_log_name;  /* /dev/fdset/N, or NULL */
};

G_DEFINE_FINAL_TYPE (HangardQemuFiles, hangard_qemu_files, G_TYPE_OBJECT)

/* ---- Bookkeeping ------------------------------------------------------------- */

static const char *
keep_string (HangardQemuFiles *self,
             char             *string)
{
  g_ptr_array_add (self->strings, string);
  return string;
}

static void
add_path (HangardQemuFiles *self,
          const char       *path)
{
  g_ptr_array_insert (self->paths, (int) self->paths->len - 1, g_strdup (path));
}

/* Takes `fd`; returns the number QEMU will have it at. */
static int
take_fd (HangardQemuFiles *self,
         int               fd)
{
  PassedFd passed = { fd, self->next_child_fd++ };

  g_array_append_val (self->fds, passed);
  return passed.child_fd;
}

/* Takes `fd` into a new fd set of its own; returns the set's id. */
static guint
take_fd_as_set (HangardQemuFiles *self,
                int               fd,
                char             *opaque)
{
  HangardQemuAddFd add = {
    .fd = take_fd (self, fd),
    .set = self->next_set++,
    .opaque = keep_string (self, opaque),
  };

  g_array_append_val (self->add_fds, add);
  return add.set;
}

/* ---- Opening ----------------------------------------------------------------- */

/* A regular file, opened with `flags` (O_RDONLY, O_RDWR...); O_NONBLOCK
 * during the open keeps a FIFO from blocking the engine before it is
 * refused. */
static int
open_regular (const char   *path,
              int           flags,
              mode_t        create_mode,
              struct stat  *st,
              GError      **error)
{
  int fd = open (path, flags | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, create_mode);
  int status_flags;

  if (fd < 0)
    {
      int saved_errno = errno;

      if (saved_errno == ENOENT)
        g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND, _("%s does not exist"), path);
      else
        g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot open %s: %s"),
                     path, g_strerror (saved_errno));
      return -1;
    }
  if (fstat (fd, st) != 0 || !S_ISREG (st->st_mode))
    {
      close (fd);
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   _("%s is not a regular file"), path);
      return -1;
    }
  status_flags = fcntl (fd, F_GETFL);
  if (status_flags < 0 || fcntl (fd, F_SETFL, status_flags & ~O_NONBLOCK) != 0)
    {
      int saved_errno = errno;
      close (fd);
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot open %s: %s"),
                   path, g_strerror (saved_errno));
      return -1;
    }
  return fd;
}

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static guint64
read_be64 (const guint8 *p)
{
  return ((guint64) read_be32 (p) << 32) | read_be32 (p + 4);
}

static gboolean
read_at (int          fd,
         void        *buffer,
         gsize        size,
         goffset      offset,
         gsize       *got)
{
  gsize total = 0;

  while (total < size)
    {
      ssize_t n = pread (fd, (char *) buffer + total, size - total, offset + (goffset) total);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      if (n == 0)
        break;
      total += (gsize) n;
    }
  *got = total;
  return TRUE;
}

/* What a qcow2 image names as its backing file, read from the very
 * descriptor QEMU gets. *backing is NULL for an image without one. */
static gboolean
read_qcow2_backing (int          fd,
                    const char  *path,
                    char       **backing,
                    char       **backing_format,
                    GError     **error)
{
  g_autofree guint8 *header = g_malloc (QCOW2_HEADER_READ);
  gsize length = 0;
  guint32 version, backing_size;
  guint64 backing_offset;
  gsize extensions, limit;

  *backing = NULL;
  *backing_format = NULL;

  if (!read_at (fd, header, QCOW2_HEADER_READ, 0, &length))
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot read %s: %s"),
                   path, g_strerror (saved_errno));
      return FALSE;
    }
  /* Not qcow2 at all: QEMU's qcow2 driver refuses it with its own words. */
  if (length < QCOW2_V2_HEADER_LENGTH || read_be32 (header) != QCOW2_MAGIC)
    return TRUE;

  version = read_be32 (header + 4);
  backing_offset = read_be64 (header + 8);
  backing_size = read_be32 (header + 16);
  extensions = QCOW2_V2_HEADER_LENGTH;
  if (version >= 3)
    {
      if (length < 104)
        return TRUE;
      if (read_be64 (header + 72) & QCOW2_INCOMPAT_DATA_FILE)
        goto data_file;
      extensions = read_be32 (header + 100);
    }

  /* The extensions end before the backing file name, if any. */
  limit = length;
  if (backing_offset > extensions && backing_offset < limit)
    limit = (gsize) backing_offset;
  while (extensions + 8 <= limit)
    {
      guint32 type = read_be32 (header + extensions);
      guint32 size = read_be32 (header + extensions + 4);

      if (type == QCOW2_EXT_END || size > limit - extensions - 8)
        break;
      if (type == QCOW2_EXT_DATA_FILE)
        goto data_file;
      if (type == QCOW2_EXT_BACKING_FORMAT)
        {
          g_free (*backing_format);
          *backing_format = g_strndup ((const char *) header + extensions + 8, size);
        }
      extensions += 8 + (((gsize) size + 7) & ~(gsize) 7);
    }

  if (backing_offset != 0 && backing_size > 0)
    {
      g_autofree char *name = g_malloc0 (QCOW2_MAX_BACKING_NAME + 1);
      gsize got = 0;

      if (backing_size > QCOW2_MAX_BACKING_NAME ||
          !read_at (fd, name, backing_size, (goffset) backing_offset, &got) || got != backing_size ||
          memchr (name, '\0', backing_size) != NULL)
        {
          g_clear_pointer (backing_format, g_free);
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       _("%s names its backing file in a way Hangar cannot read"), path);
          return FALSE;
        }
      *backing = g_steal_pointer (&name);
    }
  return TRUE;

data_file:
  g_clear_pointer (backing_format, g_free);
  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
               _("%s keeps its data in an external data file, which Hangar cannot hand to QEMU"),
               path);
  return FALSE;
}

/* The backing file's path as QEMU would find it: relative names are
 * relative to the overlay's directory. Protocols (nbd:, json:...) are not
 * files the engine can open. */
static char *
resolve_backing (const char  *overlay,
                 const char  *backing,
                 GError     **error)
{
  g_autofree char *dir = NULL;
  const char *colon = strchr (backing, ':');
  const char *slash = strchr (backing, '/');

  if (!g_utf8_validate (backing, -1, NULL) ||
      (!g_path_is_absolute (backing) && colon != NULL && (slash == NULL || colon < slash)))
    {
      g_autofree char *shown = g_utf8_make_valid (backing, -1);
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   _("The backing file of %s, “%s”, is not a local file"), overlay, shown);
      return NULL;
    }
  if (g_path_is_absolute (backing))
    return g_strdup (backing);
  dir = g_path_get_dirname (overlay);
  return g_build_filename (dir, backing, NULL);
}

static gboolean
seen_before (GHashTable        *seen,
             const struct stat *st)
{
  g_autofree char *key = g_strdup_printf ("%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT,
                                          (guint64) st->st_dev, (guint64) st->st_ino);

  return !g_hash_table_add (seen, g_steal_pointer (&key));
}

/* One disk: its image and every backing file, each as an fd set. */
static gboolean
open_disk (HangardQemuFiles     *self,
           const HangardDiskDef *disk,
           GError              **error)
{
  g_autoptr(GArray) chain = g_array_new (FALSE, TRUE, sizeof (HangardQemuImage));
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *path = g_strdup (disk->source_file);
  g_autofree char *format = g_strdup (hangard_disk_format_to_string (disk->format));
  gboolean writable = !disk->readonly && disk->device != HANGARD_DISK_DEVICE_CDROM;
  HangardQemuDiskFiles files;

  while (path != NULL)
    {
      g_autofree char *backing = NULL;
      g_autofree char *backing_format = NULL;
      HangardQemuImage image;
      struct stat st;
      guint level = chain->len;
      int fd;

      fd = open_regular (path, writable && level == 0 ? O_RDWR : O_RDONLY, 0, &st, error);
      if (fd < 0)
        return FALSE;
      if (seen_before (seen, &st))
        {
          close (fd);
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       _("The backing chain of %s comes back to %s"), disk->source_file, path);
          return FALSE;
        }
      if (g_str_equal (format, "qcow2") && !read_qcow2_backing (fd, path, &backing, &backing_format, error))
        {
          close (fd);
          return FALSE;
        }

      add_path (self, path);
      image.format = keep_string (self, g_steal_pointer (&format));
      image.fdset = take_fd_as_set (self, fd, level == 0 ? g_strdup (disk->target_dev)
                                                      : g_strdup_printf ("%s-backing-%u", disk->target_dev, level));
      g_array_append_val (chain, image);

      if (backing == NULL)
        break;

      /* QEMU would probe an unstated format, and a raw image that looks
       * like qcow2 could then name any host file as its backing file. */
      if (backing_format == NULL)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       _("%s has a backing file (%s) without a recorded format; Hangar never "
                         "lets QEMU guess one: record it with “qemu-img rebase -u -b %s -F qcow2 %s” "
                         "(or -F raw)"), path, backing, backing, path);
          return FALSE;
        }
      if (!g_str_equal (backing_format, "qcow2") && !g_str_equal (backing_format, "raw"))
        {
          g_autofree char *shown = g_utf8_make_valid (backing_format, -1);
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       _("The backing file of %s is in the %s format; Hangar runs qcow2 and raw images"),
                       path, shown);
          return FALSE;
        }
      if (chain->len >= HANGARD_QEMU_FILES_MAX_CHAIN)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       _("The backing chain of %s is longer than %d images"),
                       disk->source_file, HANGARD_QEMU_FILES_MAX_CHAIN);
          return FALSE;
        }

      {
        char *next = resolve_backing (path, backing, error);

        if (next == NULL)
          return FALSE;
        g_free (path);
        path = next;
      }
      g_free (format);
      format = g_steal_pointer (&backing_format);
    }

  files.images = (const HangardQemuImage *) chain->data;
  files.n_images = chain->len;
  g_array_append_val (self->disk_files, files);
  g_ptr_array_add (self->image_chains, g_steal_pointer (&chain));
  return TRUE;
}

/* A sealed in-memory copy of `fd`'s file: any user may reopen it through
 * /proc/self/fd, nobody may change it. */
static int
copy_to_memfd (int          fd,
               const char  *path,
               GError     **error)
{
  g_autofree char *buffer = g_malloc (COPY_BUFFER_SIZE);
  g_autofree char *name = g_path_get_basename (path);
  int memfd = memfd_create (name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

  if (memfd < 0)
    goto fail;
  for (;;)
    {
      ssize_t n = read (fd, buffer, COPY_BUFFER_SIZE);
      ssize_t done = 0;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        goto fail;
      if (n == 0)
        break;
      while (done < n)
        {
          ssize_t w = write (memfd, buffer + done, (size_t) (n - done));

          if (w < 0 && errno == EINTR)
            continue;
          if (w < 0)
            goto fail;
          done += w;
        }
    }
  if (fcntl (memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
    goto fail;
  return memfd;

fail:
  {
    int saved_errno = errno;
    if (memfd >= 0)
      close (memfd);
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot copy %s for QEMU: %s"),
                 path, g_strerror (saved_errno));
    return -1;
  }
}

/* The kernel or initrd: a path QEMU opens with fopen(). */
static char *
open_boot_file (HangardQemuFiles  *self,
                const char        *path,
                GError           **error)
{
  struct stat st;
  int fd = open_regular (path, O_RDONLY, 0, &st, error);

  if (fd < 0)
    return NULL;
  if (self->user != NULL && !hangard_qemu_user_can_read (self->user, &st))
    {
      int memfd = copy_to_memfd (fd, path, error);

      close (fd);
      if (memfd < 0)
        return NULL;
      fd = memfd;
    }
  add_path (self, path);
  return g_strdup_printf ("/proc/self/fd/%d", take_fd (self, fd));
}

gboolean
hangard_qemu_files_open_domain (HangardQemuFiles     *self,
                                const HangardDomain  *domain,
                                GError              **error)
{
  g_return_val_if_fail (HANGARD_IS_QEMU_FILES (self), FALSE);
  g_return_val_if_fail (self->disk_files->len == 0, FALSE);

  for (guint i = 0; i < domain->disks->len; i++)
    {
      const HangardDiskDef *disk = g_ptr_array_index (domain->disks, i);

      if (disk->source_file == NULL)
        {
          /* An empty CD-ROM drive: a slot that keeps the indexes aligned. */
          HangardQemuDiskFiles none = { NULL, 0 };
          g_array_append_val (self->disk_files, none);
          continue;
        }
      if (!open_disk (self, disk, error))
        {
          g_prefix_error (error, _("Disk %s: "), disk->target_dev);
          return FALSE;
        }
    }

  if (domain->kernel != NULL)
    {
      self->kernel_path = open_boot_file (self, domain->kernel, error);
      if (self->kernel_path == NULL)
        return FALSE;
    }
  if (domain->initrd != NULL)
    {
      self->initrd_path = open_boot_file (self, domain->initrd, error);
      if (self->initrd_path == NULL)
        return FALSE;
    }
  return TRUE;
}

gboolean
hangard_qemu_files_open_console_log (HangardQemuFiles  *self,
                                     const char        *path,
                                     GError           **error)
{
  struct stat st;
  int fd;
  guint set;

  g_return_val_if_fail (HANGARD_IS_QEMU_FILES (self), FALSE);
  g_return_val_if_fail (self->console_log_name == NULL, FALSE);

  /* Write-only and appending, as QEMU's logappend=on opens it. */
  fd = open_regular (path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0600, &st, error);
  if (fd < 0)
    return FALSE;
  add_path (self, path);
  set = take_fd_as_set (self, fd, g_strdup ("console-log"));
  self->console_log_name = g_strdup_printf ("/dev/fdset/%u", set);
  return TRUE;
}

void
hangard_qemu_files_fill_run (HangardQemuFiles *self,
                             HangardQemuRun   *run)
{
  g_return_if_fail (HANGARD_IS_QEMU_FILES (self));

  run->add_fds = (const HangardQemuAddFd *) self->add_fds->data;
  run->n_add_fds = self->add_fds->len;
  run->disk_files = (const HangardQemuDiskFiles *) self->disk_files->data;
  run->n_disk_files = self->disk_files->len;
  run->kernel_path = self->kernel_path;
  run->initrd_path = self->initrd_path;
  if (self->console_log_name != NULL)
    run->serial_log_path = self->console_log_name;
}

guint
hangard_qemu_files_get_n_fds (HangardQemuFiles *self)
{
  g_return_val_if_fail (HANGARD_IS_QEMU_FILES (self), 0);
  return self->fds->len;
}

int
hangard_qemu_files_get_fd (HangardQemuFiles *self,
                           guint             index,
                           int              *child_fd)
{
  PassedFd *passed;

  g_return_val_if_fail (HANGARD_IS_QEMU_FILES (self), -1);
  g_return_val_if_fail (index < self->fds->len, -1);

  passed = &g_array_index (self->fds, PassedFd, index);
  if (child_fd != NULL)
    *child_fd = passed->child_fd;
  return passed->fd;
}

const char * const *
hangard_qemu_files_get_paths (HangardQemuFiles *self)
{
  g_return_val_if_fail (HANGARD_IS_QEMU_FILES (self), NULL);
  return (const char * const *) self->paths->pdata;
}

void
hangard_qemu_files_close (HangardQemuFiles *self)
{
  g_return_if_fail (HANGARD_IS_QEMU_FILES (self));

  for (guint i = 0; i < self->fds->len; i++)
    {
      PassedFd *passed = &g_array_index (self->fds, PassedFd, i);

      if (passed->fd >= 0)
        close (passed->fd);
      passed->fd = -1;
    }
}

/* ---- Object ------------------------------------------------------------------ */

HangardQemuFiles *
hangard_qemu_files_new (int              first_child_fd,
                        HangardQemuUser *user)
{
  HangardQemuFiles *self;

  g_return_val_if_fail (first_child_fd > 2, NULL);
  g_return_val_if_fail (user == NULL || HANGARD_IS_QEMU_USER (user), NULL);

  self = g_object_new (HANGARD_TYPE_QEMU_FILES, NULL);
  self->next_child_fd = first_child_fd;
  self->user = user != NULL ? g_object_ref (user) : NULL;
  return self;
}

static void
hangard_qemu_files_finalize (GObject *object)
{
  HangardQemuFiles *self = HANGARD_QEMU_FILES (object);

  hangard_qemu_files_close (self);
  g_clear_object (&self->user);
  g_array_unref (self->fds);
  g_array_unref (self->add_fds);
  g_array_unref (self->disk_files);
  g_ptr_array_unref (self->image_chains);
  g_ptr_array_unref (self->strings);
  g_ptr_array_unref (self->paths);
  g_free (self->kernel_path);
  g_free (self->initrd_path);
  g_free (self->console_log_name);

  G_OBJECT_CLASS (hangard_qemu_files_parent_class)->finalize (object);
}

static void
hangard_qemu_files_class_init (HangardQemuFilesClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hangard_qemu_files_finalize;
}

static void
hangard_qemu_files_init (HangardQemuFiles *self)
{
  self->next_set = 1;
  self->fds = g_array_new (FALSE, TRUE, sizeof (PassedFd));
  self->add_fds = g_array_new (FALSE, TRUE, sizeof (HangardQemuAddFd));
  self->disk_files = g_array_new (FALSE, TRUE, sizeof (HangardQemuDiskFiles));
  self->image_chains = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  self->strings = g_ptr_array_new_with_free_func (g_free);
  self->paths = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->paths, NULL);
}
