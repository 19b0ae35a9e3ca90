/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-network"

#include "hangard-network.h"
#include "hangard-dnsmasq.h"
#include "hangard-error.h"
#include "hangard-host-net.h"
#include "hangard-networks.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

/* Present in the state directory while the network is started: a new
 * engine takes such a network back instead of tearing it down. */
#define ACTIVE_MARK "active"

struct _HangardNetwork
{
  HangarNetworkSkeleton  parent_instance;

  HangardDaemon         *daemon;  /* owns us, through the registry */
  HangardNetworkDef     *def;
  HangardNetworkDef     *running_def;  /* what was started, while active */
  char                  *object_path;
  char                  *state_dir;
};

static void hangard_network_iface_init (HangarNetworkIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HangardNetwork, hangard_network, HANGAR_TYPE_NETWORK_SKELETON,
                               G_IMPLEMENT_INTERFACE (HANGAR_TYPE_NETWORK, hangard_network_iface_init))

const char *
hangard_network_get_name (HangardNetwork *self)
{
  return self->def->name;
}

const char *
hangard_network_get_uuid (HangardNetwork *self)
{
  return self->def->uuid;
}

const char *
hangard_network_get_object_path (HangardNetwork *self)
{
  return self->object_path;
}

HangardNetworkDef *
hangard_network_get_def (HangardNetwork *self)
{
  return self->def;
}

gboolean
hangard_network_is_active (HangardNetwork *self)
{
  return self->running_def != NULL;
}

const char *
hangard_network_get_bridge (HangardNetwork *self)
{
  return (self->running_def ? self->running_def : self->def)->bridge_name;
}

static char *
active_mark_path (HangardNetwork *self)
{
  return g_build_filename (self->state_dir, ACTIVE_MARK, NULL);
}

static void
sync_properties (HangardNetwork *self)
{
  HangarNetwork *iface = HANGAR_NETWORK (self);
  HangardNetworkDef *def = self->running_def ? self->running_def : self->def;
  g_autofree char *address = NULL;
  g_autofree char *range = NULL;

  if (def->has_ip)
    {
      g_autofree char *ip = hangard_ipv4_to_string (def->address);
      address = g_strdup_printf ("%s/%u", ip, def->prefix);
    }
  if (def->has_dhcp)
    {
      g_autofree char *first = hangard_ipv4_to_string (def->dhcp_start);
      g_autofree char *last = hangard_ipv4_to_string (def->dhcp_end);
      range = g_strdup_printf ("%s-%s", first, last);
    }

  hangar_network_set_name (iface, self->def->name);
  hangar_network_set_uuid (iface, self->def->uuid);
  hangar_network_set_forward_mode (iface, hangard_forward_mode_to_string (def->forward_mode));
  hangar_network_set_bridge (iface, def->bridge_name ? def->bridge_name : "");
  hangar_network_set_address (iface, address ? address : "");
  hangar_network_set_dhcp_range (iface, range ? range : "");
  hangar_network_set_active (iface, hangard_network_is_active (self));
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
}

static void
set_reason (HangardNetwork *self,
            const char     *reason)
{
  hangar_network_set_state_reason (HANGAR_NETWORK (self), reason ? reason : "");
}

/* ---- Bringing it up and down ---------------------------------------------- */

static gboolean
check_bridge_exists (HangardNetworkDef  *def,
                     GError            **error)
{
  if (!hangard_host_net_link_exists (def->bridge_name))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                   _("The host bridge %s does not exist (hangarctl iface-bridge can make one)"),
                   def->bridge_name);
      return FALSE;
    }
  if (!hangard_host_net_link_is_bridge (def->bridge_name))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("%s is not a bridge"), def->bridge_name);
      return FALSE;
    }
  return TRUE;
}

static void
tear_down (HangardNetworkDef *def,
           const char        *state_dir)
{
  if (def->forward_mode == HANGARD_FORWARD_BRIDGE)
    return;
  hangard_dnsmasq_stop (state_dir, def->bridge_name);
  hangard_nft_delete_network_table (def->bridge_name, NULL);
  if (hangard_host_net_link_exists (def->bridge_name))
    hangard_host_net_link_delete (def->bridge_name, NULL);
}

/* Bridge with its address, firewall table, then dnsmasq: what a guest on
 * the network needs, in the order each step depends on the one before. */
