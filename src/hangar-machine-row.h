/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "hangar-dbus.h"

G_BEGIN_DECLS

/* One machine in the machine list: icon, name, "Running · 2 vCPUs · 2 GiB",
 * a CPU sparkline fed from GetStats while the row is shown and the machine
 * runs, a state badge, and the lifecycle actions (machine.start,
 * machine.shutdown, machine.force-off, machine.reboot, machine.pause,
 * machine.resume, machine.delete) in its menu, enabled as the state allows. */

#define HANGAR_TYPE_MACHINE_ROW (hangar_machine_row_get_type ())
G_DECLARE_FINAL_TYPE (HangarMachineRow, hangar_machine_row, HANGAR, MACHINE_ROW, GtkWidget)

GtkWidget     *hangar_machine_row_new         (void);

HangarMachine *hangar_machine_row_get_machine (HangarMachineRow *self);
void           hangar_machine_row_set_machine (HangarMachineRow *self,
                                               HangarMachine    *machine);

/* "Running · 2 vCPUs · 2 GiB". */
char          *hangar_machine_row_format_subtitle (HangarMachine *machine);

G_END_DECLS
