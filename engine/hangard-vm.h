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
/* The definition (domain XML) the running QEMU was started from, which
 * differs from the stored one once that is edited; NULL when not running
 * or unknown (a QEMU adopted from an older engine). */
const char     *hangard_vm_get_running_xml     (HangardVm          *self);
/* How NIC `index` is connected while running: "tap" (a host tap on a
 * network or bridge), "passt" or "slirp" (user-mode); NULL when not running. */
const char     *hangard_vm_get_nic_backend      (HangardVm          *self,
                                                 guint               index);
/* The host tap of NIC `index` while running, or NULL. */
const char     *hangard_vm_get_tap_name         (HangardVm          *self,
                                                 guint               index);
const char     *hangard_vm_state_to_string      (HangardVmState      state);

/* After a live device change (hangard-devices.c): the running QEMU now
 * runs `domain` (pool volumes resolved), which becomes its running
 * definition and disk files, saved with its run information. No effect
 * when QEMU is not running. */
void            hangard_vm_set_running_domain   (HangardVm          *self,
                                                 HangardDomain      *domain);
/* NIC `index` of the running definition was hot-plugged with `backend`
 * ("tap", "passt" or "slirp") and `tap_name` (nullable), or removed; the
 * later ones move up or down. Call hangard_vm_set_running_domain() after. */
void            hangard_vm_insert_nic           (HangardVm          *self,
                                                 guint               index,
                                                 const char         *backend,
                                                 const char         *tap_name);
void            hangard_vm_remove_nic           (HangardVm          *self,
                                                 guint               index);

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

/* A new VNC client of the running QEMU: a socket pair, one end given to
 * QEMU (getfd, add_client protocol=vnc skipauth=true), the other returned.
 * No TCP port is involved. Errors: HANGAR_ERROR_INVALID_STATE (not
 * running, or QMP unreachable), HANGAR_ERROR_NO_DEVICE (QEMU runs without
 * a VNC display), HANGAR_ERROR_QEMU, HANGAR_ERROR_FAILED. */
void            hangard_vm_open_display_async   (HangardVm          *self,
                                                 GCancellable       *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer            user_data);
/* The caller's end of the socket (close it), or -1 with `error` set. */
int             hangard_vm_open_display_finish  (HangardVm          *self,
                                                 GAsyncResult       *result,
                                                 GError            **error);

/* The serial port, interactively: a socket pair, one end given to QEMU
 * (getfd), the serial port's chardev switched to it with chardev-change,
 * its log file kept. Takes over from a previous OpenSerial, whose socket
 * then reads end of file. Errors as hangard_vm_open_display_async(), with
 * HANGAR_ERROR_NO_DEVICE when there is no serial port. */
void            hangard_vm_open_serial_async    (HangardVm          *self,
                                                 GCancellable       *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer            user_data);
int             hangard_vm_open_serial_finish   (HangardVm          *self,
                                                 GAsyncResult       *result,
                                                 GError            **error);

/* Save, first half: stops the guest (when it runs), sets no bandwidth
 * limit, gives QEMU a copy of `fd` (getfd) and migrates to it (migrate
 * fd:NAME), polling query-migrate until the stream is complete. The state
 * goes where fd's file offset is. QEMU then waits (postmigrate) for
 * hangard_vm_finish_save_async(), which must follow a success. On failure
 * the guest goes on as before (resumed when it ran). Errors:
 * HANGAR_ERROR_INVALID_STATE (not running or paused, or saving already),
 * HANGAR_ERROR_QEMU, HANGAR_ERROR_FAILED. */
void            hangard_vm_save_state_async     (HangardVm          *self,
                                                 int                 fd,
                                                 GCancellable       *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer            user_data);
/* `was_running` (nullable): whether the guest ran when the save began. */
gboolean        hangard_vm_save_state_finish    (HangardVm          *self,
                                                 GAsyncResult       *result,
                                                 gboolean           *was_running,
                                                 GError            **error);
/* Save, second half. `keep`: the state is safely stored, QEMU quits and
 * the machine becomes shut off with reason "saved" (completes once QEMU
 * is gone). Not `keep`: the guest continues as it was. */
void            hangard_vm_finish_save_async    (HangardVm          *self,
                                                 gboolean            keep,
                                                 GCancellable       *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer            user_data);
gboolean        hangard_vm_finish_save_finish   (HangardVm          *self,
                                                 GAsyncResult       *result,
                                                 GError            **error);

/* Makes the next start a restore: QEMU runs with -incoming defer, gets a
 * copy of `fd` (positioned at the start of QEMU's stream) with getfd,
 * loads it with migrate-incoming and continues (or stays paused with
 * `paused`; StateReason "restored"). A QEMU that cannot load the stream
 * fails the start with HANGAR_ERROR_QEMU and its words. The vm keeps its
 * own copy of `fd` until that start ends; fd -1 cancels a pending restore. */
void            hangard_vm_set_incoming         (HangardVm          *self,
                                                 int                 fd,
                                                 gboolean            paused);

/* The QMP connection of the running QEMU, for callers that drive QEMU
 * themselves (snapshots); NULL when shut off or when QMP does not answer.
 * Do not close it. */
HangardQmp     *hangard_vm_get_qmp              (HangardVm          *self);
/* Makes the next start load the internal snapshot `tag` (QEMU's -loadvm,
 * before the guest runs; a snapshot QEMU cannot load fails the start with
 * HANGAR_ERROR_QEMU and its words) and continue it, or with `paused` leave
 * it paused (StateReason "restored from a snapshot, paused"). Applies to
 * the next start only; tag NULL cancels. */
void            hangard_vm_set_loadvm           (HangardVm          *self,
                                                 const char         *tag,
                                                 gboolean            paused);

G_END_DECLS
