/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-xml"

#include "hangard-xml.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlsave.h>

#include "hangard-error.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlParserCtxt, xmlFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlBuffer, xmlBufferFree)

/* libxml2 changed the constness of structured error callbacks in 2.12. */
#if LIBXML_VERSION >= 21200
typedef const xmlError HangardXmlError;
#else
typedef xmlError HangardXmlError;
#endif

void
hangard_xml_ensure_initialized (void)
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

/* ------------------------------------------------------------------------- */
/* Reading elements                                                          */
/* ------------------------------------------------------------------------- */

/* User-supplied text goes into error messages that end up in a terminal or
 * a GUI label: show control characters escaped, and keep it short. */
char *
hangard_xml_describe_for_message (const char *text)
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

gboolean
hangard_xml_is_element_named (xmlNode    *node,
                              const char *name)
{
  return node != NULL &&
         node->type == XML_ELEMENT_NODE &&
         node->ns == NULL &&
         g_strcmp0 ((const char *) node->name, name) == 0;
}

xmlNode *
hangard_xml_first_element (xmlNode *node)
{
  while (node != NULL && node->type != XML_ELEMENT_NODE)
    node = node->next;
  return node;
}

xmlNode *
hangard_xml_find_child (xmlNode    *parent,
                        const char *name)
{
  HANGARD_XML_FOR_EACH_CHILD_ELEMENT (child, parent)
    {
      if (hangard_xml_is_element_named (child, name))
        return child;
    }
  return NULL;
}

/* The label in default namespace form, else it would read as plain <disk>. */
char *
hangard_xml_element_label (xmlNode *node)
{
  if (node->ns != NULL && node->ns->prefix != NULL)
    return g_strdup_printf ("%s:%s", node->ns->prefix, node->name);
  if (node->ns != NULL && node->ns->href != NULL)
    {
      g_autofree char *href = hangard_xml_describe_for_message ((const char *) node->ns->href);

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

  parent = hangard_xml_element_label (node->parent);
  return g_strdup_printf (" in <%s>", parent);
}

char *
hangard_xml_get_attribute (xmlNode    *node,
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

char *
hangard_xml_get_text (xmlNode *node)
{
  xmlChar *content = xmlNodeGetContent (node);
  char *copy;

  if (content == NULL)
    return g_strdup ("");

  copy = g_strdup ((const char *) content);
  xmlFree (content);
  return copy;
}

char *
hangard_xml_get_stripped_text (xmlNode *node)
{
  return g_strstrip (hangard_xml_get_text (node));
}

void
hangard_xml_set_text (xmlNode    *node,
                      const char *text)
{
  /* Text nodes take the string as is; xmlNodeSetContent() would read
   * '&' as the start of an entity reference. */
  xmlNodeSetContent (node, NULL);
  xmlAddChild (node, xmlNewDocText (node->doc, BAD_CAST text));
}

/* ------------------------------------------------------------------------- */
/* Which child elements an element may have                                  */
/* ------------------------------------------------------------------------- */

const HangardXmlChildRule hangard_xml_no_children[] = {
  HANGARD_XML_CHILD_RULES_END
};

static gboolean
set_unsupported_element (xmlNode     *node,
                         const char  *reason,
                         GError     **error)
{
  g_autofree char *label = hangard_xml_element_label (node);
  g_autofree char *where = location_of (node);

  if (reason != NULL)
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                 "Unsupported element <%s>%s: %s", label, where, reason);
  else
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                 "Unsupported element <%s>%s", label, where);
  return FALSE;
}

static const HangardXmlChildRule *
find_child_rule (const HangardXmlChildRule *rules,
                 xmlNode                   *child,
                 gsize                     *index_out)
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

