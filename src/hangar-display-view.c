/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-display-view"

#include "hangar-display-view.h"

#include <adwaita.h>
#include <gio/gunixfdlist.h>
#include <glib/gi18n.h>
#include <linux/input-event-codes.h>

#include "hangard-error.h"

#define RETRY_FIRST_MS        250
#define RETRY_MAX_MS          4000
#define TOOLBAR_EDGE_PX       8      /* the pointer this near the top reveals the toolbar */
#define TOOLBAR_SLACK_PX      32     /* ...and this far below it lets it hide */
#define TOOLBAR_HIDE_MS       1000
#define TOOLBAR_FIRST_HIDE_MS 2000   /* on entering fullscreen: long enough to be seen */
#define TOAST_TIMEOUT_S       5

struct _HangarDisplayView
{
  GtkWidget        parent_instance;

  HangarMachine   *machine;
  GCancellable    *cancellable;      /* OpenDisplay; cancelled when the machine changes */
  gboolean         opening;          /* OpenDisplay in flight */
  gboolean         handshaking;      /* the widget has a socket, not yet "connected" */
  gboolean         in_display_call;  /* disconnects from our own open_fd/close */
  guint            retry_source;
  guint            retry_delay_ms;
  guint            connection_count;
  gboolean         no_device;
  char            *error_text;       /* why the last open failed, for the status */

  gboolean         scale_to_fit;
  gboolean         resize_guest;
  gboolean         can_resize_guest;
  gboolean         fullscreen;
  gboolean         detached;
  guint            hide_toolbar_source;

  GtkFileChooserNative *chooser;
  GdkTexture      *pending_shot;     /* the image when Screenshot was pressed */

  /* Template children */
  AdwToastOverlay *toast_overlay;
  AdwFlap         *flap;
  GtkWidget       *toolbar;
  GtkMenuButton   *send_keys_button;
  GtkWidget       *resize_guest_button;
  GtkWidget       *detach_button;
  GtkWidget       *fit_button;
  GtkWidget       *screenshot_button;
  GtkWidget       *fullscreen_button;
  GtkLabel        *title_label;
  GtkScrolledWindow *scroller;
  HangarDisplay   *display;
  GtkRevealer     *hint_revealer;
  GtkLabel        *hint_label;
  GtkWidget       *status_box;
  GtkSpinner      *status_spinner;
  GtkLabel        *status_label;
};

G_DEFINE_FINAL_TYPE (HangarDisplayView, hangar_display_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MACHINE,
  PROP_SCALE_TO_FIT,
  PROP_RESIZE_GUEST,
  PROP_CAN_RESIZE_GUEST,
  PROP_FULLSCREEN,
  PROP_DETACHED,
  PROP_NO_DEVICE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void update_connection (HangarDisplayView *self);

/* ---- The send-keys menu --------------------------------------------------- */

typedef struct {
  const char *name;       /* the action's target */
  guint       codes[3];   /* evdev, pressed in order */
  gsize       n_codes;
} Chord;

static const Chord chords[] = {
  { "ctrl-alt-delete",    { KEY_LEFTCTRL, KEY_LEFTALT, KEY_DELETE }, 3 },
  { "ctrl-alt-backspace", { KEY_LEFTCTRL, KEY_LEFTALT, KEY_BACKSPACE }, 3 },
  { "ctrl-alt-f1",        { KEY_LEFTCTRL, KEY_LEFTALT, KEY_F1 }, 3 },
  { "ctrl-alt-f2",        { KEY_LEFTCTRL, KEY_LEFTALT, KEY_F2 }, 3 },
  { "ctrl-alt-f3",        { KEY_LEFTCTRL, KEY_LEFTALT, KEY_F3 }, 3 },
  { "ctrl-alt-f4",        { KEY_LEFTCTRL, KEY_LEFTALT, KEY_F4 }, 3 },
  { "ctrl-alt-f5",        { KEY_LEFTCTRL, KEY_LEFTALT, KEY_F5 }, 3 },
  { "ctrl-alt-f6",        { KEY_LEFTCTRL, KEY_LEFTALT, KEY_F6 }, 3 },
  { "ctrl-alt-f7",        { KEY_LEFTCTRL, KEY_LEFTALT, KEY_F7 }, 3 },
  { "print",              { KEY_SYSRQ }, 1 },
};

static void
send_keys_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  HangarDisplayView *self = HANGAR_DISPLAY_VIEW (widget);
  const char *name = g_variant_get_string (parameter, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (chords); i++)
    {
      if (g_str_equal (chords[i].name, name))
        {
          hangar_display_send_keys (self->display, chords[i].codes, chords[i].n_codes);
          return;
        }
    }
  g_warning ("No key chord named “%s”", name);
}

