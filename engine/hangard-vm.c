/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-vm"

#include "hangard-vm.h"
#include "hangard-error.h"
#include "hangard-passt.h"
#include "hangard-qemu-argv.h"
#include "hangard-qemu-sandbox.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long QEMU gets to reach its QMP greeting and run the guest. */
#define START_TIMEOUT_SECONDS 60
/* ForceOff: SIGTERM first (QEMU flushes and exits), SIGKILL after this. */
#define FORCE_OFF_GRACE_SECONDS 5
/* The fd numbers QEMU inherits its listening sockets at. */
#define QMP_CHILD_FD 3
#define SERIAL_CHILD_FD 4
/* Taps follow: NIC i is at FIRST_TAP_CHILD_FD + i. */
#define FIRST_TAP_CHILD_FD 5
/* How much of QEMU's log a failed start quotes. */
#define START_ERROR_LOG_BYTES 2048

struct _HangardVm
{
  GObject         parent_instance;

  char           *uuid;
  char           *runtime_dir;
  char           *qmp_path;
  char           *serial_path;
  char           *pid_path;
  char           *run_info_path;
  char           *console_log_path;
  char           *qemu_log_path;

  HangardVmState  state;
  char           *reason;
  GPid            pid;
  gboolean        is_our_child;
  int             pidfd;
  guint           pidfd_watch;
  char           *accelerator;
  guint64         start_time;

  GStrv           tap_names;         /* per NIC, "" for user networking */
  GStrv           nic_backends;      /* per NIC: "tap", "passt" or "slirp" */
  GStrv           disk_paths;        /* the running QEMU's disk files */
  char           *running_xml;       /* the definition the running QEMU was started from */
  char           *qemu_dir;          /* system mode: QEMU's private directory, and */
  GStrv           qemu_cgroups;      /* the cgroups the engine made for it: gone with QEMU */
  char           *qemu_console_log;  /* the console log as QEMU names it (/dev/fdset/N in
                                        system mode, where QEMU cannot open it itself) */

  HangardQmp     *qmp;
  GTask          *start_task;        /* pending Start, completed once */
  goffset         start_log_offset;  /* where this run's QEMU output begins */
  guint           start_timeout;
  GPtrArray      *exit_waiters;      /* GTask*: ForceOff calls waiting for QEMU to go */
  guint           kill_timeout;

  gboolean        shutdown_seen;     /* QEMU reported SHUTDOWN: its exit is expected */
  char           *shutdown_reason;
  gboolean        reboot_pending;    /* a Reboot's power-off should become a reset */
  gboolean        force_off_requested;

  guint64         last_cpu_ns;       /* for cpu-percent between GetStats calls */
  gint64          last_sample_us;

  /* Save and restore (see hangard-save.c for the files). */
  int             incoming_fd;       /* the next start loads its state from here, or -1 */
  gboolean        incoming_paused;   /* ... and stays paused once loaded */
  gboolean        restoring;         /* this start loads a saved state */

  /* Reverting to a snapshot (hangard-snapshots.c): hangard_vm_set_loadvm(). */
  char           *next_loadvm;       /* the next start loads this internal snapshot */
  gboolean        next_loadvm_paused;
  char           *start_loadvm;      /* this start: -loadvm TAG, or NULL */
  gboolean        start_paused;      /* this start: leave the loaded guest paused */
  GTask          *save_task;         /* a Save between its start and its finish */
  guint           migrate_poll;      /* polls query-migrate while state moves */
};

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HangardVm, hangard_vm, G_TYPE_OBJECT)

static int
pidfd_open_compat (pid_t pid)
{
  return (int) syscall (SYS_pidfd_open, pid, 0);
}

static int
pidfd_send_signal_compat (int pidfd,
                          int sig)
{
  return (int) syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

const char *
hangard_vm_state_to_string (HangardVmState state)
{
  switch (state)
    {
    case HANGARD_VM_STATE_SHUTOFF:       return "shutoff";
    case HANGARD_VM_STATE_STARTING:      return "starting";
    case HANGARD_VM_STATE_RUNNING:       return "running";
    case HANGARD_VM_STATE_PAUSED:        return "paused";
    case HANGARD_VM_STATE_SHUTTING_DOWN: return "shutting-down";
    case HANGARD_VM_STATE_CRASHED:       return "crashed";
    default:                             g_assert_not_reached ();
    }
}

static void
set_state (HangardVm      *self,
           HangardVmState  state,
           const char     *reason)
{
  if (self->state == state && g_strcmp0 (self->reason, reason) == 0)
    return;

  g_debug ("%s: %s → %s (%s)", self->uuid, hangard_vm_state_to_string (self->state),
           hangard_vm_state_to_string (state), reason ? reason : "");
  self->state = state;
  g_free (self->reason);
  self->reason = g_strdup (reason ? reason : "");
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

/* A line in QEMU's log from the engine, so the log tells the whole story. */
static void
append_log_note (HangardVm  *self,
                 const char *format,
                 ...) G_GNUC_PRINTF (2, 3);

static void
append_log_note (HangardVm  *self,
                 const char *format,
                 ...)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format_iso8601 (now);
  g_autofree char *message = NULL;
  g_autofree char *line = NULL;
  va_list args;
  int fd;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  line = g_strdup_printf ("%s hangard: %s\n", stamp, message);
  fd = open (self->qemu_log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  if (write (fd, line, strlen (line)) < 0)
    g_debug ("Cannot write to %s: %s", self->qemu_log_path, g_strerror (errno));
  close (fd);
}

static char *
read_log_since (const char *path,
                goffset     offset,
                gsize       max_bytes)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  gsize start;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return g_strdup ("");
  start = (gsize) MIN ((goffset) length, MAX (offset, 0));
  if (length - start > max_bytes)
    start = length - max_bytes;
  return g_utf8_make_valid (contents + start, length - start);
}

static goffset
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? st.st_size : 0;
}

static void
remove_runtime_files (HangardVm *self)
{
  g_unlink (self->qmp_path);
  g_unlink (self->serial_path);
  g_unlink (self->pid_path);
  g_unlink (self->run_info_path);
}

static void
stop_watching_process (HangardVm *self)
{
  g_clear_handle_id (&self->pidfd_watch, g_source_remove);
  if (self->pidfd >= 0)
    {
      close (self->pidfd);
      self->pidfd = -1;
    }
}

static void
drop_qmp (HangardVm *self)
{
  if (self->qmp == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->qmp, self);
  hangard_qmp_close (self->qmp);
  g_clear_object (&self->qmp);
}

/* A start that loaded (or failed to load) a saved state is over. */
static void
end_restore (HangardVm *self)
{
  g_clear_handle_id (&self->migrate_poll, g_source_remove);
  if (self->incoming_fd >= 0)
    close (self->incoming_fd);
  self->incoming_fd = -1;
  self->restoring = FALSE;
}

static void
fail_start (HangardVm *self,
            GError    *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->start_task);

  g_clear_handle_id (&self->start_timeout, g_source_remove);
  end_restore (self);
  if (task != NULL)
    g_task_return_error (task, error);
  else
    g_error_free (error);
}

static void
complete_start (HangardVm *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->start_task);

  g_clear_handle_id (&self->start_timeout, g_source_remove);
  end_restore (self);
  if (task != NULL)
    g_task_return_boolean (task, TRUE);
}

static char *
describe_exit (HangardVm *self,
               gboolean   status_known,
               int        status)
{
  if (!status_known)
    return g_strdup (_("QEMU ended unexpectedly"));
  if (WIFSIGNALED (status))
    return g_strdup_printf (_("QEMU was killed by signal %d (%s)"),
                            WTERMSIG (status), g_strsignal (WTERMSIG (status)));
  if (WIFEXITED (status) && WEXITSTATUS (status) != 0)
    return g_strdup_printf (_("QEMU exited with status %d"), WEXITSTATUS (status));
  return g_strdup (_("QEMU exited without the guest powering off"));
}

static void
complete_exit_waiters (HangardVm *self)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->exit_waiters);

  self->exit_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiters->len; i++)
    g_task_return_boolean (g_ptr_array_index (waiters, i), TRUE);
}

/* QEMU is gone: decide whether that was a clean power-off or a crash. */
static void
handle_process_exit (HangardVm *self,
                     gboolean   status_known,
                     int        status)
{
  g_autofree char *why = NULL;
  HangardVmState new_state;

  stop_watching_process (self);
  drop_qmp (self);
  g_clear_handle_id (&self->kill_timeout, g_source_remove);

  if (self->start_task != NULL)
    {
      g_autofree char *log = read_log_since (self->qemu_log_path, self->start_log_offset,
                                             START_ERROR_LOG_BYTES);
      why = describe_exit (self, status_known, status);
      append_log_note (self, "QEMU failed to start: %s", why);
      fail_start (self, g_error_new (HANGAR_ERROR, HANGAR_ERROR_QEMU,
                                     _("QEMU failed to start the machine: %s"),
                                     *g_strstrip (log) ? log : why));
      new_state = HANGARD_VM_STATE_SHUTOFF;
      g_free (why);
      why = g_strdup (_("failed to start"));
    }
  else if (self->force_off_requested)
    {
      new_state = HANGARD_VM_STATE_SHUTOFF;
      why = g_strdup (_("destroyed"));
    }
  else if (self->shutdown_seen)
    {
      new_state = HANGARD_VM_STATE_SHUTOFF;
      why = g_strdup (self->shutdown_reason ? self->shutdown_reason : _("shut down"));
    }
  else
    {
      new_state = HANGARD_VM_STATE_CRASHED;
      why = describe_exit (self, status_known, status);
    }

  append_log_note (self, "QEMU (pid %d) ended: %s", (int) self->pid, why);
  remove_runtime_files (self);
  hangard_qemu_sandbox_remove (self->qemu_dir, (const char * const *) self->qemu_cgroups);
  g_clear_pointer (&self->qemu_dir, g_free);
  g_clear_pointer (&self->qemu_cgroups, g_strfreev);

  self->pid = 0;
  self->is_our_child = FALSE;
  self->start_time = 0;
  self->shutdown_seen = FALSE;
  self->reboot_pending = FALSE;
  self->force_off_requested = FALSE;
  g_clear_pointer (&self->shutdown_reason, g_free);
  g_clear_pointer (&self->accelerator, g_free);

  set_state (self, new_state, why);
  complete_exit_waiters (self);
}

static gboolean
on_pidfd_readable (int          fd,
                   GIOCondition condition,
                   gpointer     user_data)
{
  HangardVm *self = user_data;
  int status = 0;
  gboolean status_known = FALSE;

  /* Only our own child can be reaped; an adopted QEMU belongs to init now,
   * and its end is judged from the QMP events seen before it. */
  if (self->is_our_child && waitpid (self->pid, &status, WNOHANG) == self->pid)
    status_known = TRUE;

  self->pidfd_watch = 0;
  handle_process_exit (self, status_known, status);
  return G_SOURCE_REMOVE;
}

