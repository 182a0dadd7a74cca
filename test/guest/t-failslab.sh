# SPDX-License-Identifier: GPL-2.0-only
#
# Guest test, debug kernel: the conformance runner in mode fuse-bpf while
# failslab fails the slab allocations made with FUSE code on the stack
# (require-start/require-end: the text of fs/fuse, from
# /etc/failslab-range, which kernel/debug/build.sh computes from
# System.map).  Tests may fail with the errors; what counts is that the
# kernel reports nothing (init.sh and run-guest.sh check the log, and
# kmemleak's scan at the end finds no FUSE object), that the faults were
# injected, and that with injection off a fresh mount works.  A kernel
# without failslab (Debian's) skips.
. /tests/lib.sh

fs=/sys/kernel/debug/failslab
[ -d /sys/kernel/debug/failslab ] ||
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
if [ ! -d "$fs" ]; then
	skip failslab "this kernel has no failslab (CONFIG_FAILSLAB)"
	guest_script_end
	exit 0
fi
if [ ! -r /etc/failslab-range ] || [ ! -e "$fs/require-start" ]; then
	fail failslab-setup "no /etc/failslab-range or no stack trace filter (CONFIG_FAULT_INJECTION_STACKTRACE_FILTER)"
	guest_script_end
	exit 0
fi
read -r start end first </etc/failslab-range
# The range was computed from System.map; check it against the running
# kernel (no KASLR in the debug kernel's configuration).
got=$(grep " [tT] $first\$" /proc/kallsyms | head -n 1 | cut -d' ' -f1)
if [ "$got" != "$start" ]; then
	fail failslab-setup "$first is at $got, System.map said $start"
	guest_script_end
	exit 0
fi

# Switched on by the conformance runner once the mount is up, off before
# it unmounts (CONF_MOUNTED_HOOK, CONF_UNMOUNT_HOOK): the daemon's and the
# tests' requests meet the failures, the mount and unmount do not.
cat >/tmp/failslab-on.sh <<EOF
echo 0x$start >$fs/require-start
echo 0x$end >$fs/require-end
echo 32 >$fs/stacktrace-depth
echo N >$fs/ignore-gfp-wait
echo N >$fs/task-filter
echo 1 >$fs/interval
echo -1 >$fs/times
echo 0 >$fs/space
echo 1 >$fs/verbose
echo ${FAILSLAB_PROBABILITY:-10} >$fs/probability
EOF
cat >/tmp/failslab-off.sh <<EOF
echo 0 >$fs/probability
echo 0 >$fs/verbose
EOF
export CONF_MOUNTED_HOOK="sh /tmp/failslab-on.sh"
export CONF_UNMOUNT_HOOK="sh /tmp/failslab-off.sh"

before=$(dmesg | grep -c 'FAULT_INJECTION: forcing a failure')
conf_run failslab fuse-bpf
sh /tmp/failslab-off.sh
unset CONF_MOUNTED_HOOK CONF_UNMOUNT_HOOK
injected=$(($(dmesg | grep -c 'FAULT_INJECTION: forcing a failure') - before))
res=/tmp/conf-failslab.res
total=$(grep -c '^[A-Z]' "$res" 2>/dev/null || echo 0)
failed=$(grep -c '^FAIL' "$res" 2>/dev/null || echo 0)
echo "conformance under failslab (probability ${FAILSLAB_PROBABILITY:-10}%): $total results, $failed failed, $injected injected faults reported (rate-limited)"
if [ "$injected" -gt 0 ]; then
	pass failslab-injected "$injected failures injected in FUSE's allocations (at least; the report is rate-limited); $failed of $total conformance results failed"
else
	fail failslab-injected "no failure was injected: the range $start-$end or the filter is wrong"
fi
if grep -q ' fuse' /proc/mounts; then
	fail failslab-cleanup "a mount stayed behind: $(grep ' fuse' /proc/mounts | tr '\n' ';')"
	umount -l /tmp/conf-failslab/mnt 2>/dev/null
fi

# Injection off: a fresh mount serves a file.
w=/tmp/failslab-after
mkdir -p "$w/src" "$w/mnt"
echo data >"$w/src/f"
if start_pt fuse-bpf "$w/src" "$w/mnt" "$w/stats" "$w/log" &&
	[ "$(cat "$w/mnt/f" 2>&1)" = data ] && echo more >>"$w/mnt/f" &&
	[ "$(cat "$w/src/f")" = "data
more" ]; then
	pass failslab-after "a fresh mount reads and appends"
else
	fail failslab-after "a fresh mount does not work: $(cat "$w/log")"
fi
stop_pt "$w/mnt" || fail failslab-after-unmount "umount or daemon exit failed"
cleanup_mount "$w/mnt"
guest_script_end
