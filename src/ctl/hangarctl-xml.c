/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangarctl"

#include "hangarctl.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

/* Reads what domblklist and domiflist show from a definition the engine
 * returned. The parser fetches nothing from the network and expands no
 * entities; a document with a DTD is refused. */

#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

static gboolean
is_element (xmlNode    *node,
            const char *name)
{
  return node->type == XML_ELEMENT_NODE &&
         xmlStrEqual (node->name, (const xmlChar *) name);
}

static xmlNode *
find_child (xmlNode    *parent,
            const char *name)
{
  for (xmlNode *node = parent->children; node != NULL; node = node->next)
    {
      if (is_element (node, name))
        return node;
    }
  return NULL;
}

static char *
dup_prop (xmlNode    *node,
          const char *attribute)
{
  xmlChar *value;
  char *copy;

  if (node == NULL)
    return NULL;

  value = xmlGetProp (node, (const xmlChar *) attribute);
  if (value == NULL)
    return NULL;

  copy = g_strdup ((const char *) value);
  xmlFree (value);
  return copy;
}

static char *
dup_child_prop (xmlNode    *parent,
                const char *child,
                const char *attribute)
{
  return dup_prop (find_child (parent, child), attribute);
}

/* The first of @attributes that <source> has. */
static char *
dup_source (xmlNode            *parent,
            const char * const *attributes)
{
  xmlNode *source = find_child (parent, "source");

  for (gsize i = 0; source != NULL && attributes[i] != NULL; i++)
    {
      char *value = dup_prop (source, attributes[i]);

      if (value != NULL)
        return value;
    }
  return NULL;
}

static char *
or_dash (char *value)
{
  if (value != NULL && *value != '\0')
    return value;

  g_free (value);
  return g_strdup ("-");
}

static void
disk_free (gpointer data)
{
  HangarctlDisk *disk = data;

  g_free (disk->type);
  g_free (disk->device);
  g_free (disk->target);
  g_free (disk->source);
  g_free (disk);
}

static void
nic_free (gpointer data)
{
  HangarctlNic *nic = data;

  g_free (nic->name);
  g_free (nic->type);
  g_free (nic->source);
  g_free (nic->model);
  g_free (nic->mac);
  g_free (nic);
}

static char *
dup_disk_source (xmlNode *node)
{
  static const char * const attributes[] = { "file", "dev", "dir", "name", NULL };
  g_autofree char *pool = NULL;
  g_autofree char *volume = NULL;
  char *source = dup_source (node, attributes);

  if (source != NULL)
    return source;

  pool = dup_child_prop (node, "source", "pool");
  volume = dup_child_prop (node, "source", "volume");
  if (volume != NULL)
    return pool != NULL ? g_strdup_printf ("%s/%s", pool, volume) : g_steal_pointer (&volume);
  return NULL;
}

static HangarctlDisk *
parse_disk (xmlNode *node)
{
  HangarctlDisk *disk = g_new0 (HangarctlDisk, 1);

  disk->type = or_dash (dup_prop (node, "type"));
  disk->device = or_dash (dup_prop (node, "device"));
  disk->target = or_dash (dup_child_prop (node, "target", "dev"));
  disk->source = or_dash (dup_disk_source (node));
  return disk;
}

static HangarctlNic *
parse_nic (xmlNode *node)
{
  static const char * const attributes[] = { "network", "bridge", "dev", "path", NULL };
  HangarctlNic *nic = g_new0 (HangarctlNic, 1);

  nic->name = or_dash (dup_child_prop (node, "target", "dev"));
  nic->type = or_dash (dup_prop (node, "type"));
  nic->source = or_dash (dup_source (node, attributes));
  nic->model = or_dash (dup_child_prop (node, "model", "type"));
  nic->mac = or_dash (dup_child_prop (node, "mac", "address"));
  return nic;
}

static void
parse_devices (HangarctlDomain *domain,
               xmlNode         *devices)
{
  for (xmlNode *node = devices->children; node != NULL; node = node->next)
    {
      if (is_element (node, "disk"))
        g_ptr_array_add (domain->disks, parse_disk (node));
      else if (is_element (node, "interface"))
        g_ptr_array_add (domain->nics, parse_nic (node));
    }
}

static xmlDoc *
read_document (const char  *xml,
               GError     **error)
{
  xmlParserCtxt *parser;
  xmlDoc *doc;
  gsize length = strlen (xml);

  if (length > G_MAXINT)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The machine’s definition is too large to read"));
      return NULL;
    }

  parser = xmlNewParserCtxt ();
  if (parser == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Out of memory reading XML"));
      return NULL;
    }

  doc = xmlCtxtReadMemory (parser, xml, (int) length, "domain.xml", "UTF-8", PARSE_OPTIONS);
  if (doc == NULL)
    {
      g_autofree char *reason = g_strdup (parser->lastError.message != NULL
                                          ? parser->lastError.message : _("unknown error"));

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("Cannot read the machine’s definition: line %d: %s"),
                   parser->lastError.line, g_strstrip (reason));
    }
  else if (doc->intSubset != NULL || doc->extSubset != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The machine’s definition has a DTD, which hangarctl does not read"));
      g_clear_pointer (&doc, xmlFreeDoc);
    }

  xmlFreeParserCtxt (parser);
  return doc;
}

HangarctlDomain *
hangarctl_domain_parse (const char  *xml,
                        GError     **error)
{
  g_autoptr(HangarctlDomain) domain = NULL;
  xmlDoc *doc;
  xmlNode *root;

  doc = read_document (xml, error);
  if (doc == NULL)
    return NULL;

  root = xmlDocGetRootElement (doc);
  if (root == NULL || !is_element (root, "domain"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The machine’s definition is not a <domain> document"));
      xmlFreeDoc (doc);
      return NULL;
    }

  domain = g_new0 (HangarctlDomain, 1);
  domain->disks = g_ptr_array_new_with_free_func (disk_free);
  domain->nics = g_ptr_array_new_with_free_func (nic_free);

  for (xmlNode *node = root->children; node != NULL; node = node->next)
    {
      if (is_element (node, "name") && domain->name == NULL)
        {
          xmlChar *content = xmlNodeGetContent (node);

          domain->name = g_strdup ((const char *) content);
          xmlFree (content);
        }
      else if (is_element (node, "devices"))
        parse_devices (domain, node);
    }

  xmlFreeDoc (doc);
  return g_steal_pointer (&domain);
}

void
hangarctl_domain_free (HangarctlDomain *domain)
{
  if (domain == NULL)
    return;
  g_free (domain->name);
  g_clear_pointer (&domain->disks, g_ptr_array_unref);
  g_clear_pointer (&domain->nics, g_ptr_array_unref);
  g_free (domain);
}
