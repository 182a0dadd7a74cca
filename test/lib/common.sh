# SPDX-License-Identifier: GPL-2.0-only
#
# Sourced by the host tests of the library: a temporary directory, and a
# cleanup on exit that kills the daemons the test started (by pid), removes
# every mount below the directory (lazily as a last resort) and deletes it.

FBPF_TMP=$(mktemp -d /tmp/fbpf-lib.XXXXXX) || exit 1
FBPF_PIDS=""

# fbpf_kill SIGNAL PID: signal PID only while it is still a child of this
# test (a reaped pid may belong to someone else by now).
fbpf_kill() {
	ppid=$(awk '/^PPid:/ { print $2 }' "/proc/$2/status" 2>/dev/null)
	[ "$ppid" = "$$" ] && kill "-$1" "$2" 2>/dev/null
	return 0
}

# fbpf_track PID: a process the cleanup (and the watchdog) kills.
fbpf_track() {
	FBPF_PIDS="$FBPF_PIDS $1"
	echo "$1" >> "$FBPF_TMP/.pids"
}

fbpf_mounts_below() {
	awk -v d="$FBPF_TMP/" 'index($2, d) == 1 { print $2 }' /proc/mounts |
		sort -r
}

# Abort the FUSE connections of the mounts below the directory, so that
# nothing stays blocked on a daemon that hangs.
fbpf_abort_mounts() {
	awk -v d="$FBPF_TMP/" 'index($5, d) == 1 { split($3, dev, ":"); print dev[2] }' \
		/proc/self/mountinfo |
	while read -r minor; do
		if [ -w "/sys/fs/fuse/connections/$minor/abort" ]; then
			echo 1 > "/sys/fs/fuse/connections/$minor/abort"
		fi
	done
}

# Under "meson test --setup valgrind", FBPF_TEST_WRAPPER is
# test/valgrind.sh.  fbpf_wrapped PROGRAM prints a program that runs
# PROGRAM through it, its reports going to $FBPF_TMP/valgrind (checked by
# the cleanup), or PROGRAM itself when no wrapper is set.
fbpf_wrapped() {
	if [ -z "${FBPF_TEST_WRAPPER:-}" ]; then
		echo "$1"
		return 0
	fi
	mkdir -p "$FBPF_TMP/wrapped" || return 1
	_w=$FBPF_TMP/wrapped/$(basename "$1")
	printf '#!/bin/sh\nFBPF_VALGRIND_DIR=%s exec %s %s "$@"\n' \
		"$FBPF_TMP/valgrind" "$FBPF_TEST_WRAPPER" "$1" >"$_w" &&
		chmod +x "$_w" && echo "$_w"
}

# Print every valgrind report of the test; false when there is one.
fbpf_valgrind_clean() {
	_clean=0
	for _l in "$FBPF_TMP"/valgrind/*.log; do
		[ -s "$_l" ] || continue
		echo "FAIL: valgrind reports errors ($(basename "$_l")):"
		cat "$_l"
		_clean=1
	done
	return $_clean
}

fbpf_cleanup() {
	_st=0
	for p in $FBPF_PIDS; do
		fbpf_kill TERM "$p"
	done
	for p in $FBPF_PIDS; do
		fbpf_kill KILL "$p"
	done
	for m in $(fbpf_mounts_below); do
		timeout 10 umount "$m" 2>/dev/null || umount -l "$m"
	done
	fbpf_valgrind_clean || _st=1
	rm -rf "$FBPF_TMP"
	[ $_st -eq 0 ] || exit 1
}
trap fbpf_cleanup EXIT
trap 'exit 1' INT TERM HUP

# fbpf_watchdog SECONDS: after that long, kill the tracked daemons and
# abort the test's FUSE connections (unblocking anything stuck on them),
# then stop the test.
fbpf_watchdog() {
	(
		trap 'kill "$sp" 2>/dev/null; exit 0' TERM
		sleep "$1" &
		sp=$!
		wait "$sp"
		echo "watchdog: $1 s elapsed, stopping the test's daemons" >&2
		if [ -f "$FBPF_TMP/.pids" ]; then
			for p in $(cat "$FBPF_TMP/.pids"); do
				fbpf_kill KILL "$p"
			done
		fi
		fbpf_abort_mounts
		kill -TERM $$
	) &
	FBPF_PIDS="$FBPF_PIDS $!"
}

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

# wait_grep PATTERN FILE: up to 10 s for PATTERN to show up in FILE.
wait_grep() {
	n=0
	while ! grep -q "$1" "$2" 2>/dev/null; do
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

# The daemon of a test (PT, set before this file is sourced) runs through
# FBPF_TEST_WRAPPER when there is one.
if [ -n "${PT:-}" ]; then
	PT=$(fbpf_wrapped "$PT") || exit 1
fi
