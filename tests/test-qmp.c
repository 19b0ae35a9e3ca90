/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-qmp"

/* HangardQmp against a real qemu-system-x86_64 (-machine none, no guest).
 *
 * Each test gets its own QEMU, which inherits a listening unix socket (as
 * the engine will pass it), so there is no race between QEMU starting and
 * the test connecting. Every wait on the main loop is bounded, and QEMU is
 * killed on teardown, or by PR_SET_PDEATHSIG should the test crash. */

#include "hangard-qmp.h"
#include "hangard-error.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#define WAIT_TIMEOUT_SECONDS 30
#define QMP_FD 3
#define VM_NAME "hangar-test"

/* ---- waiting ----------------------------------------------------------- */

static gboolean
on_wait_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the default main context until *flag is set; fails the test rather
 * than hanging if it never is. */
static void
wait_for_flag_within (const gboolean *flag,
                      guint           seconds)
{
  gboolean timed_out = FALSE;
  guint timeout_id = g_timeout_add_seconds (seconds, on_wait_timeout, &timed_out);

  while (!*flag && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (timed_out)
    g_error ("Timed out after %u s waiting on the main loop", seconds);
  g_source_remove (timeout_id);
}

static void
wait_for_flag (const gboolean *flag)
{
  wait_for_flag_within (flag, WAIT_TIMEOUT_SECONDS);
}

/* Runs the default main context for a while, for things that should (not)
 * happen without a flag to wait on. */
static void
spin_for (guint milliseconds)
{
  gboolean done = FALSE;

  g_timeout_add (milliseconds, on_wait_timeout, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* ---- QEMU -------------------------------------------------------------- */

typedef struct
{
  char        *dir;
  char        *socket_path;
  GSubprocess *qemu;
  HangardQmp  *qmp;
} Fixture;

static void
kill_with_parent (gpointer user_data G_GNUC_UNUSED)
{
  /* Async-signal-safe, runs in the child between fork and exec. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* A bound, listening unix socket whose fd QEMU will inherit. */
static int
listen_on (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) listener = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                              G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  int fd;

  g_assert_no_error (error);
  g_socket_bind (listener, address, FALSE, &error);
  g_assert_no_error (error);
  g_socket_listen (listener, &error);
  g_assert_no_error (error);

  fd = fcntl (g_socket_get_fd (listener), F_DUPFD_CLOEXEC, 10);
  g_assert_cmpint (fd, >=, 0);
  return fd;
}

static GSubprocess *
spawn_qemu (const char *socket_path)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  g_autofree char *chardev = g_strdup_printf ("socket,id=qmp,fd=%d,server=on,wait=off", QMP_FD);
  GSubprocess *qemu;

  g_subprocess_launcher_take_fd (launcher, listen_on (socket_path), QMP_FD);
  g_subprocess_launcher_set_child_setup (launcher, kill_with_parent, NULL, NULL);
  qemu = g_subprocess_launcher_spawn (launcher, &error,
                                      "qemu-system-x86_64",
                                      "-machine", "none",
                                      "-nodefaults", "-no-user-config",
                                      "-display", "none",
                                      "-name", VM_NAME,
                                      "-chardev", chardev,
                                      "-mon", "chardev=qmp,mode=control",
                                      NULL);
  g_assert_no_error (error);
  return qemu;
}

typedef struct
{
  gboolean    done;
  HangardQmp *qmp;
  GError     *error;
} Connected;

static pid_t
qemu_pid (GSubprocess *qemu)
{
  const char *identifier = g_subprocess_get_identifier (qemu);

  g_assert_nonnull (identifier);
  return (pid_t) g_ascii_strtoll (identifier, NULL, 10);
}

static gboolean
all_threads_stopped (pid_t pid)
{
  g_autofree char *tasks_path = g_strdup_printf ("/proc/%d/task", (int) pid);
  g_autoptr(GDir) tasks = g_dir_open (tasks_path, 0, NULL);
  const char *tid;

  g_assert_nonnull (tasks);
  while ((tid = g_dir_read_name (tasks)) != NULL)
    {
      g_autofree char *stat_path = g_build_filename (tasks_path, tid, "stat", NULL);
      g_autofree char *stat = NULL;
      const char *state;

      if (!g_file_get_contents (stat_path, &stat, NULL, NULL))
        continue;   /* the thread just went away */
      /* "tid (comm) S ...": the state follows the last ')'. */
      state = strrchr (stat, ')');
      if (state == NULL || (state[2] != 'T' && state[2] != 't'))
        return FALSE;
    }
  return TRUE;
}

/* SIGSTOP, and wait until it has taken effect: a stopped QEMU reads
 * nothing and answers nothing, so a command sent now stays pending for
 * sure. (g_subprocess_send_signal() sends from another thread, later.) */
static void
stop_qemu (GSubprocess *qemu)
{
  pid_t pid = qemu_pid (qemu);
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_SECONDS * G_USEC_PER_SEC;

  g_assert_no_errno (kill (pid, SIGSTOP));
  while (!all_threads_stopped (pid))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (1000);
    }
}

static void
continue_qemu (GSubprocess *qemu)
{
  g_assert_no_errno (kill (qemu_pid (qemu), SIGCONT));
}

static void
on_connected (GObject      *source G_GNUC_UNUSED,
              GAsyncResult *result,
              gpointer      user_data)
{
  Connected *connected = user_data;

  connected->qmp = hangard_qmp_connect_finish (result, &connected->error);
  g_assert_true ((connected->qmp == NULL) != (connected->error == NULL));
  connected->done = TRUE;
}

static HangardQmp *
connect_sync (const char    *socket_path,
              GCancellable  *cancellable,
              GError       **error)
{
  Connected connected = { 0 };

  hangard_qmp_connect_async (socket_path, cancellable, on_connected, &connected);
  wait_for_flag (&connected.done);
  if (connected.error != NULL)
    g_propagate_error (error, connected.error);
  return connected.qmp;
}

typedef struct
{
  gboolean  done;
  JsonNode *reply;
  GError   *error;
} Reply;

static void
reply_clear (Reply *reply)
{
  g_clear_pointer (&reply->reply, json_node_unref);
  g_clear_error (&reply->error);
  reply->done = FALSE;
}

static void
on_executed (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Reply *reply = user_data;

  g_assert_false (reply->done);
  reply->reply = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &reply->error);
  g_assert_true ((reply->reply == NULL) != (reply->error == NULL));
  reply->done = TRUE;
}

