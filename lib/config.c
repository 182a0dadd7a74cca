// SPDX-License-Identifier: LGPL-2.1-only
/*
 * libfuse-bpf: session configuration and mode names.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#include "fuse_bpf_i.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const mode_names[] = {
	[FUSE_BPF_MODE_AUTO] = "auto",
	[FUSE_BPF_MODE_KERNEL] = "fuse-bpf",
	[FUSE_BPF_MODE_PASSTHROUGH] = "passthrough",
	[FUSE_BPF_MODE_USERSPACE] = "userspace",
};

const char *fuse_bpf_mode_name(enum fuse_bpf_mode mode)
{
	if ((unsigned int)mode >= sizeof(mode_names) / sizeof(mode_names[0]))
		return "invalid";
	return mode_names[mode];
}

int fuse_bpf_mode_parse(const char *name, enum fuse_bpf_mode *mode)
{
	size_t i;

	if (!name || !mode)
		return -EINVAL;
	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (strcmp(name, mode_names[i]) == 0) {
			*mode = (enum fuse_bpf_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

void fbpf_config_init(struct fuse_bpf_config *cfg)
{
	cfg->mode = FUSE_BPF_MODE_AUTO;
	cfg->root_fd = -1;
	cfg->entry_timeout = 1.0;
	cfg->attr_timeout = 1.0;
	cfg->raise_nofile = true;
}

int fbpf_config_copy(struct fuse_bpf_config *dst,
		     const struct fuse_bpf_config *src)
{
	*dst = *src;
	dst->root_fd = -1;
	if (src->root_fd >= 0) {
		dst->root_fd = fcntl(src->root_fd, F_DUPFD_CLOEXEC, 3);
		if (dst->root_fd < 0) {
			int err = -errno;

			fuse_log(FUSE_LOG_ERR,
				 "fuse-bpf: cannot duplicate the root backing fd: %s\n",
				 strerror(-err));
			return err;
		}
	}
	return 0;
}

struct fuse_bpf_config *fuse_bpf_config_new(void)
{
	struct fuse_bpf_config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: out of memory\n");
		return NULL;
	}
	fbpf_config_init(cfg);
	return cfg;
}

void fuse_bpf_config_destroy(struct fuse_bpf_config *cfg)
{
	if (!cfg)
		return;
	if (cfg->root_fd >= 0)
		close(cfg->root_fd);
	free(cfg);
}

int fuse_bpf_config_set_mode(struct fuse_bpf_config *cfg,
			     enum fuse_bpf_mode mode)
{
	if (!cfg)
		return -EINVAL;
	switch (mode) {
	case FUSE_BPF_MODE_AUTO:
	case FUSE_BPF_MODE_KERNEL:
	case FUSE_BPF_MODE_PASSTHROUGH:
	case FUSE_BPF_MODE_USERSPACE:
		cfg->mode = mode;
		return 0;
	}
	fuse_log(FUSE_LOG_ERR, "fuse-bpf: invalid mode %d\n", (int)mode);
	return -EINVAL;
}

int fuse_bpf_config_set_root_backing(struct fuse_bpf_config *cfg, int dirfd)
{
	struct stat st;
	int fd;

	if (!cfg)
		return -EINVAL;
	if (dirfd < 0 || fstat(dirfd, &st) < 0) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: root backing fd %d is not open\n", dirfd);
		return -EBADF;
	}
	if (!S_ISDIR(st.st_mode)) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: root backing fd %d is not a directory\n",
			 dirfd);
		return -ENOTDIR;
	}
	fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) {
		int err = -errno;

		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: cannot duplicate root backing fd: %s\n",
			 strerror(-err));
		return err;
	}
	if (cfg->root_fd >= 0)
		close(cfg->root_fd);
	cfg->root_fd = fd;
	return 0;
}

int fuse_bpf_config_set_timeouts(struct fuse_bpf_config *cfg,
				 double entry_timeout, double attr_timeout)
{
	if (!cfg)
		return -EINVAL;
	/* The negated comparisons also reject NaN. */
	if (!(entry_timeout >= 0.0) || !(attr_timeout >= 0.0)) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: timeouts must be >= 0 seconds\n");
		return -EINVAL;
	}
	cfg->entry_timeout = entry_timeout;
	cfg->attr_timeout = attr_timeout;
	return 0;
}

int fuse_bpf_config_set_raise_nofile(struct fuse_bpf_config *cfg, bool raise)
{
	if (!cfg)
		return -EINVAL;
	cfg->raise_nofile = raise;
	return 0;
}
