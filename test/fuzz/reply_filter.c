// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target "reply_filter": the writev hook's inspection and patching
 * of daemon replies (fbpf_reply_filter), over any reply bytes and any
 * split of the reply into iovecs.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 *
 * Properties: a reply with no entry pending goes out untouched; an error
 * reply is never refused or changed; a node id in the library's range
 * (bit 63) never goes out in an entry the kernel would take (LOOKUP and
 * the replies that create nodes, every READDIRPLUS entry the kernel
 * parses), while a clean reply is never refused; a passthrough OPEN or
 * CREATE reply gets exactly FOPEN_PASSTHROUGH, the allowed open flags and
 * the backing id, every other byte unchanged, or is refused when it cannot
 * be patched in place; the entry is consumed either way.
 */
#include "fuse_bpf_i.h"
#include "fuzz.h"

#include <errno.h>
#include <linux/fuse.h>

#define HDR sizeof(struct fuse_out_header)
#define MAX_PAYLOAD 2048
#define MAX_PIECES 4
/* The kernel's longest name in a listing (fs/fuse/fuse_i.h). */
#define KERNEL_NAME_MAX 1024

static const uint32_t opcodes[] = {
	FUSE_LOOKUP, FUSE_MKNOD, FUSE_MKDIR, FUSE_SYMLINK, FUSE_LINK,
	FUSE_CREATE, FUSE_READDIRPLUS, FUSE_OPEN,
};

/* Whether the kernel would take an entry with bit 63 from @p (fuse 6.x). */
static bool kernel_sees_lib_id(uint32_t opcode, const uint8_t *p, size_t len)
{
	struct fuse_direntplus dp;
	size_t reclen;

	if (opcode != FUSE_READDIRPLUS) {
		struct fuse_entry_out eo;

		if (len < sizeof(eo))
			return false;
		memcpy(&eo, p, sizeof(eo));
		return eo.nodeid & FBPF_LIB_NODEID;
	}
	/* fs/fuse/readdir.c: parse_dirplusfile() */
	while (len >= FUSE_NAME_OFFSET_DIRENTPLUS) {
		memcpy(&dp, p, FUSE_NAME_OFFSET_DIRENTPLUS);
		if (!dp.dirent.namelen || dp.dirent.namelen > KERNEL_NAME_MAX)
			return false;
		reclen = FUSE_DIRENTPLUS_SIZE(&dp);
		if (reclen > len)
			return false;
		if (memchr(p + FUSE_NAME_OFFSET_DIRENTPLUS, '/',
			   dp.dirent.namelen))
			return false;
		if (dp.entry_out.nodeid & FBPF_LIB_NODEID)
			return true;
		p += reclen;
		len -= reclen;
	}
	return false;
}

