/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-save-clone"

/* Save/restore, managed save and clone against the real engine, the real
 * QEMU (TCG) and the busybox test guest: a guest's heartbeat counter on its
 * serial console keeps counting across a save and restore; a clone has a
 * new UUID and MAC, boots, and leaves its source untouched; bad input gets
 * named errors and loses nothing. Also the save file format on its own. */

#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hangar-test-env.h"
#include "hangard-error.h"
#include "hangard-qemu-argv.h"
#include "hangard-save.h"

#define BOOT_TIMEOUT_S 120
#define STATE_TIMEOUT_S 90
#define JOB_TIMEOUT_S 180
#define BOOT_MARKER "HANGAR-GUEST-BOOTED"
#define ALIVE_PREFIX "HANGAR-GUEST-ALIVE "
#define MIB (G_GUINT64_CONSTANT (1024) * 1024)

static GVariant *
no_options (void)
{
  return g_variant_new ("a{sv}", NULL);
}

/* ---- Helpers -------------------------------------------------------------- */

/* The heartbeat numbers on the console, in order: lines that are exactly
 * "HANGAR-GUEST-ALIVE N" once '\r' is stripped. */
static GArray *
alive_numbers (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  GArray *numbers = g_array_new (FALSE, FALSE, sizeof (guint64));

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strdelimit (lines[i], "\r", ' ');
      guint64 n;

      g_strstrip (line);
      if (g_str_has_prefix (line, ALIVE_PREFIX) &&
          g_ascii_string_to_unsigned (line + strlen (ALIVE_PREFIX), 10, 1, G_MAXUINT, &n, NULL))
        g_array_append_val (numbers, n);
    }
  return numbers;
}

static guint64
last_alive (HangarMachine *machine)
{
  g_autofree char *text = hangar_test_console_log (machine);
  g_autoptr(GArray) numbers = alive_numbers (text);

  return numbers->len ? g_array_index (numbers, guint64, numbers->len - 1) : 0;
}

typedef struct {
  HangarMachine *machine;
  guint64        at_least;
} AliveWait;

static gboolean
alive_reached (gpointer data)
{
  AliveWait *wait = data;

  return last_alive (wait->machine) >= wait->at_least;
}

static void
wait_for_alive (HangarMachine *machine,
                guint64        at_least)
{
  AliveWait wait = { machine, at_least };

  if (!hangar_test_wait_until (alive_reached, &wait, BOOT_TIMEOUT_S))
    {
      g_autofree char *text = hangar_test_console_log (machine);
      g_error ("the guest's heartbeat did not reach %" G_GUINT64_FORMAT "; console:\n%s", at_least, text);
    }
}

/* The whole console log counts 1, 2, 3... without starting over, and the
 * guest booted once: a restore continued it rather than booting it. */
static void
assert_counting_on (HangarMachine *machine,
                    guint64        beyond)
{
  g_autofree char *text = hangar_test_console_log (machine);
  g_autoptr(GArray) numbers = alive_numbers (text);

  g_assert_cmpuint (hangar_test_count (text, BOOT_MARKER), ==, 1);
  g_assert_cmpuint (numbers->len, >, beyond);
  for (guint i = 0; i < numbers->len; i++)
    if (g_array_index (numbers, guint64, i) != i + 1)
      g_error ("heartbeat %u is %" G_GUINT64_FORMAT ", not %u; console:\n%s",
               i, g_array_index (numbers, guint64, i), i + 1, text);
}

typedef struct {
  HangarMachine *machine;
  guint          boots;
} BootWait;

static gboolean
booted_enough (gpointer data)
{
  BootWait *wait = data;
  g_autofree char *text = hangar_test_console_log (wait->machine);

  return hangar_test_count (text, BOOT_MARKER) >= wait->boots;
}

/* The console shows `boots` boots in all (across runs). */
static void
wait_for_boots (HangarMachine *machine,
                guint          boots)
{
  BootWait wait = { machine, boots };

  g_assert_true (hangar_test_wait_until (booted_enough, &wait, BOOT_TIMEOUT_S));
}

static HangarMachine *
define_guest (HangarTestEnv *env,
              const char    *name,
              const char    *cmdline_extra,
              const char    *devices)
{
  g_autofree char *xml = hangar_test_guest_xml (name, cmdline_extra);
  g_autofree char *full = NULL;
  g_auto(GStrv) parts = g_strsplit (xml, "<devices>\n", 2);

  full = g_strconcat (parts[0], "<devices>\n", devices ? devices : "", parts[1], NULL);
  return hangar_test_env_define (env, full);
}

static void
start (HangarMachine *machine)
{
  g_autoptr(GError) error = NULL;

  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);
  hangar_test_settle ();
}

static void
force_off (HangarMachine *machine)
{
  g_autoptr(GError) error = NULL;

  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", STATE_TIMEOUT_S));
}

static void
assert_booted (HangarMachine *machine)
{
  if (!hangar_test_wait_for_console (machine, BOOT_MARKER, BOOT_TIMEOUT_S))
    {
      g_autofree char *text = hangar_test_console_log (machine);
      g_error ("the guest did not print %s; console:\n%s", BOOT_MARKER, text);
    }
}

static HangarMachine *
machine_for_path (HangarTestEnv *env,
                  const char    *path)
{
  g_autoptr(GError) error = NULL;
  HangarMachine *machine = hangar_machine_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                                          "io.github.hangarvm.Hangar1", path, NULL, &error);

  g_assert_no_error (error);
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (machine), 180000);
  return machine;
}

