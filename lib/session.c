// SPDX-License-Identifier: LGPL-2.1-only
/*
 * libfuse-bpf: the session, libfuse custom-io hooks, INIT and counters.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 *
 * The library sits between libfuse and /dev/fuse through
 * fuse_session_custom_io(): the read hook sees every request header before
 * libfuse dispatches it (it records the request in fbpf_cur, counts it and
 * settles the mode at INIT), the writev hook sees every reply (it patches
 * the INIT reply for passthrough and hands replies that need inspection to
 * reply.c).
 */
#include "dispatch_i.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/fuse.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

_Thread_local struct fbpf_cur_req fbpf_cur;

/* ---------------------------------------------------------------------- */
/* Registry: the custom-io hooks get only the fd and the daemon's userdata */
/* ---------------------------------------------------------------------- */

/*
 * libfuse 3.14 hands its custom-io hooks the device fd and the daemon's
 * userdata, nothing of the library's, so one index from fd to session has
 * to live outside the sessions; it holds nothing else.  It is a list (a
 * process has a session or two) behind a lock that only registration and
 * a thread's first request of a session take: each thread keeps the
 * session it last found, valid while the list's generation is unchanged.
 * libfuse's clone_fd gives each thread a device fd of its own, unknown
 * here: it is not supported.
 */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fuse_bpf_session *registry;
static _Atomic unsigned long registry_gen = 1;

static _Thread_local struct {
	unsigned long gen;
	int fd;
	struct fuse_bpf_session *bs;
} registry_cache;

int fbpf_registry_add(struct fuse_bpf_session *bs)
{
	struct fbpf_core *core = fbpf_core_of(bs);

	pthread_mutex_lock(&registry_lock);
	if (!core->registered) {
		core->registry_next = registry;
		registry = bs;
		core->registered = true;
		atomic_fetch_add(&registry_gen, 1);
	}
	pthread_mutex_unlock(&registry_lock);
	return 0;
}

void fbpf_registry_remove(struct fuse_bpf_session *bs)
{
	struct fuse_bpf_session **pp;

	pthread_mutex_lock(&registry_lock);
	for (pp = &registry; *pp; pp = &fbpf_core_of(*pp)->registry_next) {
		if (*pp == bs) {
			*pp = fbpf_core_of(bs)->registry_next;
			fbpf_core_of(bs)->registered = false;
			atomic_fetch_add(&registry_gen, 1);
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
}

/*
 * The session of a hook call, by its fd.  Only the registry is consulted:
 * a thread's fbpf_cur may still name a session that was destroyed since.
 */
static struct fuse_bpf_session *session_of_fd(int fd)
{
	unsigned long gen = atomic_load_explicit(&registry_gen,
						 memory_order_acquire);
	struct fuse_bpf_session *bs;

	if (registry_cache.gen == gen && registry_cache.fd == fd)
		return registry_cache.bs;
	pthread_mutex_lock(&registry_lock);
	for (bs = registry; bs; bs = fbpf_core_of(bs)->registry_next)
		if (bs->fd == fd)
			break;
	gen = atomic_load(&registry_gen);
	pthread_mutex_unlock(&registry_lock);
	registry_cache.gen = gen;
	registry_cache.fd = fd;
	registry_cache.bs = bs;
	return bs;
}

struct fuse_bpf_session *fbpf_session_of_lookup(fuse_req_t req,
						uint64_t *unique)
{
	struct fuse_bpf_session *bs = NULL;

	/*
	 * The common case, a handler answering in the thread that read the
	 * request: the session that thread found last, still registered.
	 */
	if (registry_cache.gen == atomic_load(&registry_gen))
		bs = registry_cache.bs;
	if (bs && fbpf_pending_find_lookup(bs, req, unique))
		return bs;
	pthread_mutex_lock(&registry_lock);
	for (bs = registry; bs; bs = fbpf_core_of(bs)->registry_next)
		if (fbpf_pending_find_lookup(bs, req, unique))
			break;
	pthread_mutex_unlock(&registry_lock);
	return bs;
}

/* ---------------------------------------------------------------------- */
/* Mode selection at INIT                                                 */
/* ---------------------------------------------------------------------- */

int fbpf_choose_mode(enum fuse_bpf_mode requested, bool kernel_ok,
		     bool pt_ok, enum fuse_bpf_mode *out)
{
	switch (requested) {
	case FUSE_BPF_MODE_AUTO:
		if (kernel_ok)
			*out = FUSE_BPF_MODE_KERNEL;
		else if (pt_ok)
			*out = FUSE_BPF_MODE_PASSTHROUGH;
		else
			*out = FUSE_BPF_MODE_USERSPACE;
		return 0;
	case FUSE_BPF_MODE_KERNEL:
		if (!kernel_ok)
			return -EOPNOTSUPP;
		*out = requested;
		return 0;
	case FUSE_BPF_MODE_PASSTHROUGH:
		if (!pt_ok)
			return -EOPNOTSUPP;
		*out = requested;
		return 0;
	case FUSE_BPF_MODE_USERSPACE:
		*out = requested;
		return 0;
	}
	return -EINVAL;
}

/* Send a bare error reply for @unique straight to the device. */
static int send_error(int fd, uint64_t unique, int err)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh),
		.error = err,
		.unique = unique,
	};
	ssize_t n = write(fd, &oh, sizeof(oh));

	return n == (ssize_t)sizeof(oh) ? 0 : -errno;
}

