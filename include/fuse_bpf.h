/* SPDX-License-Identifier: LGPL-2.1-only */
/*
 * libfuse-bpf: stacked-filesystem (FUSE-BPF) support for libfuse3 daemons.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */

/**
 * @file fuse_bpf.h
 *
 * Public interface of libfuse-bpf.
 *
 * A daemon written against the libfuse3 low-level API creates its session
 * with fuse_bpf_session_new() instead of fuse_session_new(), keeps its
 * `struct fuse_lowlevel_ops` unchanged, and may answer LOOKUP requests with
 * fuse_bpf_reply_entry() to attach a backing file or directory to the new
 * node.  From then on the node, and every node below a backed directory, is
 * served from the backing object:
 *
 * - in mode #FUSE_BPF_MODE_KERNEL by the patched kernel (fuse-bpf), with no
 *   request reaching userspace;
 * - in mode #FUSE_BPF_MODE_PASSTHROUGH by this library for metadata and by
 *   upstream FUSE passthrough (Linux 6.9+) for file data;
 * - in mode #FUSE_BPF_MODE_USERSPACE by this library for everything.
 *
 * The daemon's handlers never see requests for backed nodes in any mode,
 * except FORGET for node ids the daemon itself handed out.
 *
 * Attaching backing (a #FUSE_ENTRY_BACKING block, a backed root, a
 * no_daemon mount) needs CAP_SYS_ADMIN in the initial user namespace, the
 * rule upstream FUSE passthrough applies to FUSE_DEV_IOC_BACKING_OPEN.
 * The rule is the same in every mode: the library checks it itself, at
 * each reply, and in fuse-bpf mode the kernel checks it again.  A daemon
 * without the privilege gets -EPERM and keeps plain FUSE: the request is
 * still its own to answer.
 *
 * What can be backed: a node answered by fuse_bpf_reply_entry() (LOOKUP
 * replies only; CREATE, MKNOD, MKDIR, SYMLINK, LINK and READDIRPLUS replies
 * carry no blocks), the root (fuse_bpf_config_set_root_backing()), and by
 * inheritance everything below a backed directory.  A daemon attaches a
 * regular file, a directory or a symlink of the entry's type; fuse-bpf
 * mode refuses other types (-EINVAL).
 *
 * Privileges per mode: mounting needs CAP_SYS_ADMIN (fuse-bpf.ko's
 * /dev/fuse-bpf is root's by default); passthrough mode needs CAP_SYS_ADMIN
 * in the initial user namespace at INIT; backing needs it in every mode
 * (above); in the lower modes the library acts as each caller only when the
 * daemon runs as root.
 *
 * Threads: libfuse runs the daemon's handlers, and the library's work on
 * a request, in the loop thread that read it.  fuse_bpf_reply_entry() may
 * be called from any thread while its LOOKUP is unanswered; the session
 * getters and statistics from any thread at any time; creating, mounting,
 * unmounting and destroying a session from one thread, outside the loop.
 * The only process-wide change is RLIMIT_NOFILE, which a daemon can opt
 * out of (fuse_bpf_config_set_raise_nofile()).  doc/api.md has the
 * details.
 *
 * Errors are reported as negative errno values; details go to fuse_log().
 */

#ifndef FUSE_BPF_H_
#define FUSE_BPF_H_

#ifndef FUSE_USE_VERSION
/** The libfuse API level, unless the daemon chose one (3.4 or newer). */
#define FUSE_USE_VERSION 34
#endif

#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fuse_bpf_kernel.h"
#include "fuse_bpf_version.h"

