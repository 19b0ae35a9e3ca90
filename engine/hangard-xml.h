/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

/* What the engine's libvirt documents (domains, storage pools) share:
 * reading untrusted XML safely, walking and checking elements with errors
 * that name them, and writing documents back. Internal to hangard. */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)

/* libxml2 wants initializing once per process before it parses. */
void      hangard_xml_ensure_initialized    (void);

/* Parses `xml` (`length` bytes, or up to its NUL when negative) with no
 * network, no DTD, no entities, libxml2's depth limits, and nothing printed
 * on stderr. Whitespace between elements is dropped so the result formats
 * with indentation. Errors: HANGAR_ERROR_INVALID_ARGUMENT (more than
 * `max_size` bytes), HANGAR_ERROR_INVALID_XML (empty, malformed, a DTD or
 * entity, or a root element other than `root_name`). */
xmlDoc   *hangard_xml_parse_safely          (const char  *xml,
                                             gssize       length,
                                             gsize        max_size,
                                             const char  *root_name,
                                             GError     **error);

/* The document, indented, UTF-8, no XML declaration. */
char     *hangard_xml_to_string             (xmlDoc      *doc);

/* --- Reading elements ----------------------------------------------------- */

/* User-supplied text for an error message: control characters escaped,
 * at most 80 characters. */
char     *hangard_xml_describe_for_message  (const char  *text);

/* Elements in no namespace only: <qemu:name> is not <name>. */
gboolean  hangard_xml_is_element_named      (xmlNode     *node,
                                             const char  *name);
/* `node` or the first element after it; NULL when there is none. */
xmlNode  *hangard_xml_first_element         (xmlNode     *node);
xmlNode  *hangard_xml_find_child            (xmlNode     *parent,
                                             const char  *name);
/* "disk", "qemu:commandline", or "disk xmlns='...'" for a default namespace. */
char     *hangard_xml_element_label         (xmlNode     *node);

#define HANGARD_XML_FOR_EACH_CHILD_ELEMENT(child, parent) \
  for (xmlNode *child = hangard_xml_first_element ((parent)->children); \
       child != NULL; \
       child = hangard_xml_first_element (child->next))

/* NULL when absent. */
char     *hangard_xml_get_attribute         (xmlNode     *node,
                                             const char  *name);
/* The text content; "" when there is none. */
char     *hangard_xml_get_text              (xmlNode     *node);
char     *hangard_xml_get_stripped_text     (xmlNode     *node);
/* Replaces the content of `node` with `text`, taken literally ('&' is an
 * ampersand, not the start of an entity reference). */
void      hangard_xml_set_text              (xmlNode     *node,
                                             const char  *text);

/* --- Which child elements an element may have ----------------------------- */

typedef enum {
  HANGARD_XML_CHILD_KIND_ONCE,         /* understood or tolerated; at most one */
  HANGARD_XML_CHILD_KIND_MANY,         /* understood or tolerated; repeatable */
  HANGARD_XML_CHILD_KIND_UNSUPPORTED,  /* valid libvirt XML that Hangar does not run */
} HangardXmlChildKind;

typedef struct {
  const char          *name;
  HangardXmlChildKind  kind;
  const char          *reason;  /* UNSUPPORTED: why, in the user's words */
} HangardXmlChildRule;

#define HANGARD_XML_CHILD_ONCE(name) { name, HANGARD_XML_CHILD_KIND_ONCE, NULL }
#define HANGARD_XML_CHILD_MANY(name) { name, HANGARD_XML_CHILD_KIND_MANY, NULL }
#define HANGARD_XML_CHILD_UNSUPPORTED(name, reason) \
  { name, HANGARD_XML_CHILD_KIND_UNSUPPORTED, reason }
#define HANGARD_XML_CHILD_RULES_END { NULL, HANGARD_XML_CHILD_KIND_ONCE, NULL }

/* At most this many rules in one table. */
#define HANGARD_XML_MAX_CHILD_RULES 64

/* For elements that hold text only. */
extern const HangardXmlChildRule hangard_xml_no_children[];

/* Refuses any child element of `parent` that `rules` does not allow (and
 * namespaced ones), so nothing in a definition is dropped without the user
 * knowing. Errors: HANGAR_ERROR_UNSUPPORTED naming the element,
 * HANGAR_ERROR_INVALID_XML for a repeated CHILD_ONCE element. */
