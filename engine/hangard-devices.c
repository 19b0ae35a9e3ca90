/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-devices"

#include "hangard-devices.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "hangard-device-def.h"
#include "hangard-error.h"
#include "hangard-machine.h"
#include "hangard-networks.h"
#include "hangard-passt.h"
#include "hangard-qemu-argv.h"
#include "hangard-qemu-files.h"
#include "hangard-storage.h"

/* How long the guest gets to let go of a device it is asked to release
 * (device_del: ACPI hot-unplug, which the guest must answer). */
#define UNPLUG_TIMEOUT_SECONDS 30

/* Machines (UUIDs) with a hardware change under way. */
static GHashTable *busy_machines;

/* getfd and add-fd labels, unique in every QEMU of this engine. */
static guint next_fd_number = 1;

typedef enum {
  OP_ATTACH,
  OP_DETACH,
  OP_UPDATE,
} OpKind;

/* ---- Where a change applies ----------------------------------------------- */

static gboolean
lookup_flag (GVariant    *options,
             const char  *key,
             gboolean    *value,
             GError     **error)
{
  g_autoptr(GVariant) item = g_variant_lookup_value (options, key, NULL);

  *value = FALSE;
  if (item == NULL)
    return TRUE;
  if (!g_variant_is_of_type (item, G_VARIANT_TYPE_BOOLEAN))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("Option '%s' must be a boolean"), key);
      return FALSE;
    }
  *value = g_variant_get_boolean (item);
  return TRUE;
}

static gboolean
machine_is_live (HangardVm *vm)
{
  HangardVmState state = hangard_vm_get_state (vm);

  return state == HANGARD_VM_STATE_RUNNING || state == HANGARD_VM_STATE_PAUSED;
}

/* "live" and "config" from `options`, defaults as virsh's: the running
 * machine when it runs, else its definition. */
static gboolean
parse_targets (HangardMachine  *machine,
               GVariant        *options,
               gboolean        *live,
               gboolean        *config,
               GError         **error)
{
  static const char * const allowed[] = { "live", "config", NULL };
  HangardVm *vm = hangard_machine_get_vm (machine);

  if (!hangard_check_options (options, allowed, error) ||
      !lookup_flag (options, "live", live, error) ||
      !lookup_flag (options, "config", config, error))
    return FALSE;

  if (!*live && !*config)
    {
      *live = hangard_vm_is_active (vm);
      *config = !*live;
    }

  if (*live && !machine_is_live (vm))
    {
      if (hangard_vm_is_active (vm))
        g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                     _("Machine '%s' is %s: wait until it runs to change it live"),
                     hangard_machine_get_name (machine),
                     hangard_vm_state_to_string (hangard_vm_get_state (vm)));
      else
        g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                     _("Machine '%s' is not running, so nothing can change live: change its "
                       "definition (config) for its next start"),
                     hangard_machine_get_name (machine));
      return FALSE;
    }
  if (*live && hangard_vm_get_qmp (vm) == NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("The engine cannot talk to the QEMU of machine '%s'"),
                   hangard_machine_get_name (machine));
      return FALSE;
    }
  return TRUE;
}

static GVariant *
targets_result (gboolean live,
                gboolean config)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "live", g_variant_new_boolean (live));
  g_variant_builder_add (&builder, "{sv}", "config", g_variant_new_boolean (config));
  return g_variant_new ("(@a{sv})", g_variant_builder_end (&builder));
}

static gboolean
claim_machine (HangardMachine  *machine,
               GError         **error)
{
  if (busy_machines == NULL)
    busy_machines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (g_hash_table_contains (busy_machines, hangard_machine_get_uuid (machine)))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Another hardware change of machine '%s' is under way: try again when it is done"),
                   hangard_machine_get_name (machine));
      return FALSE;
    }
  g_hash_table_add (busy_machines, g_strdup (hangard_machine_get_uuid (machine)));
  return TRUE;
}

static void
release_machine (const char *uuid)
{
  if (busy_machines != NULL)
    g_hash_table_remove (busy_machines, uuid);
}

/* ---- Definitions ------------------------------------------------------------ */

/* The definition the running QEMU runs (with the live changes made so
 * far); the stored one for a QEMU adopted from an engine that did not
 * record it. */
static HangardDomain *
running_domain (HangardMachine *machine)
{
  const char *xml = hangard_vm_get_running_xml (hangard_machine_get_vm (machine));
  g_autoptr(GError) error = NULL;
  HangardDomain *domain = NULL;

  if (xml != NULL && (domain = hangard_domain_parse (xml, -1, &error)) == NULL)
    g_warning ("The running definition of %s does not parse: %s", hangard_machine_get_name (machine),
               error->message);
  return domain != NULL ? domain : hangard_domain_copy (hangard_machine_get_domain (machine));
}

static HangardDomain *
apply_device (OpKind                  kind,
              HangardDomain          *domain,
              const HangardDeviceDef *device,
              guint                  *index,
              GError                **error)
{
  switch (kind)
    {
    case OP_ATTACH: return hangard_domain_attach_device (domain, device, index, error);
    case OP_DETACH: return hangard_domain_detach_device (domain, device, index, error);
    case OP_UPDATE: return hangard_domain_update_device (domain, device, index, error);
    default:        g_return_val_if_reached (NULL);
    }
}

/* What the running QEMU runs now: `domain`, its pool volumes resolved
 * (as far as their pools still say) so the engine knows its files. */
static void
record_running (HangardMachine *machine,
                HangardDomain  *domain)
{
  HangardStorage *storage = hangard_daemon_get_storage (hangard_machine_get_daemon (machine));
  g_autoptr(HangardDomain) resolved = hangard_storage_resolve_domain (storage, domain, NULL);

  hangard_vm_set_running_domain (hangard_machine_get_vm (machine), resolved != NULL ? resolved : domain);
}

/* Stores `domain` as the machine's definition (DefineMachine's way:
 * written safely, properties updated). */
static gboolean
store_definition (HangardMachine  *machine,
                  HangardDomain   *domain,
                  GError         **error)
{
  g_autofree char *xml = hangard_domain_to_xml (domain);

  return hangard_daemon_define_machine (hangard_machine_get_daemon (machine), xml,
                                        hangard_machine_get_uuid (machine), error) != NULL;
}

/* ---- One live change ---------------------------------------------------------- */

typedef struct {
  char       *command;
  JsonObject *arguments;
} QmpCall;

static void
qmp_call_free (QmpCall *call)
{
  g_free (call->command);
  g_clear_pointer (&call->arguments, json_object_unref);
  g_free (call);
}

typedef struct _Op Op;
typedef struct _Unplug Unplug;
typedef void (*OpStep) (GTask *task, JsonNode *reply);

struct _Op {
  OpKind            kind;
  HangardMachine   *machine;
  HangardVm        *vm;
  HangardQmp       *qmp;
  char             *uuid;
  HangardDeviceDef *device;
  gboolean          config;

  HangardDomain    *new_running;  /* the running definition once changed */
  HangardDomain    *resolved;     /* the same, pool volumes resolved */
  HangardDomain    *old_running;
  guint             index;        /* the device's index in its kind */

  gboolean          done;         /* answered */
  Unplug           *unplug;       /* a detach waiting for the guest, or NULL */
  OpStep            next;
  gboolean          accept_error; /* the next step looks at step_error itself */
  GError           *step_error;
  GPtrArray        *undo;         /* QmpCall*, run backwards on failure */

