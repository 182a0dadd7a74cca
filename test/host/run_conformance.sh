#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# run_conformance.sh PASSTHROUGH_BPF CONFORMANCE MODE WORKDIR [TEST...]
#
# Runs each conformance test on a passthrough_bpf mount in MODE (over the
# source tree A) and on a plain reference directory B that starts
# identical, then compares exit status, transcript, and the test's final
# trees in A and B.  MODE "plain" runs on A directly with no mount (the
# suite's own baseline).  Prints "PASS|FAIL|SKIP <test> <mode>[: why]" and
# a closing "N passed, N failed, N skipped" line.  Exit 0 when nothing but
# known gaps failed, 77 when the mode is unavailable, 1 otherwise.
# POSIX sh (busybox ash compatible); used by the host and guest suites.
# CONF_TIMEOUT (seconds per test run, default 300) and CONF_KEEP=1 (keep
# the work directory) tune it; CONF_SELFTEST=1 makes the reference tree
# differ on purpose (runner_selftest.sh).
#
# The helpers below (fm_*) are shared with the other host scripts, which
# source this file with RUN_CONFORMANCE_LIB=1 to get only them; they start
# passthrough_bpf in the foreground in the background, wait for its mount,
# stop it, and read its --stats JSON.

FM_PID=
FM_MNT=
FM_LOG=

fm_mounted()
{
	grep -q " $1 " /proc/mounts
}

# fm_kernel_has_passthrough: 0 when the running kernel is 6.9 or newer.
fm_kernel_has_passthrough()
{
	_rel=$(uname -r)
	_maj=${_rel%%.*}
	_rest=${_rel#*.}
	_min=${_rest%%[!0-9]*}
	[ "$_maj" -gt 6 ] || { [ "$_maj" -eq 6 ] && [ "$_min" -ge 9 ]; }
}

# fm_kernel_has_fuse_bpf: 0 when fuse-bpf is there, as fuse-bpf.ko beside
# the kernel's FUSE or as an in-tree build.
fm_kernel_has_fuse_bpf()
{
	[ "$(cat /sys/fs/fuse-bpf/features/fuse_bpf 2>/dev/null)" = supported ] ||
		[ "$(cat /sys/fs/fuse/features/fuse_bpf 2>/dev/null)" = supported ]
}

# fm_start BINARY MODE SOURCE MOUNTPOINT STATS LOG [OPTIONS...]
# Returns 0 once mounted and the daemon reported MODE (any mode for auto),
# 1 otherwise (the daemon is stopped and its log printed).
fm_start()
{
	_bin=$1 _mode=$2 _src=$3 _mnt=$4 _stats=$5 _log=$6
	shift 6
	FM_MNT=$_mnt
	FM_LOG=$_log
	# FBPF_TEST_WRAPPER: valgrind (meson test --setup valgrind), whose
	# exit status 99 on an error fm_stop returns.
	${FBPF_TEST_WRAPPER:-} "$_bin" -f -o allow_other "--mode=$_mode" \
		"--stats=$_stats" "$@" "$_src" "$_mnt" 2>"$_log" &
	FM_PID=$!
	_i=0
	while [ $_i -lt 200 ]; do
		if ! kill -0 "$FM_PID" 2>/dev/null; then
			wait "$FM_PID"
			echo "passthrough_bpf exited with status $? before mounting:" >&2
			sed 's/^/  | /' "$_log" >&2
			FM_PID=
			return 1
		fi
		if fm_mounted "$_mnt" &&
		   grep -q "passthrough_bpf: mode " "$_log"; then
			break
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	if ! fm_mounted "$_mnt"; then
		echo "passthrough_bpf did not mount within 20 s" >&2
		fm_stop
		return 1
	fi
	[ "$_mode" = auto ] && _mode='[a-z-]*'
	if ! grep -q "passthrough_bpf: mode $_mode\$" "$_log"; then
		echo "passthrough_bpf did not report mode $_mode:" >&2
		sed 's/^/  | /' "$_log" >&2
		fm_stop
		return 1
	fi
	return 0
}

# fm_stop: unmount and wait for the daemon; returns its exit status
# (124 when it had to be killed).
fm_stop()
{
	_rc=0
	if [ -n "$FM_MNT" ] && fm_mounted "$FM_MNT"; then
		_i=0
		while ! umount "$FM_MNT" 2>/dev/null; do
			_i=$((_i + 1))
			if [ $_i -ge 20 ]; then
				echo "umount $FM_MNT failed, detaching it" >&2
				umount -l "$FM_MNT" 2>/dev/null
				_rc=1
				break
			fi
			sleep 0.25
		done
	fi
	if [ -n "$FM_PID" ]; then
		_i=0
		while kill -0 "$FM_PID" 2>/dev/null && [ $_i -lt 100 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		if kill -0 "$FM_PID" 2>/dev/null; then
			echo "passthrough_bpf did not exit after unmount, killing it" >&2
			kill -9 "$FM_PID" 2>/dev/null
			wait "$FM_PID" 2>/dev/null
			_rc=124
		else
			wait "$FM_PID"
			_st=$?
			[ $_rc -eq 0 ] && _rc=$_st
		fi
		FM_PID=
	fi
	return $_rc
}

# fm_rm_work DIR: remove a work directory unless something is still
# mounted below it.
fm_rm_work()
{
	[ -n "$1" ] && [ -d "$1" ] || return 0
	if grep -q " $1/" /proc/mounts; then
		echo "not removing $1: still mounted below it" >&2
		return 1
	fi
	rm -rf "$1"
}

# fm_stat_count STATS OPCODE FIELD: a counter from the --stats JSON
# (FIELD is daemon or library); 0 when the opcode is absent.
fm_stat_count()
{
	_v=$(tr -d ' \n\t' <"$1" |
		sed -n "s/.*\"$2\":{\\([^}]*\\)}.*/\\1/p" |
		sed -n "s/.*\"$3\":\\([0-9]*\\).*/\\1/p")
	echo "${_v:-0}"
}

# fm_stat_opcodes STATS: the opcode names present in the JSON.
fm_stat_opcodes()
{
	tr -d ' \n\t' <"$1" | sed 's/.*"requests":{//' |
		grep -o '"[A-Z_0-9]*":{' | tr -d '":{'
}

[ "${RUN_CONFORMANCE_LIB:-0}" = 1 ] && return 0

if [ $# -lt 4 ]; then
	echo "usage: $0 PASSTHROUGH_BPF CONFORMANCE MODE WORKDIR [TEST...]" >&2
	exit 2
fi
pt=$1 conf=$2 mode=$3 workdir=$4
shift 4

tmo=${CONF_TIMEOUT:-300}
work=

cleanup()
{
	# CONF_UNMOUNT_HOOK: a command run before the unmount (the guest's
	# failslab test switches fault injection off with it).
	if [ -n "${CONF_UNMOUNT_HOOK:-}" ]; then
		sh -c "$CONF_UNMOUNT_HOOK"
	fi
	fm_stop
	if [ "${CONF_KEEP:-0}" = 1 ]; then
		echo "kept $work" >&2
	else
		fm_rm_work "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

case $mode in
plain) ;;
passthrough)
	if ! fm_kernel_has_passthrough; then
		echo "SKIP conformance $mode: kernel $(uname -r) has no FUSE passthrough (needs 6.9)"
		exit 77
	fi ;;
fuse-bpf)
	if ! fm_kernel_has_fuse_bpf; then
		echo "SKIP conformance $mode: neither /sys/fs/fuse-bpf/features/fuse_bpf nor /sys/fs/fuse/features/fuse_bpf (kernel without fuse-bpf)"
		exit 77
	fi ;;
userspace|auto) ;;
*)
	echo "unknown mode $mode" >&2
	exit 2 ;;
