// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bad input to fuse_bpf_reply_entry() on a real mount.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 *
 * usage: bad_input TMPDIR [st|mt] [MODE]
 *
 * Mounts a small daemon on TMPDIR/mnt whose LOOKUP handler answers each
 * name with a particular bad reply (a closed fd, -1, a directory fd for a
 * file entry, three blocks, an unknown type, BPF blocks, a nonzero
 * reserved field, a library node id).  For each, fuse_bpf_reply_entry()
 * must return the expected negative errno with a message, the daemon then
 * replies with that error, and stat(2) through the mount must fail with
 * it.  Good replies (no block, a backing file) must work.  The number of
 * open fds must be the same before and after the bad replies.  The session
 * runs in the single- or multi-threaded loop in a second thread.
 */
#define FUSE_USE_VERSION 34

#include <fuse_bpf.h>
#include <fuse_lowlevel.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define LIB_NODEID (1ULL << 63)

struct bad_case {
	const char *name;
	int expect;		/* return value of fuse_bpf_reply_entry() */
	int stat_errno;		/* errno of stat(2), 0 for success */
};

static const struct bad_case cases[] = {
	{ "closed_fd", -EBADF, EBADF },
	{ "minus_one", -EBADF, EBADF },
	{ "dir_for_file", -EISDIR, EISDIR },
	{ "file_for_dir", -ENOTDIR, ENOTDIR },
	{ "fifo_for_file", -EINVAL, EINVAL },
	{ "three_blocks", -EINVAL, EINVAL },
	{ "two_backing", -EINVAL, EINVAL },
	{ "unknown_type", -EINVAL, EINVAL },
	{ "bpf", -EINVAL, EINVAL },
	{ "remove_bpf", -EINVAL, EINVAL },
	{ "reserved", -EINVAL, EINVAL },
	{ "lib_nodeid_api", -EINVAL, EINVAL },
	{ "lib_nodeid_raw", 0, EIO },
};

static struct {
	struct fuse_bpf_session *bs;
	int file_fd;
	int dir_fd;
	int fifo_fd;
	int closed_fd;
	pthread_mutex_t lock;
	int last_ret;
	int logged;
} t = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void log_func(enum fuse_log_level level, const char *fmt, va_list ap)
{
	pthread_mutex_lock(&t.lock);
	t.logged++;
	pthread_mutex_unlock(&t.lock);
	fprintf(stderr, "  [log] ");
	vfprintf(stderr, fmt, ap);
}

static int logged_count(void)
{
	int n;

	pthread_mutex_lock(&t.lock);
	n = t.logged;
	pthread_mutex_unlock(&t.lock);
	return n;
}

static void fill_attr(struct fuse_entry_param *e, fuse_ino_t ino, mode_t mode)
{
	memset(e, 0, sizeof(*e));
	e->ino = ino;
	e->attr.st_ino = ino;
	e->attr.st_mode = mode;
	e->attr.st_nlink = 1;
	e->attr.st_size = 3;
}

static void t_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_bpf_block b[3];
	struct fuse_entry_param e;
	size_t n = 1;
	int ret;

	memset(b, 0, sizeof(b));
	fill_attr(&e, 2, S_IFREG | 0644);
	b[0].type = FUSE_ENTRY_BACKING;
	b[0].fd = t.file_fd;
	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (!strcmp(name, "closed_fd")) {
		b[0].fd = t.closed_fd;
	} else if (!strcmp(name, "minus_one")) {
		b[0].fd = -1;
	} else if (!strcmp(name, "dir_for_file")) {
		b[0].fd = t.dir_fd;
	} else if (!strcmp(name, "file_for_dir")) {
		e.attr.st_mode = S_IFDIR | 0755;
	} else if (!strcmp(name, "fifo_for_file")) {
		b[0].fd = t.fifo_fd;
	} else if (!strcmp(name, "three_blocks")) {
		b[1].type = FUSE_ENTRY_REMOVE_BPF;
		b[2].type = FUSE_ENTRY_REMOVE_BPF;
		n = 3;
	} else if (!strcmp(name, "two_backing")) {
		b[1].type = FUSE_ENTRY_REMOVE_BACKING;
		n = 2;
	} else if (!strcmp(name, "unknown_type")) {
		b[0].type = 77;
	} else if (!strcmp(name, "bpf")) {
		b[0].type = FUSE_ENTRY_BPF;
	} else if (!strcmp(name, "remove_bpf")) {
		b[0].type = FUSE_ENTRY_REMOVE_BPF;
	} else if (!strcmp(name, "reserved")) {
		b[0].reserved = 1;
	} else if (!strcmp(name, "lib_nodeid_api")) {
		e.ino |= LIB_NODEID;
		n = 0;
	} else if (!strcmp(name, "lib_nodeid_raw")) {
		/* Straight through libfuse: the library must refuse it. */
		e.ino |= LIB_NODEID;
		pthread_mutex_lock(&t.lock);
		t.last_ret = 0;
		pthread_mutex_unlock(&t.lock);
		fuse_reply_entry(req, &e);
		return;
	} else if (!strcmp(name, "plain")) {
		n = 0;
	} else if (!strcmp(name, "good")) {
		fill_attr(&e, 3, S_IFREG | 0644);
	} else {
		fuse_reply_err(req, ENOENT);
		return;
	}
	ret = fuse_bpf_reply_entry(req, &e, b, n);
	pthread_mutex_lock(&t.lock);
	t.last_ret = ret;
	pthread_mutex_unlock(&t.lock);
	if (ret < 0)
		fuse_reply_err(req, -ret);
}

