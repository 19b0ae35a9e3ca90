#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# What `meson install` puts in place for the system engine, checked in a
# scratch DESTDIR (the host is never touched): hangard in libexecdir and
# every file that starts it naming that path; the D-Bus policy, the polkit
# actions (valid against polkit's DTD, translated) and rules; the systemd
# unit (systemd-analyze verify, silent); the sysusers and tmpfiles entries
# applied to a scratch root by systemd-sysusers and systemd-tmpfiles.
#
# usage: test-install.sh MESON BUILDDIR PREFIX BINDIR LIBEXECDIR DATADIR
set -eu

meson=$1 build=$2 prefix=$3 bindir=$4 libexecdir=$5 datadir=$6
case $bindir in /*) ;; *) bindir=$prefix/$bindir ;; esac
case $libexecdir in /*) ;; *) libexecdir=$prefix/$libexecdir ;; esac
case $datadir in /*) ;; *) datadir=$prefix/$datadir ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hangar-install-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
n=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { echo "not ok - $*"; exit 1; }
has_line() { grep -qxF "$2" "$1" || fail "$1 has no line '$2'"; }
xpath() { xmllint --xpath "$2" "$1" 2>/dev/null; }

"$meson" install -C "$build" --no-rebuild --destdir "$dest" --quiet >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log"; fail "meson install"; }
ok "meson install into a scratch DESTDIR"

# hangard: in libexecdir only, and everything that starts it says so.
hangard=$libexecdir/hangard
[ -x "$dest$hangard" ] && [ -s "$dest$hangard" ] || fail "no executable $hangard"
[ ! -e "$dest$bindir/hangard" ] || fail "hangard is still installed in $bindir"
"$dest$hangard" --version >/dev/null || fail "$hangard --version"
ok "hangard is $hangard"

session_service=$dest$datadir/dbus-1/services/io.github.hangarvm.Hangar1.service
system_service=$dest$datadir/dbus-1/system-services/io.github.hangarvm.Hangar1.service
unit=$dest$prefix/lib/systemd/system/hangard.service
has_line "$session_service" "Exec=$hangard --session"
has_line "$system_service" "Name=io.github.hangarvm.Hangar1"
has_line "$system_service" "Exec=$hangard --system"
has_line "$system_service" "User=root"
has_line "$system_service" "SystemdService=hangard.service"
has_line "$unit" "ExecStart=$hangard --system"
has_line "$unit" "Type=dbus"
has_line "$unit" "BusName=io.github.hangarvm.Hangar1"
ok "D-Bus activation (session and system) and the unit start $hangard"

# The system bus policy: only root owns the name, anyone may call it.
conf=$dest$datadir/dbus-1/system.d/io.github.hangarvm.Hangar1.conf
if command -v xmllint >/dev/null; then
  xmllint --noout "$conf" || fail "$conf is not well-formed"
  [ "$(xpath "$conf" 'string(/busconfig/policy[@user="root"]/allow/@own)')" = io.github.hangarvm.Hangar1 ] ||
    fail "$conf: root does not own io.github.hangarvm.Hangar1"
  [ "$(xpath "$conf" 'count(//allow[@own or @own_prefix])')" = 1 ] ||
    fail "$conf: someone other than root may own a name"
  [ "$(xpath "$conf" 'string(/busconfig/policy[@context="default"]/allow/@send_destination)')" = io.github.hangarvm.Hangar1 ] ||
    fail "$conf: not everyone may call the engine"
  ok "the D-Bus policy: root owns, anyone calls"

  policy=$dest$datadir/polkit-1/actions/io.github.hangarvm.hangar.policy
  dtd=/usr/share/polkit-1/policyconfig-1.dtd
  if [ -f "$dtd" ]; then
    xmllint --noout --dtdvalid "$dtd" "$policy" || fail "$policy does not follow $dtd"
  else
    xmllint --noout "$policy" || fail "$policy is not well-formed"
  fi
  for action in monitor manage; do
    id=io.github.hangarvm.hangar.$action
    [ "$(xpath "$policy" "count(/policyconfig/action[@id='$id'])")" = 1 ] || fail "$policy has no action $id"
    [ -n "$(xpath "$policy" "string(/policyconfig/action[@id='$id']/message[@xml:lang='zh_CN'])")" ] ||
      fail "$policy: $id has no zh_CN message"
  done
  defaults() { xpath "$policy" "string(/policyconfig/action[@id='io.github.hangarvm.hangar.$1']/defaults/$2)"; }
  for key in allow_any allow_inactive allow_active; do
    [ "$(defaults monitor $key)" = yes ] || fail "monitor $key is not yes"
    [ "$(defaults manage $key)" = auth_admin_keep ] || fail "manage $key is not auth_admin_keep"
  done
  ok "the polkit actions: monitor for anyone, manage auth_admin_keep, translated"
else
  echo "# no xmllint: D-Bus policy and polkit actions not checked"
fi

rules=$dest$datadir/polkit-1/rules.d/50-io.github.hangarvm.hangar.rules
grep -q 'subject.isInGroup("hangar")' "$rules" || fail "$rules does not name the group hangar"
ok "the polkit rule for the group hangar"

# The unit as systemd reads it: not a single complaint.
if command -v systemd-analyze >/dev/null; then
  sed "s|^ExecStart=$hangard|ExecStart=$dest$hangard|" "$unit" >"$tmp/hangard.service"
  systemd-analyze verify --man=no "$tmp/hangard.service" >"$tmp/verify.log" 2>&1 ||
    { cat "$tmp/verify.log"; fail "systemd-analyze verify"; }
  [ ! -s "$tmp/verify.log" ] || { cat "$tmp/verify.log"; fail "systemd-analyze verify complains"; }
  ok "systemd-analyze verify hangard.service"
else
  echo "# no systemd-analyze: the unit is not verified"
fi

# Users, groups and directories, made in a scratch root (owned by root:
# needs root).
root=$tmp/root
mkdir -p "$root/etc"
if [ "$(id -u)" != 0 ]; then
  echo "# not root: sysusers.d and tmpfiles.d entries not applied"
elif command -v systemd-sysusers >/dev/null; then
  systemd-sysusers --root="$root" "$dest$prefix/lib/sysusers.d/hangar.conf" >"$tmp/sysusers.log" 2>&1 ||
    { cat "$tmp/sysusers.log"; fail "systemd-sysusers"; }
  grep -q '^hangar-qemu:x:[0-9]*:[0-9]*:[^:]*:/var/lib/hangar:/usr/sbin/nologin$' "$root/etc/passwd" ||
    fail "no user hangar-qemu: $(cat "$root/etc/passwd")"
  grep -q '^hangar:x:[0-9]*:$' "$root/etc/group" || fail "no group hangar"
  grep -q '^kvm:x:[0-9]*:hangar-qemu$' "$root/etc/group" || fail "hangar-qemu is not in kvm"
  ok "systemd-sysusers: hangar-qemu (in kvm), group hangar"
else
  echo "# no systemd-sysusers: sysusers.d entry not applied"
fi
if [ "$(id -u)" = 0 ] && command -v systemd-tmpfiles >/dev/null; then
  systemd-tmpfiles --root="$root" --create "$dest$prefix/lib/tmpfiles.d/hangar.conf" >"$tmp/tmpfiles.log" 2>&1 ||
    { cat "$tmp/tmpfiles.log"; fail "systemd-tmpfiles"; }
  for entry in etc/hangar:700 var/lib/hangar:755 var/lib/hangar/images:755 var/log/hangar:700 run/hangar:700; do
    dir=${entry%:*} mode=${entry#*:}
    [ "$(stat -c '%a %U' "$root/$dir")" = "$mode root" ] || fail "/$dir: $(stat -c '%a %U' "$root/$dir"), expected $mode root"
  done
  ok "systemd-tmpfiles: the engine's directories and their modes"
else
  echo "# no systemd-tmpfiles: tmpfiles.d entry not applied"
fi

echo "1..$n"
