/* SPDX-License-Identifier: LGPL-2.1-only */
/*
 * libfuse-bpf: the request this thread is dispatching, recorded by the
 * custom-io read hook (session.c) and read by the wrapped operations
 * (dispatch.c), which pass what the rest of the library needs explicitly
 * (struct fbpf_req).  No other file includes this.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#ifndef FUSE_BPF_DISPATCH_I_H_
#define FUSE_BPF_DISPATCH_I_H_

#include "fuse_bpf_i.h"

/*
 * libfuse hands a request to its handler in the thread that read it, in
 * the single- and the multi-threaded loop, and its handlers do not see the
 * request's header: so the read hook keeps what it read here.
 */
struct fbpf_cur_req {
	struct fuse_bpf_session *bs;
	uint64_t unique;
	uint32_t opcode;
	uint64_t nodeid;
	/* See struct fbpf_req. */
	bool kill_suidgid;
};
extern _Thread_local struct fbpf_cur_req fbpf_cur;

#endif /* FUSE_BPF_DISPATCH_I_H_ */
