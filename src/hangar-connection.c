/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-gui-connection"

#include "hangar-connection.h"

#include <glib/gi18n.h>

/* Start under TCG returns when the guest runs, which can take a while on a
 * loaded host: the GUI waits longer than GDBus's 25 s for machine calls. */
#define MACHINE_CALL_TIMEOUT_MS (5 * 60 * 1000)

struct _HangarConnection
{
  GObject                parent_instance;

  char                  *spec;
  HangarConnectionState  state;
  char                  *error_text;

  GCancellable          *cancellable;
  GDBusConnection       *bus;
  GDBusObjectManager    *object_manager;
  HangarManager         *manager;
  GListStore            *machines;
};

G_DEFINE_FINAL_TYPE (HangarConnection, hangar_connection, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (HangarConnectionState, hangar_connection_state,
  G_DEFINE_ENUM_VALUE (HANGAR_CONNECTION_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (HANGAR_CONNECTION_CONNECTED, "connected"),
  G_DEFINE_ENUM_VALUE (HANGAR_CONNECTION_UNREACHABLE, "unreachable"))

enum {
  PROP_0,
  PROP_SPEC,
  PROP_STATE,
  PROP_ERROR_TEXT,
  PROP_MANAGER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void connect_bus (HangarConnection *self);

/* ---- State ---------------------------------------------------------------- */

static void
set_state (HangarConnection      *self,
           HangarConnectionState  state,
           const char            *error_text)
{
  g_object_freeze_notify (G_OBJECT (self));

  if (g_strcmp0 (self->error_text, error_text) != 0)
    {
      g_free (self->error_text);
      self->error_text = g_strdup (error_text);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_TEXT]);
    }

  if (self->state != state)
    {
      self->state = state;
      g_debug ("%s: %s", self->spec, state == HANGAR_CONNECTION_CONNECTED ? "connected" :
               state == HANGAR_CONNECTION_CONNECTING ? "connecting" : "unreachable");
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

static void
set_unreachable (HangarConnection *self,
                 const GError     *error)
{
  g_autofree char *text = NULL;

  if (self->bus != NULL)
    text = hangar_connection_get_error_message (self->bus, error);
  else
    text = hangar_error_get_message (error);

  g_debug ("%s unreachable: %s", self->spec, text);
  set_state (self, HANGAR_CONNECTION_UNREACHABLE, text);
}

static void
set_engine_gone (HangarConnection *self)
{
  g_autoptr(GError) error = g_error_new_literal (G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN,
                                                 _("The engine left the bus"));

  set_unreachable (self, error);
}

/* ---- The machine list ----------------------------------------------------- */

static int
compare_machines (gconstpointer a,
                  gconstpointer b,
                  gpointer      user_data)
{
  HangarMachine *ma = HANGAR_MACHINE ((gpointer) a);
  HangarMachine *mb = HANGAR_MACHINE ((gpointer) b);
  int result;

  result = g_utf8_collate (hangar_machine_get_name (ma) ?: "",
                           hangar_machine_get_name (mb) ?: "");
  if (result != 0)
    return result;
  return g_strcmp0 (g_dbus_proxy_get_object_path (G_DBUS_PROXY (ma)),
                    g_dbus_proxy_get_object_path (G_DBUS_PROXY (mb)));
}

static void
on_machine_name_changed (HangarMachine    *machine,
                         GParamSpec       *pspec,
                         HangarConnection *self)
{
  guint position;

  if (!g_list_store_find (self->machines, machine, &position))
    return;

  g_object_ref (machine);
  g_list_store_remove (self->machines, position);
  g_list_store_insert_sorted (self->machines, machine, compare_machines, NULL);
  g_object_unref (machine);
}

static void
add_machine (HangarConnection *self,
             GDBusObject      *object)
{
  g_autoptr(HangarMachine) machine = hangar_object_get_machine (HANGAR_OBJECT (object));

  if (machine == NULL)
    return;

  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (machine), MACHINE_CALL_TIMEOUT_MS);
  g_signal_connect_object (machine, "notify::name",
                           G_CALLBACK (on_machine_name_changed), self, 0);
  g_list_store_insert_sorted (self->machines, machine, compare_machines, NULL);
}

static void
remove_machine (HangarConnection *self,
                GDBusObject      *object)
{
  g_autoptr(HangarMachine) machine = hangar_object_get_machine (HANGAR_OBJECT (object));
  guint position;

  if (machine == NULL || !g_list_store_find (self->machines, machine, &position))
    return;

  g_signal_handlers_disconnect_by_data (machine, self);
  g_list_store_remove (self->machines, position);
}

static void
clear_machines (HangarConnection *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->machines));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) machine = g_list_model_get_item (G_LIST_MODEL (self->machines), i);

      g_signal_handlers_disconnect_by_data (machine, self);
    }
  g_list_store_remove_all (self->machines);
}

