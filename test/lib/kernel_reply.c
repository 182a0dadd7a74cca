// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fuse-bpf reply path of fuse_bpf_reply_entry() against a kernel that
 * refuses FUSE_DEV_IOC_BPF_RESPONSE.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 *
 * usage: kernel_reply TMPDIR
 *
 * The host kernel has no fuse-bpf, so its /dev/fuse rejects the response
 * ioctl.  This test mounts in userspace mode and then switches the
 * session's mode to fuse-bpf by hand (it links the library's internals),
 * so that a LOOKUP reply with a backing block takes the ioctl route.  The
 * kernel's error must come back from fuse_bpf_reply_entry() with nothing
 * sent, the daemon can still answer the request with an error, the
 * library forgets the request, and a reply without blocks still goes out
 * through write().
 *
 * The backing privilege (CAP_SYS_ADMIN in the initial user namespace) in
 * this mode: a handler thread without CAP_SYS_ADMIN in its effective set
 * gets -EPERM from the library's own check, before any ioctl (the host's
 * refusal would be another errno), and a kernel that answers the ioctl
 * with EPERM (a seccomp filter on the handler thread stands in for the
 * fuse-bpf kernel's check, which the guest suite exercises) gives the
 * same -EPERM; both times the daemon still answers the request.
 */
#define FUSE_USE_VERSION 34

#include "fuse_bpf_i.h"
#include "../caps.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/fuse.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct fuse_bpf_session *bs;
static int backing_fd = -1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int last_ret = 1;
static int cap_msgs;		/* messages naming CAP_SYS_ADMIN */
static int filter_err = 1;	/* seccomp filter installed: 0 or -errno */

static void log_func(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	pthread_mutex_lock(&lock);
	if (strstr(buf, "CAP_SYS_ADMIN"))
		cap_msgs++;
	pthread_mutex_unlock(&lock);
	fprintf(stderr, "  [log] %s", buf);
}

/*
 * From now on this thread's ioctl(FUSE_DEV_IOC_BPF_RESPONSE) of a reply
 * with one block fails with EPERM, as on a fuse-bpf kernel for a daemon
 * without the privilege.  0 or -errno.
 */
static int filter_response_ioctl(void)
{
#if defined(__x86_64__)
	uint32_t cmd = (uint32_t)fbpf_ioc_response_cmd(
		sizeof(struct fuse_out_header) + sizeof(struct fuse_entry_out) +
		sizeof(struct fuse_bpf_entry_out));
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, cmd, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(f) / sizeof(f[0]),
		.filter = f,
	};

	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

static void k_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_bpf_block b = { .type = FUSE_ENTRY_BACKING,
				    .fd = backing_fd };
	struct fuse_entry_param e;
	int ret;

	memset(&e, 0, sizeof(e));
	e.ino = 2;
	e.attr.st_ino = 2;
	e.attr.st_mode = S_IFREG | 0644;
	e.attr.st_nlink = 1;
	if (!strcmp(name, "unpriv")) {
		/* Dropped from the effective set only, then raised again. */
		ret = test_set_sys_admin(false);
		if (!ret) {
			ret = fuse_bpf_reply_entry(req, &e, &b, 1);
			if (test_set_sys_admin(true))
				ret = -ENOTRECOVERABLE;
		}
	} else if (!strcmp(name, "kernel_eperm")) {
		pthread_mutex_lock(&lock);
		filter_err = filter_response_ioctl();
		pthread_mutex_unlock(&lock);
		ret = fuse_bpf_reply_entry(req, &e, &b, 1);
	} else {
		ret = fuse_bpf_reply_entry(req, &e, &b,
					   strcmp(name, "backed") == 0 ? 1 : 0);
	}
	pthread_mutex_lock(&lock);
	last_ret = ret;
	pthread_mutex_unlock(&lock);
	if (ret < 0)
		fuse_reply_err(req, -ret);
}

static void k_getattr(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_ino = ino;
	st.st_mode = ino == FUSE_ROOT_ID ? S_IFDIR | 0755 : S_IFREG | 0644;
	st.st_nlink = 1;
	fuse_reply_attr(req, &st, 0);
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = k_lookup,
	.getattr = k_getattr,
};

static void *loop_thread(void *arg)
{
	return (void *)(long)fuse_session_loop(fuse_bpf_session_fuse(bs));
}

static int check(bool ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	return ok ? 0 : 1;
}

static int take_cap_msgs(void)
{
	int n;

	pthread_mutex_lock(&lock);
	n = cap_msgs;
	pthread_mutex_unlock(&lock);
	return n;
}

static int take_ret(void)
{
	int r;

	pthread_mutex_lock(&lock);
	r = last_ret;
	last_ret = 1;
	pthread_mutex_unlock(&lock);
	return r;
}

