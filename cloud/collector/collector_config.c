/*
 * collector_config.c — see collector_config.h.
 */
#include "collector_config.h"

#include <string.h>

#include "envelope.h"

bool collector_config_load(const char *path, struct collector_config *cfg)
{
	static const char *const groups[] = { "collector", "mqtt", NULL };
	static const char *const keys[] = { "id",	 "archive",	 "clips",
					    "log_level", "max_payload", "batch_max",
					    "stats_period", NULL };
	static const char *const mqtt_extra[] = { "share_group", NULL };
	struct config c = { 0 };
	char *level;
	bool ok;

	memset(cfg, 0, sizeof *cfg);
	if (config_load(&c, path)) {
		config_check_groups(&c, groups, NULL);
		config_check_keys(&c, "collector", keys);
		cfg->id = config_string(&c, "collector", "id", NULL);
		if (cfg->id && envelope_party(cfg->id) != PARTY_SERVICE)
			config_problem(&c, "collector", "id", "'%s' is not a service id (svc-…)",
				       cfg->id);
		cfg->archive_path = config_string(&c, "collector", "archive", NULL);
		if (cfg->archive_path) {
			char *dir = g_path_get_dirname(cfg->archive_path);
			char *dflt = g_build_filename(dir, "clips", NULL);

			cfg->clip_store = config_string(&c, "collector", "clips", dflt);
			g_free(dflt);
			g_free(dir);
		}
		level = config_string(&c, "collector", "log_level", "info");
		if (level && !log_level_parse(level, &cfg->log_level))
			config_problem(&c, "collector", "log_level",
				       "'%s' is not debug, info, warn or error", level);
		g_free(level);
		cfg->max_payload = config_bytes(&c, "collector", "max_payload", 256 * 1024, 1024);
		cfg->batch_max = (int)config_int(&c, "collector", "batch_max", 1000, 1, 100000);
		cfg->stats_period_ms =
		    config_duration_ms(&c, "collector", "stats_period", 60000, 1000, 86400000);
		mqtt_settings_load(&c, &cfg->mqtt, mqtt_extra);
		cfg->share_group = config_string(&c, "mqtt", "share_group", "collectors");
	}
	ok = config_ok(&c);
	config_print_problems(&c, stderr);
	config_release(&c);
	return ok;
}

void collector_config_release(struct collector_config *cfg)
{
	g_free(cfg->id);
	g_free(cfg->archive_path);
	g_free(cfg->clip_store);
	g_free(cfg->share_group);
	mqtt_settings_release(&cfg->mqtt);
	memset(cfg, 0, sizeof *cfg);
}
