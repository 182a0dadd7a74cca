// SPDX-License-Identifier: LGPL-2.1-only
/*
 * libfuse-bpf: operations on backed nodes, served from their backing fds.
 *
 * This is what the kernel series does for a backed node, done in userspace
 * for the "userspace" and "passthrough" modes.  Each node holds an O_PATH
 * fd of its lower object; names are resolved relative to the parent's fd,
 * and operations that need a real open file reopen the node through
 * /proc/self/fd/N (the magic link yields the object itself, symlinks
 * included, and the open is permission checked like any other).
 *
 * Operations that create, remove, rename, link, open or change a lower
 * object run with the caller's fsuid, fsgid and supplementary groups, so
 * the lower filesystem checks permissions and assigns ownership exactly as
 * for the caller; lookups and reads of attributes run as the daemon (the
 * kernel has already checked them with default_permissions).  setfsuid,
 * setfsgid and the raw setgroups system call act on the calling thread
 * only, which keeps the multi-threaded loop safe.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#include "nodes_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fuse.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/fsuid.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

/* Flags of an OPEN or CREATE request that must not reach the lower open. */
#define FBPF_OPEN_DROP (O_CREAT | O_EXCL | O_NOCTTY | O_DIRECT | O_NOFOLLOW)

/* Enough for "/proc/self/fd/" and any int. */
#define FBPF_PROC_PATH_MAX 32

/* Groups kept on the stack before falling back to the heap. */
#define FBPF_GROUPS_STACK 32

static void proc_path(char *buf, int fd)
{
	snprintf(buf, FBPF_PROC_PATH_MAX, "/proc/self/fd/%d", fd);
}

/* ---------------------------------------------------------------------- */
/* Credentials of the caller                                              */
/* ---------------------------------------------------------------------- */

struct fbpf_creds {
	bool switched;			/* fsuid, fsgid and groups changed */
	bool umask_set;
	mode_t old_umask;
	int ngroups;			/* the thread's own groups */
	gid_t *groups;
	gid_t groups_stack[FBPF_GROUPS_STACK];
};

/* Set when this thread has its own fs_struct, hence its own umask. */
static _Thread_local bool fbpf_own_fs;

static int set_groups(size_t n, const gid_t *list)
{
	/* The raw system call: glibc's setgroups() changes every thread. */
	if (syscall(SYS_setgroups, n, list))
		return -errno;
	return 0;
}

/* The caller's supplementary groups; *list is malloc()ed when not @buf. */
static int caller_groups(fuse_req_t req, gid_t *buf, int size, gid_t **list)
{
	int n = fuse_req_getgroups(req, size, buf);

	*list = buf;
	if (n < 0)
		return 0;	/* unknown: no supplementary groups */
	if (n > size) {
		gid_t *big = calloc((size_t)n, sizeof(*big));

		if (!big)
			return -ENOMEM;
		n = fuse_req_getgroups(req, n, big);
		if (n < 0) {
			free(big);
			return 0;
		}
		*list = big;
	}
	return n;
}

static void creds_restore(struct fbpf_creds *c)
{
	if (c->umask_set)
		umask(c->old_umask);
	if (c->switched) {
		setfsuid(0);
		setfsgid(0);
		if (setfsuid((uid_t)-1) != 0 || setfsgid((gid_t)-1) != 0)
			fuse_log(FUSE_LOG_ERR,
				 "fuse-bpf: cannot restore the daemon's fsuid/fsgid\n");
		if (set_groups((size_t)c->ngroups, c->groups))
			fuse_log(FUSE_LOG_ERR,
				 "fuse-bpf: cannot restore the daemon's groups\n");
	}
	if (c->groups != c->groups_stack)
		free(c->groups);
}

/*
 * Act as the caller of @req until creds_restore().  With @umask_too the
 * caller's umask applies to objects created meanwhile (the thread gets
 * its own umask once, by unsharing its fs_struct).
 */
