/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-machine-def"

#include "hangar-machine-def.h"

#include <glib/gi18n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#include "hangard-error.h"

#define KIB_PER_MIB G_GUINT64_CONSTANT (1024)
#define LIBOSINFO_NS "http://libosinfo.org/xmlns/libvirt/domain/1.0"
#define KIB_PER_GIB G_GUINT64_CONSTANT (1024 * 1024)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlParserCtxt, xmlFreeParserCtxt)

/* ---- Reading -------------------------------------------------------------- */

static gboolean
is_element (xmlNode    *node,
            const char *name)
{
  return node->type == XML_ELEMENT_NODE && g_strcmp0 ((const char *) node->name, name) == 0;
}

static xmlNode *
find_child (xmlNode    *parent,
            const char *name)
{
  if (parent == NULL)
    return NULL;
  for (xmlNode *child = parent->children; child != NULL; child = child->next)
    if (is_element (child, name))
      return child;
  return NULL;
}

/* The text of @node, stripped, or NULL without a node. */
static char *
get_text (xmlNode *node)
{
  xmlChar *content;
  char *text;

  if (node == NULL)
    return NULL;
  content = xmlNodeGetContent (node);
  text = g_strstrip (g_strdup (content != NULL ? (const char *) content : ""));
  xmlFree (content);
  return text;
}

static char *
get_attribute (xmlNode    *node,
               const char *name)
{
  xmlChar *value;
  char *copy;

  if (node == NULL)
    return NULL;
  value = xmlGetProp (node, BAD_CAST name);
  if (value == NULL)
    return NULL;
  copy = g_strdup ((const char *) value);
  xmlFree (value);
  return copy;
}

static char *
get_child_attribute (xmlNode    *parent,
                     const char *child,
                     const char *name)
{
  return get_attribute (find_child (parent, child), name);
}

static xmlDoc *
read_document (const char  *xml,
               GError     **error)
{
  g_autoptr(xmlParserCtxt) context = xmlNewParserCtxt ();
  g_autoptr(xmlDoc) doc = NULL;
  xmlNode *root;

  if (context == NULL)
    g_error ("Out of memory reading a machine definition");

  doc = xmlCtxtReadMemory (context, xml, strlen (xml), "domain.xml", NULL,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == NULL)
    {
      const xmlError *problem = xmlCtxtGetLastError (context);
      g_autofree char *message = g_strdup (problem != NULL ? problem->message : NULL);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   _("The definition cannot be read: line %d: %s"),
                   problem != NULL ? problem->line : 0,
                   message != NULL ? g_strstrip (message) : "");
      return NULL;
    }

  /* Entities are never expanded; a document that declares any is refused. */
  if (doc->intSubset != NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           _("The definition has a DTD, which Hangar does not read"));
      return NULL;
    }

  root = xmlDocGetRootElement (doc);
  if (root == NULL || !is_element (root, "domain"))
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           _("The definition is not a <domain> document"));
      return NULL;
    }
  return g_steal_pointer (&doc);
}

static gboolean
unit_scale_bytes (const char *unit,
                  guint64    *scale)
{
  guint64 base;
  int exponent;

  if (unit == NULL)
    unit = "KiB";
  if (g_ascii_strcasecmp (unit, "b") == 0 || g_ascii_strcasecmp (unit, "bytes") == 0)
    {
      *scale = 1;
      return TRUE;
    }
  if (unit[0] == '\0')
    return FALSE;
  if (unit[1] == '\0' || g_ascii_strcasecmp (unit + 1, "iB") == 0)
    base = 1024;
  else if (g_ascii_tolower (unit[1]) == 'b' && unit[2] == '\0')
    base = 1000;
  else
    return FALSE;

  switch (g_ascii_tolower (unit[0]))
    {
    case 'k': exponent = 1; break;
    case 'm': exponent = 2; break;
    case 'g': exponent = 3; break;
    case 't': exponent = 4; break;
    default: return FALSE;
    }
  *scale = 1;
  while (exponent-- > 0)
    *scale *= base;
  return TRUE;
}

/* <memory unit='MiB'>128</memory> in KiB, rounded up; 0 when unreadable. */
static guint64
memory_kib (xmlNode *node)
{
  g_autofree char *text = get_text (node);
  g_autofree char *unit = get_attribute (node, "unit");
  guint64 scale;
  guint64 value;

  if (text == NULL || !unit_scale_bytes (unit, &scale) ||
      !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64 / scale, &value, NULL))
    return 0;
  return (value * scale + 1023) / 1024;
}

