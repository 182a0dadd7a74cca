#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The main job: build libfuse-bpf, mount example/passthrough_bpf over a
# sample tree in each mode this kernel offers, run a short workload through
# the mount, and show the mode and the requests that reached userspace.
# Run as root on Debian 12.  MODES="passthrough userspace" by default
# (fuse-bpf mode needs the patched kernel: see `meson test --suite guest`).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh scripts/deps.sh
build=${BUILD:-build}
[ -d "$build" ] || meson setup "$build"
ninja -C "$build" >/dev/null

work=$(mktemp -d /tmp/fuse-bpf-demo.XXXXXX)
mnt="$work/mnt"
cleanup() {
	mountpoint -q "$mnt" 2>/dev/null && umount -l "$mnt"
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

for mode in ${MODES:-passthrough userspace}; do
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
