/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangarctl"

#include "hangarctl.h"

#include <errno.h>

/* Tables, laid out as virsh's: " Id   Name   State", a line of dashes, then
 * the rows; every cell after a space, columns three spaces apart. */

struct _HangarctlTable {
  guint      n_columns;
  GPtrArray *cells;     /* row-major, the header first */
};

gsize
hangarctl_display_width (const char *text)
{
  gsize width = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iszerowidth (c))
        continue;
      width += g_unichar_iswide (c) ? 2 : 1;
    }
  return width;
}

/* Control characters would break the columns: show them as \xNN. */
static char *
escape_cell (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text != NULL ? text : "-", -1);
  GString *escaped = g_string_new (NULL);

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c))
        g_string_append_printf (escaped, "\\x%02x", c);
      else
        g_string_append_unichar (escaped, c);
    }
  return g_string_free (escaped, FALSE);
}

HangarctlTable *
hangarctl_table_new (guint n_columns,
                     ...)
{
  HangarctlTable *table = g_new0 (HangarctlTable, 1);
  va_list args;

  g_return_val_if_fail (n_columns > 0, NULL);

  table->n_columns = n_columns;
  table->cells = g_ptr_array_new_with_free_func (g_free);

  va_start (args, n_columns);
  for (guint i = 0; i < n_columns; i++)
    g_ptr_array_add (table->cells, escape_cell (va_arg (args, const char *)));
  va_end (args);

  return table;
}

/* Takes exactly as many strings as the table has columns; NULL shows "-". */
void
hangarctl_table_add_row (HangarctlTable *table,
                         ...)
{
  va_list args;

  va_start (args, table);
  for (guint i = 0; i < table->n_columns; i++)
    g_ptr_array_add (table->cells, escape_cell (va_arg (args, const char *)));
  va_end (args);
}

static void
print_row (HangarctlTable *table,
           guint           row,
           const gsize    *widths,
           FILE           *out)
{
  for (guint col = 0; col < table->n_columns; col++)
    {
      const char *cell = g_ptr_array_index (table->cells, row * table->n_columns + col);

      fprintf (out, " %s", cell);
      if (col + 1 < table->n_columns)
        fprintf (out, "%*s", (int) (widths[col] - hangarctl_display_width (cell) + 2), "");
    }
  fputc ('\n', out);
}

void
hangarctl_table_print (HangarctlTable *table,
                       gboolean        header,
                       FILE           *out)
{
  guint n_rows = table->cells->len / table->n_columns;
  g_autofree gsize *widths = g_new0 (gsize, table->n_columns);

  for (guint row = header ? 0 : 1; row < n_rows; row++)
    {
      for (guint col = 0; col < table->n_columns; col++)
        {
          const char *cell = g_ptr_array_index (table->cells, row * table->n_columns + col);

          widths[col] = MAX (widths[col], hangarctl_display_width (cell));
        }
    }

  if (header)
    {
      print_row (table, 0, widths, out);
      for (guint col = 0; col < table->n_columns; col++)
        {
          for (gsize i = 0; i < widths[col] + 3; i++)
            fputc ('-', out);
        }
      fputc ('\n', out);
    }

  for (guint row = 1; row < n_rows; row++)
    print_row (table, row, widths, out);
}

void
hangarctl_table_free (HangarctlTable *table)
{
  if (table == NULL)
    return;
  g_ptr_array_unref (table->cells);
  g_free (table);
}

/* "Label:          value", the label padded to @width columns (virsh's
 * "%-15s %s" for dominfo, "%-20s %s" for nodeinfo), translations included. */
void
hangarctl_print_field (int         width,
                       const char *label,
                       const char *format,
                       ...)
{
  g_autofree char *value = NULL;
  int pad = width - (int) hangarctl_display_width (label);
  va_list args;

  va_start (args, format);
  value = g_strdup_vprintf (format, args);
  va_end (args);

  printf ("%s%*s %s\n", label, MAX (pad, 0), "", value);
}

/* A line telling what was done ("Domain 'x' started"); silent with -q. */
void
hangarctl_message (HangarctlContext *ctx,
                   const char       *format,
                   ...)
{
  g_autofree char *message = NULL;
  va_list args;

  if (ctx->quiet)
    return;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  printf ("%s\n", message);
}

