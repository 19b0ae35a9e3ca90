/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Asynchronous wrappers around the real qemu-img (GSubprocess). Every
 * operation states image formats explicitly: qemu-img never probes, except
 * hangard_qemu_img_info() with format NULL, whose result is only reported,
 * never handed to QEMU without the caller deciding. Paths go to qemu-img as
 * separate argv elements or in JSON, so commas and spaces are safe.
 * Errors: HANGAR_ERROR_FAILED with qemu-img's own message, G_IO_ERROR_CANCELLED;
 * operations that create a file: HANGAR_ERROR_ALREADY_EXISTS when it exists.
 * Relative paths are taken from the current directory and made absolute
 * (which also keeps qemu-img from reading "proto:" prefixes in names).
 * Files made here are mode 0600. Callbacks and progress run on the
 * thread-default main context of the call. */

typedef struct {
  char    *format;          /* "qcow2", "raw", ...; what qemu-img says */
  guint64  virtual_size;    /* bytes the guest sees */
  guint64  actual_size;     /* bytes used on disk */
  char    *backing_path;    /* absolute when known; NULL without backing file */
  char    *backing_format;  /* NULL when unknown */
} HangardImageInfo;

void              hangard_image_info_free        (HangardImageInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangardImageInfo, hangard_image_info_free)

/* Whether `path` holds an ISO 9660 file system ("CD001" at 0x8001), which
 * qemu-img reports as "raw". One small synchronous read. */
gboolean          hangard_file_is_iso9660        (const char       *path);

/* `qemu-img info --output=json [-f FORMAT] PATH` (with -U: works on
 * images in use). format NULL lets qemu-img detect it. */
void              hangard_qemu_img_info_async    (const char          *path,
                                                  const char          *format,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
HangardImageInfo *hangard_qemu_img_info_finish   (GAsyncResult        *result,
                                                  GError             **error);

/* `qemu-img create -f FORMAT [-o preallocation=falloc] [-b BACKING -F BFMT] PATH SIZE`.
 * The file must not exist (it is created exclusively); on any failure or
 * cancellation no file is left. With a backing file, size 0 means the
 * backing file's size. backing_format is required with backing_path.
 * qemu-img 7.2 refuses preallocation together with a backing file. */
void              hangard_qemu_img_create_async  (const char          *path,
                                                  const char          *format,
                                                  guint64              size,
                                                  gboolean             preallocate,
                                                  const char          *backing_path,
                                                  const char          *backing_format,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean          hangard_qemu_img_create_finish (GAsyncResult        *result,
                                                  GError             **error);

/* `qemu-img resize -f FORMAT [--shrink] PATH SIZE`. Without shrink, a
 * smaller size fails. The cancellable is only checked before qemu-img
 * starts: killing it while it rewrites a qcow2's tables could damage the
 * image, so a started resize reports how it really ended. */
void              hangard_qemu_img_resize_async  (const char          *path,
                                                  const char          *format,
                                                  guint64              size,
                                                  gboolean             shrink,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean          hangard_qemu_img_resize_finish (GAsyncResult        *result,
                                                  GError             **error);

/* Called on the main context with progress as qemu-img reports it. */
typedef void (*HangardProgressFunc) (guint64  done,
                                     guint64  total,
                                     gpointer user_data);

/* `qemu-img convert -p -f SRCFMT -O DSTFMT SRC DST`: a full copy keeping
 * sparseness. Progress is reported in bytes of the source's virtual size,
 * never backwards, the last call being (total, total) on success; none
 * comes after cancellation. The source is not opened with -U, so a disk in
 * use by a running guest fails to copy (its lock is held). The destination
 * must not exist; on failure or cancellation qemu-img is killed and the
 * destination removed. */
void              hangard_qemu_img_convert_async (const char          *source,
                                                  const char          *source_format,
                                                  const char          *destination,
                                                  const char          *destination_format,
                                                  HangardProgressFunc  progress,
                                                  gpointer             progress_data,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean          hangard_qemu_img_convert_finish (GAsyncResult       *result,
                                                   GError            **error);

/* Copies everything readable from `source_fd` (a pipe, socket or file)
 * into a new file at `destination` (created exclusively, 0600) in 1 MiB
 * chunks, reporting progress after each; all-zero chunks are skipped so
 * the file stays sparse, and it is fsynced at the end. `total` is the
 * expected size or 0 (then progress reports total 0). On failure or
 * cancellation the destination is removed. Takes ownership of source_fd,
 * even on early errors. */
void              hangard_copy_fd_to_file_async  (int                  source_fd,
                                                  const char          *destination,
                                                  guint64              total,
                                                  HangardProgressFunc  progress,
                                                  gpointer             progress_data,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean          hangard_copy_fd_to_file_finish (GAsyncResult        *result,
                                                  GError             **error);

/* Internal snapshots of an image nothing else has open (a machine that is
 * shut off): `qemu-img snapshot -c|-a|-d TAG -f FORMAT PATH`. qemu-img
 * takes the image's write lock, so a running QEMU's image fails cleanly.
 * The cancellable is only checked before qemu-img starts: a started
 * snapshot operation rewrites the image's tables and runs to its end. */
typedef enum {
  HANGARD_QEMU_IMG_SNAPSHOT_CREATE,   /* -c */
  HANGARD_QEMU_IMG_SNAPSHOT_APPLY,    /* -a: the image's data becomes the snapshot's */
  HANGARD_QEMU_IMG_SNAPSHOT_DELETE,   /* -d */
} HangardQemuImgSnapshotOp;

void              hangard_qemu_img_snapshot_async (const char               *path,
                                                   const char               *format,
                                                   HangardQemuImgSnapshotOp  op,
                                                   const char               *tag,
                                                   GCancellable             *cancellable,
                                                   GAsyncReadyCallback       callback,
                                                   gpointer                  user_data);
gboolean          hangard_qemu_img_snapshot_finish (GAsyncResult            *result,
                                                    GError                 **error);

/* The names of the internal snapshots `path` holds, from
 * `qemu-img info -U --output=json -f FORMAT PATH` (works on images in use). */
void              hangard_qemu_img_snapshot_list_async  (const char          *path,
                                                         const char          *format,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
GStrv             hangard_qemu_img_snapshot_list_finish (GAsyncResult        *result,
                                                         GError             **error);

G_END_DECLS
