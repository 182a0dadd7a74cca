// SPDX-License-Identifier: GPL-2.0-only
/*
 * Conformance suite driver.
 *
 *   conformance --list                 names of all tests, one a line
 *   conformance --gap TEST MODE        exit 0 and print the reason if TEST
 *                                      is a known library gap in MODE
 *   conformance --seed DIR             create the seed tree in DIR
 *   conformance --dump DIR             canonical description of a tree
 *   conformance --workload DIR         the fixed request-count workload
 *   conformance ROOT [TEST...]         run tests (all without names)
 *
 * A test runs in the fresh directory ROOT/TEST and prints its transcript.
 * Exit status: 0 done, 1 a self-check or the setup failed, 77 skipped.
 * CONFORMANCE_LOWER, when set, names the lower directory of ROOT, for the
 * tests that act on the lower file directly.
 */
#include "conf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define T(name, modes, reason) int t_##name(void);
#include "tests.def"
#undef T

#define T(name, modes, reason) { #name, t_##name, modes, reason },
const struct conf_test conf_tests[] = {
#include "tests.def"
};
#undef T

const size_t conf_ntests = ARRAY_SIZE(conf_tests);

static char lower_path[PATH_MAX];

const char *lower_dir(void)
{
	return lower_path[0] ? lower_path : NULL;
}

static const struct conf_test *find_test(const char *name)
{
	size_t i;

	for (i = 0; i < conf_ntests; i++)
		if (!strcmp(conf_tests[i].name, name))
			return &conf_tests[i];
	return NULL;
}

static int mode_listed(const char *modes, const char *mode)
{
	size_t len = strlen(mode);
	const char *p = modes;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == len && !strncmp(p, mode, n))
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static int cmd_gap(const char *name, const char *mode)
{
	const struct conf_test *t = find_test(name);

	if (!t) {
		fprintf(stderr, "conformance: no test %s\n", name);
		return 2;
	}
	if (!t->gap_modes || !mode_listed(t->gap_modes, mode))
		return 1;
	printf("%s\n", t->gap_reason);
	return 0;
}

/* ---- tree dump ---- */

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **sorted_names(const char *path, size_t *count)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	*count = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
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
	if (n)
		qsort(names, n, sizeof(*names), cmp_name);
	*count = n;
	return names;
}

static void dump_xattrs(const char *path)
{
	char list[8192];
	char *names[256];
	ssize_t len = llistxattr(path, list, sizeof(list));
	size_t n = 0, i;
	char *p;

	if (len < 0) {
		if (errno != ENOTSUP)
			printf(" xattrs=%s", errname(errno));
		return;
	}
	for (p = list; p < list + len && n < 256; p += strlen(p) + 1)
		names[n++] = p;
	qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0; i < n; i++) {
		char val[65536];
		ssize_t vl = lgetxattr(path, names[i], val, sizeof(val));

		if (vl < 0)
			printf(" x:%s=%s", names[i], errname(errno));
		else
			printf(" x:%s=%zd:%016llx", names[i], vl,
			       (unsigned long long)hash_mem(val, (size_t)vl));
	}
}

static int dump_entry(const char *path, const char *rel)
{
	struct stat st;
	int ret = 0;

	if (lstat(path, &st) < 0) {
		printf("%s lstat=%s\n", rel, errname(errno));
		return 1;
	}
	printf("%s %o %u:%u n%lu", rel, (unsigned int)st.st_mode,
	       (unsigned int)st.st_uid, (unsigned int)st.st_gid,
	       (unsigned long)st.st_nlink);
	if (S_ISREG(st.st_mode)) {
		int fd = open(path, O_RDONLY | O_NOFOLLOW);
		uint64_t h;
		off_t size;
		int r = fd < 0 ? -errno : hash_fd(fd, &h, &size);

		if (fd >= 0)
			close(fd);
		if (r < 0) {
			printf(" content=%s", errname(-r));
			ret = 1;
		} else {
			printf(" size=%lld hash=%016llx", (long long)size,
			       (unsigned long long)h);
		}
	} else if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(path, target, sizeof(target) - 1);

		if (n < 0) {
			printf(" readlink=%s", errname(errno));
			ret = 1;
		} else {
			target[n] = '\0';
			printf(" -> %s", target);
		}
	} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		printf(" rdev=%u,%u", major(st.st_rdev), minor(st.st_rdev));
	}
	dump_xattrs(path);
	putchar('\n');
	if (S_ISDIR(st.st_mode)) {
		size_t n, i;
		char **names = sorted_names(path, &n);

		for (i = 0; i < n; i++) {
			char cpath[PATH_MAX], crel[PATH_MAX];

			snprintf(cpath, sizeof(cpath), "%s/%s", path, names[i]);
			snprintf(crel, sizeof(crel), "%s/%s", rel, names[i]);
			ret |= dump_entry(cpath, crel);
			free(names[i]);
		}
		free(names);
	}
	return ret;
}

int dump_tree(const char *root)
{
	return dump_entry(root, ".");
}

/* ---- seed tree: pre-existing content every mode looks up fresh ---- */

