#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# make-test-guest.sh OUTDIR [PROBE]
#
# Builds a tiny test guest for Hangar's integration tests out of what the
# host already has installed (no root, no network):
#
#   OUTDIR/vmlinuz        copy of the newest /boot/vmlinuz-* (mode 0644)
#   OUTDIR/initramfs.img  gzip'ed newc cpio: static busybox, a /init script
#                         and the few kernel modules the tests need
#   OUTDIR/test-guest.iso BIOS-bootable ISO 9660 image (isolinux) holding the
#                         same kernel and initramfs, booted at once with
#                         "console=ttyS0 quiet panic=-1"
#
# PROBE is the static hangar-guest-probe (tests/guest/hangar-guest-probe.c,
# built by meson); without it, the words hangar.virtio-gpu and hangar.tablet
# only load their drivers.
#
# Needs the Debian packages linux-image-amd64, busybox-static, cpio, gzip,
# xorriso, isolinux and syslinux-common.
# Only writes inside OUTDIR (staging happens in a temporary directory inside
# it). See README.md next to this script for what the guest does at boot
# (kernel command line words and serial-console markers).
#
# Environment overrides (optional):
#   HANGAR_TEST_KERNEL   path of the vmlinuz-VERSION to use
#   HANGAR_TEST_BUSYBOX  path of a statically linked busybox
#   SOURCE_DATE_EPOCH    timestamp given to every file in the initramfs and
#                        the ISO, and to the ISO's volume dates and UUID
#                        (default: the kernel's mtime)
#
# It avoids forking where it can: under a loaded machine every fork counts.

set -euo pipefail

