#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Fetch and unpack what the kernel series of one Linux version and the
# guest suite build on, from Debian's archive, into a private cache
# directory (nothing is installed on the host):
#
#   kernel/fetch.sh CACHE VERSION        VERSION: 6.1 or 6.12
#
#   CACHE/env           shell variables: SERIES (= VERSION), ABI, KVER, HDR,
#                       VMLINUZ, SRC, STOCK_KO, MODULES
#   CACHE/root/         linux-headers-KVER, -common and linux-kbuild
#   CACHE/vmlinuz       the guest kernel of linux-image
#   CACHE/stock/        Debian's own fuse.ko (STOCK_KO; empty where FUSE is
#                       built in, as on 6.12)
#   CACHE/modules/      modules of linux-image the guests load, with what
#                       they depend on: virtio_blk and ext4 (the ext4
#                       lower filesystem), overlay, cuse and virtiofs (the
#                       coexistence test); modules/order is the load order
#                       of all, modules/deps one "NAME: load list" line
#                       per wanted module; built-in ones are left out
#   CACHE/linux-source-VERSION/  fs/fuse, include/uapi/linux/fuse.h and
#                       the checkpatch files of linux-source-VERSION
#   CACHE/debs/         the packages (a deb already there is not
#                       downloaded again)
#
# The kernel ABI follows Debian's metapackages (linux-headers-amd64 for
# 6.1, linux-headers-6.12-amd64 for 6.12), so a security update of the
# archive moves us along with it.  An existing cache is kept (moved caches
# have their paths rewritten; one without the current guest modules gets
# them).  A cache of the old layout, a 6.1 cache at the top of CACHE's
# parent directory (build/kcache before it held one cache per version), is
# moved into CACHE instead of being downloaded again.
set -eu

out=${1:?usage: fetch.sh CACHE VERSION}
version=${2:?usage: fetch.sh CACHE VERSION}
case $version in
6.1 | 6.12) ;;
*)
	echo "fetch.sh: unknown kernel version $version (6.1 or 6.12)" >&2
	exit 2
	;;
esac
mkdir -p "$out"
out=$(cd "$out" && pwd)
debs="$out/debs"

# Modules of linux-image the guests may load; with their dependencies
# (modinfo), minus the ones built into the kernel and minus fuse itself,
# which the guest loads first as the stock module.
guest_mods="virtio_pci virtio_blk ext4 crc32c_generic overlay cuse virtiofs"

# Old layout: move the parent's 6.1 cache here.
parent=$(dirname "$out")
if [ "$version" = 6.1 ] && [ ! -f "$out/env" ] && [ -f "$parent/env" ] &&
	[ ! -L "$parent/env" ] && ! grep -q '^SERIES=' "$parent/env"; then
	for f in env debs root vmlinuz stock modules linux-source-6.1; do
		if [ -e "$parent/$f" ]; then
			mv "$parent/$f" "$out/"
		fi
	done
	echo "fetch.sh: the 6.1 cache of $parent moved into $out"
fi

# relocate: a cache that was moved still names its old directory in env
# and in the headers' Makefile; point both at OUT.
relocate() {
	old=$(sed -n 's|^VMLINUZ=\(.*\)/vmlinuz$|\1|p' "$out/env")
	if [ -n "$old" ] && [ "$old" != "$out" ]; then
		sed -i "s|$old/|$out/|g" "$out/env"
		for mk in "$out"/root/usr/src/linux-headers-*/Makefile; do
			sed -i "s|^include $old/|include $out/|" "$mk"
		done
		echo "fetch.sh: cache paths moved from $old to $out"
	fi
	if ! grep -q '^SERIES=' "$out/env"; then
		echo "SERIES=$version" >>"$out/env"
	fi
}

# ko_path NAME: the extracted module file NAME.ko[.xz] under $out/img, or
# nothing.
ko_path() {
	find "$out/img" \( -name "$1.ko" -o -name "$1.ko.xz" \) | head -n 1
}

