/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-device-def"

#include "hangard-device-def.h"

#include <glib/gi18n-lib.h>

#include "hangard-error.h"
#include "hangard-xml.h"

/* A device is one element: a generous bound, far below a definition's. */
#define MAX_DEVICE_XML_SIZE (64 * 1024)

/* ---- The device on its own ------------------------------------------------ */

void
hangard_device_def_free (HangardDeviceDef *device)
{
  if (device == NULL)
    return;
  g_clear_pointer (&device->doc, xmlFreeDoc);
  g_free (device->target_dev);
  g_free (device->mac);
  g_free (device->type);
  g_free (device);
}

HangardDeviceDef *
hangard_device_def_copy (const HangardDeviceDef *device)
{
  HangardDeviceDef *copy = g_new0 (HangardDeviceDef, 1);

  copy->doc = xmlCopyDoc (device->doc, 1);
  if (copy->doc == NULL)
    g_error ("Out of memory copying a device");
  copy->kind = device->kind;
  copy->target_dev = g_strdup (device->target_dev);
  copy->mac = g_strdup (device->mac);
  copy->type = g_strdup (device->type);
  return copy;
}

/* Parsed with the root the caller named; a wrong root is told apart from
 * other mistakes so the next kind can be tried. */
static xmlDoc *
parse_as (const char  *xml,
          const char  *root_name,
          gboolean    *wrong_root,
          GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *prefix = g_strdup_printf ("The root element must be <%s>", root_name);
  xmlDoc *doc = hangard_xml_parse_safely (xml, -1, MAX_DEVICE_XML_SIZE, root_name, &local_error);

  *wrong_root = doc == NULL && g_error_matches (local_error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML) &&
                g_str_has_prefix (local_error->message, prefix);
  if (doc == NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return doc;
}

static gboolean
read_disk_identity (HangardDeviceDef  *device,
                    xmlNode           *root,
                    GError           **error)
{
  xmlNode *target = hangard_xml_find_child (root, "target");

  device->target_dev = target != NULL ? hangard_xml_get_attribute (target, "dev") : NULL;
  if (device->target_dev == NULL || *device->target_dev == '\0')
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           _("The <disk> needs a <target dev='...'/> naming it, e.g. dev='vdb'"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_interface_identity (HangardDeviceDef  *device,
                         xmlNode           *root,
                         GError           **error)
{
  xmlNode *mac = hangard_xml_find_child (root, "mac");
  g_autofree char *address = mac != NULL ? hangard_xml_get_attribute (mac, "address") : NULL;

  device->type = hangard_xml_get_attribute (root, "type");
  if (address != NULL)
    {
      device->mac = hangard_xml_parse_unicast_mac (address, HANGAR_ERROR_INVALID_XML, error);
      if (device->mac == NULL)
        return FALSE;
    }
  return TRUE;
}

HangardDeviceDef *
hangard_device_def_parse (const char  *xml,
                          GError     **error)
{
  g_autoptr(HangardDeviceDef) device = g_new0 (HangardDeviceDef, 1);
  g_autoptr(GError) disk_error = NULL;
  gboolean wrong_root = FALSE;
  xmlNode *root;

  g_return_val_if_fail (xml != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  device->doc = parse_as (xml, "disk", &wrong_root, &disk_error);
  if (device->doc != NULL)
    device->kind = HANGARD_DEVICE_DISK;
  else if (!wrong_root)
    {
      g_propagate_error (error, g_steal_pointer (&disk_error));
      return NULL;
    }
  else
    {
      device->doc = parse_as (xml, "interface", &wrong_root, NULL);
      if (device->doc == NULL)
        {
          g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                               _("A device is one <disk> or <interface> element in libvirt’s "
                                 "domain XML"));
          return NULL;
        }
      device->kind = HANGARD_DEVICE_INTERFACE;
    }

  root = xmlDocGetRootElement (device->doc);
  if (device->kind == HANGARD_DEVICE_DISK ? !read_disk_identity (device, root, error)
                                          : !read_interface_identity (device, root, error))
    return NULL;
  return g_steal_pointer (&device);
}

char *
hangard_device_def_describe (const HangardDeviceDef *device)
{
  if (device->kind == HANGARD_DEVICE_DISK)
    return g_strdup_printf (_("disk %s"), device->target_dev);
  if (device->mac != NULL)
    return g_strdup_printf (_("interface %s"), device->mac);
  return g_strdup_printf (_("interface of type %s"), device->type != NULL ? device->type : "?");
}

void
hangard_device_def_ensure_mac (HangardDeviceDef *device)
{
  xmlNode *root;
  xmlNode *mac;

  if (device->kind != HANGARD_DEVICE_INTERFACE || device->mac != NULL)
    return;

  /* QEMU's prefix, as the domain parser and libvirt use. */
  device->mac = g_strdup_printf ("52:54:00:%02x:%02x:%02x", g_random_int_range (0, 256),
                                 g_random_int_range (0, 256), g_random_int_range (0, 256));
  root = xmlDocGetRootElement (device->doc);
  mac = hangard_xml_find_child (root, "mac");
  if (mac == NULL)
    {
      mac = xmlNewDocNode (device->doc, NULL, BAD_CAST "mac", NULL);
      if (root->children != NULL)
        xmlAddPrevSibling (root->children, mac);
      else
        xmlAddChild (root, mac);
    }
  xmlSetProp (mac, BAD_CAST "address", BAD_CAST device->mac);
}

/* ---- Finding devices in a definition ------------------------------------- */

static xmlNode *
devices_node (xmlDoc   *doc,
              gboolean  create)
{
  xmlNode *root = xmlDocGetRootElement (doc);
  xmlNode *devices = hangard_xml_find_child (root, "devices");

  if (devices == NULL && create)
    devices = xmlNewChild (root, NULL, BAD_CAST "devices", NULL);
  return devices;
}

static char *
disk_node_target (xmlNode *disk)
{
  xmlNode *target = hangard_xml_find_child (disk, "target");

  return target != NULL ? hangard_xml_get_attribute (target, "dev") : NULL;
}

static char *
interface_node_mac (xmlNode *interface)
{
  xmlNode *mac = hangard_xml_find_child (interface, "mac");
  g_autofree char *address = mac != NULL ? hangard_xml_get_attribute (mac, "address") : NULL;

  return address != NULL ? hangard_xml_parse_unicast_mac (address, HANGAR_ERROR_INVALID_XML, NULL)
                         : NULL;
}

/* <source network=...> or <source bridge=...>, whichever is there. */
static char *
interface_node_source (xmlNode *interface)
{
  xmlNode *source = hangard_xml_find_child (interface, "source");
  char *name;

  if (source == NULL)
    return NULL;
  name = hangard_xml_get_attribute (source, "network");
  return name != NULL ? name : hangard_xml_get_attribute (source, "bridge");
}

/* The element of `doc` that `device` names, and its index among the
 * elements of its kind; NULL with NOT_FOUND or (interfaces named by type)
 * INVALID_ARGUMENT. */
static xmlNode *
find_device_node (HangardDomain          *domain,
                  xmlDoc                 *doc,
                  const HangardDeviceDef *device,
                  guint                  *index_out,
                  GError                **error)
{
  xmlNode *devices = devices_node (doc, FALSE);
  const char *element = device->kind == HANGARD_DEVICE_DISK ? "disk" : "interface";
  g_autofree char *wanted_source = NULL;
  g_autofree char *described = hangard_device_def_describe (device);
  xmlNode *found = NULL;
  guint n_found = 0;
  guint index = 0;

  if (device->kind == HANGARD_DEVICE_INTERFACE && device->mac == NULL)
    wanted_source = interface_node_source (xmlDocGetRootElement (device->doc));

  for (xmlNode *child = devices != NULL ? hangard_xml_first_element (devices->children) : NULL;
       child != NULL; child = hangard_xml_first_element (child->next))
    {
      gboolean match;

      if (!hangard_xml_is_element_named (child, element))
        continue;

      if (device->kind == HANGARD_DEVICE_DISK)
        {
          g_autofree char *target = disk_node_target (child);
          match = g_strcmp0 (target, device->target_dev) == 0;
        }
      else if (device->mac != NULL)
        {
          g_autofree char *mac = interface_node_mac (child);
          match = g_strcmp0 (mac, device->mac) == 0;
        }
      else
        {
          g_autofree char *type = hangard_xml_get_attribute (child, "type");
          g_autofree char *source = interface_node_source (child);
          match = g_strcmp0 (type, device->type) == 0 &&
                  (wanted_source == NULL || g_strcmp0 (source, wanted_source) == 0);
        }

      if (match)
        {
          if (n_found == 0)
            {
              found = child;
              *index_out = index;
            }
          n_found++;
        }
      index++;
    }

  if (n_found == 0)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                   _("Machine '%s' has no %s"), domain->name, described);
      return NULL;
    }
  if (n_found > 1)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("Machine '%s' has %u interfaces of type %s: name the one you mean by its MAC address"),
                   domain->name, n_found, device->type != NULL ? device->type : "?");
      return NULL;
    }
  return found;
}

