// SPDX-License-Identifier: LGPL-2.1-only
/*
 * libfuse-bpf: the backed-node table.
 *
 * Every node the library serves has an entry here: the root (node 1) when
 * it is backed, daemon nodes whose LOOKUP reply carried a backing block,
 * and the nodes the library creates itself for names below backed
 * directories (ids with FBPF_LIB_NODEID set).  Two chained hash tables
 * give O(1) lookup by node id (all nodes) and by lower (st_dev, st_ino)
 * (library nodes only, so that hard links share one node id).  One mutex
 * guards both tables, the lookup counts and the reference counts; node
 * memory and the backing fd live until the last reference is dropped.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#include "nodes_i.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FBPF_NODES_MIN_BUCKETS 64

struct fbpf_nodes {
	pthread_mutex_t lock;
	struct fbpf_node **by_id;
	struct fbpf_node **by_ino;
	size_t nbuckets;		/* power of two, same for both tables */
	size_t count;			/* nodes in by_id */
	uint64_t next_id;		/* next library node id, without the bit */
	struct fbpf_dir *dirs;		/* directory streams still open */
};

static size_t hash_u64(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	v *= 0xc4ceb9fe1a85ec53ULL;
	v ^= v >> 33;
	return (size_t)v;
}

static size_t id_slot(const struct fbpf_nodes *t, fuse_ino_t id)
{
	return hash_u64(id) & (t->nbuckets - 1);
}

static size_t ino_slot(const struct fbpf_nodes *t, dev_t dev, ino_t ino)
{
	return hash_u64((uint64_t)ino ^ hash_u64(dev)) & (t->nbuckets - 1);
}

struct fbpf_nodes *fbpf_nodes_new(void)
{
	struct fbpf_nodes *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->nbuckets = FBPF_NODES_MIN_BUCKETS;
	t->by_id = calloc(t->nbuckets, sizeof(*t->by_id));
	t->by_ino = calloc(t->nbuckets, sizeof(*t->by_ino));
	if (!t->by_id || !t->by_ino || pthread_mutex_init(&t->lock, NULL)) {
		free(t->by_id);
		free(t->by_ino);
		free(t);
		return NULL;
	}
	t->next_id = 1;
	return t;
}

static void node_free(struct fbpf_node *n)
{
	close(n->fd);
	pthread_mutex_destroy(&n->open_lock);
	free(n);
}

void fbpf_nodes_destroy(struct fbpf_nodes *t)
{
	size_t i;

	if (!t)
		return;
	while (t->dirs) {
		struct fbpf_dir *d = t->dirs;

		t->dirs = d->next;
		closedir(d->dp);
		free(d);
	}
	for (i = 0; i < t->nbuckets; i++) {
		struct fbpf_node *n = t->by_id[i];

		while (n) {
			struct fbpf_node *next = n->id_next;

			node_free(n);
			n = next;
		}
	}
	pthread_mutex_destroy(&t->lock);
	free(t->by_id);
	free(t->by_ino);
	free(t);
}

/* Library nodes are in both tables, daemon nodes and the root only by id. */
static bool in_ino_table(const struct fbpf_node *n)
{
	return (n->id & FBPF_LIB_NODEID) != 0;
}

/* Double both tables when they get crowded; failure keeps the old ones. */
static void table_grow(struct fbpf_nodes *t)
{
	size_t size = t->nbuckets * 2, i;
	struct fbpf_node **by_id, **by_ino;

	by_id = calloc(size, sizeof(*by_id));
	by_ino = calloc(size, sizeof(*by_ino));
	if (!by_id || !by_ino) {
		free(by_id);
		free(by_ino);
		return;
	}
	for (i = 0; i < t->nbuckets; i++) {
		struct fbpf_node *n = t->by_id[i];

		while (n) {
			struct fbpf_node *next = n->id_next;
			size_t s = hash_u64(n->id) & (size - 1);

			n->id_next = by_id[s];
			by_id[s] = n;
			if (in_ino_table(n)) {
				s = hash_u64((uint64_t)n->ino ^
					     hash_u64(n->dev)) & (size - 1);
				n->ino_next = by_ino[s];
				by_ino[s] = n;
			}
			n = next;
		}
	}
	free(t->by_id);
	free(t->by_ino);
	t->by_id = by_id;
	t->by_ino = by_ino;
	t->nbuckets = size;
}

