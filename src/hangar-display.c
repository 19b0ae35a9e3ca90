/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-display"

#include "hangar-display.h"
#include "hangar-display-private.h"
#include "hangar-display-tiles.h"
#include "hangar-framebuffer.h"
#include "hangar-keymap.h"

#include <glib/gi18n.h>
#include <gvnc.h>
#include <linux/input-event-codes.h>
#include <math.h>
#include <unistd.h>

/* Without any answer for this long, ask again: some servers answer an
 * incremental request with nothing when nothing changed, and a hidden
 * widget does not ask again after each answer. */
#define REQUEST_AGAIN_MS      1000
/* While the guest keeps changing, a request goes out on every frame clock
 * tick, until no update came for this long: shorter than a text cursor's
 * blink (266 ms with VGA), so that an idle console does not start it. */
#define STREAMING_IDLE_MS     200
/* Guest resizes follow the allocation once it rests this long. */
#define RESIZE_GUEST_DELAY_MS 250

/* Pointer buttons in RFB's button mask. */
#define MASK_LEFT        (1 << 0)
#define MASK_MIDDLE      (1 << 1)
#define MASK_RIGHT       (1 << 2)
#define MASK_WHEEL_UP    (1 << 3)
#define MASK_WHEEL_DOWN  (1 << 4)
#define MASK_WHEEL_LEFT  (1 << 5)
#define MASK_WHEEL_RIGHT (1 << 6)
/* Relative motion in QEMU's pointer-type-change protocol: 0x7FFF + delta. */
#define RELATIVE_ORIGIN  0x7fff

#define QNUM_LEFTCTRL    0x1d
#define QNUM_RIGHTCTRL   (0x80 | 0x1d)
#define QNUM_LEFTALT     0x38
#define QNUM_RIGHTALT    (0x80 | 0x38)

struct _HangarDisplay
{
  GtkWidget             parent_instance;

  /* The connection */
  VncConnection        *conn;
  gboolean              conn_started;    /* gvnc owns the socket (vnc-connected seen) */
  gboolean              connected;       /* initialized, framebuffer set up */
  char                 *error;
  HangarDisplayTiles   *tiles;           /* the guest image; kept across connections */
  VncFramebuffer       *fb;
  guint                 request_idle_id;
  guint                 request_again_id;
  gint64                last_request_us;
  guint                 streaming_tick_id;
  gint64                last_update_us;

  /* Drawing */
  HangarDisplayScaling  scaling;
  gboolean              upscale;
  gboolean              resize_guest;
  guint                 resize_guest_id;
  int                   requested_width;
  int                   requested_height;

  /* Keyboard */
  gboolean              grabbed;
  GtkWindow            *grab_window;
  GtkEventController   *grab_controller;
  gulong                grab_active_handler;
  guint8                pressed[256 / 8];   /* qnums sent down, not yet up */
  guint32               pressed_keyval[256];

  /* Pointer */
  gboolean              absolute;
  guint8                button_mask;
  int                   last_x;             /* guest coordinates of the last event */
  int                   last_y;
  gboolean              have_last;
  double                scroll_dx;
  double                scroll_dy;
  gboolean              guest_cursor_set;   /* the server sent a cursor (maybe none) */
  GdkCursor            *guest_cursor;       /* NULL with guest_cursor_set: hide it */

  /* Statistics */
  guint64               update_count;
  guint64               request_count;
  guint64               frame_count;
  guint64               tiles_built_before; /* by tiles replaced since open_fd */
  guint64               frames_built_before;
  guint64               tiles_built_at_open;
  guint64               frames_built_at_open;
};

G_DEFINE_FINAL_TYPE (HangarDisplay, hangar_display, GTK_TYPE_WIDGET)

G_DEFINE_ENUM_TYPE (HangarDisplayScaling, hangar_display_scaling,
                    G_DEFINE_ENUM_VALUE (HANGAR_DISPLAY_SCALE_FIT, "fit"),
                    G_DEFINE_ENUM_VALUE (HANGAR_DISPLAY_SCALE_NONE, "none"))

enum {
  PROP_0,
  PROP_CONNECTED,
  PROP_GUEST_WIDTH,
  PROP_GUEST_HEIGHT,
  PROP_SCALING,
  PROP_UPSCALE,
  PROP_GRABBED,
  PROP_RESIZE_GUEST,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_CONNECTED,
  SIGNAL_DISCONNECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void schedule_resize_guest (HangarDisplay *self);

/* ---- Geometry ------------------------------------------------------------- */

static int
guest_width (HangarDisplay *self)
{
  return self->tiles ? hangar_display_tiles_get_width (self->tiles) : 0;
}

static int
guest_height (HangarDisplay *self)
{
  return self->tiles ? hangar_display_tiles_get_height (self->tiles) : 0;
}

/* Where the guest image goes in the widget: whole pixels, centred. */
static gboolean
get_image_rect (HangarDisplay *self,
                int           *x,
                int           *y,
                int           *width,
                int           *height,
                double        *scale)
{
  int widget_width = gtk_widget_get_width (GTK_WIDGET (self));
  int widget_height = gtk_widget_get_height (GTK_WIDGET (self));
  int gw = guest_width (self), gh = guest_height (self);
  double s = 1.0;

  if (gw <= 0 || gh <= 0)
    return FALSE;

  if (self->scaling == HANGAR_DISPLAY_SCALE_FIT && widget_width > 0 && widget_height > 0)
    {
      s = MIN ((double) widget_width / gw, (double) widget_height / gh);
      if (!self->upscale)
        s = MIN (s, 1.0);
    }

  *width = MAX (1, (int) round (gw * s));
  *height = MAX (1, (int) round (gh * s));
  *x = MAX (0, (widget_width - *width) / 2);
  *y = MAX (0, (widget_height - *height) / 2);
  *scale = s;
  return TRUE;
}

gboolean
hangar_display_get_image_rect (HangarDisplay *self,
                               int           *x,
                               int           *y,
                               int           *width,
                               int           *height)
{
  double scale;

  g_return_val_if_fail (HANGAR_IS_DISPLAY (self), FALSE);
  return get_image_rect (self, x, y, width, height, &scale);
}

gboolean
hangar_display_widget_to_guest (HangarDisplay *self,
                                double         x,
                                double         y,
                                int           *guest_x,
                                int           *guest_y)
{
  int rx, ry, rw, rh;
  double scale;

  g_return_val_if_fail (HANGAR_IS_DISPLAY (self), FALSE);

  if (!get_image_rect (self, &rx, &ry, &rw, &rh, &scale))
    return FALSE;

  /* The guest pixel drawn at the centre of the widget pixel under the
   * pointer (X11 gives whole pixels: their top left corners). Scaled
   * down, the last widget pixel then reaches the guest's last column and
   * row, as the picture shows them there. */
  *guest_x = CLAMP ((int) floor ((floor (x) + 0.5 - rx) * guest_width (self) / rw), 0, guest_width (self) - 1);
  *guest_y = CLAMP ((int) floor ((floor (y) + 0.5 - ry) * guest_height (self) / rh), 0, guest_height (self) - 1);
  return TRUE;
}

/* ---- Cursor --------------------------------------------------------------- */

static void
update_cursor (HangarDisplay *self)
{
  if (self->conn == NULL || !self->connected)
    gtk_widget_set_cursor (GTK_WIDGET (self), NULL);
  else if (!self->absolute)
    /* Relative: the guest draws its own pointer, ours would lag behind. */
    gtk_widget_set_cursor_from_name (GTK_WIDGET (self), self->grabbed ? "none" : NULL);
  else if (self->guest_cursor_set && self->guest_cursor == NULL)
    gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "none");
  else
    gtk_widget_set_cursor (GTK_WIDGET (self), self->guest_cursor);
}