static gboolean
watch_process (HangardVm  *self,
               GPid        pid,
               GError    **error)
{
  int fd = pidfd_open_compat (pid);

  if (fd < 0)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                   "Cannot watch QEMU process %d: %s", (int) pid, g_strerror (saved_errno));
      return FALSE;
    }

  self->pid = pid;
  self->pidfd = fd;
  self->pidfd_watch = g_unix_fd_add (fd, G_IO_IN, on_pidfd_readable, self);
  return TRUE;
}

/* ---- QMP events ---------------------------------------------------------- */

static void
on_qmp_command_done (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);

  if (node == NULL)
    g_debug ("QMP command failed: %s", error->message);
}

static void
send_qmp (HangardVm  *self,
          const char *command)
{
  if (self->qmp != NULL)
    hangard_qmp_execute_async (self->qmp, command, NULL, -1, NULL, on_qmp_command_done, NULL);
}

static char *
describe_shutdown (JsonObject *data)
{
  const char *reason = data && json_object_has_member (data, "reason")
                       ? json_object_get_string_member (data, "reason") : NULL;
  gboolean guest = data && json_object_has_member (data, "guest")
                   && json_object_get_boolean_member (data, "guest");

  if (guest || g_strcmp0 (reason, "guest-shutdown") == 0)
    return g_strdup (_("guest powered off"));
  if (g_strcmp0 (reason, "host-signal") == 0)
    return g_strdup (_("QEMU was asked to quit by a signal"));
  if (g_strcmp0 (reason, "host-qmp-quit") == 0)
    return g_strdup (_("shut down"));
  return g_strdup_printf (_("shut down (%s)"), reason ? reason : "unknown");
}

/* QEMU runs with -no-shutdown: after the guest powers off it waits, so the
 * engine decides between ending it and turning a Reboot into a reset. */
static void
handle_shutdown_event (HangardVm  *self,
                       JsonObject *data)
{
  if (self->reboot_pending)
    {
      self->reboot_pending = FALSE;
      append_log_note (self, "guest powered off for a reboot: resetting");
      send_qmp (self, "system_reset");
      send_qmp (self, "cont");
      set_state (self, HANGARD_VM_STATE_RUNNING, _("rebooted"));
      return;
    }

  /* Our own `quit` brings a second SHUTDOWN (host-qmp-quit): the first
   * one says why the machine is going away. */
  if (self->shutdown_seen)
    return;
  self->shutdown_seen = TRUE;
  g_free (self->shutdown_reason);
  self->shutdown_reason = describe_shutdown (data);
  send_qmp (self, "quit");
}

static void
on_qmp_event (HangardQmp *qmp,
              const char *name,
              JsonObject *data,
              gint64      timestamp_usec,
              gpointer    user_data)
{
  HangardVm *self = user_data;

  g_debug ("%s: QMP event %s", self->uuid, name);

  if (g_str_equal (name, "SHUTDOWN"))
    handle_shutdown_event (self, data);
  else if (g_str_equal (name, "POWERDOWN"))
    {
      if (self->state == HANGARD_VM_STATE_RUNNING && !self->reboot_pending)
        set_state (self, HANGARD_VM_STATE_SHUTTING_DOWN, _("asked to power off"));
    }
  else if (g_str_equal (name, "STOP"))
    {
      if (!self->shutdown_seen && self->state != HANGARD_VM_STATE_STARTING)
        set_state (self, HANGARD_VM_STATE_PAUSED, _("paused"));
    }
  else if (g_str_equal (name, "RESUME"))
    {
      if (self->state == HANGARD_VM_STATE_PAUSED)
        set_state (self, HANGARD_VM_STATE_RUNNING, _("resumed"));
    }
  else if (g_str_equal (name, "RESET"))
    {
      if (self->state == HANGARD_VM_STATE_SHUTTING_DOWN)
        set_state (self, HANGARD_VM_STATE_RUNNING, _("reset"));
    }
  else if (g_str_equal (name, "BLOCK_IO_ERROR"))
    append_log_note (self, "I/O error on a disk");
}

static void
on_qmp_closed (HangardQmp *qmp,
               gpointer    user_data)
{
  HangardVm *self = user_data;

  /* QEMU closing QMP means it is ending; the pidfd tells when it is gone. */
  g_debug ("%s: QMP connection closed", self->uuid);
}

static void
attach_qmp (HangardVm  *self,
            HangardQmp *qmp)
{
  self->qmp = g_object_ref (qmp);
  g_signal_connect (qmp, "event", G_CALLBACK (on_qmp_event), self);
  g_signal_connect (qmp, "closed", G_CALLBACK (on_qmp_closed), self);
}

/* ---- Start ---------------------------------------------------------------- */

static GSocket *
listen_on_unix_socket (const char  *path,
                       GError     **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;

  g_unlink (path);
  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  if (socket == NULL)
    return NULL;
  address = g_unix_socket_address_new (path);
  if (!g_socket_bind (socket, address, FALSE, error) || !g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static void
child_setup (gpointer user_data)
{
  /* Its own session: a Ctrl+C or hang-up meant for the engine's terminal
   * must not reach the guests. */
  setsid ();
  /* System mode: into its cgroup, then down to QEMU's own user. */
  if (user_data != NULL)
    hangard_qemu_sandbox_child_setup (user_data);
}

static void
reap_passt (GPid     pid,
            int      wait_status,
            gpointer user_data)
{
  g_spawn_close_pid (pid);
}

/* A user interface gets passt where passt can run (it insists on not being
 * root), else QEMU's own slirp; type='passt' insists on passt. */
static gboolean
nic_wants_passt (const HangardNicDef *nic,
                 GError             **error)
{
  if (nic->backend == HANGARD_NIC_BACKEND_PASST)
    return hangard_passt_usable (error);
  return hangard_passt_usable (NULL);
}

/* Starts passt for the user interfaces that get it: `stream_fds[i]` is
 * QEMU's end of NIC i's socket pair, or -1. Records every NIC's backend. */
static gboolean
start_user_networking (HangardVm     *self,
                       HangardDomain *domain,
                       GArray        *tap_fds,
                       int           *stream_fds,
                       GError       **error)
{
  g_autoptr(GStrvBuilder) backends = g_strv_builder_new ();
  int log_fd = -1;

  for (guint i = 0; i < domain->nics->len; i++)
    {
      const HangardNicDef *nic = g_ptr_array_index (domain->nics, i);
      gboolean has_tap = tap_fds != NULL && i < tap_fds->len && g_array_index (tap_fds, int, i) >= 0;
      g_autoptr(GError) local_error = NULL;
      GPid pid;

      stream_fds[i] = -1;
      if (has_tap || nic->type != HANGARD_NIC_TYPE_USER)
        {
          g_strv_builder_add (backends, "tap");
          continue;
        }
      if (!nic_wants_passt (nic, &local_error))
        {
          if (local_error != NULL)
            {
              g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                          "Network interface %s: ", nic->mac);
              goto fail;
            }
          g_strv_builder_add (backends, "slirp");
          continue;
        }

      if (log_fd < 0)
        log_fd = open (self->qemu_log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      stream_fds[i] = hangard_passt_spawn (nic, i, log_fd, &pid, error);
      if (stream_fds[i] < 0)
        goto fail;
      g_child_watch_add (pid, reap_passt, NULL);
      g_strv_builder_add (backends, "passt");
    }

  if (log_fd >= 0)
    close (log_fd);
  g_strfreev (self->nic_backends);
  self->nic_backends = g_strv_builder_end (backends);
  return TRUE;

fail:
  if (log_fd >= 0)
    close (log_fd);
  /* Closing our ends is enough: a passt without its peer exits. */
  for (guint i = 0; i < domain->nics->len; i++)
    if (stream_fds[i] >= 0)
      close (stream_fds[i]);
  return FALSE;
}

static void
set_tap_names (HangardVm *self,
               GPtrArray *names)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; names && i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_strv_builder_add (builder, name ? name : "");
    }
  g_strfreev (self->tap_names);
  self->tap_names = g_strv_builder_end (builder);
}

static void
set_disk_paths (HangardVm     *self,
                HangardDomain *domain)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < domain->disks->len; i++)
    {
      HangardDiskDef *disk = g_ptr_array_index (domain->disks, i);
      if (disk->source_file != NULL)
        g_strv_builder_add (builder, disk->source_file);
    }
  g_strfreev (self->disk_paths);
  self->disk_paths = g_strv_builder_end (builder);
}

const char *
hangard_vm_get_running_xml (HangardVm *self)
{
  return self->pid != 0 ? self->running_xml : NULL;
}

const char * const *
hangard_vm_get_disk_paths (HangardVm *self)
{
  return self->pid != 0 ? (const char * const *) self->disk_paths : NULL;
}

const char *
hangard_vm_get_nic_backend (HangardVm *self,
                            guint      index)
{
  if (self->pid == 0 || self->nic_backends == NULL || index >= g_strv_length (self->nic_backends))
    return NULL;
  return self->nic_backends[index];
}

const char *
hangard_vm_get_tap_name (HangardVm *self,
                         guint      index)
{
  if (self->pid == 0 || self->tap_names == NULL || index >= g_strv_length (self->tap_names) ||
      *self->tap_names[index] == '\0')
    return NULL;
  return self->tap_names[index];
}

