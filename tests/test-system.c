/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-system"

/* Who may use a system engine: a real hangard --system on a private bus,
 * clients running as other users (setpriv), and polkit as it is installed:
 * first without polkitd on the bus (anyone may monitor, only root may
 * manage), then with a real polkitd serving that bus, with Hangar's own
 * action file and rules, and a test authentication agent. Needs root. */

#include "hangar-test-env.h"
#include "hangard-error.h"

#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define STATE_TIMEOUT_S   120
#define POLKIT_TIMEOUT_S  20

/* The unprivileged users of the tests: "nobody" is in no group that
 * matters, "daemon" is made a member of "hangar" for polkitd. */
#define OUTSIDER        "nobody"
#define OUTSIDER_GROUP  "nogroup"
#define MEMBER          "daemon"
#define MEMBER_GROUP    "daemon"

static gboolean
skip_unless_root (void)
{
  if (getuid () == 0)
    return FALSE;
  g_test_skip ("needs root: a system engine and clients running as other users");
  return TRUE;
}

/* Lets other users reach the bus socket (and polkitd, running as its own
 * user, too); the tree stays unreadable to them. */
static void
open_bus_to_everyone (HangarTestEnv *env)
{
  g_autofree char *bus_dir = g_build_filename (env->tmpdir, "bus", NULL);

  g_assert_cmpint (g_chmod (env->tmpdir, 0711), ==, 0);
  g_assert_cmpint (g_chmod (bus_dir, 0711), ==, 0);
}

static HangarTestEnv *
system_env_new (void)
{
  HangarTestEnv *env = hangar_test_env_new (TRUE);

  open_bus_to_everyone (env);
  return env;
}

/* A file other users can read, in the env's tree. */
static char *
write_public_file (HangarTestEnv *env,
                   const char    *name,
                   const char    *contents)
{
  g_autofree char *path = g_build_filename (env->tmpdir, name, NULL);

  g_assert_true (g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_NONE, 0644, NULL));
  return g_steal_pointer (&path);
}

/* ---- Clients as other users ----------------------------------------------- */

typedef struct {
  GSubprocess *process;
  GPid         pid;
  char        *out;
  char        *err;
  gboolean     done;
} Client;

static void
client_clear (Client *client)
{
  g_clear_object (&client->process);
  g_clear_pointer (&client->out, g_free);
  g_clear_pointer (&client->err, g_free);
}

/* Runs `argv` as `user` (NULL: root, as the test). It waits for a line on
 * its stdin before it execs, so a test can register an authentication
 * agent for its pid first; client_finish() sends that line. */
static void
client_spawn (HangarTestEnv      *env,
              const char         *user,
              const char         *group,
              const char * const *argv,
              Client             *client)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) full = g_ptr_array_new ();
  g_auto(GStrv) envp = hangar_test_ctl_environ (env, NULL);
  g_autofree char *command = NULL;
  g_autoptr(GError) error = NULL;

  if (user != NULL)
    {
      g_ptr_array_add (full, (char *) "setpriv");
      g_ptr_array_add (full, g_strconcat ("--reuid=", user, NULL));
      g_ptr_array_add (full, g_strconcat ("--regid=", group, NULL));
      g_ptr_array_add (full, (char *) "--clear-groups");
      g_ptr_array_add (full, (char *) "--");
    }
  g_ptr_array_add (full, (char *) "sh");
  g_ptr_array_add (full, (char *) "-c");
  g_ptr_array_add (full, (char *) "read -r go && exec \"$0\" \"$@\"");
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (full, (char *) argv[i]);
  g_ptr_array_add (full, NULL);

  command = g_strjoinv (" ", (char **) argv);
  g_test_message ("%s$ %s", user ? user : "root", command);

  g_subprocess_launcher_set_environ (launcher, envp);
  memset (client, 0, sizeof *client);
  client->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) full->pdata, &error);
  g_assert_no_error (error);
  client->pid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (client->process), NULL, 10);

  if (user != NULL)
    {
      g_free (full->pdata[1]);
      g_free (full->pdata[2]);
    }
}

static void
on_client_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Client *client = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &client->out, &client->err, &error);
  g_assert_no_error (error);
  client->done = TRUE;
}

static gboolean
client_is_done (gpointer data)
{
  return ((Client *) data)->done;
}

/* Lets the client go, runs the main loop (for the test's agent) until it
 * exits; returns its exit status. */
static int
client_finish (Client *client,
               guint   timeout_s)
{
  g_subprocess_communicate_utf8_async (client->process, "go\n", NULL, on_client_done, client);
  if (!hangar_test_wait_until (client_is_done, client, timeout_s))
    g_error ("the client did not finish within %u s", timeout_s);
  if (!g_subprocess_get_if_exited (client->process))
    g_error ("the client was killed by a signal; stderr: %s", client->err);
  return g_subprocess_get_exit_status (client->process);
}