esac
if [ ! -x "$conf" ]; then
	echo "FAIL conformance $mode: $conf is not built"
	exit 1
fi
if [ "$mode" != plain ] && [ ! -x "$pt" ]; then
	echo "FAIL conformance $mode: $pt is not built"
	exit 1
fi

work=$(mktemp -d "$workdir/conformance.XXXXXX") || exit 1
chmod 755 "$work"
src=$work/a ref=$work/b mnt=$work/mnt
mkdir "$src" "$ref" "$mnt" || exit 1
if ! "$conf" --seed "$src" >/dev/null || ! "$conf" --seed "$ref" >/dev/null
then
	echo "FAIL conformance $mode: cannot create the seed trees"
	exit 1
fi

# Self-test of the comparison (runner_selftest.sh): the reference tree
# starts different, so the tests that look at it must fail.
if [ "${CONF_SELFTEST:-0}" = 1 ]; then
	chmod 0600 "$ref/seed/hello.txt"
	printf x >>"$ref/seed/sub/deeper/odd.bin"
fi

if [ "$mode" = plain ]; then
	root=$src
else
	if ! fm_start "$pt" "$mode" "$src" "$mnt" "$work/stats.json" \
		"$work/daemon.log"; then
		echo "FAIL conformance $mode: passthrough_bpf --mode=$mode did not mount"
		exit 1
	fi
	root=$mnt
	# CONF_MOUNTED_HOOK: a command run once the mount is up, before the
	# tests (the guest's failslab test switches fault injection on).
	if [ -n "${CONF_MOUNTED_HOOK:-}" ]; then
		sh -c "$CONF_MOUNTED_HOOK"
	fi
	if [ "$mode" = auto ]; then
		mode=$(sed -n 's/^passthrough_bpf: mode //p' "$work/daemon.log" |
			head -n 1)
	fi
