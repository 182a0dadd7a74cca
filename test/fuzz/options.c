// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target "options": option parsing.  The mount-type "-o" options
 * taken out of a daemon's arguments (fbpf_mount_opts_split), the mount(2)
 * data and file system type built from them (fbpf_mount_data,
 * fbpf_mount_type), mode names (fuse_bpf_mode_parse/_name) and the
 * configuration setters.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 *
 * The arguments are the input cut at NUL bytes.  Properties: what the
 * splitter accepts, the kernel accepts too (Linux 6.1 and 6.12: fs/fuse
 * parameters, fs/namespace.c): the data holds only the options the library
 * writes, each once, a max_read= the kernel reads as the same decimal
 * number, and fits the page mount(2) copies; the source and type are not
 * empty and fit PATH_MAX; nothing of ours is left for libfuse (splitting
 * again finds nothing); a refusal leaves nothing allocated.  A mode name
 * parses back to the mode it names; the setters take exactly the values
 * they document.
 */
#include "fuse_bpf_i.h"
#include "fuzz.h"

#include <errno.h>
#include <fuse_opt.h>
#include <limits.h>
#include <math.h>
#include <sys/mount.h>

#define MAX_ARGS 12
#define PAGE 4096

static const unsigned long known_flags = MS_RDONLY | MS_NOSUID | MS_NODEV |
	MS_NOEXEC | MS_SYNCHRONOUS | MS_DIRSYNC | MS_NOATIME | MS_RELATIME |
	MS_STRICTATIME | MS_NODIRATIME;

/* A decimal the kernel's kstrtouint(s, 0) reads as that same number. */
static bool canonical_u32(const char *s)
{
	unsigned long long v = 0;
	const char *p;

	if (!*s || (s[0] == '0' && s[1]))
		return false;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned int)(*p - '0');
		if (v > UINT_MAX)
			return false;
	}
	return true;
}

static void check_data(const char *data, int devfd, int root_fd)
{
	static const char *const once[] = {
		"fd=", "no_daemon", "rootmode=", "user_id=", "group_id=",
		"default_permissions", "allow_other", "max_read=",
		"root_dir=",
	};
	unsigned int seen[sizeof(once) / sizeof(once[0])] = { 0 };
	char *copy = strdup(data), *item, *save = NULL;
	size_t i;

	FZ_CHECK(copy, "out of memory");
	FZ_CHECK(strlen(data) < PAGE, "mount data of %zu bytes", strlen(data));
	for (item = strtok_r(copy, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
			size_t l = strlen(once[i]);

			if (once[i][l - 1] == '=' ?
			    strncmp(item, once[i], l) == 0 :
			    strcmp(item, once[i]) == 0)
				break;
		}
		FZ_CHECK(i < sizeof(once) / sizeof(once[0]),
			 "unexpected mount option \"%s\" in \"%s\"", item, data);
		FZ_CHECK(!seen[i]++, "\"%s\" twice in \"%s\"", once[i], data);
		if (strcmp(once[i], "max_read=") == 0)
			FZ_CHECK(canonical_u32(item + strlen("max_read=")),
				 "\"%s\"", item);
	}
	FZ_CHECK(seen[0] == (devfd >= 0) && seen[1] == (devfd < 0) &&
		 seen[8] == (root_fd >= 0), "\"%s\"", data);
	FZ_CHECK(strstr(data, ",,") == NULL && data[strlen(data) - 1] != ',',
		 "empty option in \"%s\"", data);
	free(copy);
}

