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
  GDBusConnection    *connection;
  GDBusObjectManager *object_manager;
  HangarManager      *manager;
} HangarTestEnv;

HangarTestEnv  *hangar_test_env_new            (gboolean        system_mode);
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
gboolean        hangar_test_wait_for_state     (HangarMachine  *machine,
                                                const char     *state,
                                                guint           timeout_s);
gboolean        hangar_test_wait_for_console   (HangarMachine  *machine,
                                                const char     *marker,
                                                guint           timeout_s);

/* Asserts that `error` is the engine's `code` and its message contains `needle`. */
#define hangar_assert_engine_error(error, code, needle) \
  hangar_test_assert_engine_error ((error), (code), (needle), G_STRLOC)
void            hangar_test_assert_engine_error (GError        *error,
                                                 int            code,
                                                 const char    *needle,
                                                 const char    *location);

/* Every QEMU started under this env's root (from its pid files). */
GArray         *hangar_test_env_qemu_pids      (HangarTestEnv  *env);

G_END_DECLS
