/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-host"

#include "hangard-host.h"
#include "hangard-error.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

struct _HangardHost
{
  GObject  parent_instance;

  char    *qemu_binary;
  char    *accelerator;
  char    *kvm_reason;
  char    *qemu_version;  /* cached after the first GetHostInfo */

  /* System mode's confinement of QEMU; all NULL in session mode. */
  char            *qemu_user;
  char            *qemu_private_dir;
  GDBusConnection *systemd;
};

G_DEFINE_FINAL_TYPE (HangardHost, hangard_host, G_TYPE_OBJECT)

static void
hangard_host_finalize (GObject *object)
{
  HangardHost *self = HANGARD_HOST (object);

  g_free (self->qemu_binary);
  g_free (self->accelerator);
  g_free (self->kvm_reason);
  g_free (self->qemu_version);
  g_free (self->qemu_user);
  g_free (self->qemu_private_dir);
  g_clear_object (&self->systemd);

  G_OBJECT_CLASS (hangard_host_parent_class)->finalize (object);
}

void
hangard_host_set_confinement (HangardHost     *self,
                              const char      *qemu_user,
                              const char      *private_dir,
                              GDBusConnection *systemd)
{
  g_return_if_fail (HANGARD_IS_HOST (self));
  g_return_if_fail (qemu_user != NULL);
  g_return_if_fail (private_dir != NULL);
  g_return_if_fail (systemd == NULL || G_IS_DBUS_CONNECTION (systemd));

  g_free (self->qemu_user);
  self->qemu_user = g_strdup (qemu_user);
  g_free (self->qemu_private_dir);
  self->qemu_private_dir = g_strdup (private_dir);
  g_set_object (&self->systemd, systemd);
}

gboolean
hangard_host_confines_qemu (HangardHost *self)
{
  g_return_val_if_fail (HANGARD_IS_HOST (self), FALSE);
  return self->qemu_user != NULL;
}

const char *
hangard_host_get_qemu_user (HangardHost *self)
{
  g_return_val_if_fail (HANGARD_IS_HOST (self), NULL);
  return self->qemu_user;
}

const char *
hangard_host_get_qemu_private_dir (HangardHost *self)
{
  g_return_val_if_fail (HANGARD_IS_HOST (self), NULL);
  return self->qemu_private_dir;
}

GDBusConnection *
hangard_host_get_systemd (HangardHost *self)
{
  g_return_val_if_fail (HANGARD_IS_HOST (self), NULL);
  return self->systemd;
}

static void
hangard_host_class_init (HangardHostClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hangard_host_finalize;
}

static void
hangard_host_init (HangardHost *self)
{
}

/* KVM is usable when /dev/kvm opens read-write and speaks the stable API;
 * anything less (no module, no permission, nested without VMX) means TCG. */
static char *
probe_kvm (void)
{
  int fd = open ("/dev/kvm", O_RDWR | O_CLOEXEC);
  int version;

  if (fd < 0)
    return g_strdup_printf ("/dev/kvm: %s", g_strerror (errno));

  version = ioctl (fd, KVM_GET_API_VERSION, 0);
  close (fd);
  if (version != KVM_API_VERSION)
    return g_strdup_printf ("/dev/kvm answers API version %d, not %d", version, KVM_API_VERSION);

  return NULL;
}

static char *
find_qemu_binary (const char *requested)
{
  const char *name = requested ? requested : g_getenv ("HANGAR_QEMU");

  if (name == NULL || *name == '\0')
    name = "qemu-system-x86_64";
  if (g_path_is_absolute (name))
    return g_file_test (name, G_FILE_TEST_IS_EXECUTABLE) ? g_strdup (name) : NULL;
  return g_find_program_in_path (name);
}

HangardHost *
hangard_host_new (const char *qemu_binary)
{
  HangardHost *self = g_object_new (HANGARD_TYPE_HOST, NULL);

  self->qemu_binary = find_qemu_binary (qemu_binary);
  self->kvm_reason = probe_kvm ();
  self->accelerator = g_strdup (self->kvm_reason == NULL ? "kvm" : "tcg");

  if (self->kvm_reason != NULL)
    g_message ("KVM is not available (%s): guests run under TCG software emulation, much slower",
               self->kvm_reason);

  return self;
}

const char *
hangard_host_get_accelerator (HangardHost *self)
{
  return self->accelerator;
}

const char *
hangard_host_get_kvm_reason (HangardHost *self)
{
  return self->kvm_reason;
}

const char *
hangard_host_get_qemu_binary (HangardHost *self)
{
  return self->qemu_binary;
}

typedef struct {
  char    *model;
  guint    mhz;
  guint    sockets;
  guint    cores_per_socket;
  guint    threads_per_core;
} CpuInfo;

/* /proc/cpuinfo: the model and clock of the first CPU, and the topology
 * from the number of distinct "physical id"s and "cpu cores"/"siblings". */
static void
read_cpuinfo_line (CpuInfo    *info,
                   const char *line,
                   GHashTable *physical_ids,
                   guint      *cores,
                   guint      *siblings)
{
  g_auto(GStrv) kv = g_strsplit (line, ":", 2);
  const char *key, *value;

  if (kv[0] == NULL || kv[1] == NULL)
    return;
  key = g_strstrip (kv[0]);
  value = g_strstrip (kv[1]);

  if (info->model == NULL && g_str_equal (key, "model name"))
    info->model = g_strdup (value);
  else if (info->mhz == 0 && g_str_equal (key, "cpu MHz"))
    info->mhz = (guint) g_ascii_strtod (value, NULL);
  else if (g_str_equal (key, "physical id"))
    g_hash_table_add (physical_ids, g_strdup (value));
  else if (*cores == 0 && g_str_equal (key, "cpu cores"))
    *cores = (guint) g_ascii_strtoull (value, NULL, 10);
  else if (*siblings == 0 && g_str_equal (key, "siblings"))
    *siblings = (guint) g_ascii_strtoull (value, NULL, 10);
}

