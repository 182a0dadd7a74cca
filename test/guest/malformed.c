// SPDX-License-Identifier: GPL-2.0-only
/*
 * malformed: a raw FUSE daemon (no libfuse) that answers LOOKUP requests
 * with malformed fuse-bpf replies, straight on the fuse-bpf device, and
 * checks the errno the kernel gives each one.  The device is /dev/fuse-bpf
 * and the file system type fusebpf.malformed while fuse-bpf.ko is loaded
 * (FUSE_BPF_MODULE_FEATURE_FILE), else /dev/fuse and fuse.malformed (an
 * in-tree build).
 *
 * Usage: malformed BACKING_FILE MOUNTPOINT
 *
 * A prober child looks up one name per case under MOUNTPOINT; the daemon
 * answers the LOOKUP of that name with the case's reply, then answers the
 * same request again with a plain ENOENT (which finds it still pending
 * only when the kernel did not take the malformed reply), so the prober
 * never waits.  Positive controls: a plain entry through write(), then an
 * entry backed by BACKING_FILE through FUSE_DEV_IOC_BPF_RESPONSE, whose
 * content the prober reads through the mount.  Each check prints one
 * "@@ RESULT" line (the guest suite's format); exit status 0 when all pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuse_bpf.h"

#define BUF_SIZE (FUSE_MIN_READ_BUFFER + 128 * 1024)
#define ROOT_ID FUSE_ROOT_ID
#define PLAIN_ID 2
#define BACKED_ID 3
#define BACKED_TEXT_MAX 4096

enum reply_kind {
	RK_IOCTL,	/* blocks through FUSE_DEV_IOC_BPF_RESPONSE */
	RK_WRITE,	/* blocks through write() */
};

/* One malformed reply and the errno the kernel must answer it with. */
struct mcase {
	const char *name;
	enum reply_kind kind;
	unsigned int nblocks;
	uint32_t type;
	uint32_t unused;
	int fd_kind;		/* FD_* below */
	int len_delta;		/* added to the header's len only */
	uint64_t unique_delta;	/* added to the request's unique */
	int expect;		/* errno */
};

enum { FD_BACKING, FD_CLOSED, FD_MINUS_ONE };

static const struct mcase cases[] = {
	{ "three-blocks", RK_IOCTL, 3, FUSE_ENTRY_BACKING, 0, FD_BACKING,
	  0, 0, EINVAL },
	{ "unused-nonzero", RK_IOCTL, 1, FUSE_ENTRY_BACKING, 1, FD_BACKING,
	  0, 0, EINVAL },
	{ "unknown-type", RK_IOCTL, 1, 7, 0, FD_BACKING, 0, 0, EINVAL },
	{ "bpf-block", RK_IOCTL, 1, FUSE_ENTRY_BPF, 0, FD_BACKING,
	  0, 0, EINVAL },
	{ "remove-bpf-block", RK_IOCTL, 1, FUSE_ENTRY_REMOVE_BPF, 0,
	  FD_BACKING, 0, 0, EINVAL },
	{ "closed-fd", RK_IOCTL, 1, FUSE_ENTRY_BACKING, 0, FD_CLOSED,
	  0, 0, EBADF },
	{ "fd-minus-one", RK_IOCTL, 1, FUSE_ENTRY_BACKING, 0, FD_MINUS_ONE,
	  0, 0, EBADF },
	{ "length-mismatch", RK_IOCTL, 1, FUSE_ENTRY_BACKING, 0, FD_BACKING,
	  -8, 0, EINVAL },
	{ "unknown-unique", RK_IOCTL, 1, FUSE_ENTRY_BACKING, 0, FD_BACKING,
	  0, 1000, ENOENT },
	{ "write-with-block", RK_WRITE, 1, FUSE_ENTRY_BACKING, 0, FD_BACKING,
	  0, 0, EINVAL },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static int failures;
static int devfd = -1;
static int backing_fd = -1;
static struct stat backing_st;
static const char *mountpoint;

static void result(const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void result(const char *name, bool ok, const char *fmt, ...)
{
	char detail[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	printf("@@ RESULT malformed-%s %s %s\n", name, ok ? "PASS" : "FAIL",
	       detail);
	fflush(stdout);
	if (!ok)
		failures++;
}

static const char *errname(int e)
{
	switch (e) {
	case 0:
		return "success";
	case EINVAL:
		return "EINVAL";
	case EBADF:
		return "EBADF";
	case ENOENT:
		return "ENOENT";
	case ENOTTY:
		return "ENOTTY";
	case EPERM:
		return "EPERM";
	case EIO:
		return "EIO";
	default:
		return strerror(e);
	}
}

static int send_plain(const void *buf, size_t len)
{
	ssize_t n = write(devfd, buf, len);

	if (n < 0)
		return errno;
	return (size_t)n == len ? 0 : EIO;
}

static int reply_err(uint64_t unique, int err)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh),
		.error = -err,
		.unique = unique,
	};

	return send_plain(&oh, sizeof(oh));
}

