/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-clone"

#include "hangard-clone.h"
#include "hangard-error.h"
#include "hangard-machine.h"
#include "hangard-pool.h"
#include "hangard-pool-def.h"
#include "hangard-qemu-img.h"
#include "hangard-storage.h"
#include "hangard-xml.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

/* The pool for disks that are plain files, when no pool is asked for. */
#define DEFAULT_POOL_NAME "default"

/* Names that clones being made will take: a second clone to the same name
 * is refused at once rather than failing at the end. */
static GHashTable *names_in_use;

typedef struct {
  HangardPool *pool;           /* where the copy goes */
  char        *source_path;    /* the source's file */
  char        *source_format;  /* "qcow2" or "raw" */
  char        *format;         /* the copy's */
  char        *name;           /* the copy's volume name */
  char        *path;           /* and file */
  guint64      size;           /* virtual size, for progress */
  gboolean     created;        /* the file is ours to remove on failure */
} CloneDisk;

typedef struct {
  HangardDaemon *daemon;
  HangardJob    *job;
  char          *source_name;
  char          *new_name;
  char          *xml;          /* the clone's definition, UUID and MACs generated */
  GPtrArray     *disks;        /* CloneDisk* */
  gboolean       linked;
  guint          current;      /* the disk being worked on */
  guint64        done_before;  /* bytes of the disks done already */
  guint64        total;
} CloneOp;

static void
clone_disk_free (CloneDisk *disk)
{
  g_clear_object (&disk->pool);
  g_free (disk->source_path);
  g_free (disk->source_format);
  g_free (disk->format);
  g_free (disk->name);
  g_free (disk->path);
  g_free (disk);
}

static void
clone_op_free (CloneOp *op)
{
  /* The name was taken for the job's life. */
  if (op->job != NULL)
    g_hash_table_remove (names_in_use, op->new_name);
  g_clear_object (&op->job);
  g_free (op->source_name);
  g_free (op->new_name);
  g_free (op->xml);
  g_clear_pointer (&op->disks, g_ptr_array_unref);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CloneOp, clone_op_free)

/* ---- Checks before the job ------------------------------------------------ */

static gboolean
check_new_name (HangardDaemon  *daemon,
                const char     *new_name,
                GError        **error)
{
  HangardMachine *existing;

  if (!hangard_domain_name_is_valid (new_name, error))
    return FALSE;
  existing = hangard_daemon_lookup_machine (daemon, new_name, NULL);
  if (existing != NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                   _("A machine named '%s' already exists (UUID %s)"),
                   new_name, hangard_machine_get_uuid (existing));
      return FALSE;
    }
  if (names_in_use != NULL && g_hash_table_contains (names_in_use, new_name))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                   _("A clone named '%s' is being made already"), new_name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_source (HangardMachine  *source,
              GError         **error)
{
  if (hangard_vm_is_active (hangard_machine_get_vm (source)))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Machine '%s' is running: shut it down before cloning it"),
                   hangard_machine_get_name (source));
      return FALSE;
    }
  /* Its disks belong with the memory in the save: a clone of them alone
   * would boot from a disk in mid-flight. */
  if (hangard_machine_has_managed_save (source))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Machine '%s' has a managed save: start it and shut it down, or remove "
                     "the managed save, before cloning it"),
                   hangard_machine_get_name (source));
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_options (GVariant     *options,
              gboolean     *linked,
              const char  **pool_name,
              GError      **error)
{
  const char *allowed[] = { "linked", "pool", NULL };
  g_autoptr(GVariant) linked_value = NULL;
  g_autoptr(GVariant) pool_value = NULL;

  if (!hangard_check_options (options, allowed, error))
    return FALSE;

  linked_value = g_variant_lookup_value (options, "linked", NULL);
  pool_value = g_variant_lookup_value (options, "pool", NULL);
  if (linked_value != NULL && !g_variant_is_of_type (linked_value, G_VARIANT_TYPE_BOOLEAN))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("The option “%s” takes a boolean"), "linked");
      return FALSE;
    }
  if (pool_value != NULL && !g_variant_is_of_type (pool_value, G_VARIANT_TYPE_STRING))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("The option “%s” takes a pool’s name"), "pool");
      return FALSE;
    }
  *linked = linked_value != NULL && g_variant_get_boolean (linked_value);
  /* Borrowed from `options`, which outlives the call. */
  *pool_name = NULL;
  if (pool_value != NULL)
    g_variant_lookup (options, "pool", "&s", pool_name);
  return TRUE;
}

