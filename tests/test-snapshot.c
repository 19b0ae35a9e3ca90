/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-snapshot"

/* Internal snapshots against the real engine, real QEMU (TCG) and real
 * qemu-img: the busybox guest writes a mark on its qcow2 disk through its
 * serial shell (Machine.OpenSerial), a snapshot is taken, another mark is
 * written, and after the revert the guest sees the first mark and not the
 * second, with its memory back as well. Shut-off machines go through
 * qemu-img (checked with qemu-io), the tree survives an engine restart,
 * bad input gets named errors, and hangarctl's snapshot-* verbs drive it. */

#include <errno.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "hangar-test-env.h"
#include "hangard-error.h"

#define BOOT_TIMEOUT_S 180
#define STATE_TIMEOUT_S 90
#define REPLY_TIMEOUT_S 90
#define CALL_TIMEOUT_MSEC (5 * 60 * 1000)
#define BOOT_MARKER "HANGAR-GUEST-BOOTED"
#define PROMPT "hangar-guest# "
#define ENGINE "io.github.hangarvm.Hangar1"

/* ---- disks and guests ----------------------------------------------------- */

static void
run_tool (const char * const *argv,
          char              **out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  g_autofree char *ignored = NULL;
  g_autofree char *command = g_strjoinv (" ", (char **) argv);
  int status = 0;

  /* Captured even when unwanted: the test's stdout is TAP. */
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, out ? out : &ignored, &err,
                &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", command, err);
}

/* Whether `command` succeeds (qemu-io's read -P fails on another pattern). */
static gboolean
tool_succeeds (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  return g_spawn_check_wait_status (status, NULL) && strstr (out, "Pattern verification failed") == NULL;
}

static char *
make_disk (HangarTestEnv *env,
           const char    *file,
           const char    *format)
{
  char *path = g_build_filename (env->tmpdir, file, NULL);
  const char *argv[] = { "qemu-img", "create", "-q", "-f", format, path, "16M", NULL };

  run_tool (argv, NULL);
  return path;
}

/* The internal snapshots qemu-img sees in `path` (-U: it may be in use). */
static char *
image_snapshots (const char *path)
{
  const char *argv[] = { "qemu-img", "snapshot", "-U", "-l", path, NULL };
  char *out = NULL;

  run_tool (argv, &out);
  return out;
}

static gboolean
image_has_snapshot (const char *path,
                    const char *name)
{
  g_autofree char *list = image_snapshots (path);
  g_auto(GStrv) lines = g_strsplit (list, "\n", -1);

  /* "ID  TAG  VM SIZE  DATE  VM CLOCK  ICOUNT" */
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit_set (lines[i], " \t", -1);
      guint column = 0;

      for (guint j = 0; fields[j] != NULL; j++)
        {
          if (*fields[j] == '\0')
            continue;
          if (column++ == 1 && g_str_equal (fields[j], name))
            return TRUE;
        }
    }
  return FALSE;
}

/* Fills the first 4 KiB of a shut-off machine's qcow2 image with `byte`. */
static void
image_write_pattern (const char *path,
                     guint       byte)
{
  g_autofree char *command = g_strdup_printf ("write -P 0x%02x 0 4k", byte);
  const char *argv[] = { "qemu-io", "-f", "qcow2", "-c", command, path, NULL };

  run_tool (argv, NULL);
}

static gboolean
image_has_pattern (const char *path,
                   guint       byte)
{
  g_autofree char *command = g_strdup_printf ("read -P 0x%02x 0 4k", byte);
  const char *argv[] = { "qemu-io", "-f", "qcow2", "-r", "-U", "-c", command, path, NULL };

  return tool_succeeds (argv);
}

/* The busybox guest with its serial shell and `disk` on virtio as vda. */
static HangarMachine *
define_guest (HangarTestEnv *env,
              const char    *name,
              const char    *disk,
              const char    *format)
{
  g_autofree char *xml = hangar_test_env_guest_xml (env, name, NULL);
  g_autoptr(GString) text = g_string_new (xml);
  HangarMachine *machine;

  if (disk != NULL)
    {
      g_autofree char *escaped = g_markup_escape_text (disk, -1);
      g_autofree char *element = g_strdup_printf (
        "  <devices>\n"
        "    <disk type='file' device='disk'>\n"
        "      <driver name='qemu' type='%s'/>\n"
        "      <source file='%s'/>\n"
        "      <target dev='vda' bus='virtio'/>\n"
        "    </disk>\n", format, escaped);

      g_assert_cmpuint (g_string_replace (text, "  <devices>\n", element, 1), ==, 1);
    }
  machine = hangar_test_env_define (env, text->str);
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (machine), CALL_TIMEOUT_MSEC);
  return machine;
}

