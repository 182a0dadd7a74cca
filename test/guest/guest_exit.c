// SPDX-License-Identifier: GPL-2.0-only
/*
 * guest_exit: power the QEMU guest off with an exit status the host sees.
 *
 * QEMU's isa-debug-exit device (iobase 0xf4) makes QEMU exit with status
 * (value << 1) | 1 when the guest writes value to its port, so the host
 * tells a guest that reported (odd status) from one that died (even
 * status, or the timeout's 124).  Linked statically: it runs in the
 * busybox initramfs.
 *
 * Usage: guest_exit CODE   (CODE 0 to 127)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>

#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_WIDTH 4

int main(int argc, char **argv)
{
	unsigned long code;
	char *end;

	if (argc != 2) {
		fprintf(stderr, "usage: guest_exit CODE\n");
		return 2;
	}
	errno = 0;
	code = strtoul(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || code > 127) {
		fprintf(stderr, "guest_exit: bad code '%s' (0 to 127)\n",
			argv[1]);
		return 2;
	}
	if (ioperm(DEBUG_EXIT_PORT, DEBUG_EXIT_WIDTH, 1) != 0) {
		fprintf(stderr, "guest_exit: ioperm: %s\n", strerror(errno));
		return 1;
	}
	outl((unsigned int)code, DEBUG_EXIT_PORT);
	fprintf(stderr, "guest_exit: no isa-debug-exit device at 0x%x\n",
		DEBUG_EXIT_PORT);
	return 1;
}
