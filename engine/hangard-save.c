/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-save"

#include "hangard-save.h"
#include "hangard-error.h"
#include "hangard-machine.h"
#include "hangard-vm.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- The file format ------------------------------------------------------ */

void
hangard_save_header_free (HangardSaveHeader *header)
{
  if (header == NULL)
    return;
  g_free (header->xml);
  g_free (header);
}

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        length,
           GError     **error)
{
  while (length > 0)
    {
      gssize written = write (fd, data, length);

      if (written < 0 && errno == EINTR)
        continue;
      if (written < 0)
        {
          int saved_errno = errno;
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot write the save file: %s"),
                       g_strerror (saved_errno));
          return FALSE;
        }
      data += written;
      length -= (gsize) written;
    }
  return TRUE;
}

/* Reads up to `length` bytes at `offset`; fewer only at the end of the file. */
static gssize
pread_all (int      fd,
           char    *buffer,
           gsize    length,
           goffset  offset)
{
  gsize done = 0;

  while (done < length)
    {
      gssize n = pread (fd, buffer + done, length - done, (off_t) (offset + (goffset) done));

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      done += (gsize) n;
    }
  return (gssize) done;
}

gboolean
hangard_save_write_header (int          fd,
                           const char  *uuid,
                           const char  *xml,
                           gboolean     paused,
                           GError     **error)
{
  g_autofree char *header = NULL;
  gsize xml_length;

  g_return_val_if_fail (fd >= 0, FALSE);
  g_return_val_if_fail (uuid != NULL && xml != NULL, FALSE);

  xml_length = strlen (xml);
  header = g_strdup_printf (HANGARD_SAVE_MAGIC "uuid=%s\nstate=%s\nxml-length=%" G_GSIZE_FORMAT "\n\n",
                            uuid, paused ? "paused" : "running", xml_length);
  return write_all (fd, header, strlen (header), error) &&
         write_all (fd, xml, xml_length, error);
}

static gboolean
damaged (GError     **error,
         const char  *path,
         const char  *what)
{
  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
               _("%s is not a usable Hangar save file: %s"), path, what);
  return FALSE;
}

static gboolean
parse_header_line (HangardSaveHeader  *header,
                   const char         *line,
                   guint64            *xml_length,
                   guint              *seen,
                   const char         *path,
                   GError            **error)
{
  const char *equals = strchr (line, '=');
  g_autofree char *key = NULL;
  const char *value;

  if (equals == NULL)
    return damaged (error, path, _("its header has a line without “=”"));
  key = g_strndup (line, (gsize) (equals - line));
  value = equals + 1;

  if (g_str_equal (key, "uuid"))
    {
      g_autofree char *lower = g_ascii_strdown (value, -1);

      if (strlen (value) != 36 || !g_uuid_string_is_valid (value) || !g_str_equal (lower, value))
        return damaged (error, path, _("its header has a bad UUID"));
      memcpy (header->uuid, value, 37);
      *seen |= 1;
    }
  else if (g_str_equal (key, "state"))
    {
      if (g_str_equal (value, "paused"))
        header->paused = TRUE;
      else if (!g_str_equal (value, "running"))
        return damaged (error, path, _("its header has an unknown state"));
      *seen |= 2;
    }
  else if (g_str_equal (key, "xml-length"))
    {
      if (!g_ascii_string_to_unsigned (value, 10, 1, HANGARD_DOMAIN_MAX_XML_SIZE, xml_length, NULL))
        return damaged (error, path, _("its header has a bad XML length"));
      *seen |= 4;
    }
  /* Other keys: additions of a later engine, ignored. */
  return TRUE;
}

