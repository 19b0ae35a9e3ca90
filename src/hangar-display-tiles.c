/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-display-tiles"

#include "hangar-display-tiles.h"

#include <math.h>
#ifdef GDK_WINDOWING_X11
#include <cairo-xlib.h>
#include <gdk/x11/gdkx.h>
#endif
#include <string.h>

/* Past this share of changed tiles, one texture for the whole frame costs
 * less than many small ones. */
#define FULL_FRAME_NUMERATOR   1
#define FULL_FRAME_DENOMINATOR 2

/* Pixels of the neighbouring tiles each tile texture holds on every side
 * (see tile_texture_rect). */
#define TILE_BORDER 2

struct _HangarDisplayTiles
{
  GObject      parent_instance;

  int          width;
  int          height;
  gsize        stride;
  cairo_surface_t *image;    /* ARGB32, opaque: the pixels */
  guint8      *buffer;       /* the pixels of `image` */

  int          columns;
  int          rows;
  GdkTexture **tiles;        /* columns × rows; NULL: not built yet, or `frame` */
  gboolean     cairo_nodes;  /* drawn live instead of tiles, for the cairo renderer */
  guint8      *dirty;        /* columns × rows flags */
  guint        n_dirty;
  GdkTexture  *frame;        /* the whole frame, instead of the tiles; or NULL */

  /* With cairo_nodes: the image drawn live (see live_node_new), and the
   * rectangles changed since the last flush and up to it. */
  GskRenderNode   *live_node;
  cairo_region_t  *pending;
  cairo_region_t  *marks;
  gboolean         marks_shown;     /* a snapshot has drawn them */
  guint64          flushes;

  guint64      tiles_built;
  guint64      frames_built;
};

static void hangar_display_tiles_paintable_init (GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HangarDisplayTiles, hangar_display_tiles, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE,
                                                      hangar_display_tiles_paintable_init))

/* ---- Copying -------------------------------------------------------------- */

/* Copies a rectangle of the buffer into a new texture: B8G8R8A8
 * premultiplied, the buffer's ARGB32 in memory. */
static GdkTexture *
texture_from_rect (HangarDisplayTiles *self,
                   int                 x,
                   int                 y,
                   int                 width,
                   int                 height)
{
  gsize stride = (gsize) width * 4;
  guint8 *pixels = g_malloc (stride * height);
  g_autoptr(GBytes) bytes = NULL;

  for (int row = 0; row < height; row++)
    memcpy (pixels + (gsize) row * stride,
            self->buffer + (gsize) (y + row) * self->stride + (gsize) x * 4,
            stride);

  bytes = g_bytes_new_take (pixels, stride * height);
  return gdk_memory_texture_new (width, height, GDK_MEMORY_B8G8R8A8_PREMULTIPLIED, bytes, stride);
}

/* The whole buffer as one cairo render node that reads the buffer itself
 * when drawn, for GTK's cairo renderer: nothing is copied when the guest
 * changes, and drawing uploads only the pixels the frame's clip lets
 * through (cairo_xlib uploads the clipped part of a source image).
 *
 * It works because cairo records a paint of an image surface as a
 * copy-on-write snapshot: the recording reads the image's memory until
 * the image is changed *through cairo* (or flushed, or finished), which
 * never happens here: gvnc writes the memory directly. The node thus
 * stays the same node in every frame, and GTK redraws only where the
 * frame's damage marks (see hangar_display_tiles_snapshot) tell it to. */
