// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the backing privilege (lib/probe.c): CAP_SYS_ADMIN in the
 * initial user namespace, the rule every mode applies before attaching
 * backing.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 *
 * The rule and the uid_map parser are pure functions; the namespace probe
 * is checked on files made here, on the real /proc/self/ns/user, and in a
 * child process that moves into a new user namespace (where capget(2)
 * reports CAP_SYS_ADMIN but the rule must not hold).  Capability changes
 * happen in child processes only.
 */
#include "fuse_bpf_i.h"
#include "../caps.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- the rule ------------------------------------------------------------ */

static void test_rule(void **state)
{
	static const int userns[] = { -ENOENT, 0, 1 };
	static const int caps[] = { -EPERM, 0, 1 };
	const char *why, *seen[8];
	size_t i, j, k, nseen = 0, s;

	for (i = 0; i < 3; i++) {
		for (j = 0; j < 3; j++) {
			for (k = 0; k < 2; k++) {
				bool ok = userns[i] == 1 && caps[j] == 1 && k;
				int ret;

				why = "unset";
				ret = fbpf_backing_privilege(userns[i], caps[j],
							     k, &why);
				if (ok) {
					assert_int_equal(ret, 0);
					assert_null(why);
					continue;
				}
				assert_int_equal(ret, -EPERM);
				assert_non_null(why);
				assert_null(strchr(why, '\n'));
				for (s = 0; s < nseen && seen[s] != why; s++)
					;
				if (s == nseen && nseen < 8)
					seen[nseen++] = why;
				/* NULL @why is allowed. */
				assert_int_equal(
					fbpf_backing_privilege(userns[i],
							       caps[j], k,
							       NULL),
					-EPERM);
			}
		}
	}
	/* Each missing piece is named: namespace unknown, other namespace,
	 * capget failed, capability missing, /dev/fuse opener. */
	assert_int_equal(nseen, 5);
}

static void test_rule_order(void **state)
{
	const char *why;

	/* The namespace is the first thing named: no capability helps. */
	assert_int_equal(fbpf_backing_privilege(0, 1, true, &why), -EPERM);
	assert_non_null(strstr(why, "user namespace"));
	assert_int_equal(fbpf_backing_privilege(-EACCES, 1, true, &why),
			 -EPERM);
	assert_non_null(strstr(why, "/proc/self"));
	assert_int_equal(fbpf_backing_privilege(1, 0, true, &why), -EPERM);
	assert_non_null(strstr(why, "effective"));
	assert_int_equal(fbpf_backing_privilege(1, 1, false, &why), -EPERM);
	assert_non_null(strstr(why, "/dev/fuse"));
}

/* ---- uid_map ------------------------------------------------------------- */

static void test_uid_map(void **state)
{
	assert_true(fbpf_uid_map_is_init("0 0 4294967295"));
	assert_true(fbpf_uid_map_is_init(
		"         0          0 4294967295\n"));
	assert_false(fbpf_uid_map_is_init(""));
	assert_false(fbpf_uid_map_is_init("\n"));
	/* A root-only map: a user namespace made by unshare -r. */
	assert_false(fbpf_uid_map_is_init("         0          0          1\n"));
	assert_false(fbpf_uid_map_is_init("0 1000 1\n"));
	assert_false(fbpf_uid_map_is_init("0 0 4294967294\n"));
	assert_false(fbpf_uid_map_is_init("1 0 4294967295\n"));
	assert_false(fbpf_uid_map_is_init("0 1 4294967295\n"));
	/* Two lines: some namespace split the range. */
	assert_false(fbpf_uid_map_is_init("0 0 1000\n1000 1000 4294966295\n"));
	assert_false(fbpf_uid_map_is_init("0 0 4294967295 junk\n"));
	assert_false(fbpf_uid_map_is_init("zero 0 4294967295\n"));
}

/* ---- the namespace probe ------------------------------------------------- */

static char dir[64];

static int setup_dir(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/fbpf-priv.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_userns_files(void **state)
{
	char none[128], map[128], file[128];

	snprintf(none, sizeof(none), "%s/none", dir);
	snprintf(map, sizeof(map), "%s/uid_map", dir);
	snprintf(file, sizeof(file), "%s/file", dir);

	/* No ns file: the uid_map decides. */
	write_file(map, "         0          0 4294967295\n");
	assert_int_equal(fbpf_probe_init_userns_at(none, map), 1);
	write_file(map, "         0       1000          1\n");
	assert_int_equal(fbpf_probe_init_userns_at(none, map), 0);
	write_file(map, "");
	assert_int_equal(fbpf_probe_init_userns_at(none, map), 0);
	/* Neither: unknown, which the rule treats as "not allowed". */
	assert_int_equal(fbpf_probe_init_userns_at(none, none), -ENOENT);
	/* An ns file is judged by its inode alone, the map is not read. */
	write_file(file, "");
	write_file(map, "0 0 4294967295\n");
	assert_int_equal(fbpf_probe_init_userns_at(file, map), 0);
}

/* 1 when the uid_map of this process is the initial one. */
static int uid_map_says_init(void)
{
	char buf[256];
	ssize_t n;
	int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return fbpf_uid_map_is_init(buf);
}

static void test_userns_real(void **state)
{
	struct stat st;
	int here, status;
	pid_t pid;

	here = fbpf_probe_init_userns();
	assert_true(here == 0 || here == 1);
	assert_int_equal(stat("/proc/self/ns/user", &st), 0);
	assert_int_equal(here, st.st_ino == FBPF_PROC_USER_INIT_INO);
	/* Both sources agree here. */
	assert_int_equal(uid_map_says_init(), here);
	assert_int_equal(fbpf_probe_init_userns(), here);

	/*
	 * A child in a new user namespace: not the initial one, whatever
	 * capget(2) says there.
	 */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(77);
		if (fbpf_probe_init_userns() != 0)
			_exit(1);
		if (fbpf_probe_init_userns_at("/nonexistent",
					      "/proc/self/uid_map") != 0)
			_exit(2);
		if (fbpf_cap_sys_admin_effective() != 1)
			_exit(3);
		if (fbpf_probe_cap_sys_admin())
			_exit(4);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		print_message("note: no new user namespace here, part skipped\n");
		return;
	}
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- the capability probe ------------------------------------------------ */

static void test_cap_effective(void **state)
{
	int here = fbpf_cap_sys_admin_effective(), status;
	pid_t pid;

	assert_true(here == 0 || here == 1);
	if (!here) {
		print_message("note: no CAP_SYS_ADMIN here, drop not tried\n");
		assert_false(fbpf_probe_cap_sys_admin());
		return;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Effective set only: the rule looks at it, as capable(). */
		if (test_set_sys_admin(false))
			_exit(1);
		if (fbpf_cap_sys_admin_effective() != 0 ||
		    fbpf_probe_cap_sys_admin())
			_exit(2);
		if (test_set_sys_admin(true))
			_exit(3);
		if (fbpf_cap_sys_admin_effective() != 1)
			_exit(4);
		if (fbpf_probe_cap_sys_admin() !=
		    (fbpf_probe_init_userns() == 1))
			_exit(5);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule),
		cmocka_unit_test(test_rule_order),
		cmocka_unit_test(test_uid_map),
		cmocka_unit_test_setup_teardown(test_userns_files, setup_dir,
						teardown_dir),
		cmocka_unit_test(test_userns_real),
		cmocka_unit_test(test_cap_effective),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
