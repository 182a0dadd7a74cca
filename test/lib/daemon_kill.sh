#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# usage: daemon_kill.sh PASSTHROUGH_BPF
#
# A passthrough_bpf daemon killed with SIGKILL in the middle of a workload:
# the mount reports ENOTCONN, it can be unmounted, and a fresh mount over
# the same source works.  Runs in userspace mode and, where the host
# offers it, in passthrough mode.
set -u
PT=$1
. "$(dirname "$0")/common.sh"
need_root
fbpf_watchdog 100

src=$FBPF_TMP/src
mnt=$FBPF_TMP/mnt
mkdir "$src" "$mnt" || fail "setup"
i=0
while [ $i -lt 20 ]; do
	head -c 65536 /dev/urandom > "$src/f$i" || fail "setup"
	i=$((i + 1))
done

modes=userspace
if have_passthrough; then
	modes="$modes passthrough"
else
	echo "note: passthrough mode not offered here, only userspace runs"
fi

for mode in $modes; do
	"$PT" -f --mode="$mode" "$src" "$mnt" 2>"$FBPF_TMP/log" &
	pid=$!
	fbpf_track "$pid"
	wait_mounted "$mnt" || fail "$mode: no mount appeared"

	(
		j=0
		while :; do
			cat "$mnt/f$((j % 20))" > /dev/null
			echo "line $j" >> "$mnt/w$((j % 5))"
			ls "$mnt" > /dev/null
			j=$((j + 1))
		done
	) 2>/dev/null &
	wl=$!
	fbpf_track "$wl"
	sleep 1
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	sleep 0.2
	kill "$wl" 2>/dev/null
	wait "$wl" 2>/dev/null

	err=$(stat "$mnt" 2>&1 >/dev/null)
	case $err in
	*"Transport endpoint is not connected"*)
		ok "$mode: dead daemon gives ENOTCONN" ;;
	*)
		fail "$mode: stat after SIGKILL said: '$err'" ;;
	esac
	timeout 10 umount "$mnt" || fail "$mode: umount of the dead mount"
	is_mounted "$mnt" && fail "$mode: still mounted after umount"
	ok "$mode: dead mount unmounted"

	"$PT" -f --mode="$mode" "$src" "$mnt" 2>"$FBPF_TMP/log2" &
	pid=$!
	fbpf_track "$pid"
	wait_mounted "$mnt" || fail "$mode: remount did not appear"
	timeout 10 cmp "$mnt/f7" "$src/f7" || fail "$mode: remount reads differ"
	n=$(timeout 10 ls "$mnt" | wc -l)
	[ "$n" -ge 20 ] || fail "$mode: remount lists $n entries"
	echo fresh > "$mnt/fresh" || fail "$mode: write after remount"
	[ "$(cat "$src/fresh")" = fresh ] || fail "$mode: write not in source"
	timeout 10 umount "$mnt" || fail "$mode: umount of the fresh mount"
	wait_pid_gone "$pid" || fail "$mode: daemon did not exit after umount"
	wait "$pid"
	rc=$?
	[ $rc -eq 0 ] || fail "$mode: daemon exit status $rc after umount"
	ok "$mode: fresh mount over the same source works"
	rm -f "$src/fresh" "$src"/w*
done
echo PASSED
