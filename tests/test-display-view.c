/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-display-view"

/* The machine page's Display view in the real app against the real engine
 * (a private dbus-daemon, the real hangard, the busybox guest under QEMU
 * with a VGA card): the placeholders, the display connecting after Start,
 * keys reaching the guest (typed commands and the send-keys menu switching
 * the guest's virtual terminal, seen on its serial console), reconnecting
 * after a dropped socket, a guest reboot and an engine restart, detaching
 * and fullscreen keeping one connection, and screenshots. Runs under Xvfb
 * (meson test --suite gui) and saves screenshots in tests/screenshots/ of
 * the build tree. The cases run in order on one engine and one window. */

#include <adwaita.h>
#include <glib/gstdio.h>
#include <linux/input-event-codes.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "hangar-application.h"
#include "hangar-display-view.h"
#include "hangar-display-private.h"
#include "hangar-display-window.h"
#include "hangar-machine-page.h"
#include "hangar-test-env.h"
#include "hangar-test-gui.h"
#include "hangar-window.h"

#define UI_TIMEOUT_S     30
#define GUEST_TIMEOUT_S  180
#define BOOT_MARKER      "HANGAR-GUEST-BOOTED"
#define DISPLAY_MACHINE  "disp-guest"
#define PLAIN_MACHINE    "plain-guest"
#define VIRTIO_MACHINE   "virtio-guest"
#define KEY_INTERVAL_MS  40

static HangarTestEnv     *env;
static HangarApplication *app;
static HangarWindow      *window;
static HangarMachine     *machine;       /* DISPLAY_MACHINE, the current proxy */
static char              *machine_path;
static char              *tmpdir;

/* ---- Finding things ------------------------------------------------------- */

static HangarMachinePage *
page (void)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (window), HANGAR_TYPE_WINDOW, "machine_page");

  g_assert_nonnull (object);
  return HANGAR_MACHINE_PAGE (object);
}

static gpointer
page_child (const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (page ()), HANGAR_TYPE_MACHINE_PAGE, name);

  g_assert_nonnull (object);
  return object;
}

static HangarDisplayView *
view (void)
{
  return HANGAR_DISPLAY_VIEW (page_child ("display_view"));
}

static gpointer
view_child (const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (view ()), HANGAR_TYPE_DISPLAY_VIEW, name);

  g_assert_nonnull (object);
  return object;
}

static HangarDisplay *
display (void)
{
  return hangar_display_view_get_display (view ());
}

static const char *
display_page (void)
{
  return gtk_stack_get_visible_child_name (GTK_STACK (page_child ("display_stack")));
}

static const char *
visible_view (void)
{
  return adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (page_child ("stack")));
}

static HangarMachine *
lookup (const char *name)
{
  return hangar_test_env_lookup (env, name);
}

/* ---- Waiting -------------------------------------------------------------- */

/* Runs the main loop for @ms. */
static void
pump (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

static gboolean
display_page_is (gpointer data)
{
  return g_strcmp0 (display_page (), data) == 0;
}

static void
wait_for_display_page (const char *name)
{
  if (!hangar_test_wait_until (display_page_is, (gpointer) name, UI_TIMEOUT_S))
    g_error ("the Display view shows “%s”, not “%s”", display_page (), name);
}

static gboolean
connected_at_least (gpointer data)
{
  return hangar_display_is_connected (display ()) &&
         hangar_display_view_get_connection_count (view ()) >= GPOINTER_TO_UINT (data);
}

static void
wait_for_connections (guint count)
{
  if (!hangar_test_wait_until (connected_at_least, GUINT_TO_POINTER (count), GUEST_TIMEOUT_S))
    g_error ("the display is %sconnected after %u connections, not %u; it says “%s”",
             hangar_display_is_connected (display ()) ? "" : "not ",
             hangar_display_view_get_connection_count (view ()), count,
             gtk_label_get_label (GTK_LABEL (view_child ("status_label"))));
}

/* How many pixels of the guest's image are not black: the shell's text. */
static guint
lit_pixels (void)
{
  g_autoptr(GdkTexture) texture = hangar_display_get_image (display ());
  g_autofree guchar *pixels = NULL;
  int width, height;
  guint lit = 0;

  if (texture == NULL)
    return 0;
  width = gdk_texture_get_width (texture);
  height = gdk_texture_get_height (texture);
  pixels = g_malloc ((gsize) width * height * 4);
  gdk_texture_download (texture, pixels, (gsize) width * 4);
  for (gsize i = 0; i < (gsize) width * height; i++)
    if (pixels[i * 4] > 0x40 || pixels[i * 4 + 1] > 0x40 || pixels[i * 4 + 2] > 0x40)
      lit++;
  return lit;
}

static gboolean
guest_text_shown (gpointer data)
{
  return lit_pixels () > 200;
}

static void
wait_for_guest_text (void)
{
  if (!hangar_test_wait_until (guest_text_shown, NULL, GUEST_TIMEOUT_S))
    g_error ("the display never showed the guest's text (%u lit pixels)", lit_pixels ());
}

static guint
count_in_console (const char *needle)
{
  g_autofree char *text = hangar_test_console_log (machine);

  return hangar_test_count (text, needle);
}

typedef struct {
  const char *after;    /* NULL: anywhere */
  const char *needle;
} ConsoleOrder;

/* @needle appears after the last @after. */
static gboolean
console_has_after (gpointer data)
{
  const ConsoleOrder *order = data;
  g_autofree char *text = hangar_test_console_log (machine);
  const char *from = text;

  if (order->after != NULL)
    {
      for (const char *p = strstr (text, order->after); p != NULL; p = strstr (p + 1, order->after))
        from = p + strlen (order->after);
      if (from == text)
        return FALSE;
    }
  return strstr (from, order->needle) != NULL;
}

static void
wait_for_console (const char *after,
                  const char *needle)
{
  ConsoleOrder order = { after, needle };

  if (!hangar_test_wait_until (console_has_after, &order, GUEST_TIMEOUT_S))
    {
      g_autofree char *text = hangar_test_console_log (machine);
      gsize length = strlen (text);

      g_error ("the console never said “%s”%s%s; it ends with:\n%s", needle,
               after ? " after " : "", after ? after : "", text + (length > 2000 ? length - 2000 : 0));
    }
}

static gboolean
count_in_console_at_least (gpointer data)
{
  const ConsoleOrder *order = data;

  return count_in_console (order->needle) >= GPOINTER_TO_UINT (order->after);
}

static void
wait_for_console_count (const char *needle,
                        guint       count)
{
  ConsoleOrder order = { GUINT_TO_POINTER (count), needle };

  if (!hangar_test_wait_until (count_in_console_at_least, &order, GUEST_TIMEOUT_S))
    {
      g_autofree char *text = hangar_test_console_log (machine);
      gsize length = strlen (text);

      g_error ("the console said “%s” %u times, not %u; it ends with:\n%s", needle,
               count_in_console (needle), count, text + (length > 2000 ? length - 2000 : 0));
    }
}

/* ---- Screenshots ---------------------------------------------------------- */

static void
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  hangar_test_save_screenshot (widget, name, UI_TIMEOUT_S);
}

