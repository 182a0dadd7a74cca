// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_reply: a reply fuzzer for the fuse-bpf device.  A raw daemon (no
 * libfuse) mounts a file system on the device (/dev/fuse-bpf and type
 * fusebpf.fuzz while fuse-bpf.ko is loaded, else /dev/fuse and
 * fuse.fuzz), and a client process makes real requests through the mount
 * (lookups of many names, getattr, open, read, write, readdir, create,
 * mkdir, unlink, rename, symlinks, xattrs, statfs...).  The daemon answers
 * each request from a seeded PRNG: a valid reply most of the time, so the
 * exchange goes deep, and otherwise replies mutated in size, header length,
 * unique id, error, content (attributes, node ids, types, open flags,
 * reserved fields, directory entries) and fuse-bpf blocks (count, type,
 * unused field, fd), sent through write() or FUSE_DEV_IOC_BPF_RESPONSE, the
 * latter sometimes without CAP_SYS_ADMIN.  Block fds are of every kind:
 * tmpfs file, directory, O_PATH file, directory and symlink, socket, pipe,
 * epoll, eventfd, memfd, a file and a directory on another fuse-bpf mount
 * (and on a stock FUSE mount beside the module), the root and a file of
 * this same mount, procfs, sysfs, overlayfs, /dev/fuse itself, /dev/null,
 * closed fds, -1 and fds above INT_MAX.
 *
 * For every reply a model of the kernel's reply path (fuse_dev_do_write(),
 * copy_out_args(), and the series' fuse_dev_bpf_response() and
 * fuse_bpf_check_reply()) predicts the errno the write or ioctl must
 * return and whether the request is ended (consumed) or left pending; a
 * reply predicted to end the request is followed by a stale reply to the
 * same unique, which must get ENOENT.  Every difference is printed with
 * the reply's bytes.  Every 256 operations the client checks that a valid
 * request is still served (a control file: its size and content).
 *
 * Usage: fuzz_reply [-n REPLIES] [-s SEED] [-t SECONDS] WORKDIR
 *
 * WORKDIR (on a tmpfs) gets the mount points and the backing objects.
 * Prints "fuzz-result NAME PASS|FAIL reason" lines for t-fuzz-reply.sh and
 * ends with "fuzz: N replies, seed S".  Exit status 0 when all pass.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fuse.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "fuse_bpf.h"
#include "../caps.h"

/* Not in the uapi header: replies to FUSE_INTERRUPT carry this bit */
#define INT_REQ_BIT 1ULL
#define PAGE 4096u
#define IOC_SIZE_MAX 16383u
#define BUF_SIZE (FUSE_MIN_READ_BUFFER + 256 * 1024)
#define ENTRY_SIZE sizeof(struct fuse_entry_out)
#define BLK_SIZE sizeof(struct fuse_bpf_entry_out)
#define HDR sizeof(struct fuse_out_header)

#define ROOT_ID FUSE_ROOT_ID
#define CTL_ID 2
#define SELF_ID 3
#define CTL_EVERY 256
#define MAX_SHOWN 30

/* ------------------------------------------------------------------ */
/* PRNG: splitmix64, one state per process                              */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static bool chance(unsigned int pct)
{
	return below(100) < pct;
}

/* A value that tends to find edges */
static uint64_t edgy(void)
{
	static const uint64_t v[] = {
		0, 1, 2, 0x7f, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000ULL, 999999999, 1000000000,
		0x7fffffffffffffffULL, 0x8000000000000000ULL, UINT64_MAX,
		UINT64_MAX - 1, 4096, 4095, 4097,
	};

	if (chance(50))
		return v[below(sizeof(v) / sizeof(v[0]))];
	return chance(50) ? rnd() : below(1u << 20);
}

/* ------------------------------------------------------------------ */
/* State shared by the daemon and the client                            */

struct shared {
	volatile int stop;		/* the daemon has sent enough replies */
	volatile uint32_t controls;	/* control checks done by the client */
	volatile uint32_t control_failures;
	volatile uint64_t ops;		/* client operations */
};

static struct shared *shm;
static char workdir[PATH_MAX / 2];
static char mnt[PATH_MAX / 2 + 8];
static const char *dev_path = "/dev/fuse";
static const char *fstype = "fuse";
static bool module_kernel;
static uint64_t target = 100000;
static uint64_t seed = 20261124;

/* ------------------------------------------------------------------ */
/* fd kinds offered in fuse-bpf blocks                                  */

struct fdkind {
	const char *name;
	int fd;
	mode_t type;		/* S_IFMT of fstat() */
	bool fit;		/* the kernel may back a node with it */
	unsigned long offered, accepted, refused;
};

#define MAX_KINDS 32
static struct fdkind kinds[MAX_KINDS];
static unsigned int nkinds;
static unsigned int kind_failures;
static unsigned long special_offered[4];	/* closed, -1, > INT_MAX, unused */
static const char *const special_names[4] = {
	"closed fd", "fd -1", "fd above INT_MAX", "fd never opened",
};

/*
 * type 0: ask fstat().  Not for the root of the mount this process
 * serves: the getattr would wait for this process.
 */
static bool add_kind_type(const char *name, int fd, bool fit, mode_t type)
{
	struct stat st = { .st_mode = type };

	if (fd < 0 || (!type && fstat(fd, &st) != 0)) {
		printf("fuzz: fd kind %s: cannot make it: %s\n", name,
		       strerror(errno));
		kind_failures++;
		return false;
	}
	if (nkinds == MAX_KINDS)
		return false;
	kinds[nkinds].name = name;
	kinds[nkinds].fd = fd;
	kinds[nkinds].type = st.st_mode & S_IFMT;
	kinds[nkinds].fit = fit;
	nkinds++;
	return true;
}

static bool add_kind(const char *name, int fd, bool fit)
{
	return add_kind_type(name, fd, fit, 0);
}

static struct fdkind *kind_of_fd(uint64_t fd)
{
	unsigned int i;

	for (i = 0; i < nkinds; i++)
		if ((uint64_t)kinds[i].fd == fd)
			return &kinds[i];
	return NULL;
}

static bool type_can_back(mode_t t)
{
	return t == S_IFREG || t == S_IFDIR || t == S_IFLNK;
}

/* ------------------------------------------------------------------ */
/* Statistics                                                           */

static uint64_t replies, requests, mutated, mismatches, probes;
static uint64_t mutated_by_op[64];
static uint64_t requests_by_op[64];

/* outcome classes: errno x consumed */
struct outcome_count {
	int err;
	bool consumed;
	uint64_t n;
};
static struct outcome_count outcomes[32];
static unsigned int noutcomes;

static void count_outcome(int err, bool consumed)
{
	unsigned int i;

	for (i = 0; i < noutcomes; i++) {
		if (outcomes[i].err == err && outcomes[i].consumed == consumed) {
			outcomes[i].n++;
			return;
		}
	}
	if (noutcomes < sizeof(outcomes) / sizeof(outcomes[0])) {
		outcomes[noutcomes].err = err;
		outcomes[noutcomes].consumed = consumed;
		outcomes[noutcomes].n = 1;
		noutcomes++;
	}
}

static uint64_t outcome_n(int err, bool consumed)
{
	unsigned int i;

	for (i = 0; i < noutcomes; i++)
		if (outcomes[i].err == err && outcomes[i].consumed == consumed)
			return outcomes[i].n;
	return 0;
}

static const char *errname(int e)
{
	static char other[32];

	switch (e) {
	case 0:
		return "success";
	case EINVAL:
		return "EINVAL";
	case EBADF:
		return "EBADF";
	case ENOENT:
		return "ENOENT";
	case EPERM:
		return "EPERM";
	case EIO:
		return "EIO";
	case EFAULT:
		return "EFAULT";
	case ENOTTY:
		return "ENOTTY";
	case -1:
		return "a short count";
	default:
		snprintf(other, sizeof(other), "errno %d", e);
		return other;
	}
}

static const char *opname(uint32_t op)
{
	static char other[16];

	switch (op) {
	case FUSE_LOOKUP: return "LOOKUP";
	case FUSE_GETATTR: return "GETATTR";
	case FUSE_SETATTR: return "SETATTR";
	case FUSE_READLINK: return "READLINK";
	case FUSE_SYMLINK: return "SYMLINK";
	case FUSE_MKNOD: return "MKNOD";
	case FUSE_MKDIR: return "MKDIR";
	case FUSE_UNLINK: return "UNLINK";
	case FUSE_RMDIR: return "RMDIR";
	case FUSE_RENAME: return "RENAME";
	case FUSE_LINK: return "LINK";
	case FUSE_OPEN: return "OPEN";
	case FUSE_READ: return "READ";
	case FUSE_WRITE: return "WRITE";
	case FUSE_STATFS: return "STATFS";
	case FUSE_RELEASE: return "RELEASE";
	case FUSE_FSYNC: return "FSYNC";
	case FUSE_SETXATTR: return "SETXATTR";
	case FUSE_GETXATTR: return "GETXATTR";
	case FUSE_LISTXATTR: return "LISTXATTR";
	case FUSE_REMOVEXATTR: return "REMOVEXATTR";
	case FUSE_FLUSH: return "FLUSH";
	case FUSE_INIT: return "INIT";
	case FUSE_OPENDIR: return "OPENDIR";
	case FUSE_READDIR: return "READDIR";
	case FUSE_RELEASEDIR: return "RELEASEDIR";
	case FUSE_FSYNCDIR: return "FSYNCDIR";
	case FUSE_ACCESS: return "ACCESS";
	case FUSE_CREATE: return "CREATE";
	case FUSE_FALLOCATE: return "FALLOCATE";
	case FUSE_RENAME2: return "RENAME2";
	case FUSE_LSEEK: return "LSEEK";
	default:
		snprintf(other, sizeof(other), "op%u", op);
		return other;
	}
}

/* ------------------------------------------------------------------ */
/* Sending replies                                                      */

static int devfd = -1;

/* 0 when the whole reply was taken, else the errno (-1: short count) */
static int send_reply(const void *b, size_t len, bool via_ioctl, bool cap)
{
	long r;
	int e;

	replies++;
	if (via_ioctl) {
		if (!cap)
			test_set_sys_admin(false);
		r = ioctl(devfd, _IOC(_IOC_WRITE, FUSE_DEV_IOC_MAGIC, 125, len),
			  b);
		e = errno;
		if (!cap)
			test_set_sys_admin(true);
		errno = e;
	} else {
		r = write(devfd, b, len);
	}
	if (r < 0)
		return errno;
	return (size_t)r == len ? 0 : -1;
}

static size_t put_err(unsigned char *b, uint64_t unique, int err)
{
	struct fuse_out_header oh = {
		.len = HDR,
		.error = -err,
		.unique = unique,
	};

	memcpy(b, &oh, HDR);
	return HDR;
}

