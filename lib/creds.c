// SPDX-License-Identifier: LGPL-2.1-only
/*
 * libfuse-bpf: acting as the caller of a request.
 *
 * Operations that create, remove, rename, link, open or change a lower
 * object run with the caller's fsuid, fsgid, supplementary groups and, for
 * what they create, umask, so that the lower file system checks permission
 * and assigns ownership exactly as for the caller.  setfsuid, setfsgid, the
 * raw setgroups system call and a thread's own fs_struct act on the
 * calling thread only, which keeps the multi-threaded loop safe.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#include "backing_i.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Set when this thread has its own fs_struct, hence its own umask. */
static _Thread_local bool fbpf_own_fs;

static int set_groups(size_t n, const gid_t *list)
{
	/* The raw system call: glibc's setgroups() changes every thread. */
	if (syscall(SYS_setgroups, n, list))
		return -errno;
	return 0;
}

/* The caller's supplementary groups; *list is malloc()ed when not @buf. */
static int caller_groups(fuse_req_t req, gid_t *buf, int size, gid_t **list)
{
	int n = fuse_req_getgroups(req, size, buf);

	*list = buf;
	if (n < 0)
		return 0;	/* unknown: no supplementary groups */
	if (n > size) {
		gid_t *big = calloc((size_t)n, sizeof(*big));

		if (!big)
			return -ENOMEM;
		n = fuse_req_getgroups(req, n, big);
		if (n < 0) {
			free(big);
			return 0;
		}
		*list = big;
	}
	return n;
}

void fbpf_creds_restore(struct fbpf_creds *c)
{
	if (c->umask_set)
		umask(c->old_umask);
	if (c->switched) {
		setfsuid(0);
		setfsgid(0);
		if (setfsuid((uid_t)-1) != 0 || setfsgid((gid_t)-1) != 0)
			fuse_log(FUSE_LOG_ERR,
				 "fuse-bpf: cannot restore the daemon's fsuid/fsgid\n");
		if (set_groups((size_t)c->ngroups, c->groups))
			fuse_log(FUSE_LOG_ERR,
				 "fuse-bpf: cannot restore the daemon's groups\n");
	}
	if (c->groups != c->groups_stack)
		free(c->groups);
}

/*
 * Act as the caller of @req until fbpf_creds_restore().  With @umask_too the
 * caller's umask applies to objects created meanwhile (the thread gets
 * its own umask once, by unsharing its fs_struct).
 */
int fbpf_creds_enter(fuse_req_t req, struct fbpf_creds *c, bool umask_too)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	gid_t gbuf[FBPF_GROUPS_STACK], *glist;
	int n, err;

	memset(c, 0, sizeof(*c));
	c->groups = c->groups_stack;
	if (umask_too) {
		if (!fbpf_own_fs && unshare(CLONE_FS) == 0)
			fbpf_own_fs = true;
		if (fbpf_own_fs) {
			c->old_umask = umask(ctx->umask);
			c->umask_set = true;
		}
	}
	/* A daemon that is not root acts as itself, as plain FUSE does. */
	if (geteuid() != 0 || (ctx->uid == 0 && ctx->gid == 0))
		return 0;

	n = getgroups(0, NULL);
	if (n > FBPF_GROUPS_STACK) {
		c->groups = calloc((size_t)n, sizeof(gid_t));
		if (!c->groups) {
			c->groups = c->groups_stack;
			fbpf_creds_restore(c);
			return -ENOMEM;
		}
	}
	c->ngroups = n > 0 ? getgroups(n, c->groups) : 0;
	if (c->ngroups < 0) {
		err = -errno;
		c->ngroups = 0;
		fbpf_creds_restore(c);
		return err;
	}

	n = caller_groups(req, gbuf, FBPF_GROUPS_STACK, &glist);
	if (n < 0) {
		fbpf_creds_restore(c);
		return n;
	}
	err = set_groups((size_t)n, glist);
	if (glist != gbuf)
		free(glist);
	c->switched = true;
	if (!err) {
		setfsgid(ctx->gid);
		setfsuid(ctx->uid);
		if ((gid_t)setfsgid((gid_t)-1) != ctx->gid ||
		    (uid_t)setfsuid((uid_t)-1) != ctx->uid)
			err = -EPERM;
	}
	if (err) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: cannot act as uid %u gid %u: %s\n",
			 (unsigned int)ctx->uid, (unsigned int)ctx->gid,
			 strerror(-err));
		fbpf_creds_restore(c);
		return err;
	}
	return 0;
}
