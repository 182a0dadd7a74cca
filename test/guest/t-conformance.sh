# SPDX-License-Identifier: GPL-2.0-only
#
# Guest test: the conformance suite through passthrough_bpf in fuse-bpf
# mode and in userspace mode on the patched kernel; every test must give
# the same result in both modes, except the tests xfail-fuse-bpf.txt lists
# (expected to fail in fuse-bpf mode until the kernel serves them).  The
# daemon's request counters of both runs are printed as a table, and in
# fuse-bpf mode no request but INIT (and DESTROY) may reach userspace.  The
# userspace results are also printed as "@@ CONF" lines, which the stock
# module's guest run compares with its own.
. /tests/lib.sh

w=/tmp/conf
mkdir -p "$w"

# verdict FILE TEST: PASS, FAIL, GAP (a known library gap), SKIP, or NONE.
verdict() {
	line=$(grep "^[A-Z]* $2 " "$1" | head -n 1)
	case $line in
	"FAIL $2 "*"known gap"*) echo GAP ;;
	"PASS $2 "*) echo PASS ;;
	"FAIL $2 "*) echo FAIL ;;
	"SKIP $2 "*) echo SKIP ;;
	*) echo NONE ;;
	esac
}

# why FILE TEST: the reason on a FAIL line.
why() {
	grep "^FAIL $2 " "$1" | head -n 1 | sed 's/^[^:]*: //'
}

if [ ! -x /opt/conformance/conformance ] || [ ! -x /bin/passthrough_bpf ] ||
	[ ! -f /tests/run_conformance.sh ]; then
	fail conformance "the conformance programs or passthrough_bpf were not built"
	guest_script_end
	exit 0
fi

# Both modes at once, one per virtual CPU, each on a tmpfs of its own,
# or with CONF_LOWER=ext4 (t-ext4.sh) on the ext4 filesystems of the
# guest's two disks.
if [ "${CONF_LOWER:-tmpfs}" = ext4 ]; then
	CONF_LOWER_DEV=/dev/vda conf_run userspace userspace &
	CONF_LOWER_DEV=/dev/vdb conf_run fuse-bpf fuse-bpf &
	P=ext4-
else
	conf_run userspace userspace &
	conf_run fuse-bpf fuse-bpf &
	P=
fi
wait
conf_show userspace "mode userspace"
conf_show fuse-bpf "mode fuse-bpf"
mv /tmp/conf-userspace.res "$w/res.userspace"
mv /tmp/conf-fuse-bpf.res "$w/res.fuse-bpf"
stats_compare "${P}conformance" /tmp/conf-fuse-bpf.stats /tmp/conf-userspace.stats
rm -f /tmp/conf-*.err /tmp/conf-*.rc /tmp/conf-*.stats
[ -z "$P" ] && grep '^[A-Z]* [^ ]* userspace' "$w/res.userspace" |
	while read -r v t _; do
		[ "$v" = FAIL ] && [ "$(verdict "$w/res.userspace" "$t")" = GAP ] && v=GAP
		echo "@@ CONF $t $v"
	done

# Every test of the program, and the runner's own verdicts (whole_tree,
# daemon_exit, ...) as either run printed them.
tests=$( (/opt/conformance/conformance --list
	cat "$w/res.userspace" "$w/res.fuse-bpf" |
		grep -E '^(PASS|FAIL|SKIP) ' | awk '{ print $2 }') | sort -u)
xfail=$(sed 's/#.*//' /tests/xfail-fuse-bpf.txt | awk 'NF { print $1 }')
for t in $tests; do
	u=$(verdict "$w/res.userspace" "$t")
	b=$(verdict "$w/res.fuse-bpf" "$t")
	listed=no
	for x in $xfail; do
		[ "$x" = "$t" ] && listed=yes
	done
	d="userspace=$u fuse-bpf=$b"
	if [ $listed = yes ]; then
		if [ "$b" != FAIL ]; then
			fail "${P}conformance-$t" "$d: does not fail in fuse-bpf mode now, remove it from xfail-fuse-bpf.txt"
		elif [ "$u" != FAIL ] && [ "$u" != NONE ]; then
			pass "${P}conformance-$t" "$d (expected: listed in xfail-fuse-bpf.txt; $(why "$w/res.fuse-bpf" "$t"))"
		else
			fail "${P}conformance-$t" "$d: fails in userspace mode too: $(why "$w/res.userspace" "$t")"
		fi
	elif [ "$u" = NONE ] || [ "$b" = NONE ]; then
		fail "${P}conformance-$t" "$d: no result"
	elif [ "$u" = FAIL ]; then
		fail "${P}conformance-$t" "$d: userspace: $(why "$w/res.userspace" "$t")"
	elif [ "$b" = FAIL ]; then
		fail "${P}conformance-$t" "$d: fuse-bpf: $(why "$w/res.fuse-bpf" "$t")"
	elif [ "$u" = SKIP ] && [ "$b" = SKIP ]; then
		skip "${P}conformance-$t" "$d: $(grep "^SKIP $t " "$w/res.userspace" | head -n 1 | sed 's/^[^:]*: //')"
	elif [ "$u" = "$b" ] || [ "$u" = GAP ]; then
		pass "${P}conformance-$t" "$d"
	else
		fail "${P}conformance-$t" "$d: results differ"
	fi
done
rm -rf "$w"
guest_script_end
