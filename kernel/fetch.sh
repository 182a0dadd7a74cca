#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Fetch and unpack what the kernel series and the guest suite build on,
# from Debian's archive, into a private cache directory (nothing is
# installed on the host):
#
#   OUT/env             shell variables: ABI, KVER, HDR, VMLINUZ, SRC, STOCK_KO,
#                       MODULES
#   OUT/root/           linux-headers-ABI-amd64, -common and linux-kbuild-6.1
#   OUT/vmlinuz         the guest kernel of linux-image-ABI-amd64
#   OUT/stock/fuse.ko   Debian's own fuse module, for the stock-module run
#   OUT/modules/        virtio_blk, ext4 and what they need (the guest's
#                       ext4 lower filesystem), load order in modules/order
#   OUT/linux-source-6.1/  fs/fuse, include/uapi/linux/fuse.h and the
#                       checkpatch files of linux-source-6.1
#
# The kernel ABI (6.1.0-N) is the one Debian's linux-headers-amd64
# metapackage points at, so a security update of the archive moves us along
# with it.  An existing cache is kept; one made before the guest modules
# were part of it gets them.  Usage: kernel/fetch.sh OUT
set -eu

out=${1:?usage: fetch.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

debs="$out/debs"
# Modules of linux-image the guest suite loads for its ext4 lower
# filesystem, in load order (each after what `modinfo -F depends` names).
guest_mods="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev
	virtio_pci virtio_blk crc16 mbcache jbd2 crc32c_generic ext4"

# guest_modules KVER: unpack guest_mods from the linux-image deb (fetched
# again if it is gone) into OUT/modules, with their order in
# OUT/modules/order, and name the directory in OUT/env.
guest_modules() {
	mkdir -p "$debs"
	if ! ls "$debs"/linux-image-"$1"_*.deb >/dev/null 2>&1; then
		(cd "$debs" && apt-get download -q "linux-image-$1" >/dev/null)
	fi
	gm_img=$(ls "$debs"/linux-image-"$1"_*.deb)
	rm -rf "$out/modules" "$out/img"
	mkdir -p "$out/modules" "$out/img"
	gm_kver=$1
	set --
	for m in $guest_mods; do
		set -- "$@" "./lib/modules/$gm_kver/kernel/*/$m.ko"
	done
	dpkg-deb --fsys-tarfile "$gm_img" | tar -x -C "$out/img" --wildcards "$@"
	for m in $guest_mods; do
		gm_ko=$(find "$out/img" -name "$m.ko" | head -n 1)
		if [ -z "$gm_ko" ]; then
			echo "fetch.sh: $m.ko is not in $gm_img" >&2
			exit 1
		fi
		mv "$gm_ko" "$out/modules/"
		echo "$m" >>"$out/modules/order"
	done
	rm -rf "$out/img"
	sed -i '/^MODULES=/d' "$out/env"
	echo "MODULES=$out/modules" >>"$out/env"
}

if [ -f "$out/env" ]; then
	# A cache of an older fetch.sh has no guest modules: add them.
	if [ ! -f "$out/modules/order" ] ||
		[ "$(tr '\n' ' ' <"$out/modules/order")" != \
		"$(echo $guest_mods) " ]; then
		. "$out/env"
		guest_modules "$KVER"
		echo "fetch.sh: guest modules added to $out"
	fi
	exit 0
fi

abi=$(apt-cache depends linux-headers-amd64 2>/dev/null |
	sed -n 's/.*Depends: linux-headers-\(6\.1\.0-[0-9]*\)-amd64.*/\1/p' |
	head -n 1)
if [ -z "$abi" ]; then
	echo "fetch.sh: cannot resolve the 6.1 kernel ABI (run apt-get update)" >&2
	exit 1
fi
kver="$abi-amd64"

mkdir -p "$debs"
(cd "$debs" && apt-get download -q \
	"linux-image-$kver" "linux-headers-$kver" "linux-headers-$abi-common" \
	linux-kbuild-6.1 linux-source-6.1 >/dev/null)

rm -rf "$out/root" "$out/stock" "$out/linux-source-6.1" "$out/img"
mkdir -p "$out/root" "$out/stock" "$out/img"
for d in "$debs"/linux-headers-*.deb "$debs"/linux-kbuild-6.1_*.deb; do
	dpkg-deb -x "$d" "$out/root"
done
hdr="$out/root/usr/src/linux-headers-$kver"
# The flavour Makefile includes the common one by absolute path.
sed -i "s|^include /usr/src/|include $out/root/usr/src/|" "$hdr/Makefile"

img=$(ls "$debs"/linux-image-"$kver"_*.deb)
dpkg-deb --fsys-tarfile "$img" | tar -x -C "$out/img" \
	"./boot/vmlinuz-$kver" \
	"./lib/modules/$kver/kernel/fs/fuse/fuse.ko"
mv "$out/img/boot/vmlinuz-$kver" "$out/vmlinuz"
mv "$out/img/lib/modules/$kver/kernel/fs/fuse/fuse.ko" "$out/stock/fuse.ko"
rm -rf "$out/img"

src=$(ls "$debs"/linux-source-6.1_*.deb)
mkdir -p "$out/srcdeb"
dpkg-deb --fsys-tarfile "$src" | tar -x -C "$out/srcdeb" \
	./usr/src/linux-source-6.1.tar.xz
xz -T2 -dc "$out/srcdeb/usr/src/linux-source-6.1.tar.xz" | tar -x -C "$out" \
	--wildcards 'linux-source-6.1/fs/fuse/*' \
	'linux-source-6.1/include/uapi/linux/fuse.h' \
	'linux-source-6.1/scripts/checkpatch.pl' \
	'linux-source-6.1/scripts/spelling.txt' \
	'linux-source-6.1/scripts/const_structs.checkpatch'
rm -rf "$out/srcdeb"

cat >"$out/env" <<EOF
ABI=$abi
KVER=$kver
HDR=$hdr
VMLINUZ=$out/vmlinuz
STOCK_KO=$out/stock/fuse.ko
SRC=$out/linux-source-6.1
EOF
guest_modules "$kver"
echo "fetch.sh: kernel $kver ready in $out"