static size_t put_ok(unsigned char *b, uint64_t unique, size_t payload)
{
	struct fuse_out_header oh = {
		.len = (uint32_t)(HDR + payload),
		.unique = unique,
	};

	memcpy(b, &oh, HDR);
	return HDR + payload;
}

/* ------------------------------------------------------------------ */
/* The name space the daemon serves                                     */

enum { NK_FILE, NK_DIR, NK_LINK, NK_FIFO, NK_BACKED, NK_NONE };
static const unsigned int nk_base[] = { 100, 200, 300, 400, 500 };
static const unsigned int nk_count[] = { 50, 10, 10, 10, 16 };
static const char nk_prefix[] = "fdspb";

static uint32_t ctl_n;		/* the size of the last control file */
static uint64_t epoch;		/* generation of the daemon's nodes */

static int name_kind(const char *name, unsigned int *idx)
{
	const char *p = strchr(nk_prefix, name[0]);
	char *end;
	unsigned long v;

	if (!p || !name[0] || !name[1])
		return NK_NONE;
	v = strtoul(name + 1, &end, 10);
	if (*end || v >= nk_count[p - nk_prefix])
		return NK_NONE;
	*idx = (unsigned int)v;
	return (int)(p - nk_prefix);
}

static uint64_t node_of(uint64_t parent, int kind, unsigned int idx)
{
	uint64_t p;

	if (kind == NK_NONE)
		return 0;
	if (parent == ROOT_ID)
		p = 0;
	else if (parent >= nk_base[NK_DIR] &&
		 parent < nk_base[NK_DIR] + nk_count[NK_DIR])
		p = parent - nk_base[NK_DIR] + 1;
	else
		return 0;
	if (p && kind == NK_DIR)
		return 0;
	return p * 0x10000 + nk_base[kind] + idx;
}

static int kind_of_node(uint64_t nodeid)
{
	uint64_t low = nodeid & 0xffff;
	int k;

	if (nodeid == ROOT_ID)
		return NK_DIR;
	if (nodeid == CTL_ID || nodeid == SELF_ID)
		return NK_FILE;
	if (nodeid >> 32)
		return NK_NONE;
	for (k = 0; k < NK_NONE; k++)
		if (low >= nk_base[k] && low < nk_base[k] + nk_count[k])
			return k;
	return NK_NONE;
}

static uint64_t file_size(uint64_t nodeid)
{
	if (nodeid == CTL_ID)
		return ctl_n;
	return 1000 + (nodeid % 7) * 500;
}

static void fill_attr(struct fuse_attr *a, uint64_t nodeid)
{
	static const mode_t modes[] = {
		S_IFREG | 0644, S_IFDIR | 0755, S_IFLNK | 0777, S_IFIFO | 0644,
		S_IFREG | 0644,
	};
	int k = kind_of_node(nodeid);

	memset(a, 0, sizeof(*a));
	a->ino = nodeid;
	a->mode = modes[k == NK_NONE ? NK_FILE : k];
	a->nlink = S_ISDIR(a->mode) ? 2 : 1;
	a->size = S_ISREG(a->mode) ? file_size(nodeid) :
		  S_ISLNK(a->mode) ? 3 : 0;
	a->blocks = (a->size + 511) / 512;
	a->atime = a->mtime = a->ctime = 1700000000;
	a->blksize = 4096;
}

static void fill_entry(struct fuse_entry_out *e, uint64_t nodeid)
{
	memset(e, 0, sizeof(*e));
	e->nodeid = nodeid;
	e->generation = nodeid <= SELF_ID ? 0 : epoch;
	/* Mostly no caching: every walk asks again */
	e->entry_valid = chance(90) ? 0 : 1;
	e->attr_valid = chance(90) ? 0 : 1;
	fill_attr(&e->attr, nodeid);
}

/* ------------------------------------------------------------------ */
/* A request and the layout of its reply                               */

struct rctx {
	const struct fuse_in_header *ih;
	const void *arg;
	size_t arglen;
	/* what the kernel expects (its out args) */
	unsigned int nout;
	uint32_t outsize[2];
	bool argvar;
	bool lookup;		/* a LOOKUP: the reply may carry blocks */
	/* what the daemon does */
	bool noreply;
	bool fuzz;		/* may be mutated */
	bool garbage;		/* content may be mutated */
	int entry_off;		/* payload offset of a fuse_entry_out or -1 */
	int attr_off;		/* payload offset of a fuse_attr or -1 */
	int open_off;		/* payload offset of a fuse_open_out or -1 */
	bool dirents;
	int fallback_err;	/* answer when the valid reply is refused */
	bool force_ioctl;	/* the valid reply has blocks */
};

static unsigned char vbuf[BUF_SIZE];	/* the valid reply */
static unsigned char mbuf[BUF_SIZE + PAGE * 4];	/* a mutated one */
static bool armed;			/* fuzzing has started */
static int self_sock = -1;		/* the client hands fds over it */

static void recv_client_fds(void);

/* The name of a LOOKUP, CREATE, MKDIR... after the fixed argument */
static const char *arg_name(const struct rctx *rc, size_t fixed)
{
	const char *s = (const char *)rc->arg + fixed;

	if (rc->arglen <= fixed || !memchr(s, '\0', rc->arglen - fixed))
		return "";
	return s;
}

static size_t build_entry(struct rctx *rc, unsigned char *b, uint64_t nodeid)
{
	struct fuse_entry_out e;

	fill_entry(&e, nodeid);
	memcpy(b + HDR, &e, sizeof(e));
	rc->entry_off = 0;
	rc->attr_off = offsetof(struct fuse_entry_out, attr);
	return put_ok(b, rc->ih->unique, sizeof(e));
}

static size_t valid_lookup(struct rctx *rc, unsigned char *b)
{
	const char *name = arg_name(rc, 0);
	struct fuse_bpf_entry_out blk;
	struct fdkind *k;
	unsigned int idx;
	uint64_t node;
	size_t len;
	int kind;

	rc->fallback_err = ENOENT;
	if (rc->ih->nodeid == ROOT_ID && strncmp(name, "ctl-", 4) == 0) {
		ctl_n = (uint32_t)strtoul(name + 4, NULL, 10);
		rc->fuzz = false;
		return build_entry(rc, b, CTL_ID);
	}
	if (rc->ih->nodeid == ROOT_ID && strcmp(name, "selffile") == 0) {
		rc->fuzz = false;
		return build_entry(rc, b, SELF_ID);
	}
	if (rc->ih->nodeid == ROOT_ID && strcmp(name, "fds-sent") == 0) {
		rc->fuzz = false;
		recv_client_fds();
		return put_err(b, rc->ih->unique, ENOENT);
	}
	kind = name_kind(name, &idx);
	node = node_of(rc->ih->nodeid, kind, idx);
	if (!node) {
		if (chance(50))
			return put_err(b, rc->ih->unique, ENOENT);
		/* A negative entry */
		len = build_entry(rc, b, 0);
		memset(b + HDR, 0, ENTRY_SIZE);
		return len;
	}
	len = build_entry(rc, b, node);
	if (kind == NK_BACKED && nkinds) {
		/* A backed node: a block with an fd of some kind */
		k = &kinds[below(nkinds)];
		if (type_can_back(k->type)) {
			struct fuse_entry_out *e = (void *)(b + HDR);

			e->attr.mode = k->type | 0755;
		}
		memset(&blk, 0, sizeof(blk));
		blk.entry_type = FUSE_ENTRY_BACKING;
		blk.fd = (uint64_t)k->fd;
		memcpy(b + len, &blk, sizeof(blk));
		len += sizeof(blk);
		put_ok(b, rc->ih->unique, len - HDR);
		rc->force_ioctl = true;
	} else if (kind == NK_FILE && chance(10)) {
		memset(&blk, 0, sizeof(blk));
		blk.entry_type = FUSE_ENTRY_REMOVE_BACKING;
		memcpy(b + len, &blk, sizeof(blk));
		len += sizeof(blk);
		put_ok(b, rc->ih->unique, len - HDR);
		rc->force_ioctl = true;
	}
	return len;
}

static size_t valid_attr(struct rctx *rc, unsigned char *b, uint64_t nodeid,
			 const struct fuse_setattr_in *sa)
{
	struct fuse_attr_out out;

	memset(&out, 0, sizeof(out));
	out.attr_valid = chance(90) ? 0 : 1;
	fill_attr(&out.attr, nodeid);
	if (sa && (sa->valid & FATTR_SIZE) && S_ISREG(out.attr.mode))
		out.attr.size = sa->size;
	if (sa && (sa->valid & FATTR_MODE))
		out.attr.mode = (out.attr.mode & S_IFMT) | (sa->mode & 07777);
	memcpy(b + HDR, &out, sizeof(out));
	rc->attr_off = offsetof(struct fuse_attr_out, attr);
	if (nodeid == ROOT_ID)
		rc->garbage = false;
	return put_ok(b, rc->ih->unique, sizeof(out));
}

static size_t valid_open(struct rctx *rc, unsigned char *b, uint64_t nodeid)
{
	struct fuse_open_out out;

	memset(&out, 0, sizeof(out));
	out.fh = nodeid == CTL_ID ? ctl_n : nodeid;
	if (nodeid == CTL_ID)
		out.open_flags = FOPEN_DIRECT_IO;
	else if (chance(20))
		out.open_flags = chance(50) ? FOPEN_KEEP_CACHE : FOPEN_DIRECT_IO;
	memcpy(b + HDR, &out, sizeof(out));
	rc->open_off = 0;
	return put_ok(b, rc->ih->unique, sizeof(out));
}

static size_t valid_read(struct rctx *rc, unsigned char *b)
{
	const struct fuse_read_in *in = rc->arg;
	unsigned char *p = b + HDR;
	uint64_t size, off = in->offset, i;
	size_t n;
	char text[64];

	if (rc->ih->nodeid == CTL_ID) {
		n = (size_t)snprintf(text, sizeof(text), "control %" PRIu64 "\n",
				     in->fh);
		if (off >= n)
			return put_ok(b, rc->ih->unique, 0);
		n -= off;
		if (n > in->size)
			n = in->size;
		memcpy(p, text + off, n);
		return put_ok(b, rc->ih->unique, n);
	}
	size = file_size(rc->ih->nodeid);
	if (off >= size)
		return put_ok(b, rc->ih->unique, 0);
	n = (size_t)(size - off);
	if (n > in->size)
		n = in->size;
	if (n > BUF_SIZE - HDR)
		n = BUF_SIZE - HDR;
	for (i = 0; i < n; i++)
		p[i] = (unsigned char)('a' + (rc->ih->nodeid + off + i) % 26);
	return put_ok(b, rc->ih->unique, n);
}

