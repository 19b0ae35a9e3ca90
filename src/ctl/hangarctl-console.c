/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangarctl"

#include "hangarctl.h"

#include <errno.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <signal.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

/* Consoles: the engine hands out connected sockets (Machine.OpenDisplay,
 * Machine.OpenSerial) and these verbs bridge one to stdin/stdout.
 *
 *   vnc-proxy NAME  the guest's VNC display for any RFB client on the other
 *                   end of stdin/stdout, e.g. `ssh host hangarctl vnc-proxy
 *                   vm` as a VNC viewer's proxy command. The end of stdin
 *                   closes the sending half; it ends when the display side
 *                   closes.
 *   console NAME    the guest's serial port, like `virsh console`: the
 *                   terminal in raw mode when stdin is one, Ctrl+] leaves;
 *                   the end of stdin ends it too (a pipe works). */

#define ESCAPE_CHAR 0x1d   /* Ctrl+] */
#define CHUNK_SIZE (64 * 1024)

typedef struct {
  GMainLoop  *loop;
  int         socket_fd;
  gboolean    escape;        /* console: Ctrl+] on stdin leaves */
  gboolean    eof_ends;      /* console: the end of stdin ends the session */

  GByteArray *to_socket;     /* read from stdin, not yet taken by the socket */
  guint       stdin_watch;   /* while to_socket is empty and stdin is open */
  guint       socket_in_watch;
  guint       socket_out_watch; /* while to_socket holds bytes */
  gboolean    stdin_done;
  gboolean    leaving;       /* Ctrl+] seen: leave once to_socket is out */
  GError     *error;
} Bridge;

static void update_watches (Bridge *bridge);

static void
bridge_quit (Bridge *bridge)
{
  g_main_loop_quit (bridge->loop);
}

static void
bridge_fail (Bridge     *bridge,
             int         saved_errno,
             const char *what)
{
  if (bridge->error == NULL)
    bridge->error = g_error_new (G_IO_ERROR, g_io_error_from_errno (saved_errno),
                                 "%s: %s", what, g_strerror (saved_errno));
  bridge_quit (bridge);
}

static gboolean
write_all (int          fd,
           const guint8 *data,
           gsize        length)
{
  while (length > 0)
    {
      gssize n = write (fd, data, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      length -= (gsize) n;
    }
  return TRUE;
}

/* As much of to_socket as the socket takes now. */
static gboolean
flush_to_socket (Bridge *bridge)
{
  while (bridge->to_socket->len > 0)
    {
      gssize n = send (bridge->socket_fd, bridge->to_socket->data, bridge->to_socket->len,
                       MSG_DONTWAIT | MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return TRUE;
      if (n < 0)
        {
          bridge_fail (bridge, errno, _("Cannot write to the machine"));
          return FALSE;
        }
      g_byte_array_remove_range (bridge->to_socket, 0, (guint) n);
    }
  return TRUE;
}

/* The console leaves at the end of its input; the proxy tells the display
 * side (update_watches() closes the sending half) and waits for its end. */
static void
stdin_finished (Bridge *bridge)
{
  bridge->stdin_done = TRUE;
  if (bridge->eof_ends)
    bridge->leaving = TRUE;
}

static gboolean
on_stdin (int          fd,
          GIOCondition condition,
          gpointer     user_data)
{
  Bridge *bridge = user_data;
  guint8 buffer[CHUNK_SIZE];
  gssize n = read (fd, buffer, sizeof buffer);

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return G_SOURCE_CONTINUE;

  bridge->stdin_watch = 0;
  if (n < 0)
    {
      bridge_fail (bridge, errno, _("Cannot read the standard input"));
      return G_SOURCE_REMOVE;
    }
  if (n == 0)
    stdin_finished (bridge);
  else
    {
      const guint8 *escape = bridge->escape ? memchr (buffer, ESCAPE_CHAR, (gsize) n) : NULL;

      if (escape != NULL)
        {
          n = escape - buffer;
          bridge->stdin_done = TRUE;
          bridge->leaving = TRUE;
        }
      g_byte_array_append (bridge->to_socket, buffer, (guint) n);
    }

  if (flush_to_socket (bridge))
    update_watches (bridge);
  return G_SOURCE_REMOVE;
}

static gboolean
on_socket_writable (int          fd,
                    GIOCondition condition,
                    gpointer     user_data)
{
  Bridge *bridge = user_data;

  bridge->socket_out_watch = 0;
  if (flush_to_socket (bridge))
    update_watches (bridge);
  return G_SOURCE_REMOVE;
}

static gboolean
on_socket_readable (int          fd,
                    GIOCondition condition,
                    gpointer     user_data)
{
  Bridge *bridge = user_data;
  guint8 buffer[CHUNK_SIZE];
  gssize n = recv (fd, buffer, sizeof buffer, MSG_DONTWAIT);

  if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
    return G_SOURCE_CONTINUE;
  if (n < 0 && errno != ECONNRESET)
    {
      bridge->socket_in_watch = 0;
      bridge_fail (bridge, errno, _("Cannot read from the machine"));
      return G_SOURCE_REMOVE;
    }
  if (n <= 0)
    {
      /* The machine's side closed: the guest stopped, or another client
       * took the serial port over. */
      bridge->socket_in_watch = 0;
      bridge_quit (bridge);
      return G_SOURCE_REMOVE;
    }
  /* Blocking on stdout is the back-pressure towards QEMU. */
  if (!write_all (STDOUT_FILENO, buffer, (gsize) n))
    {
      int saved_errno = errno;

      bridge->socket_in_watch = 0;
      /* The reader went away (a VNC viewer closing its proxy pipe): done. */
      if (saved_errno == EPIPE)
        bridge_quit (bridge);
      else
        bridge_fail (bridge, saved_errno, _("Cannot write to the standard output"));
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* Reads stdin only while the socket has taken everything before, so a
 * guest that does not read its serial port cannot make hangarctl block:
 * Ctrl+] still arrives. */
static void
update_watches (Bridge *bridge)
{
  if (bridge->to_socket->len > 0)
    {
      if (bridge->socket_out_watch == 0)
        bridge->socket_out_watch = g_unix_fd_add (bridge->socket_fd, G_IO_OUT | G_IO_ERR | G_IO_HUP,
                                                  on_socket_writable, bridge);
      return;
    }

  if (bridge->leaving)
    {
      bridge_quit (bridge);
      return;
    }
  if (bridge->stdin_done)
    {
      shutdown (bridge->socket_fd, SHUT_WR);
      return;
    }
  if (bridge->stdin_watch == 0)
    bridge->stdin_watch = g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, bridge);
}

static gboolean
on_quit_signal (gpointer user_data)
{
  bridge_quit (user_data);
  return G_SOURCE_CONTINUE;
}

/* Copies between stdin/stdout and `socket_fd` until one side is done. */
static gboolean
run_bridge (int        socket_fd,
            gboolean   console,
            GError   **error)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Bridge bridge = {
    .loop = loop,
    .socket_fd = socket_fd,
    .escape = console,
    .eof_ends = console,
    .to_socket = g_byte_array_new (),
  };
  guint signal_ids[3];

  /* A reader that goes away is an EPIPE to handle, not a death. */
  signal (SIGPIPE, SIG_IGN);
  signal_ids[0] = g_unix_signal_add (SIGINT, on_quit_signal, &bridge);
  signal_ids[1] = g_unix_signal_add (SIGTERM, on_quit_signal, &bridge);
  signal_ids[2] = g_unix_signal_add (SIGHUP, on_quit_signal, &bridge);

  bridge.socket_in_watch = g_unix_fd_add (socket_fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                          on_socket_readable, &bridge);
  update_watches (&bridge);
  g_main_loop_run (loop);

  for (guint i = 0; i < G_N_ELEMENTS (signal_ids); i++)
    g_source_remove (signal_ids[i]);
  g_clear_handle_id (&bridge.stdin_watch, g_source_remove);
  g_clear_handle_id (&bridge.socket_in_watch, g_source_remove);
  g_clear_handle_id (&bridge.socket_out_watch, g_source_remove);
  g_byte_array_unref (bridge.to_socket);

  if (bridge.error != NULL)
    {
      g_propagate_error (error, bridge.error);
      return FALSE;
    }
  return TRUE;
}

/* The fd of an Open* reply (a dup: the caller closes it). */
static int
steal_reply_fd (GVariant     *handle,
                GUnixFDList  *fd_list,
                GError      **error)
{
  if (fd_list == NULL || handle == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("The engine sent no connection"));
      return -1;
    }
  return g_unix_fd_list_get (fd_list, g_variant_get_handle (handle), error);
}

