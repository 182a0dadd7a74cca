# SPDX-License-Identifier: GPL-2.0-only
#
# Guest test: fuse-bpf.ko beside the stock FUSE changes nothing for the
# stock FUSE's users.  At the same time: a stock FUSE mount
# (passthrough_bpf --mode=userspace on /dev/fuse, type fuse), a CUSE
# device (cuse_hello on Debian's cuse.ko creates /dev/cuse-hello and
# answers a read) and a fuse-bpf mount (passthrough_bpf --mode=fuse-bpf on
# /dev/fuse-bpf, type fusebpf) all work; virtiofs registers (Debian's
# virtiofs.ko on 6.1, built in on 6.12).  An overlayfs on an overlayfs on
# the stock FUSE mount mounts (stock FUSE mounts keep stacking depth 0:
# the two overlays make depth 2, the limit), while the fuse-bpf mount
# (depth 1) takes one overlay and refuses the second.  run-guest.sh -m
# overlay -m cuse -m virtiofs packs the modules.
. /tests/lib.sh

w=/tmp/coexist
src=$w/src
rm -rf "$w"
mkdir -p "$src/d" "$w/stock" "$w/fbpf"
echo "lower text" >"$src/d/f"

# fstype MOUNTPOINT: the file system type /proc/mounts gives.
fstype() {
	awk -v m="$1" '$2 == m { print $3 }' /proc/mounts | tail -n 1
}

check virtiofs-registered grep -qw virtiofs /proc/filesystems
check overlay-registered grep -qw overlay /proc/filesystems

# -- the stock FUSE mount ------------------------------------------------
stock_pid=
if start_pt userspace "$src" "$w/stock" "$w/stock.stats" "$w/stock.log"; then
	stock_pid=$PT_PID
	t=$(fstype "$w/stock")
	case $t in
	fuse | fuse.*)
		pass stock-mount "mode $(pt_mode "$w/stock.log"), type $t"
		;;
	*)
		fail stock-mount "type '$t', expected fuse or fuse.*"
		;;
	esac
else
	fail stock-mount "passthrough_bpf --mode=userspace did not start: $(cat "$w/stock.log")"
fi

# -- the CUSE device -----------------------------------------------------
cuse_pid=
if [ ! -x /bin/cuse_hello ]; then
	fail cuse-device "cuse_hello was not built"
elif [ ! -c /dev/cuse ]; then
	fail cuse-device "no /dev/cuse (cuse.ko not loaded)"
else
	cuse_hello cuse-hello >"$w/cuse.log" 2>&1 &
	cuse_pid=$!
	i=0
	while [ $i -lt 100 ] && [ ! -c /dev/cuse-hello ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ -c /dev/cuse-hello ]; then
		pass cuse-device "/dev/cuse-hello appeared"
	else
		fail cuse-device "/dev/cuse-hello did not appear: $(cat "$w/cuse.log")"
	fi
fi

# -- the fuse-bpf mount --------------------------------------------------
fbpf_pid=
if start_pt fuse-bpf "$src" "$w/fbpf" "$w/fbpf.stats" "$w/fbpf.log"; then
	fbpf_pid=$PT_PID
	t=$(fstype "$w/fbpf")
	mode=$(pt_mode "$w/fbpf.log")
	case $t in
	fusebpf | fusebpf.*)
		if [ "$mode" = fuse-bpf ]; then
			pass fuse-bpf-mount "mode $mode, type $t"
		else
			fail fuse-bpf-mount "mode '$mode', type $t"
		fi
		;;
	*)
		fail fuse-bpf-mount "type '$t', expected fusebpf or fusebpf.*"
		;;
	esac
else
	fail fuse-bpf-mount "passthrough_bpf --mode=fuse-bpf did not start: $(cat "$w/fbpf.log")"
fi

# -- all three at once ---------------------------------------------------
if [ -n "$stock_pid" ] && cmp -s "$w/stock/d/f" "$src/d/f"; then
	pass stock-read "the stock FUSE mount reads the lower file"
else
	fail stock-read "read through the stock FUSE mount failed"
fi
if [ -n "$fbpf_pid" ] && cmp -s "$w/fbpf/d/f" "$src/d/f"; then
	pass fuse-bpf-read "the fuse-bpf mount reads the lower file"
else
	fail fuse-bpf-read "read through the fuse-bpf mount failed"
fi
# CUSE reads always start at offset 0: the first line is the answer.
got=$(head -n 1 /dev/cuse-hello 2>&1)
if [ "$got" = "hello from cuse" ]; then
	pass cuse-read "/dev/cuse-hello answers '$got'"
else
	fail cuse-read "/dev/cuse-hello answers '$got'"
fi
if echo written >/dev/cuse-hello; then
	pass cuse-write "/dev/cuse-hello takes a write"
else
	fail cuse-write "write to /dev/cuse-hello failed"
fi
if [ -n "$stock_pid" ] && [ -n "$fbpf_pid" ] && [ -n "$cuse_pid" ] &&
	kill -0 "$stock_pid" "$fbpf_pid" "$cuse_pid" 2>/dev/null; then
	pass all-at-once "stock FUSE mount, CUSE device and fuse-bpf mount served together"
else
	fail all-at-once "one of the three is not running"
fi

# -- stacking: overlays on the stock FUSE and on the fuse-bpf mount -------
# overlay NAME LOWER: an overlay of LOWER (upper and work on the tmpfs) on
# $w/NAME; its mount(2) status.
overlay() {
	mkdir -p "$w/$1" "$w/$1.upper" "$w/$1.work"
	mount -t overlay "$1" -o "lowerdir=$2,upperdir=$w/$1.upper,workdir=$w/$1.work" \
		"$w/$1" 2>"$w/$1.err"
}
if [ -n "$stock_pid" ]; then
	if overlay ov1 "$w/stock" && overlay ov2 "$w/ov1" &&
		cmp -s "$w/ov2/d/f" "$src/d/f"; then
		pass stock-overlay-on-overlay "an overlay on an overlay on the stock FUSE mounts and reads (stock FUSE stacking depth 0)"
	else
		fail stock-overlay-on-overlay "$(cat "$w/ov1.err" "$w/ov2.err" 2>/dev/null | tr '\n' ' ')"
	fi
	umount "$w/ov2" 2>/dev/null
	umount "$w/ov1" 2>/dev/null
fi
if [ -n "$fbpf_pid" ]; then
	if ! overlay fov1 "$w/fbpf"; then
		fail fuse-bpf-overlay "an overlay on the fuse-bpf mount: $(cat "$w/fov1.err")"
	elif overlay fov2 "$w/fov1"; then
		fail fuse-bpf-overlay "a second overlay on the fuse-bpf mount mounted: its depth is not 1"
		umount "$w/fov2"
	else
		pass fuse-bpf-overlay "one overlay on the fuse-bpf mount (depth 1), a second refused: $(tr '\n' ' ' <"$w/fov2.err")"
	fi
	umount "$w/fov1" 2>/dev/null
fi

# -- tear down -----------------------------------------------------------
if [ -n "$fbpf_pid" ]; then
	PT_PID=$fbpf_pid
	stop_pt "$w/fbpf" || fail fuse-bpf-unmount "umount or daemon exit failed"
fi
if [ -n "$stock_pid" ]; then
	PT_PID=$stock_pid
	stop_pt "$w/stock" || fail stock-unmount "umount or daemon exit failed"
fi
if [ -n "$cuse_pid" ]; then
	kill "$cuse_pid"
	if wait_gone "$cuse_pid" 10; then
		pass cuse-stop "cuse_hello stopped"
	else
		kill -9 "$cuse_pid"
		fail cuse-stop "cuse_hello did not stop on SIGTERM"
	fi
fi
for m in ov2 ov1 fov2 fov1 fbpf stock; do
	cleanup_mount "$w/$m"
done
rm -rf "$w"
guest_script_end