static guint
parse_uint (const char *text,
            guint       fallback)
{
  guint64 value;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT, &value, NULL))
    return fallback;
  return (guint) value;
}

static guint
boot_order (xmlNode *device)
{
  g_autofree char *order = get_child_attribute (device, "boot", "order");

  return parse_uint (order, 0);
}

static void
disk_info_free (HangarDiskInfo *disk)
{
  g_free (disk->target);
  g_free (disk->device);
  g_free (disk->source);
  g_free (disk->format);
  g_free (disk->bus);
  g_free (disk);
}

static void
nic_info_free (HangarNicInfo *nic)
{
  g_free (nic->type);
  g_free (nic->source);
  g_free (nic->model);
  g_free (nic->mac);
  g_free (nic);
}

static char *
disk_source (xmlNode *disk)
{
  xmlNode *source = find_child (disk, "source");
  g_autofree char *file = get_attribute (source, "file");
  g_autofree char *pool = get_attribute (source, "pool");
  g_autofree char *volume = get_attribute (source, "volume");

  if (file != NULL)
    return g_steal_pointer (&file);
  if (pool != NULL || volume != NULL)
    return g_strdup_printf ("%s/%s", pool ? pool : "", volume ? volume : "");
  return g_strdup ("");
}

static HangarDiskInfo *
read_disk (xmlNode *node)
{
  HangarDiskInfo *disk = g_new0 (HangarDiskInfo, 1);
  xmlNode *target = find_child (node, "target");

  disk->device = get_attribute (node, "device");
  if (disk->device == NULL)
    disk->device = g_strdup ("disk");
  disk->source = disk_source (node);
  disk->format = get_child_attribute (node, "driver", "type");
  if (disk->format == NULL)
    disk->format = g_strdup ("");
  disk->target = get_attribute (target, "dev");
  if (disk->target == NULL)
    disk->target = g_strdup ("");
  disk->bus = get_attribute (target, "bus");
  if (disk->bus == NULL)
    disk->bus = g_strdup ("");
  disk->boot_order = boot_order (node);
  disk->readonly = find_child (node, "readonly") != NULL;
  return disk;
}

static HangarNicInfo *
read_nic (xmlNode *node)
{
  HangarNicInfo *nic = g_new0 (HangarNicInfo, 1);
  xmlNode *source = find_child (node, "source");
  char *source_name;

  nic->type = get_attribute (node, "type");
  if (nic->type == NULL)
    nic->type = g_strdup ("");
  source_name = get_attribute (source, "network");
  if (source_name == NULL)
    source_name = get_attribute (source, "bridge");
  nic->source = source_name != NULL ? source_name : g_strdup ("");
  nic->model = get_child_attribute (node, "model", "type");
  if (nic->model == NULL)
    nic->model = g_strdup ("");
  nic->mac = get_child_attribute (node, "mac", "address");
  if (nic->mac == NULL)
    nic->mac = g_strdup ("");
  nic->boot_order = boot_order (node);
  return nic;
}

static void
read_os (HangarMachineDef *def,
         xmlNode          *os)
{
  if (os == NULL)
    return;
  for (xmlNode *child = os->children; child != NULL; child = child->next)
    {
      char *dev;

      if (!is_element (child, "boot"))
        continue;
      dev = get_attribute (child, "dev");
      if (dev != NULL)
        g_ptr_array_add (def->boot_devs, dev);
    }
  def->kernel = get_text (find_child (os, "kernel"));
}

/* <metadata><libosinfo:libosinfo xmlns:libosinfo="..."><libosinfo:os id="..."/>,
 * matched by namespace, whatever its prefix. */
static char *
read_os_id (xmlNode *metadata)
{
  if (metadata == NULL)
    return NULL;
  for (xmlNode *child = metadata->children; child != NULL; child = child->next)
    {
      if (!is_element (child, "libosinfo") || child->ns == NULL ||
          g_strcmp0 ((const char *) child->ns->href, LIBOSINFO_NS) != 0)
        continue;
      for (xmlNode *os = child->children; os != NULL; os = os->next)
        if (is_element (os, "os") && os->ns != NULL &&
            g_strcmp0 ((const char *) os->ns->href, LIBOSINFO_NS) == 0)
          return get_attribute (os, "id");
    }
  return NULL;
}

