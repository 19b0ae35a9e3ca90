/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-manager"

#include "hangard-manager.h"
#include "hangard-error.h"
#include "hangard-machine.h"
#include "hangard-save.h"
#include "hangard-storage.h"
#include "hangard-host-net.h"
#include "hangard-networks.h"

#include <glib/gi18n-lib.h>

struct _HangardManager
{
  HangarManagerSkeleton  parent_instance;

  HangardDaemon         *daemon;  /* owns us */
};

static void hangard_manager_iface_init (HangarManagerIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HangardManager, hangard_manager, HANGAR_TYPE_MANAGER_SKELETON,
                               G_IMPLEMENT_INTERFACE (HANGAR_TYPE_MANAGER, hangard_manager_iface_init))

static gboolean
handle_define_machine (HangarManager         *iface,
                       GDBusMethodInvocation *invocation,
                       const char            *xml)
{
  HangardManager *self = HANGARD_MANAGER (iface);
  g_autoptr(GError) error = NULL;
  HangardMachine *machine;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  machine = hangard_daemon_define_machine (self->daemon, xml, NULL, &error);
  if (machine == NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    hangar_manager_complete_define_machine (iface, invocation, hangard_machine_get_path (machine));
  return TRUE;
}

static gboolean
handle_validate_machine_xml (HangarManager         *iface,
                             GDBusMethodInvocation *invocation,
                             const char            *xml)
{
  HangardManager *self = HANGARD_MANAGER (iface);
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardDomain) domain = NULL;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_READ))
    return TRUE;

  domain = hangard_domain_parse (xml, -1, &error);
  if (domain == NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    hangar_manager_complete_validate_machine_xml (iface, invocation);
  return TRUE;
}

static gboolean
handle_lookup_machine (HangarManager         *iface,
                       GDBusMethodInvocation *invocation,
                       const char            *name_or_uuid)
{
  HangardManager *self = HANGARD_MANAGER (iface);
  g_autoptr(GError) error = NULL;
  HangardMachine *machine;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_READ))
    return TRUE;

  machine = hangard_daemon_lookup_machine (self->daemon, name_or_uuid, &error);
  if (machine == NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    hangar_manager_complete_lookup_machine (iface, invocation, hangard_machine_get_path (machine));
  return TRUE;
}

static void
on_restored (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;
  HangardMachine *machine = hangard_save_restore_finish (HANGARD_DAEMON (source), result, &error);

  if (machine == NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation,
                                           g_variant_new ("(o)", hangard_machine_get_path (machine)));
}

static gboolean
handle_restore (HangarManager         *iface,
                GDBusMethodInvocation *invocation,
                const char            *path,
                GVariant              *options)
{
  HangardManager *self = HANGARD_MANAGER (iface);
  const char *allowed[] = { "paused", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) paused_value = NULL;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;
  if (!hangard_check_options (options, allowed, &error))
    return hangard_invocation_answer (invocation, FALSE, error);
  paused_value = g_variant_lookup_value (options, "paused", NULL);
  if (paused_value != NULL && !g_variant_is_of_type (paused_value, G_VARIANT_TYPE_BOOLEAN))
    {
      g_set_error (&error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("The option “%s” takes a boolean"), "paused");
      return hangard_invocation_answer (invocation, FALSE, error);
    }

  hangard_save_restore_async (self->daemon, path, paused_value != NULL && g_variant_get_boolean (paused_value),
                              NULL, on_restored, g_object_ref (invocation));
  return TRUE;
}

static gboolean
handle_define_pool (HangarManager         *iface,
                    GDBusMethodInvocation *invocation,
                    const char            *xml)
{
  HangardManager *self = HANGARD_MANAGER (iface);
  g_autoptr(GError) error = NULL;
  HangardPool *pool;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  pool = hangard_storage_define_pool (hangard_daemon_get_storage (self->daemon), xml, &error);
  if (pool == NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    hangar_manager_complete_define_pool (iface, invocation, hangard_pool_get_object_path (pool));
  return TRUE;
}

static gboolean
handle_lookup_pool (HangarManager         *iface,
                    GDBusMethodInvocation *invocation,
                    const char            *name_or_uuid)
{
  HangardManager *self = HANGARD_MANAGER (iface);
  g_autoptr(GError) error = NULL;
  HangardPool *pool;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_READ))
    return TRUE;

  pool = hangard_storage_lookup_pool (hangard_daemon_get_storage (self->daemon), name_or_uuid, &error);
  if (pool == NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    hangar_manager_complete_lookup_pool (iface, invocation, hangard_pool_get_object_path (pool));
  return TRUE;
}

