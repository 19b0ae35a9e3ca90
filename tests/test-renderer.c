/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-renderer"

/* The renderer the application picks: without a GPU (Xvfb, where GL is
 * Mesa's llvmpipe) it draws with cairo, and a GSK_RENDERER the user set is
 * kept. Each case runs in a process of its own: GTK reads GSK_RENDERER
 * once, when the first window is realized. */

#include <epoxy/gl.h>
#include <gtk/gtk.h>

#include "hangar-application.h"

static gboolean
gl_is_llvmpipe (void)
{
  g_autoptr(GdkGLContext) context = NULL;
  const char *renderer;
  gboolean software;

  context = gdk_display_create_gl_context (gdk_display_get_default (), NULL);
  if (context == NULL || !gdk_gl_context_realize (context, NULL))
    return FALSE;
  gdk_gl_context_make_current (context);
  renderer = (const char *) glGetString (GL_RENDERER);
  software = renderer != NULL && strstr (renderer, "llvmpipe") != NULL;
  gdk_gl_context_clear_current ();
  return software;
}

static GskRenderer *
realized_window_renderer (void)
{
  GtkWidget *window = gtk_window_new ();

  gtk_widget_realize (window);
  return gtk_native_get_renderer (GTK_NATIVE (window));
}

static void
test_software_gl_means_cairo (void)
{
  if (g_test_subprocess ())
    {
      g_unsetenv ("GSK_RENDERER");
      gtk_init ();
      hangar_application_choose_renderer ();
      if (!gl_is_llvmpipe ())
        {
          /* A GPU, or no GL at all (GTK then uses cairo by itself). */
          g_assert_null (g_getenv ("GSK_RENDERER"));
          return;
        }
      g_assert_cmpstr (g_getenv ("GSK_RENDERER"), ==, "cairo");
      g_assert_true (GSK_IS_CAIRO_RENDERER (realized_window_renderer ()));
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_user_choice_kept (void)
{
  if (g_test_subprocess ())
    {
      g_setenv ("GSK_RENDERER", "gl", TRUE);
      gtk_init ();
      hangar_application_choose_renderer ();
      g_assert_cmpstr (g_getenv ("GSK_RENDERER"), ==, "gl");
      if (gl_is_llvmpipe ())
        g_assert_cmpstr (G_OBJECT_TYPE_NAME (realized_window_renderer ()), ==, "GskGLRenderer");
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int    argc,
      char **argv)
{
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/renderer/software-gl-means-cairo", test_software_gl_means_cairo);
  g_test_add_func ("/renderer/user-choice-kept", test_user_choice_kept);
  return g_test_run ();
}
