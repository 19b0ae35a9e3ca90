/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-qmp"

#include "hangard-qmp.h"
#include "hangard-error.h"

#include <gio/gunixfdlist.h>
#include <gio/gunixfdmessage.h>
#include <gio/gunixsocketaddress.h>
#include <string.h>

/* Traffic is logged with g_debug(), cut to this many bytes a message. */
#define DEBUG_MAX_CHARS 1024

/* One command on its way to QEMU and back.
 *
 * A command is owned by exactly one place at a time: the outgoing queue
 * while its bytes are being written, then the pending table (keyed by id)
 * until its reply arrives. Once its caller has been answered early
 * (cancelled), `task` is NULL and the command only lingers so that the rest
 * of its bytes still go out (a half-written command would corrupt the
 * stream) and its reply is recognised and dropped. */
typedef struct
{
  HangardQmp  *qmp;            /* not a ref: `task` holds one while it is set */
  GTask       *task;
  gint64       id;
  char        *data;           /* one JSON object and a newline */
  gsize        len;
  gsize        sent;
  GUnixFDList *fds;            /* our own dup of the caller's fd; NULL once sent */
  GSource     *cancel_source;
} Command;

struct _HangardQmp
{
  GObject             parent_instance;

  GMainContext       *context;
  GSocketConnection  *connection;
  GSocket            *socket;          /* owned by `connection` */
  GDataInputStream   *input;
  GCancellable       *read_cancellable;
  GSource            *write_source;    /* G_IO_OUT watch while `out_queue` is non-empty */

  GQueue              out_queue;       /* Command *, head is being written */
  GHashTable         *pending;         /* &Command.id → Command *, written and awaiting a reply */
  gint64              next_id;

  char               *qemu_version;
  gboolean            closed;
};

G_DEFINE_FINAL_TYPE (HangardQmp, hangard_qmp, G_TYPE_OBJECT)

enum {
  SIGNAL_EVENT,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void read_next_line (HangardQmp *self);

/* ---- commands ---------------------------------------------------------- */

static void
command_free (Command *cmd)
{
  if (cmd->cancel_source != NULL)
    {
      g_source_destroy (cmd->cancel_source);
      g_source_unref (cmd->cancel_source);
    }
  /* Every path answers the caller before freeing; this is a safety net so a
   * task can never be leaked unanswered. */
  if (cmd->task != NULL)
    g_task_return_new_error (cmd->task, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                             "The QMP connection was closed");
  g_clear_object (&cmd->task);
  g_clear_object (&cmd->fds);
  g_free (cmd->data);
  g_free (cmd);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Command, command_free)

/* Takes the task out of `cmd`, so that its cancellation can no longer fire
 * and the caller is answered exactly once. */
static GTask *
command_steal_task (Command *cmd)
{
  if (cmd->cancel_source != NULL)
    {
      g_source_destroy (cmd->cancel_source);
      g_clear_pointer (&cmd->cancel_source, g_source_unref);
    }
  return g_steal_pointer (&cmd->task);
}

/* Frees `cmd` first, then answers its caller: the callback may run right
 * away and do anything, including dropping the last ref on the HangardQmp. */
static void
command_fail (Command      *cmd,
              const GError *error)
{
  g_autoptr(GTask) task = command_steal_task (cmd);

  command_free (cmd);
  if (task != NULL)
    g_task_return_error (task, g_error_copy (error));
}

/* ---- closing ----------------------------------------------------------- */

/* Stops all I/O without emitting anything or answering anyone; safe from
 * dispose. The read loop is cancelled *before* the socket is closed, so its
 * callback sees G_IO_ERROR_CANCELLED and knows not to touch `self`. */
static void
shutdown_io (HangardQmp *self)
{
  g_cancellable_cancel (self->read_cancellable);

  if (self->write_source != NULL)
    {
      g_source_destroy (self->write_source);
      g_clear_pointer (&self->write_source, g_source_unref);
    }

  if (self->connection != NULL)
    g_io_stream_close (G_IO_STREAM (self->connection), NULL, NULL);
}

/* Answers every queued and pending command with `error`. The queue and the
 * table are detached first because callbacks run synchronously and may
 * issue new commands (which then fail at once, as we are closed). */
static void
fail_all_commands (HangardQmp   *self,
                   const GError *error)
{
  GQueue queue = self->out_queue;
  g_autoptr(GHashTable) pending = g_steal_pointer (&self->pending);
  g_autoptr(GList) pending_commands = NULL;
  Command *cmd;

  g_queue_init (&self->out_queue);
  self->pending = g_hash_table_new (g_int64_hash, g_int64_equal);

  while ((cmd = g_queue_pop_head (&queue)) != NULL)
    command_fail (cmd, error);

  pending_commands = g_hash_table_get_values (pending);
  g_hash_table_steal_all (pending);
  for (GList *l = pending_commands; l != NULL; l = l->next)
    command_fail (l->data, error);
}

/* The one way a live connection ends: answers everybody and emits
 * "closed", once. */
static void
close_with_error (HangardQmp   *self,
                  const GError *error)
{
  g_autoptr(HangardQmp) hold = NULL;

  if (self->closed)
    return;

  /* Handlers of task callbacks and of "closed" may drop the last ref. */
  hold = g_object_ref (self);
  self->closed = TRUE;
  g_debug ("QMP connection closed: %s", error->message);

  shutdown_io (self);
  fail_all_commands (self, error);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
}

/* The header promises G_IO_ERROR_CONNECTION_CLOSED for a lost connection;
 * keep the underlying cause in the message. */
static GError *
connection_closed_error (const GError *cause)
{
  if (cause == NULL)
    return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                "QEMU closed the QMP connection");
  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    return g_error_copy (cause);
  return g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                      "QMP connection lost: %s", cause->message);
}