static int creds_enter(fuse_req_t req, struct fbpf_creds *c, bool umask_too)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	gid_t gbuf[FBPF_GROUPS_STACK], *glist;
	int n, err;

	memset(c, 0, sizeof(*c));
	c->groups = c->groups_stack;
	if (umask_too) {
		if (!fbpf_own_fs && unshare(CLONE_FS) == 0)
			fbpf_own_fs = true;
		if (fbpf_own_fs) {
			c->old_umask = umask(ctx->umask);
			c->umask_set = true;
		}
	}
	/* A daemon that is not root acts as itself, as plain FUSE does. */
	if (geteuid() != 0 || (ctx->uid == 0 && ctx->gid == 0))
		return 0;

	n = getgroups(0, NULL);
	if (n > FBPF_GROUPS_STACK) {
		c->groups = calloc((size_t)n, sizeof(gid_t));
		if (!c->groups) {
			c->groups = c->groups_stack;
			creds_restore(c);
			return -ENOMEM;
		}
	}
	c->ngroups = n > 0 ? getgroups(n, c->groups) : 0;
	if (c->ngroups < 0) {
		err = -errno;
		c->ngroups = 0;
		creds_restore(c);
		return err;
	}

	n = caller_groups(req, gbuf, FBPF_GROUPS_STACK, &glist);
	if (n < 0) {
		creds_restore(c);
		return n;
	}
	err = set_groups((size_t)n, glist);
	if (glist != gbuf)
		free(glist);
	c->switched = true;
	if (!err) {
		setfsgid(ctx->gid);
		setfsuid(ctx->uid);
		if ((gid_t)setfsgid((gid_t)-1) != ctx->gid ||
		    (uid_t)setfsuid((uid_t)-1) != ctx->uid)
			err = -EPERM;
	}
	if (err) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: cannot act as uid %u gid %u: %s\n",
			 (unsigned int)ctx->uid, (unsigned int)ctx->gid,
			 strerror(-err));
		creds_restore(c);
		return err;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Helpers                                                                */
/* ---------------------------------------------------------------------- */

static struct fuse_bpf_session *session(fuse_req_t req)
{
	return fbpf_session_of(req);
}

/* The served node @ino, or NULL after replying ESTALE. */
static struct fbpf_node *node_or_reply(fuse_req_t req, fuse_ino_t ino)
{
	struct fbpf_node *n = fbpf_node_get(session(req), ino);

	if (!n)
		fuse_reply_err(req, ESTALE);
	return n;
}

static int stat_fd(int fd, struct stat *st)
{
	if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -errno;
	return 0;
}

/*
 * Turn @fd (an O_PATH fd, owned) into an entry with one lookup reference
 * on its node.
 */
static int entry_from_fd(struct fuse_bpf_session *bs, int fd,
			 struct fuse_entry_param *e)
{
	int err;

	memset(e, 0, sizeof(*e));
	err = stat_fd(fd, &e->attr);
	if (err) {
		close(fd);
		return err;
	}
	err = fbpf_nodes_add(bs, fd, &e->attr, &e->ino);
	if (err)
		return err;
	e->attr_timeout = bs->cfg.attr_timeout;
	e->entry_timeout = bs->cfg.entry_timeout;
	return 0;
}

/* Look @name up in the directory @dirfd. */
static int lookup_at(struct fuse_bpf_session *bs, int dirfd, const char *name,
		     struct fuse_entry_param *e)
{
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return entry_from_fd(bs, fd, e);
}

static void reply_entry(fuse_req_t req, struct fuse_bpf_session *bs,
			const struct fuse_entry_param *e)
{
	/* The kernel did not take the reference if the reply failed. */
	if (fuse_reply_entry(req, e))
		fbpf_nodes_forget(bs, e->ino, 1);
}

static void reply_attr_of(fuse_req_t req, struct fuse_bpf_session *bs,
			  int fd)
{
	struct stat st;
	int err = stat_fd(fd, &st);

	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_attr(req, &st, bs->cfg.attr_timeout);
}

static bool is_dot_or_dotdot(const char *name)
{
	return name[0] == '.' &&
	       (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* ---------------------------------------------------------------------- */
/* Names                                                                  */
/* ---------------------------------------------------------------------- */

static void bop_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_node *p = node_or_reply(req, parent);
	struct fuse_entry_param e;
	int err;

	if (!p)
		return;
	/* Never climb out of the backed tree through its root. */
	if (parent == FUSE_ROOT_ID && strcmp(name, "..") == 0)
		name = ".";
	err = lookup_at(bs, p->fd, name, &e);
	fbpf_node_put(bs, p);
	if (err)
		fuse_reply_err(req, -err);
	else
		reply_entry(req, bs, &e);
}

enum make_kind { MAKE_NOD, MAKE_DIR, MAKE_SYMLINK };

static void make_node(fuse_req_t req, fuse_ino_t parent, const char *name,
		      enum make_kind kind, mode_t mode, dev_t rdev,
		      const char *target)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_node *p = node_or_reply(req, parent);
	struct fuse_entry_param e;
	struct fbpf_creds c;
	int err;

	if (!p)
		return;
	err = creds_enter(req, &c, true);
	if (!err) {
		int ret;

		if (kind == MAKE_DIR)
			ret = mkdirat(p->fd, name, mode);
		else if (kind == MAKE_SYMLINK)
			ret = symlinkat(target, p->fd, name);
		else
			ret = mknodat(p->fd, name, mode, rdev);
		err = ret ? -errno : 0;
		creds_restore(&c);
	}
	if (!err)
		err = lookup_at(bs, p->fd, name, &e);
	fbpf_node_put(bs, p);
	if (err)
		fuse_reply_err(req, -err);
	else
		reply_entry(req, bs, &e);
}