static GdkCursor *
cursor_from_vnc (VncCursor *cursor)
{
  int width = vnc_cursor_get_width (cursor);
  int height = vnc_cursor_get_height (cursor);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GdkTexture) texture = NULL;

  if (width <= 0 || height <= 0)
    return NULL;

  /* gvnc gives host-order 0xAARRGGBB words, alpha not premultiplied. */
  bytes = g_bytes_new (vnc_cursor_get_data (cursor), (gsize) width * height * 4);
  texture = gdk_memory_texture_new (width, height,
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
                                    GDK_MEMORY_B8G8R8A8,
#else
                                    GDK_MEMORY_A8R8G8B8,
#endif
                                    bytes, (gsize) width * 4);
  return gdk_cursor_new_from_texture (texture,
                                      vnc_cursor_get_hotx (cursor),
                                      vnc_cursor_get_hoty (cursor),
                                      NULL);
}

/* ---- Update requests ------------------------------------------------------ */

static void
request_update (HangarDisplay *self,
                gboolean       incremental)
{
  if (self->conn == NULL || !self->connected || self->tiles == NULL)
    return;

  vnc_connection_framebuffer_update_request (self->conn, incremental, 0, 0,
                                             guest_width (self), guest_height (self));
  self->last_request_us = g_get_monotonic_time ();
  self->request_count++;
}

/* The next request goes out as soon as an answer was read: gvnc reads an
 * answer's rectangles one after the other, and this idle runs once the
 * socket has no more for now, before GTK draws them (its redraw priority
 * is lower). QEMU then prepares the next update while we draw this one,
 * as gtk-vnc does, instead of waiting for our drawing and then for its
 * next refresh tick. It never piles up work for a slow client: it keeps
 * one pending request per client, answered at its refresh tick (30 ms)
 * when something changed, and sends nothing while its output to us is
 * not drained; those pauses are when GTK draws, on the frame clock, which
 * merges the updates of one frame. Hidden, the widget draws nothing: the
 * REQUEST_AGAIN_MS timer alone keeps it roughly current. */
static gboolean
on_request_idle (gpointer user_data)
{
  HangarDisplay *self = HANGAR_DISPLAY (user_data);

  self->request_idle_id = 0;
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    request_update (self, TRUE);
  return G_SOURCE_REMOVE;
}

/* QEMU answers a pending request at its display refresh (every 30 ms), and
 * each refresh that finds the guest changed but no request pending makes
 * it wait 50 ms longer before the next. An answer's rectangles arrive
 * after QEMU's next refresh when they are large (a whole-screen change is
 * one 8 MB rectangle in raw encoding, and we are drawing the one before),
 * so asking only after each answer lets QEMU back off to one frame in
 * 80 ms or worse. A request on every frame clock tick, while the guest
 * keeps changing, keeps one pending at each refresh, as QEMU's own
 * throttling expects: it sends nothing while one update is still being
 * encoded or a whole screen's worth is waiting for us in its buffer. */
static gboolean
on_streaming_tick (GtkWidget     *widget,
                   GdkFrameClock *frame_clock,
                   gpointer       user_data)
{
  HangarDisplay *self = HANGAR_DISPLAY (widget);

  if (!self->connected || !gtk_widget_get_mapped (widget) ||
      g_get_monotonic_time () - self->last_update_us > STREAMING_IDLE_MS * 1000)
    {
      self->streaming_tick_id = 0;
      return G_SOURCE_REMOVE;
    }
  request_update (self, TRUE);
  return G_SOURCE_CONTINUE;
}

static void
stop_streaming (HangarDisplay *self)
{
  if (self->streaming_tick_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->streaming_tick_id);
  self->streaming_tick_id = 0;
}

/* Streaming starts with the second update in STREAMING_IDLE_MS: a lone
 * change, or a cursor blinking, keeps the frame clock idle. */
static void
note_update (HangarDisplay *self)
{
  gint64 now = g_get_monotonic_time ();
  gboolean busy = now - self->last_update_us <= STREAMING_IDLE_MS * 1000;

  self->last_update_us = now;
  if (busy && self->streaming_tick_id == 0 && gtk_widget_get_mapped (GTK_WIDGET (self)))
    self->streaming_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), on_streaming_tick,
                                                            NULL, NULL);
}

static gboolean
on_request_again (gpointer user_data)
{
  HangarDisplay *self = HANGAR_DISPLAY (user_data);

  if (g_get_monotonic_time () - self->last_request_us >= REQUEST_AGAIN_MS * 1000)
    request_update (self, TRUE);
  return G_SOURCE_CONTINUE;
}

static void
stop_updates (HangarDisplay *self)
{
  g_clear_handle_id (&self->request_idle_id, g_source_remove);
  g_clear_handle_id (&self->request_again_id, g_source_remove);
  g_clear_handle_id (&self->resize_guest_id, g_source_remove);
  stop_streaming (self);
}

/* ---- Keyboard ------------------------------------------------------------- */

static gboolean
is_pressed (HangarDisplay *self,
            guint16        qnum)
{
  return qnum < 256 && (self->pressed[qnum / 8] & (1 << (qnum % 8))) != 0;
}

static void
set_pressed (HangarDisplay *self,
             guint16        qnum,
             gboolean       pressed,
             guint          keyval)
{
  if (qnum >= 256)
    return;
  if (pressed)
    {
      self->pressed[qnum / 8] |= 1 << (qnum % 8);
      self->pressed_keyval[qnum] = keyval;
    }
  else
    self->pressed[qnum / 8] &= ~(1 << (qnum % 8));
}

/* Lets go of every key the guest holds down for us: leaving the widget
 * with a key down would leave it stuck in the guest. */
