// SPDX-License-Identifier: LGPL-2.1-only
/*
 * libfuse-bpf: names and attributes of backed nodes: lookup, the
 * operations that make, remove, rename and link names, and those that read
 * or change an inode's attributes.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#include "backing_i.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

void fbpf_bop_lookup(const struct fbpf_req *r, fuse_ino_t parent,
		     const char *name)
{
	fuse_req_t req = r->req;
	struct fuse_bpf_session *bs = r->bs;
	struct fbpf_node *p = fbpf_node_or_reply(r, parent);
	struct fuse_entry_param e;
	int err;

	if (!p)
		return;
	/* Never climb out of the backed tree through its root. */
	if (parent == FUSE_ROOT_ID && strcmp(name, "..") == 0)
		name = ".";
	err = fbpf_lookup_at(bs, p->fd, name, &e);
	fbpf_node_put(bs, p);
	if (err)
		fuse_reply_err(req, -err);
	else
		fbpf_reply_new_entry(req, bs, &e);
}

enum make_kind { MAKE_NOD, MAKE_DIR, MAKE_SYMLINK };

static void make_node(const struct fbpf_req *r, fuse_ino_t parent,
		      const char *name, enum make_kind kind, mode_t mode,
		      dev_t rdev, const char *target)
{
	fuse_req_t req = r->req;
	struct fuse_bpf_session *bs = r->bs;
	struct fbpf_node *p = fbpf_node_or_reply(r, parent);
	struct fuse_entry_param e;
	struct fbpf_creds c;
	int err;

	if (!p)
		return;
	err = fbpf_creds_enter(req, &c, true);
	if (!err) {
		int ret;

		if (kind == MAKE_DIR)
			ret = mkdirat(p->fd, name, mode);
		else if (kind == MAKE_SYMLINK)
			ret = symlinkat(target, p->fd, name);
		else
			ret = mknodat(p->fd, name, mode, rdev);
		err = ret ? -errno : 0;
		fbpf_creds_restore(&c);
	}
	if (!err)
		err = fbpf_lookup_at(bs, p->fd, name, &e);
	fbpf_node_put(bs, p);
	if (err)
		fuse_reply_err(req, -err);
	else
		fbpf_reply_new_entry(req, bs, &e);
}

void fbpf_bop_mknod(const struct fbpf_req *r, fuse_ino_t parent,
		    const char *name, mode_t mode, dev_t rdev)
{
	make_node(r, parent, name, MAKE_NOD, mode, rdev, NULL);
}

void fbpf_bop_mkdir(const struct fbpf_req *r, fuse_ino_t parent,
		    const char *name, mode_t mode)
{
	make_node(r, parent, name, MAKE_DIR, mode, 0, NULL);
}

void fbpf_bop_symlink(const struct fbpf_req *r, const char *link,
		      fuse_ino_t parent, const char *name)
{
	make_node(r, parent, name, MAKE_SYMLINK, 0, 0, link);
}

static void remove_name(const struct fbpf_req *r, fuse_ino_t parent,
			const char *name, int flags)
{
	fuse_req_t req = r->req;
	struct fuse_bpf_session *bs = r->bs;
	struct fbpf_node *p = fbpf_node_or_reply(r, parent);
	struct fbpf_creds c;
	int err;

	if (!p)
		return;
	err = fbpf_creds_enter(req, &c, false);
	if (!err) {
		err = unlinkat(p->fd, name, flags) ? -errno : 0;
		fbpf_creds_restore(&c);
	}
	fbpf_node_put(bs, p);
	fuse_reply_err(req, -err);
}

void fbpf_bop_unlink(const struct fbpf_req *r, fuse_ino_t parent,
		     const char *name)
{
	remove_name(r, parent, name, 0);
}

void fbpf_bop_rmdir(const struct fbpf_req *r, fuse_ino_t parent,
		    const char *name)
{
	remove_name(r, parent, name, AT_REMOVEDIR);
}

