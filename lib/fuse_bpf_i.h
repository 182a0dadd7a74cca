/* SPDX-License-Identifier: LGPL-2.1-only */
/*
 * libfuse-bpf internal interfaces.
 *
 * Which file owns what:
 *   session.c     the session, libfuse custom-io hooks, INIT handling,
 *                 mode selection, counters, the per-thread request record
 *                 (dispatch_i.h, shared with dispatch.c alone)
 *   dispatch.c    the wrapped fuse_lowlevel_ops: which requests the library
 *                 serves and which reach the daemon (FBPF_ROUTED_OPS)
 *   reply.c       block encoding, fuse_bpf_reply_entry(), the session's
 *                 table of pending replies, routing of replies through
 *                 FUSE_DEV_IOC_BPF_RESPONSE, passthrough OPEN/CREATE
 *                 reply patching
 *   probe.c       kernel feature probing
 *   mount.c       mount(2), no_daemon mounts, unmount
 *   config.c      struct fuse_bpf_config
 *   nodes.c       the backed-node table
 *   backing*.c    every operation on a backed node, served from its
 *                 backing fd (the userspace and passthrough modes), by
 *                 kind of object (backing_i.h); creds.c acting as the
 *                 caller
 */
#ifndef FUSE_BPF_I_H_
#define FUSE_BPF_I_H_

#include "fuse_bpf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/uio.h>

/* Opcodes the counters cover (enum fuse_opcode values below this). */
#define FBPF_OPCODE_MAX 64

/*
 * Node ids the library allocates for nodes it creates below backed
 * directories carry this bit.  Daemon node ids never may: a daemon reply
 * with such a node id is refused with EIO, so the two never collide.
 */
#define FBPF_LIB_NODEID (1ULL << 63)

struct fbpf_nodes;

struct fuse_bpf_config {
	enum fuse_bpf_mode mode;
	int root_fd;			/* -1: no root backing */
	double entry_timeout;
	double attr_timeout;
	bool raise_nofile;		/* raise RLIMIT_NOFILE at session_new */
};

struct fuse_bpf_session {
	struct fuse_session *se;
	struct fuse_lowlevel_ops dops;	/* daemon's ops, zero past op_size */
	void *duserdata;		/* daemon's userdata */
	struct fuse_bpf_config cfg;	/* owns cfg.root_fd */
	_Atomic int mode;		/* enum fuse_bpf_mode in force */
	_Atomic int error;		/* INIT failure, negative errno */
	int fd;				/* /dev/fuse or /dev/fuse-bpf */
	char *mountpoint;
	struct fbpf_nodes *nodes;
	_Atomic uint64_t total[FBPF_OPCODE_MAX];	/* reached userspace */
	_Atomic uint64_t library[FBPF_OPCODE_MAX];	/* served by library */
	void *priv;			/* reply.c/session.c private state */
};

/*
 * What the library's handling of one request needs to know of it beyond
 * libfuse's arguments.  dispatch.c fills it from what the read hook
 * recorded (dispatch_i.h) and passes it down explicitly.
 */
struct fbpf_req {
	fuse_req_t req;
	struct fuse_bpf_session *bs;
	uint64_t unique;
	/* The opcode read: FUSE_TMPFILE for a TMPFILE served as a CREATE. */
	uint32_t opcode;
	/*
	 * A WRITE, OPEN or CREATE asks that set-user-ID and set-group-ID be
	 * cleared as the caller's write would clear them (FUSE_HANDLE_KILLPRIV_V2).
	 */
	bool kill_suidgid;
};

/* session.c */
static inline enum fuse_bpf_mode fbpf_mode(struct fuse_bpf_session *bs)
{
	return (enum fuse_bpf_mode)atomic_load(&bs->mode);
}
/* Count a request of @opcode as served by the library. */
void fbpf_count_library(struct fuse_bpf_session *bs, uint32_t opcode);

/* reply.c: passthrough mode */
/* Register @fd with FUSE_DEV_IOC_BACKING_OPEN: backing id > 0 or -errno. */
int fbpf_passthrough_register(struct fuse_bpf_session *bs, int fd);
/* FUSE_DEV_IOC_BACKING_CLOSE. */
void fbpf_passthrough_unregister(struct fuse_bpf_session *bs, int id);
/*
 * Reply to the OPEN (or CREATE, or TMPFILE served as one) request @r with
 * FOPEN_PASSTHROUGH and @backing_id: the writev hook sets them in the
 * reply of @r's unique.
 */
