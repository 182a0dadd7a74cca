/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Conformance suite: shared helpers.
 *
 * Every test runs inside its own fresh directory below the test root and
 * prints a transcript on stdout.  The transcript holds only what must be
 * identical between a FUSE mount and the plain lower directory: results
 * and errno names of each step, sizes, modes, owners, link counts, sorted
 * listings, content hashes.  Never inode numbers, devices or times that
 * are not set explicitly by the test.
 */
#ifndef CONF_H_
#define CONF_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Exit status of a test whose feature is missing on both sides. */
#define CONF_SKIP 77

/* The unprivileged identity used by the permission tests. */
#define CONF_NOBODY 65534

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* One test of the suite. */
struct conf_test {
	const char *name;
	int (*fn)(void);
	/* Modes (comma separated) where a failure is a known library gap. */
	const char *gap_modes;
	const char *gap_reason;
};

extern const struct conf_test conf_tests[];
extern const size_t conf_ntests;

/* Print one transcript line. */
void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Print the result of a call returning 0/positive or -1 with errno:
 * "label: ok", "label: N" or "label: ENAME".  Returns @rc.
 */
long say_rc(const char *label, long rc);
/* As say_rc() for calls returning a descriptor: "label: fd" or errno. */
int say_fd(const char *label, int fd);

#define DO(expr) say_rc(#expr, (long)(expr))
#define FD(expr) say_fd(#expr, (expr))

/* Name of an errno value, such as "ENOENT". */
const char *errname(int e);

/* Record a failed self-check: printed, and the test exits 1. */
void check(int ok, const char *what);
extern int conf_failed;

/* lstat() @path and print type, mode, owner, link count and size. */
void show(const char *path);
/* stat() @path (following symlinks) and print it. */
void show_follow(const char *path);
/* fstat() @fd and print it under @label. */
void show_fd(const char *label, int fd);
/* Print one struct stat. */
void show_stat(const char *label, const struct stat *st);

/* Print the size and content hash of the file at @path. */
void show_content(const char *path);
/* Content hash of an open file: holes and zero blocks hash the same. */
int hash_fd(int fd, uint64_t *hash, off_t *size);
/* Hash of a memory buffer. */
uint64_t hash_mem(const void *p, size_t n);

/* Print the sorted names in directory @path. */
void show_dir(const char *path);
/* Print the sorted names of the extended attributes of @path. */
void show_xattrs(const char *path);

/* Fill @buf with a deterministic pattern derived from @seed. */
void fill(void *buf, size_t n, uint32_t seed);
/* Create @path with @mode and @n pattern bytes; prints the steps. */
int make_file(const char *path, mode_t mode, size_t n, uint32_t seed);
/* Write all of @buf at @off; prints nothing, returns 0 or -errno. */
int pwrite_all(int fd, const void *buf, size_t n, off_t off);
/* Read up to @n bytes at @off until EOF; returns bytes or -errno. */
ssize_t pread_all(int fd, void *buf, size_t n, off_t off);

/*
 * Run @fn in a child process as uid/gid 65534 with no supplementary
 * groups; prints the child's exit status or signal.
 */
void as_nobody(void (*fn)(void));
/* Fork, run @fn in the child, wait; prints how the child ended. */
void in_child(const char *label, void (*fn)(void));

/* Lower directory of the root (CONFORMANCE_LOWER), or NULL. */
const char *lower_dir(void);

/* Tree dump, seed tree and fixed workload (main.c). */
int dump_tree(const char *root);
int seed_tree(const char *root);
int workload(const char *root);

#endif
