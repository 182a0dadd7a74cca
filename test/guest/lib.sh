# SPDX-License-Identifier: GPL-2.0-only
#
# Helpers sourced by the in-guest test scripts (busybox sh).  Each check
# prints one "@@ RESULT name PASS|FAIL|SKIP reason" line; init.sh counts
# them.  A script ends with guest_script_end, which records its exit status
# for init.sh (a script killed by the timeout leaves none).

GUEST_FAILED=0

pass() {
	echo "@@ RESULT $1 PASS${2:+ $2}"
}

fail() {
	echo "@@ RESULT $1 FAIL${2:+ $2}"
	GUEST_FAILED=$((GUEST_FAILED + 1))
}

skip() {
	echo "@@ RESULT $1 SKIP${2:+ $2}"
}

# check NAME CMD...: PASS if CMD succeeds.
check() {
	name=$1
	shift
	if "$@"; then
		pass "$name"
	else
		fail "$name" "command failed: $*"
	fi
}

guest_script_end() {
	echo 0 >/run/guest-script.rc
}

# wait_for_line FILE PATTERN SECONDS: wait until FILE has a line matching
# PATTERN.
wait_for_line() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# wait_gone PID SECONDS: wait for a process to exit.
wait_gone() {
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# json_count FILE OPCODE FIELD: a counter from passthrough_bpf --stats
# output, 0 when the opcode is absent.
json_count() {
	n=$(tr -d ' \n' <"$1" |
		sed -n "s/.*\"$2\":{[^}]*\"$3\":\([0-9]*\).*/\1/p")
	echo "${n:-0}"
}

# json_mode FILE: the mode recorded in a stats file.
json_mode() {
	tr -d ' \n' <"$1" | sed -n 's/.*"mode":"\([^"]*\)".*/\1/p'
}

# json_table FILE: the counters of a stats file, one "OPCODE daemon=N
# library=N" line each.
json_table() {
	{ tr -d ' \n' <"$1"; echo; } | sed 's/},/}\n/g' |
		sed -n 's/.*"\([A-Z_0-9]*\)":{"daemon":\([0-9]*\),"library":\([0-9]*\)}*$/\1 daemon=\2 library=\3/p'
}

# start_pt MODE SOURCE MOUNTPOINT STATS LOG [OPTIONS...]: run
# passthrough_bpf in the foreground mode, in the background, with the
# extra OPTIONS; PT_PID is its pid.  Succeeds once it has printed its
# mode line.
start_pt() {
	sp_mode=$1
	sp_src=$2
	sp_mnt=$3
	sp_stats=$4
	sp_log=$5
	shift 5
	passthrough_bpf -f --mode="$sp_mode" --stats="$sp_stats" "$@" \
		"$sp_src" "$sp_mnt" >"$sp_log" 2>&1 &
	PT_PID=$!
	wait_for_line "$sp_log" 'passthrough_bpf: mode' 30
}

# pt_mode LOG: the mode passthrough_bpf reported.
pt_mode() {
	sed -n 's/.*passthrough_bpf: mode \([a-z-]*\).*/\1/p' "$1" | head -n 1
}

# stop_pt MOUNTPOINT: unmount and wait for passthrough_bpf to exit (it
# writes its statistics then).  Fails if either does not happen.  The
# daemon's exit status is left in PT_STATUS (137 when it had to be killed).
stop_pt() {
	ok=0
	if ! umount "$1"; then
		ok=1
		umount -l "$1" 2>/dev/null
	fi
	if ! wait_gone "$PT_PID" 20; then
		kill -9 "$PT_PID" 2>/dev/null
		ok=1
	fi
	wait "$PT_PID" 2>/dev/null
	PT_STATUS=$?
	return $ok
}

# cleanup_mount MOUNTPOINT: detach a mount left behind by a failed step.
cleanup_mount() {
	if grep -q " $1 " /proc/mounts; then
		umount -l "$1" 2>/dev/null
	fi
}

# conf_run TAG MODE [TEST...]: the conformance runner for MODE on a tmpfs
# of its own (/tmp/conf-TAG, so runs in parallel do not share free-space
# figures); results in /tmp/conf-TAG.res, messages in /tmp/conf-TAG.err,
# exit status in /tmp/conf-TAG.rc, passthrough_bpf's --stats output in
# /tmp/conf-TAG.stats (absent when the daemon wrote none).  With
# CONF_LOWER_DEV set to a block device holding an empty ext4 filesystem,
# that filesystem is mounted there instead of the tmpfs.
conf_run() {
	tag=$1
	mode=$2
	shift 2
	d=/tmp/conf-$tag
	mkdir -p "$d"
	if [ -n "${CONF_LOWER_DEV:-}" ]; then
		mount -t ext4 "$CONF_LOWER_DEV" "$d"
	else
		mount -t tmpfs -o size=900m "conf-$tag" "$d"
	fi
	# The runner keeps its work directory (and the daemon's statistics
	# in it); unmounting the filesystem below removes it.
	# One test may take 120 s; three times that on the debug kernel.
	tmo=120
	if [ "${GUEST_KERNEL:-}" = debug ]; then
		tmo=360
	fi
	CONF_KEEP=1 CONF_TIMEOUT=$tmo sh /tests/run_conformance.sh \
		/bin/passthrough_bpf /opt/conformance/conformance "$mode" "$d" \
		"$@" >"$d.res" 2>"$d.err"
	echo $? >"$d.rc"
	rm -f "$d.stats"
	for s in "$d"/conformance.*/stats.json; do
		[ -f "$s" ] && cp "$s" "$d.stats"
	done
	sed -i '/^kept /d' "$d.err"
	umount "$d" || umount -l "$d"
	rmdir "$d"
}

# stats_cell STATS OPCODE: "daemon/library" for one opcode of a stats
# file, "-" when there is no file.
stats_cell() {
	if [ -f "$1" ]; then
		echo "$(json_count "$1" "$2" daemon)/$(json_count "$1" "$2" library)"
	else
		echo -
	fi
}

# stats_compare NAME BACKED USERSPACE: print the counters of two stats
# files (fuse-bpf and userspace mode of the same workload) as a table, one
# opcode a line, and require every opcode but INIT and DESTROY to have
# reached neither the daemon nor the library in BACKED.
stats_compare() {
	echo "---- $1: requests that reached userspace (daemon/library)"
	printf '    %-16s %12s %14s\n' opcode fuse-bpf userspace
	ops=$( (json_table "$2"; json_table "$3") 2>/dev/null |
		awk '{ print $1 }' | sort -u)
	for op in $ops; do
		printf '    %-16s %12s %14s\n' "$op" "$(stats_cell "$2" "$op")" \
			"$(stats_cell "$3" "$op")"
	done
	if [ ! -s "$2" ]; then
		fail "$1-zero-requests" "no statistics from the fuse-bpf run"
		return
	fi
	if [ "$(json_mode "$2")" != fuse-bpf ]; then
		fail "$1-zero-requests" "the statistics say mode $(json_mode "$2")"
		return
	fi
	if [ "$(json_count "$2" INIT daemon)" -lt 1 ]; then
		fail "$1-zero-requests" "INIT not counted: the statistics are not read right"
		return
	fi
	bad=
	for op in $(json_table "$2" | awk '{ print $1 }'); do
		case $op in
		INIT|DESTROY) continue ;;
		esac
		[ "$(stats_cell "$2" "$op")" = 0/0 ] || bad="$bad $op=$(stats_cell "$2" "$op")"
	done
	total=0
	if [ -s "$3" ]; then
		total=$(json_table "$3" | sed 's/[^ ]* daemon=\([0-9]*\) library=\([0-9]*\)/\1 \2/' |
			awk '{ t += $1 + $2 } END { print t + 0 }')
	fi
	if [ -n "$bad" ]; then
		fail "$1-zero-requests" "reached userspace in fuse-bpf mode:$bad"
	elif [ "$total" -lt 100 ]; then
		fail "$1-zero-requests" "the userspace run counted $total requests: the workload did not run"
	else
		pass "$1-zero-requests" "only INIT/DESTROY reached userspace in fuse-bpf mode ($total requests in userspace mode)"
	fi
}

# conf_show TAG TITLE: print a runner's results and messages.
conf_show() {
	echo "---- conformance, $2 (runner exit $(cat "/tmp/conf-$1.rc"))"
	cat "/tmp/conf-$1.res"
	if [ -s "/tmp/conf-$1.err" ]; then
		echo "---- runner messages, $2"
		head -n 40 "/tmp/conf-$1.err"
	fi
}
