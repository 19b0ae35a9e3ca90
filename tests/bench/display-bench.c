/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "display-bench"

/* display-bench: what the HangarDisplay widget costs to follow a busy
 * 1080p guest, with each GTK renderer, against remote-viewer (virt-viewer,
 * on gtk-vnc) or gvncviewer on the same guest in the same run.
 *
 * The guest is the busybox test guest under a bare QEMU (TCG, std VGA),
 * booted with vga=0x392: a 1920×1080×32 VESA mode, /dev/fb0 from the
 * kernel's vesafb. The bench types into its serial shell (a unix socket)
 * to run, in turn:
 *
 *  full    two random 1920×1080 frames copied to /dev/fb0 one after the
 *          other: every pixel changes every frame;
 *  small   16 rows × 1920 pixels (1.5 % of the screen) of random data
 *          rewritten at a moving position every frame.
 *
 * Both are paced by the guest (a sleep after each frame) and print a frame
 * counter on the serial port, so the guest's own frame rate is known.
 *
 * QEMU runs two VNC servers on the same display: a unix socket for the
 * HangarDisplay clients (what Machine.OpenDisplay hands out is a connected
 * socket too), and 127.0.0.1:5900 for the comparison viewer, which speaks
 * VNC over TCP only: QEMU runs in a network namespace of its own (unshare
 * -n), so the port exists nowhere else, and the viewer joins it with
 * nsenter. Without namespaces (not root) the comparison is skipped.
 *
 * Clients, one at a time, for --seconds each after a warm-up:
 *  hangar gl / hangar cairo  this program again (--client) with
 *           GSK_RENDERER=gl or =cairo: an undecorated 1920×1080 window
 *           holding a HangarDisplay at 1:1; it counts frames drawn,
 *           update rectangles and its own CPU time (getrusage: every
 *           thread, so llvmpipe's too);
 *  viewer   remote-viewer (or gvncviewer): CPU time from /proc/PID/stat.
 *
 * Under Xvfb there is no GPU: GSK_RENDERER=gl renders with Mesa's software
 * rasterizer (llvmpipe); the line about the renderer says what GTK used.
 * Frames the viewer draws cannot be counted from outside, so the ratios
 * compare CPU time per guest frame, on the same guest workload. QEMU's own
 * CPU (TCG, VNC encoding) is not counted for anyone, but all of it shares
 * the host's CPUs: the guest's frame rate is printed for each run.
 *
 * It prints results; it never judges them. Run it under Xvfb with a screen
 * of at least 1920×1080 (meson test --benchmark display-bench does), or
 * xvfb-run -a -s '-screen 0 1920x1200x24' _build/tests/bench/display-bench. */

#include <errno.h>
#include <epoxy/gl.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <gio/gunixinputstream.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtk/gtk.h>

#include "bench-common.h"
#include "hangar-display.h"

#define GUEST_WIDTH        1920
#define GUEST_HEIGHT       1080
#define GUEST_VGA_MODE     "0x392"        /* VESA 0x192: 1920×1080×32 in SeaBIOS's VGA BIOS */
#define BOOT_TIMEOUT_S     180
#define SETUP_TIMEOUT_S    120
#define CONNECT_TIMEOUT_S  60
#define WARMUP_S           3
#define PROMPT             "hangar-guest#"
#define VIEWER_PORT        5900

static int       opt_seconds = 10;
static gboolean  opt_client = FALSE;
static char     *opt_socket = NULL;
static gboolean  opt_no_viewer = FALSE;
static char     *self_path;      /* this program, by name: a rebuild may replace the file */

static const GOptionEntry options[] = {
  { "seconds", 's', 0, G_OPTION_ARG_INT, &opt_seconds, "Seconds measured per client and workload (default 10)", "N" },
  { "no-viewer", 0, 0, G_OPTION_ARG_NONE, &opt_no_viewer, "Leave out remote-viewer/gvncviewer", NULL },
  { "client", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &opt_client, NULL, NULL },
  { "socket", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &opt_socket, NULL, NULL },
  { NULL }
};

/* ---- The client: a HangarDisplay in a window ------------------------------ */

static gboolean
iterate_until (gboolean (*done) (gpointer),
               gpointer   data,
               double     seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (g_get_monotonic_time () < end)
    {
      if (done != NULL && done (data))
        return TRUE;
      g_main_context_iteration (NULL, FALSE);
      if (!g_main_context_pending (NULL))
        g_usleep (1000);
    }
  return done != NULL && done (data);
}