prog=${0##*/}

die() {
	echo "$prog: error: $*" >&2
	exit 1
}

warn() {
	echo "$prog: warning: $*" >&2
}

need_cmd() { # need_cmd COMMAND PACKAGE
	command -v "$1" >/dev/null 2>&1 ||
		die "'$1' not found; install the Debian package '$2' (apt-get install $2)"
}

if [[ $# -lt 1 || $# -gt 2 || -z $1 || $1 == -* ]]; then
	echo "usage: $prog OUTDIR [PROBE]" >&2
	exit 2
fi
outdir=$1
probe=${2:-}

export LC_ALL=C

# ---------------------------------------------------------------- tools -----

need_cmd cpio cpio
need_cmd gzip gzip
need_cmd xorriso xorriso

# First existing readable file among the arguments, in $found.
find_file() {
	local f
	found=
	for f; do
		if [[ -f $f && -r $f ]]; then
			found=$f
			return 0
		fi
	done
	return 1
}
# Debian paths first, then Fedora's and Arch's.
find_file /usr/lib/ISOLINUX/isolinux.bin /usr/share/syslinux/isolinux.bin \
	/usr/lib/syslinux/bios/isolinux.bin ||
	die "isolinux.bin not found (looked in /usr/lib/ISOLINUX); install the Debian package 'isolinux'"
isolinux_bin=$found
find_file /usr/lib/syslinux/modules/bios/ldlinux.c32 /usr/share/syslinux/ldlinux.c32 \
	/usr/lib/syslinux/bios/ldlinux.c32 ||
	die "ldlinux.c32 not found (looked in /usr/lib/syslinux/modules/bios); install the Debian package 'syslinux-common'"
ldlinux_c32=$found

# Is $1 a statically linked x86-64 ELF executable (no PT_INTERP header)?
is_static_elf() {
	local -a b
	local phoff phentsize phnum i off
	# Only decimal numbers: word splitting is what we want.
	# shellcheck disable=SC2207
	b=($(od -An -v -tu1 -N4096 "$1")) || return 1
	((${#b[@]} >= 64)) || return 1
	# "\x7fELF", ELFCLASS64, little endian, e_machine == EM_X86_64 (62)
	[[ "${b[*]:0:6}" == "127 69 76 70 2 1" && ${b[18]} -eq 62 && ${b[19]} -eq 0 ]] || return 1
	phoff=$((b[32] | b[33] << 8 | b[34] << 16 | b[35] << 24))
	phentsize=$((b[54] | b[55] << 8))
	phnum=$((b[56] | b[57] << 8))
	((phoff + phnum * phentsize <= ${#b[@]})) || return 1
	for ((i = 0; i < phnum; i++)); do
		off=$((phoff + i * phentsize))
		# p_type == PT_INTERP (3): dynamically linked
		((b[off] == 3 && b[off + 1] == 0 && b[off + 2] == 0 && b[off + 3] == 0)) && return 1
	done
	return 0
}

busybox=${HANGAR_TEST_BUSYBOX:-}
if [[ -z $busybox ]]; then
	for b in /bin/busybox /usr/bin/busybox; do
		if [[ -x $b ]]; then
			busybox=$b
			break
		fi
	done
fi
[[ -n $busybox && -f $busybox && -x $busybox ]] ||
	die "no busybox found at ${busybox:-/bin/busybox}; install the Debian package 'busybox-static'"
is_static_elf "$busybox" ||
	die "$busybox is not a statically linked x86-64 busybox; install the Debian package 'busybox-static' (it replaces 'busybox')"

if [[ -z $probe ]]; then
	warn "no hangar-guest-probe given: hangar.virtio-gpu and hangar.tablet will only load their drivers (no HANGAR-MODE, HANGAR-ABS... markers)"
elif ! [[ -f $probe && -x $probe ]] || ! is_static_elf "$probe"; then
	die "$probe is not a statically linked x86-64 executable (build tests/guest/hangar-guest-probe.c with -static)"
fi

# --------------------------------------------------------------- kernel -----

kernel=${HANGAR_TEST_KERNEL:-}
if [[ -z $kernel ]]; then
	shopt -s nullglob
	kernels=(/boot/vmlinuz-*)
	shopt -u nullglob
	((${#kernels[@]} > 0)) ||
		die "no /boot/vmlinuz-* found; install the Debian package 'linux-image-amd64'"
	kernel=$(printf '%s\n' "${kernels[@]}" | sort -V | tail -n 1)
fi
[[ -f $kernel ]] ||
	die "kernel $kernel does not exist; install the Debian package 'linux-image-amd64'"
[[ -r $kernel ]] ||
	die "kernel $kernel is not readable by $(id -un) (some distributions install it mode 0600); make it readable or point HANGAR_TEST_KERNEL at a readable copy"

# The version comes from the file name, not from `uname -r`: the tests may be
# built on a machine (or in a container) running another kernel.
kver=${kernel##*/vmlinuz-}
[[ -n $kver && $kver != "$kernel" ]] ||
	die "cannot derive the kernel version from the file name $kernel (expected .../vmlinuz-VERSION)"
moddir=/lib/modules/$kver
[[ -r $moddir/modules.dep ]] ||
	die "$moddir/modules.dep not found: the modules of kernel $kver are missing; install the Debian package 'linux-image-amd64' (or run depmod $kver)"

kconfig=
for c in "/boot/config-$kver" "$moddir/build/.config"; do
	if [[ -r $c ]]; then
		kconfig=$c
		break
	fi
done

wanted_modules=(
	# module:Kconfig symbol
	evdev:INPUT_EVDEV  # /dev/input/event* for busybox acpid
	button:ACPI_BUTTON # ACPI power button (QMP system_powerdown)
	virtio_pci:VIRTIO_PCI
	e1000:E1000
	virtio_net:VIRTIO_NET
	virtio_blk:VIRTIO_BLK
)
required_syms=(BLK_DEV_INITRD RD_GZIP DEVTMPFS SERIAL_8250 SERIAL_8250_CONSOLE)
console_syms=(VGA_CONSOLE VT SERIO_I8042 KEYBOARD_ATKBD)

declare -A kcfg=() # SYMBOL -> y/m, for the symbols above
if [[ -n $kconfig ]]; then
	syms=("${required_syms[@]}" "${console_syms[@]}" PACKET "${wanted_modules[@]#*:}")
	pattern=${syms[*]}
	lines=$(grep -E "^CONFIG_(${pattern// /|})=[ym]\$" "$kconfig" || true)
	for line in $lines; do
		sym=${line%%=*}
		kcfg[${sym#CONFIG_}]=${line#*=}
	done

	for sym in "${required_syms[@]}"; do
		[[ ${kcfg[$sym]:-} == y ]] ||
			die "kernel $kver lacks CONFIG_$sym=y, which the test guest needs"
	done
	# VGA text console and AT keyboard for the display / keyboard tests.
	for sym in "${console_syms[@]}"; do
		[[ ${kcfg[$sym]:-} == y ]] ||
			warn "kernel $kver lacks CONFIG_$sym=y: no usable text console on tty1"
	done
	# Packet sockets are needed by udhcpc.
	[[ ${kcfg[PACKET]:-} == y ]] ||
		warn "kernel $kver lacks CONFIG_PACKET=y: hangar.dhcp will not work"
else
	warn "no kernel config found for $kver; assuming a Debian-like kernel"
fi

# -------------------------------------------------------------- modules -----
#
# Of wanted_modules (see above), built-in (=y) ones are skipped; modules (=m)
# are copied with their dependencies, resolved from modules.dep. The VGA text
# console, serial port, i8042/atkbd and packet sockets are built into Debian
# kernels (checked above), so they need no module.

declare -A want_sym=()
want=()
for entry in "${wanted_modules[@]}"; do
	name=${entry%%:*}
	sym=${entry#*:}
	[[ ${kcfg[$sym]:-} == y ]] && continue # built into the kernel
	want+=("$name")
	want_sym[$name]=$sym
done

builtin_list=/dev/null
[[ -r $moddir/modules.builtin ]] && builtin_list=$moddir/modules.builtin

# Prints "MOD relpath" in load order (dependencies first), "BUILTIN name",
# "ABSENT name" or "BADDEP relpath".
# shellcheck disable=SC2016 # awk code, not shell
resolve_awk='
function modname(p) { sub(/.*\//, "", p); sub(/\.ko.*$/, "", p); gsub(/-/, "_", p); return p }
function add(m,   n, d, i) {
	if (m in seen) return
	seen[m] = 1
	if (!(m in dep)) { print "BADDEP " m; return }
	n = split(dep[m], d, " ")
	for (i = n; i >= 1; i--) add(d[i])  # modules.dep lists the deepest last
	print "MOD " m
}
FILENAME == ARGV[1] {
	m = $0; sub(/:.*$/, "", m)
	d = $0; sub(/^[^:]*:/, "", d)
	dep[m] = d; path[modname(m)] = m
	next
}
{ builtin[modname($0)] = 1 }
END {
	n = split(want, w, " ")
	for (i = 1; i <= n; i++) {
		if (w[i] in path) add(path[w[i]])
		else if (w[i] in builtin) print "BUILTIN " w[i]
		else print "ABSENT " w[i]
	}
}'

load_order=()
while read -r what arg; do
	case $what in
	MOD) load_order+=("$arg") ;;
	BUILTIN) ;;
	BADDEP) die "$arg is listed as a dependency but missing from $moddir/modules.dep; run depmod $kver" ;;
	ABSENT)
		[[ ${kcfg[${want_sym[$arg]}]:-} == m ]] &&
			die "CONFIG_${want_sym[$arg]}=m but module $arg is missing from $moddir; reinstall the Debian package 'linux-image-amd64'"
		warn "kernel $kver has neither a built-in nor a module '$arg' (CONFIG_${want_sym[$arg]}); skipping it"
		;;
	esac
done < <(awk -v want="${want[*]}" "$resolve_awk" "$moddir/modules.dep" "$builtin_list")

# ---------------------------------------------------------------- stage -----

mkdir -p "$outdir"
stage=$(mktemp -d "$outdir/.make-test-guest.XXXXXX")
cleanup() { rm -rf "$stage"; }
trap cleanup EXIT
root=$stage/root

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/share/udhcpc,dev,proc,sys,tmp,run,root} \
	"$root"/{var/log,etc/acpi,etc/udhcpc,lib/modules}

executables=()
# write_file [-x] PATH <<'EOF' ... EOF (no fork, unlike cat)
write_file() {
	local content
	if [[ $1 == -x ]]; then
		shift
		executables+=("$1")
	fi
	IFS= read -r -d '' content || true
	printf '%s' "$content" >"$1"
}

cp "$busybox" "$root/bin/busybox"
executables+=("$root/bin/busybox")

# Symlinks for the applets the guest's scripts use; /init adds the rest with
# `busybox --install -s` at boot (for the interactive shells) as one ln fork
# per symlink here would cost more than the whole rest of this script.
applets=(
	sh mount mkdir cat insmod hostname ip sleep udhcpc acpid setsid sync
	poweroff reboot halt
)
available=$("$busybox" --list 2>/dev/null) ||
	die "$busybox --list failed: not a busybox? Install the Debian package 'busybox-static'"
available=$'\n'$available$'\n'
for a in "${applets[@]}"; do
	[[ $available == *$'\n'$a$'\n'* ]] ||
		die "$busybox lacks the '$a' applet; install the Debian package 'busybox-static'"
	ln -s busybox "$root/bin/$a"
done
ln -s ../run "$root/var/run"

# Kernel modules, decompressed: busybox insmod wants plain .ko files.
plain=()
order=
for mod in "${load_order[@]}"; do
	name=${mod##*/}
	name=${name%%.ko*}.ko
	case $mod in
	*.ko) plain+=("$moddir/$mod") ;;
	*.ko.xz) need_cmd xz xz-utils; xz -dc "$moddir/$mod" >"$root/lib/modules/$name" ;;
	*.ko.zst) need_cmd zstd zstd; zstd -qdc "$moddir/$mod" >"$root/lib/modules/$name" ;;
	*.ko.gz) gzip -dc "$moddir/$mod" >"$root/lib/modules/$name" ;;
	*) die "unsupported module compression: $moddir/$mod" ;;
	esac
	order+=$name$'\n'
done
((${#plain[@]} == 0)) || cp "${plain[@]}" "$root/lib/modules/"
printf '%s' "$order" >"$root/lib/modules/load-order"

# Drivers loaded only when a kernel command line word asks (probing them
# would slow every boot): load-order-SET, resolved like the modules above;
# modules already in the initramfs are not listed again.
# module_set SET MODULE...
module_set() {
	local set=$1 order='' what arg name
	local -a plain=()
	shift
	while read -r what arg; do
		[[ $what == MOD ]] || continue
		name=${arg##*/}
		name=${name%%.ko*}.ko
		[[ -e $root/lib/modules/$name ]] && continue
		case $arg in
		*.ko) plain+=("$moddir/$arg") ;;
		*.ko.xz) need_cmd xz xz-utils; xz -dc "$moddir/$arg" >"$root/lib/modules/$name" ;;
		*.ko.zst) need_cmd zstd zstd; zstd -qdc "$moddir/$arg" >"$root/lib/modules/$name" ;;
		*.ko.gz) gzip -dc "$moddir/$arg" >"$root/lib/modules/$name" ;;
		*) die "unsupported module compression: $moddir/$arg" ;;
		esac
		order+=$name$'\n'
	done < <(awk -v want="$*" "$resolve_awk" "$moddir/modules.dep" "$builtin_list")
	((${#plain[@]} == 0)) || cp "${plain[@]}" "$root/lib/modules/"
	printf '%s' "$order" >"$root/lib/modules/load-order-$set"
}
# hangar.cdrom: CD-ROM drives (IDE, SATA) and the SCSI CD driver.
module_set cdrom ata_piix ahci sr_mod
# hangar.virtio-gpu: the virtio GPU's DRM/KMS driver (virtio-vga), with
# drm, drm_kms_helper, drm_shmem_helper... (the frame buffer console is
# built in).
module_set virtio-gpu virtio_gpu
# hangar.tablet: QEMU's usb-tablet on its xHCI controller (usbcore,
# xhci_hcd, xhci_pci, usbhid, hid, hid_generic; evdev is always there).
module_set tablet xhci_pci usbhid hid_generic

printf '%s\n' "$kver" >"$root/etc/hangar-guest-kernel"

if [[ -n $probe ]]; then
	cp "$probe" "$root/bin/hangar-guest-probe"
	executables+=("$root/bin/hangar-guest-probe")
fi

write_file "$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
EOF
write_file "$root/etc/group" <<'EOF'
root:x:0:
EOF

# Power off / reboot the guest, loudly. Used by the ACPI power button
# handler, by hangar.poweroff and when someone runs `poweroff` or `reboot`
# (without -f: busybox then signals PID 1, and /init traps the signal).
# The leading newline: a shell prompt may be pending on the console.
write_file -x "$root/sbin/hangar-poweroff" <<'EOF'
#!/bin/sh
printf '\nHANGAR-GUEST-POWEROFF\n' >/dev/console
sync
exec /bin/busybox poweroff -f
EOF
write_file -x "$root/sbin/hangar-reboot" <<'EOF'
#!/bin/sh
printf '\nHANGAR-GUEST-REBOOT\n' >/dev/console
sync
exec /bin/busybox reboot -f
EOF

# busybox acpid reads /dev/input/event*, maps KEY_POWER (built-in map, no
# /etc/acpi.map needed) to "button/power PWRF 00000080"; the action file
# (-a) maps a key found in that string to a file in the config directory
# (-c), which acpid then runs.
write_file "$root/etc/acpid.conf" <<'EOF'
# KEY ACTION (ACTION is relative to /etc/acpi)
PWRF power-button
EOF
write_file -x "$root/etc/acpi/power-button" <<'EOF'
#!/bin/sh
exec /sbin/hangar-poweroff
EOF

write_file -x "$root/usr/share/udhcpc/default.script" <<'EOF'
#!/bin/sh
# udhcpc event script of the Hangar test guest.
case "$1" in
deconfig)
	ip link set "$interface" up
	ip -4 addr flush dev "$interface"
	;;
bound|renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" ${broadcast:+broadcast "$broadcast"} dev "$interface"
	# busybox `ip route show default` lists every route: grep for it.
	if [ -n "$router" ] && ! ip route | grep -q '^default'; then
		for r in $router; do
			ip route add default via "$r" dev "$interface" && break
		done
	fi
	if [ -n "$dns" ]; then
		: >/etc/resolv.conf
		for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done
	fi
	echo "HANGAR-GUEST-IP $interface $ip" >/dev/console
	;;
esac
exit 0
EOF
# Debian's busybox looks there by default.
ln -s ../../usr/share/udhcpc/default.script "$root/etc/udhcpc/default.script"

write_file -x "$root/init" <<'EOF'
#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# /init of the Hangar test guest (generated by tests/guest/make-test-guest.sh).
# Must never exit: PID 1 exiting panics the kernel.

export PATH=/sbin:/bin:/usr/sbin:/usr/bin
export HOME=/root TERM=linux PS1='hangar-guest# '

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /run 2>/dev/null
exec </dev/console >/dev/console 2>&1
# All applets, for the interactive shells (needs /proc/self/exe).
/bin/busybox --install -s 2>/dev/null

read -r cmdline </proc/cmdline
has_word() {
	case " $cmdline " in *" $1 "*) return 0 ;; esac
	return 1
}

# `poweroff`, `halt` and `reboot` without -f signal PID 1.
trap '/sbin/hangar-poweroff' USR1 USR2
trap '/sbin/hangar-reboot' TERM

# In dependency order; failures (built in, already loaded, no device) are
# expected and ignored.
while read -r m; do
	insmod "/lib/modules/$m" 2>/dev/null
done </lib/modules/load-order
load_set() {
	while read -r m; do
		insmod "/lib/modules/$m" 2>/dev/null
	done <"/lib/modules/load-order-$1"
}
has_word hangar.cdrom && load_set cdrom
has_word hangar.virtio-gpu && load_set virtio-gpu
has_word hangar.tablet && load_set tablet

hostname hangar-guest
ip link set lo up 2>/dev/null

# ACPI power button (QMP system_powerdown) -> clean poweroff. Started before
# the marker, and waited for: it writes its pid file once it has opened
# /dev/input/event*; a button press before that would be lost.
acpid -c /etc/acpi -a /etc/acpid.conf -l /var/log/acpid.log -p /run/acpid.pid
i=0
while [ ! -e /run/acpid.pid ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done

echo "HANGAR-GUEST-BOOTED"

if has_word hangar.dhcp; then
	for dev in /sys/class/net/eth*; do
		[ -e "$dev" ] && ip link set "${dev##*/}" up
	done
	for dev in /sys/class/net/eth*; do
		[ -e "$dev" ] || continue
		dev=${dev##*/}
		# Patient (60 tries, 3 s apart): a loaded host under TCG is slow to
		# answer, and the tests wait for the lease for minutes anyway.
		# Wait (<= 5 s) for the link, so the first DISCOVER is not lost
		# (e1000 needs ~2 s).
		i=0
		while [ "$(cat "/sys/class/net/$dev/carrier" 2>/dev/null)" != 1 ] && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		udhcpc -i "$dev" -n -q -t 60 -T 3 -s /usr/share/udhcpc/default.script >/dev/null 2>&1 ||
			echo "HANGAR-GUEST-DHCP-FAILED $dev"
	done
fi

# hangar.ping=ADDR (may repeat): after DHCP, can the guest reach ADDR?
for word in $cmdline; do
	case "$word" in
	hangar.ping=*)
		addr=${word#hangar.ping=}
		if ping -c 1 -W 3 "$addr" >/dev/null 2>&1; then
			echo "HANGAR-GUEST-PING $addr ok"
		else
			echo "HANGAR-GUEST-PING $addr fail"
		fi
		;;
	esac
done

# hangar.httpd=PORT: serve "HANGAR-GUEST-HTTP" on PORT (host port forwards).
for word in $cmdline; do
	case "$word" in
	hangar.httpd=*)
		port=${word#hangar.httpd=}
		mkdir -p /srv/www
		echo HANGAR-GUEST-HTTP >/srv/www/index.html
		httpd -p "$port" -h /srv/www && echo "HANGAR-GUEST-HTTPD $port"
		;;
	esac
done

if has_word hangar.poweroff; then
	/sbin/hangar-poweroff
fi

# Stay up. Shells on the consoles, heartbeat if asked for.
# Respawning interactive shell on a terminal, with it as controlling tty.
shell_on() {
	while :; do
		setsid -c sh -i <"$1" >"$1" 2>&1
		sleep 1
	done &
}
# Serial port (if there is a UART behind ttyS0) and VGA console.
uart=0
read -r uart </sys/class/tty/ttyS0/type 2>/dev/null
[ "${uart:-0}" != 0 ] && shell_on /dev/ttyS0
[ -e /dev/tty1 ] && shell_on /dev/tty1

if has_word hangar.heartbeat; then
	(
		n=0
		while :; do
			n=$((n + 1))
			printf '\nHANGAR-GUEST-ALIVE %d\n' "$n" >/dev/console
			sleep 2
		done
	) &
fi

# hangar.devwatch: say which disks and NICs the guest has, and the volume
# label of the medium in its first CD-ROM drive (the 32-byte volume id of
# the ISO 9660 primary volume descriptor, sector 16), whenever that changes.
# With hangar.dhcp too, a NIC plugged in later asks for a lease at once.
if has_word hangar.devwatch; then
	(
		last=
		known=" $(cd /sys/class/net && echo *) "
		while :; do
			blocks=$(cd /sys/block && echo *)
			nets=$(cd /sys/class/net && echo *)
			for n in $nets; do
				case "$known" in *" $n "*) continue ;; esac
				known="$known$n "
				case "$n" in eth*) ;; *) continue ;; esac
				has_word hangar.dhcp || continue
				(
					ip link set "$n" up
					udhcpc -i "$n" -n -q -t 60 -T 3 -s /usr/share/udhcpc/default.script >/dev/null 2>&1 ||
						echo "HANGAR-GUEST-DHCP-FAILED $n" >/dev/console
				) &
			done
			label=
			[ -e /dev/sr0 ] &&
				label=$(dd if=/dev/sr0 bs=2048 skip=16 count=1 2>/dev/null |
					dd bs=1 skip=40 count=32 2>/dev/null)
			label=${label%"${label##*[! ]}"}
			now="block=$blocks net=$nets cd=${label:-none}"
			if [ "$now" != "$last" ]; then
				printf '\nHANGAR-GUEST-DEVICES %s\n' "$now" >/dev/console
				last=$now
			fi
			sleep 1
		done
	) &
fi

# hangar.virtio-gpu: a DRM master on the virtio GPU that applies the
# connector's preferred mode (again when it changes: a VNC client's
# SetDesktopSize) and sets a cursor: HANGAR-MODE WxH, HANGAR-CURSOR-SET.
# hangar.tablet: the USB tablet's events: HANGAR-INPUT-READY, HANGAR-ABS,
# HANGAR-BTN. See tests/guest/README.md.
if [ -x /bin/hangar-guest-probe ]; then
	if has_word hangar.virtio-gpu; then
		/bin/hangar-guest-probe drm &
	fi
	if has_word hangar.tablet; then
		/bin/hangar-guest-probe input &
	fi
fi

# Sleep in the background and `wait`, so that the traps above run promptly.
while :; do
	sleep 3600 &
	wait $!
done
EOF

# -------------------------------------------------------------- archive -----

chmod -R u=rwX,go=rX "$root"
chmod 0755 "${executables[@]}"
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"

epoch=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$kernel")}
find "$root" -print0 | xargs -0 touch -h -d "@$epoch"

(
	cd "$root"
	find . -mindepth 1 | sort | cpio --quiet -o -H newc -R 0:0 --reproducible
) | gzip -n -6 >"$stage/initramfs.img"

cp "$kernel" "$stage/vmlinuz"
chmod 0644 "$stage/vmlinuz" "$stage/initramfs.img"

# ------------------------------------------------------------------ iso -----
#
# El Torito "no emulation" boot with isolinux: BIOS -> isolinux.bin ->
# ldlinux.c32 (found next to it) -> isolinux.cfg -> kernel + initramfs, with
# no prompt and no timeout. isolinux reads plain ISO 9660 names, so every
# name is 8.3 (Rock Ridge is added for people mounting the image). The kernel
# and the initramfs are grafted straight from the stage, not copied again.

iso=$stage/iso
mkdir -p "$iso/isolinux"
cp "$isolinux_bin" "$ldlinux_c32" "$iso/isolinux/"
write_file "$iso/isolinux/isolinux.cfg" <<'EOF'
# Hangar test guest (generated by tests/guest/make-test-guest.sh)
DEFAULT hangar
PROMPT 0
TIMEOUT 0
NOESCAPE 1
LABEL hangar
  LINUX /isolinux/vmlinuz
  INITRD /isolinux/initrd.img
  APPEND console=ttyS0 quiet panic=-1
EOF
chmod -R u=rwX,go=rX "$iso"

# Reproducible: every file and directory date, the volume dates and the
# volume UUID come from $epoch (no fork for date(1): printf's %(...)T).
TZ=UTC0 printf -v iso_date '%(%Y%m%d%H%M%S)T00' "$epoch"
if ! xorriso_log=$(SOURCE_DATE_EPOCH=$epoch xorriso -as mkisofs \
	-quiet -o "$stage/test-guest.iso" \
	-R -V HANGAR_TEST_GUEST -no-pad \
	--modification-date="$iso_date" --set_all_file_dates "=$epoch" \
	-b isolinux/isolinux.bin -c isolinux/boot.cat \
	-no-emul-boot -boot-load-size 4 -boot-info-table \
	-graft-points \
	/="$iso" \
	/isolinux/vmlinuz="$stage/vmlinuz" \
	/isolinux/initrd.img="$stage/initramfs.img" 2>&1); then
	printf '%s\n' "$xorriso_log" >&2
	die "xorriso failed to write $outdir/test-guest.iso"
fi
chmod 0644 "$stage/test-guest.iso"

mv -f "$stage/vmlinuz" "$outdir/vmlinuz"
mv -f "$stage/initramfs.img" "$outdir/initramfs.img"
mv -f "$stage/test-guest.iso" "$outdir/test-guest.iso"