static GskRenderNode *
live_node_new (HangarDisplayTiles *self)
{
  GskRenderNode *node = gsk_cairo_node_new (&GRAPHENE_RECT_INIT (-TILE_BORDER, -TILE_BORDER,
                                                                 self->width + 2 * TILE_BORDER,
                                                                 self->height + 2 * TILE_BORDER));
  cairo_t *cr = gsk_cairo_node_get_draw_context (node);

  cairo_set_operator (cr, CAIRO_OPERATOR_SOURCE);
  cairo_set_source_surface (cr, self->image, 0, 0);
  /* Scaled drawing filters across the image's edges: it must find the
   * edge pixels there, not transparency. */
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
  cairo_paint (cr);
  cairo_destroy (cr);
  return node;
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

/* A tile's rectangle grown by TILE_BORDER pixels on each side that has a
 * neighbour: what its texture holds. Scaled drawing filters across tile
 * edges, and these borders give it the neighbours' real pixels there
 * instead of the transparency beyond the texture's edge. */
static void
tile_texture_rect (HangarDisplayTiles *self,
                   int                 column,
                   int                 row,
                   int                *x,
                   int                *y,
                   int                *width,
                   int                *height)
{
  int x0, y0, w, h;

  tile_rect (self, column, row, &x0, &y0, &w, &h);
  *x = MAX (0, x0 - TILE_BORDER);
  *y = MAX (0, y0 - TILE_BORDER);
  *width = MIN (self->width, x0 + w + TILE_BORDER) - *x;
  *height = MIN (self->height, y0 + h + TILE_BORDER) - *y;
}

/* ---- Paintable ------------------------------------------------------------ */

/* Drawing keeps to two rules, so that no tile edge ever shows:
 *
 *  - a tile's texture (with its border of neighbouring pixels) is drawn
 *    with the one scale of the whole image, at the exact place the image
 *    puts it: filtering at its edges reads the neighbours' real pixels, as
 *    with one big texture, never the transparency beyond the texture;
 *  - it is clipped to its own rectangle grown by TILE_BORDER pixels to the
 *    right and below, where neighbours follow, and the tiles are drawn left
 *    to right, top to bottom. Where an edge falls inside a device pixel (a
 *    scale, or a transformation of the whole widget), the part of the
 *    pixel the later tile leaves uncovered shows the earlier tile's border:
 *    the right pixels, not the background below them.
 *
 * Edges are rounded to whole pixels of the paintable, which are device
 * pixels when it is drawn untransformed: then each pixel comes from one
 * tile, and at 1:1 the textures sit on whole pixels, nothing filtered. */
static void
append_tile (GtkSnapshot        *snapshot,
             HangarDisplayTiles *self,
             GdkTexture         *texture,
             double              scale_x,
             double              scale_y,
             int                 column,
             int                 row)
{
  int x, y, w, h, tx, ty, tw, th;
  double x0, x1, y0, y1;

  tile_rect (self, column, row, &x, &y, &w, &h);
  tile_texture_rect (self, column, row, &tx, &ty, &tw, &th);
  x0 = round (x * scale_x);
  x1 = round ((x + w) * scale_x);
  y0 = round (y * scale_y);
  y1 = round ((y + h) * scale_y);
  /* At least a pixel into the neighbours, however small the scale. */
  if (tx + tw > x + w)
    x1 = MAX (x1 + 1, round ((tx + tw) * scale_x));
  if (ty + th > y + h)
    y1 = MAX (y1 + 1, round ((ty + th) * scale_y));
  if (x1 <= x0 || y1 <= y0)
    return;

  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (x0, y0, x1 - x0, y1 - y0));
  gtk_snapshot_append_texture (snapshot, texture,
                               &GRAPHENE_RECT_INIT (tx * scale_x, ty * scale_y,
                                                    tw * scale_x, th * scale_y));
  gtk_snapshot_pop (snapshot);
}

/* The live node, and a transparent colour node over each rectangle
 * changed by the last flush. The live node is the same node every frame,
 * so GTK's diff of this frame's nodes with the last one's finds only the
 * marks: the rectangles changed now (and those of the last frame, whose
 * marks went away). That is what GTK redraws; the cairo renderer clips
 * all drawing to it. A drawing for another reason (an expose, the widget
 * moved) reads the live buffer too, and is just as current. */
