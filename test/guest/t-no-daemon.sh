# SPDX-License-Identifier: GPL-2.0-only
#
# Guest test: a no_daemon mount made by fuse_bpf_mount_no_daemon() (the
# test program no_daemon_mount): reading and listing work with no daemon
# at all, and the mount goes away cleanly.
. /tests/lib.sh

w=/tmp/nodaemon
src=$w/src
mnt=$w/mnt
rm -rf "$w"
mkdir -p "$src/a/b" "$src/c" "$mnt"
i=0
while [ $i -lt 30 ]; do
	echo "entry $i" >"$src/a/n$i"
	i=$((i + 1))
done
echo "nested" >"$src/a/b/leaf"
dd if=/dev/urandom of="$src/c/blob" bs=64k count=16 2>/dev/null

if [ ! -x /bin/no_daemon_mount ]; then
	fail no-daemon-mount "no_daemon_mount was not built"
elif ! no_daemon_mount "$src" "$mnt"; then
	fail no-daemon-mount "fuse_bpf_mount_no_daemon failed"
else
	opts=$(grep " $mnt " /proc/mounts)
	pass no-daemon-mount "$opts"
	case $opts in
	*fuse*) pass no-daemon-fstype ;;
	*) fail no-daemon-fstype "not a fuse mount" ;;
	esac
	if (cd "$mnt" && ls -lR) >/tmp/nd-ls.mnt &&
		(cd "$src" && ls -lR) >/tmp/nd-ls.src &&
		cmp -s /tmp/nd-ls.mnt /tmp/nd-ls.src; then
		pass no-daemon-listing "ls -lR matches the lower tree"
	else
		fail no-daemon-listing "listings differ"
		diff /tmp/nd-ls.mnt /tmp/nd-ls.src | head -n 20
	fi
	rm -f /tmp/nd-ls.mnt /tmp/nd-ls.src
	ok=1
	for f in a/n0 a/n17 a/n29 a/b/leaf c/blob; do
		cmp "$mnt/$f" "$src/$f" || ok=0
	done
	if [ $ok = 1 ]; then
		pass no-daemon-read "file contents match"
	else
		fail no-daemon-read "file contents differ"
	fi
	if [ "$(stat -c %s "$mnt/c/blob")" = 1048576 ]; then
		pass no-daemon-stat
	else
		fail no-daemon-stat "size $(stat -c %s "$mnt/c/blob")"
	fi
	if [ "$(find "$mnt" -type f | wc -l)" = 32 ]; then
		pass no-daemon-find "32 files below the mount"
	else
		fail no-daemon-find "$(find "$mnt" -type f | wc -l) files"
	fi
	if umount "$mnt"; then
		pass no-daemon-unmount
	else
		fail no-daemon-unmount "umount failed"
		umount -l "$mnt"
	fi
fi
rm -rf "$w"
guest_script_end
