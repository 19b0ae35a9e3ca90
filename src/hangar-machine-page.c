/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-machine-page"

#include "hangar-machine-page.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "hangar-add-disk-dialog.h"
#include "hangar-connection.h"
#include "hangar-machine-actions.h"
#include "hangar-machine-def.h"
#include "hangar-serial-console.h"
#include "hangar-snapshots-view.h"
#include "hangar-display-view.h"
#include "hangar-display-window.h"
#include "hangar-stats-sample.h"
#include "hangar-usage-graph.h"
#include "hangard-error.h"

#define RESOURCE_PATH "/io/github/hangarvm/Hangar/"
#define STATS_INTERVAL_S 2
#define CLOCK_INTERVAL_S 1
#define INTERFACES_EVERY_N_STATS 5
#define GRAPH_WINDOW_US (5 * 60 * G_USEC_PER_SEC)
#define REFETCH_DELAY_MS 250
/* A hot-unplug waits for the guest (up to 30 s in the engine) on a loaded host. */
#define DEVICE_CALL_TIMEOUT_MS (5 * 60 * 1000)
#define KIB G_GUINT64_CONSTANT (1024)
/* On a machine's proxy while it waits for "Begin Installation". */
#define CUSTOMIZING_KEY "hangar-customizing"

typedef enum {
  UPDATE_FROM_XML_VIEW,   /* errors show above the text */
  UPDATE_FROM_HARDWARE,   /* errors go to the "error" signal */
} UpdateOrigin;

enum {
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- Lifecycle actions ---------------------------------------------------- */

typedef void     (*MachineCall)   (HangarMachine       *machine,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);
typedef gboolean (*MachineFinish) (HangarMachine       *machine,
                                   GAsyncResult        *result,
                                   GError             **error);

typedef struct {
  const char    *name;              /* the action, "machine.start" */
  MachineCall    call;
  MachineFinish  finish;
  const char    *failure;           /* what failed, with the machine's name */
  const char    *tooltip;           /* what it does */
  const char    *confirm_heading;   /* a question before data may be lost, or NULL */
  const char    *confirm_body;
  const char    *confirm_label;
} LifecycleAction;

enum {
  ACTION_START,
  ACTION_SHUTDOWN,
  ACTION_PAUSE,
  ACTION_RESUME,
  ACTION_REBOOT,
  ACTION_RESET,
  ACTION_FORCE_OFF,
  N_ACTIONS
};

static const LifecycleAction lifecycle_actions[N_ACTIONS] = {
  [ACTION_START] = {
    "machine.start", hangar_machine_call_start, hangar_machine_call_start_finish,
    N_("Could not start “%s”"), N_("Start the machine"), NULL, NULL, NULL },
  [ACTION_SHUTDOWN] = {
    "machine.shutdown", hangar_machine_call_shutdown, hangar_machine_call_shutdown_finish,
    N_("Could not shut down “%s”"),
    N_("Ask the guest to power off, as with a short press of the power button"),
    NULL, NULL, NULL },
  [ACTION_PAUSE] = {
    "machine.pause", hangar_machine_call_pause, hangar_machine_call_pause_finish,
    N_("Could not pause “%s”"), N_("Stop the virtual CPUs; the memory is kept"),
    NULL, NULL, NULL },
  [ACTION_RESUME] = {
    "machine.resume", hangar_machine_call_resume, hangar_machine_call_resume_finish,
    N_("Could not resume “%s”"), N_("Continue the paused machine"), NULL, NULL, NULL },
  [ACTION_REBOOT] = {
    "machine.reboot", hangar_machine_call_reboot, hangar_machine_call_reboot_finish,
    N_("Could not reboot “%s”"), N_("Ask the guest to restart"), NULL, NULL, NULL },
  [ACTION_RESET] = {
    "machine.reset", hangar_machine_call_reset, hangar_machine_call_reset_finish,
    N_("Could not reset “%s”"),
    N_("Restart at once, as with the reset button; the guest cannot save its work"),
    N_("Reset “%s”?"),
    N_("The machine restarts at once, as if its reset button were pressed. "
       "Anything the guest has not saved is lost."),
    N_("_Reset") },
  [ACTION_FORCE_OFF] = {
    "machine.force-off", hangar_machine_call_force_off, hangar_machine_call_force_off_finish,
    N_("Could not force off “%s”"),
    N_("Turn the machine off at once, as with pulling the plug; the guest cannot save its work"),
    N_("Force Off “%s”?"),
    N_("The machine is turned off at once, as if its plug were pulled. "
       "Anything the guest has not saved is lost."),
    N_("_Force Off") },
};

struct _HangarMachinePage
{
  GtkWidget          parent_instance;

  HangarMachine     *machine;
  GObject           *connection;        /* the window's HangarConnection, or NULL */
  GCancellable      *cancellable;       /* cancelled when the machine changes */
  gboolean           lifecycle_busy;

  /* Overview */
  guint              clock_source;
  guint              stats_source;
  gboolean           stats_pending;
  guint              stats_count;
  guint64            graphs_start_time;   /* the run the graphs show */
  gboolean           have_counters;
  gint64             last_time_us;
  guint64            last_block_read;
  guint64            last_block_write;
  guint64            last_net_rx;
  guint64            last_net_tx;
  gboolean           last_has_net;
  HangarStatsSample  cpu_sample;         /* the page's own, for CPU use */

  /* The definition */
  char              *stored_xml;
  HangarMachineDef  *def;
  GPtrArray         *hardware_rows;      /* rows added to the groups, unowned */
  gboolean           updating_spins;
  gboolean           resources_dirty;
  gboolean           update_pending;     /* UpdateXml in flight */
  gboolean           rereading;          /* ...and then GetXml for what it made */
  gboolean           editing_xml;
  guint              refetch_source;

  /* Template children */
  GtkWidget         *content;
  GtkLabel          *title_label;
  GtkLabel          *subtitle_label;
  GtkLabel          *state_badge;
  GtkWidget         *toolbar;
  GtkWidget         *compact_toolbar;
  AdwViewStack      *stack;

  AdwActionRow      *state_row;
  GtkLabel          *state_value;
  GtkLabel          *uptime_value;
  AdwActionRow      *accelerator_row;
  GtkLabel          *accelerator_value;
  GtkLabel          *vcpus_value;
  GtkLabel          *memory_value;
  GtkLabel          *ip_value;
  GtkWidget         *usage_placeholder;
  GtkWidget         *graph_grid;
  GtkLabel          *cpu_label;
  HangarUsageGraph  *cpu_graph;
  GtkLabel          *rss_label;
  HangarUsageGraph  *memory_graph;
  GtkLabel          *disk_label;
  HangarUsageGraph  *disk_graph;
  GtkWidget         *net_card;
  GtkLabel          *net_label;
  HangarUsageGraph  *net_graph;

  GtkWidget         *hardware_box;
  GtkRevealer       *install_revealer;
  GtkRevealer       *hardware_notice_revealer;
  GtkLabel          *hardware_notice_label;
  AdwPreferencesGroup *resources_group;
  GtkWidget         *resources_apply_button;
  GtkWidget         *resources_revert_button;
  GtkSpinButton     *memory_spin;
  GtkSpinButton     *vcpus_spin;
  AdwPreferencesGroup *boot_group;
  AdwPreferencesGroup *disks_group;
  AdwPreferencesGroup *nics_group;
  GtkPopover        *add_nic_popover;
  GtkDropDown       *nic_type_dropdown;
  GtkWidget         *nic_source_label;
  GtkEditable       *nic_source_entry;
  GtkDropDown       *nic_model_dropdown;
  GtkWidget         *add_nic_confirm;

  HangarSnapshotsView *snapshots_view;
  HangarSerialConsole *serial_console;

  GtkLabel          *xml_hint;
  GtkWidget         *xml_cancel_button;
  GtkWidget         *xml_apply_button;
  GtkWidget         *xml_edit_button;
  GtkRevealer       *xml_error_revealer;
  GtkLabel          *xml_error_label;
  GtkTextView       *xml_view;

  /* Display */
  GtkStack          *display_stack;
  AdwBin            *display_slot;
  AdwStatusPage     *display_off_page;
  GtkWidget         *display_start_button;
  GtkWidget         *display_attach_button;
  HangarDisplayView *display_view;
  HangarDisplayWindow *display_window;   /* while the display has a window of its own */
  gboolean           detached_for_fullscreen;
  gboolean           display_auto_shown; /* the page chose the Display view itself */
};

G_DEFINE_FINAL_TYPE (HangarMachinePage, hangar_machine_page, GTK_TYPE_WIDGET)

static void update_polling       (HangarMachinePage *self);
static void fetch_definition     (HangarMachinePage *self);
static void fetch_interfaces     (HangarMachinePage *self);
static void refresh_display      (HangarMachinePage *self);
static GDBusObjectManager *object_manager (HangarMachinePage *self);

/* ---- Small helpers -------------------------------------------------------- */

static const char *
machine_state (HangarMachinePage *self)
{
  const char *state = self->machine != NULL ? hangar_machine_get_state (self->machine) : NULL;

  return state != NULL ? state : "";
}

static gboolean
state_is (HangarMachinePage *self,
          const char        *state)
{
  return g_str_equal (machine_state (self), state);
}

/* QEMU runs: there is something to measure. */
static gboolean
machine_is_active (HangarMachinePage *self)
{
  return state_is (self, "running") || state_is (self, "paused") ||
         state_is (self, "shutting-down") || state_is (self, "starting");
}

static const char *
machine_name (HangarMachinePage *self)
{
  const char *name = self->machine != NULL ? hangar_machine_get_name (self->machine) : NULL;

  return name != NULL ? name : "";
}

/* 2 GiB, 512 MiB, or 1.5 GB when not a whole number of either. */
static char *
format_memory (guint64 kib)
{
  g_autofree char *number = NULL;

  if (kib > 0 && kib % (KIB * KIB) == 0)
    {
      number = g_strdup_printf ("%" G_GUINT64_FORMAT, kib / (KIB * KIB));
      /* TRANSLATORS: an amount of memory, e.g. "2 GiB" */
      return g_strdup_printf (_("%s GiB"), number);
    }
  if (kib > 0 && kib % KIB == 0)
    {
      number = g_strdup_printf ("%" G_GUINT64_FORMAT, kib / KIB);
      /* TRANSLATORS: an amount of memory, e.g. "512 MiB" */
      return g_strdup_printf (_("%s MiB"), number);
    }
  return g_format_size_full (kib * KIB, G_FORMAT_SIZE_IEC_UNITS);
}

static char *
format_uptime (guint64 seconds)
{
  guint days = seconds / 86400;
  guint hours = (seconds / 3600) % 24;
  guint minutes = (seconds / 60) % 60;
  guint secs = seconds % 60;

  if (days > 0)
    return g_strdup_printf (ngettext ("%u day, %02u:%02u:%02u", "%u days, %02u:%02u:%02u", days),
                            days, hours, minutes, secs);
  return g_strdup_printf ("%02u:%02u:%02u", hours, minutes, secs);
}

static char *
format_rate (double bytes_per_second)
{
  g_autofree char *size = g_format_size ((guint64) MAX (bytes_per_second, 0));

  /* TRANSLATORS: a transfer rate, e.g. "1.2 MB/s" */
  return g_strdup_printf (_("%s/s"), size);
}

/* Edits wait while one is sent and until the definition it made is read:
 * the next edit starts from that. */
static gboolean
definition_busy (HangarMachinePage *self)
{
  return self->update_pending || self->rereading;
}

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* The engine's words, without D-Bus's "GDBus.Error:name: " prefix. */
static char *
engine_message (const GError *error)
{
  g_autoptr(GError) copy = g_error_copy (error);

  g_dbus_error_strip_remote_error (copy);
  return g_strdup (copy->message);
}

/* Emits "error": @what failed (already translated), then the engine's words. */
static void
emit_error (HangarMachinePage *self,
            const char        *what,
            const GError      *error)
{
  g_autofree char *message = engine_message (error);
  g_autoptr(GError) shown = g_error_new (error->domain, error->code, "%s: %s", what, message);

  g_signal_emit (self, signals[SIGNAL_ERROR], 0, shown);
}

static void
ensure_style (void)
{
  static gboolean loaded;
  g_autoptr(GtkCssProvider) provider = NULL;
  GdkDisplay *display = gdk_display_get_default ();

  if (loaded || display == NULL)
    return;
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, RESOURCE_PATH "hangar-machine-page.css");
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  loaded = TRUE;
}