static HangarMachine *
restore (HangarTestEnv *env,
         const char    *path,
         GVariant      *options)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *machine_path = NULL;

  hangar_manager_call_restore_sync (env->manager, path, options ? options : no_options (),
                                    &machine_path, NULL, &error);
  g_assert_no_error (error);
  hangar_test_settle ();
  return machine_for_path (env, machine_path);
}

static gboolean
machine_is_defined (HangarTestEnv *env,
                    const char    *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  if (hangar_manager_call_lookup_machine_sync (env->manager, name, &path, NULL, &error))
    return TRUE;
  hangar_assert_engine_error (error, HANGAR_ERROR_NOT_FOUND, name);
  return FALSE;
}

static char *
managed_save_path (HangarTestEnv *env,
                   HangarMachine *machine)
{
  g_autofree char *name = g_strconcat (hangar_machine_get_uuid (machine), ".save", NULL);

  return g_build_filename (env->root, "data", "save", name, NULL);
}

static char *
file_checksum (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
}

static void
run_command (const char * const *argv,
             char              **out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | (out == NULL ? G_SPAWN_STDOUT_TO_DEV_NULL : 0),
                NULL, NULL, out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", argv[0], err);
}

static void
assert_engine_alive (HangarTestEnv *env)
{
  g_autoptr(GVariant) info = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (hangar_test_env_engine_alive (env));
  hangar_manager_call_get_host_info_sync (env->manager, &info, NULL, &error);
  g_assert_no_error (error);
}

/* ---- The save file format, on its own -------------------------------------- */

static const char test_uuid[] = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

static char *
write_save_file (const char *dir,
                 const char *name,
                 const char *header_text,
                 const char *xml,
                 const char *stream)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *contents = g_strconcat (header_text, xml ? xml : "", stream ? stream : "", NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  return g_steal_pointer (&path);
}

static void
assert_header_refused (const char *path,
                       const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardSaveHeader) header = NULL;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  header = hangard_save_read_header (fd, path, &error);
  close (fd);
  g_assert_null (header);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, path));
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("'%s' does not mention '%s'", error->message, needle);
}

static void
test_format (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hangar-save-format-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "good.save", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardSaveHeader) header = NULL;
  const char *xml = "<domain><name>x</name></domain>\n";
  g_autofree char *good_header = g_strdup_printf ("HANGAR-SAVE 1\nuuid=%s\nstate=paused\nxml-length=%zu\n\n",
                                                  test_uuid, strlen (xml));
  g_autofree char *contents = NULL;
  gsize length;
  int fd;

  /* Written, then read back: the stream follows the XML. */
  fd = open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_true (hangard_save_write_header (fd, test_uuid, xml, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpint (write (fd, "QEVM\0\0\0\3", 8), ==, 8);
  header = hangard_save_read_header (fd, path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (header->uuid, ==, test_uuid);
  g_assert_true (header->paused);
  g_assert_cmpstr (header->xml, ==, xml);
  g_assert_cmpint (header->stream_offset, ==, (goffset) (strlen (good_header) + strlen (xml)));
  close (fd);
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_true (g_str_has_prefix (contents, good_header));

  /* Unknown keys are a later engine's additions. */
  {
    g_autofree char *text = g_strdup_printf ("HANGAR-SAVE 1\nsaved-by=future\nuuid=%s\nstate=running\n"
                                             "xml-length=%zu\n\n", test_uuid, strlen (xml));
    g_autofree char *extra = write_save_file (dir, "extra.save", text, xml, "QEVM");
    g_autoptr(HangardSaveHeader) extra_header = NULL;

    fd = open (extra, O_RDONLY | O_CLOEXEC);
    extra_header = hangard_save_read_header (fd, extra, &error);
    close (fd);
    g_assert_no_error (error);
    g_assert_false (extra_header->paused);
  }

  /* Everything else is refused, naming the file. */
  {
    g_autofree char *empty = write_save_file (dir, "empty.save", "", NULL, NULL);
    g_autofree char *foreign = write_save_file (dir, "foreign.save", "#!/bin/sh\necho hello\n", NULL, NULL);
    g_autofree char *v2 = write_save_file (dir, "v2.save", "HANGAR-SAVE 2\nuuid=x\n\n", NULL, NULL);
    g_autofree char *no_end = write_save_file (dir, "no-end.save", "HANGAR-SAVE 1\nuuid=", NULL, NULL);
    g_autofree char *bad_uuid_text = g_strdup_printf ("HANGAR-SAVE 1\nuuid=not-a-uuid\nstate=running\n"
                                                      "xml-length=%zu\n\n", strlen (xml));
    g_autofree char *bad_uuid = write_save_file (dir, "bad-uuid.save", bad_uuid_text, xml, "QEVM");
    g_autofree char *huge_text = g_strdup_printf ("HANGAR-SAVE 1\nuuid=%s\nstate=running\n"
                                                  "xml-length=99999999999\n\n", test_uuid);
    g_autofree char *huge = write_save_file (dir, "huge.save", huge_text, xml, "QEVM");
    g_autofree char *missing_text = g_strdup_printf ("HANGAR-SAVE 1\nuuid=%s\nxml-length=%zu\n\n",
                                                     test_uuid, strlen (xml));
    g_autofree char *missing = write_save_file (dir, "missing.save", missing_text, xml, "QEVM");
    g_autofree char *short_xml = write_save_file (dir, "short.save", good_header, "<domain>", NULL);
    g_autofree char *no_stream = write_save_file (dir, "no-stream.save", good_header, xml, NULL);
    g_autofree char *bad_stream = write_save_file (dir, "bad-stream.save", good_header, xml, "GARBAGE");

    assert_header_refused (empty, "not a Hangar save file");
    assert_header_refused (foreign, "not a Hangar save file");
    assert_header_refused (v2, "version");
    assert_header_refused (no_end, "incomplete");
    assert_header_refused (bad_uuid, "UUID");
    assert_header_refused (huge, "XML length");
    assert_header_refused (missing, "lacks");
    assert_header_refused (short_xml, "ends inside");
    assert_header_refused (no_stream, "no machine state");
    assert_header_refused (bad_stream, "no machine state");
  }

  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *file = g_build_filename (dir, name, NULL);
        g_unlink (file);
      }
    g_rmdir (dir);
  }
}

