#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The command line every example shares, for each DAEMON given:
# - --help prints only what is true: -s for the single-threaded loop, no
#   advertised allow_root, auto_unmount or clone_fd (libfuse's own help
#   text), and it says allow_other is always on;
# - -o clone_fd is refused with a message and mounts nothing;
# - --stats=RELATIVE lands in the directory the daemon was started from,
#   also when it detaches (and changes to /).
#
# usage: cli.sh DAEMON...
# exit: 0 passed, 1 failed, 77 skipped (the reason is printed)

set -u
status=0

fail() {
	echo "FAIL: $*"
	status=1
}

[ "$(id -u)" = 0 ] || { echo "SKIP: mounting needs root"; exit 77; }
[ -c /dev/fuse ] || { echo "SKIP: no /dev/fuse"; exit 77; }

tmp=$(mktemp -d /tmp/fbpf-cli.XXXXXX) || exit 1
mkdir "$tmp/src" "$tmp/mnt"
echo data > "$tmp/src/file"
cleanup() {
	if awk -v m="$tmp/mnt" '$2 == m { f = 1 } END { exit !f }' /proc/mounts
	then
		umount "$tmp/mnt" 2>/dev/null || umount -l "$tmp/mnt"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

mounted() {
	awk -v m="$tmp/mnt" '$2 == m { f = 1 } END { exit !f }' /proc/mounts
}

for daemon in "$@"; do
	name=${daemon##*/}
	extra=
	[ "$name" = filter_bpf ] && extra=--hide=nothing

	help=$("$daemon" --help 2>&1) || fail "$name --help: exit status $?"
	echo "$help" | grep -q -- '^ *-s ' || fail "$name --help: no -s"
	flat=$(echo "$help" | tr -s ' \n' '  ')
	echo "$flat" | grep -q 'allow_root, auto_unmount and clone_fd are refused' ||
		fail "$name --help: allow_root, auto_unmount and clone_fd not said to be refused"
	echo "$help" | grep -q 'use separate fuse device fd' &&
		fail "$name --help: advertises clone_fd"
	echo "$help" | grep -q 'allow access by' &&
		fail "$name --help: advertises allow_other/allow_root"
	echo "$flat" | grep -q 'always has allow_other' ||
		fail "$name --help: does not say allow_other is always on"

	out=$(cd "$tmp" && timeout 20 "$daemon" -f -o clone_fd src mnt \
		$extra 2>&1)
	rc=$?
	{ [ $rc -ne 0 ] && [ $rc -ne 124 ]; } ||
		fail "$name -o clone_fd: exit status $rc"
	echo "$out" | grep -q "clone_fd is not supported" ||
		fail "$name -o clone_fd: message: $out"
	mounted && { fail "$name -o clone_fd: mounted"; umount "$tmp/mnt"; }

	rm -f "$tmp/stats.json" "/stats.json"
	(cd "$tmp" && timeout 20 "$daemon" --mode=userspace \
		--stats=stats.json src mnt $extra) ||
		fail "$name: daemonized mount failed"
	n=0
	while ! mounted && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	cat "$tmp/mnt/file" > /dev/null || fail "$name: read through the mount"
	umount "$tmp/mnt" || fail "$name: umount"
	n=0
	while [ ! -s "$tmp/stats.json" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ -s "$tmp/stats.json" ] ||
		fail "$name --stats=stats.json: not in the start directory$( [ -e /stats.json ] && echo ', written to /')"
	rm -f /stats.json
	[ $status -eq 0 ] && echo "ok $name"
done
exit $status
