// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest stress program: NPROC processes, each in its own subdirectory
 * pI of ROOT, do a seeded random mix of create, write, truncate, rename,
 * link, unlink, mkdir, rmdir, setxattr and fallocate on a small set of
 * names.  Every operation's outcome (0 or errno) goes into a per-process
 * checksum, so a replay of the same seeds and operation counts on another
 * tree must give the same checksums and the same tree.
 *
 *   stress run ROOT NPROC SEED SECONDS   prints "pI OPS SUM" per process
 *   stress replay ROOT SEED OPS0,OPS1... prints the same lines
 *   stress dump ROOT                     one line per entry, sorted by
 *                                        the caller
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define NAMES 6

static uint64_t rng;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

/* A path below the process directory: fN, dN/fN or dN. */
static void pick(char *buf, size_t len, int dir)
{
	unsigned int a = next() % NAMES, b = next() % NAMES;

	if (dir)
		snprintf(buf, len, "d%u", a % 3);
	else if (next() % 3 == 0)
		snprintf(buf, len, "d%u/f%u", a % 3, b);
	else
		snprintf(buf, len, "f%u", a);
}

static int one_op(void)
{
	char p[64], q[64], data[256];
	unsigned int op = next() % 10, n = next() % sizeof(data);
	off_t off = next() % 65536;
	int fd, r = 0, i;

	pick(p, sizeof(p), op == 6 || op == 7);
	pick(q, sizeof(q), 0);
	for (i = 0; i < (int)n; i++)
		data[i] = (char)next();
	switch (op) {
	case 0:
		fd = open(p, O_CREAT | O_WRONLY | O_EXCL, 0640);
		r = fd < 0 ? -1 : close(fd);
		break;
	case 1:
		fd = open(p, O_WRONLY);
		if (fd < 0)
			return errno;
		r = pwrite(fd, data, n, off) == (ssize_t)n ? 0 : -1;
		if (r)
			r = errno;
		close(fd);
		return r;
	case 2:
		r = truncate(p, off);
		break;
	case 3:
		r = rename(p, q);
		break;
	case 4:
		r = link(p, q);
		break;
	case 5:
		r = unlink(p);
		break;
	case 6:
		r = mkdir(p, 0750);
		break;
	case 7:
		r = rmdir(p);
		break;
	case 8:
		r = setxattr(p, next() % 2 ? "trusted.a" : "trusted.b", data,
			     n % 32, 0);
		break;
	default:
		fd = open(p, O_WRONLY);
		if (fd < 0)
			return errno;
		r = fallocate(fd, next() % 2 ? FALLOC_FL_KEEP_SIZE : 0, off,
			      1 + n * 16);
		r = r ? errno : 0;
		close(fd);
		return r;
	}
	return r ? errno : 0;
}

/* Runs OPS operations (or until DEADLINE when OPS is 0) in ROOT/pI. */
static int worker(const char *root, int i, uint64_t seed, long ops,
		  time_t deadline)
{
	char dir[4096];
	uint64_t sum = 0;
	long done = 0;

	snprintf(dir, sizeof(dir), "%s/p%d", root, i);
	if (mkdir(dir, 0755) || chdir(dir)) {
		perror(dir);
		return 1;
	}
	rng = seed * 2654435761u + (uint64_t)i * 40503u + 1;
	while (ops ? done < ops : time(NULL) < deadline) {
		sum = sum * 31 + (uint64_t)one_op() + 1;
		done++;
	}
	printf("p%d %ld %llu\n", i, done, (unsigned long long)sum);
	return 0;
}

static int run_all(const char *root, int nproc, uint64_t seed,
		   const long *ops, time_t deadline)
{
	int i, st, bad = 0;

	fflush(stdout);
	for (i = 0; i < nproc; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			exit(worker(root, i, seed, ops ? ops[i] : 0, deadline));
	}
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			bad = 1;
	return bad;
}

static void dump(const char *path, const char *rel)
{
	struct dirent *de;
	struct stat st;
	char full[4096], sub[4096], val[64];
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
			unsigned char buf[4096];
			ssize_t n, k;
			int fd = open(full, O_RDONLY);

			while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
				for (k = 0; k < n; k++)
					h = (h ^ buf[k]) * 1099511628211ull;
			if (fd >= 0)
				close(fd);
			printf(" size=%lld hash=%llx", (long long)st.st_size,
			       (unsigned long long)h);
		}
		for (int x = 0; x < 2; x++) {
			const char *name = x ? "trusted.b" : "trusted.a";
			ssize_t n = lgetxattr(full, name, val, sizeof(val));

			if (n >= 0)
				printf(" %s=%zd", name, n);
		}
		printf("\n");
		if (S_ISDIR(st.st_mode))
			dump(full, sub);
	}
	closedir(d);
}

static int usage(void)
{
	fprintf(stderr, "usage: stress run ROOT NPROC SEED SECONDS\n"
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
	if (argc == 6 && !strcmp(argv[1], "run")) {
		int nproc = atoi(argv[3]);

		if (nproc < 1 || nproc > 64)
			return usage();
		return run_all(argv[2], nproc, strtoull(argv[4], NULL, 0),
			       NULL, time(NULL) + atol(argv[5]));
	}
	if (argc == 5 && !strcmp(argv[1], "replay")) {
		for (s = argv[4]; *s && n < 64; s = *e ? e + 1 : e) {
			ops[n++] = strtol(s, &e, 10);
			if (e == s)
				return usage();
		}
		if (!n)
			return usage();
		return run_all(argv[2], n, strtoull(argv[3], NULL, 0), ops,
			       0);
	}
	return usage();
}
