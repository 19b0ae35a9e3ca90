/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-display"

/* HangarDisplay, the GTK 4 VNC widget, against a real guest: the real
 * engine hands out the display socket (Machine.OpenDisplay) of a busybox
 * guest with std VGA, whose /init runs a shell on tty1, the VGA console.
 *
 * What the widget draws is compared with QEMU's own picture of the guest
 * screen (QMP screendump): the engine holds the machine's QMP socket, so
 * for each screendump the test stops the engine (guests keep running),
 * talks QMP itself and starts the engine again, which takes the machine
 * back. Keys typed through the widget must reach the tty1 shell, a VGA
 * mode change must resize the widget's image, and a reboot must not end
 * the display. Runs under Xvfb (meson test --suite gui) and saves
 * screenshots in tests/screenshots/ of the build tree. The cases run in
 * order on one guest. */

#include "hangar-display.h"
#include "hangar-display-private.h"
#include "hangar-display-tiles.h"
#include "hangar-keymap.h"
#include "hangar-test-env.h"
#include "hangar-test-gui.h"

#include <dlfcn.h>
#include <gdk/x11/gdkx.h>
#include <gsk/gl/gskglrenderer.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <linux/input-event-codes.h>
#include <math.h>
#include <signal.h>
#include <vncutil.h>
#ifdef HAVE_LIBVNCCLIENT
#include <rfb/rfbclient.h>
#endif

#define GUEST_NAME       "display-guest"
#define BOOT_TIMEOUT_S   180
#define STATE_TIMEOUT_S  60
#define UI_TIMEOUT_S     60
#define MATCH_TIMEOUT_S  60
#define BOOT_MARKER      "HANGAR-GUEST-BOOTED"

/* The text cursor blinks: a few pixels may differ between two pictures
 * taken at different moments. */
#define MAX_MISMATCHED_SHARE 0.002
#define CHANNEL_TOLERANCE    8

static HangarTestEnv *env;
static HangarMachine *machine;
static char          *machine_uuid;
static GtkWindow     *window;
static HangarDisplay *display;

/* ---- Waiting -------------------------------------------------------------- */

static gboolean
is_connected (gpointer data)
{
  return hangar_display_is_connected (display);
}

/* A few frames, so what changed is laid out and drawn. */
static void
wait_for_frames (GtkWidget *widget)
{
  hangar_test_wait_for_frames (widget, UI_TIMEOUT_S);
}

static guint
count_in_console (const char *marker)
{
  g_autofree char *text = hangar_test_console_log (machine);

  return hangar_test_count (text, marker);
}


/* ---- Pictures ------------------------------------------------------------- */

typedef struct {
  int     width;
  int     height;
  gsize   stride;
  guint8 *data;     /* B, G, R, A (CAIRO_FORMAT_ARGB32 on little-endian) */
} Image;

static void
image_free (Image *image)
{
  g_free (image->data);
  g_free (image);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Image, image_free)

static Image *
image_from_texture (GdkTexture *texture)
{
  Image *image = g_new0 (Image, 1);

  image->width = gdk_texture_get_width (texture);
  image->height = gdk_texture_get_height (texture);
  image->stride = (gsize) image->width * 4;
  image->data = g_malloc (image->stride * image->height);
  gdk_texture_download (texture, image->data, image->stride);
  return image;
}

/* What the X server shows of @widget (the whole widget), read back with
 * XGetImage: the end of the path from gvnc through the buffer and cairo's
 * shared memory to the window. */
static Image *
image_from_screen (GtkWidget *widget)
{
  GtkNative *native = gtk_widget_get_native (widget);
  GdkSurface *surface = gtk_native_get_surface (native);
  Display *xdisplay = gdk_x11_display_get_xdisplay (gtk_widget_get_display (widget));
  Image *image = g_new0 (Image, 1);
  graphene_point_t origin;
  double dx, dy;
  XImage *ximage;

  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (native), &GRAPHENE_POINT_INIT (0, 0), &origin));
  gtk_native_get_surface_transform (native, &dx, &dy);
  image->width = gtk_widget_get_width (widget);
  image->height = gtk_widget_get_height (widget);
  image->stride = (gsize) image->width * 4;
  image->data = g_malloc (image->stride * image->height);
  ximage = XGetImage (xdisplay, gdk_x11_surface_get_xid (surface), (int) (origin.x + dx), (int) (origin.y + dy),
                      image->width, image->height, AllPlanes, ZPixmap);
  g_assert_nonnull (ximage);
  for (int y = 0; y < image->height; y++)
    for (int x = 0; x < image->width; x++)
      /* 0x00RRGGBB for the TrueColor visuals of Xvfb. */
      *(guint32 *) (image->data + (gsize) y * image->stride + (gsize) x * 4) =
        0xff000000u | (XGetPixel (ximage, x, y) & 0xffffff);
  XDestroyImage (ximage);
  return image;
}

static void
pixel_rgb (const Image *image,
           int          x,
           int          y,
           guint8       rgb[3])
{
  guint32 pixel = *(const guint32 *) (image->data + (gsize) y * image->stride + (gsize) x * 4);

  /* gdk_texture_download() gives native-endian 0xAARRGGBB words. */
  rgb[0] = (pixel >> 16) & 0xff;
  rgb[1] = (pixel >> 8) & 0xff;
  rgb[2] = pixel & 0xff;
}

/* A binary PPM (P6, maxval 255) as QEMU's screendump writes it. */
static Image *
image_from_ppm (const char *path)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  Image *image;
  gsize length;
  const char *p;
  char *end;
  long values[3];

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_true (length > 2 && contents[0] == 'P' && contents[1] == '6');

  p = contents + 2;
  for (int i = 0; i < 3; i++)
    {
      while (g_ascii_isspace (*p) || *p == '#')
        {
          if (*p == '#')
            while (*p != '\n' && *p != '\0')
              p++;
          else
            p++;
        }
      values[i] = strtol (p, &end, 10);
      g_assert_true (end != p);
      p = end;
    }
  p++;   /* the one whitespace byte before the pixels */
  g_assert_cmpint (values[2], ==, 255);

  image = g_new0 (Image, 1);
  image->width = (int) values[0];
  image->height = (int) values[1];
  g_assert_cmpuint ((gsize) (p - contents) + (gsize) image->width * image->height * 3, <=, length);
  image->stride = (gsize) image->width * 4;
  image->data = g_malloc (image->stride * image->height);
  for (int y = 0; y < image->height; y++)
    for (int x = 0; x < image->width; x++)
      {
        const guint8 *rgb = (const guint8 *) p + ((gsize) y * image->width + x) * 3;
        guint32 pixel = 0xff000000u | (rgb[0] << 16) | (rgb[1] << 8) | rgb[2];

        *(guint32 *) (image->data + (gsize) y * image->stride + (gsize) x * 4) = pixel;
      }
  return image;
}

/* How many pixels of `reference` differ in `image` at offset (ox, oy);
 * G_MAXUINT64 when the image is too small. */
static guint64
count_mismatches (const Image *image,
                  int          ox,
                  int          oy,
                  const Image *reference,
                  int         *max_difference)
{
  guint64 mismatched = 0;

  *max_difference = 0;
  if (ox < 0 || oy < 0 || ox + reference->width > image->width || oy + reference->height > image->height)
    return G_MAXUINT64;

  for (int y = 0; y < reference->height; y++)
    for (int x = 0; x < reference->width; x++)
      {
        guint8 a[3], b[3];
        int difference = 0;

        pixel_rgb (image, ox + x, oy + y, a);
        pixel_rgb (reference, x, y, b);
        for (int c = 0; c < 3; c++)
          difference = MAX (difference, ABS ((int) a[c] - (int) b[c]));
        if (difference > CHANNEL_TOLERANCE)
          mismatched++;
        *max_difference = MAX (*max_difference, difference);
      }
  return mismatched;
}

static gboolean
image_is_blank (const Image *image)
{
  guint8 first[3];

  pixel_rgb (image, 0, 0, first);
  for (int y = 0; y < image->height; y++)
    for (int x = 0; x < image->width; x++)
      {
        guint8 rgb[3];

        pixel_rgb (image, x, y, rgb);
        if (memcmp (rgb, first, 3) != 0)
          return FALSE;
      }
  return TRUE;
}

/* What the widget puts on screen is hangar_test_render_widget(): its own
 * snapshot, rendered by its window's renderer. */

static void
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  hangar_test_save_screenshot (widget, name, UI_TIMEOUT_S);
}

/* ---- QMP, while the engine is stopped -------------------------------------- */

typedef struct {
  GSocketConnection *connection;
  GDataInputStream  *in;
  GOutputStream     *out;
} Qmp;

