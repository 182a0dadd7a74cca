#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Write the DKMS source tree of fuse-bpf.ko: for every kernel series of
# kernel/ (kernel/VERSION/series), Linux's fs/fuse and uapi fuse.h of
# Debian's linux-source-VERSION with the series and coexist.patch applied
# (as kernel/build.sh does), plus dkms.conf and the Makefile that picks
# the series from the kernel release at build time.
#
#   kernel/dkms/mksrc.sh OUT VERSION
#
# OUT      the tree to write, e.g. /usr/src/fuse-bpf-VERSION (must not
#          exist, or be empty)
# VERSION  the module version (PACKAGE_VERSION of dkms.conf)
#
# Where Linux's sources come from (never from this repository):
#   FUSE_BPF_KCACHE=DIR  the caches of kernel/fetch.sh, DIR/VERSION for
#                        each series (build/kcache), already unpacked
#   otherwise            /usr/src/linux-source-VERSION.tar.xz of Debian's
#                        linux-source-VERSION packages (installed)
#
# By hand, on a Debian 12 machine with linux-source-6.1 and
# linux-source-6.12 installed (bookworm-security for 6.12):
#
#   sh kernel/dkms/mksrc.sh /usr/src/fuse-bpf-0.1.0 0.1.0
#   dkms install fuse-bpf/0.1.0
#
# OUT/SERIES/ORIGIN says which linux-source each tree was made from.
set -eu

out=${1:?usage: mksrc.sh OUT VERSION}
version=${2:?usage: mksrc.sh OUT VERSION}
here=$(cd "$(dirname "$0")" && pwd)
kernel=$(dirname "$here")
. "$kernel/lib.sh"

if [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
	echo "mksrc.sh: $out exists and is not empty" >&2
	exit 1
fi

all=
for s in "$kernel"/*/series; do
	[ -f "$s" ] || continue
	all="$all $(basename "$(dirname "$s")")"
done
if [ -z "$all" ]; then
	echo "mksrc.sh: no kernel series in $kernel" >&2
	exit 1
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d /tmp/fuse-bpf-mksrc.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

regex=
for v in $all; do
	if [ -n "${FUSE_BPF_KCACHE:-}" ]; then
		cache=$FUSE_BPF_KCACHE/$v
		if [ ! -f "$cache/env" ]; then
			echo "mksrc.sh: no Linux $v cache in $cache (run kernel/fetch.sh $cache $v)" >&2
			exit 1
		fi
		SRC=$(. "$cache/env" && echo "$SRC")
		origin=$(cd "$cache/debs" 2>/dev/null &&
			ls linux-source-"${v}"_*.deb 2>/dev/null | tail -n 1)
		origin="${origin:-linux-source-$v} (a kernel/fetch.sh cache)"
	else
		tarball=/usr/src/linux-source-$v.tar.xz
		if [ ! -f "$tarball" ]; then
			echo "mksrc.sh: $tarball missing (apt-get install linux-source-$v, or set FUSE_BPF_KCACHE to the kernel/fetch.sh caches)" >&2
			exit 1
		fi
		s=linux-source-$v
		xz -T2 -dc "$tarball" | tar -x -C "$tmp" --wildcards \
			"$s/fs/fuse/*" "$s/include/uapi/linux/fuse.h"
		SRC=$tmp/$s
		origin="linux-source-$v $(dpkg-query -W -f='${Version}' "linux-source-$v" 2>/dev/null || echo '(version unknown)') ($tarball)"
	fi
	if [ ! -f "$SRC/fs/fuse/inode.c" ] ||
		[ ! -f "$SRC/include/uapi/linux/fuse.h" ]; then
		echo "mksrc.sh: $SRC has no fs/fuse or include/uapi/linux/fuse.h" >&2
		exit 1
	fi
	kb_prepare "$out/$v"
	n=0
	for p in $(grep -v '^[[:space:]]*\(#\|$\)' "$kernel/$v/series"); do
		kb_apply "$out/$v" "$kernel/$v/patches/$p"
		n=$((n + 1))
	done
	kb_apply "$out/$v" "$kernel/$v/coexist.patch"
	find "$out/$v" \( -name '*.orig' -o -name '*.rej' \) -delete
	if ! grep -q 'fuse-bpf\.o' "$out/$v/fs/fuse/Makefile"; then
		echo "mksrc.sh: $v/fs/fuse/Makefile does not build fuse-bpf.o after coexist.patch" >&2
		exit 1
	fi
	printf '%s\nkernel/%s/series (%s patches) and coexist.patch applied\n' \
		"$origin" "$v" "$n" >"$out/$v/ORIGIN"
	regex="$regex${regex:+|}$(echo "$v" | sed 's/\./\\./g')"
done

cp "$here/Makefile" "$out/Makefile"
# BUILD_EXCLUSIVE_KERNEL: ^(6\.1|6\.12)\. (backslashes doubled for sed).
regex=$(printf '^(%s)\\.' "$regex" | sed 's/\\/\\\\/g')
sed -e "s/#MODULE_VERSION#/$version/" -e "s/#KERNEL_REGEX#/$regex/" \
	"$here/dkms.conf" >"$out/dkms.conf"
echo "mksrc.sh: fuse-bpf $version for Linux$all in $out"