static void
test_argv_incoming (void)
{
  g_autofree char *xml = hangar_test_guest_xml ("incoming", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardDomain) domain = hangard_domain_parse (xml, -1, &error);
  HangardQemuRun run = {
    .qemu_binary = "qemu-system-x86_64",
    .accel = "tcg",
    .qmp_fd = 3,
    .serial_fd = -1,
  };
  g_auto(GStrv) plain = NULL;
  g_auto(GStrv) incoming = NULL;
  gboolean found = FALSE;

  g_assert_no_error (error);
  plain = hangard_qemu_build_argv (domain, &run, &error);
  g_assert_no_error (error);
  g_assert_false (g_strv_contains ((const char * const *) plain, "-incoming"));

  run.incoming = TRUE;
  incoming = hangard_qemu_build_argv (domain, &run, &error);
  g_assert_no_error (error);
  for (guint i = 0; incoming[i] != NULL && incoming[i + 1] != NULL; i++)
    if (g_str_equal (incoming[i], "-incoming") && g_str_equal (incoming[i + 1], "defer"))
      found = TRUE;
  g_assert_true (found);
}

/* ---- Save and restore ----------------------------------------------------- */

static void
save_to (HangarMachine *machine,
         const char    *path)
{
  g_autoptr(GError) error = NULL;

  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (machine), 180000);
  hangar_machine_call_save_sync (machine, path, no_options (), NULL, &error);
  g_assert_no_error (error);
  hangar_test_settle ();
}

/* A guest counting on its console is saved, undefined even, and restored:
 * it goes on counting from where it was, it does not boot again. */
static void
test_save_restore (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarMachine) machine = define_guest (env, "counter", "hangar.heartbeat", NULL);
  g_autofree char *uuid = g_strdup (hangar_machine_get_uuid (machine));
  g_autofree char *path = g_build_filename (env->tmpdir, "counter, saved.state", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  guint64 at_save;

  start (machine);
  assert_booted (machine);
  wait_for_alive (machine, 3);

  save_to (machine, path);
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "shutoff");
  g_assert_cmpstr (hangar_machine_get_state_reason (machine), ==, "saved");
  g_assert_cmpuint (hangar_machine_get_pid (machine), ==, 0);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "HANGAR-SAVE 1\nuuid="));
  g_assert_nonnull (strstr (contents, uuid));
  at_save = last_alive (machine);
  g_assert_cmpuint (at_save, >=, 3);

  /* Nothing counts while it is saved. */
  g_usleep (3 * G_USEC_PER_SEC);
  g_assert_cmpuint (last_alive (machine), ==, at_save);

  /* The file carries the definition: restore defines the machine again. */
  hangar_machine_call_undefine_sync (machine, no_options (), NULL, &error);
  g_assert_no_error (error);
  g_assert_false (machine_is_defined (env, "counter"));
  g_clear_object (&machine);

  machine = restore (env, path, NULL);
  g_assert_cmpstr (hangar_machine_get_uuid (machine), ==, uuid);
  g_assert_cmpstr (hangar_machine_get_name (machine), ==, "counter");
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "running");
  g_assert_cmpstr (hangar_machine_get_state_reason (machine), ==, "restored");
  wait_for_alive (machine, at_save + 2);
  assert_counting_on (machine, at_save + 1);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  /* A paused guest is saved paused and restored paused; "paused" also
   * asks for that. */
  {
    g_autofree char *paused_path = g_build_filename (env->tmpdir, "paused.save", NULL);
    g_autoptr(HangarMachine) again = NULL;
    guint64 before;

    hangar_machine_call_pause_sync (machine, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (hangar_test_wait_for_state (machine, "paused", STATE_TIMEOUT_S));
    save_to (machine, paused_path);
    g_assert_cmpstr (hangar_machine_get_state (machine), ==, "shutoff");
    before = last_alive (machine);

    again = restore (env, paused_path, NULL);
    g_assert_cmpstr (hangar_machine_get_state (again), ==, "paused");
    g_usleep (3 * G_USEC_PER_SEC);
    g_assert_cmpuint (last_alive (again), ==, before);
    hangar_machine_call_resume_sync (again, NULL, &error);
    g_assert_no_error (error);
    wait_for_alive (again, before + 1);
    assert_counting_on (again, before);

    /* The running one restored with "paused". */
    save_to (again, paused_path);
    g_clear_object (&again);
    again = restore (env, paused_path, g_variant_new_parsed ("{'paused': <true>}"));
    g_assert_cmpstr (hangar_machine_get_state (again), ==, "paused");
    force_off (again);
  }

  hangar_test_env_free (env);
}

