/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-storage"

/* Storage pools and volumes against the real engine and the real qemu-img:
 * the virsh pool-* / vol-* workflow, jobs, safety rules and faults. */

#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hangar-test-env.h"
#include "hangard-error.h"

#define JOB_TIMEOUT_S 120
#define MIB (G_GUINT64_CONSTANT (1024) * 1024)

static GVariant *
no_options (void)
{
  return g_variant_new ("a{sv}", NULL);
}

static HangarStoragePool *
pool_proxy (HangarTestEnv *env,
            const char    *path)
{
  g_autoptr(GError) error = NULL;
  HangarStoragePool *pool = hangar_storage_pool_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                                                "io.github.hangarvm.Hangar1", path, NULL, &error);
  g_assert_no_error (error);
  return pool;
}

static HangarStoragePool *
lookup_pool (HangarTestEnv *env,
             const char    *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  hangar_manager_call_lookup_pool_sync (env->manager, name, &path, NULL, &error);
  g_assert_no_error (error);
  return pool_proxy (env, path);
}

static HangarVolume *
volume_proxy (HangarTestEnv *env,
              const char    *path)
{
  g_autoptr(GError) error = NULL;
  HangarVolume *volume = hangar_volume_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                                       "io.github.hangarvm.Hangar1", path, NULL, &error);
  g_assert_no_error (error);
  return volume;
}

/* The volume called `name` in the pool at `pool_path`, from the object
 * manager (NULL when it is not listed). */
static HangarVolume *
find_volume (HangarTestEnv *env,
             const char    *pool_path,
             const char    *name)
{
  g_autolist(GDBusObject) objects = NULL;

  hangar_test_settle ();
  objects = g_dbus_object_manager_get_objects (env->object_manager);
  for (GList *l = objects; l != NULL; l = l->next)
    {
      HangarVolume *volume = hangar_object_peek_volume (HANGAR_OBJECT (l->data));

      if (volume != NULL && g_str_equal (hangar_volume_get_pool (volume), pool_path) &&
          g_str_equal (hangar_volume_get_name (volume), name))
        return g_object_ref (volume);
    }
  return NULL;
}

typedef struct {
  HangarJob *job;
} JobWait;

static gboolean
job_has_ended (gpointer data)
{
  return g_strcmp0 (hangar_job_get_state (((JobWait *) data)->job), "running") != 0;
}

/* Waits for the job at `path` to end; returns its proxy. */
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

static HangarVolume *
create_volume (HangarTestEnv     *env,
               HangarStoragePool *pool,
               const char        *name,
               guint64            capacity,
               const char        *format,
               GVariant          *options)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *job_path = NULL;
  g_autoptr(HangarJob) job = NULL;

  hangar_storage_pool_call_create_volume_sync (pool, name, capacity, format,
                                               options ? options : no_options (), &job_path, NULL, &error);
  g_assert_no_error (error);
  job = wait_for_job (env, job_path);
  g_assert_cmpstr (hangar_job_get_error_message (job), ==, "");
  g_assert_cmpstr (hangar_job_get_state (job), ==, "completed");
  return volume_proxy (env, hangar_job_get_result (job));
}

static void
run_command (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", argv[0], err);
}

static char *
pool_xml (const char *name,
          const char *target)
{
  g_autofree char *escaped_name = g_markup_escape_text (name, -1);
  g_autofree char *escaped_target = g_markup_escape_text (target, -1);

  return g_strdup_printf ("<pool type='dir'><name>%s</name><target><path>%s</path></target></pool>",
                          escaped_name, escaped_target);
}

/* Defines, builds and starts a pool in a fresh directory of the test's. */
static HangarStoragePool *
make_active_pool (HangarTestEnv *env,
                  const char    *name,
                  char         **target_out)
{
  g_autofree char *target = g_build_filename (env->tmpdir, name, NULL);
  g_autofree char *xml = pool_xml (name, target);
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  HangarStoragePool *pool;

  hangar_manager_call_define_pool_sync (env->manager, xml, &path, NULL, &error);
  g_assert_no_error (error);
  pool = pool_proxy (env, path);
  hangar_storage_pool_call_build_sync (pool, NULL, &error);
  g_assert_no_error (error);
  hangar_storage_pool_call_start_sync (pool, NULL, &error);
  g_assert_no_error (error);
  hangar_test_settle ();
  g_assert_cmpstr (hangar_storage_pool_get_state (pool), ==, "active");
  if (target_out)
    *target_out = g_steal_pointer (&target);
  return pool;
}

