/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangarctl"

#include "hangarctl.h"

#include "hangar-connection.h"
#include "hangard-error.h"

#define PROXY_FLAGS G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS

void
hangarctl_context_clear (HangarctlContext *ctx)
{
  g_clear_object (&ctx->object_manager);
  g_clear_object (&ctx->manager);
  g_clear_object (&ctx->connection);
  g_clear_pointer (&ctx->connect_spec, g_free);
  g_clear_pointer (&ctx->polkit_agent, hangarctl_polkit_agent_close);
}

static gboolean
ensure_connection (HangarctlContext  *ctx,
                   GError           **error)
{
  g_autoptr(GDBusConnection) connection = NULL;

  if (ctx->connection != NULL)
    return TRUE;

  connection = hangar_connection_open_sync (ctx->connect_spec, NULL, error);
  if (connection == NULL)
    return FALSE;

  if (!hangar_connection_check_engine_sync (connection, NULL, error))
    return FALSE;

  /* The desktop's polkit agent (or a terminal one) may ask for a password
   * when the system engine wants one, as systemctl and virsh do. */
  hangar_connection_set_allow_interactive_authorization (connection, !ctx->no_ask_password);
  if (!ctx->no_ask_password && g_strcmp0 (hangar_connection_get_spec (connection), "system") == 0)
    ctx->polkit_agent = hangarctl_polkit_agent_open ();
  ctx->connection = g_steal_pointer (&connection);
  return TRUE;
}

HangarManager *
hangarctl_get_manager (HangarctlContext  *ctx,
                       GError           **error)
{
  if (ctx->manager != NULL)
    return ctx->manager;

  if (!ensure_connection (ctx, error))
    return NULL;

  ctx->manager = hangar_manager_proxy_new_sync (ctx->connection, PROXY_FLAGS,
                                                hangar_connection_get_engine_name (ctx->connection),
                                                HANGAR_DBUS_PATH, NULL, error);
  return ctx->manager;
}

GDBusObjectManager *
hangarctl_get_object_manager (HangarctlContext  *ctx,
                    GError           **error)
{
  const char *engine_name;
  g_autofree char *owner = NULL;

  if (ctx->object_manager != NULL)
    return ctx->object_manager;

  if (!ensure_connection (ctx, error))
    return NULL;

  engine_name = hangar_connection_get_engine_name (ctx->connection);
  ctx->object_manager =
    hangar_object_manager_client_new_sync (ctx->connection,
                                           G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE,
                                           engine_name, HANGAR_DBUS_PATH, NULL, error);
  if (ctx->object_manager == NULL)
    return NULL;

  /* The engine went away since ensure_connection(): an empty list would lie. */
  owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (ctx->object_manager));
  if (engine_name != NULL && owner == NULL)
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER,
                   _("No Hangar engine owns %s"), engine_name);
      g_clear_object (&ctx->object_manager);
      return NULL;
    }

  return ctx->object_manager;
}

/* Machines */

static const char * const active_states[] = {
  "starting", "running", "paused", "shutting-down", NULL
};

gboolean
hangarctl_machine_is_active (HangarMachine *machine)
{
  const char *state = hangar_machine_get_state (machine);

  if (g_strcmp0 (state, "shutoff") == 0 || g_strcmp0 (state, "crashed") == 0)
    return FALSE;
  if (state != NULL && g_strv_contains (active_states, state))
    return TRUE;
  return hangar_machine_get_pid (machine) != 0;
}

const char *
hangarctl_machine_name (HangarMachine *machine)
{
  const char *name = hangar_machine_get_name (machine);

  return name != NULL ? name : "";
}

const char *
hangarctl_machine_uuid (HangarMachine *machine)
{
  const char *uuid = hangar_machine_get_uuid (machine);

  return uuid != NULL ? uuid : "";
}

void
hangarctl_set_lifecycle_timeout (gpointer proxy)
{
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (proxy), HANGARCTL_LIFECYCLE_TIMEOUT_MSEC);
}

/* Active machines first, in the order they started (their Id), then the
 * others by name, as virsh lists them. */
static int
compare_machines (gconstpointer a,
                  gconstpointer b)
{
  HangarMachine *ma = *(HangarMachine * const *) a;
  HangarMachine *mb = *(HangarMachine * const *) b;
  gboolean active_a = hangarctl_machine_is_active (ma);
  gboolean active_b = hangarctl_machine_is_active (mb);
  guint64 start_a, start_b;
  int by_name;

  if (active_a != active_b)
    return active_a ? -1 : 1;

  if (active_a)
    {
      start_a = hangar_machine_get_start_time (ma);
      start_b = hangar_machine_get_start_time (mb);
      if (start_a != start_b)
        return start_a < start_b ? -1 : 1;
      return strcmp (hangarctl_machine_uuid (ma), hangarctl_machine_uuid (mb));
    }

  by_name = g_ascii_strcasecmp (hangarctl_machine_name (ma), hangarctl_machine_name (mb));
  if (by_name != 0)
    return by_name;
  return strcmp (hangarctl_machine_name (ma), hangarctl_machine_name (mb));
}

