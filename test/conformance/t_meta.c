// SPDX-License-Identifier: GPL-2.0-only
/*
 * Conformance tests: the seed tree, attributes, access, statfs, xattrs.
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Every entry of the seed tree, looked up for the first time. */
int t_seed_lookup_getattr(void)
{
	static const char *const names[] = {
		"../seed", "../seed/hello.txt", "../seed/sub",
		"../seed/sub/data.bin", "../seed/sub/deeper",
		"../seed/sub/deeper/odd.bin", "../seed/secret",
		"../seed/empty", "../seed/exec.sh", "../seed/link",
		"../seed/dirlink", "../seed/dangling", "../seed/hardlink.bin",
		"../seed/fifo", "../seed/missing", "../seed/hello.txt/x",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		show(names[i]);
	show_follow("../seed/link");
	show_follow("../seed/dirlink");
	show_follow("../seed/dangling");
	return 0;
}

int t_seed_read(void)
{
	char buf[64] = "";
	int fd;

	show_content("../seed/hello.txt");
	show_content("../seed/sub/data.bin");
	show_content("../seed/hardlink.bin");
	show_content("../seed/sub/deeper/odd.bin");
	show_content("../seed/link");
	show_content("../seed/empty");
	fd = FD(open("../seed/hello.txt", O_RDONLY));
	if (fd >= 0) {
		DO(read(fd, buf, sizeof(buf) - 1));
		out("text: %s", buf);
		close(fd);
	}
	return 0;
}

int t_seed_readdir(void)
{
	show_dir("../seed");
	show_dir("../seed/sub");
	show_dir("../seed/sub/deeper");
	show_dir("../seed/dirlink");
	show_dir("../seed/hello.txt");
	show_xattrs("../seed/hello.txt");
	show_xattrs("../seed/sub");
	return 0;
}

int t_getattr_file_dir_symlink(void)
{
	int fd;

	make_file("f", 0640, 3000, 10);
	DO(mkdir("d", 0711));
	DO(symlink("f", "l"));
	DO(symlink("d", "ld"));
	show("f");
	show("d");
	show("l");
	show_follow("l");
	show_follow("ld");
	show(".");
	fd = FD(open("f", O_RDONLY));
	if (fd >= 0) {
		show_fd("f", fd);
		close(fd);
	}
	fd = FD(open("d", O_RDONLY | O_DIRECTORY));
	if (fd >= 0) {
		show_fd("d", fd);
		close(fd);
	}
	return 0;
}

int t_getattr_missing(void)
{
	struct stat st;

	make_file("f", 0644, 1, 11);
	DO(lstat("nothing", &st));
	DO(lstat("f/child", &st));
	DO(lstat("nodir/child", &st));
	DO(stat("", &st));
	return 0;
}

int t_setattr_chmod(void)
{
	static const mode_t modes[] = { 0, 0777, 04755, 02711, 01777, 0600 };
	int fd;
	size_t i;

	make_file("f", 0644, 10, 12);
	DO(mkdir("d", 0755));
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		out("chmod %04o", (unsigned int)modes[i]);
		DO(chmod("f", modes[i]));
		show("f");
		DO(chmod("d", modes[i]));
		show("d");
	}
	fd = FD(open("f", O_RDONLY));
	if (fd >= 0) {
		DO(fchmod(fd, 0640));
		show_fd("f", fd);
		close(fd);
	}
	DO(chmod("missing", 0644));
	return 0;
}

int t_setattr_chown(void)
{
	make_file("f", 04755, 10, 13);
	DO(mkdir("d", 0755));
	DO(symlink("f", "l"));
	DO(chmod("f", 06755));
	DO(chown("f", 1000, 1001));
	show("f");
	DO(chown("f", (uid_t)-1, 2000));
	show("f");
	DO(chown("d", 3, 4));
	show("d");
	DO(lchown("l", 5, 6));
	show("l");
	show("f");
	DO(chown("f", 0, 0));
	show("f");
	return 0;
}

/* chown(path, -1, -1) changes nothing but ctime. */
static void chown_noop(const char *path)
{
	struct stat a, b;

	if (stat(path, &a) < 0)
		return;
	/* Longer than a coarse clock tick. */
	usleep(50000);
	DO(chown(path, (uid_t)-1, (gid_t)-1));
	if (stat(path, &b) < 0)
		return;
	out("%s ctime %s", path,
	    a.st_ctim.tv_sec == b.st_ctim.tv_sec &&
	    a.st_ctim.tv_nsec == b.st_ctim.tv_nsec ? "unchanged" : "changed");
	show(path);
}

int t_setattr_chown_noop_changes_ctime(void)
{
	make_file("f", 0644, 10, 97);
	DO(mkdir("d", 0755));
	chown_noop("f");
	chown_noop("d");
	return 0;
}

