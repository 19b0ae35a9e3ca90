/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-window"

#include "hangar-window.h"

#include "hangar-machine-actions.h"
#include "hangar-machine-page.h"
#include "hangar-machine-row.h"
#include "hangar-new-machine.h"

#include <glib/gi18n.h>
#include <string.h>

#define ERROR_TOAST_TIMEOUT_S 8
#define LONG_MESSAGE_CHARS    100

struct _HangarWindow
{
  AdwApplicationWindow  parent_instance;

  HangarConnection     *connection;
  GtkCustomFilter      *filter;
  GtkFilterListModel   *filtered;
  GtkSingleSelection   *selection;
  HangarMachine        *selected;
  char                 *search_casefold;
  char                 *pending_selection;  /* a new machine's path, until it is listed */
  char                 *pending_customize;  /* ...to be shown for customizing before install */

  AdwToastOverlay      *toast_overlay;
  GtkStack             *main_stack;
  GtkStack             *status_stack;
  GtkSpinner           *spinner;
  AdwStatusPage        *unreachable_page;
  GtkMenuButton        *status_connection_button;
  GtkMenuButton        *connection_button;
  AdwLeaflet           *leaflet;
  GtkWidget            *sidebar;
  GtkSearchBar         *search_bar;
  GtkSearchEntry       *search_entry;
  GtkStack             *list_stack;
  GtkListView          *machine_list;
  AdwWindowTitle       *content_title;
  GtkStack             *content_stack;
  HangarMachinePage    *machine_page;
};

G_DEFINE_FINAL_TYPE (HangarWindow, hangar_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CONNECTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- Toasts --------------------------------------------------------------- */

/* A long message (QEMU's own words can run long) shows its start in the
 * toast, and all of it under Details with @heading. */
static void
add_toast (HangarWindow *self,
           const char   *text,
           const char   *heading,
           const char   *details)
{
  g_autofree char *markup = g_markup_escape_text (text, -1);
  AdwToast *toast = adw_toast_new (markup);

  adw_toast_set_timeout (toast, ERROR_TOAST_TIMEOUT_S);
  if (g_utf8_strlen (text, -1) > LONG_MESSAGE_CHARS || strchr (text, '\n') != NULL)
    {
      adw_toast_set_button_label (toast, _("_Details"));
      adw_toast_set_action_name (toast, "win.error-details");
      adw_toast_set_action_target_value (toast, g_variant_new ("(ss)", heading, details));
    }
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
hangar_window_show_message (HangarWindow *self,
                            const char   *text)
{
  g_return_if_fail (HANGAR_IS_WINDOW (self));
  g_return_if_fail (text != NULL);

  add_toast (self, text, _("Details"), text);
}

void
hangar_window_show_failure (HangarWindow *self,
                            const char   *what,
                            const GError *error)
{
  g_autofree char *message = NULL;
  g_autofree char *text = NULL;

  g_return_if_fail (HANGAR_IS_WINDOW (self));
  g_return_if_fail (error != NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  message = hangar_connection_format_error (self->connection, error);
  /* TRANSLATORS: what failed, and why: "Could not start “web”: The machine is running" */
  text = what ? g_strdup_printf (_("%s: %s"), what, message) : g_strdup (message);
  add_toast (self, text, what ? what : _("Error"), message);
}

void
hangar_window_show_error (HangarWindow *self,
                          const GError *error)
{
  hangar_window_show_failure (self, NULL, error);
}

static void
show_error_details (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  HangarWindow *self = user_data;
  const char *heading, *details;
  GtkWidget *dialog, *scrolled, *label;

  g_variant_get (parameter, "(&s&s)", &heading, &details);

  label = g_object_new (GTK_TYPE_LABEL,
                        "label", details,
                        "wrap", TRUE,
                        "wrap-mode", PANGO_WRAP_WORD_CHAR,
                        "selectable", TRUE,
                        "xalign", 0.0f,
                        "yalign", 0.0f,
                        "css-classes", (const char *[]) { "monospace", NULL },
                        NULL);
  scrolled = g_object_new (GTK_TYPE_SCROLLED_WINDOW,
                           "child", label,
                           "hscrollbar-policy", GTK_POLICY_NEVER,
                           "min-content-height", 200,
                           "max-content-height", 400,
                           "propagate-natural-height", TRUE,
                           NULL);

  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, NULL);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), scrolled);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_set_default_size (GTK_WINDOW (dialog), 640, -1);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- Which page ----------------------------------------------------------- */

static const char *
connection_label (const char *spec)
{
  if (g_strcmp0 (spec, "session") == 0)
    return _("This computer (user)");
  if (g_strcmp0 (spec, "system") == 0)
    return _("This computer (system)");
  return _("Other Bus");
}

static void
update_connection_buttons (HangarWindow *self)
{
  const char *spec = hangar_connection_get_bus_spec (self->connection);
  g_autofree char *tooltip = g_strdup_printf (_("Engine: %s"), spec);
  GtkMenuButton *buttons[] = { self->connection_button, self->status_connection_button };
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "connection");

  for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
    {
      gtk_menu_button_set_label (buttons[i], connection_label (spec));
      gtk_widget_set_tooltip_text (GTK_WIDGET (buttons[i]), tooltip);
    }
  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_string (spec));
}