static void
release_all_keys (HangarDisplay *self)
{
  for (guint qnum = 0; qnum < 256; qnum++)
    if (is_pressed (self, qnum))
      {
        set_pressed (self, qnum, FALSE, 0);
        if (self->conn != NULL && self->connected)
          vnc_connection_key_event (self->conn, FALSE, self->pressed_keyval[qnum], qnum);
      }
}

static gboolean
completes_release_chord (HangarDisplay *self,
                         guint16        qnum)
{
  gboolean ctrl = is_pressed (self, QNUM_LEFTCTRL) || is_pressed (self, QNUM_RIGHTCTRL);
  gboolean alt = is_pressed (self, QNUM_LEFTALT) || is_pressed (self, QNUM_RIGHTALT);

  switch (qnum)
    {
    case QNUM_LEFTCTRL:
    case QNUM_RIGHTCTRL:
      return alt;
    case QNUM_LEFTALT:
    case QNUM_RIGHTALT:
      return ctrl;
    default:
      return FALSE;
    }
}

gboolean
hangar_display_process_key (HangarDisplay *self,
                            guint          keycode,
                            guint          keyval,
                            gboolean       pressed)
{
  guint16 qnum;

  g_return_val_if_fail (HANGAR_IS_DISPLAY (self), FALSE);

  if (self->conn == NULL || !self->connected)
    return FALSE;

  qnum = hangar_keymap_keycode_to_qnum (keycode);

  if (pressed && self->grabbed && completes_release_chord (self, qnum))
    {
      hangar_display_release_keyboard (self);
      return TRUE;
    }

  if (!pressed && qnum != 0 && !is_pressed (self, qnum))
    /* Its press went elsewhere (or released the grab): nothing to undo. */
    return TRUE;

  if (qnum == 0 && vnc_connection_get_ext_key_event (self->conn))
    {
      g_debug ("no scancode for key code %u", keycode);
      return self->grabbed;
    }

  set_pressed (self, qnum, pressed, keyval);
  vnc_connection_key_event (self->conn, pressed, keyval, qnum);
  return TRUE;
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                gpointer               user_data)
{
  return hangar_display_process_key (HANGAR_DISPLAY (user_data), keycode, keyval, TRUE);
}

static void
on_key_released (GtkEventControllerKey *controller,
                 guint                  keyval,
                 guint                  keycode,
                 GdkModifierType        state,
                 gpointer               user_data)
{
  hangar_display_process_key (HANGAR_DISPLAY (user_data), keycode, keyval, FALSE);
}

static void
on_focus_leave (GtkEventControllerFocus *controller,
                gpointer                 user_data)
{
  HangarDisplay *self = HANGAR_DISPLAY (user_data);

  release_all_keys (self);
  hangar_display_release_keyboard (self);
}

static void
on_window_active (GtkWindow  *window,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  if (!gtk_window_is_active (window))
    hangar_display_release_keyboard (HANGAR_DISPLAY (user_data));
}

static GdkToplevel *
get_toplevel (HangarDisplay *self)
{
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));
  GdkSurface *surface = native ? gtk_native_get_surface (native) : NULL;

  return GDK_IS_TOPLEVEL (surface) ? GDK_TOPLEVEL (surface) : NULL;
}

void
hangar_display_grab_keyboard (HangarDisplay *self)
{
  GtkRoot *root;
  GdkToplevel *toplevel;

  g_return_if_fail (HANGAR_IS_DISPLAY (self));

  root = gtk_widget_get_root (GTK_WIDGET (self));
  if (self->grabbed || self->conn == NULL || !self->connected || !GTK_IS_WINDOW (root))
    return;

  gtk_widget_grab_focus (GTK_WIDGET (self));

  /* A key controller on the window, in the capture phase and added after
   * the window's own: every key reaches us before the application's
   * accelerators and the window's shortcuts. */
  self->grab_window = GTK_WINDOW (root);
  g_object_add_weak_pointer (G_OBJECT (self->grab_window), (gpointer *) &self->grab_window);
  self->grab_controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_static_name (self->grab_controller, "hangar-display-grab");
  gtk_event_controller_set_propagation_phase (self->grab_controller, GTK_PHASE_CAPTURE);
  g_signal_connect_object (self->grab_controller, "key-pressed", G_CALLBACK (on_key_pressed), self, 0);
  g_signal_connect_object (self->grab_controller, "key-released", G_CALLBACK (on_key_released), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self->grab_window), self->grab_controller);
  self->grab_active_handler = g_signal_connect_object (self->grab_window, "notify::is-active",
                                                       G_CALLBACK (on_window_active), self, 0);

  /* And the desktop's own (Alt+Tab, Super...) go to the guest too. */
  toplevel = get_toplevel (self);
  if (toplevel != NULL)
    gdk_toplevel_inhibit_system_shortcuts (toplevel, NULL);

  self->grabbed = TRUE;
  update_cursor (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GRABBED]);
}

void
hangar_display_release_keyboard (HangarDisplay *self)
{
  GdkToplevel *toplevel;

  g_return_if_fail (HANGAR_IS_DISPLAY (self));

  if (!self->grabbed)
    return;

  release_all_keys (self);

  if (self->grab_window != NULL)
    {
      g_clear_signal_handler (&self->grab_active_handler, self->grab_window);
      gtk_widget_remove_controller (GTK_WIDGET (self->grab_window), self->grab_controller);
      g_object_remove_weak_pointer (G_OBJECT (self->grab_window), (gpointer *) &self->grab_window);
      self->grab_window = NULL;
    }
  self->grab_controller = NULL;
  self->grab_active_handler = 0;

  toplevel = get_toplevel (self);
  if (toplevel != NULL)
    gdk_toplevel_restore_system_shortcuts (toplevel);

  self->grabbed = FALSE;
  update_cursor (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GRABBED]);
}

gboolean
hangar_display_get_grabbed (HangarDisplay *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY (self), FALSE);
  return self->grabbed;
}

static guint
keyval_of_evdev (HangarDisplay *self,
                 guint          evdev_code)
{
  g_autofree guint *keyvals = NULL;
  int n_keyvals = 0;

  /* Only for servers without QEMU's extended key event, which get key
   * symbols: the host layout's first symbol of the key. */
  if (!gdk_display_map_keycode (gtk_widget_get_display (GTK_WIDGET (self)), evdev_code + 8,
                                NULL, &keyvals, &n_keyvals) || n_keyvals == 0)
    return 0;
  return keyvals[0];
}