HangardSaveHeader *
hangard_save_read_header (int          fd,
                          const char  *path,
                          GError     **error)
{
  g_autoptr(HangardSaveHeader) header = g_new0 (HangardSaveHeader, 1);
  g_autofree char *buffer = g_malloc0 (HANGARD_SAVE_MAX_HEADER + 1);
  g_autofree char *lines_text = NULL;
  g_auto(GStrv) lines = NULL;
  const gsize magic_length = strlen (HANGARD_SAVE_MAGIC);
  const char *end;
  char stream_magic[4];
  guint64 xml_length = 0;
  guint seen = 0;
  gsize header_length;
  gssize n;

  g_return_val_if_fail (fd >= 0, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  n = pread_all (fd, buffer, HANGARD_SAVE_MAX_HEADER, 0);
  if (n < 0)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot read %s: %s"), path,
                   g_strerror (saved_errno));
      return NULL;
    }

  if ((gsize) n < magic_length || memcmp (buffer, HANGARD_SAVE_MAGIC, magic_length) != 0)
    {
      if ((gsize) n >= strlen ("HANGAR-SAVE ") && memcmp (buffer, "HANGAR-SAVE ", strlen ("HANGAR-SAVE ")) == 0)
        damaged (error, path, _("it was written in a format version this engine does not know"));
      else
        g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                     _("%s is not a Hangar save file"), path);
      return NULL;
    }

  end = memmem (buffer, (gsize) n, "\n\n", 2);
  if (end == NULL)
    {
      damaged (error, path, _("its header is incomplete"));
      return NULL;
    }
  header_length = (gsize) (end - buffer) + 2;

  lines_text = g_strndup (buffer + magic_length, (gsize) (end - buffer) - magic_length + 1);
  if (memchr (lines_text, '\0', strlen (lines_text)) != NULL || !g_utf8_validate (lines_text, -1, NULL))
    {
      damaged (error, path, _("its header is not text"));
      return NULL;
    }
  lines = g_strsplit (lines_text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (*lines[i] == '\0')
        continue;
      if (!parse_header_line (header, lines[i], &xml_length, &seen, path, error))
        return NULL;
    }
  if (seen != 7)
    {
      damaged (error, path, _("its header lacks the UUID, state or XML length"));
      return NULL;
    }

  header->xml = g_malloc0 (xml_length + 1);
  n = pread_all (fd, header->xml, xml_length, (goffset) header_length);
  if (n < 0 || (guint64) n != xml_length)
    {
      damaged (error, path, _("it ends inside its machine definition"));
      return NULL;
    }
  if (memchr (header->xml, '\0', xml_length) != NULL || !g_utf8_validate (header->xml, (gssize) xml_length, NULL))
    {
      damaged (error, path, _("its machine definition is not text"));
      return NULL;
    }

  header->stream_offset = (goffset) (header_length + xml_length);
  n = pread_all (fd, stream_magic, sizeof stream_magic, header->stream_offset);
  if (n != (gssize) sizeof stream_magic || memcmp (stream_magic, HANGARD_SAVE_STREAM_MAGIC, sizeof stream_magic) != 0)
    {
      damaged (error, path, _("it holds no machine state after its header"));
      return NULL;
    }
  return g_steal_pointer (&header);
}

/* The definition a save file carries, checked as DefineMachine would. */
static HangardDomain *
header_domain (HangardSaveHeader  *header,
               const char         *path,
               GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(HangardDomain) domain = hangard_domain_parse (header->xml, -1, &local_error);

  if (domain == NULL)
    {
      g_autofree char *what = g_strdup_printf (_("its machine definition is refused: %s"), local_error->message);
      damaged (error, path, what);
      return NULL;
    }
  if (!g_str_equal (domain->uuid, header->uuid))
    {
      damaged (error, path, _("its header and its machine definition name different UUIDs"));
      return NULL;
    }
  return g_steal_pointer (&domain);
}

/* Opens a save file for reading: `path` must be absolute and a regular file. */
static int
open_save_file (const char  *path,
                GError     **error)
{
  struct stat st;
  int fd;

  if (path == NULL || *path == '\0' || !g_path_is_absolute (path))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("The save file must be given as an absolute path, not “%s”"), path ? path : "");
      return -1;
    }
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR,
                   saved_errno == ENOENT || saved_errno == ENOTDIR ? HANGAR_ERROR_NOT_FOUND : HANGAR_ERROR_FAILED,
                   _("Cannot open %s: %s"), path, g_strerror (saved_errno));
      return -1;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("%s is not a regular file"), path);
      return -1;
    }
  /* Regular files ignore O_NONBLOCK; QEMU reads its copy as it is. */
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

