/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-domain"

#include "hangard-domain.h"

#include <string.h>

#include "hangard-error.h"
#include "hangard-network-def.h"
#include "hangard-pool-def.h"
#include "hangard-xml.h"

#define KIB ((guint64) 1024)
#define MIB (KIB * 1024)
#define TIB (MIB * 1024 * 1024)

/* QEMU and the hosts Hangar targets handle this much; beyond it a value is
 * far more likely a typo (or a unit mix-up) than a wish. */
#define MAX_MEMORY_BYTES (16 * TIB)
#define MAX_VCPUS 255
/* The highest host CPU a cpuset may name: vCPUs are pinned with a
 * cpu_set_t, which holds CPU_SETSIZE (1024) CPUs. */
#define MAX_CPUSET_CPU 1023
/* Target names become QEMU device ids; the argv builder allows 16. */
#define MAX_TARGET_DEV_LEN 16
#define MAX_CPU_MODEL_LEN 64
#define MAX_BOOT_DEVS G_N_ELEMENTS (((HangardDomain *) NULL)->boot)

/* ------------------------------------------------------------------------- */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------- */

/* Whole decimal numbers only: no sign, no spaces, no hex. */
static gboolean
text_is_decimal (const char *text)
{
  if (text == NULL || *text == '\0')
    return FALSE;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
    }
  return TRUE;
}

/* Returns FALSE when `text` is not a whole number or exceeds `max`. */
static gboolean
parse_decimal (const char *text,
               guint64     max,
               guint64    *out)
{
  if (!text_is_decimal (text))
    return FALSE;

  return g_ascii_string_to_unsigned (text, 10, 0, max, out, NULL);
}

static gboolean
path_is_absolute (const char *path)
{
  return path != NULL && path[0] == '/';
}

static gboolean
check_absolute_path (const char  *path,
                     const char  *what,
                     GError     **error)
{
  g_autofree char *shown = NULL;

  if (path_is_absolute (path))
    return TRUE;

  shown = hangard_xml_describe_for_message (path != NULL ? path : "");
  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
               "The path in %s must be absolute (got '%s')", what, shown);
  return FALSE;
}

/* <acpi state='off'/>: libvirt's on/off switches, on when absent. */
static gboolean
parse_state_attribute (xmlNode   *node,
                       gboolean  *out,
                       GError   **error)
{
  static const HangardXmlEnumValue states[] = {
    { "on", TRUE }, { "off", FALSE }, HANGARD_XML_ENUM_VALUES_END
  };
  int value = TRUE;

  if (!hangard_xml_parse_enum_attribute (node, "state", states, HANGARD_XML_UNKNOWN_IS_INVALID,
                                         TRUE, NULL, &value, error))
    return FALSE;

  *out = value;
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Definitions                                                               */
/* ------------------------------------------------------------------------- */

static void
disk_def_free (HangardDiskDef *disk)
{
  if (disk == NULL)
    return;
  g_free (disk->source_file);
  g_free (disk->source_pool);
  g_free (disk->source_volume);
  g_free (disk->target_dev);
  g_free (disk);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangardDiskDef, disk_def_free)

static gpointer
disk_def_copy (gconstpointer data,
               gpointer      user_data G_GNUC_UNUSED)
{
  const HangardDiskDef *disk = data;
  HangardDiskDef *copy = g_memdup2 (disk, sizeof *disk);

  copy->source_file = g_strdup (disk->source_file);
  copy->source_pool = g_strdup (disk->source_pool);
  copy->source_volume = g_strdup (disk->source_volume);
  copy->target_dev = g_strdup (disk->target_dev);
  return copy;
}

static void
port_forward_free (HangardPortForward *forward)
{
  if (forward == NULL)
    return;
  g_free (forward->protocol);
  g_free (forward->host_address);
  g_free (forward);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangardPortForward, port_forward_free)

static gpointer
port_forward_copy (gconstpointer data,
                   gpointer      user_data G_GNUC_UNUSED)
{
  const HangardPortForward *forward = data;
  HangardPortForward *copy = g_memdup2 (forward, sizeof *forward);

  copy->protocol = g_strdup (forward->protocol);
  copy->host_address = g_strdup (forward->host_address);
  return copy;
}

static HangardNicDef *
nic_def_new (void)
{
  HangardNicDef *nic = g_new0 (HangardNicDef, 1);

  nic->port_forwards = g_ptr_array_new_with_free_func ((GDestroyNotify) port_forward_free);
  return nic;
}

static void
nic_def_free (HangardNicDef *nic)
{
  if (nic == NULL)
    return;
  g_free (nic->mac);
  g_free (nic->source);
  g_clear_pointer (&nic->port_forwards, g_ptr_array_unref);
  g_free (nic);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangardNicDef, nic_def_free)

static gpointer
nic_def_copy (gconstpointer data,
              gpointer      user_data G_GNUC_UNUSED)
{
  const HangardNicDef *nic = data;
  HangardNicDef *copy = g_memdup2 (nic, sizeof *nic);

  copy->mac = g_strdup (nic->mac);
  copy->source = g_strdup (nic->source);
  copy->port_forwards = g_ptr_array_copy (nic->port_forwards, port_forward_copy, NULL);
  g_ptr_array_set_free_func (copy->port_forwards, (GDestroyNotify) port_forward_free);
  return copy;
}

static void
vcpu_pin_free (HangardVcpuPin *pin)
{
  if (pin == NULL)
    return;
  g_free (pin->cpuset);
  g_free (pin);
}

static gpointer
vcpu_pin_copy (gconstpointer data,
               gpointer      user_data G_GNUC_UNUSED)
{
  const HangardVcpuPin *pin = data;
  HangardVcpuPin *copy = g_new0 (HangardVcpuPin, 1);

  copy->vcpu = pin->vcpu;
  copy->cpuset = g_strdup (pin->cpuset);
  return copy;
}

static HangardDomain *
domain_new (xmlDoc *doc)
{
  HangardDomain *domain = g_new0 (HangardDomain, 1);

  domain->doc = doc;
  domain->vcpu_pins = g_ptr_array_new_with_free_func ((GDestroyNotify) vcpu_pin_free);
  domain->disks = g_ptr_array_new_with_free_func ((GDestroyNotify) disk_def_free);
  domain->nics = g_ptr_array_new_with_free_func ((GDestroyNotify) nic_def_free);
  return domain;
}

void
hangard_domain_free (HangardDomain *domain)
{
  if (domain == NULL)
    return;

  g_clear_pointer (&domain->doc, xmlFreeDoc);
  g_free (domain->name);
  g_free (domain->title);
  g_free (domain->description);
  g_free (domain->cpuset);
  g_free (domain->arch);
  g_free (domain->machine_type);
  g_free (domain->kernel);
  g_free (domain->initrd);
  g_free (domain->cmdline);
  g_free (domain->cpu_model);
  g_clear_pointer (&domain->disks, g_ptr_array_unref);
  g_clear_pointer (&domain->nics, g_ptr_array_unref);
  g_clear_pointer (&domain->vcpu_pins, g_ptr_array_unref);
  g_free (domain);
}

/* ------------------------------------------------------------------------- */
/* Names and UUIDs                                                           */
/* ------------------------------------------------------------------------- */

gboolean
hangard_domain_name_is_valid (const char  *name,
                              GError     **error)
{
  return hangard_xml_check_name (name, "machine", HANGARD_DOMAIN_MAX_NAME_LEN, TRUE, error);
}

/* ------------------------------------------------------------------------- */
/* The parser                                                                */
/* ------------------------------------------------------------------------- */

typedef struct {
  HangardDomain *domain;
  xmlNode       *root;
  GHashTable    *boot_orders;        /* GUINT_TO_POINTER (order) → device label (owned) */
  GHashTable    *target_devs;        /* set of target dev names */
  GHashTable    *macs;               /* set of lower-case MAC addresses */
  GHashTable    *host_ports;         /* set of "tcp:2222": forwarded host ports */
  GPtrArray     *interfaces_without_mac; /* <interface> xmlNode* */
  GPtrArray     *nics_without_mac;       /* their HangardNicDef*, not owned */
  gboolean       has_mouse;          /* an <input type='mouse'>: the definition chose its pointer */
} DomainParser;

static void
domain_parser_clear (DomainParser *parser)
{
  g_clear_pointer (&parser->boot_orders, g_hash_table_unref);
  g_clear_pointer (&parser->target_devs, g_hash_table_unref);
  g_clear_pointer (&parser->macs, g_hash_table_unref);
  g_clear_pointer (&parser->host_ports, g_hash_table_unref);
  g_clear_pointer (&parser->interfaces_without_mac, g_ptr_array_unref);
  g_clear_pointer (&parser->nics_without_mac, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DomainParser, domain_parser_clear)

static const HangardXmlChildRule domain_children[] = {
  HANGARD_XML_CHILD_ONCE ("name"),
  HANGARD_XML_CHILD_ONCE ("uuid"),
  HANGARD_XML_CHILD_ONCE ("title"),
  HANGARD_XML_CHILD_ONCE ("description"),
  HANGARD_XML_CHILD_ONCE ("metadata"),
  HANGARD_XML_CHILD_ONCE ("memory"),
  HANGARD_XML_CHILD_ONCE ("currentMemory"),
  HANGARD_XML_CHILD_ONCE ("vcpu"),
  HANGARD_XML_CHILD_ONCE ("os"),
  HANGARD_XML_CHILD_ONCE ("features"),
  HANGARD_XML_CHILD_ONCE ("cpu"),
  HANGARD_XML_CHILD_ONCE ("clock"),
  HANGARD_XML_CHILD_ONCE ("on_poweroff"),
  HANGARD_XML_CHILD_ONCE ("on_reboot"),
  HANGARD_XML_CHILD_ONCE ("on_crash"),
  HANGARD_XML_CHILD_ONCE ("pm"),
  HANGARD_XML_CHILD_ONCE ("resource"),
  HANGARD_XML_CHILD_ONCE ("devices"),
  HANGARD_XML_CHILD_MANY ("seclabel"),
  HANGARD_XML_CHILD_UNSUPPORTED ("maxMemory", "Hangar cannot hot-plug memory"),
  HANGARD_XML_CHILD_ONCE ("memoryBacking"),
  HANGARD_XML_CHILD_ONCE ("memtune"),
  HANGARD_XML_CHILD_UNSUPPORTED ("blkiotune", "Hangar does not tune disk I/O"),
  HANGARD_XML_CHILD_UNSUPPORTED ("numatune", "Hangar does not place guests on NUMA nodes"),
  HANGARD_XML_CHILD_ONCE ("cputune"),
  HANGARD_XML_CHILD_UNSUPPORTED ("vcpus", "Hangar cannot hot-plug vCPUs"),
  HANGARD_XML_CHILD_UNSUPPORTED ("iothreads", "Hangar does not run I/O threads"),
  HANGARD_XML_CHILD_UNSUPPORTED ("iothreadids", "Hangar does not run I/O threads"),
  HANGARD_XML_CHILD_UNSUPPORTED ("sysinfo", "Hangar does not set SMBIOS information"),
  HANGARD_XML_CHILD_UNSUPPORTED ("genid", "Hangar does not give guests a VM generation ID"),
  HANGARD_XML_CHILD_UNSUPPORTED ("launchSecurity",
                                 "Hangar does not run guests with encrypted memory"),
  HANGARD_XML_CHILD_RULES_END
};

static gboolean
parse_domain_type (DomainParser  *parser,
                   GError       **error)
{
  static const HangardXmlEnumValue types[] = {
    { "kvm", 0 }, { "qemu", 0 },
    { "xen", HANGARD_XML_ENUM_UNSUPPORTED }, { "lxc", HANGARD_XML_ENUM_UNSUPPORTED },
    { "vmware", HANGARD_XML_ENUM_UNSUPPORTED }, { "hyperv", HANGARD_XML_ENUM_UNSUPPORTED },
    { "vbox", HANGARD_XML_ENUM_UNSUPPORTED }, { "openvz", HANGARD_XML_ENUM_UNSUPPORTED },
    { "phyp", HANGARD_XML_ENUM_UNSUPPORTED }, { "vz", HANGARD_XML_ENUM_UNSUPPORTED },
    { "parallels", HANGARD_XML_ENUM_UNSUPPORTED }, { "bhyve", HANGARD_XML_ENUM_UNSUPPORTED },
    { "test", HANGARD_XML_ENUM_UNSUPPORTED }, { "uml", HANGARD_XML_ENUM_UNSUPPORTED },
    { "kqemu", HANGARD_XML_ENUM_UNSUPPORTED }, { "ch", HANGARD_XML_ENUM_UNSUPPORTED },
    HANGARD_XML_ENUM_VALUES_END
  };
  int type;

  return hangard_xml_parse_enum_attribute (parser->root, "type", types,
                                           HANGARD_XML_UNKNOWN_IS_INVALID,
                                           HANGARD_XML_ATTRIBUTE_REQUIRED,
                                           "Hangar runs machines with QEMU (type='kvm' or 'qemu')",
                                           &type, error);
}

static gboolean
parse_name (DomainParser  *parser,
            GError       **error)
{
  xmlNode *node = hangard_xml_find_child (parser->root, "name");
  g_autofree char *name = NULL;

  if (node == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "The definition has no <name>");
      return FALSE;
    }
  if (!hangard_xml_check_children (node, hangard_xml_no_children, error))
    return FALSE;

  name = hangard_xml_get_text (node);
  if (!hangard_domain_name_is_valid (name, error))
    return FALSE;

  parser->domain->name = g_steal_pointer (&name);
  return TRUE;
}

static gboolean
parse_uuid (DomainParser  *parser,
            GError       **error)
{
  xmlNode *node = hangard_xml_find_child (parser->root, "uuid");
  g_autofree char *text = NULL;

  if (node == NULL)
    {
      /* Filled into the document later, once everything else is valid. */
      return TRUE;
    }
  if (!hangard_xml_check_children (node, hangard_xml_no_children, error))
    return FALSE;

  text = hangard_xml_get_stripped_text (node);
  return hangard_xml_normalize_uuid (text, parser->domain->uuid, error);
}

/* The UUID is who a machine is; GetXml must show the one it got. */
static void
insert_generated_uuid (DomainParser *parser)
{
  hangard_xml_insert_generated_uuid (parser->root, parser->domain->uuid);
}

static gboolean
parse_title_and_description (DomainParser  *parser,
                             GError       **error)
{
  xmlNode *title = hangard_xml_find_child (parser->root, "title");
  xmlNode *description = hangard_xml_find_child (parser->root, "description");

  if (title != NULL)
    {
      g_autofree char *text = NULL;

      if (!hangard_xml_check_children (title, hangard_xml_no_children, error))
        return FALSE;

      text = hangard_xml_get_text (title);
      /* libvirt's rule: a title is a one-line label for lists. */
      if (strpbrk (text, "\r\n") != NULL)
        {
          g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                               "<title> must be a single line");
          return FALSE;
        }
      if (*text != '\0')
        parser->domain->title = g_steal_pointer (&text);
    }

  if (description != NULL)
    {
      g_autofree char *text = NULL;

      if (!hangard_xml_check_children (description, hangard_xml_no_children, error))
        return FALSE;

      text = hangard_xml_get_text (description);
      if (*text != '\0')
        parser->domain->description = g_steal_pointer (&text);
    }

  return TRUE;
}

