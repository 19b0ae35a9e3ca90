/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-application"

#include "hangar-application.h"

#include "hangar-window.h"

#include <epoxy/gl.h>
#include <string.h>
#include <glib/gi18n.h>

#define SETTING_CONNECTION "connection"

struct _HangarApplication
{
  AdwApplication    parent_instance;

  GSettings        *settings;    /* NULL when the schema is not installed */
  HangarConnection *connection;
};

G_DEFINE_FINAL_TYPE (HangarApplication, hangar_application, ADW_TYPE_APPLICATION)

/* ---- Settings ------------------------------------------------------------- */

static GSettings *
open_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, HANGAR_APPLICATION_ID, TRUE);
  if (schema == NULL)
    {
      g_message ("The settings schema %s is not installed: the engine chosen is not remembered",
                 HANGAR_APPLICATION_ID);
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}

static char *
initial_spec (HangarApplication *self)
{
  const char *env = g_getenv ("HANGAR_CONNECT");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if (self->settings != NULL)
    return g_settings_get_string (self->settings, SETTING_CONNECTION);
  return g_strdup ("session");
}

static void
remember_spec (HangarApplication *self)
{
  if (self->settings != NULL)
    g_settings_set_string (self->settings, SETTING_CONNECTION,
                           hangar_connection_get_bus_spec (self->connection));
}

/* ---- Actions -------------------------------------------------------------- */

static void
quit (GSimpleAction *action,
      GVariant      *parameter,
      gpointer       user_data)
{
  GApplication *app = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (app));

  /* Closing the windows lets them finish cleanly before the app ends. */
  while (windows != NULL)
    {
      GtkWindow *window = windows->data;

      windows = windows->next;
      gtk_window_destroy (window);
    }
  g_application_quit (app);
}

static void
about (GSimpleAction *action,
       GVariant      *parameter,
       gpointer       user_data)
{
  GtkApplication *app = user_data;
  const char *developers[] = { _("The Hangar developers"), NULL };
  GtkWidget *window;

  window = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                         "transient-for", gtk_application_get_active_window (app),
                         "application-name", _("Hangar"),
                         "application-icon", HANGAR_APPLICATION_ID,
                         "developer-name", _("The Hangar developers"),
                         "developers", developers,
                         "version", HANGAR_VERSION,
                         "comments", _("Run virtual machines on this computer with KVM and QEMU"),
                         "website", HANGAR_WEBSITE,
                         "issue-url", HANGAR_ISSUES,
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "translator-credits", _("translator-credits"),
                         NULL);
  gtk_window_present (GTK_WINDOW (window));
}

static const GActionEntry app_entries[] = {
  { "quit", quit },
  { "about", about },
};

static void
set_accels (GtkApplication *app)
{
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "win.new-machine", { "<Control>n", NULL } },
    { "win.search", { "<Control>f", NULL } },
    { "win.show-help-overlay", { "<Control>question", NULL } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (app, accels[i].action, accels[i].accels);
}

/* ---- Renderer ------------------------------------------------------------- */

/* Whether GL on this display is drawn by the CPU: Mesa's llvmpipe,
 * softpipe or swrast (a VM without a GPU, Xvfb, a remote desktop). */
static gboolean
gl_is_software (void)
{
  GdkDisplay *display = gdk_display_get_default ();
  g_autoptr(GdkGLContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const char *renderer;
  gboolean software;

  if (display == NULL)
    return FALSE;
  context = gdk_display_create_gl_context (display, &error);
  if (context == NULL || !gdk_gl_context_realize (context, &error))
    {
      /* GTK finds the same and draws with cairo by itself. */
      g_debug ("No GL here: %s", error ? error->message : "?");
      return FALSE;
    }
  gdk_gl_context_make_current (context);
  renderer = (const char *) glGetString (GL_RENDERER);
  software = renderer != NULL &&
             (strstr (renderer, "llvmpipe") != NULL || strstr (renderer, "softpipe") != NULL ||
              strstr (renderer, "swrast") != NULL || strstr (renderer, "Software") != NULL);
  g_debug ("GL renderer: %s", renderer ? renderer : "?");
  gdk_gl_context_clear_current ();
  return software;
}

/* GTK 4.8 draws windows with GL wherever there is GL, software GL too,
 * and its GL renderer redraws the whole window every frame there (no
 * buffer age without a GPU): a guest display changing a few lines costs
 * a full-window rasterization on the CPU. The cairo renderer redraws only
 * what changed and lets the X server composite. So without a GPU, cairo,
 * unless the user chose with GSK_RENDERER. It must be set before the
 * first window is realized: GTK reads it once. */
void
hangar_application_choose_renderer (void)
{
  const char *env = g_getenv ("GSK_RENDERER");

  if (env != NULL && *env != '\0')
    return;
  if (gl_is_software ())
    {
      g_debug ("GL is software rendered here: drawing with cairo");
      g_setenv ("GSK_RENDERER", "cairo", TRUE);
    }
}

/* ---- GApplication --------------------------------------------------------- */

static void
hangar_application_startup (GApplication *app)
{
  HangarApplication *self = HANGAR_APPLICATION (app);
  g_autofree char *spec = NULL;

  G_APPLICATION_CLASS (hangar_application_parent_class)->startup (app);
  hangar_application_choose_renderer ();

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_entries,
                                   G_N_ELEMENTS (app_entries), app);
  set_accels (GTK_APPLICATION (app));

  self->settings = open_settings ();
  spec = initial_spec (self);
  self->connection = hangar_connection_new (spec);
  g_signal_connect_object (self->connection, "notify::spec",
                           G_CALLBACK (remember_spec), self, G_CONNECT_SWAPPED);
  hangar_connection_reconnect (self->connection);
}

static void
hangar_application_activate (GApplication *app)
{
  HangarApplication *self = HANGAR_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (hangar_window_new (GTK_APPLICATION (app), self->connection));
  gtk_window_present (window);
}

static void
hangar_application_shutdown (GApplication *app)
{
  HangarApplication *self = HANGAR_APPLICATION (app);

  g_clear_object (&self->connection);
  g_clear_object (&self->settings);

  G_APPLICATION_CLASS (hangar_application_parent_class)->shutdown (app);
}

HangarConnection *
hangar_application_get_connection (HangarApplication *self)
{
  g_return_val_if_fail (HANGAR_IS_APPLICATION (self), NULL);

  return self->connection;
}

HangarApplication *
hangar_application_new (void)
{
  return g_object_new (HANGAR_TYPE_APPLICATION,
                       "application-id", HANGAR_APPLICATION_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/hangarvm/Hangar",
                       NULL);
}

static void
hangar_application_class_init (HangarApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->startup = hangar_application_startup;
  app_class->activate = hangar_application_activate;
  app_class->shutdown = hangar_application_shutdown;
}

static void
hangar_application_init (HangarApplication *self)
{
}
