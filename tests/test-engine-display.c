/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-engine-display"

/* The embedded display and the live serial console against the real engine
 * and real QEMU (TCG): Machine.OpenDisplay hands out sockets that speak RFB
 * with no TCP port anywhere, Machine.OpenSerial a socket on the guest's
 * ttyS0 shell while the console log keeps being written, and hangarctl's
 * vnc-proxy and console verbs bridge them to stdin/stdout. */

#include <gio/gunixfdlist.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "hangar-test-env.h"
#include "hangard-error.h"

#define BOOT_TIMEOUT_S 120
#define STATE_TIMEOUT_S 60
#define REPLY_TIMEOUT_S 60
#define BOOT_MARKER "HANGAR-GUEST-BOOTED"
#define PROMPT "hangar-guest# "
#define RFB_BANNER "RFB 003.008\n"

/* ---- guests --------------------------------------------------------------- */

typedef enum {
  GUEST_SERIAL = 1 << 0,
  GUEST_VNC    = 1 << 1,
} GuestDevices;

/* The busybox guest with or without its serial port and VNC graphics. */
static char *
guest_xml (const char   *name,
           GuestDevices  devices,
           const char   *cmdline_extra)
{
  g_autofree char *xml = hangar_test_guest_xml (name, cmdline_extra);
  g_autoptr(GString) text = g_string_new (xml);
  const char *serial = "    <serial type='pty'><target port='0'/></serial>\n";

  g_assert_nonnull (strstr (text->str, serial));
  g_string_replace (text, serial,
                    (devices & GUEST_SERIAL) != 0 ? serial : "", 1);
  if ((devices & GUEST_VNC) != 0)
    g_string_replace (text, "  <devices>\n", "  <devices>\n    <graphics type='vnc'/>\n", 1);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static HangarMachine *
define_guest (HangarTestEnv *env,
              const char    *name,
              GuestDevices   devices,
              const char    *cmdline_extra)
{
  g_autofree char *xml = guest_xml (name, devices, cmdline_extra);

  return hangar_test_env_define (env, xml);
}

static void
start_guest (HangarMachine *machine)
{
  g_autoptr(GError) error = NULL;

  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (machine), 5 * 60 * 1000);
  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "running", STATE_TIMEOUT_S));
}

static void
wait_for_shell (HangarMachine *machine)
{
  if (!hangar_test_wait_for_console (machine, BOOT_MARKER, BOOT_TIMEOUT_S))
    g_error ("the guest did not print %s", BOOT_MARKER);
  if (!hangar_test_wait_for_console (machine, PROMPT, BOOT_TIMEOUT_S))
    g_error ("the guest's serial shell did not prompt");
}

/* ---- the engine's and QEMU's processes ------------------------------------ */

static guint
count_open_fds (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd", (int) pid);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static char *
process_cmdline (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
  char *contents = NULL;
  gsize length = 0;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  for (gsize i = 0; i + 1 < length; i++)
    if (contents[i] == '\0')
      contents[i] = ' ';
  return contents;
}

/* The socket inodes listed in /proc/net/tcp or tcp6. */
static void
collect_tcp_inodes (const char *table,
                    GHashTable *inodes)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (table, &contents, NULL, NULL))
    return;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
      guint column = 0;

      for (guint j = 0; fields[j] != NULL; j++)
        {
          if (*fields[j] == '\0')
            continue;
          /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
          if (column++ == 9)
            g_hash_table_add (inodes, g_strdup (fields[j]));
        }
    }
}

/* Whether any fd of `pid` is a TCP socket (listening or not). */
static gboolean
process_has_tcp_socket (GPid pid)
{
  g_autoptr(GHashTable) inodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *dir_path = g_strdup_printf ("/proc/%d/fd", (int) pid);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  collect_tcp_inodes ("/proc/net/tcp", inodes);
  collect_tcp_inodes ("/proc/net/tcp6", inodes);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *link_path = g_build_filename (dir_path, name, NULL);
      g_autofree char *target = g_file_read_link (link_path, NULL);
      g_autofree char *inode = NULL;

      if (target == NULL || !g_str_has_prefix (target, "socket:["))
        continue;
      inode = g_strndup (target + 8, strlen (target) - 9);
      if (g_hash_table_contains (inodes, inode))
        return TRUE;
    }
  return FALSE;
}

