// SPDX-License-Identifier: LGPL-2.1-only
/*
 * libfuse-bpf: LOOKUP replies with blocks, passthrough OPEN/CREATE replies
 * and the table of requests whose replies need inspection.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#include "fuse_bpf_i.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* Pending replies                                                         */
/* ---------------------------------------------------------------------- */

/*
 * One table per session (struct fbpf_core), under the session's own lock:
 * every entry is hashed by its unique, which the writev hook searches by,
 * and a LOOKUP's also by its fuse_req_t, which fuse_bpf_reply_entry()
 * searches by.
 */
struct fbpf_pending {
	struct fbpf_pending *unique_next;
	struct fbpf_pending *req_next;	/* FBPF_PEND_LOOKUP entries only */
	uint64_t unique;
	fuse_req_t req;
	uint32_t opcode;
	unsigned int kind;
	int backing_id;
};

static struct fbpf_pending_table *table_of(struct fuse_bpf_session *bs)
{
	return &fbpf_core_of(bs)->replies;
}

static size_t hash_ptr(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	return (size_t)(v % FBPF_PENDING_BUCKETS);
}

static size_t unique_slot(uint64_t unique)
{
	return hash_ptr(unique);
}

static size_t req_slot(fuse_req_t req)
{
	return hash_ptr((uint64_t)(uintptr_t)req);
}

int fbpf_pending_init(struct fuse_bpf_session *bs)
{
	struct fbpf_pending_table *t = table_of(bs);
	int err;

	memset(t, 0, sizeof(*t));
	err = pthread_mutex_init(&t->lock, NULL);
	return -err;
}

int fbpf_pending_add(struct fuse_bpf_session *bs, uint64_t unique,
		     fuse_req_t req, uint32_t opcode, unsigned int kind,
		     int backing_id)
{
	struct fbpf_pending_table *t = table_of(bs);
	struct fbpf_pending *p = calloc(1, sizeof(*p));
	size_t u = unique_slot(unique), r = req_slot(req);

	if (!p) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: out of memory\n");
		return -ENOMEM;
	}
	p->unique = unique;
	p->req = req;
	p->opcode = opcode;
	p->kind = kind;
	p->backing_id = backing_id;
	pthread_mutex_lock(&t->lock);
	p->unique_next = t->by_unique[u];
	t->by_unique[u] = p;
	if (kind & FBPF_PEND_LOOKUP) {
		p->req_next = t->by_req[r];
		t->by_req[r] = p;
	}
	atomic_fetch_add_explicit(&fbpf_core_of(bs)->pending, 1,
				  memory_order_release);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

/* Unlink and return the entry of @unique; caller frees it. */
static struct fbpf_pending *pending_take(struct fuse_bpf_session *bs,
					 uint64_t unique)
{
	struct fbpf_pending_table *t = table_of(bs);
	struct fbpf_pending **pp, *p;

	pthread_mutex_lock(&t->lock);
	for (pp = &t->by_unique[unique_slot(unique)]; (p = *pp);
	     pp = &p->unique_next) {
		if (p->unique == unique) {
			*pp = p->unique_next;
			break;
		}
	}
	if (p && (p->kind & FBPF_PEND_LOOKUP)) {
		for (pp = &t->by_req[req_slot(p->req)]; *pp;
		     pp = &(*pp)->req_next) {
			if (*pp == p) {
				*pp = p->req_next;
				break;
			}
		}
	}
	if (p)
		atomic_fetch_sub_explicit(&fbpf_core_of(bs)->pending, 1,
					  memory_order_release);
	pthread_mutex_unlock(&t->lock);
	return p;
}