/* ---- Lifecycle ------------------------------------------------------------ */

static const char *
start_blocked (const char *state)
{
  /* "saved": Start resumes it from its managed save. */
  if (g_str_equal (state, "shutoff") || g_str_equal (state, "crashed") || g_str_equal (state, "saved"))
    return NULL;
  if (g_str_equal (state, "starting"))
    return _("The machine is starting");
  if (g_str_equal (state, "paused"))
    return _("The machine is paused: resume it instead");
  return _("The machine is already running");
}

static const char *
not_running_reason (const char *state)
{
  if (g_str_equal (state, "starting"))
    return _("The machine is still starting");
  return _("The machine is not running");
}

/* Why @action cannot run in @state (the engine's rules), or NULL. */
static const char *
action_blocked (guint       action,
                const char *state)
{
  gboolean running = g_str_equal (state, "running") || g_str_equal (state, "shutting-down");
  gboolean paused = g_str_equal (state, "paused");

  switch (action)
    {
    case ACTION_START:
      return start_blocked (state);
    case ACTION_SHUTDOWN:
    case ACTION_REBOOT:
      if (paused)
        return _("The machine is paused: resume it first, or force it off");
      return running ? NULL : not_running_reason (state);
    case ACTION_RESET:
      return running || paused ? NULL : not_running_reason (state);
    case ACTION_PAUSE:
      if (paused)
        return _("The machine is already paused");
      return running ? NULL : not_running_reason (state);
    case ACTION_RESUME:
      return paused ? NULL : _("The machine is not paused");
    case ACTION_FORCE_OFF:
      return running || paused || g_str_equal (state, "starting") ? NULL : _("The machine is not running");
    default:
      g_assert_not_reached ();
    }
}

static int
find_action (const char *name)
{
  for (guint i = 0; i < N_ACTIONS; i++)
    if (g_strcmp0 (lifecycle_actions[i].name, name) == 0)
      return i;
  return -1;
}

/* Tooltips of the buttons under @widget: what the action does, or why it
 * cannot be done now. Only one of Pause and Resume shows. */
static void
sync_buttons (GtkWidget   *widget,
              const char **tooltips,
              gboolean     paused)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      int action = GTK_IS_BUTTON (child)
                   ? find_action (gtk_actionable_get_action_name (GTK_ACTIONABLE (child)))
                   : -1;

      if (action < 0)
        {
          sync_buttons (child, tooltips, paused);
          continue;
        }
      gtk_widget_set_tooltip_text (child, tooltips[action]);
      if (action == ACTION_PAUSE)
        gtk_widget_set_visible (child, !paused);
      else if (action == ACTION_RESUME)
        gtk_widget_set_visible (child, paused);
    }
}

static void
update_actions (HangarMachinePage *self)
{
  const char *state = machine_state (self);
  const char *tooltips[N_ACTIONS];
  gboolean can_start = FALSE;

  for (guint i = 0; i < N_ACTIONS; i++)
    {
      const char *reason;

      if (self->machine == NULL)
        reason = _("No machine is selected");
      else if (self->lifecycle_busy)
        reason = _("Waiting for the engine to finish the last request");
      else
        reason = action_blocked (i, state);

      gtk_widget_action_set_enabled (GTK_WIDGET (self), lifecycle_actions[i].name, reason == NULL);
      tooltips[i] = reason != NULL ? reason : _(lifecycle_actions[i].tooltip);
      /* A managed save: Start resumes the guest where it was. */
      if (i == ACTION_START && reason == NULL && g_str_equal (state, "saved"))
        tooltips[i] = _("Resume the machine from its saved state");
      if (i == ACTION_START)
        can_start = reason == NULL;
    }

  /* Beginning the installation is starting it. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "machine.begin-install", can_start);
  sync_buttons (self->toolbar, tooltips, g_str_equal (state, "paused"));
  sync_buttons (self->compact_toolbar, tooltips, g_str_equal (state, "paused"));
}

typedef struct {
  HangarMachinePage     *self;
  HangarMachine         *machine;
  const LifecycleAction *action;
} LifecycleCall;

static LifecycleCall *
lifecycle_call_new (HangarMachinePage     *self,
                    const LifecycleAction *action)
{
  LifecycleCall *call = g_new0 (LifecycleCall, 1);

  call->self = g_object_ref (self);
  call->machine = g_object_ref (self->machine);
  call->action = action;
  return call;
}

static void
lifecycle_call_free (LifecycleCall *call)
{
  g_object_unref (call->self);
  g_object_unref (call->machine);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LifecycleCall, lifecycle_call_free)

static void
lifecycle_call_notify (gpointer  data,
                       GClosure *closure)
{
  lifecycle_call_free (data);
}

static void
on_lifecycle_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(LifecycleCall) call = user_data;
  HangarMachinePage *self = call->self;
  g_autoptr(GError) error = NULL;
  gboolean done = call->action->finish (HANGAR_MACHINE (source), result, &error);

  if ((!done && is_cancelled (error)) || self->machine != call->machine)
    return;

  self->lifecycle_busy = FALSE;
  update_actions (self);
  if (!done)
    {
      g_autofree char *what = g_strdup_printf (_(call->action->failure),
                                               hangar_machine_get_name (call->machine));

      emit_error (self, what, error);
    }
}

static void
run_lifecycle_action (HangarMachinePage     *self,
                      const LifecycleAction *action)
{
  self->lifecycle_busy = TRUE;
  update_actions (self);
  action->call (self->machine, self->cancellable, on_lifecycle_done,
                lifecycle_call_new (self, action));
}

static void
on_confirm_response (AdwMessageDialog *dialog,
                     const char       *response,
                     gpointer          user_data)
{
  LifecycleCall *call = user_data;

  if (g_str_equal (response, "confirm") && call->self->machine == call->machine &&
      !call->self->lifecycle_busy)
    run_lifecycle_action (call->self, call->action);
}

static void
confirm_lifecycle_action (HangarMachinePage     *self,
                          const LifecycleAction *action)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *heading = g_strdup_printf (_(action->confirm_heading), machine_name (self));
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   heading, _(action->confirm_body));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "confirm", _(action->confirm_label),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "confirm",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_confirm_response),
                         lifecycle_call_new (self, action),
                         lifecycle_call_notify, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
lifecycle_action_activated (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  HangarMachinePage *self = HANGAR_MACHINE_PAGE (widget);

  if (self->machine == NULL || self->lifecycle_busy)
    return;

  for (guint i = 0; i < N_ACTIONS; i++)
    {
      const LifecycleAction *action = &lifecycle_actions[i];

      if (!g_str_equal (action->name, action_name))
        continue;
      if (action_blocked (i, machine_state (self)) != NULL)
        return;
      if (action->confirm_heading != NULL)
        confirm_lifecycle_action (self, action);
      else
        run_lifecycle_action (self, action);
      return;
    }
}

/* ---- Header and overview -------------------------------------------------- */

static void
refresh_header (HangarMachinePage *self)
{
  const char *title = self->machine != NULL ? hangar_machine_get_title (self->machine) : NULL;
  const char *state = machine_state (self);
  static const char * const state_classes[] = {
    "shutoff", "starting", "running", "paused", "shutting-down", "crashed", "saved"
  };

  if (title != NULL && title[0] != '\0')
    {
      gtk_label_set_label (self->title_label, title);
      gtk_label_set_label (self->subtitle_label, machine_name (self));
      gtk_widget_set_visible (GTK_WIDGET (self->subtitle_label), TRUE);
    }
  else
    {
      gtk_label_set_label (self->title_label, machine_name (self));
      gtk_widget_set_visible (GTK_WIDGET (self->subtitle_label), FALSE);
    }

  gtk_label_set_label (self->state_badge, hangar_machine_state_to_label (state));
  gtk_widget_set_visible (GTK_WIDGET (self->state_badge), self->machine != NULL);
  for (guint i = 0; i < G_N_ELEMENTS (state_classes); i++)
    {
      if (g_str_equal (state_classes[i], state))
        gtk_widget_add_css_class (GTK_WIDGET (self->state_badge), state_classes[i]);
      else
        gtk_widget_remove_css_class (GTK_WIDGET (self->state_badge), state_classes[i]);
    }
}

static void
refresh_uptime (HangarMachinePage *self)
{
  guint64 start = self->machine != NULL ? hangar_machine_get_start_time (self->machine) : 0;
  guint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *text = NULL;

  if (start == 0 || !machine_is_active (self))
    {
      gtk_label_set_label (self->uptime_value, _("Not running"));
      return;
    }
  text = format_uptime (now > start ? now - start : 0);
  gtk_label_set_label (self->uptime_value, text);
}

static void
refresh_accelerator (HangarMachinePage *self)
{
  const char *accelerator = self->machine != NULL ? hangar_machine_get_accelerator (self->machine) : NULL;

  if (g_strcmp0 (accelerator, "kvm") == 0)
    {
      gtk_label_set_label (self->accelerator_value, "KVM");
      adw_action_row_set_subtitle (self->accelerator_row, _("Hardware virtualization"));
    }
  else if (g_strcmp0 (accelerator, "tcg") == 0)
    {
      gtk_label_set_label (self->accelerator_value, "TCG");
      adw_action_row_set_subtitle (self->accelerator_row, _("Software emulation, slow"));
    }
  else
    {
      gtk_label_set_label (self->accelerator_value,
                           accelerator != NULL && accelerator[0] != '\0' ? accelerator : _("Not running"));
      adw_action_row_set_subtitle (self->accelerator_row, "");
    }
}

static void
refresh_overview (HangarMachinePage *self)
{
  const char *reason = self->machine != NULL ? hangar_machine_get_state_reason (self->machine) : NULL;
  g_autofree char *vcpus = NULL;
  g_autofree char *memory = NULL;

  gtk_label_set_label (self->state_value, hangar_machine_state_to_label (machine_state (self)));
  adw_action_row_set_subtitle (self->state_row, reason != NULL ? reason : "");
  refresh_uptime (self);
  refresh_accelerator (self);

  if (self->machine != NULL)
    {
      vcpus = g_strdup_printf ("%u", hangar_machine_get_vcpus (self->machine));
      memory = format_memory (hangar_machine_get_memory_kib (self->machine));
    }
  gtk_label_set_label (self->vcpus_value, vcpus != NULL ? vcpus : "");
  gtk_label_set_label (self->memory_value, memory != NULL ? memory : "");

  gtk_widget_set_visible (self->usage_placeholder, !machine_is_active (self));
  gtk_widget_set_visible (self->graph_grid, machine_is_active (self));
}

/* Where definition changes are said to take effect. */
static void
refresh_apply_notes (HangarMachinePage *self)
{
  const char *note = machine_is_active (self) ? _("Applies at next boot") : NULL;

  adw_preferences_group_set_description (self->resources_group, note);
  /* A running machine takes virtio disks, network interfaces and CD-ROM
   * media at once (Machine.AttachDevice and the like). */
  if (state_is (self, "running"))
    {
      adw_preferences_group_set_description (self->disks_group,
                                             _("Virtio disks are added and removed at once, and CD-ROM media "
                                               "change at once; other disk changes apply at next boot"));
      adw_preferences_group_set_description (self->nics_group,
                                             _("Network interfaces are added and removed at once"));
    }
  else
    {
      adw_preferences_group_set_description (self->disks_group, note);
      adw_preferences_group_set_description (self->nics_group, note);
    }
  gtk_label_set_label (self->xml_hint,
                       machine_is_active (self)
                       ? _("The machine runs: a new definition applies at next boot")
                       : _("The definition as the engine stores it (libvirt domain XML)"));
}

/* The "Begin Installation" bar, for a machine defined to be customized
 * first; gone once it runs. */
static void
refresh_install_bar (HangarMachinePage *self)
{
  gboolean customizing = self->machine != NULL &&
                         g_object_get_data (G_OBJECT (self->machine), CUSTOMIZING_KEY) != NULL;

  if (customizing && !state_is (self, "shutoff") && !state_is (self, "crashed"))
    {
      g_object_set_data (G_OBJECT (self->machine), CUSTOMIZING_KEY, NULL);
      customizing = FALSE;
    }
  gtk_revealer_set_reveal_child (self->install_revealer, customizing);
}

static void
refresh_state (HangarMachinePage *self)
{
  refresh_install_bar (self);
  refresh_header (self);
  refresh_display (self);
  refresh_overview (self);
  refresh_apply_notes (self);
  update_actions (self);
  update_polling (self);
}

/* ---- Interfaces ----------------------------------------------------------- */

static char *
describe_addresses (GVariant *interfaces,
                    gboolean  active)
{
  g_autoptr(GPtrArray) addresses = g_ptr_array_new_with_free_func (g_free);
  gsize n = g_variant_n_children (interfaces);
  gboolean all_user = n > 0;

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (interfaces, i);
      const char *ip = NULL;
      const char *type = NULL;

      if (g_variant_lookup (entry, "ip", "&s", &ip) && ip[0] != '\0')
        g_ptr_array_add (addresses, g_strdup (ip));
      if (!g_variant_lookup (entry, "type", "&s", &type) || !g_str_equal (type, "user"))
        all_user = FALSE;
    }

  if (addresses->len > 0)
    {
      g_ptr_array_add (addresses, NULL);
      return g_strjoinv ("\n", (char **) addresses->pdata);
    }
  if (n == 0)
    return g_strdup (_("No network interfaces"));
  if (all_user)
    return g_strdup (_("Private to user-mode networking"));
  return g_strdup (active ? _("None known yet") : _("Known while the machine runs"));
}

