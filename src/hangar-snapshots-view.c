/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-snapshots-view"

#include "hangar-snapshots-view.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

#include "hangard-error.h"

#define RESOURCE_PATH "/io/github/hangarvm/Hangar/"
#define SNAPSHOT_INTERFACE "io.github.hangarvm.Hangar1.Snapshot"
#define MAX_NAME_BYTES 64              /* the engine's limit for snapshot names */
#define INDENT_PX 24
/* Saving or loading a guest's memory under TCG on a loaded host. */
#define SNAPSHOT_CALL_TIMEOUT_MS (10 * 60 * 1000)

struct _HangarSnapshotsView
{
  GtkWidget           parent_instance;

  HangarMachine      *machine;
  GDBusObjectManager *object_manager;
  GCancellable       *cancellable;
  GPtrArray          *shown;            /* char *: the object paths listed */
  guint               rebuild_source;
  gboolean            busy;
  char               *busy_text;

  GtkWidget          *content;          /* the template's, unparented on dispose */
  GtkSpinner         *spinner;
  GtkLabel           *hint_label;
  GtkWidget          *create_button;
  GtkStack           *stack;
  GtkListBox         *list;
  AdwStatusPage      *empty_page;
};

G_DEFINE_FINAL_TYPE (HangarSnapshotsView, hangar_snapshots_view, GTK_TYPE_WIDGET)

enum {
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void schedule_rebuild (HangarSnapshotsView *self);

/* ---- Small helpers -------------------------------------------------------- */

static const char *
machine_state (HangarSnapshotsView *self)
{
  const char *state = self->machine != NULL ? hangar_machine_get_state (self->machine) : NULL;

  return state != NULL ? state : "";
}

static gboolean
state_is (HangarSnapshotsView *self,
          const char          *state)
{
  return g_str_equal (machine_state (self), state);
}

static gboolean
machine_runs (HangarSnapshotsView *self)
{
  return state_is (self, "running") || state_is (self, "paused");
}

static const char *
machine_name (HangarSnapshotsView *self)
{
  const char *name = self->machine != NULL ? hangar_machine_get_name (self->machine) : NULL;

  return name != NULL ? name : "";
}

/* The Snapshot proxy at @path, or NULL when the object manager does not
 * have it (yet). */
static HangarSnapshot *
lookup_snapshot (HangarSnapshotsView *self,
                 const char          *path)
{
  GDBusInterface *interface;

  if (self->object_manager == NULL || path == NULL || !g_variant_is_object_path (path))
    return NULL;
  interface = g_dbus_object_manager_get_interface (self->object_manager, path, SNAPSHOT_INTERFACE);
  if (interface != NULL && !HANGAR_IS_SNAPSHOT (interface))
    g_clear_object (&interface);
  return (HangarSnapshot *) interface;
}

static void
emit_error (HangarSnapshotsView *self,
            const char          *what,
            const GError        *error)
{
  g_autoptr(GError) copy = g_error_copy (error);
  g_autoptr(GError) shown = NULL;

  g_dbus_error_strip_remote_error (copy);
  shown = g_error_new (copy->domain, copy->code, "%s: %s", what, copy->message);
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, shown);
}

/* "22 Nov 2026, 12:15" in the user's time zone. */
static char *
format_time (guint64 seconds)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local ((gint64) seconds);

  if (time == NULL)
    return g_strdup ("");
  /* TRANSLATORS: when a snapshot was taken; a g_date_time_format() format */
  return g_date_time_format (time, _("%-d %b %Y, %H:%M"));
}

/* ---- What may be done ----------------------------------------------------- */

/* Why no snapshot can be taken now, or NULL. */
static const char *
create_blocked (HangarSnapshotsView *self)
{
  if (self->machine == NULL)
    return _("No machine is selected");
  if (self->object_manager == NULL)
    return _("Not connected to an engine");
  if (self->busy)
    return _("Waiting for the engine to finish the last request");
  if (state_is (self, "starting"))
    return _("The machine is starting");
  if (state_is (self, "shutting-down"))
    return _("The machine is shutting down");
  return NULL;
}

