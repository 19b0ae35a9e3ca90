/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "storage-bench"

/* storage-bench: what hangard's storage costs against the tools it wraps and
 * against libvirt, every figure measured in the same run on the same machine
 * so the ratios mean something.
 *
 *  1. Creating qcow2 volumes: StoragePool.CreateVolume and waiting for each
 *     Job, against running `qemu-img create` directly (the floor: what
 *     hangard adds over the tool it wraps).
 *  2. Listing a pool of many image files put there by hand: StoragePool.Refresh
 *     and a fresh client's object manager, against `ls -l` (the trivial
 *     floor) and `qemu-img info` on each file (what a naive manager does).
 *  3. The same through virsh and a private libvirtd session, when libvirt is
 *     installed.
 *
 * It uses the tests' harness (a private dbus-daemon and the real hangard) and
 * prints results; it never judges them. */

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdarg.h>
#include <unistd.h>

#include "bench-common.h"

#define VOLUME_INTERFACE     "io.github.hangarvm.Hangar1.Volume"

#define MIB                  (G_GUINT64_CONSTANT (1024) * 1024)
#define VOLUME_SIZE          "100M"
#define VOLUME_BYTES         (100 * MIB)
#define RAW_FILE_BYTES       (16 * MIB)
#define RAW_EVERY            4          /* every 4th listed file is raw, the others qcow2 */

#define JOB_TIMEOUT_S        120
#define LIST_RUNS            5
#define VIRSH_CONNECT_RUNS   3

static int opt_volumes = 100;
static int opt_files = 1000;

static const GOptionEntry options[] = {
  { "volumes", 'c', 0, G_OPTION_ARG_INT, &opt_volumes, "Volumes to create (default 100)", "N" },
  { "files", 'f', 0, G_OPTION_ARG_INT, &opt_files, "Files in the pool to list (default 1000)", "N" },
  { NULL }
};

typedef struct {
  HangarTestEnv *env;
  char          *tmpdir;        /* pools, the qemu-img floors, libvirtd */
  char          *qemu_img;
  char          *ls;
} Bench;

/* The hangard side of section 3, in milliseconds. */
typedef struct {
  double create_ms;             /* all opt_volumes */
  double refresh_new_ms;        /* Refresh that finds opt_files new files */
  double refresh_again_ms;      /* Refresh with nothing new, median */
  double list_ms;               /* new connection + object manager, median */
} StorageResults;

/* ---- small helpers ------------------------------------------------------- */

static GVariant *
no_options (void)
{
  return g_variant_new ("a{sv}", NULL);
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

static char *
created_volume_name (guint i)
{
  return g_strdup_printf ("vol-%04u.qcow2", i);
}

static gboolean
listed_file_is_raw (guint i)
{
  return i % RAW_EVERY == RAW_EVERY - 1;
}

static char *
listed_file_name (guint i)
{
  return g_strdup_printf ("disk-%04u.%s", i, listed_file_is_raw (i) ? "img" : "qcow2");
}

/* A new file with `data`, then sized to `size` (sparse beyond the data). */
static void
write_new_file (const char *path,
                const char *data,
                gsize       length,
                guint64     size)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  gsize done = 0;

  if (fd < 0)
    bench_fail ("cannot create %s: %s", path, g_strerror (errno));
  while (done < length)
    {
      gssize n = write (fd, data + done, length - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        bench_fail ("cannot write %s: %s", path, g_strerror (errno));
      done += n;
    }
  if (ftruncate (fd, (off_t) MAX (size, length)) != 0)
    bench_fail ("cannot size %s: %s", path, g_strerror (errno));
  close (fd);
}

/* Ends the engine and its bus, then removes the temporary tree. */
static void
bench_cleanup (gpointer data)
{
  Bench *bench = data;

  g_clear_pointer (&bench->env, hangar_test_env_free);
  if (bench->tmpdir != NULL)
    bench_remove_tmpdir (bench->tmpdir);
  g_clear_pointer (&bench->tmpdir, g_free);
  g_clear_pointer (&bench->qemu_img, g_free);
  g_clear_pointer (&bench->ls, g_free);
}

static void
find_tools (Bench *bench)
{
  bench->qemu_img = g_find_program_in_path ("qemu-img");
  bench->ls = g_find_program_in_path ("ls");
  if (bench->qemu_img == NULL)
    bench_fail ("no qemu-img in PATH (apt install qemu-utils): hangard needs it too");
  if (bench->ls == NULL)
    bench_fail ("no ls in PATH");
}

/* ---- hangard: pools, volumes, jobs ------------------------------------------ */

static HangarStoragePool *
pool_proxy (Bench      *bench,
            const char *path)
{
  g_autoptr(GError) error = NULL;
  HangarStoragePool *pool = hangar_storage_pool_proxy_new_sync (bench->env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                                                BENCH_BUS_NAME, path, NULL, &error);

  if (pool == NULL)
    bench_fail ("cannot reach the pool %s: %s", path, error->message);
  /* A Refresh of many files takes its time on a loaded 2-core machine. */
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (pool), 120000);
  return pool;
}