/*
 * With FUSE_HANDLE_KILLPRIV_V2 the kernel no longer clears set-user-ID and
 * set-group-ID with a SETATTR of its own (which the library would run with
 * the writer's fsuid, and which fails for a writer who does not own the
 * file); it flags the WRITE, SETATTR, OPEN or CREATE instead.  libfuse 3.14
 * hands those flags to no daemon, so it is negotiated only when the daemon
 * serves none of these requests itself.
 */
static bool daemon_sees_kill_flags(struct fuse_bpf_session *bs)
{
	const struct fuse_lowlevel_ops *d = &bs->dops;

	return d->write || d->write_buf || d->setattr || d->open || d->create;
}

/*
 * Settle the mode from the kernel's INIT request.  A forced mode the kernel
 * cannot give answers INIT with an error (the mount becomes unusable rather
 * than silently slower), records the error and stops the session loop.
 */
static int handle_init(struct fuse_bpf_session *bs, int fd,
		       const struct fuse_in_header *ih, size_t len)
{
	struct fbpf_core *core = fbpf_core_of(bs);
	const struct fuse_init_in *arg = (const void *)(ih + 1);
	size_t plen = len - sizeof(*ih);
	bool kernel_ok, offered = false, cap = false, pt_ok;
	const char *no_cap = NULL;
	enum fuse_bpf_mode mode;
	int err;

	if (plen < offsetof(struct fuse_init_in, flags) + sizeof(arg->flags)) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: short INIT request\n");
		return -EPROTO;
	}
	if ((arg->flags & FUSE_BPF_INIT_EXT) &&
	    plen >= offsetof(struct fuse_init_in, flags2) + sizeof(arg->flags2))
		offered = (arg->flags2 & FUSE_BPF_INIT2_PASSTHROUGH) != 0;
	kernel_ok = core->conn_fuse_bpf;
	if (offered)
		cap = fbpf_session_may_back(bs, &no_cap) == 0;
	pt_ok = offered && cap;

	err = fbpf_choose_mode(bs->cfg.mode, kernel_ok, pt_ok, &mode);
	if (err) {
		const char *why, *detail = "";

		if (bs->cfg.mode == FUSE_BPF_MODE_KERNEL) {
			why = "the device mounted is not fuse-bpf's (neither " FUSE_BPF_MODULE_FEATURE_FILE " nor " FUSE_BPF_FEATURE_FILE " reads \"supported\")";
		} else if (!offered) {
			why = "the kernel does not offer FUSE_PASSTHROUGH at INIT (Linux 6.9+ needed)";
		} else {
			why = "the daemon lacks CAP_SYS_ADMIN in the initial user namespace: ";
			detail = no_cap ? no_cap : "";
		}
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: mode %s requested but unavailable: %s%s\n",
			 fuse_bpf_mode_name(bs->cfg.mode), why, detail);
		atomic_store(&bs->error, err);
		send_error(fd, ih->unique, err);
		fuse_session_exit(bs->se);
		return err;
	}
	atomic_store(&bs->mode, (int)mode);
	core->init_passthrough = mode == FUSE_BPF_MODE_PASSTHROUGH;
	core->init_killpriv_v2 = mode != FUSE_BPF_MODE_KERNEL &&
				 (arg->flags & FUSE_HANDLE_KILLPRIV_V2) &&
				 !daemon_sees_kill_flags(bs);
	if (core->init_passthrough || core->init_killpriv_v2)
		atomic_store(&core->init_unique, ih->unique);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Custom io                                                              */
