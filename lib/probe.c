// SPDX-License-Identifier: LGPL-2.1-only
/*
 * libfuse-bpf: what the running kernel and process can do.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#include "fuse_bpf_i.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

/* @path reads "supported". */
static bool feature_supported(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
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

enum fbpf_kernel_kind fbpf_probe_kernel_kind_at(const char *module_file,
						const char *intree_file)
{
	if (feature_supported(module_file))
		return FBPF_KERNEL_MODULE;
	if (feature_supported(intree_file))
		return FBPF_KERNEL_INTREE;
	return FBPF_KERNEL_NONE;
}

enum fbpf_kernel_kind fbpf_probe_kernel_kind(void)
{
	return fbpf_probe_kernel_kind_at(FUSE_BPF_MODULE_FEATURE_FILE,
					 FUSE_BPF_FEATURE_FILE);
}

bool fbpf_probe_fuse_bpf(void)
{
	return fbpf_probe_kernel_kind() != FBPF_KERNEL_NONE;
}

void fbpf_mount_target(enum fuse_bpf_mode mode, enum fbpf_kernel_kind kind,
		       const char **dev, const char **fstype)
{
	if (mode == FUSE_BPF_MODE_KERNEL && kind == FBPF_KERNEL_MODULE) {
		*dev = FUSE_BPF_MODULE_DEVICE;
		*fstype = FUSE_BPF_MODULE_FSTYPE;
	} else {
		*dev = "/dev/fuse";
		*fstype = "fuse";
	}
}

int fbpf_cap_sys_admin_effective(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	return (data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &
		CAP_TO_MASK(CAP_SYS_ADMIN)) != 0;
}

bool fbpf_uid_map_is_init(const char *text)
{
	unsigned long long inside, outside, count;
	char rest;

	/* One line, "0 0 4294967295": every uid, unshifted. */
	if (sscanf(text, " %llu %llu %llu %c", &inside, &outside, &count,
		   &rest) != 3)
		return false;
	return inside == 0 && outside == 0 && count == 4294967295ULL;
}

int fbpf_probe_init_userns_at(const char *ns_path, const char *uid_map_path)
{
	char buf[256];
	struct stat st;
	ssize_t n;
	int fd, err;

	if (stat(ns_path, &st) == 0)
		return st.st_ino == FBPF_PROC_USER_INIT_INO;
	fd = open(uid_map_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = '\0';
	return fbpf_uid_map_is_init(buf);
}

int fbpf_probe_init_userns(void)
{
	return fbpf_probe_init_userns_at("/proc/self/ns/user",
					 "/proc/self/uid_map");
}

int fbpf_backing_privilege(int init_userns, int cap, bool dev_ok,
			   const char **why)
{
	const char *w = NULL;

	if (init_userns < 0)
		w = "cannot tell the process's user namespace (/proc/self/ns/user and /proc/self/uid_map unreadable)";
	else if (!init_userns)
		w = "the process runs in another user namespace";
	else if (cap < 0)
		w = "capget(2) failed";
	else if (!cap)
		w = "the calling thread lacks it (effective set)";
	else if (!dev_ok)
		w = "/dev/fuse was opened without it";
	if (why)
		*why = w;
	return w ? -EPERM : 0;
}

bool fbpf_probe_cap_sys_admin(void)
{
	return fbpf_backing_privilege(fbpf_probe_init_userns(),
				      fbpf_cap_sys_admin_effective(), true,
				      NULL) == 0;
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
