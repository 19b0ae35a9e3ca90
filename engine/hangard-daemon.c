/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-daemon"

#include "hangard-daemon.h"
#include "hangard-authority.h"
#include "hangard-error.h"
#include "hangard-machine.h"
#include "hangard-job.h"
#include "hangard-manager.h"
#include "hangard-networks.h"
#include "hangard-storage.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <unistd.h>

struct _HangardDaemon
{
  GObject                   parent_instance;

  GDBusConnection          *connection;
  GDBusObjectManagerServer *object_manager;
  HangardPaths             *paths;
  HangardHost              *host;
  HangardManager           *manager;
  HangardStorage           *storage;
  HangardNetworks          *networks;
  guint                     next_job_id;

  GHashTable               *machines;     /* uuid → HangardMachine* (owned) */
  HangardAuthority         *authority;
};

G_DEFINE_FINAL_TYPE (HangardDaemon, hangard_daemon, G_TYPE_OBJECT)

GDBusConnection *
hangard_daemon_get_connection (HangardDaemon *self)
{
  return self->connection;
}

HangardPaths *
hangard_daemon_get_paths (HangardDaemon *self)
{
  return self->paths;
}

HangardHost *
hangard_daemon_get_host (HangardDaemon *self)
{
  return self->host;
}

GDBusObjectManagerServer *
hangard_daemon_get_object_manager (HangardDaemon *self)
{
  return self->object_manager;
}

HangardStorage *
hangard_daemon_get_storage (HangardDaemon *self)
{
  return self->storage;
}

HangardNetworks *
hangard_daemon_get_networks (HangardDaemon *self)
{
  return self->networks;
}

/* ---- Storage shortcuts ---------------------------------------------------- */

/* The disks a running QEMU really has: resolved when it started, so a
 * pool stopped since then does not hide them. */
const char *
hangard_daemon_find_running_user (HangardDaemon *self,
                                  const char    *path)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->machines);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const char * const *disks = hangard_vm_get_disk_paths (hangard_machine_get_vm (value));

      if (disks != NULL && g_strv_contains (disks, path))
        return hangard_machine_get_name (value);
    }
  return NULL;
}

HangardPool *
hangard_daemon_lookup_pool_by_path (HangardDaemon  *self,
                                    const char     *object_path,
                                    GError        **error)
{
  return hangard_storage_lookup_pool_by_path (self->storage, object_path, error);
}

gboolean
hangard_daemon_undefine_pool (HangardDaemon  *self,
                              HangardPool    *pool,
                              gboolean        delete_directory,
                              gboolean        delete_volumes,
                              GError        **error)
{
  return hangard_storage_undefine_pool (self->storage, pool, delete_directory, delete_volumes, error);
}

gboolean
hangard_daemon_set_pool_autostart (HangardDaemon  *self,
                                   HangardPool    *pool,
                                   gboolean        autostart,
                                   GError        **error)
{
  return hangard_storage_set_autostart (self->storage, pool, autostart, error);
}

/* ---- Jobs ----------------------------------------------------------------- */

/* How long an ended job stays visible, so watchers see how it ended. */
#define JOB_LINGER_SECONDS 60

typedef struct {
  GDBusObjectManagerServer *object_manager;
  char                     *path;
} JobRemoval;

static gboolean
remove_job (gpointer user_data)
{
  JobRemoval *removal = user_data;

  g_dbus_object_manager_server_unexport (removal->object_manager, removal->path);
  g_object_unref (removal->object_manager);
  g_free (removal->path);
  g_free (removal);
  return G_SOURCE_REMOVE;
}

static void
on_job_ended (HangardJob    *job,
              HangardDaemon *self)
{
  JobRemoval *removal = g_new0 (JobRemoval, 1);

  removal->object_manager = g_object_ref (self->object_manager);
  removal->path = g_strdup (g_dbus_interface_skeleton_get_object_path (G_DBUS_INTERFACE_SKELETON (job)));
  g_timeout_add_seconds (JOB_LINGER_SECONDS, remove_job, removal);
}

void
hangard_daemon_export_job (HangardDaemon *self,
                           HangardJob    *job)
{
  g_autofree char *path = g_strdup_printf (HANGARD_DBUS_ROOT "/jobs/%u", ++self->next_job_id);
  g_autoptr(HangarObjectSkeleton) object = hangar_object_skeleton_new (path);

  hangar_object_skeleton_set_job (object, HANGAR_JOB (job));
  g_dbus_object_manager_server_export (self->object_manager, G_DBUS_OBJECT_SKELETON (object));
  g_signal_connect_object (job, "ended", G_CALLBACK (on_job_ended), self, 0);
}