static void t_getattr(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi)
{
	struct fuse_entry_param e;

	if (ino == FUSE_ROOT_ID)
		fill_attr(&e, ino, S_IFDIR | 0755);
	else
		fill_attr(&e, ino, S_IFREG | 0644);
	fuse_reply_attr(req, &e.attr, 0);
}

/* The daemon has write but not write_buf; the library has both. */
static char written[16];

static void t_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		    size_t size, off_t off, struct fuse_file_info *fi)
{
	pthread_mutex_lock(&t.lock);
	if (off == 0 && size < sizeof(written))
		memcpy(written, buf, size);
	pthread_mutex_unlock(&t.lock);
	fuse_reply_write(req, size);
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = t_lookup,
	.getattr = t_getattr,
	.write = t_write,
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the DIR's own fd */
}

static void *loop_thread(void *arg)
{
	struct fuse_session *se = fuse_bpf_session_fuse(t.bs);
	long mt = (long)arg;

	if (mt) {
		struct fuse_loop_config lc = { .clone_fd = 0,
					       .max_idle_threads = 4 };

		return (void *)(long)fuse_session_loop_mt(se, &lc);
	}
	return (void *)(long)fuse_session_loop(se);
}

static int check(bool ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	return ok ? 0 : 1;
}

int main(int argc, char *argv[])
{
	char mnt[1024], path[2048], file[1024], dir[1024], fifo[1024];
	char *fargv[] = { "bad_input", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, fargv);
	struct fuse_bpf_config *cfg;
	enum fuse_bpf_mode mode = FUSE_BPF_MODE_USERSPACE;
	long mt = argc > 2 && !strcmp(argv[2], "mt");
	int fails = 0, before, after, err, logged;
	pthread_t thr;
	struct stat st;
	void *loop_ret;
	size_t i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s TMPDIR [st|mt] [MODE]\n", argv[0]);
		return 2;
	}
	if (argc > 3 && fuse_bpf_mode_parse(argv[3], &mode) < 0)
		return 2;
	if (strlen(argv[1]) > 900) {
		fprintf(stderr, "TMPDIR too long\n");
		return 2;
	}
	if (geteuid() != 0 || access("/dev/fuse", R_OK | W_OK) != 0) {
		printf("SKIP: needs root and /dev/fuse\n");
		return 77;
	}
	if (mode == FUSE_BPF_MODE_PASSTHROUGH &&
	    !(fuse_bpf_probe_kernel() & FUSE_BPF_CAP_PASSTHROUGH)) {
		printf("SKIP: passthrough mode unavailable here\n");
		return 77;
	}
	alarm(60);
	fuse_set_log_func(log_func);
	snprintf(mnt, sizeof(mnt), "%s/mnt", argv[1]);
	snprintf(file, sizeof(file), "%s/backing_file", argv[1]);
	snprintf(dir, sizeof(dir), "%s/backing_dir", argv[1]);
	snprintf(fifo, sizeof(fifo), "%s/backing_fifo", argv[1]);
	if (mkdir(mnt, 0755) || mkdir(dir, 0755) || mkfifo(fifo, 0644)) {
		perror("setup");
		return 1;
	}
	t.file_fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	t.dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	t.fifo_fd = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	/* A high number: the lowest free fds get reused by the session. */
	t.closed_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 900);
	if (t.file_fd < 0 || t.dir_fd < 0 || t.fifo_fd < 0 || t.closed_fd < 0 ||
	    write(t.file_fd, "abc", 3) != 3) {
		perror("setup");
		return 1;
	}
	close(t.closed_fd);

	cfg = fuse_bpf_config_new();
	if (!cfg || fuse_bpf_config_set_mode(cfg, mode) < 0)
		return 1;
	t.bs = fuse_bpf_session_new(&args, &ops, sizeof(ops), NULL, cfg);
	fuse_bpf_config_destroy(cfg);
	fuse_opt_free_args(&args);
	if (!t.bs)
		return 1;
	err = fuse_bpf_session_mount(t.bs, mnt);
	if (err) {
		fprintf(stderr, "mount: %s\n", strerror(-err));
		fuse_bpf_session_destroy(t.bs);
		return 1;
	}
	if (pthread_create(&thr, NULL, loop_thread, (void *)mt)) {
		fuse_bpf_session_destroy(t.bs);
		return 1;
	}
	fails += check(stat(mnt, &st) == 0 && S_ISDIR(st.st_mode),
		       "root of the mount");
	fails += check(fuse_bpf_session_mode(t.bs) == mode, "mode in force");

	before = count_fds();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[512];
		int serr, ret;

		snprintf(path, sizeof(path), "%s/%s", mnt, cases[i].name);
		pthread_mutex_lock(&t.lock);
		t.last_ret = 1;
		logged = t.logged;
		pthread_mutex_unlock(&t.lock);
		serr = stat(path, &st) == 0 ? 0 : errno;
		pthread_mutex_lock(&t.lock);
		ret = t.last_ret;
		logged = t.logged - logged;
		pthread_mutex_unlock(&t.lock);
		snprintf(what, sizeof(what),
			 "%s: reply_entry %d (want %d), stat errno %d (want %d), %d message(s)",
			 cases[i].name, ret, cases[i].expect, serr,
			 cases[i].stat_errno, logged);
		fails += check(ret == cases[i].expect &&
			       serr == cases[i].stat_errno && logged > 0,
			       what);
	}
	after = count_fds();
	{
		char what[64];

		snprintf(what, sizeof(what), "open fds before %d, after %d",
			 before, after);
		fails += check(before > 0 && before == after, what);
	}

	snprintf(path, sizeof(path), "%s/plain", mnt);
	fails += check(stat(path, &st) == 0 && st.st_ino == 2 &&
		       st.st_size == 3, "entry without blocks");
	{
		int fd = open(path, O_WRONLY);
		bool same;

		fails += check(fd >= 0 && write(fd, "xyz", 3) == 3,
			       "write to the daemon's node");
		if (fd >= 0)
			close(fd);
		pthread_mutex_lock(&t.lock);
		same = !memcmp(written, "xyz", 3);
		pthread_mutex_unlock(&t.lock);
		fails += check(same, "daemon's write handler got the data");
	}
	snprintf(path, sizeof(path), "%s/good", mnt);
	{
		char buf[8] = { 0 };
		int fd;

		fails += check(stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
			       st.st_size == 3, "entry with a backing file");
		fd = open(path, O_RDONLY);
		fails += check(fd >= 0 && read(fd, buf, sizeof(buf)) == 3 &&
			       !memcmp(buf, "abc", 3),
			       "read through the backed node");
		if (fd >= 0)
			close(fd);
	}
	{
		/*
		 * The daemon has no xattr handlers.  Its node must not make
		 * the kernel give up xattrs for the whole mount, since the
		 * library serves them for the backed node.
		 */
		char buf[8] = { 0 };
		ssize_t r1, r2;
		int e1;

		if (fsetxattr(t.file_fd, "user.fbpf", "v1", 2, 0) < 0) {
			printf("note: no user xattrs on %s, check skipped\n",
			       argv[1]);
		} else {
			r1 = getxattr(mnt, "user.fbpf", buf, sizeof(buf));
			e1 = errno;
			r2 = getxattr(path, "user.fbpf", buf, sizeof(buf));
			fails += check(r1 < 0 && e1 == EOPNOTSUPP && r2 == 2 &&
				       !memcmp(buf, "v1", 2),
				       "xattrs of the backed node work after the daemon's node refused them");
		}
	}

	if (!(fuse_bpf_probe_kernel() & FUSE_BPF_CAP_KERNEL)) {
		char nd[1100];
		int before_log = logged_count();

		snprintf(nd, sizeof(nd), "%s/nd", argv[1]);
		fails += check(mkdir(nd, 0755) == 0 &&
			       fuse_bpf_mount_no_daemon(dir, nd, NULL) ==
			       -EOPNOTSUPP && logged_count() > before_log,
			       "no_daemon mount refused without fuse-bpf");
	}

	fuse_bpf_session_unmount(t.bs);
	pthread_join(thr, &loop_ret);
	fails += check(loop_ret == NULL, "session loop ended cleanly");
	fuse_bpf_session_destroy(t.bs);
	close(t.file_fd);
	close(t.dir_fd);
	close(t.fifo_fd);
	printf("%s\n", fails ? "FAILED" : "PASSED");
	return fails ? 1 : 0;
}