  /* Disks */
  HangardQemuFiles *files;        /* confined QEMU: the disk's files as fd sets */
  HangardQemuImage *images;
  guint             n_images;
  guint             next_file;
  gint64            next_fdset;   /* the fd set the next file goes into */
  char             *old_node;     /* CD-ROM: the medium's node before */
  char             *new_node;

  /* Interfaces */
  int               nic_fd;       /* tap or passt socket for QEMU, or -1 */
  char             *fd_name;
  char             *backend;
  char             *tap_name;
  char             *device_id;
  char             *netdev_id;
  GPtrArray        *nic_candidates; /* QOM names of the NICs QEMU has */
  guint             candidate;
};

static void
op_free (Op *op)
{
  g_clear_object (&op->machine);
  g_clear_object (&op->vm);
  g_clear_object (&op->qmp);
  g_free (op->uuid);
  g_clear_pointer (&op->device, hangard_device_def_free);
  g_clear_pointer (&op->new_running, hangard_domain_free);
  g_clear_pointer (&op->resolved, hangard_domain_free);
  g_clear_pointer (&op->old_running, hangard_domain_free);
  g_clear_error (&op->step_error);
  g_clear_pointer (&op->undo, g_ptr_array_unref);
  if (op->files != NULL)
    hangard_qemu_files_close (op->files);
  g_clear_object (&op->files);
  g_free (op->images);
  g_free (op->old_node);
  g_free (op->new_node);
  if (op->nic_fd >= 0)
    close (op->nic_fd);
  g_free (op->fd_name);
  g_free (op->backend);
  g_free (op->tap_name);
  g_free (op->device_id);
  g_free (op->netdev_id);
  g_clear_pointer (&op->nic_candidates, g_ptr_array_unref);
  g_free (op);
}

static Op *
op_of (GTask *task)
{
  return g_task_get_task_data (task);
}

static void
ignore_reply (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);

  if (reply == NULL)
    g_debug ("Undoing a device change: %s", error->message);
}

/* Best effort, in QMP order (QEMU runs them one after the other). */
static void
run_undo (Op *op)
{
  for (guint i = op->undo->len; i > 0; i--)
    {
      QmpCall *call = g_ptr_array_index (op->undo, i - 1);

      if (!hangard_qmp_is_closed (op->qmp))
        hangard_qmp_execute_async (op->qmp, call->command, call->arguments, -1, NULL,
                                   ignore_reply, NULL);
    }
  g_ptr_array_set_size (op->undo, 0);
}

static void
push_undo (Op         *op,
           const char *command,
           JsonObject *arguments)
{
  QmpCall *call = g_new0 (QmpCall, 1);

  call->command = g_strdup (command);
  call->arguments = arguments;
  g_ptr_array_add (op->undo, call);
}

static void
drop_undo (Op         *op,
           const char *command)
{
  for (guint i = op->undo->len; i > 0; i--)
    {
      QmpCall *call = g_ptr_array_index (op->undo, i - 1);

      if (g_str_equal (call->command, command))
        {
          g_ptr_array_remove_index (op->undo, i - 1);
          return;
        }
    }
}

static JsonObject *
object_with (const char *key,
             const char *value)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, key, value);
  return object;
}

/* Lost connections are not the caller's fault; QEMU's refusals are
 * already HANGAR_ERROR_QEMU with QEMU's words. */
static GError *
qmp_error (GError *error)
{
  GError *wrapped;

  if (error->domain == HANGAR_ERROR)
    return error;
  wrapped = g_error_new (HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Lost the connection to QEMU: %s"),
                         error->message);
  g_error_free (error);
  return wrapped;
}

static void
op_fail (GTask  *task,
         GError *error)
{
  Op *op = op_of (task);

  if (op->done)
    {
      g_debug ("After the answer: %s", error->message);
      g_error_free (error);
      return;
    }
  op->done = TRUE;
  run_undo (op);
  release_machine (op->uuid);
  g_task_return_error (task, error);
}

static void
on_step_reply (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = op_of (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);
  OpStep next = op->next;

  op->next = NULL;
  g_clear_error (&op->step_error);
  if (reply == NULL)
    {
      if (!op->accept_error)
        {
          op_fail (task, qmp_error (g_steal_pointer (&error)));
          return;
        }
      op->step_error = qmp_error (g_steal_pointer (&error));
    }
  op->accept_error = FALSE;
  next (task, reply);
}

/* Runs `command` (`arguments` consumed, nullable), then `next` with its
 * reply; a failure fails the change (and undoes it) unless
 * op->accept_error was set. `fd` (>= 0) goes along with the command. */
static void
op_qmp (GTask       *task,
        const char  *command,
        JsonObject  *arguments,
        int          fd,
        OpStep       next)
{
  Op *op = op_of (task);

  op->next = next;
  hangard_qmp_execute_async (op->qmp, command, arguments, fd, NULL, on_step_reply, g_object_ref (task));
  if (arguments != NULL)
    json_object_unref (arguments);
}

/* The change is made on the running QEMU: record it, store the
 * definition too when asked, and answer. */
static void
op_succeed (GTask *task)
{
  Op *op = op_of (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardDomain) config = NULL;

  if (op->done)
    return;
  op->done = TRUE;
  g_ptr_array_set_size (op->undo, 0);
  if (op->resolved != NULL)
    hangard_vm_set_running_domain (op->vm, op->resolved);
  else
    record_running (op->machine, op->new_running);
  release_machine (op->uuid);

  /* Applied to the definition as it is now, which may have been edited
   * while QEMU worked. */
  if (op->config)
    {
      config = apply_device (op->kind, hangard_machine_get_domain (op->machine), op->device, NULL, &error);
      if (config == NULL || !store_definition (op->machine, config, &error))
        {
          g_autofree char *described = hangard_device_def_describe (op->device);

          g_task_return_new_error (task, HANGAR_ERROR, error->code,
                                   _("The running machine has the change to its %s, but its "
                                     "definition could not take it: %s"),
                                   described, error->message);
          return;
        }
    }
  g_task_return_pointer (task, g_variant_ref_sink (targets_result (TRUE, op->config)),
                         (GDestroyNotify) g_variant_unref);
}

static char *
new_fd_name (const char *what)
{
  return g_strdup_printf ("hangar-%s-%u", what, next_fd_number++);
}

/* ---- Disk files for a confined QEMU ------------------------------------------ */

/* A system engine's QEMU opens no host file: the disk's images (and
 * backing files) are opened here and handed over with add-fd, each as an
 * fd set of its own, as at start. */
static gboolean
open_disk_files (Op      *op,
                 GError **error)
{
  g_autoptr(HangardDomain) one = hangard_domain_copy (op->resolved);
  HangardQemuRun run = { 0 };
  const HangardQemuDiskFiles *files;

  /* The disk alone: no other disk, kernel or initrd to open. */
  g_ptr_array_remove_range (one->disks, op->index + 1, one->disks->len - op->index - 1);
  g_ptr_array_remove_range (one->disks, 0, op->index);
  g_ptr_array_set_size (one->nics, 0);
  g_clear_pointer (&one->kernel, g_free);
  g_clear_pointer (&one->initrd, g_free);

  op->files = hangard_qemu_files_new (3, NULL);
  if (!hangard_qemu_files_open_domain (op->files, one, error))
    return FALSE;
  hangard_qemu_files_fill_run (op->files, &run);
  if (run.n_disk_files == 0 || run.disk_files[0].n_images == 0)
    return TRUE;

  files = &run.disk_files[0];
  op->n_images = files->n_images;
  op->images = g_new0 (HangardQemuImage, files->n_images);
  memcpy (op->images, files->images, files->n_images * sizeof *op->images);
  return TRUE;
}