/* ---- Authorization -------------------------------------------------------- */

/* What an invocation has been granted, as a bit per HangardAccess. */
static GQuark
granted_quark (void)
{
  return g_quark_from_static_string ("hangard-granted-access");
}

static void
grant (GDBusMethodInvocation *invocation,
       HangardAccess          access)
{
  guint granted = GPOINTER_TO_UINT (g_object_get_qdata (G_OBJECT (invocation), granted_quark ()));

  g_object_set_qdata (G_OBJECT (invocation), granted_quark (), GUINT_TO_POINTER (granted | (1u << access)));
}

static gboolean
is_granted (GDBusMethodInvocation *invocation,
            HangardAccess          access)
{
  guint granted = GPOINTER_TO_UINT (g_object_get_qdata (G_OBJECT (invocation), granted_quark ()));

  return (granted & (1u << access)) != 0;
}

typedef struct {
  GDBusMethodInvocation  *invocation;  /* the handler's reference, handed on */
  GDBusInterfaceSkeleton *skeleton;
  HangardAccess           access;
} Deferred;

/* The decision came: refuse, or run the handler again (the same dispatch
 * GDBus does, with the skeleton as user data), and this time
 * hangard_daemon_authorize() finds the invocation granted. */
static void
on_authorized (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Deferred *deferred = user_data;
  GDBusMethodInvocation *invocation = deferred->invocation;
  GDBusConnection *connection = g_dbus_method_invocation_get_connection (invocation);
  g_autoptr(GError) error = NULL;

  if (!hangard_authority_check_finish (HANGARD_AUTHORITY (source), result, &error))
    g_dbus_method_invocation_return_gerror (invocation, error);
  else if (!g_dbus_interface_skeleton_has_connection (deferred->skeleton, connection))
    /* Undefined or deleted while its caller was being asked. */
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT,
                                           _("The object %s went away while the call was being authorized"),
                                           g_dbus_method_invocation_get_object_path (invocation));
  else
    {
      grant (invocation, deferred->access);
      g_dbus_interface_skeleton_get_vtable (deferred->skeleton)->method_call (
        connection,
        g_dbus_method_invocation_get_sender (invocation),
        g_dbus_method_invocation_get_object_path (invocation),
        g_dbus_method_invocation_get_interface_name (invocation),
        g_dbus_method_invocation_get_method_name (invocation),
        g_dbus_method_invocation_get_parameters (invocation),
        invocation,
        deferred->skeleton);
    }

  g_object_unref (deferred->skeleton);
  g_free (deferred);
}

gboolean
hangard_daemon_authorize (HangardDaemon         *self,
                          GDBusMethodInvocation *invocation,
                          HangardAccess          access)
{
  g_autoptr(GError) error = NULL;
  gpointer skeleton;
  Deferred *deferred;

  if (is_granted (invocation, access))
    return TRUE;

  switch (hangard_authority_check_now (self->authority, invocation, access, &error))
    {
    case HANGARD_DECISION_ALLOWED:
      grant (invocation, access);
      return TRUE;
    case HANGARD_DECISION_DENIED:
      g_dbus_method_invocation_return_gerror (invocation, error);
      return FALSE;
    case HANGARD_DECISION_ASK:
    default:
      break;
    }

  /* Every handler is a method of an exported GDBusInterfaceSkeleton, which
   * GDBus registers with itself as the user data. */
  skeleton = g_dbus_method_invocation_get_user_data (invocation);
  if (!G_IS_DBUS_INTERFACE_SKELETON (skeleton))
    {
      g_critical ("%s.%s is not a method of an interface skeleton: it cannot wait for authorization",
                  g_dbus_method_invocation_get_interface_name (invocation),
                  g_dbus_method_invocation_get_method_name (invocation));
      g_dbus_method_invocation_return_error_literal (invocation, HANGAR_ERROR, HANGAR_ERROR_NOT_AUTHORIZED,
                                                     _("The call cannot be authorized"));
      return FALSE;
    }

  deferred = g_new0 (Deferred, 1);
  deferred->invocation = invocation;
  deferred->skeleton = g_object_ref (skeleton);
  deferred->access = access;
  hangard_authority_check_async (self->authority, invocation, access, on_authorized, deferred);
  return FALSE;
}

/* ---- Definitions on disk -------------------------------------------------- */

