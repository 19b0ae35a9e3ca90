/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-qemu-img"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hangard-error.h"
#include "hangard-job.h"
#include "hangard-qemu-img.h"

/* The real qemu-img runs on files in a fresh directory per test. */

#define MiB (G_GUINT64_CONSTANT (1024) * 1024)
#define GiB (MiB * 1024)

typedef struct {
  char *dir;
} Fixture;

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("hangar-qemu-img-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data G_GNUC_UNUSED)
{
  remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static char *
path_in (Fixture    *fixture,
         const char *name)
{
  return g_build_filename (fixture->dir, name, NULL);
}

/* ---- Helpers -------------------------------------------------------------- */

static void
on_result (GObject      *source G_GNUC_UNUSED,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Spins the main context until the callback has stored the result. */
static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static HangardImageInfo *
info_sync (const char  *path,
           const char  *format,
           GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  hangard_qemu_img_info_async (path, format, NULL, on_result, &result);
  return hangard_qemu_img_info_finish (wait_for (&result), error);
}

static gboolean
create_sync (const char  *path,
             const char  *format,
             guint64      size,
             gboolean     preallocate,
             const char  *backing_path,
             const char  *backing_format,
             GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  hangard_qemu_img_create_async (path, format, size, preallocate, backing_path, backing_format,
                                 NULL, on_result, &result);
  return hangard_qemu_img_create_finish (wait_for (&result), error);
}

static gboolean
resize_sync (const char  *path,
             const char  *format,
             guint64      size,
             gboolean     shrink,
             GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  hangard_qemu_img_resize_async (path, format, size, shrink, NULL, on_result, &result);
  return hangard_qemu_img_resize_finish (wait_for (&result), error);
}

/* Progress as reported, checked to never go backwards. */
typedef struct {
  guint64       done;
  guint64       total;
  guint         calls;
  GCancellable *cancel_on_first;  /* cancelled at the first report */
  guint         calls_after_cancel;
} Progress;

static void
on_progress (guint64  done,
             guint64  total,
             gpointer user_data)
{
  Progress *progress = user_data;

  if (progress->cancel_on_first != NULL && g_cancellable_is_cancelled (progress->cancel_on_first))
    progress->calls_after_cancel++;
  if (progress->calls > 0)
    g_assert_cmpuint (done, >=, progress->done);
  if (total != 0)
    g_assert_cmpuint (done, <=, total);
  progress->done = done;
  progress->total = total;
  progress->calls++;
  if (progress->cancel_on_first != NULL)
    g_cancellable_cancel (progress->cancel_on_first);
}

static gboolean
convert_sync (const char    *source,
              const char    *source_format,
              const char    *destination,
              const char    *destination_format,
              Progress      *progress,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  hangard_qemu_img_convert_async (source, source_format, destination, destination_format,
                                  on_progress, progress, cancellable, on_result, &result);
  return hangard_qemu_img_convert_finish (wait_for (&result), error);
}

static gboolean
copy_fd_sync (int            fd,
              const char    *destination,
              guint64        total,
              Progress      *progress,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  hangard_copy_fd_to_file_async (fd, destination, total, on_progress, progress,
                                 cancellable, on_result, &result);
  return hangard_copy_fd_to_file_finish (wait_for (&result), error);
}

/* Runs a command that must succeed, independently of the code under test. */
static void
run_ok (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", argv[0], err);
}

static void
write_at (const char   *path,
          guint64       offset,
          const guint8 *data,
          gsize         size)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pwrite (fd, data, size, (off_t) offset), ==, (gssize) size);
  close (fd);
}

/* A raw file of `size` bytes, sparse except for 1 MiB of patterned data
 * every `stride` bytes. */
static void
make_raw_with_data (const char *path,
                    guint64     size,
                    guint64     stride)
{
  g_autofree guint8 *chunk = g_malloc (MiB);
  int fd;

  for (gsize i = 0; i < MiB; i++)
    chunk[i] = (guint8) (i * 7 + 1);
  for (guint64 offset = 0; offset + MiB <= size; offset += stride)
    {
      chunk[0] = (guint8) (offset / stride);
      write_at (path, offset, chunk, MiB);
    }
  fd = open (path, O_WRONLY | O_CLOEXEC);
  g_assert_cmpint (ftruncate (fd, (off_t) size), ==, 0);
  close (fd);
}

static void
assert_absent (const char *path)
{
  struct stat st;

  g_assert_cmpint (lstat (path, &st), ==, -1);
  g_assert_cmpint (errno, ==, ENOENT);
}

static guint64
allocated_bytes (const char *path)
{
  struct stat st;

  g_assert_cmpint (stat (path, &st), ==, 0);
  return (guint64) st.st_blocks * 512;
}

static void
assert_mode_0600 (const char *path)
{
  struct stat st;

  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

static void
assert_images_equal (const char *a,
                     const char *a_format,
                     const char *b,
                     const char *b_format)
{
  const char *argv[] = { "qemu-img", "compare", "-q", "-f", a_format, "-F", b_format, a, b, NULL };

  run_ok (argv);
}

/* ---- Info ----------------------------------------------------------------- */

static void
test_info_qcow2 (Fixture       *fixture,
                 gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *path = path_in (fixture, "disk.qcow2");
  const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", path, "64M", NULL };
  const char *formats[] = { "qcow2", NULL };

  run_ok (argv);
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HangardImageInfo) info = info_sync (path, formats[i], &error);

      g_assert_no_error (error);
      g_assert_cmpstr (info->format, ==, "qcow2");
      g_assert_cmpuint (info->virtual_size, ==, 64 * MiB);
      g_assert_cmpuint (info->actual_size, >, 0);
      g_assert_cmpuint (info->actual_size, <, 64 * MiB);
      g_assert_null (info->backing_path);
      g_assert_null (info->backing_format);
    }
}