GPtrArray *
hangarctl_list_machines (HangarctlContext  *ctx,
                         GError           **error)
{
  GDBusObjectManager *object_manager;
  g_autoptr(GPtrArray) machines = NULL;
  GList *objects;

  object_manager = hangarctl_get_object_manager (ctx, error);
  if (object_manager == NULL)
    return NULL;

  machines = g_ptr_array_new_with_free_func (g_object_unref);
  objects = g_dbus_object_manager_get_objects (object_manager);
  for (GList *l = objects; l != NULL; l = l->next)
    {
      HangarMachine *machine = hangar_object_get_machine (HANGAR_OBJECT (l->data));

      if (machine != NULL)
        g_ptr_array_add (machines, machine);
    }
  g_list_free_full (objects, g_object_unref);

  g_ptr_array_sort (machines, compare_machines);
  return g_steal_pointer (&machines);
}

/* The Id virsh users know: a small number for each active machine, counted
 * in the order they started; 0 for a machine that is not active. */
guint
hangarctl_machine_id (GPtrArray     *machines,
                      HangarMachine *machine)
{
  const char *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (machine));

  if (!hangarctl_machine_is_active (machine))
    return 0;

  for (guint i = 0; i < machines->len; i++)
    {
      HangarMachine *other = g_ptr_array_index (machines, i);

      if (!hangarctl_machine_is_active (other))
        break;
      if (g_strcmp0 (g_dbus_proxy_get_object_path (G_DBUS_PROXY (other)), path) == 0)
        return i + 1;
    }
  return 0;
}

static HangarMachine *
lookup_by_id (HangarctlContext *ctx,
              const char       *text)
{
  g_autoptr(GPtrArray) machines = NULL;
  guint64 id;

  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT, &id, NULL))
    return NULL;

  machines = hangarctl_list_machines (ctx, NULL);
  if (machines == NULL || id > machines->len)
    return NULL;

  if (!hangarctl_machine_is_active (g_ptr_array_index (machines, id - 1)))
    return NULL;
  return g_object_ref (g_ptr_array_index (machines, id - 1));
}

/* A machine by name or UUID, as the engine resolves them, or by the Id
 * `hangarctl list` shows. */
HangarMachine *
hangarctl_lookup_machine (HangarctlContext  *ctx,
                          const char        *name_or_uuid,
                          GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *path = NULL;
  HangarManager *manager;
  HangarMachine *machine;

  manager = hangarctl_get_manager (ctx, error);
  if (manager == NULL)
    return NULL;

  if (!hangar_manager_call_lookup_machine_sync (manager, name_or_uuid, &path,
                                                NULL, &local_error))
    {
      if (g_error_matches (local_error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND) &&
          (machine = lookup_by_id (ctx, name_or_uuid)) != NULL)
        return machine;

      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  return hangarctl_machine_for_path (ctx, path, error);
}

HangarMachine *
hangarctl_machine_for_path (HangarctlContext  *ctx,
                            const char        *object_path,
                            GError           **error)
{
  if (!ensure_connection (ctx, error))
    return NULL;

  return hangar_machine_proxy_new_sync (ctx->connection, PROXY_FLAGS,
                                        hangar_connection_get_engine_name (ctx->connection),
                                        object_path, NULL, error);
}

/* The definition as stored, as GetXml gives it. */
char *
hangarctl_machine_get_xml (HangarMachine  *machine,
                           GError        **error)
{
  char *xml = NULL;

  if (!hangar_machine_call_get_xml_sync (machine, g_variant_new ("a{sv}", NULL),
                                         &xml, NULL, error))
    return NULL;
  return xml;
}

/* States, in virsh's words */

const char *
hangarctl_state_to_string (const char *state)
{
  if (state == NULL || *state == '\0')
    return _("no state");
  if (g_str_equal (state, "shutoff"))
    return _("shut off");
  if (g_str_equal (state, "running"))
    return _("running");
  if (g_str_equal (state, "paused"))
    return _("paused");
  if (g_str_equal (state, "shutting-down"))
    return _("in shutdown");
  if (g_str_equal (state, "crashed"))
    return _("crashed");
  if (g_str_equal (state, "starting"))
    return _("starting");
  /* A managed save waits for the next start (virsh: "shut off", reason saved). */
  if (g_str_equal (state, "saved"))
    return _("saved");
  return state;
}

/* libvirt's virDomainState numbers, for domstats' state.state. */
int
hangarctl_state_to_number (const char *state)
{
  static const struct {
    const char *state;
    int number;
  } numbers[] = {
    { "running", 1 },
    { "paused", 3 },
    { "shutting-down", 4 },
    { "shutoff", 5 },
    { "crashed", 6 },
    { "saved", 5 },     /* libvirt reports a managed-saved domain as shut off */
  };

  for (gsize i = 0; state != NULL && i < G_N_ELEMENTS (numbers); i++)
    {
      if (g_str_equal (state, numbers[i].state))
        return numbers[i].number;
    }
  return 0;
}

/* Errors */

char *
hangarctl_error_message (HangarctlContext *ctx,
                         const GError     *error)
{
  g_autofree char *message = NULL;

  if (ctx->connection != NULL)
    message = hangar_connection_get_error_message (ctx->connection, error);
  else
    message = hangar_error_get_message (error);

  return hangarctl_one_line (message);
}

void
hangarctl_print_error (HangarctlContext *ctx,
                       const GError     *error)
{
  g_autofree char *message = hangarctl_error_message (ctx, error);

  fflush (stdout);
  g_printerr (_("error: %s\n"), message);
}