/* ---- New definitions ------------------------------------------------------ */

static xmlDoc *
copy_document (HangardDomain *domain)
{
  xmlDoc *doc = xmlCopyDoc (domain->doc, 1);

  if (doc == NULL)
    g_error ("Out of memory copying a machine definition");
  return doc;
}

/* The whole definition, checked as DefineMachine checks one. */
static HangardDomain *
reparse (xmlDoc  *doc,
         GError **error)
{
  g_autofree char *xml = hangard_xml_to_string (doc);

  return hangard_domain_parse (xml, -1, error);
}

static xmlNode *
copy_device_root (const HangardDeviceDef *device,
                  xmlDoc                 *into)
{
  xmlNode *node = xmlDocCopyNode (xmlDocGetRootElement (device->doc), into, 1);

  if (node == NULL)
    g_error ("Out of memory copying a device");
  return node;
}

static gboolean
check_not_taken (HangardDomain          *domain,
                 const HangardDeviceDef *device,
                 GError                **error)
{
  if (device->kind == HANGARD_DEVICE_DISK)
    {
      for (guint i = 0; i < domain->disks->len; i++)
        {
          HangardDiskDef *disk = g_ptr_array_index (domain->disks, i);

          if (g_strcmp0 (disk->target_dev, device->target_dev) == 0)
            {
              g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                           _("Machine '%s' already has a disk %s"), domain->name, device->target_dev);
              return FALSE;
            }
        }
      return TRUE;
    }

  for (guint i = 0; device->mac != NULL && i < domain->nics->len; i++)
    {
      HangardNicDef *nic = g_ptr_array_index (domain->nics, i);

      if (g_strcmp0 (nic->mac, device->mac) == 0)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                       _("Machine '%s' already has an interface with MAC address %s"),
                       domain->name, device->mac);
          return FALSE;
        }
    }
  return TRUE;
}

