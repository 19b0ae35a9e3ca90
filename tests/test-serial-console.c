/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-serial-console"

/* HangarSerialConsole, the machine page's Console view, on a real guest:
 * a private dbus-daemon, the real hangard, the busybox guest under QEMU
 * with its shell on ttyS0. A command typed into the VteTerminal (through
 * the terminal's own commit path) runs in the guest and its output shows in
 * the terminal and in the console log; another client taking the port over,
 * taking it back, the log once the machine is off, reconnecting by itself
 * on the next run, and a machine without a serial port. Runs under Xvfb
 * (meson test --suite gui) and saves screenshots in tests/screenshots/ of
 * the build tree. The cases run in order on one engine and one window. */

#include <adwaita.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "hangar-serial-console.h"
#include "hangar-test-env.h"
#include "hangar-test-gui.h"

#define UI_TIMEOUT_S    30
#define GUEST_TIMEOUT_S 180
#define SHELL_RETRY_S   10
#define BOOT_MARKER     "HANGAR-GUEST-BOOTED"
#define MACHINE_NAME    "console-guest"

static HangarTestEnv       *env;
static GtkWindow           *window;
static HangarSerialConsole *console;
static HangarMachine       *machine;

/* ---- Looking at the view -------------------------------------------------- */

static char *
terminal_text (void)
{
  return hangar_serial_console_dup_text (console);
}

static gboolean
terminal_shows (gpointer data)
{
  return hangar_test_serial_console_shows (console, data);
}

static void
wait_for_terminal (const char *needle,
                   guint       timeout_s)
{
  if (!hangar_test_wait_until (terminal_shows, (gpointer) needle, timeout_s))
    {
      g_autofree char *text = terminal_text ();

      g_error ("the terminal never showed “%s”; it shows:\n%s", needle, text);
    }
}

static gboolean
status_is (gpointer data)
{
  return g_strcmp0 (hangar_serial_console_get_status (console), data) == 0;
}

static void
wait_for_status (const char *status,
                 guint       timeout_s)
{
  if (!hangar_test_wait_until (status_is, (gpointer) status, timeout_s))
    g_error ("the console is “%s”, not “%s”", hangar_serial_console_get_status (console), status);
}

static gpointer
child (const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (console), HANGAR_TYPE_SERIAL_CONSOLE, name);

  g_assert_nonnull (object);
  return object;
}

/* ---- Screenshots ---------------------------------------------------------- */

static void
save_screenshot (const char *name)
{
  hangar_test_save_screenshot (GTK_WIDGET (window), name, UI_TIMEOUT_S);
}

/* ---- Cases ---------------------------------------------------------------- */

/* Off: the log of earlier runs (none yet), read only. */
static void
test_off (void)
{
  hangar_serial_console_set_machine (console, machine);
  wait_for_status ("log", UI_TIMEOUT_S);
  g_assert_false (vte_terminal_get_input_enabled (hangar_serial_console_get_terminal (console)));
  g_assert_false (gtk_widget_get_visible (child ("reconnect_button")));
}

/* Started while shown: it connects by itself, with the recent output. */
static void
test_connects (void)
{
  g_autoptr(GError) error = NULL;

  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_console (machine, BOOT_MARKER, GUEST_TIMEOUT_S));
  wait_for_status ("connected", UI_TIMEOUT_S);
  g_assert_true (vte_terminal_get_input_enabled (hangar_serial_console_get_terminal (console)));
}

/* Typed into the terminal, as a person types: the guest's shell runs it. */
static void
type_command (const char *command)
{
  hangar_test_serial_console_type (console, command);
}

static gboolean
terminal_shows_line (gpointer data)
{
  return hangar_test_serial_console_shows_line (console, data);
}

/* Types @command until a line of the terminal is @expected: what is typed
 * while the guest's shell is still starting is lost, wholly or its first
 * characters (neither the echo of "echo OK-$((40+2))" nor the error of a
 * mangled one is the line OK-42). */
static void
run_in_guest (const char *command,
              const char *expected)
{
  for (guint i = 0; i < GUEST_TIMEOUT_S / SHELL_RETRY_S; i++)
    {
      type_command (command);
      if (hangar_test_wait_until (terminal_shows_line, (gpointer) expected, SHELL_RETRY_S))
        return;
    }
  wait_for_terminal (expected, 1);
}