/* DefinePool, Build, Start on `target`, as `virsh pool-define-as`,
 * `pool-build` and `pool-start` do. */
static HangarStoragePool *
define_active_pool (Bench      *bench,
                    const char *name,
                    const char *target)
{
  g_autofree char *xml = pool_xml (name, target);
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HangarStoragePool) pool = NULL;

  if (!hangar_manager_call_define_pool_sync (bench->env->manager, xml, &path, NULL, &error))
    bench_fail ("DefinePool %s failed: %s", name, error->message);
  pool = pool_proxy (bench, path);
  if (!hangar_storage_pool_call_build_sync (pool, NULL, &error) ||
      !hangar_storage_pool_call_start_sync (pool, NULL, &error))
    bench_fail ("cannot start the pool %s: %s", name, error->message);
  return g_steal_pointer (&pool);
}

/* Stop, then Undefine with its directory and volumes. */
static void
remove_pool (HangarStoragePool *pool)
{
  g_autoptr(GError) error = NULL;
  GVariant *options = g_variant_new_parsed ("{'delete-directory': <true>, 'delete-volumes': <true>}");

  if (!hangar_storage_pool_call_stop_sync (pool, NULL, &error) ||
      !hangar_storage_pool_call_undefine_sync (pool, options, NULL, &error))
    bench_fail ("cannot remove the pool %s: %s", hangar_storage_pool_get_name (pool), error->message);
}

static gboolean
job_has_ended (gpointer data)
{
  return g_strcmp0 (hangar_job_get_state (data), "running") != 0;
}

/* What hangarctl does: a proxy for the job, then its PropertiesChanged
 * until it is no longer running. */
static HangarJob *
wait_for_job (Bench      *bench,
              const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HangarJob) job = hangar_job_proxy_new_sync (bench->env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                                        BENCH_BUS_NAME, path, NULL, &error);

  if (job == NULL)
    bench_fail ("cannot reach the job %s: %s", path, error->message);
  if (!hangar_test_wait_until (job_has_ended, job, JOB_TIMEOUT_S))
    bench_fail ("the job %s did not end in %d s", path, JOB_TIMEOUT_S);
  return g_steal_pointer (&job);
}

/* CreateVolume until its job has ended; `volume_path` gets the Volume. */
static double
hangard_create_volume (Bench              *bench,
                       HangarStoragePool  *pool,
                       const char         *name,
                       char              **volume_path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *job_path = NULL;
  g_autoptr(HangarJob) job = NULL;
  gint64 start = g_get_monotonic_time ();
  double ms;

  if (!hangar_storage_pool_call_create_volume_sync (pool, name, VOLUME_BYTES, "qcow2", no_options (),
                                                    &job_path, NULL, &error))
    bench_fail ("CreateVolume %s failed: %s", name, error->message);
  job = wait_for_job (bench, job_path);
  ms = bench_ms_since (start);

  if (g_strcmp0 (hangar_job_get_state (job), "completed") != 0)
    bench_fail ("creating %s: the job %s: %s", name, hangar_job_get_state (job),
                hangar_job_get_error_message (job));
  if (volume_path != NULL)
    *volume_path = g_strdup (hangar_job_get_result (job));
  return ms;
}

