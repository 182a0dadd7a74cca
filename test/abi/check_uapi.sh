#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The kernel series and libfuse-bpf must agree on the fuse-bpf wire ABI byte
# for byte: compile uapi_layout.c against each header and compare.
#
#   check_uapi.sh SRCDIR KERNEL_INCLUDE_DIR WORKDIR
set -eu

src=$1
kinc=$2
work=$3
cc=${CC:-cc}

if [ ! -f "$kinc/linux/fuse.h" ]; then
	echo "check_uapi: $kinc/linux/fuse.h missing (the module build writes it)"
	exit 1
fi
grep -q fuse_bpf_entry_out "$kinc/linux/fuse.h" || {
	echo "check_uapi: the patched <linux/fuse.h> has no fuse-bpf ABI"
	exit 1
}
mkdir -p "$work"
$cc -Wall -Werror -DFROM_KERNEL -I"$kinc" -o "$work/layout-kernel" \
	"$src/test/abi/uapi_layout.c"
$cc -Wall -Werror $(pkg-config --cflags fuse3) -I"$src/include" \
	-o "$work/layout-lib" "$src/test/abi/uapi_layout.c"
"$work/layout-kernel" >"$work/kernel.txt"
"$work/layout-lib" >"$work/lib.txt"
if ! diff -u "$work/kernel.txt" "$work/lib.txt"; then
	echo "FAIL: kernel and library fuse-bpf ABI differ"
	exit 1
fi
echo "PASS: $(wc -l <"$work/lib.txt") ABI facts agree"
echo "1 passed, 0 failed"
