// SPDX-License-Identifier: GPL-2.0-only
/*
 * A daemon built outside the build tree with nothing but
 * `pkg-config --cflags --libs fuse-bpf`: mirrors SOURCE on MOUNTPOINT in
 * userspace mode, in the foreground, until unmounted.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#include <fuse_bpf.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct fuse_bpf_session *bs;

static void pk_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	(void)conn;
	fprintf(stderr, "pkgconfig_daemon: mode %s\n",
		fuse_bpf_mode_name(fuse_bpf_session_mode(bs)));
}

static const struct fuse_lowlevel_ops ops = {
	.init = pk_init,
};

int main(int argc, char *argv[])
{
	char *fargv[] = { argv[0], NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, fargv);
	struct fuse_bpf_config *cfg;
	int fd, err, ret = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SOURCE MOUNTPOINT\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cfg = fuse_bpf_config_new();
	if (fd < 0 || !cfg ||
	    fuse_bpf_config_set_mode(cfg, FUSE_BPF_MODE_USERSPACE) ||
	    fuse_bpf_config_set_root_backing(cfg, fd))
		return 1;
	close(fd);
	bs = fuse_bpf_session_new(&args, &ops, sizeof(ops), NULL, cfg);
	fuse_bpf_config_destroy(cfg);
	fuse_opt_free_args(&args);
	if (!bs)
		return 1;
	err = fuse_bpf_session_mount(bs, argv[2]);
	if (err) {
		fprintf(stderr, "mount: %s\n", strerror(-err));
	} else if (fuse_session_loop(fuse_bpf_session_fuse(bs)) == 0 &&
		   !fuse_bpf_session_error(bs)) {
		ret = 0;
	}
	fuse_bpf_session_unmount(bs);
	fuse_bpf_session_destroy(bs);
	return ret;
}
