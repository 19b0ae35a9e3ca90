/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-connection"

#include "hangar-connection.h"

#include "hangard-error.h"

#include <glib/gi18n.h>
#include <string.h>

#define BUS_NAME      "org.freedesktop.DBus"
#define BUS_PATH      "/org/freedesktop/DBus"
#define BUS_INTERFACE "org.freedesktop.DBus"

#define ADDRESS_FLAGS (G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | \
                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION)

typedef enum {
  SPEC_SESSION,
  SPEC_SYSTEM,
  SPEC_ADDRESS,
} SpecKind;

static GQuark
spec_quark (void)
{
  return g_quark_from_static_string ("hangar-connection-spec");
}

/* Connection specs */

static gboolean
parse_spec (const char  *spec,
            SpecKind    *kind,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (spec == NULL || *spec == '\0' || g_str_equal (spec, "session"))
    *kind = SPEC_SESSION;
  else if (g_str_equal (spec, "system"))
    *kind = SPEC_SYSTEM;
  else if (strchr (spec, ':') != NULL)
    *kind = SPEC_ADDRESS;
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Unknown connection “%s”: use “session”, “system” or a "
                     "D-Bus address such as unix:path=/run/hangar/bus"),
                   spec);
      return FALSE;
    }

  if (*kind == SPEC_ADDRESS && strstr (spec, "://") != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” looks like a libvirt URI: use “session”, “system” or a "
                     "D-Bus address such as unix:path=/run/hangar/bus"),
                   spec);
      return FALSE;
    }

  if (*kind == SPEC_ADDRESS && !g_dbus_is_supported_address (spec, &local_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a usable D-Bus address (%s): use “session”, "
                     "“system” or an address such as unix:path=/run/hangar/bus"),
                   spec, local_error->message);
      return FALSE;
    }

  return TRUE;
}

static const char *
spec_name (SpecKind    kind,
           const char *spec)
{
  switch (kind)
    {
    case SPEC_SESSION:
      return "session";
    case SPEC_SYSTEM:
      return "system";
    case SPEC_ADDRESS:
    default:
      return spec;
    }
}

static void
prefix_connect_error (GError     **error,
                      const char  *spec)
{
  if (g_str_equal (spec, "session"))
    g_prefix_error (error, _("Cannot connect to the session bus: "));
  else if (g_str_equal (spec, "system"))
    g_prefix_error (error, _("Cannot connect to the system bus: "));
  else
    g_prefix_error (error, _("Cannot connect to the D-Bus bus at %s: "), spec);
}

static GDBusConnection *
remember_spec (GDBusConnection *connection,
               const char      *spec)
{
  g_object_set_qdata_full (G_OBJECT (connection), spec_quark (),
                           g_strdup (spec), g_free);
  return connection;
}

const char *
hangar_connection_get_spec (GDBusConnection *connection)
{
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);

  return g_object_get_qdata (G_OBJECT (connection), spec_quark ());
}

const char *
hangar_connection_get_engine_name (GDBusConnection *connection)
{
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);

  if (g_dbus_connection_get_unique_name (connection) == NULL)
    return NULL;
  return HANGAR_DBUS_NAME;
}

/* Opening */

GDBusConnection *
hangar_connection_open_sync (const char    *spec,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_autoptr(GDBusConnection) connection = NULL;
  SpecKind kind;

  (void) hangar_error_quark ();

  if (!parse_spec (spec, &kind, error))
    return NULL;

  switch (kind)
    {
    case SPEC_SESSION:
      connection = g_bus_get_sync (G_BUS_TYPE_SESSION, cancellable, error);
      break;
    case SPEC_SYSTEM:
      connection = g_bus_get_sync (G_BUS_TYPE_SYSTEM, cancellable, error);
      break;
    case SPEC_ADDRESS:
    default:
      connection = g_dbus_connection_new_for_address_sync (spec, ADDRESS_FLAGS, NULL,
                                                           cancellable, error);
      break;
    }

  if (connection == NULL)
    {
      prefix_connect_error (error, spec_name (kind, spec));
      return NULL;
    }

  return remember_spec (g_steal_pointer (&connection), spec_name (kind, spec));
}

static void
open_done (GObject      *source G_GNUC_UNUSED,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  const char *spec = g_task_get_task_data (task);
  g_autoptr(GDBusConnection) connection = NULL;
  GError *error = NULL;

  if (g_str_equal (spec, "session") || g_str_equal (spec, "system"))
    connection = g_bus_get_finish (result, &error);
  else
    connection = g_dbus_connection_new_for_address_finish (result, &error);

  if (connection == NULL)
    {
      prefix_connect_error (&error, spec);
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, remember_spec (g_steal_pointer (&connection), spec),
                         g_object_unref);
}