/* ---- sockets -------------------------------------------------------------- */

/* Reads from `fd` into `buffer` until it holds `needle`, the peer closes
 * or `timeout_s` passes. Returns whether `needle` was seen. */
static gboolean
read_until (int         fd,
            GString    *buffer,
            const char *needle,
            guint       timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  while (strstr (buffer->str, needle) == NULL)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      char chunk[4096];
      gssize got;

      if (left_ms <= 0)
        return FALSE;
      if (poll (&pfd, 1, (int) MIN (left_ms, 1000)) <= 0)
        continue;
      got = read (fd, chunk, sizeof chunk);
      if (got <= 0)
        return strstr (buffer->str, needle) != NULL;
      g_string_append_len (buffer, chunk, got);
    }
  return TRUE;
}

/* Whether the peer of `fd` closes within `timeout_s` (reading and dropping
 * whatever comes before). */
static gboolean
reads_eof (int   fd,
           guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      char chunk[4096];
      gssize got;

      if (poll (&pfd, 1, 200) <= 0)
        continue;
      got = read (fd, chunk, sizeof chunk);
      if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN))
        return TRUE;
    }
  return FALSE;
}

static void
write_all (int         fd,
           const char *text)
{
  gsize length = strlen (text);
  gsize done = 0;

  while (done < length)
    {
      gssize n = write (fd, text + done, length - done);

      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >, 0);
      done += (gsize) n;
    }
}

/* The fd an Open* call returned, or -1 with `error` set. */
static int
take_fd (GVariant     *handle,
         GUnixFDList  *fd_list)
{
  g_autoptr(GError) error = NULL;
  int fd;

  g_assert_nonnull (handle);
  g_assert_nonnull (fd_list);
  g_assert_cmpint (g_unix_fd_list_get_length (fd_list), ==, 1);
  fd = g_unix_fd_list_get (fd_list, g_variant_get_handle (handle), &error);
  g_assert_no_error (error);
  return fd;
}

static int
open_display (HangarMachine  *machine,
              GError        **error)
{
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GUnixFDList) fd_list = NULL;

  if (!hangar_machine_call_open_display_sync (machine, NULL, &handle, &fd_list, NULL, error))
    return -1;
  return take_fd (handle, fd_list);
}

static int
open_serial (HangarMachine  *machine,
             GError        **error)
{
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GUnixFDList) fd_list = NULL;

  if (!hangar_machine_call_open_serial_sync (machine, NULL, &handle, &fd_list, NULL, error))
    return -1;
  return take_fd (handle, fd_list);
}

static void
assert_speaks_rfb (int fd)
{
  g_autoptr(GString) got = g_string_new (NULL);

  if (!read_until (fd, got, RFB_BANNER, REPLY_TIMEOUT_S))
    g_error ("no RFB greeting on the display socket; got '%s'", got->str);
  g_assert_true (g_str_has_prefix (got->str, RFB_BANNER));
}

/* Types `command` into the serial shell on `fd` and waits for `reply`,
 * which its echo cannot contain. */
static void
assert_shell_answers (int         fd,
                      const char *command,
                      const char *reply)
{
  g_autoptr(GString) got = g_string_new (NULL);

  write_all (fd, command);
  if (!read_until (fd, got, reply, REPLY_TIMEOUT_S))
    g_error ("the serial shell did not answer '%s' to '%s'; got '%s'", reply, command, got->str);
}

/* ---- hangarctl with pipes ------------------------------------------------- */

