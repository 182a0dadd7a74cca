# SPDX-License-Identifier: GPL-2.0-only
#
# Guest test: the modules loaded are the ones expected.  With fuse-bpf.ko
# beside the stock FUSE: both file system types registered, both devices,
# /sys/fs/fuse-bpf/features/fuse_bpf reads "supported", and the stock FUSE
# is untouched (its /sys/fs/fuse, no fuse_bpf feature there, /dev/fuse on
# its fixed minor 229).  With the stock FUSE alone: nothing of fuse-bpf.
. /tests/lib.sh

check fuse-registered grep -qw fuse /proc/filesystems
check stock-sysfs test -d /sys/fs/fuse/connections
if [ -e /sys/fs/fuse/features/fuse_bpf ]; then
	fail stock-no-feature "/sys/fs/fuse/features/fuse_bpf exists: the stock FUSE was changed"
else
	pass stock-no-feature "no /sys/fs/fuse/features/fuse_bpf"
fi
# /dev/fuse is misc 10:229 ("%x" of stat is hexadecimal: e5).
got=$(stat -c '%t:%T' /dev/fuse 2>/dev/null)
if [ "$got" = a:e5 ]; then
	pass stock-dev "/dev/fuse is 10:229"
else
	fail stock-dev "/dev/fuse is '$got' (hex), expected a:e5"
fi

feature=/sys/fs/fuse-bpf/features/fuse_bpf
if [ "$GUEST_MODULE" = stock ]; then
	if [ -e /sys/fs/fuse-bpf ] || [ -e /dev/fuse-bpf ] ||
		grep -qw fusebpf /proc/filesystems; then
		fail no-fuse-bpf "fuse-bpf is there with the stock FUSE alone"
	else
		pass no-fuse-bpf "no /sys/fs/fuse-bpf, /dev/fuse-bpf or fusebpf"
	fi
else
	check fusebpf-registered grep -qw fusebpf /proc/filesystems
	check fusebpfblk-registered grep -qw fusebpfblk /proc/filesystems
	check fusebpfctl-registered grep -qw fusebpfctl /proc/filesystems
	got=$(cat "$feature" 2>/dev/null || echo "(missing)")
	if [ "$got" = supported ]; then
		pass feature-file "$feature reads supported"
	else
		fail feature-file "$feature reads '$got', expected 'supported'"
	fi
	check fuse-bpf-connections-dir test -d /sys/fs/fuse-bpf/connections
	got=$(stat -c '%t:%T' /dev/fuse-bpf 2>/dev/null)
	case $got in
	a:e5 | "")
		fail fuse-bpf-dev "/dev/fuse-bpf is '$got' (hex)"
		;;
	a:*)
		pass fuse-bpf-dev "/dev/fuse-bpf is misc $got (hex), a dynamic minor"
		;;
	*)
		fail fuse-bpf-dev "/dev/fuse-bpf is '$got' (hex), not a misc device"
		;;
	esac
	# Both modules stay loaded (6.1: fuse is a module; 6.12: built in).
	if [ "$GUEST_SERIES" = 6.1 ]; then
		check stock-module-loaded grep -q '^fuse ' /proc/modules
	fi
	check fuse-bpf-module-loaded grep -q '^fuse_bpf ' /proc/modules
	for s in fuse_bpf_inode fuse_bpf_request; do
		if grep -q "^$s " /proc/slabinfo 2>/dev/null ||
			[ -e "/sys/kernel/slab/$s" ]; then
			pass "slab-$s" "slab cache $s"
		else
			fail "slab-$s" "no slab cache $s"
		fi
	done
fi
guest_script_end
