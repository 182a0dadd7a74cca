#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The Debian packages end to end, on this machine, as root:
#
#   test/packaging/run.sh SRCDIR BUILDDIR
#
#  1. build: the source tree (the files git tracks or would track) is
#     copied to a temporary directory and built there with
#     dpkg-buildpackage -b -uc -us; Linux's sources come from the caches of
#     kernel/fetch.sh (FUSE_BPF_KCACHE, profile pkg.fuse-bpf.kcache), one
#     per series of kernel/, fetched first if missing.
#  2. the four .debs: fuse-bpf-dkms, libfuse-bpf0, libfuse-bpf-dev and
#     fuse-bpf-examples, their key fields and files (every example/*.c is a
#     program of fuse-bpf-examples; every series has its patched fs/fuse in
#     the DKMS tree).  lintian runs when it is installed (errors fail).
#  3. install: apt-get install of the four on this machine.  dkms knows the
#     module ("added"); the DKMS tree, header, pkg-config file and library
#     are in place; a program builds against the installed library with
#     pkg-config and runs.  Nothing is built for the running kernel (its
#     headers are not installed here, and it is not 6.1 or 6.12).
#  4. dkms build of the packaged module for each series against the
#     headers of its cache (--kernelsourcedir), and the refusal of a kernel
#     of another series (dkms status 77, and the Makefile's message).
#  5. each DKMS-built module boots in the QEMU guest of its kernel
#     (test/guest/run-guest.sh): t-module.sh, and t-fuse-bpf-mode.sh with
#     the installed passthrough_bpf and libfuse-bpf.so.0 in fuse-bpf mode.
#  6. apt-get purge of the four: the DKMS tree, /var/lib/dkms/fuse-bpf and
#     /usr/src/fuse-bpf-VERSION must be gone.
#
# On any exit the packages are purged (if this run installed them), the
# temporary directory is removed, and a DKMS signing key this run made is
# removed.  Packages of fuse-bpf already installed fail the run before it
# changes anything (it does not remove what it did not install).
#
# KCACHE, when set, names the directory of kernel caches ($KCACHE/6.1,
# $KCACHE/6.12; default BUILDDIR/kcache).  Exit status: 0 passed, 1 a
# failure, 77 skipped (not root, no dpkg-buildpackage, dh_dkms or dkms;
# also when QEMU or the guest helpers are missing and nothing else failed).
set -u

src=$(cd "${1:?usage: run.sh SRCDIR BUILDDIR}" && pwd)
builddir=$(cd "${2:?usage: run.sh SRCDIR BUILDDIR}" && pwd)
kcache=${KCACHE:-$builddir/kcache}
pkgs="fuse-bpf-dkms libfuse-bpf0 libfuse-bpf-dev fuse-bpf-examples"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP packaging: needs root (apt-get install, dkms)"
	exit 77
fi
for t in dpkg-buildpackage dh dh_dkms dkms apt-get; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "SKIP packaging: $t is not installed (sh scripts/deps.sh)"
		exit 77
	fi
done

passed=0
failed=0
skipped=0
pass() {
	passed=$((passed + 1))
	echo "PASS $1${2:+ ($2)}"
}
fail() {
	failed=$((failed + 1))
	echo "FAIL $1${2:+ ($2)}"
}
# check NAME COMMAND...: PASS when COMMAND succeeds.
check() {
	c_name=$1
	shift
	if "$@"; then
		pass "$c_name"
	else
		fail "$c_name" "$*"
	fi
}
t0=$(date +%s)
step() {
	echo "=== $1 ($(($(date +%s) - t0)) s)"
}
finish() {
	echo "packaging: $(($(date +%s) - t0)) s"
	if [ "$skipped" -ne 0 ]; then
		echo "$passed passed, $failed failed, $skipped skipped"
	else
		echo "$passed passed, $failed failed"
	fi
	if [ "$failed" -ne 0 ]; then
		exit 1
	fi
	if [ "$skipped" -ne 0 ]; then
		exit 77
	fi
	exit 0
}

installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q 'ok installed'
}
for p in $pkgs; do
	if installed "$p" || [ -e /var/lib/dkms/fuse-bpf ] ||
		ls -d /usr/src/fuse-bpf-* >/dev/null 2>&1; then
		fail preconditions "fuse-bpf is installed on this machine already ($p, /var/lib/dkms/fuse-bpf or /usr/src/fuse-bpf-*); the test installs and purges its own build: apt-get purge $pkgs first"
		finish
	fi
done

tmp=$(mktemp -d /tmp/fuse-bpf-packaging.XXXXXX)
we_installed=no
mok_before=no
if [ -e /var/lib/dkms/mok.key ]; then
	mok_before=yes
fi
cleanup() {
	if [ "$we_installed" = yes ]; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $pkgs \
			>"$tmp/cleanup.log" 2>&1 || cat "$tmp/cleanup.log"
	fi
	if [ "$mok_before" = no ]; then
		rm -f /var/lib/dkms/mok.key /var/lib/dkms/mok.pub
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The kernel series of the tree and their caches.
series=
for s in "$src"/kernel/*/series; do
	[ -f "$s" ] && series="$series $(basename "$(dirname "$s")")"
done
if [ -z "$series" ]; then
	fail series "no kernel/VERSION/series in $src"
	finish
fi
step "kernel caches:$series"
for v in $series; do
	if ! sh "$src/kernel/fetch.sh" "$kcache/$v" "$v" >"$tmp/fetch-$v.log" 2>&1; then
		cat "$tmp/fetch-$v.log"
		fail "kcache-$v" "kernel/fetch.sh $kcache/$v $v failed"
		finish
	fi
done
kcache=$(cd "$kcache" && pwd)

# 1. Build out of a copy of the tree.
step "build"
mkdir -p "$tmp/src"
if [ -d "$src/.git" ] || git -C "$src" rev-parse >/dev/null 2>&1; then
	(cd "$src" && git ls-files -z --cached --others --exclude-standard |
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null) |
		tar -x -C "$tmp/src"
else
	(cd "$src" && tar --exclude='./build*' --exclude=./debian/dkms-src \
		-cf - .) | tar -x -C "$tmp/src"
fi
# Linux's sources are a build input, never part of the source package.
linux=$(cd "$tmp/src" && find . -path '*fs/fuse/*.[ch]' | head -n 3)
if [ -n "$linux" ]; then
	fail no-linux-sources "the source tree holds Linux sources: $linux"
else
	pass no-linux-sources
fi
version=$(cd "$tmp/src" && dpkg-parsechangelog -S Version)
upstream=${version%-*}
bstart=$(date +%s)
if (cd "$tmp/src" && FUSE_BPF_KCACHE=$kcache \
	DEB_BUILD_OPTIONS="parallel=$(nproc) noddebs" \
	dpkg-buildpackage -b -uc -us -Ppkg.fuse-bpf.kcache) \
	>"$tmp/build.log" 2>&1; then
	pass dpkg-buildpackage "$version, $(($(date +%s) - bstart)) s"
else
	tail -n 60 "$tmp/build.log"
	fail dpkg-buildpackage "see the log above"
	finish
fi

# 2. The packages.
step "packages"
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
debs=
for p in $pkgs; do
	# shellcheck disable=SC2012
	d=$(ls "$tmp/${p}_${version}_"*.deb 2>/dev/null | head -n 1)
	if [ -z "$d" ]; then
		fail "deb-$p" "no ${p}_${version}_*.deb"
		continue
	fi
	pass "deb-$p" "$(basename "$d"), $(du -k "$d" | cut -f1) KiB"
	debs="$debs $d"
	dpkg-deb -c "$d" | awk '{ print $6 }' | sed 's|^\./|/|' >"$tmp/files-$p"
done
if [ "$failed" -ne 0 ]; then
	finish
fi
# has PACKAGE PATH...: the package holds every PATH.
has() {
	h_pkg=$1
	shift
	h_missing=
	for h in "$@"; do
		grep -qx "$h" "$tmp/files-$h_pkg" || h_missing="$h_missing $h"
	done
	if [ -z "$h_missing" ]; then
		pass "files-$h_pkg" "$*"
	else
		fail "files-$h_pkg" "missing:$h_missing"
	fi
}
# field NAME PACKAGE FIELD REGEX: the control field matches.
field() {
	f_val=$(dpkg-deb -f "$tmp/${2}_${version}_"*.deb "$3")
	if printf '%s\n' "$f_val" | grep -Eq "$4"; then
		pass "control-$1" "$2 $3: $f_val"
	else
		fail "control-$1" "$2 $3: '$f_val' does not match $4"
	fi
}
so=$(grep -x "/usr/lib/$ma/libfuse-bpf\.so\.0\..*" "$tmp/files-libfuse-bpf0" |
	head -n 1)
has libfuse-bpf0 "/usr/lib/$ma/libfuse-bpf.so.0" "${so:-/usr/lib/$ma/libfuse-bpf.so.0.VERSION}"
has libfuse-bpf-dev /usr/include/fuse_bpf.h "/usr/lib/$ma/libfuse-bpf.so" \
	"/usr/lib/$ma/pkgconfig/fuse-bpf.pc"
examples=
for c in "$src"/example/*.c; do
	examples="$examples /usr/bin/$(basename "$c" .c)"
done
# shellcheck disable=SC2086
has fuse-bpf-examples $examples
dk=/usr/src/fuse-bpf-$upstream
dkfiles="$dk/dkms.conf $dk/Makefile"
for v in $series; do
	dkfiles="$dkfiles $dk/$v/ORIGIN $dk/$v/fs/fuse/Kbuild $dk/$v/fs/fuse/Makefile $dk/$v/fs/fuse/inode.c $dk/$v/fs/fuse/backing.c $dk/$v/include/uapi/linux/fuse.h"
done
# shellcheck disable=SC2086
has fuse-bpf-dkms $dkfiles
junk=$(grep -E '\.(o|ko|cmd|orig|rej)$' "$tmp/files-fuse-bpf-dkms" | head -n 3)
if [ -n "$junk" ]; then
	fail dkms-tree-clean "build products or patch leftovers: $junk"
else
	pass dkms-tree-clean
fi
field dkms-arch-all fuse-bpf-dkms Architecture '^all$'
field dkms-needs-dkms fuse-bpf-dkms Depends '(^|, )dkms( |,|$)'
field dkms-needs-pahole fuse-bpf-dkms Depends '(^|, )dwarves( |,|$)'
field dev-needs-lib libfuse-bpf-dev Depends "libfuse-bpf0 \\(= $version\\)"
field dev-needs-fuse3-dev libfuse-bpf-dev Depends 'libfuse3-dev'
field examples-need-lib fuse-bpf-examples Depends 'libfuse-bpf0'
if command -v lintian >/dev/null 2>&1; then
	lintian "$tmp"/*.changes 2>&1 | grep -v 'running with root' >"$tmp/lintian.log"
	sed 's/^/    /' "$tmp/lintian.log"
	if grep -q '^E: ' "$tmp/lintian.log"; then
		fail lintian "errors, see above"
	else
		pass lintian "no errors"
	fi
fi

# 3. Install on this machine.
step "install"
we_installed=yes
# shellcheck disable=SC2086
if DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends $debs >"$tmp/install.log" 2>&1; then
	pass apt-install "$(grep -c '^Setting up' "$tmp/install.log") packages set up"
else
	cat "$tmp/install.log"
	fail apt-install "see the log above"
	finish
fi
sed -n '/^Setting up fuse-bpf-dkms/,/^Setting up/p' "$tmp/install.log" |
	sed 's/^/    /'
check dkms-added sh -c "dkms status -m fuse-bpf -v '$upstream' | grep -q added"
got=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$dk/dkms.conf")
if [ "$got" = "$upstream" ]; then
	pass dkms-conf-version "$got"
else
	fail dkms-conf-version "PACKAGE_VERSION '$got', expected $upstream"
fi
for v in $series; do
	check "dkms-tree-$v-renamed" grep -q 'fuse-bpf\.o' "$dk/$v/fs/fuse/Makefile"
	check "dkms-tree-$v-uapi" grep -q FUSE_BPF "$dk/$v/include/uapi/linux/fuse.h"
	echo "    $v: $(head -n 1 "$dk/$v/ORIGIN")"
done
got=$(pkg-config --modversion fuse-bpf 2>&1)
if [ "$got" = "$upstream" ]; then
	pass pkg-config "fuse-bpf $got"
else
	fail pkg-config "pkg-config --modversion fuse-bpf: '$got', expected $upstream (meson.build and debian/changelog must agree)"
fi
cat >"$tmp/hello.c" <<'EOF'
#include <fuse_bpf.h>
#include <stdio.h>

int main(void)
{
	enum fuse_bpf_mode m;

	if (fuse_bpf_mode_parse("userspace", &m) != 0)
		return 1;
	printf("%s\n", fuse_bpf_mode_name(m));
	return 0;
}
EOF
# shellcheck disable=SC2046
if cc -o "$tmp/hello" "$tmp/hello.c" $(pkg-config --cflags --libs fuse-bpf) \
	>"$tmp/cc.log" 2>&1 && [ "$("$tmp/hello")" = userspace ] &&
	ldd "$tmp/hello" |
	grep -Eq "libfuse-bpf\.so\.0 => (/usr)?/lib/$ma/libfuse-bpf\.so\.0 "; then
	pass link-installed-library "pkg-config --cflags --libs fuse-bpf"
else
	cat "$tmp/cc.log"
	ldd "$tmp/hello" 2>&1 | sed 's/^/    /'
	fail link-installed-library
fi
for e in $examples; do
	check "example-$(basename "$e")" sh -c "'$e' --help >/dev/null 2>&1"
done

# 4. dkms build for each kernel, and a kernel of no series refused.
step "dkms build"
for v in $series; do
	kver=$(. "$kcache/$v/env" && echo "$KVER")
	hdr=$(. "$kcache/$v/env" && echo "$HDR")
	dstart=$(date +%s)
	if dkms build -m fuse-bpf -v "$upstream" -k "$kver" \
		--kernelsourcedir "$hdr" >"$tmp/dkms-$v.log" 2>&1; then
		:
	else
		cat "$tmp/dkms-$v.log"
		tail -n 40 "/var/lib/dkms/fuse-bpf/$upstream/build/make.log" \
			2>/dev/null
		fail "dkms-build-$v" "$kver"
		continue
	fi
	ko=$(ls "/var/lib/dkms/fuse-bpf/$upstream/$kver/"*/module/fuse-bpf.ko* 2>/dev/null |
		head -n 1)
	if [ -z "$ko" ]; then
		fail "dkms-build-$v" "no fuse-bpf.ko in /var/lib/dkms/fuse-bpf/$upstream/$kver"
		continue
	fi
	case $ko in
	*.xz) xz -dc "$ko" >"$tmp/fuse-bpf-$v.ko" ;;
	*.zst) zstd -q -dc "$ko" >"$tmp/fuse-bpf-$v.ko" ;;
	*.gz) gzip -dc "$ko" >"$tmp/fuse-bpf-$v.ko" ;;
	*) cp "$ko" "$tmp/fuse-bpf-$v.ko" ;;
	esac
	magic=$(modinfo -F vermagic "$tmp/fuse-bpf-$v.ko")
	name=$(modinfo -F name "$tmp/fuse-bpf-$v.ko")
	case $magic in
	"$kver "*)
		pass "dkms-build-$v" "$kver, $(($(date +%s) - dstart)) s, module $name, $(du -k "$tmp/fuse-bpf-$v.ko" | cut -f1) KiB"
		;;
	*)
		fail "dkms-build-$v" "vermagic '$magic', expected $kver"
		;;
	esac