/* libvirt's virScaleInteger(): "b"/"bytes", then K/M/G/T/P/E, where
 * "KiB" and "K" are powers of 1024 and "KB" powers of 1000, any case. */
static gboolean
unit_to_bytes (const char *unit,
               guint64    *scale_out)
{
  guint64 base;
  guint64 scale = 1;
  int exponent;

  if (g_ascii_strcasecmp (unit, "b") == 0 ||
      g_ascii_strcasecmp (unit, "byte") == 0 ||
      g_ascii_strcasecmp (unit, "bytes") == 0)
    {
      *scale_out = 1;
      return TRUE;
    }

  if (unit[0] == '\0')
    return FALSE;

  if (unit[1] == '\0' || g_ascii_strcasecmp (unit + 1, "iB") == 0)
    base = 1024;
  else if (g_ascii_tolower (unit[1]) == 'b' && unit[2] == '\0')
    base = 1000;
  else
    return FALSE;

  switch (g_ascii_tolower (unit[0]))
    {
    case 'k': exponent = 1; break;
    case 'm': exponent = 2; break;
    case 'g': exponent = 3; break;
    case 't': exponent = 4; break;
    case 'p': exponent = 5; break;
    case 'e': exponent = 6; break;
    default:
      return FALSE;
    }

  while (exponent-- > 0)
    scale *= base;

  *scale_out = scale;
  return TRUE;
}

/* <memory unit='GiB'>4</memory> → KiB, rounded up as libvirt does. */
static gboolean
parse_memory_element (xmlNode     *node,
                      const char  *label,
                      guint64     *kib_out,
                      GError     **error)
{
  g_autofree char *text = hangard_xml_get_stripped_text (node);
  g_autofree char *unit_attribute = hangard_xml_get_attribute (node, "unit");
  const char *unit = unit_attribute != NULL ? unit_attribute : "KiB";
  g_autofree char *shown_value = hangard_xml_describe_for_message (text);
  g_autofree char *shown_unit = hangard_xml_describe_for_message (unit);
  guint64 value;
  guint64 scale;
  guint64 bytes;

  if (!hangard_xml_check_children (node, hangard_xml_no_children, error))
    return FALSE;

  if (!unit_to_bytes (unit, &scale))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "%s: unknown unit '%s' (use b, KiB, MiB, GiB, TiB, KB, MB, GB or TB)",
                   label, shown_unit);
      return FALSE;
    }

  if (!text_is_decimal (text))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "%s must be a whole number (got '%s')", label, shown_value);
      return FALSE;
    }

  /* Checked before multiplying: 2^63 KiB must be an error, not a wrap. */
  if (!parse_decimal (text, G_MAXUINT64, &value) ||
      value > MAX_MEMORY_BYTES / scale)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "%s of %s %s is more than Hangar supports (at most 16 TiB)",
                   label, shown_value, shown_unit);
      return FALSE;
    }

  bytes = value * scale;
  if (bytes < MIB)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "%s must be at least 1 MiB (got %s %s)",
                   label, shown_value, shown_unit);
      return FALSE;
    }

  *kib_out = (bytes + KIB - 1) / KIB;
  return TRUE;
}

static gboolean
parse_memory (DomainParser  *parser,
              GError       **error)
{
  HangardDomain *domain = parser->domain;
  xmlNode *memory = hangard_xml_find_child (parser->root, "memory");
  xmlNode *current = hangard_xml_find_child (parser->root, "currentMemory");

  if (memory == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "The definition has no <memory>: state how much memory "
                           "the machine has, e.g. <memory unit='GiB'>2</memory>");
      return FALSE;
    }

  if (!parse_memory_element (memory, "Memory", &domain->memory_kib, error))
    return FALSE;

  if (current == NULL)
    {
      domain->current_memory_kib = domain->memory_kib;
      return TRUE;
    }

  if (!parse_memory_element (current, "Current memory", &domain->current_memory_kib, error))
    return FALSE;

  if (domain->current_memory_kib > domain->memory_kib)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Current memory (%" G_GUINT64_FORMAT " KiB) cannot be more than "
                   "memory (%" G_GUINT64_FORMAT " KiB)",
                   domain->current_memory_kib, domain->memory_kib);
      return FALSE;
    }
  return TRUE;
}

#define CPUSET_SYNTAX_PROBLEM \
  "expected CPU numbers (0 to " G_STRINGIFY (MAX_CPUSET_CPU) ") or ranges like 0-3"

/* libvirt's cpuset syntax: "0-3,^2,5", applied left to right. Spaces may
 * surround an item, not sit inside a range. */
gboolean
hangard_cpuset_parse (const char  *cpuset,
                      cpu_set_t   *set,
                      const char **problem)
{
  g_auto(GStrv) items = g_strsplit (cpuset, ",", -1);

  CPU_ZERO (set);

  for (gsize i = 0; items[i] != NULL; i++)
    {
      char *item = g_strstrip (items[i]);
      gboolean exclude = (item[0] == '^');
      char *dash;
      guint64 first;
      guint64 last;

      if (exclude)
        item++;

      dash = strchr (item, '-');
      if (dash != NULL)
        {
          *dash = '\0';
          if (exclude)
            {
              *problem = "only single CPUs can be excluded with '^'";
              return FALSE;
            }
          if (!parse_decimal (item, MAX_CPUSET_CPU, &first) ||
              !parse_decimal (dash + 1, MAX_CPUSET_CPU, &last))
            {
              *problem = CPUSET_SYNTAX_PROBLEM;
              return FALSE;
            }
          if (first > last)
            {
              *problem = "a range must go from low to high";
              return FALSE;
            }
        }
      else
        {
          if (!parse_decimal (item, MAX_CPUSET_CPU, &first))
            {
              *problem = CPUSET_SYNTAX_PROBLEM;
              return FALSE;
            }
          last = first;
        }

      for (guint64 cpu = first; cpu <= last; cpu++)
        {
          if (exclude)
            CPU_CLR (cpu, set);
          else
            CPU_SET (cpu, set);
        }
    }

  if (CPU_COUNT (set) == 0)
    {
      *problem = "it leaves no CPU to run on";
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_vcpu (DomainParser  *parser,
            GError       **error)
{
  static const HangardXmlEnumValue placements[] = {
    { "static", 0 }, { "auto", 0 }, HANGARD_XML_ENUM_VALUES_END
  };
  HangardDomain *domain = parser->domain;
  xmlNode *node = hangard_xml_find_child (parser->root, "vcpu");
  g_autofree char *text = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *cpuset = NULL;
  g_autofree char *current = NULL;
  guint64 count;
  int placement;

  if (node == NULL)
    {
      domain->vcpus = 1;   /* libvirt's default */
      return TRUE;
    }
  if (!hangard_xml_check_children (node, hangard_xml_no_children, error))
    return FALSE;

  text = hangard_xml_get_stripped_text (node);
  shown = hangard_xml_describe_for_message (text);
  if (!text_is_decimal (text) ||
      !parse_decimal (text, MAX_VCPUS, &count) || count == 0)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "<vcpu> must be a number from 1 to %d (got '%s')", MAX_VCPUS, shown);
      return FALSE;
    }
  domain->vcpus = (guint) count;

  /* Where the host runs the vCPUs does not change the guest. */
  if (!hangard_xml_parse_enum_attribute (node, "placement", placements,
                                         HANGARD_XML_UNKNOWN_IS_INVALID, 0, NULL, &placement,
                                         error))
    return FALSE;

  current = hangard_xml_get_attribute (node, "current");
  if (current != NULL)
    {
      guint64 current_count;
      g_autofree char *shown_current = hangard_xml_describe_for_message (current);

      if (!parse_decimal (current, MAX_VCPUS, &current_count) || current_count == 0)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                       "Invalid <vcpu current='%s'>: expected a number from 1 to %d",
                       shown_current, MAX_VCPUS);
          return FALSE;
        }
      if (current_count != count)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       "Unsupported <vcpu current='%s'>: Hangar starts machines with "
                       "all %u vCPUs and cannot hot-plug more",
                       shown_current, domain->vcpus);
          return FALSE;
        }
    }

  cpuset = hangard_xml_get_attribute (node, "cpuset");
  if (cpuset != NULL)
    {
      const char *problem = NULL;
      cpu_set_t set;

      if (!hangard_cpuset_parse (cpuset, &set, &problem))
        {
          g_autofree char *shown_cpuset = hangard_xml_describe_for_message (cpuset);

          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                       "Invalid <vcpu cpuset='%s'>: %s", shown_cpuset, problem);
          return FALSE;
        }
      domain->cpuset = g_steal_pointer (&cpuset);
    }

  return TRUE;
}

/* --- <memtune>, <cputune> -------------------------------------------------- */

/* libvirt's "unlimited": what `virsh dumpxml` shows for a limit set to -1. */
#define MEMTUNE_UNLIMITED_KIB "9007199254740991"
/* libvirt's ranges for <cputune>. */
#define MIN_CPU_PERIOD_US 1000
#define MAX_CPU_PERIOD_US 1000000
#define MIN_CPU_QUOTA_US 1000
#define MAX_CPU_QUOTA_US G_GINT64_CONSTANT (17592186044415)
#define MAX_CPU_SHARES 262144

static const HangardXmlChildRule memtune_children[] = {
  HANGARD_XML_CHILD_ONCE ("hard_limit"),
  HANGARD_XML_CHILD_ONCE ("soft_limit"),
  HANGARD_XML_CHILD_UNSUPPORTED ("swap_hard_limit", "Hangar does not limit a guest's swap"),
  HANGARD_XML_CHILD_UNSUPPORTED ("min_guarantee", "Hangar does not guarantee memory to a guest"),
  HANGARD_XML_CHILD_RULES_END
};

static const HangardXmlChildRule cputune_children[] = {
  HANGARD_XML_CHILD_ONCE ("shares"),
  HANGARD_XML_CHILD_ONCE ("period"),
  HANGARD_XML_CHILD_ONCE ("quota"),
  HANGARD_XML_CHILD_ONCE ("global_period"),
  HANGARD_XML_CHILD_ONCE ("global_quota"),
  HANGARD_XML_CHILD_MANY ("vcpupin"),
  HANGARD_XML_CHILD_UNSUPPORTED ("emulatorpin",
                                 "Hangar pins QEMU's other threads with <vcpu cpuset='...'>"),
  HANGARD_XML_CHILD_UNSUPPORTED ("iothreadpin", "Hangar does not run I/O threads"),
  HANGARD_XML_CHILD_UNSUPPORTED ("emulator_period",
                                 "Hangar limits the whole QEMU process: use <quota> or <global_quota>"),
  HANGARD_XML_CHILD_UNSUPPORTED ("emulator_quota",
                                 "Hangar limits the whole QEMU process: use <quota> or <global_quota>"),
  HANGARD_XML_CHILD_UNSUPPORTED ("iothread_period", "Hangar does not run I/O threads"),
  HANGARD_XML_CHILD_UNSUPPORTED ("iothread_quota", "Hangar does not run I/O threads"),
  HANGARD_XML_CHILD_UNSUPPORTED ("vcpusched", "Hangar does not change scheduling policies"),
  HANGARD_XML_CHILD_UNSUPPORTED ("iothreadsched", "Hangar does not change scheduling policies"),
  HANGARD_XML_CHILD_UNSUPPORTED ("emulatorsched", "Hangar does not change scheduling policies"),
  HANGARD_XML_CHILD_UNSUPPORTED ("cachetune", "Hangar does not partition the CPU caches"),
  HANGARD_XML_CHILD_UNSUPPORTED ("memorytune", "Hangar does not partition memory bandwidth"),
  HANGARD_XML_CHILD_RULES_END
};

/* <hard_limit unit='GiB'>2</hard_limit>: KiB in *kib_out, 0 for libvirt's
 * "unlimited". */
static gboolean
parse_memtune_limit (xmlNode     *memtune,
                     const char  *element,
                     const char  *label,
                     guint64     *kib_out,
                     GError     **error)
{
  xmlNode *node = hangard_xml_find_child (memtune, element);
  g_autofree char *text = NULL;
  g_autofree char *unit = NULL;

  *kib_out = 0;
  if (node == NULL)
    return TRUE;

  text = hangard_xml_get_stripped_text (node);
  unit = hangard_xml_get_attribute (node, "unit");
  if (g_strcmp0 (text, MEMTUNE_UNLIMITED_KIB) == 0 &&
      (unit == NULL || g_ascii_strcasecmp (unit, "KiB") == 0 || g_ascii_strcasecmp (unit, "k") == 0))
    return TRUE;
  return parse_memory_element (node, label, kib_out, error);
}

static gboolean
parse_memtune (DomainParser  *parser,
               GError       **error)
{
  HangardDomain *domain = parser->domain;
  xmlNode *memtune = hangard_xml_find_child (parser->root, "memtune");

  if (memtune == NULL)
    return TRUE;
  if (!hangard_xml_check_children (memtune, memtune_children, error) ||
      !parse_memtune_limit (memtune, "hard_limit", "<memtune><hard_limit>",
                            &domain->hard_limit_kib, error) ||
      !parse_memtune_limit (memtune, "soft_limit", "<memtune><soft_limit>",
                            &domain->soft_limit_kib, error))
    return FALSE;

  if (domain->hard_limit_kib > 0 && domain->soft_limit_kib > domain->hard_limit_kib)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "<memtune><soft_limit> (%" G_GUINT64_FORMAT " KiB) cannot be more than "
                   "<hard_limit> (%" G_GUINT64_FORMAT " KiB)",
                   domain->soft_limit_kib, domain->hard_limit_kib);
      return FALSE;
    }
  return TRUE;
}