void
hangar_connection_open_async (const char          *spec,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  SpecKind kind;

  (void) hangar_error_quark ();

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, hangar_connection_open_async);

  if (!parse_spec (spec, &kind, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_set_task_data (task, g_strdup (spec_name (kind, spec)), g_free);

  switch (kind)
    {
    case SPEC_SESSION:
      g_bus_get (G_BUS_TYPE_SESSION, cancellable, open_done, g_steal_pointer (&task));
      break;
    case SPEC_SYSTEM:
      g_bus_get (G_BUS_TYPE_SYSTEM, cancellable, open_done, g_steal_pointer (&task));
      break;
    case SPEC_ADDRESS:
    default:
      g_dbus_connection_new_for_address (spec, ADDRESS_FLAGS, NULL, cancellable,
                                         open_done, g_steal_pointer (&task));
      break;
    }
}

GDBusConnection *
hangar_connection_open_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Interactive authorization */

typedef struct {
  gint allow;  /* atomic: read in GDBus's worker thread */
} InteractiveFilter;

static GQuark
interactive_quark (void)
{
  return g_quark_from_static_string ("hangar-connection-interactive");
}

/* Runs in GDBus's worker thread for every message: a locked outgoing
 * message is copied to change its flags, and GDBus sends the copy. */
static GDBusMessage *
mark_interactive (GDBusConnection *connection,
                  GDBusMessage    *message,
                  gboolean         incoming,
                  gpointer         user_data)
{
  InteractiveFilter *filter = user_data;
  const char *interface;
  GDBusMessage *copy;

  if (incoming || !g_atomic_int_get (&filter->allow) ||
      g_dbus_message_get_message_type (message) != G_DBUS_MESSAGE_TYPE_METHOD_CALL ||
      (g_dbus_message_get_flags (message) & G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION))
    return message;

  interface = g_dbus_message_get_interface (message);
  if (interface == NULL || !g_str_has_prefix (interface, HANGAR_DBUS_NAME "."))
    return message;

  copy = g_dbus_message_copy (message, NULL);
  if (copy == NULL)
    return message;
  g_dbus_message_set_flags (copy, g_dbus_message_get_flags (copy) |
                                  G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION);
  g_object_unref (message);
  return copy;
}

void
hangar_connection_set_allow_interactive_authorization (GDBusConnection *connection,
                                                       gboolean         allow)
{
  InteractiveFilter *filter;

  g_return_if_fail (G_IS_DBUS_CONNECTION (connection));

  filter = g_object_get_qdata (G_OBJECT (connection), interactive_quark ());
  if (filter == NULL)
    {
      if (!allow)
        return;
      /* Freed with the filter, when the connection goes. */
      filter = g_new0 (InteractiveFilter, 1);
      g_object_set_qdata (G_OBJECT (connection), interactive_quark (), filter);
      g_dbus_connection_add_filter (connection, mark_interactive, filter, g_free);
    }
  g_atomic_int_set (&filter->allow, allow ? 1 : 0);
}

gboolean
hangar_connection_get_allow_interactive_authorization (GDBusConnection *connection)
{
  InteractiveFilter *filter;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), FALSE);

  filter = g_object_get_qdata (G_OBJECT (connection), interactive_quark ());
  return filter != NULL && g_atomic_int_get (&filter->allow);
}

/* Messages */

static char *
no_engine_message (const char *spec)
{
  /* hangard is installed in libexecdir, off the PATH: name it whole. */
  if (spec == NULL)
    return g_strdup_printf (_("No Hangar engine on the bus. Start one with: %s --session "
                              "(the system engine: systemctl start hangard)"), HANGARD_PATH);
  if (g_str_equal (spec, "session"))
    return g_strdup_printf (_("No Hangar engine on the session bus. "
                              "Start one with: %s --session"), HANGARD_PATH);
  if (g_str_equal (spec, "system"))
    return g_strdup_printf (_("No Hangar engine on the system bus. "
                              "Start it with: systemctl start hangard (or run: %s --system)"), HANGARD_PATH);
  return g_strdup_printf (_("No Hangar engine on the bus at %s. Start one there with: "
                            "%s --bus-address '%s'"),
                          spec, HANGARD_PATH, spec);
}

gboolean
hangar_error_is_no_engine (const GError *error)
{
  g_autofree char *remote_name = NULL;

  g_return_val_if_fail (error != NULL, FALSE);

  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
    return TRUE;

  remote_name = g_dbus_error_get_remote_error (error);
  return g_strcmp0 (remote_name, "org.freedesktop.DBus.Error.ServiceUnknown") == 0 ||
         g_strcmp0 (remote_name, "org.freedesktop.DBus.Error.NameHasNoOwner") == 0;
}