void
hangar_display_send_keys (HangarDisplay *self,
                          const guint   *evdev_codes,
                          gsize          n_codes)
{
  g_return_if_fail (HANGAR_IS_DISPLAY (self));
  g_return_if_fail (evdev_codes != NULL || n_codes == 0);

  if (self->conn == NULL || !self->connected)
    return;

  for (gsize i = 0; i < n_codes; i++)
    vnc_connection_key_event (self->conn, TRUE, keyval_of_evdev (self, evdev_codes[i]),
                              hangar_keymap_evdev_to_qnum (evdev_codes[i]));
  for (gsize i = n_codes; i > 0; i--)
    vnc_connection_key_event (self->conn, FALSE, keyval_of_evdev (self, evdev_codes[i - 1]),
                              hangar_keymap_evdev_to_qnum (evdev_codes[i - 1]));
}

/* ---- Pointer -------------------------------------------------------------- */

static void
send_pointer (HangarDisplay *self,
              guint8         mask,
              int            guest_x,
              int            guest_y)
{
  if (self->absolute)
    vnc_connection_pointer_event (self->conn, mask, guest_x, guest_y);
  else
    {
      /* Relative (no tablet in the guest): deltas, and only while the
       * keyboard is grabbed, or the guest pointer would wander off while
       * passing over. GTK 4 cannot warp or confine the host pointer. */
      int dx = self->have_last ? guest_x - self->last_x : 0;
      int dy = self->have_last ? guest_y - self->last_y : 0;

      if (self->grabbed)
        vnc_connection_pointer_event (self->conn, mask, RELATIVE_ORIGIN + dx, RELATIVE_ORIGIN + dy);
    }
  self->last_x = guest_x;
  self->last_y = guest_y;
  self->have_last = TRUE;
}

void
hangar_display_process_pointer (HangarDisplay *self,
                                guint          button,
                                gboolean       pressed,
                                double         x,
                                double         y)
{
  int gx, gy;
  guint8 bit = 0;

  g_return_if_fail (HANGAR_IS_DISPLAY (self));

  if (self->conn == NULL || !self->connected ||
      !hangar_display_widget_to_guest (self, x, y, &gx, &gy))
    return;

  switch (button)
    {
    case GDK_BUTTON_PRIMARY:
      bit = MASK_LEFT;
      break;
    case GDK_BUTTON_MIDDLE:
      bit = MASK_MIDDLE;
      break;
    case GDK_BUTTON_SECONDARY:
      bit = MASK_RIGHT;
      break;
    default:
      break;
    }
  if (pressed)
    self->button_mask |= bit;
  else
    self->button_mask &= ~bit;

  send_pointer (self, self->button_mask, gx, gy);
}

static void
send_wheel (HangarDisplay *self,
            guint8         bit,
            int            clicks)
{
  for (int i = 0; i < clicks; i++)
    {
      send_pointer (self, self->button_mask | bit, self->last_x, self->last_y);
      send_pointer (self, self->button_mask, self->last_x, self->last_y);
    }
}

static void
process_scroll (HangarDisplay *self,
                GdkEvent      *event)
{
  double dx = 0, dy = 0;
  int steps;

  if (self->conn == NULL || !self->connected || !self->have_last)
    return;

  switch (gdk_scroll_event_get_direction (event))
    {
    case GDK_SCROLL_UP:
      dy = -1;
      break;
    case GDK_SCROLL_DOWN:
      dy = 1;
      break;
    case GDK_SCROLL_LEFT:
      dx = -1;
      break;
    case GDK_SCROLL_RIGHT:
      dx = 1;
      break;
    case GDK_SCROLL_SMOOTH:
    default:
      gdk_scroll_event_get_deltas (event, &dx, &dy);
      break;
    }

  /* Smooth scrolling adds up to whole wheel clicks. */
  self->scroll_dx += dx;
  self->scroll_dy += dy;
  steps = (int) trunc (self->scroll_dy);
  self->scroll_dy -= steps;
  send_wheel (self, steps < 0 ? MASK_WHEEL_UP : MASK_WHEEL_DOWN, ABS (steps));
  steps = (int) trunc (self->scroll_dx);
  self->scroll_dx -= steps;
  send_wheel (self, steps < 0 ? MASK_WHEEL_LEFT : MASK_WHEEL_RIGHT, ABS (steps));
}

static gboolean
event_widget_position (HangarDisplay *self,
                       GdkEvent      *event,
                       double        *x,
                       double        *y)
{
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));
  graphene_point_t point;
  double sx, sy, nx, ny;

  if (native == NULL || !gdk_event_get_position (event, &sx, &sy))
    return FALSE;
  gtk_native_get_surface_transform (native, &nx, &ny);
  if (!gtk_widget_compute_point (GTK_WIDGET (native), GTK_WIDGET (self),
                                 &GRAPHENE_POINT_INIT (sx - nx, sy - ny), &point))
    return FALSE;
  *x = point.x;
  *y = point.y;
  return TRUE;
}

/* Raw events: a VNC pointer is every button at once, which GTK's gestures
 * (one button each) do not tell. */
static gboolean
on_pointer_event (GtkEventControllerLegacy *controller,
                  GdkEvent                 *event,
                  gpointer                  user_data)
{
  HangarDisplay *self = HANGAR_DISPLAY (user_data);
  double x, y;

  switch (gdk_event_get_event_type (event))
    {
    case GDK_BUTTON_PRESS:
      if (!self->grabbed && self->connected)
        hangar_display_grab_keyboard (self);
      G_GNUC_FALLTHROUGH;
    case GDK_BUTTON_RELEASE:
      if (event_widget_position (self, event, &x, &y))
        hangar_display_process_pointer (self, gdk_button_event_get_button (event),
                                        gdk_event_get_event_type (event) == GDK_BUTTON_PRESS,
                                        x, y);
      return self->connected;

    case GDK_MOTION_NOTIFY:
      if (event_widget_position (self, event, &x, &y))
        hangar_display_process_pointer (self, 0, FALSE, x, y);
      return FALSE;

    case GDK_SCROLL:
      process_scroll (self, event);
      return self->connected;

    default:
      return FALSE;
    }
}

/* ---- gvnc signals --------------------------------------------------------- */

static void
set_error (HangarDisplay *self,
           const char    *message)
{
  g_free (self->error);
  self->error = g_strdup (message);
}

static void
replace_tiles (HangarDisplay      *self,
               HangarDisplayTiles *tiles)
{
  if (self->tiles != NULL)
    {
      self->tiles_built_before += hangar_display_tiles_get_tiles_built (self->tiles);
      self->frames_built_before += hangar_display_tiles_get_frames_built (self->tiles);
    }
  g_set_object (&self->tiles, tiles);
}

/* A framebuffer for the connection's current size and format, over the
 * tiles' buffer; FALSE when the one there already fits (gvnc reports the
 * same size several times). */
