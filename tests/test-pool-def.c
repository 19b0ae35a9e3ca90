/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-pool-def"

#include <string.h>

#include <glib.h>

#include "hangard-error.h"
#include "hangard-pool-def.h"
#include "hangard-xml.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

#define MINIMAL_POOL \
  "<pool type='dir'><name>vmdisk</name><target><path>/data/vmfs</path></target></pool>"

/* What virsh pool-dumpxml shows for a running directory pool. */
#define FULL_POOL \
  "<pool type='dir'>\n" \
  "  <name>vmdisk</name>\n" \
  "  <uuid>3B3C1A4C-8D6F-4D1E-9F9B-2F1F0C7B6A11</uuid>\n" \
  "  <capacity unit='bytes'>105089261568</capacity>\n" \
  "  <allocation unit='bytes'>44224696320</allocation>\n" \
  "  <available unit='bytes'>60864565248</available>\n" \
  "  <source>\n" \
  "  </source>\n" \
  "  <target>\n" \
  "    <path>/data/vmfs</path>\n" \
  "    <permissions>\n" \
  "      <mode>0711</mode>\n" \
  "      <owner>0</owner>\n" \
  "      <group>0</group>\n" \
  "      <label>system_u:object_r:virt_image_t:s0</label>\n" \
  "    </permissions>\n" \
  "  </target>\n" \
  "</pool>\n"

static HangardPoolDef *
parse_ok (const char *xml)
{
  g_autoptr(GError) error = NULL;
  HangardPoolDef *def = hangard_pool_def_parse (xml, -1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (def);
  return def;
}

static char *
pool_with_target_path (const char *path)
{
  return g_strdup_printf ("<pool type='dir'><name>p</name><target><path>%s</path></target></pool>",
                          path);
}

static void
assert_message_contains (const GError *error,
                         const char   *needle)
{
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_test_fail_printf ("Error message \"%s\" does not contain \"%s\"",
                        error->message, needle);
}

static void
assert_rejected (const char *xml,
                 HangarError code,
                 const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardPoolDef) def = hangard_pool_def_parse (xml, -1, &error);

  g_assert_null (def);
  g_assert_error (error, HANGAR_ERROR, (gint) code);
  g_test_message ("Rejected as expected: %s", error->message);
  assert_message_contains (error, needle);
}

static gboolean
uuid_is_canonical_lower_case (const char *uuid)
{
  return g_uuid_string_is_valid (uuid) && strspn (uuid, "0123456789abcdef-") == 36;
}

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_test_fail_printf ("\"%s\" does not contain \"%s\"", haystack, needle);
}

/* Where `needle` starts in `haystack`, failing the test when it is not there. */
static gsize
position_of (const char *haystack,
             const char *needle)
{
  const char *found = strstr (haystack, needle);

  g_assert_nonnull (found);
  return (gsize) (found - haystack);
}

static guint
count_occurrences (const char *haystack,
                   const char *needle)
{
  guint count = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    count++;
  return count;
}

/* ------------------------------------------------------------------------ */
/* Pools                                                                    */
/* ------------------------------------------------------------------------ */

static void
test_parse_minimal (void)
{
  g_autoptr(HangardPoolDef) def = parse_ok (MINIMAL_POOL);
  g_autofree char *xml = hangard_pool_def_to_xml (def);
  g_autofree char *uuid_element = g_strdup_printf ("<uuid>%s</uuid>", def->uuid);

  g_assert_nonnull (def->doc);
  g_assert_cmpstr (def->name, ==, "vmdisk");
  g_assert_cmpstr (def->target_path, ==, "/data/vmfs");
  g_assert_true (uuid_is_canonical_lower_case (def->uuid));

  /* The generated UUID is in the document, right after the name. */
  g_assert_cmpuint (position_of (xml, "<name>vmdisk</name>"), <, position_of (xml, uuid_element));
  g_assert_cmpuint (position_of (xml, uuid_element), <, position_of (xml, "<target>"));
  g_assert_false (g_str_has_prefix (xml, "<?xml"));
}