static JsonNode *
qmp_read (Qmp *qmp)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_utf8 (qmp->in, NULL, NULL, &error);
  JsonNode *node;

  g_assert_no_error (error);
  g_assert_nonnull (line);
  node = json_from_string (line, &error);
  g_assert_no_error (error);
  return node;
}

/* Sends a command and waits for its answer, skipping events. */
static void
qmp_execute (Qmp        *qmp,
             const char *command)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (qmp->out, command, strlen (command), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (qmp->out, "\n", 1, NULL, NULL, &error);
  g_assert_no_error (error);

  for (;;)
    {
      g_autoptr(JsonNode) node = qmp_read (qmp);
      JsonObject *object = json_node_get_object (node);

      if (json_object_has_member (object, "event"))
        continue;
      if (json_object_has_member (object, "error"))
        g_error ("QMP %s failed: %s", command, json_to_string (node, FALSE));
      g_assert_true (json_object_has_member (object, "return"));
      return;
    }
}

static Qmp *
qmp_open (void)
{
  g_autofree char *path = g_build_filename (env->root, "run", "machines", machine_uuid, "qmp.sock", NULL);
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) greeting = NULL;
  Qmp *qmp = g_new0 (Qmp, 1);

  g_test_message ("QMP: connecting to %s", path);
  qmp->connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
  g_assert_no_error (error);
  /* Fail rather than hang when QEMU does not answer. */
  g_socket_set_timeout (g_socket_connection_get_socket (qmp->connection), 30);
  qmp->in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (qmp->connection)));
  qmp->out = g_io_stream_get_output_stream (G_IO_STREAM (qmp->connection));
  greeting = qmp_read (qmp);
  g_assert_true (json_object_has_member (json_node_get_object (greeting), "QMP"));
  qmp_execute (qmp, "{\"execute\": \"qmp_capabilities\"}");
  return qmp;
}

static void
qmp_close (Qmp *qmp)
{
  g_io_stream_close (G_IO_STREAM (qmp->connection), NULL, NULL);
  g_clear_object (&qmp->in);
  g_clear_object (&qmp->connection);
  g_free (qmp);
}

static Image *
qmp_screendump (Qmp        *qmp,
                const char *path)
{
  g_autofree char *command = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "execute");
  json_builder_add_string_value (builder, "screendump");
  json_builder_set_member_name (builder, "arguments");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "filename");
  json_builder_add_string_value (builder, path);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  command = json_to_string (node, FALSE);

  g_unlink (path);
  qmp_execute (qmp, command);
  return image_from_ppm (path);
}

static void
stop_engine (void)
{
  g_clear_object (&machine);
  hangar_test_env_kill_engine (env, SIGTERM);
}

static void
restart_engine (void)
{
  hangar_test_env_start_engine (env);
  machine = hangar_test_env_lookup (env, GUEST_NAME);
  g_assert_nonnull (machine);
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (machine), 5 * 60 * 1000);
  g_assert_true (hangar_test_wait_for_state (machine, "running", STATE_TIMEOUT_S));
}

/* ---- A second, independent VNC client ------------------------------------ */

/* LibVNCServer's client library, on a display socket of its own, asking
 * for raw pixels (the widget asks for ZRLE): where QEMU's screendump, this
 * client and the widget agree, the widget draws what the guest shows.
 * Blocking, so it runs in a thread of its own. */
typedef struct {
  GThread   *thread;
  GMutex     lock;
  gboolean   stop;
  gboolean   ended;
  guint64    updates;
#ifdef HAVE_LIBVNCCLIENT
  rfbClient *client;
#endif
} Reference;

static Reference *reference_client;

static int open_display_fd (void);

#ifdef HAVE_LIBVNCCLIENT
static void
on_reference_update (rfbClient *client,
                     int        x,
                     int        y,
                     int        w,
                     int        h)
{
  ((Reference *) rfbClientGetClientData (client, &reference_client))->updates++;
}

static gpointer
reference_thread (gpointer data)
{
  Reference *ref = data;
  gint64 last_request = 0;

  for (;;)
    {
      int n;

      g_mutex_lock (&ref->lock);
      if (ref->stop)
        {
          g_mutex_unlock (&ref->lock);
          break;
        }
      n = WaitForMessage (ref->client, 50 * 1000);
      if (n > 0 && !HandleRFBServerMessage (ref->client))
        n = -1;
      if (n >= 0 && g_get_monotonic_time () - last_request > 200 * 1000)
        {
          SendFramebufferUpdateRequest (ref->client, 0, 0, ref->client->width,
                                        ref->client->height, TRUE);
          last_request = g_get_monotonic_time ();
        }
      g_mutex_unlock (&ref->lock);
      if (n < 0)
        break;
      g_usleep (1000);
    }
  g_atomic_int_set (&ref->ended, TRUE);
  return NULL;
}
#endif

static void
reference_start (int fd)
{
#ifdef HAVE_LIBVNCCLIENT
  Reference *ref = g_new0 (Reference, 1);

  g_mutex_init (&ref->lock);
  /* 8 bits a sample, 3 samples, 4 bytes a pixel: R, G, B, pad in memory. */
  ref->client = rfbGetClient (8, 3, 4);
  ref->client->listenSpecified = TRUE;     /* connected already: use `sock` */
  ref->client->sock = fd;
  ref->client->appData.shareDesktop = TRUE;
  ref->client->appData.encodingsString = "raw";
  ref->client->canHandleNewFBSize = TRUE;
  ref->client->GotFrameBufferUpdate = on_reference_update;
  rfbClientSetClientData (ref->client, &reference_client, ref);
  if (!rfbInitClient (ref->client, NULL, NULL))
    g_error ("libvncclient could not start on the display socket");
  ref->thread = g_thread_new ("reference-vnc", reference_thread, ref);
  reference_client = ref;
#else
  close (fd);
#endif
}

static void
reference_stop (void)
{
#ifdef HAVE_LIBVNCCLIENT
  Reference *ref = reference_client;

  if (ref == NULL)
    return;
  g_mutex_lock (&ref->lock);
  ref->stop = TRUE;
  g_mutex_unlock (&ref->lock);
  g_thread_join (ref->thread);
  rfbClientCleanup (ref->client);
  g_mutex_clear (&ref->lock);
  g_free (ref);
  reference_client = NULL;
#endif
}

/* The size of the reference client's picture (0×0 without one). */
static void
reference_size (int *width,
                int *height)
{
  *width = *height = 0;
#ifdef HAVE_LIBVNCCLIENT
  if (reference_client == NULL)
    return;
  g_mutex_lock (&reference_client->lock);
  *width = reference_client->client->width;
  *height = reference_client->client->height;
  g_mutex_unlock (&reference_client->lock);
#endif
}

/* The reference client's picture now, or NULL (none, or it ended). */
static Image *
reference_image (void)
{
#ifdef HAVE_LIBVNCCLIENT
  Reference *ref = reference_client;
  Image *image;

  if (ref == NULL || g_atomic_int_get (&ref->ended))
    return NULL;
  g_mutex_lock (&ref->lock);
  image = g_new0 (Image, 1);
  image->width = ref->client->width;
  image->height = ref->client->height;
  image->stride = (gsize) image->width * 4;
  image->data = g_malloc (image->stride * image->height);
  for (int y = 0; y < image->height; y++)
    for (int x = 0; x < image->width; x++)
      {
        const guint8 *rgb = ref->client->frameBuffer + ((gsize) y * image->width + x) * 4;

        *(guint32 *) (image->data + (gsize) y * image->stride + (gsize) x * 4) =
          0xff000000u | (rgb[0] << 16) | (rgb[1] << 8) | rgb[2];
      }
  g_mutex_unlock (&ref->lock);
  return image;
#else
  return NULL;
#endif
}

/* Waits until both the widget's image (hangar_display_get_image) and its
 * rendering match a screendump taken at that moment: the guest screen is
 * still, so they must meet. Saves the last pair of pictures. */