static void bop_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, dev_t rdev)
{
	make_node(req, parent, name, MAKE_NOD, mode, rdev, NULL);
}

static void bop_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode)
{
	make_node(req, parent, name, MAKE_DIR, mode, 0, NULL);
}

static void bop_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
			const char *name)
{
	make_node(req, parent, name, MAKE_SYMLINK, 0, 0, link);
}

static void remove_name(fuse_req_t req, fuse_ino_t parent, const char *name,
			int flags)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_node *p = node_or_reply(req, parent);
	struct fbpf_creds c;
	int err;

	if (!p)
		return;
	err = creds_enter(req, &c, false);
	if (!err) {
		err = unlinkat(p->fd, name, flags) ? -errno : 0;
		creds_restore(&c);
	}
	fbpf_node_put(bs, p);
	fuse_reply_err(req, -err);
}

static void bop_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, 0);
}

static void bop_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, AT_REMOVEDIR);
}

static void bop_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		       fuse_ino_t newparent, const char *newname,
		       unsigned int flags)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_node *p = fbpf_node_get(bs, parent);
	struct fbpf_node *np = fbpf_node_get(bs, newparent);
	struct fbpf_creds c;
	int err = -EXDEV;

	if (p && np) {
		err = creds_enter(req, &c, false);
		if (!err) {
			if (renameat2(p->fd, name, np->fd, newname, flags))
				err = -errno;
			creds_restore(&c);
		}
	}
	fbpf_node_put(bs, p);
	fbpf_node_put(bs, np);
	fuse_reply_err(req, -err);
}

static void bop_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		     const char *newname)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_node *n = fbpf_node_get(bs, ino);
	struct fbpf_node *np = fbpf_node_get(bs, newparent);
	char path[FBPF_PROC_PATH_MAX];
	struct fuse_entry_param e;
	struct fbpf_creds c;
	int err = -EXDEV;

	if (n && np) {
		err = creds_enter(req, &c, false);
		if (!err) {
			/* Through the magic link: needs no CAP_DAC_READ_SEARCH. */
			proc_path(path, n->fd);
			if (linkat(AT_FDCWD, path, np->fd, newname,
				   AT_SYMLINK_FOLLOW))
				err = -errno;
			creds_restore(&c);
		}
		if (!err)
			err = lookup_at(bs, np->fd, newname, &e);
	}
	fbpf_node_put(bs, n);
	fbpf_node_put(bs, np);
	if (err)
		fuse_reply_err(req, -err);
	else
		reply_entry(req, bs, &e);
}

/* ---------------------------------------------------------------------- */
/* Attributes                                                             */
/* ---------------------------------------------------------------------- */

static void bop_getattr(fuse_req_t req, fuse_ino_t ino,
			struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_node *n = node_or_reply(req, ino);

	if (!n)
		return;
	reply_attr_of(req, bs, n->fd);
	fbpf_node_put(bs, n);
}