#ifdef __cplusplus
extern "C" {
#endif


/* ------------------------------------------------------------------------ */
/** @name Modes                                                             */
/* ------------------------------------------------------------------------ */
/** @{ */

/** Who serves backed nodes. */
enum fuse_bpf_mode {
	/** Pick the best mode the kernel offers (only as a request). */
	FUSE_BPF_MODE_AUTO = 0,
	/** The patched kernel (fuse-bpf) serves backed nodes. */
	FUSE_BPF_MODE_KERNEL = 1,
	/** Library serves metadata, kernel passthrough serves file data. */
	FUSE_BPF_MODE_PASSTHROUGH = 2,
	/** The library serves everything from the backing fds. */
	FUSE_BPF_MODE_USERSPACE = 3,
};

/**
 * Name of a mode as used on command lines and in statistics:
 * "auto", "fuse-bpf", "passthrough" or "userspace".
 *
 * @param mode a mode
 * @return a static string, "invalid" for an unknown value
 */
const char *fuse_bpf_mode_name(enum fuse_bpf_mode mode);

/**
 * Parse a mode name (see fuse_bpf_mode_name()).
 *
 * @param name the name
 * @param mode where to store the mode
 * @return 0, or -EINVAL for an unknown name
 */
int fuse_bpf_mode_parse(const char *name, enum fuse_bpf_mode *mode);

/** Kernel capabilities found by fuse_bpf_probe_kernel(). */
enum fuse_bpf_kernel_cap {
	/** fuse-bpf is there: #FUSE_BPF_MODULE_FEATURE_FILE (fuse-bpf.ko)
	 * or #FUSE_BPF_FEATURE_FILE (an in-tree build) reads "supported". */
	FUSE_BPF_CAP_KERNEL = 1u << 0,
	/** The process may use passthrough (CAP_SYS_ADMIN in the initial
	 * user namespace) and the kernel is new enough to offer it;
	 * confirmed only at INIT. */
	FUSE_BPF_CAP_PASSTHROUGH = 1u << 1,
};

/**
 * Find what the running kernel can do, before mounting.
 *
 * @return a mask of enum fuse_bpf_kernel_cap
 */
unsigned int fuse_bpf_probe_kernel(void);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Configuration                                                     */
/* ------------------------------------------------------------------------ */
/** @{ */

/** Session configuration (opaque). */
struct fuse_bpf_config;

/**
 * Create a configuration with defaults: mode auto, no root backing,
 * entry and attribute timeouts of 1 second for library-served nodes,
 * RLIMIT_NOFILE raised (see fuse_bpf_config_set_raise_nofile()).
 *
 * @return the configuration, or NULL when out of memory
 */
struct fuse_bpf_config *fuse_bpf_config_new(void);

/** Free a configuration. @param cfg may be NULL */
void fuse_bpf_config_destroy(struct fuse_bpf_config *cfg);

/**
 * Request a mode.  A mode other than #FUSE_BPF_MODE_AUTO that the kernel
 * cannot give makes the mount (or INIT) fail with a message; it is never
 * silently downgraded.
 *
 * @param cfg configuration
 * @param mode the mode
 * @return 0 or -EINVAL
 */
int fuse_bpf_config_set_mode(struct fuse_bpf_config *cfg,
			     enum fuse_bpf_mode mode);

/**
 * Back the root of the mount with a directory.  The fd is duplicated; the
 * caller keeps its own.  Like every backing, a backed root needs
 * CAP_SYS_ADMIN in the initial user namespace when the session is
 * mounted (see fuse_bpf_session_mount()).  Open it with `O_RDONLY |
 * O_DIRECTORY`: fuse-bpf mode hands it to the kernel as `root_dir=`, which
 * refuses an O_PATH fd (the mount fails with -EINVAL); the lower modes
 * take either.
 *
 * @param cfg configuration
 * @param dirfd an fd of a directory
 * @return 0, -EBADF or -ENOTDIR
 */
int fuse_bpf_config_set_root_backing(struct fuse_bpf_config *cfg, int dirfd);

/**
 * Timeouts the library uses in entries and attributes it produces itself.
 *
 * @param cfg configuration
 * @param entry_timeout seconds, >= 0
 * @param attr_timeout seconds, >= 0
 * @return 0 or -EINVAL
 */
int fuse_bpf_config_set_timeouts(struct fuse_bpf_config *cfg,
				 double entry_timeout, double attr_timeout);

/**
 * Whether fuse_bpf_session_new() raises the soft RLIMIT_NOFILE of the
 * process to its hard limit (the default) or leaves it alone.
 *
 * In the userspace and passthrough modes every node the library serves
 * holds an open fd of its backing object until the kernel forgets the
 * node, and each file or directory open through the mount holds one more,
 * so a large tree needs many fds; fuse-bpf mode keeps none.  The limit is
 * a process-wide setting that the daemon's other code and its children
 * inherit, which is why a daemon can opt out and set it itself (with
 * setrlimit(2)), as libfuse leaves it to its daemons.  A library that runs
 * out of fds answers the request with EMFILE; a READDIRPLUS lists the
 * names without attributes instead.
 *
 * @param cfg configuration
 * @param raise true to raise the limit, false to leave it alone
 * @return 0 or -EINVAL
 */
int fuse_bpf_config_set_raise_nofile(struct fuse_bpf_config *cfg, bool raise);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Sessions                                                          */
/* ------------------------------------------------------------------------ */
/** @{ */

/** A libfuse session wrapped by libfuse-bpf (opaque). */
struct fuse_bpf_session;

/**
 * Create a session.  Arguments are those of fuse_session_new(); @p op is
 * the daemon's unchanged operation table and @p userdata is what
 * fuse_req_userdata() returns in its handlers.
 *
 * Mount-type options in @p args (`-o fsname=,subtype=,ro,rw,[no]suid,
 * [no]dev,[no]exec,sync,dirsync,[no]atime,relatime,max_read=`)
 * are taken out before libfuse parses the rest and are applied by
 * fuse_bpf_session_mount(); `allow_other` and `default_permissions` are
 * always in force; `allow_root`, `auto_unmount` and `blksize=` (block
 * device mounts only) are refused.  `max_read=` takes a decimal number
 * (at most 4294967295), `fsname=` and `subtype=` a name that is not
 * empty and fits PATH_MAX.  As with fuse_session_new(), @p args stays the
 * caller's to free.
 *
 * Requests are read and replies written through
 * fuse_session_custom_io(); libfuse's `clone_fd` loop option is not
 * supported.
 *
 * Unless @p cfg opts out (fuse_bpf_config_set_raise_nofile()), the soft
 * RLIMIT_NOFILE of the process is raised to its hard limit here.
 *
 * @param args libfuse command-line arguments (e.g. "-o debug")
 * @param op the daemon's operations
 * @param op_size sizeof(*op)
 * @param userdata the daemon's private data
 * @param cfg configuration (copied), or NULL for defaults
 * @return the session, or NULL (details through fuse_log())
 */
struct fuse_bpf_session *
fuse_bpf_session_new(struct fuse_args *args,
		     const struct fuse_lowlevel_ops *op, size_t op_size,
		     void *userdata, const struct fuse_bpf_config *cfg);

/**
 * Mount the session.  The library opens /dev/fuse and calls mount(2)
 * itself, adding `default_permissions` and, in fuse-bpf mode with a root
 * backing, `root_dir=`.  In fuse-bpf mode with the fuse-bpf.ko module
 * (#FUSE_BPF_MODULE_FEATURE_FILE) it opens #FUSE_BPF_MODULE_DEVICE and
 * mounts file system type "fusebpf" ("fusebpf.NAME" with `-o
 * subtype=NAME`) instead; in mode auto, a process that cannot open that
 * device gets /dev/fuse and the best lower mode.
 *
 * Privilege: mount(2) itself needs CAP_SYS_ADMIN (in the initial user
 * namespace, or in the user namespace that owns the mount namespace, where
 * plain FUSE mounts work).  A root backing
 * (fuse_bpf_config_set_root_backing(), `root_dir=` in fuse-bpf mode) needs
 * CAP_SYS_ADMIN in the initial user namespace in every mode; without it
 * the mount fails up front with -EPERM and a message, before anything is
 * mounted.  A forced #FUSE_BPF_MODE_PASSTHROUGH needs the same.  Whether
 * the process had it when it opened /dev/fuse is recorded: in every mode,
 * as the fuse-bpf kernel does, backing is refused to a session whose
 * /dev/fuse was opened without it.  A session mounted with the privilege
 * may drop it afterwards; its BACKING replies are then refused (see
 * fuse_bpf_reply_entry()), and in passthrough mode the kernel refuses
 * FUSE_DEV_IOC_BACKING_OPEN, so the library serves the file data of
 * nodes backed earlier (such as the root) in userspace.
 *
 * A mountpoint that is the root backing or lies below it (compared by
 * (st_dev, st_ino) along its ancestors) is refused with -EINVAL and a
 * message, before anything is mounted: the mount would serve itself, and
 * the first lookup through it would hang.
 *
 * @param bs session
 * @param mountpoint the directory to mount on
 * @return 0, -EPERM (see above), -EOPNOTSUPP (mode fuse-bpf forced on a
 *         kernel without it), -EINVAL (a mountpoint inside the root
 *         backing) or another negative errno
 */
int fuse_bpf_session_mount(struct fuse_bpf_session *bs,
			   const char *mountpoint);

/**
 * The libfuse session, for fuse_session_loop(), fuse_session_loop_mt(),
 * fuse_set_signal_handlers() and the like.
 *
 * @param bs session
 * @return the libfuse session owned by @p bs
 */
struct fuse_session *fuse_bpf_session_fuse(struct fuse_bpf_session *bs);

/**
 * The mode in force.  Before INIT it is the mode expected from
 * fuse_bpf_probe_kernel() and the configuration.
 *
 * @param bs session
 * @return the mode (never #FUSE_BPF_MODE_AUTO after INIT)
 */
enum fuse_bpf_mode fuse_bpf_session_mode(const struct fuse_bpf_session *bs);

/**
 * The error that made INIT fail, such as a forced mode the kernel could
 * not give.
 *
 * @param bs session
 * @return 0, or the negative errno that failed INIT
 */
int fuse_bpf_session_error(const struct fuse_bpf_session *bs);

/**
 * Unmount (if mounted and the connection is still alive).  Use this
 * instead of fuse_session_unmount(), which does not know the mount.
 *
 * @param bs session
 */
void fuse_bpf_session_unmount(struct fuse_bpf_session *bs);

/** Destroy the session and everything it owns.  @param bs may be NULL */
void fuse_bpf_session_destroy(struct fuse_bpf_session *bs);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Replies                                                           */
/* ------------------------------------------------------------------------ */
/** @{ */

/** A block as a daemon gives it to fuse_bpf_reply_entry(). */
struct fuse_bpf_block {
	uint32_t type;		/**< enum fuse_bpf_type */
	int fd;			/**< backing or program fd; ignored by REMOVE types */
	uint32_t reserved;	/**< must be zero (-EINVAL otherwise) */
};

/**
 * Answer a LOOKUP request with an entry and 0 to #FUSE_BPF_MAX_ENTRIES
 * blocks.  The fds stay the caller's; close them after this returns.
 *
 * Ownership of @p req: on success (0) the request is answered and freed.
 * On any failure (a negative errno) the kernel did not take the reply and
 * the request is still the caller's, who must answer it, for example with
 * fuse_reply_err() or with a plain fuse_reply_entry().  This holds for
 * every error, the library's own refusals (bad block, bad fd, an fd whose
 * type does not match `e->attr.st_mode`, no privilege) as much as the
 * kernel's (it rejects the blocks, or the write of the reply fails because
 * the request was interrupted, -ENOENT, or the connection is gone,
 * -ENODEV): the library hands the reply to the kernel itself and frees
 * the request only once the kernel took it.  This differs from libfuse's
 * fuse_reply_entry(), which frees the request whether or not its send
 * fails; the reply the caller then makes fails the same way and frees
 * it.  A daemon that counts lookups keeps the count it took for the node
 * only when 0 is returned or its own reply is sent.
 *
 * Privilege: a #FUSE_ENTRY_BACKING block needs CAP_SYS_ADMIN in the
 * initial user namespace, in every mode (the rule upstream passthrough
 * applies to FUSE_DEV_IOC_BACKING_OPEN).  It is checked at each call, in
 * the effective set of the calling thread (a daemon may mount as root and
 * drop its capabilities afterwards), together with the user namespace the
 * process was in when the session was created and the privilege of
 * whoever opened /dev/fuse.  Without it the call returns -EPERM with a
 * message naming the missing capability, nothing is sent and the request
 * is still pending: the daemon can answer it itself, with
 * fuse_reply_entry() (and serve the node through its own handlers) or
 * fuse_reply_err().  In fuse-bpf mode the library checks before the
 * ioctl, and the kernel's own EPERM for the same rule comes back the same
 * way.  #FUSE_ENTRY_REMOVE_BACKING attaches nothing and needs no
 * privilege.
 *
 * Errors: -EINVAL for more than #FUSE_BPF_MAX_ENTRIES blocks, more than
 * one BACKING/REMOVE_BACKING block, an unknown type, the reserved BPF
 * types, a nonzero `reserved` field, a node id with bit 63 set (the
 * library's range) or a request that is not a LOOKUP of a libfuse-bpf
 * session; -EBADF for a backing fd that is not open; -ENOTDIR / -EISDIR
 * when a directory entry gets a non-directory backing or the reverse;
 * -EINVAL for another file type mismatch; -EPERM for a BACKING block
 * without the privilege (above); in fuse-bpf mode, the error of the
 * kernel's FUSE_DEV_IOC_BPF_RESPONSE; the error of writing the reply to
 * the device (a reply without blocks, and every reply in the lower modes).
 *
 * In the userspace and passthrough modes a BACKING block makes the
 * library serve the node from a duplicate of the fd, and the entry sent
 * carries the backing file's attributes (with the daemon's node id,
 * generation and timeouts).
 *
 * O_PATH fds: the lower modes and this project's fuse-bpf kernels accept
 * them as backing; the RFC's and Android's kernels refuse them.  A regular
 * file opened O_RDONLY and a directory opened `O_RDONLY | O_DIRECTORY`
 * work everywhere; symlinks and special files, which only O_PATH opens,
 * need a fallback: when this call fails, answer with fuse_reply_entry()
 * and serve the node in the daemon.
 *
 * Threads: any thread may call this while the LOOKUP is unanswered, as
 * with the fuse_reply_*() calls; the privilege checked is the calling
 * thread's.
 *
 * @param req a LOOKUP request
 * @param e the entry, as for fuse_reply_entry()
 * @param blocks the blocks, or NULL when @p nblocks is 0
 * @param nblocks number of blocks
 * @return 0 (the request is answered and freed) or a negative errno (the
 *         kernel took no reply, the request is still the caller's)
 */
int fuse_bpf_reply_entry(fuse_req_t req, const struct fuse_entry_param *e,
			 const struct fuse_bpf_block *blocks, size_t nblocks);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Statistics                                                        */
/* ------------------------------------------------------------------------ */
/** @{ */

/** Requests of one opcode that reached userspace. */
struct fuse_bpf_op_stats {
	uint64_t daemon;	/**< handed to the daemon */
	uint64_t library;	/**< served by the library */
};

/**
 * Counters for one opcode.
 *
 * @param bs session
 * @param opcode a FUSE opcode (enum fuse_opcode)
 * @param out where to store the counters
 * @return 0 or -EINVAL for an opcode out of range
 */
int fuse_bpf_session_op_stats(const struct fuse_bpf_session *bs,
			      uint32_t opcode, struct fuse_bpf_op_stats *out);

/**
 * Name of a FUSE opcode ("LOOKUP", "READ", ...).
 *
 * @param opcode a FUSE opcode
 * @return a static string, NULL if unknown
 */
const char *fuse_bpf_opcode_name(uint32_t opcode);

/**
 * Write the mode and all non-zero counters as JSON:
 * `{"mode": "...", "requests": {"LOOKUP": {"daemon": N, "library": N}}}`.
 *
 * @param bs session
 * @param f output stream
 * @return 0 or a negative errno
 */
int fuse_bpf_session_write_stats(const struct fuse_bpf_session *bs, FILE *f);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Mounts without a daemon                                           */
/* ------------------------------------------------------------------------ */
/** @{ */

/**
 * Mount @p backing_dir on @p mountpoint with `root_dir=<fd>,no_daemon`:
 * the kernel serves everything, no daemon runs.  Needs fuse-bpf, and
 * CAP_SYS_ADMIN in the initial user namespace (effective set of the
 * calling thread), which is checked first: without it the call fails with
 * -EPERM and a message, on any kernel, and nothing is mounted.
 *
 * @param backing_dir the directory to mirror
 * @param mountpoint where to mount
 * @param options extra mount options (comma separated) or NULL
 * @return 0, -EPERM without the privilege, -EOPNOTSUPP on a kernel
 *         without fuse-bpf, or a negative errno
 */
int fuse_bpf_mount_no_daemon(const char *backing_dir, const char *mountpoint,
			     const char *options);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* FUSE_BPF_H_ */