/* ---- Keys ----------------------------------------------------------------- */

/* A character typed on a US keyboard, as evdev codes. */
static gsize
char_to_keys (char   c,
              guint *codes)
{
  static const char *letters = "abcdefghijklmnopqrstuvwxyz";
  static const guint letter_keys[] = {
    KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L, KEY_M,
    KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z,
  };
  static const guint digit_keys[] = {
    KEY_0, KEY_1, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8, KEY_9,
  };
  const char *letter = strchr (letters, c);

  if (c != '\0' && letter != NULL)
    {
      codes[0] = letter_keys[letter - letters];
      return 1;
    }
  if (g_ascii_isupper (c))
    {
      codes[0] = KEY_LEFTSHIFT;
      codes[1] = letter_keys[strchr (letters, g_ascii_tolower (c)) - letters];
      return 2;
    }
  if (g_ascii_isdigit (c))
    {
      codes[0] = digit_keys[c - '0'];
      return 1;
    }
  switch (c)
    {
    case ' ':  codes[0] = KEY_SPACE; return 1;
    case '\n': codes[0] = KEY_ENTER; return 1;
    case '-':  codes[0] = KEY_MINUS; return 1;
    case '.':  codes[0] = KEY_DOT; return 1;
    case '/':  codes[0] = KEY_SLASH; return 1;
    case ';':  codes[0] = KEY_SEMICOLON; return 1;
    case '>':  codes[0] = KEY_LEFTSHIFT; codes[1] = KEY_DOT; return 2;
    case '$':  codes[0] = KEY_LEFTSHIFT; codes[1] = KEY_4; return 2;
    case '(':  codes[0] = KEY_LEFTSHIFT; codes[1] = KEY_9; return 2;
    case ')':  codes[0] = KEY_LEFTSHIFT; codes[1] = KEY_0; return 2;
    case '&':  codes[0] = KEY_LEFTSHIFT; codes[1] = KEY_7; return 2;
    default:
      g_error ("no key for '%c'", c);
    }
}

/* Types @text on the guest's VGA console through the widget, slowly
 * enough for a guest under TCG to take every key. */
static void
type_text (const char *text)
{
  for (const char *c = text; *c != '\0'; c++)
    {
      guint codes[2];
      gsize n = char_to_keys (*c, codes);

      hangar_display_send_keys (display (), codes, n);
      pump (KEY_INTERVAL_MS);
    }
}

/* Activates the send-keys menu's item for @target, as a click on it would. */
static void
activate_menu_item (const char *target)
{
  GMenuModel *menu = gtk_menu_button_get_menu_model (view_child ("send_keys_button"));
  guint found = 0;

  for (int s = 0; s < g_menu_model_get_n_items (menu); s++)
    {
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (menu, s, G_MENU_LINK_SECTION);

      for (int i = 0; section != NULL && i < g_menu_model_get_n_items (section); i++)
        {
          g_autofree char *action = NULL;
          g_autoptr(GVariant) value = g_menu_model_get_item_attribute_value (section, i, G_MENU_ATTRIBUTE_TARGET, NULL);

          g_menu_model_get_item_attribute (section, i, G_MENU_ATTRIBUTE_ACTION, "s", &action);
          if (value == NULL || !g_str_equal (g_variant_get_string (value, NULL), target))
            continue;
          g_assert_true (gtk_widget_activate_action_variant (GTK_WIDGET (view_child ("send_keys_button")),
                                                              action, value));
          found++;
        }
    }
  g_assert_cmpuint (found, ==, 1);
}