char *
hangard_save_managed_path (HangardDaemon *daemon,
                           const char    *uuid)
{
  g_autofree char *name = g_strconcat (uuid, ".save", NULL);

  return g_build_filename (hangard_daemon_get_paths (daemon)->data_dir, "save", name, NULL);
}

/* QEMU's words about a stream it could not load: the last line it wrote
 * (the message carries its log). */
static char *
qemu_words (const char *message)
{
  g_auto(GStrv) lines = g_strsplit (message, "\n", -1);

  for (guint i = g_strv_length (lines); i > 0; i--)
    {
      const char *line = g_strstrip (lines[i - 1]);
      const char *words = strstr (line, "qemu-system-x86_64: ");

      if (words != NULL)
        return g_strdup (words + strlen ("qemu-system-x86_64: "));
      if (strstr (line, "hangard: ") != NULL)
        return g_strdup (strstr (line, "hangard: ") + strlen ("hangard: "));
    }
  return g_strdup (message);
}

/* ---- Save ----------------------------------------------------------------- */

typedef struct {
  char     *path;         /* where the file goes */
  char     *temp_path;    /* where it is written first */
  int       fd;
  gboolean  managed;
  GError   *error;        /* why a save that was dropped failed */
} SaveData;

static void
save_data_free (SaveData *data)
{
  if (data->fd >= 0)
    close (data->fd);
  if (data->temp_path != NULL)
    g_unlink (data->temp_path);
  g_free (data->path);
  g_free (data->temp_path);
  g_clear_error (&data->error);
  g_free (data);
}

static gboolean
check_save_path (const char  *path,
                 GError     **error)
{
  g_autofree char *dir = NULL;

  if (path == NULL || *path == '\0' || !g_path_is_absolute (path))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("The save file must be given as an absolute path, not “%s”"), path ? path : "");
      return FALSE;
    }
  if (g_str_has_suffix (path, "/") || g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("%s is a directory: name a file to save to"), path);
      return FALSE;
    }
  dir = g_path_get_dirname (path);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                   _("Cannot save to %s: the directory %s does not exist"), path, dir);
      return FALSE;
    }
  return TRUE;
}

/* A new file beside `path`, written under a hidden temporary name. */
static gboolean
create_temp_file (SaveData  *data,
                  GError   **error)
{
  g_autofree char *dir = g_path_get_dirname (data->path);
  g_autofree char *base = g_path_get_basename (data->path);
  g_autofree char *name = g_strdup_printf (".%s.XXXXXX", base);

  data->temp_path = g_build_filename (dir, name, NULL);
  data->fd = g_mkstemp_full (data->temp_path, O_RDWR | O_CLOEXEC, 0600);
  if (data->fd < 0)
    {
      int saved_errno = errno;
      g_clear_pointer (&data->temp_path, g_free);
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot create a file in %s: %s"),
                   dir, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_can_save (HangardMachine  *machine,
                GError         **error)
{
  HangardVmState state = hangard_vm_get_state (hangard_machine_get_vm (machine));

  if (state == HANGARD_VM_STATE_RUNNING || state == HANGARD_VM_STATE_PAUSED)
    return TRUE;
  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
               _("Machine '%s' is not running: only a running or paused machine can be saved"),
               hangard_machine_get_name (machine));
  return FALSE;
}

static void
on_save_kept (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HangardMachine *machine = g_task_get_source_object (task);
  SaveData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* The file is in place already: QEMU not ending cleanly loses nothing. */
  if (!hangard_vm_finish_save_finish (HANGARD_VM (source), result, &error))
    g_warning ("Saved %s, but QEMU did not end cleanly: %s", hangard_machine_get_name (machine), error->message);
  g_message ("Saved machine %s to %s", hangard_machine_get_name (machine), data->path);
  g_task_return_boolean (task, TRUE);
}

static void
on_save_dropped (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SaveData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!hangard_vm_finish_save_finish (HANGARD_VM (source), result, &error))
    g_warning ("Cannot resume after a failed save: %s", error->message);
  g_task_return_error (task, g_steal_pointer (&data->error));
}