HangardDomain *
hangard_domain_attach_device (HangardDomain          *domain,
                              const HangardDeviceDef *device,
                              guint                  *index,
                              GError                **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  const char *element;
  xmlNode *devices;
  xmlNode *last = NULL;
  xmlNode *node;
  guint count = 0;

  g_return_val_if_fail (domain != NULL && device != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_not_taken (domain, device, error))
    return NULL;

  doc = copy_document (domain);
  devices = devices_node (doc, TRUE);
  element = device->kind == HANGARD_DEVICE_DISK ? "disk" : "interface";
  HANGARD_XML_FOR_EACH_CHILD_ELEMENT (child, devices)
    {
      if (hangard_xml_is_element_named (child, element))
        {
          last = child;
          count++;
        }
    }

  node = copy_device_root (device, doc);
  if (last != NULL)
    xmlAddNextSibling (last, node);
  else
    xmlAddChild (devices, node);

  if (index != NULL)
    *index = count;
  return reparse (doc, error);
}

HangardDomain *
hangard_domain_detach_device (HangardDomain          *domain,
                              const HangardDeviceDef *device,
                              guint                  *index,
                              GError                **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  xmlNode *node;
  guint found_index = 0;

  g_return_val_if_fail (domain != NULL && device != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  doc = copy_document (domain);
  node = find_device_node (domain, doc, device, &found_index, error);
  if (node == NULL)
    return NULL;

  xmlUnlinkNode (node);
  xmlFreeNode (node);
  if (index != NULL)
    *index = found_index;
  return reparse (doc, error);
}

/* What a medium change may not touch. */
static gboolean
check_same_drive (HangardDomain        *domain,
                  const HangardDiskDef *old,
                  const HangardDiskDef *new,
                  GError              **error)
{
  const char *what = NULL;

  if (old->device != HANGARD_DISK_DEVICE_CDROM)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   _("Disk %s of machine '%s' is not a CD-ROM drive: only a CD-ROM’s medium can be "
                     "changed this way (detach the disk and attach another, or edit the definition)"),
                   old->target_dev, domain->name);
      return FALSE;
    }

  if (new->device != old->device)
    what = _("the device kind");
  else if (new->bus != old->bus)
    what = _("the bus");
  else if (new->cache != old->cache)
    what = _("the cache mode");
  else if (new->boot_order != old->boot_order)
    what = _("the boot order");
  if (what != NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   _("Only the medium of CD-ROM drive %s can change, not %s: edit the "
                     "definition for that"), old->target_dev, what);
      return FALSE;
    }
  return TRUE;
}

