// SPDX-License-Identifier: GPL-2.0-only
/*
 * fallback_bpf: a passthrough daemon that backs what it can and serves the
 * rest itself.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */

/**
 * @file fallback_bpf.c
 *
 * A complete passthrough filesystem with its own node table, written the
 * way a daemon that wants fuse-bpf but must not depend on it is written.
 *
 * Every LOOKUP first tries to attach the node to its backing object with
 * fuse_bpf_reply_entry().  When that works, the node (and everything below
 * it, for a directory) is served by the kernel or by libfuse-bpf and the
 * daemon only ever sees its FORGET.  When it fails, fuse_bpf_reply_entry()
 * returns a negative errno and the LOOKUP is still pending, so the daemon
 * answers it with a plain fuse_reply_entry() and serves that node through
 * its own handlers below.  Nodes made by CREATE, MKDIR, MKNOD, SYMLINK and
 * LINK are always the daemon's, as those replies carry no backing.
 *
 * Symlinks and special files can only be had as O_PATH fds; on a kernel
 * that refuses those as backing (the RFC's fget() does) they take the
 * fallback path.
 *
 * `--refuse=GLOB[,GLOB...]` makes the attach fail for matching names (the
 * library is handed an invalid fd, as a buggy daemon would), to show and
 * test the fallback path.
 *
 * Compile with:
 *
 *     gcc -Wall fallback_bpf.c $(pkg-config fuse-bpf --cflags --libs) -o fallback_bpf
 *
 * Run it as:
 *
 *     fallback_bpf [options] SOURCE MOUNTPOINT [--refuse='*.log']
 *
 * Options, besides libfuse's (`-f`, `-d`, `-s`, `-o opt,...`, `-h`, `-V`):
 * `--refuse=GLOB[,GLOB...]`, `--mode=auto|fuse-bpf|passthrough|userspace`,
 * `--stats=FILE` (request counters as JSON at unmount) and
 * `--timeout=SECONDS` (entry and attribute timeout, default 1).
 *
 * \include fallback_bpf.c
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define FUSE_USE_VERSION 312
#include <fuse_bpf.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define NODE_BUCKETS 1024

/* A node this daemon handed out; its address is its node id. */
struct node {
	struct node *next;	/* hash chain */
	dev_t dev;
	ino_t ino;
	uint64_t nlookup;
	int fd;			/* O_PATH fd */
};

struct fallback {
	char **refuse;		/* NULL-terminated globs */
	double timeout;
	pthread_mutex_t lock;
	struct node root;
	struct node *buckets[NODE_BUCKETS];
};

struct dir_handle {
	DIR *dp;
	off_t offset;		/* offset of the entry after @entry */
	struct dirent *entry;	/* read but not yet sent */
};

static struct fallback *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static struct node *node_of(fuse_req_t req, fuse_ino_t ino)
{
	if (ino == FUSE_ROOT_ID)
		return &fs_of(req)->root;
	return (struct node *)(uintptr_t)ino;
}

static int fd_of(fuse_req_t req, fuse_ino_t ino)
{
	return node_of(req, ino)->fd;
}

static size_t bucket_of(dev_t dev, ino_t ino)
{
	return (size_t)((ino * 0x9e3779b97f4a7c15ULL) ^ dev) % NODE_BUCKETS;
}

/* Take a lookup reference on the node of @st; @fd becomes its or is closed. */
static struct node *node_ref(struct fallback *fs, const struct stat *st,
			     int fd)
{
	size_t b = bucket_of(st->st_dev, st->st_ino);
	struct node *n;

	pthread_mutex_lock(&fs->lock);
	for (n = fs->buckets[b]; n; n = n->next)
		if (n->dev == st->st_dev && n->ino == st->st_ino)
			break;
	if (n) {
		n->nlookup++;
		close(fd);
	} else {
		n = calloc(1, sizeof(*n));
		if (n) {
			n->dev = st->st_dev;
			n->ino = st->st_ino;
			n->nlookup = 1;
			n->fd = fd;
			n->next = fs->buckets[b];
			fs->buckets[b] = n;
		} else {
			close(fd);
		}
	}
	pthread_mutex_unlock(&fs->lock);
	return n;
}