typedef struct {
  GSubprocess *process;
  int          in_fd;      /* its stdin; -1 once closed */
  int          out_fd;     /* its stdout and stderr */
  GString     *out;
  gboolean     exited;
} CtlSession;

static void
on_ctl_exited (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  CtlSession *session = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  session->exited = TRUE;
}

static CtlSession *
ctl_session_new (HangarTestEnv      *env,
                 const char * const *args)
{
  g_auto(GStrv) argv = hangar_test_ctl_argv (env, NULL, args);
  g_auto(GStrv) envp = hangar_test_ctl_environ (env, NULL);
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GError) error = NULL;
  g_autofree char *command = g_strjoinv (" ", argv);
  CtlSession *session = g_new0 (CtlSession, 1);

  g_test_message ("$ %s (with pipes)", command);
  g_subprocess_launcher_set_environ (launcher, envp);
  session->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv, &error);
  g_assert_no_error (error);
  session->in_fd = g_unix_output_stream_get_fd (G_UNIX_OUTPUT_STREAM (g_subprocess_get_stdin_pipe (session->process)));
  session->out_fd = g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (g_subprocess_get_stdout_pipe (session->process)));
  session->out = g_string_new (NULL);
  g_subprocess_wait_async (session->process, NULL, on_ctl_exited, session);
  return session;
}

static void
ctl_session_close_stdin (CtlSession *session)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_close (g_subprocess_get_stdin_pipe (session->process), NULL, &error);
  g_assert_no_error (error);
  session->in_fd = -1;
}

static gboolean
ctl_session_exited (gpointer data)
{
  CtlSession *session = data;

  return session->exited;
}

/* Reads the rest of its output (until it closes stdout) and waits for its
 * end: its exit status. */
static int
ctl_session_finish (CtlSession *session,
                    guint       timeout_s)
{
  read_until (session->out_fd, session->out, "\x01never\x01", timeout_s);
  if (!hangar_test_wait_until (ctl_session_exited, session, timeout_s))
    g_error ("hangarctl did not end; its output: %s", session->out->str);
  if (!g_subprocess_get_if_exited (session->process))
    g_error ("hangarctl was killed by signal %d; its output: %s",
             g_subprocess_get_term_sig (session->process), session->out->str);
  return g_subprocess_get_exit_status (session->process);
}

static void
ctl_session_free (CtlSession *session)
{
  if (!session->exited)
    {
      g_subprocess_force_exit (session->process);
      while (!session->exited)
        g_main_context_iteration (NULL, TRUE);
    }
  g_object_unref (session->process);
  g_string_free (session->out, TRUE);
  g_free (session);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlSession, ctl_session_free)

/* ---- OpenDisplay ---------------------------------------------------------- */

static void
on_display_opened (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GPtrArray *fds = user_data;
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GUnixFDList) fd_list = NULL;
  g_autoptr(GError) error = NULL;

  hangar_machine_call_open_display_finish (HANGAR_MACHINE (source), &handle, &fd_list, result, &error);
  g_assert_no_error (error);
  g_ptr_array_add (fds, GINT_TO_POINTER (take_fd (handle, fd_list)));
}

