# SPDX-License-Identifier: GPL-2.0-only
#
# Guest test: the operation fuzzer stress.c on a passthrough_bpf
# --mode=fuse-bpf mount over a tmpfs holding a tree of some 5000 entries.
# For STRESS_SECONDS (default 40), all at once:
# - 4 workers, each in its own subtree, run seeded random operations
#   (namespace, xattrs, fallocate modes, open files with read, write,
#   mmap, copy_file_range, splice, locks, O_TMPFILE, readdir with seek);
#   replayed afterwards with the same seed and operation counts on a
#   native copy of the starting tree: outcome checksums and trees equal;
# - processes truncating, writing and reading one file (read, mmap,
#   splice, copy_file_range), taking POSIX, OFD and flock locks (whole
#   files and byte ranges) through the mount and on the lower file, listing a directory with seeks while
#   names in it change: checked by invariants (stress.c says which);
# - a process changing the lower tree directly while two others read and
#   change it through the mount: no error but a moved name's, no byte that
#   was never in the lower file; afterwards the mount shows exactly the
#   lower tree.
# Only INIT (and DESTROY) may reach userspace.  init.sh checks dmesg.
# STRESS_SEED and STRESS_SECONDS, when /etc/guest.conf or the environment
# sets them, replace the fixed seed and the duration.
. /tests/lib.sh

# first_diffs A B: the first lines that differ (busybox diff is unified).
first_diffs() {
	diff "$1" "$2" | grep -E '^[-+<>] ?[.p]' | head -n 4 | tr '\n' ' '
}

if [ -f /etc/guest.conf ]; then
	. /etc/guest.conf
fi
w=/tmp/stress
seed=${STRESS_SEED:-20261124}
secs=${STRESS_SECONDS:-40}
nproc=4
if [ ! -x /bin/stress ] || [ ! -x /bin/passthrough_bpf ]; then
	fail stress "stress or passthrough_bpf was not built"
	guest_script_end
	exit 0
fi
echo "stress: seed $seed, $secs s, $nproc workers (STRESS_SEED, STRESS_SECONDS)"
t0=$(date +%s)
mkdir -p "$w/mnt" "$w/src" "$w/ref"
if ! stress mktree "$w/src" "$seed" "$nproc" lower >"$w/tree" ||
	! stress mktree "$w/ref" "$seed" "$nproc" >/dev/null; then
	fail stress-tree "stress mktree failed"
	guest_script_end
	exit 0
fi
echo "stress: starting tree of $(cat "$w/tree") in $(($(date +%s) - t0)) s"
if ! start_pt fuse-bpf "$w/src" "$w/mnt" "$w/stats" "$w/log"; then
	fail stress-mount "passthrough_bpf did not start: $(cat "$w/log")"
	kill -9 "$PT_PID" 2>/dev/null
	cleanup_mount "$w/mnt"
	guest_script_end
	exit 0
fi
t1=$(date +%s)
stress run "$w/mnt" "$w/src" "$nproc" "$seed" "$secs" >"$w/run.raw"
st=$?
t2=$(date +%s)
grep '^p[0-9]' "$w/run.raw" | sort >"$w/run"
echo "stress on the fuse-bpf mount, $((t2 - t1)) s (worker ops checksum):"
sed 's/^/    /' "$w/run"
grep '^inv ' "$w/run.raw" | sed 's/^inv /    /'
if grep -q '^FAIL ' "$w/run.raw" || [ "$st" -ne 0 ]; then
	fail stress-invariants "exit $st: $(grep '^FAIL ' "$w/run.raw" | head -n 6 | tr '\n' ' ')"
else
	pass stress-invariants "$(sed -n 's/^inv total=\([0-9]*\).*/\1/p' "$w/run.raw") operations of the nondeterministic processes"
fi

# The mount, once nothing changes the lower tree any more, shows it.
stress dump "$w/mnt" | sort >"$w/dump.mnt"
stress dump "$w/src" | sort >"$w/dump.src"
if [ "$(wc -l <"$w/dump.src")" -lt 1000 ]; then
	fail stress-mount-is-lower "the lower tree has $(wc -l <"$w/dump.src") entries"
elif cmp -s "$w/dump.mnt" "$w/dump.src"; then
	pass stress-mount-is-lower "$(wc -l <"$w/dump.src") entries as in the lower tree"
else
	fail stress-mount-is-lower "mount (-) and lower (+) differ: $(first_diffs "$w/dump.mnt" "$w/dump.src")"
fi
stop_pt "$w/mnt" || fail stress-unmount "umount or daemon exit failed"

# The workers again, on the native copy of the starting tree.
ops=$(awk '{ print $2 }' "$w/run" | tr '\n' , | sed 's/,$//')
total=$(awk '{ t += $2 } END { print t + 0 }' "$w/run")
stress replay "$w/ref" "$seed" "$ops" >"$w/replay.raw"
grep '^p[0-9]' "$w/replay.raw" | sort >"$w/replay"
if grep -q '^FAIL ' "$w/replay.raw"; then
	# The same check failed on tmpfs itself: not the mount's doing.
	echo "stress: the replay on tmpfs broke a check as well:"
	grep '^FAIL ' "$w/replay.raw" | head -n 6 | sed 's/^/    /'
fi
if [ "$st" -gt 1 ] || [ "$(wc -l <"$w/run")" -ne "$nproc" ] ||
	[ "$total" -lt 1000 ]; then
	fail stress-outcomes "exit $st, $(wc -l <"$w/run") workers reported, $total operations"
elif cmp -s "$w/run" "$w/replay"; then
	pass stress-outcomes "$total operations, every outcome as on tmpfs"
else
	fail stress-outcomes "outcomes differ from the replay (STRESS_TRACE=1 prints each): mount (-), tmpfs (+): $(first_diffs "$w/run" "$w/replay")"
fi
stress dump "$w/ref" | sort >"$w/dump.ref"
grep '^\./p[0-9]' "$w/dump.mnt" >"$w/dump.mnt-p"
entries=$(wc -l <"$w/dump.ref")
if [ "$entries" -lt 1000 ]; then
	fail stress-tree "the replay left $entries entries"
elif cmp -s "$w/dump.mnt-p" "$w/dump.ref"; then
	pass stress-tree "the workers' $entries entries equal to the replay's"
else
	fail stress-tree "mount (-) and replay (+) differ: $(first_diffs "$w/dump.mnt-p" "$w/dump.ref")"
fi
echo "stress: $(($(date +%s) - t0)) s in all"
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