/* hangarctl --connect <the env's bus> ARGS… as `user`. */
static int
ctl_as (HangarTestEnv  *env,
        const char     *user,
        const char     *group,
        char          **out,
        char          **err,
        const char     *first,
        ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_auto(GStrv) argv = NULL;
  Client client;
  va_list ap;
  int status;

  va_start (ap, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  argv = hangar_test_ctl_argv (env, NULL, (const char * const *) args->pdata);
  client_spawn (env, user, group, (const char * const *) argv, &client);
  status = client_finish (&client, STATE_TIMEOUT_S);
  g_free (*out);
  g_free (*err);
  *out = g_steal_pointer (&client.out);
  *err = g_steal_pointer (&client.err);
  client_clear (&client);
  return status;
}

#define ctl_as_outsider(env, out, err, ...) ctl_as ((env), OUTSIDER, OUTSIDER_GROUP, (out), (err), __VA_ARGS__)
#define ctl_as_member(env, out, err, ...)   ctl_as ((env), MEMBER, MEMBER_GROUP, (out), (err), __VA_ARGS__)

/* ---- What must not change ------------------------------------------------- */

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* Every definition file of the env's engine, names and contents. */
static char *
definitions_snapshot (HangarTestEnv *env)
{
  g_autofree char *dir_path = g_build_filename (env->root, "etc", "hangar", "machines", NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GString *snapshot = g_string_new (NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir_path, g_ptr_array_index (names, i), NULL);
      g_autofree char *contents = NULL;

      g_file_get_contents (path, &contents, NULL, NULL);
      g_string_append_printf (snapshot, "== %s\n%s\n", (char *) g_ptr_array_index (names, i),
                              contents ? contents : "(unreadable)");
    }
  return g_string_free (snapshot, FALSE);
}

static void
assert_state (HangarTestEnv *env,
              const char    *name,
              const char    *state)
{
  g_autoptr(HangarMachine) machine = hangar_test_env_lookup (env, name);

  if (!hangar_test_wait_for_state (machine, state, 5))
    g_error ("machine %s is %s, expected %s", name, hangar_machine_get_state (machine), state);
}

static void
start_as_root (HangarTestEnv *env,
               const char    *name)
{
  g_autoptr(HangarMachine) machine = hangar_test_env_lookup (env, name);
  g_autoptr(GError) error = NULL;

  hangar_machine_call_start_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "running", STATE_TIMEOUT_S));
}

