// SPDX-License-Identifier: GPL-2.0-only
/*
 * Conformance suite: transcript output, hashing, and process helpers.
 */
#include "conf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#define HBLOCK 4096
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

int conf_failed;

void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

const char *errname(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "EUNKNOWN";
}

long say_rc(const char *label, long rc)
{
	int e = errno;

	if (rc < 0)
		out("%s: %s", label, errname(e));
	else if (rc == 0)
		out("%s: ok", label);
	else
		out("%s: %ld", label, rc);
	errno = e;
	return rc;
}

int say_fd(const char *label, int fd)
{
	int e = errno;

	if (fd < 0)
		out("%s: %s", label, errname(e));
	else
		out("%s: fd", label);
	errno = e;
	return fd;
}

void check(int ok, const char *what)
{
	if (ok)
		return;
	out("CHECK FAILED: %s", what);
	conf_failed = 1;
}

static const char *type_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return "reg";
	case S_IFDIR:
		return "dir";
	case S_IFLNK:
		return "lnk";
	case S_IFIFO:
		return "fifo";
	case S_IFCHR:
		return "chr";
	case S_IFBLK:
		return "blk";
	case S_IFSOCK:
		return "sock";
	}
	return "unknown";
}

void show_stat(const char *label, const struct stat *st)
{
	char extra[64] = "";

	if (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode))
		snprintf(extra, sizeof(extra), " size=%lld",
			 (long long)st->st_size);
	else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		snprintf(extra, sizeof(extra), " rdev=%u,%u",
			 major(st->st_rdev), minor(st->st_rdev));
	out("%s: %s mode=%04o nlink=%lu uid=%u gid=%u%s", label,
	    type_name(st->st_mode), (unsigned int)(st->st_mode & 07777),
	    (unsigned long)st->st_nlink, (unsigned int)st->st_uid,
	    (unsigned int)st->st_gid, extra);
}

void show(const char *path)
{
	struct stat st;
	char label[PATH_MAX + 16];

	snprintf(label, sizeof(label), "lstat %s", path);
	if (lstat(path, &st) < 0) {
		out("%s: %s", label, errname(errno));
		return;
	}
	show_stat(label, &st);
}

void show_follow(const char *path)
{
	struct stat st;
	char label[PATH_MAX + 16];

	snprintf(label, sizeof(label), "stat %s", path);
	if (stat(path, &st) < 0) {
		out("%s: %s", label, errname(errno));
		return;
	}
	show_stat(label, &st);
}

void show_fd(const char *label, int fd)
{
	struct stat st;
	char l[256];

	snprintf(l, sizeof(l), "fstat %s", label);
	if (fstat(fd, &st) < 0) {
		out("%s: %s", l, errname(errno));
		return;
	}
	show_stat(l, &st);
}

static void fnv(uint64_t *h, const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t v = *h;
	size_t i;

	for (i = 0; i < n; i++) {
		v ^= c[i];
		v *= FNV_PRIME;
	}
	*h = v;
}

uint64_t hash_mem(const void *p, size_t n)
{
	uint64_t h = FNV_OFFSET;

	fnv(&h, p, n);
	return h;
}

static int all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Mix the non-zero blocks of [from, to) into @h. */
static int hash_range(int fd, off_t from, off_t to, uint64_t *h,
		      unsigned char *buf, size_t bufsz)
{
	off_t off = from - from % HBLOCK;

	while (off < to) {
		size_t want = bufsz;
		ssize_t n;
		size_t i;

		if ((off_t)want > to - off)
			want = (size_t)(to - off);
		n = pread(fd, buf, want, off);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		for (i = 0; i < (size_t)n; i += HBLOCK) {
			size_t len = (size_t)n - i < HBLOCK ? (size_t)n - i :
							     HBLOCK;
			uint64_t pos = (uint64_t)off + i;

			if (all_zero(buf + i, len))
				continue;
			fnv(h, &pos, sizeof(pos));
			fnv(h, buf + i, len);
		}
		off += n;
	}
	return 0;
}