HangardDomain *
hangard_domain_update_device (HangardDomain          *domain,
                              const HangardDeviceDef *device,
                              guint                  *index,
                              GError                **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(HangardDomain) updated = NULL;
  xmlNode *node;
  xmlNode *replacement;
  guint found_index = 0;

  g_return_val_if_fail (domain != NULL && device != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (device->kind != HANGARD_DEVICE_DISK)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           _("Only a CD-ROM drive’s medium can be changed this way; an interface "
                             "is changed by detaching it and attaching another"));
      return NULL;
    }

  doc = copy_document (domain);
  node = find_device_node (domain, doc, device, &found_index, error);
  if (node == NULL)
    return NULL;

  replacement = copy_device_root (device, doc);
  xmlReplaceNode (node, replacement);
  xmlFreeNode (node);

  updated = reparse (doc, error);
  if (updated == NULL ||
      !check_same_drive (domain, g_ptr_array_index (domain->disks, found_index),
                         g_ptr_array_index (updated->disks, found_index), error))
    return NULL;

  if (index != NULL)
    *index = found_index;
  return g_steal_pointer (&updated);
}

/* ---- Memory and vCPUs ----------------------------------------------------- */

static void
set_kib_element (xmlNode *node,
                 guint64  kib)
{
  g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT, kib);

  xmlSetProp (node, BAD_CAST "unit", BAD_CAST "KiB");
  hangard_xml_set_text (node, text);
}

