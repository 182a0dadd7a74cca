// SPDX-License-Identifier: GPL-2.0-only
/*
 * filter_bpf: mirror a directory tree, hiding names that match globs.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */

/**
 * @file filter_bpf.c
 *
 * A filtering daemon that shows the usual fuse-bpf split of work: policy in
 * the daemon, data in the kernel.
 *
 * Directories are the daemon's own nodes.  It answers LOOKUP, GETATTR and
 * the directory listing for them, and it hides every name that matches one
 * of the `--hide` globs: such names are left out of listings and looking
 * them up fails with ENOENT.  Everything else (regular files, symlinks,
 * devices, fifos) is attached to its backing object with
 * fuse_bpf_reply_entry() when it is looked up, so its attributes and data
 * are served by the kernel (mode fuse-bpf) or by libfuse-bpf (modes
 * passthrough and userspace) and never reach this daemon.
 *
 * Regular files are attached through fds opened for reading, which every
 * kernel takes.  A symlink or a special file can only be had as an O_PATH
 * fd; a kernel that refuses those (the RFC's fget() does) leaves such a
 * node to the daemon, which then answers GETATTR and READLINK for it.
 *
 * Compile with:
 *
 *     gcc -Wall filter_bpf.c $(pkg-config fuse-bpf --cflags --libs) -o filter_bpf
 *
 * Run it as:
 *
 *     filter_bpf [options] SOURCE MOUNTPOINT --hide='*.key,secret*'
 *
 * and try `ls MOUNTPOINT`, `cat MOUNTPOINT/some/file`.  Options, besides
 * libfuse's (`-f`, `-d`, `-s`, `-o opt,...`, `-h`, `-V`):
 *
 * - `--hide=GLOB[,GLOB...]`: names to hide (fnmatch(3) patterns, matched
 *   against each name on its own, never against "." or "..");
 * - `--mode=auto|fuse-bpf|passthrough|userspace`: force a mode;
 * - `--stats=FILE`: write the request counters as JSON at unmount (READ
 *   stays at zero for the daemon, whatever is read);
 * - `--timeout=SECONDS`: entry and attribute timeout (default 1).
 *
 * \include filter_bpf.c
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
	int fd;			/* O_PATH fd when the daemon serves the node */
};

struct filter {
	char **hide;		/* NULL-terminated globs */
	double timeout;
	pthread_mutex_t lock;
	struct node root;
	struct node *buckets[NODE_BUCKETS];
};

/* An open directory. */
struct dir_handle {
	DIR *dp;
	off_t offset;		/* offset of the entry after @entry */
	struct dirent *entry;	/* read but not yet sent */
};

static struct filter *filter_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static struct node *node_of(fuse_req_t req, fuse_ino_t ino)
{
	if (ino == FUSE_ROOT_ID)
		return &filter_of(req)->root;
	return (struct node *)(uintptr_t)ino;
}

static fuse_ino_t node_id(struct filter *fs, struct node *n)
{
	return n == &fs->root ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)n;
}

static bool is_hidden(const struct filter *fs, const char *name)
{
	char **g;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (g = fs->hide; *g; g++)
		if (fnmatch(*g, name, 0) == 0)
			return true;
	return false;
}

static size_t bucket_of(dev_t dev, ino_t ino)
{
	return (size_t)((ino * 0x9e3779b97f4a7c15ULL) ^ dev) % NODE_BUCKETS;
}

/*
 * Take a lookup reference on the node of @st, creating it if needed.  @fd
 * (an O_PATH fd for the daemon to serve the node from, or -1) becomes the
 * node's or is closed.
 */
static struct node *node_ref(struct filter *fs, const struct stat *st, int fd)
{
	size_t b = bucket_of(st->st_dev, st->st_ino);
	struct node *n;