static int
files_fd_for_set (Op    *op,
                  guint  set)
{
  HangardQemuRun run = { 0 };

  hangard_qemu_files_fill_run (op->files, &run);
  for (guint i = 0; i < run.n_add_fds; i++)
    {
      if (run.add_fds[i].set != set)
        continue;
      for (guint j = 0; j < hangard_qemu_files_get_n_fds (op->files); j++)
        {
          int child_fd;
          int fd = hangard_qemu_files_get_fd (op->files, j, &child_fd);

          if (child_fd == run.add_fds[i].fd)
            return fd;
        }
    }
  return -1;
}

static void send_next_file (GTask *task);

static void
on_file_added (GTask    *task,
               JsonNode *reply)
{
  Op *op = op_of (task);
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;
  gint64 set = object != NULL ? json_object_get_int_member_with_default (object, "fdset-id", -1) : -1;
  JsonObject *arguments;

  if (set < 0)
    {
      op_fail (task, g_error_new_literal (HANGAR_ERROR, HANGAR_ERROR_QEMU,
                                          _("QEMU did not say where it put a disk file (add-fd)")));
      return;
    }
  arguments = json_object_new ();
  json_object_set_int_member (arguments, "fdset-id", set);
  push_undo (op, "remove-fd", arguments);
  op->images[op->next_file].fdset = (guint) set;
  op->next_fdset = set + 1;
  op->next_file++;
  send_next_file (task);
}

/* Fd sets of a disk's media that are gone: QEMU keeps a set while its
 * monitor is connected, so they are removed here (those labelled
 * "hangar-TARGET-N" by send_next_file(), but for `keep`). */
typedef struct {
  char    *prefix;
  GArray  *keep;     /* guint fd set ids */
} ForgetFdsets;

static void
on_fdsets_to_forget (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  ForgetFdsets *forget = user_data;
  g_autoptr(JsonNode) reply = hangard_qmp_execute_finish (HANGARD_QMP (source), result, NULL);
  JsonArray *sets = reply != NULL && JSON_NODE_HOLDS_ARRAY (reply) ? json_node_get_array (reply) : NULL;

  for (guint i = 0; sets != NULL && i < json_array_get_length (sets); i++)
    {
      JsonObject *set = json_array_get_object_element (sets, i);
      JsonArray *fds = set != NULL && json_object_has_member (set, "fds")
                       ? json_object_get_array_member (set, "fds") : NULL;
      gint64 id = set != NULL ? json_object_get_int_member_with_default (set, "fdset-id", -1) : -1;
      gboolean ours = FALSE;
      gboolean kept = FALSE;
      JsonObject *arguments;

      for (guint j = 0; fds != NULL && j < json_array_get_length (fds); j++)
        {
          JsonObject *fd = json_array_get_object_element (fds, j);

          if (fd != NULL && g_str_has_prefix (json_object_get_string_member_with_default (fd, "opaque", ""),
                                              forget->prefix))
            ours = TRUE;
        }
      for (guint j = 0; j < forget->keep->len; j++)
        if (g_array_index (forget->keep, guint, j) == id)
          kept = TRUE;
      if (!ours || kept || id < 0)
        continue;

      arguments = json_object_new ();
      json_object_set_int_member (arguments, "fdset-id", id);
      hangard_qmp_execute_async (HANGARD_QMP (source), "remove-fd", arguments, -1, NULL, ignore_reply, NULL);
      json_object_unref (arguments);
    }

  g_free (forget->prefix);
  g_array_unref (forget->keep);
  g_free (forget);
}

static void
forget_fdsets (HangardMachine         *machine,
               HangardQmp             *qmp,
               const char             *target,
               const HangardQemuImage *keep,
               guint                   n_keep)
{
  ForgetFdsets *forget;

  if (!hangard_host_confines_qemu (hangard_daemon_get_host (hangard_machine_get_daemon (machine))))
    return;
  forget = g_new0 (ForgetFdsets, 1);
  forget->prefix = g_strdup_printf ("hangar-%s-", target);
  forget->keep = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < n_keep; i++)
    g_array_append_val (forget->keep, keep[i].fdset);
  hangard_qmp_execute_async (qmp, "query-fdsets", NULL, -1, NULL, on_fdsets_to_forget, forget);
}

/* ---- Attach a disk -------------------------------------------------------------- */

static void
on_disk_device_added (GTask    *task,
                      JsonNode *reply)
{
  op_succeed (task);
}

static void
on_disk_blockdev_added (GTask    *task,
                        JsonNode *reply)
{
  Op *op = op_of (task);
  HangardDiskDef *disk = g_ptr_array_index (op->resolved->disks, op->index);
  GError *error = NULL;
  JsonObject *device;

  push_undo (op, "blockdev-del", object_with ("node-name", op->new_node));
  device = hangard_qemu_disk_hotplug_device (disk, &error);
  if (device == NULL)
    {
      op_fail (task, error);
      return;
    }
  op_qmp (task, "device_add", device, -1, on_disk_device_added);
}

static void on_medium_added (GTask *task, JsonNode *reply);

/* blockdev-add of the disk's (or medium's) node, once its files are in
 * QEMU when it needs them handed over. */
static void
add_blockdev (GTask *task)
{
  Op *op = op_of (task);
  HangardDiskDef *disk = g_ptr_array_index (op->resolved->disks, op->index);
  HangardQemuDiskFiles files = { op->images, op->n_images };
  gboolean media_names = op->new_node != NULL && g_str_has_prefix (op->new_node, "media-");
  g_autoptr(JsonNode) node = NULL;
  GError *error = NULL;

  node = hangard_qemu_disk_blockdev (disk, op->n_images > 0 ? &files : NULL, media_names, &error);
  if (node == NULL)
    {
      op_fail (task, error);
      return;
    }
  op_qmp (task, "blockdev-add", json_object_ref (json_node_get_object (node)), -1,
          op->kind == OP_ATTACH ? on_disk_blockdev_added : on_medium_added);
}

static void
send_next_file (GTask *task)
{
  Op *op = op_of (task);
  g_autofree char *opaque = NULL;
  JsonObject *arguments;
  int fd;

  if (op->next_file >= op->n_images)
    {
      add_blockdev (task);
      return;
    }

  fd = files_fd_for_set (op, op->images[op->next_file].fdset);
  if (fd < 0)
    {
      op_fail (task, g_error_new (HANGAR_ERROR, HANGAR_ERROR_FAILED,
                                  "internal: no file for fd set %u", op->images[op->next_file].fdset));
      return;
    }
  opaque = g_strdup_printf ("hangar-%s-%u", ((HangardDiskDef *) g_ptr_array_index (op->resolved->disks, op->index))->target_dev,
                            next_fd_number++);
  arguments = object_with ("opaque", opaque);
  json_object_set_int_member (arguments, "fdset-id", op->next_fdset);
  op_qmp (task, "add-fd", arguments, fd, on_file_added);
}

/* Fd sets of their own, above every one QEMU has (from its command line
 * and earlier changes): a file added to a set in use could stand in for
 * another disk's. */
