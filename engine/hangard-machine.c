/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-machine"

#include "hangard-machine.h"
#include "hangard-clone.h"
#include "hangard-devices.h"
#include "hangard-error.h"
#include "hangard-hugepages.h"
#include "hangard-networks.h"
#include "hangard-save.h"
#include "hangard-snapshots.h"
#include "hangard-storage.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib/gi18n-lib.h>
#include <sys/stat.h>
#include <unistd.h>

/* What GetConsoleLog/GetQemuLog return at most. */
#define LOG_READ_LIMIT (1024 * 1024)

struct _HangardMachine
{
  HangarMachineSkeleton  parent_instance;

  HangardDaemon         *daemon;  /* owns us */
  HangardDomain         *domain;
  HangardVm             *vm;
  char                  *path;
  gboolean               has_managed_save;  /* its managed save file exists */
  HangardSnapshots      *snapshots;
};

static void hangard_machine_iface_init (HangarMachineIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HangardMachine, hangard_machine, HANGAR_TYPE_MACHINE_SKELETON,
                               G_IMPLEMENT_INTERFACE (HANGAR_TYPE_MACHINE, hangard_machine_iface_init))

char *
hangard_machine_path_for_uuid (const char *uuid)
{
  g_autofree char *element = g_strdelimit (g_strdup (uuid), "-", '_');

  return g_strdup_printf (HANGARD_DBUS_ROOT "/machines/%s", element);
}

static void
sync_definition_properties (HangardMachine *self)
{
  HangarMachine *iface = HANGAR_MACHINE (self);
  HangardDomain *domain = self->domain;

  hangar_machine_set_name (iface, domain->name);
  hangar_machine_set_uuid (iface, domain->uuid);
  hangar_machine_set_title (iface, domain->title ? domain->title : "");
  hangar_machine_set_description (iface, domain->description ? domain->description : "");
  hangar_machine_set_vcpus (iface, domain->vcpus);
  hangar_machine_set_memory_kib (iface, domain->memory_kib);
}

static void
sync_run_properties (HangardMachine *self)
{
  HangarMachine *iface = HANGAR_MACHINE (self);
  const char *accelerator = hangard_vm_get_accelerator (self->vm);
  HangardVmState state = hangard_vm_get_state (self->vm);
  const char *reason = hangard_vm_get_state_reason (self->vm);

  /* "saved": shut off, with a managed save the next start resumes. */
  if (self->has_managed_save && state == HANGARD_VM_STATE_SHUTOFF)
    {
      hangar_machine_set_state (iface, "saved");
      hangar_machine_set_state_reason (iface, *reason != '\0' ? reason : _("saved"));
    }
  else
    {
      hangar_machine_set_state (iface, hangard_vm_state_to_string (state));
      hangar_machine_set_state_reason (iface, reason);
    }
  hangar_machine_set_accelerator (iface, accelerator ? accelerator : "");
  hangar_machine_set_start_time (iface, hangard_vm_get_start_time (self->vm));
  hangar_machine_set_pid (iface, (guint) hangard_vm_get_pid (self->vm));
}

static void
on_vm_changed (HangardVm      *vm,
               HangardMachine *self)
{
  sync_run_properties (self);
  /* Send PropertiesChanged now rather than from an idle: a lifecycle call's
   * reply must never reach the caller before the state it produced. */
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
}

/* ---- Lifecycle ------------------------------------------------------------ */

static void
close_taps (GArray *tap_fds)
{
  for (guint i = 0; tap_fds && i < tap_fds->len; i++)
    if (g_array_index (tap_fds, int, i) >= 0)
      close (g_array_index (tap_fds, int, i));
}

void
hangard_machine_start_async (HangardMachine      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  /* A managed save is resumed rather than booted afresh. */
  if (self->has_managed_save && !hangard_vm_is_active (self->vm))
    hangard_save_resume_managed_async (self, cancellable, callback, user_data);
  else
    hangard_machine_start_domain_async (self, self->domain, cancellable, callback, user_data);
}

