/* SPDX-License-Identifier: GPL-3.0-or-later */

/* hangar-guest-probe: a small static tool of the busybox test guest (see
 * README.md next to this file) that shows the tests what the guest sees of
 * its display and pointer, as one-line markers on stdout (the serial
 * console when /init starts it):
 *
 *   hangar-guest-probe input   the USB tablet's events:
 *       HANGAR-INPUT-READY <absmax_x> <absmax_y>
 *       HANGAR-ABS <x> <y>          at each SYN_REPORT after ABS_X/ABS_Y changed
 *       HANGAR-BTN <code> <0|1>     key and button presses and releases
 *       HANGAR-WHEEL <clicks>       wheel turned (REL_WHEEL: up is positive)
 *   hangar-guest-probe drm     a DRM master on /dev/dri/card0 (virtio-gpu):
 *       HANGAR-MODE <w>x<h>         the connector's preferred mode applied
 *                                   (again whenever the preferred mode changes)
 *       HANGAR-CURSOR-SET           a 64×64 ARGB cursor with hotspot 5,7 set
 *
 * The frame buffer is filled with FILL_COLOUR in a BORDER_WIDTH frame of
 * BORDER_COLOUR (so a picture cut short shows); the cursor pattern is
 * cursor_pixel() below (the tests compute the same). Plain C and raw ioctls:
 * the guest has no libdrm and no udev. */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/input.h>

/* The kernel's DRM UAPI: Debian ships it with libdrm-dev (only the
 * headers are used here), other distributions with the kernel headers. */
#if __has_include(<drm/drm_mode.h>)
#include <drm/drm.h>
#include <drm/drm_mode.h>
#else
#include <libdrm/drm.h>
#include <libdrm/drm_mode.h>
#endif

#define FILL_COLOUR   0x00206080u   /* XRGB: a dark blue */
#define BORDER_COLOUR 0x00ffffffu   /* and a white frame, */
#define BORDER_WIDTH  4u            /* this wide, around it */
#define CURSOR_SIZE   64
#define CURSOR_HOT_X  5
#define CURSOR_HOT_Y  7
#define POLL_MS       200

#define MIN(a, b) ((a) < (b) ? (a) : (b))

static void
say (const char *format, ...)
{
  char line[256];
  va_list args;
  int n;

  /* A leading newline: a shell prompt may be pending on the console, and
   * markers are matched as whole lines. */
  line[0] = '\n';
  va_start (args, format);
  n = vsnprintf (line + 1, sizeof line - 2, format, args);
  va_end (args);
  if (n < 0)
    return;
  n = MIN (n + 1, (int) sizeof line - 1);
  line[n++] = '\n';
  /* One write per line: lines of two probes never interleave. */
  while (write (STDOUT_FILENO, line, n) < 0 && errno == EINTR)
    ;
}

static _Noreturn void
fail (const char *format, ...)
{
  char message[256];
  va_list args;

  va_start (args, format);
  vsnprintf (message, sizeof message, format, args);
  va_end (args);
  say ("HANGAR-PROBE-ERROR %s", message);
  exit (1);
}

static void
sleep_ms (long ms)
{
  struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

  while (nanosleep (&t, &t) < 0 && errno == EINTR)
    ;
}

static int
xioctl (int fd, unsigned long request, void *arg)
{
  int r;

  do
    r = ioctl (fd, request, arg);
  while (r < 0 && (errno == EINTR || errno == EAGAIN));
  return r;
}

/* ---- input ---------------------------------------------------------------- */

#define BIT_IS_SET(bits, n) ((bits)[(n) / (8 * sizeof (long))] & (1UL << ((n) % (8 * sizeof (long)))))

/* An absolute pointing device (ABS_X and ABS_Y): the tablet. */
static int
open_tablet (void)
{
  for (int i = 0; i < 32; i++)
    {
      unsigned long ev[(EV_MAX + 1) / (8 * sizeof (long)) + 1] = { 0 };
      unsigned long abs[(ABS_MAX + 1) / (8 * sizeof (long)) + 1] = { 0 };
      char path[32];
      int fd;

      snprintf (path, sizeof path, "/dev/input/event%d", i);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        continue;
      if (ioctl (fd, EVIOCGBIT (0, sizeof ev), ev) >= 0 && BIT_IS_SET (ev, EV_ABS) &&
          ioctl (fd, EVIOCGBIT (EV_ABS, sizeof abs), abs) >= 0 &&
          BIT_IS_SET (abs, ABS_X) && BIT_IS_SET (abs, ABS_Y))
        return fd;
      close (fd);
    }
  return -1;
}

