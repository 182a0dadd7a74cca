// SPDX-License-Identifier: GPL-2.0-only
/*
 * Conformance tests: several processes on one file, an unprivileged user,
 * locks, and the behaviours beyond the fuse-bpf RFC.
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Block until the peer writes one byte to @fd. */
static void wait_peer(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		_exit(3);
}

static void poke_peer(int fd)
{
	if (write(fd, "x", 1) != 1)
		_exit(3);
}

int t_two_processes_one_file(void)
{
	int to_child[2], to_parent[2];
	char buf[16] = "";
	pid_t pid;
	int fd, status;

	make_file("f", 0644, 8192, 80);
	if (pipe(to_child) < 0 || pipe(to_parent) < 0)
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int cfd = open("f", O_RDWR);

		if (cfd < 0)
			_exit(4);
		if (pwrite(cfd, "from child", 10, 0) != 10)
			_exit(5);
		poke_peer(to_parent[1]);
		wait_peer(to_child[0]);
		if (pread(cfd, buf, 11, 4096) != 11 ||
		    memcmp(buf, "from parent", 11))
			_exit(6);
		if (pwrite(cfd, "again", 5, 8190) != 5)
			_exit(7);
		close(cfd);
		_exit(0);
	}
	fd = FD(open("f", O_RDWR));
	if (pid < 0 || fd < 0)
		return 1;
	wait_peer(to_parent[0]);
	DO(pread(fd, buf, 10, 0));
	out("parent sees: %.10s", buf);
	DO(pwrite(fd, "from parent", 11, 4096));
	poke_peer(to_child[1]);
	waitpid(pid, &status, 0);
	out("child: %s %d", WIFEXITED(status) ? "exit" : "signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	show_fd("f", fd);
	DO(pread(fd, buf, 5, 8190));
	out("parent sees: %.5s", buf);
	close(fd);
	show_content("f");
	return 0;
}

int t_rename_over_open_file(void)
{
	char buf[32] = "";
	int old, fresh;

	make_file("victim", 0644, 0, 0);
	old = FD(open("victim", O_RDWR));
	if (old < 0)
		return 0;
	DO(write(old, "old contents", 12));
	make_file("new", 0600, 4000, 81);
	DO(rename("new", "victim"));
	DO(pread(old, buf, 12, 0));
	out("old fd reads: %.12s", buf);
	show_fd("old", old);
	DO(pwrite(old, "still writable", 14, 0));
	fresh = FD(open("victim", O_RDONLY));
	if (fresh >= 0) {
		show_fd("fresh", fresh);
		close(fresh);
	}
	close(old);
	show_content("victim");
	show_dir(".");
	return 0;
}

int t_unlink_open_file(void)
{
	char buf[16] = "";
	int fd;

	make_file("f", 0644, 100, 82);
	fd = FD(open("f", O_RDWR));
	if (fd < 0)
		return 0;
	DO(unlink("f"));
	show("f");
	DO(pwrite(fd, "after unlink", 12, 50));
	DO(pread(fd, buf, 12, 50));
	out("reads: %.12s", buf);
	show_fd("f", fd);
	DO(ftruncate(fd, 10));
	show_fd("f", fd);
	DO(fsync(fd));
	DO(close(fd));
	show_dir(".");
	return 0;
}

static char *trunc_map;

static void on_sigbus(int sig)
{
	static const char msg[] = "SIGBUS\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(0);
}

/* Touch the page past EOF; own SIGBUS handler, so sanitizers stay out. */
static void touch_second_page(void)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	volatile char c;

	sigaction(SIGBUS, &sa, NULL);
	c = trunc_map[4096 + 10];
	(void)c;
	out("second page readable");
}

