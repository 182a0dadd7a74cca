// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target "stats": the statistics writer
 * (fuse_bpf_session_write_stats) over any mode and any counters, to a
 * stream that works and to one that fails part way.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 *
 * Properties: the output is one well-formed JSON object (checked by a
 * strict parser written here) of exactly the documented shape: the mode's
 * name, then one member per opcode with a nonzero counter, in opcode
 * order, named as fuse_bpf_opcode_name() names it (OPCODE_N otherwise),
 * holding the numbers fuse_bpf_session_op_stats() gives; a stream that
 * fails makes the writer return an error, never 0.
 */
#include "fuse_bpf_i.h"
#include "fuzz.h"

#include <errno.h>
#include <inttypes.h>

struct json {
	const char *p, *end;
};

static void ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
				 *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static void expect(struct json *j, char c)
{
	ws(j);
	FZ_CHECK(j->p < j->end && *j->p == c, "expected '%c' at \"%.20s\"",
		 c, j->p < j->end ? j->p : "");
	j->p++;
}

/* A JSON string, unescaped into @out (at most @size - 1 bytes kept). */
static void string(struct json *j, char *out, size_t size)
{
	size_t n = 0;

	expect(j, '"');
	for (;;) {
		unsigned char c;

		FZ_CHECK(j->p < j->end, "unterminated string");
		c = (unsigned char)*j->p++;
		if (c == '"')
			break;
		FZ_CHECK(c >= 0x20, "control character %#x in a string", c);
		if (c == '\\') {
			FZ_CHECK(j->p < j->end, "escape at the end");
			c = (unsigned char)*j->p++;
			FZ_CHECK(strchr("\"\\/bfnrtu", c) && c,
				 "bad escape \\%c", c);
			if (c == 'u') {
				int i;

				for (i = 0; i < 4; i++, j->p++)
					FZ_CHECK(j->p < j->end &&
						 strchr("0123456789abcdefABCDEF",
							*j->p) && *j->p,
						 "bad \\u escape");
				c = '?';
			}
		}
		if (n + 1 < size)
			out[n++] = (char)c;
	}
	out[n] = '\0';
}

/* A JSON number that must be a non-negative integer, fitting 64 bits. */
static uint64_t number(struct json *j)
{
	uint64_t v = 0;
	const char *start;

	ws(j);
	start = j->p;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
		unsigned int d = (unsigned int)(*j->p - '0');

		FZ_CHECK(v <= (UINT64_MAX - d) / 10, "number overflows");
		v = v * 10 + d;
		j->p++;
	}
	FZ_CHECK(j->p > start, "number expected at \"%.20s\"", start);
	FZ_CHECK(*start != '0' || j->p == start + 1, "leading zero");
	FZ_CHECK(j->p == j->end || !strchr(".eE-+", *j->p) || !*j->p,
		 "not an integer");
	return v;
}

