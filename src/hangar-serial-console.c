/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-serial-console"

#include "hangar-serial-console.h"

#include <adwaita.h>
#include <gio/gunixfdlist.h>
#include <glib/gi18n.h>
#include <string.h>
#include <unistd.h>

#include "hangard-error.h"

#define RESOURCE_PATH "/io/github/hangarvm/Hangar/"
/* The log shown while the machine is off, and the part of it shown before
 * the live output when the port is opened. */
#define LOG_MAX_BYTES     (256 * 1024)
#define CONTEXT_MAX_BYTES (16 * 1024)
#define READ_CHUNK        4096
/* The socket ends both when QEMU ends and when another client takes the
 * port over; a moment tells them apart (QEMU's end changes State). */
#define EOF_GRACE_MS      1500

/* One opened serial port: the socket and what is waiting to go out. Its
 * callbacks do nothing once it is cancelled (the view dropped it). */
typedef struct {
  gint                 ref_count;
  HangarSerialConsole *self;         /* not owned; valid while not cancelled */
  GCancellable        *cancellable;
  GIOStream           *stream;
  GByteArray          *pending;      /* committed by the terminal, not yet written */
  gboolean             writing;
  GBytes              *context;      /* the end of the log, fed first */
} Link;

struct _HangarSerialConsole
{
  GtkWidget      parent_instance;

  HangarMachine *machine;
  GCancellable  *cancellable;        /* log reads; cancelled when the machine changes */
  Link          *link;               /* while connecting or connected */
  const char    *status;
  char          *failure;            /* why the engine refused, for "failed" */
  guint64        run;                /* the StartTime the sticky states are about */
  gboolean       log_shown;          /* the terminal holds the log of this off period */
  gboolean       log_pending;
  guint          eof_source;

  GtkWidget     *content;          /* the template's, unparented on dispose */
  GtkWidget     *status_bar;
  GtkImage      *status_icon;
  GtkLabel      *status_label;
  GtkWidget     *reconnect_button;
  GtkStack      *stack;
  VteTerminal   *terminal;
};

G_DEFINE_FINAL_TYPE (HangarSerialConsole, hangar_serial_console, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_STATUS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void update_connection (HangarSerialConsole *self);

/* ---- Small helpers -------------------------------------------------------- */

static const char *
machine_state (HangarSerialConsole *self)
{
  const char *state = self->machine != NULL ? hangar_machine_get_state (self->machine) : NULL;

  return state != NULL ? state : "";
}

/* QEMU runs with the guest: the port can be opened. */
static gboolean
machine_runs (HangarSerialConsole *self)
{
  const char *state = machine_state (self);

  return g_str_equal (state, "running") || g_str_equal (state, "paused") ||
         g_str_equal (state, "shutting-down");
}

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static char *
engine_message (const GError *error)
{
  g_autoptr(GError) copy = g_error_copy (error);

  g_dbus_error_strip_remote_error (copy);
  return g_strdup (copy->message);
}

/* ---- What is shown -------------------------------------------------------- */

static void
set_status (HangarSerialConsole *self,
            const char          *status)
{
  const char *text = NULL;
  const char *icon = "utilities-terminal-symbolic";
  const char *button = NULL;
  const char *page = "terminal";   /* NULL: left as it is */
  gboolean connected = g_str_equal (status, "connected");

  if (g_str_equal (status, "none"))
    text = "";
  else if (g_str_equal (status, "log"))
    {
      if (g_str_equal (machine_state (self), "starting"))
        text = _("The machine is starting. Its console opens once it runs.");
      else
        text = _("The machine is not running. This is what it wrote on its serial port.");
      /* The log, or "No Console Output", once it is read. */
      page = NULL;
    }
  else if (g_str_equal (status, "connecting"))
    text = _("Connecting to the serial console…");
  else if (connected)
    {
      text = _("Connected to the serial console: what you type goes to the machine.");
      icon = "network-transmit-receive-symbolic";
    }
  else if (g_str_equal (status, "taken-over"))
    {
      text = _("Another program took over the serial console.");
      icon = "dialog-information-symbolic";
      button = _("_Take It Back");
    }
  else if (g_str_equal (status, "no-serial"))
    {
      text = "";
      page = "no-serial";
    }
  else if (g_str_equal (status, "failed"))
    {
      text = self->failure;
      icon = "dialog-warning-symbolic";
      button = _("_Try Again");
    }
  else
    g_assert_not_reached ();

  gtk_label_set_label (self->status_label, text != NULL ? text : "");
  gtk_image_set_from_icon_name (self->status_icon, icon);
  gtk_widget_set_visible (self->status_bar, text != NULL && text[0] != '\0');
  gtk_widget_set_visible (self->reconnect_button, button != NULL);
  if (button != NULL)
    gtk_button_set_label (GTK_BUTTON (self->reconnect_button), button);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "console.reconnect", button != NULL);
  if (page != NULL)
    gtk_stack_set_visible_child_name (self->stack, page);
  vte_terminal_set_input_enabled (self->terminal, connected);

  if (g_strcmp0 (self->status, status) != 0)
    {
      self->status = status;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }
}

