/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-framebuffer"

#include "hangar-framebuffer.h"

#define OPAQUE GUINT32_TO_LE (0xff000000u)

static const VncPixelFormat wire_format = {
  .bits_per_pixel = 32,
  .depth = 24,
  .byte_order = G_LITTLE_ENDIAN,
  .true_color_flag = 1,
  .red_max = 255,
  .green_max = 255,
  .blue_max = 255,
  .red_shift = 16,
  .green_shift = 8,
  .blue_shift = 0,
};

struct _HangarFramebuffer
{
  VncBaseFramebuffer parent_instance;

  guint8   *buffer;
  int       rowstride;
  gboolean  remote_is_wire;   /* the server sends wire_format: rows are copied */
};

static VncFramebufferInterface *parent_iface;

static void hangar_framebuffer_iface_init (VncFramebufferInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HangarFramebuffer, hangar_framebuffer, VNC_TYPE_BASE_FRAMEBUFFER,
                               G_IMPLEMENT_INTERFACE (VNC_TYPE_FRAMEBUFFER, hangar_framebuffer_iface_init))

static guint32 *
pixel_at (HangarFramebuffer *self,
          guint16            x,
          guint16            y)
{
  return (guint32 *) (self->buffer + (gsize) y * self->rowstride + (gsize) x * 4);
}

/* Sets the alpha byte of a rectangle the parent class has just written. */
static void
make_opaque (HangarFramebuffer *self,
             guint16            x,
             guint16            y,
             guint16            width,
             guint16            height)
{
  for (guint16 row = 0; row < height; row++)
    {
      guint32 *pixels = pixel_at (self, x, y + row);

      for (guint16 col = 0; col < width; col++)
        pixels[col] |= OPAQUE;
    }
}

static gboolean
hangar_framebuffer_perfect_format_match (VncFramebuffer *fb)
{
  return FALSE;
}

static void
hangar_framebuffer_blt (VncFramebuffer *fb,
                        guint8         *src,
                        int             rowstride,
                        guint16         x,
                        guint16         y,
                        guint16         width,
                        guint16         height)
{
  HangarFramebuffer *self = HANGAR_FRAMEBUFFER (fb);

  if (!self->remote_is_wire)
    {
      parent_iface->blt (fb, src, rowstride, x, y, width, height);
      make_opaque (self, x, y, width, height);
      return;
    }

  for (guint16 row = 0; row < height; row++)
    {
      const guint32 *from = (const guint32 *) (src + (gsize) row * rowstride);
      guint32 *to = pixel_at (self, x, y + row);

      for (guint16 col = 0; col < width; col++)
        to[col] = from[col] | OPAQUE;
    }
}

static void
hangar_framebuffer_rgb24_blt (VncFramebuffer *fb,
                              guint8         *src,
                              int             rowstride,
                              guint16         x,
                              guint16         y,
                              guint16         width,
                              guint16         height)
{
  parent_iface->rgb24_blt (fb, src, rowstride, x, y, width, height);
  make_opaque (HANGAR_FRAMEBUFFER (fb), x, y, width, height);
}

static void
hangar_framebuffer_fill (VncFramebuffer *fb,
                         guint8         *src,
                         guint16         x,
                         guint16         y,
                         guint16         width,
                         guint16         height)
{
  parent_iface->fill (fb, src, x, y, width, height);
  make_opaque (HANGAR_FRAMEBUFFER (fb), x, y, width, height);
}

static void
hangar_framebuffer_set_pixel_at (VncFramebuffer *fb,
                                 guint8         *src,
                                 guint16         x,
                                 guint16         y)
{
  parent_iface->set_pixel_at (fb, src, x, y);
  *pixel_at (HANGAR_FRAMEBUFFER (fb), x, y) |= OPAQUE;
}

/* copyrect and the getters stay the parent's: a copy of opaque pixels is
 * opaque. */
static void
hangar_framebuffer_iface_init (VncFramebufferInterface *iface)
{
  parent_iface = g_type_interface_peek_parent (iface);

  iface->perfect_format_match = hangar_framebuffer_perfect_format_match;
  iface->blt = hangar_framebuffer_blt;
  iface->rgb24_blt = hangar_framebuffer_rgb24_blt;
  iface->fill = hangar_framebuffer_fill;
  iface->set_pixel_at = hangar_framebuffer_set_pixel_at;
}

static void
hangar_framebuffer_class_init (HangarFramebufferClass *klass)
{
}

static void
hangar_framebuffer_init (HangarFramebuffer *self)
{
}

const VncPixelFormat *
hangar_framebuffer_get_wire_format (void)
{
  return &wire_format;
}

HangarFramebuffer *
hangar_framebuffer_new (guint8               *buffer,
                        guint16               width,
                        guint16               height,
                        int                   rowstride,
                        const VncPixelFormat *remote)
{
  HangarFramebuffer *self;

  g_return_val_if_fail (buffer != NULL, NULL);
  g_return_val_if_fail (remote != NULL, NULL);

  /* The local format is the wire format: what gvnc converts to, before
   * the alpha byte is set. */
  self = g_object_new (HANGAR_TYPE_FRAMEBUFFER,
                       "buffer", buffer,
                       "width", (int) width,
                       "height", (int) height,
                       "rowstride", rowstride,
                       "local-format", &wire_format,
                       "remote-format", remote,
                       NULL);
  self->buffer = buffer;
  self->rowstride = rowstride;
  self->remote_is_wire = vnc_pixel_format_match (remote, &wire_format);
  return self;
}
