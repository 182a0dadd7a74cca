# SPDX-License-Identifier: GPL-2.0-only
#
# Shared helpers for the host (and guest) scripts: start passthrough_bpf in
# the foreground in the background, wait for its mount, stop it, and clean
# up whatever is left on any exit.  POSIX sh, busybox ash compatible.
#
# Variables: FM_PID (daemon pid), FM_MNT (mountpoint), FM_LOG (stderr log).

FM_PID=
FM_MNT=
FM_LOG=

fm_mounted()
{
	grep -q " $1 " /proc/mounts
}

# fm_kernel_has_passthrough: 0 when the running kernel is 6.9 or newer.
fm_kernel_has_passthrough()
{
	_rel=$(uname -r)
	_maj=${_rel%%.*}
	_rest=${_rel#*.}
	_min=${_rest%%[!0-9]*}
	[ "$_maj" -gt 6 ] || { [ "$_maj" -eq 6 ] && [ "$_min" -ge 9 ]; }
}

# fm_start BINARY MODE SOURCE MOUNTPOINT STATS LOG [OPTIONS...]
# Returns 0 once mounted and the daemon reported MODE, 1 otherwise (the
# daemon is stopped and its log printed).
fm_start()
{
	_bin=$1 _mode=$2 _src=$3 _mnt=$4 _stats=$5 _log=$6
	shift 6
	FM_MNT=$_mnt
	FM_LOG=$_log
	"$_bin" -f -o allow_other "--mode=$_mode" "--stats=$_stats" "$@" \
		"$_src" "$_mnt" 2>"$_log" &
	FM_PID=$!
	_i=0
	while [ $_i -lt 200 ]; do
		if ! kill -0 "$FM_PID" 2>/dev/null; then
			wait "$FM_PID"
			echo "passthrough_bpf exited with status $? before mounting:" >&2
			sed 's/^/  | /' "$_log" >&2
			FM_PID=
			return 1
		fi
		if fm_mounted "$_mnt" &&
		   grep -q "passthrough_bpf: mode " "$_log"; then
			break
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	if ! fm_mounted "$_mnt"; then
		echo "passthrough_bpf did not mount within 20 s" >&2
		fm_stop
		return 1
	fi
	if ! grep -q "passthrough_bpf: mode $_mode\$" "$_log"; then
		echo "passthrough_bpf did not report mode $_mode:" >&2
		sed 's/^/  | /' "$_log" >&2
		fm_stop
		return 1
	fi
	return 0
}

# fm_stop: unmount and wait for the daemon; returns its exit status
# (124 when it had to be killed).
fm_stop()
{
	_rc=0
	if [ -n "$FM_MNT" ] && fm_mounted "$FM_MNT"; then
		_i=0
		while ! umount "$FM_MNT" 2>/dev/null; do
			_i=$((_i + 1))
			if [ $_i -ge 20 ]; then
				echo "umount $FM_MNT failed, detaching it" >&2
				umount -l "$FM_MNT" 2>/dev/null
				_rc=1
				break
			fi
			sleep 0.25
		done
	fi
	if [ -n "$FM_PID" ]; then
		_i=0
		while kill -0 "$FM_PID" 2>/dev/null && [ $_i -lt 100 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		if kill -0 "$FM_PID" 2>/dev/null; then
			echo "passthrough_bpf did not exit after unmount, killing it" >&2
			kill -9 "$FM_PID" 2>/dev/null
			wait "$FM_PID" 2>/dev/null
			_rc=124
		else
			wait "$FM_PID"
			_st=$?
			[ $_rc -eq 0 ] && _rc=$_st
		fi
		FM_PID=
	fi
	return $_rc
}

# fm_rm_work DIR: remove a work directory unless something is still
# mounted below it.
fm_rm_work()
{
	[ -n "$1" ] && [ -d "$1" ] || return 0
	if grep -q " $1/" /proc/mounts; then
		echo "not removing $1: still mounted below it" >&2
		return 1
	fi
	rm -rf "$1"
}

# fm_stat_count STATS OPCODE FIELD: a counter from the --stats JSON
# (FIELD is daemon or library); 0 when the opcode is absent.
fm_stat_count()
{
	_v=$(tr -d ' \n\t' <"$1" |
		sed -n "s/.*\"$2\":{\\([^}]*\\)}.*/\\1/p" |
		sed -n "s/.*\"$3\":\\([0-9]*\\).*/\\1/p")
	echo "${_v:-0}"
}

# fm_stat_opcodes STATS: the opcode names present in the JSON.
fm_stat_opcodes()
{
	tr -d ' \n\t' <"$1" | sed 's/.*"requests":{//' |
		grep -o '"[A-Z_0-9]*":{' | tr -d '":{'
}