static _Noreturn void
run_input (void)
{
  struct input_absinfo ax, ay;
  int fd, x = -1, y = -1;
  int changed = 0;

  /* USB enumeration takes a while under TCG. */
  while ((fd = open_tablet ()) < 0)
    sleep_ms (POLL_MS);

  if (ioctl (fd, EVIOCGABS (ABS_X), &ax) < 0 || ioctl (fd, EVIOCGABS (ABS_Y), &ay) < 0)
    fail ("EVIOCGABS: %s", strerror (errno));
  say ("HANGAR-INPUT-READY %d %d", ax.maximum, ay.maximum);

  for (;;)
    {
      struct input_event events[64];
      ssize_t n = read (fd, events, sizeof events);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        fail ("reading the tablet: %s", n < 0 ? strerror (errno) : "end of file");

      for (size_t i = 0; i < (size_t) n / sizeof events[0]; i++)
        {
          const struct input_event *e = &events[i];

          switch (e->type)
            {
            case EV_ABS:
              if (e->code == ABS_X && e->value != x)
                x = e->value, changed = 1;
              else if (e->code == ABS_Y && e->value != y)
                y = e->value, changed = 1;
              break;
            case EV_REL:
              if (e->code == REL_WHEEL)
                say ("HANGAR-WHEEL %d", e->value);
              break;
            case EV_KEY:
              if (e->value == 0 || e->value == 1)   /* not autorepeat */
                say ("HANGAR-BTN %u %d", e->code, e->value);
              break;
            case EV_SYN:
              if (e->code == SYN_REPORT && changed)
                {
                  say ("HANGAR-ABS %d %d", x, y);
                  changed = 0;
                }
              break;
            default:
              break;
            }
        }
    }
}

/* ---- drm ------------------------------------------------------------------ */

typedef struct {
  uint32_t  handle;
  uint32_t  pitch;
  uint64_t  size;
  uint32_t *pixels;
  uint32_t  fb_id;
} Buffer;

static void
buffer_create (int fd, Buffer *b, uint32_t width, uint32_t height)
{
  struct drm_mode_create_dumb create = { .width = width, .height = height, .bpp = 32 };
  struct drm_mode_map_dumb map = { 0 };
  void *p;

  memset (b, 0, sizeof *b);
  if (xioctl (fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) < 0)
    fail ("CREATE_DUMB %ux%u: %s", width, height, strerror (errno));
  b->handle = create.handle;
  b->pitch = create.pitch;
  b->size = create.size;
  map.handle = b->handle;
  if (xioctl (fd, DRM_IOCTL_MODE_MAP_DUMB, &map) < 0)
    fail ("MAP_DUMB: %s", strerror (errno));
  p = mmap (NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, map.offset);
  if (p == MAP_FAILED)
    fail ("mmap of a dumb buffer: %s", strerror (errno));
  b->pixels = p;
}