static void
on_interfaces_ready (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(HangarMachinePage) self = user_data;
  g_autoptr(GVariant) interfaces = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!hangar_machine_call_get_interfaces_finish (HANGAR_MACHINE (source), &interfaces, result, &error))
    {
      if (!is_cancelled (error))
        g_debug ("Cannot list the interfaces of %s: %s", machine_name (self), error->message);
      return;
    }
  text = describe_addresses (interfaces, machine_is_active (self));
  gtk_label_set_label (self->ip_value, text);
}

static void
fetch_interfaces (HangarMachinePage *self)
{
  if (self->machine == NULL)
    return;
  hangar_machine_call_get_interfaces (self->machine, self->cancellable,
                                      on_interfaces_ready, g_object_ref (self));
}

/* ---- Usage graphs --------------------------------------------------------- */

static void
clear_graphs (HangarMachinePage *self)
{
  hangar_usage_graph_clear (self->cpu_graph);
  hangar_usage_graph_clear (self->memory_graph);
  hangar_usage_graph_clear (self->disk_graph);
  hangar_usage_graph_clear (self->net_graph);
  gtk_label_set_label (self->cpu_label, "");
  gtk_label_set_label (self->rss_label, "");
  gtk_label_set_label (self->disk_label, "");
  gtk_label_set_label (self->net_label, "");
  gtk_widget_set_visible (self->net_card, FALSE);
  self->have_counters = FALSE;
  hangar_stats_sample_reset (&self->cpu_sample);
}

static guint64
lookup_counter (GVariant   *stats,
                const char *key)
{
  guint64 value = 0;

  g_variant_lookup (stats, key, "t", &value);
  return value;
}

/* Bytes a second between two readings of a counter; 0 when it went back. */
static double
counter_rate (guint64 previous,
              guint64 current,
              double  seconds)
{
  return current >= previous ? (current - previous) / seconds : 0;
}

static void
add_cpu_and_memory (HangarMachinePage *self,
                    GVariant          *stats,
                    gint64             time_us)
{
  double cpu = 0;
  double rss = lookup_counter (stats, "memory-rss-kib") * (double) KIB;
  guint64 memory_kib = self->machine != NULL ? hangar_machine_get_memory_kib (self->machine) : 0;
  g_autofree char *cpu_text = NULL;
  g_autofree char *rss_text = g_format_size_full ((guint64) rss, G_FORMAT_SIZE_IEC_UNITS);

  /* From the page's own samples: the engine's "cpu-percent" counts from
   * anyone's previous GetStats, and the list's row asks too. */
  if (hangar_stats_sample_cpu_percent (&self->cpu_sample, stats, &cpu))
    {
      hangar_usage_graph_add_sample (self->cpu_graph, time_us, &cpu);
      /* TRANSLATORS: CPU use in percent, e.g. "12 %" */
      cpu_text = g_strdup_printf (_("%.0f %%"), cpu);
      gtk_label_set_label (self->cpu_label, cpu_text);
    }

  if (memory_kib > 0)
    hangar_usage_graph_set_scale_floor (self->memory_graph, memory_kib * (double) KIB);
  hangar_usage_graph_add_sample (self->memory_graph, time_us, &rss);
  gtk_label_set_label (self->rss_label, rss_text);
}

static void
add_pair (HangarUsageGraph *graph,
          GtkLabel         *label,
          const char       *format,
          gint64            time_us,
          double            first,
          double            second)
{
  double values[2] = { first, second };
  g_autofree char *first_text = format_rate (first);
  g_autofree char *second_text = format_rate (second);
  g_autofree char *text = g_strdup_printf (format, first_text, second_text);

  hangar_usage_graph_add_sample (graph, time_us, values);
  gtk_label_set_label (label, text);
}

static void
add_io_rates (HangarMachinePage *self,
              GVariant          *stats,
              gint64             time_us)
{
  guint64 block_read = lookup_counter (stats, "block-read-bytes");
  guint64 block_write = lookup_counter (stats, "block-write-bytes");
  guint64 net_rx = 0;
  guint64 net_tx = 0;
  gboolean has_net = g_variant_lookup (stats, "net-rx-bytes", "t", &net_rx) &&
                     g_variant_lookup (stats, "net-tx-bytes", "t", &net_tx);

  if (self->have_counters && time_us > self->last_time_us)
    {
      double seconds = (time_us - self->last_time_us) / (double) G_USEC_PER_SEC;

      /* TRANSLATORS: disk rates, e.g. "Read 1.2 MB/s · Write 0 bytes/s" */
      add_pair (self->disk_graph, self->disk_label, _("Read %s · Write %s"), time_us,
                counter_rate (self->last_block_read, block_read, seconds),
                counter_rate (self->last_block_write, block_write, seconds));
      if (has_net && self->last_has_net)
        /* TRANSLATORS: network rates, e.g. "In 1.2 MB/s · Out 10 kB/s" */
        add_pair (self->net_graph, self->net_label, _("In %s · Out %s"), time_us,
                  counter_rate (self->last_net_rx, net_rx, seconds),
                  counter_rate (self->last_net_tx, net_tx, seconds));
    }

  gtk_widget_set_visible (self->net_card, has_net);
  self->have_counters = TRUE;
  self->last_time_us = time_us;
  self->last_block_read = block_read;
  self->last_block_write = block_write;
  self->last_net_rx = net_rx;
  self->last_net_tx = net_tx;
  self->last_has_net = has_net;
}

static void
apply_stats (HangarMachinePage *self,
             GVariant          *stats)
{
  guint64 start_time = hangar_machine_get_start_time (self->machine);
  gint64 time_us;

  if (!g_variant_lookup (stats, "timestamp-us", "x", &time_us))
    time_us = g_get_monotonic_time ();

  /* A new run starts new graphs. */
  if (start_time != self->graphs_start_time)
    {
      clear_graphs (self);
      self->graphs_start_time = start_time;
    }

  add_cpu_and_memory (self, stats, time_us);
  add_io_rates (self, stats, time_us);
}

static void
on_stats_ready (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(HangarMachinePage) self = user_data;
  g_autoptr(GVariant) stats = NULL;
  g_autoptr(GError) error = NULL;

  if (!hangar_machine_call_get_stats_finish (HANGAR_MACHINE (source), &stats, result, &error))
    {
      if (is_cancelled (error))
        return;
      g_debug ("Cannot read the usage of %s: %s", machine_name (self), error->message);
    }
  self->stats_pending = FALSE;
  if (stats != NULL && machine_is_active (self))
    apply_stats (self, stats);
}

static void
poll_stats (HangarMachinePage *self)
{
  if (self->machine == NULL || self->stats_pending)
    return;

  self->stats_pending = TRUE;
  hangar_machine_call_get_stats (self->machine, self->cancellable, on_stats_ready, g_object_ref (self));

  /* Addresses come from DHCP some time after the start. */
  if (self->stats_count++ % INTERFACES_EVERY_N_STATS == 0)
    fetch_interfaces (self);
}

static gboolean
on_stats_tick (gpointer user_data)
{
  poll_stats (HANGAR_MACHINE_PAGE (user_data));
  return G_SOURCE_CONTINUE;
}

static gboolean
on_clock_tick (gpointer user_data)
{
  refresh_uptime (HANGAR_MACHINE_PAGE (user_data));
  return G_SOURCE_CONTINUE;
}

/* ---- Hardware ------------------------------------------------------------- */

static void
clear_hardware_rows (HangarMachinePage *self)
{
  for (guint i = 0; i < self->hardware_rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->hardware_rows, i);
      GtkWidget *group = gtk_widget_get_ancestor (row, ADW_TYPE_PREFERENCES_GROUP);

      if (group != NULL)
        adw_preferences_group_remove (ADW_PREFERENCES_GROUP (group), row);
    }
  g_ptr_array_set_size (self->hardware_rows, 0);
}

static AdwActionRow *
add_row (HangarMachinePage   *self,
         AdwPreferencesGroup *group,
         const char          *title,
         const char          *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  /* Paths and names are shown as they are, not as markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_preferences_group_add (group, row);
  g_ptr_array_add (self->hardware_rows, row);
  return ADW_ACTION_ROW (row);
}

static void
add_suffix_label (AdwActionRow *row,
                  const char   *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_add_css_class (label, "dim-label");
  adw_action_row_add_suffix (row, label);
}

static const char *
boot_device_label (const char *dev)
{
  if (g_str_equal (dev, "hd"))
    return _("Hard disk");
  if (g_str_equal (dev, "cdrom"))
    return _("CD-ROM");
  if (g_str_equal (dev, "network"))
    return _("Network (PXE)");
  return dev;
}

static char *
disk_title (const HangarDiskInfo *disk)
{
  const char *kind = g_str_equal (disk->device, "cdrom") ? _("CD-ROM") : _("Disk");

  /* TRANSLATORS: a disk's target name and kind, e.g. "vda · Disk" */
  return g_strdup_printf (_("%s · %s"), disk->target, kind);
}

