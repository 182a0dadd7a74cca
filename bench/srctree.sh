#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# srctree.sh KCACHE SUBTREE OUT: write OUT, an uncompressed tar of
# linux-source-VERSION/SUBTREE (fs, fs/xfs, ...) taken from the
# linux-source .deb that kernel/fetch.sh downloaded into a kernel cache
# (KCACHE/VERSION/debs/linux-source-*.deb, the newest series first).
# bench/run.sh extracts it, walks it and removes it on every target.
set -eu

[ $# -eq 3 ] || {
	echo "usage: srctree.sh KCACHE SUBTREE OUT" >&2
	exit 2
}
kcache=$1
subtree=$2
out=$3
deb=
for v in 6.12 6.1; do
	for f in "$kcache/$v"/debs/linux-source-"$v"_*.deb; do
		[ -f "$f" ] && deb=$f && ver=$v && break 2
	done
done
[ -n "$deb" ] || {
	echo "srctree.sh: no linux-source .deb in $kcache/*/debs (kernel/fetch.sh)" >&2
	exit 1
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fbpf-srctree.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb --fsys-tarfile "$deb" |
	tar -xO "./usr/src/linux-source-$ver.tar.xz" | xz -dc |
	tar -x -C "$tmp" "linux-source-$ver/$subtree"
# Owned by root, sorted, so that every extraction does the same work.
tar -c -f "$out.$$" -C "$tmp/linux-source-$ver" --sort=name \
	--owner=0 --group=0 --numeric-owner "$subtree"
mv "$out.$$" "$out"
echo "srctree.sh: $out: linux-source-$ver/$subtree," \
	"$(tar -tf "$out" | wc -l) entries, $(($(wc -c <"$out") / 1048576)) MiB" >&2
