/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-cgroup"

#include "hangard-cgroup.h"
#include "hangard-error.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The kernel's default CFS period. */
#define DEFAULT_PERIOD_US 100000
/* cgroup v2's cpu.weight range (libvirt refuses shares outside it there). */
#define WEIGHT_MIN 1
#define WEIGHT_MAX 10000
/* cgroup v1's cpu.shares range. */
#define SHARES_MIN 2
#define SHARES_MAX 262144
/* Where guests go, under the root of the hierarchy (v2) or the engine's
 * own cgroup (v1); systemd puts its scopes in machine.slice. */
#define SLICE "hangar.slice"
#define SYSTEMD_SLICE "machine.slice"
/* systemd's limit on unit names, and how much of it the machine's name gets. */
#define UNIT_NAME_MAX 255
#define SCOPE_NAME_PART_MAX 200
/* A v2 cgroup and v1 memory and cpu cgroups at most. */
#define MAX_PROCS_FDS 3

struct _HangardCgroup
{
  GObject              parent_instance;

  char                *uuid;
  char                *name;
  HangardCgroupLimits  limits;

  char                *v2_dir;        /* .../hangar.slice/machine-UUID, or NULL */
  char                *v1_memory_dir;
  char                *v1_cpu_dir;
  int                  procs_fds[MAX_PROCS_FDS];
  int                  n_procs_fds;
  GPtrArray           *warnings;      /* char*, NULL-terminated */
};

G_DEFINE_FINAL_TYPE (HangardCgroup, hangard_cgroup, G_TYPE_OBJECT)

/* ---- Limits ----------------------------------------------------------------- */

/* Per second of wall time, to compare two quotas with different periods. */
static double
share_of_cpu (guint64 quota_us,
              guint64 period_us)
{
  return (double) quota_us / (double) period_us;
}

void
hangard_cgroup_limits_from_domain (const HangardDomain *domain,
                                   HangardCgroupLimits *limits)
{
  g_return_if_fail (domain != NULL);
  g_return_if_fail (limits != NULL);

  *limits = (HangardCgroupLimits) { 0 };
  limits->memory_max = domain->hard_limit_kib * 1024;
  limits->memory_high = domain->soft_limit_kib * 1024;
  limits->cpu_weight = domain->cpu_shares;

  /* libvirt gives each vCPU thread its own cgroup with <quota>; the
   * whole QEMU in one cgroup gets as much for all its vCPUs together. */
  if (domain->cpu_quota_us > 0)
    {
      limits->cpu_period_us = domain->cpu_period_us ? domain->cpu_period_us : DEFAULT_PERIOD_US;
      limits->cpu_quota_us = (guint64) domain->cpu_quota_us * MAX (domain->vcpus, 1);
    }
  if (domain->cpu_global_quota_us > 0)
    {
      guint64 period = domain->cpu_global_period_us ? domain->cpu_global_period_us : DEFAULT_PERIOD_US;
      guint64 quota = (guint64) domain->cpu_global_quota_us;

      if (limits->cpu_quota_us == 0 ||
          share_of_cpu (quota, period) < share_of_cpu (limits->cpu_quota_us, limits->cpu_period_us))
        {
          limits->cpu_quota_us = quota;
          limits->cpu_period_us = period;
        }
    }
}

gboolean
hangard_cgroup_limits_are_empty (const HangardCgroupLimits *limits)
{
  return limits->memory_max == 0 && limits->memory_high == 0 &&
         limits->cpu_weight == 0 && limits->cpu_quota_us == 0;
}

/* systemd's unit name escaping: what is not [A-Za-z0-9:_.-] becomes \xNN,
 * and so does a leading '.'. */
