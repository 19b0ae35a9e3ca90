/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "display-bench"

/* display-bench: what the HangarDisplay widget costs to follow a busy
 * 1080p guest, with each GTK renderer, against remote-viewer (virt-viewer,
 * on gtk-vnc) or gvncviewer on the same guest in the same run.
 *
 * The guest is the busybox test guest under a bare QEMU (TCG, std VGA),
 * booted with vga=0x392: a 1920×1080×32 VESA mode, /dev/fb0 from the
 * kernel's vesafb. The bench types into its serial shell (a unix socket)
 * to run, in turn:
 *
 *  full    two random 1920×1080 frames copied to /dev/fb0 one after the
 *          other: every pixel changes every frame;
 *  small   16 rows × 1920 pixels (1.5 % of the screen) of random data
 *          rewritten at a moving position every frame.
 *
 * Both are paced by the guest (a sleep after each frame) and print a frame
 * counter on the serial port, so the guest's own frame rate is known.
 *
 * QEMU runs two VNC servers on the same display: a unix socket for the
 * HangarDisplay clients (what Machine.OpenDisplay hands out is a connected
 * socket too), and 127.0.0.1:5900 for the comparison viewer, which speaks
 * VNC over TCP only: QEMU runs in a network namespace of its own (unshare
 * -n), so the port exists nowhere else, and the viewer joins it with
 * nsenter. Without namespaces (not root) the comparison is skipped.
 *
 * Clients, one at a time, for --seconds each after a warm-up:
 *  hangar gl / hangar cairo  this program again (--client) with
 *           GSK_RENDERER=gl or =cairo: an undecorated 1920×1080 window
 *           holding a HangarDisplay at 1:1, styled as Hangar's display
 *           window (no background under the guest); it counts the frames it
 *           snapshots, update rectangles and its own CPU time (getrusage:
 *           every thread, so llvmpipe's too);
 *  viewer   remote-viewer (or gvncviewer): CPU time from /proc/PID/stat.
 *           Its window is moved so that the guest's 1920×1080 is drawn
 *           at 1:1 and wholly on the screen, as ours is (remote-viewer's
 *           GTK 3 window is 1930 wide: a 5-pixel client-side border each
 *           side, and a header bar above the display).
 * The pointer waits in the screen's bottom right corner, off every window.
 *
 * Frames drawn are counted from outside, the same way for every client,
 * with the X DAMAGE extension: this process (the parent, which never
 * draws) has its own Xlib connection to the display the clients draw to,
 * a damage object on the root window that reports raw rectangles, and
 * reads its events in the same poll loop that follows the guest. A frame
 * is a burst of damage: an event more than FRAME_GAP_MS after the one
 * before (in the X server's own timestamps, so how late this process reads
 * them does not matter) starts a new frame. GTK 3 and GTK 4 draw a frame
 * as a few requests within a millisecond or two. The counting window
 * starts and ends with a property change on a window of our own, whose
 * PropertyNotify falls in the same event stream in the server's order.
 * A partial redraw is a frame too: remote-viewer draws a full-screen guest
 * frame in several bursts, as the parts of QEMU's update arrive, so the
 * area drawn per frame (Mpx/frame) is printed with it. For the hangar
 * clients the frame count the widget keeps itself is printed alongside;
 * the two agree when every snapshot leads to one draw, see print_result.
 * The X server's CPU time (Xvfb's, from /proc) is printed with each client
 * and in one more ratio: drawing costs there too (uploads, compositing).
 *
 * Under Xvfb there is no GPU: GSK_RENDERER=gl renders with Mesa's software
 * rasterizer (llvmpipe); the line about the renderer says what GTK used.
 * For each workload and renderer it prints the issue's two targets: the
 * frame rate of hangar over the viewer's (target >= 2) and CPU per frame
 * of hangar over the viewer's (target <= 1), where a frame is a whole
 * guest frame shown: a burst drawing part of a frame's change counts for
 * that part (see frames_shown_per_s). Bursts and CPU per burst, and CPU
 * per guest frame, are printed too. Note that QEMU answers update
 * requests at most once per display refresh (30 ms), and only with what
 * changed by then; a refresh that finds no change, or a change but no
 * request pending, puts the next one 50 ms later (halved back after each
 * refresh that sends something). No client can show more frames than
 * that, nor more than the guest makes: with the small changes, a guest
 * frame every 38 ms meets refreshes that find nothing new, and every
 * client gets about 17-21 of the guest's 25 frames a second. QEMU's VNC encoder thread (vnc_worker) works for one
 * client at a time here; its CPU is printed with each, and counted with
 * the client's and the X server's in one more ratio: the encoding a client
 * asks for decides it. The rest of QEMU (TCG) is counted for no one, but
 * all of it shares the host's CPUs: the guest's frame rate is printed for
 * each run.
 *
 * --scale-to WxH gives the guest a W×H area instead, in both clients'
 * windows, scaled to fit (a window smaller than the guest, the usual case
 * for a 1080p guest in a desktop window): what a frame's change covers is
 * then counted at that scale.
 *
 * It prints results; it never judges them. Run it under Xvfb with a screen
 * of at least 1920×1080 (meson test --benchmark display-bench does), or
 * xvfb-run -a -s '-screen 0 1920x1200x24' _build/tests/bench/display-bench. */

#include <errno.h>
#include <epoxy/gl.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <gio/gunixinputstream.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtk/gtk.h>
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/extensions/Xdamage.h>

#include "bench-common.h"
#include "hangar-display.h"

#define GUEST_WIDTH        1920
#define GUEST_HEIGHT       1080
#define GUEST_VGA_MODE     "0x392"        /* VESA 0x192: 1920×1080×32 in SeaBIOS's VGA BIOS */
#define BOOT_TIMEOUT_S     180
#define SETUP_TIMEOUT_S    120
#define CONNECT_TIMEOUT_S  60
#define WARMUP_S           3
#define PROMPT             "hangar-guest#"
#define VIEWER_PORT        5900
#define FRAME_GAP_MS       5              /* quiet time that ends a frame's burst of damage */

static int       opt_seconds = 10;
static gboolean  opt_client = FALSE;
static char     *opt_socket = NULL;
static gboolean  opt_no_viewer = FALSE;
static char     *opt_scale_to = NULL;
static char     *self_path;      /* this program, by name: a rebuild may replace the file */

/* The area each client's window gives the guest: the guest's own size
 * (1:1), or what --scale-to says. */
static int       view_width = GUEST_WIDTH;
static int       view_height = GUEST_HEIGHT;

static const GOptionEntry options[] = {
  { "seconds", 's', 0, G_OPTION_ARG_INT, &opt_seconds, "Seconds measured per client and workload (default 10)", "N" },
  { "no-viewer", 0, 0, G_OPTION_ARG_NONE, &opt_no_viewer, "Leave out remote-viewer/gvncviewer", NULL },
  { "scale-to", 0, 0, G_OPTION_ARG_STRING, &opt_scale_to,
    "Give the guest a WxH area in each client's window, scaled to fit (default: 1:1)", "WxH" },
  { "client", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &opt_client, NULL, NULL },
  { "socket", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &opt_socket, NULL, NULL },
  { NULL }
};

/* ---- The client: a HangarDisplay in a window ------------------------------ */

