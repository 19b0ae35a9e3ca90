/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangarctl"

#include "hangarctl.h"

#include "hangar-connection.h"
#include "hangard-error.h"

#include <errno.h>
#include <glib-unix.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Storage sizes as virsh reads and writes them, and waiting for the
 * engine's jobs (volume creation, upload, clone) with a progress bar. */

/* Sizes */

/* virsh's vshPrettyCapacity(): the value in the largest binary unit that
 * keeps it at least 1. */
double
hangarctl_pretty_capacity (guint64      bytes,
                           const char **unit)
{
  static const char * const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
  double value = (double) bytes;
  gsize i = 0;

  while (value >= 1024.0 && i + 1 < G_N_ELEMENTS (units))
    {
      value /= 1024.0;
      i++;
    }
  *unit = units[i];
  return value;
}

/* "19.56 GiB", as virsh's pool-info, vol-info and --details tables. */
char *
hangarctl_format_capacity (guint64 bytes)
{
  const char *unit;
  double value = hangarctl_pretty_capacity (bytes, &unit);

  return g_strdup_printf ("%.2f %s", value, unit);
}

static gboolean
suffix_scale (const char *suffix,
              guint64    *scale)
{
  static const char units[] = "kmgtpe";
  const char *unit;
  guint64 base;

  if (*suffix == '\0' || g_ascii_strcasecmp (suffix, "b") == 0 ||
      g_ascii_strcasecmp (suffix, "byte") == 0 || g_ascii_strcasecmp (suffix, "bytes") == 0)
    {
      *scale = 1;
      return TRUE;
    }

  unit = strchr (units, g_ascii_tolower (suffix[0]));
  if (unit == NULL)
    return FALSE;

  if (suffix[1] == '\0' || g_ascii_strcasecmp (suffix + 1, "ib") == 0)
    base = 1024;
  else if (g_ascii_strcasecmp (suffix + 1, "b") == 0)
    base = 1000;
  else
    return FALSE;

  *scale = 1;
  for (const char *u = units; u <= unit; u++)
    *scale *= base;
  return TRUE;
}

/* virsh's scaled integers (vol-create-as, vol-resize): a number of bytes,
 * optionally followed by a unit: b, byte, bytes; K, M, G, T, P, E alone or
 * with "iB" (powers of 1024) or with "B" (powers of 1000); any case. */
gboolean
hangarctl_parse_capacity (const char  *text,
                          guint64     *bytes,
                          GError     **error)
{
  char *end = NULL;
  guint64 number;
  guint64 scale;

  if (!g_ascii_isdigit (*text))
    goto invalid;

  errno = 0;
  number = g_ascii_strtoull (text, &end, 10);
  if (errno != 0 || !suffix_scale (end, &scale) || number > G_MAXUINT64 / scale)
    goto invalid;

  *bytes = number * scale;
  return TRUE;

invalid:
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               _("Malformed size “%s”: use a number of bytes, optionally followed by "
                 "K, M, G, T (KiB… powers of 1024) or KB, MB, GB, TB (powers of 1000)"),
               text);
  return FALSE;
}

/* Jobs */

#define BAR_MAX_WIDTH 30
#define BAR_MIN_WIDTH 10
#define SHOW_AFTER_MSEC 500          /* quick jobs draw nothing */
#define CANCEL_GRACE_SECONDS 15      /* after Cancel, wait this long for the job to end */

typedef struct {
  HangarJob        *job;
  GMainLoop        *loop;
  const char       *label;
  gboolean          draw;            /* stderr is a terminal */
  gboolean          visible;         /* SHOW_AFTER_MSEC have passed */
  gsize             drawn_width;     /* of the line on screen, 0: none */
  gboolean          cancelling;      /* Cancel was asked */
  GCancellable     *cancel_call;     /* for that call, which may outlive the wait */
  GError           *error;           /* ends the wait although the job runs */
  guint             sigint_id;
  guint             show_id;
  guint             grace_id;
} JobWait;

static gboolean
job_is_running (HangarJob *job)
{
  return g_strcmp0 (hangar_job_get_state (job), "running") == 0;
}

