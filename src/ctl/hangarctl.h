/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifndef GETTEXT_PACKAGE
#define GETTEXT_PACKAGE "hangar"
#endif
#ifndef LOCALEDIR
#define LOCALEDIR "/usr/share/locale"
#endif
#ifndef HANGAR_VERSION
#define HANGAR_VERSION "0.1.0"
#endif

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "hangar-dbus.h"

G_BEGIN_DECLS

/* Lifecycle and definition calls (Start can take a while: QEMU spawns, the
 * engine waits for the guest to run). Queries use D-Bus' default timeout. */
#define HANGARCTL_LIFECYCLE_TIMEOUT_MSEC (5 * 60 * 1000)

/* What one run of hangarctl talks to. The connection, the Manager proxy and
 * the object manager are made on first use. */
typedef struct {
  char               *connect_spec;   /* --connect, $HANGAR_CONNECT, or NULL: session */
  gboolean            quiet;          /* -q: no table headers, no "Domain ... started" */
  gboolean            no_ask_password; /* --no-ask-password: polkit may not ask for one */
  GSubprocess        *polkit_agent;   /* pkttyagent for this run, or NULL */
  GDBusConnection    *connection;
  HangarManager      *manager;
  GDBusObjectManager *object_manager;
} HangarctlContext;

typedef struct _HangarctlVerb HangarctlVerb;

/* Runs @verb with its options parsed (into the verb's own static storage)
 * and @args its positional arguments (NULL-terminated, already counted
 * against min_args/max_args). Returns FALSE on failure with @error set, or
 * with @error unset when the verb told the user itself (edit). */
typedef gboolean (*HangarctlVerbFunc) (HangarctlContext     *ctx,
                                       const HangarctlVerb  *verb,
                                       char                **args,
                                       GError              **error);

struct _HangarctlVerb {
  const char         *name;
  HangarctlVerbFunc   run;
  const char         *params;         /* N_(): positional arguments, for the usage line */
  const char         *summary;        /* N_(): one line, for `help` */
  const GOptionEntry *options;        /* NULL, or terminated by G_OPTION_ENTRY_NULL */
  guint               min_args;
  guint               max_args;       /* G_MAXUINT: any number */
  gconstpointer       data;           /* for verbs that share one function */
};

typedef struct {
  const char          *title;         /* N_() */
  const HangarctlVerb *verbs;         /* terminated by an entry whose name is NULL */
} HangarctlVerbGroup;

extern const HangarctlVerbGroup hangarctl_machine_verbs;   /* hangarctl-machine.c */
extern const HangarctlVerbGroup hangarctl_snapshot_verbs;  /* hangarctl-snapshot.c */
extern const HangarctlVerbGroup hangarctl_device_verbs;    /* hangarctl-device.c */
extern const HangarctlVerbGroup hangarctl_monitor_verbs;   /* hangarctl-monitor.c */
extern const HangarctlVerbGroup hangarctl_console_verbs;   /* hangarctl-console.c */
extern const HangarctlVerbGroup hangarctl_top_verbs;       /* hangarctl-top.c */
extern const HangarctlVerbGroup hangarctl_save_verbs;      /* hangarctl-save.c */
extern const HangarctlVerbGroup hangarctl_host_verbs;      /* hangarctl-host.c */
extern const HangarctlVerbGroup hangarctl_pool_verbs;      /* hangarctl-pool.c */
extern const HangarctlVerbGroup hangarctl_volume_verbs;    /* hangarctl-volume.c */
extern const HangarctlVerbGroup hangarctl_network_verbs;   /* hangarctl-network.c */
extern const HangarctlVerbGroup hangarctl_interface_verbs; /* hangarctl-network.c */

/* hangarctl-edit.c */
gboolean hangarctl_edit (HangarctlContext     *ctx,
                         const HangarctlVerb  *verb,
                         char                **args,
                         GError              **error);

/* hangarctl-polkit.c: in a terminal, a text agent for polkit's password
 * prompts (pkttyagent --fallback for this process), or NULL when there is
 * no terminal, hangarctl runs as root or pkttyagent is not installed. */
GSubprocess        *hangarctl_polkit_agent_open    (void);
void                hangarctl_polkit_agent_close   (GSubprocess       *agent);

/* hangarctl-client.c: talking to the engine */
void                hangarctl_context_clear        (HangarctlContext  *ctx);
HangarManager      *hangarctl_get_manager          (HangarctlContext  *ctx,
                                                    GError           **error);
/* The engine's object manager, made once per run; fails when no engine owns the name. */
GDBusObjectManager *hangarctl_get_object_manager   (HangarctlContext  *ctx,
                                                    GError           **error);
HangarMachine      *hangarctl_lookup_machine       (HangarctlContext  *ctx,
                                                    const char        *name_or_uuid,
                                                    GError           **error);
HangarMachine      *hangarctl_machine_for_path     (HangarctlContext  *ctx,
                                                    const char        *object_path,
                                                    GError           **error);
