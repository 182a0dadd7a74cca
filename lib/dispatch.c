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
 *
 * Most operations follow one rule and are generated from the rows of
 * FBPF_ROUTED_OPS (fuse_bpf_i.h); those with a rule of their own are
 * written out below the rows, each saying what differs.  This file and
 * session.c are the only ones that see the request this thread dispatches
 * (fbpf_cur); the library's handlers get a struct fbpf_req instead.
 */
#include "dispatch_i.h"

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
 * What the handlers get of the request this thread dispatches; false
 * (after an EIO reply) when the request belongs to no session.
 */
static bool begin(fuse_req_t req, struct fbpf_req *r)
{
	r->req = req;
	r->bs = fbpf_cur.bs;
	r->unique = fbpf_cur.unique;
	r->opcode = fbpf_cur.opcode;
	r->kill_suidgid = fbpf_cur.kill_suidgid;
	if (!r->bs)
		fuse_reply_err(req, EIO);
	return r->bs != NULL;
}

/*
 * A daemon reply that creates an entry is checked in the lower modes: its
 * node id must not be in the library's range.  A LOOKUP is recorded in
 * every mode, so that fuse_bpf_reply_entry() finds it.
 */
static bool watch_entry(const struct fbpf_req *r, uint32_t opcode)
{
	unsigned int kind = 0;
	int err;

	if (opcode == FUSE_LOOKUP)
		kind |= FBPF_PEND_LOOKUP;
	if (lower_mode(r->bs))
		kind |= FBPF_PEND_CHECK_ENTRY;
	if (!kind)
		return true;
	err = fbpf_pending_add(r->bs, r->unique, r->req, opcode, kind, 0);
	if (err) {
		fuse_reply_err(r->req, -err);
		return false;
	}
	return true;
}

/*
 * The reply when the chosen table has no handler: @nosys, libfuse's own
 * answer.  But the kernel remembers an ENOSYS answer to some operations
 * for the whole mount (no_flush, no_fsync, no_access, no_xattr,
 * no_fallocate, no_copy_file_range) and then never asks again, not even
 * for nodes the library serves.  So where a daemon without the handler
 * shares the mount with library-served nodes that have it, the daemon's
 * node gets @shared, what the kernel would have turned ENOSYS into (0 or
 * EOPNOTSUPP), for this request only.
 */
static void reply_missing(const struct fbpf_req *r, bool srv, bool lib_has,
			  int nosys, int shared)
{
	if (!srv && lib_has && lower_mode(r->bs))
		fuse_reply_err(r->req, shared);
	else
		fuse_reply_err(r->req, nosys);
}

/* ---------------------------------------------------------------------- */
/* The operations of FBPF_ROUTED_OPS: one rule, one wrapper per row        */
/* ---------------------------------------------------------------------- */

/*
 * The library's handler when it serves the request (counted as the
 * library's), else the daemon's; reply_missing() when that table has
 * none.  A request the daemon serves is watched first when its row says
 * so.
 */
#define S(ino) served(r.bs, (ino))
#define FBPF_WRAPPER(op, who, watch, nosys, shared, params, args)	\
	static void w_##op(fuse_req_t req, FBPF_UNPAREN params)	\
	{								\
		struct fbpf_req r;					\
		bool srv;						\
									\
		if (!begin(req, &r))					\
			return;						\
		srv = who;						\
		if (!srv && (watch) && !watch_entry(&r, (watch)))	\
			return;						\
		if (srv)						\
			fbpf_count_library(r.bs, r.opcode);		\
		if (srv && B.op)					\
			B.op(&r, FBPF_UNPAREN args);			\
		else if (!srv && r.bs->dops.op)				\
			r.bs->dops.op(req, FBPF_UNPAREN args);		\
		else							\
			reply_missing(&r, srv, B.op != NULL, (nosys),	\
				      (shared));			\
	}
FBPF_ROUTED_OPS(FBPF_WRAPPER)
#undef FBPF_WRAPPER

/* ---------------------------------------------------------------------- */
/* Operations with a rule of their own                                     */
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

/* INIT: keep the capabilities the daemon's own table would have given. */
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

