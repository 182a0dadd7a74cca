// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target "dispatch": requests through the whole userspace path of a
 * session, as in a mounted daemon: the read hook, libfuse's parsing, the
 * library's wrapped operations (dispatch.c) and a small daemon, then its
 * replies through fuse_bpf_reply_entry() and the writev hook (reply
 * filtering).  The kernel's end is a socketpair; nothing is mounted.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 *
 * Requests are well formed where libfuse trusts the kernel (the length in
 * the header, arguments padded with zeros, names terminated): the fuzzer
 * picks opcodes, node ids, uniques and argument bytes.  The daemon's node
 * ids come from the names, so the fuzzer can make it hand out ids in the
 * library's range, and its LOOKUP tries fuse_bpf_reply_entry() with
 * blocks that must be refused or that attach nothing.
 *
 * Properties: each request gets at most one reply, with its unique and a
 * length that matches what was written, and exactly one where the
 * protocol wants one; nothing replies to FORGET; no reply carries a node
 * id in the library's range; no entry is left in the reply table once a
 * request is answered; the counters count every request read, and never
 * more served by the library than reached userspace.
 */
#include "dispatch_i.h"
#include "fuzz_session.h"

#include <errno.h>
#include <linux/fuse.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define HDR_IN sizeof(struct fuse_in_header)
#define HDR_OUT sizeof(struct fuse_out_header)
#define MAX_ARG 512
#define MIN_ARG 160
#define MAX_REQUESTS 24

static int memfd = -1;

/* A node id from a name: '!' in the name puts it in the library's range. */
static fuse_ino_t ino_of(fuse_ino_t parent, const char *name)
{
	uint64_t h = 1469598103934665603ULL ^ parent;
	const char *p;

	for (p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ULL;
	h &= ~FBPF_LIB_NODEID;
	if (h < 2)
		h += 2;
	if (strchr(name, '!'))
		h |= FBPF_LIB_NODEID;
	return h;
}

static void entry_for(struct fuse_entry_param *e, fuse_ino_t ino,
		      mode_t mode)
{
	memset(e, 0, sizeof(*e));
	e->ino = ino;
	e->attr.st_ino = ino;
	e->attr.st_mode = mode;
	e->attr.st_nlink = 1;
	e->entry_timeout = 1.0;
	e->attr_timeout = 1.0;
}

static void d_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	struct fuse_bpf_block b = { 0 };
	int err;

	entry_for(&e, ino_of(parent, name), S_IFREG | 0644);
	switch (name[0]) {
	case 'e':
		fuse_reply_err(req, ENOENT);
		return;
	case 'r':
		/* Attaches nothing: no privilege needed, in every mode. */
		b.type = FUSE_ENTRY_REMOVE_BACKING;
		err = fuse_bpf_reply_entry(req, &e, &b, 1);
		if (err) {
			FZ_CHECK(e.ino & FBPF_LIB_NODEID,
				 "REMOVE_BACKING refused: %d", err);
			fuse_reply_err(req, -err);
		}
		return;
	case 'x':
		b.type = (uint32_t)(uint8_t)name[1];
		b.fd = memfd;
		b.reserved = b.type == FUSE_ENTRY_BACKING ||
			     b.type == FUSE_ENTRY_REMOVE_BACKING;
		err = fuse_bpf_reply_entry(req, &e, &b, 1);
		FZ_CHECK(err == -EINVAL, "bad block (type %u) accepted: %d",
			 b.type, err);
		fuse_reply_err(req, EIO);
		return;
	case 'm':
		/* A regular file to back a directory. */
		entry_for(&e, e.ino, S_IFDIR | 0755);
		b.type = FUSE_ENTRY_BACKING;
		b.fd = memfd;
		err = fuse_bpf_reply_entry(req, &e, &b, 1);
		FZ_CHECK(err == -ENOTDIR || (e.ino & FBPF_LIB_NODEID),
			 "file backing for a directory: %d", err);
		fuse_reply_err(req, EIO);
		return;
	}
	fuse_reply_entry(req, &e);
}

static void d_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	fuse_reply_none(req);
}

static void d_getattr(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi)
{
	struct fuse_entry_param e;

	entry_for(&e, ino, S_IFREG | 0644);
	fuse_reply_attr(req, &e.attr, 1.0);
}

