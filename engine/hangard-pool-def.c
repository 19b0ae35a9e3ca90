/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-pool-def"

#include "hangard-pool-def.h"

#include <limits.h>
#include <string.h>

#include "hangard-domain.h"
#include "hangard-error.h"
#include "hangard-xml.h"

#define MAX_VOLUME_NAME_LEN 255   /* NAME_MAX: a volume is a file in the pool's directory */
#define MAX_TARGET_PATH_LEN (PATH_MAX - 1)

/* ------------------------------------------------------------------------- */
/* Names and paths                                                           */
/* ------------------------------------------------------------------------- */

gboolean
hangard_pool_name_is_valid (const char  *name,
                            GError     **error)
{
  return hangard_xml_check_name (name, "pool", HANGARD_DOMAIN_MAX_NAME_LEN, TRUE, error);
}

gboolean
hangard_volume_name_is_valid (const char  *name,
                              GError     **error)
{
  return hangard_xml_check_name (name, "volume", MAX_VOLUME_NAME_LEN, FALSE, error);
}

static gboolean
set_bad_path_error (const char  *path,
                    const char  *problem,
                    GError     **error)
{
  g_autofree char *shown = hangard_xml_describe_for_message (path);

  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
               "Invalid pool target path '%s': %s", shown, problem);
  return FALSE;
}

static gboolean
check_target_path_text (const char  *path,
                        GError     **error)
{
  if (!g_utf8_validate (path, -1, NULL))
    return set_bad_path_error (path, "it must be valid UTF-8 text", error);

  for (const char *p = path; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (g_unichar_iscntrl (g_utf8_get_char (p)))
        return set_bad_path_error (path, "it cannot contain control characters such "
                                   "as newlines or tabs", error);
    }

  if (strlen (path) > MAX_TARGET_PATH_LEN)
    return set_bad_path_error (path, "it is longer than the system allows", error);

  if (path[0] != '/')
    return set_bad_path_error (path, "it must be absolute (start with '/')", error);

  return TRUE;
}

/* "/data//vmfs/" → "/data/vmfs", as libvirt does. "." and ".." are refused
 * rather than resolved: a pool's directory is named plainly, so that two
 * pools cannot name one directory in different ways. */
static char *
normalize_target_path (const char  *path,
                       GError     **error)
{
  g_auto(GStrv) components = NULL;
  g_autoptr(GString) out = g_string_new (NULL);

  if (!check_target_path_text (path, error))
    return NULL;

  components = g_strsplit (path, "/", -1);
  for (gsize i = 0; components[i] != NULL; i++)
    {
      const char *component = components[i];

      if (*component == '\0')
        continue;
      if (g_str_equal (component, ".") || g_str_equal (component, ".."))
        {
          set_bad_path_error (path, "it cannot contain '.' or '..' components", error);
          return NULL;
        }
      g_string_append_printf (out, "/%s", component);
    }

  if (out->len == 0)
    g_string_append_c (out, '/');

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* ------------------------------------------------------------------------- */
/* The parser                                                                */
/* ------------------------------------------------------------------------- */

static const HangardXmlChildRule pool_children[] = {
  HANGARD_XML_CHILD_ONCE ("name"),
  HANGARD_XML_CHILD_ONCE ("uuid"),
  HANGARD_XML_CHILD_ONCE ("capacity"),
  HANGARD_XML_CHILD_ONCE ("allocation"),
  HANGARD_XML_CHILD_ONCE ("available"),
  HANGARD_XML_CHILD_ONCE ("source"),
  HANGARD_XML_CHILD_ONCE ("target"),
  HANGARD_XML_CHILD_UNSUPPORTED ("features",
                                 "Hangar does not set copy-on-write attributes on pool directories"),
  HANGARD_XML_CHILD_UNSUPPORTED ("refresh",
                                 "Hangar reports the space a volume really uses on disk"),
  HANGARD_XML_CHILD_RULES_END
};

static const HangardXmlChildRule target_children[] = {
  HANGARD_XML_CHILD_ONCE ("path"),
  HANGARD_XML_CHILD_ONCE ("permissions"),
  HANGARD_XML_CHILD_RULES_END
};

static const HangardXmlChildRule permissions_children[] = {
  HANGARD_XML_CHILD_ONCE ("mode"),
  HANGARD_XML_CHILD_ONCE ("owner"),
  HANGARD_XML_CHILD_ONCE ("group"),
  HANGARD_XML_CHILD_ONCE ("label"),
  HANGARD_XML_CHILD_RULES_END
};

/* What virsh pool-dumpxml shows of a running pool; ignored on input. */
static const char *const size_elements[] = { "capacity", "allocation", "available" };

static gboolean
parse_pool_type (xmlNode  *root,
                 GError  **error)
{
  static const HangardXmlEnumValue types[] = {
    { "dir", 0 },
    HANGARD_XML_ENUM_VALUES_END
  };
  int type;

  /* libvirt has a dozen other types (logical, netfs, iscsi...), and may
   * grow more: any of them is a pool Hangar cannot manage. */
  return hangard_xml_parse_enum_attribute (root, "type", types,
                                           HANGARD_XML_UNKNOWN_IS_UNSUPPORTED,
                                           HANGARD_XML_ATTRIBUTE_REQUIRED,
                                           "Hangar's storage pools are directories (type='dir')",
                                           &type, error);
}

static gboolean
parse_name (HangardPoolDef  *def,
            xmlNode         *root,
            GError         **error)
{
  xmlNode *node = hangard_xml_find_child (root, "name");
  g_autofree char *name = NULL;

  if (node == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "The pool definition has no <name>");
      return FALSE;
    }
  if (!hangard_xml_check_children (node, hangard_xml_no_children, error))
    return FALSE;

  name = hangard_xml_get_text (node);
  if (!hangard_pool_name_is_valid (name, error))
    return FALSE;

  def->name = g_steal_pointer (&name);
  return TRUE;
}

