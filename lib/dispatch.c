// SPDX-License-Identifier: LGPL-2.1-only
/*
 * libfuse-bpf: the wrapped fuse_lowlevel_ops.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 *
 * libfuse calls these for every request.  In fuse-bpf mode every request
 * goes to the daemon (the kernel already served backed nodes).  In the
 * userspace and passthrough modes a request on a node the library serves
 * goes to fbpf_backing_ops and is counted as the library's; everything else
 * goes to the daemon.  Where the chosen table has no handler, the reply is
 * the one libfuse 3.14 gives for a missing handler.
 */
#include "fuse_bpf_i.h"

#include <errno.h>
#include <linux/fuse.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#define B fbpf_backing_ops

static bool lower_mode(struct fuse_bpf_session *bs)
{
	return fbpf_mode(bs) != FUSE_BPF_MODE_KERNEL;
}

/* The library serves requests on @ino. */
static bool served(struct fuse_bpf_session *bs, fuse_ino_t ino)
{
	return lower_mode(bs) && fbpf_nodes_serves(bs, ino);
}

/*
 * Call @op of the library's table when @srv (counting the request as the
 * library's), else the daemon's; @dflt when the chosen table lacks it.
 */
#define ROUTE(bs, srv, op, dflt, ...)					\
	do {								\
		if (srv) {						\
			fbpf_count_library(bs);				\
			if (B.op)					\
				B.op(__VA_ARGS__);			\
			else						\
				dflt;					\
		} else if ((bs)->dops.op) {				\
			(bs)->dops.op(__VA_ARGS__);			\
		} else {						\
			dflt;						\
		}							\
	} while (0)

/* The session of a request, or an EIO reply when it is unknown. */
#define SESSION_OR_EIO(bs, req)						\
	do {								\
		(bs) = fbpf_session_of(req);				\
		if (!(bs)) {						\
			fuse_reply_err((req), EIO);			\
			return;						\
		}							\
	} while (0)

/*
 * A daemon reply that creates an entry is checked in the lower modes: its
 * node id must not be in the library's range.
 */
static bool watch_entry(struct fuse_bpf_session *bs, fuse_req_t req,
			uint32_t opcode, bool lookup)
{
	unsigned int kind = 0;
	int err;

	if (lookup)
		kind |= FBPF_PEND_LOOKUP;
	if (lower_mode(bs))
		kind |= FBPF_PEND_CHECK_ENTRY;
	if (!kind)
		return true;
	err = fbpf_pending_add(bs, fbpf_cur.unique, req, opcode, kind, 0);
	if (err) {
		fuse_reply_err(req, -err);
		return false;
	}
	return true;
}

/*
 * The kernel remembers an ENOSYS answer to some operations for the whole
 * mount (no_flush, no_fsync, no_access, no_xattr, no_fallocate,
 * no_copy_file_range) and then never asks again, not even for nodes the
 * library serves.  So where a daemon without the handler shares the mount
 * with library-served nodes that have it, the daemon's node gets what the
 * kernel would have turned ENOSYS into (@instead: 0 or EOPNOTSUPP), for
 * this request only.  Everywhere else the reply is libfuse's ENOSYS.
 */
static void reply_missing(struct fuse_bpf_session *bs, fuse_req_t req,
			  bool srv, bool lib_has, int instead)
{
	if (!srv && lib_has && lower_mode(bs))
		fuse_reply_err(req, instead);
	else
		fuse_reply_err(req, ENOSYS);
}

static void default_statfs(fuse_req_t req)
{
	struct statvfs buf;

	memset(&buf, 0, sizeof(buf));
	buf.f_namemax = 255;
	buf.f_bsize = 512;
	fuse_reply_statfs(req, &buf);
}

/* ---------------------------------------------------------------------- */

/*
 * flock goes to userspace when the library serves files from the start
 * (a backed root), so that it reaches the backing files.  Without a backed
 * root it stays with the kernel, unless the daemon takes it.
 */
