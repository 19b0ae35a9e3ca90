/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-display-desktop"

/* HangarDisplay on a guest with a desktop's devices: virtio-vga and the
 * USB tablet the engine adds to every machine with VNC graphics. The busybox
 * test guest boots with hangar.virtio-gpu and hangar.tablet, so its
 * hangar-guest-probe (tests/guest/hangar-guest-probe.c) is a DRM master that
 * applies the preferred mode and sets a cursor, and reports the tablet's
 * events on the serial console (tests/guest/README.md).
 *
 * - pointer: real X pointer motion and clicks (XTest) over the widget reach
 *   the guest's tablet at the guest pixel under the pointer, scaled to fit
 *   and at 1:1, with the left, right and middle buttons and the wheel;
 * - cursor: the guest's DRM cursor (64×64 ARGB, hotspot 5,7), through
 *   virtio-gpu, QEMU and the VNC cursor pseudo-encodings, becomes the
 *   widget's cursor, pixel for pixel;
 * - resize-guest: with "resize-guest" on, resizing the widget makes the
 *   guest switch to that mode (SetDesktopSize → virtio-gpu's preferred
 *   mode → the probe's SETCRTC) and the widget follows.
 *
 * Runs under Xvfb (meson test --suite gui) on one guest boot; the cases run
 * in order. Screenshots go to tests/screenshots/ of the build tree. */

#include "hangar-display.h"
#include "hangar-display-private.h"
#include "hangar-test-env.h"
#include "hangar-test-gui.h"

#include <dlfcn.h>
#include <gdk/x11/gdkx.h>
#if __has_include(<X11/extensions/Xfixes.h>)
#include <X11/extensions/Xfixes.h>
#define HAVE_XFIXES_H 1
#endif
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <linux/input-event-codes.h>
#include <math.h>

#define GUEST_NAME       "desktop-guest"
#define GUEST_WORDS      "hangar.virtio-gpu hangar.tablet"
#define BOOT_TIMEOUT_S   300
#define UI_TIMEOUT_S     60
#define GUEST_TIMEOUT_S  120

/* What the probe does (tests/guest/hangar-guest-probe.c). */
#define CURSOR_SIZE      64
#define CURSOR_HOT_X     5
#define CURSOR_HOT_Y     7
#define FILL_RGB         0x206080
#define BORDER_RGB       0xffffff
#define BORDER_WIDTH     4
/* QEMU's virtio-gpu output before any client asks for another size. */
#define FIRST_WIDTH      1280
#define FIRST_HEIGHT     800
/* usb-tablet's axes: 0..32767. */
#define TABLET_MAX       32767
/* Guest pixels the tablet may be off by, rounding twice. */
#define PIXEL_TOLERANCE  2

/* The widget's area: smaller than the guest and of another shape, so the
 * fitted image is scaled and centred with bars above and below. */
#define VIEW_WIDTH       900
#define VIEW_HEIGHT      700

static HangarTestEnv *env;
static HangarMachine *machine;
static GtkWindow     *window;
static GtkWidget     *view;      /* the scrolled window the display is in */
static HangarDisplay *display;
static gboolean       have_probe;

typedef int (*XTestFakeMotionEventFunc) (Display *, int, int, int, unsigned long);
typedef int (*XTestFakeButtonEventFunc) (Display *, unsigned int, Bool, unsigned long);

static XTestFakeMotionEventFunc fake_motion_event;
static XTestFakeButtonEventFunc fake_button_event;

/* ---- Waiting -------------------------------------------------------------- */

static void
wait_for_console (const char *marker,
                  guint       count,
                  guint       timeout_s)
{
  if (!hangar_test_wait_for_console_count (machine, marker, count, timeout_s))
    {
      g_autofree char *text = hangar_test_console_log (machine);

      g_error ("the guest did not print '%s' (%u times); its serial log:\n%s", marker, count, text);
    }
}