static void
on_fdsets (GTask    *task,
           JsonNode *reply)
{
  Op *op = op_of (task);
  JsonArray *sets = JSON_NODE_HOLDS_ARRAY (reply) ? json_node_get_array (reply) : NULL;

  op->next_fdset = 1;
  for (guint i = 0; sets != NULL && i < json_array_get_length (sets); i++)
    {
      JsonObject *set = json_array_get_object_element (sets, i);
      gint64 id = set != NULL ? json_object_get_int_member_with_default (set, "fdset-id", 0) : 0;

      op->next_fdset = MAX (op->next_fdset, id + 1);
    }
  send_next_file (task);
}

/* The disk's medium into QEMU: by path, or as fd sets when QEMU is confined. */
static void
begin_blockdev (GTask *task)
{
  Op *op = op_of (task);
  HangardDaemon *daemon = hangard_machine_get_daemon (op->machine);
  GError *error = NULL;

  if (!hangard_host_confines_qemu (hangard_daemon_get_host (daemon)))
    {
      add_blockdev (task);
      return;
    }
  if (!open_disk_files (op, &error))
    {
      op_fail (task, error);
      return;
    }
  op_qmp (task, "query-fdsets", NULL, -1, on_fdsets);
}

static void
attach_disk (GTask *task)
{
  Op *op = op_of (task);
  HangardDiskDef *disk = g_ptr_array_index (op->resolved->disks, op->index);
  g_autoptr(JsonObject) device = NULL;
  GError *error = NULL;

  /* Refused before anything reaches QEMU. */
  device = hangard_qemu_disk_hotplug_device (disk, &error);
  if (device == NULL)
    {
      op_fail (task, error);
      return;
    }
  op->new_node = g_strdup_printf ("drive-%s", disk->target_dev);
  begin_blockdev (task);
}

/* ---- Change a CD-ROM's medium ------------------------------------------------- */

static void
on_tray_closed (GTask    *task,
                JsonNode *reply)
{
  Op *op = op_of (task);

  /* The old medium's node is unused now: gone, or left over at worst. */
  if (op->old_node != NULL)
    {
      g_autoptr(JsonObject) arguments = object_with ("node-name", op->old_node);

      hangard_qmp_execute_async (op->qmp, "blockdev-del", arguments, -1, NULL, ignore_reply, NULL);
    }
  forget_fdsets (op->machine, op->qmp, op->device->target_dev, op->images, op->n_images);
  op_succeed (task);
}

static void
close_tray (GTask *task)
{
  Op *op = op_of (task);
  g_autofree char *id = g_strdup_printf ("disk-%s", op->device->target_dev);

  op_qmp (task, "blockdev-close-tray", object_with ("id", id), -1, on_tray_closed);
}

static void
on_medium_inserted (GTask    *task,
                    JsonNode *reply)
{
  Op *op = op_of (task);

  /* In the drive now: no more blockdev-del of it on failure. */
  drop_undo (op, "blockdev-del");
  close_tray (task);
}

static void
on_medium_removed (GTask    *task,
                   JsonNode *reply)
{
  Op *op = op_of (task);
  g_autofree char *id = g_strdup_printf ("disk-%s", op->device->target_dev);
  JsonObject *arguments;

  /* On a failure from here, the old medium goes back in. */
  if (op->old_node != NULL)
    {
      arguments = object_with ("id", id);
      json_object_set_string_member (arguments, "node-name", op->old_node);
      push_undo (op, "blockdev-close-tray", object_with ("id", id));
      push_undo (op, "blockdev-insert-medium", arguments);
    }
  if (op->new_node == NULL)
    {
      close_tray (task);
      return;
    }
  arguments = object_with ("id", id);
  json_object_set_string_member (arguments, "node-name", op->new_node);
  op_qmp (task, "blockdev-insert-medium", arguments, -1, on_medium_inserted);
}

static void
on_tray_opened (GTask    *task,
                JsonNode *reply)
{
  Op *op = op_of (task);
  g_autofree char *id = g_strdup_printf ("disk-%s", op->device->target_dev);

  if (op->old_node == NULL)
    {
      on_medium_removed (task, NULL);
      return;
    }
  op_qmp (task, "blockdev-remove-medium", object_with ("id", id), -1, on_medium_removed);
}

static void
open_tray (GTask *task)
{
  Op *op = op_of (task);
  g_autofree char *id = g_strdup_printf ("disk-%s", op->device->target_dev);
  JsonObject *arguments = object_with ("id", id);

  /* Even when the guest locked it, as a paper clip in a real drive. */
  json_object_set_boolean_member (arguments, "force", TRUE);
  op_qmp (task, "blockdev-open-tray", arguments, -1, on_tray_opened);
}

static void
on_medium_added (GTask    *task,
                 JsonNode *reply)
{
  Op *op = op_of (task);

  push_undo (op, "blockdev-del", object_with ("node-name", op->new_node));
  open_tray (task);
}

/* query-block: which node the drive holds now. */
static void
on_blocks_queried (GTask    *task,
                   JsonNode *reply)
{
  Op *op = op_of (task);
  HangardDiskDef *disk = g_ptr_array_index (op->resolved->disks, op->index);
  g_autofree char *id = g_strdup_printf ("disk-%s", disk->target_dev);
  JsonArray *blocks = JSON_NODE_HOLDS_ARRAY (reply) ? json_node_get_array (reply) : NULL;
  gboolean found = FALSE;

  for (guint i = 0; blocks != NULL && i < json_array_get_length (blocks); i++)
    {
      JsonObject *block = json_array_get_object_element (blocks, i);
      JsonObject *inserted;

      if (block == NULL || g_strcmp0 (json_object_get_string_member_with_default (block, "qdev", ""), id) != 0)
        continue;
      found = TRUE;
      inserted = json_object_has_member (block, "inserted")
                 ? json_object_get_object_member (block, "inserted") : NULL;
      if (inserted != NULL)
        op->old_node = g_strdup (json_object_get_string_member_with_default (inserted, "node-name", NULL));
    }

  if (!found)
    {
      op_fail (task, g_error_new (HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                                  _("The running machine '%s' has no CD-ROM drive %s"),
                                  hangard_machine_get_name (op->machine), disk->target_dev));
      return;
    }

  if (disk->source_file == NULL)
    {
      open_tray (task);
      return;
    }
  /* The new medium's node goes in next to the old one: drive-/media-. */
  op->new_node = g_strdup_printf ("%s-%s",
                                  g_str_has_prefix (op->old_node != NULL ? op->old_node : "", "drive-")
                                  ? "media" : "drive", disk->target_dev);
  begin_blockdev (task);
}

static void
update_medium (GTask *task)
{
  op_qmp (task, "query-block", NULL, -1, on_blocks_queried);
}

/* ---- Detach: device_del, then the guest lets go ------------------------------- */

/* An unplug the guest must agree to: device_del asks, DEVICE_DELETED says
 * it is done, and only then does the backend (disk node, netdev) go. When
 * the guest takes longer than UNPLUG_TIMEOUT_SECONDS the call is answered
 * and this waits on alone. */
struct _Unplug {
  HangardMachine   *machine;
  HangardVm        *vm;
  HangardQmp       *qmp;
  HangardDeviceDef *device;
  char             *device_id;
  QmpCall          *cleanup;       /* blockdev-del or netdev_del, once it is gone */
  GTask            *task;          /* the waiting call; NULL once answered */
  gulong            event_handler;
  gulong            closed_handler;
  guint             timeout;
};

