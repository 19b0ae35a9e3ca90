/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangarctl"

#include "hangarctl.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

/* Hardware changes, live and at next boot: virsh attach-device,
 * detach-device, update-device, attach-disk, detach-disk,
 * attach-interface, detach-interface, change-media, setmem, setvcpus and
 * vcpupin. --live changes the running machine, --config its definition
 * (the next start), --persistent both (or the definition alone when it is
 * shut off), --current (the default) whichever the machine's state says. */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlBuffer, xmlBufferFree)

/* One hangarctl run runs one verb: they share these. */
static gboolean opt_live;
static gboolean opt_config;
static gboolean opt_persistent;
static gboolean opt_current;

#define TARGET_OPTIONS \
  { "live", 0, 0, G_OPTION_ARG_NONE, &opt_live, \
    N_("Change the running machine (now)"), NULL }, \
  { "config", 0, 0, G_OPTION_ARG_NONE, &opt_config, \
    N_("Change the machine’s definition (from its next start)"), NULL }, \
  { "current", 0, 0, G_OPTION_ARG_NONE, &opt_current, \
    N_("Change the running machine when it runs, else its definition (the default)"), NULL }

#define PERSISTENT_OPTION \
  { "persistent", 0, 0, G_OPTION_ARG_NONE, &opt_persistent, \
    N_("Change the definition, and the running machine too when it runs"), NULL }

/* The a{sv} of the engine's hardware calls. */
static gboolean
target_options (HangarMachine  *machine,
                GVariant      **options,
                GError        **error)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  gboolean live = opt_live;
  gboolean config = opt_config;

  if (opt_current && (opt_live || opt_config || opt_persistent))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           _("--current cannot be combined with --live, --config or --persistent"));
      return FALSE;
    }
  if (opt_persistent)
    {
      config = TRUE;
      live = live || hangarctl_machine_is_active (machine);
    }
  if (live)
    g_variant_dict_insert (&dict, "live", "b", TRUE);
  if (config)
    g_variant_dict_insert (&dict, "config", "b", TRUE);
  *options = g_variant_ref_sink (g_variant_dict_end (&dict));
  return TRUE;
}

/* Whether `options` aim at the running machine: --live, or the default
 * on a running machine. */
static gboolean
aims_live (HangarMachine *machine,
           GVariant      *options)
{
  gboolean live = FALSE;
  gboolean config = FALSE;

  g_variant_lookup (options, "live", "b", &live);
  g_variant_lookup (options, "config", "b", &config);
  return live || (!config && hangarctl_machine_is_active (machine));
}

/* virsh's line, then where the change went when the user may not expect it. */
static void
report (HangarctlContext *ctx,
        HangarMachine    *machine,
        GVariant         *result,
        const char       *message)
{
  gboolean live = FALSE;
  gboolean config = FALSE;

  g_variant_lookup (result, "live", "b", &live);
  g_variant_lookup (result, "config", "b", &config);
  if (message != NULL)
    hangarctl_message (ctx, "%s", message);
  if (config && !live && hangarctl_machine_is_active (machine))
    hangarctl_message (ctx, "%s", _("The running machine is unchanged: this takes effect at its next start."));
  else if (live && !config)
    hangarctl_message (ctx, "%s", _("Changed on the running machine only: its definition is unchanged, "
                                   "so the change is gone once it stops."));
}

typedef gboolean (*DeviceCall) (HangarMachine *proxy, const char *xml, GVariant *options,
                                GVariant **result, GCancellable *cancellable, GError **error);

/* One device call with the --live/--config options. */
static gboolean
device_call (HangarctlContext  *ctx,
             const char        *name,
             DeviceCall         call,
             const char        *xml,
             const char        *message,
             GError           **error)
{
  g_autoptr(HangarMachine) machine = hangarctl_lookup_machine (ctx, name, error);
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GVariant) result = NULL;

  if (machine == NULL || !target_options (machine, &options, error))
    return FALSE;

  /* A detach waits for the guest to let go. */
  hangarctl_set_lifecycle_timeout (machine);
  if (!call (machine, xml, options, &result, NULL, error))
    return FALSE;
  report (ctx, machine, result, message);
  return TRUE;
}

/* ---- attach-device, detach-device, update-device NAME FILE ------------------------ */

static const GOptionEntry device_options[] = {
  TARGET_OPTIONS,
  PERSISTENT_OPTION,
  G_OPTION_ENTRY_NULL
};