static void
force_off_as_root (HangarTestEnv *env,
                   const char    *name)
{
  g_autoptr(HangarMachine) machine = hangar_test_env_lookup (env, name);
  g_autoptr(GError) error = NULL;

  hangar_machine_call_force_off_sync (machine, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (hangar_test_wait_for_state (machine, "shutoff", STATE_TIMEOUT_S));
}

/* Two machines: "guarded" off, "busy" running. */
static void
define_machines (HangarTestEnv *env)
{
  g_autofree char *guarded = hangar_test_env_guest_xml (env, "guarded", NULL);
  g_autofree char *busy = hangar_test_env_guest_xml (env, "busy", NULL);
  g_autoptr(HangarMachine) m1 = hangar_test_env_define (env, guarded);
  g_autoptr(HangarMachine) m2 = hangar_test_env_define (env, busy);

  start_as_root (env, "busy");
}

/* An outsider can list, look at and read the definitions of machines, and
 * cannot start, define, undefine or destroy one: each refusal is
 * NotAuthorized with `refusal` in its message, and nothing changes. */
static void
assert_outsider_monitors_only (HangarTestEnv *env,
                               const char    *refusal)
{
  g_autofree char *before = definitions_snapshot (env);
  g_autofree char *after = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *intruder_xml = hangar_test_env_guest_xml (env, "intruder", NULL);
  g_autofree char *intruder = write_public_file (env, "intruder.xml", intruder_xml);
  int status;

  g_assert_cmpint (ctl_as_outsider (env, &out, &err, "list", "--all", NULL), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_nonnull (strstr (out, "guarded"));
  g_assert_nonnull (strstr (out, "busy"));
  g_assert_cmpint (ctl_as_outsider (env, &out, &err, "dominfo", "busy", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "running"));
  g_assert_cmpint (ctl_as_outsider (env, &out, &err, "dumpxml", "guarded", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "<name>guarded</name>"));
  g_assert_cmpint (ctl_as_outsider (env, &out, &err, "nodeinfo", NULL), ==, 0);

  status = ctl_as_outsider (env, &out, &err, "start", "guarded", NULL);
  hangar_assert_ctl_error (status, err, refusal);
  status = ctl_as_outsider (env, &out, &err, "define", intruder, NULL);
  hangar_assert_ctl_error (status, err, refusal);
  status = ctl_as_outsider (env, &out, &err, "undefine", "guarded", NULL);
  hangar_assert_ctl_error (status, err, refusal);
  status = ctl_as_outsider (env, &out, &err, "destroy", "busy", NULL);
  hangar_assert_ctl_error (status, err, refusal);

  after = definitions_snapshot (env);
  g_assert_cmpstr (after, ==, before);
  assert_state (env, "guarded", "shutoff");
  assert_state (env, "busy", "running");
}

/* Root may do everything: start, destroy, undefine. */
static void
assert_root_manages (HangarTestEnv *env)
{
  g_autofree char *out = NULL;

  hangar_test_ctl_ok (env, &out, "start", "guarded", NULL);
  assert_state (env, "guarded", "running");
  hangar_test_ctl_ok (env, &out, "destroy", "guarded", NULL);
  assert_state (env, "guarded", "shutoff");
  hangar_test_ctl_ok (env, &out, "destroy", "busy", NULL);
  hangar_test_ctl_ok (env, &out, "undefine", "guarded", NULL);
}

/* ---- Every method of every interface -------------------------------------- */

/* The methods a monitor may call; every other one needs manage. */
static const char * const monitor_methods[] = {
  "Manager.ValidateMachineXml",
  "Manager.LookupMachine",
  "Manager.LookupPool",
  "Manager.LookupNetwork",
  "Manager.GetHostInfo",
  "Machine.GetXml",
  "Machine.GetConsoleLog",
  "Machine.GetQemuLog",
  "Machine.GetStats",
  "Machine.GetInterfaces",
  "Machine.LookupSnapshot",
  "Snapshot.GetXml",
  "StoragePool.GetXml",
  "Volume.GetXml",
  "Network.GetXml",
  "Network.GetDhcpLeases",
  NULL
};

typedef struct {
  const char          *short_name;   /* "Machine" */
  GDBusInterfaceInfo *(*info) (void);
} Interface;

static const Interface interfaces[] = {
  { "Manager", hangar_manager_interface_info },
  { "Machine", hangar_machine_interface_info },
  { "Snapshot", hangar_snapshot_interface_info },
  { "StoragePool", hangar_storage_pool_interface_info },
  { "Volume", hangar_volume_interface_info },
  { "Job", hangar_job_interface_info },
  { "Network", hangar_network_interface_info },
};

static GVariant *
default_value (const GVariantType *type)
{
  if (g_variant_type_is_array (type))
    return g_variant_new_array (g_variant_type_element (type), NULL, 0);
  if (g_variant_type_is_maybe (type))
    return g_variant_new_maybe (g_variant_type_element (type), NULL);
  if (g_variant_type_is_variant (type))
    return g_variant_new_variant (g_variant_new_int32 (0));
  if (g_variant_type_is_tuple (type) || g_variant_type_is_dict_entry (type))
    {
      g_autoptr(GPtrArray) children = g_ptr_array_new ();

      for (const GVariantType *item = g_variant_type_first (type); item; item = g_variant_type_next (item))
        g_ptr_array_add (children, default_value (item));
      if (g_variant_type_is_dict_entry (type))
        return g_variant_new_dict_entry (children->pdata[0], children->pdata[1]);
      return g_variant_new_tuple ((GVariant **) children->pdata, children->len);
    }
  switch (g_variant_type_peek_string (type)[0])
    {
    case 'b': return g_variant_new_boolean (FALSE);
    case 'y': return g_variant_new_byte (0);
    case 'n': return g_variant_new_int16 (0);
    case 'q': return g_variant_new_uint16 (0);
    case 'i': return g_variant_new_int32 (0);
    case 'u': return g_variant_new_uint32 (0);
    case 'x': return g_variant_new_int64 (0);
    case 't': return g_variant_new_uint64 (0);
    case 'd': return g_variant_new_double (0);
    case 'h': return g_variant_new_handle (0);
    case 'o': return g_variant_new_object_path ("/");
    case 'g': return g_variant_new_signature ("");
    case 's':
    default:  return g_variant_new_string ("");
    }
}

static GVariant *
default_arguments (GDBusMethodInfo *method)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();

  for (guint i = 0; method->in_args && method->in_args[i]; i++)
    {
      g_autoptr(GVariantType) type = g_variant_type_new (method->in_args[i]->signature);
      g_ptr_array_add (args, default_value (type));
    }
  return g_variant_new_tuple ((GVariant **) args->pdata, args->len);
}

/* Client side, run as another user (test-system --sweep ADDRESS
 * Interface=PATH…): calls every method of each named object with empty
 * arguments, never allowing interaction, and prints one line per method:
 * "Interface.Method RESULT", RESULT being "ok" or the D-Bus error name. */
static int
sweep (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection =
    g_dbus_connection_new_for_address_sync (argv[0], G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                     G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                            NULL, NULL, &error);

  if (connection == NULL)
    {
      g_printerr ("sweep: %s\n", error->message);
      return 1;
    }

  for (guint a = 1; argv[a] != NULL; a++)
    {
      g_auto(GStrv) pair = g_strsplit (argv[a], "=", 2);
      const Interface *interface = NULL;
      GDBusInterfaceInfo *info;

      for (guint i = 0; i < G_N_ELEMENTS (interfaces); i++)
        if (g_str_equal (interfaces[i].short_name, pair[0]))
          interface = &interfaces[i];
      g_assert_nonnull (interface);
      info = interface->info ();

      for (guint m = 0; info->methods && info->methods[m]; m++)
        {
          GDBusMethodInfo *method = info->methods[m];
          g_autoptr(GUnixFDList) fds = g_unix_fd_list_new ();
          g_autoptr(GVariant) reply = NULL;
          g_autoptr(GError) call_error = NULL;
          g_autofree char *remote = NULL;
          int null_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);

          g_unix_fd_list_append (fds, null_fd, NULL);
          close (null_fd);
          reply = g_dbus_connection_call_with_unix_fd_list_sync (connection, "io.github.hangarvm.Hangar1", pair[1],
                                                                 info->name, method->name,
                                                                 default_arguments (method), NULL,
                                                                 G_DBUS_CALL_FLAGS_NONE, 20000, fds, NULL,
                                                                 NULL, &call_error);
          if (reply != NULL)
            g_print ("%s.%s ok\n", interface->short_name, method->name);
          else
            {
              remote = g_dbus_error_get_remote_error (call_error);
              g_print ("%s.%s %s\n", interface->short_name, method->name,
                       remote ? remote : call_error->message);
            }
        }
    }
  return 0;
}

