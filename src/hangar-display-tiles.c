/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-display-tiles"

#include "hangar-display-tiles.h"

#include <math.h>
#include <string.h>

/* Past this share of changed tiles, one texture for the whole frame costs
 * less than many small ones. */
#define FULL_FRAME_NUMERATOR   1
#define FULL_FRAME_DENOMINATOR 2

struct _HangarDisplayTiles
{
  GObject      parent_instance;

  int          width;
  int          height;
  gsize        stride;
  guint8      *buffer;

  int          columns;
  int          rows;
  GdkTexture **tiles;        /* columns × rows; NULL: covered by `frame` */
  guint8      *dirty;        /* columns × rows flags */
  guint        n_dirty;
  GdkTexture  *frame;        /* the whole frame, under the tiles; or NULL */

  guint64      tiles_built;
  guint64      frames_built;
};

static void hangar_display_tiles_paintable_init (GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HangarDisplayTiles, hangar_display_tiles, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE,
                                                      hangar_display_tiles_paintable_init))

/* ---- Copying -------------------------------------------------------------- */

/* Copies a rectangle of the buffer into a new texture, with the pad byte
 * of each pixel made alpha 0xff: B8G8R8A8 premultiplied is then exactly
 * the opaque guest image. */
static GdkTexture *
texture_from_rect (HangarDisplayTiles *self,
                   int                 x,
                   int                 y,
                   int                 width,
                   int                 height)
{
  const guint32 alpha = GUINT32_TO_LE (0xff000000u);
  gsize stride = (gsize) width * 4;
  guint8 *pixels = g_malloc (stride * height);
  g_autoptr(GBytes) bytes = NULL;

  for (int row = 0; row < height; row++)
    {
      const guint32 *src = (const guint32 *) (self->buffer + (gsize) (y + row) * self->stride + (gsize) x * 4);
      guint32 *dst = (guint32 *) (pixels + (gsize) row * stride);

      for (int col = 0; col < width; col++)
        dst[col] = src[col] | alpha;
    }

  bytes = g_bytes_new_take (pixels, stride * height);
  return gdk_memory_texture_new (width, height, GDK_MEMORY_B8G8R8A8_PREMULTIPLIED, bytes, stride);
}

static void
tile_rect (HangarDisplayTiles *self,
           int                 column,
           int                 row,
           int                *x,
           int                *y,
           int                *width,
           int                *height)
{
  *x = column * HANGAR_DISPLAY_TILE_SIZE;
  *y = row * HANGAR_DISPLAY_TILE_SIZE;
  *width = MIN (HANGAR_DISPLAY_TILE_SIZE, self->width - *x);
  *height = MIN (HANGAR_DISPLAY_TILE_SIZE, self->height - *y);
}

/* ---- Paintable ------------------------------------------------------------ */

/* Destination edges are rounded to whole pixels so that neighbouring tiles
 * meet exactly, whatever the scale: no seams. */
static void
append_tile (GtkSnapshot *snapshot,
             GdkTexture  *texture,
             double       scale_x,
             double       scale_y,
             int          x,
             int          y,
             int          width,
             int          height)
{
  double x0 = round (x * scale_x), x1 = round ((x + width) * scale_x);
  double y0 = round (y * scale_y), y1 = round ((y + height) * scale_y);

  if (x1 > x0 && y1 > y0)
    gtk_snapshot_append_texture (snapshot, texture, &GRAPHENE_RECT_INIT (x0, y0, x1 - x0, y1 - y0));
}

static void
hangar_display_tiles_snapshot (GdkPaintable *paintable,
                               GdkSnapshot  *gdk_snapshot,
                               double        width,
                               double        height)
{
  HangarDisplayTiles *self = HANGAR_DISPLAY_TILES (paintable);
  GtkSnapshot *snapshot = GTK_SNAPSHOT (gdk_snapshot);
  double scale_x = width / self->width;
  double scale_y = height / self->height;
  static const GdkRGBA black = { 0, 0, 0, 1 };

  if (self->frame != NULL)
    append_tile (snapshot, self->frame, scale_x, scale_y, 0, 0, self->width, self->height);

  for (int row = 0; row < self->rows; row++)
    for (int column = 0; column < self->columns; column++)
      {
        GdkTexture *tile = self->tiles[row * self->columns + column];
        int x, y, w, h;

        tile_rect (self, column, row, &x, &y, &w, &h);
        if (tile != NULL)
          append_tile (snapshot, tile, scale_x, scale_y, x, y, w, h);
        else if (self->frame == NULL)
          /* Never flushed yet: the guest's first image is on its way. */
          gtk_snapshot_append_color (snapshot, &black,
                                     &GRAPHENE_RECT_INIT (x * scale_x, y * scale_y,
                                                          w * scale_x, h * scale_y));
      }
}

static int
hangar_display_tiles_get_intrinsic_width (GdkPaintable *paintable)
{
  return HANGAR_DISPLAY_TILES (paintable)->width;
}

static int
hangar_display_tiles_get_intrinsic_height (GdkPaintable *paintable)
{
  return HANGAR_DISPLAY_TILES (paintable)->height;
}

static void
hangar_display_tiles_paintable_init (GdkPaintableInterface *iface)
{
  iface->snapshot = hangar_display_tiles_snapshot;
  iface->get_intrinsic_width = hangar_display_tiles_get_intrinsic_width;
  iface->get_intrinsic_height = hangar_display_tiles_get_intrinsic_height;
}

