/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-domain"

#include "hangard-domain.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlsave.h>

#include "hangard-error.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlParserCtxt, xmlFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlBuffer, xmlBufferFree)

#define KIB ((guint64) 1024)
#define MIB (KIB * 1024)
#define TIB (MIB * 1024 * 1024)

/* QEMU and the hosts Hangar targets handle this much; beyond it a value is
 * far more likely a typo (or a unit mix-up) than a wish. */
#define MAX_MEMORY_BYTES (16 * TIB)
#define MAX_VCPUS 255
/* The highest host CPU a cpuset may name: vCPUs are pinned with a
 * cpu_set_t, which holds CPU_SETSIZE (1024) CPUs. */
#define MAX_CPUSET_CPU 1023
/* Target names become QEMU device ids; the argv builder allows 16. */
#define MAX_TARGET_DEV_LEN 16
#define MAX_CPU_MODEL_LEN 64
#define MAX_BOOT_DEVS G_N_ELEMENTS (((HangardDomain *) NULL)->boot)

/* libxml2 changed the constness of structured error callbacks in 2.12. */
#if LIBXML_VERSION >= 21200
typedef const xmlError HangardXmlError;
#else
typedef xmlError HangardXmlError;
#endif

/* ------------------------------------------------------------------------- */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------- */

static void
ensure_libxml_initialized (void)
{
  static gsize initialized = 0;

  /* xmlInitParser() is not safe to race with itself in 2.9. */
  if (g_once_init_enter (&initialized))
    {
      LIBXML_TEST_VERSION;
      xmlInitParser ();
      g_once_init_leave (&initialized, 1);
    }
}

/* User-supplied text goes into error messages that end up in a terminal or
 * a GUI label: show control characters escaped, and keep it short. */
static char *
describe_for_message (const char *text)
{
  const gsize max_chars = 80;
  g_autoptr(GString) out = g_string_new (NULL);
  gsize n_chars = 0;

  if (!g_utf8_validate (text, -1, NULL))
    return g_strescape (text, NULL);

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (n_chars++ == max_chars)
        {
          g_string_append (out, "…");
          break;
        }

      if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (g_unichar_iscntrl (c))
        g_string_append_printf (out, "\\u%04X", c);
      else
        g_string_append_unichar (out, c);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
is_element_named (xmlNode    *node,
                  const char *name)
{
  return node != NULL &&
         node->type == XML_ELEMENT_NODE &&
         node->ns == NULL &&
         g_strcmp0 ((const char *) node->name, name) == 0;
}

static xmlNode *
first_element_from (xmlNode *node)
{
  while (node != NULL && node->type != XML_ELEMENT_NODE)
    node = node->next;
  return node;
}

#define FOR_EACH_CHILD_ELEMENT(child, parent) \
  for (xmlNode *child = first_element_from ((parent)->children); \
       child != NULL; \
       child = first_element_from (child->next))

static xmlNode *
find_child (xmlNode    *parent,
            const char *name)
{
  FOR_EACH_CHILD_ELEMENT (child, parent)
    {
      if (is_element_named (child, name))
        return child;
    }
  return NULL;
}

/* "disk", or "qemu:commandline" for an element in a namespace, or
 * "disk xmlns='...'" in a default one (else it would read as plain <disk>). */
static char *
element_label (xmlNode *node)
{
  if (node->ns != NULL && node->ns->prefix != NULL)
    return g_strdup_printf ("%s:%s", node->ns->prefix, node->name);
  if (node->ns != NULL && node->ns->href != NULL)
    {
      g_autofree char *href = describe_for_message ((const char *) node->ns->href);

      return g_strdup_printf ("%s xmlns='%s'", node->name, href);
    }
  return g_strdup ((const char *) node->name);
}

/* " in <parent>", so a message says where an element sits. */
static char *
location_of (xmlNode *node)
{
  g_autofree char *parent = NULL;

  if (node->parent == NULL || node->parent->type != XML_ELEMENT_NODE)
    return g_strdup ("");

  parent = element_label (node->parent);
  return g_strdup_printf (" in <%s>", parent);
}

static char *
get_attribute (xmlNode    *node,
               const char *name)
{
  xmlChar *value = xmlGetNoNsProp (node, BAD_CAST name);
  char *copy;

  if (value == NULL)
    return NULL;

  copy = g_strdup ((const char *) value);
  xmlFree (value);
  return copy;
}

static char *
get_text (xmlNode *node)
{
  xmlChar *content = xmlNodeGetContent (node);
  char *copy;

  if (content == NULL)
    return g_strdup ("");

  copy = g_strdup ((const char *) content);
  xmlFree (content);
  return copy;
}

static char *
get_stripped_text (xmlNode *node)
{
  return g_strstrip (get_text (node));
}

/* Whole decimal numbers only: no sign, no spaces, no hex. */
static gboolean
text_is_decimal (const char *text)
{
  if (text == NULL || *text == '\0')
    return FALSE;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
    }
  return TRUE;
}

/* Returns FALSE when `text` is not a whole number or exceeds `max`. */
static gboolean
parse_decimal (const char *text,
               guint64     max,
               guint64    *out)
{
  if (!text_is_decimal (text))
    return FALSE;

  return g_ascii_string_to_unsigned (text, 10, 0, max, out, NULL);
}

static gboolean
path_is_absolute (const char *path)
{
  return path != NULL && path[0] == '/';
}

static gboolean
check_absolute_path (const char  *path,
                     const char  *what,
                     GError     **error)
{
  g_autofree char *shown = NULL;

  if (path_is_absolute (path))
    return TRUE;

  shown = describe_for_message (path != NULL ? path : "");
  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
               "The path in %s must be absolute (got '%s')", what, shown);
  return FALSE;
}

/* ------------------------------------------------------------------------- */
/* Which child elements an element may have                                  */
/* ------------------------------------------------------------------------- */

typedef enum {
  CHILD_ONCE,         /* understood or tolerated; at most one */
  CHILD_MANY,         /* understood or tolerated; repeatable */
  CHILD_UNSUPPORTED,  /* valid libvirt XML that Hangar does not run */
} ChildKind;

typedef struct {
  const char *name;
  ChildKind   kind;
  const char *reason;  /* CHILD_UNSUPPORTED: why, in the user's words */
} ChildRule;

#define CHILD_RULE_ONCE(name) { name, CHILD_ONCE, NULL }
#define CHILD_RULE_MANY(name) { name, CHILD_MANY, NULL }
#define CHILD_RULE_UNSUPPORTED(name, reason) { name, CHILD_UNSUPPORTED, reason }
#define CHILD_RULES_END { NULL, CHILD_ONCE, NULL }

/* Enough for the longest rule table below; checked at run time. */
#define MAX_CHILD_RULES 64

static const ChildRule no_children[] = {
  CHILD_RULES_END
};

static gboolean
set_unsupported_element (xmlNode     *node,
                         const char  *reason,
                         GError     **error)
{
  g_autofree char *label = element_label (node);
  g_autofree char *where = location_of (node);

  if (reason != NULL)
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                 "Unsupported element <%s>%s: %s", label, where, reason);
  else
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                 "Unsupported element <%s>%s", label, where);
  return FALSE;
}

static const ChildRule *
find_child_rule (const ChildRule *rules,
                 xmlNode         *child,
                 gsize           *index_out)
{
  /* Namespaced elements (<qemu:commandline>...) are never ours to run. */
  if (child->ns != NULL)
    return NULL;

  for (gsize i = 0; rules[i].name != NULL; i++)
    {
      if (g_str_equal (rules[i].name, (const char *) child->name))
        {
          *index_out = i;
          return &rules[i];
        }
    }
  return NULL;
}

/* Refuses any child element of `parent` that `rules` does not allow, so
 * nothing in a definition is dropped without the user knowing. */
static gboolean
check_children (xmlNode          *parent,
                const ChildRule  *rules,
                GError          **error)
{
  guint seen[MAX_CHILD_RULES] = { 0 };

  FOR_EACH_CHILD_ELEMENT (child, parent)
    {
      gsize index = 0;
      const ChildRule *rule = find_child_rule (rules, child, &index);

      if (rule == NULL)
        return set_unsupported_element (child, NULL, error);

      if (rule->kind == CHILD_UNSUPPORTED)
        return set_unsupported_element (child, rule->reason, error);

      g_assert (index < MAX_CHILD_RULES);
      if (rule->kind == CHILD_ONCE && ++seen[index] > 1)
        {
          g_autofree char *parent_label = element_label (parent);

          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                       "<%s> appears more than once in <%s>",
                       rule->name, parent_label);
          return FALSE;
        }
    }
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Enumerated attribute values                                               */
/* ------------------------------------------------------------------------- */

#define ENUM_UNSUPPORTED (-1)   /* a value libvirt knows and Hangar does not run */
#define ATTRIBUTE_REQUIRED (-2) /* as `absent_value`: the attribute must be there */
#define ATTRIBUTE_ABSENT (-3)   /* as `absent_value`: tells "absent" apart from defaults */

typedef struct {
  const char *name;
  int         value;
} EnumValue;

#define ENUM_VALUES_END { NULL, 0 }

typedef enum {
  UNKNOWN_IS_INVALID,      /* libvirt itself refuses other values */
  UNKNOWN_IS_UNSUPPORTED,  /* libvirt passes other values on (e.g. NIC models) */
} UnknownValuePolicy;

/* "'virtio', 'sata' or 'ide'" */
static char *
list_supported_values (const EnumValue *values)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GString) out = g_string_new (NULL);

  for (gsize i = 0; values[i].name != NULL; i++)
    {
      if (values[i].value != ENUM_UNSUPPORTED)
        g_ptr_array_add (names, (gpointer) values[i].name);
    }

  for (guint i = 0; i < names->len; i++)
    {
      if (i > 0)
        g_string_append (out, i + 1 == names->len ? " or " : ", ");
      g_string_append_printf (out, "'%s'", (const char *) names->pdata[i]);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
lookup_enum_value (const EnumValue    *values,
                   const char         *value,
                   UnknownValuePolicy  policy,
                   int                *out)
{
  for (gsize i = 0; values[i].name != NULL; i++)
    {
      if (g_str_equal (values[i].name, value))
        {
          *out = values[i].value;
          return TRUE;
        }
    }

  if (policy == UNKNOWN_IS_UNSUPPORTED)
    {
      *out = ENUM_UNSUPPORTED;
      return TRUE;
    }
  return FALSE;
}

static gboolean
set_missing_attribute_error (xmlNode          *node,
                             const char       *attribute,
                             const EnumValue  *values,
                             GError          **error)
{
  g_autofree char *label = element_label (node);
  g_autofree char *where = location_of (node);
  g_autofree char *supported = list_supported_values (values);

  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
               "<%s>%s needs a %s attribute (%s)", label, where, attribute, supported);
  return FALSE;
}

static gboolean
set_bad_value_error (xmlNode          *node,
                     const char       *attribute,
                     const char       *value,
                     const EnumValue  *values,
                     const char       *unsupported_reason,
                     GError          **error)
{
  g_autofree char *label = element_label (node);
  g_autofree char *where = location_of (node);
  g_autofree char *shown = describe_for_message (value);

  if (unsupported_reason != NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Unsupported <%s %s='%s'>%s: %s",
                   label, attribute, shown, where, unsupported_reason);
    }
  else
    {
      g_autofree char *supported = list_supported_values (values);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Invalid <%s %s='%s'>%s: expected %s",
                   label, attribute, shown, where, supported);
    }
  return FALSE;
}

/* Reads attribute `attribute` of `node` as one of `values`. When it is
 * absent, `*out` is `absent_value`, unless that is ATTRIBUTE_REQUIRED. */
static gboolean
parse_enum_attribute (xmlNode             *node,
                      const char          *attribute,
                      const EnumValue     *values,
                      UnknownValuePolicy   policy,
                      int                  absent_value,
                      const char          *unsupported_reason,
                      int                 *out,
                      GError             **error)
{
  g_autofree char *value = get_attribute (node, attribute);
  int found = 0;

  if (value == NULL)
    {
      if (absent_value == ATTRIBUTE_REQUIRED)
        return set_missing_attribute_error (node, attribute, values, error);

      *out = absent_value;
      return TRUE;
    }

  if (!lookup_enum_value (values, value, policy, &found))
    return set_bad_value_error (node, attribute, value, values, NULL, error);

  if (found == ENUM_UNSUPPORTED)
    {
      g_assert (unsupported_reason != NULL);
      return set_bad_value_error (node, attribute, value, values, unsupported_reason, error);
    }

  *out = found;
  return TRUE;
}

