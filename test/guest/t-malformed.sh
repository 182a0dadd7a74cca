# SPDX-License-Identifier: GPL-2.0-only
#
# Guest test: malformed fuse-bpf replies written straight to /dev/fuse-bpf by
# the raw daemon `malformed` each get their errno, the connection keeps
# working, and (checked by init.sh) dmesg stays clean.
. /tests/lib.sh

w=/tmp/malformed
mkdir -p "$w/mnt"
echo "text of the backing file" >"$w/backing"
if [ ! -x /bin/malformed ]; then
	fail malformed "the malformed program was not built"
else
	timeout 150 malformed "$w/backing" "$w/mnt"
	rc=$?
	if [ $rc -eq 0 ]; then
		pass malformed-daemon "all checks passed"
	else
		fail malformed-daemon "exit status $rc"
	fi
fi
if grep -q " $w/mnt " /proc/mounts; then
	umount -l "$w/mnt"
	fail malformed-unmount "the daemon left its mount behind"
fi
rm -rf "$w"
guest_script_end
