// SPDX-License-Identifier: GPL-2.0-only
/*
 * Backing needs CAP_SYS_ADMIN in the initial user namespace, in every mode.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 *
 * usage: unpriv_backing TMPDIR MODE drop|keep|userns|droproot
 *
 * A small daemon mounts TMPDIR/mnt as root.  Its LOOKUP handler answers
 * "file" with fuse_bpf_reply_entry() and a BACKING block on TMPDIR/lower
 * (which holds "lower\n"); when that fails it answers the same request
 * itself with fuse_reply_entry() and serves its own content ("daemon's
 * own\n") through its open and read handlers.  "plain" is answered with a
 * REMOVE_BACKING block, which needs no privilege.
 *
 * - drop: the daemon drops CAP_SYS_ADMIN from its effective, permitted and
 *   inheritable sets in its init handler, after mounting and after the
 *   library settled the mode (the "mount as root, then drop privileges"
 *   pattern).  fuse_bpf_reply_entry() must return -EPERM with one message
 *   naming CAP_SYS_ADMIN, the file must read as the daemon's own content,
 *   and the counters must show the daemon, not the library, served it.
 * - keep: the same daemon keeping CAP_SYS_ADMIN gets its backing: the file
 *   reads as the lower file and the library serves it.
 * - userns: the process moves into a new user (and mount) namespace, where
 *   it has CAP_SYS_ADMIN, but not in the initial one.  A no_daemon mount
 *   and a session with a backed root are refused with -EPERM before
 *   anything is mounted; a plain session mounts (FUSE works in a user
 *   namespace), runs in userspace mode, and its BACKING reply gets -EPERM
 *   although capget(2) reports CAP_SYS_ADMIN.
 * - droproot: the root is backed by TMPDIR/lower at mount, with the
 *   privilege, and the daemon drops it as in "drop".  What was backed
 *   before keeps working: the file reads as the lower file, served by the
 *   library (in passthrough mode the kernel now refuses
 *   FUSE_DEV_IOC_BACKING_OPEN, so the library serves the data itself).
 *
 * A child process forked before the privileges go checks through the
 * mount, then unmounts it, which ends the daemon's loop.
 */
#define FUSE_USE_VERSION 34

#include <fuse_bpf.h>
#include <fuse_lowlevel.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/fuse.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOWER_DATA "lower\n"
#define OWN_DATA "daemon's own\n"
#define FILE_INO 2
#define PLAIN_INO 3

enum scenario { DROP, KEEP, USERNS, DROPROOT };

static struct {
	enum scenario sc;
	struct fuse_bpf_session *bs;
	int lower_fd;
	int ret_file;		/* first fuse_bpf_reply_entry() for "file" */
	int ret_plain;		/* fuse_bpf_reply_entry() for "plain" */
	int cap_at_lookup;	/* CAP_SYS_ADMIN effective in the handler */
	int dropped;		/* capset in init: 1 done, -errno failed */
	int cap_msgs;		/* messages naming CAP_SYS_ADMIN */
	int refusals;		/* reply_entry() calls that got -EPERM */
	int msgs;
	bool served_own;	/* the daemon answered "file" itself */
} t = { .ret_file = 1, .ret_plain = 1, .cap_at_lookup = -1 };

static void log_func(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	t.msgs++;
	if (strstr(buf, "CAP_SYS_ADMIN"))
		t.cap_msgs++;
	fprintf(stderr, "  [log] %s", buf);
}

static int cap_data(struct __user_cap_data_struct data[2], bool set)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};

	if (syscall(set ? SYS_capset : SYS_capget, &hdr, data) < 0)
		return -errno;
	return 0;
}

/* CAP_SYS_ADMIN in this thread's effective set: 1, 0 or -errno. */
static int have_sys_admin(void)
{
	struct __user_cap_data_struct data[2];
	int err;

	memset(data, 0, sizeof(data));
	err = cap_data(data, false);
	if (err)
		return err;
	return (data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &
		CAP_TO_MASK(CAP_SYS_ADMIN)) != 0;
}