static const char *
first_path_with (HangarTestEnv *env,
                 const char    *interface_name)
{
  GList *objects = g_dbus_object_manager_get_objects (env->object_manager);
  const char *found = NULL;

  for (GList *l = objects; l != NULL; l = l->next)
    {
      g_autoptr(GDBusInterface) interface = g_dbus_object_get_interface (l->data, interface_name);

      if (interface != NULL && found == NULL)
        found = g_intern_string (g_dbus_object_get_object_path (l->data));
    }
  g_list_free_full (objects, g_object_unref);
  return found;
}

/* Runs the sweep as the outsider and checks every answer: a monitor
 * method is never refused, any other one always is (a method without a
 * handler yet answers UnknownMethod: it does nothing, and is reported). */
static void
assert_every_method_guarded (HangarTestEnv *env)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) lines = NULL;
  g_autofree char *out = NULL;
  Client client;
  guint checked = 0;

  g_ptr_array_add (args, g_strdup_printf ("Manager=%s", "/io/github/hangarvm/Hangar1"));
  for (guint i = 1; i < G_N_ELEMENTS (interfaces); i++)
    {
      g_autofree char *name = g_strconcat ("io.github.hangarvm.Hangar1.", interfaces[i].short_name, NULL);
      const char *path = first_path_with (env, name);

      if (path == NULL)
        {
          g_test_message ("no %s object: its methods are not swept", interfaces[i].short_name);
          continue;
        }
      g_ptr_array_add (args, g_strdup_printf ("%s=%s", interfaces[i].short_name, path));
    }

  g_ptr_array_add (argv, (char *) g_test_get_filename (G_TEST_BUILT, "test-system", NULL));
  g_ptr_array_add (argv, (char *) "--sweep");
  g_ptr_array_add (argv, env->bus_address);
  for (guint i = 0; i < args->len; i++)
    g_ptr_array_add (argv, args->pdata[i]);
  g_ptr_array_add (argv, NULL);

  client_spawn (env, OUTSIDER, OUTSIDER_GROUP, (const char * const *) argv->pdata, &client);
  g_assert_cmpint (client_finish (&client, 600), ==, 0);
  out = g_steal_pointer (&client.out);
  client_clear (&client);

  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], " ", 2);
      gboolean monitor, refused;

      if (fields[0] == NULL || fields[1] == NULL)
        continue;
      monitor = g_strv_contains (monitor_methods, fields[0]);
      refused = g_str_equal (fields[1], "io.github.hangarvm.Hangar1.Error.NotAuthorized");
      if (g_str_equal (fields[1], "org.freedesktop.DBus.Error.UnknownMethod"))
        {
          g_test_message ("%s has no handler yet", fields[0]);
          continue;
        }
      if (monitor && refused)
        g_error ("%s is a monitor method, but an outsider was refused", fields[0]);
      if (!monitor && !refused)
        g_error ("%s needs manage, but an outsider got: %s", fields[0], fields[1]);
      checked++;
    }
  g_test_message ("%u methods checked", checked);
  g_assert_cmpuint (checked, >, 40);
}

static gboolean
has_every_kind_of_object (gpointer data)
{
  HangarTestEnv *env = data;

  return first_path_with (env, "io.github.hangarvm.Hangar1.Volume") != NULL &&
         first_path_with (env, "io.github.hangarvm.Hangar1.Job") != NULL &&
         first_path_with (env, "io.github.hangarvm.Hangar1.Snapshot") != NULL;
}

