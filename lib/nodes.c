// SPDX-License-Identifier: LGPL-2.1-only
/* Placeholder until the backed-node table lands. */
#include "fuse_bpf_i.h"

#include <errno.h>
#include <stdlib.h>

struct fbpf_nodes {
	int unused;
};

struct fbpf_nodes *fbpf_nodes_new(void)
{
	return calloc(1, sizeof(struct fbpf_nodes));
}

void fbpf_nodes_destroy(struct fbpf_nodes *nodes)
{
	free(nodes);
}

int fbpf_nodes_set_root(struct fuse_bpf_session *bs, int fd)
{
	return -ENOSYS;
}

int fbpf_nodes_attach(struct fuse_bpf_session *bs, fuse_ino_t ino, int fd)
{
	return -ENOSYS;
}

void fbpf_nodes_detach(struct fuse_bpf_session *bs, fuse_ino_t ino)
{
}

bool fbpf_nodes_serves(struct fuse_bpf_session *bs, fuse_ino_t ino)
{
	return false;
}

bool fbpf_nodes_forget(struct fuse_bpf_session *bs, fuse_ino_t ino,
		       uint64_t nlookup)
{
	return true;
}