static void
hangard_delete_volume (Bench      *bench,
                       const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HangarVolume) volume = hangar_volume_proxy_new_sync (bench->env->connection, G_DBUS_PROXY_FLAGS_NONE,
                                                                 BENCH_BUS_NAME, path, NULL, &error);

  if (volume == NULL || !hangar_volume_call_delete_sync (volume, no_options (), NULL, &error))
    bench_fail ("cannot delete the volume %s: %s", path, error->message);
}

static double
hangard_refresh (HangarStoragePool *pool)
{
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  double ms;

  if (!hangar_storage_pool_call_refresh_sync (pool, NULL, &error))
    bench_fail ("Refresh failed: %s", error->message);
  ms = bench_ms_since (start);

  /* The harness's own object manager hears every InterfacesAdded. */
  hangar_test_settle ();
  return ms;
}

/* A fresh engine: jobs stay listed for a minute after they end, and a
 * listing should not carry section 1's. */
static void
restart_engine (Bench *bench)
{
  hangar_test_env_kill_engine (bench->env, SIGTERM);
  hangar_test_env_start_engine (bench->env);
}

/* ---- the tools hangard wraps -------------------------------------------------- */

/* The engine's own arguments (hangard-qemu-img.c): -q drops the one line
 * qemu-img prints. */
static double
qemu_img_create (Bench      *bench,
                 const char *path)
{
  const char *argv[] = { bench->qemu_img, "create", "-q", "-f", "qcow2", path, VOLUME_SIZE, NULL };
  g_autoptr(GError) error = NULL;
  double ms;

  if (!bench_run (argv, NULL, NULL, &ms, &error))
    bench_fail ("%s", error->message);
  return ms;
}

static double
ls_directory (Bench      *bench,
              const char *dir,
              guint      *n_files)
{
  const char *argv[] = { bench->ls, "-l", dir, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *listing = NULL;
  double ms;

  if (!bench_run (argv, NULL, &listing, &ms, &error))
    bench_fail ("%s", error->message);
  /* One line per file, and "total N" first. */
  *n_files = bench_count_lines (listing) - 1;
  return ms;
}

/* What a manager that asks qemu-img about every file pays. */
static double
qemu_img_info_all (Bench      *bench,
                   const char *dir,
                   guint       n)
{
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = listed_file_name (i);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      const char *argv[] = { bench->qemu_img, "info", "--output=json", path, NULL };
      g_autoptr(GError) error = NULL;
      g_autofree char *json = NULL;

      if (!bench_run (argv, NULL, &json, NULL, &error))
        bench_fail ("%s", error->message);
    }
  return bench_ms_since (start);
}

/* ---- 1. creating volumes ------------------------------------------------------ */

static void
print_create_row (const char *label,
                  GArray     *samples)
{
  double total = bench_samples_sum (samples);

  g_print ("  %-28s total %7.0f ms  per volume %7.2f ms  median %7.2f ms\n",
           label, total, total / samples->len, bench_samples_median (samples));
}

/* Uncounted: the first exec of qemu-img and the engine's first job. */
static void
create_warm_up (Bench             *bench,
                HangarStoragePool *pool,
                const char        *floor_dir)
{
  g_autofree char *volume_path = NULL;
  g_autofree char *file = g_build_filename (floor_dir, "warmup.qcow2", NULL);

  hangard_create_volume (bench, pool, "warmup.qcow2", &volume_path);
  hangard_delete_volume (bench, volume_path);
  qemu_img_create (bench, file);
  g_unlink (file);
}