/* DESTROY has no request: the session comes from the thread's record. */
static void w_destroy(void *userdata)
{
	struct fuse_bpf_session *bs = fbpf_cur.bs;

	if (bs && bs->dops.destroy)
		bs->dops.destroy(userdata);
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

static void count_batch_item(const struct fbpf_req *r, bool to_daemon)
{
	if (batch.bs != r->bs || batch.unique != r->unique) {
		batch.bs = r->bs;
		batch.unique = r->unique;
		batch.daemon = false;
		fbpf_count_library(r->bs, r->opcode);
	}
	if (to_daemon && !batch.daemon) {
		batch.daemon = true;
		fbpf_uncount_library(r->bs, r->opcode);
	}
}

/*
 * FORGET has no reply and goes to the library's node table first; the
 * daemon sees it for node ids it handed out.
 */
static void w_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct fbpf_req r;
	bool mine;

	r.bs = fbpf_cur.bs;
	r.unique = fbpf_cur.unique;
	r.opcode = fbpf_cur.opcode;
	if (!r.bs) {
		fuse_reply_none(req);
		return;
	}
	mine = lower_mode(r.bs) && !fbpf_nodes_forget(r.bs, ino, nlookup);
	if (r.opcode == FUSE_BATCH_FORGET)
		count_batch_item(&r, !mine);
	else if (mine)
		fbpf_count_library(r.bs, r.opcode);
	if (mine) {
		fuse_reply_none(req);
		return;
	}
	if (r.bs->dops.forget)
		r.bs->dops.forget(req, ino, nlookup);
	else
		fuse_reply_none(req);
}

/* A BATCH_FORGET reaches the daemon with the items that are its own. */
static void w_forget_multi(fuse_req_t req, size_t count,
			   struct fuse_forget_data *forgets)
{
	struct fuse_bpf_session *bs = fbpf_cur.bs;
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
		fbpf_count_library(bs, fbpf_cur.opcode);
		fuse_reply_none(req);
		return;
	}
	/* Only set in the wrapped table when the daemon has it. */
	bs->dops.forget_multi(req, n, forgets);
}

/* OPEN and OPENDIR without a handler succeed, as libfuse answers them. */
static void w_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fbpf_req r;

	if (!begin(req, &r))
		return;
	if (S(ino)) {
		fbpf_count_library(r.bs, r.opcode);
		B.open(&r, ino, fi);
	} else if (r.bs->dops.open) {
		r.bs->dops.open(req, ino, fi);
	} else {
		fuse_reply_open(req, fi);
	}
}

static void w_opendir(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi)
{
	struct fbpf_req r;

	if (!begin(req, &r))
		return;
	if (S(ino)) {
		fbpf_count_library(r.bs, r.opcode);
		B.opendir(&r, ino, fi);
	} else if (r.bs->dops.opendir) {
		r.bs->dops.opendir(req, ino, fi);
	} else {
		fuse_reply_open(req, fi);
	}
}

/* STATFS without a handler gets libfuse's default answer. */
static void default_statfs(fuse_req_t req)
{
	struct statvfs buf;

	memset(&buf, 0, sizeof(buf));
	buf.f_namemax = 255;
	buf.f_bsize = 512;
	fuse_reply_statfs(req, &buf);
}

static void w_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct fbpf_req r;

	if (!begin(req, &r))
		return;
	if (S(ino)) {
		fbpf_count_library(r.bs, r.opcode);
		B.statfs(&r, ino);
	} else if (r.bs->dops.statfs) {
		r.bs->dops.statfs(req, ino);
	} else {
		default_statfs(req);
	}
}

/*
 * CREATE is watched like the other replies that make an entry, but a
 * TMPFILE the read hook handed over as a CREATE (see session.c) never
 * reaches the daemon's create.  Should its parent have lost its backing
 * meanwhile, the answer is the one the kernel gives for a file system
 * without O_TMPFILE, for this request only.
 */