int fbpf_reply_open_passthrough(const struct fbpf_req *r,
				const struct fuse_file_info *fi,
				int backing_id);
int fbpf_reply_create_passthrough(const struct fbpf_req *r,
				  const struct fuse_entry_param *e,
				  const struct fuse_file_info *fi,
				  int backing_id);

/* nodes.c */
struct fbpf_nodes *fbpf_nodes_new(void);
void fbpf_nodes_destroy(struct fbpf_nodes *nodes);
/* Back the root (node 1) by a dup of @fd. */
int fbpf_nodes_set_root(struct fuse_bpf_session *bs, int fd);
/*
 * The daemon answered a LOOKUP for its node @ino with a backing block: the
 * node is backed by a dup of @fd from now on (one more lookup reference).
 */
int fbpf_nodes_attach(struct fuse_bpf_session *bs, fuse_ino_t ino, int fd);
/* REMOVE_BACKING for the daemon's node @ino. */
void fbpf_nodes_detach(struct fuse_bpf_session *bs, fuse_ino_t ino);
/* True when requests on @ino are served by the library. */
bool fbpf_nodes_serves(struct fuse_bpf_session *bs, fuse_ino_t ino);
/*
 * FORGET bookkeeping for any node id the library knows; returns true when
 * the daemon must see the FORGET too (a node id the daemon handed out).
 */
bool fbpf_nodes_forget(struct fuse_bpf_session *bs, fuse_ino_t ino,
		       uint64_t nlookup);

#define FBPF_UNPAREN(...) __VA_ARGS__

/*
 * Every operation dispatch.c routes by the same rule, one row each:
 *
 *   X(op, who, watch, nosys, shared, params, args)
 *
 * op      the member of struct fuse_lowlevel_ops
 * who     whether the library serves the request: an expression of
 *         S(node) (the library serves that node) over the arguments
 * watch   for a request the daemon serves: the opcode whose reply must
 *         carry no node id of the library's range (0: no check)
 * nosys   the reply when the chosen table has no handler (what libfuse
 *         3.14 answers for a missing handler: ENOSYS, or 0 for releases)
 * shared  the reply instead for a daemon without the handler whose mount
 *         has library-served nodes, where the kernel would remember ENOSYS
 *         for the whole mount (dispatch.c, reply_missing())
 * params  the handler's parameters after the request
 * args    the same as arguments
 *
 * The operations with a rule of their own are written out in dispatch.c.
 */