static JsonNode *
execute_sync (HangardQmp  *qmp,
              const char  *command,
              JsonObject  *arguments,
              int          fd,
              GError     **error)
{
  Reply reply = { 0 };

  hangard_qmp_execute_async (qmp, command, arguments, fd, NULL, on_executed, &reply);
  wait_for_flag (&reply.done);
  if (reply.error != NULL)
    g_propagate_error (error, reply.error);
  return reply.reply;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("hangar-test-qmp-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->socket_path = g_build_filename (fixture->dir, "qmp.sock", NULL);
  fixture->qemu = spawn_qemu (fixture->socket_path);
  fixture->qmp = connect_sync (fixture->socket_path, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fixture->qmp);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data G_GNUC_UNUSED)
{
  /* Let cancelled reads and the like run their course, so leak checkers
   * see nothing in flight; then the fixture's ref must be the last one. */
  spin_for (10);
  if (fixture->qmp != NULL)
    {
      g_object_add_weak_pointer (G_OBJECT (fixture->qmp), (gpointer *) &fixture->qmp);
      g_object_unref (fixture->qmp);
      g_assert_null (fixture->qmp);
    }
  spin_for (10);

  g_subprocess_force_exit (fixture->qemu);
  g_subprocess_wait (fixture->qemu, NULL, NULL);
  g_clear_object (&fixture->qemu);

  g_unlink (fixture->socket_path);
  g_rmdir (fixture->dir);
  g_free (fixture->socket_path);
  g_free (fixture->dir);
}

static JsonObject *
string_arguments (const char *name,
                  const char *value)
{
  JsonObject *arguments = json_object_new ();

  json_object_set_string_member (arguments, name, value);
  return arguments;
}

static const char *
member_string (JsonNode   *node,
               const char *name)
{
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_get_string_member_with_default (json_node_get_object (node), name, NULL);
}

/* ---- tests ------------------------------------------------------------- */

static void
test_connect (Fixture       *fixture,
              gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *expected = NULL;
  JsonObject *qemu;

  g_assert_false (hangard_qmp_is_closed (fixture->qmp));

  reply = execute_sync (fixture->qmp, "query-version", NULL, -1, &error);
  g_assert_no_error (error);
  qemu = json_object_get_object_member (json_node_get_object (reply), "qemu");
  expected = g_strdup_printf ("%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT,
                              json_object_get_int_member (qemu, "major"),
                              json_object_get_int_member (qemu, "minor"),
                              json_object_get_int_member (qemu, "micro"));
  g_assert_cmpstr (hangard_qmp_get_qemu_version (fixture->qmp), ==, expected);
  g_assert_true (g_regex_match_simple ("^[0-9]+\\.[0-9]+\\.[0-9]+$",
                                       hangard_qmp_get_qemu_version (fixture->qmp), 0, 0));
}

static void
test_query_status (Fixture       *fixture,
                   gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = execute_sync (fixture->qmp, "query-status", NULL, -1, &error);
  g_autoptr(JsonNode) empty = NULL;

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (reply));
  g_assert_cmpstr (member_string (reply, "status"), ==, "running");
  g_assert_true (json_object_get_boolean_member (json_node_get_object (reply), "running"));

  /* {"return": {}} comes back as an empty object, not NULL. */
  empty = execute_sync (fixture->qmp, "cont", NULL, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (empty));
  g_assert_cmpuint (json_object_get_size (json_node_get_object (empty)), ==, 0);
}

