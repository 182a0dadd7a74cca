// SPDX-License-Identifier: GPL-2.0-only
/*
 * kill_random: a daemon killed with SIGKILL at a random moment of a mixed
 * workload, round after round, each round with its own recorded seed.
 *
 *   kill_random --mode=MODE --passthrough=PATH --fallback=PATH
 *               [--rounds=N] [--seed=S] [--max-delay=MS] WORKDIR LOGDIR
 *
 * Run as root (it mounts; the workload sets trusted.* xattrs).  WORKDIR
 * gets lower/ (the daemons' SOURCE) and mnt/; LOGDIR (a tmpfs of its
 * own, outside the mount) gets the workload's intent log and the daemons'
 * messages.  lower/ holds ctl/, a control tree the workload only
 * reads (through the mount), and w/, the workload's tree.
 *
 * Round I uses seed S+I.  The seed chooses the daemon (even: passthrough_bpf,
 * which backs the whole tree; odd: fallback_bpf --refuse=w, whose w/ and the
 * nodes created in it are the daemon's own, the rest backed), the initial
 * w/ (written straight to the lower), the workload's operations and the
 * delay (0 to --max-delay ms after the workload starts) of the SIGKILL.
 *
 * The workload (create, write+fsync, rename, unlink, mkdir, rmdir,
 * truncate, setxattr, read, readdir, reads of ctl/) chooses each operation
 * from a model of w/, so every one of them must succeed while the daemon
 * lives; reads and listings are compared with the model.  Before an
 * operation it appends "B N what" to the intent log, after it "E N errno".
 * It stops at its first error, or when the driver tells it to.
 *
 * After the kill:
 * - where the daemon served the root (every mode but fuse-bpf with
 *   passthrough_bpf), listing the mount and a lookup in w/ give ENOTCONN,
 *   and the workload ends with ENOTCONN or ECONNABORTED (in fuse-bpf mode
 *   with fallback_bpf, backed nodes may keep working meanwhile);
 * - with passthrough_bpf in fuse-bpf mode the kernel keeps serving
 *   (doc/security.md, section 4): the listing works, a lookup gives ENOENT
 *   and no operation of the workload fails;
 * - the mount unmounts; ctl/ on the lower equals its manifest, the lower's
 *   root holds only ctl/ and w/, and w/ equals the model after the
 *   completed operations, or after the one in flight too, or (a write in
 *   flight) every byte the old or the new one;
 * - a fresh daemon mounts the same source, shows w/ and ctl/ as the lower
 *   has them, takes a write that lands in the lower, unmounts and exits 0.
 *
 * Each round prints one line; a failing one prints "FAIL seed S: why".
 * The last line lists the failing seeds (--seed=S --rounds=1 repeats one).
 * Exit status: 0 all rounds passed, 1 a round failed, 2 bad usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define NFILE 12
#define NDIR 3
#define MAXF 16384
#define XMAX 64
#define XNAME "trusted.kw"
#define MAXOPS 200000
#define WHY 512
/* The operations' random stream, apart from the initial tree's. */
#define OPS_STREAM 0x6f70730000000000ULL

/* Outcome of an operation whose result differed from the model. */
#define MISMATCH (-1)

static const char *const file_path[NFILE] = {
	"f0", "f1", "f2", "f3", "f4", "f5",
	"d0/a", "d0/b", "d1/a", "d1/b", "d2/a", "d2/b",
};
static const char *const dir_path[NDIR] = { "d0", "d1", "d2" };

/* The directory slot a file slot lives in, -1 for w/ itself. */
static int file_parent(int i)
{
	return i < 6 ? -1 : (i - 6) / 2;
}

struct rng {
	uint64_t s;
};

/* splitmix64 */
static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return (uint32_t)(rnd(r) % n);
}

static void fill(unsigned char *buf, size_t len, uint64_t seed)
{
	struct rng r = { seed };
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)rnd(&r);
}

static uint64_t hash(const void *p, size_t len, uint64_t h)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ c[i]) * 0x100000001b3ULL;
	return h;
}

#define HASH0 0xcbf29ce484222325ULL

/* snprintf() for messages and paths that are short in practice. */
__attribute__((format(printf, 3, 4)))
static void fmt(char *buf, size_t n, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, n, f, ap);
	va_end(ap);
}

/* ---- the model of w/ ---- */

struct mfile {
	int exists;
	int has_x;
	size_t size;
	size_t xlen;
	unsigned char x[XMAX];
	unsigned char data[MAXF];	/* zero beyond size */
};

struct model {
	/*
	 * For fallback_bpf, whose own nodes have no xattrs and whose
	 * renames between a backed and a daemon directory give EXDEV: no
	 * xattrs, renames within a directory.
	 */
	int plain;
	int dir[NDIR];
	struct mfile f[NFILE];
};

enum {
	OP_CREATE, OP_WRITE, OP_RENAME, OP_UNLINK, OP_MKDIR, OP_RMDIR,
	OP_TRUNCATE, OP_SETXATTR, OP_READ, OP_READCTL, OP_READDIR, OP_KINDS
};

static const char *const op_name[OP_KINDS] = {
	"create", "write+fsync", "rename", "unlink", "mkdir", "rmdir",
	"truncate", "setxattr", "read", "read-ctl", "readdir",
};
static const unsigned int op_weight[OP_KINDS] = {
	10, 20, 10, 7, 4, 3, 10, 10, 12, 5, 9,
};

struct op {
	int kind;
	int a;		/* file slot; dir slot (-1: w/); ctl file */
	int b;		/* rename target */
	size_t off;
	size_t len;	/* write length, new size, xattr length */
	uint64_t dseed;
};

static bool parent_ok(const struct model *m, int i)
{
	return file_parent(i) < 0 || m->dir[file_parent(i)];
}

static bool dir_empty(const struct model *m, int d)
{
	int i;

	for (i = 0; i < NFILE; i++)
		if (file_parent(i) == d && m->f[i].exists)
			return false;
	return true;
}

static void init_model(struct model *m, struct rng *r, int plain)
{
	int i;

	memset(m, 0, sizeof(*m));
	m->plain = plain;
	for (i = 0; i < NDIR; i++)
		m->dir[i] = below(r, 2);
	for (i = 0; i < NFILE; i++) {
		struct mfile *f = &m->f[i];

		if (!parent_ok(m, i) || below(r, 2))
			continue;
		f->exists = 1;
		f->size = below(r, 8193);
		fill(f->data, f->size, rnd(r));
		if (!plain && below(r, 3) == 0) {
			f->has_x = 1;
			f->xlen = 1 + below(r, XMAX);
			fill(f->x, f->xlen, rnd(r));
		}
	}
}