static int do_setattr(struct fbpf_node *n, const struct stat *attr,
		      int to_set, struct fuse_file_info *fi)
{
	char path[FBPF_PROC_PATH_MAX];
	/* An open regular file's fd; directory handles are not fds. */
	int ffd = fi && S_ISREG(n->type) ? (int)fi->fh : -1;

	proc_path(path, n->fd);
	if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		uid_t uid = to_set & FUSE_SET_ATTR_UID ? attr->st_uid :
			    (uid_t)-1;
		gid_t gid = to_set & FUSE_SET_ATTR_GID ? attr->st_gid :
			    (gid_t)-1;

		if (fchownat(n->fd, "", uid, gid,
			     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
			return -errno;
	}
	if (to_set & FUSE_SET_ATTR_MODE) {
		if (ffd >= 0 ? fchmod(ffd, attr->st_mode) :
			       chmod(path, attr->st_mode))
			return -errno;
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		if (ffd >= 0 ? ftruncate(ffd, attr->st_size) :
			       truncate(path, attr->st_size))
			return -errno;
	}
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
		struct timespec ts[2] = {
			{ .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_OMIT },
		};

		if (to_set & FUSE_SET_ATTR_ATIME_NOW)
			ts[0].tv_nsec = UTIME_NOW;
		else if (to_set & FUSE_SET_ATTR_ATIME)
			ts[0] = attr->st_atim;
		if (to_set & FUSE_SET_ATTR_MTIME_NOW)
			ts[1].tv_nsec = UTIME_NOW;
		else if (to_set & FUSE_SET_ATTR_MTIME)
			ts[1] = attr->st_mtim;
		if (utimensat(n->fd, "", ts,
			      AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
			return -errno;
	}
	/*
	 * A change of ctime alone (the kernel's own time update), or no
	 * change at all: the lower filesystem sets ctime to now on any
	 * change, a no-op chown is one.
	 *
	 * With FUSE_HANDLE_KILLPRIV_V2 a SETATTR without valid bits is
	 * either chown(path, -1, -1) or what is left of the kernel's own
	 * clearing of set-user-ID and set-group-ID before a write by someone
	 * else than the owner (file_remove_privs()); the two look the same.
	 * The lower filesystem refuses the chown to a non-owner of a set-ID
	 * file; that refusal must not fail the write, whose WRITE request
	 * clears the bits as the writer (bop_write_buf()), so it is dropped.
	 */
	if (!(to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID |
			FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_SIZE |
			FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME))) {
		if (fchownat(n->fd, "", (uid_t)-1, (gid_t)-1,
			     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) &&
		    errno != EPERM)
			return -errno;
	}
	return 0;
}

static void bop_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
			int to_set, struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_node *n = node_or_reply(req, ino);
	struct fbpf_creds c;
	int err;

	if (!n)
		return;
	err = creds_enter(req, &c, false);
	if (!err) {
		err = do_setattr(n, attr, to_set, fi);
		creds_restore(&c);
	}
	if (err)
		fuse_reply_err(req, -err);
	else
		reply_attr_of(req, bs, n->fd);
	fbpf_node_put(bs, n);
}

static void bop_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_node *n = node_or_reply(req, ino);
	struct fbpf_creds c;
	int err;

	if (!n)
		return;
	err = creds_enter(req, &c, false);
	if (!err) {
		if (faccessat(n->fd, "", mask, AT_EMPTY_PATH | AT_EACCESS))
			err = -errno;
		creds_restore(&c);
	}
	fbpf_node_put(bs, n);
	fuse_reply_err(req, -err);
}

static void bop_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_node *n = node_or_reply(req, ino);
	char buf[PATH_MAX + 1];
	ssize_t len;

	if (!n)
		return;
	len = readlinkat(n->fd, "", buf, sizeof(buf));
	if (len < 0) {
		fuse_reply_err(req, errno);
	} else if ((size_t)len >= sizeof(buf)) {
		fuse_reply_err(req, ENAMETOOLONG);
	} else {
		buf[len] = '\0';
		fuse_reply_readlink(req, buf);
	}
	fbpf_node_put(bs, n);
}

static void bop_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_node *n = node_or_reply(req, ino);
	struct statvfs sv;

	if (!n)
		return;
	if (fstatvfs(n->fd, &sv))
		fuse_reply_err(req, errno);
	else
		fuse_reply_statfs(req, &sv);
	fbpf_node_put(bs, n);
}

/* ---------------------------------------------------------------------- */
/* Extended attributes (O_PATH fds have no f*xattr: use the magic link)   */
/* ---------------------------------------------------------------------- */

static void bop_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			 const char *value, size_t size, int flags)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_node *n = node_or_reply(req, ino);
	char path[FBPF_PROC_PATH_MAX];
	struct fbpf_creds c;
	int err;

	if (!n)
		return;
	proc_path(path, n->fd);
	err = creds_enter(req, &c, false);
	if (!err) {
		if (setxattr(path, name, value, size, flags))
			err = -errno;
		creds_restore(&c);
	}
	fbpf_node_put(bs, n);
	fuse_reply_err(req, -err);
}

static void bop_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_node *n = node_or_reply(req, ino);
	char path[FBPF_PROC_PATH_MAX];
	struct fbpf_creds c;
	int err;

	if (!n)
		return;
	proc_path(path, n->fd);
	err = creds_enter(req, &c, false);
	if (!err) {
		if (removexattr(path, name))
			err = -errno;
		creds_restore(&c);
	}
	fbpf_node_put(bs, n);
	fuse_reply_err(req, -err);
}