static double
bench_create (Bench *bench)
{
  g_autofree char *target = g_build_filename (bench->tmpdir, "create-pool", NULL);
  g_autofree char *floor_dir = g_build_filename (bench->tmpdir, "create-qemu-img", NULL);
  g_autoptr(HangarStoragePool) pool = define_active_pool (bench, "bench-create", target);
  g_autoptr(GArray) hangard = bench_samples_new ();
  g_autoptr(GArray) tool = bench_samples_new ();
  double hangard_ms, tool_ms;

  g_print ("\n1. %d qcow2 volumes of 100 MiB (virtual), created one at a time, interleaved, after a warm-up\n"
           "   hangard: StoragePool.CreateVolume, then a Job proxy until the job has ended\n"
           "   qemu-img: qemu-img create -q -f qcow2 PATH %s (the engine's own arguments)\n",
           opt_volumes, VOLUME_SIZE);
  g_mkdir_with_parents (floor_dir, 0700);
  create_warm_up (bench, pool, floor_dir);

  for (int i = 0; i < opt_volumes; i++)
    {
      g_autofree char *name = created_volume_name (i);
      g_autofree char *file = g_build_filename (floor_dir, name, NULL);

      bench_samples_add (hangard, hangard_create_volume (bench, pool, name, NULL));
      bench_samples_add (tool, qemu_img_create (bench, file));
    }

  hangard_ms = bench_samples_sum (hangard);
  tool_ms = bench_samples_sum (tool);
  print_create_row ("hangard CreateVolume + Job", hangard);
  print_create_row ("qemu-img create", tool);
  g_print ("  ratio %.2f (hangard / qemu-img); hangard adds %.2f ms per volume\n",
           bench_ratio (hangard_ms, tool_ms), (hangard_ms - tool_ms) / opt_volumes);

  remove_pool (pool);
  return hangard_ms;
}

/* ---- 2. listing a pool -------------------------------------------------------- */

/* `n` image files, as a person would put them there: copies of one
 * qemu-img-made qcow2 file, and every RAW_EVERY-th a sparse raw file. */
static void
fill_directory (Bench      *bench,
                const char *dir,
                guint       n)
{
  g_autofree char *seed = g_build_filename (bench->tmpdir, "seed.qcow2", NULL);
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;

  qemu_img_create (bench, seed);
  if (!g_file_get_contents (seed, &data, &length, &error))
    bench_fail ("cannot read %s: %s", seed, error->message);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = listed_file_name (i);
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (listed_file_is_raw (i))
        write_new_file (path, NULL, 0, RAW_FILE_BYTES);
      else
        write_new_file (path, data, length, length);
    }
}

static double
refresh_again_median (HangarStoragePool *pool)
{
  g_autoptr(GArray) samples = bench_samples_new ();

  for (int i = 0; i < LIST_RUNS; i++)
    bench_samples_add (samples, hangard_refresh (pool));
  return bench_samples_median (samples);
}

static double
ls_median (Bench      *bench,
           const char *dir,
           guint      *n_files)
{
  g_autoptr(GArray) samples = bench_samples_new ();

  for (int i = 0; i < LIST_RUNS; i++)
    bench_samples_add (samples, ls_directory (bench, dir, n_files));
  return bench_samples_median (samples);
}

static void G_GNUC_PRINTF (3, 4)
print_list_row (const char *label,
                double      ms,
                const char *note_format,
                ...)
{
  g_autofree char *note = NULL;
  va_list args;

  va_start (args, note_format);
  note = g_strdup_vprintf (note_format, args);
  va_end (args);
  g_print ("  %-36s %9.1f ms  (%s)\n", label, ms, note);
}

static void
print_ratio_row (const char *label,
                 double      hangard_ms,
                 double      ls_ms,
                 double      info_ms)
{
  g_print ("    %-34s %#12.3g %#16.3g\n", label, bench_ratio (hangard_ms, ls_ms), bench_ratio (hangard_ms, info_ms));
}

