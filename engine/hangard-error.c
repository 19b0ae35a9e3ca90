/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-error"

#include "hangard-error.h"

#include <gio/gio.h>

static const GDBusErrorEntry hangar_error_entries[] = {
  { HANGAR_ERROR_FAILED,           "io.github.hangarvm.Hangar1.Error.Failed" },
  { HANGAR_ERROR_INVALID_ARGUMENT, "io.github.hangarvm.Hangar1.Error.InvalidArgument" },
  { HANGAR_ERROR_INVALID_XML,      "io.github.hangarvm.Hangar1.Error.InvalidXml" },
  { HANGAR_ERROR_UNSUPPORTED,      "io.github.hangarvm.Hangar1.Error.Unsupported" },
  { HANGAR_ERROR_NOT_FOUND,        "io.github.hangarvm.Hangar1.Error.NotFound" },
  { HANGAR_ERROR_ALREADY_EXISTS,   "io.github.hangarvm.Hangar1.Error.AlreadyExists" },
  { HANGAR_ERROR_INVALID_STATE,    "io.github.hangarvm.Hangar1.Error.InvalidState" },
  { HANGAR_ERROR_NOT_AUTHORIZED,   "io.github.hangarvm.Hangar1.Error.NotAuthorized" },
  { HANGAR_ERROR_QEMU,             "io.github.hangarvm.Hangar1.Error.QemuError" },
  { HANGAR_ERROR_NO_DEVICE,        "io.github.hangarvm.Hangar1.Error.NoDevice" },
  { HANGAR_ERROR_FD_PASSING_UNSUPPORTED, "io.github.hangarvm.Hangar1.Error.FdPassingUnsupported" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (hangar_error_entries) == HANGAR_ERROR_N_CODES);

GQuark
hangar_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("hangar-error-quark",
                                      &quark,
                                      hangar_error_entries,
                                      G_N_ELEMENTS (hangar_error_entries));
  return (GQuark) quark;
}

gboolean
hangard_check_options (GVariant            *options,
                       const char * const  *allowed,
                       GError             **error)
{
  GVariantIter iter;
  const char *key;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, NULL))
    if (allowed == NULL || !g_strv_contains (allowed, key))
      {
        g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT, "Unknown option '%s'", key);
        return FALSE;
      }
  return TRUE;
}

gboolean
hangard_invocation_answer (GDBusMethodInvocation *invocation,
                           gboolean               ok,
                           const GError          *error)
{
  if (ok)
    g_dbus_method_invocation_return_value (invocation, NULL);
  else
    g_dbus_method_invocation_return_gerror (invocation, error);
  return TRUE;
}