static void node_unref(struct fallback *fs, struct node *n, uint64_t nlookup)
{
	struct node **p;

	if (n == &fs->root)
		return;
	pthread_mutex_lock(&fs->lock);
	n->nlookup -= nlookup < n->nlookup ? nlookup : n->nlookup;
	if (n->nlookup == 0) {
		p = &fs->buckets[bucket_of(n->dev, n->ino)];
		while (*p != n)
			p = &(*p)->next;
		*p = n->next;
		close(n->fd);
		free(n);
	}
	pthread_mutex_unlock(&fs->lock);
}

static bool is_refused(const struct fallback *fs, const char *name)
{
	char **g;

	for (g = fs->refuse; *g; g++)
		if (fnmatch(*g, name, 0) == 0)
			return true;
	return false;
}

/* /proc/self/fd path of an O_PATH fd, to reopen or change it. */
static void proc_path(char buf[64], int fd)
{
	snprintf(buf, 64, "/proc/self/fd/%d", fd);
}

/*
 * Fill @e for @name in @parent and take a lookup reference on its node:
 * 0 or a negative errno.
 */
static int make_entry(fuse_req_t req, fuse_ino_t parent, const char *name,
		      struct fuse_entry_param *e, struct node **out)
{
	struct fallback *fs = fs_of(req);
	int fd, err;

	memset(e, 0, sizeof(*e));
	fd = openat(fd_of(req, parent), name, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstatat(fd, "", &e->attr, AT_EMPTY_PATH) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	*out = node_ref(fs, &e->attr, fd);
	if (!*out)
		return -ENOMEM;
	e->ino = (fuse_ino_t)(uintptr_t)*out;
	e->attr_timeout = fs->timeout;
	e->entry_timeout = fs->timeout;
	return 0;
}

/*
 * An fd to attach as the backing of the object @pathfd (O_PATH) refers to:
 * regular files and directories are opened for reading, which every kernel
 * takes; symlinks and special files can only be dup()ed as O_PATH fds.
 */
static int backing_fd(int pathfd, mode_t mode)
{
	char path[64];
	int fd;

	if (S_ISREG(mode) || S_ISDIR(mode)) {
		proc_path(path, pathfd);
		fd = open(path, O_RDONLY | (S_ISDIR(mode) ? O_DIRECTORY : 0));
		if (fd >= 0)
			return fd;
	}
	return dup(pathfd);
}

static void fb_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fallback *fs = fs_of(req);
	struct fuse_entry_param e;
	struct fuse_bpf_block block = { .type = FUSE_ENTRY_BACKING };
	struct node *n;
	int err;

	err = make_entry(req, parent, name, &e, &n);
	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	block.fd = is_refused(fs, name) ? -1 :
		   backing_fd(n->fd, e.attr.st_mode);
	err = fuse_bpf_reply_entry(req, &e, &block, 1);
	if (block.fd >= 0)
		close(block.fd);
	if (err == 0)
		return;
	fuse_log(FUSE_LOG_DEBUG, "fallback_bpf: %s not backed (%s), served by the daemon\n",
		 name, strerror(-err));
	if (fuse_reply_entry(req, &e) != 0)
		node_unref(fs, n, 1);
}

/* New files belong to the caller, as on a local filesystem. */
static void give_to_caller(fuse_req_t req, int dirfd, const char *name)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	if (geteuid() == 0 &&
	    fchownat(dirfd, name, ctx->uid, ctx->gid,
		     name[0] ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH) < 0)
		fuse_log(FUSE_LOG_WARNING, "fallback_bpf: chown %s: %s\n",
			 name, strerror(errno));
}

/* Reply to a request that made @name in @parent (@fresh: a new inode). */
static void reply_made(fuse_req_t req, fuse_ino_t parent, const char *name,
		       bool fresh)
{
	struct fuse_entry_param e;
	struct node *n;
	int err;

	if (fresh)
		give_to_caller(req, fd_of(req, parent), name);
	err = make_entry(req, parent, name, &e, &n);
	if (err)
		fuse_reply_err(req, -err);
	else if (fuse_reply_entry(req, &e) != 0)
		node_unref(fs_of(req), n, 1);
}

static void fb_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	node_unref(fs_of(req), node_of(req, ino), nlookup);
	fuse_reply_none(req);
}

