/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-snapshot"

#include "hangard-snapshot.h"
#include "hangard-error.h"
#include "hangard-snapshots.h"
#include "hangard-xml.h"

#include <glib/gi18n-lib.h>

/* A record holds a whole domain definition (at most 1 MiB) and a little more. */
#define RECORD_MAX_SIZE (2 * HANGARD_DOMAIN_MAX_XML_SIZE)

struct _HangardSnapshot
{
  HangarSnapshotSkeleton  parent_instance;

  HangardSnapshots       *store;         /* owns us; NULL once detached */
  xmlDoc                 *record;        /* <domainsnapshot>, the source of truth */
  char                   *object_path;
  char                   *name;
  char                   *state;
  guint64                 creation_time;
  gboolean                has_memory;

  HangardSnapshot        *parent;        /* not owned */
  GPtrArray              *children;      /* HangardSnapshot*, not owned */
};

static void hangard_snapshot_iface_init (HangarSnapshotIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HangardSnapshot, hangard_snapshot, HANGAR_TYPE_SNAPSHOT_SKELETON,
                               G_IMPLEMENT_INTERFACE (HANGAR_TYPE_SNAPSHOT, hangard_snapshot_iface_init))

static const char * const known_states[] = {
  "running", "paused", "shutoff", "disk-snapshot", NULL
};

/* ---- Names ---------------------------------------------------------------- */

gboolean
hangard_snapshot_name_is_valid (const char  *name,
                                GError     **error)
{
  gboolean digits_only = TRUE;

  if (!hangard_xml_check_name (name, "snapshot", HANGARD_SNAPSHOT_MAX_NAME_LEN, TRUE, error))
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      digits_only = FALSE;
  if (digits_only)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("Invalid snapshot name '%s': a name cannot be only digits (QEMU would take "
                     "it for the number of another snapshot)"), name);
      return FALSE;
    }
  return TRUE;
}

/* ---- Records -------------------------------------------------------------- */

static xmlNode *
add_text_child (xmlNode    *parent,
                const char *name,
                const char *text)
{
  xmlNode *node = xmlNewChild (parent, NULL, BAD_CAST name, NULL);

  hangard_xml_set_text (node, text);
  return node;
}

static const char *
disk_snapshot_kind (HangardDiskDef *disk)
{
  if (disk->device == HANGARD_DISK_DEVICE_CDROM || disk->readonly ||
      (disk->source_file == NULL && disk->source_volume == NULL))
    return "no";
  return "internal";
}

xmlDoc *
hangard_snapshot_build_record (const char    *name,
                               const char    *description,
                               const char    *state,
                               guint64        creation_time,
                               gboolean       has_memory,
                               const char    *parent_name,
                               HangardDomain *domain)
{
  xmlDoc *doc = xmlNewDoc (BAD_CAST "1.0");
  xmlNode *root = xmlNewNode (NULL, BAD_CAST "domainsnapshot");
  xmlNode *node;
  g_autofree char *time_text = g_strdup_printf ("%" G_GUINT64_FORMAT, creation_time);

  xmlDocSetRootElement (doc, root);
  add_text_child (root, "name", name);
  if (description != NULL && *description != '\0')
    add_text_child (root, "description", description);
  add_text_child (root, "state", state);
  if (parent_name != NULL)
    add_text_child (xmlNewChild (root, NULL, BAD_CAST "parent", NULL), "name", parent_name);
  add_text_child (root, "creationTime", time_text);
  node = xmlNewChild (root, NULL, BAD_CAST "memory", NULL);
  xmlSetProp (node, BAD_CAST "snapshot", BAD_CAST (has_memory ? "internal" : "no"));

  node = xmlNewChild (root, NULL, BAD_CAST "disks", NULL);
  for (guint i = 0; i < domain->disks->len; i++)
    {
      HangardDiskDef *disk = g_ptr_array_index (domain->disks, i);
      xmlNode *element = xmlNewChild (node, NULL, BAD_CAST "disk", NULL);

      xmlSetProp (element, BAD_CAST "name", BAD_CAST disk->target_dev);
      xmlSetProp (element, BAD_CAST "snapshot", BAD_CAST disk_snapshot_kind (disk));
    }

  xmlAddChild (root, xmlDocCopyNode (xmlDocGetRootElement (domain->doc), doc, 1));
  return doc;
}

