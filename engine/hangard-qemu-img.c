/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-qemu-img"

#include "hangard-qemu-img.h"
#include "hangard-error.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Files the engine makes hold guest data; QEMU runs as the engine's user. */
#define IMAGE_FILE_MODE 0600
/* How much of qemu-img's stderr is kept for the error message. */
#define STDERR_LIMIT (64 * 1024)
#define PIPE_READ_SIZE 4096
/* copy_fd_to_file's unit of reading, writing and hole detection. */
#define COPY_CHUNK (1024 * 1024)

void
hangard_image_info_free (HangardImageInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->format);
  g_free (info->backing_path);
  g_free (info->backing_format);
  g_free (info);
}

gboolean
hangard_file_is_iso9660 (const char *path)
{
  char magic[5];
  ssize_t got;
  int fd;

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  /* The primary volume descriptor starts at sector 16; its identifier
   * follows the one-byte type. */
  got = pread (fd, magic, sizeof magic, 0x8001);
  close (fd);
  return got == sizeof magic && memcmp (magic, "CD001", sizeof magic) == 0;
}

/* Absolute paths keep qemu-img from reading "proto:..." or "json:..." out of
 * a file name: it only looks for a protocol before the first '/'. */
static char *
absolute_path (const char *path)
{
  return g_canonicalize_filename (path, NULL);
}

/* Creates `path`, failing if anything is there already, so an existing
 * file is never overwritten; qemu-img then writes into this empty file. */
static gboolean
create_exclusive (const char  *path,
                  int         *out_fd,
                  GError     **error)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, IMAGE_FILE_MODE);

  if (fd < 0)
    {
      int saved_errno = errno;

      if (saved_errno == EEXIST)
        g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                     _("%s already exists"), path);
      else
        g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                     _("Cannot create %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }
  if (out_fd != NULL)
    *out_fd = fd;
  else
    close (fd);
  return TRUE;
}

/* ---- Running qemu-img ----------------------------------------------------- */

typedef void (*LineFunc) (const char *line,
                          gpointer    user_data);

typedef struct {
  GSubprocess  *process;
  GCancellable *cancellable;   /* NULL when the run must not be interrupted */
  gulong        cancelled_id;
  char         *what;          /* "could not create /x", for the error message */
  char        **paths;         /* the files named in argv, stripped from messages */
  GString      *out;           /* all of stdout, when there is no line_func */
  GString      *line;          /* the unfinished stdout line, with a line_func */
  GString      *err;
  LineFunc      line_func;
  gpointer      line_data;
  GError       *read_error;
  guint         pending;       /* stdout, stderr and the exit still to come */
} Run;

static void
run_free (Run *run)
{
  if (run->cancelled_id != 0)
    g_cancellable_disconnect (run->cancellable, run->cancelled_id);
  g_clear_object (&run->cancellable);
  g_clear_object (&run->process);
  g_free (run->what);
  g_strfreev (run->paths);
  g_string_free (run->out, TRUE);
  g_string_free (run->line, TRUE);
  g_string_free (run->err, TRUE);
  g_clear_error (&run->read_error);
  g_free (run);
}

/* qemu-img's stderr as one message: warnings dropped, its "qemu-img: "
 * and "PATH: " prefixes removed since the caller's message names the file. */
static char *
stderr_to_message (Run *run)
{
  g_auto(GStrv) lines = g_strsplit (run->err->str, "\n", -1);
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);

      if (g_str_has_prefix (line, "qemu-img: "))
        line += strlen ("qemu-img: ");
      if (*line == '\0' || g_str_has_prefix (line, "warning: "))
        continue;
      for (guint p = 0; run->paths[p] != NULL; p++)
        {
          gsize len = strlen (run->paths[p]);

          if (strncmp (line, run->paths[p], len) == 0 && g_str_has_prefix (line + len, ": "))
            {
              line += len + 2;
              break;
            }
        }
      g_ptr_array_add (kept, line);
    }
  g_ptr_array_add (kept, NULL);

  if (kept->len > 1)
    return g_strjoinv ("; ", (char **) kept->pdata);
  if (g_subprocess_get_if_signaled (run->process))
    return g_strdup_printf (_("killed by signal %d"), g_subprocess_get_term_sig (run->process));
  return g_strdup_printf (_("exited with status %d"), g_subprocess_get_exit_status (run->process));
}