/* ---- writing ----------------------------------------------------------- */

/* One non-blocking sendmsg of what is left of `cmd`. The fd rides along
 * with the command's first bytes, as QEMU takes it from the message that
 * carries the start of the command that uses it. */
static GPollableReturn
send_some (HangardQmp  *self,
           Command     *cmd,
           GError     **error)
{
  g_autoptr(GSocketControlMessage) fd_message = NULL;
  GSocketControlMessage *messages[1];
  GOutputVector vector = { cmd->data + cmd->sent, cmd->len - cmd->sent };
  gsize written = 0;
  GPollableReturn ret;

  if (cmd->fds != NULL)
    {
      fd_message = g_unix_fd_message_new_with_fd_list (cmd->fds);
      messages[0] = fd_message;
    }

  ret = g_socket_send_message_with_timeout (self->socket, NULL, &vector, 1,
                                            fd_message != NULL ? messages : NULL,
                                            fd_message != NULL ? 1 : 0,
                                            G_SOCKET_MSG_NONE, 0, &written,
                                            NULL, error);
  if (ret == G_POLLABLE_RETURN_OK)
    {
      cmd->sent += written;
      if (written > 0)
        g_clear_object (&cmd->fds);
    }
  return ret;
}

/* QEMU keeps only the fds of the latest sendmsg that carried any, until a
 * command claims them; its monitor may still be working through earlier
 * commands when later bytes arrive. So a command carrying an fd waits until
 * everything before it has been answered, and its fd cannot be replaced
 * (and closed) by QEMU before `getfd` or `add-fd` takes it. */
static gboolean
head_must_wait (HangardQmp *self)
{
  Command *cmd = g_queue_peek_head (&self->out_queue);

  return cmd != NULL && cmd->fds != NULL && g_hash_table_size (self->pending) > 0;
}