static void
test_parse_full (void)
{
  g_autoptr(HangardPoolDef) def = parse_ok (FULL_POOL);
  g_autofree char *xml = hangard_pool_def_to_xml (def);

  g_assert_cmpstr (def->name, ==, "vmdisk");
  g_assert_cmpstr (def->uuid, ==, "3b3c1a4c-8d6f-4d1e-9f9b-2f1f0c7b6a11");
  g_assert_cmpstr (def->target_path, ==, "/data/vmfs");

  /* Returned as defined, permissions included. */
  assert_contains (xml, "<mode>0711</mode>");
  assert_contains (xml, "<label>system_u:object_r:virt_image_t:s0</label>");
  assert_contains (xml, "<capacity unit=\"bytes\">105089261568</capacity>");
}

static void
test_parse_uuid_forms (void)
{
  g_autoptr(HangardPoolDef) dashless =
    parse_ok ("<pool type='dir'><name>p</name><uuid>3B3C1A4C8D6F4D1E9F9B2F1F0C7B6A11</uuid>"
              "<target><path>/p</path></target></pool>");

  g_assert_cmpstr (dashless->uuid, ==, "3b3c1a4c-8d6f-4d1e-9f9b-2f1f0c7b6a11");

  assert_rejected ("<pool type='dir'><name>p</name><uuid>not-a-uuid</uuid>"
                   "<target><path>/p</path></target></pool>",
                   HANGAR_ERROR_INVALID_XML, "not-a-uuid");
  assert_rejected ("<pool type='dir'><name>p</name><uuid>00000000-0000-0000-0000-000000000000</uuid>"
                   "<target><path>/p</path></target></pool>",
                   HANGAR_ERROR_INVALID_XML, "UUID");
}

static void
test_generate_uuid (void)
{
  g_autoptr(HangardPoolDef) first = parse_ok (MINIMAL_POOL);
  g_autoptr(HangardPoolDef) second = parse_ok (MINIMAL_POOL);
  g_autofree char *xml = hangard_pool_def_to_xml (first);
  g_autoptr(HangardPoolDef) again = parse_ok (xml);

  g_assert_true (uuid_is_canonical_lower_case (first->uuid));
  g_assert_cmpstr (first->uuid, !=, second->uuid);
  /* Generated once: the document keeps it. */
  g_assert_cmpstr (again->uuid, ==, first->uuid);
}

static void
test_xml_round_trip (void)
{
  static const char *documents[] = { MINIMAL_POOL, FULL_POOL };

  for (gsize i = 0; i < G_N_ELEMENTS (documents); i++)
    {
      g_autoptr(HangardPoolDef) first = parse_ok (documents[i]);
      g_autofree char *first_xml = hangard_pool_def_to_xml (first);
      g_autoptr(HangardPoolDef) second = parse_ok (first_xml);
      g_autofree char *second_xml = hangard_pool_def_to_xml (second);

      g_assert_cmpstr (second_xml, ==, first_xml);
      g_assert_cmpstr (second->uuid, ==, first->uuid);
      g_assert_cmpstr (second->target_path, ==, first->target_path);
    }
}

static void
test_xml_live (void)
{
  g_autoptr(HangardPoolDef) minimal = parse_ok (MINIMAL_POOL);
  g_autoptr(HangardPoolDef) full = parse_ok (FULL_POOL);
  g_autofree char *live = hangard_pool_def_to_live_xml (minimal, 1000, 400, 600);
  g_autofree char *full_live = hangard_pool_def_to_live_xml (full, G_MAXUINT64, 0, 1);
  g_autofree char *stored = hangard_pool_def_to_xml (full);
  g_autoptr(HangardPoolDef) reparsed = NULL;
  gsize uuid_at = position_of (live, "<uuid>");
  gsize capacity_at = position_of (live, "<capacity unit=\"bytes\">1000</capacity>");
  gsize allocation_at = position_of (live, "<allocation unit=\"bytes\">400</allocation>");
  gsize available_at = position_of (live, "<available unit=\"bytes\">600</available>");

  /* libvirt's order: name, uuid, capacity, allocation, available, target. */
  g_assert_cmpuint (uuid_at, <, capacity_at);
  g_assert_cmpuint (capacity_at, <, allocation_at);
  g_assert_cmpuint (allocation_at, <, available_at);
  g_assert_cmpuint (available_at, <, position_of (live, "<target>"));

  /* Values already in the document are replaced, not repeated. */
  assert_contains (full_live, "<capacity unit=\"bytes\">18446744073709551615</capacity>");
  assert_contains (full_live, "<allocation unit=\"bytes\">0</allocation>");
  assert_contains (full_live, "<available unit=\"bytes\">1</available>");
  g_assert_null (strstr (full_live, "105089261568"));
  g_assert_cmpuint (count_occurrences (full_live, "<capacity"), ==, 1);

  /* The stored definition is not touched, and the live one parses. */
  assert_contains (stored, "105089261568");
  reparsed = parse_ok (live);
  g_assert_cmpstr (reparsed->uuid, ==, minimal->uuid);
}