static gboolean
bring_up (HangardNetworkDef  *def,
          const char         *state_dir,
          GError            **error)
{
  guint32 subnet = def->address & hangard_ipv4_netmask (def->prefix);
  gboolean nat = def->forward_mode == HANGARD_FORWARD_NAT;

  if (hangard_host_net_link_exists (def->bridge_name))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                   _("An interface named %s already exists on the host: choose another bridge name"),
                   def->bridge_name);
      return FALSE;
    }

  if (!hangard_host_net_bridge_create (def->bridge_name, error))
    return FALSE;
  if (!hangard_host_net_address_add (def->bridge_name, def->address, def->prefix, error) ||
      !hangard_host_net_link_set_up (def->bridge_name, error) ||
      (nat && !hangard_host_net_enable_ip_forward (error)) ||
      !hangard_nft_add_network_table (def->bridge_name, subnet, def->prefix, nat, error) ||
      !hangard_dnsmasq_start (def, state_dir, error))
    {
      tear_down (def, state_dir);
      return FALSE;
    }
  return TRUE;
}

gboolean
hangard_network_start (HangardNetwork  *self,
                       GError         **error)
{
  g_autofree char *mark = active_mark_path (self);

  if (hangard_network_is_active (self))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Network '%s' is already active"), self->def->name);
      return FALSE;
    }
  if (g_mkdir_with_parents (self->state_dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot create %s: %s"),
                   self->state_dir, g_strerror (saved_errno));
      return FALSE;
    }

  if (self->def->forward_mode == HANGARD_FORWARD_BRIDGE ? !check_bridge_exists (self->def, error)
                                                       : !bring_up (self->def, self->state_dir, error))
    return FALSE;

  if (!g_file_set_contents (mark, "", 0, error))
    {
      tear_down (self->def, self->state_dir);
      return FALSE;
    }
  self->running_def = hangard_network_def_copy (self->def);
  g_message ("Started network %s on %s", self->def->name, self->def->bridge_name);
  set_reason (self, "");
  sync_properties (self);
  return TRUE;
}

void
hangard_network_stop (HangardNetwork *self)
{
  g_autofree char *mark = active_mark_path (self);

  if (self->running_def == NULL)
    return;
  tear_down (self->running_def, self->state_dir);
  g_unlink (mark);
  g_clear_pointer (&self->running_def, hangard_network_def_free);
  g_message ("Stopped network %s", self->def->name);
  sync_properties (self);
}

void
hangard_network_reconcile (HangardNetwork *self)
{
  g_autofree char *mark = active_mark_path (self);
  g_autoptr(GError) error = NULL;
  HangardNetworkDef *def = self->def;

  if (!g_file_test (mark, G_FILE_TEST_EXISTS))
    {
      /* Not ours to keep: remove anything a crash left half made. */
      if (def->forward_mode != HANGARD_FORWARD_BRIDGE)
        {
          hangard_dnsmasq_stop (self->state_dir, def->bridge_name);
          hangard_nft_delete_network_table (def->bridge_name, NULL);
        }
      return;
    }

  if (def->forward_mode == HANGARD_FORWARD_BRIDGE || hangard_host_net_link_is_bridge (def->bridge_name))
    {
      if (def->forward_mode != HANGARD_FORWARD_BRIDGE &&
          !hangard_dnsmasq_is_running (self->state_dir, def->bridge_name) &&
          !hangard_dnsmasq_start (def, self->state_dir, &error))
        g_warning ("Network %s: cannot restart dnsmasq: %s", def->name, error->message);
      self->running_def = hangard_network_def_copy (def);
      g_message ("Network %s is still up: taken back", def->name);
    }
  else
    {
      tear_down (def, self->state_dir);
      g_unlink (mark);
      set_reason (self, _("Its bridge vanished while the engine was stopped"));
    }
  sync_properties (self);
}

char *
hangard_network_lookup_lease (HangardNetwork *self,
                              const char     *mac)
{
  g_autoptr(GPtrArray) leases = hangard_dnsmasq_read_leases (self->state_dir);

  for (guint i = 0; leases && i < leases->len; i++)
    {
      HangardDhcpLease *lease = g_ptr_array_index (leases, i);

      if (g_ascii_strcasecmp (lease->mac, mac) == 0)
        return g_strdup (lease->ip);
    }
  return NULL;
}

/* ---- Methods -------------------------------------------------------------- */

static HangardNetworks *
registry (HangardNetwork *self)
{
  return hangard_daemon_get_networks (self->daemon);
}

static gboolean
handle_start (HangarNetwork         *iface,
              GDBusMethodInvocation *invocation)
{
  HangardNetwork *self = HANGARD_NETWORK (iface);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;
  ok = hangard_network_start (self, &error);
  return hangard_invocation_answer (invocation, ok, error);
}

static gboolean
handle_stop (HangarNetwork         *iface,
             GDBusMethodInvocation *invocation)
{
  HangardNetwork *self = HANGARD_NETWORK (iface);

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;
  if (!hangard_network_is_active (self))
    {
      g_dbus_method_invocation_return_error (invocation, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                                             _("Network '%s' is not active"), self->def->name);
      return TRUE;
    }
  hangard_network_stop (self);
  g_dbus_method_invocation_return_value (invocation, NULL);
  return TRUE;
}