static char *
definition_path (HangardDaemon *self,
                 const char    *uuid)
{
  g_autofree char *name = g_strconcat (uuid, ".xml", NULL);

  return g_build_filename (self->paths->machines_dir, name, NULL);
}

static char *
autostart_path (HangardDaemon *self,
                const char    *uuid)
{
  return g_build_filename (self->paths->autostart_dir, uuid, NULL);
}

/* Temp file, fsync, rename: a crash leaves the old or the new definition,
 * never half of one. */
static gboolean
store_definition (HangardDaemon  *self,
                  HangardDomain  *domain,
                  GError        **error)
{
  g_autofree char *path = definition_path (self, domain->uuid);
  g_autofree char *xml = hangard_domain_to_xml (domain);
  g_autoptr(GError) local_error = NULL;

  if (!g_file_set_contents_full (path, xml, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, &local_error))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot store the definition: %s"),
                   local_error->message);
      return FALSE;
    }
  return TRUE;
}

static HangardMachine *
find_by_name (HangardDaemon *self,
              const char    *name)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->machines);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_str_equal (hangard_machine_get_name (value), name))
      return value;
  return NULL;
}

static void
export_machine (HangardDaemon  *self,
                HangardMachine *machine)
{
  g_autoptr(HangarObjectSkeleton) object = hangar_object_skeleton_new (hangard_machine_get_path (machine));

  hangar_object_skeleton_set_machine (object, HANGAR_MACHINE (machine));
  g_dbus_object_manager_server_export (self->object_manager, G_DBUS_OBJECT_SKELETON (object));
  g_hash_table_insert (self->machines, g_strdup (hangard_machine_get_uuid (machine)), machine);
}

static gboolean
check_identity_is_free (HangardDaemon  *self,
                        HangardDomain  *domain,
                        HangardMachine *same_uuid,
                        GError        **error)
{
  HangardMachine *same_name = find_by_name (self, domain->name);

  if (same_name != NULL && same_name != same_uuid)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                   _("A machine named '%s' already exists (UUID %s)"),
                   domain->name, hangard_machine_get_uuid (same_name));
      return FALSE;
    }
  return TRUE;
}

HangardMachine *
hangard_daemon_define_machine (HangardDaemon  *self,
                               const char     *xml,
                               const char     *expected_uuid,
                               GError        **error)
{
  g_autoptr(HangardDomain) domain = hangard_domain_parse (xml, -1, error);
  HangardMachine *existing;
  HangardMachine *machine;

  if (domain == NULL)
    return NULL;

  if (expected_uuid != NULL && !g_str_equal (domain->uuid, expected_uuid))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("The UUID cannot change (it is %s, the new definition says %s)"),
                   expected_uuid, domain->uuid);
      return NULL;
    }

  existing = g_hash_table_lookup (self->machines, domain->uuid);
  if (!check_identity_is_free (self, domain, existing, error))
    return NULL;

  /* DefineMachine never renames (as virsh define): a known UUID under a
   * new name is a clash. Machine.UpdateXml may rename. */
  if (existing != NULL && expected_uuid == NULL &&
      !g_str_equal (hangard_machine_get_name (existing), domain->name))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                   _("UUID %s already belongs to machine '%s'"),
                   domain->uuid, hangard_machine_get_name (existing));
      return NULL;
    }

  /* libvirt's rule: redefining by UUID may rename only a machine that is
   * off, so a running guest never changes name under its users. */
  if (existing != NULL && !g_str_equal (hangard_machine_get_name (existing), domain->name) &&
      hangard_vm_is_active (hangard_machine_get_vm (existing)))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Machine '%s' is running: it can be renamed only when it is shut off"),
                   hangard_machine_get_name (existing));
      return NULL;
    }

  if (!store_definition (self, domain, error))
    return NULL;

  if (existing != NULL)
    {
      hangard_machine_set_domain (existing, g_steal_pointer (&domain));
      return existing;
    }

  machine = hangard_machine_new (self, g_steal_pointer (&domain), FALSE);
  export_machine (self, machine);
  g_message ("Defined machine %s (%s)", hangard_machine_get_name (machine), hangard_machine_get_uuid (machine));
  return machine;
}

HangardMachine *
hangard_daemon_lookup_machine (HangardDaemon  *self,
                               const char     *name_or_uuid,
                               GError        **error)
{
  HangardMachine *machine;
  g_autofree char *lower = NULL;

  if (name_or_uuid == NULL || *name_or_uuid == '\0')
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT, _("No machine name or UUID given"));
      return NULL;
    }

  machine = find_by_name (self, name_or_uuid);
  if (machine != NULL)
    return machine;

  lower = g_ascii_strdown (name_or_uuid, -1);
  machine = g_hash_table_lookup (self->machines, lower);
  if (machine != NULL)
    return machine;

  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND, _("No machine named '%s'"), name_or_uuid);
  return NULL;
}

