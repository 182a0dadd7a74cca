// SPDX-License-Identifier: GPL-2.0-only
/*
 * passthrough_bpf: mirror a directory through libfuse-bpf.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */

/**
 * @file passthrough_bpf.c
 *
 * Mirror SOURCE on MOUNTPOINT by backing the root of the mount with SOURCE.
 * The daemon itself serves nothing: on a fuse-bpf kernel the kernel serves
 * every operation, elsewhere libfuse-bpf serves them from the backing
 * directory (mode `userspace`), with file data through upstream FUSE
 * passthrough where the kernel and the process allow it (mode
 * `passthrough`).
 *
 * Usage:
 *
 *     passthrough_bpf [options] SOURCE MOUNTPOINT
 *
 * Options are libfuse's (`-f`, `-d`, `-s`, `-o opt,...`, `-h`, `-V`) plus
 *
 * - `--mode=auto|fuse-bpf|passthrough|userspace`: force a mode; a mode the
 *   kernel cannot give fails the mount instead of falling back;
 * - `--stats=FILE`: write the request counters as JSON when the file
 *   system is unmounted or the daemon is stopped with SIGTERM or SIGINT;
 * - `--threads`: the multi-threaded loop, the default since `-s` selects
 *   the single-threaded one (kept for scripts that pass it).
 *
 * The active mode is printed to stderr once INIT is done, before the
 * daemon detaches ("passthrough_bpf: mode userspace").  The exit status is
 * non-zero when the mount, INIT, the session loop or writing the
 * statistics failed; being stopped by SIGTERM, SIGINT or an unmount is
 * not a failure.
 *
 * Build: `gcc -Wall passthrough_bpf.c $(pkg-config --cflags --libs fuse-bpf)`
 */

#define FUSE_USE_VERSION 34

#include <fuse_bpf.h>
#include <fuse_lowlevel.h>
#include <fuse_opt.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pt_options {
	char *mode;
	char *stats;
	int threads;
	char *source;
};

struct pt_state {
	struct fuse_bpf_session *bs;
	int init_done;
};

#define PT_OPT(t, p) { t, offsetof(struct pt_options, p), 1 }

static const struct fuse_opt pt_spec[] = {
	PT_OPT("--mode=%s", mode),
	PT_OPT("--stats=%s", stats),
	PT_OPT("--threads", threads),
	FUSE_OPT_END
};

/* The first non-option is SOURCE; the second stays for fuse_parse_cmdline. */
static int pt_opt_proc(void *data, const char *arg, int key,
		       struct fuse_args *outargs)
{
	struct pt_options *o = data;

	if (key != FUSE_OPT_KEY_NONOPT || o->source)
		return 1;
	o->source = strdup(arg);
	return o->source ? 0 : -1;
}

static void pt_init(void *userdata, struct fuse_conn_info *conn)
{
	struct pt_state *st = userdata;

	fprintf(stderr, "passthrough_bpf: mode %s\n",
		fuse_bpf_mode_name(fuse_bpf_session_mode(st->bs)));
	st->init_done = 1;
}

static const struct fuse_lowlevel_ops pt_ops = {
	.init = pt_init,
};

static void usage(const char *prog)
{
	printf("usage: %s [options] SOURCE MOUNTPOINT\n\n"
	       "Mirror SOURCE on MOUNTPOINT through libfuse-bpf.\n\n"
	       "    --mode=MODE            auto, fuse-bpf, passthrough or userspace\n"
	       "    --stats=FILE           write request counters (JSON) at exit\n"
	       "    --threads              the multi-threaded loop (the default)\n"
	       "    -h   --help            print help\n"
	       "    -V   --version         print version\n"
	       "    -d   -o debug          enable debug output (implies -f)\n"
	       "    -f                     foreground operation\n"
	       "    -s                     single-threaded loop (default: multi-threaded)\n"
	       "    -o max_idle_threads=N  the maximum number of idle worker threads\n"
	       "                           allowed (default: -1)\n"
	       "    -o OPT[,OPT...]        mount options such as fsname=, subtype= or ro;\n"
	       "                           the mount always has allow_other and\n"
	       "                           default_permissions; allow_root,\n"
	       "                           auto_unmount and clone_fd are refused\n",
	       prog);
}

/* Absolute form of @path, since the daemon changes to / when detaching. */
static char *absolute_path(const char *path)
{
	char *cwd, *abs = NULL;

	if (path[0] == '/')
		return strdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	if (asprintf(&abs, "%s/%s", cwd, path) < 0)
		abs = NULL;
	free(cwd);
	return abs;
}