/* <acpi state='off'/>: libvirt's on/off switches, on when absent. */
static gboolean
parse_state_attribute (xmlNode   *node,
                       gboolean  *out,
                       GError   **error)
{
  static const EnumValue states[] = {
    { "on", TRUE }, { "off", FALSE }, ENUM_VALUES_END
  };
  int value = TRUE;

  if (!parse_enum_attribute (node, "state", states, UNKNOWN_IS_INVALID, TRUE,
                             NULL, &value, error))
    return FALSE;

  *out = value;
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Reading the document                                                      */
/* ------------------------------------------------------------------------- */

typedef struct {
  gboolean  saw_dtd;
  char     *first_error;
  int       first_error_line;
} ReadState;

/* A DTD is the only way to declare entities, so refusing it at its first
 * byte keeps XXE and entity-expansion bombs from ever being looked at. */
static void
refuse_internal_subset (void          *user_data,
                        const xmlChar *name G_GNUC_UNUSED,
                        const xmlChar *external_id G_GNUC_UNUSED,
                        const xmlChar *system_id G_GNUC_UNUSED)
{
  xmlParserCtxt *ctxt = user_data;
  ReadState *state = ctxt->_private;

  state->saw_dtd = TRUE;
  xmlStopParser (ctxt);
}

static void
refuse_entity_decl (void          *user_data,
                    const xmlChar *name G_GNUC_UNUSED,
                    int            type G_GNUC_UNUSED,
                    const xmlChar *public_id G_GNUC_UNUSED,
                    const xmlChar *system_id G_GNUC_UNUSED,
                    xmlChar       *content G_GNUC_UNUSED)
{
  refuse_internal_subset (user_data, NULL, NULL, NULL);
}

/* Keeps the first error: later ones are usually consequences of it. Also
 * keeps libxml2 from printing on stderr. */
static void
record_parse_error (void            *user_data,
                    HangardXmlError *xml_error)
{
  xmlParserCtxt *ctxt = user_data;
  ReadState *state = ctxt->_private;

  if (xml_error == NULL || xml_error->level < XML_ERR_ERROR)
    return;
  if (state->first_error != NULL)
    return;

  state->first_error = g_strstrip (g_strdup (xml_error->message != NULL
                                             ? xml_error->message
                                             : "unknown error"));
  state->first_error_line = xml_error->line;
}

static gboolean
set_malformed_error (ReadState      *state,
                     xmlParserCtxt  *ctxt,
                     GError        **error)
{
  const char *message = state->first_error;
  int line = state->first_error_line;

  if (message == NULL)
    {
      HangardXmlError *last = xmlCtxtGetLastError (ctxt);

      message = (last != NULL && last->message != NULL) ? last->message : "unknown error";
      line = last != NULL ? last->line : 0;
    }

  if (line > 0)
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                 "The XML is not well-formed: line %d: %s", line, message);
  else
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                 "The XML is not well-formed: %s", message);
  return FALSE;
}

static gboolean
set_dtd_error (GError **error)
{
  g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                       "The XML has a document type declaration (<!DOCTYPE>): "
                       "Hangar refuses DTDs and entity declarations in machine definitions");
  return FALSE;
}

/* Drops whitespace between elements, so that formatting with indentation
 * works (libxml2 does not indent around text) and a formatted document
 * parses back to the same tree. Mixed content (text beside elements) is
 * left exactly as written. Also refuses node types that only a DTD could
 * have produced, as a second line of defence. */
static gboolean
tidy_element (xmlNode  *element,
              GError  **error)
{
  gboolean only_blank_text = TRUE;
  gboolean has_non_text = FALSE;
  xmlNode *child;

  for (child = element->children; child != NULL; child = child->next)
    {
      switch (child->type)
        {
        case XML_ELEMENT_NODE:
          has_non_text = TRUE;
          if (!tidy_element (child, error))
            return FALSE;
          break;

        case XML_TEXT_NODE:
          if (!xmlIsBlankNode (child))
            only_blank_text = FALSE;
          break;

        case XML_CDATA_SECTION_NODE:
          only_blank_text = FALSE;
          break;

        case XML_COMMENT_NODE:
        case XML_PI_NODE:
          has_non_text = TRUE;
          break;

        case XML_ENTITY_REF_NODE:
        case XML_ENTITY_NODE:
        case XML_ENTITY_DECL:
        case XML_DTD_NODE:
        case XML_DOCUMENT_TYPE_NODE:
        case XML_XINCLUDE_START:
        case XML_XINCLUDE_END:
        default:
          g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                               "The XML uses entities: Hangar refuses DTDs and "
                               "entity references in machine definitions");
          return FALSE;
        }
    }

  if (!only_blank_text || !has_non_text)
    return TRUE;

  child = element->children;
  while (child != NULL)
    {
      xmlNode *next = child->next;

      if (child->type == XML_TEXT_NODE)
        {
          xmlUnlinkNode (child);
          xmlFreeNode (child);
        }
      child = next;
    }
  return TRUE;
}

static xmlDoc *
read_document (const char  *xml,
               gsize        length,
               GError     **error)
{
  /* No XML_PARSE_NOENT (entity substitution), no DTD loading or
   * validation, no XML_PARSE_HUGE (keeps libxml2's depth and size limits),
   * no network. Errors go to record_parse_error() instead of stderr. */
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                      XML_PARSE_BIG_LINES;
  g_autoptr(xmlParserCtxt) ctxt = NULL;
  g_autoptr(xmlDoc) doc = NULL;
  ReadState state = { 0 };
  gboolean ok;

  ensure_libxml_initialized ();

  ctxt = xmlNewParserCtxt ();
  if (ctxt == NULL || ctxt->sax == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                           "Could not create an XML parser");
      return NULL;
    }

  /* SAX callbacks get the parser context as user data; our state rides
   * along in _private, which xmlCtxtReadMemory() leaves alone. */
  ctxt->_private = &state;
  ctxt->sax->internalSubset = refuse_internal_subset;
  ctxt->sax->externalSubset = refuse_internal_subset;
  ctxt->sax->entityDecl = refuse_entity_decl;
  ctxt->sax->serror = record_parse_error;

  doc = xmlCtxtReadMemory (ctxt, xml, (int) length, NULL, NULL, options);

  /* A stopped parser can report the truncated document as well-formed. */
  if (state.saw_dtd)
    ok = set_dtd_error (error);
  else if (doc == NULL || !ctxt->wellFormed || !ctxt->nsWellFormed)
    ok = set_malformed_error (&state, ctxt, error);
  else if (doc->intSubset != NULL || doc->extSubset != NULL)
    ok = set_dtd_error (error);
  else if (xmlDocGetRootElement (doc) == NULL)
    ok = set_malformed_error (&state, ctxt, error);
  else
    ok = tidy_element (xmlDocGetRootElement (doc), error);

  ctxt->_private = NULL;
  g_free (state.first_error);

  if (!ok)
    return NULL;
  return g_steal_pointer (&doc);
}

/* ------------------------------------------------------------------------- */
/* Definitions                                                               */
/* ------------------------------------------------------------------------- */

static void
disk_def_free (HangardDiskDef *disk)
{
  if (disk == NULL)
    return;
  g_free (disk->source_file);
  g_free (disk->target_dev);
  g_free (disk);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangardDiskDef, disk_def_free)

static gpointer
disk_def_copy (gconstpointer data,
               gpointer      user_data G_GNUC_UNUSED)
{
  const HangardDiskDef *disk = data;
  HangardDiskDef *copy = g_memdup2 (disk, sizeof *disk);

  copy->source_file = g_strdup (disk->source_file);
  copy->target_dev = g_strdup (disk->target_dev);
  return copy;
}

static void
nic_def_free (HangardNicDef *nic)
{
  if (nic == NULL)
    return;
  g_free (nic->mac);
  g_free (nic);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangardNicDef, nic_def_free)

static gpointer
nic_def_copy (gconstpointer data,
              gpointer      user_data G_GNUC_UNUSED)
{
  const HangardNicDef *nic = data;
  HangardNicDef *copy = g_memdup2 (nic, sizeof *nic);

  copy->mac = g_strdup (nic->mac);
  return copy;
}

static HangardDomain *
domain_new (xmlDoc *doc)
{
  HangardDomain *domain = g_new0 (HangardDomain, 1);

  domain->doc = doc;
  domain->disks = g_ptr_array_new_with_free_func ((GDestroyNotify) disk_def_free);
  domain->nics = g_ptr_array_new_with_free_func ((GDestroyNotify) nic_def_free);
  return domain;
}

void
hangard_domain_free (HangardDomain *domain)
{
  if (domain == NULL)
    return;

  g_clear_pointer (&domain->doc, xmlFreeDoc);
  g_free (domain->name);
  g_free (domain->title);
  g_free (domain->description);
  g_free (domain->cpuset);
  g_free (domain->arch);
  g_free (domain->machine_type);
  g_free (domain->kernel);
  g_free (domain->initrd);
  g_free (domain->cmdline);
  g_free (domain->cpu_model);
  g_clear_pointer (&domain->disks, g_ptr_array_unref);
  g_clear_pointer (&domain->nics, g_ptr_array_unref);
  g_free (domain);
}

/* ------------------------------------------------------------------------- */
/* Names and UUIDs                                                           */
/* ------------------------------------------------------------------------- */

gboolean
hangard_domain_name_is_valid (const char  *name,
                              GError     **error)
{
  g_autofree char *shown = NULL;
  gsize length;

  if (name == NULL || *name == '\0')
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                           "A machine name cannot be empty");
      return FALSE;
    }

  if (!g_utf8_validate (name, -1, NULL))
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                           "A machine name must be valid UTF-8 text");
      return FALSE;
    }

  shown = describe_for_message (name);
  length = strlen (name);

  if (length > HANGARD_DOMAIN_MAX_NAME_LEN)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Invalid machine name '%s': it is %" G_GSIZE_FORMAT " bytes long, "
                   "at most %d are allowed",
                   shown, length, HANGARD_DOMAIN_MAX_NAME_LEN);
      return FALSE;
    }

  if (strchr (name, '/') != NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Invalid machine name '%s': it cannot contain '/'", shown);
      return FALSE;
    }

  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (g_unichar_iscntrl (g_utf8_get_char (p)))
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                       "Invalid machine name '%s': it cannot contain control "
                       "characters such as newlines or tabs", shown);
          return FALSE;
        }
    }

  if (g_str_equal (name, ".") || g_str_equal (name, ".."))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Invalid machine name '%s': '.' and '..' are reserved", shown);
      return FALSE;
    }

  /* Names become file names and command-line arguments. */
  if (name[0] == '.' || name[0] == '-')
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Invalid machine name '%s': it cannot start with '.' or '-'", shown);
      return FALSE;
    }

  return TRUE;
}

static gboolean
hex_digits_are_all_same (const char *hex)
{
  for (const char *p = hex; *p != '\0'; p++)
    {
      if (*p != hex[0])
        return FALSE;
    }
  return TRUE;
}

/* Accepts 8-4-4-4-12 or 32 hex digits, as libvirt does, and writes the
 * lower-case dashed form into `out`. */
static gboolean
normalize_uuid (const char *text,
                char        out[37],
                GError    **error)
{
  g_autofree char *shown = describe_for_message (text);
  char hex[33];
  gsize n_hex = 0;
  gsize length = strlen (text);

  if (length == 36)
    {
      for (gsize i = 0; i < length; i++)
        {
          gboolean dash_expected = (i == 8 || i == 13 || i == 18 || i == 23);

          if (dash_expected ? text[i] != '-' : !g_ascii_isxdigit (text[i]))
            goto invalid;
          if (!dash_expected)
            hex[n_hex++] = g_ascii_tolower (text[i]);
        }
    }
  else if (length == 32)
    {
      for (gsize i = 0; i < length; i++)
        {
          if (!g_ascii_isxdigit (text[i]))
            goto invalid;
          hex[n_hex++] = g_ascii_tolower (text[i]);
        }
    }
  else
    goto invalid;

  hex[n_hex] = '\0';

  /* libvirt refuses these too: they are placeholders, not identities. */
  if (hex_digits_are_all_same (hex))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Invalid UUID '%s': all its digits are the same", shown);
      return FALSE;
    }

  g_snprintf (out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s",
              hex, hex + 8, hex + 12, hex + 16, hex + 20);
  return TRUE;