/* Why @snapshot cannot be reverted to now, or NULL. */
static const char *
revert_blocked (HangarSnapshotsView *self,
                HangarSnapshot      *snapshot)
{
  const char *blocked = create_blocked (self);

  if (blocked != NULL)
    return blocked;
  if (state_is (self, "saved"))
    return _("The machine has a saved state: start it, or discard the saved state, first");
  if (!hangar_snapshot_get_has_memory (snapshot) && machine_runs (self))
    return _("This snapshot holds only the disks: shut the machine down first");
  return NULL;
}

static void
update_hint (HangarSnapshotsView *self)
{
  const char *text;

  gtk_widget_set_visible (GTK_WIDGET (self->spinner), self->busy);
  gtk_spinner_set_spinning (self->spinner, self->busy);
  if (self->busy)
    text = self->busy_text;
  else if (self->machine == NULL)
    text = "";
  else if (self->object_manager == NULL)
    text = _("Not connected to an engine");
  else if (machine_runs (self))
    text = _("A snapshot of the running machine keeps its memory too, unless it is of the disks only.");
  else
    text = _("A snapshot of the machine while it is off keeps its disks.");
  gtk_label_set_label (self->hint_label, text != NULL ? text : "");
}

static void
update_actions (HangarSnapshotsView *self)
{
  const char *blocked = create_blocked (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "snapshots.create", blocked == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "snapshots.revert", blocked == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "snapshots.delete", blocked == NULL);
  gtk_widget_set_tooltip_text (self->create_button,
                               blocked != NULL ? blocked : _("Take a snapshot of the machine now"));
  update_hint (self);
}

static void
set_busy (HangarSnapshotsView *self,
          const char          *text)
{
  self->busy = text != NULL;
  g_free (self->busy_text);
  self->busy_text = g_strdup (text);
  update_actions (self);
  /* The revert buttons' own reasons follow. */
  schedule_rebuild (self);
}

/* ---- The list ------------------------------------------------------------- */

static void
clear_list (HangarSnapshotsView *self)
{
  GtkWidget *row;

  while ((row = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, row);
  g_ptr_array_set_size (self->shown, 0);
}

static GtkWidget *
row_button (const char *icon,
            const char *action,
            const char *path,
            const char *tooltip)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  if (action != NULL)
    {
      gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
      gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), g_variant_new_object_path (path));
    }
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  return button;
}

static void
add_row (HangarSnapshotsView *self,
         HangarSnapshot      *snapshot,
         guint                depth)
{
  const char *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (snapshot));
  const char *description = hangar_snapshot_get_description (snapshot);
  g_autofree char *time = format_time (hangar_snapshot_get_creation_time (snapshot));
  g_autofree char *subtitle = NULL;
  g_autofree char *revert_tooltip = NULL;
  g_autofree char *delete_tooltip = NULL;
  const char *blocked = revert_blocked (self, snapshot);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *icon, *kind, *revert, *delete;

  if (description != NULL && description[0] != '\0')
    /* TRANSLATORS: when a snapshot was taken, and its description */
    subtitle = g_strdup_printf (_("%s · %s"), time, description);
  else
    subtitle = g_strdup (time);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), hangar_snapshot_get_name (snapshot));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  gtk_widget_set_name (row, path);

  /* The tree: a child sits further in than its parent. */
  icon = gtk_image_new_from_icon_name (hangar_snapshot_get_has_memory (snapshot)
                                       ? "media-playback-start-symbolic"
                                       : "drive-harddisk-symbolic");
  gtk_widget_set_margin_start (icon, depth * INDENT_PX);
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  hangar_snapshot_get_has_memory (snapshot)
                                  ? _("With memory") : _("Disks only"), -1);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);

  if (hangar_snapshot_get_is_current (snapshot))
    {
      GtkWidget *current = gtk_label_new (_("Current"));

      gtk_widget_set_valign (current, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (current, "badge");
      gtk_widget_add_css_class (current, "saved");
      gtk_widget_set_tooltip_text (current, _("The machine’s current snapshot: a new one becomes its child"));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), current);
    }

  kind = gtk_label_new (hangar_snapshot_get_has_memory (snapshot) ? _("With memory") : _("Disks only"));
  gtk_widget_add_css_class (kind, "dim-label");
  gtk_widget_add_css_class (kind, "caption");
  gtk_widget_set_tooltip_text (kind, hangar_snapshot_get_has_memory (snapshot)
                                     ? _("Reverting resumes the machine where it was")
                                     : _("Reverting needs the machine shut off; it then boots from these disks"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), kind);

  revert_tooltip = g_strdup_printf (_("Revert to “%s”"), hangar_snapshot_get_name (snapshot));
  /* A blocked one has no action: the action's state would make it sensitive. */
  revert = row_button ("edit-undo-symbolic", blocked == NULL ? "snapshots.revert" : NULL, path,
                       revert_tooltip);
  if (blocked != NULL)
    {
      gtk_widget_set_sensitive (revert, FALSE);
      gtk_widget_set_tooltip_text (revert, blocked);
    }
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), revert);

  delete_tooltip = g_strdup_printf (_("Delete “%s”"), hangar_snapshot_get_name (snapshot));
  delete = row_button ("user-trash-symbolic", "snapshots.delete", path, delete_tooltip);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), delete);

  gtk_list_box_append (self->list, row);
  g_ptr_array_add (self->shown, g_strdup (path));
}

