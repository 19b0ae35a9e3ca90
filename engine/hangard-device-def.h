/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "hangard-domain.h"

G_BEGIN_DECLS

/* Hardware changes to a machine definition: a device given on its own
 * (virsh attach-device, detach-device, update-device), and memory, vCPU
 * count and vCPU pinning (setmem, setvcpus, vcpupin with --config).
 *
 * Every change makes a new definition from the old one's document and
 * parses it whole with hangard_domain_parse(), so a device is checked by
 * exactly the code that checks it in a full definition, together with
 * everything it must agree with (unique targets, MACs and boot orders,
 * buses the machine type has...). On error the old definition is
 * untouched. */

typedef enum {
  HANGARD_DEVICE_DISK,        /* <disk> */
  HANGARD_DEVICE_INTERFACE,   /* <interface> */
} HangardDeviceKind;

/* One <disk> or <interface> element in libvirt's syntax. Only what
 * identifies the device is read here; the rest is checked when it joins a
 * definition. */
typedef struct {
  xmlDoc            *doc;          /* the element as given (root); owned */
  HangardDeviceKind  kind;
  char              *target_dev;   /* disk: <target dev>; NULL when absent */
  char              *mac;          /* interface: <mac address>, lower case; NULL when absent */
  char              *type;         /* interface: the type attribute; NULL when absent */
} HangardDeviceDef;

/* Parses `xml` (no network, no entities, at most 64 KiB). Errors:
 * HANGAR_ERROR_INVALID_XML (malformed, or not one <disk> or <interface>,
 * or a <disk> without <target dev>, or a bad MAC),
 * HANGAR_ERROR_INVALID_ARGUMENT (too large). */
HangardDeviceDef *hangard_device_def_parse       (const char        *xml,
                                                  GError           **error);
HangardDeviceDef *hangard_device_def_copy        (const HangardDeviceDef *device);
void              hangard_device_def_free        (HangardDeviceDef  *device);
/* "disk vdb", "interface 52:54:00:12:34:56", "interface of type user". */
char             *hangard_device_def_describe    (const HangardDeviceDef *device);
/* Gives an interface without <mac> a generated one (52:54:00:…), so the
 * same device can join the running and the stored definition alike. */
void              hangard_device_def_ensure_mac  (HangardDeviceDef  *device);

/* A copy of `domain` with `device` added after the last device of its
 * kind; `*index` (nullable) gets its index in the new domain's disks or
 * nics. Errors: HANGAR_ERROR_ALREADY_EXISTS (a disk on that target, an
 * interface with that MAC), and those of hangard_domain_parse(). */
HangardDomain    *hangard_domain_attach_device   (HangardDomain          *domain,
                                                  const HangardDeviceDef *device,
                                                  guint                  *index,
                                                  GError                **error);
/* A copy of `domain` without the device `device` names: a disk by its
 * target, an interface by its MAC, or without one by its type (and
 * source) when exactly one interface matches. `*index` (nullable) gets
 * the index it had in `domain`. Errors: HANGAR_ERROR_NOT_FOUND,
 * HANGAR_ERROR_INVALID_ARGUMENT (several interfaces match), and those of
 * hangard_domain_parse() (e.g. <boot dev> order left without its device
 * is fine; a definition that no longer parses is refused). */
HangardDomain    *hangard_domain_detach_device   (HangardDomain          *domain,
                                                  const HangardDeviceDef *device,
                                                  guint                  *index,
                                                  GError                **error);
/* A copy of `domain` whose CD-ROM drive `device` names (by target) holds
 * `device`'s medium: its <source> (or none: ejected) and format. Nothing
 * else of a disk may differ. `*index` (nullable): the disk's index.
 * Errors: HANGAR_ERROR_NOT_FOUND (no disk on that target),
 * HANGAR_ERROR_UNSUPPORTED (not a CD-ROM, an interface, or another
 * setting changed: the message names it), those of hangard_domain_parse(). */
HangardDomain    *hangard_domain_update_device   (HangardDomain          *domain,
                                                  const HangardDeviceDef *device,
                                                  guint                  *index,
                                                  GError                **error);

/* <memory> (and <currentMemory> when present) set to `memory_kib`. */
HangardDomain    *hangard_domain_set_memory      (HangardDomain          *domain,
                                                  guint64                 memory_kib,
                                                  GError                **error);
/* <vcpu> set to `vcpus`; pins of vCPUs that no longer exist go. */
HangardDomain    *hangard_domain_set_vcpus       (HangardDomain          *domain,
                                                  guint                   vcpus,
                                                  GError                **error);
/* <cputune><vcpupin vcpu='VCPU' cpuset='CPUSET'/> set, or removed when
 * `cpuset` is NULL. */
HangardDomain    *hangard_domain_pin_vcpu        (HangardDomain          *domain,
                                                  guint                   vcpu,
                                                  const char             *cpuset,
                                                  GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangardDeviceDef, hangard_device_def_free)

G_END_DECLS
