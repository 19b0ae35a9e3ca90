/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangarctl"

#include "hangarctl.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <unistd.h>

/* edit NAME: the definition in a temporary file, the user's editor on it,
 * UpdateXml with the result; on an error, virsh's "Try again?" question. */

typedef struct {
  HangarctlContext *ctx;
  HangarMachine    *machine;
  char             *name;       /* for messages */
  char             *original;   /* what the temporary file held before editing */
  char             *path;       /* the temporary file */
} EditSession;

static void
edit_session_clear (EditSession *session)
{
  g_clear_object (&session->machine);
  g_clear_pointer (&session->name, g_free);
  g_clear_pointer (&session->original, g_free);
  g_clear_pointer (&session->path, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EditSession, edit_session_clear)

static gboolean
write_file (const char  *path,
            const char  *text,
            GError     **error)
{
  return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_NONE, 0600, error);
}

/* A new private temporary file holding @text. */
static char *
new_temp_file (const char  *text,
               GError     **error)
{
  g_autofree char *path = NULL;
  int fd;

  fd = g_file_open_tmp ("hangarctl-edit-XXXXXX.xml", &path, error);
  if (fd < 0)
    return NULL;
  g_close (fd, NULL);

  if (!write_file (path, text, error))
    {
      g_unlink (path);
      return NULL;
    }
  return g_steal_pointer (&path);
}

/* The definition as the editor will show it: ending with a newline, so an
 * editor adding one does not count as a change. */
static char *
fetch_definition (HangarMachine  *machine,
                  GError        **error)
{
  g_autofree char *xml = hangarctl_machine_get_xml (machine, error);

  if (xml == NULL)
    return NULL;
  if (g_str_has_suffix (xml, "\n"))
    return g_steal_pointer (&xml);
  return g_strconcat (xml, "\n", NULL);
}

/* Running the editor */

static void
child_restore_signals (gpointer user_data G_GNUC_UNUSED)
{
  signal (SIGINT, SIG_DFL);
  signal (SIGQUIT, SIG_DFL);
}

static char **
editor_argv (const char  *path,
             GError     **error)
{
  const char *editor = g_getenv ("VISUAL");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) words = NULL;

  if (editor == NULL || *editor == '\0')
    editor = g_getenv ("EDITOR");
  if (editor == NULL || *editor == '\0')
    editor = "vi";

  if (!g_shell_parse_argv (editor, NULL, &words, error))
    {
      g_prefix_error (error, _("Cannot run the editor “%s”: "), editor);
      return NULL;
    }

  g_strv_builder_addv (builder, (const char **) words);
  g_strv_builder_add (builder, path);
  return g_strv_builder_end (builder);
}

/* The editor gets the terminal; Ctrl+C there is the editor's business, so
 * hangarctl ignores SIGINT and SIGQUIT meanwhile, as system() does. */
static gboolean
run_editor (const char  *path,
            GError     **error)
{
  g_auto(GStrv) argv = editor_argv (path, error);
  struct sigaction ignore = { .sa_handler = SIG_IGN };
  struct sigaction old_int, old_quit;
  gboolean spawned;
  int wait_status = 0;

  if (argv == NULL)
    return FALSE;

  fflush (stdout);
  sigemptyset (&ignore.sa_mask);
  sigaction (SIGINT, &ignore, &old_int);
  sigaction (SIGQUIT, &ignore, &old_quit);

  spawned = g_spawn_sync (NULL, argv, NULL,
                          G_SPAWN_SEARCH_PATH | G_SPAWN_CHILD_INHERITS_STDIN,
                          child_restore_signals, NULL, NULL, NULL, &wait_status, error);

  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGQUIT, &old_quit, NULL);

  if (!spawned || !g_spawn_check_wait_status (wait_status, error))
    {
      g_prefix_error (error, _("The editor “%s” failed: "), argv[0]);
      return FALSE;
    }
  return TRUE;
}

static char *
read_edited (const char  *path,
             GError     **error)
{
  g_autofree char *text = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &text, &length, error))
    return NULL;
  if (!hangarctl_check_text (text, length, path, error))
    return NULL;
  return g_steal_pointer (&text);
}

/* The question after a failed update */

static char
read_answer (void)
{
  char answer = '\0';
  int c;

  while ((c = getchar ()) != EOF && c != '\n')
    {
      if (answer == '\0' && !g_ascii_isspace (c))
        answer = g_ascii_tolower (c);
    }

  if (c == EOF && answer == '\0')
    answer = 'n';

  /* A terminal echoed the answer; from a pipe, show it in the transcript. */
  if (!isatty (STDIN_FILENO) || c == EOF)
    printf ("%.1s\n", &answer);
  return answer;
}

