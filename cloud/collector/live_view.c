/*
 * live_view.c — see live_view.h.
 */
#include "live_view.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "clock.h"
#include "envelope.h"
#include "log.h"

#define VIEWER_QUEUE_MAX   (8u << 20) /* ~16 s of a 4 Mbit/s stream behind: a stalled browser */
#define KEY_CACHE_MAX	   (4u << 20)
#define REREQUEST_AFTER_MS 2000 /* video without an init here: ask the box again, this often */

/* One camera watched here. */
struct stream {
	char *box, *camera;
	int watchers;
	int64_t lease_ms;     /* mono, when the lease was last asked for */
	int64_t rerequest_ms; /* mono, when an init was last asked for */
	bool over;	      /* the box refused or ended it: no more leases asked */
};

struct live_watch {
	struct live_view *lv;
	struct stream *stream;
	struct live_viewer *viewer;
	int64_t audit_id;
	int64_t joined_ms; /* mono */
	bool started;	   /* has read video */
	char *why;	   /* ended here (time limit, no answer); NULL while it runs */
	live_wake_fn wake;
	void *wake_ctx;
};

struct live_view {
	const struct live_settings *cfg;
	char *id;
	struct live_view_ops ops;
	void *ctx;
	struct live_relay *relay;
	GHashTable *streams; /* "box/camera" → struct stream* */
	GPtrArray *watches;  /* of struct live_watch*, not owned */
	guint timer;
	uint64_t cmd_serial;
	struct live_view_counters n;
};

#define STREAM_KEY_MAX (ENVELOPE_ID_MAX + 1 + 64) /* "box/camera" */

static const char *stream_key(const char *box, const char *camera, char key[STREAM_KEY_MAX])
{
	g_snprintf(key, STREAM_KEY_MAX, "%s/%s", box, camera);
	return key;
}

/* The camera watched here, or NULL. */
static struct stream *find_stream(const struct live_view *lv, const char *box, const char *camera)
{
	char key[STREAM_KEY_MAX];

	return g_hash_table_lookup(lv->streams, stream_key(box, camera, key));
}

static void stream_free(gpointer data)
{
	struct stream *s = data;

	g_free(s->box);
	g_free(s->camera);
	g_free(s);
}

/* Ask the box: live (with our lease) or live_stop. */
static void ask(struct live_view *lv, struct stream *s, enum cmd_action action)
{
	char cmd_id[96];
	struct cmd_info c = { .cmd_id = cmd_id,
			      .box = s->box,
			      .action = action,
			      .camera = s->camera,
			      .lease_s = action == CMD_LIVE ? LIVE_VIEW_LEASE_S : 0 };
	int rc;

	snprintf(cmd_id, sizeof cmd_id, "live:%s:%" G_GINT64_FORMAT ":%" G_GUINT64_FORMAT, lv->id,
		 clock_wall_ms(), ++lv->cmd_serial);
	rc = lv->ops.send_cmd(lv->ctx, &c);
	if (rc)
		log_warn("cannot ask %s for camera '%s' live: %s", s->box, s->camera,
			 g_strerror(-rc));
	if (action == CMD_LIVE)
		s->lease_ms = clock_mono_ms();
}

/* End w here (not the stream): its reader gets why next. */
static void end_watch(struct live_watch *w, const char *why)
{
	if (w->why)
		return;
	w->why = g_strdup(why);
	w->wake(w->wake_ctx);
}

/* No video from the box for LIVE_VIEW_ANSWER_S (relay time is mono ms). */
static bool box_silent(const struct live_view *lv, const struct stream *s, int64_t now)
{
	struct live_stream_stats st;

	return live_relay_stream_stats(lv->relay, s->box, s->camera, &st) && st.last_chunk_ms &&
	       now - st.last_chunk_ms >= LIVE_VIEW_ANSWER_S * 1000;
}

