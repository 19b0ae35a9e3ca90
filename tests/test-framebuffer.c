/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-framebuffer"

/* HangarFramebuffer: every way gvnc writes pixels leaves them opaque
 * ARGB32 of the right colour, and gvnc is never told it may read raw
 * rectangles straight into the buffer (it would leave pad bytes there, as
 * transparency, until the rectangle ends). */

#include "hangar-framebuffer.h"

#include <string.h>

#define WIDTH  8
#define HEIGHT 4

typedef struct {
  guint32            pixels[WIDTH * HEIGHT];
  HangarFramebuffer *fb;
} Fixture;

/* RGB 5-6-5 in 16 bits, little-endian: a format gvnc converts. */
static const VncPixelFormat rgb565 = {
  .bits_per_pixel = 16,
  .depth = 16,
  .byte_order = G_LITTLE_ENDIAN,
  .true_color_flag = 1,
  .red_max = 31,
  .green_max = 63,
  .blue_max = 31,
  .red_shift = 11,
  .green_shift = 5,
  .blue_shift = 0,
};

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  remote)
{
  /* Transparent to start with: what is written must become opaque. */
  memset (fixture->pixels, 0, sizeof fixture->pixels);
  fixture->fb = hangar_framebuffer_new ((guint8 *) fixture->pixels, WIDTH, HEIGHT, WIDTH * 4,
                                        remote != NULL ? remote : hangar_framebuffer_get_wire_format ());
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  remote)
{
  g_clear_object (&fixture->fb);
}

static guint32
pixel (Fixture *fixture,
       int      x,
       int      y)
{
  return GUINT32_FROM_LE (fixture->pixels[y * WIDTH + x]);
}

static void
assert_rect (Fixture *fixture,
             int      x0,
             int      y0,
             int      width,
             int      height,
             guint32  argb)
{
  for (int y = y0; y < y0 + height; y++)
    for (int x = x0; x < x0 + width; x++)
      if (pixel (fixture, x, y) != argb)
        g_error ("at %d,%d the buffer holds %08x, not %08x", x, y, pixel (fixture, x, y), argb);
}

static void
assert_untouched (Fixture *fixture,
                  int      x0,
                  int      y0,
                  int      width,
                  int      height)
{
  for (int y = 0; y < HEIGHT; y++)
    for (int x = 0; x < WIDTH; x++)
      if ((x < x0 || x >= x0 + width || y < y0 || y >= y0 + height) && pixel (fixture, x, y) != 0)
        g_error ("at %d,%d, outside the rectangle written, the buffer holds %08x", x, y, pixel (fixture, x, y));
}

static void
test_never_perfect (Fixture       *fixture,
                    gconstpointer  remote)
{
  VncFramebuffer *fb = VNC_FRAMEBUFFER (fixture->fb);

  g_assert_false (vnc_framebuffer_perfect_format_match (fb));
  g_assert_true (vnc_framebuffer_get_buffer (fb) == (guint8 *) fixture->pixels);
  g_assert_cmpint (vnc_framebuffer_get_width (fb), ==, WIDTH);
  g_assert_cmpint (vnc_framebuffer_get_height (fb), ==, HEIGHT);
  g_assert_cmpint (vnc_framebuffer_get_rowstride (fb), ==, WIDTH * 4);
}

/* Rows as the server sends them in the wire format: B, G, R, pad 0. */
static void
test_wire_blt (Fixture       *fixture,
               gconstpointer  remote)
{
  guint32 rows[2][3];

  for (int i = 0; i < 3; i++)
    {
      rows[0][i] = GUINT32_TO_LE (0x00123456);
      rows[1][i] = GUINT32_TO_LE (0x00abcdef);
    }
  vnc_framebuffer_blt (VNC_FRAMEBUFFER (fixture->fb), (guint8 *) rows, sizeof rows[0], 2, 1, 3, 2);
  assert_rect (fixture, 2, 1, 3, 1, 0xff123456);
  assert_rect (fixture, 2, 2, 3, 1, 0xffabcdef);
  assert_untouched (fixture, 2, 1, 3, 2);
}

static void
test_wire_fill_and_pixel (Fixture       *fixture,
                          gconstpointer  remote)
{
  guint32 red = GUINT32_TO_LE (0x00ff0000);
  guint32 blue = GUINT32_TO_LE (0x000000ff);

  vnc_framebuffer_fill (VNC_FRAMEBUFFER (fixture->fb), (guint8 *) &red, 1, 1, 4, 2);
  assert_rect (fixture, 1, 1, 4, 2, 0xffff0000);
  assert_untouched (fixture, 1, 1, 4, 2);

  vnc_framebuffer_set_pixel_at (VNC_FRAMEBUFFER (fixture->fb), (guint8 *) &blue, 2, 2);
  g_assert_cmphex (pixel (fixture, 2, 2), ==, 0xff0000ff);

  /* A copy of opaque pixels stays opaque. */
  vnc_framebuffer_copyrect (VNC_FRAMEBUFFER (fixture->fb), 1, 1, 5, 1, 2, 2);
  g_assert_cmphex (pixel (fixture, 5, 1), ==, 0xffff0000);
  g_assert_cmphex (pixel (fixture, 6, 2), ==, 0xff0000ff);
}

static void
test_rgb24_blt (Fixture       *fixture,
                gconstpointer  remote)
{
  guint8 rgb[2 * 3] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 };

  vnc_framebuffer_rgb24_blt (VNC_FRAMEBUFFER (fixture->fb), rgb, sizeof rgb, 0, 3, 2, 1);
  g_assert_cmphex (pixel (fixture, 0, 3), ==, 0xff112233);
  g_assert_cmphex (pixel (fixture, 1, 3), ==, 0xff445566);
  assert_untouched (fixture, 0, 3, 2, 1);
}

/* A server in another format: gvnc converts (by shifting: 5 bits of 31
 * become 0xf8), the pixels come out opaque. */
static void
test_converted (Fixture       *fixture,
                gconstpointer  remote)
{
  guint16 row[2] = { GUINT16_TO_LE (0xf800), GUINT16_TO_LE (0x001f) };   /* red, blue */
  guint16 green = GUINT16_TO_LE (0x07e0);

  vnc_framebuffer_blt (VNC_FRAMEBUFFER (fixture->fb), (guint8 *) row, sizeof row, 3, 0, 2, 1);
  g_assert_cmphex (pixel (fixture, 3, 0), ==, 0xfff80000);
  g_assert_cmphex (pixel (fixture, 4, 0), ==, 0xff0000f8);
  assert_untouched (fixture, 3, 0, 2, 1);

  vnc_framebuffer_fill (VNC_FRAMEBUFFER (fixture->fb), (guint8 *) &green, 0, 2, 2, 1);
  assert_rect (fixture, 0, 2, 2, 1, 0xff00fc00);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, remote, func) \
  g_test_add (path, Fixture, remote, fixture_set_up, func, fixture_tear_down)
  ADD ("/framebuffer/never-perfect", NULL, test_never_perfect);
  ADD ("/framebuffer/wire/blt", NULL, test_wire_blt);
  ADD ("/framebuffer/wire/fill-and-pixel", NULL, test_wire_fill_and_pixel);
  ADD ("/framebuffer/wire/rgb24-blt", NULL, test_rgb24_blt);
  ADD ("/framebuffer/rgb565/never-perfect", &rgb565, test_never_perfect);
  ADD ("/framebuffer/rgb565/converted", &rgb565, test_converted);
#undef ADD

  return g_test_run ();
}
