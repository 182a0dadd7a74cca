// SPDX-License-Identifier: LGPL-2.1-only
/*
 * libfuse-bpf: open files of backed nodes: open and create (with
 * passthrough registration), data, sync, allocation, and flock.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#include "backing_i.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/*
 * Answer an OPEN or CREATE whose lower file is @fd: a passthrough open when
 * the node has a backing id, an ordinary one otherwise.  On failure the
 * open is undone (the kernel sends no RELEASE for it).
 */
static void reply_opened(const struct fbpf_req *r, struct fuse_bpf_session *bs,
			 struct fbpf_node *n, int fd, struct fuse_file_info *fi,
			 const struct fuse_entry_param *e)
{
	fuse_req_t req = r->req;
	int id, ret;

	fi->fh = (uint64_t)fd;
	fi->keep_cache = 0;
	fi->direct_io = 0;
	id = fbpf_node_open_begin(bs, n, fd);
	if (e && id > 0)
		ret = fbpf_reply_create_passthrough(r, e, fi, id);
	else if (e)
		ret = fuse_reply_create(req, e, fi);
	else if (id > 0)
		ret = fbpf_reply_open_passthrough(r, fi, id);
	else
		ret = fuse_reply_open(req, fi);
	if (ret) {
		close(fd);
		fbpf_node_open_end(bs, n);
		if (e)
			fbpf_nodes_forget(bs, e->ino, 1);
	}
}

void fbpf_bop_open(const struct fbpf_req *r, fuse_ino_t ino,
		     struct fuse_file_info *fi)
{
	fuse_req_t req = r->req;
	struct fuse_bpf_session *bs = r->bs;
	struct fbpf_node *n = fbpf_node_or_reply(r, ino);
	char path[FBPF_PROC_PATH_MAX];
	struct fbpf_creds c;
	int fd = -1, err;

	if (!n)
		return;
	fbpf_proc_path(path, n->fd);
	err = fbpf_creds_enter(req, &c, false);
	if (!err) {
		fd = open(path, (fi->flags & ~FBPF_OPEN_DROP) | O_CLOEXEC);
		if (fd < 0)
			err = -errno;
		fbpf_creds_restore(&c);
	}
	if (err)
		fuse_reply_err(req, -err);
	else
		reply_opened(r, bs, n, fd, fi, NULL);
	fbpf_node_put(bs, n);
}

void fbpf_bop_create(const struct fbpf_req *r, fuse_ino_t parent,
		     const char *name, mode_t mode, struct fuse_file_info *fi)
{
	fuse_req_t req = r->req;
	struct fuse_bpf_session *bs = r->bs;
	struct fbpf_node *p = fbpf_node_or_reply(r, parent), *n = NULL;
	char path[FBPF_PROC_PATH_MAX];
	struct fuse_entry_param e;
	struct fbpf_creds c;
	int fd = -1, pfd, err, flags;

	if (!p)
		return;
	flags = fi->flags & ~(O_NOCTTY | O_DIRECT);
	/*
	 * A TMPFILE comes as a CREATE (see session.c): the file is an
	 * unnamed one in the parent, linkable unless O_EXCL.
	 */
	if (r->opcode == FUSE_TMPFILE) {
		flags = (flags & ~(O_CREAT | O_TMPFILE)) | O_TMPFILE;
		name = ".";
	} else {
		flags |= O_CREAT;
	}
	err = fbpf_creds_enter(req, &c, true);
	if (!err) {
		fd = openat(p->fd, name, flags | O_CLOEXEC, mode);
		if (fd < 0)
			err = -errno;
		fbpf_creds_restore(&c);
	}
	fbpf_node_put(bs, p);
	if (!err) {
		/* The node is the object opened, whatever the name is now. */
		fbpf_proc_path(path, fd);
		pfd = open(path, O_PATH | O_CLOEXEC);
		err = pfd < 0 ? -errno : fbpf_entry_from_fd(bs, pfd, &e);
	}
	if (!err) {
		n = fbpf_node_get(bs, e.ino);
		if (!n) {
			fbpf_nodes_forget(bs, e.ino, 1);
			err = -ESTALE;
		}
	}
	if (err) {
		if (fd >= 0)
			close(fd);
		fuse_reply_err(req, -err);
		return;
	}
	reply_opened(r, bs, n, fd, fi, &e);
	fbpf_node_put(bs, n);
}