typedef struct {
  double refresh_new_ms;
  double refresh_again_ms;
  double om_ms;
  double conn_ms;
  double ls_ms;
  double info_ms;
  guint  n_refreshed;
  guint  n_om;
  guint  n_conn;
  guint  n_ls;
} ListFigures;

static void
measure_listing (Bench             *bench,
                 HangarStoragePool *pool,
                 const char        *dir,
                 ListFigures       *f)
{
  HangarTestEnv *env = bench->env;

  f->refresh_new_ms = hangard_refresh (pool);
  f->n_refreshed = bench_count_objects (env->object_manager, VOLUME_INTERFACE);
  f->refresh_again_ms = refresh_again_median (pool);
  f->om_ms = bench_list_median (bench_list_with_object_manager, env, VOLUME_INTERFACE, LIST_RUNS, &f->n_om);
  f->conn_ms = bench_list_median (bench_list_with_new_connection, env, VOLUME_INTERFACE, LIST_RUNS, &f->n_conn);
  f->ls_ms = ls_median (bench, dir, &f->n_ls);
  f->info_ms = qemu_img_info_all (bench, dir, opt_files);
}

static void
print_listing (const ListFigures *f)
{
  print_list_row ("hangard Refresh, all files new", f->refresh_new_ms, "%u volumes listed", f->n_refreshed);
  print_list_row ("hangard Refresh again, no change", f->refresh_again_ms, "median of %d", LIST_RUNS);
  print_list_row ("fresh object manager, open conn", f->om_ms,
                  "%u Volume objects, median of %d", f->n_om, LIST_RUNS);
  print_list_row ("fresh connection + object manager", f->conn_ms,
                  "%u Volume objects, median of %d", f->n_conn, LIST_RUNS);
  print_list_row ("ls -l", f->ls_ms, "%u files, median of %d", f->n_ls, LIST_RUNS);
  print_list_row ("qemu-img info --output=json, each", f->info_ms,
                  "%.2f ms per file, one after the other", f->info_ms / opt_files);

  g_print ("  ratios, hangard / alternative:        vs ls -l   vs qemu-img info\n");
  print_ratio_row ("Refresh, all files new", f->refresh_new_ms, f->ls_ms, f->info_ms);
  print_ratio_row ("Refresh again", f->refresh_again_ms, f->ls_ms, f->info_ms);
  print_ratio_row ("fresh connection + object manager", f->conn_ms, f->ls_ms, f->info_ms);
  print_ratio_row ("Refresh (new) + fresh conn + OM", f->refresh_new_ms + f->conn_ms, f->ls_ms, f->info_ms);
  g_print ("   the files are in the page cache for every contender; Refresh reads each file's header\n"
           "   in the engine and replies once every new Volume object has been announced\n");
}

/* The pool is made empty and active first, so that Refresh, not Start,
 * is what finds the files. */
static void
bench_list (Bench          *bench,
            const char     *dir,
            StorageResults *results)
{
  g_autoptr(HangarStoragePool) pool = define_active_pool (bench, "bench-many", dir);
  guint n_raw = opt_files / RAW_EVERY;
  ListFigures figures = { 0 };

  g_print ("\n2. A pool of %d files put there by hand (%u copies of one qemu-img-made qcow2, %u sparse raw)\n",
           opt_files, opt_files - n_raw, n_raw);
  fill_directory (bench, dir, opt_files);
  measure_listing (bench, pool, dir, &figures);
  print_listing (&figures);

  results->refresh_new_ms = figures.refresh_new_ms;
  results->refresh_again_ms = figures.refresh_again_ms;
  results->list_ms = figures.conn_ms;
}

/* ---- 3. libvirt ------------------------------------------------------------------ */

typedef struct {
  double connect_ms;
  double create_ms;
  double start_ms;              /* pool-start on the filled directory: its first listing */
  double refresh_ms;
  double list_ms;
  guint  listed;
} VirshResults;