/* managedsave: "saved" across an engine restart, Start resumes it and
 * deletes the file; managedsave-remove and Undefine delete it too. */
static void
test_managed_save (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarMachine) machine = define_guest (env, "managed", "hangar.heartbeat", NULL);
  g_autofree char *file = managed_save_path (env, machine);
  g_autoptr(GError) error = NULL;
  guint64 at_save;

  start (machine);
  assert_booted (machine);
  wait_for_alive (machine, 2);

  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (machine), 180000);
  hangar_machine_call_managed_save_sync (machine, no_options (), NULL, &error);
  g_assert_no_error (error);
  hangar_test_settle ();
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "saved");
  g_assert_cmpuint (hangar_machine_get_pid (machine), ==, 0);
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
  at_save = last_alive (machine);

  /* The engine remembers. */
  hangar_test_env_kill_engine (env, SIGTERM);
  hangar_test_env_start_engine (env);
  g_clear_object (&machine);
  machine = hangar_test_env_lookup (env, "managed");
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "saved");

  /* Start resumes rather than boots, and the file goes. */
  start (machine);
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "running");
  g_assert_cmpstr (hangar_machine_get_state_reason (machine), ==, "restored");
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
  wait_for_alive (machine, at_save + 2);
  assert_counting_on (machine, at_save + 1);

  /* managedsave-remove: the next start boots afresh. */
  hangar_machine_call_managed_save_sync (machine, no_options (), NULL, &error);
  g_assert_no_error (error);
  hangar_test_settle ();
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "saved");
  hangar_machine_call_managed_save_remove_sync (machine, NULL, &error);
  g_assert_no_error (error);
  hangar_test_settle ();
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "shutoff");
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
  hangar_machine_call_managed_save_remove_sync (machine, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "no managed save");
  g_clear_error (&error);

  start (machine);
  g_assert_cmpstr (hangar_machine_get_state_reason (machine), ==, "booted");
  wait_for_boots (machine, 2);

  /* Undefine takes the managed save along. */
  hangar_machine_call_managed_save_sync (machine, no_options (), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
  hangar_machine_call_undefine_sync (machine, no_options (), NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));

  hangar_test_env_free (env);
}

