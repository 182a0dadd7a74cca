// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the session core: block encoding and validation, the
 * response ioctl, modes, configuration, opcode names, statistics and mount
 * option handling.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#include "fuse_bpf_i.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

/* The last message the library logged. */
static char last_log[1024];

static void capture_log(enum fuse_log_level level, const char *fmt,
			va_list ap)
{
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
}

static int setup_log(void **state)
{
	last_log[0] = '\0';
	fuse_set_log_func(capture_log);
	return 0;
}

static void fill_eo(struct fuse_entry_out *eo)
{
	memset(eo, 0, sizeof(*eo));
	eo->nodeid = 42;
	eo->generation = 7;
	eo->attr.mode = S_IFREG | 0644;
}

/* ---- encoding ---------------------------------------------------------- */

static void check_block(const char *buf, size_t idx, uint32_t type,
			uint64_t fd)
{
	struct fuse_bpf_entry_out be;

	memcpy(&be, buf + sizeof(struct fuse_out_header) +
	       sizeof(struct fuse_entry_out) + idx * sizeof(be), sizeof(be));
	assert_int_equal(be.entry_type, type);
	assert_int_equal(be.unused, 0);
	assert_int_equal(be.fd, fd);
}

static void test_encode_each_type(void **state)
{
	static const uint32_t types[] = {
		FUSE_ENTRY_BACKING, FUSE_ENTRY_BPF,
		FUSE_ENTRY_REMOVE_BACKING, FUSE_ENTRY_REMOVE_BPF,
	};
	char buf[256];
	struct fuse_entry_out eo, got;
	struct fuse_out_header oh;
	size_t i;

	fill_eo(&eo);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct fuse_bpf_block b = { .type = types[i], .fd = 9 };
		bool has_fd = types[i] == FUSE_ENTRY_BACKING ||
			      types[i] == FUSE_ENTRY_BPF;
		ssize_t len;

		memset(buf, 0xa5, sizeof(buf));
		len = fbpf_encode_lookup_reply(buf, sizeof(buf), 0x1234,
						   &eo, &b, 1);
		assert_int_equal(len, 16 + 128 + 16);
		memcpy(&oh, buf, sizeof(oh));
		assert_int_equal(oh.len, len);
		assert_int_equal(oh.error, 0);
		assert_int_equal(oh.unique, 0x1234);
		memcpy(&got, buf + sizeof(oh), sizeof(got));
		assert_memory_equal(&got, &eo, sizeof(eo));
		check_block(buf, 0, types[i], has_fd ? 9 : 0);
	}
}

static void test_encode_zero_and_two(void **state)
{
	struct fuse_bpf_block b[2] = {
		{ .type = FUSE_ENTRY_BACKING, .fd = 3 },
		{ .type = FUSE_ENTRY_BPF, .fd = 4 },
	};
	struct fuse_entry_out eo;
	char buf[256];

	fill_eo(&eo);
	assert_int_equal(fbpf_encode_lookup_reply(buf, sizeof(buf), 1,
						      &eo, NULL, 0), 144);
	assert_int_equal(fbpf_encode_lookup_reply(buf, sizeof(buf), 1,
						      &eo, b, 2), 176);
	check_block(buf, 0, FUSE_ENTRY_BACKING, 3);
	check_block(buf, 1, FUSE_ENTRY_BPF, 4);
}

static void test_encode_refusals(void **state)
{
	struct fuse_bpf_block three[3] = {
		{ .type = FUSE_ENTRY_BACKING, .fd = 3 },
		{ .type = FUSE_ENTRY_BPF, .fd = 4 },
		{ .type = FUSE_ENTRY_REMOVE_BPF },
	};
	struct fuse_bpf_block reserved = {
		.type = FUSE_ENTRY_BACKING, .fd = 3, .reserved = 1,
	};
	struct fuse_bpf_block unknown = { .type = 5, .fd = 3 };
	struct fuse_bpf_block zero = { .type = 0, .fd = 3 };
	struct fuse_bpf_block two_backing[2] = {
		{ .type = FUSE_ENTRY_BACKING, .fd = 3 },
		{ .type = FUSE_ENTRY_REMOVE_BACKING },
	};
	struct fuse_entry_out eo;
	char buf[256];

	fill_eo(&eo);
	assert_int_equal(fbpf_encode_lookup_reply(buf, sizeof(buf), 1,
						      &eo, three, 3), -EINVAL);
	assert_non_null(strstr(last_log, "at most 2"));
	assert_int_equal(fbpf_encode_lookup_reply(buf, sizeof(buf), 1,
						      &eo, &reserved, 1),
			 -EINVAL);
	assert_non_null(strstr(last_log, "reserved"));
	assert_int_equal(fbpf_encode_lookup_reply(buf, sizeof(buf), 1,
						      &eo, &unknown, 1),
			 -EINVAL);
	assert_non_null(strstr(last_log, "unknown type 5"));
	assert_int_equal(fbpf_encode_lookup_reply(buf, sizeof(buf), 1,
						      &eo, &zero, 1), -EINVAL);
	assert_int_equal(fbpf_encode_lookup_reply(buf, sizeof(buf), 1,
						      &eo, two_backing, 2),
			 -EINVAL);
	assert_int_equal(fbpf_encode_lookup_reply(buf, 159, 1, &eo,
						      two_backing, 1),
			 -ENOSPC);
	assert_int_equal(fbpf_encode_lookup_reply(buf, 160, 1, &eo,
						      two_backing, 1), 160);
	assert_int_equal(fbpf_encode_lookup_reply(NULL, 160, 1, &eo,
						      NULL, 0), -EINVAL);
}