static gboolean
display_ready (gpointer data)
{
  HangarDisplay *display = data;

  return hangar_display_is_connected (display) &&
         hangar_display_get_guest_width (display) == GUEST_WIDTH &&
         hangar_display_get_frame_count (display) > 0;
}

static double
cpu_ms_self (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec * 1000.0 + usage.ru_utime.tv_usec / 1000.0 +
         usage.ru_stime.tv_sec * 1000.0 + usage.ru_stime.tv_usec / 1000.0;
}

static int
connect_unix (const char *path)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0 || strlen (path) >= sizeof address.sun_path)
    return -1;
  strcpy (address.sun_path, path);
  if (connect (fd, (struct sockaddr *) &address, sizeof address) != 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* What GL GTK got, when it renders with GL: the context it left current. */
static char *
describe_gl (void)
{
  GdkGLContext *context = gdk_gl_context_get_current ();
  const char *renderer;

  if (context == NULL)
    return g_strdup ("-");
  renderer = (const char *) glGetString (GL_RENDERER);
  return g_strdelimit (g_strdup (renderer != NULL ? renderer : "?"), " ", '_');
}

static int
run_client (void)
{
  GtkWidget *window;
  HangarDisplay *display;
  double cpu_start, cpu_end;
  gint64 start_us, end_us;
  guint64 frames, updates, tiles, full;
  g_autofree char *gl = NULL;
  int fd;

  if (!gtk_init_check () || opt_socket == NULL)
    {
      g_print ("RESULT error=no-display-or-socket\n");
      return 1;
    }

  window = gtk_window_new ();
  gtk_window_set_decorated (GTK_WINDOW (window), FALSE);
  gtk_window_set_default_size (GTK_WINDOW (window), GUEST_WIDTH, GUEST_HEIGHT);
  display = HANGAR_DISPLAY (hangar_display_new ());
  hangar_display_set_scaling (display, HANGAR_DISPLAY_SCALE_FIT);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (display));
  gtk_window_present (GTK_WINDOW (window));

  fd = connect_unix (opt_socket);
  if (fd < 0)
    {
      g_print ("RESULT error=connect:%s\n", g_strerror (errno));
      return 1;
    }
  hangar_display_open_fd (display, fd);
  if (!iterate_until (display_ready, display, CONNECT_TIMEOUT_S))
    {
      g_print ("RESULT error=not-connected:%s\n", hangar_display_get_error (display) ?: "timeout");
      return 1;
    }
  iterate_until (NULL, NULL, WARMUP_S);
  gl = describe_gl ();

  g_print ("START\n");
  fflush (stdout);
  cpu_start = cpu_ms_self ();
  start_us = g_get_monotonic_time ();
  frames = hangar_display_get_frame_count (display);
  updates = hangar_display_get_update_count (display);
  tiles = hangar_display_get_tiles_built (display);
  full = hangar_display_get_frames_built (display);

  iterate_until (NULL, NULL, opt_seconds);

  end_us = g_get_monotonic_time ();
  cpu_end = cpu_ms_self ();
  g_print ("END\n");
  g_print ("RESULT renderer=%s gl=%s frames=%" G_GUINT64_FORMAT " updates=%" G_GUINT64_FORMAT
           " tiles=%" G_GUINT64_FORMAT " full=%" G_GUINT64_FORMAT " cpu_ms=%.1f wall_ms=%.1f connected=%d\n",
           G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (window))), gl,
           hangar_display_get_frame_count (display) - frames,
           hangar_display_get_update_count (display) - updates,
           hangar_display_get_tiles_built (display) - tiles,
           hangar_display_get_frames_built (display) - full,
           cpu_end - cpu_start, (end_us - start_us) / 1000.0,
           hangar_display_is_connected (display));
  fflush (stdout);
  hangar_display_close (display);
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}

/* ---- The guest ------------------------------------------------------------- */

typedef struct {
  char     *tmpdir;
  GPid      qemu_pid;           /* unshare, which execs sh, which execs QEMU */
  gboolean  namespaced;         /* QEMU in a network namespace: the TCP server exists */
  int       serial_fd;
  GString  *serial;             /* everything the guest said */
  gsize     parsed;             /* how much of it was scanned for frame counters */
  GString  *line;
  guint64   guest_frames;       /* the last "F<n>" */
  char     *vnc_socket;
  GPid      viewer_pid;
} Bench;