static guint
count_menu_items (void)
{
  GMenuModel *menu = gtk_menu_button_get_menu_model (view_child ("send_keys_button"));
  guint n = 0;

  for (int s = 0; s < g_menu_model_get_n_items (menu); s++)
    {
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (menu, s, G_MENU_LINK_SECTION);

      n += section != NULL ? g_menu_model_get_n_items (section) : 0;
    }
  return n;
}

/* ---- The cases ------------------------------------------------------------ */

static gboolean
selected_is (gpointer data)
{
  HangarMachine *selected = hangar_window_get_selected_machine (window);

  return selected != NULL && g_strcmp0 (hangar_machine_get_name (selected), data) == 0;
}

/* Selects @name in the list, once the list shows it. */
static gboolean
listed_and_selected (gpointer data)
{
  g_autoptr(HangarMachine) proxy = lookup (data);

  return hangar_window_select_machine (window, g_dbus_proxy_get_object_path (G_DBUS_PROXY (proxy))) &&
         selected_is (data);
}

static void
select_machine (const char *name)
{
  if (!hangar_test_wait_until (listed_and_selected, (gpointer) name, UI_TIMEOUT_S))
    g_error ("%s was never selected", name);
}

static void
test_placeholders (void)
{
  select_machine (DISPLAY_MACHINE);

  /* Shut off: the page opens on the Overview; its Display says how to see one. */
  g_assert_cmpstr (visible_view (), ==, "overview");
  adw_view_stack_set_visible_child_name (page_child ("stack"), "display");
  wait_for_display_page ("off");
  g_assert_cmpstr (adw_status_page_get_description (page_child ("display_off_page")), ==,
                   "Start the machine to see its display.");
  g_assert_cmpstr (gtk_actionable_get_action_name (page_child ("display_start_button")), ==, "machine.start");
  g_assert_true (gtk_widget_is_sensitive (page_child ("display_start_button")));
  g_assert_false (hangar_display_is_connected (display ()));
  save_screenshot (GTK_WIDGET (window), "display-shut-off.png");

  /* VGA: the guest cannot be resized to the window. */
  g_assert_false (gtk_widget_is_sensitive (view_child ("resize_guest_button")));

  /* virtio: it can. */
  select_machine (VIRTIO_MACHINE);
  g_assert_true (hangar_test_wait_until ((GSourceFunc) gtk_widget_is_sensitive,
                                         view_child ("resize_guest_button"), UI_TIMEOUT_S));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (view_child ("resize_guest_button")), ==,
                   "Resize Guest to Window");
}

static gboolean
view_is (gpointer data)
{
  return g_strcmp0 (visible_view (), data) == 0;
}

/* A running machine without graphics: the page opens on its Display, learns
 * it has none, and goes to the Overview; the Display says why. */
static void
test_no_graphics (void)
{
  g_autoptr(HangarMachine) plain = lookup (PLAIN_MACHINE);
  g_autoptr(GError) error = NULL;

  hangar_machine_call_start_sync (plain, NULL, &error);
  g_assert_no_error (error);
  select_machine (PLAIN_MACHINE);
  g_assert_true (hangar_test_wait_until (view_is, "overview", UI_TIMEOUT_S));
  wait_for_display_page ("no-graphics");
  adw_view_stack_set_visible_child_name (page_child ("stack"), "display");
  save_screenshot (GTK_WIDGET (window), "display-no-graphics.png");
  g_assert_false (hangar_display_is_connected (display ()));

  hangar_machine_call_force_off_sync (plain, NULL, &error);
  g_assert_no_error (error);
}

static void
test_start_connects (void)
{
  select_machine (DISPLAY_MACHINE);
  adw_view_stack_set_visible_child_name (page_child ("stack"), "display");
  wait_for_display_page ("off");

  /* The placeholder's own Start button. */
  g_signal_emit_by_name (page_child ("display_start_button"), "clicked");
  g_assert_true (hangar_test_wait_for_state (machine, "running", GUEST_TIMEOUT_S));
  wait_for_display_page ("view");
  wait_for_connections (1);
  g_assert_cmpuint (hangar_display_view_get_connection_count (view ()), ==, 1);
  g_assert_false (gtk_widget_get_visible (view_child ("status_box")));

  g_assert_true (hangar_test_wait_for_console (machine, BOOT_MARKER, GUEST_TIMEOUT_S));
  wait_for_guest_text ();
  g_assert_cmpint (hangar_display_get_guest_width (display ()), >, 0);
  g_assert_cmpint (hangar_display_get_guest_height (display ()), >, 0);
  g_test_message ("guest display %d×%d", hangar_display_get_guest_width (display ()),
                  hangar_display_get_guest_height (display ()));
  save_screenshot (GTK_WIDGET (window), "display-running.png");

  /* A running machine opens on its Display. */
  select_machine (VIRTIO_MACHINE);
  g_assert_false (hangar_display_is_connected (display ()));
  select_machine (DISPLAY_MACHINE);
  g_assert_cmpstr (visible_view (), ==, "display");
  wait_for_connections (1);
  wait_for_guest_text ();
}

