// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the backed-node table (lib/nodes.c): root and daemon
 * backings, library node ids, hard links sharing a node, lookup counts,
 * references outliving a FORGET, growth, threads, and that every backing
 * fd is closed again.
 *
 * With --mount MODE (userspace or passthrough) it runs instead what needs
 * a real FUSE mount of a small daemon whose root it serves itself, with
 * one backed and one plain directory below: EXDEV between them, caller
 * credentials with supplementary groups, and no fd left after FORGET.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nodes_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#define MANY 3000
#define THREADS 4
#define ROUNDS 200
#define SHARED 16

struct fixture {
	struct fuse_bpf_session bs;
	char dir[64];
	int dirfd;
	int fds_before;
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory stream itself */
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/fbpf-test-nodes-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY);
	if (f->dirfd < 0)
		return -1;
	f->bs.fd = -1;
	atomic_store(&f->bs.mode, FUSE_BPF_MODE_USERSPACE);
	f->fds_before = count_fds();
	f->bs.nodes = fbpf_nodes_new();
	if (!f->bs.nodes)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	fbpf_nodes_destroy(f->bs.nodes);
	close(f->dirfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

/* Create @name (a file) in the fixture directory; an O_PATH fd of it. */
static int make_file(struct fixture *f, const char *name)
{
	int fd = openat(f->dirfd, name, O_CREAT | O_WRONLY, 0644);

	assert_true(fd >= 0);
	close(fd);
	fd = openat(f->dirfd, name, O_PATH);
	assert_true(fd >= 0);
	return fd;
}

/* What a lookup in backing_dir.c does: add with a fresh O_PATH fd. */
static fuse_ino_t add_name(struct fixture *f, const char *name)
{
	int fd = openat(f->dirfd, name, O_PATH | O_NOFOLLOW);
	struct stat st;
	fuse_ino_t id = 0;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(fbpf_nodes_add(&f->bs, fd, &st, &id), 0);
	return id;
}

static void test_root(void **state)
{
	struct fixture *f = *state;
	int file = make_file(f, "file");

	assert_false(fbpf_nodes_serves(&f->bs, FUSE_ROOT_ID));
	/* Not backed: FORGET of node 1 would be the daemon's business. */
	assert_true(fbpf_nodes_forget(&f->bs, FUSE_ROOT_ID, 1));
	assert_int_equal(fbpf_nodes_set_root(&f->bs, -1), -EBADF);
	assert_int_equal(fbpf_nodes_set_root(&f->bs, file), -ENOTDIR);
	assert_false(fbpf_nodes_serves(&f->bs, FUSE_ROOT_ID));
	assert_int_equal(fbpf_nodes_set_root(&f->bs, f->dirfd), 0);
	assert_true(fbpf_nodes_serves(&f->bs, FUSE_ROOT_ID));
	/* A backed root is never forgotten. */
	assert_false(fbpf_nodes_forget(&f->bs, FUSE_ROOT_ID, 1000));
	assert_true(fbpf_nodes_serves(&f->bs, FUSE_ROOT_ID));
	/* Replacing the root backing keeps one fd. */
	assert_int_equal(fbpf_nodes_set_root(&f->bs, f->dirfd), 0);
	assert_int_equal(count_fds(), f->fds_before + 2);
	close(file);
}

static void test_attach_detach(void **state)
{
	struct fixture *f = *state;
	int file = make_file(f, "a"), other = make_file(f, "b");
	struct fbpf_node *n;

	assert_int_equal(fbpf_nodes_attach(&f->bs, FBPF_LIB_NODEID | 5, file),
			 -EINVAL);
	assert_int_equal(fbpf_nodes_attach(&f->bs, 0, file), -EINVAL);
	assert_int_equal(fbpf_nodes_attach(&f->bs, 5, -1), -EBADF);
	assert_int_equal(fbpf_nodes_attach(&f->bs, 5, 999), -EBADF);
	assert_false(fbpf_nodes_serves(&f->bs, 5));

	/* Two lookups of node 5 with a backing: two references. */
	assert_int_equal(fbpf_nodes_attach(&f->bs, 5, file), 0);
	assert_int_equal(fbpf_nodes_attach(&f->bs, 5, file), 0);
	assert_true(fbpf_nodes_serves(&f->bs, 5));
	assert_true(fbpf_nodes_forget(&f->bs, 5, 1));
	assert_true(fbpf_nodes_serves(&f->bs, 5));
	assert_true(fbpf_nodes_forget(&f->bs, 5, 1));
	assert_false(fbpf_nodes_serves(&f->bs, 5));

	/* A new backing object replaces the old one, counts carry over. */
	assert_int_equal(fbpf_nodes_attach(&f->bs, 6, file), 0);
	assert_int_equal(fbpf_nodes_attach(&f->bs, 6, other), 0);
	assert_true(fbpf_nodes_forget(&f->bs, 6, 1));
	assert_true(fbpf_nodes_serves(&f->bs, 6));
	fbpf_nodes_detach(&f->bs, 6);
	assert_false(fbpf_nodes_serves(&f->bs, 6));
	/* Unknown daemon ids still go to the daemon. */
	assert_true(fbpf_nodes_forget(&f->bs, 6, 1));

	/* Detaching a node with an open file waits for its release. */
	assert_int_equal(fbpf_nodes_attach(&f->bs, 7, file), 0);
	n = fbpf_node_get(&f->bs, 7);
	assert_non_null(n);
	assert_int_equal(fbpf_node_open_begin(&f->bs, n, file), 0);
	fbpf_nodes_detach(&f->bs, 7);
	assert_true(fbpf_nodes_serves(&f->bs, 7));
	fbpf_node_open_end(&f->bs, n);
	assert_false(fbpf_nodes_serves(&f->bs, 7));
	fbpf_node_put(&f->bs, n);
	close(file);
	close(other);
	assert_int_equal(count_fds(), f->fds_before);
}

static void test_hard_links_share_a_node(void **state)
{
	struct fixture *f = *state;
	fuse_ino_t a, b, c;

	close(make_file(f, "one"));
	close(make_file(f, "other"));
	assert_int_equal(linkat(f->dirfd, "one", f->dirfd, "two", 0), 0);
	a = add_name(f, "one");
	b = add_name(f, "two");
	c = add_name(f, "other");
	assert_true(a & FBPF_LIB_NODEID);
	assert_true(c & FBPF_LIB_NODEID);
	assert_int_equal(a, b);
	assert_int_not_equal(a, c);
	assert_true(fbpf_nodes_serves(&f->bs, a));
	/* Library ids never reach the daemon; two references on a. */
	assert_false(fbpf_nodes_forget(&f->bs, a, 1));
	assert_true(fbpf_nodes_serves(&f->bs, a));
	assert_false(fbpf_nodes_forget(&f->bs, a, 1));
	assert_false(fbpf_nodes_serves(&f->bs, a));
	assert_false(fbpf_nodes_forget(&f->bs, c, 5));
	assert_false(fbpf_nodes_serves(&f->bs, c));
	/* Freed ids are not reused. */
	assert_int_not_equal(add_name(f, "one"), a);
	assert_int_equal(count_fds(), f->fds_before + 1);
}

static void test_reference_outlives_forget(void **state)
{
	struct fixture *f = *state;
	struct fbpf_node *n;
	struct stat st;
	fuse_ino_t id;

	close(make_file(f, "x"));
	id = add_name(f, "x");
	n = fbpf_node_get(&f->bs, id);
	assert_non_null(n);
	assert_true(S_ISREG(n->type));
	assert_false(fbpf_nodes_forget(&f->bs, id, 1));
	assert_false(fbpf_nodes_serves(&f->bs, id));
	assert_null(fbpf_node_get(&f->bs, id));
	/* The fd stays usable until the reference goes. */
	assert_int_equal(fstatat(n->fd, "", &st, AT_EMPTY_PATH), 0);
	assert_int_equal(st.st_ino, n->ino);
	assert_int_equal(count_fds(), f->fds_before + 1);
	fbpf_node_put(&f->bs, n);
	fbpf_node_put(&f->bs, NULL);
	assert_int_equal(count_fds(), f->fds_before);
}

static void test_many_nodes(void **state)
{
	struct fixture *f = *state;
	static fuse_ino_t ids[MANY];
	char name[32];
	int i;

	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		close(make_file(f, name));
		ids[i] = add_name(f, name);
	}
	for (i = 0; i < MANY; i++) {
		struct fbpf_node *n = fbpf_node_get(&f->bs, ids[i]);

		assert_non_null(n);
		assert_int_equal(n->id, ids[i]);
		fbpf_node_put(&f->bs, n);
		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(add_name(f, name), ids[i]);
	}
	assert_int_equal(count_fds(), f->fds_before + MANY);
	for (i = 0; i < MANY; i++)
		assert_false(fbpf_nodes_forget(&f->bs, ids[i], 2));
	for (i = 0; i < MANY; i++)
		assert_false(fbpf_nodes_serves(&f->bs, ids[i]));
	assert_int_equal(count_fds(), f->fds_before);
}

