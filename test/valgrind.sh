#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# usage: valgrind.sh PROGRAM [ARGS...]
#
# The exe_wrapper of "meson test --setup valgrind", and FBPF_TEST_WRAPPER,
# through which the host scripts start their daemons.
# A program runs under valgrind memcheck, exec'd so that its pid stays the
# one the scripts track and signal; it fails with exit status 99 on a
# memory error or a definite leak.  With FBPF_VALGRIND_DIR set (the host
# scripts set it) the report goes to a file there, PID.log, which the
# script checks at its end (test/lib/common.sh) whatever the daemon's exit
# status.  A shell script is run as it is: valgrind would check the shell.
set -u
[ $# -ge 1 ] || { echo "usage: $0 PROGRAM [ARGS...]" >&2; exit 2; }
case "$(head -c 2 "$1" 2>/dev/null)" in
'#!') exec "$@" ;;
esac
# Tests whose program is the shell itself (find_program('sh') and a script
# as its argument): the same.
case "${1##*/}" in
sh | dash | bash) exec "$@" ;;
esac
# A program that serves its own mount from one thread and uses it from
# another deadlocks under valgrind (a thread blocked in a file system call
# keeps valgrind's lock), and Debian 12's valgrind 3.19 asserts with
# --sim-hints=fuse-compatible: test_nodes --mount runs as it is.
case " $* " in
*/test_nodes\ --mount\ *) exec "$@" ;;
esac
log=
if [ -n "${FBPF_VALGRIND_DIR:-}" ]; then
	mkdir -p "$FBPF_VALGRIND_DIR"
	log="--log-file=$FBPF_VALGRIND_DIR/%p.log"
fi
exec valgrind -q --tool=memcheck --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --show-leak-kinds=definite \
	${log:+"$log"} "$@"
