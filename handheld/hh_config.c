/*
 * hh_config.c — see hh_config.h.
 */
#include "hh_config.h"

#include <errno.h>
#include <string.h>

#include "config.h"
#include "envelope.h"

static char *default_checklists(void)
{
	static const char installed[] = "/usr/share/brightkitchen/checklists";

	return g_strdup(g_file_test(installed, G_FILE_TEST_IS_DIR) ? installed : "checklists");
}

static void load_officers(struct config *c, struct hh_config *cfg)
{
	gsize n = 0;
	char **keys;

	cfg->officers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (!config_has_group(c, "officers"))
		return;
	keys = g_key_file_get_keys(c->kf, "officers", &n, NULL);
	for (gsize i = 0; keys && i < n; i++) {
		char *v = g_key_file_get_string(c->kf, "officers", keys[i], NULL);
		char **parts = v ? g_strsplit(v, ";", -1) : NULL;

		if (envelope_party(keys[i]) != PARTY_HANDHELD)
			config_problem(c, "officers", keys[i], "'%s' is not a handheld id (hh-…)",
				       keys[i]);
		else if (!parts || g_strv_length(parts) != 2 || !*g_strstrip(parts[0]) ||
			 !*g_strstrip(parts[1]))
			config_problem(c, "officers", keys[i],
				       "'%s' is not NAME;CERTIFICATE-NUMBER", v ? v : "");
		g_strfreev(parts);
		if (v)
			g_hash_table_replace(cfg->officers, g_strdup(keys[i]), v);
	}
	g_strfreev(keys);
}

bool hh_config_load(const char *path, struct hh_config *cfg)
{
	static const char *const keys[] = {
		"id",		"state_dir",	"checklists",  "agency", "log_level", "ack_timeout",
		"sync_timeout", "payment_bank", "review_body", "court",	 NULL
	};
	static const char *const groups[] = { "handheld", "officers", "mqtt", NULL };
	struct config c = { 0 };
	char *level, *dflt;
	bool ok;

	memset(cfg, 0, sizeof *cfg);
	if (!config_load(&c, path))
		goto out;
	config_check_groups(&c, groups, NULL);
	config_check_keys(&c, "handheld", keys);
	cfg->id = config_string(&c, "handheld", "id", NULL);
	if (cfg->id && envelope_party(cfg->id) != PARTY_HANDHELD)
		config_problem(&c, "handheld", "id", "'%s' is not a handheld id (hh-…)", cfg->id);
	cfg->state_dir =
	    config_string(&c, "handheld", "state_dir", "/var/lib/brightkitchen/handheld");
	cfg->store_path = g_build_filename(cfg->state_dir ? cfg->state_dir : ".", "store.db", NULL);
	dflt = default_checklists();
	cfg->checklists = config_string(&c, "handheld", "checklists", dflt);
	g_free(dflt);
	cfg->agency = config_string(&c, "handheld", "agency", NULL);
	level = config_string(&c, "handheld", "log_level", "info");
	cfg->log_level = LOG_INFO;
	if (level && !log_level_parse(level, &cfg->log_level))
		config_problem(&c, "handheld", "log_level",
			       "'%s' is not debug, info, warn or error", level);
	g_free(level);
	cfg->ack_timeout_ms = config_duration_ms(&c, "handheld", "ack_timeout", 10000, 500, 600000);
	cfg->sync_timeout_ms =
	    config_duration_ms(&c, "handheld", "sync_timeout", 30000, 1000, 3600000);
	if (g_key_file_has_key(c.kf, "handheld", "payment_bank", NULL))
		cfg->payment_bank = config_string(&c, "handheld", "payment_bank", NULL);
	if (g_key_file_has_key(c.kf, "handheld", "review_body", NULL))
		cfg->review_body = config_string(&c, "handheld", "review_body", NULL);
	if (g_key_file_has_key(c.kf, "handheld", "court", NULL))
		cfg->court = config_string(&c, "handheld", "court", NULL);
	mqtt_settings_load(&c, &cfg->mqtt, NULL);
	load_officers(&c, cfg);
out:
	ok = config_ok(&c);
	config_print_problems(&c, stderr);
	config_release(&c);
	if (!ok)
		hh_config_release(cfg);
	return ok;
}

void hh_config_release(struct hh_config *cfg)
{
	g_free(cfg->id);
	g_free(cfg->state_dir);
	g_free(cfg->store_path);
	g_free(cfg->checklists);
	g_free(cfg->agency);
	g_free(cfg->payment_bank);
	g_free(cfg->review_body);
	g_free(cfg->court);
	mqtt_settings_release(&cfg->mqtt);
	if (cfg->officers)
		g_hash_table_destroy(cfg->officers);
	memset(cfg, 0, sizeof *cfg);
}

int hh_config_officer(const struct hh_config *cfg, const char *id, char **name, char **cert)
{
	const char *v = cfg->officers ? g_hash_table_lookup(cfg->officers, id) : NULL;
	char **parts;
	int rc = -EINVAL;

	*name = *cert = NULL;
	if (!v)
		return -ENOENT;
	parts = g_strsplit(v, ";", -1);
	if (g_strv_length(parts) == 2) {
		*name = g_strdup(g_strstrip(parts[0]));
		*cert = g_strdup(g_strstrip(parts[1]));
		rc = 0;
	}
	g_strfreev(parts);
	return rc;
}