static void d_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		    mode_t mode, dev_t rdev)
{
	struct fuse_entry_param e;

	entry_for(&e, ino_of(parent, name), S_IFREG | 0644);
	fuse_reply_entry(req, &e);
}

static void d_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		    mode_t mode)
{
	struct fuse_entry_param e;

	entry_for(&e, ino_of(parent, name), S_IFDIR | 0755);
	fuse_reply_entry(req, &e);
}

static void d_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		      const char *name)
{
	struct fuse_entry_param e;

	entry_for(&e, ino_of(parent, name), S_IFLNK | 0777);
	fuse_reply_entry(req, &e);
}

static void d_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		   const char *newname)
{
	struct fuse_entry_param e;

	entry_for(&e, ino_of(newparent, newname), S_IFREG | 0644);
	fuse_reply_entry(req, &e);
}

static void d_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_entry_param e;

	entry_for(&e, ino_of(parent, name), S_IFREG | 0644);
	fi->fh = 7;
	fuse_reply_create(req, &e, fi);
}

static void d_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fi->fh = 5;
	fuse_reply_open(req, fi);
}

static void d_release(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

/* Three entries whose node ids the request's offset picks. */
static void d_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			  off_t off, struct fuse_file_info *fi)
{
	char buf[4096], name[8];
	struct fuse_entry_param e;
	size_t used = 0, n;
	int i;

	if (size > sizeof(buf))
		size = sizeof(buf);
	for (i = 0; i < 3; i++) {
		fuse_ino_t id = (uint64_t)off + (uint64_t)i + 2;

		if (!((uint64_t)off & (1u << i)))
			id &= ~FBPF_LIB_NODEID;
		entry_for(&e, id, S_IFREG | 0644);
		snprintf(name, sizeof(name), "f%d", i);
		n = fuse_add_direntry_plus(req, buf + used, size - used, name,
					   &e, (off_t)((uint64_t)off + i + 1));
		if (n > size - used)
			break;
		used += n;
	}
	fuse_reply_buf(req, buf, used);
}

static const struct fuse_lowlevel_ops daemon_ops = {
	.lookup = d_lookup,
	.forget = d_forget,
	.getattr = d_getattr,
	.mknod = d_mknod,
	.mkdir = d_mkdir,
	.symlink = d_symlink,
	.link = d_link,
	.create = d_create,
	.open = d_open,
	.release = d_release,
	.opendir = d_open,
	.releasedir = d_release,
	.readdirplus = d_readdirplus,
};

static const uint32_t opcodes[] = {
	FUSE_LOOKUP, FUSE_FORGET, FUSE_GETATTR, FUSE_SETATTR, FUSE_READLINK,
	FUSE_SYMLINK, FUSE_MKNOD, FUSE_MKDIR, FUSE_UNLINK, FUSE_RMDIR,
	FUSE_RENAME, FUSE_LINK, FUSE_OPEN, FUSE_READ, FUSE_WRITE, FUSE_STATFS,
	FUSE_RELEASE, FUSE_FSYNC, FUSE_SETXATTR, FUSE_GETXATTR,
	FUSE_LISTXATTR, FUSE_REMOVEXATTR, FUSE_FLUSH, FUSE_OPENDIR,
	FUSE_READDIR, FUSE_RELEASEDIR, FUSE_FSYNCDIR, FUSE_GETLK, FUSE_SETLK,
	FUSE_SETLKW, FUSE_ACCESS, FUSE_CREATE, FUSE_BMAP,
	FUSE_BATCH_FORGET, FUSE_FALLOCATE, FUSE_READDIRPLUS, FUSE_RENAME2,
	FUSE_LSEEK, FUSE_COPY_FILE_RANGE, FUSE_TMPFILE, FUSE_POLL,
};

/* Requests that get no reply. */
static bool no_reply(uint32_t opcode)
{
	return opcode == FUSE_FORGET || opcode == FUSE_BATCH_FORGET;
}

static bool known(uint32_t opcode)
{
	size_t i;

	for (i = 0; i < sizeof(opcodes) / sizeof(opcodes[0]); i++) {
		if (opcodes[i] == opcode)
			return true;
	}
	return false;
}

