/* SPDX-License-Identifier: LGPL-2.1-only */
/*
 * libfuse-bpf: the wire ABI between a FUSE daemon and the kernel that
 * <linux/fuse.h> of the distribution lacks.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */

/**
 * @file fuse_bpf_kernel.h
 *
 * The kernel interface libfuse-bpf speaks, apart from its API (as libfuse
 * keeps fuse_kernel.h apart from fuse_lowlevel.h): the fuse-bpf RFC v2
 * blocks of a LOOKUP reply and the ioctl that carries them, the files and
 * names by which a kernel shows fuse-bpf, and the protocol 7.40
 * passthrough definitions that Debian 12's <linux/fuse.h> (7.38) does not
 * have.  The kernel series adds the same definitions to
 * include/uapi/linux/fuse.h; test/abi checks that the two agree.
 * fuse_bpf.h includes this header.
 */

#ifndef FUSE_BPF_KERNEL_H_
#define FUSE_BPF_KERNEL_H_

#include <stdint.h>
#include <sys/ioctl.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/** @name Wire ABI: fuse-bpf RFC v2 lookup blocks                            */
/* ------------------------------------------------------------------------ */
/** @{ */

/** Most blocks that may follow `fuse_entry_out` in a LOOKUP reply. */
#define FUSE_BPF_MAX_ENTRIES 2

/** Block types (`fuse_bpf_entry_out.entry_type`). */
enum fuse_bpf_type {
	/** The block's fd is the backing file or directory of the node. */
	FUSE_ENTRY_BACKING = 1,
	/** Reserved: a BPF program fd.  Rejected until BPF support exists. */
	FUSE_ENTRY_BPF = 2,
	/** Drop the backing the node would inherit from its parent. */
	FUSE_ENTRY_REMOVE_BACKING = 3,
	/** Reserved: drop the inherited BPF program.  Rejected like BPF. */
	FUSE_ENTRY_REMOVE_BPF = 4,
};

/** One block appended to a LOOKUP reply (16 bytes on the wire). */
struct fuse_bpf_entry_out {
	uint32_t entry_type;	/**< enum fuse_bpf_type */
	uint32_t unused;	/**< must be zero */
	uint64_t fd;		/**< fd in the replying process */
};

#ifndef FUSE_DEV_IOC_MAGIC
/** The ioctl type of the FUSE device, as <linux/fuse.h> has it. */
#define FUSE_DEV_IOC_MAGIC 229
#endif

/**
 * ioctl on the /dev/fuse (or /dev/fuse-bpf) fd that delivers a reply of
 * @p N bytes (`fuse_out_header` + payload).  Replies that carry blocks
 * must use it.
 */
#define FUSE_DEV_IOC_BPF_RESPONSE(N) _IOW(FUSE_DEV_IOC_MAGIC, 125, char[N])

/**
 * sysfs file that reads "supported" on a kernel whose own FUSE carries the
 * fuse-bpf series (an in-tree build, the Android way); fuse-bpf then uses
 * /dev/fuse and file system type "fuse".
 */
#define FUSE_BPF_FEATURE_FILE "/sys/fs/fuse/features/fuse_bpf"

/**
 * sysfs file that reads "supported" while fuse-bpf.ko, the module that
 * loads beside the kernel's FUSE, is loaded; fuse-bpf mode then uses
 * #FUSE_BPF_MODULE_DEVICE and #FUSE_BPF_MODULE_FSTYPE, the other modes
 * /dev/fuse.
 */
#define FUSE_BPF_MODULE_FEATURE_FILE "/sys/fs/fuse-bpf/features/fuse_bpf"
/** The device of fuse-bpf.ko (the module's /dev/fuse). */
#define FUSE_BPF_MODULE_DEVICE "/dev/fuse-bpf"
/** File system type of fuse-bpf.ko; subtypes mount as "fusebpf.NAME". */
#define FUSE_BPF_MODULE_FSTYPE "fusebpf"

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Wire ABI: protocol 7.40 passthrough (absent from 7.38 headers)    */
/* ------------------------------------------------------------------------ */
/** @{ */

/** INIT flag (in `flags2`, bit 37 - 32) offering/accepting passthrough. */
#define FUSE_BPF_INIT2_PASSTHROUGH (1u << 5)
/** INIT flag: `flags2` is valid. */
#define FUSE_BPF_INIT_EXT (1u << 30)
/** OPEN/CREATE reply flag: I/O goes to the registered backing file. */
#define FUSE_BPF_FOPEN_PASSTHROUGH (1u << 7)

/** Argument of FUSE_BPF_DEV_IOC_BACKING_OPEN. */
struct fuse_bpf_backing_map {
	int32_t fd;		/**< backing file */
	uint32_t flags;		/**< must be zero */
	uint64_t padding;	/**< must be zero */
};

/** Register a backing file; returns a backing id > 0. */
#define FUSE_BPF_DEV_IOC_BACKING_OPEN \
	_IOW(FUSE_DEV_IOC_MAGIC, 1, struct fuse_bpf_backing_map)
/** Release a backing id (argument: pointer to uint32_t id). */
#define FUSE_BPF_DEV_IOC_BACKING_CLOSE _IOW(FUSE_DEV_IOC_MAGIC, 2, uint32_t)

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* FUSE_BPF_KERNEL_H_ */
