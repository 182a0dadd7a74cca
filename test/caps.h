/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the tests that take CAP_SYS_ADMIN out of a thread's effective
 * set and put it back (the privilege rule of doc/security.md).
 */
#ifndef FUSE_BPF_TEST_CAPS_H
#define FUSE_BPF_TEST_CAPS_H

#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Add CAP_SYS_ADMIN to, or take it out of, this thread's effective set. */
static inline int test_set_sys_admin(bool on)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[2];
	unsigned int i = CAP_TO_INDEX(CAP_SYS_ADMIN);

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	if (on)
		data[i].effective |= CAP_TO_MASK(CAP_SYS_ADMIN);
	else
		data[i].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

#endif