static char *
nic_title (const HangarNicInfo *nic)
{
  if (g_str_equal (nic->type, "user"))
    return g_strdup (_("User-mode networking"));
  if (g_str_equal (nic->type, "network"))
    return g_strdup_printf (_("Virtual network “%s”"), nic->source);
  if (g_str_equal (nic->type, "bridge"))
    return g_strdup_printf (_("Host bridge “%s”"), nic->source);
  return g_strdup (nic->type);
}

typedef struct {
  guint       order;
  char       *label;
} BootEntry;

static int
compare_boot_entries (gconstpointer a,
                      gconstpointer b)
{
  const BootEntry *x = a;
  const BootEntry *y = b;

  return (x->order > y->order) - (x->order < y->order);
}

static void
boot_entry_clear (BootEntry *entry)
{
  g_free (entry->label);
}

/* Per-device <boot order> wins over <os><boot dev>, as in libvirt. */
static GArray *
boot_entries (const HangarMachineDef *def)
{
  GArray *entries = g_array_new (FALSE, FALSE, sizeof (BootEntry));

  g_array_set_clear_func (entries, (GDestroyNotify) boot_entry_clear);
  for (guint i = 0; i < def->disks->len; i++)
    {
      const HangarDiskInfo *disk = g_ptr_array_index (def->disks, i);
      BootEntry entry = { disk->boot_order, NULL };

      if (disk->boot_order == 0)
        continue;
      entry.label = disk_title (disk);
      g_array_append_val (entries, entry);
    }
  for (guint i = 0; i < def->nics->len; i++)
    {
      const HangarNicInfo *nic = g_ptr_array_index (def->nics, i);
      BootEntry entry = { nic->boot_order, NULL };

      if (nic->boot_order == 0)
        continue;
      entry.label = nic_title (nic);
      g_array_append_val (entries, entry);
    }
  g_array_sort (entries, compare_boot_entries);

  if (entries->len == 0)
    for (guint i = 0; i < def->boot_devs->len; i++)
      {
        BootEntry entry = { i + 1, g_strdup (boot_device_label (g_ptr_array_index (def->boot_devs, i))) };

        g_array_append_val (entries, entry);
      }
  return entries;
}

static void
fill_boot_group (HangarMachinePage *self)
{
  g_autoptr(GArray) entries = boot_entries (self->def);

  if (self->def->kernel != NULL)
    add_row (self, self->boot_group, _("Direct kernel boot"), self->def->kernel);

  for (guint i = 0; i < entries->len; i++)
    {
      const BootEntry *entry = &g_array_index (entries, BootEntry, i);
      AdwActionRow *row = add_row (self, self->boot_group, entry->label, NULL);
      g_autofree char *position = g_strdup_printf ("%u", i + 1);
      GtkWidget *number = gtk_label_new (position);

      gtk_widget_add_css_class (number, "dim-label");
      gtk_widget_add_css_class (number, "numeric");
      adw_action_row_add_prefix (row, number);
    }

  if (self->def->kernel == NULL && entries->len == 0)
    add_row (self, self->boot_group, boot_device_label ("hd"), _("The default"));
}

static void on_remove_device_clicked (GtkButton *button, HangarMachinePage *self);

static void
add_remove_button (HangarMachinePage *self,
                   AdwActionRow      *row,
                   const char        *element,
                   guint              index,
                   const char        *tooltip)
{
  GtkWidget *button = gtk_button_new_from_icon_name ("user-trash-symbolic");

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  gtk_widget_add_css_class (button, "flat");
  g_object_set_data (G_OBJECT (button), "hangar-element", (gpointer) element);
  g_object_set_data (G_OBJECT (button), "hangar-index", GUINT_TO_POINTER (index));
  g_signal_connect (button, "clicked", G_CALLBACK (on_remove_device_clicked), self);
  adw_action_row_add_suffix (row, button);
}

/* The Change Medium menu of CD-ROM drive @target: the install media of the
 * engine's active pools, and an image file. */
static GMenuModel *
media_menu (HangarMachinePage *self,
            const char        *target)
{
  GMenu *menu = g_menu_new ();
  g_autoptr(GMenu) volumes = g_menu_new ();
  g_autoptr(GMenu) files = g_menu_new ();
  g_autoptr(GMenuItem) file_item = g_menu_item_new (_("Image File…"), NULL);
  GDBusObjectManager *manager = object_manager (self);
  g_autolist(GDBusObject) objects = manager != NULL ? g_dbus_object_manager_get_objects (manager) : NULL;

  for (GList *l = objects; l != NULL; l = l->next)
    {
      HangarVolume *volume = hangar_object_peek_volume (HANGAR_OBJECT (l->data));
      g_autoptr(GDBusObject) pool_object = NULL;
      HangarStoragePool *pool;
      g_autofree char *label = NULL;
      g_autoptr(GMenuItem) item = NULL;

      if (volume == NULL || !hangar_volume_get_install_media (volume))
        continue;
      pool_object = g_dbus_object_manager_get_object (manager, hangar_volume_get_pool (volume));
      pool = pool_object != NULL ? hangar_object_peek_storage_pool (HANGAR_OBJECT (pool_object)) : NULL;
      if (pool == NULL || g_strcmp0 (hangar_storage_pool_get_state (pool), "active") != 0)
        continue;
      /* TRANSLATORS: a pool's name and one of its volumes, e.g. "default/debian.iso" */
      label = g_strdup_printf (_("%s/%s"), hangar_storage_pool_get_name (pool), hangar_volume_get_name (volume));
      item = g_menu_item_new (label, NULL);
      g_menu_item_set_action_and_target_value (item, "hardware.insert-volume",
                                               g_variant_new ("(sss)", target,
                                                              hangar_storage_pool_get_name (pool),
                                                              hangar_volume_get_name (volume)));
      g_menu_append_item (volumes, item);
    }
  g_menu_item_set_action_and_target_value (file_item, "hardware.insert-file", g_variant_new_string (target));
  g_menu_append_item (files, file_item);
  g_menu_append_section (menu, NULL, G_MENU_MODEL (volumes));
  g_menu_append_section (menu, NULL, G_MENU_MODEL (files));
  return G_MENU_MODEL (menu);
}

/* Eject and Change Medium for a CD-ROM drive. */
static void
add_media_buttons (HangarMachinePage    *self,
                   AdwActionRow         *row,
                   const HangarDiskInfo *disk)
{
  g_autofree char *change_tooltip = g_strdup_printf (_("Put another medium in %s"), disk->target);
  g_autoptr(GMenuModel) menu = media_menu (self, disk->target);
  GtkWidget *change = gtk_menu_button_new ();

  if (disk->source[0] != '\0')
    {
      g_autofree char *tooltip = g_strdup_printf (_("Eject the medium from %s"), disk->target);
      GtkWidget *eject = gtk_button_new_from_icon_name ("media-eject-symbolic");

      gtk_widget_set_valign (eject, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (eject, "flat");
      gtk_widget_set_tooltip_text (eject, tooltip);
      gtk_accessible_update_property (GTK_ACCESSIBLE (eject), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (eject), "hardware.eject");
      gtk_actionable_set_action_target_value (GTK_ACTIONABLE (eject), g_variant_new_string (disk->target));
      adw_action_row_add_suffix (row, eject);
    }

  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (change), "media-optical-symbolic");
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (change), menu);
  gtk_widget_set_valign (change, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (change, "flat");
  gtk_widget_set_tooltip_text (change, change_tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (change), GTK_ACCESSIBLE_PROPERTY_LABEL, change_tooltip, -1);
  adw_action_row_add_suffix (row, change);
}

static void
fill_disks_group (HangarMachinePage *self)
{
  GPtrArray *disks = self->def->disks;

  for (guint i = 0; i < disks->len; i++)
    {
      const HangarDiskInfo *disk = g_ptr_array_index (disks, i);
      g_autofree char *title = disk_title (disk);
      g_autoptr(GPtrArray) details = g_ptr_array_new ();
      g_autofree char *detail_text = NULL;
      g_autofree char *tooltip = g_strdup_printf (_("Remove %s (its image file is kept)"), disk->target);
      AdwActionRow *row;

      row = add_row (self, self->disks_group, title,
                     disk->source[0] != '\0' ? disk->source : _("No medium"));
      if (disk->format[0] != '\0')
        g_ptr_array_add (details, disk->format);
      if (disk->bus[0] != '\0')
        g_ptr_array_add (details, disk->bus);
      if (disk->readonly)
        g_ptr_array_add (details, (gpointer) _("read-only"));
      g_ptr_array_add (details, NULL);
      detail_text = g_strjoinv (" · ", (char **) details->pdata);
      add_suffix_label (row, detail_text);
      if (g_str_equal (disk->device, "cdrom"))
        add_media_buttons (self, row, disk);
      add_remove_button (self, row, "disk", i, tooltip);
    }
  if (disks->len == 0)
    add_row (self, self->disks_group, _("No disks"), NULL);
}

static void
fill_nics_group (HangarMachinePage *self)
{
  GPtrArray *nics = self->def->nics;

  for (guint i = 0; i < nics->len; i++)
    {
      const HangarNicInfo *nic = g_ptr_array_index (nics, i);
      g_autofree char *title = nic_title (nic);
      g_autofree char *mac = nic->mac[0] != '\0'
                             ? g_strdup_printf (_("MAC address %s"), nic->mac)
                             : g_strdup (_("MAC address chosen by the engine"));
      AdwActionRow *row = add_row (self, self->nics_group, title, mac);

      if (nic->model[0] != '\0')
        add_suffix_label (row, nic->model);
      add_remove_button (self, row, "interface", i, _("Remove this network interface"));
    }
  if (nics->len == 0)
    add_row (self, self->nics_group, _("No network interfaces"), NULL);
}

static guint64
spin_memory_mib (HangarMachinePage *self)
{
  return (guint64) gtk_spin_button_get_value_as_int (self->memory_spin);
}

static guint64
def_memory_mib (const HangarMachineDef *def)
{
  return (def->memory_kib + KIB - 1) / KIB;
}

static void
sync_resource_buttons (HangarMachinePage *self)
{
  gboolean can_change = self->def != NULL && self->resources_dirty && !definition_busy (self);

  gtk_widget_set_sensitive (self->resources_apply_button, can_change);
  gtk_widget_set_sensitive (self->resources_revert_button, can_change);
  gtk_widget_set_visible (self->resources_apply_button, self->resources_dirty);
  gtk_widget_set_visible (self->resources_revert_button, self->resources_dirty);
}

static void
reset_resource_spins (HangarMachinePage *self)
{
  self->updating_spins = TRUE;
  if (self->def != NULL)
    {
      gtk_spin_button_set_value (self->memory_spin, def_memory_mib (self->def));
      gtk_spin_button_set_value (self->vcpus_spin, self->def->vcpus);
    }
  self->updating_spins = FALSE;
  self->resources_dirty = FALSE;
  sync_resource_buttons (self);
}

static void
refresh_hardware (HangarMachinePage *self)
{
  clear_hardware_rows (self);
  gtk_widget_set_sensitive (self->hardware_box, self->def != NULL && !definition_busy (self));
  if (self->def == NULL)
    return;

  if (!self->resources_dirty)
    reset_resource_spins (self);
  fill_boot_group (self);
  fill_disks_group (self);
  fill_nics_group (self);
}

