# SPDX-License-Identifier: GPL-2.0-only
#
# Helpers sourced by the in-guest test scripts (busybox sh).  Each check
# prints one "@@ RESULT name PASS|FAIL|SKIP reason" line; init.sh counts
# them.  A script ends with guest_script_end, which records its exit status
# for init.sh (a script killed by the timeout leaves none).

GUEST_FAILED=0

pass() {
	echo "@@ RESULT $1 PASS${2:+ $2}"
}

fail() {
	echo "@@ RESULT $1 FAIL${2:+ $2}"
	GUEST_FAILED=$((GUEST_FAILED + 1))
}

skip() {
	echo "@@ RESULT $1 SKIP${2:+ $2}"
}

# check NAME CMD...: PASS if CMD succeeds.
check() {
	name=$1
	shift
	if "$@"; then
		pass "$name"
	else
		fail "$name" "command failed: $*"
	fi
}

guest_script_end() {
	echo 0 >/run/guest-script.rc
}

# wait_for_line FILE PATTERN SECONDS: wait until FILE has a line matching
# PATTERN.
wait_for_line() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# wait_gone PID SECONDS: wait for a process to exit.
wait_gone() {
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# json_count FILE OPCODE FIELD: a counter from passthrough_bpf --stats
# output, 0 when the opcode is absent.
json_count() {
	n=$(tr -d ' \n' <"$1" |
		sed -n "s/.*\"$2\":{[^}]*\"$3\":\([0-9]*\).*/\1/p")
	echo "${n:-0}"
}

# json_mode FILE: the mode recorded in a stats file.
json_mode() {
	tr -d ' \n' <"$1" | sed -n 's/.*"mode":"\([^"]*\)".*/\1/p'
}
