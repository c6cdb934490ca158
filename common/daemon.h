/*
 * daemon.h — what every brightkitchen daemon's main() does, once:
 * options (-c FILE, -t, --version) → load and check the configuration
 * (-t prints "configuration OK" or every problem, and exits) → start →
 * run the GLib main loop until SIGINT/SIGTERM → stop → release.
 * Exit status: 0 after a clean run or a good -t, 1 on a bad configuration
 * or a failed start, 2 on bad usage. A daemon with a selftest also takes
 * --selftest: the configuration is loaded, then selftest's status is the
 * exit status.
 */
#ifndef BK_DAEMON_H
#define BK_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

struct daemon_ops {
	const char *name;    /* "bk-edge": program name in logs and messages */
	const char *summary; /* one line for --help */
	size_t config_size;  /* bytes of the daemon's config struct */
	/* Load and check path into cfg; print problems to stderr; false if any. */
	bool (*config_load)(const char *path, void *cfg);
	void (*config_release)(void *cfg);
	enum log_level (*log_level)(const void *cfg);
	/* Create and start the daemon's state; NULL (after logging why) on failure. */
	void *(*start)(const void *cfg);
	/* Stop and free what start returned. */
	void (*stop)(void *state);
	/* NULL, or --selftest: check the installation instead of running, print
	 * the outcome, return the exit status. cfg is NULL when the
	 * configuration did not load (its problems are printed already). */
	int (*selftest)(const char *config_path, const void *cfg);
};

int daemon_run(int argc, char **argv, const struct daemon_ops *ops);

#endif