/* Writes as much of the queue as the socket takes right now. */
static void
write_queue (HangardQmp *self)
{
  while (!self->closed && !g_queue_is_empty (&self->out_queue) && !head_must_wait (self))
    {
      Command *cmd = g_queue_peek_head (&self->out_queue);
      g_autoptr(GError) error = NULL;
      GPollableReturn ret = send_some (self, cmd, &error);

      if (ret == G_POLLABLE_RETURN_WOULD_BLOCK)
        return;

      if (ret == G_POLLABLE_RETURN_FAILED)
        {
          g_autoptr(GError) closed_error = connection_closed_error (error);

          /* With part of a command already out, the stream is garbage. */
          if (cmd->sent > 0)
            {
              close_with_error (self, closed_error);
              return;
            }
          /* Nothing of this command went out, so the stream is intact: fail
           * just this one and leave the verdict on the connection to the
           * read side, which may still hold replies QEMU sent before it
           * hung up (the reply to `quit`, say). */
          g_queue_pop_head (&self->out_queue);
          command_fail (cmd, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE)
                               ? closed_error : error);
          continue;
        }

      if (cmd->sent == cmd->len)
        {
          g_queue_pop_head (&self->out_queue);
          g_hash_table_insert (self->pending, &cmd->id, cmd);
        }
    }
}

static gboolean
on_socket_writable (GSocket      *socket G_GNUC_UNUSED,
                    GIOCondition  condition G_GNUC_UNUSED,
                    gpointer      user_data)
{
  /* This source is destroyed in dispose, so `self` is alive here; hold it
   * because callbacks of failed commands may drop the last ref. */
  g_autoptr(HangardQmp) self = g_object_ref (user_data);

  write_queue (self);

  if (self->closed)
    return G_SOURCE_REMOVE;   /* already destroyed and cleared by shutdown_io */
  if (g_queue_is_empty (&self->out_queue) || head_must_wait (self))
    {
      g_clear_pointer (&self->write_source, g_source_unref);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* Writing is always started from the main loop, never from inside
 * hangard_qmp_execute_async(), so that callers never see callbacks or
 * "closed" re-entrantly. A unix socket is nearly always writable, so this
 * costs one main loop iteration. */
static void
ensure_writing (HangardQmp *self)
{
  if (self->closed || self->write_source != NULL ||
      g_queue_is_empty (&self->out_queue) || head_must_wait (self))
    return;

  self->write_source = g_socket_create_source (self->socket, G_IO_OUT, NULL);
  g_source_set_static_name (self->write_source, "[hangard] QMP write");
  g_source_set_callback (self->write_source, G_SOURCE_FUNC (on_socket_writable), self, NULL);
  g_source_attach (self->write_source, self->context);
}

/* ---- reading ----------------------------------------------------------- */

/* json_object_get_*_member() complain loudly on a type mismatch; QEMU's
 * output is not ours to trust that far. */
static JsonObject *
get_object_member (JsonObject *object,
                   const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gboolean
get_int_member (JsonObject *object,
                const char *name,
                gint64     *out)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (node);
  return TRUE;
}

static const char *
get_string_member (JsonObject *object,
                   const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static void
handle_event (HangardQmp *self,
              JsonObject *message,
              const char *name)
{
  JsonObject *timestamp = get_object_member (message, "timestamp");
  gint64 seconds = 0;
  gint64 microseconds = 0;

  get_int_member (timestamp, "seconds", &seconds);
  get_int_member (timestamp, "microseconds", &microseconds);

  /* g_quark_try_string(): a detail nobody connected to needs no quark, and
   * names coming from the peer should not grow the quark table. */
  g_signal_emit (self, signals[SIGNAL_EVENT], g_quark_try_string (name),
                 name, get_object_member (message, "data"),
                 seconds * G_USEC_PER_SEC + microseconds);
}

/* We send numeric ids; a string of digits is accepted too, in case a
 * proxy in between re-encodes them. */
static gboolean
get_reply_id (JsonObject *message,
              gint64     *id)
{
  const char *text = get_string_member (message, "id");
  guint64 value;

  if (get_int_member (message, "id", id))
    return TRUE;
  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &value, NULL))
    return FALSE;
  *id = (gint64) value;
  return TRUE;
}

static void
handle_reply (HangardQmp *self,
              JsonObject *message)
{
  g_autoptr(Command) cmd = NULL;
  g_autoptr(GTask) task = NULL;
  JsonObject *error;
  gint64 id;

  if (!get_reply_id (message, &id))
    {
      /* Only a command QEMU could not parse gets an id-less reply; with no
       * way to tell whose it was, all we can do is say so. */
      const char *desc = get_string_member (get_object_member (message, "error"), "desc");

      g_warning ("QMP reply without a usable id: %s", desc != NULL ? desc : "(no description)");
      return;
    }

  if (!g_hash_table_steal_extended (self->pending, &id, NULL, (gpointer *) &cmd))
    {
      g_warning ("QMP reply to unknown command id %" G_GINT64_FORMAT, id);
      return;
    }

  /* A command with an fd may have been waiting for this reply. */
  ensure_writing (self);

  task = command_steal_task (cmd);
  if (task == NULL)
    return;   /* its caller cancelled; the reply has nowhere to go */

  error = get_object_member (message, "error");
  if (error != NULL)
    {
      const char *desc = get_string_member (error, "desc");

      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_QEMU, "%s",
                               desc != NULL ? desc : "QEMU reported an error without a description");
      return;
    }

  g_task_return_pointer (task, json_object_dup_member (message, "return"),
                         (GDestroyNotify) json_node_unref);
}