#define FBPF_ROUTED_OPS(X)						\
	X(lookup, S(parent), FUSE_LOOKUP, ENOSYS, ENOSYS,		\
	  (fuse_ino_t parent, const char *name), (parent, name))	\
	X(getattr, S(ino), 0, ENOSYS, ENOSYS,				\
	  (fuse_ino_t ino, struct fuse_file_info *fi), (ino, fi))	\
	X(setattr, S(ino), 0, ENOSYS, ENOSYS,				\
	  (fuse_ino_t ino, struct stat *attr, int to_set,		\
	   struct fuse_file_info *fi), (ino, attr, to_set, fi))		\
	X(readlink, S(ino), 0, ENOSYS, ENOSYS, (fuse_ino_t ino), (ino))	\
	X(mknod, S(parent), FUSE_MKNOD, ENOSYS, ENOSYS,			\
	  (fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev), \
	  (parent, name, mode, rdev))					\
	X(mkdir, S(parent), FUSE_MKDIR, ENOSYS, ENOSYS,			\
	  (fuse_ino_t parent, const char *name, mode_t mode),		\
	  (parent, name, mode))						\
	X(unlink, S(parent), 0, ENOSYS, ENOSYS,				\
	  (fuse_ino_t parent, const char *name), (parent, name))	\
	X(rmdir, S(parent), 0, ENOSYS, ENOSYS,				\
	  (fuse_ino_t parent, const char *name), (parent, name))	\
	X(symlink, S(parent), FUSE_SYMLINK, ENOSYS, ENOSYS,		\
	  (const char *link, fuse_ino_t parent, const char *name),	\
	  (link, parent, name))						\
	X(rename, S(parent) || S(newparent), 0, ENOSYS, ENOSYS,		\
	  (fuse_ino_t parent, const char *name, fuse_ino_t newparent,	\
	   const char *newname, unsigned int flags),			\
	  (parent, name, newparent, newname, flags))			\
	X(link, S(ino) || S(newparent), FUSE_LINK, ENOSYS, ENOSYS,	\
	  (fuse_ino_t ino, fuse_ino_t newparent, const char *newname),	\
	  (ino, newparent, newname))					\
	X(read, S(ino), 0, ENOSYS, ENOSYS,				\
	  (fuse_ino_t ino, size_t size, off_t off,			\
	   struct fuse_file_info *fi), (ino, size, off, fi))		\
	X(write, S(ino), 0, ENOSYS, ENOSYS,				\
	  (fuse_ino_t ino, const char *buf, size_t size, off_t off,	\
	   struct fuse_file_info *fi), (ino, buf, size, off, fi))	\
	X(flush, S(ino), 0, ENOSYS, 0,					\
	  (fuse_ino_t ino, struct fuse_file_info *fi), (ino, fi))	\
	X(release, S(ino), 0, 0, 0,					\
	  (fuse_ino_t ino, struct fuse_file_info *fi), (ino, fi))	\
	X(fsync, S(ino), 0, ENOSYS, 0,					\
	  (fuse_ino_t ino, int datasync, struct fuse_file_info *fi),	\
	  (ino, datasync, fi))						\
	X(readdir, S(ino), 0, ENOSYS, ENOSYS,				\
	  (fuse_ino_t ino, size_t size, off_t off,			\
	   struct fuse_file_info *fi), (ino, size, off, fi))		\
	X(releasedir, S(ino), 0, 0, 0,					\
	  (fuse_ino_t ino, struct fuse_file_info *fi), (ino, fi))	\
	X(fsyncdir, S(ino), 0, ENOSYS, 0,				\
	  (fuse_ino_t ino, int datasync, struct fuse_file_info *fi),	\
	  (ino, datasync, fi))						\
	X(setxattr, S(ino), 0, ENOSYS, EOPNOTSUPP,			\
	  (fuse_ino_t ino, const char *name, const char *value,		\
	   size_t size, int flags), (ino, name, value, size, flags))	\
	X(getxattr, S(ino), 0, ENOSYS, EOPNOTSUPP,			\
	  (fuse_ino_t ino, const char *name, size_t size),		\
	  (ino, name, size))						\
	X(listxattr, S(ino), 0, ENOSYS, EOPNOTSUPP,			\
	  (fuse_ino_t ino, size_t size), (ino, size))			\
	X(removexattr, S(ino), 0, ENOSYS, EOPNOTSUPP,			\
	  (fuse_ino_t ino, const char *name), (ino, name))		\
	X(access, S(ino), 0, ENOSYS, 0, (fuse_ino_t ino, int mask),	\
	  (ino, mask))							\
	X(getlk, S(ino), 0, ENOSYS, ENOSYS,				\
	  (fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock), \
	  (ino, fi, lock))						\
	X(setlk, S(ino), 0, ENOSYS, ENOSYS,				\
	  (fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock, \
	   int sleep), (ino, fi, lock, sleep))				\
	X(bmap, S(ino), 0, ENOSYS, ENOSYS,				\
	  (fuse_ino_t ino, size_t blocksize, uint64_t idx),		\
	  (ino, blocksize, idx))					\
	X(ioctl, S(ino), 0, ENOSYS, ENOSYS,				\
	  (fuse_ino_t ino, int cmd, void *arg, struct fuse_file_info *fi, \
	   unsigned int flags, const void *in_buf, size_t in_bufsz,	\
	   size_t out_bufsz),						\
	  (ino, cmd, arg, fi, flags, in_buf, in_bufsz, out_bufsz))	\
	X(fallocate, S(ino), 0, ENOSYS, EOPNOTSUPP,			\
	  (fuse_ino_t ino, int mode, off_t offset, off_t length,	\
	   struct fuse_file_info *fi), (ino, mode, offset, length, fi))	\
	X(copy_file_range, S(ino_in), 0, ENOSYS, EOPNOTSUPP,		\
	  (fuse_ino_t ino_in, off_t off_in, struct fuse_file_info *fi_in, \
	   fuse_ino_t ino_out, off_t off_out, struct fuse_file_info *fi_out, \
	   size_t len, int flags),					\
	  (ino_in, off_in, fi_in, ino_out, off_out, fi_out, len, flags)) \
	X(lseek, S(ino), 0, ENOSYS, ENOSYS,				\
	  (fuse_ino_t ino, off_t off, int whence,			\
	   struct fuse_file_info *fi), (ino, off, whence, fi))

