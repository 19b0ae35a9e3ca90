/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hangar-display-view.h"

G_BEGIN_DECLS

/* A machine's display in a window of its own: the HangarDisplayView of
 * the machine page, moved here when it is detached or made fullscreen (one
 * widget, so one connection). The header bar names the machine and hides
 * in fullscreen. Closing the window does not destroy the view: it sets
 * the view's "detached" and "fullscreen" to FALSE, and the view's holder
 * takes it back (hangar_display_window_take_view) and destroys the window.
 * The window's own fullscreen state follows the view's "fullscreen" and the
 * other way round, when the window manager changes it. */
#define HANGAR_TYPE_DISPLAY_WINDOW (hangar_display_window_get_type ())
G_DECLARE_FINAL_TYPE (HangarDisplayWindow, hangar_display_window, HANGAR, DISPLAY_WINDOW, AdwWindow)

/* Puts @view (which must have no parent) into a new window. */
HangarDisplayWindow *hangar_display_window_new       (HangarDisplayView   *view);

HangarDisplayView   *hangar_display_window_get_view  (HangarDisplayWindow *self);
/* Removes the view from the window and returns it (transfer full). */
HangarDisplayView   *hangar_display_window_take_view (HangarDisplayWindow *self);

G_END_DECLS
