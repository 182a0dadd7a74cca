#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Boot the Debian kernel of a cache (6.1 or 6.12) under QEMU (TCG) with its
# stock FUSE and fuse-bpf.ko beside it, or the debug kernel of
# kernel/debug/build.sh with the series built in, and run one guest script
# of test/guest in it.
#
#   run-guest.sh [-t SECONDS] [-e] [-m MODULE]... KCACHE FUSE_BPF_KO BUILDDIR SCRIPT
#
# KCACHE   directory filled by kernel/fetch.sh (its env file names the
#          kernel series, the kernel and Debian's stock fuse.ko, none
#          where FUSE is built in); the environment variable KCACHE, when
#          set, names a directory of caches: $KCACHE/VERSION replaces the
#          argument, VERSION being the argument's last component
#          (build/kcache/6.1 -> $KCACHE/6.1)
# FUSE_BPF_KO the fuse-bpf.ko to load beside the stock FUSE, "stock"
#          for the stock FUSE alone, or "builtin" for a kernel with the
#          series built in (KCACHE's env says FUSE=builtin: the debug
#          kernel, whose KASAN, lockdep, UBSAN and kmemleak reports fail
#          the run as well)
# BUILDDIR the meson build directory: passthrough_bpf, the conformance
#          programs and the guest helpers are taken from it; the "@@ CONF"
#          lines a guest prints are kept in BUILDDIR/test/guest/results/
#          VERSION/SCRIPT and passed to later guests of the same kernel
#          series as /results/SCRIPT
# SCRIPT   a script of test/guest, run as the guest's test
# -t       bound on the whole guest run (default 300 s); a guest still
#          running then is killed and the run fails
# -e       two empty ext4 images (mkfs.ext4 on the host, in the temporary
#          directory) attached as /dev/vda and /dev/vdb, and the modules
#          virtio_pci, virtio_blk, ext4 and crc32c_generic (as -m)
# -m       a module of KCACHE's MODULES directory (overlay, cuse, virtiofs,
#          ...) packed, with what it depends on, for init.sh to load after
#          the FUSE modules; one built into the kernel needs nothing
#
# The initramfs holds busybox, init.sh as /init, the modules (stripped),
# the project's programs with the shared libraries ldd names (and
# libgcc_s.so.1, which glibc loads at run time), and the guest scripts.  The script's results come back as "@@ RESULT" markers on
# the serial console; this prints one line per result and a closing
# "N passed, N failed" line.  The kernel boots with slub_debug=FZPU
# init_on_free=1 (Debian's kernel has SLUB debugging built in), so
# use-after-free and double free show up in its log.  Exit status: 0 all
# passed, 1 a failure (including a hang, a guest that never reported, or
# a BUG/WARNING/Oops/general protection/Call Trace, a SLUB report, a
# refcount_t warning, list corruption or a leaked file lock in the
# guest's kernel log), 77 when QEMU is not installed.
set -eu

timeout_s=300
ext4=no
mods=
while [ $# -gt 0 ]; do
	case $1 in
	-t)
		timeout_s=${2:?-t needs seconds}
		shift 2
		;;
	-e)
		ext4=yes
		mods="$mods virtio_pci virtio_blk ext4 crc32c_generic"
		shift
		;;
	-m)
		mods="$mods ${2:?-m needs a module name}"
		shift 2
		;;
	*)
		break
		;;
	esac
done
if [ $# -ne 4 ]; then
	echo "usage: run-guest.sh [-t SECONDS] [-e] [-m MODULE]... KCACHE FUSE_BPF_KO|stock|builtin BUILDDIR SCRIPT" >&2
	exit 2
fi
kcache=$1
if [ -n "${KCACHE:-}" ]; then
	kcache=$KCACHE/$(basename "$1")
fi
module=$2
builddir=$(cd "$3" && pwd)
script=$4
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

qemu=$(command -v qemu-system-x86_64 || true)
if [ -z "$qemu" ]; then
	echo "run-guest.sh: qemu-system-x86_64 is not installed" \
		"(apt-get install qemu-system-x86)"
	exit 77
fi
busybox=/bin/busybox
if ! ldd "$busybox" 2>&1 | grep -q 'not a dynamic'; then
	echo "run-guest.sh: $busybox is not a static busybox" \
		"(apt-get install busybox-static)" >&2
	exit 1
fi

if [ ! -f "$kcache/env" ]; then
	case $kcache in
	*-debug)
		echo "run-guest.sh: $kcache/env missing (build the debug kernel: ninja -C BUILD test/guest/debug-kernel-VERSION.env)" >&2
		;;
	*)
		echo "run-guest.sh: $kcache/env missing (run kernel/fetch.sh $kcache)" >&2
		;;
	esac
	exit 1
