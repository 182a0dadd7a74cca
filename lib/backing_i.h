/* SPDX-License-Identifier: LGPL-2.1-only */
/*
 * libfuse-bpf: what the files that serve backed nodes share (backing.c,
 * backing_dir.c, backing_file.c, backing_readdir.c, backing_xattr.c and
 * creds.c).
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#ifndef FUSE_BPF_BACKING_I_H_
#define FUSE_BPF_BACKING_I_H_

#include "nodes_i.h"

#include <sys/stat.h>

/* Flags of an OPEN or CREATE request that must not reach the lower open. */
#define FBPF_OPEN_DROP (O_CREAT | O_EXCL | O_NOCTTY | O_DIRECT | O_NOFOLLOW)

/* Enough for "/proc/self/fd/" and any int. */
#define FBPF_PROC_PATH_MAX 32

/* creds.c: acting as the caller of a request */

/* Groups kept on the stack before falling back to the heap. */
#define FBPF_GROUPS_STACK 32

struct fbpf_creds {
	bool switched;			/* fsuid, fsgid and groups changed */
	bool umask_set;
	mode_t old_umask;
	int ngroups;			/* the thread's own groups */
	gid_t *groups;
	gid_t groups_stack[FBPF_GROUPS_STACK];
};

/*
 * Act as the caller of @req until fbpf_creds_restore().  With @umask_too
 * the caller's umask applies to objects created meanwhile.  0 or -errno
 * (nothing changed then).
 */
int fbpf_creds_enter(fuse_req_t req, struct fbpf_creds *c, bool umask_too);
void fbpf_creds_restore(struct fbpf_creds *c);

/* backing.c: what the handlers share */

/* "/proc/self/fd/@fd" in @buf (FBPF_PROC_PATH_MAX bytes). */
void fbpf_proc_path(char *buf, int fd);
/* The served node @ino with a reference, or NULL after replying ESTALE. */
struct fbpf_node *fbpf_node_or_reply(const struct fbpf_req *r,
				     fuse_ino_t ino);
/* fstat() of an O_PATH fd, symlinks included: 0 or -errno. */
int fbpf_stat_fd(int fd, struct stat *st);
/*
 * Turn @fd (an O_PATH fd, owned) into an entry with one lookup reference
 * on its node: 0 or -errno.
 */
int fbpf_entry_from_fd(struct fuse_bpf_session *bs, int fd,
		       struct fuse_entry_param *e);
/* Look @name up in the directory @dirfd, as fbpf_entry_from_fd(). */
int fbpf_lookup_at(struct fuse_bpf_session *bs, int dirfd, const char *name,
		   struct fuse_entry_param *e);
/* Reply with @e, giving its lookup reference back if the reply failed. */
void fbpf_reply_new_entry(fuse_req_t req, struct fuse_bpf_session *bs,
			  const struct fuse_entry_param *e);
/* Reply with the attributes of @fd, or the error of reading them. */
void fbpf_reply_attr_of(fuse_req_t req, struct fuse_bpf_session *bs, int fd);

/*
 * The handlers, by the kind of object they act on; fbpf_backing_ops
 * (backing.c) names them.
 */
#define FBPF_BOP_DECLARE(op, who, watch, nosys, shared, params, args)	\
	void fbpf_bop_##op(const struct fbpf_req *r, FBPF_UNPAREN params);
FBPF_ROUTED_OPS(FBPF_BOP_DECLARE)
#undef FBPF_BOP_DECLARE
void fbpf_bop_open(const struct fbpf_req *r, fuse_ino_t ino,
		   struct fuse_file_info *fi);
void fbpf_bop_opendir(const struct fbpf_req *r, fuse_ino_t ino,
		      struct fuse_file_info *fi);
void fbpf_bop_statfs(const struct fbpf_req *r, fuse_ino_t ino);
void fbpf_bop_create(const struct fbpf_req *r, fuse_ino_t parent,
		     const char *name, mode_t mode, struct fuse_file_info *fi);
void fbpf_bop_readdirplus(const struct fbpf_req *r, fuse_ino_t ino,
			  size_t size, off_t off, struct fuse_file_info *fi);
void fbpf_bop_write_buf(const struct fbpf_req *r, fuse_ino_t ino,
			struct fuse_bufvec *bufv, off_t off,
			struct fuse_file_info *fi);
void fbpf_bop_flock(const struct fbpf_req *r, fuse_ino_t ino,
		    struct fuse_file_info *fi, int op);

#endif /* FUSE_BPF_BACKING_I_H_ */
