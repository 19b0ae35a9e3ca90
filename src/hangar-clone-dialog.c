/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-clone-dialog"

#include "hangar-clone-dialog.h"

#include <glib/gi18n.h>
#include <string.h>

#define RESOURCE_PATH "/io/github/hangarvm/Hangar/"
#define MAX_NAME_BYTES 64            /* the engine's limit for machine names */
#define PULSE_INTERVAL_MS 200
/* Copying disks under a loaded host: longer than GDBus's 25 s. */
#define CLONE_CALL_TIMEOUT_MS (5 * 60 * 1000)

struct _HangarCloneDialog
{
  AdwWindow           parent_instance;

  HangarMachine      *machine;
  GDBusObjectManager *object_manager;
  GCancellable       *cancellable;
  GPtrArray          *pools;            /* char *: the pool names after the first item */
  HangarJob          *job;
  gboolean            busy;
  gboolean            cancelling;       /* Cancel was asked: close when the job ends */
  gboolean            closing;
  char               *error_text;       /* how the last try ended */
  guint               pulse_id;

  AdwEntryRow        *name_row;
  GtkSwitch          *linked_switch;
  AdwComboRow        *pool_row;
  GtkStringList      *pool_names;
  AdwPreferencesGroup *name_group;
  AdwPreferencesGroup *disks_group;
  AdwPreferencesGroup *progress_group;
  GtkProgressBar     *progress_bar;
  GtkRevealer        *problem_revealer;
  GtkLabel           *problem_label;
  GtkWidget          *cancel_button;
};

G_DEFINE_FINAL_TYPE (HangarCloneDialog, hangar_clone_dialog, ADW_TYPE_WINDOW)

enum {
  SIGNAL_CLONED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- Names ---------------------------------------------------------------- */

static gboolean
machine_name_taken (HangarCloneDialog *self,
                    const char        *name)
{
  g_autolist(GDBusObject) objects = NULL;

  if (self->object_manager == NULL)
    return FALSE;
  objects = g_dbus_object_manager_get_objects (self->object_manager);
  for (GList *l = objects; l != NULL; l = l->next)
    {
      HangarMachine *machine = hangar_object_peek_machine (HANGAR_OBJECT (l->data));

      if (machine != NULL && g_strcmp0 (hangar_machine_get_name (machine), name) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Why the engine would refuse @name for the clone, in words; NULL when it
 * is fine. The rules of hangard_domain_name_is_valid(). */
static char *
name_problem (HangarCloneDialog *self,
              const char        *name)
{
  if (name[0] == '\0')
    return g_strdup (_("Give the clone a name"));
  if (strlen (name) > MAX_NAME_BYTES)
    return g_strdup_printf (_("The name is too long: at most %d bytes"), MAX_NAME_BYTES);
  if (strchr (name, '/') != NULL)
    return g_strdup (_("The name cannot contain “/”"));
  if (name[0] == '.' || name[0] == '-')
    return g_strdup (_("The name cannot start with “.” or “-”"));
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return g_strdup (_("The name cannot contain tabs or line breaks"));
  if (machine_name_taken (self, name))
    return g_strdup_printf (_("A machine named “%s” already exists"), name);
  return NULL;
}

/* "web-clone", else "web-clone-2"... */
static char *
default_name (HangarCloneDialog *self)
{
  const char *source = hangar_machine_get_name (self->machine);
  g_autofree char *base = NULL;

  /* Room for "-clone-99" within the limit, cut between characters. */
  const gsize limit = MAX_NAME_BYTES - strlen ("-clone-99");
  const char *end;

  base = g_strdup (source != NULL ? source : "");
  for (end = base; *end != '\0' && (gsize) (g_utf8_next_char (end) - base) <= limit;
       end = g_utf8_next_char (end))
    ;
  base[end - base] = '\0';

  for (guint n = 1; n < 100; n++)
    {
      g_autofree char *name = n == 1 ? g_strdup_printf ("%s-clone", base)
                                     : g_strdup_printf ("%s-clone-%u", base, n);

      if (!machine_name_taken (self, name))
        return g_steal_pointer (&name);
    }
  return g_strdup_printf ("%s-clone", base);
}

static char *
chosen_name (HangarCloneDialog *self)
{
  return g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row)));
}

/* ---- What can be done ----------------------------------------------------- */

static void
update_state (HangarCloneDialog *self)
{
  g_autofree char *name = chosen_name (self);
  g_autofree char *problem = name_problem (self, name);
  const char *shown = NULL;

  if (self->busy)
    shown = NULL;
  else if (self->error_text != NULL)
    shown = self->error_text;
  else if (problem != NULL)
    shown = problem;

  if (problem != NULL && !self->busy)
    gtk_widget_add_css_class (GTK_WIDGET (self->name_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->name_row), "error");

  gtk_label_set_label (self->problem_label, shown != NULL ? shown : "");
  gtk_revealer_set_reveal_child (self->problem_revealer, shown != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "clone.clone", problem == NULL && !self->busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->name_group), !self->busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->disks_group), !self->busy);
}