/* Drop CAP_SYS_ADMIN for good from this thread: 0 or -errno. */
static int drop_sys_admin(void)
{
	struct __user_cap_data_struct data[2];
	unsigned int i = CAP_TO_INDEX(CAP_SYS_ADMIN);
	uint32_t m = CAP_TO_MASK(CAP_SYS_ADMIN);
	int err;

	memset(data, 0, sizeof(data));
	err = cap_data(data, false);
	if (err)
		return err;
	data[i].effective &= ~m;
	data[i].permitted &= ~m;
	data[i].inheritable &= ~m;
	return cap_data(data, true);
}

static void own_attr(struct stat *st, fuse_ino_t ino)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_nlink = 1;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0644;
		st->st_size = strlen(OWN_DATA);
	}
}

static void u_init(void *userdata, struct fuse_conn_info *conn)
{
	int err;

	if (t.sc != DROP && t.sc != DROPROOT)
		return;
	err = drop_sys_admin();
	t.dropped = err ? err : 1;
}

static void u_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_bpf_block b = { .type = FUSE_ENTRY_BACKING,
				    .fd = t.lower_fd };
	struct fuse_entry_param e;
	int ret;

	memset(&e, 0, sizeof(e));
	e.attr_timeout = 0;
	e.entry_timeout = 0;
	if (parent != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (!strcmp(name, "plain")) {
		e.ino = PLAIN_INO;
		own_attr(&e.attr, e.ino);
		b.type = FUSE_ENTRY_REMOVE_BACKING;
		b.fd = -1;
		ret = fuse_bpf_reply_entry(req, &e, &b, 1);
		t.ret_plain = ret;
		if (ret < 0)
			fuse_reply_err(req, -ret);
		return;
	}
	if (strcmp(name, "file")) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	e.ino = FILE_INO;
	own_attr(&e.attr, e.ino);
	t.cap_at_lookup = have_sys_admin();
	ret = fuse_bpf_reply_entry(req, &e, &b, 1);
	if (t.ret_file == 1)
		t.ret_file = ret;
	if (ret == -EPERM)
		t.refusals++;
	if (ret == 0)
		return;
	/* Nothing was sent: the request is still ours. */
	t.served_own = true;
	fuse_reply_entry(req, &e);
}

static void u_getattr(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi)
{
	struct stat st;

	if (ino != FUSE_ROOT_ID && ino != FILE_INO && ino != PLAIN_INO) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	own_attr(&st, ino);
	fuse_reply_attr(req, &st, 0);
}

static void u_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EACCES);
		return;
	}
	fi->keep_cache = 0;
	fi->direct_io = 1;
	fuse_reply_open(req, fi);
}

static void u_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	size_t len = strlen(OWN_DATA);

	if (off >= (off_t)len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > len - (size_t)off)
		size = len - (size_t)off;
	fuse_reply_buf(req, OWN_DATA + off, size);
}

static const struct fuse_lowlevel_ops ops = {
	.init = u_init,
	.lookup = u_lookup,
	.getattr = u_getattr,
	.open = u_open,
	.read = u_read,
};

static int check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return ok ? 0 : 1;
}

/* The checker: what a user sees through the mount. */
static int child_checks(const char *mnt, const char *want, bool plain)
{
	char path[1100], buf[64];
	struct stat st;
	ssize_t n = -1;
	int fails = 0, fd, serr;

	snprintf(path, sizeof(path), "%s/file", mnt);
	serr = stat(path, &st) == 0 ? 0 : errno;
	fails += check(serr == 0 && S_ISREG(st.st_mode) &&
		       st.st_size == (off_t)strlen(want),
		       "child: stat file: errno %d, size %lld (want %zu)",
		       serr, serr ? -1LL : (long long)st.st_size,
		       strlen(want));
	memset(buf, 0, sizeof(buf));
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	fails += check(n == (ssize_t)strlen(want) && !strcmp(buf, want),
		       "child: file reads \"%.*s\" (want \"%.*s\")",
		       (int)strcspn(buf, "\n"), buf,
		       (int)strcspn(want, "\n"), want);
	snprintf(path, sizeof(path), "%s/plain", mnt);
	if (plain)
		fails += check(stat(path, &st) == 0 && st.st_ino == PLAIN_INO,
			       "child: stat of the REMOVE_BACKING node");
	if (umount2(mnt, MNT_DETACH) < 0) {
		fails += check(false, "child: umount %s: %s", mnt,
			       strerror(errno));
	}
	return fails ? 1 : 0;
}

