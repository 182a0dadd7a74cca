// SPDX-License-Identifier: LGPL-2.1-only
/*
 * libfuse-bpf: serving backed nodes from their backing fds.
 *
 * This is what the kernel series does for a backed node, done in userspace
 * for the "userspace" and "passthrough" modes.  Each node holds an O_PATH
 * fd of its lower object; names are resolved relative to the parent's fd,
 * and operations that need a real open file reopen the node through
 * /proc/self/fd/N (the magic link yields the object itself, symlinks
 * included, and the open is permission checked like any other).  Lookups
 * and reads of attributes run as the daemon (the kernel has already
 * checked them with default_permissions), everything else as the caller
 * (creds.c).
 *
 * The handlers live by the kind of object they act on, as in fs/fuse and
 * fs/overlayfs: backing_dir.c (names and attributes), backing_file.c
 * (open files and their locks), backing_readdir.c (directory streams),
 * backing_xattr.c (extended attributes).  This file has what they share
 * and the table dispatch.c routes to.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#include "backing_i.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void fbpf_proc_path(char *buf, int fd)
{
	snprintf(buf, FBPF_PROC_PATH_MAX, "/proc/self/fd/%d", fd);
}

/* The served node @ino, or NULL after replying ESTALE. */
struct fbpf_node *fbpf_node_or_reply(const struct fbpf_req *r, fuse_ino_t ino)
{
	fuse_req_t req = r->req;
	struct fbpf_node *n = fbpf_node_get(r->bs, ino);

	if (!n)
		fuse_reply_err(req, ESTALE);
	return n;
}

int fbpf_stat_fd(int fd, struct stat *st)
{
	if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -errno;
	return 0;
}

/*
 * Turn @fd (an O_PATH fd, owned) into an entry with one lookup reference
 * on its node.
 */
int fbpf_entry_from_fd(struct fuse_bpf_session *bs, int fd,
			 struct fuse_entry_param *e)
{
	int err;

	memset(e, 0, sizeof(*e));
	err = fbpf_stat_fd(fd, &e->attr);
	if (err) {
		close(fd);
		return err;
	}
	err = fbpf_nodes_add(bs, fd, &e->attr, &e->ino);
	if (err)
		return err;
	e->attr_timeout = bs->cfg.attr_timeout;
	e->entry_timeout = bs->cfg.entry_timeout;
	return 0;
}

/* Look @name up in the directory @dirfd. */
int fbpf_lookup_at(struct fuse_bpf_session *bs, int dirfd, const char *name,
		     struct fuse_entry_param *e)
{
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return fbpf_entry_from_fd(bs, fd, e);
}

void fbpf_reply_new_entry(fuse_req_t req, struct fuse_bpf_session *bs,
			const struct fuse_entry_param *e)
{
	/* The kernel did not take the reference if the reply failed. */
	if (fuse_reply_entry(req, e))
		fbpf_nodes_forget(bs, e->ino, 1);
}

void fbpf_reply_attr_of(fuse_req_t req, struct fuse_bpf_session *bs,
			  int fd)
{
	struct stat st;
	int err = fbpf_stat_fd(fd, &st);

	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_attr(req, &st, bs->cfg.attr_timeout);
}

const struct fbpf_backing_ops fbpf_backing_ops = {
	.lookup = fbpf_bop_lookup,
	.getattr = fbpf_bop_getattr,
	.setattr = fbpf_bop_setattr,
	.readlink = fbpf_bop_readlink,
	.mknod = fbpf_bop_mknod,
	.mkdir = fbpf_bop_mkdir,
	.unlink = fbpf_bop_unlink,
	.rmdir = fbpf_bop_rmdir,
	.symlink = fbpf_bop_symlink,
	.rename = fbpf_bop_rename,
	.link = fbpf_bop_link,
	.open = fbpf_bop_open,
	.read = fbpf_bop_read,
	.write = fbpf_bop_write,
	.flush = fbpf_bop_flush,
	.release = fbpf_bop_release,
	.fsync = fbpf_bop_fsync,
	.opendir = fbpf_bop_opendir,
	.readdir = fbpf_bop_readdir,
	.releasedir = fbpf_bop_releasedir,
	.fsyncdir = fbpf_bop_fsyncdir,
	.statfs = fbpf_bop_statfs,
	.setxattr = fbpf_bop_setxattr,
	.getxattr = fbpf_bop_getxattr,
	.listxattr = fbpf_bop_listxattr,
	.removexattr = fbpf_bop_removexattr,
	.access = fbpf_bop_access,
	.create = fbpf_bop_create,
	.write_buf = fbpf_bop_write_buf,
	.fallocate = fbpf_bop_fallocate,
	.readdirplus = fbpf_bop_readdirplus,
	.copy_file_range = fbpf_bop_copy_file_range,
	.lseek = fbpf_bop_lseek,
	.flock = fbpf_bop_flock,
};