static gboolean
setup_framebuffer (HangarDisplay *self,
                   int            width,
                   int            height)
{
  const VncPixelFormat *remote = vnc_connection_get_pixel_format (self->conn);
  VncBaseFramebuffer *fb;
  gboolean resized;

  if (width <= 0 || height <= 0)
    return FALSE;

  resized = width != guest_width (self) || height != guest_height (self);
  if (!resized && self->fb != NULL &&
      vnc_pixel_format_match (remote, vnc_framebuffer_get_remote_format (self->fb)))
    return FALSE;

  if (resized)
    {
      g_autoptr(HangarDisplayTiles) tiles = hangar_display_tiles_new (width, height,
                                                                      gtk_widget_get_display (GTK_WIDGET (self)));

      replace_tiles (self, tiles);
    }

  fb = VNC_BASE_FRAMEBUFFER (hangar_framebuffer_new (hangar_display_tiles_get_buffer (self->tiles),
                                                     width, height,
                                                     (int) hangar_display_tiles_get_stride (self->tiles),
                                                     remote));
  /* The pixels must live as long as gvnc may write through fb. */
  g_object_set_data_full (G_OBJECT (fb), "hangar-display-tiles",
                          g_object_ref (self->tiles), g_object_unref);
  vnc_connection_set_framebuffer (self->conn, VNC_FRAMEBUFFER (fb));
  g_clear_object (&self->fb);
  self->fb = VNC_FRAMEBUFFER (fb);

  if (resized)
    {
      g_debug ("guest display is %d×%d", width, height);
      self->have_last = FALSE;
      gtk_widget_queue_resize (GTK_WIDGET (self));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GUEST_WIDTH]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GUEST_HEIGHT]);
    }
  return TRUE;
}

static void
on_vnc_connected (VncConnection *conn,
                  gpointer       user_data)
{
  HANGAR_DISPLAY (user_data)->conn_started = TRUE;
}

static void
on_vnc_initialized (VncConnection *conn,
                    gpointer       user_data)
{
  HangarDisplay *self = HANGAR_DISPLAY (user_data);
  /* In the order the server should prefer them. Lossless only: the image
   * is the guest's, pixel for pixel. Raw first: the socket always comes
   * from hangard on this machine (Machine.OpenDisplay passes it over the
   * local bus; under `ssh -X` too, it is the X drawing that crosses the
   * network, not RFB), so compression buys nothing and costs much: QEMU
   * deflates every changed pixel for ZRLE, on the same CPUs as the guest
   * and us, and we inflate it again, where with raw gvnc reads the pixels
   * straight into the framebuffer (tests/bench/display-bench measures
   * it). QEMU uses the first one it knows. */
  gint32 encodings[] = {
    VNC_CONNECTION_ENCODING_RAW,
    VNC_CONNECTION_ENCODING_COPY_RECT,
    VNC_CONNECTION_ENCODING_ZRLE,
    VNC_CONNECTION_ENCODING_HEXTILE,
    VNC_CONNECTION_ENCODING_EXT_KEY_EVENT,
    VNC_CONNECTION_ENCODING_EXTENDED_DESKTOP_RESIZE,
    VNC_CONNECTION_ENCODING_DESKTOP_RESIZE,
    VNC_CONNECTION_ENCODING_WMVi,
    VNC_CONNECTION_ENCODING_LAST_RECT,
    VNC_CONNECTION_ENCODING_ALPHA_CURSOR,
    VNC_CONNECTION_ENCODING_RICH_CURSOR,
    VNC_CONNECTION_ENCODING_XCURSOR,
    VNC_CONNECTION_ENCODING_POINTER_CHANGE,
    VNC_CONNECTION_ENCODING_LED_STATE,
  };

  if (!vnc_connection_set_pixel_format (conn, hangar_framebuffer_get_wire_format ()) ||
      !vnc_connection_set_encodings (conn, G_N_ELEMENTS (encodings), encodings))
    {
      vnc_connection_shutdown (conn);
      return;
    }

  setup_framebuffer (self, vnc_connection_get_width (conn), vnc_connection_get_height (conn));
  self->connected = TRUE;
  self->absolute = vnc_connection_get_abs_pointer (conn);
  request_update (self, FALSE);
  self->request_again_id = g_timeout_add (REQUEST_AGAIN_MS, on_request_again, self);

  update_cursor (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
  g_signal_emit (self, signals[SIGNAL_CONNECTED], 0);

  if (self->resize_guest)
    schedule_resize_guest (self);
}

static void
on_vnc_framebuffer_update (VncConnection *conn,
                           guint16        x,
                           guint16        y,
                           guint16        width,
                           guint16        height,
                           gpointer       user_data)
{
  HangarDisplay *self = HANGAR_DISPLAY (user_data);

  self->update_count++;
  if (self->tiles == NULL)
    return;

  hangar_display_tiles_damage (self->tiles, x, y, width, height);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  note_update (self);
  if (self->request_idle_id == 0)
    self->request_idle_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, on_request_idle, self, NULL);
}

static void
on_vnc_desktop_resize (VncConnection *conn,
                       guint16        width,
                       guint16        height,
                       gpointer       user_data)
{
  HangarDisplay *self = HANGAR_DISPLAY (user_data);

  /* A real change needs the whole new image; the same size again must not
   * ask for it, or QEMU answers with the size again, and so on. */
  if (setup_framebuffer (self, width, height))
    request_update (self, FALSE);
}

static void
on_vnc_pixel_format_changed (VncConnection  *conn,
                             VncPixelFormat *format,
                             gpointer        user_data)
{
  HangarDisplay *self = HANGAR_DISPLAY (user_data);

  if (setup_framebuffer (self, vnc_connection_get_width (conn), vnc_connection_get_height (conn)))
    request_update (self, FALSE);
}

static void
on_vnc_cursor_changed (VncConnection *conn,
                       VncCursor     *cursor,
                       gpointer       user_data)
{
  HangarDisplay *self = HANGAR_DISPLAY (user_data);

  g_clear_object (&self->guest_cursor);
  self->guest_cursor = cursor ? cursor_from_vnc (cursor) : NULL;
  self->guest_cursor_set = TRUE;
  update_cursor (self);
}

static void
on_vnc_pointer_mode_changed (VncConnection *conn,
                             gboolean       absolute,
                             gpointer       user_data)
{
  HangarDisplay *self = HANGAR_DISPLAY (user_data);

  g_debug ("guest pointer is %s", absolute ? "absolute" : "relative");
  self->absolute = absolute;
  self->have_last = FALSE;
  update_cursor (self);
}

static void
on_vnc_error (VncConnection *conn,
              const char    *message,
              gpointer       user_data)
{
  g_debug ("VNC error: %s", message);
  set_error (HANGAR_DISPLAY (user_data), message);
}

