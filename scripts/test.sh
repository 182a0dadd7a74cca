#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Set up everything and run every test suite: unit, host (real FUSE mounts
# on this kernel, modes userspace and passthrough), guest (the patched
# module in a QEMU guest, mode fuse-bpf), the kernel series checks, and the
# unit and host suites again under ASan+UBSan.  Run as root on Debian 12.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

sh scripts/deps.sh

build=${BUILD:-build}
asan=${BUILD_ASAN:-build-asan}
export KCACHE="${KCACHE:-$top/$build/kcache}"

[ -d "$build" ] || meson setup "$build" -Dguest=enabled
ninja -C "$build"

sh kernel/fetch.sh "$KCACHE"
sh kernel/check.sh "$KCACHE"

meson test -C "$build" --print-errorlogs --num-processes 1

[ -d "$asan" ] || meson setup "$asan" -Db_sanitize=address,undefined \
	-Db_lundef=false -Dguest=disabled
ninja -C "$asan"
meson test -C "$asan" --print-errorlogs --num-processes 1 --suite unit --suite host