static void
on_resources_changed (HangarMachinePage *self)
{
  if (self->updating_spins || self->def == NULL)
    return;

  self->resources_dirty = spin_memory_mib (self) != def_memory_mib (self->def) ||
                          (guint) gtk_spin_button_get_value_as_int (self->vcpus_spin) != self->def->vcpus;
  sync_resource_buttons (self);
}

static void
on_resources_revert_clicked (HangarMachinePage *self)
{
  reset_resource_spins (self);
}

/* ---- Changing the definition ---------------------------------------------- */

typedef struct {
  HangarMachinePage *self;
  HangarMachine     *machine;
  UpdateOrigin       origin;
  char              *failure;
} UpdateCall;

static void
update_call_free (UpdateCall *call)
{
  g_object_unref (call->self);
  g_object_unref (call->machine);
  g_free (call->failure);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UpdateCall, update_call_free)

static void set_xml_editing  (HangarMachinePage *self,
                              gboolean           editing);
static void show_xml_error   (HangarMachinePage *self,
                              const GError      *error);

static void
sync_definition_sensitivity (HangarMachinePage *self)
{
  gtk_widget_set_sensitive (self->hardware_box, self->def != NULL && !definition_busy (self));
  gtk_widget_set_sensitive (self->xml_apply_button, !definition_busy (self));
  gtk_widget_set_sensitive (self->xml_edit_button, self->stored_xml != NULL);
  sync_resource_buttons (self);
}

static void
on_definition_updated (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(UpdateCall) call = user_data;
  HangarMachinePage *self = call->self;
  g_autoptr(GError) error = NULL;

  if (!hangar_machine_call_update_xml_finish (HANGAR_MACHINE (source), result, &error) &&
      is_cancelled (error))
    return;

  self->update_pending = FALSE;
  if (error == NULL)
    {
      /* The spins show what is now defined; the new definition follows. */
      if (call->origin == UPDATE_FROM_XML_VIEW)
        set_xml_editing (self, FALSE);
      else
        self->resources_dirty = FALSE;
      self->rereading = TRUE;
      fetch_definition (self);
    }
  sync_definition_sensitivity (self);

  if (error != NULL && call->origin == UPDATE_FROM_XML_VIEW)
    show_xml_error (self, error);
  else if (error != NULL)
    emit_error (self, call->failure, error);
}

/* Sends @xml to the engine as the machine's new definition. */
static void
update_definition (HangarMachinePage *self,
                   const char        *xml,
                   UpdateOrigin       origin,
                   char              *failure)
{
  UpdateCall *call = g_new0 (UpdateCall, 1);

  call->self = g_object_ref (self);
  call->machine = g_object_ref (self->machine);
  call->origin = origin;
  call->failure = failure;

  self->update_pending = TRUE;
  sync_definition_sensitivity (self);
  hangar_machine_call_update_xml (self->machine, xml, self->cancellable, on_definition_updated, call);
}

static void
on_resources_apply_clicked (HangarMachinePage *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  guint64 memory_kib;
  guint vcpus;

  if (self->def == NULL || self->stored_xml == NULL || definition_busy (self))
    return;

  /* An unchanged spin keeps the exact amount, which may not be whole MiB. */
  memory_kib = spin_memory_mib (self) == def_memory_mib (self->def)
               ? self->def->memory_kib
               : spin_memory_mib (self) * KIB;
  vcpus = (guint) gtk_spin_button_get_value_as_int (self->vcpus_spin);

  xml = hangar_machine_def_set_resources (self->stored_xml, memory_kib, vcpus, &error);
  if (xml == NULL)
    {
      emit_error (self, _("Could not change the definition"), error);
      return;
    }
  update_definition (self, xml, UPDATE_FROM_HARDWARE,
                     g_strdup_printf (_("Could not change the memory and vCPUs of “%s”"),
                                      machine_name (self)));
}

/* ---- Live changes (AttachDevice, DetachDevice, UpdateDevice) -------------- */

/* Live changes go to a machine that runs; paused or shutting down, a guest
 * cannot answer a hot-unplug, and the definition alone changes. */
static gboolean
takes_live_changes (HangarMachinePage *self)
{
  return state_is (self, "running");
}

/* What QEMU can plug in and out of a running PC: virtio disks and network
 * interfaces. */
static gboolean
pluggable_disk (const HangarDiskInfo *disk)
{
  return g_str_equal (disk->device, "disk") && g_str_equal (disk->bus, "virtio");
}

static void
show_hardware_notice (HangarMachinePage *self,
                      const char        *text)
{
  gtk_label_set_label (self->hardware_notice_label, text != NULL ? text : "");
  gtk_revealer_set_reveal_child (self->hardware_notice_revealer, text != NULL);
}

static void
on_hardware_notice_close (HangarMachinePage *self)
{
  show_hardware_notice (self, NULL);
}

typedef struct {
  HangarMachinePage *self;
  HangarMachine     *machine;
  const char        *method;     /* "AttachDevice", "DetachDevice" or "UpdateDevice" */
  char              *device_xml;
  gboolean           live;       /* asked for live and config, else config */
  char              *done;       /* what was done, for the notice: "Disk vdb added" */
  char              *failure;    /* what failed, for the error */
} DeviceChange;

static void
device_change_free (DeviceChange *change)
{
  g_object_unref (change->self);
  g_object_unref (change->machine);
  g_free (change->device_xml);
  g_free (change->done);
  g_free (change->failure);
  g_free (change);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DeviceChange, device_change_free)

static void send_device_change (DeviceChange *change);

static gboolean
result_flag (GVariant   *result,
             const char *key)
{
  gboolean value = FALSE;

  g_variant_lookup (result, key, "b", &value);
  return value;
}

static void
on_device_changed (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(DeviceChange) change = user_data;
  HangarMachinePage *self = change->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);
  g_autoptr(GVariant) where = NULL;
  g_autofree char *notice = NULL;

  if (reply == NULL && is_cancelled (error))
    return;

  /* The running machine does not have the device (it was added for the
   * next boot only), or cannot change it live: the definition alone. */
  if (reply == NULL && change->live && self->machine == change->machine &&
      (g_error_matches (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND) ||
       g_error_matches (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED)))
    {
      g_debug ("%s live: %s; in the definition only", change->method, error->message);
      change->live = FALSE;
      send_device_change (g_steal_pointer (&change));
      return;
    }

  self->update_pending = FALSE;
  if (reply == NULL)
    {
      sync_definition_sensitivity (self);
      emit_error (self, change->failure, error);
      return;
    }

  g_variant_get (reply, "(@a{sv})", &where);
  if (result_flag (where, "live"))
    /* TRANSLATORS: what was done, e.g. "Disk vdb added: applied now" */
    notice = g_strdup_printf (_("%s: applied now"), change->done);
  else
    /* TRANSLATORS: what was done, e.g. "Disk sdb added: takes effect at next boot" */
    notice = g_strdup_printf (_("%s: takes effect at next boot"), change->done);
  if (machine_is_active (self))
    show_hardware_notice (self, notice);

  self->rereading = TRUE;
  fetch_definition (self);
  sync_definition_sensitivity (self);
}

static void
send_device_change (DeviceChange *change)
{
  HangarMachinePage *self = change->self;
  g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  if (change->live)
    g_variant_builder_add (&options, "{sv}", "live", g_variant_new_boolean (TRUE));
  g_variant_builder_add (&options, "{sv}", "config", g_variant_new_boolean (TRUE));

  self->update_pending = TRUE;
  sync_definition_sensitivity (self);
  g_dbus_proxy_call (G_DBUS_PROXY (change->machine), change->method,
                     g_variant_new ("(sa{sv})", change->device_xml, &options),
                     G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, DEVICE_CALL_TIMEOUT_MS,
                     self->cancellable, on_device_changed, change);
}

/* Sends @device_xml with @method: into the running machine too when @live,
 * else into its definition. Takes @done and @failure. */
static void
change_device (HangarMachinePage *self,
               const char        *method,
               char              *device_xml,
               gboolean           live,
               char              *done,
               char              *failure)
{
  DeviceChange *change = g_new0 (DeviceChange, 1);

  change->self = g_object_ref (self);
  change->machine = g_object_ref (self->machine);
  change->method = method;
  change->device_xml = device_xml;
  change->live = live;
  change->done = done;
  change->failure = failure;
  show_hardware_notice (self, NULL);
  send_device_change (change);
}

static int
find_disk (HangarMachinePage *self,
           const char        *target)
{
  for (guint i = 0; self->def != NULL && i < self->def->disks->len; i++)
    {
      const HangarDiskInfo *disk = g_ptr_array_index (self->def->disks, i);

      if (g_strcmp0 (disk->target, target) == 0)
        return (int) i;
    }
  return -1;
}

/* A new medium in CD-ROM drive @target (UpdateDevice): a file, a volume, or
 * none. The drive's tray opens and closes in a running machine. */
static void
change_medium (HangarMachinePage *self,
               const char        *target,
               const char        *path,
               const char        *pool,
               const char        *volume)
{
  g_autoptr(GError) error = NULL;
  char *device_xml;
  int index;
  char *done;

  if (self->machine == NULL || self->stored_xml == NULL || definition_busy (self))
    return;
  index = find_disk (self, target);
  device_xml = index < 0 ? NULL
                         : hangar_machine_def_cdrom_with_medium (self->stored_xml, index, path, pool, volume, &error);
  if (device_xml == NULL)
    {
      if (error == NULL)
        g_set_error (&error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                     _("The machine has no drive %s any more"), target);
      emit_error (self, _("Could not change the medium"), error);
      return;
    }

  if (path == NULL && volume == NULL)
    done = g_strdup_printf (_("Medium ejected from %s"), target);
  else
    /* TRANSLATORS: the drive, then the file or "pool/volume" put in it */
    done = g_strdup_printf (_("%s holds %s"), target,
                            path != NULL ? path : volume);
  change_device (self, "UpdateDevice", device_xml, takes_live_changes (self), done,
                 g_strdup_printf (_("Could not change the medium in %s of “%s”"), target, machine_name (self)));
}

static void
eject_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  change_medium (HANGAR_MACHINE_PAGE (widget), g_variant_get_string (parameter, NULL), NULL, NULL, NULL);
}

static void
insert_volume_activated (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  const char *target, *pool, *volume;

  g_variant_get (parameter, "(&s&s&s)", &target, &pool, &volume);
  change_medium (HANGAR_MACHINE_PAGE (widget), target, NULL, pool, volume);
}

