// SPDX-License-Identifier: LGPL-2.1-only
/*
 * libfuse-bpf: mount(2), mounts without a daemon, unmount.
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 *
 * The library mounts by itself (it needs the /dev/fuse fd before libfuse
 * sees it, and fuse-bpf mounts take a root_dir= fd), so the mount-type -o
 * options a daemon passes in its arguments are taken out before libfuse
 * parses the rest.
 */
#include "fuse_bpf_i.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_opt.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

enum {
	KEY_FSNAME,
	KEY_SUBTYPE,
	KEY_FLAG,
	KEY_MAX_READ,
	KEY_IMPLIED,
	KEY_UNSUPPORTED,
};

static const struct fuse_opt mount_spec[] = {
	FUSE_OPT_KEY("fsname=", KEY_FSNAME),
	FUSE_OPT_KEY("subtype=", KEY_SUBTYPE),
	FUSE_OPT_KEY("ro", KEY_FLAG),
	FUSE_OPT_KEY("rw", KEY_FLAG),
	FUSE_OPT_KEY("suid", KEY_FLAG),
	FUSE_OPT_KEY("nosuid", KEY_FLAG),
	FUSE_OPT_KEY("dev", KEY_FLAG),
	FUSE_OPT_KEY("nodev", KEY_FLAG),
	FUSE_OPT_KEY("exec", KEY_FLAG),
	FUSE_OPT_KEY("noexec", KEY_FLAG),
	FUSE_OPT_KEY("async", KEY_FLAG),
	FUSE_OPT_KEY("sync", KEY_FLAG),
	FUSE_OPT_KEY("dirsync", KEY_FLAG),
	FUSE_OPT_KEY("atime", KEY_FLAG),
	FUSE_OPT_KEY("noatime", KEY_FLAG),
	FUSE_OPT_KEY("relatime", KEY_FLAG),
	FUSE_OPT_KEY("strictatime", KEY_FLAG),
	FUSE_OPT_KEY("nodiratime", KEY_FLAG),
	FUSE_OPT_KEY("max_read=", KEY_MAX_READ),
	FUSE_OPT_KEY("allow_other", KEY_IMPLIED),
	FUSE_OPT_KEY("default_permissions", KEY_IMPLIED),
	/* fuseblk's alone: the kernel refuses it on the mounts made here. */
	FUSE_OPT_KEY("blksize=", KEY_UNSUPPORTED),
	FUSE_OPT_KEY("allow_root", KEY_UNSUPPORTED),
	FUSE_OPT_KEY("auto_unmount", KEY_UNSUPPORTED),
	FUSE_OPT_END
};

struct mount_flag {
	const char *name;
	unsigned long flag;
	bool set;
};

static const struct mount_flag mount_flags[] = {
	{ "ro", MS_RDONLY, true },
	{ "rw", MS_RDONLY, false },
	{ "suid", MS_NOSUID, false },
	{ "nosuid", MS_NOSUID, true },
	{ "dev", MS_NODEV, false },
	{ "nodev", MS_NODEV, true },
	{ "exec", MS_NOEXEC, false },
	{ "noexec", MS_NOEXEC, true },
	{ "async", MS_SYNCHRONOUS, false },
	{ "sync", MS_SYNCHRONOUS, true },
	{ "dirsync", MS_DIRSYNC, true },
	{ "atime", MS_NOATIME, false },
	{ "noatime", MS_NOATIME, true },
	{ "relatime", MS_RELATIME, true },
	{ "strictatime", MS_STRICTATIME, true },
	{ "nodiratime", MS_NODIRATIME, true },
};

