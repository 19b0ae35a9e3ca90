/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hangard-host-net"

#include "hangard-host-net.h"
#include "hangard-error.h"
#include "hangard-network-def.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* ip(8) prints this as an address's lifetime when it never expires. */
#define LIFETIME_FOREVER G_GINT64_CONSTANT (4294967295)
/* The tap driver's kind, as `ip -d link` reports it. */
#define TAP_KIND "tun"

void
hangard_host_address_free (HangardHostAddress *address)
{
  if (address == NULL)
    return;
  g_free (address->device);
  g_free (address);
}

/* ---- Running ip ----------------------------------------------------------- */

/* Runs `ip ARGS…` (never through a shell). On failure the error names the
 * whole command, which is the step, followed by ip's own message. */
static gboolean
run_ipv (const char * const  *args,
         char               **out,
         GError             **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autofree char *std_out = NULL;
  g_autofree char *std_err = NULL;
  g_autoptr(GError) local_error = NULL;
  int status = 0;

  g_strv_builder_add (builder, "ip");
  g_strv_builder_addv (builder, (const char **) args);
  argv = g_strv_builder_end (builder);

  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     &std_out, &std_err, &status, &local_error) ||
      !g_spawn_check_wait_status (status, &local_error))
    {
      g_autofree char *command = g_strjoinv (" ", argv);
      const char *message = std_err != NULL ? g_strstrip (std_err) : "";

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, "%s: %s", command,
                   *message != '\0' ? message : local_error->message);
      return FALSE;
    }
  if (out != NULL)
    *out = g_steal_pointer (&std_out);
  return TRUE;
}

static gboolean
run_ip (char    **out,
        GError  **error,
        ...) G_GNUC_NULL_TERMINATED;

static gboolean
run_ip (char    **out,
        GError  **error,
        ...)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) args = NULL;
  const char *arg;
  va_list ap;

  va_start (ap, error);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_strv_builder_add (builder, arg);
  va_end (ap);
  args = g_strv_builder_end (builder);
  return run_ipv ((const char * const *) args, out, error);
}

/* `ip -json ARGS…`, parsed: always an array. */
static JsonArray *
ip_json (GError **error,
         ...) G_GNUC_NULL_TERMINATED;

static JsonArray *
ip_json (GError **error,
         ...)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_auto(GStrv) args = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GError) parse_error = NULL;
  JsonNode *root;
  const char *arg;
  va_list ap;

  g_strv_builder_add (builder, "-json");
  va_start (ap, error);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_strv_builder_add (builder, arg);
  va_end (ap);
  args = g_strv_builder_end (builder);

  if (!run_ipv ((const char * const *) args, &out, error))
    return NULL;
  /* ip prints nothing at all for some empty listings. */
  if (*g_strstrip (out) == '\0')
    return json_array_new ();
  if (!json_parser_load_from_data (parser, out, -1, &parse_error) ||
      !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                   _("Cannot read the output of ip %s: %s"), args[1],
                   parse_error != NULL ? parse_error->message : _("not a JSON array"));
      return NULL;
    }
  root = json_parser_get_root (parser);
  return json_array_ref (json_node_get_array (root));
}

static gboolean
json_array_has_string (JsonArray  *array,
                       const char *value)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (node) && g_strcmp0 (json_node_get_string (node), value) == 0)
        return TRUE;
    }
  return FALSE;
}

static JsonArray *
object_get_array (JsonObject *object,
                  const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/* ---- Links ---------------------------------------------------------------- */

/* `ip -d -json link show dev NAME`: the link's one object, with its kind. */
static JsonObject *
link_details (const char  *name,
              GError     **error)
{
  g_autoptr(JsonArray) links = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!hangard_ifname_is_valid (name, error))
    return NULL;
  links = ip_json (&local_error, "-details", "link", "show", "dev", name, NULL);
  /* ip fails only with "Device … does not exist" here. */
  if (links == NULL || json_array_get_length (links) != 1 ||
      !JSON_NODE_HOLDS_OBJECT (json_array_get_element (links, 0)))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                   _("There is no network interface %s"), name);
      return NULL;
    }
  return json_object_ref (json_array_get_object_element (links, 0));
}