/* ---- wire constants (values from the RFC and protocol 7.40) ----------- */

static void test_abi(void **state)
{
	assert_int_equal(sizeof(struct fuse_bpf_entry_out), 16);
	assert_int_equal(offsetof(struct fuse_bpf_entry_out, entry_type), 0);
	assert_int_equal(offsetof(struct fuse_bpf_entry_out, unused), 4);
	assert_int_equal(offsetof(struct fuse_bpf_entry_out, fd), 8);
	assert_int_equal(FUSE_ENTRY_BACKING, 1);
	assert_int_equal(FUSE_ENTRY_BPF, 2);
	assert_int_equal(FUSE_ENTRY_REMOVE_BACKING, 3);
	assert_int_equal(FUSE_ENTRY_REMOVE_BPF, 4);
	assert_int_equal(FUSE_BPF_MAX_ENTRIES, 2);
	assert_int_equal(sizeof(struct fuse_bpf_backing_map), 16);
	assert_int_equal(offsetof(struct fuse_bpf_backing_map, flags), 4);
	assert_int_equal(offsetof(struct fuse_bpf_backing_map, padding), 8);
	assert_int_equal(FUSE_BPF_DEV_IOC_BACKING_OPEN, 0x4010e501UL);
	assert_int_equal(FUSE_BPF_DEV_IOC_BACKING_CLOSE, 0x4004e502UL);
	assert_int_equal(FUSE_BPF_INIT2_PASSTHROUGH, 1u << (37 - 32));
	assert_int_equal(FUSE_BPF_INIT_EXT, 0x40000000u);
	assert_int_equal(FUSE_BPF_FOPEN_PASSTHROUGH, 0x80u);
	/* The 7.38 layout the library patches: flags2@32, stack depth@36. */
	assert_int_equal(offsetof(struct fuse_init_out, flags2), 32);
	assert_int_equal(offsetof(struct fuse_init_out, unused), 36);
	assert_int_equal(sizeof(struct fuse_open_out), 16);
	assert_int_equal(offsetof(struct fuse_open_out, padding), 12);
	assert_int_equal(sizeof(struct fuse_entry_out), 128);
}

/* ---- response ioctl ---------------------------------------------------- */

static void test_ioc_cmd(void **state)
{
	assert_int_equal(fbpf_ioc_response_cmd(144),
			 FUSE_DEV_IOC_BPF_RESPONSE(144));
	assert_int_equal(fbpf_ioc_response_cmd(176),
			 FUSE_DEV_IOC_BPF_RESPONSE(176));
	/* _IOW(229, 125, char[N]): write, size N, type 0xe5, nr 0x7d. */
	assert_int_equal(fbpf_ioc_response_cmd(160), 0x40a0e57dUL);
	assert_int_equal(fbpf_ioc_response_cmd(1), 0x4001e57dUL);
	assert_int_equal(fbpf_ioc_response_cmd(16383), 0x7fffe57dUL);
	assert_int_equal(_IOC_SIZE(fbpf_ioc_response_cmd(16383)), 16383);
	assert_int_equal(_IOC_DIR(fbpf_ioc_response_cmd(144)),
			 _IOC_WRITE);
	assert_int_equal(fbpf_ioc_response_cmd(0), 0);
	assert_int_equal(fbpf_ioc_response_cmd(16384), 0);
	assert_int_equal(fbpf_ioc_response_cmd((size_t)-1), 0);
}

/* ---- validation for fuse_bpf_reply_entry() ------------------------------ */