invalid:
  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
               "Invalid UUID '%s': expected 32 hexadecimal digits such as "
               "4dea22b3-1d52-d8f3-2516-782e98ab3fa0", shown);
  return FALSE;
}

/* ------------------------------------------------------------------------- */
/* The parser                                                                */
/* ------------------------------------------------------------------------- */

typedef struct {
  HangardDomain *domain;
  xmlNode       *root;
  GHashTable    *boot_orders;        /* GUINT_TO_POINTER (order) → device label (owned) */
  GHashTable    *target_devs;        /* set of target dev names */
  GHashTable    *macs;               /* set of lower-case MAC addresses */
  GPtrArray     *interfaces_without_mac; /* <interface> xmlNode* */
  GPtrArray     *nics_without_mac;       /* their HangardNicDef*, not owned */
} DomainParser;

static void
domain_parser_clear (DomainParser *parser)
{
  g_clear_pointer (&parser->boot_orders, g_hash_table_unref);
  g_clear_pointer (&parser->target_devs, g_hash_table_unref);
  g_clear_pointer (&parser->macs, g_hash_table_unref);
  g_clear_pointer (&parser->interfaces_without_mac, g_ptr_array_unref);
  g_clear_pointer (&parser->nics_without_mac, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DomainParser, domain_parser_clear)

static const ChildRule domain_children[] = {
  CHILD_RULE_ONCE ("name"),
  CHILD_RULE_ONCE ("uuid"),
  CHILD_RULE_ONCE ("title"),
  CHILD_RULE_ONCE ("description"),
  CHILD_RULE_ONCE ("metadata"),
  CHILD_RULE_ONCE ("memory"),
  CHILD_RULE_ONCE ("currentMemory"),
  CHILD_RULE_ONCE ("vcpu"),
  CHILD_RULE_ONCE ("os"),
  CHILD_RULE_ONCE ("features"),
  CHILD_RULE_ONCE ("cpu"),
  CHILD_RULE_ONCE ("clock"),
  CHILD_RULE_ONCE ("on_poweroff"),
  CHILD_RULE_ONCE ("on_reboot"),
  CHILD_RULE_ONCE ("on_crash"),
  CHILD_RULE_ONCE ("pm"),
  CHILD_RULE_ONCE ("resource"),
  CHILD_RULE_ONCE ("devices"),
  CHILD_RULE_MANY ("seclabel"),
  CHILD_RULE_UNSUPPORTED ("maxMemory", "Hangar cannot hot-plug memory"),
  CHILD_RULE_UNSUPPORTED ("memoryBacking", "Hangar does not set up huge pages or shared guest memory"),
  CHILD_RULE_UNSUPPORTED ("memtune", "Hangar does not tune memory limits"),
  CHILD_RULE_UNSUPPORTED ("blkiotune", "Hangar does not tune disk I/O"),
  CHILD_RULE_UNSUPPORTED ("numatune", "Hangar does not place guests on NUMA nodes"),
  CHILD_RULE_UNSUPPORTED ("cputune", "Hangar does not pin or tune vCPUs"),
  CHILD_RULE_UNSUPPORTED ("vcpus", "Hangar cannot hot-plug vCPUs"),
  CHILD_RULE_UNSUPPORTED ("iothreads", "Hangar does not run I/O threads"),
  CHILD_RULE_UNSUPPORTED ("iothreadids", "Hangar does not run I/O threads"),
  CHILD_RULE_UNSUPPORTED ("sysinfo", "Hangar does not set SMBIOS information"),
  CHILD_RULE_UNSUPPORTED ("genid", "Hangar does not give guests a VM generation ID"),
  CHILD_RULE_UNSUPPORTED ("launchSecurity", "Hangar does not run guests with encrypted memory"),
  CHILD_RULES_END
};

static gboolean
parse_domain_type (DomainParser  *parser,
                   GError       **error)
{
  static const EnumValue types[] = {
    { "kvm", 0 }, { "qemu", 0 },
    { "xen", ENUM_UNSUPPORTED }, { "lxc", ENUM_UNSUPPORTED },
    { "vmware", ENUM_UNSUPPORTED }, { "hyperv", ENUM_UNSUPPORTED },
    { "vbox", ENUM_UNSUPPORTED }, { "openvz", ENUM_UNSUPPORTED },
    { "phyp", ENUM_UNSUPPORTED }, { "vz", ENUM_UNSUPPORTED },
    { "parallels", ENUM_UNSUPPORTED }, { "bhyve", ENUM_UNSUPPORTED },
    { "test", ENUM_UNSUPPORTED }, { "uml", ENUM_UNSUPPORTED },
    { "kqemu", ENUM_UNSUPPORTED }, { "ch", ENUM_UNSUPPORTED },
    ENUM_VALUES_END
  };
  int type;

  return parse_enum_attribute (parser->root, "type", types, UNKNOWN_IS_INVALID,
                               ATTRIBUTE_REQUIRED,
                               "Hangar runs machines with QEMU (type='kvm' or 'qemu')",
                               &type, error);
}

static gboolean
parse_name (DomainParser  *parser,
            GError       **error)
{
  xmlNode *node = find_child (parser->root, "name");
  g_autofree char *name = NULL;

  if (node == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "The definition has no <name>");
      return FALSE;
    }
  if (!check_children (node, no_children, error))
    return FALSE;

  name = get_text (node);
  if (!hangard_domain_name_is_valid (name, error))
    return FALSE;

  parser->domain->name = g_steal_pointer (&name);
  return TRUE;
}

static gboolean
parse_uuid (DomainParser  *parser,
            GError       **error)
{
  xmlNode *node = find_child (parser->root, "uuid");
  g_autofree char *text = NULL;

  if (node == NULL)
    {
      /* Filled into the document later, once everything else is valid. */
      return TRUE;
    }
  if (!check_children (node, no_children, error))
    return FALSE;

  text = get_stripped_text (node);
  return normalize_uuid (text, parser->domain->uuid, error);
}

/* The UUID is who a machine is; GetXml must show the one it got. */
static void
insert_generated_uuid (DomainParser *parser)
{
  g_autofree char *uuid = g_uuid_string_random ();
  xmlNode *name = find_child (parser->root, "name");
  xmlNode *node = xmlNewDocRawNode (parser->domain->doc, NULL,
                                    BAD_CAST "uuid", BAD_CAST uuid);

  g_strlcpy (parser->domain->uuid, uuid, sizeof parser->domain->uuid);
  xmlAddNextSibling (name, node);
}

static gboolean
parse_title_and_description (DomainParser  *parser,
                             GError       **error)
{
  xmlNode *title = find_child (parser->root, "title");
  xmlNode *description = find_child (parser->root, "description");

  if (title != NULL)
    {
      g_autofree char *text = NULL;

      if (!check_children (title, no_children, error))
        return FALSE;

      text = get_text (title);
      /* libvirt's rule: a title is a one-line label for lists. */
      if (strpbrk (text, "\r\n") != NULL)
        {
          g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                               "<title> must be a single line");
          return FALSE;
        }
      if (*text != '\0')
        parser->domain->title = g_steal_pointer (&text);
    }

  if (description != NULL)
    {
      g_autofree char *text = NULL;

      if (!check_children (description, no_children, error))
        return FALSE;

      text = get_text (description);
      if (*text != '\0')
        parser->domain->description = g_steal_pointer (&text);
    }

  return TRUE;
}

/* libvirt's virScaleInteger(): "b"/"bytes", then K/M/G/T/P/E, where
 * "KiB" and "K" are powers of 1024 and "KB" powers of 1000, any case. */
static gboolean
unit_to_bytes (const char *unit,
               guint64    *scale_out)
{
  guint64 base;
  guint64 scale = 1;
  int exponent;

  if (g_ascii_strcasecmp (unit, "b") == 0 ||
      g_ascii_strcasecmp (unit, "byte") == 0 ||
      g_ascii_strcasecmp (unit, "bytes") == 0)
    {
      *scale_out = 1;
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
    case 'p': exponent = 5; break;
    case 'e': exponent = 6; break;
    default:
      return FALSE;
    }

  while (exponent-- > 0)
    scale *= base;

  *scale_out = scale;
  return TRUE;
}

/* <memory unit='GiB'>4</memory> → KiB, rounded up as libvirt does. */
static gboolean
parse_memory_element (xmlNode     *node,
                      const char  *label,
                      guint64     *kib_out,
                      GError     **error)
{
  g_autofree char *text = get_stripped_text (node);
  g_autofree char *unit_attribute = get_attribute (node, "unit");
  const char *unit = unit_attribute != NULL ? unit_attribute : "KiB";
  g_autofree char *shown_value = describe_for_message (text);
  g_autofree char *shown_unit = describe_for_message (unit);
  guint64 value;
  guint64 scale;
  guint64 bytes;

  if (!check_children (node, no_children, error))
    return FALSE;

  if (!unit_to_bytes (unit, &scale))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "%s: unknown unit '%s' (use b, KiB, MiB, GiB, TiB, KB, MB, GB or TB)",
                   label, shown_unit);
      return FALSE;
    }

  if (!text_is_decimal (text))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "%s must be a whole number (got '%s')", label, shown_value);
      return FALSE;
    }

  /* Checked before multiplying: 2^63 KiB must be an error, not a wrap. */
  if (!parse_decimal (text, G_MAXUINT64, &value) ||
      value > MAX_MEMORY_BYTES / scale)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "%s of %s %s is more than Hangar supports (at most 16 TiB)",
                   label, shown_value, shown_unit);
      return FALSE;
    }

  bytes = value * scale;
  if (bytes < MIB)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "%s must be at least 1 MiB (got %s %s)",
                   label, shown_value, shown_unit);
      return FALSE;
    }

  *kib_out = (bytes + KIB - 1) / KIB;
  return TRUE;
}

static gboolean
parse_memory (DomainParser  *parser,
              GError       **error)
{
  HangardDomain *domain = parser->domain;
  xmlNode *memory = find_child (parser->root, "memory");
  xmlNode *current = find_child (parser->root, "currentMemory");

  if (memory == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "The definition has no <memory>: state how much memory "
                           "the machine has, e.g. <memory unit='GiB'>2</memory>");
      return FALSE;
    }

  if (!parse_memory_element (memory, "Memory", &domain->memory_kib, error))
    return FALSE;

  if (current == NULL)
    {
      domain->current_memory_kib = domain->memory_kib;
      return TRUE;
    }

  if (!parse_memory_element (current, "Current memory", &domain->current_memory_kib, error))
    return FALSE;

  if (domain->current_memory_kib > domain->memory_kib)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Current memory (%" G_GUINT64_FORMAT " KiB) cannot be more than "
                   "memory (%" G_GUINT64_FORMAT " KiB)",
                   domain->current_memory_kib, domain->memory_kib);
      return FALSE;
    }
  return TRUE;
}

#define CPUSET_SYNTAX_PROBLEM \
  "expected CPU numbers (0 to " G_STRINGIFY (MAX_CPUSET_CPU) ") or ranges like 0-3"

/* libvirt's cpuset syntax: "0-3,^2,5", applied left to right. Spaces may
 * surround an item, not sit inside a range. */