static guint
terminal_columns (void)
{
  struct winsize size = { 0 };

  if (ioctl (STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
    return size.ws_col;
  return 80;
}

/* "1.2 GiB": one decimal is enough while it moves. */
static char *
format_progress_size (guint64 bytes)
{
  const char *unit;
  double value = hangarctl_pretty_capacity (bytes, &unit);

  if (g_str_equal (unit, "B"))
    return g_strdup_printf ("%" G_GUINT64_FORMAT " B", bytes);
  return g_strdup_printf ("%.1f %s", value, unit);
}

/* " 45%  1.2 GiB/2.6 GiB", or "  1.2 GiB" when the total is unknown. */
static char *
progress_tail (guint64 done,
               guint64 total)
{
  g_autofree char *done_text = format_progress_size (done);
  g_autofree char *total_text = NULL;
  guint percent;

  if (total == 0)
    return g_strdup_printf ("  %s", done_text);

  total_text = format_progress_size (total);
  percent = (guint) (MIN (done, total) * 100.0 / total);
  return g_strdup_printf (" %u%%  %s/%s", percent, done_text, total_text);
}

static void
append_bar (GString *line,
            gsize    width,
            guint64  done,
            guint64  total)
{
  gsize filled = (gsize) ((double) MIN (done, total) / total * width);

  g_string_append (line, " [");
  for (gsize i = 0; i < width; i++)
    {
      if (i < filled)
        g_string_append_c (line, '=');
      else if (i == filled)
        g_string_append_c (line, '>');
      else
        g_string_append_c (line, ' ');
    }
  g_string_append_c (line, ']');
}

/* The label cut to @room columns, with "…" when it had to be cut. */
static void
append_label (GString    *line,
              const char *label,
              gsize       room)
{
  gsize width = 0;

  if (hangarctl_display_width (label) <= room)
    {
      g_string_append (line, label);
      return;
    }

  for (const char *p = label; *p != '\0' && room > 0; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gsize char_width = g_unichar_iswide (c) ? 2 : 1;

      if (width + char_width + 1 > room)
        break;
      g_string_append_unichar (line, c);
      width += char_width;
    }
  if (room > 0)
    g_string_append (line, "…");
}

/* "Copying disk.qcow2 [=====>     ] 45%  1.2 GiB/2.6 GiB", at most
 * @columns - 1 wide so that it never wraps. */
static char *
progress_line (const char *label,
               guint64     done,
               guint64     total,
               guint       columns)
{
  g_autofree char *tail = progress_tail (done, total);
  gsize room = columns > 1 ? columns - 1 : 0;
  gsize tail_width = hangarctl_display_width (tail);
  gsize label_width = hangarctl_display_width (label);
  gsize bar_width = 0;
  GString *line = g_string_new (NULL);

  /* A narrow terminal: the percentage alone. */
  if (total > 0 && tail_width + 8 > room)
    {
      g_free (tail);
      tail = g_strdup_printf (" %u%%", (guint) (MIN (done, total) * 100.0 / total));
      tail_width = hangarctl_display_width (tail);
    }

  if (total > 0)
    {
      bar_width = BAR_MAX_WIDTH;
      if (label_width + 3 + bar_width + tail_width > room)
        bar_width = room > label_width + 3 + tail_width + BAR_MIN_WIDTH
                    ? room - label_width - 3 - tail_width
                    : BAR_MIN_WIDTH;
      if (3 + bar_width + tail_width + 8 > room)
        bar_width = 0;
    }

  append_label (line, label, room - MIN (room, tail_width + (bar_width > 0 ? bar_width + 3 : 0)));
  if (bar_width > 0)
    append_bar (line, bar_width, done, total);
  if (line->len > 0 || room >= tail_width)
    g_string_append (line, tail);
  return g_string_free (line, FALSE);
}

static void
clear_line (JobWait *wait)
{
  if (wait->drawn_width == 0)
    return;

  fprintf (stderr, "\r%*s\r", (int) wait->drawn_width, "");
  fflush (stderr);
  wait->drawn_width = 0;
}

static void
draw (JobWait *wait)
{
  g_autofree char *line = NULL;
  gsize width;

  if (!wait->draw || !wait->visible || !job_is_running (wait->job))
    return;

  line = progress_line (wait->label, hangar_job_get_bytes_done (wait->job),
                        hangar_job_get_bytes_total (wait->job), terminal_columns ());
  width = hangarctl_display_width (line);

  /* Spaces over what a longer previous line left: no terminal codes needed. */
  fprintf (stderr, "\r%s%*s", line, (int) (wait->drawn_width > width ? wait->drawn_width - width : 0), "");
  fflush (stderr);
  wait->drawn_width = MAX (width, wait->drawn_width);
}

static void
stop_waiting (JobWait *wait,
              GError  *error)
{
  if (error != NULL && wait->error == NULL)
    wait->error = error;
  else if (error != NULL)
    g_error_free (error);
  g_main_loop_quit (wait->loop);
}

static GError *
cancelled_error (void)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("cancelled"));
}