/* @parent's children among @snapshots (oldest first, as the machine lists
 * them), each followed by its own. */
static void
add_subtree (HangarSnapshotsView *self,
             GPtrArray           *snapshots,
             GHashTable          *by_path,
             const char          *parent,
             guint                depth)
{
  for (guint i = 0; i < snapshots->len; i++)
    {
      HangarSnapshot *snapshot = g_ptr_array_index (snapshots, i);
      const char *own_parent = hangar_snapshot_get_parent (snapshot);
      gboolean root = own_parent == NULL || !g_hash_table_contains (by_path, own_parent);

      if ((parent == NULL && root) || (parent != NULL && !root && g_str_equal (own_parent, parent)))
        {
          const char *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (snapshot));

          add_row (self, snapshot, depth);
          /* A loop in a tree the engine keeps cannot happen; the depth
           * bound keeps a broken one from recursing for ever. */
          if (depth < snapshots->len)
            add_subtree (self, snapshots, by_path, path, depth + 1);
        }
    }
}

static void
rebuild (HangarSnapshotsView *self)
{
  g_autoptr(GPtrArray) snapshots = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) by_path = g_hash_table_new (g_str_hash, g_str_equal);
  const char * const *paths = self->machine != NULL ? hangar_machine_get_snapshots (self->machine) : NULL;

  clear_list (self);
  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      HangarSnapshot *snapshot = lookup_snapshot (self, paths[i]);

      if (snapshot == NULL)
        continue;   /* announced later: the object manager's signal rebuilds */
      g_ptr_array_add (snapshots, snapshot);
      g_hash_table_insert (by_path, (gpointer) g_dbus_proxy_get_object_path (G_DBUS_PROXY (snapshot)),
                           snapshot);
    }
  add_subtree (self, snapshots, by_path, NULL, 0);

  if (self->object_manager == NULL && self->machine != NULL)
    adw_status_page_set_description (self->empty_page, _("Snapshots are listed when the app is connected to an engine."));
  else
    adw_status_page_set_description (self->empty_page,
                                     _("A snapshot keeps the machine’s disks as they are now, and its memory "
                                       "while it runs, to go back to later."));
  gtk_stack_set_visible_child_name (self->stack, self->shown->len > 0 ? "list" : "empty");
}