static void
on_object_added (GDBusObjectManager *object_manager,
                 GDBusObject        *object,
                 HangarConnection   *self)
{
  add_machine (self, object);
}

static void
on_object_removed (GDBusObjectManager *object_manager,
                   GDBusObject        *object,
                   HangarConnection   *self)
{
  remove_machine (self, object);
}

static void
fill_machines (HangarConnection *self)
{
  GList *objects = g_dbus_object_manager_get_objects (self->object_manager);

  clear_machines (self);
  for (GList *l = objects; l != NULL; l = l->next)
    add_machine (self, l->data);
  g_list_free_full (objects, g_object_unref);
  /* tests/bench/gui-bench waits for this line. */
  g_debug ("%s: %u machines listed", self->spec,
           g_list_model_get_n_items (G_LIST_MODEL (self->machines)));
}

/* ---- Watching the engine -------------------------------------------------- */

static void
on_name_owner_changed (GDBusObjectManagerClient *client,
                       GParamSpec               *pspec,
                       HangarConnection         *self)
{
  g_autofree char *owner = g_dbus_object_manager_client_get_name_owner (client);

  /* The object manager itself fetches the objects of a new owner, and
   * drops those of one that left. */
  if (owner == NULL)
    set_engine_gone (self);
  else
    set_state (self, HANGAR_CONNECTION_CONNECTED, NULL);
}

static void
on_bus_closed (GDBusConnection  *bus,
               gboolean          remote_peer_vanished,
               GError           *error,
               HangarConnection *self)
{
  g_autoptr(GError) closed = NULL;

  if (error == NULL)
    error = closed = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                          _("The connection to the bus was closed"));
  clear_machines (self);
  set_unreachable (self, error);
}

static void
teardown (HangarConnection *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  if (self->object_manager != NULL)
    g_signal_handlers_disconnect_by_data (self->object_manager, self);
  if (self->bus != NULL)
    g_signal_handlers_disconnect_by_data (self->bus, self);

  g_clear_object (&self->object_manager);
  g_clear_object (&self->manager);
  g_clear_object (&self->bus);
  clear_machines (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MANAGER]);
}

/* ---- Connecting: bus, engine, object manager, manager --------------------- */

/* One try at connecting. Its callbacks touch the connection only while the
 * try's cancellable is not cancelled: teardown() cancels it before another
 * try starts and before the connection goes away. */
typedef struct {
  HangarConnection *self;
  GCancellable     *cancellable;
} Attempt;

static Attempt *
attempt_new (HangarConnection *self)
{
  Attempt *attempt = g_new0 (Attempt, 1);

  attempt->self = self;
  attempt->cancellable = g_object_ref (self->cancellable);
  return attempt;
}