bool fbpf_pending_find_lookup(struct fuse_bpf_session *bs, fuse_req_t req,
			      uint64_t *unique)
{
	struct fbpf_pending_table *t = table_of(bs);
	struct fbpf_pending *p;

	if (!atomic_load_explicit(&fbpf_core_of(bs)->pending,
				  memory_order_acquire))
		return false;
	pthread_mutex_lock(&t->lock);
	for (p = t->by_req[req_slot(req)]; p; p = p->req_next) {
		if (p->req == req) {
			*unique = p->unique;
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return p != NULL;
}

void fbpf_pending_fini(struct fuse_bpf_session *bs)
{
	struct fbpf_pending_table *t = table_of(bs);
	struct fbpf_pending *p;
	size_t b;

	for (b = 0; b < FBPF_PENDING_BUCKETS; b++) {
		while ((p = t->by_unique[b])) {
			t->by_unique[b] = p->unique_next;
			free(p);
		}
		t->by_req[b] = NULL;
	}
	atomic_store(&fbpf_core_of(bs)->pending, 0);
	pthread_mutex_destroy(&t->lock);
}

/* ---------------------------------------------------------------------- */
/* Reply inspection (writev hook)                                          */
/* ---------------------------------------------------------------------- */

/*
 * The payload of a reply as one buffer: in place when libfuse gave it as
 * one iovec after the header, else a gathered copy in *@copy.
 */
static void *reply_payload(struct iovec *iov, int count, size_t *len,
			   void **copy)
{
	size_t total = 0, off = 0;
	char *buf;
	int i;

	*copy = NULL;
	if (count == 1) {
		*len = iov[0].iov_len - sizeof(struct fuse_out_header);
		return (char *)iov[0].iov_base + sizeof(struct fuse_out_header);
	}
	if (count == 2 && iov[0].iov_len == sizeof(struct fuse_out_header)) {
		*len = iov[1].iov_len;
		return iov[1].iov_base;
	}
	for (i = 0; i < count; i++)
		total += iov[i].iov_len;
	if (total < sizeof(struct fuse_out_header) ||
	    iov[0].iov_len < sizeof(struct fuse_out_header))
		return NULL;
	total -= sizeof(struct fuse_out_header);
	buf = malloc(total ? total : 1);
	if (!buf)
		return NULL;
	for (i = 0; i < count; i++) {
		size_t skip = 0, l = iov[i].iov_len;

		if (i == 0) {
			skip = sizeof(struct fuse_out_header);
			l -= skip;
		}
		memcpy(buf + off, (char *)iov[i].iov_base + skip, l);
		off += l;
	}
	*copy = buf;
	*len = total;
	return buf;
}

static int check_nodeid(uint64_t nodeid, uint32_t opcode)
{
	if (!(nodeid & FBPF_LIB_NODEID))
		return 0;
	fuse_log(FUSE_LOG_ERR,
		 "fuse-bpf: the daemon replied to %s with node id %#llx, which is in the library's range (bit 63); sending EIO instead\n",
		 fuse_bpf_opcode_name(opcode) ? fuse_bpf_opcode_name(opcode) : "?",
		 (unsigned long long)nodeid);
	return -EIO;
}

static int check_entries(const struct fbpf_pending *p, const char *buf,
			 size_t len)
{
	const struct fuse_entry_out *eo;
	const struct fuse_direntplus *dp;
	size_t off = 0, reclen;
	int err;

	if (p->opcode != FUSE_READDIRPLUS) {
		if (len < sizeof(*eo))
			return 0;
		eo = (const void *)buf;
		return check_nodeid(eo->nodeid, p->opcode);
	}
	while (off + FUSE_NAME_OFFSET_DIRENTPLUS <= len) {
		dp = (const void *)(buf + off);
		err = check_nodeid(dp->entry_out.nodeid, p->opcode);
		if (err)
			return err;
		reclen = FUSE_DIRENTPLUS_SIZE(dp);
		if (!dp->dirent.namelen)
			break;
		off += reclen;
	}
	return 0;
}

static void patch_open(struct fuse_open_out *oo, int backing_id)
{
	/* Flags the kernel accepts together with FOPEN_PASSTHROUGH. */
	oo->open_flags &= FOPEN_DIRECT_IO | FOPEN_NOFLUSH |
			  FOPEN_PARALLEL_DIRECT_WRITES;
	oo->open_flags |= FUSE_BPF_FOPEN_PASSTHROUGH;
	memcpy(&oo->padding, &backing_id, sizeof(backing_id));
}

int fbpf_reply_filter(struct fuse_bpf_session *bs, struct iovec *iov,
		      int count)
{
	struct fuse_out_header *oh = iov[0].iov_base;
	struct fbpf_pending *p = pending_take(bs, oh->unique);
	size_t len = 0, need;
	void *copy, *pl;
	int err = 0;

	if (!p)
		return 0;
	if (oh->error)
		goto out;
	pl = reply_payload(iov, count, &len, &copy);
	if (!pl) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: out of memory\n");
		err = -EIO;
		goto out;
	}
	if (p->kind & FBPF_PEND_CHECK_ENTRY)
		err = check_entries(p, pl, len);
	if (!err && (p->kind & FBPF_PEND_PASSTHROUGH)) {
		need = sizeof(struct fuse_open_out);
		if (p->opcode == FUSE_CREATE)
			need += sizeof(struct fuse_entry_out);
		if (copy || len < need) {
			fuse_log(FUSE_LOG_ERR,
				 "fuse-bpf: unexpected %s reply layout, passthrough not set\n",
				 fuse_bpf_opcode_name(p->opcode));
			err = -EIO;
		} else {
			patch_open((void *)((char *)pl + need -
					    sizeof(struct fuse_open_out)),
				   p->backing_id);
		}
	}
	free(copy);
out:
	free(p);
	return err;
}

/* ---------------------------------------------------------------------- */
/* Blocks                                                                  */
/* ---------------------------------------------------------------------- */

static int check_block_list(const struct fuse_bpf_block *blocks, size_t n,
			    bool allow_bpf)
{
	size_t i, backing = 0;

	if (n > FUSE_BPF_MAX_ENTRIES) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: %zu blocks in a LOOKUP reply, at most %d allowed\n",
			 n, FUSE_BPF_MAX_ENTRIES);
		return -EINVAL;
	}
	if (n && !blocks) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: NULL block array\n");
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (blocks[i].reserved) {
			fuse_log(FUSE_LOG_ERR,
				 "fuse-bpf: block %zu has a nonzero reserved field\n",
				 i);
			return -EINVAL;
		}
		switch (blocks[i].type) {
		case FUSE_ENTRY_BACKING:
		case FUSE_ENTRY_REMOVE_BACKING:
			backing++;
			break;
		case FUSE_ENTRY_BPF:
		case FUSE_ENTRY_REMOVE_BPF:
			if (allow_bpf)
				break;
			fuse_log(FUSE_LOG_ERR,
				 "fuse-bpf: block %zu: BPF blocks (type %u) are reserved until BPF support exists\n",
				 i, blocks[i].type);
			return -EINVAL;
		default:
			fuse_log(FUSE_LOG_ERR,
				 "fuse-bpf: block %zu has unknown type %u\n",
				 i, blocks[i].type);
			return -EINVAL;
		}
	}
	if (backing > 1) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: more than one backing block in a reply\n");
		return -EINVAL;
	}
	return 0;
}