static void fill_attr(struct fuse_attr *a, uint64_t ino, mode_t mode,
		      uint64_t size)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->mode = mode;
	a->nlink = S_ISDIR(mode) ? 2 : 1;
	a->size = size;
	a->blksize = 4096;
}

static void fill_entry(struct fuse_entry_out *eo, uint64_t nodeid,
		       mode_t mode, uint64_t size)
{
	memset(eo, 0, sizeof(*eo));
	eo->nodeid = nodeid;
	eo->entry_valid = 60;
	eo->attr_valid = 60;
	fill_attr(&eo->attr, nodeid, mode, size);
}

/* A LOOKUP reply of nblocks blocks (16 + 128 + 16 * nblocks bytes). */
struct lookup_reply {
	struct fuse_out_header oh;
	struct fuse_entry_out eo;
	struct fuse_bpf_entry_out blocks[3];
};
_Static_assert(sizeof(struct lookup_reply) == 16 + 128 + 3 * 16,
	       "the reply must have no padding");

static size_t build_reply(struct lookup_reply *r, uint64_t unique,
			  uint64_t nodeid, unsigned int nblocks, uint32_t type,
			  uint32_t unused, uint64_t fd)
{
	size_t len = sizeof(r->oh) + sizeof(r->eo) +
		     nblocks * sizeof(r->blocks[0]);
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->oh.len = len;
	r->oh.unique = unique;
	fill_entry(&r->eo, nodeid, S_IFREG | 0644, backing_st.st_size);
	for (i = 0; i < nblocks; i++) {
		r->blocks[i].entry_type = type;
		r->blocks[i].unused = unused;
		r->blocks[i].fd = fd;
	}
	return len;
}

static int send_ioctl(void *buf, size_t len)
{
	unsigned long cmd = FUSE_DEV_IOC_BPF_RESPONSE(len);
	int ret = ioctl(devfd, cmd, buf);

	if (ret < 0)
		return errno;
	if ((size_t)ret != len) {
		fprintf(stderr, "malformed: ioctl consumed %d of %zu bytes\n",
			ret, len);
		return EIO;
	}
	return 0;
}

static void run_case(const struct mcase *c, uint64_t unique)
{
	struct lookup_reply r;
	uint64_t fd;
	size_t len;
	int closed = -1;
	int err, again;

	switch (c->fd_kind) {
	case FD_CLOSED:
		closed = dup(backing_fd);
		if (closed < 0 || close(closed) != 0) {
			result(c->name, false, "cannot make a closed fd: %s",
			       strerror(errno));
			reply_err(unique, ENOENT);
			return;
		}
		fd = (uint64_t)closed;
		break;
	case FD_MINUS_ONE:
		fd = (uint64_t)-1;
		break;
	default:
		fd = (uint64_t)backing_fd;
		break;
	}
	len = build_reply(&r, unique + c->unique_delta, BACKED_ID + 100,
			  c->nblocks, c->type, c->unused, fd);
	r.oh.len = (uint32_t)((int)len + c->len_delta);
	if (c->kind == RK_WRITE)
		err = send_plain(&r, len);
	else
		err = send_ioctl(&r, len);
	/* Still pending only if the kernel did not take the reply. */
	again = reply_err(unique, ENOENT);
	result(c->name, err == c->expect,
	       "%s -> %s (expected %s); request %s", c->kind == RK_WRITE ?
	       "write()" : "FUSE_DEV_IOC_BPF_RESPONSE", errname(err),
	       errname(c->expect),
	       again == 0 ? "was still pending" : "was ended by the kernel");
}

