/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The guest framebuffer of a HangarDisplay and a GdkPaintable drawing it.
 *
 * The pixels live in one buffer, a cairo ARGB32 image: 32 bits a pixel in
 * memory order B, G, R, A, every pixel opaque (alpha 0xff) at all times:
 * its writer keeps it so (HangarFramebuffer, what gvnc writes through).
 * It is drawn one of two ways:
 *
 *  - textures (the default, for GTK's GL renderer): tiles of TILE_SIZE²
 *    pixels, each a GdkTexture of its own. Damage marks tiles, flush
 *    rebuilds only the marked ones (GTK 4.8 cannot update part of a
 *    texture), and when most of the frame changed it builds one texture
 *    for the whole frame instead; the next small change goes back to
 *    tiles, all of them built once. Each tile texture holds a border of
 *    its neighbours' pixels, so that scaled drawing shows no tile edges.
 *  - live (hangar_display_tiles_set_cairo_nodes, for the cairo renderer):
 *    one cairo render node that reads the buffer itself whenever it is
 *    drawn, nothing copied, and transparent marks over the rectangles
 *    damaged since the last flush, which make GTK redraw exactly those.
 *
 * The buffer itself is never changed but by its writer (gvnc). */
#define HANGAR_DISPLAY_TILE_SIZE 128

#define HANGAR_TYPE_DISPLAY_TILES (hangar_display_tiles_get_type ())
G_DECLARE_FINAL_TYPE (HangarDisplayTiles, hangar_display_tiles, HANGAR, DISPLAY_TILES, GObject)

/* Opaque black tiles of @width × @height. The pixels are in memory that
 * @display's cairo draws fastest (X11: a shared memory segment of the X
 * connection, when the server is local); @display may be NULL. */
HangarDisplayTiles *hangar_display_tiles_new          (int                 width,
                                                       int                 height,
                                                       GdkDisplay         *display);

int                 hangar_display_tiles_get_width    (HangarDisplayTiles *self);
int                 hangar_display_tiles_get_height   (HangarDisplayTiles *self);
guint8             *hangar_display_tiles_get_buffer   (HangarDisplayTiles *self);
/* The image over the buffer (owned by @self). */
cairo_surface_t    *hangar_display_tiles_get_image    (HangarDisplayTiles *self);
gsize               hangar_display_tiles_get_stride   (HangarDisplayTiles *self);

/* Marks the tiles under a rectangle (clipped to the frame) as changed. */
void                hangar_display_tiles_damage       (HangarDisplayTiles *self,
                                                       int                 x,
                                                       int                 y,
                                                       int                 width,
                                                       int                 height);
/* Rebuilds the textures of the changed tiles; TRUE (and the paintable's
 * contents invalidated) when there were any. */
gboolean            hangar_display_tiles_flush        (HangarDisplayTiles *self);

/* Whether the buffer is drawn live through a cairo render node (TRUE) or
 * as textures (FALSE, the default). GTK 4.8's cairo renderer copies all of
 * every texture it draws, every frame, even where it is clipped away:
 * with it, the live node costs only the pixels redrawn. The GL renderer
 * keeps textures on the GPU but draws cairo nodes through an offscreen
 * fallback: with it, textures. Switching builds everything again at the
 * next flush. */
void                hangar_display_tiles_set_cairo_nodes  (HangarDisplayTiles *self,
                                                           gboolean            cairo_nodes);
gboolean            hangar_display_tiles_get_cairo_nodes  (HangarDisplayTiles *self);

/* The buffer as it is now (flushed or not), as one opaque texture. */
GdkTexture         *hangar_display_tiles_to_texture   (HangarDisplayTiles *self);

/* Counters for benchmarks: tile textures and whole-frame textures built. */
guint64             hangar_display_tiles_get_tiles_built  (HangarDisplayTiles *self);
guint64             hangar_display_tiles_get_frames_built (HangarDisplayTiles *self);

G_END_DECLS