GPtrArray          *hangarctl_list_machines        (HangarctlContext  *ctx,
                                                    GError           **error);
char               *hangarctl_machine_get_xml      (HangarMachine     *machine,
                                                    GError           **error);
guint               hangarctl_machine_id           (GPtrArray         *machines,
                                                    HangarMachine     *machine);
gboolean            hangarctl_machine_is_active    (HangarMachine     *machine);
const char         *hangarctl_machine_name         (HangarMachine     *machine);
const char         *hangarctl_machine_uuid         (HangarMachine     *machine);
void                hangarctl_set_lifecycle_timeout (gpointer          proxy);
const char         *hangarctl_state_to_string      (const char        *state);
int                 hangarctl_state_to_number      (const char        *state);
char               *hangarctl_error_message        (HangarctlContext  *ctx,
                                                    const GError      *error);
void                hangarctl_print_error          (HangarctlContext  *ctx,
                                                    const GError      *error);

/* hangarctl-format.c: output */
typedef struct _HangarctlTable HangarctlTable;

HangarctlTable     *hangarctl_table_new            (guint              n_columns,
                                                    ...);
void                hangarctl_table_add_row        (HangarctlTable    *table,
                                                    ...);
void                hangarctl_table_print          (HangarctlTable    *table,
                                                    gboolean           header,
                                                    FILE              *out);
void                hangarctl_table_free           (HangarctlTable    *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangarctlTable, hangarctl_table_free)

void                hangarctl_print_field          (int                width,
                                                    const char        *label,
                                                    const char        *format,
                                                    ...) G_GNUC_PRINTF (3, 4);
void                hangarctl_message              (HangarctlContext  *ctx,
                                                    const char        *format,
                                                    ...) G_GNUC_PRINTF (2, 3);
char               *hangarctl_one_line             (const char        *text);
gsize               hangarctl_display_width        (const char        *text);
gboolean            hangarctl_parse_size           (const char        *text,
                                                    guint64           *bytes,
                                                    GError           **error);
gboolean            hangarctl_check_text           (const char        *data,
                                                    gsize              length,
                                                    const char        *what,
                                                    GError           **error);
gboolean            hangarctl_write_bytes          (GVariant          *bytes,
                                                    GError           **error);
gboolean            hangarctl_dict_get_u64         (GVariant          *dict,
                                                    const char        *key,
                                                    guint64           *value);
char               *hangarctl_dict_dup_string      (GVariant          *dict,
                                                    const char        *key);

/* hangarctl-pool.c: storage pools and the volumes the engine lists */
HangarStoragePool  *hangarctl_lookup_pool          (HangarctlContext  *ctx,
                                                    const char        *name_or_uuid,
                                                    GError           **error);
HangarStoragePool  *hangarctl_pool_for_path        (HangarctlContext  *ctx,
                                                    const char        *object_path,
                                                    GError           **error);
GPtrArray          *hangarctl_list_pools           (HangarctlContext  *ctx,
                                                    GError           **error);
GPtrArray          *hangarctl_list_volumes         (HangarctlContext  *ctx,
                                                    const char        *pool_path,
                                                    GError           **error);
const char         *hangarctl_pool_name            (HangarStoragePool *pool);
gboolean            hangarctl_pool_check_active    (HangarStoragePool *pool,
                                                    GError           **error);

/* hangarctl-network.c: virtual networks */
HangarNetwork      *hangarctl_lookup_network       (HangarctlContext  *ctx,
                                                    const char        *name_or_uuid,
                                                    GError           **error);

/* hangarctl-progress.c: sizes, and waiting for the engine's jobs */
double              hangarctl_pretty_capacity      (guint64            bytes,
                                                    const char       **unit);
char               *hangarctl_format_capacity      (guint64            bytes);
gboolean            hangarctl_parse_capacity       (const char        *text,
                                                    guint64           *bytes,
                                                    GError           **error);
gboolean            hangarctl_wait_job             (HangarctlContext  *ctx,
                                                    const char        *job_path,
                                                    const char        *label,
                                                    char             **result_path,
                                                    GError           **error);

/* hangarctl-xml.c: reading the definitions the engine returns */
typedef struct {
  char *type;       /* "file", "block"...; "-" when absent */
  char *device;     /* "disk", "cdrom"... */
  char *target;     /* "vda" */
  char *source;     /* a path, or "-" */
} HangarctlDisk;

typedef struct {
  char *name;       /* host side <target dev>, or "-" */
  char *type;       /* "user", "network", "bridge"... */
  char *source;     /* network, bridge or device name, or "-" */
  char *model;
  char *mac;
} HangarctlNic;

typedef struct {
  char      *name;
  GPtrArray *disks; /* of HangarctlDisk */
  GPtrArray *nics;  /* of HangarctlNic */
} HangarctlDomain;

HangarctlDomain    *hangarctl_domain_parse         (const char        *xml,
                                                    GError           **error);
void                hangarctl_domain_free          (HangarctlDomain   *domain);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangarctlDomain, hangarctl_domain_free)

G_END_DECLS