static void
on_properties_changed (GDBusProxy *proxy G_GNUC_UNUSED,
                       GVariant   *changed G_GNUC_UNUSED,
                       GStrv       invalidated G_GNUC_UNUSED,
                       gpointer    user_data)
{
  JobWait *wait = user_data;

  if (!job_is_running (wait->job))
    stop_waiting (wait, NULL);
  else
    draw (wait);
}

static void
on_name_owner (GObject    *object G_GNUC_UNUSED,
               GParamSpec *pspec G_GNUC_UNUSED,
               gpointer    user_data)
{
  JobWait *wait = user_data;
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (wait->job));

  if (owner == NULL)
    stop_waiting (wait, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                             _("The Hangar engine went away before the job ended")));
}

static void
on_connection_closed (GDBusConnection *connection G_GNUC_UNUSED,
                      gboolean         remote_peer_vanished G_GNUC_UNUSED,
                      GError          *error G_GNUC_UNUSED,
                      gpointer         user_data)
{
  stop_waiting (user_data, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                                _("The connection to the Hangar engine was "
                                                  "lost before the job ended")));
}

static gboolean
on_show (gpointer user_data)
{
  JobWait *wait = user_data;

  wait->show_id = 0;
  wait->visible = TRUE;
  draw (wait);
  return G_SOURCE_REMOVE;
}

static gboolean
on_grace_over (gpointer user_data)
{
  JobWait *wait = user_data;

  wait->grace_id = 0;
  stop_waiting (wait, cancelled_error ());
  return G_SOURCE_REMOVE;
}

static void
on_cancel_done (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  JobWait *wait = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = hangar_job_call_cancel_finish (HANGAR_JOB (object), result, &error);

  /* The wait is over and @wait gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (ok)
    {
      /* The job removes what it made, then says "cancelled". */
      if (job_is_running (wait->job))
        wait->grace_id = g_timeout_add_seconds (CANCEL_GRACE_SECONDS, on_grace_over, wait);
      else
        stop_waiting (wait, NULL);
      return;
    }

  /* InvalidState: it ended meanwhile, and its State tells how. */
  if (g_error_matches (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE))
    {
      if (!job_is_running (wait->job))
        stop_waiting (wait, NULL);
      return;
    }

  stop_waiting (wait, g_steal_pointer (&error));
}

/* Ctrl+C cancels the job; a second one stops waiting for it to go. */
static gboolean
on_sigint (gpointer user_data)
{
  JobWait *wait = user_data;

  if (wait->cancelling)
    {
      stop_waiting (wait, cancelled_error ());
      return G_SOURCE_CONTINUE;
    }

  wait->cancelling = TRUE;
  hangar_job_call_cancel (wait->job, wait->cancel_call, on_cancel_done, wait);
  return G_SOURCE_CONTINUE;
}