void fbpf_bop_rename(const struct fbpf_req *r, fuse_ino_t parent,
		     const char *name, fuse_ino_t newparent,
		     const char *newname, unsigned int flags)
{
	fuse_req_t req = r->req;
	struct fuse_bpf_session *bs = r->bs;
	struct fbpf_node *p = fbpf_node_get(bs, parent);
	struct fbpf_node *np = fbpf_node_get(bs, newparent);
	struct fbpf_creds c;
	int err = -EXDEV;

	if (p && np) {
		err = fbpf_creds_enter(req, &c, false);
		if (!err) {
			if (renameat2(p->fd, name, np->fd, newname, flags))
				err = -errno;
			fbpf_creds_restore(&c);
		}
	}
	fbpf_node_put(bs, p);
	fbpf_node_put(bs, np);
	fuse_reply_err(req, -err);
}

void fbpf_bop_link(const struct fbpf_req *r, fuse_ino_t ino,
		   fuse_ino_t newparent, const char *newname)
{
	fuse_req_t req = r->req;
	struct fuse_bpf_session *bs = r->bs;
	struct fbpf_node *n = fbpf_node_get(bs, ino);
	struct fbpf_node *np = fbpf_node_get(bs, newparent);
	char path[FBPF_PROC_PATH_MAX];
	struct fuse_entry_param e;
	struct fbpf_creds c;
	int err = -EXDEV;

	if (n && np) {
		err = fbpf_creds_enter(req, &c, false);
		if (!err) {
			/* Through the magic link: needs no CAP_DAC_READ_SEARCH. */
			fbpf_proc_path(path, n->fd);
			if (linkat(AT_FDCWD, path, np->fd, newname,
				   AT_SYMLINK_FOLLOW))
				err = -errno;
			fbpf_creds_restore(&c);
		}
		if (!err)
			err = fbpf_lookup_at(bs, np->fd, newname, &e);
	}
	fbpf_node_put(bs, n);
	fbpf_node_put(bs, np);
	if (err)
		fuse_reply_err(req, -err);
	else
		fbpf_reply_new_entry(req, bs, &e);
}

/* ---------------------------------------------------------------------- */
/* Attributes                                                             */
/* ---------------------------------------------------------------------- */

void fbpf_bop_getattr(const struct fbpf_req *r, fuse_ino_t ino,
			struct fuse_file_info *fi)
{
	fuse_req_t req = r->req;
	struct fuse_bpf_session *bs = r->bs;
	struct fbpf_node *n = fbpf_node_or_reply(r, ino);

	if (!n)
		return;
	fbpf_reply_attr_of(req, bs, n->fd);
	fbpf_node_put(bs, n);
}

