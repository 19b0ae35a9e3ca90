/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-display-tiles"

/* HangarDisplayTiles as it reaches the screen: the paintable in a real
 * window under Xvfb, drawn by GTK's cairo renderer with its frame-to-frame
 * damage (what only a real window has: rendering to a texture redraws
 * everything), read back from the X server. Each change, including one on
 * exactly the rectangle the previous change covered, must show: drawn
 * live from pixels in the X connection's shared memory (what HangarDisplay
 * uses on X11; plain memory when the X server has no MIT-SHM, as over
 * ssh -X: meson runs this test that way too) and in plain memory, and as
 * textures. */

#include <gtk/gtk.h>
#include <cairo-xlib.h>
#include <gdk/x11/gdkx.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>

#include "hangar-display-tiles.h"
#include "hangar-test-gui.h"

#define WIDTH   320
#define HEIGHT  200
#define TIMEOUT_S 30

static GtkWidget          *window;
static GtkWidget          *picture;
static HangarDisplayTiles *tiles;

static void fill_no_wait (int x0, int y0, int x1, int y1, guint32 rgb);

static void
fill (int     x0,
      int     y0,
      int     x1,
      int     y1,
      guint32 rgb)
{
  fill_no_wait (x0, y0, x1, y1, rgb);
  hangar_test_wait_for_frames (picture, TIMEOUT_S);
}

static void
fill_no_wait (int     x0,
      int     y0,
      int     x1,
      int     y1,
      guint32 rgb)
{
  guint8 *buffer = hangar_display_tiles_get_buffer (tiles);
  gsize stride = hangar_display_tiles_get_stride (tiles);

  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      /* B, G, R, A in memory: 0xffRRGGBB little-endian, opaque. */
      *(guint32 *) (buffer + (gsize) y * stride + (gsize) x * 4) = GUINT32_TO_LE (0xff000000u | rgb);
  hangar_display_tiles_damage (tiles, x0, y0, x1 - x0, y1 - y0);
  /* What HangarDisplay does in its snapshot; the picture redraws on the
   * paintable's invalidation. */
  hangar_display_tiles_flush (tiles);
}

/* The pixel the X server has at @x, @y of the picture. */
static guint32
screen_pixel (int x,
              int y)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  Display *xdisplay = gdk_x11_display_get_xdisplay (gtk_widget_get_display (window));
  graphene_point_t point;
  XImage *image;
  guint32 pixel;

  g_assert_true (gtk_widget_compute_point (picture, window, &GRAPHENE_POINT_INIT (x, y), &point));
  image = XGetImage (xdisplay, gdk_x11_surface_get_xid (surface),
                     (int) point.x, (int) point.y, 1, 1, AllPlanes, ZPixmap);
  g_assert_nonnull (image);
  pixel = XGetPixel (image, 0, 0) & 0xffffff;
  XDestroyImage (image);
  return pixel;
}

static void
assert_screen (int     x,
               int     y,
               guint32 rgb)
{
  guint32 got = screen_pixel (x, y);

  if (got != rgb)
    g_error ("at %d,%d the screen shows %06x, not %06x", x, y, got, rgb);
}

typedef enum {
  LIVE_SHARED,    /* live, the pixels in the X connection's shared memory */
  LIVE_PLAIN,     /* live, the pixels in plain memory */
  TEXTURES,
} Mode;

/* Whether cairo knows @image as its X connection's shared memory: it then
 * draws it with XShmPutImage from where it is, nothing copied. */
static gboolean
is_x_shared_memory (cairo_surface_t *image)
{
  cairo_device_t *device = cairo_surface_get_device (image);

  return device != NULL && cairo_device_get_type (device) == CAIRO_DEVICE_TYPE_XLIB;
}

/* New tiles for @mode, shown in the picture. */
static void
show_new_tiles (Mode mode)
{
  GdkDisplay *display = mode == LIVE_PLAIN ? NULL : gtk_widget_get_display (window);
  gboolean server_has_shm = XShmQueryExtension (gdk_x11_display_get_xdisplay (gtk_widget_get_display (window)));

  g_clear_object (&tiles);
  tiles = hangar_display_tiles_new (WIDTH, HEIGHT, display);
  g_assert_cmpint (is_x_shared_memory (hangar_display_tiles_get_image (tiles)), ==,
                   mode != LIVE_PLAIN && server_has_shm);
  hangar_display_tiles_set_cairo_nodes (tiles, mode != TEXTURES);
  gtk_picture_set_paintable (GTK_PICTURE (picture), GDK_PAINTABLE (tiles));
  hangar_test_wait_for_frames (picture, TIMEOUT_S);
  /* Opaque black from the start. */
  assert_screen (0, 0, 0x000000);
  assert_screen (WIDTH - 1, HEIGHT - 1, 0x000000);
}

