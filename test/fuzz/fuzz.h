/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the libFuzzer targets of the library share: a reader over the
 * input, a property check that aborts with a message, and a quiet
 * fuse_log (FBPF_FUZZ_LOG=1 keeps the library's messages).
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 *
 * Each target defines LLVMFuzzerTestOneInput().  With clang and
 * -Dfuzz=enabled it is linked with libFuzzer; otherwise with replay.c, which
 * feeds it every file of the target's corpus (the unit suite).
 */
#ifndef FBPF_FUZZ_H_
#define FBPF_FUZZ_H_

#include <fuse_log.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input, consumed from the front; past its end every read gives 0. */
struct fz {
	const uint8_t *p;
	size_t left;
};

static inline struct fz fz_of(const uint8_t *data, size_t size)
{
	struct fz f = { .p = data, .left = size };

	return f;
}

/* Up to @n bytes into @out, the rest of @out zeroed; bytes taken. */
static inline size_t fz_bytes(struct fz *f, void *out, size_t n)
{
	size_t k = n < f->left ? n : f->left;

	memcpy(out, f->p, k);
	memset((uint8_t *)out + k, 0, n - k);
	f->p += k;
	f->left -= k;
	return k;
}

static inline uint8_t fz_u8(struct fz *f)
{
	uint8_t v;

	fz_bytes(f, &v, sizeof(v));
	return v;
}

static inline uint16_t fz_u16(struct fz *f)
{
	uint16_t v;

	fz_bytes(f, &v, sizeof(v));
	return v;
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint32_t v;

	fz_bytes(f, &v, sizeof(v));
	return v;
}

static inline uint64_t fz_u64(struct fz *f)
{
	uint64_t v;

	fz_bytes(f, &v, sizeof(v));
	return v;
}

/* A view of the next (up to) @n bytes, without copying. */
static inline size_t fz_view(struct fz *f, size_t n, const uint8_t **out)
{
	size_t k = n < f->left ? n : f->left;

	*out = f->p;
	f->p += k;
	f->left -= k;
	return k;
}

/* A property of the library that does not hold: report and abort. */
#define FZ_CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz: %s:%d: property failed: %s: ", \
				__FILE__, __LINE__, #cond);		\
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
			abort();					\
		}							\
	} while (0)

static void fz_log_nothing(enum fuse_log_level level, const char *fmt,
			   va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
}

/* Silence fuse_log, unless FBPF_FUZZ_LOG is set (for reading a crash). */
static inline void fz_quiet(void)
{
	static bool done;
	const char *v;

	if (done)
		return;
	done = true;
	v = getenv("FBPF_FUZZ_LOG");
	if (!v || !*v || strcmp(v, "0") == 0)
		fuse_set_log_func(fz_log_nothing);
}

#endif /* FBPF_FUZZ_H_ */