static size_t valid_readdir(struct rctx *rc, unsigned char *b)
{
	static const char *const names[] = {
		".", "..", "f0", "f1", "f2", "f3", "f7", "d0", "d1", "d4",
		"s0", "s2", "p0", "b1", "x17", "f49",
	};
	const struct fuse_read_in *in = rc->arg;
	unsigned char *p = b + HDR;
	size_t used = 0, i, nl, sz;

	rc->dirents = true;
	for (i = in->offset; i < sizeof(names) / sizeof(names[0]); i++) {
		struct fuse_dirent d;
		unsigned int idx;
		int k = name_kind(names[i], &idx);

		nl = strlen(names[i]);
		sz = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + nl);
		if (used + sz > in->size || used + sz > BUF_SIZE - HDR)
			break;
		memset(p + used, 0, sz);
		d.ino = k == NK_NONE ? 0x9000 + i : nk_base[k] + idx;
		d.off = i + 1;
		d.namelen = (uint32_t)nl;
		d.type = i < 2 || k == NK_DIR ? DT_DIR : k == NK_LINK ?
			 DT_LNK : k == NK_FIFO ? DT_FIFO : DT_REG;
		memcpy(p + used, &d, FUSE_NAME_OFFSET);
		memcpy(p + used + FUSE_NAME_OFFSET, names[i], nl);
		used += sz;
	}
	return put_ok(b, rc->ih->unique, used);
}

static size_t valid_new_entry(struct rctx *rc, unsigned char *b,
			      const char *name, int want)
{
	unsigned int idx;
	int kind = name_kind(name, &idx);
	uint64_t node = node_of(rc->ih->nodeid, kind, idx);

	if (!node || (kind != want && !(want == NK_FILE && kind == NK_FIFO)))
		return put_err(b, rc->ih->unique, chance(50) ? EEXIST : EACCES);
	return build_entry(rc, b, node);
}

static size_t valid_xattr(struct rctx *rc, unsigned char *b, bool list)
{
	const struct fuse_getxattr_in *in = rc->arg;
	const char *name = list ? "" : arg_name(rc, sizeof(*in));
	static const char names[] = "user.fuzz";
	const char *val = list ? names : "v";
	size_t vlen = list ? sizeof(names) : 1;

	if (!list && strcmp(name, "user.fuzz") != 0)
		return put_err(b, rc->ih->unique, ENODATA);
	if (!in->size) {
		struct fuse_getxattr_out out = { .size = (uint32_t)vlen };

		memcpy(b + HDR, &out, sizeof(out));
		return put_ok(b, rc->ih->unique, sizeof(out));
	}
	if (in->size < vlen)
		return put_err(b, rc->ih->unique, ERANGE);
	memcpy(b + HDR, val, vlen);
	return put_ok(b, rc->ih->unique, vlen);
}

static void set_out(struct rctx *rc, unsigned int nout, uint32_t a, uint32_t c,
		    bool argvar)
{
	rc->nout = nout;
	rc->outsize[0] = a;
	rc->outsize[1] = c;
	rc->argvar = argvar;
}

/*
 * The valid reply to a request, in vbuf, and what the kernel expects of a
 * reply (rc).  Returns its length; rc->noreply for requests without one.
 */
static size_t build_valid(struct rctx *rc, const struct fuse_in_header *ih,
			  size_t n)
{
	unsigned char *b = vbuf;
	uint64_t node = ih->nodeid;

	memset(rc, 0, sizeof(*rc));
	rc->ih = ih;
	rc->arg = ih + 1;
	rc->arglen = n - sizeof(*ih);
	rc->fuzz = armed && !shm->stop && node != CTL_ID && node != SELF_ID;
	rc->garbage = true;
	rc->entry_off = rc->attr_off = rc->open_off = -1;
	rc->fallback_err = EIO;

	switch (ih->opcode) {
	case FUSE_LOOKUP:
		set_out(rc, 2, ENTRY_SIZE, FUSE_BPF_MAX_ENTRIES * BLK_SIZE,
			true);
		rc->lookup = true;
		return valid_lookup(rc, b);
	case FUSE_GETATTR:
		set_out(rc, 1, sizeof(struct fuse_attr_out), 0, false);
		return valid_attr(rc, b, node, NULL);
	case FUSE_SETATTR:
		set_out(rc, 1, sizeof(struct fuse_attr_out), 0, false);
		return valid_attr(rc, b, node, rc->arg);
	case FUSE_OPEN:
	case FUSE_OPENDIR:
		set_out(rc, 1, sizeof(struct fuse_open_out), 0, false);
		return valid_open(rc, b, node);
	case FUSE_READ:
		set_out(rc, 1, ((const struct fuse_read_in *)rc->arg)->size, 0,
			true);
		return valid_read(rc, b);
	case FUSE_READDIR:
		set_out(rc, 1, ((const struct fuse_read_in *)rc->arg)->size, 0,
			true);
		return valid_readdir(rc, b);
	case FUSE_READLINK:
		set_out(rc, 1, PAGE - 1, 0, true);
		memcpy(b + HDR, "t", 1);
		snprintf((char *)b + HDR + 1, 16, "%u", (unsigned int)(node % 100));
		return put_ok(b, ih->unique, strlen((char *)b + HDR));
	case FUSE_CREATE: {
		size_t len;
		struct fuse_open_out oo = { .fh = 7 };

		set_out(rc, 2, ENTRY_SIZE, sizeof(struct fuse_open_out), false);
		len = valid_new_entry(rc, b, arg_name(rc,
				      sizeof(struct fuse_create_in)), NK_FILE);
		if (len == HDR)
			return len;
		memcpy(b + len, &oo, sizeof(oo));
		rc->open_off = (int)ENTRY_SIZE;
		return put_ok(b, ih->unique, ENTRY_SIZE + sizeof(oo));
	}
	case FUSE_MKDIR:
		set_out(rc, 1, ENTRY_SIZE, 0, false);
		return valid_new_entry(rc, b, arg_name(rc,
				       sizeof(struct fuse_mkdir_in)), NK_DIR);
	case FUSE_MKNOD:
		set_out(rc, 1, ENTRY_SIZE, 0, false);
		return valid_new_entry(rc, b, arg_name(rc,
				       sizeof(struct fuse_mknod_in)), NK_FIFO);
	case FUSE_SYMLINK:
		set_out(rc, 1, ENTRY_SIZE, 0, false);
		return valid_new_entry(rc, b, arg_name(rc, 0), NK_LINK);
	case FUSE_LINK: {
		const struct fuse_link_in *in = rc->arg;

		set_out(rc, 1, ENTRY_SIZE, 0, false);
		if (kind_of_node(in->oldnodeid) == NK_DIR ||
		    in->oldnodeid <= SELF_ID)
			return put_err(b, ih->unique, EPERM);
		return build_entry(rc, b, in->oldnodeid);
	}
	case FUSE_WRITE: {
		struct fuse_write_out out = {
			.size = ((const struct fuse_write_in *)rc->arg)->size,
		};

		set_out(rc, 1, sizeof(out), 0, false);
		memcpy(b + HDR, &out, sizeof(out));
		return put_ok(b, ih->unique, sizeof(out));
	}
	case FUSE_STATFS: {
		struct fuse_statfs_out out;

		set_out(rc, 1, sizeof(out), 0, false);
		memset(&out, 0, sizeof(out));
		out.st.blocks = 1000;
		out.st.bfree = out.st.bavail = 500;
		out.st.files = 100;
		out.st.ffree = 50;
		out.st.bsize = out.st.frsize = 4096;
		out.st.namelen = 255;
		memcpy(b + HDR, &out, sizeof(out));
		return put_ok(b, ih->unique, sizeof(out));
	}
	case FUSE_GETXATTR:
	case FUSE_LISTXATTR: {
		const struct fuse_getxattr_in *in = rc->arg;

		if (in->size)
			set_out(rc, 1, in->size, 0, true);
		else
			set_out(rc, 1, sizeof(struct fuse_getxattr_out), 0,
				false);
		return valid_xattr(rc, b, ih->opcode == FUSE_LISTXATTR);
	}
	case FUSE_LSEEK: {
		const struct fuse_lseek_in *in = rc->arg;
		struct fuse_lseek_out out = { .offset = in->offset };

		set_out(rc, 1, sizeof(out), 0, false);
		memcpy(b + HDR, &out, sizeof(out));
		return put_ok(b, ih->unique, sizeof(out));
	}
	case FUSE_UNLINK:
	case FUSE_RMDIR:
	case FUSE_RENAME:
	case FUSE_RENAME2:
		set_out(rc, 0, 0, 0, false);
		if (chance(20))
			return put_err(b, ih->unique, ENOENT);
		return put_ok(b, ih->unique, 0);
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_FLUSH:
	case FUSE_FSYNC:
	case FUSE_FSYNCDIR:
	case FUSE_ACCESS:
	case FUSE_SETXATTR:
	case FUSE_REMOVEXATTR:
	case FUSE_FALLOCATE:
		set_out(rc, 0, 0, 0, false);
		return put_ok(b, ih->unique, 0);
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		rc->noreply = true;
		return 0;
	default:
		/* Not modelled: answered, never mutated */
		rc->fuzz = false;
		return put_err(b, ih->unique, ENOSYS);
	}
}

/* ------------------------------------------------------------------ */
/* The model of the kernel's reply path                                 */

struct expect {
	int err;
	bool consumed;
	const char *why;
	struct fdkind *kind;	/* the fd of a BACKING block, if known */
	int special;		/* or which bad fd, -1 */
};

static struct expect E(int err, bool consumed, const char *why)
{
	struct expect e = {
		.err = err, .consumed = consumed, .why = why, .special = -1,
	};

	return e;
}

