#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# usage: loops.sh PASSTHROUGH_BPF MODE
#
# The single-threaded loop (daemonized) and the multi-threaded loop
# (--threads, in the foreground) both serve a workload of creates, writes,
# reads, listings and unlinks from several processes at once; the source
# holds what was written and the counters add up.
set -u
PT=$1
MODE=$2
. "$(dirname "$0")/common.sh"
need_root
fbpf_watchdog 100
if [ "$MODE" = passthrough ] && ! have_passthrough; then
	skip "passthrough mode not offered by this kernel"
fi

src=$FBPF_TMP/src
mnt=$FBPF_TMP/mnt
mkdir "$src" "$mnt" || fail "setup"

workload() {
	for w in 1 2 3 4; do
		(
			k=0
			while [ $k -lt 25 ]; do
				echo "writer $w file $k" > "$mnt/w$w-$k" || exit 1
				k=$((k + 1))
			done
			k=0
			while [ $k -lt 25 ]; do
				[ "$(cat "$mnt/w$w-$k")" = "writer $w file $k" ] ||
					exit 1
				k=$((k + 1))
			done
		) &
		eval "wp$w=\$!"
	done
	st=0
	for w in 1 2 3 4; do
		eval "wait \$wp$w" || st=1
	done
	return $st
}

for loop in single multi; do
	stats=$FBPF_TMP/stats-$loop.json
	rm -f "$stats"
	if [ $loop = single ]; then
		timeout 20 "$PT" --mode="$MODE" --stats="$stats" "$src" "$mnt" \
			2>"$FBPF_TMP/log" || fail "$loop: daemon did not start"
		pid=""
	else
		"$PT" -f --threads --mode="$MODE" --stats="$stats" "$src" "$mnt" \
			2>"$FBPF_TMP/log" &
		pid=$!
		fbpf_track "$pid"
	fi
	wait_mounted "$mnt" || fail "$loop: no mount"
	# In the foreground the mount exists before INIT is answered.
	wait_grep "passthrough_bpf: mode $MODE" "$FBPF_TMP/log" ||
		fail "$loop: mode line missing: $(cat "$FBPF_TMP/log")"

	workload || fail "$loop: workload failed"
	n=$(ls "$mnt" | wc -l)
	[ "$n" -eq 100 ] || fail "$loop: mount lists $n files, want 100"
	n=$(ls "$src" | wc -l)
	[ "$n" -eq 100 ] || fail "$loop: source has $n files, want 100"
	[ "$(cat "$src/w3-17")" = "writer 3 file 17" ] ||
		fail "$loop: source content"
	rm "$mnt"/w* || fail "$loop: unlink"
	[ -z "$(ls "$src")" ] || fail "$loop: source not empty after rm"

	timeout 10 umount "$mnt" || fail "$loop: umount"
	if [ -n "$pid" ]; then
		wait_pid_gone "$pid" || fail "$loop: daemon still running"
		wait "$pid" || fail "$loop: daemon exit status $?"
	fi
	n=0
	while [ ! -s "$stats" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ -s "$stats" ] || fail "$loop: no statistics written"
	grep -q "\"mode\": \"$MODE\"" "$stats" || fail "$loop: stats mode"
	grep -q '"CREATE": {"daemon": 0, "library": 100}' "$stats" ||
		fail "$loop: CREATE counts: $(cat "$stats")"
	grep -q '"UNLINK": {"daemon": 0, "library": 100}' "$stats" ||
		fail "$loop: UNLINK counts: $(cat "$stats")"
	ok "$loop loop: $(cat "$stats")"
done
# Statistics are also written when the daemon is stopped by SIGTERM or
# unmounted with fusermount3 -u; the mount goes away either way.  (SIGINT
# is ignored by background jobs of a non-interactive shell, and libfuse
# leaves ignored signals alone, so it cannot be tried from here.)
for how in TERM fusermount; do
	[ $how = fusermount ] && ! command -v fusermount3 > /dev/null && continue
	stats=$FBPF_TMP/stats-$how.json
	"$PT" -f --mode="$MODE" --stats="$stats" "$src" "$mnt" \
		2>"$FBPF_TMP/log" &
	pid=$!
	fbpf_track "$pid"
	wait_mounted "$mnt" || fail "$how: no mount"
	timeout 10 ls "$mnt" > /dev/null || fail "$how: ls"
	if [ $how = fusermount ]; then
		timeout 10 fusermount3 -u "$mnt" || fail "fusermount3 -u"
	else
		kill -$how "$pid"
	fi
	wait_pid_gone "$pid" || fail "$how: daemon still running"
	wait "$pid" || fail "$how: daemon exit status $?"
	is_mounted "$mnt" && fail "$how: mount left behind"
	grep -q "\"mode\": \"$MODE\"" "$stats" 2>/dev/null ||
		fail "$how: no statistics"
	grep -q '"OPENDIR": {"daemon": 0, "library": 1}' "$stats" ||
		fail "$how: OPENDIR counts: $(cat "$stats")"
	ok "stopped by $how: $(cat "$stats")"
done
echo PASSED