/* Drops the escape sequences a terminal answers (device status and
 * attribute queries, OSC and DCS strings, ENQ) from old output: fed again,
 * they would make the terminal type its answers into the guest. */
static GBytes *
without_queries (const char *data,
                 gsize       length)
{
  GByteArray *out = g_byte_array_sized_new (length);
  const char *end = data + length;

  for (const char *p = data; p < end; p++)
    {
      const char *start = p;

      if (*p == '\005')
        continue;
      if (*p != '\033' || p + 1 >= end)
        {
          g_byte_array_append (out, (const guint8 *) p, 1);
          continue;
        }
      if (p[1] == '[')
        {
          for (p += 2; p < end && !((guchar) *p >= 0x40 && (guchar) *p <= 0x7e); p++)
            ;
          if (p >= end)
            break;
          if (*p != 'n' && *p != 'c' && *p != 't' && *p != 'x' && *p != 'p')
            g_byte_array_append (out, (const guint8 *) start, p - start + 1);
          continue;
        }
      if (p[1] == ']' || p[1] == 'P' || p[1] == '_' || p[1] == '^')
        {
          /* Up to BEL or ST (ESC \). */
          for (p += 2; p < end; p++)
            {
              if (*p == '\a')
                break;
              if (*p == '\033' && p + 1 < end && p[1] == '\\')
                {
                  p++;
                  break;
                }
            }
          continue;
        }
      g_byte_array_append (out, (const guint8 *) p, 1);
    }
  return g_byte_array_free_to_bytes (out);
}

/* A fresh terminal showing @data (old output). */
static void
show_old_output (HangarSerialConsole *self,
                 GBytes              *data)
{
  gsize length = data != NULL ? g_bytes_get_size (data) : 0;

  vte_terminal_reset (self->terminal, TRUE, TRUE);
  /* The cursor home, the screen clear: what follows starts at the top. */
  vte_terminal_feed (self->terminal, "\033[H\033[2J", -1);
  if (length > 0)
    vte_terminal_feed (self->terminal, g_bytes_get_data (data, NULL), length);
}

/* ---- The log, while the machine does not run ------------------------------ */

static void
on_log_ready (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HangarSerialConsole) self = user_data;
  g_autoptr(GVariant) data = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  const char *raw;
  gsize length;

  if (!hangar_machine_call_get_console_log_finish (HANGAR_MACHINE (source), &data, result, &error))
    {
      if (is_cancelled (error))
        return;
      self->log_pending = FALSE;
      g_debug ("Cannot read the console log: %s", error->message);
      return;
    }
  self->log_pending = FALSE;
  if (self->link != NULL || machine_runs (self))
    return;

  raw = g_variant_get_fixed_array (data, &length, 1);
  bytes = without_queries (length > 0 ? raw : "", length);
  show_old_output (self, bytes);
  /* Read only: no cursor. */
  vte_terminal_feed (self->terminal, "\033[?25l", -1);
  self->log_shown = TRUE;
  gtk_stack_set_visible_child_name (self->stack, g_bytes_get_size (bytes) > 0 ? "terminal" : "empty");
  set_status (self, "log");
  /* Nothing written yet: the status page says it all. */
  if (g_bytes_get_size (bytes) == 0)
    gtk_widget_set_visible (self->status_bar, FALSE);
}

