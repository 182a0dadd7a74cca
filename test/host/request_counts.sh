#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# request_counts.sh PASSTHROUGH_BPF CONFORMANCE WORKDIR MODE...
#
# Runs the conformance program's fixed workload (--workload) on a seeded
# tree through passthrough_bpf in each MODE and on the plain tree, checks
# that the mount gave the same results as the plain tree and that no
# LOOKUP under the backed root reached the daemon, and prints the request
# counts per opcode (daemon/library) for each mode; in modes passthrough
# and fuse-bpf no READ or WRITE may reach userspace.  A mode the kernel
# cannot give (passthrough before 6.9, fuse-bpf without the patched
# module) is reported and left out; if no mode could run, exit 77.

if [ $# -lt 4 ]; then
	echo "usage: $0 PASSTHROUGH_BPF CONFORMANCE WORKDIR MODE..." >&2
	exit 2
fi
pt=$1 conf=$2 workdir=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
RUN_CONFORMANCE_LIB=1
. "$here/run_conformance.sh"

work=
cleanup()
{
	fm_stop
	fm_rm_work "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

for p in "$pt" "$conf"; do
	if [ ! -x "$p" ]; then
		echo "FAIL: $p is not built"
		exit 1
	fi
done

work=$(mktemp -d "$workdir/request_counts.XXXXXX") || exit 1
mkdir "$work/plain" || exit 1
"$conf" --seed "$work/plain" >/dev/null || exit 1
if ! timeout 120 "$conf" --workload "$work/plain" >"$work/plain.out" 2>&1
then
	echo "FAIL: the workload fails on a plain directory"
	exit 1
fi

fail=0 ran=
for mode in "$@"; do
	case $mode in
	passthrough)
		if ! fm_kernel_has_passthrough; then
			echo "SKIP mode $mode: kernel $(uname -r) has no FUSE passthrough"
			continue
		fi ;;
	fuse-bpf)
		if ! fm_kernel_has_fuse_bpf; then
			echo "SKIP mode $mode: kernel without fuse-bpf"
			continue
		fi ;;
	esac
	src=$work/src-$mode mnt=$work/mnt-$mode
	mkdir "$src" "$mnt" || exit 1
	"$conf" --seed "$src" >/dev/null || exit 1
	if ! fm_start "$pt" "$mode" "$src" "$mnt" "$work/$mode.json" \
		"$work/$mode.log"; then
		echo "FAILED: mode $mode did not mount"
		fail=1
		continue
	fi
	timeout 120 "$conf" --workload "$mnt" >"$work/$mode.out" 2>&1
	rc=$?
	fm_stop || { echo "FAILED: mode $mode did not stop cleanly"; fail=1; }
	if [ $rc -ne 0 ] || ! cmp -s "$work/$mode.out" "$work/plain.out"; then
		echo "FAILED: mode $mode: the workload's results differ from the plain directory (exit $rc):"
		diff "$work/plain.out" "$work/$mode.out" | head -5
		fail=1
	fi
	if [ ! -s "$work/$mode.json" ]; then
		echo "FAILED: mode $mode wrote no statistics"
		fail=1
		continue
	fi
	lookups=$(fm_stat_count "$work/$mode.json" LOOKUP daemon)
	if [ "$lookups" -ne 0 ]; then
		echo "FAILED: mode $mode: $lookups LOOKUP requests reached the daemon under the backed root"
		fail=1
	fi
	if [ "$mode" = passthrough ] || [ "$mode" = fuse-bpf ]; then
		for op in READ WRITE; do
			n=$(($(fm_stat_count "$work/$mode.json" $op daemon) +
				$(fm_stat_count "$work/$mode.json" $op library)))
			if [ $n -ne 0 ]; then
				echo "FAILED: mode $mode: $n $op requests reached userspace"
				fail=1
			fi
		done
	fi
	ran="$ran $mode"
done

if [ -z "$ran" ]; then
	echo "SKIP: no mode could run"
	[ $fail -eq 0 ] && exit 77
	exit 1
fi

echo "request counts for the fixed workload (daemon/library):"
ops=$(for mode in $ran; do fm_stat_opcodes "$work/$mode.json"; done |
	sort -u)
line=$(printf '%-16s' opcode)
for mode in $ran; do
	line="$line$(printf ' %16s' "$mode")"
done
echo "$line"
for op in $ops; do
	line=$(printf '%-16s' "$op")
	for mode in $ran; do
		d=$(fm_stat_count "$work/$mode.json" "$op" daemon)
		l=$(fm_stat_count "$work/$mode.json" "$op" library)
		line="$line$(printf ' %16s' "$d/$l")"
	done
	echo "$line"
done
exit $fail