static gboolean
keep_ticking (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static gboolean
iterate_until (gboolean (*done) (gpointer),
               gpointer   data,
               double     seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  /* Blocking iterations, as any GTK application's main loop: a loop that
   * polls and sleeps would add its own wake-ups to the CPU time measured.
   * The timer wakes it to check the condition and the end. */
  guint tick = g_timeout_add (done != NULL ? 50 : 250, keep_ticking, NULL);

  while (g_get_monotonic_time () < end)
    {
      if (done != NULL && done (data))
        break;
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);
  return done != NULL && done (data);
}

static gboolean
display_ready (gpointer data)
{
  HangarDisplay *display = data;

  return hangar_display_is_connected (display) &&
         hangar_display_get_guest_width (display) == GUEST_WIDTH &&
         hangar_display_get_frame_count (display) > 0;
}

static double
cpu_ms_self (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec * 1000.0 + usage.ru_utime.tv_usec / 1000.0 +
         usage.ru_stime.tv_sec * 1000.0 + usage.ru_stime.tv_usec / 1000.0;
}

static int
connect_unix (const char *path)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0 || strlen (path) >= sizeof address.sun_path)
    return -1;
  strcpy (address.sun_path, path);
  if (connect (fd, (struct sockaddr *) &address, sizeof address) != 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* What GL GTK got, when it renders with GL: the context it left current. */
static char *
describe_gl (void)
{
  GdkGLContext *context = gdk_gl_context_get_current ();
  const char *renderer;

  if (context == NULL)
    return g_strdup ("-");
  renderer = (const char *) glGetString (GL_RENDERER);
  return g_strdelimit (g_strdup (renderer != NULL ? renderer : "?"), " ", '_');
}

static int
run_client (void)
{
  g_autoptr(GtkCssProvider) provider = NULL;
  GtkWidget *window;
  HangarDisplay *display;
  double cpu_start, cpu_end;
  gint64 start_us, end_us;
  guint64 frames, updates, tiles, full;
  g_autofree char *gl = NULL;
  int fd;

  if (!gtk_init_check () || opt_socket == NULL)
    {
      g_print ("RESULT error=no-display-or-socket\n");
      return 1;
    }

  /* Styled as Hangar's own display window (HangarDisplayWindow, which also
   * holds the display in fullscreen): nothing drawn under the guest. */
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, "/io/github/hangarvm/Hangar/hangar-machine-page.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  window = gtk_window_new ();
  gtk_widget_add_css_class (window, "hangar-display-window");
  gtk_window_set_decorated (GTK_WINDOW (window), FALSE);
  gtk_window_set_default_size (GTK_WINDOW (window), view_width, view_height);
  display = HANGAR_DISPLAY (hangar_display_new ());
  hangar_display_set_scaling (display, HANGAR_DISPLAY_SCALE_FIT);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (display));
  gtk_window_present (GTK_WINDOW (window));

  fd = connect_unix (opt_socket);
  if (fd < 0)
    {
      g_print ("RESULT error=connect:%s\n", g_strerror (errno));
      return 1;
    }
  hangar_display_open_fd (display, fd);
  if (!iterate_until (display_ready, display, CONNECT_TIMEOUT_S))
    {
      g_print ("RESULT error=not-connected:%s\n", hangar_display_get_error (display) ?: "timeout");
      return 1;
    }
  iterate_until (NULL, NULL, WARMUP_S);
  gl = describe_gl ();

  g_print ("START\n");
  fflush (stdout);
  cpu_start = cpu_ms_self ();
  start_us = g_get_monotonic_time ();
  frames = hangar_display_get_frame_count (display);
  updates = hangar_display_get_update_count (display);
  tiles = hangar_display_get_tiles_built (display);
  full = hangar_display_get_frames_built (display);

  iterate_until (NULL, NULL, opt_seconds);

  end_us = g_get_monotonic_time ();
  cpu_end = cpu_ms_self ();
  g_print ("END\n");
  g_print ("RESULT renderer=%s gl=%s frames=%" G_GUINT64_FORMAT " updates=%" G_GUINT64_FORMAT
           " tiles=%" G_GUINT64_FORMAT " full=%" G_GUINT64_FORMAT " cpu_ms=%.1f wall_ms=%.1f connected=%d\n",
           G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (window))), gl,
           hangar_display_get_frame_count (display) - frames,
           hangar_display_get_update_count (display) - updates,
           hangar_display_get_tiles_built (display) - tiles,
           hangar_display_get_frames_built (display) - full,
           cpu_end - cpu_start, (end_us - start_us) / 1000.0,
           hangar_display_is_connected (display));
  fflush (stdout);
  hangar_display_close (display);
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}

/* ---- Counting drawn frames: X DAMAGE on the root window -------------------- */

typedef enum {
  MARK_NONE,
  MARK_BEGIN,
  MARK_END,
} Mark;

typedef struct {
  Display  *display;
  int       event_base;
  Damage    damage;
  Window    root;
  Window    marker;           /* ours, never mapped: its PropertyNotify marks begin and end */
  Atom      marker_atom;
  int       screen_width;
  int       screen_height;
  Mark      pending;          /* the mark asked for and not seen yet */
  gboolean  counting;
  gboolean  have_last;
  guint32   last_time;        /* server time (ms) of the last damage event */
  guint32   begin_time;
  guint32   end_time;
  guint64   frames;
  guint64   rects;
  double    area;             /* pixels damaged, overlaps counted again */
  int       x0, y0, x1, y1;   /* what all of it covered */
} DamageCounter;

static int
ignore_x_error (Display     *display,
                XErrorEvent *event)
{
  /* A window of a client that went away while find_window looked at it. */
  return 0;
}

static gboolean x_lost;       /* then no Xlib call may be made on it again */

static int
x_connection_lost (Display *display)
{
  x_lost = TRUE;
  bench_fail ("the connection to the X display was lost");
}

/* NULL, and why in @why, when the display cannot count damage. */
static DamageCounter *
damage_counter_open (char **why)
{
  DamageCounter *counter;
  int event_base, error_base, major, minor;
  Display *display = XOpenDisplay (NULL);

  if (display == NULL)
    {
      *why = g_strdup_printf ("cannot open X display %s", g_getenv ("DISPLAY") ?: "(unset)");
      return NULL;
    }
  if (!XDamageQueryExtension (display, &event_base, &error_base) ||
      !XDamageQueryVersion (display, &major, &minor))
    {
      XCloseDisplay (display);
      *why = g_strdup ("the X server has no DAMAGE extension");
      return NULL;
    }
  XSetErrorHandler (ignore_x_error);
  XSetIOErrorHandler (x_connection_lost);

  counter = g_new0 (DamageCounter, 1);
  counter->display = display;
  counter->event_base = event_base;
  counter->root = DefaultRootWindow (display);
  counter->screen_width = DisplayWidth (display, DefaultScreen (display));
  counter->screen_height = DisplayHeight (display, DefaultScreen (display));
  /* Every rectangle as it is drawn, each with the server's timestamp:
   * with XDamageReportNonEmpty a frame drawn while an earlier event is
   * still unread here would go unseen. On the root window it covers the
   * windows of every client (no compositing manager under Xvfb). */
  counter->damage = XDamageCreate (display, counter->root, XDamageReportRawRectangles);
  counter->marker = XCreateSimpleWindow (display, counter->root, -10, -10, 1, 1, 0, 0, 0);
  counter->marker_atom = XInternAtom (display, "_DISPLAY_BENCH_MARK", False);
  XSelectInput (display, counter->marker, PropertyChangeMask);
  /* The pointer in the bottom right corner, off every client's window:
   * Xvfb draws the cursor in software, over whatever is under it. */
  XWarpPointer (display, None, counter->root, 0, 0, 0, 0,
                counter->screen_width - 1, counter->screen_height - 1);
  XSync (display, False);
  return counter;
}

static void
damage_counter_free (DamageCounter *counter)
{
  if (counter == NULL)
    return;
  if (!x_lost)
    {
      XDamageDestroy (counter->display, counter->damage);
      XDestroyWindow (counter->display, counter->marker);
      XCloseDisplay (counter->display);
    }
  g_free (counter);
}

