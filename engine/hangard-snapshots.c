/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-snapshots"

#include "hangard-snapshots.h"
#include "hangard-error.h"
#include "hangard-machine.h"
#include "hangard-qemu-img.h"
#include "hangard-qmp.h"
#include "hangard-storage.h"
#include "hangard-vm.h"
#include "hangard-xml.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

/* How often a QMP snapshot job is asked how it is doing. */
#define JOB_POLL_MSEC 100
#define CURRENT_FILE "current"
#define RECORD_SUFFIX ".xml"

struct _HangardSnapshots
{
  GObject           parent_instance;

  HangardDaemon    *daemon;        /* owns the machine */
  HangardMachine   *machine;       /* owns us */
  char             *dir;           /* <config>/snapshots/<uuid> */
  char             *machine_path;
  GPtrArray        *snapshots;     /* HangardSnapshot*, owned, oldest first */
  HangardSnapshot  *current;       /* in `snapshots`, or NULL */
  guint             next_number;   /* for object paths */
  gboolean          busy;          /* an operation is under way */
};

G_DEFINE_FINAL_TYPE (HangardSnapshots, hangard_snapshots, G_TYPE_OBJECT)

/* ---- Disks ---------------------------------------------------------------- */

/* A disk that takes part in snapshots: written to by the guest, qcow2. */
typedef struct {
  char *target;   /* "vda" */
  char *path;     /* the image file */
  char *node;     /* QEMU's block node: the argv builder names it "drive-<target>" */
} SnapDisk;

static void
snap_disk_free (SnapDisk *disk)
{
  if (disk == NULL)
    return;
  g_free (disk->target);
  g_free (disk->path);
  g_free (disk->node);
  g_free (disk);
}

/* The writable disks of `resolved` (volumes resolved to files). CD-ROMs
 * and read-only disks are no part of a snapshot; a raw disk written to
 * cannot hold one: refused when `refuse_raw`, else skipped. */
static GPtrArray *
collect_disks (HangardDomain  *resolved,
               gboolean        refuse_raw,
               GError        **error)
{
  g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func ((GDestroyNotify) snap_disk_free);

  for (guint i = 0; i < resolved->disks->len; i++)
    {
      HangardDiskDef *def = g_ptr_array_index (resolved->disks, i);
      SnapDisk *disk;

      if (def->device == HANGARD_DISK_DEVICE_CDROM || def->readonly || def->source_file == NULL)
        continue;
      if (def->format != HANGARD_DISK_FORMAT_QCOW2)
        {
          if (!refuse_raw)
            continue;
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       _("Disk %s (%s) is %s: internal snapshots need every disk the guest writes "
                         "to be qcow2 (convert it with qemu-img convert -O qcow2, or make it read-only)"),
                       def->target_dev, def->source_file, hangard_disk_format_to_string (def->format));
          return NULL;
        }
      disk = g_new0 (SnapDisk, 1);
      disk->target = g_strdup (def->target_dev);
      disk->path = g_strdup (def->source_file);
      disk->node = g_strdup_printf ("drive-%s", def->target_dev);
      g_ptr_array_add (disks, disk);
    }
  return g_steal_pointer (&disks);
}

static JsonArray *
disk_nodes (GPtrArray *disks)
{
  JsonArray *nodes = json_array_new ();

  for (guint i = 0; i < disks->len; i++)
    json_array_add_string_element (nodes, ((SnapDisk *) g_ptr_array_index (disks, i))->node);
  return nodes;
}

/* ---- QMP commands and jobs ------------------------------------------------ */

typedef struct {
  HangardQmp *qmp;
  char       *job_id;    /* NULL for a plain command */
  guint       poll;
} QmpRun;

static void
qmp_run_free (QmpRun *run)
{
  g_clear_handle_id (&run->poll, g_source_remove);
  g_clear_object (&run->qmp);
  g_free (run->job_id);
  g_free (run);
}

/* QEMU's refusals are HANGAR_ERROR_QEMU already; anything else means the
 * connection went (QEMU ended meanwhile). */
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

static void poll_job (GTask *task);

static void
on_job_dismissed (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data G_GNUC_UNUSED)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);

  if (node == NULL)
    g_debug ("job-dismiss failed: %s", error->message);
}

static JsonObject *
find_job (JsonNode   *jobs,
          const char *id)
{
  JsonArray *array = JSON_NODE_HOLDS_ARRAY (jobs) ? json_node_get_array (jobs) : NULL;

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      JsonObject *job = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;

      if (job != NULL && g_strcmp0 (json_object_get_string_member_with_default (job, "id", NULL), id) == 0)
        return job;
    }
  return NULL;
}

static void
on_jobs_queried (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  QmpRun *run = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);
  g_autoptr(JsonObject) arguments = NULL;
  JsonObject *job;
  const char *job_error;

  if (node == NULL)
    {
      g_task_return_error (task, qmp_error (error));
      return;
    }
  job = find_job (node, run->job_id);
  if (job == NULL)
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                               _("QEMU lost track of its job %s"), run->job_id);
      return;
    }
  if (g_strcmp0 (json_object_get_string_member_with_default (job, "status", ""), "concluded") != 0)
    {
      poll_job (task);
      return;
    }

  job_error = json_object_get_string_member_with_default (job, "error", NULL);
  arguments = json_object_new ();
  json_object_set_string_member (arguments, "id", run->job_id);
  hangard_qmp_execute_async (run->qmp, "job-dismiss", arguments, -1, NULL, on_job_dismissed, NULL);
  if (job_error != NULL)
    g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_QEMU, "%s", job_error);
  else
    g_task_return_boolean (task, TRUE);
}

static gboolean
on_poll_timeout (gpointer user_data)
{
  GTask *task = user_data;
  QmpRun *run = g_task_get_task_data (task);

  run->poll = 0;
  hangard_qmp_execute_async (run->qmp, "query-jobs", NULL, -1, NULL, on_jobs_queried, g_object_ref (task));
  return G_SOURCE_REMOVE;
}

static void
poll_job (GTask *task)
{
  QmpRun *run = g_task_get_task_data (task);

  run->poll = g_timeout_add_full (G_PRIORITY_DEFAULT, JOB_POLL_MSEC, on_poll_timeout,
                                  g_object_ref (task), g_object_unref);
}

static void
on_qmp_run_reply (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  QmpRun *run = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);

  if (node == NULL)
    g_task_return_error (task, qmp_error (error));
  else if (run->job_id == NULL)
    g_task_return_boolean (task, TRUE);
  else
    poll_job (task);
}

/* Runs `command`; for a job (`is_job`: snapshot-save, -load, -delete)
 * gives it a job-id, waits until it has concluded (polling query-jobs),
 * dismisses it and reports its error. */