static gboolean
exec_qemu (HangardVm            *self,
           HangardDomain        *domain,
           HangardHost          *host,
           GArray               *tap_fds,
           const int            *stream_fds,
           GError              **error)
{
  g_autoptr(GSocket) qmp_socket = NULL;
  g_autoptr(GSocket) serial_socket = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autofree char *command_line = NULL;
  HangardQemuRun run = { 0 };
  guint n_nics = MAX (domain->nics->len, tap_fds ? tap_fds->len : 0);
  g_autoptr(HangardQemuSandbox) sandbox = NULL;
  guint n_sandbox_fds = 0;
  g_autofree int *source_fds = NULL;
  g_autofree int *target_fds = NULL;
  g_autofree int *nic_fds = NULL;
  g_autofree int *nic_stream_fds = g_new0 (int, n_nics + 1);
  gsize n_fds = 0;
  int log_fd;
  GPid pid;
  gboolean spawned;

  if (hangard_host_get_qemu_binary (host) == NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                   _("QEMU is not installed: qemu-system-x86_64 was not found (install the qemu-system-x86 package)"));
      return FALSE;
    }

  if (g_mkdir_with_parents (self->runtime_dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, "Cannot create %s: %s",
                   self->runtime_dir, g_strerror (saved_errno));
      return FALSE;
    }
  remove_runtime_files (self);

  /* System mode: QEMU runs as its own user and gets every host file as a
   * descriptor the engine opened (see hangard-qemu-sandbox.h). */
  sandbox = hangard_qemu_sandbox_new (host, self->uuid, domain->name);
  if (sandbox != NULL)
    {
      if (!hangard_qemu_sandbox_prepare (sandbox, domain, self->console_log_path,
                                         FIRST_TAP_CHILD_FD + (int) n_nics, error))
        return FALSE;
      n_sandbox_fds = hangard_qemu_sandbox_get_n_fds (sandbox);
    }
  source_fds = g_new0 (int, 2 + n_nics + n_sandbox_fds);
  target_fds = g_new0 (int, 2 + n_nics + n_sandbox_fds);

  qmp_socket = listen_on_unix_socket (self->qmp_path, error);
  if (qmp_socket == NULL)
    return FALSE;
  source_fds[n_fds] = g_socket_get_fd (qmp_socket);
  target_fds[n_fds++] = QMP_CHILD_FD;

  if (domain->has_serial)
    {
      serial_socket = listen_on_unix_socket (self->serial_path, error);
      if (serial_socket == NULL)
        return FALSE;
      source_fds[n_fds] = g_socket_get_fd (serial_socket);
      target_fds[n_fds++] = SERIAL_CHILD_FD;
    }

  if (tap_fds != NULL && tap_fds->len > 0)
    {
      nic_fds = g_new0 (int, tap_fds->len);
      for (guint i = 0; i < tap_fds->len; i++)
        {
          int fd = g_array_index (tap_fds, int, i);

          nic_fds[i] = fd >= 0 ? FIRST_TAP_CHILD_FD + (int) i : -1;
          if (fd >= 0)
            {
              source_fds[n_fds] = fd;
              target_fds[n_fds++] = nic_fds[i];
            }
        }
      run.nic_fds = nic_fds;
      run.n_nic_fds = tap_fds->len;
    }

  /* A NIC has a tap or a passt socket (or neither): they share the slot. */
  for (guint i = 0; i < domain->nics->len; i++)
    {
      nic_stream_fds[i] = stream_fds[i] >= 0 ? FIRST_TAP_CHILD_FD + (int) i : -1;
      if (stream_fds[i] >= 0)
        {
          source_fds[n_fds] = stream_fds[i];
          target_fds[n_fds++] = nic_stream_fds[i];
        }
    }
  run.nic_stream_fds = nic_stream_fds;
  run.n_nic_stream_fds = domain->nics->len;

  for (guint i = 0; i < n_sandbox_fds; i++)
    {
      source_fds[n_fds] = hangard_qemu_sandbox_get_fd (sandbox, i, &target_fds[n_fds]);
      n_fds++;
    }

  run.qemu_binary = hangard_host_get_qemu_binary (host);
  run.accel = hangard_host_get_accelerator (host);
  run.qmp_fd = QMP_CHILD_FD;
  run.serial_fd = domain->has_serial ? SERIAL_CHILD_FD : -1;
  run.serial_log_path = self->console_log_path;
  run.pid_file = self->pid_path;
  run.incoming = self->incoming_fd >= 0;
  if (sandbox != NULL)
    hangard_qemu_sandbox_fill_run (sandbox, &run);

  argv = hangard_qemu_build_argv (domain, &run, error);
  if (argv == NULL)
    return FALSE;
  g_strv_builder_addv (builder, (const char **) argv);
  /* Start with the vCPUs stopped so they are pinned before the guest runs,
   * and keep QEMU after a guest power-off so a Reboot can become a reset. */
  g_strv_builder_add_many (builder, "-S", "-no-shutdown", NULL);
  /* A snapshot revert: QEMU loads the internal snapshot before the guest
   * runs, and exits with its reason when it cannot. */
  if (self->start_loadvm != NULL)
    g_strv_builder_add_many (builder, "-loadvm", self->start_loadvm, NULL);
  g_clear_pointer (&argv, g_strfreev);
  argv = g_strv_builder_end (builder);

  command_line = g_strjoinv (" ", argv);
  self->start_log_offset = file_size (self->qemu_log_path);
  append_log_note (self, "starting (%s): %s", run.accel, command_line);
  for (guint i = 0; sandbox != NULL && hangard_qemu_sandbox_get_notes (sandbox)[i] != NULL; i++)
    append_log_note (self, "%s", hangard_qemu_sandbox_get_notes (sandbox)[i]);

  log_fd = open (self->qemu_log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, "Cannot open %s: %s",
                   self->qemu_log_path, g_strerror (saved_errno));
      return FALSE;
    }

  spawned = g_spawn_async_with_pipes_and_fds (sandbox ? hangard_qemu_sandbox_get_directory (sandbox) : NULL,
                                              (const char * const *) argv,
                                              sandbox ? hangard_qemu_sandbox_get_environ (sandbox) : NULL,
                                              G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                                              child_setup, sandbox,
                                              -1, log_fd, log_fd,
                                              source_fds, target_fds, n_fds,
                                              &pid, NULL, NULL, NULL, error);
  close (log_fd);
  if (!spawned)
    return FALSE;

  /* Our copies of the listening sockets close here (autoptr): once QEMU is
   * their only owner, a QEMU that dies takes them along, and a pending QMP
   * connect fails instead of waiting forever. */
  self->is_our_child = TRUE;
  g_free (self->accelerator);
  self->accelerator = g_strdup (run.accel);
  g_free (self->qemu_console_log);
  self->qemu_console_log = g_strdup (run.serial_log_path);
  g_clear_pointer (&self->qemu_dir, g_free);
  g_clear_pointer (&self->qemu_cgroups, g_strfreev);
  if (sandbox != NULL)
    {
      hangard_qemu_sandbox_spawned (sandbox, pid, self->pid_path);
      self->qemu_dir = g_strdup (hangard_qemu_sandbox_get_directory (sandbox));
      self->qemu_cgroups = hangard_qemu_sandbox_dup_cgroup_dirs (sandbox);
    }
  if (!watch_process (self, pid, error))
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      return FALSE;
    }
  return TRUE;
}

/* QEMU with its user-mode helpers (passt) started first; our ends of their
 * sockets close once QEMU has its copies, or failed to start. */
static gboolean
spawn_qemu (HangardVm            *self,
            HangardDomain        *domain,
            HangardHost          *host,
            GArray               *tap_fds,
            GError              **error)
{
  g_autofree int *stream_fds = g_new0 (int, domain->nics->len + 1);
  gboolean spawned;

  if (!start_user_networking (self, domain, tap_fds, stream_fds, error))
    return FALSE;
  spawned = exec_qemu (self, domain, host, tap_fds, stream_fds, error);
  for (guint i = 0; i < domain->nics->len; i++)
    if (stream_fds[i] >= 0)
      close (stream_fds[i]);
  return spawned;
}

static void
write_run_info (HangardVm *self)
{
  g_autoptr(GKeyFile) info = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  g_key_file_set_string (info, "run", "accelerator", self->accelerator ? self->accelerator : "");
  g_key_file_set_uint64 (info, "run", "start-time", self->start_time);
  if (self->disk_paths != NULL)
    g_key_file_set_string_list (info, "run", "disks", (const char * const *) self->disk_paths,
                                g_strv_length (self->disk_paths));
  if (self->tap_names != NULL)
    g_key_file_set_string_list (info, "run", "taps", (const char * const *) self->tap_names,
                                g_strv_length (self->tap_names));
  if (self->nic_backends != NULL)
    g_key_file_set_string_list (info, "run", "nic-backends", (const char * const *) self->nic_backends,
                                g_strv_length (self->nic_backends));
  if (self->running_xml != NULL)
    g_key_file_set_string (info, "run", "domain-xml", self->running_xml);
  if (self->qemu_console_log != NULL)
    g_key_file_set_string (info, "run", "console-log", self->qemu_console_log);
  if (self->qemu_dir != NULL)
    g_key_file_set_string (info, "run", "qemu-dir", self->qemu_dir);
  if (self->qemu_cgroups != NULL)
    g_key_file_set_string_list (info, "run", "qemu-cgroups", (const char * const *) self->qemu_cgroups,
                                g_strv_length (self->qemu_cgroups));
  if (!g_key_file_save_to_file (info, self->run_info_path, &error))
    g_warning ("Cannot record run information: %s", error->message);
}

static void
read_run_info (HangardVm *self)
{
  g_autoptr(GKeyFile) info = g_key_file_new ();

  if (!g_key_file_load_from_file (info, self->run_info_path, G_KEY_FILE_NONE, NULL))
    return;
  g_free (self->accelerator);
  self->accelerator = g_key_file_get_string (info, "run", "accelerator", NULL);
  self->start_time = g_key_file_get_uint64 (info, "run", "start-time", NULL);
  g_strfreev (self->tap_names);
  self->tap_names = g_key_file_get_string_list (info, "run", "taps", NULL, NULL);
  g_strfreev (self->nic_backends);
  self->nic_backends = g_key_file_get_string_list (info, "run", "nic-backends", NULL, NULL);
  g_strfreev (self->disk_paths);
  self->disk_paths = g_key_file_get_string_list (info, "run", "disks", NULL, NULL);
  g_free (self->running_xml);
  self->running_xml = g_key_file_get_string (info, "run", "domain-xml", NULL);
  g_free (self->qemu_console_log);
  self->qemu_console_log = g_key_file_get_string (info, "run", "console-log", NULL);
  g_free (self->qemu_dir);
  self->qemu_dir = g_key_file_get_string (info, "run", "qemu-dir", NULL);
  g_strfreev (self->qemu_cgroups);
  self->qemu_cgroups = g_key_file_get_string_list (info, "run", "qemu-cgroups", NULL, NULL);
}

/* ---- Live device changes (hangard-devices.c) ------------------------------ */

void
hangard_vm_set_running_domain (HangardVm     *self,
                               HangardDomain *domain)
{
  g_return_if_fail (HANGARD_IS_VM (self));
  g_return_if_fail (domain != NULL);

  if (self->pid == 0)
    return;
  set_disk_paths (self, domain);
  g_free (self->running_xml);
  self->running_xml = hangard_domain_to_xml (domain);
  write_run_info (self);
}

/* `strv` with `value` at `index` (NULL value: the element there removed). */
static GStrv
strv_splice (GStrv       strv,
             guint       index,
             const char *value)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint n = strv != NULL ? g_strv_length (strv) : 0;

  for (guint i = 0; i < MAX (n, index); i++)
    {
      if (i == index && value != NULL)
        g_strv_builder_add (builder, value);
      if (i < n && !(i == index && value == NULL))
        g_strv_builder_add (builder, strv[i]);
      else if (i >= n)
        g_strv_builder_add (builder, "");
    }
  if (index >= n && value != NULL)
    g_strv_builder_add (builder, value);
  g_strfreev (strv);
  return g_strv_builder_end (builder);
}

void
hangard_vm_insert_nic (HangardVm  *self,
                       guint       index,
                       const char *backend,
                       const char *tap_name)
{
  g_return_if_fail (HANGARD_IS_VM (self));
  g_return_if_fail (backend != NULL);

  self->nic_backends = strv_splice (self->nic_backends, index, backend);
  self->tap_names = strv_splice (self->tap_names, index, tap_name != NULL ? tap_name : "");
}

void
hangard_vm_remove_nic (HangardVm *self,
                       guint      index)
{
  g_return_if_fail (HANGARD_IS_VM (self));

  if (self->nic_backends != NULL && index < g_strv_length (self->nic_backends))
    self->nic_backends = strv_splice (self->nic_backends, index, NULL);
  if (self->tap_names != NULL && index < g_strv_length (self->tap_names))
    self->tap_names = strv_splice (self->tap_names, index, NULL);
}

/* After QMP connects (and vCPUs are pinned): `cont`, or load a saved state first. */
static void continue_start (HangardVm *self);