/* ---- Tests ----------------------------------------------------------------- */

static void
test_default_pool (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarStoragePool) pool = lookup_pool (env, "default");
  g_autofree char *expected = g_build_filename (env->root, "data", "images", NULL);

  hangar_test_settle ();
  g_assert_cmpstr (hangar_storage_pool_get_state (pool), ==, "active");
  g_assert_true (hangar_storage_pool_get_autostart (pool));
  g_assert_cmpstr (hangar_storage_pool_get_target_path (pool), ==, expected);
  g_assert_cmpstr (hangar_storage_pool_get_type_ (pool), ==, "dir");
  g_assert_cmpuint (hangar_storage_pool_get_capacity (pool), >, 0);
  g_assert_cmpuint (hangar_storage_pool_get_available (pool), >, 0);

  /* Undefined once, it stays undefined: "first start" means the first. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *path = NULL;

    hangar_storage_pool_call_stop_sync (pool, NULL, &error);
    g_assert_no_error (error);
    hangar_storage_pool_call_undefine_sync (pool, no_options (), NULL, &error);
    g_assert_no_error (error);
    hangar_test_env_kill_engine (env, SIGTERM);
    hangar_test_env_start_engine (env);
    hangar_manager_call_lookup_pool_sync (env->manager, "default", &path, NULL, &error);
    hangar_assert_engine_error (error, HANGAR_ERROR_NOT_FOUND, "default");
  }
  hangar_test_env_free (env);
}

/* virsh pool-define-as / pool-build / pool-start / pool-autostart /
 * pool-info / pool-dumpxml / pool-destroy / pool-undefine */
static void
test_pool_lifecycle (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *target = g_build_filename (env->tmpdir, "vm fs, data", NULL);
  g_autofree char *xml = pool_xml ("vmdisk", target);
  g_autofree char *path = NULL;
  g_autofree char *dumped = NULL;
  g_autoptr(HangarStoragePool) pool = NULL;
  g_autoptr(GError) error = NULL;

  hangar_manager_call_define_pool_sync (env->manager, xml, &path, NULL, &error);
  g_assert_no_error (error);
  pool = pool_proxy (env, path);
  g_assert_cmpstr (hangar_storage_pool_get_state (pool), ==, "inactive");

  hangar_storage_pool_call_start_sync (pool, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_NOT_FOUND, "build");
  g_clear_error (&error);

  hangar_storage_pool_call_build_sync (pool, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (target, G_FILE_TEST_IS_DIR));
  hangar_storage_pool_call_start_sync (pool, NULL, &error);
  g_assert_no_error (error);
  hangar_storage_pool_call_start_sync (pool, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "already active");
  g_clear_error (&error);

  hangar_storage_pool_call_set_autostart_sync (pool, TRUE, NULL, &error);
  g_assert_no_error (error);
  hangar_test_settle ();
  g_assert_true (hangar_storage_pool_get_autostart (pool));
  g_assert_cmpuint (hangar_storage_pool_get_capacity (pool), >=, hangar_storage_pool_get_available (pool));

  hangar_storage_pool_call_get_xml_sync (pool, no_options (), &dumped, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (dumped, "<capacity"));
  g_assert_nonnull (strstr (dumped, "vm fs, data"));

  /* Active pools are not undefined; the engine keeps them across restarts. */
  hangar_storage_pool_call_undefine_sync (pool, no_options (), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "stop it first");
  g_clear_error (&error);

  hangar_test_env_kill_engine (env, SIGKILL);
  hangar_test_env_start_engine (env);
  g_clear_object (&pool);
  pool = lookup_pool (env, "vmdisk");
  hangar_test_settle ();
  g_assert_cmpstr (hangar_storage_pool_get_state (pool), ==, "active");

  hangar_storage_pool_call_stop_sync (pool, NULL, &error);
  g_assert_no_error (error);
  hangar_test_settle ();
  g_assert_cmpstr (hangar_storage_pool_get_state (pool), ==, "inactive");
  hangar_storage_pool_call_undefine_sync (pool, no_options (), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (target, G_FILE_TEST_IS_DIR));

  hangar_test_env_free (env);
}

