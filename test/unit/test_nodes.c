// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the backed-node table (lib/nodes.c): root and daemon
 * backings, library node ids, hard links sharing a node, lookup counts,
 * references outliving a FORGET, growth, threads, and that every backing
 * fd is closed again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nodes_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* What backing_ops does for a lookup: add with a fresh O_PATH fd. */
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

int main(void)
{
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