fi
. "$kcache/env"
series=${SERIES:-6.1}
case $module in
stock | builtin)
	module_name=$module
	;;
*)
	module_name=patched
	;;
esac
if [ "${FUSE:-}" = builtin ] && [ "$module_name" != builtin ]; then
	echo "run-guest.sh: $kcache has the fuse-bpf series built in: give builtin, not $module" >&2
	exit 1
fi
# The results of a debug kernel are kept apart from Debian's kernel's.
series_id=$series${KERNEL_FLAVOUR:+-$KERNEL_FLAVOUR}
# Debian's 6.1 has FUSE as a module (STOCK_KO), 6.12 has it built in.
for f in ${STOCK_KO:-} "$VMLINUZ" "$here/$script" "$here/kernel-log-bad.txt"; do
	if [ ! -f "$f" ]; then
		echo "run-guest.sh: $f missing" >&2
		exit 1
	fi
done

work=$(mktemp -d /tmp/fuse-bpf-guest.XXXXXX)
qpid=
cleanup() {
	if [ -n "$qpid" ]; then
		kill "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

root="$work/root"
mkdir -p "$root/bin" "$root/lib" "$root/etc" "$root/tests" \
	"$root/opt/conformance"
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$here/init.sh" "$root/init"
chmod 755 "$root/init"
if [ -n "${STOCK_KO:-}" ]; then
	strip --strip-debug -o "$root/lib/stock-fuse.ko" "$STOCK_KO"
fi
if [ "$module_name" = patched ]; then
	if [ ! -f "$module" ]; then
		echo "run-guest.sh: $module missing" >&2
		exit 1
	fi
	strip --strip-debug -o "$root/lib/fuse-bpf.ko" "$module"
fi

# Copy a dynamic program's libraries to the same paths in the guest;
# libraries of the build tree go to the loader's default directory.
copy_libs() {
	ldd "$1" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p;
		s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' | while read -r lib; do
		case $lib in
		"$builddir"/*)
			dest=/lib/x86_64-linux-gnu/$(basename "$lib")
			;;
		*)
			dest=$lib
			;;
		esac
		if [ ! -e "$root$dest" ]; then
			mkdir -p "$root$(dirname "$dest")"
			cp -L "$lib" "$root$dest"
		fi
	done
}

# add_prog SRC DESTDIR: a program of the build tree (missing ones are
# left out; the guest script reports them).
add_prog() {
	[ -x "$1" ] || return 0
	cp "$1" "$root$2/"
	copy_libs "$1"
}

# glibc loads libgcc_s when a thread is cancelled (the multi-threaded
# loop cancels its workers at exit); no program links it, so ldd does not
# name it.
libgcc_s=$(gcc -print-file-name=libgcc_s.so.1 2>/dev/null || true)
case $libgcc_s in
/*) ;;
*) libgcc_s=$(ldconfig -p | sed -n 's/.*libgcc_s\.so\.1 (libc6,x86-64) => //p' |
	head -n 1) ;;
esac
if [ -z "$libgcc_s" ] || [ ! -f "$libgcc_s" ]; then
	echo "run-guest.sh: libgcc_s.so.1 not found (gcc -print-file-name," \
		"ldconfig -p)" >&2
	exit 1
fi
mkdir -p "$root/lib/x86_64-linux-gnu"
cp -L "$libgcc_s" "$root/lib/x86_64-linux-gnu/libgcc_s.so.1"

for p in passthrough_bpf filter_bpf fallback_bpf; do
	add_prog "$builddir/example/$p" /bin
done
for p in guest_exit malformed no_daemon_mount stress adversary cuse_hello \
	fuzz_reply; do
	add_prog "$builddir/test/guest/$p" /bin
done
# The random daemon kills of t-daemon-kill.sh (test/lib/kill_random.c).
add_prog "$builddir/test/lib/kill_random" /bin
if [ -d "$builddir/test/conformance" ]; then
	find "$builddir/test/conformance" -maxdepth 1 -type f -perm -u+x |
		while read -r p; do
			add_prog "$p" /opt/conformance
		done
fi
for f in "$here"/*.sh "$here"/*.txt "$top/test/host/run_conformance.sh" \
	"$top/test/host/mount_lib.sh"; do
	if [ -f "$f" ]; then
		cp "$f" "$root/tests/"
	fi
done
# The modules asked for, with what they need, in the load order of
# MODULES/order (MODULES/deps: "NAME: what to load for it").
if [ -n "$mods" ]; then
	if [ -z "${MODULES:-}" ] || [ ! -f "$MODULES/deps" ]; then
		echo "run-guest.sh: $kcache has no guest modules (run kernel/fetch.sh $kcache $series)" >&2
		exit 1
	fi
	need=
	for m in $mods; do
		need="$need $(sed -n "s/^$m://p" "$MODULES/deps")"
	done
	mkdir -p "$root/lib/guest-modules"
	: >"$root/lib/guest-modules/order"
	for m in $(cat "$MODULES/order"); do
		case " $need " in
		*" $m "*)
			strip --strip-debug -o "$root/lib/guest-modules/$m.ko" \
				"$MODULES/$m.ko"
			echo "$m" >>"$root/lib/guest-modules/order"
			;;
		esac
	done
fi
disks=
if [ $ext4 = yes ]; then
	mkfs=$(PATH=$PATH:/sbin:/usr/sbin command -v mkfs.ext4 || true)
	if [ -z "$mkfs" ]; then
		echo "run-guest.sh: mkfs.ext4 is not installed (apt-get install e2fsprogs)"
		exit 77
	fi
	for n in 0 1; do
		truncate -s 1G "$work/disk$n.img"
		"$mkfs" -q -F -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 \
			"$work/disk$n.img"
		disks="$disks -drive file=$work/disk$n.img,format=raw,if=virtio"
	done
fi

# Results of earlier guest runs of this kernel series ("@@ CONF" lines),
# for scripts that compare with them; this script's own are replaced by
# this run.
results="$builddir/test/guest/results/$series_id"
mkdir -p "$results"
rm -f "$results/$script"
cp -r "$results" "$root/results"

script_timeout=$((timeout_s - 30))
if [ "$script_timeout" -lt 30 ]; then
	script_timeout=30
fi
# The debug kernel's fs/fuse text range, for t-failslab.sh.
if [ -f "$kcache/failslab-range" ]; then
	cp "$kcache/failslab-range" "$root/etc/failslab-range"
fi
cat >"$root/etc/guest.conf" <<CONF
GUEST_SCRIPT=$script
GUEST_MODULE=$module_name
GUEST_SERIES=$series
GUEST_KERNEL=${KERNEL_FLAVOUR:-debian}
GUEST_SCRIPT_TIMEOUT=$script_timeout
CONF
# Knobs of the guest tests, passed on when set: seeds, rounds and sizes.
for v in STRESS_SEED STRESS_SECONDS FUZZ_REPLIES FUZZ_SEED KILL_ROUNDS \
	KILL_SEED FAILSLAB_PROBABILITY; do
	eval "val=\${$v:-}"
	if [ -n "$val" ]; then
		echo "$v=$val" >>"$root/etc/guest.conf"
	fi
done
: >"$root/etc/passwd"
echo "root:x:0:0:root:/root:/bin/sh" >>"$root/etc/passwd"
echo "nobody:x:65534:65534:nobody:/nonexistent:/bin/sh" >>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) |
	gzip -1 >"$work/initrd.gz"

# Debian's kernel: SLUB debugging catches use-after-free and double free.
# The debug kernel has KASAN for those (kasan_multi_shot: every report,
# not only the first), and more memory for its shadow and kmemleak.
mem=1G
append="console=ttyS0 quiet panic=-1 oops=panic"
if [ "${KERNEL_FLAVOUR:-}" = debug ]; then
	mem=2G
	append="$append kasan_multi_shot"
else
	append="$append slub_debug=FZPU init_on_free=1"
fi

log="$work/serial.log"
start=$(date +%s)
timeout -k 10 "$timeout_s" "$qemu" -accel tcg -m "$mem" -smp 2 -nic none \
	-nographic -no-reboot -monitor none \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 $disks \
	-kernel "$VMLINUZ" -initrd "$work/initrd.gz" \
	-append "$append" \
	</dev/null >"$log" 2>&1 &
qpid=$!
set +e
wait "$qpid"
qrc=$?
set -e
qpid=
end=$(date +%s)

# Serial output carries CRs and the firmware's escape sequences: keep the
# text from the first marker on, and markers wherever they start.
tr -d '\r' <"$log" | sed 's/.*\(@@ \)/\1/' >"$work/clean.log"
if grep -q '^@@ BOOT' "$work/clean.log"; then
	sed -n '/^@@ BOOT/,$p' "$work/clean.log" |
		sed '/^@@ DMESG BEGIN/,/^@@ DMESG END/d'
else
	echo "---- the guest never started its tests; serial log:"
	tail -n 150 "$work/clean.log"
fi
echo "---- guest kernel log"
sed -n '/^@@ DMESG BEGIN/,/^@@ DMESG END/p' "$work/clean.log" | sed '1d;$d'
echo "----"

if grep '^@@ CONF ' "$work/clean.log" >"$work/conf"; then
	cp "$work/conf" "$results/$script"
fi

passed=0
failed=0
grep '^@@ RESULT ' "$work/clean.log" >"$work/results" || true
while read -r _ _ name verdict reason; do
	case $verdict in
	PASS)
		passed=$((passed + 1))
		;;
	FAIL)
		failed=$((failed + 1))
		;;
	esac
	printf '%s\n' "$verdict $name${reason:+ ($reason)}"
done <"$work/results"

# Failures the guest could not report itself.
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	echo "FAIL guest-timeout (no poweroff within ${timeout_s}s)"
	failed=$((failed + 1))
elif ! grep -q '^@@ DONE failures=' "$work/clean.log"; then
	echo "FAIL guest-report (QEMU exited with $qrc before the guest reported)"
	failed=$((failed + 1))
elif [ $((qrc % 2)) -ne 1 ]; then
	echo "FAIL guest-exit (QEMU status $qrc: the exit device was not reached)"
	failed=$((failed + 1))
else
	reported=$(sed -n 's/^@@ DONE failures=\([0-9]*\).*/\1/p' \
		"$work/clean.log" | tail -n 1)
	if [ $((qrc >> 1)) -ne "$reported" ]; then
		echo "FAIL guest-exit (status $((qrc >> 1)) but $reported failures)"
		failed=$((failed + 1))
	fi
fi
# The whole serial log, not only the guest's dmesg: a panic never gets to
# print the dmesg section.  kernel-log-bad.txt lists what fails a run (one
# extended regular expression per line, init.sh checks the guest's dmesg
# with the same list): oopses and warnings, SLUB's reports of
# use-after-free, double free and overwritten redzones (slub_debug=FZPU),
# leaked file locks, and the debug kernel's KASAN, UBSAN, lockdep and
# kmemleak reports.
if grep -E -f "$here/kernel-log-bad.txt" "$work/clean.log" | grep -v '^@@ RESULT' \
	>"$work/oops"; then
	if ! grep -q '^@@ RESULT dmesg-clean FAIL' "$work/results"; then
		echo "FAIL kernel-log ($(head -n 3 "$work/oops" | tr '\n' ';'))"
		failed=$((failed + 1))
	fi
fi

echo "guest $script (Linux $series_id, $module_name): $((end - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
