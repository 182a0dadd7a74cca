# SPDX-License-Identifier: GPL-2.0-only
#
# Guest test: the module that was loaded is the one expected, and the
# fuse-bpf feature file says so (patched: "supported"; stock: absent).
. /tests/lib.sh

check fuse-registered grep -qw fuse /proc/filesystems
feature=/sys/fs/fuse/features/fuse_bpf
if [ "$GUEST_MODULE" = stock ]; then
	if [ -e "$feature" ]; then
		fail feature-file "$feature exists with Debian's stock module"
	else
		pass feature-file "absent with the stock module"
	fi
else
	got=$(cat "$feature" 2>/dev/null || echo "(missing)")
	if [ "$got" = supported ]; then
		pass feature-file "$feature reads supported"
	else
		fail feature-file "$feature reads '$got', expected 'supported'"
	fi
fi
guest_script_end
