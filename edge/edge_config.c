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
		"id",	       "state_dir",	 "log_level", "status_period", "reading_batch",
		"disk_budget", "cert_warn_days", NULL
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
	cfg->disk_budget = config_bytes(c, "box", "disk_budget", 16LL << 30, 64 << 10);
	cfg->cert_warn_days = (int)config_int(c, "box", "cert_warn_days", 30, 1, 365);
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
	g_free(cc->live_source);
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

/* "HH:MM" → minute of the day (24:00 allowed as an end); -1 if not. */
static int parse_clock_minute(const char *text, size_t len)
{
	int h, m;

	if (len != 5 || text[2] != ':' || !g_ascii_isdigit(text[0]) || !g_ascii_isdigit(text[1]) ||
	    !g_ascii_isdigit(text[3]) || !g_ascii_isdigit(text[4]))
		return -1;
	h = (text[0] - '0') * 10 + (text[1] - '0');
	m = (text[3] - '0') * 10 + (text[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

/* schedule = always | HH:MM-HH:MM[,HH:MM-HH:MM…] in local time; an interval
 * may run past midnight (22:00-02:00). */
static void load_schedule(struct config *c, const char *group, struct camera_config *cc)
{
	char *text = config_string(c, group, "schedule", "always");
	char **parts;

	cc->n_schedule = 0;
	if (!text || !strcmp(text, "always")) {
		g_free(text);
		return;
	}
	parts = g_strsplit(text, ",", -1);
	for (char **p = parts; *p; p++) {
		const char *dash = strchr(*p, '-');
		int from = dash ? parse_clock_minute(*p, (size_t)(dash - *p)) : -1;
		int to = dash ? parse_clock_minute(dash + 1, strlen(dash + 1)) : -1;

		if (from < 0 || to < 0 || from == to || from == 24 * 60) {
			config_problem(c, group, "schedule",
				       "'%s' is not HH:MM-HH:MM (a non-empty interval of the day)",
				       *p);
			break;
		}
		if (cc->n_schedule == (int)G_N_ELEMENTS(cc->schedule)) {
			config_problem(c, group, "schedule", "more than %d intervals",
				       (int)G_N_ELEMENTS(cc->schedule));
			break;
		}
		cc->schedule[cc->n_schedule].from_min = from;
		cc->schedule[cc->n_schedule].to_min = to;
		cc->n_schedule++;
	}
	g_strfreev(parts);
	g_free(text);
}

static void load_camera(struct config *c, struct edge_config *cfg, const char *group)
{
	static const char *const keys[] = { "source",
					    "zone",
					    "gb28181_id",
					    "segment",
					    "retention",
					    "retention_bytes",
					    "no_frames_timeout",
					    "schedule",
					    "motion",
					    "motion_threshold",
					    "live_source",
					    "central_storage",
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
	/* an event's zone: longer, the collector rejects the camera's events */
	if (cc->zone && strlen(cc->zone) > 64)
		config_problem(c, group, "zone", "longer than 64 bytes (%zu)", strlen(cc->zone));
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
	cc->retention_bytes = g_key_file_has_key(c->kf, group, "retention_bytes", NULL)
				  ? config_bytes(c, group, "retention_bytes", 0, 1 << 20)
				  : 0;
	cc->no_frames_timeout_ms =
	    config_duration_ms(c, group, "no_frames_timeout", 10000, 1000, 600000);
	load_schedule(c, group, cc);
	cc->motion = config_bool(c, group, "motion", false);
	cc->motion_threshold = config_double(c, group, "motion_threshold", 0.05, 0.0001, 1);
	if (g_key_file_has_key(c->kf, group, "live_source", NULL)) {
		cc->live_source = config_string(c, group, "live_source", NULL);
		if (cc->live_source &&
		    (!source_text_ok(cc->live_source) ||
		     !g_str_has_prefix(cc->live_source, "rtsp://") || !cc->live_source[7]))
			config_problem(c, group, "live_source", "'%s' is not an rtsp:// URI",
				       cc->live_source);
	}
	cc->central_storage = config_bool(c, group, "central_storage", false);
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

/* An optional duration: -1 when the key is absent. */
static int64_t optional_duration_ms(struct config *c, const char *group, const char *key,
				    int64_t max)
{
	if (!g_key_file_has_key(c->kf, group, key, NULL))
		return -1;
	return config_duration_ms(c, group, key, 0, 0, max);
}

static void load_clips(struct config *c, struct edge_config *cfg)
{
	static const char *const keys[] = { "pre_roll",	  "post_roll", "max_length",
					    "chunk_size", "snapshots", NULL };
	static const char *const type_keys[] = { "pre_roll", "post_roll", NULL };
	struct clips_config *cl = &cfg->clips;
	gsize n = 0;
	char **groups = g_key_file_get_groups(c->kf, &n);

	config_check_keys(c, "clips", keys);
	cl->pre_ms = optional_duration_ms(c, "clips", "pre_roll", 600000);
	cl->post_ms = optional_duration_ms(c, "clips", "post_roll", 600000);
	cl->max_length_ms = config_duration_ms(c, "clips", "max_length", 300000, 10000, 3600000);
	cl->chunk_size = (int)config_bytes(c, "clips", "chunk_size", 256 << 10, 4 << 10);
	if (cl->chunk_size > (1 << 20))
		config_problem(c, "clips", "chunk_size",
			       "more than 1 MiB (the broker's packet limit)");
	cl->snapshots = config_bool(c, "clips", "snapshots", true);
	for (gsize i = 0; i < n; i++) {
		const char *type = groups[i] + strlen("clips ");
		struct clip_roll roll;

		if (!g_str_has_prefix(groups[i], "clips "))
			continue;
		config_check_keys(c, groups[i], type_keys);
		if (!jc_is_event_type(type))
			config_problem(c, groups[i], NULL, "'%s' is not an event type", type);
		roll.type = g_strdup(type);
		roll.pre_ms = optional_duration_ms(c, groups[i], "pre_roll", 600000);
		roll.post_ms = optional_duration_ms(c, groups[i], "post_roll", 600000);
		g_array_append_val(cl->rolls, roll);
	}
	g_strfreev(groups);
}

static void load_live(struct config *c, struct edge_config *cfg)
{
	static const char *const keys[] = { "max_streams",     "max_kbps",	 "max_length",
					    "transcode_width", "transcode_kbps", NULL };
	struct live_config *l = &cfg->live;

	config_check_keys(c, "live", keys);
	l->max_streams = (int)config_int(c, "live", "max_streams", 1, 0, 16);
	l->max_kbps = config_int(c, "live", "max_kbps", 4000, 64, 1000000);
	l->max_length_ms = config_duration_ms(c, "live", "max_length", 600000, 10000, 86400000);
	l->transcode_width = (int)config_int(c, "live", "transcode_width", 640, 160, 1920);
	l->transcode_kbps = (int)config_int(c, "live", "transcode_kbps", 500, 64, 8000);
	if (l->transcode_width % 2)
		config_problem(c, "live", "transcode_width", "%d is odd (H.264 wants even sizes)",
			       l->transcode_width);
}

static void load_detections(struct config *c, struct edge_config *cfg)
{
	static const char *const keys[] = { "socket", "min_confidence", NULL };
	char *dflt =
	    g_build_filename(cfg->state_dir ? cfg->state_dir : ".", "detections.sock", NULL);

	config_check_keys(c, "detections", keys);
	cfg->detections.socket = config_string(c, "detections", "socket", dflt);
	g_free(dflt);
	cfg->detections.min_confidence =
	    config_double(c, "detections", "min_confidence", 0.5, 0, 1);
}

bool edge_config_load(const char *path, struct edge_config *cfg)
{
	static const char *const groups[] = {
		"box", "mqtt", "outbox", "clips", "detections", "live", NULL
	};
	static const char *const prefixes[] = { "sensor ", "camera ", "clips ", NULL };
	struct config c = { 0 };
	bool ok;

	memset(cfg, 0, sizeof *cfg);
	cfg->sensors = g_ptr_array_new_with_free_func((GDestroyNotify)sensor_free);
	cfg->cameras = g_ptr_array_new_with_free_func(camera_config_free);
	cfg->clips.rolls = g_array_new(FALSE, TRUE, sizeof(struct clip_roll));
	if (config_load(&c, path)) {
		config_check_groups(&c, groups, prefixes);
		load_box(&c, cfg);
		mqtt_settings_load(&c, &cfg->mqtt, NULL);
		load_outbox(&c, cfg);
		load_sensors(&c, cfg);
		load_cameras(&c, cfg);
		load_clips(&c, cfg);
		load_detections(&c, cfg);
		load_live(&c, cfg);
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
	for (guint i = 0; cfg->clips.rolls && i < cfg->clips.rolls->len; i++)
		g_free(g_array_index(cfg->clips.rolls, struct clip_roll, i).type);
	if (cfg->clips.rolls)
		g_array_free(cfg->clips.rolls, TRUE);
	g_free(cfg->detections.socket);
	memset(cfg, 0, sizeof *cfg);
}
