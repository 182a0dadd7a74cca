#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/run.sh: the same workloads on the native lower directory and on
# FUSE mounts of it, in one run, reported as ratios to native and as the
# requests that reached userspace per operation.
#
# Runs on the host and in the busybox guest of test/guest (POSIX sh and
# busybox tools; timing by fio and fbpf-bench).
#
# Targets (those the machine cannot offer are left out with a note):
#   native          the lower directory itself
#   fuse-bpf        passthrough_bpf --mode=fuse-bpf (the patched kernel)
#   passthrough     passthrough_bpf --mode=passthrough (Linux 6.9+, root)
#   userspace       passthrough_bpf --mode=userspace
#   passthrough_ll  libfuse's example, built from Debian's libfuse3-dev
#   bindfs          Debian's bindfs
# Workloads (fio does the four I/O ones when it is installed, fbpf-bench
# otherwise; the report says which):
#   seqread   read the SIZE MiB file once in 1 MiB reads     (MiB/s)
#   seqwrite  write a new SIZE MiB file in 1 MiB writes, fsync (MiB/s)
#   randread  COUNT 4 KiB reads at distinct random offsets   (IOPS)
#   randwrite COUNT 4 KiB writes at distinct random offsets, fsync (IOPS)
#   create    create FILES files of 1 KiB                    (files/s)
#   stat      lstat FILES files, each once                   (files/s)
#   unlink    unlink FILES files                             (files/s)
#   readdir   list PASSES directories of ENTRIES entries each (entries/s)
#   untar     extract the source tree tar (-T)               (entries/s)
#   walk      list and lstat PASSES copies of the source tree (ls -lR)
#                                                            (entries/s)
#   rmrf      rm -rf of the source tree                      (entries/s)
#
# Method.  Each lower directory (-d) is a section of its own.  A round
# runs every workload once on every target, the targets taking turns
# workload by workload, and the first target moves one place each round.
# Before each target's timed run: the workload's set-up is done on the
# lower directory (natively), then sync and echo 3 >
# /proc/sys/vm/drop_caches, then the lower is warmed the same way for
# everyone (the file is read, the tree is walked, natively), then the
# target is mounted afresh, the measuring program warmed on a scratch file,
# and a pause (-z) lets the machine settle.  So every target starts with
# the lower's page cache, dentries and inodes warm and its own caches
# empty.  Writes end with fsync inside the timed region.  Every name a
# metadata workload touches is touched once per run (stat, readdir, walk):
# a second pass would time the mount's own attribute and readdir caches,
# not the lower filesystem's.  A target's turn is repeated until its timed
# runs add up to -m seconds, so that a fast target's short run is not at
# the mercy of one scheduling hiccup.  A figure is the median of the rounds, the
# spread is half the min-max range, the ratio is the median of the
# per-round ratios to native.  A target above 1.05 of native is flagged
# SUSPECT and the run fails (exit 3; -k: no).

set -u

usage() {
	cat <<EOF
usage: run.sh [-b BUILDDIR] [-t TARGETS] [-w WORKLOADS] [-d LOWERS]
              [-s MIB] [-c COUNT] [-f FILES] [-p PASSES] [-e ENTRIES]
              [-T TAR] [-r ROUNDS] [-z SECONDS] [-m SECONDS] [-l LABEL] [-g NAME] [-P PLOTDIR] [-k]
              [-o FILE | -a FILE]
  -b BUILDDIR  meson build directory with example/passthrough_bpf,
               bench/fbpf-bench and bench/passthrough_ll (default: PATH)
  -t TARGETS   comma separated (default: every target available)
  -w WORKLOADS comma separated (default: all)
  -d LOWERS    comma separated directories to put the lower directory in,
               "tmpfs" for a tmpfs mounted for the run (default
               tmpfs,/var/tmp)
  -s MIB       size of the sequential file (default 256)
  -c COUNT     random reads and writes (default 16384)
  -f FILES     small files for create/stat/unlink (default 10000)
  -p PASSES    directories for readdir, tree copies for walk (default 5)
  -e ENTRIES   entries of the readdir directory (default 10000)
  -T TAR       source tree tar for untar/walk/rmrf (default
               BUILDDIR/bench/srctree-fs.tar, made by srctree.sh from
               BUILDDIR/kcache; without it those workloads are left out)
  -r ROUNDS    rounds (default 5)
  -z SECONDS   pause between a target's mount and its timed run (default 0.5)
  -m SECONDS   repeat a target's turn (set-up, mount, timed run) until
               its timed runs add up to SECONDS (default 1, at most 50
               times); the figure of the turn is the sum of operations
               over the sum of times
  -l LABEL     section title (default: host or guest)
  -g NAME      name of the plots and their data, NAME-LOWERTYPE.png
               (default host)
  -P PLOTDIR   write NAME-LOWERTYPE.dat there, and the .png when gnuplot
               is installed; the report links PLOTDIR's last component/...
  -k           report SUSPECT results but do not fail the run
  -o FILE      write the report to FILE (with the document header)
  -a FILE      append the report sections to FILE
EOF
	exit 2
}