static void *hammer(void *arg)
{
	struct fixture *f = arg;
	char name[32];
	int r, i;

	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < SHARED; i++) {
			fuse_ino_t id;
			struct fbpf_node *n;

			snprintf(name, sizeof(name), "s%d", i);
			id = add_name(f, name);
			n = fbpf_node_get(&f->bs, id);
			if (!n || n->id != id)
				return (void *)1;
			fbpf_node_put(&f->bs, n);
			fbpf_nodes_forget(&f->bs, id, 1);
		}
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct fixture *f = *state;
	pthread_t th[THREADS];
	char name[32];
	void *ret;
	int i;

	for (i = 0; i < SHARED; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		close(make_file(f, name));
	}
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, f), 0);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
	/* Every lookup was forgotten: nothing is left open. */
	assert_int_equal(count_fds(), f->fds_before);
}

static void test_open_counts(void **state)
{
	struct fixture *f = *state;
	struct fbpf_node *n;
	fuse_ino_t id;
	int fd;

	close(make_file(f, "o"));
	id = add_name(f, "o");
	n = fbpf_node_get(&f->bs, id);
	assert_non_null(n);
	fd = openat(f->dirfd, "o", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fbpf_node_open_begin(&f->bs, n, fd), 0);
	assert_int_equal(n->nopen, 1);
	fbpf_node_open_end(&f->bs, n);
	assert_int_equal(n->nopen, 0);
	/*
	 * Passthrough mode with a kernel that refuses the backing file:
	 * the open falls back to an ordinary one.
	 */
	atomic_store(&f->bs.mode, FUSE_BPF_MODE_PASSTHROUGH);
	assert_int_equal(fbpf_node_open_begin(&f->bs, n, fd), 0);
	assert_int_equal(fbpf_node_open_begin(&f->bs, n, fd), 0);
	assert_int_equal(n->nopen, 2);
	fbpf_node_open_end(&f->bs, n);
	fbpf_node_open_end(&f->bs, n);
	assert_int_equal(n->nopen, 0);
	assert_int_equal(n->backing_id, 0);
	close(fd);
	fbpf_node_put(&f->bs, n);
}