char *
hangard_cgroup_scope_name (const char *name,
                           const char *uuid)
{
  g_autoptr(GString) unit = g_string_new ("hangar-");
  char short_uuid[9] = { 0 };

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (uuid != NULL, NULL);

  for (const char *p = name; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;
      gboolean plain = g_ascii_isalnum (c) || c == ':' || c == '_' || c == '-' ||
                       (c == '.' && p != name);

      /* Whole escapes only, so the name stays well-formed when cut. */
      if (unit->len + (plain ? 1 : 4) > SCOPE_NAME_PART_MAX)
        break;
      if (plain)
        g_string_append_c (unit, (char) c);
      else
        g_string_append_printf (unit, "\\x%02x", c);
    }
  g_strlcpy (short_uuid, uuid, sizeof short_uuid);
  g_string_append_printf (unit, "-%s.scope", short_uuid);
  g_assert (unit->len <= UNIT_NAME_MAX);
  return g_string_free (g_steal_pointer (&unit), FALSE);
}

/* ---- Finding the hierarchies ---------------------------------------------- */

/* /proc/self/mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *
unescape_mount_field (const char *field)
{
  GString *out = g_string_new (NULL);

  for (const char *p = field; *p != '\0'; p++)
    {
      if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
          p[3] >= '0' && p[3] <= '7')
        {
          g_string_append_c (out, (char) ((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0')));
          p += 3;
        }
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static gboolean
list_has (const char *list,
          const char *separators,
          const char *item)
{
  g_auto(GStrv) items = g_strsplit_set (list, separators, -1);

  return g_strv_contains ((const char * const *) items, item);
}

/* The mount point of the cgroup2 hierarchy (NULL: none), or with
 * `v1_controller` the mount point of the v1 hierarchy holding it; `root`
 * (nullable) gets the cgroup that is mounted there ("/" but in containers). */
static char *
find_mount (const char  *v1_controller,
            char       **root)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  char *found = NULL;

  if (!g_file_get_contents ("/proc/self/mountinfo", &contents, NULL, NULL))
    return NULL;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], " ", -1);
      guint n = g_strv_length (fields);
      guint dash = 0;

      for (guint j = 6; j < n; j++)
        if (g_str_equal (fields[j], "-"))
          {
            dash = j;
            break;
          }
      if (dash == 0 || dash + 1 >= n)
        continue;

      if (v1_controller == NULL && g_str_equal (fields[dash + 1], "cgroup2"))
        {
          g_autofree char *mount = unescape_mount_field (fields[4]);

          /* The usual place wins over any other mount of the same tree. */
          if (found == NULL || g_str_equal (mount, "/sys/fs/cgroup"))
            {
              g_free (found);
              found = g_steal_pointer (&mount);
              if (root != NULL)
                {
                  g_free (*root);
                  *root = unescape_mount_field (fields[3]);
                }
            }
        }
      else if (v1_controller != NULL && g_str_equal (fields[dash + 1], "cgroup") &&
               dash + 3 < n && list_has (fields[dash + 3], ",", v1_controller) && found == NULL)
        {
          found = unescape_mount_field (fields[4]);
          if (root != NULL)
            *root = unescape_mount_field (fields[3]);
        }
    }
  return found;
}

/* The engine's own cgroup in the v1 hierarchy holding `controller`. */
static char *
own_v1_cgroup (const char *controller)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/self/cgroup", &contents, NULL, NULL))
    return NULL;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (lines[i], ":", 3);

      if (g_strv_length (parts) == 3 && list_has (parts[1], ",", controller))
        return g_strdup (parts[2]);
    }
  return NULL;
}

/* ---- Writing the cgroup file system ----------------------------------------- */

static gboolean
write_file (const char  *dir,
            const char  *file,
            const char  *value,
            GError     **error)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  size_t length = strlen (value);
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  ssize_t written;

  if (fd < 0)
    goto fail;
  written = write (fd, value, length);
  if (written != (ssize_t) length)
    {
      int saved_errno = written < 0 ? errno : EIO;
      close (fd);
      errno = saved_errno;
      goto fail;
    }
  if (close (fd) != 0)
    goto fail;
  return TRUE;

fail:
  {
    int saved_errno = errno;
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, "%s: %s", path,
                 g_strerror (saved_errno));
    return FALSE;
  }
}

static void
warn (HangardCgroup *self,
      const char    *format,
      ...) G_GNUC_PRINTF (2, 3);