static void
damage_counter_add (DamageCounter            *counter,
                    const XDamageNotifyEvent *event)
{
  /* X time is 32-bit milliseconds and wraps: compare differences. */
  guint32 time = (guint32) event->timestamp;
  gboolean new_frame = !counter->have_last || (guint32) (time - counter->last_time) > FRAME_GAP_MS;

  counter->have_last = TRUE;
  counter->last_time = time;
  if (!counter->counting)
    return;
  /* A burst that began before the mark continues it: not a new frame. */
  if (new_frame)
    counter->frames++;
  counter->rects++;
  counter->area += (double) event->area.width * event->area.height;
  counter->x0 = MIN (counter->x0, event->area.x);
  counter->y0 = MIN (counter->y0, event->area.y);
  counter->x1 = MAX (counter->x1, event->area.x + event->area.width);
  counter->y1 = MAX (counter->y1, event->area.y + event->area.height);
}

static void
damage_counter_at_mark (DamageCounter *counter,
                        guint32        time)
{
  if (counter->pending == MARK_BEGIN)
    {
      counter->counting = TRUE;
      counter->begin_time = time;
      counter->frames = 0;
      counter->rects = 0;
      counter->area = 0;
      counter->x0 = counter->y0 = G_MAXINT;
      counter->x1 = counter->y1 = G_MININT;
    }
  else if (counter->pending == MARK_END)
    {
      counter->counting = FALSE;
      counter->end_time = time;
    }
  counter->pending = MARK_NONE;
}

/* Reads every event there is, without waiting. */
static void
damage_counter_dispatch (DamageCounter *counter)
{
  gboolean damaged = FALSE;

  if (counter == NULL)
    return;
  while (XPending (counter->display) > 0)
    {
      XEvent event;

      XNextEvent (counter->display, &event);
      if (event.type == counter->event_base + XDamageNotify)
        {
          damage_counter_add (counter, (XDamageNotifyEvent *) &event);
          damaged = TRUE;
        }
      else if (event.type == PropertyNotify && event.xproperty.window == counter->marker)
        damage_counter_at_mark (counter, (guint32) event.xproperty.time);
    }
  /* Raw rectangles are reported whatever the damage region holds; emptying
   * it keeps the server from accumulating a region nobody reads. */
  if (damaged)
    {
      XDamageSubtract (counter->display, counter->damage, None, None);
      XFlush (counter->display);
    }
}

static void
damage_counter_mark (DamageCounter *counter,
                     Mark           mark)
{
  long value = mark;

  if (counter == NULL)
    return;
  counter->pending = mark;
  XChangeProperty (counter->display, counter->marker, counter->marker_atom, XA_INTEGER, 32,
                   PropModeReplace, (unsigned char *) &value, 1);
  /* After the round trip the PropertyNotify is queued here, behind every
   * damage event the server reported before it. */
  XSync (counter->display, False);
  damage_counter_dispatch (counter);
  if (counter->pending != MARK_NONE)
    bench_fail ("the X server did not report our own property change");
}

static double
damage_counter_seconds (DamageCounter *counter)
{
  return (guint32) (counter->end_time - counter->begin_time) / 1000.0;
}

/* "WxH+X+Y" */
static char *
describe_box (int x,
              int y,
              int width,
              int height)
{
  return g_strdup_printf ("%dx%d%+d%+d", width, height, x, y);
}

/* The biggest mapped top-level window of process @pid (_NET_WM_PID, which
 * GTK 3 and 4 set), or None. */
static Window
find_window (DamageCounter     *counter,
             GPid               pid,
             XWindowAttributes *attributes)
{
  Window root_return, parent_return, *children = NULL, found = None;
  unsigned int n_children = 0;
  Atom wm_pid = XInternAtom (counter->display, "_NET_WM_PID", False);
  long best = 0;

  if (!XQueryTree (counter->display, counter->root, &root_return, &parent_return, &children, &n_children))
    return None;
  for (unsigned int i = 0; i < n_children; i++)
    {
      XWindowAttributes child;
      Atom type;
      int format;
      unsigned long n_items, after;
      unsigned char *data = NULL;
      gboolean ours;

      if (!XGetWindowAttributes (counter->display, children[i], &child) || child.map_state != IsViewable)
        continue;
      if (XGetWindowProperty (counter->display, children[i], wm_pid, 0, 1, False, XA_CARDINAL,
                              &type, &format, &n_items, &after, &data) != Success)
        continue;
      ours = data != NULL && n_items == 1 && format == 32 && *(unsigned long *) data == (unsigned long) pid;
      if (data != NULL)
        XFree (data);
      if (ours && (long) child.width * child.height > best)
        {
          best = (long) child.width * child.height;
          found = children[i];
          *attributes = child;
        }
    }
  if (children != NULL)
    XFree (children);
  return found;
}

/* Where @pid's window is, as "WxH+X+Y", or NULL. */
static char *
describe_window (DamageCounter *counter,
                 GPid           pid)
{
  XWindowAttributes attributes;

  if (counter == NULL || find_window (counter, pid, &attributes) == None)
    return NULL;
  return describe_box (attributes.x, attributes.y, attributes.width, attributes.height);
}

/* A window wider than the screen (remote-viewer's: 1920 + its client-side
 * borders) is centred, so that what it shows at 1:1 is all on the screen;
 * there is no window manager to place it. With --scale-to, the window is
 * made to give the guest the same area as ours: its borders and header
 * (what it has beyond the guest's size when it opens at 1:1) around it. */
static void
fit_window (DamageCounter *counter,
            GPid           pid)
{
  XWindowAttributes attributes;
  Window window;
  int x, y;

  if (counter == NULL || (window = find_window (counter, pid, &attributes)) == None)
    return;
  if (view_width != GUEST_WIDTH || view_height != GUEST_HEIGHT)
    {
      XMoveResizeWindow (counter->display, window, 0, 0,
                         view_width + attributes.width - GUEST_WIDTH,
                         view_height + attributes.height - GUEST_HEIGHT);
      XSync (counter->display, False);
      return;
    }
  x = attributes.width > counter->screen_width ? (counter->screen_width - attributes.width) / 2 : 0;
  y = attributes.height > counter->screen_height ? (counter->screen_height - attributes.height) / 2 : 0;
  if (x != attributes.x || y != attributes.y)
    {
      XMoveWindow (counter->display, window, x, y);
      XSync (counter->display, False);
    }
}

/* ---- The guest ------------------------------------------------------------- */

typedef struct {
  char     *tmpdir;
  GPid      qemu_pid;           /* unshare, which execs sh, which execs QEMU */
  gboolean  namespaced;         /* QEMU in a network namespace: the TCP server exists */
  int       serial_fd;
  GString  *serial;             /* everything the guest said */
  gsize     parsed;             /* how much of it was scanned for frame counters */
  GString  *line;
  guint64   guest_frames;       /* the last "F<n>" */
  char     *vnc_socket;
  GPid      viewer_pid;
  DamageCounter *damage;        /* NULL: drawn frames are not counted */
  GPid      x_server_pid;       /* 0: not found */
  double    x_cpu_start;
  double    encoder_cpu_start;  /* QEMU's VNC encoder thread; < 0: not found */
} Bench;

static void
bench_cleanup (gpointer data)
{
  Bench *bench = data;

  if (bench->viewer_pid > 0)
    bench_stop_child (bench->viewer_pid, SIGTERM);
  bench->viewer_pid = 0;
  if (bench->qemu_pid > 0)
    bench_stop_child (bench->qemu_pid, SIGKILL);
  bench->qemu_pid = 0;
  if (bench->serial_fd >= 0)
    close (bench->serial_fd);
  bench->serial_fd = -1;
  if (bench->tmpdir != NULL)
    bench_remove_tmpdir (bench->tmpdir);
  g_clear_pointer (&bench->tmpdir, g_free);
  g_clear_pointer (&bench->vnc_socket, g_free);
  if (bench->serial != NULL)
    g_string_free (bench->serial, TRUE);
  bench->serial = NULL;
  if (bench->line != NULL)
    g_string_free (bench->line, TRUE);
  bench->line = NULL;
  g_clear_pointer (&bench->damage, damage_counter_free);
}

