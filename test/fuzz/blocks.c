// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target "blocks": the block encoder (fbpf_encode_lookup_reply),
 * the block validator of fuse_bpf_reply_entry (fbpf_validate_blocks) and
 * the ioctl command encoding (fbpf_ioc_response_cmd).
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 *
 * Properties: the encoder accepts exactly the block lists the wire ABI
 * allows (a model written here, not the library's check), writes nothing
 * past the reply it reports, and its output decodes back to the header,
 * entry and blocks it was given; its length always fits the ioctl.  The
 * validator gives the error the documented rules give for each fd kind.
 */
#include "fuse_bpf_i.h"
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TEST_BLOCKS 3
#define ENTRY_LEN sizeof(struct fuse_entry_out)
#define HDR_LEN sizeof(struct fuse_out_header)
#define BLOCK_LEN sizeof(struct fuse_bpf_entry_out)

/* fds of each kind the validator tells apart; -1 marks a closed one. */
enum { FD_REG, FD_DIR, FD_FIFO, FD_CLOSED, FD_KINDS };
static int fds[FD_KINDS];
static const mode_t fd_type[FD_KINDS] = { S_IFREG, S_IFDIR, S_IFIFO, 0 };

static void setup(void)
{
	static bool done;
	int p[2];

	if (done)
		return;
	done = true;
	fz_quiet();
	fds[FD_REG] = memfd_create("fuzz-blocks", MFD_CLOEXEC);
	fds[FD_DIR] = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pipe2(p, O_CLOEXEC) < 0)
		abort();
	close(p[1]);
	fds[FD_FIFO] = p[0];
	/* An fd number nothing uses: the highest the process may have. */
	fds[FD_CLOSED] = (int)sysconf(_SC_OPEN_MAX) - 1;
	if (fds[FD_REG] < 0 || fds[FD_DIR] < 0 ||
	    fcntl(fds[FD_CLOSED], F_GETFD) >= 0)
		abort();
}

/* The wire ABI's rules for a block list (RFC v2 plus the BPF types). */
static bool list_ok(const struct fuse_bpf_block *b, size_t n, bool bpf_ok)
{
	size_t i, backing = 0;

	if (n > 2)
		return false;
	for (i = 0; i < n; i++) {
		if (b[i].reserved)
			return false;
		if (b[i].type == FUSE_ENTRY_BACKING ||
		    b[i].type == FUSE_ENTRY_REMOVE_BACKING)
			backing++;
		else if (!bpf_ok || (b[i].type != FUSE_ENTRY_BPF &&
				     b[i].type != FUSE_ENTRY_REMOVE_BPF))
			return false;
	}
	return backing <= 1;
}

static void check_encoder(struct fz *f, const struct fuse_bpf_block *b,
			  size_t n, bool null_blocks)
{
	uint8_t eo[ENTRY_LEN];
	uint64_t unique = fz_u64(f);
	size_t want = HDR_LEN + ENTRY_LEN + n * BLOCK_LEN;
	size_t size = fz_u8(f) % (HDR_LEN + ENTRY_LEN + 4 * BLOCK_LEN);
	bool ok = list_ok(b, n, true) && !(null_blocks && n);
	uint8_t *buf;
	ssize_t ret;
	size_t i;

	fz_bytes(f, eo, sizeof(eo));
	/* Exactly @size bytes: a write past them is a heap overflow. */
	buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	memset(buf, 0xa5, size);
	ret = fbpf_encode_lookup_reply(buf, size, unique, eo,
					   null_blocks ? NULL : b, n);
	if (!ok) {
		FZ_CHECK(ret == -EINVAL, "bad block list accepted: %zd", ret);
	} else if (size < want) {
		FZ_CHECK(ret == -ENOSPC, "%zu bytes for a %zu byte reply: %zd",
			 size, want, ret);
	} else {
		struct fuse_out_header oh;
		struct fuse_bpf_entry_out be;

		FZ_CHECK(ret == (ssize_t)want, "length %zd, want %zu", ret,
			 want);
		memcpy(&oh, buf, sizeof(oh));
		FZ_CHECK(oh.len == want && oh.error == 0 && oh.unique == unique,
			 "header %u/%d/%llu", oh.len, oh.error,
			 (unsigned long long)oh.unique);
		FZ_CHECK(memcmp(buf + HDR_LEN, eo, ENTRY_LEN) == 0,
			 "entry not copied as given");
		for (i = 0; i < n; i++) {
			uint64_t fd = 0;

			memcpy(&be, buf + HDR_LEN + ENTRY_LEN + i * BLOCK_LEN,
			       sizeof(be));
			if (b[i].type == FUSE_ENTRY_BACKING ||
			    b[i].type == FUSE_ENTRY_BPF)
				fd = (uint64_t)(int64_t)b[i].fd;
			FZ_CHECK(be.entry_type == b[i].type && be.unused == 0 &&
				 be.fd == fd,
				 "block %zu decodes as %u/%u/%llu", i,
				 be.entry_type, be.unused,
				 (unsigned long long)be.fd);
		}
		FZ_CHECK(fbpf_ioc_response_cmd(want) != 0,
			 "reply of %zu bytes does not fit the ioctl", want);
	}
	for (i = ret > 0 ? (size_t)ret : 0; i < size; i++)
		FZ_CHECK(buf[i] == 0xa5, "byte %zu written past the reply", i);
	free(buf);
}