static bool makes_entry(uint32_t opcode)
{
	return opcode == FUSE_LOOKUP || opcode == FUSE_MKNOD ||
	       opcode == FUSE_MKDIR || opcode == FUSE_SYMLINK ||
	       opcode == FUSE_LINK || opcode == FUSE_CREATE ||
	       opcode == FUSE_TMPFILE;
}

static void check_reply(uint32_t opcode, const uint8_t *r, size_t len)
{
	struct fuse_out_header oh;
	struct fuse_entry_out eo;
	struct fuse_direntplus dp;
	size_t off;

	memcpy(&oh, r, sizeof(oh));
	if (oh.error)
		return;
	if (makes_entry(opcode) && len >= HDR_OUT + sizeof(eo)) {
		memcpy(&eo, r + HDR_OUT, sizeof(eo));
		FZ_CHECK(!(eo.nodeid & FBPF_LIB_NODEID),
			 "%s reply with node id %#llx",
			 fuse_bpf_opcode_name(opcode),
			 (unsigned long long)eo.nodeid);
	}
	if (opcode != FUSE_READDIRPLUS)
		return;
	for (off = HDR_OUT; off + FUSE_NAME_OFFSET_DIRENTPLUS <= len;
	     off += FUSE_DIRENTPLUS_SIZE(&dp)) {
		memcpy(&dp, r + off, FUSE_NAME_OFFSET_DIRENTPLUS);
		FZ_CHECK(!(dp.entry_out.nodeid & FBPF_LIB_NODEID),
			 "READDIRPLUS entry with node id %#llx",
			 (unsigned long long)dp.entry_out.nodeid);
		if (!dp.dirent.namelen)
			break;
	}
}

/* Read one request through libfuse's own receive path and dispatch it. */
static void process(struct fz_conn *c, struct fuse_buf *fbuf)
{
	int res;

	fbuf->size = 0;
	fbuf->flags = 0;
	res = fuse_session_receive_buf(c->bs->se, fbuf);
	FZ_CHECK(res > 0, "receive_buf: %d", res);
	fuse_session_process_buf(c->bs->se, fbuf);
}