static void test_validate(void **state)
{
	struct fuse_bpf_block b = { .type = FUSE_ENTRY_BACKING };
	struct fuse_bpf_block three[3] = {
		{ .type = FUSE_ENTRY_REMOVE_BACKING },
		{ .type = FUSE_ENTRY_REMOVE_BACKING },
		{ .type = FUSE_ENTRY_REMOVE_BACKING },
	};
	char path[] = "/tmp/fbpf-unit-XXXXXX";
	int dirfd, filefd, closed;

	dirfd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	filefd = mkstemp(path);
	assert_true(dirfd >= 0 && filefd >= 0);
	unlink(path);
	closed = dup(filefd);
	close(closed);

	b.fd = filefd;
	assert_int_equal(fbpf_validate_blocks(&b, 1, S_IFREG | 0644), 0);
	b.fd = dirfd;
	assert_int_equal(fbpf_validate_blocks(&b, 1, S_IFDIR | 0755), 0);
	assert_int_equal(fbpf_validate_blocks(&b, 1, S_IFREG | 0644),
			 -EISDIR);
	b.fd = filefd;
	assert_int_equal(fbpf_validate_blocks(&b, 1, S_IFDIR | 0755),
			 -ENOTDIR);
	assert_int_equal(fbpf_validate_blocks(&b, 1, S_IFLNK | 0777),
			 -EINVAL);
	b.fd = -1;
	assert_int_equal(fbpf_validate_blocks(&b, 1, S_IFREG), -EBADF);
	b.fd = closed;
	assert_int_equal(fbpf_validate_blocks(&b, 1, S_IFREG), -EBADF);

	b.fd = filefd;
	b.type = FUSE_ENTRY_BPF;
	last_log[0] = '\0';
	assert_int_equal(fbpf_validate_blocks(&b, 1, S_IFREG), -EINVAL);
	assert_non_null(strstr(last_log, "reserved"));
	b.type = FUSE_ENTRY_REMOVE_BPF;
	assert_int_equal(fbpf_validate_blocks(&b, 1, S_IFREG), -EINVAL);
	b.type = 99;
	assert_int_equal(fbpf_validate_blocks(&b, 1, S_IFREG), -EINVAL);
	b.type = FUSE_ENTRY_BACKING;
	b.reserved = 2;
	assert_int_equal(fbpf_validate_blocks(&b, 1, S_IFREG), -EINVAL);
	assert_int_equal(fbpf_validate_blocks(three, 3, S_IFREG), -EINVAL);
	/* REMOVE_BACKING ignores its fd. */
	three[0].fd = -1;
	assert_int_equal(fbpf_validate_blocks(three, 1, S_IFREG), 0);
	assert_int_equal(fbpf_validate_blocks(NULL, 0, S_IFREG), 0);
	assert_int_equal(fbpf_validate_blocks(NULL, 1, S_IFREG), -EINVAL);

	close(dirfd);
	close(filefd);
}

/* ---- modes ------------------------------------------------------------- */

static void test_mode_names(void **state)
{
	static const char *const names[] = {
		"auto", "fuse-bpf", "passthrough", "userspace",
	};
	enum fuse_bpf_mode m;
	size_t i;

	for (i = 0; i < 4; i++) {
		assert_string_equal(fuse_bpf_mode_name((enum fuse_bpf_mode)i),
				    names[i]);
		assert_int_equal(fuse_bpf_mode_parse(names[i], &m), 0);
		assert_int_equal(m, i);
	}
	assert_string_equal(fuse_bpf_mode_name((enum fuse_bpf_mode)4),
			    "invalid");
	assert_string_equal(fuse_bpf_mode_name((enum fuse_bpf_mode)-1),
			    "invalid");
	m = FUSE_BPF_MODE_USERSPACE;
	assert_int_equal(fuse_bpf_mode_parse("kernel", &m), -EINVAL);
	assert_int_equal(fuse_bpf_mode_parse("", &m), -EINVAL);
	assert_int_equal(fuse_bpf_mode_parse("Userspace", &m), -EINVAL);
	assert_int_equal(fuse_bpf_mode_parse(NULL, &m), -EINVAL);
	assert_int_equal(m, FUSE_BPF_MODE_USERSPACE);
}

static void test_choose_mode(void **state)
{
	enum fuse_bpf_mode m;

	assert_int_equal(fbpf_choose_mode(FUSE_BPF_MODE_AUTO, true, true, &m), 0);
	assert_int_equal(m, FUSE_BPF_MODE_KERNEL);
	assert_int_equal(fbpf_choose_mode(FUSE_BPF_MODE_AUTO, false, true, &m), 0);
	assert_int_equal(m, FUSE_BPF_MODE_PASSTHROUGH);
	assert_int_equal(fbpf_choose_mode(FUSE_BPF_MODE_AUTO, false, false, &m), 0);
	assert_int_equal(m, FUSE_BPF_MODE_USERSPACE);
	assert_int_equal(fbpf_choose_mode(FUSE_BPF_MODE_KERNEL, false, true, &m),
			 -EOPNOTSUPP);
	assert_int_equal(fbpf_choose_mode(FUSE_BPF_MODE_KERNEL, true, false, &m), 0);
	assert_int_equal(m, FUSE_BPF_MODE_KERNEL);
	assert_int_equal(fbpf_choose_mode(FUSE_BPF_MODE_PASSTHROUGH, true, false,
					  &m), -EOPNOTSUPP);
	assert_int_equal(fbpf_choose_mode(FUSE_BPF_MODE_PASSTHROUGH, false, true,
					  &m), 0);
	assert_int_equal(m, FUSE_BPF_MODE_PASSTHROUGH);
	assert_int_equal(fbpf_choose_mode(FUSE_BPF_MODE_USERSPACE, true, true, &m), 0);
	assert_int_equal(m, FUSE_BPF_MODE_USERSPACE);
	assert_int_equal(fbpf_choose_mode((enum fuse_bpf_mode)9, true, true, &m),
			 -EINVAL);
}