static gboolean
handle_define_network (HangarManager         *iface,
                       GDBusMethodInvocation *invocation,
                       const char            *xml)
{
  HangardManager *self = HANGARD_MANAGER (iface);
  g_autoptr(GError) error = NULL;
  HangardNetwork *network;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  network = hangard_networks_define (hangard_daemon_get_networks (self->daemon), xml, &error);
  if (network == NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    hangar_manager_complete_define_network (iface, invocation, hangard_network_get_object_path (network));
  return TRUE;
}

static gboolean
handle_lookup_network (HangarManager         *iface,
                       GDBusMethodInvocation *invocation,
                       const char            *name_or_uuid)
{
  HangardManager *self = HANGARD_MANAGER (iface);
  g_autoptr(GError) error = NULL;
  HangardNetwork *network;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_READ))
    return TRUE;

  network = hangard_networks_lookup (hangard_daemon_get_networks (self->daemon), name_or_uuid, &error);
  if (network == NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    hangar_manager_complete_lookup_network (iface, invocation, hangard_network_get_object_path (network));
  return TRUE;
}

/* The host's own interfaces are changed only by a system engine (root). */
static gboolean
check_system_mode (HangardManager  *self,
                   GError         **error)
{
  if (hangard_daemon_get_paths (self->daemon)->mode == HANGARD_MODE_SYSTEM)
    return TRUE;
  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
               "Bridging host interfaces needs the system engine");
  return FALSE;
}

static gboolean
handle_bridge_interface (HangarManager         *iface,
                         GDBusMethodInvocation *invocation,
                         const char            *device,
                         const char            *bridge)
{
  HangardManager *self = HANGARD_MANAGER (iface);
  g_autoptr(GError) error = NULL;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  if (!check_system_mode (self, &error) ||
      !hangard_ifname_is_valid (device, &error) ||
      !hangard_ifname_is_valid (bridge, &error) ||
      !hangard_host_net_bridge_interface (device, bridge, &error))
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    hangar_manager_complete_bridge_interface (iface, invocation);
  return TRUE;
}

static gboolean
handle_unbridge_interface (HangarManager         *iface,
                           GDBusMethodInvocation *invocation,
                           const char            *bridge)
{
  HangardManager *self = HANGARD_MANAGER (iface);
  g_autoptr(GError) error = NULL;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  if (!check_system_mode (self, &error) ||
      !hangard_ifname_is_valid (bridge, &error) ||
      !hangard_host_net_unbridge_interface (bridge, &error))
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    hangar_manager_complete_unbridge_interface (iface, invocation);
  return TRUE;
}

static void
on_host_info (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) info = hangard_host_get_info_finish (HANGARD_HOST (source), result, &error);

  if (info == NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(@a{sv})", info));
}

static gboolean
handle_get_host_info (HangarManager         *iface,
                      GDBusMethodInvocation *invocation)
{
  HangardManager *self = HANGARD_MANAGER (iface);
  HangardPaths *paths = hangard_daemon_get_paths (self->daemon);

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_READ))
    return TRUE;

  hangard_host_get_info_async (hangard_daemon_get_host (self->daemon), hangard_mode_to_string (paths->mode),
                               NULL, on_host_info, g_object_ref (invocation));
  return TRUE;
}

static void
hangard_manager_iface_init (HangarManagerIface *iface)
{
  iface->handle_define_machine = handle_define_machine;
  iface->handle_validate_machine_xml = handle_validate_machine_xml;
  iface->handle_lookup_machine = handle_lookup_machine;
  iface->handle_restore = handle_restore;
  iface->handle_get_host_info = handle_get_host_info;
  iface->handle_define_pool = handle_define_pool;
  iface->handle_lookup_pool = handle_lookup_pool;
  iface->handle_define_network = handle_define_network;
  iface->handle_lookup_network = handle_lookup_network;
  iface->handle_bridge_interface = handle_bridge_interface;
  iface->handle_unbridge_interface = handle_unbridge_interface;
}

HangardManager *
hangard_manager_new (HangardDaemon *daemon)
{
  HangardManager *self = g_object_new (HANGARD_TYPE_MANAGER, NULL);
  HangarManager *iface = HANGAR_MANAGER (self);

  self->daemon = daemon;
  hangar_manager_set_version (iface, HANGAR_VERSION);
  hangar_manager_set_mode (iface, hangard_mode_to_string (hangard_daemon_get_paths (daemon)->mode));
  hangar_manager_set_accelerator (iface, hangard_host_get_accelerator (hangard_daemon_get_host (daemon)));
  return self;
}

static void
hangard_manager_class_init (HangardManagerClass *klass)
{
}

static void
hangard_manager_init (HangardManager *self)
{
}