/* A pool volume (and with it a job: jobs stay visible for a minute), and
 * a machine on it with a snapshot, so that the sweep reaches the Volume,
 * Job and Snapshot interfaces too. */
static void
make_storage_objects (HangarTestEnv *env)
{
  g_autofree char *out = NULL;
  g_autofree char *guest = hangar_test_env_guest_xml (env, "snappy", NULL);
  g_autoptr(GString) xml = g_string_new (guest);
  g_autoptr(HangarMachine) machine = NULL;

  hangar_test_ctl_ok (env, &out, "vol-create-as", "default", "sweep.qcow2", "16M", "--format", "qcow2", NULL);
  g_string_replace (xml, "<devices>",
                    "<devices>\n"
                    "    <disk type='volume' device='disk'>\n"
                    "      <driver name='qemu' type='qcow2'/>\n"
                    "      <source pool='default' volume='sweep.qcow2'/>\n"
                    "      <target dev='vda' bus='virtio'/>\n"
                    "    </disk>", 1);
  machine = hangar_test_env_define (env, xml->str);
  hangar_test_ctl_ok (env, &out, "snapshot-create-as", "snappy", "sweep", NULL);
  g_assert_true (hangar_test_wait_until (has_every_kind_of_object, env, 10));
}

/* ---- Without polkit ------------------------------------------------------- */

/* No polkitd on the engine's bus: anyone may monitor, only root manage. */
static void
test_without_polkit (void)
{
  HangarTestEnv *env;

  if (skip_unless_root ())
    return;

  env = system_env_new ();
  define_machines (env);
  assert_outsider_monitors_only (env, "without polkit, only root may make changes");
  make_storage_objects (env);
  assert_every_method_guarded (env);
  assert_root_manages (env);
  hangar_test_env_free (env);
}

/* ---- A real polkitd ------------------------------------------------------- */

static const char *
find_polkitd (void)
{
  static const char * const candidates[] = {
    "/usr/lib/polkit-1/polkitd", "/usr/libexec/polkitd", "/usr/libexec/polkit-1/polkitd", NULL
  };

  for (guint i = 0; candidates[i] != NULL; i++)
    if (g_file_test (candidates[i], G_FILE_TEST_IS_EXECUTABLE))
      return candidates[i];
  return NULL;
}

static char *
make_public_dir (HangarTestEnv *env,
                 const char    *name)
{
  g_autofree char *path = g_build_filename (env->tmpdir, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);
  g_assert_cmpint (g_chmod (path, 0755), ==, 0);
  return g_steal_pointer (&path);
}

static void
copy_public (const char *source,
             const char *dir,
             const char *name)
{
  g_autofree char *target = g_build_filename (dir, name, NULL);
  g_autofree char *contents = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (source, &contents, &length, NULL));
  g_assert_true (g_file_set_contents_full (target, contents, length, G_FILE_SET_CONTENTS_NONE, 0644, NULL));
}

/* /etc/group as polkitd sees it: MEMBER in the group "hangar". */
static void
write_group_file (const char *path)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  GString *out = g_string_new (NULL);
  g_autofree char *text = NULL;

  g_assert_true (g_file_get_contents ("/etc/group", &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0' && !g_str_has_prefix (lines[i], "hangar:"))
      g_string_append_printf (out, "%s\n", lines[i]);
  g_string_append (out, "hangar:x:64999:" MEMBER "\n");
  text = g_string_free (out, FALSE);
  g_assert_true (g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_NONE, 0644, NULL));
}

