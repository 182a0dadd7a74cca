#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# usage: daemon_kill_random.sh KILL_RANDOM PASSTHROUGH_BPF FALLBACK_BPF MODE
#
# The daemon killed with SIGKILL at a random moment of a mixed workload,
# KILL_ROUNDS times (default 100), each round with its own seed
# (kill_random.c says what is checked).  KILL_SEED=S starts at seed S:
# KILL_SEED=S KILL_ROUNDS=1 repeats the round of a failing seed.  The
# workload's intent log lives on a tmpfs of its own, outside the mount.
set -u
# Not PT: common.sh would wrap it (FBPF_TEST_WRAPPER), and a daemon that
# is killed has nothing to report.
KR=$1
PTB=$2
FB=$3
MODE=$4
. "$(dirname "$0")/common.sh"
need_root
if [ "$MODE" = passthrough ] && ! have_passthrough; then
	skip "passthrough mode needs Linux 6.9 or newer"
fi
rounds=${KILL_ROUNDS:-100}
fbpf_watchdog $((60 + 2 * rounds))

mkdir "$FBPF_TMP/log" || fail "setup"
mount -t tmpfs -o size=32m kill-random-log "$FBPF_TMP/log" ||
	fail "no tmpfs for the intent log"
"$KR" --mode="$MODE" --passthrough="$PTB" --fallback="$FB" \
	--rounds="$rounds" ${KILL_SEED:+--seed="$KILL_SEED"} \
	"$FBPF_TMP" "$FBPF_TMP/log" &
pid=$!
fbpf_track "$pid"
wait "$pid"
rc=$?
[ $rc -eq 0 ] || fail "$MODE: kill_random exit status $rc"
is_mounted "$FBPF_TMP/mnt" && fail "$MODE: a mount was left behind"
echo PASSED