static void
update_list_page (HangarWindow *self)
{
  gboolean any = g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) > 0;

  gtk_stack_set_visible_child_name (self->list_stack, any ? "list" : "no-results");
}

static void
update_page (HangarWindow *self)
{
  GListModel *machines = hangar_connection_get_machines (self->connection);
  HangarConnectionState state = hangar_connection_get_state (self->connection);
  const char *status = NULL;

  switch (state)
    {
    case HANGAR_CONNECTION_CONNECTING:
      status = "connecting";
      break;
    case HANGAR_CONNECTION_UNREACHABLE:
      status = "unreachable";
      adw_status_page_set_description (self->unreachable_page,
                                       hangar_connection_get_error_text (self->connection));
      break;
    case HANGAR_CONNECTION_CONNECTED:
    default:
      if (g_list_model_get_n_items (machines) == 0)
        status = "empty";
      break;
    }

  gtk_spinner_set_spinning (self->spinner, state == HANGAR_CONNECTION_CONNECTING);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "new-machine")),
                               state == HANGAR_CONNECTION_CONNECTED);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "restore-from-file")),
                               state == HANGAR_CONNECTION_CONNECTED);
  if (status != NULL)
    {
      gtk_stack_set_visible_child_name (self->status_stack, status);
      gtk_stack_set_visible_child_name (self->main_stack, "status");
    }
  else
    gtk_stack_set_visible_child_name (self->main_stack, "machines");
  update_list_page (self);
}

const char *
hangar_window_get_page_name (HangarWindow *self)
{
  g_return_val_if_fail (HANGAR_IS_WINDOW (self), NULL);

  if (g_str_equal (gtk_stack_get_visible_child_name (self->main_stack), "machines"))
    return "machines";
  return gtk_stack_get_visible_child_name (self->status_stack);
}

/* ---- The selected machine ------------------------------------------------- */

static void
update_machine_actions (HangarWindow *self)
{
  const char *state = self->selected ? hangar_machine_get_state (self->selected) : NULL;

  for (HangarMachineAction action = 0; action < HANGAR_MACHINE_N_ACTIONS; action++)
    {
      g_autofree char *name = g_strconcat ("machine.", hangar_machine_action_get_name (action), NULL);

      gtk_widget_action_set_enabled (GTK_WIDGET (self), name,
                                     hangar_machine_action_is_allowed (action, state));
    }
}

/* The page shows the machine's own title; the header names it only when
 * the list is folded away. */
static void
update_content (HangarWindow *self)
{
  gboolean folded = adw_leaflet_get_folded (self->leaflet);
  const char *title = NULL;

  update_machine_actions (self);

  if (self->selected != NULL && folded)
    {
      title = hangar_machine_get_title (self->selected);
      if (title == NULL || *title == '\0')
        title = hangar_machine_get_name (self->selected);
    }
  adw_window_title_set_title (self->content_title, title ? title : "");
}

static void
on_page_error (HangarWindow *self,
               GError       *error)
{
  hangar_window_show_error (self, error);
}

static void
set_selected (HangarWindow  *self,
              HangarMachine *machine)
{
  if (self->selected == machine)
    return;

  if (self->selected != NULL)
    g_signal_handlers_disconnect_by_data (self->selected, self);
  g_set_object (&self->selected, machine);
  if (machine != NULL)
    g_signal_connect_swapped (machine, "notify", G_CALLBACK (update_content), self);

  hangar_machine_page_set_machine (self->machine_page, machine, G_OBJECT (self->connection));
  gtk_stack_set_visible_child_name (self->content_stack, machine ? "machine" : "placeholder");
  update_content (self);
}

