#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug kernel of the guest suite: Debian's linux-source of a
# cache (kernel/fetch.sh) with the fuse-bpf series applied in tree (FUSE is
# built in and is fuse-bpf: /dev/fuse, file system type fuse,
# /sys/fs/fuse/features/fuse_bpf), configured by allnoconfig plus
# kernel/debug/guest-debug.config (KASAN, lockdep, kmemleak, DEBUG_LIST,
# UBSAN, failslab).
#
#   kernel/debug/build.sh CACHE OUT
#
# OUT/src      the kernel tree (kept: a second run reverts the patches it
#              applied last time, applies the current ones and rebuilds
#              only what changed)
# OUT/bzImage  the kernel
# OUT/failslab-range  the text of fs/fuse ("START END FIRST-FUNCTION"),
#              for failslab's stack trace filter (run-guest.sh passes it to
#              the guest as /etc/failslab-range)
# OUT/env      a cache env for test/guest/run-guest.sh: SERIES, KVER,
#              VMLINUZ, FUSE=builtin (no stock fuse.ko, no fuse-bpf.ko to
#              load), MODULES (every guest module is built in)
# OUT/build.log
#
# Any warning of the compiler in fs/fuse fails the build; so does an
# option of the fragment that the configuration did not keep.  On 2 cores
# the first build takes about 15 minutes, a rebuild after a patch change
# a minute or two.
set -eu

cache=${1:?usage: build.sh CACHE OUT}
out=${2:?usage: build.sh CACHE OUT}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
kb_here=$(cd "$here/.." && pwd)
kb_env "$cache"
cache=$(cd "$cache" && pwd)
fragment="$here/guest-debug.config"

mkdir -p "$out"
out=$(cd "$out" && pwd)
tree="$out/src"
start=$(date +%s)

# One build at a time in OUT; nothing to do when the series, the
# configuration fragment and this script are what the last build used.
exec 9>"$out/.lock"
flock 9
key=$(cat "$0" "$fragment" $(for p in $KPATCHES; do
	echo "$KSERIES/patches/$p"
done) | sha256sum | cut -d' ' -f1)
if [ -f "$out/bzImage" ] && [ -f "$out/env" ] &&
	[ "$(cat "$out/stamp" 2>/dev/null)" = "$key" ]; then
	echo "build.sh: $out/bzImage is up to date"
	exit 0
fi
rm -f "$out/stamp"

# The full source: linux-source-SERIES.tar.xz inside the deb fetch.sh keeps.
if [ ! -f "$tree/Makefile" ]; then
	deb=$(ls "$cache"/debs/linux-source-"$SERIES"_*.deb 2>/dev/null | head -n 1)
	if [ -z "$deb" ]; then
		echo "build.sh: no linux-source-$SERIES deb in $cache/debs (run kernel/fetch.sh $cache $SERIES)" >&2
		exit 1
	fi
	rm -rf "$tree" "$out/applied"
	mkdir -p "$tree"
	echo "build.sh: unpacking $(basename "$deb")"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO "./usr/src/linux-source-$SERIES.tar.xz" |
		tar -xJ -C "$tree" --strip-components=1
fi

# The series: revert what the last run applied (in reverse) when it
# differs, then apply the current patches.
cur="$out/current"
rm -rf "$cur"
mkdir -p "$cur"
n=0
for p in $KPATCHES; do
	n=$((n + 1))
	cp "$KSERIES/patches/$p" "$cur/$(printf %04d $n).patch"
done
if [ -d "$out/applied" ] && ! diff -r -q "$out/applied" "$cur" >/dev/null; then
	for p in $(ls "$out/applied" | sort -r); do
		if ! patch -p1 -s -R -d "$tree" <"$out/applied/$p"; then
			echo "build.sh: cannot revert $p of the last build; remove $tree" >&2
			exit 1
		fi
	done
	rm -rf "$out/applied"
fi
if [ ! -d "$out/applied" ]; then
	for p in $(ls "$cur" | sort); do
		kb_apply "$tree" "$cur/$p"
	done
	mv "$cur" "$out/applied"
