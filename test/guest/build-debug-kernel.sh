#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Build step of the guest-debug suite: fetch Debian's kernel pieces for
# VERSION (once) and build the debug kernel with the series built in
# (kernel/debug/build.sh) into KCACHE-debug.
#
#   build-debug-kernel.sh SRCDIR VERSION KCACHE OUTPUT
#
# KCACHE is the cache of VERSION (BUILD/kcache/VERSION; $KCACHE/VERSION
# when the environment variable KCACHE is set); the debug kernel's own
# cache is the directory beside it, VERSION-debug.  OUTPUT is a copy of its
# env file.  The first build takes about 15 minutes on 2 cores.
set -eu

top=$1
version=$2
kcache=$3
output=$4
if [ -n "${KCACHE:-}" ]; then
	kcache=$KCACHE/$version
fi

sh "$top/kernel/fetch.sh" "$kcache" "$version" >/dev/null
sh "$top/kernel/debug/build.sh" "$kcache" "$kcache-debug"
cp "$kcache-debug/env" "$output"