/* The numbers after the last `marker` in the serial log. */
static gboolean
last_pair (const char *marker,
           int        *a,
           int        *b)
{
  g_autofree char *text = hangar_test_console_log (machine);
  const char *last = NULL;

  for (const char *p = strstr (text, marker); p != NULL; p = strstr (p + 1, marker))
    last = p;
  return last != NULL && sscanf (last + strlen (marker), " %d %d", a, b) == 2;
}

static gboolean
is_connected (gpointer data)
{
  return hangar_display_is_connected (display);
}

typedef struct {
  int width;
  int height;
} Size;

static gboolean
guest_size_is (gpointer data)
{
  Size *size = data;

  return hangar_display_get_guest_width (display) == size->width &&
         hangar_display_get_guest_height (display) == size->height;
}

static gboolean
widget_size_is (gpointer data)
{
  Size *size = data;

  return gtk_widget_get_width (view) == size->width &&
         gtk_widget_get_height (view) == size->height;
}

static void
wait_for_guest_size (int width,
                     int height)
{
  Size size = { width, height };

  if (!hangar_test_wait_until (guest_size_is, &size, GUEST_TIMEOUT_S))
    g_error ("the display shows %d×%d, not %d×%d",
             hangar_display_get_guest_width (display), hangar_display_get_guest_height (display),
             width, height);
}

/* The view (and with fitting, the display) gets exactly width × height:
 * the window is not resizable, so it follows its child's size request. */
static void
set_view_size (int width,
               int height)
{
  Size size = { width, height };

  gtk_widget_set_size_request (view, width, height);
  if (!hangar_test_wait_until (widget_size_is, &size, UI_TIMEOUT_S))
    g_error ("the view is %d×%d, not %d×%d", gtk_widget_get_width (view),
             gtk_widget_get_height (view), width, height);
  hangar_test_wait_for_frames (GTK_WIDGET (window), UI_TIMEOUT_S);
}

/* ---- Pictures ------------------------------------------------------------- */


/* The display shows the probe's picture, whole: its colour inside a
 * white frame (the mode is on screen, not a part of it or an old one). */
static gboolean
shows_probe_picture (gpointer data)
{
  g_autoptr(GdkTexture) texture = hangar_display_get_image (display);
  g_autofree guint32 *pixels = NULL;
  int width, height;

#define PIXEL(x, y) (pixels[(gsize) (y) * width + (x)] & 0xffffff)
  if (texture == NULL || gdk_texture_get_width (texture) < 2 * BORDER_WIDTH + 2)
    return FALSE;
  width = gdk_texture_get_width (texture);
  height = gdk_texture_get_height (texture);
  pixels = g_new (guint32, (gsize) width * height);
  gdk_texture_download (texture, (guchar *) pixels, (gsize) width * 4);
  /* Not the top left corner, where the guest's cursor is. */
  return PIXEL (width / 2, height / 2) == FILL_RGB &&
         PIXEL (width - BORDER_WIDTH - 1, height - BORDER_WIDTH - 1) == FILL_RGB &&
         PIXEL (width - 1, height - 1) == BORDER_RGB &&
         PIXEL (width - BORDER_WIDTH, height / 2) == BORDER_RGB &&
         PIXEL (width / 2, height - 1) == BORDER_RGB &&
         PIXEL (width - 1, 0) == BORDER_RGB &&
         PIXEL (0, height - 1) == BORDER_RGB;
#undef PIXEL
}

/* The probe's cursor pixel (cursor_pixel() there), 0xAARRGGBB: opaque
 * colours from the position inside a triangle with a black edge,
 * transparent outside. */
static guint32
cursor_pixel (int x,
              int y)
{
  if (x + y >= CURSOR_SIZE)
    return 0;
  if (x == 0 || y == 0 || x + y == CURSOR_SIZE - 1)
    return 0xff000000u;
  return 0xff000000u | (guint32) (x * 4) << 16 | (guint32) (y * 4) << 8 | 0xc0;
}

/* How many of the pixels (0xAARRGGBB, premultiplied) differ from the
 * probe's cursor; the colour of transparent ones does not count. */
