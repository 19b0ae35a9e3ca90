/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-hugepages"

#include "hangard-hugepages.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "hangard-error.h"

#define PROC_MEMINFO "/proc/meminfo"
#define SYSFS_HUGEPAGES "/sys/kernel/mm/hugepages"

typedef struct {
  guint64 total;      /* pages in the pool */
  guint64 free;       /* pages nobody holds */
} Pool;

/* "HugePages_Total:      64" → 64; "Hugepagesize:    2048 kB" → 2048. */
static gboolean
meminfo_value (const char *contents,
               const char *key,
               guint64    *out)
{
  g_autofree char *needle = g_strconcat ("\n", key, ":", NULL);
  const char *line = NULL;

  if (g_str_has_prefix (contents, needle + 1))
    line = contents + strlen (needle + 1);
  else if ((line = strstr (contents, needle)) != NULL)
    line += strlen (needle);
  if (line == NULL)
    return FALSE;
  while (*line == ' ' || *line == '\t')
    line++;
  return g_ascii_isdigit (*line) && (*out = g_ascii_strtoull (line, NULL, 10), TRUE);
}

static gboolean
read_number_file (const char *path,
                  guint64    *out)
{
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  g_strstrip (contents);
  return g_ascii_string_to_unsigned (contents, 10, 0, G_MAXUINT64, out, NULL);
}

/* "2.0 MiB", in GLib's words (translated there). */
static char *
describe_kib (guint64 kib)
{
  return g_format_size_full (kib * 1024, G_FORMAT_SIZE_IEC_UNITS);
}

static char *
number (guint64 value)
{
  return g_strdup_printf ("%" G_GUINT64_FORMAT, value);
}

/* The pool of `*page_kib` pages (0: the default size, filled in). */
static gboolean
read_pool (guint64     *page_kib,
           const char  *meminfo,
           const char  *sysfs_dir,
           Pool        *pool,
           GError     **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *total_path = NULL;
  g_autofree char *free_path = NULL;
  g_autoptr(GError) local_error = NULL;
  guint64 default_kib = 0;

  if (!g_file_get_contents (meminfo, &contents, NULL, &local_error))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                   _("Cannot read the host’s memory information: %s"), local_error->message);
      return FALSE;
    }

  if (!meminfo_value (contents, "Hugepagesize", &default_kib) || default_kib == 0)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           _("This host’s kernel has no huge pages (no Hugepagesize in /proc/meminfo)"));
      return FALSE;
    }

  if (*page_kib == 0 || *page_kib == default_kib)
    {
      *page_kib = default_kib;
      if (meminfo_value (contents, "HugePages_Total", &pool->total) &&
          meminfo_value (contents, "HugePages_Free", &pool->free))
        return TRUE;
    }

  /* Another size than the default has its own pool, in sysfs only. */
  dir = g_strdup_printf ("%s/hugepages-%" G_GUINT64_FORMAT "kB", sysfs_dir, *page_kib);
  total_path = g_build_filename (dir, "nr_hugepages", NULL);
  free_path = g_build_filename (dir, "free_hugepages", NULL);
  if (!read_number_file (total_path, &pool->total) || !read_number_file (free_path, &pool->free))
    {
      g_autofree char *size = describe_kib (*page_kib);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   _("This host has no huge pages of %s"), size);
      return FALSE;
    }
  return TRUE;
}

gboolean
hangard_hugepages_check (guint64      memory_kib,
                         guint64      page_kib,
                         const char  *meminfo,
                         const char  *sysfs_dir,
                         GError     **error)
{
  g_autofree char *size = NULL;
  g_autofree char *memory = NULL;
  g_autofree char *needed_text = NULL;
  g_autofree char *free_text = NULL;
  g_autofree char *total_text = NULL;
  Pool pool = { 0, 0 };
  guint64 needed;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!read_pool (&page_kib, meminfo != NULL ? meminfo : PROC_MEMINFO,
                  sysfs_dir != NULL ? sysfs_dir : SYSFS_HUGEPAGES, &pool, error))
    return FALSE;

  size = describe_kib (page_kib);
  memory = describe_kib (memory_kib);
  if (pool.total == 0)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   _("The machine’s memory is to come from huge pages (<hugepages/>), but this "
                     "host has no huge pages of %s set up: reserve some first (sysctl "
                     "vm.nr_hugepages=N), or remove <memoryBacking>"), size);
      return FALSE;
    }
  if (memory_kib % page_kib != 0)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   _("The machine’s memory (%s) is not a whole number of %s huge pages"),
                   memory, size);
      return FALSE;
    }

  needed = memory_kib / page_kib;
  if (needed > pool.free)
    {
      needed_text = number (needed);
      free_text = number (pool.free);
      total_text = number (pool.total);
      /* Translators: "The machine needs 64 huge pages of 2.0 MiB for its memory (128 MiB),
       * and only 10 of the host’s 32 are free" */
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("The machine needs %s huge pages of %s for its memory (%s), and only %s "
                     "of the host’s %s are free"),
                   needed_text, size, memory, free_text, total_text);
      return FALSE;
    }
  return TRUE;
}
