# SPDX-License-Identifier: GPL-2.0-only
#
# Guest test: stress (stress.c) for 60 s with 4 processes, each in its own
# subdirectory, on a passthrough_bpf --mode=fuse-bpf mount over a tmpfs;
# then the same seeds and operation counts replayed on a plain tmpfs
# directory.  Each process's outcome checksum, the tree through the mount,
# and the lower tree must equal the replay's; only INIT (and DESTROY) may
# reach userspace.  init.sh checks dmesg.
. /tests/lib.sh

w=/tmp/stress
seed=20261124
if [ ! -x /bin/stress ] || [ ! -x /bin/passthrough_bpf ]; then
	fail stress "stress or passthrough_bpf was not built"
	guest_script_end
	exit 0
fi
mkdir -p "$w/src" "$w/mnt" "$w/ref"
if ! start_pt fuse-bpf "$w/src" "$w/mnt" "$w/stats" "$w/log"; then
	fail stress-mount "passthrough_bpf did not start: $(cat "$w/log")"
	kill -9 "$PT_PID" 2>/dev/null
	cleanup_mount "$w/mnt"
	guest_script_end
	exit 0
fi
stress run "$w/mnt" 4 "$seed" 60 >"$w/run.raw"
st=$?
sort "$w/run.raw" >"$w/run"
stress dump "$w/mnt" | sort >"$w/dump.mnt"
stop_pt "$w/mnt" || fail stress-unmount "umount or daemon exit failed"
echo "stress on the fuse-bpf mount (process ops checksum):"
sed 's/^/    /' "$w/run"
ops=$(awk '{ print $2 }' "$w/run" | tr '\n' , | sed 's/,$//')
total=$(awk '{ t += $2 } END { print t + 0 }' "$w/run")
stress replay "$w/ref" "$seed" "$ops" | sort >"$w/replay"
if [ "$st" -ne 0 ] || [ "$(wc -l <"$w/run")" -ne 4 ] ||
	[ "$total" -lt 1000 ]; then
	fail stress-run "exit $st, $(wc -l <"$w/run") processes reported, $total operations"
elif cmp -s "$w/run" "$w/replay"; then
	pass stress-outcomes "$total operations, every outcome as on tmpfs"
else
	fail stress-outcomes "outcomes differ from the replay: $(diff "$w/run" "$w/replay" | grep '^[<>]' | head -n 4 | tr '\n' ' ')"
fi
stress dump "$w/ref" | sort >"$w/dump.ref"
stress dump "$w/src" | sort >"$w/dump.src"
entries=$(wc -l <"$w/dump.ref")
for t in mnt src; do
	if [ "$entries" -lt 4 ]; then
		fail "stress-tree-$t" "the replay left $entries entries"
	elif cmp -s "$w/dump.$t" "$w/dump.ref"; then
		pass "stress-tree-$t" "$entries entries equal to the replay's"
	else
		fail "stress-tree-$t" "$(diff "$w/dump.$t" "$w/dump.ref" | grep '^[<>]' | head -n 4 | tr '\n' ' ')"
	fi
done
echo "stress requests that reached userspace:"
json_table "$w/stats" | sed 's/^/    /'
bad=$(json_table "$w/stats" | grep -v -e '^INIT ' -e '^DESTROY ' |
	grep -v 'daemon=0 library=0' | tr '\n' ' ')
if [ "$(json_count "$w/stats" INIT daemon)" -lt 1 ]; then
	fail stress-zero-requests "no statistics (INIT not counted)"
elif [ -n "$bad" ]; then
	fail stress-zero-requests "reached userspace: $bad"
else
	pass stress-zero-requests "only INIT reached userspace"
fi
rm -rf "$w"
guest_script_end