static char *
read_device_file (const char  *path,
                  GError     **error)
{
  g_autofree char *contents = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, error) ||
      !hangarctl_check_text (contents, length, path, error))
    return NULL;
  return g_steal_pointer (&contents);
}

static gboolean
run_device_file (HangarctlContext     *ctx,
                 const HangarctlVerb  *verb,
                 char                **args,
                 GError              **error)
{
  g_autofree char *xml = read_device_file (args[1], error);

  if (xml == NULL)
    return FALSE;
  if (g_str_equal (verb->name, "attach-device"))
    return device_call (ctx, args[0], hangar_machine_call_attach_device_sync, xml,
                        _("Device attached successfully"), error);
  if (g_str_equal (verb->name, "detach-device"))
    return device_call (ctx, args[0], hangar_machine_call_detach_device_sync, xml,
                        _("Device detached successfully"), error);
  return device_call (ctx, args[0], hangar_machine_call_update_device_sync, xml,
                      _("Device updated successfully"), error);
}

/* ---- attach-disk NAME SOURCE TARGET ------------------------------------------------ */

static char *opt_disk_type;
static char *opt_driver;
static char *opt_cache;
static char *opt_targetbus;
static char *opt_pool;

static const GOptionEntry attach_disk_options[] = {
  { "type", 0, 0, G_OPTION_ARG_STRING, &opt_disk_type,
    N_("disk (default) or cdrom"), N_("TYPE") },
  { "driver", 0, 0, G_OPTION_ARG_STRING, &opt_driver,
    N_("The image format: qcow2 or raw (a pool volume’s own format by default, raw for a cdrom)"),
    N_("FORMAT") },
  { "subdriver", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &opt_driver, NULL, N_("FORMAT") },
  { "cache", 0, 0, G_OPTION_ARG_STRING, &opt_cache,
    N_("The cache mode: none, writeback, writethrough, directsync, unsafe or default"), N_("MODE") },
  { "targetbus", 0, 0, G_OPTION_ARG_STRING, &opt_targetbus,
    N_("virtio, sata or ide (default: from the target’s name: vdX virtio, hdX ide)"), N_("BUS") },
  { "pool", 0, 0, G_OPTION_ARG_STRING, &opt_pool,
    N_("SOURCE is a volume of storage pool POOL"), N_("POOL") },
  TARGET_OPTIONS,
  PERSISTENT_OPTION,
  G_OPTION_ENTRY_NULL
};

/* A volume's format, as its pool lists it. */
static char *
volume_format (HangarctlContext  *ctx,
               const char        *pool_name,
               const char        *volume_name,
               GError           **error)
{
  g_autoptr(HangarStoragePool) pool = hangarctl_lookup_pool (ctx, pool_name, error);
  g_autoptr(GPtrArray) volumes = NULL;

  if (pool == NULL || !hangarctl_pool_check_active (pool, error))
    return NULL;
  volumes = hangarctl_list_volumes (ctx, g_dbus_proxy_get_object_path (G_DBUS_PROXY (pool)), error);
  if (volumes == NULL)
    return NULL;
  for (guint i = 0; i < volumes->len; i++)
    {
      HangarVolume *volume = g_ptr_array_index (volumes, i);

      if (g_strcmp0 (hangar_volume_get_name (volume), volume_name) == 0)
        return g_strdup (hangar_volume_get_format (volume));
    }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
               _("Pool '%s' has no volume '%s'"), pool_name, volume_name);
  return NULL;
}

/* <source file='…'/> or <source pool='…' volume='…'/>, and the disk's type. */
static char *
disk_source_xml (const char *source,
                 const char *pool,
                 const char **disk_type)
{
  if (source == NULL)
    {
      *disk_type = "file";
      return g_strdup ("");
    }
  if (pool != NULL)
    {
      *disk_type = "volume";
      return g_markup_printf_escaped ("<source pool='%s' volume='%s'/>", pool, source);
    }
  else
    {
      g_autofree char *path = g_canonicalize_filename (source, NULL);

      *disk_type = "file";
      return g_markup_printf_escaped ("<source file='%s'/>", path);
    }
}