# add_mod NAME: NAME and its dependencies, depth first, appended to
# $out/mods.tmp (once each); built-in modules are skipped.
add_mod() {
	am_name=$1
	case $am_name in
	fuse) return 0 ;;
	esac
	if grep -qx "$am_name" "$out/mods.tmp"; then
		return 0
	fi
	am_ko=$(ko_path "$am_name")
	if [ -z "$am_ko" ]; then
		am_alt=$(echo "$am_name" | tr _ -)
		am_ko=$(ko_path "$am_alt")
	fi
	if [ -z "$am_ko" ]; then
		if grep -q "/$am_name.ko\$" "$out/img/modules.builtin" ||
			grep -q "/$(echo "$am_name" | tr _ -).ko\$" \
				"$out/img/modules.builtin"; then
			return 0
		fi
		echo "fetch.sh: module $am_name is neither in the image nor built in" >&2
		exit 1
	fi
	for am_dep in $(modinfo -F depends "$am_ko" | tr , ' '); do
		add_mod "$am_dep"
	done
	# Nested calls changed am_name and am_ko.
	am_ko=$(ko_path "$1")
	[ -n "$am_ko" ] || am_ko=$(ko_path "$(echo "$1" | tr _ -)")
	echo "$1" >>"$out/mods.tmp"
	case $am_ko in
	*.xz) xz -dc "$am_ko" >"$out/modules/$1.ko" ;;
	*) cp "$am_ko" "$out/modules/$1.ko" ;;
	esac
}

# guest_modules: unpack the guest modules from the linux-image deb (fetched
# again if it is gone) into OUT/modules, write order and deps, and name the
# directory in OUT/env.
guest_modules() {
	. "$out/env"
	mkdir -p "$debs"
	if ! ls "$debs"/"$IMG_PKG"_*.deb >/dev/null 2>&1; then
		(cd "$debs" && apt-get download -q "$IMG_PKG" >/dev/null)
	fi
	gm_img=$(ls "$debs"/"$IMG_PKG"_*.deb)
	rm -rf "$out/modules" "$out/img"
	mkdir -p "$out/modules" "$out/img"
	m="./lib/modules/$KVER"
	dpkg-deb --fsys-tarfile "$gm_img" | tar -x -C "$out/img" --wildcards \
		"$m/modules.builtin" "$m/kernel/fs/*" "$m/kernel/lib/*" \
		"$m/kernel/crypto/*" "$m/kernel/drivers/virtio/*" \
		"$m/kernel/drivers/block/*"
	mv "$out/img/lib/modules/$KVER/modules.builtin" "$out/img/"
	: >"$out/modules/deps"
	for w in $guest_mods; do
		: >"$out/mods.tmp"
		add_mod "$w"
		if [ -s "$out/mods.tmp" ]; then
			echo "$w: $(tr '\n' ' ' <"$out/mods.tmp" | sed 's/ $//')" \
				>>"$out/modules/deps"
		fi
	done
	# One load order for all: the deps lines in turn, each module once.
	tr ' ' '\n' <"$out/modules/deps" | grep -v ':$' | grep . |
		awk '!seen[$0]++' >"$out/modules/order"
	echo "$guest_mods" >"$out/modules/wanted"
	rm -rf "$out/img" "$out/mods.tmp"
	sed -i '/^MODULES=/d' "$out/env"
	echo "MODULES=$out/modules" >>"$out/env"
}

if [ -f "$out/env" ]; then
	relocate
	. "$out/env"
	if [ "$SERIES" != "$version" ]; then
		echo "fetch.sh: $out holds a $SERIES cache, not $version" >&2
		exit 1
	fi
	if ! grep -q '^IMG_PKG=' "$out/env"; then
		# Caches of older fetch.sh runs (6.1): the image was the signed one.
		echo "IMG_PKG=linux-image-$KVER" >>"$out/env"
	fi
	# A cache of an older fetch.sh has other guest modules: redo them.
	if [ "$(cat "$out/modules/wanted" 2>/dev/null)" != "$guest_mods" ]; then
		guest_modules
		echo "fetch.sh: guest modules of $out brought up to date"
	fi
	exit 0
fi

case $version in
6.1)
	meta=linux-headers-amd64
	abi_re='6\.1\.0-[0-9]*'
	;;
