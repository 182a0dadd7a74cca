#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/run.sh: the same workloads on the native lower directory and on
# FUSE mounts of it, in one run, reported as ratios to native and as the
# requests that reached userspace per operation.  Never a pass/fail test.
#
# Runs on the host and in the busybox guest of test/guest (POSIX sh and
# busybox tools only; the timing is done by fbpf-bench).
#
# Targets (those the machine cannot offer are left out with a note):
#   native          the lower directory itself
#   fuse-bpf        passthrough_bpf --mode=fuse-bpf (the patched kernel)
#   passthrough     passthrough_bpf --mode=passthrough (Linux 6.9+, root)
#   userspace       passthrough_bpf --mode=userspace
#   passthrough_ll  libfuse's example, built from Debian's libfuse3-dev
#   bindfs          bindfs, if installed
# Workloads:
#   seqread   read a SIZE MiB file in 1 MiB reads          (MiB/s)
#   seqwrite  write a SIZE MiB file in 1 MiB writes         (MiB/s)
#   randread  COUNT 4 KiB reads at random aligned offsets   (IOPS)
#   create    create FILES files of 1 KiB                   (files/s)
#   stat      lstat FILES files                             (files/s)
#   unlink    unlink FILES files                            (files/s)
#   lsR       list a tree of 20 x (FILES/20) entries and lstat each,
#             as ls -lR does                                (entries/s)
# Every workload of every FUSE target runs on a fresh mount; its set-up
# (the file to read, the files to stat) is done on the lower directory
# before mounting, so the page cache of the lower filesystem is warm and
# the FUSE mount starts cold.

set -u

usage() {
	cat <<EOF
usage: run.sh [-b BUILDDIR] [-t TARGETS] [-w WORKLOADS] [-s MIB] [-c COUNT]
              [-f FILES] [-r REPEAT] [-d DIR] [-l LABEL] [-o FILE | -a FILE]
  -b BUILDDIR  meson build directory with example/passthrough_bpf,
               bench/fbpf-bench and bench/passthrough_ll (default: PATH)
  -t TARGETS   comma separated (default: every target available)
  -w WORKLOADS comma separated (default: all)
  -s MIB       size of the sequential file (default 256)
  -c COUNT     random reads (default 20000)
  -f FILES     small files for create/stat/unlink/lsR (default 2000)
  -r REPEAT    runs of each measurement, the best one counts (default 2)
  -d DIR       where the lower directory and mount point go (default /tmp)
  -l LABEL     section title (default: host or guest)
  -o FILE      write the report to FILE (with the document header)
  -a FILE      append the report section to FILE
EOF
	exit 2
}

builddir=
targets=
workloads=seqread,seqwrite,randread,create,stat,unlink,lsR
size=256
count=20000
files=2000
repeat=2
base=/tmp
label=
out=
append=
cmdline=run.sh
for a in "$@"; do
	case $a in
	*" "*) cmdline="$cmdline '$a'" ;;
	*) cmdline="$cmdline $a" ;;
	esac
done

while getopts b:t:w:s:c:f:r:d:l:o:a:h opt; do
	case $opt in
	b) builddir=$OPTARG ;;
	t) targets=$OPTARG ;;
	w) workloads=$OPTARG ;;
	s) size=$OPTARG ;;
	c) count=$OPTARG ;;
	f) files=$OPTARG ;;
	r) repeat=$OPTARG ;;
	d) base=$OPTARG ;;
	l) label=$OPTARG ;;
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

bench=$(find_prog fbpf-bench bench) || die "fbpf-bench not found (-b BUILDDIR)"
ptbpf=$(find_prog passthrough_bpf example)
ptll=$(find_prog passthrough_ll bench)
bindfs=$(command -v bindfs 2>/dev/null)

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
for t in $(echo "$targets" | tr ',' ' '); do
	available "$t" && run_targets="$run_targets $t"
done
for w in $(echo "$workloads" | tr ',' ' '); do
	case $w in
	seqread | seqwrite | randread | create | stat | unlink | lsR) ;;
	*) die "unknown workload $w" ;;
	esac
done

work=$(mktemp -d "$base/fbpf-bench.XXXXXX") || die "mktemp in $base"
lower=$work/lower
mnt=$work/mnt
pid=
mkdir "$lower" "$mnt"

mounted() {
	awk -v m="$mnt" '$2 == m { f = 1 } END { exit !f }' /proc/mounts
}

cleanup() {
	if mounted; then
		umount "$mnt" 2>/dev/null || umount -l "$mnt"
	fi
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		sleep 1
		kill -9 "$pid" 2>/dev/null
	fi
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
	while ! mounted; do
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

# Set-up on the lower directory, before the mount.
prepare() {
	case $1 in
	seqread | randread)
		[ -f "$lower/big" ] ||
			"$bench" write "$lower/big" "$size" 1048576 >/dev/null ||
			die "cannot create the test file"
		;;
	seqwrite)
		# An untimed write of the same size first, so that every
		# target starts with the same free page cache.
		"$bench" write "$lower/wfile" "$size" 1048576 >/dev/null ||
			die "cannot write to $lower"
		rm -f "$lower/wfile"
		;;
	create)
		rm -rf "$lower/meta"
		mkdir "$lower/meta"
		;;
	stat | unlink)
		rm -rf "$lower/meta"
		mkdir "$lower/meta"
		"$bench" mkfiles "$lower/meta" "$files" >/dev/null ||
			die "cannot create the small files"
		;;
	lsR)
		[ -d "$lower/tree" ] || {
			mkdir "$lower/tree" &&
			"$bench" mktree "$lower/tree" 20 $((files / 20)) >/dev/null
		} || die "cannot create the tree"
		;;
	esac
}