static void
warn (HangardCgroup *self,
      const char    *format,
      ...)
{
  va_list args;

  va_start (args, format);
  /* Before the terminating NULL. */
  g_ptr_array_insert (self->warnings, (int) self->warnings->len - 1,
                      g_strdup_vprintf (format, args));
  va_end (args);
}

static void
write_limit (HangardCgroup *self,
             const char    *dir,
             const char    *file,
             const char    *value,
             const char    *what)
{
  g_autoptr(GError) error = NULL;

  if (!write_file (dir, file, value, &error))
    warn (self, _("%s is not applied: %s"), what, error->message);
}

static gboolean
make_dir (const char  *path,
          GError     **error)
{
  if (mkdir (path, 0755) == 0 || errno == EEXIST)
    return TRUE;
  {
    int saved_errno = errno;
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot create the cgroup %s: %s"),
                 path, g_strerror (saved_errno));
    return FALSE;
  }
}

static gboolean
open_procs (HangardCgroup  *self,
            const char     *dir,
            GError        **error)
{
  g_autofree char *path = g_build_filename (dir, "cgroup.procs", NULL);
  int fd;

  g_assert (self->n_procs_fds < MAX_PROCS_FDS);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, "%s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  self->procs_fds[self->n_procs_fds++] = fd;
  return TRUE;
}

static gboolean
make_machine_dir (HangardCgroup  *self,
                  const char     *parent,
                  char          **dir_out,
                  GError        **error)
{
  g_autofree char *slice = g_build_filename (parent, SLICE, NULL);
  g_autofree char *leaf = g_strconcat ("machine-", self->uuid, NULL);
  g_autofree char *dir = g_build_filename (slice, leaf, NULL);

  if (!make_dir (slice, error) || !make_dir (dir, error) || !open_procs (self, dir, error))
    return FALSE;
  *dir_out = g_steal_pointer (&dir);
  return TRUE;
}

static void
write_memory_limits (HangardCgroup *self,
                     const char    *dir,
                     gboolean       v2)
{
  char value[32];

  if (self->limits.memory_max > 0)
    {
      g_snprintf (value, sizeof value, "%" G_GUINT64_FORMAT, self->limits.memory_max);
      write_limit (self, dir, v2 ? "memory.max" : "memory.limit_in_bytes", value,
                   _("The memory hard limit (<memtune><hard_limit>)"));
    }
  if (self->limits.memory_high > 0)
    {
      g_snprintf (value, sizeof value, "%" G_GUINT64_FORMAT, self->limits.memory_high);
      write_limit (self, dir, v2 ? "memory.high" : "memory.soft_limit_in_bytes", value,
                   _("The memory soft limit (<memtune><soft_limit>)"));
    }
}

static void
write_cpu_limits (HangardCgroup *self,
                  const char    *dir,
                  gboolean       v2)
{
  char value[64];
  guint64 weight = self->limits.cpu_weight;

  if (weight > 0)
    {
      guint64 low = v2 ? WEIGHT_MIN : SHARES_MIN;
      guint64 high = v2 ? WEIGHT_MAX : SHARES_MAX;

      if (weight < low || weight > high)
        warn (self, _("CPU shares of %llu are not applied: this host’s cgroups take %llu to %llu"),
              (unsigned long long) weight, (unsigned long long) low, (unsigned long long) high);
      else
        {
          g_snprintf (value, sizeof value, "%" G_GUINT64_FORMAT, weight);
          write_limit (self, dir, v2 ? "cpu.weight" : "cpu.shares", value,
                       _("The CPU shares (<cputune><shares>)"));
        }
    }

  if (self->limits.cpu_quota_us > 0)
    {
      if (v2)
        {
          g_snprintf (value, sizeof value, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
                      self->limits.cpu_quota_us, self->limits.cpu_period_us);
          write_limit (self, dir, "cpu.max", value, _("The CPU quota (<cputune><quota>)"));
        }
      else
        {
          g_snprintf (value, sizeof value, "%" G_GUINT64_FORMAT, self->limits.cpu_period_us);
          write_limit (self, dir, "cpu.cfs_period_us", value, _("The CPU period (<cputune><period>)"));
          g_snprintf (value, sizeof value, "%" G_GUINT64_FORMAT, self->limits.cpu_quota_us);
          write_limit (self, dir, "cpu.cfs_quota_us", value, _("The CPU quota (<cputune><quota>)"));
        }
    }
}

