/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-hangarctl-storage"

/* The storage tutorial through the real hangarctl against the real hangard
 * on a private bus: pools and volumes with virsh's pool-* and vol-* verbs,
 * a machine booted from volumes, the progress bar on a terminal and Ctrl+C
 * cancelling a job. What a user types, what they read. */

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hangar-test-env.h"

#define POOL "vmdisk"
#define MIB (1024 * 1024)
#define BIG_MIB 512                /* the progress bar's copy, at first */
#define MAX_BIG_MIB 2048
#define SURE_TO_SHOW_MS 1500       /* a job this long shows the bar (drawn after 500 ms) */
#define LONGER_THAN_SHOW_MS 700    /* a wait after which a terminal would have the bar */
#define BOOT_TIMEOUT_S 90
#define CHILD_TIMEOUT_S 60
#define POLL_INTERVAL_MS 300
#define BOOT_MARKER "HANGAR-GUEST-BOOTED"
#define MACHINE "storage-guest"

/* ---- Output --------------------------------------------------------------- */

/* A "Label:  value" line as pool-info and vol-info lay them out ("%-15s %s"). */
#define assert_field(text, label, value) \
  G_STMT_START { \
    g_autofree char *field_line_ = g_strdup_printf ("%-15s %s", (label), (value)); \
    hangar_assert_has_line ((text), field_line_); \
  } G_STMT_END

/* The value after `label` in a "Label:  value" listing, or NULL. */
static char *
field_value (const char *text,
             const char *label)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], label))
        return g_strstrip (g_strdup (lines[i] + strlen (label)));
    }
  return NULL;
}

/* "20.00 MiB", as virsh prints sizes. */
static gboolean
is_pretty_size (const char *text)
{
  return text != NULL &&
         g_regex_match_simple ("^[0-9]+\\.[0-9]{2} (B|KiB|MiB|GiB|TiB|PiB|EiB)$", text, 0, 0);
}

static guint64
parse_number (const char *text)
{
  guint64 value = 0;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &value, NULL))
    g_error ("'%s' is not a number", text);
  return value;
}

/* A table as hangarctl prints it, like virsh: a header, dashes, rows; one
 * space before, three between columns, the last one not padded. `cells`
 * holds the header then the rows, `n_columns` a row, NULL-terminated. */
static char *
virsh_table (guint              n_columns,
             const char * const *cells)
{
  g_autofree gsize *widths = g_new0 (gsize, n_columns);
  GString *table = g_string_new (NULL);
  gsize n_cells = g_strv_length ((char **) cells);
  gsize dashes = 3;

  g_assert_cmpuint (n_cells % n_columns, ==, 0);
  for (gsize i = 0; i < n_cells; i++)
    widths[i % n_columns] = MAX (widths[i % n_columns], strlen (cells[i]));
  for (guint c = 0; c < n_columns; c++)
    dashes += widths[c] + (c > 0 ? 3 : 0);

  for (gsize i = 0; i < n_cells; i++)
    {
      guint column = i % n_columns;

      if (column == n_columns - 1)
        g_string_append_printf (table, "%s\n", cells[i]);
      else
        g_string_append_printf (table, "%s%-*s   ", column == 0 ? " " : "",
                                (int) widths[column], cells[i]);
      if (i == n_columns - 1)
        {
          for (gsize d = 0; d < dashes; d++)
            g_string_append_c (table, '-');
          g_string_append_c (table, '\n');
        }
    }
  return g_string_free (table, FALSE);
}

/* The row of a table whose first column is `name`, split at blanks. */
static char **
table_row (const char *table,
           const char *name)
{
  g_auto(GStrv) lines = g_strsplit (table, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
      g_autoptr(GStrvBuilder) row = g_strv_builder_new ();

      if (g_strcmp0 (words[0], name) != 0)
        continue;
      for (guint w = 0; words[w] != NULL; w++)
        if (*words[w] != '\0')
          g_strv_builder_add (row, words[w]);
      return g_strv_builder_end (row);
    }
  g_error ("no row '%s' in:\n%s", name, table);
}

/* A size column pair of a --details row ("20.00", "MiB") as one string. */
static char *
row_size (char  **row,
          guint   index)
{
  g_assert_cmpuint (g_strv_length (row), >, index + 1);
  return g_strdup_printf ("%s %s", row[index], row[index + 1]);
}

/* ---- Files ---------------------------------------------------------------- */

static char *
tmp_path (HangarTestEnv *env,
          const char    *name)
{
  return g_build_filename (env->tmpdir, name, NULL);
}

