/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hangar-display.h"

G_BEGIN_DECLS

/* The paths GTK's events take inside HangarDisplay, for tests: GTK 4 has no
 * public way to make a GdkEvent. Each does exactly what the event
 * controllers do with a real event. */

/* A key press or release: @keycode as gdk_key_event_get_keycode() gives it
 * (evdev + 8), @keyval as gdk_key_event_get_keyval(). TRUE when the
 * display used it (sent to the guest, or Ctrl+Alt releasing the grab). */
gboolean  hangar_display_process_key      (HangarDisplay *self,
                                           guint          keycode,
                                           guint          keyval,
                                           gboolean       pressed);

/* A pointer button (1 left, 2 middle, 3 right) pressed or released, or
 * (@button 0) a motion, at widget coordinates @x, @y. */
void      hangar_display_process_pointer  (HangarDisplay *self,
                                           guint          button,
                                           gboolean       pressed,
                                           double         x,
                                           double         y);

/* The guest pixel under widget coordinates @x, @y (clamped to the
 * image); FALSE without an image. */
gboolean  hangar_display_widget_to_guest  (HangarDisplay *self,
                                           double         x,
                                           double         y,
                                           int           *guest_x,
                                           int           *guest_y);

/* Where the guest image is drawn in the widget, in widget coordinates;
 * FALSE without an image. */
gboolean  hangar_display_get_image_rect   (HangarDisplay *self,
                                           int           *x,
                                           int           *y,
                                           int           *width,
                                           int           *height);

/* Whether update requests go out on every frame clock tick: from an
 * update until none came for a while (see on_streaming_tick). */
gboolean  hangar_display_is_streaming     (HangarDisplay *self);

G_END_DECLS
