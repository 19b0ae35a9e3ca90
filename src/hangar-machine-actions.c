/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-machine-actions"

#include "hangar-machine-actions.h"

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
};

typedef struct {
  HangarMachineAction  action;
  char                *machine_name;
  GWeakRef             window;
} CallData;

static void
call_data_free (CallData *data)
{
  g_free (data->machine_name);
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
    return;

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
             gboolean             remove_storage)
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
    call_engine (HANGAR_MACHINE_ACTION_DELETE, machine, parent, gtk_check_button_get_active (check));
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

void
hangar_machine_action_run (HangarMachineAction  action,
                           HangarMachine       *machine,
                           GtkWidget           *context)
{
  g_return_if_fail (action < HANGAR_MACHINE_N_ACTIONS);
  g_return_if_fail (HANGAR_IS_MACHINE (machine));
  g_return_if_fail (GTK_IS_WIDGET (context));

  if (action == HANGAR_MACHINE_ACTION_DELETE)
    confirm_delete (machine, context);
  else
    call_engine (action, machine, context, FALSE);
}
