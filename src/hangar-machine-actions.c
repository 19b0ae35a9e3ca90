/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-machine-actions"

#include "hangar-machine-actions.h"

#include "hangar-clone-dialog.h"
#include "hangar-connection.h"
#include "hangar-machine-def.h"
#include "hangar-window.h"

#include <adwaita.h>
#include <glib/gi18n.h>

typedef struct {
  const char *name;
  const char *method;
  /* What failed, with the machine's name. */
  const char *failure;
  /* The states that allow it, as the engine checks them. */
  const char *states[5];
} ActionInfo;

static const ActionInfo actions[HANGAR_MACHINE_N_ACTIONS] = {
  [HANGAR_MACHINE_ACTION_START] = {
    "start", "Start", N_("Could not start “%s”"),
    { "shutoff", "crashed", "saved" } },
  [HANGAR_MACHINE_ACTION_SHUTDOWN] = {
    "shutdown", "Shutdown", N_("Could not shut down “%s”"),
    { "running", "shutting-down" } },
  [HANGAR_MACHINE_ACTION_FORCE_OFF] = {
    "force-off", "ForceOff", N_("Could not force off “%s”"),
    { "starting", "running", "paused", "shutting-down" } },
  [HANGAR_MACHINE_ACTION_REBOOT] = {
    "reboot", "Reboot", N_("Could not reboot “%s”"),
    { "running", "shutting-down" } },
  [HANGAR_MACHINE_ACTION_PAUSE] = {
    "pause", "Pause", N_("Could not pause “%s”"),
    { "running", "shutting-down" } },
  [HANGAR_MACHINE_ACTION_RESUME] = {
    "resume", "Resume", N_("Could not resume “%s”"),
    { "paused" } },
  [HANGAR_MACHINE_ACTION_DELETE] = {
    "delete", "Undefine", N_("Could not delete “%s”"),
    { "shutoff", "crashed", "saved" } },
  [HANGAR_MACHINE_ACTION_SAVE_STATE] = {
    "save-state", "ManagedSave", N_("Could not save the state of “%s”"),
    { "running", "paused" } },
  [HANGAR_MACHINE_ACTION_DISCARD_SAVED_STATE] = {
    "discard-saved-state", "ManagedSaveRemove", N_("Could not discard the saved state of “%s”"),
    { "saved" } },
  [HANGAR_MACHINE_ACTION_SAVE_TO_FILE] = {
    "save-to-file", "Save", N_("Could not save “%s” to a file"),
    { "running", "paused" } },
  /* The engine clones machines that are off: QEMU does not hold their disks. */
  [HANGAR_MACHINE_ACTION_CLONE] = {
    "clone", "Clone", N_("Could not clone “%s”"),
    { "shutoff", "crashed" } },
};

typedef struct {
  HangarMachineAction  action;
  char                *machine_name;
  char                *path;           /* SAVE_TO_FILE: the file */
  GWeakRef             window;
} CallData;

static void
call_data_free (CallData *data)
{
  g_free (data->machine_name);
  g_free (data->path);
  g_weak_ref_clear (&data->window);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CallData, call_data_free)

const char *
hangar_machine_action_get_name (HangarMachineAction action)
{
  g_return_val_if_fail (action < HANGAR_MACHINE_N_ACTIONS, NULL);

  return actions[action].name;
}

gboolean
hangar_machine_action_is_allowed (HangarMachineAction  action,
                                  const char          *state)
{
  g_return_val_if_fail (action < HANGAR_MACHINE_N_ACTIONS, FALSE);

  if (state == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (actions[action].states) && actions[action].states[i]; i++)
    {
      if (g_str_equal (actions[action].states[i], state))
        return TRUE;
    }
  return FALSE;
}