6.12)
	meta=linux-headers-6.12-amd64
	abi_re='6\.12\.[0-9]*+deb[0-9]*'
	;;
esac
abi=$(apt-cache depends "$meta" 2>/dev/null |
	sed -n "s/.*Depends: linux-headers-\\($abi_re\\)-amd64\$/\\1/p" |
	head -n 1)
if [ -z "$abi" ]; then
	echo "fetch.sh: cannot resolve the $version kernel ABI from $meta (run apt-get update)" >&2
	exit 1
fi
kver="$abi-amd64"
case $version in
6.1)
	img_pkg="linux-image-$kver"
	kbuild_pkg=linux-kbuild-6.1
	;;
6.12)
	img_pkg="linux-image-$kver-unsigned"
	kbuild_pkg="linux-kbuild-$abi"
	;;
esac

mkdir -p "$debs"
for p in "$img_pkg" "linux-headers-$kver" "linux-headers-$abi-common" \
	"$kbuild_pkg" "linux-source-$version"; do
	# A deb of the archive's version already in debs/ is kept; older
	# ones (linux-source-VERSION and the 6.1 kbuild keep their names
	# across updates) are replaced.
	ver=$(apt-cache show --no-all-versions "$p" 2>/dev/null |
		sed -n 's/^Version: //p' | head -n 1)
	if [ -z "$ver" ]; then
		echo "fetch.sh: $p is not in the archive (run apt-get update)" >&2
		exit 1
	fi
	if ! ls "$debs/${p}_${ver}_"*.deb >/dev/null 2>&1; then
		rm -f "$debs/${p}_"*.deb
		(cd "$debs" && apt-get download -q "$p" >/dev/null)
	fi
done

rm -rf "$out/root" "$out/stock" "$out/linux-source-$version" "$out/img"
mkdir -p "$out/root" "$out/stock" "$out/img"
for d in "$debs/linux-headers-${kver}_"*.deb \
	"$debs/linux-headers-$abi-common_"*.deb "$debs/${kbuild_pkg}_"*.deb; do
	dpkg-deb -x "$d" "$out/root"
done
hdr="$out/root/usr/src/linux-headers-$kver"
# The flavour Makefile includes the common one by absolute path.
sed -i "s|^include /usr/src/|include $out/root/usr/src/|" "$hdr/Makefile"

img=$(ls "$debs/${img_pkg}_"*.deb)
dpkg-deb --fsys-tarfile "$img" | tar -x -C "$out/img" --wildcards \
	"./boot/vmlinuz-$kver" "./lib/modules/$kver/kernel/fs/fuse/*"
mv "$out/img/boot/vmlinuz-$kver" "$out/vmlinuz"
stock_ko=
for ko in "$out/img/lib/modules/$kver/kernel/fs/fuse/fuse.ko"*; do
	if [ -f "$ko" ]; then
		case $ko in
		*.xz) xz -dc "$ko" >"$out/stock/fuse.ko" ;;
		*) mv "$ko" "$out/stock/fuse.ko" ;;
		esac
		stock_ko="$out/stock/fuse.ko"
	fi
done
rm -rf "$out/img"

src=$(ls "$debs/linux-source-${version}_"*.deb)
mkdir -p "$out/srcdeb"
dpkg-deb --fsys-tarfile "$src" | tar -x -C "$out/srcdeb" \
	"./usr/src/linux-source-$version.tar.xz"
s="linux-source-$version"
xz -T2 -dc "$out/srcdeb/usr/src/$s.tar.xz" | tar -x -C "$out" \
	--wildcards "$s/fs/fuse/*" "$s/include/uapi/linux/fuse.h" \
	"$s/scripts/checkpatch.pl" "$s/scripts/spelling.txt" \
	"$s/scripts/const_structs.checkpatch"
rm -rf "$out/srcdeb"

cat >"$out/env" <<EOF
SERIES=$version
ABI=$abi
KVER=$kver
IMG_PKG=$img_pkg
HDR=$hdr
VMLINUZ=$out/vmlinuz
STOCK_KO=$stock_ko
SRC=$out/$s
EOF
guest_modules
echo "fetch.sh: kernel $kver ready in $out"