/* getxattr (@name set) or listxattr, with the size-0 probe. */
static void get_or_list_xattr(fuse_req_t req, fuse_ino_t ino,
			      const char *name, size_t size)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_node *n = node_or_reply(req, ino);
	char path[FBPF_PROC_PATH_MAX];
	char *buf = NULL;
	ssize_t len;

	if (!n)
		return;
	proc_path(path, n->fd);
	if (size) {
		buf = malloc(size);
		if (!buf) {
			fuse_reply_err(req, ENOMEM);
			fbpf_node_put(bs, n);
			return;
		}
	}
	len = name ? getxattr(path, name, buf, size) :
		     listxattr(path, buf, size);
	if (len < 0)
		fuse_reply_err(req, errno);
	else if (size)
		fuse_reply_buf(req, buf, (size_t)len);
	else
		fuse_reply_xattr(req, (size_t)len);
	free(buf);
	fbpf_node_put(bs, n);
}

static void bop_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			 size_t size)
{
	get_or_list_xattr(req, ino, name, size);
}

static void bop_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	get_or_list_xattr(req, ino, NULL, size);
}

/* ---------------------------------------------------------------------- */
/* Files                                                                  */
/* ---------------------------------------------------------------------- */

/* The current request is a CREATE or a TMPFILE served as one. */
static bool creating(void)
{
	return fbpf_cur.opcode == FUSE_CREATE ||
	       fbpf_cur.opcode == FUSE_TMPFILE;
}

/*
 * Answer an OPEN or CREATE whose lower file is @fd: a passthrough open when
 * the node has a backing id, an ordinary one otherwise.  On failure the
 * open is undone (the kernel sends no RELEASE for it).
 */
static void reply_opened(fuse_req_t req, struct fuse_bpf_session *bs,
			 struct fbpf_node *n, int fd, struct fuse_file_info *fi,
			 const struct fuse_entry_param *e)
{
	int id, ret;

	fi->fh = (uint64_t)fd;
	fi->keep_cache = 0;
	fi->direct_io = 0;
	id = fbpf_node_open_begin(bs, n, fd);
	/*
	 * A passthrough reply is patched on its way out, which works only
	 * from the thread dispatching this very request.
	 */
	if (id > 0 && (fbpf_cur.bs != bs ||
		       (e ? !creating() : fbpf_cur.opcode != FUSE_OPEN))) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: passthrough open outside its request\n");
		close(fd);
		fbpf_node_open_end(bs, n);
		if (e)
			fbpf_nodes_forget(bs, e->ino, 1);
		fuse_reply_err(req, EIO);
		return;
	}
	if (e && id > 0)
		ret = fbpf_reply_create_passthrough(req, e, fi, id);
	else if (e)
		ret = fuse_reply_create(req, e, fi);
	else if (id > 0)
		ret = fbpf_reply_open_passthrough(req, fi, id);
	else
		ret = fuse_reply_open(req, fi);
	if (ret) {
		close(fd);
		fbpf_node_open_end(bs, n);
		if (e)
			fbpf_nodes_forget(bs, e->ino, 1);
	}
}

static void bop_open(fuse_req_t req, fuse_ino_t ino,
		     struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_node *n = node_or_reply(req, ino);
	char path[FBPF_PROC_PATH_MAX];
	struct fbpf_creds c;
	int fd = -1, err;

	if (!n)
		return;
	proc_path(path, n->fd);
	err = creds_enter(req, &c, false);
	if (!err) {
		fd = open(path, (fi->flags & ~FBPF_OPEN_DROP) | O_CLOEXEC);
		if (fd < 0)
			err = -errno;
		creds_restore(&c);
	}
	if (err)
		fuse_reply_err(req, -err);
	else
		reply_opened(req, bs, n, fd, fi, NULL);
	fbpf_node_put(bs, n);
}

static void bop_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		       mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_node *p = node_or_reply(req, parent), *n = NULL;
	char path[FBPF_PROC_PATH_MAX];
	struct fuse_entry_param e;
	struct fbpf_creds c;
	int fd = -1, pfd, err, flags;

	if (!p)
		return;
	flags = fi->flags & ~(O_NOCTTY | O_DIRECT);
	/*
	 * A TMPFILE comes as a CREATE (see session.c): the file is an
	 * unnamed one in the parent, linkable unless O_EXCL.
	 */
	if (fbpf_cur.opcode == FUSE_TMPFILE) {
		flags = (flags & ~(O_CREAT | O_TMPFILE)) | O_TMPFILE;
		name = ".";
	} else {
		flags |= O_CREAT;
	}
	err = creds_enter(req, &c, true);
	if (!err) {
		fd = openat(p->fd, name, flags | O_CLOEXEC, mode);
		if (fd < 0)
			err = -errno;
		creds_restore(&c);
	}
	fbpf_node_put(bs, p);
	if (!err) {
		/* The node is the object opened, whatever the name is now. */
		proc_path(path, fd);
		pfd = open(path, O_PATH | O_CLOEXEC);
		err = pfd < 0 ? -errno : entry_from_fd(bs, pfd, &e);
	}
	if (!err) {
		n = fbpf_node_get(bs, e.ino);
		if (!n) {
			fbpf_nodes_forget(bs, e.ino, 1);
			err = -ESTALE;
		}
	}
	if (err) {
		if (fd >= 0)
			close(fd);
		fuse_reply_err(req, -err);
		return;
	}
	reply_opened(req, bs, n, fd, fi, &e);
	fbpf_node_put(bs, n);
}

