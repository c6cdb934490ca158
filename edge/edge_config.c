/*
 * edge_config.c — see edge_config.h.
 */
#include "edge_config.h"

#include <string.h>

#include "envelope.h"
#include "jcheck.h"
#include "sensor.h"

static void load_box(struct config *c, struct edge_config *cfg)
{
	static const char *const keys[] = {
		"id",	       "state_dir", "log_level", "status_period", "reading_batch",
		"disk_budget", NULL
	};
	char *level;

	config_check_keys(c, "box", keys);
	cfg->id = config_string(c, "box", "id", NULL);
	if (cfg->id && envelope_party(cfg->id) != PARTY_BOX)
		config_problem(c, "box", "id", "'%s' is not a box id (box-…)", cfg->id);
	cfg->state_dir = config_string(c, "box", "state_dir", "/var/lib/brightkitchen/edge");
	level = config_string(c, "box", "log_level", "info");
	if (level && !log_level_parse(level, &cfg->log_level))
		config_problem(c, "box", "log_level", "'%s' is not debug, info, warn or error",
			       level);
	g_free(level);
	cfg->status_period_ms = config_duration_ms(c, "box", "status_period", 30000, 1000, 3600000);
	cfg->reading_batch_ms = config_duration_ms(c, "box", "reading_batch", 10000, 0, 3600000);
	cfg->disk_budget = config_bytes(c, "box", "disk_budget", 1LL << 30, 64 << 10);
}

static void load_outbox(struct config *c, struct edge_config *cfg)
{
	static const char *const keys[] = { "path",	"sync",		  "window", "ack_timeout",
					    "max_rate", "max_bytes_rate", NULL };
	char *dflt = g_build_filename(cfg->state_dir ? cfg->state_dir : ".", "outbox.db", NULL);
	char *sync;

	config_check_keys(c, "outbox", keys);
	cfg->outbox_path = config_string(c, "outbox", "path", dflt);
	g_free(dflt);
	sync = config_string(c, "outbox", "sync", "full");
	cfg->outbox_sync_full = !sync || strcmp(sync, "normal") != 0;
	if (sync && strcmp(sync, "full") && strcmp(sync, "normal"))
		config_problem(c, "outbox", "sync", "'%s' is not full or normal", sync);
	g_free(sync);
	cfg->window = (int)config_int(c, "outbox", "window", 256, 1, 10000);
	cfg->ack_timeout_ms = config_duration_ms(c, "outbox", "ack_timeout", 15000, 500, 600000);
	cfg->max_rate = config_double(c, "outbox", "max_rate", 200, 1, 1e6);
	cfg->max_bytes_rate =
	    (double)config_bytes(c, "outbox", "max_bytes_rate", 1 << 20, 16 << 10);
}

static void load_sensors(struct config *c, struct edge_config *cfg)
{
	gsize n = 0;
	char **groups = g_key_file_get_groups(c->kf, &n);

	for (gsize i = 0; i < n; i++) {
		struct sensor *s;

		if (!g_str_has_prefix(groups[i], "sensor "))
			continue;
		for (guint j = 0; j < cfg->sensors->len; j++) {
			struct sensor *other = g_ptr_array_index(cfg->sensors, j);

			if (!strcmp(other->id, groups[i] + strlen("sensor ")))
				config_problem(c, groups[i], NULL, "duplicate sensor id");
		}
		s = sensor_new(c, groups[i]);
		if (s)
			g_ptr_array_add(cfg->sensors, s);
	}
	g_strfreev(groups);
}

static void camera_config_free(gpointer data)
{
	struct camera_config *cc = data;

	g_free(cc->id);
	g_free(cc->uri);
	g_free(cc->zone);
	g_free(cc->gb28181_id);
	g_free(cc);
}

/* A source is handed to GStreamer as a property, never through a launch
 * line, so it needs no quoting; still refuse what cannot be a URI or path. */
static bool source_text_ok(const char *text)
{
	for (const char *p = text; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	}
	return true;
}