static void
start_guest (HangarMachine *machine)
{
  g_autoptr(GError) error = NULL;

  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "running", STATE_TIMEOUT_S));
  if (!hangar_test_wait_for_console (machine, BOOT_MARKER, BOOT_TIMEOUT_S))
    g_error ("the guest did not print %s", BOOT_MARKER);
  if (!hangar_test_wait_for_console (machine, PROMPT, BOOT_TIMEOUT_S))
    g_error ("the guest's serial shell did not prompt");
}

static void
force_off (HangarMachine *machine)
{
  g_autoptr(GError) error = NULL;

  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", STATE_TIMEOUT_S));
}

/* ---- the serial shell ----------------------------------------------------- */


static gboolean
read_until (int         fd,
            GString    *buffer,
            const char *needle,
            guint       timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  while (strstr (buffer->str, needle) == NULL)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      char chunk[4096];
      gssize got;

      if (left_ms <= 0)
        return FALSE;
      if (poll (&pfd, 1, (int) MIN (left_ms, 1000)) <= 0)
        continue;
      got = read (fd, chunk, sizeof chunk);
      if (got <= 0)
        return strstr (buffer->str, needle) != NULL;
      g_string_append_len (buffer, chunk, got);
    }
  return TRUE;
}

/* Types `command` and waits for `reply`, which its echo cannot contain;
 * returns everything read up to then. */
static char *
shell (int         fd,
       const char *command,
       const char *reply)
{
  g_autoptr(GString) got = g_string_new (NULL);
  g_autofree char *line = g_strconcat (command, "\n", NULL);
  gsize done = 0;

  g_test_message ("guest# %s", command);
  while (done < strlen (line))
    {
      gssize n = write (fd, line + done, strlen (line) - done);

      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >, 0);
      done += (gsize) n;
    }
  if (!read_until (fd, got, reply, REPLY_TIMEOUT_S))
    g_error ("the guest did not answer '%s' to '%s'; it said: %s", reply, command, got->str);
  return g_string_free (g_steal_pointer (&got), FALSE);
}

/* Writes `mark` at the start of /dev/vda and flushes it to the disk. */
static void
guest_write_mark (int         fd,
                  const char *mark)
{
  g_autofree char *command = g_strdup_printf ("printf %s | dd of=/dev/vda 2>/dev/null; sync; "
                                              "echo WROTE-$((20+1))", mark);
  g_autofree char *answer = shell (fd, command, "WROTE-21");
}

/* What the disk holds, read past the guest's page cache. */
static void
guest_assert_mark (int         fd,
                   const char *mark)
{
  g_autofree char *expected = g_strdup_printf ("DISK=[%s]", mark);
  g_autofree char *answer = shell (fd, "echo 3 >/proc/sys/vm/drop_caches; "
                                       "echo \"DISK=[$(head -c 6 /dev/vda)]\"", "]\r\n");

  if (strstr (answer, expected) == NULL)
    g_error ("the guest's disk should hold %s; the guest said: %s", mark, answer);
}

/* ---- snapshots over D-Bus ------------------------------------------------- */

/* A fresh proxy: its properties are what the engine says now. */
static HangarSnapshot *
snapshot_at (HangarTestEnv *env,
             const char    *path)
{
  g_autoptr(GError) error = NULL;
  HangarSnapshot *snapshot = hangar_snapshot_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                                             ENGINE, path, NULL, &error);

  g_assert_no_error (error);
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (snapshot), CALL_TIMEOUT_MSEC);
  return snapshot;
}

static HangarMachine *
fresh_machine (HangarTestEnv *env,
               HangarMachine *machine)
{
  g_autoptr(GError) error = NULL;
  HangarMachine *fresh = hangar_machine_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE, ENGINE,
                                                        g_dbus_proxy_get_object_path (G_DBUS_PROXY (machine)),
                                                        NULL, &error);

  g_assert_no_error (error);
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (fresh), CALL_TIMEOUT_MSEC);
  return fresh;
}

static char *
create_snapshot (HangarMachine  *machine,
                 const char     *name,
                 const char     *description,
                 gboolean        disk_only,
                 GError        **error)
{
  GVariantBuilder options;
  char *path = NULL;

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (disk_only)
    g_variant_builder_add (&options, "{sv}", "disk-only", g_variant_new_boolean (TRUE));
  if (!hangar_machine_call_create_snapshot_sync (machine, name, description, g_variant_builder_end (&options),
                                                 &path, NULL, error))
    return NULL;
  return path;
}

static char *
create_ok (HangarMachine *machine,
           const char    *name,
           gboolean       disk_only)
{
  g_autoptr(GError) error = NULL;
  char *path = create_snapshot (machine, name, "", disk_only, &error);

  g_assert_no_error (error);
  return path;
}

