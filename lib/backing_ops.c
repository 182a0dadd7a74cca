// SPDX-License-Identifier: LGPL-2.1-only
/* Placeholder until the userspace backing operations land. */
#include "fuse_bpf_i.h"

const struct fuse_lowlevel_ops fbpf_backing_ops;