static void
on_name_changed (HangarCloneDialog *self)
{
  g_clear_pointer (&self->error_text, g_free);
  update_state (self);
}

/* The engine's active pools, "default" first. */
static int
compare_pool_names (gconstpointer a,
                    gconstpointer b)
{
  const char *name_a = *(const char * const *) a;
  const char *name_b = *(const char * const *) b;

  if (g_str_equal (name_a, "default") != g_str_equal (name_b, "default"))
    return g_str_equal (name_a, "default") ? -1 : 1;
  return g_utf8_collate (name_a, name_b);
}

static void
fill_pools (HangarCloneDialog *self)
{
  g_autolist(GDBusObject) objects = NULL;

  gtk_string_list_append (self->pool_names, _("Each disk’s own pool"));
  if (self->object_manager == NULL)
    return;

  objects = g_dbus_object_manager_get_objects (self->object_manager);
  for (GList *l = objects; l != NULL; l = l->next)
    {
      HangarStoragePool *pool = hangar_object_peek_storage_pool (HANGAR_OBJECT (l->data));

      if (pool != NULL && g_strcmp0 (hangar_storage_pool_get_state (pool), "active") == 0)
        g_ptr_array_add (self->pools, g_strdup (hangar_storage_pool_get_name (pool)));
    }
  g_ptr_array_sort (self->pools, compare_pool_names);
  for (guint i = 0; i < self->pools->len; i++)
    gtk_string_list_append (self->pool_names, g_ptr_array_index (self->pools, i));
}

/* ---- The job -------------------------------------------------------------- */

static void
set_busy (HangarCloneDialog *self,
          gboolean           busy)
{
  self->busy = busy;
  gtk_widget_set_visible (GTK_WIDGET (self->progress_group), busy || self->job != NULL);
  if (!busy)
    g_clear_handle_id (&self->pulse_id, g_source_remove);
  update_state (self);
}

static void
stop (HangarCloneDialog *self,
      const char        *error_text)
{
  if (self->job != NULL)
    g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);
  g_free (self->error_text);
  self->error_text = g_strdup (error_text);
  set_busy (self, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_group), FALSE);

  if (self->cancelling)
    {
      self->closing = TRUE;
      gtk_window_close (GTK_WINDOW (self));
    }
}

static void
failed (HangarCloneDialog *self,
        const GError      *error)
{
  g_autoptr(GError) copy = g_error_copy (error);
  g_autofree char *text = NULL;

  g_dbus_error_strip_remote_error (copy);
  /* TRANSLATORS: the engine's reason follows */
  text = g_strdup_printf (_("The clone could not be made: %s"), copy->message);
  stop (self, text);
}

static gboolean
pulse (gpointer user_data)
{
  HangarCloneDialog *self = user_data;

  if (self->job == NULL || hangar_job_get_bytes_total (self->job) == 0)
    gtk_progress_bar_pulse (self->progress_bar);
  return G_SOURCE_CONTINUE;
}

static void
show_progress (HangarCloneDialog *self)
{
  guint64 total = hangar_job_get_bytes_total (self->job);
  guint64 done = hangar_job_get_bytes_done (self->job);

  if (total > 0)
    {
      g_autofree char *done_text = g_format_size (done);
      g_autofree char *total_text = g_format_size (total);
      /* TRANSLATORS: bytes copied so far of all, e.g. "12.1 MB of 64.0 MB" */
      g_autofree char *text = g_strdup_printf (_("%s of %s"), done_text, total_text);

      gtk_progress_bar_set_fraction (self->progress_bar, MIN ((double) done / total, 1.0));
      gtk_progress_bar_set_text (self->progress_bar, text);
    }
  else
    gtk_progress_bar_set_text (self->progress_bar, hangar_job_get_description (self->job));
}