/* ---- Object --------------------------------------------------------------- */

static void
hangar_display_tiles_finalize (GObject *object)
{
  HangarDisplayTiles *self = HANGAR_DISPLAY_TILES (object);

  for (int i = 0; i < self->columns * self->rows; i++)
    g_clear_object (&self->tiles[i]);
  g_free (self->tiles);
  g_free (self->dirty);
  g_clear_object (&self->frame);
  g_free (self->buffer);

  G_OBJECT_CLASS (hangar_display_tiles_parent_class)->finalize (object);
}

static void
hangar_display_tiles_class_init (HangarDisplayTilesClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hangar_display_tiles_finalize;
}

static void
hangar_display_tiles_init (HangarDisplayTiles *self)
{
}

HangarDisplayTiles *
hangar_display_tiles_new (int width,
                          int height)
{
  HangarDisplayTiles *self;
  int n_tiles;

  g_return_val_if_fail (width > 0 && height > 0, NULL);

  self = g_object_new (HANGAR_TYPE_DISPLAY_TILES, NULL);
  self->width = width;
  self->height = height;
  self->stride = (gsize) width * 4;
  self->buffer = g_malloc0 (self->stride * height);
  self->columns = (width + HANGAR_DISPLAY_TILE_SIZE - 1) / HANGAR_DISPLAY_TILE_SIZE;
  self->rows = (height + HANGAR_DISPLAY_TILE_SIZE - 1) / HANGAR_DISPLAY_TILE_SIZE;
  n_tiles = self->columns * self->rows;
  self->tiles = g_new0 (GdkTexture *, n_tiles);
  self->dirty = g_new0 (guint8, n_tiles);
  return self;
}

int
hangar_display_tiles_get_width (HangarDisplayTiles *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY_TILES (self), 0);
  return self->width;
}

int
hangar_display_tiles_get_height (HangarDisplayTiles *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY_TILES (self), 0);
  return self->height;
}

guint8 *
hangar_display_tiles_get_buffer (HangarDisplayTiles *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY_TILES (self), NULL);
  return self->buffer;
}

gsize
hangar_display_tiles_get_stride (HangarDisplayTiles *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY_TILES (self), 0);
  return self->stride;
}

void
hangar_display_tiles_damage (HangarDisplayTiles *self,
                             int                 x,
                             int                 y,
                             int                 width,
                             int                 height)
{
  int x1, y1;

  g_return_if_fail (HANGAR_IS_DISPLAY_TILES (self));

  x1 = MIN (x + width, self->width);
  y1 = MIN (y + height, self->height);
  x = MAX (x, 0);
  y = MAX (y, 0);
  if (x1 <= x || y1 <= y)
    return;

  for (int row = y / HANGAR_DISPLAY_TILE_SIZE; row <= (y1 - 1) / HANGAR_DISPLAY_TILE_SIZE; row++)
    for (int column = x / HANGAR_DISPLAY_TILE_SIZE; column <= (x1 - 1) / HANGAR_DISPLAY_TILE_SIZE; column++)
      {
        guint8 *flag = &self->dirty[row * self->columns + column];

        if (!*flag)
          {
            *flag = 1;
            self->n_dirty++;
          }
      }
}

gboolean
hangar_display_tiles_flush (HangarDisplayTiles *self)
{
  int n_tiles;
  gboolean all_tiles = TRUE;

  g_return_val_if_fail (HANGAR_IS_DISPLAY_TILES (self), FALSE);

  if (self->n_dirty == 0)
    return FALSE;

  n_tiles = self->columns * self->rows;
  if ((guint64) self->n_dirty * FULL_FRAME_DENOMINATOR > (guint64) n_tiles * FULL_FRAME_NUMERATOR)
    {
      /* Most of it changed: one texture, and no tiles above it. */
      g_clear_object (&self->frame);
      self->frame = texture_from_rect (self, 0, 0, self->width, self->height);
      self->frames_built++;
      for (int i = 0; i < n_tiles; i++)
        g_clear_object (&self->tiles[i]);
    }
  else
    {
      for (int i = 0; i < n_tiles; i++)
        {
          int x, y, w, h;

          if (self->dirty[i])
            {
              tile_rect (self, i % self->columns, i / self->columns, &x, &y, &w, &h);
              g_clear_object (&self->tiles[i]);
              self->tiles[i] = texture_from_rect (self, x, y, w, h);
              self->tiles_built++;
            }
          all_tiles = all_tiles && self->tiles[i] != NULL;
        }
      /* The frame below is hidden everywhere now. */
      if (all_tiles)
        g_clear_object (&self->frame);
    }

  memset (self->dirty, 0, n_tiles);
  self->n_dirty = 0;
  gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));
  return TRUE;
}

GdkTexture *
hangar_display_tiles_to_texture (HangarDisplayTiles *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY_TILES (self), NULL);
  return texture_from_rect (self, 0, 0, self->width, self->height);
}

guint64
hangar_display_tiles_get_tiles_built (HangarDisplayTiles *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY_TILES (self), 0);
  return self->tiles_built;
}

guint64
hangar_display_tiles_get_frames_built (HangarDisplayTiles *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY_TILES (self), 0);
  return self->frames_built;
}