static void
fetch_log (HangarSerialConsole *self)
{
  if (self->machine == NULL || self->log_pending || self->log_shown)
    return;
  self->log_pending = TRUE;
  hangar_machine_call_get_console_log (self->machine, LOG_MAX_BYTES, self->cancellable,
                                       on_log_ready, g_object_ref (self));
}

/* ---- The link ------------------------------------------------------------- */

static Link *
link_ref (Link *link)
{
  g_atomic_int_inc (&link->ref_count);
  return link;
}

static void
link_unref (Link *link)
{
  if (!g_atomic_int_dec_and_test (&link->ref_count))
    return;
  if (link->stream != NULL)
    g_io_stream_close (link->stream, NULL, NULL);
  g_clear_object (&link->stream);
  g_clear_object (&link->cancellable);
  g_clear_pointer (&link->pending, g_byte_array_unref);
  g_clear_pointer (&link->context, g_bytes_unref);
  g_free (link);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Link, link_unref)

/* The view this link still serves, or NULL once it was dropped. */
static HangarSerialConsole *
link_owner (Link *link)
{
  return g_cancellable_is_cancelled (link->cancellable) ? NULL : link->self;
}

static void
drop_link (HangarSerialConsole *self)
{
  g_clear_handle_id (&self->eof_source, g_source_remove);
  if (self->link == NULL)
    return;
  g_cancellable_cancel (self->link->cancellable);
  g_clear_pointer (&self->link, link_unref);
}

static void write_pending (Link *link);

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(Link) link = user_data;
  g_autoptr(GError) error = NULL;
  gssize written = g_output_stream_write_bytes_finish (G_OUTPUT_STREAM (source), result, &error);

  link->writing = FALSE;
  if (written < 0)
    {
      /* The reading side sees the end too, and says what happened. */
      if (!is_cancelled (error))
        g_debug ("Cannot write to the serial console: %s", error->message);
      return;
    }
  g_byte_array_remove_range (link->pending, 0, (guint) written);
  write_pending (link);
}

static void
write_pending (Link *link)
{
  g_autoptr(GBytes) bytes = NULL;

  if (link->writing || link->pending->len == 0 || link->stream == NULL ||
      link_owner (link) == NULL)
    return;

  link->writing = TRUE;
  bytes = g_bytes_new (link->pending->data, link->pending->len);
  g_output_stream_write_bytes_async (g_io_stream_get_output_stream (link->stream), bytes,
                                     G_PRIORITY_DEFAULT, link->cancellable, on_written,
                                     link_ref (link));
}

static void
on_terminal_commit (HangarSerialConsole *self,
                    const char          *text,
                    guint                size,
                    VteTerminal         *terminal)
{
  if (self->link == NULL || self->link->stream == NULL)
    return;
  g_byte_array_append (self->link->pending, (const guint8 *) text, size);
  write_pending (self->link);
}

static gboolean
on_eof_grace_over (gpointer user_data)
{
  HangarSerialConsole *self = user_data;

  self->eof_source = 0;
  /* The same QEMU still runs: someone else has the port. */
  if (machine_runs (self) && hangar_machine_get_start_time (self->machine) == self->run)
    set_status (self, "taken-over");
  else
    update_connection (self);
  return G_SOURCE_REMOVE;
}

static void read_next (Link *link);

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(Link) link = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  HangarSerialConsole *self = link_owner (link);

  if (self == NULL)
    return;

  if (bytes != NULL && g_bytes_get_size (bytes) > 0)
    {
      vte_terminal_feed (self->terminal, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      read_next (link);
      return;
    }

  if (error != NULL)
    g_debug ("The serial console ended: %s", error->message);
  /* The end: QEMU ended, or another client took the port. The terminal
   * keeps what it shows. */
  drop_link (self);
  self->run = self->machine != NULL ? hangar_machine_get_start_time (self->machine) : 0;
  self->eof_source = g_timeout_add (EOF_GRACE_MS, on_eof_grace_over, self);
  vte_terminal_set_input_enabled (self->terminal, FALSE);
}

static void
read_next (Link *link)
{
  g_input_stream_read_bytes_async (g_io_stream_get_input_stream (link->stream), READ_CHUNK,
                                   G_PRIORITY_DEFAULT, link->cancellable, on_read,
                                   link_ref (link));
}