static void
scan_serial (Bench *bench)
{
  for (; bench->parsed < bench->serial->len; bench->parsed++)
    {
      char c = bench->serial->str[bench->parsed];

      if (c == '\n')
        {
          const char *text = bench->line->str;

          if (text[0] == 'F' && g_ascii_isdigit (text[1]))
            bench->guest_frames = g_ascii_strtoull (text + 1, NULL, 10);
          g_string_truncate (bench->line, 0);
        }
      else if (c != '\r')
        g_string_append_c (bench->line, c);
    }
}

/* Reads what the guest says for up to @ms, and whatever @extra_fd has
 * (appended to @extra); returns early once @extra holds @extra_until.
 * The X display's damage events are read all the while. */
static void
pump (Bench      *bench,
      guint       ms,
      int         extra_fd,
      GString    *extra,
      const char *extra_until)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  for (;;)
    {
      struct pollfd fds[3] = { { bench->serial_fd, POLLIN, 0 }, { extra_fd, POLLIN, 0 },
                               { bench->damage != NULL ? ConnectionNumber (bench->damage->display) : -1, POLLIN, 0 } };
      gint64 left = (end - g_get_monotonic_time ()) / 1000;
      char buffer[65536];

      /* Xlib may hold events it read already: the socket would not say. */
      damage_counter_dispatch (bench->damage);
      if (left <= 0 || (extra_until != NULL && strstr (extra->str, extra_until) != NULL))
        return;
      /* poll ignores the negative fds. */
      if (poll (fds, 3, (int) MIN (left, 200)) < 0 && errno != EINTR)
        bench_fail ("poll: %s", g_strerror (errno));
      if (fds[0].revents & (POLLIN | POLLHUP))
        {
          ssize_t n = read (bench->serial_fd, buffer, sizeof buffer);

          if (n <= 0)
            bench_fail ("the guest's serial port closed: QEMU ended");
          g_string_append_len (bench->serial, buffer, n);
          scan_serial (bench);
        }
      if (extra_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP)))
        {
          ssize_t n = read (extra_fd, buffer, sizeof buffer);

          if (n > 0)
            g_string_append_len (extra, buffer, n);
          else
            extra_fd = -1;
        }
    }
}

/* Waits until the guest has said @marker (after position @from). */
static void
wait_for_serial (Bench      *bench,
                 gsize       from,
                 const char *marker,
                 guint       timeout_s,
                 const char *what)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  while (strstr (bench->serial->str + MIN (from, bench->serial->len), marker) == NULL)
    {
      if (g_get_monotonic_time () > end)
        {
          gsize length = bench->serial->len;

          bench_fail ("%s: the guest never said “%s”; it ends with:\n%s", what, marker,
                      bench->serial->str + (length > 1500 ? length - 1500 : 0));
        }
      pump (bench, 200, -1, NULL, NULL);
    }
}

static void
send_serial (Bench      *bench,
             const char *text)
{
  gsize length = strlen (text);

  while (length > 0)
    {
      ssize_t n = write (bench->serial_fd, text, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        bench_fail ("cannot write to the guest's serial port: %s", g_strerror (errno));
      text += n;
      length -= n;
    }
}

/* Runs @command in the guest's serial shell and waits for it to say @done. */
static void
run_in_guest (Bench      *bench,
              const char *command,
              const char *done,
              guint       timeout_s)
{
  gsize from = bench->serial->len;
  g_autofree char *line = g_strconcat (command, "\n", NULL);

  send_serial (bench, line);
  wait_for_serial (bench, from, done, timeout_s, command);
}

static char *
escape_commas (const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, ",", -1);

  return g_strjoinv (",,", parts);
}

static gboolean
can_use_netns (void)
{
  g_autofree char *unshare = g_find_program_in_path ("unshare");
  g_autofree char *nsenter = g_find_program_in_path ("nsenter");
  g_autofree char *ip = g_find_program_in_path ("ip");
  const char *argv[] = { NULL, "-n", "true", NULL };
  int status = -1;

  if (geteuid () != 0 || unshare == NULL || nsenter == NULL || ip == NULL)
    return FALSE;
  argv[0] = unshare;
  return g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                       NULL, NULL, NULL, NULL, &status, NULL) &&
         g_spawn_check_wait_status (status, NULL);
}

