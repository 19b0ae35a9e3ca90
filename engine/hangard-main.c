/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdlib.h>
#include <unistd.h>

#include "hangard-daemon.h"
#include "hangard-error.h"
#include "hangard-qemu-user.h"

typedef struct {
  GMainLoop     *loop;
  HangardDaemon *daemon;
  int            exit_status;
} Engine;

static void
on_name_acquired (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  Engine *engine = user_data;

  g_message ("Serving %s", name);
  hangard_daemon_start (engine->daemon);
}

static void
on_name_lost (GDBusConnection *connection,
              const char      *name,
              gpointer         user_data)
{
  Engine *engine = user_data;

  g_printerr ("hangard: cannot own %s on this bus: is another hangard running?\n", name);
  engine->exit_status = EXIT_FAILURE;
  g_main_loop_quit (engine->loop);
}

static gboolean
on_quit_signal (gpointer user_data)
{
  Engine *engine = user_data;

  /* Guests keep running: a new engine picks them up again. */
  g_message ("Stopping; running machines keep running");
  g_main_loop_quit (engine->loop);
  return G_SOURCE_CONTINUE;
}

static GDBusConnection *
open_bus (HangardMode   mode,
          const char   *address,
          GError      **error)
{
  if (address != NULL)
    return g_dbus_connection_new_for_address_sync (address,
                                                   G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                   G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                   NULL, NULL, error);
  return g_bus_get_sync (mode == HANGARD_MODE_SYSTEM ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION, NULL, error);
}

int
main (int   argc,
      char *argv[])
{
  gboolean session = FALSE, system = FALSE, verbose = FALSE, version = FALSE;
  g_autofree char *bus_address = NULL;
  g_autofree char *root = NULL;
  g_autofree char *qemu = NULL;
  g_autofree char *qemu_user = NULL;
  GOptionEntry entries[] = {
    { "session", 0, 0, G_OPTION_ARG_NONE, &session, N_("Serve the user's session bus (the default)"), NULL },
    { "system", 0, 0, G_OPTION_ARG_NONE, &system, N_("Serve the system bus, as root"), NULL },
    { "bus-address", 0, 0, G_OPTION_ARG_STRING, &bus_address, N_("Serve the bus at this D-Bus address instead"), N_("ADDRESS") },
    { "root", 0, 0, G_OPTION_ARG_FILENAME, &root, N_("Keep every file under this directory"), N_("DIR") },
    { "qemu", 0, 0, G_OPTION_ARG_FILENAME, &qemu, N_("The QEMU binary to run guests with"), N_("PATH") },
    { "qemu-user", 0, 0, G_OPTION_ARG_STRING, &qemu_user,
      N_("System mode: run QEMU as this unprivileged user (default hangar-qemu)"), N_("USER") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_("Print debug messages"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(HangardHost) host = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  Engine engine = { 0 };
  HangardMode mode;
  HangardPaths *paths;
  guint owner_id;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("Hangar's engine: runs virtual machines and serves them over D-Bus."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("hangard: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (version)
    {
      g_print ("hangard %s\n", HANGAR_VERSION);
      return EXIT_SUCCESS;
    }
  if (qemu_user != NULL && !system)
    {
      g_printerr ("hangard: --qemu-user is for --system: a session engine runs QEMU as its own user\n");
      return EXIT_FAILURE;
    }
  if (session && system)
    {
      g_printerr ("hangard: --session and --system exclude each other\n");
      return EXIT_FAILURE;
    }
  if (verbose)
    g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);

  mode = system ? HANGARD_MODE_SYSTEM : HANGARD_MODE_SESSION;
  if (mode == HANGARD_MODE_SYSTEM && root == NULL && getuid () != 0)
    {
      g_printerr ("hangard: --system needs root (or --root DIR for a test tree)\n");
      return EXIT_FAILURE;
    }

  /* Make sure remote errors map back to our codes in every message. */
  (void) HANGAR_ERROR;

  /* The bus a system engine serves is its system bus: polkit is asked
   * there (the tests run a polkitd on their private bus). */
  if (mode == HANGARD_MODE_SYSTEM && bus_address != NULL)
    g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", bus_address, TRUE);

  connection = open_bus (mode, bus_address, &error);
  if (connection == NULL)
    {
      g_printerr ("hangard: cannot connect to the bus: %s\n", error->message);
      return EXIT_FAILURE;
    }
  /* The engine decides its own life: a bus that goes away ends it cleanly. */
  g_dbus_connection_set_exit_on_close (connection, TRUE);

  host = hangard_host_new (qemu);
  paths = hangard_paths_new (mode, root);
  if (mode == HANGARD_MODE_SYSTEM)
    {
      /* Beside /run/hangar (root's alone), so QEMU's user can reach its own. */
      g_autofree char *run_dir = g_path_get_dirname (paths->runtime_dir);
      g_autofree char *private_dir = g_build_filename (run_dir, "hangar-qemu", NULL);
      /* Transient scopes need systemd and the real system bus it listens on. */
      gboolean systemd = bus_address == NULL && g_file_test ("/run/systemd/system", G_FILE_TEST_IS_DIR);

      hangard_host_set_confinement (host, qemu_user != NULL ? qemu_user : HANGARD_QEMU_USER_DEFAULT,
                                    private_dir, systemd ? connection : NULL);
    }
  engine.daemon = hangard_daemon_new (connection, paths, host, &error);
  if (engine.daemon == NULL)
    {
      g_printerr ("hangard: %s\n", error->message);
      return EXIT_FAILURE;
    }

  loop = g_main_loop_new (NULL, FALSE);
  engine.loop = loop;
  g_unix_signal_add (SIGTERM, on_quit_signal, &engine);
  g_unix_signal_add (SIGINT, on_quit_signal, &engine);

  owner_id = g_bus_own_name_on_connection (connection, HANGARD_DBUS_NAME, G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                           on_name_acquired, on_name_lost, &engine, NULL);
  g_main_loop_run (loop);

  g_bus_unown_name (owner_id);
  g_clear_object (&engine.daemon);
  return engine.exit_status;
}