int seed_tree(const char *root)
{
	char buf[65536];
	int fd;

	if (chdir(root) < 0) {
		perror(root);
		return 1;
	}
	umask(022);
	if (mkdir("seed", 0755) < 0 || chdir("seed") < 0) {
		perror("seed");
		return 1;
	}
	if (make_file("hello.txt", 0644, 0, 0) < 0)
		return 1;
	fd = open("hello.txt", O_WRONLY);
	if (fd < 0 || write(fd, "hello, world\n", 13) != 13 || close(fd) < 0)
		return 1;
	if (mkdir("sub", 0755) < 0 || mkdir("sub/deeper", 0750) < 0 ||
	    make_file("sub/data.bin", 0644, sizeof(buf), 1) < 0 ||
	    make_file("sub/deeper/odd.bin", 0640, 12345, 2) < 0 ||
	    make_file("secret", 0600, 100, 3) < 0 ||
	    make_file("empty", 0644, 0, 4) < 0 ||
	    make_file("exec.sh", 0755, 50, 5) < 0 ||
	    symlink("hello.txt", "link") < 0 ||
	    symlink("sub/deeper", "dirlink") < 0 ||
	    symlink("nowhere", "dangling") < 0 ||
	    link("sub/data.bin", "hardlink.bin") < 0 ||
	    mkfifo("fifo", 0644) < 0)
		return 1;
	/* Lower filesystems without user xattrs simply have none. */
	setxattr("hello.txt", "user.colour", "blue", 4, 0);
	setxattr("sub", "user.dir", "yes", 3, 0);
	fflush(stdout);
	return 0;
}

/* ---- the fixed workload whose request counts are reported ---- */

int workload(const char *root)
{
	char buf[65536];
	char name[64];
	struct stat st;
	int i, fd;

	if (chdir(root) < 0) {
		perror(root);
		return 1;
	}
	umask(022);
	for (i = 0; i < 3; i++) {
		stat("seed/hello.txt", &st);
		stat("seed/sub/data.bin", &st);
		stat("seed/nonexistent", &st);
	}
	fd = open("seed/sub/data.bin", O_RDONLY);
	if (fd < 0)
		return 1;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	show_dir("seed");
	if (mkdir("work", 0755) < 0)
		return 1;
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "work/f%d", i);
		if (make_file(name, 0644, 16384, (uint32_t)i) < 0)
			return 1;
		show_content(name);
	}
	rename("work/f0", "work/g0");
	unlink("work/f1");
	unlink("work/f2");
	chmod("work/f3", 0600);
	truncate("work/f4", 100);
	symlink("f5", "work/l5");
	readlink("work/l5", buf, sizeof(buf));
	link("work/f6", "work/h6");
	setxattr("work/f7", "user.k", "v", 1, 0);
	getxattr("work/f7", "user.k", buf, sizeof(buf));
	mkdir("work/d", 0755);
	rmdir("work/d");
	show_dir("work");
	return 0;
}

/* ---- running tests ---- */

static int run_test(int rootfd, const char *root, const struct conf_test *t)
{
	const char *lower = getenv("CONFORMANCE_LOWER");
	int rc;

	if (fchdir(rootfd) < 0) {
		fprintf(stderr, "conformance: %s: %s\n", root, strerror(errno));
		return 1;
	}
	if (mkdir(t->name, 0755) < 0 || chdir(t->name) < 0) {
		fprintf(stderr, "conformance: %s/%s: %s\n", root, t->name,
			strerror(errno));
		return 1;
	}
	lower_path[0] = '\0';
	if (lower && *lower)
		snprintf(lower_path, sizeof(lower_path), "%s/%s", lower,
			 t->name);
	conf_failed = 0;
	rc = t->fn();
	fflush(stdout);
	if (conf_failed)
		rc = 1;
	return rc;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: conformance --list\n"
		"       conformance --gap TEST MODE\n"
		"       conformance --seed|--dump|--workload DIR\n"
		"       conformance ROOT [TEST...]\n");
}

int main(int argc, char **argv)
{
	int rootfd, worst = 0, ran = 0, skipped = 0, i;
	size_t k;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		usage();
		return 2;
	}
	if (!strcmp(argv[1], "--list")) {
		for (k = 0; k < conf_ntests; k++)
			printf("%s\n", conf_tests[k].name);
		return 0;
	}
	if (!strcmp(argv[1], "--gap") && argc == 4)
		return cmd_gap(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "--seed"))
		return seed_tree(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--dump"))
		return dump_tree(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--workload"))
		return workload(argv[2]);
	if (argv[1][0] == '-') {
		usage();
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (!find_test(argv[i])) {
			fprintf(stderr, "conformance: no test %s\n", argv[i]);
			return 2;
		}
	}
	umask(022);
	rootfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (rootfd < 0) {
		fprintf(stderr, "conformance: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	for (k = 0; k < (argc > 2 ? (size_t)(argc - 2) : conf_ntests); k++) {
		const struct conf_test *t = argc > 2 ? find_test(argv[k + 2]) :
						       &conf_tests[k];
		int rc;

		if (argc != 3)
			printf("== %s\n", t->name);
		rc = run_test(rootfd, argv[1], t);
		if (argc != 3)
			printf("== %s: exit %d\n", t->name, rc);
		ran++;
		if (rc == CONF_SKIP)
			skipped++;
		else if (rc)
			worst = 1;
	}
	close(rootfd);
	if (!worst && ran && skipped == ran)
		return CONF_SKIP;
	return worst;
}
