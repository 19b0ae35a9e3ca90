/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A VNC display for GTK 4, drawn by us on top of libgvnc-1.0's RFB client
 * (gtk-vnc's own VncDisplay is GTK 3 only).
 *
 * The widget is handed a connected socket (from Machine.OpenDisplay) and
 * owns the RFB connection on it. It draws the guest framebuffer as a
 * paintable of tiles rebuilt only where the guest changed, asks for one
 * incremental update per frame clock tick, follows desktop resizes and the
 * guest's cursor, keeps the aspect ratio, and sends keys as scancodes
 * (QEMU's extended key event) so the host keyboard layout does not matter.
 *
 * Nothing here blocks the main loop: gvnc runs on it. */
#define HANGAR_TYPE_DISPLAY (hangar_display_get_type ())
G_DECLARE_FINAL_TYPE (HangarDisplay, hangar_display, HANGAR, DISPLAY, GtkWidget)

#define HANGAR_TYPE_DISPLAY_SCALING (hangar_display_scaling_get_type ())
typedef enum {
  HANGAR_DISPLAY_SCALE_FIT,      /* scale to the allocation, aspect kept (never above 1:1 but with "upscale") */
  HANGAR_DISPLAY_SCALE_NONE,     /* 1:1; put the widget in a GtkScrolledWindow to scroll */
} HangarDisplayScaling;

GType         hangar_display_scaling_get_type   (void) G_GNUC_CONST;

GtkWidget    *hangar_display_new                (void);

/* Takes ownership of @fd, a connected stream socket speaking RFB, and
 * starts the handshake. A previous connection is closed first. Emits
 * "connected" once the first framebuffer is set up, "disconnected" when
 * the connection ends for any reason but hangar_display_close() or a new
 * open_fd (the guest's QEMU ended, the socket broke, a protocol error).
 * The last image stays, also across open_fd until the new connection has
 * drawn over it. Property "connected" (read-only) follows the same. The
 * connection is shared: other clients of the same guest stay connected. */
void          hangar_display_open_fd            (HangarDisplay        *self,
                                                 int                   fd);
void          hangar_display_close              (HangarDisplay        *self);
gboolean      hangar_display_is_connected       (HangarDisplay        *self);

/* Why the last connection ended, for logs and details (gvnc's own words
 * are not translated), or NULL when none did or it ended without one. */
const char   *hangar_display_get_error          (HangarDisplay        *self);

/* Size of the guest's framebuffer (0×0 before the first one); read-only
 * properties "guest-width" and "guest-height" notify on desktop resizes. */
int           hangar_display_get_guest_width    (HangarDisplay        *self);
int           hangar_display_get_guest_height   (HangarDisplay        *self);

/* Property "scaling". */
void          hangar_display_set_scaling        (HangarDisplay        *self,
                                                 HangarDisplayScaling  scaling);
HangarDisplayScaling
              hangar_display_get_scaling        (HangarDisplay        *self);

/* Property "upscale" (gboolean, default FALSE): with SCALE_FIT, also
 * scale a guest image smaller than the widget up to fill it. */
void          hangar_display_set_upscale        (HangarDisplay        *self,
                                                 gboolean              upscale);
gboolean      hangar_display_get_upscale        (HangarDisplay        *self);

/* Property "grabbed" (read-only from outside but for release): while
 * grabbed, every key goes to the guest and the toplevel's system shortcuts
 * are inhibited; Ctrl+Alt releases. A click on the display grabs. */
gboolean      hangar_display_get_grabbed        (HangarDisplay        *self);
void          hangar_display_grab_keyboard      (HangarDisplay        *self);
void          hangar_display_release_keyboard   (HangarDisplay        *self);

/* Presses and releases the given evdev key codes (linux/input-event-codes.h
 * KEY_*), as a chord: all down in order, then all up in reverse. For the
 * send-keys menu (Ctrl+Alt+Del, Ctrl+Alt+F1, PrintScreen...). */
void          hangar_display_send_keys          (HangarDisplay        *self,
                                                 const guint          *evdev_codes,
                                                 gsize                 n_codes);

/* Asks the guest to resize its desktop to the widget's size
 * (RFB SetDesktopSize; only virtio-vga accepts). Property
 * "resize-guest" (gboolean, default FALSE): when set, does so whenever the
 * widget's allocation changes. */
void          hangar_display_set_resize_guest   (HangarDisplay        *self,
                                                 gboolean              resize_guest);
gboolean      hangar_display_get_resize_guest   (HangarDisplay        *self);

/* The current guest image as a new texture (transfer full: unref it;
 * NULL when none), e.g. to save a screenshot with gdk_texture_save_to_png. */
GdkTexture   *hangar_display_get_image          (HangarDisplay        *self);

/* Statistics for benchmarks and tests, since open_fd: framebuffer update
 * rectangles received, update requests sent, frames drawn (snapshots with
 * a guest image), and textures built for them (tiles of
 * HANGAR_DISPLAY_TILE_SIZE², or whole frames when most of the image
 * changed at once). */
guint64       hangar_display_get_update_count   (HangarDisplay        *self);
guint64       hangar_display_get_request_count  (HangarDisplay        *self);
guint64       hangar_display_get_frame_count    (HangarDisplay        *self);
guint64       hangar_display_get_tiles_built    (HangarDisplay        *self);
guint64       hangar_display_get_frames_built   (HangarDisplay        *self);

G_END_DECLS
