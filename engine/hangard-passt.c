/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-passt"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "hangard-error.h"
#include "hangard-passt.h"
#include "hangard-network-def.h"

/* Where passt sees passt's end of the socket pair. */
#define PASST_CHILD_FD 3

static const char *
passt_path (void)
{
  static char *path;
  static gsize looked;

  if (g_once_init_enter (&looked))
    {
      path = g_find_program_in_path ("passt");
      g_once_init_leave (&looked, 1);
    }
  return path;
}

gboolean
hangard_passt_usable (GError **error)
{
  if (geteuid () == 0)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   _("passt does not run as root: use user-mode networking with <backend type='default'/>"));
      return FALSE;
    }
  if (passt_path () == NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   _("passt is not installed (install the passt package), or use <backend type='default'/>"));
      return FALSE;
    }
  return TRUE;
}

/* "-t 127.0.0.1/2222:22": host address (optional), host port, guest port.
 * The parts are checked again: a bad one must not become another option. */
static gboolean
add_port_forward (GStrvBuilder             *argv,
                  const HangardPortForward *forward,
                  guint                     index,
                  GError                  **error)
{
  const char *protocol = forward->protocol != NULL ? forward->protocol : "";
  const char *option;
  g_autofree char *spec = NULL;

  if (strcmp (protocol, "tcp") == 0)
    option = "-t";
  else if (strcmp (protocol, "udp") == 0)
    option = "-u";
  else
    option = NULL;

  if (option == NULL ||
      (forward->host_address != NULL && !hangard_ipv4_parse (forward->host_address, NULL)) ||
      forward->host_port == 0 || forward->host_port > 65535 ||
      forward->guest_port == 0 || forward->guest_port > 65535)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Invalid port forward on network interface %u", index);
      return FALSE;
    }

  spec = g_strdup_printf ("%s%s%u:%u",
                          forward->host_address ? forward->host_address : "",
                          forward->host_address ? "/" : "",
                          forward->host_port, forward->guest_port);
  g_strv_builder_add_many (argv, option, spec, NULL);
  return TRUE;
}

static void
child_setup (gpointer user_data)
{
  /* Like QEMU: its own session, out of reach of the engine's terminal. */
  setsid ();
}

int
hangard_passt_spawn (const HangardNicDef  *nic,
                     guint                 index,
                     int                   log_fd,
                     GPid                 *pid,
                     GError              **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  int pair[2];
  int source_fds[1];
  int target_fds[1] = { PASST_CHILD_FD };
  gboolean spawned;

  if (!hangard_passt_usable (error))
    return -1;

  /* -f: stay our child rather than daemonize; -q: only errors reach the
   * log; -F: the connected socket instead of a listening one in /tmp. */
  g_strv_builder_add_many (builder, passt_path (), "-f", "-q", "-F", G_STRINGIFY (PASST_CHILD_FD), NULL);
  for (guint i = 0; i < nic->port_forwards->len; i++)
    if (!add_port_forward (builder, g_ptr_array_index (nic->port_forwards, i), index, error))
      return -1;
  argv = g_strv_builder_end (builder);

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                   "Cannot create a socket pair for passt: %s", g_strerror (saved_errno));
      return -1;
    }

  source_fds[0] = pair[0];
  spawned = g_spawn_async_with_pipes_and_fds (NULL, (const char * const *) argv, NULL,
                                              G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                                              child_setup, NULL,
                                              -1, log_fd, log_fd,
                                              source_fds, target_fds, 1,
                                              pid, NULL, NULL, NULL, error);
  close (pair[0]);
  if (!spawned)
    {
      close (pair[1]);
      return -1;
    }
  return pair[1];
}