static void
bench_cleanup (gpointer data)
{
  Bench *bench = data;

  if (bench->viewer_pid > 0)
    bench_stop_child (bench->viewer_pid, SIGTERM);
  bench->viewer_pid = 0;
  if (bench->qemu_pid > 0)
    bench_stop_child (bench->qemu_pid, SIGKILL);
  bench->qemu_pid = 0;
  if (bench->serial_fd >= 0)
    close (bench->serial_fd);
  bench->serial_fd = -1;
  if (bench->tmpdir != NULL)
    bench_remove_tmpdir (bench->tmpdir);
  g_clear_pointer (&bench->tmpdir, g_free);
  g_clear_pointer (&bench->vnc_socket, g_free);
  if (bench->serial != NULL)
    g_string_free (bench->serial, TRUE);
  bench->serial = NULL;
  if (bench->line != NULL)
    g_string_free (bench->line, TRUE);
  bench->line = NULL;
}

static void
scan_serial (Bench *bench)
{
  for (; bench->parsed < bench->serial->len; bench->parsed++)
    {
      char c = bench->serial->str[bench->parsed];

      if (c == '\n')
        {
          const char *text = bench->line->str;

          if (text[0] == 'F' && g_ascii_isdigit (text[1]))
            bench->guest_frames = g_ascii_strtoull (text + 1, NULL, 10);
          g_string_truncate (bench->line, 0);
        }
      else if (c != '\r')
        g_string_append_c (bench->line, c);
    }
}

/* Reads what the guest says for up to @ms, and whatever @extra_fd has
 * (appended to @extra); returns early once @extra holds @extra_until. */
static void
pump (Bench      *bench,
      guint       ms,
      int         extra_fd,
      GString    *extra,
      const char *extra_until)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  for (;;)
    {
      struct pollfd fds[2] = { { bench->serial_fd, POLLIN, 0 }, { extra_fd, POLLIN, 0 } };
      gint64 left = (end - g_get_monotonic_time ()) / 1000;
      char buffer[65536];

      if (left <= 0 || (extra_until != NULL && strstr (extra->str, extra_until) != NULL))
        return;
      if (poll (fds, extra_fd >= 0 ? 2 : 1, (int) MIN (left, 200)) < 0 && errno != EINTR)
        bench_fail ("poll: %s", g_strerror (errno));
      if (fds[0].revents & (POLLIN | POLLHUP))
        {
          ssize_t n = read (bench->serial_fd, buffer, sizeof buffer);

          if (n <= 0)
            bench_fail ("the guest's serial port closed: QEMU ended");
          g_string_append_len (bench->serial, buffer, n);
          scan_serial (bench);
        }
      if (extra_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP)))
        {
          ssize_t n = read (extra_fd, buffer, sizeof buffer);

          if (n > 0)
            g_string_append_len (extra, buffer, n);
          else
            extra_fd = -1;
        }
    }
}

/* Waits until the guest has said @marker (after position @from). */
static void
wait_for_serial (Bench      *bench,
                 gsize       from,
                 const char *marker,
                 guint       timeout_s,
                 const char *what)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  while (strstr (bench->serial->str + MIN (from, bench->serial->len), marker) == NULL)
    {
      if (g_get_monotonic_time () > end)
        {
          gsize length = bench->serial->len;

          bench_fail ("%s: the guest never said “%s”; it ends with:\n%s", what, marker,
                      bench->serial->str + (length > 1500 ? length - 1500 : 0));
        }
      pump (bench, 200, -1, NULL, NULL);
    }
}

static void
send_serial (Bench      *bench,
             const char *text)
{
  gsize length = strlen (text);

  while (length > 0)
    {
      ssize_t n = write (bench->serial_fd, text, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        bench_fail ("cannot write to the guest's serial port: %s", g_strerror (errno));
      text += n;
      length -= n;
    }
}

/* Runs @command in the guest's serial shell and waits for it to say @done. */
static void
run_in_guest (Bench      *bench,
              const char *command,
              const char *done,
              guint       timeout_s)
{
  gsize from = bench->serial->len;
  g_autofree char *line = g_strconcat (command, "\n", NULL);

  send_serial (bench, line);
  wait_for_serial (bench, from, done, timeout_s, command);
}

static char *
escape_commas (const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, ",", -1);

  return g_strjoinv (",,", parts);
}