static gboolean on_timer(gpointer data)
{
	struct live_view *lv = data;
	int64_t now = clock_mono_ms();
	GHashTableIter it;
	gpointer value;
	char why[160];

	g_hash_table_iter_init(&it, lv->streams);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		struct stream *s = value;

		if (!s->over && now - s->lease_ms >= LIVE_VIEW_LEASE_S * 1000 / 3)
			ask(lv, s, CMD_LIVE);
	}
	for (guint i = 0; i < lv->watches->len; i++) {
		struct live_watch *w = g_ptr_array_index(lv->watches, i);

		if (w->why)
			continue;
		if (!w->started && now - w->joined_ms >= LIVE_VIEW_ANSWER_S * 1000) {
			snprintf(why, sizeof why, "%s sent no video within %d s", w->stream->box,
				 LIVE_VIEW_ANSWER_S);
			end_watch(w, why);
		} else if (w->started && box_silent(lv, w->stream, now)) {
			/* the box went silent (lost its link, died): the viewer hears it */
			snprintf(why, sizeof why, "%s sent no video for %d s", w->stream->box,
				 LIVE_VIEW_ANSWER_S);
			end_watch(w, why);
		} else if (now - w->joined_ms >= lv->cfg->max_length_ms) {
			snprintf(why, sizeof why, "the viewing time limit ([live] max_length = %lld s)",
				 (long long)(lv->cfg->max_length_ms / 1000));
			end_watch(w, why);
		}
	}
	return G_SOURCE_CONTINUE;
}

struct live_view *live_view_new(const struct live_settings *cfg, const char *collector_id,
				const struct live_view_ops *ops, void *ctx)
{
	struct live_view *lv = g_new0(struct live_view, 1);

	lv->cfg = cfg;
	lv->id = g_strdup(collector_id);
	lv->ops = *ops;
	lv->ctx = ctx;
	lv->relay = live_relay_new(VIEWER_QUEUE_MAX, KEY_CACHE_MAX);
	lv->streams = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, stream_free);
	lv->watches = g_ptr_array_new();
	lv->timer = g_timeout_add_seconds(1, on_timer, lv);
	return lv;
}

void live_view_free(struct live_view *lv)
{
	if (!lv)
		return;
	while (lv->watches->len) {
		struct live_watch *w = g_ptr_array_index(lv->watches, lv->watches->len - 1);

		if (!w->why)
			w->why = g_strdup("the collector is stopping");
		live_watch_leave(w);
	}
	g_ptr_array_free(lv->watches, TRUE);
	g_hash_table_destroy(lv->streams);
	live_relay_free(lv->relay);
	if (lv->timer)
		g_source_remove(lv->timer);
	g_free(lv->id);
	g_free(lv);
}

static int refuse(struct live_view *lv, const char *who, const char *box, const char *camera,
		  int rc, const char *why)
{
	int64_t id = lv->ops.audit_begin(lv->ctx, who, box, camera, clock_wall_ms());

	lv->ops.audit_end(lv->ctx, id, clock_wall_ms(), 0, why);
	lv->n.refused++;
	log_info("live view of %s/%s refused to %s: %s", box, camera, who, why);
	return rc;
}

int live_view_watch(struct live_view *lv, const char *who, const char *box, const char *camera,
		    live_wake_fn wake, void *wake_ctx, struct live_watch **out, char *why,
		    size_t n)
{
	char key[STREAM_KEY_MAX];
	struct stream *s;
	struct live_watch *w;
	const char *unavailable;

	*out = NULL;
	if ((int)lv->watches->len >= lv->cfg->max_viewers) {
		snprintf(why, n, "this collector relays %u live viewings already (its limit, [live] "
				 "max_viewers = %d)",
			 lv->watches->len, lv->cfg->max_viewers);
		return refuse(lv, who, box, camera, -EBUSY, why);
	}
	unavailable = lv->ops.unavailable(lv->ctx, box, camera, why, n);
	if (unavailable) {
		if (unavailable != why)
			g_strlcpy(why, unavailable, n);
		return refuse(lv, who, box, camera, -EHOSTUNREACH, why);
	}
	s = find_stream(lv, box, camera);
	if (!s) {
		s = g_new0(struct stream, 1);
		s->box = g_strdup(box);
		s->camera = g_strdup(camera);
		g_hash_table_insert(lv->streams, g_strdup(stream_key(box, camera, key)), s);
	}
	w = g_new0(struct live_watch, 1);
	w->lv = lv;
	w->stream = s;
	w->wake = wake;
	w->wake_ctx = wake_ctx;
	w->joined_ms = clock_mono_ms();
	w->viewer = live_relay_join(lv->relay, box, camera, who, w->joined_ms, wake, wake_ctx);
	w->audit_id = lv->ops.audit_begin(lv->ctx, who, box, camera, clock_wall_ms());
	g_ptr_array_add(lv->watches, w);
	lv->n.watches++;
	/* the first viewer here asks the box, and so does one after the box
	 * ended it; a later one joins what is coming */
	if (s->watchers++ == 0 || s->over) {
		s->over = false;
		ask(lv, s, CMD_LIVE);
	}
	log_info("live view of %s/%s for %s (%d watching here)", box, camera, who, s->watchers);
	*out = w;
	return 0;
}

