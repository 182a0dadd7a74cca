#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Build step of the guest suite: fetch Debian's kernel pieces (once) and
# build the patched fuse.ko with kernel/build.sh.
#
#   build-module.sh SRCDIR KCACHE OUTPUT
#
# The environment variable KCACHE, when set, replaces the KCACHE argument
# (to reuse a cache that already exists, such as /work/kcache).
set -eu

top=$1
kcache=${KCACHE:-$2}
output=$3
kmod=$(dirname "$output")/kmod

sh "$top/kernel/fetch.sh" "$kcache"
sh "$top/kernel/build.sh" "$kcache" "$kmod" >/dev/null
cp "$kmod/fuse.ko" "$output"