static void
attempt_free (Attempt *attempt)
{
  g_object_unref (attempt->cancellable);
  g_free (attempt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Attempt, attempt_free)

/* The connection to go on with, or NULL when the try was given up. */
static HangarConnection *
attempt_get_connection (Attempt *attempt)
{
  return g_cancellable_is_cancelled (attempt->cancellable) ? NULL : attempt->self;
}

static void
manager_ready (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Attempt) attempt = user_data;
  HangarConnection *self = attempt_get_connection (attempt);
  g_autoptr(GError) error = NULL;
  g_autoptr(HangarManager) manager = hangar_manager_proxy_new_finish (result, &error);
  g_autofree char *owner = NULL;

  if (self == NULL)
    return;
  if (manager == NULL)
    {
      set_unreachable (self, error);
      return;
    }

  self->manager = g_steal_pointer (&manager);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MANAGER]);

  g_signal_connect_object (self->object_manager, "object-added",
                           G_CALLBACK (on_object_added), self, 0);
  g_signal_connect_object (self->object_manager, "object-removed",
                           G_CALLBACK (on_object_removed), self, 0);
  g_signal_connect_object (self->object_manager, "notify::name-owner",
                           G_CALLBACK (on_name_owner_changed), self, 0);
  fill_machines (self);

  owner = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (self->object_manager));
  if (owner == NULL && hangar_connection_get_engine_name (self->bus) != NULL)
    set_engine_gone (self);
  else
    set_state (self, HANGAR_CONNECTION_CONNECTED, NULL);
}

static void
object_manager_ready (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(Attempt) attempt = user_data;
  HangarConnection *self = attempt_get_connection (attempt);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusObjectManager) object_manager = hangar_object_manager_client_new_finish (result, &error);
  GCancellable *cancellable;

  if (self == NULL)
    return;
  if (object_manager == NULL)
    {
      set_unreachable (self, error);
      return;
    }

  self->object_manager = g_steal_pointer (&object_manager);
  cancellable = attempt->cancellable;
  hangar_manager_proxy_new (self->bus, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
                            hangar_connection_get_engine_name (self->bus), HANGAR_DBUS_PATH,
                            cancellable, manager_ready, g_steal_pointer (&attempt));
}

static void
engine_checked (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Attempt) attempt = user_data;
  HangarConnection *self = attempt_get_connection (attempt);
  g_autoptr(GError) error = NULL;
  gboolean found = hangar_connection_check_engine_finish (result, &error);
  GCancellable *cancellable;

  if (self == NULL)
    return;
  if (!found)
    {
      set_unreachable (self, error);
      return;
    }

  cancellable = attempt->cancellable;
  hangar_object_manager_client_new (self->bus, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
                                    hangar_connection_get_engine_name (self->bus), HANGAR_DBUS_PATH,
                                    cancellable, object_manager_ready, g_steal_pointer (&attempt));
}

static void
bus_opened (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(Attempt) attempt = user_data;
  HangarConnection *self = attempt_get_connection (attempt);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = hangar_connection_open_finish (result, &error);
  GCancellable *cancellable;

  if (self == NULL)
    return;
  if (bus == NULL)
    {
      set_unreachable (self, error);
      return;
    }

  /* A bus that goes away makes the engine unreachable, not the app quit. */
  g_dbus_connection_set_exit_on_close (bus, FALSE);
  /* When the system engine's polkit wants a password, the desktop's
   * authentication agent asks for it. */
  hangar_connection_set_allow_interactive_authorization (bus, TRUE);
  self->bus = g_steal_pointer (&bus);
  g_signal_connect_object (self->bus, "closed", G_CALLBACK (on_bus_closed), self, 0);

  cancellable = attempt->cancellable;
  hangar_connection_check_engine_async (self->bus, cancellable, engine_checked,
                                        g_steal_pointer (&attempt));
}

static void
connect_bus (HangarConnection *self)
{
  teardown (self);
  self->cancellable = g_cancellable_new ();
  set_state (self, HANGAR_CONNECTION_CONNECTING, NULL);
  hangar_connection_open_async (self->spec, self->cancellable, bus_opened, attempt_new (self));
}

/* ---- Public --------------------------------------------------------------- */

HangarConnection *
hangar_connection_new (const char *spec)
{
  return g_object_new (HANGAR_TYPE_CONNECTION, "spec", spec, NULL);
}

