// SPDX-License-Identifier: GPL-2.0-only
/*
 * Print the fuse-bpf wire ABI as one header defines it: built once against
 * the kernel series' patched <linux/fuse.h> (-DFROM_KERNEL) and once against
 * libfuse-bpf's <fuse_bpf_kernel.h>, the wire ABI header <fuse_bpf.h>
 * includes; check_uapi.sh requires identical output.
 */
#include <stddef.h>
#include <stdio.h>
#include <sys/ioctl.h>

#ifdef FROM_KERNEL
#include <linux/fuse.h>
#else
#include "fuse_bpf_kernel.h"
#endif

#define FIELD(type, member)                                                  \
	printf("%s.%s offset %zu size %zu\n", #type, #member,                \
	       offsetof(struct type, member), sizeof(((struct type *)0)->member))

int main(void)
{
	static const size_t lens[] = { 16, 144, 160, 176, 4096, 16383 };
	size_t i;

	printf("FUSE_BPF_MAX_ENTRIES %d\n", FUSE_BPF_MAX_ENTRIES);
	printf("FUSE_ENTRY_BACKING %d\n", FUSE_ENTRY_BACKING);
	printf("FUSE_ENTRY_BPF %d\n", FUSE_ENTRY_BPF);
	printf("FUSE_ENTRY_REMOVE_BACKING %d\n", FUSE_ENTRY_REMOVE_BACKING);
	printf("FUSE_ENTRY_REMOVE_BPF %d\n", FUSE_ENTRY_REMOVE_BPF);
	printf("sizeof fuse_bpf_entry_out %zu\n",
	       sizeof(struct fuse_bpf_entry_out));
	FIELD(fuse_bpf_entry_out, entry_type);
	FIELD(fuse_bpf_entry_out, unused);
	FIELD(fuse_bpf_entry_out, fd);
	printf("FUSE_DEV_IOC_MAGIC %d\n", FUSE_DEV_IOC_MAGIC);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		printf("FUSE_DEV_IOC_BPF_RESPONSE(%zu) %#lx\n", lens[i],
		       (unsigned long)FUSE_DEV_IOC_BPF_RESPONSE(lens[i]));
	return 0;
}