static void run(struct fz_conn *c, struct fz *f, uint8_t ctl)
{
	static uint8_t msg[HDR_IN + MAX_ARG + MIN_ARG];
	static uint8_t reply[1 << 16];
	struct fuse_buf fbuf = { .mem = NULL };
	struct fuse_in_header ih;
	struct fuse_init_in init;
	uint64_t unique = 2, reqs = 1, sum;
	ssize_t r;
	int n, op;

	/* INIT, as the kernel sends it; the fuzzer picks the flags. */
	memset(&init, 0, sizeof(init));
	init.major = FUSE_KERNEL_VERSION;
	init.minor = 36;
	init.max_readahead = 65536;
	init.flags = fz_u32(f) | FUSE_BPF_INIT_EXT;
	init.flags2 = ctl & 0x80 ? FUSE_BPF_INIT2_PASSTHROUGH : 0;
	memset(&ih, 0, sizeof(ih));
	ih.len = (uint32_t)(HDR_IN + sizeof(init));
	ih.opcode = FUSE_INIT;
	ih.unique = unique;
	ih.nodeid = 0;
	memcpy(msg, &ih, HDR_IN);
	memcpy(msg + HDR_IN, &init, sizeof(init));
	fz_conn_send(c, msg, ih.len);
	process(c, &fbuf);
	r = fz_conn_reply(c, reply, sizeof(reply));
	FZ_CHECK(r >= (ssize_t)HDR_OUT, "no INIT reply");

	for (n = 0; n < MAX_REQUESTS && f->left; n++) {
		uint8_t sel = fz_u8(f), nsel = fz_u8(f);
		size_t alen = fz_u16(f) % (MAX_ARG + 1), len;
		struct fuse_out_header oh;
		int replies = 0;

		memset(&ih, 0, sizeof(ih));
		ih.opcode = sel < 0xe0 ?
			    opcodes[sel % (sizeof(opcodes) / sizeof(opcodes[0]))] :
			    (uint32_t)sel - 0xe0 + 40;
		/*
		 * The kernel sends one INIT, DESTROY only at the end,
		 * NOTIFY_REPLY only for a retrieve and INTERRUPT only for a
		 * request in flight (libfuse 3.14 keeps an unmatched one
		 * until the session ends, and then leaks it).
		 */
		if (ih.opcode == FUSE_INIT || ih.opcode == FUSE_DESTROY ||
		    ih.opcode == FUSE_NOTIFY_REPLY ||
		    ih.opcode == FUSE_INTERRUPT)
			ih.opcode = FUSE_LOOKUP;
		ih.nodeid = nsel < 0xf0 ? (uint64_t)nsel % 4 + 1 : fz_u64(f);
		if (nsel % 4 == 3 && nsel < 0xf0)
			ih.nodeid |= FBPF_LIB_NODEID;
		unique += 2;
		ih.unique = unique;
		ih.uid = 0;
		ih.gid = 0;
		ih.pid = 1;
		memset(msg + HDR_IN, 0, MAX_ARG + MIN_ARG);
		fz_bytes(f, msg + HDR_IN, alen);
		len = HDR_IN + (alen < MIN_ARG ? MIN_ARG : alen + 8);
		if (ih.opcode == FUSE_BATCH_FORGET) {
			/* libfuse trusts the kernel's count. */
			struct fuse_batch_forget_in bf;
			size_t room = (len - HDR_IN - sizeof(bf)) /
				      sizeof(struct fuse_forget_one);

			memcpy(&bf, msg + HDR_IN, sizeof(bf));
			bf.count %= (uint32_t)room + 1;
			memcpy(msg + HDR_IN, &bf, sizeof(bf));
		}
		ih.len = (uint32_t)len;
		memcpy(msg, &ih, HDR_IN);
		fz_conn_send(c, msg, len);
		process(c, &fbuf);
		reqs += ih.opcode < FBPF_OPCODE_MAX;

		while ((r = fz_conn_reply(c, reply, sizeof(reply))) >= 0) {
			FZ_CHECK(r >= (ssize_t)HDR_OUT && r <= (ssize_t)sizeof(reply),
				 "reply of %zd bytes", r);
			memcpy(&oh, reply, sizeof(oh));
			FZ_CHECK(oh.unique == ih.unique && oh.len == (size_t)r,
				 "reply %llu/%u to request %llu of %zd bytes",
				 (unsigned long long)oh.unique, oh.len,
				 (unsigned long long)ih.unique, r);
			FZ_CHECK(oh.error <= 0 && oh.error > -4096,
				 "error %d", oh.error);
			check_reply(ih.opcode, reply, (size_t)r);
			replies++;
		}
		FZ_CHECK(replies <= 1, "%d replies to one %u request", replies,
			 ih.opcode);
		if (no_reply(ih.opcode))
			FZ_CHECK(!replies, "reply to a request of opcode %u",
				 ih.opcode);
		else if (known(ih.opcode))
			FZ_CHECK(replies == 1, "opcode %u not answered",
				 ih.opcode);
		FZ_CHECK(!atomic_load(&fbpf_core_of(c->bs)->pending),
			 "reply table not empty after opcode %u", ih.opcode);
	}
	sum = 0;
	for (op = 0; op < FBPF_OPCODE_MAX; op++) {
		uint64_t t = atomic_load(&c->bs->total[op]);

		sum += t;
		FZ_CHECK(atomic_load(&c->bs->library[op]) <= t,
			 "opcode %d: more served by the library than read", op);
	}
	FZ_CHECK(sum == reqs, "%llu requests counted, %llu read",
		 (unsigned long long)sum, (unsigned long long)reqs);
	free(fbuf.mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = fz_of(data, size);
	uint8_t ctl = fz_u8(&f);
	struct fz_conn c;

	fz_quiet();
	if (memfd < 0) {
		memfd = memfd_create("fuzz-dispatch", MFD_CLOEXEC);
		if (memfd < 0)
			abort();
	}
	fz_conn_open(&c, &daemon_ops, sizeof(daemon_ops),
		     ctl & 1 ? FUSE_BPF_MODE_USERSPACE : FUSE_BPF_MODE_AUTO,
		     true);
	/* Passthrough mode needs this too (and the kernel's offer). */
	fbpf_core_of(c.bs)->dev_privileged = ctl & 0x40;
	run(&c, &f, ctl);
	fz_conn_close(&c);
	memset(&fbpf_cur, 0, sizeof(fbpf_cur));
	return 0;
}
