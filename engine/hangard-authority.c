/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-authority"

#include "hangard-authority.h"
#include "hangard-error.h"

#include <glib/gi18n-lib.h>
#include <polkit/polkit.h>
#include <unistd.h>

struct _HangardAuthority
{
  GObject          parent_instance;

  GDBusConnection *connection;
  HangardMode      mode;
  uid_t            engine_uid;
  guint            name_owner_changed_id;

  GHashTable      *caller_uids;     /* unique bus name → uid + 1, as GUINT_TO_POINTER */
  GPtrArray       *pending;         /* GTask* of the checks under way (not owned) */

  PolkitAuthority *polkit;          /* NULL until obtained */
  gboolean         polkit_loading;
  GQueue           polkit_waiters;  /* GTask* (owned) waiting for `polkit` */
  gboolean         polkit_warned;   /* an unexpected polkit error was logged */
};

G_DEFINE_FINAL_TYPE (HangardAuthority, hangard_authority, G_TYPE_OBJECT)

typedef void (*UidNext) (GTask *task,
                         uid_t  uid);

typedef struct {
  GDBusMethodInvocation *invocation;
  HangardAccess          access;
  char                  *sender;     /* NULL on a peer link */
  UidNext                uid_next;   /* what to do once the caller's uid is known */
} Check;

static void
check_free (Check *check)
{
  g_clear_object (&check->invocation);
  g_free (check->sender);
  g_free (check);
}

const char *
hangard_access_to_action_id (HangardAccess access)
{
  return access == HANGARD_ACCESS_READ ? HANGARD_POLKIT_ACTION_MONITOR : HANGARD_POLKIT_ACTION_MANAGE;
}

gboolean
hangard_authority_allowed_without_polkit (HangardMode   mode,
                                          HangardAccess access,
                                          uid_t         caller,
                                          uid_t         engine_uid)
{
  /* Root may use an ordinary user's session engine: it could become that
   * user anyway. */
  if (mode == HANGARD_MODE_SESSION)
    return caller == engine_uid || caller == 0;
  return access == HANGARD_ACCESS_READ || caller == 0;
}

static gboolean
caller_allows_interaction (GDBusMethodInvocation *invocation)
{
  GDBusMessage *message = g_dbus_method_invocation_get_message (invocation);

  return (g_dbus_message_get_flags (message) & G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION) != 0;
}

/* ---- Answers -------------------------------------------------------------- */