/* The files of a machine's disks (not its CD-ROM media), its volumes
 * resolved; refused when a running machine uses one. */
static GPtrArray *
collect_storage (HangardDaemon   *self,
                 HangardMachine  *machine,
                 GError         **error)
{
  g_autoptr(HangardDomain) resolved = hangard_storage_resolve_domain (self->storage,
                                                                      hangard_machine_get_domain (machine), error);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

  if (resolved == NULL)
    return NULL;
  for (guint i = 0; i < resolved->disks->len; i++)
    {
      HangardDiskDef *disk = g_ptr_array_index (resolved->disks, i);
      const char *user;

      if (disk->device != HANGARD_DISK_DEVICE_DISK || disk->source_file == NULL)
        continue;
      user = hangard_daemon_find_running_user (self, disk->source_file);
      if (user != NULL)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                       _("Cannot delete %s: running machine '%s' uses it"), disk->source_file, user);
          return NULL;
        }
      g_ptr_array_add (paths, g_strdup (disk->source_file));
    }
  return g_steal_pointer (&paths);
}

static gboolean
remove_files (GPtrArray  *paths,
              GError    **error)
{
  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);

      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          int saved_errno = errno;
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot delete %s: %s"),
                       path, g_strerror (saved_errno));
          return FALSE;
        }
      g_message ("Deleted disk %s", path);
    }
  return TRUE;
}

gboolean
hangard_daemon_undefine_machine (HangardDaemon   *self,
                                 HangardMachine  *machine,
                                 gboolean         remove_storage,
                                 GError         **error)
{
  const char *uuid = hangard_machine_get_uuid (machine);
  g_autofree char *path = definition_path (self, uuid);
  g_autofree char *autostart = autostart_path (self, uuid);
  g_autoptr(GPtrArray) storage = NULL;

  if (hangard_vm_is_active (hangard_machine_get_vm (machine)))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Machine '%s' is running: shut it down or force it off before removing it"),
                   hangard_machine_get_name (machine));
      return FALSE;
    }

  if (remove_storage)
    {
      storage = collect_storage (self, machine, error);
      if (storage == NULL || !remove_files (storage, error))
        return FALSE;
      hangard_storage_refresh_all (self->storage);
    }

  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot remove %s: %s"), path, g_strerror (errno));
      return FALSE;
    }
  g_unlink (autostart);

  g_message ("Undefined machine %s (%s)", hangard_machine_get_name (machine), uuid);
  g_dbus_object_manager_server_unexport (self->object_manager, hangard_machine_get_path (machine));
  g_hash_table_remove (self->machines, uuid);
  return TRUE;
}

gboolean
hangard_daemon_set_autostart (HangardDaemon   *self,
                              HangardMachine  *machine,
                              gboolean         autostart,
                              GError         **error)
{
  g_autofree char *path = autostart_path (self, hangard_machine_get_uuid (machine));
  g_autoptr(GError) local_error = NULL;

  if (autostart)
    {
      if (!g_file_set_contents_full (path, "", 0, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error))
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot mark for autostart: %s"),
                       local_error->message);
          return FALSE;
        }
    }
  else if (g_unlink (path) != 0 && errno != ENOENT)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot remove %s: %s"), path, g_strerror (errno));
      return FALSE;
    }

  hangard_machine_set_autostart_flag (machine, autostart);
  return TRUE;
}

/* ---- Start-up ------------------------------------------------------------- */

static void
load_definition (HangardDaemon *self,
                 const char    *filename)
{
  g_autofree char *path = g_build_filename (self->paths->machines_dir, filename, NULL);
  g_autofree char *xml = NULL;
  g_autofree char *autostart = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardDomain) domain = NULL;
  HangardMachine *machine;

  if (!g_file_get_contents (path, &xml, NULL, &error) ||
      (domain = hangard_domain_parse (xml, -1, &error)) == NULL)
    {
      /* Keep the file: a newer engine or a fixed one may read it. */
      g_warning ("Skipping definition %s: %s", path, error->message);
      return;
    }

  if (g_hash_table_contains (self->machines, domain->uuid) || find_by_name (self, domain->name))
    {
      g_warning ("Skipping definition %s: machine %s (%s) is defined twice", path, domain->name, domain->uuid);
      return;
    }

  autostart = autostart_path (self, domain->uuid);
  machine = hangard_machine_new (self, g_steal_pointer (&domain), g_file_test (autostart, G_FILE_TEST_EXISTS));
  export_machine (self, machine);
}