done
status=$(dkms status -m fuse-bpf -v "$upstream")
echo "$status" | sed 's/^/    /'
for v in $series; do
	kver=$(. "$kcache/$v/env" && echo "$KVER")
	check "dkms-status-$v" sh -c "dkms status -m fuse-bpf -v '$upstream' -k '$kver' | grep -q built"
done
# A kernel of another series: dkms skips it (77), and the Makefile, run
# by hand, says which series the package has.
first=$(echo "$series" | awk '{ print $1 }')
hdr=$(. "$kcache/$first/env" && echo "$HDR")
dkms build -m fuse-bpf -v "$upstream" -k 5.10.0-99-amd64 \
	--kernelsourcedir "$hdr" >"$tmp/dkms-other.log" 2>&1
rc=$?
if [ "$rc" -eq 77 ] && grep -q BUILD_EXCLUSIVE "$tmp/dkms-other.log"; then
	pass dkms-refuses-other-kernel "5.10.0-99-amd64: status 77, BUILD_EXCLUSIVE"
else
	cat "$tmp/dkms-other.log"
	fail dkms-refuses-other-kernel "5.10.0-99-amd64: status $rc"
fi
cp -r "$dk" "$tmp/dkms-copy"
if make -C "$tmp/dkms-copy" KVER=5.10.0-99-amd64 KDIR="$hdr" \
	>"$tmp/make-other.log" 2>&1; then
	fail makefile-refuses-other-kernel "make built for 5.10.0-99-amd64"