static void
on_started_cont (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(HangardVm) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);

  if (self->start_task == NULL)
    return;
  if (node == NULL)
    {
      fail_start (self, g_steal_pointer (&error));
      kill (self->pid, SIGKILL);
      return;
    }

  self->start_time = (guint64) (g_get_real_time () / G_USEC_PER_SEC);
  write_run_info (self);
  append_log_note (self, "running (pid %d)", (int) self->pid);
  set_state (self, HANGARD_VM_STATE_RUNNING,
             self->restoring ? _("restored") : self->start_loadvm != NULL ? _("restored from a snapshot")
                                                                           : _("booted"));
  complete_start (self);
}

static void
pin_thread (pid_t            tid,
            const cpu_set_t *set)
{
  if (sched_setaffinity (tid, sizeof *set, set) != 0)
    g_warning ("Cannot pin thread %d: %s", (int) tid, g_strerror (errno));
}

static void
on_vcpus_queried (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(HangardVm) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);
  HangardDomain *domain = self->start_task ? g_task_get_task_data (self->start_task) : NULL;
  cpu_set_t set;
  const char *problem = NULL;

  if (domain == NULL)
    return;

  /* The definition's cpusets were validated when it was defined. <vcpu
   * cpuset> holds QEMU's other threads and every vCPU without a
   * <vcpupin> of its own. */
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *cpus = json_node_get_array (node);

      if (domain->cpuset != NULL && hangard_cpuset_parse (domain->cpuset, &set, &problem))
        pin_thread (self->pid, &set);
      for (guint i = 0; i < json_array_get_length (cpus); i++)
        {
          JsonObject *cpu = json_array_get_object_element (cpus, i);
          const char *cpuset;

          if (cpu == NULL || !json_object_has_member (cpu, "thread-id") ||
              !json_object_has_member (cpu, "cpu-index"))
            continue;
          cpuset = hangard_domain_get_vcpu_cpuset (domain, (guint) json_object_get_int_member (cpu, "cpu-index"));
          if (cpuset != NULL && hangard_cpuset_parse (cpuset, &set, &problem))
            pin_thread ((pid_t) json_object_get_int_member (cpu, "thread-id"), &set);
        }
    }
  else if (error != NULL)
    g_warning ("Cannot pin vCPUs: %s", error->message);

  continue_start (self);
}

static void
on_start_qmp_connected (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(HangardVm) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardQmp) qmp = hangard_qmp_connect_finish (result, &error);
  HangardDomain *domain;

  /* QEMU may have died already; its exit handler has answered the caller. */
  if (self->start_task == NULL)
    return;
  if (qmp == NULL)
    {
      /* The pidfd handler reports why QEMU ended; nothing more to say here. */
      g_debug ("QMP connect failed: %s", error->message);
      return;
    }

  attach_qmp (self, qmp);
  domain = g_task_get_task_data (self->start_task);
  if (domain->cpuset != NULL || domain->vcpu_pins->len > 0)
    hangard_qmp_execute_async (self->qmp, "query-cpus-fast", NULL, -1, NULL,
                               on_vcpus_queried, g_object_ref (self));
  else
    continue_start (self);
}

static gboolean
on_start_timeout (gpointer user_data)
{
  HangardVm *self = user_data;

  self->start_timeout = 0;
  append_log_note (self, "QEMU did not start within %d seconds: killing it", START_TIMEOUT_SECONDS);
  if (self->pidfd >= 0)
    pidfd_send_signal_compat (self->pidfd, SIGKILL);
  return G_SOURCE_REMOVE;
}

void
hangard_vm_start_async (HangardVm           *self,
                        HangardDomain       *domain,
                        HangardHost         *host,
                        GArray              *tap_fds,
                        GPtrArray           *tap_names,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;

  g_task_set_source_tag (task, hangard_vm_start_async);
  if (hangard_vm_is_active (self))
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                               _("The machine is already running"));
      return;
    }

  g_task_set_task_data (task, hangard_domain_copy (domain), (GDestroyNotify) hangard_domain_free);
  self->shutdown_seen = FALSE;
  self->reboot_pending = FALSE;
  self->force_off_requested = FALSE;
  /* What hangard_vm_set_loadvm() asked for applies to this start only. */
  g_free (self->start_loadvm);
  self->start_loadvm = g_steal_pointer (&self->next_loadvm);
  self->start_paused = self->next_loadvm_paused;
  self->next_loadvm_paused = FALSE;

  if (!spawn_qemu (self, domain, host, tap_fds, &error))
    {
      append_log_note (self, "cannot start: %s", error->message);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  set_tap_names (self, tap_names);
  set_disk_paths (self, domain);
  g_free (self->running_xml);
  self->running_xml = hangard_domain_to_xml (domain);
  self->restoring = self->incoming_fd >= 0;
  self->start_task = g_steal_pointer (&task);
  self->start_timeout = g_timeout_add_seconds (START_TIMEOUT_SECONDS, on_start_timeout, self);
  set_state (self, HANGARD_VM_STATE_STARTING, _("starting"));
  hangard_qmp_connect_async (self->qmp_path, NULL, on_start_qmp_connected, g_object_ref (self));
}

gboolean
hangard_vm_start_finish (HangardVm     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Adopt ---------------------------------------------------------------- */

/* The pid file may be stale and the pid reused: only a QEMU whose command
 * line carries this machine's UUID is ours. */
static gboolean
process_is_our_qemu (HangardVm *self,
                     GPid       pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
  g_autofree char *cmdline = NULL;
  gsize length = 0;
  gboolean after_uuid_flag = FALSE;

  if (!g_file_get_contents (path, &cmdline, &length, NULL))
    return FALSE;

  for (gsize i = 0; i < length; i += strlen (cmdline + i) + 1)
    {
      if (after_uuid_flag)
        return g_ascii_strcasecmp (cmdline + i, self->uuid) == 0;
      after_uuid_flag = g_str_equal (cmdline + i, "-uuid");
    }
  return FALSE;
}

static GPid
read_pid_file (HangardVm *self)
{
  g_autofree char *contents = NULL;
  gint64 pid;

  if (!g_file_get_contents (self->pid_path, &contents, NULL, NULL))
    return 0;
  pid = g_ascii_strtoll (g_strstrip (contents), NULL, 10);
  return pid > 1 && pid < G_MAXINT ? (GPid) pid : 0;
}

static void
apply_adopted_status (HangardVm  *self,
                      const char *status)
{
  if (g_strcmp0 (status, "running") == 0)
    set_state (self, HANGARD_VM_STATE_RUNNING, _("reconnected after an engine restart"));
  else if (g_strcmp0 (status, "shutdown") == 0)
    {
      /* The guest powered off while no engine was there to end QEMU. */
      self->shutdown_seen = TRUE;
      self->shutdown_reason = g_strdup (_("guest powered off"));
      set_state (self, HANGARD_VM_STATE_SHUTTING_DOWN, _("guest powered off"));
      send_qmp (self, "quit");
    }
  else
    set_state (self, HANGARD_VM_STATE_PAUSED, status);
}

static void
on_adopt_status (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HangardVm *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);
  JsonObject *status;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_task_return_error (task, error ? g_steal_pointer (&error)
                                       : g_error_new (HANGAR_ERROR, HANGAR_ERROR_QEMU, "Bad query-status reply"));
      return;
    }

  status = json_node_get_object (node);
  apply_adopted_status (self, json_object_get_string_member_with_default (status, "status", "running"));
  g_task_return_boolean (task, TRUE);
}

static void
on_adopt_qmp_connected (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HangardVm *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardQmp) qmp = hangard_qmp_connect_finish (result, &error);

  if (qmp == NULL)
    {
      /* QEMU runs but will not talk: keep watching it so its end is seen,
       * and say why it cannot be controlled. */
      g_warning ("Cannot reconnect to QEMU %d: %s", (int) self->pid, error->message);
      set_state (self, HANGARD_VM_STATE_RUNNING, _("running, but its QMP socket does not answer"));
      g_task_return_boolean (task, TRUE);
      return;
    }

  attach_qmp (self, qmp);
  hangard_qmp_execute_async (self->qmp, "query-status", NULL, -1, NULL, on_adopt_status, g_steal_pointer (&task));
}

/* System mode: a QEMU that ended while no engine watched it left its
 * private directory and cgroups behind; its run state names them. */
static void
remove_stale_sandbox (HangardVm *self)
{
  g_autoptr(GKeyFile) info = g_key_file_new ();
  g_autofree char *dir = NULL;
  g_auto(GStrv) cgroups = NULL;

  if (!g_key_file_load_from_file (info, self->run_info_path, G_KEY_FILE_NONE, NULL))
    return;
  dir = g_key_file_get_string (info, "run", "qemu-dir", NULL);
  cgroups = g_key_file_get_string_list (info, "run", "qemu-cgroups", NULL, NULL);
  hangard_qemu_sandbox_remove (dir, (const char * const *) cgroups);
}