static void
run_return (GTask *task)
{
  Run *run = g_task_get_task_data (task);

  if (run->cancellable != NULL && g_cancellable_is_cancelled (run->cancellable))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Operation was cancelled"));
  else if (run->read_error != NULL)
    g_task_return_error (task, g_steal_pointer (&run->read_error));
  else if (!g_subprocess_get_successful (run->process))
    {
      g_autofree char *message = stderr_to_message (run);

      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                               "qemu-img %s: %s", run->what, message);
    }
  else
    g_task_return_pointer (task, g_strdup (run->out->str), g_free);
}

static void
run_piece_done (GTask *task)
{
  Run *run = g_task_get_task_data (task);

  if (--run->pending == 0)
    run_return (task);
}

static void
feed_lines (Run        *run,
            const char *data,
            gsize       size)
{
  for (gsize i = 0; i < size; i++)
    {
      /* qemu-img -p ends its progress lines with '\r'. */
      if (data[i] == '\r' || data[i] == '\n')
        {
          if (run->line->len > 0)
            run->line_func (run->line->str, run->line_data);
          g_string_truncate (run->line, 0);
        }
      else
        g_string_append_c (run->line, data[i]);
    }
}

static void read_pipe (GTask *task, GInputStream *pipe);

static void
on_pipe_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  GInputStream *pipe = G_INPUT_STREAM (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (pipe, result, &error);
  gboolean is_stdout = pipe == g_subprocess_get_stdout_pipe (run->process);
  gsize size;
  const char *data;

  if (bytes == NULL)
    {
      if (run->read_error == NULL)
        run->read_error = g_error_new (HANGAR_ERROR, HANGAR_ERROR_FAILED,
                                       _("Cannot read qemu-img's output: %s"), error->message);
      run_piece_done (task);
      return;
    }

  data = g_bytes_get_data (bytes, &size);
  if (size == 0)
    {
      if (is_stdout && run->line_func != NULL)
        feed_lines (run, "\n", 1);
      run_piece_done (task);
      return;
    }

  if (!is_stdout)
    g_string_append_len (run->err, data, (gssize) MIN (size, STDERR_LIMIT - MIN (run->err->len, STDERR_LIMIT)));
  else if (run->line_func != NULL)
    feed_lines (run, data, size);
  else
    g_string_append_len (run->out, data, (gssize) size);

  read_pipe (task, pipe);
}

/* Reads until EOF without a cancellable: killing qemu-img closes the pipes,
 * and its last words are wanted even then. */
static void
read_pipe (GTask        *task,
           GInputStream *pipe)
{
  g_input_stream_read_bytes_async (pipe, PIPE_READ_SIZE, G_PRIORITY_DEFAULT, NULL,
                                   on_pipe_read, g_object_ref (task));
}

static void
on_exited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  /* Without a cancellable, waiting cannot fail. */
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  run_piece_done (task);
}

/* May run in the thread that cancels: g_subprocess_force_exit only sends
 * SIGKILL, which is safe from anywhere. */
static void
on_run_cancelled (GCancellable *cancellable G_GNUC_UNUSED,
                  gpointer      user_data)
{
  g_subprocess_force_exit (G_SUBPROCESS (user_data));
}

/* Runs qemu-img with `argv` (without "qemu-img"), collecting stdout (or
 * giving it line by line to `line_func`) and stderr. With a cancellable,
 * cancelling kills qemu-img and the run ends with G_IO_ERROR_CANCELLED once
 * it has exited. `what` and `paths` shape the error message. */
