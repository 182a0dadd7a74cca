#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Host test of the filter_bpf and fallback_bpf examples.  Each daemon is
# mounted for real on the running kernel, in modes userspace and
# passthrough (and fuse-bpf, on a kernel with the patched module); the
# test checks what the mount shows, the data read through it, and, from
# the counters the daemon writes with --stats, who served the reads (the
# daemon or libfuse-bpf).  Busybox sh and tools are enough.
#
# usage: examples.sh filter|fallback DAEMON
# EXAMPLE_OPTS: more options for the daemon (guest.sh passes -s)
# exit: 0 passed, 1 failed, 77 skipped (the reason is printed)

set -u

what=$1
daemon=$2
T=30			# seconds any single operation on the mount may take
status=0
pid=

skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*"
	status=1
}

[ "$(id -u)" = 0 ] || skip "mounting needs root"
[ -c /dev/fuse ] || skip "no /dev/fuse"
[ -x "$daemon" ] || skip "no daemon at $daemon"

tmp=$(mktemp -d /tmp/fbpf-examples.XXXXXX) || exit 1
src=$tmp/src
mnt=$tmp/mnt
mkdir "$src" "$mnt"

mounted() {
	awk -v m="$mnt" '$2 == m { found = 1 } END { exit !found }' /proc/mounts
}

