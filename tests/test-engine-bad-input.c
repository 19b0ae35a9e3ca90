/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-engine-bad-input"

/* Bad input against the real engine: every call gets a named D-Bus error
 * with a useful message, the engine stays up, nothing on disk changes and
 * no QEMU is left behind. */

#include <glib/gstdio.h>

#include "hangar-test-env.h"
#include "hangard-error.h"

typedef struct {
  HangarTestEnv *env;
  char          *snapshot;  /* the engine's definitions, before the bad input */
} Fixture;

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

/* Every file under the config dir with its contents: "nothing on disk
 * changes" is checked against this. */
static void
collect_tree (const char *path,
              GString    *out)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *child = g_build_filename (path, g_ptr_array_index (names, i), NULL);
      g_autofree char *contents = NULL;

      g_string_append_printf (out, "%s\n", child);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        collect_tree (child, out);
      else if (g_file_get_contents (child, &contents, NULL, NULL))
        g_string_append (out, contents);
    }
}

static char *
snapshot_definitions (HangarTestEnv *env)
{
  g_autofree char *config = g_build_filename (env->root, "config", NULL);
  GString *out = g_string_new (NULL);

  collect_tree (config, out);
  return g_string_free (out, FALSE);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *xml = hangar_test_guest_xml ("existing", NULL);
  g_autoptr(HangarMachine) machine = NULL;

  fixture->env = hangar_test_env_new (FALSE);
  machine = hangar_test_env_define (fixture->env, xml);
  fixture->snapshot = snapshot_definitions (fixture->env);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *after = snapshot_definitions (fixture->env);
  g_autoptr(GArray) qemus = hangar_test_env_qemu_pids (fixture->env);

  /* The engine survived, kept its definitions and left no QEMU. */
  g_assert_true (hangar_test_env_engine_alive (fixture->env));
  g_assert_cmpstr (fixture->snapshot, ==, after);
  g_assert_cmpuint (qemus->len, ==, 0);

  hangar_test_env_free (fixture->env);
  g_free (fixture->snapshot);
}

static void
assert_define_fails (Fixture    *fixture,
                     const char *xml,
                     int         code,
                     const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  hangar_manager_call_define_machine_sync (fixture->env->manager, xml, &path, NULL, &error);
  hangar_assert_engine_error (error, code, needle);
  g_assert_null (path);
}

static char *
domain_with_name (const char *name)
{
  g_autofree char *escaped = g_markup_escape_text (name, -1);

  return g_strdup_printf ("<domain type='kvm'><name>%s</name><memory unit='MiB'>64</memory>"
                          "<vcpu>1</vcpu><os><type>hvm</type></os></domain>", escaped);
}

static void
test_malformed (Fixture *fixture, gconstpointer data)
{
  assert_define_fails (fixture, "<domain type='kvm'><name>x</name>", HANGAR_ERROR_INVALID_XML, NULL);
  assert_define_fails (fixture, "", HANGAR_ERROR_INVALID_XML, NULL);
  assert_define_fails (fixture, "not xml at all", HANGAR_ERROR_INVALID_XML, NULL);
  assert_define_fails (fixture, "<network><name>x</name></network>", HANGAR_ERROR_INVALID_XML, "domain");
}

static void
test_xxe (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  const char *xml =
    "<?xml version='1.0'?>\n"
    "<!DOCTYPE domain [ <!ENTITY xxe SYSTEM 'file:///etc/passwd'> ]>\n"
    "<domain type='kvm'><name>&xxe;</name><memory>65536</memory><vcpu>1</vcpu>"
    "<os><type>hvm</type></os></domain>";

  hangar_manager_call_define_machine_sync (fixture->env->manager, xml, &path, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_XML, NULL);
  g_assert_null (strstr (error->message, "root:"));
}

