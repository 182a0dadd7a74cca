#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Run bench/run.sh inside the QEMU guest of test/guest (Debian's kernel
# with fuse-bpf.ko beside its stock FUSE), targets native, fuse-bpf,
# userspace and libfuse's passthrough_ll, on a tmpfs and on an ext4 lower,
# append its sections to a report and draw their plots beside it.
#
#   guest.sh BUILDDIR [REPORT [run.sh options...]]
#
# BUILDDIR must hold example/passthrough_bpf, lib/libfuse-bpf.so*,
# bench/fbpf-bench, test/guest/guest_exit and test/guest/fuse-bpf-VERSION.ko
# (ninja test/guest/fuse-bpf-VERSION.ko); VERSION (default 6.1) is the
# kernel series, KCACHE/VERSION (KCACHE default BUILDDIR/kcache) the cache
# kernel/fetch.sh filled.  MODULE=stock runs Debian's stock FUSE alone
# (no fuse-bpf target then; for checking this script).  REPORT defaults to
# doc/benchmarks.md; the plots and their data go to bench/ beside it
# (guest-VERSION-LOWER.png).  TIMEOUT bounds the guest run (default 5400
# s).  The guest run uses test/guest/run-guest.sh unchanged: it is given a
# copy of the guest scripts with one more script, and a build directory
# made of copies of the programs it packs, with fbpf-bench, fio (Debian's,
# with its shared libraries, found by ldd as for every packed program),
# passthrough_ll and the source tree tar (srctree.sh, SUBTREE, default
# fs/ext4: 53 entries, as TCG makes each FUSE round trip slow; an
# executable file there is packed as is) among what it copies to
# /opt/conformance.  run-guest.sh -e attaches the ext4 disk (/dev/vda).
# The exit status is run.sh's in the guest: a SUSPECT result fails the run
# after the report and the plots are written.
set -eu