static int replace_str(char **dst, const char *src)
{
	char *s = strdup(src);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/*
 * mount(2) refuses an empty source or subtype ("fuse." as the type), and
 * a source or type longer than PATH_MAX - 1.
 */
static int set_name(char **dst, const char *val, size_t max)
{
	if (!*val)
		return -EINVAL;
	if (strlen(val) > max)
		return -ENAMETOOLONG;
	return replace_str(dst, val);
}

/*
 * max_read= goes into the mount data, where a comma (which fuse_opt makes
 * of an escaped "\,") would start another kernel option, and where the
 * kernel reads a leading 0 as octal: only a decimal number that fits the
 * kernel's u32 is taken, and it is written back as read.  The last one
 * wins, as it would in the kernel.
 */
static int set_max_read(struct fbpf_mount_opts *mo, const char *val)
{
	unsigned long long v = 0;
	const char *p;
	char *s;

	if (!*val)
		return -EINVAL;
	for (p = val; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned int)(*p - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	if (asprintf(&s, "max_read=%llu", v) < 0)
		return -ENOMEM;
	free(mo->kernel_opts);
	mo->kernel_opts = s;
	return 0;
}

static int apply_flag(struct fbpf_mount_opts *mo, const char *arg)
{
	size_t i;

	for (i = 0; i < sizeof(mount_flags) / sizeof(mount_flags[0]); i++) {
		if (strcmp(arg, mount_flags[i].name) != 0)
			continue;
		if (mount_flags[i].set)
			mo->flags |= mount_flags[i].flag;
		else
			mo->flags &= ~mount_flags[i].flag;
		return 0;
	}
	return -EINVAL;
}

static int mount_opt_proc(void *data, const char *arg, int key,
			  struct fuse_args *outargs)
{
	struct fbpf_mount_opts *mo = data;
	int err = 0;

	switch (key) {
	case KEY_FSNAME:
		err = set_name(&mo->fsname, arg + strlen("fsname="),
			       PATH_MAX - 1);
		break;
	case KEY_SUBTYPE:
		err = set_name(&mo->subtype, arg + strlen("subtype="),
			       PATH_MAX - 1 - strlen("fusebpf."));
		break;
	case KEY_FLAG:
		err = apply_flag(mo, arg);
		break;
	case KEY_MAX_READ:
		err = set_max_read(mo, arg + strlen("max_read="));
		break;
	case KEY_IMPLIED:
		return 0;
	case KEY_UNSUPPORTED:
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: mount option '%s' is not supported\n", arg);
		return -1;
	default:
		return 1;
	}
	if (err) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: mount option '%s': %s\n",
			 arg, strerror(-err));
		return -1;
	}
	return 0;
}

int fbpf_mount_opts_split(struct fuse_args *args, struct fbpf_mount_opts *mo)
{
	memset(mo, 0, sizeof(*mo));
	mo->flags = MS_NOSUID | MS_NODEV;
	if (fuse_opt_parse(args, mo, mount_spec, mount_opt_proc) == -1) {
		fbpf_mount_opts_free(mo);
		return -EINVAL;
	}
	return 0;
}

void fbpf_mount_opts_free(struct fbpf_mount_opts *mo)
{
	free(mo->fsname);
	free(mo->subtype);
	free(mo->kernel_opts);
	mo->fsname = NULL;
	mo->subtype = NULL;
	mo->kernel_opts = NULL;
}

char *fbpf_mount_data(const struct fbpf_mount_opts *mo, int devfd,
		      int root_dir_fd)
{
	char *data = NULL;
	int n;

	if (devfd >= 0)
		n = asprintf(&data,
			     "fd=%d,rootmode=40000,user_id=%u,group_id=%u,default_permissions,allow_other%s%s",
			     devfd, (unsigned int)getuid(),
			     (unsigned int)getgid(),
			     mo->kernel_opts ? "," : "",
			     mo->kernel_opts ? mo->kernel_opts : "");
	else
		n = asprintf(&data,
			     "no_daemon,rootmode=40000,user_id=%u,group_id=%u,default_permissions,allow_other%s%s",
			     (unsigned int)getuid(), (unsigned int)getgid(),
			     mo->kernel_opts ? "," : "",
			     mo->kernel_opts ? mo->kernel_opts : "");
	if (n < 0)
		return NULL;
	if (root_dir_fd >= 0) {
		char *full = NULL;

		n = asprintf(&full, "%s,root_dir=%d", data, root_dir_fd);
		free(data);
		if (n < 0)
			return NULL;
		data = full;
	}
	return data;
}

char *fbpf_mount_type(const struct fbpf_mount_opts *mo, const char *fstype)
{
	char *type = NULL;

	if (asprintf(&type, "%s%s%s", fstype, mo->subtype ? "." : "",
		     mo->subtype ? mo->subtype : "") < 0)
		return NULL;
	return type;
}

/* mount(2) of file system type @fstype; 0 or -errno with a message. */
static int do_mount(const struct fbpf_mount_opts *mo, const char *fstype,
		    const char *mountpoint, const char *data)
{
	char *type = fbpf_mount_type(mo, fstype);
	int err = 0;

	if (!type)
		return -ENOMEM;
	if (mount(mo->fsname ? mo->fsname : "fuse-bpf", mountpoint, type,
		  mo->flags, data) < 0) {
		err = -errno;
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: mount of %s on %s failed: %s\n",
			 type, mountpoint, strerror(-err));
	}
	free(type);
	return err;
}

/* The mode auto settles on without fuse-bpf. */
static enum fuse_bpf_mode lower_mode(void)
{
	if (fuse_bpf_probe_kernel() & FUSE_BPF_CAP_PASSTHROUGH)
		return FUSE_BPF_MODE_PASSTHROUGH;
	return FUSE_BPF_MODE_USERSPACE;
}

/*
 * Whether @mountpoint is the directory of @root_fd or below it: the mount
 * would then serve itself, and the first lookup through it deadlocks.
 * Walks the ancestors of @mountpoint by "..", comparing (st_dev, st_ino).
 * 1 inside, 0 not, or -errno.
 */
