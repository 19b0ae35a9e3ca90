/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The host's huge page pool, for guests with <memoryBacking><hugepages/>.
 *
 * Linux hands out huge pages only from a pool the administrator sets up
 * (vm.nr_hugepages, or hugepages= on the kernel command line); QEMU then
 * takes the guest's memory from it. The engine checks the pool before it
 * starts such a guest, so a host without one gets a clear refusal rather
 * than QEMU's failure to allocate. */

/* Whether `memory_kib` of guest memory fits in free huge pages of
 * `page_kib` (0: the host's default size, /proc/meminfo's Hugepagesize).
 * `meminfo` and `sysfs_dir` (nullable, for tests) replace /proc/meminfo and
 * /sys/kernel/mm/hugepages. Errors: HANGAR_ERROR_UNSUPPORTED (the host has
 * no huge pages of that size configured, or the memory is not a whole
 * number of pages), HANGAR_ERROR_INVALID_STATE (too few are free now). */
gboolean hangard_hugepages_check (guint64       memory_kib,
                                  guint64       page_kib,
                                  const char   *meminfo,
                                  const char   *sysfs_dir,
                                  GError      **error);

G_END_DECLS