builddir=
targets=
all_workloads=seqread,seqwrite,randread,randwrite,create,stat,unlink,readdir,untar,walk,rmrf
workloads=$all_workloads
lowers=tmpfs,/var/tmp
size=256
count=16384
files=10000
passes=5
entries=10000
tarball=
rounds=5
pause=0.5
mintime=1
label=
plotname=host
plotdir=
keepgoing=
out=
append=
cmdline=run.sh
for a in "$@"; do
	case $a in
	*" "*) cmdline="$cmdline '$a'" ;;
	*) cmdline="$cmdline $a" ;;
	esac
done

while getopts b:t:w:d:s:c:f:p:e:T:r:z:m:l:g:P:ko:a:h opt; do
	case $opt in
	b) builddir=$OPTARG ;;
	t) targets=$OPTARG ;;
	w) workloads=$OPTARG ;;
	d) lowers=$OPTARG ;;
	s) size=$OPTARG ;;
	c) count=$OPTARG ;;
	f) files=$OPTARG ;;
	p) passes=$OPTARG ;;
	e) entries=$OPTARG ;;
	T) tarball=$OPTARG ;;
	r) rounds=$OPTARG ;;
	z) pause=$OPTARG ;;
	m) mintime=$OPTARG ;;
	l) label=$OPTARG ;;
	g) plotname=$OPTARG ;;
	P) plotdir=$OPTARG ;;
	k) keepgoing=1 ;;
	o) out=$OPTARG ;;
	a) out=$OPTARG; append=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage

note() {
	echo "bench: $*" >&2
}

die() {
	note "$*"
	exit 1
}

# find_prog NAME SUBDIR: the program from the build directory, or PATH.
find_prog() {
	if [ -n "$builddir" ] && [ -x "$builddir/$2/$1" ]; then
		echo "$builddir/$2/$1"
	else
		command -v "$1" 2>/dev/null
	fi
}

here=$(cd "$(dirname "$0")" && pwd)
bench=$(find_prog fbpf-bench bench) || die "fbpf-bench not found (-b BUILDDIR)"
ptbpf=$(find_prog passthrough_bpf example)
ptll=$(find_prog passthrough_ll bench)
bindfs=$(command -v bindfs 2>/dev/null)
fio=$(command -v fio 2>/dev/null)
gnuplot=$(command -v gnuplot 2>/dev/null)
if [ -n "$fio" ]; then
	engine="fio $("$fio" --version 2>/dev/null) (psync)"
else
	engine=fbpf-bench
	note "fio not installed: fbpf-bench does the I/O workloads"
fi

[ "$(id -u)" = 0 ] || die "mounting needs root"
if [ "$(cat /sys/fs/fuse-bpf/features/fuse_bpf 2>/dev/null)" = supported ] ||
	[ "$(cat /sys/fs/fuse/features/fuse_bpf 2>/dev/null)" = supported ]; then
	fuse_bpf_ok=1
else
	fuse_bpf_ok=