[ $# -ge 1 ] || {
	echo "usage: guest.sh BUILDDIR [REPORT [run.sh options...]]" >&2
	exit 2
}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=$(cd "$1" && pwd)
report=${2:-$top/doc/benchmarks.md}
[ $# -ge 2 ] && shift 2 || shift $#
version=${VERSION:-6.1}
kcache=${KCACHE:-$build/kcache}/$version
module=${MODULE:-$build/test/guest/fuse-bpf-$version.ko}
if [ "$module" = stock ]; then
	label="guest: Debian $version kernel, stock FUSE, QEMU TCG"
else
	label="guest: Debian $version kernel, fuse-bpf.ko beside the stock FUSE, QEMU TCG"
fi

for f in "$build/example/passthrough_bpf" "$build/bench/fbpf-bench" \
	"$build/test/guest/guest_exit" "$kcache/env"; do
	[ -e "$f" ] || {
		echo "guest.sh: $f missing" >&2
		exit 1
	}
done
plotdir=$(dirname "$report")/bench

tmp=$(mktemp -d /tmp/fbpf-bench-guest.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

mkdir -p "$tmp/test/guest" "$tmp/build/example" "$tmp/build/lib" \
	"$tmp/build/test/guest" "$tmp/build/test/conformance"
cp "$top"/test/guest/*.sh "$top"/test/guest/*.txt "$tmp/test/guest/"
cp "$here/run.sh" "$tmp/test/guest/bench-run.sh"
cp "$build/example/passthrough_bpf" "$tmp/build/example/"
for f in "$build"/lib/libfuse-bpf.so*; do
	[ -d "$f" ] || cp -P "$f" "$tmp/build/lib/"
done
cp "$build/test/guest/guest_exit" "$tmp/build/test/guest/"
conf=$tmp/build/test/conformance
cp "$build/bench/fbpf-bench" "$conf/"
if [ -x "$build/bench/passthrough_ll" ]; then
	cp "$build/bench/passthrough_ll" "$conf/"
fi
if fio=$(command -v fio); then
	cp "$fio" "$conf/"
else
	echo "guest.sh: fio not installed (apt-get install fio): fbpf-bench does the I/O" >&2
fi
subtree=${SUBTREE:-fs/ext4}
srctree=$build/bench/srctree-$(echo "$subtree" | tr / -).tar
[ -f "$srctree" ] ||
	sh "$here/srctree.sh" "${KCACHE:-$build/kcache}" "$subtree" "$srctree"
cp "$srctree" "$conf/srctree.tar"
chmod 755 "$conf/srctree.tar"

# The guest side: run the bench on a tmpfs and on the ext4 disk, print
# its sections behind "@@ BENCH " and the plot data behind "@@ BDAT NAME ".
{
	echo '. /tests/lib.sh'
	echo 'export PATH=/bin:/opt/conformance'
	echo 'mkdir -p /mnt/ext4 /run/bench'
	echo 'lowers=tmpfs'
	echo 'if mount -t ext4 /dev/vda /mnt/ext4; then lowers=tmpfs,/mnt/ext4;'
	echo 'else fail bench-ext4 "cannot mount /dev/vda"; fi'
	printf 'sh /tests/bench-run.sh -t native,fuse-bpf,userspace,passthrough_ll'
	printf ' -d $lowers -s 32 -c 1024 -f 200 -p 1 -e 10000 -r 5 -z 0.5 -m 0.5'
	printf ' -T /opt/conformance/srctree.tar -g guest-%s -P /run/bench' "$version"
	printf ' -a /run/bench.md -l "%s"' "$label"
	for a in "$@"; do
		printf " '%s'" "$a"
	done
	echo '; rc=$?'
	echo 'sed "s/^/@@ BENCH /" /run/bench.md'
	echo 'for f in /run/bench/*.dat; do'
	echo '	[ -f "$f" ] && sed "s|^|@@ BDAT ${f##*/} |" "$f"'
	echo 'done'
	echo 'umount /mnt/ext4 2>/dev/null'
	echo 'case $rc in'
	echo '0) pass bench ;;'
	echo '3) fail bench "SUSPECT results (above 1.05 of native)" ;;'
	echo '*) fail bench "run.sh failed ($rc)" ;;'
	echo 'esac'
	echo 'guest_script_end'
} >"$tmp/test/guest/t-bench.sh"

# run-guest.sh finds the libraries to pack with ldd; a LD_LIBRARY_PATH
# (meson test sets one) would point it at the build tree's copies.
unset LD_LIBRARY_PATH
rc=0
sh "$tmp/test/guest/run-guest.sh" -e -t "${TIMEOUT:-5400}" "$kcache" \
	"$module" "$tmp/build" t-bench.sh >"$tmp/out" 2>&1 || rc=$?
sed -n 's/^@@ BENCH //p' "$tmp/out" >"$tmp/section"
[ -s "$tmp/section" ] || {
	cat "$tmp/out"
	echo "guest.sh: no report from the guest" >&2
	exit 1
}
cat "$tmp/section" >>"$report"
cat "$tmp/section"
mkdir -p "$plotdir"
for name in $(sed -n 's/^@@ BDAT \([^ ]*\) .*/\1/p' "$tmp/out" | sort -u); do
	sed -n "s/^@@ BDAT $name //p" "$tmp/out" >"$plotdir/$name"
	if command -v gnuplot >/dev/null; then
		sh "$here/plot.sh" "$plotdir/$name" "$plotdir/${name%.dat}.png" \
			"$label, $(echo "${name%.dat}" | sed 's/.*-//') lower" || rc=1
	else
		echo "guest.sh: gnuplot not installed: no $plotdir/${name%.dat}.png" >&2
	fi
done
if [ "$rc" -ne 0 ]; then
	grep -E '^(FAIL|bench:)' "$tmp/out" >&2
	echo "guest.sh: the guest run failed (SUSPECT results fail it)" >&2
fi
exit "$rc"
