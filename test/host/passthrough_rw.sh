#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# passthrough_rw.sh PASSTHROUGH_BPF MODE WORKDIR
#
# Writes 64 MiB through a passthrough_bpf mount in MODE and reads it back,
# once on the same mount and once on a fresh mount (so no page cache can
# answer), checks the data on the mount and on the lower file, and checks
# the READ and WRITE counters of the two --stats files: zero in mode
# passthrough (file data never reaches userspace), non-zero in mode
# userspace (so the check can fail).

if [ $# -ne 3 ]; then
	echo "usage: $0 PASSTHROUGH_BPF MODE WORKDIR" >&2
	exit 2
fi
pt=$1 mode=$2 workdir=$3
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

case $mode in
passthrough)
	if ! fm_kernel_has_passthrough; then
		echo "SKIP: kernel $(uname -r) has no FUSE passthrough (needs 6.9)"
		exit 77
	fi ;;
userspace) ;;
*)
	echo "mode must be passthrough or userspace" >&2
	exit 2 ;;
esac
if [ ! -x "$pt" ]; then
	echo "FAIL: $pt is not built"
	exit 1
fi

work=$(mktemp -d "$workdir/passthrough_rw.XXXXXX") || exit 1
src=$work/src mnt=$work/mnt
mkdir "$src" "$mnt" || exit 1
dd if=/dev/urandom of="$work/data" bs=1M count=64 2>/dev/null || exit 1

fail=0
step()
{
	if "$@"; then
		echo "ok: $*"
	else
		echo "FAILED: $*"
		fail=1
	fi
}

fm_start "$pt" "$mode" "$src" "$mnt" "$work/stats1.json" "$work/log1" ||
	exit 1
step timeout 120 dd if="$work/data" of="$mnt/big" bs=1M
step timeout 120 cmp "$mnt/big" "$work/data"
fm_stop || { echo "FAILED: first mount did not stop cleanly"; fail=1; }

fm_start "$pt" "$mode" "$src" "$mnt" "$work/stats2.json" "$work/log2" ||
	exit 1
step timeout 120 cmp "$mnt/big" "$work/data"
step timeout 120 dd if="$mnt/big" of=/dev/null bs=64k
fm_stop || { echo "FAILED: second mount did not stop cleanly"; fail=1; }
step cmp "$src/big" "$work/data"

for f in "$work/stats1.json" "$work/stats2.json"; do
	if [ ! -s "$f" ]; then
		echo "FAILED: no statistics in $f"
		exit 1
	fi
	if ! grep -q "\"mode\": *\"$mode\"" "$f"; then
		echo "FAILED: $f does not report mode $mode:"
		cat "$f"
		fail=1
	fi
done

total()
{
	_n=0
	for _f in "$work/stats1.json" "$work/stats2.json"; do
		for _w in daemon library; do
			_n=$((_n + $(fm_stat_count "$_f" "$1" "$_w")))
		done
	done
	echo $_n
}
reads=$(total READ)
writes=$(total WRITE)
echo "mode $mode, 64 MiB written and read twice: READ requests $reads, WRITE requests $writes"
if [ "$mode" = passthrough ]; then
	[ "$reads" -eq 0 ] || { echo "FAILED: READ reached userspace"; fail=1; }
	[ "$writes" -eq 0 ] || { echo "FAILED: WRITE reached userspace"; fail=1; }
else
	[ "$reads" -gt 0 ] || { echo "FAILED: no READ counted"; fail=1; }
	[ "$writes" -gt 0 ] || { echo "FAILED: no WRITE counted"; fail=1; }
fi
exit $fail