static void
snapshot_live (HangarDisplayTiles *self,
               GtkSnapshot        *snapshot,
               double              width,
               double              height,
               double              scale_x,
               double              scale_y)
{
  /* Two transparent colours, taken in turn by each flush: GTK's diff
   * finds two colour nodes of the same bounds and colour unchanged, and
   * would not redraw a rectangle damaged again in the next frame (a
   * full-screen change after another). */
  static const GdkRGBA transparent[2] = { { 0, 0, 0, 0 }, { 1, 1, 1, 0 } };
  /* Filtering spreads a changed pixel over its neighbours when scaled. */
  double margin = (scale_x == 1.0 && scale_y == 1.0) ? 0 : ceil (MAX (scale_x, scale_y)) + 1;
  int n_marks = self->marks ? cairo_region_num_rectangles (self->marks) : 0;

  self->marks_shown = TRUE;

  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  gtk_snapshot_save (snapshot);
  gtk_snapshot_scale (snapshot, scale_x, scale_y);
  gtk_snapshot_append_node (snapshot, self->live_node);
  gtk_snapshot_restore (snapshot);
  gtk_snapshot_pop (snapshot);

  for (int i = 0; i < n_marks; i++)
    {
      cairo_rectangle_int_t r;
      double x0, y0, x1, y1;

      cairo_region_get_rectangle (self->marks, i, &r);
      x0 = MAX (0, floor (r.x * scale_x) - margin);
      y0 = MAX (0, floor (r.y * scale_y) - margin);
      x1 = MIN (width, ceil ((r.x + r.width) * scale_x) + margin);
      y1 = MIN (height, ceil ((r.y + r.height) * scale_y) + margin);
      if (x1 > x0 && y1 > y0)
        gtk_snapshot_append_color (snapshot, &transparent[self->flushes % 2],
                                   &GRAPHENE_RECT_INIT (x0, y0, x1 - x0, y1 - y0));
    }
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

  if (self->cairo_nodes)
    {
      snapshot_live (self, snapshot, width, height, scale_x, scale_y);
      return;
    }

  if (self->frame != NULL)
    {
      /* No tiles then. */
      gtk_snapshot_append_texture (snapshot, self->frame, &GRAPHENE_RECT_INIT (0, 0, width, height));
      return;
    }

  for (int i = 0; i < self->columns * self->rows; i++)
    if (self->tiles[i] == NULL)
      {
        /* Never flushed yet: the guest's first image is on its way. */
        gtk_snapshot_append_color (snapshot, &black, &GRAPHENE_RECT_INIT (0, 0, width, height));
        break;
      }

  for (int row = 0; row < self->rows; row++)
    for (int column = 0; column < self->columns; column++)
      {
        int i = row * self->columns + column;

        if (self->tiles[i] != NULL)
          append_tile (snapshot, self, self->tiles[i], scale_x, scale_y, column, row);
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
    {
      g_clear_object (&self->tiles[i]);
    }
  g_free (self->tiles);
  g_free (self->dirty);
  g_clear_object (&self->frame);
  /* A live node GTK still holds gets its copy of the pixels here, when the
   * surface it reads goes (cairo's copy-on-write): the buffer can go
   * then. */
  g_clear_pointer (&self->live_node, gsk_render_node_unref);
  g_clear_pointer (&self->pending, cairo_region_destroy);
  g_clear_pointer (&self->marks, cairo_region_destroy);
  g_clear_pointer (&self->image, cairo_surface_destroy);

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

/* An image for the pixels. On X11 with shared memory (a local X server)
 * it lives in a shared memory segment cairo knows as its own: cairo then
 * draws it onto the window with XShmPutImage straight from the segment.
 * Any other image surface would be copied into a fresh segment for every
 * frame it is drawn in (the page faults of a new mapping, and the copy).
 * Over ssh -X, cairo gives a plain image. */
static cairo_surface_t *
create_image (GdkDisplay *display,
              int         width,
              int         height)
{
#ifdef GDK_WINDOWING_X11
  if (display != NULL && GDK_IS_X11_DISPLAY (display))
    {
      cairo_surface_t *similar = g_object_get_data (G_OBJECT (display), "hangar-display-tiles-xlib");

      if (similar == NULL)
        {
          Display *xdisplay = gdk_x11_display_get_xdisplay (display);

          /* Any drawable of the display will do: only its cairo device
           * (the connection) matters. */
          similar = cairo_xlib_surface_create (xdisplay, gdk_x11_display_get_xrootwindow (display),
                                               DefaultVisual (xdisplay, DefaultScreen (xdisplay)), 1, 1);
          g_object_set_data_full (G_OBJECT (display), "hangar-display-tiles-xlib",
                                  similar, (GDestroyNotify) cairo_surface_destroy);
        }
      return cairo_surface_create_similar_image (similar, CAIRO_FORMAT_ARGB32, width, height);
    }
#endif
  return cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
}

HangarDisplayTiles *
hangar_display_tiles_new (int         width,
                          int         height,
                          GdkDisplay *display)
{
  HangarDisplayTiles *self;
  int n_tiles;

  g_return_val_if_fail (width > 0 && height > 0, NULL);
  g_return_val_if_fail (display == NULL || GDK_IS_DISPLAY (display), NULL);

  self = g_object_new (HANGAR_TYPE_DISPLAY_TILES, NULL);
  self->width = width;
  self->height = height;
  self->image = create_image (display, width, height);
  /* As g_malloc () would: only memory runs out here. */
  if (cairo_surface_status (self->image) != CAIRO_STATUS_SUCCESS)
    g_error ("no memory for a %d×%d guest image: %s", width, height,
             cairo_status_to_string (cairo_surface_status (self->image)));
  /* Black, through cairo: it knows the image is no longer clear (it would
   * skip drawing a clear one), and nothing is written through it later. */
  {
    cairo_t *cr = cairo_create (self->image);

    cairo_set_source_rgb (cr, 0, 0, 0);
    cairo_paint (cr);
    cairo_destroy (cr);
  }
  cairo_surface_flush (self->image);
  self->buffer = cairo_image_surface_get_data (self->image);
  self->stride = cairo_image_surface_get_stride (self->image);
  self->columns = (width + HANGAR_DISPLAY_TILE_SIZE - 1) / HANGAR_DISPLAY_TILE_SIZE;
  self->rows = (height + HANGAR_DISPLAY_TILE_SIZE - 1) / HANGAR_DISPLAY_TILE_SIZE;
  n_tiles = self->columns * self->rows;
  self->tiles = g_new0 (GdkTexture *, n_tiles);
  self->dirty = g_new0 (guint8, n_tiles);
  self->live_node = live_node_new (self);
  self->pending = cairo_region_create ();
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

cairo_surface_t *
hangar_display_tiles_get_image (HangarDisplayTiles *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY_TILES (self), NULL);
  return self->image;
}

gsize
hangar_display_tiles_get_stride (HangarDisplayTiles *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY_TILES (self), 0);
  return self->stride;
}

/* Past this many rectangles, marks cost more than redrawing their
 * bounding box. */
#define MAX_MARKS 32

static void
limit_marks (cairo_region_t *region)
{
  if (cairo_region_num_rectangles (region) > MAX_MARKS)
    {
      cairo_rectangle_int_t extents;

      /* The region becomes its bounding box. */
      cairo_region_get_extents (region, &extents);
      cairo_region_union_rectangle (region, &extents);
    }
}

static void
add_pending (HangarDisplayTiles *self,
             int                 x,
             int                 y,
             int                 width,
             int                 height)
{
  int x1 = MIN (x + width, self->width);
  int y1 = MIN (y + height, self->height);
  cairo_rectangle_int_t rect;

  rect.x = MAX (x, 0);
  rect.y = MAX (y, 0);
  rect.width = x1 - rect.x;
  rect.height = y1 - rect.y;
  if (rect.width <= 0 || rect.height <= 0)
    return;
  cairo_region_union_rectangle (self->pending, &rect);
  limit_marks (self->pending);
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

  add_pending (self, x, y, width, height);

  /* The tiles next to the rectangle hold its edge pixels in their
   * borders: they changed too. */
  x1 = MIN (x + width + TILE_BORDER, self->width);
  y1 = MIN (y + height + TILE_BORDER, self->height);
  x = MAX (x - TILE_BORDER, 0);
  y = MAX (y - TILE_BORDER, 0);
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

  g_return_val_if_fail (HANGAR_IS_DISPLAY_TILES (self), FALSE);

  if (self->n_dirty == 0)
    return FALSE;

  n_tiles = self->columns * self->rows;
  if (self->marks == NULL || self->marks_shown)
    {
      /* The marks drawn go: GTK redraws their rectangles once more. */
      g_clear_pointer (&self->marks, cairo_region_destroy);
      self->marks = g_steal_pointer (&self->pending);
      self->pending = cairo_region_create ();
      self->marks_shown = FALSE;
    }
  else
    {
      /* Flushed again before any snapshot: no change may go unmarked. */
      cairo_region_union (self->marks, self->pending);
      cairo_region_destroy (self->pending);
      self->pending = cairo_region_create ();
      limit_marks (self->marks);
    }
  self->flushes++;

  if (self->cairo_nodes)
    {
      /* Nothing to build: the live node reads the buffer. The counters
       * say what the texture path would have built. */
      if ((guint64) self->n_dirty * FULL_FRAME_DENOMINATOR > (guint64) n_tiles * FULL_FRAME_NUMERATOR)
        self->frames_built++;
      else
        self->tiles_built += self->n_dirty;
      memset (self->dirty, 0, n_tiles);
      self->n_dirty = 0;
      gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));
      return TRUE;
    }

  if ((guint64) self->n_dirty * FULL_FRAME_DENOMINATOR > (guint64) n_tiles * FULL_FRAME_NUMERATOR)
    {
      /* Most of it changed: one texture, and no tiles above it. */
      g_clear_object (&self->frame);
      self->frame = texture_from_rect (self, 0, 0, self->width, self->height);
      self->frames_built++;
      for (int i = 0; i < n_tiles; i++)
        {
          g_clear_object (&self->tiles[i]);
            }
    }
  else
    {
      /* A few tiles changed on a whole frame: from now on, tiles
       * everywhere. Tiles drawn over the frame would keep the big texture
       * in every drawing of a changed tile (the cairo renderer copies all
       * of a texture it draws any part of, every time), and let it show
       * through at their edges. */
      if (self->frame != NULL)
        {
          memset (self->dirty, 1, n_tiles);
          self->n_dirty = n_tiles;
          g_clear_object (&self->frame);
        }

      for (int i = 0; i < n_tiles; i++)
        {
          int x, y, w, h;

          if (self->dirty[i])
            {
              tile_texture_rect (self, i % self->columns, i / self->columns, &x, &y, &w, &h);
              g_clear_object (&self->tiles[i]);
              self->tiles[i] = texture_from_rect (self, x, y, w, h);
              self->tiles_built++;
            }
        }
    }

  memset (self->dirty, 0, n_tiles);
  self->n_dirty = 0;
  gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));
  return TRUE;
}

void
hangar_display_tiles_set_cairo_nodes (HangarDisplayTiles *self,
                                      gboolean            cairo_nodes)
{
  g_return_if_fail (HANGAR_IS_DISPLAY_TILES (self));

  cairo_nodes = !!cairo_nodes;
  if (self->cairo_nodes == cairo_nodes)
    return;

  /* Live drawing keeps no tiles; textures are all built again at the next
   * flush. */
  self->cairo_nodes = cairo_nodes;
  for (int i = 0; i < self->columns * self->rows; i++)
    {
      g_clear_object (&self->tiles[i]);
    }
  g_clear_object (&self->frame);
  memset (self->dirty, 1, self->columns * self->rows);
  self->n_dirty = self->columns * self->rows;
  add_pending (self, 0, 0, self->width, self->height);
}

gboolean
hangar_display_tiles_get_cairo_nodes (HangarDisplayTiles *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY_TILES (self), FALSE);
  return self->cairo_nodes;
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
