// SPDX-License-Identifier: GPL-2.0-only
/*
 * Conformance tests: open, create, release and file data.
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int t_open_flags_errors(void)
{
	char c;
	int fd;

	make_file("f", 0644, 10, 30);
	DO(mkdir("d", 0755));
	FD(open("missing", O_RDONLY));
	FD(open("f", O_RDONLY | O_DIRECTORY));
	FD(open("d", O_WRONLY));
	FD(open("d", O_RDWR));
	FD(open("f/x", O_RDONLY));
	FD(open("f", O_CREAT | O_EXCL | O_WRONLY, 0644));
	DO(symlink("f", "l"));
	FD(open("l", O_RDONLY | O_NOFOLLOW));
	fd = FD(open("f", O_RDONLY));
	if (fd >= 0) {
		DO(write(fd, "x", 1));
		close(fd);
	}
	fd = FD(open("f", O_WRONLY));
	if (fd >= 0) {
		DO(read(fd, &c, 1));
		close(fd);
	}
	fd = FD(open("d", O_RDONLY | O_DIRECTORY));
	if (fd >= 0) {
		DO(read(fd, &c, 1));
		close(fd);
	}
	show_content("f");
	return 0;
}

int t_open_trunc(void)
{
	int fd;

	make_file("f", 0644, 5000, 31);
	fd = FD(open("f", O_WRONLY | O_TRUNC));
	if (fd >= 0) {
		show_fd("f", fd);
		DO(write(fd, "abc", 3));
		close(fd);
	}
	show_content("f");
	fd = FD(open("f", O_RDONLY | O_TRUNC));
	if (fd >= 0)
		close(fd);
	show_content("f");
	return 0;
}

int t_create_mode_umask(void)
{
	static const mode_t modes[] = { 0777, 0644, 0600, 0, 04755, 01777 };
	char name[32];
	size_t i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		snprintf(name, sizeof(name), "f%04o", (unsigned int)modes[i]);
		fd = FD(open(name, O_CREAT | O_WRONLY, modes[i]));
		if (fd >= 0) {
			show_fd(name, fd);
			close(fd);
		}
		show(name);
	}
	umask(077);
	fd = FD(creat("masked", 0666));
	if (fd >= 0)
		close(fd);
	show("masked");
	umask(0);
	fd = FD(creat("unmasked", 0666));
	if (fd >= 0)
		close(fd);
	show("unmasked");
	umask(022);
	show_dir(".");
	return 0;
}

int t_create_excl(void)
{
	int fd;

	fd = FD(open("f", O_CREAT | O_EXCL | O_RDWR, 0640));
	if (fd >= 0) {
		DO(write(fd, "one", 3));
		close(fd);
	}
	FD(open("f", O_CREAT | O_EXCL | O_RDWR, 0640));
	fd = FD(open("f", O_CREAT | O_RDWR, 0600));
	if (fd >= 0) {
		show_fd("f", fd);
		close(fd);
	}
	DO(symlink("target", "dangling"));
	FD(open("dangling", O_CREAT | O_EXCL | O_RDWR, 0640));
	show_content("f");
	show("target");
	return 0;
}

int t_opendir_releasedir(void)
{
	int i, fd;

	DO(mkdir("d", 0755));
	make_file("d/x", 0644, 1, 32);
	for (i = 0; i < 3; i++) {
		fd = FD(open("d", O_RDONLY | O_DIRECTORY));
		if (fd >= 0)
			DO(close(fd));
	}
	fd = FD(open("d/x", O_RDONLY | O_DIRECTORY));
	if (fd >= 0)
		close(fd);
	FD(open("missing", O_RDONLY | O_DIRECTORY));
	DO(rmdir("d"));
	DO(unlink("d/x"));
	DO(rmdir("d"));
	return 0;
}

int t_release_then_reopen(void)
{
	char buf[16] = "";
	int i, fd;

	for (i = 0; i < 5; i++) {
		fd = FD(open("f", O_CREAT | O_WRONLY | O_APPEND, 0644));
		if (fd < 0)
			return 0;
		DO(write(fd, "ab", 2));
		DO(close(fd));
	}
	fd = FD(open("f", O_RDONLY));
	if (fd >= 0) {
		DO(read(fd, buf, sizeof(buf) - 1));
		out("text: %s", buf);
		close(fd);
	}
	return 0;
}

int t_read_write_large(void)
{
	const size_t n = 8u << 20;
	char *a = malloc(n), *b = malloc(n);
	ssize_t r;
	int fd;

	if (!a || !b) {
		free(a);
		free(b);
		out("out of memory");
		return 1;
	}
	fill(a, n, 33);
	fd = FD(open("big", O_CREAT | O_RDWR, 0644));
	if (fd >= 0) {
		r = write(fd, a, n);
		out("write 8 MiB: %s", r == (ssize_t)n ? "all" : "short");
		check(r == (ssize_t)n, "one write of 8 MiB");
		DO(lseek(fd, 0, SEEK_SET));
		r = read(fd, b, n);
		out("read 8 MiB: %s", r == (ssize_t)n ? "all" : "short");
		check(pread_all(fd, b, n, 0) == (ssize_t)n && !memcmp(a, b, n),
		      "read back what was written");
		close(fd);
	}
	show_content("big");
	free(a);
	free(b);
	return 0;
}

int t_read_write_unaligned(void)
{
	static const struct {
		off_t off;
		size_t len;
	} io[] = {
		{ 1, 1 }, { 4095, 2 }, { 4097, 8190 }, { 12287, 1 },
		{ 131071, 70001 }, { 7, 300000 }, { 65535, 65537 },
	};
	char *buf = malloc(400000), *back = malloc(400000);
	size_t i;
	int fd;

	if (!buf || !back) {
		free(buf);
		free(back);
		return 1;
	}
	fd = FD(open("f", O_CREAT | O_RDWR, 0644));
	if (fd < 0)
		goto done;
	for (i = 0; i < ARRAY_SIZE(io); i++) {
		ssize_t r;

		fill(buf, io[i].len, (uint32_t)(40 + i));
		out("pwrite %zu at %lld: %d", io[i].len, (long long)io[i].off,
		    pwrite_all(fd, buf, io[i].len, io[i].off));
		r = pread_all(fd, back, io[i].len, io[i].off);
		check(r == (ssize_t)io[i].len && !memcmp(buf, back, io[i].len),
		      "unaligned read back");
	}
	for (i = 0; i < ARRAY_SIZE(io); i++) {
		ssize_t r = pread_all(fd, back, io[i].len + 3, io[i].off - 1);

		out("pread %zu at %lld: %zd hash=%016llx", io[i].len + 3,
		    (long long)io[i].off - 1, r,
		    (unsigned long long)hash_mem(back, r > 0 ? (size_t)r : 0));
	}
	close(fd);
	show_content("f");
done:
	free(buf);
	free(back);
	return 0;
}

int t_read_past_eof(void)
{
	char buf[8192];
	int fd;

	make_file("f", 0644, 5000, 34);
	fd = FD(open("f", O_RDONLY));
	if (fd < 0)
		return 0;
	DO(pread(fd, buf, sizeof(buf), 0));
	DO(pread(fd, buf, sizeof(buf), 4999));
	DO(pread(fd, buf, sizeof(buf), 5000));
	DO(pread(fd, buf, sizeof(buf), 1 << 30));
	DO(pread(fd, buf, 10, -1));
	close(fd);
	return 0;
}

int t_write_append(void)
{
	int fd, fd2;

	make_file("f", 0644, 100, 35);
	fd = FD(open("f", O_WRONLY | O_APPEND));
	fd2 = FD(open("f", O_WRONLY | O_APPEND));
	if (fd < 0 || fd2 < 0)
		return 0;
	DO(write(fd, "first", 5));
	DO(write(fd2, "second", 6));
	DO(lseek(fd, 0, SEEK_SET));
	DO(write(fd, "third", 5));
	DO(lseek(fd, 0, SEEK_CUR));
	DO(pwrite(fd, "pw", 2, 0));
	show_fd("f", fd);
	close(fd);
	close(fd2);
	show_content("f");
	return 0;
}

int t_write_extends_size(void)
{
	int fd;

	fd = FD(open("f", O_CREAT | O_RDWR, 0644));
	if (fd < 0)
		return 0;
	DO(pwrite(fd, "x", 1, 10000));
	show_fd("f", fd);
	show("f");
	DO(pwrite(fd, "yy", 2, 9999));
	show("f");
	DO(pwrite(fd, "z", 1, 200000));
	show("f");
	close(fd);
	show_content("f");
	return 0;
}

int t_fsync_fdatasync(void)
{
	int fd;

	fd = FD(open("f", O_CREAT | O_RDWR, 0644));
	if (fd < 0)
		return 0;
	DO(write(fd, "data", 4));
	DO(fsync(fd));
	DO(fdatasync(fd));
	DO(syncfs(fd));
	close(fd);
	fd = FD(open("f", O_RDONLY));
	if (fd >= 0) {
		DO(fsync(fd));
		close(fd);
	}
	show_content("f");
	return 0;
}

int t_fsyncdir(void)
{
	int fd;

	DO(mkdir("d", 0755));
	make_file("d/f", 0644, 10, 36);
	fd = FD(open("d", O_RDONLY | O_DIRECTORY));
	if (fd < 0)
		return 0;
	DO(fsync(fd));
	DO(fdatasync(fd));
	close(fd);
	return 0;
}

int t_flush_on_close_dup(void)
{
	int fd, fd2;

	fd = FD(open("f", O_CREAT | O_RDWR, 0644));
	if (fd < 0)
		return 0;
	fd2 = dup(fd);
	DO(write(fd, "one", 3));
	DO(close(fd));
	DO(write(fd2, "two", 3));
	show_fd("dup", fd2);
	DO(close(fd2));
	DO(close(fd2));
	show_content("f");
	return 0;
}

static void show_blocks_state(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return;
	out("%s: size=%lld allocated %s", path, (long long)st.st_size,
	    st.st_blocks ? "some" : "none");
}

int t_fallocate_modes(void)
{
	char buf[65536];
	int fd;

	fd = FD(open("f", O_CREAT | O_RDWR, 0644));
	if (fd < 0)
		return 0;
	if (DO(fallocate(fd, 0, 0, 65536)) < 0 && errno == EOPNOTSUPP) {
		close(fd);
		return CONF_SKIP;
	}
	show_fd("f", fd);
	show_blocks_state("f");
	DO(fallocate(fd, FALLOC_FL_KEEP_SIZE, 65536, 65536));
	show_fd("f", fd);
	fill(buf, sizeof(buf), 37);
	DO(pwrite_all(fd, buf, sizeof(buf), 0));
	DO(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096,
		     8192));
	DO(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 4096, 8192));
	DO(fallocate(fd, FALLOC_FL_ZERO_RANGE, 20000, 1000));
	DO(fallocate(fd, 0, -1, 10));
	DO(fallocate(fd, 0, 0, 0));
	show_fd("f", fd);
	close(fd);
	show_content("f");
	fd = FD(open("f", O_RDONLY));
	if (fd >= 0) {
		DO(fallocate(fd, 0, 0, 10));
		close(fd);
	}
	return 0;
}

int t_lseek_data_hole(void)
{
	const off_t mb = 1 << 20;
	char buf[4096];
	int fd;

	fd = FD(open("f", O_CREAT | O_RDWR, 0644));
	if (fd < 0)
		return 0;
	fill(buf, sizeof(buf), 38);
	DO(pwrite_all(fd, buf, sizeof(buf), mb));
	DO(pwrite_all(fd, buf, sizeof(buf), 3 * mb));
	DO(ftruncate(fd, 5 * mb));
	DO(fsync(fd));
	DO(lseek(fd, 0, SEEK_DATA));
	DO(lseek(fd, 0, SEEK_HOLE));
	DO(lseek(fd, mb, SEEK_HOLE));
	DO(lseek(fd, mb + 4096, SEEK_DATA));
	DO(lseek(fd, 3 * mb + 4096, SEEK_DATA));
	DO(lseek(fd, 3 * mb + 4096, SEEK_HOLE));
	DO(lseek(fd, 5 * mb, SEEK_DATA));
	DO(lseek(fd, 5 * mb, SEEK_HOLE));
	DO(lseek(fd, -1, SEEK_DATA));
	close(fd);
	return 0;
}

int t_lseek_end_cur(void)
{
	char c;
	int fd;

	make_file("f", 0644, 1000, 39);
	fd = FD(open("f", O_RDWR));
	if (fd < 0)
		return 0;
	DO(lseek(fd, 0, SEEK_END));
	DO(lseek(fd, -10, SEEK_END));
	DO(read(fd, &c, 1));
	DO(lseek(fd, 0, SEEK_CUR));
	DO(lseek(fd, 5, SEEK_CUR));
	DO(lseek(fd, -5000, SEEK_CUR));
	DO(lseek(fd, 5000, SEEK_SET));
	DO(write(fd, "e", 1));
	show_fd("f", fd);
	close(fd);
	return 0;
}

int t_copy_file_range_basic(void)
{
	loff_t in_off = 100, out_off = 5;
	int in, outfd;

	make_file("src", 0644, 300000, 40);
	in = FD(open("src", O_RDONLY));
	outfd = FD(open("dst", O_CREAT | O_RDWR, 0644));
	if (in < 0 || outfd < 0)
		return 0;
	DO(copy_file_range(in, &in_off, outfd, &out_off, 200000, 0));
	out("offsets: in=%lld out=%lld", (long long)in_off,
	    (long long)out_off);
	DO(copy_file_range(in, NULL, outfd, NULL, 1000, 0));
	in_off = 299990;
	DO(copy_file_range(in, &in_off, outfd, &out_off, 1000, 0));
	DO(copy_file_range(outfd, NULL, in, NULL, 10, 0));
	close(in);
	close(outfd);
	show_content("dst");
	show_content("src");
	return 0;
}

int t_sparse_over_4g(void)
{
	const off_t g4 = 1LL << 32;
	char buf[8192], back[8192];
	struct stat st;
	int fd;

	fd = FD(open("huge", O_CREAT | O_RDWR, 0644));
	if (fd < 0)
		return 0;
	fill(buf, sizeof(buf), 41);
	DO(pwrite_all(fd, buf, sizeof(buf), g4 - 4096));
	DO(pwrite_all(fd, buf, 100, g4 + (1LL << 20) + 3));
	show_fd("huge", fd);
	DO(pread_all(fd, back, sizeof(back), g4 - 4096));
	check(!memcmp(buf, back, sizeof(buf)), "data across the 4 GiB mark");
	DO(pread_all(fd, back, 100, g4 + (1LL << 20) + 3));
	check(!memcmp(buf, back, 100), "data past 4 GiB + 1 MiB");
	DO(pread_all(fd, back, 10, 12345));
	check(!back[0] && !back[9], "hole reads as zeros");
	DO(ftruncate(fd, g4 + (2LL << 20)));
	close(fd);
	if (stat("huge", &st) == 0) {
		out("size=%lld", (long long)st.st_size);
		out("sparse: %s",
		    st.st_blocks * 512LL < (1LL << 30) ? "yes" : "no");
	}
	show_content("huge");
	return 0;
}

int t_mmap_read(void)
{
	const size_t n = 3 * 4096 + 100;
	char *want = malloc(n);
	char *map;
	int fd;

	if (!want)
		return 1;
	make_file("f", 0644, n, 42);
	fill(want, n, 42);
	fd = FD(open("f", O_RDONLY));
	if (fd < 0) {
		free(want);
		return 0;
	}
	map = mmap(NULL, n, PROT_READ, MAP_SHARED, fd, 0);
	out("mmap: %s", map == MAP_FAILED ? errname(errno) : "ok");
	if (map != MAP_FAILED) {
		out("mapped hash=%016llx",
		    (unsigned long long)hash_mem(map, n));
		check(!memcmp(map, want, n), "mapped bytes equal the file");
		munmap(map, n);
	}
	map = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 4096);
	out("mmap private at 4096: %s",
	    map == MAP_FAILED ? errname(errno) : "ok");
	if (map != MAP_FAILED) {
		check(!memcmp(map, want + 4096, n - 4096), "offset mapping");
		munmap(map, n);
	}
	close(fd);
	free(want);
	return 0;
}

int t_mmap_shared_write(void)
{
	const size_t n = 4 * 4096;
	char *map;
	int fd;

	fd = FD(open("f", O_CREAT | O_RDWR, 0644));
	if (fd < 0)
		return 0;
	DO(ftruncate(fd, (off_t)n));
	map = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	out("mmap: %s", map == MAP_FAILED ? errname(errno) : "ok");
	if (map != MAP_FAILED) {
		fill(map + 100, 9000, 43);
		memcpy(map + n - 5, "tail!", 5);
		DO(msync(map, n, MS_SYNC));
		munmap(map, n);
	}
	close(fd);
	show("f");
	show_content("f");
	fd = FD(open("f", O_RDWR));
	if (fd >= 0) {
		char buf[5];

		DO(pread(fd, buf, 5, (off_t)n - 5));
		check(!memcmp(buf, "tail!", 5), "read sees the mapped write");
		close(fd);
	}
	return 0;
}

/* A shared mapping sees write(2) and the file sees stores, both ways. */
int t_mmap_coherent_with_write(void)
{
	const size_t n = 2 * 4096;
	char buf[8] = "";
	char *map;
	int fd;

	make_file("f", 0644, n, 44);
	fd = FD(open("f", O_RDWR));
	if (fd < 0)
		return 0;
	map = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	out("mmap: %s", map == MAP_FAILED ? errname(errno) : "ok");
	if (map != MAP_FAILED) {
		DO(pwrite(fd, "written", 7, 4100));
		out("mapping sees: %.7s", map + 4100);
		memcpy(map + 10, "stored", 6);
		DO(pread(fd, buf, 6, 10));
		out("read sees: %.6s", buf);
		munmap(map, n);
	}
	close(fd);
	show_content("f");
	return 0;
}

/* Stores through a mapping change the size-preserving mtime. */
int t_mmap_write_updates_mtime(void)
{
	const struct timespec old[2] = {
		{ .tv_sec = 1000000000, .tv_nsec = 0 },
		{ .tv_sec = 1000000000, .tv_nsec = 0 },
	};
	const size_t n = 4096;
	struct stat st;
	char *map;
	int fd;

	make_file("f", 0644, n, 45);
	DO(utimensat(AT_FDCWD, "f", old, 0));
	fd = FD(open("f", O_RDWR));
	if (fd < 0)
		return 0;
	map = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	out("mmap: %s", map == MAP_FAILED ? errname(errno) : "ok");
	if (map != MAP_FAILED) {
		memcpy(map + 100, "changed", 7);
		DO(msync(map, n, MS_SYNC));
		munmap(map, n);
	}
	DO(fsync(fd));
	close(fd);
	if (stat("f", &st) == 0)
		out("mtime advanced: %s size=%lld",
		    st.st_mtim.tv_sec > old[1].tv_sec ? "yes" : "no",
		    (long long)st.st_size);
	show_content("f");
	return 0;
}
