// SPDX-License-Identifier: LGPL-2.1-only
/*
 * libfuse-bpf: what the running kernel and process can do.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#include "fuse_bpf_i.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

bool fbpf_probe_fuse_bpf(void)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(FUSE_BPF_FEATURE_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strncmp(buf, "supported", 9) == 0 &&
	       (buf[9] == '\0' || buf[9] == '\n');
}

bool fbpf_probe_cap_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	return (data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &
		CAP_TO_MASK(CAP_SYS_ADMIN)) != 0;
}

/* Upstream passthrough arrived in Linux 6.9 (protocol 7.40). */
static bool kernel_has_passthrough(void)
{
	struct utsname u;
	unsigned int major = 0, minor = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 9);
}

unsigned int fuse_bpf_probe_kernel(void)
{
	unsigned int caps = 0;

	if (fbpf_probe_fuse_bpf())
		caps |= FUSE_BPF_CAP_KERNEL;
	if (kernel_has_passthrough() && fbpf_probe_cap_sys_admin())
		caps |= FUSE_BPF_CAP_PASSTHROUGH;
	return caps;
}
