/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangarctl"

#include "hangarctl.h"

#include "hangard-error.h"

#include <errno.h>
#include <locale.h>

/* hangarctl: virsh's verbs over the Hangar engine's D-Bus API.
 *
 *   hangarctl [--connect SPEC] [-q] COMMAND [OPTION…] [ARG…]
 *
 * Global options come before the command, the command's own after it.
 * Output on success is what virsh prints; a failure is one line on stderr,
 * "error: MESSAGE", and exit status 1. */

/* Wide enough for the longest verb (snapshot-create-as, managedsave-remove). */
#define SUMMARY_WIDTH 18

static gboolean run_help (HangarctlContext     *ctx,
                          const HangarctlVerb  *verb,
                          char                **args,
                          GError              **error);

static const HangarctlVerb general_verbs[] = {
  { "help", run_help, N_("[COMMAND]"), N_("List the commands, or show one command’s options"),
    NULL, 0, 1, NULL },
  { NULL }
};

static const HangarctlVerbGroup hangarctl_general_verbs = {
  N_("Other"), general_verbs
};

static const HangarctlVerbGroup * const groups[] = {
  &hangarctl_machine_verbs,
  &hangarctl_snapshot_verbs,
  &hangarctl_device_verbs,
  &hangarctl_monitor_verbs,
  &hangarctl_console_verbs,
  &hangarctl_top_verbs,
  &hangarctl_save_verbs,
  &hangarctl_pool_verbs,
  &hangarctl_volume_verbs,
  &hangarctl_network_verbs,
  &hangarctl_interface_verbs,
  &hangarctl_host_verbs,
  &hangarctl_general_verbs,
  NULL
};

static const HangarctlVerb *
find_verb (const char *name)
{
  for (guint g = 0; groups[g] != NULL; g++)
    {
      for (const HangarctlVerb *verb = groups[g]->verbs; verb->name != NULL; verb++)
        {
          if (g_str_equal (verb->name, name))
            return verb;
        }
    }
  return NULL;
}

static GError *
unknown_command_error (const char *name)
{
  return g_error_new (G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                      _("unknown command: '%s' (see: hangarctl help)"), name);
}

/* Global options */

static char *opt_connect;
static gboolean opt_quiet;
static gboolean opt_no_ask_password;
static gboolean opt_version;

static const GOptionEntry global_options[] = {
  { "connect", 'c', 0, G_OPTION_ARG_STRING, &opt_connect,
    N_("The engine to talk to: session, system or a D-Bus address such as "
       "unix:path=/run/hangar/bus (default: $HANGAR_CONNECT, else session)"),
    N_("SPEC") },
  { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet,
    N_("Print no table headers and no messages such as “Domain 'x' started”"), NULL },
  { "no-ask-password", 0, 0, G_OPTION_ARG_NONE, &opt_no_ask_password,
    N_("Never ask for a password: when the system engine’s polkit wants one, fail at once"), NULL },
  { "version", 'v', 0, G_OPTION_ARG_NONE, &opt_version,
    N_("Print hangarctl’s version and exit"), NULL },
  G_OPTION_ENTRY_NULL
};

static char *
commands_description (void)
{
  GString *text = g_string_new (NULL);

  for (guint g = 0; groups[g] != NULL; g++)
    {
      g_string_append_printf (text, "%s:\n", _(groups[g]->title));
      for (const HangarctlVerb *verb = groups[g]->verbs; verb->name != NULL; verb++)
        g_string_append_printf (text, "  %-*s %s\n", SUMMARY_WIDTH, verb->name, _(verb->summary));
      g_string_append_c (text, '\n');
    }
  g_string_append (text, _("Run “hangarctl help COMMAND” to see a command’s options. "
                           "NAME is a machine’s name, UUID or Id."));
  return g_string_free (text, FALSE);
}

static GOptionContext *
global_option_context (void)
{
  GOptionContext *context = g_option_context_new (_("COMMAND [ARG…]"));
  g_autofree char *description = commands_description ();

  g_set_prgname ("hangarctl");
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, global_options, GETTEXT_PACKAGE);
  g_option_context_set_strict_posix (context, TRUE);
  g_option_context_set_summary (context, _("Manage the virtual machines of a Hangar engine, "
                                           "with virsh’s commands."));
  g_option_context_set_description (context, description);
  return context;
}

static gboolean
parse_global_options (HangarctlContext   *ctx,
                      int                *argc,
                      char             ***argv,
                      GError            **error)
{
  g_autoptr(GOptionContext) context = global_option_context ();

  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;

  ctx->connect_spec = g_strdup (opt_connect != NULL ? opt_connect : g_getenv ("HANGAR_CONNECT"));
  ctx->quiet = opt_quiet;
  ctx->no_ask_password = opt_no_ask_password;
  return TRUE;
}

