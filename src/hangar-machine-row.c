/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-machine-row"

#include "hangar-machine-row.h"

#include "hangar-machine-actions.h"
#include "hangar-sparkline.h"

#include <glib/gi18n.h>
#include <string.h>

#define STATS_INTERVAL_S 2

struct _HangarMachineRow
{
  GtkWidget        parent_instance;

  HangarMachine   *machine;
  GCancellable    *stats_cancellable;
  guint            stats_source;
  gboolean         stats_in_flight;
  guint64          last_cpu_time_ns;    /* 0: no sample yet */
  gint64           last_timestamp_us;

  GtkImage        *icon;
  GtkLabel        *title_label;
  GtkLabel        *subtitle_label;
  HangarSparkline *sparkline;
  GtkLabel        *badge;
  GtkMenuButton   *menu_button;
};

G_DEFINE_FINAL_TYPE (HangarMachineRow, hangar_machine_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MACHINE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
state_is_running (const char *state)
{
  return g_strcmp0 (state, "running") == 0 || g_strcmp0 (state, "shutting-down") == 0;
}

/* ---- Text ----------------------------------------------------------------- */

static char *
format_memory (guint64 kib)
{
  const guint64 mib = 1024, gib = 1024 * 1024;

  if (kib >= gib && kib % gib == 0)
    /* TRANSLATORS: memory size in gibibytes, e.g. "2 GiB" */
    return g_strdup_printf (_("%u GiB"), (guint) (kib / gib));
  if (kib >= mib && kib % mib == 0)
    /* TRANSLATORS: memory size in mebibytes, e.g. "512 MiB" */
    return g_strdup_printf (_("%u MiB"), (guint) (kib / mib));
  return g_format_size_full (kib * 1024, G_FORMAT_SIZE_IEC_UNITS);
}

char *
hangar_machine_row_format_subtitle (HangarMachine *machine)
{
  guint vcpus = hangar_machine_get_vcpus (machine);
  g_autofree char *cpus = NULL;
  g_autofree char *memory = format_memory (hangar_machine_get_memory_kib (machine));

  /* TRANSLATORS: number of virtual CPUs of a machine */
  cpus = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u vCPU", "%u vCPUs", vcpus), vcpus);
  /* TRANSLATORS: a machine's state, CPUs and memory: "Running · 2 vCPUs · 2 GiB" */
  return g_strdup_printf (C_("machine summary", "%s · %s · %s"),
                          hangar_machine_state_to_label (hangar_machine_get_state (machine)),
                          cpus, memory);
}

static const char *
display_name (HangarMachine *machine)
{
  const char *title = hangar_machine_get_title (machine);

  if (title != NULL && *title != '\0')
    return title;
  return hangar_machine_get_name (machine);
}

static const char *
badge_class (const char *state)
{
  if (g_strcmp0 (state, "running") == 0)
    return "running";
  if (g_strcmp0 (state, "paused") == 0)
    return "paused";
  if (g_strcmp0 (state, "crashed") == 0)
    return "crashed";
  if (g_strcmp0 (state, "starting") == 0 || g_strcmp0 (state, "shutting-down") == 0)
    return "busy";
  return "shutoff";
}

static void
update_labels (HangarMachineRow *self)
{
  g_autofree char *subtitle = NULL;
  g_autofree char *accessible = NULL;
  const char *state;
  const char *classes[] = { "badge", NULL, NULL };

  if (self->machine == NULL)
    return;

  state = hangar_machine_get_state (self->machine);
  subtitle = hangar_machine_row_format_subtitle (self->machine);
  gtk_label_set_label (self->title_label, display_name (self->machine));
  gtk_label_set_label (self->subtitle_label, subtitle);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->title_label), hangar_machine_get_name (self->machine));
  gtk_label_set_label (self->badge, hangar_machine_state_to_label (state));
  classes[1] = badge_class (state);
  gtk_widget_set_css_classes (GTK_WIDGET (self->badge), classes);

  accessible = g_strdup_printf ("%s, %s", display_name (self->machine), subtitle);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
}

/* ---- Actions -------------------------------------------------------------- */