static gboolean
parse_uuid (HangardPoolDef  *def,
            xmlNode         *root,
            GError         **error)
{
  xmlNode *node = hangard_xml_find_child (root, "uuid");
  g_autofree char *text = NULL;

  /* Generated once everything else is valid. */
  if (node == NULL)
    return TRUE;
  if (!hangard_xml_check_children (node, hangard_xml_no_children, error))
    return FALSE;

  text = hangard_xml_get_stripped_text (node);
  return hangard_xml_normalize_uuid (text, def->uuid, error);
}

static gboolean
check_size_elements (xmlNode  *root,
                     GError  **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (size_elements); i++)
    {
      xmlNode *node = hangard_xml_find_child (root, size_elements[i]);

      if (node != NULL && !hangard_xml_check_children (node, hangard_xml_no_children, error))
        return FALSE;
    }
  return TRUE;
}

/* A directory pool has no source: libvirt writes an empty <source/>. */
static gboolean
check_source (xmlNode  *root,
              GError  **error)
{
  xmlNode *source = hangard_xml_find_child (root, "source");
  xmlNode *child;
  g_autofree char *label = NULL;

  if (source == NULL)
    return TRUE;

  child = hangard_xml_first_element (source->children);
  if (child == NULL)
    return TRUE;

  label = hangard_xml_element_label (child);
  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
               "Unsupported element <%s> in <source>: a directory pool (type='dir') "
               "has no source, only a <target><path>", label);
  return FALSE;
}