/* ---------------------------------------------------------------------- */

/*
 * FUSE_TMPFILE (protocol 7.37) is unknown to libfuse 3.14, which answers
 * ENOSYS, and the kernel then refuses O_TMPFILE on the whole mount.  Its
 * request (fuse_create_in and a name) and reply (fuse_entry_out and
 * fuse_open_out) have CREATE's layout, so one whose parent the library
 * serves is handed to libfuse as a CREATE; fbpf_cur keeps the real opcode,
 * by which the create handlers (and the counters) know it for a tmpfile.
 * Other TMPFILE requests keep libfuse's answer.
 */
static void tmpfile_as_create(struct fuse_bpf_session *bs,
			      struct fuse_in_header *ih, size_t len)
{
	if (len < sizeof(*ih) + sizeof(struct fuse_create_in) ||
	    fbpf_mode(bs) == FUSE_BPF_MODE_KERNEL ||
	    !fbpf_nodes_serves(bs, ih->nodeid))
		return;
	ih->opcode = FUSE_CREATE;
}

/* The kill-suid flag of a WRITE, OPEN or CREATE (libfuse drops it). */
static bool wants_kill_suidgid(const struct fuse_in_header *ih, size_t len)
{
	const void *arg = ih + 1;

	switch (ih->opcode) {
	case FUSE_WRITE:
		return len >= sizeof(*ih) + sizeof(struct fuse_write_in) &&
		       (((const struct fuse_write_in *)arg)->write_flags &
			FUSE_WRITE_KILL_SUIDGID);
	case FUSE_OPEN:
		return len >= sizeof(*ih) + sizeof(struct fuse_open_in) &&
		       (((const struct fuse_open_in *)arg)->open_flags &
			FUSE_OPEN_KILL_SUIDGID);
	case FUSE_CREATE:
		return len >= sizeof(*ih) + sizeof(struct fuse_create_in) &&
		       (((const struct fuse_create_in *)arg)->open_flags &
			FUSE_OPEN_KILL_SUIDGID);
	default:
		return false;
	}
}

static ssize_t io_read(int fd, void *buf, size_t buf_len, void *userdata)
{
	struct fuse_bpf_session *bs = session_of_fd(fd);
	struct fuse_in_header *ih = buf;
	ssize_t n;

	n = read(fd, buf, buf_len);
	if (n < (ssize_t)sizeof(*ih) || !bs)
		return n;

	fbpf_cur.bs = bs;
	fbpf_cur.unique = ih->unique;
	fbpf_cur.opcode = ih->opcode;
	fbpf_cur.nodeid = ih->nodeid;
	fbpf_cur.kill_suidgid = wants_kill_suidgid(ih, (size_t)n);
	if (ih->opcode < FBPF_OPCODE_MAX)
		atomic_fetch_add_explicit(&bs->total[ih->opcode], 1,
					  memory_order_relaxed);
	if (ih->opcode == FUSE_INIT)
		handle_init(bs, fd, ih, (size_t)n);
	else if (ih->opcode == FUSE_TMPFILE)
		tmpfile_as_create(bs, ih, (size_t)n);
	return n;
}

/*
 * The INIT reply of the lower modes negotiates FUSE_PASSTHROUGH (passthrough
 * mode) and FUSE_HANDLE_KILLPRIV_V2, which libfuse 3.14 does not know.
 */
static void patch_init_reply(struct fbpf_core *core, struct iovec *iov,
			     int count)
{
	struct fuse_out_header *oh = iov[0].iov_base;
	struct fuse_init_out *arg;
	size_t need = offsetof(struct fuse_init_out, unused) + sizeof(uint32_t);

	if (oh->error)
		return;
	if (count >= 2 && iov[1].iov_len >= need)
		arg = iov[1].iov_base;
	else if (count == 1 && iov[0].iov_len >= sizeof(*oh) + need)
		arg = (void *)(oh + 1);
	else {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: unexpected INIT reply layout, passthrough and killpriv_v2 not negotiated\n");
		return;
	}
	if (core->init_killpriv_v2) {
		arg->flags &= ~FUSE_HANDLE_KILLPRIV;
		arg->flags |= FUSE_HANDLE_KILLPRIV_V2;
	}
	if (!core->init_passthrough)
		return;
	arg->flags |= FUSE_BPF_INIT_EXT;
	arg->flags &= ~FUSE_WRITEBACK_CACHE;
	arg->flags2 |= FUSE_BPF_INIT2_PASSTHROUGH;
	/* max_stack_depth: backing files on non-stacked file systems. */
	arg->unused[0] = 1;
}