/* A listing the kernel parses to its end, without a bad node id. */
static bool clean_listing(const uint8_t *p, size_t len)
{
	struct fuse_direntplus dp;
	size_t reclen;

	while (len) {
		if (len < FUSE_NAME_OFFSET_DIRENTPLUS)
			return false;
		memcpy(&dp, p, FUSE_NAME_OFFSET_DIRENTPLUS);
		if (!dp.dirent.namelen || dp.dirent.namelen > KERNEL_NAME_MAX)
			return false;
		reclen = FUSE_DIRENTPLUS_SIZE(&dp);
		if (reclen > len || (dp.entry_out.nodeid & FBPF_LIB_NODEID))
			return false;
		p += reclen;
		len -= reclen;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuse_bpf_session *bs;
	struct fz f = fz_of(data, size);
	uint8_t sel = fz_u8(&f), kindsel = fz_u8(&f), layout = fz_u8(&f);
	uint32_t opcode = sel < 0xf0 ? opcodes[sel % 8] : fz_u32(&f);
	unsigned int kind = 0;
	int32_t backing_id = (int32_t)(fz_u32(&f) % 0x7fffffff + 1);
	int32_t error = (kindsel & 0x80) ? (int32_t)fz_u32(&f) : 0;
	uint64_t unique = fz_u64(&f) | 1;
	bool pending = !(kindsel & 0x40);
	uint8_t payload[MAX_PAYLOAD], before[MAX_PAYLOAD], *chunk[MAX_PIECES + 1];
	struct iovec iov[MAX_PIECES + 1];
	size_t len, cut[MAX_PIECES], off, need = 0;
	struct fuse_out_header oh;
	int count, i, ret;
	bool inplace, lib_id;

	fz_quiet();
	if (!bs) {
		bs = calloc(1, sizeof(*bs));
		if (!bs || !(bs->priv = calloc(1, sizeof(struct fbpf_core))) ||
		    fbpf_pending_init(bs))
			abort();
		bs->fd = -1;
	}
	if (kindsel & 1)
		kind |= FBPF_PEND_CHECK_ENTRY;
	if (kindsel & 2)
		kind |= FBPF_PEND_PASSTHROUGH;
	if (kindsel & 4)
		kind |= FBPF_PEND_LOOKUP;
	len = fz_u16(&f) % (MAX_PAYLOAD + 1);
	len = fz_bytes(&f, payload, len);
	memcpy(before, payload, len);

	memset(&oh, 0, sizeof(oh));
	oh.len = (uint32_t)(HDR + len);
	oh.error = error;
	oh.unique = unique;
	/*
	 * The layouts libfuse uses (header and payload in one iovec, or the
	 * header alone first) and others: the payload cut in up to four
	 * pieces, or part of it in the header's iovec.  Each piece is a
	 * buffer of its own, 8-byte aligned as libfuse's are.
	 */
	count = 1 + layout % MAX_PIECES;
	for (i = 0; i < count - 1; i++)
		cut[i] = len ? fz_u16(&f) % (len + 1) : 0;
	for (i = 0; i < count - 1; i++) {
		int j;

		for (j = i + 1; j < count - 1; j++) {
			if (cut[j] < cut[i]) {
				size_t t = cut[i];

				cut[i] = cut[j];
				cut[j] = t;
			}
		}
	}
	off = 0;
	if (count == 1) {
		chunk[0] = malloc(HDR + len);
		memcpy(chunk[0], &oh, HDR);
		memcpy(chunk[0] + HDR, payload, len);
		iov[0].iov_len = HDR + len;
		off = len;
	} else {
		/* iov[0] is the header plus payload[0, cut[0]) when layout >= 0x80. */
		size_t head = layout & 0x80 ? cut[0] : 0;

		chunk[0] = malloc(HDR + head);
		memcpy(chunk[0], &oh, HDR);
		memcpy(chunk[0] + HDR, payload, head);
		iov[0].iov_len = HDR + head;
		off = head;
		for (i = 1; i < count; i++) {
			size_t end = i < count - 1 ? cut[i] : len;

			if (end < off)
				end = off;
			chunk[i] = malloc(end - off ? end - off : 1);
			memcpy(chunk[i], payload + off, end - off);
			iov[i].iov_len = end - off;
			off = end;
		}
	}
	for (i = 0; i < count; i++) {
		if (!chunk[i])
			abort();
		iov[i].iov_base = chunk[i];
	}

	if (pending && fbpf_pending_add(bs, unique, NULL, opcode, kind,
					backing_id))
		abort();
	ret = fbpf_reply_filter(bs, iov, count);

	/* Reassemble what would be written. */
	FZ_CHECK(iov[0].iov_len >= HDR, "header iovec shrank");
	FZ_CHECK(memcmp(chunk[0], &oh, HDR) == 0, "header changed");
	off = 0;
	memcpy(payload, chunk[0] + HDR, iov[0].iov_len - HDR);
	off = iov[0].iov_len - HDR;
	for (i = 1; i < count; i++) {
		memcpy(payload + off, chunk[i], iov[i].iov_len);
		off += iov[i].iov_len;
	}
	FZ_CHECK(off == len, "reply length changed: %zu, was %zu", off, len);
	FZ_CHECK(atomic_load(&fbpf_core_of(bs)->pending) == 0,
		 "entry left in the table");

	inplace = count == 1 || (count == 2 && iov[0].iov_len == HDR);
	lib_id = (kind & FBPF_PEND_CHECK_ENTRY) &&
		 kernel_sees_lib_id(opcode, before, len);
	if (!pending || error) {
		FZ_CHECK(ret == 0, "reply refused (%d) with nothing to check",
			 ret);
		FZ_CHECK(memcmp(payload, before, len) == 0, "reply changed");
		goto out;
	}
	if (lib_id)
		FZ_CHECK(ret == -EIO, "node id with bit 63 let through: %d",
			 ret);
	if (kind & FBPF_PEND_PASSTHROUGH) {
		need = sizeof(struct fuse_open_out);
		if (opcode == FUSE_CREATE)
			need += sizeof(struct fuse_entry_out);
	}
	if (ret == 0 && (kind & FBPF_PEND_PASSTHROUGH)) {
		struct fuse_open_out was, now;
		uint32_t allowed = FOPEN_DIRECT_IO | FOPEN_NOFLUSH |
				   FOPEN_PARALLEL_DIRECT_WRITES;
		int32_t id;
		size_t at = need - sizeof(was);

		FZ_CHECK(inplace && len >= need,
			 "passthrough reply sent unpatched (layout %d, %zu bytes)",
			 count, len);
		memcpy(&was, before + at, sizeof(was));
		memcpy(&now, payload + at, sizeof(now));
		memcpy(&id, (uint8_t *)&now + offsetof(struct fuse_open_out,
						       padding), sizeof(id));
		FZ_CHECK(now.open_flags == ((was.open_flags & allowed) |
					    FUSE_BPF_FOPEN_PASSTHROUGH) &&
			 id == backing_id && now.fh == was.fh,
			 "open reply patched to flags %#x id %d", now.open_flags,
			 id);
		FZ_CHECK(memcmp(payload, before, at) == 0 &&
			 memcmp(payload + need, before + need, len - need) == 0,
			 "bytes outside the open reply changed");
		goto out;
	}
	FZ_CHECK(memcmp(payload, before, len) == 0, "reply changed (%d)", ret);
	if (kind & FBPF_PEND_PASSTHROUGH) {
		if (inplace && len >= need && !lib_id && ret)
			FZ_CHECK((kind & FBPF_PEND_CHECK_ENTRY) &&
				 opcode == FUSE_READDIRPLUS,
				 "patchable reply refused: %d", ret);
		goto out;
	}
	if (!(kind & FBPF_PEND_CHECK_ENTRY))
		FZ_CHECK(ret == 0, "reply refused with nothing to check: %d",
			 ret);
	else if (opcode == FUSE_READDIRPLUS ? clean_listing(before, len) :
		 !lib_id)
		FZ_CHECK(ret == 0, "clean reply refused: %d", ret);
out:
	for (i = 0; i < count; i++)
		free(chunk[i]);
	return 0;
}