HangardDomain *
hangard_domain_set_memory (HangardDomain  *domain,
                           guint64         memory_kib,
                           GError        **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  xmlNode *root;
  xmlNode *memory;
  xmlNode *current;

  g_return_val_if_fail (domain != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  doc = copy_document (domain);
  root = xmlDocGetRootElement (doc);
  memory = hangard_xml_find_child (root, "memory");
  current = hangard_xml_find_child (root, "currentMemory");
  /* A parsed definition always has <memory>. */
  g_return_val_if_fail (memory != NULL, NULL);

  /* Hangar gives the guest all of <memory> (there is no balloon), so the
   * two always change together. */
  set_kib_element (memory, memory_kib);
  if (current != NULL)
    set_kib_element (current, memory_kib);
  return reparse (doc, error);
}

static xmlNode *
cputune_node (xmlDoc   *doc,
              gboolean  create)
{
  xmlNode *root = xmlDocGetRootElement (doc);
  xmlNode *cputune = hangard_xml_find_child (root, "cputune");
  xmlNode *anchor;

  if (cputune != NULL || !create)
    return cputune;

  /* libvirt's order: ... <vcpu>, <iothreads>, <cputune>, ... */
  cputune = xmlNewDocNode (doc, NULL, BAD_CAST "cputune", NULL);
  anchor = hangard_xml_find_child (root, "vcpu");
  if (anchor == NULL)
    anchor = hangard_xml_find_child (root, "memory");
  if (anchor != NULL)
    xmlAddNextSibling (anchor, cputune);
  else
    xmlAddChild (root, cputune);
  return cputune;
}

/* Removes the <vcpupin>s of vCPUs from `first` up (all with 0). */
static void
remove_vcpu_pins (xmlNode *cputune,
                  guint    first,
                  guint    only)
{
  xmlNode *next;

  for (xmlNode *child = hangard_xml_first_element (cputune->children); child != NULL; child = next)
    {
      g_autofree char *vcpu = NULL;
      guint64 number;

      next = hangard_xml_first_element (child->next);
      if (!hangard_xml_is_element_named (child, "vcpupin"))
        continue;
      vcpu = hangard_xml_get_attribute (child, "vcpu");
      if (vcpu == NULL || !g_ascii_string_to_unsigned (vcpu, 10, 0, G_MAXUINT, &number, NULL))
        continue;
      if ((only == G_MAXUINT && number >= first) || number == only)
        {
          xmlUnlinkNode (child);
          xmlFreeNode (child);
        }
    }
}

static void
drop_empty_cputune (xmlNode *cputune)
{
  if (cputune != NULL && hangard_xml_first_element (cputune->children) == NULL)
    {
      xmlUnlinkNode (cputune);
      xmlFreeNode (cputune);
    }
}

HangardDomain *
hangard_domain_set_vcpus (HangardDomain  *domain,
                          guint           vcpus,
                          GError        **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  g_autofree char *text = NULL;
  xmlNode *root;
  xmlNode *vcpu;
  xmlNode *cputune;

  g_return_val_if_fail (domain != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  doc = copy_document (domain);
  root = xmlDocGetRootElement (doc);
  vcpu = hangard_xml_find_child (root, "vcpu");
  if (vcpu == NULL)
    {
      vcpu = xmlNewDocNode (doc, NULL, BAD_CAST "vcpu", NULL);
      xmlAddNextSibling (hangard_xml_find_child (root, "memory"), vcpu);
    }

  text = g_strdup_printf ("%u", vcpus);
  hangard_xml_set_text (vcpu, text);
  /* Hangar starts every vCPU: current, when given, is the count. */
  if (xmlHasProp (vcpu, BAD_CAST "current") != NULL)
    xmlSetProp (vcpu, BAD_CAST "current", BAD_CAST text);

  cputune = cputune_node (doc, FALSE);
  if (cputune != NULL)
    {
      remove_vcpu_pins (cputune, vcpus, G_MAXUINT);
      drop_empty_cputune (cputune);
    }
  return reparse (doc, error);
}

HangardDomain *
hangard_domain_pin_vcpu (HangardDomain  *domain,
                         guint           vcpu,
                         const char     *cpuset,
                         GError        **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  g_autofree char *number = NULL;
  xmlNode *cputune;
  xmlNode *pin;
  xmlNode *anchor = NULL;

  g_return_val_if_fail (domain != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (vcpu >= domain->vcpus)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("Machine '%s' has no vCPU %u: its vCPUs are 0 to %u"),
                   domain->name, vcpu, domain->vcpus - 1);
      return NULL;
    }

  doc = copy_document (domain);
  cputune = cputune_node (doc, cpuset != NULL);
  if (cputune != NULL)
    remove_vcpu_pins (cputune, 0, vcpu);
  if (cpuset == NULL)
    {
      drop_empty_cputune (cputune);
      return reparse (doc, error);
    }

  /* In vCPU order, after the pins of lower vCPUs. */
  HANGARD_XML_FOR_EACH_CHILD_ELEMENT (child, cputune)
    {
      g_autofree char *text = NULL;
      guint64 other;

      if (!hangard_xml_is_element_named (child, "vcpupin"))
        continue;
      text = hangard_xml_get_attribute (child, "vcpu");
      if (text != NULL && g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT, &other, NULL) &&
          other < vcpu)
        anchor = child;
    }

  number = g_strdup_printf ("%u", vcpu);
  pin = xmlNewDocNode (doc, NULL, BAD_CAST "vcpupin", NULL);
  xmlNewProp (pin, BAD_CAST "vcpu", BAD_CAST number);
  xmlNewProp (pin, BAD_CAST "cpuset", BAD_CAST cpuset);
  if (anchor != NULL)
    xmlAddNextSibling (anchor, pin);
  else if (cputune->children != NULL)
    xmlAddPrevSibling (cputune->children, pin);
  else
    xmlAddChild (cputune, pin);
  return reparse (doc, error);
}
