// SPDX-License-Identifier: GPL-2.0-only
/*
 * adversary: checks of the fuse-bpf security model.  A raw FUSE daemon on
 * the FUSE device (no libfuse) does what a hostile or confused daemon
 * could, and a client uses backed files in ways the lower file system
 * restricts.  The device is /dev/fuse-bpf and the file system type
 * fusebpf.adversary while fuse-bpf.ko is loaded
 * (FUSE_BPF_MODULE_FEATURE_FILE), else /dev/fuse and fuse.adversary (an
 * in-tree build of the series).
 *
 * Usage: adversary CHECK WORKDIR
 *        adversary list
 *
 * Each CHECK mounts its own tmpfs below WORKDIR, prints one
 * "@@ RESULT name PASS|FAIL|SKIP reason" line per check (the guest suite's
 * format) with the values it observed, and cleans up.  Exit status: 0 when
 * nothing failed, 1 when a check failed, 2 when the setup failed.
 *
 * The model checked (doc/kernel.md, "Credentials"):
 *  - attaching backing (a FUSE_ENTRY_BACKING block through
 *    FUSE_DEV_IOC_BPF_RESPONSE, root_dir=, no_daemon) needs CAP_SYS_ADMIN
 *    in the initial user namespace, of the caller and of whoever opened
 *    /dev/fuse; a refused ioctl leaves the request answerable;
 *  - backing operations run with the caller's credentials, and nobody gets
 *    more through the mount than the lower file system gives directly;
 *  - a backed node never produces a request to the daemon, whatever node
 *    id the daemon gave it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/fuse.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "fuse_bpf.h"

/* <linux/fs.h> clashes with <sys/mount.h> in glibc 2.36: the few we need */
#define ADV_IOC_GETFLAGS _IOR('f', 1, long)
#define ADV_IOC_SETFLAGS _IOW('f', 2, long)
#define ADV_IMMUTABLE_FL 0x00000010
#define ADV_APPEND_FL 0x00000020
#define ADV_NODUMP_FL 0x00000040
#define ADV_NOATIME_FL 0x00000080

#define BUF_SIZE (FUSE_MIN_READ_BUFFER + 256 * 1024)
#define ROOT_ID FUSE_ROOT_ID
#define FH_PLAIN 77		/* fh of files the daemon itself opened */
#define EV_MAX 1024
#define HELD_MAX 64
#define NOBODY 65534
#define ANY_NODE UINT64_MAX

static int failures;
static const char *workdir;
/*
 * The FUSE device and file system type: fuse-bpf.ko's while it is loaded
 * (beside the kernel's own FUSE), else the kernel's FUSE (an in-tree
 * build of the series)
 */
static const char *fuse_dev = "/dev/fuse";
static const char *fuse_fstype = "fuse.adversary";

/* ------------------------------------------------------------------ */
/* Reporting                                                          */
/* ------------------------------------------------------------------ */

static void report(const char *name, const char *verdict, const char *fmt,
		   va_list ap)
{
	char detail[1024];

	vsnprintf(detail, sizeof(detail), fmt, ap);
	printf("@@ RESULT %s %s %s\n", name, verdict, detail);
	fflush(stdout);
}

static void result(const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void result(const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(name, ok ? "PASS" : "FAIL", fmt, ap);
	va_end(ap);
	if (!ok)
		failures++;
}

static void skip(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(name, "SKIP", fmt, ap);
	va_end(ap);
}

static const char *ename(int e)
{
	static char buf[4][32];
	static unsigned int n;

	switch (e) {
	case 0: return "success";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case EACCES: return "EACCES";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EXDEV: return "EXDEV";
	case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case ETXTBSY: return "ETXTBSY";
	case EFBIG: return "EFBIG";
	case EROFS: return "EROFS";
	case ENOSYS: return "ENOSYS";
	case ELOOP: return "ELOOP";
	case ENODATA: return "ENODATA";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOTCONN: return "ENOTCONN";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ESTALE: return "ESTALE";
	default:
		snprintf(buf[n % 4], sizeof(buf[0]), "errno %d", e);
		return buf[n++ % 4];
	}
}

/* 0 or the errno of a call that returns -1 on failure */
static int err_of(long rc)
{
	return rc < 0 ? errno : 0;
}

static void expect(const char *name, int got, int want, const char *what)
{
	result(name, got == want, "%s -> %s (expected %s)", what, ename(got),
	       ename(want));
}

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ------------------------------------------------------------------ */
/* Files and directories                                              */
/* ------------------------------------------------------------------ */

/* "dir/name" in one of a few rotating buffers (main thread only) */
static const char *path(const char *dir, const char *name)
{
	static char bufs[8][512];
	static unsigned int n;
	char *b = bufs[n++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

static int write_file(const char *p, const void *data, size_t len, mode_t mode)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	ssize_t n;

	if (fd < 0)
		return errno;
	n = write(fd, data, len);
	close(fd);
	if (n < 0)
		return errno;
	return (size_t)n == len ? 0 : EIO;
}

static int write_text(const char *p, const char *text)
{
	return write_file(p, text, strlen(text), 0644);
}

/* Reads at most size - 1 bytes and terminates them; -errno on failure */
static ssize_t read_file(const char *p, char *buf, size_t size)
{
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n, i;

	buf[0] = '\0';
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	/* Zeros (a truncate that extended the file) show as '@' */
	for (i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = '@';
	return n;
}

/* Printable form of short file content for reasons */
static const char *shown(const char *s)
{
	static char buf[4][96];
	static unsigned int n;
	char *b = buf[n++ % 4];
	size_t i, j = 0;

	for (i = 0; s[i] && j < sizeof(buf[0]) - 5; i++) {
		if (s[i] == '\n') {
			b[j++] = '\\';
			b[j++] = 'n';
		} else if (s[i] < ' ' || s[i] > '~') {
			b[j++] = '?';
		} else {
			b[j++] = s[i];
		}
	}
	b[j] = '\0';
	return b;
}

static int chflags(const char *p, int add, int del)
{
	int fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int flags, err = 0;

	if (fd < 0)
		return errno;
	if (ioctl(fd, ADV_IOC_GETFLAGS, &flags) != 0) {
		err = errno;
	} else {
		flags = (flags | add) & ~del;
		if (ioctl(fd, ADV_IOC_SETFLAGS, &flags) != 0)
			err = errno;
	}
	close(fd);
	return err;
}

static int getflags(const char *p, int *flags)
{
	int fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int err;

	if (fd < 0)
		return errno;
	err = err_of(ioctl(fd, ADV_IOC_GETFLAGS, flags));
	close(fd);
	return err;
}

/* Open, and on success write @text at offset 0 and close: shows the harm */
static int try_open(const char *p, int flags, const char *text)
{
	int fd = open(p, flags | O_CLOEXEC, 0644);

	if (fd < 0)
		return errno;
	if (text && pwrite(fd, text, strlen(text), 0) < 0)
		fprintf(stderr, "adversary: pwrite %s: %s\n", p,
			strerror(errno));
	close(fd);
	return 0;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/*
 * A check's directory WORKDIR/NAME with a tmpfs "lower" and an empty
 * "mnt" beside it.
 */
struct env {
	char dir[256];
	char lower[300];
	char mnt[300];
};

/* env_init() with @dev (a block device holding ext4) as the lower */
static int env_init_dev(struct env *e, const char *name, const char *dev)
{
	snprintf(e->dir, sizeof(e->dir), "%s/%s", workdir, name);
	snprintf(e->lower, sizeof(e->lower), "%s/lower", e->dir);
	snprintf(e->mnt, sizeof(e->mnt), "%s/mnt", e->dir);
	if ((mkdir(e->dir, 0755) && errno != EEXIST) ||
	    (mkdir(e->lower, 0755) && errno != EEXIST) ||
	    (mkdir(e->mnt, 0755) && errno != EEXIST)) {
		fprintf(stderr, "adversary: mkdir below %s: %s\n", e->dir,
			strerror(errno));
		return -1;
	}
	if (dev ? mount(dev, e->lower, "ext4", 0, NULL) :
	    mount("adv-lower", e->lower, "tmpfs", 0, "size=64m,mode=0755")) {
		fprintf(stderr, "adversary: %s on %s: %s\n",
			dev ? dev : "tmpfs", e->lower, strerror(errno));
		return -1;
	}
	return 0;
}

static int env_init(struct env *e, const char *name)
{
	return env_init_dev(e, name, NULL);
}

static void env_fini(struct env *e)
{
	if (umount2(e->lower, 0) != 0) {
		fprintf(stderr, "adversary: umount %s: %s\n", e->lower,
			strerror(errno));
		umount2(e->lower, MNT_DETACH);
	}
}

/* ------------------------------------------------------------------ */
/* Kernel log                                                         */
/* ------------------------------------------------------------------ */

/* Lines of the kernel log that contain one of @pats; the first in @first */
static int klog_count(const char *const *pats, char *first, size_t firstlen)
{
	int size = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	char *buf, *line, *save = NULL;
	int n, count = 0;
	size_t i;

	if (first)
		first[0] = '\0';
	if (size <= 0)
		return -1;
	buf = malloc(size + 1);
	if (!buf)
		return -1;
	n = klogctl(3, buf, size);		/* SYSLOG_ACTION_READ_ALL */
	if (n < 0) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		for (i = 0; pats[i]; i++) {
			if (strstr(line, pats[i])) {
				if (!count && first)
					snprintf(first, firstlen, "%s",
						 shown(line));
				count++;
				break;
			}
		}
	}
	free(buf);
	return count;
}

static const char *const leaked_pats[] = { "Leaked ", NULL };

static const char *const slub_pats[] = {
	"BUG kmalloc", "BUG fuse", "Poison overwritten", "Object already free",
	"Redzone", "refcount_t:", "use-after-free", "KASAN", "UBSAN",
	"list_add corruption", "list_del corruption", "BUG:", "WARNING:",
	"general protection", NULL
};

/* Make SLUB check every kmalloc object now (slub_debug must be on) */
static int validate_slabs(void)
{
	DIR *d = opendir("/sys/kernel/slab");
	struct dirent *de;
	char p[300];
	int n = 0, fd;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "kmalloc", 7))
			continue;
		snprintf(p, sizeof(p), "/sys/kernel/slab/%s/validate",
			 de->d_name);
		fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (write(fd, "1", 1) == 1)
			n++;
		close(fd);
	}
	closedir(d);
	return n;
}

/* ------------------------------------------------------------------ */
/* The raw daemon                                                     */
/* ------------------------------------------------------------------ */

/* One request the daemon saw */
struct event {
	uint32_t opcode;
	uint64_t nodeid;
	uint64_t fh;
};

struct daemon;
typedef void (*lookup_fn)(struct daemon *d, const struct fuse_in_header *ih,
			  const char *name);

/*
 * A daemon serves one mount, in a thread of this process (daemon_start())
 * or in a child (serve() called directly).  It answers INIT, hands LOOKUP
 * to the check's callback and answers the rest plainly, recording every
 * request so that a check can tell what reached it.
 */
struct daemon {
	int fd;
	int stop[2];
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct event ev[EV_MAX];
	unsigned int nev;
	/* READ requests are kept unanswered (held) instead of answered */
	bool hold_reads;
	uint64_t held[HELD_MAX];
	unsigned int nheld;
	lookup_fn lookup;
	void *priv;
	/* content of the daemon's own (non-backed) regular nodes */
	const char *plain_text;
};

static void daemon_init(struct daemon *d, lookup_fn lookup, void *priv)
{
	memset(d, 0, sizeof(*d));
	d->fd = -1;
	d->stop[0] = d->stop[1] = -1;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	d->lookup = lookup;
	d->priv = priv;
}

static int send_buf(struct daemon *d, const void *buf, size_t len)
{
	ssize_t n = write(d->fd, buf, len);

	if (n < 0)
		return errno;
	return (size_t)n == len ? 0 : EIO;
}

static int reply_err(struct daemon *d, uint64_t unique, int err)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh),
		.error = -err,
		.unique = unique,
	};

	return send_buf(d, &oh, sizeof(oh));
}

static int reply_data(struct daemon *d, uint64_t unique, const void *data,
		      size_t len)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh) + len,
		.unique = unique,
	};
	struct iovec iov[2] = {
		{ &oh, sizeof(oh) },
		{ (void *)data, len },
	};
	ssize_t n = writev(d->fd, iov, len ? 2 : 1);

	if (n < 0)
		return errno;
	return (size_t)n == oh.len ? 0 : EIO;
}

/* A notification (unique 0, the code in the error field) */
static int notify(struct daemon *d, int code, const void *data, size_t len)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh) + len,
		.error = code,
		.unique = 0,
	};
	struct iovec iov[2] = {
		{ &oh, sizeof(oh) },
		{ (void *)data, len },
	};
	ssize_t n = writev(d->fd, iov, 2);

	if (n < 0)
		return errno;
	return (size_t)n == oh.len ? 0 : EIO;
}

static void fill_attr(struct fuse_attr *a, uint64_t ino, const struct stat *st)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->mode = st->st_mode;
	a->nlink = st->st_nlink ? st->st_nlink : 1;
	a->size = st->st_size;
	a->blocks = st->st_blocks;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->atime = st->st_atim.tv_sec;
	a->mtime = st->st_mtim.tv_sec;
	a->ctime = st->st_ctim.tv_sec;
	a->blksize = 4096;
}

enum entry_kind {
	EK_PLAIN,	/* no block, through write() */
	EK_BACKING,	/* FUSE_ENTRY_BACKING with @fd, through the ioctl */
	EK_REMOVE,	/* FUSE_ENTRY_REMOVE_BACKING, through the ioctl */
};

struct lookup_reply {
	struct fuse_out_header oh;
	struct fuse_entry_out eo;
	struct fuse_bpf_entry_out b;
};
_Static_assert(sizeof(struct lookup_reply) == 16 + 128 + 16,
	       "the reply must have no padding");

/* Answer a LOOKUP with an entry; 0 or the errno of write()/the ioctl */
static int reply_entry(struct daemon *d, uint64_t unique, uint64_t nodeid,
		       const struct stat *st, enum entry_kind kind, int fd)
{
	struct lookup_reply r;
	size_t len = sizeof(r.oh) + sizeof(r.eo);
	int ret;

	memset(&r, 0, sizeof(r));
	r.oh.unique = unique;
	r.eo.nodeid = nodeid;
	r.eo.entry_valid = 60;
	r.eo.attr_valid = 60;
	fill_attr(&r.eo.attr, nodeid, st);
	if (kind == EK_PLAIN) {
		r.oh.len = len;
		return send_buf(d, &r, len);
	}
	r.b.entry_type = kind == EK_BACKING ? FUSE_ENTRY_BACKING :
			 FUSE_ENTRY_REMOVE_BACKING;
	r.b.fd = kind == EK_BACKING ? (uint64_t)fd : 0;
	len += sizeof(r.b);
	r.oh.len = len;
	ret = ioctl(d->fd, FUSE_DEV_IOC_BPF_RESPONSE(len), &r);
	if (ret < 0)
		return errno;
	return (size_t)ret == len ? 0 : EIO;
}

/* A backed entry for @fd, with the attributes of what it refers to */
static int reply_backed(struct daemon *d, uint64_t unique, uint64_t nodeid,
			int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return errno;
	return reply_entry(d, unique, nodeid, &st, EK_BACKING, fd);
}

static void plain_stat(struct daemon *d, struct stat *st, uint64_t nodeid)
{
	memset(st, 0, sizeof(*st));
	if (nodeid == ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
		st->st_size = d->plain_text ? strlen(d->plain_text) : 0;
	}
}

static void do_init(struct daemon *d, const struct fuse_in_header *ih,
		    const struct fuse_init_in *in)
{
	struct {
		struct fuse_out_header oh;
		struct fuse_init_out out;
	} r;

	memset(&r, 0, sizeof(r));
	r.oh.len = sizeof(r);
	r.oh.unique = ih->unique;
	r.out.major = FUSE_KERNEL_VERSION;
	r.out.minor = in->minor < FUSE_KERNEL_MINOR_VERSION ?
		      in->minor : FUSE_KERNEL_MINOR_VERSION;
	r.out.max_readahead = in->max_readahead;
	/* Readahead of a plain FUSE file is asynchronous with it */
	r.out.flags = in->flags & FUSE_ASYNC_READ;
	r.out.max_background = 16;
	r.out.congestion_threshold = 12;
	r.out.max_write = 64 * 1024;
	r.out.time_gran = 1;
	send_buf(d, &r, sizeof(r));
}

static void do_getattr(struct daemon *d, const struct fuse_in_header *ih)
{
	struct {
		struct fuse_out_header oh;
		struct fuse_attr_out out;
	} r;
	struct stat st;

	memset(&r, 0, sizeof(r));
	r.oh.len = sizeof(r);
	r.oh.unique = ih->unique;
	r.out.attr_valid = 60;
	plain_stat(d, &st, ih->nodeid);
	fill_attr(&r.out.attr, ih->nodeid, &st);
	send_buf(d, &r, sizeof(r));
}