void
hangard_machine_start_domain_async (HangardMachine      *self,
                                    HangardDomain       *domain,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardDomain) resolved = NULL;
  g_autoptr(GArray) tap_fds = NULL;
  g_autoptr(GPtrArray) tap_names = NULL;

  if (hangard_vm_is_active (self->vm))
    {
      /* Before opening taps for a second QEMU that will not come. */
      hangard_vm_start_async (self->vm, domain, hangard_daemon_get_host (self->daemon),
                              NULL, NULL, cancellable, callback, user_data);
      return;
    }

  /* Huge pages: the host's pool must hold the guest before QEMU tries. */
  if (domain->hugepages &&
      !hangard_hugepages_check (domain->memory_kib, domain->hugepage_kib, NULL, NULL, &error))
    {
      g_task_report_error (self->vm, callback, user_data, hangard_machine_start_async, g_steal_pointer (&error));
      return;
    }

  /* Pool volumes become file paths, network interfaces taps, for this run. */
  resolved = hangard_storage_resolve_domain (hangard_daemon_get_storage (self->daemon), domain, &error);
  if (resolved != NULL)
    tap_fds = hangard_networks_open_taps (hangard_daemon_get_networks (self->daemon), resolved, &tap_names, &error);
  if (tap_fds == NULL)
    {
      g_task_report_error (self->vm, callback, user_data, hangard_machine_start_async, g_steal_pointer (&error));
      return;
    }
  hangard_vm_start_async (self->vm, resolved, hangard_daemon_get_host (self->daemon),
                          tap_fds, tap_names, cancellable, callback, user_data);
  /* QEMU has its own copies now (or failed to start): ours go. */
  close_taps (tap_fds);
}