/* ---- where fuse-bpf is: module beside the kernel's FUSE, or in-tree --- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_probe_kind(void **state)
{
	char dir[] = "/tmp/fbpf-probe.XXXXXX";
	char mod[64], in[64];

	assert_non_null(mkdtemp(dir));
	snprintf(mod, sizeof(mod), "%s/module", dir);
	snprintf(in, sizeof(in), "%s/intree", dir);

	/* Neither file. */
	assert_int_equal(fbpf_probe_kernel_kind_at(mod, in), FBPF_KERNEL_NONE);
	/* In-tree build only. */
	write_file(in, "supported\n");
	assert_int_equal(fbpf_probe_kernel_kind_at(mod, in),
			 FBPF_KERNEL_INTREE);
	/* The module is preferred when both are there. */
	write_file(mod, "supported\n");
	assert_int_equal(fbpf_probe_kernel_kind_at(mod, in),
			 FBPF_KERNEL_MODULE);
	unlink(in);
	assert_int_equal(fbpf_probe_kernel_kind_at(mod, in),
			 FBPF_KERNEL_MODULE);
	/* Only "supported" counts, with or without the newline. */
	write_file(mod, "supported");
	assert_int_equal(fbpf_probe_kernel_kind_at(mod, in),
			 FBPF_KERNEL_MODULE);
	write_file(mod, "unsupported\n");
	assert_int_equal(fbpf_probe_kernel_kind_at(mod, in), FBPF_KERNEL_NONE);
	write_file(mod, "supported-not\n");
	assert_int_equal(fbpf_probe_kernel_kind_at(mod, in), FBPF_KERNEL_NONE);
	write_file(mod, "");
	assert_int_equal(fbpf_probe_kernel_kind_at(mod, in), FBPF_KERNEL_NONE);
	unlink(mod);
	rmdir(dir);

	assert_string_equal(FUSE_BPF_MODULE_FEATURE_FILE,
			    "/sys/fs/fuse-bpf/features/fuse_bpf");
	assert_string_equal(FUSE_BPF_FEATURE_FILE,
			    "/sys/fs/fuse/features/fuse_bpf");
}

static void test_mount_target(void **state)
{
	static const enum fuse_bpf_mode lower[] = {
		FUSE_BPF_MODE_AUTO, FUSE_BPF_MODE_PASSTHROUGH,
		FUSE_BPF_MODE_USERSPACE,
	};
	const char *dev, *fstype;
	size_t i;

	/* fuse-bpf mode on the module: its own device and type. */
	fbpf_mount_target(FUSE_BPF_MODE_KERNEL, FBPF_KERNEL_MODULE, &dev,
			  &fstype);
	assert_string_equal(dev, "/dev/fuse-bpf");
	assert_string_equal(fstype, "fusebpf");
	/* fuse-bpf mode in-tree: the kernel's FUSE is fuse-bpf. */
	fbpf_mount_target(FUSE_BPF_MODE_KERNEL, FBPF_KERNEL_INTREE, &dev,
			  &fstype);
	assert_string_equal(dev, "/dev/fuse");
	assert_string_equal(fstype, "fuse");
	/* The other modes use the kernel's FUSE, whatever is loaded. */
	for (i = 0; i < sizeof(lower) / sizeof(lower[0]); i++) {
		fbpf_mount_target(lower[i], FBPF_KERNEL_MODULE, &dev, &fstype);
		assert_string_equal(dev, "/dev/fuse");
		assert_string_equal(fstype, "fuse");
		fbpf_mount_target(lower[i], FBPF_KERNEL_NONE, &dev, &fstype);
		assert_string_equal(dev, "/dev/fuse");
		assert_string_equal(fstype, "fuse");
	}
}

/* ---- configuration ----------------------------------------------------- */