/* Commands */

static char *
usage_line (const HangarctlVerb *verb)
{
  const char *params = verb->params != NULL ? _(verb->params) : "";

  return g_strdup_printf ("hangarctl %s%s%s", verb->name, *params != '\0' ? " " : "", params);
}

/* The usage line reads "hangarctl VERB [OPTION…] PARAMS": GOption takes the
 * program name for its first words. */
static GOptionContext *
verb_option_context (const HangarctlVerb   *verb,
                     char                ***remaining)
{
  const GOptionEntry rest[] = {
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, remaining, NULL, NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autofree char *prgname = g_strdup_printf ("hangarctl %s", verb->name);
  const char *params = verb->params != NULL && *verb->params != '\0' ? _(verb->params) : NULL;
  GOptionContext *context = g_option_context_new (params);

  g_set_prgname (prgname);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _(verb->summary));
  if (verb->options != NULL)
    g_option_context_add_main_entries (context, verb->options, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, rest, GETTEXT_PACKAGE);
  return context;
}

static gboolean
check_arg_count (const HangarctlVerb  *verb,
                 char                **args,
                 GError              **error)
{
  g_autofree char *usage = usage_line (verb);
  guint n_args = g_strv_length (args);

  if (n_args < verb->min_args)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("Missing %s (usage: %s)"), _(verb->params), usage);
      return FALSE;
    }
  if (n_args > verb->max_args)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("Unexpected argument “%s” (usage: %s)"), args[verb->max_args], usage);
      return FALSE;
    }
  return TRUE;
}

static void
add_help_hint (GError     *error,
               const char *verb_name)
{
  char *message;

  if (verb_name != NULL)
    message = g_strdup_printf (_("%s (see: hangarctl help %s)"), error->message, verb_name);
  else
    message = g_strdup_printf (_("%s (see: hangarctl help)"), error->message);
  g_free (error->message);
  error->message = message;
}

static gboolean
run_verb (HangarctlContext     *ctx,
          const HangarctlVerb  *verb,
          int                   argc,
          char                **argv,
          GError              **error)
{
  g_auto(GStrv) args = NULL;
  g_autoptr(GOptionContext) context = verb_option_context (verb, &args);

  if (!g_option_context_parse (context, &argc, &argv, error))
    {
      add_help_hint (*error, verb->name);
      return FALSE;
    }

  if (args == NULL)
    args = g_new0 (char *, 1);

  if (!check_arg_count (verb, args, error))
    return FALSE;

  return verb->run (ctx, verb, args, error);
}

static gboolean
run_help (HangarctlContext     *ctx G_GNUC_UNUSED,
          const HangarctlVerb  *verb G_GNUC_UNUSED,
          char                **args,
          GError              **error)
{
  g_autoptr(GOptionContext) context = NULL;
  g_auto(GStrv) unused = NULL;
  g_autofree char *help = NULL;
  const HangarctlVerb *target;

  if (args[0] == NULL)
    {
      context = global_option_context ();
    }
  else
    {
      target = find_verb (args[0]);
      if (target == NULL)
        {
          g_propagate_error (error, unknown_command_error (args[0]));
          return FALSE;
        }
      context = verb_option_context (target, &unused);
    }

  help = g_option_context_get_help (context, TRUE, NULL);
  fputs (help, stdout);
  return TRUE;
}

/* main */

static void
setup_i18n (void)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

static gboolean
run (HangarctlContext  *ctx,
     int                argc,
     char             **argv,
     GError           **error)
{
  const HangarctlVerb *verb;

  if (!parse_global_options (ctx, &argc, &argv, error))
    {
      add_help_hint (*error, NULL);
      return FALSE;
    }

  if (opt_version)
    {
      printf ("hangarctl %s\n", HANGAR_VERSION);
      return TRUE;
    }

  if (argc < 2)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("No command given (see: hangarctl help)"));
      return FALSE;
    }

  verb = find_verb (argv[1]);
  if (verb == NULL)
    {
      g_propagate_error (error, unknown_command_error (argv[1]));
      return FALSE;
    }

  return run_verb (ctx, verb, argc - 1, argv + 1, error);
}

int
main (int    argc,
      char **argv)
{
  HangarctlContext ctx = { 0 };
  g_autoptr(GError) error = NULL;
  gboolean ok;

  setup_i18n ();
  (void) hangar_error_quark ();

  ok = run (&ctx, argc, argv, &error);

  if (fflush (stdout) != 0 && error == NULL)
    {
      int saved_errno = errno;

      ok = FALSE;
      g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot write to the standard output: %s"), g_strerror (saved_errno));
    }

  if (!ok && error != NULL)
    hangarctl_print_error (&ctx, error);

  hangarctl_context_clear (&ctx);
  return ok ? 0 : 1;
}