static void
update_actions (HangarMachineRow *self)
{
  const char *state = self->machine ? hangar_machine_get_state (self->machine) : NULL;

  for (HangarMachineAction action = 0; action < HANGAR_MACHINE_N_ACTIONS; action++)
    {
      g_autofree char *name = g_strconcat ("machine.", hangar_machine_action_get_name (action), NULL);

      gtk_widget_action_set_enabled (GTK_WIDGET (self), name,
                                     hangar_machine_action_is_allowed (action, state));
    }
}

static void
machine_action_activated (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  HangarMachineRow *self = HANGAR_MACHINE_ROW (widget);
  const char *name = strchr (action_name, '.') + 1;

  if (self->machine == NULL)
    return;

  for (HangarMachineAction action = 0; action < HANGAR_MACHINE_N_ACTIONS; action++)
    {
      if (g_str_equal (name, hangar_machine_action_get_name (action)))
        {
          hangar_machine_action_run (action, self->machine, widget);
          return;
        }
    }
}

static void
on_secondary_click (HangarMachineRow *self,
                    int               n_press,
                    double            x,
                    double            y,
                    GtkGestureClick  *gesture)
{
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  gtk_menu_button_popup (self->menu_button);
}

/* ---- CPU statistics, while shown and running ------------------------------ */

/* The share of one host CPU since this row's previous sample, from QEMU's
 * CPU time: the engine's "cpu-percent" counts from anyone's previous
 * GetStats, and the machine page asks too. */
static gboolean
cpu_percent_since_last (HangarMachineRow *self,
                        GVariant         *stats,
                        double           *cpu_percent)
{
  guint64 cpu_time_ns, last_cpu_time_ns = self->last_cpu_time_ns;
  gint64 timestamp_us, last_timestamp_us = self->last_timestamp_us;

  if (!g_variant_lookup (stats, "cpu-time-ns", "t", &cpu_time_ns) ||
      !g_variant_lookup (stats, "timestamp-us", "x", &timestamp_us))
    return g_variant_lookup (stats, "cpu-percent", "d", cpu_percent);

  self->last_cpu_time_ns = cpu_time_ns;
  self->last_timestamp_us = timestamp_us;
  /* A first sample, or QEMU restarted in between. */
  if (last_cpu_time_ns == 0 || cpu_time_ns < last_cpu_time_ns || timestamp_us <= last_timestamp_us)
    return FALSE;

  *cpu_percent = 100.0 * ((cpu_time_ns - last_cpu_time_ns) / 1000.0) / (timestamp_us - last_timestamp_us);
  return TRUE;
}

static void
stats_received (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  HangarMachineRow *self = user_data;
  g_autoptr(GVariant) stats = NULL;
  g_autoptr(GError) error = NULL;
  double cpu_percent;

  if (!hangar_machine_call_get_stats_finish (HANGAR_MACHINE (source), &stats, result, &error))
    {
      /* Cancelled: the row was hidden or given another machine; self may be gone. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_debug ("GetStats: %s", error->message);
      self->stats_in_flight = FALSE;
      return;
    }

  self->stats_in_flight = FALSE;
  if (cpu_percent_since_last (self, stats, &cpu_percent))
    hangar_sparkline_push (self->sparkline, cpu_percent);
}

static gboolean
poll_stats (gpointer user_data)
{
  HangarMachineRow *self = user_data;

  if (!self->stats_in_flight)
    {
      self->stats_in_flight = TRUE;
      hangar_machine_call_get_stats (self->machine, self->stats_cancellable,
                                     stats_received, self);
    }
  return G_SOURCE_CONTINUE;
}

static void
stop_polling (HangarMachineRow *self)
{
  g_clear_handle_id (&self->stats_source, g_source_remove);
  g_cancellable_cancel (self->stats_cancellable);
  g_clear_object (&self->stats_cancellable);
  self->stats_in_flight = FALSE;
  self->last_cpu_time_ns = 0;
  self->last_timestamp_us = 0;
}

static void
update_polling (HangarMachineRow *self)
{
  gboolean running = self->machine != NULL &&
                     state_is_running (hangar_machine_get_state (self->machine));
  gboolean wanted = running && gtk_widget_get_mapped (GTK_WIDGET (self));

  gtk_widget_set_opacity (GTK_WIDGET (self->sparkline), running ? 1.0 : 0.0);
  if (!running)
    hangar_sparkline_clear (self->sparkline);

  if (wanted == (self->stats_source != 0))
    return;
  if (!wanted)
    {
      stop_polling (self);
      return;
    }

  self->stats_cancellable = g_cancellable_new ();
  self->stats_source = g_timeout_add_seconds (STATS_INTERVAL_S, poll_stats, self);
  poll_stats (self);
}

/* ---- The machine ---------------------------------------------------------- */

static void
on_machine_changed (HangarMachineRow *self)
{
  update_labels (self);
  update_actions (self);
  update_polling (self);
}

HangarMachine *
hangar_machine_row_get_machine (HangarMachineRow *self)
{
  g_return_val_if_fail (HANGAR_IS_MACHINE_ROW (self), NULL);

  return self->machine;
}

void
hangar_machine_row_set_machine (HangarMachineRow *self,
                                HangarMachine    *machine)
{
  g_return_if_fail (HANGAR_IS_MACHINE_ROW (self));
  g_return_if_fail (machine == NULL || HANGAR_IS_MACHINE (machine));

  if (self->machine == machine)
    return;

  stop_polling (self);
  hangar_sparkline_clear (self->sparkline);
  if (self->machine != NULL)
    g_signal_handlers_disconnect_by_data (self->machine, self);
  g_set_object (&self->machine, machine);

  if (machine != NULL)
    {
      /* GDBusProxy notifies each property changed by PropertiesChanged. */
      g_signal_connect_swapped (machine, "notify", G_CALLBACK (on_machine_changed), self);
    }
  on_machine_changed (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MACHINE]);
}

GtkWidget *
hangar_machine_row_new (void)
{
  return g_object_new (HANGAR_TYPE_MACHINE_ROW, NULL);
}

/* ---- GtkWidget ------------------------------------------------------------ */

static void
hangar_machine_row_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (hangar_machine_row_parent_class)->map (widget);
  update_polling (HANGAR_MACHINE_ROW (widget));
}

