/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A libfuse-bpf session for the fuzz targets, connected to a socketpair
 * instead of /dev/fuse: nothing is mounted.  SOCK_SEQPACKET keeps each
 * request and each reply one message, as the device does.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#ifndef FBPF_FUZZ_SESSION_H_
#define FBPF_FUZZ_SESSION_H_

#include "fuse_bpf_i.h"
#include "fuzz.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

struct fz_conn {
	struct fuse_bpf_session *bs;
	int kernel;	/* the "kernel" end: requests in, replies out */
	bool custom_io;	/* libfuse owns (and closes) the session's end */
};

/*
 * A session of @mode over a new socketpair, registered for the custom-io
 * hooks as fuse_bpf_session_mount() registers it.  With @custom_io,
 * libfuse reads and writes through the hooks as well.
 */
static inline void fz_conn_open(struct fz_conn *c,
				const struct fuse_lowlevel_ops *ops,
				size_t op_size, enum fuse_bpf_mode mode,
				bool custom_io)
{
	struct fuse_bpf_config *cfg = fuse_bpf_config_new();
	int sv[2];

	if (!cfg || fuse_bpf_config_set_mode(cfg, mode))
		abort();
	c->bs = fuse_bpf_session_new(NULL, ops, op_size, NULL, cfg);
	fuse_bpf_config_destroy(cfg);
	if (!c->bs ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	c->bs->fd = sv[0];
	c->kernel = sv[1];
	if (fbpf_registry_add(c->bs))
		abort();
	c->custom_io = custom_io;
	if (custom_io &&
	    fuse_session_custom_io(c->bs->se, &fbpf_custom_io, sv[0]))
		abort();
}

/* Destroy the session (which closes its end) and the kernel's end. */
static inline void fz_conn_close(struct fz_conn *c)
{
	if (!c->custom_io) {
		close(c->bs->fd);
		c->bs->fd = -1;
	}
	fuse_bpf_session_destroy(c->bs);
	close(c->kernel);
	c->bs = NULL;
}

/* Send one request to the session, as the kernel would. */
static inline void fz_conn_send(struct fz_conn *c, const void *msg,
				size_t len)
{
	if (send(c->kernel, msg, len, 0) != (ssize_t)len)
		abort();
}

/* The next reply the session wrote, or -1 when there is none. */
static inline ssize_t fz_conn_reply(struct fz_conn *c, void *buf, size_t len)
{
	return recv(c->kernel, buf, len, MSG_DONTWAIT | MSG_TRUNC);
}

#endif /* FBPF_FUZZ_SESSION_H_ */