/* ---------------------------------------------------------------------- */
/* Through a real mount                                                   */
/* ---------------------------------------------------------------------- */

#define PLAIN_INO 2

static char m_src[64], m_mnt[64];
static struct fuse_bpf_session *m_bs;
static pthread_t m_loop;

static int src_stat(const char *name, struct stat *st)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", m_src, name);
	return lstat(path, st) ? -errno : 0;
}

/* The daemon: "backed" gets a backing, "plain" is its own node 2. */
static void d_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = { .attr_timeout = 1, .entry_timeout = 1 };
	struct fuse_bpf_block b = { .type = FUSE_ENTRY_BACKING };
	char path[128];
	int err;

	if (parent != FUSE_ROOT_ID || (strcmp(name, "backed") &&
				       strcmp(name, "plain"))) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	err = src_stat(name, &e.attr);
	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	if (strcmp(name, "plain") == 0) {
		e.ino = PLAIN_INO;
		fuse_reply_entry(req, &e);
		return;
	}
	e.ino = 3;
	snprintf(path, sizeof(path), "%s/%s", m_src, name);
	b.fd = open(path, O_RDONLY | O_DIRECTORY);
	err = fuse_bpf_reply_entry(req, &e, &b, 1);
	close(b.fd);
	if (err)
		fuse_reply_err(req, -err);
}