static struct fuse_session *loop_se;

static void on_sigchld(int sig)
{
	(void)sig;
	if (loop_se)
		fuse_session_exit(loop_se);
}

static uint64_t count(uint32_t op, bool library)
{
	struct fuse_bpf_op_stats st;

	if (fuse_bpf_session_op_stats(t.bs, op, &st))
		return UINT64_MAX;
	return library ? st.library : st.daemon;
}

static int write_map(const char *file, const char *text)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

/* Into a new user and mount namespace, as root there only. */
static int enter_userns(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return -errno;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned int)uid);
	if (write_map("/proc/self/uid_map", map))
		return -EPERM;
	if (write_map("/proc/self/setgroups", "deny"))
		return -EPERM;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned int)gid);
	if (write_map("/proc/self/gid_map", map))
		return -EPERM;
	return 0;
}

static bool is_mounted(const char *mnt)
{
	char line[2048], dev[1024], dir[1100];
	bool found = false;
	FILE *f = fopen("/proc/self/mounts", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%1023s %1099s", dev, dir) == 2 &&
		    !strcmp(dir, mnt))
			found = true;
	}
	fclose(f);
	return found;
}

/* userns: the refusals that come before any mount. */
static int userns_refusals(const char *lower_dir, const char *mnt,
			   const char *nd)
{
	char *fargv[] = { "unpriv_backing", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, fargv);
	struct fuse_bpf_config *cfg;
	struct fuse_bpf_session *bs;
	int fails = 0, before, err, dfd;

	fails += check(have_sys_admin() == 1,
		       "userns: capget reports CAP_SYS_ADMIN (in the new namespace)");
	before = t.cap_msgs;
	err = fuse_bpf_mount_no_daemon(lower_dir, nd, NULL);
	fails += check(err == -EPERM && t.cap_msgs == before + 1 &&
		       !is_mounted(nd),
		       "userns: no_daemon mount refused up front: %d (want %d), %d message(s)",
		       err, -EPERM, t.cap_msgs - before);

	dfd = open(lower_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cfg = fuse_bpf_config_new();
	if (dfd < 0 || !cfg || fuse_bpf_config_set_root_backing(cfg, dfd))
		return fails + 1;
	close(dfd);
	bs = fuse_bpf_session_new(&args, &ops, sizeof(ops), NULL, cfg);
	fuse_bpf_config_destroy(cfg);
	fuse_opt_free_args(&args);
	if (!bs)
		return fails + 1;
	before = t.cap_msgs;
	err = fuse_bpf_session_mount(bs, mnt);
	fails += check(err == -EPERM && t.cap_msgs == before + 1 &&
		       !is_mounted(mnt),
		       "userns: session with a backed root refused: %d (want %d), %d message(s)",
		       err, -EPERM, t.cap_msgs - before);
	fuse_bpf_session_destroy(bs);
	return fails;
}

int main(int argc, char *argv[])
{
	char *fargv[] = { "unpriv_backing", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, fargv);
	char mnt[1024], lower[1024], lower_dir[1024], nd[1024];
	enum fuse_bpf_mode mode, want_mode;
	struct fuse_bpf_config *cfg;
	struct sigaction sa;
	const char *want;
	int fails = 0, err, status, msgs0;
	pid_t pid;

	if (argc < 4 || strlen(argv[1]) > 900 ||
	    fuse_bpf_mode_parse(argv[2], &mode) < 0) {
		fprintf(stderr, "usage: %s TMPDIR MODE drop|keep|userns\n",
			argv[0]);
		return 2;
	}
	if (!strcmp(argv[3], "drop"))
		t.sc = DROP;
	else if (!strcmp(argv[3], "keep"))
		t.sc = KEEP;
	else if (!strcmp(argv[3], "userns"))
		t.sc = USERNS;
	else if (!strcmp(argv[3], "droproot"))
		t.sc = DROPROOT;
	else
		return 2;
	if (geteuid() != 0 || access("/dev/fuse", R_OK | W_OK) != 0 ||
	    have_sys_admin() != 1) {
		printf("SKIP: needs root with CAP_SYS_ADMIN and /dev/fuse\n");
		return 77;
	}
	if (mode == FUSE_BPF_MODE_PASSTHROUGH &&
	    !(fuse_bpf_probe_kernel() & FUSE_BPF_CAP_PASSTHROUGH)) {
		printf("SKIP: passthrough mode unavailable here\n");
		return 77;
	}
	if (fuse_bpf_probe_kernel() & FUSE_BPF_CAP_KERNEL) {
		printf("SKIP: a fuse-bpf kernel: the guest suite covers it\n");
		return 77;
	}
	alarm(50);
	fuse_set_log_func(log_func);
	snprintf(mnt, sizeof(mnt), "%s/mnt", argv[1]);
	snprintf(nd, sizeof(nd), "%s/nd", argv[1]);
	snprintf(lower_dir, sizeof(lower_dir), "%s/lower", argv[1]);
	snprintf(lower, sizeof(lower), "%s/lower/file", argv[1]);
	if (mkdir(mnt, 0755) || mkdir(nd, 0755) || mkdir(lower_dir, 0755)) {
		perror("setup");
		return 1;
	}
	t.lower_fd = open(lower, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (t.lower_fd < 0 ||
	    write(t.lower_fd, LOWER_DATA, strlen(LOWER_DATA)) !=
	    (ssize_t)strlen(LOWER_DATA)) {
		perror("setup");
		return 1;
	}

	if (t.sc == USERNS) {
		err = enter_userns();
		if (err) {
			printf("SKIP: cannot enter a new user namespace: %s\n",
			       strerror(-err));
			return 77;
		}
		fails += userns_refusals(lower_dir, mnt, nd);
	}

	cfg = fuse_bpf_config_new();
	if (!cfg || fuse_bpf_config_set_mode(cfg, mode) < 0)
		return 1;
	if (t.sc == DROPROOT) {
		int dfd = open(lower_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd < 0 || fuse_bpf_config_set_root_backing(cfg, dfd))
			return 1;
		close(dfd);
	}
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

	loop_se = fuse_bpf_session_fuse(t.bs);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);	/* no SA_RESTART: the read ends */

	want = t.sc == KEEP || t.sc == DROPROOT ? LOWER_DATA : OWN_DATA;
	msgs0 = t.cap_msgs;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		fuse_bpf_session_destroy(t.bs);
		return 1;
	}
	if (pid == 0) {
		alarm(40);
		_exit(child_checks(mnt, want, t.sc != DROPROOT));
	}
	fuse_session_loop(loop_se);
	loop_se = NULL;
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	fails += check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		       "checks through the mount (child status %#x)", status);

	want_mode = t.sc == USERNS ? FUSE_BPF_MODE_USERSPACE : mode;
	fails += check(fuse_bpf_session_mode(t.bs) == want_mode,
		       "mode in force: %s (want %s)",
		       fuse_bpf_mode_name(fuse_bpf_session_mode(t.bs)),
		       fuse_bpf_mode_name(want_mode));
	if (t.sc == DROP)
		fails += check(t.dropped == 1 && t.cap_at_lookup == 0,
			       "CAP_SYS_ADMIN dropped after mounting (capset %d, in LOOKUP %d)",
			       t.dropped, t.cap_at_lookup);
	else if (t.sc != DROPROOT)
		fails += check(t.cap_at_lookup == 1,
			       "CAP_SYS_ADMIN effective in the LOOKUP handler");
	if (t.sc != DROPROOT)
		fails += check(t.ret_plain == 0,
			       "REMOVE_BACKING needs no privilege: reply_entry %d",
			       t.ret_plain);

	if (t.sc == DROPROOT) {
		fails += check(t.dropped == 1 && t.ret_file == 1 &&
			       count(FUSE_LOOKUP, false) == 0,
			       "CAP_SYS_ADMIN dropped (capset %d), the daemon saw no LOOKUP (%llu)",
			       t.dropped,
			       (unsigned long long)count(FUSE_LOOKUP, false));
		fails += check(count(FUSE_READ, true) >= 1 &&
			       count(FUSE_READ, false) == 0 &&
			       count(FUSE_OPEN, true) >= 1,
			       "the backed root is still served by the library (READ %llu, OPEN %llu)",
			       (unsigned long long)count(FUSE_READ, true),
			       (unsigned long long)count(FUSE_OPEN, true));
	} else if (t.sc == KEEP) {
		fails += check(t.ret_file == 0 && !t.served_own &&
			       t.cap_msgs == msgs0,
			       "privileged daemon attaches backing: reply_entry %d, %d message(s) naming CAP_SYS_ADMIN",
			       t.ret_file, t.cap_msgs - msgs0);
		fails += check(count(FUSE_OPEN, true) >= 1 &&
			       count(FUSE_OPEN, false) == 0,
			       "OPEN served by the library (library %llu, daemon %llu)",
			       (unsigned long long)count(FUSE_OPEN, true),
			       (unsigned long long)count(FUSE_OPEN, false));
		if (mode == FUSE_BPF_MODE_USERSPACE)
			fails += check(count(FUSE_READ, true) >= 1 &&
				       count(FUSE_READ, false) == 0,
				       "READ served by the library (library %llu, daemon %llu)",
				       (unsigned long long)count(FUSE_READ, true),
				       (unsigned long long)count(FUSE_READ, false));
		else
			fails += check(count(FUSE_READ, true) == 0 &&
				       count(FUSE_READ, false) == 0,
				       "READ served by kernel passthrough (library %llu, daemon %llu)",
				       (unsigned long long)count(FUSE_READ, true),
				       (unsigned long long)count(FUSE_READ, false));
	} else {
		uint32_t op;
		uint64_t lib = 0;

		for (op = 0; op < 64; op++) {
			if (count(op, true) != UINT64_MAX)
				lib += count(op, true);
		}
		fails += check(t.ret_file == -EPERM && t.served_own,
			       "unprivileged BACKING reply refused: reply_entry %d (want %d), then answered by the daemon",
			       t.ret_file, -EPERM);
		fails += check(t.refusals >= 1 &&
			       t.cap_msgs - msgs0 == t.refusals,
			       "one message naming CAP_SYS_ADMIN per refusal (%d message(s), %d refusal(s))",
			       t.cap_msgs - msgs0, t.refusals);
		fails += check(count(FUSE_LOOKUP, false) >= 2 &&
			       count(FUSE_OPEN, false) >= 1 &&
			       count(FUSE_READ, false) >= 1 && lib == 0,
			       "daemon served it all: LOOKUP %llu, OPEN %llu, READ %llu by the daemon, %llu by the library",
			       (unsigned long long)count(FUSE_LOOKUP, false),
			       (unsigned long long)count(FUSE_OPEN, false),
			       (unsigned long long)count(FUSE_READ, false),
			       (unsigned long long)lib);
	}
	fuse_bpf_session_write_stats(t.bs, stdout);

	fuse_bpf_session_unmount(t.bs);
	fuse_bpf_session_destroy(t.bs);
	close(t.lower_fd);
	printf("%s\n", fails ? "FAILED" : "PASSED");
	return fails ? 1 : 0;
}
