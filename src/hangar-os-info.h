/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <osinfo/osinfo.h>

G_BEGIN_DECLS

/* What the GUI asks libosinfo: which operating system an installer ISO
 * holds, the list of known systems to choose from, and what a system
 * needs (memory, processors, disk, devices). */

/* Used when libosinfo knows nothing better. */
#define HANGAR_OS_INFO_DEFAULT_RAM     (G_GUINT64_CONSTANT (2) << 30)
#define HANGAR_OS_INFO_DEFAULT_CPUS    2
#define HANGAR_OS_INFO_DEFAULT_STORAGE (G_GUINT64_CONSTANT (20) << 30)

typedef struct {
  guint64  ram;          /* bytes */
  guint    n_cpus;
  guint64  storage;      /* bytes */
  gboolean from_osinfo;  /* FALSE: all three are the defaults above */
} HangarOsResources;

/* The osinfo database (osinfo-db), loaded once per process in a thread;
 * later calls complete at once. */
void         hangar_os_info_load_db_async    (GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
OsinfoDb    *hangar_os_info_load_db_finish   (GAsyncResult         *result,
                                              GError              **error);
/* The database if it is loaded already, else NULL (nothing is started). */
OsinfoDb    *hangar_os_info_peek_db          (void);

/* Which system the installer ISO at @path holds. Completes with the
 * OsinfoOs, or with NULL and no error when the file is not install media
 * libosinfo recognizes (an unknown ISO, not an ISO at all); fails only when
 * the file cannot be read. */
void         hangar_os_info_detect_async     (OsinfoDb             *db,
                                              const char           *path,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
OsinfoOs    *hangar_os_info_detect_finish    (GAsyncResult         *result,
                                              GError              **error);

/* Every system a person may pick, newest release first (libosinfo's own
 * "Unknown" placeholder left out): a model of OsinfoOs. */
GListModel  *hangar_os_info_list_oses        (OsinfoDb             *db);

/* Whether @os matches what a person typed: every word of @query is found,
 * ignoring case and accents, in its name, short ID or vendor. An empty
 * query matches everything. */
gboolean     hangar_os_info_matches          (OsinfoOs             *os,
                                              const char           *query);
/* The systems matching @query, in hangar_os_info_list_oses() order. */
GPtrArray   *hangar_os_info_search           (OsinfoDb             *db,
                                              const char           *query);

/* What @os recommends on x86_64 (or for every architecture), each value
 * falling back to the minimum and then to the defaults above; @os may be
 * NULL (an unknown system): the defaults. */
void         hangar_os_info_get_resources    (OsinfoOs             *os,
                                              HangarOsResources    *resources);

const char  *hangar_os_info_get_id           (OsinfoOs             *os);
const char  *hangar_os_info_get_short_id     (OsinfoOs             *os);
const char  *hangar_os_info_get_name         (OsinfoOs             *os);

/* Whether @os has a driver for a device of @device_class ("block", "net",
 * "video") whose name contains @name_part ("virtio", "e1000"). Unknown
 * systems (@os NULL) are taken to be recent ones: TRUE. */
gboolean     hangar_os_info_supports_device  (OsinfoOs             *os,
                                              const char           *device_class,
                                              const char           *name_part);

/* ---- Icons ---------------------------------------------------------------- */

/* Symbolic icons for families of systems, drawn for Hangar (libosinfo has
 * only remote logo URLs, and no logo is a trademark here): in the app's
 * GResource under icons/scalable/actions/. */
#define HANGAR_OS_ICON_LINUX   "hangar-os-linux-symbolic"
#define HANGAR_OS_ICON_WINDOWS "hangar-os-windows-symbolic"
#define HANGAR_OS_ICON_BSD     "hangar-os-bsd-symbolic"
#define HANGAR_OS_ICON_UNKNOWN "hangar-os-unknown-symbolic"

/* The icon for @os's family ("linux", "winnt", "freebsd"... else its
 * distro); HANGAR_OS_ICON_UNKNOWN for NULL or a family without one. */
const char  *hangar_os_info_get_icon_name    (OsinfoOs             *os);
/* The same for a libosinfo ID (the <libosinfo:os id> of a definition).
 * An ID this database does not have takes the family of a release of the
 * same distro it has ("http://debian.org/debian/14" → Debian's); NULL or
 * "" is unknown. */
const char  *hangar_os_info_icon_name_for_id (OsinfoDb             *db,
                                              const char           *os_id);
/* Puts the GResource's icons on @display's icon theme path, once. A
 * GtkApplication does it by itself (its resource base path); widgets that
 * show the icons call this for when they are used without one. */
void         hangar_os_info_add_icon_path    (GdkDisplay           *display);

G_END_DECLS