static void
on_selected_item_changed (HangarWindow *self)
{
  HangarMachine *machine = gtk_single_selection_get_selected_item (self->selection);

  /* The engine left and took its objects along: the machine is selected
   * again when it is back (with a new proxy), and its page reopens its
   * display. */
  if (machine == NULL && self->selected != NULL && self->pending_selection == NULL &&
      hangar_connection_get_state (self->connection) != HANGAR_CONNECTION_CONNECTED)
    self->pending_selection = g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (self->selected)));
  set_selected (self, machine);
}

HangarMachine *
hangar_window_get_selected_machine (HangarWindow *self)
{
  g_return_val_if_fail (HANGAR_IS_WINDOW (self), NULL);

  return self->selected;
}

gboolean
hangar_window_select_machine (HangarWindow *self,
                              const char   *object_path)
{
  guint n;

  g_return_val_if_fail (HANGAR_IS_WINDOW (self), FALSE);

  if (object_path == NULL)
    {
      gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
      return TRUE;
    }

  n = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GDBusProxy) item = g_list_model_get_item (G_LIST_MODEL (self->filtered), i);

      if (g_str_equal (g_dbus_proxy_get_object_path (item), object_path))
        {
          gtk_single_selection_set_selected (self->selection, i);
          gtk_widget_activate_action (GTK_WIDGET (self->machine_list), "list.scroll-to-item", "u", i);
          return TRUE;
        }
    }
  return FALSE;
}

static void
on_machine_activated (HangarWindow *self,
                      guint         position)
{
  gtk_single_selection_set_selected (self->selection, position);
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
}

static void
machine_action_activated (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  HangarWindow *self = HANGAR_WINDOW (widget);
  const char *name = action_name + strlen ("machine.");

  if (self->selected == NULL)
    return;

  for (HangarMachineAction action = 0; action < HANGAR_MACHINE_N_ACTIONS; action++)
    {
      if (g_str_equal (name, hangar_machine_action_get_name (action)))
        {
          hangar_machine_action_run (action, self->selected, widget);
          return;
        }
    }
}

/* ---- Search --------------------------------------------------------------- */

static gboolean
contains_casefold (const char *text,
                   const char *needle)
{
  g_autofree char *folded = NULL;

  if (text == NULL)
    return FALSE;
  folded = g_utf8_casefold (text, -1);
  return strstr (folded, needle) != NULL;
}

static gboolean
machine_matches (gpointer item,
                 gpointer user_data)
{
  HangarWindow *self = user_data;
  HangarMachine *machine = item;
  const char *state = hangar_machine_get_state (machine);

  if (self->search_casefold == NULL)
    return TRUE;
  return contains_casefold (hangar_machine_get_name (machine), self->search_casefold) ||
         contains_casefold (hangar_machine_get_title (machine), self->search_casefold) ||
         contains_casefold (state, self->search_casefold) ||
         contains_casefold (hangar_machine_state_to_label (state), self->search_casefold);
}

static void
on_search_changed (HangarWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  g_clear_pointer (&self->search_casefold, g_free);
  if (*stripped != '\0')
    self->search_casefold = g_utf8_casefold (stripped, -1);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
on_search_activate (HangarWindow *self)
{
  if (g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) == 0)
    return;
  on_machine_activated (self, 0);
  gtk_widget_grab_focus (GTK_WIDGET (self->machine_list));
}

static void
on_stop_search (HangarWindow *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
}

/* ---- Window actions ------------------------------------------------------- */

static void
change_connection (GSimpleAction *action,
                   GVariant      *value,
                   gpointer       user_data)
{
  HangarWindow *self = user_data;

  g_simple_action_set_state (action, value);
  hangar_connection_set_bus_spec (self->connection, g_variant_get_string (value, NULL));
}

static void
retry (GSimpleAction *action,
       GVariant      *parameter,
       gpointer       user_data)
{
  HangarWindow *self = user_data;

  hangar_connection_reconnect (self->connection);
}

static void
select_pending (HangarWindow *self)
{
  if (self->pending_selection == NULL ||
      !hangar_window_select_machine (self, self->pending_selection))
    return;

  if (g_strcmp0 (self->pending_customize, self->pending_selection) == 0)
    hangar_machine_page_customize (self->machine_page);
  g_clear_pointer (&self->pending_selection, g_free);
  g_clear_pointer (&self->pending_customize, g_free);
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
}