/* Turns `controller` on for the children of `dir`; FALSE when it cannot be. */
static gboolean
enable_controller (const char *dir,
                   const char *controller)
{
  g_autofree char *value = g_strconcat ("+", controller, NULL);
  g_autoptr(GError) error = NULL;

  if (write_file (dir, "cgroup.subtree_control", value, &error))
    return TRUE;
  g_debug ("Cannot enable %s: %s", controller, error->message);
  return FALSE;
}

/* cgroup v2: TRUE when the machine has a v2 cgroup; `memory` and `cpu`
 * say which controllers it got there. */
static gboolean
create_v2 (HangardCgroup *self,
           const char    *mount,
           gboolean      *memory,
           gboolean      *cpu)
{
  g_autofree char *controllers_path = g_build_filename (mount, "cgroup.controllers", NULL);
  g_autofree char *controllers = NULL;
  g_autofree char *slice = g_build_filename (mount, SLICE, NULL);
  g_autoptr(GError) error = NULL;

  *memory = *cpu = FALSE;
  if (!g_file_get_contents (controllers_path, &controllers, NULL, NULL))
    controllers = g_strdup ("");
  g_strstrip (controllers);

  if (!make_dir (slice, &error))
    {
      g_debug ("%s", error->message);
      return FALSE;
    }
  /* Both levels must pass a controller down for the machine to have it. */
  if (list_has (controllers, " ", "memory"))
    *memory = enable_controller (mount, "memory") && enable_controller (slice, "memory");
  if (list_has (controllers, " ", "cpu"))
    *cpu = enable_controller (mount, "cpu") && enable_controller (slice, "cpu");

  if (!make_machine_dir (self, mount, &self->v2_dir, &error))
    {
      g_debug ("%s", error->message);
      *memory = *cpu = FALSE;
      return FALSE;
    }
  if (*memory)
    write_memory_limits (self, self->v2_dir, TRUE);
  if (*cpu)
    write_cpu_limits (self, self->v2_dir, TRUE);
  return TRUE;
}

/* cgroup v1: the machine's cgroup in the hierarchy holding `controller`. */
static char *
create_v1 (HangardCgroup *self,
           const char    *controller)
{
  g_autofree char *root = NULL;
  g_autofree char *mount = find_mount (controller, &root);
  g_autofree char *own = NULL;
  g_autofree char *parent = NULL;
  g_autoptr(GError) error = NULL;
  const char *relative;
  char *dir = NULL;

  if (mount == NULL)
    return NULL;
  /* /proc/self/cgroup names the cgroup from the hierarchy's root; the
   * mount may show a subtree of it (a container's). */
  own = own_v1_cgroup (controller);
  relative = own != NULL ? own : "/";
  if (root != NULL && !g_str_equal (root, "/") && g_str_has_prefix (relative, root))
    relative += strlen (root);
  parent = g_build_filename (mount, relative, NULL);
  if (!make_machine_dir (self, parent, &dir, &error))
    {
      g_debug ("%s", error->message);
      return NULL;
    }
  return dir;
}