static void
write_iso_like_file (const char *path)
{
  g_autofree char *data = g_malloc0 (0x9000);

  memcpy (data + 0x8001, "CD001", 5);
  g_assert_true (g_file_set_contents (path, data, 0x9000, NULL));
}

/* pool-refresh picks up files put there by hand, with format, virtual
 * size and allocation; hidden files and symlinks are not volumes. */
static void
test_refresh (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *target = NULL;
  g_autoptr(HangarStoragePool) pool = make_active_pool (env, "handmade", &target);
  const char *pool_path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (pool));
  g_autofree char *qcow2 = g_build_filename (target, "by hand.qcow2", NULL);
  g_autofree char *raw = g_build_filename (target, "plain.img", NULL);
  g_autofree char *iso = g_build_filename (target, "installer.iso", NULL);
  g_autofree char *hidden = g_build_filename (target, ".hidden.img", NULL);
  g_autofree char *link = g_build_filename (target, "escape.img", NULL);
  const char *make_qcow2[] = { "qemu-img", "create", "-q", "-f", "qcow2", qcow2, "50M", NULL };
  const char *make_raw[] = { "qemu-img", "create", "-q", "-f", "raw", raw, "10M", NULL };
  g_autoptr(HangarVolume) volume = NULL;
  g_autoptr(GError) error = NULL;

  run_command (make_qcow2);
  run_command (make_raw);
  write_iso_like_file (iso);
  g_assert_true (g_file_set_contents (hidden, "x", 1, NULL));
  g_assert_cmpint (symlink ("/etc/passwd", link), ==, 0);

  g_assert_null (find_volume (env, pool_path, "by hand.qcow2"));
  hangar_storage_pool_call_refresh_sync (pool, NULL, &error);
  g_assert_no_error (error);

  volume = find_volume (env, pool_path, "by hand.qcow2");
  g_assert_nonnull (volume);
  g_assert_cmpstr (hangar_volume_get_format (volume), ==, "qcow2");
  g_assert_cmpuint (hangar_volume_get_capacity (volume), ==, 50 * MIB);
  g_assert_cmpuint (hangar_volume_get_allocation (volume), <, 50 * MIB);
  g_assert_cmpstr (hangar_volume_get_path (volume), ==, qcow2);
  g_clear_object (&volume);

  volume = find_volume (env, pool_path, "plain.img");
  g_assert_cmpstr (hangar_volume_get_format (volume), ==, "raw");
  g_assert_cmpuint (hangar_volume_get_capacity (volume), ==, 10 * MIB);
  g_assert_false (hangar_volume_get_install_media (volume));
  g_clear_object (&volume);

  volume = find_volume (env, pool_path, "installer.iso");
  g_assert_cmpstr (hangar_volume_get_format (volume), ==, "iso");
  g_assert_true (hangar_volume_get_install_media (volume));
  g_clear_object (&volume);

  g_assert_null (find_volume (env, pool_path, ".hidden.img"));
  g_assert_null (find_volume (env, pool_path, "escape.img"));

  /* Removed by hand: gone from the list at the next refresh. */
  g_unlink (raw);
  hangar_storage_pool_call_refresh_sync (pool, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (find_volume (env, pool_path, "plain.img"));

  hangar_test_env_free (env);
}

/* vol-create-as, vol-info, vol-resize, vol-clone (full and linked),
 * vol-dumpxml, vol-delete */
