/*
 * collector_config.c — see collector_config.h.
 */
#include "collector_config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "envelope.h"
#include "scope.h"

#define HTTP_TOKEN_MIN	 16 /* characters: a guessable token is a password */
#define HTTP_TOKEN_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/=-"

static void http_token_free(gpointer data)
{
	struct http_token *t = data;

	g_free(t->token);
	g_free(t->id);
	g_free(t);
}

/* The tokens file: "TOKEN ID" per line, '#' comments, blank lines. It holds
 * credentials, so it must be readable by its owner only, like a key. */
static void http_tokens_load(struct config *c, struct http_settings *h)
{
	struct stat st;
	char *text = NULL, **lines;
	GError *err = NULL;

	if (stat(h->tokens_path, &st) != 0) {
		config_problem(c, "http", "tokens", "cannot read '%s': %s", h->tokens_path,
			       g_strerror(errno));
		return;
	}
	if (st.st_mode & 077) {
		config_problem(c, "http", "tokens",
			       "'%s' is readable by others (mode %03o): chmod 600", h->tokens_path,
			       (unsigned)(st.st_mode & 0777));
		return;
	}
	if (!g_file_get_contents(h->tokens_path, &text, NULL, &err)) {
		config_problem(c, "http", "tokens", "cannot read '%s': %s", h->tokens_path,
			       err->message);
		g_error_free(err);
		return;
	}
	lines = g_strsplit(text, "\n", -1);
	for (int i = 0; lines[i]; i++) {
		char *line = g_strstrip(lines[i]);
		char **f, *field[3];
		int n = 0;

		if (!*line || *line == '#')
			continue;
		f = g_strsplit_set(line, " \t", -1);
		for (int j = 0; f[j] && n < 3; j++) /* runs of blanks give empty fields */
			if (*f[j])
				field[n++] = f[j];
		if (n != 2 || (!g_str_has_prefix(field[1], "reg-") &&
			       envelope_party(field[1]) != PARTY_SERVICE)) {
			config_problem(c, "http", "tokens",
				       "'%s' line %d: not \"TOKEN ID\" with ID reg-… or svc-…",
				       h->tokens_path, i + 1);
		} else if (strspn(field[0], HTTP_TOKEN_CHARS) != strlen(field[0])) {
			/* the page carries it in a cookie: no ; , " or \\ */
			config_problem(
			    c, "http", "tokens",
			    "'%s' line %d: a token may hold only letters, digits and ._~+/=-",
			    h->tokens_path, i + 1);
		} else if (strlen(field[0]) < HTTP_TOKEN_MIN) {
			config_problem(c, "http", "tokens",
				       "'%s' line %d: token shorter than %d characters",
				       h->tokens_path, i + 1, HTTP_TOKEN_MIN);
		} else {
			struct http_token *t = g_new0(struct http_token, 1);

			t->token = g_strdup(field[0]);
			t->id = g_strdup(field[1]);
			g_ptr_array_add(h->tokens, t);
		}
		g_strfreev(f);
	}
	g_strfreev(lines);
	g_free(text);
}

/* An optional [http] key read with get; NULL when absent. */
static char *http_optional(struct config *c, const char *key,
			   char *(*get)(struct config *, const char *, const char *, const char *))
{
	return g_key_file_has_key(c->kf, "http", key, NULL) ? get(c, "http", key, NULL) : NULL;
}

/* [http]: everything but listen is checked only when listen is there. */
static void http_settings_load(struct config *c, struct collector_config *cfg)
{
	static const char *const keys[] = { "listen", "cert",	  "key",   "ca", "crl",
					    "tokens", "web_root", "cache", NULL };
	struct http_settings *h = &cfg->http;

	h->tokens = g_ptr_array_new_with_free_func(http_token_free);
	if (!config_has_group(c, "http"))
		return;
	config_check_keys(c, "http", keys);
	h->listen = config_string(c, "http", "listen", "");
	if (h->listen && !*h->listen) {
		g_clear_pointer(&h->listen, g_free);
		return;
	}
	if (h->listen) {
		const char *colon = strrchr(h->listen, ':');
		char *end;
		long port = colon ? strtol(colon + 1, &end, 10) : 0;

		if (!colon || colon == h->listen || !colon[1] || *end || port < 1 || port > 65535)
			config_problem(c, "http", "listen",
				       "'%s' is not HOST:PORT (e.g. 127.0.0.1:8443)", h->listen);
	}
	h->cert = config_file(c, "http", "cert", NULL);
	h->key = config_file(c, "http", "key", NULL);
	h->ca = http_optional(c, "ca", config_file) ?: g_strdup(cfg->mqtt.ca);
	h->crl = http_optional(c, "crl", config_file);
	h->tokens_path = http_optional(c, "tokens", config_file);
	if (h->tokens_path)
		http_tokens_load(c, h);
	h->web_root = http_optional(c, "web_root", config_string);
	if (h->web_root && !g_file_test(h->web_root, G_FILE_TEST_IS_DIR))
		config_problem(c, "http", "web_root", "'%s' is not a directory", h->web_root);
	if (cfg->archive_path) {
		/* beside the archive's file, or beside the clip store when the
		 * archive is on a server */
		bool server = strstr(cfg->archive_path, "://") != NULL;
		char *dir = g_path_get_dirname(server && cfg->clip_store ? cfg->clip_store
								       : cfg->archive_path);
		char *dflt = g_build_filename(dir, "mp4-cache", NULL);

		h->cache = config_string(c, "http", "cache", dflt);
		g_free(dflt);
		g_free(dir);
	}
}