fi
kv=$(uname -r | cut -d- -f1)
kmaj=${kv%%.*}
kmin=${kv#*.}
kmin=${kmin%%.*}
if [ "$kmaj" -gt 6 ] || { [ "$kmaj" -eq 6 ] && [ "$kmin" -ge 9 ]; }; then
	pt_ok=1
else
	pt_ok=
fi
if [ -z "$label" ]; then
	if [ -n "$fuse_bpf_ok" ]; then
		label="guest (fuse-bpf.ko)"
	else
		label=host
	fi
fi

# The source tree: made once from the kernel cache of the build.
if [ -z "$tarball" ] && [ -n "$builddir" ]; then
	tarball=$builddir/bench/srctree-fs.tar
	if [ ! -f "$tarball" ] && [ -f "$here/srctree.sh" ]; then
		sh "$here/srctree.sh" "$builddir/kcache" fs "$tarball" ||
			tarball=
	fi
fi
tar_entries=0
if [ -n "$tarball" ] && [ -f "$tarball" ]; then
	tar_entries=$(tar -tf "$tarball" | wc -l)
fi

# available TARGET: 0 when the machine offers it (else prints why not).
available() {
	case $1 in
	native) return 0 ;;
	fuse-bpf)
		[ -n "$ptbpf" ] || { note "fuse-bpf: no passthrough_bpf"; return 1; }
		[ -n "$fuse_bpf_ok" ] || { note "fuse-bpf: kernel without fuse-bpf"; return 1; }
		;;
	passthrough)
		[ -n "$ptbpf" ] || { note "passthrough: no passthrough_bpf"; return 1; }
		[ -n "$pt_ok" ] || { note "passthrough: kernel $kv has no FUSE passthrough"; return 1; }
		;;
	userspace)
		[ -n "$ptbpf" ] || { note "userspace: no passthrough_bpf"; return 1; }
		;;
	passthrough_ll)
		[ -n "$ptll" ] || { note "passthrough_ll: not built (libfuse3-dev examples missing?)"; return 1; }
		;;
	bindfs)
		[ -n "$bindfs" ] || { note "bindfs: not installed (apt-get install bindfs)"; return 1; }
		;;
	*) die "unknown target $1" ;;
	esac
	return 0
}

if [ -z "$targets" ]; then
	targets=native,fuse-bpf,passthrough,userspace,passthrough_ll,bindfs
fi
run_targets=
ntargets=0
for t in $(echo "$targets" | tr ',' ' '); do
	if available "$t"; then
		run_targets="$run_targets $t"
		ntargets=$((ntargets + 1))
	fi
done
run_workloads=
for w in $(echo "$workloads" | tr ',' ' '); do
	case ",$all_workloads," in
	*",$w,"*) ;;
	*) die "unknown workload $w" ;;
	esac
	case $w in
	untar | walk | rmrf)
		if [ "$tar_entries" -eq 0 ]; then
			note "$w: no source tree tar (-T, or BUILDDIR/kcache for srctree.sh)"
			continue
		fi
		;;
	esac
	run_workloads="$run_workloads $w"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/fbpf-bench.XXXXXX") || die "mktemp"
mnt=$work/mnt
mkdir "$mnt"
lower=
lowerbase=
lowertmpfs=
pid=

mounted() {
	awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/mounts
}

release_lower() {
	[ -n "$lowerbase" ] || return 0
	rm -rf "$lowerbase"
	if [ -n "$lowertmpfs" ] && mounted "$lowertmpfs"; then
		umount "$lowertmpfs"
		rmdir "$lowertmpfs"
	fi
	lowerbase=
	lowertmpfs=
}

cleanup() {
	if mounted "$mnt"; then
		umount "$mnt" 2>/dev/null || umount -l "$mnt"
	fi
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		sleep 1
		kill -9 "$pid" 2>/dev/null
	fi
	release_lower
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# mount_target TARGET: sets root to the directory to work in.
mount_target() {
	rm -f "$work/stats"
	case $1 in
	native)
		root=$lower
		return 0
		;;
	fuse-bpf | passthrough | userspace)
		"$ptbpf" -f --mode="$1" --stats="$work/stats" "$lower" "$mnt" \
			>"$work/log" 2>&1 &
		;;
	passthrough_ll)
		"$ptll" -f -o source="$lower" "$mnt" >"$work/log" 2>&1 &
		;;
	bindfs)
		"$bindfs" -f "$lower" "$mnt" >"$work/log" 2>&1 &
		;;
	esac
	pid=$!
	root=$mnt
	i=0
	while ! mounted "$mnt"; do
		if ! kill -0 "$pid" 2>/dev/null || [ $i -ge 200 ]; then
			cat "$work/log" >&2
			die "$1 did not mount"
		fi
		i=$((i + 1))
		sleep 0.05
	done
}