/* A whole number in [min, max] from <cputune><NAME>; 0 when absent. */
static gboolean
parse_cputune_number (xmlNode     *cputune,
                      const char  *element,
                      guint64      min,
                      guint64      max,
                      guint64     *out,
                      GError     **error)
{
  xmlNode *node = hangard_xml_find_child (cputune, element);
  g_autofree char *text = NULL;
  g_autofree char *shown = NULL;

  *out = 0;
  if (node == NULL)
    return TRUE;
  if (!hangard_xml_check_children (node, hangard_xml_no_children, error))
    return FALSE;

  text = hangard_xml_get_stripped_text (node);
  /* libvirt: 0 means "not set" for every one of them but shares. */
  if (g_strcmp0 (text, "0") == 0 && !g_str_equal (element, "shares"))
    return TRUE;
  if (!parse_decimal (text, max, out) || *out < min)
    {
      shown = hangard_xml_describe_for_message (text);
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "<cputune><%s> must be a whole number from %" G_GUINT64_FORMAT
                   " to %" G_GUINT64_FORMAT " (got '%s')", element, min, max, shown);
      return FALSE;
    }
  return TRUE;
}

/* <quota> and <global_quota>: microseconds per period, any negative number
 * meaning no limit (-1 here), 0 or absent meaning not set. */
static gboolean
parse_cputune_quota (xmlNode     *cputune,
                     const char  *element,
                     gint64      *out,
                     GError     **error)
{
  xmlNode *node = hangard_xml_find_child (cputune, element);
  g_autofree char *text = NULL;
  guint64 value;

  *out = 0;
  if (node == NULL)
    return TRUE;
  if (!hangard_xml_check_children (node, hangard_xml_no_children, error))
    return FALSE;

  text = hangard_xml_get_stripped_text (node);
  if (text[0] == '-' && text_is_decimal (text + 1))
    {
      *out = -1;
      return TRUE;
    }
  if (g_strcmp0 (text, "0") == 0)
    return TRUE;
  if (!parse_decimal (text, (guint64) MAX_CPU_QUOTA_US, &value) || value < MIN_CPU_QUOTA_US)
    {
      g_autofree char *shown = hangard_xml_describe_for_message (text);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "<cputune><%s> must be from %d to %" G_GINT64_FORMAT
                   " microseconds, or negative for no limit (got '%s')",
                   element, MIN_CPU_QUOTA_US, MAX_CPU_QUOTA_US, shown);
      return FALSE;
    }
  *out = (gint64) value;
  return TRUE;
}

static HangardVcpuPin *
find_vcpu_pin (const HangardDomain *domain,
               guint                vcpu)
{
  for (guint i = 0; domain->vcpu_pins != NULL && i < domain->vcpu_pins->len; i++)
    {
      HangardVcpuPin *pin = g_ptr_array_index (domain->vcpu_pins, i);

      if (pin->vcpu == vcpu)
        return pin;
    }
  return NULL;
}

const char *
hangard_domain_get_vcpu_cpuset (const HangardDomain *domain,
                                guint                vcpu)
{
  HangardVcpuPin *pin;

  g_return_val_if_fail (domain != NULL, NULL);

  pin = find_vcpu_pin (domain, vcpu);
  return pin != NULL ? pin->cpuset : domain->cpuset;
}

/* <vcpupin vcpu='N' cpuset='1-2'/>: one per vCPU at most. */
static gboolean
parse_vcpu_pin (DomainParser  *parser,
                xmlNode       *node,
                GError       **error)
{
  HangardDomain *domain = parser->domain;
  g_autofree char *vcpu = hangard_xml_get_attribute (node, "vcpu");
  g_autofree char *cpuset = hangard_xml_get_attribute (node, "cpuset");
  g_autofree char *shown = hangard_xml_describe_for_message (vcpu != NULL ? vcpu : "");
  HangardVcpuPin *pin;
  const char *problem = NULL;
  cpu_set_t set;
  guint64 number;

  if (!hangard_xml_check_children (node, hangard_xml_no_children, error))
    return FALSE;
  if (vcpu == NULL || !parse_decimal (vcpu, MAX_VCPUS, &number) || number >= domain->vcpus)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Invalid <vcpupin vcpu='%s'>: expected a vCPU number from 0 to %u",
                   shown, domain->vcpus - 1);
      return FALSE;
    }
  if (find_vcpu_pin (domain, (guint) number) != NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "vCPU %u is pinned twice in <cputune>", (guint) number);
      return FALSE;
    }
  if (cpuset == NULL || !hangard_cpuset_parse (cpuset, &set, &problem))
    {
      g_autofree char *shown_cpuset = hangard_xml_describe_for_message (cpuset != NULL ? cpuset : "");

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Invalid <vcpupin vcpu='%u' cpuset='%s'>: %s", (guint) number, shown_cpuset,
                   problem != NULL ? problem : "the cpuset attribute is missing");
      return FALSE;
    }

  pin = g_new0 (HangardVcpuPin, 1);
  pin->vcpu = (guint) number;
  pin->cpuset = g_steal_pointer (&cpuset);
  g_ptr_array_add (domain->vcpu_pins, pin);
  return TRUE;
}

static gboolean
parse_vcpu_pins (DomainParser  *parser,
                 xmlNode       *cputune,
                 GError       **error)
{
  HANGARD_XML_FOR_EACH_CHILD_ELEMENT (child, cputune)
    {
      if (hangard_xml_is_element_named (child, "vcpupin") &&
          !parse_vcpu_pin (parser, child, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_cputune (DomainParser  *parser,
               GError       **error)
{
  HangardDomain *domain = parser->domain;
  xmlNode *cputune = hangard_xml_find_child (parser->root, "cputune");

  if (cputune == NULL)
    return TRUE;
  return hangard_xml_check_children (cputune, cputune_children, error) &&
         parse_vcpu_pins (parser, cputune, error) &&
         parse_cputune_number (cputune, "shares", 1, MAX_CPU_SHARES, &domain->cpu_shares, error) &&
         parse_cputune_number (cputune, "period", MIN_CPU_PERIOD_US, MAX_CPU_PERIOD_US,
                               &domain->cpu_period_us, error) &&
         parse_cputune_quota (cputune, "quota", &domain->cpu_quota_us, error) &&
         parse_cputune_number (cputune, "global_period", MIN_CPU_PERIOD_US, MAX_CPU_PERIOD_US,
                               &domain->cpu_global_period_us, error) &&
         parse_cputune_quota (cputune, "global_quota", &domain->cpu_global_quota_us, error);
}

/* --- <memoryBacking> ------------------------------------------------------ */

static guint count_children_named (xmlNode    *parent,
                                   const char *name);

static const HangardXmlChildRule memory_backing_children[] = {
  HANGARD_XML_CHILD_ONCE ("hugepages"),
  HANGARD_XML_CHILD_UNSUPPORTED ("nosharepages", "Hangar does not change how the host shares pages"),
  HANGARD_XML_CHILD_UNSUPPORTED ("locked", "Hangar does not lock guest memory"),
  HANGARD_XML_CHILD_UNSUPPORTED ("source", "Hangar picks the memory source itself"),
  HANGARD_XML_CHILD_UNSUPPORTED ("access", "Hangar does not share guest memory"),
  HANGARD_XML_CHILD_UNSUPPORTED ("allocation",
                                 "Hangar allocates huge pages at start and other memory on demand"),
  HANGARD_XML_CHILD_UNSUPPORTED ("discard", "Hangar does not discard guest memory"),
  HANGARD_XML_CHILD_RULES_END
};

static const HangardXmlChildRule hugepages_children[] = {
  HANGARD_XML_CHILD_MANY ("page"),
  HANGARD_XML_CHILD_RULES_END
};

/* <page size='2' unit='M'/>: one size for all guest memory (no nodeset:
 * Hangar guests have one NUMA node). */
static gboolean
parse_hugepage_size (DomainParser  *parser,
                     xmlNode       *hugepages,
                     GError       **error)
{
  xmlNode *page = hangard_xml_find_child (hugepages, "page");
  g_autofree char *size = NULL;
  g_autofree char *unit_attribute = NULL;
  g_autofree char *nodeset = NULL;
  g_autofree char *shown = NULL;
  const char *unit;
  guint64 value = 0;
  guint64 scale = 0;
  guint64 kib = 0;

  if (page == NULL)
    return TRUE;
  if (count_children_named (hugepages, "page") > 1)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           "Unsupported second <page> in <hugepages>: Hangar backs all of a "
                           "guest's memory with one huge page size");
      return FALSE;
    }
  if (!hangard_xml_check_children (page, hangard_xml_no_children, error))
    return FALSE;

  nodeset = hangard_xml_get_attribute (page, "nodeset");
  if (nodeset != NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           "Unsupported <page nodeset='...'> in <hugepages>: Hangar guests "
                           "have one NUMA node");
      return FALSE;
    }

  size = hangard_xml_get_attribute (page, "size");
  unit_attribute = hangard_xml_get_attribute (page, "unit");
  unit = unit_attribute != NULL ? unit_attribute : "KiB";
  shown = g_strdup_printf ("%s %s", size != NULL ? size : "", unit);
  if (size != NULL && unit_to_bytes (unit, &scale) && parse_decimal (size, G_MAXUINT32, &value) &&
      value <= MAX_MEMORY_BYTES / scale)
    kib = value * scale / KIB;
  /* A power of two above the 4 KiB base page: 2 MiB and 1 GiB on x86. */
  if (kib <= 4 || (kib & (kib - 1)) != 0 || value * scale % KIB != 0)
    {
      g_autofree char *described = hangard_xml_describe_for_message (shown);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Invalid <page size='...'> in <hugepages> (got '%s'): expected a huge page "
                   "size such as size='2' unit='M' or size='1' unit='G'", described);
      return FALSE;
    }

  parser->domain->hugepage_kib = kib;
  return TRUE;
}

static gboolean
parse_memory_backing (DomainParser  *parser,
                      GError       **error)
{
  xmlNode *backing = hangard_xml_find_child (parser->root, "memoryBacking");
  xmlNode *hugepages;

  if (backing == NULL)
    return TRUE;
  if (!hangard_xml_check_children (backing, memory_backing_children, error))
    return FALSE;

  hugepages = hangard_xml_find_child (backing, "hugepages");
  if (hugepages == NULL)
    return TRUE;
  if (!hangard_xml_check_children (hugepages, hugepages_children, error) ||
      !parse_hugepage_size (parser, hugepages, error))
    return FALSE;

  parser->domain->hugepages = TRUE;
  return TRUE;
}

/* --- <os> ---------------------------------------------------------------- */

static const HangardXmlChildRule os_children[] = {
  HANGARD_XML_CHILD_ONCE ("type"),
  HANGARD_XML_CHILD_MANY ("boot"),
  HANGARD_XML_CHILD_ONCE ("kernel"),
  HANGARD_XML_CHILD_ONCE ("initrd"),
  HANGARD_XML_CHILD_ONCE ("cmdline"),
  HANGARD_XML_CHILD_ONCE ("bootmenu"),
  HANGARD_XML_CHILD_UNSUPPORTED ("loader", "Hangar does not boot UEFI firmware yet"),
  HANGARD_XML_CHILD_UNSUPPORTED ("nvram", "Hangar does not boot UEFI firmware yet"),
  HANGARD_XML_CHILD_UNSUPPORTED ("firmware", "Hangar does not boot UEFI firmware yet"),
  HANGARD_XML_CHILD_UNSUPPORTED ("smbios", "Hangar does not set SMBIOS information"),
  HANGARD_XML_CHILD_UNSUPPORTED ("dtb", "Hangar does not load device trees"),
  HANGARD_XML_CHILD_RULES_END
};

/* "pc", "q35" and their versioned names: "pc-i440fx-7.2", "pc-q35-8.0". */
static gboolean
machine_type_is_supported (const char *machine)
{
  const char *version = NULL;

  if (g_str_equal (machine, "pc") || g_str_equal (machine, "q35"))
    return TRUE;

  if (g_str_has_prefix (machine, "pc-i440fx-"))
    version = machine + strlen ("pc-i440fx-");
  else if (g_str_has_prefix (machine, "pc-q35-"))
    version = machine + strlen ("pc-q35-");
  else
    return FALSE;

  if (*version == '\0')
    return FALSE;

  /* It lands on QEMU's command line. */
  for (const char *p = version; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
        return FALSE;
    }
  return TRUE;
}

static gboolean
machine_type_is_q35 (const char *machine)
{
  return machine != NULL &&
         (g_str_equal (machine, "q35") || g_str_has_prefix (machine, "pc-q35-"));
}

static gboolean
parse_os_type (DomainParser  *parser,
               xmlNode       *os,
               GError       **error)
{
  static const HangardXmlEnumValue os_types[] = {
    { "hvm", 0 },
    { "xen", HANGARD_XML_ENUM_UNSUPPORTED }, { "linux", HANGARD_XML_ENUM_UNSUPPORTED },
    { "xenpvh", HANGARD_XML_ENUM_UNSUPPORTED }, { "exe", HANGARD_XML_ENUM_UNSUPPORTED },
    { "uml", HANGARD_XML_ENUM_UNSUPPORTED },
    HANGARD_XML_ENUM_VALUES_END
  };
  HangardDomain *domain = parser->domain;
  xmlNode *type = hangard_xml_find_child (os, "type");
  g_autofree char *text = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *arch = NULL;
  g_autofree char *machine = NULL;
  int os_type;

  if (type == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "<os> needs a <type>, e.g. <type arch='x86_64' machine='q35'>hvm</type>");
      return FALSE;
    }
  if (!hangard_xml_check_children (type, hangard_xml_no_children, error))
    return FALSE;

  text = hangard_xml_get_stripped_text (type);
  shown = hangard_xml_describe_for_message (text);
  if (!hangard_xml_lookup_enum_value (os_types, text, HANGARD_XML_UNKNOWN_IS_INVALID, &os_type))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Invalid <type>%s</type> in <os>: expected hvm", shown);
      return FALSE;
    }
  if (os_type == HANGARD_XML_ENUM_UNSUPPORTED)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Unsupported <type>%s</type> in <os>: Hangar runs full virtual "
                   "machines (hvm)", shown);
      return FALSE;
    }

  arch = hangard_xml_get_attribute (type, "arch");
  if (arch != NULL && !g_str_equal (arch, "x86_64"))
    {
      g_autofree char *shown_arch = hangard_xml_describe_for_message (arch);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Unsupported <type arch='%s'> in <os>: Hangar runs x86_64 machines only",
                   shown_arch);
      return FALSE;
    }
  domain->arch = g_strdup ("x86_64");

  machine = hangard_xml_get_attribute (type, "machine");
  if (machine != NULL)
    {
      if (!machine_type_is_supported (machine))
        {
          g_autofree char *shown_machine = hangard_xml_describe_for_message (machine);

          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       "Unsupported <type machine='%s'> in <os>: Hangar runs the 'pc' "
                       "and 'q35' machines (and their versions, such as pc-q35-7.2)",
                       shown_machine);
          return FALSE;
        }
      domain->machine_type = g_steal_pointer (&machine);
    }

  return TRUE;
}