static gboolean
can_use_netns (void)
{
  g_autofree char *unshare = g_find_program_in_path ("unshare");
  g_autofree char *nsenter = g_find_program_in_path ("nsenter");
  g_autofree char *ip = g_find_program_in_path ("ip");
  const char *argv[] = { NULL, "-n", "true", NULL };
  int status = -1;

  if (geteuid () != 0 || unshare == NULL || nsenter == NULL || ip == NULL)
    return FALSE;
  argv[0] = unshare;
  return g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                       NULL, NULL, NULL, NULL, &status, NULL) &&
         g_spawn_check_wait_status (status, NULL);
}

static void
start_guest (Bench *bench)
{
  g_autofree char *qemu = g_find_program_in_path ("qemu-system-x86_64");
  g_autofree char *serial_path = g_build_filename (bench->tmpdir, "serial.sock", NULL);
  g_autofree char *log_path = g_build_filename (bench->tmpdir, "qemu.log", NULL);
  g_autofree char *vnc = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *kernel = escape_commas (hangar_test_guest_kernel ());
  g_autofree char *initrd = escape_commas (hangar_test_guest_initrd ());
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  gint64 end;
  int log_fd;

  if (qemu == NULL)
    bench_fail ("no qemu-system-x86_64 in PATH");

  bench->vnc_socket = g_build_filename (bench->tmpdir, "vnc.sock", NULL);
  {
    g_autofree char *escaped = escape_commas (bench->vnc_socket);
    g_autofree char *escaped_serial = escape_commas (serial_path);

    vnc = g_strdup_printf ("unix:%s", escaped);
    serial = g_strdup_printf ("unix:%s,server=on,wait=off", escaped_serial);
  }

  bench->namespaced = !opt_no_viewer && can_use_netns ();
  if (bench->namespaced)
    {
      /* A network namespace of QEMU's own: its TCP VNC port exists nowhere else. */
      g_ptr_array_add (argv, g_find_program_in_path ("unshare"));
      g_ptr_array_add (argv, g_strdup ("-n"));
      g_ptr_array_add (argv, g_strdup ("--"));
      g_ptr_array_add (argv, g_strdup ("/bin/sh"));
      g_ptr_array_add (argv, g_strdup ("-c"));
      g_ptr_array_add (argv, g_strdup ("ip link set lo up && exec \"$0\" \"$@\""));
    }
  g_ptr_array_add (argv, g_strdup (qemu));
  g_ptr_array_add (argv, g_strdup ("-accel"));
  g_ptr_array_add (argv, g_strdup ("tcg"));
  g_ptr_array_add (argv, g_strdup ("-machine"));
  g_ptr_array_add (argv, g_strdup ("pc"));
  g_ptr_array_add (argv, g_strdup ("-m"));
  g_ptr_array_add (argv, g_strdup ("512"));
  g_ptr_array_add (argv, g_strdup ("-nodefaults"));
  g_ptr_array_add (argv, g_strdup ("-no-user-config"));
  g_ptr_array_add (argv, g_strdup ("-device"));
  g_ptr_array_add (argv, g_strdup ("VGA,id=video0"));
  g_ptr_array_add (argv, g_strdup ("-vnc"));
  g_ptr_array_add (argv, g_strdup (vnc));
  if (bench->namespaced)
    {
      g_ptr_array_add (argv, g_strdup ("-vnc"));
      g_ptr_array_add (argv, g_strdup_printf ("127.0.0.1:%d,id=viewer", VIEWER_PORT - 5900));
    }
  g_ptr_array_add (argv, g_strdup ("-kernel"));
  g_ptr_array_add (argv, g_strdup (kernel));
  g_ptr_array_add (argv, g_strdup ("-initrd"));
  g_ptr_array_add (argv, g_strdup (initrd));
  g_ptr_array_add (argv, g_strdup ("-append"));
  g_ptr_array_add (argv, g_strdup ("console=ttyS0 quiet panic=-1 vga=" GUEST_VGA_MODE));
  g_ptr_array_add (argv, g_strdup ("-serial"));
  g_ptr_array_add (argv, g_strdup (serial));
  g_ptr_array_add (argv, NULL);

  log_fd = open (log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (!g_spawn_async_with_pipes_and_fds (NULL, (const char * const *) argv->pdata, NULL,
                                         G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                                         NULL, NULL, -1, log_fd, log_fd, NULL, NULL, 0,
                                         &bench->qemu_pid, NULL, NULL, NULL, &error))
    bench_fail ("cannot start QEMU: %s", error->message);
  close (log_fd);

  end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while ((bench->serial_fd = connect_unix (serial_path)) < 0)
    {
      if (g_get_monotonic_time () > end || waitpid (bench->qemu_pid, NULL, WNOHANG) == bench->qemu_pid)
        {
          g_autofree char *log = bench_file_tail (log_path, 2000);

          bench->qemu_pid = 0;
          bench_fail ("QEMU did not open its serial socket:\n%s", log);
        }
      g_usleep (50 * 1000);
    }
  wait_for_serial (bench, 0, PROMPT, BOOT_TIMEOUT_S, "booting the guest");
}

/* The guest's framebuffer, two random frames to show in turn, no cursor. */
static void
prepare_guest (Bench *bench)
{
  gsize from = bench->serial->len;
  g_autofree char *expected = g_strdup_printf ("SIZE-%d,%d", GUEST_WIDTH, GUEST_HEIGHT);

  send_serial (bench, "echo SIZE-$(cat /sys/class/graphics/fb0/virtual_size)\n");
  pump (bench, 3000, -1, NULL, NULL);
  if (strstr (bench->serial->str + from, expected) == NULL)
    bench_fail ("the guest has no %dx%d framebuffer (vga=%s with std VGA and vesafb); it said:\n%s",
                GUEST_WIDTH, GUEST_HEIGHT, GUEST_VGA_MODE, bench->serial->str + from);

  run_in_guest (bench,
                "echo 0 >/sys/class/graphics/fbcon/cursor_blink; "
                "dd if=/dev/urandom of=/tmp/f1 bs=7680 count=1080 2>/dev/null; "
                "dd if=/dev/urandom of=/tmp/f2 bs=7680 count=1080 2>/dev/null; "
                "cat /tmp/f1 >/dev/fb0; echo READY-$((6*7))",
                "READY-42", SETUP_TIMEOUT_S);
}

typedef struct {
  const char *name;
  const char *title;
  const char *loop;        /* prints F<n> after each frame */
} Workload;

/* Each runs in the background of the serial shell until /tmp/stop appears. */
static const Workload workloads[] = {
  { "full", "full-screen changes: every pixel, every frame (guest paced at <= 20/s)",
    "i=0; while [ ! -e /tmp/stop ]; do cat /tmp/f$((i%2+1)) >/dev/fb0; i=$((i+1)); echo F$i; "
    "usleep 50000; done" },
  { "small", "small changes: 1920x16 pixels (1.5 %) a frame at a moving place (guest paced at <= 30/s)",
    "i=0; p=0; while [ ! -e /tmp/stop ]; do "
    "dd if=/tmp/f$((i%2+1)) of=/dev/fb0 bs=7680 count=16 seek=$p skip=$p 2>/dev/null; "
    "i=$((i+1)); p=$(((p+16)%1072)); echo F$i; usleep 33000; done" },
};

static void
start_workload (Bench          *bench,
                const Workload *workload)
{
  g_autofree char *line = g_strdup_printf ("rm -f /tmp/stop; (%s; echo STOPPED-$((40+2))) &\n",
                                           workload->loop);

  bench->guest_frames = 0;
  send_serial (bench, line);
  pump (bench, 2000, -1, NULL, NULL);
  if (bench->guest_frames == 0)
    pump (bench, 5000, -1, NULL, NULL);
  if (bench->guest_frames == 0)
    bench_fail ("the %s workload does not run in the guest", workload->name);
}

static void
stop_workload (Bench *bench)
{
  gsize from = bench->serial->len;

  send_serial (bench, "touch /tmp/stop\n");
  wait_for_serial (bench, from, "STOPPED-42", 30, "stopping the workload");
  pump (bench, 500, -1, NULL, NULL);
}

/* ---- Measuring -------------------------------------------------------------- */

typedef struct {
  char    *label;
  gboolean ok;
  char    *note;               /* why not, or what GTK rendered with */
  double   seconds;
  double   guest_frames;
  double   cpu_ms;
  double   frames;             /* drawn; < 0: not known */
  double   updates;
  double   tiles;
  double   full;
} Result;

static void
result_clear (Result *result)
{
  g_free (result->label);
  g_free (result->note);
}

static char *
field (const char *result,
       const char *name)
{
  g_autofree char *key = g_strconcat (" ", name, "=", NULL);
  g_autofree char *line = g_strconcat (" ", result, NULL);
  const char *start = strstr (line, key);
  const char *end;

  if (start == NULL)
    return NULL;
  start += strlen (key);
  end = strpbrk (start, " \n");
  return g_strndup (start, end != NULL ? (gsize) (end - start) : strlen (start));
}

static double
field_double (const char *result,
              const char *name)
{
  g_autofree char *value = field (result, name);

  return value != NULL ? g_ascii_strtod (value, NULL) : 0;
}

static void
measure_hangar (Bench      *bench,
                const char *renderer,
                Result     *result)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *seconds = g_strdup_printf ("%d", opt_seconds);
  const char *result_line;
  guint64 frames_start = 0;
  gint64 start_us = 0;
  int fd;

  result->label = g_strdup_printf ("hangar %s", renderer);
  g_subprocess_launcher_setenv (launcher, "GSK_RENDERER", renderer, TRUE);
  g_subprocess_launcher_setenv (launcher, "GDK_BACKEND", "x11", TRUE);
  g_subprocess_launcher_setenv (launcher, "GTK_A11Y", "none", TRUE);
  g_subprocess_launcher_setenv (launcher, "NO_AT_BRIDGE", "1", TRUE);
  child = g_subprocess_launcher_spawn (launcher, &error, self_path, "--client", "--socket", bench->vnc_socket,
                                       "--seconds", seconds, NULL);
  if (child == NULL)
    bench_fail ("cannot run the client: %s", error->message);
  fd = g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (g_subprocess_get_stdout_pipe (child)));

  pump (bench, (CONNECT_TIMEOUT_S + WARMUP_S) * 1000, fd, out, "START\n");
  if (strstr (out->str, "START\n") != NULL)
    {
      frames_start = bench->guest_frames;
      start_us = g_get_monotonic_time ();
      pump (bench, (opt_seconds + 30) * 1000, fd, out, "END\n");
      result->guest_frames = (double) (bench->guest_frames - frames_start);
      result->seconds = (g_get_monotonic_time () - start_us) / (double) G_USEC_PER_SEC;
    }
  pump (bench, 10 * 1000, fd, out, "\nRESULT");
  pump (bench, 500, fd, out, NULL);
  if (!g_subprocess_wait (child, NULL, &error))
    bench_fail ("waiting for the client: %s", error->message);

  result_line = strstr (out->str, "RESULT ");
  if (result_line == NULL || strstr (result_line, "error=") != NULL || start_us == 0)
    {
      result->ok = FALSE;
      result->note = g_strdup (result_line != NULL ? g_strstrip (g_strdup (result_line)) : "the client said nothing");
      return;
    }
  result->ok = TRUE;
  result->seconds = field_double (result_line, "wall_ms") / 1000.0;
  result->cpu_ms = field_double (result_line, "cpu_ms");
  result->frames = field_double (result_line, "frames");
  result->updates = field_double (result_line, "updates");
  result->tiles = field_double (result_line, "tiles");
  result->full = field_double (result_line, "full");
  {
    g_autofree char *type = field (result_line, "renderer");
    g_autofree char *gl = field (result_line, "gl");

    result->note = g_strdup_printf ("%s%s%s", type ? type : "?",
                                    gl != NULL && !g_str_equal (gl, "-") ? ", GL_RENDERER " : "",
                                    gl != NULL && !g_str_equal (gl, "-") ? g_strdelimit (gl, "_", ' ') : "");
  }
}

