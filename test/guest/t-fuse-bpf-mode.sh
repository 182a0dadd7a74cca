# SPDX-License-Identifier: GPL-2.0-only
#
# Guest test: passthrough_bpf --mode=fuse-bpf over a tree.  The library
# reports mode fuse-bpf, and a workload of lookups, stats, reads, writes
# and listings below the backed root is served by the kernel: none of
# those requests reaches userspace (the daemon, or the library serving on
# its behalf), as the --stats counters show.  The same workload then runs
# in userspace mode, for the request counts beside it.
. /tests/lib.sh

# Opcodes the kernel core serves for backed nodes.
KERNEL_OPS="LOOKUP GETATTR OPEN OPENDIR READ WRITE READDIR READDIRPLUS
	RELEASE RELEASEDIR STATFS"

w=/tmp/fbmode
src=$w/src
mnt=$w/mnt

make_tree() {
	rm -rf "$src"
	mkdir -p "$src/d1/d2/d3" "$src/empty" "$mnt"
	i=0
	while [ $i -lt 20 ]; do
		echo "file $i of the tree" >"$src/d1/f$i"
		i=$((i + 1))
	done
	echo "deep" >"$src/d1/d2/d3/deep"
	dd if=/dev/urandom of="$src/d1/d2/big" bs=64k count=32 2>/dev/null
	echo "top" >"$src/top"
}

# workload MOUNTPOINT: lookups, stats, reads, writes and listings, all
# checked against the lower tree.
workload() {
	m=$1
	ls -lR "$m" >"$w/ls.mnt" || return 1
	ls -lR "$src" >"$w/ls.src" || return 1
	sed "s|$m|X|" "$w/ls.mnt" >"$w/ls.a"
	sed "s|$src|X|" "$w/ls.src" >"$w/ls.b"
	if ! cmp -s "$w/ls.a" "$w/ls.b"; then
		echo "listing differs:"
		diff "$w/ls.a" "$w/ls.b" | head -n 20
		return 1
	fi
	for f in top d1/f0 d1/f7 d1/f19 d1/d2/d3/deep d1/d2/big; do
		stat "$m/$f" >/dev/null || return 1
		cmp "$m/$f" "$src/$f" || return 1
	done
	[ "$(stat -c %s "$m/d1/d2/big")" = 2097152 ] || return 1
	find "$m" -name 'f1*' | wc -l | grep -qx 11 || return 1
	cat "$m"/d1/f* >/dev/null || return 1
	# Writes without truncation: overwrite in place, and append.
	dd if=/dev/urandom of="$m/d1/d2/big" bs=4k seek=5 count=16 \
		conv=notrunc 2>/dev/null || return 1
	cmp "$m/d1/d2/big" "$src/d1/d2/big" || return 1
	echo "appended" >>"$m/d1/f3" || return 1
	[ "$(tail -n 1 "$src/d1/f3")" = appended ] || return 1
	[ "$(tail -n 1 "$m/d1/f3")" = appended ] || return 1
	df "$m" >/dev/null || return 1
	return 0
}

# run_mode MODE: mount, run the workload, unmount; leaves the counters in
# $w/stats.MODE and prints them.
run_mode() {
	mode=$1
	make_tree
	rm -f "$w/stats.$mode"
	if ! start_pt "$mode" "$src" "$mnt" "$w/stats.$mode" "$w/log.$mode"; then
		fail "$mode-mount" "passthrough_bpf did not start: $(cat "$w/log.$mode")"
		kill -9 "$PT_PID" 2>/dev/null
		cleanup_mount "$mnt"
		return 1
	fi
	got=$(pt_mode "$w/log.$mode")
	if [ "$got" = "$mode" ]; then
		pass "$mode-mode-reported" "passthrough_bpf: mode $got"
	else
		fail "$mode-mode-reported" "passthrough_bpf reported '$got'"
	fi
	if workload "$mnt"; then
		pass "$mode-workload" "results match the lower tree"
	else
		fail "$mode-workload" "a workload step failed"
	fi
	if stop_pt "$mnt"; then
		pass "$mode-unmount"
	else
		fail "$mode-unmount" "umount or daemon exit failed"
	fi
	if [ ! -s "$w/stats.$mode" ]; then
		fail "$mode-stats" "no statistics written"
		return 1
	fi
	echo "requests that reached userspace, mode $mode:"
	json_table "$w/stats.$mode" | sed 's/^/    /'
	echo "    (statistics file: $(tr -d '\n' <"$w/stats.$mode"))"
	# The counters work in this mode: INIT always reaches userspace.
	init=$(($(json_count "$w/stats.$mode" INIT daemon) +
		$(json_count "$w/stats.$mode" INIT library)))
	if [ "$init" -ge 1 ]; then
		pass "$mode-stats-count" "INIT counted"
	else
		fail "$mode-stats-count" "INIT is not counted: the counters prove nothing"
	fi
	got=$(json_mode "$w/stats.$mode")
	if [ "$got" = "$mode" ]; then
		pass "$mode-stats-mode"
	else
		fail "$mode-stats-mode" "the statistics say mode '$got'"
	fi
	return 0
}

if [ ! -x /bin/passthrough_bpf ]; then
	fail passthrough_bpf "passthrough_bpf was not built"
	guest_script_end
	exit 0
fi

mkdir -p "$w"
if run_mode fuse-bpf; then
	bad=
	for op in $KERNEL_OPS; do
		d=$(json_count "$w/stats.fuse-bpf" "$op" daemon)
		l=$(json_count "$w/stats.fuse-bpf" "$op" library)
		if [ "$d" != 0 ] || [ "$l" != 0 ]; then
			bad="$bad $op(daemon=$d,library=$l)"
		fi
	done
	if [ -z "$bad" ]; then
		pass fuse-bpf-zero-requests "none of $(echo $KERNEL_OPS | tr ' ' ,) reached userspace"
	else
		fail fuse-bpf-zero-requests "reached userspace:$bad"
	fi
fi

if run_mode userspace; then
	bad=
	for op in $KERNEL_OPS; do
		d=$(json_count "$w/stats.userspace" "$op" daemon)
		[ "$d" != 0 ] && bad="$bad $op(daemon=$d)"
	done
	if [ -z "$bad" ]; then
		pass userspace-daemon-untouched "the library served every backed request"
	else
		fail userspace-daemon-untouched "reached the daemon:$bad"
	fi
fi

rm -rf "$w"
guest_script_end