static void check_json(const struct fuse_bpf_session *bs, const char *text,
		       size_t len)
{
	struct json j = { .p = text, .end = text + len };
	char key[64], want[64];
	struct fuse_bpf_op_stats st;
	uint32_t op = 0;
	bool first = true;

	FZ_CHECK(strlen(text) == len, "NUL inside the output");
	expect(&j, '{');
	string(&j, key, sizeof(key));
	FZ_CHECK(strcmp(key, "mode") == 0, "first member \"%s\"", key);
	expect(&j, ':');
	string(&j, key, sizeof(key));
	FZ_CHECK(strcmp(key, fuse_bpf_mode_name(fuse_bpf_session_mode(bs))) ==
		 0, "mode \"%s\"", key);
	expect(&j, ',');
	string(&j, key, sizeof(key));
	FZ_CHECK(strcmp(key, "requests") == 0, "second member \"%s\"", key);
	expect(&j, ':');
	expect(&j, '{');
	ws(&j);
	for (;;) {
		uint64_t daemon, library;

		ws(&j);
		if (j.p < j.end && *j.p == '}') {
			j.p++;
			break;
		}
		if (!first)
			expect(&j, ',');
		first = false;
		string(&j, key, sizeof(key));
		/* The next opcode with a nonzero counter. */
		for (; op < FBPF_OPCODE_MAX; op++) {
			fuse_bpf_session_op_stats(bs, op, &st);
			if (st.daemon || st.library)
				break;
		}
		FZ_CHECK(op < FBPF_OPCODE_MAX, "member \"%s\" for no opcode",
			 key);
		if (fuse_bpf_opcode_name(op))
			snprintf(want, sizeof(want), "%s",
				 fuse_bpf_opcode_name(op));
		else
			snprintf(want, sizeof(want), "OPCODE_%" PRIu32, op);
		FZ_CHECK(strcmp(key, want) == 0, "member \"%s\", want \"%s\"",
			 key, want);
		expect(&j, ':');
		expect(&j, '{');
		string(&j, key, sizeof(key));
		FZ_CHECK(strcmp(key, "daemon") == 0, "\"%s\"", key);
		expect(&j, ':');
		daemon = number(&j);
		expect(&j, ',');
		string(&j, key, sizeof(key));
		FZ_CHECK(strcmp(key, "library") == 0, "\"%s\"", key);
		expect(&j, ':');
		library = number(&j);
		expect(&j, '}');
		FZ_CHECK(daemon == st.daemon && library == st.library,
			 "opcode %u: %" PRIu64 "/%" PRIu64 " written, %" PRIu64
			 "/%" PRIu64 " counted", op, daemon, library,
			 st.daemon, st.library);
		op++;
	}
	for (; op < FBPF_OPCODE_MAX; op++) {
		fuse_bpf_session_op_stats(bs, op, &st);
		FZ_CHECK(!st.daemon && !st.library, "opcode %u left out", op);
	}
	expect(&j, '}');
	ws(&j);
	FZ_CHECK(j.p == j.end, "bytes after the object");
}

/* A stream that takes @left bytes, then fails with ENOSPC. */
struct budget {
	size_t left;
};

static ssize_t budget_write(void *cookie, const char *buf, size_t size)
{
	struct budget *b = cookie;

	if (size > b->left) {
		errno = ENOSPC;
		return -1;
	}
	b->left -= size;
	return (ssize_t)size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuse_bpf_session *bs;
	struct fz f = fz_of(data, size);
	uint8_t msel = fz_u8(&f);
	cookie_io_functions_t io = { .write = budget_write };
	struct budget b;
	struct fuse_bpf_op_stats st;
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	int op, ret;

	fz_quiet();
	if (!bs && !(bs = calloc(1, sizeof(*bs))))
		abort();
	for (op = 0; op < FBPF_OPCODE_MAX; op++) {
		atomic_store(&bs->total[op], 0);
		atomic_store(&bs->library[op], 0);
	}
	atomic_store(&bs->mode, msel < 0x80 ? msel % 4 : (int)fz_u32(&f));
	while (f.left) {
		uint8_t o = fz_u8(&f) % FBPF_OPCODE_MAX, w = fz_u8(&f);

		/* Small numbers mostly, any 64-bit value sometimes. */
		atomic_store(&bs->total[o], w & 1 ? fz_u64(&f) : fz_u8(&f));
		atomic_store(&bs->library[o], w & 2 ? fz_u64(&f) :
					      w & 4 ? fz_u8(&f) : 0);
	}

	out = open_memstream(&text, &len);
	if (!out)
		abort();
	ret = fuse_bpf_session_write_stats(bs, out);
	fclose(out);
	FZ_CHECK(ret == 0, "writing to memory failed: %d", ret);
	check_json(bs, text, len);

	/* The same to a stream that fails before its end, then after. */
	b.left = msel % len;
	out = fopencookie(&b, "w", io);
	if (!out)
		abort();
	ret = fuse_bpf_session_write_stats(bs, out);
	FZ_CHECK(ret < 0, "%zu of %zu bytes written, and success (%d)",
		 msel % len, len, ret);
	fclose(out);
	b.left = len;
	out = fopencookie(&b, "w", io);
	if (!out)
		abort();
	ret = fuse_bpf_session_write_stats(bs, out);
	FZ_CHECK(ret == 0 && b.left == 0, "room for all of it: %d", ret);
	fclose(out);

	FZ_CHECK(fuse_bpf_session_op_stats(bs, FBPF_OPCODE_MAX, &st) ==
		 -EINVAL, "opcode out of range accepted");
	FZ_CHECK(fuse_bpf_session_write_stats(bs, NULL) == -EINVAL,
		 "NULL stream accepted");
	free(text);
	return 0;
}
