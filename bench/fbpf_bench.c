// SPDX-License-Identifier: GPL-2.0-only
/*
 * fbpf-bench: the workloads of bench/run.sh, timed with a monotonic clock.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 *
 * Every measuring command prints one line, "OPS BYTES SECONDS": the number
 * of operations done, the bytes they moved and the wall time they took.
 * The set-up commands (mkfiles, mktree) print the same line, so they can
 * be measured too.  Writes end with fsync() inside the timed region: the
 * data has reached the lower filesystem when the clock stops.  Plain libc
 * only, so it runs in the busybox guest.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(const char *what, const char *path)
{
	fprintf(stderr, "fbpf-bench: %s %s: %s\n", what, path,
		strerror(errno));
	return 1;
}

static void report(uint64_t ops, uint64_t bytes, double t0)
{
	printf("%llu %llu %.6f\n", (unsigned long long)ops,
	       (unsigned long long)bytes, now() - t0);
}

/* A buffer of @size pseudo-random bytes (incompressible, not all zero). */
static char *random_buf(size_t size)
{
	uint64_t x = 0x2545f4914f6cdd1dULL;
	char *buf = malloc(size);
	size_t i;

	for (i = 0; buf && i < size; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (char)x;
	}
	return buf;
}

/* write FILE MIB BS: write MIB MiB in BS-byte writes, fsync, close. */
static int cmd_write(const char *path, long mib, long bs)
{
	uint64_t total = (uint64_t)mib << 20, done = 0, ops = 0;
	char *buf = random_buf(bs);
	double t0;
	ssize_t n;
	int fd;

	if (!buf)
		return fail("malloc", path);
	t0 = now();
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fail("open", path);
	while (done < total) {
		n = write(fd, buf, total - done < (uint64_t)bs ?
				   total - done : (uint64_t)bs);
		if (n <= 0)
			return fail("write", path);
		done += n;
		ops++;
	}
	if (fsync(fd) < 0)
		return fail("fsync", path);
	if (close(fd) < 0)
		return fail("close", path);
	report(ops, done, t0);
	free(buf);
	return 0;
}

/* read FILE BS: read the whole file in BS-byte reads. */
static int cmd_read(const char *path, long bs)
{
	uint64_t done = 0, ops = 0;
	char *buf = malloc(bs);
	double t0;
	ssize_t n;
	int fd;

	if (!buf)
		return fail("malloc", path);
	t0 = now();
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail("open", path);
	while ((n = read(fd, buf, bs)) > 0) {
		done += n;
		ops++;
	}
	if (n < 0)
		return fail("read", path);
	close(fd);
	report(ops, done, t0);
	free(buf);
	return 0;
}

/*
 * randread FILE COUNT BS, randwrite FILE COUNT BS: COUNT reads or writes
 * of BS bytes at aligned random offsets of the existing FILE; the writes
 * end with fsync().
 */
static int cmd_random(const char *path, long count, long bs, int do_write)
{
	uint64_t x = 88172645463325252ULL, blocks, done = 0;
	char *buf = random_buf(bs);
	struct stat st;
	ssize_t n;
	off_t off;
	double t0;
	long i;
	int fd;

	if (!buf)
		return fail("malloc", path);
	fd = open(path, do_write ? O_WRONLY : O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0)
		return fail("open", path);
	blocks = st.st_size / bs;
	if (blocks == 0) {
		fprintf(stderr, "fbpf-bench: %s is smaller than %ld\n", path,
			bs);
		return 1;
	}
	t0 = now();
	for (i = 0; i < count; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		off = (off_t)(x % blocks) * bs;
		n = do_write ? pwrite(fd, buf, bs, off) :
			       pread(fd, buf, bs, off);
		if (n != bs)
			return fail(do_write ? "pwrite" : "pread", path);
		done += bs;
	}
	if (do_write && fsync(fd) < 0)
		return fail("fsync", path);
	report(count, done, t0);
	close(fd);
	free(buf);
	return 0;
}

/* mkfiles DIR N: create N files of 1 KiB (open, write, close). */
static int cmd_mkfiles(const char *dir, long n)
{
	char path[PATH_MAX], *buf = random_buf(1024);
	double t0 = now();
	long i;
	int fd;

	if (!buf)
		return fail("malloc", dir);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%06ld", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return fail("create", path);
		if (write(fd, buf, 1024) != 1024)
			return fail("write", path);
		if (close(fd) < 0)
			return fail("close", path);
	}
	report(n, (uint64_t)n * 1024, t0);
	free(buf);
	return 0;
}

/*
 * stat DIR N [PASSES], unlink DIR N: on the files mkfiles made; stat goes
 * over all of them PASSES times (default 1).
 */
static int cmd_each(const char *dir, long n, long passes, int do_unlink)
{
	char path[PATH_MAX];
	double t0 = now();
	struct stat st;
	long i, p;

	for (p = 0; p < passes; p++) {
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/f%06ld", dir, i);
			if (do_unlink ? unlink(path) : lstat(path, &st))
				return fail(do_unlink ? "unlink" : "stat",
					    path);
		}
	}
	report(n * passes, 0, t0);
	return 0;
}

