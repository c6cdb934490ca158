/*
 * live_sessions.c — see live_sessions.h.
 */
#include "live_sessions.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "clock.h"
#include "live.h"
#include "log.h"

#define BUCKET_SECONDS 2 /* what the cap lets a stream save up: a key fragment's burst */
/* The broker disconnects a client that sends a packet over its
 * max_packet_size (broker-conf/mosquitto.conf, 1088 KiB): a fragment that
 * large is dropped, never sent (a camera at tens of Mbit/s). */
#define CHUNK_MAX (1024u * 1024)

struct session {
	struct live_sessions *owner;
	const struct camera_config *cc;
	struct live_stream *stream;
	GHashTable *leases; /* requester id → int64_t* mono ms its lease ends */
	int64_t started_ms; /* mono */
	bool want_key;	    /* dropped one: wait for a fragment that starts with a key frame */
	GBytes *init;	    /* the init segment, sent again with each request */
};

struct live_sessions {
	const struct edge_config *cfg;
	struct live_sessions_ops ops;
	void *ctx;
	GPtrArray *sessions; /* of struct session*, one per camera streaming */
	double tokens;	     /* bytes the cap allows now, all streams together */
	int64_t refilled_ms;
	guint timer;
	struct live_sessions_counters n;
};

static const struct camera_config *find_camera(const struct live_sessions *s, const char *id)
{
	for (guint i = 0; i < s->cfg->cameras->len; i++) {
		const struct camera_config *cc = g_ptr_array_index(s->cfg->cameras, i);

		if (strcmp(cc->id, id) == 0)
			return cc;
	}
	return NULL;
}

static struct session *find_session(const struct live_sessions *s, const char *camera)
{
	for (guint i = 0; i < s->sessions->len; i++) {
		struct session *x = g_ptr_array_index(s->sessions, i);

		if (strcmp(x->cc->id, camera) == 0)
			return x;
	}
	return NULL;
}

static void answer(struct live_sessions *s, const char *camera, enum live_state state,
		   const char *why, const char *codec)
{
	struct live_info li = { .camera = camera,
				.state = state,
				.why = why,
				.codec = codec,
				.streams = (int)s->sessions->len,
				.max_streams = s->cfg->live.max_streams };

	s->ops.send_state(s->ctx, &li);
}

/* Remove x from the sessions, tell the requesters why, free it. */
static void end_session(struct live_sessions *s, struct session *x, const char *why)
{
	char camera[64];

	g_strlcpy(camera, x->cc->id, sizeof camera);
	log_info("live view of camera '%s' ends after %lld s, %lld bytes: %s", camera,
		 (long long)((clock_mono_ms() - x->started_ms) / 1000),
		 (long long)live_stream_bytes(x->stream), why);
	g_ptr_array_remove(s->sessions, x); /* frees x and its stream */
	s->n.ended++;
	answer(s, camera, LIVE_ENDED, why, NULL);
}

/* Whether len bytes fit under [live] max_kbps now; takes them if so. */
static bool take_tokens(struct live_sessions *s, size_t len)
{
	double rate = (double)s->cfg->live.max_kbps * 1000 / 8; /* bytes/s */
	int64_t now = clock_mono_ms();

	s->tokens += rate * (double)(now - s->refilled_ms) / 1000;
	s->refilled_ms = now;
	if (s->tokens > rate * BUCKET_SECONDS)
		s->tokens = rate * BUCKET_SECONDS;
	if ((double)len > s->tokens)
		return false;
	s->tokens -= (double)len;
	return true;
}