static void bop_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = (int)fi->fh;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

/*
 * The WRITE asks for set-user-ID and set-group-ID to be cleared (the
 * writer lacks CAP_FSETID) and the file has one of them: writing as the
 * caller lets the lower filesystem clear them by its own rules.
 */
static bool write_as_caller(int fd)
{
	struct stat st;

	return fbpf_cur.kill_suidgid && fbpf_cur.opcode == FUSE_WRITE &&
	       fstat(fd, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID));
}

static void bop_write_buf(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_bufvec *in, off_t off,
			  struct fuse_file_info *fi)
{
	struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in));
	struct fbpf_creds c;
	bool as_caller;
	ssize_t res;

	out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	out.buf[0].fd = (int)fi->fh;
	out.buf[0].pos = off;
	as_caller = write_as_caller((int)fi->fh);
	if (as_caller) {
		res = creds_enter(req, &c, false);
		if (res < 0) {
			fuse_reply_err(req, (int)-res);
			return;
		}
	}
	res = fuse_buf_copy(&out, in, 0);
	if (as_caller)
		creds_restore(&c);
	if (res < 0)
		fuse_reply_err(req, (int)-res);
	else
		fuse_reply_write(req, (size_t)res);
}

static void bop_write(fuse_req_t req, fuse_ino_t ino, const char *data,
		      size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fuse_bufvec in = FUSE_BUFVEC_INIT(size);

	in.buf[0].mem = (void *)data;
	bop_write_buf(req, ino, &in, off, fi);
}

static void bop_flush(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi)
{
	/* Closing a duplicate gives the lower close(2) semantics. */
	int fd = dup((int)fi->fh);

	if (fd < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_err(req, close(fd) ? errno : 0);
}

static void bop_release(fuse_req_t req, fuse_ino_t ino,
			struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_node *n = fbpf_node_get(bs, ino);

	close((int)fi->fh);
	if (n) {
		fbpf_node_open_end(bs, n);
		fbpf_node_put(bs, n);
	}
	fuse_reply_err(req, 0);
}

static void bop_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		      struct fuse_file_info *fi)
{
	int fd = (int)fi->fh;

	fuse_reply_err(req, (datasync ? fdatasync(fd) : fsync(fd)) ? errno : 0);
}

static void bop_fallocate(fuse_req_t req, fuse_ino_t ino, int mode,
			  off_t offset, off_t length,
			  struct fuse_file_info *fi)
{
	if (fallocate((int)fi->fh, mode, offset, length))
		fuse_reply_err(req, errno);
	else
		fuse_reply_err(req, 0);
}

static void bop_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		      struct fuse_file_info *fi)
{
	off_t res = lseek((int)fi->fh, off, whence);

	if (res < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_lseek(req, res);
}

static void bop_copy_file_range(fuse_req_t req, fuse_ino_t ino_in,
				off_t off_in, struct fuse_file_info *fi_in,
				fuse_ino_t ino_out, off_t off_out,
				struct fuse_file_info *fi_out, size_t len,
				int flags)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_node *in = fbpf_node_get(bs, ino_in);
	struct fbpf_node *out = fbpf_node_get(bs, ino_out);
	ssize_t res;

	if (!in || !out) {
		fuse_reply_err(req, EXDEV);
	} else {
		res = copy_file_range((int)fi_in->fh, &off_in,
				      (int)fi_out->fh, &off_out, len,
				      (unsigned int)flags);
		if (res < 0)
			fuse_reply_err(req, errno);
		else
			fuse_reply_write(req, (size_t)res);
	}
	fbpf_node_put(bs, in);
	fbpf_node_put(bs, out);
}

/* ---------------------------------------------------------------------- */
/* Directories                                                            */
/* ---------------------------------------------------------------------- */

static struct fbpf_dir *dir_of(const struct fuse_file_info *fi)
{
	return (struct fbpf_dir *)(uintptr_t)fi->fh;
}

