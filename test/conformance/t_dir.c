// SPDX-License-Identifier: GPL-2.0-only
/*
 * Conformance tests: directories and the namespace.
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
#include <unistd.h>

static char type_char(unsigned char t)
{
	switch (t) {
	case DT_REG:
		return 'f';
	case DT_DIR:
		return 'd';
	case DT_LNK:
		return 'l';
	case DT_FIFO:
		return 'p';
	case DT_CHR:
		return 'c';
	case DT_BLK:
		return 'b';
	case DT_SOCK:
		return 's';
	}
	return '?';
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Print "name type" for each entry, sorted; with @plus, lstat each one. */
static void list_typed(const char *path, int plus)
{
	char *lines[64];
	size_t n = 0, i;
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d) {
		out("opendir %s: %s", path, errname(errno));
		return;
	}
	while ((de = readdir(d)) && n < 64) {
		char buf[NAME_MAX + 256];
		struct stat st;

		if (plus && fstatat(dirfd(d), de->d_name, &st,
				    AT_SYMLINK_NOFOLLOW) == 0 &&
		    strcmp(de->d_name, ".."))
			snprintf(buf, sizeof(buf),
				 "%s %c mode=%04o nlink=%lu size=%lld",
				 de->d_name, type_char(de->d_type),
				 (unsigned int)(st.st_mode & 07777),
				 (unsigned long)st.st_nlink,
				 S_ISDIR(st.st_mode) ? 0LL :
						       (long long)st.st_size);
		else
			snprintf(buf, sizeof(buf), "%s %c", de->d_name,
				 type_char(de->d_type));
		lines[n] = strdup(buf);
		if (!lines[n])
			break;
		n++;
	}
	closedir(d);
	qsort(lines, n, sizeof(*lines), cmp_line);
	out("readdir %s: %zu", path, n);
	for (i = 0; i < n; i++) {
		out("  %s", lines[i]);
		free(lines[i]);
	}
}

static void make_mixed_dir(void)
{
	DO(mkdir("d", 0755));
	make_file("d/file", 0644, 10, 50);
	DO(mkdir("d/sub", 0700));
	DO(symlink("file", "d/link"));
	DO(mkfifo("d/fifo", 0600));
	DO(mknod("d/null", S_IFCHR | 0600, makedev(1, 3)));
}

int t_readdir_types(void)
{
	make_mixed_dir();
	list_typed("d", 0);
	list_typed("d/sub", 0);
	return 0;
}

int t_readdirplus_stat_entries(void)
{
	make_mixed_dir();
	list_typed("d", 1);
	list_typed("../seed", 1);
	return 0;
}

int t_readdir_10000_entries(void)
{
	const int count = 10000;
	char name[32];
	uint64_t h = 0;
	struct dirent *de;
	size_t seen = 0, dots = 0;
	char *present;
	DIR *d;
	int i;

	DO(mkdir("big", 0755));
	for (i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "big/entry-%05d", i);
		if (mknod(name, S_IFREG | 0644, 0) < 0) {
			out("mknod %s: %s", name, errname(errno));
			return 0;
		}
	}
	out("created %d", count);
	present = calloc((size_t)count, 1);
	d = opendir("big");
	if (!present || !d) {
		out("opendir: %s", errname(errno));
		free(present);
		if (d)
			closedir(d);
		return 0;
	}
	while ((de = readdir(d))) {
		int k;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) {
			dots++;
			continue;
		}
		seen++;
		if (sscanf(de->d_name, "entry-%05d", &k) == 1 && k >= 0 &&
		    k < count) {
			if (present[k])
				out("duplicate %s", de->d_name);
			present[k] = 1;
		} else {
			out("unexpected %s", de->d_name);
		}
		h ^= hash_mem(de->d_name, strlen(de->d_name));
	}
	closedir(d);
	for (i = 0; i < count; i++)
		if (!present[i])
			out("missing entry-%05d", i);
	free(present);
	out("entries=%zu dots=%zu hash=%016llx", seen, dots,
	    (unsigned long long)h);
	show("big");
	show("big/entry-09999");
	return 0;
}

int t_readdir_rewind_after_change(void)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	DO(mkdir("d", 0755));
	make_file("d/a", 0644, 1, 51);
	make_file("d/b", 0644, 1, 52);
	d = opendir("d");
	if (!d)
		return 0;
	while ((de = readdir(d)))
		n++;
	out("first pass %d", n);
	DO(unlink("d/a"));
	make_file("d/c", 0644, 1, 53);
	make_file("d/e", 0644, 1, 54);
	rewinddir(d);
	n = 0;
	while ((de = readdir(d)))
		n++;
	out("after rewind %d", n);
	closedir(d);
	show_dir("d");
	return 0;
}