/* ---- Small helpers -------------------------------------------------------- */

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static const char *
machine_state (HangarDisplayView *self)
{
  const char *state = self->machine != NULL ? hangar_machine_get_state (self->machine) : NULL;

  return state != NULL ? state : "";
}

/* QEMU runs and its VNC server can take a client. */
static gboolean
machine_has_qemu (HangarDisplayView *self)
{
  const char *state = machine_state (self);

  return g_str_equal (state, "running") || g_str_equal (state, "paused") ||
         g_str_equal (state, "shutting-down");
}

static const char *
machine_name (HangarDisplayView *self)
{
  const char *name = self->machine != NULL ? hangar_machine_get_name (self->machine) : NULL;

  return name != NULL ? name : "";
}

static void
add_toast (HangarDisplayView *self,
           const char        *text)
{
  g_autofree char *markup = g_markup_escape_text (text, -1);
  AdwToast *toast = adw_toast_new (markup);

  adw_toast_set_timeout (toast, TOAST_TIMEOUT_S);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* The engine's words, without D-Bus's "GDBus.Error:name: " prefix. */
static char *
engine_message (const GError *error)
{
  g_autoptr(GError) copy = g_error_copy (error);

  g_dbus_error_strip_remote_error (copy);
  return g_strdup (copy->message);
}

/* ---- What the view says --------------------------------------------------- */

static void
set_status (HangarDisplayView *self,
            const char        *text,
            gboolean           busy)
{
  gtk_widget_set_visible (self->status_box, text != NULL);
  gtk_label_set_label (self->status_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_spinner), busy);
  gtk_spinner_set_spinning (self->status_spinner, text != NULL && busy);
}

static void
refresh_status (HangarDisplayView *self)
{
  const char *state = machine_state (self);

  if (self->machine == NULL)
    set_status (self, NULL, FALSE);
  else if (hangar_display_is_connected (self->display))
    set_status (self, NULL, FALSE);
  else if (self->no_device)
    set_status (self, _("This machine has no display"), FALSE);
  else if (g_str_equal (state, "starting"))
    set_status (self, _("Waiting for the machine to start…"), TRUE);
  else if (!machine_has_qemu (self))
    set_status (self, _("The machine is not running"), FALSE);
  else if (self->retry_source != 0 && self->error_text != NULL)
    {
      /* TRANSLATORS: %s is why the display could not be opened */
      g_autofree char *text = g_strdup_printf (_("The display could not be opened: %s\nTrying again…"),
                                               self->error_text);

      set_status (self, text, TRUE);
    }
  else if (self->retry_source != 0)
    set_status (self, _("The display connection was lost. Reconnecting…"), TRUE);
  else if (self->error_text != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The display could not be opened: %s"),
                                               self->error_text);

      set_status (self, text, FALSE);
    }
  else
    set_status (self, _("Connecting to the display…"), TRUE);
}

static void
refresh_title (HangarDisplayView *self)
{
  /* The page above names the machine; alone on the screen, the toolbar does. */
  gtk_label_set_label (self->title_label, self->fullscreen ? machine_name (self) : "");
}

static void
refresh_tooltips (HangarDisplayView *self)
{
  gtk_widget_set_tooltip_text (self->resize_guest_button,
                               self->can_resize_guest
                               ? _("Resize Guest to Window")
                               : _("Only a machine with virtio video can be resized to the window"));
  gtk_widget_set_tooltip_text (self->detach_button,
                               self->detached
                               ? _("Back to the Main Window")
                               : _("Show in Its Own Window"));
}

/* ---- Opening the display -------------------------------------------------- */

static void
set_no_device (HangarDisplayView *self,
               gboolean           no_device)
{
  if (self->no_device == no_device)
    return;
  self->no_device = no_device;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NO_DEVICE]);
}

/* Opening makes sense: a machine whose QEMU runs, a view someone can see
 * (or already showed: a connection is kept while hidden, it costs nothing
 * without frames), and no answer that says it never will. */
static gboolean
wants_display (HangarDisplayView *self)
{
  return self->machine != NULL && machine_has_qemu (self) && !self->no_device &&
         gtk_widget_get_mapped (GTK_WIDGET (self));
}