gboolean  hangard_xml_check_children        (xmlNode                   *parent,
                                             const HangardXmlChildRule *rules,
                                             GError                   **error);

/* --- Enumerated attribute values ------------------------------------------ */

#define HANGARD_XML_ENUM_UNSUPPORTED   (-1) /* a value libvirt knows and Hangar does not run */
#define HANGARD_XML_ATTRIBUTE_REQUIRED (-2) /* as `absent_value`: the attribute must be there */
#define HANGARD_XML_ATTRIBUTE_ABSENT   (-3) /* as `absent_value`: tells "absent" from defaults */

typedef struct {
  const char *name;
  int         value;
} HangardXmlEnumValue;

#define HANGARD_XML_ENUM_VALUES_END { NULL, 0 }

typedef enum {
  HANGARD_XML_UNKNOWN_IS_INVALID,      /* libvirt itself refuses other values */
  HANGARD_XML_UNKNOWN_IS_UNSUPPORTED,  /* libvirt passes other values on (e.g. NIC models) */
} HangardXmlUnknownValuePolicy;

/* FALSE when `value` is not in `values` and `policy` makes that invalid;
 * else `*out` is its value (HANGARD_XML_ENUM_UNSUPPORTED for an unknown one). */
gboolean  hangard_xml_lookup_enum_value     (const HangardXmlEnumValue     *values,
                                             const char                    *value,
                                             HangardXmlUnknownValuePolicy   policy,
                                             int                           *out);

/* Reads attribute `attribute` of `node` as one of `values`. When it is
 * absent, `*out` is `absent_value`, unless that is ATTRIBUTE_REQUIRED.
 * Errors: HANGAR_ERROR_INVALID_XML (missing or unknown value),
 * HANGAR_ERROR_UNSUPPORTED with `unsupported_reason` (required when any
 * value can be unsupported). */
gboolean  hangard_xml_parse_enum_attribute  (xmlNode                       *node,
                                             const char                    *attribute,
                                             const HangardXmlEnumValue     *values,
                                             HangardXmlUnknownValuePolicy   policy,
                                             int                            absent_value,
                                             const char                    *unsupported_reason,
                                             int                           *out,
                                             GError                       **error);

/* --- Names and UUIDs ------------------------------------------------------ */

/* Names that become file names and command-line arguments: 1..`max_length`
 * bytes of UTF-8, no '/', no control characters, not "." or "..", no
 * leading '.' (nor '-' when `refuse_leading_dash`). `what` is "machine",
 * "pool"...: messages say "Invalid pool name '...'".
 * Error: HANGAR_ERROR_INVALID_ARGUMENT. */
gboolean  hangard_xml_check_name            (const char  *name,
                                             const char  *what,
                                             gsize        max_length,
                                             gboolean     refuse_leading_dash,
                                             GError     **error);

/* Accepts 8-4-4-4-12 or 32 hex digits, as libvirt does, and writes the
 * lower-case dashed form into `out`. Error: HANGAR_ERROR_INVALID_XML. */
gboolean  hangard_xml_normalize_uuid        (const char  *text,
                                             char         out[37],
                                             GError     **error);

/* Writes a random <uuid> right after <name> in `root` (at the start when
 * there is no <name>) and copies it into `out`. */
void      hangard_xml_insert_generated_uuid (xmlNode     *root,
                                             char         out[37]);

/* --- MAC addresses ------------------------------------------------------- */

/* A network card's MAC address as libvirt writes it, six colon-separated
 * hexadecimal pairs, in lower case: "52:54:00:AB:cd:ef" → "52:54:00:ab:cd:ef".
 * Group (multicast, broadcast) addresses are refused: a card with one would
 * not receive its own traffic. Error: HANGAR_ERROR `error_code` (the domain
 * parser says HANGAR_ERROR_INVALID_XML, the network one
 * HANGAR_ERROR_INVALID_ARGUMENT), the message naming the address. */
char     *hangard_xml_parse_unicast_mac     (const char  *text,
                                             int          error_code,
                                             GError     **error);

/* --- Writing -------------------------------------------------------------- */

/* `text` as XML 1.0 can carry it: invalid UTF-8 and characters XML cannot
 * hold (most control characters) become U+FFFD. For text that comes from
 * files rather than parsed documents (e.g. an image's backing path). */
char     *hangard_xml_make_valid_text       (const char  *text);

G_END_DECLS