elif grep -q 'is not supported' "$tmp/make-other.log"; then
	pass makefile-refuses-other-kernel "$(grep 'is not supported' "$tmp/make-other.log")"
else
	cat "$tmp/make-other.log"
	fail makefile-refuses-other-kernel "no 'is not supported' message"
fi

# 5. The DKMS-built modules in the guests.  The guest's programs: the
# installed examples (with the installed library) and the build tree's
# guest_exit.
step "guests"
gb=$tmp/guest-build
mkdir -p "$gb/example" "$gb/test/guest"
for e in passthrough_bpf filter_bpf; do
	cp "/usr/bin/$e" "$gb/example/"
done
guest_ok=yes
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "SKIP guests: qemu-system-x86_64 is not installed"
	guest_ok=no
elif [ ! -x "$builddir/test/guest/guest_exit" ]; then
	echo "SKIP guests: $builddir/test/guest/guest_exit missing (meson setup -Dguest=enabled)"
	guest_ok=no
fi
if [ "$guest_ok" = no ]; then
	skipped=$((skipped + 1))
else
	cp "$builddir/test/guest/guest_exit" "$gb/test/guest/"
	for v in $series; do
		if [ ! -f "$tmp/fuse-bpf-$v.ko" ]; then
			fail "guest-$v" "no DKMS-built module"
			continue
		fi
		for t in t-module.sh:120 t-fuse-bpf-mode.sh:240; do
			script=${t%:*}
			sh "$src/test/guest/run-guest.sh" -t "${t#*:}" "$kcache/$v" \
				"$tmp/fuse-bpf-$v.ko" "$gb" "$script" \
				>"$tmp/guest.log" 2>&1
			rc=$?
			if [ "$rc" -eq 0 ]; then
				pass "guest-$v-$script" "$(tail -n 2 "$tmp/guest.log" | tr '\n' ' ')"
			else
				sed -n '/^----$/,$p' "$tmp/guest.log" | grep -v '^PASS'
				fail "guest-$v-$script" "run-guest.sh status $rc"
			fi
		done
	done
fi

# 6. Purge: the DKMS tree goes with the package.
step "purge"
# shellcheck disable=SC2086
if DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $pkgs \
	>"$tmp/purge.log" 2>&1; then
	we_installed=no
	pass apt-purge
else
	cat "$tmp/purge.log"
	fail apt-purge
fi
left=
for p in $pkgs; do
	installed "$p" && left="$left $p"
done
for f in /var/lib/dkms/fuse-bpf "$dk"; do
	[ -e "$f" ] && left="$left $f"
done
if [ -n "$left" ]; then
	fail purged "left behind:$left"
else
	pass purged "packages, /var/lib/dkms/fuse-bpf and $dk gone"
fi
finish
