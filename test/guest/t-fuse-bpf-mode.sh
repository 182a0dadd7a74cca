# SPDX-License-Identifier: GPL-2.0-only
#
# Guest test: passthrough_bpf --mode=fuse-bpf over a tree.  The library
# reports mode fuse-bpf, and a workload of lookups, stats, reads, writes
# and listings below the backed root is served by the kernel: none of
# those requests reaches userspace (the daemon, or the library serving on
# its behalf), as the --stats counters show.  The same workload then runs
# in userspace mode, for the request counts beside it, and in both modes
# with the multi-threaded loop (--threads), which must exit with status 0.
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

# run_mode NAME MODE [OPTIONS...]: mount with passthrough_bpf's extra
# OPTIONS, run the workload, unmount; leaves the counters in $w/stats.NAME
# and prints them.  Results are named NAME-*.
run_mode() {
	name=$1
	mode=$2
	shift 2
	make_tree
	rm -f "$w/stats.$name"
	if ! start_pt "$mode" "$src" "$mnt" "$w/stats.$name" "$w/log.$name" \
		"$@"; then
		fail "$name-mount" "passthrough_bpf did not start: $(cat "$w/log.$name")"
		kill -9 "$PT_PID" 2>/dev/null
		cleanup_mount "$mnt"
		return 1
	fi
	got=$(pt_mode "$w/log.$name")
	if [ "$got" = "$mode" ]; then
		pass "$name-mode-reported" "passthrough_bpf: mode $got"
	else
		fail "$name-mode-reported" "passthrough_bpf reported '$got'"
	fi
	if workload "$mnt"; then
		pass "$name-workload" "results match the lower tree"
	else
		fail "$name-workload" "a workload step failed"
	fi
	if stop_pt "$mnt"; then
		pass "$name-unmount"
	else
		fail "$name-unmount" "umount or daemon exit failed"
	fi
	if [ "$PT_STATUS" = 0 ]; then
		pass "$name-daemon-exit"
	else
		fail "$name-daemon-exit" "passthrough_bpf exited with status $PT_STATUS: $(tail -n 3 "$w/log.$name" | tr '\n' ' ')"
	fi
	if [ ! -s "$w/stats.$name" ]; then
		fail "$name-stats" "no statistics written"
		return 1
	fi
	echo "requests that reached userspace, $name (mode $mode $*):"
	json_table "$w/stats.$name" | sed 's/^/    /'
	echo "    (statistics file: $(tr -d '\n' <"$w/stats.$name"))"
	# The counters work in this mode: INIT always reaches userspace.
	init=$(($(json_count "$w/stats.$name" INIT daemon) +
		$(json_count "$w/stats.$name" INIT library)))
	if [ "$init" -ge 1 ]; then
		pass "$name-stats-count" "INIT counted"
	else
		fail "$name-stats-count" "INIT is not counted: the counters prove nothing"
	fi
	got=$(json_mode "$w/stats.$name")
	if [ "$got" = "$mode" ]; then
		pass "$name-stats-mode"
	else
		fail "$name-stats-mode" "the statistics say mode '$got'"
	fi
	return 0
}

if [ ! -x /bin/passthrough_bpf ]; then
	fail passthrough_bpf "passthrough_bpf was not built"
	guest_script_end
	exit 0
fi

mkdir -p "$w"
if run_mode fuse-bpf fuse-bpf; then
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

if run_mode userspace userspace; then
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

# The multi-threaded loop, in both modes: its worker threads are
# cancelled at exit, which needs libgcc_s in the guest.
run_mode fuse-bpf-threads fuse-bpf --threads
run_mode userspace-threads userspace --threads

rm -rf "$w"
guest_script_end
