# SPDX-License-Identifier: GPL-2.0-only
#
# Guest test: the conformance suite of t-conformance.sh with ext4 lower
# filesystems instead of tmpfs (run-guest.sh -e: two ext4 images made on
# the host, /dev/vda for userspace mode and /dev/vdb for fuse-bpf mode, so
# xattrs, fallocate modes, SEEK_DATA/SEEK_HOLE and locks run on a disk
# filesystem).  Same per-test comparison of the two modes, same zero-request
# check; results are named ext4-*.
for dev in /dev/vda /dev/vdb; do
	if [ ! -b "$dev" ]; then
		echo "@@ RESULT ext4-disks FAIL $dev is missing (run-guest.sh -e, virtio_blk loaded?)"
		echo 0 >/run/guest-script.rc
		exit 0
	fi
done
grep -qw ext4 /proc/filesystems ||
	echo "@@ RESULT ext4-registered FAIL ext4 is not in /proc/filesystems"
CONF_LOWER=ext4
. /tests/t-conformance.sh
