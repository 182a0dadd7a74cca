#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The main job: build libfuse-bpf, mount example/passthrough_bpf over a
# sample tree in each mode this kernel offers, run a short workload through
# the mount, and show the mode and the requests that reached userspace.
# Run as root on Debian 12.  The modes are passthrough and userspace, and
# fuse-bpf where the running kernel can have the module: a Debian 6.1 or
# 6.12 kernel, for which this script builds fuse-bpf.ko from the DKMS
# source tree (linux-source and linux-headers of that kernel from Debian's
# archive), loads it beside the system's FUSE and unloads it at the end.
# Elsewhere it says in one line why fuse-bpf is not shown and which
# command shows it in a QEMU guest.  MODES overrides the list.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh scripts/deps.sh
build=${BUILD:-build}
[ -d "$build" ] || meson setup "$build"
ninja -C "$build" >/dev/null

work=$(mktemp -d /tmp/fuse-bpf-demo.XXXXXX)
mnt="$work/mnt"
loaded=
cleanup() {
	mountpoint -q "$mnt" 2>/dev/null && umount -l "$mnt"
	[ -n "$loaded" ] && rmmod fuse-bpf 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

src="$work/src"
mkdir -p "$src/docs/a/b" "$src/data" "$mnt"
for i in $(seq 1 50); do
	echo "note $i" >"$src/docs/note$i.txt"
done
head -c 16777216 /dev/urandom >"$src/data/blob"
ln -s ../data/blob "$src/docs/a/b/link"

workload() {
	ls -lR "$1" >/dev/null
	cat "$1"/docs/note*.txt >/dev/null
	sha256sum "$1/data/blob" >/dev/null
	cp "$1/data/blob" "$1/data/copy"
	cmp "$1/data/blob" "$1/data/copy"
	rm "$1/data/copy"
	mkdir "$1/new" && echo hello >"$1/new/file" && mv "$1/new/file" "$1/new/renamed"
	rm -r "$1/new"
}

# fuse_bpf_module: make fuse-bpf.ko available on this kernel, or say why
# it cannot be and return 1.
fuse_bpf_module() {
	feature=/sys/fs/fuse-bpf/features/fuse_bpf
	[ "$(cat "$feature" 2>/dev/null)" = supported ] && return 0
	kver=$(uname -r)
	series=$(echo "$kver" | sed -n 's/^\(6\.1\|6\.12\)\..*/\1/p')
	if [ -z "$series" ] || [ ! -f "kernel/$series/series" ]; then
		echo "== fuse-bpf mode not shown: this machine runs Linux $kver, and fuse-bpf.ko is for Debian's 6.1 and 6.12 kernels; see it in a QEMU guest with: meson test -C $build guest-6.1-fuse-bpf-mode guest-6.12-fuse-bpf-mode"
		return 1
	fi
	echo "== building fuse-bpf.ko for Linux $kver"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -qq "linux-headers-$kver" "linux-source-$series" \
		dwarves >/dev/null; then
		echo "== fuse-bpf mode not shown: linux-headers-$kver or linux-source-$series is not in the archive"
		return 1
	fi
	sh kernel/dkms/mksrc.sh "$work/dkms" demo >/dev/null &&
		make -s -C "$work/dkms" KVER="$kver" >"$work/dkms.log" 2>&1 &&
		insmod "$work/dkms/fuse-bpf.ko" || {
		echo "== fuse-bpf mode not shown: the module did not build or load (log: kept below)"
		tail -n 20 "$work/dkms.log" 2>/dev/null
		return 1
	}
	loaded=yes
}

modes=${MODES:-}
if [ -z "$modes" ]; then
	modes="passthrough userspace"
	fuse_bpf_module && modes="fuse-bpf $modes"
fi

for mode in $modes; do
	echo "== passthrough_bpf --mode=$mode"
	"$build/example/passthrough_bpf" --mode="$mode" --stats="$work/stats.json" \
		"$src" "$mnt"
	workload "$mnt"
	umount "$mnt"
	i=0
	while [ ! -s "$work/stats.json" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	python3 - "$work/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"mode: {s['mode']}")
print(f"{'opcode':<16}{'daemon':>8}{'library':>9}")
for op, c in sorted(s["requests"].items()):
    print(f"{op:<16}{c['daemon']:>8}{c['library']:>9}")
PY
	rm -f "$work/stats.json"
done
