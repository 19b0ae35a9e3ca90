/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hangar-dbus.h"
#include "hangard-daemon.h"

G_BEGIN_DECLS

/* io.github.hangarvm.Hangar1.Job: long work with progress and Cancel.
 *
 * The code doing the work creates a job, exports it (the daemon does that),
 * reports progress, and ends it exactly once with complete or fail. Cancel
 * triggers the job's GCancellable; the work then removes what it made and
 * calls hangard_job_fail() with G_IO_ERROR_CANCELLED, which the job shows as
 * State "cancelled". An ended job emits "ended" and is unexported by its
 * owner a while later. Cancel is authorized through `daemon` (manage). */
#define HANGARD_TYPE_JOB (hangard_job_get_type ())
G_DECLARE_FINAL_TYPE (HangardJob, hangard_job, HANGARD, JOB, HangarJobSkeleton)

/* Signal "ended" (): emitted once, when the job completes, fails or is cancelled. */
HangardJob   *hangard_job_new             (HangardDaemon *daemon,
                                           const char   *operation,
                                           const char   *description,
                                           const char   *target_path);
GCancellable *hangard_job_get_cancellable (HangardJob   *self);
gboolean      hangard_job_has_ended       (HangardJob   *self);
/* Progress is published at most a few times a second (PropertiesChanged). */
void          hangard_job_set_progress    (HangardJob   *self,
                                           guint64       done,
                                           guint64       total);
void          hangard_job_complete        (HangardJob   *self,
                                           const char   *result_path);
void          hangard_job_fail            (HangardJob   *self,
                                           const GError *error);

G_END_DECLS