/* The state is in the temporary file: make it durable and put it in place. */
static gboolean
store_file (SaveData  *data,
            GError   **error)
{
  g_autofree char *dir = g_path_get_dirname (data->path);
  int dir_fd;

  if (fsync (data->fd) != 0 || close (data->fd) != 0)
    {
      int saved_errno = errno;
      data->fd = -1;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot write %s: %s"),
                   data->path, g_strerror (saved_errno));
      return FALSE;
    }
  data->fd = -1;
  if (g_rename (data->temp_path, data->path) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot create %s: %s"),
                   data->path, g_strerror (saved_errno));
      return FALSE;
    }
  g_clear_pointer (&data->temp_path, g_free);

  dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0)
    {
      fsync (dir_fd);
      close (dir_fd);
    }
  return TRUE;
}

static void
on_state_saved (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HangardMachine *machine = g_task_get_source_object (task);
  HangardVm *vm = HANGARD_VM (source);
  SaveData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!hangard_vm_save_state_finish (vm, result, NULL, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!store_file (data, &data->error))
    {
      hangard_vm_finish_save_async (vm, FALSE, NULL, on_save_dropped, g_steal_pointer (&task));
      return;
    }

  /* Before QEMU ends, so the machine goes from paused straight to saved. */
  if (data->managed)
    hangard_machine_set_managed_save (machine, TRUE);
  hangard_vm_finish_save_async (vm, TRUE, NULL, on_save_kept, g_steal_pointer (&task));
}

void
hangard_save_machine_async (HangardMachine      *machine,
                            const char          *path,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (machine, cancellable, callback, user_data);
  HangardVm *vm = hangard_machine_get_vm (machine);
  HangardDaemon *daemon = hangard_machine_get_daemon (machine);
  g_autoptr(GError) error = NULL;
  g_autofree char *default_xml = NULL;
  const char *xml;
  SaveData *data;

  g_task_set_source_tag (task, hangard_save_machine_async);
  data = g_new0 (SaveData, 1);
  data->fd = -1;
  data->managed = path == NULL;
  data->path = path ? g_strdup (path) : hangard_save_managed_path (daemon, hangard_machine_get_uuid (machine));
  g_task_set_task_data (task, data, (GDestroyNotify) save_data_free);

  if (!check_can_save (machine, &error) ||
      (!data->managed && !check_save_path (path, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (data->managed)
    {
      g_autofree char *dir = g_path_get_dirname (data->path);

      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          int saved_errno = errno;
          g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot create %s: %s"),
                                   dir, g_strerror (saved_errno));
          return;
        }
    }

  /* The definition QEMU runs (a stored one edited since start is not). */
  xml = hangard_vm_get_running_xml (vm);
  if (xml == NULL)
    xml = default_xml = hangard_domain_to_xml (hangard_machine_get_domain (machine));

  if (!create_temp_file (data, &error) ||
      !hangard_save_write_header (data->fd, hangard_machine_get_uuid (machine), xml,
                                  hangard_vm_get_state (vm) == HANGARD_VM_STATE_PAUSED, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  hangard_vm_save_state_async (vm, data->fd, cancellable, on_state_saved, g_steal_pointer (&task));
}

gboolean
hangard_save_machine_finish (HangardMachine  *machine,
                             GAsyncResult    *result,
                             GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, machine), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
hangard_save_remove_managed (HangardMachine  *machine,
                             GError         **error)
{
  g_autofree char *path = hangard_save_managed_path (hangard_machine_get_daemon (machine),
                                                     hangard_machine_get_uuid (machine));

  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot delete %s: %s"),
                   path, g_strerror (saved_errno));
      return FALSE;
    }
  hangard_machine_set_managed_save (machine, FALSE);
  return TRUE;
}

/* ---- Restore -------------------------------------------------------------- */

/* The saved state of `machine` (a save file open at `fd`, read into
 * `header`) becomes its next start's. */
static void
start_from_state (HangardMachine      *machine,
                  HangardDomain       *domain,
                  int                  fd,
                  HangardSaveHeader   *header,
                  gboolean             paused,
                  GAsyncReadyCallback  callback,
                  GTask               *task)
{
  HangardVm *vm = hangard_machine_get_vm (machine);

  if (lseek (fd, (off_t) header->stream_offset, SEEK_SET) < 0)
    {
      int saved_errno = errno;
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_FAILED, _("Cannot read the save file: %s"),
                               g_strerror (saved_errno));
      g_object_unref (task);
      return;
    }
  hangard_vm_set_incoming (vm, fd, paused || header->paused);
  hangard_machine_start_domain_async (machine, domain, g_task_get_cancellable (task), callback, task);
}