static void
on_polkit_appeared (GDBusConnection *connection,
                    const char      *name,
                    const char      *owner,
                    gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

static gboolean
flag_is_set (gpointer data)
{
  return *(gboolean *) data;
}

/* A real polkitd on the env's bus, in a mount namespace of its own where
 * its action and rule directories hold only Hangar's installed files (from
 * the build tree) and /etc/group makes MEMBER a member of "hangar". The
 * host's polkit files are not touched. Returns 0 (and skips the test) when
 * that cannot be done here. */
static GPid
start_polkitd (HangarTestEnv *env)
{
  const char *polkitd = find_polkitd ();
  g_autofree char *unshare = g_find_program_in_path ("unshare");
  g_autofree char *actions = NULL, *rules = NULL, *etc_rules = NULL, *group = NULL, *script = NULL;
  g_autofree char *log_path = g_build_filename (env->tmpdir, "polkitd.log", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) envp = NULL;
  gboolean appeared = FALSE;
  guint watch;
  GPid pid;
  const char *argv[] = { "unshare", "--mount", "--propagation", "private", "sh", "-c", NULL, NULL };

  if (polkitd == NULL || unshare == NULL || !g_file_test ("/usr/share/polkit-1/actions", G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("polkitd is not installed (Debian: apt install polkitd)");
      return 0;
    }

  actions = make_public_dir (env, "polkit/actions");
  rules = make_public_dir (env, "polkit/rules.d");
  etc_rules = make_public_dir (env, "polkit/etc-rules.d");
  copy_public (g_getenv ("HANGAR_POLKIT_POLICY"), actions, "io.github.hangarvm.hangar.policy");
  copy_public (g_getenv ("HANGAR_POLKIT_RULES"), rules, "50-io.github.hangarvm.hangar.rules");
  group = g_build_filename (env->tmpdir, "polkit", "group", NULL);
  write_group_file (group);

  script = g_strdup_printf ("mount --bind '%s' /usr/share/polkit-1/actions && "
                            "mount --bind '%s' /usr/share/polkit-1/rules.d && "
                            "{ ! [ -d /etc/polkit-1/rules.d ] || mount --bind '%s' /etc/polkit-1/rules.d; } && "
                            "mount --bind '%s' /etc/group && "
                            "exec '%s' --no-debug >'%s' 2>&1",
                            actions, rules, etc_rules, group, polkitd, log_path);
  argv[6] = script;
  envp = g_environ_setenv (g_get_environ (), "DBUS_SYSTEM_BUS_ADDRESS", env->bus_address, TRUE);
  if (!g_spawn_async (NULL, (char **) argv, envp, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                      NULL, NULL, &pid, &error))
    {
      g_autofree char *message = g_strdup_printf ("cannot start polkitd: %s", error->message);

      g_test_skip (message);
      return 0;
    }

  watch = g_bus_watch_name_on_connection (env->connection, "org.freedesktop.PolicyKit1",
                                          G_BUS_NAME_WATCHER_FLAGS_NONE, on_polkit_appeared, NULL,
                                          &appeared, NULL);
  hangar_test_wait_until (flag_is_set, &appeared, POLKIT_TIMEOUT_S);
  g_bus_unwatch_name (watch);
  if (!appeared)
    {
      g_autofree char *log = NULL;
      g_autofree char *message = NULL;

      g_file_get_contents (log_path, &log, NULL, NULL);
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      message = g_strdup_printf ("polkitd did not start on the test bus (a mount namespace may not "
                                 "be allowed here): %s", log ? log : "");
      g_test_skip (message);
      return 0;
    }
  return pid;
}

static void
stop_polkitd (GPid pid)
{
  if (pid == 0)
    return;
  kill (pid, SIGTERM);
  waitpid (pid, NULL, 0);
}

/* The installed action file as polkit reads it. */
static void
assert_pkaction (HangarTestEnv *env)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "DBUS_SYSTEM_BUS_ADDRESS", env->bus_address, TRUE);
  const char *argv[] = { "pkaction", "--verbose", "--action-id", "io.github.hangarvm.hangar.manage", NULL };
  int status;

  g_autofree char *pkaction = g_find_program_in_path ("pkaction");

  envp = g_environ_setenv (envp, "LC_ALL", "C.UTF-8", TRUE);
  if (pkaction == NULL)
    {
      g_test_message ("no pkaction: the action file is checked by polkitd alone");
      return;
    }
  g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  g_test_message ("%s", out);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (out, "description:       Manage the system"));
  g_assert_nonnull (strstr (out, "implicit any:      auth_admin_keep"));
  g_assert_nonnull (strstr (out, "implicit active:   auth_admin_keep"));
  argv[3] = "io.github.hangarvm.hangar.monitor";
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (out, "implicit any:      yes"));
}

/* polkit as installed: anyone may monitor; manage needs an administrator's
 * password, asked only when the call allows it (and there is an agent);
 * members of "hangar" may manage without one. */
static void
test_polkit (void)
{
  g_autofree char *out = NULL, *err = NULL;
  HangarTestEnv *env;
  GPid polkitd;
  int status;

  if (skip_unless_root ())
    return;

  env = system_env_new ();
  polkitd = start_polkitd (env);
  if (polkitd == 0)
    {
      hangar_test_env_free (env);
      return;
    }
  assert_pkaction (env);
  define_machines (env);

  /* hangarctl allows interaction by default: with no agent, polkit says so. */
  assert_outsider_monitors_only (env, "no polkit authentication agent");
  status = ctl_as_outsider (env, &out, &err, "--no-ask-password", "start", "guarded", NULL);
  hangar_assert_ctl_error (status, err, "did not allow an authentication dialog");
  assert_state (env, "guarded", "shutoff");

  /* The rule for the group "hangar", no password. */
  g_assert_cmpint (ctl_as_member (env, &out, &err, "--no-ask-password", "start", "guarded", NULL), ==, 0);
  assert_state (env, "guarded", "running");
  g_assert_cmpint (ctl_as_member (env, &out, &err, "--no-ask-password", "destroy", "guarded", NULL), ==, 0);
  assert_state (env, "guarded", "shutoff");

  make_storage_objects (env);
  assert_every_method_guarded (env);
  assert_root_manages (env);

  hangar_test_env_free (env);
  stop_polkitd (polkitd);
}