void
hangard_vm_adopt_async (HangardVm           *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  GPid pid = read_pid_file (self);

  if (pid == 0 || !process_is_our_qemu (self, pid))
    {
      remove_stale_sandbox (self);
      remove_runtime_files (self);
      g_task_return_boolean (task, FALSE);
      return;
    }

  if (!watch_process (self, pid, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  self->is_our_child = FALSE;
  read_run_info (self);
  append_log_note (self, "engine restarted: reconnecting to QEMU (pid %d)", (int) pid);
  hangard_qmp_connect_async (self->qmp_path, cancellable, on_adopt_qmp_connected, g_steal_pointer (&task));
}

gboolean
hangard_vm_adopt_finish (HangardVm     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Requests ------------------------------------------------------------- */

static gboolean
check_request_allowed (HangardVm         *self,
                       HangardVmRequest   request,
                       GError           **error)
{
  HangardVmState s = self->state;
  gboolean running = s == HANGARD_VM_STATE_RUNNING || s == HANGARD_VM_STATE_SHUTTING_DOWN;
  const char *message = NULL;

  switch (request)
    {
    case HANGARD_VM_REQUEST_SHUTDOWN:
    case HANGARD_VM_REQUEST_REBOOT:
      if (s == HANGARD_VM_STATE_PAUSED)
        message = _("The machine is paused: resume it first, or force it off");
      else if (!running)
        message = _("The machine is not running");
      break;
    case HANGARD_VM_REQUEST_RESET:
      if (!running && s != HANGARD_VM_STATE_PAUSED)
        message = _("The machine is not running");
      break;
    case HANGARD_VM_REQUEST_PAUSE:
      if (s == HANGARD_VM_STATE_PAUSED)
        message = _("The machine is already paused");
      else if (!running)
        message = _("The machine is not running");
      break;
    case HANGARD_VM_REQUEST_RESUME:
      if (s != HANGARD_VM_STATE_PAUSED)
        message = _("The machine is not paused");
      break;
    case HANGARD_VM_REQUEST_FORCE_OFF:
      if (self->pid == 0)
        message = _("The machine is not running");
      break;
    default:
      g_assert_not_reached ();
    }

  if (message == NULL && request != HANGARD_VM_REQUEST_FORCE_OFF && self->save_task != NULL)
    message = _("The machine is being saved");
  if (message == NULL && request != HANGARD_VM_REQUEST_FORCE_OFF && self->qmp == NULL)
    message = _("The engine cannot talk to this machine's QEMU; only forcing it off is possible");

  if (message != NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE, message);
      return FALSE;
    }
  return TRUE;
}

static void
apply_request_effect (HangardVm        *self,
                      HangardVmRequest  request)
{
  switch (request)
    {
    case HANGARD_VM_REQUEST_SHUTDOWN:
      set_state (self, HANGARD_VM_STATE_SHUTTING_DOWN, _("asked to power off"));
      break;
    case HANGARD_VM_REQUEST_PAUSE:
      set_state (self, HANGARD_VM_STATE_PAUSED, _("paused by user"));
      break;
    case HANGARD_VM_REQUEST_RESUME:
      set_state (self, HANGARD_VM_STATE_RUNNING, _("resumed"));
      break;
    case HANGARD_VM_REQUEST_RESET:
    case HANGARD_VM_REQUEST_REBOOT:
    case HANGARD_VM_REQUEST_FORCE_OFF:
    default:
      break;
    }
}

static void
on_request_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HangardVm *self = g_task_get_source_object (task);
  HangardVmRequest request = GPOINTER_TO_INT (g_task_get_task_data (task));
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);

  if (node == NULL)
    {
      if (request == HANGARD_VM_REQUEST_REBOOT)
        self->reboot_pending = FALSE;
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  apply_request_effect (self, request);
  g_task_return_boolean (task, TRUE);
}

static gboolean
on_kill_timeout (gpointer user_data)
{
  HangardVm *self = user_data;

  self->kill_timeout = 0;
  append_log_note (self, "QEMU ignored SIGTERM for %d seconds: sending SIGKILL", FORCE_OFF_GRACE_SECONDS);
  if (self->pidfd >= 0)
    pidfd_send_signal_compat (self->pidfd, SIGKILL);
  return G_SOURCE_REMOVE;
}

static void
force_off (HangardVm *self,
           GTask     *task)
{
  g_ptr_array_add (self->exit_waiters, g_object_ref (task));
  if (self->force_off_requested)
    return;

  self->force_off_requested = TRUE;
  append_log_note (self, "forcing off (SIGTERM)");
  if (pidfd_send_signal_compat (self->pidfd, SIGTERM) != 0 && errno != ESRCH)
    g_warning ("Cannot signal QEMU %d: %s", (int) self->pid, g_strerror (errno));
  self->kill_timeout = g_timeout_add_seconds (FORCE_OFF_GRACE_SECONDS, on_kill_timeout, self);
}

static const char *
request_command (HangardVmRequest request)
{
  switch (request)
    {
    case HANGARD_VM_REQUEST_SHUTDOWN:
    case HANGARD_VM_REQUEST_REBOOT:
      return "system_powerdown";
    case HANGARD_VM_REQUEST_RESET:
      return "system_reset";
    case HANGARD_VM_REQUEST_PAUSE:
      return "stop";
    case HANGARD_VM_REQUEST_RESUME:
      return "cont";
    case HANGARD_VM_REQUEST_FORCE_OFF:
    default:
      g_assert_not_reached ();
    }
}

void
hangard_vm_request_async (HangardVm           *self,
                          HangardVmRequest     request,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;

  g_task_set_task_data (task, GINT_TO_POINTER (request), NULL);
  if (!check_request_allowed (self, request, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (request == HANGARD_VM_REQUEST_FORCE_OFF)
    {
      force_off (self, task);
      return;
    }

  if (request == HANGARD_VM_REQUEST_REBOOT)
    {
      self->reboot_pending = TRUE;
      append_log_note (self, "reboot requested: pressing the power button");
    }
  hangard_qmp_execute_async (self->qmp, request_command (request), NULL, -1, cancellable,
                             on_request_done, g_steal_pointer (&task));
}

gboolean
hangard_vm_request_finish (HangardVm     *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Stats ---------------------------------------------------------------- */

typedef struct {
  guint64 rd_bytes, wr_bytes, rd_ops, wr_ops;
} BlockTotals;

/* utime + stime of the whole QEMU process (all vCPU and I/O threads). */
static guint64
read_process_cpu_ns (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *contents = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_comm;
  guint64 ticks;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;
  /* The command name may hold spaces: count fields after its ')'. */
  after_comm = strrchr (contents, ')');
  if (after_comm == NULL)
    return 0;
  fields = g_strsplit (after_comm + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return 0;
  /* Fields 14 and 15 of stat(5), i.e. 11 and 12 after state. */
  ticks = g_ascii_strtoull (fields[11], NULL, 10) + g_ascii_strtoull (fields[12], NULL, 10);
  return ticks * (G_GUINT64_CONSTANT (1000000000) / (guint64) sysconf (_SC_CLK_TCK));
}

static guint64
read_process_rss_kib (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/statm", (int) pid);
  g_autofree char *contents = NULL;
  g_auto(GStrv) fields = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;
  fields = g_strsplit (contents, " ", -1);
  if (g_strv_length (fields) < 2)
    return 0;
  return g_ascii_strtoull (fields[1], NULL, 10) * (guint64) sysconf (_SC_PAGESIZE) / 1024;
}

static guint64
json_uint_member (JsonObject *object,
                  const char *name)
{
  return object && json_object_has_member (object, name)
         ? (guint64) json_object_get_int_member (object, name) : 0;
}

/* The block device's target ("vda") from the qdev path of its frontend,
 * which the argv builder names "disk-<target>". */
static char *
blockstats_target (JsonObject *entry)
{
  const char *qdev = json_object_get_string_member_with_default (entry, "qdev", "");
  const char *node = json_object_get_string_member_with_default (entry, "node-name", "");
  const char *p = strstr (qdev, "disk-");

  if (p != NULL)
    return g_strndup (p + 5, strcspn (p + 5, "/"));
  return g_strdup (node);
}

static void
add_block_stats (GVariantBuilder *totals,
                 JsonNode        *reply)
{
  GVariantBuilder devices;
  BlockTotals sum = { 0 };
  JsonArray *entries = reply && JSON_NODE_HOLDS_ARRAY (reply) ? json_node_get_array (reply) : NULL;

  g_variant_builder_init (&devices, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; entries && i < json_array_get_length (entries); i++)
    {
      JsonObject *entry = json_array_get_object_element (entries, i);
      JsonObject *stats = entry ? json_object_get_object_member (entry, "stats") : NULL;
      g_autofree char *target = entry ? blockstats_target (entry) : NULL;
      GVariantBuilder device;

      if (stats == NULL)
        continue;
      sum.rd_bytes += json_uint_member (stats, "rd_bytes");
      sum.wr_bytes += json_uint_member (stats, "wr_bytes");
      sum.rd_ops += json_uint_member (stats, "rd_operations");
      sum.wr_ops += json_uint_member (stats, "wr_operations");

      g_variant_builder_init (&device, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&device, "{sv}", "target", g_variant_new_string (target));
      g_variant_builder_add (&device, "{sv}", "read-bytes", g_variant_new_uint64 (json_uint_member (stats, "rd_bytes")));
      g_variant_builder_add (&device, "{sv}", "write-bytes", g_variant_new_uint64 (json_uint_member (stats, "wr_bytes")));
      g_variant_builder_add (&devices, "a{sv}", &device);
    }

  g_variant_builder_add (totals, "{sv}", "block-read-bytes", g_variant_new_uint64 (sum.rd_bytes));
  g_variant_builder_add (totals, "{sv}", "block-write-bytes", g_variant_new_uint64 (sum.wr_bytes));
  g_variant_builder_add (totals, "{sv}", "block-read-requests", g_variant_new_uint64 (sum.rd_ops));
  g_variant_builder_add (totals, "{sv}", "block-write-requests", g_variant_new_uint64 (sum.wr_ops));
  g_variant_builder_add (totals, "{sv}", "block", g_variant_builder_end (&devices));
}

static void
add_process_stats (HangardVm       *self,
                   GVariantBuilder *builder,
                   gint64           now_us)
{
  guint64 cpu_ns = self->pid ? read_process_cpu_ns (self->pid) : 0;
  double percent = 0.0;
  guint64 base_ns = self->last_cpu_ns;
  gint64 base_us = self->last_sample_us;

  /* The first sample of a run measures from QEMU's start. */
  if (base_us == 0 || cpu_ns < base_ns)
    {
      base_ns = 0;
      base_us = self->start_time ? (gint64) self->start_time * G_USEC_PER_SEC : now_us;
      now_us = g_get_real_time ();
    }
  if (now_us > base_us)
    percent = (double) (cpu_ns - base_ns) / 1000.0 / (double) (now_us - base_us) * 100.0;

  self->last_cpu_ns = cpu_ns;
  self->last_sample_us = g_get_monotonic_time ();

  g_variant_builder_add (builder, "{sv}", "cpu-time-ns", g_variant_new_uint64 (cpu_ns));
  g_variant_builder_add (builder, "{sv}", "cpu-percent", g_variant_new_double (percent));
  g_variant_builder_add (builder, "{sv}", "memory-rss-kib",
                         g_variant_new_uint64 (self->pid ? read_process_rss_kib (self->pid) : 0));
}

static const char *
nic_type_name (HangardNicType type)
{
  switch (type)
    {
    case HANGARD_NIC_TYPE_NETWORK: return "network";
    case HANGARD_NIC_TYPE_BRIDGE:  return "bridge";
    case HANGARD_NIC_TYPE_USER:
    default:                       return "user";
    }
}

/* A tap's byte counters from /proc/net/dev, which (unlike /sys) always
 * shows the engine's own network namespace. */
static gboolean
read_tap_counters (const char *tap,
                   guint64    *host_rx,
                   guint64    *host_tx)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *prefix = g_strconcat (tap, ":", NULL);

  if (!g_file_get_contents ("/proc/net/dev", &contents, NULL, NULL))
    return FALSE;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i] + strspn (lines[i], " ");
      g_auto(GStrv) fields = NULL;

      if (!g_str_has_prefix (line, prefix))
        continue;
      fields = g_strsplit_set (line + strlen (prefix), " ", -1);
      /* Receive: bytes packets errs drop fifo frame compressed multicast; then transmit bytes. */
      {
        g_autoptr(GPtrArray) values = g_ptr_array_new ();
        for (guint j = 0; fields[j] != NULL; j++)
          if (*fields[j] != '\0')
            g_ptr_array_add (values, fields[j]);
        if (values->len < 9)
          return FALSE;
        *host_rx = g_ascii_strtoull (g_ptr_array_index (values, 0), NULL, 10);
        *host_tx = g_ascii_strtoull (g_ptr_array_index (values, 8), NULL, 10);
      }
      return TRUE;
    }
  return FALSE;
}

/* One entry per interface. A tap's counters are the host's view: what the
 * tap receives, the guest sent. User-mode NICs have no host device and
 * QEMU keeps no counters for them, so they carry no byte counts. */
static void
add_net_stats (HangardVm       *self,
               GVariantBuilder *builder,
               HangardDomain   *domain)
{
  GVariantBuilder nics;
  guint64 total_rx = 0, total_tx = 0;
  gboolean counted = FALSE;

  g_variant_builder_init (&nics, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < domain->nics->len; i++)
    {
      HangardNicDef *nic = g_ptr_array_index (domain->nics, i);
      const char *tap = hangard_vm_get_tap_name (self, i);
      guint64 host_rx, host_tx;
      GVariantBuilder entry;

      g_variant_builder_init (&entry, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&entry, "{sv}", "mac", g_variant_new_string (nic->mac));
      g_variant_builder_add (&entry, "{sv}", "type", g_variant_new_string (nic_type_name (nic->type)));
      if (tap != NULL && read_tap_counters (tap, &host_rx, &host_tx))
        {
          g_variant_builder_add (&entry, "{sv}", "device", g_variant_new_string (tap));
          g_variant_builder_add (&entry, "{sv}", "rx-bytes", g_variant_new_uint64 (host_tx));
          g_variant_builder_add (&entry, "{sv}", "tx-bytes", g_variant_new_uint64 (host_rx));
          total_rx += host_tx;
          total_tx += host_rx;
          counted = TRUE;
        }
      g_variant_builder_add (&nics, "a{sv}", &entry);
    }
  g_variant_builder_add (builder, "{sv}", "net", g_variant_builder_end (&nics));
  if (counted)
    {
      g_variant_builder_add (builder, "{sv}", "net-rx-bytes", g_variant_new_uint64 (total_rx));
      g_variant_builder_add (builder, "{sv}", "net-tx-bytes", g_variant_new_uint64 (total_tx));
    }
}

static GVariantBuilder *
stats_builder_new (HangardVm     *self,
                   HangardDomain *domain)
{
  GVariantBuilder *builder = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);

  add_net_stats (self, builder, domain);

  g_variant_builder_add (builder, "{sv}", "state", g_variant_new_string (hangard_vm_state_to_string (self->state)));
  g_variant_builder_add (builder, "{sv}", "vcpus", g_variant_new_uint32 (domain->vcpus));
  g_variant_builder_add (builder, "{sv}", "memory-kib", g_variant_new_uint64 (domain->current_memory_kib));
  g_variant_builder_add (builder, "{sv}", "timestamp-us", g_variant_new_int64 (g_get_monotonic_time ()));
  return builder;
}

static void
on_blockstats (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HangardVm *self = g_task_get_source_object (task);
  GVariantBuilder *builder = g_task_get_task_data (task);
  g_autoptr(JsonNode) reply = hangard_qmp_execute_finish (HANGARD_QMP (source), result, NULL);

  add_process_stats (self, builder, g_get_monotonic_time ());
  add_block_stats (builder, reply);
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_builder_end (builder)),
                         (GDestroyNotify) g_variant_unref);
}