size_t live_watch_read(struct live_watch *w, uint8_t *buf, size_t max, bool *ended,
		       const char **why)
{
	size_t got;

	if (w->why) {
		*ended = true;
		*why = w->why;
		return 0;
	}
	got = live_viewer_read(w->viewer, buf, max, ended, why);
	if (got)
		w->started = true;
	return got;
}

const char *live_watch_codec(const struct live_watch *w)
{
	const struct fmp4_init *init =
	    live_relay_init(w->lv->relay, w->stream->box, w->stream->camera);

	return init ? init->codec : NULL;
}

void live_watch_leave(struct live_watch *w)
{
	struct live_view *lv;
	struct stream *s;
	struct live_viewer_stats st;
	const char *why;
	char key[STREAM_KEY_MAX];

	if (!w)
		return;
	lv = w->lv;
	s = w->stream;
	live_viewer_stats(w->viewer, &st);
	/* the relay's end, if it came, is the reason */
	why = w->why ? w->why : st.end_why ? st.end_why : "the viewer left";
	lv->ops.audit_end(lv->ctx, w->audit_id, clock_wall_ms(), st.bytes_sent, why);
	log_info("live view of %s/%s for %s ends after %lld s, %lld bytes: %s", s->box, s->camera,
		 st.who, (long long)((clock_mono_ms() - w->joined_ms) / 1000),
		 (long long)st.bytes_sent, why);
	live_viewer_leave(w->viewer);
	g_ptr_array_remove_fast(lv->watches, w);
	g_free(w->why);
	g_free(w);
	if (--s->watchers > 0)
		return;
	/* the last one here: our lease ends now, and the relay forgets the stream */
	ask(lv, s, CMD_LIVE_STOP);
	live_relay_end(lv->relay, s->box, s->camera, "no viewers");
	g_hash_table_remove(lv->streams, stream_key(s->box, s->camera, key));
}

void live_view_chunk(struct live_view *lv, const char *box, const char *camera,
		     const uint8_t *data, size_t len)
{
	struct stream *s = find_stream(lv, box, camera);
	char err[200];
	int rc;

	if (!s) /* watched through another collector, or no longer here */
		return;
	rc = live_relay_feed(lv->relay, box, camera, data, len, clock_mono_ms(), err, sizeof err);
	if (rc == -EINVAL) {
		lv->n.rejected++;
		log_warn("rejected live video of %s/%s (%zu bytes): %s", box, camera, len, err);
		return;
	}
	if (rc == -ENOENT) {
		/* a fragment of a stream whose init we never got (another
		 * collector started it, or we restarted): the box sends its
		 * init again with each request */
		if (clock_mono_ms() - s->rerequest_ms >= REREQUEST_AFTER_MS) {
			s->rerequest_ms = clock_mono_ms();
			ask(lv, s, CMD_LIVE);
		}
		return;
	}
	lv->n.chunks++;
	lv->n.bytes += len;
}

void live_view_answer(struct live_view *lv, const char *box, const struct message *m)
{
	const char *camera = m->u.live.camera;
	struct stream *s = find_stream(lv, box, camera);

	if (m->u.live.state == LIVE_STARTING) {
		if (s)
			log_info("%s streams camera '%s' live (%s; %d of %d streams)", box, camera,
				 m->u.live.codec ? m->u.live.codec : "codec not known yet",
				 m->u.live.streams, m->u.live.max_streams);
		return;
	}
	if (!s)
		return;
	/* refused or ended: every viewer here hears why, and leaves */
	s->over = true;
	live_relay_end(lv->relay, box, camera, m->u.live.why);
}

int live_view_viewers(const struct live_view *lv)
{
	return (int)lv->watches->len;
}

int live_view_streams(const struct live_view *lv)
{
	return (int)g_hash_table_size(lv->streams);
}

const struct live_view_counters *live_view_counters(const struct live_view *lv)
{
	return &lv->n;
}