static void
buffer_destroy (int fd, Buffer *b)
{
  struct drm_mode_destroy_dumb destroy = { .handle = b->handle };

  if (b->fb_id)
    xioctl (fd, DRM_IOCTL_MODE_RMFB, &b->fb_id);
  if (b->pixels)
    munmap (b->pixels, b->size);
  if (b->handle)
    xioctl (fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
  memset (b, 0, sizeof *b);
}

/* The cursor: ARGB, opaque or fully transparent pixels only (RFB's rich
 * cursor has a 1-bit mask), colour from the position, so a mirrored,
 * shifted or byte-swapped picture shows. Pixels with x + y >= 64 are
 * transparent (a triangle pointing up-left), a one-pixel black frame
 * around the opaque part. */
static uint32_t
cursor_pixel (int x, int y)
{
  if (x + y >= CURSOR_SIZE)
    return 0;
  if (x == 0 || y == 0 || x + y == CURSOR_SIZE - 1)
    return 0xff000000u;
  return 0xff000000u | (uint32_t) (x * 4) << 16 | (uint32_t) (y * 4) << 8 | 0xc0;
}

typedef struct {
  int                     fd;
  uint32_t                connector_id;
  uint32_t                crtc_id;
  struct drm_mode_modeinfo mode;   /* applied */
  int                     have_mode;
  Buffer                  fb;
  Buffer                  cursor;
} Drm;

/* The connector's modes, after a probe (count_modes 0 asks the kernel to
 * probe again: that is how a new preferred size is noticed). Returns the
 * number of modes in *modes (malloc'ed), and its status and encoder. */
static int
get_connector (Drm *d, struct drm_mode_modeinfo **modes, uint32_t *connection, uint32_t *encoder_id)
{
  for (;;)
    {
      struct drm_mode_get_connector c = { .connector_id = d->connector_id };
      struct drm_mode_get_connector c2;
      struct drm_mode_modeinfo *m;

      if (xioctl (d->fd, DRM_IOCTL_MODE_GETCONNECTOR, &c) < 0)
        fail ("GETCONNECTOR: %s", strerror (errno));
      m = calloc (c.count_modes + 1, sizeof *m);
      c2 = (struct drm_mode_get_connector) {
        .connector_id = d->connector_id,
        .count_modes = c.count_modes,
        .modes_ptr = (uintptr_t) m,
      };
      if (xioctl (d->fd, DRM_IOCTL_MODE_GETCONNECTOR, &c2) < 0)
        fail ("GETCONNECTOR: %s", strerror (errno));
      if (c2.count_modes > c.count_modes)
        {
          free (m);   /* more modes came meanwhile */
          continue;
        }
      *modes = m;
      *connection = c2.connection;
      *encoder_id = c2.encoder_id;
      return (int) c2.count_modes;
    }
}

static int
preferred_mode (Drm *d, struct drm_mode_modeinfo *out)
{
  struct drm_mode_modeinfo *modes;
  uint32_t connection, encoder;
  int n = get_connector (d, &modes, &connection, &encoder);
  int found = 0;

  if (connection == 1 && n > 0)
    {
      *out = modes[0];
      for (int i = 0; i < n; i++)
        if (modes[i].type & DRM_MODE_TYPE_PREFERRED)
          {
            *out = modes[i];
            break;
          }
      found = 1;
    }
  free (modes);
  return found;
}

static void
set_cursor (Drm *d)
{
  struct drm_mode_cursor2 arg = {
    .flags = DRM_MODE_CURSOR_BO,
    .crtc_id = d->crtc_id,
    .width = CURSOR_SIZE,
    .height = CURSOR_SIZE,
    .handle = d->cursor.handle,
    .hot_x = CURSOR_HOT_X,
    .hot_y = CURSOR_HOT_Y,
  };

  if (xioctl (d->fd, DRM_IOCTL_MODE_CURSOR2, &arg) < 0)
    fail ("CURSOR2: %s", strerror (errno));
  say ("HANGAR-CURSOR-SET");
}

static void
apply_mode (Drm *d, const struct drm_mode_modeinfo *mode)
{
  struct drm_mode_fb_cmd addfb = { 0 };
  struct drm_mode_crtc crtc = { 0 };
  uint32_t connectors[1] = { d->connector_id };
  Buffer old = d->fb;

  buffer_create (d->fd, &d->fb, mode->hdisplay, mode->vdisplay);
  for (uint32_t y = 0; y < mode->vdisplay; y++)
    for (uint32_t x = 0; x < mode->hdisplay; x++)
      d->fb.pixels[y * (d->fb.pitch / 4) + x] =
        x < BORDER_WIDTH || y < BORDER_WIDTH ||
        x >= mode->hdisplay - BORDER_WIDTH || y >= mode->vdisplay - BORDER_WIDTH
        ? BORDER_COLOUR : FILL_COLOUR;

  addfb.width = mode->hdisplay;
  addfb.height = mode->vdisplay;
  addfb.pitch = d->fb.pitch;
  addfb.bpp = 32;
  addfb.depth = 24;
  addfb.handle = d->fb.handle;
  if (xioctl (d->fd, DRM_IOCTL_MODE_ADDFB, &addfb) < 0)
    fail ("ADDFB %ux%u: %s", mode->hdisplay, mode->vdisplay, strerror (errno));
  d->fb.fb_id = addfb.fb_id;

  crtc.crtc_id = d->crtc_id;
  crtc.fb_id = d->fb.fb_id;
  crtc.set_connectors_ptr = (uintptr_t) connectors;
  crtc.count_connectors = 1;
  crtc.mode = *mode;
  crtc.mode_valid = 1;
  if (xioctl (d->fd, DRM_IOCTL_MODE_SETCRTC, &crtc) < 0)
    fail ("SETCRTC %ux%u: %s", mode->hdisplay, mode->vdisplay, strerror (errno));

  if (old.handle)
    buffer_destroy (d->fd, &old);
  d->mode = *mode;
  d->have_mode = 1;
  say ("HANGAR-MODE %ux%u", mode->hdisplay, mode->vdisplay);
}

static _Noreturn void
run_drm (void)
{
  struct drm_mode_card_res res = { 0 };
  uint32_t *connectors, *crtcs, *encoders;
  struct drm_mode_modeinfo mode;
  Drm d = { .fd = -1 };

  /* The driver was loaded just before: wait for its node (<= 60 s). */
  for (int i = 0; i < 60000 / POLL_MS && d.fd < 0; i++)
    {
      d.fd = open ("/dev/dri/card0", O_RDWR | O_CLOEXEC);
      if (d.fd < 0)
        sleep_ms (POLL_MS);
    }
  if (d.fd < 0)
    fail ("no /dev/dri/card0: %s", strerror (errno));
  /* The first to open it is master already; say so anyway. */
  xioctl (d.fd, DRM_IOCTL_SET_MASTER, NULL);

  if (xioctl (d.fd, DRM_IOCTL_MODE_GETRESOURCES, &res) < 0)
    fail ("GETRESOURCES: %s", strerror (errno));
  connectors = calloc (res.count_connectors + 1, sizeof *connectors);
  crtcs = calloc (res.count_crtcs + 1, sizeof *crtcs);
  encoders = calloc (res.count_encoders + 1, sizeof *encoders);
  res.connector_id_ptr = (uintptr_t) connectors;
  res.crtc_id_ptr = (uintptr_t) crtcs;
  res.encoder_id_ptr = (uintptr_t) encoders;
  res.count_fbs = 0;
  if (xioctl (d.fd, DRM_IOCTL_MODE_GETRESOURCES, &res) < 0)
    fail ("GETRESOURCES: %s", strerror (errno));
  if (res.count_connectors == 0 || res.count_crtcs == 0)
    fail ("no connector or no CRTC");

  /* The first connected connector, and a CRTC its encoder can drive. */
  for (;;)
    {
      for (uint32_t i = 0; i < res.count_connectors && d.connector_id == 0; i++)
        {
          struct drm_mode_modeinfo *modes;
          uint32_t connection, encoder_id;
          int n;

          d.connector_id = connectors[i];
          n = get_connector (&d, &modes, &connection, &encoder_id);
          free (modes);
          if (connection != 1 || n == 0)
            {
              d.connector_id = 0;
              continue;
            }
          d.crtc_id = crtcs[0];
          if (encoder_id == 0 && res.count_encoders > 0)
            encoder_id = encoders[0];
          if (encoder_id != 0)
            {
              struct drm_mode_get_encoder enc = { .encoder_id = encoder_id };

              if (xioctl (d.fd, DRM_IOCTL_MODE_GETENCODER, &enc) == 0)
                {
                  if (enc.crtc_id != 0)
                    d.crtc_id = enc.crtc_id;
                  else
                    for (uint32_t j = 0; j < res.count_crtcs; j++)
                      if (enc.possible_crtcs & (1u << j))
                        {
                          d.crtc_id = crtcs[j];
                          break;
                        }
                }
            }
        }
      if (d.connector_id != 0)
        break;
      sleep_ms (POLL_MS);
    }

  buffer_create (d.fd, &d.cursor, CURSOR_SIZE, CURSOR_SIZE);
  for (int y = 0; y < CURSOR_SIZE; y++)
    for (int x = 0; x < CURSOR_SIZE; x++)
      d.cursor.pixels[y * (d.cursor.pitch / 4) + x] = cursor_pixel (x, y);

  for (;;)
    {
      if (preferred_mode (&d, &mode) &&
          (!d.have_mode || mode.hdisplay != d.mode.hdisplay || mode.vdisplay != d.mode.vdisplay))
        {
          apply_mode (&d, &mode);
          /* Again after each mode change: a driver may drop it with the
           * old frame buffer. */
          set_cursor (&d);
        }
      sleep_ms (POLL_MS);
    }
}

int
main (int argc, char **argv)
{
  if (argc == 2 && strcmp (argv[1], "input") == 0)
    run_input ();
  if (argc == 2 && strcmp (argv[1], "drm") == 0)
    run_drm ();
  fprintf (stderr, "usage: %s input|drm\n", argc > 0 ? argv[0] : "hangar-guest-probe");
  return 2;
}
