#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Set up everything and run every test suite: unit, host (real FUSE mounts
# on this kernel, modes userspace and passthrough), the kernel series checks
# (each patch builds with W=1 and is checkpatch --strict clean), guest (the
# patched module in a QEMU guest, mode fuse-bpf, and Debian's stock module),
# and the unit and host suites again under ASan+UBSan.  Run as root on
# Debian 12.  Every phase runs even when an earlier one failed; the exit
# status says whether all passed.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

sh scripts/deps.sh || exit 1

build=${BUILD:-build}
asan=${BUILD_ASAN:-build-asan}
export KCACHE="${KCACHE:-$top/$build/kcache}"

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
phase kernel-fetch sh kernel/fetch.sh "$KCACHE"
phase kernel-check sh kernel/check.sh "$KCACHE"
phase unit+host meson test -C "$build" --print-errorlogs --num-processes 2 \
	--suite unit --suite host
phase guest meson test -C "$build" --print-errorlogs --num-processes 1 \
	--suite guest
phase asan meson test -C "$asan" --print-errorlogs --num-processes 2 \
	--suite unit --suite host --no-suite harness

if [ -n "$failed" ]; then
	echo "test.sh: failed:$failed"
	exit 1
fi
echo "test.sh: all phases passed"
