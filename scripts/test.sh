#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Set up everything and run every test suite: unit, host (real FUSE mounts
# on this kernel, modes userspace and passthrough), the kernel series checks
# of every series in kernel/ (each patch builds with W=1 and is checkpatch
# --strict clean, then coexist.patch), guest (fuse-bpf.ko beside Debian's
# stock FUSE in a QEMU guest, once per series, and the stock FUSE alone),
# packaging (the Debian packages built, installed, dkms-built for every
# series and booted in the guest, then purged), the unit and host suites
# again under ASan+UBSan, the library's fuzz targets for a bounded time
# (clang, libFuzzer), and unit and host once more under valgrind
# memcheck.  Run as root on Debian 12.  Every phase
# runs even when an earlier one failed; the exit status says whether all
# passed.
#
# What the phases cost on 2 cores (Linux 6.1; a 6.12 series adds its own
# kernel-fetch, kernel-check and guest tests):
#   build               ~1 min, plus the first fetch: ninja builds the
#                       guest module of every series (test/guest), which
#                       runs kernel/fetch.sh, so from nothing the download
#                       of ~215 MB of Debian packages for 6.1 (~275 MB for
#                       6.12, most of it linux-source) and ~30 s of
#                       unpacking happen here
#   kernel-fetch-V      seconds once the cache is there (it checks it and
#                       brings its guest modules up to date)
#   kernel-check-V      ~3-4 min: one W=1 build per patch (15 + coexist),
#                       incremental in one tree, plus checkpatch (~2 s)
#   kernel-debug        ~8 min: Debian's linux-source of the newest series
#                       with the series built in, allnoconfig plus
#                       kernel/debug/guest-debug.config (KASAN, lockdep,
#                       kmemleak, UBSAN, failslab); ~15 CPU-minutes
#   unit+host           ~1 min
#   doc                 seconds: Doxygen over the public headers (a
#                       warning fails), every exported function and example
#                       has its manual page and man renders each cleanly
#   guest               ~9-11 min per series: one QEMU (TCG) boot per test,
#                       conformance, ext4, stock and stress the longest
#   guest-debug         the guest tests again on the debug kernel, each
#                       about three times slower (see the measured figures
#                       in test/guest/README.md)
#   bench               ~4-6 min: bench/ci.sh, one round of tiny
#                       workloads on the host (tmpfs, ext4) and in one
#                       guest; checks that the tables and plots appear
#   packaging           ~3 min with 6.1 and 6.12: dpkg-buildpackage ~25 s,
#                       apt-get install and purge ~10 s, one dkms build per
#                       series ~30 s, two guest boots per series ~20 s each
#   asan                ~1-2 min
#   fuzz-lib            ~5 min: the clang build of the libFuzzer targets
#                       (~1 min the first time), then test/fuzz/run.sh,
#                       30 s for each of the 7 targets
#   valgrind            unit and host again, the test programs and the
#                       daemons the host scripts start under valgrind
#                       memcheck: unit ~15 s; host not yet timed in full
#                       (a daemon runs 20-50 times slower under memcheck)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

sh scripts/deps.sh || exit 1

build=${BUILD:-build}
asan=${BUILD_ASAN:-build-asan}
fuzz=${BUILD_FUZZ:-build-fuzz}
# One cache per kernel series: $KCACHE/6.1, $KCACHE/6.12.
export KCACHE="${KCACHE:-$top/$build/kcache}"
# The series this tree has (kernel/VERSION/series).
series=
for v in 6.1 6.12; do
	if [ -f "kernel/$v/series" ]; then
		series="$series $v"
	fi
done

failed=""
phase() {
	name=$1
	shift
	start=$(date +%s)
	echo "=== $name"
	if "$@"; then
		echo "=== $name: ok ($(($(date +%s) - start)) s)"
	else
		echo "=== $name: FAILED ($(($(date +%s) - start)) s)"
		failed="$failed $name"
	fi
}

phase build sh -c "
	{ [ -d '$build' ] || meson setup '$build' -Dguest=enabled; } &&
	{ [ -d '$asan' ] || meson setup '$asan' -Db_sanitize=address,undefined \
		-Db_lundef=false -Dguest=disabled; } &&
	ninja -C '$build' && ninja -C '$asan'"
for v in $series; do
	phase "kernel-fetch-$v" sh kernel/fetch.sh "$KCACHE/$v" "$v"
done
for v in $series; do
	phase "kernel-check-$v" sh kernel/check.sh "$KCACHE/$v"
done
# The debug kernel: the newest series built in (kernel/debug).
newest=${series##* }
phase kernel-debug ninja -C "$build" "test/guest/debug-kernel-$newest.env"
phase unit+host meson test -C "$build" --print-errorlogs --num-processes 2 \
	--suite unit --suite host
phase doc meson test -C "$build" --print-errorlogs --num-processes 2 \
	--suite doc
phase guest meson test -C "$build" --print-errorlogs --num-processes 2 \
	--suite guest
phase guest-debug meson test -C "$build" --print-errorlogs --num-processes 2 \
	--suite guest-debug
phase bench sh bench/ci.sh "$build"
phase packaging meson test -C "$build" --print-errorlogs --num-processes 1 \
	--suite packaging
phase asan meson test -C "$asan" --print-errorlogs --num-processes 2 \
	--suite unit --suite host --no-suite harness
phase fuzz-lib sh -c "
	{ [ -d '$fuzz' ] || CC=clang meson setup '$fuzz' -Dfuzz=enabled \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dguest=disabled; } &&
	ninja -C '$fuzz' test/fuzz/fuzz-request test/fuzz/fuzz-init \
		test/fuzz/fuzz-dispatch test/fuzz/fuzz-reply_filter \
		test/fuzz/fuzz-blocks test/fuzz/fuzz-stats \
		test/fuzz/fuzz-options &&
	sh test/fuzz/run.sh '$fuzz' 30"
phase valgrind meson test -C "$build" --print-errorlogs --num-processes 1 \
	--setup valgrind --suite unit --suite host --no-suite harness

if [ -n "$failed" ]; then
	echo "test.sh: failed:$failed"
	exit 1
fi
echo "test.sh: all phases passed"