/* fuse_bpf_check_reply() on the blocks of a LOOKUP reply */
static struct expect model_blocks(const struct fuse_entry_out *feo,
				  const unsigned char *blocks, size_t size,
				  bool cap, unsigned int *nblocks)
{
	struct fuse_bpf_entry_out b[FUSE_BPF_MAX_ENTRIES];
	bool backing = false, remove = false;
	unsigned int n, i;
	struct expect e;

	if (size % BLK_SIZE)
		return E(EINVAL, false, "partial block");
	n = (unsigned int)(size / BLK_SIZE);
	if (n > FUSE_BPF_MAX_ENTRIES)
		return E(EINVAL, false, "too many blocks");
	if (n && !feo->nodeid)
		return E(EINVAL, false, "blocks on a negative entry");
	memcpy(b, blocks, n * BLK_SIZE);
	for (i = 0; i < n; i++) {
		if (b[i].unused)
			return E(EINVAL, false, "unused field set");
		switch (b[i].entry_type) {
		case FUSE_ENTRY_BACKING:
			if (backing || remove)
				return E(EINVAL, false, "two backing blocks");
			backing = true;
			break;
		case FUSE_ENTRY_REMOVE_BACKING:
			if (backing || remove)
				return E(EINVAL, false, "two backing blocks");
			remove = true;
			break;
		default:
			return E(EINVAL, false, "refused block type");
		}
	}
	*nblocks = n;
	if (!backing)
		return E(0, true, "blocks without fd");
	if (!cap)
		return E(EPERM, false, "no CAP_SYS_ADMIN");
	for (i = 0; b[i].entry_type != FUSE_ENTRY_BACKING; i++)
		;
	if (b[i].fd > INT_MAX) {
		e = E(EBADF, false, "fd above INT_MAX");
		e.special = b[i].fd == UINT64_MAX ? 1 : 2;
		return e;
	}
	e = E(0, true, "backing fd");
	e.kind = kind_of_fd(b[i].fd);
	if (!e.kind) {
		e = E(EBADF, false, "fd not open");
		e.special = b[i].fd >= 900000 ? 3 : 0;
		return e;
	}
	if (!type_can_back(e.kind->type)) {
		e.err = EINVAL;
		e.why = "fd of a kind that never backs";
	} else if ((e.kind->type ^ feo->attr.mode) & S_IFMT) {
		e.err = EINVAL;
		e.why = "fd of another type than the entry";
	} else if (!e.kind->fit) {
		e.err = EINVAL;
		e.why = "fd of a file system unfit to back";
	}
	e.consumed = !e.err;
	return e;
}

static struct expect model(const struct rctx *rc, const unsigned char *b,
			   size_t n, bool via_ioctl, bool cap)
{
	struct expect be = E(0, true, "");
	struct fuse_out_header oh;
	struct fuse_entry_out feo;
	unsigned int nblocks = 0, i;
	bool bpf = false;
	size_t payload, reqsize;

	if (via_ioctl && (n < HDR || n > PAGE))
		return E(EINVAL, false, "ioctl size out of range");
	if (n < HDR)
		return E(EINVAL, false, "shorter than a header");
	memcpy(&oh, b, HDR);
	if (oh.len != n)
		return E(EINVAL, false, "header len differs");
	payload = n - HDR;
	if (via_ioctl && oh.unique && !(oh.unique & INT_REQ_BIT) &&
	    !oh.error && oh.unique == rc->ih->unique && rc->lookup &&
	    payload > ENTRY_SIZE) {
		memcpy(&feo, b + HDR, ENTRY_SIZE);
		be = model_blocks(&feo, b + HDR + ENTRY_SIZE,
				  payload - ENTRY_SIZE, cap, &nblocks);
		if (be.err)
			return be;
		bpf = true;
	}
	if (!oh.unique)
		return E(EINVAL, false, "notification of no known code");
	if (oh.error <= -512 || oh.error > 0)
		return E(EINVAL, false, "error out of range");
	if ((oh.unique & ~INT_REQ_BIT) != rc->ih->unique)
		return E(ENOENT, false, "no such request");
	if (oh.unique & INT_REQ_BIT) {
		if (n != HDR)
			return E(EINVAL, false, "interrupt reply with payload");
		if (oh.error == -EAGAIN)
			return E(EINVAL, false, "EAGAIN for no interrupt");
		return E(0, false, "interrupt reply");
	}
	if (!oh.error && rc->lookup && payload > ENTRY_SIZE &&
	    (!bpf || payload - ENTRY_SIZE != nblocks * BLK_SIZE))
		return E(EINVAL, false, "blocks through write()");
	if (oh.error)
		return n != HDR ? E(EINVAL, true, "error with payload") :
		       E(0, true, "error reply");
	reqsize = HDR;
	for (i = 0; i < rc->nout; i++)
		reqsize += rc->outsize[i];
	if (n > reqsize)
		return E(EINVAL, true, "longer than the request's out args");
	if (n < reqsize && (!rc->argvar ||
			    reqsize - n > rc->outsize[rc->nout - 1]))
		return E(EINVAL, true, "shorter than the request's out args");
	if (bpf)
		return be;
	return E(0, true, "valid");
}

/* ------------------------------------------------------------------ */
/* Mutations                                                            */

static void set_len_field(unsigned char *b, size_t len)
{
	uint32_t l = (uint32_t)len;

	if (len >= HDR)
		memcpy(b, &l, sizeof(l));
}

static void poke_attr(struct fuse_attr *a, bool keep_type)
{
	static const mode_t types[] = {
		0, S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO, S_IFCHR, S_IFBLK,
		S_IFSOCK, S_IFMT, 0110000, 0030000,
	};

	switch (below(13)) {
	case 0:
		if (!keep_type)
			a->mode = (a->mode & ~S_IFMT) |
				  types[below(sizeof(types) / sizeof(types[0]))];
		break;
	case 1:
		a->mode = (a->mode & S_IFMT) | (uint32_t)(rnd() & 07777);
		break;
	case 2:
		a->nlink = (uint32_t)edgy();
		break;
	case 3:
		a->size = edgy();
		break;
	case 4:
		a->blocks = edgy();
		break;
	case 5:
		a->atime = edgy();
		a->mtime = edgy();
		a->ctime = edgy();
		break;
	case 6:
		a->atimensec = (uint32_t)edgy();
		break;
	case 7:
		a->mtimensec = (uint32_t)edgy();
		a->ctimensec = (uint32_t)edgy();
		break;
	case 8:
		a->uid = (uint32_t)edgy();
		a->gid = (uint32_t)edgy();
		break;
	case 9:
		a->rdev = (uint32_t)edgy();
		break;
	case 10:
		a->blksize = (uint32_t)edgy();
		break;
	case 11:
		a->flags = (uint32_t)(chance(50) ? rnd() : FUSE_ATTR_SUBMOUNT);
		break;
	default:
		a->ino = edgy();
		break;
	}
}

static void poke_entry(struct fuse_entry_out *e)
{
	uint64_t v;

	switch (below(8)) {
	case 0:
		/* Never the root, the control file or the same-mount file */
		v = chance(30) ? 0 : chance(50) ? edgy() :
		    node_of(ROOT_ID, (int)below(NK_NONE), below(10));
		if (v > SELF_ID || v == 0)
			e->nodeid = v;
		break;
	case 1:
		e->generation = edgy();
		break;
	case 2:
		e->entry_valid = edgy();
		e->entry_valid_nsec = (uint32_t)edgy();
		break;
	case 3:
		e->attr_valid = edgy();
		e->attr_valid_nsec = (uint32_t)edgy();
		break;
	default:
		poke_attr(&e->attr, e->nodeid == ROOT_ID);
		break;
	}
}

static void garbage_dirent(unsigned char *p, size_t *plen, size_t max)
{
	struct fuse_dirent d;
	size_t nl, sz, i;

	d.ino = edgy();
	d.off = edgy();
	d.type = (uint32_t)(chance(50) ? below(16) : rnd());
	nl = chance(70) ? 1 + below(20) : chance(50) ? 0 : 250 + below(20);
	d.namelen = chance(90) ? (uint32_t)nl : (uint32_t)edgy();
	sz = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + nl);
	if (sz > max)
		return;
	memset(p, 0, sz);
	memcpy(p, &d, FUSE_NAME_OFFSET);
	for (i = 0; i < nl; i++) {
		static const char set[] = "ab./\0\xff";

		p[FUSE_NAME_OFFSET + i] = chance(80) ? (unsigned char)('a' + below(26)) :
			(unsigned char)set[below(sizeof(set) - 1)];
	}
	*plen = sz;
}

/* Change the content, keeping the size; returns the new payload size */
static size_t garbage(const struct rctx *rc, unsigned char *b, size_t plen,
		      char *what, size_t wl)
{
	unsigned char *p = b + HDR;
	size_t i, n;

	if (rc->entry_off >= 0 && plen >= rc->entry_off + ENTRY_SIZE &&
	    chance(60)) {
		struct fuse_entry_out e;

		memcpy(&e, p + rc->entry_off, sizeof(e));
		poke_entry(&e);
		memcpy(p + rc->entry_off, &e, sizeof(e));
		snprintf(what, wl, "entry field");
	} else if (rc->attr_off >= 0 &&
		   plen >= rc->attr_off + sizeof(struct fuse_attr) &&
		   chance(60)) {
		struct fuse_attr a;

		memcpy(&a, p + rc->attr_off, sizeof(a));
		poke_attr(&a, rc->ih->nodeid == ROOT_ID);
		memcpy(p + rc->attr_off, &a, sizeof(a));
		snprintf(what, wl, "attr field");
	} else if (rc->open_off >= 0 &&
		   plen >= rc->open_off + sizeof(struct fuse_open_out) &&
		   chance(70)) {
		struct fuse_open_out o;

		memcpy(&o, p + rc->open_off, sizeof(o));
		if (chance(60))
			o.open_flags = (uint32_t)(chance(50) ? rnd() :
						  1u << below(12));
		else if (chance(50))
			o.fh = edgy();
		else
			o.padding = (uint32_t)edgy();
		memcpy(p + rc->open_off, &o, sizeof(o));
		snprintf(what, wl, "open flags/fh/reserved");
	} else if (rc->dirents && chance(60)) {
		size_t max = rc->outsize[0];

		n = plen;
		garbage_dirent(p, &n, max < BUF_SIZE - HDR ? max : BUF_SIZE - HDR);
		snprintf(what, wl, "crafted dirent");
		return n;
	} else if (plen) {
		n = 1 + below(4);
		for (i = 0; i < n; i++)
			p[below((uint32_t)plen)] = (unsigned char)rnd();
		snprintf(what, wl, "payload bytes");
	} else {
		snprintf(what, wl, "nothing (empty payload)");
	}
	return plen;
}

/* Offered bad fds: 0 closed, 1 -1, 2 above INT_MAX, 3 never opened */
static uint64_t bad_fd(int which, int *closed)
{
	int fd;

	switch (which) {
	case 0:
		fd = dup(devfd);
		if (fd >= 0)
			close(fd);
		*closed = fd;
		return (uint64_t)(int64_t)fd;
	case 1:
		return UINT64_MAX;
	case 2:
		return chance(50) ? 0x80000000ULL : rnd() | (1ULL << 40);
	default:
		return 900000 + below(1000);
	}
}