static void
test_volume_operations (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarStoragePool) pool = make_active_pool (env, "ops", NULL);
  g_autoptr(HangarVolume) disk = create_volume (env, pool, "disk.qcow2", 20 * MIB, "qcow2", NULL);
  g_autoptr(HangarVolume) full = NULL;
  g_autoptr(HangarVolume) linked = NULL;
  g_autoptr(HangarJob) job = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *job_path = NULL;
  g_autofree char *xml = NULL;

  g_assert_cmpstr (hangar_volume_get_format (disk), ==, "qcow2");
  g_assert_cmpuint (hangar_volume_get_capacity (disk), ==, 20 * MIB);

  hangar_volume_call_resize_sync (disk, 40 * MIB, no_options (), NULL, &error);
  g_assert_no_error (error);
  hangar_test_settle ();
  g_assert_cmpuint (hangar_volume_get_capacity (disk), ==, 40 * MIB);
  hangar_volume_call_resize_sync (disk, 30 * MIB, no_options (), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_ARGUMENT, "shrink");
  g_clear_error (&error);
  hangar_volume_call_resize_sync (disk, 30 * MIB, g_variant_new_parsed ("{'shrink': <true>}"), NULL, &error);
  g_assert_no_error (error);
  hangar_test_settle ();
  g_assert_cmpuint (hangar_volume_get_capacity (disk), ==, 30 * MIB);

  hangar_volume_call_clone_sync (disk, "copy.qcow2", no_options (), &job_path, NULL, &error);
  g_assert_no_error (error);
  job = wait_for_job (env, job_path);
  g_assert_cmpstr (hangar_job_get_state (job), ==, "completed");
  g_assert_cmpuint (hangar_job_get_bytes_done (job), ==, hangar_job_get_bytes_total (job));
  full = volume_proxy (env, hangar_job_get_result (job));
  g_assert_cmpuint (hangar_volume_get_capacity (full), ==, 30 * MIB);
  g_assert_cmpstr (hangar_volume_get_backing_path (full), ==, "");
  g_clear_object (&job);
  g_clear_pointer (&job_path, g_free);

  hangar_volume_call_clone_sync (disk, "linked.qcow2", g_variant_new_parsed ("{'linked': <true>}"),
                                 &job_path, NULL, &error);
  g_assert_no_error (error);
  job = wait_for_job (env, job_path);
  g_assert_cmpstr (hangar_job_get_state (job), ==, "completed");
  linked = volume_proxy (env, hangar_job_get_result (job));
  g_assert_cmpstr (hangar_volume_get_backing_path (linked), ==, hangar_volume_get_path (disk));

  hangar_volume_call_get_xml_sync (linked, no_options (), &xml, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, "<backingStore>"));
  g_assert_nonnull (strstr (xml, "linked.qcow2"));

  /* A backing file cannot go while a linked volume needs it. */
  hangar_volume_call_delete_sync (disk, no_options (), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "linked.qcow2");
  g_clear_error (&error);
  hangar_volume_call_delete_sync (linked, no_options (), NULL, &error);
  g_assert_no_error (error);
  hangar_volume_call_delete_sync (disk, no_options (), NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (hangar_volume_get_path (disk), G_FILE_TEST_EXISTS));

  /* Same name twice: refused, the first untouched. */
  hangar_storage_pool_call_create_volume_sync (pool, "copy.qcow2", MIB, "raw", no_options (),
                                               &job_path, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_ALREADY_EXISTS, "copy.qcow2");
  hangar_test_env_free (env);
}

static void
test_volume_names (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarStoragePool) pool = make_active_pool (env, "names", NULL);
  g_autofree char *too_long = g_strnfill (256, 'a');
  const char *bad[] = { "", ".", "..", ".hidden", "../escape", "a/b", "line\nbreak", too_long };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *job_path = NULL;

      hangar_storage_pool_call_create_volume_sync (pool, bad[i], MIB, "raw", no_options (), &job_path, NULL, &error);
      hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_ARGUMENT, NULL);
    }

  {
    g_autoptr(HangarVolume) volume = create_volume (env, pool, "my disk, 1 镜像.img", MIB, "raw", NULL);
    g_assert_cmpstr (hangar_volume_get_name (volume), ==, "my disk, 1 镜像.img");
  }
  hangar_test_env_free (env);
}

/* Preallocation reserves the space; one that does not fit fails cleanly
 * and leaves no file. */