static HangarSnapshot *
lookup (HangarTestEnv *env,
        HangarMachine *machine,
        const char    *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  hangar_machine_call_lookup_snapshot_sync (machine, name, &path, NULL, &error);
  g_assert_no_error (error);
  return snapshot_at (env, path);
}

static void
revert_ok (HangarSnapshot *snapshot)
{
  g_autoptr(GError) error = NULL;

  hangar_snapshot_call_revert_sync (snapshot, g_variant_new ("a{sv}", NULL), NULL, &error);
  g_assert_no_error (error);
}

static void
delete_ok (HangarSnapshot *snapshot,
           gboolean        children)
{
  g_autoptr(GError) error = NULL;
  GVariantBuilder options;

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (children)
    g_variant_builder_add (&options, "{sv}", "children", g_variant_new_boolean (TRUE));
  hangar_snapshot_call_delete_sync (snapshot, g_variant_builder_end (&options), NULL, &error);
  g_assert_no_error (error);
}

/* The name of the snapshot at `path`, or "/" for "/". */
static char *
name_at (HangarTestEnv *env,
         const char    *path)
{
  g_autoptr(HangarSnapshot) snapshot = NULL;

  if (g_strcmp0 (path, "/") == 0)
    return g_strdup ("/");
  snapshot = snapshot_at (env, path);
  return g_strdup (hangar_snapshot_get_name (snapshot));
}