static void table_insert(struct fbpf_nodes *t, struct fbpf_node *n)
{
	size_t s;

	if (t->count >= t->nbuckets)
		table_grow(t);
	s = id_slot(t, n->id);
	n->id_next = t->by_id[s];
	t->by_id[s] = n;
	if (in_ino_table(n)) {
		s = ino_slot(t, n->dev, n->ino);
		n->ino_next = t->by_ino[s];
		t->by_ino[s] = n;
	}
	n->linked = true;
	t->count++;
}

static void table_remove(struct fbpf_nodes *t, struct fbpf_node *n)
{
	struct fbpf_node **pp;

	for (pp = &t->by_id[id_slot(t, n->id)]; *pp; pp = &(*pp)->id_next) {
		if (*pp == n) {
			*pp = n->id_next;
			break;
		}
	}
	if (in_ino_table(n)) {
		for (pp = &t->by_ino[ino_slot(t, n->dev, n->ino)]; *pp;
		     pp = &(*pp)->ino_next) {
			if (*pp == n) {
				*pp = n->ino_next;
				break;
			}
		}
	}
	n->linked = false;
	t->count--;
}

static struct fbpf_node *find_id(struct fbpf_nodes *t, fuse_ino_t id)
{
	struct fbpf_node *n;

	for (n = t->by_id[id_slot(t, id)]; n; n = n->id_next)
		if (n->id == id)
			return n;
	return NULL;
}

static struct fbpf_node *find_ino(struct fbpf_nodes *t, dev_t dev, ino_t ino)
{
	struct fbpf_node *n;

	for (n = t->by_ino[ino_slot(t, dev, ino)]; n; n = n->ino_next)
		if (n->dev == dev && n->ino == ino)
			return n;
	return NULL;
}

/* Unlink @n; it is freed now or when its last reference goes. */
static struct fbpf_node *table_retire(struct fbpf_nodes *t,
				      struct fbpf_node *n)
{
	table_remove(t, n);
	return n->refs ? NULL : n;
}

static struct fbpf_node *node_alloc(fuse_ino_t id, int fd,
				    const struct stat *st)
{
	struct fbpf_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	if (pthread_mutex_init(&n->open_lock, NULL)) {
		free(n);
		return NULL;
	}
	n->id = id;
	n->fd = fd;
	n->dev = st->st_dev;
	n->ino = st->st_ino;
	n->type = st->st_mode & S_IFMT;
	return n;
}

/* Duplicate @fd as an O_PATH fd of the same object; stat it. */
static int backing_dup(int fd, struct stat *st, const char *what)
{
	char path[32];
	int nfd;

	if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: %s: bad fd %d\n", what, fd);
		return -EBADF;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* Following the magic link yields the object itself, symlinks too. */
	nfd = open(path, O_PATH | O_CLOEXEC);
	if (nfd < 0) {
		int err = errno;

		fuse_log(FUSE_LOG_ERR, "fuse-bpf: %s: fd %d: %s\n", what, fd,
			 strerror(err));
		return -err;
	}
	if (fstatat(nfd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) {
		int err = errno;

		fuse_log(FUSE_LOG_ERR, "fuse-bpf: %s: stat fd %d: %s\n", what,
			 fd, strerror(err));
		close(nfd);
		return -err;
	}
	return nfd;
}

int fbpf_nodes_set_root(struct fuse_bpf_session *bs, int fd)
{
	struct fbpf_nodes *t = bs->nodes;
	struct fbpf_node *n, *old, *dead = NULL;
	struct stat st;
	int nfd;

	nfd = backing_dup(fd, &st, "root backing");
	if (nfd < 0)
		return nfd;
	if (!S_ISDIR(st.st_mode)) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: root backing is not a directory\n");
		close(nfd);
		return -ENOTDIR;
	}
	n = node_alloc(FUSE_ROOT_ID, nfd, &st);
	if (!n) {
		close(nfd);
		return -ENOMEM;
	}
	/* The kernel never forgets the root: one reference for ever. */
	n->nlookup = 1;
	pthread_mutex_lock(&t->lock);
	old = find_id(t, FUSE_ROOT_ID);
	if (old)
		dead = table_retire(t, old);
	table_insert(t, n);
	pthread_mutex_unlock(&t->lock);
	if (dead)
		node_free(dead);
	return 0;
}