int t_setattr_truncate(void)
{
	make_file("f", 0644, 10000, 14);
	DO(truncate("f", 5000));
	show_content("f");
	DO(truncate("f", 70000));
	show_content("f");
	DO(truncate("f", 0));
	show_content("f");
	DO(truncate("f", -1));
	DO(mkdir("d", 0755));
	DO(truncate("d", 0));
	DO(truncate("missing", 0));
	return 0;
}

int t_setattr_ftruncate_open_file(void)
{
	char buf[100];
	int fd;

	make_file("f", 0644, 8192, 15);
	fd = FD(open("f", O_RDWR));
	if (fd < 0)
		return 0;
	DO(ftruncate(fd, 4097));
	show_fd("f", fd);
	DO(pread(fd, buf, sizeof(buf), 4090));
	DO(ftruncate(fd, 9000));
	DO(pread(fd, buf, sizeof(buf), 8950));
	check(buf[0] == 0 && buf[49] == 0, "grown range reads as zeros");
	close(fd);
	show_content("f");
	fd = FD(open("f", O_RDONLY));
	if (fd >= 0) {
		DO(ftruncate(fd, 0));
		close(fd);
	}
	return 0;
}

/* Print the times of @path; the access time only if @atime was set. */
static void show_times(const char *path, int atime)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		out("times %s: %s", path, errname(errno));
		return;
	}
	if (atime)
		out("times %s: atime=%lld.%09ld mtime=%lld.%09ld", path,
		    (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
		    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	else
		out("times %s: mtime=%lld.%09ld", path,
		    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

int t_setattr_utimens(void)
{
	struct timespec ts[2] = {
		{ .tv_sec = 1000000000, .tv_nsec = 123456789 },
		{ .tv_sec = 1234567890, .tv_nsec = 987654321 },
	};
	struct timespec omit[2] = {
		{ .tv_sec = 42, .tv_nsec = UTIME_OMIT },
		{ .tv_sec = 1500000000, .tv_nsec = 0 },
	};
	struct stat before, after;
	int fd;

	make_file("f", 0644, 10, 16);
	DO(mkdir("d", 0755));
	DO(symlink("f", "l"));
	DO(utimensat(AT_FDCWD, "f", ts, 0));
	show_times("f", 1);
	DO(utimensat(AT_FDCWD, "f", omit, 0));
	show_times("f", 1);
	DO(utimensat(AT_FDCWD, "d", ts, 0));
	show_times("d", 1);
	DO(utimensat(AT_FDCWD, "l", omit, AT_SYMLINK_NOFOLLOW));
	show_times("l", 0);
	show_times("f", 1);
	fd = FD(open("f", O_RDWR));
	if (fd >= 0) {
		DO(futimens(fd, ts));
		show_times("f", 1);
		close(fd);
	}
	stat("f", &before);
	DO(utimensat(AT_FDCWD, "f", NULL, 0));
	stat("f", &after);
	check(after.st_mtim.tv_sec > before.st_mtim.tv_sec,
	      "utimensat(NULL) sets the current time");
	return 0;
}

int t_access_modes(void)
{
	static const mode_t modes[] = { 0, 0400, 0200, 0100, 0644, 0755 };
	size_t i;

	make_file("f", 0644, 1, 17);
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		out("mode %04o", (unsigned int)modes[i]);
		chmod("f", modes[i]);
		DO(access("f", F_OK));
		DO(access("f", R_OK));
		DO(access("f", W_OK));
		DO(access("f", X_OK));
		DO(access("f", R_OK | W_OK | X_OK));
	}
	DO(mkdir("d", 0700));
	DO(access("d", X_OK));
	DO(access("missing", F_OK));
	DO(faccessat(AT_FDCWD, "f", R_OK, AT_EACCESS));
	return 0;
}

int t_statfs_fields(void)
{
	struct statvfs a, b;

	if (DO(statvfs(".", &a)) < 0 || DO(statvfs("..", &b)) < 0)
		return 0;
	out("namemax=%lu", a.f_namemax);
	out("total bytes=%llu",
	    (unsigned long long)a.f_blocks * (unsigned long long)a.f_frsize);
	out("total files=%llu", (unsigned long long)a.f_files);
	check(a.f_bavail <= a.f_blocks, "bavail <= blocks");
	check(a.f_bfree <= a.f_blocks, "bfree <= blocks");
	check(a.f_blocks == b.f_blocks, "same fs below the root");
	return 0;
}

static void show_xattr(const char *path, const char *name)
{
	char val[256];
	ssize_t n = lgetxattr(path, name, val, sizeof(val) - 1);

	if (n < 0) {
		out("getxattr %s %s: %s", path, name, errname(errno));
		return;
	}
	val[n] = '\0';
	out("getxattr %s %s: %zd \"%s\"", path, name, n, val);
}

int t_xattr_set_get(void)
{
	char big[4000];

	make_file("f", 0644, 1, 18);
	if (DO(setxattr("f", "user.a", "alpha", 5, 0)) < 0 &&
	    errno == EOPNOTSUPP)
		return CONF_SKIP;
	show_xattr("f", "user.a");
	DO(setxattr("f", "user.a", "be", 2, 0));
	show_xattr("f", "user.a");
	DO(setxattr("f", "user.empty", "", 0, 0));
	show_xattr("f", "user.empty");
	fill(big, sizeof(big), 5);
	DO(setxattr("f", "user.big", big, sizeof(big), 0));
	DO(getxattr("f", "user.big", big, sizeof(big)));
	show_xattr("f", "user.missing");
	DO(setxattr("f", "nonamespace", "x", 1, 0));
	DO(setxattr("missing", "user.a", "x", 1, 0));
	return 0;
}

int t_xattr_list(void)
{
	make_file("f", 0644, 1, 19);
	if (DO(setxattr("f", "user.one", "1", 1, 0)) < 0 &&
	    errno == EOPNOTSUPP)
		return CONF_SKIP;
	DO(setxattr("f", "user.two", "22", 2, 0));
	DO(setxattr("f", "trusted.three", "333", 3, 0));
	show_xattrs("f");
	DO(listxattr("f", NULL, 0));
	show_xattrs("missing");
	return 0;
}

int t_xattr_remove(void)
{
	make_file("f", 0644, 1, 20);
	if (DO(setxattr("f", "user.gone", "x", 1, 0)) < 0 &&
	    errno == EOPNOTSUPP)
		return CONF_SKIP;
	DO(setxattr("f", "user.kept", "y", 1, 0));
	DO(removexattr("f", "user.gone"));
	DO(removexattr("f", "user.gone"));
	show_xattr("f", "user.gone");
	show_xattrs("f");
	return 0;
}

int t_xattr_create_replace_flags(void)
{
	make_file("f", 0644, 1, 21);
	if (DO(setxattr("f", "user.k", "1", 1, XATTR_CREATE)) < 0 &&
	    errno == EOPNOTSUPP)
		return CONF_SKIP;
	DO(setxattr("f", "user.k", "2", 1, XATTR_CREATE));
	show_xattr("f", "user.k");
	DO(setxattr("f", "user.k", "3", 1, XATTR_REPLACE));
	show_xattr("f", "user.k");
	DO(setxattr("f", "user.none", "4", 1, XATTR_REPLACE));
	show_xattr("f", "user.none");
	return 0;
}

int t_xattr_size_query_erange(void)
{
	char small[3];
	char list[4];

	make_file("f", 0644, 1, 22);
	if (DO(setxattr("f", "user.long", "0123456789", 10, 0)) < 0 &&
	    errno == EOPNOTSUPP)
		return CONF_SKIP;
	DO(getxattr("f", "user.long", NULL, 0));
	DO(getxattr("f", "user.long", small, sizeof(small)));
	DO(listxattr("f", NULL, 0));
	DO(listxattr("f", list, sizeof(list)));
	return 0;
}

int t_xattr_on_dir_and_symlink(void)
{
	make_file("f", 0644, 1, 23);
	DO(mkdir("d", 0755));
	DO(symlink("f", "l"));
	if (DO(setxattr("d", "user.d", "dir", 3, 0)) < 0 &&
	    errno == EOPNOTSUPP)
		return CONF_SKIP;
	show_xattr("d", "user.d");
	show_xattrs("d");
	DO(lsetxattr("l", "user.l", "lnk", 3, 0));
	DO(setxattr("l", "user.viafollow", "f", 1, 0));
	show_xattrs("f");
	show_xattrs("l");
	DO(lsetxattr("l", "trusted.l", "lnk", 3, 0));
	show_xattrs("l");
	return 0;
}

int t_xattr_via_fd(void)
{
	char val[16] = "";
	int fd;

	make_file("f", 0644, 1, 24);
	fd = FD(open("f", O_RDONLY));
	if (fd < 0)
		return 0;
	if (DO(fsetxattr(fd, "user.fd", "viafd", 5, 0)) < 0 &&
	    errno == EOPNOTSUPP) {
		close(fd);
		return CONF_SKIP;
	}
	DO(fgetxattr(fd, "user.fd", val, sizeof(val)));
	out("value: %s", val);
	DO(flistxattr(fd, NULL, 0));
	DO(fremovexattr(fd, "user.fd"));
	DO(fgetxattr(fd, "user.fd", val, sizeof(val)));
	close(fd);
	return 0;
}