static void
test_display (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarMachine) shown = define_guest (env, "shown", GUEST_SERIAL | GUEST_VNC, NULL);
  g_autoptr(HangarMachine) headless = define_guest (env, "headless", GUEST_SERIAL, NULL);
  g_autoptr(GPtrArray) many = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *cmdline = NULL;
  int first, second, fd;
  guint engine_fds;

  /* Shut off: the machine has a display, but nothing shows it yet. */
  fd = open_display (shown, &error);
  g_assert_cmpint (fd, ==, -1);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "not running");
  g_clear_error (&error);

  start_guest (shown);

  /* Two clients at once, each greeted by QEMU's VNC server. */
  first = open_display (shown, &error);
  g_assert_no_error (error);
  second = open_display (shown, &error);
  g_assert_no_error (error);
  assert_speaks_rfb (first);
  assert_speaks_rfb (second);
  close (first);
  close (second);

  /* The pointer is a USB tablet by default, and no TCP socket exists. */
  cmdline = process_cmdline ((GPid) hangar_machine_get_pid (shown));
  g_assert_nonnull (strstr (cmdline, "usb-tablet"));
  g_assert_nonnull (strstr (cmdline, "-vnc none"));
  g_assert_false (process_has_tcp_socket ((GPid) hangar_machine_get_pid (shown)));
  g_assert_false (process_has_tcp_socket (env->engine_pid));

  /* Many at once; the engine keeps none of their fds. */
  engine_fds = count_open_fds (env->engine_pid);
  for (guint i = 0; i < 16; i++)
    hangar_machine_call_open_display (shown, NULL, NULL, on_display_opened, many);
  while (many->len < 16)
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < many->len; i++)
    {
      assert_speaks_rfb (GPOINTER_TO_INT (g_ptr_array_index (many, i)));
      close (GPOINTER_TO_INT (g_ptr_array_index (many, i)));
    }
  g_assert_cmpuint (count_open_fds (env->engine_pid), ==, engine_fds);

  /* A paused machine still shows its (frozen) screen. */
  hangar_machine_call_pause_sync (shown, NULL, &error);
  g_assert_no_error (error);
  fd = open_display (shown, &error);
  g_assert_no_error (error);
  assert_speaks_rfb (fd);
  close (fd);
  hangar_machine_call_resume_sync (shown, NULL, &error);
  g_assert_no_error (error);

  /* A running machine without <graphics>: no display, no tablet. */
  start_guest (headless);
  fd = open_display (headless, &error);
  g_assert_cmpint (fd, ==, -1);
  hangar_assert_engine_error (error, HANGAR_ERROR_NO_DEVICE, "<graphics type='vnc'>");
  g_clear_error (&error);
  g_clear_pointer (&cmdline, g_free);
  cmdline = process_cmdline ((GPid) hangar_machine_get_pid (headless));
  g_assert_null (strstr (cmdline, "usb-tablet"));

  g_assert_true (hangar_test_env_engine_alive (env));
  hangar_test_env_free (env);
}