static void
assert_display_matches_guest (const char *name)
{
  g_autofree char *ppm = g_build_filename (env->tmpdir, "screen.ppm", NULL);
  g_autofree char *shot_name = g_strdup_printf ("widget-%s.png", name);
  g_autofree char *dump_name = g_strdup_printf ("widget-%s-screendump.png", name);
  gint64 deadline = g_get_monotonic_time () + MATCH_TIMEOUT_S * G_USEC_PER_SEC;
  guint64 image_mismatches = G_MAXUINT64, render_mismatches = G_MAXUINT64;
  guint64 screen_mismatches = G_MAXUINT64, second_mismatches = G_MAXUINT64;
  int image_difference = 0, render_difference = 0, screen_difference = 0, second_difference = 0;
  int reference_width = 0, reference_height = 0;
  g_autoptr(GdkTexture) last_render = NULL;
  gboolean matched = FALSE;
  Qmp *qmp;

  /* libvncclient 0.9.14 ignores QEMU's ExtendedDesktopSize (its screen
   * has id 0): after a resize, it needs a connection of its own again. */
  if (reference_client != NULL)
    {
      int width, height;

      reference_size (&width, &height);
      if (width != hangar_display_get_guest_width (display) ||
          height != hangar_display_get_guest_height (display))
        {
          g_test_message ("libvncclient stayed at %d×%d: connecting it again", width, height);
          reference_stop ();
          reference_start (open_display_fd ());
        }
    }

  stop_engine ();
  qmp = qmp_open ();

  while (!matched && g_get_monotonic_time () < deadline)
    {
      g_autoptr(Image) reference = NULL;
      g_autoptr(GdkTexture) texture = NULL;
      g_autoptr(Image) image = NULL;
      g_autoptr(Image) rendered = NULL;
      g_autoptr(Image) screen = NULL;
      guint64 allowed;
      int x, y, w, h;

      hangar_test_spin (500);
      reference = qmp_screendump (qmp, ppm);
      reference_width = reference->width;
      reference_height = reference->height;
      allowed = (guint64) (reference->width * reference->height * MAX_MISMATCHED_SHARE);
      wait_for_frames (GTK_WIDGET (display));

      texture = hangar_display_get_image (display);
      if (texture == NULL)
        continue;
      image = image_from_texture (texture);
      image_mismatches = count_mismatches (image, 0, 0, reference, &image_difference);

      g_clear_object (&last_render);
      last_render = hangar_test_render_widget (GTK_WIDGET (display));
      rendered = image_from_texture (last_render);
      g_assert_true (hangar_display_get_image_rect (display, &x, &y, &w, &h));
      render_mismatches = count_mismatches (rendered, x, y, reference, &render_difference);
      screen = image_from_screen (GTK_WIDGET (display));
      screen_mismatches = count_mismatches (screen, x, y, reference, &screen_difference);

      matched = image->width == reference->width && image->height == reference->height &&
                image_mismatches <= allowed && render_mismatches <= allowed && screen_mismatches <= allowed;

      /* And the independent client sees the same. */
      if (matched && reference_client != NULL)
        {
          g_autoptr(Image) second = reference_image ();

          second_mismatches = second ? count_mismatches (second, 0, 0, reference, &second_difference) : G_MAXUINT64;
          matched = second != NULL && second->width == reference->width &&
                    second->height == reference->height && second_mismatches <= allowed;
        }
    }

  {
    g_autoptr(GdkTexture) dump = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GFile) ppm_file = g_file_new_for_path (ppm);

    /* GdkPixbuf reads PPM: keep QEMU's picture next to ours. */
    dump = gdk_texture_new_from_file (ppm_file, &error);
    if (dump != NULL)
      hangar_test_save_texture (dump, dump_name);
  }
  if (last_render != NULL)
    hangar_test_save_texture (last_render, shot_name);

  qmp_close (qmp);
  restart_engine ();

  if (!matched)
    g_error ("the display does not match the guest screen (%d×%d): widget image %dx%d, "
             "%" G_GUINT64_FORMAT " pixels off (max difference %d), rendering %" G_GUINT64_FORMAT
             " pixels off (max difference %d), on the screen %" G_GUINT64_FORMAT
             " pixels off (max difference %d); libvncclient %" G_GUINT64_FORMAT " pixels off "
             "(max difference %d)",
             reference_width, reference_height,
             hangar_display_get_guest_width (display), hangar_display_get_guest_height (display),
             image_mismatches, image_difference, render_mismatches, render_difference,
             screen_mismatches, screen_difference, second_mismatches, second_difference);
  g_test_message ("display matches the %d×%d screendump: %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                  " and %" G_GUINT64_FORMAT " pixels off (cursor blink) in its image, its rendering "
                  "and on the screen; libvncclient: %s", reference_width, reference_height,
                  image_mismatches, render_mismatches, screen_mismatches,
                  reference_client ? "matches too" : "not built in");
}

/* ---- Typing --------------------------------------------------------------- */

typedef struct {
  char  c;
  guint code;
  guint shift;
} KeyOf;

/* A US keyboard: which key, with or without Shift, types each character. */
static const KeyOf us_keys[] = {
  { ' ', KEY_SPACE, 0 }, { '\n', KEY_ENTER, 0 }, { '-', KEY_MINUS, 0 }, { '_', KEY_MINUS, 1 },
  { '=', KEY_EQUAL, 0 }, { '+', KEY_EQUAL, 1 }, { '/', KEY_SLASH, 0 }, { '?', KEY_SLASH, 1 },
  { '.', KEY_DOT, 0 }, { '>', KEY_DOT, 1 }, { ',', KEY_COMMA, 0 }, { '<', KEY_COMMA, 1 },
  { ';', KEY_SEMICOLON, 0 }, { ':', KEY_SEMICOLON, 1 }, { '\'', KEY_APOSTROPHE, 0 },
  { '"', KEY_APOSTROPHE, 1 }, { '\\', KEY_BACKSLASH, 0 }, { '|', KEY_BACKSLASH, 1 },
  { '0', KEY_0, 0 }, { ')', KEY_0, 1 }, { '1', KEY_1, 0 }, { '!', KEY_1, 1 },
  { '2', KEY_2, 0 }, { '3', KEY_3, 0 }, { '4', KEY_4, 0 }, { '$', KEY_4, 1 },
  { '5', KEY_5, 0 }, { '6', KEY_6, 0 }, { '7', KEY_7, 0 }, { '&', KEY_7, 1 },
  { '8', KEY_8, 0 }, { '*', KEY_8, 1 }, { '9', KEY_9, 0 }, { '(', KEY_9, 1 },
};

static const guint letter_keys[26] = {
  KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L, KEY_M,
  KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z,
};

static gboolean
key_of (char   c,
        guint *code,
        guint *shift)
{
  if (g_ascii_islower (c) || g_ascii_isupper (c))
    {
      *code = letter_keys[g_ascii_tolower (c) - 'a'];
      *shift = g_ascii_isupper (c);
      return TRUE;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (us_keys); i++)
    if (us_keys[i].c == c)
      {
        *code = us_keys[i].code;
        *shift = us_keys[i].shift;
        return TRUE;
      }
  return FALSE;
}

static guint
keyval_of (char c)
{
  return c == '\n' ? GDK_KEY_Return : gdk_unicode_to_keyval ((guchar) c);
}

/* Types `text` through the widget's key path, as GTK's key controller
 * hands it key events: X11 key code (evdev + 8) and key symbol. Slowly
 * enough for the guest's PS/2 queue under TCG. */
static void
type_text (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      guint code, shift;

      if (!key_of (*p, &code, &shift))
        g_error ("no key types '%c'", *p);
      if (shift)
        g_assert_true (hangar_display_process_key (display, KEY_LEFTSHIFT + 8, GDK_KEY_Shift_L, TRUE));
      g_assert_true (hangar_display_process_key (display, code + 8, keyval_of (*p), TRUE));
      g_assert_true (hangar_display_process_key (display, code + 8, keyval_of (*p), FALSE));
      if (shift)
        g_assert_true (hangar_display_process_key (display, KEY_LEFTSHIFT + 8, GDK_KEY_Shift_L, FALSE));
      hangar_test_spin (15);
    }
}

/* The same through the public chord API: one chord per character. */
static void
send_text (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      guint code, shift;

      if (!key_of (*p, &code, &shift))
        g_error ("no key types '%c'", *p);
      if (shift)
        hangar_display_send_keys (display, (const guint[]) { KEY_LEFTSHIFT, code }, 2);
      else
        hangar_display_send_keys (display, &code, 1);
      hangar_test_spin (15);
    }
}

/* ---- Opening the display ---------------------------------------------------- */

static int
open_display_fd (void)
{
  return hangar_test_open_display_fd (machine);
}

static void
on_disconnected (HangarDisplay *self,
                 gpointer       data)
{
  (*(guint *) data)++;
}

static guint disconnections;

/* ---- The cases ------------------------------------------------------------ */

