/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-networks"

#include "hangard-networks.h"
#include "hangard-dnsmasq.h"
#include "hangard-error.h"
#include "hangard-host-net.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <unistd.h>

/* Written once the default network has been defined, so a user who
 * undefines it does not get it back. */
#define FIRST_START_MARKER ".default-network-created"
#define BRIDGE_TEMPLATE "hgbr%u"
#define TAP_TEMPLATE "hgtap%d"

struct _HangardNetworks
{
  GObject        parent_instance;

  HangardDaemon *daemon;    /* owns us */
  GHashTable    *networks;  /* uuid → HangardNetwork* (owned) */
};

G_DEFINE_FINAL_TYPE (HangardNetworks, hangard_networks, G_TYPE_OBJECT)

static HangardPaths *
paths (HangardNetworks *self)
{
  return hangard_daemon_get_paths (self->daemon);
}

static gboolean
is_system_mode (HangardNetworks *self)
{
  return paths (self)->mode == HANGARD_MODE_SYSTEM;
}

static char *
networks_dir (HangardNetworks *self)
{
  return g_build_filename (paths (self)->config_dir, "networks", NULL);
}

static char *
definition_path (HangardNetworks *self,
                 const char      *uuid)
{
  g_autofree char *dir = networks_dir (self);
  g_autofree char *name = g_strconcat (uuid, ".xml", NULL);

  return g_build_filename (dir, name, NULL);
}

static char *
autostart_path (HangardNetworks *self,
                const char      *uuid)
{
  g_autofree char *dir = networks_dir (self);

  return g_build_filename (dir, "autostart", uuid, NULL);
}

static char *
state_dir (HangardNetworks *self,
           const char      *uuid)
{
  return g_build_filename (paths (self)->runtime_dir, "networks", uuid, NULL);
}

static gboolean
store_definition (HangardNetworks    *self,
                  HangardNetworkDef  *def,
                  GError            **error)
{
  g_autofree char *path = definition_path (self, def->uuid);
  g_autofree char *xml = hangard_network_def_to_xml (def);
  g_autoptr(GError) local_error = NULL;

  /* Temp file, fsync, rename. */
  if (!g_file_set_contents_full (path, xml, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, &local_error))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot store the network definition: %s"),
                   local_error->message);
      return FALSE;
    }
  return TRUE;
}

static HangardNetwork *
find_by_name (HangardNetworks *self,
              const char      *name)
{
  GHashTableIter iter;
  gpointer network;

  g_hash_table_iter_init (&iter, self->networks);
  while (g_hash_table_iter_next (&iter, NULL, &network))
    if (g_str_equal (hangard_network_get_name (network), name))
      return network;
  return NULL;
}

static HangardNetwork *
find_by_bridge (HangardNetworks *self,
                const char      *bridge)
{
  GHashTableIter iter;
  gpointer network;

  g_hash_table_iter_init (&iter, self->networks);
  while (g_hash_table_iter_next (&iter, NULL, &network))
    if (g_strcmp0 (hangard_network_get_def (network)->bridge_name, bridge) == 0 &&
        hangard_network_get_def (network)->forward_mode != HANGARD_FORWARD_BRIDGE)
      return network;
  return NULL;
}

static void
export_network (HangardNetworks *self,
                HangardNetwork  *network)
{
  g_autoptr(HangarObjectSkeleton) object = hangar_object_skeleton_new (hangard_network_get_object_path (network));

  hangar_object_skeleton_set_network (object, HANGAR_NETWORK (network));
  g_dbus_object_manager_server_export (hangard_daemon_get_object_manager (self->daemon),
                                       G_DBUS_OBJECT_SKELETON (object));
  g_hash_table_insert (self->networks, g_strdup (hangard_network_get_uuid (network)), network);
}

/* ---- Checks at define time --------------------------------------------------- */

static gboolean
subnet_is_free_of_networks (HangardNetworks    *self,
                            HangardNetworkDef  *def,
                            HangardNetwork     *same,
                            GError            **error)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->networks);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      HangardNetworkDef *other = hangard_network_get_def (value);

      if (value == same || !other->has_ip)
        continue;
      if (hangard_ipv4_subnets_overlap (def->address, def->prefix, other->address, other->prefix))
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                       _("The subnet overlaps network '%s'"), other->name);
          return FALSE;
        }
    }
  return TRUE;
}

/* An address on the host (outside our own bridge) in the subnet means
 * guests would shadow a real network. */
