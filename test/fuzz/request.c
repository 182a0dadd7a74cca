// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target "request": the custom-io read hook (session.c io_read),
 * which parses the header of every request before libfuse sees it, over
 * any sequence of messages of any length read into buffers of any size.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 *
 * Properties: the hook returns what read(2) gave; a message shorter than
 * a header changes nothing; otherwise the thread's request record holds
 * the header's unique, opcode and node id, exactly one counter (the
 * opcode's, if it has one) goes up, the kill-suid flag is the one the
 * request carries where it is long enough to carry it, and the only byte
 * ever changed is a TMPFILE's opcode, to CREATE, when its parent is
 * served by the library.  An INIT that cannot be served is answered with
 * one error reply carrying its unique, and stops the session; any other
 * request is never answered here.
 */
#include "dispatch_i.h"
#include "fuzz_session.h"

#include <errno.h>
#include <linux/fuse.h>

#define HDR sizeof(struct fuse_in_header)
#define MAX_MSG 1024

static struct fz_conn conn;

static const struct fuse_lowlevel_ops no_ops;

static void setup(void)
{
	int root;

	if (conn.bs)
		return;
	fz_quiet();
	fz_conn_open(&conn, &no_ops, sizeof(no_ops), FUSE_BPF_MODE_AUTO,
		     false);
	/* Node 1 is served in the lower modes; nothing is ever opened. */
	root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 || fbpf_nodes_set_root(conn.bs, root))
		abort();
	close(root);
}

static bool kill_flag(const uint8_t *msg, size_t n, uint32_t opcode)
{
	const uint8_t *arg = msg + HDR;

	switch (opcode) {
	case FUSE_WRITE: {
		struct fuse_write_in w;

		if (n < HDR + sizeof(w))
			return false;
		memcpy(&w, arg, sizeof(w));
		return w.write_flags & FUSE_WRITE_KILL_SUIDGID;
	}
	case FUSE_OPEN: {
		struct fuse_open_in o;

		if (n < HDR + sizeof(o))
			return false;
		memcpy(&o, arg, sizeof(o));
		return o.open_flags & FUSE_OPEN_KILL_SUIDGID;
	}
	case FUSE_CREATE: {
		struct fuse_create_in c;

		if (n < HDR + sizeof(c))
			return false;
		memcpy(&c, arg, sizeof(c));
		return c.open_flags & FUSE_OPEN_KILL_SUIDGID;
	}
	}
	return false;
}