static guint
cursor_mismatches (const guint32 *pixels)
{
  guint mismatched = 0;

  for (int y = 0; y < CURSOR_SIZE; y++)
    for (int x = 0; x < CURSOR_SIZE; x++)
      {
        guint32 got = pixels[y * CURSOR_SIZE + x];
        guint32 want = cursor_pixel (x, y);

        if ((want >> 24) == 0 ? (got >> 24) != 0 : got != want)
          {
            if (mismatched++ < 5)
              g_test_message ("cursor pixel %d,%d is %08x, not %08x", x, y, got, want);
          }
      }
  return mismatched;
}

/* ---- X input -------------------------------------------------------------- */

static Display *
xdisplay (void)
{
  return gdk_x11_display_get_xdisplay (gtk_widget_get_display (GTK_WIDGET (window)));
}

/* Moves the X pointer (a real motion event from the X server) over the
 * widget point (x, y), rounded down to a whole pixel of the screen (a
 * pixel's centre x + 0.5 is pixel x). */
static void
x_move_to (double x,
           double y)
{
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (display));
  Window xid = gdk_x11_surface_get_xid (gtk_native_get_surface (native));
  Window child;
  graphene_point_t point;
  double nx, ny;
  int rx, ry;

  g_assert_true (gtk_widget_compute_point (GTK_WIDGET (display), GTK_WIDGET (native),
                                           &GRAPHENE_POINT_INIT (x, y), &point));
  gtk_native_get_surface_transform (native, &nx, &ny);
  XTranslateCoordinates (xdisplay (), xid, DefaultRootWindow (xdisplay ()),
                         (int) floor (point.x + nx), (int) floor (point.y + ny), &rx, &ry, &child);
  fake_motion_event (xdisplay (), -1, rx, ry, 0);
  XFlush (xdisplay ());
  hangar_test_spin (50);
}

static void
x_button (guint    button,
          gboolean pressed)
{
  fake_button_event (xdisplay (), button, pressed, 0);
  XFlush (xdisplay ());
  hangar_test_spin (50);
}

/* Where the widget point (x, y) is on the guest screen, worked out here
 * from the sizes alone: the image scaled by s to fit (never above 1:1),
 * centred, whole pixels. */
static void
expected_guest_pixel (double  x,
                      double  y,
                      double *gx,
                      double *gy)
{
  int ww = gtk_widget_get_width (GTK_WIDGET (display));
  int wh = gtk_widget_get_height (GTK_WIDGET (display));
  int gw = hangar_display_get_guest_width (display);
  int gh = hangar_display_get_guest_height (display);
  double s = 1.0;
  int rw, rh, rx, ry;

  if (hangar_display_get_scaling (display) == HANGAR_DISPLAY_SCALE_FIT)
    s = MIN (1.0, MIN ((double) ww / gw, (double) wh / gh));
  rw = (int) round (gw * s);
  rh = (int) round (gh * s);
  rx = MAX (0, (ww - rw) / 2);
  ry = MAX (0, (wh - rh) / 2);
  /* The X pointer is on whole pixels (x_move_to() rounds down); what is
   * drawn at the centre of that pixel is under it. */
  *gx = (floor (x) + 0.5 - rx) * gw / rw;
  *gy = (floor (y) + 0.5 - ry) * gh / rh;
}

typedef struct {
  double gx, gy;   /* expected guest pixel */
  int    ax, ay;   /* what the tablet said last */
} PointerWait;

static gboolean
tablet_at (gpointer data)
{
  PointerWait *wait = data;
  int gw = hangar_display_get_guest_width (display);
  int gh = hangar_display_get_guest_height (display);

  if (!last_pair ("HANGAR-ABS", &wait->ax, &wait->ay))
    return FALSE;
  /* QEMU scales a VNC position p of an n-pixel screen to p × 32767 / n. */
  return fabs ((double) wait->ax * gw / TABLET_MAX - floor (wait->gx)) <= PIXEL_TOLERANCE &&
         fabs ((double) wait->ay * gh / TABLET_MAX - floor (wait->gy)) <= PIXEL_TOLERANCE;
}

/* Moves the X pointer to the widget point (x, y) and waits until the
 * guest's tablet reports the guest pixel under it. */
static void
assert_pointer_reaches_guest (double x,
                              double y)
{
  PointerWait wait = { 0 };

  expected_guest_pixel (x, y, &wait.gx, &wait.gy);
  g_test_message ("pointer at widget %.1f,%.1f: expecting guest pixel %.1f,%.1f", x, y, wait.gx, wait.gy);
  x_move_to (x, y);
  if (!hangar_test_wait_until (tablet_at, &wait, GUEST_TIMEOUT_S))
    {
      g_autofree char *text = hangar_test_console_log (machine);

      g_error ("the guest's tablet is at %d,%d (guest pixel %.1f,%.1f), not near guest pixel %.0f,%.0f; "
               "the serial log:\n%s",
               wait.ax, wait.ay,
               (double) wait.ax * hangar_display_get_guest_width (display) / TABLET_MAX,
               (double) wait.ay * hangar_display_get_guest_height (display) / TABLET_MAX,
               floor (wait.gx), floor (wait.gy), text);
    }
}

/* ---- The cases ------------------------------------------------------------ */

static gboolean
skip_without_probe (void)
{
  if (!have_probe)
    {
      g_test_skip ("the test guest has no hangar-guest-probe (needs the DRM headers: libdrm-dev)");
      return TRUE;
    }
  return FALSE;
}

static void
test_connect (void)
{
  if (skip_without_probe ())
    return;

  /* Connected since the machine started: VGA text, then virtio-gpu's own
   * frame buffer, then the probe's mode. */
  g_assert_true (hangar_test_wait_until (is_connected, NULL, UI_TIMEOUT_S));
  wait_for_console ("HANGAR-GUEST-BOOTED", 1, BOOT_TIMEOUT_S);
  wait_for_console ("HANGAR-MODE 1280x800", 1, GUEST_TIMEOUT_S);
  wait_for_guest_size (FIRST_WIDTH, FIRST_HEIGHT);
  if (!hangar_test_wait_until (shows_probe_picture, NULL, UI_TIMEOUT_S))
    g_error ("the display does not show the probe's picture");
  hangar_test_save_screenshot (GTK_WIDGET (window), "desktop-connected.png", UI_TIMEOUT_S);
}

#ifdef HAVE_XFIXES_H
typedef XFixesCursorImage *(*XFixesGetCursorImageFunc) (Display *);

static XFixesGetCursorImageFunc get_cursor_image;

/* The X server's cursor is the probe's, with its hotspot. */
static gboolean
x_cursor_is_guests (gpointer data)
{
  XFixesCursorImage *image = get_cursor_image (xdisplay ());
  g_autofree guint32 *pixels = NULL;
  gboolean same;

  if (image == NULL)
    return FALSE;
  same = image->width == CURSOR_SIZE && image->height == CURSOR_SIZE &&
         image->xhot == CURSOR_HOT_X && image->yhot == CURSOR_HOT_Y;
  if (same)
    {
      pixels = g_new (guint32, CURSOR_SIZE * CURSOR_SIZE);
      for (int i = 0; i < CURSOR_SIZE * CURSOR_SIZE; i++)
        pixels[i] = (guint32) image->pixels[i];   /* unsigned long each */
      same = cursor_mismatches (pixels) == 0;
    }
  XFree (image);
  return same;
}
#endif

/* With the X pointer over the display, the X server shows the guest's
 * cursor (XFixes tells what it shows). */
static void
check_x_cursor (void)
{
#ifdef HAVE_XFIXES_H
  void *xfixes = dlopen ("libXfixes.so.3", RTLD_NOW);

  get_cursor_image = xfixes ? (XFixesGetCursorImageFunc) dlsym (xfixes, "XFixesGetCursorImage") : NULL;
  if (get_cursor_image == NULL || fake_motion_event == NULL)
    {
      g_test_message ("no XFixes or XTest: not checking the X server's cursor");
      return;
    }
  x_move_to (gtk_widget_get_width (GTK_WIDGET (display)) / 2.0,
             gtk_widget_get_height (GTK_WIDGET (display)) / 2.0);
  if (!hangar_test_wait_until (x_cursor_is_guests, NULL, UI_TIMEOUT_S))
    g_error ("the X server does not show the guest's cursor over the display");
#else
  g_test_message ("built without XFixes' header: not checking the X server's cursor");
#endif
}