static void
test_grab_hint (void)
{
  GtkRevealer *hint = view_child ("hint_revealer");

  g_assert_false (gtk_revealer_get_reveal_child (hint));
  hangar_display_grab_keyboard (display ());
  g_assert_true (hangar_display_get_grabbed (display ()));
  g_assert_true (gtk_revealer_get_reveal_child (hint));
  g_assert_cmpstr (gtk_label_get_label (view_child ("hint_label")), ==, "Press Ctrl+Alt to release the keyboard");
  save_screenshot (GTK_WIDGET (window), "display-grabbed.png");
  hangar_display_release_keyboard (display ());
  g_assert_false (gtk_revealer_get_reveal_child (hint));
}

/* Keys reach the guest: typed commands run on its VGA console, and the
 * send-keys menu's Ctrl+Alt+F2 and Ctrl+Alt+F1 switch its virtual terminal
 * (the guest writes the active one to its serial console every second). */
static void
test_send_keys (void)
{
  static const char *harmless[] = {
    "ctrl-alt-backspace", "ctrl-alt-f3", "ctrl-alt-f4", "ctrl-alt-f5", "ctrl-alt-f6",
    "ctrl-alt-f7", "print",
  };
  guint before;

  g_assert_cmpuint (count_menu_items (), ==, 10);

  /* Opening tty2 allocates the second terminal, which Ctrl+Alt+F2 needs. */
  type_text ("echo hi >/dev/tty2; while sleep 1; do echo vt-$(cat /sys/class/tty/tty0/active) >/dev/ttyS0; done &\n");
  wait_for_console (NULL, "vt-tty1");

  /* Keys with nothing to see: the guest stays on tty1 (F3 to F7 are not
   * allocated; nothing in this guest listens to the others). Ctrl+Alt+Del
   * is seen in /display-view/reboot. */
  for (guint i = 0; i < G_N_ELEMENTS (harmless); i++)
    activate_menu_item (harmless[i]);
  before = count_in_console ("vt-tty1");
  wait_for_console_count ("vt-tty1", before + 2);
  g_assert_cmpuint (count_in_console ("vt-tty2"), ==, 0);

  activate_menu_item ("ctrl-alt-f2");
  wait_for_console (NULL, "vt-tty2");
  save_screenshot (GTK_WIDGET (window), "display-vt2.png");

  activate_menu_item ("ctrl-alt-f1");
  wait_for_console ("vt-tty2", "vt-tty1");
  wait_for_guest_text ();
  save_screenshot (GTK_WIDGET (window), "display-vt1.png");
}

/* The widget's socket: the one whose peer is the engine that made the pair. */
static int
find_display_socket (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;
  int found = -1;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      int fd = atoi (name);
      struct ucred cred;
      socklen_t length = sizeof cred;
      struct stat st;

      if (fstat (fd, &st) != 0 || !S_ISSOCK (st.st_mode))
        continue;
      if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0)
        continue;
      if (cred.pid == env->engine_pid)
        {
          g_assert_cmpint (found, ==, -1);
          found = fd;
        }
    }
  g_assert_cmpint (found, >=, 0);
  return found;
}

/* The socket breaks under the widget: the view opens another by itself. */
static void
test_reconnect_after_drop (void)
{
  guint count = hangar_display_view_get_connection_count (view ());
  int fd = find_display_socket ();

  g_assert_cmpint (shutdown (fd, SHUT_RDWR), ==, 0);
  wait_for_connections (count + 1);
  wait_for_guest_text ();
  g_assert_false (gtk_widget_get_visible (view_child ("status_box")));
}

/* The guest reboots twice: Ctrl+Alt+Del from the send-keys menu (the
 * kernel restarts at once: no init has told it otherwise), then the
 * engine's Reboot (the power button, then a reset). */
static void
test_reboot (void)
{
  guint boots = count_in_console (BOOT_MARKER);
  guint64 updates;

  activate_menu_item ("ctrl-alt-delete");
  wait_for_console (NULL, "reboot: Restarting system");
  wait_for_console_count (BOOT_MARKER, boots + 1);
  wait_for_connections (1);
  wait_for_guest_text ();

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page ()), "machine.reboot", NULL));
  wait_for_console_count (BOOT_MARKER, boots + 2);
  g_assert_cmpstr (hangar_machine_get_state (machine), ==, "running");

  /* QEMU's VNC server outlives a guest reboot; either way the view shows
   * the guest again and keeps getting updates. */
  wait_for_connections (1);
  wait_for_guest_text ();
  updates = hangar_display_get_update_count (display ());
  type_text ("\n");
  g_assert_true (hangar_test_wait_until (guest_text_shown, NULL, UI_TIMEOUT_S));
  pump (1000);
  g_assert_cmpuint (hangar_display_get_update_count (display ()), >, updates);
  save_screenshot (GTK_WIDGET (window), "display-after-reboot.png");
}

/* Every pixel of @window's rendering is opaque, but in its rounded
 * corners: nothing is left undrawn where it has no background. Without a
 * compositor (Xvfb), the window draws a frame of its own around its
 * content (Adwaita's .solid-csd: 5 pixels, partly translucent, as with a
 * background): that frame is not ours to check. */
#define CORNER      16
#define SOLID_FRAME 5