static void
test_preallocation (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarStoragePool) pool = make_active_pool (env, "prealloc", NULL);
  g_autoptr(HangarVolume) volume = create_volume (env, pool, "full.img", 8 * MIB, "raw",
                                                  g_variant_new_parsed ("{'preallocate': <true>}"));
  g_autofree char *small = g_build_filename (env->tmpdir, "small", NULL);
  g_autofree char *xml = pool_xml ("small", small);
  g_autofree char *path = NULL;
  g_autofree char *job_path = NULL;
  g_autoptr(HangarStoragePool) small_pool = NULL;
  g_autoptr(HangarJob) job = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *leftover = g_build_filename (small, "huge.img", NULL);

  g_assert_cmpuint (hangar_volume_get_allocation (volume), >=, 8 * MIB);

  g_mkdir (small, 0700);
  if (mount ("tmpfs", small, "tmpfs", 0, "size=4m") != 0)
    {
      g_test_skip ("cannot mount a small tmpfs (needs root)");
      hangar_test_env_free (env);
      return;
    }

  hangar_manager_call_define_pool_sync (env->manager, xml, &path, NULL, &error);
  g_assert_no_error (error);
  small_pool = pool_proxy (env, path);
  hangar_storage_pool_call_start_sync (small_pool, NULL, &error);
  g_assert_no_error (error);
  hangar_storage_pool_call_create_volume_sync (small_pool, "huge.img", 64 * MIB, "raw",
                                               g_variant_new_parsed ("{'preallocate': <true>}"),
                                               &job_path, NULL, &error);
  g_assert_no_error (error);
  job = wait_for_job (env, job_path);
  g_assert_cmpstr (hangar_job_get_state (job), ==, "failed");
  g_assert_cmpstr (hangar_job_get_error_name (job), ==, "io.github.hangarvm.Hangar1.Error.Failed");
  g_assert_nonnull (strstr (hangar_job_get_error_message (job), "space"));
  g_assert_false (g_file_test (leftover, G_FILE_TEST_EXISTS));

  hangar_storage_pool_call_stop_sync (small_pool, NULL, &error);
  g_assert_no_error (error);
  umount (small);
  hangar_test_env_free (env);
}

typedef struct {
  HangarJob *job;
} ProgressWait;

static gboolean
job_made_progress (gpointer data)
{
  return hangar_job_get_bytes_done (((ProgressWait *) data)->job) > 0;
}

/* vol-upload from a file; a cancelled upload (fed slowly through a pipe)
 * leaves no partial file; a wrong format claim keeps nothing. */