fi

[ $# -gt 0 ] || set -- $("$conf" --list)

passed=0 failed=0 skipped=0 gaps=0 failed_tests=
oa=$work/out.a ob=$work/out.b ea=$work/err.a eb=$work/err.b

first_diff()
{
	diff "$1" "$2" | grep '^[<>]' | head -2 | tr '\n' ' ' |
		sed 's/^< /got: /; s/ > / | reference: /'
}

verdict()
{
	_t=$1 _v=$2 _why=$3
	case $_v in
	PASS)
		passed=$((passed + 1))
		echo "PASS $_t $mode" ;;
	SKIP)
		skipped=$((skipped + 1))
		echo "SKIP $_t $mode: $_why" ;;
	FAIL)
		failed=$((failed + 1))
		failed_tests="$failed_tests $_t"
		if _gap=$("$conf" --gap "$_t" "$mode" 2>/dev/null); then
			gaps=$((gaps + 1))
			echo "FAIL $_t $mode: known gap ($_gap): $_why"
		else
			echo "FAIL $_t $mode: $_why"
		fi ;;
	esac
}

# The transcript is stdout only; stderr (setup errors, sanitizer reports)
# goes to the reason of a failure.
for t in "$@"; do
	CONFORMANCE_LOWER=$src timeout "$tmo" "$conf" "$root" "$t" \
		>"$oa" 2>"$ea"
	ra=$?
	CONFORMANCE_LOWER=$ref timeout "$tmo" "$conf" "$ref" "$t" \
		>"$ob" 2>"$eb"
	rb=$?
	if [ $ra -eq 77 ] && [ $rb -eq 77 ]; then
		verdict "$t" SKIP "$(tail -n 1 "$ob")"
	elif [ $rb -ne 0 ]; then
		verdict "$t" FAIL "reference run exited $rb: $(tail -n 1 "$ob") $(tail -n 1 "$eb")"
	elif [ $ra -ne $rb ]; then
		verdict "$t" FAIL "exit $ra (reference $rb); $(first_diff "$oa" "$ob") $(tail -n 1 "$ea")"
	elif ! cmp -s "$oa" "$ob"; then
		verdict "$t" FAIL "transcript differs: $(first_diff "$oa" "$ob")"
	elif ! "$conf" --dump "$src/$t" >"$oa" 2>&1 ||
	     ! "$conf" --dump "$ref/$t" >"$ob" 2>&1 ||
	     ! cmp -s "$oa" "$ob"; then
		verdict "$t" FAIL "final tree differs: $(first_diff "$oa" "$ob")"
	else
		verdict "$t" PASS
	fi
	if [ "$mode" != plain ] && ! fm_mounted "$mnt"; then
		echo "the mount disappeared after $t" >&2
		break
	fi
done

# The whole trees, less the directories of tests already reported failed:
# this catches changes outside a test's own directory (the seed tree).
tree_dump()
{
	_d=$1
	if [ -z "$failed_tests" ]; then
		"$conf" --dump "$_d" 2>&1
		return
	fi
	set --
	for _f in $failed_tests; do
		set -- "$@" -e "^\./$_f[ /]"
	done
	"$conf" --dump "$_d" 2>&1 | grep -v "$@"
}
tree_dump "$src" >"$oa"
tree_dump "$ref" >"$ob"
if cmp -s "$oa" "$ob"; then
	verdict whole_tree PASS
else
	verdict whole_tree FAIL "$(first_diff "$oa" "$ob")"
fi

if [ "$mode" != plain ]; then
	fm_stop
	st=$?
	if [ $st -eq 0 ]; then
		verdict daemon_exit PASS
	else
		verdict daemon_exit FAIL "passthrough_bpf exit status $st; log: $(tail -n 3 "$work/daemon.log" | tr '\n' ' ')"
	fi
	# Everything below the backed root is looked up without the daemon.
	if [ ! -s "$work/stats.json" ]; then
		verdict daemon_lookup FAIL "no --stats output"
	else
		n=$(fm_stat_count "$work/stats.json" LOOKUP daemon)
		if [ "$n" -eq 0 ]; then
			verdict daemon_lookup PASS
		else
			verdict daemon_lookup FAIL "$n LOOKUP requests reached the daemon"
		fi
		line=
		for op in $(fm_stat_opcodes "$work/stats.json"); do
			n=$(fm_stat_count "$work/stats.json" "$op" daemon)
			[ "$n" -gt 0 ] && line="$line $op=$n"
		done
		echo "requests that reached the daemon:${line:- none}"
	fi
fi

[ $gaps -gt 0 ] && echo "($gaps of the failures are known gaps)"
echo "$passed passed, $failed failed, $skipped skipped"
[ $((failed - gaps)) -eq 0 ]