void fbpf_bop_read(const struct fbpf_req *r, fuse_ino_t ino, size_t size,
		   off_t off, struct fuse_file_info *fi)
{
	fuse_req_t req = r->req;
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = (int)fi->fh;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

/*
 * The WRITE asks for set-user-ID and set-group-ID to be cleared (the
 * writer lacks CAP_FSETID) and the file has one of them: writing as the
 * caller lets the lower filesystem clear them by its own rules.
 */
static bool write_as_caller(const struct fbpf_req *r, int fd)
{
	struct stat st;

	return r->kill_suidgid && r->opcode == FUSE_WRITE &&
	       fstat(fd, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID));
}

void fbpf_bop_write_buf(const struct fbpf_req *r, fuse_ino_t ino,
			  struct fuse_bufvec *in, off_t off,
			  struct fuse_file_info *fi)
{
	fuse_req_t req = r->req;
	struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in));
	struct fbpf_creds c;
	bool as_caller;
	ssize_t res;

	out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	out.buf[0].fd = (int)fi->fh;
	out.buf[0].pos = off;
	as_caller = write_as_caller(r, (int)fi->fh);
	if (as_caller) {
		res = fbpf_creds_enter(req, &c, false);
		if (res < 0) {
			fuse_reply_err(req, (int)-res);
			return;
		}
	}
	res = fuse_buf_copy(&out, in, 0);
	if (as_caller)
		fbpf_creds_restore(&c);
	if (res < 0)
		fuse_reply_err(req, (int)-res);
	else
		fuse_reply_write(req, (size_t)res);
}

void fbpf_bop_write(const struct fbpf_req *r, fuse_ino_t ino, const char *data,
		      size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fuse_bufvec in = FUSE_BUFVEC_INIT(size);

	in.buf[0].mem = (void *)data;
	fbpf_bop_write_buf(r, ino, &in, off, fi);
}

void fbpf_bop_flush(const struct fbpf_req *r, fuse_ino_t ino,
		      struct fuse_file_info *fi)
{
	fuse_req_t req = r->req;
	/* Closing a duplicate gives the lower close(2) semantics. */
	int fd = dup((int)fi->fh);

	if (fd < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_err(req, close(fd) ? errno : 0);
}

void fbpf_bop_release(const struct fbpf_req *r, fuse_ino_t ino,
			struct fuse_file_info *fi)
{
	fuse_req_t req = r->req;
	struct fuse_bpf_session *bs = r->bs;
	struct fbpf_node *n = fbpf_node_get(bs, ino);

	close((int)fi->fh);
	if (n) {
		fbpf_node_open_end(bs, n);
		fbpf_node_put(bs, n);
	}
	fuse_reply_err(req, 0);
}

void fbpf_bop_fsync(const struct fbpf_req *r, fuse_ino_t ino, int datasync,
		      struct fuse_file_info *fi)
{
	fuse_req_t req = r->req;
	int fd = (int)fi->fh;