static void
test_keymap (void)
{
  /* The main block: evdev numbered these keys by their set-1 codes. */
  g_assert_cmpuint (hangar_keymap_evdev_to_qnum (KEY_ESC), ==, 0x01);
  g_assert_cmpuint (hangar_keymap_evdev_to_qnum (KEY_A), ==, 0x1e);
  g_assert_cmpuint (hangar_keymap_evdev_to_qnum (KEY_LEFTCTRL), ==, 0x1d);
  g_assert_cmpuint (hangar_keymap_evdev_to_qnum (KEY_KPDOT), ==, 0x53);
  /* E0-prefixed keys carry 0x80. */
  g_assert_cmpuint (hangar_keymap_evdev_to_qnum (KEY_RIGHTCTRL), ==, 0x9d);
  g_assert_cmpuint (hangar_keymap_evdev_to_qnum (KEY_RIGHTALT), ==, 0xb8);
  g_assert_cmpuint (hangar_keymap_evdev_to_qnum (KEY_KPENTER), ==, 0x9c);
  g_assert_cmpuint (hangar_keymap_evdev_to_qnum (KEY_UP), ==, 0xc8);
  g_assert_cmpuint (hangar_keymap_evdev_to_qnum (KEY_DELETE), ==, 0xd3);
  g_assert_cmpuint (hangar_keymap_evdev_to_qnum (KEY_LEFTMETA), ==, 0xdb);
  g_assert_cmpuint (hangar_keymap_evdev_to_qnum (KEY_PAUSE), ==, 0xc6);
  /* Not in one block with their evdev codes. */
  g_assert_cmpuint (hangar_keymap_evdev_to_qnum (KEY_F11), ==, 0x57);
  g_assert_cmpuint (hangar_keymap_evdev_to_qnum (KEY_F12), ==, 0x58);
  g_assert_cmpuint (hangar_keymap_evdev_to_qnum (KEY_102ND), ==, 0x56);
  g_assert_cmpuint (hangar_keymap_evdev_to_qnum (KEY_SYSRQ), ==, 0x54);
  /* X11 key codes are evdev + 8. */
  g_assert_cmpuint (hangar_keymap_keycode_to_qnum (KEY_Q + 8), ==, 0x10);
  g_assert_cmpuint (hangar_keymap_keycode_to_qnum (3), ==, 0);
  /* None, and no two keys with one code. */
  g_assert_cmpuint (hangar_keymap_evdev_to_qnum (KEY_RESERVED), ==, 0);
  g_assert_cmpuint (hangar_keymap_evdev_to_qnum (KEY_MAX), ==, 0);
  for (guint code = 1; code < 256; code++)
    {
      guint16 qnum = hangar_keymap_evdev_to_qnum (code);

      if (qnum != 0)
        g_assert_cmpuint (hangar_keymap_qnum_to_evdev (qnum), ==, code);
    }
}

/* Something on the screen: the guest's console text. */
static gboolean
has_image (gpointer data)
{
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(Image) image = NULL;

  if (hangar_display_get_update_count (display) == 0)
    return FALSE;
  texture = hangar_display_get_image (display);
  image = image_from_texture (texture);
  return !image_is_blank (image);
}

static void
test_connect (void)
{
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(Image) image = NULL;

  g_assert_false (hangar_display_is_connected (display));
  g_assert_cmpint (hangar_display_get_guest_width (display), ==, 0);
  g_assert_null (hangar_display_get_image (display));

  g_signal_connect (display, "disconnected", G_CALLBACK (on_disconnected), &disconnections);
  hangar_display_open_fd (display, open_display_fd ());
  g_assert_true (hangar_test_wait_until (is_connected, NULL, UI_TIMEOUT_S));

  /* The VGA text console: 80×25 characters of 9×16 pixels. */
  g_assert_cmpint (hangar_display_get_guest_width (display), ==, 720);
  g_assert_cmpint (hangar_display_get_guest_height (display), ==, 400);
  g_assert_true (hangar_test_wait_until (has_image, NULL, UI_TIMEOUT_S));
  wait_for_frames (GTK_WIDGET (display));
  g_assert_cmpuint (hangar_display_get_update_count (display), >, 0);
  g_assert_cmpuint (hangar_display_get_frame_count (display), >, 0);

  texture = hangar_display_get_image (display);
  g_assert_nonnull (texture);
  image = image_from_texture (texture);
  g_assert_false (image_is_blank (image));
  save_screenshot (GTK_WIDGET (window), "widget-connected.png");

  /* The second client, on a display socket of its own. */
  reference_start (open_display_fd ());
}

static void
test_matches_screendump (void)
{
  assert_display_matches_guest ("screendump");
  /* The first image was one texture, the next ones tiles. */
  g_assert_cmpuint (hangar_display_get_frames_built (display), >=, 1);
}

static void
test_typing (void)
{
  guint64 tiles_before = hangar_display_get_tiles_built (display);

  /* Wake the tty1 shell and give it a fresh prompt. */
  type_text ("\n");
  hangar_test_spin (500);
  type_text ("echo hangar-typed > /dev/ttyS0\n");
  if (!hangar_test_wait_for_console_count (machine, "hangar-typed", 1, UI_TIMEOUT_S))
    g_error ("what was typed on tty1 did not run; the serial log:\n%s", hangar_test_console_log (machine));

  send_text ("echo HANGAR-SENT > /dev/ttyS0\n");
  if (!hangar_test_wait_for_console_count (machine, "HANGAR-SENT", 1, UI_TIMEOUT_S))
    g_error ("the keys sent did not run; the serial log:\n%s", hangar_test_console_log (machine));

  /* A few characters changed on screen: tiles, not whole frames. */
  wait_for_frames (GTK_WIDGET (display));
  g_assert_cmpuint (hangar_display_get_tiles_built (display), >, tiles_before);
  assert_display_matches_guest ("typed");
}

static void
on_notify_count (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    data)
{
  (*(guint *) data)++;
}

static void
test_grab (void)
{
  guint notified = 0;
  gulong handler;

  handler = g_signal_connect (display, "notify::grabbed", G_CALLBACK (on_notify_count), &notified);
  g_assert_false (hangar_display_get_grabbed (display));
  hangar_display_grab_keyboard (display);
  g_assert_true (hangar_display_get_grabbed (display));
  g_assert_cmpuint (notified, ==, 1);
  g_assert_true (gtk_widget_has_focus (GTK_WIDGET (display)));
  save_screenshot (GTK_WIDGET (window), "widget-grabbed.png");

  /* Ctrl, then Alt: released, and the guest got Ctrl back up. */
  g_assert_true (hangar_display_process_key (display, KEY_LEFTCTRL + 8, GDK_KEY_Control_L, TRUE));
  g_assert_true (hangar_display_get_grabbed (display));
  g_assert_true (hangar_display_process_key (display, KEY_LEFTALT + 8, GDK_KEY_Alt_L, TRUE));
  g_assert_false (hangar_display_get_grabbed (display));
  g_assert_cmpuint (notified, ==, 2);
  hangar_display_process_key (display, KEY_LEFTALT + 8, GDK_KEY_Alt_L, FALSE);
  hangar_display_process_key (display, KEY_LEFTCTRL + 8, GDK_KEY_Control_L, FALSE);

  /* Keys still work afterwards (no modifier stuck down in the guest). */
  {

    type_text ("echo hangar-after-grab > /dev/ttyS0\n");
    if (!hangar_test_wait_for_console_count (machine, "hangar-after-grab", 1, UI_TIMEOUT_S))
      g_error ("typing after the grab did not run; the serial log:\n%s", hangar_test_console_log (machine));
  }
  g_signal_handler_disconnect (display, handler);
}

/* ---- Real key events -------------------------------------------------------- */

typedef int (*XTestFakeKeyEventFunc) (Display *, unsigned int, Bool, unsigned long);

static XTestFakeKeyEventFunc fake_key_event;

/* A key as the X server gets it from a keyboard (XTest), through GDK and
 * GTK's event propagation to whatever handles it. */
static void
x_key (guint    evdev_code,
       gboolean pressed)
{
  Display *xdisplay = gdk_x11_display_get_xdisplay (gtk_widget_get_display (GTK_WIDGET (window)));

  fake_key_event (xdisplay, evdev_code + 8, pressed, 0);
  XFlush (xdisplay);
  hangar_test_spin (10);
}

static void
x_type (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      guint code, shift;

      if (!key_of (*p, &code, &shift))
        g_error ("no key types '%c'", *p);
      if (shift)
        x_key (KEY_LEFTSHIFT, TRUE);
      x_key (code, TRUE);
      x_key (code, FALSE);
      if (shift)
        x_key (KEY_LEFTSHIFT, FALSE);
      hangar_test_spin (10);
    }
}

static gboolean
on_shortcut (GtkWidget *widget,
             GVariant  *args,
             gpointer   data)
{
  (*(guint *) data)++;
  return TRUE;
}