static int check_backing_fd(int fd, mode_t mode)
{
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: backing fd %d is not an open file\n", fd);
		return -EBADF;
	}
	if (S_ISDIR(mode) && !S_ISDIR(st.st_mode)) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: entry is a directory, backing fd %d is not\n",
			 fd);
		return -ENOTDIR;
	}
	if (!S_ISDIR(mode) && S_ISDIR(st.st_mode)) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: backing fd %d is a directory, the entry is not\n",
			 fd);
		return -EISDIR;
	}
	if ((mode & S_IFMT) != (st.st_mode & S_IFMT)) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: file type of backing fd %d (%#o) differs from the entry's (%#o)\n",
			 fd, (unsigned int)(st.st_mode & S_IFMT),
			 (unsigned int)(mode & S_IFMT));
		return -EINVAL;
	}
	return 0;
}

int fbpf_validate_blocks(const struct fuse_bpf_block *blocks, size_t n,
			 mode_t mode)
{
	size_t i;
	int err;

	err = check_block_list(blocks, n, false);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (blocks[i].type != FUSE_ENTRY_BACKING)
			continue;
		err = check_backing_fd(blocks[i].fd, mode);
		if (err)
			return err;
	}
	return 0;
}

ssize_t fbpf_encode_lookup_reply(void *buf, size_t size, uint64_t unique,
				 const void *eo,
				 const struct fuse_bpf_block *blocks,
				 size_t nblocks)
{
	struct fuse_out_header oh;
	struct fuse_bpf_entry_out be;
	size_t len, i;
	char *p = buf;
	int err;

	if (!buf || !eo)
		return -EINVAL;
	err = check_block_list(blocks, nblocks, true);
	if (err)
		return err;
	len = sizeof(oh) + sizeof(struct fuse_entry_out) +
	      nblocks * sizeof(be);
	if (size < len)
		return -ENOSPC;
	memset(&oh, 0, sizeof(oh));
	oh.len = (uint32_t)len;
	oh.unique = unique;
	memcpy(p, &oh, sizeof(oh));
	p += sizeof(oh);
	memcpy(p, eo, sizeof(struct fuse_entry_out));
	p += sizeof(struct fuse_entry_out);
	for (i = 0; i < nblocks; i++) {
		memset(&be, 0, sizeof(be));
		be.entry_type = blocks[i].type;
		if (blocks[i].type == FUSE_ENTRY_BACKING ||
		    blocks[i].type == FUSE_ENTRY_BPF)
			be.fd = (uint64_t)(int64_t)blocks[i].fd;
		memcpy(p, &be, sizeof(be));
		p += sizeof(be);
	}
	return (ssize_t)len;
}