/* Defined, not started: its hardware settings open once it is listed. */
static void
on_machine_customize (HangarWindow *self,
                      const char   *object_path)
{
  g_free (self->pending_customize);
  self->pending_customize = g_strdup (object_path);
}

static void
on_machine_created (HangarWindow *self,
                    const char   *object_path)
{
  g_free (self->pending_selection);
  self->pending_selection = g_strdup (object_path);
  /* Clear a search that would hide it. */
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  select_pending (self);
}

void
hangar_window_show_machine (HangarWindow *self,
                            const char   *object_path)
{
  g_return_if_fail (HANGAR_IS_WINDOW (self));
  g_return_if_fail (object_path != NULL);

  on_machine_created (self, object_path);
}

/* ---- Restoring a saved machine -------------------------------------------- */

/* Loading a saved guest under TCG on a loaded host: longer than 25 s. */
#define RESTORE_TIMEOUT_MS (5 * 60 * 1000)

static void
on_restored (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HangarWindow *self = g_task_get_source_object (task);
  const char *name = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  if (!hangar_manager_call_restore_finish (HANGAR_MANAGER (source), &path, result, &error))
    {
      /* TRANSLATORS: %s is the save file's name */
      g_autofree char *what = g_strdup_printf (_("Could not restore from “%s”"), name);

      hangar_window_show_failure (self, what, error);
      return;
    }
  hangar_window_show_machine (self, path);
}