static void
start_guest (Bench *bench)
{
  g_autofree char *qemu = g_find_program_in_path ("qemu-system-x86_64");
  g_autofree char *serial_path = g_build_filename (bench->tmpdir, "serial.sock", NULL);
  g_autofree char *log_path = g_build_filename (bench->tmpdir, "qemu.log", NULL);
  g_autofree char *vnc = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *kernel = escape_commas (hangar_test_guest_kernel ());
  g_autofree char *initrd = escape_commas (hangar_test_guest_initrd ());
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  gint64 end;
  int log_fd;

  if (qemu == NULL)
    bench_fail ("no qemu-system-x86_64 in PATH");

  bench->vnc_socket = g_build_filename (bench->tmpdir, "vnc.sock", NULL);
  {
    g_autofree char *escaped = escape_commas (bench->vnc_socket);
    g_autofree char *escaped_serial = escape_commas (serial_path);

    vnc = g_strdup_printf ("unix:%s", escaped);
    serial = g_strdup_printf ("unix:%s,server=on,wait=off", escaped_serial);
  }

  bench->namespaced = !opt_no_viewer && can_use_netns ();
  if (bench->namespaced)
    {
      /* A network namespace of QEMU's own: its TCP VNC port exists nowhere else. */
      g_ptr_array_add (argv, g_find_program_in_path ("unshare"));
      g_ptr_array_add (argv, g_strdup ("-n"));
      g_ptr_array_add (argv, g_strdup ("--"));
      g_ptr_array_add (argv, g_strdup ("/bin/sh"));
      g_ptr_array_add (argv, g_strdup ("-c"));
      g_ptr_array_add (argv, g_strdup ("ip link set lo up && exec \"$0\" \"$@\""));
    }
  g_ptr_array_add (argv, g_strdup (qemu));
  g_ptr_array_add (argv, g_strdup ("-accel"));
  g_ptr_array_add (argv, g_strdup ("tcg"));
  g_ptr_array_add (argv, g_strdup ("-machine"));
  g_ptr_array_add (argv, g_strdup ("pc"));
  /* Named threads: the VNC encoder's CPU is measured for each client. */
  g_ptr_array_add (argv, g_strdup ("-name"));
  g_ptr_array_add (argv, g_strdup ("display-bench,debug-threads=on"));
  g_ptr_array_add (argv, g_strdup ("-m"));
  g_ptr_array_add (argv, g_strdup ("512"));
  g_ptr_array_add (argv, g_strdup ("-nodefaults"));
  g_ptr_array_add (argv, g_strdup ("-no-user-config"));
  g_ptr_array_add (argv, g_strdup ("-device"));
  g_ptr_array_add (argv, g_strdup ("VGA,id=video0"));
  g_ptr_array_add (argv, g_strdup ("-vnc"));
  g_ptr_array_add (argv, g_strdup (vnc));
  if (bench->namespaced)
    {
      g_ptr_array_add (argv, g_strdup ("-vnc"));
      g_ptr_array_add (argv, g_strdup_printf ("127.0.0.1:%d,id=viewer", VIEWER_PORT - 5900));
    }
  g_ptr_array_add (argv, g_strdup ("-kernel"));
  g_ptr_array_add (argv, g_strdup (kernel));
  g_ptr_array_add (argv, g_strdup ("-initrd"));
  g_ptr_array_add (argv, g_strdup (initrd));
  g_ptr_array_add (argv, g_strdup ("-append"));
  g_ptr_array_add (argv, g_strdup ("console=ttyS0 quiet panic=-1 vga=" GUEST_VGA_MODE));
  g_ptr_array_add (argv, g_strdup ("-serial"));
  g_ptr_array_add (argv, g_strdup (serial));
  g_ptr_array_add (argv, NULL);

  log_fd = open (log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (!g_spawn_async_with_pipes_and_fds (NULL, (const char * const *) argv->pdata, NULL,
                                         G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                                         NULL, NULL, -1, log_fd, log_fd, NULL, NULL, 0,
                                         &bench->qemu_pid, NULL, NULL, NULL, &error))
    bench_fail ("cannot start QEMU: %s", error->message);
  close (log_fd);

  end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while ((bench->serial_fd = connect_unix (serial_path)) < 0)
    {
      if (g_get_monotonic_time () > end || waitpid (bench->qemu_pid, NULL, WNOHANG) == bench->qemu_pid)
        {
          g_autofree char *log = bench_file_tail (log_path, 2000);

          bench->qemu_pid = 0;
          bench_fail ("QEMU did not open its serial socket:\n%s", log);
        }
      g_usleep (50 * 1000);
    }
  wait_for_serial (bench, 0, PROMPT, BOOT_TIMEOUT_S, "booting the guest");
}

/* The guest's framebuffer, two random frames to show in turn, no cursor. */
static void
prepare_guest (Bench *bench)
{
  gsize from = bench->serial->len;
  g_autofree char *expected = g_strdup_printf ("SIZE-%d,%d", GUEST_WIDTH, GUEST_HEIGHT);

  send_serial (bench, "echo SIZE-$(cat /sys/class/graphics/fb0/virtual_size)\n");
  pump (bench, 3000, -1, NULL, NULL);
  if (strstr (bench->serial->str + from, expected) == NULL)
    bench_fail ("the guest has no %dx%d framebuffer (vga=%s with std VGA and vesafb); it said:\n%s",
                GUEST_WIDTH, GUEST_HEIGHT, GUEST_VGA_MODE, bench->serial->str + from);

  run_in_guest (bench,
                "echo 0 >/sys/class/graphics/fbcon/cursor_blink; "
                "dd if=/dev/urandom of=/tmp/f1 bs=7680 count=1080 2>/dev/null; "
                "dd if=/dev/urandom of=/tmp/f2 bs=7680 count=1080 2>/dev/null; "
                "cat /tmp/f1 >/dev/fb0; echo READY-$((6*7))",
                "READY-42", SETUP_TIMEOUT_S);
}

typedef struct {
  const char *name;
  const char *title;
  const char *loop;        /* prints F<n> after each frame */
  double      frame_area;  /* pixels a guest frame changes */
} Workload;

/* Each runs in the background of the serial shell until /tmp/stop appears. */
static const Workload workloads[] = {
  { "full", "full-screen changes: every pixel, every frame (guest paced at <= 20/s)",
    "i=0; while [ ! -e /tmp/stop ]; do cat /tmp/f$((i%2+1)) >/dev/fb0; i=$((i+1)); echo F$i; "
    "usleep 50000; done", 1920.0 * 1080 },
  { "small", "small changes: 1920x16 pixels (1.5 %) a frame at a moving place (guest paced at <= 30/s)",
    "i=0; p=0; while [ ! -e /tmp/stop ]; do "
    "dd if=/tmp/f$((i%2+1)) of=/dev/fb0 bs=7680 count=16 seek=$p skip=$p 2>/dev/null; "
    "i=$((i+1)); p=$(((p+16)%1072)); echo F$i; usleep 33000; done", 1920.0 * 16 },
};

static void
start_workload (Bench          *bench,
                const Workload *workload)
{
  g_autofree char *line = g_strdup_printf ("rm -f /tmp/stop; (%s; echo STOPPED-$((40+2))) &\n",
                                           workload->loop);

  bench->guest_frames = 0;
  send_serial (bench, line);
  pump (bench, 2000, -1, NULL, NULL);
  if (bench->guest_frames == 0)
    pump (bench, 5000, -1, NULL, NULL);
  if (bench->guest_frames == 0)
    bench_fail ("the %s workload does not run in the guest", workload->name);
}

static void
stop_workload (Bench *bench)
{
  gsize from = bench->serial->len;

  send_serial (bench, "touch /tmp/stop\n");
  wait_for_serial (bench, from, "STOPPED-42", 30, "stopping the workload");
  pump (bench, 500, -1, NULL, NULL);
}

/* ---- Measuring -------------------------------------------------------------- */

typedef struct {
  char    *label;
  gboolean ok;
  char    *note;               /* why not, or what GTK rendered with */
  double   seconds;
  double   guest_frames;
  double   cpu_ms;
  double   frames;             /* snapshots the widget counted itself; < 0: not known */
  double   updates;
  double   tiles;
  double   full;
  /* From the X server's damage, the same for every client: */
  gboolean drawn_known;
  double   drawn_seconds;      /* between the marks */
  double   drawn;              /* frames: bursts of damage */
  double   drawn_area;         /* pixels */
  char    *drawn_box;          /* what the damage covered, "WxH+X+Y" */
  char    *window;             /* the client's window, "WxH+X+Y" */
  double   x_cpu_ms;           /* the X server's CPU meanwhile; < 0: not known */
  double   encoder_cpu_ms;     /* QEMU's VNC encoder thread's meanwhile; < 0: not known */
} Result;

static void
result_clear (Result *result)
{
  g_free (result->label);
  g_free (result->note);
  g_free (result->drawn_box);
  g_free (result->window);
}

/* utime + stime from a /proc stat file, in milliseconds. */
static double
cpu_ms_of_stat (const char *path)
{
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after;

  if (!g_file_get_contents (path, &stat, NULL, NULL) || (after = strrchr (stat, ')')) == NULL)
    return -1;
  /* After "(comm)": state is field 3; utime and stime are 14 and 15. */
  fields = g_strsplit (after + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return -1;
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) * 1000.0 /
         sysconf (_SC_CLK_TCK);
}

/* utime + stime of @pid and its threads, in milliseconds. */
static double
cpu_ms_of (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);

  return cpu_ms_of_stat (path);
}

/* The X server the clients draw to, when it runs here: a process named
 * Xvfb, Xorg or X with our display (":N") among its arguments; 0 if none. */
