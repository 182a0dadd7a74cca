#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Run bench/run.sh inside the QEMU guest of test/guest (Debian's kernel
# with fuse-bpf.ko beside its stock FUSE), targets native, fuse-bpf and
# userspace, and append its section to a report.
#
#   guest.sh BUILDDIR [REPORT [run.sh options...]]
#
# BUILDDIR must hold example/passthrough_bpf, lib/libfuse-bpf.so*,
# bench/fbpf-bench, test/guest/guest_exit and test/guest/fuse-bpf-VERSION.ko
# (ninja test/guest/fuse-bpf-VERSION.ko); VERSION (default 6.1) is the
# kernel series, KCACHE/VERSION (KCACHE default BUILDDIR/kcache) the cache
# kernel/fetch.sh filled.  MODULE=stock runs Debian's stock FUSE alone
# (no fuse-bpf target then; for checking this script).  REPORT defaults to doc/benchmarks.md.  The
# guest run uses test/guest/run-guest.sh unchanged: it is given a copy of
# the guest scripts with one more script, and a build directory made of
# copies of the programs it packs, with fbpf-bench among the programs it
# copies to /opt/conformance.
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

tmp=$(mktemp -d /tmp/fbpf-bench-guest.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

mkdir -p "$tmp/test/guest" "$tmp/build/example" "$tmp/build/lib" \
	"$tmp/build/test/guest" "$tmp/build/test/conformance"
cp "$top"/test/guest/*.sh "$tmp/test/guest/"
cp "$here/run.sh" "$tmp/test/guest/bench-run.sh"
cp "$build/example/passthrough_bpf" "$tmp/build/example/"
for f in "$build"/lib/libfuse-bpf.so*; do
	[ -d "$f" ] || cp -P "$f" "$tmp/build/lib/"
done
cp "$build/test/guest/guest_exit" "$tmp/build/test/guest/"
cp "$build/bench/fbpf-bench" "$tmp/build/test/conformance/"

# The guest side: run the bench, print its section behind "@@ BENCH ".
{
	echo '. /tests/lib.sh'
	echo 'export PATH=/bin:/opt/conformance'
	printf 'if sh /tests/bench-run.sh -t native,fuse-bpf,userspace'
	printf ' -s 64 -c 5000 -f 1000 -r 2 -a /run/bench.md'
	printf " -l \"%s\"" "$label"
	for a in "$@"; do
		printf " '%s'" "$a"
	done
	echo '; then'
	echo '	sed "s/^/@@ BENCH /" /run/bench.md'
	echo '	pass bench'
	echo 'else'
	echo '	fail bench "run.sh failed"'
	echo 'fi'
	echo 'guest_script_end'
} >"$tmp/test/guest/t-bench.sh"

# run-guest.sh finds the libraries to pack with ldd; a LD_LIBRARY_PATH
# (meson test sets one) would point it at the build tree's copies.
unset LD_LIBRARY_PATH
sh "$tmp/test/guest/run-guest.sh" -t 900 "$kcache" "$module" \
	"$tmp/build" t-bench.sh >"$tmp/out" 2>&1 || {
	cat "$tmp/out"
	exit 1
}
sed -n 's/^@@ BENCH //p' "$tmp/out" >"$tmp/section"
[ -s "$tmp/section" ] || {
	cat "$tmp/out"
	echo "guest.sh: no report from the guest" >&2
	exit 1
}
cat "$tmp/section" >>"$report"
cat "$tmp/section"
