# SPDX-License-Identifier: GPL-2.0-only
#
# Guest test: a daemon killed with SIGKILL while a backed file is open and
# being read, in mode fuse-bpf.  Two daemons:
#
# - passthrough_bpf backs the whole tree (root_dir=), so the kernel keeps
#   serving it after the daemon's death, as it serves a no_daemon mount;
#   what every operation then gives is printed.
# - filter_bpf answers for directories itself and backs only the files:
#   after its death, operations on its directories report ENOTCONN.
#
# For both: no oops (init.sh checks dmesg), the reader is not stuck, the
# mount unmounts, and a fresh mount over the same source works.
#
# Then kill_random (test/lib/kill_random.c, the host suite runs it in the
# userspace and passthrough modes): 100 rounds in mode fuse-bpf, each
# with its own seed, of a SIGKILL at a random moment of a mixed workload,
# alternately under passthrough_bpf (everything backed: the kernel keeps
# serving, no operation fails) and fallback_bpf (w/ and what is created
# in it are the daemon's: ENOTCONN); each round checks the lower tree
# against the workload's intent log, the control tree against its
# manifest, and that a fresh mount works.
. /tests/lib.sh

w=/tmp/dkill
src=$w/src
mnt=$w/mnt
rm -rf "$w"
mkdir -p "$src/dir/sub" "$mnt"
dd if=/dev/urandom of="$src/big" bs=1M count=32 2>/dev/null
echo "small" >"$src/dir/small"
echo "deeper" >"$src/dir/sub/file"

# start_reader: one descriptor of the backed file kept open and read in
# 64 KiB steps, over and over, until told to stop or a read fails.
start_reader() {
	rm -f "$w/reader.started" "$w/reader.stop" "$w/reader.out"
	(
		exec 3<"$mnt/big" || exit 3
		echo started >"$w/reader.started"
		while [ ! -e "$w/reader.stop" ]; do
			if ! dd bs=64k count=1 of=/dev/null <&3 2>"$w/reader.err"
			then
				echo "read error: $(tail -n 1 "$w/reader.err")" \
					>"$w/reader.out"
				exit 1
			fi
		done
		echo "still reading at the end" >"$w/reader.out"
		exit 0
	) &
	reader=$!
	i=0
	while [ ! -e "$w/reader.started" ] && kill -0 "$reader" 2>/dev/null &&
		[ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$w/reader.started" ]
}

stop_reader() {
	touch "$w/reader.stop"
	if wait_gone "$reader" 20; then
		pass "$1-reader-done" "reader: $(cat "$w/reader.out" 2>/dev/null)"
	else
		fail "$1-reader-done" "the reader is stuck"
		kill -9 "$reader" 2>/dev/null
		wait_gone "$reader" 10
	fi
	wait "$reader" 2>/dev/null
}

# probe WHAT CMD...: run CMD on the mount after the kill; print the
# outcome, count ENOTCONN answers in $enotconn.
probe() {
	what=$1
	shift
	if out=$("$@" 2>&1 >/dev/null); then
		echo "    after the kill: $what -> ok"
	else
		echo "    after the kill: $what -> $out"
		case $out in
		*"not connected"*) enotconn=$((enotconn + 1)) ;;
		esac
	fi
}

# kill_daemon NAME PID: SIGKILL the daemon while the reader reads.
kill_daemon() {
	sleep 1
	kill -9 "$2"
	if wait_gone "$2" 10; then
		pass "$1-killed" "killed while the file was being read"
	else
		fail "$1-killed" "the daemon did not die"
	fi
	wait "$2" 2>/dev/null
	# Past the 1 s entry and attribute timeouts of the daemon's nodes.
	sleep 2
}

unmount_and_remount() {
	if umount "$mnt"; then
		pass "$1-unmount"
	else
		fail "$1-unmount" "umount failed"
		umount -l "$mnt"
	fi
	if grep -q " $mnt " /proc/mounts; then
		fail "$1-mount-gone" "still in /proc/mounts"
	fi
	if start_pt fuse-bpf "$src" "$mnt" "$w/stats2" "$w/log2" &&
		cmp "$mnt/big" "$src/big" &&
		cmp "$mnt/dir/small" "$src/dir/small"; then
		pass "$1-remount" "a fresh mount over the same source works"
	else
		fail "$1-remount" "$(cat "$w/log2")"
	fi
	stop_pt "$mnt" || fail "$1-remount-unmount" "umount or daemon exit failed"
}