/* ---- A test authentication agent ------------------------------------------ */

typedef enum {
  AGENT_APPROVE,   /* authenticate as the first identity offered (root) */
  AGENT_DISMISS,   /* the user closed the dialog */
  AGENT_HANG,      /* never answer */
} AgentMode;

typedef struct {
  HangarTestEnv         *env;
  AgentMode              mode;
  guint                  registration;
  guint                  n_asked;
  char                  *action_id;
  char                  *message;
  GDBusMethodInvocation *hanging;
} Agent;

#define AGENT_PATH "/io/github/hangarvm/test/agent"

static const char agent_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.PolicyKit1.AuthenticationAgent'>"
  "    <method name='BeginAuthentication'>"
  "      <arg type='s' name='action_id' direction='in'/>"
  "      <arg type='s' name='message' direction='in'/>"
  "      <arg type='s' name='icon_name' direction='in'/>"
  "      <arg type='a{ss}' name='details' direction='in'/>"
  "      <arg type='s' name='cookie' direction='in'/>"
  "      <arg type='a(sa{sv})' name='identities' direction='in'/>"
  "    </method>"
  "    <method name='CancelAuthentication'>"
  "      <arg type='s' name='cookie' direction='in'/>"
  "    </method>"
  "  </interface>"
  "</node>";

typedef struct {
  GDBusMethodInvocation *invocation;
} Approval;

static void
on_response_sent (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  g_assert_no_error (error);
  g_dbus_method_invocation_return_value (g_steal_pointer (&invocation), NULL);
}

static void
on_agent_call (GDBusConnection       *connection,
               const char            *sender,
               const char            *object_path,
               const char            *interface_name,
               const char            *method_name,
               GVariant              *parameters,
               GDBusMethodInvocation *invocation,
               gpointer               user_data)
{
  Agent *agent = user_data;
  const char *action_id, *message, *icon, *cookie;
  g_autoptr(GVariant) details = NULL;
  g_autoptr(GVariant) identities = NULL;
  g_autoptr(GVariant) identity = NULL;

  if (g_str_equal (method_name, "CancelAuthentication"))
    {
      g_dbus_method_invocation_return_value (invocation, NULL);
      return;
    }

  g_variant_get (parameters, "(&s&s&s@a{ss}&s@a(sa{sv}))", &action_id, &message, &icon, &details, &cookie,
                 &identities);
  agent->n_asked++;
  g_free (agent->action_id);
  g_free (agent->message);
  agent->action_id = g_strdup (action_id);
  agent->message = g_strdup (message);
  g_test_message ("agent asked: %s “%s”", action_id, message);

  switch (agent->mode)
    {
    case AGENT_APPROVE:
      /* What polkit-agent-helper-1 says once PAM accepted the password. */
      g_assert_cmpuint (g_variant_n_children (identities), >, 0);
      identity = g_variant_get_child_value (identities, 0);
      g_dbus_connection_call (connection, "org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
                              "org.freedesktop.PolicyKit1.Authority", "AuthenticationAgentResponse2",
                              g_variant_new ("(us@(sa{sv}))", (guint32) getuid (), cookie, identity),
                              NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_response_sent, invocation);
      break;
    case AGENT_DISMISS:
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.PolicyKit1.Error.Cancelled",
                                                  "The test dismissed the dialog");
      break;
    case AGENT_HANG:
    default:
      agent->hanging = invocation;
      break;
    }
}

static const GDBusInterfaceVTable agent_vtable = { on_agent_call, NULL, NULL, { 0 } };

static guint64
process_start_time (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_comm;

  g_assert_true (g_file_get_contents (path, &stat, NULL, NULL));
  /* Field 22, counted after the command name (which may hold spaces). */
  after_comm = strrchr (stat, ')');
  g_assert_nonnull (after_comm);
  fields = g_strsplit (after_comm + 2, " ", -1);
  g_assert_cmpuint (g_strv_length (fields), >, 19);
  return g_ascii_strtoull (fields[19], NULL, 10);
}

/* Registers `agent` for the process `pid` only, as pkttyagent --process
 * does: polkit asks it for that process's calls. */