static HangardPool *
active_pool (HangardDaemon  *daemon,
             const char     *name,
             GError        **error)
{
  HangardPool *pool = hangard_storage_lookup_pool (hangard_daemon_get_storage (daemon), name, error);

  if (pool == NULL)
    return NULL;
  if (!hangard_pool_is_active (pool))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Pool '%s' is not active"), hangard_pool_get_name (pool));
      return NULL;
    }
  return g_object_ref (pool);
}

/* What to do with one disk of the source; NULL with no error for a disk
 * that is shared rather than copied (CD-ROMs, read-only disks, empty). */
static CloneDisk *
plan_disk (CloneOp         *op,
           HangardDiskDef  *disk,
           const char      *pool_name,
           GError         **error)
{
  g_autoptr(HangardPool) pool = NULL;
  CloneDisk *plan;
  const char *format;

  if (disk->device != HANGARD_DISK_DEVICE_DISK || disk->readonly || disk->source_file == NULL)
    return NULL;

  if (pool_name == NULL)
    pool_name = disk->source_pool != NULL ? disk->source_pool : DEFAULT_POOL_NAME;
  pool = active_pool (op->daemon, pool_name, error);
  if (pool == NULL)
    return NULL;

  format = op->linked ? "qcow2" : hangard_disk_format_to_string (disk->format);
  plan = g_new0 (CloneDisk, 1);
  plan->pool = g_steal_pointer (&pool);
  plan->source_path = g_strdup (disk->source_file);
  plan->source_format = g_strdup (hangard_disk_format_to_string (disk->format));
  plan->format = g_strdup (format);
  plan->name = g_strdup_printf ("%s-%s.%s", op->new_name, disk->target_dev,
                                g_str_equal (format, "qcow2") ? "qcow2" : "img");
  plan->path = hangard_pool_build_path (plan->pool, plan->name);

  if (!hangard_volume_name_is_valid (plan->name, error))
    {
      clone_disk_free (plan);
      return NULL;
    }
  if (g_file_test (plan->path, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                   _("Pool '%s' already has a file named '%s'"),
                   hangard_pool_get_name (plan->pool), plan->name);
      clone_disk_free (plan);
      return NULL;
    }
  return plan;
}

/* The i-th <disk> under <devices>, in the order the parser read them. */
static xmlNode *
nth_disk_element (xmlNode *root,
                  guint    index)
{
  xmlNode *devices = hangard_xml_find_child (root, "devices");
  guint seen = 0;

  for (xmlNode *node = devices ? devices->children : NULL; node != NULL; node = node->next)
    {
      if (!hangard_xml_is_element_named (node, "disk"))
        continue;
      if (seen++ == index)
        return node;
    }
  return NULL;
}

static void
remove_children_named (xmlNode    *parent,
                       const char *name)
{
  xmlNode *node = parent ? parent->children : NULL;

  while (node != NULL)
    {
      xmlNode *next = node->next;

      if (hangard_xml_is_element_named (node, name))
        {
          xmlUnlinkNode (node);
          xmlFreeNode (node);
        }
      node = next;
    }
}

/* The copy's <disk>: its new file or volume, qcow2 when linked. */
static void
point_disk_at_copy (xmlNode   *element,
                    CloneDisk *plan)
{
  g_autofree char *type = hangard_xml_get_attribute (element, "type");
  xmlNode *source = hangard_xml_find_child (element, "source");
  xmlNode *driver = hangard_xml_find_child (element, "driver");

  if (g_strcmp0 (type, "volume") == 0)
    {
      xmlSetProp (source, BAD_CAST "pool", BAD_CAST hangard_pool_get_name (plan->pool));
      xmlSetProp (source, BAD_CAST "volume", BAD_CAST plan->name);
    }
  else
    xmlSetProp (source, BAD_CAST "file", BAD_CAST plan->path);
  if (driver != NULL)
    xmlSetProp (driver, BAD_CAST "type", BAD_CAST plan->format);
  /* Whatever chain the source described is not the copy's. */
  remove_children_named (element, "backingStore");
}