static void
fail (HangarSerialConsole *self,
      const GError        *error)
{
  g_autofree char *message = engine_message (error);

  g_free (self->failure);
  /* TRANSLATORS: the engine's reason follows */
  self->failure = g_strdup_printf (_("Could not open the serial console: %s"), message);
  set_status (self, "failed");
}

static void
on_serial_opened (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Link) link = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  g_autoptr(GVariant) reply = g_dbus_proxy_call_with_unix_fd_list_finish (G_DBUS_PROXY (source), &fds,
                                                                          result, &error);
  HangarSerialConsole *self = link_owner (link);
  g_autoptr(GSocket) socket = NULL;
  gint32 index = -1;
  int fd = -1;

  if (self == NULL)
    return;   /* the descriptor goes with fds */

  if (reply != NULL)
    {
      g_variant_get (reply, "(h)", &index);
      fd = fds != NULL ? g_unix_fd_list_get (fds, index, &error) : -1;
      if (fd < 0 && error == NULL)
        g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_FAILED,
                             _("The engine sent no socket"));
    }
  if (fd >= 0)
    {
      socket = g_socket_new_from_fd (fd, &error);
      if (socket == NULL)
        close (fd);
    }

  if (socket == NULL)
    {
      drop_link (self);
      if (g_error_matches (error, HANGAR_ERROR, HANGAR_ERROR_NO_DEVICE))
        set_status (self, "no-serial");
      else if (g_error_matches (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE) && !machine_runs (self))
        update_connection (self);   /* it stopped meanwhile */
      else
        fail (self, error);
      return;
    }

  link->stream = G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
  show_old_output (self, link->context);
  self->log_shown = FALSE;
  gtk_stack_set_visible_child_name (self->stack, "terminal");
  set_status (self, "connected");
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    gtk_widget_grab_focus (GTK_WIDGET (self->terminal));
  read_next (link);
  write_pending (link);
}

static void
open_serial (Link *link)
{
  HangarSerialConsole *self = link->self;

  g_dbus_proxy_call_with_unix_fd_list (G_DBUS_PROXY (self->machine), "OpenSerial", NULL,
                                       G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION,
                                       -1, NULL, link->cancellable, on_serial_opened,
                                       link_ref (link));
}

/* The recent output first, so the guest's prompt shows; then the port. */
static void
on_context_ready (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Link) link = user_data;
  g_autoptr(GVariant) data = NULL;
  g_autoptr(GError) error = NULL;

  if (link_owner (link) == NULL)
    return;
  if (hangar_machine_call_get_console_log_finish (HANGAR_MACHINE (source), &data, result, &error))
    {
      gsize length;
      const char *raw = g_variant_get_fixed_array (data, &length, 1);
      gsize start = 0;

      /* The end of a longer log: from a line's start, so that no escape
       * sequence is cut in half. */
      if (length >= CONTEXT_MAX_BYTES)
        {
          const char *newline = memchr (raw, '\n', length);

          start = newline != NULL ? (gsize) (newline - raw) + 1 : length;
        }
      link->context = without_queries (raw + start, length - start);
    }
  else
    g_debug ("Cannot read the console log: %s", error->message);
  open_serial (link);
}

static void
connect_serial (HangarSerialConsole *self)
{
  Link *link = g_new0 (Link, 1);

  drop_link (self);
  link->ref_count = 1;
  link->self = self;
  link->cancellable = g_cancellable_new ();
  link->pending = g_byte_array_new ();
  self->link = link;
  set_status (self, "connecting");
  hangar_machine_call_get_console_log (self->machine, CONTEXT_MAX_BYTES, link->cancellable,
                                       on_context_ready, link_ref (link));
}

/* ---- When to connect ------------------------------------------------------ */

/* Sticky states wait for the user, or for the next run of the machine. */
static gboolean
waits_for_user (HangarSerialConsole *self)
{
  return self->status != NULL &&
         (g_str_equal (self->status, "taken-over") || g_str_equal (self->status, "no-serial") ||
          g_str_equal (self->status, "failed"));
}