/* [platforms] scope: loaded now, once, so that a bad keyword file stops
 * the start (and -t) instead of the first import. Each of its problems is
 * one line of ours. */
static void platforms_load(struct config *c, struct http_settings *h)
{
	static const char *const keys[] = { "scope", NULL };
	GString *errors;
	char **lines;

	if (config_has_group(c, "platforms")) {
		config_check_keys(c, "platforms", keys);
		if (g_key_file_has_key(c->kf, "platforms", "scope", NULL)) {
			h->scope_path = config_file(c, "platforms", "scope", NULL);
			if (!h->scope_path)
				return;
		}
	}
	if (!h->scope_path) {
		h->scope = scope_config_default();
		return;
	}
	errors = g_string_new(NULL);
	h->scope = scope_config_load(h->scope_path, errors);
	if (!h->scope) {
		lines = g_strsplit(errors->str, "\n", -1);
		for (int i = 0; lines[i]; i++)
			if (*lines[i])
				config_problem(c, "platforms", "scope", "%s", lines[i]);
		if (!errors->len)
			config_problem(c, "platforms", "scope", "cannot load '%s'", h->scope_path);
		g_strfreev(lines);
	}
	g_string_free(errors, TRUE);
}

static void live_storage_load(struct config *c, struct collector_config *cfg)
{
	static const char *const live_keys[] = { "max_viewers", "max_length", NULL };
	static const char *const storage_keys[] = { "retention_days", "budget", NULL };

	config_check_keys(c, "live", live_keys);
	cfg->live.max_viewers = (int)config_int(c, "live", "max_viewers", 32, 1, 10000);
	cfg->live.max_length_ms =
	    config_duration_ms(c, "live", "max_length", 600000, 10000, 86400000);
	config_check_keys(c, "storage", storage_keys);
	/* a week at least: what a regulator looks back on after a complaint */
	cfg->storage.retention_days = (int)config_int(c, "storage", "retention_days", 30, 7, 3660);
	cfg->storage.budget = g_key_file_has_key(c->kf, "storage", "budget", NULL)
				      ? config_bytes(c, "storage", "budget", 0, 1 << 20)
				      : 0;
}

bool collector_config_load(const char *path, struct collector_config *cfg)
{
	static const char *const groups[] = { "collector", "mqtt", "http", "platforms", "live", "storage", NULL };
	static const char *const keys[] = { "id",	   "archive",	"clips", "agency",	"log_level",
					    "max_payload", "batch_max", "stats_period", NULL };
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
		/* the agency's short name in decision numbers, e.g. 西市监 */
		cfg->agency = config_string(&c, "collector", "agency", "市场监管");
		if (cfg->archive_path && strstr(cfg->archive_path, "://")) {
			/* a database server has no directory to put the store beside */
			if (!g_key_file_has_key(c.kf, "collector", "clips", NULL))
				config_problem(&c, "collector", "clips",
					       "required with an archive on a server ('%s'): the "
					       "clip store's directory",
					       cfg->archive_path);
			else
				cfg->clip_store = config_string(&c, "collector", "clips", NULL);
		} else if (cfg->archive_path) {
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
		http_settings_load(&c, cfg);
		platforms_load(&c, &cfg->http);
		live_storage_load(&c, cfg);
	}
	ok = config_ok(&c);
	config_print_problems(&c, stderr);
	config_release(&c);
	return ok;
}

static void http_settings_release(struct http_settings *h)
{
	g_free(h->listen);
	g_free(h->cert);
	g_free(h->key);
	g_free(h->ca);
	g_free(h->crl);
	g_free(h->tokens_path);
	if (h->tokens)
		g_ptr_array_free(h->tokens, TRUE);
	g_free(h->web_root);
	g_free(h->cache);
	g_free(h->scope_path);
	scope_config_free(h->scope);
}

void collector_config_release(struct collector_config *cfg)
{
	g_free(cfg->id);
	g_free(cfg->archive_path);
	g_free(cfg->clip_store);
	g_free(cfg->agency);
	g_free(cfg->share_group);
	mqtt_settings_release(&cfg->mqtt);
	http_settings_release(&cfg->http);
	memset(cfg, 0, sizeof *cfg);
}