/* The clone's definition: the source's with the new name, no UUID and no
 * MACs (DefineMachine's parser generates new ones), its disks pointing at
 * the copies. Parsed here, so every check happens before the job. */
static gboolean
make_definition (CloneOp         *op,
                 HangardMachine  *source,
                 HangardDomain   *resolved,
                 GPtrArray       *plans,
                 GError         **error)
{
  HangardDomain *domain = hangard_machine_get_domain (source);
  g_autoptr(HangardDomain) clone = NULL;
  g_autofree char *xml = NULL;
  xmlDoc *doc = xmlCopyDoc (domain->doc, 1);
  xmlNode *root = xmlDocGetRootElement (doc);
  xmlNode *devices = hangard_xml_find_child (root, "devices");

  hangard_xml_set_text (hangard_xml_find_child (root, "name"), op->new_name);
  remove_children_named (root, "uuid");
  for (xmlNode *node = devices ? devices->children : NULL; node != NULL; node = node->next)
    if (hangard_xml_is_element_named (node, "interface"))
      remove_children_named (node, "mac");
  for (guint i = 0; i < resolved->disks->len; i++)
    {
      CloneDisk *plan = g_ptr_array_index (plans, i);
      xmlNode *element = nth_disk_element (root, i);

      if (plan != NULL && element != NULL)
        point_disk_at_copy (element, plan);
    }

  xml = hangard_xml_to_string (doc);
  xmlFreeDoc (doc);
  clone = hangard_domain_parse (xml, -1, error);
  if (clone == NULL)
    return FALSE;
  op->xml = hangard_domain_to_xml (clone);
  return TRUE;
}

/* ---- The job -------------------------------------------------------------- */

static void run_next_disk (CloneOp *op);

/* Ends the job: on failure (or cancel) every file made is removed first. */
static void
finish (CloneOp *op,
        GError  *error)
{
  g_autoptr(CloneOp) owned = op;

  /* A Cancel that came as the last copy ended still wins. */
  if (error == NULL)
    g_cancellable_set_error_if_cancelled (hangard_job_get_cancellable (op->job), &error);

  if (error == NULL)
    {
      HangardMachine *machine = hangard_daemon_define_machine (op->daemon, op->xml, NULL, &error);

      if (machine != NULL)
        {
          for (guint i = 0; i < op->disks->len; i++)
            {
              CloneDisk *disk = g_ptr_array_index (op->disks, i);
              g_autoptr(GError) volume_error = NULL;

              if (hangard_pool_add_or_update_volume (disk->pool, disk->name, &volume_error) == NULL)
                g_warning ("Cannot list %s: %s", disk->path, volume_error->message);
            }
          g_message ("Cloned machine %s to %s (%s)", op->source_name, op->new_name,
                     hangard_machine_get_uuid (machine));
          hangard_job_complete (op->job, hangard_machine_get_path (machine));
          return;
        }
    }

  for (guint i = 0; i < op->disks->len; i++)
    {
      CloneDisk *disk = g_ptr_array_index (op->disks, i);

      if (disk->created && g_unlink (disk->path) != 0 && errno != ENOENT)
        g_warning ("Cannot remove %s: %s", disk->path, g_strerror (errno));
    }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Cloning %s to %s failed: %s", op->source_name, op->new_name, error->message);
  hangard_job_fail (op->job, error);
  g_error_free (error);
}

static void
on_copy_progress (guint64  done,
                  guint64  total,
                  gpointer user_data)
{
  CloneOp *op = user_data;

  hangard_job_set_progress (op->job, op->done_before + done, op->total);
}

static void
on_disk_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CloneOp *op = user_data;
  CloneDisk *disk = g_ptr_array_index (op->disks, op->current);
  GError *error = NULL;
  gboolean ok = op->linked ? hangard_qemu_img_create_finish (result, &error)
                           : hangard_qemu_img_convert_finish (result, &error);

  /* qemu-img removes its own unfinished file; a finished one is ours. */
  if (!ok)
    {
      finish (op, error);
      return;
    }
  disk->created = TRUE;
  op->done_before += disk->size;
  hangard_job_set_progress (op->job, op->done_before, op->total);
  op->current++;
  run_next_disk (op);
}