/* vnc-proxy NAME */

static gboolean
run_vnc_proxy (HangarctlContext     *ctx,
               const HangarctlVerb  *verb G_GNUC_UNUSED,
               char                **args,
               GError              **error)
{
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GUnixFDList) fd_list = NULL;
  gboolean ok;
  int fd;

  machine = hangarctl_lookup_machine (ctx, args[0], error);
  if (machine == NULL)
    return FALSE;
  if (!hangar_machine_call_open_display_sync (machine, NULL, &handle, &fd_list, NULL, error))
    return FALSE;
  fd = steal_reply_fd (handle, fd_list, error);
  if (fd < 0)
    return FALSE;

  /* stdout carries RFB from here on: nothing else may be printed on it. */
  ok = run_bridge (fd, FALSE, error);
  close (fd);
  return ok;
}

/* console NAME */

static gboolean
run_console (HangarctlContext     *ctx,
             const HangarctlVerb  *verb G_GNUC_UNUSED,
             char                **args,
             GError              **error)
{
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GUnixFDList) fd_list = NULL;
  struct termios saved, raw;
  gboolean is_tty;
  gboolean ok;
  int fd;

  machine = hangarctl_lookup_machine (ctx, args[0], error);
  if (machine == NULL)
    return FALSE;
  if (!hangar_machine_call_open_serial_sync (machine, NULL, &handle, &fd_list, NULL, error))
    return FALSE;
  fd = steal_reply_fd (handle, fd_list, error);
  if (fd < 0)
    return FALSE;

  hangarctl_message (ctx, _("Connected to domain '%s'"), hangarctl_machine_name (machine));
  hangarctl_message (ctx, _("Escape character is ^] (Ctrl + ])"));
  fflush (stdout);

  /* Raw mode: every key goes to the guest as typed (Ctrl+C included), and
   * the guest's own line editing and echo do the rest. */
  is_tty = isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved) == 0;
  if (is_tty)
    {
      raw = saved;
      cfmakeraw (&raw);
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &raw);
    }

  ok = run_bridge (fd, TRUE, error);
  close (fd);

  if (is_tty)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
      /* The guest's last line may not have ended. */
      fputc ('\n', stdout);
    }
  return ok;
}

#define MACHINE N_("NAME")

static const HangarctlVerb verbs[] = {
  { "console", run_console, MACHINE,
    N_("Connect to a machine’s serial console (Ctrl+] leaves)"), NULL, 1, 1, NULL },
  { "vnc-proxy", run_vnc_proxy, MACHINE,
    N_("Bridge a machine’s VNC display to stdin and stdout, for a VNC viewer’s proxy command"),
    NULL, 1, 1, NULL },
  { NULL }
};

const HangarctlVerbGroup hangarctl_console_verbs = {
  N_("Consoles"), verbs
};