/* Hangar's engine hands out sockets that need no authentication. */
static void
refuse_authentication (HangarDisplay *self,
                       VncConnection *conn)
{
  set_error (self, _("The display asked for a password or another authentication, which Hangar does not support"));
  vnc_connection_shutdown (conn);
}

static void
on_vnc_auth_credential (VncConnection *conn,
                        GValueArray   *credentials,
                        gpointer       user_data)
{
  refuse_authentication (HANGAR_DISPLAY (user_data), conn);
}

/* The server lists the authentications it offers: "none" it is, or we
 * cannot go on. */
static void
on_vnc_auth_choose_type (VncConnection *conn,
                         GValueArray   *types,
                         gpointer       user_data)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  for (guint i = 0; i < types->n_values; i++)
    if (g_value_get_enum (g_value_array_get_nth (types, i)) == VNC_CONNECTION_AUTH_NONE)
      {
        vnc_connection_set_auth_type (conn, VNC_CONNECTION_AUTH_NONE);
        return;
      }
  G_GNUC_END_IGNORE_DEPRECATIONS
  refuse_authentication (HANGAR_DISPLAY (user_data), conn);
}

static void
on_vnc_auth_unsupported (VncConnection *conn,
                         guint          auth_type,
                         gpointer       user_data)
{
  refuse_authentication (HANGAR_DISPLAY (user_data), conn);
}

static void disconnect_conn (HangarDisplay *self);

static void
on_vnc_disconnected (VncConnection *conn,
                     gpointer       user_data)
{
  HangarDisplay *self = HANGAR_DISPLAY (user_data);
  gboolean was_connected = self->connected;

  g_debug ("VNC connection ended%s%s", self->error ? ": " : "", self->error ? self->error : "");
  /* Nothing can be sent any more: keys held are simply forgotten. */
  self->connected = FALSE;
  hangar_display_release_keyboard (self);
  memset (self->pressed, 0, sizeof self->pressed);
  disconnect_conn (self);
  /* gvnc keeps its own reference until its coroutine is done. */
  g_clear_object (&self->conn);
  g_clear_object (&self->fb);
  stop_updates (self);

  if (was_connected)
    {
      update_cursor (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
    }
  g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0);
}

static void
disconnect_conn (HangarDisplay *self)
{
  g_signal_handlers_disconnect_by_data (self->conn, self);
}

/* ---- Connection ----------------------------------------------------------- */

/* gvnc takes the socket over only once its coroutine has started; shutting
 * it down before that would leak the socket. Such a connection is shut
 * down as soon as it starts instead. */
static void
shutdown_once_started (VncConnection *conn,
                       gpointer       user_data)
{
  g_signal_handlers_disconnect_by_func (conn, shutdown_once_started, user_data);
  vnc_connection_shutdown (conn);
  g_object_unref (conn);
}

void
hangar_display_close (HangarDisplay *self)
{
  VncConnection *conn;

  g_return_if_fail (HANGAR_IS_DISPLAY (self));

  if (self->conn == NULL)
    return;

  hangar_display_release_keyboard (self);
  memset (self->pressed, 0, sizeof self->pressed);
  disconnect_conn (self);
  conn = g_steal_pointer (&self->conn);
  g_clear_object (&self->fb);
  stop_updates (self);

  if (self->conn_started)
    vnc_connection_shutdown (conn);
  else
    {
      g_signal_connect (conn, "vnc-connected", G_CALLBACK (shutdown_once_started), NULL);
      g_signal_connect (conn, "vnc-disconnected", G_CALLBACK (shutdown_once_started), NULL);
      conn = NULL;   /* now theirs */
    }
  g_clear_object (&conn);

  if (self->connected)
    {
      self->connected = FALSE;
      update_cursor (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
    }
}

void
hangar_display_open_fd (HangarDisplay *self,
                        int            fd)
{
  g_return_if_fail (HANGAR_IS_DISPLAY (self));
  g_return_if_fail (fd >= 0);

  hangar_display_close (self);

  g_clear_pointer (&self->error, g_free);
  self->conn_started = FALSE;
  self->update_count = 0;
  self->request_count = 0;
  self->frame_count = 0;
  self->tiles_built_before = 0;
  self->frames_built_before = 0;
  self->tiles_built_at_open = self->tiles ? hangar_display_tiles_get_tiles_built (self->tiles) : 0;
  self->frames_built_at_open = self->tiles ? hangar_display_tiles_get_frames_built (self->tiles) : 0;
  self->button_mask = 0;
  self->have_last = FALSE;
  self->guest_cursor_set = FALSE;
  g_clear_object (&self->guest_cursor);
  self->requested_width = self->requested_height = 0;

  self->conn = vnc_connection_new ();
  g_signal_connect (self->conn, "vnc-connected", G_CALLBACK (on_vnc_connected), self);
  g_signal_connect (self->conn, "vnc-initialized", G_CALLBACK (on_vnc_initialized), self);
  g_signal_connect (self->conn, "vnc-framebuffer-update", G_CALLBACK (on_vnc_framebuffer_update), self);
  g_signal_connect (self->conn, "vnc-desktop-resize", G_CALLBACK (on_vnc_desktop_resize), self);
  g_signal_connect (self->conn, "vnc-pixel-format-changed", G_CALLBACK (on_vnc_pixel_format_changed), self);
  g_signal_connect (self->conn, "vnc-cursor-changed", G_CALLBACK (on_vnc_cursor_changed), self);
  g_signal_connect (self->conn, "vnc-pointer-mode-changed", G_CALLBACK (on_vnc_pointer_mode_changed), self);
  g_signal_connect (self->conn, "vnc-error", G_CALLBACK (on_vnc_error), self);
  g_signal_connect (self->conn, "vnc-auth-choose-type", G_CALLBACK (on_vnc_auth_choose_type), self);
  g_signal_connect (self->conn, "vnc-auth-credential", G_CALLBACK (on_vnc_auth_credential), self);
  g_signal_connect (self->conn, "vnc-auth-unsupported", G_CALLBACK (on_vnc_auth_unsupported), self);
  g_signal_connect (self->conn, "vnc-disconnected", G_CALLBACK (on_vnc_disconnected), self);

  /* Shared: other clients (a screenshot, a second window) stay connected. */
  vnc_connection_set_shared (self->conn, TRUE);
  if (!vnc_connection_open_fd (self->conn, fd))
    {
      /* Cannot happen on a new connection; do not leak the socket anyway. */
      g_warning ("gvnc refused the display socket");
      close (fd);
      disconnect_conn (self);
      g_clear_object (&self->conn);
    }
}

gboolean
hangar_display_is_connected (HangarDisplay *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY (self), FALSE);
  return self->connected;
}