char *
hangar_error_get_message (const GError *error)
{
  g_autoptr(GError) copy = NULL;

  g_return_val_if_fail (error != NULL, NULL);

  if (hangar_error_is_no_engine (error) && g_dbus_error_is_remote_error (error))
    return no_engine_message (NULL);

  copy = g_error_copy (error);
  g_dbus_error_strip_remote_error (copy);

  if (g_error_matches (copy, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
      g_error_matches (copy, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_strdup_printf (_("The Hangar engine did not answer: %s"), copy->message);

  return g_strdup (copy->message);
}

char *
hangar_connection_get_error_message (GDBusConnection *connection,
                                     const GError    *error)
{
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
  g_return_val_if_fail (error != NULL, NULL);

  if (hangar_error_is_no_engine (error))
    return no_engine_message (hangar_connection_get_spec (connection));

  return hangar_error_get_message (error);
}

/* Checking for the engine */

static void
set_start_error (GDBusConnection  *connection,
                 GError           *start_error,
                 GError          **error)
{
  g_autofree char *message = NULL;

  if (hangar_error_is_no_engine (start_error))
    {
      message = no_engine_message (hangar_connection_get_spec (connection));
      g_set_error_literal (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN, message);
      return;
    }

  message = hangar_error_get_message (start_error);
  g_set_error (error, start_error->domain, start_error->code,
               _("The Hangar engine could not be started: %s"), message);
}

gboolean
hangar_connection_check_engine_sync (GDBusConnection  *connection,
                                     GCancellable     *cancellable,
                                     GError          **error)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean has_owner = FALSE;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), FALSE);

  if (hangar_connection_get_engine_name (connection) == NULL)
    return TRUE;

  reply = g_dbus_connection_call_sync (connection, BUS_NAME, BUS_PATH, BUS_INTERFACE,
                                       "NameHasOwner",
                                       g_variant_new ("(s)", HANGAR_DBUS_NAME),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE,
                                       -1, cancellable, error);
  if (reply == NULL)
    return FALSE;

  g_variant_get (reply, "(b)", &has_owner);
  if (has_owner)
    return TRUE;

  g_clear_pointer (&reply, g_variant_unref);
  reply = g_dbus_connection_call_sync (connection, BUS_NAME, BUS_PATH, BUS_INTERFACE,
                                       "StartServiceByName",
                                       g_variant_new ("(su)", HANGAR_DBUS_NAME, 0),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE,
                                       -1, cancellable, &local_error);
  if (reply != NULL)
    return TRUE;

  set_start_error (connection, local_error, error);
  return FALSE;
}

static void
start_service_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GDBusConnection *connection = G_DBUS_CONNECTION (source);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) local_error = NULL;
  GError *error = NULL;

  reply = g_dbus_connection_call_finish (connection, result, &local_error);
  if (reply != NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  set_start_error (connection, local_error, &error);
  g_task_return_error (task, error);
}

static void
name_has_owner_done (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GDBusConnection *connection = G_DBUS_CONNECTION (source);
  g_autoptr(GVariant) reply = NULL;
  GCancellable *cancellable;
  GError *error = NULL;
  gboolean has_owner = FALSE;

  reply = g_dbus_connection_call_finish (connection, result, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_variant_get (reply, "(b)", &has_owner);
  if (has_owner)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  cancellable = g_task_get_cancellable (task);
  g_dbus_connection_call (connection, BUS_NAME, BUS_PATH, BUS_INTERFACE,
                          "StartServiceByName",
                          g_variant_new ("(su)", HANGAR_DBUS_NAME, 0),
                          G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1,
                          cancellable, start_service_done, g_steal_pointer (&task));
}

void
hangar_connection_check_engine_async (GDBusConnection     *connection,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (G_IS_DBUS_CONNECTION (connection));

  task = g_task_new (connection, cancellable, callback, user_data);
  g_task_set_source_tag (task, hangar_connection_check_engine_async);

  if (hangar_connection_get_engine_name (connection) == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_dbus_connection_call (connection, BUS_NAME, BUS_PATH, BUS_INTERFACE,
                          "NameHasOwner", g_variant_new ("(s)", HANGAR_DBUS_NAME),
                          G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1,
                          cancellable, name_has_owner_done, g_steal_pointer (&task));
}

gboolean
hangar_connection_check_engine_finish (GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_async_result_is_tagged (result, hangar_connection_check_engine_async),
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