static gboolean
on_rebuild_timeout (gpointer user_data)
{
  HangarSnapshotsView *self = user_data;

  self->rebuild_source = 0;
  rebuild (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_rebuild (HangarSnapshotsView *self)
{
  if (self->rebuild_source == 0)
    self->rebuild_source = g_idle_add (on_rebuild_timeout, self);
}

/* ---- The engine's changes ------------------------------------------------- */

static void
on_machine_notify (HangarSnapshotsView *self,
                   GParamSpec          *pspec)
{
  if (g_str_equal (pspec->name, "state"))
    update_actions (self);
  if (g_str_equal (pspec->name, "snapshots") || g_str_equal (pspec->name, "current-snapshot") ||
      g_str_equal (pspec->name, "state"))
    schedule_rebuild (self);
}

/* Snapshots below this machine. */
static gboolean
is_ours (HangarSnapshotsView *self,
         const char          *path)
{
  const char *machine_path;

  if (self->machine == NULL || path == NULL)
    return FALSE;
  machine_path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (self->machine));
  return g_str_has_prefix (path, machine_path) && path[strlen (machine_path)] == '/';
}

static void
on_object_changed (HangarSnapshotsView *self,
                   GDBusObject         *object)
{
  if (is_ours (self, g_dbus_object_get_object_path (object)))
    schedule_rebuild (self);
}

static void
on_proxy_properties_changed (HangarSnapshotsView *self,
                             GDBusObjectProxy    *object,
                             GDBusProxy          *proxy)
{
  if (HANGAR_IS_SNAPSHOT (proxy) && is_ours (self, g_dbus_proxy_get_object_path (proxy)))
    schedule_rebuild (self);
}

/* ---- Calls ---------------------------------------------------------------- */

typedef struct {
  HangarSnapshotsView *self;
  char                *failure;    /* what failed, for the error */
} Call;

static Call *
call_new (HangarSnapshotsView *self,
          char                *failure)
{
  Call *call = g_new0 (Call, 1);

  call->self = g_object_ref (self);
  call->failure = failure;
  return call;
}

static void
call_free (Call *call)
{
  g_object_unref (call->self);
  g_free (call->failure);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

static void
on_call_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);

  if (reply == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (call->self, NULL);
  if (reply == NULL)
    emit_error (call->self, call->failure, error);
}

static void
call_engine (HangarSnapshotsView *self,
             GDBusProxy          *proxy,
             const char          *method,
             GVariant            *parameters,
             const char          *busy_text,
             char                *failure)
{
  set_busy (self, busy_text);
  g_dbus_proxy_call (proxy, method, parameters, G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION,
                     SNAPSHOT_CALL_TIMEOUT_MS, self->cancellable, on_call_done,
                     call_new (self, failure));
}

/* ---- Create --------------------------------------------------------------- */

static gboolean
snapshot_name_taken (HangarSnapshotsView *self,
                     const char          *name)
{
  const char * const *paths = self->machine != NULL ? hangar_machine_get_snapshots (self->machine) : NULL;

  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      g_autoptr(HangarSnapshot) snapshot = lookup_snapshot (self, paths[i]);

      if (snapshot != NULL && g_strcmp0 (hangar_snapshot_get_name (snapshot), name) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Why the engine would refuse @name, in words; NULL when it is fine. The
 * rules of hangard_snapshot_name_is_valid(). */
static char *
name_problem (HangarSnapshotsView *self,
              const char          *name)
{
  gboolean digits_only = TRUE;

  if (name[0] == '\0')
    return g_strdup (_("Give the snapshot a name"));
  if (strlen (name) > MAX_NAME_BYTES)
    return g_strdup_printf (_("The name is too long: at most %d bytes"), MAX_NAME_BYTES);
  if (strchr (name, '/') != NULL)
    return g_strdup (_("The name cannot contain “/”"));
  if (name[0] == '.' || name[0] == '-')
    return g_strdup (_("The name cannot start with “.” or “-”"));
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c))
        return g_strdup (_("The name cannot contain tabs or line breaks"));
      if (!g_ascii_isdigit (*p))
        digits_only = FALSE;
    }
  if (digits_only)
    return g_strdup (_("The name cannot be only digits"));
  if (snapshot_name_taken (self, name))
    return g_strdup_printf (_("This machine has a snapshot named “%s” already"), name);
  return NULL;
}

static char *
default_snapshot_name (HangarSnapshotsView *self)
{
  for (guint n = 1; ; n++)
    {
      g_autofree char *name = g_strdup_printf ("snapshot-%u", n);

      if (!snapshot_name_taken (self, name))
        return g_steal_pointer (&name);
    }
}