static void
read_devices (HangarMachineDef *def,
              xmlNode          *devices)
{
  if (devices == NULL)
    return;
  for (xmlNode *child = devices->children; child != NULL; child = child->next)
    {
      if (is_element (child, "disk"))
        g_ptr_array_add (def->disks, read_disk (child));
      else if (is_element (child, "interface"))
        g_ptr_array_add (def->nics, read_nic (child));
      else if (is_element (child, "graphics"))
        {
          g_autofree char *type = get_attribute (child, "type");

          if (g_strcmp0 (type, "vnc") == 0)
            def->has_vnc = TRUE;
        }
      else if (is_element (child, "video") && def->video_model[0] == '\0')
        {
          char *model = get_child_attribute (child, "model", "type");

          if (model != NULL)
            {
              g_free (def->video_model);
              def->video_model = model;
            }
        }
    }
}

HangarMachineDef *
hangar_machine_def_parse (const char  *xml,
                          GError     **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(HangarMachineDef) def = NULL;
  g_autofree char *vcpu = NULL;
  xmlNode *root;

  g_return_val_if_fail (xml != NULL, NULL);

  doc = read_document (xml, error);
  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);

  def = g_new0 (HangarMachineDef, 1);
  def->boot_devs = g_ptr_array_new_with_free_func (g_free);
  def->disks = g_ptr_array_new_with_free_func ((GDestroyNotify) disk_info_free);
  def->nics = g_ptr_array_new_with_free_func ((GDestroyNotify) nic_info_free);
  def->video_model = g_strdup ("");

  def->name = get_text (find_child (root, "name"));
  def->memory_kib = memory_kib (find_child (root, "memory"));
  vcpu = get_text (find_child (root, "vcpu"));
  def->vcpus = parse_uint (vcpu, 1);
  read_os (def, find_child (root, "os"));
  def->os_id = read_os_id (find_child (root, "metadata"));
  read_devices (def, find_child (root, "devices"));
  return g_steal_pointer (&def);
}

void
hangar_machine_def_free (HangarMachineDef *def)
{
  if (def == NULL)
    return;
  g_free (def->name);
  g_clear_pointer (&def->boot_devs, g_ptr_array_unref);
  g_free (def->kernel);
  g_free (def->os_id);
  g_clear_pointer (&def->disks, g_ptr_array_unref);
  g_clear_pointer (&def->nics, g_ptr_array_unref);
  g_free (def->video_model);
  g_free (def);
}

/* ---- Writing -------------------------------------------------------------- */

/* The document as text; without an XML declaration unless @original had one. */
static char *
write_document (xmlDoc     *doc,
                const char *original)
{
  xmlChar *memory = NULL;
  int length = 0;
  const char *text;
  char *result;

  xmlDocDumpMemoryEnc (doc, &memory, &length, "UTF-8");
  if (memory == NULL)
    g_error ("Out of memory writing a machine definition");

  text = (const char *) memory;
  while (g_ascii_isspace (*original))
    original++;
  if (!g_str_has_prefix (original, "<?xml") && g_str_has_prefix (text, "<?xml"))
    {
      const char *end = strstr (text, "?>");

      if (end != NULL)
        {
          text = end + 2;
          while (*text == '\n')
            text++;
        }
    }
  result = g_strdup (text);
  xmlFree (memory);
  return result;
}

static int
element_depth (xmlNode *node)
{
  int depth = 0;

  for (; node != NULL && node->type == XML_ELEMENT_NODE; node = node->parent)
    depth++;
  return depth;
}

static gboolean
is_blank_text (xmlNode *node)
{
  return node != NULL && node->type == XML_TEXT_NODE && xmlIsBlankNode (node);
}

/* A new element at the end of @parent, indented like the engine's output
 * (two spaces a level). */
static xmlNode *
append_element (xmlNode    *parent,
                const char *name)
{
  xmlDoc *doc = parent->doc;
  xmlNode *node = xmlNewDocNode (doc, NULL, BAD_CAST name, NULL);
  int depth = element_depth (parent);
  g_autofree char *indent = g_strnfill (depth * 2, ' ');
  g_autofree char *outer_indent = g_strnfill ((depth - 1) * 2, ' ');
  g_autofree char *before = g_strconcat ("\n", indent, NULL);
  g_autofree char *after = g_strconcat ("\n", outer_indent, NULL);

  if (is_blank_text (parent->last))
    {
      /* Text added next to text merges into it, which keeps the order. */
      xmlAddPrevSibling (parent->last, node);
      xmlAddPrevSibling (node, xmlNewDocText (doc, BAD_CAST before));
    }
  else
    {
      xmlAddChild (parent, xmlNewDocText (doc, BAD_CAST before));
      xmlAddChild (parent, node);
      xmlAddChild (parent, xmlNewDocText (doc, BAD_CAST after));
    }
  return node;
}