static void bop_opendir(fuse_req_t req, fuse_ino_t ino,
			struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_node *n = node_or_reply(req, ino);
	char path[FBPF_PROC_PATH_MAX];
	struct fbpf_dir *d;
	struct fbpf_creds c;
	int fd = -1, err;

	if (!n)
		return;
	/*
	 * Through the magic link, not openat(fd, "."): opening a directory
	 * needs read permission on it, not search permission.
	 */
	proc_path(path, n->fd);
	d = calloc(1, sizeof(*d));
	err = d ? creds_enter(req, &c, false) : -ENOMEM;
	if (!err) {
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			err = -errno;
		creds_restore(&c);
	}
	if (!err) {
		d->dp = fdopendir(fd);
		if (!d->dp) {
			err = -errno;
			close(fd);
		}
	}
	if (err) {
		free(d);
		fuse_reply_err(req, -err);
		fbpf_node_put(bs, n);
		return;
	}
	fi->fh = (uintptr_t)d;
	fi->keep_cache = 0;
	fi->cache_readdir = 0;
	fbpf_node_open_begin(bs, n, fd);
	fbpf_nodes_dir_track(bs, d);
	if (fuse_reply_open(req, fi)) {
		fbpf_nodes_dir_untrack(bs, d);
		closedir(d->dp);
		free(d);
		fbpf_node_open_end(bs, n);
	}
	fbpf_node_put(bs, n);
}

/* Entries a readdirplus reply of @size bytes can hold at most. */
static size_t plus_capacity(fuse_req_t req, size_t size)
{
	return size / fuse_add_direntry_plus(req, NULL, 0, "", NULL, 0) + 1;
}

static void do_readdir(fuse_req_t req, size_t size, off_t off,
		       struct fuse_file_info *fi, bool plus)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_dir *d = dir_of(fi);
	fuse_ino_t *ids = NULL;
	size_t nids = 0, used = 0, i;
	char *buf;
	int err = 0;

	buf = malloc(size ? size : 1);
	if (plus && buf)
		ids = calloc(plus_capacity(req, size), sizeof(*ids));
	if (!buf || (plus && !ids)) {
		free(buf);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (off != d->offset) {
		seekdir(d->dp, off);
		d->entry = NULL;
		d->offset = off;
	}
	for (;;) {
		struct fuse_entry_param e;
		const char *name;
		size_t len;
		off_t next;

		if (!d->entry) {
			errno = 0;
			d->entry = readdir(d->dp);
			if (!d->entry) {
				err = -errno;
				break;
			}
		}
		name = d->entry->d_name;
		next = d->entry->d_off;
		memset(&e, 0, sizeof(e));
		e.attr.st_ino = d->entry->d_ino;
		e.attr.st_mode = (mode_t)DTTOIF(d->entry->d_type);
		if (!plus) {
			len = fuse_add_direntry(req, buf + used, size - used,
						name, &e.attr, next);
		} else if (is_dot_or_dotdot(name)) {
			/* No node id: the kernel takes no reference. */
			len = fuse_add_direntry_plus(req, buf + used,
						     size - used, name, &e,
						     next);
		} else {
			len = fuse_add_direntry_plus(req, NULL, 0, name,
						     NULL, 0);
			if (len > size - used)
				break;
			err = lookup_at(bs, dirfd(d->dp), name, &e);
			if (err == -ENOENT) {
				/* Gone since it was read: skip it. */
				d->entry = NULL;
				d->offset = next;
				err = 0;
				continue;
			}
			if (err) {
				/*
				 * No node (out of fds, say): list the name
				 * without attributes, a LOOKUP follows.
				 */
				memset(&e, 0, sizeof(e));
				e.attr.st_ino = d->entry->d_ino;
				e.attr.st_mode =
					(mode_t)DTTOIF(d->entry->d_type);
				err = 0;
			} else {
				ids[nids++] = e.ino;
			}
			len = fuse_add_direntry_plus(req, buf + used,
						     size - used, name, &e,
						     next);
		}
		if (len > size - used)
			break;
		used += len;
		d->entry = NULL;
		d->offset = next;
	}
	if (err && used == 0) {
		fuse_reply_err(req, -err);
	} else if (fuse_reply_buf(req, buf, used)) {
		/* The kernel never saw these entries. */
		for (i = 0; i < nids; i++)
			fbpf_nodes_forget(bs, ids[i], 1);
	}
	free(ids);
	free(buf);
}

static void bop_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
			off_t off, struct fuse_file_info *fi)
{
	do_readdir(req, size, off, fi, false);
}

static void bop_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			    off_t off, struct fuse_file_info *fi)
{
	do_readdir(req, size, off, fi, true);
}

static void bop_releasedir(fuse_req_t req, fuse_ino_t ino,
			   struct fuse_file_info *fi)
{
	struct fuse_bpf_session *bs = session(req);
	struct fbpf_node *n = fbpf_node_get(bs, ino);
	struct fbpf_dir *d = dir_of(fi);

