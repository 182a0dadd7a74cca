/* SPDX-License-Identifier: LGPL-2.1-only */
/*
 * libfuse-bpf: the backed-node table, as seen by the backing*.c files.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#ifndef FUSE_BPF_NODES_I_H_
#define FUSE_BPF_NODES_I_H_

#include "fuse_bpf_i.h"

#include <dirent.h>
#include <sys/stat.h>

/*
 * A backed node.  The backing fields (fd, dev, ino, type) never change
 * after creation, so a caller holding a reference (fbpf_node_get()) may use
 * them without locking; the fd stays open until the last reference is
 * dropped.  Everything else belongs to nodes.c.
 */
struct fbpf_node {
	fuse_ino_t id;
	int fd;				/* O_PATH fd of the backing object */
	dev_t dev;			/* lower st_dev */
	ino_t ino;			/* lower st_ino */
	mode_t type;			/* S_IFMT bits */

	/* Guarded by the table lock. */
	uint64_t nlookup;
	unsigned int refs;
	bool daemon;			/* node id handed out by the daemon */
	bool linked;			/* reachable through the table */
	struct fbpf_node *id_next;
	struct fbpf_node *ino_next;

	/* Guarded by open_lock: files and directories open on the node. */
	pthread_mutex_t open_lock;
	unsigned int nopen;
	int backing_id;			/* > 0: passthrough backing id */
	bool detach_pending;		/* detach at the last release */
};

/*
 * A directory stream opened for the kernel (OPENDIR).  RELEASEDIR normally
 * frees it; the table keeps the streams still open so that a session torn
 * down before the kernel released them does not leak them.
 */
struct fbpf_dir {
	struct fbpf_dir *prev, *next;	/* guarded by the table lock */
	DIR *dp;
	off_t offset;			/* where the stream stands */
	struct dirent *entry;		/* read but not yet sent */
};

/* Keep @d on the table's list of open streams until untracked. */
void fbpf_nodes_dir_track(struct fuse_bpf_session *bs, struct fbpf_dir *d);
void fbpf_nodes_dir_untrack(struct fuse_bpf_session *bs, struct fbpf_dir *d);

/* The node @ino with one more reference, or NULL when it is not served. */
struct fbpf_node *fbpf_node_get(struct fuse_bpf_session *bs, fuse_ino_t ino);
/* Drop a reference taken by fbpf_node_get(); NULL is ignored. */
void fbpf_node_put(struct fuse_bpf_session *bs, struct fbpf_node *node);

/*
 * One more lookup reference on the library node for the lower inode
 * described by @st, creating it (backed by @fd) when there is none.
 * Takes ownership of @fd in every case.  Stores the node id in @id.
 * Returns 0 or a negative errno.
 */
int fbpf_nodes_add(struct fuse_bpf_session *bs, int fd, const struct stat *st,
		   fuse_ino_t *id);

/*
 * A file or directory is being opened on @node; @fd is its open file
 * (readable or writable).  In passthrough mode the first open of a regular
 * file registers a backing id that later opens share while any stays open.
 * Returns the backing id to reply with, or 0 for an ordinary open.  While
 * anything is open on a daemon's node, fbpf_nodes_detach() waits for the
 * last release, so that no handle of the library ever reaches the daemon.
 */
int fbpf_node_open_begin(struct fuse_bpf_session *bs, struct fbpf_node *node,
			 int fd);
/* What fbpf_node_open_begin() opened was released. */
void fbpf_node_open_end(struct fuse_bpf_session *bs, struct fbpf_node *node);

#endif /* FUSE_BPF_NODES_I_H_ */
