# SPDX-License-Identifier: GPL-2.0
#
# Shared by kernel/build.sh and kernel/check.sh (sourced, not run):
#
#   kb_env CACHE            read CACHE/env; KSERIES is the series directory
#                           (kernel/$SERIES), KPATCHES its patch list
#   kb_prepare TREE         TREE/fs/fuse and TREE/include/uapi/linux/fuse.h
#                           copied from CACHE's linux-source, with the
#                           Kbuild file that builds them out of tree
#   kb_apply TREE PATCH     patch -p1 PATCH on TREE
#   kb_make TREE LOG [W] [TARGET]
#                           build TREE/fs/fuse against CACHE's headers
#                           (W=1 when W is 1); any warning or error in LOG
#                           fails it.  make rebuilds only what changed
#                           since the last kb_make of TREE.  TARGET is
#                           "modules" (the default: compile, modpost, the
#                           .ko) or fuse.o (compile and link the object,
#                           no modpost)
#   kb_fuse_builtin         CACHE's kernel has FUSE built in (6.12): it
#                           exports the fuse_* symbols itself, so modpost
#                           refuses a fuse.ko of the series alone
#                           ("exported twice"); only fuse-bpf.ko (no
#                           exports) gets through

kb_here=$(cd "$(dirname "$0")" && pwd)

kb_env() {
	if [ ! -f "$1/env" ]; then
		echo "$(basename "$0"): $1/env missing (run kernel/fetch.sh $1 VERSION)" >&2
		exit 1
	fi
	. "$1/env"
	if [ -z "${SERIES:-}" ]; then
		echo "$(basename "$0"): $1/env names no SERIES (run kernel/fetch.sh $1 VERSION)" >&2
		exit 1
	fi
	KSERIES="$kb_here/$SERIES"
	if [ ! -f "$KSERIES/series" ]; then
		echo "$(basename "$0"): no series for Linux $SERIES ($KSERIES/series)" >&2
		exit 1
	fi
	KPATCHES=$(grep -v '^[[:space:]]*\(#\|$\)' "$KSERIES/series" || true)
}

kb_prepare() {
	rm -rf "$1"
	mkdir -p "$1/fs" "$1/include/uapi/linux"
	cp -r "$SRC/fs/fuse" "$1/fs/fuse"
	cp "$SRC/include/uapi/linux/fuse.h" "$1/include/uapi/linux/fuse.h"
	# A Kbuild file is read instead of the Makefile beside it; it puts
	# the patched uapi directory ahead of the headers package's
	# include/uapi.
	cat >"$1/fs/fuse/Kbuild" <<'KBUILD'
NOSTDINC_FLAGS += -I$(src)/../../include/uapi
include $(src)/Makefile
KBUILD
}

kb_apply() {
	if ! patch -p1 -s -N -d "$1" <"$2"; then
		echo "$(basename "$0"): $(basename "$2") does not apply" >&2
		return 1
	fi
}

# CONFIG_FUSE_FS=m: a module even where the kernel has FUSE built in (the
# series' own Makefile says obj-$(CONFIG_FUSE_FS)); CUSE and virtiofs are
# not built.
kb_make() {
	if ! make -C "$HDR" M="$1/fs/fuse" CONFIG_FUSE_FS=m CONFIG_CUSE= \
		CONFIG_VIRTIO_FS= W="${3:-}" -j"$(nproc)" "${4:-modules}" \
		>"$2" 2>&1; then
		cat "$2" >&2
		echo "$(basename "$0"): build failed" >&2
		return 1
	fi
	if grep -Ei 'warning|error' "$2" >&2; then
		echo "$(basename "$0"): the build produced warnings (log: $2)" >&2
		return 1
	fi
}

kb_fuse_builtin() {
	grep -q '^CONFIG_FUSE_FS=y' "$HDR/.config"
}
