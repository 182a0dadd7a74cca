#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# usage: pkgconfig.sh BUILD_DIR DAEMON_SOURCE
#
# `meson install --destdir` into a temporary tree, then builds a small
# daemon outside the build tree with only `pkg-config --cflags --libs
# fuse-bpf` (PKG_CONFIG_PATH and PKG_CONFIG_SYSROOT_DIR pointing into the
# tree) and runs it against a real mount.
set -u
BUILD=$1
DAEMON_SRC=$2
. "$(dirname "$0")/common.sh"
need_root
fbpf_watchdog 160
command -v pkg-config > /dev/null || skip "no pkg-config"
command -v cc > /dev/null || skip "no C compiler"

dest=$FBPF_TMP/dest
timeout 120 meson install -C "$BUILD" --no-rebuild --quiet --destdir "$dest" \
	> "$FBPF_TMP/install.log" 2>&1 ||
	fail "meson install: $(tail -n 5 "$FBPF_TMP/install.log")"
pc=$(find "$dest" -name fuse-bpf.pc | head -n 1)
[ -n "$pc" ] || fail "no fuse-bpf.pc installed"
[ -n "$(find "$dest" -name fuse_bpf.h)" ] || fail "no fuse_bpf.h installed"
ok "installed $(echo "$pc" | sed "s|^$dest||")"

# The destdir is the sysroot of the installed prefix; fuse3 itself lives
# in the real root, so the sysroot gets a view of its headers.
mkdir -p "$dest/usr/include" || fail "setup"
ln -s /usr/include/fuse3 "$dest/usr/include/fuse3" || fail "setup"
export PKG_CONFIG_PATH="$(dirname "$pc")"
export PKG_CONFIG_SYSROOT_DIR="$dest"
flags=$(pkg-config --cflags --libs fuse-bpf) || fail "pkg-config fuse-bpf"
ok "pkg-config --cflags --libs fuse-bpf: $flags"

work=$FBPF_TMP/outside
mkdir "$work" || fail "setup"
cp "$DAEMON_SRC" "$work/daemon.c" || fail "setup"
# shellcheck disable=SC2086
(cd "$work" && cc -Wall -Wextra -Werror -o daemon daemon.c $flags) ||
	fail "building the daemon with pkg-config flags"
ok "built a daemon outside the build tree"

libdir=$(dirname "$(find "$dest" -name 'libfuse-bpf.so.0' | head -n 1)")
src=$FBPF_TMP/src
mnt=$FBPF_TMP/mnt
mkdir "$src" "$mnt" || fail "setup"
echo "from the source" > "$src/hello"
# A sanitizer build of the library needs its runtime loaded first.
asan=$(ldd "$libdir/libfuse-bpf.so.0" | awk '/libasan/ { print $3 }')
LD_PRELOAD=$asan LD_LIBRARY_PATH=$libdir "$work/daemon" "$src" "$mnt" \
	2>"$FBPF_TMP/log" &
pid=$!
fbpf_track "$pid"
wait_mounted "$mnt" || fail "daemon did not mount: $(cat "$FBPF_TMP/log")"
[ "$(timeout 10 cat "$mnt/hello")" = "from the source" ] ||
	fail "read through the mount"
LD_LIBRARY_PATH=$libdir ldd "$work/daemon" | grep -q "$libdir/libfuse-bpf.so.0" ||
	fail "daemon is not linked against the installed library"
timeout 10 umount "$mnt" || fail "umount"
wait_pid_gone "$pid" || fail "daemon still running after umount"
wait "$pid" || fail "daemon exit status $?"
grep -q "mode userspace" "$FBPF_TMP/log" || fail "no mode line"
ok "installed library serves a real mount"
echo PASSED