static gboolean
parse_os_boot_devices (DomainParser  *parser,
                       xmlNode       *os,
                       GError       **error)
{
  static const HangardXmlEnumValue boot_devs[] = {
    { "hd", HANGARD_BOOT_HD },
    { "cdrom", HANGARD_BOOT_CDROM },
    { "network", HANGARD_BOOT_NETWORK },
    { "fd", HANGARD_XML_ENUM_UNSUPPORTED },
    HANGARD_XML_ENUM_VALUES_END
  };
  HangardDomain *domain = parser->domain;

  HANGARD_XML_FOR_EACH_CHILD_ELEMENT (boot, os)
    {
      int dev;

      if (!hangard_xml_is_element_named (boot, "boot"))
        continue;
      if (!hangard_xml_check_children (boot, hangard_xml_no_children, error))
        return FALSE;

      if (domain->n_boot == MAX_BOOT_DEVS)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                       "<os> has more than %u <boot> elements", (guint) MAX_BOOT_DEVS);
          return FALSE;
        }

      if (!hangard_xml_parse_enum_attribute (boot, "dev", boot_devs,
                                             HANGARD_XML_UNKNOWN_IS_INVALID,
                                             HANGARD_XML_ATTRIBUTE_REQUIRED,
                                             "Hangar has no floppy drives", &dev, error))
        return FALSE;

      /* QEMU refuses a boot order that names a device twice. */
      for (guint i = 0; i < domain->n_boot; i++)
        {
          if (domain->boot[i] == (HangardBootDev) dev)
            {
              g_autofree char *name = hangard_xml_get_attribute (boot, "dev");

              g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "<boot dev='%s'> appears more than once in <os>", name);
              return FALSE;
            }
        }

      domain->boot[domain->n_boot++] = dev;
    }

  return TRUE;
}

static gboolean
parse_os_path_element (xmlNode     *os,
                       const char  *name,
                       char       **out,
                       GError     **error)
{
  xmlNode *node = hangard_xml_find_child (os, name);
  g_autofree char *path = NULL;
  g_autofree char *what = NULL;

  if (node == NULL)
    return TRUE;
  if (!hangard_xml_check_children (node, hangard_xml_no_children, error))
    return FALSE;

  path = hangard_xml_get_text (node);
  what = g_strdup_printf ("<%s>", name);
  if (!check_absolute_path (path, what, error))
    return FALSE;

  *out = g_steal_pointer (&path);
  return TRUE;
}

static gboolean
parse_direct_kernel_boot (DomainParser  *parser,
                          xmlNode       *os,
                          GError       **error)
{
  HangardDomain *domain = parser->domain;
  xmlNode *cmdline;

  if (!parse_os_path_element (os, "kernel", &domain->kernel, error) ||
      !parse_os_path_element (os, "initrd", &domain->initrd, error))
    return FALSE;

  cmdline = hangard_xml_find_child (os, "cmdline");
  if (cmdline != NULL)
    {
      if (!hangard_xml_check_children (cmdline, hangard_xml_no_children, error))
        return FALSE;
      domain->cmdline = hangard_xml_get_text (cmdline);
    }

  /* QEMU takes -initrd and -append only together with -kernel. */
  if (domain->kernel == NULL && (domain->initrd != NULL || domain->cmdline != NULL))
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "<initrd> and <cmdline> in <os> need a <kernel>");
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_os (DomainParser  *parser,
          GError       **error)
{
  static const HangardXmlEnumValue firmwares[] = {
    { "bios", 0 }, { "efi", HANGARD_XML_ENUM_UNSUPPORTED }, HANGARD_XML_ENUM_VALUES_END
  };
  xmlNode *os = hangard_xml_find_child (parser->root, "os");
  int firmware;

  if (os == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "The definition has no <os>: add "
                           "<os><type arch='x86_64' machine='q35'>hvm</type></os>");
      return FALSE;
    }

  if (!hangard_xml_parse_enum_attribute (os, "firmware", firmwares,
                                         HANGARD_XML_UNKNOWN_IS_INVALID, 0,
                                         "Hangar does not boot UEFI firmware yet", &firmware,
                                         error))
    return FALSE;

  if (!hangard_xml_check_children (os, os_children, error))
    return FALSE;

  return parse_os_type (parser, os, error) &&
         parse_os_boot_devices (parser, os, error) &&
         parse_direct_kernel_boot (parser, os, error);
}

/* --- <features> ---------------------------------------------------------- */

/* Besides acpi and apic, only features whose absence cannot stop a guest
 * from running: PAE is always there on x86_64, the others are tuning or
 * paravirtual hints (Hyper-V enlightenments, KVM hiding, SMM, the PMU). */
static const HangardXmlChildRule feature_children[] = {
  HANGARD_XML_CHILD_ONCE ("acpi"),
  HANGARD_XML_CHILD_ONCE ("apic"),
  HANGARD_XML_CHILD_ONCE ("pae"),
  HANGARD_XML_CHILD_ONCE ("vmport"),
  HANGARD_XML_CHILD_ONCE ("hyperv"),
  HANGARD_XML_CHILD_ONCE ("kvm"),
  HANGARD_XML_CHILD_ONCE ("smm"),
  HANGARD_XML_CHILD_ONCE ("pvspinlock"),
  HANGARD_XML_CHILD_ONCE ("vmcoreinfo"),
  HANGARD_XML_CHILD_ONCE ("pmu"),
  HANGARD_XML_CHILD_RULES_END
};

static gboolean
parse_switch_feature (xmlNode     *features,
                      const char  *name,
                      gboolean    *out,
                      GError     **error)
{
  xmlNode *node = hangard_xml_find_child (features, name);

  *out = FALSE;
  if (node == NULL)
    return TRUE;

  return hangard_xml_check_children (node, hangard_xml_no_children, error) &&
         parse_state_attribute (node, out, error);
}

static gboolean
parse_features (DomainParser  *parser,
                GError       **error)
{
  xmlNode *features = hangard_xml_find_child (parser->root, "features");

  parser->domain->acpi = FALSE;
  parser->domain->apic = FALSE;
  if (features == NULL)
    return TRUE;

  return hangard_xml_check_children (features, feature_children, error) &&
         parse_switch_feature (features, "acpi", &parser->domain->acpi, error) &&
         parse_switch_feature (features, "apic", &parser->domain->apic, error);
}

/* --- <cpu> --------------------------------------------------------------- */

static const HangardXmlChildRule cpu_children[] = {
  HANGARD_XML_CHILD_ONCE ("model"),
  HANGARD_XML_CHILD_ONCE ("topology"),
  HANGARD_XML_CHILD_ONCE ("cache"),
  HANGARD_XML_CHILD_UNSUPPORTED ("feature", "Hangar does not add or remove single CPU features"),
  HANGARD_XML_CHILD_UNSUPPORTED ("vendor", "Hangar does not change the CPU vendor"),
  HANGARD_XML_CHILD_UNSUPPORTED ("numa", "Hangar does not give guests NUMA nodes"),
  HANGARD_XML_CHILD_RULES_END
};

/* QEMU CPU model names, e.g. "Skylake-Client-IBRS", "EPYC-Rome", "qemu64".
 * Anything else could smuggle options into -cpu. */
static gboolean
cpu_model_name_is_valid (const char *name)
{
  gsize length = strlen (name);

  /* "help" would make QEMU list its models and exit instead of running. */
  if (length == 0 || length > MAX_CPU_MODEL_LEN || g_ascii_strcasecmp (name, "help") == 0)
    return FALSE;

  for (const char *p = name; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_topology_factor (xmlNode     *topology,
                       const char  *attribute,
                       gboolean     required,
                       guint64     *out,
                       GError     **error)
{
  g_autofree char *text = hangard_xml_get_attribute (topology, attribute);
  g_autofree char *shown = NULL;

  if (text == NULL)
    {
      if (required)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                       "<topology> in <cpu> needs a %s attribute", attribute);
          return FALSE;
        }
      *out = 1;
      return TRUE;
    }

  shown = hangard_xml_describe_for_message (text);
  if (!parse_decimal (text, G_MAXUINT32, out) || *out == 0)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Invalid <topology %s='%s'> in <cpu>: expected a positive number",
                   attribute, shown);
      return FALSE;
    }
  return TRUE;
}

/* The topology is checked, not used: a guest sees vCPUs as sockets either
 * way, and a topology that does not add up is a mistake worth telling. */
static gboolean
check_cpu_topology (DomainParser  *parser,
                    xmlNode       *topology,
                    GError       **error)
{
  static const struct {
    const char *name;
    gboolean    required;
  } factors[] = {
    { "sockets", TRUE }, { "dies", FALSE }, { "clusters", FALSE },
    { "cores", TRUE }, { "threads", TRUE },
  };
  guint64 product = 1;

  if (!hangard_xml_check_children (topology, hangard_xml_no_children, error))
    return FALSE;

  for (gsize i = 0; i < G_N_ELEMENTS (factors); i++)
    {
      guint64 factor;

      if (!parse_topology_factor (topology, factors[i].name, factors[i].required,
                                  &factor, error))
        return FALSE;

      /* Saturate: anything past MAX_VCPUS is a mismatch anyway. */
      product = MIN (product * MIN (factor, MAX_VCPUS + 1), MAX_VCPUS + 1);
    }

  if (product != parser->domain->vcpus)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "The CPU <topology> gives %s%" G_GUINT64_FORMAT " vCPUs, but <vcpu> says %u",
                   product > MAX_VCPUS ? "more than " : "",
                   product > MAX_VCPUS ? (guint64) MAX_VCPUS : product,
                   parser->domain->vcpus);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_cpu (DomainParser  *parser,
           GError       **error)
{
  static const HangardXmlEnumValue modes[] = {
    { "host-passthrough", HANGARD_CPU_MODE_HOST_PASSTHROUGH },
    { "host-model", HANGARD_CPU_MODE_HOST_MODEL },
    { "custom", HANGARD_CPU_MODE_CUSTOM },
    { "maximum", HANGARD_XML_ENUM_UNSUPPORTED },
    HANGARD_XML_ENUM_VALUES_END
  };
  HangardDomain *domain = parser->domain;
  xmlNode *cpu = hangard_xml_find_child (parser->root, "cpu");
  xmlNode *model;
  xmlNode *topology;
  int mode;

  domain->cpu_mode = HANGARD_CPU_MODE_DEFAULT;
  if (cpu == NULL)
    return TRUE;

  if (!hangard_xml_check_children (cpu, cpu_children, error))
    return FALSE;

  /* libvirt's default mode is custom. */
  if (!hangard_xml_parse_enum_attribute (cpu, "mode", modes, HANGARD_XML_UNKNOWN_IS_INVALID,
                                         HANGARD_CPU_MODE_CUSTOM,
                                         "use host-passthrough, host-model or a named model",
                                         &mode, error))
    return FALSE;

  topology = hangard_xml_find_child (cpu, "topology");
  if (topology != NULL && !check_cpu_topology (parser, topology, error))
    return FALSE;

  model = hangard_xml_find_child (cpu, "model");
  if (model != NULL && !hangard_xml_check_children (model, hangard_xml_no_children, error))
    return FALSE;

  if (mode != HANGARD_CPU_MODE_CUSTOM)
    {
      /* host-model keeps a <model fallback='allow'/> placeholder; ignoring
       * it is right since the host decides the model. */
      domain->cpu_mode = mode;
      return TRUE;
    }

  if (model != NULL)
    {
      g_autofree char *name = hangard_xml_get_stripped_text (model);

      if (*name != '\0')
        {
          if (!cpu_model_name_is_valid (name))
            {
              g_autofree char *shown = hangard_xml_describe_for_message (name);

              g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "Invalid CPU <model> '%s': expected a QEMU CPU model "
                           "name such as Skylake-Client or EPYC", shown);
              return FALSE;
            }
          domain->cpu_mode = HANGARD_CPU_MODE_CUSTOM;
          domain->cpu_model = g_steal_pointer (&name);
        }
    }

  /* <cpu> with just a topology: QEMU's default model, as in libvirt. */
  return TRUE;
}

/* --- Devices: shared parts ----------------------------------------------- */

static gboolean
parse_device_boot_order (DomainParser  *parser,
                         xmlNode       *device,
                         const char    *device_label,
                         guint         *out,
                         GError       **error)
{
  xmlNode *boot = hangard_xml_find_child (device, "boot");
  g_autofree char *text = NULL;
  const char *other;
  guint64 order;

  *out = 0;
  if (boot == NULL)
    return TRUE;
  if (!hangard_xml_check_children (boot, hangard_xml_no_children, error))
    return FALSE;

  text = hangard_xml_get_attribute (boot, "order");
  if (text == NULL || !parse_decimal (text, G_MAXINT32, &order) || order == 0)
    {
      g_autofree char *shown = hangard_xml_describe_for_message (text != NULL ? text : "");

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Invalid <boot order='%s'> for %s: expected a positive number",
                   shown, device_label);
      return FALSE;
    }

  other = g_hash_table_lookup (parser->boot_orders, GUINT_TO_POINTER ((guint) order));
  if (other != NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Boot order %u is given twice: to %s and to %s",
                   (guint) order, other, device_label);
      return FALSE;
    }

  g_hash_table_insert (parser->boot_orders, GUINT_TO_POINTER ((guint) order),
                       g_strdup (device_label));
  *out = (guint) order;
  return TRUE;
}

/* --- <disk> -------------------------------------------------------------- */

static const HangardXmlChildRule disk_children[] = {
  HANGARD_XML_CHILD_ONCE ("driver"),
  HANGARD_XML_CHILD_ONCE ("source"),
  HANGARD_XML_CHILD_ONCE ("target"),
  HANGARD_XML_CHILD_ONCE ("readonly"),
  HANGARD_XML_CHILD_ONCE ("boot"),
  HANGARD_XML_CHILD_ONCE ("address"),
  HANGARD_XML_CHILD_ONCE ("alias"),
  HANGARD_XML_CHILD_ONCE ("serial"),
  HANGARD_XML_CHILD_RULES_END
};

typedef enum {
  DISK_TYPE_FILE,    /* <disk type='file'>: <source file='/path'/> */
  DISK_TYPE_VOLUME,  /* <disk type='volume'>: <source pool='...' volume='...'/> */
} DiskType;

static const HangardXmlChildRule disk_source_children[] = {
  HANGARD_XML_CHILD_MANY ("seclabel"),
  HANGARD_XML_CHILD_RULES_END
};