static void
on_job_changed (HangarCloneDialog *self)
{
  const char *state = hangar_job_get_state (self->job);
  g_autofree char *result = NULL;

  show_progress (self);
  if (g_strcmp0 (state, "running") == 0)
    return;

  if (g_strcmp0 (state, "completed") == 0)
    {
      gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
      result = g_strdup (hangar_job_get_result (self->job));
      self->cancelling = FALSE;
      stop (self, NULL);
      g_signal_emit (self, signals[SIGNAL_CLONED], 0, result);
      self->closing = TRUE;
      gtk_window_close (GTK_WINDOW (self));
    }
  else if (g_strcmp0 (state, "cancelled") == 0)
    stop (self, _("Stopped: no clone was made and nothing was left behind"));
  else
    {
      g_autofree char *text = g_strdup_printf (_("The clone could not be made: %s"),
                                               hangar_job_get_error_message (self->job));

      self->cancelling = FALSE;
      stop (self, text);
    }
}

static void
on_job_proxy (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HangarCloneDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  HangarJob *job = hangar_job_proxy_new_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (job == NULL)
    {
      failed (self, error);
      return;
    }

  self->job = job;
  g_signal_connect_object (job, "g-properties-changed", G_CALLBACK (on_job_changed), self,
                           G_CONNECT_SWAPPED);
  /* Cancel was pressed while the engine was asked. */
  if (self->cancelling)
    hangar_job_call_cancel (job, NULL, NULL, NULL);
  on_job_changed (self);
}

static void
on_clone_called (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(HangarCloneDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *job_path = NULL;
  GDBusProxy *machine = G_DBUS_PROXY (source);

  if (!hangar_machine_call_clone_finish (HANGAR_MACHINE (source), &job_path, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        failed (self, error);
      return;
    }

  hangar_job_proxy_new (g_dbus_proxy_get_connection (machine), G_DBUS_PROXY_FLAGS_NONE,
                        g_dbus_proxy_get_name (machine), job_path, self->cancellable,
                        on_job_proxy, g_object_ref (self));
}

static void
clone_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  HangarCloneDialog *self = HANGAR_CLONE_DIALOG (widget);
  g_autofree char *name = chosen_name (self);
  g_autofree char *problem = name_problem (self, name);
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  guint pool = adw_combo_row_get_selected (self->pool_row);

  if (self->busy || problem != NULL)
    return;

  if (gtk_switch_get_active (self->linked_switch))
    g_variant_builder_add (&options, "{sv}", "linked", g_variant_new_boolean (TRUE));
  if (pool != GTK_INVALID_LIST_POSITION && pool > 0 && pool - 1 < self->pools->len)
    g_variant_builder_add (&options, "{sv}", "pool",
                           g_variant_new_string (g_ptr_array_index (self->pools, pool - 1)));

  g_clear_pointer (&self->error_text, g_free);
  self->cancelling = FALSE;
  gtk_widget_set_sensitive (self->cancel_button, TRUE);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_progress_bar_set_text (self->progress_bar, _("Starting…"));
  set_busy (self, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_group), TRUE);
  self->pulse_id = g_timeout_add (PULSE_INTERVAL_MS, pulse, self);

  g_dbus_proxy_call (G_DBUS_PROXY (self->machine), "Clone",
                     g_variant_new ("(sa{sv})", name, &options),
                     G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, CLONE_CALL_TIMEOUT_MS,
                     self->cancellable, on_clone_called, g_object_ref (self));
}

static void
on_name_activated (HangarCloneDialog *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "clone.clone", NULL);
}

/* While the clone is made, Cancel (or closing) stops it; the dialog goes
 * once the engine says it stopped. */
static void
cancel_job (HangarCloneDialog *self)
{
  self->cancelling = TRUE;
  gtk_widget_set_sensitive (self->cancel_button, FALSE);
  if (self->job != NULL)
    hangar_job_call_cancel (self->job, NULL, NULL, NULL);
}

static void
on_cancel_clicked (HangarCloneDialog *self)
{
  if (self->busy)
    cancel_job (self);
  else
    gtk_window_close (GTK_WINDOW (self));
}

