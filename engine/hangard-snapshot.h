/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libxml/tree.h>

#include "hangar-dbus.h"
#include "hangard-domain.h"

G_BEGIN_DECLS

typedef struct _HangardSnapshots HangardSnapshots;

/* Snapshot names: what hangard_xml_check_name() allows for 64 bytes, no
 * leading '-', and not only digits (QEMU looks internal snapshots up by
 * number or name, so "2" could mean another snapshot's number). */
#define HANGARD_SNAPSHOT_MAX_NAME_LEN 64
gboolean         hangard_snapshot_name_is_valid (const char  *name,
                                                 GError     **error);

/* A snapshot's record: libvirt's <domainsnapshot> document, as stored in
 * <config>/snapshots/<machine uuid>/<name>.xml and returned by GetXml:
 *
 *   <domainsnapshot>
 *     <name>…</name> <description>…</description> <state>running</state>
 *     <parent><name>…</name></parent> <creationTime>1700000000</creationTime>
 *     <memory snapshot='internal'/>  (or 'no')
 *     <disks><disk name='vda' snapshot='internal'/>…</disks>
 *     <domain>…the machine's definition then…</domain>
 *   </domainsnapshot>
 *
 * Elements other than these are kept as they are. */

/* A new record. `parent_name` NULL: a root. Disks that are written to get
 * snapshot='internal', CD-ROMs and read-only disks snapshot='no'. */
xmlDoc          *hangard_snapshot_build_record  (const char     *name,
                                                 const char     *description,
                                                 const char     *state,
                                                 guint64         creation_time,
                                                 gboolean        has_memory,
                                                 const char     *parent_name,
                                                 HangardDomain  *domain);
/* Parses and checks a stored record (name, state, creationTime, memory,
 * parent, a <domain>). Errors: HANGAR_ERROR_INVALID_XML,
 * HANGAR_ERROR_INVALID_ARGUMENT (a bad name). */
xmlDoc          *hangard_snapshot_parse_record  (const char     *xml,
                                                 gssize          length,
                                                 GError        **error);

/* io.github.hangarvm.Hangar1.Snapshot: one internal snapshot of a machine.
 * Its store (HangardSnapshots) owns it, keeps the tree and does the work;
 * this object answers D-Bus and holds the record. */
#define HANGARD_TYPE_SNAPSHOT (hangard_snapshot_get_type ())
G_DECLARE_FINAL_TYPE (HangardSnapshot, hangard_snapshot, HANGARD, SNAPSHOT, HangarSnapshotSkeleton)

/* Takes `record` (from one of the two functions above). */
HangardSnapshot *hangard_snapshot_new           (HangardSnapshots *store,
                                                 const char       *machine_path,
                                                 xmlDoc           *record);
/* The store is gone (machine undefined): calls answer NotFound. */
void             hangard_snapshot_detach        (HangardSnapshot  *self);

const char      *hangard_snapshot_get_object_path (HangardSnapshot *self);
void             hangard_snapshot_set_object_path (HangardSnapshot *self,
                                                   const char      *object_path);
const char      *hangard_snapshot_get_name      (HangardSnapshot  *self);
const char      *hangard_snapshot_get_state     (HangardSnapshot  *self);
gboolean         hangard_snapshot_has_memory    (HangardSnapshot  *self);
guint64          hangard_snapshot_get_creation_time (HangardSnapshot *self);
/* The <parent><name> of the record, as loaded; NULL for none. */
char            *hangard_snapshot_dup_parent_name (HangardSnapshot *self);
/* The machine's definition when the snapshot was taken (a <domain> document). */
char            *hangard_snapshot_dup_domain_xml (HangardSnapshot *self);
/* The record, formatted. */
char            *hangard_snapshot_to_xml        (HangardSnapshot  *self);

/* The tree. Parent and children are not owned (the store owns everyone). */
HangardSnapshot *hangard_snapshot_get_parent    (HangardSnapshot  *self);
GPtrArray       *hangard_snapshot_get_children  (HangardSnapshot  *self);
/* Sets the parent (NULL: a root) in the record and the Parent property,
 * and moves self between the parents' Children. */
void             hangard_snapshot_set_parent    (HangardSnapshot  *self,
                                                 HangardSnapshot  *parent);
void             hangard_snapshot_set_current   (HangardSnapshot  *self,
                                                 gboolean          current);

G_END_DECLS