static void
test_real_keys (void)
{
  GdkDisplay *gdk_display = gtk_widget_get_display (GTK_WIDGET (window));
  GtkEventController *shortcuts;
  guint shortcut_count = 0;
  Display *xdisplay;
  void *xtst;

  if (!GDK_IS_X11_DISPLAY (gdk_display))
    {
      g_test_skip ("not on X11");
      return;
    }
  xtst = dlopen ("libXtst.so.6", RTLD_NOW);
  fake_key_event = xtst ? (XTestFakeKeyEventFunc) dlsym (xtst, "XTestFakeKeyEvent") : NULL;
  if (fake_key_event == NULL)
    {
      g_test_skip ("no XTest (libxtst6) to make key events with");
      return;
    }

  /* Keyboard focus on our window: there is no window manager. */
  xdisplay = gdk_x11_display_get_xdisplay (gdk_display);
  XSetInputFocus (xdisplay, gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (window))),
                  RevertToParent, CurrentTime);
  XFlush (xdisplay);
  hangar_test_spin (200);

  /* A window-wide shortcut in the capture phase, as the application's
   * accelerators are (F5 here). */
  shortcuts = gtk_shortcut_controller_new ();
  gtk_event_controller_set_propagation_phase (shortcuts, GTK_PHASE_CAPTURE);
  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (shortcuts), GTK_SHORTCUT_SCOPE_GLOBAL);
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_F5, 0),
                                                          gtk_callback_action_new (on_shortcut, &shortcut_count, NULL)));
  gtk_widget_add_controller (GTK_WIDGET (window), shortcuts);

  /* Not grabbed: the application's shortcut wins. */
  gtk_widget_grab_focus (GTK_WIDGET (display));
  x_key (KEY_F5, TRUE);
  x_key (KEY_F5, FALSE);
  g_assert_cmpuint (shortcut_count, ==, 1);

  /* Grabbed: every key goes to the guest, shortcuts included. */
  hangar_display_grab_keyboard (display);
  g_assert_true (hangar_display_get_grabbed (display));
  x_key (KEY_F5, TRUE);
  x_key (KEY_F5, FALSE);
  g_assert_cmpuint (shortcut_count, ==, 1);
  /* The shell got F5's escape sequence: Ctrl+C for a clean line (the
   * guest's /init may start a new shell on tty1 for it: give it time). */
  hangar_test_spin (500);
  x_key (KEY_LEFTCTRL, TRUE);
  x_key (KEY_C, TRUE);
  x_key (KEY_C, FALSE);
  x_key (KEY_LEFTCTRL, FALSE);
  hangar_test_spin (2500);
  x_type ("echo hangar-xtest > /dev/ttyS0\n");
  if (!hangar_test_wait_for_console_count (machine, "hangar-xtest", 1, UI_TIMEOUT_S))
    {
      save_screenshot (GTK_WIDGET (window), "widget-real-keys-failed.png");
      g_error ("keys typed on the X server did not reach the guest; the serial log:\n%s", hangar_test_console_log (machine));
    }

  /* Ctrl+Alt from the keyboard releases. */
  x_key (KEY_LEFTCTRL, TRUE);
  x_key (KEY_LEFTALT, TRUE);
  x_key (KEY_LEFTALT, FALSE);
  x_key (KEY_LEFTCTRL, FALSE);
  g_assert_false (hangar_display_get_grabbed (display));

  gtk_widget_remove_controller (GTK_WIDGET (window), shortcuts);
}

static gboolean
guest_width_is (gpointer data)
{
  return hangar_display_get_guest_width (display) == GPOINTER_TO_INT (data);
}

static void
test_desktop_resize (void)
{
  /* The VGA sequencer's clocking mode register (index 1) bit 0 makes
   * characters 8 pixels wide instead of 9: QEMU's VGA then resizes its
   * console from 720×400 to 640×400, which the display must follow. */
  type_text ("printf '\\001\\001' | dd of=/dev/port bs=1 seek=964\n");
  if (!hangar_test_wait_until (guest_width_is, GINT_TO_POINTER (640), UI_TIMEOUT_S))
    g_error ("the display stayed %d×%d", hangar_display_get_guest_width (display),
             hangar_display_get_guest_height (display));
  g_assert_cmpint (hangar_display_get_guest_height (display), ==, 400);
  g_assert_true (hangar_display_is_connected (display));
  assert_display_matches_guest ("resized");

  /* And back. */
  type_text ("printf '\\001\\000' | dd of=/dev/port bs=1 seek=964\n");
  if (!hangar_test_wait_until (guest_width_is, GINT_TO_POINTER (720), UI_TIMEOUT_S))
    g_error ("the display stayed %d×%d", hangar_display_get_guest_width (display),
             hangar_display_get_guest_height (display));
  assert_display_matches_guest ("resized-back");
}

static void
test_scaling (void)
{
  int x, y, w, h;

  /* Fit: aspect kept, centred, never above 1:1 by default. */
  hangar_display_set_scaling (display, HANGAR_DISPLAY_SCALE_FIT);
  gtk_window_set_default_size (window, 400, 400);
  wait_for_frames (GTK_WIDGET (window));
  g_assert_true (hangar_display_get_image_rect (display, &x, &y, &w, &h));
  g_assert_cmpint (w, ==, gtk_widget_get_width (GTK_WIDGET (display)));
  g_assert_cmpint (abs (h - w * 400 / 720), <=, 1);
  save_screenshot (GTK_WIDGET (window), "widget-fit.png");

  /* 1:1 in a scrolled window: the widget asks for the guest's size. */
  hangar_display_set_scaling (display, HANGAR_DISPLAY_SCALE_NONE);
  wait_for_frames (GTK_WIDGET (window));
  g_assert_true (hangar_display_get_image_rect (display, &x, &y, &w, &h));
  g_assert_cmpint (w, ==, 720);
  g_assert_cmpint (h, ==, 400);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (display)), >=, 720);
  save_screenshot (GTK_WIDGET (window), "widget-1to1-scrolled.png");

  /* Pointer positions map back to guest pixels, clamped to the image. */
  {
    int gx, gy;

    g_assert_true (hangar_display_widget_to_guest (display, x + 100.5, y + 50.5, &gx, &gy));
    g_assert_cmpint (gx, ==, 100);
    g_assert_cmpint (gy, ==, 50);
    g_assert_true (hangar_display_widget_to_guest (display, -10, 10000, &gx, &gy));
    g_assert_cmpint (gx, ==, 0);
    g_assert_cmpint (gy, ==, 399);
    hangar_display_process_pointer (display, 0, FALSE, x + 10, y + 10);
    hangar_display_process_pointer (display, GDK_BUTTON_PRIMARY, TRUE, x + 10, y + 10);
    hangar_display_process_pointer (display, GDK_BUTTON_PRIMARY, FALSE, x + 10, y + 10);
  }

  /* Asking std VGA for another size: QEMU says no, nothing breaks. */
  gtk_window_set_default_size (window, 800, 500);
  hangar_display_set_resize_guest (display, TRUE);
  hangar_test_spin (1500);
  g_assert_true (hangar_display_is_connected (display));
  g_assert_cmpint (hangar_display_get_guest_width (display), ==, 720);
  g_assert_cmpint (hangar_display_get_guest_height (display), ==, 400);
  hangar_display_set_resize_guest (display, FALSE);
  wait_for_frames (GTK_WIDGET (window));
}

/* ---- Nothing drawn under the guest ---------------------------------------- */

/* The widget's own render node, as its window draws it. */
static GskRenderNode *
widget_node (GtkWidget *widget)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();

  gdk_paintable_snapshot (paintable, snapshot, gtk_widget_get_width (widget), gtk_widget_get_height (widget));
  return gtk_snapshot_free_to_node (snapshot);
}

/* The rectangles of every visible colour node under @node, in its
 * coordinates: @sx, @sy, @dx, @dy map a child's coordinates there. */