/* utime + stime of @pid and its threads, in milliseconds. */
static double
cpu_ms_of (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after;

  if (!g_file_get_contents (path, &stat, NULL, NULL) || (after = strrchr (stat, ')')) == NULL)
    return -1;
  /* After "(comm)": state is field 3; utime and stime are 14 and 15. */
  fields = g_strsplit (after + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return -1;
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) * 1000.0 /
         sysconf (_SC_CLK_TCK);
}

typedef struct {
  const char *name;        /* as printed */
  char       *program;
  const char *address;     /* its argument */
} Viewer;

static gboolean
find_viewer (Viewer *viewer)
{
  if ((viewer->program = g_find_program_in_path ("remote-viewer")) != NULL)
    {
      viewer->name = "remote-viewer";
      viewer->address = "vnc://127.0.0.1:5900";
      return TRUE;
    }
  if ((viewer->program = g_find_program_in_path ("gvncviewer")) != NULL)
    {
      viewer->name = "gvncviewer";
      viewer->address = "127.0.0.1:0";
      return TRUE;
    }
  return FALSE;
}

static gboolean
viewer_connected (Bench *bench)
{
  /* The viewer's TCP connection, seen from QEMU's namespace. */
  g_autofree char *ns = g_strdup_printf ("/proc/%d/ns/net", (int) bench->qemu_pid);
  g_autofree char *nsenter = g_find_program_in_path ("nsenter");
  g_autofree char *ss = g_find_program_in_path ("ss");
  g_autofree char *out = NULL;
  g_autofree char *net = g_strdup_printf ("--net=%s", ns);
  const char *argv[] = { nsenter, net, ss, "-Htn", "state", "established", "sport", "=", ":5900", NULL };

  if (nsenter == NULL || ss == NULL)
    return TRUE;   /* cannot tell: trust it */
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, NULL, NULL))
    return TRUE;
  return bench_count_lines (out) > 0;
}