static void
test_info_raw (Fixture       *fixture,
               gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *path = path_in (fixture, "disk.img");
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardImageInfo) info = NULL;

  make_raw_with_data (path, 8 * MiB, 4 * MiB);
  info = info_sync (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->format, ==, "raw");
  g_assert_cmpuint (info->virtual_size, ==, 8 * MiB);
  g_assert_cmpuint (info->actual_size, >=, 2 * MiB);
  g_assert_null (info->backing_path);
}

static void
test_info_missing (Fixture       *fixture,
                   gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *path = path_in (fixture, "nothing.qcow2");
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardImageInfo) info = info_sync (path, "qcow2", &error);

  g_assert_null (info);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED);
  g_assert_true (g_str_has_prefix (error->message, "qemu-img could not read "));
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "No such file"));
}

static void
test_info_wrong_format (Fixture       *fixture,
                        gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *path = path_in (fixture, "disk.img");
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardImageInfo) info = NULL;

  make_raw_with_data (path, 2 * MiB, MiB);
  info = info_sync (path, "qcow2", &error);
  g_assert_null (info);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED);
}

static void
test_iso9660 (Fixture       *fixture,
              gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *iso = path_in (fixture, "cd.iso");
  g_autofree char *raw = path_in (fixture, "disk.img");
  g_autofree char *small = path_in (fixture, "small");
  g_autofree char *missing = path_in (fixture, "missing");
  const guint8 descriptor[] = { 0x01, 'C', 'D', '0', '0', '1', 0x01 };

  write_at (iso, 0x8000, descriptor, sizeof descriptor);
  write_at (iso, 64 * 1024 - 1, (const guint8 *) "", 1);
  make_raw_with_data (raw, 2 * MiB, MiB);
  write_at (small, 0, (const guint8 *) "CD001", 5);

  g_assert_true (hangard_file_is_iso9660 (iso));
  g_assert_false (hangard_file_is_iso9660 (raw));
  g_assert_false (hangard_file_is_iso9660 (small));
  g_assert_false (hangard_file_is_iso9660 (missing));
}

/* ---- Create --------------------------------------------------------------- */

static void
test_create (Fixture       *fixture,
             gconstpointer  data G_GNUC_UNUSED)
{
  const char *formats[] = { "qcow2", "raw" };
  /* Not a round number of MiB, and beyond 32 bits. */
  const guint64 size = 5 * GiB + 64 * 1024;

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autofree char *name = g_strconcat ("disk.", formats[i], NULL);
      g_autofree char *path = path_in (fixture, name);
      g_autoptr(GError) error = NULL;
      g_autoptr(HangardImageInfo) info = NULL;

      g_assert_true (create_sync (path, formats[i], size, FALSE, NULL, NULL, &error));
      g_assert_no_error (error);
      assert_mode_0600 (path);
      /* Not preallocated: nearly nothing on disk. */
      g_assert_cmpuint (allocated_bytes (path), <, 4 * MiB);

      info = info_sync (path, formats[i], &error);
      g_assert_no_error (error);
      g_assert_cmpstr (info->format, ==, formats[i]);
      g_assert_cmpuint (info->virtual_size, ==, size);
    }
}

static void
test_create_existing (Fixture       *fixture,
                      gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *path = path_in (fixture, "taken.qcow2");
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;

  g_assert_true (g_file_set_contents (path, "keep me", -1, NULL));
  g_assert_false (create_sync (path, "qcow2", 64 * MiB, FALSE, NULL, NULL, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS);

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "keep me");
}