int t_truncate_mmapped_file(void)
{
	const size_t n = 2 * 4096;
	char buf[16];
	int fd;

	make_file("f", 0644, n, 83);
	fd = FD(open("f", O_RDWR));
	if (fd < 0)
		return 0;
	trunc_map = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	out("mmap: %s", trunc_map == MAP_FAILED ? errname(errno) : "ok");
	if (trunc_map == MAP_FAILED) {
		close(fd);
		return 0;
	}
	DO(truncate("f", 4096));
	show("f");
	trunc_map[5] = 'M';
	in_child("touch beyond EOF", touch_second_page);
	DO(ftruncate(fd, (off_t)n));
	out("second page after regrow: %s",
	    trunc_map[4096 + 10] == 0 ? "zero" : "stale");
	DO(msync(trunc_map, n, MS_SYNC));
	munmap(trunc_map, n);
	DO(pread(fd, buf, 1, 5));
	out("byte 5 is %s", buf[0] == 'M' ? "the mapped write" : "other");
	close(fd);
	show_content("f");
	return 0;
}

static void nobody_read_secret(void)
{
	char buf[8];
	int fd;

	show("secret");
	fd = FD(open("secret", O_RDONLY));
	if (fd >= 0) {
		DO(read(fd, buf, sizeof(buf)));
		close(fd);
	}
	FD(open("secret", O_WRONLY));
	DO(access("secret", R_OK));
	fd = FD(open("public", O_RDONLY));
	if (fd >= 0) {
		DO(read(fd, buf, sizeof(buf)));
		close(fd);
	}
	FD(open("../seed/secret", O_RDONLY));
	FD(open("private/inside", O_RDONLY));
	show("private/inside");
	show_dir("private");
}

int t_perm_nobody_read_root_0600(void)
{
	make_file("secret", 0600, 100, 84);
	make_file("public", 0644, 100, 85);
	DO(mkdir("private", 0700));
	make_file("private/inside", 0644, 10, 86);
	as_nobody(nobody_read_secret);
	return 0;
}

static void nobody_write_root_dir(void)
{
	struct stat st;

	FD(open("new", O_CREAT | O_WRONLY, 0644));
	DO(mkdir("newdir", 0755));
	DO(mknod("newfifo", S_IFIFO | 0644, 0));
	DO(symlink("x", "newlink"));
	DO(link("rootfile", "newhard"));
	DO(unlink("rootfile"));
	DO(rename("rootfile", "renamed"));
	DO(rmdir("rootdir"));
	FD(open("rootfile", O_WRONLY));
	FD(open("rootfile", O_RDONLY | O_TRUNC));
	DO(truncate("rootfile", 0));
	DO(chmod("rootfile", 0666));
	DO(chown("rootfile", CONF_NOBODY, CONF_NOBODY));
	DO(utimensat(AT_FDCWD, "rootfile", NULL, 0));
	DO(setxattr("rootfile", "user.x", "y", 1, 0));
	DO(stat("rootfile", &st));
	show("rootfile");
}

int t_perm_nobody_write_root_dir(void)
{
	make_file("rootfile", 0644, 10, 87);
	DO(mkdir("rootdir", 0755));
	as_nobody(nobody_write_root_dir);
	show_dir(".");
	show_content("rootfile");
	return 0;
}

static void nobody_creates(void)
{
	int fd;

	fd = FD(open("pub/mine", O_CREAT | O_WRONLY, 0640));
	if (fd >= 0) {
		DO(write(fd, "mine", 4));
		close(fd);
	}
	DO(mkdir("pub/mydir", 0750));
	DO(symlink("mine", "pub/mylink"));
	DO(mknod("pub/myfifo", S_IFIFO | 0600, 0));
	DO(chmod("pub/mine", 0604));
	DO(chown("pub/mine", 0, 0));
	DO(chown("pub/mine", (uid_t)-1, 0));
	DO(rename("pub/mine", "pub/mydir/moved"));
	DO(unlink("pub/rootowned"));
	DO(rename("pub/rootowned", "pub/stolen"));
	show("pub/mydir/moved");
}

int t_perm_nobody_creates_own_files(void)
{
	DO(mkdir("pub", 0777));
	DO(chmod("pub", 01777));
	make_file("pub/rootowned", 0644, 1, 88);
	as_nobody(nobody_creates);
	show("pub/mydir");
	show("pub/mydir/moved");
	show("pub/mylink");
	show("pub/myfifo");
	show_content("pub/mydir/moved");
	show("pub/rootowned");
	return 0;
}

