/*
 * bk-handheld — the inspector's handheld, a reference client for the
 * command line: tasks from the centre, the checklist, simple penalties,
 * printed documents; works offline on its own store and syncs when asked.
 *
 *   bk-handheld -c FILE COMMAND [ARGS…]   (bk-handheld --help lists them)
 *   bk-handheld -c FILE -t                check the configuration and exit
 */
#include <glib.h>
#include <locale.h>
#include <stdio.h>

#include "hh_commands.h"
#include "hh_config.h"
#include "log.h"
#include "version.h"

int main(int argc, char **argv)
{
	char *config_path = NULL;
	gboolean test_only = FALSE, show_version = FALSE;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "configuration file",
		  "FILE" },
		{ "test-config", 't', 0, G_OPTION_ARG_NONE, &test_only,
		  "check the configuration and exit", NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &show_version, "print the version", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *octx = g_option_context_new("COMMAND [ARGS…] - brightkitchen handheld");
	struct hh_config cfg;
	GError *err = NULL;
	int status = 2;

	setlocale(LC_ALL, "");
	g_option_context_add_main_entries(octx, entries, NULL);
	g_option_context_set_description(octx, hh_commands_usage);
	/* options after the command word are the command's own */
	g_option_context_set_strict_posix(octx, TRUE);
	if (!g_option_context_parse(octx, &argc, &argv, &err)) {
		fprintf(stderr, "bk-handheld: %s\n", err->message);
		g_error_free(err);
		goto out;
	}
	if (show_version) {
		printf("bk-handheld %s\n", BK_VERSION);
		status = 0;
		goto out;
	}
	if (!config_path) {
		fprintf(stderr, "bk-handheld: no configuration file given (-c FILE)\n");
		goto out;
	}
	log_init("bk-handheld", LOG_INFO);
	status = 1;
	if (!hh_config_load(config_path, &cfg))
		goto out;
	if (test_only) {
		printf("configuration OK\n");
		status = 0;
	} else if (argc < 2) {
		fprintf(stderr, "bk-handheld: no command given\n%s", hh_commands_usage);
		status = 2;
	} else {
		log_init("bk-handheld", cfg.log_level);
		status = hh_commands_run(&cfg, argc - 1, argv + 1);
	}
	hh_config_release(&cfg);
out:
	g_free(config_path);
	g_option_context_free(octx);
	return status;
}
