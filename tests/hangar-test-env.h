/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hangar-dbus.h"

G_BEGIN_DECLS

/* A real engine for a test: a private dbus-daemon, the real hangard on it
 * (session or system mode, every file under a temporary root), and a client
 * connection with an object manager. Nothing is mocked. */
typedef struct {
  char               *tmpdir;
  char               *root;          /* hangard --root */
  char               *bus_address;
  GPid                bus_pid;
  GPid                engine_pid;
  gboolean            system_mode;
  char               *netns;         /* system mode: the engine's own network namespace */
  GDBusConnection    *connection;
  GDBusObjectManager *object_manager;
  HangarManager      *manager;
  gboolean            engine_as_user; /* the engine runs as engine_uid/engine_gid */
  guint               engine_uid;
  guint               engine_gid;
  const char * const *engine_args;   /* more hangard options for the next start, or NULL */
  GSubprocess        *watchdog;      /* cleans up if the test dies (see start_watchdog) */
} HangarTestEnv;

/* A system-mode engine runs its QEMUs as hangar-qemu: as root, this
 * creates that system user when the host does not have it yet (and leaves it). */
HangarTestEnv  *hangar_test_env_new            (gboolean        system_mode);
/* A session-mode engine running as the unprivileged `user` (e.g. "nobody")
 * when the test runs as root, as the test's own user otherwise: for what
 * only an ordinary user's engine does (passt). Its temporary tree belongs
 * to that user. */
HangarTestEnv  *hangar_test_env_new_unprivileged (const char    *user);
/* Copies the test guest's kernel and initrd into the env's tree (readable
 * by its engine whatever user it runs as) and returns the guest XML for
 * them, like hangar_test_guest_xml. */
char           *hangar_test_env_guest_xml      (HangarTestEnv  *env,
                                                const char     *name,
                                                const char     *cmdline_extra);
void            hangar_test_env_free           (HangarTestEnv  *env);

/* Starts hangard and waits until it owns its name. */
void            hangar_test_env_start_engine   (HangarTestEnv  *env);
/* Sends `signum` to hangard and waits for it to be gone. */
void            hangar_test_env_kill_engine    (HangarTestEnv  *env,
                                                int             signum);
gboolean        hangar_test_env_engine_alive   (HangarTestEnv  *env);

/* Paths of the test guest built by tests/guest/make-test-guest.sh. */
const char     *hangar_test_guest_kernel       (void);
const char     *hangar_test_guest_initrd       (void);

/* A domain document for the busybox test guest: direct kernel boot, serial
 * console, `memory_mib` of memory; `cmdline_extra` is added to the kernel
 * command line (e.g. "hangar.poweroff"). */
char           *hangar_test_guest_xml          (const char     *name,
                                                const char     *cmdline_extra);

/* Defines `xml`; fails the test on error. Returns the machine proxy. */
HangarMachine  *hangar_test_env_define         (HangarTestEnv  *env,
                                                const char     *xml);
HangarMachine  *hangar_test_env_lookup         (HangarTestEnv  *env,
                                                const char     *name);

/* Runs the main context until `predicate` holds or `timeout_s` passes. */
gboolean        hangar_test_wait_until         (gboolean      (*predicate) (gpointer),
                                                gpointer        data,
                                                guint           timeout_s);
/* Dispatches what already arrived: the engine sends PropertiesChanged
 * before a method's reply, so after a sync call this brings proxies up to date. */
void            hangar_test_settle             (void);
/* Brings proxies up to date with changes made by another client of the
 * engine (hangarctl): a round trip to the engine, then hangar_test_settle(). */
void            hangar_test_env_sync           (HangarTestEnv  *env);
gboolean        hangar_test_wait_for_state     (HangarMachine  *machine,
                                                const char     *state,
                                                guint           timeout_s);
gboolean        hangar_test_wait_for_console   (HangarMachine  *machine,
                                                const char     *marker,
                                                guint           timeout_s);
/* Until `marker` occurs `count` times in the serial log. The log spans
 * every run of the machine: to wait for the marker of the run being started,
 * take hangar_test_console_count() before starting and wait for one more. */
gboolean        hangar_test_wait_for_console_count (HangarMachine *machine,
                                                    const char    *marker,
                                                    guint          count,
                                                    guint          timeout_s);

/* What `machine` wrote on its serial port (GetConsoleLog from the start),
 * as a string; fails the test when the engine refuses. */
char           *hangar_test_console_log        (HangarMachine  *machine);
/* How many times `marker` occurs in `machine`'s serial log so far (all runs). */
guint           hangar_test_console_count      (HangarMachine  *machine,
                                                const char     *marker);