static void
assert_opaque (GtkWindow *window)
{
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree guint32 *pixels = NULL;
  int frame = gtk_widget_has_css_class (GTK_WIDGET (window), "solid-csd") ? SOLID_FRAME : 0;
  int width, height;

  hangar_test_wait_for_frames (GTK_WIDGET (window), UI_TIMEOUT_S);
  texture = hangar_test_render_widget (GTK_WIDGET (window));
  width = gdk_texture_get_width (texture);
  height = gdk_texture_get_height (texture);
  pixels = g_new (guint32, (gsize) width * height);
  gdk_texture_download (texture, (guchar *) pixels, (gsize) width * 4);
  for (int y = frame; y < height - frame; y++)
    for (int x = frame; x < width - frame; x++)
      {
        gboolean in_corner = (x < CORNER || x >= width - CORNER) && (y < CORNER || y >= height - CORNER);
        guint32 pixel = pixels[(gsize) y * width + x];

        if (!in_corner && (pixel >> 24) != 0xff)
          {
            hangar_test_save_texture (texture, "not-opaque.png");
            g_error ("pixel %d,%d of the %d×%d window is not opaque: %08x (not-opaque.png)",
                     x, y, width, height, pixel);
          }
      }
}

static gboolean
window_has_class (gpointer data)
{
  return gtk_widget_has_css_class (GTK_WIDGET (window), "hangar-display-shown") == GPOINTER_TO_INT (data);
}

static gboolean
transition_ended (gpointer stack)
{
  return !gtk_stack_get_transition_running (stack);
}

/* Shows @name in the window's main stack, crossfading (slowly) as when
 * the engine goes away or comes back: while the page fades, the window's
 * background is under it again, and every pixel is opaque. */
static void
crossfade_main_stack_to (const char *name)
{
  GtkStack *main_stack = GTK_STACK (gtk_widget_get_template_child (GTK_WIDGET (window), HANGAR_TYPE_WINDOW,
                                                                   "main_stack"));
  guint duration = gtk_stack_get_transition_duration (main_stack);

  gtk_stack_set_transition_duration (main_stack, 5000);   /* long enough to look at it on a busy machine */
  gtk_stack_set_visible_child_name (main_stack, name);
  g_assert_true (gtk_stack_get_transition_running (main_stack));
  g_assert_false (window_has_class (GINT_TO_POINTER (TRUE)));
  assert_opaque (GTK_WINDOW (window));
  g_assert_true (gtk_stack_get_transition_running (main_stack));
  g_assert_true (hangar_test_wait_until (transition_ended, main_stack, UI_TIMEOUT_S));
  gtk_stack_set_transition_duration (main_stack, duration);
}

static void
assert_opaque_in_crossfade (void)
{
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", TRUE, NULL);
  crossfade_main_stack_to ("status");
  g_assert_false (window_has_class (GINT_TO_POINTER (TRUE)));
  crossfade_main_stack_to ("machines");
  g_assert_true (hangar_test_wait_until (window_has_class, GINT_TO_POINTER (TRUE), UI_TIMEOUT_S));
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
}

/* While the display is on screen, the main window draws no background
 * under it (hangar-machine-page.css), and all the rest of the window draws
 * its own. */
static void
test_opaque (void)
{
  g_assert_cmpstr (visible_view (), ==, "display");
  g_assert_true (hangar_test_wait_until (window_has_class, GINT_TO_POINTER (TRUE), UI_TIMEOUT_S));
  assert_opaque (GTK_WINDOW (window));

  /* Another view: the window's background is back. */
  adw_view_stack_set_visible_child_name (page_child ("stack"), "overview");
  g_assert_true (hangar_test_wait_until (window_has_class, GINT_TO_POINTER (FALSE), UI_TIMEOUT_S));
  adw_view_stack_set_visible_child_name (page_child ("stack"), "display");
  g_assert_true (hangar_test_wait_until (window_has_class, GINT_TO_POINTER (TRUE), UI_TIMEOUT_S));

  /* The narrow window shows the page alone. */
  gtk_window_set_default_size (GTK_WINDOW (window), 500, 600);
  hangar_test_wait_for_frames (GTK_WIDGET (window), UI_TIMEOUT_S);
  assert_opaque (GTK_WINDOW (window));
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 780);
  hangar_test_wait_for_frames (GTK_WIDGET (window), UI_TIMEOUT_S);

  assert_opaque_in_crossfade ();
}

static gboolean
is_display_window (gpointer data)
{
  return HANGAR_IS_DISPLAY_WINDOW (gtk_widget_get_root (GTK_WIDGET (view ())));
}

static gboolean
in_main_window (gpointer data)
{
  return gtk_widget_get_root (GTK_WIDGET (view ())) == GTK_ROOT (window);
}

static gboolean
more_frames (gpointer data)
{
  return hangar_display_get_frame_count (display ()) > *(guint64 *) data;
}

static void
assert_still_drawing (void)
{
  guint64 frames = hangar_display_get_frame_count (display ());

  gtk_widget_queue_draw (GTK_WIDGET (display ()));
  g_assert_true (hangar_test_wait_until (more_frames, &frames, UI_TIMEOUT_S));
}

/* The toolbar's buttons follow the view wherever it goes (VGA: no resizing). */
static void
assert_toolbar_sensitive (void)
{
  g_assert_true (gtk_widget_is_sensitive (view_child ("fit_button")));
  g_assert_true (gtk_widget_is_sensitive (view_child ("screenshot_button")));
  g_assert_true (gtk_widget_is_sensitive (view_child ("detach_button")));
  g_assert_true (gtk_widget_is_sensitive (view_child ("fullscreen_button")));
  g_assert_false (gtk_widget_is_sensitive (view_child ("resize_guest_button")));
}