static void
test_unknown_command (Fixture       *fixture,
                      gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = execute_sync (fixture->qmp, "no-such-command", NULL, -1, &error);
  g_autoptr(JsonObject) arguments = string_arguments ("bogus", "x");

  g_assert_null (reply);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_QEMU);
  g_assert_cmpstr (error->message, ==, "The command no-such-command has not been found");
  g_clear_error (&error);

  /* Bad arguments are QEMU's to judge too, and the connection survives. */
  reply = execute_sync (fixture->qmp, "query-status", arguments, -1, &error);
  g_assert_null (reply);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_QEMU);
  g_assert_nonnull (strstr (error->message, "bogus"));
  g_clear_error (&error);

  reply = execute_sync (fixture->qmp, "query-status", NULL, -1, &error);
  g_assert_no_error (error);
  g_assert_false (hangard_qmp_is_closed (fixture->qmp));
}

static const char * const concurrent_commands[] = {
  "query-status", "query-version", "query-name", "no-such-command",
};

/* Checks that each reply is the one for its own command. */
static void
check_concurrent_reply (Reply      *reply,
                        const char *command)
{
  g_assert_true (reply->done);
  if (g_str_equal (command, "no-such-command"))
    {
      g_assert_error (reply->error, HANGAR_ERROR, HANGAR_ERROR_QEMU);
      return;
    }
  g_assert_no_error (reply->error);
  if (g_str_equal (command, "query-status"))
    g_assert_nonnull (member_string (reply->reply, "status"));
  else if (g_str_equal (command, "query-version"))
    g_assert_true (json_object_has_member (json_node_get_object (reply->reply), "qemu"));
  else
    g_assert_cmpstr (member_string (reply->reply, "name"), ==, VM_NAME);
}

static void
test_concurrent (Fixture       *fixture,
                 gconstpointer  data G_GNUC_UNUSED)
{
  enum { N_COMMANDS = 200 };
  Reply replies[N_COMMANDS] = { 0 };

  for (guint i = 0; i < N_COMMANDS; i++)
    hangard_qmp_execute_async (fixture->qmp,
                               concurrent_commands[i % G_N_ELEMENTS (concurrent_commands)],
                               NULL, -1, NULL, on_executed, &replies[i]);

  for (guint i = 0; i < N_COMMANDS; i++)
    wait_for_flag (&replies[i].done);

  for (guint i = 0; i < N_COMMANDS; i++)
    {
      check_concurrent_reply (&replies[i], concurrent_commands[i % G_N_ELEMENTS (concurrent_commands)]);
      reply_clear (&replies[i]);
    }
}

