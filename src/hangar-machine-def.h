/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What the machine page shows of a libvirt domain document, read with
 * libxml2 (no network, no entities), and the edits it makes to one. The
 * engine stays the judge of what is valid: edits only rewrite the text the
 * user would have changed by hand and the result goes to UpdateXml. */

typedef struct {
  char  *target;      /* "vda" */
  char  *device;      /* "disk" or "cdrom" */
  char  *source;      /* a path, or "pool/volume" */
  char  *format;      /* "qcow2", "raw", or "" when not stated */
  char  *bus;         /* "virtio", "sata", "ide", or "" */
  guint  boot_order;  /* <boot order='N'/>, 0 without */
  gboolean readonly;
} HangarDiskInfo;

typedef struct {
  char  *type;        /* "user", "network" or "bridge" */
  char  *source;      /* the network or bridge, "" for user */
  char  *model;       /* "virtio", "e1000"... or "" */
  char  *mac;         /* "" when the engine has not given one yet */
  guint  boot_order;
} HangarNicInfo;

typedef struct {
  char      *name;
  guint64    memory_kib;
  guint      vcpus;
  GPtrArray *boot_devs;   /* char *: "hd", "cdrom", "network" from <os><boot dev> */
  char      *kernel;      /* direct kernel boot, or NULL */
  char      *os_id;       /* <metadata><libosinfo:libosinfo><libosinfo:os id>, or NULL */
  GPtrArray *disks;       /* HangarDiskInfo */
  GPtrArray *nics;        /* HangarNicInfo */
  gboolean   has_vnc;     /* a <graphics type='vnc'> */
  char      *video_model; /* <video><model type>: "vga", "virtio"...; "" without one */
} HangarMachineDef;

HangarMachineDef *hangar_machine_def_parse          (const char        *xml,
                                                     GError           **error);
void              hangar_machine_def_free           (HangarMachineDef  *def);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangarMachineDef, hangar_machine_def_free)

/* @xml with <memory> (and <currentMemory>) set to @memory_kib and <vcpu> to
 * @vcpus; a <cpu><topology> that no longer adds up becomes one socket per
 * vCPU. Returns NULL with @error when @xml cannot be read. */
char             *hangar_machine_def_set_resources  (const char        *xml,
                                                     guint64            memory_kib,
                                                     guint              vcpus,
                                                     GError           **error);

/* @xml without the @index-th <disk> (@element "disk") or <interface>
 * (@element "interface") of <devices>. */
char             *hangar_machine_def_remove_device  (const char        *xml,
                                                     const char        *element,
                                                     guint              index,
                                                     GError           **error);

/* @xml with a new file disk: @device "disk" or "cdrom", @format "qcow2",
 * "raw", @bus "virtio", "sata" or "ide"; its target name is the first free
 * one for the bus (vda, sda, hda...). */
char             *hangar_machine_def_add_disk       (const char        *xml,
                                                     const char        *path,
                                                     const char        *device,
                                                     const char        *format,
                                                     const char        *bus,
                                                     GError           **error);

/* The same with a volume of a storage pool: <disk type='volume'> with
 * <source pool='@pool' volume='@volume'/>. */
char             *hangar_machine_def_add_volume_disk (const char       *xml,
                                                      const char       *pool,
                                                      const char       *volume,
                                                      const char       *device,
                                                      const char       *format,
                                                      const char       *bus,
                                                      GError          **error);

/* @xml with a new <interface>: @type "user", "network" or "bridge", @source
 * the network or bridge (ignored for "user"), @model e.g. "virtio". */
char             *hangar_machine_def_add_nic        (const char        *xml,
                                                     const char        *type,
                                                     const char        *source,
                                                     const char        *model,
                                                     GError           **error);

/* The @index-th <disk> (@element "disk") or <interface> (@element
 * "interface") of <devices> in @xml, as a document of its own: what
 * Machine.AttachDevice, DetachDevice and UpdateDevice take. */
char             *hangar_machine_def_get_device     (const char        *xml,
                                                     const char        *element,
                                                     guint              index,
                                                     GError           **error);

/* The @index-th <disk> of @xml (a CD-ROM drive) as a document of its own,
 * with another medium in it: the image file @path, or the volume @volume of
 * @pool (raw), or none when both are NULL (the tray empty). For
 * Machine.UpdateDevice. */
char             *hangar_machine_def_cdrom_with_medium (const char     *xml,
                                                        guint           index,
                                                        const char     *path,
                                                        const char     *pool,
                                                        const char     *volume,
                                                        GError        **error);

/* The line number an engine message names ("... line 12: ..."), or 0. */
guint             hangar_machine_def_error_line     (const char        *message);

G_END_DECLS