/* Detached, the same widget (one connection) draws in a window of its own;
 * closing that window brings it back. */
static void
test_detach (void)
{
  guint count = hangar_display_view_get_connection_count (view ());
  GtkWindow *detached;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view ()), "display.detach", NULL));
  g_assert_true (hangar_test_wait_until (is_display_window, NULL, UI_TIMEOUT_S));
  g_assert_true (hangar_display_view_get_detached (view ()));
  g_assert_cmpstr (display_page (), ==, "detached");
  detached = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (view ())));
  g_assert_cmpstr (gtk_window_get_title (detached), ==, DISPLAY_MACHINE);
  assert_toolbar_sensitive ();
  g_assert_true (gtk_window_get_application (detached) == GTK_APPLICATION (app));
  assert_still_drawing ();
  g_assert_true (hangar_display_is_connected (display ()));
  g_assert_cmpuint (hangar_display_view_get_connection_count (view ()), ==, count);
  save_screenshot (GTK_WIDGET (detached), "display-detached.png");
  save_screenshot (GTK_WIDGET (window), "display-detached-page.png");
  /* Its own window has no background at all. */
  assert_opaque (detached);
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (window), "hangar-display-shown"));

  gtk_window_close (detached);
  g_assert_true (hangar_test_wait_until (in_main_window, NULL, UI_TIMEOUT_S));
  g_assert_false (hangar_display_view_get_detached (view ()));
  wait_for_display_page ("view");
  assert_still_drawing ();
  g_assert_true (hangar_display_is_connected (display ()));
  g_assert_cmpuint (hangar_display_view_get_connection_count (view ()), ==, count);
  assert_toolbar_sensitive ();

  /* And with the toggle and the placeholder's button. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view ()), "display.detach", NULL));
  g_assert_true (hangar_test_wait_until (is_display_window, NULL, UI_TIMEOUT_S));
  g_signal_emit_by_name (page_child ("display_attach_button"), "clicked");
  g_assert_true (hangar_test_wait_until (in_main_window, NULL, UI_TIMEOUT_S));
  g_assert_cmpuint (hangar_display_view_get_connection_count (view ()), ==, count);
  g_assert_true (hangar_display_is_connected (display ()));
}

static gboolean
toolbar_revealed (gpointer data)
{
  return adw_flap_get_reveal_flap (ADW_FLAP (view_child ("flap"))) == GPOINTER_TO_INT (data);
}

static GtkEventController *
view_controller (const char *name)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (view ()));

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (g_strcmp0 (gtk_event_controller_get_name (controller), name) == 0)
        return controller;
    }
  g_assert_not_reached ();
}

/* F11 as the view's key controller sees it, before the display does. */
static gboolean
press_f11 (void)
{
  gboolean handled = FALSE;

  g_signal_emit_by_name (view_controller ("hangar-display-view-keys"), "key-pressed",
                         GDK_KEY_F11, 95, 0, &handled);
  return handled;
}

/* Fullscreen: in the display's own window, the toolbar over the guest,
 * hidden until the pointer reaches the top edge; back where it was after. */