static char *
write_tmp_file (HangarTestEnv *env,
                const char    *name,
                const char    *contents)
{
  char *path = tmp_path (env, name);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The names in `dir`, sorted, joined by spaces ("" when it is empty). */
static char *
dir_listing (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (handle);
  while ((name = g_dir_read_name (handle)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

#define assert_dir_listing(dir, expected) \
  G_STMT_START { \
    g_autofree char *listing_ = dir_listing (dir); \
    g_assert_cmpstr (listing_, ==, (expected)); \
  } G_STMT_END

static const char *
test_iso (void)
{
  static char *path;

  if (path == NULL)
    path = g_build_filename (g_getenv ("HANGAR_TEST_GUEST_DIR"), "test-guest.iso", NULL);
  return path;
}

static void
run_command (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

/* `len` bytes of something other than zeros at the start of `path`, so that
 * a copy has to move them all. */
static void
fill_file (const char *path,
           gsize       len)
{
  g_autofree char *chunk = g_malloc (MIB);
  int fd = open (path, O_WRONLY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  for (gsize done = 0; done < len; done += MIB)
    {
      memset (chunk, (int) (0x11 + done / MIB % 0xe0), MIB);
      g_assert_cmpint (write (fd, chunk, MIB), ==, MIB);
    }
  g_assert_cmpint (close (fd), ==, 0);
}

/* ---- Pools ---------------------------------------------------------------- */

/* The tutorial's first steps: mkdir, define, build, start. Returns the
 * pool's directory. */
static char *
make_pool (HangarTestEnv *env)
{
  char *dir = tmp_path (env, POOL);
  g_autofree char *out = NULL;

  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
  hangar_test_ctl_ok (env, &out, "pool-define-as", POOL, "--type", "dir", "--target", dir, NULL);
  g_assert_cmpstr (out, ==, "Pool " POOL " defined\n");
  hangar_test_ctl_ok (env, &out, "pool-build", POOL, NULL);
  g_assert_cmpstr (out, ==, "Pool " POOL " built\n");
  hangar_test_ctl_ok (env, &out, "pool-start", POOL, NULL);
  g_assert_cmpstr (out, ==, "Pool " POOL " started\n");
  return dir;
}

static void
create_volume (HangarTestEnv *env,
               const char    *name,
               const char    *size,
               const char    *format)
{
  g_autofree char *out = NULL;
  g_autofree char *expected = g_strdup_printf ("Vol %s created\n", name);

  hangar_test_ctl_ok (env, &out, "vol-create-as", POOL, name, size, "--format", format, NULL);
  g_assert_cmpstr (out, ==, expected);
}

static void
upload_iso (HangarTestEnv *env,
            const char    *name)
{
  g_autofree char *out = NULL;
  g_autofree char *expected = g_strdup_printf ("Vol %s created from %s\n", name, test_iso ());

  hangar_test_ctl_ok (env, &out, "vol-upload", POOL, name, test_iso (), NULL);
  g_assert_cmpstr (out, ==, expected);
}

/* define-as, build, start, autostart, the lists, info, dumpxml, uuid and
 * name, define from a file, destroy and undefine with and without the
 * directory. */
static void
test_pools (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *dir = tmp_path (env, POOL);
  g_autofree char *isos_dir = tmp_path (env, "isos");
  g_autofree char *escaped_isos_dir = g_markup_escape_text (isos_dir, -1);
  g_autofree char *isos_xml = g_strdup_printf ("<pool type='dir'>\n"
                                               "  <name>isos</name>\n"
                                               "  <target><path>%s</path></target>\n"
                                               "</pool>\n", escaped_isos_dir);
  g_autofree char *isos_file = write_tmp_file (env, "isos.xml", isos_xml);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *dump = NULL;
  g_autofree char *dump_file = NULL;
  int status;

  /* Defined: inactive, so only --all and --inactive show it. */
  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
  hangar_test_ctl_ok (env, &out, "pool-define-as", POOL, "--type", "dir", "--target", dir, NULL);
  g_assert_cmpstr (out, ==, "Pool vmdisk defined\n");
  hangar_test_ctl_ok (env, &out, "pool-list", NULL);
  expected = virsh_table (3, (const char *[]) { "Name", "State", "Autostart",
                                                "default", "active", "yes", NULL });
  g_assert_cmpstr (out, ==, expected);
  g_free (expected);
  hangar_test_ctl_ok (env, &out, "pool-list", "--all", NULL);
  expected = virsh_table (3, (const char *[]) { "Name", "State", "Autostart",
                                                "default", "active", "yes",
                                                "vmdisk", "inactive", "no", NULL });
  g_assert_cmpstr (out, ==, expected);
  hangar_test_ctl_ok (env, &out, "pool-list", "--inactive", "--name", NULL);
  g_assert_cmpstr (out, ==, "vmdisk\n");
  hangar_test_ctl_ok (env, &out, "pool-info", POOL, NULL);
  assert_field (out, "State:", "inactive");
  g_assert_null (strstr (out, "Capacity:"));

  /* build (the directory exists: fine), start, autostart. */
  hangar_test_ctl_ok (env, &out, "pool-build", POOL, NULL);
  g_assert_cmpstr (out, ==, "Pool vmdisk built\n");
  hangar_test_ctl_ok (env, &out, "pool-start", POOL, NULL);
  g_assert_cmpstr (out, ==, "Pool vmdisk started\n");
  status = hangar_test_ctl (env, &out, &err, "pool-start", POOL, NULL);
  hangar_assert_ctl_error (status, err, "active");
  hangar_test_ctl_ok (env, &out, "pool-autostart", POOL, NULL);
  g_assert_cmpstr (out, ==, "Pool vmdisk marked as autostarted\n");

  g_free (expected);
  hangar_test_ctl_ok (env, &out, "pool-list", NULL);
  expected = virsh_table (3, (const char *[]) { "Name", "State", "Autostart",
                                                "default", "active", "yes",
                                                "vmdisk", "active", "yes", NULL });
  g_assert_cmpstr (out, ==, expected);
  hangar_test_ctl_ok (env, &out, "pool-list", "--all", "--details", NULL);
  {
    g_auto(GStrv) header = table_row (out, "Name");
    g_auto(GStrv) row = table_row (out, POOL);
    const char *columns[] = { "Name", "State", "Autostart", "Persistent", "Capacity",
                              "Allocation", "Available", NULL };

    g_assert_cmpstrv (header, columns);
    g_assert_cmpuint (g_strv_length (row), ==, 10);
    g_assert_cmpstr (row[1], ==, "running");
    g_assert_cmpstr (row[2], ==, "yes");
    g_assert_cmpstr (row[3], ==, "yes");
    for (guint i = 4; i < 10; i += 2)
      {
        g_autofree char *size = row_size (row, i);

        g_assert_true (is_pretty_size (size));
      }
  }

  /* pool-info: the facts, the sizes virsh's way and in bytes. */
  hangar_test_ctl_ok (env, &uuid, "pool-uuid", POOL, NULL);
  g_strchomp (uuid);
  g_assert_true (g_uuid_string_is_valid (uuid));
  hangar_test_ctl_ok (env, &out, "pool-info", POOL, NULL);
  g_assert_true (g_str_has_prefix (out, "Name:           vmdisk\n"));
  assert_field (out, "UUID:", uuid);
  assert_field (out, "State:", "running");
  assert_field (out, "Persistent:", "yes");
  assert_field (out, "Autostart:", "yes");
  {
    const char *labels[] = { "Capacity:", "Allocation:", "Available:" };

    for (gsize i = 0; i < G_N_ELEMENTS (labels); i++)
      {
        g_autofree char *size = field_value (out, labels[i]);

        g_assert_true (is_pretty_size (size));
      }
  }
  hangar_test_ctl_ok (env, &out, "pool-info", "--bytes", POOL, NULL);
  {
    g_autofree char *capacity = field_value (out, "Capacity:");
    g_autofree char *in_xml = NULL;

    g_assert_cmpuint (parse_number (capacity), >, 0);
    in_xml = g_strdup_printf ("<capacity unit=\"bytes\">%s</capacity>", capacity);
    hangar_test_ctl_ok (env, &dump, "pool-dumpxml", POOL, NULL);
    g_assert_nonnull (strstr (dump, in_xml));
  }

  /* pool-dumpxml, pool-uuid, pool-name. */
  g_assert_true (g_str_has_prefix (dump, "<pool type=\"dir\">\n  <name>vmdisk</name>\n"));
  g_free (expected);
  expected = g_strdup_printf ("<uuid>%s</uuid>", uuid);
  g_assert_nonnull (strstr (dump, expected));
  g_free (expected);
  expected = g_strdup_printf ("<path>%s</path>", dir);
  g_assert_nonnull (strstr (dump, expected));
  g_assert_true (g_str_has_suffix (dump, "</pool>\n"));
  hangar_test_ctl_ok (env, &out, "pool-name", uuid, NULL);
  g_assert_cmpstr (out, ==, "vmdisk\n");
  g_free (expected);
  hangar_test_ctl_ok (env, &out, "pool-uuid", uuid, NULL);
  expected = g_strdup_printf ("%s\n", uuid);
  g_assert_cmpstr (out, ==, expected);
  g_free (expected);
  hangar_test_ctl_ok (env, &out, "pool-list", "--uuid", "--name", NULL);
  expected = g_strdup_printf ("%-36s vmdisk", uuid);
  hangar_assert_has_line (out, expected);

  /* pool-define FILE: a new pool, which pool-build makes the directory of;
   * and the dumped document again, which keeps the pool as it is. */
  g_free (expected);
  hangar_test_ctl_ok (env, &out, "pool-define", isos_file, NULL);
  expected = g_strdup_printf ("Pool isos defined from %s\n", isos_file);
  g_assert_cmpstr (out, ==, expected);
  g_assert_false (g_file_test (isos_dir, G_FILE_TEST_EXISTS));
  hangar_test_ctl_ok (env, &out, "pool-build", "isos", NULL);
  g_assert_cmpstr (out, ==, "Pool isos built\n");
  g_assert_true (g_file_test (isos_dir, G_FILE_TEST_IS_DIR));
  hangar_test_ctl_ok (env, &out, "pool-start", "isos", NULL);
  g_assert_cmpstr (out, ==, "Pool isos started\n");

  dump_file = write_tmp_file (env, "vmdisk-dump.xml", dump);
  g_free (expected);
  hangar_test_ctl_ok (env, &out, "pool-define", dump_file, NULL);
  expected = g_strdup_printf ("Pool vmdisk defined from %s\n", dump_file);
  g_assert_cmpstr (out, ==, expected);
  g_free (expected);
  hangar_test_ctl_ok (env, &out, "pool-list", "--all", NULL);
  expected = virsh_table (3, (const char *[]) { "Name", "State", "Autostart",
                                                "default", "active", "yes",
                                                "isos", "active", "no",
                                                "vmdisk", "active", "yes", NULL });
  g_assert_cmpstr (out, ==, expected);
  hangar_test_ctl_ok (env, &out, "pool-autostart", "--disable", POOL, NULL);
  g_assert_cmpstr (out, ==, "Pool vmdisk unmarked as autostarted\n");
  hangar_test_ctl_ok (env, &out, "pool-list", "--autostart", "--name", NULL);
  g_assert_cmpstr (out, ==, "default\n");

  /* An active pool is not undefined; pool-destroy stops it, its files stay. */
  create_volume (env, "keep.img", "1M", "raw");
  status = hangar_test_ctl (env, &out, &err, "pool-undefine", POOL, NULL);
  hangar_assert_ctl_error (status, err, "active");
  hangar_test_ctl_ok (env, &out, "pool-destroy", POOL, NULL);
  g_assert_cmpstr (out, ==, "Pool vmdisk destroyed\n");
  status = hangar_test_ctl (env, &out, &err, "pool-destroy", POOL, NULL);
  hangar_assert_ctl_error (status, err, "not active");
  hangar_test_ctl_ok (env, &out, "pool-list", "--inactive", "--name", NULL);
  g_assert_cmpstr (out, ==, "vmdisk\n");
  assert_dir_listing (dir, "keep.img");

  /* The directory goes only with its volumes, when asked for both. */
  status = hangar_test_ctl (env, &out, &err, "pool-undefine", POOL, "--delete-directory", NULL);
  hangar_assert_ctl_error (status, err, "delete-volumes");
  g_assert_cmpstr (out, ==, "");
  status = hangar_test_ctl (env, &out, &err, "pool-undefine", POOL, "--delete-volumes", NULL);
  hangar_assert_ctl_error (status, err, "--delete-directory");
  assert_dir_listing (dir, "keep.img");
  hangar_test_ctl_ok (env, &out, "pool-undefine", POOL, "--delete-directory", "--delete-volumes", NULL);
  g_assert_cmpstr (out, ==, "Pool vmdisk has been undefined\n");
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  status = hangar_test_ctl (env, &out, &err, "pool-info", POOL, NULL);
  hangar_assert_ctl_error (status, err, "'vmdisk'");
  status = hangar_test_ctl (env, &out, &err, "pool-name", uuid, NULL);
  hangar_assert_ctl_error (status, err, uuid);

  /* Without options: the definition goes, the directory stays. */
  hangar_test_ctl_ok (env, &out, "pool-destroy", "isos", NULL);
  g_assert_cmpstr (out, ==, "Pool isos destroyed\n");
  hangar_test_ctl_ok (env, &out, "pool-undefine", "isos", NULL);
  g_assert_cmpstr (out, ==, "Pool isos has been undefined\n");
  g_assert_true (g_file_test (isos_dir, G_FILE_TEST_IS_DIR));
  g_free (expected);
  hangar_test_ctl_ok (env, &out, "pool-list", "--all", NULL);
  expected = virsh_table (3, (const char *[]) { "Name", "State", "Autostart",
                                                "default", "active", "yes", NULL });
  g_assert_cmpstr (out, ==, expected);

  hangar_test_env_free (env);
}

/* ---- Volumes -------------------------------------------------------------- */

/* vol-create-as (qcow2, preallocated raw), vol-list, vol-info, vol-path and
 * its kin, vol-dumpxml, vol-resize, vol-clone (full and linked),
 * vol-upload, vol-delete, and a file put in by hand that pool-refresh finds. */
static void
test_volumes (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *dir = make_pool (env);
  g_autofree char *disk = g_build_filename (dir, "disk.qcow2", NULL);
  g_autofree char *pre = g_build_filename (dir, "pre.img", NULL);
  g_autofree char *iso = g_build_filename (dir, "installer.iso", NULL);
  g_autofree char *copy = g_build_filename (dir, "copy.qcow2", NULL);
  g_autofree char *linked = g_build_filename (dir, "linked.qcow2", NULL);
  g_autofree char *by_hand = g_build_filename (dir, "byhand.qcow2", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;
  GStatBuf iso_stat;
  int status;

  create_volume (env, "disk.qcow2", "20M", "qcow2");
  hangar_test_ctl_ok (env, &out, "vol-create-as", POOL, "pre.img", "4M", "--format", "raw", "--prealloc", NULL);
  g_assert_cmpstr (out, ==, "Vol pre.img created\n");
  assert_dir_listing (dir, "disk.qcow2 pre.img");

  hangar_test_ctl_ok (env, &out, "vol-list", POOL, NULL);
  expected = virsh_table (2, (const char *[]) { "Name", "Path",
                                                "disk.qcow2", disk,
                                                "pre.img", pre, NULL });
  g_assert_cmpstr (out, ==, expected);
  hangar_test_ctl_ok (env, &out, "vol-list", POOL, "--details", NULL);
  {
    g_auto(GStrv) header = table_row (out, "Name");
    g_auto(GStrv) disk_row = table_row (out, "disk.qcow2");
    g_auto(GStrv) pre_row = table_row (out, "pre.img");
    g_autofree char *disk_capacity = row_size (disk_row, 3);
    g_autofree char *disk_allocation = row_size (disk_row, 5);
    const char *columns[] = { "Name", "Path", "Type", "Capacity", "Allocation", NULL };
    const char *pre_row_expected[] = { "pre.img", pre, "file", "4.00", "MiB", "4.00", "MiB", NULL };

    g_assert_cmpstrv (header, columns);
    g_assert_cmpuint (g_strv_length (disk_row), ==, 7);
    g_assert_cmpstr (disk_row[1], ==, disk);
    g_assert_cmpstr (disk_row[2], ==, "file");
    g_assert_cmpstr (disk_capacity, ==, "20.00 MiB");
    g_assert_true (is_pretty_size (disk_allocation));
    g_assert_cmpstrv (pre_row, pre_row_expected);
  }

  /* vol-info by name in the pool, and by path. */
  hangar_test_ctl_ok (env, &out, "vol-info", "disk.qcow2", "--pool", POOL, NULL);
  g_assert_true (g_str_has_prefix (out, "Name:           disk.qcow2\n"
                                        "Type:           file\n"
                                        "Capacity:       20.00 MiB\n"
                                        "Allocation:     "));
  {
    g_autofree char *by_path = NULL;

    hangar_test_ctl_ok (env, &by_path, "vol-info", disk, NULL);
    g_assert_cmpstr (by_path, ==, out);
  }
  hangar_test_ctl_ok (env, &out, "vol-info", "pre.img", "--pool", POOL, "--bytes", NULL);
  assert_field (out, "Capacity:", "4194304 bytes");
  {
    g_autofree char *allocation = field_value (out, "Allocation:");

    g_assert_true (g_str_has_suffix (allocation, " bytes"));
    allocation[strlen (allocation) - strlen (" bytes")] = '\0';
    g_assert_cmpuint (parse_number (allocation), >=, 4 * MIB);
  }

  /* vol-path, vol-key, vol-name, vol-pool. */
  g_free (expected);
  expected = g_strdup_printf ("%s\n", disk);
  hangar_test_ctl_ok (env, &out, "vol-path", "disk.qcow2", "--pool", POOL, NULL);
  g_assert_cmpstr (out, ==, expected);
  hangar_test_ctl_ok (env, &out, "vol-key", "disk.qcow2", "--pool", POOL, NULL);
  g_assert_cmpstr (out, ==, expected);
  hangar_test_ctl_ok (env, &out, "vol-name", disk, NULL);
  g_assert_cmpstr (out, ==, "disk.qcow2\n");
  hangar_test_ctl_ok (env, &out, "vol-pool", disk, NULL);
  g_assert_cmpstr (out, ==, "vmdisk\n");

  /* vol-dumpxml: libvirt's volume document. */
  hangar_test_ctl_ok (env, &out, "vol-dumpxml", "disk.qcow2", "--pool", POOL, NULL);
  g_assert_true (g_str_has_prefix (out, "<volume type=\"file\">\n  <name>disk.qcow2</name>\n"));
  g_free (expected);
  expected = g_strdup_printf ("<key>%s</key>", disk);
  g_assert_nonnull (strstr (out, expected));
  g_assert_nonnull (strstr (out, "<capacity unit=\"bytes\">20971520</capacity>"));
  g_assert_nonnull (strstr (out, "<format type=\"qcow2\"/>"));
  g_assert_null (strstr (out, "<backingStore>"));
  g_assert_true (g_str_has_suffix (out, "</volume>\n"));

  /* vol-resize grows; smaller needs --shrink. */
  hangar_test_ctl_ok (env, &out, "vol-resize", "disk.qcow2", "40M", "--pool", POOL, NULL);
  g_assert_cmpstr (out, ==, "Size of volume 'disk.qcow2' successfully changed to 40M\n");
  hangar_test_ctl_ok (env, &out, "vol-info", "disk.qcow2", "--pool", POOL, NULL);
  assert_field (out, "Capacity:", "40.00 MiB");
  status = hangar_test_ctl (env, &out, &err, "vol-resize", "disk.qcow2", "20M", "--pool", POOL, NULL);
  hangar_assert_ctl_error (status, err, "shrink");
  hangar_test_ctl_ok (env, &out, "vol-dumpxml", "disk.qcow2", "--pool", POOL, NULL);
  g_assert_nonnull (strstr (out, "<capacity unit=\"bytes\">41943040</capacity>"));

  /* vol-clone: a full copy, and a linked one backed by the original, which
   * then cannot go. */
  hangar_test_ctl_ok (env, &out, "vol-clone", "disk.qcow2", "copy.qcow2", "--pool", POOL, NULL);
  g_assert_cmpstr (out, ==, "Vol copy.qcow2 cloned from disk.qcow2\n");
  hangar_test_ctl_ok (env, &out, "vol-info", "copy.qcow2", "--pool", POOL, NULL);
  assert_field (out, "Capacity:", "40.00 MiB");
  hangar_test_ctl_ok (env, &out, "vol-dumpxml", "copy.qcow2", "--pool", POOL, NULL);
  g_assert_null (strstr (out, "<backingStore>"));
  hangar_test_ctl_ok (env, &out, "vol-clone", "disk.qcow2", "linked.qcow2", "--pool", POOL, "--linked", NULL);
  g_assert_cmpstr (out, ==, "Vol linked.qcow2 cloned from disk.qcow2\n");
  hangar_test_ctl_ok (env, &out, "vol-dumpxml", "linked.qcow2", "--pool", POOL, NULL);
  g_free (expected);
  expected = g_strdup_printf ("<backingStore>\n    <path>%s</path>", disk);
  g_assert_nonnull (strstr (out, expected));
  g_assert_nonnull (strstr (out, "<capacity unit=\"bytes\">41943040</capacity>"));
  status = hangar_test_ctl (env, &out, &err, "vol-delete", "disk.qcow2", "--pool", POOL, NULL);
  hangar_assert_ctl_error (status, err, "linked.qcow2");
  g_assert_true (g_file_test (disk, G_FILE_TEST_EXISTS));

  /* vol-upload: the installer ISO into the pool. */
  upload_iso (env, "installer.iso");
  g_assert_cmpint (g_stat (test_iso (), &iso_stat), ==, 0);
  hangar_test_ctl_ok (env, &out, "vol-info", "installer.iso", "--pool", POOL, "--bytes", NULL);
  g_free (expected);
  expected = g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", (guint64) iso_stat.st_size);
  assert_field (out, "Capacity:", expected);
  hangar_test_ctl_ok (env, &out, "vol-dumpxml", "installer.iso", "--pool", POOL, NULL);
  g_assert_nonnull (strstr (out, "<format type=\"iso\"/>"));
  {
    g_autofree char *original = NULL;
    g_autofree char *uploaded = NULL;
    gsize original_length, uploaded_length;

    g_assert_true (g_file_get_contents (test_iso (), &original, &original_length, NULL));
    g_assert_true (g_file_get_contents (iso, &uploaded, &uploaded_length, NULL));
    g_assert_cmpmem (uploaded, uploaded_length, original, original_length);
  }

  /* vol-delete, by name and by path. */
  hangar_test_ctl_ok (env, &out, "vol-delete", "linked.qcow2", "--pool", POOL, NULL);
  g_assert_cmpstr (out, ==, "Vol linked.qcow2 deleted\n");
  hangar_test_ctl_ok (env, &out, "vol-delete", copy, NULL);
  g_assert_cmpstr (out, ==, "Vol copy.qcow2 deleted\n");
  g_assert_false (g_file_test (linked, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (copy, G_FILE_TEST_EXISTS));
  status = hangar_test_ctl (env, &out, &err, "vol-info", "copy.qcow2", "--pool", POOL, NULL);
  hangar_assert_ctl_error (status, err, "copy.qcow2");

  /* An image put into the directory by hand: pool-refresh finds it. */
  run_command ((const char *[]) { "qemu-img", "create", "-q", "-f", "qcow2", by_hand, "8M", NULL });
  hangar_test_ctl_ok (env, &out, "pool-refresh", POOL, NULL);
  g_assert_cmpstr (out, ==, "Pool vmdisk refreshed\n");
  g_free (expected);
  hangar_test_ctl_ok (env, &out, "vol-list", POOL, NULL);
  expected = virsh_table (2, (const char *[]) { "Name", "Path",
                                                "byhand.qcow2", by_hand,
                                                "disk.qcow2", disk,
                                                "installer.iso", iso,
                                                "pre.img", pre, NULL });
  g_assert_cmpstr (out, ==, expected);
  hangar_test_ctl_ok (env, &out, "vol-info", "byhand.qcow2", "--pool", POOL, NULL);
  assert_field (out, "Capacity:", "8.00 MiB");
  hangar_test_ctl_ok (env, &out, "vol-dumpxml", "byhand.qcow2", "--pool", POOL, NULL);
  g_assert_nonnull (strstr (out, "<format type=\"qcow2\"/>"));

  hangar_test_env_free (env);
}

/* ---- Errors --------------------------------------------------------------- */

/* What a user gets wrong: each is exit status 1 and one "error:" line, and
 * leaves nothing behind. */
static void
test_errors (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *dir = make_pool (env);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *missing = tmp_path (env, "missing.iso");
  g_autofree char *elsewhere = tmp_path (env, "elsewhere");
  /* "@ISO@", "@MISSING@" and "@ELSEWHERE@" stand for paths known only now. */
  const struct {
    const char *args[8];
    const char *needle;
  } cases[] = {
    { { "vol-create-as", POOL, "../x", "1M", NULL }, "'../x'" },
    { { "vol-create-as", POOL, ".hidden", "1M", NULL }, "'.hidden'" },
    { { "vol-create-as", POOL, "a/b", "1M", NULL }, "'a/b'" },
    { { "vol-create-as", POOL, "disk.qcow2", "1M", NULL }, "'disk.qcow2'" },
    { { "vol-create-as", POOL, "disk.qcow2", "1M", "--format", "qcow2", NULL }, "'disk.qcow2'" },
    { { "vol-create-as", "nosuch", "a.img", "1M", NULL }, "'nosuch'" },
    { { "vol-create-as", POOL, "a.img", "12Q", NULL }, "12Q" },
    { { "vol-create-as", POOL, "a.img", "1M", "--format", "vmdk", NULL }, "vmdk" },
    { { "vol-upload", POOL, "disk.qcow2", "@ISO@", NULL }, "'disk.qcow2'" },
    { { "vol-upload", POOL, "x.iso", "@MISSING@", NULL }, "missing.iso" },
    { { "vol-upload", "nosuch", "x.iso", "@ISO@", NULL }, "'nosuch'" },
    { { "vol-list", "nosuch", NULL }, "'nosuch'" },
    { { "pool-start", "nosuch", NULL }, "'nosuch'" },
    { { "pool-info", "nosuch", NULL }, "'nosuch'" },
    { { "vol-info", "nosuch.img", "--pool", POOL, NULL }, "'nosuch.img'" },
    { { "vol-delete", "nosuch.img", "--pool", POOL, NULL }, "'nosuch.img'" },
    { { "vol-info", "nosuch.img", NULL }, "--pool" },
    { { "vol-resize", "--pool", POOL, "--", "disk.qcow2", "-1M", NULL }, "--shrink" },
    { { "vol-clone", "disk.qcow2", "disk.qcow2", "--pool", POOL, NULL }, "'disk.qcow2'" },
    { { "pool-define-as", "lvm", "--type", "logical", "--target", "/dev/vg", NULL }, "logical" },
    { { "pool-define-as", "rel", "--type", "dir", "--target", "relative/dir", NULL }, "relative/dir" },
    { { "pool-define-as", POOL, "--type", "dir", "--target", "@ELSEWHERE@", NULL }, "'vmdisk'" },
    { { "pool-define-as", "notype", "--target", "@ELSEWHERE@", NULL }, "--type" },
  };
  int status;

  create_volume (env, "disk.qcow2", "1M", "qcow2");

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *args[G_N_ELEMENTS (cases[i].args)];

      for (gsize a = 0; a < G_N_ELEMENTS (args); a++)
        {
          args[a] = cases[i].args[a];
          if (g_strcmp0 (args[a], "@ISO@") == 0)
            args[a] = test_iso ();
          else if (g_strcmp0 (args[a], "@MISSING@") == 0)
            args[a] = missing;
          else if (g_strcmp0 (args[a], "@ELSEWHERE@") == 0)
            args[a] = elsewhere;
        }
      status = hangar_test_ctl_run_argv (env, NULL, args, &out, &err);
      g_test_message ("%s", err);
      hangar_assert_ctl_error (status, err, cases[i].needle);
      g_assert_cmpstr (out, ==, "");
    }

  /* Nothing of that left a file or a pool. */
  assert_dir_listing (dir, "disk.qcow2");
  hangar_test_ctl_ok (env, &out, "pool-list", "--all", "--name", NULL);
  g_assert_cmpstr (out, ==, "default\nvmdisk\n");

  /* An inactive pool has no volumes to show or make. */
  hangar_test_ctl_ok (env, &out, "pool-destroy", POOL, NULL);
  status = hangar_test_ctl (env, &out, &err, "vol-create-as", POOL, "b.img", "1M", NULL);
  hangar_assert_ctl_error (status, err, "not active");
  status = hangar_test_ctl (env, &out, &err, "vol-upload", POOL, "b.iso", test_iso (), NULL);
  hangar_assert_ctl_error (status, err, "not active");
  status = hangar_test_ctl (env, &out, &err, "vol-list", POOL, NULL);
  hangar_assert_ctl_error (status, err, "not active");
  status = hangar_test_ctl (env, &out, &err, "vol-info", "disk.qcow2", "--pool", POOL, NULL);
  hangar_assert_ctl_error (status, err, "not active");
  assert_dir_listing (dir, "disk.qcow2");

  hangar_test_env_free (env);
}

/* ---- A machine on volumes ------------------------------------------------- */

static void
wait_for_boot (HangarTestEnv *env,
               const char    *name)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) BOOT_TIMEOUT_S * G_USEC_PER_SEC;
  g_autofree char *console = NULL;

  do
    {
      hangar_test_ctl_ok (env, &console, "console-log", name, NULL);
      if (strstr (console, BOOT_MARKER) != NULL)
        return;
      g_usleep (POLL_INTERVAL_MS * 1000);
    }
  while (g_get_monotonic_time () < deadline);

  g_error ("%s did not print %s in %d s; its console:\n%s", name, BOOT_MARKER, BOOT_TIMEOUT_S, console);
}

/* The tutorial's end: a machine whose disk and installer CD are volumes of
 * the pool boots; while it runs its volumes are neither deleted, resized
 * nor copied; once it is off they are. */
static void
test_machine_on_volumes (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *dir = make_pool (env);
  g_autofree char *disk = g_build_filename (dir, "disk.qcow2", NULL);
  g_autofree char *xml_file = write_tmp_file (env, MACHINE ".xml",
    "<domain type='kvm'>\n"
    "  <name>" MACHINE "</name>\n"
    "  <memory unit='MiB'>128</memory>\n"
    "  <vcpu>1</vcpu>\n"
    "  <os>\n"
    "    <type arch='x86_64' machine='pc'>hvm</type>\n"
    "    <boot dev='cdrom'/>\n"
    "  </os>\n"
    "  <devices>\n"
    "    <disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
    "<source pool='" POOL "' volume='disk.qcow2'/><target dev='vda' bus='virtio'/></disk>\n"
    "    <disk type='volume' device='cdrom'><driver name='qemu' type='raw'/>"
    "<source pool='" POOL "' volume='installer.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>\n"
    "    <serial type='pty'/>\n"
    "  </devices>\n"
    "</domain>\n");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *blklist = NULL;
  int status;

  create_volume (env, "disk.qcow2", "20M", "qcow2");
  upload_iso (env, "installer.iso");

  hangar_test_ctl_ok (env, &out, "define", xml_file, NULL);
  expected = g_strdup_printf ("Domain '" MACHINE "' defined from %s\n", xml_file);
  g_assert_cmpstr (out, ==, expected);

  /* domblklist names a volume disk by its pool and volume. */
  hangar_test_ctl_ok (env, &blklist, "domblklist", MACHINE, NULL);
  g_free (expected);
  expected = virsh_table (2, (const char *[]) { "Target", "Source",
                                                "vda", POOL "/disk.qcow2",
                                                "hdc", POOL "/installer.iso", NULL });
  g_assert_cmpstr (blklist, ==, expected);
  g_free (expected);
  hangar_test_ctl_ok (env, &out, "domblklist", "--details", MACHINE, NULL);
  expected = virsh_table (4, (const char *[]) { "Type", "Device", "Target", "Source",
                                                "volume", "disk", "vda", POOL "/disk.qcow2",
                                                "volume", "cdrom", "hdc", POOL "/installer.iso", NULL });
  g_assert_cmpstr (out, ==, expected);

  hangar_test_ctl_ok (env, &out, "start", MACHINE, NULL);
  g_assert_cmpstr (out, ==, "Domain '" MACHINE "' started\n");
  wait_for_boot (env, MACHINE);
  hangar_test_ctl_ok (env, &out, "domblklist", MACHINE, NULL);
  g_assert_cmpstr (out, ==, blklist);

  /* In use: refused, naming the machine; the files stay as they are. */
  status = hangar_test_ctl (env, &out, &err, "vol-delete", "disk.qcow2", "--pool", POOL, NULL);
  hangar_assert_ctl_error (status, err, "'" MACHINE "'");
  g_assert_cmpstr (out, ==, "");
  status = hangar_test_ctl (env, &out, &err, "vol-resize", "disk.qcow2", "40M", "--pool", POOL, NULL);
  hangar_assert_ctl_error (status, err, "'" MACHINE "'");
  status = hangar_test_ctl (env, &out, &err, "vol-delete", "installer.iso", "--pool", POOL, NULL);
  hangar_assert_ctl_error (status, err, "'" MACHINE "'");
  status = hangar_test_ctl (env, &out, &err, "vol-clone", "disk.qcow2", "copy.qcow2", "--pool", POOL, NULL);
  hangar_assert_ctl_error (status, err, "running machine");
  hangar_test_ctl_ok (env, &out, "vol-info", "disk.qcow2", "--pool", POOL, NULL);
  assert_field (out, "Capacity:", "20.00 MiB");
  assert_dir_listing (dir, "disk.qcow2 installer.iso");

  hangar_test_ctl_ok (env, &out, "destroy", MACHINE, NULL);
  g_assert_cmpstr (out, ==, "Domain '" MACHINE "' destroyed\n");
  hangar_test_ctl_ok (env, &out, "vol-delete", "disk.qcow2", "--pool", POOL, NULL);
  g_assert_cmpstr (out, ==, "Vol disk.qcow2 deleted\n");
  g_assert_false (g_file_test (disk, G_FILE_TEST_EXISTS));

  /* Its disk gone, the machine says so instead of starting. */
  status = hangar_test_ctl (env, &out, &err, "start", MACHINE, NULL);
  hangar_assert_ctl_error (status, err, "disk.qcow2");

  hangar_test_env_free (env);
}

/* ---- Jobs: the progress bar, Ctrl+C --------------------------------------- */

static int
remaining_ms (gint64 deadline)
{
  return (int) MAX (0, (deadline - g_get_monotonic_time ()) / 1000);
}

/* Runs hangarctl ARGS with stdin, stdout and stderr on a new pseudo-terminal
 * (100 columns); returns its exit status, what the terminal showed replaces
 * what *output held. */
static int
run_on_terminal (HangarTestEnv       *env,
                 const char * const  *args,
                 char               **output)
{
  g_auto(GStrv) argv = hangar_test_ctl_argv (env, NULL, args);
  g_auto(GStrv) envp = hangar_test_ctl_environ (env, NULL);
  g_autofree char *command = g_strjoinv (" ", argv);
  g_autoptr(GString) text = g_string_new (NULL);
  struct winsize size = { .ws_row = 30, .ws_col = 100 };
  gint64 deadline = g_get_monotonic_time () + (gint64) CHILD_TIMEOUT_S * G_USEC_PER_SEC;
  int terminal = -1;
  int wait_status = 0;
  pid_t pid;

  g_test_message ("$ %s (on a terminal)", command);
  pid = forkpty (&terminal, NULL, NULL, &size);
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      execve (argv[0], argv, envp);
      _exit (127);
    }

  /* Until hangarctl closes the terminal: read() then fails with EIO. */
  for (;;)
    {
      struct pollfd ready = { terminal, POLLIN, 0 };
      char buffer[4096];
      int n_ready = poll (&ready, 1, remaining_ms (deadline));
      gssize n;

      if (n_ready < 0 && errno == EINTR)
        continue;
      if (n_ready == 0)
        {
          kill (pid, SIGKILL);
          g_error ("%s did not end in %d s; it wrote: %s", command, CHILD_TIMEOUT_S, text->str);
        }
      n = read (terminal, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      g_string_append_len (text, buffer, n);
    }
  close (terminal);

  g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
  if (!WIFEXITED (wait_status))
    g_error ("%s: ended by signal %d; it wrote: %s", command, WTERMSIG (wait_status), text->str);
  g_free (*output);
  *output = g_string_free (g_steal_pointer (&text), FALSE);
  return WEXITSTATUS (wait_status);
}

/* `mib` MiB as hangarctl shows a size: "512.0 MiB" in the progress bar
 * (`decimals` 1), "512.00 MiB" in vol-info (2). */
static char *
mib_text (guint mib,
          int   decimals)
{
  if (mib >= 1024)
    return g_strdup_printf ("%.*f GiB", decimals, mib / 1024.0);
  return g_strdup_printf ("%.*f MiB", decimals, (double) mib);
}

/* The progress bar in what the terminal showed, or NULL:
 * "\rCopying big.img [=====>      ] 45%  230.0 MiB/512.0 MiB". */
static const char *
find_progress_bar (const char *shown,
                   guint       mib)
{
  g_autofree char *size = mib_text (mib, 1);
  g_autofree char *total = g_strconcat ("/", size, NULL);
  const char *bar = strstr (shown, "\rCopying big.img [");

  if (bar == NULL || strchr (bar, '%') == NULL || strchr (bar, ']') == NULL || strstr (bar, total) == NULL)
    return NULL;
  return bar;
}

/* vol-clone of a big volume: on a terminal, a progress bar on one line,
 * redrawn in place and cleared before the result; without a terminal, no
 * trace of it. hangarctl draws once a job has run for half a second: a
 * copy that ends sooner (a fast disk) is done again with a bigger volume. */
static void
test_progress_bar (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *dir = make_pool (env);
  g_autofree char *big = g_build_filename (dir, "big.img", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *capacity = NULL;
  const char *args[] = { "vol-clone", "big.img", "shown.img", "--pool", POOL, NULL };
  guint mib = BIG_MIB;
  int status;

  for (;;)
    {
      g_autofree char *size = g_strdup_printf ("%uM", mib);
      g_autofree char *escaped = NULL;
      gint64 start;
      gint64 elapsed;

      if (mib == BIG_MIB)
        create_volume (env, "big.img", size, "raw");
      else
        hangar_test_ctl_ok (env, &out, "vol-resize", "big.img", size, "--pool", POOL, NULL);
      fill_file (big, (gsize) mib * MIB);

      start = g_get_monotonic_time ();
      status = run_on_terminal (env, args, &shown);
      elapsed = g_get_monotonic_time () - start;
      escaped = g_strescape (shown, NULL);
      g_test_message ("in %" G_GINT64_FORMAT " ms, the terminal showed: %s",
                      elapsed / 1000, escaped);
      g_assert_cmpint (status, ==, 0);

      if (find_progress_bar (shown, mib) != NULL)
        break;
      if (elapsed >= SURE_TO_SHOW_MS * 1000 || mib >= MAX_BIG_MIB)
        g_error ("no progress bar on the terminal in %" G_GINT64_FORMAT " ms:\n%s",
                 elapsed / 1000, shown);
      hangar_test_ctl_ok (env, &out, "vol-delete", "shown.img", "--pool", POOL, NULL);
      mib *= 2;
    }

  /* Spaces over the bar, then the result: the only newline. */
  g_assert_true (g_str_has_suffix (shown, "\rVol shown.img cloned from big.img\r\n"));
  g_assert_cmpuint (strchr (shown, '\n') - shown, ==, strlen (shown) - 1);
  hangar_test_ctl_ok (env, &out, "vol-info", "shown.img", "--pool", POOL, NULL);
  capacity = mib_text (mib, 2);
  assert_field (out, "Capacity:", capacity);

  /* The same copy without a terminal: the result, nothing on stderr. */
  status = hangar_test_ctl (env, &out, &err, "vol-clone", "big.img", "quiet.img", "--pool", POOL, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_cmpstr (out, ==, "Vol quiet.img cloned from big.img\n");
  assert_dir_listing (dir, "big.img quiet.img shown.img");

  hangar_test_env_free (env);
}

/* Opens the FIFO for writing once its reader has it open, without
 * blocking; fails the test when `pid` ended first. */
static int
open_fifo_writer (const char *fifo,
                  GPid        pid)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) CHILD_TIMEOUT_S * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      int fd = open (fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

      if (fd >= 0)
        return fd;
      g_assert_cmpint (errno, ==, ENXIO);
      if (waitpid (pid, NULL, WNOHANG) == pid)
        g_error ("hangarctl ended before it opened %s", fifo);
      g_usleep (20 * 1000);
    }
  g_error ("hangarctl did not open %s in %d s", fifo, CHILD_TIMEOUT_S);
}

/* Writes `len` bytes into the FIFO as fast as its reader takes them. */
static void
feed_fifo (int   fd,
           gsize len)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) CHILD_TIMEOUT_S * G_USEC_PER_SEC;
  char chunk[65536];
  gsize done = 0;

  memset (chunk, 0x5a, sizeof chunk);
  while (done < len)
    {
      struct pollfd ready = { fd, POLLOUT, 0 };
      gssize n;

      if (poll (&ready, 1, remaining_ms (deadline)) == 0)
        g_error ("nobody read the FIFO for %d s", CHILD_TIMEOUT_S);
      n = write (fd, chunk, MIN (sizeof chunk, len - done));
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        continue;
      g_assert_cmpint (n, >, 0);
      done += (gsize) n;
    }
}

/* hangarctl ARGS in the background, stdout and stderr into files. */
static GPid
spawn_ctl (HangarTestEnv      *env,
           const char * const *args,
           const char         *out_file,
           const char         *err_file)
{
  g_auto(GStrv) argv = hangar_test_ctl_argv (env, NULL, args);
  g_auto(GStrv) envp = hangar_test_ctl_environ (env, NULL);
  g_autofree char *command = g_strjoinv (" ", argv);
  g_autoptr(GError) error = NULL;
  int out_fd = open (out_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err_fd = open (err_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  GPid pid = 0;

  g_test_message ("$ %s &", command);
  g_assert_cmpint (out_fd, >=, 0);
  g_assert_cmpint (err_fd, >=, 0);
  g_spawn_async_with_pipes_and_fds (NULL, (const char * const *) argv, (const char * const *) envp,
                                    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                                    NULL, NULL, -1, out_fd, err_fd, NULL, NULL, 0,
                                    &pid, NULL, NULL, NULL, &error);
  close (out_fd);
  close (err_fd);
  g_assert_no_error (error);
  return pid;
}

/* Its exit status, within CHILD_TIMEOUT_S; a signal fails the test. */
static int
wait_for_ctl (GPid pid)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) CHILD_TIMEOUT_S * G_USEC_PER_SEC;
  int wait_status = 0;

  while (waitpid (pid, &wait_status, WNOHANG) == 0)
    {
      if (g_get_monotonic_time () > deadline)
        {
          kill (pid, SIGKILL);
          waitpid (pid, NULL, 0);
          g_error ("hangarctl did not end in %d s", CHILD_TIMEOUT_S);
        }
      g_usleep (20 * 1000);
    }
  if (!WIFEXITED (wait_status))
    g_error ("hangarctl ended by signal %d", WTERMSIG (wait_status));
  return WEXITSTATUS (wait_status);
}

typedef struct {
  HangarTestEnv *env;
  GPid           pid;
} UploadWait;

/* hangarctl has its Ctrl+C handler: it waits for the job. */
static gboolean
catches_sigint (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *status = NULL;
  g_autofree char *caught = NULL;

  if (!g_file_get_contents (path, &status, NULL, NULL))
    return FALSE;
  caught = field_value (status, "SigCgt:");
  return caught != NULL && (g_ascii_strtoull (caught, NULL, 16) & (G_GUINT64_CONSTANT (1) << (SIGINT - 1))) != 0;
}

/* The engine's upload job has copied something. */
static gboolean
upload_progressed (HangarTestEnv *env)
{
  GList *objects = g_dbus_object_manager_get_objects (env->object_manager);
  gboolean progressed = FALSE;

  for (GList *l = objects; l != NULL; l = l->next)
    {
      g_autoptr(HangarJob) job = hangar_object_get_job (HANGAR_OBJECT (l->data));

      if (job != NULL && g_strcmp0 (hangar_job_get_operation (job), "upload-volume") == 0 &&
          g_strcmp0 (hangar_job_get_state (job), "running") == 0 && hangar_job_get_bytes_done (job) > 0)
        progressed = TRUE;
    }
  g_list_free_full (objects, g_object_unref);
  return progressed;
}

static gboolean
ready_to_interrupt (gpointer data)
{
  UploadWait *wait = data;

  return catches_sigint (wait->pid) && upload_progressed (wait->env);
}

static char *
read_file (const char *path)
{
  char *contents = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

/* vol-upload reads a pipe to its end; Ctrl+C on an upload that cannot end
 * (its writer keeps the FIFO open) cancels the job, says so, and leaves no
 * partial file in the pool. */
static void
test_upload_cancel (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *dir = make_pool (env);
  g_autofree char *fifo = tmp_path (env, "feed");
  g_autofree char *out_file = tmp_path (env, "upload.out");
  g_autofree char *err_file = tmp_path (env, "upload.err");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;
  const char *piped_args[] = { "vol-upload", POOL, "piped.img", fifo, "--format", "raw", NULL };
  const char *slow_args[] = { "vol-upload", POOL, "slow.img", fifo, "--format", "raw", NULL };
  UploadWait wait = { env, 0 };
  int writer;

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);

  /* A pipe that ends: a volume of what came through. */
  wait.pid = spawn_ctl (env, piped_args, out_file, err_file);
  writer = open_fifo_writer (fifo, wait.pid);
  feed_fifo (writer, 2 * MIB);
  close (writer);
  g_assert_cmpint (wait_for_ctl (wait.pid), ==, 0);
  g_spawn_close_pid (wait.pid);
  err = read_file (err_file);
  g_assert_cmpstr (err, ==, "");
  out = read_file (out_file);
  expected = g_strdup_printf ("Vol piped.img created from %s\n", fifo);
  g_assert_cmpstr (out, ==, expected);
  hangar_test_ctl_ok (env, &out, "vol-info", "piped.img", "--pool", POOL, NULL);
  assert_field (out, "Capacity:", "2.00 MiB");

  /* One that does not: Ctrl+C once the job is under way. */
  wait.pid = spawn_ctl (env, slow_args, out_file, err_file);
  writer = open_fifo_writer (fifo, wait.pid);
  feed_fifo (writer, 3 * MIB);
  if (!hangar_test_wait_until (ready_to_interrupt, &wait, CHILD_TIMEOUT_S))
    g_error ("the upload did not get under way in %d s", CHILD_TIMEOUT_S);
  /* Long enough for a progress bar, which stderr, not a terminal, must
   * not get. */
  g_usleep (LONGER_THAN_SHOW_MS * 1000);
  g_assert_cmpint (kill (wait.pid, SIGINT), ==, 0);
  g_assert_cmpint (wait_for_ctl (wait.pid), ==, 1);
  g_spawn_close_pid (wait.pid);
  g_free (err);
  err = read_file (err_file);
  g_assert_cmpstr (err, ==, "error: cancelled\n");
  g_free (out);
  out = read_file (out_file);
  g_assert_cmpstr (out, ==, "");

  /* Its writer still there, the partial file is gone all the same. */
  assert_dir_listing (dir, "piped.img");
  close (writer);
  g_free (expected);
  hangar_test_ctl_ok (env, &out, "vol-list", POOL, NULL);
  {
    g_autofree char *piped = g_build_filename (dir, "piped.img", NULL);

    expected = virsh_table (2, (const char *[]) { "Name", "Path", "piped.img", piped, NULL });
  }
  g_assert_cmpstr (out, ==, expected);

  hangar_test_env_free (env);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hangarctl/storage/pools", test_pools);
  g_test_add_func ("/hangarctl/storage/volumes", test_volumes);
  g_test_add_func ("/hangarctl/storage/errors", test_errors);
  g_test_add_func ("/hangarctl/storage/machine-on-volumes", test_machine_on_volumes);
  g_test_add_func ("/hangarctl/storage/progress-bar", test_progress_bar);
  g_test_add_func ("/hangarctl/storage/upload-cancel", test_upload_cancel);

  return g_test_run ();
}