static gboolean
has_texture_cursor (gpointer data)
{
  GdkCursor *cursor = gtk_widget_get_cursor (GTK_WIDGET (display));

  return cursor != NULL && gdk_cursor_get_texture (cursor) != NULL;
}

static void
test_cursor (void)
{
  GdkCursor *cursor;
  GdkTexture *texture;
  g_autofree guint32 *pixels = NULL;
  int width, height;

  if (skip_without_probe ())
    return;

  wait_for_console ("HANGAR-CURSOR-SET", 1, GUEST_TIMEOUT_S);
  if (!hangar_test_wait_until (has_texture_cursor, NULL, UI_TIMEOUT_S))
    {
      cursor = gtk_widget_get_cursor (GTK_WIDGET (display));
      g_error ("the display's cursor is %s, not the guest's picture",
               cursor == NULL ? "the default" : gdk_cursor_get_name (cursor));
    }

  cursor = gtk_widget_get_cursor (GTK_WIDGET (display));
  texture = gdk_cursor_get_texture (cursor);
  width = gdk_texture_get_width (texture);
  height = gdk_texture_get_height (texture);
  hangar_test_save_texture (texture, "desktop-cursor.png");
  g_assert_cmpint (width, ==, CURSOR_SIZE);
  g_assert_cmpint (height, ==, CURSOR_SIZE);
  g_assert_cmpint (gdk_cursor_get_hotspot_x (cursor), ==, CURSOR_HOT_X);
  g_assert_cmpint (gdk_cursor_get_hotspot_y (cursor), ==, CURSOR_HOT_Y);

  /* The probe's picture, pixel for pixel. */
  pixels = g_new (guint32, (gsize) width * height);
  gdk_texture_download (texture, (guchar *) pixels, (gsize) width * 4);
  g_assert_cmpuint (cursor_mismatches (pixels), ==, 0);

  /* And the X server shows it over the display. */
  check_x_cursor ();
}

/* X button @button pressed and released: the guest's tablet reports
 * Linux button @code down, then up. */
static void
check_click (guint button,
             guint code)
{
  g_autofree char *down = g_strdup_printf ("HANGAR-BTN %u 1", code);
  g_autofree char *up = g_strdup_printf ("HANGAR-BTN %u 0", code);
  g_autofree char *before = hangar_test_console_log (machine);
  guint downs = hangar_test_count (before, down);
  guint ups = hangar_test_count (before, up);

  x_button (button, TRUE);
  wait_for_console (down, downs + 1, GUEST_TIMEOUT_S);
  x_button (button, FALSE);
  wait_for_console (up, ups + 1, GUEST_TIMEOUT_S);
  /* A click grabs the keyboard; let it go for what follows. */
  hangar_display_release_keyboard (display);
}

/* X buttons 4 and 5 (what a wheel sends): the guest's wheel turns up (+1)
 * and down (-1). */
static void
check_wheel (void)
{
  g_autofree char *before = hangar_test_console_log (machine);
  guint ups = hangar_test_count (before, "HANGAR-WHEEL 1");
  guint downs = hangar_test_count (before, "HANGAR-WHEEL -1");

  x_button (4, TRUE);
  x_button (4, FALSE);
  wait_for_console ("HANGAR-WHEEL 1", ups + 1, GUEST_TIMEOUT_S);
  x_button (5, TRUE);
  x_button (5, FALSE);
  wait_for_console ("HANGAR-WHEEL -1", downs + 1, GUEST_TIMEOUT_S);
}