static int lock_fd;

static void try_posix_locks(void)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = 0, .l_len = 100 };
	int fd = FD(open("f", O_RDWR));

	if (fd < 0)
		return;
	DO(fcntl(fd, F_SETLK, &fl));
	fl.l_type = F_RDLCK;
	DO(fcntl(fd, F_SETLK, &fl));
	DO(fcntl(fd, F_GETLK, &fl));
	out("getlk: type=%s start=%lld len=%lld pid=%s",
	    fl.l_type == F_WRLCK ? "write" :
	    fl.l_type == F_RDLCK ? "read" : "unlocked",
	    (long long)fl.l_start, (long long)fl.l_len,
	    fl.l_pid == getppid() ? "parent" : "other");
	fl.l_type = F_WRLCK;
	fl.l_start = 100;
	fl.l_len = 50;
	DO(fcntl(fd, F_SETLK, &fl));
	close(fd);
}

int t_lock_posix_between_processes(void)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = 0, .l_len = 100 };

	make_file("f", 0644, 200, 89);
	lock_fd = FD(open("f", O_RDWR));
	if (lock_fd < 0)
		return 0;
	DO(fcntl(lock_fd, F_SETLK, &fl));
	in_child("other process", try_posix_locks);
	fl.l_type = F_UNLCK;
	DO(fcntl(lock_fd, F_SETLK, &fl));
	in_child("after unlock", try_posix_locks);
	close(lock_fd);
	return 0;
}

static void try_ofd_locks(void)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = 10, .l_len = 10 };
	int fd = FD(open("f", O_RDWR));

	if (fd < 0)
		return;
	DO(fcntl(fd, F_OFD_SETLK, &fl));
	DO(fcntl(fd, F_OFD_GETLK, &fl));
	out("ofd getlk: type=%s start=%lld len=%lld pid=%d",
	    fl.l_type == F_WRLCK ? "write" :
	    fl.l_type == F_RDLCK ? "read" : "unlocked",
	    (long long)fl.l_start, (long long)fl.l_len, fl.l_pid);
	fl.l_type = F_WRLCK;
	fl.l_start = 200;
	fl.l_len = 10;
	fl.l_pid = 0;
	DO(fcntl(fd, F_OFD_SETLK, &fl));
	close(fd);
}

int t_lock_ofd_between_processes(void)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = 0, .l_len = 50 };
	int fd2;

	make_file("f", 0644, 300, 90);
	lock_fd = FD(open("f", O_RDWR));
	if (lock_fd < 0)
		return 0;
	DO(fcntl(lock_fd, F_OFD_SETLK, &fl));
	fd2 = FD(open("f", O_RDWR));
	if (fd2 >= 0) {
		out("second description, same process:");
		fl.l_start = 20;
		DO(fcntl(fd2, F_OFD_SETLK, &fl));
		close(fd2);
	}
	in_child("other process", try_ofd_locks);
	close(lock_fd);
	in_child("after close", try_ofd_locks);
	return 0;
}

static void try_flock(void)
{
	int fd = FD(open("f", O_RDONLY));

	if (fd < 0)
		return;
	DO(flock(fd, LOCK_EX | LOCK_NB));
	DO(flock(fd, LOCK_SH | LOCK_NB));
	close(fd);
}

int t_lock_flock_between_processes(void)
{
	make_file("f", 0644, 10, 91);
	lock_fd = FD(open("f", O_RDONLY));
	if (lock_fd < 0)
		return 0;
	DO(flock(lock_fd, LOCK_SH));
	in_child("shared held", try_flock);
	DO(flock(lock_fd, LOCK_EX));
	in_child("exclusive held", try_flock);
	DO(flock(lock_fd, LOCK_UN));
	in_child("unlocked", try_flock);
	close(lock_fd);
	return 0;
}

static char lower_file[PATH_MAX];