gboolean
hangard_cpuset_parse (const char  *cpuset,
                      cpu_set_t   *set,
                      const char **problem)
{
  g_auto(GStrv) items = g_strsplit (cpuset, ",", -1);

  CPU_ZERO (set);

  for (gsize i = 0; items[i] != NULL; i++)
    {
      char *item = g_strstrip (items[i]);
      gboolean exclude = (item[0] == '^');
      char *dash;
      guint64 first;
      guint64 last;

      if (exclude)
        item++;

      dash = strchr (item, '-');
      if (dash != NULL)
        {
          *dash = '\0';
          if (exclude)
            {
              *problem = "only single CPUs can be excluded with '^'";
              return FALSE;
            }
          if (!parse_decimal (item, MAX_CPUSET_CPU, &first) ||
              !parse_decimal (dash + 1, MAX_CPUSET_CPU, &last))
            {
              *problem = CPUSET_SYNTAX_PROBLEM;
              return FALSE;
            }
          if (first > last)
            {
              *problem = "a range must go from low to high";
              return FALSE;
            }
        }
      else
        {
          if (!parse_decimal (item, MAX_CPUSET_CPU, &first))
            {
              *problem = CPUSET_SYNTAX_PROBLEM;
              return FALSE;
            }
          last = first;
        }

      for (guint64 cpu = first; cpu <= last; cpu++)
        {
          if (exclude)
            CPU_CLR (cpu, set);
          else
            CPU_SET (cpu, set);
        }
    }

  if (CPU_COUNT (set) == 0)
    {
      *problem = "it leaves no CPU to run on";
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_vcpu (DomainParser  *parser,
            GError       **error)
{
  static const EnumValue placements[] = {
    { "static", 0 }, { "auto", 0 }, ENUM_VALUES_END
  };
  HangardDomain *domain = parser->domain;
  xmlNode *node = find_child (parser->root, "vcpu");
  g_autofree char *text = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *cpuset = NULL;
  g_autofree char *current = NULL;
  guint64 count;
  int placement;

  if (node == NULL)
    {
      domain->vcpus = 1;   /* libvirt's default */
      return TRUE;
    }
  if (!check_children (node, no_children, error))
    return FALSE;

  text = get_stripped_text (node);
  shown = describe_for_message (text);
  if (!text_is_decimal (text) ||
      !parse_decimal (text, MAX_VCPUS, &count) || count == 0)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "<vcpu> must be a number from 1 to %d (got '%s')", MAX_VCPUS, shown);
      return FALSE;
    }
  domain->vcpus = (guint) count;

  /* Where the host runs the vCPUs does not change the guest. */
  if (!parse_enum_attribute (node, "placement", placements, UNKNOWN_IS_INVALID,
                             0, NULL, &placement, error))
    return FALSE;

  current = get_attribute (node, "current");
  if (current != NULL)
    {
      guint64 current_count;
      g_autofree char *shown_current = describe_for_message (current);

      if (!parse_decimal (current, MAX_VCPUS, &current_count) || current_count == 0)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                       "Invalid <vcpu current='%s'>: expected a number from 1 to %d",
                       shown_current, MAX_VCPUS);
          return FALSE;
        }
      if (current_count != count)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       "Unsupported <vcpu current='%s'>: Hangar starts machines with "
                       "all %u vCPUs and cannot hot-plug more",
                       shown_current, domain->vcpus);
          return FALSE;
        }
    }

  cpuset = get_attribute (node, "cpuset");
  if (cpuset != NULL)
    {
      const char *problem = NULL;
      cpu_set_t set;

      if (!hangard_cpuset_parse (cpuset, &set, &problem))
        {
          g_autofree char *shown_cpuset = describe_for_message (cpuset);

          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                       "Invalid <vcpu cpuset='%s'>: %s", shown_cpuset, problem);
          return FALSE;
        }
      domain->cpuset = g_steal_pointer (&cpuset);
    }

  return TRUE;
}

/* --- <os> ---------------------------------------------------------------- */

static const ChildRule os_children[] = {
  CHILD_RULE_ONCE ("type"),
  CHILD_RULE_MANY ("boot"),
  CHILD_RULE_ONCE ("kernel"),
  CHILD_RULE_ONCE ("initrd"),
  CHILD_RULE_ONCE ("cmdline"),
  CHILD_RULE_ONCE ("bootmenu"),
  CHILD_RULE_UNSUPPORTED ("loader", "Hangar does not boot UEFI firmware yet"),
  CHILD_RULE_UNSUPPORTED ("nvram", "Hangar does not boot UEFI firmware yet"),
  CHILD_RULE_UNSUPPORTED ("firmware", "Hangar does not boot UEFI firmware yet"),
  CHILD_RULE_UNSUPPORTED ("smbios", "Hangar does not set SMBIOS information"),
  CHILD_RULE_UNSUPPORTED ("dtb", "Hangar does not load device trees"),
  CHILD_RULES_END
};

/* "pc", "q35" and their versioned names: "pc-i440fx-7.2", "pc-q35-8.0". */
static gboolean
machine_type_is_supported (const char *machine)
{
  const char *version = NULL;

  if (g_str_equal (machine, "pc") || g_str_equal (machine, "q35"))
    return TRUE;

  if (g_str_has_prefix (machine, "pc-i440fx-"))
    version = machine + strlen ("pc-i440fx-");
  else if (g_str_has_prefix (machine, "pc-q35-"))
    version = machine + strlen ("pc-q35-");
  else
    return FALSE;

  if (*version == '\0')
    return FALSE;

  /* It lands on QEMU's command line. */
  for (const char *p = version; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
        return FALSE;
    }
  return TRUE;
}

static gboolean
machine_type_is_q35 (const char *machine)
{
  return machine != NULL &&
         (g_str_equal (machine, "q35") || g_str_has_prefix (machine, "pc-q35-"));
}

static gboolean
parse_os_type (DomainParser  *parser,
               xmlNode       *os,
               GError       **error)
{
  static const EnumValue os_types[] = {
    { "hvm", 0 },
    { "xen", ENUM_UNSUPPORTED }, { "linux", ENUM_UNSUPPORTED },
    { "xenpvh", ENUM_UNSUPPORTED }, { "exe", ENUM_UNSUPPORTED },
    { "uml", ENUM_UNSUPPORTED },
    ENUM_VALUES_END
  };
  HangardDomain *domain = parser->domain;
  xmlNode *type = find_child (os, "type");
  g_autofree char *text = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *arch = NULL;
  g_autofree char *machine = NULL;
  int os_type;

  if (type == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "<os> needs a <type>, e.g. <type arch='x86_64' machine='q35'>hvm</type>");
      return FALSE;
    }
  if (!check_children (type, no_children, error))
    return FALSE;

  text = get_stripped_text (type);
  shown = describe_for_message (text);
  if (!lookup_enum_value (os_types, text, UNKNOWN_IS_INVALID, &os_type))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Invalid <type>%s</type> in <os>: expected hvm", shown);
      return FALSE;
    }
  if (os_type == ENUM_UNSUPPORTED)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Unsupported <type>%s</type> in <os>: Hangar runs full virtual "
                   "machines (hvm)", shown);
      return FALSE;
    }

  arch = get_attribute (type, "arch");
  if (arch != NULL && !g_str_equal (arch, "x86_64"))
    {
      g_autofree char *shown_arch = describe_for_message (arch);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Unsupported <type arch='%s'> in <os>: Hangar runs x86_64 machines only",
                   shown_arch);
      return FALSE;
    }
  domain->arch = g_strdup ("x86_64");

  machine = get_attribute (type, "machine");
  if (machine != NULL)
    {
      if (!machine_type_is_supported (machine))
        {
          g_autofree char *shown_machine = describe_for_message (machine);

          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       "Unsupported <type machine='%s'> in <os>: Hangar runs the 'pc' "
                       "and 'q35' machines (and their versions, such as pc-q35-7.2)",
                       shown_machine);
          return FALSE;
        }
      domain->machine_type = g_steal_pointer (&machine);
    }

  return TRUE;
}

static gboolean
parse_os_boot_devices (DomainParser  *parser,
                       xmlNode       *os,
                       GError       **error)
{
  static const EnumValue boot_devs[] = {
    { "hd", HANGARD_BOOT_HD },
    { "cdrom", HANGARD_BOOT_CDROM },
    { "network", HANGARD_BOOT_NETWORK },
    { "fd", ENUM_UNSUPPORTED },
    ENUM_VALUES_END
  };
  HangardDomain *domain = parser->domain;

  FOR_EACH_CHILD_ELEMENT (boot, os)
    {
      int dev;

      if (!is_element_named (boot, "boot"))
        continue;
      if (!check_children (boot, no_children, error))
        return FALSE;

      if (domain->n_boot == MAX_BOOT_DEVS)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                       "<os> has more than %u <boot> elements", (guint) MAX_BOOT_DEVS);
          return FALSE;
        }

      if (!parse_enum_attribute (boot, "dev", boot_devs, UNKNOWN_IS_INVALID,
                                 ATTRIBUTE_REQUIRED, "Hangar has no floppy drives",
                                 &dev, error))
        return FALSE;

      /* QEMU refuses a boot order that names a device twice. */
      for (guint i = 0; i < domain->n_boot; i++)
        {
          if (domain->boot[i] == (HangardBootDev) dev)
            {
              g_autofree char *name = get_attribute (boot, "dev");

              g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "<boot dev='%s'> appears more than once in <os>", name);
              return FALSE;
            }
        }

      domain->boot[domain->n_boot++] = dev;
    }

  return TRUE;
}

static gboolean
parse_os_path_element (xmlNode     *os,
                       const char  *name,
                       char       **out,
                       GError     **error)
{
  xmlNode *node = find_child (os, name);
  g_autofree char *path = NULL;
  g_autofree char *what = NULL;

  if (node == NULL)
    return TRUE;
  if (!check_children (node, no_children, error))
    return FALSE;

  path = get_text (node);
  what = g_strdup_printf ("<%s>", name);
  if (!check_absolute_path (path, what, error))
    return FALSE;

  *out = g_steal_pointer (&path);
  return TRUE;
}

static gboolean
parse_direct_kernel_boot (DomainParser  *parser,
                          xmlNode       *os,
                          GError       **error)
{
  HangardDomain *domain = parser->domain;
  xmlNode *cmdline;

  if (!parse_os_path_element (os, "kernel", &domain->kernel, error) ||
      !parse_os_path_element (os, "initrd", &domain->initrd, error))
    return FALSE;

  cmdline = find_child (os, "cmdline");
  if (cmdline != NULL)
    {
      if (!check_children (cmdline, no_children, error))
        return FALSE;
      domain->cmdline = get_text (cmdline);
    }

  /* QEMU takes -initrd and -append only together with -kernel. */
  if (domain->kernel == NULL && (domain->initrd != NULL || domain->cmdline != NULL))
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "<initrd> and <cmdline> in <os> need a <kernel>");
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_os (DomainParser  *parser,
          GError       **error)
{
  static const EnumValue firmwares[] = {
    { "bios", 0 }, { "efi", ENUM_UNSUPPORTED }, ENUM_VALUES_END
  };
  xmlNode *os = find_child (parser->root, "os");
  int firmware;

  if (os == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "The definition has no <os>: add "
                           "<os><type arch='x86_64' machine='q35'>hvm</type></os>");
      return FALSE;
    }

  if (!parse_enum_attribute (os, "firmware", firmwares, UNKNOWN_IS_INVALID, 0,
                             "Hangar does not boot UEFI firmware yet", &firmware, error))
    return FALSE;

  if (!check_children (os, os_children, error))
    return FALSE;

  return parse_os_type (parser, os, error) &&
         parse_os_boot_devices (parser, os, error) &&
         parse_direct_kernel_boot (parser, os, error);
}

/* --- <features> ---------------------------------------------------------- */

/* Besides acpi and apic, only features whose absence cannot stop a guest
 * from running: PAE is always there on x86_64, the others are tuning or
 * paravirtual hints (Hyper-V enlightenments, KVM hiding, SMM, the PMU). */
static const ChildRule feature_children[] = {
  CHILD_RULE_ONCE ("acpi"),
  CHILD_RULE_ONCE ("apic"),
  CHILD_RULE_ONCE ("pae"),
  CHILD_RULE_ONCE ("vmport"),
  CHILD_RULE_ONCE ("hyperv"),
  CHILD_RULE_ONCE ("kvm"),
  CHILD_RULE_ONCE ("smm"),
  CHILD_RULE_ONCE ("pvspinlock"),
  CHILD_RULE_ONCE ("vmcoreinfo"),
  CHILD_RULE_ONCE ("pmu"),
  CHILD_RULES_END
};