static void
test_pointer (void)
{
  int x, y, w, h;
  int tx, ty;

  if (skip_without_probe ())
    return;
  if (fake_motion_event == NULL || fake_button_event == NULL)
    {
      g_test_skip ("no XTest (libxtst6) to make pointer events with");
      return;
    }

  wait_for_console ("HANGAR-INPUT-READY 32767 32767", 1, GUEST_TIMEOUT_S);
  g_assert_true (hangar_display_is_connected (display));

  /* Fit: 1280×800 in 900×700 is scaled by 0.703 and centred. */
  hangar_display_set_scaling (display, HANGAR_DISPLAY_SCALE_FIT);
  set_view_size (VIEW_WIDTH, VIEW_HEIGHT);
  g_assert_true (hangar_display_get_image_rect (display, &x, &y, &w, &h));
  g_assert_cmpint (w, ==, VIEW_WIDTH);
  g_assert_cmpint (h, <, VIEW_HEIGHT);
  g_assert_cmpint (y, >, 0);

  assert_pointer_reaches_guest (100, 100);
  assert_pointer_reaches_guest (VIEW_WIDTH / 2.0 + 0.5, VIEW_HEIGHT / 2.0 + 0.5);
  assert_pointer_reaches_guest (850.5, y + h - 5.5);
  /* The top left and bottom right pixels of the guest. */
  assert_pointer_reaches_guest (x + 0.5, y + 0.5);
  g_assert_true (last_pair ("HANGAR-ABS", &tx, &ty));
  g_assert_cmpint (tx, ==, 0);
  g_assert_cmpint (ty, ==, 0);
  assert_pointer_reaches_guest (x + w - 0.5, y + h - 0.5);
  g_assert_true (last_pair ("HANGAR-ABS", &tx, &ty));
  /* Guest pixel 1279 of 1280: 1279 × 32767 / 1280. */
  g_assert_cmpint (tx, ==, (FIRST_WIDTH - 1) * TABLET_MAX / FIRST_WIDTH);
  g_assert_cmpint (ty, ==, (FIRST_HEIGHT - 1) * TABLET_MAX / FIRST_HEIGHT);
  check_click (1, BTN_LEFT);
  check_click (3, BTN_RIGHT);
  check_click (2, BTN_MIDDLE);
  check_wheel ();
  hangar_test_save_screenshot (GTK_WIDGET (window), "desktop-pointer-fit.png", UI_TIMEOUT_S);

  /* 1:1 in the scrolled view: the widget pixel is the guest pixel. */
  hangar_display_set_scaling (display, HANGAR_DISPLAY_SCALE_NONE);
  hangar_test_wait_for_frames (GTK_WIDGET (window), UI_TIMEOUT_S);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (display)), ==, FIRST_WIDTH);
  assert_pointer_reaches_guest (37.5, 45.5);
  assert_pointer_reaches_guest (850.5, 650.5);
  check_click (1, BTN_LEFT);

  hangar_display_set_scaling (display, HANGAR_DISPLAY_SCALE_FIT);
  hangar_test_wait_for_frames (GTK_WIDGET (window), UI_TIMEOUT_S);
}

/* The guest applies width × height, and the display follows. */
static void
resize_to (int width,
           int height)
{
  g_autofree char *marker = g_strdup_printf ("HANGAR-MODE %dx%d", width, height);
  g_autofree char *before = hangar_test_console_log (machine);
  guint count = hangar_test_count (before, marker);

  set_view_size (width, height);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (display)), ==, width);
  g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (display)), ==, height);
  wait_for_console (marker, count + 1, GUEST_TIMEOUT_S);
  wait_for_guest_size (width, height);
  if (!hangar_test_wait_until (shows_probe_picture, NULL, UI_TIMEOUT_S))
    g_error ("the display does not show the probe's picture at %d×%d", width, height);
  g_assert_true (hangar_display_is_connected (display));
}