void
hangar_window_restore_from_file (HangarWindow *self,
                                 GFile        *file)
{
  HangarManager *manager;
  g_autofree char *path = NULL;
  GTask *task;

  g_return_if_fail (HANGAR_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  path = g_file_get_path (file);
  manager = hangar_connection_get_manager (self->connection);
  if (path == NULL)
    {
      hangar_window_show_message (self, _("Choose a file on this computer: the engine reads it itself"));
      return;
    }
  if (manager == NULL)
    {
      hangar_window_show_message (self, _("Not connected to an engine"));
      return;
    }

  task = g_task_new (self, NULL, NULL, NULL);
  g_task_set_task_data (task, g_file_get_basename (file), g_free);
  g_dbus_proxy_call (G_DBUS_PROXY (manager), "Restore",
                     g_variant_new ("(sa{sv})", path, NULL),
                     G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, RESTORE_TIMEOUT_MS,
                     NULL, on_restored, task);
}

static void
on_restore_file_response (GtkNativeDialog *dialog,
                          int              response,
                          gpointer         user_data)
{
  HangarWindow *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      if (file != NULL)
        hangar_window_restore_from_file (self, file);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
restore_from_file (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  HangarWindow *self = user_data;
  GtkFileChooserNative *chooser;

  if (hangar_connection_get_state (self->connection) != HANGAR_CONNECTION_CONNECTED)
    return;

  chooser = gtk_file_chooser_native_new (_("Restore a Machine from a File"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Restore"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect_object (chooser, "response", G_CALLBACK (on_restore_file_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
new_machine (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  HangarWindow *self = user_data;
  HangarNewMachine *assistant;

  if (hangar_connection_get_state (self->connection) != HANGAR_CONNECTION_CONNECTED)
    return;

  assistant = hangar_new_machine_present (GTK_WINDOW (self), G_OBJECT (self->connection));
  g_signal_connect_object (assistant, "customize", G_CALLBACK (on_machine_customize),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (assistant, "created", G_CALLBACK (on_machine_created),
                           self, G_CONNECT_SWAPPED);
}

static void
search (GSimpleAction *action,
        GVariant      *parameter,
        gpointer       user_data)
{
  HangarWindow *self = user_data;

  if (!g_str_equal (hangar_window_get_page_name (self), "machines"))
    return;
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
back (GSimpleAction *action,
      GVariant      *parameter,
      gpointer       user_data)
{
  HangarWindow *self = user_data;

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static const GActionEntry win_entries[] = {
  { "connection", NULL, "s", "'session'", change_connection },
  { "retry", retry },
  { "new-machine", new_machine },
  { "search", search },
  { "back", back },
  { "restore-from-file", restore_from_file },
  { "error-details", show_error_details, "(ss)" },
};

/* ---- Public --------------------------------------------------------------- */

HangarWindow *
hangar_window_new (GtkApplication   *application,
                   HangarConnection *connection)
{
  return g_object_new (HANGAR_TYPE_WINDOW,
                       "application", application,
                       "connection", connection,
                       NULL);
}

HangarConnection *
hangar_window_get_connection (HangarWindow *self)
{
  g_return_val_if_fail (HANGAR_IS_WINDOW (self), NULL);

  return self->connection;
}

/* ---- GObject -------------------------------------------------------------- */

static void
hangar_window_constructed (GObject *object)
{
  HangarWindow *self = HANGAR_WINDOW (object);
  GListModel *machines;

  G_OBJECT_CLASS (hangar_window_parent_class)->constructed (object);

  g_assert (self->connection != NULL);
  machines = hangar_connection_get_machines (self->connection);

  self->filter = gtk_custom_filter_new (machine_matches, self, NULL);
  self->filtered = gtk_filter_list_model_new (g_object_ref (machines),
                                              g_object_ref (GTK_FILTER (self->filter)));
  /* Nothing selected until the user picks a machine: autoselect off before
   * the model comes in. */
  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->filtered));
  gtk_list_view_set_model (self->machine_list, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_object (self->selection, "notify::selected-item",
                           G_CALLBACK (on_selected_item_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->filtered, "items-changed",
                           G_CALLBACK (update_list_page), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->filtered, "items-changed",
                           G_CALLBACK (select_pending), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (machines, "items-changed",
                           G_CALLBACK (update_page), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->connection, "notify::state",
                           G_CALLBACK (update_page), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->connection, "notify::error-text",
                           G_CALLBACK (update_page), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->connection, "notify::spec",
                           G_CALLBACK (update_connection_buttons), self, G_CONNECT_SWAPPED);

  update_connection_buttons (self);
  update_page (self);
  update_content (self);
}

static void
hangar_window_dispose (GObject *object)
{
  HangarWindow *self = HANGAR_WINDOW (object);

  set_selected (self, NULL);
  if (self->machine_list != NULL)
    gtk_list_view_set_model (self->machine_list, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), HANGAR_TYPE_WINDOW);
  g_clear_object (&self->selection);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (hangar_window_parent_class)->dispose (object);
}

static void
hangar_window_finalize (GObject *object)
{
  HangarWindow *self = HANGAR_WINDOW (object);

  g_free (self->search_casefold);
  g_free (self->pending_selection);
  g_free (self->pending_customize);

  G_OBJECT_CLASS (hangar_window_parent_class)->finalize (object);
}

static void
hangar_window_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  HangarWindow *self = HANGAR_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      g_value_set_object (value, self->connection);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hangar_window_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  HangarWindow *self = HANGAR_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      self->connection = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
install_machine_actions (GtkWidgetClass *widget_class)
{
  for (HangarMachineAction action = 0; action < HANGAR_MACHINE_N_ACTIONS; action++)
    {
      g_autofree char *name = g_strconcat ("machine.", hangar_machine_action_get_name (action), NULL);

      gtk_widget_class_install_action (widget_class, name, NULL, machine_action_activated);
    }

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK,
                                       "machine.start", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0,
                                       "machine.delete", NULL);
}

static void
hangar_window_class_init (HangarWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = hangar_window_constructed;
  object_class->dispose = hangar_window_dispose;
  object_class->finalize = hangar_window_finalize;
  object_class->get_property = hangar_window_get_property;
  object_class->set_property = hangar_window_set_property;

  properties[PROP_CONNECTION] =
    g_param_spec_object ("connection", NULL, NULL, HANGAR_TYPE_CONNECTION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  install_machine_actions (widget_class);

  g_type_ensure (HANGAR_TYPE_MACHINE_ROW);
  g_type_ensure (HANGAR_TYPE_MACHINE_PAGE);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/hangarvm/Hangar/hangar-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, status_stack);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, unreachable_page);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, status_connection_button);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, connection_button);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, list_stack);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, machine_list);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, content_title);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, machine_page);
  gtk_widget_class_bind_template_callback (widget_class, on_machine_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_page_error);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_search);
}

static void
hangar_window_init (HangarWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  g_action_map_add_action_entries (G_ACTION_MAP (self), win_entries,
                                   G_N_ELEMENTS (win_entries), self);
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  gtk_search_bar_set_key_capture_widget (self->search_bar, self->sidebar);
  g_signal_connect_object (self->leaflet, "notify::folded",
                           G_CALLBACK (update_content), self, G_CONNECT_SWAPPED);
}