static void
run_loop (JobWait *wait)
{
  GDBusConnection *connection = g_dbus_proxy_get_connection (G_DBUS_PROXY (wait->job));
  gulong properties_id, owner_id = 0, closed_id;

  properties_id = g_signal_connect (wait->job, "g-properties-changed",
                                    G_CALLBACK (on_properties_changed), wait);
  if (g_dbus_proxy_get_name (G_DBUS_PROXY (wait->job)) != NULL)
    owner_id = g_signal_connect (wait->job, "notify::g-name-owner",
                                 G_CALLBACK (on_name_owner), wait);
  closed_id = g_signal_connect (connection, "closed", G_CALLBACK (on_connection_closed), wait);
  wait->sigint_id = g_unix_signal_add (SIGINT, on_sigint, wait);
  wait->show_id = g_timeout_add (SHOW_AFTER_MSEC, on_show, wait);

  if (job_is_running (wait->job) && !g_dbus_connection_is_closed (connection))
    g_main_loop_run (wait->loop);

  g_clear_handle_id (&wait->sigint_id, g_source_remove);
  g_clear_handle_id (&wait->show_id, g_source_remove);
  g_clear_handle_id (&wait->grace_id, g_source_remove);
  g_cancellable_cancel (wait->cancel_call);
  g_signal_handler_disconnect (connection, closed_id);
  if (owner_id != 0)
    g_signal_handler_disconnect (wait->job, owner_id);
  g_signal_handler_disconnect (wait->job, properties_id);
  clear_line (wait);
}

/* How the job ended, as hangarctl reports it. */
static gboolean
job_outcome (HangarJob  *job,
             char      **result_path,
             GError    **error)
{
  const char *state = hangar_job_get_state (job);
  const char *error_name = hangar_job_get_error_name (job);
  const char *message = hangar_job_get_error_message (job);

  if (g_strcmp0 (state, "completed") == 0)
    {
      if (result_path != NULL)
        *result_path = g_strdup (hangar_job_get_result (job));
      return TRUE;
    }

  if (g_strcmp0 (state, "cancelled") == 0)
    {
      g_propagate_error (error, cancelled_error ());
      return FALSE;
    }

  if (message == NULL || *message == '\0')
    message = _("The job failed without saying why");

  if (g_strcmp0 (state, "failed") == 0 && error_name != NULL && *error_name != '\0')
    g_propagate_error (error, g_dbus_error_new_for_dbus_error (error_name, message));
  else
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, message);
  return FALSE;
}

static HangarJob *
job_proxy_new (HangarctlContext  *ctx,
               const char        *job_path,
               GError           **error)
{
  g_autoptr(HangarJob) job = NULL;

  if (hangarctl_get_manager (ctx, error) == NULL)
    return NULL;

  job = hangar_job_proxy_new_sync (ctx->connection,
                                   G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS |
                                   G_DBUS_PROXY_FLAGS_GET_INVALIDATED_PROPERTIES,
                                   hangar_connection_get_engine_name (ctx->connection),
                                   job_path, NULL, error);
  if (job == NULL)
    return NULL;

  if (hangar_job_get_state (job) == NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                   _("The engine has no job %s"), job_path);
      return NULL;
    }
  return g_steal_pointer (&job);
}

/* Waits for the engine's job at @job_path to end. On a terminal (and
 * without -q) a progress bar named @label is drawn on stderr meanwhile, and
 * cleared at the end. Ctrl+C cancels the job: FALSE with "cancelled"
 * (G_IO_ERROR_CANCELLED). A failed job gives its error; a completed one
 * TRUE and, when @result_path is not NULL, the object it made. */
gboolean
hangarctl_wait_job (HangarctlContext  *ctx,
                    const char        *job_path,
                    const char        *label,
                    char             **result_path,
                    GError           **error)
{
  g_autoptr(HangarJob) job = job_proxy_new (ctx, job_path, error);
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GCancellable) cancel_call = g_cancellable_new ();
  JobWait wait = { 0 };

  if (job == NULL)
    return FALSE;

  loop = g_main_loop_new (NULL, FALSE);
  wait.job = job;
  wait.cancel_call = cancel_call;
  wait.loop = loop;
  wait.label = label;
  wait.draw = !ctx->quiet && isatty (STDERR_FILENO);

  run_loop (&wait);

  /* Once the job has ended, what it says wins over why the wait stopped
   * (Ctrl+C racing with the end, the engine leaving after it). */
  if (!job_is_running (job))
    {
      g_clear_error (&wait.error);
      return job_outcome (job, result_path, error);
    }

  if (wait.error == NULL)
    wait.error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                      _("The connection to the Hangar engine was "
                                        "lost before the job ended"));
  g_propagate_error (error, wait.error);
  return FALSE;
}