static void
unplug_free (Unplug *unplug)
{
  g_clear_signal_handler (&unplug->event_handler, unplug->qmp);
  g_clear_signal_handler (&unplug->closed_handler, unplug->qmp);
  g_clear_handle_id (&unplug->timeout, g_source_remove);
  g_clear_object (&unplug->machine);
  g_clear_object (&unplug->vm);
  g_clear_object (&unplug->qmp);
  g_clear_pointer (&unplug->device, hangard_device_def_free);
  g_free (unplug->device_id);
  g_clear_pointer (&unplug->cleanup, qmp_call_free);
  g_clear_object (&unplug->task);
  g_free (unplug);
}

/* Lets go of the waiting call; the caller answers it. */
static GTask *
unplug_steal_task (Unplug *unplug)
{
  GTask *task = g_steal_pointer (&unplug->task);

  if (task != NULL)
    op_of (task)->unplug = NULL;
  return task;
}

/* The guest let go: the backend goes too, and the running definition
 * loses the device (as it is by now: other live changes may have come). */
static void
finish_unplug (Unplug *unplug)
{
  g_autoptr(HangardDomain) running = NULL;
  g_autoptr(HangardDomain) changed = NULL;
  g_autoptr(GError) error = NULL;
  guint index = 0;

  hangard_qmp_execute_async (unplug->qmp, unplug->cleanup->command, unplug->cleanup->arguments, -1,
                             NULL, ignore_reply, NULL);
  if (unplug->device->kind == HANGARD_DEVICE_DISK)
    forget_fdsets (unplug->machine, unplug->qmp, unplug->device->target_dev, NULL, 0);
  if (hangard_vm_get_qmp (unplug->vm) != unplug->qmp)
    return;   /* another QEMU runs by now */

  running = running_domain (unplug->machine);
  changed = hangard_domain_detach_device (running, unplug->device, &index, &error);
  if (changed == NULL)
    {
      g_debug ("The unplugged device is not in the running definition: %s", error->message);
      return;
    }
  if (unplug->device->kind == HANGARD_DEVICE_INTERFACE)
    hangard_vm_remove_nic (unplug->vm, index);
  record_running (unplug->machine, changed);
}

static void
on_unplug_event (HangardQmp *qmp,
                 const char *name,
                 JsonObject *data,
                 gint64      timestamp_usec,
                 gpointer    user_data)
{
  Unplug *unplug = user_data;
  g_autoptr(GTask) task = NULL;

  if (!g_str_equal (name, "DEVICE_DELETED") || data == NULL ||
      g_strcmp0 (json_object_get_string_member_with_default (data, "device", ""), unplug->device_id) != 0)
    return;

  finish_unplug (unplug);
  task = unplug_steal_task (unplug);
  unplug_free (unplug);
  if (task != NULL)
    {
      Op *op = op_of (task);

      /* finish_unplug() recorded the running definition: keep it. */
      g_clear_pointer (&op->new_running, hangard_domain_free);
      g_clear_pointer (&op->resolved, hangard_domain_free);
      op->new_running = running_domain (op->machine);
      op_succeed (task);
    }
}

static void
on_unplug_qmp_closed (HangardQmp *qmp,
                      gpointer    user_data)
{
  Unplug *unplug = user_data;
  g_autoptr(GTask) task = unplug_steal_task (unplug);

  unplug_free (unplug);
  if (task != NULL)
    op_fail (task, g_error_new_literal (HANGAR_ERROR, HANGAR_ERROR_FAILED,
                                        _("QEMU ended while the device was being removed")));
}

static gboolean
on_unplug_timeout (gpointer user_data)
{
  Unplug *unplug = user_data;
  g_autoptr(GTask) task = unplug_steal_task (unplug);
  g_autofree char *described = hangard_device_def_describe (unplug->device);

  unplug->timeout = 0;
  if (task != NULL)
    {
      Op *op = op_of (task);

      /* Nothing to undo: the request stays with the guest. */
      g_ptr_array_set_size (op->undo, 0);
      op_fail (task, g_error_new (HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                                  _("The guest has not released its %s within %d seconds (the device "
                                    "is busy, or the guest ignores hot-unplug requests). It was asked "
                                    "to, and the device goes once the guest lets go; the definition "
                                    "is unchanged"),
                                  described, UNPLUG_TIMEOUT_SECONDS));
    }
  return G_SOURCE_REMOVE;
}

static void
on_device_del (GTask    *task,
               JsonNode *reply)
{
  Op *op = op_of (task);
  g_autofree char *described = NULL;
  GError *error;

  if (op->step_error == NULL)
    return;   /* asked: the Unplug waits for DEVICE_DELETED */

  if (op->unplug != NULL)
    {
      Unplug *unplug = op->unplug;
      g_autoptr(GTask) waiting = unplug_steal_task (unplug);

      unplug_free (unplug);
    }

  described = hangard_device_def_describe (op->device);
  if (strstr (op->step_error->message, "in the process of unplug") != NULL)
    error = g_error_new (HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                         _("The guest was asked to release its %s before and has not yet: the "
                           "device is busy"), described);
  else
    error = g_steal_pointer (&op->step_error);
  op_fail (task, error);
}

/* device_del `device_id`, then `cleanup` once the guest let go. */
static void
request_unplug (GTask      *task,
                const char *device_id,
                const char *cleanup_command,
                JsonObject *cleanup_arguments)
{
  Op *op = op_of (task);
  Unplug *unplug = g_new0 (Unplug, 1);

  unplug->machine = g_object_ref (op->machine);
  unplug->vm = g_object_ref (op->vm);
  unplug->qmp = g_object_ref (op->qmp);
  unplug->device = hangard_device_def_copy (op->device);
  unplug->device_id = g_strdup (device_id);
  unplug->cleanup = g_new0 (QmpCall, 1);
  unplug->cleanup->command = g_strdup (cleanup_command);
  unplug->cleanup->arguments = cleanup_arguments;
  unplug->task = g_object_ref (task);
  /* Before device_del: the event may come before its reply. */
  unplug->event_handler = g_signal_connect (op->qmp, "event", G_CALLBACK (on_unplug_event), unplug);
  unplug->closed_handler = g_signal_connect (op->qmp, "closed", G_CALLBACK (on_unplug_qmp_closed), unplug);
  unplug->timeout = g_timeout_add_seconds (UNPLUG_TIMEOUT_SECONDS, on_unplug_timeout, unplug);
  op->unplug = unplug;

  op->accept_error = TRUE;
  op_qmp (task, "device_del", object_with ("id", device_id), -1, on_device_del);
}

static void
detach_disk (GTask *task)
{
  Op *op = op_of (task);
  HangardDiskDef *disk = g_ptr_array_index (op->old_running->disks, op->index);
  g_autofree char *id = NULL;
  g_autofree char *node = NULL;

  if (disk->bus != HANGARD_DISK_BUS_VIRTIO || disk->device != HANGARD_DISK_DEVICE_DISK)
    {
      op_fail (task, g_error_new (HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                                  _("Disk %s is on the %s bus, which cannot lose devices while the "
                                    "machine runs: remove it from the definition (config), and it is "
                                    "gone from the next start"),
                                  disk->target_dev, hangard_disk_bus_to_string (disk->bus)));
      return;
    }

  id = g_strdup_printf ("disk-%s", disk->target_dev);
  node = g_strdup_printf ("drive-%s", disk->target_dev);
  request_unplug (task, id, "blockdev-del", object_with ("node-name", node));
}

/* ---- Interfaces ----------------------------------------------------------------- */