static int write_stats(struct fuse_bpf_session *bs, const char *path)
{
	FILE *f = fopen(path, "w");
	int err;

	if (!f) {
		fprintf(stderr, "passthrough_bpf: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	err = fuse_bpf_session_write_stats(bs, f);
	if (fclose(f) != 0 || err)
		return -1;
	return 0;
}

/* Serve INIT before detaching, so that its outcome sets the exit status. */
static int serve_init(struct fuse_session *se, struct pt_state *st)
{
	struct fuse_buf buf = { .mem = NULL };
	int res = 0;

	while (!st->init_done && !fuse_session_exited(se)) {
		res = fuse_session_receive_buf(se, &buf);
		if (res == -EINTR)
			continue;
		if (res <= 0)
			break;
		fuse_session_process_buf(se, &buf);
	}
	free(buf.mem);
	if (fuse_bpf_session_error(st->bs) || !st->init_done)
		return -1;
	return 0;
}

/* Add "-o fsname=SOURCE,subtype=passthrough_bpf" ahead of the user's -o. */
static int add_default_opts(struct fuse_args *args, const char *source)
{
	char *opts = NULL;
	int err;

	err = fuse_opt_add_opt(&opts, "subtype=passthrough_bpf");
	if (!err)
		err = fuse_opt_add_opt(&opts, "fsname=");
	if (!err) {
		/* fuse_opt_add_opt_escaped() would insert a comma first. */
		char *escaped = NULL;

		err = fuse_opt_add_opt_escaped(&escaped, source);
		if (!err) {
			char *joined = NULL;

			if (asprintf(&joined, "%s%s", opts, escaped) < 0)
				err = -1;
			free(opts);
			opts = joined;
		}
		free(escaped);
	}
	if (!err)
		err = fuse_opt_insert_arg(args, 1, "-o");
	if (!err)
		err = fuse_opt_insert_arg(args, 2, opts);
	free(opts);
	return err ? -1 : 0;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct pt_options o = { 0 };
	struct fuse_cmdline_opts cl = { 0 };
	struct pt_state st = { 0 };
	struct fuse_bpf_config *cfg = NULL;
	struct fuse_session *se;
	enum fuse_bpf_mode mode = FUSE_BPF_MODE_AUTO;
	char *stats = NULL;
	int ret = 1, srcfd = -1, err;

	if (fuse_opt_parse(&args, &o, pt_spec, pt_opt_proc) == -1)
		goto out;
	if (fuse_parse_cmdline(&args, &cl) != 0)
		goto out;
	if (cl.show_help) {
		usage(argv[0]);
		ret = 0;
		goto out;
	}
	if (cl.show_version) {
		printf("passthrough_bpf (libfuse-bpf %d.%d.%d), libfuse %s\n",
		       FUSE_BPF_VERSION / 10000, FUSE_BPF_VERSION / 100 % 100,
		       FUSE_BPF_VERSION % 100, fuse_pkgversion());
		ret = 0;
		goto out;
	}
	if (!o.source || !cl.mountpoint) {
		fprintf(stderr, "usage: %s [options] SOURCE MOUNTPOINT\n"
			"       %s -h for the options\n", argv[0], argv[0]);
		goto out;
	}
	if (cl.clone_fd) {
		fprintf(stderr, "passthrough_bpf: -o clone_fd is not supported (libfuse-bpf reads requests through fuse_session_custom_io())\n");
		goto out;
	}
	if (o.mode && fuse_bpf_mode_parse(o.mode, &mode) < 0) {
		fprintf(stderr, "passthrough_bpf: unknown mode '%s'\n", o.mode);
		goto out;
	}
	if (o.stats) {
		stats = absolute_path(o.stats);
		if (!stats) {
			fprintf(stderr, "passthrough_bpf: out of memory\n");
			goto out;
		}
	}
	srcfd = open(o.source, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (srcfd < 0) {
		fprintf(stderr, "passthrough_bpf: %s: %s\n", o.source,
			strerror(errno));
		goto out;
	}
	cfg = fuse_bpf_config_new();
	if (!cfg || fuse_bpf_config_set_mode(cfg, mode) < 0 ||
	    fuse_bpf_config_set_root_backing(cfg, srcfd) < 0)
		goto out;
	if (add_default_opts(&args, o.source) < 0)
		goto out;

	st.bs = fuse_bpf_session_new(&args, &pt_ops, sizeof(pt_ops), &st, cfg);
	/* The session keeps a copy: nothing is left to free after a fork. */
	fuse_bpf_config_destroy(cfg);
	cfg = NULL;
	if (!st.bs)
		goto out;
	se = fuse_bpf_session_fuse(st.bs);
	if (fuse_set_signal_handlers(se) != 0)
		goto out_session;
	err = fuse_bpf_session_mount(st.bs, cl.mountpoint);
	if (err) {
		fprintf(stderr, "passthrough_bpf: cannot mount %s: %s\n",
			cl.mountpoint, strerror(-err));
		goto out_signals;
	}
	if (serve_init(se, &st) < 0) {
		fprintf(stderr, "passthrough_bpf: INIT failed%s%s\n",
			fuse_bpf_session_error(st.bs) ? ": " : "",
			fuse_bpf_session_error(st.bs) ?
			strerror(-fuse_bpf_session_error(st.bs)) : "");
		goto out_unmount;
	}
	if (fuse_daemonize(cl.foreground) != 0)
		goto out_unmount;

	if (cl.singlethread) {
		ret = fuse_session_loop(se);
	} else {
		struct fuse_loop_config lc = {
			.clone_fd = 0,
			.max_idle_threads = cl.max_idle_threads,
		};

		ret = fuse_session_loop_mt(se, &lc);
	}
	/* A positive value is the signal that stopped the loop: no failure. */
	ret = ret < 0 ? 1 : 0;
	if (stats && write_stats(st.bs, stats) < 0)
		ret = 1;

out_unmount:
	fuse_bpf_session_unmount(st.bs);
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_bpf_session_destroy(st.bs);
out:
	if (srcfd >= 0)
		close(srcfd);
	fuse_bpf_config_destroy(cfg);
	free(cl.mountpoint);
	free(o.mode);
	free(o.stats);
	free(o.source);
	free(stats);
	fuse_opt_free_args(&args);
	return ret;
}
