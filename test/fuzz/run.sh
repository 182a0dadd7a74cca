#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# usage: run.sh BUILDDIR [SECONDS_PER_TARGET] [TARGET...]
#
# A bounded run of the library's libFuzzer targets, from a build made
# with clang and -Dfuzz=enabled (see test/fuzz/README.md).  Each target
# starts from its corpus in test/fuzz/corpus/TARGET (left untouched: new
# inputs go to a temporary directory) with a fixed seed, FUZZ_SEED or
# 1, and runs for SECONDS_PER_TARGET (default 30).  Prints one line per
# target, "fuzz-lib TARGET: N runs, seed S", and fails when any target
# reports a crash, a failed property, a leak or a sanitizer error; the
# input that did it is kept in BUILDDIR/fuzz-artifacts/ and the line says
# how to replay it.
set -u

[ $# -ge 1 ] || { echo "usage: $0 BUILDDIR [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2; }
build=$1
secs=${2:-30}
shift
[ $# -gt 0 ] && shift
seed=${FUZZ_SEED:-1}
here=$(cd "$(dirname "$0")" && pwd)
targets=${*:-request init dispatch reply_filter blocks stats options}

work=$(mktemp -d /tmp/fbpf-fuzz.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP
keep=$build/fuzz-artifacts

# Leaks count as failures; UBSan stops at its first report.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

status=0
for t in $targets; do
	bin=$build/test/fuzz/fuzz-$t
	if [ ! -x "$bin" ]; then
		echo "fuzz-lib $t: FAILED: no $bin (a build with CC=clang and -Dfuzz=enabled)"
		status=1
		continue
	fi
	mkdir -p "$work/$t"
	# -error_exitcode: libFuzzer's default, 77, would read as a skip.
	"$bin" -seed="$seed" -max_total_time="$secs" -timeout=10 \
		-max_len=8192 -error_exitcode=1 -timeout_exitcode=1 \
		-print_final_stats=1 -artifact_prefix="$work/$t-" \
		"$work/$t" "$here/corpus/$t" >"$work/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log" |
		tail -n 1)
	[ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' \
		"$work/$t.log" | tail -n 1)
	if [ $rc -ne 0 ] ||
	   grep -q -e '^==[0-9]*==ERROR:' -e 'runtime error:' \
		-e 'fuzz: .*property failed' "$work/$t.log"; then
		tail -n 40 "$work/$t.log"
		mkdir -p "$keep"
		art=
		for a in "$work/$t-"*; do
			[ -f "$a" ] || continue
			cp "$a" "$keep/"
			art="$keep/$(basename "$a")"
		done
		echo "fuzz-lib $t: FAILED (exit $rc) after ${runs:-?} runs, seed $seed${art:+; replay: $bin $art}"
		status=1
		continue
	fi
	echo "fuzz-lib $t: ${runs:-?} runs, seed $seed"
done
exit $status
