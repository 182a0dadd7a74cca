// SPDX-License-Identifier: LGPL-2.1-only
/*
 * libfuse-bpf: directory streams of backed directories: opendir, readdir
 * and readdirplus (which makes a node of each name it lists), releasedir
 * and fsyncdir.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#include "backing_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct fbpf_dir *dir_of(const struct fuse_file_info *fi)
{
	return (struct fbpf_dir *)(uintptr_t)fi->fh;
}

void fbpf_bop_opendir(const struct fbpf_req *r, fuse_ino_t ino,
			struct fuse_file_info *fi)
{
	fuse_req_t req = r->req;
	struct fuse_bpf_session *bs = r->bs;
	struct fbpf_node *n = fbpf_node_or_reply(r, ino);
	char path[FBPF_PROC_PATH_MAX];
	struct fbpf_dir *d;
	struct fbpf_creds c;
	int fd = -1, err;

	if (!n)
		return;
	/*
	 * Through the magic link, not openat(fd, "."): opening a directory
	 * needs read permission on it, not search permission.
	 */
	fbpf_proc_path(path, n->fd);
	d = calloc(1, sizeof(*d));
	err = d ? fbpf_creds_enter(req, &c, false) : -ENOMEM;
	if (!err) {
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			err = -errno;
		fbpf_creds_restore(&c);
	}
	if (!err) {
		d->dp = fdopendir(fd);
		if (!d->dp) {
			err = -errno;
			close(fd);
		}
	}
	if (err) {
		free(d);
		fuse_reply_err(req, -err);
		fbpf_node_put(bs, n);
		return;
	}
	fi->fh = (uintptr_t)d;
	fi->keep_cache = 0;
	fi->cache_readdir = 0;
	fbpf_node_open_begin(bs, n, fd);
	fbpf_nodes_dir_track(bs, d);
	if (fuse_reply_open(req, fi)) {
		fbpf_nodes_dir_untrack(bs, d);
		closedir(d->dp);
		free(d);
		fbpf_node_open_end(bs, n);
	}
	fbpf_node_put(bs, n);
}

static bool is_dot_or_dotdot(const char *name)
{
	return name[0] == '.' &&
	       (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* Entries a readdirplus reply of @size bytes can hold at most. */
static size_t plus_capacity(fuse_req_t req, size_t size)
{
	return size / fuse_add_direntry_plus(req, NULL, 0, "", NULL, 0) + 1;
}

static void do_readdir(const struct fbpf_req *r, size_t size, off_t off,
		       struct fuse_file_info *fi, bool plus)
{
	fuse_req_t req = r->req;
	struct fuse_bpf_session *bs = r->bs;
	struct fbpf_dir *d = dir_of(fi);
	fuse_ino_t *ids = NULL;
	size_t nids = 0, used = 0, i;
	char *buf;
	int err = 0;

	buf = malloc(size ? size : 1);
	if (plus && buf)
		ids = calloc(plus_capacity(req, size), sizeof(*ids));
	if (!buf || (plus && !ids)) {
		free(buf);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (off != d->offset) {
		seekdir(d->dp, off);
		d->entry = NULL;
		d->offset = off;
	}
	for (;;) {
		struct fuse_entry_param e;
		const char *name;
		size_t len;
		off_t next;

		if (!d->entry) {
			errno = 0;
			d->entry = readdir(d->dp);
			if (!d->entry) {
				err = -errno;
				break;
			}
		}
		name = d->entry->d_name;
		next = d->entry->d_off;
		memset(&e, 0, sizeof(e));
		e.attr.st_ino = d->entry->d_ino;
		e.attr.st_mode = (mode_t)DTTOIF(d->entry->d_type);
		if (!plus) {
			len = fuse_add_direntry(req, buf + used, size - used,
						name, &e.attr, next);
		} else if (is_dot_or_dotdot(name)) {
			/* No node id: the kernel takes no reference. */
			len = fuse_add_direntry_plus(req, buf + used,
						     size - used, name, &e,
						     next);
		} else {
			len = fuse_add_direntry_plus(req, NULL, 0, name,
						     NULL, 0);
			if (len > size - used)
				break;
			err = fbpf_lookup_at(bs, dirfd(d->dp), name, &e);
			if (err == -ENOENT) {
				/* Gone since it was read: skip it. */
				d->entry = NULL;
				d->offset = next;
				err = 0;
				continue;
			}
			if (err) {
				/*
				 * No node (out of fds, say): list the name
				 * without attributes, a LOOKUP follows.
				 */
				memset(&e, 0, sizeof(e));
				e.attr.st_ino = d->entry->d_ino;
				e.attr.st_mode =
					(mode_t)DTTOIF(d->entry->d_type);
				err = 0;
			} else {
				ids[nids++] = e.ino;
			}
			len = fuse_add_direntry_plus(req, buf + used,
						     size - used, name, &e,
						     next);
		}
		if (len > size - used)
			break;
		used += len;
		d->entry = NULL;
		d->offset = next;
	}
	if (err && used == 0) {
		fuse_reply_err(req, -err);
	} else if (fuse_reply_buf(req, buf, used)) {
		/* The kernel never saw these entries. */
		for (i = 0; i < nids; i++)
			fbpf_nodes_forget(bs, ids[i], 1);
	}
	free(ids);
	free(buf);
}

void fbpf_bop_readdir(const struct fbpf_req *r, fuse_ino_t ino, size_t size,
			off_t off, struct fuse_file_info *fi)
{
	do_readdir(r, size, off, fi, false);
}

void fbpf_bop_readdirplus(const struct fbpf_req *r, fuse_ino_t ino, size_t size,
			    off_t off, struct fuse_file_info *fi)
{
	do_readdir(r, size, off, fi, true);
}

void fbpf_bop_releasedir(const struct fbpf_req *r, fuse_ino_t ino,
			   struct fuse_file_info *fi)
{
	fuse_req_t req = r->req;
	struct fuse_bpf_session *bs = r->bs;
	struct fbpf_node *n = fbpf_node_get(bs, ino);
	struct fbpf_dir *d = dir_of(fi);

	fbpf_nodes_dir_untrack(bs, d);
	closedir(d->dp);
	free(d);
	if (n) {
		fbpf_node_open_end(bs, n);
		fbpf_node_put(bs, n);
	}
	fuse_reply_err(req, 0);
}

void fbpf_bop_fsyncdir(const struct fbpf_req *r, fuse_ino_t ino, int datasync,
			 struct fuse_file_info *fi)
{
	fuse_req_t req = r->req;
	int fd = dirfd(dir_of(fi)->dp);

	fuse_reply_err(req, (datasync ? fdatasync(fd) : fsync(fd)) ? errno : 0);
}