static gboolean
parse_switch_feature (xmlNode     *features,
                      const char  *name,
                      gboolean    *out,
                      GError     **error)
{
  xmlNode *node = find_child (features, name);

  *out = FALSE;
  if (node == NULL)
    return TRUE;

  return check_children (node, no_children, error) &&
         parse_state_attribute (node, out, error);
}

static gboolean
parse_features (DomainParser  *parser,
                GError       **error)
{
  xmlNode *features = find_child (parser->root, "features");

  parser->domain->acpi = FALSE;
  parser->domain->apic = FALSE;
  if (features == NULL)
    return TRUE;

  return check_children (features, feature_children, error) &&
         parse_switch_feature (features, "acpi", &parser->domain->acpi, error) &&
         parse_switch_feature (features, "apic", &parser->domain->apic, error);
}

/* --- <cpu> --------------------------------------------------------------- */

static const ChildRule cpu_children[] = {
  CHILD_RULE_ONCE ("model"),
  CHILD_RULE_ONCE ("topology"),
  CHILD_RULE_ONCE ("cache"),
  CHILD_RULE_UNSUPPORTED ("feature", "Hangar does not add or remove single CPU features"),
  CHILD_RULE_UNSUPPORTED ("vendor", "Hangar does not change the CPU vendor"),
  CHILD_RULE_UNSUPPORTED ("numa", "Hangar does not give guests NUMA nodes"),
  CHILD_RULES_END
};

/* QEMU CPU model names, e.g. "Skylake-Client-IBRS", "EPYC-Rome", "qemu64".
 * Anything else could smuggle options into -cpu. */
static gboolean
cpu_model_name_is_valid (const char *name)
{
  gsize length = strlen (name);

  /* "help" would make QEMU list its models and exit instead of running. */
  if (length == 0 || length > MAX_CPU_MODEL_LEN || g_ascii_strcasecmp (name, "help") == 0)
    return FALSE;

  for (const char *p = name; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_topology_factor (xmlNode     *topology,
                       const char  *attribute,
                       gboolean     required,
                       guint64     *out,
                       GError     **error)
{
  g_autofree char *text = get_attribute (topology, attribute);
  g_autofree char *shown = NULL;

  if (text == NULL)
    {
      if (required)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                       "<topology> in <cpu> needs a %s attribute", attribute);
          return FALSE;
        }
      *out = 1;
      return TRUE;
    }

  shown = describe_for_message (text);
  if (!parse_decimal (text, G_MAXUINT32, out) || *out == 0)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Invalid <topology %s='%s'> in <cpu>: expected a positive number",
                   attribute, shown);
      return FALSE;
    }
  return TRUE;
}

/* The topology is checked, not used: a guest sees vCPUs as sockets either
 * way, and a topology that does not add up is a mistake worth telling. */
static gboolean
check_cpu_topology (DomainParser  *parser,
                    xmlNode       *topology,
                    GError       **error)
{
  static const struct {
    const char *name;
    gboolean    required;
  } factors[] = {
    { "sockets", TRUE }, { "dies", FALSE }, { "clusters", FALSE },
    { "cores", TRUE }, { "threads", TRUE },
  };
  guint64 product = 1;

  if (!check_children (topology, no_children, error))
    return FALSE;

  for (gsize i = 0; i < G_N_ELEMENTS (factors); i++)
    {
      guint64 factor;

      if (!parse_topology_factor (topology, factors[i].name, factors[i].required,
                                  &factor, error))
        return FALSE;

      /* Saturate: anything past MAX_VCPUS is a mismatch anyway. */
      product = MIN (product * MIN (factor, MAX_VCPUS + 1), MAX_VCPUS + 1);
    }

  if (product != parser->domain->vcpus)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "The CPU <topology> gives %s%" G_GUINT64_FORMAT " vCPUs, but <vcpu> says %u",
                   product > MAX_VCPUS ? "more than " : "",
                   product > MAX_VCPUS ? (guint64) MAX_VCPUS : product,
                   parser->domain->vcpus);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_cpu (DomainParser  *parser,
           GError       **error)
{
  static const EnumValue modes[] = {
    { "host-passthrough", HANGARD_CPU_MODE_HOST_PASSTHROUGH },
    { "host-model", HANGARD_CPU_MODE_HOST_MODEL },
    { "custom", HANGARD_CPU_MODE_CUSTOM },
    { "maximum", ENUM_UNSUPPORTED },
    ENUM_VALUES_END
  };
  HangardDomain *domain = parser->domain;
  xmlNode *cpu = find_child (parser->root, "cpu");
  xmlNode *model;
  xmlNode *topology;
  int mode;

  domain->cpu_mode = HANGARD_CPU_MODE_DEFAULT;
  if (cpu == NULL)
    return TRUE;

  if (!check_children (cpu, cpu_children, error))
    return FALSE;

  /* libvirt's default mode is custom. */
  if (!parse_enum_attribute (cpu, "mode", modes, UNKNOWN_IS_INVALID,
                             HANGARD_CPU_MODE_CUSTOM,
                             "use host-passthrough, host-model or a named model",
                             &mode, error))
    return FALSE;

  topology = find_child (cpu, "topology");
  if (topology != NULL && !check_cpu_topology (parser, topology, error))
    return FALSE;

  model = find_child (cpu, "model");
  if (model != NULL && !check_children (model, no_children, error))
    return FALSE;

  if (mode != HANGARD_CPU_MODE_CUSTOM)
    {
      /* host-model keeps a <model fallback='allow'/> placeholder; ignoring
       * it is right since the host decides the model. */
      domain->cpu_mode = mode;
      return TRUE;
    }

  if (model != NULL)
    {
      g_autofree char *name = get_stripped_text (model);

      if (*name != '\0')
        {
          if (!cpu_model_name_is_valid (name))
            {
              g_autofree char *shown = describe_for_message (name);

              g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "Invalid CPU <model> '%s': expected a QEMU CPU model "
                           "name such as Skylake-Client or EPYC", shown);
              return FALSE;
            }
          domain->cpu_mode = HANGARD_CPU_MODE_CUSTOM;
          domain->cpu_model = g_steal_pointer (&name);
        }
    }

  /* <cpu> with just a topology: QEMU's default model, as in libvirt. */
  return TRUE;
}

/* --- Devices: shared parts ----------------------------------------------- */

static gboolean
parse_device_boot_order (DomainParser  *parser,
                         xmlNode       *device,
                         const char    *device_label,
                         guint         *out,
                         GError       **error)
{
  xmlNode *boot = find_child (device, "boot");
  g_autofree char *text = NULL;
  const char *other;
  guint64 order;

  *out = 0;
  if (boot == NULL)
    return TRUE;
  if (!check_children (boot, no_children, error))
    return FALSE;

  text = get_attribute (boot, "order");
  if (text == NULL || !parse_decimal (text, G_MAXINT32, &order) || order == 0)
    {
      g_autofree char *shown = describe_for_message (text != NULL ? text : "");

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Invalid <boot order='%s'> for %s: expected a positive number",
                   shown, device_label);
      return FALSE;
    }

  other = g_hash_table_lookup (parser->boot_orders, GUINT_TO_POINTER ((guint) order));
  if (other != NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Boot order %u is given twice: to %s and to %s",
                   (guint) order, other, device_label);
      return FALSE;
    }

  g_hash_table_insert (parser->boot_orders, GUINT_TO_POINTER ((guint) order),
                       g_strdup (device_label));
  *out = (guint) order;
  return TRUE;
}

/* --- <disk> -------------------------------------------------------------- */

static const ChildRule disk_children[] = {
  CHILD_RULE_ONCE ("driver"),
  CHILD_RULE_ONCE ("source"),
  CHILD_RULE_ONCE ("target"),
  CHILD_RULE_ONCE ("readonly"),
  CHILD_RULE_ONCE ("boot"),
  CHILD_RULE_ONCE ("address"),
  CHILD_RULE_ONCE ("alias"),
  CHILD_RULE_ONCE ("serial"),
  CHILD_RULES_END
};

static const ChildRule disk_source_children[] = {
  CHILD_RULE_MANY ("seclabel"),
  CHILD_RULES_END
};

/* "vda", "sdb", "hdc": it names the disk in messages and QEMU node names. */
static gboolean
target_dev_is_valid (const char *dev)
{
  gsize length = strlen (dev);

  if (length == 0 || length > MAX_TARGET_DEV_LEN || !g_ascii_islower (dev[0]))
    return FALSE;

  for (const char *p = dev; *p != '\0'; p++)
    {
      if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p))
        return FALSE;
    }
  return TRUE;
}

/* libvirt guesses the bus from the name when <target> has none; "sdX"
 * then means SCSI, which Hangar does not have. */
static gboolean
infer_disk_bus (const char      *dev,
                HangardDiskBus  *bus,
                GError         **error)
{
  if (g_str_has_prefix (dev, "vd"))
    *bus = HANGARD_DISK_BUS_VIRTIO;
  else if (g_str_has_prefix (dev, "hd"))
    *bus = HANGARD_DISK_BUS_IDE;
  else if (g_str_has_prefix (dev, "sd"))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Disk '%s' has no bus, and libvirt reads that as SCSI, which "
                   "Hangar does not have: add bus='sata' to its <target>", dev);
      return FALSE;
    }
  else
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Disk '%s' has no bus: add bus='virtio', 'sata' or 'ide' to its <target>",
                   dev);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_disk_target (DomainParser    *parser,
                   xmlNode         *disk_node,
                   HangardDiskDef  *disk,
                   GError         **error)
{
  static const EnumValue buses[] = {
    { "virtio", HANGARD_DISK_BUS_VIRTIO },
    { "sata", HANGARD_DISK_BUS_SATA },
    { "ide", HANGARD_DISK_BUS_IDE },
    { "scsi", ENUM_UNSUPPORTED }, { "usb", ENUM_UNSUPPORTED },
    { "fdc", ENUM_UNSUPPORTED }, { "xen", ENUM_UNSUPPORTED },
    { "uml", ENUM_UNSUPPORTED }, { "sd", ENUM_UNSUPPORTED },
    ENUM_VALUES_END
  };
  xmlNode *target = find_child (disk_node, "target");
  g_autofree char *dev = NULL;
  int bus;

  if (target == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "Every <disk> needs a <target dev='...' bus='...'/>");
      return FALSE;
    }
  if (!check_children (target, no_children, error))
    return FALSE;

  dev = get_attribute (target, "dev");
  if (dev == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "<target> in <disk> needs a dev attribute, e.g. dev='vda'");
      return FALSE;
    }
  if (!target_dev_is_valid (dev))
    {
      g_autofree char *shown = describe_for_message (dev);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Invalid <target dev='%s'> in <disk>: expected a name such as "
                   "vda, sda or hdc", shown);
      return FALSE;
    }
  if (g_hash_table_contains (parser->target_devs, dev))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Two disks have the same <target dev='%s'>", dev);
      return FALSE;
    }

  if (!parse_enum_attribute (target, "bus", buses, UNKNOWN_IS_INVALID, ATTRIBUTE_ABSENT,
                             "Hangar attaches disks with virtio, SATA or IDE",
                             &bus, error))
    return FALSE;

  if (bus == ATTRIBUTE_ABSENT)
    {
      HangardDiskBus inferred;

      if (!infer_disk_bus (dev, &inferred, error))
        return FALSE;
      bus = inferred;
    }

  g_hash_table_add (parser->target_devs, g_strdup (dev));
  disk->bus = bus;
  disk->target_dev = g_steal_pointer (&dev);
  return TRUE;
}