static void load_camera(struct config *c, struct edge_config *cfg, const char *group)
{
	static const char *const keys[] = { "source",  "zone",	    "gb28181_id",
					    "segment", "retention", "no_frames_timeout",
					    NULL };
	struct camera_config *cc = g_new0(struct camera_config, 1);
	const char *id = group + strlen("camera ");
	char *source;

	config_check_keys(c, group, keys);
	cc->id = g_strdup(id);
	if (!jc_is_ident(id, NULL, 63))
		config_problem(c, group, NULL,
			       "'%s' is not a camera id (a letter or digit, then letters, digits, "
			       "_ . -, at most 63)",
			       id);
	source = config_string(c, group, "source", NULL);
	if (source && !source_text_ok(source)) {
		config_problem(c, group, "source", "'%s' contains spaces or control characters",
			       source);
	} else if (source && g_str_has_prefix(source, "rtsp://") && source[7]) {
		cc->kind = CAMERA_RTSP;
		cc->uri = g_strdup(source);
	} else if (source && g_str_has_prefix(source, "v4l2:/dev/")) {
		cc->kind = CAMERA_V4L2;
		cc->uri = g_strdup(source + strlen("v4l2:"));
	} else if (source && !strcmp(source, "test")) {
		cc->kind = CAMERA_TEST;
	} else if (source) {
		config_problem(c, group, "source", "'%s' is not rtsp://…, v4l2:/dev/… or test",
			       source);
	}
	g_free(source);
	cc->zone = g_key_file_has_key(c->kf, group, "zone", NULL)
		       ? config_string(c, group, "zone", NULL)
		       : NULL;
	if (g_key_file_has_key(c->kf, group, "gb28181_id", NULL)) {
		cc->gb28181_id = config_string(c, group, "gb28181_id", NULL);
		if (cc->gb28181_id &&
		    (strlen(cc->gb28181_id) != 20 || strspn(cc->gb28181_id, "0123456789") != 20))
			config_problem(c, group, "gb28181_id", "'%s' is not 20 digits (GB/T 28181)",
				       cc->gb28181_id);
	}
	cc->segment_ms = config_duration_ms(c, group, "segment", 10000, 1000, 600000);
	cc->retention_ms =
	    config_duration_ms(c, group, "retention", 7 * 86400000LL, 60000, 366 * 86400000LL);
	cc->no_frames_timeout_ms =
	    config_duration_ms(c, group, "no_frames_timeout", 10000, 1000, 600000);
	g_ptr_array_add(cfg->cameras, cc);
}

static void load_cameras(struct config *c, struct edge_config *cfg)
{
	gsize n = 0;
	char **groups = g_key_file_get_groups(c->kf, &n);

	for (gsize i = 0; i < n; i++) {
		if (g_str_has_prefix(groups[i], "camera "))
			load_camera(c, cfg, groups[i]);
	}
	g_strfreev(groups);
}

bool edge_config_load(const char *path, struct edge_config *cfg)
{
	static const char *const groups[] = { "box", "mqtt", "outbox", NULL };
	static const char *const prefixes[] = { "sensor ", "camera ", NULL };
	struct config c = { 0 };
	bool ok;

	memset(cfg, 0, sizeof *cfg);
	cfg->sensors = g_ptr_array_new_with_free_func((GDestroyNotify)sensor_free);
	cfg->cameras = g_ptr_array_new_with_free_func(camera_config_free);
	if (config_load(&c, path)) {
		config_check_groups(&c, groups, prefixes);
		load_box(&c, cfg);
		mqtt_settings_load(&c, &cfg->mqtt, NULL);
		load_outbox(&c, cfg);
		load_sensors(&c, cfg);
		load_cameras(&c, cfg);
	}
	ok = config_ok(&c);
	config_print_problems(&c, stderr);
	config_release(&c);
	return ok;
}

void edge_config_release(struct edge_config *cfg)
{
	g_free(cfg->id);
	g_free(cfg->state_dir);
	g_free(cfg->outbox_path);
	mqtt_settings_release(&cfg->mqtt);
	if (cfg->sensors)
		g_ptr_array_free(cfg->sensors, TRUE);
	if (cfg->cameras)
		g_ptr_array_free(cfg->cameras, TRUE);
	memset(cfg, 0, sizeof *cfg);
}
