// SPDX-License-Identifier: LGPL-2.1-only
/*
 * libfuse-bpf: extended attributes of backed nodes.  O_PATH fds have no
 * f*xattr(), so the calls go through the node's magic link.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#include "backing_i.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/xattr.h>

/*
 * setxattr (@value set) or removexattr of @name, as the caller: both
 * change the inode, both answer with an errno alone.
 */
static void change_xattr(const struct fbpf_req *r, fuse_ino_t ino,
			 const char *name, const char *value, size_t size,
			 int flags)
{
	struct fbpf_node *n = fbpf_node_or_reply(r, ino);
	char path[FBPF_PROC_PATH_MAX];
	struct fbpf_creds c;
	int err;

	if (!n)
		return;
	fbpf_proc_path(path, n->fd);
	err = fbpf_creds_enter(r->req, &c, false);
	if (!err) {
		if (value ? setxattr(path, name, value, size, flags) :
			    removexattr(path, name))
			err = -errno;
		fbpf_creds_restore(&c);
	}
	fbpf_node_put(r->bs, n);
	fuse_reply_err(r->req, -err);
}

void fbpf_bop_setxattr(const struct fbpf_req *r, fuse_ino_t ino,
		       const char *name, const char *value, size_t size,
		       int flags)
{
	/* libfuse never passes NULL; one must not turn into a removal. */
	change_xattr(r, ino, name, value ? value : "", size, flags);
}

void fbpf_bop_removexattr(const struct fbpf_req *r, fuse_ino_t ino,
			  const char *name)
{
	change_xattr(r, ino, name, NULL, 0, 0);
}

/* getxattr (@name set) or listxattr, with the size-0 probe. */
static void get_or_list_xattr(const struct fbpf_req *r, fuse_ino_t ino,
			      const char *name, size_t size)
{
	fuse_req_t req = r->req;
	struct fuse_bpf_session *bs = r->bs;
	struct fbpf_node *n = fbpf_node_or_reply(r, ino);
	char path[FBPF_PROC_PATH_MAX];
	char *buf = NULL;
	ssize_t len;

	if (!n)
		return;
	fbpf_proc_path(path, n->fd);
	if (size) {
		buf = malloc(size);
		if (!buf) {
			fuse_reply_err(req, ENOMEM);
			fbpf_node_put(bs, n);
			return;
		}
	}
	len = name ? getxattr(path, name, buf, size) :
		     listxattr(path, buf, size);
	if (len < 0)
		fuse_reply_err(req, errno);
	else if (size)
		fuse_reply_buf(req, buf, (size_t)len);
	else
		fuse_reply_xattr(req, (size_t)len);
	free(buf);
	fbpf_node_put(bs, n);
}

void fbpf_bop_getxattr(const struct fbpf_req *r, fuse_ino_t ino,
		       const char *name, size_t size)
{
	get_or_list_xattr(r, ino, name, size);
}

void fbpf_bop_listxattr(const struct fbpf_req *r, fuse_ino_t ino, size_t size)
{
	get_or_list_xattr(r, ino, NULL, size);
}