static void fb_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	size_t i;

	for (i = 0; i < count; i++)
		node_unref(fs_of(req), node_of(req, forgets[i].ino),
			   forgets[i].nlookup);
	fuse_reply_none(req);
}

static void fb_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct stat st;

	if (fstatat(fd_of(req, ino), "", &st, AT_EMPTY_PATH) < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_attr(req, &st, fs_of(req)->timeout);
}

static void fb_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int valid, struct fuse_file_info *fi)
{
	struct timespec tv[2] = { { .tv_nsec = UTIME_OMIT },
				  { .tv_nsec = UTIME_OMIT } };
	int fd = fd_of(req, ino);
	char path[64];
	int ret = 0;

	proc_path(path, fd);
	if (valid & FUSE_SET_ATTR_MODE)
		ret = chmod(path, attr->st_mode);
	if (!ret && (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)))
		ret = fchownat(fd, "",
			       valid & FUSE_SET_ATTR_UID ? attr->st_uid :
							   (uid_t)-1,
			       valid & FUSE_SET_ATTR_GID ? attr->st_gid :
							   (gid_t)-1,
			       AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
	if (!ret && (valid & FUSE_SET_ATTR_SIZE))
		ret = fi ? ftruncate(fi->fh, attr->st_size) :
			   truncate(path, attr->st_size);
	if (valid & FUSE_SET_ATTR_ATIME)
		tv[0] = attr->st_atim;
	if (valid & FUSE_SET_ATTR_ATIME_NOW)
		tv[0].tv_nsec = UTIME_NOW;
	if (valid & FUSE_SET_ATTR_MTIME)
		tv[1] = attr->st_mtim;
	if (valid & FUSE_SET_ATTR_MTIME_NOW)
		tv[1].tv_nsec = UTIME_NOW;
	if (!ret && (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
			      FUSE_SET_ATTR_ATIME_NOW |
			      FUSE_SET_ATTR_MTIME_NOW)))
		ret = utimensat(AT_FDCWD, path, tv, 0);
	if (ret < 0)
		fuse_reply_err(req, errno);
	else
		fb_getattr(req, ino, fi);
}

static void fb_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char buf[PATH_MAX + 1];
	ssize_t len = readlinkat(fd_of(req, ino), "", buf, sizeof(buf));

	if (len < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	if (len == sizeof(buf)) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	buf[len] = '\0';
	fuse_reply_readlink(req, buf);
}

static void fb_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	if (mknodat(fd_of(req, parent), name, mode, rdev) < 0)
		fuse_reply_err(req, errno);
	else
		reply_made(req, parent, name, true);
}

static void fb_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	if (mkdirat(fd_of(req, parent), name, mode) < 0)
		fuse_reply_err(req, errno);
	else
		reply_made(req, parent, name, true);
}

static void fb_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	if (symlinkat(link, fd_of(req, parent), name) < 0)
		fuse_reply_err(req, errno);
	else
		reply_made(req, parent, name, true);
}

static void fb_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	if (linkat(fd_of(req, ino), "", fd_of(req, newparent), newname,
		   AT_EMPTY_PATH) < 0)
		fuse_reply_err(req, errno);
	else
		reply_made(req, newparent, newname, false);
}

static void fb_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, unlinkat(fd_of(req, parent), name, 0) < 0 ?
		       errno : 0);
}

static void fb_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, unlinkat(fd_of(req, parent), name,
				     AT_REMOVEDIR) < 0 ? errno : 0);
}

static void fb_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	fuse_reply_err(req, renameat2(fd_of(req, parent), name,
				      fd_of(req, newparent), newname,
				      flags) < 0 ? errno : 0);
}

static void fb_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	char path[64];
	int fd;

	proc_path(path, fd_of(req, ino));
	fd = open(path, fi->flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW));
	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	fi->fh = fd;
	if (fuse_reply_open(req, fi) != 0)
		close(fd);
}

static void fb_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	struct node *n;
	int fd, err;

	/* Only a file made here changes owner, not one that raced in. */
	fd = openat(fd_of(req, parent), name,
		    (fi->flags | O_CREAT | O_EXCL) & ~O_NOFOLLOW, mode);
	if (fd >= 0)
		give_to_caller(req, fd, "");
	else if (errno == EEXIST && !(fi->flags & O_EXCL))
		fd = openat(fd_of(req, parent), name,
			    fi->flags & ~(O_CREAT | O_NOFOLLOW));
	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	err = make_entry(req, parent, name, &e, &n);
	if (err) {
		close(fd);
		fuse_reply_err(req, -err);
		return;
	}
	fi->fh = fd;
	if (fuse_reply_create(req, &e, fi) != 0) {
		close(fd);
		node_unref(fs_of(req), n, 1);
	}
}