static void
run_qemu_img_async (const char * const *argv,
                    const char         *what,
                    const char * const *paths,
                    LineFunc            line_func,
                    gpointer            line_data,
                    GCancellable       *cancellable,
                    GAsyncReadyCallback callback,
                    gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GPtrArray) full_argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  Run *run;

  g_task_set_source_tag (task, run_qemu_img_async);
  /* Cancellation is reported by run_return, after qemu-img has exited. */
  g_task_set_check_cancellable (task, FALSE);

  if (g_task_return_error_if_cancelled (task))
    return;

  g_ptr_array_add (full_argv, (gpointer) "qemu-img");
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (full_argv, (gpointer) argv[i]);
  g_ptr_array_add (full_argv, NULL);

  run = g_new0 (Run, 1);
  run->what = g_strdup (what);
  run->paths = g_strdupv ((char **) paths);
  run->out = g_string_new (NULL);
  run->line = g_string_new (NULL);
  run->err = g_string_new (NULL);
  run->line_func = line_func;
  run->line_data = line_data;
  g_task_set_task_data (task, run, (GDestroyNotify) run_free);

  /* stdin stays /dev/null: qemu-img must never wait for a password. */
  run->process = g_subprocess_newv ((const char * const *) full_argv->pdata,
                                    G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                    G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                    &error);
  if (run->process == NULL)
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                               _("Cannot run qemu-img: %s"), error->message);
      return;
    }

  run->pending = 3;
  read_pipe (task, g_subprocess_get_stdout_pipe (run->process));
  read_pipe (task, g_subprocess_get_stderr_pipe (run->process));
  g_subprocess_wait_async (run->process, NULL, on_exited, g_object_ref (task));

  if (cancellable != NULL)
    {
      run->cancellable = g_object_ref (cancellable);
      run->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_run_cancelled),
                                                 g_object_ref (run->process), g_object_unref);
    }
}

/* Returns qemu-img's stdout (empty with a line_func). */
static char *
run_qemu_img_finish (GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static char *
size_argument (guint64 size)
{
  return g_strdup_printf ("%" G_GUINT64_FORMAT, size);
}

/* ---- Info ----------------------------------------------------------------- */

/* qemu-img's own test for "proto:..." names: a ':' before any '/'. */
static gboolean
has_protocol (const char *name)
{
  const char *colon = strchr (name, ':');
  const char *slash = strchr (name, '/');

  return colon != NULL && (slash == NULL || colon < slash);
}

/* Backing names in qcow2 headers may be relative to the image's directory. */
static char *
resolve_backing (const char *image_path,
                 const char *backing)
{
  g_autofree char *dir = NULL;

  if (g_path_is_absolute (backing) || has_protocol (backing))
    return g_strdup (backing);
  dir = g_path_get_dirname (image_path);
  return g_canonicalize_filename (backing, dir);
}

static HangardImageInfo *
parse_info (const char  *json,
            const char  *path,
            GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(HangardImageInfo) info = g_new0 (HangardImageInfo, 1);
  g_autoptr(GError) local_error = NULL;
  JsonObject *object;
  const char *backing;

  if (!json_parser_load_from_data (parser, json, -1, &local_error) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                   _("qemu-img gave unreadable information about %s"), path);
      return NULL;
    }
  object = json_node_get_object (json_parser_get_root (parser));

  if (json_object_get_string_member_with_default (object, "format", NULL) == NULL ||
      !json_object_has_member (object, "virtual-size"))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                   _("qemu-img gave no format or size for %s"), path);
      return NULL;
    }

  info->format = g_strdup (json_object_get_string_member (object, "format"));
  info->virtual_size = (guint64) MAX (0, json_object_get_int_member (object, "virtual-size"));
  info->actual_size = (guint64) MAX (0, json_object_get_int_member_with_default (object, "actual-size", 0));

  backing = json_object_get_string_member_with_default (object, "full-backing-filename", NULL);
  if (backing == NULL)
    backing = json_object_get_string_member_with_default (object, "backing-filename", NULL);
  if (backing != NULL && *backing != '\0')
    {
      info->backing_path = resolve_backing (path, backing);
      info->backing_format = g_strdup (json_object_get_string_member_with_default (object, "backing-filename-format", NULL));
    }
  return g_steal_pointer (&info);
}

