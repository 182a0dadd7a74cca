#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# ci.sh BUILDDIR: the short benchmark of scripts/test.sh's bench phase.
# It checks that the benchmark runs and produces its report: the tables
# (one row per target) and the PNG plots, on the host (tmpfs and ext4
# lowers) and in the guest of the first kernel series with a module in
# BUILDDIR; not the numbers (-k: SUSPECT results do not fail it, one
# round of tiny workloads decides nothing).  The report goes to a
# temporary directory, doc/ is left alone.
set -eu

[ $# -eq 1 ] || {
	echo "usage: ci.sh BUILDDIR" >&2
	exit 2
}
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/fbpf-bench-ci.XXXXXX")
trap 'rm -rf "$out"' EXIT
short="-r 1 -m 0 -s 8 -c 256 -f 100 -p 1 -e 500 -z 0 -k"

# check REPORT SECTIONS TARGETS...: SECTIONS "## " headings, each with
# both tables and a row for every target, and every plot it links.
check() {
	report=$1
	sections=$2
	shift 2
	n=$(grep -c '^## ' "$report" || true)
	[ "$n" -eq "$sections" ] || {
		echo "ci.sh: $report: $n sections, expected $sections" >&2
		return 1
	}
	for t in "$@"; do
		# a row in the I/O table, the metadata table and the plot data
		rows=$(grep -c "^| $t | " "$report" || true)
		[ "$rows" -ge $((2 * sections)) ] || {
			echo "ci.sh: $report: $rows rows for $t" >&2
			return 1
		}
	done
	for png in $(sed -n 's/^!\[.*\](\(.*\.png\))$/\1/p' "$report"); do
		f=$(dirname "$report")/$png
		[ "$(head -c 4 "$f" 2>/dev/null | tail -c 3)" = PNG ] || {
			echo "ci.sh: $f is missing or not a PNG" >&2
			return 1
		}
	done
	[ "$(grep -c '^!\[' "$report")" -eq "$sections" ] || {
		echo "ci.sh: $report: a section without its plot" >&2
		return 1
	}
}

mkdir -p "$out/host"
# shellcheck disable=SC2086
sh "$here/run.sh" -b "$build" -d "tmpfs,${TMPDIR:-/var/tmp}" $short \
	-w seqread,randwrite,create,readdir,untar \
	-P "$out/host/bench" -o "$out/host/benchmarks.md"
check "$out/host/benchmarks.md" 2 native userspace passthrough_ll bindfs
echo "ci.sh: host report and plots produced"

for v in 6.12 6.1; do
	[ -f "$build/test/guest/fuse-bpf-$v.ko" ] || continue
	mkdir -p "$out/guest"
	# shellcheck disable=SC2086
	VERSION=$v TIMEOUT=900 sh "$here/guest.sh" "$build" \
		"$out/guest/benchmarks.md" $short \
		-w seqread,randwrite,create,readdir,untar >"$out/guest.log" 2>&1 || {
		cat "$out/guest.log"
		exit 1
	}
	check "$out/guest/benchmarks.md" 2 native fuse-bpf userspace passthrough_ll
	echo "ci.sh: guest ($v) report and plots produced"
	exit 0
done
echo "ci.sh: no test/guest/fuse-bpf-VERSION.ko in $build: no guest run" >&2
exit 1