static void
assert_parent (HangarTestEnv *env,
               HangarMachine *machine,
               const char    *name,
               const char    *parent)
{
  g_autoptr(HangarSnapshot) snapshot = lookup (env, machine, name);
  g_autofree char *actual = name_at (env, hangar_snapshot_get_parent (snapshot));

  g_assert_cmpstr (actual, ==, parent);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* The names of the children of `name`, sorted, joined by ",". */
static char *
children_of (HangarTestEnv *env,
             HangarMachine *machine,
             const char    *name)
{
  g_autoptr(HangarSnapshot) snapshot = lookup (env, machine, name);
  const char * const *paths = hangar_snapshot_get_children (snapshot);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    g_ptr_array_add (names, name_at (env, paths[i]));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (",", (char **) names->pdata);
}

static char *
current_of (HangarTestEnv *env,
            HangarMachine *machine)
{
  g_autoptr(HangarMachine) fresh = fresh_machine (env, machine);

  return name_at (env, hangar_machine_get_current_snapshot (fresh));
}

static guint
count_snapshots (HangarTestEnv *env,
                 HangarMachine *machine)
{
  g_autoptr(HangarMachine) fresh = fresh_machine (env, machine);
  const char * const *paths = hangar_machine_get_snapshots (fresh);

  return paths != NULL ? g_strv_length ((char **) paths) : 0;
}

/* ---- a running machine, with its memory ----------------------------------- */

static void
test_running_memory (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *disk = make_disk (env, "disk.qcow2", "qcow2");
  g_autoptr(HangarMachine) machine = define_guest (env, "vm", disk, "qcow2");
  g_autoptr(HangarMachine) now = NULL;
  g_autoptr(HangarSnapshot) snapshot = NULL;
  g_autofree char *path = NULL;
  g_autofree char *answer = NULL;
  g_autoptr(GError) error = NULL;
  int fd;

  start_guest (machine);
  fd = hangar_test_open_serial_fd (machine);
  g_free (shell (fd, "HANGAR_MEM=before; echo SET-$((1+1))", "SET-2"));
  guest_write_mark (fd, "MARK-A");
  guest_assert_mark (fd, "MARK-A");

  /* Taken while it runs: with the memory, current, a root. */
  path = create_snapshot (machine, "before", "with mark A", FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (path, g_dbus_proxy_get_object_path (G_DBUS_PROXY (machine))));
  snapshot = snapshot_at (env, path);
  g_assert_cmpstr (hangar_snapshot_get_name (snapshot), ==, "before");
  g_assert_cmpstr (hangar_snapshot_get_description (snapshot), ==, "with mark A");
  g_assert_cmpstr (hangar_snapshot_get_state (snapshot), ==, "running");
  g_assert_true (hangar_snapshot_get_has_memory (snapshot));
  g_assert_cmpstr (hangar_snapshot_get_parent (snapshot), ==, "/");
  g_assert_cmpuint (g_strv_length ((char **) hangar_snapshot_get_children (snapshot)), ==, 0);
  g_assert_true (hangar_snapshot_get_is_current (snapshot));
  g_assert_cmpstr (hangar_snapshot_get_machine (snapshot), ==,
                   g_dbus_proxy_get_object_path (G_DBUS_PROXY (machine)));
  g_assert_cmpuint (hangar_snapshot_get_creation_time (snapshot), >, 0);
  now = fresh_machine (env, machine);
  g_assert_cmpstr (hangar_machine_get_current_snapshot (now), ==, path);
  g_assert_cmpuint (g_strv_length ((char **) hangar_machine_get_snapshots (now)), ==, 1);
  g_assert_cmpstr (hangar_machine_get_state (now), ==, "running");
  g_assert_true (image_has_snapshot (disk, "before"));

  /* The guest goes on: a new mark, a new shell variable. */
  g_free (shell (fd, "HANGAR_MEM=after; echo SET-$((2+2))", "SET-4"));
  guest_write_mark (fd, "MARK-B");
  guest_assert_mark (fd, "MARK-B");

  /* Back to the snapshot: the guest continues from then, disk and memory. */
  revert_ok (snapshot);
  g_assert_true (hangar_test_wait_for_state (machine, "running", STATE_TIMEOUT_S));
  guest_assert_mark (fd, "MARK-A");
  answer = shell (fd, "echo \"MEM=[$HANGAR_MEM]\"", "]\r\n");
  g_assert_nonnull (strstr (answer, "MEM=[before]"));
  g_clear_object (&snapshot);
  snapshot = snapshot_at (env, path);
  g_assert_true (hangar_snapshot_get_is_current (snapshot));

  /* Deleted while it runs: from the disk and from the engine. */
  delete_ok (snapshot, FALSE);
  g_assert_false (image_has_snapshot (disk, "before"));
  g_assert_cmpuint (count_snapshots (env, machine), ==, 0);
  g_clear_object (&now);
  now = fresh_machine (env, machine);
  g_assert_cmpstr (hangar_machine_get_current_snapshot (now), ==, "/");
  hangar_machine_call_lookup_snapshot_sync (now, "before", NULL, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_NOT_FOUND, "before");
  g_clear_error (&error);

  /* A paused machine: its snapshot says so, and a revert keeps it paused. */
  hangar_machine_call_pause_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "paused", STATE_TIMEOUT_S));
  g_free (path);
  path = create_ok (machine, "paused", FALSE);
  g_clear_object (&snapshot);
  snapshot = snapshot_at (env, path);
  g_assert_cmpstr (hangar_snapshot_get_state (snapshot), ==, "paused");
  hangar_machine_call_resume_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "running", STATE_TIMEOUT_S));
  revert_ok (snapshot);
  g_assert_true (hangar_test_wait_for_state (machine, "paused", STATE_TIMEOUT_S));

  /* With the machine off, a memory snapshot starts it again from then. */
  force_off (machine);
  close (fd);
  revert_ok (snapshot);
  g_assert_true (hangar_test_wait_for_state (machine, "paused", STATE_TIMEOUT_S));
  hangar_machine_call_resume_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "running", STATE_TIMEOUT_S));
  fd = hangar_test_open_serial_fd (machine);
  guest_assert_mark (fd, "MARK-A");
  g_clear_pointer (&answer, g_free);
  answer = shell (fd, "echo \"MEM=[$HANGAR_MEM]\"", "]\r\n");
  g_assert_nonnull (strstr (answer, "MEM=[before]"));
  close (fd);

  g_assert_true (hangar_test_env_engine_alive (env));
  hangar_test_env_free (env);
}

/* ---- disks only ----------------------------------------------------------- */

static void
test_disk_only (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *disk = make_disk (env, "disk.qcow2", "qcow2");
  g_autoptr(HangarMachine) machine = define_guest (env, "vm", disk, "qcow2");
  g_autoptr(HangarSnapshot) snapshot = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  int fd;

  start_guest (machine);
  fd = hangar_test_open_serial_fd (machine);
  guest_write_mark (fd, "MARK-A");

  path = create_ok (machine, "disks", TRUE);
  snapshot = snapshot_at (env, path);
  g_assert_cmpstr (hangar_snapshot_get_state (snapshot), ==, "disk-snapshot");
  g_assert_false (hangar_snapshot_get_has_memory (snapshot));
  g_assert_true (image_has_snapshot (disk, "disks"));
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "running");

  guest_write_mark (fd, "MARK-B");

  /* Disks alone cannot be put under a running guest. */
  hangar_snapshot_call_revert_sync (snapshot, g_variant_new ("a{sv}", NULL), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "shut");
  g_clear_error (&error);
  guest_assert_mark (fd, "MARK-B");

  /* Shut off, reverted, booted again: the first mark is back. */
  close (fd);
  force_off (machine);
  revert_ok (snapshot);
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "shutoff");
  start_guest (machine);
  fd = hangar_test_open_serial_fd (machine);
  guest_assert_mark (fd, "MARK-A");
  close (fd);

  g_assert_true (hangar_test_env_engine_alive (env));
  hangar_test_env_free (env);
}