/* "vda", "sdb", "hdc": it names the disk in messages and QEMU node names. */
static gboolean
target_dev_is_valid (const char *dev)
{
  gsize length = strlen (dev);

  if (length == 0 || length > MAX_TARGET_DEV_LEN || !g_ascii_islower (dev[0]))
    return FALSE;

  for (const char *p = dev; *p != '\0'; p++)
    {
      if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p))
        return FALSE;
    }
  return TRUE;
}

/* libvirt guesses the bus from the name when <target> has none; "sdX"
 * then means SCSI, which Hangar does not have. */
static gboolean
infer_disk_bus (const char      *dev,
                HangardDiskBus  *bus,
                GError         **error)
{
  if (g_str_has_prefix (dev, "vd"))
    *bus = HANGARD_DISK_BUS_VIRTIO;
  else if (g_str_has_prefix (dev, "hd"))
    *bus = HANGARD_DISK_BUS_IDE;
  else if (g_str_has_prefix (dev, "sd"))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Disk '%s' has no bus, and libvirt reads that as SCSI, which "
                   "Hangar does not have: add bus='sata' to its <target>", dev);
      return FALSE;
    }
  else
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Disk '%s' has no bus: add bus='virtio', 'sata' or 'ide' to its <target>",
                   dev);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_disk_target (DomainParser    *parser,
                   xmlNode         *disk_node,
                   HangardDiskDef  *disk,
                   GError         **error)
{
  static const HangardXmlEnumValue buses[] = {
    { "virtio", HANGARD_DISK_BUS_VIRTIO },
    { "sata", HANGARD_DISK_BUS_SATA },
    { "ide", HANGARD_DISK_BUS_IDE },
    { "scsi", HANGARD_XML_ENUM_UNSUPPORTED }, { "usb", HANGARD_XML_ENUM_UNSUPPORTED },
    { "fdc", HANGARD_XML_ENUM_UNSUPPORTED }, { "xen", HANGARD_XML_ENUM_UNSUPPORTED },
    { "uml", HANGARD_XML_ENUM_UNSUPPORTED }, { "sd", HANGARD_XML_ENUM_UNSUPPORTED },
    HANGARD_XML_ENUM_VALUES_END
  };
  xmlNode *target = hangard_xml_find_child (disk_node, "target");
  g_autofree char *dev = NULL;
  int bus;

  if (target == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "Every <disk> needs a <target dev='...' bus='...'/>");
      return FALSE;
    }
  if (!hangard_xml_check_children (target, hangard_xml_no_children, error))
    return FALSE;

  dev = hangard_xml_get_attribute (target, "dev");
  if (dev == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "<target> in <disk> needs a dev attribute, e.g. dev='vda'");
      return FALSE;
    }
  if (!target_dev_is_valid (dev))
    {
      g_autofree char *shown = hangard_xml_describe_for_message (dev);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Invalid <target dev='%s'> in <disk>: expected a name such as "
                   "vda, sda or hdc", shown);
      return FALSE;
    }
  if (g_hash_table_contains (parser->target_devs, dev))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Two disks have the same <target dev='%s'>", dev);
      return FALSE;
    }

  if (!hangard_xml_parse_enum_attribute (target, "bus", buses, HANGARD_XML_UNKNOWN_IS_INVALID,
                                         HANGARD_XML_ATTRIBUTE_ABSENT,
                                         "Hangar attaches disks with virtio, SATA or IDE", &bus,
                                         error))
    return FALSE;

  if (bus == HANGARD_XML_ATTRIBUTE_ABSENT)
    {
      HangardDiskBus inferred;

      if (!infer_disk_bus (dev, &inferred, error))
        return FALSE;
      bus = inferred;
    }

  g_hash_table_add (parser->target_devs, g_strdup (dev));
  disk->bus = bus;
  disk->target_dev = g_steal_pointer (&dev);
  return TRUE;
}

static gboolean
parse_disk_driver (xmlNode         *disk_node,
                   HangardDiskDef  *disk,
                   gboolean        *format_stated,
                   GError         **error)
{
  static const HangardXmlEnumValue names[] = {
    { "qemu", 0 },
    { "tap", HANGARD_XML_ENUM_UNSUPPORTED }, { "tap2", HANGARD_XML_ENUM_UNSUPPORTED },
    { "phy", HANGARD_XML_ENUM_UNSUPPORTED }, { "file", HANGARD_XML_ENUM_UNSUPPORTED },
    HANGARD_XML_ENUM_VALUES_END
  };
  static const HangardXmlEnumValue formats[] = {
    { "raw", HANGARD_DISK_FORMAT_RAW },
    { "qcow2", HANGARD_DISK_FORMAT_QCOW2 },
    { "none", HANGARD_XML_ENUM_UNSUPPORTED }, { "dir", HANGARD_XML_ENUM_UNSUPPORTED },
    { "bochs", HANGARD_XML_ENUM_UNSUPPORTED }, { "cloop", HANGARD_XML_ENUM_UNSUPPORTED },
    { "dmg", HANGARD_XML_ENUM_UNSUPPORTED }, { "iso", HANGARD_XML_ENUM_UNSUPPORTED },
    { "vpc", HANGARD_XML_ENUM_UNSUPPORTED }, { "vdi", HANGARD_XML_ENUM_UNSUPPORTED },
    { "fat", HANGARD_XML_ENUM_UNSUPPORTED }, { "vhd", HANGARD_XML_ENUM_UNSUPPORTED },
    { "ploop", HANGARD_XML_ENUM_UNSUPPORTED }, { "cow", HANGARD_XML_ENUM_UNSUPPORTED },
    { "qcow", HANGARD_XML_ENUM_UNSUPPORTED }, { "qed", HANGARD_XML_ENUM_UNSUPPORTED },
    { "vmdk", HANGARD_XML_ENUM_UNSUPPORTED }, { "luks", HANGARD_XML_ENUM_UNSUPPORTED },
    HANGARD_XML_ENUM_VALUES_END
  };
  static const HangardXmlEnumValue caches[] = {
    { "default", HANGARD_DISK_CACHE_DEFAULT },
    { "none", HANGARD_DISK_CACHE_NONE },
    { "writeback", HANGARD_DISK_CACHE_WRITEBACK },
    { "writethrough", HANGARD_DISK_CACHE_WRITETHROUGH },
    { "directsync", HANGARD_DISK_CACHE_DIRECTSYNC },
    { "unsafe", HANGARD_DISK_CACHE_UNSAFE },
    HANGARD_XML_ENUM_VALUES_END
  };
  xmlNode *driver = hangard_xml_find_child (disk_node, "driver");
  int name;
  int format;
  int cache;

  disk->format = HANGARD_DISK_FORMAT_RAW;
  disk->cache = HANGARD_DISK_CACHE_DEFAULT;
  *format_stated = FALSE;
  if (driver == NULL)
    return TRUE;

  if (!hangard_xml_check_children (driver, hangard_xml_no_children, error) ||
      !hangard_xml_parse_enum_attribute (driver, "name", names, HANGARD_XML_UNKNOWN_IS_INVALID,
                                         0, "Hangar runs disks with QEMU (name='qemu')", &name,
                                         error) ||
      !hangard_xml_parse_enum_attribute (driver, "type", formats,
                                         HANGARD_XML_UNKNOWN_IS_INVALID,
                                         HANGARD_XML_ATTRIBUTE_ABSENT,
                                         "convert the image to qcow2 or raw (qemu-img convert)",
                                         &format, error) ||
      !hangard_xml_parse_enum_attribute (driver, "cache", caches,
                                         HANGARD_XML_UNKNOWN_IS_INVALID,
                                         HANGARD_DISK_CACHE_DEFAULT, NULL, &cache, error))
    return FALSE;

  if (format != HANGARD_XML_ATTRIBUTE_ABSENT)
    {
      disk->format = format;
      *format_stated = TRUE;
    }
  disk->cache = cache;
  return TRUE;
}

static gboolean
parse_file_source (xmlNode         *source,
                   HangardDiskDef  *disk,
                   GError         **error)
{
  g_autofree char *file = hangard_xml_get_attribute (source, "file");
  g_autofree char *what = NULL;

  if (file == NULL)
    {
      /* libvirt's way of writing an empty CD-ROM drive. */
      if (disk->device == HANGARD_DISK_DEVICE_CDROM)
        return TRUE;

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "<source> of disk '%s' needs a file attribute", disk->target_dev);
      return FALSE;
    }

  what = g_strdup_printf ("<source file> of disk '%s'", disk->target_dev);
  if (!check_absolute_path (file, what, error))
    return FALSE;

  disk->source_file = g_steal_pointer (&file);
  return TRUE;
}

/* <source pool='vmdisk' volume='disk.qcow2'/>: the engine finds the file
 * when the machine starts, so only the names are checked here. */
static gboolean
parse_volume_source (xmlNode         *source,
                     HangardDiskDef  *disk,
                     GError         **error)
{
  g_autofree char *pool = hangard_xml_get_attribute (source, "pool");
  g_autofree char *volume = hangard_xml_get_attribute (source, "volume");

  /* As in libvirt: neither is an empty CD-ROM drive, one alone a mistake. */
  if (pool == NULL && volume == NULL && disk->device == HANGARD_DISK_DEVICE_CDROM)
    return TRUE;

  if (pool == NULL || volume == NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "<source> of disk '%s' needs both a pool and a volume attribute, "
                   "e.g. <source pool='default' volume='disk.qcow2'/>", disk->target_dev);
      return FALSE;
    }

  if (!hangard_pool_name_is_valid (pool, error) ||
      !hangard_volume_name_is_valid (volume, error))
    {
      g_prefix_error (error, "Disk '%s': ", disk->target_dev);
      return FALSE;
    }

  disk->source_pool = g_steal_pointer (&pool);
  disk->source_volume = g_steal_pointer (&volume);
  return TRUE;
}

static gboolean
parse_disk_source (xmlNode         *disk_node,
                   HangardDiskDef  *disk,
                   DiskType         type,
                   GError         **error)
{
  xmlNode *source = hangard_xml_find_child (disk_node, "source");

  if (source == NULL)
    return TRUE;
  if (!hangard_xml_check_children (source, disk_source_children, error))
    return FALSE;

  if (type == DISK_TYPE_VOLUME)
    return parse_volume_source (source, disk, error);
  return parse_file_source (source, disk, error);
}

static gboolean
check_disk_has_source (HangardDiskDef  *disk,
                       DiskType         type,
                       GError         **error)
{
  if (disk->device != HANGARD_DISK_DEVICE_DISK ||
      disk->source_file != NULL || disk->source_volume != NULL)
    return TRUE;

  if (type == DISK_TYPE_VOLUME)
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                 "Disk '%s' needs a <source pool='...' volume='...'/> naming its volume",
                 disk->target_dev);
  else
    g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                 "Disk '%s' needs a <source file='...'/> naming its image",
                 disk->target_dev);
  return FALSE;
}

/* What QEMU would refuse at start, told now with the way out. */
static gboolean
check_disk_combination (DomainParser    *parser,
                        HangardDiskDef  *disk,
                        GError         **error)
{
  if (disk->device == HANGARD_DISK_DEVICE_CDROM && disk->bus == HANGARD_DISK_BUS_VIRTIO)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "CD-ROM drive '%s' cannot be on the virtio bus: use bus='sata' or 'ide'",
                   disk->target_dev);
      return FALSE;
    }

  if (disk->device == HANGARD_DISK_DEVICE_DISK && disk->readonly &&
      disk->bus != HANGARD_DISK_BUS_VIRTIO)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Read-only disk '%s' must be on the virtio bus: QEMU's SATA and "
                   "IDE hard disks cannot be read-only", disk->target_dev);
      return FALSE;
    }

  if (disk->bus == HANGARD_DISK_BUS_IDE && machine_type_is_q35 (parser->domain->machine_type))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Disk '%s' is on the IDE bus, which the q35 machine does not "
                   "have: use bus='sata'", disk->target_dev);
      return FALSE;
    }

  return TRUE;
}

static gboolean
parse_disk (DomainParser  *parser,
            xmlNode       *node,
            GError       **error)
{
  static const HangardXmlEnumValue types[] = {
    { "file", DISK_TYPE_FILE },
    { "volume", DISK_TYPE_VOLUME },
    { "block", HANGARD_XML_ENUM_UNSUPPORTED }, { "dir", HANGARD_XML_ENUM_UNSUPPORTED },
    { "network", HANGARD_XML_ENUM_UNSUPPORTED }, { "nvme", HANGARD_XML_ENUM_UNSUPPORTED },
    { "vhostuser", HANGARD_XML_ENUM_UNSUPPORTED }, { "vhostvdpa", HANGARD_XML_ENUM_UNSUPPORTED },
    HANGARD_XML_ENUM_VALUES_END
  };
  static const HangardXmlEnumValue devices[] = {
    { "disk", HANGARD_DISK_DEVICE_DISK },
    { "cdrom", HANGARD_DISK_DEVICE_CDROM },
    { "floppy", HANGARD_XML_ENUM_UNSUPPORTED }, { "lun", HANGARD_XML_ENUM_UNSUPPORTED },
    HANGARD_XML_ENUM_VALUES_END
  };
  g_autoptr(HangardDiskDef) disk = g_new0 (HangardDiskDef, 1);
  g_autofree char *label = NULL;
  gboolean format_stated = FALSE;
  xmlNode *readonly;
  int type;
  int device;

  /* The type first: for a disk Hangar cannot run, that is the news. */
  if (!hangard_xml_parse_enum_attribute (node, "type", types, HANGARD_XML_UNKNOWN_IS_INVALID,
                                         DISK_TYPE_FILE,
                                         "Hangar runs disk images stored in files (type='file') "
                                         "or in storage pools (type='volume')",
                                         &type, error) ||
      !hangard_xml_parse_enum_attribute (node, "device", devices,
                                         HANGARD_XML_UNKNOWN_IS_INVALID,
                                         HANGARD_DISK_DEVICE_DISK,
                                         "Hangar offers hard disks and CD-ROM drives only",
                                         &device, error) ||
      !hangard_xml_check_children (node, disk_children, error))
    return FALSE;

  disk->device = device;
  if (!parse_disk_target (parser, node, disk, error) ||
      !parse_disk_driver (node, disk, &format_stated, error) ||
      !parse_disk_source (node, disk, type, error) ||
      !check_disk_has_source (disk, type, error))
    return FALSE;

  /* Probing a format lets a guest that writes a qcow2 header into a raw
   * image read host files through it. A volume's file is probed when its
   * pool lists it, but the definition still says what the guest gets. */
  if ((disk->source_file != NULL || disk->source_volume != NULL) && !format_stated)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Disk '%s': state the format with <driver name='qemu' type='qcow2'/> "
                   "(or type='raw'): Hangar never guesses an image format",
                   disk->target_dev);
      return FALSE;
    }

  readonly = hangard_xml_find_child (node, "readonly");
  if (readonly != NULL && !hangard_xml_check_children (readonly, hangard_xml_no_children, error))
    return FALSE;
  /* A CD-ROM is read-only whether or not it says so. */
  disk->readonly = readonly != NULL || disk->device == HANGARD_DISK_DEVICE_CDROM;

  label = g_strdup_printf ("disk '%s'", disk->target_dev);
  if (!parse_device_boot_order (parser, node, label, &disk->boot_order, error) ||
      !check_disk_combination (parser, disk, error))
    return FALSE;

  g_ptr_array_add (parser->domain->disks, g_steal_pointer (&disk));
  return TRUE;
}