/* The next operation for model @m; always one that must succeed. */
static void gen_op(struct rng *r, const struct model *m, int nctl,
		   struct op *op)
{
	unsigned int total = 0, w;
	int k, tries;

	for (k = 0; k < OP_KINDS; k++)
		total += op_weight[k];
	for (tries = 0; tries < 100; tries++) {
		const struct mfile *f;

		memset(op, 0, sizeof(*op));
		w = below(r, total);
		for (k = 0; w >= op_weight[k]; k++)
			w -= op_weight[k];
		op->kind = k;
		op->a = below(r, NFILE);
		f = &m->f[op->a];
		switch (k) {
		case OP_CREATE:
			if (f->exists || !parent_ok(m, op->a))
				continue;
			return;
		case OP_WRITE:
			if (!f->exists)
				continue;
			op->off = below(r, (uint32_t)(f->size < MAXF - 1 ?
						      f->size + 1 : MAXF - 1));
			op->len = 1 + below(r, (uint32_t)(MAXF - op->off < 4096 ?
						      MAXF - op->off : 4096));
			op->dseed = rnd(r);
			return;
		case OP_RENAME:
			op->b = below(r, NFILE);
			if (!f->exists || op->b == op->a ||
			    !parent_ok(m, op->b) || (m->plain &&
			    file_parent(op->a) != file_parent(op->b)))
				continue;
			return;
		case OP_UNLINK:
		case OP_READ:
			if (!f->exists)
				continue;
			return;
		case OP_TRUNCATE:
			if (!f->exists)
				continue;
			op->len = below(r, MAXF + 1);
			return;
		case OP_SETXATTR:
			if (!f->exists || m->plain)
				continue;
			op->len = 1 + below(r, XMAX);
			op->dseed = rnd(r);
			return;
		case OP_MKDIR:
			op->a = below(r, NDIR);
			if (m->dir[op->a])
				continue;
			return;
		case OP_RMDIR:
			op->a = below(r, NDIR);
			if (!m->dir[op->a] || !dir_empty(m, op->a))
				continue;
			return;
		case OP_READCTL:
			if (nctl == 0)
				continue;
			op->a = below(r, nctl);
			return;
		default:
			op->a = (int)below(r, NDIR + 1) - 1;
			if (op->a >= 0 && !m->dir[op->a])
				continue;
			return;
		}
	}
	memset(op, 0, sizeof(*op));
	op->kind = OP_READDIR;
	op->a = -1;
}

static void apply_op(struct model *m, const struct op *op)
{
	struct mfile *f = &m->f[op->a];

	switch (op->kind) {
	case OP_CREATE:
		memset(f, 0, sizeof(*f));
		f->exists = 1;
		break;
	case OP_WRITE:
		fill(f->data + op->off, op->len, op->dseed);
		if (op->off + op->len > f->size)
			f->size = op->off + op->len;
		break;
	case OP_RENAME:
		m->f[op->b] = *f;
		memset(f, 0, sizeof(*f));
		break;
	case OP_UNLINK:
		memset(f, 0, sizeof(*f));
		break;
	case OP_TRUNCATE:
		if (op->len < f->size)
			memset(f->data + op->len, 0, f->size - op->len);
		f->size = op->len;
		break;
	case OP_SETXATTR:
		f->has_x = 1;
		f->xlen = op->len;
		fill(f->x, f->xlen, op->dseed);
		break;
	case OP_MKDIR:
		m->dir[op->a] = 1;
		break;
	case OP_RMDIR:
		m->dir[op->a] = 0;
		break;
	default:
		break;
	}
}

static void describe(const struct op *op, char *buf, size_t n)
{
	switch (op->kind) {
	case OP_WRITE:
		fmt(buf, n, "%s %s off %zu len %zu", op_name[op->kind],
			 file_path[op->a], op->off, op->len);
		break;
	case OP_RENAME:
		fmt(buf, n, "%s %s %s", op_name[op->kind],
			 file_path[op->a], file_path[op->b]);
		break;
	case OP_TRUNCATE:
	case OP_SETXATTR:
		fmt(buf, n, "%s %s %zu", op_name[op->kind],
			 file_path[op->a], op->len);
		break;
	case OP_MKDIR:
	case OP_RMDIR:
		fmt(buf, n, "%s %s", op_name[op->kind], dir_path[op->a]);
		break;
	case OP_READCTL:
		fmt(buf, n, "%s #%d", op_name[op->kind], op->a);
		break;
	case OP_READDIR:
		fmt(buf, n, "%s %s", op_name[op->kind],
			 op->a < 0 ? "." : dir_path[op->a]);
		break;
	default:
		fmt(buf, n, "%s %s", op_name[op->kind], file_path[op->a]);
		break;
	}
}

/* ---- tree snapshots (the control tree, the remount comparison) ---- */

struct ent {
	char path[256];
	mode_t mode;
	off_t size;
	uint64_t h;	/* content or link target */
	uint64_t xh;	/* xattr names and values */
};

struct snap {
	struct ent *e;
	size_t n;
	size_t cap;
};

static int read_all(const char *path, unsigned char *buf, size_t cap,
		    size_t *len)
{
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*len = 0;
	if (fd < 0)
		return errno;
	for (;;) {
		r = read(fd, buf + *len, cap - *len);
		if (r < 0) {
			r = errno;
			close(fd);
			return (int)r;
		}
		if (r == 0 || (*len += (size_t)r) == cap)
			break;
	}
	return close(fd) ? errno : 0;
}

static uint64_t xattr_hash(const char *path)
{
	char names[4096], val[XMAX * 4];
	ssize_t n, v, i;
	uint64_t h = HASH0;

	n = llistxattr(path, names, sizeof(names));
	for (i = 0; i < n; i += (ssize_t)strlen(names + i) + 1) {
		/* What the security modules keep is theirs, not the tree's. */
		if (!strncmp(names + i, "security.", 9))
			continue;
		h = hash(names + i, strlen(names + i) + 1, h);
		v = lgetxattr(path, names + i, val, sizeof(val));
		if (v > 0)
			h = hash(val, (size_t)v, h);
	}
	return n < 0 ? (uint64_t)errno : h;
}