gboolean
hangard_xml_check_children (xmlNode                    *parent,
                            const HangardXmlChildRule  *rules,
                            GError                    **error)
{
  guint seen[HANGARD_XML_MAX_CHILD_RULES] = { 0 };

  HANGARD_XML_FOR_EACH_CHILD_ELEMENT (child, parent)
    {
      gsize index = 0;
      const HangardXmlChildRule *rule = find_child_rule (rules, child, &index);

      if (rule == NULL)
        return set_unsupported_element (child, NULL, error);

      if (rule->kind == HANGARD_XML_CHILD_KIND_UNSUPPORTED)
        return set_unsupported_element (child, rule->reason, error);

      g_assert (index < HANGARD_XML_MAX_CHILD_RULES);
      if (rule->kind == HANGARD_XML_CHILD_KIND_ONCE && ++seen[index] > 1)
        {
          g_autofree char *parent_label = hangard_xml_element_label (parent);

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

/* "'virtio', 'sata' or 'ide'" */
static char *
list_supported_values (const HangardXmlEnumValue *values)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GString) out = g_string_new (NULL);

  for (gsize i = 0; values[i].name != NULL; i++)
    {
      if (values[i].value != HANGARD_XML_ENUM_UNSUPPORTED)
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

gboolean
hangard_xml_lookup_enum_value (const HangardXmlEnumValue    *values,
                               const char                   *value,
                               HangardXmlUnknownValuePolicy  policy,
                               int                          *out)
{
  for (gsize i = 0; values[i].name != NULL; i++)
    {
      if (g_str_equal (values[i].name, value))
        {
          *out = values[i].value;
          return TRUE;
        }
    }

  if (policy == HANGARD_XML_UNKNOWN_IS_UNSUPPORTED)
    {
      *out = HANGARD_XML_ENUM_UNSUPPORTED;
      return TRUE;
    }
  return FALSE;
}

static gboolean
set_missing_attribute_error (xmlNode                    *node,
                             const char                 *attribute,
                             const HangardXmlEnumValue  *values,
                             GError                    **error)
{
  g_autofree char *label = hangard_xml_element_label (node);
  g_autofree char *where = location_of (node);
  g_autofree char *supported = list_supported_values (values);

  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
               "<%s>%s needs a %s attribute (%s)", label, where, attribute, supported);
  return FALSE;
}

static gboolean
set_bad_value_error (xmlNode                    *node,
                     const char                 *attribute,
                     const char                 *value,
                     const HangardXmlEnumValue  *values,
                     const char                 *unsupported_reason,
                     GError                    **error)
{
  g_autofree char *label = hangard_xml_element_label (node);
  g_autofree char *where = location_of (node);
  g_autofree char *shown = hangard_xml_describe_for_message (value);

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

gboolean
hangard_xml_parse_enum_attribute (xmlNode                       *node,
                                  const char                    *attribute,
                                  const HangardXmlEnumValue     *values,
                                  HangardXmlUnknownValuePolicy   policy,
                                  int                            absent_value,
                                  const char                    *unsupported_reason,
                                  int                           *out,
                                  GError                       **error)
{
  g_autofree char *value = hangard_xml_get_attribute (node, attribute);
  int found = 0;

  if (value == NULL)
    {
      if (absent_value == HANGARD_XML_ATTRIBUTE_REQUIRED)
        return set_missing_attribute_error (node, attribute, values, error);

      *out = absent_value;
      return TRUE;
    }

  if (!hangard_xml_lookup_enum_value (values, value, policy, &found))
    return set_bad_value_error (node, attribute, value, values, NULL, error);

  if (found == HANGARD_XML_ENUM_UNSUPPORTED)
    {
      g_assert (unsupported_reason != NULL);
      return set_bad_value_error (node, attribute, value, values, unsupported_reason, error);
    }

  *out = found;
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Reading a document                                                        */
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
                       "Hangar refuses DTDs and entity declarations");
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
                               "entity references");
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

  hangard_xml_ensure_initialized ();

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

static gboolean
check_document_size (gsize    size,
                     gsize    max_size,
                     GError **error)
{
  if (size > max_size)
    {
      g_autofree char *limit = g_format_size_full (max_size, G_FORMAT_SIZE_IEC_UNITS);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "The definition is %" G_GSIZE_FORMAT " bytes long; Hangar accepts "
                   "at most %" G_GSIZE_FORMAT " bytes (%s)", size, max_size, limit);
      return FALSE;
    }
  if (size == 0)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "The definition is empty");
      return FALSE;
    }
  return TRUE;
}

xmlDoc *
hangard_xml_parse_safely (const char  *xml,
                          gssize       length,
                          gsize        max_size,
                          const char  *root_name,
                          GError     **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  xmlNode *root;
  gsize size;

  g_return_val_if_fail (xml != NULL, NULL);
  g_return_val_if_fail (max_size <= G_MAXINT, NULL);
  g_return_val_if_fail (root_name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  size = length < 0 ? strlen (xml) : (gsize) length;
  if (!check_document_size (size, max_size, error))
    return NULL;

  doc = read_document (xml, size, error);
  if (doc == NULL)
    return NULL;

  root = xmlDocGetRootElement (doc);
  if (!hangard_xml_is_element_named (root, root_name))
    {
      g_autofree char *label = hangard_xml_element_label (root);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "The root element must be <%s>, not <%s>", root_name, label);
      return NULL;
    }

  return g_steal_pointer (&doc);
}

