/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangarctl"

#include "hangarctl.h"

#include <glib-unix.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

/* polkit's text agent, pkttyagent, as systemctl and virsh start it: for
 * this process only and as a fallback, so a desktop's own agent (its
 * dialog) still wins; in a terminal without one (ssh) the password is
 * asked right there. */

#define AGENT_NOTIFY_FD            3
#define AGENT_REGISTER_TIMEOUT_MS  5000

/* The agent goes when hangarctl goes, however it ends. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* polkit looks at a fallback agent only for callers in a login session
 * (logind's): without logind there is no session agent to give way to,
 * and a fallback agent would never be asked. As sd_booted() and logind. */
static gboolean
logind_is_running (void)
{
  return g_file_test ("/run/systemd/system", G_FILE_TEST_IS_DIR) &&
         g_file_test ("/run/systemd/seats", G_FILE_TEST_IS_DIR);
}

GSubprocess *
hangarctl_polkit_agent_open (void)
{
  g_autofree char *pkttyagent = NULL;
  g_autofree char *pid = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) agent = NULL;
  g_autoptr(GError) error = NULL;
  struct pollfd notify_poll;
  int notify[2];
  char byte;

  /* Only a person at a terminal can answer; root is never asked. */
  if (getuid () == 0 || !isatty (STDIN_FILENO) || !isatty (STDERR_FILENO))
    return NULL;
  pkttyagent = g_find_program_in_path ("pkttyagent");
  if (pkttyagent == NULL || !g_unix_open_pipe (notify, FD_CLOEXEC, &error))
    return NULL;

  pid = g_strdup_printf ("%d", (int) getpid ());
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_INHERIT);
  g_subprocess_launcher_take_fd (launcher, notify[1], AGENT_NOTIFY_FD);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  agent = g_subprocess_launcher_spawn (launcher, &error, pkttyagent, "--notify-fd",
                                       G_STRINGIFY (AGENT_NOTIFY_FD), "--process", pid,
                                       logind_is_running () ? "--fallback" : NULL,
                                       NULL);
  /* Closes our copy of the write end: only the agent holds it now. */
  g_clear_object (&launcher);
  if (agent == NULL)
    {
      g_debug ("No polkit text agent: %s", error->message);
      close (notify[0]);
      return NULL;
    }

  /* It closes the notify fd once it is registered with polkit. */
  notify_poll.fd = notify[0];
  notify_poll.events = POLLIN;
  while (poll (&notify_poll, 1, AGENT_REGISTER_TIMEOUT_MS) > 0 && read (notify[0], &byte, 1) > 0)
    ;
  close (notify[0]);
  return g_steal_pointer (&agent);
}

void
hangarctl_polkit_agent_close (GSubprocess *agent)
{
  if (agent == NULL)
    return;
  g_subprocess_send_signal (agent, SIGTERM);
  g_subprocess_wait (agent, NULL, NULL);
  g_object_unref (agent);
}