/* A definition that names its own mouse keeps it: no tablet is added. */
static void
test_display_mouse_kept (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *base = guest_xml ("mousy", GUEST_SERIAL | GUEST_VNC, NULL);
  g_autoptr(GString) xml = g_string_new (base);
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cmdline = NULL;
  g_autofree char *stored = NULL;
  int fd;

  g_string_replace (xml, "<graphics type='vnc'/>",
                    "<graphics type='vnc'/><input type='mouse' bus='ps2'/>", 1);
  machine = hangar_test_env_define (env, xml->str);
  start_guest (machine);
  cmdline = process_cmdline ((GPid) hangar_machine_get_pid (machine));
  g_assert_null (strstr (cmdline, "usb-tablet"));
  fd = open_display (machine, &error);
  g_assert_no_error (error);
  assert_speaks_rfb (fd);
  close (fd);

  /* The default is the engine's: the stored definition gained nothing. */
  hangar_machine_call_get_xml_sync (machine, g_variant_new ("a{sv}", NULL), &stored, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (strstr (stored, "tablet"));

  hangar_test_env_free (env);
}

static void
test_vnc_proxy (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarMachine) shown = define_guest (env, "shown", GUEST_SERIAL | GUEST_VNC, NULL);
  g_autoptr(HangarMachine) headless = define_guest (env, "headless", GUEST_SERIAL, NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  /* Shut off. */
  status = hangar_test_ctl (env, &out, &err, "vnc-proxy", "shown", NULL);
  hangar_assert_ctl_error (status, err, "not running");

  start_guest (shown);
  start_guest (headless);

  /* stdin at its end at once: the proxy closes its sending half, QEMU
   * hangs up, and the greeting QEMU sent first is all stdout gets. */
  status = hangar_test_ctl (env, &out, &err, "vnc-proxy", "shown", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_cmpstr (out, ==, RFB_BANNER);

  {
    /* A client on the pipes: the greeting comes, its answer gets QEMU's
     * security types; closing stdin ends the proxy. */
    const char *args[] = { "vnc-proxy", "shown", NULL };
    g_autoptr(CtlSession) session = ctl_session_new (env, args);

    g_assert_true (read_until (session->out_fd, session->out, RFB_BANNER, REPLY_TIMEOUT_S));
    write_all (session->in_fd, RFB_BANNER);
    /* RFB 3.8: number-of-security-types (1), then type None (1). */
    g_assert_true (read_until (session->out_fd, session->out, RFB_BANNER "\x01\x01", REPLY_TIMEOUT_S));
    ctl_session_close_stdin (session);
    g_assert_cmpint (ctl_session_finish (session, REPLY_TIMEOUT_S), ==, 0);
  }

  status = hangar_test_ctl (env, &out, &err, "vnc-proxy", "headless", NULL);
  hangar_assert_ctl_error (status, err, "<graphics type='vnc'>");

  status = hangar_test_ctl (env, &out, &err, "vnc-proxy", "nosuch", NULL);
  hangar_assert_ctl_error (status, err, "nosuch");

  g_assert_true (hangar_test_env_engine_alive (env));
  hangar_test_env_free (env);
}

/* ---- OpenSerial ----------------------------------------------------------- */

static void
test_serial (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarMachine) talker = define_guest (env, "talker", GUEST_SERIAL, "hangar.heartbeat");
  g_autoptr(HangarMachine) mute = define_guest (env, "mute", GUEST_VNC, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *log = NULL;
  int first, second, fd;
  guint beats;

  fd = open_serial (talker, &error);
  g_assert_cmpint (fd, ==, -1);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "not running");
  g_clear_error (&error);

  start_guest (talker);
  wait_for_shell (talker);

  /* A command typed on the socket runs in the guest's shell, and the log
   * records the session too. */
  first = open_serial (talker, &error);
  g_assert_no_error (error);
  assert_shell_answers (first, "echo hangar-$((6*7))\n", "hangar-42");
  g_assert_true (hangar_test_wait_for_console (talker, "hangar-42", REPLY_TIMEOUT_S));

  /* A second OpenSerial takes over: the first socket ends. */
  second = open_serial (talker, &error);
  g_assert_no_error (error);
  g_assert_true (reads_eof (first, REPLY_TIMEOUT_S));
  close (first);
  assert_shell_answers (second, "echo second-$((1+1))\n", "second-2");

  /* With nobody attached the guest's output still reaches the log. */
  close (second);
  log = hangar_test_console_log (talker);
  beats = hangar_test_count (log, "HANGAR-GUEST-ALIVE");
  g_clear_pointer (&log, g_free);
  for (guint i = 0; i < 120; i++)
    {
      log = hangar_test_console_log (talker);
      if (hangar_test_count (log, "HANGAR-GUEST-ALIVE") >= beats + 2)
        break;
      g_clear_pointer (&log, g_free);
      g_usleep (500 * 1000);
    }
  g_assert_nonnull (log);

  /* And the port can be opened again after that. */
  fd = open_serial (talker, &error);
  g_assert_no_error (error);
  assert_shell_answers (fd, "echo third-$((2+1))\n", "third-3");
  close (fd);

  /* A running machine without a serial port. */
  start_guest (mute);
  fd = open_serial (mute, &error);
  g_assert_cmpint (fd, ==, -1);
  hangar_assert_engine_error (error, HANGAR_ERROR_NO_DEVICE, "<serial>");
  g_clear_error (&error);

  g_assert_true (hangar_test_env_engine_alive (env));
  hangar_test_env_free (env);
}

static void
test_console (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarMachine) talker = define_guest (env, "talker", GUEST_SERIAL, NULL);
  g_autoptr(HangarMachine) mute = define_guest (env, "mute", GUEST_VNC, NULL);
  const char *args[] = { "console", "talker", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  status = hangar_test_ctl (env, &out, &err, "console", "talker", NULL);
  hangar_assert_ctl_error (status, err, "not running");

  start_guest (talker);
  wait_for_shell (talker);

  {
    /* A pipe on stdin: the command runs, the end of input ends it. */
    g_autoptr(CtlSession) session = ctl_session_new (env, args);

    g_assert_true (read_until (session->out_fd, session->out, "Escape character is ^]", REPLY_TIMEOUT_S));
    write_all (session->in_fd, "echo hangar-$((6*7))\n");
    if (!read_until (session->out_fd, session->out, "hangar-42", REPLY_TIMEOUT_S))
      g_error ("hangarctl console showed no answer: %s", session->out->str);
    ctl_session_close_stdin (session);
    g_assert_cmpint (ctl_session_finish (session, REPLY_TIMEOUT_S), ==, 0);
    g_assert_true (g_str_has_prefix (session->out->str, "Connected to domain 'talker'\n"));
  }

  {
    /* Ctrl+] leaves, with stdin still open. */
    g_autoptr(CtlSession) session = ctl_session_new (env, args);

    g_assert_true (read_until (session->out_fd, session->out, "Escape character is ^]", REPLY_TIMEOUT_S));
    write_all (session->in_fd, "echo bye-$((3*3))\n");
    g_assert_true (read_until (session->out_fd, session->out, "bye-9", REPLY_TIMEOUT_S));
    write_all (session->in_fd, "\x1d");
    g_assert_cmpint (ctl_session_finish (session, REPLY_TIMEOUT_S), ==, 0);
  }

  {
    /* A second console takes the port over; the first one ends. */
    g_autoptr(CtlSession) session = ctl_session_new (env, args);
    g_autoptr(CtlSession) taker = NULL;

    g_assert_true (read_until (session->out_fd, session->out, "Escape character is ^]", REPLY_TIMEOUT_S));
    taker = ctl_session_new (env, args);
    g_assert_true (read_until (taker->out_fd, taker->out, "Escape character is ^]", REPLY_TIMEOUT_S));
    g_assert_cmpint (ctl_session_finish (session, REPLY_TIMEOUT_S), ==, 0);
    write_all (taker->in_fd, "echo taken-$((5*5))\n");
    g_assert_true (read_until (taker->out_fd, taker->out, "taken-25", REPLY_TIMEOUT_S));
    ctl_session_close_stdin (taker);
    g_assert_cmpint (ctl_session_finish (taker, REPLY_TIMEOUT_S), ==, 0);
  }

  start_guest (mute);
  status = hangar_test_ctl (env, &out, &err, "console", "mute", NULL);
  hangar_assert_ctl_error (status, err, "<serial>");

  g_assert_true (hangar_test_env_engine_alive (env));
  hangar_test_env_free (env);
}

/* On a terminal: raw mode while connected (keys go to the guest as typed,
 * its own echo shows them), Ctrl+] leaves and the terminal is as before. */
static void
test_console_tty (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarMachine) talker = define_guest (env, "talker", GUEST_SERIAL, NULL);
  const char *args[] = { "console", "talker", NULL };
  g_auto(GStrv) argv = hangar_test_ctl_argv (env, NULL, args);
  g_auto(GStrv) envp = hangar_test_ctl_environ (env, NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GString) screen = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  struct termios before, during, after;
  int master, slave;

  start_guest (talker);
  wait_for_shell (talker);

  master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  g_assert_cmpint (master, >=, 0);
  g_assert_cmpint (grantpt (master), ==, 0);
  g_assert_cmpint (unlockpt (master), ==, 0);
  slave = open (ptsname (master), O_RDWR | O_NOCTTY);
  g_assert_cmpint (slave, >=, 0);
  g_assert_cmpint (tcgetattr (slave, &before), ==, 0);
  g_assert_true ((before.c_lflag & (ICANON | ECHO)) == (ICANON | ECHO));

  g_subprocess_launcher_set_environ (launcher, envp);
  g_subprocess_launcher_take_stdin_fd (launcher, dup (slave));
  g_subprocess_launcher_take_stdout_fd (launcher, dup (slave));
  g_subprocess_launcher_take_stderr_fd (launcher, dup (slave));
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv, &error);
  g_assert_no_error (error);

  g_assert_true (read_until (master, screen, "Escape character is ^]", REPLY_TIMEOUT_S));
  /* Raw: what the terminal would have echoed or edited goes to the guest. */
  write_all (master, "echo tty-$((4*4))\r");
  if (!read_until (master, screen, "tty-16", REPLY_TIMEOUT_S))
    g_error ("no answer on the terminal: %s", screen->str);
  g_assert_cmpint (tcgetattr (slave, &during), ==, 0);
  g_assert_cmpuint (during.c_lflag & (ICANON | ECHO | ISIG), ==, 0);

  write_all (master, "\x1d");
  g_subprocess_wait_check (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (tcgetattr (slave, &after), ==, 0);
  g_assert_cmpuint (after.c_lflag, ==, before.c_lflag);
  g_assert_cmpuint (after.c_iflag, ==, before.c_iflag);
  g_assert_cmpuint (after.c_oflag, ==, before.c_oflag);

  close (slave);
  close (master);
  g_assert_true (hangar_test_env_engine_alive (env));
  hangar_test_env_free (env);
}