/* A restore that QEMU could not load is a problem of the file. */
static GError *
restore_error (GError     *error,
               const char *path)
{
  g_autofree char *words = NULL;
  GError *mapped;

  if (!g_error_matches (error, HANGAR_ERROR, HANGAR_ERROR_QEMU))
    return error;
  words = qemu_words (error->message);
  mapped = g_error_new (HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                        _("Cannot restore from %s: QEMU could not load the saved state (%s)"), path, words);
  g_error_free (error);
  return mapped;
}

typedef struct {
  HangardMachine *machine;       /* the daemon's; a ref while restoring */
  char           *path;
  int             fd;
  gboolean        defined_here;  /* undefine it again when the restore fails */
  GError         *error;         /* why it failed, until it is undefined */
} RestoreData;

static void
restore_data_free (RestoreData *data)
{
  g_clear_error (&data->error);
  g_clear_object (&data->machine);
  if (data->fd >= 0)
    close (data->fd);
  g_free (data->path);
  g_free (data);
}

/* A machine the failed restore defined goes again, once its QEMU is
 * wholly gone (a start fails while the vm still winds down); only then
 * does the caller hear of the failure. */
static gboolean
undefine_after_failure (gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  HangardDaemon *daemon = g_task_get_source_object (task);
  RestoreData *data = g_task_get_task_data (task);
  g_autoptr(GError) undefine_error = NULL;

  if (!hangard_daemon_undefine_machine (daemon, data->machine, FALSE, &undefine_error))
    g_warning ("Cannot undefine %s after a failed restore: %s",
               hangard_machine_get_name (data->machine), undefine_error->message);
  g_task_return_error (task, g_steal_pointer (&data->error));
  return G_SOURCE_REMOVE;
}

static void
on_restored (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RestoreData *data = g_task_get_task_data (task);
  GError *error = NULL;

  hangard_vm_set_incoming (HANGARD_VM (source), -1, FALSE);
  if (!hangard_vm_start_finish (HANGARD_VM (source), result, &error))
    {
      error = restore_error (error, data->path);
      if (data->defined_here)
        {
          data->error = error;
          g_idle_add (undefine_after_failure, g_steal_pointer (&task));
          return;
        }
      g_task_return_error (task, error);
      return;
    }
  g_message ("Restored machine %s from %s", hangard_machine_get_name (data->machine), data->path);
  g_task_return_pointer (task, data->machine, NULL);
}

static gboolean
check_can_restore (HangardMachine  *machine,
                   GError         **error)
{
  if (hangard_vm_is_active (hangard_machine_get_vm (machine)))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Machine '%s' is running: shut it down or force it off before restoring it"),
                   hangard_machine_get_name (machine));
      return FALSE;
    }
  if (hangard_machine_has_managed_save (machine))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Machine '%s' has a managed save: start it, or remove the managed save, first"),
                   hangard_machine_get_name (machine));
      return FALSE;
    }
  return TRUE;
}