fi
rm -rf "$cur"

# The configuration: allnoconfig plus the fragment, written only when it
# changed (so an unchanged configuration rebuilds nothing).
cfg="$out/config.new"
(
	cd "$tree"
	make -s KCONFIG_CONFIG="$cfg" allnoconfig >/dev/null
	KCONFIG_CONFIG="$cfg" scripts/kconfig/merge_config.sh -m -Q \
		"$cfg" "$fragment" >/dev/null
	make -s KCONFIG_CONFIG="$cfg" olddefconfig >/dev/null
)
missing=
while IFS= read -r line; do
	case $line in
	CONFIG_*=n)
		opt=${line%%=*}
		if grep -q "^$opt=" "$cfg"; then
			missing="$missing $line"
		fi
		;;
	CONFIG_*)
		if ! grep -qx "$line" "$cfg"; then
			missing="$missing $line"
		fi
		;;
	esac
done <"$fragment"
if [ -n "$missing" ]; then
	echo "build.sh: the configuration did not keep:$missing" >&2
	exit 1
fi
if ! cmp -s "$cfg" "$tree/.config"; then
	mv "$cfg" "$tree/.config"
else
	rm -f "$cfg"
fi
rm -f "$cfg.old"

log="$out/build.log"
if ! make -C "$tree" -j"$(nproc)" bzImage >"$log" 2>&1; then
	tail -n 60 "$log" >&2
	echo "build.sh: the kernel build failed (log: $log)" >&2
	exit 1
fi
if grep -E '^fs/fuse/.*(warning|error):' "$log" >&2; then
	echo "build.sh: fs/fuse builds with warnings (log: $log)" >&2
	exit 1
fi
cp "$tree/arch/x86/boot/bzImage" "$out/bzImage"

# The text of fs/fuse in the kernel, for failslab's stack trace filter
# (test/guest/t-failslab.sh): the longest run of fs/fuse's functions in
# System.map, from its first function to the next symbol after its last,
# and the name of that first function ("START END NAME", hexadecimal).
# Names found more than once in System.map (static helpers, the
# sanitizers' constructors) neither count nor break a run.
nm --defined-only "$tree/fs/fuse/built-in.a" 2>/dev/null |
	awk '$2 ~ /^[tT]$/ { print $3 }' | sort -u >"$out/fuse.syms"
awk 'FNR == 1 { pass++ }
	pass == 1 { f[$1] = 1; next }
	pass == 2 { if ($2 ~ /^[tT]$/) c[$3]++; next }
	$2 !~ /^[tT]$/ || c[$3] > 1 { next }
	{
		if ($3 in f) {
			if (!run) { s = $1; name = $3; len = 0 }
			run = 1; len++
		} else if (run) {
			if (len > best) { best = len; bs = s; be = $1; bn = name }
			run = 0
		}
	}
	END { if (best) print bs, be, bn }' "$out/fuse.syms" \
	"$tree/System.map" "$tree/System.map" >"$out/failslab-range"
if [ ! -s "$out/failslab-range" ]; then
	echo "build.sh: no fs/fuse text found in System.map" >&2
	exit 1
fi

# Everything the guest scripts load with -m is built in.
mkdir -p "$out/modules"
: >"$out/modules/order"
: >"$out/modules/deps"
for m in virtio_pci virtio_blk ext4 crc32c_generic overlay cuse virtiofs xfs; do
	echo "$m:" >>"$out/modules/deps"
done
kver=$(cat "$tree/include/config/kernel.release")
cat >"$out/env" <<ENV
SERIES=$SERIES
KVER=$kver
VMLINUZ=$out/bzImage
STOCK_KO=
MODULES=$out/modules
FUSE=builtin
KERNEL_FLAVOUR=debug
ENV
echo "$key" >"$out/stamp"
echo "build.sh: Linux $kver (debug) in $(($(date +%s) - start)) s: $out/bzImage"
