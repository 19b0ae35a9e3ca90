/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "hangar-dbus.h"
#include "hangar-display.h"

G_BEGIN_DECLS

/* A machine's display with its toolbar: a HangarDisplay fed by
 * Machine.OpenDisplay, opened asynchronously once the view is shown and the
 * machine runs, and opened again by itself (after a short back-off) when
 * the connection drops while the machine still runs.
 *
 * The toolbar's actions:
 *   display.send-keys (s)    a chord: "ctrl-alt-delete", "ctrl-alt-backspace",
 *                            "ctrl-alt-f1" … "ctrl-alt-f7", "print"
 *   display.scale-to-fit     toggles "scale-to-fit" (else 1:1, scrolling)
 *   display.resize-guest     toggles "resize-guest" (enabled only while
 *                            "can-resize-guest": a virtio-vga machine)
 *   display.fullscreen       toggles "fullscreen"; so does F11 anywhere in the
 *                            view, unless the guest has the keyboard grabbed
 *   display.detach           toggles "detached"
 *   display.screenshot       a file chooser, then a PNG of the guest
 *
 * The view does not move itself: whoever holds it (the machine page) puts
 * it into a HangarDisplayWindow when "detached" or "fullscreen" turn TRUE
 * and back when they turn FALSE. While "fullscreen", the toolbar hides
 * and comes back when the pointer reaches the top edge. Errors and
 * confirmations show as toasts inside the view. */
#define HANGAR_TYPE_DISPLAY_VIEW (hangar_display_view_get_type ())
G_DECLARE_FINAL_TYPE (HangarDisplayView, hangar_display_view, HANGAR, DISPLAY_VIEW, GtkWidget)

GtkWidget     *hangar_display_view_new                  (void);

/* The machine to show (nullable). Another proxy for the same object path
 * (the engine came back) keeps a connection that still works. */
void           hangar_display_view_set_machine          (HangarDisplayView  *self,
                                                         HangarMachine      *machine);
HangarMachine *hangar_display_view_get_machine          (HangarDisplayView  *self);

HangarDisplay *hangar_display_view_get_display          (HangarDisplayView  *self);

/* Property "can-resize-guest": the machine's video model accepts
 * SetDesktopSize (virtio); "resize-guest" is turned off when it is not. */
void           hangar_display_view_set_can_resize_guest (HangarDisplayView  *self,
                                                         gboolean            can_resize);

/* Properties "fullscreen" and "detached" (see above). */
gboolean       hangar_display_view_get_fullscreen       (HangarDisplayView  *self);
void           hangar_display_view_set_fullscreen       (HangarDisplayView  *self,
                                                         gboolean            fullscreen);
gboolean       hangar_display_view_get_detached         (HangarDisplayView  *self);
void           hangar_display_view_set_detached         (HangarDisplayView  *self,
                                                         gboolean            detached);

/* Property "no-device" (read-only): the engine said the running machine
 * has no display (NoDevice). Cleared when the machine stops or changes. */
gboolean       hangar_display_view_get_no_device        (HangarDisplayView  *self);

/* How many times the display connected since the machine was set: one
 * per OpenDisplay that reached the guest. */
guint          hangar_display_view_get_connection_count (HangarDisplayView  *self);

/* "NAME-YYYYMMDD-HHMMSS.png" for @time (local time). */
char          *hangar_display_view_screenshot_name      (HangarDisplayView  *self,
                                                         GDateTime          *time);
/* Writes the guest image as a PNG to @file (what the screenshot action
 * does once the file chooser answered): encoded in a thread, written with
 * GIO. Fails with G_IO_ERROR_NOT_CONNECTED when there is no image. */
void           hangar_display_view_save_screenshot      (HangarDisplayView  *self,
                                                         GFile              *file,
                                                         GCancellable       *cancellable,
                                                         GAsyncReadyCallback callback,
                                                         gpointer            user_data);
gboolean       hangar_display_view_save_screenshot_finish (HangarDisplayView *self,
                                                           GAsyncResult      *result,
                                                           GError           **error);

G_END_DECLS
