#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# usage: mountpoint_inside.sh PASSTHROUGH_BPF
#
# A mountpoint that is the backed root or lies below it (directly, deeper,
# or through a symlink) would make the mount serve itself, and the first
# lookup through it would hang: the library refuses it up front with a
# clear message and a non-zero exit, and mounts nothing.  A mountpoint
# beside the source still mounts.
set -u
PT=$1
. "$(dirname "$0")/common.sh"
need_root
fbpf_watchdog 80

src=$FBPF_TMP/src
mkdir -p "$src/a/b/c" "$FBPF_TMP/beside" || fail "setup"
echo data > "$src/file"
ln -s "$src/a/b" "$FBPF_TMP/link" || fail "setup"

for mode in userspace passthrough; do
	for mnt in "$src" "$src/a" "$src/a/b/c" "$FBPF_TMP/link" "$src/a/../a"; do
		out=$(timeout 20 "$PT" -f --mode=$mode "$src" "$mnt" 2>&1)
		rc=$?
		[ $rc -ne 0 ] && [ $rc -ne 124 ] ||
			fail "$mode, mountpoint $mnt: exit status $rc: $out"
		echo "$out" | grep -q "inside it" ||
			fail "$mode, mountpoint $mnt: message: $out"
		is_mounted "$mnt" && fail "$mode, $mnt: mount left behind"
		ok "$mode, mountpoint $mnt refused: $(echo "$out" | head -n 1)"
	done
done

mnt=$FBPF_TMP/beside
out=$(timeout 20 "$PT" --mode=userspace "$src" "$mnt" 2>&1) ||
	fail "mountpoint beside the source: $out"
wait_mounted "$mnt" || fail "mountpoint beside the source: no mount"
[ "$(cat "$mnt/file")" = data ] || fail "mountpoint beside the source: read"
timeout 10 umount "$mnt" || fail "umount"
ok "a mountpoint beside the source mounts"
echo PASSED