static size_t mutate_blocks(unsigned char *b, size_t len, bool *via_ioctl,
			    bool *cap, char *what, size_t wl)
{
	struct fuse_entry_out e;
	struct fuse_bpf_entry_out blk;
	unsigned int n, i, extra;
	struct fdkind *k = NULL;
	int dummy;

	if (len < HDR + ENTRY_SIZE) {
		memset(b + len, 0, HDR + ENTRY_SIZE - len);
		len = HDR + ENTRY_SIZE;
	}
	memcpy(&e, b + HDR, sizeof(e));
	n = chance(70) ? 1 : below(5);
	extra = chance(8) ? 1 + below(15) : 0;
	len = HDR + ENTRY_SIZE;
	for (i = 0; i < n; i++) {
		static const uint32_t types[] = {
			FUSE_ENTRY_BACKING, FUSE_ENTRY_BACKING,
			FUSE_ENTRY_BACKING, FUSE_ENTRY_BACKING,
			FUSE_ENTRY_REMOVE_BACKING, FUSE_ENTRY_BPF,
			FUSE_ENTRY_REMOVE_BPF, 0, 5,
		};

		memset(&blk, 0, sizeof(blk));
		blk.entry_type = chance(95) ?
				 types[below(sizeof(types) / sizeof(types[0]))] :
				 (uint32_t)rnd();
		blk.unused = chance(90) ? 0 : (uint32_t)edgy();
		if (chance(80) && nkinds) {
			k = &kinds[below(nkinds)];
			blk.fd = (uint64_t)k->fd;
		} else {
			blk.fd = bad_fd((int)below(4), &dummy);
		}
		memcpy(b + len, &blk, sizeof(blk));
		len += sizeof(blk);
	}
	for (i = 0; i < extra; i++)
		b[len++] = (unsigned char)rnd();
	/* Mostly an entry of the fd's type, so the fd itself is judged */
	if (k && chance(75))
		e.attr.mode = (e.attr.mode & ~S_IFMT) |
			      (type_can_back(k->type) ? k->type : S_IFREG);
	if (chance(5))
		e.nodeid = 0;
	else if (e.nodeid == 0 || e.nodeid == CTL_ID || e.nodeid == SELF_ID)
		e.nodeid = node_of(ROOT_ID, NK_BACKED, below(16));
	memcpy(b + HDR, &e, sizeof(e));
	set_len_field(b, len);
	*via_ioctl = !chance(8);
	*cap = !chance(15);
	snprintf(what, wl, "%u block(s)%s%s%s", n, extra ? " + partial" : "",
		 *via_ioctl ? "" : " through write()",
		 *cap ? "" : " without CAP_SYS_ADMIN");
	return len;
}

static size_t mutate(const struct rctx *rc, const unsigned char *v,
		     size_t vlen, unsigned char *b, bool *via_ioctl,
		     bool *cap, bool *forced, char *what, size_t wl)
{
	struct fuse_out_header oh;
	size_t len = vlen, k, used = 0;
	unsigned int round, rounds = chance(80) ? 1 : 2;
	char part[96];
	int32_t err;

	memcpy(b, v, vlen);
	*forced = false;
	*cap = true;
	what[0] = '\0';
	for (round = 0; round < rounds; round++) {
		unsigned int m = below(20);

		part[0] = '\0';
		if (m < 4 && rc->garbage && len >= HDR) {
			len = HDR + garbage(rc, b, len - HDR, part, sizeof(part));
			set_len_field(b, len);
		} else if (m < 6) {
			k = chance(60) ? 1 + below(16) : chance(50) ?
			    16 * (1 + below(3)) : below(PAGE + 200);
			if (len + k > sizeof(mbuf))
				k = sizeof(mbuf) - len;
			for (size_t i = 0; i < k; i++)
				b[len + i] = (unsigned char)rnd();
			len += k;
			set_len_field(b, len);
			snprintf(part, sizeof(part), "%zu bytes longer", k);
		} else if (m < 8 && len > HDR) {
			k = 1 + below((uint32_t)(len - HDR));
			len -= k;
			set_len_field(b, len);
			snprintf(part, sizeof(part), "%zu bytes shorter", k);
		} else if (m < 9) {
			len = below(HDR);
			snprintf(part, sizeof(part), "%zu bytes, no header", len);
		} else if (m < 11 && len >= HDR) {
			uint32_t l = (uint32_t)len;
			uint32_t d = chance(70) ? 1 + below(32) : (uint32_t)rnd();

			l = chance(50) ? l + d : l - d;
			if (l == len)
				l++;
			memcpy(b, &l, sizeof(l));
			snprintf(part, sizeof(part), "header len %u for %zu",
				 l, len);
		} else if (m < 14 && len >= HDR) {
			uint64_t u;

			memcpy(&oh, b, HDR);
			switch (below(6)) {
			case 0:
				u = rnd() & ~INT_REQ_BIT;
				break;
			case 1:
				u = oh.unique + 2 * (1 + below(8));
				break;
			case 2:
				u = oh.unique - 2 * (1 + below(2));
				break;
			case 3:
				u = 0;
				break;
			case 4:
				u = oh.unique ^ (1ULL << (1 + below(63)));
				break;
			default:
				u = oh.unique | INT_REQ_BIT;
				break;
			}
			oh.unique = u;
			memcpy(b, &oh, HDR);
			snprintf(part, sizeof(part), "unique %#" PRIx64, u);
		} else if (m < 16 && len >= HDR) {
			static const int32_t errs[] = {
				1, 5, 511, 100000, INT32_MAX, -512, -513,
				-100000, INT32_MIN, -EIO, -ENOENT, -EAGAIN,
				-EACCES, -511, -EINTR, -ERANGE,
			};

			memcpy(&oh, b, HDR);
			err = errs[below(sizeof(errs) / sizeof(errs[0]))];
			oh.error = err;
			if (chance(40)) {
				len = HDR;
				oh.len = HDR;
			}
			memcpy(b, &oh, HDR);
			snprintf(part, sizeof(part), "error %d, %zu bytes", err,
				 len);
		} else if (m < 19 && rc->lookup) {
			len = mutate_blocks(b, len, via_ioctl, cap, part,
					    sizeof(part));
			*forced = true;
		} else if (m < 19 && len >= HDR) {
			/* Whole blocks appended to a reply of another kind */
			k = BLK_SIZE * (1 + below(2));
			memset(b + len, 0, k);
			b[len] = FUSE_ENTRY_BACKING;
			len += k;
			set_len_field(b, len);
			*via_ioctl = true;
			*forced = true;
			snprintf(part, sizeof(part), "%zu block bytes", k);
		} else if (len >= HDR) {
			k = (len > PAGE ? 0 : PAGE + 1 - len) +
			    below(IOC_SIZE_MAX - PAGE);
			if (len + k > sizeof(mbuf))
				k = sizeof(mbuf) - len;
			for (size_t i = 0; i < k; i++)
				b[len + i] = (unsigned char)rnd();
			len += k;
			set_len_field(b, len);
			*via_ioctl = true;
			*forced = true;
			snprintf(part, sizeof(part), "ioctl of %zu bytes", len);
		}
		if (part[0] && used < wl) {
			used += (size_t)snprintf(what + used, wl - used, "%s%s",
						 used ? "; " : "", part);
		}
	}
	/*
	 * Never a real notification (unique 0 with a notification code) nor
	 * ENOSYS to an interrupt (it turns interrupts off for good).
	 */
	if (len >= HDR) {
		memcpy(&oh, b, HDR);
		if ((!oh.unique && oh.error >= 1 && oh.error <= 7) ||
		    ((oh.unique & INT_REQ_BIT) && oh.error == -ENOSYS)) {
			oh.error = -EIO;
			memcpy(b, &oh, HDR);
		}
	}
	if (!*forced)
		*via_ioctl = chance(50);
	if (len > IOC_SIZE_MAX)
		*via_ioctl = false;
	if (!what[0])
		snprintf(what, wl, "none");
	return len;
}

/* ------------------------------------------------------------------ */
/* One request                                                          */

static void hexdump(const unsigned char *b, size_t len)
{
	size_t i, n = len < 176 ? len : 176;

	printf("fuzz:   reply bytes (%zu):", len);
	for (i = 0; i < n; i++)
		printf("%s%02x", i % 16 ? "" : "\n fuzz:    ", b[i]);
	printf("%s\n", n < len ? " ..." : "");
}

static void mismatch(const struct rctx *rc, const char *what,
		     const unsigned char *b, size_t len, bool via_ioctl,
		     bool cap, const struct expect *e, int got)
{
	mismatches++;
	if (mismatches > MAX_SHOWN)
		return;
	printf("fuzz: MISMATCH %s unique %#" PRIx64 " nodeid %" PRIu64
	       ": reply [%s] through %s%s: expected %s (%s, request %s), got %s\n",
	       opname(rc->ih->opcode), rc->ih->unique, rc->ih->nodeid, what,
	       via_ioctl ? "FUSE_DEV_IOC_BPF_RESPONSE" : "write()",
	       cap ? "" : " without CAP_SYS_ADMIN", errname(e->err), e->why,
	       e->consumed ? "ended" : "left pending", errname(got));
	hexdump(b, len);
}

static void account_fd(const struct expect *e, int got)
{
	if (e->kind) {
		e->kind->offered++;
		if (got == 0)
			e->kind->accepted++;
		else
			e->kind->refused++;
	} else if (e->special >= 0) {
		special_offered[e->special]++;
	}
}

/*
 * After a reply that was predicted to end the request: a stale reply to
 * the same unique must get ENOENT.  Returns false (and ends the request)
 * when it was still pending.
 */
static bool probe_ended(const struct rctx *rc, const char *after)
{
	unsigned char b[HDR];
	int r;

	probes++;
	put_err(b, rc->ih->unique, EIO);
	r = send_reply(b, HDR, chance(50), true);
	count_outcome(r, false);
	if (r == ENOENT)
		return true;
	mismatches++;
	if (mismatches <= MAX_SHOWN)
		printf("fuzz: MISMATCH %s unique %#" PRIx64 ": after %s the request should have ended, a stale reply got %s\n",
		       opname(rc->ih->opcode), rc->ih->unique, after,
		       errname(r));
	return false;
}

/*
 * Send one mutated reply that ends the request (want_end) or leaves it
 * pending, as the model predicts.  Returns false once the request has
 * ended.
 */
static bool try_mutation(const struct rctx *rc, size_t vlen, bool want_end)
{
	bool via_ioctl = false, cap = true, forced;
	unsigned int tries;
	char what[256];
	struct expect e;
	size_t len = 0;
	int r;

	for (tries = 0; tries < 20; tries++) {
		len = mutate(rc, vbuf, vlen, mbuf, &via_ioctl, &cap, &forced,
			     what, sizeof(what));
		e = model(rc, mbuf, len, via_ioctl, cap);
		if (e.consumed == want_end)
			break;
	}
	if (e.consumed != want_end)
		return true;
	mutated++;
	if (rc->ih->opcode < 64)
		mutated_by_op[rc->ih->opcode]++;
	r = send_reply(mbuf, len, via_ioctl, cap);
	account_fd(&e, r);
	count_outcome(r, e.consumed);
	if (r != e.err) {
		mismatch(rc, what, mbuf, len, via_ioctl, cap, &e, r);
		/* Whatever happened, end the request */
		put_err(mbuf, rc->ih->unique, EIO);
		send_reply(mbuf, HDR, false, true);
		return false;
	}
	if (e.consumed) {
		probe_ended(rc, what);
		return false;
	}
	return true;
}

/*
 * One request: a burst of replies the kernel must refuse (each leaves
 * the request pending), then now and then one that ends it with bad
 * content or size, else the valid reply.
 */
static void handle(const struct fuse_in_header *ih, size_t n)
{
	struct rctx rc;
	size_t vlen = build_valid(&rc, ih, n), len;
	unsigned int i, burst;
	bool via_ioctl;
	struct expect e;
	int r;

	if (rc.noreply)
		return;
	requests++;
	if (ih->opcode < 64)
		requests_by_op[ih->opcode]++;
	if (rc.fuzz) {
		burst = chance(30) ? 0 : 1 + below(7);
		for (i = 0; i < burst; i++)
			if (!try_mutation(&rc, vlen, false))
				return;
		if (chance(25) && !try_mutation(&rc, vlen, true))
			return;
	}
	/* The valid reply, and an error if it is refused */
	via_ioctl = rc.force_ioctl || chance(50);
	e = model(&rc, vbuf, vlen, via_ioctl, true);
	r = send_reply(vbuf, vlen, via_ioctl, true);
	account_fd(&e, r);
	count_outcome(r, e.consumed);
	if (r != e.err)
		mismatch(&rc, "the valid reply", vbuf, vlen, via_ioctl, true,
			 &e, r);
	if (r == 0) {
		if (rc.fuzz && chance(5))
			probe_ended(&rc, "a valid reply");
		return;
	}
	len = put_err(mbuf, ih->unique, rc.fallback_err);
	r = send_reply(mbuf, len, false, true);
	count_outcome(r, true);
	if (r != 0 && mismatches++ < MAX_SHOWN)
		printf("fuzz: MISMATCH %s unique %#" PRIx64 ": the error reply after a refused one got %s\n",
		       opname(ih->opcode), ih->unique, errname(r));
}

static void do_init(const struct fuse_in_header *ih, const void *arg, int fd)
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
	if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		printf("fuzz: INIT reply failed: %s\n", strerror(errno));
}

/* ------------------------------------------------------------------ */
/* The client                                                           */

static uint64_t client_fail_shown;

static void client_path(char *p, size_t n)
{
	static const char *const dirs[] = { "", "d0/", "d1/", "d3/", "b2/" };
	char name[32];
	int k = (int)below(12);

	if (k < 6)
		snprintf(name, sizeof(name), "f%u", below(chance(90) ? 50 : 60));
	else if (k < 7)
		snprintf(name, sizeof(name), "d%u", below(12));
	else if (k < 8)
		snprintf(name, sizeof(name), "s%u", below(10));
	else if (k < 9)
		snprintf(name, sizeof(name), "p%u", below(10));
	else if (k < 10)
		snprintf(name, sizeof(name), "b%u", below(16));
	else
		snprintf(name, sizeof(name), "x%u", below(100000));
	snprintf(p, n, "%s/%s%s", mnt, dirs[chance(70) ? 0 : below(5)], name);
}

static void control(uint32_t n)
{
	char path[PATH_MAX], buf[64], want[64];
	struct stat st;
	ssize_t got;
	int fd;
	const char *bad = NULL;

	snprintf(path, sizeof(path), "%s/ctl-%u", mnt, n);
	snprintf(want, sizeof(want), "control %u\n", n);
	if (stat(path, &st) != 0)
		bad = "stat failed";
	else if (!S_ISREG(st.st_mode) || st.st_size != n)
		bad = "stat: wrong type or size";
	if (!bad) {
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			bad = "open failed";
		} else {
			got = read(fd, buf, sizeof(buf) - 1);
			if (got < 0)
				bad = "read failed";
			else {
				buf[got] = '\0';
				if (strcmp(buf, want) != 0)
					bad = "read: wrong content";
			}
			close(fd);
		}
	}
	shm->controls++;
	if (bad) {
		shm->control_failures++;
		if (client_fail_shown++ < 10)
			printf("fuzz: control %u (%s) after %" PRIu64 " operations: %s (%s)\n",
			       n, path, shm->ops, bad, strerror(errno));
	}
}

static void client_op(void)
{
	char a[PATH_MAX], c[PATH_MAX], buf[4096];
	struct statfs sfs;
	struct stat st;
	DIR *d;
	int fd;

	client_path(a, sizeof(a));
	switch (below(24)) {
	case 0:
	case 1:
	case 2:
		lstat(a, &st);
		break;
	case 3:
		stat(a, &st);
		break;
	case 4:
	case 5:
		fd = open(a, O_RDONLY | O_NONBLOCK | O_NOCTTY);
		if (fd >= 0) {
			if (read(fd, buf, chance(50) ? sizeof(buf) : 100) < 0)
				(void)0;
			if (chance(30))
				lseek(fd, below(3000), chance(50) ? SEEK_DATA :
				      SEEK_HOLE);
			if (chance(30) && pread(fd, buf, 64, below(5000)) < 0)
				(void)0;
			close(fd);
		}
		break;
	case 6:
		fd = open(a, O_WRONLY | O_NONBLOCK | O_NOCTTY |
			  (chance(30) ? O_APPEND : 0));
		if (fd >= 0) {
			memset(buf, 'w', 200);
			if (write(fd, buf, 1 + below(200)) < 0)
				(void)0;
			if (chance(30))
				fsync(fd);
			if (chance(20))
				fallocate(fd, 0, 0, 4096);
			close(fd);
		}
		break;
	case 7:
	case 8:
		d = opendir(chance(30) ? mnt : a);
		if (d) {
			unsigned int i = 0;

			while (readdir(d) && i++ < 40)
				;
			closedir(d);
		}
		break;
	case 9:
		fd = open(a, O_CREAT | O_WRONLY | O_NONBLOCK |
			  (chance(30) ? O_EXCL : 0) | (chance(20) ? O_TRUNC : 0),
			  0644);
		if (fd >= 0)
			close(fd);
		break;
	case 10:
		mkdir(a, 0755);
		break;
	case 11:
		unlink(a);
		break;
	case 12:
		rmdir(a);
		break;
	case 13:
		client_path(c, sizeof(c));
		if (chance(50))
			rename(a, c);
		else
			renameat2(AT_FDCWD, a, AT_FDCWD, c, chance(50) ?
				  RENAME_NOREPLACE : RENAME_EXCHANGE);
		break;
	case 14:
		symlink("target", a);
		break;
	case 15:
		if (readlink(a, buf, sizeof(buf)) < 0)
			(void)0;
		break;
	case 16:
		client_path(c, sizeof(c));
		link(a, c);
		break;
	case 17:
		mknod(a, S_IFIFO | 0644, 0);
		break;
	case 18:
		chmod(a, 0600 | below(0100));
		break;
	case 19:
		if (truncate(a, below(5000)) < 0)
			(void)0;
		break;
	case 20:
		statfs(a, &sfs);
		break;
	case 21:
		if (chance(50))
			getxattr(a, "user.fuzz", buf, chance(50) ? 0 : 64);
		else
			listxattr(a, buf, chance(50) ? 0 : 64);
		break;
	case 22:
		if (chance(50))
			setxattr(a, "user.fuzz", "v", 1, 0);
		else
			removexattr(a, "user.fuzz");
		break;
	default:
		access(a, chance(50) ? R_OK : W_OK);
		break;
	}
}

/* The root (O_PATH) and a file of this same mount go to the daemon */
static int client_send_self(int sock)
{
	char path[PATH_MAX], cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	struct iovec iov;
	struct stat st;
	int fds[2];
	char byte = 'f';

	snprintf(path, sizeof(path), "%s/selffile", mnt);
	fds[0] = open(path, O_RDONLY);
	fds[1] = open(mnt, O_RDONLY | O_DIRECTORY);
	if (fds[0] < 0 || fds[1] < 0) {
		printf("fuzz: client: cannot open %s or %s: %s\n", path, mnt,
		       strerror(errno));
		return -1;
	}
	iov.iov_base = &byte;
	iov.iov_len = 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	if (sendmsg(sock, &mh, 0) != 1) {
		printf("fuzz: client: sendmsg: %s\n", strerror(errno));
		return -1;
	}
	close(fds[0]);
	close(fds[1]);
	snprintf(path, sizeof(path), "%s/fds-sent", mnt);
	stat(path, &st);
	return 0;
}

static int client(int sock)
{
	uint32_t n = 1;

	rng_state = seed ^ 0xc1c1c1c1c1c1c1c1ULL;
	if (client_send_self(sock) != 0)
		return 2;
	close(sock);
	control(n++);
	while (!shm->stop) {
		client_op();
		shm->ops++;
		if (shm->ops % CTL_EVERY == 0)
			control(n++);
	}
	/* The mount serves valid requests after all that */
	control(n++);
	control(n++);
	return shm->control_failures ? 1 : 0;
}

static void recv_client_fds(void)
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))], byte;
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	int fds[2];

	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	if (self_sock < 0 || recvmsg(self_sock, &mh, MSG_DONTWAIT) != 1 ||
	    !(cm = CMSG_FIRSTHDR(&mh)) || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(fds))) {
		printf("fuzz: no fds of this mount from the client\n");
	} else {
		printf("fuzz: setup: fds of this mount received, fuzzing\n");
		memcpy(fds, CMSG_DATA(cm), sizeof(fds));
		/* fstat() would wait for this process */
		add_kind_type("same-mount-file", fds[0], false, S_IFREG);
		add_kind_type("same-mount-dir", fds[1], false, S_IFDIR);
	}
	armed = true;
}

/* ------------------------------------------------------------------ */
/* A second FUSE daemon: fuse-bpf (and stock FUSE beside the module)    */

static void helper_reply(int fd, const void *b, size_t len)
{
	if (write(fd, b, len) < 0 && errno != ENOENT)
		fprintf(stderr, "fuzz: helper write: %s\n", strerror(errno));
}