static void
test_billion_laughs (Fixture *fixture, gconstpointer data)
{
  GString *xml = g_string_new ("<?xml version='1.0'?>\n<!DOCTYPE lolz [\n <!ENTITY lol0 'lol'>\n");
  gint64 start = g_get_monotonic_time ();

  for (int i = 1; i < 10; i++)
    g_string_append_printf (xml, " <!ENTITY lol%d '&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;'>\n",
                            i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
  g_string_append (xml, "]>\n<domain type='kvm'><name>&lol9;</name><memory>65536</memory><vcpu>1</vcpu>"
                        "<os><type>hvm</type></os></domain>");

  assert_define_fails (fixture, xml->str, HANGAR_ERROR_INVALID_XML, NULL);
  /* Refused, not expanded: a billion "lol"s would take far longer. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
  g_string_free (xml, TRUE);
}

static void
test_huge_document (Fixture *fixture, gconstpointer data)
{
  GString *xml = g_string_new ("<domain type='kvm'><name>huge</name><description>");
  g_autofree char *filler = g_strnfill (10 * 1024 * 1024, 'x');

  g_string_append (xml, filler);
  g_string_append (xml, "</description><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>");
  assert_define_fails (fixture, xml->str, HANGAR_ERROR_INVALID_ARGUMENT, NULL);
  g_string_free (xml, TRUE);
}

static void
test_bad_names (Fixture *fixture, gconstpointer data)
{
  const char *bad[] = { "a/b", "line\nbreak", "tab\there", ".hidden", "..", "-option", "" ,
                        "a-name-that-is-far-too-long-for-hangar-to-accept-as-a-machine-name-x" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *xml = domain_with_name (bad[i]);
      g_autoptr(GError) error = NULL;
      g_autofree char *path = NULL;

      hangar_manager_call_define_machine_sync (fixture->env->manager, xml, &path, NULL, &error);
      g_assert_nonnull (error);
      g_dbus_error_strip_remote_error (error);
      g_assert_true (g_error_matches (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT) ||
                     g_error_matches (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML));
    }
}

static void
test_memory_limits (Fixture *fixture, gconstpointer data)
{
  const char *memories[] = {
    "<memory unit='KiB'>0</memory>",
    "<memory unit='b'>9223372036854775808</memory>",        /* 2^63 bytes */
    "<memory unit='KiB'>9223372036854775807</memory>",
    "<memory unit='KiB'>99999999999999999999999</memory>",
    "<memory unit='parsecs'>1</memory>",
    "<memory>-5</memory>",
  };

  for (guint i = 0; i < G_N_ELEMENTS (memories); i++)
    {
      g_autofree char *xml = g_strdup_printf ("<domain type='kvm'><name>mem</name>%s<vcpu>1</vcpu>"
                                              "<os><type>hvm</type></os></domain>", memories[i]);
      assert_define_fails (fixture, xml, HANGAR_ERROR_INVALID_XML, NULL);
    }
}

static void
test_duplicates (Fixture *fixture, gconstpointer data)
{
  g_autoptr(HangarMachine) existing = hangar_test_env_lookup (fixture->env, "existing");
  g_autofree char *same_name = domain_with_name ("existing");
  g_autofree char *same_uuid = g_strdup_printf ("<domain type='kvm'><name>other</name><uuid>%s</uuid>"
                                                "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
                                                "<os><type>hvm</type></os></domain>",
                                                hangar_machine_get_uuid (existing));

  assert_define_fails (fixture, same_name, HANGAR_ERROR_ALREADY_EXISTS, "existing");
  assert_define_fails (fixture, same_uuid, HANGAR_ERROR_ALREADY_EXISTS, hangar_machine_get_uuid (existing));
}

static void
test_unsupported_element (Fixture *fixture, gconstpointer data)
{
  const char *xml = "<domain type='kvm'><name>hostdev</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
                    "<os><type>hvm</type></os><devices><hostdev mode='subsystem' type='pci'/></devices></domain>";

  assert_define_fails (fixture, xml, HANGAR_ERROR_UNSUPPORTED, "hostdev");
}