static void
close_display (HangarDisplayView *self)
{
  self->in_display_call = TRUE;
  hangar_display_close (self->display);
  self->in_display_call = FALSE;
  self->handshaking = FALSE;
}

static void
cancel_open (HangarDisplayView *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->opening = FALSE;
  g_clear_handle_id (&self->retry_source, g_source_remove);
}

static gboolean
on_retry (gpointer user_data)
{
  HangarDisplayView *self = user_data;

  self->retry_source = 0;
  update_connection (self);
  return G_SOURCE_REMOVE;
}

/* Again after a short wait that doubles with each failure in a row. */
static void
schedule_retry (HangarDisplayView *self)
{
  if (self->retry_source != 0)
    return;
  self->retry_delay_ms = self->retry_delay_ms == 0 ? RETRY_FIRST_MS
                                                   : MIN (self->retry_delay_ms * 2, RETRY_MAX_MS);
  g_debug ("%s: opening the display again in %u ms", machine_name (self), self->retry_delay_ms);
  self->retry_source = g_timeout_add (self->retry_delay_ms, on_retry, self);
}

/* Errors that waiting will not cure. */
static gboolean
is_final_error (const GError *error)
{
  return g_error_matches (error, HANGAR_ERROR, HANGAR_ERROR_NO_DEVICE) ||
         g_error_matches (error, HANGAR_ERROR, HANGAR_ERROR_FD_PASSING_UNSUPPORTED) ||
         g_error_matches (error, HANGAR_ERROR, HANGAR_ERROR_NOT_AUTHORIZED);
}

static void
on_display_opened (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(HangarDisplayView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) handle = NULL;
  g_autoptr(GUnixFDList) fd_list = NULL;
  int fd = -1;

  if (hangar_machine_call_open_display_finish (HANGAR_MACHINE (source), &handle, &fd_list, result, &error))
    {
      if (fd_list == NULL)
        g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The engine sent no socket"));
      else
        fd = g_unix_fd_list_get (fd_list, g_variant_get_handle (handle), &error);
    }
  if (is_cancelled (error))
    return;

  self->opening = FALSE;
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->error_text, g_free);

  if (fd < 0)
    {
      g_debug ("%s: OpenDisplay: %s", machine_name (self), error->message);
      if (g_error_matches (error, HANGAR_ERROR, HANGAR_ERROR_NO_DEVICE))
        set_no_device (self, TRUE);
      else if (g_error_matches (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE))
        ;  /* not running (yet, or any more): the State property will tell */
      else
        {
          self->error_text = engine_message (error);
          if (!is_final_error (error) && wants_display (self))
            schedule_retry (self);
        }
      refresh_status (self);
      return;
    }

  if (!machine_has_qemu (self))
    {
      close (fd);
      refresh_status (self);
      return;
    }

  g_debug ("%s: display socket received", machine_name (self));
  self->in_display_call = TRUE;
  hangar_display_open_fd (self->display, fd);
  self->in_display_call = FALSE;
  self->handshaking = TRUE;
  refresh_status (self);
}

static void
open_display (HangarDisplayView *self)
{
  g_assert (!self->opening);

  self->opening = TRUE;
  self->cancellable = g_cancellable_new ();
  refresh_status (self);
  hangar_machine_call_open_display (self->machine, NULL, self->cancellable,
                                    on_display_opened, g_object_ref (self));
}

/* Brings the connection in line with the machine and the view. */
static void
update_connection (HangarDisplayView *self)
{
  if (self->machine == NULL || !machine_has_qemu (self))
    {
      /* QEMU is gone or not there yet: whatever was open is over. */
      cancel_open (self);
      if (hangar_display_is_connected (self->display) || self->handshaking)
        close_display (self);
      self->retry_delay_ms = 0;
      g_clear_pointer (&self->error_text, g_free);
      if (self->machine == NULL || g_str_equal (machine_state (self), "shutoff") ||
          g_str_equal (machine_state (self), "crashed"))
        set_no_device (self, FALSE);
    }
  else if (wants_display (self) && !self->opening && self->retry_source == 0 &&
           !self->handshaking && !hangar_display_is_connected (self->display))
    open_display (self);

  refresh_status (self);
}

static void
on_display_connected (HangarDisplayView *self)
{
  self->handshaking = FALSE;
  self->retry_delay_ms = 0;
  self->connection_count++;
  g_clear_pointer (&self->error_text, g_free);
  g_debug ("%s: display connected (%u)", machine_name (self), self->connection_count);
  refresh_status (self);
}