umount_target() {
	[ -n "$pid" ] || return 0
	umount "$mnt" || die "umount $mnt failed"
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		[ $i -lt 200 ] || die "daemon $pid did not exit after unmount"
		i=$((i + 1))
		sleep 0.05
	done
	wait "$pid"
	pid=
}

# requests daemon|library: sum of the counters of the last --stats file.
requests() {
	if [ ! -s "$work/stats" ]; then
		echo -
		return
	fi
	tr -d ' \t\n' <"$work/stats" | grep -o "\"$1\":[0-9]*" |
		cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }'
}

# Set-up on the lower directory, before the mount: what each target's run
# starts from.
prepare() {
	case $1 in
	seqread | randread | randwrite)
		[ -f "$lower/big" ] ||
			"$bench" write "$lower/big" "$size" 1048576 >/dev/null ||
			die "cannot create the test file"
		;;
	seqwrite)
		rm -f "$lower/wfile"
		;;
	create)
		rm -rf "$lower/meta"
		mkdir "$lower/meta"
		;;
	stat)
		[ -d "$lower/smeta" ] || {
			mkdir "$lower/smeta" &&
			"$bench" mkfiles "$lower/smeta" "$files" >/dev/null
		} || die "cannot create the small files"
		;;
	unlink)
		rm -rf "$lower/meta"
		mkdir "$lower/meta"
		"$bench" mkfiles "$lower/meta" "$files" >/dev/null ||
			die "cannot create the small files"
		;;
	readdir)
		[ -d "$lower/dir" ] || {
			mkdir "$lower/dir" &&
			"$bench" mktree "$lower/dir" "$passes" "$entries" >/dev/null
		} || die "cannot create the directory"
		;;
	untar)
		rm -rf "$lower/src"
		mkdir "$lower/src"
		;;
	walk)
		[ -d "$lower/srcw" ] || {
			i=0
			while [ $i -lt "$passes" ]; do
				mkdir -p "$lower/srcw/$i" &&
				tar -x -f "$tarball" -C "$lower/srcw/$i" ||
					die "cannot extract $tarball"
				i=$((i + 1))
			done
		}
		;;
	rmrf)
		rm -rf "$lower/src"
		mkdir "$lower/src"
		tar -x -f "$tarball" -C "$lower/src" ||
			die "cannot extract $tarball"
		;;
	esac
}

# The same cache state for every target: the lower's dirty data written,
# every cache dropped, then what the workload reads warmed natively.
can_drop=1
settle() {
	sync
	if [ -n "$can_drop" ] && ! echo 3 >/proc/sys/vm/drop_caches; then
		note "cannot drop caches: the cache state is only warmed"
		can_drop=
	fi
	case $1 in
	seqread | randread | randwrite) cat "$lower/big" >/dev/null ;;
	stat) "$bench" walk "$lower/smeta" >/dev/null ;;
	unlink) "$bench" walk "$lower/meta" >/dev/null ;;
	readdir) "$bench" walk "$lower/dir" >/dev/null ;;
	untar) cat "$tarball" >/dev/null ;;
	walk) "$bench" walk "$lower/srcw" >/dev/null ;;
	rmrf) "$bench" walk "$lower/src" >/dev/null ;;
	esac
}

# warm_tools WORKLOAD: after the drop, the measuring program's own pages
# back in memory (a daemon's start would warm libc for the FUSE targets
# only), then a pause, so that the timed run does not compete with the
# machine reloading what the drop took from it.
warm_tools() {
	mkdir -p "$work/warm"
	case $1 in
	seqread | seqwrite | randread | randwrite)
		if [ -n "$fio" ]; then
			"$fio" --name=warm --filename="$work/warm/f" --rw="$1" \
				--bs=4k --size=1m --ioengine=psync \
				--minimal >/dev/null 2>&1
			rm -f "$work/warm/f"
		fi
		;;
	untar) tar -tf "$tarball" >/dev/null ;;
	rmrf) rm -rf "$work/warm/none" ;;
	esac
	"$bench" walk "$work/warm" >/dev/null
	sleep "$pause"
}