static void
qmp_run_async (HangardQmp          *qmp,
               const char          *command,
               JsonObject          *arguments,
               gboolean             is_job,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  static guint next_job_number = 1;
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  QmpRun *run = g_new0 (QmpRun, 1);

  run->qmp = g_object_ref (qmp);
  g_task_set_task_data (task, run, (GDestroyNotify) qmp_run_free);
  if (is_job)
    {
      run->job_id = g_strdup_printf ("hangar-snapshot-%u", next_job_number++);
      json_object_set_string_member (arguments, "job-id", run->job_id);
    }
  hangard_qmp_execute_async (qmp, command, arguments, -1, NULL, on_qmp_run_reply, task);
}

static gboolean
qmp_run_finish (GAsyncResult  *result,
                GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- qemu-img on each disk, one after the other --------------------------- */

typedef enum {
  CHECK_ABSENT,    /* every disk must lack the tag: AlreadyExists otherwise */
  CHECK_PRESENT,   /* every disk must hold it: NotFound otherwise */
  CHECK_FILTER,    /* keep the disks that hold it (and can be read) */
  RUN_QEMU_IMG,    /* qemu-img snapshot `op` on each, stopping at the first failure */
} DiskLoopKind;

typedef struct {
  GPtrArray                *disks;
  GPtrArray                *kept;     /* CHECK_FILTER: SnapDisk* of `disks`, not owned */
  DiskLoopKind              kind;
  HangardQemuImgSnapshotOp  op;
  char                     *tag;
  guint                     index;    /* the disk being worked on; = disks done */
} DiskLoop;

static void
disk_loop_free (DiskLoop *loop)
{
  g_ptr_array_unref (loop->disks);
  g_ptr_array_unref (loop->kept);
  g_free (loop->tag);
  g_free (loop);
}

static void disk_loop_step (GTask *task);

static void
on_disk_listed (GObject      *source G_GNUC_UNUSED,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DiskLoop *loop = g_task_get_task_data (task);
  SnapDisk *disk = g_ptr_array_index (loop->disks, loop->index);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = hangard_qemu_img_snapshot_list_finish (result, &error);
  gboolean present = names != NULL && g_strv_contains ((const char * const *) names, loop->tag);

  if (names == NULL)
    {
      if (loop->kind != CHECK_FILTER)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_message ("Skipping disk %s: %s", disk->path, error->message);
    }
  else if (loop->kind == CHECK_ABSENT && present)
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                               _("Disk %s (%s) already holds an internal snapshot named '%s'"),
                               disk->target, disk->path, loop->tag);
      return;
    }
  else if (loop->kind == CHECK_PRESENT && !present)
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                               _("Disk %s (%s) holds no snapshot named '%s' (was it replaced since?)"),
                               disk->target, disk->path, loop->tag);
      return;
    }
  else if (loop->kind == CHECK_FILTER && present)
    g_ptr_array_add (loop->kept, disk);

  loop->index++;
  disk_loop_step (task);
}

static void
on_disk_snapshot_done (GObject      *source G_GNUC_UNUSED,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DiskLoop *loop = g_task_get_task_data (task);
  GError *error = NULL;

  if (!hangard_qemu_img_snapshot_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  loop->index++;
  disk_loop_step (task);
}

static void
disk_loop_step (GTask *task)
{
  DiskLoop *loop = g_task_get_task_data (task);
  SnapDisk *disk;

  if (loop->index >= loop->disks->len)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  disk = g_ptr_array_index (loop->disks, loop->index);
  if (loop->kind == RUN_QEMU_IMG)
    hangard_qemu_img_snapshot_async (disk->path, "qcow2", loop->op, loop->tag, NULL,
                                     on_disk_snapshot_done, g_object_ref (task));
  else
    hangard_qemu_img_snapshot_list_async (disk->path, "qcow2", NULL, on_disk_listed, g_object_ref (task));
}

static void
disk_loop_async (GPtrArray                *disks,
                 DiskLoopKind              kind,
                 HangardQemuImgSnapshotOp  op,
                 const char               *tag,
                 GAsyncReadyCallback       callback,
                 gpointer                  user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, callback, user_data);
  DiskLoop *loop = g_new0 (DiskLoop, 1);

  loop->disks = g_ptr_array_ref (disks);
  loop->kept = g_ptr_array_new ();
  loop->kind = kind;
  loop->op = op;
  loop->tag = g_strdup (tag);
  g_task_set_task_data (task, loop, (GDestroyNotify) disk_loop_free);
  disk_loop_step (task);
}

/* `done` (nullable): how many disks were done, also on failure.
 * `kept` (nullable): CHECK_FILTER's result, a new array of SnapDisk* that
 * the loop's `disks` own. */