/* List @dir, counting its entries; no stat.  Returns 0 or -1. */
static int list(const char *dir, uint64_t *entries)
{
	struct dirent *de;
	DIR *dp;

	dp = opendir(dir);
	if (!dp) {
		fail("opendir", dir);
		return -1;
	}
	errno = 0;
	while ((de = readdir(dp)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			(*entries)++;
	if (errno) {
		fail("readdir", dir);
		closedir(dp);
		return -1;
	}
	closedir(dp);
	return 0;
}

/*
 * readdir DIR PASSES: list DIR PASSES times, no stat.  readdir_tree DIR:
 * list each directory mktree made in DIR once (dNNNN, in order, until one
 * is missing).
 */
static int cmd_readdir(const char *dir, long passes, int tree)
{
	uint64_t entries = 0;
	char path[PATH_MAX];
	double t0 = now();
	struct stat st;
	long p;

	for (p = 0; tree || p < passes; p++) {
		if (tree) {
			snprintf(path, sizeof(path), "%s/d%04ld", dir, p);
			if (lstat(path, &st) < 0) {
				if (p > 0 && errno == ENOENT)
					break;
				return fail("stat", path);
			}
		}
		if (list(tree ? path : dir, &entries) < 0)
			return 1;
	}
	report(entries, 0, t0);
	return 0;
}

/* mktree DIR D F: D directories of F empty files each. */
static int cmd_mktree(const char *dir, long d, long f)
{
	char path[PATH_MAX];
	double t0 = now();
	long i, j;
	int fd;

	for (i = 0; i < d; i++) {
		snprintf(path, sizeof(path), "%s/d%04ld", dir, i);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return fail("mkdir", path);
		for (j = 0; j < f; j++) {
			snprintf(path, sizeof(path), "%s/d%04ld/e%05ld", dir,
				 i, j);
			fd = open(path, O_WRONLY | O_CREAT, 0644);
			if (fd < 0)
				return fail("create", path);
			close(fd);
		}
	}
	report(d * f, 0, t0);
	return 0;
}

/* What ls -lR does: list every directory, lstat every entry. */
static int walk(const char *dir, uint64_t *entries)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *dp;
	int ret = 0;

	dp = opendir(dir);
	if (!dp)
		return fail("opendir", dir);
	while (!ret && (de = readdir(dp))) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) < 0) {
			ret = fail("lstat", path);
			break;
		}
		(*entries)++;
		if (S_ISDIR(st.st_mode))
			ret = walk(path, entries);
	}
	closedir(dp);
	return ret;
}

/* walk DIR [PASSES]: PASSES (default 1) times what ls -lR does. */
static int cmd_walk(const char *dir, long passes)
{
	uint64_t entries = 0;
	double t0 = now();
	long p;

	for (p = 0; p < passes; p++)
		if (walk(dir, &entries))
			return 1;
	report(entries, 0, t0);
	return 0;
}

/*
 * exec OPS CMD [ARG...]: run CMD (tar, rm -rf) and time it from fork to
 * exit; OPS is what it counts as operations (the entries it handles).
 */
static int cmd_exec(long ops, char *argv[])
{
	double t0 = now();
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return fail("fork", argv[0]);
	if (pid == 0) {
		execvp(argv[0], argv);
		fail("exec", argv[0]);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return fail("waitpid", argv[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "fbpf-bench: %s failed (status %d)\n",
			argv[0], status);
		return 1;
	}
	report(ops, 0, t0);
	return 0;
}

static long num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s && !*end && v > 0 ? v : -1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: fbpf-bench write FILE MIB BS | read FILE BS |\n"
		"       randread FILE COUNT BS | randwrite FILE COUNT BS |\n"
		"       mkfiles DIR N | stat DIR N [PASSES] | unlink DIR N |\n"
		"       readdir DIR PASSES | readdir_tree DIR | mktree DIR D F |\n"
		"       walk DIR [PASSES] |\n"
		"       exec OPS CMD [ARG...]\n"
		"prints: OPS BYTES SECONDS\n");
	return 2;
}

int main(int argc, char *argv[])
{
	const char *cmd = argc > 1 ? argv[1] : "";
	long a = argc > 3 ? num(argv[3]) : -1;
	long b = argc > 4 ? num(argv[4]) : -1;

	if (strcmp(cmd, "write") == 0 && argc == 5 && a > 0 && b > 0)
		return cmd_write(argv[2], a, b);
	if (strcmp(cmd, "read") == 0 && argc == 4 && a > 0)
		return cmd_read(argv[2], a);
	if (strcmp(cmd, "randread") == 0 && argc == 5 && a > 0 && b > 0)
		return cmd_random(argv[2], a, b, 0);
	if (strcmp(cmd, "randwrite") == 0 && argc == 5 && a > 0 && b > 0)
		return cmd_random(argv[2], a, b, 1);
	if (strcmp(cmd, "mkfiles") == 0 && argc == 4 && a > 0)
		return cmd_mkfiles(argv[2], a);
	if (strcmp(cmd, "stat") == 0 && (argc == 4 || argc == 5) && a > 0 &&
	    (argc == 4 || b > 0))
		return cmd_each(argv[2], a, argc == 5 ? b : 1, 0);
	if (strcmp(cmd, "unlink") == 0 && argc == 4 && a > 0)
		return cmd_each(argv[2], a, 1, 1);
	if (strcmp(cmd, "readdir") == 0 && argc == 4 && a > 0)
		return cmd_readdir(argv[2], a, 0);
	if (strcmp(cmd, "readdir_tree") == 0 && argc == 3)
		return cmd_readdir(argv[2], 0, 1);
	if (strcmp(cmd, "mktree") == 0 && argc == 5 && a > 0 && b > 0)
		return cmd_mktree(argv[2], a, b);
	if (strcmp(cmd, "walk") == 0 && (argc == 3 || argc == 4) &&
	    (argc == 3 || a > 0))
		return cmd_walk(argv[2], argc == 4 ? a : 1);
	if (strcmp(cmd, "exec") == 0 && argc >= 4 && num(argv[2]) > 0)
		return cmd_exec(num(argv[2]), argv + 3);
	return usage();
}