	pthread_mutex_lock(&fs->lock);
	for (n = fs->buckets[b]; n; n = n->next)
		if (n->dev == st->st_dev && n->ino == st->st_ino)
			break;
	if (n) {
		n->nlookup++;
		if (n->fd < 0)
			n->fd = fd;
		else if (fd >= 0)
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
		} else if (fd >= 0) {
			close(fd);
		}
	}
	pthread_mutex_unlock(&fs->lock);
	return n;
}

static void node_unref(struct filter *fs, struct node *n, uint64_t nlookup)
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
		if (n->fd >= 0)
			close(n->fd);
		free(n);
	}
	pthread_mutex_unlock(&fs->lock);
}

/*
 * A node the daemon serves.  The library answers for backed nodes, so a
 * request for one reaching the daemon is a bug somewhere.
 */
static struct node *served_node(fuse_req_t req, fuse_ino_t ino)
{
	struct node *n = node_of(req, ino);

	if (n->fd < 0) {
		fuse_log(FUSE_LOG_ERR,
			 "filter_bpf: a request for backed node %llu reached the daemon\n",
			 (unsigned long long)ino);
		return NULL;
	}
	return n;
}

/*
 * An fd to attach as the backing of the object @pathfd (O_PATH) refers to:
 * regular files are opened for reading, other types are dup()ed as is.
 */
static int backing_fd(int pathfd, mode_t mode)
{
	char path[64];
	int fd;

	if (S_ISREG(mode)) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", pathfd);
		fd = open(path, O_RDONLY);
		if (fd >= 0)
			return fd;
	}
	return dup(pathfd);
}

static void filter_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct filter *fs = filter_of(req);
	struct fuse_entry_param e = { 0 };
	struct fuse_bpf_block block = { .type = FUSE_ENTRY_BACKING };
	struct node *dir = served_node(req, parent);
	struct node *n;
	int fd, ret;

	if (!dir) {
		fuse_reply_err(req, EIO);
		return;
	}
	if (is_hidden(fs, name)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fd = openat(dir->fd, name, O_PATH | O_NOFOLLOW);
	if (fd < 0 || fstatat(fd, "", &e.attr, AT_EMPTY_PATH) < 0) {
		ret = errno;
		if (fd >= 0)
			close(fd);
		fuse_reply_err(req, ret);
		return;
	}
	e.attr_timeout = fs->timeout;
	e.entry_timeout = fs->timeout;

	if (S_ISDIR(e.attr.st_mode)) {
		n = node_ref(fs, &e.attr, fd);
		if (!n) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		e.ino = node_id(fs, n);
		if (fuse_reply_entry(req, &e) != 0)
			node_unref(fs, n, 1);
		return;
	}

	n = node_ref(fs, &e.attr, -1);
	if (!n) {
		close(fd);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	e.ino = node_id(fs, n);
	block.fd = backing_fd(fd, e.attr.st_mode);
	ret = fuse_bpf_reply_entry(req, &e, &block, 1);
	if (block.fd >= 0)
		close(block.fd);
	if (ret == 0) {
		close(fd);
		return;
	}
	fuse_log(FUSE_LOG_DEBUG, "filter_bpf: %s not backed (%s), served by the daemon\n",
		 name, strerror(-ret));
	pthread_mutex_lock(&fs->lock);
	if (n->fd < 0)
		n->fd = fd;
	else
		close(fd);
	pthread_mutex_unlock(&fs->lock);
	if (fuse_reply_entry(req, &e) != 0)
		node_unref(fs, n, 1);
}

static void filter_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	node_unref(filter_of(req), node_of(req, ino), nlookup);
	fuse_reply_none(req);
}

static void filter_forget_multi(fuse_req_t req, size_t count,
				struct fuse_forget_data *forgets)
{
	size_t i;

	for (i = 0; i < count; i++)
		node_unref(filter_of(req), node_of(req, forgets[i].ino),
			   forgets[i].nlookup);
	fuse_reply_none(req);
}

static void filter_getattr(fuse_req_t req, fuse_ino_t ino,
			   struct fuse_file_info *fi)
{
	struct node *n = served_node(req, ino);
	struct stat st;