static gboolean
subnet_is_free_on_host (HangardNetworkDef  *def,
                        const char         *own_bridge,
                        GError            **error)
{
  g_autoptr(GPtrArray) addresses = hangard_host_net_list_ipv4 (NULL);

  for (guint i = 0; addresses && i < addresses->len; i++)
    {
      HangardHostAddress *address = g_ptr_array_index (addresses, i);
      g_autofree char *text = NULL;

      if (g_strcmp0 (address->device, own_bridge) == 0 || g_str_equal (address->device, "lo"))
        continue;
      if (!hangard_ipv4_subnets_overlap (def->address, def->prefix, address->address, address->prefix))
        continue;
      text = hangard_ipv4_to_string (address->address);
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                   _("The subnet overlaps %s/%u on the host's %s"), text, address->prefix, address->device);
      return FALSE;
    }
  return TRUE;
}

static char *
pick_bridge_name (HangardNetworks *self)
{
  for (guint n = 0;; n++)
    {
      g_autofree char *name = g_strdup_printf (BRIDGE_TEMPLATE, n);

      if (find_by_bridge (self, name) == NULL && !hangard_host_net_link_exists (name))
        return g_steal_pointer (&name);
    }
}

static gboolean
check_definition (HangardNetworks    *self,
                  HangardNetworkDef  *def,
                  HangardNetwork     *existing,
                  GError            **error)
{
  HangardNetwork *same_name = find_by_name (self, def->name);
  HangardNetwork *same_bridge;

  if (!is_system_mode (self))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   _("Virtual networks need the system engine; a session engine gives machines user-mode networking (<interface type='user'>)"));
      return FALSE;
    }
  if (same_name != NULL && same_name != existing)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS, _("A network named '%s' already exists"), def->name);
      return FALSE;
    }
  if (existing != NULL && !g_str_equal (hangard_network_get_name (existing), def->name))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS, _("UUID %s already belongs to network '%s'"),
                   def->uuid, hangard_network_get_name (existing));
      return FALSE;
    }
  if (def->forward_mode == HANGARD_FORWARD_BRIDGE)
    return TRUE;

  if (def->bridge_name == NULL)
    {
      g_autofree char *name = pick_bridge_name (self);
      hangard_network_def_set_bridge (def, name);
    }
  same_bridge = find_by_bridge (self, def->bridge_name);
  if (same_bridge != NULL && same_bridge != existing)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS, _("Network '%s' already uses the bridge %s"),
                   hangard_network_get_name (same_bridge), def->bridge_name);
      return FALSE;
    }
  /* A NAT or isolated network makes its own bridge: an interface of that
   * name that is not ours belongs to someone else. */
  if (same_bridge == NULL && hangard_host_net_link_exists (def->bridge_name))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                   _("The host already has an interface named %s: a NAT or isolated network needs a bridge of its own"),
                   def->bridge_name);
      return FALSE;
    }
  return subnet_is_free_of_networks (self, def, existing, error) &&
         subnet_is_free_on_host (def, existing ? hangard_network_get_bridge (existing) : NULL, error);
}

HangardNetwork *
hangard_networks_define (HangardNetworks  *self,
                         const char       *xml,
                         GError          **error)
{
  g_autoptr(HangardNetworkDef) def = hangard_network_def_parse (xml, -1, error);
  g_autofree char *state = NULL;
  HangardNetwork *existing;
  HangardNetwork *network;

  if (def == NULL)
    return NULL;
  existing = g_hash_table_lookup (self->networks, def->uuid);
  if (!check_definition (self, def, existing, error) || !store_definition (self, def, error))
    return NULL;

  if (existing != NULL)
    {
      hangard_network_set_def (existing, g_steal_pointer (&def));
      return existing;
    }

  state = state_dir (self, def->uuid);
  network = hangard_network_new (self->daemon, g_steal_pointer (&def), state, FALSE);
  export_network (self, network);
  g_message ("Defined network %s", hangard_network_get_name (network));
  return network;
}

HangardNetwork *
hangard_networks_lookup (HangardNetworks  *self,
                         const char       *name_or_uuid,
                         GError          **error)
{
  g_autofree char *lower = NULL;
  HangardNetwork *network;

  if (name_or_uuid == NULL || *name_or_uuid == '\0')
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT, _("No network name or UUID given"));
      return NULL;
    }
  network = find_by_name (self, name_or_uuid);
  if (network != NULL)
    return network;
  lower = g_ascii_strdown (name_or_uuid, -1);
  network = g_hash_table_lookup (self->networks, lower);
  if (network == NULL)
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND, _("No network named '%s'"), name_or_uuid);
  return network;
}

