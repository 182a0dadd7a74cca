# SPDX-License-Identifier: GPL-2.0-only
#
# Guest test: the fuse-bpf security model against an adversary.  The raw
# daemon `adversary` (adversary.c) runs one check group per invocation and
# prints a "@@ RESULT" line per check: backed nodes with daemon node ids
# produce no request (readahead, ioctls, copy_file_range); an unprivileged
# daemon, or an unprivileged opener of /dev/fuse, cannot attach backing
# (EPERM, the request stays answerable); no_daemon and root_dir= in a user
# namespace are refused; append-only, immutable, read-only, ETXTBSY and
# covering mounts of the lower file system hold through the mount;
# rootmode must match root_dir; RWF_APPEND appends; replacing a node's
# backing or killing the daemon leaks no lock; notifications naming node
# id 0 fail; leases are refused or broken by the lower file; mounted-on
# names are busy.  Objects that cannot back anything (procfs, sysfs,
# pipes, sockets, memfd, anonymous inodes, this mount, the FUSE device)
# are refused even from root; noexec and nosuid of the lower mount hold
# for exec through the mount; writes through the mount wait while the
# ext4 lower (/dev/vda, run-guest.sh -e) is frozen; inode flags set
# through the mount are the lower inode's, with the caller's rights; RCU
# path walks race inode eviction and lower renames for 5 s.  The
# use-after-free reproduction (READ held across close) runs last, then the
# kernel log is checked by init.sh (slub_debug is on in every guest).
. /tests/lib.sh

w=/tmp/adversary
mkdir -p "$w"

if [ ! -x /bin/adversary ]; then
	fail adversary "the adversary program was not built"
	guest_script_end
	exit 0
fi

# What a Debian system gives: /dev/fuse (and fuse-bpf.ko's /dev/fuse-bpf,
# which adversary uses when it is there) for everybody (devtmpfs makes
# them 0600), unprivileged user namespaces on, and a short lease break
# time in case a lease is left behind.
for dev in /dev/fuse /dev/fuse-bpf; do
	if [ -c "$dev" ]; then
		chmod 0666 "$dev"
	fi
done
if [ -f /proc/sys/kernel/unprivileged_userns_clone ]; then
	echo 1 >/proc/sys/kernel/unprivileged_userns_clone
fi
echo 2 >/proc/sys/fs/lease-break-time

# run CHECK: one group of checks, bounded; mounts it leaves behind are
# detached and reported.
run() {
	start=$(date +%s)
	timeout -s KILL 110 adversary "$1" "$w"
	rc=$?
	case $rc in
	0 | 1) ;;
	137) fail "$1-run" "killed after 110 s" ;;
	*) fail "$1-run" "adversary $1 exited with status $rc" ;;
	esac
	left=$(grep " $w/" /proc/mounts | awk '{ print $2 }' | sort -r)
	if [ -n "$left" ]; then
		for m in $left; do
			umount -l "$m" 2>/dev/null
		done
		fail "$1-leftover-mounts" "$(echo $left)"
	fi
	echo "---- adversary $1: $(($(date +%s) - start)) s"
}

for c in nodeid-ops deputy deputy-opener userns append-only rootmode \
	rwf-append replace-backing daemon-kill notify-nodeid-0 lower-ro \
	etxtbsy submount lease weird-backing exec-mount-flags freeze fileattr \
	rcu-race uaf-readahead; do
	run "$c"
done
rm -rf "$w"
guest_script_end