static void
on_started (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;

  if (!hangard_vm_start_finish (HANGARD_VM (source), result, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static gboolean
handle_start (HangarMachine         *iface,
              GDBusMethodInvocation *invocation)
{
  HangardMachine *self = HANGARD_MACHINE (iface);

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  hangard_machine_start_async (self, NULL, on_started, g_object_ref (invocation));
  return TRUE;
}

static void
on_request_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;

  if (!hangard_vm_request_finish (HANGARD_VM (source), result, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static gboolean
run_request (HangarMachine         *iface,
             GDBusMethodInvocation *invocation,
             HangardVmRequest       request)
{
  HangardMachine *self = HANGARD_MACHINE (iface);

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  hangard_vm_request_async (self->vm, request, NULL, on_request_done, g_object_ref (invocation));
  return TRUE;
}

static gboolean
handle_shutdown (HangarMachine *iface, GDBusMethodInvocation *invocation)
{
  return run_request (iface, invocation, HANGARD_VM_REQUEST_SHUTDOWN);
}

static gboolean
handle_force_off (HangarMachine *iface, GDBusMethodInvocation *invocation)
{
  return run_request (iface, invocation, HANGARD_VM_REQUEST_FORCE_OFF);
}

static gboolean
handle_reboot (HangarMachine *iface, GDBusMethodInvocation *invocation)
{
  return run_request (iface, invocation, HANGARD_VM_REQUEST_REBOOT);
}

static gboolean
handle_reset (HangarMachine *iface, GDBusMethodInvocation *invocation)
{
  return run_request (iface, invocation, HANGARD_VM_REQUEST_RESET);
}

static gboolean
handle_pause (HangarMachine *iface, GDBusMethodInvocation *invocation)
{
  return run_request (iface, invocation, HANGARD_VM_REQUEST_PAUSE);
}

static gboolean
handle_resume (HangarMachine *iface, GDBusMethodInvocation *invocation)
{
  return run_request (iface, invocation, HANGARD_VM_REQUEST_RESUME);
}

/* ---- Save and clone (hangard-save.c, hangard-clone.c) --------------------- */

static void
on_saved (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = hangard_save_machine_finish (HANGARD_MACHINE (source), result, &error);

  hangard_invocation_answer (invocation, ok, error);
}

static gboolean
handle_save (HangarMachine         *iface,
             GDBusMethodInvocation *invocation,
             const char            *path,
             GVariant              *options)
{
  HangardMachine *self = HANGARD_MACHINE (iface);
  g_autoptr(GError) error = NULL;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;
  if (!hangard_check_options (options, NULL, &error))
    return hangard_invocation_answer (invocation, FALSE, error);

  hangard_save_machine_async (self, path, NULL, on_saved, g_object_ref (invocation));
  return TRUE;
}

static gboolean
handle_managed_save (HangarMachine         *iface,
                     GDBusMethodInvocation *invocation,
                     GVariant              *options)
{
  HangardMachine *self = HANGARD_MACHINE (iface);
  g_autoptr(GError) error = NULL;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;
  if (!hangard_check_options (options, NULL, &error))
    return hangard_invocation_answer (invocation, FALSE, error);

  hangard_save_machine_async (self, NULL, NULL, on_saved, g_object_ref (invocation));
  return TRUE;
}

static gboolean
handle_managed_save_remove (HangarMachine         *iface,
                            GDBusMethodInvocation *invocation)
{
  HangardMachine *self = HANGARD_MACHINE (iface);
  g_autoptr(GError) error = NULL;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  /* While it resumes, the file is in use; once it runs, it is gone. */
  if (!self->has_managed_save || hangard_vm_is_active (self->vm))
    g_set_error (&error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                 _("Machine '%s' has no managed save"), self->domain->name);
  else
    hangard_save_remove_managed (self, &error);
  return hangard_invocation_answer (invocation, error == NULL, error);
}

static gboolean
handle_clone (HangarMachine         *iface,
              GDBusMethodInvocation *invocation,
              const char            *new_name,
              GVariant              *options)
{
  HangardMachine *self = HANGARD_MACHINE (iface);
  g_autoptr(GError) error = NULL;
  HangardJob *job;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  job = hangard_clone_machine (self->daemon, self, new_name, options, &error);
  if (job == NULL)
    return hangard_invocation_answer (invocation, FALSE, error);
  hangar_machine_complete_clone (iface, invocation,
                                 g_dbus_interface_skeleton_get_object_path (G_DBUS_INTERFACE_SKELETON (job)));
  return TRUE;
}

/* ---- Definition ----------------------------------------------------------- */

static gboolean
handle_set_autostart (HangarMachine         *iface,
                      GDBusMethodInvocation *invocation,
                      gboolean               autostart)
{
  HangardMachine *self = HANGARD_MACHINE (iface);
  g_autoptr(GError) error = NULL;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  if (!hangard_daemon_set_autostart (self->daemon, self, autostart, &error))
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    hangar_machine_complete_set_autostart (iface, invocation);
  return TRUE;
}

static gboolean
handle_undefine (HangarMachine         *iface,
                 GDBusMethodInvocation *invocation,
                 GVariant              *options)
{
  HangardMachine *self = HANGARD_MACHINE (iface);
  const char *allowed[] = { "remove-storage", "snapshots-metadata", NULL };
  g_autoptr(GError) error = NULL;
  gboolean remove_storage = FALSE;
  gboolean snapshots_metadata = FALSE;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  g_variant_lookup (options, "remove-storage", "b", &remove_storage);
  g_variant_lookup (options, "snapshots-metadata", "b", &snapshots_metadata);
  /* The daemon drops its reference: keep ourselves alive to answer. */
  g_object_ref (self);
  if (!hangard_check_options (options, allowed, &error) ||
      !hangard_snapshots_check_undefine (self->snapshots, remove_storage || snapshots_metadata, &error) ||
      !hangard_daemon_undefine_machine (self->daemon, self, remove_storage, &error))
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    {
      g_autoptr(GError) save_error = NULL;

      /* A managed save of a machine that is gone can never be resumed. */
      if (!hangard_save_remove_managed (self, &save_error))
        g_warning ("%s", save_error->message);
      hangard_snapshots_remove_all (self->snapshots);
      hangar_machine_complete_undefine (iface, invocation);
    }
  g_object_unref (self);
  return TRUE;
}

static gboolean
handle_get_xml (HangarMachine         *iface,
                GDBusMethodInvocation *invocation,
                GVariant              *options)
{
  HangardMachine *self = HANGARD_MACHINE (iface);
  static const char * const allowed[] = { "live", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  gboolean live = FALSE;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_READ))
    return TRUE;

  if (!hangard_check_options (options, allowed, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return TRUE;
    }
  /* "live": what the running QEMU runs, live device changes included. */
  if (g_variant_lookup (options, "live", "b", &live) && live)
    {
      const char *running = hangard_vm_get_running_xml (self->vm);

      if (running == NULL)
        {
          g_dbus_method_invocation_return_error (invocation, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                                                 _("Machine '%s' is not running"), self->domain->name);
          return TRUE;
        }
      hangar_machine_complete_get_xml (iface, invocation, running);
      return TRUE;
    }
  xml = hangard_domain_to_xml (self->domain);
  hangar_machine_complete_get_xml (iface, invocation, xml);
  return TRUE;
}

static gboolean
handle_update_xml (HangarMachine         *iface,
                   GDBusMethodInvocation *invocation,
                   const char            *xml)
{
  HangardMachine *self = HANGARD_MACHINE (iface);
  g_autoptr(GError) error = NULL;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  if (hangard_daemon_define_machine (self->daemon, xml, self->domain->uuid, &error) == NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    hangar_machine_complete_update_xml (iface, invocation);
  return TRUE;
}

/* ---- Logs and stats ------------------------------------------------------- */

/* The last `max_bytes` of a log, read with one pread: logs can grow large
 * and only their end matters. */
static GVariant *
read_log_tail (const char  *path,
               guint64      max_bytes,
               GError     **error)
{
  g_autofree guint8 *buffer = NULL;
  struct stat st;
  gsize want;
  gssize got;
  int fd;

  if (max_bytes == 0 || max_bytes > LOG_READ_LIMIT)
    max_bytes = LOG_READ_LIMIT;

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "", 0, 1);
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot read %s: %s"), path, g_strerror (errno));
      return NULL;
    }

  fstat (fd, &st);
  want = (gsize) MIN ((guint64) st.st_size, max_bytes);
  buffer = g_malloc (want + 1);
  got = pread (fd, buffer, want, st.st_size - (off_t) want);
  close (fd);
  if (got < 0)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot read %s"), path);
      return NULL;
    }
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, buffer, (gsize) got, 1);
}

static gboolean
return_log (HangardMachine        *self,
            GDBusMethodInvocation *invocation,
            const char            *path,
            guint64                max_bytes)
{
  g_autoptr(GError) error = NULL;
  GVariant *data;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_READ))
    return TRUE;

  data = read_log_tail (path, max_bytes, &error);
  if (data == NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, g_variant_new_tuple (&data, 1));
  return TRUE;
}