static void test_config(void **state)
{
	struct fuse_bpf_config *cfg = fuse_bpf_config_new();
	char path[] = "/tmp/fbpf-unit-XXXXXX";
	int dirfd, filefd;

	assert_non_null(cfg);
	assert_int_equal(cfg->mode, FUSE_BPF_MODE_AUTO);
	assert_int_equal(cfg->root_fd, -1);
	assert_true(cfg->entry_timeout == 1.0 && cfg->attr_timeout == 1.0);

	assert_int_equal(fuse_bpf_config_set_mode(cfg, FUSE_BPF_MODE_USERSPACE), 0);
	assert_int_equal(cfg->mode, FUSE_BPF_MODE_USERSPACE);
	assert_int_equal(fuse_bpf_config_set_mode(cfg, (enum fuse_bpf_mode)7),
			 -EINVAL);
	assert_int_equal(cfg->mode, FUSE_BPF_MODE_USERSPACE);
	assert_int_equal(fuse_bpf_config_set_mode(NULL, FUSE_BPF_MODE_AUTO),
			 -EINVAL);

	assert_int_equal(fuse_bpf_config_set_timeouts(cfg, 0.0, 2.5), 0);
	assert_true(cfg->entry_timeout == 0.0 && cfg->attr_timeout == 2.5);
	assert_int_equal(fuse_bpf_config_set_timeouts(cfg, -1.0, 1.0), -EINVAL);
	assert_int_equal(fuse_bpf_config_set_timeouts(cfg, 1.0, 0.0 / 0.0),
			 -EINVAL);
	assert_true(cfg->entry_timeout == 0.0 && cfg->attr_timeout == 2.5);

	dirfd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	filefd = mkstemp(path);
	assert_true(dirfd >= 0 && filefd >= 0);
	unlink(path);
	assert_int_equal(fuse_bpf_config_set_root_backing(cfg, -1), -EBADF);
	assert_int_equal(fuse_bpf_config_set_root_backing(cfg, filefd),
			 -ENOTDIR);
	assert_int_equal(cfg->root_fd, -1);
	assert_int_equal(fuse_bpf_config_set_root_backing(cfg, dirfd), 0);
	assert_true(cfg->root_fd >= 0 && cfg->root_fd != dirfd);
	/* The caller keeps its fd; the configuration owns a duplicate. */
	close(dirfd);
	assert_int_equal(fcntl(cfg->root_fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(filefd);
	fuse_bpf_config_destroy(cfg);
	fuse_bpf_config_destroy(NULL);
}

/* ---- opcode names and statistics --------------------------------------- */

static void test_opcode_names(void **state)
{
	assert_string_equal(fuse_bpf_opcode_name(FUSE_LOOKUP), "LOOKUP");
	assert_string_equal(fuse_bpf_opcode_name(FUSE_READ), "READ");
	assert_string_equal(fuse_bpf_opcode_name(FUSE_WRITE), "WRITE");
	assert_string_equal(fuse_bpf_opcode_name(FUSE_INIT), "INIT");
	assert_string_equal(fuse_bpf_opcode_name(FUSE_READDIRPLUS),
			    "READDIRPLUS");
	assert_string_equal(fuse_bpf_opcode_name(FUSE_BATCH_FORGET),
			    "BATCH_FORGET");
	assert_string_equal(fuse_bpf_opcode_name(FUSE_COPY_FILE_RANGE),
			    "COPY_FILE_RANGE");
	assert_null(fuse_bpf_opcode_name(0));
	assert_null(fuse_bpf_opcode_name(7));
	assert_null(fuse_bpf_opcode_name(FBPF_OPCODE_MAX));
	assert_null(fuse_bpf_opcode_name(4096));
}

static char *stats_json(const struct fuse_bpf_session *bs)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(fuse_bpf_session_write_stats(bs, f), 0);
	fclose(f);
	return text;
}

static void test_stats(void **state)
{
	struct fuse_bpf_session *bs = calloc(1, sizeof(*bs));
	struct fuse_bpf_op_stats st;
	char *text;

	assert_non_null(bs);
	atomic_store(&bs->mode, FUSE_BPF_MODE_USERSPACE);
	text = stats_json(bs);
	assert_string_equal(text, "{\"mode\": \"userspace\", \"requests\": {}}\n");
	free(text);

	atomic_store(&bs->total[FUSE_LOOKUP], 13);
	atomic_store(&bs->library[FUSE_LOOKUP], 10);
	atomic_store(&bs->total[FUSE_INIT], 1);
	atomic_store(&bs->total[FUSE_READ], 4);
	atomic_store(&bs->library[FUSE_READ], 4);
	atomic_store(&bs->total[63], 2);
	atomic_store(&bs->mode, FUSE_BPF_MODE_PASSTHROUGH);
	text = stats_json(bs);
	assert_string_equal(text,
		"{\"mode\": \"passthrough\", \"requests\": {"
		"\"LOOKUP\": {\"daemon\": 3, \"library\": 10}, "
		"\"READ\": {\"daemon\": 0, \"library\": 4}, "
		"\"INIT\": {\"daemon\": 1, \"library\": 0}, "
		"\"OPCODE_63\": {\"daemon\": 2, \"library\": 0}}}\n");
	free(text);

	assert_int_equal(fuse_bpf_session_op_stats(bs, FUSE_LOOKUP, &st), 0);
	assert_int_equal(st.daemon, 3);
	assert_int_equal(st.library, 10);
	assert_int_equal(fuse_bpf_session_op_stats(bs, FBPF_OPCODE_MAX, &st),
			 -EINVAL);
	assert_int_equal(fuse_bpf_session_write_stats(NULL, stdout), -EINVAL);
	free(bs);
}

/* ---- reply inspection (writev hook) ------------------------------------ */

static struct fuse_bpf_session *fake_session(void)
{
	struct fuse_bpf_session *bs = calloc(1, sizeof(*bs));

	assert_non_null(bs);
	bs->priv = calloc(1, sizeof(struct fbpf_core));
	assert_non_null(bs->priv);
	assert_int_equal(fbpf_pending_init(bs), 0);
	bs->fd = -1;
	return bs;
}

static void free_fake_session(struct fuse_bpf_session *bs)
{
	fbpf_pending_fini(bs);
	free(bs->priv);
	free(bs);
}

static size_t add_direntplus(char *buf, size_t off, uint64_t nodeid,
			     const char *name)
{
	struct fuse_direntplus *dp = (void *)(buf + off);
	size_t len = strlen(name);

	memset(dp, 0, FUSE_NAME_OFFSET_DIRENTPLUS + FUSE_DIRENT_ALIGN(len));
	dp->entry_out.nodeid = nodeid;
	dp->dirent.ino = nodeid;
	dp->dirent.namelen = (uint32_t)len;
	memcpy(dp->dirent.name, name, len);
	return off + FUSE_DIRENTPLUS_SIZE(dp);
}

static void test_filter_entries(void **state)
{
	struct fuse_bpf_session *bs = fake_session();
	struct fuse_out_header oh = { .unique = 10 };
	struct fuse_entry_out eo;
	char dirbuf[512];
	struct iovec iov[2] = {
		{ .iov_base = &oh, .iov_len = sizeof(oh) },
		{ .iov_base = &eo, .iov_len = sizeof(eo) },
	};
	size_t len;

	/* Nothing pending for this unique: the reply goes out as it is. */
	fill_eo(&eo);
	eo.nodeid |= FBPF_LIB_NODEID;
	assert_int_equal(fbpf_reply_filter(bs, iov, 2), 0);

	assert_int_equal(fbpf_pending_add(bs, 10, NULL, FUSE_LOOKUP,
					  FBPF_PEND_CHECK_ENTRY, 0), 0);
	assert_int_equal(fbpf_core_of(bs)->pending, 1);
	assert_int_equal(fbpf_reply_filter(bs, iov, 2), -EIO);
	assert_non_null(strstr(last_log, "LOOKUP"));
	assert_int_equal(fbpf_core_of(bs)->pending, 0);

	eo.nodeid = 5;
	assert_int_equal(fbpf_pending_add(bs, 10, NULL, FUSE_MKDIR,
					  FBPF_PEND_CHECK_ENTRY, 0), 0);
	assert_int_equal(fbpf_reply_filter(bs, iov, 2), 0);

	/* An error reply is never refused. */
	oh.error = -ENOENT;
	eo.nodeid |= FBPF_LIB_NODEID;
	assert_int_equal(fbpf_pending_add(bs, 10, NULL, FUSE_LOOKUP,
					  FBPF_PEND_CHECK_ENTRY, 0), 0);
	assert_int_equal(fbpf_reply_filter(bs, iov, 2), 0);
	oh.error = 0;

	/* READDIRPLUS: every entry is checked; one header+payload iovec. */
	len = add_direntplus(dirbuf, 0, 7, "a");
	len = add_direntplus(dirbuf, len, 8, "longer_name");
	iov[1].iov_base = dirbuf;
	iov[1].iov_len = len;
	assert_int_equal(fbpf_pending_add(bs, 10, NULL, FUSE_READDIRPLUS,
					  FBPF_PEND_CHECK_ENTRY, 0), 0);
	assert_int_equal(fbpf_reply_filter(bs, iov, 2), 0);
	len = add_direntplus(dirbuf, len, 9 | FBPF_LIB_NODEID, "bad");
	iov[1].iov_len = len;
	assert_int_equal(fbpf_pending_add(bs, 10, NULL, FUSE_READDIRPLUS,
					  FBPF_PEND_CHECK_ENTRY, 0), 0);
	assert_int_equal(fbpf_reply_filter(bs, iov, 2), -EIO);
	assert_non_null(strstr(last_log, "READDIRPLUS"));
	assert_int_equal(fbpf_core_of(bs)->pending, 0);
	free_fake_session(bs);
}

static void test_filter_passthrough(void **state)
{
	struct fuse_bpf_session *bs = fake_session();
	struct fuse_out_header oh = { .unique = 20 };
	struct fuse_open_out oo = {
		.fh = 99,
		.open_flags = FOPEN_KEEP_CACHE | FOPEN_DIRECT_IO,
	};
	struct {
		struct fuse_entry_out eo;
		struct fuse_open_out oo;
	} cr;
	struct iovec iov[2] = {
		{ .iov_base = &oh, .iov_len = sizeof(oh) },
		{ .iov_base = &oo, .iov_len = sizeof(oo) },
	};
	int32_t id;

	assert_int_equal(fbpf_pending_add(bs, 20, NULL, FUSE_OPEN,
					  FBPF_PEND_PASSTHROUGH, 3), 0);
	assert_int_equal(fbpf_reply_filter(bs, iov, 2), 0);
	assert_int_equal(oo.fh, 99);
	assert_int_equal(oo.open_flags,
			 FOPEN_DIRECT_IO | FUSE_BPF_FOPEN_PASSTHROUGH);
	memcpy(&id, (char *)&oo + 12, sizeof(id));
	assert_int_equal(id, 3);

	memset(&cr, 0, sizeof(cr));
	fill_eo(&cr.eo);
	cr.oo.open_flags = FOPEN_NONSEEKABLE;
	iov[1].iov_base = &cr;
	iov[1].iov_len = sizeof(cr);
	oh.unique = 21;
	assert_int_equal(fbpf_pending_add(bs, 21, NULL, FUSE_CREATE,
					  FBPF_PEND_PASSTHROUGH, 4), 0);
	assert_int_equal(fbpf_reply_filter(bs, iov, 2), 0);
	assert_int_equal(cr.eo.nodeid, 42);
	assert_int_equal(cr.oo.open_flags, FUSE_BPF_FOPEN_PASSTHROUGH);
	memcpy(&id, (char *)&cr.oo + 12, sizeof(id));
	assert_int_equal(id, 4);

	/* A reply too short to patch is refused rather than sent unpatched. */
	iov[1].iov_len = 8;
	assert_int_equal(fbpf_pending_add(bs, 21, NULL, FUSE_OPEN,
					  FBPF_PEND_PASSTHROUGH, 4), 0);
	assert_int_equal(fbpf_reply_filter(bs, iov, 2), -EIO);
	assert_int_equal(fbpf_core_of(bs)->pending, 0);
	free_fake_session(bs);
}

/* ---- fuse_bpf_reply_entry(): who owns the request ---------------------- */

/*
 * A session over a socketpair instead of /dev/fuse: the test is the
 * kernel.  Its LOOKUP handler answers with fuse_bpf_reply_entry() and,
 * when that fails, with fuse_reply_err(), as the documented rule wants.
 */
static struct {
	int kernel;		/* the kernel's end */
	bool hang_up;		/* the kernel goes away before the reply */
	int ret;		/* what fuse_bpf_reply_entry() returned */
} own;

static void own_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	e.ino = 5;
	e.attr.st_ino = 5;
	e.attr.st_mode = S_IFREG | 0644;
	if (own.hang_up) {
		close(own.kernel);
		own.kernel = -1;
	}
	own.ret = fuse_bpf_reply_entry(req, &e, NULL, 0);
	if (own.ret)
		fuse_reply_err(req, -own.ret);
}

