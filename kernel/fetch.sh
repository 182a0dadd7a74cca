#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Fetch and unpack what the kernel series and the guest suite build on,
# from Debian's archive, into a private cache directory (nothing is
# installed on the host):
#
#   OUT/env             shell variables: ABI, KVER, HDR, VMLINUZ, SRC, STOCK_KO
#   OUT/root/           linux-headers-ABI-amd64, -common and linux-kbuild-6.1
#   OUT/vmlinuz         the guest kernel of linux-image-ABI-amd64
#   OUT/stock/fuse.ko   Debian's own fuse module, for the stock-module run
#   OUT/linux-source-6.1/  fs/fuse, include/uapi/linux/fuse.h and the
#                       checkpatch files of linux-source-6.1
#
# The kernel ABI (6.1.0-N) is the one Debian's linux-headers-amd64
# metapackage points at, so a security update of the archive moves us along
# with it.  Usage: kernel/fetch.sh OUT
set -eu

out=${1:?usage: fetch.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ -f "$out/env" ]; then
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

debs="$out/debs"
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
echo "fetch.sh: kernel $kver ready in $out"