typedef struct
{
  GPtrArray *names;
  gint64     last_timestamp;
  guint      stop_details;
} Events;

static void
on_event (HangardQmp *qmp G_GNUC_UNUSED,
          const char *name,
          JsonObject *data G_GNUC_UNUSED,
          gint64      timestamp_usec,
          gpointer    user_data)
{
  Events *events = user_data;

  g_ptr_array_add (events->names, g_strdup (name));
  events->last_timestamp = timestamp_usec;
}

static void
on_stop_event (HangardQmp *qmp G_GNUC_UNUSED,
               const char *name,
               JsonObject *data G_GNUC_UNUSED,
               gint64      timestamp_usec G_GNUC_UNUSED,
               gpointer    user_data)
{
  Events *events = user_data;

  g_assert_cmpstr (name, ==, "STOP");
  events->stop_details++;
}

static void
wait_for_event (Events     *events,
                const char *name)
{
  gboolean timed_out = FALSE;
  guint timeout_id = g_timeout_add_seconds (WAIT_TIMEOUT_SECONDS, on_wait_timeout, &timed_out);

  while (!g_ptr_array_find_with_equal_func (events->names, name, g_str_equal, NULL) && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (timed_out)
    g_error ("Timed out waiting for event %s", name);
  g_source_remove (timeout_id);
}

static void
test_events (Fixture       *fixture,
             gconstpointer  data G_GNUC_UNUSED)
{
  Events events = { g_ptr_array_new_with_free_func (g_free), 0, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  gint64 now = g_get_real_time ();

  g_signal_connect (fixture->qmp, "event", G_CALLBACK (on_event), &events);
  g_signal_connect (fixture->qmp, "event::STOP", G_CALLBACK (on_stop_event), &events);

  reply = execute_sync (fixture->qmp, "stop", NULL, -1, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, json_node_unref);
  wait_for_event (&events, "STOP");
  /* QEMU's wall clock, in microseconds. */
  g_assert_cmpint (ABS (events.last_timestamp - now), <, 60 * G_USEC_PER_SEC);

  reply = execute_sync (fixture->qmp, "query-status", NULL, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (member_string (reply, "status"), ==, "paused");
  g_clear_pointer (&reply, json_node_unref);

  reply = execute_sync (fixture->qmp, "cont", NULL, -1, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, json_node_unref);
  wait_for_event (&events, "RESUME");

  g_assert_cmpuint (events.names->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (events.names, 0), ==, "STOP");
  g_assert_cmpstr (g_ptr_array_index (events.names, 1), ==, "RESUME");
  g_assert_cmpuint (events.stop_details, ==, 1);

  g_signal_handlers_disconnect_by_data (fixture->qmp, &events);
  g_ptr_array_unref (events.names);
}

/* Writes to the pipe's write end: works while some process (QEMU) still
 * holds a read end, fails with EPIPE once none does. */
static gboolean
pipe_has_reader (int write_fd)
{
  ssize_t written = write (write_fd, "x", 1);

  g_assert_true (written == 1 || errno == EPIPE);
  return written == 1;
}

static void
test_fd_passing (Fixture       *fixture,
                 gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(JsonObject) arguments = string_arguments ("fdname", "testfd");
  int fds[2];

  g_assert_no_errno (pipe2 (fds, O_CLOEXEC | O_NONBLOCK));

  /* Without an fd, QEMU complains: proves the fd below is what it got. */
  reply = execute_sync (fixture->qmp, "getfd", arguments, -1, &error);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_QEMU);
  g_clear_error (&error);

  /* The caller keeps its copy and may close it as soon as the call is made. */
  {
    Reply getfd = { 0 };

    hangard_qmp_execute_async (fixture->qmp, "getfd", arguments, fds[0], NULL, on_executed, &getfd);
    g_assert_no_errno (close (fds[0]));
    wait_for_flag (&getfd.done);
    g_assert_no_error (getfd.error);
    reply_clear (&getfd);
  }

  /* Our read end is closed, so only QEMU's copy keeps the pipe open. */
  g_assert_true (pipe_has_reader (fds[1]));

  reply = execute_sync (fixture->qmp, "closefd", arguments, -1, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, json_node_unref);
  g_assert_false (pipe_has_reader (fds[1]));

  reply = execute_sync (fixture->qmp, "closefd", arguments, -1, &error);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_QEMU);
  g_assert_nonnull (strstr (error->message, "testfd"));
  g_assert_no_errno (close (fds[1]));
}

/* Several fd-carrying commands in flight at once, each fd must reach the
 * command it was sent with. */
static void
test_fd_passing_pipelined (Fixture       *fixture,
                           gconstpointer  data G_GNUC_UNUSED)
{
  enum { N_FDS = 8 };
  Reply replies[N_FDS * 2] = { 0 };
  int write_ends[N_FDS];

  for (guint i = 0; i < N_FDS; i++)
    {
      g_autofree char *name = g_strdup_printf ("fd%u", i);
      g_autoptr(JsonObject) arguments = string_arguments ("fdname", name);
      int fds[2];

      g_assert_no_errno (pipe2 (fds, O_CLOEXEC | O_NONBLOCK));
      hangard_qmp_execute_async (fixture->qmp, "getfd", arguments, fds[0], NULL,
                                 on_executed, &replies[2 * i]);
      hangard_qmp_execute_async (fixture->qmp, "query-status", NULL, -1, NULL,
                                 on_executed, &replies[2 * i + 1]);
      g_assert_no_errno (close (fds[0]));
      write_ends[i] = fds[1];
    }

  for (guint i = 0; i < G_N_ELEMENTS (replies); i++)
    {
      wait_for_flag (&replies[i].done);
      g_assert_no_error (replies[i].error);
      reply_clear (&replies[i]);
    }

  for (guint i = 0; i < N_FDS; i++)
    {
      g_autofree char *name = g_strdup_printf ("fd%u", i);
      g_autoptr(JsonObject) arguments = string_arguments ("fdname", name);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) reply = NULL;

      g_assert_true (pipe_has_reader (write_ends[i]));
      reply = execute_sync (fixture->qmp, "closefd", arguments, -1, &error);
      g_assert_no_error (error);
      g_assert_false (pipe_has_reader (write_ends[i]));
      g_assert_no_errno (close (write_ends[i]));
    }
}

static void
on_closed (HangardQmp *qmp,
           gpointer    user_data)
{
  guint *count = user_data;

  g_assert_true (hangard_qmp_is_closed (qmp));
  (*count)++;
}

static void
wait_for_count (const guint *count)
{
  gboolean timed_out = FALSE;
  guint timeout_id = g_timeout_add_seconds (WAIT_TIMEOUT_SECONDS, on_wait_timeout, &timed_out);

  while (*count == 0 && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (timed_out)
    g_error ("Timed out after %d s waiting for \"closed\"", WAIT_TIMEOUT_SECONDS);
  g_source_remove (timeout_id);
}

static void
test_quit (Fixture       *fixture,
           gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  Reply quit = { 0 };
  Reply after_quit = { 0 };
  guint closed = 0;
  int status;

  g_signal_connect (fixture->qmp, "closed", G_CALLBACK (on_closed), &closed);

  hangard_qmp_execute_async (fixture->qmp, "quit", NULL, -1, NULL, on_executed, &quit);
  hangard_qmp_execute_async (fixture->qmp, "query-status", NULL, -1, NULL, on_executed, &after_quit);
  wait_for_flag (&after_quit.done);
  wait_for_flag (&quit.done);
  wait_for_count (&closed);

  /* QEMU answers `quit` before it goes; what comes after never gets run.
   * It fails either on the write (QEMU already gone: EPIPE) or when the
   * connection drops, with the same code. */
  g_assert_no_error (quit.error);
  g_assert_error (after_quit.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  g_assert_cmpuint (closed, ==, 1);
  g_assert_true (hangard_qmp_is_closed (fixture->qmp));

  /* Later commands fail at once, and closing again emits nothing. */
  reply = execute_sync (fixture->qmp, "query-status", NULL, -1, &error);
  g_assert_null (reply);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  hangard_qmp_close (fixture->qmp);
  spin_for (10);
  g_assert_cmpuint (closed, ==, 1);

  g_subprocess_wait (fixture->qemu, NULL, NULL);
  status = g_subprocess_get_status (fixture->qemu);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);

  reply_clear (&quit);
  reply_clear (&after_quit);
}

/* A command QEMU has read but not answered when it dies must fail. SIGSTOP
 * makes "read but not answered" certain. */
static void
test_peer_killed (Fixture       *fixture,
                  gconstpointer  data G_GNUC_UNUSED)
{
  Reply reply = { 0 };
  guint closed = 0;

  g_signal_connect (fixture->qmp, "closed", G_CALLBACK (on_closed), &closed);

  stop_qemu (fixture->qemu);
  hangard_qmp_execute_async (fixture->qmp, "query-status", NULL, -1, NULL, on_executed, &reply);
  spin_for (50);
  g_assert_false (reply.done);

  g_subprocess_force_exit (fixture->qemu);
  wait_for_flag (&reply.done);
  g_assert_error (reply.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  g_assert_cmpuint (closed, ==, 1);
  g_assert_true (hangard_qmp_is_closed (fixture->qmp));
  reply_clear (&reply);
}

static void
test_close_and_reconnect (Fixture       *fixture,
                          gconstpointer  data G_GNUC_UNUSED)
{
  for (guint round = 0; round < 3; round++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) status = NULL;
      Reply pending = { 0 };
      guint closed = 0;

      g_signal_connect (fixture->qmp, "closed", G_CALLBACK (on_closed), &closed);

      /* Queued but not yet written when the connection goes. */
      hangard_qmp_execute_async (fixture->qmp, "query-status", NULL, -1, NULL, on_executed, &pending);
      hangard_qmp_close (fixture->qmp);
      g_assert_cmpuint (closed, ==, 1);
      g_assert_true (hangard_qmp_is_closed (fixture->qmp));
      /* Answered from the main loop, not from inside close(). */
      g_assert_false (pending.done);
      wait_for_flag (&pending.done);
      g_assert_error (pending.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
      reply_clear (&pending);

      hangard_qmp_close (fixture->qmp);
      g_assert_cmpuint (closed, ==, 1);
      g_signal_handlers_disconnect_by_data (fixture->qmp, &closed);
      g_clear_object (&fixture->qmp);

      /* QEMU listens again once its client is gone. */
      fixture->qmp = connect_sync (fixture->socket_path, NULL, &error);
      g_assert_no_error (error);
      status = execute_sync (fixture->qmp, "query-status", NULL, -1, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (member_string (status, "status"), ==, "running");
    }
}

static void
test_unref_while_reading (Fixture       *fixture,
                          gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) status = NULL;
  GWeakRef weak;

  /* The read loop holds no ref: dropping ours must finalize at once, and the
   * cancelled read must then complete without touching the object. */
  g_weak_ref_init (&weak, fixture->qmp);
  g_clear_object (&fixture->qmp);
  g_assert_null (g_weak_ref_get (&weak));
  g_weak_ref_clear (&weak);
  spin_for (50);

  /* Finalizing hung up, so QEMU takes a new client. */
  fixture->qmp = connect_sync (fixture->socket_path, NULL, &error);
  g_assert_no_error (error);
  status = execute_sync (fixture->qmp, "query-status", NULL, -1, &error);
  g_assert_no_error (error);
}

static void
on_executed_drop_qmp (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  Fixture *fixture = user_data;
  g_autoptr(JsonNode) reply = hangard_qmp_execute_finish (HANGARD_QMP (source), result, NULL);

  g_assert_nonnull (reply);
  g_clear_object (&fixture->qmp);
}

static void
test_unref_in_callback (Fixture       *fixture,
                        gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) status = NULL;

  /* The last user ref goes inside a reply callback, from the read loop. */
  hangard_qmp_execute_async (fixture->qmp, "query-status", NULL, -1, NULL,
                             on_executed_drop_qmp, fixture);
  while (fixture->qmp != NULL)
    spin_for (5);
  spin_for (20);

  fixture->qmp = connect_sync (fixture->socket_path, NULL, &error);
  g_assert_no_error (error);
  status = execute_sync (fixture->qmp, "query-status", NULL, -1, &error);
  g_assert_no_error (error);
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data G_GNUC_UNUSED)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) version = NULL;
  Reply queued = { 0 };
  Reply sent = { 0 };
  Reply after = { 0 };

  /* Already cancelled: never sent. */
  g_cancellable_cancel (cancellable);
  hangard_qmp_execute_async (fixture->qmp, "stop", NULL, -1, cancellable, on_executed, &queued);
  wait_for_flag (&queued.done);
  g_assert_error (queued.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  reply_clear (&queued);
  g_cancellable_reset (cancellable);

  /* Cancelled while still queued. */
  hangard_qmp_execute_async (fixture->qmp, "stop", NULL, -1, cancellable, on_executed, &queued);
  g_cancellable_cancel (cancellable);
  wait_for_flag (&queued.done);
  g_assert_error (queued.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  reply_clear (&queued);
  g_clear_object (&cancellable);

  /* Cancelled once QEMU has it (it is stopped, so cannot have answered):
   * the caller hears CANCELLED at once, and the late reply must not be
   * mistaken for the next command's. */
  cancellable = g_cancellable_new ();
  stop_qemu (fixture->qemu);
  hangard_qmp_execute_async (fixture->qmp, "query-name", NULL, -1, cancellable, on_executed, &sent);
  spin_for (50);
  g_cancellable_cancel (cancellable);
  wait_for_flag (&sent.done);
  g_assert_error (sent.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  hangard_qmp_execute_async (fixture->qmp, "query-version", NULL, -1, NULL, on_executed, &after);
  continue_qemu (fixture->qemu);
  wait_for_flag (&after.done);
  g_assert_no_error (after.error);
  g_assert_true (json_object_has_member (json_node_get_object (after.reply), "qemu"));
  reply_clear (&sent);
  reply_clear (&after);

  /* The first "stop" never reached QEMU. */
  version = execute_sync (fixture->qmp, "query-status", NULL, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (member_string (version, "status"), ==, "running");
}

static gboolean
count_tick (gpointer user_data)
{
  (*(guint *) user_data)++;
  return G_SOURCE_CONTINUE;
}

/* A command larger than the socket buffer, sent while QEMU reads nothing:
 * the write has to stop part-way without blocking the main loop, and the
 * stream must come out whole, fd included. QEMU's monitor reads one byte
 * per main loop iteration (some 40 kB/s on an idle machine), so "larger"
 * is kept just above the ~230 kB a unix socket buffers by default, and the
 * wait is generous for loaded machines. */
static void
test_large_command (Fixture       *fixture,
                    gconstpointer  data G_GNUC_UNUSED)
{
  enum { KEY_LEN = 288 * 1024, SLOW_WAIT_SECONDS = 180 };
  g_autoptr(JsonObject) big = json_object_new ();
  g_autoptr(JsonObject) fd_arguments = string_arguments ("fdname", "afterbig");
  g_autofree char *key = g_malloc (KEY_LEN + 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  Reply large = { 0 };
  Reply getfd = { 0 };
  Reply after = { 0 };
  guint ticks = 0;
  guint tick_id;
  int fds[2];

  /* Mostly spaces: QEMU's lexer is quadratic in a token's length, and an
   * error naming the key still proves every byte arrived in order. */
  memset (key, ' ', KEY_LEN);
  memcpy (key, "big-", 4);
  memcpy (key + KEY_LEN - 4, "-end", 4);
  key[KEY_LEN] = '\0';
  json_object_set_int_member (big, key, 1);
  g_assert_no_errno (pipe2 (fds, O_CLOEXEC | O_NONBLOCK));

  stop_qemu (fixture->qemu);
  hangard_qmp_execute_async (fixture->qmp, "query-status", big, -1, NULL, on_executed, &large);
  hangard_qmp_execute_async (fixture->qmp, "getfd", fd_arguments, fds[0], NULL, on_executed, &getfd);
  hangard_qmp_execute_async (fixture->qmp, "query-name", NULL, -1, NULL, on_executed, &after);
  g_assert_no_errno (close (fds[0]));

  tick_id = g_timeout_add (10, count_tick, &ticks);
  spin_for (300);
  g_assert_cmpuint (ticks, >=, 10);
  g_assert_false (large.done);

  continue_qemu (fixture->qemu);
  wait_for_flag_within (&large.done, SLOW_WAIT_SECONDS);
  wait_for_flag (&getfd.done);
  wait_for_flag (&after.done);
  g_source_remove (tick_id);

  g_assert_error (large.error, HANGAR_ERROR, HANGAR_ERROR_QEMU);
  g_assert_true (g_str_has_prefix (large.error->message, "Parameter '"));
  g_assert_nonnull (strstr (large.error->message, "-end' is unexpected"));
  g_assert_no_error (getfd.error);
  g_assert_no_error (after.error);
  g_assert_cmpstr (member_string (after.reply, "name"), ==, VM_NAME);

  g_assert_true (pipe_has_reader (fds[1]));
  reply = execute_sync (fixture->qmp, "closefd", fd_arguments, -1, &error);
  g_assert_no_error (error);
  g_assert_false (pipe_has_reader (fds[1]));
  g_assert_no_errno (close (fds[1]));

  reply_clear (&large);
  reply_clear (&getfd);
  reply_clear (&after);
}

static gboolean
cancel_later (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_connect_failures (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardQmp) qmp = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hangar-test-qmp-XXXXXX", &error);
  g_autofree char *missing = g_build_filename (dir, "missing.sock", NULL);
  g_autofree char *silent = g_build_filename (dir, "silent.sock", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  int silent_fd;

  g_assert_no_error (error);

  qmp = connect_sync (missing, NULL, &error);
  g_assert_null (qmp);
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* Something listens but never greets (a second client of a busy QEMU
   * monitor sees this): only the caller's cancellable ends the wait. */
  silent_fd = listen_on (silent);
  g_timeout_add (200, cancel_later, cancellable);
  qmp = connect_sync (silent, cancellable, &error);
  g_assert_null (qmp);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  spin_for (10);

  g_assert_no_errno (close (silent_fd));
  g_unlink (silent);
  g_rmdir (dir);
}

static void
test_no_qemu (void)
{
  g_test_skip ("qemu-system-x86_64 is not installed");
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *qemu = g_find_program_in_path ("qemu-system-x86_64");

  g_test_init (&argc, &argv, NULL);
  /* A pipe write with no reader must be an error, not a death. */
  signal (SIGPIPE, SIG_IGN);

  g_test_add_func ("/qmp/connect-failures", test_connect_failures);

  if (qemu == NULL)
    {
      g_test_add_func ("/qmp/qemu", test_no_qemu);
      return g_test_run ();
    }

#define ADD(path, func) \
  g_test_add ("/qmp/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("connect", test_connect);
  ADD ("query-status", test_query_status);
  ADD ("unknown-command", test_unknown_command);
  ADD ("concurrent", test_concurrent);
  ADD ("events", test_events);
  ADD ("fd-passing", test_fd_passing);
  ADD ("fd-passing-pipelined", test_fd_passing_pipelined);
  ADD ("large-command", test_large_command);
  ADD ("quit", test_quit);
  ADD ("peer-killed", test_peer_killed);
  ADD ("close-and-reconnect", test_close_and_reconnect);
  ADD ("unref-while-reading", test_unref_while_reading);
  ADD ("unref-in-callback", test_unref_in_callback);
  ADD ("cancel", test_cancel);

#undef ADD

  return g_test_run ();
}