static void
test_round_trip (void)
{
  run_in_guest ("echo OK-$((40+2))", "OK-42");
  /* The log keeps going too. */
  g_assert_true (hangar_test_wait_for_console (machine, "OK-42", UI_TIMEOUT_S));
  save_screenshot ("serial-console-connected.png");
}

/* Another client (hangarctl console) takes the port: the view says so;
 * taking it back works, and typing does again. */
static void
test_taken_over (void)
{
  int fd = hangar_test_open_serial_fd (machine);

  wait_for_status ("taken-over", UI_TIMEOUT_S);
  g_assert_false (vte_terminal_get_input_enabled (hangar_serial_console_get_terminal (console)));
  g_assert_true (gtk_widget_get_visible (child ("reconnect_button")));
  save_screenshot ("serial-console-taken-over.png");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (console), "console.reconnect", NULL));
  wait_for_status ("connected", UI_TIMEOUT_S);
  close (fd);

  run_in_guest ("echo BACK-$((6*7))", "BACK-42");
}

/* Off again: the log, with what was typed, and no input. */
static void
test_log_after_run (void)
{
  g_autoptr(GError) error = NULL;

  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  wait_for_status ("log", UI_TIMEOUT_S);
  wait_for_terminal ("BACK-42", UI_TIMEOUT_S);
  g_assert_false (vte_terminal_get_input_enabled (hangar_serial_console_get_terminal (console)));
  save_screenshot ("serial-console-log.png");
}

/* The next run connects again by itself. */
static void
test_reconnects_on_next_run (void)
{
  g_autoptr(GError) error = NULL;
  /* The log keeps the first run's marker: wait for this run's. */
  guint booted_before = hangar_test_console_count (machine, BOOT_MARKER);

  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);
  wait_for_status ("connected", GUEST_TIMEOUT_S);
  g_assert_true (hangar_test_wait_for_console_count (machine, BOOT_MARKER, booted_before + 1,
                                                     GUEST_TIMEOUT_S));
  run_in_guest ("echo AGAIN-$((40+2))", "AGAIN-42");

  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  wait_for_status ("log", UI_TIMEOUT_S);
}

/* A machine without a serial port says so. */
static void
test_no_serial (void)
{
  g_autofree char *xml = hangar_test_guest_xml ("no-serial-guest", NULL);
  g_auto(GStrv) parts = g_regex_split_simple ("<serial[^>]*>.*?</serial>\\s*", xml, G_REGEX_DOTALL, 0);
  g_autofree char *without = g_strjoinv ("", parts);
  g_autoptr(HangarMachine) other = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  other = hangar_test_env_define (env, without);
  hangar_machine_call_start_sync (other, NULL, &error);
  g_assert_no_error (error);

  hangar_serial_console_set_machine (console, other);
  wait_for_status ("no-serial", UI_TIMEOUT_S);
  save_screenshot ("serial-console-no-serial.png");

  hangar_machine_call_force_off_sync (other, NULL, &error);
  g_assert_no_error (error);
  wait_for_status ("log", UI_TIMEOUT_S);
  hangar_serial_console_set_machine (console, NULL);
  wait_for_status ("none", UI_TIMEOUT_S);
}

/* ---- Setup ---------------------------------------------------------------- */

int
main (int    argc,
      char **argv)
{
  g_autofree char *xml = NULL;
  int status;

  if (!hangar_test_gui_init (&argc, &argv))
    return g_test_run ();
  g_object_set (gtk_settings_get_default (), "gtk-cursor-blink", FALSE, NULL);

  g_test_add_func ("/serial-console/off", test_off);
  g_test_add_func ("/serial-console/connects", test_connects);
  g_test_add_func ("/serial-console/round-trip", test_round_trip);
  g_test_add_func ("/serial-console/taken-over", test_taken_over);
  g_test_add_func ("/serial-console/log-after-run", test_log_after_run);
  g_test_add_func ("/serial-console/reconnects-on-next-run", test_reconnects_on_next_run);
  g_test_add_func ("/serial-console/no-serial", test_no_serial);

  env = hangar_test_env_new (FALSE);
  xml = hangar_test_guest_xml (MACHINE_NAME, NULL);
  machine = hangar_test_env_define (env, xml);

  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 800, 560);
  console = HANGAR_SERIAL_CONSOLE (hangar_serial_console_new ());
  gtk_window_set_child (window, GTK_WIDGET (console));
  gtk_window_present (window);

  status = g_test_run ();

  gtk_window_destroy (window);
  g_clear_object (&machine);
  hangar_test_env_free (env);
  return status;
}