cleanup() {
	if mounted; then
		umount "$mnt" 2>/dev/null || umount -l "$mnt"
	fi
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		sleep 1
		kill -9 "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Passthrough needs Linux 6.9 or newer (and root, checked above).
kernel_has_passthrough() {
	v=$(uname -r | cut -d- -f1)
	maj=${v%%.*}
	min=${v#*.}
	min=${min%%.*}
	[ "$maj" -gt 6 ] || { [ "$maj" -eq 6 ] && [ "$min" -ge 9 ]; }
}

# start MODE ARGS...: start the daemon and wait for the mount.
# Returns 1 when the daemon did not come up (its log is printed).
start() {
	mode=$1
	shift
	rm -f "$tmp/stats"
	"$daemon" -f ${EXAMPLE_OPTS:-} "$@" --mode="$mode" --stats="$tmp/stats" \
		"$src" "$mnt" >"$tmp/log" 2>&1 &
	pid=$!
	i=0
	while ! mounted; do
		if ! kill -0 "$pid" 2>/dev/null || [ $i -ge 100 ]; then
			echo "daemon did not mount in mode $mode:"
			cat "$tmp/log"
			kill "$pid" 2>/dev/null
			wait "$pid"
			pid=
			return 1
		fi
		i=$((i + 1))
		sleep 0.1
	done
	return 0
}

# Unmount, wait for the daemon to exit and check its exit status.
stop() {
	timeout $T umount "$mnt" || fail "umount $mnt"
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		fail "daemon still running 10 s after unmount"
		kill -9 "$pid"
	fi
	wait "$pid"
	rc=$?
	pid=
	[ $rc -eq 0 ] || { fail "daemon exited with $rc"; cat "$tmp/log"; }
	[ -s "$tmp/stats" ] || fail "no statistics written"
}

# count OPCODE daemon|library: a counter from the last statistics file.
count() {
	n=$(tr -d ' \t\n' <"$tmp/stats" | grep -o "\"$1\":{[^}]*}" |
		grep -o "\"$2\":[0-9]*" | cut -d: -f2)
	echo "${n:-0}"
}

expect_count() {	# OPCODE WHO OP VALUE (OP: -eq, -gt)
	c=$(count "$1" "$2")
	[ "$c" "$3" "$4" ] || fail "$mode: $1 $2 = $c, expected $3 $4"
}

same_file() {		# PATH under both trees
	timeout $T cmp "$src/$1" "$mnt/$1" || fail "$mode: $1 differs"
}

# put TEXT FILE [append]: write a line to a file on the mount, bounded
# in time like every other operation on it.
put() {
	if [ "${3:-}" = append ]; then
		timeout $T sh -c 'echo "$0" >>"$1"' "$1" "$2"
	else
		timeout $T sh -c 'echo "$0" >"$1"' "$1" "$2"
	fi
}

listing() {		# DIR: sorted names, one line
	timeout $T ls -A "$1" | tr '\n' ' '
}

modes() {
	if [ "$(cat /sys/fs/fuse-bpf/features/fuse_bpf 2>/dev/null)" = supported ] ||
		[ "$(cat /sys/fs/fuse/features/fuse_bpf 2>/dev/null)" = supported ]
	then
		echo fuse-bpf
	fi
	echo userspace
	if kernel_has_passthrough; then
		echo passthrough
	else
		echo "note: kernel $(uname -r) has no FUSE passthrough," \
			"mode passthrough not tested" >&2
	fi
}

test_filter() {
	mkdir -p "$src/a" "$src/b/sub" "$src/secretdir"
	printf 'hello\n' >"$src/a/file1.txt"
	echo key >"$src/a/private.key"
	echo top >"$src/top.key"
	echo inside >"$src/secretdir/x"
	head -c 3145728 /dev/urandom >"$src/b/sub/data.bin"
	ln -s a/file1.txt "$src/link"

	for mode in $(modes); do
		echo "== filter_bpf, mode $mode"
		printf 'hello\n' >"$src/a/file1.txt"
		start "$mode" --hide='*.key,secret*' || { status=1; continue; }

		l=$(listing "$mnt")
		[ "$l" = "a b link " ] || fail "$mode: root lists '$l'"
		l=$(listing "$mnt/a")
		[ "$l" = "file1.txt " ] || fail "$mode: a/ lists '$l'"
		timeout $T ls -lR "$mnt" >/dev/null || fail "$mode: ls -lR"
		for h in top.key secretdir secretdir/x a/private.key; do
			if timeout $T stat "$mnt/$h" >/dev/null 2>&1; then
				fail "$mode: hidden $h is visible"
			fi
		done
		same_file a/file1.txt
		same_file b/sub/data.bin
		l=$(timeout $T readlink "$mnt/link")
		[ "$l" = a/file1.txt ] || fail "$mode: link reads '$l'"
		l=$(timeout $T cat "$mnt/link")
		[ "$l" = hello ] || fail "$mode: cat link gives '$l'"
		put 'more' "$mnt/a/file1.txt" append || fail "$mode: append"
		l=$(tr '\n' ' ' <"$src/a/file1.txt")
		[ "$l" = "hello more " ] || fail "$mode: source has '$l'"
		stop
		cat "$tmp/stats"
		echo
		expect_count LOOKUP daemon -gt 0
		expect_count READ daemon -eq 0
		expect_count WRITE daemon -eq 0
		expect_count OPEN daemon -eq 0
		expect_count READLINK daemon -eq 0
		if [ "$mode" = userspace ]; then
			expect_count READ library -gt 0
		fi
	done
}

test_fallback() {
	mkdir -p "$src/plain" "$src/slowdir"
	head -c 2097152 /dev/urandom >"$src/plain/p.dat"
	head -c 524288 /dev/urandom >"$src/top.dat"
	head -c 1048576 /dev/urandom >"$src/slowfile"
	head -c 1048576 /dev/urandom >"$src/slowdir/s.dat"
	ln -s s.dat "$src/slowdir/link"

	for mode in $(modes); do
		echo "== fallback_bpf, mode $mode: names the library serves"
		start "$mode" --refuse='slow*' || { status=1; continue; }
		l=$(listing "$mnt")
		[ "$l" = "plain slowdir slowfile top.dat " ] ||
			fail "$mode: root lists '$l'"
		same_file plain/p.dat
		same_file top.dat
		stop
		cat "$tmp/stats"
		echo
		expect_count LOOKUP daemon -gt 0
		expect_count READ daemon -eq 0
		if [ "$mode" = userspace ]; then
			expect_count READ library -gt 0
		fi

		echo "== fallback_bpf, mode $mode: refused names"
		start "$mode" --refuse='slow*' || { status=1; continue; }
		same_file slowfile
		same_file slowdir/s.dat
		l=$(timeout $T cat "$mnt/slowdir/link" | cmp - "$src/slowdir/s.dat" &&
			echo same)
		[ "$l" = same ] || fail "$mode: slowdir/link"
		l=$(listing "$mnt/slowdir")
		[ "$l" = "link s.dat " ] || fail "$mode: slowdir lists '$l'"
		put new "$mnt/slowdir/new.txt" || fail "$mode: create"
		timeout $T mkdir "$mnt/slowdir/d2" || fail "$mode: mkdir"
		timeout $T mv "$mnt/slowdir/new.txt" "$mnt/slowdir/d2/n.txt" ||
			fail "$mode: rename"
		l=$(cat "$src/slowdir/d2/n.txt" 2>&1)
		[ "$l" = new ] || fail "$mode: renamed file has '$l'"
		timeout $T truncate -s 2 "$mnt/slowdir/d2/n.txt" ||
			fail "$mode: truncate"
		l=$(timeout $T cat "$mnt/slowdir/d2/n.txt")
		[ "$l" = ne ] || fail "$mode: truncated file has '$l'"
		timeout $T rm "$mnt/slowdir/d2/n.txt" &&
			timeout $T rmdir "$mnt/slowdir/d2" ||
			fail "$mode: unlink/rmdir"
		[ -e "$src/slowdir/d2" ] && fail "$mode: d2 still in source"
		put root "$mnt/rootnew" || fail "$mode: create in root"
		l=$(cat "$src/rootnew" 2>&1)
		[ "$l" = root ] || fail "$mode: rootnew has '$l'"
		timeout $T rm "$mnt/rootnew" || fail "$mode: unlink in root"
		if setpriv --reuid=0 true 2>/dev/null; then
			chmod 755 "$tmp"
			chmod 1777 "$src/slowdir"
			timeout $T setpriv --reuid=65534 --regid=65534 \
				--clear-groups sh -c 'echo x >"$0"' \
				"$mnt/slowdir/mine" || fail "$mode: create as nobody"
			l=$(stat -c %u:%g "$src/slowdir/mine" 2>&1)
			[ "$l" = 65534:65534 ] ||
				fail "$mode: file made by nobody belongs to $l"
			rm -f "$src/slowdir/mine"
		fi
		stop
		cat "$tmp/stats"
		echo
		expect_count READ daemon -gt 0
		expect_count WRITE daemon -gt 0
		expect_count CREATE daemon -gt 0
		c=$(($(count RENAME daemon) + $(count RENAME2 daemon)))
		[ $c -gt 0 ] || fail "$mode: no RENAME reached the daemon"
	done
}

case $what in
filter) test_filter ;;
fallback) test_fallback ;;
*) echo "usage: $0 filter|fallback DAEMON" >&2; exit 1 ;;
esac

[ $status -eq 0 ] && echo PASS
exit $status