int fbpf_nodes_attach(struct fuse_bpf_session *bs, fuse_ino_t ino, int fd)
{
	struct fbpf_nodes *t = bs->nodes;
	struct fbpf_node *n, *old, *dead = NULL;
	struct stat st;
	int nfd;

	if (ino & FBPF_LIB_NODEID || ino == 0) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: node id %llu is not the daemon's\n",
			 (unsigned long long)ino);
		return -EINVAL;
	}
	nfd = backing_dup(fd, &st, "backing");
	if (nfd < 0)
		return nfd;
	n = node_alloc(ino, nfd, &st);
	if (!n) {
		close(nfd);
		return -ENOMEM;
	}
	n->daemon = ino != FUSE_ROOT_ID;
	n->nlookup = 1;

	pthread_mutex_lock(&t->lock);
	old = find_id(t, ino);
	if (old && old->dev == n->dev && old->ino == n->ino) {
		old->nlookup++;
		pthread_mutex_lock(&old->open_lock);
		old->detach_pending = false;
		pthread_mutex_unlock(&old->open_lock);
		pthread_mutex_unlock(&t->lock);
		node_free(n);
		return 0;
	}
	if (old) {
		/* A new backing object: the node keeps its counts. */
		n->nlookup += old->nlookup;
		pthread_mutex_lock(&old->open_lock);
		n->nopen = old->nopen;
		n->backing_id = old->backing_id;
		old->nopen = 0;
		old->backing_id = 0;
		pthread_mutex_unlock(&old->open_lock);
		dead = table_retire(t, old);
	}
	table_insert(t, n);
	pthread_mutex_unlock(&t->lock);
	if (dead)
		node_free(dead);
	return 0;
}

void fbpf_nodes_detach(struct fuse_bpf_session *bs, fuse_ino_t ino)
{
	struct fbpf_nodes *t = bs->nodes;
	struct fbpf_node *n, *dead = NULL;

	pthread_mutex_lock(&t->lock);
	n = find_id(t, ino);
	if (n && n->daemon) {
		pthread_mutex_lock(&n->open_lock);
		n->detach_pending = n->nopen > 0;
		pthread_mutex_unlock(&n->open_lock);
		if (!n->detach_pending)
			dead = table_retire(t, n);
	}
	pthread_mutex_unlock(&t->lock);
	if (dead)
		node_free(dead);
}

bool fbpf_nodes_serves(struct fuse_bpf_session *bs, fuse_ino_t ino)
{
	struct fbpf_nodes *t = bs->nodes;
	bool ret;

	pthread_mutex_lock(&t->lock);
	ret = find_id(t, ino) != NULL;
	pthread_mutex_unlock(&t->lock);
	return ret;
}

bool fbpf_nodes_forget(struct fuse_bpf_session *bs, fuse_ino_t ino,
		       uint64_t nlookup)
{
	struct fbpf_nodes *t = bs->nodes;
	struct fbpf_node *n, *dead = NULL;
	bool daemon;

	pthread_mutex_lock(&t->lock);
	n = find_id(t, ino);
	/* A backed root is the library's; an unbacked one the daemon's. */
	daemon = !(ino & FBPF_LIB_NODEID) && !(ino == FUSE_ROOT_ID && n);
	if (n && ino != FUSE_ROOT_ID) {
		if (n->nlookup <= nlookup) {
			n->nlookup = 0;
			dead = table_retire(t, n);
		} else {
			n->nlookup -= nlookup;
		}
	}
	pthread_mutex_unlock(&t->lock);
	if (dead)
		node_free(dead);
	return daemon;
}

struct fbpf_node *fbpf_node_get(struct fuse_bpf_session *bs, fuse_ino_t ino)
{
	struct fbpf_nodes *t = bs->nodes;
	struct fbpf_node *n;

	pthread_mutex_lock(&t->lock);
	n = find_id(t, ino);
	if (n)
		n->refs++;
	pthread_mutex_unlock(&t->lock);
	return n;
}