void
hangard_vm_get_stats_async (HangardVm           *self,
                            HangardDomain       *domain,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GVariantBuilder *builder = stats_builder_new (self, domain);

  g_task_set_task_data (task, builder, (GDestroyNotify) g_variant_builder_unref);
  if (self->qmp == NULL)
    {
      add_process_stats (self, builder, g_get_monotonic_time ());
      add_block_stats (builder, NULL);
      g_task_return_pointer (task, g_variant_ref_sink (g_variant_builder_end (builder)),
                             (GDestroyNotify) g_variant_unref);
      return;
    }
  hangard_qmp_execute_async (self->qmp, "query-blockstats", NULL, -1, cancellable,
                             on_blockstats, g_steal_pointer (&task));
}

GVariant *
hangard_vm_get_stats_finish (HangardVm     *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Display and serial port ---------------------------------------------- */

/* The chardev the argv builder gives the serial port. */
#define SERIAL_CHARDEV_ID "charserial0"

/* getfd names are per QMP monitor; one counter for the whole engine keeps
 * them unique in every QEMU. */
static guint next_fd_name_number = 1;

/* One OpenDisplay or OpenSerial on its way through QMP. */
typedef struct {
  int   fd;        /* the caller's end of the socket pair; -1 once returned */
  char *fd_name;   /* QEMU's end, as named in getfd */
} OpenCall;

static void
open_call_free (OpenCall *call)
{
  if (call->fd >= 0)
    close (call->fd);
  g_free (call->fd_name);
  g_free (call);
}

static void
close_fd_pointer (gpointer data)
{
  int *fd = data;

  if (*fd >= 0)
    close (*fd);
  g_free (fd);
}

static void
return_fd (GTask *task)
{
  OpenCall *call = g_task_get_task_data (task);
  int *fd = g_new (int, 1);

  *fd = call->fd;
  call->fd = -1;
  g_task_return_pointer (task, fd, close_fd_pointer);
}

static int
propagate_fd (GAsyncResult  *result,
              GError       **error)
{
  g_autofree int *fd = g_task_propagate_pointer (G_TASK (result), error);

  return fd != NULL ? *fd : -1;
}

/* QMP's own failures (QEMU's refusals) are already HANGAR_ERROR_QEMU; a
 * lost connection (QEMU ended meanwhile) is not the caller's fault. */
static void
return_qmp_error (GTask  *task,
                  GError *error)
{
  if (error->domain != HANGAR_ERROR)
    {
      GError *wrapped = g_error_new (HANGAR_ERROR, HANGAR_ERROR_FAILED,
                                     _("Lost the connection to QEMU: %s"), error->message);
      g_error_free (error);
      error = wrapped;
    }
  g_task_return_error (task, error);
}

static gboolean
check_can_open (HangardVm  *self,
                GError    **error)
{
  switch (self->state)
    {
    case HANGARD_VM_STATE_RUNNING:
    case HANGARD_VM_STATE_PAUSED:
    case HANGARD_VM_STATE_SHUTTING_DOWN:
      break;
    case HANGARD_VM_STATE_SHUTOFF:
    case HANGARD_VM_STATE_STARTING:
    case HANGARD_VM_STATE_CRASHED:
    default:
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                           _("The machine is not running"));
      return FALSE;
    }
  if (self->qmp == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                           _("The engine cannot talk to this machine's QEMU; only forcing it off is possible"));
      return FALSE;
    }
  return TRUE;
}

/* Starts an OpenDisplay/OpenSerial: checks the state, then asks QEMU
 * `query` (what devices it has), answered in `on_query`. */
static void
open_call_begin (HangardVm           *self,
                 gpointer             source_tag,
                 const char          *query,
                 GAsyncReadyCallback  on_query,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  OpenCall *call = g_new0 (OpenCall, 1);

  g_task_set_source_tag (task, source_tag);
  call->fd = -1;
  g_task_set_task_data (task, call, (GDestroyNotify) open_call_free);

  if (!check_can_open (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  hangard_qmp_execute_async (self->qmp, query, NULL, -1, cancellable, on_query,
                             g_steal_pointer (&task));
}

/* Makes the socket pair and hands QEMU its end under a fresh name. */
static void
send_socket_to_qemu (GTask               *task,
                     HangardQmp          *qmp,
                     const char          *prefix,
                     GAsyncReadyCallback  on_getfd)
{
  OpenCall *call = g_task_get_task_data (task);
  g_autoptr(JsonObject) arguments = json_object_new ();
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      int saved_errno = errno;
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                               _("Cannot make a socket pair: %s"), g_strerror (saved_errno));
      return;
    }
  call->fd = fds[0];
  call->fd_name = g_strdup_printf ("%s-%u", prefix, next_fd_name_number++);
  json_object_set_string_member (arguments, "fdname", call->fd_name);
  /* The QMP client sends its own dup of QEMU's end. */
  hangard_qmp_execute_async (qmp, "getfd", arguments, fds[1], g_task_get_cancellable (task),
                             on_getfd, g_object_ref (task));
  close (fds[1]);
}

/* -- OpenDisplay -- */

static void
on_display_client_added (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);

  /* add_client took the fd from the monitor whatever happened next. */
  if (node == NULL)
    return_qmp_error (task, error);
  else
    return_fd (task);
}

static void
on_display_fd_sent (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  OpenCall *call = g_task_get_task_data (task);
  g_autoptr(JsonObject) arguments = json_object_new ();
  GCancellable *cancellable;
  GError *error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);

  if (node == NULL)
    {
      return_qmp_error (task, error);
      return;
    }
  json_object_set_string_member (arguments, "protocol", "vnc");
  json_object_set_string_member (arguments, "fdname", call->fd_name);
  /* The engine has decided who may see the display: the D-Bus caller. */
  json_object_set_boolean_member (arguments, "skipauth", TRUE);
  cancellable = g_task_get_cancellable (task);
  hangard_qmp_execute_async (HANGARD_QMP (source), "add_client", arguments, -1,
                             cancellable, on_display_client_added, g_steal_pointer (&task));
}

static void
on_vnc_servers (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);

  if (node == NULL)
    {
      return_qmp_error (task, error);
      return;
    }
  /* -vnc none makes one server without a listening socket; a machine
   * without <graphics> runs with -display none and has none. */
  if (!JSON_NODE_HOLDS_ARRAY (node) || json_array_get_length (json_node_get_array (node)) == 0)
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_NO_DEVICE,
                               _("The machine has no display: its definition has no "
                                 "<graphics type='vnc'> (add one, then start it again)"));
      return;
    }
  send_socket_to_qemu (task, HANGARD_QMP (source), "hangar-vnc", on_display_fd_sent);
}

void
hangard_vm_open_display_async (HangardVm           *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (HANGARD_IS_VM (self));

  open_call_begin (self, hangard_vm_open_display_async, "query-vnc-servers", on_vnc_servers,
                   cancellable, callback, user_data);
}

int
hangard_vm_open_display_finish (HangardVm     *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == hangard_vm_open_display_async, -1);

  return propagate_fd (result, error);
}

/* -- OpenSerial -- */

static void
on_serial_chardev_changed (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HangardVm *self = g_task_get_source_object (task);
  OpenCall *call = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);

  if (node == NULL)
    {
      /* QEMU keeps the old chardev; do not leave it our fd either. */
      g_autoptr(JsonObject) arguments = json_object_new ();

      json_object_set_string_member (arguments, "fdname", call->fd_name);
      hangard_qmp_execute_async (HANGARD_QMP (source), "closefd", arguments, -1, NULL,
                                 on_qmp_command_done, NULL);
      return_qmp_error (task, error);
      return;
    }

  /* The listening socket QEMU started with is gone with its chardev. */
  g_unlink (self->serial_path);
  append_log_note (self, "serial console attached (%s)", call->fd_name);
  return_fd (task);
}