static void
update_connection (HangarSerialConsole *self)
{
  if (self->machine == NULL)
    {
      drop_link (self);
      set_status (self, "none");
      return;
    }

  if (!machine_runs (self))
    {
      drop_link (self);
      g_clear_pointer (&self->failure, g_free);
      set_status (self, "log");
      fetch_log (self);
      return;
    }

  self->log_shown = FALSE;
  /* A new run ends what waited for the last one. */
  if (hangar_machine_get_start_time (self->machine) != self->run && waits_for_user (self))
    {
      self->run = hangar_machine_get_start_time (self->machine);
      set_status (self, "connecting");
    }
  if (self->link != NULL || self->eof_source != 0 || waits_for_user (self))
    return;
  /* Opened when first looked at: opening it takes it from whoever had it. */
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      if (!g_str_equal (self->status, "connecting"))
        set_status (self, "connecting");
      return;
    }
  self->run = hangar_machine_get_start_time (self->machine);
  connect_serial (self);
}

static void
on_machine_notify (HangarSerialConsole *self,
                   GParamSpec          *pspec)
{
  if (g_str_equal (pspec->name, "state") || g_str_equal (pspec->name, "start-time"))
    update_connection (self);
}

static void
reconnect_activated (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  HangarSerialConsole *self = HANGAR_SERIAL_CONSOLE (widget);

  if (self->machine == NULL || !machine_runs (self))
    return;
  g_clear_handle_id (&self->eof_source, g_source_remove);
  g_clear_pointer (&self->failure, g_free);
  self->run = hangar_machine_get_start_time (self->machine);
  connect_serial (self);
}

/* ---- Public --------------------------------------------------------------- */

GtkWidget *
hangar_serial_console_new (void)
{
  return g_object_new (HANGAR_TYPE_SERIAL_CONSOLE, NULL);
}

void
hangar_serial_console_set_machine (HangarSerialConsole *self,
                                   HangarMachine       *machine)
{
  g_return_if_fail (HANGAR_IS_SERIAL_CONSOLE (self));
  g_return_if_fail (machine == NULL || HANGAR_IS_MACHINE (machine));

  if (self->machine == machine)
    return;

  /* The same machine on a new proxy (the engine came back): a port that
   * is open stays open. */
  if (self->machine != NULL && machine != NULL && self->link != NULL &&
      g_str_equal (g_dbus_proxy_get_object_path (G_DBUS_PROXY (self->machine)),
                   g_dbus_proxy_get_object_path (G_DBUS_PROXY (machine))))
    {
      g_signal_handlers_disconnect_by_data (self->machine, self);
      g_set_object (&self->machine, machine);
      g_signal_connect_object (machine, "notify", G_CALLBACK (on_machine_notify), self,
                               G_CONNECT_SWAPPED);
      update_connection (self);
      return;
    }

  if (self->machine != NULL)
    g_signal_handlers_disconnect_by_data (self->machine, self);
  drop_link (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_set_object (&self->machine, machine);
  g_clear_pointer (&self->failure, g_free);
  self->log_shown = FALSE;
  self->log_pending = FALSE;
  self->run = machine != NULL ? hangar_machine_get_start_time (machine) : 0;

  vte_terminal_reset (self->terminal, TRUE, TRUE);
  vte_terminal_feed (self->terminal, "\033[H\033[2J", -1);
  gtk_stack_set_visible_child_name (self->stack, "terminal");

  if (machine != NULL)
    g_signal_connect_object (machine, "notify", G_CALLBACK (on_machine_notify), self,
                             G_CONNECT_SWAPPED);
  set_status (self, "none");
  update_connection (self);
}

HangarMachine *
hangar_serial_console_get_machine (HangarSerialConsole *self)
{
  g_return_val_if_fail (HANGAR_IS_SERIAL_CONSOLE (self), NULL);

  return self->machine;
}

const char *
hangar_serial_console_get_status (HangarSerialConsole *self)
{
  g_return_val_if_fail (HANGAR_IS_SERIAL_CONSOLE (self), NULL);

  return self->status;
}

VteTerminal *
hangar_serial_console_get_terminal (HangarSerialConsole *self)
{
  g_return_val_if_fail (HANGAR_IS_SERIAL_CONSOLE (self), NULL);

  return self->terminal;
}

char *
hangar_serial_console_dup_text (HangarSerialConsole *self)
{
  GtkAdjustment *adjustment;
  glong first, last, columns;
  char *text;

  g_return_val_if_fail (HANGAR_IS_SERIAL_CONSOLE (self), NULL);

  /* The terminal scrolls by rows: its adjustment spans the scrollback. */
  adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->terminal));
  first = (glong) gtk_adjustment_get_lower (adjustment);
  last = MAX ((glong) gtk_adjustment_get_upper (adjustment) - 1, first);
  columns = vte_terminal_get_column_count (self->terminal);
  text = vte_terminal_get_text_range (self->terminal, first, 0, last, columns - 1, NULL, NULL, NULL);
  return text != NULL ? text : g_strdup ("");
}