/* Bad input: named errors, the engine stays up, nothing is lost. */
static void
test_save_bad_input (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarMachine) machine = define_guest (env, "victim", "hangar.heartbeat", NULL);
  g_autofree char *good = g_build_filename (env->tmpdir, "good.save", NULL);
  g_autofree char *foreign = g_build_filename (env->tmpdir, "foreign.save", NULL);
  g_autofree char *truncated = g_build_filename (env->tmpdir, "truncated.save", NULL);
  g_autofree char *garbled = g_build_filename (env->tmpdir, "garbled.save", NULL);
  g_autofree char *subdir = g_build_filename (env->tmpdir, "a-directory", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *definition = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  guint64 at_save;

  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (machine), 180000);
  g_assert_cmpint (g_mkdir (subdir, 0700), ==, 0);

  /* Nothing to save while shut off. */
  hangar_machine_call_save_sync (machine, good, no_options (), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "not running");
  g_clear_error (&error);
  hangar_machine_call_managed_save_sync (machine, no_options (), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "not running");
  g_clear_error (&error);
  hangar_machine_call_managed_save_remove_sync (machine, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "no managed save");
  g_clear_error (&error);
  g_assert_false (g_file_test (good, G_FILE_TEST_EXISTS));

  start (machine);
  assert_booted (machine);
  wait_for_alive (machine, 2);

  /* Bad paths and options: the guest runs on. */
  hangar_machine_call_save_sync (machine, "relative.save", no_options (), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_ARGUMENT, "absolute");
  g_clear_error (&error);
  hangar_machine_call_save_sync (machine, "/nonexistent-hangar-dir/x.save", no_options (), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_NOT_FOUND, "/nonexistent-hangar-dir");
  g_clear_error (&error);
  hangar_machine_call_save_sync (machine, subdir, no_options (), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_ARGUMENT, "directory");
  g_clear_error (&error);
  hangar_machine_call_save_sync (machine, good, g_variant_new_parsed ("{'compress': <true>}"), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_ARGUMENT, "compress");
  g_clear_error (&error);
  hangar_test_settle ();
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "running");
  {
    g_autoptr(GDir) dir = g_dir_open (env->tmpdir, 0, NULL);
    const char *name;

    /* No temporary file left behind. */
    while ((name = g_dir_read_name (dir)) != NULL)
      g_assert_false (g_str_has_prefix (name, "."));
  }

  /* Restore of a running machine's file: refused. */
  save_to (machine, good);
  at_save = last_alive (machine);
  start (machine);
  {
    g_autofree char *path = NULL;

    hangar_manager_call_restore_sync (env->manager, good, no_options (), &path, NULL, &error);
    hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "running");
    g_clear_error (&error);
  }
  force_off (machine);

  /* Foreign, truncated and garbled files. */
  g_assert_true (g_file_set_contents (foreign, "<domain>not a save file</domain>\n", -1, NULL));
  g_assert_true (g_file_get_contents (good, &contents, &length, NULL));
  g_assert_cmpuint (length, >, 64 * 1024);
  {
    const char *stream = strstr (contents, "QEVM");
    gsize stream_at;
    g_autofree char *copy = g_memdup2 (contents, length);

    g_assert_nonnull (stream);
    stream_at = (gsize) (stream - contents);
    g_assert_true (g_file_set_contents (truncated, contents, (gssize) (stream_at + 4096), NULL));
    for (gsize i = stream_at + 64; i < length; i += 97)
      copy[i] = (char) (copy[i] ^ 0x5a);
    g_assert_true (g_file_set_contents (garbled, copy, (gssize) length, NULL));
  }

  hangar_machine_call_get_xml_sync (machine, no_options (), &definition, NULL, &error);
  g_assert_no_error (error);
  {
    struct {
      const char *path;
      int         code;
      const char *needle;
    } cases[] = {
      { "relative.save", HANGAR_ERROR_INVALID_ARGUMENT, "absolute" },
      { "/nonexistent-hangar-dir/x.save", HANGAR_ERROR_NOT_FOUND, "/nonexistent-hangar-dir/x.save" },
      { subdir, HANGAR_ERROR_INVALID_ARGUMENT, subdir },
      { foreign, HANGAR_ERROR_INVALID_ARGUMENT, foreign },
      { truncated, HANGAR_ERROR_INVALID_ARGUMENT, truncated },
      { garbled, HANGAR_ERROR_INVALID_ARGUMENT, garbled },
    };

    for (guint round = 0; round < 2; round++)
      {
        /* Round 1: the machine is not defined, the file would define it. */
        if (round == 1)
          {
            hangar_machine_call_undefine_sync (machine, no_options (), NULL, &error);
            g_assert_no_error (error);
          }
        for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
          {
            g_autofree char *path = NULL;

            hangar_manager_call_restore_sync (env->manager, cases[i].path, no_options (), &path, NULL, &error);
            hangar_assert_engine_error (error, cases[i].code, cases[i].needle);
            g_test_message ("restore %s: %s", cases[i].path, error->message);
            g_clear_error (&error);
            if (machine_is_defined (env, "victim") != (round == 0))
              g_error ("restoring %s (round %u) changed whether the machine is defined", cases[i].path, round);
          }
      }
    {
      g_autofree char *path = NULL;

      hangar_manager_call_restore_sync (env->manager, good, g_variant_new_parsed ("{'paused': <'yes'>}"),
                                        &path, NULL, &error);
      hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_ARGUMENT, "paused");
      g_clear_error (&error);
      hangar_manager_call_restore_sync (env->manager, good, g_variant_new_parsed ("{'force': <true>}"),
                                        &path, NULL, &error);
      hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_ARGUMENT, "force");
      g_clear_error (&error);
    }
  }
  assert_engine_alive (env);

  /* Nothing was lost: the good file restores and the guest counts on. */
  g_clear_object (&machine);
  machine = restore (env, good, NULL);
  {
    g_autofree char *restored_definition = NULL;

    hangar_machine_call_get_xml_sync (machine, no_options (), &restored_definition, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (restored_definition, ==, definition);
  }
  wait_for_alive (machine, at_save + 1);
  assert_counting_on (machine, at_save);
  force_off (machine);

  hangar_test_env_free (env);
}

/* ---- Clone ---------------------------------------------------------------- */

#define SOURCE_MAC "52:54:00:5a:11:01"

static char *
images_dir (HangarTestEnv *env)
{
  return g_build_filename (env->root, "data", "images", NULL);
}

static void
refresh_pool (HangarTestEnv *env,
              const char    *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(HangarStoragePool) pool = NULL;

  hangar_manager_call_lookup_pool_sync (env->manager, name, &path, NULL, &error);
  g_assert_no_error (error);
  pool = hangar_storage_pool_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                             "io.github.hangarvm.Hangar1", path, NULL, &error);
  g_assert_no_error (error);
  hangar_storage_pool_call_refresh_sync (pool, NULL, &error);
  g_assert_no_error (error);
}

/* A qcow2 image with `mib` MiB of data in the default pool. */
static char *
make_disk (HangarTestEnv *env,
           const char    *name,
           guint          size_mib,
           guint          data_mib)
{
  g_autofree char *dir = images_dir (env);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *size = g_strdup_printf ("%uM", size_mib);
  g_autofree char *write = g_strdup_printf ("write -P 0x5a 0 %uM", data_mib);
  const char *create[] = { "qemu-img", "create", "-q", "-f", "qcow2", path, size, NULL };
  const char *fill[] = { "qemu-io", "-f", "qcow2", "-c", write, path, NULL };

  run_command (create, NULL);
  run_command (fill, NULL);
  refresh_pool (env, "default");
  return g_steal_pointer (&path);
}

static char *
disk_xml (const char *volume,
          const char *target)
{
  return g_strdup_printf ("    <disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
                          "<source pool='default' volume='%s'/><target dev='%s' bus='virtio'/></disk>\n",
                          volume, target);
}

typedef struct {
  HangarJob *job;
} JobWait;

static gboolean
job_has_ended (gpointer data)
{
  return g_strcmp0 (hangar_job_get_state (((JobWait *) data)->job), "running") != 0;
}

static HangarJob *
wait_for_job (HangarTestEnv *env,
              const char    *path)
{
  g_autoptr(GError) error = NULL;
  JobWait wait;

  wait.job = hangar_job_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                        "io.github.hangarvm.Hangar1", path, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_until (job_has_ended, &wait, JOB_TIMEOUT_S));
  return wait.job;
}