void
hangard_save_restore_async (HangardDaemon       *daemon,
                            const char          *path,
                            gboolean             paused,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (daemon, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardSaveHeader) header = NULL;
  g_autoptr(HangardDomain) domain = NULL;
  HangardMachine *machine;
  RestoreData *data;

  g_task_set_source_tag (task, hangard_save_restore_async);
  data = g_new0 (RestoreData, 1);
  data->path = g_strdup (path);
  data->fd = -1;
  g_task_set_task_data (task, data, (GDestroyNotify) restore_data_free);

  /* Everything about the file is checked before anything changes. */
  data->fd = open_save_file (path, &error);
  if (data->fd < 0 ||
      (header = hangard_save_read_header (data->fd, path, &error)) == NULL ||
      (domain = header_domain (header, path, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  machine = hangard_daemon_lookup_machine (daemon, header->uuid, NULL);
  if (machine != NULL && !check_can_restore (machine, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (machine == NULL)
    {
      machine = hangard_daemon_define_machine (daemon, header->xml, NULL, &error);
      if (machine == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      data->defined_here = TRUE;
    }
  data->machine = g_object_ref (machine);

  start_from_state (machine, domain, data->fd, header, paused, on_restored, g_steal_pointer (&task));
}

HangardMachine *
hangard_save_restore_finish (HangardDaemon  *daemon,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, daemon), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Managed save: resume on start ---------------------------------------- */

typedef struct {
  HangardMachine *machine;
  char           *path;
  int             fd;
} ResumeData;

static void
resume_data_free (ResumeData *data)
{
  g_clear_object (&data->machine);
  if (data->fd >= 0)
    close (data->fd);
  g_free (data->path);
  g_free (data);
}

static void
on_managed_resumed (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ResumeData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) remove_error = NULL;

  hangard_vm_set_incoming (HANGARD_VM (source), -1, FALSE);
  if (!hangard_vm_start_finish (HANGARD_VM (source), result, &error))
    {
      g_autofree char *words = NULL;

      /* The file stays: nothing is lost, and the user decides. */
      if (!g_error_matches (error, HANGAR_ERROR, HANGAR_ERROR_QEMU))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      words = qemu_words (error->message);
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                               _("Cannot resume '%s' from its managed save %s: QEMU could not load it (%s); "
                                 "removing the managed save lets the machine boot afresh"),
                               hangard_machine_get_name (data->machine), data->path, words);
      return;
    }

  /* The guest runs on: its old state must never be resumed again. */
  if (!hangard_save_remove_managed (data->machine, &remove_error))
    g_warning ("%s", remove_error->message);
  g_message ("Resumed machine %s from its managed save", hangard_machine_get_name (data->machine));
  g_task_return_boolean (task, TRUE);
}

void
hangard_save_resume_managed_async (HangardMachine      *machine,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  HangardVm *vm = hangard_machine_get_vm (machine);
  g_autoptr(GTask) task = g_task_new (vm, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(HangardSaveHeader) header = NULL;
  g_autoptr(HangardDomain) domain = NULL;
  ResumeData *data;

  g_task_set_source_tag (task, hangard_save_resume_managed_async);
  data = g_new0 (ResumeData, 1);
  data->machine = g_object_ref (machine);
  data->path = hangard_save_managed_path (hangard_machine_get_daemon (machine), hangard_machine_get_uuid (machine));
  data->fd = -1;
  g_task_set_task_data (task, data, (GDestroyNotify) resume_data_free);

  if (hangard_vm_is_active (vm))
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE, _("The machine is already running"));
      return;
    }

  data->fd = open_save_file (data->path, &error);
  if (data->fd < 0 ||
      (header = hangard_save_read_header (data->fd, data->path, &error)) == NULL ||
      (domain = header_domain (header, data->path, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!g_str_equal (header->uuid, hangard_machine_get_uuid (machine)))
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                               _("The managed save %s belongs to another machine (%s)"),
                               data->path, header->uuid);
      return;
    }

  start_from_state (machine, domain, data->fd, header, FALSE, on_managed_resumed, g_steal_pointer (&task));
}