static void check_split(char **argv, int argc)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_args again;
	struct fbpf_mount_opts mo, mo2;
	char *data, *type;
	int ret, i;

	ret = fbpf_mount_opts_split(&args, &mo);
	if (ret) {
		FZ_CHECK(ret == -EINVAL, "split: %d", ret);
		FZ_CHECK(!mo.fsname && !mo.subtype && !mo.kernel_opts,
			 "refusal left options allocated");
		fuse_opt_free_args(&args);
		return;
	}
	FZ_CHECK(!(mo.flags & ~known_flags), "flags %#lx", mo.flags);
	FZ_CHECK(!mo.fsname || (*mo.fsname && strlen(mo.fsname) < PATH_MAX),
		 "source of %zu bytes", mo.fsname ? strlen(mo.fsname) : 0);
	FZ_CHECK(!mo.subtype || *mo.subtype, "empty subtype");
	type = fbpf_mount_type(&mo, "fusebpf");
	FZ_CHECK(type && strlen(type) < PATH_MAX, "type of %zu bytes",
		 type ? strlen(type) : 0);
	free(type);
	data = fbpf_mount_data(&mo, 3, -1);
	FZ_CHECK(data, "no mount data");
	check_data(data, 3, -1);
	free(data);
	data = fbpf_mount_data(&mo, -1, 2147483647);
	FZ_CHECK(data, "no mount data");
	check_data(data, -1, 2147483647);
	free(data);

	/* What is left is libfuse's: a second split takes nothing. */
	again.argc = args.argc;
	again.argv = calloc((size_t)args.argc + 1, sizeof(char *));
	again.allocated = 1;
	FZ_CHECK(again.argv, "out of memory");
	for (i = 0; i < args.argc; i++) {
		again.argv[i] = strdup(args.argv[i]);
		FZ_CHECK(again.argv[i], "out of memory");
	}
	ret = fbpf_mount_opts_split(&again, &mo2);
	FZ_CHECK(ret == 0, "what was left is refused: %d", ret);
	FZ_CHECK(!mo2.fsname && !mo2.subtype && !mo2.kernel_opts &&
		 mo2.flags == (MS_NOSUID | MS_NODEV),
		 "mount options left for libfuse");
	fbpf_mount_opts_free(&mo2);
	fuse_opt_free_args(&again);
	fbpf_mount_opts_free(&mo);
	FZ_CHECK(!mo.fsname && !mo.subtype && !mo.kernel_opts,
		 "free left pointers");
	fuse_opt_free_args(&args);
}

static void check_modes(const char *s)
{
	enum fuse_bpf_mode m;
	struct fuse_bpf_config *cfg;
	int ret;

	ret = fuse_bpf_mode_parse(s, &m);
	if (ret == 0)
		FZ_CHECK(strcmp(fuse_bpf_mode_name(m), s) == 0,
			 "\"%s\" parses to %d, named \"%s\"", s, m,
			 fuse_bpf_mode_name(m));
	else
		FZ_CHECK(ret == -EINVAL, "%d", ret);
	cfg = fuse_bpf_config_new();
	FZ_CHECK(cfg, "out of memory");
	m = (enum fuse_bpf_mode)(s[0] ? (signed char)s[0] : 0);
	ret = fuse_bpf_config_set_mode(cfg, m);
	FZ_CHECK((ret == 0) == (m >= FUSE_BPF_MODE_AUTO &&
				m <= FUSE_BPF_MODE_USERSPACE),
		 "mode %d: %d", m, ret);
	if (ret == 0)
		FZ_CHECK(fuse_bpf_mode_parse(fuse_bpf_mode_name(m), &m) == 0,
			 "a valid mode without a name");
	fuse_bpf_config_destroy(cfg);
}

static void check_timeouts(double e, double a)
{
	struct fuse_bpf_config *cfg = fuse_bpf_config_new();
	int ret;

	FZ_CHECK(cfg, "out of memory");
	ret = fuse_bpf_config_set_timeouts(cfg, e, a);
	if (e >= 0.0 && a >= 0.0)
		FZ_CHECK(ret == 0 && cfg->entry_timeout == e &&
			 cfg->attr_timeout == a, "timeouts %g %g: %d", e, a,
			 ret);
	else
		FZ_CHECK(ret == -EINVAL && cfg->entry_timeout == 1.0 &&
			 cfg->attr_timeout == 1.0, "timeouts %g %g taken", e,
			 a);
	fuse_bpf_config_destroy(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[MAX_ARGS + 2], *p, *end;
	double e, a;
	int argc = 0;

	fz_quiet();
	if (size >= 2 * sizeof(double)) {
		memcpy(&e, data, sizeof(e));
		memcpy(&a, data + sizeof(e), sizeof(a));
		check_timeouts(e, a);
	}
	buf = malloc(size + 1);
	FZ_CHECK(buf, "out of memory");
	memcpy(buf, data, size);
	buf[size] = '\0';
	check_modes(buf);

	argv[argc++] = "prog";
	for (p = buf, end = buf + size; p < end && argc <= MAX_ARGS;
	     p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	check_split(argv, argc);
	free(buf);
	return 0;
}