unsigned long fbpf_ioc_response_cmd(size_t len)
{
	if (len == 0 || len > _IOC_SIZEMASK)
		return 0;
	return _IOC(_IOC_WRITE, FUSE_DEV_IOC_MAGIC, 125, len);
}

/* ---------------------------------------------------------------------- */
/* fuse_bpf_reply_entry()                                                  */
/* ---------------------------------------------------------------------- */

static void timeout_split(double t, uint64_t *sec, uint32_t *nsec)
{
	if (!(t > 0.0)) {
		*sec = 0;
		*nsec = 0;
	} else if (t >= 18446744073709551615.0) {
		*sec = UINT64_MAX;
		*nsec = 0;
	} else {
		*sec = (uint64_t)t;
		*nsec = (uint32_t)((t - (double)*sec) * 1.0e9);
		if (*nsec >= 1000000000u)
			*nsec = 999999999u;
	}
}

static void fill_entry_out(struct fuse_entry_out *eo,
			   const struct fuse_entry_param *e)
{
	const struct stat *st = &e->attr;

	memset(eo, 0, sizeof(*eo));
	eo->nodeid = e->ino;
	eo->generation = e->generation;
	timeout_split(e->entry_timeout, &eo->entry_valid,
		      &eo->entry_valid_nsec);
	timeout_split(e->attr_timeout, &eo->attr_valid, &eo->attr_valid_nsec);
	eo->attr.ino = st->st_ino;
	eo->attr.mode = st->st_mode;
	eo->attr.nlink = (uint32_t)st->st_nlink;
	eo->attr.uid = st->st_uid;
	eo->attr.gid = st->st_gid;
	eo->attr.rdev = (uint32_t)st->st_rdev;
	eo->attr.size = (uint64_t)st->st_size;
	eo->attr.blksize = (uint32_t)st->st_blksize;
	eo->attr.blocks = (uint64_t)st->st_blocks;
	eo->attr.atime = (uint64_t)st->st_atim.tv_sec;
	eo->attr.atimensec = (uint32_t)st->st_atim.tv_nsec;
	eo->attr.mtime = (uint64_t)st->st_mtim.tv_sec;
	eo->attr.mtimensec = (uint32_t)st->st_mtim.tv_nsec;
	eo->attr.ctime = (uint64_t)st->st_ctim.tv_sec;
	eo->attr.ctimensec = (uint32_t)st->st_ctim.tv_nsec;
}

/*
 * Hand the encoded reply to request @unique to the kernel, through the
 * ioctl when it carries blocks and through write() otherwise, and only
 * then free @req.  On failure nothing reached the kernel and @req is
 * still the caller's, unlike after a fuse_reply_*() call, which frees it
 * whatever happens.
 */