static void do_read(struct daemon *d, const struct fuse_in_header *ih,
		    const struct fuse_read_in *in)
{
	size_t len, off;

	pthread_mutex_lock(&d->lock);
	if (d->hold_reads && d->nheld < HELD_MAX) {
		d->held[d->nheld++] = ih->unique;
		pthread_cond_broadcast(&d->cond);
		pthread_mutex_unlock(&d->lock);
		return;
	}
	pthread_mutex_unlock(&d->lock);
	/* Only files the daemon opened itself have data */
	if (in->fh != FH_PLAIN || !d->plain_text) {
		reply_err(d, ih->unique, EIO);
		return;
	}
	len = strlen(d->plain_text);
	off = in->offset < len ? in->offset : len;
	len -= off;
	if (len > in->size)
		len = in->size;
	reply_data(d, ih->unique, d->plain_text + off, len);
}

static void dispatch(struct daemon *d, const struct fuse_in_header *ih)
{
	const void *arg = ih + 1;
	struct fuse_open_out oo = { .fh = FH_PLAIN };
	struct fuse_write_out wo = { 0 };
	struct event *ev;

	pthread_mutex_lock(&d->lock);
	if (d->nev < EV_MAX) {
		ev = &d->ev[d->nev++];
		ev->opcode = ih->opcode;
		ev->nodeid = ih->nodeid;
		ev->fh = 0;
		if (ih->opcode == FUSE_READ)
			ev->fh = ((const struct fuse_read_in *)arg)->fh;
		else if (ih->opcode == FUSE_IOCTL)
			ev->fh = ((const struct fuse_ioctl_in *)arg)->fh;
		else if (ih->opcode == FUSE_COPY_FILE_RANGE)
			ev->fh = ((const struct fuse_copy_file_range_in *)
				  arg)->fh_in;
	}
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);

	switch (ih->opcode) {
	case FUSE_INIT:
		do_init(d, ih, arg);
		break;
	case FUSE_LOOKUP:
		if (d->lookup)
			d->lookup(d, ih, arg);
		else
			reply_err(d, ih->unique, ENOENT);
		break;
	case FUSE_GETATTR:
		do_getattr(d, ih);
		break;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		break;
	case FUSE_READ:
		do_read(d, ih, arg);
		break;
	case FUSE_OPEN:
	case FUSE_OPENDIR:
		reply_data(d, ih->unique, &oo, sizeof(oo));
		break;
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_FLUSH:
	case FUSE_FSYNC:
		reply_err(d, ih->unique, 0);
		break;
	case FUSE_IOCTL:
		reply_err(d, ih->unique, ENOTTY);
		break;
	case FUSE_COPY_FILE_RANGE:
		/* A daemon that lies: "copied", and nothing was */
		wo.size = ((const struct fuse_copy_file_range_in *)arg)->len;
		reply_data(d, ih->unique, &wo, sizeof(wo));
		break;
	default:
		reply_err(d, ih->unique, ENOSYS);
		break;
	}
}