	if (!n) {
		fuse_reply_err(req, EIO);
		return;
	}
	if (fstatat(n->fd, "", &st, AT_EMPTY_PATH) < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	fuse_reply_attr(req, &st, filter_of(req)->timeout);
}

static void filter_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct node *n = served_node(req, ino);
	char buf[PATH_MAX + 1];
	ssize_t len;

	if (!n) {
		fuse_reply_err(req, EIO);
		return;
	}
	len = readlinkat(n->fd, "", buf, sizeof(buf));
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

static void filter_opendir(fuse_req_t req, fuse_ino_t ino,
			   struct fuse_file_info *fi)
{
	struct node *n = served_node(req, ino);
	struct dir_handle *d;
	int fd, err;

	if (!n) {
		fuse_reply_err(req, EIO);
		return;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fd = openat(n->fd, ".", O_RDONLY | O_DIRECTORY);
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
 * READDIRPLUS hands out nodes without a LOOKUP, so it may only do that for
 * directories, which are ours.  Other entries go out with node id 0: the
 * kernel lists them but creates no node, and the LOOKUP that follows is
 * where their backing gets attached.
 */
static void filter_readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size,
				  off_t offset, struct fuse_file_info *fi,
				  bool plus)
{
	struct filter *fs = filter_of(req);
	struct dir_handle *d = (struct dir_handle *)(uintptr_t)fi->fh;
	struct fuse_entry_param e;
	struct node *n;
	size_t used = 0, len;
	char *buf;
	int fd, err = 0;

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
		if (is_hidden(fs, d->entry->d_name)) {
			d->offset = d->entry->d_off;
			d->entry = NULL;
			continue;
		}
		memset(&e, 0, sizeof(e));
		e.attr.st_ino = d->entry->d_ino;
		e.attr.st_mode = DTTOIF(d->entry->d_type);
		if (!plus) {
			len = fuse_add_direntry(req, buf + used, size - used,
						d->entry->d_name, &e.attr,
						d->entry->d_off);
			if (len > size - used)
				break;
		} else {
			n = NULL;
			if (d->entry->d_type == DT_DIR &&
			    strcmp(d->entry->d_name, ".") != 0 &&
			    strcmp(d->entry->d_name, "..") != 0) {
				fd = openat(dirfd(d->dp), d->entry->d_name,
					    O_PATH | O_NOFOLLOW | O_DIRECTORY);
				if (fd >= 0 &&
				    fstatat(fd, "", &e.attr, AT_EMPTY_PATH) == 0)
					n = node_ref(fs, &e.attr, fd);
				else if (fd >= 0)
					close(fd);
			}
			if (n) {
				e.ino = node_id(fs, n);
				e.attr_timeout = fs->timeout;
				e.entry_timeout = fs->timeout;
			}
			len = fuse_add_direntry_plus(req, buf + used,
						     size - used,
						     d->entry->d_name, &e,
						     d->entry->d_off);
			if (len > size - used) {
				if (n)
					node_unref(fs, n, 1);
				break;
			}
		}
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

static void filter_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t offset, struct fuse_file_info *fi)
{
	filter_readdir_common(req, ino, size, offset, fi, false);
}

static void filter_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			       off_t offset, struct fuse_file_info *fi)
{
	filter_readdir_common(req, ino, size, offset, fi, true);
}

static void filter_releasedir(fuse_req_t req, fuse_ino_t ino,
			      struct fuse_file_info *fi)
{
	struct dir_handle *d = (struct dir_handle *)(uintptr_t)fi->fh;

	closedir(d->dp);
	free(d);
	fuse_reply_err(req, 0);
}

static void filter_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;