const char *
hangar_connection_get_bus_spec (HangarConnection *self)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION (self), NULL);

  return self->spec;
}

void
hangar_connection_set_bus_spec (HangarConnection *self,
                                const char       *spec)
{
  g_return_if_fail (HANGAR_IS_CONNECTION (self));

  if (spec == NULL)
    spec = "session";
  if (g_strcmp0 (self->spec, spec) != 0)
    {
      g_free (self->spec);
      self->spec = g_strdup (spec);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPEC]);
    }
  connect_bus (self);
}

void
hangar_connection_reconnect (HangarConnection *self)
{
  g_return_if_fail (HANGAR_IS_CONNECTION (self));

  connect_bus (self);
}

HangarConnectionState
hangar_connection_get_state (HangarConnection *self)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION (self), HANGAR_CONNECTION_UNREACHABLE);

  return self->state;
}

const char *
hangar_connection_get_error_text (HangarConnection *self)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION (self), NULL);

  return self->error_text;
}

GListModel *
hangar_connection_get_machines (HangarConnection *self)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION (self), NULL);

  return G_LIST_MODEL (self->machines);
}

HangarManager *
hangar_connection_get_manager (HangarConnection *self)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION (self), NULL);

  return self->state == HANGAR_CONNECTION_CONNECTED ? self->manager : NULL;
}

GDBusObjectManager *
hangar_connection_get_object_manager (HangarConnection *self)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION (self), NULL);

  return self->state == HANGAR_CONNECTION_CONNECTED ? self->object_manager : NULL;
}

GDBusConnection *
hangar_connection_get_dbus_connection (HangarConnection *self)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION (self), NULL);

  return self->bus;
}

char *
hangar_connection_format_error (HangarConnection *self,
                                const GError     *error)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION (self), NULL);
  g_return_val_if_fail (error != NULL, NULL);

  if (self->bus != NULL)
    return hangar_connection_get_error_message (self->bus, error);
  return hangar_error_get_message (error);
}

/* ---- GObject -------------------------------------------------------------- */

static void
hangar_connection_dispose (GObject *object)
{
  HangarConnection *self = HANGAR_CONNECTION (object);

  teardown (self);

  G_OBJECT_CLASS (hangar_connection_parent_class)->dispose (object);
}

static void
hangar_connection_finalize (GObject *object)
{
  HangarConnection *self = HANGAR_CONNECTION (object);

  g_clear_object (&self->machines);
  g_free (self->spec);
  g_free (self->error_text);

  G_OBJECT_CLASS (hangar_connection_parent_class)->finalize (object);
}

static void
hangar_connection_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  HangarConnection *self = HANGAR_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_SPEC:
      g_value_set_string (value, self->spec);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_ERROR_TEXT:
      g_value_set_string (value, self->error_text);
      break;
    case PROP_MANAGER:
      g_value_set_object (value, hangar_connection_get_manager (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hangar_connection_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  HangarConnection *self = HANGAR_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_SPEC:
      g_free (self->spec);
      self->spec = g_value_dup_string (value);
      if (self->spec == NULL)
        self->spec = g_strdup ("session");
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hangar_connection_class_init (HangarConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hangar_connection_dispose;
  object_class->finalize = hangar_connection_finalize;
  object_class->get_property = hangar_connection_get_property;
  object_class->set_property = hangar_connection_set_property;

  properties[PROP_SPEC] =
    g_param_spec_string ("spec", NULL, NULL, "session",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       HANGAR_TYPE_CONNECTION_STATE, HANGAR_CONNECTION_CONNECTING,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR_TEXT] =
    g_param_spec_string ("error-text", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MANAGER] =
    g_param_spec_object ("manager", NULL, NULL, HANGAR_TYPE_MANAGER,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hangar_connection_init (HangarConnection *self)
{
  self->state = HANGAR_CONNECTION_CONNECTING;
  self->machines = g_list_store_new (HANGAR_TYPE_MACHINE);
}