static gboolean
run_attach_disk (HangarctlContext     *ctx,
                 const HangarctlVerb  *verb G_GNUC_UNUSED,
                 char                **args,
                 GError              **error)
{
  const char *device = opt_disk_type != NULL ? opt_disk_type : "disk";
  gboolean cdrom = g_str_equal (device, "cdrom");
  g_autofree char *format = g_strdup (opt_driver);
  g_autofree char *source = NULL;
  g_autofree char *driver = NULL;
  g_autofree char *target = NULL;
  g_autofree char *xml = NULL;
  const char *disk_type;

  if (!cdrom && !g_str_equal (device, "disk"))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("Unknown disk type '%s': disk or cdrom"), device);
      return FALSE;
    }
  if (format == NULL && opt_pool != NULL)
    format = volume_format (ctx, opt_pool, args[1], error);
  if (format == NULL && opt_pool != NULL)
    return FALSE;
  if (format == NULL && cdrom)
    format = g_strdup ("raw");
  if (format == NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           _("State the image’s format with --driver qcow2 or --driver raw: "
                             "Hangar never guesses it"));
      return FALSE;
    }

  source = disk_source_xml (args[1], opt_pool, &disk_type);
  driver = opt_cache != NULL
           ? g_markup_printf_escaped ("<driver name='qemu' type='%s' cache='%s'/>", format, opt_cache)
           : g_markup_printf_escaped ("<driver name='qemu' type='%s'/>", format);
  target = opt_targetbus != NULL
           ? g_markup_printf_escaped ("<target dev='%s' bus='%s'/>", args[2], opt_targetbus)
           : g_markup_printf_escaped ("<target dev='%s'/>", args[2]);
  xml = g_strdup_printf ("<disk type='%s' device='%s'>%s%s%s%s</disk>", disk_type, device,
                         driver, source, target, cdrom ? "<readonly/>" : "");
  return device_call (ctx, args[0], hangar_machine_call_attach_device_sync, xml,
                      _("Disk attached successfully"), error);
}

/* ---- detach-disk NAME TARGET ------------------------------------------------------- */

static gboolean
run_detach_disk (HangarctlContext     *ctx,
                 const HangarctlVerb  *verb G_GNUC_UNUSED,
                 char                **args,
                 GError              **error)
{
  g_autofree char *xml = g_markup_printf_escaped ("<disk><target dev='%s'/></disk>", args[1]);

  return device_call (ctx, args[0], hangar_machine_call_detach_device_sync, xml,
                      _("Disk detached successfully"), error);
}

/* ---- attach-interface NAME TYPE [SOURCE], detach-interface NAME TYPE --------------- */

static char *opt_model;
static char *opt_mac;

static const GOptionEntry attach_interface_options[] = {
  { "model", 0, 0, G_OPTION_ARG_STRING, &opt_model,
    N_("The network card: virtio (default), e1000 or rtl8139"), N_("MODEL") },
  { "mac", 0, 0, G_OPTION_ARG_STRING, &opt_mac,
    N_("Its MAC address (default: a new one)"), N_("MAC") },
  TARGET_OPTIONS,
  PERSISTENT_OPTION,
  G_OPTION_ENTRY_NULL
};

static const GOptionEntry detach_interface_options[] = {
  { "mac", 0, 0, G_OPTION_ARG_STRING, &opt_mac,
    N_("The interface’s MAC address (needed when several have TYPE)"), N_("MAC") },
  TARGET_OPTIONS,
  PERSISTENT_OPTION,
  G_OPTION_ENTRY_NULL
};

static gboolean
run_attach_interface (HangarctlContext     *ctx,
                      const HangarctlVerb  *verb G_GNUC_UNUSED,
                      char                **args,
                      GError              **error)
{
  const char *type = args[1];
  g_autoptr(GString) xml = g_string_new (NULL);
  g_autofree char *start = g_markup_printf_escaped ("<interface type='%s'>", type);

  g_string_append (xml, start);
  if (opt_mac != NULL)
    {
      g_autofree char *mac = g_markup_printf_escaped ("<mac address='%s'/>", opt_mac);
      g_string_append (xml, mac);
    }
  if (g_str_equal (type, "network") || g_str_equal (type, "bridge"))
    {
      g_autofree char *source = NULL;

      if (args[2] == NULL)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                       _("An interface of type %s needs a SOURCE: the %s it joins"), type,
                       g_str_equal (type, "network") ? _("virtual network") : _("host bridge"));
          return FALSE;
        }
      source = g_markup_printf_escaped ("<source %s='%s'/>", type, args[2]);
      g_string_append (xml, source);
    }
  if (opt_model != NULL)
    {
      g_autofree char *model = g_markup_printf_escaped ("<model type='%s'/>", opt_model);
      g_string_append (xml, model);
    }
  g_string_append (xml, "</interface>");
  return device_call (ctx, args[0], hangar_machine_call_attach_device_sync, xml->str,
                      _("Interface attached successfully"), error);
}