static void
on_display_disconnected (HangarDisplayView *self)
{
  /* Our own closing, or a new socket replacing the old one. */
  if (self->in_display_call || self->opening)
    return;

  self->handshaking = FALSE;
  g_debug ("%s: display disconnected", machine_name (self));
  if (wants_display (self))
    schedule_retry (self);
  refresh_status (self);
}

static void
on_machine_notify (HangarDisplayView *self,
                   GParamSpec        *pspec)
{
  if (g_str_equal (pspec->name, "state"))
    update_connection (self);
  else if (g_str_equal (pspec->name, "name"))
    refresh_title (self);
}

void
hangar_display_view_set_machine (HangarDisplayView *self,
                                 HangarMachine     *machine)
{
  gboolean same_object;

  g_return_if_fail (HANGAR_IS_DISPLAY_VIEW (self));
  g_return_if_fail (machine == NULL || HANGAR_IS_MACHINE (machine));

  if (self->machine == machine)
    return;

  /* The engine came back and its object manager made a new proxy for the
   * same machine: a display that still works stays (it talks to QEMU
   * directly, not through the engine). */
  same_object = self->machine != NULL && machine != NULL &&
                g_str_equal (g_dbus_proxy_get_object_path (G_DBUS_PROXY (self->machine)),
                             g_dbus_proxy_get_object_path (G_DBUS_PROXY (machine)));

  if (self->machine != NULL)
    g_signal_handlers_disconnect_by_data (self->machine, self);
  cancel_open (self);
  if (!same_object || !hangar_display_is_connected (self->display))
    {
      close_display (self);
      self->connection_count = 0;
    }
  self->retry_delay_ms = 0;
  g_clear_pointer (&self->error_text, g_free);
  set_no_device (self, FALSE);

  g_set_object (&self->machine, machine);
  if (machine != NULL)
    g_signal_connect_object (machine, "notify", G_CALLBACK (on_machine_notify), self,
                             G_CONNECT_SWAPPED);

  refresh_title (self);
  update_connection (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MACHINE]);
}

HangarMachine *
hangar_display_view_get_machine (HangarDisplayView *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY_VIEW (self), NULL);

  return self->machine;
}

HangarDisplay *
hangar_display_view_get_display (HangarDisplayView *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY_VIEW (self), NULL);

  return self->display;
}

guint
hangar_display_view_get_connection_count (HangarDisplayView *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY_VIEW (self), 0);

  return self->connection_count;
}

gboolean
hangar_display_view_get_no_device (HangarDisplayView *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY_VIEW (self), FALSE);

  return self->no_device;
}

/* ---- Grab hint ------------------------------------------------------------ */

static void
on_grabbed_changed (HangarDisplayView *self)
{
  gtk_revealer_set_reveal_child (self->hint_revealer, hangar_display_get_grabbed (self->display));
}

/* ---- Scaling, guest resizing ---------------------------------------------- */

static void
apply_scaling (HangarDisplayView *self)
{
  GtkPolicyType policy = self->scale_to_fit ? GTK_POLICY_NEVER : GTK_POLICY_AUTOMATIC;

  hangar_display_set_scaling (self->display, self->scale_to_fit ? HANGAR_DISPLAY_SCALE_FIT
                                                                : HANGAR_DISPLAY_SCALE_NONE);
  gtk_scrolled_window_set_policy (self->scroller, policy, policy);
}

static void
set_scale_to_fit (HangarDisplayView *self,
                  gboolean           fit)
{
  if (self->scale_to_fit == fit)
    return;
  self->scale_to_fit = fit;
  apply_scaling (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCALE_TO_FIT]);

  /* Resizing the guest to the window means filling it. */
  if (!fit && self->resize_guest)
    {
      self->resize_guest = FALSE;
      hangar_display_set_resize_guest (self->display, FALSE);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESIZE_GUEST]);
    }
}

static void
set_resize_guest (HangarDisplayView *self,
                  gboolean           resize)
{
  resize = resize && self->can_resize_guest;
  if (self->resize_guest == resize)
    return;
  self->resize_guest = resize;
  if (resize)
    set_scale_to_fit (self, TRUE);
  hangar_display_set_resize_guest (self->display, resize);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESIZE_GUEST]);
}