/*
 * The library's handlers of requests on served nodes (backing*.c): the
 * request's fbpf_req first, then libfuse's arguments.  A request reaches
 * one only when the library serves its node (for rename and link: either
 * node; the handler answers EXDEV when only one is).  NULL where the
 * library has none (the reply is then the table row's nosys).
 */
#define FBPF_BACKING_MEMBER(op, who, watch, nosys, shared, params, args) \
	void (*op)(const struct fbpf_req *r, FBPF_UNPAREN params);
struct fbpf_backing_ops {
	FBPF_ROUTED_OPS(FBPF_BACKING_MEMBER)
	void (*open)(const struct fbpf_req *r, fuse_ino_t ino,
		     struct fuse_file_info *fi);
	void (*opendir)(const struct fbpf_req *r, fuse_ino_t ino,
			struct fuse_file_info *fi);
	void (*statfs)(const struct fbpf_req *r, fuse_ino_t ino);
	void (*create)(const struct fbpf_req *r, fuse_ino_t parent,
		       const char *name, mode_t mode,
		       struct fuse_file_info *fi);
	void (*readdirplus)(const struct fbpf_req *r, fuse_ino_t ino,
			    size_t size, off_t off, struct fuse_file_info *fi);
	void (*write_buf)(const struct fbpf_req *r, fuse_ino_t ino,
			  struct fuse_bufvec *bufv, off_t off,
			  struct fuse_file_info *fi);
	void (*poll)(const struct fbpf_req *r, fuse_ino_t ino,
		     struct fuse_file_info *fi, struct fuse_pollhandle *ph);
	void (*flock)(const struct fbpf_req *r, fuse_ino_t ino,
		      struct fuse_file_info *fi, int op);
};
#undef FBPF_BACKING_MEMBER
extern const struct fbpf_backing_ops fbpf_backing_ops;

/* ---------------------------------------------------------------------- */
/* Session core internals (session.c, dispatch.c, reply.c, mount.c,       */
/* probe.c, config.c).                                                     */
/* ---------------------------------------------------------------------- */

/* config.c */
/* Defaults of fuse_bpf_config_new() in @cfg (no root backing). */
void fbpf_config_init(struct fuse_bpf_config *cfg);
/* Deep copy (dups the root fd): 0 or -errno. */
int fbpf_config_copy(struct fuse_bpf_config *dst,
		     const struct fuse_bpf_config *src);

/* probe.c */
/* Where the running kernel has fuse-bpf. */
enum fbpf_kernel_kind {
	FBPF_KERNEL_NONE = 0,
	/* fuse-bpf.ko beside the kernel's FUSE: FUSE_BPF_MODULE_FEATURE_FILE */
	FBPF_KERNEL_MODULE,
	/* FUSE itself built with the series: FUSE_BPF_FEATURE_FILE */
	FBPF_KERNEL_INTREE,
};
/*
 * Which of @module_file (first) and @intree_file reads "supported"; the
 * module wins when both do.
 */
enum fbpf_kernel_kind fbpf_probe_kernel_kind_at(const char *module_file,
						const char *intree_file);
/* fbpf_probe_kernel_kind_at() of the two sysfs feature files. */
enum fbpf_kernel_kind fbpf_probe_kernel_kind(void);
/* fuse-bpf in either form. */
bool fbpf_probe_fuse_bpf(void);
/*
 * The device to open and the file system type to mount (subtype aside)
 * for a session of @mode on a kernel of @kind: fuse-bpf mode on the
 * module uses /dev/fuse-bpf and "fusebpf", everything else /dev/fuse and
 * "fuse" (an in-tree build serves every mode through them).
 */
void fbpf_mount_target(enum fuse_bpf_mode mode, enum fbpf_kernel_kind kind,
		       const char **dev, const char **fstype);
/*
 * The privilege that attaching backing needs (a BACKING block in a reply,
 * a backed root, a no_daemon mount), in every mode: CAP_SYS_ADMIN in the
 * initial user namespace, as upstream FUSE passthrough requires for
 * FUSE_DEV_IOC_BACKING_OPEN and the fuse-bpf kernel for its ioctl reply.
 */