static ssize_t io_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	struct fuse_bpf_session *bs = session_of_fd(fd);
	struct fuse_out_header *oh;
	struct fbpf_core *core;
	ssize_t total = 0;
	int i, err;

	if (!bs || count < 1 || iov[0].iov_len < sizeof(*oh))
		return writev(fd, iov, count);
	oh = iov[0].iov_base;
	if (oh->unique == 0)
		return writev(fd, iov, count);
	core = fbpf_core_of(bs);
	if (oh->unique == atomic_load(&core->init_unique)) {
		atomic_store(&core->init_unique, 0);
		patch_init_reply(core, iov, count);
		return writev(fd, iov, count);
	}
	if (!atomic_load_explicit(&core->pending, memory_order_acquire))
		return writev(fd, iov, count);
	err = fbpf_reply_filter(bs, iov, count);
	if (!err)
		return writev(fd, iov, count);
	for (i = 0; i < count; i++)
		total += (ssize_t)iov[i].iov_len;
	err = send_error(fd, oh->unique, err);
	if (err) {
		errno = -err;
		return -1;
	}
	return total;
}

const struct fuse_custom_io fbpf_custom_io = {
	.read = io_read,
	.writev = io_writev,
};

/* ---------------------------------------------------------------------- */
/* Backing privilege                                                      */
/* ---------------------------------------------------------------------- */

int fbpf_session_may_back(struct fuse_bpf_session *bs, const char **why)
{
	struct fbpf_core *core = fbpf_core_of(bs);

	return fbpf_backing_privilege(core->init_userns,
				      fbpf_cap_sys_admin_effective(),
				      core->dev_privileged, why);
}

/* ---------------------------------------------------------------------- */
/* Counters                                                               */
/* ---------------------------------------------------------------------- */

void fbpf_count_library(struct fuse_bpf_session *bs, uint32_t op)
{
	if (bs && op < FBPF_OPCODE_MAX)
		atomic_fetch_add_explicit(&bs->library[op], 1,
					  memory_order_relaxed);
}

void fbpf_uncount_library(struct fuse_bpf_session *bs, uint32_t op)
{
	if (bs && op < FBPF_OPCODE_MAX)
		atomic_fetch_sub_explicit(&bs->library[op], 1,
					  memory_order_relaxed);
}

static const char *const opcode_names[FBPF_OPCODE_MAX] = {
	[FUSE_LOOKUP] = "LOOKUP",
	[FUSE_FORGET] = "FORGET",
	[FUSE_GETATTR] = "GETATTR",
	[FUSE_SETATTR] = "SETATTR",
	[FUSE_READLINK] = "READLINK",
	[FUSE_SYMLINK] = "SYMLINK",
	[FUSE_MKNOD] = "MKNOD",
	[FUSE_MKDIR] = "MKDIR",
	[FUSE_UNLINK] = "UNLINK",
	[FUSE_RMDIR] = "RMDIR",
	[FUSE_RENAME] = "RENAME",
	[FUSE_LINK] = "LINK",
	[FUSE_OPEN] = "OPEN",
	[FUSE_READ] = "READ",
	[FUSE_WRITE] = "WRITE",
	[FUSE_STATFS] = "STATFS",
	[FUSE_RELEASE] = "RELEASE",
	[FUSE_FSYNC] = "FSYNC",
	[FUSE_SETXATTR] = "SETXATTR",
	[FUSE_GETXATTR] = "GETXATTR",
	[FUSE_LISTXATTR] = "LISTXATTR",
	[FUSE_REMOVEXATTR] = "REMOVEXATTR",
	[FUSE_FLUSH] = "FLUSH",
	[FUSE_INIT] = "INIT",
	[FUSE_OPENDIR] = "OPENDIR",
	[FUSE_READDIR] = "READDIR",
	[FUSE_RELEASEDIR] = "RELEASEDIR",
	[FUSE_FSYNCDIR] = "FSYNCDIR",
	[FUSE_GETLK] = "GETLK",
	[FUSE_SETLK] = "SETLK",
	[FUSE_SETLKW] = "SETLKW",
	[FUSE_ACCESS] = "ACCESS",
	[FUSE_CREATE] = "CREATE",
	[FUSE_INTERRUPT] = "INTERRUPT",
	[FUSE_BMAP] = "BMAP",
	[FUSE_DESTROY] = "DESTROY",
	[FUSE_IOCTL] = "IOCTL",
	[FUSE_POLL] = "POLL",
	[FUSE_NOTIFY_REPLY] = "NOTIFY_REPLY",
	[FUSE_BATCH_FORGET] = "BATCH_FORGET",
	[FUSE_FALLOCATE] = "FALLOCATE",
	[FUSE_READDIRPLUS] = "READDIRPLUS",
	[FUSE_RENAME2] = "RENAME2",
	[FUSE_LSEEK] = "LSEEK",
	[FUSE_COPY_FILE_RANGE] = "COPY_FILE_RANGE",
	[FUSE_SETUPMAPPING] = "SETUPMAPPING",
	[FUSE_REMOVEMAPPING] = "REMOVEMAPPING",
	[FUSE_SYNCFS] = "SYNCFS",
	[FUSE_TMPFILE] = "TMPFILE",
	/* Protocol 7.39 and 7.45 opcodes, newer than Debian 12's headers. */
	[52] = "STATX",
	[53] = "COPY_FILE_RANGE_64",
};