static gboolean
run_detach_interface (HangarctlContext     *ctx,
                      const HangarctlVerb  *verb G_GNUC_UNUSED,
                      char                **args,
                      GError              **error)
{
  g_autofree char *xml = opt_mac != NULL
                         ? g_markup_printf_escaped ("<interface type='%s'><mac address='%s'/></interface>",
                                                    args[1], opt_mac)
                         : g_markup_printf_escaped ("<interface type='%s'/>", args[1]);

  return device_call (ctx, args[0], hangar_machine_call_detach_device_sync, xml,
                      _("Interface detached successfully"), error);
}

/* ---- change-media NAME TARGET [SOURCE] ------------------------------------------- */

static gboolean opt_eject;
static gboolean opt_insert;
static gboolean opt_update;

static const GOptionEntry change_media_options[] = {
  { "eject", 0, 0, G_OPTION_ARG_NONE, &opt_eject, N_("Take the medium out"), NULL },
  { "insert", 0, 0, G_OPTION_ARG_NONE, &opt_insert, N_("Put SOURCE into an empty drive"), NULL },
  { "update", 0, 0, G_OPTION_ARG_NONE, &opt_update,
    N_("Put SOURCE in instead of the medium there (without SOURCE: eject)"), NULL },
  { "driver", 0, 0, G_OPTION_ARG_STRING, &opt_driver,
    N_("The medium’s format: raw (default) or qcow2"), N_("FORMAT") },
  { "pool", 0, 0, G_OPTION_ARG_STRING, &opt_pool,
    N_("SOURCE is a volume of storage pool POOL"), N_("POOL") },
  TARGET_OPTIONS,
  G_OPTION_ENTRY_NULL
};

/* The drive's <disk> element as the definition has it (live or stored),
 * with `source_xml` as its medium: everything else stays as it is. */
static char *
drive_with_medium (const char  *domain_xml,
                   const char  *target,
                   const char  *format,
                   const char  *source_xml,
                   const char  *disk_type,
                   gboolean    *had_medium,
                   GError     **error)
{
  g_autoptr(xmlDoc) doc = xmlReadMemory (domain_xml, (int) strlen (domain_xml), NULL, NULL,
                                         XML_PARSE_NONET | XML_PARSE_NOBLANKS);
  g_autoptr(xmlDoc) medium = NULL;
  xmlNode *root = doc != NULL ? xmlDocGetRootElement (doc) : NULL;
  xmlNode *disk = NULL;
  g_autoptr(xmlBuffer) buffer = NULL;
  g_autofree char *wrapped = NULL;

  for (xmlNode *devices = root != NULL ? root->children : NULL; devices != NULL; devices = devices->next)
    if (devices->type == XML_ELEMENT_NODE && xmlStrEqual (devices->name, BAD_CAST "devices"))
      for (xmlNode *node = devices->children; node != NULL; node = node->next)
        {
          if (node->type != XML_ELEMENT_NODE || !xmlStrEqual (node->name, BAD_CAST "disk"))
            continue;
          for (xmlNode *child = node->children; child != NULL; child = child->next)
            if (child->type == XML_ELEMENT_NODE && xmlStrEqual (child->name, BAD_CAST "target"))
              {
                g_autofree xmlChar *dev = xmlGetProp (child, BAD_CAST "dev");
                if (g_strcmp0 ((const char *) dev, target) == 0)
                  disk = node;
              }
        }

  if (disk == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("The machine has no disk %s"), target);
      return NULL;
    }

  *had_medium = FALSE;
  for (xmlNode *child = disk->children, *next; child != NULL; child = next)
    {
      next = child->next;
      if (child->type != XML_ELEMENT_NODE)
        continue;
      if (xmlStrEqual (child->name, BAD_CAST "source"))
        {
          *had_medium = xmlHasProp (child, BAD_CAST "file") != NULL ||
                        xmlHasProp (child, BAD_CAST "volume") != NULL;
          xmlUnlinkNode (child);
          xmlFreeNode (child);
        }
      else if (xmlStrEqual (child->name, BAD_CAST "driver") && format != NULL)
        xmlSetProp (child, BAD_CAST "type", BAD_CAST format);
    }

  if (*source_xml != '\0')
    {
      medium = xmlReadMemory (source_xml, (int) strlen (source_xml), NULL, NULL, XML_PARSE_NONET);
      if (medium != NULL)
        xmlAddChild (disk, xmlDocCopyNode (xmlDocGetRootElement (medium), doc, 1));
      xmlSetProp (disk, BAD_CAST "type", BAD_CAST disk_type);
    }

  buffer = xmlBufferCreate ();
  xmlNodeDump (buffer, doc, disk, 0, 0);
  return g_strdup ((const char *) xmlBufferContent (buffer));
}