static const char *
link_kind (JsonObject *link)
{
  JsonNode *info = json_object_get_member (link, "linkinfo");

  if (info == NULL || !JSON_NODE_HOLDS_OBJECT (info))
    return "";
  return json_object_get_string_member_with_default (json_node_get_object (info), "info_kind", "");
}

/* NOT_FOUND when `name` is not there, before ip fails with its own words. */
static gboolean
require_link (const char  *name,
              GError     **error)
{
  g_autoptr(JsonObject) link = link_details (name, error);

  return link != NULL;
}

gboolean
hangard_host_net_link_exists (const char *name)
{
  g_autoptr(JsonObject) link = link_details (name, NULL);

  return link != NULL;
}

gboolean
hangard_host_net_link_is_bridge (const char *name)
{
  g_autoptr(JsonObject) link = link_details (name, NULL);

  return link != NULL && strcmp (link_kind (link), "bridge") == 0;
}

char *
hangard_host_net_link_master (const char *name)
{
  g_autoptr(JsonObject) link = link_details (name, NULL);

  if (link == NULL || !json_object_has_member (link, "master"))
    return NULL;
  return g_strdup (json_object_get_string_member (link, "master"));
}

GPtrArray *
hangard_host_net_list_ipv4 (GError **error)
{
  g_autoptr(JsonArray) links = ip_json (error, "-family", "inet", "addr", "show", NULL);
  g_autoptr(GPtrArray) result = NULL;

  if (links == NULL)
    return NULL;
  result = g_ptr_array_new_with_free_func ((GDestroyNotify) hangard_host_address_free);
  for (guint i = 0; i < json_array_get_length (links); i++)
    {
      JsonObject *link = json_array_get_object_element (links, i);
      JsonArray *infos = object_get_array (link, "addr_info");

      for (guint j = 0; infos != NULL && j < json_array_get_length (infos); j++)
        {
          JsonObject *info = json_array_get_object_element (infos, j);
          HangardHostAddress *address;
          guint32 value;

          if (g_strcmp0 (json_object_get_string_member_with_default (info, "family", ""), "inet") != 0 ||
              !hangard_ipv4_parse (json_object_get_string_member_with_default (info, "local", NULL), &value))
            continue;
          address = g_new0 (HangardHostAddress, 1);
          address->device = g_strdup (json_object_get_string_member_with_default (link, "ifname", ""));
          address->address = value;
          address->prefix = json_object_get_int_member_with_default (info, "prefixlen", 32);
          g_ptr_array_add (result, address);
        }
    }
  return g_steal_pointer (&result);
}

gboolean
hangard_host_net_bridge_create (const char  *name,
                                GError     **error)
{
  if (!hangard_ifname_is_valid (name, error))
    return FALSE;
  /* No STP and no forwarding delay, like libvirt's bridges: a port
   * forwards as soon as it joins, so a guest's first DHCP request is not
   * lost in the 15 s learning phase. */
  /* "name": a bridge called "help" or "type" is still a name to ip. */
  return run_ip (NULL, error, "link", "add", "name", name, "type", "bridge",
                 "stp_state", "0", "forward_delay", "0", NULL);
}

gboolean
hangard_host_net_link_delete (const char  *name,
                              GError     **error)
{
  return require_link (name, error) &&
         run_ip (NULL, error, "link", "delete", "dev", name, NULL);
}

gboolean
hangard_host_net_link_set_up (const char  *name,
                              GError     **error)
{
  return require_link (name, error) &&
         run_ip (NULL, error, "link", "set", "dev", name, "up", NULL);
}

gboolean
hangard_host_net_address_add (const char  *device,
                              guint32      address,
                              guint        prefix,
                              GError     **error)
{
  g_autofree char *text = hangard_ipv4_to_string (address);
  g_autofree char *cidr = g_strdup_printf ("%s/%u", text, prefix);

  if (!require_link (device, error))
    return FALSE;
  if (prefix > 32)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("%u is not an IPv4 prefix length"), prefix);
      return FALSE;
    }
  /* "broadcast +": the subnet's broadcast address, as libvirt sets it. */
  return run_ip (NULL, error, "addr", "add", cidr, "broadcast", "+", "dev", device, NULL);
}