typedef struct {
  HangarSnapshotsView *self;
  AdwEntryRow         *name_row;
  AdwEntryRow         *description_row;
  GtkSwitch           *disk_only_switch;
  GtkLabel            *problem_label;
} CreateDialog;

static void
create_dialog_free (CreateDialog *data)
{
  g_object_unref (data->self);
  g_free (data);
}

static void
on_create_name_changed (AdwMessageDialog *dialog)
{
  CreateDialog *data = g_object_get_data (G_OBJECT (dialog), "hangar-create");
  g_autofree char *problem = name_problem (data->self, gtk_editable_get_text (GTK_EDITABLE (data->name_row)));

  gtk_label_set_label (data->problem_label, problem != NULL ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (data->problem_label), problem != NULL);
  if (problem != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (data->name_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (data->name_row), "error");
  adw_message_dialog_set_response_enabled (dialog, "create", problem == NULL);
}

static void
on_create_response (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  CreateDialog *data = g_object_get_data (G_OBJECT (dialog), "hangar-create");
  HangarSnapshotsView *self = data->self;
  HangarMachine *machine = g_object_get_data (G_OBJECT (dialog), "hangar-machine");
  const char *name = gtk_editable_get_text (GTK_EDITABLE (data->name_row));
  g_autofree char *description = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (data->description_row))));
  g_autofree char *problem = NULL;
  g_autofree char *busy = NULL;
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  if (!g_str_equal (response, "create") || machine != self->machine || create_blocked (self) != NULL)
    return;
  problem = name_problem (self, name);
  if (problem != NULL)
    return;

  if (gtk_switch_get_active (data->disk_only_switch) && machine_runs (self))
    g_variant_builder_add (&options, "{sv}", "disk-only", g_variant_new_boolean (TRUE));
  busy = g_strdup_printf (_("Taking snapshot “%s”…"), name);
  call_engine (self, G_DBUS_PROXY (self->machine), "CreateSnapshot",
               g_variant_new ("(ssa{sv})", name, description, &options), busy,
               g_strdup_printf (_("Could not take a snapshot of “%s”"), machine_name (self)));
}