static HangarMachine *
clone_machine (HangarTestEnv *env,
               HangarMachine *source,
               const char    *name,
               GVariant      *options)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *job_path = NULL;
  g_autoptr(HangarJob) job = NULL;

  hangar_machine_call_clone_sync (source, name, options ? options : no_options (), &job_path, NULL, &error);
  g_assert_no_error (error);
  job = wait_for_job (env, job_path);
  g_assert_cmpstr (hangar_job_get_error_message (job), ==, "");
  g_assert_cmpstr (hangar_job_get_state (job), ==, "completed");
  g_assert_cmpstr (hangar_job_get_operation (job), ==, "clone-machine");
  g_assert_cmpstr (hangar_job_get_target (job), ==, g_dbus_proxy_get_object_path (G_DBUS_PROXY (source)));
  return machine_for_path (env, hangar_job_get_result (job));
}

static char *
first_mac (HangarMachine *machine)
{
  g_autoptr(GVariant) interfaces = NULL;
  g_autoptr(GVariant) first = NULL;
  g_autoptr(GError) error = NULL;
  char *mac = NULL;

  hangar_machine_call_get_interfaces_sync (machine, &interfaces, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (interfaces), ==, 1);
  first = g_variant_get_child_value (interfaces, 0);
  g_assert_true (g_variant_lookup (first, "mac", "s", &mac));
  return mac;
}

static char *
image_backing (const char *path)
{
  const char *info[] = { "qemu-img", "info", "-U", "--output=json", path, NULL };
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;

  run_command (info, &out);
  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  return g_strdup (json_object_get_string_member_with_default (root, "full-backing-filename",
                     json_object_get_string_member_with_default (root, "backing-filename", "")));
}

/* The clone boots with its own identity; the source stays as it was. */
static void
check_clone (HangarTestEnv *env,
             HangarMachine *source,
             HangarMachine *clone,
             const char    *clone_disk)
{
  g_autofree char *source_mac = first_mac (source);
  g_autofree char *clone_mac = first_mac (clone);
  g_autofree char *xml = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (hangar_machine_get_state (clone), ==, "shutoff");
  g_assert_cmpstr (hangar_machine_get_uuid (clone), !=, hangar_machine_get_uuid (source));
  g_assert_cmpstr (source_mac, ==, SOURCE_MAC);
  g_assert_cmpstr (clone_mac, !=, SOURCE_MAC);
  g_assert_true (g_str_has_prefix (clone_mac, "52:54:00:"));

  hangar_machine_call_get_xml_sync (clone, no_options (), &xml, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, clone_disk));
  g_assert_true (g_file_test (clone_disk, G_FILE_TEST_IS_REGULAR) || strstr (xml, "volume=") != NULL);

  start (clone);
  assert_booted (clone);
  force_off (clone);
}

static void
test_clone (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *source_disk = make_disk (env, "source.qcow2", 64, 8);
  g_autofree char *disk = disk_xml ("source.qcow2", "vda");
  g_autofree char *devices = g_strconcat (disk, "    <interface type='user'><mac address='" SOURCE_MAC "'/>"
                                          "<model type='virtio'/></interface>\n", NULL);
  g_autoptr(HangarMachine) source = define_guest (env, "origin", NULL, devices);
  g_autofree char *source_xml = NULL;
  g_autofree char *source_sum = file_checksum (source_disk);
  g_autofree char *other_dir = g_build_filename (env->tmpdir, "other pool", NULL);
  g_autofree char *pool_xml = NULL;
  g_autofree char *pool_path = NULL;
  g_autoptr(GError) error = NULL;

  hangar_machine_call_get_xml_sync (source, no_options (), &source_xml, NULL, &error);
  g_assert_no_error (error);

  /* A second pool for one of the copies. */
  pool_xml = g_markup_printf_escaped ("<pool type='dir'><name>other</name><target><path>%s</path></target></pool>",
                                      other_dir);
  hangar_manager_call_define_pool_sync (env->manager, pool_xml, &pool_path, NULL, &error);
  g_assert_no_error (error);
  {
    g_autoptr(HangarStoragePool) pool = hangar_storage_pool_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                                                            "io.github.hangarvm.Hangar1", pool_path,
                                                                            NULL, &error);
    g_assert_no_error (error);
    hangar_storage_pool_call_build_sync (pool, NULL, &error);
    g_assert_no_error (error);
    hangar_storage_pool_call_start_sync (pool, NULL, &error);
    g_assert_no_error (error);
  }

  /* A full copy into the other pool. */
  {
    g_autoptr(HangarMachine) copy = clone_machine (env, source, "copy", g_variant_new_parsed ("{'pool': <'other'>}"));
    g_autofree char *copy_disk = g_build_filename (other_dir, "copy-vda.qcow2", NULL);
    const char *compare[] = { "qemu-img", "compare", "-q", "-f", "qcow2", "-F", "qcow2", source_disk, copy_disk, NULL };
    g_autofree char *backing = NULL;

    g_assert_cmpstr (hangar_machine_get_name (copy), ==, "copy");
    g_assert_true (g_file_test (copy_disk, G_FILE_TEST_IS_REGULAR));
    run_command (compare, NULL);
    backing = image_backing (copy_disk);
    g_assert_cmpstr (backing, ==, "");
    check_clone (env, source, copy, "copy-vda.qcow2");
  }

  /* A linked clone in the source's pool: an overlay backed by the source. */
  {
    g_autoptr(HangarMachine) linked = clone_machine (env, source, "linked",
                                                     g_variant_new_parsed ("{'linked': <true>}"));
    g_autofree char *dir = images_dir (env);
    g_autofree char *linked_disk = g_build_filename (dir, "linked-vda.qcow2", NULL);
    g_autofree char *backing = image_backing (linked_disk);

    g_assert_cmpstr (backing, ==, source_disk);
    check_clone (env, source, linked, "linked-vda.qcow2");
  }

  /* The source: same definition, same disk, and it still boots. */
  {
    g_autofree char *xml_after = NULL;
    g_autofree char *sum_after = file_checksum (source_disk);

    hangar_machine_call_get_xml_sync (source, no_options (), &xml_after, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (xml_after, ==, source_xml);
    g_assert_cmpstr (sum_after, ==, source_sum);
    start (source);
    assert_booted (source);
    force_off (source);
  }

  hangar_test_env_free (env);
}