/* Errors take exactly one line: QEMU's words may span several. */
char *
hangarctl_one_line (const char *text)
{
  g_auto(GStrv) lines = g_strsplit_set (text, "\r\n", -1);
  g_autoptr(GString) joined = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);

      if (*line == '\0')
        continue;
      if (joined->len > 0)
        g_string_append (joined, "; ");
      g_string_append (joined, line);
    }
  return g_string_free (g_steal_pointer (&joined), FALSE);
}

/* "4096", "64K", "64KiB", "10MB", "1G": bytes (K, KiB: 1024; KB: 1000). */
gboolean
hangarctl_parse_size (const char  *text,
                      guint64     *bytes,
                      GError     **error)
{
  static const struct {
    const char *suffix;
    guint64 scale;
  } suffixes[] = {
    { "", 1 }, { "b", 1 },
    { "k", 1024 }, { "kib", 1024 }, { "kb", 1000 },
    { "m", 1024 * 1024 }, { "mib", 1024 * 1024 }, { "mb", 1000 * 1000 },
    { "g", 1024 * 1024 * 1024 }, { "gib", 1024 * 1024 * 1024 }, { "gb", 1000 * 1000 * 1000 },
  };
  char *end = NULL;
  guint64 number;

  if (!g_ascii_isdigit (*text))
    goto invalid;

  errno = 0;
  number = g_ascii_strtoull (text, &end, 10);
  if (errno != 0)
    goto invalid;

  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      if (g_ascii_strcasecmp (end, suffixes[i].suffix) != 0)
        continue;
      if (number > G_MAXUINT64 / suffixes[i].scale)
        goto invalid;
      *bytes = number * suffixes[i].scale;
      return TRUE;
    }

invalid:
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               _("Invalid size “%s”: use a number of bytes, optionally followed "
                 "by K, M or G"), text);
  return FALSE;
}

/* D-Bus strings must be UTF-8 without NUL bytes: say so before GVariant would. */
gboolean
hangarctl_check_text (const char  *data,
                      gsize        length,
                      const char  *what,
                      GError     **error)
{
  if (memchr (data, '\0', length) == NULL && g_utf8_validate (data, length, NULL))
    return TRUE;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               _("%s is not UTF-8 text"), what);
  return FALSE;
}

/* Raw bytes (an "ay" from the engine) to stdout, unchanged. */
gboolean
hangarctl_write_bytes (GVariant  *bytes,
                       GError   **error)
{
  gsize n_bytes = 0;
  const guint8 *data;

  if (!g_variant_is_of_type (bytes, G_VARIANT_TYPE_BYTESTRING))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The engine answered with “%s” instead of bytes"),
                   g_variant_get_type_string (bytes));
      return FALSE;
    }

  data = g_variant_get_fixed_array (bytes, &n_bytes, 1);
  if ((n_bytes > 0 && fwrite (data, 1, n_bytes, stdout) != n_bytes) || fflush (stdout) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot write to the standard output: %s"), g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/* Numbers from the engine's a{sv} answers, whatever integer type they come in. */
gboolean
hangarctl_dict_get_u64 (GVariant   *dict,
                        const char *key,
                        guint64    *value)
{
  g_autoptr(GVariant) v = g_variant_lookup_value (dict, key, NULL);

  if (v == NULL)
    return FALSE;

  switch (g_variant_classify (v))
    {
    case G_VARIANT_CLASS_UINT64:
      *value = g_variant_get_uint64 (v);
      return TRUE;
    case G_VARIANT_CLASS_UINT32:
      *value = g_variant_get_uint32 (v);
      return TRUE;
    case G_VARIANT_CLASS_UINT16:
      *value = g_variant_get_uint16 (v);
      return TRUE;
    case G_VARIANT_CLASS_BYTE:
      *value = g_variant_get_byte (v);
      return TRUE;
    case G_VARIANT_CLASS_INT64:
      *value = (guint64) MAX (g_variant_get_int64 (v), 0);
      return TRUE;
    case G_VARIANT_CLASS_INT32:
      *value = (guint64) MAX (g_variant_get_int32 (v), 0);
      return TRUE;
    case G_VARIANT_CLASS_DOUBLE:
      *value = (guint64) MAX (g_variant_get_double (v), 0.0);
      return TRUE;
    default:
      return FALSE;
    }
}

char *
hangarctl_dict_dup_string (GVariant   *dict,
                           const char *key)
{
  g_autoptr(GVariant) v = g_variant_lookup_value (dict, key, G_VARIANT_TYPE_STRING);

  return v != NULL ? g_variant_dup_string (v, NULL) : NULL;
}