static void
test_upload_and_cancel (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *target = NULL;
  g_autoptr(HangarStoragePool) pool = make_active_pool (env, "uploads", &target);
  g_autofree char *source = g_build_filename (env->tmpdir, "source.qcow2", NULL);
  const char *make_source[] = { "qemu-img", "create", "-q", "-f", "qcow2", source, "30M", NULL };
  g_autoptr(GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *job_path = NULL;
  g_autoptr(HangarJob) job = NULL;
  g_autoptr(HangarVolume) volume = NULL;
  g_autofree char *partial = g_build_filename (target, "slow.img", NULL);
  int pipe_fds[2];
  int index;
  char chunk[65536] = { 1 };
  ProgressWait wait;

  run_command (make_source);
  index = g_unix_fd_list_append (fds, open (source, O_RDONLY | O_CLOEXEC), &error);
  g_assert_no_error (error);
  hangar_storage_pool_call_upload_volume_sync (pool, "imported.qcow2", g_variant_new_handle (index), "qcow2",
                                               no_options (), fds, &job_path, NULL, NULL, &error);
  g_assert_no_error (error);
  job = wait_for_job (env, job_path);
  g_assert_cmpstr (hangar_job_get_state (job), ==, "completed");
  volume = volume_proxy (env, hangar_job_get_result (job));
  g_assert_cmpstr (hangar_volume_get_format (volume), ==, "qcow2");
  g_assert_cmpuint (hangar_volume_get_capacity (volume), ==, 30 * MIB);
  g_clear_object (&job);
  g_clear_pointer (&job_path, g_free);
  g_clear_object (&fds);

  /* Claiming raw for a qcow2 file: refused, nothing kept. */
  fds = g_unix_fd_list_new ();
  index = g_unix_fd_list_append (fds, open (source, O_RDONLY | O_CLOEXEC), &error);
  hangar_storage_pool_call_upload_volume_sync (pool, "liar.img", g_variant_new_handle (index), "raw",
                                               no_options (), fds, &job_path, NULL, NULL, &error);
  g_assert_no_error (error);
  job = wait_for_job (env, job_path);
  g_assert_cmpstr (hangar_job_get_state (job), ==, "failed");
  g_assert_nonnull (strstr (hangar_job_get_error_message (job), "qcow2"));
  g_assert_false (g_file_test (hangar_volume_get_path (volume), G_FILE_TEST_IS_DIR));
  {
    g_autofree char *liar = g_build_filename (target, "liar.img", NULL);
    g_assert_false (g_file_test (liar, G_FILE_TEST_EXISTS));
  }
  g_clear_object (&job);
  g_clear_pointer (&job_path, g_free);
  g_clear_object (&fds);

  /* Cancel mid-way: the writer end stays open, so the copy cannot finish. */
  g_assert_cmpint (pipe (pipe_fds), ==, 0);
  fds = g_unix_fd_list_new ();
  index = g_unix_fd_list_append (fds, pipe_fds[0], &error);
  close (pipe_fds[0]);
  hangar_storage_pool_call_upload_volume_sync (pool, "slow.img", g_variant_new_handle (index), "raw",
                                               no_options (), fds, &job_path, NULL, NULL, &error);
  g_assert_no_error (error);
  /* More than one of the engine's copy chunks, so progress shows; the
   * write blocks until the engine has read it. */
  for (guint i = 0; i < 48; i++)
    g_assert_cmpint (write (pipe_fds[1], chunk, sizeof chunk), ==, sizeof chunk);
  wait.job = hangar_job_proxy_new_sync (env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                        "io.github.hangarvm.Hangar1", job_path, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_until (job_made_progress, &wait, JOB_TIMEOUT_S));
  hangar_job_call_cancel_sync (wait.job, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&wait.job);
  job = wait_for_job (env, job_path);
  g_assert_cmpstr (hangar_job_get_state (job), ==, "cancelled");
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
  close (pipe_fds[1]);

  hangar_job_call_cancel_sync (job, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "ended");
  hangar_test_env_free (env);
}

static HangarVolume *
upload_file (HangarTestEnv     *env,
             HangarStoragePool *pool,
             const char        *name,
             const char        *source,
             const char        *format)
{
  g_autoptr(GUnixFDList) fds = g_unix_fd_list_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *job_path = NULL;
  g_autoptr(HangarJob) job = NULL;
  int fd = open (source, O_RDONLY | O_CLOEXEC);
  int index;

  g_assert_cmpint (fd, >=, 0);
  index = g_unix_fd_list_append (fds, fd, &error);
  close (fd);
  g_assert_no_error (error);
  hangar_storage_pool_call_upload_volume_sync (pool, name, g_variant_new_handle (index), format,
                                               no_options (), fds, &job_path, NULL, NULL, &error);
  g_assert_no_error (error);
  job = wait_for_job (env, job_path);
  g_assert_cmpstr (hangar_job_get_error_message (job), ==, "");
  return volume_proxy (env, hangar_job_get_result (job));
}

/* The tutorial's path: import an installer ISO into a pool, create a
 * qcow2 disk there, and boot a machine from that CD with the disk
 * attached. While it runs, its volumes cannot be deleted or resized. */
static void
test_boot_from_volumes (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarStoragePool) pool = make_active_pool (env, "guests", NULL);
  g_autofree char *iso_path = g_build_filename (g_getenv ("HANGAR_TEST_GUEST_DIR"), "test-guest.iso", NULL);
  g_autoptr(HangarVolume) iso = upload_file (env, pool, "installer.iso", iso_path, "iso");
  g_autoptr(HangarVolume) disk = create_volume (env, pool, "root disk.qcow2", 64 * MIB, "qcow2", NULL);
  const char *xml =
    "<domain type='kvm'><name>volume-guest</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>"
    "<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='cdrom'/><boot dev='hd'/></os>"
    "<features><acpi/><apic/></features><devices>"
    "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
    "<source pool='guests' volume='root disk.qcow2'/><target dev='vda' bus='virtio'/></disk>"
    "<disk type='volume' device='cdrom'><driver name='qemu' type='raw'/>"
    "<source pool='guests' volume='installer.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>"
    "<serial type='pty'/></devices></domain>";
  g_autoptr(HangarMachine) machine = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (hangar_volume_get_install_media (iso));
  machine = hangar_test_env_define (env, xml);
  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_console (machine, "HANGAR-GUEST-BOOTED", 120));

  hangar_volume_call_delete_sync (disk, no_options (), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "volume-guest");
  g_clear_error (&error);
  hangar_volume_call_resize_sync (disk, 128 * MIB, no_options (), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "volume-guest");
  g_clear_error (&error);
  hangar_volume_call_delete_sync (iso, no_options (), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "volume-guest");
  g_clear_error (&error);

  /* Even with its pool stopped, a running guest's disks stay. */
  hangar_storage_pool_call_stop_sync (pool, NULL, &error);
  g_assert_no_error (error);
  hangar_storage_pool_call_undefine_sync (pool, g_variant_new_parsed ("{'delete-directory': <true>, 'delete-volumes': <true>}"),
                                          NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "volume-guest");
  g_clear_error (&error);
  g_assert_true (g_file_test (hangar_volume_get_path (disk), G_FILE_TEST_EXISTS));
  hangar_storage_pool_call_start_sync (pool, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&disk);
  disk = find_volume (env, g_dbus_proxy_get_object_path (G_DBUS_PROXY (pool)), "root disk.qcow2");

  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", 30));
  hangar_volume_call_delete_sync (disk, no_options (), NULL, &error);
  g_assert_no_error (error);

  /* With the volume gone, the machine says why it cannot start. */
  hangar_machine_call_start_sync (machine, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_NOT_FOUND, "root disk.qcow2");
  hangar_test_env_free (env);
}