static void
collect_fills (GskRenderNode   *node,
               float            sx,
               float            sy,
               float            dx,
               float            dy,
               GArray          *fills)
{
  switch (gsk_render_node_get_node_type (node))
    {
    case GSK_CONTAINER_NODE:
      for (guint i = 0; i < gsk_container_node_get_n_children (node); i++)
        collect_fills (gsk_container_node_get_child (node, i), sx, sy, dx, dy, fills);
      break;
    case GSK_TRANSFORM_NODE:
      {
        GskTransform *transform = gsk_transform_node_get_transform (node);
        float tsx, tsy, tdx, tdy;

        g_assert_cmpint (gsk_transform_get_category (transform), >=, GSK_TRANSFORM_CATEGORY_2D_AFFINE);
        gsk_transform_to_affine (transform, &tsx, &tsy, &tdx, &tdy);
        collect_fills (gsk_transform_node_get_child (node), sx * tsx, sy * tsy,
                       dx + sx * tdx, dy + sy * tdy, fills);
      }
      break;
    case GSK_CLIP_NODE:
      collect_fills (gsk_clip_node_get_child (node), sx, sy, dx, dy, fills);
      break;
    case GSK_DEBUG_NODE:
      collect_fills (gsk_debug_node_get_child (node), sx, sy, dx, dy, fills);
      break;
    case GSK_COLOR_NODE:
      if (gsk_color_node_get_color (node)->alpha > 0)
        {
          graphene_rect_t bounds;

          gsk_render_node_get_bounds (node, &bounds);
          bounds = GRAPHENE_RECT_INIT (dx + sx * bounds.origin.x, dy + sy * bounds.origin.y,
                                       sx * bounds.size.width, sy * bounds.size.height);
          g_array_append_val (fills, bounds);
        }
      break;
    default:
      break;
    }
}

/* Every pixel of @widget's rendering is opaque (TRUE), and none of those
 * outside @image (may be NULL) is other than black. */
static void
assert_opaque_black_outside (GtkWidget             *widget,
                             const graphene_rect_t *image_rect)
{
  g_autoptr(GdkTexture) texture = hangar_test_render_widget (widget);
  g_autoptr(Image) image = image_from_texture (texture);

  for (int y = 0; y < image->height; y++)
    for (int x = 0; x < image->width; x++)
      {
        guint32 pixel = *(const guint32 *) (image->data + (gsize) y * image->stride + (gsize) x * 4);

        if ((pixel >> 24) != 0xff)
          g_error ("pixel %d,%d of the widget is not opaque: %08x", x, y, pixel);
        if ((image_rect == NULL ||
             !graphene_rect_contains_point (image_rect, &GRAPHENE_POINT_INIT (x + 0.5f, y + 0.5f))) &&
            (pixel & 0xffffff) != 0)
          g_error ("pixel %d,%d outside the guest image is not black: %08x", x, y, pixel);
      }
}

/* HangarDisplay paints all of itself, black around the guest's image and
 * where there is none yet, so its containers need no background, and it
 * fills nothing under the image: with GTK's cairo renderer a fill there
 * doubles what each frame costs (tests/bench/display-bench). */
static void
test_paints_everything (void)
{
  g_autoptr(GArray) fills = g_array_new (FALSE, FALSE, sizeof (graphene_rect_t));
  g_autoptr(GskRenderNode) node = NULL;
  graphene_rect_t image_rect, inside;
  int x, y, w, h;

  /* Fit in a square: bars above and below the 720×400 guest. */
  hangar_display_set_scaling (display, HANGAR_DISPLAY_SCALE_FIT);
  gtk_window_set_default_size (window, 400, 400);
  wait_for_frames (GTK_WIDGET (window));
  g_assert_true (hangar_display_get_image_rect (display, &x, &y, &w, &h));
  g_assert_cmpint (y, >, 0);
  image_rect = GRAPHENE_RECT_INIT (x, y, w, h);

  node = widget_node (GTK_WIDGET (display));
  collect_fills (node, 1, 1, 0, 0, fills);
  g_assert_cmpuint (fills->len, >=, 2);
  graphene_rect_inset_r (&image_rect, 1, 1, &inside);
  for (guint i = 0; i < fills->len; i++)
    {
      const graphene_rect_t *fill = &g_array_index (fills, graphene_rect_t, i);

      if (graphene_rect_intersection (fill, &inside, NULL))
        g_error ("a fill under the guest image: %g,%g %gx%g (image %d,%d %dx%d)",
                 fill->origin.x, fill->origin.y, fill->size.width, fill->size.height, x, y, w, h);
    }
  assert_opaque_black_outside (GTK_WIDGET (display), &image_rect);

  /* Without a guest image: all black. */
  {
    GtkWindow *other = GTK_WINDOW (gtk_window_new ());
    GtkWidget *blank = hangar_display_new ();

    gtk_window_set_default_size (other, 200, 120);
    gtk_window_set_child (other, blank);
    gtk_window_present (other);
    wait_for_frames (blank);
    g_assert_false (hangar_display_get_image_rect (HANGAR_DISPLAY (blank), &x, &y, &w, &h));
    assert_opaque_black_outside (blank, NULL);
    gtk_window_destroy (other);
  }
}

/* ---- Update requests ------------------------------------------------------- */

/* Two predicates, not one with TRUE as its data: rfbclient.h defines TRUE
 * as -1. */
static gboolean
is_streaming (gpointer data)
{
  return hangar_display_is_streaming (display);
}

static gboolean
is_not_streaming (gpointer data)
{
  return !hangar_display_is_streaming (display);
}

typedef struct {
  gint64 until_us;
  guint  ticks_streaming;
} StreamWatch;

static gboolean
watch_streaming (GtkWidget     *widget,
                 GdkFrameClock *clock,
                 gpointer       data)
{
  StreamWatch *watch = data;

  if (hangar_display_is_streaming (display))
    watch->ticks_streaming++;
  return G_SOURCE_CONTINUE;
}

/* While the guest changes, a request goes out on every frame clock tick
 * (QEMU answers at its own refresh, and backs off when a refresh finds no
 * request); when nothing changes, or only the cursor blinks, only now and
 * then. */
static void
test_streaming (void)
{
  g_autoptr(GError) error = NULL;
  StreamWatch watch = { 0 };
  guint64 requests;
  guint id;

  /* Paused, the guest changes nothing (not even the cursor's blink, which
   * follows the guest's clock): no updates, no requests on ticks. */
  hangar_machine_call_pause_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_until (is_not_streaming, NULL, UI_TIMEOUT_S));
  hangar_test_spin (300);
  g_assert_false (hangar_display_is_streaming (display));
  requests = hangar_display_get_request_count (display);
  hangar_test_spin (500);
  g_assert_false (hangar_display_is_streaming (display));
  g_assert_cmpuint (hangar_display_get_request_count (display) - requests, <=, 1);
  hangar_machine_call_resume_sync (machine, NULL, &error);
  g_assert_no_error (error);

  /* The idle console: its cursor blinks, which starts nothing (after what
   * resuming itself redraws). */
  hangar_test_spin (600);
  id = gtk_widget_add_tick_callback (GTK_WIDGET (display), watch_streaming, &watch, NULL);
  hangar_test_spin (1500);
  g_assert_cmpuint (watch.ticks_streaming, ==, 0);

  /* Lines scrolling for a few seconds: requests follow the frame clock. */
  type_text ("i=0; while test $i -lt 150; do echo $i; i=$((i+1)); usleep 20000; done; "
             "echo hangar-scrolled > /dev/ttyS0\n");
  g_assert_true (hangar_test_wait_until (is_streaming, NULL, UI_TIMEOUT_S));
  requests = hangar_display_get_request_count (display);
  hangar_test_wait_for_frames (GTK_WIDGET (display), UI_TIMEOUT_S);
  g_assert_cmpuint (hangar_display_get_request_count (display) - requests, >=, 2);
  g_assert_true (hangar_test_wait_for_console_count (machine, "hangar-scrolled", 1, UI_TIMEOUT_S));
  g_assert_cmpuint (watch.ticks_streaming, >, 10);
  /* And it ends with them. */
  g_assert_true (hangar_test_wait_until (is_not_streaming, NULL, UI_TIMEOUT_S));
  gtk_widget_remove_tick_callback (GTK_WIDGET (display), id);
}

static void
test_reboot (void)
{
  g_autoptr(GError) error = NULL;
  guint boots = count_in_console (BOOT_MARKER);
  guint disconnections_before = disconnections;
  guint64 updates_before;

  hangar_machine_call_reboot_sync (machine, NULL, &error);
  g_assert_no_error (error);
  if (!hangar_test_wait_for_console_count (machine, BOOT_MARKER, boots + 1, BOOT_TIMEOUT_S))
    g_error ("the guest did not boot again; the serial log:\n%s", hangar_test_console_log (machine));

  updates_before = hangar_display_get_update_count (display);
  if (disconnections == disconnections_before)
    {
      /* QEMU resets the guest in place: the display stays connected. */
      g_assert_true (hangar_display_is_connected (display));
      g_test_message ("the display stayed connected through the reboot");
    }
  else
    {
      g_test_message ("the display was disconnected by the reboot; opening it again");
      g_assert_false (hangar_display_is_connected (display));
      hangar_display_open_fd (display, open_display_fd ());
      g_assert_true (hangar_test_wait_until (is_connected, NULL, UI_TIMEOUT_S));
    }

  /* The new boot's console, drawn. */
  type_text ("echo hangar-rebooted\n");
  hangar_test_spin (2000);
  g_assert_cmpuint (hangar_display_get_update_count (display), >, updates_before);
  assert_display_matches_guest ("rebooted");
}