gboolean
hangard_networks_undefine (HangardNetworks  *self,
                           HangardNetwork   *network,
                           GError          **error)
{
  const char *uuid = hangard_network_get_uuid (network);
  g_autofree char *path = definition_path (self, uuid);
  g_autofree char *autostart = autostart_path (self, uuid);

  if (hangard_network_is_active (network))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Network '%s' is active: stop it first"), hangard_network_get_name (network));
      return FALSE;
    }
  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot remove %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }
  g_unlink (autostart);
  g_dbus_object_manager_server_unexport (hangard_daemon_get_object_manager (self->daemon),
                                         hangard_network_get_object_path (network));
  g_hash_table_remove (self->networks, uuid);
  return TRUE;
}

gboolean
hangard_networks_set_autostart (HangardNetworks  *self,
                                HangardNetwork   *network,
                                gboolean          autostart,
                                GError          **error)
{
  g_autofree char *path = autostart_path (self, hangard_network_get_uuid (network));

  if (autostart && !g_file_set_contents_full (path, "", 0, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return FALSE;
  if (!autostart && g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot remove %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }
  hangard_network_set_autostart_flag (network, autostart);
  return TRUE;
}

/* ---- Taps ------------------------------------------------------------------ */

static const char *
bridge_for_nic (HangardNetworks  *self,
                HangardNicDef    *nic,
                GError          **error)
{
  HangardNetwork *network;

  if (nic->type == HANGARD_NIC_TYPE_BRIDGE)
    {
      if (!hangard_host_net_link_is_bridge (nic->source))
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND, _("The host has no bridge named %s"), nic->source);
          return NULL;
        }
      return nic->source;
    }

  network = hangard_networks_lookup (self, nic->source, error);
  if (network == NULL)
    return NULL;
  if (!hangard_network_is_active (network))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Network '%s' is not active: start it first"), nic->source);
      return NULL;
    }
  return hangard_network_get_bridge (network);
}

static void
close_fds (GArray *fds)
{
  for (guint i = 0; i < fds->len; i++)
    if (g_array_index (fds, int, i) >= 0)
      close (g_array_index (fds, int, i));
}

static int
open_attached_tap (const char  *bridge,
                   char       **name,
                   GError     **error)
{
  int fd = hangard_host_net_tap_open (TAP_TEMPLATE, name, error);

  if (fd < 0)
    return -1;
  if (!hangard_host_net_set_master (*name, bridge, error) || !hangard_host_net_link_set_up (*name, error))
    {
      close (fd);
      g_clear_pointer (name, g_free);
      return -1;
    }
  return fd;
}

GArray *
hangard_networks_open_taps (HangardNetworks  *self,
                            HangardDomain    *domain,
                            GPtrArray       **tap_names,
                            GError          **error)
{
  g_autoptr(GArray) fds = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < domain->nics->len; i++)
    {
      HangardNicDef *nic = g_ptr_array_index (domain->nics, i);
      const char *bridge;
      char *name = NULL;
      int fd = -1;

      if (nic->type != HANGARD_NIC_TYPE_USER)
        {
          if (!is_system_mode (self))
            {
              g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           _("Interface %s needs the system engine: a session engine has only user-mode networking"),
                           nic->mac);
              goto fail;
            }
          if ((bridge = bridge_for_nic (self, nic, error)) == NULL ||
              (fd = open_attached_tap (bridge, &name, error)) < 0)
            goto fail;
        }
      g_array_append_val (fds, fd);
      g_ptr_array_add (names, name);
    }

  *tap_names = g_steal_pointer (&names);
  return g_steal_pointer (&fds);

fail:
  close_fds (fds);
  return NULL;
}

/* ---- Start-up -------------------------------------------------------------- */

static void
load_definition (HangardNetworks *self,
                 const char      *dir,
                 const char      *filename)
{
  g_autofree char *path = g_build_filename (dir, filename, NULL);
  g_autofree char *xml = NULL;
  g_autofree char *autostart = NULL;
  g_autofree char *state = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardNetworkDef) def = NULL;
  HangardNetwork *network;

  if (!g_file_get_contents (path, &xml, NULL, &error) ||
      (def = hangard_network_def_parse (xml, -1, &error)) == NULL)
    {
      g_warning ("Skipping network definition %s: %s", path, error->message);
      return;
    }
  if (g_hash_table_contains (self->networks, def->uuid) || find_by_name (self, def->name))
    {
      g_warning ("Skipping network definition %s: network %s is defined twice", path, def->name);
      return;
    }
  autostart = autostart_path (self, def->uuid);
  state = state_dir (self, def->uuid);
  network = hangard_network_new (self->daemon, g_steal_pointer (&def), state,
                                 g_file_test (autostart, G_FILE_TEST_EXISTS));
  export_network (self, network);
}