/* The qemu-img copying `name`, or 0. */
static GPid
find_qemu_img (const char *name)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *entry;

  while ((entry = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%s/cmdline", entry);
      g_autofree char *cmdline = NULL;
      gsize length = 0;
      gboolean is_qemu_img = FALSE, converts = FALSE, names_it = FALSE;

      if (!g_ascii_isdigit (entry[0]) || !g_file_get_contents (path, &cmdline, &length, NULL))
        continue;
      for (gsize i = 0; i < length; i += strlen (cmdline + i) + 1)
        {
          if (i == 0)
            is_qemu_img = g_str_has_suffix (cmdline, "qemu-img");
          converts |= g_str_equal (cmdline + i, "convert");
          names_it |= strstr (cmdline + i, name) != NULL;
        }
      if (is_qemu_img && converts && names_it)
        return (GPid) g_ascii_strtoll (entry, NULL, 10);
    }
  return 0;
}

static void
test_clone_bad_input (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *dir = images_dir (env);
  g_autofree char *big = make_disk (env, "big.qcow2", 512, 192);
  g_autofree char *disks = NULL;
  g_autoptr(HangarMachine) source = NULL;
  g_autoptr(HangarMachine) other = NULL;
  g_autofree char *source_sum = file_checksum (big);
  g_autoptr(GError) error = NULL;
  g_autofree char *job_path = NULL;

  {
    g_autofree char *second = make_disk (env, "big2.qcow2", 512, 192);
    g_autofree char *vda = disk_xml ("big.qcow2", "vda");
    g_autofree char *vdb = disk_xml ("big2.qcow2", "vdb");

    disks = g_strconcat (vda, vdb, NULL);
  }
  source = define_guest (env, "heavy", NULL, disks);
  other = define_guest (env, "taken", NULL, NULL);

  /* Names, options, pools. */
  {
    struct {
      const char *name;
      const char *options;
      int         code;
      const char *needle;
    } cases[] = {
      { "taken", "@a{sv} {}", HANGAR_ERROR_ALREADY_EXISTS, "taken" },
      { "heavy", "@a{sv} {}", HANGAR_ERROR_ALREADY_EXISTS, "heavy" },
      { "", "@a{sv} {}", HANGAR_ERROR_INVALID_ARGUMENT, NULL },
      { "a/b", "@a{sv} {}", HANGAR_ERROR_INVALID_ARGUMENT, NULL },
      { "-x", "@a{sv} {}", HANGAR_ERROR_INVALID_ARGUMENT, NULL },
      { "fine", "{'sparse': <true>}", HANGAR_ERROR_INVALID_ARGUMENT, "sparse" },
      { "fine", "{'linked': <'yes'>}", HANGAR_ERROR_INVALID_ARGUMENT, "linked" },
      { "fine", "{'pool': <true>}", HANGAR_ERROR_INVALID_ARGUMENT, "pool" },
      { "fine", "{'pool': <'no-such-pool'>}", HANGAR_ERROR_NOT_FOUND, "no-such-pool" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autofree char *path = NULL;

        hangar_machine_call_clone_sync (source, cases[i].name, g_variant_new_parsed (cases[i].options),
                                        &path, NULL, &error);
        hangar_assert_engine_error (error, cases[i].code, cases[i].needle);
        g_clear_error (&error);
      }
  }

  /* A clone's disk file that exists already. */
  {
    g_autofree char *in_the_way = g_build_filename (dir, "blocked-vdb.qcow2", NULL);

    g_assert_true (g_file_set_contents (in_the_way, "mine", -1, NULL));
    hangar_machine_call_clone_sync (source, "blocked", no_options (), &job_path, NULL, &error);
    hangar_assert_engine_error (error, HANGAR_ERROR_ALREADY_EXISTS, "blocked-vdb.qcow2");
    g_clear_error (&error);
    g_assert_false (machine_is_defined (env, "blocked"));
    {
      g_autofree char *kept = NULL;
      g_assert_true (g_file_get_contents (in_the_way, &kept, NULL, NULL));
      g_assert_cmpstr (kept, ==, "mine");
    }
  }

  /* The source must be shut off. */
  start (source);
  hangar_machine_call_clone_sync (source, "live", no_options (), &job_path, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "running");
  g_clear_error (&error);
  force_off (source);

  /* Cancel mid-copy: no file, no definition. qemu-img is held still
   * (SIGSTOP) so the copy cannot finish before the Cancel. */
  {
    g_autoptr(HangarJob) job = NULL;
    g_autofree char *first = g_build_filename (dir, "halfway-vda.qcow2", NULL);
    g_autofree char *second = g_build_filename (dir, "halfway-vdb.qcow2", NULL);
    GPid copier = 0;
    JobWait wait;

    hangar_machine_call_clone_sync (source, "halfway", no_options (), &job_path, NULL, &error);
    g_assert_no_error (error);
    job = hangar_job_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                     "io.github.hangarvm.Hangar1", job_path, NULL, &error);
    g_assert_no_error (error);

    /* A second clone to the same name meanwhile: refused at once. */
    {
      g_autofree char *second_job = NULL;

      hangar_machine_call_clone_sync (source, "halfway", no_options (), &second_job, NULL, &error);
      hangar_assert_engine_error (error, HANGAR_ERROR_ALREADY_EXISTS, "halfway");
      g_clear_error (&error);
    }

    for (guint i = 0; i < 20000 && copier == 0; i++)
      {
        copier = find_qemu_img ("halfway-vdb.qcow2");
        if (copier == 0)
          {
            g_main_context_iteration (NULL, FALSE);
            g_usleep (1000);
          }
      }
    g_assert_cmpint (copier, >, 0);
    kill (copier, SIGSTOP);
    hangar_test_settle ();
    g_assert_cmpstr (hangar_job_get_state (job), ==, "running");
    g_assert_true (g_file_test (first, G_FILE_TEST_IS_REGULAR));

    hangar_job_call_cancel_sync (job, NULL, &error);
    g_assert_no_error (error);
    wait.job = job;
    g_assert_true (hangar_test_wait_until (job_has_ended, &wait, JOB_TIMEOUT_S));
    g_assert_cmpstr (hangar_job_get_state (job), ==, "cancelled");
    g_assert_false (g_file_test (first, G_FILE_TEST_EXISTS));
    g_assert_false (g_file_test (second, G_FILE_TEST_EXISTS));
    g_assert_false (machine_is_defined (env, "halfway"));
    g_clear_object (&wait.job);
    job = NULL;
  }

  /* Nothing happened to the source. */
  {
    g_autofree char *sum_after = file_checksum (big);
    g_assert_cmpstr (sum_after, ==, source_sum);
  }
  assert_engine_alive (env);

  hangar_test_env_free (env);
}

