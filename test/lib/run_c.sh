#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# usage: run_c.sh SECONDS PROGRAM [ARGS...]
#
# Runs "PROGRAM TMPDIR ARGS..." under timeout with a fresh temporary
# directory, and removes every mount below it and the directory itself
# afterwards, whatever happened to the program.
set -u
limit=$1
prog=$2
shift 2
. "$(dirname "$0")/common.sh"

timeout -k 5 "$limit" "$prog" "$FBPF_TMP" "$@"
exit $?