void fbpf_node_put(struct fuse_bpf_session *bs, struct fbpf_node *n)
{
	struct fbpf_nodes *t = bs->nodes;
	bool dead;

	if (!n)
		return;
	pthread_mutex_lock(&t->lock);
	dead = --n->refs == 0 && !n->linked;
	pthread_mutex_unlock(&t->lock);
	if (dead)
		node_free(n);
}

int fbpf_nodes_add(struct fuse_bpf_session *bs, int fd, const struct stat *st,
		   fuse_ino_t *id)
{
	struct fbpf_nodes *t = bs->nodes;
	struct fbpf_node *n;

	pthread_mutex_lock(&t->lock);
	n = find_ino(t, st->st_dev, st->st_ino);
	if (n) {
		n->nlookup++;
		*id = n->id;
		pthread_mutex_unlock(&t->lock);
		close(fd);
		return 0;
	}
	n = node_alloc(FBPF_LIB_NODEID | t->next_id, fd, st);
	if (!n) {
		pthread_mutex_unlock(&t->lock);
		close(fd);
		return -ENOMEM;
	}
	t->next_id++;
	n->nlookup = 1;
	table_insert(t, n);
	*id = n->id;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

/*
 * A write must clear set-user-ID and set-group-ID as the writer would
 * (FUSE_HANDLE_KILLPRIV_V2, bop_write_buf()); kernel passthrough writes
 * with the daemon's credentials, which keep them.  So a file with either
 * bit is served in userspace while it is open.
 */
static bool setid_file(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID));
}

int fbpf_node_open_begin(struct fuse_bpf_session *bs, struct fbpf_node *n,
			 int fd)
{
	int id;

	pthread_mutex_lock(&n->open_lock);
	if (n->nopen == 0 && S_ISREG(n->type) &&
	    fbpf_mode(bs) == FUSE_BPF_MODE_PASSTHROUGH && !setid_file(fd)) {
		id = fbpf_passthrough_register(bs, fd);
		if (id < 0)
			fuse_log(FUSE_LOG_WARNING,
				 "fuse-bpf: node %llu: passthrough refused (%s), serving its data in userspace\n",
				 (unsigned long long)n->id, strerror(-id));
		n->backing_id = id > 0 ? id : 0;
	}
	n->nopen++;
	id = n->backing_id;
	pthread_mutex_unlock(&n->open_lock);
	return id;
}

void fbpf_node_open_end(struct fuse_bpf_session *bs, struct fbpf_node *n)
{
	struct fbpf_nodes *t = bs->nodes;
	bool detach = false;

	pthread_mutex_lock(&n->open_lock);
	if (n->nopen && --n->nopen == 0) {
		if (n->backing_id > 0) {
			fbpf_passthrough_unregister(bs, n->backing_id);
			n->backing_id = 0;
		}
		detach = n->detach_pending;
	}
	pthread_mutex_unlock(&n->open_lock);
	if (!detach)
		return;
	/* The caller's reference keeps @n; the table may have moved on. */
	pthread_mutex_lock(&t->lock);
	pthread_mutex_lock(&n->open_lock);
	if (n->linked && n->detach_pending && n->nopen == 0)
		table_retire(t, n);
	pthread_mutex_unlock(&n->open_lock);
	pthread_mutex_unlock(&t->lock);
}

void fbpf_nodes_dir_track(struct fuse_bpf_session *bs, struct fbpf_dir *d)
{
	struct fbpf_nodes *t = bs->nodes;

	pthread_mutex_lock(&t->lock);
	d->prev = NULL;
	d->next = t->dirs;
	if (t->dirs)
		t->dirs->prev = d;
	t->dirs = d;
	pthread_mutex_unlock(&t->lock);
}

void fbpf_nodes_dir_untrack(struct fuse_bpf_session *bs, struct fbpf_dir *d)
{
	struct fbpf_nodes *t = bs->nodes;

	pthread_mutex_lock(&t->lock);
	if (d->prev)
		d->prev->next = d->next;
	else
		t->dirs = d->next;
	if (d->next)
		d->next->prev = d->prev;
	pthread_mutex_unlock(&t->lock);
}