static void
test_resize_guest (void)
{
  int x, y, w, h;

  if (skip_without_probe ())
    return;

  /* Off: the guest keeps its size whatever the widget's. */
  g_assert_false (hangar_display_get_resize_guest (display));
  set_view_size (1024, 700);
  hangar_test_spin (1000);
  g_assert_cmpint (hangar_display_get_guest_width (display), ==, FIRST_WIDTH);

  hangar_display_set_resize_guest (display, TRUE);
  resize_to (1024, 700);
  /* Now it fills the widget, 1:1. */
  g_assert_true (hangar_display_get_image_rect (display, &x, &y, &w, &h));
  g_assert_cmpint (x, ==, 0);
  g_assert_cmpint (y, ==, 0);
  g_assert_cmpint (w, ==, 1024);
  g_assert_cmpint (h, ==, 700);
  hangar_test_save_screenshot (GTK_WIDGET (window), "desktop-resized-1024x700.png", UI_TIMEOUT_S);

  resize_to (800, 600);
  hangar_test_save_screenshot (GTK_WIDGET (window), "desktop-resized-800x600.png", UI_TIMEOUT_S);

  /* The pointer still lands on the right guest pixel at the new size. */
  if (fake_motion_event != NULL)
    {
      assert_pointer_reaches_guest (10.5, 20.5);
      assert_pointer_reaches_guest (790.5, 590.5);
    }
}

/* ---- Setup ---------------------------------------------------------------- */

static int
open_display_fd (void)
{
  return hangar_test_open_display_fd (machine);
}

static void
make_window (void)
{
  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_title (window, "HangarDisplay on virtio-gpu");
  /* Its size is its child's size request (set_view_size()). */
  gtk_window_set_resizable (window, FALSE);
  view = gtk_scrolled_window_new ();
  display = HANGAR_DISPLAY (hangar_display_new ());
  hangar_display_set_scaling (display, HANGAR_DISPLAY_SCALE_FIT);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (view), GTK_WIDGET (display));
  gtk_widget_set_size_request (view, VIEW_WIDTH, VIEW_HEIGHT);
  gtk_window_set_child (window, view);
  gtk_window_present (window);
  hangar_test_wait_for_frames (GTK_WIDGET (window), UI_TIMEOUT_S);
}

/* Boots the guest with virtio-vga and VNC (the engine adds the USB
 * tablet), and connects the display at once, so it sees everything the
 * guest's screen goes through. */
static void
start_guest (void)
{
  g_autofree char *base = hangar_test_guest_xml (GUEST_NAME, GUEST_WORDS);
  g_autoptr(GString) xml = g_string_new (base);
  g_autoptr(GError) error = NULL;

  g_string_replace (xml, "<memory unit='MiB'>128</memory>", "<memory unit='MiB'>256</memory>", 1);
  g_string_replace (xml, "  <devices>\n",
                    "  <devices>\n"
                    "    <graphics type='vnc'/>\n"
                    "    <video><model type='virtio'/></video>\n", 1);
  machine = hangar_test_env_define (env, xml->str);
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (machine), 5 * 60 * 1000);
  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);
  hangar_display_open_fd (display, open_display_fd ());
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *probe = NULL;
  void *xtst;
  int status;

  if (!hangar_test_gui_init (&argc, &argv))
    return g_test_run ();

  g_test_add_func ("/display-desktop/connect", test_connect);
  g_test_add_func ("/display-desktop/cursor", test_cursor);
  g_test_add_func ("/display-desktop/pointer", test_pointer);
  g_test_add_func ("/display-desktop/resize-guest", test_resize_guest);

  /* meson builds the probe next to the guest when it can. */
  probe = g_build_filename (g_getenv ("HANGAR_TEST_GUEST_DIR"), "hangar-guest-probe", NULL);
  have_probe = g_file_test (probe, G_FILE_TEST_IS_EXECUTABLE);
  if (!have_probe)
    return g_test_run ();

  if (GDK_IS_X11_DISPLAY (gdk_display_get_default ()) &&
      (xtst = dlopen ("libXtst.so.6", RTLD_NOW)) != NULL)
    {
      fake_motion_event = (XTestFakeMotionEventFunc) dlsym (xtst, "XTestFakeMotionEvent");
      fake_button_event = (XTestFakeButtonEventFunc) dlsym (xtst, "XTestFakeButtonEvent");
    }

  env = hangar_test_env_new (FALSE);   /* with its engine started */
  make_window ();
  start_guest ();

  status = g_test_run ();

  hangar_display_close (display);
  gtk_window_destroy (window);
  g_clear_object (&machine);
  hangar_test_env_free (env);
  return status;
}