static int snap_walk(struct snap *s, const char *base, const char *rel,
		     char *why, size_t wn)
{
	static unsigned char buf[1 << 20];
	char dpath[PATH_MAX], path[PATH_MAX];
	struct dirent *d;
	DIR *dir;
	int err = 0;

	fmt(dpath, sizeof(dpath), "%s%s%s", base, *rel ? "/" : "", rel);
	dir = opendir(dpath);
	if (!dir) {
		fmt(why, wn, "opendir %s: %s", dpath, strerror(errno));
		return -1;
	}
	while (!err && (errno = 0, d = readdir(dir))) {
		struct ent *e;
		struct stat st;
		size_t len;

		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (s->n == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 64;
			s->e = realloc(s->e, s->cap * sizeof(*s->e));
			if (!s->e) {
				fmt(why, wn, "out of memory");
				err = -1;
				break;
			}
		}
		e = &s->e[s->n++];
		memset(e, 0, sizeof(*e));
		fmt(e->path, sizeof(e->path), "%s%s%s", rel,
			 *rel ? "/" : "", d->d_name);
		fmt(path, sizeof(path), "%s/%s", base, e->path);
		if (lstat(path, &st)) {
			fmt(why, wn, "lstat %s: %s", path, strerror(errno));
			err = -1;
			break;
		}
		e->mode = st.st_mode;
		e->xh = xattr_hash(path);
		if (S_ISREG(st.st_mode)) {
			e->size = st.st_size;
			err = read_all(path, buf, sizeof(buf), &len);
			if (err) {
				fmt(why, wn, "read %s: %s", path,
					 strerror(err));
				err = -1;
				break;
			}
			e->h = hash(buf, len, HASH0);
		} else if (S_ISLNK(st.st_mode)) {
			ssize_t l = readlink(path, (char *)buf, sizeof(buf));

			e->h = l < 0 ? (uint64_t)errno :
				       hash(buf, (size_t)l, HASH0);
		} else if (S_ISDIR(st.st_mode)) {
			char sub[256];

			fmt(sub, sizeof(sub), "%s", e->path);
			err = snap_walk(s, base, sub, why, wn);
		}
	}
	if (!err && errno) {
		fmt(why, wn, "readdir %s: %s", dpath, strerror(errno));
		err = -1;
	}
	closedir(dir);
	return err;
}

static int ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->path,
		      ((const struct ent *)b)->path);
}

/* Snapshot of the tree at @base: 0, or -1 with @why. */
static int snap_take(struct snap *s, const char *base, char *why, size_t wn)
{
	s->n = 0;
	if (snap_walk(s, base, "", why, wn))
		return -1;
	if (s->n)
		qsort(s->e, s->n, sizeof(*s->e), ent_cmp);
	return 0;
}

/* Equal snapshots: 0, or -1 with the first difference in @why. */
static int snap_diff(const struct snap *a, const struct snap *b,
		     const char *what, char *why, size_t wn)
{
	size_t i;

	for (i = 0; i < a->n && i < b->n; i++) {
		const struct ent *x = &a->e[i], *y = &b->e[i];

		if (strcmp(x->path, y->path)) {
			fmt(why, wn, "%s: %s where %s was expected", what,
				 y->path, x->path);
			return -1;
		}
		if (x->mode != y->mode || x->size != y->size ||
		    x->h != y->h || x->xh != y->xh) {
			fmt(why, wn, "%s: %s differs (mode %o/%o, size %jd/%jd, %s%s)",
				 what, x->path, (unsigned int)x->mode,
				 (unsigned int)y->mode, (intmax_t)x->size,
				 (intmax_t)y->size,
				 x->h != y->h ? "content" : "",
				 x->xh != y->xh ? " xattrs" : "");
			return -1;
		}
	}
	if (a->n != b->n) {
		fmt(why, wn, "%s: %s %s", what,
			 a->n > b->n ? a->e[i].path : b->e[i].path,
			 a->n > b->n ? "missing" : "unexpected");
		return -1;
	}
	return 0;
}

/* ---- the workload ---- */

struct cfg {
	const char *mode;
	const char *pt;
	const char *fb;
	char lower[PATH_MAX];
	char mnt[PATH_MAX];
	char logdir[PATH_MAX];
	struct snap ctl;	/* manifest of lower/ctl */
	int nctl;		/* regular files of ctl */
	int ctlfile[64];	/* their indexes in ctl.e */
	long maxdelay;		/* ms */
	volatile int *stop;	/* shared with the workload */
};

static void wpath(char *buf, size_t n, const char *root, const char *rel)
{
	fmt(buf, n, "%s/w%s%s", root, *rel ? "/" : "", rel);
}