/* ---- a shut-off machine: qemu-img, the tree, an engine restart ------------ */

static void
test_offline_tree (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *disk = make_disk (env, "disk.qcow2", "qcow2");
  g_autoptr(HangarMachine) machine = define_guest (env, "vm", disk, "qcow2");
  g_autoptr(HangarSnapshot) snapshot = NULL;
  g_autofree char *path = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  /* s0 → s1 → s2, taken by qemu-img on the shut-off machine. */
  image_write_pattern (disk, 0x40);
  g_free (create_ok (machine, "s0", FALSE));
  image_write_pattern (disk, 0x41);
  path = create_ok (machine, "s1", FALSE);
  snapshot = snapshot_at (env, path);
  g_assert_cmpstr (hangar_snapshot_get_state (snapshot), ==, "shutoff");
  g_assert_false (hangar_snapshot_get_has_memory (snapshot));
  g_assert_true (image_has_snapshot (disk, "s0"));
  g_assert_true (image_has_snapshot (disk, "s1"));
  image_write_pattern (disk, 0x42);
  g_free (create_ok (machine, "s2", FALSE));
  assert_parent (env, machine, "s1", "s0");
  assert_parent (env, machine, "s2", "s1");
  g_assert_true (image_has_pattern (disk, 0x42));

  /* Back to s1: its data, and it is current. */
  revert_ok (snapshot);
  g_assert_true (image_has_pattern (disk, 0x41));
  g_assert_false (image_has_pattern (disk, 0x42));
  text = current_of (env, machine);
  g_assert_cmpstr (text, ==, "s1");
  g_clear_pointer (&text, g_free);

  /* A new snapshot now is s1's second child. */
  image_write_pattern (disk, 0x43);
  g_free (create_ok (machine, "s3", FALSE));
  text = children_of (env, machine, "s1");
  g_assert_cmpstr (text, ==, "s2,s3");
  g_clear_pointer (&text, g_free);

  /* The records: libvirt's <domainsnapshot> with the definition then. */
  g_clear_object (&snapshot);
  snapshot = lookup (env, machine, "s2");
  hangar_snapshot_call_get_xml_sync (snapshot, &xml, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, "<domainsnapshot>"));
  g_assert_nonnull (strstr (xml, "<name>s2</name>"));
  g_assert_nonnull (strstr (xml, "<state>shutoff</state>"));
  g_assert_nonnull (strstr (xml, "<name>s1</name>"));
  g_assert_nonnull (strstr (xml, "<memory snapshot=\"no\"/>"));
  g_assert_nonnull (strstr (xml, "<disk name=\"vda\" snapshot=\"internal\"/>"));
  g_assert_nonnull (strstr (xml, "<domain type=\"kvm\">"));
  g_assert_nonnull (strstr (xml, "<creationTime>"));

  /* The engine dies and comes back: the tree and the current one stay. */
  g_clear_object (&snapshot);
  g_clear_object (&machine);
  hangar_test_env_kill_engine (env, SIGKILL);
  hangar_test_env_start_engine (env);
  machine = hangar_test_env_lookup (env, "vm");
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (machine), CALL_TIMEOUT_MSEC);
  g_assert_cmpuint (count_snapshots (env, machine), ==, 4);
  assert_parent (env, machine, "s0", "/");
  assert_parent (env, machine, "s1", "s0");
  assert_parent (env, machine, "s2", "s1");
  assert_parent (env, machine, "s3", "s1");
  text = current_of (env, machine);
  g_assert_cmpstr (text, ==, "s3");
  g_clear_pointer (&text, g_free);
  snapshot = lookup (env, machine, "s3");
  g_assert_true (hangar_snapshot_get_is_current (snapshot));
  g_clear_object (&snapshot);

  /* Deleting s1, in the middle: its children move up to s0, as in libvirt. */
  snapshot = lookup (env, machine, "s1");
  delete_ok (snapshot, FALSE);
  g_clear_object (&snapshot);
  g_assert_false (image_has_snapshot (disk, "s1"));
  g_assert_true (image_has_snapshot (disk, "s2"));
  assert_parent (env, machine, "s2", "s0");
  assert_parent (env, machine, "s3", "s0");
  text = children_of (env, machine, "s0");
  g_assert_cmpstr (text, ==, "s2,s3");
  g_clear_pointer (&text, g_free);
  g_assert_true (image_has_pattern (disk, 0x43));

  /* A subtree: s3 and its child s4 go, the current one moves up to s0. */
  g_free (create_ok (machine, "s4", FALSE));
  assert_parent (env, machine, "s4", "s3");
  snapshot = lookup (env, machine, "s3");
  delete_ok (snapshot, TRUE);
  g_clear_object (&snapshot);
  g_assert_cmpuint (count_snapshots (env, machine), ==, 2);
  g_assert_false (image_has_snapshot (disk, "s3"));
  g_assert_false (image_has_snapshot (disk, "s4"));
  text = current_of (env, machine);
  g_assert_cmpstr (text, ==, "s0");
  g_clear_pointer (&text, g_free);

  /* And what survives still reverts. */
  snapshot = lookup (env, machine, "s2");
  revert_ok (snapshot);
  g_assert_true (image_has_pattern (disk, 0x42));
  g_clear_object (&snapshot);
  snapshot = lookup (env, machine, "s0");
  revert_ok (snapshot);
  g_assert_true (image_has_pattern (disk, 0x40));

  g_assert_true (hangar_test_env_engine_alive (env));
  hangar_test_env_free (env);
}

