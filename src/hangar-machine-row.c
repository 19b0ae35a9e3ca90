/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar-machine-row"

#include "hangar-machine-row.h"

#include "hangar-machine-actions.h"
#include "hangar-machine-def.h"
#include "hangar-os-info.h"
#include "hangar-sparkline.h"
#include "hangar-stats-sample.h"

#include <glib/gi18n.h>
#include <string.h>

#define STATS_INTERVAL_S 2
/* On the machine's proxy: its definition's libosinfo ID ("" for none),
 * read once for every row that shows it. */
#define OS_ID_KEY "hangar-os-id"

struct _HangarMachineRow
{
  GtkWidget        parent_instance;

  HangarMachine   *machine;
  GCancellable    *stats_cancellable;
  guint            stats_source;
  gboolean         stats_in_flight;
  HangarStatsSample cpu_sample;         /* this row's own previous sample */
  GCancellable    *os_cancellable;      /* reading the OS of the definition */

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
  if (g_strcmp0 (state, "saved") == 0)
    return "saved";
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

/* ---- The operating system's icon ----------------------------------------- */

static void update_icon (HangarMachineRow *self);

static void
on_os_db_loaded (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsinfoDb) db = hangar_os_info_load_db_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (db == NULL)
    {
      g_debug ("No osinfo database for the machine icons: %s", error->message);
      return;
    }
  /* Not cancelled: the row is still there. */
  update_icon (HANGAR_MACHINE_ROW (user_data));
}

/* The family's icon, and the system's name as its tooltip. */
static void
update_icon (HangarMachineRow *self)
{
  const char *os_id = self->machine ? g_object_get_data (G_OBJECT (self->machine), OS_ID_KEY) : NULL;
  OsinfoDb *db = hangar_os_info_peek_db ();
  OsinfoOs *os = NULL;

  if (os_id != NULL && os_id[0] != '\0' && db == NULL)
    {
      /* Loaded once for the whole process; the icon follows. */
      hangar_os_info_load_db_async (self->os_cancellable, on_os_db_loaded, self);
      gtk_image_set_from_icon_name (self->icon, HANGAR_OS_ICON_UNKNOWN);
      return;
    }

  if (db != NULL && os_id != NULL && os_id[0] != '\0')
    os = osinfo_db_get_os (db, os_id);
  gtk_image_set_from_icon_name (self->icon, db != NULL ? hangar_os_info_icon_name_for_id (db, os_id)
                                                       : HANGAR_OS_ICON_UNKNOWN);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->icon), os ? hangar_os_info_get_name (os) : NULL);
}

static void
on_os_xml (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(HangarMachineDef) def = NULL;

  if (!hangar_machine_call_get_xml_finish (HANGAR_MACHINE (source), &xml, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Cannot read the definition for its icon: %s", error->message);
      return;
    }

  def = hangar_machine_def_parse (xml, NULL);
  g_object_set_data_full (source, OS_ID_KEY,
                          g_strdup (def != NULL && def->os_id != NULL ? def->os_id : ""), g_free);
  /* Not cancelled: the row still shows this machine. */
  update_icon (HANGAR_MACHINE_ROW (user_data));
}

static void
read_os_id (HangarMachineRow *self)
{
  g_cancellable_cancel (self->os_cancellable);
  g_clear_object (&self->os_cancellable);
  if (self->machine == NULL)
    return;

  self->os_cancellable = g_cancellable_new ();
  if (g_object_get_data (G_OBJECT (self->machine), OS_ID_KEY) != NULL)
    {
      update_icon (self);
      return;
    }

  gtk_image_set_from_icon_name (self->icon, HANGAR_OS_ICON_UNKNOWN);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->icon), NULL);
  hangar_machine_call_get_xml (self->machine, g_variant_new ("a{sv}", NULL), self->os_cancellable,
                               on_os_xml, self);
}

/* A property of the definition changed: it may say another system now. */
static void
on_definition_notify (HangarMachineRow *self)
{
  g_object_set_data (G_OBJECT (self->machine), OS_ID_KEY, NULL);
  read_os_id (self);
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
  /* From this row's own samples: the engine's "cpu-percent" counts from
   * anyone's previous GetStats, and the machine page asks too. */
  if (hangar_stats_sample_cpu_percent (&self->cpu_sample, stats, &cpu_percent))
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
  hangar_stats_sample_reset (&self->cpu_sample);
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
      g_signal_connect_swapped (machine, "notify::name", G_CALLBACK (on_definition_notify), self);
      g_signal_connect_swapped (machine, "notify::title", G_CALLBACK (on_definition_notify), self);
      g_signal_connect_swapped (machine, "notify::vcpus", G_CALLBACK (on_definition_notify), self);
      g_signal_connect_swapped (machine, "notify::memory-kib", G_CALLBACK (on_definition_notify), self);
    }
  read_os_id (self);
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
  g_cancellable_cancel (self->os_cancellable);
  g_clear_object (&self->os_cancellable);
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
  hangar_os_info_add_icon_path (gtk_widget_get_display (GTK_WIDGET (self)));
  update_actions (self);
}