static void
test_fullscreen (void)
{
  guint count = hangar_display_view_get_connection_count (view ());
  GtkEventController *motion;
  AdwFlap *flap = view_child ("flap");

  /* The page's own action: what F11 anywhere in the window runs. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page ()), "display.fullscreen", NULL));
  g_assert_true (hangar_display_view_get_fullscreen (view ()));
  g_assert_true (hangar_test_wait_until (is_display_window, NULL, UI_TIMEOUT_S));
  g_assert_cmpint (adw_flap_get_fold_policy (flap), ==, ADW_FLAP_FOLD_POLICY_ALWAYS);
  g_assert_cmpstr (gtk_label_get_label (view_child ("title_label")), ==, DISPLAY_MACHINE);

  /* Shown at first, then out of the way. */
  g_assert_true (adw_flap_get_reveal_flap (flap));
  g_assert_true (hangar_test_wait_until (toolbar_revealed, GINT_TO_POINTER (FALSE), UI_TIMEOUT_S));
  save_screenshot (GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (view ()))), "display-fullscreen.png");

  /* The pointer at the top edge brings it back; far below, it goes. */
  motion = view_controller ("hangar-display-view-motion");
  g_signal_emit_by_name (motion, "motion", 200.0, 1.0);
  g_assert_true (adw_flap_get_reveal_flap (flap));
  save_screenshot (GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (view ()))), "display-fullscreen-toolbar.png");
  g_signal_emit_by_name (motion, "motion", 200.0, 10.0);
  pump (1500);
  g_assert_true (adw_flap_get_reveal_flap (flap));
  g_signal_emit_by_name (motion, "motion", 200.0, 300.0);
  g_assert_true (hangar_test_wait_until (toolbar_revealed, GINT_TO_POINTER (FALSE), UI_TIMEOUT_S));

  g_assert_true (hangar_display_is_connected (display ()));
  g_assert_cmpuint (hangar_display_view_get_connection_count (view ()), ==, count);

  /* F11 in the display leaves it: back in the page. Not while the guest
   * has the keyboard: then F11 is the guest's. */
  hangar_display_grab_keyboard (display ());
  g_assert_false (press_f11 ());
  g_assert_true (hangar_display_view_get_fullscreen (view ()));
  hangar_display_release_keyboard (display ());
  g_assert_true (press_f11 ());
  g_assert_false (hangar_display_view_get_fullscreen (view ()));
  g_assert_true (hangar_test_wait_until (in_main_window, NULL, UI_TIMEOUT_S));
  g_assert_false (hangar_display_view_get_detached (view ()));
  g_assert_cmpint (adw_flap_get_fold_policy (flap), ==, ADW_FLAP_FOLD_POLICY_NEVER);
  g_assert_true (adw_flap_get_reveal_flap (flap));
  g_assert_cmpuint (hangar_display_view_get_connection_count (view ()), ==, count);
  assert_still_drawing ();

  /* F11 in the page, and the toolbar's toggle. */
  g_assert_true (press_f11 ());
  g_assert_true (hangar_test_wait_until (is_display_window, NULL, UI_TIMEOUT_S));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view ()), "display.fullscreen", NULL));
  g_assert_true (hangar_test_wait_until (in_main_window, NULL, UI_TIMEOUT_S));

  /* Detached first: leaving fullscreen keeps the window. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view ()), "display.detach", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view ()), "display.fullscreen", NULL));
  g_assert_true (is_display_window (NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view ()), "display.fullscreen", NULL));
  g_assert_true (is_display_window (NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view ()), "display.detach", NULL));
  g_assert_true (hangar_test_wait_until (in_main_window, NULL, UI_TIMEOUT_S));
}

/* Scaling off: actual size, scrolling. */
static void
test_scaling (void)
{
  GtkScrolledWindow *scroller = view_child ("scroller");
  GtkPolicyType h, v;

  g_assert_cmpint (hangar_display_get_scaling (display ()), ==, HANGAR_DISPLAY_SCALE_FIT);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view ()), "display.scale-to-fit", NULL));
  g_assert_cmpint (hangar_display_get_scaling (display ()), ==, HANGAR_DISPLAY_SCALE_NONE);
  gtk_scrolled_window_get_policy (scroller, &h, &v);
  g_assert_cmpint (h, ==, GTK_POLICY_AUTOMATIC);
  save_screenshot (GTK_WIDGET (window), "display-actual-size.png");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view ()), "display.scale-to-fit", NULL));
  g_assert_cmpint (hangar_display_get_scaling (display ()), ==, HANGAR_DISPLAY_SCALE_FIT);
}

static void
on_saved (GObject      *source,
          GAsyncResult *result,
          gpointer      data)
{
  GError **error = data;

  if (!hangar_display_view_save_screenshot_finish (HANGAR_DISPLAY_VIEW (source), result, error))
    g_assert_nonnull (*error);
  else
    *error = g_error_new_literal (G_IO_ERROR, 0, "ok");
}

static gboolean
is_set (gpointer data)
{
  return *(GError **) data != NULL;
}

static void
assert_png_of_guest (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  g_autoptr(GdkTexture) texture = NULL;

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_cmpuint (length, >, 8);
  g_assert_cmpmem (contents, 8, "\x89PNG\r\n\x1a\n", 8);
  texture = gdk_texture_new_from_filename (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (texture), ==, hangar_display_get_guest_width (display ()));
  g_assert_cmpint (gdk_texture_get_height (texture), ==, hangar_display_get_guest_height (display ()));
}

static GtkWidget *
find_chooser (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);

      if (GTK_IS_FILE_CHOOSER_DIALOG (toplevel) && gtk_widget_get_visible (toplevel))
        return toplevel;
    }
  return NULL;
}

static gboolean
chooser_shown (gpointer data)
{
  return find_chooser () != NULL;
}

static gboolean
file_exists (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_IS_REGULAR);
}

