/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hangard-daemon.h"
#include "hangard-job.h"

G_BEGIN_DECLS

/* Machine.Clone (virt-clone): a shut-off machine copied under a new name,
 * with a new UUID and new MAC addresses, and its writable disks copied
 * (qemu-img convert) or linked (a qcow2 overlay backed by the source disk)
 * into a pool, as a Job with progress and Cancel.
 *
 * Everything that can be checked is checked before the job starts, and
 * answered as the error of the call: the name (InvalidArgument, or
 * AlreadyExists when taken or being cloned to), the options
 * (InvalidArgument), the source's state (InvalidState: running, or with a
 * managed save), the pools (NotFound, InvalidState when inactive), the
 * disks' files (AlreadyExists) and the clone's definition as
 * DefineMachine would check it. The clone is defined only when every disk
 * is in place; a failure or Cancel removes the files made so far. The
 * source's definition and disks are never written to.
 *
 * `options`: "linked" (b), "pool" (s, a pool name). Returns the job
 * (exported on the bus; owned by the daemon's object manager). */
HangardJob *hangard_clone_machine (HangardDaemon   *daemon,
                                   HangardMachine  *source,
                                   const char      *new_name,
                                   GVariant        *options,
                                   GError         **error);

G_END_DECLS
