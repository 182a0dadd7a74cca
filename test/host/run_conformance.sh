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
# the work directory) tune it.

if [ $# -lt 4 ]; then
	echo "usage: $0 PASSTHROUGH_BPF CONFORMANCE MODE WORKDIR [TEST...]" >&2
	exit 2
fi
pt=$1 conf=$2 mode=$3 workdir=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/mount_lib.sh"

tmo=${CONF_TIMEOUT:-300}
work=

cleanup()
{
	fm_stop
	if [ "${CONF_KEEP:-0}" = 1 ]; then
		echo "kept $work" >&2
	else
		fm_rm_work "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

case $mode in
plain) ;;
passthrough)
	if ! fm_kernel_has_passthrough; then
		echo "SKIP conformance $mode: kernel $(uname -r) has no FUSE passthrough (needs 6.9)"
		exit 77
	fi ;;
fuse-bpf)
	if [ ! -r /sys/fs/fuse/features/fuse_bpf ]; then
		echo "SKIP conformance $mode: no /sys/fs/fuse/features/fuse_bpf (kernel without fuse-bpf)"
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

if [ "$mode" = plain ]; then
	root=$src
else
	if ! fm_start "$pt" "$mode" "$src" "$mnt" "$work/stats.json" \
		"$work/daemon.log"; then
		echo "FAIL conformance $mode: passthrough_bpf --mode=$mode did not mount"
		exit 1
	fi
	root=$mnt
fi

[ $# -gt 0 ] || set -- $("$conf" --list)

passed=0 failed=0 skipped=0 gaps=0
oa=$work/out.a ob=$work/out.b

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
		if _gap=$("$conf" --gap "$_t" "$mode" 2>/dev/null); then
			gaps=$((gaps + 1))
			echo "FAIL $_t $mode: known gap ($_gap): $_why"
		else
			echo "FAIL $_t $mode: $_why"
		fi ;;
	esac
}

for t in "$@"; do
	CONFORMANCE_LOWER=$src timeout "$tmo" "$conf" "$root" "$t" \
		>"$oa" 2>&1
	ra=$?
	CONFORMANCE_LOWER=$ref timeout "$tmo" "$conf" "$ref" "$t" \
		>"$ob" 2>&1
	rb=$?
	if [ $ra -eq 77 ] && [ $rb -eq 77 ]; then
		verdict "$t" SKIP "$(tail -n 1 "$ob")"
	elif [ $rb -ne 0 ]; then
		verdict "$t" FAIL "reference run exited $rb: $(tail -n 1 "$ob")"
	elif [ $ra -ne $rb ]; then
		verdict "$t" FAIL "exit $ra (reference $rb); $(first_diff "$oa" "$ob")"
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

"$conf" --dump "$src" >"$oa" 2>&1
"$conf" --dump "$ref" >"$ob" 2>&1
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
fi

[ $gaps -gt 0 ] && echo "($gaps of the failures are known gaps)"
echo "$passed passed, $failed failed, $skipped skipped"
[ $((failed - gaps)) -eq 0 ]