static void
test_screenshot (void)
{
  g_autoptr(GDateTime) time = g_date_time_new_local (2026, 3, 4, 5, 6, 7);
  g_autofree char *name = hangar_display_view_screenshot_name (view (), time);
  g_autofree char *path = g_build_filename (tmpdir, "direct.png", NULL);
  g_autofree char *chosen = g_build_filename (tmpdir, "chosen.png", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) folder = g_file_new_for_path (tmpdir);
  g_autoptr(GRegex) pattern = g_regex_new ("^" DISPLAY_MACHINE "-[0-9]{8}-[0-9]{6}\\.png$", 0, 0, NULL);
  GError *result = NULL;
  GtkWidget *chooser;
  const char *current;

  g_assert_cmpstr (name, ==, DISPLAY_MACHINE "-20260304-050607.png");

  /* What the action does once a file is chosen. */
  hangar_display_view_save_screenshot (view (), file, NULL, on_saved, &result);
  g_assert_true (hangar_test_wait_until (is_set, &result, UI_TIMEOUT_S));
  g_assert_cmpint (result->domain, ==, G_IO_ERROR);
  g_assert_cmpstr (result->message, ==, "ok");
  g_clear_error (&result);
  assert_png_of_guest (path);

  /* The action: a file chooser with a dated name, then the file. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view ()), "display.screenshot", NULL));
  g_assert_true (hangar_test_wait_until (chooser_shown, NULL, UI_TIMEOUT_S));
  chooser = find_chooser ();
  current = gtk_file_chooser_get_current_name (GTK_FILE_CHOOSER (chooser));
  g_assert_true (g_regex_match (pattern, current, 0, NULL));
  save_screenshot (chooser, "display-screenshot-chooser.png");
  g_assert_true (gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder, NULL));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "chosen.png");
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_assert_true (hangar_test_wait_until (file_exists, chosen, UI_TIMEOUT_S));
  pump (500);
  assert_png_of_guest (chosen);
}

static gboolean
page_name_is (gpointer data)
{
  return g_strcmp0 (hangar_window_get_page_name (window), data) == 0;
}

/* hangard goes away and comes back: the window selects the machine again
 * (a new proxy from the new engine) and the view opens a new display. */
static void
test_engine_restart (void)
{
  guint count = hangar_display_view_get_connection_count (view ());

  hangar_test_env_kill_engine (env, SIGTERM);
  g_assert_true (hangar_test_wait_until (page_name_is, "unreachable", UI_TIMEOUT_S));

  hangar_test_env_start_engine (env);
  g_assert_true (hangar_test_wait_until (page_name_is, "machines", UI_TIMEOUT_S));
  g_assert_true (hangar_test_wait_until (selected_is, DISPLAY_MACHINE, UI_TIMEOUT_S));
  g_clear_object (&machine);
  machine = lookup (DISPLAY_MACHINE);
  g_assert_cmpstr (g_dbus_proxy_get_object_path (G_DBUS_PROXY (machine)), ==, machine_path);
  g_assert_true (hangar_test_wait_for_state (machine, "running", UI_TIMEOUT_S));
  g_assert_true (hangar_window_get_selected_machine (window) != NULL);
  g_assert_cmpstr (visible_view (), ==, "display");
  wait_for_connections (1);
  wait_for_guest_text ();
  g_test_message ("connections before the restart: %u, after: %u", count,
                  hangar_display_view_get_connection_count (view ()));
  save_screenshot (GTK_WIDGET (window), "display-after-engine-restart.png");
  assert_toolbar_sensitive ();

  /* Keys still go through the new connection. */
  type_text ("\n");
  assert_still_drawing ();
}

static void
test_shut_down (void)
{
  g_autoptr(GError) error = NULL;

  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  wait_for_display_page ("off");
  g_assert_false (hangar_display_is_connected (display ()));
  g_assert_false (gtk_widget_is_sensitive (view_child ("resize_guest_button")));
  save_screenshot (GTK_WIDGET (window), "display-shut-down.png");
}

/* ---- Setup ---------------------------------------------------------------- */

static char *
replace (const char *text,
         const char *old,
         const char *new)
{
  g_auto(GStrv) parts = g_strsplit (text, old, 2);

  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  return g_strjoinv (new, parts);
}

static HangarMachine *
define_guest (const char *name,
              const char *devices)
{
  g_autofree char *xml = hangar_test_guest_xml (name, NULL);
  g_autofree char *with = g_strconcat (devices, "  </devices>", NULL);
  g_autofree char *full = replace (xml, "  </devices>", with);

  return hangar_test_env_define (env, full);
}

static void
start_app (void)
{
  app = hangar_test_start_app (env, NULL, &window);
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 780);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(HangarMachine) plain = NULL;
  g_autoptr(HangarMachine) virtio = NULL;
  int status;

  if (!hangar_test_gui_init (&argc, &argv))
    return g_test_run ();
  g_object_set (gtk_settings_get_default (), "gtk-cursor-blink", FALSE, NULL);

  g_test_add_func ("/display-view/placeholders", test_placeholders);
  g_test_add_func ("/display-view/no-graphics", test_no_graphics);
  g_test_add_func ("/display-view/start-connects", test_start_connects);
  g_test_add_func ("/display-view/opaque", test_opaque);
  g_test_add_func ("/display-view/grab-hint", test_grab_hint);
  g_test_add_func ("/display-view/send-keys", test_send_keys);
  g_test_add_func ("/display-view/reconnect-after-drop", test_reconnect_after_drop);
  g_test_add_func ("/display-view/reboot", test_reboot);
  g_test_add_func ("/display-view/detach", test_detach);
  g_test_add_func ("/display-view/fullscreen", test_fullscreen);
  g_test_add_func ("/display-view/scaling", test_scaling);
  g_test_add_func ("/display-view/screenshot", test_screenshot);
  g_test_add_func ("/display-view/engine-restart", test_engine_restart);
  g_test_add_func ("/display-view/shut-down", test_shut_down);

  env = hangar_test_env_new (FALSE);
  tmpdir = g_build_filename (env->tmpdir, "shots", NULL);
  g_mkdir_with_parents (tmpdir, 0700);
  machine = define_guest (DISPLAY_MACHINE,
                          "    <graphics type='vnc'/>\n"
                          "    <video><model type='vga'/></video>\n");
  machine_path = g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (machine)));
  plain = define_guest (PLAIN_MACHINE, "");
  virtio = define_guest (VIRTIO_MACHINE,
                         "    <graphics type='vnc'/>\n"
                         "    <video><model type='virtio'/></video>\n");
  start_app ();

  status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&app);
  g_clear_object (&machine);
  g_clear_object (&plain);
  g_clear_object (&virtio);
  hangar_test_env_free (env);
  g_free (machine_path);
  g_free (tmpdir);
  return status;
}
