/*
 * daemon.c — see daemon.h.
 */
#include "daemon.h"

#include <glib-unix.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "version.h"

static gboolean on_signal(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
}

int daemon_run(int argc, char **argv, const struct daemon_ops *ops)
{
	char *config_path = NULL;
	gboolean test_only = FALSE, show_version = FALSE, selftest = FALSE;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "configuration file",
		  "FILE" },
		{ "test-config", 't', 0, G_OPTION_ARG_NONE, &test_only,
		  "check the configuration and exit", NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &show_version, "print the version", NULL },
		{ "selftest", 0, 0, G_OPTION_ARG_NONE, &selftest,
		  "run the on-site self-test, print a checklist and exit", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *octx = g_option_context_new(ops->summary);
	GError *err = NULL;
	void *cfg = g_malloc0(ops->config_size);
	void *state;
	GMainLoop *loop;
	int status = 2;

	if (!ops->selftest) /* only daemons that have one offer it */
		entries[G_N_ELEMENTS(entries) - 2] = entries[G_N_ELEMENTS(entries) - 1];
	g_option_context_add_main_entries(octx, entries, NULL);
	if (!g_option_context_parse(octx, &argc, &argv, &err)) {
		fprintf(stderr, "%s: %s\n", ops->name, err->message);
		g_error_free(err);
		goto out;
	}
	if (show_version) {
		printf("%s %s\n", ops->name, BK_VERSION);
		status = 0;
		goto out;
	}
	if (!config_path) {
		fprintf(stderr, "%s: no configuration file given (-c FILE)\n", ops->name);
		goto out;
	}
	if (test_only && selftest) {
		fprintf(stderr, "%s: -t and --selftest exclude each other\n", ops->name);
		goto out;
	}
	status = 1;
	log_init(ops->name, LOG_INFO);
	if (!ops->config_load(config_path, cfg)) {
		if (selftest)
			status = ops->selftest(config_path, NULL);
		goto out_release;
	}
	if (selftest) {
		status = ops->selftest(config_path, cfg);
		goto out_release;
	}
	if (test_only) {
		printf("configuration OK\n");
		status = 0;
		goto out_release;
	}
	log_init(ops->name, ops->log_level(cfg));
	state = ops->start(cfg);
	if (!state)
		goto out_release;
	loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGINT, on_signal, loop);
	g_unix_signal_add(SIGTERM, on_signal, loop);
	g_main_loop_run(loop);
	log_info("stopping");
	ops->stop(state);
	g_main_loop_unref(loop);
	status = 0;
out_release:
	ops->config_release(cfg);
out:
	g_free(cfg);
	g_free(config_path);
	g_option_context_free(octx);
	return status;
}