static gboolean
check_permissions (xmlNode  *target,
                   GError  **error)
{
  xmlNode *permissions = hangard_xml_find_child (target, "permissions");

  if (permissions == NULL)
    return TRUE;
  if (!hangard_xml_check_children (permissions, permissions_children, error))
    return FALSE;

  HANGARD_XML_FOR_EACH_CHILD_ELEMENT (child, permissions)
    {
      if (!hangard_xml_check_children (child, hangard_xml_no_children, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_target (HangardPoolDef  *def,
              xmlNode         *root,
              GError         **error)
{
  xmlNode *target = hangard_xml_find_child (root, "target");
  xmlNode *path_node;
  g_autofree char *path = NULL;
  g_autofree char *normalized = NULL;

  if (target == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "The pool definition has no <target>: add "
                           "<target><path>/the/directory</path></target>");
      return FALSE;
    }
  if (!hangard_xml_check_children (target, target_children, error) ||
      !check_permissions (target, error))
    return FALSE;

  path_node = hangard_xml_find_child (target, "path");
  if (path_node == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "<target> in <pool> needs a <path> naming the pool's directory");
      return FALSE;
    }
  if (!hangard_xml_check_children (path_node, hangard_xml_no_children, error))
    return FALSE;

  path = hangard_xml_get_stripped_text (path_node);
  normalized = normalize_target_path (path, error);
  if (normalized == NULL)
    return FALSE;

  /* The document shows the directory as the pool uses it, as libvirt's does. */
  hangard_xml_set_text (path_node, normalized);
  def->target_path = g_steal_pointer (&normalized);
  return TRUE;
}

static gboolean
parse_pool (HangardPoolDef  *def,
            GError         **error)
{
  xmlNode *root = xmlDocGetRootElement (def->doc);

  if (!parse_pool_type (root, error) ||
      !hangard_xml_check_children (root, pool_children, error) ||
      !parse_name (def, root, error) ||
      !parse_uuid (def, root, error) ||
      !check_size_elements (root, error) ||
      !check_source (root, error) ||
      !parse_target (def, root, error))
    return FALSE;

  /* Only a valid definition gets anything written into it. */
  if (hangard_xml_find_child (root, "uuid") == NULL)
    hangard_xml_insert_generated_uuid (root, def->uuid);

  return TRUE;
}

/* Takes `doc`, whose root is <pool>. */
static HangardPoolDef *
pool_def_from_doc (xmlDoc  *doc,
                   GError **error)
{
  g_autoptr(HangardPoolDef) def = g_new0 (HangardPoolDef, 1);

  def->doc = doc;
  if (!parse_pool (def, error))
    return NULL;

  return g_steal_pointer (&def);
}

HangardPoolDef *
hangard_pool_def_parse (const char  *xml,
                        gssize       length,
                        GError     **error)
{
  xmlDoc *doc;

  g_return_val_if_fail (xml != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  doc = hangard_xml_parse_safely (xml, length, HANGARD_POOL_MAX_XML_SIZE, "pool", error);
  if (doc == NULL)
    return NULL;

  return pool_def_from_doc (doc, error);
}

/* <pool type='dir'><name/><target><path/></target></pool>, what virsh
 * pool-define-as sends to libvirt. */
static xmlDoc *
build_dir_pool_doc (const char *name,
                    const char *target_path)
{
  xmlDoc *doc;
  xmlNode *root;
  xmlNode *target;

  hangard_xml_ensure_initialized ();

  doc = xmlNewDoc (BAD_CAST "1.0");
  root = xmlNewDocNode (doc, NULL, BAD_CAST "pool", NULL);
  if (doc == NULL || root == NULL)
    g_error ("Out of memory building a pool definition");
  xmlDocSetRootElement (doc, root);
  xmlSetProp (root, BAD_CAST "type", BAD_CAST "dir");

  /* xmlNewTextChild() escapes what xmlNewChild() would read as markup. */
  xmlNewTextChild (root, NULL, BAD_CAST "name", BAD_CAST name);
  target = xmlNewChild (root, NULL, BAD_CAST "target", NULL);
  xmlNewTextChild (target, NULL, BAD_CAST "path", BAD_CAST target_path);
  return doc;
}

HangardPoolDef *
hangard_pool_def_new_dir (const char  *name,
                          const char  *target_path,
                          GError     **error)
{
  g_autofree char *normalized = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Checked before they go into a document, which needs UTF-8 text. */
  if (!hangard_pool_name_is_valid (name, error))
    return NULL;

  normalized = normalize_target_path (target_path != NULL ? target_path : "", error);
  if (normalized == NULL)
    return NULL;

  return pool_def_from_doc (build_dir_pool_doc (name, normalized), error);
}

char *
hangard_pool_def_to_xml (HangardPoolDef *def)
{
  g_return_val_if_fail (def != NULL, NULL);

  return hangard_xml_to_string (def->doc);
}

/* Sets <name unit='bytes'>value</name>, adding it after `after` when the
 * document has none. Returns the element. */
static xmlNode *
set_size_element (xmlNode    *root,
                  xmlNode    *after,
                  const char *name,
                  guint64     value)
{
  xmlNode *node = hangard_xml_find_child (root, name);
  g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT, value);

  if (node == NULL)
    {
      node = xmlNewDocNode (root->doc, NULL, BAD_CAST name, NULL);
      xmlAddNextSibling (after, node);
    }

  xmlSetProp (node, BAD_CAST "unit", BAD_CAST "bytes");
  hangard_xml_set_text (node, text);
  return node;
}

char *
hangard_pool_def_to_live_xml (HangardPoolDef *def,
                              guint64         capacity,
                              guint64         allocation,
                              guint64         available)
{
  g_autoptr(xmlDoc) doc = NULL;
  xmlNode *root;
  xmlNode *anchor;

  g_return_val_if_fail (def != NULL, NULL);

  doc = xmlCopyDoc (def->doc, 1);
  if (doc == NULL)
    g_error ("Out of memory copying a pool definition");

  /* libvirt's order: name, uuid, capacity, allocation, available. */
  root = xmlDocGetRootElement (doc);
  anchor = hangard_xml_find_child (root, "uuid");
  g_assert (anchor != NULL);
  anchor = set_size_element (root, anchor, "capacity", capacity);
  anchor = set_size_element (root, anchor, "allocation", allocation);
  set_size_element (root, anchor, "available", available);

  return hangard_xml_to_string (doc);
}

HangardPoolDef *
hangard_pool_def_copy (HangardPoolDef *def)
{
  HangardPoolDef *copy;

  g_return_val_if_fail (def != NULL, NULL);

  copy = g_new0 (HangardPoolDef, 1);
  copy->doc = xmlCopyDoc (def->doc, 1);
  if (copy->doc == NULL)
    g_error ("Out of memory copying a pool definition");

  copy->name = g_strdup (def->name);
  memcpy (copy->uuid, def->uuid, sizeof copy->uuid);
  copy->target_path = g_strdup (def->target_path);
  return copy;
}

void
hangard_pool_def_free (HangardPoolDef *def)
{
  if (def == NULL)
    return;

  g_clear_pointer (&def->doc, xmlFreeDoc);
  g_free (def->name);
  g_free (def->target_path);
  g_free (def);
}

/* ------------------------------------------------------------------------- */
/* Volume XML                                                                */
/* ------------------------------------------------------------------------- */

/* Text from outside a parsed document (a backing path read from an image
 * header may be anything) made safe to write, then escaped by libxml2. */
static xmlNode *
add_text_element (xmlNode    *parent,
                  const char *name,
                  const char *text)
{
  g_autofree char *valid = hangard_xml_make_valid_text (text);

  return xmlNewTextChild (parent, NULL, BAD_CAST name, BAD_CAST valid);
}

static void
add_size_element (xmlNode    *parent,
                  const char *name,
                  guint64     value)
{
  g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT, value);
  xmlNode *node = add_text_element (parent, name, text);

  xmlSetProp (node, BAD_CAST "unit", BAD_CAST "bytes");
}

static void
add_file_elements (xmlNode    *parent,
                   const char *path,
                   const char *format)
{
  add_text_element (parent, "path", path);
  if (format != NULL)
    {
      g_autofree char *valid = hangard_xml_make_valid_text (format);
      xmlNode *node = xmlNewChild (parent, NULL, BAD_CAST "format", NULL);

      xmlSetProp (node, BAD_CAST "type", BAD_CAST valid);
    }
}

char *
hangard_volume_to_xml (const char *name,
                       const char *path,
                       const char *format,
                       guint64     capacity,
                       guint64     allocation,
                       const char *backing_path,
                       const char *backing_format)
{
  g_autoptr(xmlDoc) doc = NULL;
  xmlNode *root;
  xmlNode *target;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (format != NULL, NULL);

  hangard_xml_ensure_initialized ();

  doc = xmlNewDoc (BAD_CAST "1.0");
  root = xmlNewDocNode (doc, NULL, BAD_CAST "volume", NULL);
  if (doc == NULL || root == NULL)
    g_error ("Out of memory building a volume description");
  xmlDocSetRootElement (doc, root);
  xmlSetProp (root, BAD_CAST "type", BAD_CAST "file");

  add_text_element (root, "name", name);
  /* A file volume's key is its path, as in libvirt. */
  add_text_element (root, "key", path);
  add_size_element (root, "capacity", capacity);
  add_size_element (root, "allocation", allocation);

  target = xmlNewChild (root, NULL, BAD_CAST "target", NULL);
  add_file_elements (target, path, format);

  if (backing_path != NULL)
    {
      xmlNode *backing = xmlNewChild (root, NULL, BAD_CAST "backingStore", NULL);

      add_file_elements (backing, backing_path, backing_format);
    }

  return hangard_xml_to_string (doc);
}