static void
reap_passt (GPid     pid,
            int      wait_status,
            gpointer user_data)
{
  g_spawn_close_pid (pid);
}

/* What connects the new interface: a tap on its network or bridge, passt
 * where passt can run (as at start), else QEMU's slirp (no fd). */
static gboolean
open_nic_backend (Op              *op,
                  HangardNicDef   *nic,
                  GError         **error)
{
  HangardDaemon *daemon = hangard_machine_get_daemon (op->machine);

  if (nic->type != HANGARD_NIC_TYPE_USER)
    {
      g_autoptr(HangardDomain) one = hangard_domain_copy (op->resolved);
      g_autoptr(GArray) fds = NULL;
      g_autoptr(GPtrArray) names = NULL;

      /* Just this interface. */
      g_ptr_array_remove_range (one->nics, op->index + 1, one->nics->len - op->index - 1);
      g_ptr_array_remove_range (one->nics, 0, op->index);
      fds = hangard_networks_open_taps (hangard_daemon_get_networks (daemon), one, &names, error);
      if (fds == NULL)
        return FALSE;
      op->nic_fd = g_array_index (fds, int, 0);
      op->tap_name = g_strdup (g_ptr_array_index (names, 0));
      op->backend = g_strdup ("tap");
      return TRUE;
    }

  if (nic->backend == HANGARD_NIC_BACKEND_PASST ? hangard_passt_usable (error)
                                                : hangard_passt_usable (NULL))
    {
      int log_fd = open (hangard_vm_get_qemu_log_path (op->vm), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      GPid pid;

      op->nic_fd = hangard_passt_spawn (nic, op->index, log_fd, &pid, error);
      if (log_fd >= 0)
        close (log_fd);
      if (op->nic_fd < 0)
        return FALSE;
      /* It ends by itself once QEMU's end of the socket closes. */
      g_child_watch_add (pid, reap_passt, NULL);
      op->backend = g_strdup ("passt");
      return TRUE;
    }
  if (nic->backend == HANGARD_NIC_BACKEND_PASST)
    return FALSE;
  op->backend = g_strdup ("slirp");
  return TRUE;
}

static void
on_nic_device_added (GTask    *task,
                     JsonNode *reply)
{
  Op *op = op_of (task);

  hangard_vm_insert_nic (op->vm, op->index, op->backend, op->tap_name);
  op_succeed (task);
}

static void
on_netdev_added (GTask    *task,
                 JsonNode *reply)
{
  Op *op = op_of (task);
  HangardNicDef *nic = g_ptr_array_index (op->resolved->nics, op->index);
  GError *error = NULL;
  JsonObject *device;

  push_undo (op, "netdev_del", object_with ("id", op->netdev_id));
  device = hangard_qemu_nic_hotplug_device (nic, op->device_id, op->netdev_id, &error);
  if (device == NULL)
    {
      op_fail (task, error);
      return;
    }
  op_qmp (task, "device_add", device, -1, on_nic_device_added);
}

static void
add_netdev (GTask *task)
{
  Op *op = op_of (task);
  HangardNicDef *nic = g_ptr_array_index (op->resolved->nics, op->index);
  GError *error = NULL;
  JsonObject *netdev = hangard_qemu_nic_hotplug_netdev (nic, op->netdev_id, op->fd_name, &error);

  if (netdev == NULL)
    {
      op_fail (task, error);
      return;
    }
  op_qmp (task, "netdev_add", netdev, -1, on_netdev_added);
}

static void
on_nic_fd_sent (GTask    *task,
                JsonNode *reply)
{
  Op *op = op_of (task);

  /* QEMU has its own copy; netdev_add takes it over (closefd otherwise). */
  close (op->nic_fd);
  op->nic_fd = -1;
  push_undo (op, "closefd", object_with ("fdname", op->fd_name));
  add_netdev (task);
}

static void
attach_nic (GTask *task)
{
  Op *op = op_of (task);
  HangardNicDef *nic = g_ptr_array_index (op->resolved->nics, op->index);
  g_autofree char *hex = g_strdelimit (g_strdup (nic->mac), ":", '_');
  g_autoptr(JsonObject) device = NULL;
  GError *error = NULL;

  /* Ids of their own: the command line's "net0"/"nic0" follow positions,
   * which change as interfaces come and go. */
  op->netdev_id = g_strdup_printf ("hostnet-%s", hex);
  op->device_id = g_strdup_printf ("net-%s", hex);
  device = hangard_qemu_nic_hotplug_device (nic, op->device_id, op->netdev_id, &error);
  if (device == NULL || !open_nic_backend (op, nic, &error))
    {
      op_fail (task, error != NULL ? error
                                   : g_error_new_literal (HANGAR_ERROR, HANGAR_ERROR_FAILED,
                                                          "internal: no backend for the interface"));
      return;
    }
  if (op->nic_fd < 0)
    {
      add_netdev (task);
      return;
    }
  op->fd_name = new_fd_name ("net");
  op_qmp (task, "getfd", object_with ("fdname", op->fd_name), op->nic_fd, on_nic_fd_sent);
}

/* Which QEMU device is the interface: its id is "nicN" from the command
 * line or "net-…" from a hot-plug, so QEMU is asked for the one with the
 * interface's MAC (qom-list, qom-get mac), then for its netdev. */
static void check_next_candidate (GTask *task);

static void
on_nic_netdev (GTask    *task,
               JsonNode *reply)
{
  Op *op = op_of (task);

  if (reply == NULL || !JSON_NODE_HOLDS_VALUE (reply) || json_node_get_string (reply) == NULL)
    {
      op_fail (task, g_error_new (HANGAR_ERROR, HANGAR_ERROR_QEMU,
                                  _("QEMU did not say which network backend interface %s uses"),
                                  op->device->mac));
      return;
    }
  op->netdev_id = g_strdup (json_node_get_string (reply));
  request_unplug (task, op->device_id, "netdev_del", object_with ("id", op->netdev_id));
}

static void
on_candidate_mac (GTask    *task,
                  JsonNode *reply)
{
  Op *op = op_of (task);
  HangardNicDef *nic = g_ptr_array_index (op->old_running->nics, op->index);
  const char *name = g_ptr_array_index (op->nic_candidates, op->candidate);
  g_autofree char *path = NULL;
  JsonObject *arguments;

  if (reply == NULL || !JSON_NODE_HOLDS_VALUE (reply) ||
      g_ascii_strcasecmp (json_node_get_string (reply) ? json_node_get_string (reply) : "", nic->mac) != 0)
    {
      op->candidate++;
      check_next_candidate (task);
      return;
    }

  op->device_id = g_strdup (name);
  path = g_strdup_printf ("/machine/peripheral/%s", name);
  arguments = object_with ("path", path);
  json_object_set_string_member (arguments, "property", "netdev");
  op->accept_error = TRUE;
  op_qmp (task, "qom-get", arguments, -1, on_nic_netdev);
}

static void
check_next_candidate (GTask *task)
{
  Op *op = op_of (task);
  g_autofree char *path = NULL;
  JsonObject *arguments;

  if (op->candidate >= op->nic_candidates->len)
    {
      op_fail (task, g_error_new (HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                                  _("The running machine '%s' has no interface %s"),
                                  hangard_machine_get_name (op->machine), op->device->mac));
      return;
    }
  path = g_strdup_printf ("/machine/peripheral/%s",
                          (const char *) g_ptr_array_index (op->nic_candidates, op->candidate));
  arguments = object_with ("path", path);
  json_object_set_string_member (arguments, "property", "mac");
  op->accept_error = TRUE;
  op_qmp (task, "qom-get", arguments, -1, on_candidate_mac);
}

static void
on_peripherals (GTask    *task,
                JsonNode *reply)
{
  static const char * const nic_types[] = {
    "child<virtio-net-pci>", "child<e1000>", "child<rtl8139>", NULL
  };
  Op *op = op_of (task);
  JsonArray *children = JSON_NODE_HOLDS_ARRAY (reply) ? json_node_get_array (reply) : NULL;

  op->nic_candidates = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; children != NULL && i < json_array_get_length (children); i++)
    {
      JsonObject *child = json_array_get_object_element (children, i);
      const char *type = child ? json_object_get_string_member_with_default (child, "type", "") : "";

      if (g_strv_contains (nic_types, type))
        g_ptr_array_add (op->nic_candidates,
                         g_strdup (json_object_get_string_member_with_default (child, "name", "")));
    }
  op->candidate = 0;
  check_next_candidate (task);
}