static gboolean
virsh_define_pool (BenchLibvirt  *lv,
                   const char    *name,
                   const char    *target,
                   gboolean       build_and_start,
                   GError       **error)
{
  g_autofree char *quoted = g_shell_quote (target);
  g_autofree char *commands = NULL;

  if (build_and_start)
    commands = g_strdup_printf ("pool-define-as %s dir --target %s; pool-build %s; pool-start %s",
                                name, quoted, name, name);
  else
    commands = g_strdup_printf ("pool-define-as %s dir --target %s", name, quoted);
  return bench_virsh (lv, commands, NULL, NULL, error);
}

/* The first vol-create-as makes libvirtd probe qemu-img. */
static gboolean
virsh_warm_up (BenchLibvirt  *lv,
               GError       **error)
{
  return bench_virsh (lv, "vol-create-as bench-create warmup.qcow2 " VOLUME_SIZE " --format qcow2; "
                          "vol-delete warmup.qcow2 --pool bench-create", NULL, NULL, error);
}

static gboolean
virsh_create_all (BenchLibvirt  *lv,
                  double        *ms,
                  GError       **error)
{
  g_autoptr(GString) commands = g_string_new (NULL);

  for (int i = 0; i < opt_volumes; i++)
    {
      g_autofree char *name = created_volume_name (i);

      g_string_append_printf (commands, "vol-create-as bench-create %s " VOLUME_SIZE " --format qcow2; ", name);
    }
  return bench_virsh (lv, commands->str, NULL, ms, error);
}

static gboolean
virsh_median (BenchLibvirt  *lv,
              const char    *commands,
              double        *median_ms,
              char         **last_output,
              GError       **error)
{
  g_autoptr(GArray) samples = bench_samples_new ();

  for (int i = 0; i < LIST_RUNS; i++)
    {
      g_autofree char *output = NULL;
      double ms;

      if (!bench_virsh (lv, commands, &output, &ms, error))
        return FALSE;
      bench_samples_add (samples, ms);
      if (last_output != NULL)
        {
          g_free (*last_output);
          *last_output = g_steal_pointer (&output);
        }
    }
  *median_ms = bench_samples_median (samples);
  return TRUE;
}

/* vol-list prints a volume's path on its line. */
static guint
count_lines_naming (const char *text,
                    const char *dir)
{
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], dir) != NULL)
      n++;
  return n;
}

static gboolean
virsh_list_pool (BenchLibvirt  *lv,
                 const char    *dir,
                 VirshResults  *r,
                 GError       **error)
{
  g_autofree char *listing = NULL;

  if (!virsh_define_pool (lv, "bench-many", dir, FALSE, error) ||
      !bench_virsh (lv, "pool-start bench-many", NULL, &r->start_ms, error) ||
      !virsh_median (lv, "pool-refresh bench-many", &r->refresh_ms, NULL, error) ||
      !virsh_median (lv, "vol-list bench-many", &r->list_ms, &listing, error))
    return FALSE;
  r->listed = count_lines_naming (listing, dir);
  return TRUE;
}

static gboolean
virsh_measure (Bench         *bench,
               BenchLibvirt  *lv,
               const char    *many_dir,
               VirshResults  *r,
               GError       **error)
{
  g_autofree char *create_dir = g_build_filename (bench->tmpdir, "virsh-create-pool", NULL);

  return virsh_define_pool (lv, "bench-create", create_dir, TRUE, error) &&
         virsh_warm_up (lv, error) &&
         bench_virsh_connect_cost (lv, VIRSH_CONNECT_RUNS, &r->connect_ms, error) &&
         virsh_create_all (lv, &r->create_ms, error) &&
         virsh_list_pool (lv, many_dir, r, error);
}