static int do_write(const char *p, const struct op *op)
{
	unsigned char data[4096];
	size_t done = 0;
	ssize_t r;
	int fd = open(p, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return errno;
	fill(data, op->len, op->dseed);
	while (!err && done < op->len) {
		r = pwrite(fd, data + done, op->len - done,
			   (off_t)(op->off + done));
		if (r < 0)
			err = errno;
		else
			done += (size_t)r;
	}
	if (!err && fsync(fd))
		err = errno;
	if (close(fd) && !err)
		err = errno;
	return err;
}

static int do_read(const char *p, const struct mfile *f, int plain, char *msg,
		   size_t n)
{
	static unsigned char buf[MAXF + 1];
	unsigned char x[XMAX + 1];
	ssize_t xl;
	size_t len;
	int err = read_all(p, buf, sizeof(buf), &len);

	if (err)
		return err;
	if (len != f->size || memcmp(buf, f->data, len)) {
		fmt(msg, n, "read %zu bytes, the model has %zu%s", len,
			 f->size, len == f->size ? " (content differs)" : "");
		return MISMATCH;
	}
	if (plain)
		return 0;
	xl = getxattr(p, XNAME, x, sizeof(x));
	if (xl < 0 && errno != ENODATA)
		return errno;
	if ((xl < 0) != !f->has_x ||
	    (xl >= 0 && ((size_t)xl != f->xlen || memcmp(x, f->x, f->xlen)))) {
		fmt(msg, n, "xattr %s differs from the model", XNAME);
		return MISMATCH;
	}
	return 0;
}

static int do_readdir(const char *p, const struct model *m, int d, char *msg,
		      size_t n)
{
	bool seen[NFILE + NDIR] = { false };
	struct dirent *e;
	DIR *dir = opendir(p);
	int i, err = 0;

	if (!dir)
		return errno;
	while (!err && (errno = 0, e = readdir(dir))) {
		bool known = false;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		for (i = 0; i < NFILE; i++) {
			const char *name = strrchr(file_path[i], '/');

			name = name ? name + 1 : file_path[i];
			if (file_parent(i) == d && !strcmp(name, e->d_name) &&
			    m->f[i].exists)
				known = seen[i] = true;
		}
		for (i = 0; d < 0 && i < NDIR; i++)
			if (!strcmp(dir_path[i], e->d_name) && m->dir[i])
				known = seen[NFILE + i] = true;
		if (!known) {
			fmt(msg, n, "unexpected entry %s", e->d_name);
			err = MISMATCH;
		}
	}
	if (!err && errno)
		err = errno;
	if (closedir(dir) && !err)
		err = errno;
	for (i = 0; !err && i < NFILE + NDIR; i++) {
		bool want = i < NFILE ? file_parent(i) == d && m->f[i].exists :
					d < 0 && m->dir[i - NFILE];

		if (want && !seen[i]) {
			fmt(msg, n, "entry %s missing", i < NFILE ?
				 file_path[i] : dir_path[i - NFILE]);
			err = MISMATCH;
		}
	}
	return err;
}

static int do_op(const struct cfg *c, const struct model *m,
		 const struct op *op, char *msg, size_t n)
{
	char p[PATH_MAX], q[PATH_MAX];
	unsigned char x[XMAX];
	int fd, r;

	wpath(p, sizeof(p), c->mnt, op->kind == OP_MKDIR ||
	      op->kind == OP_RMDIR ? dir_path[op->a] :
	      op->kind == OP_READDIR ? (op->a < 0 ? "" : dir_path[op->a]) :
	      op->kind == OP_READCTL ? "" : file_path[op->a]);
	switch (op->kind) {
	case OP_CREATE:
		fd = open(p, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			return errno;
		return close(fd) ? errno : 0;
	case OP_WRITE:
		return do_write(p, op);
	case OP_RENAME:
		wpath(q, sizeof(q), c->mnt, file_path[op->b]);
		r = rename(p, q);
		break;
	case OP_UNLINK:
		r = unlink(p);
		break;
	case OP_MKDIR:
		r = mkdir(p, 0755);
		break;
	case OP_RMDIR:
		r = rmdir(p);
		break;
	case OP_TRUNCATE:
		r = truncate(p, (off_t)op->len);
		break;
	case OP_SETXATTR:
		fill(x, op->len, op->dseed);
		r = setxattr(p, XNAME, x, op->len, 0);
		break;
	case OP_READ:
		return do_read(p, &m->f[op->a], m->plain, msg, n);
	case OP_READCTL: {
		static unsigned char buf[1 << 20];
		const struct ent *e = &c->ctl.e[c->ctlfile[op->a]];
		size_t len;

		fmt(p, sizeof(p), "%s/ctl/%s", c->mnt, e->path);
		r = read_all(p, buf, sizeof(buf), &len);
		if (r)
			return r;
		if (hash(buf, len, HASH0) != e->h) {
			fmt(msg, n, "ctl/%s differs from its manifest",
				 e->path);
			return MISMATCH;
		}
		return 0;
	}
	default:
		return do_readdir(p, m, op->a, msg, n);
	}
	return r ? errno : 0;
}

__attribute__((format(printf, 2, 3)))
static void log_line(int fd, const char *f, ...)
{
	char buf[600];
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, sizeof(buf), f, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (write(fd, buf, (size_t)n) != n)
		_exit(3);
}

/* The workload process: runs until an operation fails or it is told. */
static void workload(const struct cfg *c, struct model *m, uint64_t seed,
		     int logfd)
{
	struct rng r = { seed ^ OPS_STREAM };
	char what[128], msg[256];
	struct op op;
	int i, err;

	for (i = 0; i < MAXOPS && !*c->stop; i++) {
		gen_op(&r, m, c->nctl, &op);
		describe(&op, what, sizeof(what));
		log_line(logfd, "B %d %s\n", i, what);
		msg[0] = 0;
		err = do_op(c, m, &op, msg, sizeof(msg));
		log_line(logfd, "E %d %d %s\n", i, err,
			 err == MISMATCH ? msg : err ? strerror(err) : "");
		if (err)
			_exit(0);
		apply_op(m, &op);
	}
	_exit(0);
}

/* ---- the lower tree against the model ---- */

static int check_file(const char *wdir, int i, const struct mfile *f,
		      const struct op *partial, const struct mfile *old,
		      char *why, size_t wn)
{
	static unsigned char buf[MAXF + 1];
	unsigned char x[XMAX + 1];
	char p[PATH_MAX];
	struct stat st;
	size_t len, k;
	ssize_t xl;
	int err;

	fmt(p, sizeof(p), "%s/%s", wdir, file_path[i]);
	if (lstat(p, &st)) {
		if (errno == ENOENT && !f->exists)
			return 0;
		fmt(why, wn, "%s: %s", file_path[i], errno == ENOENT ?
			 "missing" : strerror(errno));
		return -1;
	}
	if (!f->exists || !S_ISREG(st.st_mode)) {
		fmt(why, wn, "%s: %s where the model has %s",
			 file_path[i], S_ISREG(st.st_mode) ? "a file" :
			 "not a file", f->exists ? "a file" : "nothing");
		return -1;
	}
	err = read_all(p, buf, sizeof(buf), &len);
	if (err) {
		fmt(why, wn, "%s: read: %s", file_path[i], strerror(err));
		return -1;
	}
	if (partial) {
		/* A write in flight: each byte the old or the new one. */
		if (len < old->size || len > f->size) {
			fmt(why, wn, "%s: %zu bytes, not between %zu and %zu",
				 file_path[i], len, old->size, f->size);
			return -1;
		}
		for (k = 0; k < len; k++)
			if (buf[k] != f->data[k] && buf[k] != old->data[k]) {
				fmt(why, wn, "%s: byte %zu neither old nor new",
					 file_path[i], k);
				return -1;
			}
	} else if (len != f->size || memcmp(buf, f->data, len)) {
		fmt(why, wn, "%s: %zu bytes%s, the model has %zu",
			 file_path[i], len, len == f->size ?
			 " (content differs)" : "", f->size);
		return -1;
	}
	xl = lgetxattr(p, XNAME, x, sizeof(x));
	if ((xl < 0) != !f->has_x ||
	    (xl >= 0 && ((size_t)xl != f->xlen || memcmp(x, f->x, f->xlen)))) {
		fmt(why, wn, "%s: xattr %s differs from the model",
			 file_path[i], XNAME);
		return -1;
	}
	return 0;
}

/* Names in @dir that no slot has: -1 with @why. */
static int check_names(const char *dir, int d, char *why, size_t wn)
{
	struct dirent *e;
	DIR *h = opendir(dir);
	int i, bad = 0;

	if (!h) {
		fmt(why, wn, "opendir %s: %s", dir, strerror(errno));
		return -1;
	}
	while (!bad && (e = readdir(h))) {
		bool known = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");

		for (i = 0; i < NFILE; i++) {
			const char *name = strrchr(file_path[i], '/');

			if (file_parent(i) == d &&
			    !strcmp(name ? name + 1 : file_path[i], e->d_name))
				known = true;
		}
		for (i = 0; d < 0 && i < NDIR; i++)
			if (!strcmp(dir_path[i], e->d_name))
				known = true;
		if (!known) {
			fmt(why, wn, "unexpected %s in %s", e->d_name, dir);
			bad = 1;
		}
	}
	closedir(h);
	return bad ? -1 : 0;
}

/*
 * Does the lower's w/ match @m?  With @partial (a write) its file may hold
 * any mix of @old's bytes and @m's.
 */
static int check_tree(const struct cfg *c, const struct model *m,
		      const struct op *partial, const struct model *old,
		      char *why, size_t wn)
{
	char wdir[PATH_MAX], p[PATH_MAX];
	struct stat st;
	int i;

	wpath(wdir, sizeof(wdir), c->lower, "");
	if (check_names(wdir, -1, why, wn))
		return -1;
	for (i = 0; i < NDIR; i++) {
		fmt(p, sizeof(p), "%s/%s", wdir, dir_path[i]);
		if (lstat(p, &st)) {
			if (errno == ENOENT && !m->dir[i])
				continue;
			fmt(why, wn, "%s: %s", dir_path[i], strerror(errno));
			return -1;
		}
		if (!S_ISDIR(st.st_mode) || !m->dir[i]) {
			fmt(why, wn, "%s: there, the model has %s",
				 dir_path[i], m->dir[i] ? "a directory" :
				 "nothing");
			return -1;
		}
		if (check_names(p, i, why, wn))
			return -1;
	}
	for (i = 0; i < NFILE; i++) {
		bool tol = partial && partial->a == i;

		if (check_file(wdir, i, &m->f[i], tol ? partial : NULL,
			       tol ? &old->f[i] : NULL, why, wn))
			return -1;
	}
	return 0;
}

/* ---- the driver ---- */

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool is_mounted(const char *mnt)
{
	char line[4096], point[PATH_MAX];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1 &&
		    !strcmp(point, mnt))
			found = true;
	fclose(f);
	return found;
}

/* Abort the FUSE connection of the mount on @mnt (fuse or fuse-bpf). */
static void abort_conn(const char *mnt)
{
	char line[4096], point[PATH_MAX], p[128];
	unsigned int maj, min;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int fd;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %u:%u %*s %4095s", &maj, &min,
			   point) != 3 || strcmp(point, mnt))
			continue;
		fmt(p, sizeof(p), "/sys/fs/fuse/connections/%u/abort", min);
		fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			fmt(p, sizeof(p),
				 "/sys/fs/fuse-bpf/connections/%u/abort", min);
			fd = open(p, O_WRONLY | O_CLOEXEC);
		}
		if (fd >= 0) {
			if (write(fd, "1", 1) != 1)
				fprintf(stderr, "kill_random: abort %u: %s\n",
					min, strerror(errno));
			close(fd);
		}
	}
	fclose(f);
}

/* Wait up to @ms for @pid; its status, or -1 if it is still there. */
static int wait_for(pid_t pid, int ms)
{
	int st, i;

	for (i = 0; i <= ms; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0)
			return -2;
		sleep_us(1000);
	}
	return -1;
}

/* Start the daemon, its messages in LOGDIR/@name. */
static pid_t daemon_start(const struct cfg *c, bool fallback, const char *name)
{
	char log[PATH_MAX], mode[64];
	pid_t pid;
	int fd;

	fmt(log, sizeof(log), "%s/%s", c->logdir, name);
	unlink(log);
	fmt(mode, sizeof(mode), "--mode=%s", c->mode);
	pid = fork();
	if (pid != 0)
		return pid;
	/* Dies with the driver, whatever kills it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	if (fallback)
		execl(c->fb, c->fb, "-f", mode, "--refuse=w", c->lower, c->mnt,
		      (char *)NULL);
	else
		execl(c->pt, c->pt, "-f", mode, c->lower, c->mnt, (char *)NULL);
	_exit(127);
}

/*
 * The daemon's mount is there and INIT is done: 0, or -1 with @why.  A
 * stat of fallback_bpf's root waits for INIT; passthrough_bpf's root may
 * be the kernel's (fuse-bpf serves it before INIT), so its INIT is seen
 * in the mode line it prints (LOGDIR/@name).
 */
static int wait_mount(const struct cfg *c, pid_t pid, bool fallback,
		      const char *name, char *why, size_t wn)
{
	char log[PATH_MAX], want[64], buf[4096];
	struct stat st;
	size_t len;
	int i, s;

	for (i = 0; i < 1000; i++) {
		if (is_mounted(c->mnt))
			break;
		s = wait_for(pid, 10);
		if (s >= 0) {
			fmt(why, wn, "the daemon exited (status %#x) before mounting",
				 s);
			return -1;
		}
	}
	if (i == 1000) {
		fmt(why, wn, "no mount after 10 s");
		return -1;
	}
	if (stat(c->mnt, &st)) {
		fmt(why, wn, "stat of the new mount: %s", strerror(errno));
		return -1;
	}
	if (fallback)
		return 0;
	fmt(log, sizeof(log), "%s/%s", c->logdir, name);
	fmt(want, sizeof(want), "passthrough_bpf: mode %s\n", c->mode);
	for (i = 0; i < 1000; i++) {
		if (!read_all(log, (unsigned char *)buf, sizeof(buf) - 1,
			      &len)) {
			buf[len] = 0;
			if (strstr(buf, want))
				return 0;
		}
		s = wait_for(pid, 10);
		if (s >= 0) {
			fmt(why, wn, "the daemon exited (status %#x) before INIT",
			    s);
			return -1;
		}
	}
	fmt(why, wn, "no \"%.*s\" line after 10 s", (int)strlen(want) - 1,
	    want);
	return -1;
}

/* Unmount; 0, or -1 with @why (then detached). */
static int unmount(const char *mnt, char *why, size_t wn)
{
	int i;

	for (i = 0; i < 50; i++) {
		if (umount2(mnt, 0) == 0)
			return 0;
		if (errno != EBUSY)
			break;
		sleep_us(100000);
	}
	fmt(why, wn, "umount: %s", strerror(errno));
	abort_conn(mnt);
	umount2(mnt, MNT_DETACH);
	return -1;
}

static int rm_tree(const char *path)
{
	char p[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(path);
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			fmt(p, sizeof(p), "%s/%s", path, e->d_name);
			if (e->d_type == DT_DIR)
				err |= rm_tree(p);
			else if (unlink(p))
				err = -1;
		}
	closedir(d);
	return rmdir(path) ? -1 : err;
}

/* Write @m as lower/w. */
static int materialize(const struct cfg *c, const struct model *m)
{
	char p[PATH_MAX];
	int i, fd;

	wpath(p, sizeof(p), c->lower, "");
	if (rm_tree(p) || mkdir(p, 0755))
		return -1;
	for (i = 0; i < NDIR; i++) {
		wpath(p, sizeof(p), c->lower, dir_path[i]);
		if (m->dir[i] && mkdir(p, 0755))
			return -1;
	}
	for (i = 0; i < NFILE; i++) {
		const struct mfile *f = &m->f[i];

		if (!f->exists)
			continue;
		wpath(p, sizeof(p), c->lower, file_path[i]);
		fd = open(p, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			return -1;
		if (write(fd, f->data, f->size) != (ssize_t)f->size ||
		    close(fd))
			return -1;
		if (f->has_x && lsetxattr(p, XNAME, f->x, f->xlen, 0))
			return -1;
	}
	return 0;
}

static void make_ctl(struct cfg *c)
{
	static const char *const dirs[] = { "ctl", "ctl/sub", "ctl/sub/deep" };
	static const char *const files[] = {
		"ctl/c0", "ctl/c1", "ctl/c2", "ctl/c3", "ctl/sub/s0",
		"ctl/sub/s1", "ctl/sub/deep/d0", "ctl/empty",
	};
	static unsigned char buf[65536];
	char p[PATH_MAX];
	size_t i, len;
	int fd;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		fmt(p, sizeof(p), "%s/%s", c->lower, dirs[i]);
		if (mkdir(p, 0755) && errno != EEXIST) {
			perror(p);
			exit(1);
		}
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		fmt(p, sizeof(p), "%s/%s", c->lower, files[i]);
		len = i == 7 ? 0 : (i * 9973 + 100) % sizeof(buf);
		fill(buf, len, 1000 + i);
		fd = open(p, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0640);
		if (fd < 0 || write(fd, buf, len) != (ssize_t)len ||
		    close(fd)) {
			perror(p);
			exit(1);
		}
		if (i % 3 == 1 && lsetxattr(p, XNAME, buf, 16, 0)) {
			perror(p);
			exit(1);
		}
	}
	fmt(p, sizeof(p), "%s/ctl/link", c->lower);
	if (symlink("c0", p) && errno != EEXIST) {
		perror(p);
		exit(1);
	}
}

struct outcome {
	int ndone;		/* operations completed */
	int inflight;		/* index of the failed or unfinished one, -1 */
	int err;		/* its errno (0: unfinished) */
	char what[256];		/* its description */
	char bad[WHY];		/* a mismatch or an unexpected error */
};

static void read_intent(const struct cfg *c, struct outcome *o)
{
	char p[PATH_MAX], line[700], rest[600];
	FILE *f;
	int n, e;

	memset(o, 0, sizeof(*o));
	o->inflight = -1;
	fmt(p, sizeof(p), "%s/intent.log", c->logdir);
	f = fopen(p, "re");
	if (!f) {
		fmt(o->bad, sizeof(o->bad), "no intent log: %s",
			 strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		rest[0] = 0;
		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "B %d %599[^\n]", &n, rest) >= 1) {
			o->inflight = n;
			o->err = 0;
			fmt(o->what, sizeof(o->what), "%s", rest);
		} else if (sscanf(line, "E %d %d %599[^\n]", &n, &e, rest) >= 2) {
			if (n != o->inflight)
				fmt(o->bad, sizeof(o->bad),
					 "intent log out of order at op %d", n);
			if (e == 0) {
				o->ndone = n + 1;
				o->inflight = -1;
			} else {
				o->err = e;
			}
			if (e == MISMATCH)
				fmt(o->bad, sizeof(o->bad),
					 "op %d (%s) saw what the model does not have: %s",
					 n, o->what, rest);
		}
	}
	fclose(f);
}

/* The lower's root holds ctl/ and w/ and nothing else. */
static int lower_root_ok(const struct cfg *c, char *why, size_t wn)
{
	struct dirent *e;
	DIR *d = opendir(c->lower);
	int bad = 0;

	if (!d) {
		fmt(why, wn, "opendir %s: %s", c->lower, strerror(errno));
		return -1;
	}
	while (!bad && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, "w") && strcmp(e->d_name, "ctl")) {
			fmt(why, wn, "lower: unexpected %s", e->d_name);
			bad = -1;
		}
	closedir(d);
	return bad;
}

/* One round: 0 passed, 1 failed, 2 failed and not cleaned up. */
static int round_run(struct cfg *c, uint64_t seed, char *why, size_t wn,
		     char *sum, size_t sn)
{
	struct rng r = { seed }, rd = { seed ^ 0x5eedULL };
	bool fallback = seed & 1;
	bool served = !strcmp(c->mode, "fuse-bpf") && !fallback;
	long delay = (long)below(&rd, (uint32_t)(c->maxdelay * 1000 + 1));
	struct model *m0 = malloc(sizeof(*m0)), *m = malloc(sizeof(*m));
	struct model *after = malloc(sizeof(*after));
	char p[PATH_MAX], lsres[64], lkres[64], probe[PATH_MAX];
	pid_t dpid = -1, wpid = -1;
	struct outcome o;
	struct snap s = { 0 };
	struct op op;
	int fd, st, i, ret = 1, e;
	DIR *d;

	if (!m0 || !m || !after) {
		fmt(why, wn, "out of memory");
		goto out;
	}
	init_model(m0, &r, fallback);
	if (materialize(c, m0)) {
		fmt(why, wn, "writing the initial w/: %s", strerror(errno));
		goto out;
	}
	fmt(p, sizeof(p), "%s/intent.log", c->logdir);
	fd = open(p, O_CREAT | O_TRUNC | O_WRONLY | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		fmt(why, wn, "intent log: %s", strerror(errno));
		goto out;
	}
	fmt(p, sizeof(p), "%s/daemon2.log", c->logdir);
	unlink(p);
	dpid = daemon_start(c, fallback, "daemon.log");
	if (dpid < 0 ||
	    wait_mount(c, dpid, fallback, "daemon.log", why, wn)) {
		close(fd);
		goto out;
	}
	*c->stop = 0;
	*m = *m0;
	wpid = fork();
	if (wpid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		workload(c, m, seed, fd);
	}
	close(fd);
	if (wpid < 0) {
		fmt(why, wn, "fork: %s", strerror(errno));
		goto out;
	}
	sleep_us(delay);
	if (wait_for(dpid, 0) >= 0) {
		dpid = -1;
		fmt(why, wn, "the daemon died before the kill");
		goto out;
	}
	kill(dpid, SIGKILL);
	st = wait_for(dpid, 10000);
	if (st == -1) {
		fmt(why, wn, "the daemon did not die within 10 s of SIGKILL");
		goto out;
	}
	dpid = -1;

	/* The mount after the daemon's death. */
	d = opendir(c->mnt);
	e = d ? 0 : errno;
	if (d) {
		errno = 0;
		while (readdir(d))
			;
		e = errno;
		closedir(d);
	}
	fmt(lsres, sizeof(lsres), "%s", e ? strerror(e) : "ok");
	wpath(probe, sizeof(probe), c->mnt, "never-seen");
	e = stat(probe, (struct stat[1]){ 0 }) ? errno : 0;
	fmt(lkres, sizeof(lkres), "%s", e ? strerror(e) : "found");
	if (served ? strcmp(lsres, "ok") || e != ENOENT :
		     strcmp(lsres, strerror(ENOTCONN)) || e != ENOTCONN) {
		fmt(why, wn, "after the kill: listing the mount: %s, looking up w/never-seen: %s (want %s)",
			 lsres, lkres, served ? "ok, ENOENT: the kernel serves" :
			 "ENOTCONN both");
		goto out;
	}

	/* The workload ends by itself where every operation needs the daemon. */
	st = -1;
	if (!served)
		st = wait_for(wpid, strcmp(c->mode, "fuse-bpf") ? 5000 : 1000);
	if (st == -1) {
		*c->stop = 1;
		st = wait_for(wpid, 10000);
	}
	if (st == -1) {
		fmt(p, sizeof(p), "/proc/%d/wchan", (int)wpid);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		i = fd >= 0 ? (int)read(fd, probe, 100) : 0;
		probe[i > 0 ? i : 0] = 0;
		if (fd >= 0)
			close(fd);
		fmt(why, wn, "the workload is stuck (wchan %s)", probe);
		goto out;
	}
	wpid = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fmt(why, wn, "the workload ended with status %#x", st);
		goto out;
	}
	read_intent(c, &o);
	if (o.bad[0]) {
		fmt(why, wn, "%s", o.bad);
		goto out;
	}
	if (o.inflight >= 0 && o.err != ENOTCONN && o.err != ECONNABORTED) {
		fmt(why, wn, "op %d (%s) failed: %s", o.inflight, o.what,
			 o.err ? strerror(o.err) : "unfinished");
		goto out;
	}
	if (served && o.inflight >= 0) {
		fmt(why, wn, "op %d (%s) failed although the kernel serves the tree: %s",
			 o.inflight, o.what, strerror(o.err));
		goto out;
	}
	if (!served && strcmp(c->mode, "fuse-bpf") && o.inflight < 0) {
		fmt(why, wn, "the workload ran on after the daemon's death (%d ops)",
			 o.ndone);
		goto out;
	}

	if (unmount(c->mnt, why, wn))
		goto out;
	if (is_mounted(c->mnt)) {
		fmt(why, wn, "still mounted after umount");
		goto out;
	}

	/* The lower: the control tree, the root, and w/. */
	fmt(p, sizeof(p), "%s/ctl", c->lower);
	if (snap_take(&s, p, why, wn) ||
	    snap_diff(&c->ctl, &s, "lower ctl/", why, wn))
		goto out;
	if (lower_root_ok(c, why, wn))
		goto out;
	r.s = seed;
	init_model(m, &r, fallback);
	r.s = seed ^ OPS_STREAM;
	for (i = 0; i < o.ndone; i++) {
		gen_op(&r, m, c->nctl, &op);
		apply_op(m, &op);
	}
	if (o.inflight >= 0) {
		char w1[WHY], w2[WHY];

		gen_op(&r, m, c->nctl, &op);
		*after = *m;
		apply_op(after, &op);
		if (check_tree(c, m, NULL, NULL, w1, sizeof(w1)) &&
		    check_tree(c, after, NULL, NULL, w2, sizeof(w2)) &&
		    (op.kind != OP_WRITE ||
		     check_tree(c, after, &op, m, w2, sizeof(w2)))) {
			fmt(why, wn, "lower w/ after op %d (%s) in flight: before it: %s; after it: %s",
				 o.inflight, o.what, w1, w2);
			goto out;
		}
	} else if (check_tree(c, m, NULL, NULL, why, wn)) {
		goto out;
	}

	/* A fresh mount of the same source. */
	dpid = daemon_start(c, fallback, "daemon2.log");
	if (dpid < 0 ||
	    wait_mount(c, dpid, fallback, "daemon2.log", why, wn))
		goto out;
	{
		struct snap a = { 0 };
		char lw[PATH_MAX], mw[PATH_MAX], w1[WHY];
		int bad;

		wpath(lw, sizeof(lw), c->lower, "");
		wpath(mw, sizeof(mw), c->mnt, "");
		bad = snap_take(&a, lw, why, wn) || snap_take(&s, mw, why, wn) ||
		      snap_diff(&a, &s, "remount w/ (lower/mount)", why, wn);
		free(a.e);
		if (bad)
			goto out;
		fmt(p, sizeof(p), "%s/ctl", c->mnt);
		if (snap_take(&s, p, why, wn) ||
		    snap_diff(&c->ctl, &s, "remount ctl/ (manifest/mount)", why,
			      wn))
			goto out;
		wpath(p, sizeof(p), c->mnt, "fresh");
		fmt(w1, sizeof(w1), "fresh %" PRIu64 "\n", seed);
		fd = open(p, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, w1, strlen(w1)) != (ssize_t)strlen(w1) ||
		    fsync(fd) || close(fd)) {
			fmt(why, wn, "remount: writing w/fresh: %s",
				 strerror(errno));
			if (fd >= 0)
				close(fd);
			goto out;
		}
		wpath(p, sizeof(p), c->lower, "fresh");
		if (read_all(p, (unsigned char *)lw, sizeof(lw) - 1,
			     &(size_t){ 0 }) ||
		    strncmp(lw, w1, strlen(w1))) {
			fmt(why, wn, "remount: w/fresh not in the lower");
			goto out;
		}
	}
	if (unmount(c->mnt, why, wn))
		goto out;
	st = wait_for(dpid, 10000);
	if (st == -1) {
		fmt(why, wn, "the fresh daemon did not exit after umount");
		goto out;
	}
	dpid = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fmt(why, wn, "the fresh daemon exited with status %#x", st);
		goto out;
	}
	fmt(sum, sn, "%s, delay %ld ms: %d ops done, %s%s%s%s; ls %s, lookup %s",
		 fallback ? "fallback_bpf" : "passthrough_bpf", delay / 1000,
		 o.ndone, o.inflight >= 0 ? "in flight: " : "none in flight",
		 o.inflight >= 0 ? o.what : "", o.inflight >= 0 ? " -> " : "",
		 o.inflight >= 0 ? strerror(o.err) : "", lsres, lkres);
	ret = 0;
out:
	if (ret) {
		/* Leave nothing behind: processes, then the mount. */
		*c->stop = 1;
		if (wpid > 0) {
			kill(wpid, SIGKILL);
			if (wait_for(wpid, 10000) == -1)
				abort_conn(c->mnt);
			if (wait_for(wpid, 10000) == -1)
				ret = 2;
		}
		if (dpid > 0) {
			kill(dpid, SIGKILL);
			if (wait_for(dpid, 10000) == -1)
				ret = 2;
		}
		if (is_mounted(c->mnt)) {
			abort_conn(c->mnt);
			if (umount2(c->mnt, MNT_DETACH))
				ret = 2;
		}
		fmt(sum, sn, "%s, delay %ld ms", fallback ?
			 "fallback_bpf" : "passthrough_bpf", delay / 1000);
	}
	free(s.e);
	free(m0);
	free(m);
	free(after);
	return ret;
}

/* Print the last @lines lines of @path. */
static void tail(const char *path, int lines)
{
	char buf[16384];
	ssize_t n, i;
	off_t size;
	int fd = open(path, O_RDONLY | O_CLOEXEC), k = 0;

	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	n = pread(fd, buf, sizeof(buf) - 1,
		  size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 :
						  0);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	for (i = n - 1; i > 0; i--)
		if (buf[i - 1] == '\n' && ++k > lines)
			break;
	printf("    -- %s (end):\n%s%s", path, buf + i,
	       buf[n - 1] == '\n' ? "" : "\n");
}

static void usage(void)
{
	fprintf(stderr, "usage: kill_random --mode=MODE --passthrough=PATH --fallback=PATH [--rounds=N] [--seed=S] [--max-delay=MS] WORKDIR LOGDIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "passthrough", required_argument, NULL, 'p' },
		{ "fallback", required_argument, NULL, 'f' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ "max-delay", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	static struct cfg c;
	char failed[4096] = "", why[WHY], sum[WHY * 2], p[PATH_MAX];
	uint64_t seed = (uint64_t)time(NULL) * 1000 + (uint64_t)getpid() % 1000;
	long rounds = 100, maxdelay = 150, nfail = 0, i;
	double t0 = now();
	size_t k;
	int ch, ret;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			c.mode = optarg;
			break;
		case 'p':
			c.pt = optarg;
			break;
		case 'f':
			c.fb = optarg;
			break;
		case 'r':
			rounds = strtol(optarg, NULL, 10);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 10);
			break;
		case 'd':
			maxdelay = strtol(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2 || !c.mode || !c.pt || !c.fb || rounds < 1 ||
	    maxdelay < 0 || maxdelay > 100000)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Mount points are compared with /proc/self/mountinfo: no symlinks. */
	if (!realpath(argv[optind], p)) {
		perror(argv[optind]);
		return 1;
	}
	fmt(c.lower, sizeof(c.lower), "%s/lower", p);
	fmt(c.mnt, sizeof(c.mnt), "%s/mnt", p);
	fmt(c.logdir, sizeof(c.logdir), "%s", argv[optind + 1]);
	if ((mkdir(c.lower, 0755) && errno != EEXIST) ||
	    (mkdir(c.mnt, 0755) && errno != EEXIST)) {
		perror(argv[optind]);
		return 1;
	}
	c.maxdelay = maxdelay;
	c.stop = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c.stop == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	make_ctl(&c);
	fmt(p, sizeof(p), "%s/ctl", c.lower);
	if (snap_take(&c.ctl, p, why, sizeof(why))) {
		printf("FAIL: control tree: %s\n", why);
		return 1;
	}
	for (k = 0; k < c.ctl.n && c.nctl < 64; k++)
		if (S_ISREG(c.ctl.e[k].mode))
			c.ctlfile[c.nctl++] = (int)k;
	printf("kill_random: mode %s, %ld rounds, seeds %" PRIu64 "..%" PRIu64
	       ", kill 0-%ld ms into the workload\n", c.mode, rounds, seed,
	       seed + (uint64_t)rounds - 1, maxdelay);
	for (i = 0; i < rounds; i++) {
		why[0] = 0;
		ret = round_run(&c, seed + (uint64_t)i, why, sizeof(why), sum,
				sizeof(sum));
		if (ret == 0) {
			printf("round %ld seed %" PRIu64 ": ok: %s\n", i,
			       seed + (uint64_t)i, sum);
			continue;
		}
		printf("FAIL seed %" PRIu64 " (round %ld, %s): %s\n",
		       seed + (uint64_t)i, i, sum, why);
		fmt(p, sizeof(p), "%s/intent.log", c.logdir);
		tail(p, 6);
		fmt(p, sizeof(p), "%s/daemon.log", c.logdir);
		tail(p, 10);
		fmt(p, sizeof(p), "%s/daemon2.log", c.logdir);
		tail(p, 10);
		nfail++;
		k = strlen(failed);
		fmt(failed + k, sizeof(failed) - k, " %" PRIu64,
			 seed + (uint64_t)i);
		if (ret == 2 || nfail >= 10) {
			printf("kill_random: stopping (%s)\n", ret == 2 ?
			       "could not clean up" : "10 failures");
			rounds = i + 1;
			break;
		}
	}
	printf("kill_random: mode %s: %ld rounds, %ld failed, %.1f s%s%s\n",
	       c.mode, rounds, nfail, now() - t0,
	       nfail ? "; failing seeds (--seed=S --rounds=1):" : "", failed);
	free(c.ctl.e);
	return nfail ? 1 : 0;
}