static void
test_close_and_reopen (void)
{
  hangar_display_close (display);
  g_assert_false (hangar_display_is_connected (display));
  /* The last image stays until the next connection. */
  g_assert_cmpint (hangar_display_get_guest_width (display), ==, 720);

  /* A socket closed before gvnc even started on it: no leak, no crash. */
  hangar_display_open_fd (display, open_display_fd ());
  hangar_display_close (display);

  hangar_display_open_fd (display, open_display_fd ());
  g_assert_true (hangar_test_wait_until (is_connected, NULL, UI_TIMEOUT_S));
  assert_display_matches_guest ("reopened");
}

static gboolean
disconnected_since (gpointer data)
{
  return disconnections > *(guint *) data;
}

static void
test_guest_gone (void)
{
  g_autoptr(GError) error = NULL;
  guint before = disconnections;

  reference_stop ();

  /* QEMU ends: the display says so, and keeps the last image. */
  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", STATE_TIMEOUT_S));
  g_assert_true (hangar_test_wait_until (disconnected_since, &before, UI_TIMEOUT_S));
  g_assert_false (hangar_display_is_connected (display));
  g_assert_false (hangar_display_get_grabbed (display));
  g_assert_cmpint (hangar_display_get_guest_width (display), ==, 720);
  g_test_message ("the display ended with: %s", hangar_display_get_error (display) ?: "(no error)");
  save_screenshot (GTK_WIDGET (window), "widget-guest-gone.png");

  /* Nothing to send to: keys and chords are dropped quietly. */
  g_assert_false (hangar_display_process_key (display, KEY_A + 8, GDK_KEY_a, TRUE));
  hangar_display_send_keys (display, (const guint[]) { KEY_LEFTCTRL, KEY_LEFTALT, KEY_DELETE }, 3);
}

/* ---- Tile seams ------------------------------------------------------------ */

/* How far a rendered pixel lies outside the range of the guest pixels it
 * was made from: any filter, at any scale, mixes the pixels around a
 * point, so its result stays between their smallest and largest values.
 * A seam (a gap showing what lies below, or a texture edge filtered with
 * the transparency beyond it) does not. */
static int
pixel_out_of_range (const Image *rendered,
                    int          px,
                    int          py,
                    double       ox,
                    double       oy,
                    double       width,
                    double       height,
                    const Image *guest)
{
  int gx = (int) floor ((px - ox + 0.5) * guest->width / width);
  int gy = (int) floor ((py - oy + 0.5) * guest->height / height);
  guint8 lo[3] = { 255, 255, 255 }, hi[3] = { 0, 0, 0 }, rgb[3];
  int excess = 0;

  for (int y = MAX (0, gy - 2); y <= MIN (guest->height - 1, gy + 2); y++)
    for (int x = MAX (0, gx - 2); x <= MIN (guest->width - 1, gx + 2); x++)
      {
        pixel_rgb (guest, x, y, rgb);
        for (int c = 0; c < 3; c++)
          {
            lo[c] = MIN (lo[c], rgb[c]);
            hi[c] = MAX (hi[c], rgb[c]);
          }
      }
  pixel_rgb (rendered, px, py, rgb);
  for (int c = 0; c < 3; c++)
    excess = MAX (excess, MAX ((int) lo[c] - (int) rgb[c], (int) rgb[c] - (int) hi[c]));
  return excess;
}

/* Checks the rendered pixels along every tile edge (the columns and rows
 * around x or y = 128·k, scaled) of an image drawn at (ox, oy, width,
 * height), which may fall between pixels; returns how many are off, and
 * the worst. Pixels the image covers only in part (its outer edge) are
 * left out. */
static guint
count_seam_pixels (const Image *rendered,
                   double       ox,
                   double       oy,
                   double       width,
                   double       height,
                   const Image *guest,
                   int         *worst)
{
  double sx = width / guest->width, sy = height / guest->height;
  int left = (int) ceil (ox), top = (int) ceil (oy);
  int right = (int) floor (ox + width), bottom = (int) floor (oy + height);
  guint off = 0;

  *worst = 0;
  g_assert_cmpint (right, <=, rendered->width);
  g_assert_cmpint (bottom, <=, rendered->height);

  for (int k = 1; k * HANGAR_DISPLAY_TILE_SIZE < guest->width; k++)
    {
      int edge = (int) floor (ox + k * HANGAR_DISPLAY_TILE_SIZE * sx);

      for (int px = MAX (left, edge - 1); px <= MIN (right - 1, edge + 1); px++)
        for (int py = top; py < bottom; py++)
          {
            int excess = pixel_out_of_range (rendered, px, py, ox, oy, width, height, guest);

            if (excess > CHANNEL_TOLERANCE)
              off++;
            *worst = MAX (*worst, excess);
          }
    }
  for (int k = 1; k * HANGAR_DISPLAY_TILE_SIZE < guest->height; k++)
    {
      int edge = (int) floor (oy + k * HANGAR_DISPLAY_TILE_SIZE * sy);

      for (int py = MAX (top, edge - 1); py <= MIN (bottom - 1, edge + 1); py++)
        for (int px = left; px < right; px++)
          {
            int excess = pixel_out_of_range (rendered, px, py, ox, oy, width, height, guest);

            if (excess > CHANNEL_TOLERANCE)
              off++;
            *worst = MAX (*worst, excess);
          }
    }
  return off;
}

/* The paintable alone, drawn at width × height with a renderer, moved by
 * (ox, oy) and scaled by `zoom` as a whole (as a transformed widget, or
 * GtkWidgetPaintable at another size, would draw it). */
static GdkTexture *
render_paintable (GskRenderer  *renderer,
                  GdkPaintable *paintable,
                  int           width,
                  int           height,
                  double        ox,
                  double        oy,
                  double        zoom)
{
  g_autoptr(GskRenderNode) node = NULL;
  GtkSnapshot *snapshot = gtk_snapshot_new ();

  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (ox, oy));
  gtk_snapshot_scale (snapshot, zoom, zoom);
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  return gsk_renderer_render_texture (renderer, node,
                                      &GRAPHENE_RECT_INIT (0, 0, ceil (ox + width * zoom),
                                                           ceil (oy + height * zoom)));
}

static void
fill_rect (HangarDisplayTiles *tiles,
           int                 x0,
           int                 y0,
           int                 x1,
           int                 y1,
           guint32             (*pixel) (int x, int y))
{
  guint8 *buffer = hangar_display_tiles_get_buffer (tiles);
  gsize stride = hangar_display_tiles_get_stride (tiles);

  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      /* B, G, R, A in memory: 0xffRRGGBB little-endian, opaque. */
      *(guint32 *) (buffer + (gsize) y * stride + (gsize) x * 4) = GUINT32_TO_LE (0xff000000u | pixel (x, y));
  hangar_display_tiles_damage (tiles, x0, y0, x1 - x0, y1 - y0);
}

static guint32
black_pixel (int x,
             int y)
{
  return 0x000000;
}

/* Mostly white, with a few grey dots away from every tile edge: a seam
 * showing what lies below (the older black frame, the empty background)
 * would stand out. */
static guint32
dotted_pixel (int x,
              int y)
{
  return (x % 32 == 16 && y % 32 == 16) ? 0x808080 : 0xffffff;
}

static void
check_tiles_rendering (GskRenderer        *renderer,
                       const char         *renderer_name,
                       HangarDisplayTiles *tiles,
                       const Image        *guest)
{
  /* 1:1, a non-multiple fit both ways, larger; then 1:1 and fitted again,
   * but moved by parts of a pixel and scaled as a whole. */
  static const struct { int width, height; double ox, oy, zoom; } sizes[] = {
    { 720, 400, 0, 0, 1 }, { 500, 278, 0, 0, 1 }, { 611, 333, 0, 0, 1 }, { 1000, 555, 0, 0, 1 },
    { 720, 400, 0.37, 0.61, 0.97 }, { 500, 278, 0.5, 0.25, 1.13 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GdkTexture) texture = render_paintable (renderer, GDK_PAINTABLE (tiles),
                                                        sizes[i].width, sizes[i].height,
                                                        sizes[i].ox, sizes[i].oy, sizes[i].zoom);
      g_autoptr(Image) rendered = image_from_texture (texture);
      g_autofree char *name = g_strdup_printf ("tiles-%s-%dx%d%s.png", renderer_name,
                                               sizes[i].width, sizes[i].height,
                                               sizes[i].zoom != 1 ? "-transformed" : "");
      guint off;
      int worst;

      hangar_test_save_texture (texture, name);
      off = count_seam_pixels (rendered, sizes[i].ox, sizes[i].oy,
                               sizes[i].width * sizes[i].zoom, sizes[i].height * sizes[i].zoom,
                               guest, &worst);
      g_test_message ("%s at %d×%d (moved by %g, %g, scaled by %g): %u pixels along tile edges off "
                      "(worst by %d)", renderer_name, sizes[i].width, sizes[i].height,
                      sizes[i].ox, sizes[i].oy, sizes[i].zoom, off, worst);
      g_assert_cmpuint (off, ==, 0);

      if (sizes[i].width == guest->width && sizes[i].zoom == 1)
        {
          /* 1:1: every pixel exactly the guest's. */
          int difference;

          g_assert_cmpuint (count_mismatches (rendered, 0, 0, guest, &difference), ==, 0);
          g_assert_cmpint (difference, ==, 0);
        }
    }
}