/* The validator's answer, by the rules of fuse_bpf_reply_entry(). */
static int expected_validation(const struct fuse_bpf_block *b,
			       const int *kind, size_t n, mode_t mode)
{
	size_t i;

	if (!list_ok(b, n, false))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		mode_t t = fd_type[kind[i]];

		if (b[i].type != FUSE_ENTRY_BACKING)
			continue;
		if (kind[i] == FD_CLOSED)
			return -EBADF;
		if (S_ISDIR(mode) && !S_ISDIR(t))
			return -ENOTDIR;
		if (!S_ISDIR(mode) && S_ISDIR(t))
			return -EISDIR;
		if ((mode & S_IFMT) != t)
			return -EINVAL;
	}
	return 0;
}

static void check_ioc(uint32_t len)
{
	unsigned long cmd = fbpf_ioc_response_cmd(len);

	if (len == 0 || len > _IOC_SIZEMASK) {
		FZ_CHECK(cmd == 0, "length %u encoded as %#lx", len, cmd);
		return;
	}
	FZ_CHECK(_IOC_DIR(cmd) == _IOC_WRITE && _IOC_TYPE(cmd) == 229 &&
		 _IOC_NR(cmd) == 125 && _IOC_SIZE(cmd) == len,
		 "length %u encoded as %#lx", len, cmd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const mode_t modes[] = {
		S_IFREG, S_IFDIR, S_IFIFO, S_IFLNK, S_IFCHR, S_IFSOCK, 0,
	};
	struct fz f = fz_of(data, size);
	struct fuse_bpf_block b[MAX_TEST_BLOCKS];
	int kind[MAX_TEST_BLOCKS];
	uint8_t ctl = fz_u8(&f);
	size_t i, n = ctl % (MAX_TEST_BLOCKS + 1);
	mode_t mode;
	int got, want;

	setup();
	memset(b, 0, sizeof(b));
	for (i = 0; i < n; i++) {
		uint8_t t = fz_u8(&f), k = fz_u8(&f);

		/* Mostly the defined types, sometimes any value. */
		b[i].type = t & 0x80 ? fz_u32(&f) : t % 6;
		kind[i] = k % FD_KINDS;
		b[i].fd = k & 0x80 ? (int)fz_u32(&f) : fds[kind[i]];
		if (k & 0x80)
			kind[i] = -1;
		b[i].reserved = t & 0x40 ? fz_u32(&f) : 0;
	}
	check_encoder(&f, b, n, ctl & 0x80);

	/* The validator, with fds of known kinds only. */
	for (i = 0; i < n; i++) {
		if (kind[i] < 0) {
			kind[i] = FD_REG;
			b[i].fd = fds[FD_REG];
		}
	}
	mode = modes[fz_u8(&f) % (sizeof(modes) / sizeof(modes[0]))] |
	       (fz_u16(&f) & 07777);
	want = expected_validation(b, kind, n, mode);
	got = fbpf_validate_blocks(b, n, mode);
	FZ_CHECK(got == want, "validation gave %d, want %d", got, want);

	check_ioc(fz_u32(&f));
	FZ_CHECK(fbpf_encode_lookup_reply(NULL, 4096, 1, b, NULL, 0) ==
		 -EINVAL, "NULL buffer accepted");
	return 0;
}