static void w_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, struct fuse_file_info *fi)
{
	struct fbpf_req r;
	bool srv;

	if (!begin(req, &r))
		return;
	srv = S(parent);
	if (r.opcode == FUSE_TMPFILE && !srv) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	if (srv) {
		fbpf_count_library(r.bs, r.opcode);
		B.create(&r, parent, name, mode, fi);
	} else if (!watch_entry(&r, FUSE_CREATE)) {
		return;
	} else if (r.bs->dops.create) {
		r.bs->dops.create(req, parent, name, mode, fi);
	} else {
		fuse_reply_err(req, ENOSYS);
	}
}

/* READDIRPLUS entries are watched only when the daemon makes them. */
static void w_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			  off_t off, struct fuse_file_info *fi)
{
	struct fbpf_req r;

	if (!begin(req, &r))
		return;
	if (S(ino)) {
		fbpf_count_library(r.bs, r.opcode);
		B.readdirplus(&r, ino, size, off, fi);
	} else if (r.bs->dops.readdirplus) {
		if (watch_entry(&r, FUSE_READDIRPLUS))
			r.bs->dops.readdirplus(req, ino, size, off, fi);
	} else {
		fuse_reply_err(req, ENOSYS);
	}
}

/* A write_buf request for a daemon that only has write. */
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

/*
 * libfuse prefers write_buf once the wrapped table has it, so a daemon
 * with only write gets its data through write_from_buf().
 */
static void w_write_buf(fuse_req_t req, fuse_ino_t ino,
			struct fuse_bufvec *bufv, off_t off,
			struct fuse_file_info *fi)
{
	struct fbpf_req r;

	if (!begin(req, &r))
		return;
	if (S(ino)) {
		fbpf_count_library(r.bs, r.opcode);
		B.write_buf(&r, ino, bufv, off, fi);
	} else if (r.bs->dops.write_buf) {
		r.bs->dops.write_buf(req, ino, bufv, off, fi);
	} else {
		write_from_buf(r.bs->dops.write, req, ino, bufv, off, fi);
	}
}

/* POLL without a handler must still free the poll handle. */
static void w_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		   struct fuse_pollhandle *ph)
{
	struct fbpf_req r;
	bool srv;

	if (!begin(req, &r))
		return;
	srv = S(ino);
	if (srv)
		fbpf_count_library(r.bs, r.opcode);
	if (srv && B.poll) {
		B.poll(&r, ino, fi, ph);
	} else if (!srv && r.bs->dops.poll) {
		r.bs->dops.poll(req, ino, fi, ph);
	} else {
		if (ph)
			fuse_pollhandle_destroy(ph);
		fuse_reply_err(req, ENOSYS);
	}
}

/*
 * Once flock reaches userspace for the library, a daemon's node whose
 * daemon cannot lock answers ENOLCK, as a file system without locking
 * does.
 */
static void w_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		    int op)
{
	struct fbpf_req r;
	bool srv;

	if (!begin(req, &r))
		return;
	srv = S(ino);
	if (srv) {
		fbpf_count_library(r.bs, r.opcode);
		B.flock(&r, ino, fi, op);
	} else if (r.bs->dops.flock) {
		r.bs->dops.flock(req, ino, fi, op);
	} else {
		fuse_reply_err(req, lib_flock(r.bs) ? ENOLCK : ENOSYS);
	}
}
#undef S

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
#define FBPF_INSTALL(op, who, watch, nosys, shared, params, args)	\
	o->op = HAS(op) ? w_##op : NULL;
	memset(o, 0, sizeof(*o));
	o->init = w_init;
	o->destroy = w_destroy;
	o->forget = w_forget;
	o->forget_multi = d->forget_multi ? w_forget_multi : NULL;
	o->retrieve_reply = d->retrieve_reply;
	FBPF_ROUTED_OPS(FBPF_INSTALL)
	o->lookup = w_lookup;
	o->open = HAS(open) ? w_open : NULL;
	o->opendir = HAS(opendir) ? w_opendir : NULL;
	o->statfs = HAS(statfs) ? w_statfs : NULL;
	o->create = HAS(create) ? w_create : NULL;
	o->readdirplus = HAS(readdirplus) ? w_readdirplus : NULL;
	o->write_buf = HAS(write_buf) ? w_write_buf : NULL;
	o->poll = HAS(poll) ? w_poll : NULL;
	o->flock = HAS(flock) ? w_flock : NULL;
#undef FBPF_INSTALL
#undef HAS
}