static void
on_medium_file_response (GtkNativeDialog *dialog,
                         int              response,
                         gpointer         user_data)
{
  HangarMachinePage *self = HANGAR_MACHINE_PAGE (user_data);
  HangarMachine *machine = g_object_get_data (G_OBJECT (dialog), "hangar-machine");
  const char *target = g_object_get_data (G_OBJECT (dialog), "hangar-target");

  if (response == GTK_RESPONSE_ACCEPT && machine == self->machine)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        change_medium (self, target, path, NULL, NULL);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
insert_file_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  HangarMachinePage *self = HANGAR_MACHINE_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  const char *target = g_variant_get_string (parameter, NULL);
  g_autofree char *title = g_strdup_printf (_("A Medium for %s"), target);
  g_autoptr(GtkFileFilter) iso = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  GtkFileChooserNative *chooser;

  if (self->machine == NULL)
    return;

  gtk_file_filter_set_name (iso, _("Disc images"));
  gtk_file_filter_add_pattern (iso, "*.iso");
  gtk_file_filter_add_pattern (iso, "*.ISO");
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  chooser = gtk_file_chooser_native_new (title, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Insert"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), iso);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), all);
  g_object_set_data_full (G_OBJECT (chooser), "hangar-machine", g_object_ref (self->machine), g_object_unref);
  g_object_set_data_full (G_OBJECT (chooser), "hangar-target", g_strdup (target), g_free);
  g_signal_connect_object (chooser, "response", G_CALLBACK (on_medium_file_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
on_remove_device_clicked (GtkButton         *button,
                          HangarMachinePage *self)
{
  const char *element = g_object_get_data (G_OBJECT (button), "hangar-element");
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "hangar-index"));
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  if (self->stored_xml == NULL || definition_busy (self))
    return;

  /* QEMU runs: DetachDevice, live too where the device can be unplugged. */
  if (machine_is_active (self) && self->def != NULL)
    {
      gboolean is_disk = g_str_equal (element, "disk");
      const HangarDiskInfo *disk = is_disk && index < self->def->disks->len
                                   ? g_ptr_array_index (self->def->disks, index) : NULL;
      char *device_xml = hangar_machine_def_get_device (self->stored_xml, element, index, &error);

      if (device_xml == NULL)
        {
          emit_error (self, _("Could not remove the device"), error);
          return;
        }
      change_device (self, "DetachDevice", device_xml,
                     takes_live_changes (self) && (!is_disk || (disk != NULL && pluggable_disk (disk))),
                     disk != NULL ? g_strdup_printf (_("%s removed"), disk->target)
                                  : g_strdup (_("Network interface removed")),
                     g_strdup_printf (_("Could not remove the device from “%s”"), machine_name (self)));
      return;
    }

  xml = hangar_machine_def_remove_device (self->stored_xml, element, index, &error);
  if (xml == NULL)
    {
      emit_error (self, _("Could not remove the device"), error);
      return;
    }
  update_definition (self, xml, UPDATE_FROM_HARDWARE,
                     g_strdup_printf (_("Could not remove the device from “%s”"), machine_name (self)));
}

static const char *
dropdown_string (GtkDropDown *dropdown,
                 const char  *const *values)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  return selected < g_strv_length ((char **) values) ? values[selected] : values[0];
}

static const char * const nic_types[] = { "user", "network", "bridge", NULL };
static const char * const nic_models[] = { "virtio", "e1000", "rtl8139", NULL };

static void
on_disk_definition_ready (HangarMachinePage   *self,
                          const char          *xml,
                          HangarAddDiskDialog *dialog)
{
  HangarMachine *machine = g_object_get_data (G_OBJECT (dialog), "hangar-machine");

  /* Another machine shown meanwhile, or a change under way: the dialog's
   * definition is not the one to send. */
  if (machine != self->machine || self->stored_xml == NULL || definition_busy (self))
    {
      g_autoptr(GError) error = g_error_new_literal (HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                                                     _("The definition changed meanwhile: add it again"));

      emit_error (self, _("Could not add the disk"), error);
      return;
    }

  /* QEMU runs: AttachDevice with the new disk (the dialog put it last),
   * plugged in live where it can be. */
  if (machine_is_active (self))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HangarMachineDef) def = hangar_machine_def_parse (xml, &error);
      const HangarDiskInfo *disk = def != NULL && def->disks->len > 0
                                   ? g_ptr_array_index (def->disks, def->disks->len - 1) : NULL;
      char *device_xml = disk != NULL ? hangar_machine_def_get_device (xml, "disk", def->disks->len - 1, &error)
                                      : NULL;

      if (device_xml == NULL)
        {
          if (error == NULL)
            g_set_error_literal (&error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                                 _("The new definition has no disk"));
          emit_error (self, _("Could not add the disk"), error);
          return;
        }
      change_device (self, "AttachDevice", device_xml, takes_live_changes (self) && pluggable_disk (disk),
                     g_strdup_printf (_("%s added"), disk->target),
                     g_strdup_printf (_("Could not add the disk to “%s”"), machine_name (self)));
      return;
    }
  update_definition (self, xml, UPDATE_FROM_HARDWARE,
                     g_strdup_printf (_("Could not add the disk to “%s”"), machine_name (self)));
}

/* The engine's pools and volumes come from the window's connection. */
static GDBusObjectManager *
object_manager (HangarMachinePage *self)
{
  if (self->connection == NULL || !HANGAR_IS_CONNECTION (self->connection))
    return NULL;
  return hangar_connection_get_object_manager (HANGAR_CONNECTION (self->connection));
}

static void
add_disk_activated (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  HangarMachinePage *self = HANGAR_MACHINE_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  HangarAddDiskDialog *dialog;

  if (self->machine == NULL || self->stored_xml == NULL || definition_busy (self))
    return;

  dialog = hangar_add_disk_dialog_present (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                           object_manager (self), self->stored_xml);
  g_object_set_data_full (G_OBJECT (dialog), "hangar-machine", g_object_ref (self->machine),
                          g_object_unref);
  g_signal_connect_object (dialog, "definition-ready", G_CALLBACK (on_disk_definition_ready),
                           self, G_CONNECT_SWAPPED);
}

static void
on_nic_type_changed (HangarMachinePage *self)
{
  gboolean needs_source = gtk_drop_down_get_selected (self->nic_type_dropdown) > 0;
  g_autofree char *source = g_strstrip (g_strdup (gtk_editable_get_text (self->nic_source_entry)));

  gtk_widget_set_sensitive (self->nic_source_label, needs_source);
  gtk_widget_set_sensitive (GTK_WIDGET (self->nic_source_entry), needs_source);
  gtk_widget_set_sensitive (self->add_nic_confirm, !needs_source || source[0] != '\0');
}

static void
on_add_nic_clicked (HangarMachinePage *self)
{
  g_autofree char *source = g_strstrip (g_strdup (gtk_editable_get_text (self->nic_source_entry)));
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  if (self->stored_xml == NULL || definition_busy (self))
    return;

  xml = hangar_machine_def_add_nic (self->stored_xml,
                                    dropdown_string (self->nic_type_dropdown, nic_types),
                                    source,
                                    dropdown_string (self->nic_model_dropdown, nic_models),
                                    &error);
  gtk_popover_popdown (self->add_nic_popover);
  if (xml == NULL)
    {
      emit_error (self, _("Could not add the network interface"), error);
      return;
    }

  /* QEMU runs: AttachDevice with the new interface (added last), live
   * when it runs. */
  if (machine_is_active (self))
    {
      g_autoptr(HangarMachineDef) def = hangar_machine_def_parse (xml, &error);
      char *device_xml = def != NULL && def->nics->len > 0
                         ? hangar_machine_def_get_device (xml, "interface", def->nics->len - 1, &error)
                         : NULL;

      if (device_xml == NULL)
        {
          if (error == NULL)
            g_set_error_literal (&error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                                 _("The new definition has no network interface"));
          emit_error (self, _("Could not add the network interface"), error);
          return;
        }
      change_device (self, "AttachDevice", device_xml, takes_live_changes (self),
                     g_strdup (_("Network interface added")),
                     g_strdup_printf (_("Could not add the network interface to “%s”"), machine_name (self)));
      return;
    }
  update_definition (self, xml, UPDATE_FROM_HARDWARE,
                     g_strdup_printf (_("Could not add the network interface to “%s”"),
                                      machine_name (self)));
}

/* ---- Reading the definition ----------------------------------------------- */

static void
set_text_view_text (GtkTextView *view,
                    const char  *text)
{
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (view), text != NULL ? text : "", -1);
}

static void
on_definition_ready (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(HangarMachinePage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  if (!hangar_machine_call_get_xml_finish (HANGAR_MACHINE (source), &xml, result, &error))
    {
      if (!is_cancelled (error))
        {
          self->rereading = FALSE;
          sync_definition_sensitivity (self);
          g_autofree char *what = g_strdup_printf (_("Could not read the definition of “%s”"),
                                                   machine_name (self));

          emit_error (self, what, error);
        }
      return;
    }

  self->rereading = FALSE;
  g_free (self->stored_xml);
  self->stored_xml = g_steal_pointer (&xml);
  if (!self->editing_xml)
    set_text_view_text (self->xml_view, self->stored_xml);

  g_clear_pointer (&self->def, hangar_machine_def_free);
  self->def = hangar_machine_def_parse (self->stored_xml, &error);
  if (self->def == NULL)
    g_warning ("Cannot read the definition of %s: %s", machine_name (self), error->message);
  refresh_hardware (self);
  sync_definition_sensitivity (self);
  refresh_display (self);
}

static void
fetch_definition (HangarMachinePage *self)
{
  if (self->machine == NULL)
    return;
  hangar_machine_call_get_xml (self->machine, g_variant_new ("a{sv}", NULL), self->cancellable,
                               on_definition_ready, g_object_ref (self));
}

static gboolean
on_refetch_timeout (gpointer user_data)
{
  HangarMachinePage *self = user_data;

  self->refetch_source = 0;
  fetch_definition (self);
  return G_SOURCE_REMOVE;
}

/* Another client may have changed the definition: read it again, once. */
static void
schedule_refetch (HangarMachinePage *self)
{
  if (self->refetch_source == 0)
    self->refetch_source = g_timeout_add (REFETCH_DELAY_MS, on_refetch_timeout, self);
}

/* ---- XML view ------------------------------------------------------------- */

static void
set_xml_editing (HangarMachinePage *self,
                 gboolean           editing)
{
  self->editing_xml = editing;
  gtk_text_view_set_editable (self->xml_view, editing);
  gtk_text_view_set_cursor_visible (self->xml_view, editing);
  gtk_widget_set_visible (self->xml_edit_button, !editing);
  gtk_widget_set_visible (self->xml_cancel_button, editing);
  gtk_widget_set_visible (self->xml_apply_button, editing);
  if (!editing)
    gtk_revealer_set_reveal_child (self->xml_error_revealer, FALSE);
}

static void
on_xml_edit_clicked (HangarMachinePage *self)
{
  GtkTextIter start;

  if (self->stored_xml == NULL)
    return;
  set_xml_editing (self, TRUE);
  gtk_text_buffer_get_start_iter (gtk_text_view_get_buffer (self->xml_view), &start);
  gtk_text_buffer_place_cursor (gtk_text_view_get_buffer (self->xml_view), &start);
  gtk_widget_grab_focus (GTK_WIDGET (self->xml_view));
}

static void
on_xml_cancel_clicked (HangarMachinePage *self)
{
  set_text_view_text (self->xml_view, self->stored_xml);
  set_xml_editing (self, FALSE);
}

static char *
get_xml_text (HangarMachinePage *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->xml_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
on_xml_apply_clicked (HangarMachinePage *self)
{
  g_autofree char *text = get_xml_text (self);

  if (self->machine == NULL || definition_busy (self))
    return;
  if (g_strcmp0 (text, self->stored_xml) == 0)
    {
      set_xml_editing (self, FALSE);
      return;
    }
  update_definition (self, text, UPDATE_FROM_XML_VIEW, NULL);
}

/* The element an error message names: "<vcpu> must be..." → "vcpu", or its
 * first word ("Memory must be..." → "memory"). */
static char *
element_named (const char *message)
{
  g_autoptr(GRegex) regex = g_regex_new ("<([A-Za-z][A-Za-z0-9_-]*)|^([A-Za-z]+)\\b", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *tag = NULL;
  g_autofree char *word = NULL;

  if (!g_regex_match (regex, message, 0, &match))
    return NULL;
  tag = g_match_info_fetch (match, 1);
  if (tag != NULL && tag[0] != '\0')
    return g_steal_pointer (&tag);
  word = g_match_info_fetch (match, 2);
  return g_ascii_strdown (word, -1);
}

/* The start of the line holding "<element" followed by a space, '>' or '/'. */
static gboolean
find_element (GtkTextBuffer *buffer,
              const char    *element,
              GtkTextIter   *iter)
{
  g_autofree char *needle = g_strconcat ("<", element, NULL);
  GtkTextIter match_start, match_end;

  gtk_text_buffer_get_start_iter (buffer, iter);
  while (gtk_text_iter_forward_search (iter, needle, GTK_TEXT_SEARCH_TEXT_ONLY,
                                       &match_start, &match_end, NULL))
    {
      gunichar next = gtk_text_iter_get_char (&match_end);

      if (next == ' ' || next == '>' || next == '/' || next == '\n')
        {
          *iter = match_start;
          gtk_text_iter_set_line_offset (iter, 0);
          return TRUE;
        }
      *iter = match_end;
    }
  return FALSE;
}

/* Where the engine's message points in the text: the line it names, else
 * the element it names. */
static gboolean
find_error_location (HangarMachinePage *self,
                     const char        *message,
                     GtkTextIter       *iter)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->xml_view);
  guint line = hangar_machine_def_error_line (message);
  g_autofree char *element = NULL;

  if (line > 0 && (int) line <= gtk_text_buffer_get_line_count (buffer))
    return gtk_text_buffer_get_iter_at_line (buffer, iter, line - 1);

  element = element_named (message);
  return element != NULL && find_element (buffer, element, iter);
}

static void
show_xml_error (HangarMachinePage *self,
                const GError      *error)
{
  g_autofree char *message = engine_message (error);
  g_autofree char *text = g_strdup_printf (_("Not applied: %s"), message);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->xml_view);
  GtkTextIter start;

  gtk_label_set_label (self->xml_error_label, text);
  gtk_revealer_set_reveal_child (self->xml_error_revealer, TRUE);

  if (find_error_location (self, message, &start))
    {
      GtkTextIter end = start;

      if (!gtk_text_iter_ends_line (&end))
        gtk_text_iter_forward_to_line_end (&end);
      gtk_text_buffer_select_range (buffer, &start, &end);
      gtk_text_view_scroll_to_iter (self->xml_view, &start, 0.1, FALSE, 0, 0);
    }
  gtk_widget_grab_focus (GTK_WIDGET (self->xml_view));
}