static GPid
find_x_server (void)
{
  const char *display = g_getenv ("DISPLAY");
  g_autofree char *name = NULL;
  g_autoptr(GDir) proc = NULL;
  const char *entry;

  if (display == NULL || display[0] != ':' || (proc = g_dir_open ("/proc", 0, NULL)) == NULL)
    return 0;
  name = g_strndup (display, strcspn (display, "."));
  while ((entry = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc", entry, "cmdline", NULL);
      g_autofree char *cmdline = NULL;
      g_autofree char *program = NULL;
      gsize length;

      if (!g_ascii_isdigit (entry[0]) || !g_file_get_contents (path, &cmdline, &length, NULL) || length == 0)
        continue;
      program = g_path_get_basename (cmdline);
      if (!g_str_equal (program, "Xvfb") && !g_str_equal (program, "Xorg") && !g_str_equal (program, "X"))
        continue;
      for (gsize at = strlen (cmdline) + 1; at < length; at += strlen (cmdline + at) + 1)
        if (g_str_equal (cmdline + at, name))
          return (GPid) g_ascii_strtoll (entry, NULL, 10);
    }
  return 0;
}

/* CPU of QEMU's VNC encoder: the thread QEMU names vnc_worker, which
 * encodes every update (ZRLE, Tight, raw...) for every client. What it
 * costs depends on the encoding the client asked for. */
static double
encoder_cpu_ms (GPid qemu_pid)
{
  g_autofree char *tasks = g_strdup_printf ("/proc/%d/task", (int) qemu_pid);
  g_autoptr(GDir) dir = qemu_pid > 0 ? g_dir_open (tasks, 0, NULL) : NULL;
  const char *tid;

  while (dir != NULL && (tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *comm_path = g_build_filename (tasks, tid, "comm", NULL);
      g_autofree char *comm = NULL;

      if (g_file_get_contents (comm_path, &comm, NULL, NULL) && g_str_has_prefix (comm, "vnc_worker"))
        {
          g_autofree char *stat_path = g_build_filename (tasks, tid, "stat", NULL);

          return cpu_ms_of_stat (stat_path);
        }
    }
  return -1;
}

static void
begin_counting (Bench *bench)
{
  damage_counter_mark (bench->damage, MARK_BEGIN);
  bench->x_cpu_start = bench->x_server_pid > 0 ? cpu_ms_of (bench->x_server_pid) : -1;
  bench->encoder_cpu_start = encoder_cpu_ms (bench->qemu_pid);
}

static void
end_counting (Bench  *bench,
              Result *result)
{
  DamageCounter *counter = bench->damage;
  double x_cpu_end = bench->x_server_pid > 0 ? cpu_ms_of (bench->x_server_pid) : -1;
  double encoder_end = encoder_cpu_ms (bench->qemu_pid);

  result->x_cpu_ms = bench->x_cpu_start >= 0 && x_cpu_end >= 0 ? x_cpu_end - bench->x_cpu_start : -1;
  result->encoder_cpu_ms = bench->encoder_cpu_start >= 0 && encoder_end >= 0
                           ? encoder_end - bench->encoder_cpu_start : -1;
  if (counter == NULL)
    return;
  damage_counter_mark (counter, MARK_END);
  result->drawn_known = damage_counter_seconds (counter) > 0;
  result->drawn_seconds = damage_counter_seconds (counter);
  result->drawn = counter->frames;
  result->drawn_area = counter->area;
  if (counter->rects > 0)
    result->drawn_box = describe_box (counter->x0, counter->y0,
                                      counter->x1 - counter->x0, counter->y1 - counter->y0);
}

static char *
field (const char *result,
       const char *name)
{
  g_autofree char *key = g_strconcat (" ", name, "=", NULL);
  g_autofree char *line = g_strconcat (" ", result, NULL);
  const char *start = strstr (line, key);
  const char *end;

  if (start == NULL)
    return NULL;
  start += strlen (key);
  end = strpbrk (start, " \n");
  return g_strndup (start, end != NULL ? (gsize) (end - start) : strlen (start));
}

static double
field_double (const char *result,
              const char *name)
{
  g_autofree char *value = field (result, name);

  return value != NULL ? g_ascii_strtod (value, NULL) : 0;
}

static void
measure_hangar (Bench      *bench,
                const char *renderer,
                Result     *result)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *seconds = g_strdup_printf ("%d", opt_seconds);
  const char *result_line;
  guint64 frames_start = 0;
  gint64 start_us = 0;
  int fd;

  result->label = g_strdup_printf ("hangar %s", renderer);
  g_subprocess_launcher_setenv (launcher, "GSK_RENDERER", renderer, TRUE);
  g_subprocess_launcher_setenv (launcher, "GDK_BACKEND", "x11", TRUE);
  g_subprocess_launcher_setenv (launcher, "GTK_A11Y", "none", TRUE);
  g_subprocess_launcher_setenv (launcher, "NO_AT_BRIDGE", "1", TRUE);
  child = g_subprocess_launcher_spawn (launcher, &error, self_path, "--client", "--socket", bench->vnc_socket,
                                       "--seconds", seconds,
                                       opt_scale_to != NULL ? "--scale-to" : NULL, opt_scale_to, NULL);
  if (child == NULL)
    bench_fail ("cannot run the client: %s", error->message);
  fd = g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (g_subprocess_get_stdout_pipe (child)));

  pump (bench, (CONNECT_TIMEOUT_S + WARMUP_S) * 1000, fd, out, "START\n");
  if (strstr (out->str, "START\n") != NULL)
    {
      GPid pid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (child), NULL, 10);

      result->window = describe_window (bench->damage, pid);
      begin_counting (bench);
      frames_start = bench->guest_frames;
      start_us = g_get_monotonic_time ();
      pump (bench, (opt_seconds + 30) * 1000, fd, out, "END\n");
      end_counting (bench, result);
      result->guest_frames = (double) (bench->guest_frames - frames_start);
      result->seconds = (g_get_monotonic_time () - start_us) / (double) G_USEC_PER_SEC;
    }
  pump (bench, 10 * 1000, fd, out, "\nRESULT");
  pump (bench, 500, fd, out, NULL);
  if (!g_subprocess_wait (child, NULL, &error))
    bench_fail ("waiting for the client: %s", error->message);

  result_line = strstr (out->str, "RESULT ");
  if (result_line == NULL || strstr (result_line, "error=") != NULL || start_us == 0)
    {
      result->ok = FALSE;
      result->note = g_strdup (result_line != NULL ? g_strstrip (g_strdup (result_line)) : "the client said nothing");
      return;
    }
  result->ok = TRUE;
  result->seconds = field_double (result_line, "wall_ms") / 1000.0;
  result->cpu_ms = field_double (result_line, "cpu_ms");
  result->frames = field_double (result_line, "frames");
  result->updates = field_double (result_line, "updates");
  result->tiles = field_double (result_line, "tiles");
  result->full = field_double (result_line, "full");
  {
    g_autofree char *type = field (result_line, "renderer");
    g_autofree char *gl = field (result_line, "gl");

    result->note = g_strdup_printf ("%s%s%s", type ? type : "?",
                                    gl != NULL && !g_str_equal (gl, "-") ? ", GL_RENDERER " : "",
                                    gl != NULL && !g_str_equal (gl, "-") ? g_strdelimit (gl, "_", ' ') : "");
  }
}

typedef struct {
  const char *name;        /* as printed */
  char       *program;
  const char *address;     /* its argument */
} Viewer;

static gboolean
find_viewer (Viewer *viewer)
{
  if ((viewer->program = g_find_program_in_path ("remote-viewer")) != NULL)
    {
      viewer->name = "remote-viewer";
      viewer->address = "vnc://127.0.0.1:5900";
      return TRUE;
    }
  if ((viewer->program = g_find_program_in_path ("gvncviewer")) != NULL)
    {
      viewer->name = "gvncviewer";
      viewer->address = "127.0.0.1:0";
      return TRUE;
    }
  return FALSE;
}

static gboolean
viewer_connected (Bench *bench)
{
  /* The viewer's TCP connection, seen from QEMU's namespace. */
  g_autofree char *ns = g_strdup_printf ("/proc/%d/ns/net", (int) bench->qemu_pid);
  g_autofree char *nsenter = g_find_program_in_path ("nsenter");
  g_autofree char *ss = g_find_program_in_path ("ss");
  g_autofree char *out = NULL;
  g_autofree char *net = g_strdup_printf ("--net=%s", ns);
  const char *argv[] = { nsenter, net, ss, "-Htn", "state", "established", "sport", "=", ":5900", NULL };

  if (nsenter == NULL || ss == NULL)
    return TRUE;   /* cannot tell: trust it */
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, NULL, NULL))
    return TRUE;
  return bench_count_lines (out) > 0;
}