static void on_chunk(void *ctx, struct live_stream *ls, enum live_chunk_kind kind,
		     const uint8_t *data, size_t len)
{
	struct session *x = ctx;
	struct live_sessions *s = x->owner;
	int rc;

	if (kind == LIVE_CHUNK_INIT) {
		/* small, and nothing plays without it: never held back by the cap */
		x->want_key = true;
		if (!x->init)
			log_info("live view of camera '%s': %s", x->cc->id,
				 live_stream_transcoding(ls) ? "H.265 transcoded to H.264 (h265>h264)"
							     : "H.264 passed through (h264)");
		else
			g_bytes_unref(x->init);
		x->init = g_bytes_new(data, len);
	} else if (kind == LIVE_CHUNK_DELTA && x->want_key) {
		s->n.chunks_dropped_cap++;
		return;
	} else if (len > CHUNK_MAX || !take_tokens(s, len)) {
		if (!x->want_key && len > CHUNK_MAX)
			log_warn("live view of camera '%s': a fragment of %zu bytes is over the "
				 "broker's packet limit, dropping up to the next key frame "
				 "(a smaller live_source?)",
				 x->cc->id, len);
		else if (!x->want_key)
			log_info("live view of camera '%s': over [live] max_kbps = %lld, "
				 "dropping up to the next key frame",
				 x->cc->id, (long long)s->cfg->live.max_kbps);
		x->want_key = true;
		s->n.chunks_dropped_cap++;
		return;
	}
	rc = s->ops.send_chunk(s->ctx, x->cc->id, data, len);
	if (rc) {
		s->n.chunks_dropped_link++;
		x->want_key = kind != LIVE_CHUNK_INIT || x->want_key;
		return;
	}
	if (kind != LIVE_CHUNK_INIT)
		x->want_key = false;
	s->n.bytes_sent += len;
}

static void on_end(void *ctx, struct live_stream *ls, const char *why)
{
	struct session *x = ctx;

	(void)ls;
	end_session(x->owner, x, why);
}

static void session_free(gpointer data)
{
	struct session *x = data;

	live_stream_free(x->stream);
	g_hash_table_destroy(x->leases);
	if (x->init)
		g_bytes_unref(x->init);
	g_free(x);
}

static void set_lease(struct session *x, const char *requester, int lease_s)
{
	int64_t *until = g_new(int64_t, 1);

	*until = clock_mono_ms() + (int64_t)lease_s * 1000;
	g_hash_table_replace(x->leases, g_strdup(requester), until);
}

static const char *codec_of(const struct session *x)
{
	/* known once the source's caps came; until then the request's answer has none */
	if (live_stream_bytes(x->stream) == 0)
		return NULL;
	return live_stream_transcoding(x->stream) ? "h265>h264" : "h264";
}

void live_sessions_want(struct live_sessions *s, const char *requester, const char *camera,
			int lease_s)
{
	const struct camera_config *cc = find_camera(s, camera);
	struct live_options o = { .transcode_width = s->cfg->live.transcode_width,
				  .transcode_kbps = s->cfg->live.transcode_kbps };
	struct session *x = find_session(s, camera);
	char why[256], err[200];
	const char *unavailable;
	bool known;

	if (x) {
		known = g_hash_table_contains(x->leases, requester);
		set_lease(x, requester, lease_s);
		if (!known) /* a renewal needs no answer; a new requester does */
			answer(s, camera, LIVE_STARTING, NULL, codec_of(x));
		/* A collector that joins a running stream, or restarted, has no
		 * init segment: it comes again with every request. A relay
		 * ignores one equal to what it has. */
		if (x->init && s->ops.send_chunk(s->ctx, camera, g_bytes_get_data(x->init, NULL),
						 g_bytes_get_size(x->init)) == 0)
			s->n.bytes_sent += g_bytes_get_size(x->init);
		return;
	}
	if (!cc) {
		snprintf(why, sizeof why, "no camera '%s' on this box", camera);
		goto refuse;
	}
	if (s->cfg->live.max_streams == 0) {
		snprintf(why, sizeof why, "live view is off on %s ([live] max_streams = 0)",
			 s->cfg->id);
		goto refuse;
	}
	if ((int)s->sessions->len >= s->cfg->live.max_streams) {
		snprintf(why, sizeof why,
			 "%s streams %u camera%s live already (its limit, [live] max_streams = %d)",
			 s->cfg->id, s->sessions->len, s->sessions->len == 1 ? "" : "s",
			 s->cfg->live.max_streams);
		goto refuse;
	}
	unavailable = s->ops.camera_unavailable(s->ctx, cc, err, sizeof err);
	if (unavailable) {
		snprintf(why, sizeof why, "camera '%s' is %s", camera, unavailable);
		goto refuse;
	}
	x = g_new0(struct session, 1);
	x->owner = s;
	x->cc = cc;
	x->leases = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	x->started_ms = clock_mono_ms();
	x->want_key = true;
	x->stream = live_stream_new(cc, &o, on_chunk, on_end, x, err, sizeof err);
	if (!x->stream) {
		session_free(x);
		snprintf(why, sizeof why, "camera '%s' cannot stream live: %s", camera, err);
		goto refuse;
	}
	set_lease(x, requester, lease_s);
	g_ptr_array_add(s->sessions, x);
	s->n.started++;
	log_info("live view of camera '%s' starts for %s", camera, requester);
	answer(s, camera, LIVE_STARTING, NULL, NULL);
	return;
refuse:
	s->n.refused++;
	log_info("live view of camera '%s' refused to %s: %s", camera, requester, why);
	answer(s, camera, LIVE_REFUSED, why, NULL);
}