/* The sockets join the client and QEMU directly: an open console and
 * display outlive an engine restart, and the next engine, reconnected to
 * the same QEMU, hands out new ones (the serial port taken over). */
static void
test_engine_restart (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarMachine) machine = define_guest (env, "lasting", GUEST_SERIAL | GUEST_VNC, NULL);
  g_autoptr(HangarMachine) again = NULL;
  g_autoptr(GError) error = NULL;
  int serial, display, fd;
  guint pid;

  start_guest (machine);
  wait_for_shell (machine);
  pid = hangar_machine_get_pid (machine);
  serial = open_serial (machine, &error);
  g_assert_no_error (error);
  display = open_display (machine, &error);
  g_assert_no_error (error);

  hangar_test_env_kill_engine (env, SIGKILL);
  assert_shell_answers (serial, "echo alone-$((7*7))\n", "alone-49");
  assert_speaks_rfb (display);
  close (display);

  hangar_test_env_start_engine (env);
  again = hangar_test_env_lookup (env, "lasting");
  g_assert_true (hangar_test_wait_for_state (again, "running", STATE_TIMEOUT_S));
  g_assert_cmpuint (hangar_machine_get_pid (again), ==, pid);

  fd = open_serial (again, &error);
  g_assert_no_error (error);
  g_assert_true (reads_eof (serial, REPLY_TIMEOUT_S));
  close (serial);
  assert_shell_answers (fd, "echo back-$((8*8))\n", "back-64");
  close (fd);

  fd = open_display (again, &error);
  g_assert_no_error (error);
  assert_speaks_rfb (fd);
  close (fd);

  g_assert_true (hangar_test_env_engine_alive (env));
  hangar_test_env_free (env);
}