static gboolean
disk_loop_finish (GAsyncResult  *result,
                  guint         *done,
                  GPtrArray    **kept,
                  GError       **error)
{
  DiskLoop *loop = g_task_get_task_data (G_TASK (result));

  if (done != NULL)
    *done = loop->index;
  if (kept != NULL)
    *kept = g_ptr_array_ref (loop->kept);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Records on disk ------------------------------------------------------ */

static char *
record_path (HangardSnapshots *self,
             const char       *name)
{
  g_autofree char *file = g_strconcat (name, RECORD_SUFFIX, NULL);

  return g_build_filename (self->dir, file, NULL);
}

static gboolean
ensure_dir (HangardSnapshots  *self,
            GError           **error)
{
  if (g_mkdir_with_parents (self->dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot create %s: %s"),
                   self->dir, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/* Temporary file, fsync, rename: a crash leaves the old or the new record. */
static gboolean
write_file (const char  *path,
            const char  *contents,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!g_file_set_contents_full (path, contents, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, &local_error))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot write %s: %s"),
                   path, local_error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_record (HangardSnapshots  *self,
              HangardSnapshot   *snapshot,
              GError           **error)
{
  g_autofree char *path = record_path (self, hangard_snapshot_get_name (snapshot));
  g_autofree char *xml = hangard_snapshot_to_xml (snapshot);

  return ensure_dir (self, error) && write_file (path, xml, error);
}

static void
write_current (HangardSnapshots *self)
{
  g_autofree char *path = g_build_filename (self->dir, CURRENT_FILE, NULL);
  g_autoptr(GError) error = NULL;

  if (self->current == NULL)
    {
      if (g_unlink (path) != 0 && errno != ENOENT)
        g_warning ("Cannot remove %s: %s", path, g_strerror (errno));
      return;
    }
  {
    g_autofree char *contents = g_strconcat (hangard_snapshot_get_name (self->current), "\n", NULL);

    if (!ensure_dir (self, &error) || !write_file (path, contents, &error))
      g_warning ("Cannot record the current snapshot: %s", error->message);
  }
}

/* ---- The tree and its objects --------------------------------------------- */

static HangardSnapshot *
find_snapshot (HangardSnapshots *self,
               const char       *name)
{
  for (guint i = 0; name != NULL && i < self->snapshots->len; i++)
    {
      HangardSnapshot *snapshot = g_ptr_array_index (self->snapshots, i);

      if (g_str_equal (hangard_snapshot_get_name (snapshot), name))
        return snapshot;
    }
  return NULL;
}

static void
sync_machine (HangardSnapshots *self)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  HangarMachine *machine = HANGAR_MACHINE (self->machine);

  for (guint i = 0; i < self->snapshots->len; i++)
    {
      HangardSnapshot *snapshot = g_ptr_array_index (self->snapshots, i);

      g_ptr_array_add (paths, (gpointer) hangard_snapshot_get_object_path (snapshot));
      g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (snapshot));
    }
  g_ptr_array_add (paths, NULL);
  hangar_machine_set_snapshots (machine, (const char * const *) paths->pdata);
  hangar_machine_set_current_snapshot (machine, self->current != NULL
                                                ? hangard_snapshot_get_object_path (self->current) : "/");
  /* Before any reply: a caller sees the state its call produced. */
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (machine));
}

static void
set_current (HangardSnapshots *self,
             HangardSnapshot  *snapshot)
{
  if (self->current != NULL)
    hangard_snapshot_set_current (self->current, FALSE);
  self->current = snapshot;
  if (snapshot != NULL)
    hangard_snapshot_set_current (snapshot, TRUE);
  write_current (self);
}

static void
assign_path (HangardSnapshots *self,
             HangardSnapshot  *snapshot)
{
  g_autofree char *path = g_strdup_printf ("%s/snapshots/%u", self->machine_path, ++self->next_number);

  hangard_snapshot_set_object_path (snapshot, path);
}

static void
export_snapshot (HangardSnapshots *self,
                 HangardSnapshot  *snapshot)
{
  g_autoptr(HangarObjectSkeleton) object =
    hangar_object_skeleton_new (hangard_snapshot_get_object_path (snapshot));

  hangar_object_skeleton_set_snapshot (object, HANGAR_SNAPSHOT (snapshot));
  g_dbus_object_manager_server_export (hangard_daemon_get_object_manager (self->daemon),
                                       G_DBUS_OBJECT_SKELETON (object));
}

static void
unexport_snapshot (HangardSnapshots *self,
                   HangardSnapshot  *snapshot)
{
  GDBusObjectManagerServer *object_manager = hangard_daemon_get_object_manager (self->daemon);

  if (object_manager != NULL)
    g_dbus_object_manager_server_unexport (object_manager, hangard_snapshot_get_object_path (snapshot));
}

/* Removes a snapshot whose data is gone from the disks: its children move
 * up to its parent (as libvirt does), its parent becomes current if it
 * was, its record goes. */
static void
forget_snapshot (HangardSnapshots *self,
                 HangardSnapshot  *snapshot)
{
  HangardSnapshot *parent = hangard_snapshot_get_parent (snapshot);
  g_autoptr(GPtrArray) children = g_ptr_array_copy (hangard_snapshot_get_children (snapshot), NULL, NULL);
  g_autofree char *path = record_path (self, hangard_snapshot_get_name (snapshot));

  for (guint i = 0; i < children->len; i++)
    {
      HangardSnapshot *child = g_ptr_array_index (children, i);
      g_autoptr(GError) error = NULL;

      hangard_snapshot_set_parent (child, parent);
      if (!write_record (self, child, &error))
        g_warning ("Cannot record the new parent of snapshot %s: %s",
                   hangard_snapshot_get_name (child), error->message);
    }
  if (self->current == snapshot)
    set_current (self, parent);
  hangard_snapshot_set_parent (snapshot, NULL);

  if (g_unlink (path) != 0 && errno != ENOENT)
    g_warning ("Cannot remove %s: %s", path, g_strerror (errno));
  g_message ("Deleted snapshot %s of %s", hangard_snapshot_get_name (snapshot),
             hangard_machine_get_name (self->machine));
  unexport_snapshot (self, snapshot);
  hangard_snapshot_detach (snapshot);
  g_ptr_array_remove (self->snapshots, snapshot);
}

/* ---- Loading -------------------------------------------------------------- */

static int
compare_age (gconstpointer a,
             gconstpointer b)
{
  HangardSnapshot *sa = *(HangardSnapshot * const *) a;
  HangardSnapshot *sb = *(HangardSnapshot * const *) b;
  guint64 ta = hangard_snapshot_get_creation_time (sa);
  guint64 tb = hangard_snapshot_get_creation_time (sb);

  if (ta != tb)
    return ta < tb ? -1 : 1;
  return strcmp (hangard_snapshot_get_name (sa), hangard_snapshot_get_name (sb));
}

static HangardSnapshot *
load_record (HangardSnapshots *self,
             const char       *file)
{
  g_autofree char *path = g_build_filename (self->dir, file, NULL);
  g_autofree char *xml = NULL;
  g_autofree char *expected = g_strndup (file, strlen (file) - strlen (RECORD_SUFFIX));
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  xmlDoc *record;
  HangardSnapshot *snapshot;

  if (!g_file_get_contents (path, &xml, &length, &error) ||
      (record = hangard_snapshot_parse_record (xml, (gssize) length, &error)) == NULL)
    {
      /* Kept: a newer or a fixed engine may read it. */
      g_warning ("Skipping snapshot record %s: %s", path, error->message);
      return NULL;
    }
  snapshot = hangard_snapshot_new (self, self->machine_path, record);
  if (!g_str_equal (hangard_snapshot_get_name (snapshot), expected))
    {
      g_warning ("Skipping snapshot record %s: it names snapshot '%s'", path,
                 hangard_snapshot_get_name (snapshot));
      g_object_unref (snapshot);
      return NULL;
    }
  return snapshot;
}

static char *
read_current_name (HangardSnapshots *self)
{
  g_autofree char *path = g_build_filename (self->dir, CURRENT_FILE, NULL);
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  return g_strdup (g_strstrip (contents));
}

void
hangard_snapshots_load (HangardSnapshots *self)
{
  g_autoptr(GDir) dir = g_dir_open (self->dir, 0, NULL);
  g_autofree char *current = NULL;
  const char *file;

  if (dir == NULL)
    {
      sync_machine (self);
      return;
    }
  while ((file = g_dir_read_name (dir)) != NULL)
    {
      HangardSnapshot *snapshot;

      if (file[0] == '.' || !g_str_has_suffix (file, RECORD_SUFFIX) || strlen (file) == strlen (RECORD_SUFFIX))
        continue;
      snapshot = load_record (self, file);
      if (snapshot != NULL)
        g_ptr_array_add (self->snapshots, snapshot);
    }
  g_ptr_array_sort (self->snapshots, compare_age);

  for (guint i = 0; i < self->snapshots->len; i++)
    assign_path (self, g_ptr_array_index (self->snapshots, i));
  for (guint i = 0; i < self->snapshots->len; i++)
    {
      HangardSnapshot *snapshot = g_ptr_array_index (self->snapshots, i);
      g_autofree char *parent_name = hangard_snapshot_dup_parent_name (snapshot);
      HangardSnapshot *parent = find_snapshot (self, parent_name);

      if (parent_name != NULL && parent == NULL)
        g_warning ("Snapshot %s of %s: its parent %s is gone; it is a root now",
                   hangard_snapshot_get_name (snapshot), hangard_machine_get_name (self->machine),
                   parent_name);
      /* A record naming itself, or a loop, would hang walks of the tree. */
      for (HangardSnapshot *up = parent; up != NULL; up = hangard_snapshot_get_parent (up))
        if (up == snapshot)
          {
            g_warning ("Snapshot %s of %s: its ancestors loop; it is a root now",
                       hangard_snapshot_get_name (snapshot), hangard_machine_get_name (self->machine));
            parent = NULL;
            break;
          }
      hangard_snapshot_set_parent (snapshot, parent);
    }

  current = read_current_name (self);
  self->current = find_snapshot (self, current);
  if (self->current != NULL)
    hangard_snapshot_set_current (self->current, TRUE);

  for (guint i = 0; i < self->snapshots->len; i++)
    export_snapshot (self, g_ptr_array_index (self->snapshots, i));
  sync_machine (self);
}

/* ---- Operations: shared --------------------------------------------------- */

typedef struct {
  HangardSnapshots *self;
  gboolean          holds_busy;
  HangardSnapshot  *snapshot;       /* revert, delete: the one asked for; create: the new one */
  char             *name;           /* create */
  char             *description;    /* create */
  char             *state;          /* create: what the record says */
  gboolean          has_memory;     /* create */
  gboolean          disk_only;      /* create */
  HangardQmp       *qmp;            /* non-NULL: QEMU runs and does the work */
  HangardDomain    *domain;         /* create: the definition now; revert: the snapshot's */
  char             *domain_xml;     /* revert: the snapshot's definition, under today's name */
  GPtrArray        *disks;          /* SnapDisk* */
  GPtrArray        *targets;        /* delete: HangardSnapshot* (owned refs), leaves first */
  guint             index;          /* delete: the target being deleted */
  GError           *failure;        /* create: the error being rolled back */
} Op;

static void
op_free (Op *op)
{
  g_clear_object (&op->self);
  g_clear_object (&op->snapshot);
  g_free (op->name);
  g_free (op->description);
  g_free (op->state);
  g_clear_object (&op->qmp);
  g_clear_pointer (&op->domain, hangard_domain_free);
  g_free (op->domain_xml);
  g_clear_pointer (&op->disks, g_ptr_array_unref);
  g_clear_pointer (&op->targets, g_ptr_array_unref);
  g_clear_error (&op->failure);
  g_free (op);
}

static GTask *
op_task_new (HangardSnapshots    *self,
             gpointer             source_tag,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Op *op = g_new0 (Op, 1);

  op->self = g_object_ref (self);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);
  return task;
}