/* Undefine with remove-storage deletes the machine's disks, keeps its
 * installation media, and refuses while another running machine shares
 * a disk. */
static void
test_undefine_remove_storage (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autoptr(HangarStoragePool) pool = make_active_pool (env, "doomed-guests", NULL);
  g_autoptr(HangarVolume) disk = create_volume (env, pool, "disk.qcow2", 16 * MIB, "qcow2", NULL);
  g_autoptr(HangarVolume) iso = create_volume (env, pool, "media.iso", MIB, "raw", NULL);
  g_autofree char *base = hangar_test_guest_xml ("sharer", NULL);
  g_autoptr(GString) sharer_xml = g_string_new (base);
  const char *victim_xml =
    "<domain type='kvm'><name>victim</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
    "<os><type>hvm</type></os><devices>"
    "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
    "<source pool='doomed-guests' volume='disk.qcow2'/><target dev='vda' bus='virtio'/></disk>"
    "<disk type='volume' device='cdrom'><driver name='qemu' type='raw'/>"
    "<source pool='doomed-guests' volume='media.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>"
    "</devices></domain>";
  g_autoptr(HangarMachine) victim = hangar_test_env_define (env, victim_xml);
  g_autoptr(HangarMachine) sharer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *disk_path = g_strdup (hangar_volume_get_path (disk));
  g_autofree char *iso_path = g_strdup (hangar_volume_get_path (iso));

  /* A running machine shares the disk: nothing is deleted. */
  g_string_replace (sharer_xml, "<devices>",
                    "<devices><disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
                    "<source pool='doomed-guests' volume='disk.qcow2'/><target dev='vda' bus='virtio'/></disk>", 1);
  sharer = hangar_test_env_define (env, sharer_xml->str);
  hangar_machine_call_start_sync (sharer, NULL, &error);
  g_assert_no_error (error);
  hangar_machine_call_undefine_sync (victim, g_variant_new_parsed ("{'remove-storage': <true>}"), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_STATE, "sharer");
  g_clear_error (&error);
  g_assert_true (g_file_test (disk_path, G_FILE_TEST_EXISTS));
  hangar_machine_call_force_off_sync (sharer, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (sharer, "shutoff", 30));

  hangar_machine_call_undefine_sync (victim, g_variant_new_parsed ("{'remove-storage': <true>}"), NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (disk_path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (iso_path, G_FILE_TEST_EXISTS));
  g_assert_null (find_volume (env, g_dbus_proxy_get_object_path (G_DBUS_PROXY (pool)), "disk.qcow2"));
  hangar_test_env_free (env);
}

typedef struct {
  HangarStoragePool *pool;
} PoolWait;

static gboolean
pool_is_inactive (gpointer data)
{
  return g_strcmp0 (hangar_storage_pool_get_state (((PoolWait *) data)->pool), "inactive") == 0;
}

/* A pool whose directory vanishes becomes inactive with the reason. */
static void
test_pool_directory_vanishes (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *target = NULL;
  g_autoptr(HangarStoragePool) pool = make_active_pool (env, "fragile", &target);
  g_autoptr(HangarVolume) volume = create_volume (env, pool, "a.img", MIB, "raw", NULL);
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "rm", "-rf", target, NULL };
  PoolWait wait = { pool };

  run_command (argv);
  g_assert_true (hangar_test_wait_until (pool_is_inactive, &wait, 30));
  g_assert_nonnull (strstr (hangar_storage_pool_get_state_reason (pool), "gone"));
  g_assert_true (hangar_test_env_engine_alive (env));

  hangar_storage_pool_call_start_sync (pool, NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_NOT_FOUND, "build");
  hangar_test_env_free (env);
}