static void own_request(struct fuse_bpf_session *bs, uint32_t opcode,
			uint64_t unique, const void *arg, size_t len)
{
	char msg[256];
	struct fuse_in_header ih = {
		.len = (uint32_t)(sizeof(ih) + len),
		.opcode = opcode,
		.unique = unique,
		.nodeid = FUSE_ROOT_ID,
	};
	struct fuse_buf fbuf = { .mem = NULL };

	memcpy(msg, &ih, sizeof(ih));
	memcpy(msg + sizeof(ih), arg, len);
	assert_int_equal(send(own.kernel, msg, ih.len, 0), ih.len);
	assert_true(fuse_session_receive_buf(fuse_bpf_session_fuse(bs),
					     &fbuf) > 0);
	fuse_session_process_buf(fuse_bpf_session_fuse(bs), &fbuf);
	free(fbuf.mem);
}

static void test_reply_entry_ownership(void **state)
{
	static const struct fuse_lowlevel_ops ops = { .lookup = own_lookup };
	struct fuse_init_in init = { .major = 7, .minor = 31 };
	struct fuse_bpf_config *cfg = fuse_bpf_config_new();
	struct fuse_bpf_session *bs;
	char reply[256];
	struct fuse_out_header *oh = (void *)reply;
	struct fuse_entry_out *eo = (void *)(oh + 1);
	int sv[2];

	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(fuse_bpf_config_set_mode(cfg,
						  FUSE_BPF_MODE_USERSPACE), 0);
	bs = fuse_bpf_session_new(NULL, &ops, sizeof(ops), NULL, cfg);
	fuse_bpf_config_destroy(cfg);
	assert_non_null(bs);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				    sv), 0);
	bs->fd = sv[0];
	own.kernel = sv[1];
	assert_int_equal(fbpf_registry_add(bs), 0);
	assert_int_equal(fuse_session_custom_io(fuse_bpf_session_fuse(bs),
						&fbpf_custom_io, sv[0]), 0);
	own_request(bs, FUSE_INIT, 1, &init, sizeof(init));
	assert_true(recv(own.kernel, reply, sizeof(reply), 0) > 0);

	/* Taken by the kernel: answered, with the entry alone. */
	own_request(bs, FUSE_LOOKUP, 2, "f", 2);
	assert_int_equal(own.ret, 0);
	assert_int_equal(recv(own.kernel, reply, sizeof(reply), 0),
			 sizeof(*oh) + sizeof(*eo));
	assert_int_equal(oh->unique, 2);
	assert_int_equal(oh->error, 0);
	assert_int_equal(eo->nodeid, 5);
	assert_int_equal(fbpf_core_of(bs)->pending, 0);

	/*
	 * The write fails: the error comes back and the request is still
	 * the handler's, whose own reply then frees it (ASan and valgrind
	 * see a use after free or a leak otherwise).
	 */
	own.hang_up = true;
	own_request(bs, FUSE_LOOKUP, 3, "g", 2);
	assert_int_equal(own.ret, -EPIPE);
	assert_non_null(strstr(last_log, "sending the LOOKUP reply"));
	assert_int_equal(fbpf_core_of(bs)->pending, 0);
	fuse_bpf_session_destroy(bs);
	own.hang_up = false;
}