/* Claims the machine's one snapshot operation. */
static gboolean
op_begin (GTask   *task,
          GError **error)
{
  Op *op = g_task_get_task_data (task);

  if (op->self->busy)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Another snapshot operation on machine '%s' is under way: try again when it is done"),
                   hangard_machine_get_name (op->self->machine));
      return FALSE;
    }
  op->self->busy = TRUE;
  op->holds_busy = TRUE;
  return TRUE;
}

static void
op_release (GTask *task)
{
  Op *op = g_task_get_task_data (task);

  if (op->holds_busy)
    op->self->busy = FALSE;
  op->holds_busy = FALSE;
}

static void
op_fail (GTask  *task,
         GError *error)
{
  op_release (task);
  g_task_return_error (task, error);
}

static void
op_succeed (GTask *task)
{
  Op *op = g_task_get_task_data (task);

  op_release (task);
  sync_machine (op->self);
  g_task_return_boolean (task, TRUE);
}

static gboolean
lookup_bool_option (GVariant    *options,
                    const char  *key,
                    gboolean    *value,
                    GError     **error)
{
  g_autoptr(GVariant) found = g_variant_lookup_value (options, key, NULL);

  if (found == NULL)
    return TRUE;
  if (!g_variant_is_of_type (found, G_VARIANT_TYPE_BOOLEAN))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("Option '%s' must be a boolean (type b), not %s"), key,
                   g_variant_get_type_string (found));
      return FALSE;
    }
  *value = g_variant_get_boolean (found);
  return TRUE;
}

/* Whether QEMU runs: then `*qmp` is its QMP connection. A machine between
 * states cannot take part. */
static gboolean
check_machine_state (HangardSnapshots  *self,
                     HangardQmp       **qmp,
                     GError           **error)
{
  HangardVm *vm = hangard_machine_get_vm (self->machine);
  const char *name = hangard_machine_get_name (self->machine);

  *qmp = NULL;
  if (!hangard_vm_is_active (vm))
    return TRUE;

  switch (hangard_vm_get_state (vm))
    {
    case HANGARD_VM_STATE_RUNNING:
    case HANGARD_VM_STATE_PAUSED:
      break;
    case HANGARD_VM_STATE_STARTING:
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Machine '%s' is starting: try again once it runs"), name);
      return FALSE;
    default:
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Machine '%s' is shutting down: try again once it is off"), name);
      return FALSE;
    }
  if (hangard_vm_get_qmp (vm) == NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("The engine cannot talk to the QEMU of machine '%s'; only forcing it off is possible"),
                   name);
      return FALSE;
    }
  *qmp = g_object_ref (hangard_vm_get_qmp (vm));
  return TRUE;
}

/* The definition QEMU runs (its disks, its devices: what a memory state
 * belongs to), else the stored one. */
static HangardDomain *
running_domain (HangardSnapshots *self,
                HangardQmp       *qmp)
{
  const char *running_xml = qmp != NULL ? hangard_vm_get_running_xml (hangard_machine_get_vm (self->machine)) : NULL;
  HangardDomain *domain = running_xml != NULL ? hangard_domain_parse (running_xml, -1, NULL) : NULL;

  return domain != NULL ? domain : hangard_domain_copy (hangard_machine_get_domain (self->machine));
}

static HangardDomain *
resolve (HangardSnapshots  *self,
         HangardDomain     *domain,
         GError           **error)
{
  return hangard_storage_resolve_domain (hangard_daemon_get_storage (self->daemon), domain, error);
}

/* Removes `tag` from `disks`: QEMU's snapshot-delete job while it runs
 * (disks without the tag are skipped), else qemu-img on the disks that
 * hold it. */
typedef struct {
  GPtrArray *disks;
  char      *tag;
} RemoveTag;

static void
remove_tag_free (RemoveTag *remove)
{
  g_ptr_array_unref (remove->disks);
  g_free (remove->tag);
  g_free (remove);
}

