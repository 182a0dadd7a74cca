// SPDX-License-Identifier: GPL-2.0-only
/*
 * Corpus replay: the main() a fuzz target gets when it is not built with
 * libFuzzer.  Feeds every file named on the command line, and every file
 * of every directory named there, to LLVMFuzzerTestOneInput() once, in
 * name order.  A property that fails aborts; no input at all is a failure
 * too (a corpus that went missing must not pass).
 *
 * Copyright (C) 2026 The libfuse-bpf authors
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

static int run_file(const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f = fopen(path, "rb");

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			uint8_t *nb;

			cap = cap ? 2 * cap : 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				fclose(f);
				free(buf);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	/* An exact-size copy, so that a read past the input is caught. */
	{
		uint8_t *in = malloc(len ? len : 1);

		if (!in) {
			free(buf);
			return -1;
		}
		memcpy(in, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(in, len);
		free(in);
	}
	return 0;
}

static int only_files(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	unsigned long inputs = 0;
	struct stat st;
	int i, j, n;

	for (i = 1; i < argc; i++) {
		struct dirent **names;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
				strerror(errno));
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) < 0)
				return 1;
			inputs++;
			continue;
		}
		n = scandir(argv[i], &names, only_files, alphasort);
		if (n < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
				strerror(errno));
			return 1;
		}
		for (j = 0; j < n; j++) {
			char *path;

			if (asprintf(&path, "%s/%s", argv[i],
				     names[j]->d_name) < 0)
				return 1;
			if (run_file(path) < 0)
				return 1;
			inputs++;
			free(path);
			free(names[j]);
		}
		free(names);
	}
	if (!inputs) {
		fprintf(stderr, "replay: no input\n");
		return 1;
	}
	printf("replay: %lu inputs, every property held\n", inputs);
	return 0;
}
