#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Check the fuse-bpf series patch by patch:
#
#   kernel/check.sh CACHE
#
# For each patch of kernel/series, in order, the patches up to and
# including it are applied to a fresh copy of CACHE's fs/fuse (through
# build.sh), fuse.ko is built with W=1 and must build without a single
# warning, and checkpatch.pl --strict of the same linux-source package must
# report nothing for the patch.  The one check left out is
# FILE_PATH_CHANGES (a new file should be listed in MAINTAINERS), as the
# series applies to fs/fuse alone, which has no MAINTAINERS file.  One line is printed per patch, then a
# summary; the exit status is non-zero if anything failed.
set -eu

cache=${1:?usage: check.sh CACHE}
here=$(cd "$(dirname "$0")" && pwd)
. "$cache/env"

work=$(mktemp -d /tmp/fuse-bpf-check.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

checkpatch="$SRC/scripts/checkpatch.pl"
patches=$(grep -v '^[[:space:]]*\(#\|$\)' "$here/series" || true)
n=0
failed=0
: >"$work/series"
for p in $patches; do
	n=$((n + 1))
	echo "$p" >>"$work/series"
	build=ok
	if ! SERIES="$work/series" KBUILD_W=1 "$here/build.sh" "$cache" \
		"$work/out" >"$work/build.txt" 2>&1; then
		build=FAIL
		sed 's/^/    /' "$work/build.txt"
	fi
	style=ok
	if ! perl "$checkpatch" --no-tree --strict --quiet \
		--ignore FILE_PATH_CHANGES \
		"$here/patches/$p" >"$work/style.txt" 2>&1; then
		style=FAIL
		sed 's/^/    /' "$work/style.txt"
	fi
	if [ $build = ok ] && [ $style = ok ]; then
		status=PASS
	else
		status=FAIL
		failed=$((failed + 1))
	fi
	printf '%s %s: build W=1 %s, checkpatch --strict %s\n' \
		"$status" "$p" "$build" "$style"
done
echo "check.sh: $n patches, $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