static gboolean
handle_get_console_log (HangarMachine         *iface,
                        GDBusMethodInvocation *invocation,
                        guint64                max_bytes)
{
  HangardMachine *self = HANGARD_MACHINE (iface);

  return return_log (self, invocation, hangard_vm_get_console_log_path (self->vm), max_bytes);
}

static gboolean
handle_get_qemu_log (HangarMachine         *iface,
                     GDBusMethodInvocation *invocation,
                     guint64                max_bytes)
{
  HangardMachine *self = HANGARD_MACHINE (iface);

  return return_log (self, invocation, hangard_vm_get_qemu_log_path (self->vm), max_bytes);
}

static void
on_stats (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) stats = hangard_vm_get_stats_finish (HANGARD_VM (source), result, &error);

  if (stats == NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(@a{sv})", stats));
}

/* What QEMU runs while it runs (with live device changes, whose NICs the
 * vm's taps and backends follow), else the stored definition. `*owned`
 * holds what must be freed. */
static HangardDomain *
running_or_stored_domain (HangardMachine  *self,
                          HangardDomain  **owned)
{
  const char *xml = hangard_vm_get_running_xml (self->vm);

  *owned = xml != NULL ? hangard_domain_parse (xml, -1, NULL) : NULL;
  return *owned != NULL ? *owned : self->domain;
}

static gboolean
handle_get_stats (HangarMachine         *iface,
                  GDBusMethodInvocation *invocation)
{
  HangardMachine *self = HANGARD_MACHINE (iface);
  g_autoptr(HangardDomain) running = NULL;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_READ))
    return TRUE;

  hangard_vm_get_stats_async (self->vm, running_or_stored_domain (self, &running), NULL, on_stats,
                              g_object_ref (invocation));
  return TRUE;
}