	fbpf_nodes_dir_untrack(bs, d);
	closedir(d->dp);
	free(d);
	if (n) {
		fbpf_node_open_end(bs, n);
		fbpf_node_put(bs, n);
	}
	fuse_reply_err(req, 0);
}

static void bop_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
			 struct fuse_file_info *fi)
{
	int fd = dirfd(dir_of(fi)->dp);

	fuse_reply_err(req, (datasync ? fdatasync(fd) : fsync(fd)) ? errno : 0);
}

/* ---------------------------------------------------------------------- */
/* flock                                                                  */
/* ---------------------------------------------------------------------- */

/*
 * Each FUSE open file has its own open backing file (fi->fh), so flock(2)
 * on it has flock's per-open-file semantics and conflicts with every
 * other user of the lower file.
 */

/* How often a waiting flock tries again. */
#define FBPF_FLOCK_POLL_NS 5000000L

struct flock_wait {
	fuse_req_t req;
	struct fbpf_core *core;
	int fd;
	int op;
};

/*
 * A flock that has to wait does so in a thread of its own, so that the
 * session loop (single-threaded, perhaps) goes on serving the requests that
 * may release the lock.  It tries without blocking until it gets the lock,
 * the caller is interrupted (INTERRUPT) or the session goes away; the
 * kernel keeps the file open until the request is answered.
 */
static void *flock_waiter(void *arg)
{
	struct flock_wait *w = arg;
	struct timespec ts = { .tv_sec = 0, .tv_nsec = FBPF_FLOCK_POLL_NS };
	int err;

	for (;;) {
		err = flock(w->fd, w->op | LOCK_NB) ? errno : 0;
		if (err != EWOULDBLOCK)
			break;
		if (fuse_req_interrupted(w->req) ||
		    atomic_load(&w->core->stopping)) {
			err = EINTR;
			break;
		}
		nanosleep(&ts, NULL);
	}
	fuse_reply_err(w->req, err);
	atomic_fetch_sub(&w->core->lock_waiters, 1);
	free(w);
	return NULL;
}

static int flock_wait_start(fuse_req_t req, int fd, int op)
{
	struct fuse_bpf_session *bs = session(req);
	struct flock_wait *w = malloc(sizeof(*w));
	pthread_attr_t attr;
	pthread_t th;
	int err;

	if (!w)
		return -ENOMEM;
	w->req = req;
	w->core = fbpf_core_of(bs);
	w->fd = fd;
	w->op = op;
	err = pthread_attr_init(&attr);
	if (!err) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		atomic_fetch_add(&w->core->lock_waiters, 1);
		err = pthread_create(&th, &attr, flock_waiter, w);
		if (err)
			atomic_fetch_sub(&w->core->lock_waiters, 1);
		pthread_attr_destroy(&attr);
	}
	if (err) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: no thread to wait for a flock: %s\n",
			 strerror(err));
		free(w);
		return -ENOLCK;
	}
	return 0;
}

static void bop_flock(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi, int op)
{
	int fd = (int)fi->fh, err;

	err = flock(fd, op | LOCK_NB) ? errno : 0;
	if (err == EWOULDBLOCK && !(op & LOCK_NB)) {
		err = -flock_wait_start(req, fd, op & ~LOCK_NB);
		if (!err)
			return;
	}
	fuse_reply_err(req, err);
}

const struct fuse_lowlevel_ops fbpf_backing_ops = {
	.lookup = bop_lookup,
	.getattr = bop_getattr,
	.setattr = bop_setattr,
	.readlink = bop_readlink,
	.mknod = bop_mknod,
	.mkdir = bop_mkdir,
	.unlink = bop_unlink,
	.rmdir = bop_rmdir,
	.symlink = bop_symlink,
	.rename = bop_rename,
	.link = bop_link,
	.open = bop_open,
	.read = bop_read,
	.write = bop_write,
	.flush = bop_flush,
	.release = bop_release,
	.fsync = bop_fsync,
	.opendir = bop_opendir,
	.readdir = bop_readdir,
	.releasedir = bop_releasedir,
	.fsyncdir = bop_fsyncdir,
	.statfs = bop_statfs,
	.setxattr = bop_setxattr,
	.getxattr = bop_getxattr,
	.listxattr = bop_listxattr,
	.removexattr = bop_removexattr,
	.access = bop_access,
	.create = bop_create,
	.write_buf = bop_write_buf,
	.fallocate = bop_fallocate,
	.readdirplus = bop_readdirplus,
	.copy_file_range = bop_copy_file_range,
	.lseek = bop_lseek,
	.flock = bop_flock,
};