static gboolean
run_change_media (HangarctlContext     *ctx,
                  const HangarctlVerb  *verb G_GNUC_UNUSED,
                  char                **args,
                  GError              **error)
{
  g_autoptr(HangarMachine) machine = hangarctl_lookup_machine (ctx, args[0], error);
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autofree char *domain_xml = NULL;
  g_autofree char *source = NULL;
  g_autofree char *xml = NULL;
  const char *disk_type;
  const char *message;
  gboolean live = FALSE;
  gboolean had_medium = FALSE;
  gboolean eject;

  if (machine == NULL || !target_options (machine, &options, error))
    return FALSE;
  if (opt_eject + opt_insert + opt_update > 1)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           _("Give one of --eject, --insert and --update"));
      return FALSE;
    }
  eject = opt_eject || (!opt_insert && args[2] == NULL);
  if (!eject && args[2] == NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           _("--insert needs a SOURCE: the medium to put in"));
      return FALSE;
    }
  if (opt_eject && args[2] != NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           _("--eject takes no SOURCE"));
      return FALSE;
    }

  /* The drive as it is where the change goes: the running machine's, or
   * the definition's. */
  live = aims_live (machine, options);
  {
    g_auto(GVariantDict) get = G_VARIANT_DICT_INIT (NULL);

    if (live)
      g_variant_dict_insert (&get, "live", "b", TRUE);
    if (!hangar_machine_call_get_xml_sync (machine, g_variant_dict_end (&get), &domain_xml, NULL, error))
      return FALSE;
  }

  source = disk_source_xml (eject ? NULL : args[2], opt_pool, &disk_type);
  xml = drive_with_medium (domain_xml, args[1], eject ? NULL : (opt_driver ? opt_driver : "raw"),
                           source, disk_type, &had_medium, error);
  if (xml == NULL)
    return FALSE;
  if (opt_insert && had_medium)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("Drive %s already holds a medium: use --update to change it"), args[1]);
      return FALSE;
    }

  hangarctl_set_lifecycle_timeout (machine);
  if (!hangar_machine_call_update_device_sync (machine, xml, options, &result, NULL, error))
    return FALSE;

  if (eject)
    message = _("Successfully ejected media.");
  else if (opt_insert || !had_medium)
    message = _("Successfully inserted media.");
  else
    message = _("Successfully updated media.");
  report (ctx, machine, result, message);
  return TRUE;
}

/* ---- setmem NAME SIZE, setvcpus NAME COUNT ------------------------------------------ */

static const GOptionEntry config_options[] = {
  TARGET_OPTIONS,
  G_OPTION_ENTRY_NULL
};

/* virsh's scaled integer: KiB without a unit. */
static gboolean
parse_memory_kib (const char  *text,
                  guint64     *kib,
                  GError     **error)
{
  guint64 bytes;

  if (*text != '\0' && strspn (text, "0123456789") == strlen (text))
    {
      if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT64 / 1024, kib, NULL))
        goto invalid;
      return TRUE;
    }
  if (!hangarctl_parse_size (text, &bytes, NULL) || bytes == 0)
    goto invalid;
  *kib = bytes / 1024 + (bytes % 1024 != 0);
  return TRUE;

invalid:
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               _("Invalid memory size “%s”: a number of KiB, or with a unit such as 512M or 2G"), text);
  return FALSE;
}