static int deliver(struct fuse_bpf_session *bs, uint64_t unique,
		   fuse_req_t req, const char *buf, size_t len, bool blocks)
{
	ssize_t n;

	if (blocks)
		n = ioctl(bs->fd, fbpf_ioc_response_cmd(len), buf);
	else
		n = write(bs->fd, buf, len);
	if (n < 0)
		return -errno;
	if (!blocks && (size_t)n != len)
		return -EIO;
	free(pending_take(bs, unique));
	fuse_reply_none(req);
	return 0;
}

/* The entry of @e with @n blocks, encoded for @unique into @buf. */
static ssize_t encode_entry(char *buf, size_t size, uint64_t unique,
			    const struct fuse_entry_param *e,
			    const struct fuse_bpf_block *blocks, size_t n)
{
	struct fuse_entry_out eo;

	fill_entry_out(&eo, e);
	return fbpf_encode_lookup_reply(buf, size, unique, &eo, blocks, n);
}

#define ENTRY_REPLY_MAX						\
	(sizeof(struct fuse_out_header) + sizeof(struct fuse_entry_out) + \
	 FUSE_BPF_MAX_ENTRIES * sizeof(struct fuse_bpf_entry_out))

static int reply_entry_kernel(struct fuse_bpf_session *bs,
			      uint64_t unique, fuse_req_t req,
			      const struct fuse_entry_param *e,
			      const struct fuse_bpf_block *blocks, size_t n)
{
	char buf[ENTRY_REPLY_MAX];
	ssize_t len;
	int err;

	len = encode_entry(buf, sizeof(buf), unique, e, blocks, n);
	if (len < 0)
		return (int)len;
	err = deliver(bs, unique, req, buf, (size_t)len, n > 0);
	/*
	 * The request stays pending in the kernel and in the table here:
	 * the daemon answers it, as after the library's own refusals.
	 */
	if (err == -EPERM && n > 0)
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: the kernel refused the backing in the LOOKUP reply for node %llu (EPERM): it needs CAP_SYS_ADMIN in the initial user namespace, for the replying thread and the opener of /dev/fuse; nothing was sent\n",
			 (unsigned long long)e->ino);
	else if (err)
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: the kernel refused the LOOKUP reply for node %llu: %s\n",
			 (unsigned long long)e->ino, strerror(-err));
	return err;
}

static int reply_entry_lower(struct fuse_bpf_session *bs,
			     uint64_t unique, fuse_req_t req,
			     const struct fuse_entry_param *e,
			     const struct fuse_bpf_block *blocks, size_t n)
{
	struct fuse_entry_param ent = *e;
	const struct fuse_bpf_block *b = NULL;
	char buf[ENTRY_REPLY_MAX];
	ssize_t len;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		if (blocks[i].type == FUSE_ENTRY_BACKING ||
		    blocks[i].type == FUSE_ENTRY_REMOVE_BACKING)
			b = &blocks[i];
	}
	if (b && b->type == FUSE_ENTRY_BACKING) {
		if (fstat(b->fd, &ent.attr) < 0)
			return -EBADF;
		err = fbpf_nodes_attach(bs, e->ino, b->fd);
		if (err) {
			fuse_log(FUSE_LOG_ERR,
				 "fuse-bpf: cannot back node %llu: %s\n",
				 (unsigned long long)e->ino, strerror(-err));
			return err;
		}
	} else if (b) {
		fbpf_nodes_detach(bs, e->ino);
	}
	/* The blocks stay here: the kernel gets the entry alone. */
	len = encode_entry(buf, sizeof(buf), unique, &ent, NULL, 0);
	err = len < 0 ? (int)len : deliver(bs, unique, req, buf, (size_t)len,
					    false);
	if (err && b && b->type == FUSE_ENTRY_BACKING)
		fbpf_nodes_forget(bs, e->ino, 1);
	if (err && err != -ENOENT)
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: sending the LOOKUP reply for node %llu: %s\n",
			 (unsigned long long)e->ino, strerror(-err));
	return err;
}

/* A block that attaches backing (REMOVE_BACKING attaches nothing). */
static bool has_backing(const struct fuse_bpf_block *blocks, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (blocks[i].type == FUSE_ENTRY_BACKING)
			return true;
	}
	return false;
}