/* ---- Polling -------------------------------------------------------------- */

/* Starts or stops a timer; TRUE when it was just started. */
static gboolean
set_timer (guint       *source,
           gboolean     wanted,
           guint        interval_s,
           GSourceFunc  func,
           gpointer     data)
{
  if (wanted && *source == 0)
    {
      *source = g_timeout_add_seconds (interval_s, func, data);
      return TRUE;
    }
  if (!wanted)
    g_clear_handle_id (source, g_source_remove);
  return FALSE;
}

static gboolean
page_is_visible (HangarMachinePage *self,
                 const char        *name)
{
  return g_strcmp0 (adw_view_stack_get_visible_child_name (self->stack), name) == 0;
}

/* Timers run only while someone can see what they update. */
static void
update_polling (HangarMachinePage *self)
{
  gboolean mapped = gtk_widget_get_mapped (GTK_WIDGET (self)) && self->machine != NULL;
  gboolean active = machine_is_active (self);

  if (set_timer (&self->stats_source, mapped && active, STATS_INTERVAL_S, on_stats_tick, self))
    poll_stats (self);
  set_timer (&self->clock_source, mapped && active && page_is_visible (self, "overview"),
             CLOCK_INTERVAL_S, on_clock_tick, self);
}

/* While the guest's display is on screen in this page, the window draws no
 * background under it (hangar-machine-page.css: with GTK's cairo renderer,
 * anything drawn under the guest doubles what its frames cost). */
static void
set_display_shown (HangarMachinePage *self,
                   GtkRoot           *root,
                   gboolean           shown)
{
  if (!GTK_IS_WINDOW (root))
    return;
  if (shown)
    gtk_widget_add_css_class (GTK_WIDGET (root), "hangar-display-shown");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (root), "hangar-display-shown");
}

/* Whether a GtkStack holding the page is in a transition: a crossfade
 * draws the page translucent over the other child, and needs the window's
 * background under both (the window's main stack, when the engine goes
 * away or comes back). */
static gboolean
in_stack_transition (HangarMachinePage *self)
{
  for (GtkWidget *w = gtk_widget_get_parent (GTK_WIDGET (self)); w != NULL; w = gtk_widget_get_parent (w))
    if (GTK_IS_STACK (w) && gtk_stack_get_transition_running (GTK_STACK (w)))
      return TRUE;
  return FALSE;
}

static void
update_display_shown (HangarMachinePage *self)
{
  gboolean shown = gtk_widget_get_mapped (GTK_WIDGET (self)) &&
                   page_is_visible (self, "display") &&
                   g_strcmp0 (gtk_stack_get_visible_child_name (self->display_stack), "view") == 0 &&
                   !in_stack_transition (self);

  set_display_shown (self, gtk_widget_get_root (GTK_WIDGET (self)), shown);
}

static void
on_visible_page_changed (HangarMachinePage *self)
{
  self->display_auto_shown = FALSE;
  update_polling (self);
  update_display_shown (self);
}

/* ---- Display -------------------------------------------------------------- */

/* Until the definition is read, a running machine is believed to have a
 * screen; the engine's NoDevice says otherwise. */
static gboolean
has_display (HangarMachinePage *self)
{
  return (self->def == NULL || self->def->has_vnc) &&
         !hangar_display_view_get_no_device (self->display_view);
}

static void
refresh_display (HangarMachinePage *self)
{
  const char *name;

  hangar_display_view_set_can_resize_guest (self->display_view,
                                            self->def != NULL &&
                                            g_strcmp0 (self->def->video_model, "virtio") == 0);

  if (self->display_window != NULL)
    name = "detached";
  else if (self->machine == NULL || !machine_is_active (self))
    {
      name = "off";
      if (state_is (self, "saved"))
        {
          adw_status_page_set_title (self->display_off_page, _("The Machine Is Saved"));
          adw_status_page_set_description (self->display_off_page,
                                           _("Its memory is kept on disk. Start resumes it where it was."));
        }
      else
        {
          adw_status_page_set_title (self->display_off_page, _("The Machine Is Off"));
          adw_status_page_set_description (self->display_off_page,
                                           _("Start the machine to see its display."));
        }
    }
  else if (!has_display (self))
    name = "no-graphics";
  else
    name = "view";
  gtk_stack_set_visible_child_name (self->display_stack, name);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "display.fullscreen",
                                 self->display_window != NULL || g_str_equal (name, "view"));

  /* The page showed the Display of a running machine before it knew the
   * machine has none: the Overview then. */
  if (self->display_auto_shown && self->def != NULL && !has_display (self) &&
      page_is_visible (self, "display"))
    adw_view_stack_set_visible_child_name (self->stack, "overview");
}

/* A running machine opens on its display; another leaves the Display view
 * for the Overview. */
static void
show_first_view (HangarMachinePage *self)
{
  if (self->machine != NULL && machine_is_active (self))
    {
      adw_view_stack_set_visible_child_name (self->stack, "display");
      self->display_auto_shown = TRUE;
    }
  else if (page_is_visible (self, "display"))
    adw_view_stack_set_visible_child_name (self->stack, "overview");
}

/* Back from its own window into the page. */
static void
attach_display (HangarMachinePage *self)
{
  HangarDisplayWindow *window = self->display_window;
  g_autoptr(HangarDisplayView) view = NULL;

  self->detached_for_fullscreen = FALSE;
  if (window != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (window), (gpointer *) &self->display_window);
      self->display_window = NULL;
      view = hangar_display_window_take_view (window);
      gtk_window_destroy (GTK_WINDOW (window));
      if (view != NULL)
        adw_bin_set_child (self->display_slot, GTK_WIDGET (view));
    }
  hangar_display_view_set_fullscreen (self->display_view, FALSE);
  hangar_display_view_set_detached (self->display_view, FALSE);
  refresh_display (self);
}

/* The same widget moves, so the connection stays. */
static void
detach_display (HangarMachinePage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autoptr(HangarDisplayView) view = NULL;

  if (self->display_window != NULL)
    return;

  view = g_object_ref (self->display_view);
  adw_bin_set_child (self->display_slot, NULL);
  self->display_window = hangar_display_window_new (view);
  g_object_add_weak_pointer (G_OBJECT (self->display_window), (gpointer *) &self->display_window);
  if (GTK_IS_WINDOW (root) && gtk_window_get_application (GTK_WINDOW (root)) != NULL)
    gtk_window_set_application (GTK_WINDOW (self->display_window),
                                gtk_window_get_application (GTK_WINDOW (root)));
  gtk_window_present (GTK_WINDOW (self->display_window));
  refresh_display (self);
}

static void
on_display_detached_changed (HangarMachinePage *self)
{
  if (hangar_display_view_get_detached (self->display_view))
    detach_display (self);
  else if (self->display_window != NULL)
    attach_display (self);
}

/* Fullscreen happens in the display's own window; a display that went
 * there only for it comes back after. */
static void
on_display_fullscreen_changed (HangarMachinePage *self)
{
  if (hangar_display_view_get_fullscreen (self->display_view))
    {
      if (!hangar_display_view_get_detached (self->display_view))
        {
          hangar_display_view_set_detached (self->display_view, TRUE);
          self->detached_for_fullscreen = TRUE;
        }
    }
  else if (self->detached_for_fullscreen)
    {
      self->detached_for_fullscreen = FALSE;
      hangar_display_view_set_detached (self->display_view, FALSE);
    }
}

static void
on_display_no_device_changed (HangarMachinePage *self)
{
  refresh_display (self);
}

static void
on_display_attach_clicked (HangarMachinePage *self)
{
  attach_display (self);
}

/* F11 anywhere in the window: the page's own "display.fullscreen". */
static void
fullscreen_display_activated (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  HangarMachinePage *self = HANGAR_MACHINE_PAGE (widget);

  hangar_display_view_set_fullscreen (self->display_view,
                                      !hangar_display_view_get_fullscreen (self->display_view));
}

/* ---- Snapshots ------------------------------------------------------------ */

/* The view's failures go to the window with the page's own. */
static void
on_snapshots_error (HangarMachinePage *self,
                    const GError      *error)
{
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
}

/* ---- The machine ---------------------------------------------------------- */

static void
on_machine_notify (HangarMachinePage *self,
                   GParamSpec        *pspec)
{
  const char *name = pspec->name;

  if (g_str_equal (name, "state"))
    fetch_interfaces (self);
  else if (g_str_equal (name, "vcpus") || g_str_equal (name, "memory-kib") ||
           g_str_equal (name, "name") || g_str_equal (name, "title") ||
           g_str_equal (name, "description") || g_str_equal (name, "autostart"))
    schedule_refetch (self);
  refresh_state (self);
}

static void
forget_machine (HangarMachinePage *self)
{
  if (self->machine != NULL)
    g_signal_handlers_disconnect_by_data (self->machine, self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->machine);
  g_clear_handle_id (&self->refetch_source, g_source_remove);

  self->lifecycle_busy = FALSE;
  self->stats_pending = FALSE;
  self->update_pending = FALSE;
  self->rereading = FALSE;
  self->resources_dirty = FALSE;
  self->stats_count = 0;
  self->graphs_start_time = 0;
  g_clear_pointer (&self->stored_xml, g_free);
  g_clear_pointer (&self->def, hangar_machine_def_free);
}