# 1. passthrough_bpf: the whole tree is backed.
if [ ! -x /bin/passthrough_bpf ]; then
	fail passthrough_bpf "passthrough_bpf was not built"
elif ! start_pt fuse-bpf "$src" "$mnt" "$w/stats" "$w/log"; then
	fail kill-backed-mount "passthrough_bpf did not start: $(cat "$w/log")"
	kill -9 "$PT_PID" 2>/dev/null
	cleanup_mount "$mnt"
else
	pass kill-backed-mount "passthrough_bpf, mode $(pt_mode "$w/log")"
	if start_reader; then
		pass kill-backed-reader "a backed file is open and being read"
	else
		fail kill-backed-reader "the reader could not open the file"
	fi
	kill_daemon kill-backed "$PT_PID"
	enotconn=0
	probe "stat big" stat "$mnt/big"
	probe "ls dir" ls "$mnt/dir"
	probe "cat dir/sub/file" cat "$mnt/dir/sub/file"
	probe "mkdir" mkdir "$mnt/newdir"
	stop_reader kill-backed
	unmount_and_remount kill-backed
fi

# 2. filter_bpf: directories are the daemon's, files are backed.
if [ ! -x /bin/filter_bpf ]; then
	fail filter_bpf "filter_bpf was not built"
else
	filter_bpf -f --mode=fuse-bpf --hide='*.hidden' "$src" "$mnt" \
		>"$w/flog" 2>&1 &
	fpid=$!
	i=0
	while ! grep -q " $mnt " /proc/mounts && kill -0 "$fpid" 2>/dev/null &&
		[ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if ! grep -q " $mnt " /proc/mounts || ! ls "$mnt/dir" >/dev/null; then
		fail kill-filter-mount "filter_bpf did not mount: $(cat "$w/flog")"
		kill -9 "$fpid" 2>/dev/null
		cleanup_mount "$mnt"
	else
		pass kill-filter-mount "filter_bpf, mode fuse-bpf"
		if start_reader; then
			pass kill-filter-reader "a backed file is open and being read"
		else
			fail kill-filter-reader "the reader could not open the file"
		fi
		kill_daemon kill-filter "$fpid"
		enotconn=0
		probe "ls dir (daemon's directory)" ls "$mnt/dir"
		probe "stat dir/sub (daemon's directory)" stat "$mnt/dir/sub"
		probe "stat never-seen (lookup in the daemon's root)" \
			stat "$mnt/never-seen"
		probe "stat big (backed file)" stat "$mnt/big"
		if [ $enotconn -gt 0 ]; then
			pass kill-filter-errors "$enotconn operation(s) on the daemon's nodes reported ENOTCONN"
		else
			fail kill-filter-errors "no operation reported ENOTCONN"
		fi
		stop_reader kill-filter
		unmount_and_remount kill-filter
	fi
fi

# 3. kill_random: the lower and the mount point on one tmpfs, the intent
# log on another.
kr=/tmp/krand
if [ ! -x /bin/kill_random ] || [ ! -x /bin/fallback_bpf ]; then
	fail kill-random "kill_random or fallback_bpf was not built"
else
	mkdir -p "$kr" "$kr-log"
	mount -t tmpfs -o size=64m krand "$kr"
	mount -t tmpfs -o size=16m krand-log "$kr-log"
	start=$(date +%s)
	kill_random --mode=fuse-bpf --passthrough=/bin/passthrough_bpf \
		--fallback=/bin/fallback_bpf --rounds="${KILL_ROUNDS:-100}" \
		${KILL_SEED:+--seed="$KILL_SEED"} --max-delay=300 \
		"$kr" "$kr-log" >"$w.krand" 2>&1
	rc=$?
	sed 's/^/    /' "$w.krand"
	summary=$(tail -n 1 "$w.krand")
	if [ $rc -eq 0 ]; then
		pass kill-random "${summary#kill_random: } (in $(($(date +%s) - start)) s)"
	else
		fail kill-random "exit $rc: ${summary#kill_random: }"
	fi
	if grep -q " $kr/mnt " /proc/mounts; then
		fail kill-random-cleanup "a mount was left on $kr/mnt"
		umount -l "$kr/mnt"
	fi
	umount "$kr" || umount -l "$kr"
	umount "$kr-log" || umount -l "$kr-log"
	rm -f "$w.krand"
fi
rm -rf "$w"
guest_script_end