static gboolean
parse_disk_driver (xmlNode         *disk_node,
                   HangardDiskDef  *disk,
                   gboolean        *format_stated,
                   GError         **error)
{
  static const EnumValue names[] = {
    { "qemu", 0 },
    { "tap", ENUM_UNSUPPORTED }, { "tap2", ENUM_UNSUPPORTED },
    { "phy", ENUM_UNSUPPORTED }, { "file", ENUM_UNSUPPORTED },
    ENUM_VALUES_END
  };
  static const EnumValue formats[] = {
    { "raw", HANGARD_DISK_FORMAT_RAW },
    { "qcow2", HANGARD_DISK_FORMAT_QCOW2 },
    { "none", ENUM_UNSUPPORTED }, { "dir", ENUM_UNSUPPORTED },
    { "bochs", ENUM_UNSUPPORTED }, { "cloop", ENUM_UNSUPPORTED },
    { "dmg", ENUM_UNSUPPORTED }, { "iso", ENUM_UNSUPPORTED },
    { "vpc", ENUM_UNSUPPORTED }, { "vdi", ENUM_UNSUPPORTED },
    { "fat", ENUM_UNSUPPORTED }, { "vhd", ENUM_UNSUPPORTED },
    { "ploop", ENUM_UNSUPPORTED }, { "cow", ENUM_UNSUPPORTED },
    { "qcow", ENUM_UNSUPPORTED }, { "qed", ENUM_UNSUPPORTED },
    { "vmdk", ENUM_UNSUPPORTED }, { "luks", ENUM_UNSUPPORTED },
    ENUM_VALUES_END
  };
  static const EnumValue caches[] = {
    { "default", HANGARD_DISK_CACHE_DEFAULT },
    { "none", HANGARD_DISK_CACHE_NONE },
    { "writeback", HANGARD_DISK_CACHE_WRITEBACK },
    { "writethrough", HANGARD_DISK_CACHE_WRITETHROUGH },
    { "directsync", HANGARD_DISK_CACHE_DIRECTSYNC },
    { "unsafe", HANGARD_DISK_CACHE_UNSAFE },
    ENUM_VALUES_END
  };
  xmlNode *driver = find_child (disk_node, "driver");
  int name;
  int format;
  int cache;

  disk->format = HANGARD_DISK_FORMAT_RAW;
  disk->cache = HANGARD_DISK_CACHE_DEFAULT;
  *format_stated = FALSE;
  if (driver == NULL)
    return TRUE;

  if (!check_children (driver, no_children, error) ||
      !parse_enum_attribute (driver, "name", names, UNKNOWN_IS_INVALID, 0,
                             "Hangar runs disks with QEMU (name='qemu')", &name, error) ||
      !parse_enum_attribute (driver, "type", formats, UNKNOWN_IS_INVALID, ATTRIBUTE_ABSENT,
                             "convert the image to qcow2 or raw (qemu-img convert)",
                             &format, error) ||
      !parse_enum_attribute (driver, "cache", caches, UNKNOWN_IS_INVALID,
                             HANGARD_DISK_CACHE_DEFAULT, NULL, &cache, error))
    return FALSE;

  if (format != ATTRIBUTE_ABSENT)
    {
      disk->format = format;
      *format_stated = TRUE;
    }
  disk->cache = cache;
  return TRUE;
}

static gboolean
parse_disk_source (xmlNode         *disk_node,
                   HangardDiskDef  *disk,
                   GError         **error)
{
  xmlNode *source = find_child (disk_node, "source");
  g_autofree char *file = NULL;
  g_autofree char *what = NULL;

  if (source == NULL)
    return TRUE;
  if (!check_children (source, disk_source_children, error))
    return FALSE;

  file = get_attribute (source, "file");
  if (file == NULL)
    {
      /* libvirt's way of writing an empty CD-ROM drive. */
      if (disk->device == HANGARD_DISK_DEVICE_CDROM)
        return TRUE;

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "<source> of disk '%s' needs a file attribute", disk->target_dev);
      return FALSE;
    }

  what = g_strdup_printf ("<source file> of disk '%s'", disk->target_dev);
  if (!check_absolute_path (file, what, error))
    return FALSE;

  disk->source_file = g_steal_pointer (&file);
  return TRUE;
}

/* What QEMU would refuse at start, told now with the way out. */
static gboolean
check_disk_combination (DomainParser    *parser,
                        HangardDiskDef  *disk,
                        GError         **error)
{
  if (disk->device == HANGARD_DISK_DEVICE_CDROM && disk->bus == HANGARD_DISK_BUS_VIRTIO)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "CD-ROM drive '%s' cannot be on the virtio bus: use bus='sata' or 'ide'",
                   disk->target_dev);
      return FALSE;
    }

  if (disk->device == HANGARD_DISK_DEVICE_DISK && disk->readonly &&
      disk->bus != HANGARD_DISK_BUS_VIRTIO)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Read-only disk '%s' must be on the virtio bus: QEMU's SATA and "
                   "IDE hard disks cannot be read-only", disk->target_dev);
      return FALSE;
    }

  if (disk->bus == HANGARD_DISK_BUS_IDE && machine_type_is_q35 (parser->domain->machine_type))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Disk '%s' is on the IDE bus, which the q35 machine does not "
                   "have: use bus='sata'", disk->target_dev);
      return FALSE;
    }

  return TRUE;
}

static gboolean
parse_disk (DomainParser  *parser,
            xmlNode       *node,
            GError       **error)
{
  static const EnumValue types[] = {
    { "file", 0 },
    { "block", ENUM_UNSUPPORTED }, { "dir", ENUM_UNSUPPORTED },
    { "network", ENUM_UNSUPPORTED }, { "volume", ENUM_UNSUPPORTED },
    { "nvme", ENUM_UNSUPPORTED }, { "vhostuser", ENUM_UNSUPPORTED },
    { "vhostvdpa", ENUM_UNSUPPORTED },
    ENUM_VALUES_END
  };
  static const EnumValue devices[] = {
    { "disk", HANGARD_DISK_DEVICE_DISK },
    { "cdrom", HANGARD_DISK_DEVICE_CDROM },
    { "floppy", ENUM_UNSUPPORTED }, { "lun", ENUM_UNSUPPORTED },
    ENUM_VALUES_END
  };
  g_autoptr(HangardDiskDef) disk = g_new0 (HangardDiskDef, 1);
  g_autofree char *label = NULL;
  gboolean format_stated = FALSE;
  xmlNode *readonly;
  int type;
  int device;

  /* The type first: for a disk Hangar cannot run, that is the news. */
  if (!parse_enum_attribute (node, "type", types, UNKNOWN_IS_INVALID, 0,
                             "Hangar runs disk images stored in files (type='file'); "
                             "storage volumes will come later",
                             &type, error) ||
      !parse_enum_attribute (node, "device", devices, UNKNOWN_IS_INVALID,
                             HANGARD_DISK_DEVICE_DISK,
                             "Hangar offers hard disks and CD-ROM drives only",
                             &device, error) ||
      !check_children (node, disk_children, error))
    return FALSE;

  disk->device = device;
  if (!parse_disk_target (parser, node, disk, error) ||
      !parse_disk_driver (node, disk, &format_stated, error) ||
      !parse_disk_source (node, disk, error))
    return FALSE;

  if (disk->device == HANGARD_DISK_DEVICE_DISK && disk->source_file == NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Disk '%s' needs a <source file='...'/> naming its image",
                   disk->target_dev);
      return FALSE;
    }

  /* Probing a format lets a guest that writes a qcow2 header into a raw
   * image read host files through it. */
  if (disk->source_file != NULL && !format_stated)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Disk '%s': state the format with <driver name='qemu' type='qcow2'/> "
                   "(or type='raw'): Hangar never guesses an image format",
                   disk->target_dev);
      return FALSE;
    }

  readonly = find_child (node, "readonly");
  if (readonly != NULL && !check_children (readonly, no_children, error))
    return FALSE;
  /* A CD-ROM is read-only whether or not it says so. */
  disk->readonly = readonly != NULL || disk->device == HANGARD_DISK_DEVICE_CDROM;

  label = g_strdup_printf ("disk '%s'", disk->target_dev);
  if (!parse_device_boot_order (parser, node, label, &disk->boot_order, error) ||
      !check_disk_combination (parser, disk, error))
    return FALSE;

  g_ptr_array_add (parser->domain->disks, g_steal_pointer (&disk));
  return TRUE;
}

/* --- <interface> --------------------------------------------------------- */

static const ChildRule interface_children[] = {
  CHILD_RULE_ONCE ("mac"),
  CHILD_RULE_ONCE ("model"),
  CHILD_RULE_ONCE ("boot"),
  CHILD_RULE_ONCE ("address"),
  CHILD_RULE_ONCE ("alias"),
  CHILD_RULES_END
};

/* "52:54:00:AB:cd:ef" → "52:54:00:ab:cd:ef"; NULL when it is not six
 * colon-separated hex pairs. */
static char *
normalize_mac (const char *text)
{
  if (strlen (text) != 17)
    return NULL;

  for (gsize i = 0; i < 17; i++)
    {
      if (i % 3 == 2 ? text[i] != ':' : !g_ascii_isxdigit (text[i]))
        return NULL;
    }
  return g_ascii_strdown (text, -1);
}

static gboolean
parse_nic_mac (DomainParser   *parser,
               xmlNode        *interface,
               HangardNicDef  *nic,
               GError        **error)
{
  xmlNode *mac = find_child (interface, "mac");
  g_autofree char *address = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *normalized = NULL;

  if (mac == NULL)
    return TRUE;
  if (!check_children (mac, no_children, error))
    return FALSE;

  address = get_attribute (mac, "address");
  if (address == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "<mac> in <interface> needs an address attribute");
      return FALSE;
    }

  shown = describe_for_message (address);
  normalized = normalize_mac (address);
  if (normalized == NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Invalid MAC address '%s': expected six hexadecimal pairs such "
                   "as 52:54:00:12:34:56", shown);
      return FALSE;
    }

  /* The low bit of the first octet marks group addresses: a NIC with one
   * would not receive its own traffic. */
  if (g_ascii_xdigit_value (normalized[1]) & 1)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Invalid MAC address '%s': it is a multicast address; a network "
                   "card needs a unicast one (even first byte)", shown);
      return FALSE;
    }

  if (g_hash_table_contains (parser->macs, normalized))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Two network interfaces have the same MAC address '%s'", shown);
      return FALSE;
    }

  g_hash_table_add (parser->macs, g_strdup (normalized));
  nic->mac = g_steal_pointer (&normalized);
  return TRUE;
}

static gboolean
parse_nic_model (xmlNode        *interface,
                 HangardNicDef  *nic,
                 GError        **error)
{
  static const EnumValue models[] = {
    { "virtio", HANGARD_NIC_MODEL_VIRTIO },
    { "e1000", HANGARD_NIC_MODEL_E1000 },
    { "rtl8139", HANGARD_NIC_MODEL_RTL8139 },
    ENUM_VALUES_END
  };
  xmlNode *model = find_child (interface, "model");
  int value;

  nic->model = HANGARD_NIC_MODEL_VIRTIO;
  if (model == NULL)
    return TRUE;

  /* libvirt hands any model name to QEMU, so unknown ones are valid XML. */
  if (!check_children (model, no_children, error) ||
      !parse_enum_attribute (model, "type", models, UNKNOWN_IS_UNSUPPORTED,
                             ATTRIBUTE_REQUIRED,
                             "Hangar offers virtio, e1000 and rtl8139 network cards",
                             &value, error))
    return FALSE;

  nic->model = value;
  return TRUE;
}

static gboolean
parse_interface (DomainParser  *parser,
                 xmlNode       *node,
                 GError       **error)
{
  static const EnumValue types[] = {
    { "user", HANGARD_NIC_TYPE_USER },
    { "network", ENUM_UNSUPPORTED }, { "bridge", ENUM_UNSUPPORTED },
    { "direct", ENUM_UNSUPPORTED }, { "ethernet", ENUM_UNSUPPORTED },
    { "vhostuser", ENUM_UNSUPPORTED }, { "server", ENUM_UNSUPPORTED },
    { "client", ENUM_UNSUPPORTED }, { "mcast", ENUM_UNSUPPORTED },
    { "udp", ENUM_UNSUPPORTED }, { "internal", ENUM_UNSUPPORTED },
    { "hostdev", ENUM_UNSUPPORTED }, { "vdpa", ENUM_UNSUPPORTED },
    { "null", ENUM_UNSUPPORTED }, { "vds", ENUM_UNSUPPORTED },
    ENUM_VALUES_END
  };
  g_autoptr(HangardNicDef) nic = g_new0 (HangardNicDef, 1);
  g_autofree char *label = NULL;
  int type;

  if (!parse_enum_attribute (node, "type", types, UNKNOWN_IS_INVALID, ATTRIBUTE_REQUIRED,
                             "Hangar offers user-mode networking (type='user'); other "
                             "network types come with virtual networks",
                             &type, error) ||
      !check_children (node, interface_children, error))
    return FALSE;

  nic->type = type;
  if (!parse_nic_mac (parser, node, nic, error) ||
      !parse_nic_model (node, nic, error))
    return FALSE;

  label = nic->mac != NULL
          ? g_strdup_printf ("network interface %s", nic->mac)
          : g_strdup_printf ("network interface %u", parser->domain->nics->len + 1);
  if (!parse_device_boot_order (parser, node, label, &nic->boot_order, error))
    return FALSE;

  if (nic->mac == NULL)
    {
      g_ptr_array_add (parser->interfaces_without_mac, node);
      g_ptr_array_add (parser->nics_without_mac, nic);
    }
  g_ptr_array_add (parser->domain->nics, g_steal_pointer (&nic));
  return TRUE;
}