static void fb_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = fi->fh;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

static void fb_write(fuse_req_t req, fuse_ino_t ino, const char *data,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	ssize_t ret = pwrite(fi->fh, data, size, off);

	if (ret < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_write(req, ret);
}

static void fb_flush(fuse_req_t req, fuse_ino_t ino,
		     struct fuse_file_info *fi)
{
	int fd = dup(fi->fh);

	fuse_reply_err(req, fd < 0 || close(fd) < 0 ? errno : 0);
}

static void fb_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	close(fi->fh);
	fuse_reply_err(req, 0);
}

static void fb_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	int ret = datasync ? fdatasync(fi->fh) : fsync(fi->fh);

	fuse_reply_err(req, ret < 0 ? errno : 0);
}

static void fb_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct dir_handle *d = calloc(1, sizeof(*d));
	int fd, err;

	if (!d) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fd = openat(fd_of(req, ino), ".", O_RDONLY | O_DIRECTORY);
	d->dp = fd < 0 ? NULL : fdopendir(fd);
	if (!d->dp) {
		err = errno;
		if (fd >= 0)
			close(fd);
		free(d);
		fuse_reply_err(req, err);
		return;
	}
	fi->fh = (uintptr_t)d;
	if (fuse_reply_open(req, fi) != 0) {
		closedir(d->dp);
		free(d);
	}
}

/*
 * Plain READDIR only: READDIRPLUS would hand out nodes without a LOOKUP,
 * and LOOKUP is where backing gets attached.
 */
static void fb_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
		       off_t offset, struct fuse_file_info *fi)
{
	struct dir_handle *d = (struct dir_handle *)(uintptr_t)fi->fh;
	struct stat st = { 0 };
	size_t used = 0, len;
	char *buf;
	int err = 0;

	buf = malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (offset != d->offset) {
		seekdir(d->dp, offset);
		d->entry = NULL;
		d->offset = offset;
	}
	for (;;) {
		if (!d->entry) {
			errno = 0;
			d->entry = readdir(d->dp);
			if (!d->entry) {
				err = errno;
				break;
			}
		}
		st.st_ino = d->entry->d_ino;
		st.st_mode = DTTOIF(d->entry->d_type);
		len = fuse_add_direntry(req, buf + used, size - used,
					d->entry->d_name, &st, d->entry->d_off);
		if (len > size - used)
			break;
		used += len;
		d->offset = d->entry->d_off;
		d->entry = NULL;
	}
	if (err && used == 0)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, buf, used);
	free(buf);
}

static void fb_releasedir(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	struct dir_handle *d = (struct dir_handle *)(uintptr_t)fi->fh;

	closedir(d->dp);
	free(d);
	fuse_reply_err(req, 0);
}

static void fb_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
			struct fuse_file_info *fi)
{
	struct dir_handle *d = (struct dir_handle *)(uintptr_t)fi->fh;
	int fd = dirfd(d->dp);
	int ret = datasync ? fdatasync(fd) : fsync(fd);

	fuse_reply_err(req, ret < 0 ? errno : 0);
}

static void fb_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;

	if (fstatvfs(fd_of(req, ino), &sv) < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_statfs(req, &sv);
}

static const struct fuse_lowlevel_ops fallback_ops = {
	.lookup = fb_lookup,
	.forget = fb_forget,
	.forget_multi = fb_forget_multi,
	.getattr = fb_getattr,
	.setattr = fb_setattr,
	.readlink = fb_readlink,
	.mknod = fb_mknod,
	.mkdir = fb_mkdir,
	.symlink = fb_symlink,
	.link = fb_link,
	.unlink = fb_unlink,
	.rmdir = fb_rmdir,
	.rename = fb_rename,
	.open = fb_open,
	.create = fb_create,
	.read = fb_read,
	.write = fb_write,
	.flush = fb_flush,
	.release = fb_release,
	.fsync = fb_fsync,
	.opendir = fb_opendir,
	.readdir = fb_readdir,
	.releasedir = fb_releasedir,
	.fsyncdir = fb_fsyncdir,
	.statfs = fb_statfs,
};

