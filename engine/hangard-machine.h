/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hangar-dbus.h"
#include "hangard-daemon.h"
#include "hangard-vm.h"

G_BEGIN_DECLS

/* io.github.hangarvm.Hangar1.Machine: one defined machine, its definition
 * and its QEMU (HangardVm). */
#define HANGARD_TYPE_MACHINE (hangard_machine_get_type ())
G_DECLARE_FINAL_TYPE (HangardMachine, hangard_machine, HANGARD, MACHINE, HangarMachineSkeleton)

HangardMachine *hangard_machine_new          (HangardDaemon  *daemon,
                                              HangardDomain  *domain,
                                              gboolean        autostart);
const char     *hangard_machine_get_uuid     (HangardMachine *self);
const char     *hangard_machine_get_name     (HangardMachine *self);
const char     *hangard_machine_get_path     (HangardMachine *self);
HangardDomain  *hangard_machine_get_domain   (HangardMachine *self);
HangardVm      *hangard_machine_get_vm       (HangardMachine *self);
/* Its internal snapshots (hangard-snapshots.c). */
typedef struct _HangardSnapshots HangardSnapshots;
HangardSnapshots *hangard_machine_get_snapshots (HangardMachine *self);
HangardDaemon  *hangard_machine_get_daemon   (HangardMachine *self);
/* Whether a managed save exists (State "saved" while shut off). */
gboolean        hangard_machine_has_managed_save (HangardMachine *self);
void            hangard_machine_set_managed_save (HangardMachine *self,
                                                  gboolean        has_managed_save);
/* Takes the new definition (ownership); a running guest keeps its old one. */
void            hangard_machine_set_domain   (HangardMachine *self,
                                              HangardDomain  *domain);
void            hangard_machine_set_autostart_flag (HangardMachine *self,
                                                    gboolean        autostart);

/* Starts the machine, its pool volumes resolved to files; finish with
 * hangard_vm_start_finish() on the machine's vm (the source object). A
 * machine with a managed save resumes from it (hangard-save.c). */
void            hangard_machine_start_async  (HangardMachine      *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
/* The same with `domain` (a definition of this machine, e.g. the one a save
 * file carries) instead of the stored one, and no managed-save check. */
void            hangard_machine_start_domain_async (HangardMachine      *self,
                                                    HangardDomain       *domain,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);

/* "/io/github/hangarvm/Hangar1/machines/<uuid with _>" */
char           *hangard_machine_path_for_uuid (const char    *uuid);

G_END_DECLS