static void helper_one(int fd, const struct fuse_in_header *ih)
{
	unsigned char b[512];
	const char *name = (const char *)(ih + 1);
	struct fuse_entry_out e;
	struct fuse_attr_out ao;
	uint64_t node = 0;
	size_t len;

	switch (ih->opcode) {
	case FUSE_INIT:
		do_init(ih, ih + 1, fd);
		return;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		return;
	case FUSE_LOOKUP:
		if (ih->nodeid == ROOT_ID && strcmp(name, "f") == 0)
			node = 2;
		else if (ih->nodeid == ROOT_ID && strcmp(name, "d") == 0)
			node = 3;
		if (!node)
			break;
		memset(&e, 0, sizeof(e));
		e.nodeid = node;
		e.entry_valid = e.attr_valid = 60;
		e.attr.ino = node;
		e.attr.mode = node == 2 ? S_IFREG | 0644 : S_IFDIR | 0755;
		e.attr.nlink = 1;
		e.attr.size = node == 2 ? 6 : 0;
		memcpy(b + HDR, &e, sizeof(e));
		helper_reply(fd, b, put_ok(b, ih->unique, sizeof(e)));
		return;
	case FUSE_GETATTR:
	case FUSE_SETATTR:
		memset(&ao, 0, sizeof(ao));
		ao.attr_valid = 60;
		ao.attr.ino = ih->nodeid;
		ao.attr.mode = ih->nodeid == 2 ? S_IFREG | 0644 :
			       S_IFDIR | 0755;
		ao.attr.nlink = 1;
		ao.attr.size = ih->nodeid == 2 ? 6 : 0;
		memcpy(b + HDR, &ao, sizeof(ao));
		helper_reply(fd, b, put_ok(b, ih->unique, sizeof(ao)));
		return;
	case FUSE_OPEN:
	case FUSE_OPENDIR:
		memset(b + HDR, 0, sizeof(struct fuse_open_out));
		helper_reply(fd, b, put_ok(b, ih->unique,
					   sizeof(struct fuse_open_out)));
		return;
	case FUSE_READ: {
		const struct fuse_read_in *in = (const void *)(ih + 1);
		static const char text[] = "hello\n";

		len = in->offset < 6 ? 6 - in->offset : 0;
		if (len > in->size)
			len = in->size;
		memcpy(b + HDR, text + (len ? in->offset : 0), len);
		helper_reply(fd, b, put_ok(b, ih->unique, len));
		return;
	}
	case FUSE_WRITE: {
		const struct fuse_write_in *in = (const void *)(ih + 1);
		struct fuse_write_out out = { .size = in->size };

		memcpy(b + HDR, &out, sizeof(out));
		helper_reply(fd, b, put_ok(b, ih->unique, sizeof(out)));
		return;
	}
	case FUSE_READDIR:
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_FLUSH:
	case FUSE_FSYNC:
	case FUSE_ACCESS:
		helper_reply(fd, b, put_ok(b, ih->unique, 0));
		return;
	case FUSE_STATFS:
		memset(b + HDR, 0, sizeof(struct fuse_statfs_out));
		helper_reply(fd, b, put_ok(b, ih->unique,
					   sizeof(struct fuse_statfs_out)));
		return;
	default:
		helper_reply(fd, b, put_err(b, ih->unique, ENOSYS));
		return;
	}
	helper_reply(fd, b, put_err(b, ih->unique, ENOENT));
}

static int helper_mount(const char *dev, const char *type, const char *dir)
{
	char opts[128];
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("fuzz: helper: %s: %s\n", dev, strerror(errno));
		return -1;
	}
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
	if (mount("fuzzhelper", dir, type, MS_NOSUID | MS_NODEV, opts) != 0) {
		printf("fuzz: helper: mount %s on %s: %s\n", type, dir,
		       strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Mounts DIR1 (this device) and, beside the module, DIR2 (stock FUSE) */
static int helper(const char *dir1, const char *dir2, int ready)
{
	static unsigned char buf[BUF_SIZE];
	struct pollfd p[2];
	char t1[64];
	unsigned int n = 0, live = 0, i;
	ssize_t r;

	snprintf(t1, sizeof(t1), "%s.fuzzhelper", fstype);
	p[n].fd = helper_mount(dev_path, t1, dir1);
	p[n++].events = POLLIN;
	if (module_kernel) {
		p[n].fd = helper_mount("/dev/fuse", "fuse.fuzzhelper", dir2);
		p[n++].events = POLLIN;
	}
	for (i = 0; i < n; i++)
		live += p[i].fd >= 0;
	if (write(ready, "r", 1) != 1)
		return 1;
	close(ready);
	while (live) {
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLERR |
							    POLLHUP)))
				continue;
			r = read(p[i].fd, buf, sizeof(buf));
			if (r < 0 && (errno == EINTR || errno == ENOENT ||
				      errno == EAGAIN))
				continue;
			if (r < (ssize_t)sizeof(struct fuse_in_header)) {
				close(p[i].fd);
				p[i].fd = -1;
				live--;
				continue;
			}
			helper_one(p[i].fd, (const void *)buf);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Setup                                                                */

static int must(int ret, const char *what)
{
	if (ret < 0)
		printf("fuzz: %s: %s\n", what, strerror(errno));
	return ret;
}

static void wpath(char *p, size_t n, const char *rel)
{
	snprintf(p, n, "%s/%s", workdir, rel);
}

static int openw(const char *rel, int flags)
{
	char p[PATH_MAX];

	wpath(p, sizeof(p), rel);
	return must(open(p, flags | O_CLOEXEC), p);
}

static void mkdirw(const char *rel)
{
	char p[PATH_MAX];

	wpath(p, sizeof(p), rel);
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		printf("fuzz: mkdir %s: %s\n", p, strerror(errno));
}

static void writew(const char *rel, const char *text)
{
	int fd = openw(rel, O_WRONLY | O_CREAT | O_TRUNC);

	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			printf("fuzz: write %s: %s\n", rel, strerror(errno));
		close(fd);
	}
}

static bool overlay_ok;

static void make_kinds(void)
{
	char p[PATH_MAX], l[PATH_MAX], opts[PATH_MAX * 3];
	int sv[2], pp[2];

	mkdirw("lower");
	mkdirw("lower/dir");
	writew("lower/file", "backing file\n");
	wpath(p, sizeof(p), "lower/link");
	if (symlink("file", p) != 0 && errno != EEXIST)
		printf("fuzz: symlink %s: %s\n", p, strerror(errno));
	add_kind("tmpfs-file", openw("lower/file", O_RDWR), true);
	add_kind("tmpfs-dir", openw("lower/dir", O_RDONLY | O_DIRECTORY),
		 true);
	add_kind("opath-file", openw("lower/file", O_PATH), true);
	add_kind("opath-dir", openw("lower/dir", O_PATH | O_DIRECTORY), true);
	add_kind("opath-symlink", openw("lower/link", O_PATH | O_NOFOLLOW),
		 true);
	if (must(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
		 "socketpair") == 0)
		add_kind("socket", sv[0], false);
	if (must(pipe2(pp, O_CLOEXEC), "pipe") == 0)
		add_kind("pipe", pp[0], false);
	add_kind("epoll", must(epoll_create1(EPOLL_CLOEXEC), "epoll"), false);
	add_kind("eventfd", must(eventfd(0, EFD_CLOEXEC), "eventfd"), false);
	add_kind("memfd", must(memfd_create("fuzz", MFD_CLOEXEC), "memfd"),
		 false);
	add_kind("procfs-file", must(open("/proc/self/status",
					  O_RDONLY | O_CLOEXEC), "/proc"),
		 false);
	add_kind("procfs-dir", must(open("/proc", O_RDONLY | O_DIRECTORY |
					 O_CLOEXEC), "/proc"), false);
	add_kind("procfs-symlink", must(open("/proc/self/exe", O_PATH |
					     O_NOFOLLOW | O_CLOEXEC),
					"/proc/self/exe"), false);
	add_kind("sysfs-dir", must(open("/sys/kernel", O_RDONLY |
					O_DIRECTORY | O_CLOEXEC), "/sys"),
		 false);
	add_kind("dev-null", must(open("/dev/null", O_RDWR | O_CLOEXEC),
				  "/dev/null"), false);
	add_kind("fuse-device", must(open(dev_path, O_RDWR | O_CLOEXEC),
				     dev_path), false);
	add_kind("own-fuse-device", devfd, false);

	/* overlayfs over tmpfs: stacked one level, as deep as this mount */
	mkdirw("ovl");
	mkdirw("ovl/l");
	mkdirw("ovl/l/dir");
	mkdirw("ovl/u");
	mkdirw("ovl/w");
	mkdirw("ovl/m");
	writew("ovl/l/file", "overlay file\n");
	wpath(l, sizeof(l), "ovl/l");
	wpath(p, sizeof(p), "ovl/u");
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,", l, p);
	wpath(p, sizeof(p), "ovl/w");
	strncat(opts, "workdir=", sizeof(opts) - strlen(opts) - 1);
	strncat(opts, p, sizeof(opts) - strlen(opts) - 1);
	wpath(p, sizeof(p), "ovl/m");
	if (mount("overlay", p, "overlay", 0, opts) != 0) {
		printf("fuzz: mount overlay on %s: %s\n", p, strerror(errno));
	} else {
		overlay_ok = true;
		overlay_ok &= add_kind("overlay-file",
				       openw("ovl/m/file", O_RDONLY), false);
		overlay_ok &= add_kind("overlay-dir",
				       openw("ovl/m/dir", O_RDONLY |
					     O_DIRECTORY), false);
	}
}

static bool helper_kinds(void)
{
	bool ok = add_kind("other-fuse-bpf-file", openw("h1/f", O_RDONLY),
			   false);

	ok &= add_kind("other-fuse-bpf-dir", openw("h1", O_RDONLY |
						   O_DIRECTORY), false);
	if (module_kernel) {
		ok &= add_kind("stock-fuse-file", openw("h2/f", O_RDONLY),
			       true);
		ok &= add_kind("stock-fuse-dir", openw("h2/d", O_RDONLY |
						       O_DIRECTORY), true);
	}
	return ok;
}

/* ------------------------------------------------------------------ */
/* Main                                                                 */

static int results_failed;