const char *fuse_bpf_opcode_name(uint32_t opcode)
{
	if (opcode >= FBPF_OPCODE_MAX)
		return NULL;
	return opcode_names[opcode];
}

int fuse_bpf_session_op_stats(const struct fuse_bpf_session *bs,
			      uint32_t opcode, struct fuse_bpf_op_stats *out)
{
	uint64_t total, lib;

	if (!bs || !out || opcode >= FBPF_OPCODE_MAX)
		return -EINVAL;
	total = atomic_load(&bs->total[opcode]);
	lib = atomic_load(&bs->library[opcode]);
	out->library = lib;
	out->daemon = total > lib ? total - lib : 0;
	return 0;
}

int fuse_bpf_session_write_stats(const struct fuse_bpf_session *bs, FILE *f)
{
	struct fuse_bpf_op_stats st;
	const char *sep = "";
	uint32_t op;

	if (!bs || !f)
		return -EINVAL;
	fprintf(f, "{\"mode\": \"%s\", \"requests\": {",
		fuse_bpf_mode_name(fuse_bpf_session_mode(bs)));
	for (op = 0; op < FBPF_OPCODE_MAX; op++) {
		const char *name = fuse_bpf_opcode_name(op);

		fuse_bpf_session_op_stats(bs, op, &st);
		if (!st.daemon && !st.library)
			continue;
		if (name)
			fprintf(f, "%s\"%s\": ", sep, name);
		else
			fprintf(f, "%s\"OPCODE_%" PRIu32 "\": ", sep, op);
		fprintf(f, "{\"daemon\": %" PRIu64 ", \"library\": %" PRIu64 "}",
			st.daemon, st.library);
		sep = ", ";
	}
	fprintf(f, "}}\n");
	if (fflush(f) == EOF || ferror(f)) {
		int err = errno ? -errno : -EIO;

		fuse_log(FUSE_LOG_ERR, "fuse-bpf: writing statistics: %s\n",
			 strerror(-err));
		return err;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Session                                                                */
/* ---------------------------------------------------------------------- */

/* The mode expected before INIT, from the configuration and a probe. */
static enum fuse_bpf_mode expected_mode(enum fuse_bpf_mode requested)
{
	unsigned int caps;

	if (requested != FUSE_BPF_MODE_AUTO)
		return requested;
	caps = fuse_bpf_probe_kernel();
	if (caps & FUSE_BPF_CAP_KERNEL)
		return FUSE_BPF_MODE_KERNEL;
	if (caps & FUSE_BPF_CAP_PASSTHROUGH)
		return FUSE_BPF_MODE_PASSTHROUGH;
	return FUSE_BPF_MODE_USERSPACE;
}

/*
 * Every backed node holds an fd: unless the daemon opted out, let the
 * process use as many as it may, so that large directories can be listed.
 * The soft limit is process-wide; only the hard limit bounds it.
 */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			fuse_log(FUSE_LOG_WARNING,
				 "fuse-bpf: cannot raise RLIMIT_NOFILE: %s\n",
				 strerror(errno));
	}
}

