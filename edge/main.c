/*
 * bk-edge — the kitchen box: reads sensors, keeps every message in its
 * outbox until the centre has archived it, reports its status.
 *
 *   bk-edge -c FILE        run
 *   bk-edge -c FILE -t     check the configuration and exit
 */
#include <glib-unix.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "edge.h"
#include "edge_config.h"
#include "log.h"
#include "version.h"

static gboolean on_signal(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	char *config_path = NULL;
	gboolean test_only = FALSE, show_version = FALSE;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "configuration file", "FILE" },
		{ "test-config", 't', 0, G_OPTION_ARG_NONE, &test_only,
		  "check the configuration and exit", NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &show_version, "print the version", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *octx = g_option_context_new("- brightkitchen kitchen box");
	GError *err = NULL;
	struct edge_config cfg;
	struct edge *e;
	GMainLoop *loop;
	int status = EXIT_FAILURE;

	g_option_context_add_main_entries(octx, entries, NULL);
	if (!g_option_context_parse(octx, &argc, &argv, &err)) {
		fprintf(stderr, "bk-edge: %s\n", err->message);
		return 2;
	}
	g_option_context_free(octx);
	if (show_version) {
		printf("bk-edge %s\n", BK_VERSION);
		return 0;
	}
	if (!config_path) {
		fprintf(stderr, "bk-edge: no configuration file given (-c FILE)\n");
		return 2;
	}
	log_init("bk-edge", LOG_INFO);
	if (!edge_config_load(config_path, &cfg))
		goto out;
	if (test_only) {
		printf("configuration OK\n");
		status = EXIT_SUCCESS;
		goto out_release;
	}
	log_init("bk-edge", cfg.log_level);
	e = edge_new(&cfg);
	if (!e)
		goto out_release;
	loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGINT, on_signal, loop);
	g_unix_signal_add(SIGTERM, on_signal, loop);
	if (edge_start(e) == 0) {
		g_main_loop_run(loop);
		status = EXIT_SUCCESS;
	}
	log_info("stopping");
	edge_free(e);
	g_main_loop_unref(loop);
out_release:
	edge_config_release(&cfg);
out:
	g_free(config_path);
	return status;
}
