/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hangard-domain.h"

G_BEGIN_DECLS

/* A guest's resource limits, in the cgroup's own units. */
typedef struct {
  guint64 memory_max;     /* bytes (memory.max); 0: no limit */
  guint64 memory_high;    /* bytes (memory.high); 0: no limit */
  guint64 cpu_weight;     /* cpu.weight (cpu.shares on cgroup v1); 0: the default */
  guint64 cpu_quota_us;   /* CPU time the whole QEMU may use per period; 0: no limit */
  guint64 cpu_period_us;  /* the period of cpu_quota_us (set whenever cpu_quota_us is) */
} HangardCgroupLimits;

/* libvirt's meaning, for one cgroup holding the whole QEMU process:
 * <memtune><hard_limit> → memory_max, <soft_limit> → memory_high,
 * <cputune><shares> → cpu_weight (as libvirt writes it to cpu.weight: the
 * same number), <quota>/<period> (per vCPU in libvirt) → quota × vCPUs per
 * period, <global_quota>/<global_period> → as they are; when both are set
 * the smaller share of CPU time wins. A period left out is 100 ms. */
void     hangard_cgroup_limits_from_domain (const HangardDomain       *domain,
                                            HangardCgroupLimits       *limits);
gboolean hangard_cgroup_limits_are_empty   (const HangardCgroupLimits *limits);

/* The transient unit a machine runs in when systemd manages the cgroups:
 * "hangar-NAME-UUID8.scope", NAME escaped as systemd does (\xNN). */
char    *hangard_cgroup_scope_name         (const char                *name,
                                            const char                *uuid);

/* One machine's cgroup: the QEMU process alone in it, so its memory and
 * CPU are accounted apart and the definition's limits apply.
 *
 * Without systemd (hangard_cgroup_create) the engine makes the cgroup
 * itself: on cgroup v2 /sys/fs/cgroup/hangar.slice/machine-UUID (the root
 * of the cgroup2 mount, wherever it is), with the memory and cpu
 * controllers enabled where the kernel offers them; a controller that only
 * a cgroup v1 hierarchy holds (hybrid hosts) gets a v1 cgroup
 * hangar.slice/machine-UUID under the engine's own cgroup in that
 * hierarchy. The child enters them between fork and exec
 * (hangard_cgroup_enter), so QEMU is accounted from its first allocation.
 *
 * With systemd (hangard_cgroup_start_scope_async) the process goes into a
 * transient scope in machine.slice carrying the limits as properties. */
#define HANGARD_TYPE_CGROUP (hangard_cgroup_get_type ())
G_DECLARE_FINAL_TYPE (HangardCgroup, hangard_cgroup, HANGARD, CGROUP, GObject)

HangardCgroup *hangard_cgroup_new               (const char                *uuid,
                                                 const char                *name,
                                                 const HangardCgroupLimits *limits);

/* Makes the cgroup directories and writes the limits. TRUE when the
 * process will have a cgroup of its own in at least one hierarchy; what
 * could not be done (a controller missing, a limit refused) is listed by
 * hangard_cgroup_get_warnings(). FALSE (HANGAR_ERROR_FAILED) when no
 * cgroup file system can be written. */
gboolean       hangard_cgroup_create            (HangardCgroup             *self,
                                                 GError                   **error);
/* Limits or controllers that were asked for and are not in force. */
const char * const *hangard_cgroup_get_warnings (HangardCgroup             *self);
/* The cgroup v2 directory, the v1 memory one, or NULL before create. */
const char    *hangard_cgroup_get_path          (HangardCgroup             *self);

/* In a forked child before exec: moves the calling process into every
 * cgroup hangard_cgroup_create() made. Async-signal-safe; failures are
 * ignored (the guest runs unaccounted rather than not at all). */
void           hangard_cgroup_enter             (HangardCgroup             *self);

/* The directories hangard_cgroup_create() made (none under systemd). */
GStrv          hangard_cgroup_dup_dirs          (HangardCgroup             *self);
/* Removes them (once QEMU is gone, or did not start). */
void           hangard_cgroup_remove            (HangardCgroup             *self);

/* Moves `pid` into a transient scope (systemd's StartTransientUnit on
 * `systemd`, the system bus) with the limits as unit properties. Completes
 * with the unit's name, or an error from systemd. */
void           hangard_cgroup_start_scope_async (HangardCgroup             *self,
                                                 GDBusConnection           *systemd,
                                                 GPid                       pid,
                                                 GCancellable              *cancellable,
                                                 GAsyncReadyCallback        callback,
                                                 gpointer                   user_data);
char          *hangard_cgroup_start_scope_finish (HangardCgroup            *self,
                                                  GAsyncResult             *result,
                                                  GError                  **error);

G_END_DECLS