static gboolean
invalid_record (GError    **error,
                const char *problem)
{
  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
               _("Not a valid snapshot record: %s"), problem);
  return FALSE;
}

static gboolean
check_record (xmlNode  *root,
              GError  **error)
{
  xmlNode *name = hangard_xml_find_child (root, "name");
  xmlNode *state = hangard_xml_find_child (root, "state");
  xmlNode *time = hangard_xml_find_child (root, "creationTime");
  xmlNode *memory = hangard_xml_find_child (root, "memory");
  xmlNode *parent = hangard_xml_find_child (root, "parent");
  g_autofree char *text = NULL;
  guint64 number;

  if (name == NULL)
    return invalid_record (error, _("it has no <name>"));
  text = hangard_xml_get_stripped_text (name);
  if (!hangard_snapshot_name_is_valid (text, error))
    return FALSE;
  g_clear_pointer (&text, g_free);

  if (state == NULL)
    return invalid_record (error, _("it has no <state>"));
  text = hangard_xml_get_stripped_text (state);
  if (!g_strv_contains (known_states, text))
    return invalid_record (error, _("unknown <state>"));
  g_clear_pointer (&text, g_free);

  if (time == NULL)
    return invalid_record (error, _("it has no <creationTime>"));
  text = hangard_xml_get_stripped_text (time);
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &number, NULL))
    return invalid_record (error, _("<creationTime> is not a number of seconds"));
  g_clear_pointer (&text, g_free);

  if (memory != NULL)
    {
      text = hangard_xml_get_attribute (memory, "snapshot");
      if (g_strcmp0 (text, "internal") != 0 && g_strcmp0 (text, "no") != 0)
        return invalid_record (error, _("<memory snapshot> is neither 'internal' nor 'no'"));
      g_clear_pointer (&text, g_free);
    }

  if (parent != NULL)
    {
      xmlNode *parent_name = hangard_xml_find_child (parent, "name");

      if (parent_name == NULL)
        return invalid_record (error, _("<parent> has no <name>"));
      text = hangard_xml_get_stripped_text (parent_name);
      if (!hangard_snapshot_name_is_valid (text, error))
        return FALSE;
    }

  if (hangard_xml_find_child (root, "domain") == NULL)
    return invalid_record (error, _("it has no <domain>"));
  return TRUE;
}

xmlDoc *
hangard_snapshot_parse_record (const char  *xml,
                               gssize       length,
                               GError     **error)
{
  g_autoptr(xmlDoc) doc = hangard_xml_parse_safely (xml, length, RECORD_MAX_SIZE, "domainsnapshot", error);

  if (doc == NULL || !check_record (xmlDocGetRootElement (doc), error))
    return NULL;
  return g_steal_pointer (&doc);
}

static char *
record_text (HangardSnapshot *self,
             const char      *element)
{
  xmlNode *node = hangard_xml_find_child (xmlDocGetRootElement (self->record), element);

  return node != NULL ? hangard_xml_get_stripped_text (node) : NULL;
}

/* ---- D-Bus ---------------------------------------------------------------- */

static gboolean
check_attached (HangardSnapshot       *self,
                GDBusMethodInvocation *invocation,
                HangardAccess          access)
{
  if (self->store == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                                             _("Snapshot '%s' no longer exists"), self->name);
      return FALSE;
    }
  return hangard_daemon_authorize (hangard_snapshots_get_daemon (self->store), invocation, access);
}

static void
on_reverted (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = hangard_snapshots_revert_finish (HANGARD_SNAPSHOTS (source), result, &error);

  hangard_invocation_answer (invocation, ok, error);
}