# fio_run RW BS FILE [IOS]: one fio job, printed as OPS BYTES SECONDS
# from its terse output (KiB moved and run time in ms of the read or the
# write side; the final fsync is inside fio's run time).
fio_run() {
	set -- "$@" ""
	case $1 in
	read | randread) f_kib=6 f_ms=9 sync= ;;
	*) f_kib=47 f_ms=50 sync=--end_fsync=1 ;;
	esac
	"$fio" --name=bench --filename="$3" --rw="$1" --bs="$2" \
		--size="${size}m" ${4:+--number_ios="$4"} --ioengine=psync \
		--invalidate=0 --fallocate=none --randrepeat=1 $sync \
		--minimal >"$work/fio" 2>"$work/fio.err" || {
		cat "$work/fio.err" >&2
		return 1
	}
	awk -F';' -v k="$f_kib" -v m="$f_ms" -v bs="$2" '
	function bytes(s) {
		return s ~ /k$/ ? s * 1024 : s ~ /m$/ ? s * 1048576 : s + 0
	}
	NF > 50 {
		b = $k * 1024
		if ($m <= 0)
			exit 1
		printf "%d %d %.6f\n", b / bytes(bs), b, $m / 1000
		ok = 1
	}
	END { exit !ok }' "$work/fio"
}

measure() {
	case $1 in
	seqread)
		if [ -n "$fio" ]; then
			fio_run read 1m "$root/big"
		else
			"$bench" read "$root/big" 1048576
		fi
		;;
	seqwrite)
		if [ -n "$fio" ]; then
			fio_run write 1m "$root/wfile"
		else
			"$bench" write "$root/wfile" "$size" 1048576
		fi
		;;
	randread | randwrite)
		if [ -n "$fio" ]; then
			fio_run "$1" 4k "$root/big" "$count"
		else
			"$bench" "$1" "$root/big" "$count" 4096
		fi
		;;
	create) "$bench" mkfiles "$root/meta" "$files" ;;
	stat) "$bench" stat "$root/smeta" "$files" ;;
	unlink) "$bench" unlink "$root/meta" "$files" ;;
	readdir) "$bench" readdir_tree "$root/dir" ;;
	untar) "$bench" exec "$tar_entries" tar -x -f "$tarball" -C "$root/src" ;;
	walk) "$bench" walk "$root/srcw" ;;
	rmrf) "$bench" exec "$tar_entries" rm -rf "$root/src" ;;
	esac
}

# fs_type PATH: type of the filesystem PATH is on, from /proc/mounts.
fs_type() {
	awk -v p="$1" '
	{
		m = $2 == "/" ? "/" : $2 "/"
		if ((p "/") ~ ("^" m) && length(m) > length(best)) {
			best = m
			type = $3
		}
	}
	END { print type ? type : "unknown" }' /proc/mounts
}

results=$work/results
suspects=$work/suspects
: >"$suspects"

# run_one TARGET WORKLOAD: one target's turn: set-up, cache state, mount,
# timed run, unmount, repeated until the timed runs add up to -m seconds
# (at most 50 times); prints OPS BYTES SECONDS DAEMON LIBRARY, the sums.
# A short run is at the mercy of the machine's scheduling (a descheduled
# QEMU vCPU, another job's burst); summing repetitions spreads that out.
run_one() {
	acc="0 0 0 0 0"
	reps=0
	while :; do
		prepare "$2"
		settle "$2"
		mount_target "$1"
		warm_tools "$2"
		if ! one=$(measure "$2"); then
			umount_target
			return 1
		fi
		umount_target
		acc=$(echo "$acc $one $(requests daemon) $(requests library)" |
			awk '{ d = $9 == "-" ? "-" : $4 + $9
			       l = $10 == "-" ? "-" : $5 + $10
			       printf "%d %d %.6f %s %s", $1 + $6, $2 + $7, $3 + $8, d, l }')
		reps=$((reps + 1))
		[ "$reps" -lt 50 ] || break
		echo "$acc" | awk -v m="$mintime" '{ exit !($3 >= m) }' && break
	done
	echo "$acc"
}