	if (fstatvfs(filter_of(req)->root.fd, &sv) < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	fuse_reply_statfs(req, &sv);
}

static const struct fuse_lowlevel_ops filter_ops = {
	.lookup = filter_lookup,
	.forget = filter_forget,
	.forget_multi = filter_forget_multi,
	.getattr = filter_getattr,
	.readlink = filter_readlink,
	.opendir = filter_opendir,
	.readdir = filter_readdir,
	.readdirplus = filter_readdirplus,
	.releasedir = filter_releasedir,
	.statfs = filter_statfs,
};

struct options {
	char *source;
	char *mode;
	char *stats;
	char *hide;
	double timeout;
};

static const struct fuse_opt option_spec[] = {
	{ "--mode=%s", offsetof(struct options, mode), 0 },
	{ "--stats=%s", offsetof(struct options, stats), 0 },
	{ "--hide=%s", offsetof(struct options, hide), 0 },
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
	printf("usage: %s [options] SOURCE MOUNTPOINT --hide=GLOB[,GLOB...]\n\n"
	       "    --hide=GLOBS           hide names matching any of the globs\n"
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

/* Split a comma separated list into a NULL-terminated array. */
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

static void free_nodes(struct filter *fs)
{
	struct node *n;
	size_t b;

	for (b = 0; b < NODE_BUCKETS; b++) {
		while ((n = fs->buckets[b])) {
			fs->buckets[b] = n->next;
			if (n->fd >= 0)
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
		fuse_log(FUSE_LOG_ERR, "filter_bpf: %s: %s\n", path,
			 strerror(errno));
		return -1;
	}
	ret = fuse_bpf_session_write_stats(bs, f);
	if (fclose(f) != 0 || ret < 0) {
		fuse_log(FUSE_LOG_ERR, "filter_bpf: cannot write %s\n", path);
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
	struct filter fs = { .timeout = 1.0 };
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
		printf("filter_bpf: libfuse-bpf %d, FUSE library %s\n",
		       FUSE_BPF_VERSION, fuse_pkgversion());
		fuse_lowlevel_version();
		ret = 0;
		goto out;
	}
	if (!opts.source || !cmd.mountpoint || !opts.hide) {
		usage(argv[0]);
		goto out;
	}
	if (cmd.clone_fd) {
		fprintf(stderr, "filter_bpf: -o clone_fd is not supported (libfuse-bpf reads requests through fuse_session_custom_io())\n");
		goto out;
	}
	if (opts.stats) {
		char *abs = absolute_path(opts.stats);

		free(opts.stats);
		opts.stats = abs;
		if (!abs) {
			fprintf(stderr, "filter_bpf: out of memory\n");
			goto out;
		}
	}
	if (opts.mode && fuse_bpf_mode_parse(opts.mode, &mode) < 0) {
		fprintf(stderr, "filter_bpf: unknown mode '%s'\n", opts.mode);
		goto out;
	}
	if (opts.timeout < 0) {
		fprintf(stderr, "filter_bpf: bad timeout\n");
		goto out;
	}
	fs.timeout = opts.timeout;
	fs.hide = split_globs(opts.hide);
	fs.root.fd = open(opts.source, O_PATH | O_DIRECTORY);
	if (!fs.hide || fs.root.fd < 0) {
		fprintf(stderr, "filter_bpf: %s: %s\n", opts.source,
			strerror(errno));
		goto out;
	}

	cfg = fuse_bpf_config_new();
	if (!cfg || fuse_bpf_config_set_mode(cfg, mode) < 0 ||
	    fuse_bpf_config_set_timeouts(cfg, fs.timeout, fs.timeout) < 0)
		goto out;
	bs = fuse_bpf_session_new(&args, &filter_ops, sizeof(filter_ops), &fs,
				  cfg);
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
		fuse_log(FUSE_LOG_ERR, "filter_bpf: mode %s: %s\n",
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
	free(fs.hide);
	free(opts.source);
	free(opts.mode);
	free(opts.stats);
	free(opts.hide);
	free(cmd.mountpoint);
	fuse_opt_free_args(&args);
	return ret ? 1 : 0;
}
