#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Check the fuse-bpf series of a cache's Linux version patch by patch, then
# the out-of-tree renaming on top of it:
#
#   kernel/check.sh CACHE
#
# The patches of kernel/SERIES/series (SERIES from CACHE/env) are applied
# in order to one copy of CACHE's fs/fuse, and after each one the module is
# built with W=1 and must build without a single warning; then
# kernel/SERIES/coexist.patch is applied and fuse-bpf.ko is built the same
# way.  The builds are incremental: make rebuilds only the objects whose
# sources (or included headers) the last patch changed, instead of a full
# build of a fresh copy per patch.  checkpatch.pl --strict of the same
# linux-source package must report nothing for each patch and for
# coexist.patch.  The one check left out is FILE_PATH_CHANGES (a new file
# should be listed in MAINTAINERS), as the series applies to fs/fuse
# alone, which has no MAINTAINERS file.  One line is printed per patch,
# then a summary; the exit status is non-zero if anything failed.  After a
# patch that does not apply, the later ones are only checkpatch'ed.
set -eu

cache=${1:?usage: check.sh CACHE}
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
kb_env "$cache"

work=$(mktemp -d /tmp/fuse-bpf-check.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM

checkpatch="$SRC/scripts/checkpatch.pl"
tree="$work/src"
kb_prepare "$tree"
n=0
failed=0
broken=
# The series alone builds fuse.ko, which modpost refuses where the kernel
# has FUSE built in (the same symbols exported twice): there, the series'
# builds stop at fuse.o (every object compiled with W=1 and linked), and
# only coexist.patch's fuse-bpf.ko goes through modpost.
series_target=modules
if kb_fuse_builtin; then
	series_target=fuse.o
	echo "check.sh: FUSE is built into Linux $SERIES: the series' builds stop at fuse.o (no modpost), coexist.patch builds fuse-bpf.ko"
fi
start=$(date +%s)
for p in $KPATCHES coexist.patch; do
	n=$((n + 1))
	if [ "$p" = coexist.patch ]; then
		file="$KSERIES/coexist.patch"
	else
		file="$KSERIES/patches/$p"
	fi
	build=ok
	target=$series_target
	if [ "$p" = coexist.patch ]; then
		target=modules
	fi
	if [ -n "$broken" ]; then
		build="skipped (after $broken)"
	elif ! kb_apply "$tree" "$file" >"$work/build.txt" 2>&1; then
		build="FAIL (does not apply)"
		broken=$p
		sed 's/^/    /' "$work/build.txt"
	elif ! kb_make "$tree" "$work/build.log" 1 "$target" \
		>"$work/build.txt" 2>&1; then
		build=FAIL
		sed 's/^/    /' "$work/build.txt"
	fi
	style=ok
	if ! perl "$checkpatch" --no-tree --strict --quiet \
		--ignore FILE_PATH_CHANGES "$file" >"$work/style.txt" 2>&1; then
		style=FAIL
		sed 's/^/    /' "$work/style.txt"
	fi
	if [ "$build" = ok ] && [ $style = ok ]; then
		status=PASS
	else
		status=FAIL
		failed=$((failed + 1))
	fi
	printf '%s %s: build W=1 %s, checkpatch --strict %s\n' \
		"$status" "$p" "$build" "$style"
done
if [ -z "$broken" ] && [ ! -f "$tree/fs/fuse/fuse-bpf.ko" ]; then
	echo "FAIL coexist.patch: no fuse-bpf.ko was built"
	failed=$((failed + 1))
fi
echo "check.sh: Linux $SERIES, $n patches (series and coexist.patch), $((n - failed)) passed, $failed failed ($(($(date +%s) - start)) s)"
[ $failed -eq 0 ]