/* A whole frame, then tiles of a newer image: wherever a tile edge lets
 * the older picture or the background (black) or the texture's outside
 * show, it is a seam. */
static void
test_tiles_seams (void)
{
  g_autoptr(HangarDisplayTiles) tiles = hangar_display_tiles_new (720, 400, NULL);
  g_autoptr(GdkTexture) guest_texture = NULL;
  g_autoptr(Image) guest = NULL;
  g_autoptr(GskRenderer) gl = NULL;
  g_autoptr(GError) error = NULL;
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));

  fill_rect (tiles, 0, 0, 720, 400, black_pixel);
  g_assert_true (hangar_display_tiles_flush (tiles));
  g_assert_cmpuint (hangar_display_tiles_get_frames_built (tiles), ==, 1);

  /* Half the tiles (the top two rows) change: tiles again. */
  fill_rect (tiles, 0, 0, 720, 200, dotted_pixel);
  g_assert_true (hangar_display_tiles_flush (tiles));
  g_assert_cmpuint (hangar_display_tiles_get_frames_built (tiles), ==, 1);
  g_assert_cmpuint (hangar_display_tiles_get_tiles_built (tiles), >=, 12);

  guest_texture = hangar_display_tiles_to_texture (tiles);
  guest = image_from_texture (guest_texture);

  check_tiles_rendering (gtk_native_get_renderer (GTK_NATIVE (window)), "cairo", tiles, guest);

  /* What the widget draws with under the cairo renderer: cached cairo
   * nodes, rebuilt by the flush. */
  hangar_display_tiles_set_cairo_nodes (tiles, TRUE);
  hangar_display_tiles_flush (tiles);
  check_tiles_rendering (gtk_native_get_renderer (GTK_NATIVE (window)), "cairo-nodes", tiles, guest);
  hangar_display_tiles_set_cairo_nodes (tiles, FALSE);
  hangar_display_tiles_flush (tiles);

  /* What the app uses by default; under Xvfb, Mesa's llvmpipe. */
  gl = gsk_gl_renderer_new ();
  if (!gsk_renderer_realize (gl, surface, &error))
    {
      g_test_message ("no GL renderer here (%s): cairo only", error->message);
      return;
    }
  check_tiles_rendering (gl, "gl", tiles, guest);
  gsk_renderer_unrealize (gl);
}

/* The widget on the real guest, fitted into a size that is no multiple of
 * the tiles, then at 1:1: no tile edge shows. */
static void
test_no_seams (void)
{
  static const struct { int width, height; } sizes[] = { { 520, 380 }, { 0, 0 } };

  /* A long line of text across every tile column, changed after the
   * display's last whole frame: tiles over a frame that still has what
   * was there before. */
  type_text ("echo hangar-seams-hangar-seams-hangar-seams-hangar-seams-hangar-seams > /dev/ttyS0\n");
  if (!hangar_test_wait_for_console_count (machine, "hangar-seams", 1, UI_TIMEOUT_S))
    g_error ("what was typed on tty1 did not run; the serial log:\n%s", hangar_test_console_log (machine));

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GdkTexture) texture = NULL;
      g_autoptr(GdkTexture) guest_texture = NULL;
      g_autoptr(Image) rendered = NULL;
      g_autoptr(Image) guest = NULL;
      g_autofree char *name = NULL;
      int x, y, w, h, worst;
      guint off;

      if (sizes[i].width > 0)
        {
          hangar_display_set_scaling (display, HANGAR_DISPLAY_SCALE_FIT);
          gtk_window_set_default_size (window, sizes[i].width, sizes[i].height);
        }
      else
        {
          hangar_display_set_scaling (display, HANGAR_DISPLAY_SCALE_NONE);
          gtk_window_set_default_size (window, 800, 500);
        }
      wait_for_frames (GTK_WIDGET (window));

      /* Both from the same buffer, with no update in between. */
      texture = hangar_test_render_widget (GTK_WIDGET (display));
      guest_texture = hangar_display_get_image (display);
      rendered = image_from_texture (texture);
      guest = image_from_texture (guest_texture);
      g_assert_true (hangar_display_get_image_rect (display, &x, &y, &w, &h));
      name = g_strdup_printf ("widget-seams-%dx%d.png", w, h);
      hangar_test_save_texture (texture, name);

      off = count_seam_pixels (rendered, x, y, w, h, guest, &worst);
      g_test_message ("drawn at %d×%d: %u pixels along tile edges off (worst by %d)", w, h, off, worst);
      g_assert_cmpuint (off, ==, 0);
      if (w == guest->width)
        {
          int difference;

          g_assert_cmpuint (count_mismatches (rendered, x, y, guest, &difference), ==, 0);
        }
      else
        g_assert_cmpint (w, <, guest->width);
    }
}

/* ---- Setup ---------------------------------------------------------------- */

static void
start_guest (void)
{
  g_autofree char *base = hangar_test_guest_xml (GUEST_NAME, NULL);
  g_autoptr(GString) xml = g_string_new (base);
  g_autoptr(GError) error = NULL;

  g_string_replace (xml, "  <devices>\n",
                    "  <devices>\n"
                    "    <graphics type='vnc'/>\n"
                    "    <video><model type='vga'/></video>\n", 1);
  machine = hangar_test_env_define (env, xml->str);
  machine_uuid = g_strdup (hangar_machine_get_uuid (machine));
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (machine), 5 * 60 * 1000);
  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);
  if (!hangar_test_wait_for_console (machine, BOOT_MARKER, BOOT_TIMEOUT_S))
    g_error ("the guest did not boot; the serial log:\n%s", hangar_test_console_log (machine));
}

static void
make_window (void)
{
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_title (window, "HangarDisplay");
  gtk_window_set_default_size (window, 800, 500);
  display = HANGAR_DISPLAY (hangar_display_new ());
  /* 1:1, so the rendering can be compared pixel for pixel. */
  hangar_display_set_scaling (display, HANGAR_DISPLAY_SCALE_NONE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (display));
  gtk_window_set_child (window, scrolled);
  gtk_window_present (window);
  wait_for_frames (GTK_WIDGET (window));
}

int
main (int    argc,
      char **argv)
{
  int status;

  if (!hangar_test_gui_init (&argc, &argv))
    return g_test_run ();
  /* gvnc's protocol trace, for a display that does not come up. */
  if (g_getenv ("HANGAR_TEST_VNC_DEBUG") != NULL)
    vnc_util_set_debug (TRUE);

  g_test_add_func ("/display/keymap", test_keymap);
  g_test_add_func ("/display/connect", test_connect);
  g_test_add_func ("/display/matches-screendump", test_matches_screendump);
  g_test_add_func ("/display/typing", test_typing);
  g_test_add_func ("/display/grab", test_grab);
  g_test_add_func ("/display/real-keys", test_real_keys);
  g_test_add_func ("/display/desktop-resize", test_desktop_resize);
  g_test_add_func ("/display/scaling", test_scaling);
  g_test_add_func ("/display/paints-everything", test_paints_everything);
  g_test_add_func ("/display/streaming", test_streaming);
  g_test_add_func ("/display/tiles-seams", test_tiles_seams);
  g_test_add_func ("/display/no-seams", test_no_seams);
  g_test_add_func ("/display/reboot", test_reboot);
  g_test_add_func ("/display/close-and-reopen", test_close_and_reopen);
  g_test_add_func ("/display/guest-gone", test_guest_gone);

  env = hangar_test_env_new (FALSE);   /* with its engine started */
  start_guest ();
  make_window ();

  status = g_test_run ();

  reference_stop ();
  gtk_window_destroy (window);
  g_clear_object (&machine);
  hangar_test_env_free (env);
  g_free (machine_uuid);
  return status;
}