gboolean
hangard_host_net_set_master (const char  *device,
                             const char  *bridge,
                             GError     **error)
{
  return require_link (device, error) && require_link (bridge, error) &&
         run_ip (NULL, error, "link", "set", "dev", device, "master", bridge, NULL);
}

gboolean
hangard_host_net_enable_ip_forward (GError **error)
{
  const char *path = "/proc/sys/net/ipv4/ip_forward";
  int fd;
  gboolean ok;

  /* Written in place: g_file_set_contents() would try to rename a
   * temporary file over a /proc entry. */
  fd = open (path, O_WRONLY | O_CLOEXEC);
  ok = fd >= 0 && write (fd, "1\n", 2) == 2;
  if (!ok)
    {
      int saved_errno = errno;

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                   _("Cannot turn on IPv4 forwarding (%s): %s"), path, g_strerror (saved_errno));
    }
  if (fd >= 0)
    close (fd);
  return ok;
}

int
hangard_host_net_tap_open (const char  *name_template,
                           char       **name,
                           GError     **error)
{
  struct ifreq request = { 0 };
  int fd;

  if (name_template == NULL || strlen (name_template) >= IFNAMSIZ)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("'%s' is not a valid tap name template"), name_template ? name_template : "");
      return -1;
    }
  fd = open ("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                   _("Cannot open /dev/net/tun: %s"), g_strerror (saved_errno));
      return -1;
    }
  /* Not TUNSETPERSIST: the tap lives as long as its fd, so a guest's tap
   * goes away with its QEMU even when the engine is not there. */
  request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  memcpy (request.ifr_name, name_template, strlen (name_template));
  if (ioctl (fd, TUNSETIFF, &request) < 0)
    {
      int saved_errno = errno;

      close (fd);
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                   _("Cannot create a tap device %s: %s"), name_template, g_strerror (saved_errno));
      return -1;
    }
  *name = g_strndup (request.ifr_name, IFNAMSIZ);
  return fd;
}

/* ---- Moving addresses and routes between links ---------------------------- */

/* An IPv4 address or route of a link, as the ip arguments that make it
 * again (before "dev X") and those that remove it. */
typedef struct {
  GStrv add;
  GStrv del;
} Config;

static void
config_free (Config *config)
{
  g_strfreev (config->add);
  g_strfreev (config->del);
  g_free (config);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Config, config_free)

static Config *
address_config (JsonObject *info)
{
  g_autoptr(GStrvBuilder) add = g_strv_builder_new ();
  g_autofree char *cidr = NULL;
  const char *scope = json_object_get_string_member_with_default (info, "scope", "global");
  const char *broadcast = json_object_get_string_member_with_default (info, "broadcast", NULL);
  gint64 valid = json_object_get_int_member_with_default (info, "valid_life_time", LIFETIME_FOREVER);
  gint64 preferred = json_object_get_int_member_with_default (info, "preferred_life_time", LIFETIME_FOREVER);
  Config *config;

  cidr = g_strdup_printf ("%s/%" G_GINT64_FORMAT,
                          json_object_get_string_member_with_default (info, "local", ""),
                          json_object_get_int_member_with_default (info, "prefixlen", 32));
  g_strv_builder_add (add, cidr);
  if (broadcast != NULL)
    g_strv_builder_add_many (add, "broadcast", broadcast, NULL);
  if (strcmp (scope, "global") != 0)
    g_strv_builder_add_many (add, "scope", scope, NULL);
  if (json_object_get_boolean_member_with_default (info, "noprefixroute", FALSE))
    g_strv_builder_add (add, "noprefixroute");
  /* A DHCP address keeps its remaining lifetime (restarted, not exact). */
  if (valid != LIFETIME_FOREVER)
    {
      g_autofree char *valid_text = g_strdup_printf ("%" G_GINT64_FORMAT, valid);
      g_autofree char *preferred_text = g_strdup_printf ("%" G_GINT64_FORMAT, preferred);

      g_strv_builder_add_many (add, "valid_lft", valid_text, "preferred_lft", preferred_text, NULL);
    }

  config = g_new0 (Config, 1);
  config->add = g_strv_builder_end (add);
  config->del = g_strdupv ((char *[]) { cidr, NULL });
  return config;
}