/* Serve until the connection ends or daemon_stop() asks */
static void serve(struct daemon *d)
{
	struct pollfd p[2] = {
		{ .fd = d->fd, .events = POLLIN },
		{ .fd = d->stop[0], .events = POLLIN },
	};
	char *buf = malloc(BUF_SIZE);
	ssize_t n;

	if (!buf)
		return;
	for (;;) {
		if (poll(p, d->stop[0] >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		n = read(d->fd, buf, BUF_SIZE);
		if (n < 0) {
			if (errno == EINTR || errno == ENOENT ||
			    errno == EAGAIN)
				continue;
			break;
		}
		if ((size_t)n >= sizeof(struct fuse_in_header))
			dispatch(d, (const struct fuse_in_header *)buf);
	}
	free(buf);
}

static void *serve_thread(void *arg)
{
	serve(arg);
	return NULL;
}

/*
 * mount(2) a FUSE file system on @mnt for @devfd, as root (user_id=0):
 * @root_fd >= 0 adds root_dir=, @rootmode defaults to a directory, @extra
 * adds options, @mflags are the mount flags.
 */
static int fuse_mount(const char *mnt, int devfd, int root_fd,
		      const char *rootmode, const char *extra,
		      unsigned long mflags)
{
	char opts[256];
	int n;

	n = snprintf(opts, sizeof(opts), "fd=%d,rootmode=%s,user_id=0,group_id=0",
		     devfd, rootmode ? rootmode : "40000");
	if (root_fd >= 0)
		n += snprintf(opts + n, sizeof(opts) - n, ",root_dir=%d",
			      root_fd);
	if (extra)
		snprintf(opts + n, sizeof(opts) - n, ",%s", extra);
	if (mount("adversary", mnt, fuse_fstype, mflags, opts) != 0)
		return errno;
	return 0;
}

/*
 * Mount for @devfd (or a new FUSE device fd when -1) with mount flags
 * @mflags and options @extra, and serve in a thread
 */
static int daemon_start_opts(struct daemon *d, int devfd, const char *mnt,
			     int root_fd, const char *rootmode,
			     const char *extra, unsigned long mflags)
{
	int err;

	d->fd = devfd >= 0 ? devfd : open(fuse_dev, O_RDWR | O_CLOEXEC);
	if (d->fd < 0)
		return errno;
	err = fuse_mount(mnt, d->fd, root_fd, rootmode, extra, mflags);
	if (!err && pipe2(d->stop, O_CLOEXEC) != 0)
		err = errno;
	if (!err)
		err = pthread_create(&d->thread, NULL, serve_thread, d);
	if (err) {
		umount2(mnt, MNT_DETACH);
		close(d->fd);
		d->fd = -1;
		return err;
	}
	d->running = true;
	return 0;
}

/* daemon_start_opts() with nosuid,nodev and no extra options */
static int daemon_start(struct daemon *d, int devfd, const char *mnt,
			int root_fd, const char *rootmode)
{
	return daemon_start_opts(d, devfd, mnt, root_fd, rootmode, NULL,
				 MS_NOSUID | MS_NODEV);
}

/* Unmount and stop the thread; 0 or the errno of umount */
static int daemon_stop(struct daemon *d, const char *mnt)
{
	int err = 0;

	if (mnt && umount2(mnt, 0) != 0) {
		err = errno;
		umount2(mnt, MNT_DETACH);
	}
	if (d->running) {
		if (write(d->stop[1], "x", 1) != 1)
			fprintf(stderr, "adversary: stop: %s\n",
				strerror(errno));
		pthread_join(d->thread, NULL);
		d->running = false;
	}
	if (d->stop[0] >= 0) {
		close(d->stop[0]);
		close(d->stop[1]);
	}
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	return err;
}

static const char *opname(uint32_t op)
{
	static char buf[4][16];
	static unsigned int n;

	switch (op) {
	case FUSE_GETATTR: return "GETATTR";
	case FUSE_SETATTR: return "SETATTR";
	case FUSE_OPEN: return "OPEN";
	case FUSE_READ: return "READ";
	case FUSE_WRITE: return "WRITE";
	case FUSE_RELEASE: return "RELEASE";
	case FUSE_FLUSH: return "FLUSH";
	case FUSE_OPENDIR: return "OPENDIR";
	case FUSE_IOCTL: return "IOCTL";
	case FUSE_COPY_FILE_RANGE: return "COPY_FILE_RANGE";
	case FUSE_GETXATTR: return "GETXATTR";
	case FUSE_SETXATTR: return "SETXATTR";
	case FUSE_ACCESS: return "ACCESS";
	case FUSE_STATFS: return "STATFS";
	case FUSE_SETLK: return "SETLK";
	case FUSE_GETLK: return "GETLK";
	default:
		snprintf(buf[n % 4], sizeof(buf[0]), "opcode %u", op);
		return buf[n++ % 4];
	}
}

static unsigned int ev_mark(struct daemon *d)
{
	unsigned int n;

	pthread_mutex_lock(&d->lock);
	n = d->nev;
	pthread_mutex_unlock(&d->lock);
	return n;
}

/*
 * Requests since @mark about @nodeid (or any node), other than INIT,
 * LOOKUP, FORGET and INTERRUPT, described in @desc.
 */
static unsigned int ev_count(struct daemon *d, unsigned int mark,
			     uint64_t nodeid, char *desc, size_t len)
{
	unsigned int i, n = 0;
	size_t off = 0;
	struct event *ev;

	desc[0] = '\0';
	pthread_mutex_lock(&d->lock);
	for (i = mark; i < d->nev; i++) {
		ev = &d->ev[i];
		switch (ev->opcode) {
		case FUSE_INIT:
		case FUSE_LOOKUP:
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			continue;
		}
		if (nodeid != ANY_NODE && ev->nodeid != nodeid)
			continue;
		if (n++ < 6 && off < len)
			off += snprintf(desc + off, len - off,
					"%s%s (node %llu fh %llu)",
					off ? ", " : "", opname(ev->opcode),
					(unsigned long long)ev->nodeid,
					(unsigned long long)ev->fh);
	}
	pthread_mutex_unlock(&d->lock);
	if (!n)
		snprintf(desc, len, "none");
	return n;
}

/* Stop a root_dir= mount's daemon; nothing but INIT may have reached it */
static void stop_quiet(struct daemon *d, const char *mnt, const char *name)
{
	char desc[512], rname[64];
	unsigned int n = ev_count(d, 0, ANY_NODE, desc, sizeof(desc));
	int err = daemon_stop(d, mnt);

	snprintf(rname, sizeof(rname), "%s-daemon-quiet", name);
	result(rname, n == 0 && err == 0,
	       "requests other than INIT that reached the root_dir daemon: %u (%s); umount -> %s",
	       n, desc, ename(err));
}

/* Start a root_dir= mount of @e->lower on @e->mnt; reports failures */
static int start_rootdir(struct daemon *d, struct env *e, const char *name)
{
	int lfd = open(e->lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char rname[64];
	int err;

	daemon_init(d, NULL, NULL);
	err = lfd < 0 ? errno : daemon_start(d, -1, e->mnt, lfd, NULL);
	if (lfd >= 0)
		close(lfd);
	if (err) {
		snprintf(rname, sizeof(rname), "%s-mount", name);
		result(rname, false, "root_dir= mount of %s -> %s", e->lower,
		       ename(err));
	}
	return err;
}

/* ------------------------------------------------------------------ */
/* Processes                                                          */
/* ------------------------------------------------------------------ */

/* uid and gid 65534, no supplementary groups: no capabilities left */
static int drop_privs(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return errno;
	/* Changing ids made us undumpable: /proc/self would be root's */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return errno;
	return 0;
}

/* Wait for @pid up to @ms; its wait status, or -1 if it is still running */
static int wait_ms(pid_t pid, unsigned int ms)
{
	unsigned int t;
	int status;

	for (t = 0; t <= ms; t += 20) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		msleep(20);
	}
	return -1;
}

/* A wait status from wait_ms() in words: the errno a child exited with */
static const char *wstatus(int status)
{
	static char buf[4][32];
	static unsigned int n;
	char *b = buf[n++ % 4];

	if (status == -1)
		return "still blocked";
	if (WIFEXITED(status))
		return ename(WEXITSTATUS(status));
	snprintf(b, sizeof(buf[0]), "killed by signal %d",
		 WIFSIGNALED(status) ? WTERMSIG(status) : -1);
	return b;
}

/*
 * Is @p locked by someone else?  A child asks F_GETLK on the file
 * directly: 0 unlocked, 1 locked, 2 error.
 */
static int lock_state(const char *p)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int fd = open(p, O_RDWR);

		if (fd < 0 || fcntl(fd, F_GETLK, &fl) != 0)
			_exit(2);
		_exit(fl.l_type == F_UNLCK ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 2;
	return WEXITSTATUS(status);
}

static int set_lock(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	return err_of(fcntl(fd, F_SETLK, &fl));
}

static const char *lock_name(int s)
{
	return s == 0 ? "unlocked" : s == 1 ? "locked" : "unknown";
}

/* ------------------------------------------------------------------ */
/* Checks on a backed file with a daemon node id                      */
/* ------------------------------------------------------------------ */

/* Backing files of the node-id checks: "f" is node 2, "g" node 3 */
struct nodeid_state {
	int fd_f;
	int fd_g;
};

static void nodeid_lookup(struct daemon *d, const struct fuse_in_header *ih,
			  const char *name)
{
	struct nodeid_state *s = d->priv;
	int err;

	if (ih->nodeid == ROOT_ID && strcmp(name, "f") == 0)
		err = reply_backed(d, ih->unique, 2, s->fd_f);
	else if (ih->nodeid == ROOT_ID && strcmp(name, "g") == 0 &&
		 s->fd_g >= 0)
		err = reply_backed(d, ih->unique, 3, s->fd_g);
	else
		err = ENOENT;
	if (err)
		reply_err(d, ih->unique, err);
}

static int nodeid_setup(struct env *e, struct daemon *d,
			struct nodeid_state *s, bool with_g)
{
	char data[65536];
	size_t i;
	int err;

	for (i = 0; i < sizeof(data); i++)
		data[i] = 'a' + i % 26;
	if (write_file(path(e->lower, "f"), data, sizeof(data), 0644) ||
	    write_file(path(e->lower, "g"), "", 0, 0644))
		return EIO;
	s->fd_f = open(path(e->lower, "f"), O_RDONLY | O_CLOEXEC);
	s->fd_g = with_g ? open(path(e->lower, "g"), O_RDONLY | O_CLOEXEC) :
		  -1;
	if (s->fd_f < 0 || (with_g && s->fd_g < 0))
		return errno;
	daemon_init(d, nodeid_lookup, s);
	err = daemon_start(d, -1, e->mnt, -1, NULL);
	if (err) {
		close(s->fd_f);
		if (s->fd_g >= 0)
			close(s->fd_g);
	}
	return err;
}

static void nodeid_teardown(struct env *e, struct daemon *d,
			    struct nodeid_state *s)
{
	int err = daemon_stop(d, e->mnt);

	if (err)
		result("nodeid-umount", false, "umount -> %s", ename(err));
	close(s->fd_f);
	if (s->fd_g >= 0)
		close(s->fd_g);
}

/*
 * Readahead, ioctls and copy_file_range on files backed with daemon node
 * ids 2 and 3: all are served by the kernel, nothing reaches the daemon.
 * The old series sent READ (from the FUSE page cache's readahead), OPEN +
 * IOCTL (fileattr), IOCTL and COPY_FILE_RANGE with fh 0.
 */
static int check_nodeid_ops(void)
{
	struct nodeid_state s;
	struct daemon d;
	struct env e;
	char desc[512], buf[128], lower[8192], buf2[8192];
	unsigned int mark, n;
	int fd, fdg, err, lf, mf, nf, rc;
	loff_t off_in, off_out;
	ssize_t cn;

	if (env_init(&e, "nodeid-ops"))
		return 2;
	err = nodeid_setup(&e, &d, &s, true);
	if (err) {
		result("nodeid-ops-mount", false, "setup -> %s", ename(err));
		env_fini(&e);
		return 1;
	}

	/* Readahead of the FUSE page cache must not ask the daemon */
	fd = open(path(e.mnt, "f"), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		result("readahead-no-request", false,
		       "open of the backed file -> %s", ename(errno));
		nodeid_teardown(&e, &d, &s);
		env_fini(&e);
		return 1;
	}
	mark = ev_mark(&d);
	rc = posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
	err = err_of(readahead(fd, 0, 65536));
	msleep(300);
	n = ev_count(&d, mark, 2, desc, sizeof(desc));
	cn = pread(fd, buf, 26, 0);
	buf[cn > 0 ? cn : 0] = '\0';
	result("readahead-no-request", n == 0 && cn == 26 &&
	       strcmp(buf, "abcdefghijklmnopqrstuvwxyz") == 0,
	       "posix_fadvise(WILLNEED) -> %s, readahead() -> %s; requests for node 2: %u (%s); read through the backing: \"%s\"",
	       ename(rc), ename(err), n, desc, shown(buf));

	/* FS_IOC_GETFLAGS gives the backing file's flags */
	err = chflags(path(e.lower, "f"), ADV_NOATIME_FL, 0);
	err = err ? err : getflags(path(e.lower, "f"), &lf);
	if (err) {
		skip("getflags-backing", "tmpfs FS_IOC_[GS]ETFLAGS -> %s",
		     ename(err));
		skip("setflags-backing", "tmpfs FS_IOC_[GS]ETFLAGS -> %s",
		     ename(err));
	} else {
		mark = ev_mark(&d);
		mf = -1;
		err = err_of(ioctl(fd, ADV_IOC_GETFLAGS, &mf));
		n = ev_count(&d, mark, 2, desc, sizeof(desc));
		result("getflags-backing", err == 0 && mf == lf && n == 0,
		       "FS_IOC_GETFLAGS through the mount -> %s, flags 0x%x (lower file 0x%x); requests for node 2: %u (%s)",
		       ename(err), mf, lf, n, desc);

		mark = ev_mark(&d);
		nf = lf | ADV_NODUMP_FL;
		err = err_of(ioctl(fd, ADV_IOC_SETFLAGS, &nf));
		n = ev_count(&d, mark, 2, desc, sizeof(desc));
		rc = getflags(path(e.lower, "f"), &lf);
		result("setflags-backing",
		       err == 0 && rc == 0 && lf == nf && n == 0,
		       "FS_IOC_SETFLAGS 0x%x through the mount -> %s, lower file now 0x%x; requests for node 2: %u (%s)",
		       nf, ename(err), lf, n, desc);
		chflags(path(e.lower, "f"), 0, ADV_NOATIME_FL | ADV_NODUMP_FL);
	}

	/* An ioctl nobody knows: ENOTTY from the backing file */
	mark = ev_mark(&d);
	err = err_of(ioctl(fd, _IO(0xad, 0x42), 0));
	n = ev_count(&d, mark, 2, desc, sizeof(desc));
	result("unknown-ioctl", err == ENOTTY && n == 0,
	       "ioctl(_IO(0xad, 0x42)) through the mount -> %s (expected ENOTTY); requests for node 2: %u (%s)",
	       ename(err), n, desc);

	/* copy_file_range between two backed files of the daemon */
	fdg = open(path(e.mnt, "g"), O_WRONLY | O_CLOEXEC);
	if (fdg < 0) {
		result("copy-file-range", false, "open of g -> %s",
		       ename(errno));
	} else {
		mark = ev_mark(&d);
		off_in = 0;
		off_out = 4096;
		cn = copy_file_range(fd, &off_in, fdg, &off_out, 8192, 0);
		err = err_of(cn);
		n = ev_count(&d, mark, ANY_NODE, desc, sizeof(desc));
		close(fdg);
		rc = open(path(e.lower, "g"), O_RDONLY | O_CLOEXEC);
		memset(lower, 0, sizeof(lower));
		if (rc >= 0) {
			if (pread(rc, lower, sizeof(lower), 4096) < 0)
				memset(lower, 0, sizeof(lower));
			close(rc);
		}
		if (pread(s.fd_f, buf2, sizeof(buf2), 0) != sizeof(buf2))
			memset(buf2, 1, sizeof(buf2));
		result("copy-file-range",
		       cn == 8192 && n == 0 &&
		       memcmp(lower, buf2, sizeof(lower)) == 0,
		       "copy_file_range(f -> g at 4096, 8192) -> %zd %s; lower g %s the copied range of f; requests: %u (%s)",
		       cn, ename(err),
		       memcmp(lower, buf2, sizeof(lower)) ? "does not hold" :
		       "holds", n, desc);
	}
	close(fd);
	nodeid_teardown(&e, &d, &s);
	env_fini(&e);
	return failures ? 1 : 0;
}

/*
 * The use-after-free behind READ on a backed file: the old series freed
 * the backed fuse_file at release without looking at its reference count,
 * which an asynchronous readahead READ holds.  Hold such READs, close the
 * file, then answer them: with slub_debug the write to the freed object is
 * reported (the validation below forces the check).  On a fixed module no
 * READ reaches the daemon at all.  Run last: it may leave the kernel
 * damaged.
 */
static int check_uaf_readahead(void)
{
	struct nodeid_state s;
	struct daemon d;
	struct env e;
	char first[200], werrs[128];
	unsigned int i, held;
	int fd, before, after, err, v;
	size_t off = 0;

	if (env_init(&e, "uaf"))
		return 2;
	err = nodeid_setup(&e, &d, &s, false);
	if (err) {
		result("uaf-readahead", false, "setup -> %s", ename(err));
		env_fini(&e);
		return 1;
	}
	before = klog_count(slub_pats, NULL, 0);
	pthread_mutex_lock(&d.lock);
	d.hold_reads = true;
	pthread_mutex_unlock(&d.lock);

	fd = open(path(e.mnt, "f"), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		result("uaf-readahead", false, "open -> %s", ename(errno));
		nodeid_teardown(&e, &d, &s);
		env_fini(&e);
		return 1;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
	if (readahead(fd, 0, 65536) != 0)
		fprintf(stderr, "adversary: readahead: %s\n", strerror(errno));
	msleep(300);
	pthread_mutex_lock(&d.lock);
	held = d.nheld;
	pthread_mutex_unlock(&d.lock);
	close(fd);
	msleep(100);

	werrs[0] = '\0';
	pthread_mutex_lock(&d.lock);
	d.hold_reads = false;
	for (i = 0; i < d.nheld; i++) {
		err = reply_err(&d, d.held[i], EIO);
		if (off < sizeof(werrs))
			off += snprintf(werrs + off, sizeof(werrs) - off,
					"%s%s", i ? "," : "", ename(err));
	}
	pthread_mutex_unlock(&d.lock);
	msleep(300);
	v = validate_slabs();
	msleep(200);
	after = klog_count(slub_pats, first, sizeof(first));

	if (held == 0)
		result("uaf-readahead", true,
		       "posix_fadvise(WILLNEED) and readahead() on the backed file (node 2): no READ reached the daemon");
	else
		result("uaf-readahead", false,
		       "%u READ request(s) for backed node 2 (fh 0) reached the daemon; held them, closed the file, then answered them with -EIO -> %s",
		       held, werrs);
	result("uaf-readahead-slab", after == before,
	       "kernel log reports (slub/refcount/BUG/WARNING) before %d, after answering and validating %d kmalloc caches %d%s%s",
	       before, v, after, after != before ? ": " : "",
	       after != before ? first : "");
	nodeid_teardown(&e, &d, &s);
	env_fini(&e);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* The confused deputy: backing attached without privilege              */
/* ------------------------------------------------------------------ */

#define SECRET "root-only secret\n"

/* What the daemon saw answering one name, for the parent */
struct deputy_outcome {
	int ioctl_err;		/* FUSE_DEV_IOC_BPF_RESPONSE with the block */
	int write_err;		/* the plain ENOENT reply through write() */
};

struct deputy_state {
	int fd_rdonly;		/* root-only file, O_RDONLY */
	int fd_path;		/* the other root-only file, O_PATH */
	int report;		/* pipe to the parent, or -1 */
	bool tried[2];
	/* for a daemon thread in the parent (report == -1) */
	bool done;
	struct deputy_outcome out;
};

static void deputy_lookup(struct daemon *d, const struct fuse_in_header *ih,
			  const char *name)
{
	struct deputy_state *s = d->priv;
	struct deputy_outcome o;
	struct stat st;
	int idx = -1;

	if (ih->nodeid == ROOT_ID && strcmp(name, "plain") == 0) {
		/* Plain FUSE still works for an unprivileged daemon */
		plain_stat(d, &st, 5);
		o.ioctl_err = reply_entry(d, ih->unique, 5, &st, EK_PLAIN, -1);
		if (s->report >= 0)
			dprintf(s->report, "plain %d 0\n", o.ioctl_err);
		return;
	}
	if (ih->nodeid == ROOT_ID && strcmp(name, "victim") == 0)
		idx = 0;
	else if (ih->nodeid == ROOT_ID && strcmp(name, "victim-path") == 0)
		idx = 1;
	if (idx < 0 || s->tried[idx]) {
		reply_err(d, ih->unique, ENOENT);
		return;
	}
	s->tried[idx] = true;
	o.ioctl_err = reply_backed(d, ih->unique, 10 + idx,
				   idx ? s->fd_path : s->fd_rdonly);
	/* Refused means still pending: a plain reply must be accepted */
	o.write_err = reply_err(d, ih->unique, ENOENT);
	if (s->report >= 0) {
		dprintf(s->report, "%s %d %d\n", name, o.ioctl_err,
			o.write_err);
		return;
	}
	pthread_mutex_lock(&d->lock);
	s->out = o;
	s->done = true;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

/* One line from the daemon child, within 10 s */
static int read_report(int fd, char *line, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t n = 0;

	while (n + 1 < len) {
		if (poll(&p, 1, 10000) <= 0 || read(fd, line + n, 1) != 1)
			return -1;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	return 0;
}

/*
 * Root, the victim, writes to and chmods what the daemon offered as
 * @name; the root-only file behind @secret must stay as it was.
 */
static void deputy_victim(const char *prefix, const char *mnt,
			  const char *name, const char *secret)
{
	char before[64], after[64], rname[64];
	struct stat sb, sa;
	int oe, ce;

	read_file(secret, before, sizeof(before));
	stat(secret, &sb);
	oe = try_open(path(mnt, name), O_WRONLY, "OVERWRITTEN BY ROOT\n");
	ce = err_of(chmod(path(mnt, name), 0666));
	read_file(secret, after, sizeof(after));
	stat(secret, &sa);
	snprintf(rname, sizeof(rname), "%s-victim", prefix);
	result(rname, strcmp(before, after) == 0 &&
	       (sa.st_mode & 07777) == (sb.st_mode & 07777),
	       "root through the mount: open(%s, O_WRONLY)+write -> %s, chmod 0666 -> %s; root-only file: content \"%s\" -> \"%s\", mode %04o -> %04o",
	       name, ename(oe), ename(ce), shown(before), shown(after),
	       sb.st_mode & 07777, sa.st_mode & 07777);
}

static void deputy_verdicts(const char *prefix, const char *who,
			    int lookup_err, const struct deputy_outcome *o)
{
	char rname[64];

	snprintf(rname, sizeof(rname), "%s-ioctl", prefix);
	result(rname, o->ioctl_err == EPERM,
	       "FUSE_DEV_IOC_BPF_RESPONSE with a root-only backing fd by %s -> %s (expected EPERM); lookup -> %s",
	       who, ename(o->ioctl_err), ename(lookup_err));
	snprintf(rname, sizeof(rname), "%s-pending", prefix);
	result(rname, o->ioctl_err != 0 && o->write_err == 0,
	       "then a plain ENOENT reply through write() -> %s (expected success: a refused reply leaves the request pending)",
	       ename(o->write_err));
}

/* Two root-only files (0600) in a root-only directory (0700) of @e */
static int deputy_secrets(struct env *e, char *s1, char *s2, size_t len)
{
	char dir[320];

	snprintf(dir, sizeof(dir), "%s/secret", e->lower);
	snprintf(s1, len, "%s/secret/secret1", e->lower);
	snprintf(s2, len, "%s/secret/secret2", e->lower);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return errno;
	if (chmod(dir, 0700) || write_file(s1, SECRET, strlen(SECRET), 0600) ||
	    write_file(s2, SECRET, strlen(SECRET), 0600))
		return EIO;
	return 0;
}

/*
 * root mounts (allow_other, owned by 65534) and hands the connection to a
 * daemon that drops to 65534; the daemon offers root-only files (fds root
 * opened before dropping) as backing.  The ioctl must fail with EPERM, the
 * request stay answerable, and root's writes through the mount must not
 * reach the root-only files.
 */
static int check_deputy(void)
{
	static const char *const names[2] = { "victim", "victim-path" };
	static const char *const prefixes[2] = {
		"deputy-rdonly", "deputy-opath"
	};
	struct deputy_state s = { .report = -1 };
	struct deputy_outcome o;
	char s1[350], s2[350], line[128], nm[32], opts[256];
	const char *secrets[2] = { s1, s2 };
	struct daemon d;
	struct env e;
	struct stat st;
	int devfd, pfd[2], le, n, status, err;
	pid_t pid;

	if (env_init(&e, "deputy"))
		return 2;
	err = deputy_secrets(&e, s1, s2, sizeof(s1));
	s.fd_rdonly = open(s1, O_RDONLY | O_CLOEXEC);
	s.fd_path = open(s2, O_PATH | O_CLOEXEC);
	if (err || s.fd_rdonly < 0 || s.fd_path < 0 ||
	    pipe2(pfd, O_CLOEXEC) != 0) {
		fprintf(stderr, "adversary: deputy setup: %s\n",
			strerror(errno));
		env_fini(&e);
		return 2;
	}
	devfd = open(fuse_dev, O_RDWR | O_CLOEXEC);
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=%d,group_id=%d,allow_other",
		 devfd, NOBODY, NOBODY);
	if (devfd < 0 || mount("adversary", e.mnt, fuse_fstype,
			       MS_NOSUID | MS_NODEV, opts) != 0) {
		result("deputy-mount", false, "mount -> %s", ename(errno));
		env_fini(&e);
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		daemon_init(&d, deputy_lookup, &s);
		d.fd = devfd;
		s.report = pfd[1];
		if (drop_privs() || geteuid() != NOBODY) {
			dprintf(pfd[1], "drop-failed %d 0\n", errno);
			_exit(2);
		}
		serve(&d);
		_exit(0);
	}
	close(pfd[1]);
	close(devfd);
	close(s.fd_rdonly);
	close(s.fd_path);

	/* Each name: the lookup, then what the daemon saw */
	for (n = 0; n < 2; n++) {
		le = err_of(stat(path(e.mnt, names[n]), &st));
		o.ioctl_err = o.write_err = -1;
		if (read_report(pfd[0], line, sizeof(line)) == 0 &&
		    sscanf(line, "%31s %d %d", nm, &o.ioctl_err,
			   &o.write_err) == 3 && strcmp(nm, names[n]) != 0)
			o.ioctl_err = o.write_err = -1;
		deputy_verdicts(prefixes[n],
				n ? "a uid 65534 daemon (O_PATH fd)" :
				"a uid 65534 daemon (O_RDONLY fd)", le, &o);
		deputy_victim(prefixes[n], e.mnt, names[n], secrets[n]);
	}
	le = err_of(stat(path(e.mnt, "plain"), &st));
	result("deputy-plain-fuse", le == 0,
	       "a plain entry (write()) from the uid 65534 daemon: stat -> %s",
	       ename(le));
	if (umount2(e.mnt, 0) != 0) {
		result("deputy-umount", false, "umount -> %s", ename(errno));
		umount2(e.mnt, MNT_DETACH);
	}
	status = wait_ms(pid, 10000);
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	close(pfd[0]);
	env_fini(&e);
	return failures ? 1 : 0;
}

/* Receive one fd over a unix socket */
static int recv_fd(int sock)
{
	char c, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	return fd;
}

static int send_fd(int sock, int fd)
{
	char c = 'f', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : errno;
}

/*
 * The opener check: uid 65534 opens /dev/fuse and passes the fd to root,
 * which mounts it and does the ioctl itself (a privileged process tricked
 * into acting on an attacker's connection).  EPERM: the opener has no
 * CAP_SYS_ADMIN.
 */
static int check_deputy_opener(void)
{
	struct deputy_state s = { .report = -1, .fd_path = -1 };
	char s1[350], s2[350];
	struct timespec until;
	struct daemon d;
	struct env e;
	struct stat st;
	int sv[2], devfd, err, le, status;
	pid_t pid;

	if (env_init(&e, "deputy-opener"))
		return 2;
	err = deputy_secrets(&e, s1, s2, sizeof(s1));
	s.fd_rdonly = open(s1, O_RDONLY | O_CLOEXEC);
	if (err || s.fd_rdonly < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		env_fini(&e);
		return 2;
	}
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		if (drop_privs())
			_exit(3);
		devfd = open(fuse_dev, O_RDWR);
		if (devfd < 0)
			_exit(errno < 250 ? errno : 250);
		_exit(send_fd(sv[1], devfd) ? 4 : 0);
	}
	close(sv[1]);
	devfd = recv_fd(sv[0]);
	close(sv[0]);
	waitpid(pid, &status, 0);
	if (devfd < 0) {
		result("deputy-opener-ioctl", false,
		       "uid 65534 could not open /dev/fuse and pass it (child status %d: errno or step)",
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		close(s.fd_rdonly);
		env_fini(&e);
		return 1;
	}
	daemon_init(&d, deputy_lookup, &s);
	err = daemon_start(&d, devfd, e.mnt, -1, NULL);
	if (err) {
		result("deputy-opener-ioctl", false,
		       "root's mount of the uid 65534 /dev/fuse fd -> %s",
		       ename(err));
		close(s.fd_rdonly);
		env_fini(&e);
		return 1;
	}
	le = err_of(stat(path(e.mnt, "victim"), &st));
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&d.lock);
	while (!s.done &&
	       pthread_cond_timedwait(&d.cond, &d.lock, &until) == 0)
		;
	if (!s.done)
		s.out.ioctl_err = s.out.write_err = -1;
	pthread_mutex_unlock(&d.lock);
	deputy_verdicts("deputy-opener",
			"root, on a /dev/fuse fd opened by uid 65534", le,
			&s.out);
	deputy_victim("deputy-opener", e.mnt, "victim", s1);
	err = daemon_stop(&d, e.mnt);
	if (err)
		result("deputy-opener-umount", false, "umount -> %s",
		       ename(err));
	close(s.fd_rdonly);
	env_fini(&e);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* User namespaces                                                    */
/* ------------------------------------------------------------------ */

static int write_proc(const char *p, const char *text)
{
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : errno ? errno : EIO;
}

static void userns_child(struct env *e, const char *sysctl)
{
	char opts[256];
	int err, devfd, lfd;

	err = drop_privs();
	if (!err && unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
		err = errno;
	if (err) {
		skip("userns-no-daemon",
		     "uid 65534 cannot unshare(CLONE_NEWUSER|CLONE_NEWNS): %s (unprivileged_userns_clone=%s)",
		     ename(err), sysctl);
		skip("userns-root-dir", "no user namespace (%s)", ename(err));
		_exit(0);
	}
	err = write_proc("/proc/self/setgroups", "deny");
	err = err ? err : write_proc("/proc/self/uid_map", "0 65534 1\n");
	err = err ? err : write_proc("/proc/self/gid_map", "0 65534 1\n");
	if (!err && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		err = errno;
	if (err) {
		result("userns-setup", false, "id maps or private / -> %s",
		       ename(err));
		_exit(1);
	}

	/* Control: a plain FUSE mount works in the user namespace */
	devfd = open(fuse_dev, O_RDWR | O_CLOEXEC);
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0",
		 devfd);
	err = devfd < 0 ? errno :
	      err_of(mount("adversary", e->mnt, fuse_fstype,
			   MS_NOSUID | MS_NODEV, opts));
	if (!err)
		umount2(e->mnt, MNT_DETACH);
	if (devfd >= 0)
		close(devfd);
	result("userns-plain-control", err == 0,
	       "plain fd= FUSE mount in the user namespace (uid 65534 outside) -> %s",
	       ename(err));

	lfd = open(e->lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(opts, sizeof(opts),
		 "no_daemon,root_dir=%d,rootmode=40000,user_id=0,group_id=0",
		 lfd);
	err = lfd < 0 ? errno :
	      err_of(mount("adversary", e->mnt, fuse_fstype,
			   MS_NOSUID | MS_NODEV, opts));
	if (!err)
		umount2(e->mnt, MNT_DETACH);
	result("userns-no-daemon", err == EPERM,
	       "mount no_daemon,root_dir= as root of a user namespace -> %s (expected EPERM)",
	       ename(err));

	devfd = open(fuse_dev, O_RDWR | O_CLOEXEC);
	snprintf(opts, sizeof(opts),
		 "fd=%d,root_dir=%d,rootmode=40000,user_id=0,group_id=0",
		 devfd, lfd);
	err = devfd < 0 ? errno :
	      err_of(mount("adversary", e->mnt, fuse_fstype,
			   MS_NOSUID | MS_NODEV, opts));
	if (!err)
		umount2(e->mnt, MNT_DETACH);
	result("userns-root-dir", err == EPERM,
	       "mount fd=,root_dir= as root of a user namespace -> %s (expected EPERM)",
	       ename(err));
	_exit(failures ? 1 : 0);
}

/* no_daemon and root_dir= need CAP_SYS_ADMIN in the initial namespace */
static int check_userns(void)
{
	const char *knob = "/proc/sys/kernel/unprivileged_userns_clone";
	char sysctl[16] = "absent";
	struct env e;
	int status;
	pid_t pid;

	if (env_init(&e, "userns"))
		return 2;
	/* Debian's switch for unprivileged user namespaces */
	if (access(knob, F_OK) == 0) {
		write_proc(knob, "1");
		if (read_file(knob, sysctl, sizeof(sysctl)) > 0)
			sysctl[strcspn(sysctl, "\n")] = '\0';
	}
	chmod(e.dir, 0777);
	chmod(e.lower, 0777);
	chmod(e.mnt, 0777);
	pid = fork();
	if (pid == 0)
		userns_child(&e, sysctl);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		result("userns-child", false, "the namespace child died");
	else if (WEXITSTATUS(status))
		failures++;
	env_fini(&e);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* Append-only and immutable lower files                              */
/* ------------------------------------------------------------------ */

#define APP_TEXT "0123456789"
#define LATE_TEXT "abcdefghij"

/* PASS when the lower file still starts with @orig (appends only) */
static void content_kept(const char *name, const char *p, const char *orig)
{
	char buf[256];
	ssize_t n = read_file(p, buf, sizeof(buf));

	result(name, n >= (ssize_t)strlen(orig) &&
	       strncmp(buf, orig, strlen(orig)) == 0,
	       "lower file now \"%s\" (was \"%s\"; only appends allowed)",
	       shown(buf), shown(orig));
}

/* Give lower file @name the content @text again and set @flag on it */
static void refresh(struct env *e, const char *name, const char *text,
		    int flag)
{
	chflags(path(e->lower, name), 0, flag);
	write_text(path(e->lower, name), text);
	chflags(path(e->lower, name), flag, 0);
}

/*
 * One step on a fresh append-only file: @got is the errno of the step;
 * EPERM required and the lower content unchanged.
 */
static void append_step(struct env *e, const char *rname, const char *name,
			const char *text, int got, const char *what)
{
	char buf[256];

	read_file(path(e->lower, name), buf, sizeof(buf));
	result(rname, got == EPERM && strcmp(buf, text) == 0,
	       "%s -> %s (expected EPERM); lower file \"%s\" (was \"%s\")",
	       what, ename(got), shown(buf), text);
}

static void append_only_checks(struct env *e)
{
	char before[256], after[256], what[128];
	int fd, fl, err;
	ssize_t n;

	refresh(e, "app", APP_TEXT, ADV_APPEND_FL);
	append_step(e, "append-only-open-wronly", "app", APP_TEXT,
		    try_open(path(e->mnt, "app"), O_WRONLY, "XX"),
		    "open(O_WRONLY) without O_APPEND (then pwrite \"XX\" at 0)");
	refresh(e, "app", APP_TEXT, ADV_APPEND_FL);
	append_step(e, "append-only-open-trunc", "app", APP_TEXT,
		    try_open(path(e->mnt, "app"),
			     O_WRONLY | O_APPEND | O_TRUNC, NULL),
		    "open(O_WRONLY|O_APPEND|O_TRUNC)");
	refresh(e, "app", APP_TEXT, ADV_APPEND_FL);
	append_step(e, "append-only-truncate", "app", APP_TEXT,
		    err_of(truncate(path(e->mnt, "app"), 4)), "truncate(4)");

	refresh(e, "app", APP_TEXT, ADV_APPEND_FL);
	fd = open(path(e->mnt, "app"), O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0) {
		result("append-only-ftruncate", false,
		       "open(O_WRONLY|O_APPEND) -> %s", ename(errno));
		return;
	}
	append_step(e, "append-only-ftruncate", "app", APP_TEXT,
		    err_of(ftruncate(fd, 4)), "ftruncate(4) on an O_APPEND fd");
	close(fd);

	refresh(e, "app", APP_TEXT, ADV_APPEND_FL);
	fd = open(path(e->mnt, "app"), O_WRONLY | O_APPEND | O_CLOEXEC);
	n = fd < 0 ? -1 : pwrite(fd, "AB", 2, 0);
	read_file(path(e->lower, "app"), after, sizeof(after));
	snprintf(before, sizeof(before), "%sAB", APP_TEXT);
	result("append-only-pwrite-appends",
	       n == 2 && strcmp(before, after) == 0,
	       "pwrite(\"AB\", offset 0) on an O_APPEND fd -> %zd; lower file \"%s\" (expected \"%s\")",
	       n, shown(after), shown(before));
	if (fd >= 0)
		close(fd);

	refresh(e, "app", APP_TEXT, ADV_APPEND_FL);
	fd = open(path(e->mnt, "app"), O_WRONLY | O_APPEND | O_CLOEXEC);
	fl = fd < 0 ? 0 : fcntl(fd, F_GETFL);
	err = fd < 0 ? EBADF : err_of(fcntl(fd, F_SETFL, fl & ~O_APPEND));
	what[0] = '\0';
	if (!err) {
		/* Cleared: does a write at 0 now overwrite? */
		n = pwrite(fd, "CD", 2, 0);
		read_file(path(e->lower, "app"), after, sizeof(after));
		snprintf(what, sizeof(what),
			 "; then pwrite(\"CD\", 0) -> %zd, lower file \"%s\"",
			 n, shown(after));
	}
	result("append-only-setfl", err == EPERM,
	       "fcntl(F_SETFL) clearing O_APPEND on an O_APPEND fd -> %s (expected EPERM)%s",
	       ename(err), what);
	if (fd >= 0)
		close(fd);
}

static void immutable_checks(struct env *e)
{
	expect("immutable-open-write",
	       try_open(path(e->mnt, "imm"), O_WRONLY, "XX"), EPERM,
	       "open(O_WRONLY)");
	expect("immutable-truncate", err_of(truncate(path(e->mnt, "imm"), 0)),
	       EPERM, "truncate(0)");
	expect("immutable-unlink", err_of(unlink(path(e->mnt, "imm"))), EPERM,
	       "unlink");
	expect("immutable-rename",
	       err_of(rename(path(e->mnt, "imm"), path(e->mnt, "imm-moved"))),
	       EPERM, "rename");
	expect("immutable-chmod", err_of(chmod(path(e->mnt, "imm"), 0600)),
	       EPERM, "chmod 0600");
	expect("immutable-setxattr",
	       err_of(setxattr(path(e->mnt, "imm"), "trusted.adversary", "x",
			       1, 0)), EPERM, "setxattr trusted.adversary");
	expect("immutable-link",
	       err_of(link(path(e->mnt, "imm"), path(e->mnt, "imm-link"))),
	       EPERM, "link");
	expect("immutable-utimes",
	       err_of(utimensat(AT_FDCWD, path(e->mnt, "imm"), NULL, 0)),
	       EPERM, "utimensat(NULL)");
	content_kept("immutable-content", path(e->lower, "imm"),
		     "immutable\n");
}

/*
 * A lower file made append-only or immutable (chattr +a/+i on tmpfs),
 * reached through a root_dir= mount: the lower file's rules hold through
 * the mount, also when the flag is set after the file was looked up and
 * opened there.
 */
static int check_append_only(void)
{
	struct daemon d;
	struct env e;
	int err, rfd1, rfd2;

	if (env_init(&e, "append-only"))
		return 2;
	if (write_text(path(e.lower, "app"), APP_TEXT) ||
	    write_text(path(e.lower, "late"), LATE_TEXT) ||
	    write_text(path(e.lower, "imm"), "immutable\n") ||
	    write_text(path(e.lower, "imml"), "immutable late\n")) {
		env_fini(&e);
		return 2;
	}
	err = chflags(path(e.lower, "app"), ADV_APPEND_FL, 0);
	err = err ? err : chflags(path(e.lower, "imm"), ADV_IMMUTABLE_FL, 0);
	if (err) {
		skip("append-only", "chattr on tmpfs -> %s", ename(err));
		env_fini(&e);
		return 0;
	}
	if (start_rootdir(&d, &e, "append-only")) {
		env_fini(&e);
		return 1;
	}
	append_only_checks(&e);
	immutable_checks(&e);

	/* Flags set underneath a file already looked up and open */
	rfd1 = open(path(e.mnt, "late"), O_RDONLY | O_CLOEXEC);
	rfd2 = open(path(e.mnt, "imml"), O_RDONLY | O_CLOEXEC);
	chflags(path(e.lower, "late"), ADV_APPEND_FL, 0);
	chflags(path(e.lower, "imml"), ADV_IMMUTABLE_FL, 0);
	append_step(&e, "append-only-late-open-wronly", "late", LATE_TEXT,
		    try_open(path(e.mnt, "late"), O_WRONLY, "XX"),
		    "+a set after lookup and open: open(O_WRONLY) (then pwrite \"XX\" at 0)");
	refresh(&e, "late", LATE_TEXT, ADV_APPEND_FL);
	append_step(&e, "append-only-late-truncate", "late", LATE_TEXT,
		    err_of(truncate(path(e.mnt, "late"), 2)),
		    "+a set after lookup and open: truncate(2)");
	expect("immutable-late-open-write",
	       try_open(path(e.mnt, "imml"), O_WRONLY, "XX"), EPERM,
	       "+i set after lookup and open: open(O_WRONLY)");
	expect("immutable-late-chmod", err_of(chmod(path(e.mnt, "imml"), 0600)),
	       EPERM, "+i set after lookup and open: chmod");
	expect("immutable-late-truncate",
	       err_of(truncate(path(e.mnt, "imml"), 0)), EPERM,
	       "+i set after lookup and open: truncate(0)");
	expect("immutable-late-unlink", err_of(unlink(path(e.mnt, "imml"))),
	       EPERM, "+i set after lookup and open: unlink");
	content_kept("immutable-late-content", path(e.lower, "imml"),
		     "immutable late\n");
	if (rfd1 >= 0)
		close(rfd1);
	if (rfd2 >= 0)
		close(rfd2);

	stop_quiet(&d, e.mnt, "append-only");
	chflags(path(e.lower, "app"), 0, ADV_APPEND_FL);
	chflags(path(e.lower, "late"), 0, ADV_APPEND_FL);
	chflags(path(e.lower, "imm"), 0, ADV_IMMUTABLE_FL);
	chflags(path(e.lower, "imml"), 0, ADV_IMMUTABLE_FL);
	env_fini(&e);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* rootmode against the root_dir type                                 */
/* ------------------------------------------------------------------ */

/*
 * root_dir= names a directory, rootmode= says regular file: the mount must
 * be refused (EINVAL).  If it is not, truncate() of the mount root reaches
 * the directory; its 400 entries must survive all of it.  The mount point
 * is a regular file, so that the VFS does not refuse the mount first.
 */
static int check_rootmode(void)
{
	char big[350], mntfile[300], opts[256], what[96];
	struct daemon d;
	struct env e;
	int i, lfd, err, te, n;

	if (env_init(&e, "rootmode"))
		return 2;
	snprintf(big, sizeof(big), "%s/big", e.lower);
	snprintf(mntfile, sizeof(mntfile), "%s/mntfile", e.dir);
	mkdir(big, 0755);
	for (i = 0; i < 400; i++) {
		char name[16];

		snprintf(name, sizeof(name), "e%03d", i);
		if (write_text(path(big, name), name)) {
			env_fini(&e);
			return 2;
		}
	}
	lfd = open(big, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (write_text(mntfile, "") || lfd < 0) {
		env_fini(&e);
		return 2;
	}

	snprintf(opts, sizeof(opts),
		 "no_daemon,root_dir=%d,rootmode=100644,user_id=0,group_id=0",
		 lfd);
	err = err_of(mount("adversary", mntfile, fuse_fstype,
			   MS_NOSUID | MS_NODEV, opts));
	what[0] = '\0';
	if (!err) {
		te = err_of(truncate(mntfile, 0));
		snprintf(what, sizeof(what),
			 "; mounted: truncate(root) -> %s, umount -> %s",
			 ename(te), ename(err_of(umount2(mntfile, 0))));
		umount2(mntfile, MNT_DETACH);
	}
	result("rootmode-no-daemon", err == EINVAL,
	       "mount no_daemon,root_dir=<directory>,rootmode=100644 -> %s (expected EINVAL)%s",
	       ename(err), what);

	daemon_init(&d, NULL, NULL);
	err = daemon_start(&d, -1, mntfile, lfd, "100644");
	what[0] = '\0';
	if (!err) {
		te = err_of(truncate(mntfile, 0));
		snprintf(what, sizeof(what),
			 "; mounted: truncate(root) -> %s, umount -> %s",
			 ename(te), ename(daemon_stop(&d, mntfile)));
	}
	result("rootmode-fd", err == EINVAL,
	       "mount fd=,root_dir=<directory>,rootmode=100644 -> %s (expected EINVAL)%s",
	       ename(err), what);
	close(lfd);

	n = count_entries(big);
	result("rootmode-entries", n == 400,
	       "entries of the root_dir directory after the attempts: %d (expected 400)",
	       n);
	env_fini(&e);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* RWF_APPEND                                                         */
/* ------------------------------------------------------------------ */

/* pwritev2(RWF_APPEND) on an fd without O_APPEND appends (per write) */
static int check_rwf_append(void)
{
	char buf[64];
	struct iovec iov = { "APPEND", 6 };
	struct daemon d;
	struct env e;
	ssize_t n;
	int fd, err;

	if (env_init(&e, "rwf-append"))
		return 2;
	if (write_text(path(e.lower, "r"), "0123456789")) {
		env_fini(&e);
		return 2;
	}
	if (start_rootdir(&d, &e, "rwf-append")) {
		env_fini(&e);
		return 1;
	}
	fd = open(path(e.mnt, "r"), O_WRONLY | O_CLOEXEC);
	n = -1;
	err = errno;
	if (fd >= 0) {
		n = pwritev2(fd, &iov, 1, 0, RWF_APPEND);
		err = err_of(n);
		close(fd);
	}
	read_file(path(e.lower, "r"), buf, sizeof(buf));
	result("rwf-append", n == 6 && strcmp(buf, "0123456789APPEND") == 0,
	       "pwritev2(\"APPEND\", offset 0, RWF_APPEND) on an O_WRONLY fd -> %zd %s; lower file \"%s\" (expected \"0123456789APPEND\")",
	       n, ename(err), shown(buf));
	stop_quiet(&d, e.mnt, "rwf-append");
	env_fini(&e);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* Replacing the backing of a node, and a daemon that dies              */
/* ------------------------------------------------------------------ */

#define TEXT_A "content of A\n"
#define TEXT_B "content of B\n"
#define TEXT_DAEMON "daemon node\n"

struct replace_state {
	int fd_a, fd_b, fd_dir;
	int stage;	/* 0: f backed by A, 1: by B, 2: REMOVE_BACKING */
};

static void replace_lookup(struct daemon *d, const struct fuse_in_header *ih,
			   const char *name)
{
	struct replace_state *s = d->priv;
	struct stat st;
	int err = ENOENT, stage;

	pthread_mutex_lock(&d->lock);
	stage = s->stage;
	pthread_mutex_unlock(&d->lock);
	if (ih->nodeid == ROOT_ID && strcmp(name, "f") == 0) {
		if (stage == 2) {
			plain_stat(d, &st, 2);
			err = reply_entry(d, ih->unique, 2, &st, EK_REMOVE, -1);
		} else {
			err = reply_backed(d, ih->unique, 2,
					   stage ? s->fd_b : s->fd_a);
		}
	} else if (ih->nodeid == ROOT_ID && strcmp(name, "d") == 0 &&
		   s->fd_dir >= 0) {
		err = reply_backed(d, ih->unique, 3, s->fd_dir);
	}
	if (err)
		reply_err(d, ih->unique, err);
}

/* FUSE_NOTIFY_INVAL_ENTRY for a name in the root */
static int inval_root_entry(struct daemon *d, const char *name)
{
	struct {
		struct fuse_notify_inval_entry_out out;
		char name[32];
	} n;

	memset(&n, 0, sizeof(n));
	n.out.parent = ROOT_ID;
	n.out.namelen = strlen(name);
	strcpy(n.name, name);
	return notify(d, FUSE_NOTIFY_INVAL_ENTRY, &n,
		      sizeof(n.out) + n.out.namelen + 1);
}

static void set_stage(struct daemon *d, struct replace_state *s, int stage)
{
	pthread_mutex_lock(&d->lock);
	s->stage = stage;
	pthread_mutex_unlock(&d->lock);
}

/*
 * The daemon gives node 2 a new backing (B, then REMOVE_BACKING) while the
 * client holds a file opened on the old backing and a POSIX lock on it:
 * the old fd keeps working or fails with EIO, never writes into the new
 * backing, and closing it releases the lock (no "Leaked POSIX lock").
 */
static int check_replace_backing(void)
{
	struct replace_state s = { .fd_dir = -1 };
	char buf[64], a[64], b[64], first[200];
	struct daemon d;
	struct env e;
	struct stat st;
	int fd1, fd2, fd3, ne, le, ls, ls2, k0, k1, err;
	ssize_t n;

	if (env_init(&e, "replace-backing"))
		return 2;
	err = write_text(path(e.lower, "A"), TEXT_A);
	err = err ? err : write_text(path(e.lower, "B"), TEXT_B);
	s.fd_a = open(path(e.lower, "A"), O_RDONLY | O_CLOEXEC);
	s.fd_b = open(path(e.lower, "B"), O_RDONLY | O_CLOEXEC);
	if (err || s.fd_a < 0 || s.fd_b < 0) {
		env_fini(&e);
		return 2;
	}
	daemon_init(&d, replace_lookup, &s);
	d.plain_text = TEXT_DAEMON;
	err = daemon_start(&d, -1, e.mnt, -1, NULL);
	if (err) {
		result("replace-backing-mount", false, "mount -> %s",
		       ename(err));
		env_fini(&e);
		return 1;
	}

	/* fd1 on A, with a POSIX lock */
	fd1 = open(path(e.mnt, "f"), O_RDWR | O_CLOEXEC);
	n = fd1 < 0 ? -1 : pread(fd1, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	le = fd1 < 0 ? EBADF : set_lock(fd1);
	ls = lock_state(path(e.lower, "A"));

	/* Node 2 is now backed by B */
	set_stage(&d, &s, 1);
	ne = inval_root_entry(&d, "f");
	stat(path(e.mnt, "f"), &st);
	fd2 = open(path(e.mnt, "f"), O_RDWR | O_CLOEXEC);
	n = fd2 < 0 ? -1 : pread(fd2, b, sizeof(b) - 1, 0);
	b[n > 0 ? n : 0] = '\0';
	result("replace-backing-new-open", strcmp(b, TEXT_B) == 0,
	       "fd on A read \"%s\"; NOTIFY_INVAL_ENTRY -> %s; a new open after the daemon backed node 2 with B reads \"%s\" (expected B)",
	       shown(buf), ename(ne), shown(b));

	n = fd1 < 0 ? -1 : pwrite(fd1, "XX", 2, 0);
	err = err_of(n);
	read_file(path(e.lower, "A"), a, sizeof(a));
	read_file(path(e.lower, "B"), b, sizeof(b));
	result("replace-backing-old-fd",
	       strcmp(b, TEXT_B) == 0 &&
	       ((n == 2 && strncmp(a, "XX", 2) == 0) || err == EIO),
	       "pwrite(\"XX\", 0) on the fd opened on A -> %zd %s; A \"%s\", B \"%s\" (B must be unchanged)",
	       n, ename(err), shown(a), shown(b));

	/* Closing the old fd must release its lock on A */
	k0 = klog_count(leaked_pats, NULL, 0);
	err = fd1 < 0 ? EBADF : err_of(close(fd1));
	msleep(100);
	k1 = klog_count(leaked_pats, first, sizeof(first));
	ls2 = lock_state(path(e.lower, "A"));
	result("replace-backing-close-lock",
	       le == 0 && ls == 1 && k1 == k0 && ls2 == 0,
	       "F_SETLK on the fd -> %s, lower A %s while held; close -> %s, lower A %s after; \"Leaked\" kernel messages %d -> %d%s%s",
	       ename(le), lock_name(ls), ename(err), lock_name(ls2), k0, k1,
	       k1 != k0 ? ": " : "", k1 != k0 ? first : "");

	/* REMOVE_BACKING: node 2 becomes a daemon node */
	set_stage(&d, &s, 2);
	ne = inval_root_entry(&d, "f");
	stat(path(e.mnt, "f"), &st);
	fd3 = open(path(e.mnt, "f"), O_RDONLY | O_CLOEXEC);
	n = fd3 < 0 ? -1 : pread(fd3, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	result("replace-backing-remove-new",
	       strcmp(buf, TEXT_DAEMON) == 0 || strcmp(buf, TEXT_B) == 0,
	       "NOTIFY_INVAL_ENTRY -> %s; after REMOVE_BACKING a new open reads \"%s\" (expected the daemon node or B)",
	       ename(ne), shown(buf));
	n = fd2 < 0 ? -1 : pwrite(fd2, "YY", 2, 0);
	err = err_of(n);
	read_file(path(e.lower, "A"), a, sizeof(a));
	read_file(path(e.lower, "B"), b, sizeof(b));
	/* fd2 writes into B (its own backing) or fails; A stays as it was */
	result("replace-backing-remove-old-fd",
	       (strncmp(a, "XX", 2) != 0 ? strcmp(a, TEXT_A) == 0 :
		strcmp(a, "XXntent of A\n") == 0) &&
	       ((n == 2 && strncmp(b, "YY", 2) == 0) || err == EIO),
	       "pwrite(\"YY\", 0) on the fd opened on B -> %zd %s; A \"%s\" (unchanged since), B \"%s\"",
	       n, ename(err), shown(a), shown(b));
	if (fd2 >= 0)
		close(fd2);
	if (fd3 >= 0)
		close(fd3);
	err = daemon_stop(&d, e.mnt);
	if (err)
		result("replace-backing-umount", false, "umount -> %s",
		       ename(err));
	close(s.fd_a);
	close(s.fd_b);
	env_fini(&e);
	return failures ? 1 : 0;
}

/*
 * The daemon dies (SIGKILL) while the client holds backed files (a daemon
 * node, and a node-id-0 child of a backed directory) with POSIX locks:
 * closing them releases the locks without "Leaked" messages, and the
 * mount can be unmounted.
 */
static int check_daemon_kill(void)
{
	struct replace_state s = { .stage = 0 };
	char first[200], ldir[350], opts[128];
	struct daemon d;
	struct env e;
	int devfd, fa, fb, la, lb, sa, sb, k0, k1, ua, ub, err, status;
	ssize_t wa, wb;
	pid_t pid;

	if (env_init(&e, "daemon-kill"))
		return 2;
	snprintf(ldir, sizeof(ldir), "%s/D", e.lower);
	mkdir(ldir, 0755);
	err = write_text(path(e.lower, "F"), "kill f\n");
	err = err ? err : write_text(path(ldir, "g"), "kill g\n");
	s.fd_a = open(path(e.lower, "F"), O_RDONLY | O_CLOEXEC);
	s.fd_dir = open(ldir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (err || s.fd_a < 0 || s.fd_dir < 0) {
		env_fini(&e);
		return 2;
	}
	s.fd_b = s.fd_a;
	devfd = open(fuse_dev, O_RDWR | O_CLOEXEC);
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0",
		 devfd);
	if (devfd < 0 || mount("adversary", e.mnt, fuse_fstype,
			       MS_NOSUID | MS_NODEV, opts) != 0) {
		result("daemon-kill-mount", false, "mount -> %s", ename(errno));
		env_fini(&e);
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		daemon_init(&d, replace_lookup, &s);
		d.fd = devfd;
		serve(&d);
		_exit(0);
	}
	close(devfd);

	fa = open(path(e.mnt, "f"), O_RDWR | O_CLOEXEC);
	fb = open(path(e.mnt, "d/g"), O_RDWR | O_CLOEXEC);
	la = fa < 0 ? errno : set_lock(fa);
	lb = fb < 0 ? errno : set_lock(fb);
	sa = lock_state(path(e.lower, "F"));
	sb = lock_state(path(ldir, "g"));

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	msleep(100);
	wa = fa < 0 ? -1 : pwrite(fa, "K", 1, 0);
	wb = fb < 0 ? -1 : pwrite(fb, "K", 1, 0);
	k0 = klog_count(leaked_pats, NULL, 0);
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	msleep(100);
	k1 = klog_count(leaked_pats, first, sizeof(first));
	ua = lock_state(path(e.lower, "F"));
	ub = lock_state(path(ldir, "g"));
	result("daemon-kill-close",
	       la == 0 && lb == 0 && sa == 1 && sb == 1 && ua == 0 &&
	       ub == 0 && k1 == k0,
	       "F_SETLK on f (node 2) -> %s, on d/g (node 0) -> %s; lower %s/%s while held; after SIGKILL of the daemon pwrite -> %zd/%zd, after close lower %s/%s; \"Leaked\" kernel messages %d -> %d%s%s",
	       ename(la), ename(lb), lock_name(sa), lock_name(sb), wa, wb,
	       lock_name(ua), lock_name(ub), k0, k1, k1 != k0 ? ": " : "",
	       k1 != k0 ? first : "");
	err = err_of(umount2(e.mnt, 0));
	if (err)
		umount2(e.mnt, MNT_DETACH);
	result("daemon-kill-umount", err == 0,
	       "umount after the daemon died -> %s", ename(err));
	close(s.fd_a);
	close(s.fd_dir);
	env_fini(&e);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* Notifications naming node id 0                                     */
/* ------------------------------------------------------------------ */

#define NOTIFY_TEXT "notify data\n"

/*
 * Children of a root_dir= mount have node id 0, which the daemon never
 * handed out: a notification naming node id 0 must fail (EINVAL or
 * ENOENT) and change nothing.  1000 node-id-0 inodes exist meanwhile, so
 * that one may share the inode hash bucket of 0.
 */
static int check_notify(void)
{
	struct {
		union {
			struct fuse_notify_inval_inode_out ii;
			struct fuse_notify_store_out st;
			struct fuse_notify_inval_entry_out ie;
			struct fuse_notify_delete_out de;
		};
		char data[32];
	} n;
	char many[350], buf[64], lbuf[64];
	struct daemon d;
	struct env e;
	struct stat st;
	int i, err, cnt = 0;
	size_t len;

	if (env_init(&e, "notify"))
		return 2;
	snprintf(many, sizeof(many), "%s/many", e.lower);
	mkdir(many, 0755);
	if (write_text(path(e.lower, "data"), NOTIFY_TEXT)) {
		env_fini(&e);
		return 2;
	}
	for (i = 0; i < 1000; i++) {
		char name[16];

		snprintf(name, sizeof(name), "n%04d", i);
		if (write_text(path(many, name), "x")) {
			env_fini(&e);
			return 2;
		}
	}
	if (start_rootdir(&d, &e, "notify")) {
		env_fini(&e);
		return 1;
	}
	read_file(path(e.mnt, "data"), buf, sizeof(buf));
	for (i = 0; i < 1000; i++) {
		char name[24];

		snprintf(name, sizeof(name), "many/n%04d", i);
		cnt += stat(path(e.mnt, name), &st) == 0;
	}

	memset(&n, 0, sizeof(n));
	n.ii.ino = 0;
	n.ii.off = 0;
	n.ii.len = -1;
	err = notify(&d, FUSE_NOTIFY_INVAL_INODE, &n, sizeof(n.ii));
	result("notify-inval-inode-0", err == EINVAL || err == ENOENT,
	       "FUSE_NOTIFY_INVAL_INODE for node id 0 -> %s (expected EINVAL or ENOENT; %d node-id-0 inodes)",
	       ename(err), cnt);

	memset(&n, 0, sizeof(n));
	n.st.nodeid = 0;
	n.st.offset = 0;
	n.st.size = 5;
	memcpy((char *)&n + sizeof(n.st), "EVIL!", 5);
	err = notify(&d, FUSE_NOTIFY_STORE, &n, sizeof(n.st) + 5);
	result("notify-store-0", err == EINVAL || err == ENOENT,
	       "FUSE_NOTIFY_STORE of 5 bytes into node id 0 -> %s (expected EINVAL or ENOENT)",
	       ename(err));

	memset(&n, 0, sizeof(n));
	n.ie.parent = 0;
	n.ie.namelen = 4;
	len = sizeof(n.ie);
	memcpy((char *)&n + len, "data", 5);
	err = notify(&d, FUSE_NOTIFY_INVAL_ENTRY, &n, len + 5);
	result("notify-inval-entry-0", err == EINVAL || err == ENOENT,
	       "FUSE_NOTIFY_INVAL_ENTRY of \"data\" in parent 0 -> %s (expected EINVAL or ENOENT)",
	       ename(err));

	memset(&n, 0, sizeof(n));
	n.de.parent = 0;
	n.de.child = 0;
	n.de.namelen = 4;
	len = sizeof(n.de);
	memcpy((char *)&n + len, "data", 5);
	err = notify(&d, FUSE_NOTIFY_DELETE, &n, len + 5);
	result("notify-delete-0", err == EINVAL || err == ENOENT,
	       "FUSE_NOTIFY_DELETE of \"data\" (parent 0, child 0) -> %s (expected EINVAL or ENOENT)",
	       ename(err));

	read_file(path(e.mnt, "data"), buf, sizeof(buf));
	read_file(path(e.lower, "data"), lbuf, sizeof(lbuf));
	i = count_entries(path(e.mnt, "many"));
	result("notify-content",
	       strcmp(buf, NOTIFY_TEXT) == 0 && strcmp(lbuf, NOTIFY_TEXT) == 0 &&
	       i == 1000,
	       "after the notifications: data through the mount \"%s\", lower \"%s\", %d entries listed in many/ (expected 1000)",
	       shown(buf), shown(lbuf), i);
	stop_quiet(&d, e.mnt, "notify");
	env_fini(&e);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* A read-only lower mount                                            */
/* ------------------------------------------------------------------ */

/*
 * The backing tree is a read-only bind mount: every change through the
 * fuse-bpf mount fails with EROFS, as it does on the bind mount directly.
 */
static int check_lower_ro(void)
{
	char ro[300], buf[64];
	struct daemon d;
	struct env e;
	int lfd, err, n;

	if (env_init(&e, "lower-ro"))
		return 2;
	snprintf(ro, sizeof(ro), "%s/ro", e.dir);
	mkdir(ro, 0755);
	mkdir(path(e.lower, "d"), 0755);
	if (write_text(path(e.lower, "f"), "ro file\n") ||
	    mount(e.lower, ro, NULL, MS_BIND, NULL) != 0) {
		env_fini(&e);
		return 2;
	}
	if (mount(NULL, ro, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL)) {
		result("lower-ro-setup", false, "remount,bind,ro -> %s",
		       ename(errno));
		umount2(ro, MNT_DETACH);
		env_fini(&e);
		return 1;
	}
	expect("lower-ro-direct", try_open(path(ro, "f"), O_WRONLY, NULL),
	       EROFS, "control: open(O_WRONLY) on the bind mount itself");

	daemon_init(&d, NULL, NULL);
	lfd = open(ro, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = lfd < 0 ? errno : daemon_start(&d, -1, e.mnt, lfd, NULL);
	if (lfd >= 0)
		close(lfd);
	if (err) {
		result("lower-ro-mount", false, "root_dir= mount -> %s",
		       ename(err));
		umount2(ro, MNT_DETACH);
		env_fini(&e);
		return 1;
	}
	expect("lower-ro-open-write", try_open(path(e.mnt, "f"), O_WRONLY,
					       "XX"), EROFS, "open(O_WRONLY)");
	expect("lower-ro-create",
	       try_open(path(e.mnt, "new"), O_WRONLY | O_CREAT, NULL), EROFS,
	       "open(O_CREAT)");
	expect("lower-ro-tmpfile", try_open(e.mnt, O_TMPFILE | O_RDWR, NULL),
	       EROFS, "open(O_TMPFILE)");
	expect("lower-ro-mkdir", err_of(mkdir(path(e.mnt, "nd"), 0755)), EROFS,
	       "mkdir");
	expect("lower-ro-mknod",
	       err_of(mknod(path(e.mnt, "fifo"), S_IFIFO | 0644, 0)), EROFS,
	       "mknod(S_IFIFO)");
	expect("lower-ro-symlink", err_of(symlink("f", path(e.mnt, "sym"))),
	       EROFS, "symlink");
	expect("lower-ro-link",
	       err_of(link(path(e.mnt, "f"), path(e.mnt, "lnk"))), EROFS,
	       "link");
	expect("lower-ro-unlink", err_of(unlink(path(e.mnt, "f"))), EROFS,
	       "unlink");
	expect("lower-ro-rmdir", err_of(rmdir(path(e.mnt, "d"))), EROFS,
	       "rmdir");
	expect("lower-ro-rename",
	       err_of(rename(path(e.mnt, "f"), path(e.mnt, "f2"))), EROFS,
	       "rename");
	expect("lower-ro-chmod", err_of(chmod(path(e.mnt, "f"), 0600)), EROFS,
	       "chmod");
	expect("lower-ro-truncate", err_of(truncate(path(e.mnt, "f"), 0)),
	       EROFS, "truncate");
	expect("lower-ro-utimes",
	       err_of(utimensat(AT_FDCWD, path(e.mnt, "f"), NULL, 0)), EROFS,
	       "utimensat(NULL)");
	expect("lower-ro-setxattr",
	       err_of(setxattr(path(e.mnt, "f"), "trusted.adversary", "x", 1,
			       0)), EROFS, "setxattr trusted.adversary");
	read_file(path(e.lower, "f"), buf, sizeof(buf));
	n = count_entries(e.lower);
	result("lower-ro-unchanged", strcmp(buf, "ro file\n") == 0 && n == 2,
	       "lower tree after the attempts: f \"%s\", %d entries (expected 2)",
	       shown(buf), n);
	stop_quiet(&d, e.mnt, "lower-ro");
	umount2(ro, 0);
	env_fini(&e);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* ETXTBSY                                                            */
/* ------------------------------------------------------------------ */

/* Run "busybox sleep 5" from @prog; wait until it is executing */
static pid_t start_sleeper(const char *prog)
{
	char self[256], exe[256], proc[64];
	unsigned int t;
	ssize_t n;
	pid_t pid;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	pid = fork();
	if (pid == 0) {
		execl(prog, "busybox", "sleep", "5", (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/%d/exe", pid);
	for (t = 0; t < 5000; t += 20) {
		n = readlink(proc, exe, sizeof(exe) - 1);
		if (n > 0) {
			exe[n] = '\0';
			if (strcmp(exe, self) != 0)
				return pid;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		msleep(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static void stop_sleeper(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int copy_busybox(const char *dst)
{
	static char buf[1 << 16];
	int in = open("/bin/busybox", O_RDONLY | O_CLOEXEC);
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	ssize_t n = -1;

	if (in >= 0 && out >= 0)
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, n) != n) {
				n = -1;
				break;
			}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return n == 0 ? 0 : EIO;
}

/*
 * A program running from the mount is a program running from the lower
 * file: neither may be opened for writing or truncated from either side.
 */
static int check_etxtbsy(void)
{
	struct daemon d;
	struct env e;
	struct stat st;
	pid_t pid;
	int err;

	if (env_init(&e, "etxtbsy"))
		return 2;
	if (copy_busybox(path(e.lower, "busybox")) ||
	    stat(path(e.lower, "busybox"), &st)) {
		env_fini(&e);
		return 2;
	}
	if (start_rootdir(&d, &e, "etxtbsy")) {
		env_fini(&e);
		return 1;
	}

	pid = start_sleeper(path(e.mnt, "busybox"));
	if (pid < 0) {
		result("etxtbsy-lower-write", false,
		       "exec of busybox through the mount failed");
	} else {
		expect("etxtbsy-lower-write",
		       try_open(path(e.lower, "busybox"), O_WRONLY, NULL),
		       ETXTBSY,
		       "running from the mount: open(O_WRONLY) of the lower file");
		expect("etxtbsy-mount-write-same",
		       try_open(path(e.mnt, "busybox"), O_WRONLY, NULL),
		       ETXTBSY,
		       "running from the mount: open(O_WRONLY) through the mount");
		stop_sleeper(pid);
	}

	pid = start_sleeper(path(e.lower, "busybox"));
	if (pid < 0) {
		result("etxtbsy-mount-write", false,
		       "exec of the lower busybox failed");
	} else {
		expect("etxtbsy-mount-write",
		       try_open(path(e.mnt, "busybox"), O_WRONLY, NULL),
		       ETXTBSY,
		       "running from the lower file: open(O_WRONLY) through the mount");
		/* Same size: nothing is lost if it goes through */
		err = err_of(truncate(path(e.mnt, "busybox"), st.st_size));
		expect("etxtbsy-mount-truncate", err, ETXTBSY,
		       "running from the lower file: truncate() to its own size through the mount");
		stop_sleeper(pid);
	}
	stop_quiet(&d, e.mnt, "etxtbsy");
	env_fini(&e);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* Mounts inside the backing tree                                     */
/* ------------------------------------------------------------------ */

/* List @dir in a child bounded by 10 s; what it saw goes to @out */
static int list_bounded(const char *dir, char *out, size_t len)
{
	int pfd[2], status, n;
	pid_t pid;
	ssize_t r;

	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		alarm(10);
		n = count_entries(dir);
		if (n < 0)
			dprintf(pfd[1], "listing failed: %s", ename(-n));
		else
			dprintf(pfd[1], "%d entries", n);
		_exit(0);
	}
	close(pfd[1]);
	status = wait_ms(pid, 15000);
	if (status == -1) {
		kill(pid, SIGKILL);
		snprintf(out, len, "no answer within 15 s");
		close(pfd[0]);
		return -1;
	}
	r = read(pfd[0], out, len - 1);
	out[r > 0 ? r : 0] = '\0';
	close(pfd[0]);
	if (!WIFEXITED(status)) {
		snprintf(out, len, "lister killed by signal %d",
			 WIFSIGNALED(status) ? WTERMSIG(status) : -1);
		return -1;
	}
	return 0;
}

/* Is something mounted on @p?  (A mount point of /proc/self/mountinfo) */
static bool mounted_on(const char *p)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024], mp[512];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %*s %*s %511s", mp) == 1 &&
			strcmp(mp, p) == 0;
	fclose(f);
	return found;
}

/*
 * Names something is mounted on in the lower (the tmpfs on lower/sub, a
 * file bind-mounted on lower/fmnt) are busy through the mount as in the
 * lower itself: unlink, rmdir and rename of them, and renames over them,
 * give EBUSY; the lower keeps both names and mounts.
 */
static void submount_busy(struct env *e, const char *sub, const char *fmnt)
{
	expect("submount-busy-unlink", err_of(unlink(path(e->mnt, "fmnt"))),
	       EBUSY, "unlink of fmnt (a file bind-mounted on it in the lower)");
	expect("submount-busy-rename-file",
	       err_of(rename(path(e->mnt, "fmnt"), path(e->mnt, "fmnt2"))),
	       EBUSY, "rename(fmnt, fmnt2)");
	expect("submount-busy-rename-over-file",
	       err_of(rename(path(e->mnt, "x"), path(e->mnt, "fmnt"))), EBUSY,
	       "rename(x, fmnt): over the mounted-on file");
	expect("submount-busy-rmdir", err_of(rmdir(path(e->mnt, "sub"))),
	       EBUSY, "rmdir of sub (a tmpfs mounted on it in the lower)");
	expect("submount-busy-rename-dir",
	       err_of(rename(path(e->mnt, "sub"), path(e->mnt, "sub2"))),
	       EBUSY, "rename(sub, sub2)");
	expect("submount-busy-rename-over-dir",
	       err_of(rename(path(e->mnt, "ed"), path(e->mnt, "sub"))), EBUSY,
	       "rename(ed, sub): an empty directory over the mounted-on one");
	result("submount-busy-lower",
	       mounted_on(sub) && mounted_on(fmnt) &&
	       access(path(e->lower, "x"), F_OK) == 0 &&
	       access(path(e->lower, "ed"), F_OK) == 0,
	       "after the attempts: lower/sub %s, lower/fmnt %s, x and ed %s",
	       mounted_on(sub) ? "still mounted on" : "NOT mounted on",
	       mounted_on(fmnt) ? "still mounted on" :
	       "NOT mounted on",
	       access(path(e->lower, "x"), F_OK) == 0 &&
	       access(path(e->lower, "ed"), F_OK) == 0 ? "present" :
	       "gone");
}

/*
 * A tmpfs mounted on lower/sub covers lower/sub/covered: through the mount
 * sub shows the tmpfs, never the covered file; mounted-on names are busy
 * (submount_busy()).  And a fuse-bpf mount on lower/inner backed by lower
 * itself: listing inner/inner through it returns promptly (error, empty
 * or foreign listing).
 */
static int check_submount(void)
{
	char sub[350], inner[350], fmnt[350], what[128];
	struct daemon d, d2;
	struct env e;
	struct stat st;
	int ce, me, err, lfd;

	if (env_init(&e, "submount"))
		return 2;
	snprintf(sub, sizeof(sub), "%s/sub", e.lower);
	snprintf(inner, sizeof(inner), "%s/inner", e.lower);
	snprintf(fmnt, sizeof(fmnt), "%s/fmnt", e.lower);
	mkdir(sub, 0755);
	mkdir(inner, 0755);
	mkdir(path(e.lower, "ed"), 0755);
	if (write_text(path(sub, "covered"), "covered\n") ||
	    mount("adv-sub", sub, "tmpfs", 0, "size=1m") ||
	    write_text(path(sub, "mounted"), "mounted\n")) {
		env_fini(&e);
		return 2;
	}
	if (write_text(fmnt, "covered file\n") ||
	    write_text(path(e.lower, "fsrc"), "bind source\n") ||
	    write_text(path(e.lower, "x"), "x\n") ||
	    mount(path(e.lower, "fsrc"), fmnt, NULL, MS_BIND, NULL)) {
		umount2(sub, MNT_DETACH);
		env_fini(&e);
		return 2;
	}
	if (start_rootdir(&d, &e, "submount")) {
		umount2(fmnt, MNT_DETACH);
		umount2(sub, MNT_DETACH);
		env_fini(&e);
		return 1;
	}
	ce = err_of(stat(path(e.mnt, "sub/covered"), &st));
	me = err_of(stat(path(e.mnt, "sub/mounted"), &st));
	result("submount-covered", ce == ENOENT && me == 0,
	       "through the mount: sub/covered (hidden by the tmpfs on sub) -> %s (expected ENOENT), sub/mounted -> %s (expected success)",
	       ename(ce), ename(me));
	submount_busy(&e, sub, fmnt);
	stop_quiet(&d, e.mnt, "submount");
	if (umount2(fmnt, 0) != 0)
		umount2(fmnt, MNT_DETACH);
	if (umount2(sub, 0) != 0)
		umount2(sub, MNT_DETACH);

	/* The mount placed inside its own backing tree */
	daemon_init(&d2, NULL, NULL);
	lfd = open(e.lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = lfd < 0 ? errno : daemon_start(&d2, -1, inner, lfd, NULL);
	if (lfd >= 0)
		close(lfd);
	if (err) {
		result("submount-inner", false,
		       "root_dir=lower mount on lower/inner -> %s", ename(err));
	} else {
		err = list_bounded(path(inner, "inner"), what, sizeof(what));
		result("submount-inner", err == 0,
		       "mount on lower/inner backed by lower: listing inner/inner through it: %s",
		       what);
		stop_quiet(&d2, inner, "submount-inner");
	}
	env_fini(&e);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* Leases                                                             */
/* ------------------------------------------------------------------ */

static volatile sig_atomic_t sigio_count;

static void on_sigio(int sig)
{
	sigio_count++;
}

/*
 * A read lease on a backed file: refused (EINVAL), or, if granted, broken
 * by an open for writing of the lower file directly.
 */
static int check_lease(void)
{
	struct sigaction sa = { .sa_handler = on_sigio };
	struct daemon d;
	struct env e;
	int fd, err, oe, gl;

	if (env_init(&e, "lease"))
		return 2;
	if (write_text(path(e.lower, "l"), "leased\n")) {
		env_fini(&e);
		return 2;
	}
	if (start_rootdir(&d, &e, "lease")) {
		env_fini(&e);
		return 1;
	}
	sigaction(SIGIO, &sa, NULL);
	sigio_count = 0;
	fd = open(path(e.mnt, "l"), O_RDONLY | O_CLOEXEC);
	err = fd < 0 ? errno : err_of(fcntl(fd, F_SETLEASE, F_RDLCK));
	if (err) {
		result("lease", err == EINVAL,
		       "F_SETLEASE F_RDLCK on a backed file -> %s (expected EINVAL, or success and a lease the lower file breaks)",
		       ename(err));
	} else {
		oe = try_open(path(e.lower, "l"), O_WRONLY | O_NONBLOCK, NULL);
		msleep(200);
		gl = fcntl(fd, F_GETLEASE);
		result("lease", oe == EWOULDBLOCK,
		       "F_SETLEASE F_RDLCK granted; open(O_WRONLY|O_NONBLOCK) of the lower file -> %s (expected EWOULDBLOCK: lease broken); F_GETLEASE then %d, SIGIO %d",
		       ename(oe), gl, (int)sigio_count);
		fcntl(fd, F_SETLEASE, F_UNLCK);
	}
	if (fd >= 0)
		close(fd);
	stop_quiet(&d, e.mnt, "lease");
	env_fini(&e);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* Objects that cannot back anything                                  */
/* ------------------------------------------------------------------ */

#define WEIRD_MAX 16
#define WEIRD_TEXT "control file\n"

/* One candidate backing object, offered for the name it carries */
struct weird_kind {
	const char *name;
	const char *what;
	int fd;			/* -1 when it could not be made */
	int open_err;
	mode_t mode;		/* the reply's mode: fstat() of the fd */
	/* what the daemon saw */
	bool done;
	int ioctl_err;
	int write_err;		/* -1: not sent (the ioctl was accepted) */
};

struct weird_state {
	struct weird_kind k[WEIRD_MAX];
	unsigned int n;
};

static void weird_lookup(struct daemon *d, const struct fuse_in_header *ih,
			 const char *name)
{
	struct weird_state *s = d->priv;
	struct weird_kind *k = NULL;
	int ierr, werr = -1;
	unsigned int i;

	for (i = 0; i < s->n && ih->nodeid == ROOT_ID; i++)
		if (strcmp(name, s->k[i].name) == 0 && !s->k[i].done)
			k = &s->k[i];
	if (!k || k->fd < 0) {
		reply_err(d, ih->unique, ENOENT);
		return;
	}
	ierr = reply_backed(d, ih->unique, 10 + (k - s->k), k->fd);
	/* Refused means still pending: a plain reply must be accepted */
	if (ierr)
		werr = reply_err(d, ih->unique, ENOENT);
	pthread_mutex_lock(&d->lock);
	k->ioctl_err = ierr;
	k->write_err = werr;
	k->done = true;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

/* Add a candidate; @fd < 0 records errno as the reason it is missing */
static struct weird_kind *weird_add(struct weird_state *s, const char *name,
				    const char *what, int fd)
{
	struct weird_kind *k = &s->k[s->n++];
	struct stat st;

	memset(k, 0, sizeof(*k));
	k->name = name;
	k->what = what;
	k->fd = fd;
	k->open_err = fd < 0 ? errno : 0;
	if (fd >= 0 && fstat(fd, &st) == 0)
		k->mode = st.st_mode;
	return k;
}

/* Wait up to 10 s for the daemon to have answered @k */
static bool weird_wait(struct daemon *d, struct weird_kind *k)
{
	struct timespec until;
	bool done;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&d->lock);
	while (!k->done &&
	       pthread_cond_timedwait(&d->cond, &d->lock, &until) == 0)
		;
	done = k->done;
	pthread_mutex_unlock(&d->lock);
	return done;
}

/*
 * What an accepted weird backing gives a user of the mount, in a child
 * bounded by 5 s: the listing of a directory, the start of a file, the
 * target of a symlink.
 */
static void weird_probe(const char *p, mode_t mode, char *out, size_t len)
{
	int pfd[2], status;
	char buf[64];
	ssize_t n;
	pid_t pid;

	out[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return;
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		alarm(5);
		if (S_ISDIR(mode)) {
			n = count_entries(p);
			dprintf(pfd[1], "; listing: %zd entries", n);
		} else if (S_ISLNK(mode)) {
			n = readlink(p, buf, sizeof(buf) - 1);
			buf[n > 0 ? n : 0] = '\0';
			dprintf(pfd[1], "; readlink -> \"%s\" %s", shown(buf),
				ename(err_of(n)));
		} else if (S_ISREG(mode)) {
			n = read_file(p, buf, 32);
			dprintf(pfd[1], "; read -> \"%s\" %s", shown(buf),
				n < 0 ? ename(-n) : "");
		} else {
			n = open(p, O_RDWR | O_NONBLOCK | O_CLOEXEC);
			dprintf(pfd[1], "; open(O_RDWR|O_NONBLOCK) -> %s",
				ename(err_of(n)));
		}
		_exit(0);
	}
	close(pfd[1]);
	status = pid < 0 ? 0 : wait_ms(pid, 8000);
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		snprintf(out, len, "; the probe hung");
	} else {
		n = read(pfd[0], out, len - 1);
		out[n > 0 ? n : 0] = '\0';
	}
	close(pfd[0]);
}

/*
 * A privileged daemon (root, a thread of this process) offers objects
 * that must never back a node: procfs and sysfs files, directories and
 * magic links, pipes, sockets, memfd, epoll and eventfd (anonymous
 * inodes), a file of this very mount and the connection's own FUSE
 * device fd.  Each reply gets EINVAL from the ioctl (with the mode of the
 * object, so that the type check does not decide), the request stays
 * answerable, and the lookup ends with the plain ENOENT reply.  A regular
 * tmpfs file works (control).
 */
static int check_weird_backing(void)
{
	static const char *const sysfs_files[] = {
		"/sys/kernel/uevent_seqnum", "/sys/power/state",
		"/sys/kernel/notes", NULL,
	};
	struct weird_state s = { .n = 0 };
	struct weird_kind *k;
	struct daemon d;
	struct env e;
	struct stat st;
	char buf[64], probe[160], devwhat[64];
	int sv[2] = { -1, -1 }, pp[2] = { -1, -1 };
	int err, le, same, efd;
	unsigned int i;

	if (env_init(&e, "weird-backing"))
		return 2;
	if (write_text(path(e.lower, "ok"), WEIRD_TEXT)) {
		env_fini(&e);
		return 2;
	}
	weird_add(&s, "ok", "a regular tmpfs file (control)",
		  open(path(e.lower, "ok"), O_RDONLY | O_CLOEXEC));
	weird_add(&s, "proc-file", "/proc/self/status",
		  open("/proc/self/status", O_RDONLY | O_CLOEXEC));
	weird_add(&s, "proc-dir", "/proc/self",
		  open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	weird_add(&s, "proc-symlink", "/proc/self/exe (O_PATH|O_NOFOLLOW)",
		  open("/proc/self/exe", O_PATH | O_NOFOLLOW | O_CLOEXEC));
	for (i = 0, efd = -1; sysfs_files[i] && efd < 0; i++)
		efd = open(sysfs_files[i], O_RDONLY | O_CLOEXEC);
	weird_add(&s, "sysfs-file", efd >= 0 ? sysfs_files[i - 1] :
		  "a sysfs file", efd);
	if (pipe2(pp, O_CLOEXEC))
		pp[0] = -1;
	weird_add(&s, "pipe", "the read end of a pipe", pp[0]);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		sv[0] = -1;
	weird_add(&s, "socket", "a socketpair() socket", sv[0]);
	weird_add(&s, "memfd", "a memfd",
		  memfd_create("adversary", MFD_CLOEXEC));
	weird_add(&s, "epoll", "an epoll fd", epoll_create1(EPOLL_CLOEXEC));
	weird_add(&s, "eventfd", "an eventfd", eventfd(0, EFD_CLOEXEC));

	daemon_init(&d, weird_lookup, &s);
	err = daemon_start(&d, -1, e.mnt, -1, NULL);
	if (err) {
		result("weird-backing-mount", false, "mount -> %s",
		       ename(err));
		env_fini(&e);
		return 1;
	}
	/* The last two need the mount: a file of it, and its device fd */
	k = &s.k[0];
	le = err_of(lstat(path(e.mnt, "ok"), &st));
	read_file(path(e.mnt, "ok"), buf, sizeof(buf));
	result("weird-backing-control",
	       weird_wait(&d, k) && k->ioctl_err == 0 && le == 0 &&
	       strcmp(buf, WEIRD_TEXT) == 0,
	       "a regular tmpfs file as backing: ioctl -> %s, lstat -> %s, read \"%s\"",
	       ename(k->ioctl_err), ename(le), shown(buf));
	same = open(path(e.mnt, "ok"), O_RDONLY | O_CLOEXEC);
	pthread_mutex_lock(&d.lock);
	weird_add(&s, "same-mount", "a file of this fuse mount", same);
	snprintf(devwhat, sizeof(devwhat), "this connection's own %s fd",
		 fuse_dev);
	weird_add(&s, "dev-fuse", devwhat, d.fd);
	pthread_mutex_unlock(&d.lock);

	for (i = 1; i < s.n; i++) {
		char rname[64];

		k = &s.k[i];
		snprintf(rname, sizeof(rname), "weird-backing-%s", k->name);
		if (k->fd < 0) {
			result(rname, false, "could not make %s: %s", k->what,
			       ename(k->open_err));
			continue;
		}
		le = err_of(lstat(path(e.mnt, k->name), &st));
		if (!weird_wait(&d, k)) {
			result(rname, false,
			       "%s: the daemon never answered (lstat -> %s)",
			       k->what, ename(le));
			continue;
		}
		probe[0] = '\0';
		if (le == 0)
			weird_probe(path(e.mnt, k->name), st.st_mode, probe,
				    sizeof(probe));
		result(rname, k->ioctl_err == EINVAL && k->write_err == 0 &&
		       le == ENOENT,
		       "%s (mode 0%o) as backing: ioctl -> %s (expected EINVAL); plain ENOENT reply then -> %s (expected success); lstat -> %s (expected ENOENT)%s",
		       k->what, (unsigned int)k->mode, ename(k->ioctl_err),
		       k->write_err < 0 ? "not sent" : ename(k->write_err),
		       ename(le), probe);
	}
	/* All but the daemon's own device fd (same-mount keeps it busy) */
	for (i = 0; i < s.n; i++)
		if (s.k[i].fd >= 0 && strcmp(s.k[i].name, "dev-fuse"))
			close(s.k[i].fd);
	err = daemon_stop(&d, e.mnt);
	if (err)
		result("weird-backing-umount", false, "umount -> %s",
		       ename(err));
	if (pp[1] >= 0)
		close(pp[1]);
	if (sv[1] >= 0)
		close(sv[1]);
	env_fini(&e);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* noexec and nosuid of the lower mount                               */
/* ------------------------------------------------------------------ */

/*
 * Exec @prog with @arg (busybox applet and argument), as uid 65534 when
 * @drop: the errno of execve (0 when it ran) and in @out what it printed.
 */
static int exec_probe(const char *prog, const char *applet, const char *arg,
		      bool drop, char *out, size_t len)
{
	int epfd[2], opfd[2], err = 0, status;
	struct pollfd p;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	out[0] = '\0';
	if (pipe2(epfd, O_CLOEXEC) != 0)
		return errno;
	if (pipe2(opfd, O_CLOEXEC) != 0) {
		close(epfd[0]);
		close(epfd[1]);
		return errno;
	}
	pid = fork();
	if (pid == 0) {
		close(epfd[0]);
		close(opfd[0]);
		err = drop ? drop_privs() : 0;
		if (!err && dup2(opfd[1], 1) < 0)
			err = errno;
		if (!err) {
			execl(prog, "busybox", applet, arg, (char *)NULL);
			err = errno;
		}
		if (write(epfd[1], &err, sizeof(err)) != sizeof(err))
			_exit(126);
		_exit(127);
	}
	close(epfd[1]);
	close(opfd[1]);
	if (pid < 0 || read(epfd[0], &err, sizeof(err)) != sizeof(err))
		err = pid < 0 ? errno : 0;
	p.fd = opfd[0];
	p.events = POLLIN;
	while (n + 1 < len && poll(&p, 1, 10000) > 0) {
		r = read(opfd[0], out + n, len - 1 - n);
		if (r <= 0)
			break;
		n += r;
	}
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	close(epfd[0]);
	close(opfd[0]);
	if (pid > 0) {
		status = wait_ms(pid, 10000);
		if (status == -1) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
	}
	return err;
}

/* Change the mount flags of the (tmpfs) lower of @e only */
static int lower_flags(struct env *e, unsigned long flags)
{
	return err_of(mount(NULL, e->lower, NULL,
			    MS_REMOUNT | MS_BIND | flags, NULL));
}

/*
 * Exec only checks the flags of the mount it opens the program on: an
 * exec open of a backed file checks the backing mount too.  A program on
 * a noexec lower gives EACCES through an exec mount; a set-id program on
 * a nosuid lower is refused (EPERM) through a suid mount, and runs,
 * without its set-id bits, through a nosuid one.
 */
static int check_exec_mount_flags(void)
{
	struct daemon d;
	struct env e;
	char out[64], out2[64];
	int err, lerr, lfd;

	if (env_init(&e, "exec-flags"))
		return 2;
	chmod(e.dir, 0755);
	if (copy_busybox(path(e.lower, "busybox")) ||
	    chmod(path(e.lower, "busybox"), 04755) ||
	    copy_busybox(path(e.lower, "plain"))) {
		env_fini(&e);
		return 2;
	}

	/* noexec lower, exec fuse-bpf mount */
	err = lower_flags(&e, MS_NOEXEC);
	lerr = err ? err : exec_probe(path(e.lower, "plain"), "true", NULL,
				      false, out, sizeof(out));
	if (start_rootdir(&d, &e, "exec-noexec")) {
		env_fini(&e);
		return 1;
	}
	err = exec_probe(path(e.mnt, "plain"), "true", NULL, false, out,
			 sizeof(out));
	result("exec-noexec-lower", err == EACCES && lerr == EACCES,
	       "lower remounted noexec, fuse-bpf mount exec: execve through the mount -> %s (expected EACCES); control: execve of the lower file -> %s",
	       ename(err), ename(lerr));
	stop_quiet(&d, e.mnt, "exec-noexec");

	/* nosuid lower, set-uid root busybox, exec as uid 65534 */
	err = lower_flags(&e, MS_NOSUID);
	lerr = err ? err : exec_probe(path(e.lower, "busybox"), "id", "-u",
				      true, out2, sizeof(out2));
	lfd = open(e.lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	daemon_init(&d, NULL, NULL);
	err = lfd < 0 ? errno :
	      daemon_start_opts(&d, -1, e.mnt, lfd, NULL, "allow_other", 0);
	if (err) {
		result("exec-nosuid-lower", false,
		       "root_dir= mount (suid, allow_other) -> %s", ename(err));
	} else {
		err = exec_probe(path(e.mnt, "busybox"), "id", "-u", true,
				 out, sizeof(out));
		result("exec-nosuid-lower", err == EPERM,
		       "set-uid root busybox on a nosuid lower, fuse-bpf mount without nosuid: execve as uid 65534 through the mount -> %s%s%s (expected EPERM); control: the lower file directly -> %s, id -u \"%s\"",
		       ename(err), err ? "" : ", id -u ", err ? "" : out,
		       ename(lerr), out2);
		stop_quiet(&d, e.mnt, "exec-nosuid-lower");
	}
	daemon_init(&d, NULL, NULL);
	err = lfd < 0 ? errno :
	      daemon_start_opts(&d, -1, e.mnt, lfd, NULL, "allow_other",
				MS_NOSUID | MS_NODEV);
	if (lfd >= 0)
		close(lfd);
	if (err) {
		result("exec-nosuid-both", false,
		       "root_dir= mount (nosuid, allow_other) -> %s",
		       ename(err));
	} else {
		err = exec_probe(path(e.mnt, "busybox"), "id", "-u", true,
				 out, sizeof(out));
		result("exec-nosuid-both", err == 0 && strcmp(out, "65534") == 0,
		       "the same through a nosuid fuse-bpf mount: execve as uid 65534 -> %s, id -u \"%s\" (expected success, 65534)",
		       ename(err), out);
		stop_quiet(&d, e.mnt, "exec-nosuid-both");
	}
	env_fini(&e);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* A frozen lower file system                                         */
/* ------------------------------------------------------------------ */

#define EXT4_DEV "/dev/vda"
#define ADV_FIFREEZE _IOWR('X', 119, int)
#define ADV_FITHAW _IOWR('X', 120, int)

enum { FZ_WRITE, FZ_CREATE, FZ_CHMOD, FZ_SETXATTR, FZ_TMPFILE, FZ_N };

static const char *const fz_names[FZ_N] = {
	"write", "create", "chmod", "setxattr", "tmpfile",
};

/*
 * One operation through the mount, in a child: its exit status is errno.
 * When the operation's own call has returned, the child writes @op to
 * @done (O_TMPFILE goes on with a linkat(), which waits by itself).
 */
static pid_t freeze_op(struct env *e, int op, int wfd, int done)
{
	pid_t pid = fork();
	char c = op;
	int err = 0, fd;

	if (pid != 0)
		return pid;
	alarm(60);
	switch (op) {
	case FZ_WRITE:
		err = write(wfd, "thawed\n", 7) == 7 ? 0 : errno ? errno : EIO;
		if (write(done, &c, 1) != 1)
			err = errno;
		break;
	case FZ_CREATE:
		fd = open(path(e->mnt, "new"), O_WRONLY | O_CREAT | O_CLOEXEC,
			  0644);
		err = fd < 0 ? errno : 0;
		break;
	case FZ_CHMOD:
		err = err_of(chmod(path(e->mnt, "c"), 0600));
		break;
	case FZ_SETXATTR:
		err = err_of(setxattr(path(e->mnt, "x"), "user.x", "1", 1, 0));
		break;
	case FZ_TMPFILE:
		fd = open(e->mnt, O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
		err = fd < 0 ? errno : 0;
		if (write(done, &c, 1) != 1 && !err)
			err = errno;
		if (!err)
			err = err_of(linkat(fd, "", AT_FDCWD,
					    path(e->mnt, "tmp"),
					    AT_EMPTY_PATH));
		break;
	}
	if (op != FZ_WRITE && op != FZ_TMPFILE && write(done, &c, 1) != 1 &&
	    !err)
		err = errno;
	_exit(err < 255 ? err : 255);
}

/* Which effects of the operations the lower file system shows */
static void freeze_effects(struct env *e, bool seen[FZ_N])
{
	char buf[64];
	struct stat st;

	read_file(path(e->lower, "w"), buf, sizeof(buf));
	seen[FZ_WRITE] = strcmp(buf, "thawed\n") == 0;
	seen[FZ_CREATE] = access(path(e->lower, "new"), F_OK) == 0;
	seen[FZ_CHMOD] = stat(path(e->lower, "c"), &st) == 0 &&
			 (st.st_mode & 07777) == 0600;
	seen[FZ_SETXATTR] = getxattr(path(e->lower, "x"), "user.x", buf,
				     sizeof(buf)) == 1;
	seen[FZ_TMPFILE] = access(path(e->lower, "tmp"), F_OK) == 0;
}

/*
 * O_TMPFILE through a root_dir= mount of a read-only bind mount of the
 * ext4 lower: EROFS.
 */
static void freeze_tmpfile_ro(struct env *e)
{
	char ro[300], mnt2[300];
	struct daemon d;
	int lfd, err;

	snprintf(ro, sizeof(ro), "%s/ro", e->dir);
	snprintf(mnt2, sizeof(mnt2), "%s/mnt2", e->dir);
	mkdir(ro, 0755);
	mkdir(mnt2, 0755);
	if (mount(e->lower, ro, NULL, MS_BIND, NULL) != 0 ||
	    mount(NULL, ro, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL)) {
		result("ext4-ro-tmpfile", false,
		       "read-only bind mount of the ext4 lower -> %s",
		       ename(errno));
		umount2(ro, MNT_DETACH);
		return;
	}
	daemon_init(&d, NULL, NULL);
	lfd = open(ro, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = lfd < 0 ? errno : daemon_start(&d, -1, mnt2, lfd, NULL);
	if (lfd >= 0)
		close(lfd);
	if (err) {
		result("ext4-ro-tmpfile", false, "root_dir= mount -> %s",
		       ename(err));
	} else {
		expect("ext4-ro-tmpfile",
		       try_open(mnt2, O_TMPFILE | O_WRONLY, NULL), EROFS,
		       "ext4 lower bind-mounted read-only: open(O_TMPFILE|O_WRONLY) through the mount");
		stop_quiet(&d, mnt2, "ext4-ro-tmpfile");
	}
	umount2(ro, 0);
}

/*
 * The ext4 lower is frozen (FIFREEZE on its root): a write(2) to a
 * backed file opened before, a create, a chmod, a setxattr and an
 * O_TMPFILE open through the mount must wait for the thaw, and the lower
 * shows their effects only after it.  Needs run-guest.sh -e (/dev/vda).
 */
static int check_freeze(void)
{
	bool before[FZ_N], after[FZ_N], early[FZ_N] = { false };
	int status[FZ_N], late[FZ_N], dp[2];
	pid_t pid[FZ_N];
	struct daemon d;
	struct env e;
	struct stat st;
	int rfd, wfd, err, terr, i;
	char c;

	if (stat(EXT4_DEV, &st) != 0 || !S_ISBLK(st.st_mode)) {
		skip("freeze",
		     "%s is not a block device: the freeze checks need an ext4 lower (run-guest.sh -e)",
		     EXT4_DEV);
		return 0;
	}
	if (env_init_dev(&e, "freeze", EXT4_DEV))
		return 2;
	if (write_text(path(e.lower, "w"), "before\n") ||
	    write_text(path(e.lower, "c"), "chmod\n") ||
	    write_text(path(e.lower, "x"), "xattr\n")) {
		env_fini(&e);
		return 2;
	}
	if (pipe2(dp, O_CLOEXEC | O_NONBLOCK) != 0) {
		env_fini(&e);
		return 2;
	}
	if (start_rootdir(&d, &e, "freeze")) {
		env_fini(&e);
		return 1;
	}
	wfd = open(path(e.mnt, "w"), O_WRONLY | O_CLOEXEC);
	rfd = open(e.lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = wfd < 0 || rfd < 0 ? errno : err_of(ioctl(rfd, ADV_FIFREEZE, 0));
	if (err) {
		result("freeze-setup", false,
		       "open of w through the mount, FIFREEZE of the ext4 lower -> %s",
		       ename(err));
		if (wfd >= 0)
			close(wfd);
		if (rfd >= 0)
			close(rfd);
		stop_quiet(&d, e.mnt, "freeze");
		env_fini(&e);
		return 1;
	}
	for (i = 0; i < FZ_N; i++)
		pid[i] = freeze_op(&e, i, wfd, dp[1]);
	close(dp[1]);
	msleep(1000);
	while (read(dp[0], &c, 1) == 1)
		if (c >= 0 && c < FZ_N)
			early[(int)c] = true;
	for (i = 0; i < FZ_N; i++)
		late[i] = pid[i] < 0 ? 0 : wait_ms(pid[i], 0);
	freeze_effects(&e, before);
	terr = err_of(ioctl(rfd, ADV_FITHAW, 0));
	for (i = 0; i < FZ_N; i++) {
		status[i] = late[i];
		if (pid[i] > 0 && late[i] == -1)
			status[i] = wait_ms(pid[i], 10000);
		if (status[i] == -1) {
			kill(pid[i], SIGKILL);
			waitpid(pid[i], NULL, 0);
		}
	}
	freeze_effects(&e, after);
	for (i = 0; i < FZ_N; i++) {
		char rname[32];

		snprintf(rname, sizeof(rname), "freeze-%s", fz_names[i]);
		result(rname, pid[i] > 0 && late[i] == -1 && !early[i] &&
		       !before[i] && WIFEXITED(status[i]) &&
		       WEXITSTATUS(status[i]) == 0 && after[i] && terr == 0,
		       "ext4 lower frozen: %s through the mount %s after 1 s (expected: still blocked), lower %s; FITHAW -> %s; then %s, lower %s",
		       fz_names[i],
		       late[i] != -1 || early[i] ? "completed" :
		       "still blocked",
		       before[i] ? "changed while frozen" : "unchanged",
		       ename(terr),
		       late[i] == -1 ? wstatus(status[i]) :
		       wstatus(late[i]),
		       after[i] ? "changed" : "unchanged");
	}
	close(dp[0]);
	close(wfd);
	close(rfd);
	stop_quiet(&d, e.mnt, "freeze");
	freeze_tmpfile_ro(&e);
	env_fini(&e);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* Inode flags through fileattr                                       */
/* ------------------------------------------------------------------ */

/*
 * FS_IOC_SETFLAGS through a root_dir= mount acts on the backing inode
 * with the caller's rights: uid 65534 on root's file gets EPERM; root
 * sets append-only there, after which an open for writing without
 * O_APPEND fails through the mount; root clears it again.
 */
static int check_fileattr(void)
{
	struct daemon d;
	struct env e;
	int lf0, lf1, lf2, lf3, err, ge, oe, oe2, status, lfd;
	pid_t pid;

	if (env_init(&e, "fileattr"))
		return 2;
	chmod(e.dir, 0755);
	if (write_text(path(e.lower, "fa"), "fileattr\n") ||
	    getflags(path(e.lower, "fa"), &lf0)) {
		env_fini(&e);
		return 2;
	}
	lfd = open(e.lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	daemon_init(&d, NULL, NULL);
	err = lfd < 0 ? errno :
	      daemon_start_opts(&d, -1, e.mnt, lfd, NULL, "allow_other",
				MS_NOSUID | MS_NODEV);
	if (lfd >= 0)
		close(lfd);
	if (err) {
		result("fileattr-mount", false, "root_dir= mount -> %s",
		       ename(err));
		env_fini(&e);
		return 1;
	}

	/* uid 65534: reading the flags works, setting them does not */
	pid = fork();
	if (pid == 0) {
		int fd, fl = lf0 | ADV_NODUMP_FL;

		if (drop_privs())
			_exit(250);
		fd = open(path(e.mnt, "fa"), O_RDONLY | O_NONBLOCK);
		if (fd < 0)
			_exit(251);
		err = err_of(ioctl(fd, ADV_IOC_SETFLAGS, &fl));
		_exit(err < 250 ? err : 249);
	}
	status = pid < 0 ? -1 : wait_ms(pid, 10000);
	if (status == -1 && pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	getflags(path(e.lower, "fa"), &lf1);
	result("fileattr-setflags-other",
	       status != -1 && WIFEXITED(status) &&
	       WEXITSTATUS(status) == EPERM && lf1 == lf0,
	       "uid 65534 on root's file: FS_IOC_SETFLAGS (+nodump) through the mount -> %s (expected EPERM; 250: setuid failed, 251: open failed); lower flags 0x%x -> 0x%x",
	       wstatus(status), lf0, lf1);

	/* root: +a through the mount lands on the lower inode */
	err = chflags(path(e.mnt, "fa"), ADV_APPEND_FL, 0);
	ge = getflags(path(e.lower, "fa"), &lf2);
	result("fileattr-setflags-append",
	       err == 0 && ge == 0 && (lf2 & ADV_APPEND_FL),
	       "root: FS_IOC_SETFLAGS +append through the mount -> %s; lower flags 0x%x (%s)",
	       ename(err), lf2,
	       lf2 & ADV_APPEND_FL ? "append-only" : "not append-only");
	oe = try_open(path(e.mnt, "fa"), O_WRONLY, "XX");
	expect("fileattr-append-open-wronly", oe, EPERM,
	       "after +append through the mount: open(O_WRONLY) without O_APPEND through the mount");

	err = chflags(path(e.mnt, "fa"), 0, ADV_APPEND_FL);
	ge = getflags(path(e.lower, "fa"), &lf3);
	oe2 = try_open(path(e.mnt, "fa"), O_WRONLY, NULL);
	result("fileattr-clear-append",
	       err == 0 && ge == 0 && !(lf3 & ADV_APPEND_FL) && oe2 == 0,
	       "root: FS_IOC_SETFLAGS -append through the mount -> %s; lower flags 0x%x; open(O_WRONLY) then -> %s",
	       ename(err), lf3, ename(oe2));
	stop_quiet(&d, e.mnt, "fileattr");
	chflags(path(e.lower, "fa"), 0, ADV_APPEND_FL);
	env_fini(&e);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* RCU path walk against eviction                                     */
/* ------------------------------------------------------------------ */

#define RACE_SECONDS 5
#define RACE_WALKERS 3
#define RACE_TREES 8

enum { RC_WALK, RC_DROP = RACE_WALKERS, RC_MUTATE, RC_N };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Trees a0..a7, each a/b/c/{f,g}; the walkers go through all of them */
/* What the racers share: iteration counts, and where each walker is */
struct race_shared {
	long count[RC_N];
	char cur[RACE_WALKERS][64];
};

static void race_walker(struct env *e, double end, long *count, char *cur)
{
	static const char *const paths[] = {
		"b/c/f", "b/c", "b", "b/c/g", "bx/c/f", "b/cx/f",
	};
	unsigned int i = 0;
	struct stat st;
	char p[400];
	int fd;

	while (now_s() < end) {
		snprintf(p, sizeof(p), "%s/a%u/%s", e->mnt,
			 i % RACE_TREES, paths[(i / RACE_TREES) % 6]);
		i++;
		snprintf(cur, 64, "stat %s", p + strlen(e->mnt) + 1);
		stat(p, &st);
		snprintf(cur, 64, "access %s", p + strlen(e->mnt) + 1);
		access(p, R_OK | X_OK);
		snprintf(cur, 64, "open %s", p + strlen(e->mnt) + 1);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		__atomic_add_fetch(count, 1, __ATOMIC_RELAXED);
	}
}

static void race_dropper(double end, long *count)
{
	/* 4: the kernel logs this write and none after it */
	write_proc("/proc/sys/vm/drop_caches", "4");
	while (now_s() < end) {
		if (write_proc("/proc/sys/vm/drop_caches", "2") == 0)
			__atomic_add_fetch(count, 1, __ATOMIC_RELAXED);
		msleep(5);
	}
}

/* Rename, unlink and recreate the walkers' names in the lower directly */
static void race_mutator(struct env *e, double end, long *count)
{
	char b[330], bx[330], c[340], cx[340];
	unsigned int k = 0;

	while (now_s() < end) {
		snprintf(b, sizeof(b), "%s/a%u/b", e->lower, k % RACE_TREES);
		snprintf(bx, sizeof(bx), "%s/a%u/bx", e->lower,
			 k % RACE_TREES);
		snprintf(c, sizeof(c), "%s/c", b);
		snprintf(cx, sizeof(cx), "%s/cx", b);
		k++;
		rename(b, bx);
		rename(bx, b);
		unlink(path(c, "f"));
		write_text(path(c, "f"), "f");
		rename(c, cx);
		rename(cx, c);
		unlink(path(c, "g"));
		unlink(path(c, "f"));
		rmdir(c);
		mkdir(c, 0755);
		write_text(path(c, "f"), "f");
		write_text(path(c, "g"), "g");
		__atomic_add_fetch(count, 1, __ATOMIC_RELAXED);
	}
}

/* The kernel stack of a blocked process, one line: "frame;frame;..." */
static void kstack(pid_t pid, char *out, size_t len)
{
	char p[64], buf[2048], *s, *e;
	bool first = true;
	size_t off = 0;
	ssize_t n;

	out[0] = '\0';
	/* state, utime and stime, then the system call it is in */
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	if (read_file(p, buf, sizeof(buf)) > 0 && (s = strrchr(buf, ')'))) {
		char st = '?';
		unsigned long ut = 0, kt = 0;

		sscanf(s + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		       &st, &ut, &kt);
		off += snprintf(out + off, len - off,
				"state %c, %lu/%lu user/system ticks", st, ut,
				kt);
	}
	snprintf(p, sizeof(p), "/proc/%d/syscall", (int)pid);
	if (read_file(p, buf, sizeof(buf)) > 0 && off < len)
		off += snprintf(out + off, len - off, ", syscall %.*s",
				(int)strcspn(buf, " \n"), buf);
	snprintf(p, sizeof(p), "/proc/%d/stack", (int)pid);
	n = read_file(p, buf, sizeof(buf));
	if (n < 0 && off < len) {
		snprintf(out + off, len - off, " (%s: %s)", p, ename(-n));
		return;
	}
	if (off < len)
		off += snprintf(out + off, len - off, ", stack");
	for (s = buf; *s && off + 1 < len; s = e, first = false) {
		e = strchr(s, '\n');
		e = e ? e + 1 : s + strlen(s);
		/* "[<0>] name+0x1/0x2" lines */
		if (strncmp(s, "[<", 2) == 0 && strchr(s, ' '))
			s = strchr(s, ' ') + 1;
		off += snprintf(out + off, len - off, "%s%.*s",
				first ? " " : ";", (int)strcspn(s, "+\n"), s);
	}
}

#define PREEMPT_KNOB "/sys/kernel/debug/sched/preempt"

/*
 * Switch a PREEMPT_DYNAMIC kernel to preemption model @model; with @was,
 * the model in force is left there first (the knob reads "none
 * (voluntary) full", the current one in parentheses).  debugfs is
 * mounted for it when needed, and unmounted again when @was is NULL (the
 * switch back).  0 or an errno (no debugfs, a kernel without the knob).
 */
static int set_preempt(const char *model, char *was, size_t len)
{
	static bool mounted;
	char buf[64], *o, *c;
	ssize_t n;
	int err;

	if (access(PREEMPT_KNOB, F_OK) != 0 && !mounted)
		mounted = mount("debugfs", "/sys/kernel/debug", "debugfs", 0,
				NULL) == 0;
	err = 0;
	if (was) {
		n = read_file(PREEMPT_KNOB, buf, sizeof(buf));
		o = n < 0 ? NULL : strchr(buf, '(');
		c = o ? strchr(o, ')') : NULL;
		if (c) {
			*c = '\0';
			snprintf(was, len, "%s", o + 1);
		} else {
			err = n < 0 ? -n : EINVAL;
		}
	}
	if (!err)
		err = write_proc(PREEMPT_KNOB, model);
	/* Switched back, or not switched at all: debugfs goes again */
	if ((!was || err) && mounted && umount2("/sys/kernel/debug", 0) == 0)
		mounted = false;
	return err;
}

/*
 * Walkers stat, access and open paths two to four levels below the
 * backed root (RCU path walk through backed inodes) while drop_caches
 * evicts the FUSE inodes and the lower names are renamed, unlinked and
 * recreated underneath.  Nothing may oops and every loop must finish;
 * SLUB validation afterwards.
 */
static int check_rcu_race(void)
{
	const char *role[RC_N] = { "walker", "walker", "walker", "dropper",
				   "mutator" };
	char first[200], desc[256], was[32] = "", stack[512] = "";
	pid_t pid[RC_N];
	int status[RC_N], before, after, i, n, stuck = 0, died = 0, perr;
	size_t off = 0;
	struct daemon d;
	struct env e;
	struct race_shared *sh;
	long *count;
	double end, left;

	if (env_init(&e, "rcu-race"))
		return 2;
	for (i = 0; i < RACE_TREES; i++) {
		char t[400];

		snprintf(t, sizeof(t), "%s/a%d", e.lower, i);
		mkdir(t, 0755);
		strcat(t, "/b");
		mkdir(t, 0755);
		strcat(t, "/c");
		mkdir(t, 0755);
		if (write_text(path(t, "f"), "f") ||
		    write_text(path(t, "g"), "g")) {
			env_fini(&e);
			return 2;
		}
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		env_fini(&e);
		return 2;
	}
	memset(sh, 0, sizeof(*sh));
	count = sh->count;
	if (start_rootdir(&d, &e, "rcu-race")) {
		munmap(sh, sizeof(*sh));
		env_fini(&e);
		return 1;
	}
	/* Walkers preempted inside their RCU walk widen the window */
	perr = set_preempt("full", was, sizeof(was));
	write_proc("/dev/kmsg", "adversary: rcu-race start\n");
	before = klog_count(slub_pats, NULL, 0);
	end = now_s() + RACE_SECONDS;
	for (i = 0; i < RC_N; i++) {
		pid[i] = fork();
		if (pid[i] != 0)
			continue;
		alarm(RACE_SECONDS + 30);
		if (i < RACE_WALKERS)
			race_walker(&e, end, &count[i], sh->cur[i]);
		else if (i == RC_DROP)
			race_dropper(end, &count[i]);
		else
			race_mutator(&e, end, &count[i]);
		_exit(0);
	}
	/* Each has until 20 s after the end */
	for (i = 0; i < RC_N; i++) {
		left = end + 20 - now_s();
		status[i] = pid[i] < 0 ? 0 :
			    wait_ms(pid[i], left > 0 ? left * 1000 : 0);
		if (status[i] == -1) {
			if (!stuck++) {
				n = snprintf(stack, sizeof(stack), "%s%s%s: ",
					     role[i], i < RACE_WALKERS ?
					     " doing " : "",
					     i < RACE_WALKERS ? sh->cur[i] :
					     "");
				kstack(pid[i], stack + n, sizeof(stack) - n);
			}
			kill(pid[i], SIGKILL);
			waitpid(pid[i], NULL, 0);
		} else if (pid[i] < 0 || !WIFEXITED(status[i]) ||
			   WEXITSTATUS(status[i])) {
			died++;
		}
		off += snprintf(desc + off, sizeof(desc) - off, "%s%s %ld%s",
				i ? ", " : "", role[i], count[i],
				status[i] == -1 ? " (stuck)" :
				pid[i] < 0 || !WIFEXITED(status[i]) ||
				WEXITSTATUS(status[i]) ? " (died)" : "");
	}
	if (!perr)
		set_preempt(was, NULL, 0);
	validate_slabs();
	msleep(200);
	after = klog_count(slub_pats, first, sizeof(first));
	result("rcu-race", !stuck && !died && after == before &&
	       count[0] > 0 && count[RC_DROP] > 0 && count[RC_MUTATE] > 0,
	       "%d s of path walks below the backed root against drop_caches and lower renames/unlinks (preemption model %s%s); iterations: %s; kernel log reports %d -> %d%s%s%s%s",
	       RACE_SECONDS, perr ? "unchanged: " : "full, was ",
	       perr ? ename(perr) : was, desc, before, after,
	       after != before ? ": " : "", after != before ? first : "",
	       stuck ? "; the first stuck one, " : "", stack);
	munmap(sh, sizeof(*sh));
	stop_quiet(&d, e.mnt, "rcu-race");
	env_fini(&e);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ */

static const struct {
	const char *name;
	int (*fn)(void);
} checks[] = {
	{ "nodeid-ops", check_nodeid_ops },
	{ "deputy", check_deputy },
	{ "deputy-opener", check_deputy_opener },
	{ "userns", check_userns },
	{ "append-only", check_append_only },
	{ "rootmode", check_rootmode },
	{ "rwf-append", check_rwf_append },
	{ "replace-backing", check_replace_backing },
	{ "daemon-kill", check_daemon_kill },
	{ "notify-nodeid-0", check_notify },
	{ "lower-ro", check_lower_ro },
	{ "etxtbsy", check_etxtbsy },
	{ "submount", check_submount },
	{ "lease", check_lease },
	{ "weird-backing", check_weird_backing },
	{ "exec-mount-flags", check_exec_mount_flags },
	{ "freeze", check_freeze },
	{ "fileattr", check_fileattr },
	{ "rcu-race", check_rcu_race },
	{ "uaf-readahead", check_uaf_readahead },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NCHECKS ARRAY_SIZE(checks)

static void usage(void)
{
	size_t i;

	fprintf(stderr, "usage: adversary CHECK WORKDIR | adversary list\nchecks:");
	for (i = 0; i < NCHECKS; i++)
		fprintf(stderr, " %s", checks[i].name);
	fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		for (i = 0; i < NCHECKS; i++)
			printf("%s\n", checks[i].name);
		return 0;
	}
	if (argc != 3) {
		usage();
		return 2;
	}
	workdir = argv[2];
	if (access(FUSE_BPF_MODULE_FEATURE_FILE, F_OK) == 0) {
		fuse_dev = FUSE_BPF_MODULE_DEVICE;
		fuse_fstype = FUSE_BPF_MODULE_FSTYPE ".adversary";
	}
	if (mkdir(workdir, 0755) && errno != EEXIST) {
		fprintf(stderr, "adversary: %s: %s\n", workdir,
			strerror(errno));
		return 2;
	}
	/* A hung check must not hold up the guest: SIGALRM ends it */
	alarm(100);
	for (i = 0; i < NCHECKS; i++)
		if (strcmp(argv[1], checks[i].name) == 0)
			return checks[i].fn();
	usage();
	return 2;
}