static void
finish_check (GTask  *task,
              GError *error)
{
  HangardAuthority *self = g_task_get_source_object (task);

  g_ptr_array_remove_fast (self->pending, task);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static GError *
refusal_without_polkit (HangardAuthority *self,
                        uid_t             uid)
{
  if (self->mode == HANGARD_MODE_SESSION)
    return g_error_new (HANGAR_ERROR, HANGAR_ERROR_NOT_AUTHORIZED,
                        _("User %u may not do this on the %s engine"),
                        (guint) uid, hangard_mode_to_string (self->mode));
  return g_error_new (HANGAR_ERROR, HANGAR_ERROR_NOT_AUTHORIZED,
                      _("User %u may not do this on the system engine: without polkit, only root may make changes"),
                      (guint) uid);
}

static GError *
decide_without_polkit (HangardAuthority *self,
                       HangardAccess     access,
                       uid_t             uid)
{
  if (hangard_authority_allowed_without_polkit (self->mode, access, uid, self->engine_uid))
    return NULL;
  return refusal_without_polkit (self, uid);
}

static GError *
refusal_from_polkit (PolkitAuthorizationResult *result,
                     HangardAccess              access,
                     gboolean                   interactive)
{
  const char *action_id = hangard_access_to_action_id (access);

  if (polkit_authorization_result_get_dismissed (result))
    return g_error_new (HANGAR_ERROR, HANGAR_ERROR_NOT_AUTHORIZED,
                        _("The authentication for polkit action %s was dismissed"), action_id);
  if (polkit_authorization_result_get_is_challenge (result))
    {
      if (!interactive)
        return g_error_new (HANGAR_ERROR, HANGAR_ERROR_NOT_AUTHORIZED,
                            _("Authentication is required (polkit action %s), but the call did not "
                              "allow an authentication dialog"), action_id);
      return g_error_new (HANGAR_ERROR, HANGAR_ERROR_NOT_AUTHORIZED,
                          _("Authentication is required (polkit action %s), but no polkit "
                            "authentication agent is running to ask for it"), action_id);
    }
  if (access == HANGARD_ACCESS_READ)
    return g_error_new (HANGAR_ERROR, HANGAR_ERROR_NOT_AUTHORIZED,
                        _("Not authorized to look at the system’s virtual machines (polkit action %s)"),
                        action_id);
  return g_error_new (HANGAR_ERROR, HANGAR_ERROR_NOT_AUTHORIZED,
                      _("Not authorized to manage the system’s virtual machines (polkit action %s)"),
                      action_id);
}

/* ---- The caller's uid ----------------------------------------------------- */

static gboolean
peer_uid (HangardAuthority  *self,
          uid_t             *uid,
          GError           **error)
{
  GCredentials *credentials = g_dbus_connection_get_peer_credentials (self->connection);
  g_autoptr(GError) local_error = NULL;

  if (credentials != NULL)
    *uid = g_credentials_get_unix_user (credentials, &local_error);
  if (credentials == NULL || *uid == (uid_t) -1)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_NOT_AUTHORIZED,
                           _("The caller's identity is unknown"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
lookup_cached_uid (HangardAuthority *self,
                   const char       *sender,
                   uid_t            *uid)
{
  gpointer cached = g_hash_table_lookup (self->caller_uids, sender);

  if (cached == NULL)
    return FALSE;
  *uid = GPOINTER_TO_UINT (cached) - 1;
  return TRUE;
}

static void
on_caller_uid (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  HangardAuthority *self = g_task_get_source_object (task);
  Check *check = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  guint32 uid;

  if (reply == NULL)
    {
      finish_check (task, g_error_new (HANGAR_ERROR, HANGAR_ERROR_NOT_AUTHORIZED,
                                       _("Cannot tell who is calling: %s"), error->message));
      return;
    }
  g_variant_get (reply, "(u)", &uid);
  /* A unique name is never reused within a bus's life; it is forgotten
   * when it leaves the bus (on_name_owner_changed). */
  g_hash_table_insert (self->caller_uids, g_strdup (check->sender), GUINT_TO_POINTER (uid + 1));
  check->uid_next (task, uid);
}

static void
with_caller_uid (GTask   *task,
                 UidNext  next)
{
  HangardAuthority *self = g_task_get_source_object (task);
  Check *check = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  uid_t uid;

  if (check->sender == NULL)
    {
      if (!peer_uid (self, &uid, &error))
        finish_check (task, g_steal_pointer (&error));
      else
        next (task, uid);
      return;
    }
  if (lookup_cached_uid (self, check->sender, &uid))
    {
      next (task, uid);
      return;
    }
  check->uid_next = next;
  g_dbus_connection_call (self->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "GetConnectionUnixUser",
                          g_variant_new ("(s)", check->sender), G_VARIANT_TYPE ("(u)"),
                          G_DBUS_CALL_FLAGS_NONE, -1, g_task_get_cancellable (task), on_caller_uid, task);
}

static void
decide_with_uid (GTask *task,
                 uid_t  uid)
{
  HangardAuthority *self = g_task_get_source_object (task);
  Check *check = g_task_get_task_data (task);

  finish_check (task, decide_without_polkit (self, check->access, uid));
}

/* ---- polkit --------------------------------------------------------------- */

/* polkit is not there (not installed, not running, no system bus): the
 * rules without it apply. They never grant more than polkit's defaults:
 * monitor to anyone, manage to root. */
static gboolean
polkit_is_absent (const GError *error)
{
  g_autofree char *remote = g_dbus_error_get_remote_error (error);

  return g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
         g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
         g_strcmp0 (remote, "org.freedesktop.DBus.Error.ServiceUnknown") == 0 ||
         g_strcmp0 (remote, "org.freedesktop.DBus.Error.NameHasNoOwner") == 0;
}

static void
fall_back (GTask        *task,
           const GError *error)
{
  HangardAuthority *self = g_task_get_source_object (task);

  if (error != NULL && !polkit_is_absent (error) && !self->polkit_warned)
    {
      /* Still safe: see polkit_is_absent(). */
      g_warning ("Cannot ask polkit (%s): without it, anyone may monitor and only root may manage",
                 error->message);
      self->polkit_warned = TRUE;
    }
  with_caller_uid (task, decide_with_uid);
}

static void
on_polkit_checked (GObject      *source,
                   GAsyncResult *res,
                   gpointer      user_data)
{
  GTask *task = user_data;
  Check *check = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(PolkitAuthorizationResult) result =
    polkit_authority_check_authorization_finish (POLKIT_AUTHORITY (source), res, &error);

  if (result == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        finish_check (task, g_error_new (HANGAR_ERROR, HANGAR_ERROR_NOT_AUTHORIZED,
                                         _("The caller left before it was authorized")));
      else
        fall_back (task, error);
      return;
    }

  if (polkit_authorization_result_get_is_authorized (result))
    finish_check (task, NULL);
  else
    finish_check (task, refusal_from_polkit (result, check->access,
                                             caller_allows_interaction (check->invocation)));
}

static void
ask_polkit (GTask *task)
{
  HangardAuthority *self = g_task_get_source_object (task);
  Check *check = g_task_get_task_data (task);
  g_autoptr(PolkitSubject) subject = polkit_system_bus_name_new (check->sender);
  PolkitCheckAuthorizationFlags flags = POLKIT_CHECK_AUTHORIZATION_FLAGS_NONE;

  /* auth.no_user_interaction: only a caller that allowed it gets a dialog,
   * and a call that did not never waits for one. */
  if (caller_allows_interaction (check->invocation))
    flags |= POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION;
  polkit_authority_check_authorization (self->polkit, subject, hangard_access_to_action_id (check->access),
                                        NULL, flags, g_task_get_cancellable (task), on_polkit_checked, task);
}

static void
on_polkit_authority (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  HangardAuthority *self = user_data;
  g_autoptr(GError) error = NULL;
  PolkitAuthority *authority = polkit_authority_get_finish (result, &error);
  GTask *task;

  self->polkit_loading = FALSE;
  self->polkit = authority;
  while ((task = g_queue_pop_head (&self->polkit_waiters)) != NULL)
    {
      if (authority != NULL)
        ask_polkit (task);
      else
        fall_back (task, error);
    }
  g_object_unref (self);
}

static void
with_polkit (GTask *task)
{
  HangardAuthority *self = g_task_get_source_object (task);

  if (self->polkit != NULL)
    {
      ask_polkit (task);
      return;
    }
  /* Not kept when it failed (no system bus yet): asked again next time. */
  g_queue_push_tail (&self->polkit_waiters, task);
  if (!self->polkit_loading)
    {
      self->polkit_loading = TRUE;
      polkit_authority_get_async (NULL, on_polkit_authority, g_object_ref (self));
    }
}

/* ---- Checks --------------------------------------------------------------- */

HangardDecision
hangard_authority_check_now (HangardAuthority       *self,
                             GDBusMethodInvocation  *invocation,
                             HangardAccess           access,
                             GError                **error)
{
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  GError *refusal;
  uid_t uid;

  g_return_val_if_fail (HANGARD_IS_AUTHORITY (self), HANGARD_DECISION_DENIED);

  if (sender == NULL)
    {
      if (!peer_uid (self, &uid, error))
        return HANGARD_DECISION_DENIED;
    }
  else if (self->mode == HANGARD_MODE_SYSTEM || !lookup_cached_uid (self, sender, &uid))
    return HANGARD_DECISION_ASK;

  refusal = decide_without_polkit (self, access, uid);
  if (refusal == NULL)
    return HANGARD_DECISION_ALLOWED;
  g_propagate_error (error, refusal);
  return HANGARD_DECISION_DENIED;
}

void
hangard_authority_check_async (HangardAuthority      *self,
                               GDBusMethodInvocation *invocation,
                               HangardAccess          access,
                               GAsyncReadyCallback    callback,
                               gpointer               user_data)
{
  g_autoptr(GCancellable) cancellable = NULL;
  GTask *task;
  Check *check;

  g_return_if_fail (HANGARD_IS_AUTHORITY (self));

  cancellable = g_cancellable_new ();
  task = g_task_new (self, cancellable, callback, user_data);
  check = g_new0 (Check, 1);
  check->invocation = g_object_ref (invocation);
  check->access = access;
  check->sender = g_strdup (g_dbus_method_invocation_get_sender (invocation));
  g_task_set_source_tag (task, hangard_authority_check_async);
  g_task_set_task_data (task, check, (GDestroyNotify) check_free);
  g_ptr_array_add (self->pending, task);

  /* The task's own reference is dropped by finish_check(). */
  if (self->mode == HANGARD_MODE_SYSTEM && check->sender != NULL)
    with_polkit (task);
  else
    with_caller_uid (task, decide_with_uid);
}

gboolean
hangard_authority_check_finish (HangardAuthority  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Callers leaving ------------------------------------------------------ */

static void
on_name_owner_changed (GDBusConnection *connection,
                       const char      *sender_name,
                       const char      *object_path,
                       const char      *interface_name,
                       const char      *signal_name,
                       GVariant        *parameters,
                       gpointer         user_data)
{
  HangardAuthority *self = user_data;
  g_autoptr(GPtrArray) gone = NULL;
  const char *name, *old_owner, *new_owner;

  g_variant_get (parameters, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (*new_owner != '\0' || name[0] != ':')
    return;

  g_hash_table_remove (self->caller_uids, name);
  /* A dialog for a caller that is gone helps no one: polkit closes it.
   * Collected first: a cancelled check may end (and leave `pending`). */
  gone = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < self->pending->len; i++)
    {
      GTask *task = g_ptr_array_index (self->pending, i);
      Check *check = g_task_get_task_data (task);

      if (g_strcmp0 (check->sender, name) == 0)
        g_ptr_array_add (gone, g_object_ref (g_task_get_cancellable (task)));
    }
  for (guint i = 0; i < gone->len; i++)
    g_cancellable_cancel (g_ptr_array_index (gone, i));
}

HangardAuthority *
hangard_authority_new (GDBusConnection *connection,
                       HangardMode      mode)
{
  HangardAuthority *self = g_object_new (HANGARD_TYPE_AUTHORITY, NULL);

  self->connection = g_object_ref (connection);
  self->mode = mode;
  if (g_dbus_connection_get_unique_name (connection) != NULL)
    self->name_owner_changed_id =
      g_dbus_connection_signal_subscribe (connection, "org.freedesktop.DBus", "org.freedesktop.DBus",
                                          "NameOwnerChanged", "/org/freedesktop/DBus", NULL,
                                          G_DBUS_SIGNAL_FLAGS_NONE, on_name_owner_changed, self, NULL);
  return self;
}

static void
hangard_authority_finalize (GObject *object)
{
  HangardAuthority *self = HANGARD_AUTHORITY (object);

  if (self->name_owner_changed_id != 0)
    g_dbus_connection_signal_unsubscribe (self->connection, self->name_owner_changed_id);
  /* Checks under way hold a reference: none is left here. */
  g_ptr_array_unref (self->pending);
  g_hash_table_unref (self->caller_uids);
  g_clear_object (&self->polkit);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (hangard_authority_parent_class)->finalize (object);
}

static void
hangard_authority_class_init (HangardAuthorityClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hangard_authority_finalize;
}

static void
hangard_authority_init (HangardAuthority *self)
{
  self->engine_uid = getuid ();
  self->caller_uids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->pending = g_ptr_array_new ();
  g_queue_init (&self->polkit_waiters);
}
