#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Build step of the guest suite, once per kernel series: fetch Debian's
# kernel pieces for VERSION (once) and build fuse-bpf.ko with
# kernel/build.sh.
#
#   build-module.sh SRCDIR VERSION KCACHE OUTPUT
#
# KCACHE is the cache of VERSION (BUILD/kcache/VERSION); the environment
# variable KCACHE, when set, names a directory of caches to use instead
# ($KCACHE/VERSION, e.g. KCACHE=/work/kcache for /work/kcache/6.1).
# kernel/build.sh writes into KMOD-VERSION beside OUTPUT (the module, its
# build tree and the patched uapi header in include/linux/fuse.h), and
# OUTPUT is a copy of the module.
set -eu

top=$1
version=$2
kcache=$3
output=$4
if [ -n "${KCACHE:-}" ]; then
	kcache=$KCACHE/$version
fi
kmod=$(dirname "$output")/kmod-$version

sh "$top/kernel/fetch.sh" "$kcache" "$version"
sh "$top/kernel/build.sh" "$kcache" "$kmod" >/dev/null
cp "$kmod/fuse-bpf.ko" "$output"