void live_sessions_unwant(struct live_sessions *s, const char *requester, const char *camera)
{
	struct session *x = find_session(s, camera);

	if (!x || !g_hash_table_remove(x->leases, requester))
		return;
	if (g_hash_table_size(x->leases) == 0)
		end_session(s, x, "no one watches any more");
}

static gboolean expired(gpointer key, gpointer value, gpointer now)
{
	(void)key;
	return *(int64_t *)value <= *(int64_t *)now;
}

static gboolean on_timer(gpointer data)
{
	struct live_sessions *s = data;
	int64_t now = clock_mono_ms();
	char why[128];

	/* backwards: end_session removes from the array */
	for (guint i = s->sessions->len; i-- > 0;) {
		struct session *x = g_ptr_array_index(s->sessions, i);

		g_hash_table_foreach_remove(x->leases, expired, &now);
		if (g_hash_table_size(x->leases) == 0) {
			end_session(s, x, "no one watches any more (no lease renewed)");
		} else if (now - x->started_ms >= s->cfg->live.max_length_ms) {
			snprintf(why, sizeof why, "the box's time limit ([live] max_length = %lld s)",
				 (long long)(s->cfg->live.max_length_ms / 1000));
			end_session(s, x, why);
		}
	}
	return G_SOURCE_CONTINUE;
}

struct live_sessions *live_sessions_new(const struct edge_config *cfg,
					const struct live_sessions_ops *ops, void *ctx)
{
	struct live_sessions *s = g_new0(struct live_sessions, 1);

	s->cfg = cfg;
	s->ops = *ops;
	s->ctx = ctx;
	s->sessions = g_ptr_array_new_with_free_func(session_free);
	s->refilled_ms = clock_mono_ms();
	s->tokens = (double)cfg->live.max_kbps * 1000 / 8 * BUCKET_SECONDS;
	s->timer = g_timeout_add_seconds(1, on_timer, s);
	return s;
}

void live_sessions_free(struct live_sessions *s)
{
	if (!s)
		return;
	while (s->sessions->len)
		end_session(s, g_ptr_array_index(s->sessions, s->sessions->len - 1),
			    "the box is stopping");
	g_ptr_array_free(s->sessions, TRUE);
	if (s->timer)
		g_source_remove(s->timer);
	g_free(s);
}

int live_sessions_count(const struct live_sessions *s)
{
	return (int)s->sessions->len;
}

const struct live_sessions_counters *live_sessions_counters(const struct live_sessions *s)
{
	return &s->n;
}
