/*
 * fuzz_config.c — libFuzzer target for the daemons' configuration files:
 * the input is written to a file and loaded with edge_config_load (which
 * also creates the sensors of its [sensor …] groups, through their drivers)
 * and with collector_config_load. Each process reuses one temporary file
 * name, the file existing only while an input is loaded.
 *
 * The loaders print every problem to stderr. The fuzzer points the stdio
 * stream `stderr` at /dev/null instead of closing file descriptor 2, so
 * libFuzzer's statistics and the sanitizers' reports (which write to the
 * descriptor, not through this stream) still show. BK_FUZZ_VERBOSE=1 keeps
 * the problems visible, for reading a reproducer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector_config.h"
#include "edge_config.h"

static char path[4096];
static FILE *report; /* the real stderr, for the fuzzer's own messages */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	(void)argc;
	(void)argv;
	report = stderr;
	snprintf(path, sizeof path, "%s/bk-fuzz-config.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		fprintf(report, "fuzz_config: cannot create a file in '%s': %s\n", path,
			strerror(errno));
		exit(1);
	}
	close(fd);
	unlink(path); /* made again for each input, removed after it */
	if (!getenv("BK_FUZZ_VERBOSE") || strcmp(getenv("BK_FUZZ_VERBOSE"), "1") != 0) {
		FILE *null = fopen("/dev/null", "w");

		if (null)
			stderr = null;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct edge_config edge;
	struct collector_config collector;
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
		fprintf(report, "fuzz_config: cannot write '%s': %s\n", path, strerror(errno));
		abort();
	}
	edge_config_load(path, &edge);
	edge_config_release(&edge);
	collector_config_load(path, &collector);
	collector_config_release(&collector);
	unlink(path); /* libFuzzer often ends without running atexit() handlers */
	return 0;
}