void
hangar_display_view_set_can_resize_guest (HangarDisplayView *self,
                                          gboolean           can_resize)
{
  g_return_if_fail (HANGAR_IS_DISPLAY_VIEW (self));

  can_resize = !!can_resize;
  if (self->can_resize_guest != can_resize)
    {
      self->can_resize_guest = can_resize;
      if (!can_resize)
        set_resize_guest (self, FALSE);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_RESIZE_GUEST]);
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "display.resize-guest", can_resize);
  refresh_tooltips (self);
}

/* ---- Fullscreen toolbar --------------------------------------------------- */

static gboolean
on_hide_toolbar (gpointer user_data)
{
  HangarDisplayView *self = user_data;
  GtkPopover *popover = gtk_menu_button_get_popover (self->send_keys_button);

  self->hide_toolbar_source = 0;
  /* Not while its menu is open. */
  if (popover != NULL && gtk_widget_get_visible (GTK_WIDGET (popover)))
    {
      self->hide_toolbar_source = g_timeout_add (TOOLBAR_HIDE_MS, on_hide_toolbar, self);
      return G_SOURCE_REMOVE;
    }
  if (self->fullscreen)
    adw_flap_set_reveal_flap (self->flap, FALSE);
  return G_SOURCE_REMOVE;
}

static void
schedule_hide_toolbar (HangarDisplayView *self,
                       guint              delay_ms)
{
  if (self->hide_toolbar_source == 0)
    self->hide_toolbar_source = g_timeout_add (delay_ms, on_hide_toolbar, self);
}

static void
on_pointer_motion (HangarDisplayView *self,
                   double             x,
                   double             y)
{
  if (!self->fullscreen)
    return;

  if (y <= TOOLBAR_EDGE_PX)
    {
      g_clear_handle_id (&self->hide_toolbar_source, g_source_remove);
      adw_flap_set_reveal_flap (self->flap, TRUE);
    }
  else if (adw_flap_get_reveal_flap (self->flap))
    {
      if (y > gtk_widget_get_height (self->toolbar) + TOOLBAR_SLACK_PX)
        schedule_hide_toolbar (self, TOOLBAR_HIDE_MS);
      else
        g_clear_handle_id (&self->hide_toolbar_source, g_source_remove);
    }
}

static void
on_pointer_leave (HangarDisplayView *self)
{
  if (self->fullscreen && adw_flap_get_reveal_flap (self->flap))
    schedule_hide_toolbar (self, TOOLBAR_HIDE_MS);
}

/* F11 toggles fullscreen wherever the focus is in the view, the guest's
 * display included, unless the guest has the keyboard: then every key is
 * the guest's. */
static gboolean
on_key_pressed (HangarDisplayView *self,
                guint              keyval,
                guint              keycode,
                GdkModifierType    state)
{
  if (keyval != GDK_KEY_F11 || (state & gtk_accelerator_get_default_mod_mask ()) != 0 ||
      hangar_display_get_grabbed (self->display))
    return GDK_EVENT_PROPAGATE;

  hangar_display_view_set_fullscreen (self, !self->fullscreen);
  return GDK_EVENT_STOP;
}

static void
apply_fullscreen (HangarDisplayView *self)
{
  g_clear_handle_id (&self->hide_toolbar_source, g_source_remove);
  adw_flap_set_fold_policy (self->flap, self->fullscreen ? ADW_FLAP_FOLD_POLICY_ALWAYS
                                                         : ADW_FLAP_FOLD_POLICY_NEVER);
  adw_flap_set_reveal_flap (self->flap, TRUE);
  if (self->fullscreen)
    schedule_hide_toolbar (self, TOOLBAR_FIRST_HIDE_MS);
  if (self->fullscreen)
    gtk_widget_add_css_class (GTK_WIDGET (self), "fullscreen");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "fullscreen");
  refresh_title (self);
}

gboolean
hangar_display_view_get_fullscreen (HangarDisplayView *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY_VIEW (self), FALSE);

  return self->fullscreen;
}

void
hangar_display_view_set_fullscreen (HangarDisplayView *self,
                                    gboolean           fullscreen)
{
  g_return_if_fail (HANGAR_IS_DISPLAY_VIEW (self));

  fullscreen = !!fullscreen;
  if (self->fullscreen == fullscreen)
    return;
  self->fullscreen = fullscreen;
  apply_fullscreen (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FULLSCREEN]);
}

gboolean
hangar_display_view_get_detached (HangarDisplayView *self)
{
  g_return_val_if_fail (HANGAR_IS_DISPLAY_VIEW (self), FALSE);

  return self->detached;
}

