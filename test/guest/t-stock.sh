# SPDX-License-Identifier: GPL-2.0-only
#
# Guest test with Debian's stock FUSE alone (fuse.ko on 6.1, built in on
# 6.12; no fuse-bpf.ko): no fuse-bpf feature file, the
# library selects userspace mode on 6.1 and passthrough mode on 6.12
# (and refuses a forced fuse-bpf mode clearly), the no_daemon helper fails clearly, and the conformance suite
# in userspace mode gives the same results as on the patched module (the
# "@@ CONF" lines of the conformance guest run, when the host passed them
# in as /results/t-conformance.sh, from the same kernel series).
. /tests/lib.sh

w=/tmp/stock
src=$w/src
mnt=$w/mnt
rm -rf "$w"
mkdir -p "$src/d" "$mnt"
echo "stock" >"$src/d/f"

if [ -e /sys/fs/fuse/features/fuse_bpf ] || [ -e /sys/fs/fuse-bpf ]; then
	fail stock-feature-file "/sys/fs/fuse/features/fuse_bpf or /sys/fs/fuse-bpf exists"
else
	pass stock-feature-file "no /sys/fs/fuse/features/fuse_bpf, no /sys/fs/fuse-bpf"
fi

if [ ! -x /bin/passthrough_bpf ]; then
	fail passthrough_bpf "passthrough_bpf was not built"
	guest_script_end
	exit 0
fi

# auto takes the best mode the stock FUSE offers a root daemon: upstream
# passthrough from Linux 6.9 on (6.12 here), userspace before (6.1).
kmaj=$(uname -r | cut -d. -f1)
kmin=$(uname -r | cut -d. -f2)
if [ "$kmaj" -gt 6 ] || { [ "$kmaj" -eq 6 ] && [ "$kmin" -ge 9 ]; }; then
	want=passthrough
else
	want=userspace
fi
if start_pt auto "$src" "$mnt" "$w/stats" "$w/log"; then
	got=$(pt_mode "$w/log")
	if [ "$got" = "$want" ] && cmp -s "$mnt/d/f" "$src/d/f"; then
		pass stock-auto-mode "auto selected mode $got on Linux $(uname -r)"
	else
		fail stock-auto-mode "auto selected '$got' on Linux $(uname -r), expected $want"
	fi
	stop_pt "$mnt" || fail stock-auto-unmount "umount or daemon exit failed"
else
	fail stock-auto-mode "passthrough_bpf did not start: $(cat "$w/log")"
	kill -9 "$PT_PID" 2>/dev/null
	cleanup_mount "$mnt"
fi

timeout 30 passthrough_bpf -f --mode=fuse-bpf "$src" "$mnt" >"$w/forced" 2>&1
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && ! grep -q " $mnt " /proc/mounts; then
	pass stock-forced-fuse-bpf "refused (exit $rc): $(head -n 2 "$w/forced" | tr '\n' ' ')"
else
	fail stock-forced-fuse-bpf "exit $rc: $(head -n 3 "$w/forced" | tr '\n' ' ')"
fi
cleanup_mount "$mnt"

if [ -x /bin/no_daemon_mount ]; then
	no_daemon_mount "$src" "$mnt" 2>"$w/nd"
	rc=$?
	if [ $rc -eq 3 ] && ! grep -q " $mnt " /proc/mounts; then
		pass stock-no-daemon-refused "$(cat "$w/nd")"
	else
		fail stock-no-daemon-refused "exit $rc: $(cat "$w/nd")"
	fi
	cleanup_mount "$mnt"
else
	fail stock-no-daemon-refused "no_daemon_mount was not built"
fi

if [ ! -x /opt/conformance/conformance ] || [ ! -f /tests/run_conformance.sh ]; then
	fail stock-conformance "the conformance programs were not built"
	guest_script_end
	exit 0
fi
# The suite in two halves at once, one per virtual CPU.
/opt/conformance/conformance --list >"$w/list"
conf_run half1 userspace $(awk 'NR % 2 == 1' "$w/list") &
conf_run half2 userspace $(awk 'NR % 2 == 0' "$w/list") &
wait
conf_show half1 "mode userspace, stock module, first half"
conf_show half2 "mode userspace, stock module, second half"
rc=$(($(cat /tmp/conf-half1.rc) + $(cat /tmp/conf-half2.rc)))
cat /tmp/conf-half1.res /tmp/conf-half2.res >"$w/res"
rm -f /tmp/conf-half*
grep '^[A-Z]* [^ ]* userspace' "$w/res" | while read -r v t rest; do
	case $rest in
	*"known gap"*) [ "$v" = FAIL ] && v=GAP ;;
	esac
	echo "$t $v"
done | sort -u >"$w/stock.txt"
if [ $rc -eq 0 ]; then
	pass stock-conformance "$(grep -c '^PASS' "$w/res") PASS lines, no failure"
else
	fail stock-conformance "$(grep -c '^FAIL' "$w/res") FAIL lines"
fi
if [ -f /results/t-conformance.sh ]; then
	sed -n 's/^@@ CONF //p' /results/t-conformance.sh | sort -u >"$w/patched.txt"
	if cmp -s "$w/stock.txt" "$w/patched.txt"; then
		pass stock-conformance-identical "$(wc -l <"$w/stock.txt") results identical to the patched module's userspace run"
	else
		fail stock-conformance-identical "differs from the patched module's userspace run"
		diff "$w/patched.txt" "$w/stock.txt" | head -n 20
	fi
else
	fail stock-conformance-identical "no results of the patched module's run (run guest-conformance first)"
fi
rm -rf "$w"
guest_script_end