static bool lib_flock(struct fuse_bpf_session *bs)
{
	return lower_mode(bs) && bs->cfg.root_fd >= 0 && B.flock;
}

static void w_init(void *userdata, struct fuse_conn_info *conn)
{
	struct fuse_bpf_session *bs = fbpf_cur.bs;
	bool lower, plus;

	if (!bs) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: INIT outside of a session\n");
		return;
	}
	lower = lower_mode(bs);
	/*
	 * libfuse enabled capabilities from the wrapped table; keep those the
	 * daemon's own table would have given, plus readdirplus when only
	 * the library can list directories.
	 */
	if (!(bs->dops.getlk && bs->dops.setlk))
		conn->want &= ~FUSE_CAP_POSIX_LOCKS;
	if (!bs->dops.flock && !lib_flock(bs))
		conn->want &= ~FUSE_CAP_FLOCK_LOCKS;
	plus = bs->dops.readdirplus ||
	       (lower && !bs->dops.readdir && B.readdirplus);
	if (!plus)
		conn->want &= ~(FUSE_CAP_READDIRPLUS |
				FUSE_CAP_READDIRPLUS_AUTO);
	else if (bs->dops.readdirplus && !bs->dops.readdir)
		conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;

	if (bs->dops.init)
		bs->dops.init(userdata, conn);

	/* Splice reads would bypass the custom-io read hook. */
	conn->want &= ~FUSE_CAP_SPLICE_READ;
	/* The kernel refuses passthrough together with writeback cache. */
	if (fbpf_mode(bs) == FUSE_BPF_MODE_PASSTHROUGH)
		conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

static void w_destroy(void *userdata)
{
	struct fuse_bpf_session *bs = fbpf_cur.bs;

	if (bs && bs->dops.destroy)
		bs->dops.destroy(userdata);
}

static void w_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_bpf_session *bs;
	bool srv;

	SESSION_OR_EIO(bs, req);
	srv = served(bs, parent);
	if (!srv && !watch_entry(bs, req, FUSE_LOOKUP, true))
		return;
	ROUTE(bs, srv, lookup, fuse_reply_err(req, ENOSYS), req, parent, name);
}

/*
 * Without a daemon forget_multi, libfuse hands each item of a BATCH_FORGET
 * to the forget operation, in the thread that read the batch.  The batch
 * counts as the library's unless one of its items reaches the daemon.
 */
static _Thread_local struct {
	struct fuse_bpf_session *bs;
	uint64_t unique;
	bool daemon;
} batch;

static void count_batch_item(struct fuse_bpf_session *bs, bool to_daemon)
{
	if (batch.bs != bs || batch.unique != fbpf_cur.unique) {
		batch.bs = bs;
		batch.unique = fbpf_cur.unique;
		batch.daemon = false;
		fbpf_count_library(bs);
	}
	if (to_daemon && !batch.daemon) {
		batch.daemon = true;
		fbpf_uncount_library(bs);
	}
}

static void w_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct fuse_bpf_session *bs = fbpf_session_of(req);
	bool mine;

	if (!bs) {
		fuse_reply_none(req);
		return;
	}
	mine = lower_mode(bs) && !fbpf_nodes_forget(bs, ino, nlookup);
	if (fbpf_cur.opcode == FUSE_BATCH_FORGET)
		count_batch_item(bs, !mine);
	else if (mine)
		fbpf_count_library(bs);
	if (mine) {
		fuse_reply_none(req);
		return;
	}
	if (bs->dops.forget)
		bs->dops.forget(req, ino, nlookup);
	else
		fuse_reply_none(req);
}

static void w_forget_multi(fuse_req_t req, size_t count,
			   struct fuse_forget_data *forgets)
{
	struct fuse_bpf_session *bs = fbpf_session_of(req);
	size_t i, n = 0;

	if (!bs) {
		fuse_reply_none(req);
		return;
	}
	for (i = 0; i < count; i++) {
		if (!lower_mode(bs) ||
		    fbpf_nodes_forget(bs, forgets[i].ino, forgets[i].nlookup))
			forgets[n++] = forgets[i];
	}
	if (!n) {
		fbpf_count_library(bs);
		fuse_reply_none(req);
		return;
	}
	/* Only set in the wrapped table when the daemon has it. */
	bs->dops.forget_multi(req, n, forgets);
}