static void
detach_nic (GTask *task)
{
  /* The MAC names it: the detach found it in the running definition. */
  Op *op = op_of (task);
  HangardNicDef *nic = g_ptr_array_index (op->old_running->nics, op->index);

  if (op->device->mac == NULL)
    op->device->mac = g_strdup (nic->mac);
  op_qmp (task, "qom-list", object_with ("path", "/machine/peripheral"), -1, on_peripherals);
}

/* ---- Device calls ---------------------------------------------------------------- */

static void
begin_live_change (GTask *task)
{
  Op *op = op_of (task);
  gboolean disk = op->device->kind == HANGARD_DEVICE_DISK;

  switch (op->kind)
    {
    case OP_ATTACH:
      if (disk)
        attach_disk (task);
      else
        attach_nic (task);
      break;
    case OP_DETACH:
      if (disk)
        detach_disk (task);
      else
        detach_nic (task);
      break;
    case OP_UPDATE:
      update_medium (task);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
on_device_change_done (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) answer = g_task_propagate_pointer (G_TASK (result), &error);

  if (answer == NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, g_steal_pointer (&answer));
}

/* Checks everything that can be checked before QEMU is asked: the
 * definition the change makes (when it goes there) and the running one. */
static gboolean
handle_device_change (HangarMachine         *iface,
                      GDBusMethodInvocation *invocation,
                      OpKind                 kind,
                      const char            *xml,
                      GVariant              *options)
{
  HangardMachine *machine = HANGARD_MACHINE (iface);
  HangardDaemon *daemon = hangard_machine_get_daemon (machine);
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardDeviceDef) device = NULL;
  g_autoptr(HangardDomain) config = NULL;
  g_autoptr(GTask) task = NULL;
  gboolean live = FALSE;
  gboolean store = FALSE;
  Op *op;

  if (!hangard_daemon_authorize (daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  if (!parse_targets (machine, options, &live, &store, &error) ||
      (device = hangard_device_def_parse (xml, &error)) == NULL)
    return hangard_invocation_answer (invocation, FALSE, error);

  if (kind == OP_ATTACH)
    hangard_device_def_ensure_mac (device);

  if (store)
    {
      config = apply_device (kind, hangard_machine_get_domain (machine), device, NULL, &error);
      if (config == NULL)
        return hangard_invocation_answer (invocation, FALSE, error);
    }

  if (!live)
    {
      if (!store_definition (machine, config, &error))
        return hangard_invocation_answer (invocation, FALSE, error);
      g_dbus_method_invocation_return_value (invocation, targets_result (FALSE, TRUE));
      return TRUE;
    }

  op = g_new0 (Op, 1);
  op->kind = kind;
  op->machine = g_object_ref (machine);
  op->vm = g_object_ref (hangard_machine_get_vm (machine));
  op->qmp = g_object_ref (hangard_vm_get_qmp (op->vm));
  op->uuid = g_strdup (hangard_machine_get_uuid (machine));
  op->device = g_steal_pointer (&device);
  op->config = store;
  op->nic_fd = -1;
  op->undo = g_ptr_array_new_with_free_func ((GDestroyNotify) qmp_call_free);
  op->old_running = running_domain (machine);
  task = g_task_new (machine, NULL, on_device_change_done, g_object_ref (invocation));
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);

  op->new_running = apply_device (kind, op->old_running, op->device, &op->index, &error);
  if (op->new_running != NULL && kind != OP_DETACH)
    op->resolved = hangard_storage_resolve_domain (hangard_daemon_get_storage (daemon),
                                                   op->new_running, &error);
  if (op->new_running == NULL || (kind != OP_DETACH && op->resolved == NULL) ||
      !claim_machine (machine, &error))
    {
      op->done = TRUE;
      g_task_return_error (task, g_steal_pointer (&error));
      return TRUE;
    }

  begin_live_change (task);
  return TRUE;
}

static gboolean
handle_attach_device (HangarMachine         *iface,
                      GDBusMethodInvocation *invocation,
                      const char            *xml,
                      GVariant              *options)
{
  return handle_device_change (iface, invocation, OP_ATTACH, xml, options);
}

static gboolean
handle_detach_device (HangarMachine         *iface,
                      GDBusMethodInvocation *invocation,
                      const char            *xml,
                      GVariant              *options)
{
  return handle_device_change (iface, invocation, OP_DETACH, xml, options);
}

static gboolean
handle_update_device (HangarMachine         *iface,
                      GDBusMethodInvocation *invocation,
                      const char            *xml,
                      GVariant              *options)
{
  return handle_device_change (iface, invocation, OP_UPDATE, xml, options);
}

/* ---- Memory, vCPUs, pinning --------------------------------------------------------- */

/* Memory and the vCPU count: at next boot only. */
static gboolean
answer_config_change (HangardMachine        *machine,
                      GDBusMethodInvocation *invocation,
                      GVariant              *options,
                      const char            *what,
                      HangardDomain *      (*change) (HangardDomain *, guint64, GError **),
                      guint64                value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardDomain) config = NULL;
  gboolean live = FALSE;
  gboolean store = FALSE;

  if (!parse_targets (machine, options, &live, &store, &error))
    return hangard_invocation_answer (invocation, FALSE, error);

  if (live)
    {
      g_set_error (&error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   _("Machine '%s' cannot change its %s while it runs (Hangar gives guests no "
                     "memory balloon or CPU hot-plug): change its definition (config), which "
                     "takes effect at next boot"),
                   hangard_machine_get_name (machine), what);
      return hangard_invocation_answer (invocation, FALSE, error);
    }

  config = change (hangard_machine_get_domain (machine), value, &error);
  if (config == NULL || !store_definition (machine, config, &error))
    return hangard_invocation_answer (invocation, FALSE, error);
  g_dbus_method_invocation_return_value (invocation, targets_result (FALSE, TRUE));
  return TRUE;
}

static HangardDomain *
set_memory (HangardDomain *domain,
            guint64        kib,
            GError       **error)
{
  return hangard_domain_set_memory (domain, kib, error);
}

static HangardDomain *
set_vcpus (HangardDomain *domain,
           guint64        vcpus,
           GError       **error)
{
  return hangard_domain_set_vcpus (domain, (guint) vcpus, error);
}