/* 52:54:00 is QEMU's prefix, as libvirt uses. Runs after every interface
 * was read, so a generated address cannot clash with a later stated one. */
static void
insert_generated_macs (DomainParser *parser)
{
  for (guint i = 0; i < parser->nics_without_mac->len; i++)
    {
      xmlNode *interface = parser->interfaces_without_mac->pdata[i];
      HangardNicDef *nic = parser->nics_without_mac->pdata[i];
      g_autofree char *mac = NULL;
      xmlNode *mac_node;

      do
        {
          g_clear_pointer (&mac, g_free);
          mac = g_strdup_printf ("52:54:00:%02x:%02x:%02x",
                                 g_random_int_range (0, 256),
                                 g_random_int_range (0, 256),
                                 g_random_int_range (0, 256));
        }
      while (g_hash_table_contains (parser->macs, mac));

      g_hash_table_add (parser->macs, g_strdup (mac));

      mac_node = xmlNewDocNode (parser->domain->doc, NULL, BAD_CAST "mac", NULL);
      xmlNewProp (mac_node, BAD_CAST "address", BAD_CAST mac);
      /* libvirt writes <mac> first in <interface>. */
      if (interface->children != NULL)
        xmlAddPrevSibling (interface->children, mac_node);
      else
        xmlAddChild (interface, mac_node);

      nic->mac = g_steal_pointer (&mac);
    }
}

/* --- <graphics>, <video> ------------------------------------------------- */

static const ChildRule graphics_children[] = {
  CHILD_RULE_MANY ("listen"),
  CHILD_RULES_END
};

static gboolean
parse_graphics (DomainParser  *parser,
                xmlNode       *node,
                GError       **error)
{
  static const EnumValue types[] = {
    { "vnc", 0 },
    { "spice", ENUM_UNSUPPORTED }, { "sdl", ENUM_UNSUPPORTED },
    { "rdp", ENUM_UNSUPPORTED }, { "desktop", ENUM_UNSUPPORTED },
    { "egl-headless", ENUM_UNSUPPORTED }, { "dbus", ENUM_UNSUPPORTED },
    ENUM_VALUES_END
  };
  int type;

  /* Ports, listen addresses and passwords have no effect: Hangar never
   * opens a TCP port and hands VNC clients to QEMU through QMP. */
  if (!parse_enum_attribute (node, "type", types, UNKNOWN_IS_INVALID, ATTRIBUTE_REQUIRED,
                             "Hangar shows machines over VNC (type='vnc')", &type, error) ||
      !check_children (node, graphics_children, error))
    return FALSE;

  if (parser->domain->has_vnc)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           "The definition has more than one <graphics>: Hangar "
                           "gives a machine one display");
      return FALSE;
    }

  parser->domain->has_vnc = TRUE;
  return TRUE;
}

static const ChildRule video_children[] = {
  CHILD_RULE_ONCE ("model"),
  CHILD_RULE_ONCE ("address"),
  CHILD_RULE_ONCE ("alias"),
  CHILD_RULES_END
};

static const ChildRule video_model_children[] = {
  CHILD_RULE_ONCE ("acceleration"),
  CHILD_RULES_END
};

static gboolean
parse_video (DomainParser  *parser,
             xmlNode       *node,
             gboolean      *seen_video,
             GError       **error)
{
  static const EnumValue models[] = {
    { "vga", HANGARD_VIDEO_VGA },
    { "virtio", HANGARD_VIDEO_VIRTIO },
    { "none", HANGARD_VIDEO_NONE },
    { "cirrus", ENUM_UNSUPPORTED }, { "qxl", ENUM_UNSUPPORTED },
    { "vmvga", ENUM_UNSUPPORTED }, { "bochs", ENUM_UNSUPPORTED },
    { "ramfb", ENUM_UNSUPPORTED }, { "xen", ENUM_UNSUPPORTED },
    { "vbox", ENUM_UNSUPPORTED }, { "parallels", ENUM_UNSUPPORTED },
    { "gop", ENUM_UNSUPPORTED },
    ENUM_VALUES_END
  };
  xmlNode *model;
  int value = HANGARD_VIDEO_VGA;

  if (*seen_video)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           "The definition has more than one <video>: Hangar gives "
                           "a machine one video card");
      return FALSE;
    }
  *seen_video = TRUE;

  if (!check_children (node, video_children, error))
    return FALSE;

  model = find_child (node, "model");
  if (model != NULL)
    {
      xmlNode *acceleration;

      if (!check_children (model, video_model_children, error) ||
          !parse_enum_attribute (model, "type", models, UNKNOWN_IS_INVALID,
                                 HANGARD_VIDEO_VGA,
                                 "Hangar offers the vga and virtio video cards",
                                 &value, error))
        return FALSE;

      acceleration = find_child (model, "acceleration");
      if (acceleration != NULL)
        {
          g_autofree char *accel3d = get_attribute (acceleration, "accel3d");

          if (g_strcmp0 (accel3d, "yes") == 0)
            {
              g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                                   "Unsupported <acceleration accel3d='yes'> in <model>: "
                                   "Hangar does not offer 3D acceleration");
              return FALSE;
            }
        }
    }

  parser->domain->video = value;
  return TRUE;
}

/* --- <serial>, <console>, <input> ---------------------------------------- */

static const ChildRule character_device_children[] = {
  CHILD_RULE_ONCE ("source"),
  CHILD_RULE_ONCE ("target"),
  CHILD_RULE_ONCE ("log"),
  CHILD_RULE_ONCE ("protocol"),
  CHILD_RULE_ONCE ("address"),
  CHILD_RULE_ONCE ("alias"),
  CHILD_RULES_END
};

/* Whatever the backend, the guest's one serial port goes to Hangar's
 * socket and log, so a pty, file or socket all mean "a serial port". */
static const EnumValue character_device_types[] = {
  { "pty", 0 }, { "file", 0 }, { "unix", 0 },
  { "null", ENUM_UNSUPPORTED }, { "vc", ENUM_UNSUPPORTED },
  { "dev", ENUM_UNSUPPORTED }, { "pipe", ENUM_UNSUPPORTED },
  { "stdio", ENUM_UNSUPPORTED }, { "udp", ENUM_UNSUPPORTED },
  { "tcp", ENUM_UNSUPPORTED }, { "spicevmc", ENUM_UNSUPPORTED },
  { "spiceport", ENUM_UNSUPPORTED }, { "nmdm", ENUM_UNSUPPORTED },
  { "qemu-vdagent", ENUM_UNSUPPORTED }, { "dbus", ENUM_UNSUPPORTED },
  ENUM_VALUES_END
};

#define CHARACTER_DEVICE_REASON \
  "Hangar connects the serial port to its own console (type='pty', 'file' or 'unix')"

static gboolean
parse_serial (DomainParser  *parser,
              xmlNode       *node,
              gboolean      *seen_serial,
              GError       **error)
{
  int type;

  if (!parse_enum_attribute (node, "type", character_device_types, UNKNOWN_IS_INVALID,
                             ATTRIBUTE_REQUIRED, CHARACTER_DEVICE_REASON, &type, error) ||
      !check_children (node, character_device_children, error))
    return FALSE;

  if (*seen_serial)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           "The definition has more than one <serial>: Hangar gives "
                           "a machine one serial port");
      return FALSE;
    }

  *seen_serial = TRUE;
  parser->domain->has_serial = TRUE;
  return TRUE;
}

static gboolean
parse_console (DomainParser  *parser,
               xmlNode       *node,
               gboolean      *seen_console,
               GError       **error)
{
  static const EnumValue target_types[] = {
    { "serial", 0 },
    { "virtio", ENUM_UNSUPPORTED }, { "xen", ENUM_UNSUPPORTED },
    { "uml", ENUM_UNSUPPORTED }, { "lxc", ENUM_UNSUPPORTED },
    { "openvz", ENUM_UNSUPPORTED }, { "sclp", ENUM_UNSUPPORTED },
    { "sclplm", ENUM_UNSUPPORTED },
    ENUM_VALUES_END
  };
  xmlNode *target;
  int type;

  if (!parse_enum_attribute (node, "type", character_device_types, UNKNOWN_IS_INVALID,
                             ATTRIBUTE_REQUIRED, CHARACTER_DEVICE_REASON, &type, error) ||
      !check_children (node, character_device_children, error))
    return FALSE;

  /* A serial console is the serial port seen from the host; a virtio
   * console would be another device. */
  target = find_child (node, "target");
  if (target != NULL &&
      !parse_enum_attribute (target, "type", target_types, UNKNOWN_IS_INVALID, 0,
                             "Hangar's console is the serial port (type='serial')",
                             &type, error))
    return FALSE;

  if (*seen_console)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           "The definition has more than one <console>: Hangar gives "
                           "a machine one serial console");
      return FALSE;
    }

  *seen_console = TRUE;
  parser->domain->has_serial = TRUE;
  return TRUE;
}

static const ChildRule input_children[] = {
  CHILD_RULE_ONCE ("address"),
  CHILD_RULE_ONCE ("alias"),
  CHILD_RULES_END
};

typedef enum {
  INPUT_TABLET,
  INPUT_MOUSE,
  INPUT_KEYBOARD,
} InputType;

typedef enum {
  INPUT_BUS_DEFAULT,
  INPUT_BUS_USB,
  INPUT_BUS_PS2,
  INPUT_BUS_VIRTIO,
} InputBus;

static gboolean
set_unsupported_input (xmlNode  *node,
                       GError  **error)
{
  g_autofree char *type = get_attribute (node, "type");
  g_autofree char *bus = get_attribute (node, "bus");

  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
               "Unsupported <input type='%s' bus='%s'>: Hangar offers a USB tablet "
               "(type='tablet' bus='usb') and the PS/2 mouse and keyboard",
               type, bus);
  return FALSE;
}

static gboolean
parse_input (DomainParser  *parser,
             xmlNode       *node,
             GError       **error)
{
  static const EnumValue types[] = {
    { "tablet", INPUT_TABLET }, { "mouse", INPUT_MOUSE },
    { "keyboard", INPUT_KEYBOARD },
    { "passthrough", ENUM_UNSUPPORTED }, { "evdev", ENUM_UNSUPPORTED },
    ENUM_VALUES_END
  };
  static const EnumValue buses[] = {
    { "usb", INPUT_BUS_USB }, { "ps2", INPUT_BUS_PS2 },
    { "virtio", INPUT_BUS_VIRTIO },
    { "xen", ENUM_UNSUPPORTED }, { "parallels", ENUM_UNSUPPORTED },
    { "none", ENUM_UNSUPPORTED },
    ENUM_VALUES_END
  };
  int type;
  int bus;

  if (!parse_enum_attribute (node, "type", types, UNKNOWN_IS_INVALID, ATTRIBUTE_REQUIRED,
                             "Hangar offers a USB tablet; host input devices cannot be passed through",
                             &type, error) ||
      !parse_enum_attribute (node, "bus", buses, UNKNOWN_IS_INVALID, INPUT_BUS_DEFAULT,
                             "Hangar offers a USB tablet and the PS/2 mouse and keyboard",
                             &bus, error) ||
      !check_children (node, input_children, error))
    return FALSE;

  /* libvirt's defaults on x86: tablets on USB, mice and keyboards on PS/2. */
  if (type == INPUT_TABLET && (bus == INPUT_BUS_USB || bus == INPUT_BUS_DEFAULT))
    {
      parser->domain->has_tablet = TRUE;
      return TRUE;
    }

  /* The PS/2 mouse and keyboard are part of the PC; nothing to add. */
  if (type != INPUT_TABLET && (bus == INPUT_BUS_PS2 || bus == INPUT_BUS_DEFAULT))
    return TRUE;

  return set_unsupported_input (node, error);
}