/* ---- bad input ------------------------------------------------------------ */

static void
assert_create_fails (HangarMachine *machine,
                     const char    *name,
                     const char    *description,
                     GVariant      *options,
                     int            code,
                     const char    *needle)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  hangar_machine_call_create_snapshot_sync (machine, name, description,
                                            options ? options : g_variant_new ("a{sv}", NULL),
                                            &path, NULL, &error);
  hangar_assert_engine_error (error, code, needle);
}

static GVariant *
one_option (const char *key,
            GVariant   *value)
{
  GVariantBuilder options;

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", key, value);
  return g_variant_builder_end (&options);
}

typedef struct {
  gboolean  done;
  GError   *error;
} Race;

static void
on_racing_create (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Race *race = user_data;
  g_autofree char *path = NULL;

  hangar_machine_call_create_snapshot_finish (HANGAR_MACHINE (source), &path, result, &race->error);
  race->done = TRUE;
}

static gboolean
both_done (gpointer data)
{
  Race *races = data;

  return races[0].done && races[1].done;
}

static void
test_bad_input (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *disk = make_disk (env, "disk.qcow2", "qcow2");
  g_autofree char *raw = make_disk (env, "raw.img", "raw");
  g_autoptr(HangarMachine) machine = define_guest (env, "vm", disk, "qcow2");
  g_autoptr(HangarMachine) raw_machine = define_guest (env, "rawvm", raw, "raw");
  g_autoptr(HangarMachine) diskless = define_guest (env, "diskless", NULL, NULL);
  g_autoptr(HangarSnapshot) snapshot = NULL;
  g_autofree char *path = NULL;
  g_autofree char *records = NULL;
  g_autoptr(GError) error = NULL;
  Race races[2] = { { FALSE, NULL }, { FALSE, NULL } };

  /* Names. */
  assert_create_fails (machine, "", "", NULL, HANGAR_ERROR_INVALID_ARGUMENT, "empty");
  assert_create_fails (machine, "a/b", "", NULL, HANGAR_ERROR_INVALID_ARGUMENT, "'/'");
  assert_create_fails (machine, "123", "", NULL, HANGAR_ERROR_INVALID_ARGUMENT, "digits");
  assert_create_fails (machine, "-x", "", NULL, HANGAR_ERROR_INVALID_ARGUMENT, "-x");
  assert_create_fails (machine, ".hidden", "", NULL, HANGAR_ERROR_INVALID_ARGUMENT, ".hidden");
  assert_create_fails (machine, "line\nbreak", "", NULL, HANGAR_ERROR_INVALID_ARGUMENT, "control");
  assert_create_fails (machine, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "", NULL,
                       HANGAR_ERROR_INVALID_ARGUMENT, "65 bytes");
  /* Descriptions and options. */
  assert_create_fails (machine, "ok", "bell\a", NULL, HANGAR_ERROR_INVALID_ARGUMENT, "control");
  assert_create_fails (machine, "ok", "", one_option ("bogus", g_variant_new_boolean (TRUE)),
                       HANGAR_ERROR_INVALID_ARGUMENT, "bogus");
  assert_create_fails (machine, "ok", "", one_option ("disk-only", g_variant_new_string ("yes")),
                       HANGAR_ERROR_INVALID_ARGUMENT, "boolean");
  /* Disks: raw refused naming it; none at all. */
  assert_create_fails (raw_machine, "ok", "", NULL, HANGAR_ERROR_UNSUPPORTED, raw);
  assert_create_fails (raw_machine, "ok", "", NULL, HANGAR_ERROR_UNSUPPORTED, "vda");
  assert_create_fails (diskless, "ok", "", NULL, HANGAR_ERROR_UNSUPPORTED, "no disk");
  g_assert_cmpuint (count_snapshots (env, raw_machine), ==, 0);

  /* Duplicates. */
  path = create_ok (machine, "ok", FALSE);
  assert_create_fails (machine, "ok", "", NULL, HANGAR_ERROR_ALREADY_EXISTS, "ok");
  /* An internal snapshot by that name made behind the engine's back. */
  {
    const char *argv[] = { "qemu-img", "snapshot", "-c", "foreign", disk, NULL };

    run_tool (argv, NULL);
  }
  assert_create_fails (machine, "foreign", "", NULL, HANGAR_ERROR_ALREADY_EXISTS, "foreign");

  /* Lookups. */
  hangar_machine_call_lookup_snapshot_sync (machine, "nosuch", NULL, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_NOT_FOUND, "nosuch");
  g_clear_error (&error);
  hangar_machine_call_lookup_snapshot_sync (machine, "", NULL, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_ARGUMENT, "name");
  g_clear_error (&error);

  /* Revert and Delete options. */
  snapshot = snapshot_at (env, path);
  hangar_snapshot_call_revert_sync (snapshot, one_option ("force", g_variant_new_boolean (TRUE)), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_ARGUMENT, "force");
  g_clear_error (&error);
  hangar_snapshot_call_delete_sync (snapshot, one_option ("children", g_variant_new_uint32 (1)), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_ARGUMENT, "boolean");
  g_clear_error (&error);

  /* One operation at a time: the second of two at once is refused. */
  hangar_machine_call_create_snapshot (machine, "race1", "", g_variant_new ("a{sv}", NULL), NULL,
                                       on_racing_create, &races[0]);
  hangar_machine_call_create_snapshot (machine, "race2", "", g_variant_new ("a{sv}", NULL), NULL,
                                       on_racing_create, &races[1]);
  g_assert_true (hangar_test_wait_until (both_done, races, REPLY_TIMEOUT_S));
  g_assert_no_error (races[0].error);
  hangar_assert_engine_error (races[1].error, HANGAR_ERROR_INVALID_STATE, "under way");
  g_clear_error (&races[1].error);
  g_assert_cmpuint (count_snapshots (env, machine), ==, 2);

  /* Undefine keeps a machine with snapshots unless told. */
  hangar_machine_call_undefine_sync (machine, g_variant_new ("a{sv}", NULL), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "snapshots-metadata");
  g_clear_error (&error);
  g_assert_cmpuint (count_snapshots (env, machine), ==, 2);
  g_assert_true (image_has_snapshot (disk, "ok"));
  records = g_build_filename (env->root, "config", "snapshots",
                              hangar_machine_get_uuid (machine), NULL);
  g_assert_true (g_file_test (records, G_FILE_TEST_IS_DIR));

  /* Nothing was lost on the way: the snapshot still reverts. */
  revert_ok (snapshot);

  hangar_machine_call_undefine_sync (machine, one_option ("snapshots-metadata", g_variant_new_boolean (TRUE)),
                                     NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (records, G_FILE_TEST_EXISTS));
  /* The records go, the snapshots inside the image stay (as with virsh). */
  g_assert_true (image_has_snapshot (disk, "ok"));
  hangar_snapshot_call_get_xml_sync (snapshot, NULL, NULL, &error);
  g_assert_nonnull (error);
  g_clear_error (&error);

  g_assert_true (hangar_test_env_engine_alive (env));
  hangar_test_env_free (env);
}