const char *
hangar_machine_state_to_label (const char *state)
{
  if (g_strcmp0 (state, "shutoff") == 0)
    return C_("machine state", "Shut Off");
  if (g_strcmp0 (state, "starting") == 0)
    return C_("machine state", "Starting");
  if (g_strcmp0 (state, "running") == 0)
    return C_("machine state", "Running");
  if (g_strcmp0 (state, "paused") == 0)
    return C_("machine state", "Paused");
  if (g_strcmp0 (state, "shutting-down") == 0)
    return C_("machine state", "Shutting Down");
  if (g_strcmp0 (state, "crashed") == 0)
    return C_("machine state", "Crashed");
  if (g_strcmp0 (state, "saved") == 0)
    return C_("machine state", "Saved");
  return C_("machine state", "Unknown");
}

/* ---- Calling the engine --------------------------------------------------- */

static void
call_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(CallData) data = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);
  g_autoptr(HangarWindow) window = NULL;
  g_autofree char *what = NULL;

  if (reply != NULL)
    {
      window = g_weak_ref_get (&data->window);
      if (window != NULL && data->action == HANGAR_MACHINE_ACTION_SAVE_TO_FILE)
        {
          /* TRANSLATORS: a machine's name, then a file's path */
          g_autofree char *text = g_strdup_printf (_("“%s” was saved to %s. "
                                                     "Restore from File… in the main menu "
                                                     "starts it again from there."),
                                                   data->machine_name, data->path);

          hangar_window_show_message (window, text);
        }
      return;
    }

  g_debug ("%s %s: %s", actions[data->action].method, data->machine_name, error->message);
  window = g_weak_ref_get (&data->window);
  if (window == NULL)
    return;

  what = g_strdup_printf (_(actions[data->action].failure), data->machine_name);
  hangar_window_show_failure (window, what, error);
}

static void
call_engine (HangarMachineAction  action,
             HangarMachine       *machine,
             GtkWidget           *context,
             gboolean             remove_storage,
             const char          *path)
{
  CallData *data = g_new0 (CallData, 1);
  GtkRoot *root = gtk_widget_get_root (context);
  GVariant *parameters = NULL;

  data->action = action;
  data->machine_name = g_strdup (hangar_machine_get_name (machine));
  g_weak_ref_init (&data->window, HANGAR_IS_WINDOW (root) ? root : NULL);

  if (action == HANGAR_MACHINE_ACTION_DELETE)
    {
      g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

      if (remove_storage)
        g_variant_builder_add (&options, "{sv}", "remove-storage", g_variant_new_boolean (TRUE));
      parameters = g_variant_new ("(a{sv})", &options);
    }
  else if (action == HANGAR_MACHINE_ACTION_SAVE_STATE)
    parameters = g_variant_new ("(a{sv})", NULL);
  else if (action == HANGAR_MACHINE_ACTION_SAVE_TO_FILE)
    {
      data->path = g_strdup (path);
      parameters = g_variant_new ("(sa{sv})", path, NULL);
    }

  g_dbus_proxy_call (G_DBUS_PROXY (machine), actions[action].method, parameters,
                     G_DBUS_CALL_FLAGS_NONE, -1, NULL, call_done, data);
}

/* ---- Deleting: confirm first ---------------------------------------------- */

/* The files "Also delete its disks" removes, from the definition: disks
 * (not CD-ROMs), a path or "pool/volume" each. Filled in when GetXml
 * answers; until then (or when it fails) the general sentence stays. */
static void
on_delete_xml (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GtkLabel) label = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(HangarMachineDef) def = NULL;
  g_autoptr(GString) files = g_string_new (NULL);

  if (!hangar_machine_call_get_xml_finish (HANGAR_MACHINE (source), &xml, result, &error) ||
      (def = hangar_machine_def_parse (xml, &error)) == NULL)
    {
      g_debug ("GetXml for the delete dialog: %s", error->message);
      return;
    }

  for (guint i = 0; i < def->disks->len; i++)
    {
      HangarDiskInfo *disk = g_ptr_array_index (def->disks, i);

      if (g_strcmp0 (disk->device, "disk") != 0 || disk->source == NULL || disk->source[0] == '\0')
        continue;
      g_string_append_printf (files, "\n%s", disk->source);
    }

  if (files->len == 0)
    gtk_label_set_text (label, _("The machine has no disk files; installation media are kept."));
  else
    {
      /* TRANSLATORS: %s is the list of files, one per line, each after a line break. */
      g_autofree char *text = g_strdup_printf (_("These files will be deleted; installation media are kept:%s"),
                                               files->str);

      gtk_label_set_text (label, text);
    }
}