void
hangar_display_view_set_detached (HangarDisplayView *self,
                                  gboolean           detached)
{
  g_return_if_fail (HANGAR_IS_DISPLAY_VIEW (self));

  detached = !!detached;
  if (self->detached == detached)
    return;
  self->detached = detached;
  refresh_tooltips (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DETACHED]);
}

/* ---- Screenshots ---------------------------------------------------------- */

char *
hangar_display_view_screenshot_name (HangarDisplayView *self,
                                     GDateTime         *time)
{
  g_autofree char *stamp = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (HANGAR_IS_DISPLAY_VIEW (self), NULL);
  g_return_val_if_fail (time != NULL, NULL);

  stamp = g_date_time_format (time, "%Y%m%d-%H%M%S");
  /* A name is a file name: no directory separators from the machine's name. */
  name = g_strdelimit (g_strdup (self->machine != NULL ? machine_name (self) : "display"), "/", '-');
  return g_strdup_printf ("%s-%s.png", name[0] != '\0' ? name : "display", stamp);
}

static void
encode_png (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  /* Textures are immutable, so safe to read from any thread. */
  GBytes *png = gdk_texture_save_to_png_bytes (GDK_TEXTURE (task_data));

  g_task_return_pointer (task, png, (GDestroyNotify) g_bytes_unref);
}

static void
on_png_written (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_png_encoded (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GBytes) png = g_task_propagate_pointer (G_TASK (result), NULL);
  GFile *file = g_object_get_data (G_OBJECT (task), "file");

  if (png == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, _("The image could not be encoded"));
      return;
    }
  g_file_replace_contents_bytes_async (file, png, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                                       g_task_get_cancellable (task), on_png_written,
                                       g_object_ref (task));
}

static void
save_texture (HangarDisplayView   *self,
              GdkTexture          *texture,
              GFile               *file,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GTask) encode = NULL;

  g_task_set_source_tag (task, hangar_display_view_save_screenshot);
  if (texture == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               _("There is no display image to save yet"));
      return;
    }

  g_object_set_data_full (G_OBJECT (task), "file", g_object_ref (file), g_object_unref);
  encode = g_task_new (self, cancellable, on_png_encoded, g_object_ref (task));
  g_task_set_task_data (encode, g_object_ref (texture), g_object_unref);
  g_task_run_in_thread (encode, encode_png);
}

/* The image shown now; NULL when there is none. */
static GdkTexture *
current_image (HangarDisplayView *self)
{
  return hangar_display_get_image (self->display);
}

void
hangar_display_view_save_screenshot (HangarDisplayView   *self,
                                     GFile               *file,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GdkTexture) texture = NULL;

  g_return_if_fail (HANGAR_IS_DISPLAY_VIEW (self));
  g_return_if_fail (G_IS_FILE (file));

  texture = current_image (self);
  save_texture (self, texture, file, cancellable, callback, user_data);
}

gboolean
hangar_display_view_save_screenshot_finish (HangarDisplayView  *self,
                                            GAsyncResult       *result,
                                            GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_screenshot_saved (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  HangarDisplayView *self = HANGAR_DISPLAY_VIEW (source);
  g_autoptr(GFile) file = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *basename = g_file_get_basename (file);
  g_autofree char *text = NULL;

  if (!hangar_display_view_save_screenshot_finish (self, result, &error))
    {
      if (is_cancelled (error))
        return;
      /* TRANSLATORS: the file name, then why it could not be written */
      text = g_strdup_printf (_("Could not save the screenshot “%s”: %s"), basename, error->message);
    }
  else
    /* TRANSLATORS: %s is a file name */
    text = g_strdup_printf (_("Screenshot saved as “%s”"), basename);
  add_toast (self, text);
}

static void
on_chooser_response (HangarDisplayView *self,
                     int                response,
                     GtkNativeDialog   *chooser)
{
  g_autoptr(GtkFileChooserNative) owned = g_steal_pointer (&self->chooser);
  g_autoptr(GdkTexture) texture = g_steal_pointer (&self->pending_shot);
  g_autoptr(GFile) file = NULL;

  if (response != GTK_RESPONSE_ACCEPT)
    return;
  file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file == NULL)
    return;
  save_texture (self, texture, file, NULL, on_screenshot_saved, g_object_ref (file));
}