static void
measure_viewer (Bench        *bench,
                const Viewer *viewer,
                Result       *result)
{
  g_autofree char *nsenter = g_find_program_in_path ("nsenter");
  g_autofree char *net = g_strdup_printf ("--net=/proc/%d/ns/net", (int) bench->qemu_pid);
  g_autofree char *log_path = g_build_filename (bench->tmpdir, "viewer.log", NULL);
  const char *argv[] = { nsenter, net, viewer->program, viewer->address, NULL };
  g_autoptr(GError) error = NULL;
  guint64 frames_start;
  gint64 start_us;
  double cpu_start, cpu_end;
  int log_fd;

  result->label = g_strdup (viewer->name);
  log_fd = open (log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (!g_spawn_async_with_pipes_and_fds (NULL, argv, NULL,
                                         G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                                         NULL, NULL, -1, log_fd, log_fd, NULL, NULL, 0,
                                         &bench->viewer_pid, NULL, NULL, NULL, &error))
    {
      close (log_fd);
      result->note = g_strdup_printf ("cannot run %s: %s", viewer->name, error->message);
      return;
    }
  close (log_fd);

  /* nsenter execs the viewer: same process. Connecting, first frames. */
  pump (bench, (5 + WARMUP_S) * 1000, -1, NULL, NULL);
  if (waitpid (bench->viewer_pid, NULL, WNOHANG) == bench->viewer_pid || !viewer_connected (bench))
    {
      g_autofree char *log = bench_file_tail (log_path, 1000);

      result->note = g_strdup_printf ("%s did not connect: %s", viewer->name, log);
      bench_stop_child (bench->viewer_pid, SIGKILL);
      bench->viewer_pid = 0;
      return;
    }

  cpu_start = cpu_ms_of (bench->viewer_pid);
  frames_start = bench->guest_frames;
  start_us = g_get_monotonic_time ();
  pump (bench, opt_seconds * 1000, -1, NULL, NULL);
  cpu_end = cpu_ms_of (bench->viewer_pid);
  result->seconds = (g_get_monotonic_time () - start_us) / (double) G_USEC_PER_SEC;
  result->guest_frames = (double) (bench->guest_frames - frames_start);
  result->cpu_ms = cpu_end - cpu_start;
  result->frames = -1;
  result->ok = cpu_start >= 0 && cpu_end >= 0;
  if (!result->ok)
    result->note = g_strdup ("its CPU time could not be read");
  bench_stop_child (bench->viewer_pid, SIGTERM);
  bench->viewer_pid = 0;
}

static double
per_guest_frame (const Result *result)
{
  return result->guest_frames > 0 ? result->cpu_ms / result->guest_frames : 0;
}

static void
print_result (const Result *result)
{
  if (!result->ok)
    {
      g_print ("    %-14s not measured: %s\n", result->label, result->note ? result->note : "?");
      return;
    }
  g_print ("    %-14s guest %5.1f fps", result->label, result->guest_frames / result->seconds);
  if (result->frames >= 0)
    g_print ("  drawn %5.1f fps  updates %6.1f/s", result->frames / result->seconds,
             result->updates / result->seconds);
  else
    g_print ("  %-37s", "");
  g_print ("  CPU %6.1f ms/s  %6.2f ms/guest frame", result->cpu_ms / result->seconds,
           per_guest_frame (result));
  if (result->frames > 0)
    g_print ("  %6.2f ms/drawn frame  textures/frame: %.1f tiles, %.2f full",
             result->cpu_ms / result->frames, result->tiles / result->frames, result->full / result->frames);
  g_print ("\n");
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- HangarDisplay against remote-viewer on a busy 1080p guest");
  g_autoptr(GError) error = NULL;
  Bench bench = { .serial_fd = -1 };
  Viewer viewer = { 0 };
  gboolean have_viewer;
  const char *renderers[] = { "gl", "cairo" };

  g_set_prgname ("display-bench");
  {
    g_autofree char *cwd = g_get_current_dir ();

    self_path = g_canonicalize_filename (argv[0], cwd);
  }
  g_option_context_add_main_entries (context, options, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      return 2;
    }
  if (opt_seconds < 1)
    opt_seconds = 1;
  if (opt_client)
    return run_client ();

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_printerr ("%s: no display: run it under xvfb-run -a -s '-screen 0 1920x1200x24' (meson test --benchmark does)\n",
                  g_get_prgname ());
      return 77;
    }
  if (!bench_find_inputs (TRUE))
    return 1;

  bench.serial = g_string_new (NULL);
  bench.line = g_string_new (NULL);
  bench.tmpdir = bench_make_tmpdir ();
  bench_set_cleanup (bench_cleanup, &bench);

  start_guest (&bench);
  prepare_guest (&bench);

  have_viewer = !opt_no_viewer && bench.namespaced && find_viewer (&viewer);
  g_print ("%s: guest %dx%dx32 (std VGA, VESA framebuffer), QEMU TCG; clients under X display %s; "
           "%d s measured per client after %d s warm-up\n",
           g_get_prgname (), GUEST_WIDTH, GUEST_HEIGHT, g_getenv ("DISPLAY"), opt_seconds, WARMUP_S);
  g_print ("%s: Xvfb has no GPU: GSK_RENDERER=gl renders with Mesa in software (llvmpipe), see GL_RENDERER below\n",
           g_get_prgname ());
  if (opt_no_viewer)
    g_print ("%s: comparison left out (--no-viewer)\n", g_get_prgname ());
  else if (!bench.namespaced)
    g_print ("%s: comparison skipped: the viewer needs QEMU in a network namespace of its own "
             "(root, unshare, nsenter and ip), so no TCP port is opened on this host\n", g_get_prgname ());
  else if (!have_viewer)
    g_print ("%s: comparison skipped: neither remote-viewer (package virt-viewer) nor gvncviewer "
             "(package gvncviewer) is installed\n", g_get_prgname ());

  for (guint w = 0; w < G_N_ELEMENTS (workloads); w++)
    {
      Result results[G_N_ELEMENTS (renderers) + 1] = { { 0 } };
      guint n = 0;

      g_print ("  %s\n", workloads[w].title);
      start_workload (&bench, &workloads[w]);

      /* What the guest manages with nobody watching. */
      {
        guint64 frames_start = bench.guest_frames;
        gint64 start_us = g_get_monotonic_time ();

        pump (&bench, opt_seconds * 1000, -1, NULL, NULL);
        g_print ("    %-14s guest %5.1f fps\n", "no client",
                 (bench.guest_frames - frames_start) / ((g_get_monotonic_time () - start_us) / (double) G_USEC_PER_SEC));
      }
      for (guint r = 0; r < G_N_ELEMENTS (renderers); r++)
        {
          measure_hangar (&bench, renderers[r], &results[n]);
          print_result (&results[n]);
          n++;
        }
      if (have_viewer)
        {
          measure_viewer (&bench, &viewer, &results[n]);
          print_result (&results[n]);
          n++;
        }
      stop_workload (&bench);

      for (guint i = 0; i < n; i++)
        if (results[i].ok && results[i].note != NULL && g_str_has_prefix (results[i].label, "hangar"))
          g_print ("    %s rendered with %s\n", results[i].label, results[i].note);
      if (have_viewer && results[n - 1].ok)
        for (guint i = 0; i + 1 < n; i++)
          if (results[i].ok)
            g_print ("    ratio CPU per guest frame, %s / %s: %.2f\n", results[i].label, viewer.name,
                     bench_ratio (per_guest_frame (&results[i]), per_guest_frame (&results[n - 1])));
      for (guint i = 0; i < n; i++)
        result_clear (&results[i]);
    }

  g_free (viewer.program);
  g_free (self_path);
  bench_set_cleanup (NULL, NULL);
  bench_cleanup (&bench);
  return 0;
}