/* Deleting a pool's directory with volumes in it needs delete-volumes. */
static void
test_undefine_with_volumes (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *target = NULL;
  g_autoptr(HangarStoragePool) pool = make_active_pool (env, "doomed", &target);
  g_autoptr(HangarVolume) volume = create_volume (env, pool, "keep.img", MIB, "raw", NULL);
  g_autoptr(GError) error = NULL;

  hangar_storage_pool_call_stop_sync (pool, NULL, &error);
  g_assert_no_error (error);
  hangar_storage_pool_call_undefine_sync (pool, g_variant_new_parsed ("{'delete-directory': <true>}"), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_ARGUMENT, "delete-volumes");
  g_clear_error (&error);
  g_assert_true (g_file_test (hangar_volume_get_path (volume), G_FILE_TEST_EXISTS));

  hangar_storage_pool_call_undefine_sync (pool, g_variant_new_parsed ("{'frobnicate': <true>}"), NULL, &error);
  hangar_assert_engine_error (error, HANGAR_ERROR_INVALID_ARGUMENT, "frobnicate");
  g_clear_error (&error);

  hangar_storage_pool_call_undefine_sync (pool, g_variant_new_parsed ("{'delete-directory': <true>, 'delete-volumes': <true>}"),
                                          NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
  hangar_test_env_free (env);
}

static void
test_bad_pool_definitions (void)
{
  HangarTestEnv *env = hangar_test_env_new (FALSE);
  g_autofree char *images = g_build_filename (env->root, "data", "images", NULL);
  g_autofree char *same_dir = pool_xml ("second", images);
  g_autofree char *path = NULL;
  struct {
    const char *xml;
    int         code;
    const char *needle;
  } cases[] = {
    { "<pool type='logical'><name>lvm</name><target><path>/dev/vg</path></target></pool>", HANGAR_ERROR_UNSUPPORTED, "logical" },
    { "<pool type='dir'><name>rel</name><target><path>relative/dir</path></target></pool>", HANGAR_ERROR_INVALID_ARGUMENT, NULL },
    { "<pool type='dir'><name>a/b</name><target><path>/tmp/x</path></target></pool>", HANGAR_ERROR_INVALID_ARGUMENT, NULL },
    { "<pool type='dir'><name>x</name>", HANGAR_ERROR_INVALID_XML, NULL },
    { "<!DOCTYPE pool [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><pool type='dir'><name>&e;</name></pool>", HANGAR_ERROR_INVALID_XML, NULL },
    { "<pool type='dir'><name>default</name><target><path>/tmp/other</path></target></pool>", HANGAR_ERROR_ALREADY_EXISTS, "default" },
    { same_dir, HANGAR_ERROR_ALREADY_EXISTS, "default" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      hangar_manager_call_define_pool_sync (env->manager, cases[i].xml, &path, NULL, &error);
      hangar_assert_engine_error (error, cases[i].code, cases[i].needle);
    }
  g_assert_true (hangar_test_env_engine_alive (env));
  hangar_test_env_free (env);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/storage/default-pool", test_default_pool);
  g_test_add_func ("/storage/pool-lifecycle", test_pool_lifecycle);
  g_test_add_func ("/storage/refresh", test_refresh);
  g_test_add_func ("/storage/volume-operations", test_volume_operations);
  g_test_add_func ("/storage/volume-names", test_volume_names);
  g_test_add_func ("/storage/preallocation", test_preallocation);
  g_test_add_func ("/storage/upload-and-cancel", test_upload_and_cancel);
  g_test_add_func ("/storage/boot-from-volumes", test_boot_from_volumes);
  g_test_add_func ("/storage/undefine-remove-storage", test_undefine_remove_storage);
  g_test_add_func ("/storage/pool-directory-vanishes", test_pool_directory_vanishes);
  g_test_add_func ("/storage/undefine-with-volumes", test_undefine_with_volumes);
  g_test_add_func ("/storage/bad-pool-definitions", test_bad_pool_definitions);

  return g_test_run ();
}