static void w_getattr(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, ino), getattr, fuse_reply_err(req, ENOSYS),
	      req, ino, fi);
}

static void w_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		      int to_set, struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, ino), setattr, fuse_reply_err(req, ENOSYS),
	      req, ino, attr, to_set, fi);
}

static void w_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, ino), readlink, fuse_reply_err(req, ENOSYS),
	      req, ino);
}

static void w_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		    mode_t mode, dev_t rdev)
{
	struct fuse_bpf_session *bs;
	bool srv;

	SESSION_OR_EIO(bs, req);
	srv = served(bs, parent);
	if (!srv && !watch_entry(bs, req, FUSE_MKNOD, false))
		return;
	ROUTE(bs, srv, mknod, fuse_reply_err(req, ENOSYS),
	      req, parent, name, mode, rdev);
}

static void w_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		    mode_t mode)
{
	struct fuse_bpf_session *bs;
	bool srv;

	SESSION_OR_EIO(bs, req);
	srv = served(bs, parent);
	if (!srv && !watch_entry(bs, req, FUSE_MKDIR, false))
		return;
	ROUTE(bs, srv, mkdir, fuse_reply_err(req, ENOSYS),
	      req, parent, name, mode);
}

static void w_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, parent), unlink, fuse_reply_err(req, ENOSYS),
	      req, parent, name);
}

static void w_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, parent), rmdir, fuse_reply_err(req, ENOSYS),
	      req, parent, name);
}

static void w_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		      const char *name)
{
	struct fuse_bpf_session *bs;
	bool srv;

	SESSION_OR_EIO(bs, req);
	srv = served(bs, parent);
	if (!srv && !watch_entry(bs, req, FUSE_SYMLINK, false))
		return;
	ROUTE(bs, srv, symlink, fuse_reply_err(req, ENOSYS),
	      req, link, parent, name);
}

static void w_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		     fuse_ino_t newparent, const char *newname,
		     unsigned int flags)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, parent) || served(bs, newparent), rename,
	      fuse_reply_err(req, ENOSYS),
	      req, parent, name, newparent, newname, flags);
}

static void w_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		   const char *newname)
{
	struct fuse_bpf_session *bs;
	bool srv;

	SESSION_OR_EIO(bs, req);
	srv = served(bs, ino) || served(bs, newparent);
	if (!srv && !watch_entry(bs, req, FUSE_LINK, false))
		return;
	ROUTE(bs, srv, link, fuse_reply_err(req, ENOSYS),
	      req, ino, newparent, newname);
}

static void w_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, ino), open, fuse_reply_open(req, fi),
	      req, ino, fi);
}

static void w_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, ino), read, fuse_reply_err(req, ENOSYS),
	      req, ino, size, off, fi);
}

static void w_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		    size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, ino), write, fuse_reply_err(req, ENOSYS),
	      req, ino, buf, size, off, fi);
}

/* A write_buf request for a table that only has write. */
static void write_from_buf(void (*write)(fuse_req_t, fuse_ino_t,
					 const char *, size_t, off_t,
					 struct fuse_file_info *),
			   fuse_req_t req, fuse_ino_t ino,
			   struct fuse_bufvec *bufv, off_t off,
			   struct fuse_file_info *fi)
{
	size_t size = fuse_buf_size(bufv);
	struct fuse_bufvec dst = FUSE_BUFVEC_INIT(size);
	ssize_t n;
	char *mem;

	if (!write) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if (bufv->count == 1 && bufv->idx == 0 && bufv->off == 0 &&
	    !(bufv->buf[0].flags & FUSE_BUF_IS_FD)) {
		write(req, ino, bufv->buf[0].mem, bufv->buf[0].size, off, fi);
		return;
	}
	mem = malloc(size ? size : 1);
	if (!mem) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	dst.buf[0].mem = mem;
	n = fuse_buf_copy(&dst, bufv, 0);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		write(req, ino, mem, (size_t)n, off, fi);
	free(mem);
}