static void
handle_line (HangardQmp *self,
             char       *line,
             gsize       length)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;
  JsonObject *message;
  const char *event;

  /* QEMU ends its lines with CRLF; we split on LF. */
  if (length > 0 && line[length - 1] == '\r')
    line[--length] = '\0';
  if (length == 0)
    return;

  g_debug ("<- %.*s", (int) MIN (length, DEBUG_MAX_CHARS), line);
  if (!json_parser_load_from_data (parser, line, length, &error))
    {
      g_warning ("Ignoring QMP line that is not JSON (%s): %.*s",
                 error->message, (int) MIN (length, DEBUG_MAX_CHARS), line);
      return;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_warning ("Ignoring QMP line that is not a JSON object: %.*s",
                 (int) MIN (length, DEBUG_MAX_CHARS), line);
      return;
    }

  message = json_node_get_object (root);
  event = get_string_member (message, "event");
  if (event != NULL)
    handle_event (self, message, event);
  else if (json_object_has_member (message, "return") || json_object_has_member (message, "error"))
    handle_reply (self, message);
  else
    g_warning ("Ignoring unexpected QMP message: %.*s", (int) MIN (length, DEBUG_MAX_CHARS), line);
}

static void
on_line_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardQmp) self = NULL;
  gsize length = 0;
  g_autofree char *line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source),
                                                                result, &length, &error);

  /* The read loop holds no ref, so that dropping the last user ref finalizes
   * the object; dispose and close cancel the loop first, and a cancelled
   * GTask reports CANCELLED however the read itself ended. So on CANCELLED
   * `user_data` may be freed memory: do not look at it. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = g_object_ref (user_data);

  if (line == NULL)
    {
      g_autoptr(GError) closed_error = connection_closed_error (error);

      close_with_error (self, closed_error);
      return;
    }

  handle_line (self, line, length);
  if (!self->closed)
    read_next_line (self);
}

static void
read_next_line (HangardQmp *self)
{
  g_data_input_stream_read_line_async (self->input, G_PRIORITY_DEFAULT,
                                       self->read_cancellable, on_line_read, self);
}

/* ---- GObject ----------------------------------------------------------- */

static void
hangard_qmp_dispose (GObject *object)
{
  HangardQmp *self = HANGARD_QMP (object);
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                                 "The QMP connection was closed");

  /* Commands with a caller hold a ref through their task, so whatever is
   * left here is commands whose caller already got an answer. No "closed":
   * nobody can be listening to a dying object in a useful way. */
  self->closed = TRUE;
  shutdown_io (self);
  fail_all_commands (self, error);

  g_clear_object (&self->input);
  g_clear_object (&self->connection);
  self->socket = NULL;

  G_OBJECT_CLASS (hangard_qmp_parent_class)->dispose (object);
}

static void
hangard_qmp_finalize (GObject *object)
{
  HangardQmp *self = HANGARD_QMP (object);

  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_object (&self->read_cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->qemu_version);

  G_OBJECT_CLASS (hangard_qmp_parent_class)->finalize (object);
}

static void
hangard_qmp_class_init (HangardQmpClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hangard_qmp_dispose;
  object_class->finalize = hangard_qmp_finalize;

  /**
   * HangardQmp::event:
   * @name: the event name, e.g. "STOP"; also the signal detail
   * @data: (nullable): the event's "data" object, valid during emission only
   * @timestamp_usec: QEMU's wall-clock timestamp of the event
   *
   * Connect to "event::SHUTDOWN" and the like for a single event.
   */
  signals[SIGNAL_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  JSON_TYPE_OBJECT | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_INT64);

  /**
   * HangardQmp::closed:
   *
   * Emitted once, when the connection ends for any reason, after pending
   * commands have been failed.
   */
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
hangard_qmp_init (HangardQmp *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->read_cancellable = g_cancellable_new ();
  self->pending = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_queue_init (&self->out_queue);
  self->next_id = 1;
}

/* ---- executing --------------------------------------------------------- */

static char *
serialize_command (const char *command,
                   JsonObject *arguments,
                   gint64      id,
                   gsize      *len)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *json = NULL;
  char *line;

  json_object_set_string_member (object, "execute", command);
  if (arguments != NULL)
    json_object_set_object_member (object, "arguments", json_object_ref (arguments));
  json_object_set_int_member (object, "id", id);
  json_node_set_object (root, object);

  json = json_to_string (root, FALSE);
  line = g_strconcat (json, "\n", NULL);
  *len = strlen (line);
  return line;
}

static gboolean
on_command_cancelled (GCancellable *cancellable G_GNUC_UNUSED,
                      gpointer      user_data)
{
  Command *cmd = user_data;
  HangardQmp *self = cmd->qmp;
  g_autoptr(GTask) task = command_steal_task (cmd);

  /* Not a byte out yet: it can simply be forgotten. Otherwise it has to
   * finish going out and its reply be swallowed when it comes. */
  if (cmd->sent == 0 && g_queue_remove (&self->out_queue, cmd))
    {
      command_free (cmd);
      ensure_writing (self);   /* it may have been the head, holding back the rest */
    }

  /* Unconditionally: a g_cancellable_reset() since the cancel must not
   * leave the caller unanswered. */
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  return G_SOURCE_REMOVE;
}

void
hangard_qmp_execute_async (HangardQmp          *self,
                           const char          *command,
                           JsonObject          *arguments,
                           int                  fd,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Command *cmd;

  g_return_if_fail (HANGARD_IS_QMP (self));
  g_return_if_fail (command != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hangard_qmp_execute_async);

  if (g_task_return_error_if_cancelled (task))
    return;

  if (self->closed)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                               "The QMP connection is closed");
      return;
    }

  cmd = g_new0 (Command, 1);
  cmd->qmp = self;
  cmd->id = self->next_id++;
  cmd->data = serialize_command (command, arguments, cmd->id, &cmd->len);

  /* Dup now: the caller may close its fd before we get to send it. */
  if (fd >= 0)
    {
      cmd->fds = g_unix_fd_list_new ();
      if (g_unix_fd_list_append (cmd->fds, fd, &error) < 0)
        {
          command_free (cmd);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }

  g_debug ("-> %.*s", (int) MIN (cmd->len - 1, DEBUG_MAX_CHARS), cmd->data);

  if (cancellable != NULL)
    {
      /* A source rather than g_cancellable_connect(): it runs in our
       * context even when another thread cancels. */
      cmd->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_static_name (cmd->cancel_source, "[hangard] QMP cancel");
      g_source_set_callback (cmd->cancel_source, G_SOURCE_FUNC (on_command_cancelled), cmd, NULL);
      g_source_attach (cmd->cancel_source, self->context);
    }

  cmd->task = g_steal_pointer (&task);
  g_queue_push_tail (&self->out_queue, cmd);
  ensure_writing (self);
}

JsonNode *
hangard_qmp_execute_finish (HangardQmp    *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (HANGARD_IS_QMP (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == hangard_qmp_execute_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- connecting -------------------------------------------------------- */

static gboolean
parse_greeting (HangardQmp  *self,
                const char  *line,
                gsize        length,
                GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *qemu;
  gint64 major = 0, minor = 0, micro = 0;

  if (!json_parser_load_from_data (parser, line, length, NULL) ||
      (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    goto bad;

  qemu = get_object_member (get_object_member (get_object_member (json_node_get_object (root),
                                                                  "QMP"),
                                               "version"),
                            "qemu");
  if (!get_int_member (qemu, "major", &major) ||
      !get_int_member (qemu, "minor", &minor) ||
      !get_int_member (qemu, "micro", &micro))
    goto bad;

  self->qemu_version = g_strdup_printf ("%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT,
                                        major, minor, micro);
  return TRUE;

bad:
  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_QEMU,
               "Not a QMP greeting: %.200s", line);
  return FALSE;
}

static void
on_capabilities (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HangardQmp *self = HANGARD_QMP (source);
  g_autoptr(JsonNode) reply = NULL;
  GError *error = NULL;

  reply = hangard_qmp_execute_finish (self, result, &error);
  if (reply == NULL)
    {
      g_prefix_error (&error, "QMP capabilities negotiation failed: ");
      g_task_return_error (task, error);
      return;
    }

  g_debug ("Connected to QEMU %s", self->qemu_version);
  g_task_return_pointer (task, g_object_ref (self), g_object_unref);
}

static void
on_greeting (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HangardQmp *self = g_task_get_task_data (task);
  GCancellable *cancellable;
  GError *error = NULL;
  gsize length = 0;
  g_autofree char *line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source),
                                                                result, &length, &error);

  if (line == NULL)
    {
      if (error == NULL)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                     "QEMU closed the QMP connection before greeting");
      g_task_return_error (task, error);
      return;
    }

  if (length > 0 && line[length - 1] == '\r')
    line[--length] = '\0';
  if (!parse_greeting (self, line, length, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* From here on replies are matched by the read loop, like any command. */
  read_next_line (self);
  cancellable = g_task_get_cancellable (task);
  hangard_qmp_execute_async (self, "qmp_capabilities", NULL, -1, cancellable,
                             on_capabilities, g_steal_pointer (&task));
}

static void
on_socket_connected (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HangardQmp *self = g_task_get_task_data (task);
  GCancellable *cancellable;
  GError *error = NULL;

  self->connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (self->connection == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  self->socket = g_socket_connection_get_socket (self->connection);
  self->input = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (self->connection)));
  /* QEMU sends CRLF; splitting on LF and trimming the CR is exact, whereas
   * NEWLINE_TYPE_ANY would hold a line back until the byte after its CR. */
  g_data_input_stream_set_newline_type (self->input, G_DATA_STREAM_NEWLINE_TYPE_LF);

  cancellable = g_task_get_cancellable (task);
  g_data_input_stream_read_line_async (self->input, G_PRIORITY_DEFAULT, cancellable,
                                       on_greeting, g_steal_pointer (&task));
}

void
hangard_qmp_connect_async (const char          *socket_path,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (socket_path != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, hangard_qmp_connect_async);
  /* Until the handshake succeeds the object is the task's; if it fails,
   * dropping the task disposes it and closes whatever was opened. */
  g_task_set_task_data (task, g_object_new (HANGARD_TYPE_QMP, NULL), g_object_unref);

  address = g_unix_socket_address_new (socket_path);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address), cancellable,
                                 on_socket_connected, g_steal_pointer (&task));
}

HangardQmp *
hangard_qmp_connect_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == hangard_qmp_connect_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- the rest ---------------------------------------------------------- */

const char *
hangard_qmp_get_qemu_version (HangardQmp *self)
{
  g_return_val_if_fail (HANGARD_IS_QMP (self), NULL);

  return self->qemu_version;
}

gboolean
hangard_qmp_is_closed (HangardQmp *self)
{
  g_return_val_if_fail (HANGARD_IS_QMP (self), TRUE);

  return self->closed;
}

void
hangard_qmp_close (HangardQmp *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (HANGARD_IS_QMP (self));

  if (self->closed)
    return;

  error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                               "The QMP connection was closed");
  close_with_error (self, error);
}