static void d_getattr(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi)
{
	struct stat st;
	int err = src_stat(ino == FUSE_ROOT_ID ? "." : "plain", &st);

	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_attr(req, &st, 1);
}

static void d_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	fuse_reply_none(req);
}

static const struct fuse_lowlevel_ops d_ops = {
	.lookup = d_lookup,
	.getattr = d_getattr,
	.forget = d_forget,
};

static void *loop_main(void *arg)
{
	fuse_session_loop(fuse_bpf_session_fuse(m_bs));
	return NULL;
}

/*
 * The fds of this process (the daemon's) once the kernel has forgotten
 * every node it can: drop the dentry and inode caches until the count
 * stays put.
 */
static int settled_fds(void)
{
	int fd, n = count_fds(), prev = -1, i;

	sync();
	for (i = 0; i < 50 && n != prev; i++) {
		fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "2", 1), 1);
		close(fd);
		usleep(100000);
		prev = n;
		n = count_fds();
	}
	return n;
}

/* The source tree; 0, 77 (skip) or -1. */
static int mount_prepare(enum fuse_bpf_mode mode)
{
	char path[128];

	if (getuid() != 0 || access("/dev/fuse", R_OK | W_OK)) {
		printf("SKIP: needs root and /dev/fuse\n");
		return 77;
	}
	if (mode == FUSE_BPF_MODE_PASSTHROUGH &&
	    !(fuse_bpf_probe_kernel() & FUSE_BPF_CAP_PASSTHROUGH)) {
		printf("SKIP: the kernel offers no passthrough\n");
		return 77;
	}
	strcpy(m_src, "/tmp/fbpf-nodes-src-XXXXXX");
	strcpy(m_mnt, "/tmp/fbpf-nodes-mnt-XXXXXX");
	if (!mkdtemp(m_src))
		return -1;
	if (!mkdtemp(m_mnt)) {
		m_mnt[0] = '\0';
		return -1;
	}
	chmod(m_src, 0755);
	snprintf(path, sizeof(path), "%s/backed", m_src);
	mkdir(path, 0777);
	chmod(path, 0777);
	snprintf(path, sizeof(path), "%s/backed/shared", m_src);
	mkdir(path, 0770);
	if (chown(path, 0, 4242) || chmod(path, 0770))
		return -1;
	snprintf(path, sizeof(path), "%s/backed/file", m_src);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	snprintf(path, sizeof(path), "%s/plain", m_src);
	mkdir(path, 0777);
	return 0;
}