gboolean
hangard_cgroup_create (HangardCgroup  *self,
                       GError        **error)
{
  g_autofree char *v2_mount = NULL;
  gboolean v2_memory = FALSE, v2_cpu = FALSE;
  gboolean want_memory, want_cpu;

  g_return_val_if_fail (HANGARD_IS_CGROUP (self), FALSE);
  g_return_val_if_fail (self->n_procs_fds == 0, FALSE);

  want_memory = self->limits.memory_max > 0 || self->limits.memory_high > 0;
  want_cpu = self->limits.cpu_weight > 0 || self->limits.cpu_quota_us > 0;

  v2_mount = find_mount (NULL, NULL);
  if (v2_mount != NULL)
    create_v2 (self, v2_mount, &v2_memory, &v2_cpu);

  /* A hybrid host: the controllers live in v1 hierarchies. The machine
   * gets a cgroup there too, for accounting even without limits. */
  if (!v2_memory)
    {
      self->v1_memory_dir = create_v1 (self, "memory");
      if (self->v1_memory_dir != NULL)
        write_memory_limits (self, self->v1_memory_dir, FALSE);
      else if (want_memory)
        warn (self, _("The memory limits (<memtune>) are not applied: this host has no "
                      "writable cgroup with the memory controller"));
    }
  if (!v2_cpu)
    {
      self->v1_cpu_dir = create_v1 (self, "cpu");
      if (self->v1_cpu_dir != NULL)
        write_cpu_limits (self, self->v1_cpu_dir, FALSE);
      else if (want_cpu)
        warn (self, _("The CPU limits (<cputune>) are not applied: this host has no "
                      "writable cgroup with the cpu controller"));
    }

  if (self->n_procs_fds == 0)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                           _("No cgroup file system can be written here: the machine runs "
                             "without a cgroup of its own, and without its <memtune> and "
                             "<cputune> limits"));
      return FALSE;
    }
  return TRUE;
}

const char * const *
hangard_cgroup_get_warnings (HangardCgroup *self)
{
  g_return_val_if_fail (HANGARD_IS_CGROUP (self), NULL);
  return (const char * const *) self->warnings->pdata;
}

const char *
hangard_cgroup_get_path (HangardCgroup *self)
{
  g_return_val_if_fail (HANGARD_IS_CGROUP (self), NULL);
  return self->v2_dir != NULL ? self->v2_dir : self->v1_memory_dir;
}

void
hangard_cgroup_enter (HangardCgroup *self)
{
  /* "0" is the writing process itself, in v1 and v2 alike. */
  for (int i = 0; i < self->n_procs_fds; i++)
    if (write (self->procs_fds[i], "0", 1) < 0)
      continue;
}

GStrv
hangard_cgroup_dup_dirs (HangardCgroup *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (HANGARD_IS_CGROUP (self), NULL);

  if (self->v2_dir != NULL)
    g_strv_builder_add (builder, self->v2_dir);
  if (self->v1_memory_dir != NULL)
    g_strv_builder_add (builder, self->v1_memory_dir);
  if (self->v1_cpu_dir != NULL)
    g_strv_builder_add (builder, self->v1_cpu_dir);
  return g_strv_builder_end (builder);
}

static void
close_procs_fds (HangardCgroup *self)
{
  for (int i = 0; i < self->n_procs_fds; i++)
    close (self->procs_fds[i]);
  self->n_procs_fds = 0;
}

static void
remove_dir (char **dir)
{
  if (*dir == NULL)
    return;
  if (rmdir (*dir) != 0 && errno != ENOENT)
    g_debug ("Cannot remove %s: %s", *dir, g_strerror (errno));
  g_clear_pointer (dir, g_free);
}

void
hangard_cgroup_remove (HangardCgroup *self)
{
  g_return_if_fail (HANGARD_IS_CGROUP (self));

  close_procs_fds (self);
  remove_dir (&self->v2_dir);
  remove_dir (&self->v1_memory_dir);
  remove_dir (&self->v1_cpu_dir);
}

/* ---- systemd ---------------------------------------------------------------- */

static void
on_scope_started (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                               _("systemd did not start the scope %s: %s"),
                               (const char *) g_task_get_task_data (task), error->message);
      return;
    }
  g_task_return_pointer (task, g_strdup (g_task_get_task_data (task)), g_free);
}

