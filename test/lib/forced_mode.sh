#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# usage: forced_mode.sh PASSTHROUGH_BPF
#
# A forced mode the kernel cannot give fails the mount with a clear message
# and a non-zero exit, and leaves no mount behind: fuse-bpf on a kernel
# without it, and passthrough without CAP_SYS_ADMIN.
set -u
PT=$1
. "$(dirname "$0")/common.sh"
need_root
fbpf_watchdog 70

if [ "$(cat /sys/fs/fuse-bpf/features/fuse_bpf 2>/dev/null)" = supported ] ||
	[ "$(cat /sys/fs/fuse/features/fuse_bpf 2>/dev/null)" = supported ]; then
	skip "this kernel has fuse-bpf, the forced mode would work"
fi
src=$FBPF_TMP/src
mnt=$FBPF_TMP/mnt
mkdir "$src" "$mnt" || fail "setup"
echo data > "$src/file"

for fg in "" -f; do
	out=$(timeout 20 "$PT" $fg --mode=fuse-bpf "$src" "$mnt" 2>&1)
	rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ] ||
		fail "--mode=fuse-bpf $fg: exit status $rc"
	echo "$out" | grep -q "fuse_bpf" ||
		fail "--mode=fuse-bpf $fg: message does not name the feature: $out"
	echo "$out" | grep -q "fuse-bpf requested" ||
		fail "--mode=fuse-bpf $fg: message does not name the mode: $out"
	is_mounted "$mnt" && fail "--mode=fuse-bpf $fg: mount left behind"
	ok "--mode=fuse-bpf $fg fails (status $rc): $(echo "$out" | head -n 1)"
done

if command -v setpriv > /dev/null; then
	out=$(timeout 20 setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
		"$PT" -f --mode=passthrough "$src" "$mnt" 2>&1)
	rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ] ||
		fail "--mode=passthrough without CAP_SYS_ADMIN: status $rc"
	echo "$out" | grep -q "CAP_SYS_ADMIN" ||
		fail "--mode=passthrough without CAP_SYS_ADMIN: message: $out"
	is_mounted "$mnt" && fail "--mode=passthrough: mount left behind"
	ok "--mode=passthrough without CAP_SYS_ADMIN fails: $(echo "$out" | head -n 1)"
else
	echo "note: no setpriv, passthrough without CAP_SYS_ADMIN not tried"
fi

# The same source mounts fine in a mode the kernel can give.
out=$(timeout 20 "$PT" --mode=auto "$src" "$mnt" 2>&1) ||
	fail "--mode=auto: $out"
wait_mounted "$mnt" || fail "--mode=auto: no mount"
[ "$(cat "$mnt/file")" = data ] || fail "--mode=auto: read"
timeout 10 umount "$mnt" || fail "umount"
ok "--mode=auto works: $out"
echo PASSED