static void
hangar_machine_row_unmap (GtkWidget *widget)
{
  stop_polling (HANGAR_MACHINE_ROW (widget));
  GTK_WIDGET_CLASS (hangar_machine_row_parent_class)->unmap (widget);
}

static void
hangar_machine_row_dispose (GObject *object)
{
  HangarMachineRow *self = HANGAR_MACHINE_ROW (object);
  GtkWidget *child;

  hangar_machine_row_set_machine (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), HANGAR_TYPE_MACHINE_ROW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (hangar_machine_row_parent_class)->dispose (object);
}

static void
hangar_machine_row_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  HangarMachineRow *self = HANGAR_MACHINE_ROW (object);

  switch (prop_id)
    {
    case PROP_MACHINE:
      g_value_set_object (value, self->machine);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hangar_machine_row_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  HangarMachineRow *self = HANGAR_MACHINE_ROW (object);

  switch (prop_id)
    {
    case PROP_MACHINE:
      hangar_machine_row_set_machine (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hangar_machine_row_class_init (HangarMachineRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hangar_machine_row_dispose;
  object_class->get_property = hangar_machine_row_get_property;
  object_class->set_property = hangar_machine_row_set_property;
  widget_class->map = hangar_machine_row_map;
  widget_class->unmap = hangar_machine_row_unmap;

  properties[PROP_MACHINE] =
    g_param_spec_object ("machine", NULL, NULL, HANGAR_TYPE_MACHINE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  for (HangarMachineAction action = 0; action < HANGAR_MACHINE_N_ACTIONS; action++)
    {
      g_autofree char *name = g_strconcat ("machine.", hangar_machine_action_get_name (action), NULL);

      gtk_widget_class_install_action (widget_class, name, NULL, machine_action_activated);
    }

  g_type_ensure (HANGAR_TYPE_SPARKLINE);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/hangarvm/Hangar/hangar-machine-row.ui");
  gtk_widget_class_bind_template_child (widget_class, HangarMachineRow, icon);
  gtk_widget_class_bind_template_child (widget_class, HangarMachineRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, HangarMachineRow, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, HangarMachineRow, sparkline);
  gtk_widget_class_bind_template_child (widget_class, HangarMachineRow, badge);
  gtk_widget_class_bind_template_child (widget_class, HangarMachineRow, menu_button);
  gtk_widget_class_bind_template_callback (widget_class, on_secondary_click);

  gtk_widget_class_set_css_name (widget_class, "machinerow");
}

static void
hangar_machine_row_init (HangarMachineRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update_actions (self);
}