struct options {
	char *source;
	char *mode;
	char *stats;
	char *refuse;
	double timeout;
};

static const struct fuse_opt option_spec[] = {
	{ "--mode=%s", offsetof(struct options, mode), 0 },
	{ "--stats=%s", offsetof(struct options, stats), 0 },
	{ "--refuse=%s", offsetof(struct options, refuse), 0 },
	{ "--timeout=%lf", offsetof(struct options, timeout), 0 },
	FUSE_OPT_END
};

/* The first non-option argument is SOURCE; the next is for libfuse. */
static int option_proc(void *data, const char *arg, int key,
		       struct fuse_args *outargs)
{
	struct options *o = data;

	if (key == FUSE_OPT_KEY_NONOPT && !o->source) {
		o->source = strdup(arg);
		return o->source ? 0 : -1;
	}
	return 1;
}

static void usage(const char *prog)
{
	printf("usage: %s [options] SOURCE MOUNTPOINT\n\n"
	       "    --refuse=GLOBS         serve names matching the globs in the daemon\n"
	       "    --mode=MODE            auto, fuse-bpf, passthrough or userspace\n"
	       "    --stats=FILE           write request counters to FILE at unmount\n"
	       "    --timeout=SECONDS      entry and attribute timeout (default 1)\n"
	       "    -h   --help            print help\n"
	       "    -V   --version         print version\n"
	       "    -d   -o debug          enable debug output (implies -f)\n"
	       "    -f                     foreground operation\n"
	       "    -s                     single-threaded loop (default: multi-threaded)\n"
	       "    -o max_idle_threads=N  the maximum number of idle worker threads\n"
	       "                           allowed (default: -1)\n"
	       "    -o max_threads=N       the maximum number of worker threads\n"
	       "                           allowed (default: 10)\n"
	       "    -o OPT[,OPT...]        mount options such as fsname=, subtype= or ro;\n"
	       "                           the mount always has allow_other and\n"
	       "                           default_permissions; allow_root,\n"
	       "                           auto_unmount and clone_fd are refused\n",
	       prog);
}

static char **split_globs(char *list)
{
	size_t n = 2;
	char **v, *p;

	for (p = list; *p; p++)
		n += *p == ',';
	v = calloc(n, sizeof(*v));
	if (!v)
		return NULL;
	n = 0;
	for (p = strtok(list, ","); p; p = strtok(NULL, ","))
		v[n++] = p;
	return v;
}

static void free_nodes(struct fallback *fs)
{
	struct node *n;
	size_t b;

	for (b = 0; b < NODE_BUCKETS; b++) {
		while ((n = fs->buckets[b])) {
			fs->buckets[b] = n->next;
			close(n->fd);
			free(n);
		}
	}
}

/* Absolute form of @path, since the daemon changes to / when detaching. */
static char *absolute_path(const char *path)
{
	char *cwd, *abs = NULL;

	if (path[0] == '/')
		return strdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	if (asprintf(&abs, "%s/%s", cwd, path) < 0)
		abs = NULL;
	free(cwd);
	return abs;
}