/* A connected socket to `machine`'s display (Machine.OpenDisplay); fails
 * the test when the engine refuses. */
int             hangar_test_open_display_fd    (HangarMachine  *machine);
/* A connected socket to `machine`'s serial port (Machine.OpenSerial); fails
 * the test when the engine refuses. */
int             hangar_test_open_serial_fd     (HangarMachine  *machine);
/* How many times `marker` occurs in `text` (overlapping ones too). */
guint           hangar_test_count              (const char     *text,
                                                const char     *marker);
/* Runs the main context for `ms` milliseconds. */
void            hangar_test_spin               (guint           ms);

/* Asserts that `error` is the engine's `code` and its message contains `needle`. */
#define hangar_assert_engine_error(error, code, needle) \
  hangar_test_assert_engine_error ((error), (code), (needle), G_STRLOC)
void            hangar_test_assert_engine_error (GError        *error,
                                                 int            code,
                                                 const char    *needle,
                                                 const char    *location);

/* Runs argv inside the env's network namespace (system mode); fails the
 * test when the command fails. */
void            hangar_test_env_run_in_netns   (HangarTestEnv  *env,
                                                const char * const *argv);

/* Every QEMU started under this env's root: its command line names a file
 * there, or (system mode, where QEMU gets descriptors, not paths) its
 * working directory is there. */
GArray         *hangar_test_env_qemu_pids      (HangarTestEnv  *env);

/* ---- hangarctl ------------------------------------------------------------ */

/* How a test runs the real hangarctl ($HANGARCTL); all NULL: against the
 * env's bus, stdin from /dev/null, no $EDITOR. */
typedef struct {
  const char *address;      /* --connect; NULL: the env's bus */
  const char *stdin_path;   /* NULL: /dev/null */
  const char *editor;       /* $EDITOR for edit, or NULL */
} HangarCtlOptions;

const char     *hangar_test_hangarctl          (void);
/* `hangarctl --connect ADDRESS ARGS…` as an argv (ADDRESS NULL: the env's bus). */
char          **hangar_test_ctl_argv           (HangarTestEnv           *env,
                                                const char              *address,
                                                const char * const      *args);
/* A stable environment for hangarctl: C.UTF-8, no $HANGAR_CONNECT, no
 * editor but `editor`, temporary files under the env's tree. */
char          **hangar_test_ctl_environ        (HangarTestEnv           *env,
                                                const char              *editor);

/* Runs hangarctl to its end; returns its exit status, its stdout and
 * stderr replace what *out and *err held. A hangarctl ended by a signal
 * (a crash, a critical) fails the test. */
int             hangar_test_ctl_run_argv       (HangarTestEnv           *env,
                                                const HangarCtlOptions  *options,
                                                const char * const      *args,
                                                char                   **out,
                                                char                   **err);
/* hangar_test_ctl (env, &out, &err, "verb", "arg", NULL): the exit status. */
int             hangar_test_ctl                (HangarTestEnv           *env,
                                                char                   **out,
                                                char                   **err,
                                                const char              *first,
                                                ...) G_GNUC_NULL_TERMINATED;
int             hangar_test_ctl_with           (HangarTestEnv           *env,
                                                const HangarCtlOptions  *options,
                                                char                   **out,
                                                char                   **err,
                                                const char              *first,
                                                ...) G_GNUC_NULL_TERMINATED;
/* A command that must succeed with nothing on stderr: its stdout, in *out
 * (replacing what it held) and returned. */
const char     *hangar_test_ctl_ok             (HangarTestEnv           *env,
                                                char                   **out,
                                                const char              *first,
                                                ...) G_GNUC_NULL_TERMINATED;

/* A failure as hangarctl promises it: status 1, and stderr exactly one
 * line "error: …" that contains `needle`. */
#define hangar_assert_ctl_error(status, err, needle) \
  hangar_test_assert_ctl_error ((status), (err), (needle), G_STRLOC)
void            hangar_test_assert_ctl_error   (int                      status,
                                                const char              *err,
                                                const char              *needle,
                                                const char              *location);

/* `text` has a line that is exactly `line`. */
gboolean        hangar_test_has_line           (const char              *text,
                                                const char              *line);
#define hangar_assert_has_line(text, line) \
  G_STMT_START { \
    if (!hangar_test_has_line ((text), (line))) \
      g_error ("%s: no line '%s' in:\n%s", G_STRLOC, (line), (text)); \
  } G_STMT_END

G_END_DECLS