const char *
hangar_display_get_error (HangarDisplay *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY (self), NULL);
  return self->error;
}

int
hangar_display_get_guest_width (HangarDisplay *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY (self), 0);
  return guest_width (self);
}

int
hangar_display_get_guest_height (HangarDisplay *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY (self), 0);
  return guest_height (self);
}

/* ---- Guest resize --------------------------------------------------------- */

static gboolean
on_resize_guest (gpointer user_data)
{
  HangarDisplay *self = HANGAR_DISPLAY (user_data);
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  int width = gtk_widget_get_width (GTK_WIDGET (self)) * scale;
  int height = gtk_widget_get_height (GTK_WIDGET (self)) * scale;
  VncConnectionResizeStatus status;

  self->resize_guest_id = 0;

  if (self->conn == NULL || !self->connected || width <= 0 || height <= 0)
    return G_SOURCE_REMOVE;
  if ((width == guest_width (self) && height == guest_height (self)) ||
      (width == self->requested_width && height == self->requested_height))
    return G_SOURCE_REMOVE;

  /* SetDesktopSize, once the server announced ExtendedDesktopSize;
   * QEMU's std VGA turns it down, virtio-vga passes it to the guest. */
  status = vnc_connection_set_size (self->conn, width, height);
  if (status == VNC_CONNECTION_RESIZE_STATUS_UNSUPPORTED)
    g_debug ("the server cannot resize the guest's desktop");
  else
    {
      g_debug ("asked the guest for %d×%d", width, height);
      self->requested_width = width;
      self->requested_height = height;
    }
  return G_SOURCE_REMOVE;
}

static void
schedule_resize_guest (HangarDisplay *self)
{
  g_clear_handle_id (&self->resize_guest_id, g_source_remove);
  if (self->resize_guest && self->connected)
    self->resize_guest_id = g_timeout_add (RESIZE_GUEST_DELAY_MS, on_resize_guest, self);
}

void
hangar_display_set_resize_guest (HangarDisplay *self,
                                 gboolean       resize_guest)
{
  g_return_if_fail (HANGAR_IS_DISPLAY (self));

  resize_guest = !!resize_guest;
  if (self->resize_guest == resize_guest)
    return;
  self->resize_guest = resize_guest;
  self->requested_width = self->requested_height = 0;
  schedule_resize_guest (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESIZE_GUEST]);
}

gboolean
hangar_display_get_resize_guest (HangarDisplay *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY (self), FALSE);
  return self->resize_guest;
}

/* ---- Scaling -------------------------------------------------------------- */

void
hangar_display_set_scaling (HangarDisplay        *self,
                            HangarDisplayScaling  scaling)
{
  g_return_if_fail (HANGAR_IS_DISPLAY (self));
  g_return_if_fail (scaling == HANGAR_DISPLAY_SCALE_FIT || scaling == HANGAR_DISPLAY_SCALE_NONE);

  if (self->scaling == scaling)
    return;
  self->scaling = scaling;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCALING]);
}

HangarDisplayScaling
hangar_display_get_scaling (HangarDisplay *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY (self), HANGAR_DISPLAY_SCALE_FIT);
  return self->scaling;
}

void
hangar_display_set_upscale (HangarDisplay *self,
                            gboolean       upscale)
{
  g_return_if_fail (HANGAR_IS_DISPLAY (self));

  upscale = !!upscale;
  if (self->upscale == upscale)
    return;
  self->upscale = upscale;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPSCALE]);
}

gboolean
hangar_display_get_upscale (HangarDisplay *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY (self), FALSE);
  return self->upscale;
}

/* ---- Image and statistics ------------------------------------------------- */

GdkTexture *
hangar_display_get_image (HangarDisplay *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY (self), NULL);
  return self->tiles ? hangar_display_tiles_to_texture (self->tiles) : NULL;
}

guint64
hangar_display_get_update_count (HangarDisplay *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY (self), 0);
  return self->update_count;
}

guint64
hangar_display_get_request_count (HangarDisplay *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY (self), 0);
  return self->request_count;
}

gboolean
hangar_display_is_streaming (HangarDisplay *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY (self), FALSE);
  return self->streaming_tick_id != 0;
}

guint64
hangar_display_get_frame_count (HangarDisplay *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY (self), 0);
  return self->frame_count;
}

guint64
hangar_display_get_tiles_built (HangarDisplay *self)
{
  guint64 now;

  g_return_val_if_fail (HANGAR_IS_DISPLAY (self), 0);
  now = self->tiles ? hangar_display_tiles_get_tiles_built (self->tiles) : 0;
  return self->tiles_built_before + now - MIN (now, self->tiles_built_at_open);
}

guint64
hangar_display_get_frames_built (HangarDisplay *self)
{
  guint64 now;

  g_return_val_if_fail (HANGAR_IS_DISPLAY (self), 0);
  now = self->tiles ? hangar_display_tiles_get_frames_built (self->tiles) : 0;
  return self->frames_built_before + now - MIN (now, self->frames_built_at_open);
}

/* ---- GtkWidget ------------------------------------------------------------ */

static void
append_black (GtkSnapshot *snapshot,
              int          x,
              int          y,
              int          width,
              int          height)
{
  static const GdkRGBA black = { 0, 0, 0, 1 };

  if (width > 0 && height > 0)
    gtk_snapshot_append_color (snapshot, &black, &GRAPHENE_RECT_INIT (x, y, width, height));
}

/* Black bars around the guest's image (x, y, width, height), where the
 * widget's shape differs from the guest's. Only the bars: the image is
 * opaque, and anything drawn under it costs twice with GTK 4.8's cairo
 * renderer on X11. A solid fill before the image makes cairo draw the
 * frame in client memory (a fresh shared-memory image, the fill, the
 * image composited into it, then the upload); without one, the image
 * goes to the X server as it is. For a whole-screen change that cuts the
 * client's CPU time per frame by half or more (display-bench: 60-85 ms
 * down to 25-30 ms here). Hence also no background under the widget in
 * HangarDisplayWindow (hangar-machine-page.css). */
static void
append_letterbox (GtkSnapshot *snapshot,
                  int          widget_width,
                  int          widget_height,
                  int          x,
                  int          y,
                  int          width,
                  int          height)
{
  int top = CLAMP (y, 0, widget_height);
  int bottom = CLAMP (y + height, top, widget_height);

  append_black (snapshot, 0, 0, widget_width, top);
  append_black (snapshot, 0, bottom, widget_width, widget_height - bottom);
  append_black (snapshot, 0, top, MIN (x, widget_width), bottom - top);
  append_black (snapshot, MAX (x + width, 0), top, widget_width - MAX (x + width, 0), bottom - top);
}