static void
test_new_dir (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardPoolDef) def = hangard_pool_def_new_dir ("vmdisk", "/data//vmfs/", &error);
  g_autoptr(HangardPoolDef) odd = NULL;
  g_autoptr(HangardPoolDef) reparsed = NULL;
  g_autoptr(HangardPoolDef) odd_reparsed = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *odd_xml = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (def);
  g_assert_cmpstr (def->name, ==, "vmdisk");
  g_assert_cmpstr (def->target_path, ==, "/data/vmfs");
  g_assert_true (uuid_is_canonical_lower_case (def->uuid));

  xml = hangard_pool_def_to_xml (def);
  assert_contains (xml, "<pool type=\"dir\">");
  assert_contains (xml, "<path>/data/vmfs</path>");
  reparsed = parse_ok (xml);
  g_assert_cmpstr (reparsed->uuid, ==, def->uuid);

  /* Markup characters are text, not markup. */
  odd = hangard_pool_def_new_dir ("a&b <c> 'd'", "/srv/x&y/<z>", &error);
  g_assert_no_error (error);
  odd_xml = hangard_pool_def_to_xml (odd);
  odd_reparsed = parse_ok (odd_xml);
  g_assert_cmpstr (odd_reparsed->name, ==, "a&b <c> 'd'");
  g_assert_cmpstr (odd_reparsed->target_path, ==, "/srv/x&y/<z>");

  g_assert_null (hangard_pool_def_new_dir ("../x", "/srv/x", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
  assert_message_contains (error, "pool name");
  g_clear_error (&error);

  g_assert_null (hangard_pool_def_new_dir ("x", "srv/x", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_null (hangard_pool_def_new_dir ("x", "/srv/\xff", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_null (hangard_pool_def_new_dir ("x", "/srv/a\nb", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
}

static void
test_path_normalization (void)
{
  static const struct {
    const char *path;
    const char *expected;
  } cases[] = {
    { "/data/vmfs", "/data/vmfs" },
    { "/data//vmfs", "/data/vmfs" },
    { "/data/vmfs/", "/data/vmfs" },
    { "//data///vmfs//", "/data/vmfs" },
    { " /data/vmfs ", "/data/vmfs" },
    { "/", "/" },
    { "///", "/" },
    { "/data/.hidden/..x/x..", "/data/.hidden/..x/x.." },
    { "/srv/镜像", "/srv/镜像" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = pool_with_target_path (cases[i].path);
      g_autoptr(HangardPoolDef) def = parse_ok (xml);
      g_autofree char *stored = hangard_pool_def_to_xml (def);
      g_autofree char *element = g_strdup_printf ("<path>%s</path>", cases[i].expected);

      g_assert_cmpstr (def->target_path, ==, cases[i].expected);
      /* The document says what the pool uses. */
      assert_contains (stored, element);
    }
}

static void
test_reject_relative_path (void)
{
  static const char *paths[] = { "data/vmfs", "", "~/images", "./images" };

  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *xml = pool_with_target_path (paths[i]);

      assert_rejected (xml, HANGAR_ERROR_INVALID_ARGUMENT, "absolute");
    }
}

static void
test_reject_dot_components (void)
{
  static const char *paths[] = {
    "/data/../etc", "/..", "/data/..", "/./data", "/data/.", "/data/./vmfs",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *xml = pool_with_target_path (paths[i]);

      assert_rejected (xml, HANGAR_ERROR_INVALID_ARGUMENT, "'..'");
    }
}

static void
test_reject_type (void)
{
  static const char *types[] = { "logical", "netfs", "fs", "iscsi", "rbd", "zfs", "made-up" };

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autofree char *xml =
        g_strdup_printf ("<pool type='%s'><name>p</name><target><path>/p</path></target></pool>",
                         types[i]);
      g_autofree char *needle = g_strdup_printf ("type='%s'", types[i]);

      assert_rejected (xml, HANGAR_ERROR_UNSUPPORTED, needle);
    }

  assert_rejected ("<pool><name>p</name><target><path>/p</path></target></pool>",
                   HANGAR_ERROR_INVALID_XML, "type");
}

static void
test_reject_unknown_element (void)
{
  static const struct {
    const char *xml;
    const char *needle;
  } cases[] = {
    { "<pool type='dir'><name>p</name><colour>red</colour><target><path>/p</path></target></pool>",
      "<colour>" },
    { "<pool type='dir'><name>p</name><source><device path='/dev/sdb'/></source>"
      "<target><path>/p</path></target></pool>", "<device>" },
    { "<pool type='dir'><name>p</name><target><path>/p</path><encryption/></target></pool>",
      "<encryption>" },
    { "<pool type='dir'><name>p</name><target><path>/p</path>"
      "<permissions><mode>0700</mode><acl/></permissions></target></pool>", "<acl>" },
    { "<pool type='dir'><name>p</name><features><cow state='no'/></features>"
      "<target><path>/p</path></target></pool>", "<features>" },
    { "<pool type='dir' xmlns:fs='http://libvirt.org/schemas/storagepool/fs/1.0'>"
      "<name>p</name><target><path>/p</path></target>"
      "<fs:mount_opts><fs:option name='sync'/></fs:mount_opts></pool>", "fs:mount_opts" },
    { "<pool type='dir'><name>p<b/></name><target><path>/p</path></target></pool>", "<b>" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_rejected (cases[i].xml, HANGAR_ERROR_UNSUPPORTED, cases[i].needle);
}

static void
test_reject_missing_or_repeated (void)
{
  assert_rejected ("<pool type='dir'><target><path>/p</path></target></pool>",
                   HANGAR_ERROR_INVALID_XML, "<name>");
  assert_rejected ("<pool type='dir'><name>p</name></pool>",
                   HANGAR_ERROR_INVALID_XML, "<target>");
  assert_rejected ("<pool type='dir'><name>p</name><target/></pool>",
                   HANGAR_ERROR_INVALID_XML, "<path>");
  assert_rejected ("<pool type='dir'><name>p</name><name>q</name>"
                   "<target><path>/p</path></target></pool>",
                   HANGAR_ERROR_INVALID_XML, "more than once");
  assert_rejected ("<domain type='kvm'><name>p</name></domain>",
                   HANGAR_ERROR_INVALID_XML, "<pool>");
  assert_rejected ("<pool type='dir'><name>p</name>", HANGAR_ERROR_INVALID_XML, "line 1");
  assert_rejected ("", HANGAR_ERROR_INVALID_XML, "empty");
}

static void
test_reject_bad_name (void)
{
  static const char *names[] = { "", "a/b", ".hidden", "-option", "..", "tab\there" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *xml =
        g_strdup_printf ("<pool type='dir'><name>%s</name><target><path>/p</path></target></pool>",
                         names[i]);

      assert_rejected (xml, HANGAR_ERROR_INVALID_ARGUMENT, "pool name");
    }
}

static void
test_reject_xxe (void)
{
  assert_rejected ("<?xml version=\"1.0\"?>\n"
                   "<!DOCTYPE pool [\n"
                   "  <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n"
                   "]>\n"
                   "<pool type='dir'><name>p</name><target><path>/&xxe;</path></target></pool>\n",
                   HANGAR_ERROR_INVALID_XML, "DOCTYPE");
  assert_rejected ("<!DOCTYPE pool SYSTEM \"http://example.org/evil.dtd\">\n"
                   "<pool type='dir'><name>p</name><target><path>/p</path></target></pool>\n",
                   HANGAR_ERROR_INVALID_XML, "DOCTYPE");
  assert_rejected ("<pool type='dir'><name>&foo;</name><target><path>/p</path></target></pool>",
                   HANGAR_ERROR_INVALID_XML, "foo");
}

static void
test_reject_billion_laughs (void)
{
  g_autoptr(GString) xml = g_string_new ("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
                                         "  <!ENTITY lol0 \"lol\">\n");
  gint64 start;
  gint64 elapsed;

  for (int i = 1; i <= 12; i++)
    {
      g_string_append_printf (xml, "  <!ENTITY lol%d \"", i);
      for (int j = 0; j < 10; j++)
        g_string_append_printf (xml, "&lol%d;", i - 1);
      g_string_append (xml, "\">\n");
    }
  g_string_append (xml, "]>\n<pool type='dir'><name>&lol12;</name>"
                        "<target><path>/p</path></target></pool>\n");

  start = g_get_monotonic_time ();
  assert_rejected (xml->str, HANGAR_ERROR_INVALID_XML, "DOCTYPE");
  elapsed = g_get_monotonic_time () - start;

  g_assert_cmpint (elapsed, <, G_USEC_PER_SEC);
}

static void
test_reject_doctype (void)
{
  assert_rejected ("<!DOCTYPE pool>\n"
                   "<pool type='dir'><name>p</name><target><path>/p</path></target></pool>\n",
                   HANGAR_ERROR_INVALID_XML, "DOCTYPE");
}

static void
test_reject_too_large (void)
{
  const char *head = "<pool type='dir'><name>p</name><target><path>/p</path></target>";
  const char *tail = "</pool>";
  const gsize size = HANGARD_POOL_MAX_XML_SIZE + 1;
  g_autofree char *xml = g_malloc (size + 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardPoolDef) def = NULL;
  g_autoptr(HangardPoolDef) at_limit = NULL;

  /* Padding in a comment keeps the document valid at any size. */
  memset (xml, ' ', size);
  memcpy (xml, head, strlen (head));
  memcpy (xml + strlen (head), "<!--", 4);
  memcpy (xml + size - strlen (tail) - 3, "-->", 3);
  memcpy (xml + size - strlen (tail), tail, strlen (tail));
  xml[size] = '\0';

  def = hangard_pool_def_parse (xml, -1, &error);
  g_assert_null (def);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
  assert_message_contains (error, "65537");
  g_clear_error (&error);

  /* One byte less is at the limit, and fine. */
  memmove (xml + size - strlen (tail) - 4, xml + size - strlen (tail) - 3, strlen (tail) + 4);
  g_assert_cmpuint (strlen (xml), ==, HANGARD_POOL_MAX_XML_SIZE);
  at_limit = hangard_pool_def_parse (xml, -1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (at_limit);
}

static void
test_copy (void)
{
  g_autoptr(HangardPoolDef) def = parse_ok (FULL_POOL);
  g_autoptr(HangardPoolDef) copy = hangard_pool_def_copy (def);
  g_autofree char *xml = hangard_pool_def_to_xml (def);
  g_autofree char *copy_xml = NULL;

  g_assert_true (copy->doc != def->doc);
  g_assert_true (copy->name != def->name);
  g_assert_cmpstr (copy->name, ==, def->name);
  g_assert_cmpstr (copy->uuid, ==, def->uuid);
  g_assert_cmpstr (copy->target_path, ==, def->target_path);

  g_clear_pointer (&def, hangard_pool_def_free);
  copy_xml = hangard_pool_def_to_xml (copy);
  g_assert_cmpstr (copy_xml, ==, xml);
}

/* ------------------------------------------------------------------------ */
/* Volumes                                                                  */
/* ------------------------------------------------------------------------ */

static void
test_volume_name_valid (void)
{
  g_autofree char *longest = g_strnfill (255, 'a');
  const char *names[] = {
    "disk.qcow2", "my disk, 1.img", "镜像.iso", "-starts-with-dash.img", "a..b", longest,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (hangard_volume_name_is_valid (names[i], &error));
      g_assert_no_error (error);
    }
}

static void
test_volume_name_invalid (void)
{
  g_autofree char *too_long = g_strnfill (256, 'a');
  const char *names[] = {
    "", ".", "..", ".hidden", "a/b", "/abs", "x\n", "tab\t.img", "\xff.img", too_long,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (hangard_volume_name_is_valid (names[i], &error));
      g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
      g_test_message ("Rejected as expected: %s", error->message);
      assert_message_contains (error, "volume name");
    }

  g_assert_false (hangard_volume_name_is_valid (NULL, NULL));
}

/* The text of `root`'s descendant at `names` (a NULL-terminated path). */
static char *
text_at (xmlNode    *root,
         const char *first,
         ...)
{
  xmlNode *node = root;
  va_list args;

  va_start (args, first);
  for (const char *name = first; name != NULL; name = va_arg (args, const char *))
    {
      node = hangard_xml_find_child (node, name);
      g_assert_nonnull (node);
    }
  va_end (args);
  return hangard_xml_get_text (node);
}

static xmlDoc *
parse_volume_xml (const char *xml)
{
  g_autoptr(GError) error = NULL;
  xmlDoc *doc = hangard_xml_parse_safely (xml, -1, 1024 * 1024, "volume", &error);

  g_assert_no_error (error);
  return doc;
}

static void
test_volume_xml (void)
{
  g_autofree char *xml = hangard_volume_to_xml ("disk.qcow2", "/data/vmfs/disk.qcow2", "qcow2",
                                                21474836480, 196768, NULL, NULL);
  g_autoptr(xmlDoc) doc = parse_volume_xml (xml);
  xmlNode *root = xmlDocGetRootElement (doc);
  g_autofree char *type = hangard_xml_get_attribute (root, "type");
  g_autofree char *name = text_at (root, "name", NULL);
  g_autofree char *key = text_at (root, "key", NULL);
  g_autofree char *capacity = text_at (root, "capacity", NULL);
  g_autofree char *allocation = text_at (root, "allocation", NULL);
  g_autofree char *path = text_at (root, "target", "path", NULL);
  g_autofree char *format = NULL;

  g_assert_cmpstr (type, ==, "file");
  g_assert_cmpstr (name, ==, "disk.qcow2");
  g_assert_cmpstr (key, ==, "/data/vmfs/disk.qcow2");
  g_assert_cmpstr (capacity, ==, "21474836480");
  g_assert_cmpstr (allocation, ==, "196768");
  g_assert_cmpstr (path, ==, "/data/vmfs/disk.qcow2");
  format = hangard_xml_get_attribute (hangard_xml_find_child (hangard_xml_find_child (root, "target"),
                                                              "format"), "type");
  g_assert_cmpstr (format, ==, "qcow2");
  assert_contains (xml, "<capacity unit=\"bytes\">21474836480</capacity>");
  g_assert_null (hangard_xml_find_child (root, "backingStore"));
  g_assert_false (g_str_has_prefix (xml, "<?xml"));
}

static void
test_volume_xml_escapes (void)
{
  const char *name = "a&b <c> \"d\" 'e'.img";
  g_autofree char *path = g_strdup_printf ("/srv/x&y/%s", name);
  g_autofree char *xml = hangard_volume_to_xml (name, path, "raw&<'\"", 1, 1,
                                                "/srv/base]]>\x01\xff.qcow2", "qcow2");
  g_autoptr(xmlDoc) doc = parse_volume_xml (xml);
  xmlNode *root = xmlDocGetRootElement (doc);
  g_autofree char *parsed_name = text_at (root, "name", NULL);
  g_autofree char *parsed_path = text_at (root, "target", "path", NULL);
  g_autofree char *backing = text_at (root, "backingStore", "path", NULL);
  g_autofree char *format = hangard_xml_get_attribute (
    hangard_xml_find_child (hangard_xml_find_child (root, "target"), "format"), "type");

  g_assert_cmpstr (parsed_name, ==, name);
  g_assert_cmpstr (parsed_path, ==, path);
  g_assert_cmpstr (format, ==, "raw&<'\"");
  /* What XML cannot carry is replaced, and the document still parses. */
  g_assert_cmpstr (backing, ==, "/srv/base]]>\xef\xbf\xbd\xef\xbf\xbd.qcow2");
}

static void
test_volume_xml_backing_store (void)
{
  g_autofree char *xml = hangard_volume_to_xml ("linked.qcow2", "/data/vmfs/linked.qcow2",
                                                "qcow2", 1073741824, 200704,
                                                "/data/vmfs/base.qcow2", "qcow2");
  g_autofree char *iso = hangard_volume_to_xml ("debian.iso", "/data/vmfs/debian.iso", "iso",
                                                658505728, 658505728,
                                                "/data/vmfs/unknown", NULL);
  g_autoptr(xmlDoc) doc = parse_volume_xml (xml);
  g_autoptr(xmlDoc) iso_doc = parse_volume_xml (iso);
  xmlNode *root = xmlDocGetRootElement (doc);
  xmlNode *backing = hangard_xml_find_child (root, "backingStore");
  g_autofree char *backing_path = text_at (root, "backingStore", "path", NULL);
  g_autofree char *backing_format = NULL;
  xmlNode *iso_backing = hangard_xml_find_child (xmlDocGetRootElement (iso_doc), "backingStore");

  g_assert_nonnull (backing);
  g_assert_cmpstr (backing_path, ==, "/data/vmfs/base.qcow2");
  backing_format = hangard_xml_get_attribute (hangard_xml_find_child (backing, "format"), "type");
  g_assert_cmpstr (backing_format, ==, "qcow2");
  /* After the target, as libvirt writes it. */
  g_assert_cmpuint (position_of (xml, "<target>"), <, position_of (xml, "<backingStore>"));

  /* A backing file of unknown format: the path alone. */
  g_assert_nonnull (iso_backing);
  g_assert_null (hangard_xml_find_child (iso_backing, "format"));
  assert_contains (iso, "<format type=\"iso\"/>");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pool-def/parse/minimal", test_parse_minimal);
  g_test_add_func ("/pool-def/parse/full", test_parse_full);
  g_test_add_func ("/pool-def/parse/uuid-forms", test_parse_uuid_forms);
  g_test_add_func ("/pool-def/generate/uuid", test_generate_uuid);
  g_test_add_func ("/pool-def/xml/round-trip", test_xml_round_trip);
  g_test_add_func ("/pool-def/xml/live", test_xml_live);
  g_test_add_func ("/pool-def/new-dir", test_new_dir);
  g_test_add_func ("/pool-def/path/normalization", test_path_normalization);
  g_test_add_func ("/pool-def/reject/relative-path", test_reject_relative_path);
  g_test_add_func ("/pool-def/reject/dot-components", test_reject_dot_components);
  g_test_add_func ("/pool-def/reject/type", test_reject_type);
  g_test_add_func ("/pool-def/reject/unknown-element", test_reject_unknown_element);
  g_test_add_func ("/pool-def/reject/missing-or-repeated", test_reject_missing_or_repeated);
  g_test_add_func ("/pool-def/reject/bad-name", test_reject_bad_name);
  g_test_add_func ("/pool-def/reject/xxe", test_reject_xxe);
  g_test_add_func ("/pool-def/reject/billion-laughs", test_reject_billion_laughs);
  g_test_add_func ("/pool-def/reject/doctype", test_reject_doctype);
  g_test_add_func ("/pool-def/reject/too-large", test_reject_too_large);
  g_test_add_func ("/pool-def/copy", test_copy);
  g_test_add_func ("/pool-def/volume-name/valid", test_volume_name_valid);
  g_test_add_func ("/pool-def/volume-name/invalid", test_volume_name_invalid);
  g_test_add_func ("/pool-def/volume-xml/basic", test_volume_xml);
  g_test_add_func ("/pool-def/volume-xml/escapes", test_volume_xml_escapes);
  g_test_add_func ("/pool-def/volume-xml/backing-store", test_volume_xml_backing_store);

  return g_test_run ();
}