static void result(const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void result(const char *name, bool ok, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	printf("fuzz-result %s %s %s\n", name, ok ? "PASS" : "FAIL", detail);
	if (!ok)
		results_failed++;
}

static void serve(int hup_fd)
{
	static unsigned char buf[BUF_SIZE];
	struct pollfd p[2] = {
		{ .fd = devfd, .events = POLLIN },
		{ .fd = hup_fd, .events = POLLIN },
	};
	uint64_t next_report = 20000;
	bool client_gone = false;
	struct timespec t0, t;
	ssize_t n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int pr = poll(p, client_gone ? 1 : 2, client_gone ? 300 : -1);

		if (pr < 0) {
			if (errno == EINTR)
				continue;
			printf("fuzz: poll: %s\n", strerror(errno));
			return;
		}
		if (pr == 0)
			return;	/* the client is gone and nothing is queued */
		if (!client_gone && (p[1].revents & (POLLHUP | POLLIN))) {
			client_gone = true;
			continue;
		}
		if (!(p[0].revents & POLLIN)) {
			if (p[0].revents & (POLLERR | POLLHUP))
				return;
			continue;
		}
		n = read(devfd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR || errno == ENOENT || errno == EAGAIN)
				continue;
			printf("fuzz: read the device: %s\n", strerror(errno));
			return;
		}
		if ((size_t)n < sizeof(struct fuse_in_header))
			continue;
		if (((struct fuse_in_header *)buf)->opcode == FUSE_INIT) {
			replies++;
			do_init((void *)buf, buf + sizeof(struct fuse_in_header),
				devfd);
			continue;
		}
		if (armed && requests % 2000 == 0)
			epoch = requests / 2000;
		handle((const struct fuse_in_header *)buf, (size_t)n);
		if (replies >= target && !shm->stop)
			shm->stop = 1;
		if (replies >= next_report) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			printf("fuzz: %" PRIu64 " replies, %" PRIu64 " requests, %" PRIu64 " client operations, %ld s\n",
			       replies, requests, shm->ops,
			       (long)(t.tv_sec - t0.tv_sec));
			next_report += 20000;
		}
	}
}

/*
 * Closing the fds of this same mount sends FLUSH and RELEASE to this
 * process: a thread answers them (validly) meanwhile.
 */
static volatile int closer_done;

static void *closer_serve(void *arg)
{
	static unsigned char buf[BUF_SIZE];
	struct pollfd p = { .fd = devfd, .events = POLLIN };
	ssize_t n;

	(void)arg;
	while (!closer_done) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		if (p.revents & (POLLERR | POLLHUP))
			break;
		n = read(devfd, buf, sizeof(buf));
		if (n >= (ssize_t)sizeof(struct fuse_in_header))
			handle((const struct fuse_in_header *)buf, (size_t)n);
		else if (n < 0 && errno == ENODEV)
			break;
	}
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: fuzz_reply [-n REPLIES] [-s SEED] [-t SECONDS] WORKDIR\n");
	exit(2);
}

/* The time bound: say where it stopped (the children die with it) */
static void on_alarm(int sig)
{
	char msg[160];
	int n;

	(void)sig;
	n = snprintf(msg, sizeof(msg),
		     "fuzz: out of time after %llu replies, %llu requests: the daemon is stuck or the kernel is too slow\n",
		     (unsigned long long)replies,
		     (unsigned long long)requests);
	if (write(STDOUT_FILENO, msg, (size_t)n) < 0)
		_exit(3);
	_exit(3);
}

int main(int argc, char **argv)
{
	char opts[128], t[64], h1[PATH_MAX], h2[PATH_MAX], sub[64];
	int sp[2], hp[2], rp[2], opt, status, cstatus = -1, hstatus = -1;
	pid_t cpid, hpid;
	pthread_t closer;
	struct timespec t0, t1;
	unsigned int i;
	bool kinds_ok = true, ok, umounted;
	char c;

	while ((opt = getopt(argc, argv, "n:s:t:")) != -1) {
		switch (opt) {
		case 't':
			signal(SIGALRM, on_alarm);
			alarm((unsigned int)strtoul(optarg, NULL, 0));
			break;
		case 'n':
			target = strtoull(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(workdir, sizeof(workdir), "%s", argv[optind]);
	snprintf(mnt, sizeof(mnt), "%s/mnt", workdir);
	rng_state = seed;
	printf("fuzz: seed %" PRIu64 ", %" PRIu64 " replies wanted\n", seed,
	       target);
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		return 2;
	if (access(FUSE_BPF_MODULE_FEATURE_FILE, F_OK) == 0) {
		module_kernel = true;
		dev_path = FUSE_BPF_MODULE_DEVICE;
		fstype = FUSE_BPF_MODULE_FSTYPE;
	}
	printf("fuzz: device %s, type %s.fuzz (%s)\n", dev_path, fstype,
	       module_kernel ? "fuse-bpf.ko beside the stock FUSE" :
	       "fuse-bpf built in");
	mkdirw("mnt");
	mkdirw("h1");
	mkdirw("h2");
	devfd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (devfd < 0) {
		printf("fuzz: %s: %s\n", dev_path, strerror(errno));
		return 2;
	}
	make_kinds();
	printf("fuzz: setup: %u fd kinds made, starting the second FUSE daemon\n",
	       nkinds);

	/* The second FUSE daemon */
	wpath(h1, sizeof(h1), "h1");
	wpath(h2, sizeof(h2), "h2");
	if (pipe(rp) != 0)
		return 2;
	hpid = fork();
	if (hpid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(rp[0]);
		close(devfd);
		_exit(helper(h1, h2, rp[1]));
	}
	close(rp[1]);
	if (hpid < 0 || read(rp[0], &c, 1) != 1) {
		printf("fuzz: the helper daemon did not start\n");
		return 2;
	}
	close(rp[0]);
	kinds_ok = helper_kinds();
	printf("fuzz: setup: %u fd kinds made, mounting %s\n", nkinds, mnt);

	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", devfd);
	snprintf(t, sizeof(t), "%s.fuzz", fstype);
	if (mount("fuzz", mnt, t, MS_NOSUID | MS_NODEV, opts) != 0) {
		printf("fuzz: mount %s: %s\n", mnt, strerror(errno));
		return 2;
	}
	add_kind_type("same-mount-root", must(open(mnt, O_PATH | O_CLOEXEC),
					      "open the mount root"),
		      false, S_IFDIR);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0 ||
	    pipe(hp) != 0)
		return 2;
	printf("fuzz: setup: mounted, starting the client\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cpid = fork();
	if (cpid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sp[0]);
		close(hp[0]);
		close(devfd);
		_exit(client(sp[1]));
	}
	close(sp[1]);
	close(hp[1]);
	self_sock = sp[0];
	serve(hp[0]);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (waitpid(cpid, &status, 0) == cpid && WIFEXITED(status))
		cstatus = WEXITSTATUS(status);

	/* Let go of everything on the mounts, then unmount */
	shm->stop = 1;
	if (pthread_create(&closer, NULL, closer_serve, NULL) != 0) {
		printf("fuzz: pthread_create failed\n");
		return 2;
	}
	for (i = 0; i < nkinds; i++)
		if (kinds[i].fd != devfd)
			close(kinds[i].fd);
	closer_done = 1;
	pthread_join(closer, NULL);
	umounted = umount2(mnt, 0) == 0;
	if (!umounted) {
		printf("fuzz: umount %s: %s\n", mnt, strerror(errno));
		umount2(mnt, MNT_DETACH);
	}
	umount2(h1, MNT_DETACH);
	if (module_kernel)
		umount2(h2, MNT_DETACH);
	if (overlay_ok) {
		wpath(h1, sizeof(h1), "ovl/m");
		umount2(h1, MNT_DETACH);
	}
	if (waitpid(hpid, &status, 0) == hpid && WIFEXITED(status))
		hstatus = WEXITSTATUS(status);
	close(devfd);

	/* Report */
	printf("fuzz: %" PRIu64 " requests, %" PRIu64 " replies (%" PRIu64 " mutated, %" PRIu64 " stale probes), %" PRIu64 " client operations, %u control checks, %ld s\n",
	       requests, replies, mutated, probes, shm->ops, shm->controls,
	       (long)(t1.tv_sec - t0.tv_sec));
	printf("fuzz: requests (mutated) by opcode:");
	for (i = 0; i < 64; i++)
		if (requests_by_op[i])
			printf(" %s %" PRIu64 " (%" PRIu64 ")", opname(i),
			       requests_by_op[i], mutated_by_op[i]);
	printf("\n");
	for (i = 0; i < noutcomes; i++)
		printf("fuzz: outcome %-8s request %-9s %" PRIu64 "\n",
		       errname(outcomes[i].err),
		       outcomes[i].consumed ? "ended" : "pending",
		       outcomes[i].n);
	for (i = 0; i < nkinds; i++) {
		printf("fuzz: fd %-22s %s%s offered %lu, accepted %lu, refused %lu\n",
		       kinds[i].name, kinds[i].fit ? "fit  " : "unfit",
		       type_can_back(kinds[i].type) ? "" : " (no file type)",
		       kinds[i].offered, kinds[i].accepted, kinds[i].refused);
		if (!kinds[i].offered || (kinds[i].fit && !kinds[i].accepted))
			kinds_ok = false;
	}
	for (i = 0; i < 4; i++) {
		printf("fuzz: fd %-22s offered %lu\n", special_names[i],
		       special_offered[i]);
		if (!special_offered[i])
			kinds_ok = false;
	}

	result("fuzz-reply-errnos", mismatches == 0,
	       "%" PRIu64 " replies (%" PRIu64 " mutated): %" PRIu64 " got another errno or request state than the kernel contract gives",
	       replies, mutated, mismatches);
	ok = outcome_n(EINVAL, false) && outcome_n(EINVAL, true) &&
	     outcome_n(ENOENT, false) && outcome_n(EBADF, false) &&
	     outcome_n(EPERM, false) && outcome_n(0, false) &&
	     outcome_n(0, true);
	result("fuzz-reply-classes", ok,
	       "EINVAL pending %" PRIu64 ", EINVAL ended %" PRIu64 ", ENOENT %" PRIu64 ", EBADF %" PRIu64 ", EPERM %" PRIu64 ", taken %" PRIu64,
	       outcome_n(EINVAL, false), outcome_n(EINVAL, true),
	       outcome_n(ENOENT, false), outcome_n(EBADF, false),
	       outcome_n(EPERM, false), outcome_n(0, true));
	/* Short runs (FUZZ_REPLIES) need not offer every kind */
	snprintf(sub, sizeof(sub), "%u kinds", nkinds);
	result("fuzz-reply-fd-kinds", (kinds_ok || target < 50000) &&
	       overlay_ok && !kind_failures,
	       "%s made%s; %s",
	       sub, overlay_ok ? "" : " (no overlayfs)",
	       kinds_ok ? "each and 4 bad fds offered in blocks, the fit ones accepted" :
	       target < 50000 ? "not all offered (not required below 50000 replies)" :
	       "not all offered, or a fit one never accepted");
	result("fuzz-reply-serving", cstatus == 0 && shm->controls >= 3 &&
	       !shm->control_failures,
	       "%u control checks of a valid request, %u failed (client exit %d)",
	       shm->controls, shm->control_failures, cstatus);
	result("fuzz-reply-count", replies >= target,
	       "%" PRIu64 " replies of %" PRIu64 " wanted", replies, target);
	result("fuzz-reply-teardown", hstatus == 0 && umounted,
	       "umount %s, helper daemon exit %d",
	       umounted ? "done" : "failed", hstatus);
	printf("fuzz: %" PRIu64 " replies, seed %" PRIu64 "\n", replies, seed);
	return results_failed ? 1 : 0;
}