/* --- <interface> --------------------------------------------------------- */

static const HangardXmlChildRule interface_children[] = {
  HANGARD_XML_CHILD_ONCE ("mac"),
  HANGARD_XML_CHILD_ONCE ("source"),
  HANGARD_XML_CHILD_ONCE ("target"),
  HANGARD_XML_CHILD_ONCE ("model"),
  HANGARD_XML_CHILD_ONCE ("backend"),
  HANGARD_XML_CHILD_MANY ("portForward"),
  HANGARD_XML_CHILD_ONCE ("boot"),
  HANGARD_XML_CHILD_ONCE ("address"),
  HANGARD_XML_CHILD_ONCE ("alias"),
  HANGARD_XML_CHILD_RULES_END
};

static const HangardXmlChildRule port_forward_children[] = {
  HANGARD_XML_CHILD_MANY ("range"),
  HANGARD_XML_CHILD_RULES_END
};

static gboolean
parse_nic_mac (DomainParser   *parser,
               xmlNode        *interface,
               HangardNicDef  *nic,
               GError        **error)
{
  xmlNode *mac = hangard_xml_find_child (interface, "mac");
  g_autofree char *address = NULL;
  g_autofree char *normalized = NULL;

  if (mac == NULL)
    return TRUE;
  if (!hangard_xml_check_children (mac, hangard_xml_no_children, error))
    return FALSE;

  address = hangard_xml_get_attribute (mac, "address");
  if (address == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "<mac> in <interface> needs an address attribute");
      return FALSE;
    }

  normalized = hangard_xml_parse_unicast_mac (address, HANGAR_ERROR_INVALID_XML, error);
  if (normalized == NULL)
    return FALSE;

  if (g_hash_table_contains (parser->macs, normalized))
    {
      g_autofree char *shown = hangard_xml_describe_for_message (address);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Two network interfaces have the same MAC address '%s'", shown);
      return FALSE;
    }

  g_hash_table_add (parser->macs, g_strdup (normalized));
  nic->mac = g_steal_pointer (&normalized);
  return TRUE;
}

static gboolean
parse_nic_model (xmlNode        *interface,
                 HangardNicDef  *nic,
                 GError        **error)
{
  static const HangardXmlEnumValue models[] = {
    { "virtio", HANGARD_NIC_MODEL_VIRTIO },
    { "e1000", HANGARD_NIC_MODEL_E1000 },
    { "rtl8139", HANGARD_NIC_MODEL_RTL8139 },
    HANGARD_XML_ENUM_VALUES_END
  };
  xmlNode *model = hangard_xml_find_child (interface, "model");
  int value;

  nic->model = HANGARD_NIC_MODEL_VIRTIO;
  if (model == NULL)
    return TRUE;

  /* libvirt hands any model name to QEMU, so unknown ones are valid XML. */
  if (!hangard_xml_check_children (model, hangard_xml_no_children, error) ||
      !hangard_xml_parse_enum_attribute (model, "type", models,
                                         HANGARD_XML_UNKNOWN_IS_UNSUPPORTED,
                                         HANGARD_XML_ATTRIBUTE_REQUIRED,
                                         "Hangar offers virtio, e1000 and rtl8139 network cards",
                                         &value, error))
    return FALSE;

  nic->model = value;
  return TRUE;
}

/* <source portgroup='...'> picks one of a network's port groups, which
 * Hangar's networks do not have. portid and bridge are what libvirt shows
 * of a running machine, and are ignored. */
static gboolean
check_network_source (xmlNode     *source,
                      const char  *network,
                      GError     **error)
{
  g_autofree char *portgroup = hangard_xml_get_attribute (source, "portgroup");

  if (portgroup != NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           "Unsupported <source portgroup='...'> in <interface>: Hangar's "
                           "networks have no port groups");
      return FALSE;
    }
  return hangard_xml_check_name (network, "network", HANGARD_DOMAIN_MAX_NAME_LEN, TRUE, error);
}

static gboolean
set_missing_source_error (HangardNicType   type,
                          GError         **error)
{
  if (type == HANGARD_NIC_TYPE_NETWORK)
    g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                         "<interface type='network'> needs the virtual network it joins: "
                         "<source network='default'/>");
  else
    g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                         "<interface type='bridge'> needs the host bridge it joins: "
                         "<source bridge='br0'/>");
  return FALSE;
}

/* <source network='default'/> or <source bridge='br0'/>. */
static gboolean
parse_nic_source (xmlNode        *interface,
                  HangardNicDef  *nic,
                  GError        **error)
{
  xmlNode *source = hangard_xml_find_child (interface, "source");
  g_autofree char *name = NULL;

  if (nic->type == HANGARD_NIC_TYPE_USER)
    {
      if (source == NULL)
        return TRUE;
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           "Unsupported <source> in <interface type='user'>: user-mode "
                           "networking has no source; use type='network' or type='bridge' "
                           "to join a network");
      return FALSE;
    }

  if (source != NULL)
    name = hangard_xml_get_attribute (source, nic->type == HANGARD_NIC_TYPE_NETWORK
                                              ? "network" : "bridge");
  if (name == NULL)
    return set_missing_source_error (nic->type, error);

  if (!hangard_xml_check_children (source, hangard_xml_no_children, error))
    return FALSE;
  if (nic->type == HANGARD_NIC_TYPE_NETWORK
      ? !check_network_source (source, name, error)
      : !hangard_ifname_is_valid (name, error))
    return FALSE;

  nic->source = g_steal_pointer (&name);
  return TRUE;
}

/* <target dev='vnet0'/> is what libvirt named the tap; Hangar names its
 * own, so the name is kept in the document and otherwise ignored. */
static gboolean
check_nic_target (xmlNode  *interface,
                  GError  **error)
{
  static const HangardXmlEnumValue managed_values[] = {
    { "yes", TRUE }, { "no", HANGARD_XML_ENUM_UNSUPPORTED }, HANGARD_XML_ENUM_VALUES_END
  };
  xmlNode *target = hangard_xml_find_child (interface, "target");
  int managed;

  if (target == NULL)
    return TRUE;

  return hangard_xml_check_children (target, hangard_xml_no_children, error) &&
         hangard_xml_parse_enum_attribute (target, "managed", managed_values,
                                           HANGARD_XML_UNKNOWN_IS_INVALID, TRUE,
                                           "Hangar creates the tap device of an interface "
                                           "itself", &managed, error);
}

/* <backend type='default'/> lets the engine pick the user-mode stack
 * (passt when it can, else QEMU's slirp); type='passt' insists on passt.
 * Device paths are not taken: the engine opens what a NIC needs itself. */
static gboolean
parse_nic_backend (xmlNode       *interface,
                   HangardNicDef *nic,
                   GError       **error)
{
  static const HangardXmlEnumValue types[] = {
    { "default", HANGARD_NIC_BACKEND_DEFAULT }, { "passt", HANGARD_NIC_BACKEND_PASST },
    HANGARD_XML_ENUM_VALUES_END
  };
  static const char *const device_attributes[] = { "tap", "vhost", "logFile" };
  xmlNode *backend = hangard_xml_find_child (interface, "backend");
  int type;

  if (backend == NULL)
    return TRUE;

  if (!hangard_xml_check_children (backend, hangard_xml_no_children, error) ||
      !hangard_xml_parse_enum_attribute (backend, "type", types,
                                         HANGARD_XML_UNKNOWN_IS_INVALID, HANGARD_NIC_BACKEND_DEFAULT,
                                         "Hangar runs user-mode networking with QEMU's own "
                                         "stack (type='default') or passt (type='passt')",
                                         &type, error))
    return FALSE;

  for (gsize i = 0; i < G_N_ELEMENTS (device_attributes); i++)
    {
      g_autofree char *value = hangard_xml_get_attribute (backend, device_attributes[i]);

      if (value != NULL)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       "Unsupported <backend %s='...'> in <interface>: Hangar opens the "
                       "devices an interface needs itself", device_attributes[i]);
          return FALSE;
        }
    }

  if (type == HANGARD_NIC_BACKEND_PASST && nic->type != HANGARD_NIC_TYPE_USER)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Unsupported <backend type='passt'> on a type='network' or type='bridge' "
                   "interface: passt is user-mode networking (type='user')");
      return FALSE;
    }
  nic->backend = type;
  return TRUE;
}

/* A port number attribute of <range>; `required` or else 0 when absent. */
static gboolean
parse_port_attribute (xmlNode     *range,
                      const char  *attribute,
                      gboolean     required,
                      guint       *out,
                      GError     **error)
{
  g_autofree char *text = hangard_xml_get_attribute (range, attribute);
  g_autofree char *shown = NULL;
  guint64 port;

  *out = 0;
  if (text == NULL && !required)
    return TRUE;

  if (text == NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "<range> in <portForward> needs a %s attribute: the host port, e.g. "
                   "<range start='2222' to='22'/>", attribute);
      return FALSE;
    }

  if (!parse_decimal (text, 65535, &port) || port == 0)
    {
      shown = hangard_xml_describe_for_message (text);
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Invalid <range %s='%s'> in <portForward>: expected a port number "
                   "from 1 to 65535", attribute, shown);
      return FALSE;
    }

  *out = (guint) port;
  return TRUE;
}

static gboolean
check_single_port_range (xmlNode  *range,
                         GError  **error)
{
  static const char *const range_attributes[] = { "end", "exclude" };

  for (gsize i = 0; i < G_N_ELEMENTS (range_attributes); i++)
    {
      g_autofree char *value = hangard_xml_get_attribute (range, range_attributes[i]);

      if (value != NULL)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       "Unsupported <range %s='...'> in <portForward>: Hangar forwards "
                       "single ports; write one <portForward> for each", range_attributes[i]);
          return FALSE;
        }
    }
  return hangard_xml_check_children (range, hangard_xml_no_children, error);
}

static guint
count_children_named (xmlNode    *parent,
                      const char *name)
{
  guint count = 0;

  HANGARD_XML_FOR_EACH_CHILD_ELEMENT (child, parent)
    {
      if (hangard_xml_is_element_named (child, name))
        count++;
    }
  return count;
}

/* <range start='HOSTPORT' to='GUESTPORT'/>: one per <portForward>. */
static gboolean
parse_port_forward_range (xmlNode             *port_forward,
                          HangardPortForward  *forward,
                          GError             **error)
{
  xmlNode *range = hangard_xml_find_child (port_forward, "range");

  if (range == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "<portForward> needs a <range start='HOSTPORT' to='GUESTPORT'/>");
      return FALSE;
    }
  if (count_children_named (port_forward, "range") > 1)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           "Unsupported second <range> in <portForward>: Hangar forwards "
                           "one port per <portForward>; write one for each");
      return FALSE;
    }

  if (!check_single_port_range (range, error) ||
      !parse_port_attribute (range, "start", TRUE, &forward->host_port, error) ||
      !parse_port_attribute (range, "to", FALSE, &forward->guest_port, error))
    return FALSE;

  /* As in libvirt: without `to`, the guest port is the host port. */
  if (forward->guest_port == 0)
    forward->guest_port = forward->host_port;
  return TRUE;
}

/* address='127.0.0.1': the host address QEMU listens on; all when absent. */
static gboolean
parse_port_forward_address (xmlNode             *port_forward,
                            HangardPortForward  *forward,
                            GError             **error)
{
  g_autofree char *address = hangard_xml_get_attribute (port_forward, "address");
  g_autofree char *dev = hangard_xml_get_attribute (port_forward, "dev");
  g_autofree char *shown = NULL;

  if (dev != NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           "Unsupported <portForward dev='...'>: Hangar listens on a host "
                           "address (address='...'), not on a device");
      return FALSE;
    }
  if (address == NULL)
    return TRUE;

  shown = hangard_xml_describe_for_message (address);
  if (strchr (address, ':') != NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   "Unsupported <portForward address='%s'>: Hangar forwards ports from "
                   "IPv4 host addresses", shown);
      return FALSE;
    }
  if (!hangard_ipv4_parse (address, NULL))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Invalid <portForward address='%s'>: expected an IPv4 address such "
                   "as 127.0.0.1", shown);
      return FALSE;
    }

  forward->host_address = g_steal_pointer (&address);
  return TRUE;
}

/* Two forwards of one host port could not both listen. */
static gboolean
claim_host_port (DomainParser        *parser,
                 HangardPortForward  *forward,
                 GError             **error)
{
  g_autofree char *key = g_strdup_printf ("%s:%u", forward->protocol, forward->host_port);

  if (g_hash_table_contains (parser->host_ports, key))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                   "Host port %u (%s) is forwarded twice", forward->host_port,
                   forward->protocol);
      return FALSE;
    }
  g_hash_table_add (parser->host_ports, g_steal_pointer (&key));
  return TRUE;
}

static gboolean
parse_port_forward (DomainParser   *parser,
                    xmlNode        *node,
                    HangardNicDef  *nic,
                    GError        **error)
{
  static const HangardXmlEnumValue protocols[] = {
    { "tcp", 0 }, { "udp", 1 }, HANGARD_XML_ENUM_VALUES_END
  };
  g_autoptr(HangardPortForward) forward = g_new0 (HangardPortForward, 1);
  int protocol;

  if (!hangard_xml_parse_enum_attribute (node, "proto", protocols,
                                         HANGARD_XML_UNKNOWN_IS_INVALID,
                                         HANGARD_XML_ATTRIBUTE_REQUIRED, NULL,
                                         &protocol, error) ||
      !hangard_xml_check_children (node, port_forward_children, error))
    return FALSE;

  forward->protocol = g_strdup (protocols[protocol].name);
  if (!parse_port_forward_address (node, forward, error) ||
      !parse_port_forward_range (node, forward, error) ||
      !claim_host_port (parser, forward, error))
    return FALSE;

  g_ptr_array_add (nic->port_forwards, g_steal_pointer (&forward));
  return TRUE;
}