static gboolean
handle_revert (HangarSnapshot        *iface,
               GDBusMethodInvocation *invocation,
               GVariant              *options)
{
  HangardSnapshot *self = HANGARD_SNAPSHOT (iface);

  if (!check_attached (self, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;
  hangard_snapshots_revert_async (self->store, self, options, NULL, on_reverted, g_object_ref (invocation));
  return TRUE;
}

static void
on_deleted (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = hangard_snapshots_delete_finish (HANGARD_SNAPSHOTS (source), result, &error);

  hangard_invocation_answer (invocation, ok, error);
}

static gboolean
handle_delete (HangarSnapshot        *iface,
               GDBusMethodInvocation *invocation,
               GVariant              *options)
{
  HangardSnapshot *self = HANGARD_SNAPSHOT (iface);

  if (!check_attached (self, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;
  hangard_snapshots_delete_async (self->store, self, options, NULL, on_deleted, g_object_ref (invocation));
  return TRUE;
}

static gboolean
handle_get_xml (HangarSnapshot        *iface,
                GDBusMethodInvocation *invocation)
{
  HangardSnapshot *self = HANGARD_SNAPSHOT (iface);
  g_autofree char *xml = NULL;

  if (!check_attached (self, invocation, HANGARD_ACCESS_READ))
    return TRUE;
  xml = hangard_snapshot_to_xml (self);
  hangar_snapshot_complete_get_xml (iface, invocation, xml);
  return TRUE;
}

static void
hangard_snapshot_iface_init (HangarSnapshotIface *iface)
{
  iface->handle_revert = handle_revert;
  iface->handle_delete = handle_delete;
  iface->handle_get_xml = handle_get_xml;
}

/* ---- Object --------------------------------------------------------------- */

static void
sync_children (HangardSnapshot *self)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();

  for (guint i = 0; i < self->children->len; i++)
    {
      HangardSnapshot *child = g_ptr_array_index (self->children, i);

      if (child->object_path != NULL)
        g_ptr_array_add (paths, child->object_path);
    }
  g_ptr_array_add (paths, NULL);
  hangar_snapshot_set_children (HANGAR_SNAPSHOT (self), (const char * const *) paths->pdata);
}

HangardSnapshot *
hangard_snapshot_new (HangardSnapshots *store,
                      const char       *machine_path,
                      xmlDoc           *record)
{
  HangardSnapshot *self = g_object_new (HANGARD_TYPE_SNAPSHOT, NULL);
  HangarSnapshot *iface = HANGAR_SNAPSHOT (self);
  xmlNode *memory = hangard_xml_find_child (xmlDocGetRootElement (record), "memory");
  g_autofree char *description = NULL;
  g_autofree char *time_text = NULL;
  g_autofree char *memory_kind = memory != NULL ? hangard_xml_get_attribute (memory, "snapshot") : NULL;

  self->store = store;
  self->record = record;
  self->name = record_text (self, "name");
  self->state = record_text (self, "state");
  description = hangard_xml_find_child (xmlDocGetRootElement (record), "description") != NULL
                ? hangard_xml_get_text (hangard_xml_find_child (xmlDocGetRootElement (record), "description"))
                : g_strdup ("");
  time_text = record_text (self, "creationTime");
  self->creation_time = g_ascii_strtoull (time_text ? time_text : "0", NULL, 10);
  self->has_memory = g_strcmp0 (memory_kind, "internal") == 0;

  hangar_snapshot_set_name (iface, self->name);
  hangar_snapshot_set_description (iface, description);
  hangar_snapshot_set_creation_time (iface, self->creation_time);
  hangar_snapshot_set_state (iface, self->state);
  hangar_snapshot_set_has_memory (iface, self->has_memory);
  hangar_snapshot_set_parent (iface, "/");
  hangar_snapshot_set_is_current (iface, FALSE);
  hangar_snapshot_set_machine (iface, machine_path);
  sync_children (self);
  return self;
}

void
hangard_snapshot_detach (HangardSnapshot *self)
{
  self->store = NULL;
  self->parent = NULL;
  g_ptr_array_set_size (self->children, 0);
}

const char *
hangard_snapshot_get_object_path (HangardSnapshot *self)
{
  return self->object_path;
}

void
hangard_snapshot_set_object_path (HangardSnapshot *self,
                                  const char      *object_path)
{
  g_free (self->object_path);
  self->object_path = g_strdup (object_path);
}

const char *
hangard_snapshot_get_name (HangardSnapshot *self)
{
  return self->name;
}

const char *
hangard_snapshot_get_state (HangardSnapshot *self)
{
  return self->state;
}

gboolean
hangard_snapshot_has_memory (HangardSnapshot *self)
{
  return self->has_memory;
}

guint64
hangard_snapshot_get_creation_time (HangardSnapshot *self)
{
  return self->creation_time;
}

char *
hangard_snapshot_dup_parent_name (HangardSnapshot *self)
{
  xmlNode *parent = hangard_xml_find_child (xmlDocGetRootElement (self->record), "parent");
  xmlNode *name = parent != NULL ? hangard_xml_find_child (parent, "name") : NULL;

  return name != NULL ? hangard_xml_get_stripped_text (name) : NULL;
}

char *
hangard_snapshot_dup_domain_xml (HangardSnapshot *self)
{
  xmlNode *domain = hangard_xml_find_child (xmlDocGetRootElement (self->record), "domain");
  g_autoptr(xmlDoc) doc = xmlNewDoc (BAD_CAST "1.0");

  g_return_val_if_fail (domain != NULL, NULL);
  xmlDocSetRootElement (doc, xmlDocCopyNode (domain, doc, 1));
  return hangard_xml_to_string (doc);
}

char *
hangard_snapshot_to_xml (HangardSnapshot *self)
{
  return hangard_xml_to_string (self->record);
}

HangardSnapshot *
hangard_snapshot_get_parent (HangardSnapshot *self)
{
  return self->parent;
}

GPtrArray *
hangard_snapshot_get_children (HangardSnapshot *self)
{
  return self->children;
}

/* <parent><name>NAME</name></parent> right after <state>, where libvirt
 * writes it; removed for a root. */
static void
set_record_parent (HangardSnapshot *self,
                   const char      *parent_name)
{
  xmlNode *root = xmlDocGetRootElement (self->record);
  xmlNode *parent = hangard_xml_find_child (root, "parent");
  xmlNode *state;

  if (parent != NULL)
    {
      xmlUnlinkNode (parent);
      xmlFreeNode (parent);
    }
  if (parent_name == NULL)
    return;

  parent = xmlNewDocNode (self->record, NULL, BAD_CAST "parent", NULL);
  add_text_child (parent, "name", parent_name);
  state = hangard_xml_find_child (root, "state");
  if (state != NULL)
    xmlAddNextSibling (state, parent);
  else
    xmlAddChild (root, parent);
}

void
hangard_snapshot_set_parent (HangardSnapshot *self,
                             HangardSnapshot *parent)
{
  if (self->parent != NULL)
    {
      g_ptr_array_remove (self->parent->children, self);
      sync_children (self->parent);
    }
  self->parent = parent;
  if (parent != NULL)
    {
      g_ptr_array_add (parent->children, self);
      sync_children (parent);
    }
  set_record_parent (self, parent != NULL ? parent->name : NULL);
  hangar_snapshot_set_parent (HANGAR_SNAPSHOT (self),
                              parent != NULL && parent->object_path != NULL ? parent->object_path : "/");
}

void
hangard_snapshot_set_current (HangardSnapshot *self,
                              gboolean         current)
{
  hangar_snapshot_set_is_current (HANGAR_SNAPSHOT (self), current);
}

static void
hangard_snapshot_finalize (GObject *object)
{
  HangardSnapshot *self = HANGARD_SNAPSHOT (object);

  g_clear_pointer (&self->record, xmlFreeDoc);
  g_ptr_array_unref (self->children);
  g_free (self->object_path);
  g_free (self->name);
  g_free (self->state);

  G_OBJECT_CLASS (hangard_snapshot_parent_class)->finalize (object);
}

static void
hangard_snapshot_class_init (HangardSnapshotClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hangard_snapshot_finalize;
}

static void
hangard_snapshot_init (HangardSnapshot *self)
{
  self->children = g_ptr_array_new ();
}