/* ---- bad input ------------------------------------------------------------ */

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

static void
collect_tree (const char *path,
              GString    *out)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *child = g_build_filename (path, g_ptr_array_index (names, i), NULL);
      g_autofree char *contents = NULL;

      g_string_append_printf (out, "%s\n", child);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        collect_tree (child, out);
      else if (g_file_get_contents (child, &contents, NULL, NULL))
        g_string_append (out, contents);
    }
}

static char *
snapshot_definitions (HangarTestEnv *env)
{
  g_autofree char *config = g_build_filename (env->root, "config", NULL);
  GString *out = g_string_new (NULL);

  collect_tree (config, out);
  return g_string_free (out, FALSE);
}

/* Every wrong call gets a named error; the engine stays up, keeps its
 * definitions and its fds, and no QEMU is started. */
static void
test_bad_input (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarMachine) shown = define_guest (env, "shown", GUEST_SERIAL | GUEST_VNC, NULL);
  g_autoptr(HangarMachine) bare = define_guest (env, "bare", 0, NULL);
  g_autoptr(HangarMachine) gone = define_guest (env, "gone", GUEST_SERIAL | GUEST_VNC, NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(GArray) qemus = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  HangarMachine *shut_off[] = { shown, bare };
  guint engine_fds;
  int status;

  hangar_machine_call_undefine_sync (gone, g_variant_new ("a{sv}", NULL), NULL, &error);
  g_assert_no_error (error);
  before = snapshot_definitions (env);
  engine_fds = count_open_fds (env->engine_pid);

  for (guint round = 0; round < 5; round++)
    for (guint i = 0; i < G_N_ELEMENTS (shut_off); i++)
      {
        g_autoptr(GVariant) handle = NULL;
        g_autoptr(GUnixFDList) returned = NULL;
        g_autoptr(GUnixFDList) junk = g_unix_fd_list_new ();
        int null_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);

        /* File descriptors nobody asked for are ignored (and not kept). */
        g_assert_cmpint (g_unix_fd_list_append (junk, null_fd, NULL), ==, 0);
        close (null_fd);

        hangar_machine_call_open_display_sync (shut_off[i], junk, &handle, &returned, NULL, &error);
        hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "not running");
        g_assert_null (returned);
        g_clear_error (&error);

        hangar_machine_call_open_serial_sync (shut_off[i], junk, &handle, &returned, NULL, &error);
        hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "not running");
        g_assert_null (returned);
        g_clear_error (&error);
      }

  /* The object of an undefined machine is gone: D-Bus says so. */
  g_assert_cmpint (open_display (gone, &error), ==, -1);
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpint (open_serial (gone, &error), ==, -1);
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* hangarctl: unknown machines, wrong states, wrong arguments. */
  status = hangar_test_ctl (env, &out, &err, "vnc-proxy", "nosuch", NULL);
  hangar_assert_ctl_error (status, err, "nosuch");
  status = hangar_test_ctl (env, &out, &err, "console", "nosuch", NULL);
  hangar_assert_ctl_error (status, err, "nosuch");
  status = hangar_test_ctl (env, &out, &err, "console", "bare", NULL);
  hangar_assert_ctl_error (status, err, "not running");
  status = hangar_test_ctl (env, &out, &err, "vnc-proxy", NULL);
  hangar_assert_ctl_error (status, err, "NAME");
  status = hangar_test_ctl (env, &out, &err, "console", "a", "b", NULL);
  hangar_assert_ctl_error (status, err, "“b”");

  after = snapshot_definitions (env);
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpuint (count_open_fds (env->engine_pid), ==, engine_fds);
  qemus = hangar_test_env_qemu_pids (env);
  g_assert_cmpuint (qemus->len, ==, 0);
  g_assert_true (hangar_test_env_engine_alive (env));
  hangar_test_env_free (env);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* A proxy whose peer went away must not take the test down. */
  signal (SIGPIPE, SIG_IGN);

  g_test_add_func ("/engine-display/display", test_display);
  g_test_add_func ("/engine-display/display-mouse-kept", test_display_mouse_kept);
  g_test_add_func ("/engine-display/vnc-proxy", test_vnc_proxy);
  g_test_add_func ("/engine-display/serial", test_serial);
  g_test_add_func ("/engine-display/console", test_console);
  g_test_add_func ("/engine-display/console-tty", test_console_tty);
  g_test_add_func ("/engine-display/engine-restart", test_engine_restart);
  g_test_add_func ("/engine-display/bad-input", test_bad_input);
  return g_test_run ();
}