static void
run_next_disk (CloneOp *op)
{
  GCancellable *cancellable = hangard_job_get_cancellable (op->job);
  CloneDisk *disk;

  if (op->current >= op->disks->len)
    {
      finish (op, NULL);
      return;
    }

  disk = g_ptr_array_index (op->disks, op->current);
  if (op->linked)
    hangard_qemu_img_create_async (disk->path, "qcow2", 0, FALSE, disk->source_path, disk->source_format,
                                   cancellable, on_disk_done, op);
  else
    hangard_qemu_img_convert_async (disk->source_path, disk->source_format, disk->path, disk->format,
                                    on_copy_progress, op, cancellable, on_disk_done, op);
}

/* Sizes first, so progress is over the whole job. */
static void measure_next_disk (CloneOp *op);

static void
on_disk_measured (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  CloneOp *op = user_data;
  CloneDisk *disk = g_ptr_array_index (op->disks, op->current);
  GError *error = NULL;
  g_autoptr(HangardImageInfo) info = hangard_qemu_img_info_finish (result, &error);

  if (info == NULL)
    {
      finish (op, error);
      return;
    }
  disk->size = info->virtual_size;
  op->total += disk->size;
  op->current++;
  measure_next_disk (op);
}

static void
measure_next_disk (CloneOp *op)
{
  CloneDisk *disk;

  if (op->current >= op->disks->len)
    {
      op->current = 0;
      hangard_job_set_progress (op->job, 0, op->total);
      run_next_disk (op);
      return;
    }
  disk = g_ptr_array_index (op->disks, op->current);
  hangard_qemu_img_info_async (disk->source_path, disk->source_format, hangard_job_get_cancellable (op->job),
                               on_disk_measured, op);
}

HangardJob *
hangard_clone_machine (HangardDaemon   *daemon,
                       HangardMachine  *source,
                       const char      *new_name,
                       GVariant        *options,
                       GError         **error)
{
  g_autoptr(CloneOp) op = g_new0 (CloneOp, 1);
  g_autoptr(HangardDomain) resolved = NULL;
  g_autoptr(GPtrArray) plans = NULL;
  g_autofree char *description = NULL;
  const char *pool_name = NULL;
  HangardJob *job;

  g_return_val_if_fail (HANGARD_IS_DAEMON (daemon), NULL);
  g_return_val_if_fail (HANGARD_IS_MACHINE (source), NULL);

  op->daemon = daemon;
  op->source_name = g_strdup (hangard_machine_get_name (source));
  op->disks = g_ptr_array_new_with_free_func ((GDestroyNotify) clone_disk_free);

  if (!read_options (options, &op->linked, &pool_name, error) ||
      !check_new_name (daemon, new_name, error) ||
      !check_source (source, error))
    return NULL;
  op->new_name = g_strdup (new_name);

  resolved = hangard_storage_resolve_domain (hangard_daemon_get_storage (daemon),
                                             hangard_machine_get_domain (source), error);
  if (resolved == NULL)
    return NULL;

  /* One plan (or NULL: shared) per disk of the source, in order. */
  plans = g_ptr_array_new ();
  for (guint i = 0; i < resolved->disks->len; i++)
    {
      GError *local_error = NULL;
      CloneDisk *plan = plan_disk (op, g_ptr_array_index (resolved->disks, i), pool_name, &local_error);

      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
      g_ptr_array_add (plans, plan);
      if (plan != NULL)
        g_ptr_array_add (op->disks, plan);
    }

  if (!make_definition (op, source, resolved, plans, error))
    return NULL;

  if (names_in_use == NULL)
    names_in_use = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_add (names_in_use, g_strdup (new_name));

  description = g_strdup_printf (op->linked ? _("Cloning %s to %s (linked disks)") : _("Cloning %s to %s"),
                                 op->source_name, new_name);
  op->job = hangard_job_new (daemon, "clone-machine", description, hangard_machine_get_path (source));
  hangard_daemon_export_job (daemon, op->job);
  job = op->job;

  g_message ("Cloning machine %s to %s (%u disk%s, %s)", op->source_name, new_name, op->disks->len,
             op->disks->len == 1 ? "" : "s", op->linked ? "linked" : "full copy");
  if (op->linked)
    run_next_disk (g_steal_pointer (&op));
  else
    measure_next_disk (g_steal_pointer (&op));
  return job;
}