static void
agent_register (Agent *agent,
                GPid   pid,
                uid_t  uid)
{
  g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml (agent_xml, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  GVariantBuilder details;

  if (agent->registration == 0)
    {
      agent->registration = g_dbus_connection_register_object (agent->env->connection, AGENT_PATH,
                                                               node->interfaces[0], &agent_vtable, agent,
                                                               NULL, &error);
      g_assert_no_error (error);
    }

  g_variant_builder_init (&details, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&details, "{sv}", "pid", g_variant_new_uint32 ((guint32) pid));
  g_variant_builder_add (&details, "{sv}", "start-time", g_variant_new_uint64 (process_start_time (pid)));
  g_variant_builder_add (&details, "{sv}", "uid", g_variant_new_int32 ((gint32) uid));
  reply = g_dbus_connection_call_sync (agent->env->connection, "org.freedesktop.PolicyKit1",
                                       "/org/freedesktop/PolicyKit1/Authority",
                                       "org.freedesktop.PolicyKit1.Authority", "RegisterAuthenticationAgent",
                                       g_variant_new ("((sa{sv})ss)", "unix-process", &details, "C", AGENT_PATH),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
}

static void
agent_clear (Agent *agent)
{
  if (agent->hanging != NULL)
    g_dbus_method_invocation_return_dbus_error (g_steal_pointer (&agent->hanging),
                                                "org.freedesktop.PolicyKit1.Error.Cancelled", "test over");
  if (agent->registration != 0)
    g_dbus_connection_unregister_object (agent->env->connection, agent->registration);
  g_free (agent->action_id);
  g_free (agent->message);
}

/* hangarctl ARGS… as the outsider, with `agent` registered for it. */
static int
ctl_with_agent (Agent       *agent,
                char       **err,
                const char  *first,
                ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_auto(GStrv) argv = NULL;
  struct passwd *pw = getpwnam (OUTSIDER);
  Client client;
  va_list ap;
  int status;

  va_start (ap, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  g_assert_nonnull (pw);
  argv = hangar_test_ctl_argv (agent->env, NULL, (const char * const *) args->pdata);
  client_spawn (agent->env, OUTSIDER, OUTSIDER_GROUP, (const char * const *) argv, &client);
  /* Its pid is hangarctl's once it execs. */
  agent_register (agent, client.pid, pw->pw_uid);
  status = client_finish (&client, STATE_TIMEOUT_S);
  g_free (*err);
  *err = g_steal_pointer (&client.err);
  client_clear (&client);
  return status;
}

/* The dialog: polkit asks the caller's agent when the call allows it (and
 * only then), the engine waits for the answer and acts on it. */
static void
test_polkit_agent (void)
{
  g_autofree char *err = NULL;
  Agent agent = { 0 };
  HangarTestEnv *env;
  GPid polkitd;
  gint64 started;
  int status;

  if (skip_unless_root ())
    return;

  env = system_env_new ();
  polkitd = start_polkitd (env);
  if (polkitd == 0)
    {
      hangar_test_env_free (env);
      return;
    }
  agent.env = env;
  define_machines (env);

  /* No interaction allowed: refused at once, the agent never asked (it
   * would never answer). */
  agent.mode = AGENT_HANG;
  started = g_get_monotonic_time ();
  status = ctl_with_agent (&agent, &err, "--no-ask-password", "start", "guarded", NULL);
  hangar_assert_ctl_error (status, err, "did not allow an authentication dialog");
  g_assert_cmpuint (agent.n_asked, ==, 0);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 60 * G_USEC_PER_SEC);
  assert_state (env, "guarded", "shutoff");

  /* Dismissed: refused, nothing happens. */
  agent.mode = AGENT_DISMISS;
  status = ctl_with_agent (&agent, &err, "start", "guarded", NULL);
  hangar_assert_ctl_error (status, err, "dismissed");
  g_assert_cmpuint (agent.n_asked, ==, 1);
  g_assert_cmpstr (agent.action_id, ==, "io.github.hangarvm.hangar.manage");
  g_assert_cmpstr (agent.message, ==, "Authentication is required to manage the system’s virtual machines");
  assert_state (env, "guarded", "shutoff");

  /* Authenticated: the machine starts. */
  agent.mode = AGENT_APPROVE;
  g_assert_cmpint (ctl_with_agent (&agent, &err, "start", "guarded", NULL), ==, 0);
  g_assert_cmpuint (agent.n_asked, ==, 2);
  assert_state (env, "guarded", "running");

  /* Monitoring never needs the agent. */
  agent.mode = AGENT_HANG;
  g_assert_cmpint (ctl_with_agent (&agent, &err, "dominfo", "guarded", NULL), ==, 0);
  g_assert_cmpuint (agent.n_asked, ==, 2);

  force_off_as_root (env, "guarded");
  force_off_as_root (env, "busy");
  agent_clear (&agent);
  hangar_test_env_free (env);
  stop_polkitd (polkitd);
}

int
main (int   argc,
      char *argv[])
{
  if (argc > 2 && g_str_equal (argv[1], "--sweep"))
    return sweep ((const char * const *) argv + 2);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/system/without-polkit", test_without_polkit);
  g_test_add_func ("/system/polkit", test_polkit);
  g_test_add_func ("/system/polkit-agent", test_polkit_agent);

  return g_test_run ();
}