static int mountpoint_inside(int root_fd, const char *mountpoint)
{
	struct stat root, cur, up;
	int fd, parent, ret = 0;

	if (fstat(root_fd, &root) < 0)
		return -errno;
	fd = open(mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (fstat(fd, &cur) < 0) {
			ret = -errno;
			break;
		}
		if (cur.st_dev == root.st_dev && cur.st_ino == root.st_ino) {
			ret = 1;
			break;
		}
		parent = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0) {
			ret = -errno;
			break;
		}
		close(fd);
		fd = parent;
		if (fstat(fd, &up) < 0) {
			ret = -errno;
			break;
		}
		/* "/" is its own parent. */
		if (up.st_dev == cur.st_dev && up.st_ino == cur.st_ino)
			break;
	}
	close(fd);
	return ret;
}

int fuse_bpf_session_mount(struct fuse_bpf_session *bs,
			   const char *mountpoint)
{
	struct fbpf_core *core;
	enum fuse_bpf_mode expected;
	enum fbpf_kernel_kind kind;
	int fd, root_dir = -1, err;
	const char *why, *dev, *fstype;
	char *data;

	if (!bs || !mountpoint)
		return -EINVAL;
	core = fbpf_core_of(bs);
	if (core->mounted || bs->fd >= 0) {
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: session already mounted\n");
		return -EBUSY;
	}
	kind = fbpf_probe_kernel_kind();
	if (bs->cfg.mode == FUSE_BPF_MODE_KERNEL && kind == FBPF_KERNEL_NONE) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: mode fuse-bpf requested, but this kernel has no fuse-bpf (neither %s nor %s reads \"supported\": load fuse-bpf.ko)\n",
			 FUSE_BPF_MODULE_FEATURE_FILE, FUSE_BPF_FEATURE_FILE);
		atomic_store(&bs->error, -EOPNOTSUPP);
		return -EOPNOTSUPP;
	}
	if (bs->cfg.mode == FUSE_BPF_MODE_PASSTHROUGH &&
	    fbpf_backing_privilege(core->init_userns,
				   fbpf_cap_sys_admin_effective(), true,
				   &why)) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: mode passthrough requested, but it needs CAP_SYS_ADMIN in the initial user namespace: %s\n",
			 why);
		atomic_store(&bs->error, -EPERM);
		return -EPERM;
	}
	/* root_dir= in fuse-bpf mode, the library's root backing otherwise. */
	if (bs->cfg.root_fd >= 0 &&
	    fbpf_backing_privilege(core->init_userns,
				   fbpf_cap_sys_admin_effective(), true,
				   &why)) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: backing the root of the mount (root_dir=) needs CAP_SYS_ADMIN in the initial user namespace: %s\n",
			 why);
		return -EPERM;
	}
	if (bs->cfg.root_fd >= 0) {
		err = mountpoint_inside(bs->cfg.root_fd, mountpoint);
		if (err < 0) {
			fuse_log(FUSE_LOG_ERR, "fuse-bpf: mountpoint %s: %s\n",
				 mountpoint, strerror(-err));
			return err;
		}
		if (err) {
			fuse_log(FUSE_LOG_ERR,
				 "fuse-bpf: mountpoint %s is the backed root or inside it: the mount would serve itself\n",
				 mountpoint);
			return -EINVAL;
		}
	}
	free(bs->mountpoint);
	bs->mountpoint = strdup(mountpoint);
	if (!bs->mountpoint)
		return -ENOMEM;

	/* The fuse-bpf kernel checks the opener of /dev/fuse too. */
	core->dev_privileged =
		fbpf_backing_privilege(core->init_userns,
				       fbpf_cap_sys_admin_effective(), true,
				       NULL) == 0;
	expected = fuse_bpf_session_mode(bs);
	if (expected == FUSE_BPF_MODE_KERNEL && kind == FBPF_KERNEL_NONE)
		expected = lower_mode();	/* auto; fuse-bpf.ko is gone */
	fbpf_mount_target(expected, kind, &dev, &fstype);
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0 && expected == FUSE_BPF_MODE_KERNEL &&
	    bs->cfg.mode == FUSE_BPF_MODE_AUTO &&
	    strcmp(dev, "/dev/fuse") != 0) {
		/* /dev/fuse-bpf is root's alone unless udev says otherwise. */
		fuse_log(FUSE_LOG_INFO,
			 "fuse-bpf: cannot open %s (%s), mode auto uses /dev/fuse\n",
			 dev, strerror(errno));
		expected = lower_mode();
		fbpf_mount_target(expected, kind, &dev, &fstype);
		fd = open(dev, O_RDWR | O_CLOEXEC);
	}
	if (fd < 0) {
		err = -errno;
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: cannot open %s: %s\n", dev,
			 strerror(-err));
		return err;
	}
	/*
	 * What INIT may settle on: fuse-bpf only on a device that serves it
	 * and a mount made for it (root_dir= rather than the library's root
	 * backing).
	 */
	core->conn_fuse_bpf = expected == FUSE_BPF_MODE_KERNEL;
	atomic_store(&bs->mode, (int)expected);

	if (bs->cfg.root_fd >= 0) {
		if (expected == FUSE_BPF_MODE_KERNEL) {
			root_dir = bs->cfg.root_fd;
		} else {
			err = fbpf_nodes_set_root(bs, bs->cfg.root_fd);
			if (err) {
				fuse_log(FUSE_LOG_ERR,
					 "fuse-bpf: cannot back the root: %s\n",
					 strerror(-err));
				close(fd);
				return err;
			}
		}
	}
	data = fbpf_mount_data(&core->mo, fd, root_dir);
	if (!data) {
		close(fd);
		return -ENOMEM;
	}
	err = do_mount(&core->mo, fstype, mountpoint, data);
	free(data);
	if (err) {
		close(fd);
		return err;
	}
	bs->fd = fd;
	err = fbpf_registry_add(bs);
	if (!err) {
		err = fuse_session_custom_io(bs->se, &fbpf_custom_io, fd);
		if (err) {
			fuse_log(FUSE_LOG_ERR,
				 "fuse-bpf: fuse_session_custom_io failed: %s\n",
				 strerror(-err));
			fbpf_registry_remove(bs);
		}
	}
	if (err) {
		umount2(mountpoint, MNT_DETACH);
		close(fd);
		bs->fd = -1;
		return err;
	}
	core->mounted = true;
	return 0;
}