int t_mkdir_rmdir(void)
{
	DO(mkdir("d", 0755));
	DO(mkdir("d", 0755));
	DO(mkdir("d/e", 0700));
	DO(mkdir("missing/e", 0755));
	show("d");
	show("d/e");
	show(".");
	DO(rmdir("d"));
	make_file("f", 0644, 1, 55);
	DO(rmdir("f"));
	DO(mkdir("f/x", 0755));
	DO(rmdir("d/e"));
	show("d");
	DO(rmdir("d"));
	DO(rmdir("d"));
	DO(rmdir("."));
	DO(mkdir("d2", 01777));
	show("d2");
	DO(mkdir("d3", 02755));
	show("d3");
	return 0;
}

int t_mknod_fifo_reg_chr(void)
{
	DO(mknod("fifo", S_IFIFO | 0640, 0));
	show("fifo");
	DO(mknod("reg", S_IFREG | 0600, 0));
	show("reg");
	DO(mknod("chr", S_IFCHR | 0644, makedev(1, 3)));
	show("chr");
	DO(mknod("blk", S_IFBLK | 0600, makedev(7, 200)));
	show("blk");
	DO(mknod("fifo", S_IFIFO | 0640, 0));
	DO(mkfifo("fifo2", 0666));
	show("fifo2");
	show_dir(".");
	return 0;
}

int t_unlink_basic(void)
{
	make_file("f", 0644, 10, 56);
	DO(mkdir("d", 0755));
	DO(symlink("f", "l"));
	DO(unlink("l"));
	show("f");
	DO(unlink("f"));
	DO(unlink("f"));
	DO(unlink("d"));
	DO(unlink("missing/x"));
	show_dir(".");
	return 0;
}

int t_rename_file(void)
{
	make_file("a", 0640, 100, 57);
	DO(mkdir("d", 0755));
	DO(rename("a", "b"));
	show("a");
	show("b");
	DO(rename("b", "d/c"));
	show_content("d/c");
	DO(rename("d/c", "d/c"));
	show_content("d/c");
	DO(rename("missing", "x"));
	show_dir(".");
	show_dir("d");
	return 0;
}

int t_rename_dir(void)
{
	DO(mkdir("a", 0755));
	DO(mkdir("a/inner", 0755));
	make_file("a/inner/f", 0644, 10, 58);
	DO(mkdir("b", 0755));
	show("a");
	show("b");
	DO(rename("a/inner", "b/moved"));
	show("a");
	show("b");
	show_content("b/moved/f");
	DO(rename("b", "c"));
	show_content("c/moved/f");
	show_dir(".");
	return 0;
}

int t_rename_over_existing(void)
{
	make_file("a", 0644, 10, 59);
	make_file("b", 0600, 20, 60);
	DO(link("b", "b2"));
	DO(rename("a", "b"));
	show("b");
	show("b2");
	show_content("b");
	DO(mkdir("d1", 0755));
	DO(mkdir("d2", 0755));
	DO(rename("d1", "d2"));
	DO(mkdir("d3", 0755));
	DO(mkdir("d4", 0755));
	make_file("d4/x", 0644, 1, 61);
	DO(rename("d3", "d4"));
	DO(link("b", "b3"));
	DO(rename("b", "b3"));
	show("b");
	show("b3");
	show_dir(".");
	return 0;
}

int t_rename_errors(void)
{
	make_file("f", 0644, 1, 62);
	DO(mkdir("d", 0755));
	DO(mkdir("d/sub", 0755));
	DO(rename("d", "f"));
	DO(rename("f", "d"));
	DO(rename("d", "d/sub/into"));
	DO(rename("f", "missing/f"));
	DO(rename("f", "f/x"));
	DO(rename(".", "x"));
	show_dir(".");
	return 0;
}

int t_rename2_noreplace(void)
{
	make_file("a", 0644, 10, 63);
	make_file("b", 0644, 20, 64);
	DO(renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_NOREPLACE));
	show_content("a");
	show_content("b");
	DO(renameat2(AT_FDCWD, "a", AT_FDCWD, "c", RENAME_NOREPLACE));
	show_dir(".");
	return 0;
}

int t_rename2_exchange(void)
{
	make_file("a", 0644, 10, 65);
	DO(mkdir("d", 0700));
	make_file("d/in", 0644, 1, 66);
	DO(renameat2(AT_FDCWD, "a", AT_FDCWD, "d", RENAME_EXCHANGE));
	show("a");
	show("d");
	show_content("d");
	show_content("a/in");
	DO(renameat2(AT_FDCWD, "a", AT_FDCWD, "missing", RENAME_EXCHANGE));
	DO(renameat2(AT_FDCWD, "a", AT_FDCWD, "d",
		     RENAME_EXCHANGE | RENAME_NOREPLACE));
	show_dir(".");
	return 0;
}