void
hangard_cgroup_start_scope_async (HangardCgroup       *self,
                                  GDBusConnection     *systemd,
                                  GPid                 pid,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  char *unit = hangard_cgroup_scope_name (self->name, self->uuid);
  g_autofree char *description = g_strdup_printf ("Hangar virtual machine %s", self->name);
  GVariantBuilder properties;
  guint32 pids[1] = { (guint32) pid };

  g_return_if_fail (HANGARD_IS_CGROUP (self));
  g_return_if_fail (G_IS_DBUS_CONNECTION (systemd));

  g_task_set_source_tag (task, hangard_cgroup_start_scope_async);
  g_task_set_task_data (task, unit, g_free);

  g_variant_builder_init (&properties, G_VARIANT_TYPE ("a(sv)"));
  g_variant_builder_add (&properties, "(sv)", "Description", g_variant_new_string (description));
  g_variant_builder_add (&properties, "(sv)", "PIDs",
                         g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, pids, 1, sizeof pids[0]));
  g_variant_builder_add (&properties, "(sv)", "Slice", g_variant_new_string (SYSTEMD_SLICE));
  g_variant_builder_add (&properties, "(sv)", "CollectMode", g_variant_new_string ("inactive-or-failed"));
  g_variant_builder_add (&properties, "(sv)", "MemoryAccounting", g_variant_new_boolean (TRUE));
  g_variant_builder_add (&properties, "(sv)", "CPUAccounting", g_variant_new_boolean (TRUE));
  if (self->limits.memory_max > 0)
    g_variant_builder_add (&properties, "(sv)", "MemoryMax", g_variant_new_uint64 (self->limits.memory_max));
  if (self->limits.memory_high > 0)
    g_variant_builder_add (&properties, "(sv)", "MemoryHigh", g_variant_new_uint64 (self->limits.memory_high));
  if (self->limits.cpu_weight >= WEIGHT_MIN && self->limits.cpu_weight <= WEIGHT_MAX)
    g_variant_builder_add (&properties, "(sv)", "CPUWeight", g_variant_new_uint64 (self->limits.cpu_weight));
  if (self->limits.cpu_quota_us > 0)
    {
      /* systemd states a quota per second of wall time. */
      guint64 per_second = self->limits.cpu_quota_us * G_USEC_PER_SEC / self->limits.cpu_period_us;

      g_variant_builder_add (&properties, "(sv)", "CPUQuotaPerSecUSec", g_variant_new_uint64 (per_second));
      g_variant_builder_add (&properties, "(sv)", "CPUQuotaPeriodUSec",
                             g_variant_new_uint64 (self->limits.cpu_period_us));
    }

  g_dbus_connection_call (systemd, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                          "org.freedesktop.systemd1.Manager", "StartTransientUnit",
                          g_variant_new ("(ssa(sv)a(sa(sv)))", unit, "fail", &properties, NULL),
                          G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
                          cancellable, on_scope_started, g_steal_pointer (&task));
}

char *
hangard_cgroup_start_scope_finish (HangardCgroup  *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Object ----------------------------------------------------------------- */

HangardCgroup *
hangard_cgroup_new (const char                *uuid,
                    const char                *name,
                    const HangardCgroupLimits *limits)
{
  HangardCgroup *self;

  g_return_val_if_fail (uuid != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  self = g_object_new (HANGARD_TYPE_CGROUP, NULL);
  self->uuid = g_strdup (uuid);
  self->name = g_strdup (name);
  if (limits != NULL)
    self->limits = *limits;
  return self;
}

static void
hangard_cgroup_finalize (GObject *object)
{
  HangardCgroup *self = HANGARD_CGROUP (object);

  close_procs_fds (self);
  g_free (self->uuid);
  g_free (self->name);
  g_free (self->v2_dir);
  g_free (self->v1_memory_dir);
  g_free (self->v1_cpu_dir);
  g_ptr_array_unref (self->warnings);

  G_OBJECT_CLASS (hangard_cgroup_parent_class)->finalize (object);
}

static void
hangard_cgroup_class_init (HangardCgroupClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hangard_cgroup_finalize;
}

static void
hangard_cgroup_init (HangardCgroup *self)
{
  self->warnings = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->warnings, NULL);
}