/* /proc/cpuinfo: the model and clock of the first CPU, and the topology
 * from the number of distinct "physical id"s and "cpu cores"/"siblings". */
static void
read_cpuinfo (CpuInfo *info)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GHashTable) physical_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint cores = 0, siblings = 0;

  if (!g_file_get_contents ("/proc/cpuinfo", &contents, NULL, NULL))
    return;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    read_cpuinfo_line (info, lines[i], physical_ids, &cores, &siblings);

  info->sockets = MAX (1, g_hash_table_size (physical_ids));
  info->cores_per_socket = cores ? cores : MAX (1, (guint) g_get_num_processors () / info->sockets);
  info->threads_per_core = (cores && siblings >= cores) ? siblings / cores : 1;
}

static guint64
read_memtotal_kib (void)
{
  g_autofree char *contents = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/meminfo", &contents, NULL, NULL))
    return 0;
  line = strstr (contents, "MemTotal:");
  return line ? g_ascii_strtoull (line + strlen ("MemTotal:"), NULL, 10) : 0;
}

static guint
count_numa_nodes (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/sys/devices/system/node", 0, NULL);
  const char *name;
  guint n = 0;

  while (dir && (name = g_dir_read_name (dir)))
    if (g_str_has_prefix (name, "node") && g_ascii_isdigit (name[4]))
      n++;
  return MAX (n, 1);
}

/* "QEMU emulator version 7.2.22 (Debian ...)" → "7.2.22" */
static char *
parse_qemu_version (const char *output)
{
  const char *p = strstr (output, "version ");
  const char *end;

  if (p == NULL)
    return g_strdup ("unknown");
  p += strlen ("version ");
  end = p + strcspn (p, " \n");
  return g_strndup (p, end - p);
}

static GVariant *
build_info (HangardHost *self,
            const char  *mode)
{
  GVariantBuilder builder;
  CpuInfo cpu = { 0 };
  struct utsname uts;

  read_cpuinfo (&cpu);
  uname (&uts);

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "cpu-model", g_variant_new_string (cpu.model ? cpu.model : "unknown"));
  g_variant_builder_add (&builder, "{sv}", "cpus", g_variant_new_uint32 (g_get_num_processors ()));
  g_variant_builder_add (&builder, "{sv}", "sockets", g_variant_new_uint32 (cpu.sockets));
  g_variant_builder_add (&builder, "{sv}", "cores-per-socket", g_variant_new_uint32 (cpu.cores_per_socket));
  g_variant_builder_add (&builder, "{sv}", "threads-per-core", g_variant_new_uint32 (cpu.threads_per_core));
  g_variant_builder_add (&builder, "{sv}", "cpu-mhz", g_variant_new_uint32 (cpu.mhz));
  g_variant_builder_add (&builder, "{sv}", "numa-nodes", g_variant_new_uint32 (count_numa_nodes ()));
  g_variant_builder_add (&builder, "{sv}", "memory-kib", g_variant_new_uint64 (read_memtotal_kib ()));
  g_variant_builder_add (&builder, "{sv}", "arch", g_variant_new_string (uts.machine));
  g_variant_builder_add (&builder, "{sv}", "hostname", g_variant_new_string (uts.nodename));
  g_variant_builder_add (&builder, "{sv}", "kvm", g_variant_new_boolean (self->kvm_reason == NULL));
  g_variant_builder_add (&builder, "{sv}", "accelerator", g_variant_new_string (self->accelerator));
  if (self->kvm_reason)
    g_variant_builder_add (&builder, "{sv}", "kvm-reason", g_variant_new_string (self->kvm_reason));
  g_variant_builder_add (&builder, "{sv}", "qemu-binary", g_variant_new_string (self->qemu_binary ? self->qemu_binary : ""));
  g_variant_builder_add (&builder, "{sv}", "qemu-version", g_variant_new_string (self->qemu_version ? self->qemu_version : "unknown"));
  g_variant_builder_add (&builder, "{sv}", "mode", g_variant_new_string (mode));

  g_free (cpu.model);
  return g_variant_builder_end (&builder);
}

static void
on_qemu_version (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HangardHost *self = g_task_get_source_object (task);
  g_autofree char *output = NULL;

  if (g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &output, NULL, NULL) && output)
    {
      g_free (self->qemu_version);
      self->qemu_version = parse_qemu_version (output);
    }
  g_task_return_pointer (task, g_variant_ref_sink (build_info (self, g_task_get_task_data (task))),
                         (GDestroyNotify) g_variant_unref);
}

void
hangard_host_get_info_async (HangardHost         *self,
                             const char          *mode,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GSubprocess) qemu = NULL;

  g_task_set_task_data (task, g_strdup (mode), g_free);

  if (self->qemu_version != NULL || self->qemu_binary == NULL)
    {
      g_task_return_pointer (task, g_variant_ref_sink (build_info (self, mode)),
                             (GDestroyNotify) g_variant_unref);
      return;
    }

  qemu = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                           NULL, self->qemu_binary, "--version", NULL);
  if (qemu == NULL)
    {
      g_task_return_pointer (task, g_variant_ref_sink (build_info (self, mode)),
                             (GDestroyNotify) g_variant_unref);
      return;
    }
  g_subprocess_communicate_utf8_async (qemu, NULL, cancellable, on_qemu_version, g_steal_pointer (&task));
}

GVariant *
hangard_host_get_info_finish (HangardHost   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