static int open_lower(void)
{
	const char *lower = lower_dir();

	if (!lower) {
		out("CONFORMANCE_LOWER is not set");
		return -1;
	}
	snprintf(lower_file, sizeof(lower_file), "%s/f", lower);
	return open(lower_file, O_RDWR);
}

static void lower_posix_lock(void)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = 0, .l_len = 10 };
	int fd = open(lower_file, O_RDWR);

	if (fd < 0) {
		out("open lower: %s", errname(errno));
		return;
	}
	DO(fcntl(fd, F_SETLK, &fl));
	DO(fcntl(fd, F_GETLK, &fl));
	out("lower getlk: type=%s",
	    fl.l_type == F_WRLCK ? "write" :
	    fl.l_type == F_RDLCK ? "read" : "unlocked");
	close(fd);
}

int t_lock_posix_against_lower(void)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = 0, .l_len = 10 };
	int lfd;

	make_file("f", 0644, 10, 92);
	lfd = open_lower();
	if (lfd < 0)
		return CONF_SKIP;
	close(lfd);
	lock_fd = FD(open("f", O_RDWR));
	if (lock_fd < 0)
		return 0;
	DO(fcntl(lock_fd, F_SETLK, &fl));
	in_child("process on the lower file", lower_posix_lock);
	close(lock_fd);
	in_child("after close", lower_posix_lock);
	return 0;
}

static void lower_flock(void)
{
	int fd = open(lower_file, O_RDONLY);

	if (fd < 0) {
		out("open lower: %s", errname(errno));
		return;
	}
	DO(flock(fd, LOCK_EX | LOCK_NB));
	close(fd);
}

static void wake_up(int sig)
{
	(void)sig;
}

/*
 * After the last close through the mount the lower file must become free.
 * It is waited for (5 s at most) rather than tried once: in the userspace
 * and passthrough modes the FUSE kernel sends RELEASE, which drops the
 * lock on the backing file, asynchronously after close(2) returns.
 */
static void lower_flock_after_close(void)
{
	struct sigaction sa = { .sa_handler = wake_up };
	int fd = open(lower_file, O_RDONLY);

	if (fd < 0) {
		out("open lower: %s", errname(errno));
		return;
	}
	sigaction(SIGALRM, &sa, NULL);
	alarm(5);
	DO(flock(fd, LOCK_EX));
	alarm(0);
	close(fd);
}

int t_lock_flock_against_lower(void)
{
	int lfd;

	make_file("f", 0644, 10, 93);
	lfd = open_lower();
	if (lfd < 0)
		return CONF_SKIP;
	close(lfd);
	lock_fd = FD(open("f", O_RDONLY));
	if (lock_fd < 0)
		return 0;
	DO(flock(lock_fd, LOCK_EX));
	in_child("process on the lower file", lower_flock);
	close(lock_fd);
	in_child("after close", lower_flock_after_close);
	return 0;
}

int t_tmpfile_linkat(void)
{
	char buf[16] = "";
	int fd;

	fd = FD(open(".", O_TMPFILE | O_RDWR, 0640));
	if (fd < 0)
		return 0;
	show_fd("tmp", fd);
	DO(write(fd, "anonymous", 9));
	show_dir(".");
	DO(linkat(fd, "", AT_FDCWD, "named", AT_EMPTY_PATH));
	show_fd("tmp", fd);
	close(fd);
	show("named");
	fd = FD(open("named", O_RDONLY));
	if (fd >= 0) {
		DO(read(fd, buf, sizeof(buf) - 1));
		out("text: %s", buf);
		close(fd);
	}
	fd = FD(open(".", O_TMPFILE | O_RDWR | O_EXCL, 0600));
	if (fd >= 0) {
		DO(linkat(fd, "", AT_FDCWD, "never", AT_EMPTY_PATH));
		close(fd);
	}
	show_dir(".");
	return 0;
}

static void append_records(char tag)
{
	char rec[64];
	int i, fd = open("log", O_WRONLY | O_APPEND);

	if (fd < 0)
		_exit(4);
	memset(rec, tag, sizeof(rec));
	rec[sizeof(rec) - 1] = '\n';
	for (i = 0; i < 500; i++)
		if (write(fd, rec, sizeof(rec)) != (ssize_t)sizeof(rec))
			_exit(5);
	close(fd);
}

