/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the benchmarks share: figures, processes, the engine harness seen
 * from a client, and a private libvirtd session to compare with. Messages
 * are prefixed with g_get_prgname (), which each benchmark sets. */

#include <gio/gio.h>

#include "hangar-test-env.h"

G_BEGIN_DECLS

#define BENCH_BUS_NAME   "io.github.hangarvm.Hangar1"
#define BENCH_ROOT_PATH  "/io/github/hangarvm/Hangar1"

/* ---- Figures, in milliseconds --------------------------------------------- */

double              bench_ms_since                 (gint64              start_us);
double              bench_ratio                    (double              a,
                                                    double              b);
GArray             *bench_samples_new              (void);
void                bench_samples_add              (GArray             *samples,
                                                    double              ms);
double              bench_samples_median           (GArray             *samples);
double              bench_samples_min              (GArray             *samples);
double              bench_samples_sum              (GArray             *samples);
guint               bench_count_lines              (const char         *text);

/* ---- Failing, cleaning up --------------------------------------------------- */

/* `cleanup (data)` runs once when bench_fail() ends the program. */
void                bench_set_cleanup              (GDestroyNotify      cleanup,
                                                    gpointer            data);
/* Says why the benchmark cannot go on, cleans up, exits with 1. */
void                bench_fail                     (const char         *format,
                                                    ...) G_GNUC_NORETURN G_GNUC_PRINTF (1, 2);
/* A fresh "<prgname>-XXXXXX" under the temporary directory. */
char               *bench_make_tmpdir              (void);
/* Kills what is left of our processes that name a file under `dir`, then
 * removes it (kept with HANGAR_TEST_KEEP=1, as the tests do). */
void                bench_remove_tmpdir            (const char         *dir);

/* ---- Processes and files ----------------------------------------------------- */

gboolean            bench_wait_for_exit            (GPid                pid,
                                                    guint               timeout_s);
void                bench_stop_child               (GPid                pid,
                                                    int                 signum);
void                bench_kill_processes_under     (const char         *dir);
void                bench_remove_tree              (const char         *path);
char               *bench_file_tail                (const char         *path,
                                                    gsize               max_bytes);
/* Runs `argv` (an absolute program path) to its end with `envp` (NULL: ours);
 * `ms` gets the time from spawn to exit, `output` its stdout (both may be
 * NULL). A non-zero exit is an error carrying its stderr. */
gboolean            bench_run                      (const char * const *argv,
                                                    const char * const *envp,
                                                    char              **output,
                                                    double             *ms,
                                                    GError            **error);

/* ---- The engine ----------------------------------------------------------------- */

/* Run by hand, a benchmark finds hangard (and the test guest when it needs
 * it) in the build tree it lives in; says what is missing. */
gboolean            bench_find_inputs              (gboolean            need_guest);
/* $name when it is set; otherwise sets it to `relative` resolved against
 * the benchmark's own directory (_build/tests/bench/) and returns that. */
const char         *bench_build_path               (const char         *name,
                                                    const char         *relative);
/* Prints one line about the host; returns GetHostInfo's answer. */
GVariant           *bench_print_host               (HangarTestEnv      *env);

GDBusObjectManager *bench_new_object_manager       (GDBusConnection    *connection);
guint               bench_count_objects            (GDBusObjectManager *manager,
                                                    const char         *interface);

/* How long a client takes to see every object; `n_objects` gets how many
 * have `interface`. */
typedef double    (*BenchListFunc)                 (HangarTestEnv      *env,
                                                    const char         *interface,
                                                    guint              *n_objects);
/* A fresh object manager on the harness's open connection. */
double              bench_list_with_object_manager (HangarTestEnv      *env,
                                                    const char         *interface,
                                                    guint              *n_objects);
/* A new bus connection (connect, authenticate, Hello), then the same. */
double              bench_list_with_new_connection (HangarTestEnv      *env,
                                                    const char         *interface,
                                                    guint              *n_objects);
/* Listing is short and noisy: the median of `runs`. */
double              bench_list_median              (BenchListFunc       list,
                                                    HangarTestEnv      *env,
                                                    const char         *interface,
                                                    guint               runs,
                                                    guint              *n_objects);

/* ---- libvirt ------------------------------------------------------------------- */

typedef struct {
  char  *dir;
  char  *virsh;
  char  *libvirtd;
  char  *socket;
  char  *uri;
  GStrv  envp;
  GPid   daemon_pid;
} BenchLibvirt;

/* virsh and libvirtd when they are installed and a private session can be
 * had (not as root); otherwise prints the line saying why it is skipped
 * and returns NULL. */
BenchLibvirt       *bench_libvirt_find             (void);
/* A session libvirtd whose every file is under `dir`. */
gboolean            bench_libvirt_start            (BenchLibvirt       *lv,
                                                    const char         *dir,
                                                    GError            **error);
void                bench_libvirt_free             (BenchLibvirt       *lv);
/* One virsh process and connection running `commands` (';'-separated). */
gboolean            bench_virsh                    (BenchLibvirt       *lv,
                                                    const char         *commands,
                                                    char              **output,
                                                    double             *ms,
                                                    GError            **error);
/* What starting virsh and connecting costs alone: the fastest of `runs`. */
gboolean            bench_virsh_connect_cost       (BenchLibvirt       *lv,
                                                    guint               runs,
                                                    double             *min_ms,
                                                    GError            **error);
/* hangard_ms / (virsh_ms - virsh_start_ms), or "n/a" when nothing is left. */
char               *bench_ratio_without_start_up   (double              hangard_ms,
                                                    double              virsh_ms,
                                                    double              virsh_start_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchLibvirt, bench_libvirt_free)

G_END_DECLS