static const char *
nic_type_to_string (HangardNicType type)
{
  switch (type)
    {
    case HANGARD_NIC_TYPE_NETWORK: return "network";
    case HANGARD_NIC_TYPE_BRIDGE:  return "bridge";
    case HANGARD_NIC_TYPE_USER:
    default:                       return "user";
    }
}

/* The address dnsmasq of the NIC's Hangar network leased to its MAC. */
static char *
lookup_nic_address (HangardMachine *self,
                    HangardNicDef  *nic)
{
  HangardNetwork *network;

  /* A lease outlives the machine: only a running guest has the address. */
  if (nic->type != HANGARD_NIC_TYPE_NETWORK || !hangard_vm_is_active (self->vm))
    return NULL;
  network = hangard_networks_lookup (hangard_daemon_get_networks (self->daemon), nic->source, NULL);
  return network ? hangard_network_lookup_lease (network, nic->mac) : NULL;
}

static GVariant *
describe_nic (HangardMachine *self,
              HangardNicDef  *nic,
              guint           index)
{
  GVariantBuilder builder;
  const char *device = hangard_vm_get_tap_name (self->vm, index);
  const char *backend = hangard_vm_get_nic_backend (self->vm, index);
  g_autofree char *ip = lookup_nic_address (self, nic);

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "type", g_variant_new_string (nic_type_to_string (nic->type)));
  g_variant_builder_add (&builder, "{sv}", "source", g_variant_new_string (nic->source ? nic->source : ""));
  g_variant_builder_add (&builder, "{sv}", "model", g_variant_new_string (hangard_nic_model_to_string (nic->model)));
  g_variant_builder_add (&builder, "{sv}", "mac", g_variant_new_string (nic->mac));
  g_variant_builder_add (&builder, "{sv}", "device", g_variant_new_string (device ? device : ""));
  g_variant_builder_add (&builder, "{sv}", "ip", g_variant_new_string (ip ? ip : ""));
  g_variant_builder_add (&builder, "{sv}", "backend", g_variant_new_string (backend ? backend : ""));
  return g_variant_builder_end (&builder);
}

static gboolean
handle_get_interfaces (HangarMachine         *iface,
                       GDBusMethodInvocation *invocation)
{
  HangardMachine *self = HANGARD_MACHINE (iface);
  g_autoptr(HangardDomain) running = NULL;
  HangardDomain *domain;
  GVariantBuilder builder;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_READ))
    return TRUE;

  domain = running_or_stored_domain (self, &running);
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < domain->nics->len; i++)
    g_variant_builder_add_value (&builder, describe_nic (self, g_ptr_array_index (domain->nics, i), i));
  hangar_machine_complete_get_interfaces (iface, invocation, g_variant_builder_end (&builder));
  return TRUE;
}

/* ---- Display and serial port --------------------------------------------- */

/* Both calls answer with a file descriptor. GDBus on a connection that did
 * not negotiate fd passing fails to send such a reply and closes the whole
 * connection, so they refuse first with an error the caller can read. */
static gboolean
check_fd_passing (GDBusMethodInvocation *invocation,
                  const char            *method)
{
  GDBusConnection *connection = g_dbus_method_invocation_get_connection (invocation);

  if (g_dbus_connection_get_capabilities (connection) & G_DBUS_CAPABILITY_FLAGS_UNIX_FD_PASSING)
    return TRUE;
  g_dbus_method_invocation_return_error (invocation, HANGAR_ERROR, HANGAR_ERROR_FD_PASSING_UNSUPPORTED,
                                         _("%s returns a file descriptor, and this D-Bus connection "
                                           "cannot carry one: use hangarctl vnc-proxy or console "
                                           "on the engine’s host"),
                                         method);
  return FALSE;
}

static void
answer_with_fd (GDBusMethodInvocation *invocation,
                int                    fd,
                const GError          *error)
{
  g_autoptr(GUnixFDList) fd_list = NULL;
  g_autoptr(GError) append_error = NULL;
  int index;

  if (fd < 0)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  fd_list = g_unix_fd_list_new ();
  index = g_unix_fd_list_append (fd_list, fd, &append_error);
  close (fd);
  if (index < 0)
    {
      g_dbus_method_invocation_return_error (invocation, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                                             "%s", append_error->message);
      return;
    }
  g_dbus_method_invocation_return_value_with_unix_fd_list (invocation, g_variant_new ("(h)", index),
                                                           fd_list);
}