static gboolean
on_close_request (HangarCloneDialog *self)
{
  if (self->busy && !self->closing)
    {
      cancel_job (self);
      return TRUE;
    }
  return FALSE;
}

/* ---- Public --------------------------------------------------------------- */

HangarCloneDialog *
hangar_clone_dialog_present (GtkWindow          *parent,
                             GDBusObjectManager *object_manager,
                             HangarMachine      *machine)
{
  HangarCloneDialog *self;
  g_autofree char *name = NULL;
  g_autofree char *title = NULL;
  g_autofree char *description = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (object_manager == NULL || G_IS_DBUS_OBJECT_MANAGER (object_manager), NULL);
  g_return_val_if_fail (HANGAR_IS_MACHINE (machine), NULL);

  self = g_object_new (HANGAR_TYPE_CLONE_DIALOG,
                       "transient-for", parent,
                       "application", parent ? gtk_window_get_application (parent) : NULL,
                       NULL);
  self->machine = g_object_ref (machine);
  if (object_manager != NULL)
    self->object_manager = g_object_ref (object_manager);

  title = g_strdup_printf (_("Clone “%s”"), hangar_machine_get_name (machine));
  gtk_window_set_title (GTK_WINDOW (self), title);
  description = g_strdup_printf (_("A copy of “%s” with a new name, UUID and MAC addresses; "
                                   "the original is not changed."),
                                 hangar_machine_get_name (machine));
  adw_preferences_group_set_description (self->name_group, description);

  fill_pools (self);
  name = default_name (self);
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
  update_state (self);

  gtk_window_present (GTK_WINDOW (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
  return self;
}

gboolean
hangar_clone_dialog_get_busy (HangarCloneDialog *self)
{
  g_return_val_if_fail (HANGAR_IS_CLONE_DIALOG (self), FALSE);

  return self->busy;
}

/* ---- GObject -------------------------------------------------------------- */

static void
hangar_clone_dialog_dispose (GObject *object)
{
  HangarCloneDialog *self = HANGAR_CLONE_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->pulse_id, g_source_remove);
  if (self->job != NULL)
    g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);
  g_clear_object (&self->machine);
  g_clear_object (&self->object_manager);
  gtk_widget_dispose_template (GTK_WIDGET (self), HANGAR_TYPE_CLONE_DIALOG);

  G_OBJECT_CLASS (hangar_clone_dialog_parent_class)->dispose (object);
}

static void
hangar_clone_dialog_finalize (GObject *object)
{
  HangarCloneDialog *self = HANGAR_CLONE_DIALOG (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->pools, g_ptr_array_unref);
  g_free (self->error_text);

  G_OBJECT_CLASS (hangar_clone_dialog_parent_class)->finalize (object);
}

static void
hangar_clone_dialog_class_init (HangarCloneDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hangar_clone_dialog_dispose;
  object_class->finalize = hangar_clone_dialog_finalize;

  /**
   * HangarCloneDialog::cloned:
   * @object_path: the new machine
   *
   * The clone was made; the dialog closes.
   */
  signals[SIGNAL_CLONED] = g_signal_new ("cloned", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_install_action (widget_class, "clone.clone", NULL, clone_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "hangar-clone-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, HangarCloneDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, HangarCloneDialog, linked_switch);
  gtk_widget_class_bind_template_child (widget_class, HangarCloneDialog, pool_row);
  gtk_widget_class_bind_template_child (widget_class, HangarCloneDialog, pool_names);
  gtk_widget_class_bind_template_child (widget_class, HangarCloneDialog, name_group);
  gtk_widget_class_bind_template_child (widget_class, HangarCloneDialog, disks_group);
  gtk_widget_class_bind_template_child (widget_class, HangarCloneDialog, progress_group);
  gtk_widget_class_bind_template_child (widget_class, HangarCloneDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, HangarCloneDialog, problem_revealer);
  gtk_widget_class_bind_template_child (widget_class, HangarCloneDialog, problem_label);
  gtk_widget_class_bind_template_child (widget_class, HangarCloneDialog, cancel_button);
  gtk_widget_class_bind_template_callback (widget_class, on_name_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_name_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_close_request);
}

static void
hangar_clone_dialog_init (HangarCloneDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->pools = g_ptr_array_new_with_free_func (g_free);
}
