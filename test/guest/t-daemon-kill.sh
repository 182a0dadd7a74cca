# SPDX-License-Identifier: GPL-2.0-only
#
# Guest test: passthrough_bpf (mode fuse-bpf) killed with SIGKILL while a
# backed file is open and being read.  No oops (init.sh checks dmesg),
# operations that need the daemon report ENOTCONN, the reader is not
# stuck, the mount unmounts, and a fresh mount over the same source works.
. /tests/lib.sh

w=/tmp/dkill
src=$w/src
mnt=$w/mnt
rm -rf "$w"
mkdir -p "$src/dir" "$mnt"
dd if=/dev/urandom of="$src/big" bs=1M count=32 2>/dev/null
echo "small" >"$src/dir/small"

if [ ! -x /bin/passthrough_bpf ]; then
	fail passthrough_bpf "passthrough_bpf was not built"
	guest_script_end
	exit 0
fi

if ! start_pt fuse-bpf "$src" "$mnt" "$w/stats" "$w/log"; then
	fail daemon-kill-mount "passthrough_bpf did not start: $(cat "$w/log")"
	kill -9 "$PT_PID" 2>/dev/null
	cleanup_mount "$mnt"
	guest_script_end
	exit 0
fi
pass daemon-kill-mount "mode $(pt_mode "$w/log")"

# The reader keeps one descriptor of the backed file open and reads it in
# 64 KiB steps, over and over, until told to stop or a read fails.
(
	exec 3<"$mnt/big" || exit 3
	echo started >"$w/reader.started"
	while [ ! -e "$w/reader.stop" ]; do
		if ! dd bs=64k count=1 of=/dev/null <&3 2>"$w/reader.err"; then
			echo "read error: $(cat "$w/reader.err")" >"$w/reader.out"
			exit 1
		fi
	done
	echo "stopped" >"$w/reader.out"
	exit 0
) &
reader=$!
i=0
while [ ! -e "$w/reader.started" ] && kill -0 "$reader" 2>/dev/null &&
	[ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ -e "$w/reader.started" ]; then
	pass daemon-kill-reader-open "a backed file is open and being read"
else
	fail daemon-kill-reader-open "the reader could not open the file"
fi
sleep 1

kill -9 "$PT_PID"
if wait_gone "$PT_PID" 10; then
	pass daemon-kill-killed "passthrough_bpf killed while the file was read"
else
	fail daemon-kill-killed "passthrough_bpf did not die"
fi
wait "$PT_PID" 2>/dev/null
sleep 1

# Operations after the daemon's death: each outcome is printed; those the
# kernel cannot serve without a daemon must fail with ENOTCONN.
enotconn=0
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
probe "stat big" stat "$mnt/big"
probe "ls dir" ls "$mnt/dir"
probe "cat dir/small" cat "$mnt/dir/small"
probe "stat new name" stat "$mnt/never-seen"
probe "mkdir" mkdir "$mnt/newdir"
probe "chmod" chmod 600 "$mnt/dir/small"
probe "mknod" mknod "$mnt/fifo" p
if [ $enotconn -gt 0 ]; then
	pass daemon-kill-errors "$enotconn operation(s) reported ENOTCONN"
else
	fail daemon-kill-errors "no operation reported ENOTCONN"
fi

touch "$w/reader.stop"
if wait_gone "$reader" 20; then
	pass daemon-kill-reader-done "reader: $(cat "$w/reader.out" 2>/dev/null)"
else
	fail daemon-kill-reader-done "the reader is stuck"
	kill -9 "$reader" 2>/dev/null
	wait_gone "$reader" 10
fi
wait "$reader" 2>/dev/null

if umount "$mnt"; then
	pass daemon-kill-unmount
else
	fail daemon-kill-unmount "umount failed"
	umount -l "$mnt"
fi
if grep -q " $mnt " /proc/mounts; then
	fail daemon-kill-mount-gone "still in /proc/mounts"
fi

# A fresh mount over the same source.
if start_pt fuse-bpf "$src" "$mnt" "$w/stats2" "$w/log2" &&
	cmp "$mnt/big" "$src/big" && cmp "$mnt/dir/small" "$src/dir/small"; then
	pass daemon-kill-remount "a fresh mount over the same source works"
else
	fail daemon-kill-remount "$(cat "$w/log2")"
fi
if ! stop_pt "$mnt"; then
	fail daemon-kill-remount-unmount "umount or daemon exit failed"
fi
rm -rf "$w"
guest_script_end