static void
hangar_display_snapshot (GtkWidget   *widget,
                         GtkSnapshot *snapshot)
{
  HangarDisplay *self = HANGAR_DISPLAY (widget);
  int widget_width = gtk_widget_get_width (widget);
  int widget_height = gtk_widget_get_height (widget);
  int x, y, width, height;
  double scale;

  /* The widget paints all of itself, so that nothing needs to be drawn
   * under it: see append_letterbox. */
  if (!get_image_rect (self, &x, &y, &width, &height, &scale))
    {
      append_black (snapshot, 0, 0, widget_width, widget_height);
      return;
    }

  /* Tiles as cairo nodes for the cairo renderer (what `ssh -X` gets), as
   * textures for GL: see hangar_display_tiles_set_cairo_nodes. */
  hangar_display_tiles_set_cairo_nodes (self->tiles,
                                        GSK_IS_CAIRO_RENDERER (gtk_native_get_renderer (gtk_widget_get_native (widget))));
  /* Only the tiles that changed since the last frame are rebuilt. */
  hangar_display_tiles_flush (self->tiles);

  append_letterbox (snapshot, widget_width, widget_height, x, y, width, height);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gdk_paintable_snapshot (GDK_PAINTABLE (self->tiles), snapshot, width, height);
  gtk_snapshot_restore (snapshot);
  self->frame_count++;
}

static void
hangar_display_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline,
                        int            *natural_baseline)
{
  HangarDisplay *self = HANGAR_DISPLAY (widget);
  int size = orientation == GTK_ORIENTATION_HORIZONTAL ? guest_width (self) : guest_height (self);

  /* 1:1 asks for the whole image, so a scrolled window scrolls; fitting
   * takes whatever it gets. */
  *minimum = self->scaling == HANGAR_DISPLAY_SCALE_NONE ? size : 0;
  *natural = size;
}

static void
hangar_display_size_allocate (GtkWidget *widget,
                              int        width,
                              int        height,
                              int        baseline)
{
  HangarDisplay *self = HANGAR_DISPLAY (widget);

  self->have_last = FALSE;
  if (self->resize_guest)
    schedule_resize_guest (self);
}

static void
hangar_display_unroot (GtkWidget *widget)
{
  hangar_display_release_keyboard (HANGAR_DISPLAY (widget));
  GTK_WIDGET_CLASS (hangar_display_parent_class)->unroot (widget);
}

static void
hangar_display_map (GtkWidget *widget)
{
  HangarDisplay *self = HANGAR_DISPLAY (widget);

  GTK_WIDGET_CLASS (hangar_display_parent_class)->map (widget);
  /* Hidden, it was kept at one update a second: catch up. */
  request_update (self, TRUE);
}

/* ---- GObject -------------------------------------------------------------- */

static void
hangar_display_dispose (GObject *object)
{
  HangarDisplay *self = HANGAR_DISPLAY (object);

  hangar_display_close (self);
  stop_updates (self);
  replace_tiles (self, NULL);
  g_clear_object (&self->guest_cursor);

  G_OBJECT_CLASS (hangar_display_parent_class)->dispose (object);
}

static void
hangar_display_finalize (GObject *object)
{
  HangarDisplay *self = HANGAR_DISPLAY (object);

  g_free (self->error);

  G_OBJECT_CLASS (hangar_display_parent_class)->finalize (object);
}

static void
hangar_display_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  HangarDisplay *self = HANGAR_DISPLAY (object);

  switch (prop_id)
    {
    case PROP_CONNECTED:
      g_value_set_boolean (value, self->connected);
      break;
    case PROP_GUEST_WIDTH:
      g_value_set_int (value, guest_width (self));
      break;
    case PROP_GUEST_HEIGHT:
      g_value_set_int (value, guest_height (self));
      break;
    case PROP_SCALING:
      g_value_set_enum (value, self->scaling);
      break;
    case PROP_UPSCALE:
      g_value_set_boolean (value, self->upscale);
      break;
    case PROP_GRABBED:
      g_value_set_boolean (value, self->grabbed);
      break;
    case PROP_RESIZE_GUEST:
      g_value_set_boolean (value, self->resize_guest);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hangar_display_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  HangarDisplay *self = HANGAR_DISPLAY (object);

  switch (prop_id)
    {
    case PROP_SCALING:
      hangar_display_set_scaling (self, g_value_get_enum (value));
      break;
    case PROP_UPSCALE:
      hangar_display_set_upscale (self, g_value_get_boolean (value));
      break;
    case PROP_RESIZE_GUEST:
      hangar_display_set_resize_guest (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hangar_display_class_init (HangarDisplayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hangar_display_dispose;
  object_class->finalize = hangar_display_finalize;
  object_class->get_property = hangar_display_get_property;
  object_class->set_property = hangar_display_set_property;

  widget_class->snapshot = hangar_display_snapshot;
  widget_class->measure = hangar_display_measure;
  widget_class->size_allocate = hangar_display_size_allocate;
  widget_class->unroot = hangar_display_unroot;
  widget_class->map = hangar_display_map;

  properties[PROP_CONNECTED] =
    g_param_spec_boolean ("connected", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_GUEST_WIDTH] =
    g_param_spec_int ("guest-width", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_GUEST_HEIGHT] =
    g_param_spec_int ("guest-height", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SCALING] =
    g_param_spec_enum ("scaling", NULL, NULL,
                       HANGAR_TYPE_DISPLAY_SCALING, HANGAR_DISPLAY_SCALE_FIT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_UPSCALE] =
    g_param_spec_boolean ("upscale", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_GRABBED] =
    g_param_spec_boolean ("grabbed", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RESIZE_GUEST] =
    g_param_spec_boolean ("resize-guest", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_CONNECTED] =
    g_signal_new ("connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_DISCONNECTED] =
    g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_css_name (widget_class, "hangar-display");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
hangar_display_init (HangarDisplay *self)
{
  GtkEventController *controller;

  self->scaling = HANGAR_DISPLAY_SCALE_FIT;
  self->absolute = TRUE;

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_focus_on_click (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);

  controller = gtk_event_controller_key_new ();
  g_signal_connect (controller, "key-pressed", G_CALLBACK (on_key_pressed), self);
  g_signal_connect (controller, "key-released", G_CALLBACK (on_key_released), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_focus_new ();
  g_signal_connect (controller, "leave", G_CALLBACK (on_focus_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_legacy_new ();
  g_signal_connect (controller, "event", G_CALLBACK (on_pointer_event), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Machine display"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  _("Click to send the keyboard to the machine; press Ctrl+Alt to release it"),
                                  -1);
}

GtkWidget *
hangar_display_new (void)
{
  return g_object_new (HANGAR_TYPE_DISPLAY, NULL);
}