static int write_stats(struct fuse_bpf_session *bs, const char *path)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f) {
		fuse_log(FUSE_LOG_ERR, "fallback_bpf: %s: %s\n", path,
			 strerror(errno));
		return -1;
	}
	ret = fuse_bpf_session_write_stats(bs, f);
	if (fclose(f) != 0 || ret < 0) {
		fuse_log(FUSE_LOG_ERR, "fallback_bpf: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct options opts = { .timeout = 1.0 };
	struct fuse_cmdline_opts cmd = { 0 };
	struct fuse_loop_config *loop = NULL;
	struct fuse_bpf_config *cfg = NULL;
	struct fuse_bpf_session *bs = NULL;
	enum fuse_bpf_mode mode = FUSE_BPF_MODE_AUTO;
	struct fallback fs = { 0 };
	char empty[] = "";
	int ret = 1;

	pthread_mutex_init(&fs.lock, NULL);
	fs.root.fd = -1;
	fs.root.nlookup = 1;
	if (fuse_opt_parse(&args, &opts, option_spec, option_proc) != 0 ||
	    fuse_parse_cmdline(&args, &cmd) != 0)
		goto out;
	if (cmd.show_help) {
		usage(argv[0]);
		ret = 0;
		goto out;
	}
	if (cmd.show_version) {
		printf("fallback_bpf: libfuse-bpf %d, FUSE library %s\n",
		       FUSE_BPF_VERSION, fuse_pkgversion());
		fuse_lowlevel_version();
		ret = 0;
		goto out;
	}
	if (!opts.source || !cmd.mountpoint) {
		usage(argv[0]);
		goto out;
	}
	if (cmd.clone_fd) {
		fprintf(stderr, "fallback_bpf: -o clone_fd is not supported (libfuse-bpf reads requests through fuse_session_custom_io())\n");
		goto out;
	}
	if (opts.stats) {
		char *abs = absolute_path(opts.stats);

		free(opts.stats);
		opts.stats = abs;
		if (!abs) {
			fprintf(stderr, "fallback_bpf: out of memory\n");
			goto out;
		}
	}
	if (opts.mode && fuse_bpf_mode_parse(opts.mode, &mode) < 0) {
		fprintf(stderr, "fallback_bpf: unknown mode '%s'\n", opts.mode);
		goto out;
	}
	if (opts.timeout < 0) {
		fprintf(stderr, "fallback_bpf: bad timeout\n");
		goto out;
	}
	fs.timeout = opts.timeout;
	fs.refuse = split_globs(opts.refuse ? opts.refuse : empty);
	fs.root.fd = open(opts.source, O_PATH | O_DIRECTORY);
	if (!fs.refuse || fs.root.fd < 0) {
		fprintf(stderr, "fallback_bpf: %s: %s\n", opts.source,
			strerror(errno));
		goto out;
	}

	cfg = fuse_bpf_config_new();
	if (!cfg || fuse_bpf_config_set_mode(cfg, mode) < 0 ||
	    fuse_bpf_config_set_timeouts(cfg, fs.timeout, fs.timeout) < 0)
		goto out;
	bs = fuse_bpf_session_new(&args, &fallback_ops, sizeof(fallback_ops),
				  &fs, cfg);
	/* The session keeps a copy: nothing is left to free after a fork. */
	fuse_bpf_config_destroy(cfg);
	cfg = NULL;
	if (!bs)
		goto out;
	if (fuse_set_signal_handlers(fuse_bpf_session_fuse(bs)) != 0)
		goto out;
	if (fuse_bpf_session_mount(bs, cmd.mountpoint) < 0)
		goto out_signals;
	fuse_daemonize(cmd.foreground);

	if (cmd.singlethread) {
		ret = fuse_session_loop(fuse_bpf_session_fuse(bs));
	} else {
		loop = fuse_loop_cfg_create();
		if (!loop)
			goto out_unmount;
		/* UINT_MAX: not given on the command line */
		if (cmd.max_idle_threads != UINT_MAX)
			fuse_loop_cfg_set_idle_threads(loop,
						       cmd.max_idle_threads);
		if (cmd.max_threads != UINT_MAX)
			fuse_loop_cfg_set_max_threads(loop, cmd.max_threads);
		ret = fuse_session_loop_mt(fuse_bpf_session_fuse(bs), loop);
		fuse_loop_cfg_destroy(loop);
	}
	if (fuse_bpf_session_error(bs) < 0) {
		fuse_log(FUSE_LOG_ERR, "fallback_bpf: mode %s: %s\n",
			 fuse_bpf_mode_name(mode),
			 strerror(-fuse_bpf_session_error(bs)));
		ret = 1;
	}
out_unmount:
	fuse_bpf_session_unmount(bs);
	if (opts.stats && write_stats(bs, opts.stats) < 0)
		ret = 1;
out_signals:
	fuse_remove_signal_handlers(fuse_bpf_session_fuse(bs));
out:
	fuse_bpf_session_destroy(bs);
	fuse_bpf_config_destroy(cfg);
	free_nodes(&fs);
	if (fs.root.fd >= 0)
		close(fs.root.fd);
	free(fs.refuse);
	free(opts.source);
	free(opts.mode);
	free(opts.stats);
	free(opts.refuse);
	free(cmd.mountpoint);
	fuse_opt_free_args(&args);
	return ret ? 1 : 0;
}
