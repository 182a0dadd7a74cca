// SPDX-License-Identifier: GPL-2.0-only
/*
 * no_daemon_mount: mount a directory with no daemon at all, through
 * fuse_bpf_mount_no_daemon() (root_dir=<fd>,no_daemon).  The kernel then
 * serves every operation from the backing tree.
 *
 * Usage: no_daemon_mount BACKING_DIR MOUNTPOINT [OPTIONS]
 *
 * Exit status: 0 mounted, 3 the kernel has no fuse-bpf (-EOPNOTSUPP),
 * 1 another error (printed), 2 bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fuse_bpf.h"

int main(int argc, char **argv)
{
	int ret;

	if (argc != 3 && argc != 4) {
		fprintf(stderr,
			"usage: no_daemon_mount BACKING_DIR MOUNTPOINT [OPTIONS]\n");
		return 2;
	}
	ret = fuse_bpf_mount_no_daemon(argv[1], argv[2],
				       argc == 4 ? argv[3] : NULL);
	if (ret == -EOPNOTSUPP) {
		fprintf(stderr, "no_daemon_mount: %s: %s\n", argv[2],
			strerror(-ret));
		return 3;
	}
	if (ret < 0) {
		fprintf(stderr, "no_daemon_mount: %s: %s\n", argv[2],
			strerror(-ret));
		return 1;
	}
	return 0;
}
