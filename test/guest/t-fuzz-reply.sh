# SPDX-License-Identifier: GPL-2.0-only
#
# Guest test: the reply fuzzer (fuzz_reply.c).  A raw daemon answers the
# real requests of a client with generated replies, valid most of the
# time and otherwise mutated (size, header, unique id, error, content,
# fuse-bpf blocks with fds of every kind), through write() and
# FUSE_DEV_IOC_BPF_RESPONSE.  Every bad reply must get the errno the
# kernel contract gives, the mount must keep serving a valid request, and
# (checked by init.sh and run-guest.sh) the kernel log must stay clean.
# FUZZ_REPLIES (default 100000) and FUZZ_SEED (default fixed) come from
# run-guest.sh's environment through /etc/guest.conf; the log ends with
# "fuzz: N replies, seed S".  Needs overlayfs: run-guest.sh -m overlay.
. /tests/lib.sh

w=/tmp/fuzz
replies=${FUZZ_REPLIES:-100000}
seed=${FUZZ_SEED:-20261124}
mkdir -p "$w"
out=$w.log
if [ ! -x /bin/fuzz_reply ]; then
	fail fuzz-reply "the fuzz_reply program was not built"
	echo "fuzz: 0 replies, seed $seed"
	guest_script_end
	exit 0
fi
if ! grep -qw overlay /proc/filesystems; then
	fail fuzz-reply-overlay "overlayfs is not there (run-guest.sh -m overlay)"
fi
# Leave the guest script 20 s to report and clean up; fuzz_reply stops
# itself 10 s before that.
limit=$((${GUEST_SCRIPT_TIMEOUT:-300} - 20))
# A hang is a finding: note where the processes wait before they die
# (into a file: the pipe of this script must not stay open behind it).
(
	sleep $((limit - 15))
	for p in $(pidof fuzz_reply); do
		echo "fuzz: stuck: pid $p in $(cat /proc/$p/wchan 2>/dev/null)"
		sed 's/^/fuzz:   /' "/proc/$p/stack" 2>/dev/null
	done
	echo w >/proc/sysrq-trigger
) >"$w.stuck" 2>&1 &
watch=$!
timeout -s KILL "$limit" fuzz_reply -n "$replies" -s "$seed" \
	-t $((limit - 10)) "$w" 2>&1 | tee "$out"
kill "$watch" 2>/dev/null
cat "$w.stuck" 2>/dev/null
if ! grep -q '^fuzz-result ' "$out"; then
	fail fuzz-reply "fuzz_reply did not finish within ${limit}s or crashed (last line: $(tail -n 1 "$out"))"
fi
while read -r _ name verdict reason; do
	[ -n "$name" ] || continue
	case $verdict in
	PASS)
		pass "$name" "$reason"
		;;
	*)
		fail "$name" "$reason"
		;;
	esac
done <<EOF
$(grep '^fuzz-result ' "$out")
EOF
for m in "$w/mnt" "$w/h1" "$w/h2" "$w/ovl/m"; do
	if grep -q " $m " /proc/mounts; then
		umount -l "$m"
		fail fuzz-reply-unmount "$m was left mounted"
	fi
done
line=$(grep '^fuzz: [0-9]* replies, seed ' "$out" | tail -n 1)
rm -rf "$w" "$out" "$w.stuck"
guest_script_end
echo "${line:-fuzz: 0 replies, seed $seed}"