int main(int argc, char *argv[])
{
	char *fargv[] = { "kernel_reply", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, fargv);
	char mnt[1024], path[1100], file[1100], what[160];
	struct fuse_bpf_config *cfg;
	int fails = 0, err, serr, ret, msgs;
	void *loop_ret;
	pthread_t thr;
	struct stat st;

	if (argc < 2 || strlen(argv[1]) > 900) {
		fprintf(stderr, "usage: %s TMPDIR\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0 || access("/dev/fuse", R_OK | W_OK) != 0) {
		printf("SKIP: needs root and /dev/fuse\n");
		return 77;
	}
	if (fuse_bpf_probe_kernel() & FUSE_BPF_CAP_KERNEL) {
		printf("SKIP: this kernel accepts the response ioctl\n");
		return 77;
	}
	alarm(60);
	fuse_set_log_func(log_func);
	snprintf(mnt, sizeof(mnt), "%s/mnt", argv[1]);
	snprintf(file, sizeof(file), "%s/file", argv[1]);
	if (mkdir(mnt, 0755)) {
		perror("mkdir");
		return 1;
	}
	backing_fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	cfg = fuse_bpf_config_new();
	if (backing_fd < 0 || !cfg ||
	    fuse_bpf_config_set_mode(cfg, FUSE_BPF_MODE_USERSPACE))
		return 1;
	bs = fuse_bpf_session_new(&args, &ops, sizeof(ops), NULL, cfg);
	fuse_bpf_config_destroy(cfg);
	fuse_opt_free_args(&args);
	if (!bs)
		return 1;
	err = fuse_bpf_session_mount(bs, mnt);
	if (err || pthread_create(&thr, NULL, loop_thread, NULL)) {
		fuse_bpf_session_destroy(bs);
		return 1;
	}
	fails += check(stat(mnt, &st) == 0, "mount answers (INIT done)");
	/* What INIT would have chosen on a fuse-bpf kernel. */
	atomic_store(&bs->mode, FUSE_BPF_MODE_KERNEL);

	snprintf(path, sizeof(path), "%s/backed", mnt);
	serr = stat(path, &st) == 0 ? 0 : errno;
	ret = take_ret();
	snprintf(what, sizeof(what),
		 "refused response ioctl: reply_entry %d, stat errno %d",
		 ret, serr);
	/* Not EPERM: the cases below must tell the library's EPERM apart. */
	fails += check(ret < 0 && ret != -EPERM && serr == -ret, what);
	fails += check(atomic_load(&fbpf_core_of(bs)->pending) == 0,
		       "no request left in the reply table");

	msgs = take_cap_msgs();
	snprintf(path, sizeof(path), "%s/unpriv", mnt);
	serr = stat(path, &st) == 0 ? 0 : errno;
	ret = take_ret();
	msgs = take_cap_msgs() - msgs;
	snprintf(what, sizeof(what),
		 "no CAP_SYS_ADMIN: reply_entry %d (want %d, before the ioctl), stat errno %d, %d message(s)",
		 ret, -EPERM, serr, msgs);
	fails += check(ret == -EPERM && serr == EPERM && msgs == 1, what);
	fails += check(atomic_load(&fbpf_core_of(bs)->pending) == 0,
		       "no request left in the reply table");

	msgs = take_cap_msgs();
	snprintf(path, sizeof(path), "%s/kernel_eperm", mnt);
	serr = stat(path, &st) == 0 ? 0 : errno;
	ret = take_ret();
	msgs = take_cap_msgs() - msgs;
	pthread_mutex_lock(&lock);
	err = filter_err;
	pthread_mutex_unlock(&lock);
	if (err) {
		printf("note: no seccomp filter (%s), kernel EPERM not tried\n",
		       strerror(-err));
	} else {
		snprintf(what, sizeof(what),
			 "kernel EPERM: reply_entry %d (want %d), stat errno %d, %d message(s)",
			 ret, -EPERM, serr, msgs);
		fails += check(ret == -EPERM && serr == EPERM && msgs == 1,
			       what);
		fails += check(atomic_load(&fbpf_core_of(bs)->pending) == 0,
			       "no request left in the reply table");
	}

	snprintf(path, sizeof(path), "%s/plain", mnt);
	serr = stat(path, &st) == 0 ? 0 : errno;
	ret = take_ret();
	fails += check(ret == 0 && serr == 0 && st.st_ino == 2,
		       "reply without blocks goes through write()");
	fails += check(atomic_load(&fbpf_core_of(bs)->pending) == 0,
		       "no request left in the reply table");

	fuse_bpf_session_unmount(bs);
	pthread_join(thr, &loop_ret);
	fails += check(loop_ret == NULL, "session loop ended cleanly");
	fuse_bpf_session_destroy(bs);
	close(backing_fd);
	printf("%s\n", fails ? "FAILED" : "PASSED");
	return fails ? 1 : 0;
}