/* --- <devices> ----------------------------------------------------------- */

static const ChildRule devices_children[] = {
  CHILD_RULE_ONCE ("emulator"),
  CHILD_RULE_MANY ("disk"),
  CHILD_RULE_MANY ("interface"),
  CHILD_RULE_MANY ("graphics"),
  CHILD_RULE_MANY ("video"),
  CHILD_RULE_MANY ("serial"),
  CHILD_RULE_MANY ("console"),
  CHILD_RULE_MANY ("input"),
  CHILD_RULE_MANY ("controller"),
  CHILD_RULE_ONCE ("memballoon"),
  CHILD_RULE_UNSUPPORTED ("hostdev", "Hangar cannot pass host devices through"),
  CHILD_RULE_UNSUPPORTED ("redirdev", "Hangar cannot redirect USB devices"),
  CHILD_RULE_UNSUPPORTED ("channel", "Hangar does not offer guest channels (such as the guest agent's)"),
  CHILD_RULE_UNSUPPORTED ("rng", "Hangar does not offer a random number generator device"),
  CHILD_RULE_UNSUPPORTED ("sound", "Hangar does not offer sound cards"),
  CHILD_RULE_UNSUPPORTED ("audio", "Hangar does not offer sound"),
  CHILD_RULE_UNSUPPORTED ("filesystem", "Hangar cannot share host folders with guests"),
  CHILD_RULE_UNSUPPORTED ("tpm", "Hangar does not offer a TPM"),
  CHILD_RULE_UNSUPPORTED ("watchdog", "Hangar does not offer watchdog devices"),
  CHILD_RULE_UNSUPPORTED ("smartcard", "Hangar does not offer smartcard readers"),
  CHILD_RULE_UNSUPPORTED ("parallel", "Hangar does not offer parallel ports"),
  CHILD_RULE_UNSUPPORTED ("shmem", "Hangar does not share memory between guests"),
  CHILD_RULES_END
};

static gboolean
parse_devices (DomainParser  *parser,
               GError       **error)
{
  xmlNode *devices = find_child (parser->root, "devices");
  gboolean seen_video = FALSE;
  gboolean seen_serial = FALSE;
  gboolean seen_console = FALSE;

  if (devices != NULL)
    {
      if (!check_children (devices, devices_children, error))
        return FALSE;

      FOR_EACH_CHILD_ELEMENT (node, devices)
        {
          gboolean ok = TRUE;

          if (is_element_named (node, "disk"))
            ok = parse_disk (parser, node, error);
          else if (is_element_named (node, "interface"))
            ok = parse_interface (parser, node, error);
          else if (is_element_named (node, "graphics"))
            ok = parse_graphics (parser, node, error);
          else if (is_element_named (node, "video"))
            ok = parse_video (parser, node, &seen_video, error);
          else if (is_element_named (node, "serial"))
            ok = parse_serial (parser, node, &seen_serial, error);
          else if (is_element_named (node, "console"))
            ok = parse_console (parser, node, &seen_console, error);
          else if (is_element_named (node, "input"))
            ok = parse_input (parser, node, error);
          /* <emulator>, <controller> and <memballoon> are tolerated. */

          if (!ok)
            return FALSE;
        }
    }

  if (!seen_video)
    parser->domain->video = parser->domain->has_vnc ? HANGARD_VIDEO_VGA : HANGARD_VIDEO_NONE;

  return TRUE;
}

static gboolean
check_boot_order_style (DomainParser  *parser,
                        GError       **error)
{
  if (parser->domain->n_boot > 0 && g_hash_table_size (parser->boot_orders) > 0)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "<boot order='...'> on devices cannot be combined with "
                           "<boot dev='...'> in <os>: use one or the other");
      return FALSE;
    }
  return TRUE;
}

/* --- Putting it together ------------------------------------------------- */

static gboolean
parse_root (DomainParser  *parser,
            GError       **error)
{
  g_autofree char *label = element_label (parser->root);

  if (!is_element_named (parser->root, "domain"))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "The root element must be <domain>, not <%s>", label);
      return FALSE;
    }

  return parse_domain_type (parser, error) &&
         check_children (parser->root, domain_children, error);
}

static gboolean
parse_domain (HangardDomain  *domain,
              GError        **error)
{
  g_auto(DomainParser) parser = {
    .domain = domain,
    .root = xmlDocGetRootElement (domain->doc),
    .boot_orders = g_hash_table_new_full (NULL, NULL, NULL, g_free),
    .target_devs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
    .macs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
    .interfaces_without_mac = g_ptr_array_new (),
    .nics_without_mac = g_ptr_array_new (),
  };

  if (!parse_root (&parser, error) ||
      !parse_name (&parser, error) ||
      !parse_uuid (&parser, error) ||
      !parse_title_and_description (&parser, error) ||
      !parse_memory (&parser, error) ||
      !parse_vcpu (&parser, error) ||
      !parse_os (&parser, error) ||
      !parse_features (&parser, error) ||
      !parse_cpu (&parser, error) ||
      !parse_devices (&parser, error) ||
      !check_boot_order_style (&parser, error))
    return FALSE;

  /* Only a valid definition gets anything written into it. */
  if (find_child (parser.root, "uuid") == NULL)
    insert_generated_uuid (&parser);
  insert_generated_macs (&parser);

  return TRUE;
}

HangardDomain *
hangard_domain_parse (const char  *xml,
                      gssize       length,
                      GError     **error)
{
  g_autoptr(HangardDomain) domain = NULL;
  g_autoptr(xmlDoc) doc = NULL;
  gsize size;

  g_return_val_if_fail (xml != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  size = length < 0 ? strlen (xml) : (gsize) length;
  if (size > HANGARD_DOMAIN_MAX_XML_SIZE)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "The definition is %" G_GSIZE_FORMAT " bytes long; Hangar accepts "
                   "at most %d bytes (1 MiB)", size, HANGARD_DOMAIN_MAX_XML_SIZE);
      return NULL;
    }
  if (size == 0)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "The definition is empty");
      return NULL;
    }

  doc = read_document (xml, size, error);
  if (doc == NULL)
    return NULL;

  domain = domain_new (g_steal_pointer (&doc));
  if (!parse_domain (domain, error))
    return NULL;

  return g_steal_pointer (&domain);
}

char *
hangard_domain_to_xml (HangardDomain *domain)
{
  g_autoptr(xmlBuffer) buffer = NULL;
  xmlSaveCtxt *save;

  g_return_val_if_fail (domain != NULL, NULL);
  g_return_val_if_fail (domain->doc != NULL, NULL);

  buffer = xmlBufferCreate ();
  /* "UTF-8" rather than NULL, else libxml2 writes non-ASCII characters as
   * character references. */
  save = xmlSaveToBuffer (buffer, "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL);
  if (buffer == NULL || save == NULL)
    g_error ("Out of memory formatting a machine definition");

  xmlSaveDoc (save, domain->doc);
  xmlSaveClose (save);

  return g_strndup ((const char *) xmlBufferContent (buffer),
                    (gsize) xmlBufferLength (buffer));
}

HangardDomain *
hangard_domain_copy (HangardDomain *domain)
{
  HangardDomain *copy;

  g_return_val_if_fail (domain != NULL, NULL);

  /* Field by field rather than by reparsing: a copy cannot fail. */
  copy = g_memdup2 (domain, sizeof *domain);
  copy->doc = xmlCopyDoc (domain->doc, 1);
  if (copy->doc == NULL)
    g_error ("Out of memory copying a machine definition");

  copy->name = g_strdup (domain->name);
  copy->title = g_strdup (domain->title);
  copy->description = g_strdup (domain->description);
  copy->cpuset = g_strdup (domain->cpuset);
  copy->arch = g_strdup (domain->arch);
  copy->machine_type = g_strdup (domain->machine_type);
  copy->kernel = g_strdup (domain->kernel);
  copy->initrd = g_strdup (domain->initrd);
  copy->cmdline = g_strdup (domain->cmdline);
  copy->cpu_model = g_strdup (domain->cpu_model);
  copy->disks = g_ptr_array_copy (domain->disks, disk_def_copy, NULL);
  g_ptr_array_set_free_func (copy->disks, (GDestroyNotify) disk_def_free);
  copy->nics = g_ptr_array_copy (domain->nics, nic_def_copy, NULL);
  g_ptr_array_set_free_func (copy->nics, (GDestroyNotify) nic_def_free);

  return copy;
}

/* A title is one line: parsing refuses line breaks, so they become spaces
 * here and the document stays one that parses. */
static char *
title_as_one_line (const char *title)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (const char *p = title; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_string_append_unichar (out, g_unichar_iscntrl (c) ? ' ' : c);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

void
hangard_domain_set_title (HangardDomain *domain,
                          const char    *title)
{
  xmlNode *root;
  xmlNode *node;
  g_autofree char *line = NULL;

  g_return_if_fail (domain != NULL);
  g_return_if_fail (title == NULL || g_utf8_validate (title, -1, NULL));

  root = xmlDocGetRootElement (domain->doc);
  node = find_child (root, "title");
  g_clear_pointer (&domain->title, g_free);

  if (title == NULL || *title == '\0')
    {
      if (node != NULL)
        {
          xmlUnlinkNode (node);
          xmlFreeNode (node);
        }
      return;
    }

  line = title_as_one_line (title);

  if (node == NULL)
    {
      /* libvirt's order: name, uuid, title, description. */
      xmlNode *anchor = find_child (root, "uuid");

      if (anchor == NULL)
        anchor = find_child (root, "name");

      node = xmlNewDocNode (domain->doc, NULL, BAD_CAST "title", NULL);
      if (anchor != NULL)
        xmlAddNextSibling (anchor, node);
      else
        xmlAddChild (root, node);
    }

  /* Text nodes take the string as is; xmlNodeSetContent() would read
   * '&' as the start of an entity reference. */
  xmlNodeSetContent (node, NULL);
  xmlAddChild (node, xmlNewDocText (domain->doc, BAD_CAST line));

  domain->title = g_steal_pointer (&line);
}

const char *
hangard_disk_bus_to_string (HangardDiskBus bus)
{
  switch (bus)
    {
    case HANGARD_DISK_BUS_VIRTIO: return "virtio";
    case HANGARD_DISK_BUS_SATA:   return "sata";
    case HANGARD_DISK_BUS_IDE:    return "ide";
    default:                      break;
    }
  g_return_val_if_reached (NULL);
}

const char *
hangard_disk_format_to_string (HangardDiskFormat format)
{
  switch (format)
    {
    case HANGARD_DISK_FORMAT_RAW:   return "raw";
    case HANGARD_DISK_FORMAT_QCOW2: return "qcow2";
    default:                        break;
    }
  g_return_val_if_reached (NULL);
}

const char *
hangard_disk_cache_to_string (HangardDiskCache cache)
{
  switch (cache)
    {
    case HANGARD_DISK_CACHE_DEFAULT:      return "default";
    case HANGARD_DISK_CACHE_NONE:         return "none";
    case HANGARD_DISK_CACHE_WRITEBACK:    return "writeback";
    case HANGARD_DISK_CACHE_WRITETHROUGH: return "writethrough";
    case HANGARD_DISK_CACHE_DIRECTSYNC:   return "directsync";
    case HANGARD_DISK_CACHE_UNSAFE:       return "unsafe";
    default:                              break;
    }
  g_return_val_if_reached (NULL);
}

const char *
hangard_nic_model_to_string (HangardNicModel model)
{
  switch (model)
    {
    case HANGARD_NIC_MODEL_VIRTIO:  return "virtio";
    case HANGARD_NIC_MODEL_E1000:   return "e1000";
    case HANGARD_NIC_MODEL_RTL8139: return "rtl8139";
    default:                        break;
    }
  g_return_val_if_reached (NULL);
}