static gboolean
load_definitions (HangardDaemon  *self,
                  GError        **error)
{
  g_autoptr(GDir) dir = g_dir_open (self->paths->machines_dir, 0, error);
  const char *name;

  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".xml") && name[0] != '.')
      load_definition (self, name);
  return TRUE;
}

static void
on_autostarted (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!hangard_vm_start_finish (HANGARD_VM (source), result, &error))
    g_warning ("Autostart failed: %s", error->message);
}

static void
autostart_machine (HangardDaemon  *self,
                   HangardMachine *machine)
{
  HangardVm *vm = hangard_machine_get_vm (machine);

  if (!hangar_machine_get_autostart (HANGAR_MACHINE (machine)) || hangard_vm_is_active (vm))
    return;
  g_message ("Autostarting %s", hangard_machine_get_name (machine));
  hangard_machine_start_async (machine, NULL, on_autostarted, NULL);
}

typedef struct {
  HangardDaemon  *daemon;
  HangardMachine *machine;
} AdoptData;

static void
on_adopted (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  AdoptData *data = user_data;
  g_autoptr(GError) error = NULL;
  gboolean adopted = hangard_vm_adopt_finish (HANGARD_VM (source), result, &error);

  if (error != NULL)
    g_warning ("Cannot reconnect to %s: %s", hangard_machine_get_name (data->machine), error->message);
  else if (adopted)
    g_message ("Reconnected to running machine %s", hangard_machine_get_name (data->machine));
  else
    autostart_machine (data->daemon, data->machine);

  g_object_unref (data->daemon);
  g_object_unref (data->machine);
  g_free (data);
}

void
hangard_daemon_start (HangardDaemon *self)
{
  GHashTableIter iter;
  gpointer value;

  /* Pools and networks first: autostarted machines may need them. */
  hangard_storage_autostart (self->storage);
  hangard_networks_start (self->networks);

  g_hash_table_iter_init (&iter, self->machines);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      AdoptData *data = g_new0 (AdoptData, 1);

      data->daemon = g_object_ref (self);
      data->machine = g_object_ref (value);
      hangard_vm_adopt_async (hangard_machine_get_vm (value), NULL, on_adopted, data);
    }
}

HangardDaemon *
hangard_daemon_new (GDBusConnection  *connection,
                    HangardPaths     *paths,
                    HangardHost      *host,
                    GError          **error)
{
  g_autoptr(HangardDaemon) self = g_object_new (HANGARD_TYPE_DAEMON, NULL);

  self->connection = g_object_ref (connection);
  self->paths = paths;
  self->authority = hangard_authority_new (connection, paths->mode);
  self->host = g_object_ref (host);

  if (!hangard_paths_ensure (paths, error))
    return NULL;

  self->object_manager = g_dbus_object_manager_server_new (HANGARD_DBUS_ROOT);
  self->manager = hangard_manager_new (self);
  self->storage = hangard_storage_new (self);
  self->networks = hangard_networks_new (self);

  if (!hangard_storage_load (self->storage, error) ||
      !hangard_networks_load (self->networks, error) ||
      !load_definitions (self, error))
    return NULL;

  /* The root path is the object manager's own: an object manager cannot
   * export an object there, so the Manager interface is exported beside
   * it on the connection. */
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->manager), connection,
                                         HANGARD_DBUS_ROOT, error))
    return NULL;

  g_dbus_object_manager_server_set_connection (self->object_manager, connection);
  return g_steal_pointer (&self);
}

static void
hangard_daemon_finalize (GObject *object)
{
  HangardDaemon *self = HANGARD_DAEMON (object);

  g_clear_pointer (&self->machines, g_hash_table_unref);
  g_clear_object (&self->storage);
  g_clear_object (&self->networks);
  g_clear_object (&self->authority);
  if (self->manager != NULL)
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->manager));
  g_clear_object (&self->manager);
  g_clear_object (&self->object_manager);
  g_clear_object (&self->host);
  g_clear_object (&self->connection);
  g_clear_pointer (&self->paths, hangard_paths_free);

  G_OBJECT_CLASS (hangard_daemon_parent_class)->finalize (object);
}

static void
hangard_daemon_class_init (HangardDaemonClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hangard_daemon_finalize;
}

static void
hangard_daemon_init (HangardDaemon *self)
{
  self->machines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}