static gboolean
handle_set_memory (HangarMachine         *iface,
                   GDBusMethodInvocation *invocation,
                   guint64                memory_kib,
                   GVariant              *options)
{
  HangardMachine *machine = HANGARD_MACHINE (iface);

  if (!hangard_daemon_authorize (hangard_machine_get_daemon (machine), invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;
  return answer_config_change (machine, invocation, options, _("memory"), set_memory, memory_kib);
}

static gboolean
handle_set_vcpus (HangarMachine         *iface,
                  GDBusMethodInvocation *invocation,
                  guint                  vcpus,
                  GVariant              *options)
{
  HangardMachine *machine = HANGARD_MACHINE (iface);

  if (!hangard_daemon_authorize (hangard_machine_get_daemon (machine), invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;
  return answer_config_change (machine, invocation, options, _("vCPU count"), set_vcpus, vcpus);
}

/* A vCPU's thread, live: query-cpus-fast says which it is. */
typedef struct {
  GDBusMethodInvocation *invocation;
  HangardMachine        *machine;
  guint                  vcpu;
  char                  *cpuset;    /* "" for the machine's default */
  gboolean               config;
} PinCall;

static void
pin_call_free (PinCall *call)
{
  g_clear_object (&call->invocation);
  g_clear_object (&call->machine);
  g_free (call->cpuset);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PinCall, pin_call_free)

/* Where an unpinned vCPU runs: <vcpu cpuset>, else every host CPU. */
static void
default_cpuset (HangardDomain *domain,
                cpu_set_t     *set)
{
  const char *problem;

  if (domain->cpuset == NULL || !hangard_cpuset_parse (domain->cpuset, set, &problem))
    {
      long n = sysconf (_SC_NPROCESSORS_CONF);

      CPU_ZERO (set);
      for (long cpu = 0; cpu < MIN (n, CPU_SETSIZE); cpu++)
        CPU_SET (cpu, set);
    }
}

static void
on_vcpus_for_pin (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(PinCall) call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);
  g_autoptr(HangardDomain) running = NULL;
  g_autoptr(HangardDomain) pinned = NULL;
  g_autoptr(HangardDomain) config = NULL;
  JsonArray *cpus = reply != NULL && JSON_NODE_HOLDS_ARRAY (reply) ? json_node_get_array (reply) : NULL;
  const char *problem = NULL;
  gint64 thread = -1;
  cpu_set_t set;

  if (reply == NULL)
    {
      g_autoptr(GError) wrapped = qmp_error (g_steal_pointer (&error));

      hangard_invocation_answer (call->invocation, FALSE, wrapped);
      return;
    }
  for (guint i = 0; cpus != NULL && i < json_array_get_length (cpus); i++)
    {
      JsonObject *cpu = json_array_get_object_element (cpus, i);

      if (cpu != NULL && json_object_get_int_member_with_default (cpu, "cpu-index", -1) == call->vcpu)
        thread = json_object_get_int_member_with_default (cpu, "thread-id", -1);
    }

  running = running_domain (call->machine);
  pinned = hangard_domain_pin_vcpu (running, call->vcpu, *call->cpuset != '\0' ? call->cpuset : NULL, &error);
  if (pinned == NULL)
    {
      hangard_invocation_answer (call->invocation, FALSE, error);
      return;
    }
  if (thread <= 0)
    {
      g_set_error (&error, HANGAR_ERROR, HANGAR_ERROR_QEMU, _("QEMU has no thread for vCPU %u"), call->vcpu);
      hangard_invocation_answer (call->invocation, FALSE, error);
      return;
    }

  if (*call->cpuset != '\0')
    hangard_cpuset_parse (call->cpuset, &set, &problem);
  else
    default_cpuset (running, &set);
  if (sched_setaffinity ((pid_t) thread, sizeof set, &set) != 0)
    {
      int saved_errno = errno;

      g_set_error (&error, HANGAR_ERROR, saved_errno == EINVAL ? HANGAR_ERROR_INVALID_ARGUMENT
                                                               : HANGAR_ERROR_FAILED,
                   _("Cannot pin vCPU %u to host CPUs %s: %s"), call->vcpu,
                   *call->cpuset != '\0' ? call->cpuset : _("(all)"), g_strerror (saved_errno));
      hangard_invocation_answer (call->invocation, FALSE, error);
      return;
    }
  record_running (call->machine, pinned);

  if (call->config)
    {
      config = hangard_domain_pin_vcpu (hangard_machine_get_domain (call->machine), call->vcpu,
                                        *call->cpuset != '\0' ? call->cpuset : NULL, &error);
      if (config == NULL || !store_definition (call->machine, config, &error))
        {
          hangard_invocation_answer (call->invocation, FALSE, error);
          return;
        }
    }
  g_dbus_method_invocation_return_value (call->invocation, targets_result (TRUE, call->config));
}

static gboolean
handle_pin_vcpu (HangarMachine         *iface,
                 GDBusMethodInvocation *invocation,
                 guint                  vcpu,
                 const char            *cpuset,
                 GVariant              *options)
{
  HangardMachine *machine = HANGARD_MACHINE (iface);
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardDomain) config = NULL;
  g_autoptr(HangardDomain) running = NULL;
  gboolean live = FALSE;
  gboolean store = FALSE;
  const char *problem = NULL;
  cpu_set_t set;
  PinCall *call;

  if (!hangard_daemon_authorize (hangard_machine_get_daemon (machine), invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;
  if (!parse_targets (machine, options, &live, &store, &error))
    return hangard_invocation_answer (invocation, FALSE, error);

  if (*cpuset != '\0' && !hangard_cpuset_parse (cpuset, &set, &problem))
    {
      g_set_error (&error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("Invalid CPU list '%s': %s"), cpuset, problem);
      return hangard_invocation_answer (invocation, FALSE, error);
    }

  /* What the definition makes of it, checked before anything changes. */
  if (store)
    {
      config = hangard_domain_pin_vcpu (hangard_machine_get_domain (machine), vcpu,
                                        *cpuset != '\0' ? cpuset : NULL, &error);
      if (config == NULL)
        return hangard_invocation_answer (invocation, FALSE, error);
    }
  if (!live)
    {
      if (!store_definition (machine, config, &error))
        return hangard_invocation_answer (invocation, FALSE, error);
      g_dbus_method_invocation_return_value (invocation, targets_result (FALSE, TRUE));
      return TRUE;
    }

  running = running_domain (machine);
  if (vcpu >= running->vcpus)
    {
      g_set_error (&error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("Machine '%s' has no vCPU %u: its vCPUs are 0 to %u"),
                   hangard_machine_get_name (machine), vcpu, running->vcpus - 1);
      return hangard_invocation_answer (invocation, FALSE, error);
    }

  call = g_new0 (PinCall, 1);
  call->invocation = g_object_ref (invocation);
  call->machine = g_object_ref (machine);
  call->vcpu = vcpu;
  call->cpuset = g_strdup (cpuset);
  call->config = store;
  hangard_qmp_execute_async (hangard_vm_get_qmp (hangard_machine_get_vm (machine)), "query-cpus-fast",
                             NULL, -1, NULL, on_vcpus_for_pin, call);
  return TRUE;
}

void
hangard_devices_iface_init (HangarMachineIface *iface)
{
  iface->handle_attach_device = handle_attach_device;
  iface->handle_detach_device = handle_detach_device;
  iface->handle_update_device = handle_update_device;
  iface->handle_set_memory = handle_set_memory;
  iface->handle_set_vcpus = handle_set_vcpus;
  iface->handle_pin_vcpu = handle_pin_vcpu;
}