static int mount_start(enum fuse_bpf_mode mode)
{
	static char *argv[] = { "test_nodes", "-o", "allow_other", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse_bpf_config *cfg;

	cfg = fuse_bpf_config_new();
	if (!cfg || fuse_bpf_config_set_mode(cfg, mode))
		return -1;
	m_bs = fuse_bpf_session_new(&args, &d_ops, sizeof(d_ops), NULL, cfg);
	fuse_bpf_config_destroy(cfg);
	fuse_opt_free_args(&args);
	if (!m_bs || fuse_bpf_session_mount(m_bs, m_mnt))
		return -1;
	if (pthread_create(&m_loop, NULL, loop_main, NULL))
		return -1;
	return 0;
}

static void mount_stop(void)
{
	if (m_bs) {
		fuse_session_exit(fuse_bpf_session_fuse(m_bs));
		fuse_bpf_session_unmount(m_bs);
		pthread_join(m_loop, NULL);
		fuse_bpf_session_destroy(m_bs);
	}
}

static int in_mnt(char *buf, const char *name)
{
	return snprintf(buf, 128, "%s/%s", m_mnt, name);
}

static void test_mount_exdev(void **state)
{
	char a[128], b[128];

	in_mnt(a, "backed/file");
	in_mnt(b, "plain/file");
	assert_int_equal(rename(a, b), -1);
	assert_int_equal(errno, EXDEV);
	assert_int_equal(link(a, b), -1);
	assert_int_equal(errno, EXDEV);
	/* Within the backed tree both work. */
	in_mnt(b, "backed/file2");
	assert_int_equal(link(a, b), 0);
	assert_int_equal(rename(b, a), 0);
}

static void test_mount_groups(void **state)
{
	char path[128], lower[128];
	struct stat st;
	pid_t pid;
	int status;

	in_mnt(path, "backed/shared/made");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		gid_t g = 4242;

		/* Only the supplementary group opens "shared". */
		if (setgroups(1, &g) || setgid(65534) || setuid(65534))
			_exit(2);
		if (mkdir(path, 0750)) {
			perror("mkdir as uid 65534 with group 4242");
			_exit(1);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	snprintf(lower, sizeof(lower), "%s/backed/shared/made", m_src);
	assert_int_equal(lstat(lower, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_gid, 65534);
	assert_int_equal(st.st_mode & 07777, 0750);
}

static void test_mount_no_fd_left(void **state)
{
	char path[128];
	struct stat st;
	int before, i, fd;

	before = settled_fds();
	for (i = 0; i < 200; i++) {
		snprintf(path, sizeof(path), "%s/backed/n%d", m_mnt, i);
		fd = open(path, O_CREAT | O_RDWR, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "x", 1), 1);
		close(fd);
		assert_int_equal(stat(path, &st), 0);
	}
	assert_true(count_fds() >= before + 200);
	/* Every node forgotten: every backing fd closed. */
	assert_int_equal(settled_fds(), before);
}

/* Seconds the mount tests may take before they are killed. */
#define MOUNT_TIMEOUT 100

/*
 * The tests (and the daemon) run in a child; the parent cleans up the
 * mount and the trees whatever becomes of it, a timeout included.
 */
static int run_mount_tests(const char *mode_name)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mount_exdev),
		cmocka_unit_test(test_mount_groups),
		cmocka_unit_test(test_mount_no_fd_left),
	};
	enum fuse_bpf_mode mode;
	char cmd[160];
	int ret, status, i;
	pid_t pid;

	if (fuse_bpf_mode_parse(mode_name, &mode))
		return 1;
	ret = mount_prepare(mode);
	if (ret == 0) {
		fflush(NULL);
		pid = fork();
		if (pid == 0) {
			ret = mount_start(mode);
			if (ret == 0)
				ret = cmocka_run_group_tests_name(mode_name,
								  tests, NULL,
								  NULL);
			else
				fprintf(stderr, "mount setup failed\n");
			mount_stop();
			_exit(ret ? 1 : 0);
		}
		ret = 1;
		for (i = 0; pid > 0 && i < MOUNT_TIMEOUT * 10; i++) {
			if (waitpid(pid, &status, WNOHANG) == pid) {
				ret = WIFEXITED(status) ?
				      WEXITSTATUS(status) : 1;
				pid = 0;
			}
			usleep(100000);
		}
		if (pid > 0) {
			fprintf(stderr, "mount tests timed out\n");
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
	}
	if (m_mnt[0])
		umount2(m_mnt, MNT_DETACH);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", m_src, m_mnt);
	if (m_src[0] && system(cmd))
		fprintf(stderr, "cleanup of %s failed\n", m_src);
	return ret < 0 ? 1 : ret;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--mount") == 0)
		return run_mount_tests(argv[2]);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_detach, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hard_links_share_a_node,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reference_outlives_forget,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_nodes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_counts, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
