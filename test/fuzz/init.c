// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target "init": INIT negotiation.  The kernel's INIT request goes
 * through the read hook (mode selection), then libfuse's INIT reply, of
 * any content and any iovec layout, through the writev hook (the
 * passthrough and FUSE_HANDLE_KILLPRIV_V2 patches).
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 *
 * Properties, against a model of the rules written here: the mode chosen
 * (fuse-bpf only on a fuse-bpf connection, passthrough only when the
 * kernel offers it and the daemon has the privilege, a forced mode that
 * cannot be had refuses INIT with -EOPNOTSUPP and one error reply); a
 * short INIT changes nothing; the reply is patched only when the mode
 * asks for it, exactly in the bits and fields the rules name, the rest of
 * the reply byte for byte as libfuse wrote it, and only once.
 */
#include "fuzz_session.h"

#include <errno.h>
#include <linux/fuse.h>

#define HDR_IN sizeof(struct fuse_in_header)
#define HDR_OUT sizeof(struct fuse_out_header)
#define MAX_BODY 96

static struct fz_conn conn;
static const struct fuse_lowlevel_ops no_ops;

static void daemon_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
			 size_t size, off_t off, struct fuse_file_info *fi)
{
	fuse_reply_err(req, ENOSYS);
}

static const struct fuse_lowlevel_ops writer_ops = { .write = daemon_write };

struct expect {
	int err;		/* INIT refused with this */
	enum fuse_bpf_mode mode;
	bool passthrough, killpriv_v2;
};