struct fuse_bpf_session *
fuse_bpf_session_new(struct fuse_args *args,
		     const struct fuse_lowlevel_ops *op, size_t op_size,
		     void *userdata, const struct fuse_bpf_config *cfg)
{
	char *default_argv[] = { "fuse-bpf", NULL };
	struct fuse_args default_args = FUSE_ARGS_INIT(1, default_argv);
	struct fuse_lowlevel_ops wops;
	struct fuse_bpf_session *bs;
	struct fbpf_core *core;

	if (!op) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: no operations given\n");
		return NULL;
	}
	bs = calloc(1, sizeof(*bs));
	core = calloc(1, sizeof(*core));
	if (!bs || !core) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: out of memory\n");
		free(bs);
		free(core);
		return NULL;
	}
	bs->priv = core;
	bs->fd = -1;
	if (fbpf_pending_init(bs)) {
		free(core);
		free(bs);
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: cannot create a lock\n");
		return NULL;
	}
	/*
	 * The user namespace is looked up once (a stat of a /proc file costs
	 * far more than the capget(2) of each check).  A process can only
	 * leave it for a child namespace, where it has no privilege in the
	 * initial one; one that does so after this point keeps this answer
	 * in the lower modes, while the kernel's own checks (passthrough's
	 * FUSE_DEV_IOC_BACKING_OPEN, fuse-bpf's reply ioctl) still refuse.
	 */
	core->init_userns = fbpf_probe_init_userns();
	bs->duserdata = userdata;
	if (op_size > sizeof(bs->dops)) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: warning: op_size %zu larger than this libfuse's operations (%zu), extra ones ignored\n",
			 op_size, sizeof(bs->dops));
		op_size = sizeof(bs->dops);
	}
	memcpy(&bs->dops, op, op_size);
	fbpf_config_init(&bs->cfg);
	if (cfg && fbpf_config_copy(&bs->cfg, cfg) < 0)
		goto fail;
	if (fuse_bpf_config_set_mode(&bs->cfg, bs->cfg.mode) < 0)
		goto fail;
	if (bs->cfg.raise_nofile)
		raise_nofile();
	if (!args)
		args = &default_args;
	if (fbpf_mount_opts_split(args, &core->mo) < 0)
		goto fail;
	bs->nodes = fbpf_nodes_new();
	if (!bs->nodes) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: out of memory\n");
		goto fail;
	}
	atomic_store(&bs->mode, (int)expected_mode(bs->cfg.mode));

	fbpf_dispatch_build(bs, &wops);
	bs->se = fuse_session_new(args, &wops, sizeof(wops), userdata);
	if (!bs->se)
		goto fail;
	if (args == &default_args)
		fuse_opt_free_args(&default_args);
	return bs;

fail:
	if (args == &default_args)
		fuse_opt_free_args(&default_args);
	fuse_bpf_session_destroy(bs);
	return NULL;
}

struct fuse_session *fuse_bpf_session_fuse(struct fuse_bpf_session *bs)
{
	return bs ? bs->se : NULL;
}

enum fuse_bpf_mode fuse_bpf_session_mode(const struct fuse_bpf_session *bs)
{
	if (!bs)
		return FUSE_BPF_MODE_AUTO;
	return (enum fuse_bpf_mode)atomic_load(&bs->mode);
}

int fuse_bpf_session_error(const struct fuse_bpf_session *bs)
{
	return bs ? atomic_load(&bs->error) : -EINVAL;
}

void fuse_bpf_session_destroy(struct fuse_bpf_session *bs)
{
	struct fbpf_core *core;

	if (!bs)
		return;
	core = fbpf_core_of(bs);
	fuse_bpf_session_unmount(bs);
	if (core) {
		/* Waiting flocks answer once they see this (backing_file.c). */
		atomic_store(&core->stopping, true);
		while (atomic_load(&core->lock_waiters))
			usleep(1000);
	}
	if (bs->se) {
		/* fuse_session_destroy() may call the destroy operation. */
		fbpf_cur.bs = bs;
		fbpf_cur.opcode = FUSE_DESTROY;
		fbpf_cur.unique = 0;
		fbpf_cur.nodeid = 0;
		fuse_session_destroy(bs->se);
		bs->fd = -1;
	} else if (bs->fd >= 0) {
		close(bs->fd);
		bs->fd = -1;
	}
	if (fbpf_cur.bs == bs)
		memset(&fbpf_cur, 0, sizeof(fbpf_cur));
	if (core) {
		fbpf_registry_remove(bs);
		fbpf_pending_fini(bs);
	}
	if (bs->nodes)
		fbpf_nodes_destroy(bs->nodes);
	if (bs->cfg.root_fd >= 0)
		close(bs->cfg.root_fd);
	if (core)
		fbpf_mount_opts_free(&core->mo);
	free(bs->mountpoint);
	free(core);
	free(bs);
}