/* ---- hangarctl ------------------------------------------------------------ */

static void
test_hangarctl (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarMachine) machine = define_guest (env, "ctl", "hangar.heartbeat", NULL);
  g_autofree char *file = g_build_filename (env->tmpdir, "ctl.save", NULL);
  g_autofree char *expected = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  start (machine);
  assert_booted (machine);
  wait_for_alive (machine, 1);

  expected = g_strdup_printf ("Domain 'ctl' saved to %s", file);
  hangar_assert_has_line (hangar_test_ctl_ok (env, &out, "save", "ctl", file, NULL), expected);
  g_free (expected);
  expected = g_strdup_printf ("Domain 'ctl' restored from %s", file);
  hangar_assert_has_line (hangar_test_ctl_ok (env, &out, "restore", file, NULL), expected);

  hangar_assert_has_line (hangar_test_ctl_ok (env, &out, "managedsave", "ctl", NULL),
                          "Domain 'ctl' state saved by Hangar");
  hangar_test_ctl_ok (env, &out, "list", "--all", NULL);
  g_assert_nonnull (strstr (out, "saved"));
  hangar_assert_has_line (hangar_test_ctl_ok (env, &out, "managedsave-remove", "ctl", NULL),
                          "Removed managed save image for domain 'ctl'");
  hangar_assert_has_line (hangar_test_ctl_ok (env, &out, "managedsave-remove", "ctl", NULL),
                          "Domain 'ctl' has no managed save image; removal skipped");

  hangar_assert_has_line (hangar_test_ctl_ok (env, &out, "clone", "ctl", "ctl-copy", "--linked", NULL),
                          "Clone 'ctl-copy' created successfully.");
  hangar_test_ctl_ok (env, &out, "list", "--all", "--name", NULL);
  hangar_assert_has_line (out, "ctl-copy");

  status = hangar_test_ctl (env, &out, &err, "clone", "ctl", "ctl-copy", NULL);
  hangar_assert_ctl_error (status, err, "ctl-copy");
  status = hangar_test_ctl (env, &out, &err, "restore", "/nonexistent-hangar.save", NULL);
  hangar_assert_ctl_error (status, err, "/nonexistent-hangar.save");
  status = hangar_test_ctl (env, &out, &err, "save", "ctl", file, NULL);
  hangar_assert_ctl_error (status, err, "not running");

  hangar_test_env_free (env);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/save/format", test_format);
  g_test_add_func ("/save/argv-incoming", test_argv_incoming);
  g_test_add_func ("/save/save-restore-counter", test_save_restore);
  g_test_add_func ("/save/managed-save", test_managed_save);
  g_test_add_func ("/save/bad-input", test_save_bad_input);
  g_test_add_func ("/clone/full-and-linked", test_clone);
  g_test_add_func ("/clone/bad-input", test_clone_bad_input);
  g_test_add_func ("/save/hangarctl", test_hangarctl);

  return g_test_run ();
}