/* ---- RLIMIT_NOFILE: raised unless the configuration opts out ----------- */

static rlim_t nofile_after_session(bool opt_out)
{
	static const struct fuse_lowlevel_ops ops = { .lookup = own_lookup };
	struct fuse_bpf_config *cfg = fuse_bpf_config_new();
	struct fuse_bpf_session *bs;
	struct rlimit rl;

	assert_non_null(cfg);
	if (opt_out)
		assert_int_equal(fuse_bpf_config_set_raise_nofile(cfg, false),
				 0);
	bs = fuse_bpf_session_new(NULL, &ops, sizeof(ops), NULL, cfg);
	fuse_bpf_config_destroy(cfg);
	assert_non_null(bs);
	fuse_bpf_session_destroy(bs);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	return rl.rlim_cur;
}

static void test_raise_nofile(void **state)
{
	struct rlimit saved, low;

	assert_int_equal(fuse_bpf_config_set_raise_nofile(NULL, true),
			 -EINVAL);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	if (saved.rlim_max < 128)
		skip();
	low = saved;
	low.rlim_cur = 64;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(nofile_after_session(true), 64);
	assert_int_equal(nofile_after_session(false), saved.rlim_max);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
}

/* ---- mount options ----------------------------------------------------- */

static void test_mount_split(void **state)
{
	char *argv[] = {
		"prog", "-o", "fsname=src\\,x,ro,debug,noexec", "-f",
		"-oallow_other,subtype=pt,max_read=65536,max_threads=4",
		"-o", "dev,default_permissions", "mnt", NULL,
	};
	struct fuse_args args = FUSE_ARGS_INIT(8, argv);
	struct fbpf_mount_opts mo;
	char *data;
	int i;

	assert_int_equal(fbpf_mount_opts_split(&args, &mo), 0);
	assert_string_equal(mo.fsname, "src,x");
	assert_string_equal(mo.subtype, "pt");
	assert_int_equal(mo.flags, MS_NOSUID | MS_RDONLY | MS_NOEXEC);
	assert_string_equal(mo.kernel_opts, "max_read=65536");
	/* What libfuse parses itself stays. */
	assert_int_equal(args.argc, 5);
	assert_string_equal(args.argv[0], "prog");
	for (i = 1; i < args.argc; i++)
		assert_null(strstr(args.argv[i], "fsname"));
	assert_string_equal(args.argv[1], "-o");
	assert_string_equal(args.argv[2], "debug,max_threads=4");
	assert_string_equal(args.argv[3], "-f");
	assert_string_equal(args.argv[4], "mnt");

	data = fbpf_mount_data(&mo, 5, -1);
	assert_non_null(data);
	assert_non_null(strstr(data, "fd=5,rootmode=40000,user_id="));
	assert_non_null(strstr(data, ",default_permissions,allow_other,max_read=65536"));
	assert_null(strstr(data, "root_dir"));
	free(data);
	data = fbpf_mount_data(&mo, 5, 8);
	assert_non_null(strstr(data, ",root_dir=8"));
	free(data);
	data = fbpf_mount_data(&mo, -1, 8);
	assert_non_null(strstr(data, "no_daemon,"));
	assert_null(strstr(data, "fd=-1"));
	free(data);
	/* The subtype: fuse.NAME, or fusebpf.NAME on fuse-bpf.ko. */
	data = fbpf_mount_type(&mo, "fuse");
	assert_string_equal(data, "fuse.pt");
	free(data);
	data = fbpf_mount_type(&mo, "fusebpf");
	assert_string_equal(data, "fusebpf.pt");
	free(data);
	fbpf_mount_opts_free(&mo);
	fuse_opt_free_args(&args);
}