static void
print_compare_row (const char *label,
                   const char *hangard_what,
                   double      hangard_ms,
                   const char *virsh_what,
                   double      virsh_ms,
                   double      virsh_start_ms)
{
  g_autofree char *net = bench_ratio_without_start_up (hangard_ms, virsh_ms, virsh_start_ms);

  g_print ("  %-16s hangard %-22s %8.1f ms | virsh %-14s %8.1f ms | ratio %#.3g (%s without virsh start-up)\n",
           label, hangard_what, hangard_ms, virsh_what, virsh_ms, bench_ratio (hangard_ms, virsh_ms), net);
}

static void
print_virsh_results (const StorageResults *hangard,
                     const VirshResults   *r)
{
  g_autofree char *create_label = g_strdup_printf ("create x%d", opt_volumes);
  g_autofree char *list_label = g_strdup_printf ("list %d", opt_files);

  print_compare_row (create_label, "CreateVolume + Job", hangard->create_ms,
                     "vol-create-as", r->create_ms, r->connect_ms);
  print_compare_row ("first listing", "Refresh, all new", hangard->refresh_new_ms,
                     "pool-start", r->start_ms, r->connect_ms);
  print_compare_row ("refresh again", "Refresh", hangard->refresh_again_ms,
                     "pool-refresh", r->refresh_ms, r->connect_ms);
  print_compare_row (list_label, "new conn + OM", hangard->list_ms,
                     "vol-list", r->list_ms, r->connect_ms);
  g_print ("   each virsh figure is one virsh process and connection running all its commands;\n"
           "   virsh start-up + connect alone (virsh uri): %.1f ms; refresh and list are medians of %d;\n"
           "   virsh vol-list showed %u of %d volumes\n",
           r->connect_ms, LIST_RUNS, r->listed, opt_files);
}

static void
bench_libvirt (Bench                *bench,
               const char           *many_dir,
               const StorageResults *hangard)
{
  g_autoptr(BenchLibvirt) lv = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (bench->tmpdir, "libvirt", NULL);
  VirshResults results = { 0 };

  g_print ("\n3. The same against libvirt (virsh, private libvirtd session)\n");
  lv = bench_libvirt_find ();
  if (lv == NULL)
    return;
  if (!bench_libvirt_start (lv, dir, &error) || !virsh_measure (bench, lv, many_dir, &results, &error))
    {
      g_print ("  libvirt comparison failed: %s\n", error->message);
      return;
    }
  print_virsh_results (hangard, &results);
}

/* ---- main ------------------------------------------------------------------------ */

static gboolean
parse_options (int    *argc,
               char ***argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— time hangard's storage against qemu-img and libvirt");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, options, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      return FALSE;
    }
  if (opt_volumes < 1 || opt_files < 1 || opt_volumes > 9999 || opt_files > 9999)
    {
      g_printerr ("%s: --volumes and --files must be between 1 and 9999\n", g_get_prgname ());
      return FALSE;
    }
  return TRUE;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GVariant) host = NULL;
  g_autofree char *many_dir = NULL;
  StorageResults results = { 0 };
  Bench bench = { 0 };
  gint64 start = g_get_monotonic_time ();

  g_set_prgname ("storage-bench");
  if (!parse_options (&argc, &argv))
    return 2;
  if (!bench_find_inputs (FALSE))
    return 1;

  bench.tmpdir = bench_make_tmpdir ();
  bench_set_cleanup (bench_cleanup, &bench);
  find_tools (&bench);
  bench.env = hangar_test_env_new (FALSE);
  host = bench_print_host (bench.env);

  results.create_ms = bench_create (&bench);
  restart_engine (&bench);
  many_dir = g_build_filename (bench.tmpdir, "many-pool", NULL);
  bench_list (&bench, many_dir, &results);
  bench_libvirt (&bench, many_dir, &results);

  bench_set_cleanup (NULL, NULL);
  bench_cleanup (&bench);
  g_print ("\nstorage-bench: done in %.1f s\n", bench_ms_since (start) / 1000.0);
  return 0;
}