/* The IPv4 addresses of `device`, primaries before secondaries as ip lists
 * them: adding them back in this order keeps which one is primary. */
static GPtrArray *
read_addresses (const char  *device,
                GError     **error)
{
  g_autoptr(JsonArray) links = ip_json (error, "-family", "inet", "addr", "show", "dev", device, NULL);
  g_autoptr(GPtrArray) result = NULL;

  if (links == NULL)
    return NULL;
  result = g_ptr_array_new_with_free_func ((GDestroyNotify) config_free);
  for (guint i = 0; i < json_array_get_length (links); i++)
    {
      JsonArray *infos = object_get_array (json_array_get_object_element (links, i), "addr_info");

      for (guint j = 0; infos != NULL && j < json_array_get_length (infos); j++)
        {
          JsonObject *info = json_array_get_object_element (infos, j);

          if (g_strcmp0 (json_object_get_string_member_with_default (info, "family", ""), "inet") == 0)
            g_ptr_array_add (result, address_config (info));
        }
    }
  return g_steal_pointer (&result);
}

/* The route metrics ip prints and takes back under the same keyword. */
static const char * const route_metrics[] = {
  "mtu", "advmss", "window", "hoplimit", "initcwnd", "initrwnd", "reordering",
  "ssthresh", "cwnd", "quickack", "fastopen_no_cookie", NULL
};

static gboolean
add_route_metrics (GStrvBuilder  *add,
                   JsonObject    *route,
                   const char    *dst,
                   GError       **error)
{
  JsonArray *metrics = object_get_array (route, "metrics");

  for (guint i = 0; metrics != NULL && i < json_array_get_length (metrics); i++)
    {
      JsonObject *metric = json_array_get_object_element (metrics, i);
      g_autoptr(GList) names = metric != NULL ? json_object_get_members (metric) : NULL;

      for (GList *l = names; l != NULL; l = l->next)
        {
          JsonNode *value = json_object_get_member (metric, l->data);
          g_autofree char *text = NULL;

          /* A locked or otherwise unusual metric could not be put back
           * as it was: refuse before changing anything. */
          if (!g_strv_contains (route_metrics, l->data) || !JSON_NODE_HOLDS_VALUE (value) ||
              json_node_get_value_type (value) != G_TYPE_INT64)
            {
              g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           _("The route to %s has a metric (%s) Hangar cannot move"),
                           dst, (const char *) l->data);
              return FALSE;
            }
          text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (value));
          g_strv_builder_add_many (add, l->data, text, NULL);
        }
    }
  return TRUE;
}

static Config *
route_config (JsonObject  *route,
              GError     **error)
{
  g_autoptr(GStrvBuilder) add = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) del = g_strv_builder_new ();
  const char *type = json_object_get_string_member_with_default (route, "type", "unicast");
  const char *dst = json_object_get_string_member_with_default (route, "dst", "");
  const char *gateway = json_object_get_string_member_with_default (route, "gateway", NULL);
  const char *protocol = json_object_get_string_member_with_default (route, "protocol", NULL);
  const char *scope = json_object_get_string_member_with_default (route, "scope", NULL);
  const char *prefsrc = json_object_get_string_member_with_default (route, "prefsrc", NULL);
  g_autofree char *metric = NULL;
  Config *config;

  if (json_object_has_member (route, "nexthops") || json_object_has_member (route, "nhid") ||
      json_object_has_member (route, "via"))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   _("The route to %s uses a multipath or foreign next hop Hangar cannot move"), dst);
      return NULL;
    }
  if (json_object_has_member (route, "metric"))
    metric = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (route, "metric"));

  /* ip takes the type only right before the destination. */
  if (strcmp (type, "unicast") != 0)
    g_strv_builder_add (add, type);
  g_strv_builder_add (add, dst);
  g_strv_builder_add (del, dst);
  if (gateway != NULL)
    {
      g_strv_builder_add_many (add, "via", gateway, NULL);
      g_strv_builder_add_many (del, "via", gateway, NULL);
    }
  if (metric != NULL)
    {
      g_strv_builder_add_many (add, "metric", metric, NULL);
      g_strv_builder_add_many (del, "metric", metric, NULL);
    }
  if (protocol != NULL)
    g_strv_builder_add_many (add, "proto", protocol, NULL);
  if (scope != NULL)
    g_strv_builder_add_many (add, "scope", scope, NULL);
  if (prefsrc != NULL)
    g_strv_builder_add_many (add, "src", prefsrc, NULL);
  if (json_array_has_string (object_get_array (route, "flags"), "onlink"))
    g_strv_builder_add (add, "onlink");
  if (!add_route_metrics (add, route, dst, error))
    return NULL;

  config = g_new0 (Config, 1);
  config->add = g_strv_builder_end (add);
  config->del = g_strv_builder_end (del);
  return config;
}