static void test_mount_split_refusals(void **state)
{
	char *data;
	char *argv1[] = { "prog", "-o", "auto_unmount", NULL };
	char *argv2[] = { "prog", "-o", "allow_root", NULL };
	char *argv3[] = { "prog", NULL };
	struct fuse_args a1 = FUSE_ARGS_INIT(3, argv1);
	struct fuse_args a2 = FUSE_ARGS_INIT(3, argv2);
	struct fuse_args a3 = FUSE_ARGS_INIT(1, argv3);
	struct fbpf_mount_opts mo;

	assert_int_equal(fbpf_mount_opts_split(&a1, &mo), -EINVAL);
	assert_non_null(strstr(last_log, "auto_unmount"));
	assert_null(mo.fsname);
	assert_int_equal(fbpf_mount_opts_split(&a2, &mo), -EINVAL);
	assert_int_equal(fbpf_mount_opts_split(&a3, &mo), 0);
	assert_null(mo.fsname);
	assert_null(mo.subtype);
	assert_null(mo.kernel_opts);
	assert_int_equal(mo.flags, MS_NOSUID | MS_NODEV);
	data = fbpf_mount_type(&mo, "fusebpf");
	assert_string_equal(data, "fusebpf");
	free(data);
	fbpf_mount_opts_free(&mo);
	fuse_opt_free_args(&a1);
	fuse_opt_free_args(&a2);
	fuse_opt_free_args(&a3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_encode_each_type, setup_log),
		cmocka_unit_test_setup(test_encode_zero_and_two, setup_log),
		cmocka_unit_test_setup(test_encode_refusals, setup_log),
		cmocka_unit_test_setup(test_abi, setup_log),
		cmocka_unit_test_setup(test_ioc_cmd, setup_log),
		cmocka_unit_test_setup(test_validate, setup_log),
		cmocka_unit_test_setup(test_mode_names, setup_log),
		cmocka_unit_test_setup(test_choose_mode, setup_log),
		cmocka_unit_test_setup(test_probe_kind, setup_log),
		cmocka_unit_test_setup(test_mount_target, setup_log),
		cmocka_unit_test_setup(test_config, setup_log),
		cmocka_unit_test_setup(test_opcode_names, setup_log),
		cmocka_unit_test_setup(test_stats, setup_log),
		cmocka_unit_test_setup(test_filter_entries, setup_log),
		cmocka_unit_test_setup(test_filter_passthrough, setup_log),
		cmocka_unit_test_setup(test_reply_entry_ownership, setup_log),
		cmocka_unit_test_setup(test_raise_nofile, setup_log),
		cmocka_unit_test_setup(test_mount_split, setup_log),
		cmocka_unit_test_setup(test_mount_split_refusals, setup_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