static void
print_answers_help (void)
{
  printf ("%s\n", _("y - yes, start the editor again on your text"));
  printf ("%s\n", _("n - no, give up: the machine stays as it was, your text stays in its file"));
  printf ("%s\n", _("i - start again from the machine’s current definition (your text is kept)"));
  printf ("%s\n", _("f - force, send the same text to the engine again"));
  printf ("%s\n", _("? - print this help"));
}

/* Reads the answer from stdin; end of input means n. */
static char
ask_try_again (void)
{
  for (;;)
    {
      char answer;

      printf ("%s", _("Failed. Try again? [y,n,i,f,?]: "));
      fflush (stdout);

      answer = read_answer ();
      if (answer == 'y' || answer == 'n' || answer == 'i' || answer == 'f')
        return answer;
      if (answer == '?')
        print_answers_help ();
    }
}

/* Steps of the session */

static gboolean
update (EditSession  *session,
        const char   *edited,
        GError      **error)
{
  g_autoptr(HangarctlDomain) domain = NULL;

  hangarctl_set_lifecycle_timeout (session->machine);
  if (!hangar_machine_call_update_xml_sync (session->machine, edited, NULL, error))
    return FALSE;

  /* The name may have changed with the definition. */
  domain = hangarctl_domain_parse (edited, NULL);
  if (domain != NULL && domain->name != NULL && *domain->name != '\0')
    {
      g_free (session->name);
      session->name = g_strdup (domain->name);
    }
  return TRUE;
}

/* i: the user's text to a file of its own, the current definition to edit. */
static gboolean
restart_from_current (EditSession  *session,
                      const char   *edited,
                      GError      **error)
{
  g_autofree char *current = NULL;
  g_autofree char *kept = NULL;

  current = fetch_definition (session->machine, error);
  if (current == NULL)
    return FALSE;

  kept = new_temp_file (edited, error);
  if (kept == NULL)
    return FALSE;

  if (!write_file (session->path, current, error))
    return FALSE;

  printf (_("Your text is kept in %s\n"), kept);
  g_free (session->original);
  session->original = g_steal_pointer (&current);
  return TRUE;
}

/* On failure, keep the file when it holds the user's work, else remove it. */
static void
finish_failed (EditSession *session)
{
  g_autofree char *text = NULL;

  if (g_file_get_contents (session->path, &text, NULL, NULL) &&
      g_strcmp0 (text, session->original) != 0)
    {
      printf (_("Domain '%s' XML configuration not changed; your text is kept in %s\n"),
              session->name, session->path);
      return;
    }
  g_unlink (session->path);
}

static gboolean
finish_done (EditSession *session,
             gboolean     changed)
{
  g_unlink (session->path);
  if (changed)
    hangarctl_message (session->ctx, _("Domain '%s' XML configuration edited."), session->name);
  else
    hangarctl_message (session->ctx, _("Domain '%s' XML configuration not changed."), session->name);
  return TRUE;
}

static gboolean
edit_loop (EditSession  *session,
           GError      **error)
{
  gboolean edit = TRUE;

  for (;;)
    {
      g_autofree char *edited = NULL;
      g_autoptr(GError) update_error = NULL;

      if (edit && !run_editor (session->path, error))
        return FALSE;

      edited = read_edited (session->path, error);
      if (edited == NULL)
        return FALSE;

      if (g_str_equal (edited, session->original))
        return finish_done (session, FALSE);

      if (update (session, edited, &update_error))
        return finish_done (session, TRUE);

      hangarctl_print_error (session->ctx, update_error);
      switch (ask_try_again ())
        {
        case 'y':
          edit = TRUE;
          break;
        case 'f':
          edit = FALSE;
          break;
        case 'i':
          if (!restart_from_current (session, edited, error))
            return FALSE;
          edit = TRUE;
          break;
        default:
          return FALSE;
        }
    }
}

gboolean
hangarctl_edit (HangarctlContext     *ctx,
                const HangarctlVerb  *verb G_GNUC_UNUSED,
                char                **args,
                GError              **error)
{
  g_auto(EditSession) session = { .ctx = ctx };
  const char *name;

  session.machine = hangarctl_lookup_machine (ctx, args[0], error);
  if (session.machine == NULL)
    return FALSE;

  name = hangarctl_machine_name (session.machine);
  session.name = g_strdup (*name != '\0' ? name : args[0]);

  session.original = fetch_definition (session.machine, error);
  if (session.original == NULL)
    return FALSE;

  session.path = new_temp_file (session.original, error);
  if (session.path == NULL)
    return FALSE;

  if (edit_loop (&session, error))
    return TRUE;

  finish_failed (&session);
  return FALSE;
}
