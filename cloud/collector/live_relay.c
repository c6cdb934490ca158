/*
 * live_relay.c — the collector's hub of live streams (see live_relay.h).
 *
 * A chunk is stored once (struct chunk, reference counted) and queued by
 * reference for every viewer and in the stream's key cache. Invariants:
 *   - the key cache is empty or starts with a key fragment of the current
 *     init, and holds at most key_cache_max bytes;
 *   - a viewer's queue never has a fragment before an init (has_init), and
 *     after a join, a drop or a new init its next fragment is a key one
 *     (wait_key);
 *   - the head of a queue may be partly read (head_off): it is never dropped,
 *     since the browser already has its first bytes;
 *   - a drop keeps the last init of a queue (the key fragment it waits for
 *     needs it) and drops the older ones (no fragment of theirs is left).
 * Costs: feed is O(viewers) plus the copy of the chunk once; read copies.
 */
#include "live_relay.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

struct chunk {
	int refs;
	bool init; /* an init segment, else a fragment */
	bool key;  /* fragment starting with a sync sample */
	size_t len;
	uint8_t data[];
};

struct stream {
	char *key; /* of r->streams */
	struct chunk *init;
	struct fmp4_init info;
	GQueue cache; /* struct chunk *, from a key fragment */
	size_t cache_bytes;
	GQueue viewers; /* struct live_viewer * (their link) */
	struct live_stream_stats st;
};

struct live_viewer {
	struct live_relay *r;
	struct stream *s;
	GList link; /* in s->viewers */
	char *who;
	live_wake_fn wake;
	void *ctx;
	GQueue q;	 /* struct chunk * */
	size_t head_off; /* bytes of the head already read */
	size_t queued;	 /* bytes not read yet */
	bool has_init;	 /* an init is queued or read: fragments may follow */
	bool wait_key;	 /* fragments skipped until a key one */
	bool dropping;	 /* ... because it fell behind: skipped ones count as dropped */
	bool waiting;	 /* the last read found nothing: wake on news */
	bool ended;
	char *why;
	struct live_viewer_stats st;
};

struct live_relay {
	size_t viewer_queue_max, key_cache_max;
	GHashTable *streams; /* key → struct stream * */
	int viewers;
};

/* --- chunks and streams ------------------------------------------------------- */

static struct chunk *chunk_new(const uint8_t *p, size_t n, bool init, bool key)
{
	struct chunk *c = g_malloc(sizeof *c + n);

	c->refs = 1;
	c->init = init;
	c->key = key;
	c->len = n;
	memcpy(c->data, p, n);
	return c;
}

static struct chunk *chunk_ref(struct chunk *c)
{
	c->refs++;
	return c;
}

static void chunk_unref(void *data)
{
	struct chunk *c = data;

	if (c && --c->refs == 0)
		g_free(c);
}

/* Box ids and camera names have no ':', but the length prefix makes any pair unambiguous. */
static char *stream_key(const char *box, const char *camera)
{
	return g_strdup_printf("%zu:%s/%s", strlen(box), box, camera);
}

static struct stream *stream_find(const struct live_relay *r, const char *box, const char *camera)
{
	char *key = stream_key(box, camera);
	struct stream *s = g_hash_table_lookup(r->streams, key);

	g_free(key);
	return s;
}

static struct stream *stream_get(struct live_relay *r, const char *box, const char *camera)
{
	struct stream *s = stream_find(r, box, camera);

	if (s)
		return s;
	s = g_new0(struct stream, 1);
	s->key = stream_key(box, camera);
	g_queue_init(&s->cache);
	g_queue_init(&s->viewers);
	g_hash_table_insert(r->streams, s->key, s);
	return s;
}

static void cache_clear(struct stream *s)
{
	g_queue_clear_full(&s->cache, chunk_unref);
	s->cache_bytes = 0;
}

/* Frees the stream's own state; its viewers must be gone. */
static void stream_free(struct stream *s)
{
	cache_clear(s);
	chunk_unref(s->init);
	g_free(s->key);
	g_free(s);
}

static void stream_maybe_free(struct live_relay *r, struct stream *s)
{
	if (s->viewers.length > 0 || s->init)
		return;
	g_hash_table_remove(r->streams, s->key);
	stream_free(s);
}

/* --- viewers' queues ---------------------------------------------------------- */

static void viewer_push(struct live_viewer *v, struct chunk *c)
{
	g_queue_push_tail(&v->q, chunk_ref(c));
	v->queued += c->len;
	if (c->init)
		v->st.inits_sent++;
}

static void viewer_wake(struct live_viewer *v)
{
	if (!v->waiting)
		return;
	v->waiting = false;
	if (v->wake)
		v->wake(v->ctx);
}