static void do_init(const struct fuse_in_header *ih, const void *arg)
{
	const struct fuse_init_in *in = arg;
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
	r.out.max_background = 16;
	r.out.congestion_threshold = 12;
	r.out.max_write = 64 * 1024;
	r.out.time_gran = 1;
	if (send_plain(&r, sizeof(r)) != 0)
		fprintf(stderr, "malformed: INIT reply failed\n");
}

static void do_getattr(const struct fuse_in_header *ih)
{
	struct {
		struct fuse_out_header oh;
		struct fuse_attr_out out;
	} r;

	memset(&r, 0, sizeof(r));
	r.oh.len = sizeof(r);
	r.oh.unique = ih->unique;
	r.out.attr_valid = 60;
	if (ih->nodeid == ROOT_ID)
		fill_attr(&r.out.attr, ROOT_ID, S_IFDIR | 0755, 0);
	else if (ih->nodeid == PLAIN_ID)
		fill_attr(&r.out.attr, PLAIN_ID, S_IFREG | 0644, 0);
	else {
		reply_err(ih->unique, ENOENT);
		return;
	}
	send_plain(&r, sizeof(r));
}

/* Returns true when the prober has finished. */
static bool do_lookup(const struct fuse_in_header *ih, const char *name)
{
	struct lookup_reply r;
	size_t len, i;
	int err;

	if (ih->nodeid != ROOT_ID) {
		reply_err(ih->unique, ENOENT);
		return false;
	}
	for (i = 0; i < NCASES; i++) {
		if (strcmp(name, cases[i].name) == 0) {
			run_case(&cases[i], ih->unique);
			return false;
		}
	}
	if (strcmp(name, "plain") == 0) {
		len = build_reply(&r, ih->unique, PLAIN_ID, 0, 0, 0, 0);
		r.eo.attr.size = 0;
		err = send_plain(&r, len);
		result("plain-reply", err == 0, "write() of a plain entry -> %s",
		       errname(err));
		return false;
	}
	if (strcmp(name, "backed") == 0) {
		len = build_reply(&r, ih->unique, BACKED_ID, 1,
				  FUSE_ENTRY_BACKING, 0, (uint64_t)backing_fd);
		err = send_ioctl(&r, len);
		result("backed-reply", err == 0,
		       "FUSE_DEV_IOC_BPF_RESPONSE with a backing file -> %s",
		       errname(err));
		if (err)
			reply_err(ih->unique, EIO);
		return false;
	}
	reply_err(ih->unique, ENOENT);
	return strcmp(name, "done") == 0;
}

static void serve(void)
{
	static char buf[BUF_SIZE];
	struct fuse_in_header *ih = (struct fuse_in_header *)buf;
	bool done = false;
	ssize_t n;

	while (!done) {
		n = read(devfd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			fprintf(stderr, "malformed: read the device: %s\n",
				strerror(errno));
			failures++;
			return;
		}
		if ((size_t)n < sizeof(*ih))
			continue;
		switch (ih->opcode) {
		case FUSE_INIT:
			do_init(ih, ih + 1);
			break;
		case FUSE_LOOKUP:
			done = do_lookup(ih, (const char *)(ih + 1));
			break;
		case FUSE_GETATTR:
			do_getattr(ih);
			break;
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break;
		default:
			reply_err(ih->unique, ENOSYS);
			break;
		}
	}
}

static int probe_one(const char *name, struct stat *st)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", mountpoint, name);
	return stat(path, st) == 0 ? 0 : errno;
}