/* Inode of the initial user namespace (PROC_USER_INIT_INO). */
#define FBPF_PROC_USER_INIT_INO 0xEFFFFFFDUL
/* CAP_SYS_ADMIN in the calling thread's effective set: 1, 0 or -errno. */
int fbpf_cap_sys_admin_effective(void);
/* /proc/PID/uid_map text of the initial user namespace, "0 0 4294967295". */
bool fbpf_uid_map_is_init(const char *text);
/*
 * Whether the process is in the initial user namespace: 1, 0, or -errno
 * when neither @ns_path (the inode of /proc/self/ns/user) nor, failing
 * that, @uid_map_path (/proc/self/uid_map) can be read.
 */
int fbpf_probe_init_userns_at(const char *ns_path, const char *uid_map_path);
int fbpf_probe_init_userns(void);
/*
 * The rule itself, from @init_userns (as fbpf_probe_init_userns()), @cap
 * (as fbpf_cap_sys_admin_effective()) and @dev_ok (whoever opened
 * /dev/fuse had the privilege then).  0 when backing may be attached,
 * else -EPERM and, if @why, a static text saying what is missing.  Logs
 * nothing: callers name what was refused.
 */
int fbpf_backing_privilege(int init_userns, int cap, bool dev_ok,
			   const char **why);
/*
 * CAP_SYS_ADMIN in the initial user namespace (effective set of the
 * calling thread); what passthrough mode needs.
 */
bool fbpf_probe_cap_sys_admin(void);

/*
 * session.c: the mode INIT settles on.  @requested is the configured
 * mode, @kernel_ok whether fuse-bpf is available, @pt_ok whether
 * passthrough was offered and may be used.  Returns 0 and the mode,
 * -EOPNOTSUPP when the forced mode (fuse-bpf or passthrough) is
 * unavailable, or -EINVAL for an unknown mode.
 */
int fbpf_choose_mode(enum fuse_bpf_mode requested, bool kernel_ok,
		     bool pt_ok, enum fuse_bpf_mode *out);
/* The custom-io hooks handed to fuse_session_custom_io(). */
extern const struct fuse_custom_io fbpf_custom_io;
/*
 * Make @bs findable by its device fd (bs->fd) from the custom-io hooks,
 * which libfuse tells nothing else that identifies a session, and by its
 * pending LOOKUPs from fuse_bpf_reply_entry().
 */
int fbpf_registry_add(struct fuse_bpf_session *bs);
void fbpf_registry_remove(struct fuse_bpf_session *bs);
/*
 * The session that has @req pending as a LOOKUP, and its unique: first the
 * session this thread dispatches for, then every registered one.
 */
struct fuse_bpf_session *fbpf_session_of_lookup(fuse_req_t req,
						uint64_t *unique);

/* mount.c: mount-type options taken out of the libfuse arguments. */
struct fbpf_mount_opts {
	char *fsname;		/* mount source, NULL: "fuse-bpf" */
	char *subtype;		/* file system type "fuse[bpf].<subtype>" */
	unsigned long flags;	/* MS_* flags */
	char *kernel_opts;	/* "max_read=N" for the kernel, or NULL */
};
/*
 * Remove every mount-type "-o" option from @args and store it in @mo;
 * what libfuse parses itself stays.  0 or -errno.
 */
int fbpf_mount_opts_split(struct fuse_args *args, struct fbpf_mount_opts *mo);
void fbpf_mount_opts_free(struct fbpf_mount_opts *mo);
/*
 * The data string for mount(2): fd=, rootmode=, user_id=, group_id=,
 * default_permissions, allow_other, @mo's options and, when @root_dir_fd
 * >= 0, root_dir=.  A malloc()ed string or NULL.
 */
char *fbpf_mount_data(const struct fbpf_mount_opts *mo, int devfd,
		      int root_dir_fd);
/*
 * The file system type for mount(2): @fstype ("fuse" or "fusebpf", see
 * fbpf_mount_target()), "@fstype.subtype" with @mo's subtype.  A
 * malloc()ed string or NULL.
 */
char *fbpf_mount_type(const struct fbpf_mount_opts *mo, const char *fstype);

/*
 * reply.c: the requests of one session whose replies the writev hook
 * inspects, by unique (the hook) and, for LOOKUPs, by fuse_req_t
 * (fuse_bpf_reply_entry()).
 */
#define FBPF_PENDING_BUCKETS 256
struct fbpf_pending;
struct fbpf_pending_table {
	pthread_mutex_t lock;
	struct fbpf_pending *by_unique[FBPF_PENDING_BUCKETS];
	struct fbpf_pending *by_req[FBPF_PENDING_BUCKETS];
};