/* Drop what the viewer has not started to read, but the last init: it resumes at
 * a key fragment of the stream's current init, whose init it may not have yet. */
static void viewer_drop(struct live_viewer *v)
{
	GQueue keep = G_QUEUE_INIT;
	GList *last_init = NULL;
	struct chunk *c;

	for (GList *l = v->q.head; l; l = l->next) {
		if (((struct chunk *)l->data)->init)
			last_init = l;
	}
	for (GList *l = v->q.head; l; l = l->next) {
		c = l->data;
		if (l == last_init || (l == v->q.head && v->head_off > 0)) {
			g_queue_push_tail(&keep, c);
			continue;
		}
		v->queued -= c->len;
		if (!c->init)
			v->st.fragments_dropped++;
		chunk_unref(c);
	}
	g_queue_clear(&v->q);
	v->q = keep;
	v->st.drops++;
}

/* A fragment for one viewer: order, key and the queue's limit. */
static void viewer_fragment(struct live_viewer *v, struct chunk *c, size_t queue_max)
{
	if (v->ended || !v->has_init)
		return;
	if (v->wait_key && !c->key) {
		if (v->dropping)
			v->st.fragments_dropped++;
		return;
	}
	if (v->queued + c->len > queue_max && v->queued > 0) {
		viewer_drop(v);
		if (!c->key) {
			/* this one is lost too: resume at the next key fragment */
			v->wait_key = v->dropping = true;
			v->st.fragments_dropped++;
			return;
		}
	}
	v->wait_key = v->dropping = false;
	viewer_push(v, c);
	viewer_wake(v);
}

static void viewer_init(struct live_viewer *v, struct chunk *init, size_t queue_max)
{
	if (v->ended)
		return;
	viewer_push(v, init);
	if (v->queued > queue_max && v->q.length > 1)
		viewer_drop(v); /* a box restarting again and again: keeps the newest init */
	v->has_init = true;
	v->wait_key = true;
	v->dropping = false;
	viewer_wake(v);
}

/* --- the relay ------------------------------------------------------------------ */

struct live_relay *live_relay_new(size_t viewer_queue_max, size_t key_cache_max)
{
	struct live_relay *r = g_new0(struct live_relay, 1);

	r->viewer_queue_max = viewer_queue_max;
	r->key_cache_max = key_cache_max;
	r->streams = g_hash_table_new(g_str_hash, g_str_equal);
	return r;
}

static void viewer_free(struct live_viewer *v)
{
	g_queue_clear_full(&v->q, chunk_unref);
	g_free(v->who);
	g_free(v->why);
	g_free(v);
}

void live_relay_free(struct live_relay *r)
{
	GHashTableIter it;
	void *value;

	if (!r)
		return;
	g_hash_table_iter_init(&it, r->streams);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		struct stream *s = value;
		GList *l;

		while ((l = g_queue_pop_head_link(&s->viewers)))
			viewer_free(l->data);
		stream_free(s);
	}
	g_hash_table_destroy(r->streams);
	g_free(r);
}

static int feed_init(struct live_relay *r, const char *box, const char *camera, const uint8_t *p,
		     size_t n, const struct fmp4_init *info)
{
	struct stream *s = stream_get(r, box, camera);

	/* the box sends its init again with every request (for collectors
	 * that joined late): the same one again changes nothing here */
	if (s->init && s->init->len == n && memcmp(s->init->data, p, n) == 0)
		return 0;
	chunk_unref(s->init);
	s->init = chunk_new(p, n, true, false);
	s->info = *info;
	s->st.inits++;
	cache_clear(s);
	for (GList *l = s->viewers.head; l; l = l->next)
		viewer_init(l->data, s->init, r->viewer_queue_max);
	return 0;
}

static void feed_fragment(struct live_relay *r, struct stream *s, const uint8_t *p, size_t n,
			  const struct fmp4_info *info)
{
	struct chunk *c = chunk_new(p, n, false, info->key);

	if (c->key)
		cache_clear(s);
	/* the cache starts at a key fragment or stays empty until one comes */
	if ((c->key || s->cache.length > 0) && s->cache_bytes + n <= r->key_cache_max) {
		g_queue_push_tail(&s->cache, chunk_ref(c));
		s->cache_bytes += n;
	} else {
		cache_clear(s);
	}
	s->st.last_decode_time = info->decode_time;
	for (GList *l = s->viewers.head; l; l = l->next)
		viewer_fragment(l->data, c, r->viewer_queue_max);
	chunk_unref(c);
}