static void w_write_buf(fuse_req_t req, fuse_ino_t ino,
			struct fuse_bufvec *bufv, off_t off,
			struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	if (served(bs, ino)) {
		fbpf_count_library(bs);
		if (B.write_buf)
			B.write_buf(req, ino, bufv, off, fi);
		else
			write_from_buf(B.write, req, ino, bufv, off, fi);
	} else if (bs->dops.write_buf) {
		bs->dops.write_buf(req, ino, bufv, off, fi);
	} else {
		write_from_buf(bs->dops.write, req, ino, bufv, off, fi);
	}
}

static void w_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs;
	bool srv;

	SESSION_OR_EIO(bs, req);
	srv = served(bs, ino);
	ROUTE(bs, srv, flush, reply_missing(bs, req, srv, B.flush != NULL, 0),
	      req, ino, fi);
}

static void w_release(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, ino), release, fuse_reply_err(req, 0),
	      req, ino, fi);
}

static void w_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		    struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs;
	bool srv;

	SESSION_OR_EIO(bs, req);
	srv = served(bs, ino);
	ROUTE(bs, srv, fsync, reply_missing(bs, req, srv, B.fsync != NULL, 0),
	      req, ino, datasync, fi);
}

static void w_opendir(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, ino), opendir, fuse_reply_open(req, fi),
	      req, ino, fi);
}

static void w_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, ino), readdir, fuse_reply_err(req, ENOSYS),
	      req, ino, size, off, fi);
}

static void w_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			  off_t off, struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs;
	bool srv;

	SESSION_OR_EIO(bs, req);
	srv = served(bs, ino);
	if (!srv && bs->dops.readdirplus &&
	    !watch_entry(bs, req, FUSE_READDIRPLUS, false))
		return;
	ROUTE(bs, srv, readdirplus, fuse_reply_err(req, ENOSYS),
	      req, ino, size, off, fi);
}

static void w_releasedir(fuse_req_t req, fuse_ino_t ino,
			 struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, ino), releasedir, fuse_reply_err(req, 0),
	      req, ino, fi);
}

static void w_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
		       struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs;
	bool srv;

	SESSION_OR_EIO(bs, req);
	srv = served(bs, ino);
	ROUTE(bs, srv, fsyncdir,
	      reply_missing(bs, req, srv, B.fsyncdir != NULL,
			    0),
	      req, ino, datasync, fi);
}

static void w_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, ino), statfs, default_statfs(req), req, ino);
}

static void w_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		       const char *value, size_t size, int flags)
{
	struct fuse_bpf_session *bs;
	bool srv;

	SESSION_OR_EIO(bs, req);
	srv = served(bs, ino);
	ROUTE(bs, srv, setxattr,
	      reply_missing(bs, req, srv, B.setxattr != NULL,
			    EOPNOTSUPP),
	      req, ino, name, value, size, flags);
}

static void w_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		       size_t size)
{
	struct fuse_bpf_session *bs;
	bool srv;

	SESSION_OR_EIO(bs, req);
	srv = served(bs, ino);
	ROUTE(bs, srv, getxattr,
	      reply_missing(bs, req, srv, B.getxattr != NULL,
			    EOPNOTSUPP),
	      req, ino, name, size);
}

static void w_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct fuse_bpf_session *bs;
	bool srv;

	SESSION_OR_EIO(bs, req);
	srv = served(bs, ino);
	ROUTE(bs, srv, listxattr,
	      reply_missing(bs, req, srv, B.listxattr != NULL,
			    EOPNOTSUPP),
	      req, ino, size);
}

static void w_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct fuse_bpf_session *bs;
	bool srv;

	SESSION_OR_EIO(bs, req);
	srv = served(bs, ino);
	ROUTE(bs, srv, removexattr,
	      reply_missing(bs, req, srv, B.removexattr != NULL,
			    EOPNOTSUPP),
	      req, ino, name);
}

