/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hangar-connection.h"

G_BEGIN_DECLS

/* The app: one connection to an engine (from $HANGAR_CONNECT, else the
 * remembered "connection" setting, else the session engine) shown in the
 * main window; app.quit, app.about and the keyboard shortcuts. */

#define HANGAR_APPLICATION_ID "io.github.hangarvm.Hangar"
#define HANGAR_WEBSITE        "https://github.com/hangarvm/hangar"
#define HANGAR_ISSUES         "https://github.com/hangarvm/hangar/issues"

#define HANGAR_TYPE_APPLICATION (hangar_application_get_type ())
G_DECLARE_FINAL_TYPE (HangarApplication, hangar_application, HANGAR, APPLICATION, AdwApplication)

HangarApplication *hangar_application_new            (void);

/* Sets GSK_RENDERER=cairo when GL on the default display is software
 * rendered (and the user did not set GSK_RENDERER): called at startup,
 * before the first window. */
void               hangar_application_choose_renderer (void);

/* The engine connection all windows share; NULL before startup. */
HangarConnection  *hangar_application_get_connection (HangarApplication *self);

G_END_DECLS