static void
on_serial_fd_sent (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HangardVm *self = g_task_get_source_object (task);
  OpenCall *call = g_task_get_task_data (task);
  g_autoptr(JsonObject) arguments = NULL;
  JsonObject *backend, *data, *addr, *addr_data;
  GCancellable *cancellable;
  GError *error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);

  if (node == NULL)
    {
      return_qmp_error (task, error);
      return;
    }

  /* A connected client socket on the fd; the log goes on in the same file.
   * Replacing the chardev closes the previous one: a previous OpenSerial's
   * socket reads end of file, which is the takeover. Each object below
   * is owned by its parent once set in it. */
  addr_data = json_object_new ();
  json_object_set_string_member (addr_data, "str", call->fd_name);
  addr = json_object_new ();
  json_object_set_string_member (addr, "type", "fd");
  json_object_set_object_member (addr, "data", addr_data);
  data = json_object_new ();
  json_object_set_object_member (data, "addr", addr);
  json_object_set_boolean_member (data, "server", FALSE);
  /* As QEMU knows the log: in system mode an fd set, as it cannot open files. */
  json_object_set_string_member (data, "logfile", self->qemu_console_log != NULL
                                                  ? self->qemu_console_log : self->console_log_path);
  json_object_set_boolean_member (data, "logappend", TRUE);
  backend = json_object_new ();
  json_object_set_string_member (backend, "type", "socket");
  json_object_set_object_member (backend, "data", data);
  arguments = json_object_new ();
  json_object_set_string_member (arguments, "id", SERIAL_CHARDEV_ID);
  json_object_set_object_member (arguments, "backend", backend);
  cancellable = g_task_get_cancellable (task);
  hangard_qmp_execute_async (HANGARD_QMP (source), "chardev-change", arguments, -1,
                             cancellable, on_serial_chardev_changed, g_steal_pointer (&task));
}

static gboolean
has_chardev (JsonNode   *node,
             const char *label)
{
  JsonArray *chardevs = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;

  for (guint i = 0; chardevs != NULL && i < json_array_get_length (chardevs); i++)
    {
      JsonNode *element = json_array_get_element (chardevs, i);
      JsonObject *chardev = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;

      if (chardev != NULL &&
          g_strcmp0 (json_object_get_string_member_with_default (chardev, "label", NULL), label) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
on_chardevs (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);

  if (node == NULL)
    {
      return_qmp_error (task, error);
      return;
    }
  if (!has_chardev (node, SERIAL_CHARDEV_ID))
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_NO_DEVICE,
                               _("The machine has no serial port: its definition has no "
                                 "<serial> or <console> (add one, then start it again)"));
      return;
    }
  send_socket_to_qemu (task, HANGARD_QMP (source), "hangar-serial", on_serial_fd_sent);
}

void
hangard_vm_open_serial_async (HangardVm           *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (HANGARD_IS_VM (self));

  open_call_begin (self, hangard_vm_open_serial_async, "query-chardev", on_chardevs,
                   cancellable, callback, user_data);
}

int
hangard_vm_open_serial_finish (HangardVm     *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == hangard_vm_open_serial_async, -1);

  return propagate_fd (result, error);
}

/* ---- Save and restore ----------------------------------------------------- */

/* How often query-migrate is asked while a state is written or loaded. */
#define MIGRATE_POLL_MSEC 100
/* A save goes to a local file: no bandwidth limit (QEMU's default is
 * 32 MiB/s, meant for networks). */
#define SAVE_MAX_BANDWIDTH (G_GINT64_CONSTANT (1) << 40)

/* getfd names are per monitor; a counter keeps them unique. */
static guint next_state_fd_number = 1;

typedef struct {
  int       fd;            /* the engine's copy of the save file's fd */
  char     *fd_name;       /* as named in getfd */
  gboolean  was_running;   /* resume when the save is not kept */
  gboolean  stopped;       /* `stop` went through */
} SaveCall;

static void
save_call_free (SaveCall *call)
{
  if (call->fd >= 0)
    close (call->fd);
  g_free (call->fd_name);
  g_free (call);
}

/* A QMP failure as a Hangar error: QEMU's refusals are already QemuError,
 * a lost connection (QEMU ended meanwhile) is Failed. */
static GError *
state_error (GError *error)
{
  GError *wrapped;

  if (error->domain == HANGAR_ERROR)
    return error;
  wrapped = g_error_new (HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Lost the connection to QEMU: %s"),
                         error->message);
  g_error_free (error);
  return wrapped;
}

/* Asks query-migrate again in a moment; `task` (a ref is taken) is the
 * save or start the migration belongs to. */
static void poll_migration (HangardVm *self,
                            GTask     *task);

/* The migration of `task` ended: error_message NULL when completed. */
static void migration_ended (HangardVm  *self,
                             GTask      *task,
                             const char *error_message);

static void
on_migration_status (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HangardVm *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);
  JsonObject *info = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  const char *status;

  if (node == NULL)
    {
      migration_ended (self, task, error->message);
      return;
    }
  status = info ? json_object_get_string_member_with_default (info, "status", "") : "";
  if (g_str_equal (status, "completed"))
    migration_ended (self, task, NULL);
  else if (g_str_equal (status, "failed") || g_str_equal (status, "cancelled"))
    migration_ended (self, task, json_object_get_string_member_with_default (info, "error-desc", status));
  else
    poll_migration (self, task);
}

static gboolean
on_migration_poll (gpointer user_data)
{
  GTask *task = user_data;
  HangardVm *self = g_task_get_source_object (task);

  self->migrate_poll = 0;
  if (self->qmp == NULL)
    migration_ended (self, task, _("QEMU ended"));
  else
    hangard_qmp_execute_async (self->qmp, "query-migrate", NULL, -1, NULL,
                               on_migration_status, g_object_ref (task));
  return G_SOURCE_REMOVE;
}

static void
poll_migration (HangardVm *self,
                GTask     *task)
{
  g_clear_handle_id (&self->migrate_poll, g_source_remove);
  self->migrate_poll = g_timeout_add_full (G_PRIORITY_DEFAULT, MIGRATE_POLL_MSEC, on_migration_poll,
                                           g_object_ref (task), g_object_unref);
}

/* -- Save -- */

static gboolean
check_can_save (HangardVm  *self,
                GError    **error)
{
  const char *message = NULL;

  if (self->save_task != NULL)
    message = _("The machine is being saved already");
  else if (self->state == HANGARD_VM_STATE_SHUTTING_DOWN)
    message = _("The machine is shutting down");
  else if (self->state != HANGARD_VM_STATE_RUNNING && self->state != HANGARD_VM_STATE_PAUSED)
    message = _("The machine is not running: only a running or paused machine can be saved");
  else if (self->qmp == NULL)
    message = _("The engine cannot talk to this machine’s QEMU; only forcing it off is possible");

  if (message != NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE, message);
      return FALSE;
    }
  return TRUE;
}

/* The state could not be written: the guest goes on as it was. */
static void
save_failed (GTask  *task,
             GError *error)
{
  HangardVm *self = g_task_get_source_object (task);
  SaveCall *call = g_task_get_task_data (task);

  append_log_note (self, "saving failed: %s", error->message);
  if (self->save_task == task)
    g_clear_object (&self->save_task);
  if (call->stopped && call->was_running && self->qmp != NULL)
    {
      send_qmp (self, "cont");
      set_state (self, HANGARD_VM_STATE_RUNNING, _("resumed after a failed save"));
    }
  else if (call->stopped && self->pid != 0)
    set_state (self, HANGARD_VM_STATE_PAUSED, _("paused"));
  g_task_return_error (task, error);
}

static void
on_save_migrate_started (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HangardVm *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);

  if (node == NULL)
    save_failed (task, state_error (error));
  else
    poll_migration (self, task);
}

static void
on_save_fd_sent (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SaveCall *call = g_task_get_task_data (task);
  g_autoptr(JsonObject) arguments = json_object_new ();
  g_autofree char *uri = g_strconcat ("fd:", call->fd_name, NULL);
  GError *error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);

  if (node == NULL)
    {
      save_failed (task, state_error (error));
      return;
    }
  json_object_set_string_member (arguments, "uri", uri);
  hangard_qmp_execute_async (HANGARD_QMP (source), "migrate", arguments, -1, NULL,
                             on_save_migrate_started, g_steal_pointer (&task));
}

static void
on_save_bandwidth_set (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SaveCall *call = g_task_get_task_data (task);
  g_autoptr(JsonObject) arguments = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);

  /* Only speed is at stake: a QEMU that refuses saves at its own pace. */
  if (node == NULL)
    g_debug ("migrate-set-parameters failed: %s", error->message);

  call->fd_name = g_strdup_printf ("hangar-save-%u", next_state_fd_number++);
  json_object_set_string_member (arguments, "fdname", call->fd_name);
  hangard_qmp_execute_async (HANGARD_QMP (source), "getfd", arguments, call->fd, NULL,
                             on_save_fd_sent, g_steal_pointer (&task));
}

static void
save_set_bandwidth (HangardVm *self,
                    GTask     *task)
{
  g_autoptr(JsonObject) arguments = json_object_new ();

  set_state (self, HANGARD_VM_STATE_PAUSED, _("saving"));
  json_object_set_int_member (arguments, "max-bandwidth", SAVE_MAX_BANDWIDTH);
  hangard_qmp_execute_async (self->qmp, "migrate-set-parameters", arguments, -1, NULL,
                             on_save_bandwidth_set, task);
}

static void
on_save_stopped (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HangardVm *self = g_task_get_source_object (task);
  SaveCall *call = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);

  if (node == NULL)
    {
      save_failed (task, state_error (error));
      return;
    }
  call->stopped = TRUE;
  save_set_bandwidth (self, g_steal_pointer (&task));
}

void
hangard_vm_save_state_async (HangardVm           *self,
                             int                  fd,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  SaveCall *call;

  g_return_if_fail (HANGARD_IS_VM (self));
  g_return_if_fail (fd >= 0);

  g_task_set_source_tag (task, hangard_vm_save_state_async);
  if (!check_can_save (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  call = g_new0 (SaveCall, 1);
  call->fd = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  call->was_running = self->state == HANGARD_VM_STATE_RUNNING;
  g_task_set_task_data (task, call, (GDestroyNotify) save_call_free);
  if (call->fd < 0)
    {
      int saved_errno = errno;
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                               _("Cannot duplicate a file descriptor: %s"), g_strerror (saved_errno));
      return;
    }

  self->save_task = g_object_ref (task);
  append_log_note (self, "saving the machine's state (%s)", call->was_running ? "running" : "paused");
  if (call->was_running)
    hangard_qmp_execute_async (self->qmp, "stop", NULL, -1, NULL, on_save_stopped, g_steal_pointer (&task));
  else
    {
      call->stopped = TRUE;
      save_set_bandwidth (self, g_steal_pointer (&task));
    }
}

gboolean
hangard_vm_save_state_finish (HangardVm     *self,
                              GAsyncResult  *result,
                              gboolean      *was_running,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == hangard_vm_save_state_async, FALSE);

  if (was_running != NULL)
    *was_running = ((SaveCall *) g_task_get_task_data (G_TASK (result)))->was_running;
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
save_migrated (HangardVm  *self,
               GTask      *task,
               const char *error_message)
{
  if (error_message != NULL)
    {
      save_failed (task, g_error_new (HANGAR_ERROR, HANGAR_ERROR_QEMU,
                                      _("QEMU could not save the machine’s state: %s"), error_message));
      return;
    }
  append_log_note (self, "state saved; QEMU waits for the engine to keep or drop it");
  g_task_return_boolean (task, TRUE);
}

static void
on_save_resumed (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HangardVm *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);

  if (node == NULL)
    {
      g_task_return_error (task, state_error (error));
      return;
    }
  set_state (self, HANGARD_VM_STATE_RUNNING, _("resumed: the save was not kept"));
  g_task_return_boolean (task, TRUE);
}