static void
measure_viewer (Bench        *bench,
                const Viewer *viewer,
                Result       *result)
{
  g_autofree char *nsenter = g_find_program_in_path ("nsenter");
  g_autofree char *net = g_strdup_printf ("--net=/proc/%d/ns/net", (int) bench->qemu_pid);
  g_autofree char *log_path = g_build_filename (bench->tmpdir, "viewer.log", NULL);
  const char *argv[] = { nsenter, net, viewer->program, viewer->address, NULL };
  g_autoptr(GError) error = NULL;
  guint64 frames_start;
  gint64 start_us;
  double cpu_start, cpu_end;
  int log_fd;

  result->label = g_strdup (viewer->name);
  log_fd = open (log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (!g_spawn_async_with_pipes_and_fds (NULL, argv, NULL,
                                         G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                                         NULL, NULL, -1, log_fd, log_fd, NULL, NULL, 0,
                                         &bench->viewer_pid, NULL, NULL, NULL, &error))
    {
      close (log_fd);
      result->note = g_strdup_printf ("cannot run %s: %s", viewer->name, error->message);
      return;
    }
  close (log_fd);

  /* nsenter execs the viewer: same process. Connecting, first frames;
   * then its window where all of the guest's screen shows, and a warm-up. */
  pump (bench, 5 * 1000, -1, NULL, NULL);
  fit_window (bench->damage, bench->viewer_pid);
  pump (bench, WARMUP_S * 1000, -1, NULL, NULL);
  if (waitpid (bench->viewer_pid, NULL, WNOHANG) == bench->viewer_pid || !viewer_connected (bench))
    {
      g_autofree char *log = bench_file_tail (log_path, 1000);

      result->note = g_strdup_printf ("%s did not connect: %s", viewer->name, log);
      bench_stop_child (bench->viewer_pid, SIGKILL);
      bench->viewer_pid = 0;
      return;
    }

  result->window = describe_window (bench->damage, bench->viewer_pid);
  begin_counting (bench);
  cpu_start = cpu_ms_of (bench->viewer_pid);
  frames_start = bench->guest_frames;
  start_us = g_get_monotonic_time ();
  pump (bench, opt_seconds * 1000, -1, NULL, NULL);
  cpu_end = cpu_ms_of (bench->viewer_pid);
  end_counting (bench, result);
  result->seconds = (g_get_monotonic_time () - start_us) / (double) G_USEC_PER_SEC;
  result->guest_frames = (double) (bench->guest_frames - frames_start);
  result->cpu_ms = cpu_end - cpu_start;
  result->frames = -1;
  result->ok = cpu_start >= 0 && cpu_end >= 0;
  if (!result->ok)
    result->note = g_strdup ("its CPU time could not be read");
  bench_stop_child (bench->viewer_pid, SIGTERM);
  bench->viewer_pid = 0;
}

static double
per_guest_frame (const Result *result)
{
  return result->guest_frames > 0 ? result->cpu_ms / result->guest_frames : 0;
}

static double
drawn_fps (const Result *result)
{
  return result->drawn_known ? result->drawn / result->drawn_seconds : 0;
}

/* CPU per second over frames per second: each over its own span (the
 * client's or the viewer's measured time, and the damage marks), which
 * differ by the few milliseconds a pipe and a round trip take. */
static double
per_drawn_frame (const Result *result)
{
  return bench_ratio (result->cpu_ms / result->seconds, drawn_fps (result));
}

/* The X server's CPU time per second while the client drew: what its
 * drawing costs there (image uploads, compositing, copies). */
static double
x_server_ms_per_s (const Result *result)
{
  double seconds = result->drawn_known ? result->drawn_seconds : result->seconds;

  return result->x_cpu_ms >= 0 && seconds > 0 ? result->x_cpu_ms / seconds : -1;
}

/* What showing the guest costs the whole machine, per second: the client,
 * the X server, and QEMU's VNC encoder (whose work depends on the
 * encoding the client chose). */
static double
encoder_ms_per_s (const Result *result)
{
  double seconds = result->drawn_known ? result->drawn_seconds : result->seconds;

  return result->encoder_cpu_ms >= 0 && seconds > 0 ? result->encoder_cpu_ms / seconds : -1;
}

static double
system_ms_per_s (const Result *result)
{
  return result->cpu_ms / result->seconds + x_server_ms_per_s (result) + encoder_ms_per_s (result);
}

/* The client's and the X server's CPU per drawn frame. */
static double
per_drawn_frame_with_x (const Result *result)
{
  return x_server_ms_per_s (result) >= 0
         ? bench_ratio (result->cpu_ms / result->seconds + x_server_ms_per_s (result), drawn_fps (result))
         : 0;
}

static void
print_result (const Result *result)
{
  if (!result->ok)
    {
      g_print ("    %-14s not measured: %s\n", result->label, result->note ? result->note : "?");
      return;
    }
  g_print ("    %-14s guest %5.1f fps", result->label, result->guest_frames / result->seconds);
  if (result->drawn_known)
    g_print ("  drawn %5.1f fps", drawn_fps (result));
  /* The widget counts its snapshots, the X server what reached the window.
   * With GL they agree (to a frame at either end of the measured time):
   * Mesa's software GLX puts the whole window on every swap, changed or not
   * (2.07 Mpx a frame even for small changes). With cairo, GSK draws only
   * what its render-node diff finds changed, and nothing when it finds
   * nothing: a snapshot whose nodes equal the frame before's costs a
   * snapshot and no draw. This count found a bug: the widget's damage marks
   * once had the same colour every frame, GSK's diff of two colour nodes of
   * the same colour and bounds is empty, and a full-screen change after
   * another was not drawn (tests/test-display-tiles.c now checks it). The
   * drawn count is what the user sees. */
  if (result->frames >= 0)
    g_print (" (it counts %5.1f)", result->frames / result->seconds);
  else if (result->drawn_known)
    g_print ("%17s", "");
  g_print ("  CPU %6.1f ms/s", result->cpu_ms / result->seconds);
  if (result->drawn_known && result->drawn > 0)
    g_print ("  %6.2f ms/drawn frame", per_drawn_frame (result));
  g_print ("  %6.2f ms/guest frame\n", per_guest_frame (result));

  g_print ("    %-14s", "");
  if (result->drawn_known && result->drawn > 0)
    g_print (" drawn %.2f Mpx/frame in %s,", result->drawn_area / result->drawn / 1e6, result->drawn_box);
  else if (result->drawn_known)
    g_print (" nothing drawn,");
  g_print (" window %s", result->window != NULL ? result->window : "not found");
  if (x_server_ms_per_s (result) >= 0)
    g_print ("; X server CPU %.1f ms/s", x_server_ms_per_s (result));
  if (encoder_ms_per_s (result) >= 0)
    g_print ("; QEMU VNC encoder CPU %.1f ms/s", encoder_ms_per_s (result));
  if (result->frames > 0)
    g_print ("; updates %.1f/s, textures/frame %.1f tiles, %.2f full",
             result->updates / result->seconds, result->tiles / result->frames, result->full / result->frames);
  g_print ("\n");
}

/* How much the guest is scaled to fit the view area (1: 1:1); both
 * clients keep its aspect ratio. */
static double
view_scale (void)
{
  return MIN ((double) view_width / GUEST_WIDTH, (double) view_height / GUEST_HEIGHT);
}

/* Whole guest frames shown per second: bursts of damage, but a burst that
 * draws only part of a guest frame's change counts for that part. A viewer
 * that draws a full-screen frame in four bursts as its parts arrive shows
 * one frame, not four; one that redraws more than what changed (a margin,
 * the rectangle the frame before changed) shows still one frame a burst. */
static double
frames_shown_per_s (const Result *result,
                    double        frame_area)
{
  double bursts = drawn_fps (result);
  double by_area;

  /* Scaled, a frame's change covers that much less of the window. */
  frame_area *= view_scale () * view_scale ();
  by_area = result->drawn_known ? result->drawn_area / frame_area / result->drawn_seconds : 0;

  return MIN (bursts, by_area);
}

/* The issue's targets, hangar with each renderer against the viewer: frame
 * rate as whole frames shown per second, CPU per frame shown. */
static void
print_ratios (const Result *results,
              guint         n_hangar,
              const Result *viewer,
              double        frame_area)
{
  for (guint i = 0; i < n_hangar; i++)
    {
      const Result *ours = &results[i];

      if (!ours->ok)
        continue;
      if (ours->drawn_known && viewer->drawn_known)
        {
          double ours_fps = frames_shown_per_s (ours, frame_area);
          double viewer_fps = frames_shown_per_s (viewer, frame_area);

          g_print ("    whole frames shown: %s %.1f/s, %s %.1f/s\n", ours->label, ours_fps,
                   viewer->label, viewer_fps);
          g_print ("    frame rate %s / %s: %.2f (target >= 2)\n", ours->label, viewer->label,
                   bench_ratio (ours_fps, viewer_fps));
          g_print ("    CPU per frame shown %s / %s: %.2f (target <= 1)\n", ours->label, viewer->label,
                   bench_ratio (bench_ratio (ours->cpu_ms / ours->seconds, ours_fps),
                                bench_ratio (viewer->cpu_ms / viewer->seconds, viewer_fps)));
          if (x_server_ms_per_s (ours) >= 0 && x_server_ms_per_s (viewer) >= 0 &&
              ours->encoder_cpu_ms >= 0 && viewer->encoder_cpu_ms >= 0)
            g_print ("    CPU per frame shown, with the X server's and QEMU's VNC encoder's, %s / %s: %.2f\n",
                     ours->label, viewer->label,
                     bench_ratio (bench_ratio (system_ms_per_s (ours), ours_fps),
                                  bench_ratio (system_ms_per_s (viewer), viewer_fps)));
          g_print ("    bursts drawn per second %s / %s: %.2f; CPU per burst: %.2f\n", ours->label, viewer->label,
                   bench_ratio (drawn_fps (ours), drawn_fps (viewer)),
                   bench_ratio (per_drawn_frame (ours), per_drawn_frame (viewer)));
          /* Partial frames count as frames: this is how much of the screen each draws. */
          if (x_server_ms_per_s (ours) >= 0 && x_server_ms_per_s (viewer) >= 0)
            g_print ("    CPU per drawn frame with the X server's %s / %s: %.2f\n", ours->label, viewer->label,
                     bench_ratio (per_drawn_frame_with_x (ours), per_drawn_frame_with_x (viewer)));
          g_print ("    pixels drawn per second %s / %s: %.2f\n", ours->label, viewer->label,
                   bench_ratio (ours->drawn_area / ours->drawn_seconds, viewer->drawn_area / viewer->drawn_seconds));
        }
      g_print ("    CPU per guest frame %s / %s: %.2f\n", ours->label, viewer->label,
               bench_ratio (per_guest_frame (ours), per_guest_frame (viewer)));
    }
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- HangarDisplay against remote-viewer on a busy 1080p guest");
  g_autoptr(GError) error = NULL;
  Bench bench = { .serial_fd = -1 };
  Viewer viewer = { 0 };
  gboolean have_viewer;
  const char *renderers[] = { "gl", "cairo" };

  g_set_prgname ("display-bench");
  {
    g_autofree char *cwd = g_get_current_dir ();

    self_path = g_canonicalize_filename (argv[0], cwd);
  }
  g_option_context_add_main_entries (context, options, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      return 2;
    }
  if (opt_seconds < 1)
    opt_seconds = 1;
  if (opt_scale_to != NULL &&
      (sscanf (opt_scale_to, "%dx%d", &view_width, &view_height) != 2 ||
       view_width < 64 || view_height < 64 || view_width > GUEST_WIDTH || view_height > GUEST_HEIGHT))
    {
      g_printerr ("%s: --scale-to wants WIDTHxHEIGHT, from 64x64 to %dx%d\n", g_get_prgname (),
                  GUEST_WIDTH, GUEST_HEIGHT);
      return 2;
    }
  if (opt_client)
    return run_client ();

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_printerr ("%s: no display: run it under xvfb-run -a -s '-screen 0 1920x1200x24' (meson test --benchmark does)\n",
                  g_get_prgname ());
      return 77;
    }
  if (!bench_find_inputs (TRUE))
    return 1;

  bench.serial = g_string_new (NULL);
  bench.line = g_string_new (NULL);
  bench.tmpdir = bench_make_tmpdir ();
  bench_set_cleanup (bench_cleanup, &bench);

  {
    g_autofree char *why = NULL;

    bench.damage = damage_counter_open (&why);
    if (bench.damage == NULL)
      g_print ("%s: drawn frames are not counted: %s\n", g_get_prgname (), why);
    bench.x_server_pid = find_x_server ();
  }

  start_guest (&bench);
  prepare_guest (&bench);

  have_viewer = !opt_no_viewer && bench.namespaced && find_viewer (&viewer);
  g_print ("%s: guest %dx%dx32 (std VGA, VESA framebuffer), QEMU TCG; clients under X display %s; "
           "%d s measured per client after %d s warm-up\n",
           g_get_prgname (), GUEST_WIDTH, GUEST_HEIGHT, g_getenv ("DISPLAY"), opt_seconds, WARMUP_S);
  if (view_width == GUEST_WIDTH && view_height == GUEST_HEIGHT)
    g_print ("%s: the guest is shown at 1:1 by every client\n", g_get_prgname ());
  else
    g_print ("%s: the guest is shown scaled to fit %dx%d (x%.3f) by every client\n",
             g_get_prgname (), view_width, view_height, view_scale ());
  g_print ("%s: Xvfb has no GPU: GSK_RENDERER=gl renders with Mesa in software (llvmpipe), see GL_RENDERER below\n",
           g_get_prgname ());
  if (bench.damage != NULL)
    g_print ("%s: drawn frames counted from X DAMAGE on the root window: bursts of damage more than %d ms apart; "
             "screen %dx%d\n", g_get_prgname (), FRAME_GAP_MS, bench.damage->screen_width, bench.damage->screen_height);
  if (bench.x_server_pid > 0)
    g_print ("%s: the X server's CPU time is read from /proc/%d (not counted in any client's CPU)\n",
             g_get_prgname (), (int) bench.x_server_pid);
  else
    g_print ("%s: the X server's CPU time is not known: no Xvfb, Xorg or X process for display %s here\n",
             g_get_prgname (), g_getenv ("DISPLAY"));
  if (opt_no_viewer)
    g_print ("%s: comparison left out (--no-viewer)\n", g_get_prgname ());
  else if (!bench.namespaced)
    g_print ("%s: comparison skipped: the viewer needs QEMU in a network namespace of its own "
             "(root, unshare, nsenter and ip), so no TCP port is opened on this host\n", g_get_prgname ());
  else if (!have_viewer)
    g_print ("%s: comparison skipped: neither remote-viewer (package virt-viewer) nor gvncviewer "
             "(package gvncviewer) is installed\n", g_get_prgname ());

  for (guint w = 0; w < G_N_ELEMENTS (workloads); w++)
    {
      Result results[G_N_ELEMENTS (renderers) + 1] = { { 0 } };
      guint n = 0;

      g_print ("  %s\n", workloads[w].title);
      start_workload (&bench, &workloads[w]);

      /* What the guest manages with nobody watching. */
      {
        guint64 frames_start = bench.guest_frames;
        gint64 start_us = g_get_monotonic_time ();

        pump (&bench, opt_seconds * 1000, -1, NULL, NULL);
        g_print ("    %-14s guest %5.1f fps\n", "no client",
                 (bench.guest_frames - frames_start) / ((g_get_monotonic_time () - start_us) / (double) G_USEC_PER_SEC));
      }
      for (guint r = 0; r < G_N_ELEMENTS (renderers); r++)
        {
          measure_hangar (&bench, renderers[r], &results[n]);
          print_result (&results[n]);
          n++;
        }
      if (have_viewer)
        {
          measure_viewer (&bench, &viewer, &results[n]);
          print_result (&results[n]);
          n++;
        }
      stop_workload (&bench);

      for (guint i = 0; i < n; i++)
        if (results[i].ok && results[i].note != NULL && g_str_has_prefix (results[i].label, "hangar"))
          g_print ("    %s rendered with %s\n", results[i].label, results[i].note);
      if (have_viewer && results[n - 1].ok)
        print_ratios (results, n - 1, &results[n - 1], workloads[w].frame_area);
      for (guint i = 0; i < n; i++)
        result_clear (&results[i]);
    }

  g_free (viewer.program);
  g_free (self_path);
  bench_set_cleanup (NULL, NULL);
  bench_cleanup (&bench);
  return 0;
}