void fuse_bpf_session_unmount(struct fuse_bpf_session *bs)
{
	struct fbpf_core *core;
	struct pollfd pfd;

	if (!bs || !bs->priv)
		return;
	core = fbpf_core_of(bs);
	if (!core->mounted)
		return;
	core->mounted = false;
	/*
	 * POLLERR on the device: the connection is gone (fusermount -u,
	 * umount), so whatever is mounted there now is not ours.
	 */
	pfd.fd = bs->fd;
	pfd.events = 0;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR))
		return;
	if (umount2(bs->mountpoint, MNT_DETACH) < 0 && errno != EINVAL &&
	    errno != ENOENT)
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: unmounting %s: %s\n",
			 bs->mountpoint, strerror(errno));
}

int fuse_bpf_mount_no_daemon(const char *backing_dir, const char *mountpoint,
			     const char *options)
{
	char *argv[] = { "fuse-bpf", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct fbpf_mount_opts mo;
	enum fbpf_kernel_kind kind;
	const char *why, *dev, *fstype;
	char *data;
	int dfd, err;

	if (!backing_dir || !mountpoint)
		return -EINVAL;
	if (fbpf_backing_privilege(fbpf_probe_init_userns(),
				   fbpf_cap_sys_admin_effective(), true,
				   &why)) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: a no_daemon mount (root_dir=) needs CAP_SYS_ADMIN in the initial user namespace: %s\n",
			 why);
		return -EPERM;
	}
	kind = fbpf_probe_kernel_kind();
	if (kind == FBPF_KERNEL_NONE) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: no_daemon mounts need a fuse-bpf kernel (neither %s nor %s reads \"supported\": load fuse-bpf.ko)\n",
			 FUSE_BPF_MODULE_FEATURE_FILE, FUSE_BPF_FEATURE_FILE);
		return -EOPNOTSUPP;
	}
	fbpf_mount_target(FUSE_BPF_MODE_KERNEL, kind, &dev, &fstype);
	if (options && *options &&
	    (fuse_opt_add_arg(&args, "-o") || fuse_opt_add_arg(&args, options))) {
		fuse_opt_free_args(&args);
		return -ENOMEM;
	}
	err = fbpf_mount_opts_split(&args, &mo);
	if (!err && args.argc > 1) {
		fuse_log(FUSE_LOG_ERR,
			 "fuse-bpf: unknown no_daemon mount option(s) in '%s'\n",
			 options);
		fbpf_mount_opts_free(&mo);
		err = -EINVAL;
	}
	fuse_opt_free_args(&args);
	if (err)
		return err;

	dfd = open(backing_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		err = -errno;
		fuse_log(FUSE_LOG_ERR, "fuse-bpf: cannot open %s: %s\n",
			 backing_dir, strerror(-err));
		fbpf_mount_opts_free(&mo);
		return err;
	}
	data = fbpf_mount_data(&mo, -1, dfd);
	if (!data)
		err = -ENOMEM;
	else
		err = do_mount(&mo, fstype, mountpoint, data);
	free(data);
	close(dfd);
	fbpf_mount_opts_free(&mo);
	return err;
}