/* ---- hangarctl ------------------------------------------------------------ */

static void
test_hangarctl (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *disk = make_disk (env, "disk.qcow2", "qcow2");
  g_autoptr(HangarMachine) machine = define_guest (env, "vm", disk, "qcow2");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  hangar_test_ctl_ok (env, &out, "snapshot-create-as", "vm", "first", "--description", "The first one", NULL);
  hangar_assert_has_line (out, "Domain snapshot first created");
  hangar_test_ctl_ok (env, &out, "snapshot-create-as", "vm", "second", "--disk-only", NULL);
  hangar_test_ctl_ok (env, &out, "snapshot-create-as", "vm", "third", NULL);
  g_assert_true (image_has_snapshot (disk, "first"));

  hangar_test_ctl_ok (env, &out, "snapshot-list", "vm", NULL);
  g_assert_true (g_str_has_prefix (out, " Name "));
  g_assert_nonnull (strstr (out, " first "));
  g_assert_nonnull (strstr (out, " second "));
  g_assert_nonnull (strstr (out, "shutoff"));
  hangar_test_ctl_ok (env, &out, "snapshot-list", "vm", "--parent", NULL);
  g_assert_nonnull (strstr (out, "Parent"));
  hangar_test_ctl_ok (env, &out, "snapshot-list", "vm", "--tree", NULL);
  g_assert_cmpstr (out, ==,
                   "first\n"
                   "  |\n"
                   "  +- second\n"
                   "      |\n"
                   "      +- third\n");

  hangar_test_ctl_ok (env, &out, "snapshot-info", "vm", "second", NULL);
  hangar_assert_has_line (out, "Name:           second");
  hangar_assert_has_line (out, "Domain:         vm");
  hangar_assert_has_line (out, "Current:        no");
  hangar_assert_has_line (out, "State:          shutoff");
  hangar_assert_has_line (out, "Parent:         first");
  hangar_assert_has_line (out, "Children:       1");
  hangar_assert_has_line (out, "Descendants:    1");

  hangar_test_ctl_ok (env, &out, "snapshot-current", "vm", "--name", NULL);
  g_assert_cmpstr (out, ==, "third\n");
  hangar_test_ctl_ok (env, &out, "snapshot-dumpxml", "vm", "first", NULL);
  g_assert_true (g_str_has_prefix (out, "<domainsnapshot>"));
  g_assert_nonnull (strstr (out, "<description>The first one</description>"));
  g_assert_nonnull (strstr (out, "<domain type=\"kvm\">"));

  /* Revert is silent, as in virsh; the current one follows. */
  hangar_test_ctl_ok (env, &out, "snapshot-revert", "vm", "first", NULL);
  g_assert_cmpstr (out, ==, "");
  hangar_test_ctl_ok (env, &out, "snapshot-current", "vm", "--name", NULL);
  g_assert_cmpstr (out, ==, "first\n");

  hangar_test_ctl_ok (env, &out, "snapshot-delete", "vm", "second", NULL);
  hangar_assert_has_line (out, "Domain snapshot second deleted");
  hangar_test_ctl_ok (env, &out, "snapshot-info", "vm", "third", NULL);
  hangar_assert_has_line (out, "Parent:         first");
  g_assert_false (image_has_snapshot (disk, "second"));

  /* Errors: one line each, the engine's words. */
  status = hangar_test_ctl (env, &out, &err, "snapshot-revert", "vm", "nosuch", NULL);
  hangar_assert_ctl_error (status, err, "no snapshot named 'nosuch'");
  status = hangar_test_ctl (env, &out, &err, "snapshot-delete", "vm", "nosuch", NULL);
  hangar_assert_ctl_error (status, err, "nosuch");
  status = hangar_test_ctl (env, &out, &err, "snapshot-create-as", "vm", "42", NULL);
  hangar_assert_ctl_error (status, err, "digits");
  status = hangar_test_ctl (env, &out, &err, "snapshot-create-as", "vm", "first", NULL);
  hangar_assert_ctl_error (status, err, "already has a snapshot named 'first'");
  status = hangar_test_ctl (env, &out, &err, "snapshot-info", "nosuchvm", "first", NULL);
  hangar_assert_ctl_error (status, err, "nosuchvm");
  status = hangar_test_ctl (env, &out, &err, "snapshot-create-as", "vm", NULL);
  hangar_assert_ctl_error (status, err, "usage");

  /* Undefine wants --snapshots-metadata, as virsh does. */
  status = hangar_test_ctl (env, &out, &err, "undefine", "vm", NULL);
  hangar_assert_ctl_error (status, err, "snapshots-metadata");
  hangar_test_ctl_ok (env, &out, "snapshot-delete", "vm", "first", "--children", NULL);
  hangar_assert_has_line (out, "Domain snapshot first and its descendants deleted");
  hangar_test_ctl_ok (env, &out, "snapshot-list", "vm", NULL);
  g_assert_cmpuint (g_strv_length (g_strsplit (out, "\n", -1)), <=, 4);
  status = hangar_test_ctl (env, &out, &err, "snapshot-current", "vm", NULL);
  hangar_assert_ctl_error (status, err, "no current snapshot");
  hangar_test_ctl_ok (env, &out, "snapshot-create-as", "vm", "again", NULL);
  hangar_test_ctl_ok (env, &out, "undefine", "vm", "--snapshots-metadata", NULL);
  hangar_assert_has_line (out, "Domain 'vm' has been undefined");

  g_assert_true (hangar_test_env_engine_alive (env));
  hangar_test_env_free (env);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/snapshot/bad-input", test_bad_input);
  g_test_add_func ("/snapshot/offline-tree", test_offline_tree);
  g_test_add_func ("/snapshot/hangarctl", test_hangarctl);
  g_test_add_func ("/snapshot/running-memory", test_running_memory);
  g_test_add_func ("/snapshot/disk-only", test_disk_only);
  return g_test_run ();
}