# run_lower: every round on the lower directory $lower.
run_lower() {
	: >"$results"
	round=0
	while [ "$round" -lt "$rounds" ]; do
		# This round's order: the targets rotated by the round number.
		order=$(echo $run_targets | awk -v r="$round" '{
			for (i = 0; i < NF; i++)
				printf "%s ", $((i + r) % NF + 1)
		}')
		for w in $run_workloads; do
			for t in $order; do
				grep -q "^$t $w failed" "$results" && continue
				if line=$(run_one "$t" "$w"); then
					echo "$t $w $round $line" >>"$results"
					note "round $round $t $w: $line"
				else
					echo "$t $w failed" >>"$results"
					note "round $round $t $w: failed"
				fi
			done
		done
		round=$((round + 1))
	done
}

# report_lower TYPE DATFILE: the section of the lower just measured.
report_lower() {
	echo "## $label, $1 lower, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "Command: \`$cmdline\`; kernel $(uname -r)," \
		"$(grep -c ^processor /proc/cpuinfo) CPUs, lower directory on $1;" \
		"I/O by $engine: $size MiB file, $count random 4 KiB I/Os;" \
		"$files small files, $passes directories of $entries entries" \
		"for readdir, source tree of $tar_entries entries" \
		"($(basename "${tarball:-none}")), $passes copies for walk;" \
		"each turn repeated to at least $mintime s of timed runs;" \
		"median of $rounds interleaved rounds."
	echo
	awk -v wls="$run_workloads" -v tgts="$run_targets" -v dat="$2" \
		-v sus="$suspects" -v lower="$1" -v png="$3" '
	BEGIN {
		title["seqread"] = "seq read MiB/s"
		title["seqwrite"] = "seq write MiB/s"
		title["randread"] = "4K rand read IOPS"
		title["randwrite"] = "4K rand write IOPS"
		title["create"] = "create files/s"
		title["stat"] = "stat files/s"
		title["unlink"] = "unlink files/s"
		title["readdir"] = "readdir entries/s"
		title["untar"] = "untar entries/s"
		title["walk"] = "walk+stat entries/s"
		title["rmrf"] = "rm -rf entries/s"
		io["seqread"] = io["seqwrite"] = io["randread"] = io["randwrite"] = 1
		nw = split(wls, w, " ")
		nt = split(tgts, t, " ")
	}
	$3 == "failed" {
		failed[$1 " " $2] = 1
		next
	}
	{
		key = $1 " " $2
		mib = ($2 == "seqread" || $2 == "seqwrite")
		rate = $6 > 0 ? (mib ? $5 / 1048576 / $6 : $4 / $6) : 0
		n = ++cnt[key]
		r[key, n] = rate
		byround[key, $3] = rate
		rounds[$3] = 1
		if ($7 != "-") {
			dq[key, n] = $7 / $4
			lq[key, n] = $8 / $4
			hasreq[key] = 1
		}
	}
	# median of a[key, 1..n] (sorted in place)
	function median(a, key, n,    i, j, v) {
		for (i = 2; i <= n; i++) {
			v = a[key, i]
			for (j = i - 1; j >= 1 && a[key, j] > v; j--)
				a[key, j + 1] = a[key, j]
			a[key, j + 1] = v
		}
		return n % 2 ? a[key, (n + 1) / 2] : (a[key, n / 2] + a[key, n / 2 + 1]) / 2
	}
	function fmt(v) {
		return v >= 100 ? sprintf("%d", v + 0.5) : sprintf("%.1f", v)
	}
	function cell(k,    c) {
		if (!(k in med))
			return k in failed ? "failed" : "-"
		c = fmt(med[k])
		if (k in ratio)
			c = c " (" sprintf("%.2f", ratio[k]) ")"
		c = c " ±" sprintf("%.0f", spread[k]) "%"
		if (k in suspect)
			c = c " **SUSPECT**"
		return c
	}
	function table(from, to,    i, j, line, sep) {
		line = "| target |"
		sep = "| --- |"
		for (i = from; i <= to; i++) {
			line = line " " title[w[i]] " |"
			sep = sep " ---: |"
		}
		print line
		print sep
		for (j = 1; j <= nt; j++) {
			line = "| " t[j] " |"
			for (i = from; i <= to; i++)
				line = line " " cell(t[j] " " w[i]) " |"
			print line
		}
		print ""
	}
	END {
		for (i = 1; i <= nw; i++) {
			n = "native " w[i]
			for (j = 1; j <= nt; j++) {
				k = t[j] " " w[i]
				if (!(k in cnt))
					continue
				med[k] = median(r, k, cnt[k])
				lo = r[k, 1]
				hi = r[k, cnt[k]]
				spread[k] = med[k] > 0 ? (hi - lo) / 2 / med[k] * 100 : 0
				if (hasreq[k]) {
					mdq[k] = median(dq, k, cnt[k])
					mlq[k] = median(lq, k, cnt[k])
				}
				# per-round ratios to native, paired by round
				m = 0
				for (rd in rounds)
					if (((k, rd) in byround) && ((n, rd) in byround) &&
					    byround[n, rd] > 0)
						pr[k, ++m] = byround[k, rd] / byround[n, rd]
				if (m == 0)
					continue
				ratio[k] = median(pr, k, m)
				rlo[k] = pr[k, 1]
				rhi[k] = pr[k, m]
				if (t[j] != "native" && ratio[k] > 1.05) {
					suspect[k] = 1
					printf "%s: %s %s at %.2f of native (rounds %.2f-%.2f)\n",
						lower, t[j], w[i], ratio[k], rlo[k], rhi[k] >>sus
				}
			}
		}
		# I/O and metadata in two tables, one row per target each.
		nio = 0
		for (i = 1; i <= nw; i++)
			if (w[i] in io)
				nio = i
		if (nio > 0)
			table(1, nio)
		if (nio < nw)
			table(nio + 1, nw)
		print "Each figure: median of the rounds, (ratio to native: median of" \
			" the per-round ratios), ±half the min-max range of the rounds" \
			" in percent of the median."
		print ""
		if (png != "") {
			print "![ratio to native, " lower " lower](" png ")"
			print ""
		}
		print "Requests that reached userspace per operation, daemon +" \
			" library (median of the rounds; libfuse-bpf targets, from" \
			" `--stats`; an operation is one read or write, one file, one" \
			" listed entry, one tar entry):"
		print ""
		line = "| target |"
		sep = "| --- |"
		for (i = 1; i <= nw; i++) {
			line = line " " w[i] " |"
			sep = sep " ---: |"
		}
		print line
		print sep
		for (j = 1; j <= nt; j++) {
			if (t[j] !~ /^(fuse-bpf|passthrough|userspace)$/)
				continue
			line = "| " t[j] " |"
			for (i = 1; i <= nw; i++) {
				k = t[j] " " w[i]
				if (hasreq[k])
					c = sprintf("%.2f + %.2f", mdq[k], mlq[k])
				else
					c = "-"
				line = line " " c " |"
			}
			print line
		}
		# The plot data: one row per workload, ratio min max per target.
		if (dat != "") {
			line = "workload"
			for (j = 1; j <= nt; j++)
				line = line " " t[j] " min max"
			print line >dat
			for (i = 1; i <= nw; i++) {
				line = w[i]
				for (j = 1; j <= nt; j++) {
					k = t[j] " " w[i]
					if (k in ratio)
						line = line sprintf(" %.4f %.4f %.4f",
							ratio[k], rlo[k], rhi[k])
					else
						line = line " NaN NaN NaN"
				}
				print line >dat
			}
		}
	}' "$results"
	echo
}

header() {
	cat <<'EOF'
# Benchmarks

Written by `bench/run.sh`: `ninja -C BUILD bench` runs it on the host and
writes this file and its plots (`doc/bench/`), `sh bench/guest.sh BUILD
REPORT` runs it in the QEMU guest and appends the guest's sections.

What is real and what is emulated: the host sections are measured on the
host's real kernel and CPUs (a 2-core VM shared with kernel builds and
other guests while it runs).  The guest sections run under QEMU's TCG, an
emulated CPU: every instruction of the guest kernel and of the daemons is
translated, so their absolute figures are 10-100x below the host's and
context switches (each FUSE round trip) cost far more than natively.  Only
the ratios to native measured in the same interleaved run mean anything;
figures of different runs, or of the host against the guest, must not be
compared.

Method (`bench/run.sh`): one section per lower filesystem (tmpfs and
ext4), the same lower for every target.  A round runs every workload on
every target; the targets take turns workload by workload, and the first
target moves one place each round.  Before each target's timed run the
workload's set-up is done natively on the lower directory, then `sync` and
`echo 3 > /proc/sys/vm/drop_caches`, then the lower is warmed the same way
for every target (the file is read, the tree is walked, natively), then the
target is mounted afresh, the measuring program (fio, tar, ...) is run
once on a scratch file and the run pauses (0.5 s): every target starts
with the lower's caches warm, its own empty, and the machine done
reloading what the drop took.  Writes end with `fsync` inside the timed
region, so the data has reached the lower filesystem when the clock
stops.  The I/O workloads each move a fixed amount of data (no
time-based loops, which would read a FUSE mount's own page cache the
second time round), and the metadata workloads touch each name once
(stat, readdir and walk go over several directories or tree copies
instead of several passes, which would time the mount's attribute and
readdir caches against the lower's).  A target's turn in a round is
repeated (set-up, drop, warm, mount, timed run) until its timed runs add
up to a second (`-m`), the turn's figure being the sum of operations
over the sum of times, so that a fast target's 50 ms run is not decided
by one scheduling hiccup of the shared machine or of QEMU's vCPU
threads.  The ratio is the median of the per-round ratios to native,
over at least 5 rounds.  A stacked filesystem cannot be faster than the
one under it: a ratio above 1.05 is flagged SUSPECT and fails the run.

The second table of each section counts the requests that reached
userspace at all, split into those the daemon (`passthrough_bpf`) handled
and those libfuse-bpf served for it.

EOF
}

for d in $(echo "$lowers" | tr ',' ' '); do
	if [ "$d" = tmpfs ]; then
		lowertmpfs=$work/tmpfs
		mkdir "$lowertmpfs"
		mount -t tmpfs -o mode=0755 fbpf-bench "$lowertmpfs" ||
			die "cannot mount a tmpfs"
		lowerbase=$lowertmpfs/bench
	else
		[ -d "$d" ] || die "$d: no such directory"
		lowerbase=$(mktemp -d "$d/fbpf-bench-lower.XXXXXX") ||
			die "mktemp in $d"
	fi
	lower=$lowerbase/lower
	mkdir -p "$lower"
	ltype=$(fs_type "$lower")
	note "lower $lower ($ltype):$run_targets:$run_workloads"
	run_lower
	dat=
	png=
	if [ -n "$plotdir" ]; then
		mkdir -p "$plotdir"
		dat=$plotdir/$plotname-$ltype.dat
		png=$(basename "$plotdir")/$plotname-$ltype.png
	fi
	report_lower "$ltype" "$dat" "$png" >"$work/section-$ltype"
	if [ -n "$dat" ] && [ -n "$gnuplot" ]; then
		sh "$here/plot.sh" "$dat" "$plotdir/$plotname-$ltype.png" \
			"$label, $ltype lower" || die "plot.sh failed"
	fi
	cat "$work/section-$ltype" >>"$work/report"
	release_lower
done

if [ -n "$out" ]; then
	if [ -n "$append" ]; then
		cat "$work/report" >>"$out"
	else
		{ header; cat "$work/report"; } >"$out"
	fi
	note "report written to $out"
else
	cat "$work/report"
fi
if [ -s "$suspects" ]; then
	note "SUSPECT (above 1.05 of native):"
	sed 's/^/bench:   /' "$suspects" >&2
	[ -n "$keepgoing" ] || exit 3
fi
exit 0