static gboolean
handle_set_autostart (HangarNetwork         *iface,
                      GDBusMethodInvocation *invocation,
                      gboolean               autostart)
{
  HangardNetwork *self = HANGARD_NETWORK (iface);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;
  ok = hangard_networks_set_autostart (registry (self), self, autostart, &error);
  return hangard_invocation_answer (invocation, ok, error);
}

static gboolean
handle_undefine (HangarNetwork         *iface,
                 GDBusMethodInvocation *invocation,
                 GVariant              *options)
{
  HangardNetwork *self = HANGARD_NETWORK (iface);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;
  g_object_ref (self);
  ok = hangard_check_options (options, NULL, &error) && hangard_networks_undefine (registry (self), self, &error);
  hangard_invocation_answer (invocation, ok, error);
  g_object_unref (self);
  return TRUE;
}

static gboolean
handle_get_xml (HangarNetwork         *iface,
                GDBusMethodInvocation *invocation,
                GVariant              *options)
{
  HangardNetwork *self = HANGARD_NETWORK (iface);
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_READ))
    return TRUE;
  if (!hangard_check_options (options, NULL, &error))
    return hangard_invocation_answer (invocation, FALSE, error);
  xml = hangard_network_def_to_xml (self->def);
  hangar_network_complete_get_xml (iface, invocation, xml);
  return TRUE;
}

static GVariant *
lease_to_variant (HangardDhcpLease *lease,
                  guint             prefix)
{
  GVariantBuilder builder;
  g_autofree char *ip = g_strdup_printf ("%s/%u", lease->ip, prefix);

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "mac", g_variant_new_string (lease->mac));
  g_variant_builder_add (&builder, "{sv}", "ip", g_variant_new_string (ip));
  g_variant_builder_add (&builder, "{sv}", "hostname", g_variant_new_string (lease->hostname ? lease->hostname : ""));
  g_variant_builder_add (&builder, "{sv}", "expiry", g_variant_new_int64 (lease->expiry));
  return g_variant_builder_end (&builder);
}

static gboolean
handle_get_dhcp_leases (HangarNetwork         *iface,
                        GDBusMethodInvocation *invocation)
{
  HangardNetwork *self = HANGARD_NETWORK (iface);
  g_autoptr(GPtrArray) leases = NULL;
  GVariantBuilder builder;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_READ))
    return TRUE;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  leases = hangard_dnsmasq_read_leases (self->state_dir);
  for (guint i = 0; leases && i < leases->len; i++)
    g_variant_builder_add_value (&builder, lease_to_variant (g_ptr_array_index (leases, i), self->def->prefix));
  hangar_network_complete_get_dhcp_leases (iface, invocation, g_variant_builder_end (&builder));
  return TRUE;
}

/* ---- Object --------------------------------------------------------------- */

static void
hangard_network_iface_init (HangarNetworkIface *iface)
{
  iface->handle_start = handle_start;
  iface->handle_stop = handle_stop;
  iface->handle_set_autostart = handle_set_autostart;
  iface->handle_undefine = handle_undefine;
  iface->handle_get_xml = handle_get_xml;
  iface->handle_get_dhcp_leases = handle_get_dhcp_leases;
}

HangardNetwork *
hangard_network_new (HangardDaemon     *daemon,
                     HangardNetworkDef *def,
                     const char        *state_dir,
                     gboolean           autostart)
{
  HangardNetwork *self = g_object_new (HANGARD_TYPE_NETWORK, NULL);
  g_autofree char *element = g_strdelimit (g_strdup (def->uuid), "-", '_');

  self->daemon = daemon;
  self->def = def;
  self->state_dir = g_strdup (state_dir);
  self->object_path = g_strdup_printf ("/io/github/hangarvm/Hangar1/networks/%s", element);
  hangar_network_set_autostart (HANGAR_NETWORK (self), autostart);
  sync_properties (self);
  return self;
}

void
hangard_network_set_def (HangardNetwork    *self,
                         HangardNetworkDef *def)
{
  hangard_network_def_free (self->def);
  self->def = def;
  sync_properties (self);
}

void
hangard_network_set_autostart_flag (HangardNetwork *self,
                                    gboolean        autostart)
{
  hangar_network_set_autostart (HANGAR_NETWORK (self), autostart);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
}

static void
hangard_network_finalize (GObject *object)
{
  HangardNetwork *self = HANGARD_NETWORK (object);

  g_clear_pointer (&self->def, hangard_network_def_free);
  g_clear_pointer (&self->running_def, hangard_network_def_free);
  g_free (self->object_path);
  g_free (self->state_dir);
  G_OBJECT_CLASS (hangard_network_parent_class)->finalize (object);
}

static void
hangard_network_class_init (HangardNetworkClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hangard_network_finalize;
}

static void
hangard_network_init (HangardNetwork *self)
{
}
