/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-authority"

/* The authorization rules on their own, and how clients mark their calls
 * as allowing interactive authorization. The engine with polkit is tested
 * end to end in test-system. */

#include "hangard-authority.h"
#include "hangar-connection.h"

#include <gio/gio.h>

static void
test_rules_without_polkit (void)
{
  const uid_t engine = 1000, other = 1001, root = 0;

  /* Session: the engine's own user and root, for anything. */
  g_assert_true (hangard_authority_allowed_without_polkit (HANGARD_MODE_SESSION, HANGARD_ACCESS_READ, engine, engine));
  g_assert_true (hangard_authority_allowed_without_polkit (HANGARD_MODE_SESSION, HANGARD_ACCESS_MANAGE, engine, engine));
  g_assert_true (hangard_authority_allowed_without_polkit (HANGARD_MODE_SESSION, HANGARD_ACCESS_MANAGE, root, engine));
  g_assert_false (hangard_authority_allowed_without_polkit (HANGARD_MODE_SESSION, HANGARD_ACCESS_READ, other, engine));
  g_assert_false (hangard_authority_allowed_without_polkit (HANGARD_MODE_SESSION, HANGARD_ACCESS_MANAGE, other, engine));

  /* System without polkit: anyone may monitor, only root may manage. */
  g_assert_true (hangard_authority_allowed_without_polkit (HANGARD_MODE_SYSTEM, HANGARD_ACCESS_READ, other, root));
  g_assert_true (hangard_authority_allowed_without_polkit (HANGARD_MODE_SYSTEM, HANGARD_ACCESS_MANAGE, root, root));
  g_assert_false (hangard_authority_allowed_without_polkit (HANGARD_MODE_SYSTEM, HANGARD_ACCESS_MANAGE, other, root));
  g_assert_false (hangard_authority_allowed_without_polkit (HANGARD_MODE_SYSTEM, HANGARD_ACCESS_MANAGE, engine, root));
}

static void
test_action_ids (void)
{
  g_assert_cmpstr (hangard_access_to_action_id (HANGARD_ACCESS_READ), ==, "io.github.hangarvm.hangar.monitor");
  g_assert_cmpstr (hangard_access_to_action_id (HANGARD_ACCESS_MANAGE), ==, "io.github.hangarvm.hangar.manage");
}

/* ---- The client's interactive flag, seen by a server ---------------------- */

static const char server_xml[] =
  "<node>"
  "  <interface name='io.github.hangarvm.Hangar1.Manager'>"
  "    <method name='GetHostInfo'/>"
  "  </interface>"
  "  <interface name='org.example.Other'>"
  "    <method name='Ping'/>"
  "  </interface>"
  "</node>";

typedef struct {
  GDBusServer     *server;
  GDBusConnection *server_side;
  GDBusConnection *client;
  GDBusNodeInfo   *node;
  int              last_flags;   /* of the last call the server got; -1: none yet */
} Fixture;

static void
on_server_call (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  Fixture *fixture = user_data;

  fixture->last_flags = g_dbus_message_get_flags (g_dbus_method_invocation_get_message (invocation));
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static const GDBusInterfaceVTable server_vtable = { on_server_call, NULL, NULL, { 0 } };

static gboolean
on_new_connection (GDBusServer     *server,
                   GDBusConnection *connection,
                   gpointer         user_data)
{
  Fixture *fixture = user_data;

  fixture->server_side = g_object_ref (connection);
  for (guint i = 0; fixture->node->interfaces[i] != NULL; i++)
    g_dbus_connection_register_object (connection, "/test", fixture->node->interfaces[i],
                                       &server_vtable, fixture, NULL, NULL);
  return TRUE;
}

static void
on_client_ready (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Fixture *fixture = user_data;
  g_autoptr(GError) error = NULL;

  fixture->client = g_dbus_connection_new_for_address_finish (result, &error);
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *guid = g_dbus_generate_guid ();
  g_autoptr(GError) error = NULL;

  fixture->last_flags = -1;
  fixture->node = g_dbus_node_info_new_for_xml (server_xml, &error);
  g_assert_no_error (error);
  fixture->server = g_dbus_server_new_sync ("unix:tmpdir=/tmp", G_DBUS_SERVER_FLAGS_NONE, guid,
                                            NULL, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (fixture->server, "new-connection", G_CALLBACK (on_new_connection), fixture);
  g_dbus_server_start (fixture->server);

  g_dbus_connection_new_for_address (g_dbus_server_get_client_address (fixture->server),
                                     G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL, NULL,
                                     on_client_ready, fixture);
  while (fixture->client == NULL || fixture->server_side == NULL)
    g_main_context_iteration (NULL, TRUE);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_dbus_connection_close_sync (fixture->client, NULL, NULL);
  g_clear_object (&fixture->client);
  g_clear_object (&fixture->server_side);
  g_dbus_server_stop (fixture->server);
  g_clear_object (&fixture->server);
  g_clear_pointer (&fixture->node, g_dbus_node_info_unref);
}

static void
on_called (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, NULL);

  *(gboolean *) user_data = TRUE;
}

/* Calls `interface`.`method` and returns whether the server saw the
 * interactive-authorization flag. */
static gboolean
call_is_interactive (Fixture    *fixture,
                     const char *interface,
                     const char *method)
{
  gboolean done = FALSE;

  fixture->last_flags = -1;
  g_dbus_connection_call (fixture->client, NULL, "/test", interface, method, NULL, NULL,
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_called, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (fixture->last_flags, !=, -1);
  return (fixture->last_flags & G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION) != 0;
}

static void
test_client_marks_engine_calls (Fixture       *fixture,
                                gconstpointer  data)
{
  const char *manager = "io.github.hangarvm.Hangar1.Manager";

  /* Off by default: the engine never waits for a password. */
  g_assert_false (hangar_connection_get_allow_interactive_authorization (fixture->client));
  g_assert_false (call_is_interactive (fixture, manager, "GetHostInfo"));

  /* On: the engine's calls carry the flag, no one else's. */
  hangar_connection_set_allow_interactive_authorization (fixture->client, TRUE);
  g_assert_true (hangar_connection_get_allow_interactive_authorization (fixture->client));
  g_assert_true (call_is_interactive (fixture, manager, "GetHostInfo"));
  g_assert_false (call_is_interactive (fixture, "org.example.Other", "Ping"));

  /* And off again (hangarctl --no-ask-password). */
  hangar_connection_set_allow_interactive_authorization (fixture->client, FALSE);
  g_assert_false (call_is_interactive (fixture, manager, "GetHostInfo"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/authority/rules-without-polkit", test_rules_without_polkit);
  g_test_add_func ("/authority/action-ids", test_action_ids);
  g_test_add ("/authority/client-marks-engine-calls", Fixture, NULL,
              fixture_set_up, test_client_marks_engine_calls, fixture_tear_down);

  return g_test_run ();
}
