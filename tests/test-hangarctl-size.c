/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-hangarctl-size"

#include "hangarctl.h"

/* hangarctl's storage sizes: virsh's scaled integers in (vol-create-as,
 * vol-resize) and its "19.56 GiB" out (pool-info, vol-info, --details).
 * Built with src/ctl/hangarctl-progress.c and the files it calls into. */

#define KIB G_GUINT64_CONSTANT (1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)
#define TIB (GIB * 1024)
#define PIB (TIB * 1024)
#define EIB (PIB * 1024)

static void
check_size (const char *text,
            guint64     expected)
{
  g_autoptr(GError) error = NULL;
  guint64 bytes = 0;

  g_test_message ("%s", text);
  g_assert_true (hangarctl_parse_capacity (text, &bytes, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bytes, ==, expected);
}

static void
check_invalid (const char *text)
{
  g_autoptr(GError) error = NULL;
  guint64 bytes = 42;

  g_test_message ("%s", text);
  g_assert_false (hangarctl_parse_capacity (text, &bytes, &error));
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
  g_assert_nonnull (strstr (error->message, text));
  g_assert_cmpuint (bytes, ==, 42);
}

static void
test_parse_plain (void)
{
  check_size ("0", 0);
  check_size ("512", 512);
  check_size ("1073741824", GIB);
  check_size ("18446744073709551615", G_MAXUINT64);
  check_size ("512b", 512);
  check_size ("512B", 512);
  check_size ("512byte", 512);
  check_size ("512bytes", 512);
  check_size ("512BYTES", 512);
}

static void
test_parse_binary (void)
{
  check_size ("100K", 100 * KIB);
  check_size ("100k", 100 * KIB);
  check_size ("100KiB", 100 * KIB);
  check_size ("100kib", 100 * KIB);
  check_size ("512M", 512 * MIB);
  check_size ("512MiB", 512 * MIB);
  check_size ("20G", 20 * GIB);
  check_size ("20g", 20 * GIB);
  check_size ("20GiB", 20 * GIB);
  check_size ("1T", TIB);
  check_size ("1TiB", TIB);
  check_size ("2P", 2 * PIB);
  check_size ("15E", 15 * EIB);
}

static void
test_parse_decimal (void)
{
  check_size ("100KB", 100000);
  check_size ("100kb", 100000);
  check_size ("10MB", G_GUINT64_CONSTANT (10000000));
  check_size ("20GB", G_GUINT64_CONSTANT (20000000000));
  check_size ("1TB", G_GUINT64_CONSTANT (1000000000000));
  check_size ("1PB", G_GUINT64_CONSTANT (1000000000000000));
  check_size ("1EB", G_GUINT64_CONSTANT (1000000000000000000));
}

static void
test_parse_invalid (void)
{
  check_invalid ("");
  check_invalid ("G");
  check_invalid ("-1");
  check_invalid ("-1G");
  check_invalid ("+1G");
  check_invalid (" 1G");
  check_invalid ("1 G");
  check_invalid ("1G ");
  check_invalid ("1.5G");
  check_invalid ("1X");
  check_invalid ("1Gi");
  check_invalid ("1GiBs");
  check_invalid ("1GBB");
  check_invalid ("1iB");
  check_invalid ("1bit");
  check_invalid ("0x10");
  /* Too large for 64 bits, before or after scaling. */
  check_invalid ("18446744073709551616");
  check_invalid ("99999999999999999999G");
  check_invalid ("16E");
  check_invalid ("17179869184G");
  check_invalid ("19EB");
}

static void
check_format (guint64     bytes,
              const char *expected)
{
  g_autofree char *text = hangarctl_format_capacity (bytes);

  g_assert_cmpstr (text, ==, expected);
}

static void
test_format (void)
{
  const char *unit = NULL;
  double value;

  check_format (0, "0.00 B");
  check_format (512, "512.00 B");
  check_format (1023, "1023.00 B");
  check_format (KIB, "1.00 KiB");
  check_format (4096, "4.00 KiB");
  check_format (200704, "196.00 KiB");
  check_format (20 * MIB, "20.00 MiB");
  check_format (G_GUINT64_CONSTANT (21000000000), "19.56 GiB");
  check_format (GIB - 1, "1024.00 MiB");
  check_format (TIB + TIB / 2, "1.50 TiB");
  check_format (3 * PIB, "3.00 PiB");
  check_format (G_MAXUINT64, "16.00 EiB");

  value = hangarctl_pretty_capacity (20 * GIB, &unit);
  g_assert_cmpfloat (value, ==, 20.0);
  g_assert_cmpstr (unit, ==, "GiB");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hangarctl/size/parse/plain", test_parse_plain);
  g_test_add_func ("/hangarctl/size/parse/binary", test_parse_binary);
  g_test_add_func ("/hangarctl/size/parse/decimal", test_parse_decimal);
  g_test_add_func ("/hangarctl/size/parse/invalid", test_parse_invalid);
  g_test_add_func ("/hangarctl/size/format", test_format);

  return g_test_run ();
}