static gboolean
run_setmem (HangarctlContext     *ctx,
            const HangarctlVerb  *verb G_GNUC_UNUSED,
            char                **args,
            GError              **error)
{
  g_autoptr(HangarMachine) machine = hangarctl_lookup_machine (ctx, args[0], error);
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GVariant) result = NULL;
  guint64 kib;

  if (machine == NULL || !parse_memory_kib (args[1], &kib, error) ||
      !target_options (machine, &options, error))
    return FALSE;
  if (!hangar_machine_call_set_memory_sync (machine, kib, options, &result, NULL, error))
    return FALSE;
  report (ctx, machine, result, NULL);
  return TRUE;
}

static gboolean
run_setvcpus (HangarctlContext     *ctx,
              const HangarctlVerb  *verb G_GNUC_UNUSED,
              char                **args,
              GError              **error)
{
  g_autoptr(HangarMachine) machine = hangarctl_lookup_machine (ctx, args[0], error);
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GVariant) result = NULL;
  guint64 count;

  if (machine == NULL)
    return FALSE;
  if (!g_ascii_string_to_unsigned (args[1], 10, 1, G_MAXUINT32, &count, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("Invalid vCPU count “%s”"), args[1]);
      return FALSE;
    }
  if (!target_options (machine, &options, error) ||
      !hangar_machine_call_set_vcpus_sync (machine, (guint) count, options, &result, NULL, error))
    return FALSE;
  report (ctx, machine, result, NULL);
  return TRUE;
}

/* ---- vcpupin NAME [VCPU [CPULIST]] ------------------------------------------------- */

/* The text of <vcpu> and the cpusets of <vcpu cpuset> and each <vcpupin>. */
static gboolean
read_pins (const char  *domain_xml,
           guint       *vcpus,
           char       **default_cpuset,
           GHashTable  *pins,
           GError     **error)
{
  g_autoptr(xmlDoc) doc = xmlReadMemory (domain_xml, (int) strlen (domain_xml), NULL, NULL, XML_PARSE_NONET);
  xmlNode *root = doc != NULL ? xmlDocGetRootElement (doc) : NULL;

  if (root == NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           _("The engine returned a definition that does not parse"));
      return FALSE;
    }
  *vcpus = 1;
  for (xmlNode *node = root->children; node != NULL; node = node->next)
    {
      if (node->type != XML_ELEMENT_NODE)
        continue;
      if (xmlStrEqual (node->name, BAD_CAST "vcpu"))
        {
          g_autofree xmlChar *text = xmlNodeGetContent (node);
          g_autofree xmlChar *cpuset = xmlGetProp (node, BAD_CAST "cpuset");

          *vcpus = (guint) g_ascii_strtoull ((const char *) text, NULL, 10);
          *default_cpuset = g_strdup ((const char *) cpuset);
        }
      else if (xmlStrEqual (node->name, BAD_CAST "cputune"))
        for (xmlNode *pin = node->children; pin != NULL; pin = pin->next)
          if (pin->type == XML_ELEMENT_NODE && xmlStrEqual (pin->name, BAD_CAST "vcpupin"))
            {
              g_autofree xmlChar *vcpu = xmlGetProp (pin, BAD_CAST "vcpu");
              g_autofree xmlChar *cpuset = xmlGetProp (pin, BAD_CAST "cpuset");

              if (vcpu != NULL && cpuset != NULL)
                g_hash_table_insert (pins, GUINT_TO_POINTER ((guint) g_ascii_strtoull ((const char *) vcpu, NULL, 10)),
                                     g_strdup ((const char *) cpuset));
            }
    }
  return TRUE;
}

/* virsh's table: "VCPU   CPU Affinity". */
static gboolean
print_pins (HangarctlContext  *ctx,
            HangarMachine     *machine,
            gboolean           live,
            const char        *only,
            GError           **error)
{
  g_auto(GVariantDict) get = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GHashTable) pins = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr(GVariant) info = NULL;
  g_autoptr(HangarctlTable) table = hangarctl_table_new (2, _("VCPU"), _("CPU Affinity"));
  g_autofree char *domain_xml = NULL;
  g_autofree char *default_cpuset = NULL;
  g_autofree char *all = NULL;
  HangarManager *manager = hangarctl_get_manager (ctx, error);
  guint32 host_cpus = 1;
  guint vcpus = 1;

  if (manager == NULL)
    return FALSE;
  if (live)
    g_variant_dict_insert (&get, "live", "b", TRUE);
  if (!hangar_machine_call_get_xml_sync (machine, g_variant_dict_end (&get), &domain_xml, NULL, error) ||
      !read_pins (domain_xml, &vcpus, &default_cpuset, pins, error) ||
      !hangar_manager_call_get_host_info_sync (manager, &info, NULL, error))
    return FALSE;
  g_variant_lookup (info, "cpus", "u", &host_cpus);
  all = host_cpus > 1 ? g_strdup_printf ("0-%u", host_cpus - 1) : g_strdup ("0");

  for (guint vcpu = 0; vcpu < vcpus; vcpu++)
    {
      g_autofree char *number = g_strdup_printf ("%u", vcpu);
      const char *cpuset = g_hash_table_lookup (pins, GUINT_TO_POINTER (vcpu));

      if (only != NULL && !g_str_equal (only, number))
        continue;
      hangarctl_table_add_row (table, number, cpuset ? cpuset : default_cpuset ? default_cpuset : all);
    }
  hangarctl_table_print (table, !ctx->quiet, stdout);
  return TRUE;
}