static xmlNode *
ensure_child (xmlNode    *parent,
              const char *name)
{
  xmlNode *child = find_child (parent, name);

  return child != NULL ? child : append_element (parent, name);
}

static void
set_text (xmlNode    *node,
          const char *text)
{
  xmlChar *escaped = xmlEncodeSpecialChars (node->doc, BAD_CAST text);

  xmlNodeSetContent (node, escaped);
  xmlFree (escaped);
}

static void
set_memory (xmlNode *node,
            guint64  kib)
{
  g_autofree char *value = NULL;
  const char *unit;

  if (kib % KIB_PER_GIB == 0)
    {
      unit = "GiB";
      value = g_strdup_printf ("%" G_GUINT64_FORMAT, kib / KIB_PER_GIB);
    }
  else if (kib % KIB_PER_MIB == 0)
    {
      unit = "MiB";
      value = g_strdup_printf ("%" G_GUINT64_FORMAT, kib / KIB_PER_MIB);
    }
  else
    {
      unit = "KiB";
      value = g_strdup_printf ("%" G_GUINT64_FORMAT, kib);
    }
  set_text (node, value);
  xmlSetProp (node, BAD_CAST "unit", BAD_CAST unit);
}

static void
set_uint_attribute (xmlNode    *node,
                    const char *name,
                    guint       value)
{
  g_autofree char *text = g_strdup_printf ("%u", value);

  xmlSetProp (node, BAD_CAST name, BAD_CAST text);
}

static guint
topology_product (xmlNode *topology)
{
  static const char * const factors[] = { "sockets", "dies", "cores", "threads" };
  guint product = 1;

  for (guint i = 0; i < G_N_ELEMENTS (factors); i++)
    {
      g_autofree char *text = get_attribute (topology, factors[i]);

      product *= parse_uint (text, 1);
    }
  return product;
}

/* A topology that no longer matches the vCPU count: one socket per vCPU. */
static void
fit_topology (xmlNode *root,
              guint    vcpus)
{
  xmlNode *topology = find_child (find_child (root, "cpu"), "topology");

  if (topology == NULL || topology_product (topology) == vcpus)
    return;
  set_uint_attribute (topology, "sockets", vcpus);
  if (xmlHasProp (topology, BAD_CAST "dies"))
    set_uint_attribute (topology, "dies", 1);
  set_uint_attribute (topology, "cores", 1);
  set_uint_attribute (topology, "threads", 1);
}

static void
set_memory_elements (xmlNode *root,
                     guint64  new_kib)
{
  xmlNode *memory = ensure_child (root, "memory");
  xmlNode *current = find_child (root, "currentMemory");
  guint64 old_kib = memory_kib (memory);

  set_memory (memory, new_kib);
  if (current != NULL)
    {
      guint64 current_kib = memory_kib (current);

      /* Memory in full stays in full; a smaller balloon target stays if it fits. */
      set_memory (current, current_kib == old_kib ? new_kib : MIN (current_kib, new_kib));
    }
}

char *
hangar_machine_def_set_resources (const char  *xml,
                                  guint64      memory_kib_value,
                                  guint        vcpus,
                                  GError     **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  g_autofree char *vcpu_text = g_strdup_printf ("%u", vcpus);
  xmlNode *root;
  xmlNode *vcpu;

  g_return_val_if_fail (xml != NULL, NULL);

  doc = read_document (xml, error);
  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);

  set_memory_elements (root, memory_kib_value);
  vcpu = ensure_child (root, "vcpu");
  set_text (vcpu, vcpu_text);
  xmlUnsetProp (vcpu, BAD_CAST "current");
  fit_topology (root, vcpus);
  return write_document (doc, xml);
}

static xmlNode *
nth_device (xmlNode    *devices,
            const char *element,
            guint       index)
{
  if (devices == NULL)
    return NULL;
  for (xmlNode *child = devices->children; child != NULL; child = child->next)
    if (is_element (child, element) && index-- == 0)
      return child;
  return NULL;
}

