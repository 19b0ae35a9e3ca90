/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gvnc.h>

G_BEGIN_DECLS

/* gvnc 1.3 defines no autoptr cleanup for its framebuffer class, which
 * G_DECLARE_FINAL_TYPE needs for the parent of ours. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VncBaseFramebuffer, g_object_unref)

/* The framebuffer gvnc decodes into for a HangarDisplay: a VncBaseFramebuffer
 * over a cairo ARGB32 image (B, G, R, A in memory) that keeps every pixel
 * opaque, at every moment.
 *
 * The VNC pixel format has no alpha, so what gvnc writes has a pad byte
 * of 0; drawn as ARGB32 that is transparent, and cairo would add it to
 * whatever lies under the guest image. Each write here sets the alpha
 * byte as it goes. Raw rectangles, the bulk of what QEMU sends, arrive row
 * by row through blt (perfect_format_match is never TRUE: gvnc would read
 * them straight into the buffer, and a frame drawn while a rectangle is
 * half read would show its pad bytes). When the server's format is ours,
 * a row is copied and made opaque in one pass. */
#define HANGAR_TYPE_FRAMEBUFFER (hangar_framebuffer_get_type ())
G_DECLARE_FINAL_TYPE (HangarFramebuffer, hangar_framebuffer, HANGAR, FRAMEBUFFER, VncBaseFramebuffer)

/* The format to ask the server for: 0x00RRGGBB little-endian, the bytes
 * B, G, R, pad in memory whatever the host. */
const VncPixelFormat *hangar_framebuffer_get_wire_format (void);

/* A framebuffer over @buffer (@width × @height ARGB32 pixels, @rowstride
 * bytes a row), which must outlive it, for a server sending @remote. */
HangarFramebuffer    *hangar_framebuffer_new (guint8               *buffer,
                                              guint16               width,
                                              guint16               height,
                                              int                   rowstride,
                                              const VncPixelFormat *remote);

G_END_DECLS
