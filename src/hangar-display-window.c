/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-display-window"

#include "hangar-display-window.h"

#include <glib/gi18n.h>

#define TOOLBAR_ALLOWANCE 100   /* header bar and toolbar above the guest, roughly */
#define MIN_WIDTH         640
#define MIN_HEIGHT        400

struct _HangarDisplayWindow
{
  AdwWindow          parent_instance;

  HangarDisplayView *view;              /* in the slot, or NULL once taken */
  HangarMachine     *machine;           /* whose name the title shows */
  gboolean           was_fullscreened;  /* the window manager said so once */

  /* Template children */
  GtkWidget         *header_bar;
  AdwWindowTitle    *window_title;
  AdwBin            *slot;
};

G_DEFINE_FINAL_TYPE (HangarDisplayWindow, hangar_display_window, ADW_TYPE_WINDOW)

static void
refresh_title (HangarDisplayWindow *self)
{
  const char *name = self->machine != NULL ? hangar_machine_get_name (self->machine) : NULL;

  adw_window_title_set_title (self->window_title, name != NULL ? name : "");
  adw_window_title_set_subtitle (self->window_title, _("Display"));
  gtk_window_set_title (GTK_WINDOW (self), name != NULL ? name : _("Display"));
}

static void
on_view_machine_changed (HangarDisplayWindow *self)
{
  HangarMachine *machine = hangar_display_view_get_machine (self->view);

  if (self->machine != NULL)
    g_signal_handlers_disconnect_by_data (self->machine, self);
  g_set_object (&self->machine, machine);
  if (machine != NULL)
    g_signal_connect_object (machine, "notify::name", G_CALLBACK (refresh_title), self,
                             G_CONNECT_SWAPPED);
  refresh_title (self);
}

/* The view asks: the window follows. */
static void
on_view_fullscreen_changed (HangarDisplayWindow *self)
{
  gboolean fullscreen = hangar_display_view_get_fullscreen (self->view);

  gtk_widget_set_visible (self->header_bar, !fullscreen);
  if (fullscreen)
    gtk_window_fullscreen (GTK_WINDOW (self));
  else
    gtk_window_unfullscreen (GTK_WINDOW (self));
}

/* The window manager changed it (a key of its own, a double click): the
 * view follows. */
static void
on_fullscreened_changed (HangarDisplayWindow *self)
{
  gboolean fullscreened = gtk_window_is_fullscreen (GTK_WINDOW (self));

  if (self->view == NULL)
    return;
  if (fullscreened)
    {
      self->was_fullscreened = TRUE;
      hangar_display_view_set_fullscreen (self->view, TRUE);
    }
  else if (self->was_fullscreened)
    {
      self->was_fullscreened = FALSE;
      hangar_display_view_set_fullscreen (self->view, FALSE);
    }
}

HangarDisplayView *
hangar_display_window_get_view (HangarDisplayWindow *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY_WINDOW (self), NULL);

  return self->view;
}

HangarDisplayView *
hangar_display_window_take_view (HangarDisplayWindow *self)
{
  HangarDisplayView *view;

  g_return_val_if_fail (HANGAR_IS_DISPLAY_WINDOW (self), NULL);

  if (self->view == NULL)
    return NULL;
  view = g_object_ref (self->view);
  g_signal_handlers_disconnect_by_data (view, self);
  adw_bin_set_child (self->slot, NULL);
  self->view = NULL;
  return view;
}

static gboolean
hangar_display_window_close_request (GtkWindow *window)
{
  HangarDisplayWindow *self = HANGAR_DISPLAY_WINDOW (window);
  g_autoptr(HangarDisplayView) view = self->view != NULL ? g_object_ref (self->view) : NULL;

  if (view == NULL)
    return GDK_EVENT_PROPAGATE;

  /* The view's holder takes it back and destroys this window. */
  hangar_display_view_set_fullscreen (view, FALSE);
  hangar_display_view_set_detached (view, FALSE);
  if (self->view == NULL)
    return GDK_EVENT_STOP;
  return GDK_EVENT_PROPAGATE;
}

static void
hangar_display_window_dispose (GObject *object)
{
  HangarDisplayWindow *self = HANGAR_DISPLAY_WINDOW (object);

  if (self->view != NULL)
    g_signal_handlers_disconnect_by_data (self->view, self);
  self->view = NULL;
  if (self->machine != NULL)
    g_signal_handlers_disconnect_by_data (self->machine, self);
  g_clear_object (&self->machine);

  gtk_widget_dispose_template (GTK_WIDGET (self), HANGAR_TYPE_DISPLAY_WINDOW);

  G_OBJECT_CLASS (hangar_display_window_parent_class)->dispose (object);
}

static void
hangar_display_window_class_init (HangarDisplayWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = hangar_display_window_dispose;
  window_class->close_request = hangar_display_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hangarvm/Hangar/hangar-display-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayWindow, slot);
}

static void
hangar_display_window_init (HangarDisplayWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect (self, "notify::fullscreened", G_CALLBACK (on_fullscreened_changed), NULL);
}

HangarDisplayWindow *
hangar_display_window_new (HangarDisplayView *view)
{
  HangarDisplayWindow *self;
  HangarDisplay *display;
  int width, height;

  g_return_val_if_fail (HANGAR_IS_DISPLAY_VIEW (view), NULL);
  g_return_val_if_fail (gtk_widget_get_parent (GTK_WIDGET (view)) == NULL, NULL);

  self = g_object_new (HANGAR_TYPE_DISPLAY_WINDOW, NULL);
  self->view = view;
  adw_bin_set_child (self->slot, GTK_WIDGET (view));

  /* Room for the guest at its own size, when it is known. */
  display = hangar_display_view_get_display (view);
  width = hangar_display_get_guest_width (display);
  height = hangar_display_get_guest_height (display);
  if (width > 0 && height > 0)
    gtk_window_set_default_size (GTK_WINDOW (self), MAX (width, MIN_WIDTH),
                                 MAX (height + TOOLBAR_ALLOWANCE, MIN_HEIGHT));

  g_signal_connect_object (view, "notify::machine", G_CALLBACK (on_view_machine_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (view, "notify::fullscreen", G_CALLBACK (on_view_fullscreen_changed), self,
                           G_CONNECT_SWAPPED);
  on_view_machine_changed (self);
  on_view_fullscreen_changed (self);
  return self;
}
