#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Run examples.sh for filter_bpf and fallback_bpf inside the QEMU guest of
# test/guest (the Debian kernel of KCACHE with fuse-bpf.ko beside its
# stock FUSE), where it also covers mode fuse-bpf.
#
#   guest.sh KCACHE FUSE_BPF_KO BUILDDIR
#
# test/guest/run-guest.sh is used unchanged: it gets a copy of the guest
# scripts plus one more, and a build directory of copies of what it packs,
# with the two examples among the programs it puts in /opt/conformance.
# Exit status as run-guest.sh: 0 passed, 1 failed, 77 skipped.
set -eu

[ $# -eq 3 ] || {
	echo "usage: guest.sh KCACHE FUSE_BPF_KO BUILDDIR" >&2
	exit 2
}
kcache=$1
module=$2
build=$(cd "$3" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

ko=$module
case $module in
stock | builtin) ko= ;;
esac
for f in "$build/example/filter_bpf" "$build/example/fallback_bpf" \
	"$build/test/guest/guest_exit" $ko; do
	[ -e "$f" ] || {
		echo "guest.sh: $f missing" >&2
		exit 1
	}
done

tmp=$(mktemp -d /tmp/fbpf-examples-guest.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

mkdir -p "$tmp/test/guest" "$tmp/build/test/lib" "$tmp/build/test/guest" \
	"$tmp/build/test/conformance"
cp "$top"/test/guest/*.sh "$top"/test/guest/*.txt "$tmp/test/guest/"
cp "$here/examples.sh" "$tmp/test/guest/examples-run.sh"
cp "$build/test/guest/guest_exit" "$tmp/build/test/guest/"
cp "$build/example/filter_bpf" "$build/example/fallback_bpf" \
	"$tmp/build/test/conformance/"
# The examples find the library through $ORIGIN/../lib.
for f in "$build"/lib/libfuse-bpf.so*; do
	[ -d "$f" ] || cp -P "$f" "$tmp/build/test/lib/"
done

# In the guest.  -s: the initramfs has no libgcc_s.so.1, which glibc needs
# for the pthread_cancel() that ends libfuse's multi-threaded loop.
cat >"$tmp/test/guest/t-examples.sh" <<'EOF'
. /tests/lib.sh
export EXAMPLE_OPTS=-s
for t in filter fallback; do
	sh /tests/examples-run.sh $t /opt/conformance/${t}_bpf
	case $? in
	0) pass example-$t ;;
	77) skip example-$t ;;
	*) fail example-$t "examples.sh $t failed" ;;
	esac
done
guest_script_end
EOF

# run-guest.sh finds the libraries to pack with ldd; a LD_LIBRARY_PATH
# (meson test sets one) would point it at the build tree's copies.
unset LD_LIBRARY_PATH
sh "$tmp/test/guest/run-guest.sh" -t "${EXAMPLES_GUEST_TIMEOUT:-240}" \
	"$kcache" "$module" "$tmp/build" \
	t-examples.sh