/* 192.168.122.0/24 as libvirt does, or the next /24 no host interface uses. */
static gboolean
define_default_network (HangardNetworks  *self,
                        GError          **error)
{
  for (guint third = 122; third < 255; third++)
    {
      g_autofree char *xml = g_strdup_printf (
        "<network><name>default</name><forward mode='nat'/>"
        "<ip address='192.168.%u.1' netmask='255.255.255.0'>"
        "<dhcp><range start='192.168.%u.2' end='192.168.%u.254'/></dhcp></ip></network>",
        third, third, third);
      g_autoptr(GError) local_error = NULL;
      HangardNetwork *network = hangard_networks_define (self, xml, &local_error);

      if (network != NULL)
        return hangard_networks_set_autostart (self, network, TRUE, error);
      if (!g_error_matches (local_error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS) ||
          find_by_name (self, "default") != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("No free 192.168.x.0/24 subnet for the default network"));
  return FALSE;
}

gboolean
hangard_networks_load (HangardNetworks  *self,
                       GError          **error)
{
  g_autofree char *dir = networks_dir (self);
  g_autofree char *autostart_dir = g_build_filename (dir, "autostart", NULL);
  g_autofree char *marker = g_build_filename (dir, FIRST_START_MARKER, NULL);
  g_autoptr(GDir) listing = NULL;
  const char *name;

  if (!is_system_mode (self))
    return TRUE;
  if (g_mkdir_with_parents (autostart_dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot create %s: %s"), autostart_dir, g_strerror (saved_errno));
      return FALSE;
    }

  listing = g_dir_open (dir, 0, error);
  if (listing == NULL)
    return FALSE;
  while ((name = g_dir_read_name (listing)) != NULL)
    if (g_str_has_suffix (name, ".xml") && name[0] != '.')
      load_definition (self, dir, name);

  if (g_file_test (marker, G_FILE_TEST_EXISTS))
    return TRUE;
  if (find_by_name (self, "default") == NULL)
    {
      g_autoptr(GError) local_error = NULL;

      /* A host without a free subnet still gets a working engine. */
      if (!define_default_network (self, &local_error))
        g_warning ("No default network: %s", local_error->message);
    }
  return g_file_set_contents_full (marker, "", 0, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* Tables a crashed engine left for networks that are gone. */
static void
remove_stray_tables (HangardNetworks *self)
{
  g_auto(GStrv) bridges = hangard_nft_list_network_tables (NULL);

  for (guint i = 0; bridges && bridges[i] != NULL; i++)
    {
      HangardNetwork *network = find_by_bridge (self, bridges[i]);

      if (network == NULL || !hangard_network_is_active (network))
        hangard_nft_delete_network_table (bridges[i], NULL);
    }
}

void
hangard_networks_start (HangardNetworks *self)
{
  GHashTableIter iter;
  gpointer network;

  if (!is_system_mode (self))
    return;

  g_hash_table_iter_init (&iter, self->networks);
  while (g_hash_table_iter_next (&iter, NULL, &network))
    hangard_network_reconcile (network);
  remove_stray_tables (self);

  g_hash_table_iter_init (&iter, self->networks);
  while (g_hash_table_iter_next (&iter, NULL, &network))
    {
      g_autoptr(GError) error = NULL;

      if (!hangar_network_get_autostart (HANGAR_NETWORK (network)) || hangard_network_is_active (network))
        continue;
      if (!hangard_network_start (network, &error))
        {
          g_warning ("Cannot start network %s: %s", hangard_network_get_name (network), error->message);
          hangar_network_set_state_reason (HANGAR_NETWORK (network), error->message);
        }
    }
}

/* ---- Object --------------------------------------------------------------- */

HangardNetworks *
hangard_networks_new (HangardDaemon *daemon)
{
  HangardNetworks *self = g_object_new (HANGARD_TYPE_NETWORKS, NULL);

  self->daemon = daemon;
  return self;
}

static void
hangard_networks_finalize (GObject *object)
{
  HangardNetworks *self = HANGARD_NETWORKS (object);

  g_clear_pointer (&self->networks, g_hash_table_unref);
  G_OBJECT_CLASS (hangard_networks_parent_class)->finalize (object);
}

static void
hangard_networks_class_init (HangardNetworksClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hangard_networks_finalize;
}

static void
hangard_networks_init (HangardNetworks *self)
{
  self->networks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}