static gboolean
parse_nic_port_forwards (DomainParser   *parser,
                         xmlNode        *interface,
                         HangardNicDef  *nic,
                         GError        **error)
{
  HANGARD_XML_FOR_EACH_CHILD_ELEMENT (child, interface)
    {
      if (!hangard_xml_is_element_named (child, "portForward"))
        continue;

      if (nic->type != HANGARD_NIC_TYPE_USER)
        {
          g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                               "Unsupported <portForward> in an interface of type "
                               "'network' or 'bridge': port forwarding is for user-mode "
                               "interfaces (type='user'); a guest on a network is reached "
                               "at its own address");
          return FALSE;
        }
      if (!parse_port_forward (parser, child, nic, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_interface (DomainParser  *parser,
                 xmlNode       *node,
                 GError       **error)
{
  static const HangardXmlEnumValue types[] = {
    { "user", HANGARD_NIC_TYPE_USER },
    { "network", HANGARD_NIC_TYPE_NETWORK }, { "bridge", HANGARD_NIC_TYPE_BRIDGE },
    { "direct", HANGARD_XML_ENUM_UNSUPPORTED }, { "ethernet", HANGARD_XML_ENUM_UNSUPPORTED },
    { "vhostuser", HANGARD_XML_ENUM_UNSUPPORTED }, { "server", HANGARD_XML_ENUM_UNSUPPORTED },
    { "client", HANGARD_XML_ENUM_UNSUPPORTED }, { "mcast", HANGARD_XML_ENUM_UNSUPPORTED },
    { "udp", HANGARD_XML_ENUM_UNSUPPORTED }, { "internal", HANGARD_XML_ENUM_UNSUPPORTED },
    { "hostdev", HANGARD_XML_ENUM_UNSUPPORTED }, { "vdpa", HANGARD_XML_ENUM_UNSUPPORTED },
    { "null", HANGARD_XML_ENUM_UNSUPPORTED }, { "vds", HANGARD_XML_ENUM_UNSUPPORTED },
    HANGARD_XML_ENUM_VALUES_END
  };
  g_autoptr(HangardNicDef) nic = nic_def_new ();
  g_autofree char *label = NULL;
  int type;

  if (!hangard_xml_parse_enum_attribute (node, "type", types, HANGARD_XML_UNKNOWN_IS_INVALID,
                                         HANGARD_XML_ATTRIBUTE_REQUIRED,
                                         "Hangar offers user-mode networking (type='user'), "
                                         "virtual networks (type='network') and host "
                                         "bridges (type='bridge')",
                                         &type, error) ||
      !hangard_xml_check_children (node, interface_children, error))
    return FALSE;

  nic->type = type;
  if (!parse_nic_mac (parser, node, nic, error) ||
      !parse_nic_model (node, nic, error) ||
      !parse_nic_source (node, nic, error) ||
      !check_nic_target (node, error) ||
      !parse_nic_backend (node, nic, error) ||
      !parse_nic_port_forwards (parser, node, nic, error))
    return FALSE;

  label = nic->mac != NULL
          ? g_strdup_printf ("network interface %s", nic->mac)
          : g_strdup_printf ("network interface %u", parser->domain->nics->len + 1);
  if (!parse_device_boot_order (parser, node, label, &nic->boot_order, error))
    return FALSE;

  if (nic->mac == NULL)
    {
      g_ptr_array_add (parser->interfaces_without_mac, node);
      g_ptr_array_add (parser->nics_without_mac, nic);
    }
  g_ptr_array_add (parser->domain->nics, g_steal_pointer (&nic));
  return TRUE;
}

/* 52:54:00 is QEMU's prefix, as libvirt uses. Runs after every interface
 * was read, so a generated address cannot clash with a later stated one. */
static void
insert_generated_macs (DomainParser *parser)
{
  for (guint i = 0; i < parser->nics_without_mac->len; i++)
    {
      xmlNode *interface = parser->interfaces_without_mac->pdata[i];
      HangardNicDef *nic = parser->nics_without_mac->pdata[i];
      g_autofree char *mac = NULL;
      xmlNode *mac_node;

      do
        {
          g_clear_pointer (&mac, g_free);
          mac = g_strdup_printf ("52:54:00:%02x:%02x:%02x",
                                 g_random_int_range (0, 256),
                                 g_random_int_range (0, 256),
                                 g_random_int_range (0, 256));
        }
      while (g_hash_table_contains (parser->macs, mac));

      g_hash_table_add (parser->macs, g_strdup (mac));

      mac_node = xmlNewDocNode (parser->domain->doc, NULL, BAD_CAST "mac", NULL);
      xmlNewProp (mac_node, BAD_CAST "address", BAD_CAST mac);
      /* libvirt writes <mac> first in <interface>. */
      if (interface->children != NULL)
        xmlAddPrevSibling (interface->children, mac_node);
      else
        xmlAddChild (interface, mac_node);

      nic->mac = g_steal_pointer (&mac);
    }
}

/* --- <graphics>, <video> ------------------------------------------------- */

static const HangardXmlChildRule graphics_children[] = {
  HANGARD_XML_CHILD_MANY ("listen"),
  HANGARD_XML_CHILD_RULES_END
};

static gboolean
parse_graphics (DomainParser  *parser,
                xmlNode       *node,
                GError       **error)
{
  static const HangardXmlEnumValue types[] = {
    { "vnc", 0 },
    { "spice", HANGARD_XML_ENUM_UNSUPPORTED }, { "sdl", HANGARD_XML_ENUM_UNSUPPORTED },
    { "rdp", HANGARD_XML_ENUM_UNSUPPORTED }, { "desktop", HANGARD_XML_ENUM_UNSUPPORTED },
    { "egl-headless", HANGARD_XML_ENUM_UNSUPPORTED }, { "dbus", HANGARD_XML_ENUM_UNSUPPORTED },
    HANGARD_XML_ENUM_VALUES_END
  };
  int type;

  /* Ports, listen addresses and passwords have no effect: Hangar never
   * opens a TCP port and hands VNC clients to QEMU through QMP. */
  if (!hangard_xml_parse_enum_attribute (node, "type", types, HANGARD_XML_UNKNOWN_IS_INVALID,
                                         HANGARD_XML_ATTRIBUTE_REQUIRED,
                                         "Hangar shows machines over VNC (type='vnc')", &type,
                                         error) ||
      !hangard_xml_check_children (node, graphics_children, error))
    return FALSE;

  if (parser->domain->has_vnc)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           "The definition has more than one <graphics>: Hangar "
                           "gives a machine one display");
      return FALSE;
    }

  parser->domain->has_vnc = TRUE;
  return TRUE;
}

static const HangardXmlChildRule video_children[] = {
  HANGARD_XML_CHILD_ONCE ("model"),
  HANGARD_XML_CHILD_ONCE ("address"),
  HANGARD_XML_CHILD_ONCE ("alias"),
  HANGARD_XML_CHILD_RULES_END
};

static const HangardXmlChildRule video_model_children[] = {
  HANGARD_XML_CHILD_ONCE ("acceleration"),
  HANGARD_XML_CHILD_RULES_END
};

static gboolean
parse_video (DomainParser  *parser,
             xmlNode       *node,
             gboolean      *seen_video,
             GError       **error)
{
  static const HangardXmlEnumValue models[] = {
    { "vga", HANGARD_VIDEO_VGA },
    { "virtio", HANGARD_VIDEO_VIRTIO },
    { "none", HANGARD_VIDEO_NONE },
    { "cirrus", HANGARD_XML_ENUM_UNSUPPORTED }, { "qxl", HANGARD_XML_ENUM_UNSUPPORTED },
    { "vmvga", HANGARD_XML_ENUM_UNSUPPORTED }, { "bochs", HANGARD_XML_ENUM_UNSUPPORTED },
    { "ramfb", HANGARD_XML_ENUM_UNSUPPORTED }, { "xen", HANGARD_XML_ENUM_UNSUPPORTED },
    { "vbox", HANGARD_XML_ENUM_UNSUPPORTED }, { "parallels", HANGARD_XML_ENUM_UNSUPPORTED },
    { "gop", HANGARD_XML_ENUM_UNSUPPORTED },
    HANGARD_XML_ENUM_VALUES_END
  };
  xmlNode *model;
  int value = HANGARD_VIDEO_VGA;

  if (*seen_video)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           "The definition has more than one <video>: Hangar gives "
                           "a machine one video card");
      return FALSE;
    }
  *seen_video = TRUE;

  if (!hangard_xml_check_children (node, video_children, error))
    return FALSE;

  model = hangard_xml_find_child (node, "model");
  if (model != NULL)
    {
      xmlNode *acceleration;

      if (!hangard_xml_check_children (model, video_model_children, error) ||
          !hangard_xml_parse_enum_attribute (model, "type", models,
                                             HANGARD_XML_UNKNOWN_IS_INVALID, HANGARD_VIDEO_VGA,
                                             "Hangar offers the vga and virtio video cards",
                                             &value, error))
        return FALSE;

      acceleration = hangard_xml_find_child (model, "acceleration");
      if (acceleration != NULL)
        {
          g_autofree char *accel3d = hangard_xml_get_attribute (acceleration, "accel3d");

          if (g_strcmp0 (accel3d, "yes") == 0)
            {
              g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                                   "Unsupported <acceleration accel3d='yes'> in <model>: "
                                   "Hangar does not offer 3D acceleration");
              return FALSE;
            }
        }
    }

  parser->domain->video = value;
  return TRUE;
}

/* --- <serial>, <console>, <input> ---------------------------------------- */

static const HangardXmlChildRule character_device_children[] = {
  HANGARD_XML_CHILD_ONCE ("source"),
  HANGARD_XML_CHILD_ONCE ("target"),
  HANGARD_XML_CHILD_ONCE ("log"),
  HANGARD_XML_CHILD_ONCE ("protocol"),
  HANGARD_XML_CHILD_ONCE ("address"),
  HANGARD_XML_CHILD_ONCE ("alias"),
  HANGARD_XML_CHILD_RULES_END
};

/* Whatever the backend, the guest's one serial port goes to Hangar's
 * socket and log, so a pty, file or socket all mean "a serial port". */
static const HangardXmlEnumValue character_device_types[] = {
  { "pty", 0 }, { "file", 0 }, { "unix", 0 },
  { "null", HANGARD_XML_ENUM_UNSUPPORTED }, { "vc", HANGARD_XML_ENUM_UNSUPPORTED },
  { "dev", HANGARD_XML_ENUM_UNSUPPORTED }, { "pipe", HANGARD_XML_ENUM_UNSUPPORTED },
  { "stdio", HANGARD_XML_ENUM_UNSUPPORTED }, { "udp", HANGARD_XML_ENUM_UNSUPPORTED },
  { "tcp", HANGARD_XML_ENUM_UNSUPPORTED }, { "spicevmc", HANGARD_XML_ENUM_UNSUPPORTED },
  { "spiceport", HANGARD_XML_ENUM_UNSUPPORTED }, { "nmdm", HANGARD_XML_ENUM_UNSUPPORTED },
  { "qemu-vdagent", HANGARD_XML_ENUM_UNSUPPORTED }, { "dbus", HANGARD_XML_ENUM_UNSUPPORTED },
  HANGARD_XML_ENUM_VALUES_END
};

#define CHARACTER_DEVICE_REASON \
  "Hangar connects the serial port to its own console (type='pty', 'file' or 'unix')"

static gboolean
parse_serial (DomainParser  *parser,
              xmlNode       *node,
              gboolean      *seen_serial,
              GError       **error)
{
  int type;

  if (!hangard_xml_parse_enum_attribute (node, "type", character_device_types,
                                         HANGARD_XML_UNKNOWN_IS_INVALID,
                                         HANGARD_XML_ATTRIBUTE_REQUIRED,
                                         CHARACTER_DEVICE_REASON, &type, error) ||
      !hangard_xml_check_children (node, character_device_children, error))
    return FALSE;

  if (*seen_serial)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           "The definition has more than one <serial>: Hangar gives "
                           "a machine one serial port");
      return FALSE;
    }

  *seen_serial = TRUE;
  parser->domain->has_serial = TRUE;
  return TRUE;
}

static gboolean
parse_console (DomainParser  *parser,
               xmlNode       *node,
               gboolean      *seen_console,
               GError       **error)
{
  static const HangardXmlEnumValue target_types[] = {
    { "serial", 0 },
    { "virtio", HANGARD_XML_ENUM_UNSUPPORTED }, { "xen", HANGARD_XML_ENUM_UNSUPPORTED },
    { "uml", HANGARD_XML_ENUM_UNSUPPORTED }, { "lxc", HANGARD_XML_ENUM_UNSUPPORTED },
    { "openvz", HANGARD_XML_ENUM_UNSUPPORTED }, { "sclp", HANGARD_XML_ENUM_UNSUPPORTED },
    { "sclplm", HANGARD_XML_ENUM_UNSUPPORTED },
    HANGARD_XML_ENUM_VALUES_END
  };
  xmlNode *target;
  int type;

  if (!hangard_xml_parse_enum_attribute (node, "type", character_device_types,
                                         HANGARD_XML_UNKNOWN_IS_INVALID,
                                         HANGARD_XML_ATTRIBUTE_REQUIRED,
                                         CHARACTER_DEVICE_REASON, &type, error) ||
      !hangard_xml_check_children (node, character_device_children, error))
    return FALSE;

  /* A serial console is the serial port seen from the host; a virtio
   * console would be another device. */
  target = hangard_xml_find_child (node, "target");
  if (target != NULL &&
      !hangard_xml_parse_enum_attribute (target, "type", target_types,
                                         HANGARD_XML_UNKNOWN_IS_INVALID, 0,
                                         "Hangar's console is the serial port (type='serial')",
                                         &type, error))
    return FALSE;

  if (*seen_console)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           "The definition has more than one <console>: Hangar gives "
                           "a machine one serial console");
      return FALSE;
    }

  *seen_console = TRUE;
  parser->domain->has_serial = TRUE;
  return TRUE;
}

static const HangardXmlChildRule input_children[] = {
  HANGARD_XML_CHILD_ONCE ("address"),
  HANGARD_XML_CHILD_ONCE ("alias"),
  HANGARD_XML_CHILD_RULES_END
};

typedef enum {
  INPUT_TABLET,
  INPUT_MOUSE,
  INPUT_KEYBOARD,
} InputType;

typedef enum {
  INPUT_BUS_DEFAULT,
  INPUT_BUS_USB,
  INPUT_BUS_PS2,
  INPUT_BUS_VIRTIO,
} InputBus;

