#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the fuse-bpf fuse.ko for Debian's 6.1 kernel, out of tree.
#
#   kernel/build.sh CACHE OUT
#
# CACHE is the directory filled by kernel/fetch.sh.  The script copies
# fs/fuse and include/uapi/linux/fuse.h of CACHE's linux-source-6.1 into
# OUT/src, applies every patch of kernel/series with patch -p1, and builds
# fuse.ko against CACHE's linux-headers with the patched uapi header taking
# precedence over the one of the headers package.  The result, stripped of
# debug info, is OUT/fuse.ko; the patched uapi header is copied to
# OUT/include/linux/fuse.h for userspace comparisons.  Any compiler or
# modpost warning fails the build.  Set KBUILD_W=1 to build with W=1, and
# SERIES=FILE to apply the patches listed in FILE instead of kernel/series.
#
# The path of the module is printed on success.
set -eu

cache=${1:?usage: build.sh CACHE OUT}
out=${2:?usage: build.sh CACHE OUT}
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -f "$cache/env" ]; then
	echo "build.sh: $cache/env missing (run kernel/fetch.sh $cache)" >&2
	exit 1
fi
. "$cache/env"

mkdir -p "$out"
out=$(cd "$out" && pwd)
tree="$out/src"
rm -rf "$tree" "$out/fuse.ko" "$out/include"
mkdir -p "$tree/fs" "$tree/include/uapi/linux"
cp -r "$SRC/fs/fuse" "$tree/fs/fuse"
cp "$SRC/include/uapi/linux/fuse.h" "$tree/include/uapi/linux/fuse.h"

series=${SERIES:-$here/series}
if [ -f "$series" ]; then
	grep -v '^[[:space:]]*\(#\|$\)' "$series" | while read -r p; do
		if ! patch -p1 -s -N -d "$tree" <"$here/patches/$p"; then
			echo "build.sh: $p does not apply" >&2
			exit 1
		fi
	done
fi

# A Kbuild file is read instead of the Makefile beside it; it puts the
# patched uapi directory ahead of the headers package's include/uapi.
cat >"$tree/fs/fuse/Kbuild" <<'KBUILD'
NOSTDINC_FLAGS += -I$(src)/../../include/uapi
include $(src)/Makefile
KBUILD

log="$out/build.log"
if ! make -C "$HDR" M="$tree/fs/fuse" CONFIG_CUSE= CONFIG_VIRTIO_FS= \
	W="${KBUILD_W:-}" -j2 modules >"$log" 2>&1; then
	cat "$log" >&2
	echo "build.sh: build failed" >&2
	exit 1
fi
if grep -Ei 'warning|error' "$log" >&2; then
	echo "build.sh: the build produced warnings (log: $log)" >&2
	exit 1
fi

cp "$tree/fs/fuse/fuse.ko" "$out/fuse.ko"
strip --strip-debug "$out/fuse.ko"
mkdir -p "$out/include/linux"
cp "$tree/include/uapi/linux/fuse.h" "$out/include/linux/fuse.h"
echo "$out/fuse.ko"