/* The prober child: one lookup per case, then the controls. */
static int prober(const char *expect_text)
{
	char path[4096], text[BACKED_TEXT_MAX];
	struct stat st;
	ssize_t n;
	size_t i;
	int err, fd, bad = 0;

	for (i = 0; i < NCASES; i++) {
		err = probe_one(cases[i].name, &st);
		if (err == 0) {
			printf("@@ RESULT malformed-%s-lookup FAIL stat succeeded after a malformed reply\n",
			       cases[i].name);
			bad++;
		}
	}
	err = probe_one("plain", &st);
	printf("@@ RESULT malformed-connection-alive %s stat of a plain entry after the malformed replies -> %s\n",
	       err == 0 ? "PASS" : "FAIL", errname(err));
	bad += err != 0;
	err = probe_one("backed", &st);
	if (err == 0 && st.st_size != backing_st.st_size)
		err = EIO;
	printf("@@ RESULT malformed-backed-stat %s -> %s (size %lld)\n",
	       err == 0 ? "PASS" : "FAIL", errname(err),
	       err == 0 ? (long long)st.st_size : -1LL);
	bad += err != 0;
	snprintf(path, sizeof(path), "%s/backed", mountpoint);
	fd = open(path, O_RDONLY);
	n = -1;
	err = errno;
	if (fd >= 0) {
		n = read(fd, text, sizeof(text) - 1);
		err = n < 0 ? errno : 0;
		close(fd);
	}
	if (n >= 0)
		text[n] = '\0';
	if (err == 0 && strcmp(text, expect_text) != 0)
		err = EIO;
	printf("@@ RESULT malformed-backed-read %s read through the backing file -> %s\n",
	       err == 0 ? "PASS" : "FAIL", errname(err));
	bad += err != 0;
	probe_one("done", &st);
	fflush(stdout);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	char opts[128], text[BACKED_TEXT_MAX];
	const char *dev = "/dev/fuse", *fstype = "fuse.malformed";
	ssize_t n;
	pid_t pid;
	int status;

	if (argc != 3) {
		fprintf(stderr, "usage: malformed BACKING_FILE MOUNTPOINT\n");
		return 2;
	}
	mountpoint = argv[2];
	setvbuf(stdout, NULL, _IOLBF, 0);
	backing_fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (backing_fd < 0 || fstat(backing_fd, &backing_st) != 0 ||
	    !S_ISREG(backing_st.st_mode)) {
		fprintf(stderr, "malformed: %s: not a readable file\n", argv[1]);
		return 2;
	}
	n = pread(backing_fd, text, sizeof(text) - 1, 0);
	if (n < 0) {
		fprintf(stderr, "malformed: read %s: %s\n", argv[1],
			strerror(errno));
		return 2;
	}
	text[n] = '\0';
	if (access(FUSE_BPF_MODULE_FEATURE_FILE, F_OK) == 0) {
		dev = FUSE_BPF_MODULE_DEVICE;
		fstype = FUSE_BPF_MODULE_FSTYPE ".malformed";
	}
	devfd = open(dev, O_RDWR | O_CLOEXEC);
	if (devfd < 0) {
		fprintf(stderr, "malformed: %s: %s\n", dev, strerror(errno));
		return 2;
	}
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", devfd);
	if (mount("malformed", mountpoint, fstype, MS_NOSUID | MS_NODEV,
		  opts) != 0) {
		fprintf(stderr, "malformed: mount: %s\n", strerror(errno));
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "malformed: fork: %s\n", strerror(errno));
		umount2(mountpoint, MNT_DETACH);
		return 2;
	}
	if (pid == 0) {
		close(devfd);
		_exit(prober(text));
	}
	alarm(120);
	serve();
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		failures++;
	if (umount2(mountpoint, 0) != 0) {
		fprintf(stderr, "malformed: umount: %s\n", strerror(errno));
		umount2(mountpoint, MNT_DETACH);
		failures++;
	}
	close(devfd);
	close(backing_fd);
	printf("malformed: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}
