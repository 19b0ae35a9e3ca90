/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-test-gui"

#include "hangar-test-gui.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hangar-machine-row.h"
#include "hangar-test-env.h"

gboolean
hangar_test_gui_init (int    *argc,
                      char ***argv)
{
  const char *no_display = "no display: run under xvfb-run (meson test --suite gui)";

  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_unsetenv ("LANGUAGE");

  g_test_init (argc, argv, NULL);
  if (!gtk_init_check ())
    {
      g_test_message ("%s", no_display);
      g_test_skip (no_display);
      return FALSE;
    }
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  return TRUE;
}

GtkWidget *
hangar_test_find_widget (GtkWidget             *root,
                         HangarTestWidgetMatch  match,
                         gconstpointer          data)
{
  if (match (root, data))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = hangar_test_find_widget (child, match, data);

      if (found != NULL)
        return found;
    }
  return NULL;
}

gboolean
hangar_test_has_css_class (GtkWidget     *widget,
                           gconstpointer  css_class)
{
  return gtk_widget_has_css_class (widget, css_class);
}

gboolean
hangar_test_is_machine_row_of (GtkWidget     *widget,
                               gconstpointer  name)
{
  HangarMachine *machine;

  if (!HANGAR_IS_MACHINE_ROW (widget) || !gtk_widget_get_mapped (widget))
    return FALSE;
  machine = hangar_machine_row_get_machine (HANGAR_MACHINE_ROW (widget));
  return machine != NULL && g_strcmp0 (hangar_machine_get_name (machine), name) == 0;
}

static gboolean
on_tick (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       data)
{
  (*(guint *) data)++;
  return G_SOURCE_CONTINUE;
}

static gboolean
frames_drawn (gpointer data)
{
  return *(guint *) data >= 3;
}

void
hangar_test_wait_for_frames (GtkWidget *widget,
                             guint      timeout_s)
{
  guint frames = 0;
  guint id = gtk_widget_add_tick_callback (widget, on_tick, &frames, NULL);

  gtk_widget_queue_draw (widget);
  g_assert_true (hangar_test_wait_until (frames_drawn, &frames, timeout_s));
  gtk_widget_remove_tick_callback (widget, id);
}

GdkTexture *
hangar_test_render_widget (GtkWidget *widget)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  GtkSnapshot *snapshot;
  GskRenderer *renderer;
  int width, height;

  /* At the paintable's own size: the widget's border box (a window's frame
   * included). gtk_widget_get_width() is its content box, and drawing into
   * that would scale the whole picture down a little. */
  paintable = gtk_widget_paintable_new (widget);
  width = gdk_paintable_get_intrinsic_width (paintable);
  height = gdk_paintable_get_intrinsic_height (paintable);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);

  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
}

void
hangar_test_save_texture (GdkTexture *texture,
                          const char *name)
{
  g_autofree char *dir = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "screenshots", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_mkdir_with_parents (dir, 0755);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}

void
hangar_test_save_screenshot (GtkWidget  *widget,
                             const char *name,
                             guint       timeout_s)
{
  g_autoptr(GdkTexture) texture = NULL;

  hangar_test_wait_for_frames (widget, timeout_s);
  texture = hangar_test_render_widget (widget);
  hangar_test_save_texture (texture, name);
}

gboolean
hangar_test_serial_console_shows (HangarSerialConsole *console,
                                  const char          *text)
{
  g_autofree char *shown = hangar_serial_console_dup_text (console);

  return shown != NULL && strstr (shown, text) != NULL;
}

gboolean
hangar_test_serial_console_shows_line (HangarSerialConsole *console,
                                       const char          *line)
{
  g_autofree char *shown = hangar_serial_console_dup_text (console);
  g_auto(GStrv) lines = g_strsplit (shown != NULL ? shown : "", "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_strcmp0 (g_strchomp (lines[i]), line) == 0)
      return TRUE;
  return FALSE;
}

void
hangar_test_serial_console_type (HangarSerialConsole *console,
                                 const char          *command)
{
  VteTerminal *terminal = hangar_serial_console_get_terminal (console);

  vte_terminal_feed_child (terminal, command, -1);
  vte_terminal_feed_child (terminal, "\r", 1);
}

HangarApplication *
hangar_test_start_app (HangarTestEnv  *env,
                       const char     *connect,
                       HangarWindow  **window)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) session = NULL;
  g_autoptr(HangarApplication) app = NULL;

  g_setenv ("DBUS_SESSION_BUS_ADDRESS", env->bus_address, TRUE);
  g_setenv ("HANGAR_CONNECT", connect != NULL ? connect : env->bus_address, TRUE);
  session = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (session, FALSE);

  app = hangar_application_new ();
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  *window = HANGAR_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_nonnull (*window);
  return g_steal_pointer (&app);
}
