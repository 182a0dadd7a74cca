#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Install what building and testing libfuse-bpf needs on Debian 12, as root.
# Everything comes from Debian's archive; the kernel pieces the guest suite
# needs are downloaded (not installed) later by kernel/fetch.sh.
set -eu

# dwarves: pahole, which building modules for Debian's 6.12 needs
# (CONFIG_DEBUG_INFO_BTF_MODULES).
# The Debian packages (debian/, test/packaging): debhelper for
# dpkg-buildpackage's dh and its meson build (dpkg-dev comes with it),
# dh-dkms for dh_dkms (bookworm has it in its own package, not in dkms),
# dkms for the dkms builds of the packaged module (fuse-bpf-dkms needs it
# installed anyway).  linux-source-6.1/-6.12 are not installed: the test
# builds from kernel/fetch.sh's caches (FUSE_BPF_KCACHE).
# fio, bindfs and gnuplot-nox: the benchmark (bench/: fio does its I/O
# workloads, bindfs is one of its targets, gnuplot draws its plots).
# clang and libclang-rt-14-dev (libFuzzer, the sanitizers' runtime) build
# the library's fuzz targets (test/fuzz); valgrind runs the valgrind setup
# of the unit and host suites.
# doxygen builds the API reference (ninja doc, the doc suite), which also
# renders the manual pages with man-db and groff-base.
pkgs="gcc gcc-12 make pkg-config meson ninja-build
	fuse3 libfuse3-dev libcmocka-dev
	attr acl e2fsprogs xz-utils cpio kmod bc flex bison libelf-dev libssl-dev
	busybox-static qemu-system-x86 python3 dwarves
	debhelper dh-dkms dkms
	fio bindfs gnuplot-nox
	clang libclang-rt-14-dev valgrind
	doxygen man-db groff-base"

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi
