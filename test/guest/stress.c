// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest operation fuzzer for a fuse-bpf mount (t-stress.sh).
 *
 *   stress mktree ROOT SEED NPROC [lower]
 *	the starting tree: ROOT/pI for I < NPROC, each a few hundred files
 *	of mixed sizes in directories up to DEPTH levels deep, and with
 *	"lower" also ROOT/lower (files in the tagged format, see below)
 *   stress run MNT LOWER NPROC SEED SECONDS
 *	everything below at once for SECONDS; MNT is the fuse-bpf mount of
 *	the directory LOWER; prints "pI OPS SUM" per worker, "inv ..."
 *	lines and one "FAIL ..." line per broken invariant
 *   stress replay ROOT SEED OPS0,OPS1,...
 *	the workers alone, OPSi operations each; prints the same "pI" lines
 *   stress dump ROOT
 *	one line per entry (type, size, blocks, data, link target and every
 *	extended attribute), to be sorted by the caller
 *
 * Deterministic part: NPROC workers, each in its own MNT/pI, run seeded
 * random operations: create, write, truncate, rename (plain, NOREPLACE,
 * EXCHANGE), link, unlink, mkdir, rmdir, symlink, xattrs, fallocate
 * modes, and on a handful of open files: read, write, mmap read and
 * write, ftruncate, fstat, copy_file_range, splice, POSIX and OFD locks,
 * flock, SEEK_DATA/SEEK_HOLE, O_TMPFILE with linkat, readdir with seek.
 * Every outcome (errno, or what was read) goes into a checksum, so a
 * replay on a native directory must give the same checksums and tree.
 *
 * Nondeterministic part, checked by invariants:
 * - MNT/shared/data: two writers (one through the mount, one on LOWER)
 *   truncate, write, punch holes and write through mmap; every byte is
 *   either pat(1, offset) or 0.  Two readers read it with read, pread,
 *   mmap, splice and copy_file_range and check each byte they get.
 * - Lockers: POSIX, OFD and flock, through the mount and on LOWER, take
 *   one of two lock files exclusively and check in a holder file that
 *   nobody else holds it, and count in a counter file; the counters must
 *   equal the number of times the locks were taken.  Range lockers take
 *   POSIX and OFD read and write locks on random byte ranges of a third
 *   file (through the mount and on LOWER) and mark them in shared memory:
 *   a write lock never meets another holder, a read lock never a writer.
 * - MNT/shared/dir: 200 names that never change and a churner creating,
 *   unlinking, renaming and exchanging others (through the mount and on
 *   LOWER); a reader lists it with getdents64 of random buffer sizes and
 *   seeks back: every fixed name exactly once per pass from the start,
 *   nothing but known names, never an error.
 * - LOWER/lower is changed directly (replace by rename, append,
 *   truncate, unlink, rename, link, mkdir, rmdir, xattrs) while two
 *   observers read and change it through MNT/lower.  A file there holds
 *   a 4-byte tag and then pat(tag, offset) (or 0 where a truncation
 *   raced), xattr trusted.t holds its tag: anything else read through
 *   the mount was never in the lower tree.  Errors other than ENOENT,
 *   EEXIST and ENOTEMPTY (the names moved) are failures.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define FANOUT 4	/* subdirectories dN per directory */
#define DEPTH 3		/* directory levels below an area */
#define FILES 24	/* file names fN per directory */
#define NSLOT 4		/* open files per worker */
#define BUF (64 * 1024)
#define DATA_MAX (256 * 1024)	/* MNT/shared/data stays below this */
#define STABLE 200	/* fixed names in MNT/shared/dir */
#define CHURN 64	/* changing names there */
#define MAXFAIL 5	/* FAIL lines per process */
#define MAXPOS (STABLE + CHURN + 2)	/* positions a listing records */
#define RANGE 256	/* bytes of MNT/shared/lk2 taken by range locks */

static uint64_t rng;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

static uint32_t below(uint32_t n)
{
	return next() % n;
}

static void seed_rng(uint64_t seed, uint64_t who)
{
	rng = seed * 2654435761u + who * 40503u + 1;
	for (int i = 0; i < 8; i++)
		next();
}

/* ---- output, failures ---- */

struct stats {
	long fails;
	long ops[32];
	long locks[2];		/* times each lock file was taken */
	long sigbus;
	uint32_t tag;		/* next tag of a file in MNT/lower */
	int range[RANGE];	/* bytes of lk2 locked: readers, or -id */
};

static struct stats *shared;
static const char *me = "main";
static int my_fails;

static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line: the processes share stdout. */
	if (write(1, line, n) != n)
		_exit(3);
}

static void bad(const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (shared)
		__atomic_fetch_add(&shared->fails, 1, __ATOMIC_RELAXED);
	if (++my_fails > MAXFAIL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say("FAIL %s: %s", me, msg);
}

static void count_op(int role)
{
	if (shared)
		__atomic_fetch_add(&shared->ops[role], 1, __ATOMIC_RELAXED);
}

/* ---- data patterns and hashes ---- */

/* Byte OFF of a file with TAG: never 0. */
static unsigned char pat(uint32_t tag, uint64_t off)
{
	uint64_t x = (off + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)tag << 20;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	return (unsigned char)(x >> 56) % 255 + 1;
}

/* A tag has no zero byte, so a header of zeros is told from a tag. */
static uint32_t tag_next(uint32_t tag)
{
	do
		tag++;
	while (!(tag & 0xff) || !(tag & 0xff00) || !(tag & 0xff0000) ||
	       !(tag & 0xff000000));
	return tag;
}

static void tag_bytes(uint32_t tag, unsigned char *b)
{
	memcpy(b, &tag, 4);
}

static uint64_t hash(const void *p, size_t n, uint64_t h)
{
	const unsigned char *c = p;
	uint64_t w;

	for (; n >= 8; n -= 8, c += 8) {
		memcpy(&w, c, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 31;
	}
	while (n--)
		h = (h ^ *c++) * 0x100000001b3ull;
	return h;
}

static void fill(unsigned char *b, size_t n)
{
	uint32_t v;

	for (size_t i = 0; i < n; i += 4) {
		v = next();
		memcpy(b + i, &v, n - i < 4 ? n - i : 4);
	}
}

/* ---- SIGBUS from mappings beyond the end of a file ---- */

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

static void on_bus(int sig)
{
	(void)sig;
	if (!bus_armed)
		_exit(4);
	bus_armed = 0;
	siglongjmp(bus_jmp, 1);
}

static void catch_bus(void)
{
	struct sigaction sa = { .sa_handler = on_bus };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

/*
 * Copies N bytes of the mapping M to B, or with WRITE every STEP-th byte
 * of B to M: -1 when that ran into SIGBUS.
 */
static int map_copy(volatile unsigned char *m, unsigned char *b, size_t n,
		    int write, size_t step)
{
	if (sigsetjmp(bus_jmp, 1))
		return -1;
	bus_armed = 1;
	for (size_t i = 0; i < n; i += step) {
		if (write)
			m[i] = b[i];
		else
			b[i] = m[i];
	}
	bus_armed = 0;
	return 0;
}

/* ---- names ---- */

/* A path of an area: up to DEPTH levels of dN/, then fN or dN. */
static void pick(char *buf, size_t len, int dir)
{
	unsigned int depth = below(DEPTH + (dir ? 0 : 1));
	size_t o = 0;

	buf[0] = 0;
	for (unsigned int i = 0; i < depth && o < len; i++)
		o += snprintf(buf + o, len - o, "d%u/", below(FANOUT));
	if (o >= len)
		return;
	if (dir)
		snprintf(buf + o, len - o, "d%u", below(FANOUT));
	else
		snprintf(buf + o, len - o, "f%u", below(FILES));
}

/* ---- the starting tree ---- */

static size_t pick_size(void)
{
	unsigned int r = below(100);

	if (r < 55)
		return below(257);
	if (r < 85)
		return 256 + below(4096 - 256);
	if (r < 97)
		return 4096 + below(28 * 1024);
	return 64 * 1024 + below(192 * 1024);
}

static int write_all(int fd, const void *p, size_t n, off_t off)
{
	const char *c = p;
	ssize_t k;

	while (n) {
		k = pwrite(fd, c, n, off);
		if (k <= 0)
			return -1;
		c += k;
		n -= k;
		off += k;
	}
	return 0;
}

/* Fills [FROM, TO) of FD with the tagged format of TAG. */
static int write_tagged(int fd, uint32_t tag, off_t from, off_t to)
{
	unsigned char b[4096];
	off_t o, i;

	while (from < to) {
		o = to - from < (off_t)sizeof(b) ? to - from : (off_t)sizeof(b);
		for (i = 0; i < o; i++)
			b[i] = pat(tag, from + i);
		if (from < 4) {
			unsigned char t[4];

			tag_bytes(tag, t);
			for (i = from; i < 4 && i < to; i++)
				b[i - from] = t[i];
		}
		if (write_all(fd, b, o, from))
			return -1;
		from += o;
	}
	return 0;
}

static int mkfile(const char *path, size_t size, uint32_t tag)
{
	static unsigned char b[BUF];
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644), r = 0;
	size_t o, k;

	if (fd < 0)
		return -1;
	if (tag) {
		r = write_tagged(fd, tag, 0, size < 4 ? 4 : size);
	} else {
		for (o = 0; o < size && !r; o += k) {
			k = size - o < BUF ? size - o : BUF;
			fill(b, k);
			r = write_all(fd, b, k, o);
		}
	}
	if (close(fd))
		r = -1;
	return r;
}

static long tree_entries;

static int mktree(const char *dir, int depth, int tagged, uint32_t *tag)
{
	char p[PATH_MAX];
	unsigned char v[8];

	if (mkdir(dir, 0755)) {
		perror(dir);
		return -1;
	}
	tree_entries++;
	for (int i = 0; i < FILES; i++) {
		unsigned int r = below(100);

		snprintf(p, sizeof(p), "%s/f%d", dir, i);
		if (r >= 70)
			continue;
		tree_entries++;
		if (!tagged && r < 3) {
			char t[16];

			snprintf(t, sizeof(t), "f%u", below(FILES));
			if (symlink(t, p))
				return -1;
			continue;
		}
		if (tagged)
			*tag = tag_next(*tag);
		if (mkfile(p, pick_size(), tagged ? *tag : 0)) {
			perror(p);
			return -1;
		}
		if (tagged) {
			tag_bytes(*tag, v);
			if (setxattr(p, "trusted.t", v, 4, 0))
				return -1;
		} else if (r < 10) {
			fill(v, sizeof(v));
			if (setxattr(p, r < 6 ? "trusted.a" : "trusted.b", v,
				     r, 0))
				return -1;
		}
	}
	for (int i = 0; i < FANOUT && depth < DEPTH; i++) {
		snprintf(p, sizeof(p), "%s/d%d", dir, i);
		if (below(10) < 8 && mktree(p, depth + 1, tagged, tag))
			return -1;
	}
	return 0;
}

static int make_tree(const char *root, uint64_t seed, int nproc, int lower)
{
	char p[PATH_MAX];
	uint32_t tag = 0x81010101u;

	for (int i = 0; i < nproc; i++) {
		snprintf(p, sizeof(p), "%s/p%d", root, i);
		seed_rng(seed, 1000 + i);
		if (mktree(p, 0, 0, NULL))
			return 1;
	}
	if (lower) {
		snprintf(p, sizeof(p), "%s/lower", root);
		seed_rng(seed, 999);
		if (mktree(p, 0, 1, &tag))
			return 1;
	}
	printf("%ld entries\n", tree_entries);
	return 0;
}

/* ---- deterministic workers ---- */

static uint64_t sum;
static int slot_fd[NSLOT];

static int trace;	/* STRESS_TRACE set: every outcome on stderr */
static long op_no, op_kind;

static void note(uint64_t v)
{
	sum = sum * 31 + v + 1;
	if (trace)
		fprintf(stderr, "%s %ld op%ld %llu\n", me, op_no, op_kind,
			(unsigned long long)v);
}

static int err(long r)
{
	return r < 0 ? errno : 0;
}

static off_t rand_off(void)
{
	return below(4) ? below(8192) : below(128 * 1024);
}

static int any_slot(void)
{
	return (int)below(NSLOT);
}

static void slot_set(int s, int fd)
{
	if (slot_fd[s] >= 0)
		close(slot_fd[s]);
	slot_fd[s] = fd;
}

static void op_mmap(int fd, int write)
{
	static unsigned char b[BUF];
	struct stat st;
	volatile unsigned char *m;
	size_t len;
	off_t off;
	int r;

	if (fstat(fd, &st)) {
		note(errno);
		return;
	}
	if (st.st_size == 0) {
		note(1);
		return;
	}
	off = (off_t)below(st.st_size) & ~(off_t)4095;
	len = st.st_size - off < BUF ? st.st_size - off : BUF;
	m = mmap(NULL, len, write ? PROT_READ | PROT_WRITE : PROT_READ,
		 MAP_SHARED, fd, off);
	if (m == MAP_FAILED) {
		note(errno);
		return;
	}
	if (write) {
		size_t a = below(len), n = below(len - a) + 1;

		fill(b, n);
		r = map_copy(m + a, b, n, 1, 1);
		if (!r)
			note(err(msync((void *)m, len, MS_SYNC)));
	} else {
		r = map_copy(m, b, len, 0, 1);
		if (!r)
			note(hash(b, len, len));
	}
	if (r) {
		note(EFAULT);
		bad("SIGBUS from a mapping inside a %lld-byte file",
		    (long long)st.st_size);
	}
	munmap((void *)m, len);
}

static void op_lock(int set)
{
	static const short types[] = { F_RDLCK, F_WRLCK, F_UNLCK };
	int fd = slot_fd[any_slot()], ofd = below(2);
	struct flock fl = {
		.l_type = types[below(set ? 3 : 2)],
		.l_whence = SEEK_SET,
		.l_start = below(64),
		.l_len = below(32),
	};

	if (fd < 0) {
		note(2);
		return;
	}
	if (set) {
		note(err(fcntl(fd, ofd ? F_OFD_SETLK : F_SETLK, &fl)));
		return;
	}
	if (fcntl(fd, ofd ? F_OFD_GETLK : F_GETLK, &fl)) {
		note(errno);
		return;
	}
	/* Not the pid itself: that differs from the replay. */
	note(fl.l_type);
	if (fl.l_type != F_UNLCK) {
		note(fl.l_start);
		note(fl.l_len);
		note(fl.l_pid == -1 ? 1 : fl.l_pid == getpid() ? 2 : 3);
	}
}

static void op_splice(void)
{
	int a = slot_fd[any_slot()], b = slot_fd[any_slot()], p[2];
	loff_t in = rand_off(), out = rand_off();
	ssize_t n, m = 0;

	if (a < 0 || b < 0) {
		note(2);
		return;
	}
	if (pipe2(p, O_CLOEXEC)) {
		bad("pipe: %s", strerror(errno));
		return;
	}
	n = splice(a, &in, p[1], NULL, below(BUF) + 1, 0);
	note(n < 0 ? errno : 0);
	if (n > 0) {
		m = splice(p[0], NULL, b, &out, n, 0);
		note(m < 0 ? errno : m);
	}
	note(n);
	close(p[0]);
	close(p[1]);
}

/*
 * Lists a directory with telldir before each entry, seeks back to one of
 * those positions and lists the rest again: the same entries must come.
 * The outcome is the number of entries and an order-free hash of them
 * (the order is the lower file system's).
 */
static void op_readdir(const char *path)
{
	enum { MAXE = 512 };
	static long pos[MAXE + 1];
	static uint64_t name[MAXE];
	uint64_t all = 0;
	struct dirent *de;
	int n = 0, k, i;
	DIR *d = opendir(path);

	if (!d) {
		note(errno);
		return;
	}
	for (;;) {
		pos[n] = telldir(d);
		errno = 0;
		de = readdir(d);
		if (!de || n == MAXE)
			break;
		name[n] = hash(de->d_name, strlen(de->d_name), 7);
		all += name[n] * 0x9e3779b97f4a7c15ull ^ de->d_type;
		n++;
	}
	if (errno)
		bad("readdir %s: %s", path, strerror(errno));
	note(n);
	note(all);
	k = below(n + 1);
	seekdir(d, pos[k]);
	for (i = k; (de = readdir(d)); i++)
		if (i >= n || name[i] != hash(de->d_name, strlen(de->d_name), 7))
			break;
	if (de || i != n)
		bad("readdir %s: after seekdir to entry %d of %d, entry %d differs",
		    path, k, n, i);
	closedir(d);
}

static void worker_op(void)
{
	static const int open_flags[] = {
		O_RDONLY, O_RDWR, O_RDWR, O_WRONLY, O_RDWR | O_APPEND,
		O_RDWR | O_CREAT, O_RDWR | O_TRUNC, O_RDONLY | O_DIRECTORY,
	};
	static const int falloc_modes[] = {
		0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_ZERO_RANGE, FALLOC_FL_COLLAPSE_RANGE,
		FALLOC_FL_INSERT_RANGE, FALLOC_FL_PUNCH_HOLE,
	};
	static const char *const xnames[] = {
		"trusted.a", "trusted.b", "trusted.c",
	};
	static unsigned char data[BUF];
	char p[PATH_MAX], q[PATH_MAX];
	unsigned int op = below(36);
	int fd, s = any_slot(), r;
	size_t n = below(4) ? below(4096) : below(BUF);
	off_t off = rand_off();
	struct stat st;
	ssize_t k;

	op_kind = op;
	pick(p, sizeof(p), op == 8 || op == 9 || op == 28 ||
	     (op == 26 && below(2)));
	pick(q, sizeof(q), op == 3 && below(3) == 0);
	fd = slot_fd[s];
	switch (op) {
	case 0:
		fd = open(p, O_CREAT | O_EXCL | O_WRONLY, 0640);
		note(fd < 0 ? errno : err(close(fd)));
		break;
	case 1:
		fd = open(p, O_WRONLY);
		if (fd < 0) {
			note(errno);
			break;
		}
		fill(data, n);
		k = pwrite(fd, data, n, off);
		note(k < 0 ? errno : k);
		close(fd);
		break;
	case 2:
		note(err(truncate(p, off)));
		break;
	case 3:
		note(err(rename(p, q)));
		break;
	case 4:
		note(err(renameat2(AT_FDCWD, p, AT_FDCWD, q,
				   RENAME_NOREPLACE)));
		break;
	case 5:
		note(err(renameat2(AT_FDCWD, p, AT_FDCWD, q,
				   RENAME_EXCHANGE)));
		break;
	case 6:
		note(err(link(p, q)));
		break;
	case 7:
		note(err(unlink(p)));
		break;
	case 8:
		note(err(mkdir(p, 0750)));
		break;
	case 9:
		note(err(rmdir(p)));
		break;
	case 10:
		fill(data, 40);
		note(err(setxattr(p, xnames[below(3)], data, below(40),
				  (int)below(3))));
		break;
	case 11:
		r = below(3);
		if (r == 0) {
			k = getxattr(p, xnames[below(3)], data, sizeof(data));
		} else if (r == 1) {
			k = listxattr(p, (char *)data, sizeof(data));
		} else {
			note(err(removexattr(p, xnames[below(3)])));
			break;
		}
		note(k < 0 ? errno : hash(data, k, k));
		break;
	case 12:
		fd = open(p, O_RDWR);
		if (fd < 0) {
			note(errno);
			break;
		}
		r = falloc_modes[below(7)];
		note(err(fallocate(fd, r, off, 1 + n * 4)));
		close(fd);
		break;
	case 13:
		r = open_flags[below(8)];
		fd = open(p, r | O_CLOEXEC, 0640);
		note(fd < 0 ? errno : 0);
		if (fd >= 0)
			slot_set(s, fd);
		break;
	case 14:
		note(fd < 0 ? 2 : err(close(fd)));
		slot_fd[s] = -1;
		break;
	case 15:
		if (fd < 0) {
			note(2);
			break;
		}
		k = pread(fd, data, n, off);
		note(k < 0 ? errno : hash(data, k, k));
		break;
	case 16:
		if (fd < 0) {
			note(2);
			break;
		}
		fill(data, n);
		k = below(2) ? pwrite(fd, data, n, off) : write(fd, data, n);
		note(k < 0 ? errno : k);
		break;
	case 17:
	case 18:
		if (fd < 0)
			note(2);
		else
			op_mmap(fd, op == 18);
		break;
	case 19:
		note(fd < 0 ? 2 : err(ftruncate(fd, off)));
		break;
	case 20:
		if (fd < 0 || fstat(fd, &st)) {
			note(fd < 0 ? 2 : errno);
			break;
		}
		note(st.st_mode);
		note(st.st_size);
		note(st.st_nlink);
		break;
	case 21: {
		loff_t in = rand_off(), out = rand_off();
		int b = slot_fd[any_slot()];

		if (fd < 0 || b < 0) {
			note(2);
			break;
		}
		k = copy_file_range(fd, &in, b, &out, 1 + n, 0);
		note(k < 0 ? errno : k);
		break;
	}
	case 22:
		op_splice();
		break;
	case 23:
	case 24:
		op_lock(op == 23);
		break;
	case 25:
		if (fd < 0) {
			note(2);
			break;
		}
		note(err(flock(fd, (below(2) ? LOCK_SH : below(2) ? LOCK_EX :
				    LOCK_UN) | LOCK_NB)));
		break;
	case 26:
		/* O_TMPFILE in a directory (or here), linked now or kept. */
		fd = open(op == 26 && strchr(p, 'f') ? "." : p,
			  O_TMPFILE | O_RDWR | O_CLOEXEC |
			  (below(8) ? 0 : O_EXCL), 0600);
		if (fd < 0) {
			note(errno);
			break;
		}
		fill(data, n);
		note(pwrite(fd, data, n, 0) == (ssize_t)n ? 0 : errno);
		if (below(2)) {
			note(err(linkat(fd, "", AT_FDCWD, q, AT_EMPTY_PATH)));
			close(fd);
		} else {
			slot_set(s, fd);
		}
		break;
	case 27:
		note(fd < 0 ? 2 : err(linkat(fd, "", AT_FDCWD, q,
					     AT_EMPTY_PATH)));
		break;
	case 28:
		op_readdir(below(4) ? p : ".");
		break;
	case 29:
		snprintf(q, sizeof(q), "f%u", below(FILES));
		note(err(symlink(q, p)));
		k = readlink(p, (char *)data, sizeof(data));
		note(k < 0 ? errno : hash(data, k, k));
		break;
	case 30:
		if (fd < 0) {
			note(2);
			break;
		}
		/*
		 * Where tmpfs puts holes and how much it allocates depends
		 * on its folio sizes (memory at hand): only the errno and
		 * the range are checked (ENXIO for SEEK_DATA in the tail of
		 * a folio or beyond, as for success).
		 */
		r = below(2) ? SEEK_DATA : SEEK_HOLE;
		k = lseek(fd, off, r);
		note(k < 0 && errno != ENXIO ? errno : 0);
		if (k >= 0 && (fstat(fd, &st) || k < off || k > st.st_size))
			bad("lseek(%lld, %s) gave %lld in a %lld-byte file",
			    (long long)off, r == SEEK_DATA ? "SEEK_DATA" :
			    "SEEK_HOLE", (long long)k, (long long)st.st_size);
		break;
	case 31:
		note(fd < 0 ? 2 : err(below(2) ? fsync(fd) : fdatasync(fd)));
		break;
	default:
		if (lstat(p, &st)) {
			note(errno);
			break;
		}
		note(st.st_mode);
		note(S_ISDIR(st.st_mode) ? 0 : st.st_size);
		note(S_ISDIR(st.st_mode) ? 0 : st.st_nlink);
		break;
	}
}

/* Runs OPS operations (or until DEADLINE when OPS is 0) in ROOT/pI. */
static int worker(const char *root, int i, uint64_t seed, long ops,
		  time_t deadline)
{
	char dir[PATH_MAX], who[16];
	long done = 0;

	snprintf(who, sizeof(who), "p%d", i);
	me = who;
	snprintf(dir, sizeof(dir), "%s/p%d", root, i);
	if (chdir(dir)) {
		perror(dir);
		return 1;
	}
	for (int s = 0; s < NSLOT; s++)
		slot_fd[s] = -1;
	seed_rng(seed, i);
	trace = getenv("STRESS_TRACE") != NULL;
	while (ops ? done < ops : time(NULL) < deadline) {
		op_no = done;
		worker_op();
		done++;
	}
	for (int s = 0; s < NSLOT; s++)
		slot_set(s, -1);
	say("p%d %ld %llu", i, done, (unsigned long long)sum);
	return 0;
}

/* ---- the invariant roles ---- */

enum role {
	R_WRITER, R_READER, R_LOCKER, R_RANGE, R_CHURN, R_DIRREAD,
	R_MUTATOR, R_OBSERVER, R_NROLES
};

static const char *const role_name[] = {
	"data-writer", "data-reader", "locker", "range-locker", "dir-churn",
	"dir-reader", "lower-mutator", "lower-observer",
};

struct ctx {
	const char *mnt, *lower;
	time_t deadline;
	int idx;		/* which one of its role */
};

static void path2(char *buf, size_t len, const char *a, const char *b)
{
	snprintf(buf, len, "%s/%s", a, b);
}

/* Byte OFF of MNT/shared/data must be pat(1, OFF) or 0. */
static int check_data(const char *how, const unsigned char *b, size_t n,
		      off_t off)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] && b[i] != pat(1, off + i)) {
			bad("%s: byte %lld is %u, not %u or 0", how,
			    (long long)(off + i), b[i], pat(1, off + i));
			return -1;
		}
	return 0;
}

static void fill_data(unsigned char *b, size_t n, off_t off)
{
	for (size_t i = 0; i < n; i++)
		b[i] = pat(1, off + i);
}

/* Through the mount (idx 0) or on the lower directory (idx 1). */
static void data_writer(const struct ctx *c)
{
	static unsigned char b[BUF];
	const char *base = c->idx ? c->lower : c->mnt;
	char path[PATH_MAX];
	int fd;

	path2(path, sizeof(path), base, "shared/data");
	fd = open(path, O_RDWR);
	if (fd < 0) {
		bad("open %s: %s", path, strerror(errno));
		return;
	}
	while (time(NULL) < c->deadline) {
		off_t off = below(DATA_MAX - BUF);
		size_t n = below(BUF) + 1;
		struct stat st;
		unsigned char *m;

		count_op(R_WRITER);
		switch (below(6)) {
		case 0:
			if (truncate(path, below(DATA_MAX)))
				bad("truncate: %s", strerror(errno));
			break;
		case 1:
			if (ftruncate(fd, below(DATA_MAX)))
				bad("ftruncate: %s", strerror(errno));
			break;
		case 2:
		case 3:
			fill_data(b, n, off);
			if (pwrite(fd, b, n, off) != (ssize_t)n)
				bad("pwrite: %s", strerror(errno));
			break;
		case 4:
			if (fallocate(fd, FALLOC_FL_PUNCH_HOLE |
				      FALLOC_FL_KEEP_SIZE, off, n))
				bad("punch hole: %s", strerror(errno));
			break;
		default:
			/* The other writer may truncate meanwhile. */
			if (fstat(fd, &st) || st.st_size < 4096)
				break;
			off = (off_t)below(st.st_size) & ~(off_t)4095;
			n = st.st_size - off < BUF ? st.st_size - off : BUF;
			m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED,
				 fd, off);
			if (m == MAP_FAILED) {
				bad("mmap: %s", strerror(errno));
				break;
			}
			fill_data(b, n, off);
			if (map_copy(m, b, n, 1, 512))
				__atomic_fetch_add(&shared->sigbus, 1,
						   __ATOMIC_RELAXED);
			munmap(m, n);
			break;
		}
	}
	close(fd);
}

static void data_reader(const struct ctx *c)
{
	static unsigned char b[BUF];
	char path[PATH_MAX], scratch[PATH_MAX];
	int fd, sfd, p[2];

	path2(path, sizeof(path), c->mnt, "shared/data");
	snprintf(scratch, sizeof(scratch), "%s/shared/scratch%d", c->mnt,
		 c->idx);
	fd = open(path, O_RDONLY);
	sfd = open(scratch, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || sfd < 0 || pipe(p)) {
		bad("open %s: %s", path, strerror(errno));
		return;
	}
	while (time(NULL) < c->deadline) {
		loff_t off = below(DATA_MAX), o2 = 0;
		size_t n = below(BUF) + 1;
		volatile unsigned char *m;
		ssize_t k, j;
		struct stat st;

		count_op(R_READER);
		switch (below(5)) {
		case 0:
			k = pread(fd, b, n, off);
			if (k < 0)
				bad("pread: %s", strerror(errno));
			else
				check_data("pread", b, k, off);
			break;
		case 1:
			/* The whole file with read(2), from the start. */
			off = 0;
			if (lseek(fd, 0, SEEK_SET)) {
				bad("lseek: %s", strerror(errno));
				break;
			}
			while ((k = read(fd, b, sizeof(b))) > 0) {
				if (check_data("read", b, k, off))
					break;
				off += k;
			}
			if (k < 0)
				bad("read: %s", strerror(errno));
			break;
		case 2:
			if (fstat(fd, &st)) {
				bad("fstat: %s", strerror(errno));
				break;
			}
			if (st.st_size == 0)
				break;
			off = (off_t)below(st.st_size) & ~(off_t)4095;
			n = st.st_size - off < BUF ? st.st_size - off : BUF;
			m = mmap(NULL, n, PROT_READ, MAP_SHARED, fd, off);
			if (m == MAP_FAILED) {
				bad("mmap: %s", strerror(errno));
				break;
			}
			if (!map_copy(m, b, n, 0, 1))
				check_data("mmap", b, n, off);
			else	/* truncated under the mapping */
				__atomic_fetch_add(&shared->sigbus, 1,
						   __ATOMIC_RELAXED);
			munmap((void *)m, n);
			break;
		case 3:
			k = splice(fd, &off, p[1], NULL, n, 0);
			if (k < 0) {
				bad("splice: %s", strerror(errno));
				break;
			}
			off -= k;
			for (j = 0; j < k; j += n) {
				n = read(p[0], b, k - j);
				if ((ssize_t)n <= 0) {
					bad("read pipe: %s", strerror(errno));
					break;
				}
				if (check_data("splice", b, n, off + j))
					break;
			}
			break;
		default:
			if (ftruncate(sfd, 0)) {
				bad("ftruncate scratch: %s", strerror(errno));
				break;
			}
			k = copy_file_range(fd, &off, sfd, &o2, n, 0);
			if (k < 0) {
				bad("copy_file_range: %s", strerror(errno));
				break;
			}
			off -= k;
			j = pread(sfd, b, k, 0);
			if (j != k)
				bad("copied %zd bytes, read back %zd", k, j);
			else
				check_data("copy_file_range", b, k, off);
			break;
		}
	}
	close(fd);
	close(sfd);
}

/*
 * Lockers 0-2 take MNT/shared/lk0: 0 with POSIX locks through the mount,
 * 1 with OFD locks through the mount, 2 with POSIX locks on the lower
 * file.  Lockers 3-4 take lk1 with flock, through the mount and on the
 * lower file.  The holder file says who holds the lock, the counter file
 * counts the times it was taken.
 */
static void locker(const struct ctx *c)
{
	int fam = c->idx >= 3, low = c->idx == 2 || c->idx == 4;
	const char *base = low ? c->lower : c->mnt;
	char p[PATH_MAX];
	int lfd = -1, hfd, cfd;
	uint32_t id = c->idx + 1, v;

	snprintf(p, sizeof(p), "%s/shared/holder%d", base, fam);
	hfd = open(p, O_RDWR);
	snprintf(p, sizeof(p), "%s/shared/count%d", base, fam);
	cfd = open(p, O_RDWR);
	snprintf(p, sizeof(p), "%s/shared/lk%d", base, fam);
	if (hfd < 0 || cfd < 0) {
		bad("open %s: %s", p, strerror(errno));
		return;
	}
	while (time(NULL) < c->deadline) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int r;

		count_op(R_LOCKER);
		if (lfd < 0)
			lfd = open(p, O_RDWR);
		if (lfd < 0) {
			bad("open %s: %s", p, strerror(errno));
			return;
		}
		if (fam)
			r = flock(lfd, LOCK_EX);
		else
			r = fcntl(lfd, c->idx == 1 ? F_OFD_SETLKW : F_SETLKW,
				  &fl);
		if (r) {
			bad("lock %s: %s", p, strerror(errno));
			continue;
		}
		if (pread(hfd, &v, 4, 0) != 4 || v)
			bad("lock %s taken while held by %u", p, v);
		if (pwrite(hfd, &id, 4, 0) != 4 || pread(cfd, &v, 4, 0) != 4)
			bad("holder or counter file: %s", strerror(errno));
		v++;
		if (below(4) == 0)
			usleep(below(2000));
		else
			sched_yield();
		if (pwrite(cfd, &v, 4, 0) != 4)
			bad("counter file: %s", strerror(errno));
		__atomic_fetch_add(&shared->locks[fam], 1, __ATOMIC_RELAXED);
		if (pread(hfd, &v, 4, 0) != 4 || v != id)
			bad("lock %s: holder %u while %u held it", p, v, id);
		v = 0;
		if (pwrite(hfd, &v, 4, 0) != 4)
			bad("holder file: %s", strerror(errno));
		/* Unlock, or let close do it. */
		if (below(4) == 0) {
			close(lfd);
			lfd = -1;
		} else if (fam) {
			r = flock(lfd, LOCK_UN);
		} else {
			fl.l_type = F_UNLCK;
			r = fcntl(lfd, c->idx == 1 ? F_OFD_SETLK : F_SETLK,
				  &fl);
		}
		if (r)
			bad("unlock %s: %s", p, strerror(errno));
	}
	if (lfd >= 0)
		close(lfd);
	close(hfd);
	close(cfd);
}

/*
 * Range lockers take read or write locks on random ranges of
 * MNT/shared/lk2: 0 POSIX through the mount, 1 OFD through the mount, 2
 * OFD on the lower file.  While a lock is held, its bytes are marked in
 * shared memory: a write lock finds them free, a read lock finds no
 * writer.
 */
static void range_locker(const struct ctx *c)
{
	const char *base = c->idx == 2 ? c->lower : c->mnt;
	int ofd = c->idx > 0, id = c->idx + 1, fd;
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/shared/lk2", base);
	fd = open(p, O_RDWR);
	if (fd < 0) {
		bad("open %s: %s", p, strerror(errno));
		return;
	}
	while (time(NULL) < c->deadline) {
		unsigned int a = below(RANGE), b = a + 1 + below(RANGE - a);
		int wr = below(2), v;
		struct flock fl = {
			.l_type = wr ? F_WRLCK : F_RDLCK,
			.l_whence = SEEK_SET,
			.l_start = a,
			.l_len = b - a,
		};

		count_op(R_RANGE);
		if (fcntl(fd, ofd ? F_OFD_SETLKW : F_SETLKW, &fl)) {
			bad("lock %u-%u of %s: %s", a, b, p, strerror(errno));
			continue;
		}
		for (unsigned int i = a; i < b; i++) {
			v = 0;
			if (wr ? !__atomic_compare_exchange_n(&shared->range[i],
							      &v, -id, 0,
							      __ATOMIC_SEQ_CST,
							      __ATOMIC_SEQ_CST) :
			    (v = __atomic_fetch_add(&shared->range[i], 1,
						    __ATOMIC_SEQ_CST)) < 0)
				bad("%s lock on byte %u of %s while %s holds it",
				    wr ? "write" : "read", i, p,
				    v < 0 ? "a writer" : "a reader");
		}
		sched_yield();
		for (unsigned int i = a; i < b; i++) {
			if (wr)
				__atomic_compare_exchange_n(&shared->range[i],
							    &(int){ -id }, 0,
							    0,
							    __ATOMIC_SEQ_CST,
							    __ATOMIC_SEQ_CST);
			else
				__atomic_fetch_sub(&shared->range[i], 1,
						   __ATOMIC_SEQ_CST);
		}
		fl.l_type = F_UNLCK;
		if (fcntl(fd, ofd ? F_OFD_SETLK : F_SETLK, &fl))
			bad("unlock %s: %s", p, strerror(errno));
	}
	close(fd);
}

/* Allowed while another process moves names: ENOENT, EEXIST, ENOTEMPTY. */
static void moved_ok(const char *what, const char *path, int e)
{
	if (e && e != ENOENT && e != EEXIST && e != ENOTEMPTY)
		bad("%s %s: %s", what, path, strerror(e));
}

static void dir_churn(const struct ctx *c)
{
	char dir[2][PATH_MAX], a[PATH_MAX], b[PATH_MAX];
	int fd, low;

	path2(dir[0], sizeof(dir[0]), c->mnt, "shared/dir");
	path2(dir[1], sizeof(dir[1]), c->lower, "shared/dir");
	while (time(NULL) < c->deadline) {
		count_op(R_CHURN);
		low = below(2);
		snprintf(a, sizeof(a), "%s/c%03u", dir[low], below(CHURN));
		snprintf(b, sizeof(b), "%s/c%03u", dir[low], below(CHURN));
		switch (below(4)) {
		case 0:
			fd = open(a, O_CREAT | O_EXCL | O_WRONLY, 0644);
			moved_ok("create", a, fd < 0 ? errno : 0);
			if (fd >= 0)
				close(fd);
			break;
		case 1:
			moved_ok("unlink", a, err(unlink(a)));
			break;
		case 2:
			moved_ok("rename", a, err(rename(a, b)));
			break;
		default:
			moved_ok("exchange", a, err(renameat2(AT_FDCWD, a,
				 AT_FDCWD, b, RENAME_EXCHANGE)));
			break;
		}
	}
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/*
 * Reads from FD to the end with getdents64 and a buffer of BUFLEN;
 * counts the fixed names in SEEN, records the positions in POS (if not
 * NULL).  -1 after an error or a name that cannot be there.
 */
static int list_dir(int fd, size_t buflen, unsigned char *seen,
		    int64_t *pos, int *npos)
{
	char buf[4096];
	long n;

	while ((n = syscall(SYS_getdents64, fd, buf, buflen)) > 0) {
		for (long o = 0; o < n;) {
			struct linux_dirent64 *d = (void *)(buf + o);
			unsigned int x;
			char k;

			o += d->d_reclen;
			if (pos && *npos < MAXPOS)
				pos[(*npos)++] = d->d_off;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			if (sscanf(d->d_name, "%c%3u", &k, &x) != 2 ||
			    strlen(d->d_name) != 4 ||
			    (k == 's' ? x >= STABLE : k != 'c' || x >= CHURN)) {
				bad("listing shows \"%s\"", d->d_name);
				return -1;
			}
			if (k == 's' && seen[x]++)
				bad("listing shows s%03u twice", x);
		}
	}
	if (n < 0) {
		bad("getdents64: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void dir_reader(const struct ctx *c)
{
	unsigned char seen[STABLE];
	char dir[PATH_MAX];
	int64_t pos[MAXPOS];
	int fd, npos, i;

	path2(dir, sizeof(dir), c->mnt, "shared/dir");
	while (time(NULL) < c->deadline) {
		size_t buflen = 128 + below(4096 - 128);

		count_op(R_DIRREAD);
		fd = open(dir, O_RDONLY | O_DIRECTORY);
		if (fd < 0) {
			bad("open %s: %s", dir, strerror(errno));
			return;
		}
		memset(seen, 0, sizeof(seen));
		npos = 0;
		if (list_dir(fd, buflen, seen, pos, &npos)) {
			close(fd);
			continue;
		}
		for (i = 0; i < STABLE; i++)
			if (seen[i] != 1)
				bad("a pass from the start shows s%03u %u times",
				    i, seen[i]);
		/*
		 * Seek back to a position a listing gave: the rest lists
		 * without error, each fixed name at most once.  (Which fixed
		 * names come after it depends on the lower file system's
		 * offsets: on 6.1 tmpfs an offset counts entries.)
		 */
		for (int rep = 0; rep < 3 && npos; rep++) {
			int64_t at = pos[below(npos)];

			if (lseek(fd, at, SEEK_SET) != at) {
				bad("lseek to %lld: %s", (long long)at,
				    strerror(errno));
				break;
			}
			memset(seen, 0, sizeof(seen));
			list_dir(fd, 128 + below(1024), seen, NULL, NULL);
		}
		close(fd);
	}
}

/* ---- the lower tree changed directly, observed through the mount ---- */

static uint32_t new_tag(void)
{
	uint32_t old = __atomic_load_n(&shared->tag, __ATOMIC_RELAXED), t;

	do
		t = tag_next(old);
	while (!__atomic_compare_exchange_n(&shared->tag, &old, t, 0,
					    __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED));
	return t;
}

/* Directory part of PATH (at least "."), into BUF. */
static void dir_of(char *buf, size_t len, const char *path)
{
	const char *slash = strrchr(path, '/');

	snprintf(buf, len, "%.*s", slash ? (int)(slash - path) : 1,
		 slash ? path : ".");
}

/*
 * A new file of SIZE with a fresh tag at PATH, written under a temporary
 * name tN in the same directory and renamed over PATH.
 */
static int replace_file(const char *path, size_t size, int noreplace)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 16];
	unsigned char t[4];
	uint32_t tag = new_tag();
	int fd, r;

	dir_of(dir, sizeof(dir), path);
	snprintf(tmp, sizeof(tmp), "%s/t%u", dir, tag % 1000);
	fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY, 0644);
	if (fd < 0)
		return errno;
	tag_bytes(tag, t);
	r = write_tagged(fd, tag, 0, size < 4 ? 4 : size) ||
	    fsetxattr(fd, "trusted.t", t, 4, 0) ? errno : 0;
	close(fd);
	if (!r && renameat2(AT_FDCWD, tmp, AT_FDCWD, path,
			    noreplace ? RENAME_NOREPLACE : 0))
		r = errno;
	if (r)
		unlink(tmp);
	return r;
}

/*
 * Appends N bytes of its pattern to the file at PATH (HOW 0), truncates
 * it to a random size of at least its header (1) or writes a random
 * range of it again (2).
 */
static int change_file(const char *path, size_t n, int how)
{
	uint32_t tag;
	struct stat st;
	int fd = open(path, O_RDWR), r = 0;

	if (fd < 0)
		return errno;
	errno = 0;
	if (pread(fd, &tag, 4, 0) != 4 || fstat(fd, &st) || st.st_size < 4) {
		r = errno ? errno : EBADMSG;
		bad("%s: no header (%s)", path, strerror(r));
	} else if (how == 0) {
		r = write_tagged(fd, tag, st.st_size, st.st_size + n) ? errno : 0;
	} else if (how == 1) {
		r = err(ftruncate(fd, 4 + below(st.st_size - 3)));
	} else {
		off_t a = 4 + below(st.st_size - 3);

		r = write_tagged(fd, tag, a, a + below(st.st_size - a + 1)) ?
			errno : 0;
	}
	close(fd);
	return r;
}

/* Checks N bytes at OFF of a file of the lower area with TAG. */
static int check_tagged(const char *how, const char *path, uint32_t tag,
			const unsigned char *b, size_t n, off_t off)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char want = off + (off_t)i < 4 ?
			((unsigned char *)&tag)[off + i] : pat(tag, off + i);

		if (b[i] && b[i] != want) {
			bad("%s %s: byte %lld is %u, not %u or 0", how, path,
			    (long long)(off + i), b[i], want);
			return -1;
		}
	}
	return 0;
}

/* Reads a file of MNT/lower through the mount and checks every byte. */
static void observe_file(const char *path)
{
	static unsigned char b[BUF];
	volatile unsigned char *m;
	unsigned char t[4];
	uint32_t tag;
	struct stat st;
	off_t off = 0;
	ssize_t k;
	size_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		moved_ok("open", path, errno);
		return;
	}
	if (pread(fd, &tag, 4, 0) != 4 || (k = fgetxattr(fd, "trusted.t", t,
							 4)) != 4) {
		bad("%s: header or xattr trusted.t unreadable: %s", path,
		    strerror(errno));
		goto out;
	}
	if (tag_next(tag - 1) != tag || memcmp(t, &tag, 4)) {
		bad("%s: tag %08x, xattr trusted.t %02x%02x%02x%02x", path,
		    tag, t[3], t[2], t[1], t[0]);
		goto out;
	}
	if (below(2)) {
		while ((k = pread(fd, b, sizeof(b), off)) > 0) {
			if (check_tagged("read", path, tag, b, k, off))
				break;
			off += k;
		}
		if (k < 0)
			bad("read %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st)) {
		bad("fstat %s: %s", path, strerror(errno));
		goto out;
	}
	off = (off_t)below(st.st_size) & ~(off_t)4095;
	n = st.st_size - off < BUF ? st.st_size - off : BUF;
	m = mmap(NULL, n, PROT_READ, MAP_SHARED, fd, off);
	if (m == MAP_FAILED) {
		bad("mmap %s: %s", path, strerror(errno));
		goto out;
	}
	if (!map_copy(m, b, n, 0, 1))
		check_tagged("mmap", path, tag, b, n, off);
	else
		__atomic_fetch_add(&shared->sigbus, 1, __ATOMIC_RELAXED);
	munmap((void *)m, n);
out:
	close(fd);
}

/* Lists a directory of MNT/lower: only dN, fN and tN names. */
static void observe_dir(const char *path)
{
	struct dirent *de;
	unsigned int x;
	char k, rest;
	DIR *d = opendir(path);

	if (!d) {
		moved_ok("opendir", path, errno);
		return;
	}
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (sscanf(de->d_name, "%c%u%c", &k, &x, &rest) != 2 ||
		    !strchr("dft", k))
			bad("%s lists \"%s\"", path, de->d_name);
	}
	if (errno)
		bad("readdir %s: %s", path, strerror(errno));
	closedir(d);
}

/*
 * Changes the tree on the lower directory (MUTATE with the lower path) or
 * through the mount (observer 1); reads it through the mount.
 */
static void lower_op(const char *base, int mutate)
{
	char p[64], q[64], a[PATH_MAX + 64], b[PATH_MAX + 64];
	struct stat st;

	pick(p, sizeof(p), 0);
	pick(q, sizeof(q), 0);
	snprintf(a, sizeof(a), "%s/%s", base, p);
	snprintf(b, sizeof(b), "%s/%s", base, q);
	if (!mutate) {
		switch (below(4)) {
		case 0:
			if (lstat(a, &st))
				moved_ok("stat", a, errno);
			else if (!S_ISREG(st.st_mode) || st.st_size < 4)
				bad("%s: mode %o size %lld", a,
				    (unsigned int)st.st_mode,
				    (long long)st.st_size);
			break;
		case 1:
			pick(p, sizeof(p), 1);
			snprintf(a, sizeof(a), "%s/%s", base, p);
			observe_dir(a);
			break;
		default:
			observe_file(a);
			break;
		}
		return;
	}
	switch (below(12)) {
	case 0:
	case 1:
		moved_ok("replace", a, replace_file(a, pick_size(), below(4) == 0));
		break;
	case 2:
		moved_ok("append", a, change_file(a, below(8192), 0));
		break;
	case 3:
		moved_ok("truncate", a, change_file(a, 0, 1));
		break;
	case 4:
		moved_ok("rewrite", a, change_file(a, 0, 2));
		break;
	case 5:
		moved_ok("unlink", a, err(unlink(a)));
		break;
	case 6:
		moved_ok("rename", a, err(renameat2(AT_FDCWD, a, AT_FDCWD, b,
				below(2) ? RENAME_NOREPLACE : 0)));
		break;
	case 7:
		moved_ok("link", a, err(link(a, b)));
		break;
	case 8:
		pick(p, sizeof(p), 1);
		snprintf(a, sizeof(a), "%s/%s", base, p);
		moved_ok("mkdir", a, err(mkdir(a, 0755)));
		break;
	case 9:
		pick(p, sizeof(p), 1);
		snprintf(a, sizeof(a), "%s/%s", base, p);
		moved_ok("rmdir", a, err(rmdir(a)));
		break;
	case 10:
		/* A directory to a sibling name (never into itself). */
		pick(p, sizeof(p), 1);
		snprintf(a, sizeof(a), "%s/%s", base, p);
		snprintf(b, sizeof(b), "%s", a);
		b[strlen(b) - 1] = '0' + below(FANOUT);
		moved_ok("rename dir", a, err(rename(a, b)));
		break;
	default:
		moved_ok("exchange", a, err(renameat2(AT_FDCWD, a, AT_FDCWD, b,
				RENAME_EXCHANGE)));
		break;
	}
}

static void lower_mutator(const struct ctx *c)
{
	char base[PATH_MAX];

	path2(base, sizeof(base), c->lower, "lower");
	while (time(NULL) < c->deadline) {
		count_op(R_MUTATOR);
		lower_op(base, 1);
	}
}

/* Observer 0 only reads; observer 1 changes the tree half the time. */
static void lower_observer(const struct ctx *c)
{
	char base[PATH_MAX];

	path2(base, sizeof(base), c->mnt, "lower");
	while (time(NULL) < c->deadline) {
		count_op(R_OBSERVER);
		lower_op(base, c->idx && below(2));
	}
}

/* ---- run ---- */

static const struct {
	enum role role;
	int count;
	void (*fn)(const struct ctx *);
} roles[] = {
	{ R_WRITER, 2, data_writer },
	{ R_READER, 2, data_reader },
	{ R_LOCKER, 5, locker },
	{ R_RANGE, 3, range_locker },
	{ R_CHURN, 1, dir_churn },
	{ R_DIRREAD, 1, dir_reader },
	{ R_MUTATOR, 1, lower_mutator },
	{ R_OBSERVER, 2, lower_observer },
};

static int put_file(const char *mnt, const char *name, size_t size,
		    uint32_t tag)
{
	unsigned char z[4096] = { 0 };
	char p[PATH_MAX];
	int fd, r = 0;

	path2(p, sizeof(p), mnt, name);
	fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0)
		return -1;
	if (tag) {
		for (size_t o = 0; o < size && !r; o += sizeof(z)) {
			fill_data(z, sizeof(z), o);
			r = write_all(fd, z, sizeof(z), o);
		}
	} else if (size) {
		r = write_all(fd, z, size, 0);
	}
	return close(fd) || r ? -1 : 0;
}

/* MNT/shared, made through the mount. */
static int setup_shared(const char *mnt)
{
	char p[PATH_MAX], name[32];

	snprintf(p, sizeof(p), "%s/shared", mnt);
	if (mkdir(p, 0755))
		return -1;
	snprintf(p, sizeof(p), "%s/shared/dir", mnt);
	if (mkdir(p, 0755))
		return -1;
	for (int i = 0; i < STABLE; i++) {
		snprintf(name, sizeof(name), "shared/dir/s%03d", i);
		if (put_file(mnt, name, 0, 0))
			return -1;
	}
	if (put_file(mnt, "shared/lk2", 0, 0))
		return -1;
	for (int i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "shared/lk%d", i);
		if (put_file(mnt, name, 0, 0))
			return -1;
		snprintf(name, sizeof(name), "shared/holder%d", i);
		if (put_file(mnt, name, 4, 0))
			return -1;
		snprintf(name, sizeof(name), "shared/count%d", i);
		if (put_file(mnt, name, 4, 0))
			return -1;
	}
	return put_file(mnt, "shared/data", DATA_MAX / 2, 1);
}

static void reap(pid_t pid, int st)
{
	if (WIFSIGNALED(st))
		bad("process %d killed by signal %d%s", (int)pid,
		    WTERMSIG(st), WTERMSIG(st) == SIGALRM ?
		    " (still running long after the deadline)" : "");
	else if (WEXITSTATUS(st))
		bad("process %d exit status %d", (int)pid, WEXITSTATUS(st));
}

static int spawn(pid_t *pid, unsigned int limit)
{
	fflush(stdout);
	*pid = fork();
	if (*pid < 0) {
		perror("fork");
		return -1;
	}
	if (*pid == 0) {
		catch_bus();
		alarm(limit);
	}
	return 0;
}

static int run(const char *mnt, const char *lower, int nproc, uint64_t seed,
	       long seconds)
{
	time_t deadline = time(NULL) + seconds;
	unsigned int limit = seconds * 3 + 120;
	long total = 0;
	uint32_t v;
	pid_t pid;
	int st, idx = 0;
	char p[PATH_MAX];

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	shared->tag = 0x01010101;
	if (setup_shared(mnt)) {
		perror("setting up MNT/shared");
		return 1;
	}
	for (int i = 0; i < nproc; i++) {
		if (spawn(&pid, limit))
			return 1;
		if (pid == 0)
			exit(worker(mnt, i, seed, 0, deadline));
	}
	for (size_t r = 0; r < sizeof(roles) / sizeof(roles[0]); r++) {
		for (int i = 0; i < roles[r].count; i++) {
			struct ctx c = { mnt, lower, deadline, i };

			idx++;
			if (spawn(&pid, limit))
				return 1;
			if (pid == 0) {
				char who[32];

				snprintf(who, sizeof(who), "%s%d",
					 role_name[roles[r].role], i);
				me = who;
				seed_rng(seed, 100 + idx);
				roles[r].fn(&c);
				exit(0);
			}
		}
	}
	while ((pid = wait(&st)) > 0)
		reap(pid, st);
	for (int fam = 0; fam < 2; fam++) {
		int fd;

		snprintf(p, sizeof(p), "%s/shared/count%d", mnt, fam);
		fd = open(p, O_RDONLY);
		if (fd < 0 || pread(fd, &v, 4, 0) != 4)
			bad("%s: %s", p, strerror(errno));
		else if (v != (uint32_t)shared->locks[fam] || !v)
			bad("%s says %u, the lock was taken %ld times", p, v,
			    shared->locks[fam]);
		if (fd >= 0)
			close(fd);
	}
	for (int r = 0; r < R_NROLES; r++) {
		say("inv %s ops=%ld", role_name[r], shared->ops[r]);
		total += shared->ops[r];
	}
	say("inv locks taken: %ld (lk0: POSIX/OFD) %ld (lk1: flock)",
	    shared->locks[0], shared->locks[1]);
	say("inv SIGBUS of mappings truncated under them: %ld", shared->sigbus);
	say("inv total=%ld failures=%ld", total, shared->fails);
	return shared->fails != 0;
}

static int replay(const char *root, uint64_t seed, const long *ops,
		  int nproc)
{
	int st, bad_exit = 0;
	pid_t pid;

	for (int i = 0; i < nproc; i++) {
		if (spawn(&pid, 600))
			return 1;
		if (pid == 0)
			exit(worker(root, i, seed, ops[i], 0));
	}
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			bad_exit = 1;
	return bad_exit;
}

/* ---- dump ---- */

static void dump(const char *path, const char *rel)
{
	static unsigned char buf[BUF];
	char full[PATH_MAX], sub[PATH_MAX], names[4096];
	struct dirent *de;
	struct stat st;
	ssize_t n, k;
	DIR *d;

	d = opendir(path);
	if (!d) {
		printf("%s opendir %s\n", rel, strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(full, sizeof(full), "%s/%s", path, de->d_name);
		snprintf(sub, sizeof(sub), "%s/%s", rel, de->d_name);
		if (lstat(full, &st)) {
			printf("%s lstat %s\n", sub, strerror(errno));
			continue;
		}
		printf("%s mode=%o nlink=%lu", sub, (unsigned int)st.st_mode,
		       (unsigned long)(S_ISDIR(st.st_mode) ? 0 : st.st_nlink));
		if (S_ISREG(st.st_mode)) {
			uint64_t h = 1469598103934665603ull;
			int fd = open(full, O_RDONLY);

			while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
				h = hash(buf, n, h);
			if (fd >= 0)
				close(fd);
			printf(" size=%lld hash=%llx", (long long)st.st_size,
			       (unsigned long long)h);
		} else if (S_ISLNK(st.st_mode)) {
			n = readlink(full, (char *)buf, sizeof(buf) - 1);
			printf(" -> %.*s", (int)(n < 0 ? 0 : n), buf);
		}
		n = llistxattr(full, names, sizeof(names));
		for (ssize_t o = 0; o < n; o += strlen(names + o) + 1) {
			k = lgetxattr(full, names + o, buf, sizeof(buf));
			printf(" %s=%zd/%llx", names + o, k,
			       (unsigned long long)(k < 0 ? 0 :
						    hash(buf, k, 0)));
		}
		printf("\n");
		if (S_ISDIR(st.st_mode))
			dump(full, sub);
	}
	closedir(d);
}

static int usage(void)
{
	fprintf(stderr, "usage: stress mktree ROOT SEED NPROC [lower]\n"
		"       stress run MNT LOWER NPROC SEED SECONDS\n"
		"       stress replay ROOT SEED OPS0,OPS1,...\n"
		"       stress dump ROOT\n");
	return 2;
}

int main(int argc, char **argv)
{
	long ops[64];
	int n = 0;
	char *s, *e;

	if (argc == 3 && !strcmp(argv[1], "dump")) {
		dump(argv[2], ".");
		return 0;
	}
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "mktree")) {
		n = atoi(argv[4]);
		if (n < 1 || n > 64 || (argc == 6 && strcmp(argv[5], "lower")))
			return usage();
		return make_tree(argv[2], strtoull(argv[3], NULL, 0), n,
				 argc == 6);
	}
	if (argc == 7 && !strcmp(argv[1], "run")) {
		n = atoi(argv[4]);
		if (n < 1 || n > 64)
			return usage();
		return run(argv[2], argv[3], n, strtoull(argv[5], NULL, 0),
			   atol(argv[6]));
	}
	if (argc == 5 && !strcmp(argv[1], "replay")) {
		for (s = argv[4]; *s && n < 64; s = *e ? e + 1 : e) {
			ops[n++] = strtol(s, &e, 10);
			if (e == s)
				return usage();
		}
		if (!n)
			return usage();
		return replay(argv[2], strtoull(argv[3], NULL, 0), ops, n);
	}
	return usage();
}
