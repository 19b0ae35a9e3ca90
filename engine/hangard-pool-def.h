/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

/* A storage pool definition: libvirt's pool XML, type 'dir' only.
 *
 *   <pool type='dir'>
 *     <name>vmdisk</name>
 *     <uuid>...</uuid>                 generated when absent
 *     <capacity unit='bytes'>...</capacity>     tolerated (output only)
 *     <allocation .../> <available .../>        tolerated (output only)
 *     <source/>                                 tolerated when empty
 *     <target>
 *       <path>/data/vmfs</path>               absolute, normalized
 *       <permissions>...</permissions>        tolerated, kept
 *     </target>
 *   </pool>
 *
 * As with domains, the document is the source of truth and is returned as
 * defined; parsing has no network, no DTD, no entities and a size limit. */

#define HANGARD_POOL_MAX_XML_SIZE (64 * 1024)

typedef struct {
  xmlDoc *doc;
  char   *name;
  char    uuid[37];
  char   *target_path;   /* absolute, no trailing '/', no "." or ".." components */
} HangardPoolDef;

/* Errors: HANGAR_ERROR_INVALID_XML, HANGAR_ERROR_UNSUPPORTED (type other
 * than dir, or other unknown elements: named), HANGAR_ERROR_INVALID_ARGUMENT
 * (too large, bad name, relative target). */
HangardPoolDef *hangard_pool_def_parse       (const char      *xml,
                                              gssize           length,
                                              GError         **error);
/* A new definition from virsh pool-define-as style arguments. */
HangardPoolDef *hangard_pool_def_new_dir     (const char      *name,
                                              const char      *target_path,
                                              GError         **error);
/* The stored document, formatted. */
char           *hangard_pool_def_to_xml      (HangardPoolDef  *def);
/* The document with <capacity>, <allocation> and <available> (bytes)
 * filled in, as virsh pool-dumpxml shows for an active pool. */
char           *hangard_pool_def_to_live_xml (HangardPoolDef  *def,
                                              guint64          capacity,
                                              guint64          allocation,
                                              guint64          available);
HangardPoolDef *hangard_pool_def_copy        (HangardPoolDef  *def);
void            hangard_pool_def_free        (HangardPoolDef  *def);

/* Pool names follow machine names' rules (hangard_domain_name_is_valid). */
gboolean        hangard_pool_name_is_valid   (const char      *name,
                                              GError         **error);

/* Volume file names: 1..255 bytes of UTF-8, no '/', no control characters,
 * not "." or "..", no leading '.'. Error: HANGAR_ERROR_INVALID_ARGUMENT. */
gboolean        hangard_volume_name_is_valid (const char      *name,
                                              GError         **error);

/* libvirt's volume XML (virsh vol-dumpxml) for a file volume:
 *   <volume type='file'><name/><key>PATH</key><capacity unit='bytes'/>
 *   <allocation unit='bytes'/><target><path/><format type='qcow2'/></target>
 *   [<backingStore><path/><format/></backingStore>]</volume>
 * format is "qcow2", "raw" or "iso"; backing_path may be NULL. */
char           *hangard_volume_to_xml        (const char      *name,
                                              const char      *path,
                                              const char      *format,
                                              guint64          capacity,
                                              guint64          allocation,
                                              const char      *backing_path,
                                              const char      *backing_format);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangardPoolDef, hangard_pool_def_free)

G_END_DECLS