static void
test_create_failure_leaves_nothing (Fixture       *fixture,
                                    gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *path = path_in (fixture, "bad.img");
  g_autoptr(GError) error = NULL;

  g_assert_false (create_sync (path, "no-such-format", 64 * MiB, FALSE, NULL, NULL, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED);
  g_assert_true (g_str_has_prefix (error->message, "qemu-img could not create "));
  assert_absent (path);
}

static void
test_create_cancelled (Fixture       *fixture,
                       gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *path = path_in (fixture, "cancelled.qcow2");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  /* Cancelled while qemu-img runs: it is killed and the file removed. */
  hangard_qemu_img_create_async (path, "qcow2", 64 * MiB, FALSE, NULL, NULL,
                                 cancellable, on_result, &result);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_cancellable_cancel (cancellable);
  g_assert_false (hangard_qemu_img_create_finish (wait_for (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_absent (path);
}

static void
test_create_preallocated (Fixture       *fixture,
                          gconstpointer  data G_GNUC_UNUSED)
{
  const char *formats[] = { "qcow2", "raw" };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autofree char *name = g_strconcat ("full.", formats[i], NULL);
      g_autofree char *path = path_in (fixture, name);
      g_autoptr(GError) error = NULL;
      g_autoptr(HangardImageInfo) info = NULL;

      g_assert_true (create_sync (path, formats[i], 48 * MiB, TRUE, NULL, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (allocated_bytes (path), >=, 48 * MiB);
      g_assert_cmpuint (allocated_bytes (path), <, 52 * MiB);

      info = info_sync (path, formats[i], &error);
      g_assert_no_error (error);
      g_assert_cmpuint (info->virtual_size, ==, 48 * MiB);
    }
}

static void
test_create_no_space (Fixture       *fixture,
                      gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *mount_point = path_in (fixture, "small-fs");
  const char *formats[] = { "raw", "qcow2" };

  if (geteuid () != 0)
    {
      g_test_skip ("needs root to mount a small tmpfs");
      return;
    }
  g_assert_cmpint (g_mkdir (mount_point, 0700), ==, 0);
  if (mount ("tmpfs", mount_point, "tmpfs", MS_NOSUID | MS_NODEV, "size=16M") < 0)
    {
      g_autofree char *why = g_strdup_printf ("cannot mount a tmpfs: %s", g_strerror (errno));

      g_test_skip (why);
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autofree char *name = g_strconcat ("big.", formats[i], NULL);
      g_autofree char *path = g_build_filename (mount_point, name, NULL);
      g_autoptr(GError) error = NULL;

      g_assert_false (create_sync (path, formats[i], 64 * MiB, TRUE, NULL, NULL, &error));
      g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED);
      g_assert_nonnull (strstr (error->message, "No space left on device"));
      assert_absent (path);
    }
  g_assert_cmpint (umount (mount_point), ==, 0);
}

static void
test_create_backing (Fixture       *fixture,
                     gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *base = path_in (fixture, "base.qcow2");
  g_autofree char *overlay = path_in (fixture, "overlay.qcow2");
  g_autofree char *sized = path_in (fixture, "sized.qcow2");
  g_autofree char *preallocated = path_in (fixture, "preallocated.qcow2");
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardImageInfo) info = NULL;
  g_autoptr(HangardImageInfo) sized_info = NULL;

  g_assert_true (create_sync (base, "qcow2", 32 * MiB, FALSE, NULL, NULL, &error));
  g_assert_no_error (error);

  /* Size 0: the backing file's. */
  g_assert_true (create_sync (overlay, "qcow2", 0, FALSE, base, "qcow2", &error));
  g_assert_no_error (error);
  info = info_sync (overlay, "qcow2", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (info->virtual_size, ==, 32 * MiB);
  g_assert_cmpstr (info->backing_path, ==, base);
  g_assert_cmpstr (info->backing_format, ==, "qcow2");

  g_assert_true (create_sync (sized, "qcow2", 64 * MiB, FALSE, base, "qcow2", &error));
  g_assert_no_error (error);
  sized_info = info_sync (sized, "qcow2", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sized_info->virtual_size, ==, 64 * MiB);
  g_assert_cmpstr (sized_info->backing_path, ==, base);

  /* qemu-img 7.2 cannot preallocate an overlay; it says so. */
  g_assert_false (create_sync (preallocated, "qcow2", 0, TRUE, base, "qcow2", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED);
  assert_absent (preallocated);
}

static void
test_create_backing_relative (Fixture       *fixture,
                              gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *base = path_in (fixture, "base.qcow2");
  g_autofree char *overlay = path_in (fixture, "overlay.qcow2");
  const char *base_argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", base, "16M", NULL };
  /* Made by hand with a backing name relative to the overlay's directory,
   * as other tools write them. */
  const char *overlay_argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-u",
                                 "-b", "base.qcow2", "-F", "qcow2", overlay, "16M", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardImageInfo) info = NULL;

  run_ok (base_argv);
  run_ok (overlay_argv);
  info = info_sync (overlay, "qcow2", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->backing_path, ==, base);
}

/* ---- Resize --------------------------------------------------------------- */

static void
test_resize_grow (Fixture       *fixture,
                  gconstpointer  data G_GNUC_UNUSED)
{
  const char *formats[] = { "qcow2", "raw" };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autofree char *name = g_strconcat ("disk.", formats[i], NULL);
      g_autofree char *path = path_in (fixture, name);
      g_autoptr(GError) error = NULL;
      g_autoptr(HangardImageInfo) info = NULL;

      g_assert_true (create_sync (path, formats[i], 64 * MiB, FALSE, NULL, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (resize_sync (path, formats[i], 3 * GiB, FALSE, &error));
      g_assert_no_error (error);

      info = info_sync (path, formats[i], &error);
      g_assert_no_error (error);
      g_assert_cmpuint (info->virtual_size, ==, 3 * GiB);
    }
}

static void
test_resize_shrink (Fixture       *fixture,
                    gconstpointer  data G_GNUC_UNUSED)
{
  const char *formats[] = { "qcow2", "raw" };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autofree char *name = g_strconcat ("disk.", formats[i], NULL);
      g_autofree char *path = path_in (fixture, name);
      g_autoptr(GError) error = NULL;
      g_autoptr(HangardImageInfo) before = NULL;
      g_autoptr(HangardImageInfo) after = NULL;

      g_assert_true (create_sync (path, formats[i], 128 * MiB, FALSE, NULL, NULL, &error));
      g_assert_no_error (error);

      /* Without the flag qemu-img refuses, and says why. */
      g_assert_false (resize_sync (path, formats[i], 64 * MiB, FALSE, &error));
      g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED);
      g_assert_true (g_str_has_prefix (error->message, "qemu-img could not resize "));
      g_assert_nonnull (strstr (error->message, "--shrink"));
      g_assert_null (strstr (error->message, "warning"));
      g_clear_error (&error);
      before = info_sync (path, formats[i], &error);
      g_assert_no_error (error);
      g_assert_cmpuint (before->virtual_size, ==, 128 * MiB);

      g_assert_true (resize_sync (path, formats[i], 64 * MiB, TRUE, &error));
      g_assert_no_error (error);
      after = info_sync (path, formats[i], &error);
      g_assert_no_error (error);
      g_assert_cmpuint (after->virtual_size, ==, 64 * MiB);
    }
}

/* ---- Convert -------------------------------------------------------------- */

static void
test_convert (Fixture       *fixture,
              gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *source = path_in (fixture, "source.img");
  g_autofree char *copy_qcow2 = path_in (fixture, "copy.qcow2");
  g_autofree char *copy_raw = path_in (fixture, "copy.img");
  Progress progress = { 0 };
  Progress back = { 0 };
  g_autoptr(GError) error = NULL;

  make_raw_with_data (source, 256 * MiB, 8 * MiB);

  g_assert_true (convert_sync (source, "raw", copy_qcow2, "qcow2", &progress, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (progress.calls, >=, 1);
  g_assert_cmpuint (progress.total, ==, 256 * MiB);
  g_assert_cmpuint (progress.done, ==, 256 * MiB);
  assert_mode_0600 (copy_qcow2);
  assert_images_equal (source, "raw", copy_qcow2, "qcow2");

  /* And back to raw, which stays sparse. */
  g_assert_true (convert_sync (copy_qcow2, "qcow2", copy_raw, "raw", &back, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (back.done, ==, 256 * MiB);
  assert_images_equal (source, "raw", copy_raw, "raw");
  g_assert_cmpuint (allocated_bytes (copy_raw), <, 64 * MiB);
}

static void
test_convert_existing (Fixture       *fixture,
                       gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *source = path_in (fixture, "source.qcow2");
  g_autofree char *destination = path_in (fixture, "taken.qcow2");
  g_autofree char *contents = NULL;
  Progress progress = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_true (create_sync (source, "qcow2", 16 * MiB, FALSE, NULL, NULL, &error));
  g_assert_true (g_file_set_contents (destination, "keep me", -1, NULL));

  g_assert_false (convert_sync (source, "qcow2", destination, "qcow2", &progress, NULL, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS);
  g_assert_true (g_file_get_contents (destination, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "keep me");
}

static void
test_convert_failure (Fixture       *fixture,
                      gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *source = path_in (fixture, "source.img");
  g_autofree char *missing = path_in (fixture, "missing.qcow2");
  g_autofree char *destination = path_in (fixture, "copy.qcow2");
  Progress progress = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_false (convert_sync (missing, "qcow2", destination, "qcow2", &progress, NULL, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED);
  g_clear_error (&error);
  assert_absent (destination);

  /* The source is fine, the output format is not: the destination that
   * was made for qemu-img goes again. */
  make_raw_with_data (source, 4 * MiB, MiB);
  g_assert_false (convert_sync (source, "raw", destination, "no-such-format", &progress, NULL, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED);
  g_assert_true (g_str_has_prefix (error->message, "qemu-img could not copy "));
  assert_absent (destination);
}

static void
test_convert_cancel (Fixture       *fixture,
                     gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *source = path_in (fixture, "big.img");
  g_autofree char *destination = path_in (fixture, "copy.qcow2");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Progress progress = { .cancel_on_first = cancellable };
  g_autoptr(GError) error = NULL;

  /* 4 GiB with 128 MiB of data: qemu-img takes a while over it. */
  make_raw_with_data (source, 4 * GiB, 32 * MiB);

  g_assert_false (convert_sync (source, "raw", destination, "qcow2", &progress, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (progress.calls, ==, 1);
  g_assert_cmpuint (progress.calls_after_cancel, ==, 0);
  assert_absent (destination);
}

/* ---- Copying from a file descriptor --------------------------------------- */

typedef struct {
  int     fd;
  guint64 zeros_before;   /* bytes of zeros, then the data, then zeros again */
  guint64 zeros_after;
  gboolean endless;       /* write zeros until the reader goes away */
} Writer;

static const char writer_data[] = "The data in the middle of the zeros.";

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         size)
{
  while (size > 0)
    {
      gssize written = write (fd, data, size);

      if (written < 0 && errno == EINTR)
        continue;
      if (written <= 0)
        return FALSE;
      data += written;
      size -= (gsize) written;
    }
  return TRUE;
}

static gboolean
write_zeros (int     fd,
             guint64 count)
{
  static const guint8 zeros[64 * 1024];

  while (count > 0)
    {
      gsize n = (gsize) MIN (count, sizeof zeros);

      if (!write_all (fd, zeros, n))
        return FALSE;
      count -= n;
    }
  return TRUE;
}

/* Feeds the pipe from a thread, as a client uploading a disk would. */
static gpointer
writer_thread (gpointer user_data)
{
  Writer *writer = user_data;

  if (writer->endless)
    {
      while (write_zeros (writer->fd, MiB))
        ;
    }
  else if (write_zeros (writer->fd, writer->zeros_before))
    {
      write_all (writer->fd, (const guint8 *) writer_data, sizeof writer_data);
      write_zeros (writer->fd, writer->zeros_after);
    }
  close (writer->fd);
  return NULL;
}

static void
test_copy_fd_sparse (Fixture       *fixture,
                     gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *destination = path_in (fixture, "upload.img");
  Writer writer = { .zeros_before = 256 * MiB + 4096, .zeros_after = 512 * MiB };
  guint64 size = writer.zeros_before + sizeof writer_data + writer.zeros_after;
  Progress progress = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GThread) thread = NULL;
  g_autofree guint8 *middle = g_malloc (sizeof writer_data);
  int fds[2];
  int fd;

  g_assert_cmpint (pipe2 (fds, O_CLOEXEC), ==, 0);
  writer.fd = fds[1];
  thread = g_thread_new ("writer", writer_thread, &writer);

  g_assert_true (copy_fd_sync (fds[0], destination, size, &progress, NULL, &error));
  g_assert_no_error (error);
  g_thread_join (g_steal_pointer (&thread));

  g_assert_cmpuint (progress.calls, >=, size / MiB);
  g_assert_cmpuint (progress.done, ==, size);
  g_assert_cmpuint (progress.total, ==, size);
  assert_mode_0600 (destination);

  fd = open (destination, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (lseek (fd, 0, SEEK_END), ==, (off_t) size);
  g_assert_cmpint (pread (fd, middle, sizeof writer_data, (off_t) writer.zeros_before), ==, sizeof writer_data);
  close (fd);
  g_assert_cmpmem (middle, sizeof writer_data, writer_data, sizeof writer_data);
  /* 768 MiB of zeros took no space. */
  g_assert_cmpuint (allocated_bytes (destination), <=, 2 * MiB);
}

static void
test_copy_fd_file (Fixture       *fixture,
                   gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *source = path_in (fixture, "source.img");
  g_autofree char *destination = path_in (fixture, "copy.img");
  Progress progress = { 0 };
  g_autoptr(GError) error = NULL;
  int fd;

  /* Data at the start and at the very end; the length is not a whole
   * number of chunks. */
  make_raw_with_data (source, 24 * MiB, 23 * MiB);
  write_at (source, 24 * MiB, (const guint8 *) "tail", 4);

  fd = open (source, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  /* Total unknown. */
  g_assert_true (copy_fd_sync (fd, destination, 0, &progress, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (progress.done, ==, 24 * MiB + 4);
  g_assert_cmpuint (progress.total, ==, 0);
  assert_images_equal (source, "raw", destination, "raw");
}

static void
test_copy_fd_trailing_hole (Fixture       *fixture,
                            gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *source = path_in (fixture, "source.img");
  g_autofree char *destination = path_in (fixture, "copy.img");
  Progress progress = { 0 };
  g_autoptr(GError) error = NULL;
  struct stat st;
  int fd;

  /* Ends in zeros: the copy still has the full length. */
  make_raw_with_data (source, 16 * MiB + 100, 32 * MiB);
  fd = open (source, O_RDONLY | O_CLOEXEC);
  g_assert_true (copy_fd_sync (fd, destination, 16 * MiB + 100, &progress, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (stat (destination, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 16 * MiB + 100);
  assert_images_equal (source, "raw", destination, "raw");
}

static void
test_copy_fd_cancel (Fixture       *fixture,
                     gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *destination = path_in (fixture, "upload.img");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Progress progress = { .cancel_on_first = cancellable };
  Writer writer = { .endless = TRUE };
  g_autoptr(GError) error = NULL;
  GThread *thread;
  int fds[2];

  g_assert_cmpint (pipe2 (fds, O_CLOEXEC), ==, 0);
  writer.fd = fds[1];
  thread = g_thread_new ("writer", writer_thread, &writer);

  g_assert_false (copy_fd_sync (fds[0], destination, 0, &progress, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (progress.calls_after_cancel, ==, 0);
  assert_absent (destination);

  /* The read end was closed: the writer stops with EPIPE. */
  g_thread_join (thread);
}

static void
test_copy_fd_existing (Fixture       *fixture,
                       gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *destination = path_in (fixture, "taken.img");
  g_autofree char *contents = NULL;
  Progress progress = { 0 };
  g_autoptr(GError) error = NULL;
  int fds[2];

  g_assert_cmpint (pipe2 (fds, O_CLOEXEC), ==, 0);
  g_assert_true (g_file_set_contents (destination, "keep me", -1, NULL));

  g_assert_false (copy_fd_sync (fds[0], destination, 0, &progress, NULL, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS);
  g_assert_true (g_file_get_contents (destination, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "keep me");

  /* The source was taken and closed all the same. */
  g_assert_cmpint (write (fds[1], "x", 1), ==, -1);
  g_assert_cmpint (errno, ==, EPIPE);
  close (fds[1]);
}

/* ---- Awkward names -------------------------------------------------------- */

static void
test_awkward_paths (Fixture       *fixture,
                    gconstpointer  data G_GNUC_UNUSED)
{
  g_autofree char *dir = path_in (fixture, "a dir, with commas");
  g_autofree char *base = NULL;
  g_autofree char *overlay = NULL;
  g_autofree char *copy = NULL;
  g_autofree char *upload = NULL;
  g_autofree char *relative = NULL;
  g_autofree char *cwd = g_get_current_dir ();
  g_autoptr(HangardImageInfo) info = NULL;
  g_autoptr(HangardImageInfo) relative_info = NULL;
  g_autoptr(GError) error = NULL;
  Progress progress = { 0 };
  Progress upload_progress = { 0 };
  int fd;

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  base = g_build_filename (dir, "base, file=x.qcow2", NULL);
  overlay = g_build_filename (dir, " overlay,,two .qcow2", NULL);
  copy = g_build_filename (dir, "copy:of,base.img", NULL);
  upload = g_build_filename (dir, "up load,1.img", NULL);

  g_assert_true (create_sync (base, "qcow2", 16 * MiB, FALSE, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (resize_sync (base, "qcow2", 32 * MiB, FALSE, &error));
  g_assert_no_error (error);

  g_assert_true (create_sync (overlay, "qcow2", 0, FALSE, base, "qcow2", &error));
  g_assert_no_error (error);
  info = info_sync (overlay, "qcow2", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->backing_path, ==, base);
  g_assert_cmpuint (info->virtual_size, ==, 32 * MiB);

  g_assert_true (convert_sync (overlay, "qcow2", copy, "raw", &progress, NULL, &error));
  g_assert_no_error (error);
  assert_images_equal (overlay, "qcow2", copy, "raw");

  fd = open (copy, O_RDONLY | O_CLOEXEC);
  g_assert_true (copy_fd_sync (fd, upload, 32 * MiB, &upload_progress, NULL, &error));
  g_assert_no_error (error);
  assert_images_equal (copy, "raw", upload, "raw");

  /* A relative name with a colon is a file, not a protocol. */
  g_assert_cmpint (g_chdir (dir), ==, 0);
  g_assert_true (create_sync ("nbd:localhost:1", "qcow2", 16 * MiB, FALSE, NULL, NULL, &error));
  g_assert_no_error (error);
  relative_info = info_sync ("nbd:localhost:1", "qcow2", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (relative_info->virtual_size, ==, 16 * MiB);
  g_assert_cmpint (g_chdir (cwd), ==, 0);
  relative = g_build_filename (dir, "nbd:localhost:1", NULL);
  g_assert_true (g_file_test (relative, G_FILE_TEST_IS_REGULAR));
}

/* ---- Job ------------------------------------------------------------------ */

static void
on_ended (HangardJob *job G_GNUC_UNUSED,
          gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static HangardJob *
new_job (guint *ended)
{
  HangardJob *job = hangard_job_new (NULL, "clone-volume", "Copying a.qcow2 to b.qcow2",
                                     "/io/github/hangarvm/Hangar1/pools/p1");

  g_signal_connect (job, "ended", G_CALLBACK (on_ended), ended);
  return job;
}

static void
test_job_initial (void)
{
  guint ended = 0;
  g_autoptr(HangardJob) job = new_job (&ended);
  g_autoptr(HangardJob) plain = hangard_job_new (NULL, "create-volume", NULL, NULL);
  HangarJob *iface = HANGAR_JOB (job);

  g_assert_cmpstr (hangar_job_get_operation (iface), ==, "clone-volume");
  g_assert_cmpstr (hangar_job_get_description (iface), ==, "Copying a.qcow2 to b.qcow2");
  g_assert_cmpstr (hangar_job_get_target (iface), ==, "/io/github/hangarvm/Hangar1/pools/p1");
  g_assert_cmpstr (hangar_job_get_state (iface), ==, "running");
  g_assert_cmpstr (hangar_job_get_result (iface), ==, "/");
  g_assert_cmpstr (hangar_job_get_error_name (iface), ==, "");
  g_assert_cmpstr (hangar_job_get_error_message (iface), ==, "");
  g_assert_cmpuint (hangar_job_get_bytes_done (iface), ==, 0);
  g_assert_cmpuint (hangar_job_get_bytes_total (iface), ==, 0);
  g_assert_false (hangard_job_has_ended (job));
  g_assert_nonnull (hangard_job_get_cancellable (job));
  g_assert_false (g_cancellable_is_cancelled (hangard_job_get_cancellable (job)));

  g_assert_cmpstr (hangar_job_get_target (HANGAR_JOB (plain)), ==, "/");
  g_assert_cmpstr (hangar_job_get_description (HANGAR_JOB (plain)), ==, "");
  g_assert_cmpuint (ended, ==, 0);
}

static gboolean
on_timeout_quit (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
spin (guint milliseconds)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  g_timeout_add (milliseconds, on_timeout_quit, loop);
  g_main_loop_run (loop);
}

static void
test_job_progress (void)
{
  guint ended = 0;
  g_autoptr(HangardJob) job = new_job (&ended);
  HangarJob *iface = HANGAR_JOB (job);

  /* The first value goes out at once. */
  hangard_job_set_progress (job, 1, 100);
  g_assert_cmpuint (hangar_job_get_bytes_done (iface), ==, 1);
  g_assert_cmpuint (hangar_job_get_bytes_total (iface), ==, 100);

  /* Those right after it wait... */
  hangard_job_set_progress (job, 2, 100);
  hangard_job_set_progress (job, 3, 100);
  g_assert_cmpuint (hangar_job_get_bytes_done (iface), ==, 1);

  /* ...but the latest is published in the end, without further calls. */
  spin (400);
  g_assert_cmpuint (hangar_job_get_bytes_done (iface), ==, 3);

  /* The final value goes out at once, however soon it comes. */
  hangard_job_set_progress (job, 50, 100);
  hangard_job_set_progress (job, 100, 100);
  g_assert_cmpuint (hangar_job_get_bytes_done (iface), ==, 100);

  /* A pending value is published when the job ends. */
  hangard_job_set_progress (job, 10, 0);
  hangard_job_set_progress (job, 20, 0);
  hangard_job_complete (job, NULL);
  g_assert_cmpuint (hangar_job_get_bytes_done (iface), ==, 20);
  g_assert_cmpuint (hangar_job_get_bytes_total (iface), ==, 0);

  /* Progress after the end is ignored. */
  hangard_job_set_progress (job, 30, 0);
  spin (300);
  g_assert_cmpuint (hangar_job_get_bytes_done (iface), ==, 20);
  g_assert_cmpuint (ended, ==, 1);
}

static void
test_job_complete (void)
{
  guint ended = 0;
  g_autoptr(HangardJob) job = new_job (&ended);
  HangarJob *iface = HANGAR_JOB (job);

  hangard_job_set_progress (job, 4096, 4096);
  hangard_job_complete (job, "/io/github/hangarvm/Hangar1/volumes/v7");
  g_assert_cmpuint (ended, ==, 1);
  g_assert_true (hangard_job_has_ended (job));
  g_assert_cmpstr (hangar_job_get_state (iface), ==, "completed");
  g_assert_cmpstr (hangar_job_get_result (iface), ==, "/io/github/hangarvm/Hangar1/volumes/v7");
  g_assert_cmpstr (hangar_job_get_error_name (iface), ==, "");
  g_assert_cmpuint (hangar_job_get_bytes_done (iface), ==, 4096);
}

static void
test_job_fail (void)
{
  guint ended = 0;
  g_autoptr(HangardJob) job = new_job (&ended);
  HangarJob *iface = HANGAR_JOB (job);
  g_autoptr(GError) error = g_error_new (HANGAR_ERROR, HANGAR_ERROR_FAILED,
                                         "qemu-img could not create /x: No space left on device");

  hangard_job_fail (job, error);
  g_assert_cmpuint (ended, ==, 1);
  g_assert_cmpstr (hangar_job_get_state (iface), ==, "failed");
  g_assert_cmpstr (hangar_job_get_error_name (iface), ==, "io.github.hangarvm.Hangar1.Error.Failed");
  g_assert_cmpstr (hangar_job_get_error_message (iface), ==, error->message);
  g_assert_cmpstr (hangar_job_get_result (iface), ==, "/");
}

static void
test_job_fail_other_domain (void)
{
  guint ended = 0;
  g_autoptr(HangardJob) job = new_job (&ended);
  g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_NO_SPACE, "Disk full");

  hangard_job_fail (job, error);
  g_assert_cmpstr (hangar_job_get_state (HANGAR_JOB (job)), ==, "failed");
  /* GIO's own errors have no registered D-Bus name: GDBus makes one up. */
  g_assert_true (g_str_has_prefix (hangar_job_get_error_name (HANGAR_JOB (job)), "org.gtk.GDBus.UnmappedGError."));
  g_assert_cmpstr (hangar_job_get_error_message (HANGAR_JOB (job)), ==, "Disk full");
}

/* The work's side of cancellation: it sees the cancellable fire, cleans up,
 * then fails the job with G_IO_ERROR_CANCELLED. */
static gboolean
fail_cancelled (gpointer user_data)
{
  HangardJob *job = user_data;
  g_autoptr(GError) error = NULL;

  g_cancellable_set_error_if_cancelled (hangard_job_get_cancellable (job), &error);
  hangard_job_fail (job, error);
  return G_SOURCE_REMOVE;
}

static void
on_job_cancelled (GCancellable *cancellable G_GNUC_UNUSED,
                  gpointer      user_data)
{
  g_idle_add (fail_cancelled, user_data);
}

static void
test_job_cancel (void)
{
  guint ended = 0;
  g_autoptr(HangardJob) job = new_job (&ended);
  HangarJob *iface = HANGAR_JOB (job);
  GCancellable *cancellable = hangard_job_get_cancellable (job);

  g_cancellable_connect (cancellable, G_CALLBACK (on_job_cancelled), job, NULL);
  hangard_job_set_progress (job, 10, 100);
  g_cancellable_cancel (cancellable);

  /* Still running until the work has cleaned up. */
  g_assert_cmpstr (hangar_job_get_state (iface), ==, "running");
  while (ended == 0)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (ended, ==, 1);
  g_assert_cmpstr (hangar_job_get_state (iface), ==, "cancelled");
  g_assert_cmpstr (hangar_job_get_error_name (iface), ==, "");
  g_assert_cmpstr (hangar_job_get_error_message (iface), ==, "");
  g_assert_cmpuint (hangar_job_get_bytes_done (iface), ==, 10);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* The pipe tests' writers must get EPIPE, not a signal. */
  signal (SIGPIPE, SIG_IGN);

#define ADD(path, func) \
  g_test_add ("/qemu-img/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("info/qcow2", test_info_qcow2);
  ADD ("info/raw", test_info_raw);
  ADD ("info/missing", test_info_missing);
  ADD ("info/wrong-format", test_info_wrong_format);
  ADD ("iso9660", test_iso9660);
  ADD ("create/sizes", test_create);
  ADD ("create/existing", test_create_existing);
  ADD ("create/failure", test_create_failure_leaves_nothing);
  ADD ("create/cancelled", test_create_cancelled);
  ADD ("create/preallocated", test_create_preallocated);
  ADD ("create/no-space", test_create_no_space);
  ADD ("create/backing", test_create_backing);
  ADD ("create/backing-relative", test_create_backing_relative);
  ADD ("resize/grow", test_resize_grow);
  ADD ("resize/shrink", test_resize_shrink);
  ADD ("convert/progress", test_convert);
  ADD ("convert/existing", test_convert_existing);
  ADD ("convert/failure", test_convert_failure);
  ADD ("convert/cancel", test_convert_cancel);
  ADD ("copy-fd/sparse-pipe", test_copy_fd_sparse);
  ADD ("copy-fd/file", test_copy_fd_file);
  ADD ("copy-fd/trailing-hole", test_copy_fd_trailing_hole);
  ADD ("copy-fd/cancel", test_copy_fd_cancel);
  ADD ("copy-fd/existing", test_copy_fd_existing);
  ADD ("awkward-paths", test_awkward_paths);

#undef ADD

  g_test_add_func ("/job/initial", test_job_initial);
  g_test_add_func ("/job/progress", test_job_progress);
  g_test_add_func ("/job/complete", test_job_complete);
  g_test_add_func ("/job/fail", test_job_fail);
  g_test_add_func ("/job/fail-other-domain", test_job_fail_other_domain);
  g_test_add_func ("/job/cancel", test_job_cancel);

  return g_test_run ();
}