static struct expect model(enum fuse_bpf_mode cfg, bool fuse_bpf_conn,
			   bool offered, bool privileged, bool killpriv_v2,
			   bool daemon_writes)
{
	struct expect e = { 0 };
	bool pt = offered && privileged;

	switch (cfg) {
	case FUSE_BPF_MODE_AUTO:
		e.mode = fuse_bpf_conn ? FUSE_BPF_MODE_KERNEL :
			 pt ? FUSE_BPF_MODE_PASSTHROUGH :
			 FUSE_BPF_MODE_USERSPACE;
		break;
	case FUSE_BPF_MODE_KERNEL:
		e.mode = cfg;
		if (!fuse_bpf_conn)
			e.err = -EOPNOTSUPP;
		break;
	case FUSE_BPF_MODE_PASSTHROUGH:
		e.mode = cfg;
		if (!pt)
			e.err = -EOPNOTSUPP;
		break;
	case FUSE_BPF_MODE_USERSPACE:
		e.mode = cfg;
		break;
	}
	e.passthrough = !e.err && e.mode == FUSE_BPF_MODE_PASSTHROUGH;
	e.killpriv_v2 = !e.err && e.mode != FUSE_BPF_MODE_KERNEL &&
			killpriv_v2 && !daemon_writes;
	return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = fz_of(data, size);
	uint8_t ctl = fz_u8(&f), ctl2 = fz_u8(&f);
	enum fuse_bpf_mode cfg = (enum fuse_bpf_mode)(ctl & 3), before_mode;
	bool fuse_bpf_conn = ctl & 4, dev_priv = ctl & 8, writes = ctl & 16;
	int userns = (int)((ctl >> 5) % 3) - 1;
	uint8_t req[HDR_IN + MAX_BODY], body[MAX_BODY], out[MAX_BODY];
	uint8_t sent[HDR_OUT + MAX_BODY + 8], *pieces[3];
	size_t plen = fz_u8(&f) % (MAX_BODY + 1), olen, at, total, cut;
	struct fuse_in_header ih;
	struct fuse_out_header oh;
	struct fuse_init_in in;
	struct fuse_init_out want_out;
	struct iovec iov[3];
	struct expect e;
	bool offered, privileged, patched;
	int count, i, round;
	ssize_t r;

	fz_quiet();
	/* The daemon's table matters (KILLPRIV_V2): a session for each. */
	if (conn.bs && (conn.bs->dops.write != NULL) != writes)
		fz_conn_close(&conn);
	if (!conn.bs)
		fz_conn_open(&conn, writes ? &writer_ops : &no_ops,
			     sizeof(no_ops), FUSE_BPF_MODE_AUTO, false);
	conn.bs->cfg.mode = cfg;
	fbpf_core_of(conn.bs)->conn_fuse_bpf = fuse_bpf_conn;
	fbpf_core_of(conn.bs)->dev_privileged = dev_priv;
	fbpf_core_of(conn.bs)->init_userns = userns;
	atomic_store(&conn.bs->mode, (int)(ctl2 & 3));
	atomic_store(&conn.bs->error, 0);
	atomic_store(&fbpf_core_of(conn.bs)->init_unique, 0);
	fuse_session_reset(conn.bs->se);
	before_mode = fbpf_mode(conn.bs);

	/* The kernel's INIT. */
	memset(&ih, 0, sizeof(ih));
	ih.opcode = FUSE_INIT;
	ih.unique = fz_u64(&f) | 1;
	ih.len = (uint32_t)(HDR_IN + plen);
	fz_bytes(&f, body, plen);
	memset(&in, 0, sizeof(in));
	memcpy(&in, body, plen < sizeof(in) ? plen : sizeof(in));
	memcpy(req, &ih, HDR_IN);
	memcpy(req + HDR_IN, body, plen);
	fz_conn_send(&conn, req, HDR_IN + plen);
	r = fbpf_custom_io.read(conn.bs->fd, req, sizeof(req), NULL);
	FZ_CHECK(r == (ssize_t)(HDR_IN + plen), "read hook returned %zd", r);

	offered = (in.flags & FUSE_BPF_INIT_EXT) &&
		  plen >= offsetof(struct fuse_init_in, flags2) +
			  sizeof(in.flags2) &&
		  (in.flags2 & FUSE_BPF_INIT2_PASSTHROUGH);
	privileged = userns == 1 && fbpf_cap_sys_admin_effective() == 1 &&
		     dev_priv;
	e = model(cfg, fuse_bpf_conn, offered, privileged,
		  in.flags & FUSE_HANDLE_KILLPRIV_V2, writes);
	r = fz_conn_reply(&conn, out, sizeof(out));
	if (plen < offsetof(struct fuse_init_in, flags) + sizeof(in.flags)) {
		FZ_CHECK(r < 0 && !atomic_load(&conn.bs->error) &&
			 fbpf_mode(conn.bs) == before_mode &&
			 !atomic_load(&fbpf_core_of(conn.bs)->init_unique),
			 "short INIT (%zu bytes) acted upon", plen);
		e.passthrough = e.killpriv_v2 = false;
	} else if (e.err) {
		FZ_CHECK(atomic_load(&conn.bs->error) == e.err &&
			 fuse_session_exited(conn.bs->se),
			 "mode %d: INIT not refused", cfg);
		memcpy(&oh, out, sizeof(oh));
		FZ_CHECK(r == HDR_OUT && oh.unique == ih.unique &&
			 oh.error == e.err, "refusal reply %zd bytes, %d", r,
			 oh.error);
		return 0;
	} else {
		FZ_CHECK(r < 0 && !atomic_load(&conn.bs->error),
			 "INIT refused (%d)", atomic_load(&conn.bs->error));
		FZ_CHECK(fbpf_mode(conn.bs) == e.mode,
			 "mode %d chosen, want %d (cfg %d, conn %d, offered %d, privileged %d)",
			 fbpf_mode(conn.bs), e.mode, cfg, fuse_bpf_conn, offered,
			 privileged);
	}

	/* libfuse's reply, twice: only the first may be patched. */
	olen = fz_u8(&f) % (MAX_BODY + 1);
	memset(&oh, 0, sizeof(oh));
	oh.unique = ih.unique;
	oh.error = (ctl2 & 0x80) ? -(int32_t)(fz_u8(&f) % 40) : 0;
	oh.len = (uint32_t)(HDR_OUT + olen);
	fz_bytes(&f, out, olen);
	count = 1 + (ctl2 >> 2) % 3;
	cut = olen ? fz_u8(&f) % (olen + 1) : 0;
	for (round = 0; round < 2; round++) {
		if (count == 1) {
			pieces[0] = malloc(HDR_OUT + olen);
			memcpy(pieces[0], &oh, HDR_OUT);
			memcpy(pieces[0] + HDR_OUT, out, olen);
			iov[0].iov_len = HDR_OUT + olen;
		} else {
			pieces[0] = malloc(HDR_OUT);
			memcpy(pieces[0], &oh, HDR_OUT);
			iov[0].iov_len = HDR_OUT;
			at = count == 2 ? olen : cut;
			pieces[1] = malloc(at ? at : 1);
			memcpy(pieces[1], out, at);
			iov[1].iov_len = at;
			if (count == 3) {
				pieces[2] = malloc(olen - at ? olen - at : 1);
				memcpy(pieces[2], out + at, olen - at);
				iov[2].iov_len = olen - at;
			}
		}
		for (i = 0; i < count; i++)
			iov[i].iov_base = pieces[i];
		total = HDR_OUT + olen;
		r = fbpf_custom_io.writev(conn.bs->fd, iov, count, NULL);
		FZ_CHECK(r == (ssize_t)total, "writev hook returned %zd", r);
		for (i = 0; i < count; i++)
			free(pieces[i]);
		r = fz_conn_reply(&conn, sent, sizeof(sent));
		FZ_CHECK(r == (ssize_t)total, "%zd bytes sent, %zu written",
			 r, total);
		FZ_CHECK(memcmp(sent, &oh, HDR_OUT) == 0, "header changed");

		/* Where the library finds the reply's fuse_init_out. */
		patched = round == 0 && !oh.error &&
			  (e.passthrough || e.killpriv_v2) &&
			  (count == 1 ? olen : iov[1].iov_len) >=
			  offsetof(struct fuse_init_out, unused) +
			  sizeof(uint32_t);
		if (!patched) {
			FZ_CHECK(memcmp(sent + HDR_OUT, out, olen) == 0,
				 "reply changed (round %d, error %d)", round,
				 oh.error);
			continue;
		}
		memset(&want_out, 0, sizeof(want_out));
		memcpy(&want_out, out,
		       olen < sizeof(want_out) ? olen : sizeof(want_out));
		if (e.killpriv_v2) {
			want_out.flags &= ~FUSE_HANDLE_KILLPRIV;
			want_out.flags |= FUSE_HANDLE_KILLPRIV_V2;
		}
		if (e.passthrough) {
			want_out.flags |= FUSE_BPF_INIT_EXT;
			want_out.flags &= ~FUSE_WRITEBACK_CACHE;
			want_out.flags2 |= FUSE_BPF_INIT2_PASSTHROUGH;
			want_out.unused[0] = 1;
		}
		at = olen < sizeof(want_out) ? olen : sizeof(want_out);
		FZ_CHECK(memcmp(sent + HDR_OUT, &want_out, at) == 0 &&
			 memcmp(sent + HDR_OUT + at, out + at, olen - at) == 0,
			 "INIT reply patched wrongly (passthrough %d, killpriv_v2 %d)",
			 e.passthrough, e.killpriv_v2);
	}
	return 0;
}