static void one_message(struct fz *f)
{
	struct fuse_bpf_session *bs = conn.bs;
	uint8_t msg[MAX_MSG], *buf, reply[64];
	size_t len = fz_u16(f) % (MAX_MSG + 1);
	size_t buf_len = fz_u16(f) % (MAX_MSG + 64);
	size_t want = len < buf_len ? len : buf_len;
	uint64_t before[FBPF_OPCODE_MAX];
	struct fuse_in_header ih;
	enum fuse_bpf_mode mode = fbpf_mode(bs);
	bool tmpfile_create;
	ssize_t n, r;
	int op;

	fz_bytes(f, msg, len);
	/* Mostly requests of the opcodes the hook looks at. */
	if (len >= HDR && (msg[0] & 1)) {
		static const uint32_t ops[] = {
			FUSE_INIT, FUSE_TMPFILE, FUSE_WRITE, FUSE_OPEN,
			FUSE_CREATE, FUSE_LOOKUP,
		};

		memcpy(msg + offsetof(struct fuse_in_header, opcode),
		       &ops[msg[1] % 6], sizeof(uint32_t));
	}
	memcpy(&ih, msg, len < HDR ? len : HDR);
	for (op = 0; op < FBPF_OPCODE_MAX; op++)
		before[op] = atomic_load(&bs->total[op]);
	buf = malloc(buf_len ? buf_len : 1);
	if (!buf)
		abort();
	memset(&fbpf_cur, 0xee, sizeof(fbpf_cur));
	fbpf_cur.bs = NULL;

	fz_conn_send(&conn, msg, len);
	n = fbpf_custom_io.read(bs->fd, buf, buf_len, NULL);
	FZ_CHECK(n == (ssize_t)want, "read hook returned %zd, want %zu", n,
		 want);
	if (want < HDR) {
		FZ_CHECK(!fbpf_cur.bs, "short message recorded");
		for (op = 0; op < FBPF_OPCODE_MAX; op++)
			FZ_CHECK(atomic_load(&bs->total[op]) == before[op],
				 "short message counted");
		goto out;
	}
	FZ_CHECK(fbpf_cur.bs == bs && fbpf_cur.unique == ih.unique &&
		 fbpf_cur.opcode == ih.opcode && fbpf_cur.nodeid == ih.nodeid,
		 "request record differs from the header");
	FZ_CHECK(fbpf_cur.kill_suidgid == kill_flag(msg, want, ih.opcode),
		 "kill-suid flag %d for opcode %u", fbpf_cur.kill_suidgid,
		 ih.opcode);
	for (op = 0; op < FBPF_OPCODE_MAX; op++)
		FZ_CHECK(atomic_load(&bs->total[op]) ==
			 before[op] + ((uint32_t)op == ih.opcode),
			 "counter of opcode %d", op);
	tmpfile_create = ih.opcode == FUSE_TMPFILE &&
			 want >= HDR + sizeof(struct fuse_create_in) &&
			 mode != FUSE_BPF_MODE_KERNEL && ih.nodeid == 1;
	if (tmpfile_create) {
		uint32_t create = FUSE_CREATE;

		memcpy(msg + offsetof(struct fuse_in_header, opcode), &create,
		       sizeof(create));
	}
	FZ_CHECK(memcmp(buf, msg, want) == 0, "request bytes changed");

	r = fz_conn_reply(&conn, reply, sizeof(reply));
	if (ih.opcode == FUSE_INIT && atomic_load(&bs->error)) {
		struct fuse_out_header oh;

		FZ_CHECK(r == sizeof(oh), "refused INIT: reply of %zd bytes",
			 r);
		memcpy(&oh, reply, sizeof(oh));
		FZ_CHECK(oh.len == sizeof(oh) && oh.unique == ih.unique &&
			 oh.error == atomic_load(&bs->error),
			 "refused INIT answered with %u/%d/%llu", oh.len,
			 oh.error, (unsigned long long)oh.unique);
		FZ_CHECK(fuse_session_exited(bs->se),
			 "session goes on after a refused INIT");
		FZ_CHECK(bs->cfg.mode == FUSE_BPF_MODE_KERNEL ||
			 bs->cfg.mode == FUSE_BPF_MODE_PASSTHROUGH,
			 "mode %d refused", bs->cfg.mode);
		atomic_store(&bs->error, 0);
		fuse_session_reset(bs->se);
	} else {
		FZ_CHECK(r < 0, "request of opcode %u answered by the hook",
			 ih.opcode);
	}
out:
	/* read(2) of 0 bytes takes no message: drop what is left. */
	while (recv(bs->fd, reply, sizeof(reply), MSG_DONTWAIT) >= 0)
		;
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = fz_of(data, size);
	uint8_t ctl;
	int i;

	setup();
	ctl = fz_u8(&f);
	/* The configured mode, the mode in force, what INIT may choose. */
	conn.bs->cfg.mode = (enum fuse_bpf_mode)(ctl & 3);
	atomic_store(&conn.bs->mode, (int)((ctl >> 2) & 3));
	fbpf_core_of(conn.bs)->conn_fuse_bpf = ctl & 0x10;
	fbpf_core_of(conn.bs)->dev_privileged = ctl & 0x20;
	for (i = 0; i < 16 && f.left; i++)
		one_message(&f);
	atomic_store(&fbpf_core_of(conn.bs)->init_unique, 0);
	memset(&fbpf_cur, 0, sizeof(fbpf_cur));
	return 0;
}