static gboolean
run_vcpupin (HangarctlContext     *ctx,
             const HangarctlVerb  *verb G_GNUC_UNUSED,
             char                **args,
             GError              **error)
{
  g_autoptr(HangarMachine) machine = hangarctl_lookup_machine (ctx, args[0], error);
  g_autoptr(GVariant) options = NULL;
  g_autoptr(GVariant) result = NULL;
  guint64 vcpu = 0;

  if (machine == NULL || !target_options (machine, &options, error))
    return FALSE;
  if (args[1] != NULL && !g_ascii_string_to_unsigned (args[1], 10, 0, G_MAXUINT32, &vcpu, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("Invalid vCPU number “%s”"), args[1]);
      return FALSE;
    }

  /* Without a CPU list: show the pins. */
  if (args[1] == NULL || args[2] == NULL)
    {
      return print_pins (ctx, machine, aims_live (machine, options), args[1], error);
    }

  /* virsh's "r" (reset) is the empty list here: the default placement. */
  if (!hangar_machine_call_pin_vcpu_sync (machine, (guint) vcpu, g_str_equal (args[2], "r") ? "" : args[2],
                                          options, &result, NULL, error))
    return FALSE;
  report (ctx, machine, result, NULL);
  return TRUE;
}

static const HangarctlVerb verbs[] = {
  { "attach-device", run_device_file, N_("NAME FILE"),
    N_("Add a device (a <disk> or <interface> in FILE), live and/or at next boot"),
    device_options, 2, 2, NULL },
  { "attach-disk", run_attach_disk, N_("NAME SOURCE TARGET"),
    N_("Add a disk or CD-ROM drive (virtio disks live)"), attach_disk_options, 3, 3, NULL },
  { "attach-interface", run_attach_interface, N_("NAME TYPE [SOURCE]"),
    N_("Add a network interface: user, network NAME or bridge NAME"),
    attach_interface_options, 2, 3, NULL },
  { "change-media", run_change_media, N_("NAME TARGET [SOURCE]"),
    N_("Insert, change or eject a CD-ROM drive’s medium"), change_media_options, 2, 3, NULL },
  { "detach-device", run_device_file, N_("NAME FILE"),
    N_("Remove the device FILE names (a <disk> by target, an <interface> by MAC)"),
    device_options, 2, 2, NULL },
  { "detach-disk", run_detach_disk, N_("NAME TARGET"), N_("Remove a disk"), device_options, 2, 2, NULL },
  { "detach-interface", run_detach_interface, N_("NAME TYPE"), N_("Remove a network interface"),
    detach_interface_options, 2, 2, NULL },
  { "setmem", run_setmem, N_("NAME SIZE"),
    N_("Set the memory (KiB, or with a unit: 2G) for the next start (--config)"), config_options, 2, 2, NULL },
  { "setvcpus", run_setvcpus, N_("NAME COUNT"),
    N_("Set the number of vCPUs for the next start (--config)"), config_options, 2, 2, NULL },
  { "update-device", run_device_file, N_("NAME FILE"),
    N_("Change a device: a CD-ROM drive’s medium, from the <disk> in FILE"), device_options, 2, 2, NULL },
  { "vcpupin", run_vcpupin, N_("NAME [VCPU] [CPULIST]"),
    N_("Pin a vCPU to host CPUs (r: unpin), or show the pins"), config_options, 1, 3, NULL },
  { NULL }
};

const HangarctlVerbGroup hangarctl_device_verbs = {
  N_("Hardware (live and at next boot)"), verbs
};