/* The IPv4 routes of `device` in the main table, without those the kernel
 * made for its addresses (they come back with the addresses). Routes
 * without a gateway come first: a gateway must be reachable when its
 * route is added. */
static GPtrArray *
read_routes (const char  *device,
             GError     **error)
{
  g_autoptr(JsonArray) routes = ip_json (error, "-details", "-family", "inet",
                                         "route", "show", "dev", device, NULL);
  g_autoptr(GPtrArray) result = NULL;

  if (routes == NULL)
    return NULL;
  result = g_ptr_array_new_with_free_func ((GDestroyNotify) config_free);
  for (int with_gateway = 0; with_gateway <= 1; with_gateway++)
    for (guint i = 0; i < json_array_get_length (routes); i++)
      {
        JsonObject *route = json_array_get_object_element (routes, i);
        Config *config;

        if (g_strcmp0 (json_object_get_string_member_with_default (route, "protocol", ""), "kernel") == 0 ||
            json_object_has_member (route, "gateway") != with_gateway)
          continue;
        config = route_config (route, error);
        if (config == NULL)
          return NULL;
        g_ptr_array_add (result, config);
      }
  return g_steal_pointer (&result);
}

/* ---- Steps with an undo list ---------------------------------------------- */

/* The ip commands that undo what was done so far, run last first. */
typedef struct {
  GPtrArray *undo;   /* GStrv */
} Changes;

static void
changes_init (Changes *changes)
{
  changes->undo = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
}

static void
changes_clear (Changes *changes)
{
  g_clear_pointer (&changes->undo, g_ptr_array_unref);
}

/* "ip OBJECT VERB SPEC… dev DEVICE"; takes nothing. */
static GStrv
command (const char  *object,
         const char  *verb,
         GStrv        spec,
         const char  *device)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_strv_builder_add_many (builder, object, verb, NULL);
  if (spec != NULL)
    g_strv_builder_addv (builder, (const char **) spec);
  g_strv_builder_add_many (builder, "dev", device, NULL);
  return g_strv_builder_end (builder);
}

static GStrv
link_command (const char *device,
              const char *what,
              const char *value)
{
  return g_strdupv ((char *[]) { "link", "set", "dev", (char *) device, (char *) what, (char *) value, NULL });
}

/* Runs `args` (taking it); once it worked, `undo` (taken, may be NULL) is
 * what puts things back. */
static gboolean
change (Changes  *changes,
        GStrv     args,
        GStrv     undo,
        GError  **error)
{
  g_auto(GStrv) owned_args = args;
  g_auto(GStrv) owned_undo = undo;

  if (!run_ipv ((const char * const *) owned_args, NULL, error))
    return FALSE;
  if (owned_undo != NULL)
    g_ptr_array_add (changes->undo, g_steal_pointer (&owned_undo));
  return TRUE;
}

/* Undoes every change, newest first; one failing does not stop the rest.
 * Returns FALSE if any failed (each is logged). */
static gboolean
changes_roll_back (Changes *changes)
{
  gboolean ok = TRUE;

  for (guint i = changes->undo->len; i > 0; i--)
    {
      g_autoptr(GError) error = NULL;

      if (!run_ipv (g_ptr_array_index (changes->undo, i - 1), NULL, &error))
        {
          g_warning ("Undoing a network change failed: %s", error->message);
          ok = FALSE;
        }
    }
  g_ptr_array_set_size (changes->undo, 0);
  return ok;
}

