/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-job"

#include "hangard-job.h"
#include "hangard-error.h"

#include <glib/gi18n-lib.h>

/* Progress goes out at most this often (µs): a copy reports every MiB, and
 * a PropertiesChanged per MiB would flood the bus. */
#define PUBLISH_INTERVAL (200 * G_TIME_SPAN_MILLISECOND)

struct _HangardJob
{
  HangarJobSkeleton  parent_instance;

  HangardDaemon     *daemon;        /* not owned: it outlives its jobs */
  GCancellable      *cancellable;
  gboolean           ended;

  guint64            done;          /* the latest progress, maybe not yet published */
  guint64            total;
  gint64             published_at;  /* monotonic time of the last publication, 0 for never */
  guint              publish_id;    /* the timeout that publishes the latest progress */
};

enum {
  SIGNAL_ENDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void hangard_job_iface_init (HangarJobIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HangardJob, hangard_job, HANGAR_TYPE_JOB_SKELETON,
                               G_IMPLEMENT_INTERFACE (HANGAR_TYPE_JOB, hangard_job_iface_init))

/* Sets the progress properties from the latest values, without flushing. */
static void
publish_progress (HangardJob *self)
{
  HangarJob *iface = HANGAR_JOB (self);

  g_clear_handle_id (&self->publish_id, g_source_remove);
  hangar_job_set_bytes_total (iface, self->total);
  hangar_job_set_bytes_done (iface, self->done);
  self->published_at = g_get_monotonic_time ();
}

static gboolean
on_publish_timeout (gpointer user_data)
{
  HangardJob *self = user_data;

  self->publish_id = 0;
  publish_progress (self);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
  return G_SOURCE_REMOVE;
}

void
hangard_job_set_progress (HangardJob *self,
                          guint64     done,
                          guint64     total)
{
  gint64 since;

  g_return_if_fail (HANGARD_IS_JOB (self));

  if (self->ended)
    return;

  self->done = done;
  self->total = total;
  since = g_get_monotonic_time () - self->published_at;

  /* The first and the final values go out at once; those in between at
   * most every PUBLISH_INTERVAL, the latest one always in the end. */
  if (self->published_at == 0 || since >= PUBLISH_INTERVAL || (total != 0 && done >= total))
    {
      publish_progress (self);
      g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
    }
  else if (self->publish_id == 0)
    {
      self->publish_id = g_timeout_add ((guint) ((PUBLISH_INTERVAL - since) / G_TIME_SPAN_MILLISECOND) + 1,
                                        on_publish_timeout, self);
    }
}

static void
end (HangardJob *self,
     const char *state)
{
  HangarJob *iface = HANGAR_JOB (self);

  publish_progress (self);
  hangar_job_set_state (iface, state);
  self->ended = TRUE;
  /* Clients see the final state before anyone reacts to "ended" (e.g. by
   * unexporting the job). */
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
  g_signal_emit (self, signals[SIGNAL_ENDED], 0);
}

void
hangard_job_complete (HangardJob *self,
                      const char *result_path)
{
  g_return_if_fail (HANGARD_IS_JOB (self));
  g_return_if_fail (!self->ended);
  g_return_if_fail (result_path == NULL || g_variant_is_object_path (result_path));

  hangar_job_set_result (HANGAR_JOB (self), result_path ? result_path : "/");
  end (self, "completed");
}

void
hangard_job_fail (HangardJob   *self,
                  const GError *error)
{
  HangarJob *iface = HANGAR_JOB (self);
  g_autofree char *name = NULL;

  g_return_if_fail (HANGARD_IS_JOB (self));
  g_return_if_fail (!self->ended);
  g_return_if_fail (error != NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      end (self, "cancelled");
      return;
    }

  name = g_dbus_error_encode_gerror (error);
  hangar_job_set_error_name (iface, name);
  hangar_job_set_error_message (iface, error->message);
  end (self, "failed");
}

GCancellable *
hangard_job_get_cancellable (HangardJob *self)
{
  g_return_val_if_fail (HANGARD_IS_JOB (self), NULL);

  return self->cancellable;
}

gboolean
hangard_job_has_ended (HangardJob *self)
{
  g_return_val_if_fail (HANGARD_IS_JOB (self), FALSE);

  return self->ended;
}

static gboolean
handle_cancel (HangarJob             *iface,
               GDBusMethodInvocation *invocation)
{
  HangardJob *self = HANGARD_JOB (iface);

  if (!hangard_daemon_authorize (self->daemon, invocation, HANGARD_ACCESS_MANAGE))
    return TRUE;

  if (self->ended)
    {
      g_dbus_method_invocation_return_error (invocation, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                                             _("The job has already ended"));
      return TRUE;
    }

  /* The work notices, removes what it made and fails the job with
   * G_IO_ERROR_CANCELLED; the caller watches State for the end. */
  g_cancellable_cancel (self->cancellable);
  hangar_job_complete_cancel (iface, invocation);
  return TRUE;
}

static void
hangard_job_iface_init (HangarJobIface *iface)
{
  iface->handle_cancel = handle_cancel;
}

HangardJob *
hangard_job_new (HangardDaemon *daemon,
                 const char    *operation,
                 const char    *description,
                 const char    *target_path)
{
  HangardJob *self;
  HangarJob *iface;

  g_return_val_if_fail (target_path == NULL || g_variant_is_object_path (target_path), NULL);

  self = g_object_new (HANGARD_TYPE_JOB, NULL);
  iface = HANGAR_JOB (self);
  self->daemon = daemon;
  hangar_job_set_operation (iface, operation);
  hangar_job_set_description (iface, description ? description : "");
  hangar_job_set_target (iface, target_path ? target_path : "/");
  return self;
}

static void
hangard_job_dispose (GObject *object)
{
  HangardJob *self = HANGARD_JOB (object);

  g_clear_handle_id (&self->publish_id, g_source_remove);

  G_OBJECT_CLASS (hangard_job_parent_class)->dispose (object);
}

static void
hangard_job_finalize (GObject *object)
{
  HangardJob *self = HANGARD_JOB (object);

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (hangard_job_parent_class)->finalize (object);
}

static void
hangard_job_class_init (HangardJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hangard_job_dispose;
  object_class->finalize = hangard_job_finalize;

  signals[SIGNAL_ENDED] = g_signal_new ("ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /* ErrorName comes from g_dbus_error_encode_gerror(): the Hangar names
   * must be registered before the first failure. */
  (void) hangar_error_quark ();
}

static void
hangard_job_init (HangardJob *self)
{
  HangarJob *iface = HANGAR_JOB (self);

  self->cancellable = g_cancellable_new ();
  hangar_job_set_state (iface, "running");
  hangar_job_set_result (iface, "/");
  hangar_job_set_error_name (iface, "");
  hangar_job_set_error_message (iface, "");
}