int hash_fd(int fd, uint64_t *hash, off_t *size)
{
	const size_t bufsz = 1 << 20;
	unsigned char *buf;
	struct stat st;
	uint64_t h = FNV_OFFSET;
	off_t off = 0;
	int ret = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	buf = malloc(bufsz);
	if (!buf)
		return -ENOMEM;
	while (off < st.st_size) {
		off_t data = lseek(fd, off, SEEK_DATA);
		off_t hole;

		if (data < 0 && errno == ENXIO)
			break;
		if (data < 0)
			data = off;
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0 || hole > st.st_size)
			hole = st.st_size;
		if (hole <= data)
			hole = st.st_size;
		ret = hash_range(fd, data, hole, &h, buf, bufsz);
		if (ret < 0)
			break;
		off = hole;
	}
	free(buf);
	fnv(&h, &st.st_size, sizeof(st.st_size));
	*hash = h;
	*size = st.st_size;
	return ret;
}

void show_content(const char *path)
{
	uint64_t h;
	off_t size;
	int fd = open(path, O_RDONLY);
	int ret;

	if (fd < 0) {
		out("content %s: %s", path, errname(errno));
		return;
	}
	ret = hash_fd(fd, &h, &size);
	close(fd);
	if (ret < 0)
		out("content %s: %s", path, errname(-ret));
	else
		out("content %s: size=%lld hash=%016llx", path,
		    (long long)size, (unsigned long long)h);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void show_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;

	if (!d) {
		out("list %s: %s", path, errname(errno));
		return;
	}
	while ((de = readdir(d))) {
		if (n == cap) {
			char **nn;

			cap = cap ? cap * 2 : 64;
			nn = realloc(names, cap * sizeof(*names));
			if (!nn)
				break;
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	out("list %s: %zu entries", path, n);
	for (i = 0; i < n; i++) {
		out("  %s", names[i]);
		free(names[i]);
	}
	free(names);
}

void show_xattrs(const char *path)
{
	char list[4096];
	char *names[128];
	ssize_t len = llistxattr(path, list, sizeof(list));
	size_t n = 0, i;
	char *p;

	if (len < 0) {
		out("listxattr %s: %s", path, errname(errno));
		return;
	}
	for (p = list; p < list + len && n < 128; p += strlen(p) + 1)
		names[n++] = p;
	qsort(names, n, sizeof(*names), cmp_str);
	out("listxattr %s: %zu names", path, n);
	for (i = 0; i < n; i++)
		out("  %s", names[i]);
}

void fill(void *buf, size_t n, uint32_t seed)
{
	unsigned char *c = buf;
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		c[i] = (unsigned char)x;
	}
}

int pwrite_all(int fd, const void *buf, size_t n, off_t off)
{
	const char *c = buf;

	while (n) {
		ssize_t w = pwrite(fd, c, n, off);

		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		c += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

ssize_t pread_all(int fd, void *buf, size_t n, off_t off)
{
	char *c = buf;
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, c + got, n - got, off + (off_t)got);

		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int make_file(const char *path, mode_t mode, size_t n, uint32_t seed)
{
	char *buf = malloc(n ? n : 1);
	int fd, ret;

	if (!buf)
		return -ENOMEM;
	fill(buf, n, seed);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0) {
		ret = -errno;
		out("make %s: %s", path, errname(errno));
		free(buf);
		return ret;
	}
	ret = pwrite_all(fd, buf, n, 0);
	if (close(fd) < 0 && !ret)
		ret = -errno;
	free(buf);
	if (ret < 0)
		out("make %s: %s", path, errname(-ret));
	else
		out("make %s: %zu bytes", path, n);
	return ret;
}

static void report_child(const char *label, pid_t pid)
{
	int status;

	if (pid < 0) {
		out("%s: fork %s", label, errname(errno));
		conf_failed = 1;
		return;
	}
	if (waitpid(pid, &status, 0) < 0) {
		out("%s: waitpid %s", label, errname(errno));
		conf_failed = 1;
		return;
	}
	if (WIFEXITED(status))
		out("%s: exit %d", label, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		out("%s: signal %s", label, sigabbrev_np(WTERMSIG(status)) ?
		    sigabbrev_np(WTERMSIG(status)) : "?");
}

void in_child(const char *label, void (*fn)(void))
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fn();
		fflush(stdout);
		_exit(conf_failed);
	}
	report_child(label, pid);
}

void as_nobody(void (*fn)(void))
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(CONF_NOBODY) < 0 ||
		    setuid(CONF_NOBODY) < 0) {
			out("drop privileges: %s", errname(errno));
			fflush(stdout);
			_exit(2);
		}
		fn();
		fflush(stdout);
		_exit(conf_failed);
	}
	report_child("nobody", pid);
}
