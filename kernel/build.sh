#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build fuse-bpf.ko, the fuse-bpf module that loads beside the kernel's own
# FUSE, for the Debian kernel of a cache, out of tree.
#
#   kernel/build.sh CACHE OUT
#
# CACHE is a directory filled by kernel/fetch.sh; its env names the Linux
# version (SERIES=6.1 or 6.12).  The script copies fs/fuse and
# include/uapi/linux/fuse.h of CACHE's linux-source into OUT/src, applies
# every patch of kernel/SERIES/series with patch -p1 (the in-tree series),
# then kernel/SERIES/coexist.patch (the out-of-tree renaming: module
# fuse-bpf, /dev/fuse-bpf, file system types fusebpf and fusebpfblk,
# /sys/fs/fuse-bpf, no exported symbols), and builds against CACHE's
# linux-headers with the patched uapi header taking precedence over the
# one of the headers package.  The result, stripped of debug info, is
# OUT/fuse-bpf.ko; the patched uapi header is copied to
# OUT/include/linux/fuse.h for userspace comparisons.  Any compiler or
# modpost warning fails the build.  Set KBUILD_W=1 to build with W=1.
#
# The path of the module is printed on success.
set -eu

cache=${1:?usage: build.sh CACHE OUT}
out=${2:?usage: build.sh CACHE OUT}
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
kb_env "$cache"

mkdir -p "$out"
out=$(cd "$out" && pwd)
tree="$out/src"
rm -rf "$out/fuse-bpf.ko" "$out/fuse.ko" "$out/include"
kb_prepare "$tree"
for p in $KPATCHES; do
	kb_apply "$tree" "$KSERIES/patches/$p"
done
kb_apply "$tree" "$KSERIES/coexist.patch"
kb_make "$tree" "$out/build.log" "${KBUILD_W:-}"

cp "$tree/fs/fuse/fuse-bpf.ko" "$out/fuse-bpf.ko"
strip --strip-debug "$out/fuse-bpf.ko"
mkdir -p "$out/include/linux"
cp "$tree/include/uapi/linux/fuse.h" "$out/include/linux/fuse.h"
echo "$out/fuse-bpf.ko"