static void
create_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  HangarSnapshotsView *self = HANGAR_SNAPSHOTS_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  CreateDialog *data;
  GtkWidget *dialog, *group, *disk_only_row, *box;
  g_autofree char *heading = NULL;
  g_autofree char *name = NULL;
  gboolean runs = machine_runs (self);

  if (create_blocked (self) != NULL)
    return;

  heading = g_strdup_printf (_("Snapshot of “%s”"), machine_name (self));
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading,
                                   runs ? _("The machine’s disks and memory are kept as they are now; "
                                            "the machine stops for the moment it takes.")
                                        : _("The machine’s disks are kept as they are now."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "create", _("C_reate"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "create", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "create");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  data = g_new0 (CreateDialog, 1);
  data->self = g_object_ref (self);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 9);
  group = adw_preferences_group_new ();
  data->name_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (data->name_row), _("_Name"));
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (data->name_row), TRUE);
  adw_entry_row_set_activates_default (data->name_row, TRUE);
  gtk_widget_set_name (GTK_WIDGET (data->name_row), "snapshot-name");
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (data->name_row));

  data->description_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (data->description_row), _("_Description (optional)"));
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (data->description_row), TRUE);
  adw_entry_row_set_activates_default (data->description_row, TRUE);
  gtk_widget_set_name (GTK_WIDGET (data->description_row), "snapshot-description");
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (data->description_row));

  disk_only_row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (disk_only_row), _("Disks _Only"));
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (disk_only_row), TRUE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (disk_only_row),
                               runs ? _("Not the memory: reverting then boots from these disks, as after a power cut")
                                    : _("The machine is off: its disks are all there is to keep"));
  data->disk_only_switch = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_valign (GTK_WIDGET (data->disk_only_switch), GTK_ALIGN_CENTER);
  gtk_widget_set_name (GTK_WIDGET (data->disk_only_switch), "snapshot-disk-only");
  gtk_switch_set_active (data->disk_only_switch, !runs);
  gtk_widget_set_sensitive (disk_only_row, runs);
  adw_action_row_add_suffix (ADW_ACTION_ROW (disk_only_row), GTK_WIDGET (data->disk_only_switch));
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (disk_only_row), GTK_WIDGET (data->disk_only_switch));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), disk_only_row);
  gtk_box_append (GTK_BOX (box), group);

  data->problem_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (data->problem_label, TRUE);
  gtk_label_set_xalign (data->problem_label, 0);
  gtk_widget_add_css_class (GTK_WIDGET (data->problem_label), "error");
  gtk_widget_add_css_class (GTK_WIDGET (data->problem_label), "caption");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (data->problem_label));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);

  g_object_set_data_full (G_OBJECT (dialog), "hangar-create", data, (GDestroyNotify) create_dialog_free);
  g_object_set_data_full (G_OBJECT (dialog), "hangar-machine", g_object_ref (self->machine), g_object_unref);
  g_signal_connect_swapped (data->name_row, "changed", G_CALLBACK (on_create_name_changed), dialog);
  g_signal_connect (dialog, "response", G_CALLBACK (on_create_response), NULL);

  name = default_snapshot_name (self);
  gtk_editable_set_text (GTK_EDITABLE (data->name_row), name);
  on_create_name_changed (ADW_MESSAGE_DIALOG (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (GTK_WIDGET (data->name_row));
}

/* ---- Revert and delete ---------------------------------------------------- */

static void
on_revert_response (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  HangarSnapshotsView *self = HANGAR_SNAPSHOTS_VIEW (user_data);
  HangarSnapshot *snapshot = g_object_get_data (G_OBJECT (dialog), "hangar-snapshot");
  HangarMachine *machine = g_object_get_data (G_OBJECT (dialog), "hangar-machine");
  g_autofree char *busy = NULL;

  if (!g_str_equal (response, "revert") || machine != self->machine ||
      revert_blocked (self, snapshot) != NULL)
    return;

  busy = g_strdup_printf (_("Reverting to “%s”…"), hangar_snapshot_get_name (snapshot));
  call_engine (self, G_DBUS_PROXY (snapshot), "Revert", g_variant_new ("(a{sv})", NULL), busy,
               g_strdup_printf (_("Could not revert “%s” to “%s”"), machine_name (self),
                                hangar_snapshot_get_name (snapshot)));
}

static void
revert_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  HangarSnapshotsView *self = HANGAR_SNAPSHOTS_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autoptr(HangarSnapshot) snapshot = lookup_snapshot (self, g_variant_get_string (parameter, NULL));
  const char *name;
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (snapshot == NULL || revert_blocked (self, snapshot) != NULL)
    return;

  name = hangar_snapshot_get_name (snapshot);
  heading = g_strdup_printf (_("Revert “%s” to “%s”?"), machine_name (self), name);
  if (hangar_snapshot_get_has_memory (snapshot))
    body = g_strdup_printf (_("The machine goes back to the moment of “%s”: its disks, its memory "
                              "and its definition as they were, running or paused as it was then. "
                              "What changed since is lost."), name);
  else
    body = g_strdup_printf (_("The machine’s disks and definition go back to the moment of “%s”; "
                              "it stays off and boots from them when started. "
                              "What the disks held since is lost."), name);

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "revert", _("_Revert"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "revert", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "hangar-snapshot", g_object_ref (snapshot), g_object_unref);
  g_object_set_data_full (G_OBJECT (dialog), "hangar-machine", g_object_ref (self->machine), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_revert_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static guint
count_descendants (HangarSnapshotsView *self,
                   HangarSnapshot      *snapshot,
                   guint                depth)
{
  const char * const *children = hangar_snapshot_get_children (snapshot);
  guint n = 0;

  for (guint i = 0; children != NULL && children[i] != NULL && depth < 1000; i++)
    {
      g_autoptr(HangarSnapshot) child = lookup_snapshot (self, children[i]);

      n++;
      if (child != NULL)
        n += count_descendants (self, child, depth + 1);
    }
  return n;
}

static void
on_delete_response (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  HangarSnapshotsView *self = HANGAR_SNAPSHOTS_VIEW (user_data);
  HangarSnapshot *snapshot = g_object_get_data (G_OBJECT (dialog), "hangar-snapshot");
  HangarMachine *machine = g_object_get_data (G_OBJECT (dialog), "hangar-machine");
  GtkCheckButton *children = g_object_get_data (G_OBJECT (dialog), "hangar-children");
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autofree char *busy = NULL;

  if (!g_str_equal (response, "delete") || machine != self->machine || create_blocked (self) != NULL)
    return;

  if (children != NULL && gtk_check_button_get_active (children))
    g_variant_builder_add (&options, "{sv}", "children", g_variant_new_boolean (TRUE));
  busy = g_strdup_printf (_("Deleting “%s”…"), hangar_snapshot_get_name (snapshot));
  call_engine (self, G_DBUS_PROXY (snapshot), "Delete", g_variant_new ("(a{sv})", &options), busy,
               g_strdup_printf (_("Could not delete snapshot “%s”"), hangar_snapshot_get_name (snapshot)));
}

static void
delete_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  HangarSnapshotsView *self = HANGAR_SNAPSHOTS_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autoptr(HangarSnapshot) snapshot = lookup_snapshot (self, g_variant_get_string (parameter, NULL));
  g_autofree char *heading = NULL;
  guint descendants;
  GtkWidget *dialog;

  if (snapshot == NULL || create_blocked (self) != NULL)
    return;

  heading = g_strdup_printf (_("Delete Snapshot “%s”?"), hangar_snapshot_get_name (snapshot));
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading,
                                   _("The machine as it is now does not change, but it can no longer "
                                     "go back to this moment."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  descendants = count_descendants (self, snapshot, 0);
  if (descendants > 0)
    {
      g_autofree char *label = g_strdup_printf (ngettext ("Also delete the snapshot _taken after it",
                                                          "Also delete the %u snapshots _taken after it",
                                                          descendants), descendants);
      GtkWidget *check = gtk_check_button_new_with_mnemonic (label);
      GtkWidget *note = gtk_label_new (_("Otherwise they are kept, under this snapshot’s parent."));
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

      gtk_widget_set_name (check, "snapshot-delete-children");
      gtk_label_set_wrap (GTK_LABEL (note), TRUE);
      gtk_label_set_xalign (GTK_LABEL (note), 0);
      gtk_widget_add_css_class (note, "dim-label");
      gtk_widget_add_css_class (note, "caption");
      gtk_widget_set_margin_start (note, 28);
      g_object_bind_property (check, "active", note, "visible",
                              G_BINDING_SYNC_CREATE | G_BINDING_INVERT_BOOLEAN);
      gtk_box_append (GTK_BOX (box), check);
      gtk_box_append (GTK_BOX (box), note);
      adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
      g_object_set_data (G_OBJECT (dialog), "hangar-children", check);
    }

  g_object_set_data_full (G_OBJECT (dialog), "hangar-snapshot", g_object_ref (snapshot), g_object_unref);
  g_object_set_data_full (G_OBJECT (dialog), "hangar-machine", g_object_ref (self->machine), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_delete_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- Public --------------------------------------------------------------- */

GtkWidget *
hangar_snapshots_view_new (void)
{
  return g_object_new (HANGAR_TYPE_SNAPSHOTS_VIEW, NULL);
}

static void
forget (HangarSnapshotsView *self)
{
  if (self->machine != NULL)
    g_signal_handlers_disconnect_by_data (self->machine, self);
  if (self->object_manager != NULL)
    g_signal_handlers_disconnect_by_data (self->object_manager, self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->machine);
  g_clear_object (&self->object_manager);
  g_clear_handle_id (&self->rebuild_source, g_source_remove);
  self->busy = FALSE;
  g_clear_pointer (&self->busy_text, g_free);
}

void
hangar_snapshots_view_set_machine (HangarSnapshotsView *self,
                                   HangarMachine       *machine,
                                   GDBusObjectManager  *object_manager)
{
  g_return_if_fail (HANGAR_IS_SNAPSHOTS_VIEW (self));
  g_return_if_fail (machine == NULL || HANGAR_IS_MACHINE (machine));
  g_return_if_fail (object_manager == NULL || G_IS_DBUS_OBJECT_MANAGER (object_manager));

  if (self->machine == machine && self->object_manager == object_manager)
    return;

  forget (self);
  self->cancellable = g_cancellable_new ();
  if (machine != NULL)
    {
      self->machine = g_object_ref (machine);
      g_signal_connect_object (machine, "notify", G_CALLBACK (on_machine_notify), self,
                               G_CONNECT_SWAPPED);
    }
  if (object_manager != NULL)
    {
      self->object_manager = g_object_ref (object_manager);
      g_signal_connect_object (object_manager, "object-added", G_CALLBACK (on_object_changed), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (object_manager, "object-removed", G_CALLBACK (on_object_changed), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (object_manager, "interface-added", G_CALLBACK (on_object_changed), self,
                               G_CONNECT_SWAPPED);
      if (G_IS_DBUS_OBJECT_MANAGER_CLIENT (object_manager))
        g_signal_connect_object (object_manager, "interface-proxy-properties-changed",
                                 G_CALLBACK (on_proxy_properties_changed), self, G_CONNECT_SWAPPED);
    }
  update_actions (self);
  rebuild (self);
}

GStrv
hangar_snapshots_view_dup_shown (HangarSnapshotsView *self)
{
  GStrvBuilder *builder;
  GStrv shown;

  g_return_val_if_fail (HANGAR_IS_SNAPSHOTS_VIEW (self), NULL);

  builder = g_strv_builder_new ();
  for (guint i = 0; i < self->shown->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (self->shown, i));
  shown = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return shown;
}

gboolean
hangar_snapshots_view_get_busy (HangarSnapshotsView *self)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOTS_VIEW (self), FALSE);

  return self->busy;
}

/* ---- GObject -------------------------------------------------------------- */

static void
hangar_snapshots_view_dispose (GObject *object)
{
  HangarSnapshotsView *self = HANGAR_SNAPSHOTS_VIEW (object);

  forget (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), HANGAR_TYPE_SNAPSHOTS_VIEW);

  G_OBJECT_CLASS (hangar_snapshots_view_parent_class)->dispose (object);
}

static void
hangar_snapshots_view_finalize (GObject *object)
{
  HangarSnapshotsView *self = HANGAR_SNAPSHOTS_VIEW (object);

  g_clear_pointer (&self->shown, g_ptr_array_unref);

  G_OBJECT_CLASS (hangar_snapshots_view_parent_class)->finalize (object);
}

static void
hangar_snapshots_view_class_init (HangarSnapshotsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hangar_snapshots_view_dispose;
  object_class->finalize = hangar_snapshots_view_finalize;

  /* Remote errors come back as HANGAR_ERROR codes once the domain is known. */
  hangar_error_quark ();

  /**
   * HangarSnapshotsView::error:
   * @error: what failed and the engine's words
   *
   * An engine call made for the user failed.
   */
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);

  gtk_widget_class_install_action (widget_class, "snapshots.create", NULL, create_activated);
  gtk_widget_class_install_action (widget_class, "snapshots.revert", "o", revert_activated);
  gtk_widget_class_install_action (widget_class, "snapshots.delete", "o", delete_activated);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "hangar-snapshots-view.ui");
  gtk_widget_class_bind_template_child (widget_class, HangarSnapshotsView, content);
  gtk_widget_class_bind_template_child (widget_class, HangarSnapshotsView, spinner);
  gtk_widget_class_bind_template_child (widget_class, HangarSnapshotsView, hint_label);
  gtk_widget_class_bind_template_child (widget_class, HangarSnapshotsView, create_button);
  gtk_widget_class_bind_template_child (widget_class, HangarSnapshotsView, stack);
  gtk_widget_class_bind_template_child (widget_class, HangarSnapshotsView, list);
  gtk_widget_class_bind_template_child (widget_class, HangarSnapshotsView, empty_page);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "snapshotsview");
}

static void
hangar_snapshots_view_init (HangarSnapshotsView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->shown = g_ptr_array_new_with_free_func (g_free);
  update_actions (self);
  rebuild (self);
}