static void
test_wrong_state_and_lookup (Fixture *fixture, gconstpointer data)
{
  g_autoptr(HangarMachine) machine = hangar_test_env_lookup (fixture->env, "existing");
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *xml = NULL;

  hangar_machine_call_pause_sync (machine, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "not running");
  g_clear_error (&error);
  hangar_machine_call_reboot_sync (machine, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "not running");
  g_clear_error (&error);
  hangar_machine_call_reset_sync (machine, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "not running");
  g_clear_error (&error);

  hangar_manager_call_lookup_machine_sync (fixture->env->manager, "", &path, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_ARGUMENT, NULL);
  g_clear_error (&error);
  hangar_manager_call_lookup_machine_sync (fixture->env->manager, "nope", &path, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_NOT_FOUND, "nope");
  g_clear_error (&error);

  /* Options nobody knows are refused, not ignored. */
  hangar_machine_call_get_xml_sync (machine, g_variant_new_parsed ("{'frobnicate': <true>}"), &xml, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_ARGUMENT, "frobnicate");
  g_clear_error (&error);
  hangar_machine_call_undefine_sync (machine, g_variant_new_parsed ("{'remove-all-storage': <true>}"), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_ARGUMENT, "remove-all-storage");
  g_clear_error (&error);

  /* UpdateXml cannot change the UUID, and a bad edit keeps the old one. */
  hangar_machine_call_update_xml_sync (machine, "<domain type='kvm'><name>existing</name>"
                                       "<uuid>00000000-0000-0000-0000-000000000001</uuid>"
                                       "<memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>",
                                       NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_ARGUMENT, "UUID");
  g_clear_error (&error);
  hangar_machine_call_update_xml_sync (machine, "<domain", NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_XML, NULL);
}

/* A machine whose QEMU refuses to start: the caller gets QEMU's own words,
 * the machine stays shut off, no QEMU is left. */
static void
test_start_failure (Fixture *fixture, gconstpointer data)
{
  g_autofree char *missing = g_build_filename (fixture->env->tmpdir, "no such, disk.qcow2", NULL);
  g_autofree char *xml = g_strdup_printf ("<domain type='kvm'><name>broken</name><memory unit='MiB'>64</memory>"
                                          "<vcpu>1</vcpu><os><type>hvm</type></os><devices>"
                                          "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                                          "<source file='%s'/><target dev='vda' bus='virtio'/></disk>"
                                          "</devices></domain>", missing);
  g_autoptr(HangarMachine) machine = hangar_test_env_define (fixture->env, xml);
  g_autoptr(GError) error = NULL;

  g_free (fixture->snapshot);
  fixture->snapshot = snapshot_definitions (fixture->env);

  hangar_machine_call_start_sync (machine, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_QEMU, "no such, disk.qcow2");
  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", 30));
  g_assert_cmpuint (hangar_machine_get_pid (machine), ==, 0);
}

/* Names with quotes, commas and spaces, and paths with commas, are fine:
 * the machine runs (QEMU's option escaping works). */
static void
test_awkward_names_run (Fixture *fixture, gconstpointer data)
{
  g_autofree char *xml = hangar_test_guest_xml ("it's \"quoted\", with commas,, 名字", NULL);
  g_autoptr(HangarMachine) machine = hangar_test_env_define (fixture->env, xml);
  g_autoptr(GError) error = NULL;

  g_free (fixture->snapshot);
  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_console (machine, "HANGAR-GUEST-BOOTED", 90));

  /* Running machines cannot be undefined. */
  hangar_machine_call_undefine_sync (machine, g_variant_new ("a{sv}", NULL), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "running");
  g_clear_error (&error);

  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", 30));
  fixture->snapshot = snapshot_definitions (fixture->env);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/engine/bad-input/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("malformed", test_malformed);
  ADD ("xxe", test_xxe);
  ADD ("billion-laughs", test_billion_laughs);
  ADD ("huge-document", test_huge_document);
  ADD ("names", test_bad_names);
  ADD ("memory-limits", test_memory_limits);
  ADD ("duplicates", test_duplicates);
  ADD ("unsupported-element", test_unsupported_element);
  ADD ("wrong-state-and-lookup", test_wrong_state_and_lookup);
  ADD ("start-failure", test_start_failure);
  ADD ("awkward-names-run", test_awkward_names_run);
#undef ADD

  return g_test_run ();
}