int t_symlink_readlink(void)
{
	char buf[PATH_MAX];
	char longt[1000];
	ssize_t n;

	make_file("f", 0644, 10, 67);
	DO(symlink("f", "rel"));
	DO(symlink("/nonexistent/absolute/target", "abs"));
	DO(symlink("../symlink_readlink/f", "updown"));
	memset(longt, 'x', sizeof(longt) - 1);
	longt[sizeof(longt) - 1] = '\0';
	DO(symlink(longt, "long"));
	DO(symlink("f", "rel"));
	n = readlink("rel", buf, sizeof(buf));
	out("readlink rel: %zd %.*s", n, n > 0 ? (int)n : 0, buf);
	n = readlink("abs", buf, sizeof(buf));
	out("readlink abs: %zd %.*s", n, n > 0 ? (int)n : 0, buf);
	n = readlink("long", buf, sizeof(buf));
	out("readlink long: %zd", n);
	n = readlink("rel", buf, 1);
	out("readlink rel short buffer: %zd %.*s", n, n > 0 ? (int)n : 0,
	    buf);
	DO(readlink("f", buf, sizeof(buf)));
	show("rel");
	show("long");
	show_content("updown");
	show_content("abs");
	return 0;
}

int t_link_hard_counts(void)
{
	make_file("f", 0644, 10, 68);
	DO(link("f", "g"));
	DO(link("f", "h"));
	show("f");
	DO(unlink("g"));
	show("h");
	DO(link("f", "h"));
	DO(link("missing", "x"));
	DO(mkdir("d", 0755));
	DO(link("d", "d2"));
	DO(symlink("f", "s"));
	DO(link("s", "s2"));
	show("s2");
	show("s");
	return 0;
}

int t_link_across_dirs(void)
{
	int fd;

	DO(mkdir("a", 0755));
	DO(mkdir("b", 0755));
	DO(mkdir("b/c", 0755));
	make_file("a/f", 0644, 1000, 69);
	DO(link("a/f", "b/c/g"));
	show("a/f");
	show("b/c/g");
	fd = FD(open("b/c/g", O_WRONLY | O_APPEND));
	if (fd >= 0) {
		DO(write(fd, "more", 4));
		close(fd);
	}
	show_content("a/f");
	DO(unlink("a/f"));
	show("b/c/g");
	DO(rename("b/c/g", "a/f"));
	show_content("a/f");
	return 0;
}

int t_deep_tree_lookup(void)
{
	char path[PATH_MAX] = ".";
	int i;

	for (i = 0; i < 30; i++) {
		size_t len = strlen(path);

		snprintf(path + len, sizeof(path) - len, "/l%02d", i);
		if (DO(mkdir(path, 0755)) < 0)
			return 0;
	}
	strncat(path, "/leaf", sizeof(path) - strlen(path) - 1);
	make_file(path, 0644, 77, 70);
	show(path);
	show_content(path);
	DO(chdir("l00/l01/l02/l03"));
	show("../../../../l00/l01/l02/l03/l04");
	DO(chdir("../../../.."));
	return 0;
}

/* telldir()/seekdir() resume a listing where it was. */
int t_readdir_seekdir_resume(void)
{
	char name[32];
	char *after[200];
	size_t n_after = 0, i, same = 0;
	struct dirent *de;
	long pos = -1;
	int k, seen = 0;
	DIR *d;

	DO(mkdir("d", 0755));
	for (k = 0; k < 150; k++) {
		snprintf(name, sizeof(name), "d/n%03d", k);
		if (mknod(name, S_IFREG | 0644, 0) < 0) {
			out("mknod %s: %s", name, errname(errno));
			return 0;
		}
	}
	d = opendir("d");
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (++seen == 60)
			pos = telldir(d);
		else if (seen > 60 && n_after < ARRAY_SIZE(after))
			after[n_after++] = strdup(de->d_name);
	}
	out("entries: %d", seen);
	if (pos >= 0) {
		seekdir(d, pos);
		for (i = 0; (de = readdir(d)); i++)
			if (i < n_after && after[i] &&
			    !strcmp(after[i], de->d_name))
				same++;
		out("after seekdir: %zu entries, %s", i,
		    i == n_after && same == n_after ? "same order" :
						      "different");
	}
	rewinddir(d);
	for (k = 0; readdir(d); k++)
		;
	out("after rewinddir: %d", k);
	closedir(d);
	for (i = 0; i < n_after; i++)
		free(after[i]);
	return 0;
}

int t_symlink_loop(void)
{
	struct stat st;

	DO(symlink("b", "a"));
	DO(symlink("a", "b"));
	DO(symlink("self", "self"));
	DO(stat("a", &st));
	DO(stat("self", &st));
	FD(open("a", O_RDONLY));
	FD(open("a", O_CREAT | O_WRONLY, 0644));
	DO(lstat("a", &st));
	show("self");
	return 0;
}

int t_name_max_length(void)
{
	char name[300];
	int fd;

	memset(name, 'n', sizeof(name));
	name[255] = '\0';
	fd = FD(open(name, O_CREAT | O_WRONLY, 0644));
	if (fd >= 0)
		close(fd);
	show(name);
	DO(mkdir(name, 0755));
	name[255] = 'n';
	name[256] = '\0';
	FD(open(name, O_CREAT | O_WRONLY, 0644));
	DO(mkdir(name, 0755));
	DO(symlink("x", name));
	show(name);
	show_dir(".");
	return 0;
}