static void w_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct fuse_bpf_session *bs;
	bool srv;

	SESSION_OR_EIO(bs, req);
	srv = served(bs, ino);
	ROUTE(bs, srv, access, reply_missing(bs, req, srv, B.access != NULL, 0),
	      req, ino, mask);
}

static void w_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs;
	bool srv;

	SESSION_OR_EIO(bs, req);
	srv = served(bs, parent);
	/*
	 * A TMPFILE the read hook handed over as a CREATE (see session.c)
	 * never reaches the daemon's create.  Should its parent have lost
	 * its backing meanwhile, the answer is the one the kernel gives for a
	 * file system without O_TMPFILE, for this request only.
	 */
	if (fbpf_cur.opcode == FUSE_TMPFILE && !srv) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	if (!srv && !watch_entry(bs, req, FUSE_CREATE, false))
		return;
	ROUTE(bs, srv, create, fuse_reply_err(req, ENOSYS),
	      req, parent, name, mode, fi);
}

static void w_getlk(fuse_req_t req, fuse_ino_t ino,
		    struct fuse_file_info *fi, struct flock *lock)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, ino), getlk, fuse_reply_err(req, ENOSYS),
	      req, ino, fi, lock);
}

static void w_setlk(fuse_req_t req, fuse_ino_t ino,
		    struct fuse_file_info *fi, struct flock *lock, int sleep)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, ino), setlk, fuse_reply_err(req, ENOSYS),
	      req, ino, fi, lock, sleep);
}

static void w_bmap(fuse_req_t req, fuse_ino_t ino, size_t blocksize,
		   uint64_t idx)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, ino), bmap, fuse_reply_err(req, ENOSYS),
	      req, ino, blocksize, idx);
}

static void w_ioctl(fuse_req_t req, fuse_ino_t ino, int cmd, void *arg,
		    struct fuse_file_info *fi, unsigned int flags,
		    const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, ino), ioctl, fuse_reply_err(req, ENOSYS),
	      req, ino, cmd, arg, fi, flags, in_buf, in_bufsz, out_bufsz);
}

static void poll_unsupported(fuse_req_t req, struct fuse_pollhandle *ph)
{
	if (ph)
		fuse_pollhandle_destroy(ph);
	fuse_reply_err(req, ENOSYS);
}

static void w_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		   struct fuse_pollhandle *ph)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, ino), poll, poll_unsupported(req, ph),
	      req, ino, fi, ph);
}

static void w_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    int op)
{
	struct fuse_bpf_session *bs;
	bool srv;

	SESSION_OR_EIO(bs, req);
	srv = served(bs, ino);
	/*
	 * Once flock reaches userspace for the library, a daemon's node
	 * whose daemon cannot lock answers ENOLCK, as a file system without
	 * locking does.
	 */
	ROUTE(bs, srv, flock,
	      fuse_reply_err(req, !srv && lib_flock(bs) ? ENOLCK : ENOSYS),
	      req, ino, fi, op);
}

static void w_fallocate(fuse_req_t req, fuse_ino_t ino, int mode,
			off_t offset, off_t length, struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs;
	bool srv;

	SESSION_OR_EIO(bs, req);
	srv = served(bs, ino);
	ROUTE(bs, srv, fallocate,
	      reply_missing(bs, req, srv, B.fallocate != NULL,
			    EOPNOTSUPP),
	      req, ino, mode, offset, length, fi);
}

static void w_copy_file_range(fuse_req_t req, fuse_ino_t ino_in,
			      off_t off_in, struct fuse_file_info *fi_in,
			      fuse_ino_t ino_out, off_t off_out,
			      struct fuse_file_info *fi_out, size_t len,
			      int flags)
{
	struct fuse_bpf_session *bs;
	bool srv;

	SESSION_OR_EIO(bs, req);
	srv = served(bs, ino_in);
	ROUTE(bs, srv, copy_file_range,
	      reply_missing(bs, req, srv, B.copy_file_range != NULL,
			    EOPNOTSUPP),
	      req, ino_in, off_in, fi_in, ino_out, off_out, fi_out, len, flags);
}

