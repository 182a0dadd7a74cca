// SPDX-License-Identifier: GPL-2.0-only
/*
 * Multi-threaded LOOKUP through libfuse-bpf: the reply path of
 * fuse_bpf_reply_entry() with a backing block, under contention.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 *
 * usage: fbpf-lookup-mt [-t THREADS[,THREADS...]] [-s SECONDS] [-r RUNS] DIR
 *
 * Mounts a daemon on DIR/mnt in mode userspace (it needs root: backing
 * needs CAP_SYS_ADMIN) whose LOOKUP handler backs every name of the root
 * with one file, DIR/src/f, and runs libfuse's multi-threaded loop.  For
 * each thread count, that many threads stat distinct new names through
 * the mount for SECONDS, RUNS times; every stat is one LOOKUP that reaches
 * the daemon and is answered with fuse_bpf_reply_entry().  Prints, per
 * thread count, the LOOKUPs per second of each run (from the session's
 * counters) and their median.
 */
#define FUSE_USE_VERSION 34

#include <fuse_bpf.h>
#include <fuse_lowlevel.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
#define MAX_RUNS 15

static int file_fd = -1;	/* the backing of every name */
static int src_fd = -1;		/* the root's attributes */

static void bl_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_bpf_block b = { .type = FUSE_ENTRY_BACKING, .fd = file_fd };
	struct fuse_entry_param e;
	int err;

	memset(&e, 0, sizeof(e));
	if (parent != FUSE_ROOT_ID || fstat(file_fd, &e.attr) < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	e.ino = 2;
	e.attr_timeout = 3600;
	err = fuse_bpf_reply_entry(req, &e, &b, 1);
	if (err)
		fuse_reply_err(req, -err);
}

static void bl_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct stat st;

	if (ino != FUSE_ROOT_ID || fstat(src_fd, &st) < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	st.st_ino = FUSE_ROOT_ID;
	fuse_reply_attr(req, &st, 3600);
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = bl_lookup,
	.getattr = bl_getattr,
};

static struct {
	int mnt_fd;
	atomic_bool stop;
	unsigned int run;
} bench;

static void *client(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg;
	char name[64];
	struct stat st;
	unsigned long i;

	for (i = 0; !atomic_load(&bench.stop); i++) {
		snprintf(name, sizeof(name), "r%u_t%u_%lu", bench.run, id, i);
		if (fstatat(bench.mnt_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			perror(name);
			exit(1);
		}
	}
	return NULL;
}

static void *loop(void *arg)
{
	/* clone_fd is not supported by libfuse-bpf. */
	struct fuse_loop_config cfg = {
		.clone_fd = 0,
		.max_idle_threads = MAX_THREADS,
	};

	fuse_session_loop_mt(arg, &cfg);
	return NULL;
}

static uint64_t lookups(struct fuse_bpf_session *bs)
{
	struct fuse_bpf_op_stats st;

	fuse_bpf_session_op_stats(bs, FUSE_LOOKUP, &st);
	return st.daemon;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One run of @n threads for @secs seconds: LOOKUPs per second. */
static double one_run(struct fuse_bpf_session *bs, unsigned int n,
		      double secs)
{
	pthread_t th[MAX_THREADS];
	uint64_t before = lookups(bs);
	double start = now(), end;
	unsigned int i;

	atomic_store(&bench.stop, false);
	for (i = 0; i < n; i++)
		pthread_create(&th[i], NULL, client, (void *)(uintptr_t)i);
	usleep((useconds_t)(secs * 1e6));
	atomic_store(&bench.stop, true);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	end = now();
	bench.run++;
	return (double)(lookups(bs) - before) / (end - start);
}

int main(int argc, char **argv)
{
	unsigned int counts[MAX_THREADS], ncounts = 0, runs = 5, c, r;
	char *list = "1,2,4", *tok, *save, path[4096];
	double secs = 2.0, res[MAX_RUNS];
	struct fuse_bpf_config *cfg;
	struct fuse_bpf_session *bs;
	pthread_t loop_th;
	int opt;

	while ((opt = getopt(argc, argv, "t:s:r:")) != -1) {
		if (opt == 't')
			list = optarg;
		else if (opt == 's')
			secs = atof(optarg);
		else if (opt == 'r')
			runs = (unsigned int)atoi(optarg);
		else
			return 2;
	}
	if (optind != argc - 1 || runs < 1 || runs > MAX_RUNS || secs <= 0) {
		fprintf(stderr, "usage: %s [-t THREADS,...] [-s SECONDS] [-r RUNS] DIR\n",
			argv[0]);
		return 2;
	}
	for (tok = strtok_r(list, ",", &save); tok && ncounts < MAX_THREADS;
	     tok = strtok_r(NULL, ",", &save)) {
		c = (unsigned int)atoi(tok);
		if (c < 1 || c > MAX_THREADS)
			return 2;
		counts[ncounts++] = c;
	}

	snprintf(path, sizeof(path), "%s/src", argv[optind]);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return perror(path), 1;
	src_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/src/f", argv[optind]);
	file_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	snprintf(path, sizeof(path), "%s/mnt", argv[optind]);
	if (src_fd < 0 || file_fd < 0 ||
	    (mkdir(path, 0755) < 0 && errno != EEXIST))
		return perror(path), 1;

	cfg = fuse_bpf_config_new();
	if (!cfg || fuse_bpf_config_set_mode(cfg, FUSE_BPF_MODE_USERSPACE))
		return 1;
	bs = fuse_bpf_session_new(NULL, &ops, sizeof(ops), NULL, cfg);
	fuse_bpf_config_destroy(cfg);
	if (!bs || fuse_bpf_session_mount(bs, path))
		return 1;
	pthread_create(&loop_th, NULL, loop, fuse_bpf_session_fuse(bs));
	bench.mnt_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (bench.mnt_fd < 0)
		return perror(path), 1;

	printf("threads  lookups/s per run                          median\n");
	for (c = 0; c < ncounts; c++) {
		printf("%7u ", counts[c]);
		for (r = 0; r < runs; r++) {
			res[r] = one_run(bs, counts[c], secs);
			printf(" %7.0f", res[r]);
			fflush(stdout);
		}
		qsort(res, runs, sizeof(res[0]), cmp_double);
		printf("  %7.0f\n", res[runs / 2]);
	}

	close(bench.mnt_fd);
	fuse_session_exit(fuse_bpf_session_fuse(bs));
	fuse_bpf_session_unmount(bs);
	pthread_join(loop_th, NULL);
	fuse_bpf_session_destroy(bs);
	close(file_fd);
	close(src_fd);
	return 0;
}
