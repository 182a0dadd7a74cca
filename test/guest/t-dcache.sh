# SPDX-License-Identifier: GPL-2.0-only
#
# Guest test: the dcache below a backed directory (passthrough_bpf
# --mode=fuse-bpf over a tmpfs).  Backed dentries stay cached once unused,
# so a second walk resolves every name without a lookup and in RCU mode;
# yet a cached dentry follows the lower tree when it changes underneath
# (rename, unlink, replacement), and a file system mounted in the lower
# tree can still be unmounted after a walk through it.  With the kernel's
# function tracer (Debian's kernels) the calls of fuse_bpf_lookup and
# fuse_bpf_revalidate are counted too.  init.sh checks dmesg.
. /tests/lib.sh

w=/tmp/dcache
n=2000
mkdir -p "$w/src/d" "$w/mnt"
i=0
while [ $i -lt $n ]; do
	: >"$w/src/d/f$i"
	i=$((i + 1))
done
echo lower-a >"$w/src/a"
echo lower-c >"$w/src/c"
echo lower-x >"$w/src/x"
mkdir -p "$w/src/sub"

if ! start_pt fuse-bpf "$w/src" "$w/mnt" "$w/stats" "$w/log"; then
	fail dcache-mount "passthrough_bpf did not start: $(cat "$w/log")"
	kill -9 "$PT_PID" 2>/dev/null
	cleanup_mount "$w/mnt"
	guest_script_end
	exit 0
fi

# stat_all: lstat every d/fI through the mount (ls -l: one path walk per
# name); prints how many were missing.
stat_all() {
	got=$(ls -l "$w/mnt/d" 2>/dev/null | grep -c '^-')
	echo $((n - got))
}

dentries() {
	cut -f1 /proc/sys/fs/dentry-state
}

# The function tracer, where the kernel has one: count calls of the
# functions named in $1 (space separated) while running $2.
tr=/sys/kernel/tracing
[ -d "$tr/options" ] || mount -t tracefs tracefs "$tr" 2>/dev/null
can_trace=no
if [ -w "$tr/set_ftrace_filter" ] &&
	echo fuse_bpf_lookup fuse_bpf_revalidate >"$tr/set_ftrace_filter" 2>/dev/null &&
	echo 0 >"$tr/tracing_on" && echo function >"$tr/current_tracer"; then
	can_trace=yes
	echo 16384 >"$tr/buffer_size_kb"
fi
# trace_run CMD...: trace while CMD runs (a change of current_tracer would
# clear the buffer, so tracing_on is what is switched).
trace_run() {
	echo >"$tr/trace"
	echo 1 >"$tr/tracing_on"
	"$@" >/dev/null
	echo 0 >"$tr/tracing_on"
}
trace_count() {
	grep -c " $1 <-" "$tr/trace"
}

start=$(dentries)
bad=$(stat_all)
before=$(dentries)
if [ "$bad" -ne 0 ]; then
	fail dcache-first-walk "$bad of $n stats failed"
fi
if [ $can_trace = yes ]; then
	trace_run stat_all
	lookups=$(trace_count fuse_bpf_lookup)
	revals=$(trace_count fuse_bpf_revalidate)
	# ls -l lstats each d/fI by its whole path: d and fI are revalidated
	# once each per name in RCU mode; a fall back to ref-walk walks the
	# path again (three or more).
	if [ "$revals" -lt "$n" ]; then
		fail dcache-trace "$revals revalidations traced for $n cached names: the tracer missed them"
	elif [ "$lookups" -ne 0 ]; then
		fail dcache-no-lookup "the second walk of $n names made $lookups lookups"
	else
		pass dcache-no-lookup "the second walk of $n names made no lookup"
	fi
	if [ "$revals" -ge "$n" ] && [ "$revals" -le $((2 * n + 16)) ]; then
		pass dcache-rcu-walk "$revals revalidations for $n lstats of d/fI: RCU walk"
	else
		fail dcache-rcu-walk "$revals revalidations for $n lstats of d/fI (at most $((2 * n + 16)) without ref-walk fallbacks)"
	fi
	echo nop >"$tr/current_tracer"
else
	skip dcache-trace "no function tracer in this kernel"
	stat_all >/dev/null
fi
after=$(dentries)
if [ "$((before - start))" -ge $((n * 9 / 10)) ] &&
	[ "$((after - before))" -le 16 ]; then
	pass dcache-kept "dentries: $start, $before after the first walk of $n names, $after after the second"
else
	fail dcache-kept "dentries: $start, $before after the first walk of $n names, $after after the second: the dcache did not keep them"
fi

# The lower tree changes underneath cached dentries.
cat "$w/mnt/a" "$w/mnt/c" "$w/mnt/x" >/dev/null
mv "$w/src/a" "$w/src/b"
if [ -e "$w/mnt/a" ]; then
	fail dcache-lower-rename "a still shows after the lower a was renamed to b"
elif [ "$(cat "$w/mnt/b" 2>&1)" != lower-a ]; then
	fail dcache-lower-rename "b reads '$(cat "$w/mnt/b" 2>&1)', expected lower-a"
else
	pass dcache-lower-rename "a gone and b shows the renamed file"
fi
mv "$w/src/c" "$w/src/b"
if [ "$(cat "$w/mnt/b" 2>&1)" != lower-c ]; then
	fail dcache-lower-replace "b reads '$(cat "$w/mnt/b" 2>&1)' after c replaced it in the lower, expected lower-c"
elif [ -e "$w/mnt/c" ]; then
	fail dcache-lower-replace "c still shows after it was renamed over b"
else
	pass dcache-lower-replace "b shows what replaced it"
fi
rm "$w/src/x"
if [ -e "$w/mnt/x" ]; then
	fail dcache-lower-unlink "x still shows after the lower x was removed"
else
	pass dcache-lower-unlink
fi
echo again >"$w/src/x"
if [ "$(cat "$w/mnt/x" 2>&1)" != again ]; then
	fail dcache-lower-recreate "x reads '$(cat "$w/mnt/x" 2>&1)' after it was created again"
else
	pass dcache-lower-recreate
fi

# A tmpfs mounted in the lower tree is walked through, then unmounted.
if mount -t tmpfs sub "$w/src/sub"; then
	mkdir -p "$w/src/sub/deep/er"
	echo sub >"$w/src/sub/deep/er/f"
	got=$(cat "$w/mnt/sub/deep/er/f" 2>&1)
	ls -lR "$w/mnt/sub" >/dev/null 2>&1
	if [ "$got" != sub ]; then
		fail dcache-submount-read "sub/deep/er/f reads '$got'"
	fi
	if umount "$w/src/sub" 2>"$w/umount.err"; then
		pass dcache-submount-umount "the lower submount unmounts after a walk through it"
	else
		fail dcache-submount-umount "$(cat "$w/umount.err")"
		umount -l "$w/src/sub" 2>/dev/null
	fi
else
	fail dcache-submount "cannot mount a tmpfs in the lower tree"
fi

stop_pt "$w/mnt" || fail dcache-unmount "umount or daemon exit failed"
d=$(json_count "$w/stats" LOOKUP daemon)
if [ "$d" -eq 0 ]; then
	pass dcache-daemon-lookups "no LOOKUP reached the daemon"
else
	fail dcache-daemon-lookups "$d LOOKUP requests reached the daemon"
fi
cleanup_mount "$w/mnt"
guest_script_end
