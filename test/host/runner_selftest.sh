#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# runner_selftest.sh CONFORMANCE WORKDIR
#
# Shows that run_conformance.sh can fail: with the reference tree made to
# differ (CONF_SELFTEST=1, mode plain: one mode and one content changed),
# the tests that look at the changed files and the whole-tree comparison
# must fail, a test that does not must still
# pass, and the runner must exit non-zero.

if [ $# -ne 2 ]; then
	echo "usage: $0 CONFORMANCE WORKDIR" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
out=$(CONF_SELFTEST=1 timeout 300 sh "$here/run_conformance.sh" none "$1" \
	plain "$2" seed_lookup_getattr seed_read setattr_chmod 2>&1)
rc=$?
echo "$out"
fail=0
expect()
{
	if echo "$out" | grep -q "$1"; then
		echo "ok: $1"
	else
		echo "FAILED: no line matching: $1"
		fail=1
	fi
}
expect '^FAIL seed_lookup_getattr plain: transcript differs'
expect '^FAIL seed_read plain: '
expect '^PASS setattr_chmod plain$'
expect '^FAIL whole_tree plain: '
expect '^1 passed, 3 failed, 0 skipped$'
if [ $rc -eq 0 ]; then
	echo "FAILED: the runner exited 0 with failures"
	fail=1
fi
exit $fail