static void append_a(void)
{
	append_records('a');
}

static void append_b(void)
{
	append_records('b');
}

/* Two processes appending at once: no record is lost or torn. */
int t_append_two_processes(void)
{
	char rec[64];
	int counts[2] = { 0, 0 }, torn = 0;
	pid_t pa, pb;
	int fd, st;

	fd = FD(open("log", O_CREAT | O_WRONLY, 0644));
	if (fd < 0)
		return 0;
	close(fd);
	fflush(stdout);
	pa = fork();
	if (pa == 0) {
		append_a();
		_exit(0);
	}
	pb = fork();
	if (pb == 0) {
		append_b();
		_exit(0);
	}
	if (pa < 0 || pb < 0)
		return 1;
	waitpid(pa, &st, 0);
	out("writer a: %s", WIFEXITED(st) && !WEXITSTATUS(st) ? "ok" : "failed");
	waitpid(pb, &st, 0);
	out("writer b: %s", WIFEXITED(st) && !WEXITSTATUS(st) ? "ok" : "failed");
	show("log");
	fd = FD(open("log", O_RDONLY));
	if (fd < 0)
		return 0;
	while (read(fd, rec, sizeof(rec)) == (ssize_t)sizeof(rec)) {
		size_t i;

		for (i = 1; i < sizeof(rec) - 1; i++)
			if (rec[i] != rec[0])
				break;
		if (i != sizeof(rec) - 1 || (rec[0] != 'a' && rec[0] != 'b'))
			torn++;
		else
			counts[rec[0] - 'a']++;
	}
	close(fd);
	out("records: a=%d b=%d torn=%d", counts[0], counts[1], torn);
	/* The interleaving differs from run to run; leave no trace of it. */
	DO(truncate("log", 0));
	return 0;
}

/* Write, truncate and O_TRUNC as a non-owner of 0777 files with set-id bits. */
static void nobody_writes_setid_files(void)
{
	int fd;

	fd = FD(open("suid", O_WRONLY));
	if (fd >= 0) {
		DO(write(fd, "x", 1));
		close(fd);
	}
	fd = FD(open("sgid", O_WRONLY));
	if (fd >= 0) {
		DO(pwrite(fd, "x", 1, 5));
		close(fd);
	}
	DO(truncate("both", 3));
	fd = FD(open("trunc", O_WRONLY | O_TRUNC));
	if (fd >= 0)
		close(fd);
}

int t_setid_cleared_by_nonowner_write(void)
{
	static const char *const names[] = { "suid", "sgid", "both", "trunc",
					     "rootw" };
	size_t i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		make_file(names[i], 0777, 10, 95);
	DO(chmod("suid", 04777));
	DO(chmod("sgid", 02777));
	DO(chmod("both", 06777));
	DO(chmod("trunc", 06777));
	DO(chmod("rootw", 06777));
	as_nobody(nobody_writes_setid_files);
	/* CAP_FSETID: the owner's own write keeps the bits. */
	fd = FD(open("rootw", O_WRONLY));
	if (fd >= 0) {
		DO(write(fd, "x", 1));
		close(fd);
	}
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		show(names[i]);
		show_content(names[i]);
	}
	return 0;
}

static void nobody_opens_unsearchable_dir(void)
{
	int fd;

	fd = FD(open("d", O_RDONLY | O_DIRECTORY));
	if (fd >= 0) {
		show_fd("d", fd);
		DO(close(fd));
	}
	FD(open("d/x", O_RDONLY));
}

int t_opendir_read_without_search(void)
{
	DO(mkdir("d", 0700));
	make_file("d/x", 0644, 1, 96);
	DO(chmod("d", 0600));
	DO(chown("d", CONF_NOBODY, CONF_NOBODY));
	as_nobody(nobody_opens_unsearchable_dir);
	DO(chmod("d", 0700));
	show_dir("d");
	return 0;
}