static void
screenshot_activated (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  HangarDisplayView *self = HANGAR_DISPLAY_VIEW (widget);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *name = hangar_display_view_screenshot_name (self, now);
  const char *pictures = g_get_user_special_dir (G_USER_DIRECTORY_PICTURES);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autoptr(GdkTexture) texture = current_image (self);

  if (texture == NULL)
    {
      add_toast (self, _("There is no display image to save yet"));
      return;
    }
  if (self->chooser != NULL)
    {
      gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
      return;
    }

  /* What was on the screen when the button was pressed. */
  g_set_object (&self->pending_shot, texture);

  self->chooser = gtk_file_chooser_native_new (_("Save Screenshot"),
                                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  gtk_file_filter_set_name (filter, _("PNG images"));
  gtk_file_filter_add_mime_type (filter, "image/png");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  if (pictures != NULL)
    {
      g_autoptr(GFile) folder = g_file_new_for_path (pictures);

      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->chooser), folder, NULL);
    }
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (on_chooser_response), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ---- Moving between windows ----------------------------------------------- */

static void
reobserve_actions (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_ACTIONABLE (child) && gtk_actionable_get_action_name (GTK_ACTIONABLE (child)) != NULL)
        {
          g_autofree char *name = g_strdup (gtk_actionable_get_action_name (GTK_ACTIONABLE (child)));

          gtk_actionable_set_action_name (GTK_ACTIONABLE (child), NULL);
          gtk_actionable_set_action_name (GTK_ACTIONABLE (child), name);
        }
      reobserve_actions (child);
    }
}

/* GTK 4.8 forgets the view's own actions in the buttons under it when the
 * view gets a new parent (the page, or a window of its own): the buttons
 * turn insensitive. They look their actions up again, and the send-keys
 * menu is made anew. */
static void
hangar_display_view_root (GtkWidget *widget)
{
  HangarDisplayView *self = HANGAR_DISPLAY_VIEW (widget);
  g_autoptr(GMenuModel) menu = NULL;

  GTK_WIDGET_CLASS (hangar_display_view_parent_class)->root (widget);

  reobserve_actions (self->toolbar);
  menu = g_object_ref (gtk_menu_button_get_menu_model (self->send_keys_button));
  gtk_menu_button_set_menu_model (self->send_keys_button, NULL);
  gtk_menu_button_set_menu_model (self->send_keys_button, menu);
}

/* ---- GObject -------------------------------------------------------------- */

static void
hangar_display_view_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (hangar_display_view_parent_class)->map (widget);
  update_connection (HANGAR_DISPLAY_VIEW (widget));
}

static void
hangar_display_view_dispose (GObject *object)
{
  HangarDisplayView *self = HANGAR_DISPLAY_VIEW (object);

  cancel_open (self);
  g_clear_handle_id (&self->hide_toolbar_source, g_source_remove);
  if (self->machine != NULL)
    g_signal_handlers_disconnect_by_data (self->machine, self);
  g_clear_object (&self->machine);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_object (&self->pending_shot);
  if (self->display != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->display, self);
      close_display (self);
    }

  gtk_widget_dispose_template (GTK_WIDGET (self), HANGAR_TYPE_DISPLAY_VIEW);

  G_OBJECT_CLASS (hangar_display_view_parent_class)->dispose (object);
}

static void
hangar_display_view_finalize (GObject *object)
{
  HangarDisplayView *self = HANGAR_DISPLAY_VIEW (object);

  g_free (self->error_text);

  G_OBJECT_CLASS (hangar_display_view_parent_class)->finalize (object);
}