	fuse_reply_err(req, (datasync ? fdatasync(fd) : fsync(fd)) ? errno : 0);
}

void fbpf_bop_fallocate(const struct fbpf_req *r, fuse_ino_t ino, int mode,
			  off_t offset, off_t length,
			  struct fuse_file_info *fi)
{
	fuse_req_t req = r->req;
	if (fallocate((int)fi->fh, mode, offset, length))
		fuse_reply_err(req, errno);
	else
		fuse_reply_err(req, 0);
}

void fbpf_bop_lseek(const struct fbpf_req *r, fuse_ino_t ino, off_t off,
		    int whence, struct fuse_file_info *fi)
{
	fuse_req_t req = r->req;
	off_t res = lseek((int)fi->fh, off, whence);

	if (res < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_lseek(req, res);
}

void fbpf_bop_copy_file_range(const struct fbpf_req *r, fuse_ino_t ino_in,
				off_t off_in, struct fuse_file_info *fi_in,
				fuse_ino_t ino_out, off_t off_out,
				struct fuse_file_info *fi_out, size_t len,
				int flags)
{
	fuse_req_t req = r->req;
	struct fuse_bpf_session *bs = r->bs;
	struct fbpf_node *in = fbpf_node_get(bs, ino_in);
	struct fbpf_node *out = fbpf_node_get(bs, ino_out);
	ssize_t res;

	if (!in || !out) {
		fuse_reply_err(req, EXDEV);
	} else {
		res = copy_file_range((int)fi_in->fh, &off_in,
				      (int)fi_out->fh, &off_out, len,
				      (unsigned int)flags);
		if (res < 0)
			fuse_reply_err(req, errno);
		else
			fuse_reply_write(req, (size_t)res);
	}
	fbpf_node_put(bs, in);
	fbpf_node_put(bs, out);
}

/* ---------------------------------------------------------------------- */
/* flock                                                                  */
/* ---------------------------------------------------------------------- */

/*
 * Each FUSE open file has its own open backing file (fi->fh), so flock(2)
 * on it has flock's per-open-file semantics and conflicts with every
 * other user of the lower file.
 */

/* How often a waiting flock tries again. */
#define FBPF_FLOCK_POLL_NS 5000000L

struct flock_wait {
	fuse_req_t req;
	struct fbpf_core *core;
	int fd;
	int op;
};

/*
 * A flock that has to wait does so in a thread of its own, so that the
 * session loop (single-threaded, perhaps) goes on serving the requests that
 * may release the lock.  It tries without blocking until it gets the lock,
 * the caller is interrupted (INTERRUPT) or the session goes away; the
 * kernel keeps the file open until the request is answered.
 */
static void *flock_waiter(void *arg)
{
	struct flock_wait *w = arg;
	struct timespec ts = { .tv_sec = 0, .tv_nsec = FBPF_FLOCK_POLL_NS };
	int err;

	for (;;) {
		err = flock(w->fd, w->op | LOCK_NB) ? errno : 0;
		if (err != EWOULDBLOCK)
			break;
		if (fuse_req_interrupted(w->req) ||
		    atomic_load(&w->core->stopping)) {
			err = EINTR;
			break;
		}
		nanosleep(&ts, NULL);
	}
	fuse_reply_err(w->req, err);
	atomic_fetch_sub(&w->core->lock_waiters, 1);
	free(w);
	return NULL;
}

static int flock_wait_start(const struct fbpf_req *r, int fd, int op)
{
	fuse_req_t req = r->req;
	struct fuse_bpf_session *bs = r->bs;
	struct flock_wait *w = malloc(sizeof(*w));
	pthread_attr_t attr;
	pthread_t th;
	int err;

	if (!w)
		return -ENOMEM;
	w->req = req;
	w->core = fbpf_core_of(bs);
	w->fd = fd;
	w->op = op;
	err = pthread_attr_init(&attr);
	if (!err) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		atomic_fetch_add(&w->core->lock_waiters, 1);
		err = pthread_create(&th, &attr, flock_waiter, w);
		if (err)
			atomic_fetch_sub(&w->core->lock_waiters, 1);
		pthread_attr_destroy(&attr);
	}
	if (err) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: no thread to wait for a flock: %s\n",
			 strerror(err));
		free(w);
		return -ENOLCK;
	}
	return 0;
}

void fbpf_bop_flock(const struct fbpf_req *r, fuse_ino_t ino,
		      struct fuse_file_info *fi, int op)
{
	fuse_req_t req = r->req;
	int fd = (int)fi->fh, err;

	err = flock(fd, op | LOCK_NB) ? errno : 0;
	if (err == EWOULDBLOCK && !(op & LOCK_NB)) {
		err = -flock_wait_start(r, fd, op & ~LOCK_NB);
		if (!err)
			return;
	}
	fuse_reply_err(req, err);
}

