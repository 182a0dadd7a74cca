// SPDX-License-Identifier: GPL-2.0-only
/*
 * A minimal CUSE server for the guest suite (t-coexist.sh): creates the
 * character device /dev/NAME through the kernel's /dev/cuse (Debian's
 * stock cuse.ko) and answers every read with "hello from cuse\n" (from
 * the read offset on), every write by taking all bytes.
 *
 *   cuse_hello NAME        (foreground, single-threaded, until killed)
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#define FUSE_USE_VERSION 31

#include <cuse_lowlevel.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <string.h>

static const char hello[] = "hello from cuse\n";

static void hello_open(fuse_req_t req, struct fuse_file_info *fi)
{
	fuse_reply_open(req, fi);
}

static void hello_read(fuse_req_t req, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	size_t len = sizeof(hello) - 1;

	if (off < 0 || (size_t)off >= len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > len - (size_t)off)
		size = len - (size_t)off;
	fuse_reply_buf(req, hello + off, size);
}

static void hello_write(fuse_req_t req, const char *buf, size_t size,
			off_t off, struct fuse_file_info *fi)
{
	fuse_reply_write(req, size);
}

static const struct cuse_lowlevel_ops hello_ops = {
	.open = hello_open,
	.read = hello_read,
	.write = hello_write,
};

int main(int argc, char **argv)
{
	char devname[128];
	const char *dev_info_argv[] = { devname };
	struct cuse_info ci;
	char *args[] = { argv[0], "-f", "-s", NULL };

	if (argc != 2) {
		fprintf(stderr, "usage: cuse_hello NAME\n");
		return 2;
	}
	snprintf(devname, sizeof(devname), "DEVNAME=%s", argv[1]);
	memset(&ci, 0, sizeof(ci));
	ci.dev_info_argc = 1;
	ci.dev_info_argv = dev_info_argv;
	return cuse_lowlevel_main(3, args, &ci, &hello_ops, NULL);
}