char *
hangar_machine_def_remove_device (const char  *xml,
                                  const char  *element,
                                  guint        index,
                                  GError     **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  xmlNode *device;

  g_return_val_if_fail (xml != NULL, NULL);
  g_return_val_if_fail (element != NULL, NULL);

  doc = read_document (xml, error);
  if (doc == NULL)
    return NULL;

  device = nth_device (find_child (xmlDocGetRootElement (doc), "devices"), element, index);
  if (device == NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                   _("The definition has no such <%s>: it changed meanwhile"), element);
      return NULL;
    }

  if (is_blank_text (device->prev))
    {
      xmlNode *blank = device->prev;

      xmlUnlinkNode (blank);
      xmlFreeNode (blank);
    }
  xmlUnlinkNode (device);
  xmlFreeNode (device);
  return write_document (doc, xml);
}

static const char *
target_prefix (const char *bus)
{
  if (g_strcmp0 (bus, "virtio") == 0)
    return "vd";
  if (g_strcmp0 (bus, "ide") == 0)
    return "hd";
  return "sd";
}

/* The first target name on @bus that no disk uses: vda, vdb... */
static char *
free_target (xmlNode    *devices,
             const char *bus)
{
  const char *prefix = target_prefix (bus);

  for (char letter = 'a'; letter <= 'z'; letter++)
    {
      g_autofree char *name = g_strdup_printf ("%s%c", prefix, letter);
      gboolean taken = FALSE;

      for (xmlNode *child = devices->children; child != NULL && !taken; child = child->next)
        {
          g_autofree char *dev = NULL;

          if (!is_element (child, "disk"))
            continue;
          dev = get_child_attribute (child, "target", "dev");
          taken = g_strcmp0 (dev, name) == 0;
        }
      if (!taken)
        return g_steal_pointer (&name);
    }
  return NULL;
}

/* A new <disk> of @type "file" (@path) or "volume" (@pool, @volume). */
static char *
add_disk (const char  *xml,
          const char  *type,
          const char  *path,
          const char  *pool,
          const char  *volume,
          const char  *device,
          const char  *format,
          const char  *bus,
          GError     **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  g_autofree char *target_dev = NULL;
  xmlNode *devices;
  xmlNode *disk;
  xmlNode *child;

  doc = read_document (xml, error);
  if (doc == NULL)
    return NULL;
  devices = ensure_child (xmlDocGetRootElement (doc), "devices");

  target_dev = free_target (devices, bus);
  if (target_dev == NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("Every disk name on the %s bus is taken"), bus);
      return NULL;
    }

  disk = append_element (devices, "disk");
  xmlSetProp (disk, BAD_CAST "type", BAD_CAST type);
  xmlSetProp (disk, BAD_CAST "device", BAD_CAST device);
  child = append_element (disk, "driver");
  xmlSetProp (child, BAD_CAST "name", BAD_CAST "qemu");
  xmlSetProp (child, BAD_CAST "type", BAD_CAST format);
  child = append_element (disk, "source");
  if (path != NULL)
    xmlSetProp (child, BAD_CAST "file", BAD_CAST path);
  else
    {
      xmlSetProp (child, BAD_CAST "pool", BAD_CAST pool);
      xmlSetProp (child, BAD_CAST "volume", BAD_CAST volume);
    }
  child = append_element (disk, "target");
  xmlSetProp (child, BAD_CAST "dev", BAD_CAST target_dev);
  xmlSetProp (child, BAD_CAST "bus", BAD_CAST bus);
  if (g_strcmp0 (device, "cdrom") == 0)
    append_element (disk, "readonly");
  return write_document (doc, xml);
}

char *
hangar_machine_def_add_disk (const char  *xml,
                             const char  *path,
                             const char  *device,
                             const char  *format,
                             const char  *bus,
                             GError     **error)
{
  g_return_val_if_fail (xml != NULL && path != NULL && device != NULL, NULL);
  g_return_val_if_fail (format != NULL && bus != NULL, NULL);

  return add_disk (xml, "file", path, NULL, NULL, device, format, bus, error);
}

char *
hangar_machine_def_add_volume_disk (const char  *xml,
                                    const char  *pool,
                                    const char  *volume,
                                    const char  *device,
                                    const char  *format,
                                    const char  *bus,
                                    GError     **error)
{
  g_return_val_if_fail (xml != NULL && pool != NULL && volume != NULL && device != NULL, NULL);
  g_return_val_if_fail (format != NULL && bus != NULL, NULL);

  return add_disk (xml, "volume", NULL, pool, volume, device, format, bus, error);
}

char *
hangar_machine_def_add_nic (const char  *xml,
                            const char  *type,
                            const char  *source,
                            const char  *model,
                            GError     **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  xmlNode *devices;
  xmlNode *nic;

  g_return_val_if_fail (xml != NULL && type != NULL && model != NULL, NULL);

  doc = read_document (xml, error);
  if (doc == NULL)
    return NULL;
  devices = ensure_child (xmlDocGetRootElement (doc), "devices");

  nic = append_element (devices, "interface");
  xmlSetProp (nic, BAD_CAST "type", BAD_CAST type);
  if (g_strcmp0 (type, "network") == 0 || g_strcmp0 (type, "bridge") == 0)
    {
      xmlNode *source_node = append_element (nic, "source");

      xmlSetProp (source_node, BAD_CAST type, BAD_CAST (source != NULL ? source : ""));
    }
  xmlSetProp (append_element (nic, "model"), BAD_CAST "type", BAD_CAST model);
  return write_document (doc, xml);
}

/* @node as a document of its own. */
static char *
write_element (xmlNode *node)
{
  g_autoptr(xmlDoc) doc = xmlNewDoc (BAD_CAST "1.0");
  xmlNode *copy = xmlDocCopyNode (node, doc, 1);
  xmlBuffer *buffer = xmlBufferCreate ();
  char *text;

  if (copy == NULL || buffer == NULL)
    g_error ("Out of memory writing a device");
  xmlDocSetRootElement (doc, copy);
  xmlNodeDump (buffer, doc, copy, 0, 0);
  text = g_strdup ((const char *) xmlBufferContent (buffer));
  xmlBufferFree (buffer);
  return text;
}

static xmlNode *
find_device (xmlDoc      *doc,
             const char  *element,
             guint        index,
             GError     **error)
{
  xmlNode *device = nth_device (find_child (xmlDocGetRootElement (doc), "devices"), element, index);

  if (device == NULL)
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                 _("The definition has no such <%s>: it changed meanwhile"), element);
  return device;
}

char *
hangar_machine_def_get_device (const char  *xml,
                               const char  *element,
                               guint        index,
                               GError     **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  xmlNode *device;

  g_return_val_if_fail (xml != NULL, NULL);
  g_return_val_if_fail (element != NULL, NULL);

  doc = read_document (xml, error);
  if (doc == NULL)
    return NULL;
  device = find_device (doc, element, index, error);
  return device != NULL ? write_element (device) : NULL;
}

char *
hangar_machine_def_cdrom_with_medium (const char  *xml,
                                      guint        index,
                                      const char  *path,
                                      const char  *pool,
                                      const char  *volume,
                                      GError     **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  xmlNode *disk;
  xmlNode *source;
  xmlNode *driver;

  g_return_val_if_fail (xml != NULL, NULL);
  g_return_val_if_fail (path == NULL || (pool == NULL && volume == NULL), NULL);
  g_return_val_if_fail ((pool == NULL) == (volume == NULL), NULL);

  doc = read_document (xml, error);
  if (doc == NULL)
    return NULL;
  disk = find_device (doc, "disk", index, error);
  if (disk == NULL)
    return NULL;

  source = find_child (disk, "source");
  if (source != NULL)
    {
      xmlUnlinkNode (source);
      xmlFreeNode (source);
    }
  xmlSetProp (disk, BAD_CAST "type", BAD_CAST (volume != NULL ? "volume" : "file"));
  if (path == NULL && volume == NULL)
    return write_element (disk);

  /* Install media are raw images: the format is stated, never guessed. */
  driver = find_child (disk, "driver");
  if (driver == NULL)
    {
      driver = xmlNewDocNode (doc, NULL, BAD_CAST "driver", NULL);
      xmlAddChild (disk, driver);
      xmlSetProp (driver, BAD_CAST "name", BAD_CAST "qemu");
    }
  xmlSetProp (driver, BAD_CAST "type", BAD_CAST "raw");

  source = xmlNewDocNode (doc, NULL, BAD_CAST "source", NULL);
  if (path != NULL)
    xmlSetProp (source, BAD_CAST "file", BAD_CAST path);
  else
    {
      xmlSetProp (source, BAD_CAST "pool", BAD_CAST pool);
      xmlSetProp (source, BAD_CAST "volume", BAD_CAST volume);
    }
  xmlAddNextSibling (driver, source);
  return write_element (disk);
}

guint
hangar_machine_def_error_line (const char *message)
{
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *digits = NULL;

  if (message == NULL)
    return 0;

  regex = g_regex_new ("\\bline (\\d+)", G_REGEX_CASELESS, 0, NULL);
  if (!g_regex_match (regex, message, 0, &match))
    return 0;
  digits = g_match_info_fetch (match, 1);
  return parse_uint (digits, 0);
}