/* ---- GObject -------------------------------------------------------------- */

static void
hangar_serial_console_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (hangar_serial_console_parent_class)->map (widget);
  update_connection (HANGAR_SERIAL_CONSOLE (widget));
}

static void
hangar_serial_console_dispose (GObject *object)
{
  HangarSerialConsole *self = HANGAR_SERIAL_CONSOLE (object);

  if (self->machine != NULL)
    g_signal_handlers_disconnect_by_data (self->machine, self);
  drop_link (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->machine);
  gtk_widget_dispose_template (GTK_WIDGET (self), HANGAR_TYPE_SERIAL_CONSOLE);

  G_OBJECT_CLASS (hangar_serial_console_parent_class)->dispose (object);
}

static void
hangar_serial_console_finalize (GObject *object)
{
  HangarSerialConsole *self = HANGAR_SERIAL_CONSOLE (object);

  g_free (self->failure);

  G_OBJECT_CLASS (hangar_serial_console_parent_class)->finalize (object);
}

static void
hangar_serial_console_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  HangarSerialConsole *self = HANGAR_SERIAL_CONSOLE (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      g_value_set_string (value, self->status);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hangar_serial_console_class_init (HangarSerialConsoleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hangar_serial_console_dispose;
  object_class->finalize = hangar_serial_console_finalize;
  object_class->get_property = hangar_serial_console_get_property;
  widget_class->map = hangar_serial_console_map;

  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, "none",
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Remote errors come back as HANGAR_ERROR codes once the domain is known. */
  hangar_error_quark ();

  gtk_widget_class_install_action (widget_class, "console.reconnect", NULL, reconnect_activated);

  g_type_ensure (VTE_TYPE_TERMINAL);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "hangar-serial-console.ui");
  gtk_widget_class_bind_template_child (widget_class, HangarSerialConsole, content);
  gtk_widget_class_bind_template_child (widget_class, HangarSerialConsole, status_bar);
  gtk_widget_class_bind_template_child (widget_class, HangarSerialConsole, status_icon);
  gtk_widget_class_bind_template_child (widget_class, HangarSerialConsole, status_label);
  gtk_widget_class_bind_template_child (widget_class, HangarSerialConsole, reconnect_button);
  gtk_widget_class_bind_template_child (widget_class, HangarSerialConsole, stack);
  gtk_widget_class_bind_template_child (widget_class, HangarSerialConsole, terminal);
  gtk_widget_class_bind_template_callback (widget_class, on_terminal_commit);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "serialconsole");
}

/* A dark terminal, as consoles are; the palette is the Tango one. */
static void
setup_colors (VteTerminal *terminal)
{
  static const char * const palette_names[16] = {
    "#2e3436", "#cc0000", "#4e9a06", "#c4a000", "#3465a4", "#75507b", "#06989a", "#d3d7cf",
    "#555753", "#ef2929", "#8ae234", "#fce94f", "#729fcf", "#ad7fa8", "#34e2e2", "#eeeeec",
  };
  GdkRGBA palette[16];
  GdkRGBA foreground, background;

  for (guint i = 0; i < G_N_ELEMENTS (palette); i++)
    gdk_rgba_parse (&palette[i], palette_names[i]);
  gdk_rgba_parse (&foreground, "#deddda");
  gdk_rgba_parse (&background, "#1e1e1e");
  vte_terminal_set_colors (terminal, &foreground, &background, palette, G_N_ELEMENTS (palette));
}

static void
hangar_serial_console_init (HangarSerialConsole *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->status = "none";
  setup_colors (self->terminal);
  vte_terminal_set_cursor_blink_mode (self->terminal, VTE_CURSOR_BLINK_OFF);
  set_status (self, "none");
}