char *
hangard_xml_to_string (xmlDoc *doc)
{
  g_autoptr(xmlBuffer) buffer = NULL;
  xmlSaveCtxt *save;

  g_return_val_if_fail (doc != NULL, NULL);

  buffer = xmlBufferCreate ();
  /* "UTF-8" rather than NULL, else libxml2 writes non-ASCII characters as
   * character references. */
  save = buffer != NULL ? xmlSaveToBuffer (buffer, "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL)
                        : NULL;
  if (save == NULL)
    g_error ("Out of memory formatting an XML document");

  xmlSaveDoc (save, doc);
  xmlSaveClose (save);

  return g_strndup ((const char *) xmlBufferContent (buffer),
                    (gsize) xmlBufferLength (buffer));
}

/* ------------------------------------------------------------------------- */
/* Names and UUIDs                                                           */
/* ------------------------------------------------------------------------- */

static gboolean
has_control_character (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (g_unichar_iscntrl (g_utf8_get_char (p)))
        return TRUE;
    }
  return FALSE;
}

gboolean
hangard_xml_check_name (const char  *name,
                        const char  *what,
                        gsize        max_length,
                        gboolean     refuse_leading_dash,
                        GError     **error)
{
  g_autofree char *shown = NULL;
  gsize length;

  if (name == NULL || *name == '\0')
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "A %s name cannot be empty", what);
      return FALSE;
    }

  if (!g_utf8_validate (name, -1, NULL))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "A %s name must be valid UTF-8 text", what);
      return FALSE;
    }

  shown = hangard_xml_describe_for_message (name);
  length = strlen (name);

  if (length > max_length)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Invalid %s name '%s': it is %" G_GSIZE_FORMAT " bytes long, "
                   "at most %" G_GSIZE_FORMAT " are allowed",
                   what, shown, length, max_length);
      return FALSE;
    }

  if (strchr (name, '/') != NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Invalid %s name '%s': it cannot contain '/'", what, shown);
      return FALSE;
    }

  if (has_control_character (name))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Invalid %s name '%s': it cannot contain control "
                   "characters such as newlines or tabs", what, shown);
      return FALSE;
    }

  if (g_str_equal (name, ".") || g_str_equal (name, ".."))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Invalid %s name '%s': '.' and '..' are reserved", what, shown);
      return FALSE;
    }

  /* Names become file names and command-line arguments. */
  if (name[0] == '.' || (refuse_leading_dash && name[0] == '-'))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   "Invalid %s name '%s': it cannot start with %s", what, shown,
                   refuse_leading_dash ? "'.' or '-'" : "'.'");
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

gboolean
hangard_xml_normalize_uuid (const char *text,
                            char        out[37],
                            GError    **error)
{
  g_autofree char *shown = hangard_xml_describe_for_message (text);
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

void
hangard_xml_insert_generated_uuid (xmlNode *root,
                                   char     out[37])
{
  g_autofree char *uuid = g_uuid_string_random ();
  xmlNode *name = hangard_xml_find_child (root, "name");
  xmlNode *node = xmlNewDocRawNode (root->doc, NULL, BAD_CAST "uuid", BAD_CAST uuid);

  g_strlcpy (out, uuid, 37);
  if (name != NULL)
    xmlAddNextSibling (name, node);
  else if (root->children != NULL)
    xmlAddPrevSibling (root->children, node);
  else
    xmlAddChild (root, node);
}

/* ------------------------------------------------------------------------- */
/* MAC addresses                                                             */
/* ------------------------------------------------------------------------- */

/* NULL when `text` is not six colon-separated hex pairs. */
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

char *
hangard_xml_parse_unicast_mac (const char  *text,
                               int          error_code,
                               GError     **error)
{
  g_autofree char *normalized = NULL;
  g_autofree char *shown = NULL;

  g_return_val_if_fail (text != NULL, NULL);

  normalized = normalize_mac (text);
  if (normalized == NULL)
    {
      shown = hangard_xml_describe_for_message (text);
      g_set_error (error, HANGAR_ERROR, error_code,
                   "Invalid MAC address '%s': expected six hexadecimal pairs such "
                   "as 52:54:00:12:34:56", shown);
      return NULL;
    }

  /* The low bit of the first octet marks group addresses. */
  if (g_ascii_xdigit_value (normalized[1]) & 1)
    {
      shown = hangard_xml_describe_for_message (text);
      g_set_error (error, HANGAR_ERROR, error_code,
                   "Invalid MAC address '%s': it is a multicast address; a network "
                   "card needs a unicast one (even first byte)", shown);
      return NULL;
    }

  return g_steal_pointer (&normalized);
}

/* ------------------------------------------------------------------------- */
/* Writing                                                                   */
/* ------------------------------------------------------------------------- */

/* XML 1.0's Char production. */
static gboolean
is_xml_char (gunichar c)
{
  return c == 0x9 || c == 0xA || c == 0xD ||
         (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) ||
         (c >= 0x10000 && c <= 0x10FFFF);
}

char *
hangard_xml_make_valid_text (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  g_autoptr(GString) out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_string_append_unichar (out, is_xml_char (c) ? c : 0xFFFD);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}