static void
reset_views (HangarMachinePage *self)
{
  clear_graphs (self);
  show_hardware_notice (self, NULL);
  set_xml_editing (self, FALSE);
  set_text_view_text (self->xml_view, "");
  gtk_label_set_label (self->ip_value, "");
  refresh_hardware (self);
  sync_definition_sensitivity (self);
}

void
hangar_machine_page_set_machine (HangarMachinePage *self,
                                 HangarMachine     *machine,
                                 GObject           *connection)
{
  g_return_if_fail (HANGAR_IS_MACHINE_PAGE (self));
  g_return_if_fail (machine == NULL || HANGAR_IS_MACHINE (machine));
  g_return_if_fail (connection == NULL || G_IS_OBJECT (connection));

  g_set_object (&self->connection, connection);
  if (self->machine == machine)
    return;

  if (self->machine == NULL || machine == NULL ||
      !g_str_equal (g_dbus_proxy_get_object_path (G_DBUS_PROXY (self->machine)),
                    g_dbus_proxy_get_object_path (G_DBUS_PROXY (machine))))
    attach_display (self);
  forget_machine (self);
  self->cancellable = g_cancellable_new ();
  reset_views (self);

  if (machine != NULL)
    {
      self->machine = g_object_ref (machine);
      g_signal_connect_object (machine, "notify", G_CALLBACK (on_machine_notify), self,
                               G_CONNECT_SWAPPED);
      fetch_definition (self);
      fetch_interfaces (self);
    }

  hangar_display_view_set_machine (self->display_view, machine);
  hangar_serial_console_set_machine (self->serial_console, machine);
  hangar_snapshots_view_set_machine (self->snapshots_view, machine, object_manager (self));
  show_first_view (self);

  /* Timers restart for the new machine. */
  g_clear_handle_id (&self->stats_source, g_source_remove);
  refresh_state (self);
}

HangarMachine *
hangar_machine_page_get_machine (HangarMachinePage *self)
{
  g_return_val_if_fail (HANGAR_IS_MACHINE_PAGE (self), NULL);

  return self->machine;
}

void
hangar_machine_page_customize (HangarMachinePage *self)
{
  g_return_if_fail (HANGAR_IS_MACHINE_PAGE (self));

  if (self->machine == NULL)
    return;

  g_object_set_data (G_OBJECT (self->machine), CUSTOMIZING_KEY, GINT_TO_POINTER (TRUE));
  adw_view_stack_set_visible_child_name (self->stack, "hardware");
  refresh_state (self);
}

/* Starts the machine, as Start does, and shows it running: its display
 * where the page has one. */
static void
begin_install_activated (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  HangarMachinePage *self = HANGAR_MACHINE_PAGE (widget);

  if (self->machine == NULL || self->lifecycle_busy ||
      action_blocked (ACTION_START, machine_state (self)) != NULL)
    return;

  g_object_set_data (G_OBJECT (self->machine), CUSTOMIZING_KEY, NULL);
  run_lifecycle_action (self, &lifecycle_actions[ACTION_START]);
  adw_view_stack_set_visible_child_name (self->stack,
                                         adw_view_stack_get_child_by_name (self->stack, "display") != NULL
                                         ? "display" : "overview");
  refresh_state (self);
}

/* ---- GObject -------------------------------------------------------------- */

/* Follows the transitions of the stacks holding the page while it is
 * mapped (see in_stack_transition). */
static void
watch_stack_transitions (HangarMachinePage *self,
                         gboolean           watch)
{
  for (GtkWidget *w = gtk_widget_get_parent (GTK_WIDGET (self)); w != NULL; w = gtk_widget_get_parent (w))
    {
      if (!GTK_IS_STACK (w))
        continue;
      if (watch)
        g_signal_connect_object (w, "notify::transition-running", G_CALLBACK (update_display_shown),
                                 self, G_CONNECT_SWAPPED);
      else
        g_signal_handlers_disconnect_by_func (w, update_display_shown, self);
    }
}

static void
hangar_machine_page_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (hangar_machine_page_parent_class)->map (widget);
  watch_stack_transitions (HANGAR_MACHINE_PAGE (widget), TRUE);
  update_polling (HANGAR_MACHINE_PAGE (widget));
  update_display_shown (HANGAR_MACHINE_PAGE (widget));
}

static void
hangar_machine_page_unmap (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (hangar_machine_page_parent_class)->unmap (widget);
  watch_stack_transitions (HANGAR_MACHINE_PAGE (widget), FALSE);
  update_polling (HANGAR_MACHINE_PAGE (widget));
  update_display_shown (HANGAR_MACHINE_PAGE (widget));
}

static void
hangar_machine_page_unroot (GtkWidget *widget)
{
  set_display_shown (HANGAR_MACHINE_PAGE (widget), gtk_widget_get_root (widget), FALSE);
  GTK_WIDGET_CLASS (hangar_machine_page_parent_class)->unroot (widget);
}

static void
hangar_machine_page_dispose (GObject *object)
{
  HangarMachinePage *self = HANGAR_MACHINE_PAGE (object);

  g_clear_handle_id (&self->stats_source, g_source_remove);
  g_clear_handle_id (&self->clock_source, g_source_remove);
  if (self->display_view != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->display_view, self);
      attach_display (self);
    }
  forget_machine (self);
  g_clear_object (&self->connection);
  if (self->hardware_rows != NULL)
    g_ptr_array_set_size (self->hardware_rows, 0);

  gtk_widget_dispose_template (GTK_WIDGET (self), HANGAR_TYPE_MACHINE_PAGE);

  G_OBJECT_CLASS (hangar_machine_page_parent_class)->dispose (object);
}

static void
hangar_machine_page_finalize (GObject *object)
{
  HangarMachinePage *self = HANGAR_MACHINE_PAGE (object);

  g_clear_pointer (&self->hardware_rows, g_ptr_array_unref);

  G_OBJECT_CLASS (hangar_machine_page_parent_class)->finalize (object);
}

static void
bind_template (GtkWidgetClass *widget_class)
{
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PATH "hangar-machine-page.ui");

  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, content);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, title_label);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, state_badge);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, toolbar);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, compact_toolbar);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, stack);

  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, state_row);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, state_value);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, uptime_value);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, accelerator_row);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, accelerator_value);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, vcpus_value);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, memory_value);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, ip_value);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, usage_placeholder);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, graph_grid);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, cpu_label);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, cpu_graph);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, rss_label);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, memory_graph);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, disk_label);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, disk_graph);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, net_card);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, net_label);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, net_graph);

  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, hardware_box);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, install_revealer);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, hardware_notice_revealer);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, hardware_notice_label);
  gtk_widget_class_bind_template_callback (widget_class, on_hardware_notice_close);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, resources_group);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, resources_apply_button);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, resources_revert_button);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, memory_spin);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, vcpus_spin);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, boot_group);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, disks_group);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, nics_group);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, add_nic_popover);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, nic_type_dropdown);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, nic_source_label);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, nic_source_entry);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, nic_model_dropdown);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, add_nic_confirm);

  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, snapshots_view);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, serial_console);
  gtk_widget_class_bind_template_callback (widget_class, on_snapshots_error);

  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, xml_hint);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, xml_cancel_button);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, xml_apply_button);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, xml_edit_button);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, xml_error_revealer);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, xml_error_label);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, xml_view);

  gtk_widget_class_bind_template_callback (widget_class, on_visible_page_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_resources_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_resources_apply_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_resources_revert_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_nic_type_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_add_nic_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_xml_edit_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_xml_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_xml_apply_clicked);

  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, display_stack);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, display_slot);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, display_off_page);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, display_start_button);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, display_attach_button);
  gtk_widget_class_bind_template_child (widget_class, HangarMachinePage, display_view);
  gtk_widget_class_bind_template_callback (widget_class, on_display_detached_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_display_fullscreen_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_display_no_device_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_display_attach_clicked);
}

static void
hangar_machine_page_class_init (HangarMachinePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hangar_machine_page_dispose;
  object_class->finalize = hangar_machine_page_finalize;
  widget_class->map = hangar_machine_page_map;
  widget_class->unmap = hangar_machine_page_unmap;
  widget_class->unroot = hangar_machine_page_unroot;

  /* Remote errors come back as HANGAR_ERROR codes once the domain is known. */
  hangar_error_quark ();

  /**
   * HangarMachinePage::error:
   * @error: what failed and the engine's words
   *
   * An engine call made for the user failed; the window shows it.
   */
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);

  for (guint i = 0; i < N_ACTIONS; i++)
    gtk_widget_class_install_action (widget_class, lifecycle_actions[i].name, NULL,
                                     lifecycle_action_activated);
  gtk_widget_class_install_action (widget_class, "machine.begin-install", NULL, begin_install_activated);
  gtk_widget_class_install_action (widget_class, "hardware.add-disk", NULL, add_disk_activated);
  gtk_widget_class_install_action (widget_class, "hardware.eject", "s", eject_activated);
  gtk_widget_class_install_action (widget_class, "hardware.insert-volume", "(sss)", insert_volume_activated);
  gtk_widget_class_install_action (widget_class, "hardware.insert-file", "s", insert_file_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK,
                                       "machine.start", NULL);

  gtk_widget_class_install_action (widget_class, "display.fullscreen", NULL, fullscreen_display_activated);

  g_type_ensure (HANGAR_TYPE_USAGE_GRAPH);
  g_type_ensure (HANGAR_TYPE_DISPLAY_VIEW);
  g_type_ensure (HANGAR_TYPE_SERIAL_CONSOLE);
  g_type_ensure (HANGAR_TYPE_SNAPSHOTS_VIEW);
  bind_template (widget_class);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "machinepage");
}

static void
setup_graphs (HangarMachinePage *self)
{
  HangarUsageGraph *graphs[] = { self->cpu_graph, self->memory_graph, self->disk_graph, self->net_graph };

  for (guint i = 0; i < G_N_ELEMENTS (graphs); i++)
    hangar_usage_graph_set_window (graphs[i], GRAPH_WINDOW_US);
  hangar_usage_graph_set_scale_floor (self->cpu_graph, 100);
  hangar_usage_graph_set_scale_floor (self->memory_graph, KIB * KIB);
  hangar_usage_graph_set_n_series (self->disk_graph, 2);
  hangar_usage_graph_set_scale_floor (self->disk_graph, 100 * 1000);
  hangar_usage_graph_set_n_series (self->net_graph, 2);
  hangar_usage_graph_set_scale_floor (self->net_graph, 10 * 1000);
}

static void
hangar_machine_page_init (HangarMachinePage *self)
{
  GtkEventController *shortcuts;

  gtk_widget_init_template (GTK_WIDGET (self));
  ensure_style ();

  self->cancellable = g_cancellable_new ();
  self->hardware_rows = g_ptr_array_new ();

  /* Engine words (state reasons) are not markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self->state_row), FALSE);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self->accelerator_row), FALSE);

  setup_graphs (self);
  reset_views (self);
  refresh_state (self);

  /* The Display is first among the views, but only a running machine opens on it. */
  adw_view_stack_set_visible_child_name (self->stack, "overview");
  g_signal_connect_swapped (self->display_stack, "notify::visible-child",
                            G_CALLBACK (update_display_shown), self);

  /* F11 wherever the focus is in the window (the display's own F11 wins
   * while the focus is in it). */
  shortcuts = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (shortcuts), GTK_SHORTCUT_SCOPE_GLOBAL);
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_F11, 0),
                                                          gtk_named_action_new ("display.fullscreen")));
  gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);
}

GtkWidget *
hangar_machine_page_new (void)
{
  return g_object_new (HANGAR_TYPE_MACHINE_PAGE, NULL);
}