static void
on_display_opened (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;
  int fd = hangard_vm_open_display_finish (HANGARD_VM (source), result, &error);

  answer_with_fd (invocation, fd, error);
}

static gboolean
handle_open_display (HangarMachine         *iface,
                     GDBusMethodInvocation *invocation,
                     GUnixFDList           *fd_list G_GNUC_UNUSED)
{
  HangardMachine *self = HANGARD_MACHINE (iface);

  /* A display is control over the guest: keyboard and mouse. */
  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE) ||
      !check_fd_passing (invocation, "OpenDisplay"))
    return TRUE;

  hangard_vm_open_display_async (self->vm, NULL, on_display_opened, g_object_ref (invocation));
  return TRUE;
}

static void
on_serial_opened (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;
  int fd = hangard_vm_open_serial_finish (HANGARD_VM (source), result, &error);

  answer_with_fd (invocation, fd, error);
}

static gboolean
handle_open_serial (HangarMachine         *iface,
                    GDBusMethodInvocation *invocation,
                    GUnixFDList           *fd_list G_GNUC_UNUSED)
{
  HangardMachine *self = HANGARD_MACHINE (iface);

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE) ||
      !check_fd_passing (invocation, "OpenSerial"))
    return TRUE;

  hangard_vm_open_serial_async (self->vm, NULL, on_serial_opened, g_object_ref (invocation));
  return TRUE;
}

/* ---- Snapshots (hangard-snapshots.c) ------------------------------------- */

static void
on_snapshot_created (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardSnapshot) snapshot = hangard_snapshots_create_finish (HANGARD_SNAPSHOTS (source),
                                                                         result, &error);

  if (snapshot == NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation,
                                           g_variant_new ("(o)", hangard_snapshot_get_object_path (snapshot)));
}

static gboolean
handle_create_snapshot (HangarMachine         *iface,
                        GDBusMethodInvocation *invocation,
                        const char            *name,
                        const char            *description,
                        GVariant              *options)
{
  HangardMachine *self = HANGARD_MACHINE (iface);

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  hangard_snapshots_create_async (self->snapshots, name, description, options, NULL,
                                  on_snapshot_created, g_object_ref (invocation));
  return TRUE;
}

static gboolean
handle_lookup_snapshot (HangarMachine         *iface,
                        GDBusMethodInvocation *invocation,
                        const char            *name)
{
  HangardMachine *self = HANGARD_MACHINE (iface);
  g_autoptr(GError) error = NULL;
  HangardSnapshot *snapshot;

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_READ))
    return TRUE;

  snapshot = hangard_snapshots_lookup (self->snapshots, name, &error);
  if (snapshot == NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    hangar_machine_complete_lookup_snapshot (iface, invocation, hangard_snapshot_get_object_path (snapshot));
  return TRUE;
}

/* ---- Object --------------------------------------------------------------- */

static void
hangard_machine_iface_init (HangarMachineIface *iface)
{
  iface->handle_start = handle_start;
  iface->handle_shutdown = handle_shutdown;
  iface->handle_force_off = handle_force_off;
  iface->handle_reboot = handle_reboot;
  iface->handle_reset = handle_reset;
  iface->handle_pause = handle_pause;
  iface->handle_resume = handle_resume;
  iface->handle_save = handle_save;
  iface->handle_managed_save = handle_managed_save;
  iface->handle_managed_save_remove = handle_managed_save_remove;
  iface->handle_clone = handle_clone;
  iface->handle_set_autostart = handle_set_autostart;
  iface->handle_undefine = handle_undefine;
  iface->handle_get_xml = handle_get_xml;
  iface->handle_update_xml = handle_update_xml;
  iface->handle_get_console_log = handle_get_console_log;
  iface->handle_get_qemu_log = handle_get_qemu_log;
  iface->handle_get_stats = handle_get_stats;
  iface->handle_get_interfaces = handle_get_interfaces;
  iface->handle_open_display = handle_open_display;
  iface->handle_open_serial = handle_open_serial;
  iface->handle_create_snapshot = handle_create_snapshot;
  iface->handle_lookup_snapshot = handle_lookup_snapshot;
  /* AttachDevice, DetachDevice, UpdateDevice, SetMemory, SetVcpus, PinVcpu */
  hangard_devices_iface_init (iface);
}