void
hangard_vm_finish_save_async (HangardVm           *self,
                              gboolean             keep,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GTask) save = NULL;
  SaveCall *call;

  g_return_if_fail (HANGARD_IS_VM (self));

  g_task_set_source_tag (task, hangard_vm_finish_save_async);
  if (self->save_task == NULL)
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                               _("The machine is not being saved"));
      return;
    }
  save = g_steal_pointer (&self->save_task);
  call = g_task_get_task_data (save);

  /* QEMU ended on its own meanwhile: nothing left to end or resume. */
  if (self->pid == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (keep)
    {
      /* QEMU is done: its guest lives on in the file. The SHUTDOWN our
       * quit brings must not rename that, hence the reason set first. */
      append_log_note (self, "state kept: ending QEMU");
      self->shutdown_seen = TRUE;
      g_free (self->shutdown_reason);
      self->shutdown_reason = g_strdup (_("saved"));
      g_ptr_array_add (self->exit_waiters, g_steal_pointer (&task));
      if (self->qmp != NULL)
        send_qmp (self, "quit");
      else
        pidfd_send_signal_compat (self->pidfd, SIGTERM);
      return;
    }

  append_log_note (self, "state dropped: the guest goes on");
  if (call->was_running && self->qmp != NULL)
    hangard_qmp_execute_async (self->qmp, "cont", NULL, -1, NULL, on_save_resumed, g_steal_pointer (&task));
  else
    {
      set_state (self, HANGARD_VM_STATE_PAUSED, _("paused"));
      g_task_return_boolean (task, TRUE);
    }
}

gboolean
hangard_vm_finish_save_finish (HangardVm     *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* -- Restore -- */

void
hangard_vm_set_incoming (HangardVm *self,
                         int        fd,
                         gboolean   paused)
{
  g_return_if_fail (HANGARD_IS_VM (self));

  /* A start under way keeps what it uses (a clean-up's -1 is no harm). */
  if (self->start_task != NULL)
    {
      g_return_if_fail (fd < 0);
      return;
    }

  if (self->incoming_fd >= 0)
    close (self->incoming_fd);
  self->incoming_fd = fd >= 0 ? fcntl (fd, F_DUPFD_CLOEXEC, 3) : -1;
  self->incoming_paused = paused;
}

/* The saved state is in: run the guest, or leave it paused as asked. */
static void
state_loaded (HangardVm *self)
{
  append_log_note (self, "saved state loaded");
  if (!self->incoming_paused)
    {
      hangard_qmp_execute_async (self->qmp, "cont", NULL, -1, NULL, on_started_cont, g_object_ref (self));
      return;
    }

  self->start_time = (guint64) (g_get_real_time () / G_USEC_PER_SEC);
  write_run_info (self);
  append_log_note (self, "restored, paused (pid %d)", (int) self->pid);
  set_state (self, HANGARD_VM_STATE_PAUSED, _("restored, paused"));
  complete_start (self);
}

/* QEMU could not take the state: it usually exits by itself; if not, it
 * is ended, and the start fails with what its log says. */
static void
state_not_loaded (HangardVm  *self,
                  const char *message)
{
  append_log_note (self, "cannot load the saved state: %s", message);
  if (self->pidfd >= 0)
    pidfd_send_signal_compat (self->pidfd, SIGKILL);
}

static void
migration_ended (HangardVm  *self,
                 GTask      *task,
                 const char *error_message)
{
  if (g_task_get_source_tag (task) == hangard_vm_save_state_async)
    {
      save_migrated (self, task, error_message);
      return;
    }

  /* A restore, whose start may have ended meanwhile (QEMU exited). */
  if (self->start_task != task)
    return;
  if (error_message != NULL)
    state_not_loaded (self, error_message);
  else
    state_loaded (self);
}

static void
on_incoming_started (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(HangardVm) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);

  if (self->start_task == NULL)
    return;
  if (node == NULL)
    state_not_loaded (self, error->message);
  else
    poll_migration (self, self->start_task);
}

typedef struct {
  HangardVm *self;
  char      *fd_name;
} IncomingStep;

static void
incoming_step_free (IncomingStep *step)
{
  g_object_unref (step->self);
  g_free (step->fd_name);
  g_free (step);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IncomingStep, incoming_step_free)

static void
on_incoming_fd_sent (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(IncomingStep) step = user_data;
  HangardVm *self = step->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = hangard_qmp_execute_finish (HANGARD_QMP (source), result, &error);
  g_autoptr(JsonObject) arguments = json_object_new ();
  g_autofree char *uri = g_strconcat ("fd:", step->fd_name, NULL);

  if (self->start_task == NULL)
    return;
  if (node == NULL)
    {
      state_not_loaded (self, error->message);
      return;
    }

  /* QEMU has its own copy now. */
  if (self->incoming_fd >= 0)
    close (self->incoming_fd);
  self->incoming_fd = -1;
  json_object_set_string_member (arguments, "uri", uri);
  hangard_qmp_execute_async (HANGARD_QMP (source), "migrate-incoming", arguments, -1, NULL,
                             on_incoming_started, g_object_ref (self));
}

static void
continue_start (HangardVm *self)
{
  g_autoptr(JsonObject) arguments = NULL;
  IncomingStep *step;

  if (!self->restoring && self->start_loadvm != NULL && self->start_paused)
    {
      /* A snapshot taken while paused: loaded (-loadvm), and kept paused. */
      self->start_time = (guint64) (g_get_real_time () / G_USEC_PER_SEC);
      write_run_info (self);
      append_log_note (self, "restored from snapshot %s, paused (pid %d)", self->start_loadvm, (int) self->pid);
      set_state (self, HANGARD_VM_STATE_PAUSED, _("restored from a snapshot, paused"));
      complete_start (self);
      return;
    }
  if (!self->restoring)
    {
      hangard_qmp_execute_async (self->qmp, "cont", NULL, -1, NULL, on_started_cont, g_object_ref (self));
      return;
    }

  /* -incoming defer: QEMU waits, paused (-S), for the state on an fd the
   * engine opened; it never opens the save file itself. */
  append_log_note (self, "loading the saved state");
  step = g_new0 (IncomingStep, 1);
  step->self = g_object_ref (self);
  step->fd_name = g_strdup_printf ("hangar-incoming-%u", next_state_fd_number++);
  arguments = json_object_new ();
  json_object_set_string_member (arguments, "fdname", step->fd_name);
  hangard_qmp_execute_async (self->qmp, "getfd", arguments, self->incoming_fd, NULL,
                             on_incoming_fd_sent, step);
}

/* -- Snapshots -- */

HangardQmp *
hangard_vm_get_qmp (HangardVm *self)
{
  return self->pid != 0 ? self->qmp : NULL;
}

void
hangard_vm_set_loadvm (HangardVm  *self,
                       const char *tag,
                       gboolean    paused)
{
  g_return_if_fail (HANGARD_IS_VM (self));

  g_free (self->next_loadvm);
  self->next_loadvm = g_strdup (tag);
  self->next_loadvm_paused = tag != NULL && paused;
}

/* ---- Object --------------------------------------------------------------- */

HangardVmState
hangard_vm_get_state (HangardVm *self)
{
  return self->state;
}

const char *
hangard_vm_get_state_reason (HangardVm *self)
{
  return self->reason;
}

gboolean
hangard_vm_is_active (HangardVm *self)
{
  return self->pid != 0;
}

GPid
hangard_vm_get_pid (HangardVm *self)
{
  return self->pid;
}

const char *
hangard_vm_get_accelerator (HangardVm *self)
{
  return self->pid ? self->accelerator : NULL;
}

guint64
hangard_vm_get_start_time (HangardVm *self)
{
  return self->start_time;
}

const char *
hangard_vm_get_console_log_path (HangardVm *self)
{
  return self->console_log_path;
}

const char *
hangard_vm_get_qemu_log_path (HangardVm *self)
{
  return self->qemu_log_path;
}

HangardVm *
hangard_vm_new (const char *uuid,
                const char *runtime_dir,
                const char *console_log_path,
                const char *qemu_log_path)
{
  HangardVm *self = g_object_new (HANGARD_TYPE_VM, NULL);

  self->uuid = g_strdup (uuid);
  self->runtime_dir = g_strdup (runtime_dir);
  self->qmp_path = g_build_filename (runtime_dir, "qmp.sock", NULL);
  self->serial_path = g_build_filename (runtime_dir, "serial.sock", NULL);
  self->pid_path = g_build_filename (runtime_dir, "qemu.pid", NULL);
  self->run_info_path = g_build_filename (runtime_dir, "run.ini", NULL);
  self->console_log_path = g_strdup (console_log_path);
  self->qemu_log_path = g_strdup (qemu_log_path);
  return self;
}

static void
hangard_vm_dispose (GObject *object)
{
  HangardVm *self = HANGARD_VM (object);

  /* The engine going away leaves QEMU running: only stop watching it. */
  stop_watching_process (self);
  drop_qmp (self);
  g_clear_handle_id (&self->start_timeout, g_source_remove);
  g_clear_handle_id (&self->kill_timeout, g_source_remove);
  g_clear_handle_id (&self->migrate_poll, g_source_remove);

  G_OBJECT_CLASS (hangard_vm_parent_class)->dispose (object);
}

static void
hangard_vm_finalize (GObject *object)
{
  HangardVm *self = HANGARD_VM (object);

  g_clear_pointer (&self->exit_waiters, g_ptr_array_unref);
  g_clear_object (&self->save_task);
  if (self->incoming_fd >= 0)
    close (self->incoming_fd);
  g_free (self->uuid);
  g_free (self->runtime_dir);
  g_free (self->qmp_path);
  g_free (self->serial_path);
  g_free (self->pid_path);
  g_free (self->run_info_path);
  g_free (self->console_log_path);
  g_free (self->qemu_log_path);
  g_free (self->reason);
  g_free (self->accelerator);
  g_free (self->shutdown_reason);
  g_strfreev (self->tap_names);
  g_strfreev (self->nic_backends);
  g_strfreev (self->disk_paths);
  g_free (self->running_xml);
  g_free (self->qemu_dir);
  g_strfreev (self->qemu_cgroups);
  g_free (self->qemu_console_log);
  g_free (self->next_loadvm);
  g_free (self->start_loadvm);

  G_OBJECT_CLASS (hangard_vm_parent_class)->finalize (object);
}

static void
hangard_vm_class_init (HangardVmClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hangard_vm_dispose;
  object_class->finalize = hangard_vm_finalize;

  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
hangard_vm_init (HangardVm *self)
{
  self->state = HANGARD_VM_STATE_SHUTOFF;
  self->reason = g_strdup ("");
  self->pidfd = -1;
  self->incoming_fd = -1;
  self->exit_waiters = g_ptr_array_new_with_free_func (g_object_unref);
}