static void
fail_and_roll_back (Changes     *changes,
                    GError     **error,
                    const char  *what)
{
  if (changes_roll_back (changes))
    g_prefix_error (error, _("%s: every change was undone after: "), what);
  else
    g_prefix_error (error, _("%s: undoing the changes failed too (see the engine's log) after: "), what);
}

/* Takes the IPv4 routes and addresses off `from`. Routes go first (taking
 * the addresses would make the kernel drop them behind our back);
 * secondaries go before primaries, since removing a primary takes its
 * secondaries with it. The undo appends a route, since another link may
 * have one with the same destination and metric. */
static gboolean
take_configuration (Changes     *changes,
                    const char  *from,
                    GPtrArray   *addresses,
                    GPtrArray   *routes,
                    GError     **error)
{
  for (guint i = routes->len; i > 0; i--)
    {
      Config *route = g_ptr_array_index (routes, i - 1);

      if (!change (changes, command ("route", "del", route->del, from),
                   command ("route", "append", route->add, from), error))
        return FALSE;
    }
  for (guint i = addresses->len; i > 0; i--)
    {
      Config *address = g_ptr_array_index (addresses, i - 1);

      if (!change (changes, command ("addr", "del", address->del, from),
                   command ("addr", "add", address->add, from), error))
        return FALSE;
    }
  return TRUE;
}

/* Puts the addresses, then the routes, on `to`. "route add" and not
 * "append": when another link has a route with the same destination and
 * metric, the moved one would silently lose to it, so that fails. */
static gboolean
give_configuration (Changes     *changes,
                    const char  *to,
                    GPtrArray   *addresses,
                    GPtrArray   *routes,
                    GError     **error)
{
  for (guint i = 0; i < addresses->len; i++)
    {
      Config *address = g_ptr_array_index (addresses, i);

      if (!change (changes, command ("addr", "add", address->add, to),
                   command ("addr", "del", address->del, to), error))
        return FALSE;
    }
  for (guint i = 0; i < routes->len; i++)
    {
      Config *route = g_ptr_array_index (routes, i);

      if (!change (changes, command ("route", "add", route->add, to),
                   command ("route", "del", route->del, to), error))
        return FALSE;
    }
  return TRUE;
}

/* The device bridge_interface() can take: an existing Ethernet link that
 * is neither a bridge nor a port of one. */
static JsonObject *
check_bridgeable (const char  *device,
                  GError     **error)
{
  g_autoptr(JsonObject) link = link_details (device, error);

  if (link == NULL)
    return NULL;
  if (strcmp (link_kind (link), "bridge") == 0)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("%s is a bridge already"), device);
      return NULL;
    }
  if (json_object_has_member (link, "master"))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("%s is already a port of %s"), device,
                   json_object_get_string_member (link, "master"));
      return NULL;
    }
  if (g_strcmp0 (json_object_get_string_member_with_default (link, "link_type", ""), "ether") != 0 ||
      strcmp (link_kind (link), TAP_KIND) == 0)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT,
                   _("%s is not an Ethernet device a bridge can take"), device);
      return NULL;
    }
  return g_steal_pointer (&link);
}

gboolean
hangard_host_net_bridge_interface (const char  *device,
                                   const char  *bridge,
                                   GError     **error)
{
  g_autoptr(JsonObject) link = NULL;
  g_autoptr(GPtrArray) addresses = NULL;
  g_autoptr(GPtrArray) routes = NULL;
  g_autofree char *what = NULL;
  Changes changes;
  gboolean ok;

  if (!hangard_ifname_is_valid (bridge, error) || (link = check_bridgeable (device, error)) == NULL)
    return FALSE;
  if (hangard_host_net_link_exists (bridge))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_ALREADY_EXISTS,
                   _("A network interface named %s exists already"), bridge);
      return FALSE;
    }
  addresses = read_addresses (device, error);
  routes = addresses != NULL ? read_routes (device, error) : NULL;
  if (routes == NULL)
    return FALSE;

  changes_init (&changes);
  ok = change (&changes, g_strdupv ((char *[]) { "link", "add", "name", (char *) bridge, "type", "bridge",
                                                 "stp_state", "0", "forward_delay", "0", NULL }),
               g_strdupv ((char *[]) { "link", "delete", "dev", (char *) bridge, NULL }), error) &&
       /* The device's MAC, so the LAN's DHCP server and ARP caches see the
        * host as before. */
       change (&changes, link_command (bridge, "address",
                                       json_object_get_string_member_with_default (link, "address", "")),
               NULL, error) &&
       change (&changes, link_command (bridge, "up", NULL), NULL, error);
  if (ok && !json_array_has_string (object_get_array (link, "flags"), "UP"))
    ok = change (&changes, link_command (device, "up", NULL), link_command (device, "down", NULL), error);
  ok = ok &&
       change (&changes, link_command (device, "master", bridge), link_command (device, "nomaster", NULL), error) &&
       take_configuration (&changes, device, addresses, routes, error) &&
       give_configuration (&changes, bridge, addresses, routes, error);

  if (!ok)
    {
      what = g_strdup_printf (_("Cannot bridge %s into %s"), device, bridge);
      fail_and_roll_back (&changes, error, what);
    }
  else
    g_message ("Bridged %s into %s (%u addresses, %u routes moved)", device, bridge,
               addresses->len, routes->len);
  changes_clear (&changes);
  return ok;
}

