/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <sched.h>

#include "hangard-domain.h"
#include "hangard-host.h"
#include "hangard-qmp.h"

G_BEGIN_DECLS

typedef enum {
  HANGARD_VM_STATE_SHUTOFF,
  HANGARD_VM_STATE_STARTING,
  HANGARD_VM_STATE_RUNNING,
  HANGARD_VM_STATE_PAUSED,
  HANGARD_VM_STATE_SHUTTING_DOWN,
  HANGARD_VM_STATE_CRASHED,
} HangardVmState;

typedef enum {
  HANGARD_VM_REQUEST_SHUTDOWN,   /* ACPI power button */
  HANGARD_VM_REQUEST_REBOOT,     /* power button, then reset once the guest is off */
  HANGARD_VM_REQUEST_RESET,      /* reset button */
  HANGARD_VM_REQUEST_PAUSE,
  HANGARD_VM_REQUEST_RESUME,
  HANGARD_VM_REQUEST_FORCE_OFF,  /* SIGTERM, SIGKILL after a grace period; done when QEMU is gone */
} HangardVmRequest;

/* One machine's QEMU process: spawning it, or adopting one that a previous
 * engine started, watching it with a pidfd (QEMU need not be our child), and
 * keeping the state true from QMP events. QEMU runs in its own session and
 * keeps its QMP socket listening in the runtime directory, so it outlives the
 * engine and a new engine can pick it up again.
 *
 * Signal "changed" (): state, reason, pid, accelerator or start time changed. */
#define HANGARD_TYPE_VM (hangard_vm_get_type ())
G_DECLARE_FINAL_TYPE (HangardVm, hangard_vm, HANGARD, VM, GObject)

HangardVm      *hangard_vm_new                  (const char         *uuid,
                                                 const char         *runtime_dir,
                                                 const char         *console_log_path,
                                                 const char         *qemu_log_path);

HangardVmState  hangard_vm_get_state            (HangardVm          *self);
const char     *hangard_vm_get_state_reason     (HangardVm          *self);
/* TRUE while a QEMU process exists (running, paused, shutting down, starting). */
gboolean        hangard_vm_is_active            (HangardVm          *self);
GPid            hangard_vm_get_pid              (HangardVm          *self);
const char     *hangard_vm_get_accelerator      (HangardVm          *self);
guint64         hangard_vm_get_start_time       (HangardVm          *self);
const char     *hangard_vm_get_console_log_path (HangardVm          *self);
const char     *hangard_vm_get_qemu_log_path    (HangardVm          *self);
/* The files the running QEMU has as disks (pool volumes resolved when it
 * started), or NULL when it is not running. */
const char * const *hangard_vm_get_disk_paths  (HangardVm          *self);
/* How NIC `index` is connected while running: "tap" (a host tap on a
 * network or bridge), "passt" or "slirp" (user-mode); NULL when not running. */
const char     *hangard_vm_get_nic_backend      (HangardVm          *self,
                                                 guint               index);
/* The host tap of NIC `index` while running, or NULL. */
const char     *hangard_vm_get_tap_name         (HangardVm          *self,
                                                 guint               index);
const char     *hangard_vm_state_to_string      (HangardVmState      state);

/* Spawns QEMU for `domain` (paused with -S until the engine has pinned its
 * vCPUs, then continued) and completes once the guest runs. If QEMU exits
 * during start, fails with HANGAR_ERROR_QEMU carrying what QEMU printed. */
/* `tap_fds` (nullable) holds one fd per NIC of `domain` (-1 for user
 * networking), named `tap_names`; QEMU gets its own copies, the caller
 * closes its fds when this returns. */
void            hangard_vm_start_async          (HangardVm          *self,
                                                 HangardDomain      *domain,
                                                 HangardHost        *host,
                                                 GArray             *tap_fds,
                                                 GPtrArray          *tap_names,
                                                 GCancellable       *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer            user_data);
gboolean        hangard_vm_start_finish         (HangardVm          *self,
                                                 GAsyncResult       *result,
                                                 GError            **error);

/* Looks for a QEMU left running by a previous engine (pid file, same UUID on
 * its command line) and reconnects to it. Completes with TRUE when one was
 * adopted, FALSE (no error) when there was none. */
void            hangard_vm_adopt_async          (HangardVm          *self,
                                                 GCancellable       *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer            user_data);
gboolean        hangard_vm_adopt_finish         (HangardVm          *self,
                                                 GAsyncResult       *result,
                                                 GError            **error);

/* Errors: HANGAR_ERROR_INVALID_STATE when the state does not allow it,
 * HANGAR_ERROR_QEMU when QEMU refuses. */
void            hangard_vm_request_async        (HangardVm          *self,
                                                 HangardVmRequest    request,
                                                 GCancellable       *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer            user_data);
gboolean        hangard_vm_request_finish       (HangardVm          *self,
                                                 GAsyncResult       *result,
                                                 GError            **error);

/* The a{sv} of Machine.GetStats. `domain` maps block devices to targets. */
void            hangard_vm_get_stats_async      (HangardVm          *self,
                                                 HangardDomain      *domain,
                                                 GCancellable       *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer            user_data);
GVariant       *hangard_vm_get_stats_finish     (HangardVm          *self,
                                                 GAsyncResult       *result,
                                                 GError            **error);

G_END_DECLS