static void w_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		    struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs;

	SESSION_OR_EIO(bs, req);
	ROUTE(bs, served(bs, ino), lseek, fuse_reply_err(req, ENOSYS),
	      req, ino, off, whence, fi);
}

/* ---------------------------------------------------------------------- */

/*
 * A wrapped handler is installed when the daemon or (in a mode that may
 * use it) the library has one, so that libfuse's own choices that depend
 * on which handlers exist stay as close to the daemon's as possible.
 */
void fbpf_dispatch_build(const struct fuse_bpf_session *bs,
			 struct fuse_lowlevel_ops *o)
{
	const struct fuse_lowlevel_ops *d = &bs->dops;
	bool lib = bs->cfg.mode != FUSE_BPF_MODE_KERNEL;

#define HAS(op) (d->op || (lib && B.op))
	memset(o, 0, sizeof(*o));
	o->init = w_init;
	o->destroy = w_destroy;
	o->lookup = w_lookup;
	o->forget = w_forget;
	o->forget_multi = d->forget_multi ? w_forget_multi : NULL;
	o->retrieve_reply = d->retrieve_reply;
	o->getattr = HAS(getattr) ? w_getattr : NULL;
	o->setattr = HAS(setattr) ? w_setattr : NULL;
	o->readlink = HAS(readlink) ? w_readlink : NULL;
	o->mknod = HAS(mknod) ? w_mknod : NULL;
	o->mkdir = HAS(mkdir) ? w_mkdir : NULL;
	o->unlink = HAS(unlink) ? w_unlink : NULL;
	o->rmdir = HAS(rmdir) ? w_rmdir : NULL;
	o->symlink = HAS(symlink) ? w_symlink : NULL;
	o->rename = HAS(rename) ? w_rename : NULL;
	o->link = HAS(link) ? w_link : NULL;
	o->open = HAS(open) ? w_open : NULL;
	o->read = HAS(read) ? w_read : NULL;
	o->write = HAS(write) ? w_write : NULL;
	o->write_buf = HAS(write_buf) ? w_write_buf : NULL;
	o->flush = HAS(flush) ? w_flush : NULL;
	o->release = HAS(release) ? w_release : NULL;
	o->fsync = HAS(fsync) ? w_fsync : NULL;
	o->opendir = HAS(opendir) ? w_opendir : NULL;
	o->readdir = HAS(readdir) ? w_readdir : NULL;
	o->readdirplus = HAS(readdirplus) ? w_readdirplus : NULL;
	o->releasedir = HAS(releasedir) ? w_releasedir : NULL;
	o->fsyncdir = HAS(fsyncdir) ? w_fsyncdir : NULL;
	o->statfs = HAS(statfs) ? w_statfs : NULL;
	o->setxattr = HAS(setxattr) ? w_setxattr : NULL;
	o->getxattr = HAS(getxattr) ? w_getxattr : NULL;
	o->listxattr = HAS(listxattr) ? w_listxattr : NULL;
	o->removexattr = HAS(removexattr) ? w_removexattr : NULL;
	o->access = HAS(access) ? w_access : NULL;
	o->create = HAS(create) ? w_create : NULL;
	o->getlk = HAS(getlk) ? w_getlk : NULL;
	o->setlk = HAS(setlk) ? w_setlk : NULL;
	o->bmap = HAS(bmap) ? w_bmap : NULL;
	o->ioctl = HAS(ioctl) ? w_ioctl : NULL;
	o->poll = HAS(poll) ? w_poll : NULL;
	o->flock = HAS(flock) ? w_flock : NULL;
	o->fallocate = HAS(fallocate) ? w_fallocate : NULL;
	o->copy_file_range = HAS(copy_file_range) ? w_copy_file_range : NULL;
	o->lseek = HAS(lseek) ? w_lseek : NULL;
#undef HAS
}
