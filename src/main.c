/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangar"

#include "hangar-application.h"

#include <glib/gi18n.h>
#include <locale.h>

static void
setup_i18n (void)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(HangarApplication) app = NULL;

  setup_i18n ();
  g_set_application_name (_("Hangar"));

  app = hangar_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