/* The one device unbridge_interface() gives the bridge's configuration
 * back to: the bridge must have exactly one port, and not a tap. */
static char *
bridged_device (const char  *bridge,
                GError     **error)
{
  g_autoptr(JsonArray) ports = ip_json (error, "-details", "link", "show", "master", bridge, NULL);
  g_autoptr(GPtrArray) taps = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) others = g_ptr_array_new_with_free_func (g_free);

  if (ports == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (ports); i++)
    {
      JsonObject *port = json_array_get_object_element (ports, i);
      const char *name = json_object_get_string_member_with_default (port, "ifname", "");

      if (strcmp (link_kind (port), TAP_KIND) == 0 || g_str_has_prefix (name, "hgtap"))
        g_ptr_array_add (taps, g_strdup (name));
      else
        g_ptr_array_add (others, g_strdup (name));
    }
  g_ptr_array_add (taps, NULL);
  g_ptr_array_add (others, NULL);

  if (taps->len > 1)
    {
      g_autofree char *names = g_strjoinv (", ", (char **) taps->pdata);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("Machines are still attached to %s (%s)"), bridge, names);
      return NULL;
    }
  if (others->len == 1)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("%s has no port to give its addresses back to"), bridge);
      return NULL;
    }
  if (others->len > 2)
    {
      g_autofree char *names = g_strjoinv (", ", (char **) others->pdata);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("%s has several ports (%s): cannot tell which one to give its addresses back to"),
                   bridge, names);
      return NULL;
    }
  return g_strdup (g_ptr_array_index (others, 0));
}

gboolean
hangard_host_net_unbridge_interface (const char  *bridge,
                                     GError     **error)
{
  g_autoptr(JsonObject) link = link_details (bridge, error);
  g_autofree char *device = NULL;
  g_autoptr(GPtrArray) addresses = NULL;
  g_autoptr(GPtrArray) routes = NULL;
  g_autofree char *what = NULL;
  Changes changes;
  gboolean ok;

  if (link == NULL)
    return FALSE;
  if (strcmp (link_kind (link), "bridge") != 0)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_ARGUMENT, _("%s is not a bridge"), bridge);
      return FALSE;
    }
  device = bridged_device (bridge, error);
  if (device == NULL)
    return FALSE;
  addresses = read_addresses (bridge, error);
  routes = addresses != NULL ? read_routes (bridge, error) : NULL;
  if (routes == NULL)
    return FALSE;

  changes_init (&changes);
  ok = take_configuration (&changes, bridge, addresses, routes, error) &&
       change (&changes, link_command (device, "nomaster", NULL), link_command (device, "master", bridge), error) &&
       give_configuration (&changes, device, addresses, routes, error) &&
       change (&changes, g_strdupv ((char *[]) { "link", "delete", "dev", (char *) bridge, NULL }), NULL, error);

  if (!ok)
    {
      what = g_strdup_printf (_("Cannot give %s's configuration back to %s"), bridge, device);
      fail_and_roll_back (&changes, error, what);
    }
  else
    g_message ("Removed bridge %s, its configuration is back on %s", bridge, device);
  changes_clear (&changes);
  return ok;
}