static void
on_tag_removed (GObject      *source G_GNUC_UNUSED,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!disk_loop_finish (result, NULL, NULL, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_tag_holders_found (GObject      *source G_GNUC_UNUSED,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RemoveTag *remove = g_task_get_task_data (task);
  g_autoptr(GPtrArray) holders = NULL;
  GError *error = NULL;

  if (!disk_loop_finish (result, NULL, &holders, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  /* `holders` points into remove->disks, which this task keeps alive. */
  disk_loop_async (holders, RUN_QEMU_IMG, HANGARD_QEMU_IMG_SNAPSHOT_DELETE, remove->tag,
                   on_tag_removed, g_object_ref (task));
}

static void
on_tag_removed_by_qemu (GObject      *source G_GNUC_UNUSED,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!qmp_run_finish (result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
remove_tag_async (HangardQmp          *qmp,
                  GPtrArray           *disks,
                  const char          *tag,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, callback, user_data);
  RemoveTag *remove = g_new0 (RemoveTag, 1);

  remove->disks = g_ptr_array_ref (disks);
  remove->tag = g_strdup (tag);
  g_task_set_task_data (task, remove, (GDestroyNotify) remove_tag_free);

  if (disks->len == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (qmp != NULL)
    {
      g_autoptr(JsonObject) arguments = json_object_new ();

      json_object_set_string_member (arguments, "tag", tag);
      json_object_set_array_member (arguments, "devices", disk_nodes (disks));
      qmp_run_async (qmp, "snapshot-delete", arguments, TRUE, on_tag_removed_by_qemu,
                     g_steal_pointer (&task));
      return;
    }
  disk_loop_async (disks, CHECK_FILTER, 0, tag, on_tag_holders_found, g_steal_pointer (&task));
}

static gboolean
remove_tag_finish (GAsyncResult  *result,
                   GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Create --------------------------------------------------------------- */

static void
on_create_rolled_back (GObject      *source G_GNUC_UNUSED,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!remove_tag_finish (result, &error))
    g_warning ("Cannot remove the partial snapshot %s again: %s", op->name, error->message);
  op_fail (task, g_steal_pointer (&op->failure));
}

/* Undoes a creation that failed after `done` disks got the snapshot. */
static void
roll_back_create (GTask  *task,
                  guint   done,
                  GError *failure)
{
  Op *op = g_task_get_task_data (task);
  g_autoptr(GPtrArray) made = g_ptr_array_new ();

  op->failure = failure;
  for (guint i = 0; i < MIN (done, op->disks->len); i++)
    g_ptr_array_add (made, g_ptr_array_index (op->disks, i));
  remove_tag_async (op->qmp, made, op->name, on_create_rolled_back, g_object_ref (task));
}

static void
finish_create (GTask *task)
{
  Op *op = g_task_get_task_data (task);
  HangardSnapshots *self = op->self;
  HangardSnapshot *parent = self->current;
  g_autoptr(HangardSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  xmlDoc *record;

  record = hangard_snapshot_build_record (op->name, op->description, op->state,
                                          (guint64) (g_get_real_time () / G_USEC_PER_SEC),
                                          op->has_memory,
                                          parent != NULL ? hangard_snapshot_get_name (parent) : NULL,
                                          op->domain);
  snapshot = hangard_snapshot_new (self, self->machine_path, record);
  assign_path (self, snapshot);
  if (!write_record (self, snapshot, &error))
    {
      roll_back_create (task, op->disks->len, g_steal_pointer (&error));
      return;
    }

  hangard_snapshot_set_parent (snapshot, parent);
  g_ptr_array_add (self->snapshots, g_object_ref (snapshot));
  export_snapshot (self, snapshot);
  set_current (self, snapshot);
  g_message ("Created snapshot %s of %s (%s)", op->name, hangard_machine_get_name (self->machine), op->state);

  op_release (task);
  sync_machine (self);
  g_task_return_pointer (task, g_object_ref (snapshot), g_object_unref);
}

static void
on_created_by_qemu (GObject      *source G_GNUC_UNUSED,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;

  if (!qmp_run_finish (result, &error))
    {
      g_prefix_error (&error, _("QEMU could not take snapshot '%s': "), op->name);
      /* A failed snapshot-save may leave the tag on the disks done so far. */
      roll_back_create (task, op->disk_only ? 0 : op->disks->len, error);
      return;
    }
  finish_create (task);
}

static void
on_created_by_qemu_img (GObject      *source G_GNUC_UNUSED,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  guint done = 0;

  if (!disk_loop_finish (result, &done, NULL, &error))
    {
      roll_back_create (task, done, error);
      return;
    }
  finish_create (task);
}

static void
on_create_checked (GObject      *source G_GNUC_UNUSED,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  g_autoptr(JsonObject) arguments = json_object_new ();
  GError *error = NULL;

  if (!disk_loop_finish (result, NULL, NULL, &error))
    {
      op_fail (task, error);
      return;
    }

  if (op->qmp == NULL)
    {
      disk_loop_async (op->disks, RUN_QEMU_IMG, HANGARD_QEMU_IMG_SNAPSHOT_CREATE, op->name,
                       on_created_by_qemu_img, g_steal_pointer (&task));
      return;
    }

  if (op->disk_only)
    {
      /* QEMU 7.2's snapshot-save always saves the memory; disks alone are
       * one transaction, so they are all taken at the same instant. */
      JsonArray *actions = json_array_new ();

      for (guint i = 0; i < op->disks->len; i++)
        {
          SnapDisk *disk = g_ptr_array_index (op->disks, i);
          JsonObject *action = json_object_new ();
          JsonObject *data = json_object_new ();

          json_object_set_string_member (data, "device", disk->node);
          json_object_set_string_member (data, "name", op->name);
          json_object_set_string_member (action, "type", "blockdev-snapshot-internal-sync");
          json_object_set_object_member (action, "data", data);
          json_array_add_object_element (actions, action);
        }
      json_object_set_array_member (arguments, "actions", actions);
      qmp_run_async (op->qmp, "transaction", arguments, FALSE, on_created_by_qemu, g_steal_pointer (&task));
      return;
    }

  /* The memory goes into the first disk, every disk gets the tag. */
  json_object_set_string_member (arguments, "tag", op->name);
  json_object_set_string_member (arguments, "vmstate", ((SnapDisk *) g_ptr_array_index (op->disks, 0))->node);
  json_object_set_array_member (arguments, "devices", disk_nodes (op->disks));
  qmp_run_async (op->qmp, "snapshot-save", arguments, TRUE, on_created_by_qemu, g_steal_pointer (&task));
}

static gboolean
check_description (const char  *description,
                   GError     **error)
{
  g_autofree char *valid = NULL;

  if (strlen (description) > HANGARD_DOMAIN_MAX_XML_SIZE / 4)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("The description is too long (at most %d bytes)"), HANGARD_DOMAIN_MAX_XML_SIZE / 4);
      return FALSE;
    }
  valid = hangard_xml_make_valid_text (description);
  if (!g_str_equal (valid, description))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("The description holds control characters, which XML cannot store"));
      return FALSE;
    }
  return TRUE;
}

void
hangard_snapshots_create_async (HangardSnapshots    *self,
                                const char          *name,
                                const char          *description,
                                GVariant            *options,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = op_task_new (self, hangard_snapshots_create_async, cancellable, callback, user_data);
  Op *op = g_task_get_task_data (task);
  const char *allowed[] = { "disk-only", NULL };
  g_autoptr(HangardDomain) resolved = NULL;
  GError *error = NULL;
  HangardVm *vm = hangard_machine_get_vm (self->machine);

  if (!hangard_snapshot_name_is_valid (name, &error) ||
      !check_description (description, &error) ||
      !hangard_check_options (options, allowed, &error) ||
      !lookup_bool_option (options, "disk-only", &op->disk_only, &error))
    {
      op_fail (task, error);
      return;
    }
  if (find_snapshot (self, name) != NULL)
    {
      op_fail (task, g_error_new (HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                                  _("Machine '%s' already has a snapshot named '%s'"),
                                  hangard_machine_get_name (self->machine), name));
      return;
    }
  if (!check_machine_state (self, &op->qmp, &error))
    {
      op_fail (task, error);
      return;
    }

  op->name = g_strdup (name);
  op->description = g_strdup (description);
  op->domain = running_domain (self, op->qmp);
  if (op->qmp == NULL)
    op->state = g_strdup ("shutoff");
  else if (op->disk_only)
    op->state = g_strdup ("disk-snapshot");
  else
    {
      op->state = g_strdup (hangard_vm_get_state (vm) == HANGARD_VM_STATE_PAUSED ? "paused" : "running");
      op->has_memory = TRUE;
    }

  resolved = resolve (self, op->domain, &error);
  if (resolved == NULL || (op->disks = collect_disks (resolved, TRUE, &error)) == NULL)
    {
      op_fail (task, error);
      return;
    }
  if (op->disks->len == 0)
    {
      op_fail (task, g_error_new (HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                                  _("Machine '%s' has no disk to keep a snapshot in: internal snapshots "
                                    "live in the qcow2 disks the guest writes to"),
                                  hangard_machine_get_name (self->machine)));
      return;
    }
  if (!op_begin (task, &error))
    {
      op_fail (task, error);
      return;
    }
  disk_loop_async (op->disks, CHECK_ABSENT, 0, name, on_create_checked, g_steal_pointer (&task));
}

HangardSnapshot *
hangard_snapshots_create_finish (HangardSnapshots  *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Revert --------------------------------------------------------------- */

static void
finish_revert (GTask *task)
{
  Op *op = g_task_get_task_data (task);

  set_current (op->self, op->snapshot);
  g_message ("Reverted %s to snapshot %s", hangard_machine_get_name (op->self->machine),
             hangard_snapshot_get_name (op->snapshot));
  op_succeed (task);
}

static void
on_revert_state_matched (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!hangard_vm_request_finish (HANGARD_VM (source), result, &error))
    {
      g_prefix_error (&error, _("The snapshot was loaded, but "));
      op_fail (task, error);
      return;
    }
  finish_revert (task);
}

static void
on_reverted_by_qemu (GObject      *source G_GNUC_UNUSED,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  HangardVm *vm = hangard_machine_get_vm (op->self->machine);
  gboolean want_paused = g_str_equal (hangard_snapshot_get_state (op->snapshot), "paused");
  HangardVmState state = hangard_vm_get_state (vm);
  GError *error = NULL;

  if (!qmp_run_finish (result, &error))
    {
      g_prefix_error (&error, _("QEMU could not load snapshot '%s' (the machine is left paused): "),
                      hangard_snapshot_get_name (op->snapshot));
      op_fail (task, error);
      return;
    }

  /* QEMU goes on as it was before the load; the machine goes on as it was
   * when the snapshot was taken. */
  if (want_paused && state == HANGARD_VM_STATE_RUNNING)
    hangard_vm_request_async (vm, HANGARD_VM_REQUEST_PAUSE, NULL, on_revert_state_matched, g_steal_pointer (&task));
  else if (!want_paused && state == HANGARD_VM_STATE_PAUSED)
    hangard_vm_request_async (vm, HANGARD_VM_REQUEST_RESUME, NULL, on_revert_state_matched, g_steal_pointer (&task));
  else
    finish_revert (task);
}

static void
on_revert_started (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  GError *error = NULL;

  /* A start that failed before QEMU was spawned must not leave the
   * snapshot for the next ordinary start. */
  hangard_vm_set_loadvm (HANGARD_VM (source), NULL, FALSE);
  if (!hangard_vm_start_finish (HANGARD_VM (source), result, &error))
    {
      g_prefix_error (&error, _("Could not start the machine from snapshot '%s': "),
                      hangard_snapshot_get_name (op->snapshot));
      op_fail (task, error);
      return;
    }
  finish_revert (task);
}

/* QEMU starts with the snapshot loaded (-loadvm), paused if it was.
 * Takes `task`. */
static void
start_from_snapshot (GTask *task)
{
  Op *op = g_task_get_task_data (task);
  HangardMachine *machine = op->self->machine;

  hangard_vm_set_loadvm (hangard_machine_get_vm (machine), hangard_snapshot_get_name (op->snapshot),
                         g_str_equal (hangard_snapshot_get_state (op->snapshot), "paused"));
  /* Not hangard_machine_start_async(): that would resume a managed save. */
  hangard_machine_start_domain_async (machine, hangard_machine_get_domain (machine), NULL,
                                      on_revert_started, g_steal_pointer (&task));
}

static void
on_revert_forced_off (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!hangard_vm_request_finish (HANGARD_VM (source), result, &error))
    {
      op_fail (task, error);
      return;
    }
  start_from_snapshot (g_steal_pointer (&task));
}

static void
on_reverted_by_qemu_img (GObject      *source G_GNUC_UNUSED,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!disk_loop_finish (result, NULL, NULL, &error))
    {
      op_fail (task, error);
      return;
    }
  finish_revert (task);
}

/* The definition the snapshot holds becomes the machine's again. */
static gboolean
restore_definition (Op      *op,
                    GError **error)
{
  HangardMachine *machine = op->self->machine;

  if (hangard_daemon_define_machine (op->self->daemon, op->domain_xml, hangard_machine_get_uuid (machine),
                                     error) == NULL)
    {
      g_prefix_error (error, _("Cannot restore the definition snapshot '%s' holds: "),
                      hangard_snapshot_get_name (op->snapshot));
      return FALSE;
    }
  return TRUE;
}

static void
on_revert_checked (GObject      *source G_GNUC_UNUSED,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  HangardMachine *machine = op->self->machine;
  HangardVm *vm = hangard_machine_get_vm (machine);
  g_autofree char *now_xml = NULL;
  g_autofree char *then_xml = NULL;
  GError *error = NULL;

  if (!disk_loop_finish (result, NULL, NULL, &error))
    {
      op_fail (task, error);
      return;
    }

  if (!hangard_snapshot_has_memory (op->snapshot))
    {
      /* Checked before; the machine may have started since. */
      if (hangard_vm_is_active (vm))
        {
          op_fail (task, g_error_new (HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                                      _("Machine '%s' started meanwhile: shut it off to revert to "
                                        "snapshot '%s'"), hangard_machine_get_name (machine),
                                      hangard_snapshot_get_name (op->snapshot)));
          return;
        }
      if (!restore_definition (op, &error))
        {
          op_fail (task, error);
          return;
        }
      disk_loop_async (op->disks, RUN_QEMU_IMG, HANGARD_QEMU_IMG_SNAPSHOT_APPLY,
                       hangard_snapshot_get_name (op->snapshot), on_reverted_by_qemu_img,
                       g_steal_pointer (&task));
      return;
    }

  {
    g_autoptr(HangardDomain) now = running_domain (op->self, op->qmp);

    now_xml = hangard_domain_to_xml (now);
    then_xml = hangard_domain_to_xml (op->domain);
  }
  if (op->qmp != NULL && hangard_vm_get_qmp (vm) != NULL && g_str_equal (now_xml, then_xml))
    {
      g_autoptr(JsonObject) arguments = json_object_new ();

      json_object_set_string_member (arguments, "tag", hangard_snapshot_get_name (op->snapshot));
      json_object_set_string_member (arguments, "vmstate", ((SnapDisk *) g_ptr_array_index (op->disks, 0))->node);
      json_object_set_array_member (arguments, "devices", disk_nodes (op->disks));
      qmp_run_async (op->qmp, "snapshot-load", arguments, TRUE, on_reverted_by_qemu, g_steal_pointer (&task));
      return;
    }

  /* Shut off, or running another definition than the snapshot's: QEMU
   * starts afresh with the snapshot's definition and state. */
  if (!restore_definition (op, &error))
    {
      op_fail (task, error);
      return;
    }
  if (hangard_vm_is_active (vm))
    hangard_vm_request_async (vm, HANGARD_VM_REQUEST_FORCE_OFF, NULL, on_revert_forced_off, g_steal_pointer (&task));
  else
    start_from_snapshot (g_steal_pointer (&task));
}

/* The snapshot's <domain> under the machine's name of today: a machine
 * renamed since keeps its name. */
static char *
domain_xml_for_machine (HangardSnapshot  *snapshot,
                        const char       *name,
                        GError          **error)
{
  g_autofree char *xml = hangard_snapshot_dup_domain_xml (snapshot);
  g_autoptr(xmlDoc) doc = hangard_xml_parse_safely (xml, -1, HANGARD_DOMAIN_MAX_XML_SIZE, "domain", error);
  xmlNode *name_node;

  if (doc == NULL)
    return NULL;
  name_node = hangard_xml_find_child (xmlDocGetRootElement (doc), "name");
  if (name_node != NULL)
    hangard_xml_set_text (name_node, name);
  return hangard_xml_to_string (doc);
}

void
hangard_snapshots_revert_async (HangardSnapshots    *self,
                                HangardSnapshot     *snapshot,
                                GVariant            *options,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = op_task_new (self, hangard_snapshots_revert_async, cancellable, callback, user_data);
  Op *op = g_task_get_task_data (task);
  g_autoptr(HangardDomain) resolved = NULL;
  GError *error = NULL;

  op->snapshot = g_object_ref (snapshot);
  if (!hangard_check_options (options, NULL, &error) ||
      !check_machine_state (self, &op->qmp, &error))
    {
      op_fail (task, error);
      return;
    }
  /* Its memory goes with disks as they are now: reverting them would
   * leave a save that can never be resumed safely. */
  if (op->qmp == NULL && hangard_machine_has_managed_save (self->machine))
    {
      op_fail (task, g_error_new (HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                                  _("Machine '%s' has a managed save: start it, or remove the save "
                                    "(hangarctl managedsave-remove), before reverting to a snapshot"),
                                  hangard_machine_get_name (self->machine)));
      return;
    }
  if (!hangard_snapshot_has_memory (snapshot) && op->qmp != NULL)
    {
      op_fail (task, g_error_new (HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                                  _("Snapshot '%s' holds the disks only: shut machine '%s' off to revert to it "
                                    "(it then boots from those disks)"),
                                  hangard_snapshot_get_name (snapshot), hangard_machine_get_name (self->machine)));
      return;
    }

  op->domain_xml = domain_xml_for_machine (snapshot, hangard_machine_get_name (self->machine), &error);
  if (op->domain_xml == NULL ||
      (op->domain = hangard_domain_parse (op->domain_xml, -1, &error)) == NULL)
    {
      g_prefix_error (&error, _("The definition snapshot '%s' holds is not usable: "),
                      hangard_snapshot_get_name (snapshot));
      op_fail (task, error);
      return;
    }
  resolved = resolve (self, op->domain, &error);
  if (resolved == NULL || (op->disks = collect_disks (resolved, TRUE, &error)) == NULL)
    {
      op_fail (task, error);
      return;
    }
  if (op->disks->len == 0)
    {
      op_fail (task, g_error_new (HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                                  _("The definition snapshot '%s' holds has no disk to revert"),
                                  hangard_snapshot_get_name (snapshot)));
      return;
    }
  if (!op_begin (task, &error))
    {
      op_fail (task, error);
      return;
    }
  /* Every disk must hold the snapshot before anything changes. */
  disk_loop_async (op->disks, CHECK_PRESENT, 0, hangard_snapshot_get_name (snapshot),
                   on_revert_checked, g_steal_pointer (&task));
}

gboolean
hangard_snapshots_revert_finish (HangardSnapshots  *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Delete --------------------------------------------------------------- */

static void delete_next (GTask *task);

static void
on_deleted_from_disks (GObject      *source G_GNUC_UNUSED,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  HangardSnapshot *target = g_ptr_array_index (op->targets, op->index);
  GError *error = NULL;

  if (!remove_tag_finish (result, &error))
    {
      g_prefix_error (&error, _("Could not delete snapshot '%s' from the disks: "),
                      hangard_snapshot_get_name (target));
      op_fail (task, error);
      sync_machine (op->self);
      return;
    }
  forget_snapshot (op->self, target);
  op->index++;
  delete_next (g_steal_pointer (&task));
}

/* The disks that may hold `target`: the machine's today, and those of the
 * definition it was taken with when they can still be found. */
static GPtrArray *
delete_disks (Op              *op,
              HangardSnapshot *target,
              GError         **error)
{
  g_autoptr(HangardDomain) defined = running_domain (op->self, op->qmp);
  g_autoptr(HangardDomain) now = resolve (op->self, defined, error);
  g_autoptr(GPtrArray) disks = NULL;
  g_autofree char *then_xml = NULL;
  g_autoptr(HangardDomain) then = NULL;
  g_autoptr(HangardDomain) then_resolved = NULL;
  g_autoptr(GPtrArray) then_disks = NULL;

  if (now == NULL || (disks = collect_disks (now, FALSE, error)) == NULL)
    return NULL;
  /* QEMU knows only its own disks. */
  if (op->qmp != NULL)
    return g_steal_pointer (&disks);

  then_xml = hangard_snapshot_dup_domain_xml (target);
  then = hangard_domain_parse (then_xml, -1, NULL);
  then_resolved = then != NULL ? resolve (op->self, then, NULL) : NULL;
  then_disks = then_resolved != NULL ? collect_disks (then_resolved, FALSE, NULL) : NULL;
  for (guint i = 0; then_disks != NULL && i < then_disks->len; i++)
    {
      SnapDisk *disk = g_ptr_array_index (then_disks, i);
      gboolean known = FALSE;

      for (guint j = 0; j < disks->len; j++)
        known |= g_str_equal (((SnapDisk *) g_ptr_array_index (disks, j))->path, disk->path);
      if (!known && g_file_test (disk->path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (disks, g_steal_pointer (&then_disks->pdata[i]));
    }
  return g_steal_pointer (&disks);
}

/* Takes `owned_task`. */
static void
delete_next (GTask *owned_task)
{
  g_autoptr(GTask) task = owned_task;
  Op *op = g_task_get_task_data (task);
  HangardSnapshot *target;
  g_autoptr(GPtrArray) disks = NULL;
  GError *error = NULL;

  if (op->index >= op->targets->len)
    {
      op_succeed (task);
      return;
    }
  target = g_ptr_array_index (op->targets, op->index);
  disks = delete_disks (op, target, &error);
  if (disks == NULL)
    {
      op_fail (task, error);
      sync_machine (op->self);
      return;
    }
  remove_tag_async (op->qmp, disks, hangard_snapshot_get_name (target), on_deleted_from_disks,
                    g_steal_pointer (&task));
}

/* `snapshot` and its descendants, leaves first. */
static void
collect_subtree (HangardSnapshot *snapshot,
                 GPtrArray       *out)
{
  GPtrArray *children = hangard_snapshot_get_children (snapshot);

  for (guint i = 0; i < children->len; i++)
    collect_subtree (g_ptr_array_index (children, i), out);
  g_ptr_array_add (out, g_object_ref (snapshot));
}

void
hangard_snapshots_delete_async (HangardSnapshots    *self,
                                HangardSnapshot     *snapshot,
                                GVariant            *options,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = op_task_new (self, hangard_snapshots_delete_async, cancellable, callback, user_data);
  Op *op = g_task_get_task_data (task);
  const char *allowed[] = { "children", NULL };
  gboolean children = FALSE;
  GError *error = NULL;

  op->snapshot = g_object_ref (snapshot);
  if (!hangard_check_options (options, allowed, &error) ||
      !lookup_bool_option (options, "children", &children, &error) ||
      !check_machine_state (self, &op->qmp, &error) ||
      !op_begin (task, &error))
    {
      op_fail (task, error);
      return;
    }

  op->targets = g_ptr_array_new_with_free_func (g_object_unref);
  if (children)
    collect_subtree (snapshot, op->targets);
  else
    g_ptr_array_add (op->targets, g_object_ref (snapshot));
  delete_next (g_steal_pointer (&task));
}

gboolean
hangard_snapshots_delete_finish (HangardSnapshots  *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Lookups and undefine ------------------------------------------------- */

HangardDaemon *
hangard_snapshots_get_daemon (HangardSnapshots *self)
{
  return self->daemon;
}

guint
hangard_snapshots_get_count (HangardSnapshots *self)
{
  return self->snapshots->len;
}

HangardSnapshot *
hangard_snapshots_lookup (HangardSnapshots  *self,
                          const char        *name,
                          GError           **error)
{
  HangardSnapshot *snapshot;

  if (name == NULL || *name == '\0')
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT, _("No snapshot name given"));
      return NULL;
    }
  snapshot = find_snapshot (self, name);
  if (snapshot == NULL)
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND, _("Machine '%s' has no snapshot named '%s'"),
                 hangard_machine_get_name (self->machine), name);
  return snapshot;
}

gboolean
hangard_snapshots_check_undefine (HangardSnapshots  *self,
                                  gboolean           drop_metadata,
                                  GError           **error)
{
  if (self->busy)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("A snapshot operation on machine '%s' is under way: try again when it is done"),
                   hangard_machine_get_name (self->machine));
      return FALSE;
    }
  if (self->snapshots->len > 0 && !drop_metadata)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   g_dngettext (GETTEXT_PACKAGE,
                                "Machine '%s' has %u snapshot: delete it first, or also remove its "
                                "record (the snapshots-metadata option; hangarctl undefine "
                                "--snapshots-metadata)",
                                "Machine '%s' has %u snapshots: delete them first, or also remove their "
                                "records (the snapshots-metadata option; hangarctl undefine "
                                "--snapshots-metadata)",
                                self->snapshots->len),
                   hangard_machine_get_name (self->machine), self->snapshots->len);
      return FALSE;
    }
  return TRUE;
}

