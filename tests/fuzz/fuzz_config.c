/*
 * fuzz_config.c — libFuzzer target for the configuration files: the input
 * is written to a file and loaded with every loader that has its own code:
 * edge_config_load (which also creates the sensors of its [sensor …]
 * groups, through their drivers), collector_config_load, hh_config_load
 * (with hh_config_officer on each officer it accepted) and bkctl's
 * tasks_config_load (the grading and alert rules of `tasks auto --rules`).
 * Each process reuses one temporary file name, the file existing only while
 * an input is loaded. abort() when a loader accepts a file while reporting
 * problems (tasks_config_load), or hh_config_officer refuses an officer that
 * hh_config_load accepted.
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
#include "hh_config.h"
#include "tasks_cmd.h"

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

/* The handheld's configuration, and each officer it accepted read back. */
static void load_handheld(void)
{
	struct hh_config hh;
	GHashTableIter it;
	gpointer id;

	if (hh_config_load(path, &hh)) {
		g_hash_table_iter_init(&it, hh.officers);
		while (g_hash_table_iter_next(&it, &id, NULL)) {
			char *name, *cert;

			if (hh_config_officer(&hh, id, &name, &cert) != 0) {
				fprintf(report, "fuzz_config: officer '%s' accepted, refused\n",
					(const char *)id);
				abort();
			}
			g_free(name);
			g_free(cert);
		}
	}
	hh_config_release(&hh);
}

static void load_task_rules(void)
{
	struct tasks_config tc = { 0 };
	GString *errors = g_string_new("");
	int rc = tasks_config_load(path, &tc, errors);

	if ((rc == 0) != (errors->len == 0)) {
		fprintf(report, "fuzz_config: tasks_config_load returned %d with problems '%s'\n",
			rc, errors->str);
		abort();
	}
	tasks_config_release(&tc);
	g_string_free(errors, TRUE);
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
	load_handheld();
	load_task_rules();
	unlink(path); /* libFuzzer often ends without running atexit() handlers */
	return 0;
}
