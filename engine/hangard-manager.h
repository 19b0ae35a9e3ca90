/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hangar-dbus.h"
#include "hangard-daemon.h"

G_BEGIN_DECLS

/* io.github.hangarvm.Hangar1.Manager on the root object. */
#define HANGARD_TYPE_MANAGER (hangard_manager_get_type ())
G_DECLARE_FINAL_TYPE (HangardManager, hangard_manager, HANGARD, MANAGER, HangarManagerSkeleton)

HangardManager *hangard_manager_new (HangardDaemon *daemon);

G_END_DECLS