static void
unexport_all (HangardSnapshots *self)
{
  for (guint i = 0; i < self->snapshots->len; i++)
    {
      HangardSnapshot *snapshot = g_ptr_array_index (self->snapshots, i);

      unexport_snapshot (self, snapshot);
      hangard_snapshot_detach (snapshot);
    }
  g_ptr_array_set_size (self->snapshots, 0);
  self->current = NULL;
}

void
hangard_snapshots_remove_all (HangardSnapshots *self)
{
  g_autoptr(GDir) dir = NULL;
  const char *file;

  unexport_all (self);
  dir = g_dir_open (self->dir, 0, NULL);
  while (dir != NULL && (file = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (self->dir, file, NULL);

      if (g_unlink (path) != 0)
        g_warning ("Cannot remove %s: %s", path, g_strerror (errno));
    }
  if (dir != NULL && g_rmdir (self->dir) != 0)
    g_warning ("Cannot remove %s: %s", self->dir, g_strerror (errno));
}

/* ---- Object --------------------------------------------------------------- */

HangardSnapshots *
hangard_snapshots_new (HangardDaemon  *daemon,
                       HangardMachine *machine)
{
  HangardSnapshots *self = g_object_new (HANGARD_TYPE_SNAPSHOTS, NULL);

  self->daemon = daemon;
  self->machine = machine;
  self->machine_path = g_strdup (hangard_machine_get_path (machine));
  self->dir = g_build_filename (hangard_daemon_get_paths (daemon)->config_dir, "snapshots",
                                hangard_machine_get_uuid (machine), NULL);
  return self;
}

static void
hangard_snapshots_dispose (GObject *object)
{
  HangardSnapshots *self = HANGARD_SNAPSHOTS (object);

  unexport_all (self);

  G_OBJECT_CLASS (hangard_snapshots_parent_class)->dispose (object);
}

static void
hangard_snapshots_finalize (GObject *object)
{
  HangardSnapshots *self = HANGARD_SNAPSHOTS (object);

  g_ptr_array_unref (self->snapshots);
  g_free (self->dir);
  g_free (self->machine_path);

  G_OBJECT_CLASS (hangard_snapshots_parent_class)->finalize (object);
}

static void
hangard_snapshots_class_init (HangardSnapshotsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hangard_snapshots_dispose;
  object_class->finalize = hangard_snapshots_finalize;
}

static void
hangard_snapshots_init (HangardSnapshots *self)
{
  self->snapshots = g_ptr_array_new_with_free_func (g_object_unref);
}