static void
test_same_rect_twice (gconstpointer data)
{
  static const guint32 colours[] = { 0xff0000, 0x00ff00, 0x0000ff, 0xffff00 };

  show_new_tiles (GPOINTER_TO_INT (data));

  /* The whole frame, again and again: the same damage each time. */
  for (guint i = 0; i < G_N_ELEMENTS (colours); i++)
    {
      fill (0, 0, WIDTH, HEIGHT, colours[i]);
      assert_screen (0, 0, colours[i]);
      assert_screen (WIDTH / 2, HEIGHT / 2, colours[i]);
      assert_screen (WIDTH - 1, HEIGHT - 1, colours[i]);
    }

  /* A small rectangle, twice at the same place, then next to it. */
  fill (40, 40, 56, 48, 0x123456);
  assert_screen (40, 40, 0x123456);
  fill (40, 40, 56, 48, 0x654321);
  assert_screen (47, 44, 0x654321);
  assert_screen (39, 40, colours[G_N_ELEMENTS (colours) - 1]);
  fill (56, 40, 72, 48, 0xabcdef);
  assert_screen (56, 40, 0xabcdef);
  assert_screen (55, 47, 0x654321);

  /* One place, another, the first again; then a part of a place. */
  fill (100, 100, 140, 110, 0x111111);
  fill (200, 150, 220, 160, 0x222222);
  fill (100, 100, 140, 110, 0x333333);
  assert_screen (120, 105, 0x333333);
  assert_screen (210, 155, 0x222222);
  fill (110, 102, 120, 108, 0x444444);
  assert_screen (115, 105, 0x444444);
  assert_screen (125, 105, 0x333333);
  fill (100, 100, 140, 110, 0x555555);
  assert_screen (115, 105, 0x555555);

  /* Many places, more than the marks kept. */
  for (int i = 0; i < 300; i++)
    {
      fill_no_wait ((i * 8) % WIDTH, (i / 40) * 8, (i * 8) % WIDTH + 8, (i / 40) * 8 + 8, 0x010101 * (i % 200));
      if (i % 25 == 0)
        hangar_test_wait_for_frames (picture, TIMEOUT_S);
    }
  hangar_test_wait_for_frames (picture, TIMEOUT_S);
  assert_screen (8, 0, 0x010101);
  fill (8, 0, 16, 8, 0x666666);
  assert_screen (8, 0, 0x666666);
}

int
main (int    argc,
      char **argv)
{
  int status;

  if (!hangar_test_gui_init (&argc, &argv))
    return g_test_run ();

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), WIDTH, HEIGHT);
  picture = gtk_picture_new ();
  gtk_widget_set_size_request (picture, WIDTH, HEIGHT);
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), FALSE);
  gtk_window_set_child (GTK_WINDOW (window), picture);
  gtk_window_present (GTK_WINDOW (window));
  hangar_test_wait_for_frames (picture, TIMEOUT_S);

  if (!GSK_IS_CAIRO_RENDERER (gtk_native_get_renderer (GTK_NATIVE (window))))
    g_test_message ("not drawn with the cairo renderer: the damage checked is GL's");
  if (!XShmQueryExtension (gdk_x11_display_get_xdisplay (gtk_widget_get_display (window))))
    g_test_message ("the X server has no MIT-SHM: the pixels are in plain memory in every case");

  g_test_add_data_func ("/display-tiles/live-shared/same-rect-twice", GINT_TO_POINTER (LIVE_SHARED),
                        test_same_rect_twice);
  g_test_add_data_func ("/display-tiles/live-plain/same-rect-twice", GINT_TO_POINTER (LIVE_PLAIN),
                        test_same_rect_twice);
  g_test_add_data_func ("/display-tiles/textures/same-rect-twice", GINT_TO_POINTER (TEXTURES),
                        test_same_rect_twice);
  status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&tiles);
  return status;
}