int live_relay_feed(struct live_relay *r, const char *box, const char *camera, const uint8_t *p,
		    size_t n, int64_t now_ms, char *err, size_t errlen)
{
	struct stream *s = stream_find(r, box, camera);
	struct fmp4_init init;
	struct fmp4_info info;

	if (!fmp4_inspect(p, n, s && s->init ? &s->info : NULL, &init, &info, err, errlen))
		return -EINVAL;
	if (info.kind == FMP4_INIT) {
		feed_init(r, box, camera, p, n, &init);
		s = stream_find(r, box, camera);
	} else {
		if (!s || !s->init) {
			if (err && errlen)
				snprintf(err, errlen,
					 "a fragment (sequence %u) before any init segment",
					 info.sequence);
			return -ENOENT;
		}
		feed_fragment(r, s, p, n, &info);
	}
	s->st.chunks++;
	s->st.bytes += (int64_t)n;
	s->st.last_chunk_ms = now_ms;
	return 0;
}

void live_relay_end(struct live_relay *r, const char *box, const char *camera, const char *why)
{
	struct stream *s = stream_find(r, box, camera);

	if (!s)
		return;
	for (GList *l = s->viewers.head; l; l = l->next) {
		struct live_viewer *v = l->data;

		if (v->ended)
			continue;
		v->ended = true;
		v->why = g_strdup(why ? why : "");
		viewer_wake(v);
	}
	chunk_unref(s->init);
	s->init = NULL;
	cache_clear(s);
	stream_maybe_free(r, s);
}

struct live_viewer *live_relay_join(struct live_relay *r, const char *box, const char *camera,
				    const char *who, int64_t now_ms, live_wake_fn wake, void *ctx)
{
	struct stream *s = stream_get(r, box, camera);
	struct live_viewer *v = g_new0(struct live_viewer, 1);

	v->r = r;
	v->s = s;
	v->link.data = v;
	v->who = g_strdup(who ? who : "");
	v->wake = wake;
	v->ctx = ctx;
	g_queue_init(&v->q);
	v->st.joined_ms = now_ms;
	g_queue_push_tail_link(&s->viewers, &v->link);
	r->viewers++;
	if (s->init) {
		viewer_init(v, s->init, r->viewer_queue_max);
		for (GList *l = s->cache.head; l; l = l->next)
			viewer_push(v, l->data);
		if (s->cache.length > 0)
			v->wait_key = false;
	}
	return v;
}

size_t live_viewer_read(struct live_viewer *v, uint8_t *buf, size_t max, bool *ended,
			const char **why)
{
	size_t done = 0;
	struct chunk *c;

	*ended = false;
	if (why)
		*why = NULL;
	while (done < max && (c = g_queue_peek_head(&v->q))) {
		size_t k = MIN(max - done, c->len - v->head_off);

		memcpy(buf + done, c->data + v->head_off, k);
		done += k;
		v->head_off += k;
		v->queued -= k;
		if (v->head_off == c->len) {
			if (!c->init)
				v->st.fragments_sent++;
			v->head_off = 0;
			chunk_unref(g_queue_pop_head(&v->q));
		}
	}
	v->st.bytes_sent += (int64_t)done;
	if (done > 0)
		return done;
	if (v->ended && v->q.length == 0) {
		*ended = true;
		if (why)
			*why = v->why;
		return 0;
	}
	if (max > 0) /* max 0 only asks: no wake promised */
		v->waiting = true;
	return 0;
}

void live_viewer_leave(struct live_viewer *v)
{
	struct stream *s;

	if (!v)
		return;
	s = v->s;
	g_queue_unlink(&s->viewers, &v->link);
	v->r->viewers--;
	stream_maybe_free(v->r, s);
	viewer_free(v);
}

void live_viewer_stats(const struct live_viewer *v, struct live_viewer_stats *st)
{
	*st = v->st;
	st->who = v->who;
	st->end_why = v->ended ? v->why : NULL;
	st->bytes_queued = (int64_t)v->queued;
}

int live_relay_viewer_count(const struct live_relay *r, const char *box, const char *camera)
{
	const struct stream *s = stream_find(r, box, camera);

	return s ? (int)s->viewers.length : 0;
}

int live_relay_total_viewers(const struct live_relay *r)
{
	return r->viewers;
}

int live_relay_stream_count(const struct live_relay *r)
{
	return (int)g_hash_table_size(r->streams);
}

const struct fmp4_init *live_relay_init(const struct live_relay *r, const char *box,
					const char *camera)
{
	const struct stream *s = stream_find(r, box, camera);

	return s && s->init ? &s->info : NULL;
}

bool live_relay_stream_stats(const struct live_relay *r, const char *box, const char *camera,
			     struct live_stream_stats *st)
{
	const struct stream *s = stream_find(r, box, camera);

	if (!s)
		return false;
	*st = s->st;
	st->viewers = (int)s->viewers.length;
	st->has_init = s->init != NULL;
	st->cache_bytes = s->cache_bytes;
	st->cache_fragments = (int)s->cache.length;
	return true;
}
