# SPDX-License-Identifier: GPL-2.0-only
#
# Sourced by the host tests of the library: a temporary directory, and a
# cleanup on exit that kills the daemons the test started (by pid), removes
# every mount below the directory (lazily as a last resort) and deletes it.

FBPF_TMP=$(mktemp -d /tmp/fbpf-lib.XXXXXX) || exit 1
FBPF_PIDS=""

fbpf_mounts_below() {
	awk -v d="$FBPF_TMP/" 'index($2, d) == 1 { print $2 }' /proc/mounts |
		sort -r
}

fbpf_cleanup() {
	for p in $FBPF_PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	for m in $(fbpf_mounts_below); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	rm -rf "$FBPF_TMP"
}
trap fbpf_cleanup EXIT
trap 'exit 1' INT TERM HUP

skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*"
	exit 1
}

ok() {
	echo "ok: $*"
}

is_mounted() {
	awk -v m="$1" '$2 == m { found = 1 } END { exit !found }' /proc/mounts
}

# wait_mounted DIR: up to 10 s for a mount on DIR.
wait_mounted() {
	n=0
	while ! is_mounted "$1"; do
		n=$((n + 1))
		[ $n -gt 100 ] && return 1
		sleep 0.1
	done
	return 0
}

# wait_pid_gone PID: up to 10 s for the process to end.
wait_pid_gone() {
	n=0
	while kill -0 "$1" 2>/dev/null; do
		n=$((n + 1))
		[ $n -gt 100 ] && return 1
		sleep 0.1
	done
	return 0
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -c /dev/fuse ] || skip "no /dev/fuse"
}

# True when this host offers passthrough (kernel 6.9+ and CAP_SYS_ADMIN).
have_passthrough() {
	rel=$(uname -r)
	maj=${rel%%.*}
	min=${rel#*.}
	min=${min%%[!0-9]*}
	[ "$maj" -gt 6 ] || { [ "$maj" -eq 6 ] && [ "$min" -ge 9 ]; }
}