static void
on_info_run (GObject      *source G_GNUC_UNUSED,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = run_qemu_img_finish (result, &error);
  HangardImageInfo *info;

  if (json == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  info = parse_info (json, g_task_get_task_data (task), &error);
  if (info == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, info, (GDestroyNotify) hangard_image_info_free);
}

void
hangard_qemu_img_info_async (const char          *path,
                             const char          *format,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree char *abs_path = absolute_path (path);
  g_autofree char *what = g_strdup_printf (_("could not read %s"), abs_path);
  const char *paths[] = { abs_path, NULL };
  const char *argv[] = { "info", "-U", "--output=json", "-f", format, abs_path, NULL };

  g_task_set_source_tag (task, hangard_qemu_img_info_async);
  g_task_set_task_data (task, g_strdup (abs_path), g_free);

  if (format == NULL)
    {
      /* Let qemu-img probe: drop "-f FORMAT". */
      argv[3] = abs_path;
      argv[4] = NULL;
    }
  run_qemu_img_async (argv, what, paths, NULL, NULL, cancellable, on_info_run, g_steal_pointer (&task));
}

HangardImageInfo *
hangard_qemu_img_info_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Create --------------------------------------------------------------- */

/* Ends a task whose file `path` we created: on failure or cancellation the
 * file goes, so no partial image is ever left behind. */
static void
return_for_created_file (GTask      *task,
                         const char *path,
                         GError     *error)
{
  if (error == NULL && !g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (g_unlink (path) < 0 && errno != ENOENT)
    g_warning ("Cannot remove %s: %s", path, g_strerror (errno));
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Operation was cancelled"));
}

static void
on_create_run (GObject      *source G_GNUC_UNUSED,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autofree char *output = NULL;
  GError *error = NULL;

  output = run_qemu_img_finish (result, &error);
  return_for_created_file (task, g_task_get_task_data (task), error);
}

void
hangard_qemu_img_create_async (const char          *path,
                               const char          *format,
                               guint64              size,
                               gboolean             preallocate,
                               const char          *backing_path,
                               const char          *backing_format,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *abs_path = absolute_path (path);
  g_autofree char *abs_backing = backing_path ? absolute_path (backing_path) : NULL;
  g_autofree char *size_arg = size_argument (size);
  g_autofree char *what = g_strdup_printf (_("could not create %s"), abs_path);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *paths[] = { abs_path, abs_backing, NULL };
  GError *error = NULL;

  g_return_if_fail (format != NULL);
  g_return_if_fail (backing_path == NULL || backing_format != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, hangard_qemu_img_create_async);
  g_task_set_check_cancellable (task, FALSE);

  if (g_task_return_error_if_cancelled (task))
    return;
  if (!create_exclusive (abs_path, NULL, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, g_strdup (abs_path), g_free);

  g_ptr_array_add (argv, (gpointer) "create");
  g_ptr_array_add (argv, (gpointer) "-q");
  g_ptr_array_add (argv, (gpointer) "-f");
  g_ptr_array_add (argv, (gpointer) format);
  if (preallocate)
    {
      /* falloc reserves the space without writing it: fast, and it fails
       * with ENOSPC up front when the space is not there. */
      g_ptr_array_add (argv, (gpointer) "-o");
      g_ptr_array_add (argv, (gpointer) "preallocation=falloc");
    }
  if (abs_backing != NULL)
    {
      /* qemu-img 7.2 refuses -b without -F: it never probes the backing file. */
      g_ptr_array_add (argv, (gpointer) "-b");
      g_ptr_array_add (argv, abs_backing);
      g_ptr_array_add (argv, (gpointer) "-F");
      g_ptr_array_add (argv, (gpointer) backing_format);
    }
  g_ptr_array_add (argv, abs_path);
  /* Without a size an overlay takes its backing file's. */
  if (size != 0 || abs_backing == NULL)
    g_ptr_array_add (argv, size_arg);
  g_ptr_array_add (argv, NULL);

  run_qemu_img_async ((const char * const *) argv->pdata, what, paths, NULL, NULL,
                      cancellable, on_create_run, g_steal_pointer (&task));
}

gboolean
hangard_qemu_img_create_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Resize --------------------------------------------------------------- */

static void
on_resize_run (GObject      *source G_GNUC_UNUSED,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autofree char *output = NULL;
  GError *error = NULL;

  output = run_qemu_img_finish (result, &error);
  if (output == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
hangard_qemu_img_resize_async (const char          *path,
                               const char          *format,
                               guint64              size,
                               gboolean             shrink,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *abs_path = absolute_path (path);
  g_autofree char *size_arg = size_argument (size);
  g_autofree char *what = g_strdup_printf (_("could not resize %s"), abs_path);
  const char *paths[] = { abs_path, NULL };
  const char *argv[] = { "resize", "-q", "-f", format, abs_path, size_arg, NULL, NULL };

  g_return_if_fail (format != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, hangard_qemu_img_resize_async);
  /* Once qemu-img runs, the outcome is reported as it is. */
  g_task_set_check_cancellable (task, FALSE);

  if (g_task_return_error_if_cancelled (task))
    return;

  if (shrink)
    {
      argv[4] = "--shrink";
      argv[5] = abs_path;
      argv[6] = size_arg;
    }
  /* No cancellable: killing qemu-img halfway through rewriting a qcow2's
   * tables could damage the image, and a resize without preallocation is
   * quick anyway. */
  run_qemu_img_async (argv, what, paths, NULL, NULL, NULL, on_resize_run, g_steal_pointer (&task));
}

gboolean
hangard_qemu_img_resize_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Convert -------------------------------------------------------------- */

typedef struct {
  char                *source;
  char                *source_format;
  char                *destination;
  char                *destination_format;
  HangardProgressFunc  progress;
  gpointer             progress_data;
  GCancellable        *cancellable;
  guint64              total;
  guint64              done;
  gboolean             reported;   /* done was given to progress */
} Convert;

static void
convert_free (Convert *convert)
{
  g_free (convert->source);
  g_free (convert->source_format);
  g_free (convert->destination);
  g_free (convert->destination_format);
  g_clear_object (&convert->cancellable);
  g_free (convert);
}

static void
convert_report (Convert *convert,
                guint64  done)
{
  /* Never backwards, never past the end, and silent once cancelled. */
  done = MIN (done, convert->total);
  if (done < convert->done || (convert->reported && done == convert->done) ||
      convert->progress == NULL || g_cancellable_is_cancelled (convert->cancellable))
    return;
  convert->done = done;
  convert->reported = TRUE;
  convert->progress (done, convert->total, convert->progress_data);
}

/* A line of `qemu-img convert -p`: "    (12.34/100%)". */
static void
on_convert_line (const char *line,
                 gpointer    user_data)
{
  Convert *convert = user_data;
  const char *open = strchr (line, '(');
  char *end = NULL;
  double percent;

  if (open == NULL)
    return;
  percent = g_ascii_strtod (open + 1, &end);
  if (end == open + 1 || *end != '/' || percent < 0.0)
    return;
  convert_report (convert, (guint64) (MIN (percent, 100.0) / 100.0 * (double) convert->total));
}

static void
on_convert_run (GObject      *source G_GNUC_UNUSED,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Convert *convert = g_task_get_task_data (task);
  g_autofree char *output = NULL;
  GError *error = NULL;

  output = run_qemu_img_finish (result, &error);
  if (output != NULL)
    convert_report (convert, convert->total);
  return_for_created_file (task, convert->destination, error);
}

static void
on_convert_source_info (GObject      *source G_GNUC_UNUSED,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Convert *convert = g_task_get_task_data (task);
  g_autoptr(HangardImageInfo) info = NULL;
  g_autofree char *what = NULL;
  const char *paths[] = { convert->source, convert->destination, NULL };
  const char *argv[] = { "convert", "-p", "-f", convert->source_format,
                         "-O", convert->destination_format,
                         convert->source, convert->destination, NULL };
  GError *error = NULL;

  info = hangard_qemu_img_info_finish (result, &error);
  if (info == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  if (!create_exclusive (convert->destination, NULL, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  convert->total = info->virtual_size;
  what = g_strdup_printf (_("could not copy %s to %s"), convert->source, convert->destination);
  run_qemu_img_async (argv, what, paths, on_convert_line, convert,
                      convert->cancellable, on_convert_run, g_steal_pointer (&task));
}

void
hangard_qemu_img_convert_async (const char          *source,
                                const char          *source_format,
                                const char          *destination,
                                const char          *destination_format,
                                HangardProgressFunc  progress,
                                gpointer             progress_data,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Convert *convert;

  g_return_if_fail (source_format != NULL && destination_format != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  convert = g_new0 (Convert, 1);
  g_task_set_source_tag (task, hangard_qemu_img_convert_async);
  g_task_set_check_cancellable (task, FALSE);

  convert->source = absolute_path (source);
  convert->source_format = g_strdup (source_format);
  convert->destination = absolute_path (destination);
  convert->destination_format = g_strdup (destination_format);
  convert->progress = progress;
  convert->progress_data = progress_data;
  convert->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  g_task_set_task_data (task, convert, (GDestroyNotify) convert_free);

  /* The size first: progress is reported in bytes of it. */
  hangard_qemu_img_info_async (convert->source, source_format, cancellable,
                               on_convert_source_info, g_steal_pointer (&task));
}

gboolean
hangard_qemu_img_convert_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Copying a stream into a file ----------------------------------------- */

typedef struct {
  GInputStream        *input;
  GOutputStream       *output;
  int                  fd;          /* the destination; output writes to it */
  char                *destination;
  guint8              *buffer;
  gsize                chunk;       /* bytes in buffer */
  guint64              offset;      /* bytes of the file done so far */
  guint64              total;
  HangardProgressFunc  progress;
  gpointer             progress_data;
} Copy;

static void
copy_free (Copy *copy)
{
  g_clear_object (&copy->input);
  g_clear_object (&copy->output);
  if (copy->fd >= 0)
    close (copy->fd);
  g_free (copy->destination);
  g_free (copy->buffer);
  g_free (copy);
}

static gboolean
is_all_zero (const guint8 *data,
             gsize         size)
{
  /* Comparing the buffer with itself shifted by one byte: all equal to the
   * first one, which is zero. */
  return size == 0 || (data[0] == 0 && memcmp (data, data + 1, size - 1) == 0);
}

static void copy_read_next (GTask *task);

/* Stream errors become HANGAR_ERROR_FAILED (which has a D-Bus name) with
 * the file named; cancellation stays what it is. */
static GError *
copy_error (GError     *error,
            const char *format,
            const char *name)
{
  GError *hangar_error;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;
  hangar_error = g_error_new (HANGAR_ERROR, HANGAR_ERROR_FAILED, format, name, error->message);
  g_error_free (error);
  return hangar_error;
}

/* The end, in a thread: the length (the file may end in a hole) and fsync,
 * which can take seconds for a big file. */
static void
copy_sync_thread (GTask        *task,
                  gpointer      source_object G_GNUC_UNUSED,
                  gpointer      task_data,
                  GCancellable *cancellable G_GNUC_UNUSED)
{
  Copy *copy = task_data;

  if (ftruncate (copy->fd, (off_t) copy->offset) < 0 || fsync (copy->fd) < 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                               _("Cannot write %s: %s"), copy->destination, g_strerror (saved_errno));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
on_copy_synced (GObject      *source G_GNUC_UNUSED,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Copy *copy = g_task_get_task_data (task);
  GError *error = NULL;

  g_task_propagate_boolean (G_TASK (result), &error);
  return_for_created_file (task, copy->destination, error);
}

static void
copy_finish_file (GTask *task)
{
  Copy *copy = g_task_get_task_data (task);
  /* A task of its own: the sync thread must not end the caller's task,
   * which still has to remove the file if this fails. */
  g_autoptr(GTask) sync = g_task_new (NULL, NULL, on_copy_synced, g_object_ref (task));

  g_task_set_task_data (sync, copy, NULL);
  g_task_run_in_thread (sync, copy_sync_thread);
}

static void
copy_chunk_done (GTask *task)
{
  Copy *copy = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  copy->offset += copy->chunk;
  if (copy->progress != NULL && !g_cancellable_is_cancelled (cancellable))
    copy->progress (copy->offset, copy->total ? MAX (copy->total, copy->offset) : 0,
                    copy->progress_data);

  /* read_all only comes back short at the end of the input. */
  if (copy->chunk < COPY_CHUNK)
    copy_finish_file (task);
  else
    copy_read_next (task);
}

static void
on_copy_written (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Copy *copy = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      return_for_created_file (task, copy->destination,
                               copy_error (error, _("Cannot write %s: %s"), copy->destination));
      return;
    }
  copy_chunk_done (task);
}

static void
on_copy_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Copy *copy = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &copy->chunk, &error))
    {
      return_for_created_file (task, copy->destination,
                               copy_error (error, _("Cannot read the data for %s: %s"), copy->destination));
      return;
    }

  if (is_all_zero (copy->buffer, copy->chunk))
    {
      /* Skip over it: the file keeps a hole there, which reads as zeros. */
      if (lseek (copy->fd, (off_t) (copy->offset + copy->chunk), SEEK_SET) < 0)
        {
          int saved_errno = errno;

          return_for_created_file (task, copy->destination,
                                   g_error_new (HANGAR_ERROR, HANGAR_ERROR_FAILED,
                                                _("Cannot write %s: %s"), copy->destination,
                                                g_strerror (saved_errno)));
          return;
        }
      copy_chunk_done (task);
      return;
    }

  g_output_stream_write_all_async (copy->output, copy->buffer, copy->chunk, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), on_copy_written,
                                   g_object_ref (task));
}

static void
copy_read_next (GTask *task)
{
  Copy *copy = g_task_get_task_data (task);

  g_input_stream_read_all_async (copy->input, copy->buffer, COPY_CHUNK, G_PRIORITY_DEFAULT,
                                 g_task_get_cancellable (task), on_copy_read, g_object_ref (task));
}

void
hangard_copy_fd_to_file_async (int                  source_fd,
                               const char          *destination,
                               guint64              total,
                               HangardProgressFunc  progress,
                               gpointer             progress_data,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Copy *copy = g_new0 (Copy, 1);
  GError *error = NULL;

  g_task_set_source_tag (task, hangard_copy_fd_to_file_async);
  g_task_set_check_cancellable (task, FALSE);

  /* The stream owns source_fd from here on, whatever happens. */
  copy->input = g_unix_input_stream_new (source_fd, TRUE);
  copy->fd = -1;
  copy->destination = absolute_path (destination);
  copy->total = total;
  copy->progress = progress;
  copy->progress_data = progress_data;
  g_task_set_task_data (task, copy, (GDestroyNotify) copy_free);

  if (g_task_return_error_if_cancelled (task))
    return;
  if (!create_exclusive (copy->destination, &copy->fd, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  copy->output = g_unix_output_stream_new (copy->fd, FALSE);
  copy->buffer = g_malloc (COPY_CHUNK);
  copy_read_next (task);
}

gboolean
hangard_copy_fd_to_file_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Internal snapshots --------------------------------------------------- */

/* json:{"driver":FORMAT,"file":{"driver":"file","filename":PATH}} */
static char *
json_image_name (const char *path,
                 const char *format)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "driver");
  json_builder_add_string_value (builder, format);
  json_builder_set_member_name (builder, "file");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "driver");
  json_builder_add_string_value (builder, "file");
  json_builder_set_member_name (builder, "filename");
  json_builder_add_string_value (builder, path);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, NULL);
  return g_strconcat ("json:", json, NULL);
}

static void
on_snapshot_run (GObject      *source G_GNUC_UNUSED,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autofree char *output = NULL;
  GError *error = NULL;

  output = run_qemu_img_finish (result, &error);
  if (output == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
hangard_qemu_img_snapshot_async (const char               *path,
                                 const char               *format,
                                 HangardQemuImgSnapshotOp  op,
                                 const char               *tag,
                                 GCancellable             *cancellable,
                                 GAsyncReadyCallback       callback,
                                 gpointer                  user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *abs_path = absolute_path (path);
  g_autofree char *what = NULL;
  const char *paths[] = { abs_path, NULL };
  const char *flag;

  g_return_if_fail (format != NULL);
  g_return_if_fail (tag != NULL);

  switch (op)
    {
    case HANGARD_QEMU_IMG_SNAPSHOT_CREATE:
      flag = "-c";
      what = g_strdup_printf (_("could not create snapshot “%s” in %s"), tag, abs_path);
      break;
    case HANGARD_QEMU_IMG_SNAPSHOT_APPLY:
      flag = "-a";
      what = g_strdup_printf (_("could not revert %s to snapshot “%s”"), abs_path, tag);
      break;
    case HANGARD_QEMU_IMG_SNAPSHOT_DELETE:
      flag = "-d";
      what = g_strdup_printf (_("could not delete snapshot “%s” from %s"), tag, abs_path);
      break;
    default:
      g_return_if_reached ();
    }

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, hangard_qemu_img_snapshot_async);
  if (g_task_return_error_if_cancelled (task))
    return;

  {
    /* qemu-img 7.2's snapshot has no -f: the format is stated in a json:
     * file name instead, so it is never probed (and commas need no care).
     * The tag is an option's argument: one starting with '-' stays a tag. */
    g_autofree char *image = json_image_name (abs_path, format);
    const char *argv[] = { "snapshot", "-q", flag, tag, image, NULL };

    run_qemu_img_async (argv, what, paths, NULL, NULL, NULL, on_snapshot_run, g_steal_pointer (&task));
  }
}

gboolean
hangard_qemu_img_snapshot_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static GStrv
parse_snapshot_names (const char  *json,
                      const char  *path,
                      GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  JsonObject *object;
  JsonArray *snapshots;

  if (!json_parser_load_from_data (parser, json, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                   _("qemu-img gave unreadable information about %s"), path);
      return NULL;
    }
  object = json_node_get_object (json_parser_get_root (parser));
  snapshots = json_object_has_member (object, "snapshots")
              ? json_object_get_array_member (object, "snapshots") : NULL;
  for (guint i = 0; snapshots != NULL && i < json_array_get_length (snapshots); i++)
    {
      JsonNode *element = json_array_get_element (snapshots, i);
      JsonObject *snapshot = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
      const char *name = snapshot ? json_object_get_string_member_with_default (snapshot, "name", NULL) : NULL;

      if (name != NULL)
        g_strv_builder_add (names, name);
    }
  return g_strv_builder_end (names);
}

static void
on_snapshot_list_run (GObject      *source G_GNUC_UNUSED,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = run_qemu_img_finish (result, &error);
  GStrv names;

  if (json == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  names = parse_snapshot_names (json, g_task_get_task_data (task), &error);
  if (names == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, names, (GDestroyNotify) g_strfreev);
}

void
hangard_qemu_img_snapshot_list_async (const char          *path,
                                      const char          *format,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree char *abs_path = absolute_path (path);
  g_autofree char *what = g_strdup_printf (_("could not read %s"), abs_path);
  const char *paths[] = { abs_path, NULL };
  const char *argv[] = { "info", "-U", "--output=json", "-f", format, abs_path, NULL };

  g_return_if_fail (format != NULL);

  g_task_set_source_tag (task, hangard_qemu_img_snapshot_list_async);
  g_task_set_task_data (task, g_strdup (abs_path), g_free);
  run_qemu_img_async (argv, what, paths, NULL, NULL, cancellable, on_snapshot_list_run,
                      g_steal_pointer (&task));
}

GStrv
hangard_qemu_img_snapshot_list_finish (GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
