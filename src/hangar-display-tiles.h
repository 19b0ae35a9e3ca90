/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The guest framebuffer of a HangarDisplay and a GdkPaintable drawing it.
 *
 * The pixels live in one buffer, 32 bits a pixel in memory order B, G, R,
 * pad (what gvnc writes for a little-endian 0x00RRGGBB format). The
 * paintable draws it as tiles of TILE_SIZE² pixels, each a GdkTexture of
 * its own: damage marks tiles, flush rebuilds only the marked ones (GTK
 * 4.8 cannot update part of a texture), and when most of the frame changed
 * it builds one texture for the whole frame instead; the next small change
 * goes back to tiles, all of them built once. Each tile texture holds a
 * border of its neighbours' pixels, so that scaled drawing shows no tile
 * edges. For GTK's cairo renderer, tiles can be cairo render nodes instead
 * of textures (hangar_display_tiles_set_cairo_nodes). The pad byte is made alpha 0xff while copying, never in the
 * buffer itself. */
#define HANGAR_DISPLAY_TILE_SIZE 128

#define HANGAR_TYPE_DISPLAY_TILES (hangar_display_tiles_get_type ())
G_DECLARE_FINAL_TYPE (HangarDisplayTiles, hangar_display_tiles, HANGAR, DISPLAY_TILES, GObject)

HangarDisplayTiles *hangar_display_tiles_new          (int                 width,
                                                       int                 height);

int                 hangar_display_tiles_get_width    (HangarDisplayTiles *self);
int                 hangar_display_tiles_get_height   (HangarDisplayTiles *self);
guint8             *hangar_display_tiles_get_buffer   (HangarDisplayTiles *self);
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

/* Whether tiles are drawn as cairo render nodes (TRUE) or as textures
 * (FALSE, the default). GTK 4.8's cairo renderer copies all of every
 * texture it draws, every frame, even where it is clipped away: with it,
 * cairo nodes, built once per change and kept, cost only the pixels
 * redrawn. The GL renderer keeps textures on the GPU but draws cairo nodes
 * through an offscreen fallback that shows tile edges when scaled: with it,
 * textures. Tiles built the other way are built again at the next flush. */
void                hangar_display_tiles_set_cairo_nodes  (HangarDisplayTiles *self,
                                                           gboolean            cairo_nodes);
gboolean            hangar_display_tiles_get_cairo_nodes  (HangarDisplayTiles *self);

/* The buffer as it is now (flushed or not), as one opaque texture. */
GdkTexture         *hangar_display_tiles_to_texture   (HangarDisplayTiles *self);

/* Counters for benchmarks: tile textures and whole-frame textures built. */
guint64             hangar_display_tiles_get_tiles_built  (HangarDisplayTiles *self);
guint64             hangar_display_tiles_get_frames_built (HangarDisplayTiles *self);

G_END_DECLS