static char *
log_path (HangardDaemon *daemon,
          const char    *uuid,
          const char    *suffix)
{
  g_autofree char *name = g_strconcat (uuid, suffix, NULL);

  return g_build_filename (hangard_daemon_get_paths (daemon)->log_dir, name, NULL);
}

HangardMachine *
hangard_machine_new (HangardDaemon *daemon,
                     HangardDomain *domain,
                     gboolean       autostart)
{
  HangardMachine *self = g_object_new (HANGARD_TYPE_MACHINE, NULL);
  HangardPaths *paths = hangard_daemon_get_paths (daemon);
  g_autofree char *runtime_dir = g_build_filename (paths->vm_runtime_dir, domain->uuid, NULL);
  g_autofree char *console_log = log_path (daemon, domain->uuid, "-console.log");
  g_autofree char *qemu_log = log_path (daemon, domain->uuid, "-qemu.log");
  g_autofree char *managed_save = hangard_save_managed_path (daemon, domain->uuid);

  self->daemon = daemon;
  self->has_managed_save = g_file_test (managed_save, G_FILE_TEST_IS_REGULAR);
  self->domain = domain;
  self->path = hangard_machine_path_for_uuid (domain->uuid);
  self->vm = hangard_vm_new (domain->uuid, runtime_dir, console_log, qemu_log);
  g_signal_connect_object (self->vm, "changed", G_CALLBACK (on_vm_changed), self, 0);

  sync_definition_properties (self);
  sync_run_properties (self);
  hangar_machine_set_autostart (HANGAR_MACHINE (self), autostart);
  self->snapshots = hangard_snapshots_new (daemon, self);
  hangard_snapshots_load (self->snapshots);
  return self;
}

const char *
hangard_machine_get_uuid (HangardMachine *self)
{
  return self->domain->uuid;
}

const char *
hangard_machine_get_name (HangardMachine *self)
{
  return self->domain->name;
}

const char *
hangard_machine_get_path (HangardMachine *self)
{
  return self->path;
}

HangardDomain *
hangard_machine_get_domain (HangardMachine *self)
{
  return self->domain;
}

HangardVm *
hangard_machine_get_vm (HangardMachine *self)
{
  return self->vm;
}

HangardSnapshots *
hangard_machine_get_snapshots (HangardMachine *self)
{
  return self->snapshots;
}

HangardDaemon *
hangard_machine_get_daemon (HangardMachine *self)
{
  return self->daemon;
}

gboolean
hangard_machine_has_managed_save (HangardMachine *self)
{
  return self->has_managed_save;
}

void
hangard_machine_set_managed_save (HangardMachine *self,
                                  gboolean        has_managed_save)
{
  if (self->has_managed_save == !!has_managed_save)
    return;
  self->has_managed_save = !!has_managed_save;
  sync_run_properties (self);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
}

void
hangard_machine_set_domain (HangardMachine *self,
                            HangardDomain  *domain)
{
  g_return_if_fail (g_str_equal (domain->uuid, self->domain->uuid));

  hangard_domain_free (self->domain);
  self->domain = domain;
  sync_definition_properties (self);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
}

void
hangard_machine_set_autostart_flag (HangardMachine *self,
                                    gboolean        autostart)
{
  hangar_machine_set_autostart (HANGAR_MACHINE (self), autostart);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
}

static void
hangard_machine_finalize (GObject *object)
{
  HangardMachine *self = HANGARD_MACHINE (object);

  g_clear_object (&self->snapshots);
  g_clear_object (&self->vm);
  g_clear_pointer (&self->domain, hangard_domain_free);
  g_free (self->path);

  G_OBJECT_CLASS (hangard_machine_parent_class)->finalize (object);
}

static void
hangard_machine_class_init (HangardMachineClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hangard_machine_finalize;
}

static void
hangard_machine_init (HangardMachine *self)
{
  /* Handlers answer asynchronously on the main loop; property changes
   * go out as one PropertiesChanged per main loop iteration. */
}