static gboolean
set_unsupported_input (xmlNode  *node,
                       GError  **error)
{
  g_autofree char *type = hangard_xml_get_attribute (node, "type");
  g_autofree char *bus = hangard_xml_get_attribute (node, "bus");

  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
               "Unsupported <input type='%s' bus='%s'>: Hangar offers a USB tablet "
               "(type='tablet' bus='usb') and the PS/2 mouse and keyboard",
               type, bus);
  return FALSE;
}

static gboolean
parse_input (DomainParser  *parser,
             xmlNode       *node,
             GError       **error)
{
  static const HangardXmlEnumValue types[] = {
    { "tablet", INPUT_TABLET }, { "mouse", INPUT_MOUSE },
    { "keyboard", INPUT_KEYBOARD },
    { "passthrough", HANGARD_XML_ENUM_UNSUPPORTED }, { "evdev", HANGARD_XML_ENUM_UNSUPPORTED },
    HANGARD_XML_ENUM_VALUES_END
  };
  static const HangardXmlEnumValue buses[] = {
    { "usb", INPUT_BUS_USB }, { "ps2", INPUT_BUS_PS2 },
    { "virtio", INPUT_BUS_VIRTIO },
    { "xen", HANGARD_XML_ENUM_UNSUPPORTED }, { "parallels", HANGARD_XML_ENUM_UNSUPPORTED },
    { "none", HANGARD_XML_ENUM_UNSUPPORTED },
    HANGARD_XML_ENUM_VALUES_END
  };
  int type;
  int bus;

  if (!hangard_xml_parse_enum_attribute (node, "type", types, HANGARD_XML_UNKNOWN_IS_INVALID,
                                         HANGARD_XML_ATTRIBUTE_REQUIRED,
                                         "Hangar offers a USB tablet; host input devices "
                                         "cannot be passed through",
                                         &type, error) ||
      !hangard_xml_parse_enum_attribute (node, "bus", buses, HANGARD_XML_UNKNOWN_IS_INVALID,
                                         INPUT_BUS_DEFAULT,
                                         "Hangar offers a USB tablet and the PS/2 mouse "
                                         "and keyboard",
                                         &bus, error) ||
      !hangard_xml_check_children (node, input_children, error))
    return FALSE;

  /* libvirt's defaults on x86: tablets on USB, mice and keyboards on PS/2. */
  if (type == INPUT_TABLET && (bus == INPUT_BUS_USB || bus == INPUT_BUS_DEFAULT))
    {
      parser->domain->has_tablet = TRUE;
      return TRUE;
    }

  /* The PS/2 mouse and keyboard are part of the PC; nothing to add. */
  if (type != INPUT_TABLET && (bus == INPUT_BUS_PS2 || bus == INPUT_BUS_DEFAULT))
    {
      if (type == INPUT_MOUSE)
        parser->has_mouse = TRUE;
      return TRUE;
    }

  return set_unsupported_input (node, error);
}

/* --- <devices> ----------------------------------------------------------- */

static const HangardXmlChildRule devices_children[] = {
  HANGARD_XML_CHILD_ONCE ("emulator"),
  HANGARD_XML_CHILD_MANY ("disk"),
  HANGARD_XML_CHILD_MANY ("interface"),
  HANGARD_XML_CHILD_MANY ("graphics"),
  HANGARD_XML_CHILD_MANY ("video"),
  HANGARD_XML_CHILD_MANY ("serial"),
  HANGARD_XML_CHILD_MANY ("console"),
  HANGARD_XML_CHILD_MANY ("input"),
  HANGARD_XML_CHILD_MANY ("controller"),
  HANGARD_XML_CHILD_ONCE ("memballoon"),
  HANGARD_XML_CHILD_UNSUPPORTED ("hostdev", "Hangar cannot pass host devices through"),
  HANGARD_XML_CHILD_UNSUPPORTED ("redirdev", "Hangar cannot redirect USB devices"),
  HANGARD_XML_CHILD_UNSUPPORTED ("channel",
                                 "Hangar does not offer guest channels (such as the guest agent's)"),
  HANGARD_XML_CHILD_UNSUPPORTED ("rng", "Hangar does not offer a random number generator device"),
  HANGARD_XML_CHILD_UNSUPPORTED ("sound", "Hangar does not offer sound cards"),
  HANGARD_XML_CHILD_UNSUPPORTED ("audio", "Hangar does not offer sound"),
  HANGARD_XML_CHILD_UNSUPPORTED ("filesystem", "Hangar cannot share host folders with guests"),
  HANGARD_XML_CHILD_UNSUPPORTED ("tpm", "Hangar does not offer a TPM"),
  HANGARD_XML_CHILD_UNSUPPORTED ("watchdog", "Hangar does not offer watchdog devices"),
  HANGARD_XML_CHILD_UNSUPPORTED ("smartcard", "Hangar does not offer smartcard readers"),
  HANGARD_XML_CHILD_UNSUPPORTED ("parallel", "Hangar does not offer parallel ports"),
  HANGARD_XML_CHILD_UNSUPPORTED ("shmem", "Hangar does not share memory between guests"),
  HANGARD_XML_CHILD_RULES_END
};

static gboolean
parse_devices (DomainParser  *parser,
               GError       **error)
{
  xmlNode *devices = hangard_xml_find_child (parser->root, "devices");
  gboolean seen_video = FALSE;
  gboolean seen_serial = FALSE;
  gboolean seen_console = FALSE;

  if (devices != NULL)
    {
      if (!hangard_xml_check_children (devices, devices_children, error))
        return FALSE;

      HANGARD_XML_FOR_EACH_CHILD_ELEMENT (node, devices)
        {
          gboolean ok = TRUE;

          if (hangard_xml_is_element_named (node, "disk"))
            ok = parse_disk (parser, node, error);
          else if (hangard_xml_is_element_named (node, "interface"))
            ok = parse_interface (parser, node, error);
          else if (hangard_xml_is_element_named (node, "graphics"))
            ok = parse_graphics (parser, node, error);
          else if (hangard_xml_is_element_named (node, "video"))
            ok = parse_video (parser, node, &seen_video, error);
          else if (hangard_xml_is_element_named (node, "serial"))
            ok = parse_serial (parser, node, &seen_serial, error);
          else if (hangard_xml_is_element_named (node, "console"))
            ok = parse_console (parser, node, &seen_console, error);
          else if (hangard_xml_is_element_named (node, "input"))
            ok = parse_input (parser, node, error);
          /* <emulator>, <controller> and <memballoon> are tolerated. */

          if (!ok)
            return FALSE;
        }
    }

  if (!seen_video)
    parser->domain->video = parser->domain->has_vnc ? HANGARD_VIDEO_VGA : HANGARD_VIDEO_NONE;

  /* A relative mouse drifts away from the pointer in a VNC window (and
   * GTK 4 cannot warp the host pointer back), so a machine with VNC
   * graphics gets a USB tablet, which points absolutely. libvirt adds
   * nothing; a definition that names its own mouse keeps just that. The
   * stored XML is not changed. */
  if (parser->domain->has_vnc && !parser->domain->has_tablet && !parser->has_mouse)
    parser->domain->has_tablet = TRUE;

  return TRUE;
}

static gboolean
check_boot_order_style (DomainParser  *parser,
                        GError       **error)
{
  if (parser->domain->n_boot > 0 && g_hash_table_size (parser->boot_orders) > 0)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_XML,
                           "<boot order='...'> on devices cannot be combined with "
                           "<boot dev='...'> in <os>: use one or the other");
      return FALSE;
    }
  return TRUE;
}

/* --- Putting it together ------------------------------------------------- */

/* hangard_xml_parse_safely() made sure the root is <domain>. */
static gboolean
parse_root (DomainParser  *parser,
            GError       **error)
{
  return parse_domain_type (parser, error) &&
         hangard_xml_check_children (parser->root, domain_children, error);
}

static gboolean
parse_domain (HangardDomain  *domain,
              GError        **error)
{
  g_auto(DomainParser) parser = {
    .domain = domain,
    .root = xmlDocGetRootElement (domain->doc),
    .boot_orders = g_hash_table_new_full (NULL, NULL, NULL, g_free),
    .target_devs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
    .macs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
    .host_ports = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
    .interfaces_without_mac = g_ptr_array_new (),
    .nics_without_mac = g_ptr_array_new (),
  };

  if (!parse_root (&parser, error) ||
      !parse_name (&parser, error) ||
      !parse_uuid (&parser, error) ||
      !parse_title_and_description (&parser, error) ||
      !parse_memory (&parser, error) ||
      !parse_vcpu (&parser, error) ||
      !parse_memtune (&parser, error) ||
      !parse_cputune (&parser, error) ||
      !parse_memory_backing (&parser, error) ||
      !parse_os (&parser, error) ||
      !parse_features (&parser, error) ||
      !parse_cpu (&parser, error) ||
      !parse_devices (&parser, error) ||
      !check_boot_order_style (&parser, error))
    return FALSE;

  /* Only a valid definition gets anything written into it. */
  if (hangard_xml_find_child (parser.root, "uuid") == NULL)
    insert_generated_uuid (&parser);
  insert_generated_macs (&parser);

  return TRUE;
}

HangardDomain *
hangard_domain_parse (const char  *xml,
                      gssize       length,
                      GError     **error)
{
  g_autoptr(HangardDomain) domain = NULL;
  g_autoptr(xmlDoc) doc = NULL;

  g_return_val_if_fail (xml != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  doc = hangard_xml_parse_safely (xml, length, HANGARD_DOMAIN_MAX_XML_SIZE, "domain", error);
  if (doc == NULL)
    return NULL;

  domain = domain_new (g_steal_pointer (&doc));
  if (!parse_domain (domain, error))
    return NULL;

  return g_steal_pointer (&domain);
}

char *
hangard_domain_to_xml (HangardDomain *domain)
{
  g_return_val_if_fail (domain != NULL, NULL);
  g_return_val_if_fail (domain->doc != NULL, NULL);

  return hangard_xml_to_string (domain->doc);
}

HangardDomain *
hangard_domain_copy (HangardDomain *domain)
{
  HangardDomain *copy;

  g_return_val_if_fail (domain != NULL, NULL);

  /* Field by field rather than by reparsing: a copy cannot fail. */
  copy = g_memdup2 (domain, sizeof *domain);
  copy->doc = xmlCopyDoc (domain->doc, 1);
  if (copy->doc == NULL)
    g_error ("Out of memory copying a machine definition");

  copy->name = g_strdup (domain->name);
  copy->title = g_strdup (domain->title);
  copy->description = g_strdup (domain->description);
  copy->cpuset = g_strdup (domain->cpuset);
  copy->arch = g_strdup (domain->arch);
  copy->machine_type = g_strdup (domain->machine_type);
  copy->kernel = g_strdup (domain->kernel);
  copy->initrd = g_strdup (domain->initrd);
  copy->cmdline = g_strdup (domain->cmdline);
  copy->cpu_model = g_strdup (domain->cpu_model);
  copy->disks = g_ptr_array_copy (domain->disks, disk_def_copy, NULL);
  g_ptr_array_set_free_func (copy->disks, (GDestroyNotify) disk_def_free);
  copy->nics = g_ptr_array_copy (domain->nics, nic_def_copy, NULL);
  g_ptr_array_set_free_func (copy->nics, (GDestroyNotify) nic_def_free);
  copy->vcpu_pins = g_ptr_array_copy (domain->vcpu_pins, vcpu_pin_copy, NULL);
  g_ptr_array_set_free_func (copy->vcpu_pins, (GDestroyNotify) vcpu_pin_free);

  return copy;
}

/* A title is one line: parsing refuses line breaks, so they become spaces
 * here and the document stays one that parses. */
static char *
title_as_one_line (const char *title)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (const char *p = title; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_string_append_unichar (out, g_unichar_iscntrl (c) ? ' ' : c);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

void
hangard_domain_set_title (HangardDomain *domain,
                          const char    *title)
{
  xmlNode *root;
  xmlNode *node;
  g_autofree char *line = NULL;

  g_return_if_fail (domain != NULL);
  g_return_if_fail (title == NULL || g_utf8_validate (title, -1, NULL));

  root = xmlDocGetRootElement (domain->doc);
  node = hangard_xml_find_child (root, "title");
  g_clear_pointer (&domain->title, g_free);

  if (title == NULL || *title == '\0')
    {
      if (node != NULL)
        {
          xmlUnlinkNode (node);
          xmlFreeNode (node);
        }
      return;
    }

  line = title_as_one_line (title);

  if (node == NULL)
    {
      /* libvirt's order: name, uuid, title, description. */
      xmlNode *anchor = hangard_xml_find_child (root, "uuid");

      if (anchor == NULL)
        anchor = hangard_xml_find_child (root, "name");

      node = xmlNewDocNode (domain->doc, NULL, BAD_CAST "title", NULL);
      if (anchor != NULL)
        xmlAddNextSibling (anchor, node);
      else
        xmlAddChild (root, node);
    }

  hangard_xml_set_text (node, line);

  domain->title = g_steal_pointer (&line);
}

const char *
hangard_disk_bus_to_string (HangardDiskBus bus)
{
  switch (bus)
    {
    case HANGARD_DISK_BUS_VIRTIO: return "virtio";
    case HANGARD_DISK_BUS_SATA:   return "sata";
    case HANGARD_DISK_BUS_IDE:    return "ide";
    default:                      break;
    }
  g_return_val_if_reached (NULL);
}

const char *
hangard_disk_format_to_string (HangardDiskFormat format)
{
  switch (format)
    {
    case HANGARD_DISK_FORMAT_RAW:   return "raw";
    case HANGARD_DISK_FORMAT_QCOW2: return "qcow2";
    default:                        break;
    }
  g_return_val_if_reached (NULL);
}

const char *
hangard_disk_cache_to_string (HangardDiskCache cache)
{
  switch (cache)
    {
    case HANGARD_DISK_CACHE_DEFAULT:      return "default";
    case HANGARD_DISK_CACHE_NONE:         return "none";
    case HANGARD_DISK_CACHE_WRITEBACK:    return "writeback";
    case HANGARD_DISK_CACHE_WRITETHROUGH: return "writethrough";
    case HANGARD_DISK_CACHE_DIRECTSYNC:   return "directsync";
    case HANGARD_DISK_CACHE_UNSAFE:       return "unsafe";
    default:                              break;
    }
  g_return_val_if_reached (NULL);
}

const char *
hangard_nic_model_to_string (HangardNicModel model)
{
  switch (model)
    {
    case HANGARD_NIC_MODEL_VIRTIO:  return "virtio";
    case HANGARD_NIC_MODEL_E1000:   return "e1000";
    case HANGARD_NIC_MODEL_RTL8139: return "rtl8139";
    default:                        break;
    }
  g_return_val_if_reached (NULL);
}
