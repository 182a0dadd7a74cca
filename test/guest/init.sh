#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# /init of the guest suite's initramfs (busybox).  Mounts the pseudo
# filesystems, loads the stock FUSE (/lib/stock-fuse.ko; on 6.12 it is
# built in) and then fuse-bpf.ko beside it (/lib/fuse-bpf.ko, absent in the
# stock-only run), checks that both registered, runs the guest script named in
# /etc/guest.conf (after the extra modules run-guest.sh packed, if any),
# checks dmesg, prints the results as "@@" markers on the
# serial console and hands the number of failures to QEMU through
# guest_exit.  run-guest.sh on the host reads the markers.
export PATH=/bin
/bin/busybox --install -s /bin 2>/dev/null
mkdir -p /proc /sys /dev /tmp /run /mnt
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
ln -sf /proc/mounts /etc/mtab
ln -sf /proc/self/fd /dev/fd
# Keep the console for the markers; kernel messages are read from dmesg.
echo 1 >/proc/sys/kernel/printk
# The kernel starts init with at most 4096 open files; give the tests the
# hard limit a Debian 12 system gives its sessions and services.
ulimit -H -n 524288
ulimit -S -n 1024

set -a
. /etc/guest.conf
set +a

finish() {
	echo "@@ DONE failures=$1"
	sync
	guest_exit "$1"
	poweroff -f
}

echo "@@ BOOT kernel=$(uname -r) series=$GUEST_SERIES module=$GUEST_MODULE script=$GUEST_SCRIPT"
# The stock FUSE first: a module on 6.1, built in on 6.12.
if [ -f /lib/stock-fuse.ko ]; then
	if grep -qw fuse /proc/filesystems; then
		echo "@@ RESULT insmod FAIL fuse is registered before the stock fuse.ko is loaded"
		finish 1
	fi
	if ! insmod /lib/stock-fuse.ko; then
		echo "@@ RESULT insmod FAIL insmod /lib/stock-fuse.ko failed"
		finish 1
	fi
fi
if ! grep -qw fuse /proc/filesystems || [ ! -c /dev/fuse ]; then
	echo "@@ RESULT insmod FAIL the stock FUSE is not there (/proc/filesystems: $(grep fuse /proc/filesystems | tr '\n\t' '; '), /dev/fuse: $(ls -l /dev/fuse 2>&1))"
	finish 1
fi
# A kernel with the series built in (the debug kernel): /dev/fuse is
# fuse-bpf.
if [ "$GUEST_MODULE" = builtin ] &&
	[ "$(cat /sys/fs/fuse/features/fuse_bpf 2>/dev/null)" != supported ]; then
	echo "@@ RESULT builtin FAIL /sys/fs/fuse/features/fuse_bpf does not read supported: the kernel has no fuse-bpf built in"
	finish 1
fi
# fuse-bpf.ko beside it.
if [ -f /lib/fuse-bpf.ko ]; then
	if ! insmod /lib/fuse-bpf.ko; then
		echo "@@ RESULT insmod FAIL insmod /lib/fuse-bpf.ko beside the stock FUSE failed"
		finish 1
	fi
	if ! grep -qw fusebpf /proc/filesystems ||
		! grep -qw fuse /proc/filesystems || [ ! -c /dev/fuse-bpf ] ||
		[ ! -c /dev/fuse ]; then
		echo "@@ RESULT insmod FAIL after loading fuse-bpf.ko: /proc/filesystems: $(grep fuse /proc/filesystems | tr '\n\t' '; '), $(ls -l /dev/fuse /dev/fuse-bpf 2>&1 | tr '\n' ';')"
		finish 1
	fi
fi

# Modules run-guest.sh packed for the script (virtio_blk, ext4, overlay,
# cuse, ... and their dependencies), in the order
# /lib/guest-modules/order gives.
if [ -f /lib/guest-modules/order ]; then
	for m in $(cat /lib/guest-modules/order); do
		if ! insmod "/lib/guest-modules/$m.ko"; then
			echo "@@ RESULT insmod-$m FAIL insmod /lib/guest-modules/$m.ko failed"
			finish 1
		fi
	done
fi

out=/run/guest-script.out
timeout "$GUEST_SCRIPT_TIMEOUT" sh "/tests/$GUEST_SCRIPT" 2>&1 | tee "$out"
rc=$(cat /run/guest-script.rc 2>/dev/null || echo missing)
if [ "$rc" != 0 ]; then
	if [ "$rc" = missing ]; then
		why="did not finish within ${GUEST_SCRIPT_TIMEOUT}s"
	else
		why="exited with status $rc"
	fi
	echo "@@ RESULT $GUEST_SCRIPT FAIL the script $why"
	echo "@@ RESULT $GUEST_SCRIPT FAIL the script $why" >>"$out"
fi
# Nothing may stay mounted behind the script.
if grep -q ' fuse' /proc/mounts; then
	echo "@@ RESULT leftover-mounts FAIL $(grep ' fuse' /proc/mounts | tr '\n' ';')"
	echo "@@ RESULT leftover-mounts FAIL" >>"$out"
fi

# The debug kernel: a kmemleak scan once the script is done.  An object
# is reported once it is 5 s old and unchanged over two scans; one whose
# allocation backtrace passes through FUSE fails the run, the others are
# shown.
if [ ! -e /sys/kernel/debug/kmemleak ] && [ -d /sys/kernel/debug ]; then
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
fi
if [ -e /sys/kernel/debug/kmemleak ]; then
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >/run/kmemleak
	leaks=$(grep -c '^unreferenced object' /run/kmemleak)
	fuse_leaks=$(awk '/^unreferenced object/ { if (f) n++; f = 0 }
		/\[<[0-9a-f]+>\] (fuse|cuse)_|fuse_bpf|\/fuse\// { f = 1 }
		END { if (f) n++; print n + 0 }' /run/kmemleak)
	if [ "$leaks" -gt 0 ]; then
		echo "@@ KMEMLEAK BEGIN"
		cat /run/kmemleak
		echo "@@ KMEMLEAK END"
	fi
	if [ "$fuse_leaks" -gt 0 ]; then
		echo "@@ RESULT kmemleak FAIL $fuse_leaks of $leaks unreferenced objects were allocated through FUSE (see the KMEMLEAK section)"
		echo "@@ RESULT kmemleak FAIL" >>"$out"
	else
		echo "@@ RESULT kmemleak PASS $leaks unreferenced objects, none allocated through FUSE"
	fi
fi

echo "@@ DMESG BEGIN"
dmesg
echo "@@ DMESG END"
# What fails a run: /tests/kernel-log-bad.txt (the same list run-guest.sh
# reads on the host).
if [ -f /tests/kernel-log-bad.txt ]; then
	bad=$(dmesg | grep -E -f /tests/kernel-log-bad.txt | head -n 5 | tr '\n' ';')
else
	bad="no /tests/kernel-log-bad.txt to check the log with"
fi
if [ -n "$bad" ]; then
	echo "@@ RESULT dmesg-clean FAIL $bad"
	echo "@@ RESULT dmesg-clean FAIL" >>"$out"
else
	echo "@@ RESULT dmesg-clean PASS"
fi

failures=$(grep -c '^@@ RESULT [^ ]* FAIL' "$out")
[ "$failures" -gt 100 ] && failures=100
finish "$failures"