static int do_setattr(struct fbpf_node *n, const struct stat *attr,
		      int to_set, struct fuse_file_info *fi)
{
	char path[FBPF_PROC_PATH_MAX];
	/* An open regular file's fd; directory handles are not fds. */
	int ffd = fi && S_ISREG(n->type) ? (int)fi->fh : -1;

	fbpf_proc_path(path, n->fd);
	if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		uid_t uid = to_set & FUSE_SET_ATTR_UID ? attr->st_uid :
			    (uid_t)-1;
		gid_t gid = to_set & FUSE_SET_ATTR_GID ? attr->st_gid :
			    (gid_t)-1;

		if (fchownat(n->fd, "", uid, gid,
			     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
			return -errno;
	}
	if (to_set & FUSE_SET_ATTR_MODE) {
		if (ffd >= 0 ? fchmod(ffd, attr->st_mode) :
			       chmod(path, attr->st_mode))
			return -errno;
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		if (ffd >= 0 ? ftruncate(ffd, attr->st_size) :
			       truncate(path, attr->st_size))
			return -errno;
	}
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
		struct timespec ts[2] = {
			{ .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_OMIT },
		};

		if (to_set & FUSE_SET_ATTR_ATIME_NOW)
			ts[0].tv_nsec = UTIME_NOW;
		else if (to_set & FUSE_SET_ATTR_ATIME)
			ts[0] = attr->st_atim;
		if (to_set & FUSE_SET_ATTR_MTIME_NOW)
			ts[1].tv_nsec = UTIME_NOW;
		else if (to_set & FUSE_SET_ATTR_MTIME)
			ts[1] = attr->st_mtim;
		if (utimensat(n->fd, "", ts,
			      AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
			return -errno;
	}
	/*
	 * A change of ctime alone (the kernel's own time update), or no
	 * change at all: the lower filesystem sets ctime to now on any
	 * change, a no-op chown is one.
	 *
	 * With FUSE_HANDLE_KILLPRIV_V2 a SETATTR without valid bits is
	 * either chown(path, -1, -1) or what is left of the kernel's own
	 * clearing of set-user-ID and set-group-ID before a write by someone
	 * else than the owner (file_remove_privs()); the two look the same.
	 * The lower filesystem refuses the chown to a non-owner of a set-ID
	 * file; that refusal must not fail the write, whose WRITE request
	 * clears the bits as the writer (bop_write_buf()), so it is dropped.
	 */
	if (!(to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID |
			FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_SIZE |
			FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME))) {
		if (fchownat(n->fd, "", (uid_t)-1, (gid_t)-1,
			     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) &&
		    errno != EPERM)
			return -errno;
	}
	return 0;
}

void fbpf_bop_setattr(const struct fbpf_req *r, fuse_ino_t ino,
		      struct stat *attr, int to_set, struct fuse_file_info *fi)
{
	fuse_req_t req = r->req;
	struct fuse_bpf_session *bs = r->bs;
	struct fbpf_node *n = fbpf_node_or_reply(r, ino);
	struct fbpf_creds c;
	int err;

	if (!n)
		return;
	err = fbpf_creds_enter(req, &c, false);
	if (!err) {
		err = do_setattr(n, attr, to_set, fi);
		fbpf_creds_restore(&c);
	}
	if (err)
		fuse_reply_err(req, -err);
	else
		fbpf_reply_attr_of(req, bs, n->fd);
	fbpf_node_put(bs, n);
}

void fbpf_bop_access(const struct fbpf_req *r, fuse_ino_t ino, int mask)
{
	fuse_req_t req = r->req;
	struct fuse_bpf_session *bs = r->bs;
	struct fbpf_node *n = fbpf_node_or_reply(r, ino);
	struct fbpf_creds c;
	int err;

	if (!n)
		return;
	err = fbpf_creds_enter(req, &c, false);
	if (!err) {
		if (faccessat(n->fd, "", mask, AT_EMPTY_PATH | AT_EACCESS))
			err = -errno;
		fbpf_creds_restore(&c);
	}
	fbpf_node_put(bs, n);
	fuse_reply_err(req, -err);
}

void fbpf_bop_readlink(const struct fbpf_req *r, fuse_ino_t ino)
{
	fuse_req_t req = r->req;
	struct fuse_bpf_session *bs = r->bs;
	struct fbpf_node *n = fbpf_node_or_reply(r, ino);
	char buf[PATH_MAX + 1];
	ssize_t len;

	if (!n)
		return;
	len = readlinkat(n->fd, "", buf, sizeof(buf));
	if (len < 0) {
		fuse_reply_err(req, errno);
	} else if ((size_t)len >= sizeof(buf)) {
		fuse_reply_err(req, ENAMETOOLONG);
	} else {
		buf[len] = '\0';
		fuse_reply_readlink(req, buf);
	}
	fbpf_node_put(bs, n);
}

void fbpf_bop_statfs(const struct fbpf_req *r, fuse_ino_t ino)
{
	fuse_req_t req = r->req;
	struct fuse_bpf_session *bs = r->bs;
	struct fbpf_node *n = fbpf_node_or_reply(r, ino);
	struct statvfs sv;

	if (!n)
		return;
	if (fstatvfs(n->fd, &sv))
		fuse_reply_err(req, errno);
	else
		fuse_reply_statfs(req, &sv);
	fbpf_node_put(bs, n);
}