int fuse_bpf_reply_entry(fuse_req_t req, const struct fuse_entry_param *e,
			 const struct fuse_bpf_block *blocks, size_t nblocks)
{
	struct fuse_bpf_session *bs;
	const char *why;
	uint64_t unique;
	int err;

	if (!req || !e) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: fuse_bpf_reply_entry() without request or entry\n");
		return -EINVAL;
	}
	if (e->ino & FBPF_LIB_NODEID) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: node id %#llx is in the library's range (bit 63)\n",
			 (unsigned long long)e->ino);
		return -EINVAL;
	}
	err = fbpf_validate_blocks(blocks, nblocks, e->attr.st_mode);
	if (err)
		return err;
	bs = fbpf_session_of_lookup(req, &unique);
	if (!bs) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: fuse_bpf_reply_entry() needs a LOOKUP request of a libfuse-bpf session\n");
		return -EINVAL;
	}
	/*
	 * The same rule in every mode, checked at each reply (a daemon may
	 * drop its capabilities after mounting); in fuse-bpf mode the
	 * kernel checks it again.
	 */
	if (has_backing(blocks, nblocks) && fbpf_session_may_back(bs, &why)) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: attaching backing to node %llu needs CAP_SYS_ADMIN in the initial user namespace: %s; nothing was sent, the LOOKUP is still the daemon's to answer\n",
			 (unsigned long long)e->ino, why);
		return -EPERM;
	}
	if (fbpf_mode(bs) == FUSE_BPF_MODE_KERNEL)
		return reply_entry_kernel(bs, unique, req, e, blocks, nblocks);
	return reply_entry_lower(bs, unique, req, e, blocks, nblocks);
}

/* ---------------------------------------------------------------------- */
/* Passthrough (protocol 7.40)                                             */
/* ---------------------------------------------------------------------- */

int fbpf_passthrough_register(struct fuse_bpf_session *bs, int fd)
{
	struct fuse_bpf_backing_map map = { .fd = fd };
	int id;

	id = ioctl(bs->fd, FUSE_BPF_DEV_IOC_BACKING_OPEN, &map);
	if (id < 0) {
		int err = -errno;

		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: FUSE_DEV_IOC_BACKING_OPEN of fd %d: %s\n",
			 fd, strerror(-err));
		return err;
	}
	if (id == 0) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: FUSE_DEV_IOC_BACKING_OPEN returned id 0\n");
		return -EPROTO;
	}
	return id;
}

void fbpf_passthrough_unregister(struct fuse_bpf_session *bs, int id)
{
	uint32_t bid = (uint32_t)id;

	if (id <= 0 || bs->fd < 0)
		return;
	if (ioctl(bs->fd, FUSE_BPF_DEV_IOC_BACKING_CLOSE, &bid) < 0)
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: FUSE_DEV_IOC_BACKING_CLOSE of id %d: %s\n",
			 id, strerror(errno));
}

/* The reply of @r gets FOPEN_PASSTHROUGH and @backing_id on its way out. */
static int add_passthrough(const struct fbpf_req *r, uint32_t opcode,
			   int backing_id)
{
	if (backing_id <= 0)
		return -EINVAL;
	return fbpf_pending_add(r->bs, r->unique, r->req, opcode,
				FBPF_PEND_PASSTHROUGH, backing_id);
}

int fbpf_reply_open_passthrough(const struct fbpf_req *r,
				const struct fuse_file_info *fi,
				int backing_id)
{
	int err = add_passthrough(r, FUSE_OPEN, backing_id);

	if (err)
		return err;
	return fuse_reply_open(r->req, fi);
}

/* A TMPFILE is served as a CREATE (see session.c) and has CREATE's reply. */
int fbpf_reply_create_passthrough(const struct fbpf_req *r,
				  const struct fuse_entry_param *e,
				  const struct fuse_file_info *fi,
				  int backing_id)
{
	int err = add_passthrough(r, FUSE_CREATE, backing_id);

	if (err)
		return err;
	return fuse_reply_create(r->req, e, fi);
}