/* Private session state (bs->priv). */
struct fbpf_core {
	struct fbpf_mount_opts mo;
	bool mounted;
	/* fbpf_probe_init_userns() when the session was created. */
	int init_userns;
	/* The process had the backing privilege when it opened /dev/fuse. */
	bool dev_privileged;
	/*
	 * The session was mounted for fuse-bpf mode, on a device that serves
	 * it (/dev/fuse-bpf of fuse-bpf.ko, or /dev/fuse of an in-tree build):
	 * INIT may settle on fuse-bpf mode.
	 */
	bool conn_fuse_bpf;
	_Atomic uint64_t init_unique;	/* 0: no INIT reply expected */
	/* The INIT reply negotiates FUSE_PASSTHROUGH. */
	bool init_passthrough;
	/* The INIT reply negotiates FUSE_HANDLE_KILLPRIV_V2. */
	bool init_killpriv_v2;
	_Atomic unsigned int pending;	/* entries in the reply table */
	struct fbpf_pending_table replies;	/* reply.c */
	/* session.c: the list of sessions the custom-io hooks search. */
	struct fuse_bpf_session *registry_next;
	bool registered;
	/* backing_file.c: threads waiting for a flock() on a backed file. */
	_Atomic unsigned int lock_waiters;
	_Atomic bool stopping;		/* destroy waits for lock_waiters */
};
static inline struct fbpf_core *fbpf_core_of(struct fuse_bpf_session *bs)
{
	return (struct fbpf_core *)bs->priv;
}

/*
 * The backing privilege of the calling thread for @bs, checked now (see
 * fbpf_backing_privilege()).  0, or -EPERM with *@why set.
 */
int fbpf_session_may_back(struct fuse_bpf_session *bs, const char **why);

/* Undo one fbpf_count_library(). */
void fbpf_uncount_library(struct fuse_bpf_session *bs, uint32_t opcode);

/* dispatch.c: the wrapped operations libfuse calls for @bs. */
void fbpf_dispatch_build(const struct fuse_bpf_session *bs,
			 struct fuse_lowlevel_ops *out);

/* reply.c: the entries of the session's table of pending replies. */
enum fbpf_pending_kind {
	FBPF_PEND_LOOKUP = 1u << 0,	/* req findable by fuse_bpf_reply_entry */
	FBPF_PEND_CHECK_ENTRY = 1u << 1, /* refuse library node ids */
	FBPF_PEND_PASSTHROUGH = 1u << 2, /* set FOPEN_PASSTHROUGH + id */
};
int fbpf_pending_add(struct fuse_bpf_session *bs, uint64_t unique,
		     fuse_req_t req, uint32_t opcode, unsigned int kind,
		     int backing_id);
/* An empty table for @bs (fbpf_core_of(@bs) allocated): 0 or -errno. */
int fbpf_pending_init(struct fuse_bpf_session *bs);
/* Drop every entry of @bs and the table (session teardown). */
void fbpf_pending_fini(struct fuse_bpf_session *bs);
/* The unique of @req when it is a LOOKUP pending in @bs. */
bool fbpf_pending_find_lookup(struct fuse_bpf_session *bs, fuse_req_t req,
			      uint64_t *unique);
/*
 * writev hook: inspect and, if needed, patch the reply in @iov.  Returns
 * 0 to send it as it is (maybe patched in place), or a negative errno to
 * send instead of it.
 */
int fbpf_reply_filter(struct fuse_bpf_session *bs, struct iovec *iov,
		      int count);
/*
 * Check blocks for fuse_bpf_reply_entry(): count, types, reserved field,
 * fds and their file type against @mode.  0 or -errno (with a message).
 */
int fbpf_validate_blocks(const struct fuse_bpf_block *blocks, size_t n,
			 mode_t mode);
/*
 * Encode a LOOKUP reply with @nblocks blocks exactly as it goes on the
 * wire: fuse_out_header, @eo (a struct fuse_entry_out) and the blocks.
 * The reply length, or -EINVAL (bad block list) or -ENOSPC.
 */
ssize_t fbpf_encode_lookup_reply(void *buf, size_t size, uint64_t unique,
				 const void *eo,
				 const struct fuse_bpf_block *blocks,
				 size_t nblocks);
/*
 * FUSE_DEV_IOC_BPF_RESPONSE(@len), computed at run time; 0 when @len (1
 * to 16383) does not fit the ioctl's size field.
 */
unsigned long fbpf_ioc_response_cmd(size_t len);

#endif /* FUSE_BPF_I_H_ */