static void
hangar_display_view_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  HangarDisplayView *self = HANGAR_DISPLAY_VIEW (object);

  switch (prop_id)
    {
    case PROP_MACHINE:
      g_value_set_object (value, self->machine);
      break;
    case PROP_SCALE_TO_FIT:
      g_value_set_boolean (value, self->scale_to_fit);
      break;
    case PROP_RESIZE_GUEST:
      g_value_set_boolean (value, self->resize_guest);
      break;
    case PROP_CAN_RESIZE_GUEST:
      g_value_set_boolean (value, self->can_resize_guest);
      break;
    case PROP_FULLSCREEN:
      g_value_set_boolean (value, self->fullscreen);
      break;
    case PROP_DETACHED:
      g_value_set_boolean (value, self->detached);
      break;
    case PROP_NO_DEVICE:
      g_value_set_boolean (value, self->no_device);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hangar_display_view_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  HangarDisplayView *self = HANGAR_DISPLAY_VIEW (object);

  switch (prop_id)
    {
    case PROP_MACHINE:
      hangar_display_view_set_machine (self, g_value_get_object (value));
      break;
    case PROP_SCALE_TO_FIT:
      set_scale_to_fit (self, g_value_get_boolean (value));
      break;
    case PROP_RESIZE_GUEST:
      set_resize_guest (self, g_value_get_boolean (value));
      break;
    case PROP_CAN_RESIZE_GUEST:
      hangar_display_view_set_can_resize_guest (self, g_value_get_boolean (value));
      break;
    case PROP_FULLSCREEN:
      hangar_display_view_set_fullscreen (self, g_value_get_boolean (value));
      break;
    case PROP_DETACHED:
      hangar_display_view_set_detached (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hangar_display_view_class_init (HangarDisplayViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hangar_display_view_dispose;
  object_class->finalize = hangar_display_view_finalize;
  object_class->get_property = hangar_display_view_get_property;
  object_class->set_property = hangar_display_view_set_property;
  widget_class->map = hangar_display_view_map;
  widget_class->root = hangar_display_view_root;

  /* Remote errors come back as HANGAR_ERROR codes once the domain is known. */
  hangar_error_quark ();

  properties[PROP_MACHINE] =
    g_param_spec_object ("machine", NULL, NULL, HANGAR_TYPE_MACHINE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SCALE_TO_FIT] =
    g_param_spec_boolean ("scale-to-fit", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RESIZE_GUEST] =
    g_param_spec_boolean ("resize-guest", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAN_RESIZE_GUEST] =
    g_param_spec_boolean ("can-resize-guest", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FULLSCREEN] =
    g_param_spec_boolean ("fullscreen", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DETACHED] =
    g_param_spec_boolean ("detached", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NO_DEVICE] =
    g_param_spec_boolean ("no-device", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "display.send-keys", "s", send_keys_activated);
  gtk_widget_class_install_action (widget_class, "display.screenshot", NULL, screenshot_activated);
  gtk_widget_class_install_property_action (widget_class, "display.scale-to-fit", "scale-to-fit");
  gtk_widget_class_install_property_action (widget_class, "display.resize-guest", "resize-guest");
  gtk_widget_class_install_property_action (widget_class, "display.fullscreen", "fullscreen");
  gtk_widget_class_install_property_action (widget_class, "display.detach", "detached");

  g_type_ensure (HANGAR_TYPE_DISPLAY);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hangarvm/Hangar/hangar-display-view.ui");
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayView, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayView, flap);
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayView, toolbar);
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayView, send_keys_button);
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayView, resize_guest_button);
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayView, detach_button);
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayView, fit_button);
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayView, screenshot_button);
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayView, fullscreen_button);
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayView, title_label);
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayView, scroller);
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayView, display);
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayView, hint_revealer);
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayView, hint_label);
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayView, status_box);
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayView, status_spinner);
  gtk_widget_class_bind_template_child (widget_class, HangarDisplayView, status_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "displayview");
}

static void
hangar_display_view_init (HangarDisplayView *self)
{
  GtkEventController *motion;
  GtkEventController *keys;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->scale_to_fit = TRUE;
  apply_scaling (self);

  g_signal_connect_object (self->display, "connected", G_CALLBACK (on_display_connected), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->display, "disconnected", G_CALLBACK (on_display_disconnected), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->display, "notify::grabbed", G_CALLBACK (on_grabbed_changed), self,
                           G_CONNECT_SWAPPED);

  /* The capture phase sees the pointer over the guest too. */
  motion = gtk_event_controller_motion_new ();
  gtk_event_controller_set_propagation_phase (motion, GTK_PHASE_CAPTURE);
  gtk_event_controller_set_name (motion, "hangar-display-view-motion");
  g_signal_connect_object (motion, "motion", G_CALLBACK (on_pointer_motion), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (motion, "leave", G_CALLBACK (on_pointer_leave), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);

  /* Before the display, which sends every key to the guest. */
  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  gtk_event_controller_set_name (keys, "hangar-display-view-keys");
  g_signal_connect_object (keys, "key-pressed", G_CALLBACK (on_key_pressed), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);

  hangar_display_view_set_can_resize_guest (self, FALSE);
  refresh_tooltips (self);
  refresh_status (self);
}

GtkWidget *
hangar_display_view_new (void)
{
  return g_object_new (HANGAR_TYPE_DISPLAY_VIEW, NULL);
}
