/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The engine's error domain. Every code is registered with a D-Bus name
 * io.github.hangarvm.Hangar1.Error.<Name> (see hangard-error.c), so a client
 * gets the same code back from g_dbus_error_strip_remote_error(). */
#define HANGAR_ERROR (hangar_error_quark ())

typedef enum {
  HANGAR_ERROR_FAILED,            /* Failed: something went wrong that is not the caller's fault */
  HANGAR_ERROR_INVALID_ARGUMENT,  /* InvalidArgument: a bad name, value or option */
  HANGAR_ERROR_INVALID_XML,       /* InvalidXml: the XML is malformed or breaks the schema */
  HANGAR_ERROR_UNSUPPORTED,       /* Unsupported: valid libvirt XML that Hangar cannot run */
  HANGAR_ERROR_NOT_FOUND,         /* NotFound: no such machine (or other object) */
  HANGAR_ERROR_ALREADY_EXISTS,    /* AlreadyExists: the name or UUID is taken */
  HANGAR_ERROR_INVALID_STATE,     /* InvalidState: not allowed in the machine's current state */
  HANGAR_ERROR_NOT_AUTHORIZED,    /* NotAuthorized: the caller may not do this */
  HANGAR_ERROR_QEMU,              /* QemuError: QEMU refused or failed; message has its words */
  HANGAR_ERROR_NO_DEVICE,         /* NoDevice: the machine has no display / serial port for the call */
  HANGAR_ERROR_FD_PASSING_UNSUPPORTED, /* FdPassingUnsupported: the caller's connection cannot carry
                                          the file descriptor the call returns */
} HangarError;

#define HANGAR_ERROR_N_CODES (HANGAR_ERROR_FD_PASSING_UNSUPPORTED + 1)

GQuark hangar_error_quark (void);

/* The engine refuses options it does not know, so a client never believes
 * one it passed was honoured: InvalidArgument naming the first unknown key
 * of `options` (a{sv}) that is not in `allowed` (NULL-terminated, nullable). */
gboolean hangard_check_options      (GVariant              *options,
                                     const char * const    *allowed,
                                     GError               **error);

/* Answers `invocation` with nothing when `ok`, else with `error`. Returns
 * TRUE, as method handlers do. */
gboolean hangard_invocation_answer  (GDBusMethodInvocation *invocation,
                                     gboolean               ok,
                                     const GError          *error);

G_END_DECLS