measure() {
	case $1 in
	seqread) "$bench" read "$root/big" 1048576 ;;
	seqwrite) "$bench" write "$root/wfile" "$size" 1048576 ;;
	randread) "$bench" randread "$root/big" "$count" 4096 ;;
	create) "$bench" mkfiles "$root/meta" "$files" ;;
	stat) "$bench" stat "$root/meta" "$files" ;;
	unlink) "$bench" unlink "$root/meta" "$files" ;;
	lsR) "$bench" walk "$root/tree" ;;
	esac
}

results=$work/results
: >"$results"
# Targets take turns within each workload and each round, so that a change
# in the machine's load during the run falls on all of them alike.
round=0
while [ $round -lt "$repeat" ]; do
	for w in $(echo "$workloads" | tr ',' ' '); do
		for t in $run_targets; do
			grep -q "^$t $w failed" "$results" && continue
			prepare "$w"
			mount_target "$t"
			if line=$(measure "$w"); then
				umount_target
				echo "$t $w $line $(requests daemon)" \
					"$(requests library)" >>"$results"
				note "$t $w: $line"
			else
				umount_target
				echo "$t $w failed" >>"$results"
				note "$t $w: failed"
			fi
		done
	done
	round=$((round + 1))
done

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

# The report.  Best run per target and workload; ratios to native.
report() {
	echo "## $label, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "Command: \`$cmdline\`; kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs," \
		"lower directory on $(fs_type "$lower");" \
		"$size MiB file, $count random 4 KiB reads, $files small files;" \
		"best of $repeat run(s)."
	echo
	awk -v wls="$workloads" -v tgts="$run_targets" '
	BEGIN {
		title["seqread"] = "seq read MiB/s"
		title["seqwrite"] = "seq write MiB/s"
		title["randread"] = "4K rand read IOPS"
		title["create"] = "create files/s"
		title["stat"] = "stat files/s"
		title["unlink"] = "unlink files/s"
		title["lsR"] = "ls -lR entries/s"
		nw = split(wls, w, ",")
		nt = split(tgts, t, " ")
	}
	$3 == "failed" {
		failed[$1 " " $2] = 1
		next
	}
	{
		key = $1 " " $2
		mib = ($2 == "seqread" || $2 == "seqwrite")
		rate = $5 > 0 ? (mib ? $4 / 1048576 / $5 : $3 / $5) : 0
		if (!(key in best) || rate > best[key]) {
			best[key] = rate
			ops[key] = $3
			dreq[key] = $6
			lreq[key] = $7
		}
	}
	function fmt(v) {
		return v >= 100 ? sprintf("%d", v + 0.5) : sprintf("%.1f", v)
	}
	function perop(r, o) {
		return r == "-" ? "-" : sprintf("%.2f", r / o)
	}
	END {
		line = "| target |"
		sep = "| --- |"
		for (i = 1; i <= nw; i++) {
			line = line " " title[w[i]] " |"
			sep = sep " ---: |"
		}
		print line
		print sep
		for (j = 1; j <= nt; j++) {
			line = "| " t[j] " |"
			for (i = 1; i <= nw; i++) {
				k = t[j] " " w[i]
				n = "native " w[i]
				if (!(k in best))
					cell = k in failed ? "failed" : "-"
				else if ((n in best) && best[n] > 0)
					cell = fmt(best[k]) " (" sprintf("%.2f", best[k] / best[n]) ")"
				else
					cell = fmt(best[k])
				line = line " " cell " |"
			}
			print line
		}
		print ""
		print "Requests that reached userspace per operation, daemon + library" \
			" (libfuse-bpf targets, from `--stats`; an operation is one" \
			" read or write call, one file, one listed entry):"
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
				if (k in best)
					cell = perop(dreq[k], ops[k]) " + " perop(lreq[k], ops[k])
				else
					cell = "-"
				line = line " " cell " |"
			}
			print line
		}
	}' "$results"
	echo
}

header() {
	cat <<'EOF'
# Benchmarks

Written by `bench/run.sh`: `ninja -C BUILD bench` runs it on the host and
writes this file, `sh bench/guest.sh BUILD` runs it in the QEMU guest and
appends the guest's section.
Ratios in parentheses are to the native lower directory measured in the
same run on the same machine; only the ratios are meaningful, and they are
noisy on a shared 2-core VM.  The second table counts the requests that
reached userspace at all, split into those the daemon (`passthrough_bpf`)
handled and those libfuse-bpf served for it.  `fuse-bpf` numbers come from
the QEMU guest (TCG, Debian's 6.1 kernel with `fuse-bpf.ko` beside its stock FUSE) and are
ratios to native in the guest.

EOF
}

if [ -n "$out" ]; then
	if [ -n "$append" ]; then
		report >>"$out"
	else
		{ header; report; } >"$out"
	fi
	note "report written to $out"
else
	report
fi