static void
on_remove_storage_toggled (GtkCheckButton   *check,
                           GParamSpec       *pspec,
                           AdwMessageDialog *dialog)
{
  if (gtk_check_button_get_active (check))
    adw_message_dialog_set_body (dialog, _("The machine’s definition and its disks are removed."));
  else
    adw_message_dialog_set_body (dialog, _("The machine’s definition is removed. "
                                           "Its disks are kept and can be used by another machine."));
}

static void
on_delete_response (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  GtkWidget *parent = GTK_WIDGET (gtk_window_get_transient_for (GTK_WINDOW (dialog)));
  HangarMachine *machine = g_object_get_data (G_OBJECT (dialog), "machine");
  GtkCheckButton *check = g_object_get_data (G_OBJECT (dialog), "remove-storage");

  if (g_str_equal (response, "delete") && parent != NULL)
    call_engine (HANGAR_MACHINE_ACTION_DELETE, machine, parent, gtk_check_button_get_active (check), NULL);
}

static void
confirm_delete (HangarMachine *machine,
                GtkWidget     *context)
{
  GtkRoot *root = gtk_widget_get_root (context);
  AdwMessageDialog *dialog;
  GtkWidget *box, *check, *files;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       NULL, NULL));
  adw_message_dialog_format_heading (dialog, _("Delete “%s”?"), hangar_machine_get_name (machine));
  adw_message_dialog_set_body (dialog, _("The machine’s definition is removed. "
                                         "Its disks are kept and can be used by another machine."));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  check = gtk_check_button_new_with_mnemonic (_("_Also delete its disks"));
  files = gtk_label_new (_("The machine’s disk files will be deleted; installation media are kept."));
  gtk_label_set_wrap (GTK_LABEL (files), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (files), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (files), 0);
  gtk_widget_add_css_class (files, "dim-label");
  gtk_widget_add_css_class (files, "caption");
  gtk_widget_set_margin_start (files, 28);
  g_object_bind_property (check, "active", files, "visible", G_BINDING_SYNC_CREATE);
  gtk_box_append (GTK_BOX (box), check);
  gtk_box_append (GTK_BOX (box), files);
  adw_message_dialog_set_extra_child (dialog, box);
  g_signal_connect_object (check, "notify::active", G_CALLBACK (on_remove_storage_toggled), dialog, 0);

  hangar_machine_call_get_xml (machine, g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0),
                               NULL, on_delete_xml, g_object_ref (files));

  g_object_set_data_full (G_OBJECT (dialog), "machine", g_object_ref (machine), g_object_unref);
  g_object_set_data (G_OBJECT (dialog), "remove-storage", check);
  g_signal_connect (dialog, "response", G_CALLBACK (on_delete_response), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- Discarding a saved state: confirm first ------------------------------ */

static void
on_discard_response (AdwMessageDialog *dialog,
                     const char       *response,
                     gpointer          user_data)
{
  GtkWidget *parent = GTK_WIDGET (gtk_window_get_transient_for (GTK_WINDOW (dialog)));
  HangarMachine *machine = g_object_get_data (G_OBJECT (dialog), "machine");

  if (g_str_equal (response, "discard") && parent != NULL)
    call_engine (HANGAR_MACHINE_ACTION_DISCARD_SAVED_STATE, machine, parent, FALSE, NULL);
}

static void
confirm_discard (HangarMachine *machine,
                 GtkWidget     *context)
{
  GtkRoot *root = gtk_widget_get_root (context);
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       NULL, NULL));
  adw_message_dialog_format_heading (dialog, _("Discard the Saved State of “%s”?"),
                                     hangar_machine_get_name (machine));
  adw_message_dialog_set_body (dialog, _("The next start boots the machine afresh. What ran in it "
                                         "when it was saved is lost, as after a power cut."));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "discard", _("_Discard"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "discard", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "machine", g_object_ref (machine), g_object_unref);
  g_signal_connect (dialog, "response", G_CALLBACK (on_discard_response), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- Saving to a file ----------------------------------------------------- */

void
hangar_machine_action_save_to_file (HangarMachine *machine,
                                    GFile         *file,
                                    GtkWidget     *context)
{
  g_autofree char *path = NULL;

  g_return_if_fail (HANGAR_IS_MACHINE (machine));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (GTK_IS_WIDGET (context));

  path = g_file_get_path (file);
  if (path == NULL)
    {
      GtkRoot *root = gtk_widget_get_root (context);

      if (HANGAR_IS_WINDOW (root))
        hangar_window_show_message (HANGAR_WINDOW (root),
                                    _("Choose a file on this computer: the engine writes it itself"));
      return;
    }
  call_engine (HANGAR_MACHINE_ACTION_SAVE_TO_FILE, machine, context, FALSE, path);
}

static void
on_save_file_response (GtkNativeDialog *dialog,
                       int              response,
                       gpointer         user_data)
{
  HangarMachine *machine = g_object_get_data (G_OBJECT (dialog), "machine");
  GtkWindow *parent = gtk_native_dialog_get_transient_for (dialog);

  if (response == GTK_RESPONSE_ACCEPT && parent != NULL)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      if (file != NULL)
        hangar_machine_action_save_to_file (machine, file, GTK_WIDGET (parent));
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
choose_save_file (HangarMachine *machine,
                  GtkWidget     *context)
{
  GtkRoot *root = gtk_widget_get_root (context);
  g_autofree char *title = g_strdup_printf (_("Save “%s” to a File"), hangar_machine_get_name (machine));
  g_autofree char *name = g_strdup_printf ("%s.save", hangar_machine_get_name (machine));
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (title, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_object_set_data_full (G_OBJECT (chooser), "machine", g_object_ref (machine), g_object_unref);
  g_signal_connect (chooser, "response", G_CALLBACK (on_save_file_response), NULL);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* ---- Cloning -------------------------------------------------------------- */

static void
on_cloned (HangarCloneDialog *dialog,
           const char        *object_path,
           HangarWindow      *window)
{
  hangar_window_show_machine (window, object_path);
}

static void
open_clone_dialog (HangarMachine *machine,
                   GtkWidget     *context)
{
  GtkRoot *root = gtk_widget_get_root (context);
  GDBusObjectManager *object_manager = NULL;
  HangarCloneDialog *dialog;

  if (HANGAR_IS_WINDOW (root))
    object_manager = hangar_connection_get_object_manager (hangar_window_get_connection (HANGAR_WINDOW (root)));
  dialog = hangar_clone_dialog_present (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        object_manager, machine);
  if (HANGAR_IS_WINDOW (root))
    g_signal_connect_object (dialog, "cloned", G_CALLBACK (on_cloned), root, 0);
}

void
hangar_machine_action_run (HangarMachineAction  action,
                           HangarMachine       *machine,
                           GtkWidget           *context)
{
  g_return_if_fail (action < HANGAR_MACHINE_N_ACTIONS);
  g_return_if_fail (HANGAR_IS_MACHINE (machine));
  g_return_if_fail (GTK_IS_WIDGET (context));

  switch (action)
    {
    case HANGAR_MACHINE_ACTION_DELETE:
      confirm_delete (machine, context);
      break;
    case HANGAR_MACHINE_ACTION_DISCARD_SAVED_STATE:
      confirm_discard (machine, context);
      break;
    case HANGAR_MACHINE_ACTION_SAVE_TO_FILE:
      choose_save_file (machine, context);
      break;
    case HANGAR_MACHINE_ACTION_CLONE:
      open_clone_dialog (machine, context);
      break;
    default:
      call_engine (action, machine, context, FALSE, NULL);
    }
}
