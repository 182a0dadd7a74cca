#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The manual pages: every function libfuse-bpf.so exports has its page in
# section 3, every example program its page in section 1, and man(1)
# renders each without a warning.
#
#   check.sh LIBRARY.so MANDIR PROGRAM...
set -u

so=$1
mandir=$2
shift 2

command -v man > /dev/null || { echo "SKIP: no man (man-db)"; exit 77; }
command -v nm > /dev/null || { echo "SKIP: no nm (binutils)"; exit 77; }

fails=0
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

syms=$(nm -D --defined-only "$so" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }')
[ -n "$syms" ] || fail "no exported functions in $so"
for s in $syms; do
	[ -f "$mandir/$s.3" ] || fail "$s is exported but has no page $s.3"
done
for p in "$@"; do
	name=$(basename "$p")
	[ -f "$mandir/$name.1" ] || fail "example $name has no page $name.1"
done
# Pages of functions that are no longer exported.
for page in "$mandir"/*.3; do
	name=$(basename "$page" .3)
	echo "$syms" | grep -qx "$name" || fail "$name.3 documents no exported function"
done

for page in "$mandir"/*.[13]; do
	out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 > /dev/null)
	[ -z "$out" ] || fail "$(basename "$page"): $out"
	MANWIDTH=80 man -l "$page" 2> /dev/null | grep -q . ||
		fail "$(basename "$page") renders nothing"
done

n=$(ls "$mandir"/*.[13] | wc -l)
if [ "$fails" -ne 0 ]; then
	echo "$fails failed"
	exit 1
fi
echo "PASS: $n pages, $(echo "$syms" | wc -l) exported functions"
