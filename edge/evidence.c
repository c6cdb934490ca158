/*
 * evidence.c — see evidence.h.
 *
 * Uploads in progress live in memory (`uploads`, oldest first) and in the
 * outbox's clips table; requests not yet built live only in the table and
 * are looked at once a second. Chunk numbers to send are a queue with a
 * bitmap against queuing one twice.
 */
#include "evidence.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "clip.h"
#include "clock.h"
#include "envelope.h"
#include "log.h"
#include "manifest.h"
#include "message.h"
#include "signing.h"
#include "topic.h"

#define TICK_MS 1000
/* How long after the end of its range a request waits for the segment that
 * holds the end to be closed and indexed, beyond the segment's own length. */
#define RECORDING_GRACE_MS 10000
/* Central storage: segments announced and not yet verified, per camera. */
#define CENTRAL_WINDOW 4

/* A built clip on its way to the collector. */
struct upload {
	char *clip_id, *path;
	int64_t seq, bytes;
	int chunk_size, chunk_count;
	bool sending;	   /* the manifest is acked: chunks may go */
	GQueue todo;	   /* chunk numbers to send */
	guint8 *queued;	   /* chunk_count flags: in todo */
	int64_t pass_mono; /* when the last chunk of a pass went; 0 during a pass */
	int unanswered;	   /* passes and pokes in a row without an answer */
	bool segment;	   /* central storage: path is the camera's segment, not ours */
	char *camera;
};

/* The opening clip of an event still open, per camera: a short event
 * stretches it instead of asking for a second clip. */
struct opening {
	char clip_id[128];
	int64_t from_ms;
};

struct evidence {
	const struct edge_config *cfg;
	struct outbox *ob;
	struct evidence_ops ops;
	struct signer *signer;
	char *dir;
	GQueue uploads;	     /* of struct upload*, oldest first */
	GHashTable *opening; /* "event_id camera" → struct opening* */
	guint tick_source;
	uint64_t next_id;
	/* Fault injection for the tests (BK_TEST_CORRUPT_CHUNKS=N): the first N
	 * chunks go out with a byte flipped, as a bad link would deliver them. */
	int corrupt_left;
	struct evidence_counters n;
};

/* --- rolls ----------------------------------------------------------- */

/* Pre- and post-roll for type: [clips <type>], else [clips], else a
 * built-in default: a temperature or gas breach builds up slowly (who left
 * the door open), a detection is a moment. */
static void rolls_for(const struct evidence *ev, const char *type, int64_t *pre, int64_t *post)
{
	const struct clips_config *cl = &ev->cfg->clips;
	bool slow = g_str_has_prefix(type, "temperature_") || g_str_has_prefix(type, "gas_") ||
		    g_str_has_prefix(type, "value_");

	*pre = cl->pre_ms >= 0 ? cl->pre_ms : slow ? 60000 : 10000;
	*post = cl->post_ms >= 0 ? cl->post_ms : slow ? 30000 : 10000;
	for (guint i = 0; i < cl->rolls->len; i++) {
		const struct clip_roll *r = &g_array_index(cl->rolls, struct clip_roll, i);

		if (strcmp(r->type, type) != 0)
			continue;
		if (r->pre_ms >= 0)
			*pre = r->pre_ms;
		if (r->post_ms >= 0)
			*post = r->post_ms;
	}
}

static const struct camera_config *camera_by_id(const struct evidence *ev, const char *id)
{
	for (guint i = 0; i < ev->cfg->cameras->len; i++) {
		const struct camera_config *cc = g_ptr_array_index(ev->cfg->cameras, i);

		if (!strcmp(cc->id, id))
			return cc;
	}
	return NULL;
}

/* --- uploads --------------------------------------------------------- */

static void upload_free(struct upload *u)
{
	g_free(u->clip_id);
	g_free(u->path);
	g_free(u->camera);
	g_queue_clear(&u->todo);
	g_free(u->queued);
	g_free(u);
}

static struct upload *find_upload(const struct evidence *ev, const char *clip_id)
{
	for (GList *l = ev->uploads.head; l; l = l->next) {
		struct upload *u = l->data;

		if (!strcmp(u->clip_id, clip_id))
			return u;
	}
	return NULL;
}

static void queue_chunk(struct upload *u, int k)
{
	if (k < 0 || k >= u->chunk_count || u->queued[k])
		return;
	u->queued[k] = 1;
	g_queue_push_tail(&u->todo, GINT_TO_POINTER(k));
	u->pass_mono = 0;
}

static void add_upload(struct evidence *ev, const char *clip_id, const char *path, int64_t seq,
		       int64_t bytes, int chunk_size, int chunk_count, bool segment,
		       const char *camera)
{
	struct upload *u = g_new0(struct upload, 1);

	u->segment = segment;
	u->camera = g_strdup(camera);
	u->clip_id = g_strdup(clip_id);
	u->path = g_strdup(path);
	u->seq = seq;
	u->bytes = bytes;
	u->chunk_size = chunk_size;
	u->chunk_count = chunk_count;
	u->queued = g_new0(guint8, (gsize)chunk_count);
	g_queue_init(&u->todo);
	g_queue_push_tail(&ev->uploads, u);
}

static void start_sending(struct upload *u)
{
	u->sending = true;
	for (int k = 0; k < u->chunk_count; k++)
		queue_chunk(u, k);
}

/* Ask the collector where a clip stands: its last chunk again, which it
 * answers with the chunks it misses, or with verified. */
static void poke(struct evidence *ev, struct upload *u)
{
	u->queued[u->chunk_count - 1] = 0; /* it may be queued after a pass: send it anyway */
	queue_chunk(u, u->chunk_count - 1);
	ev->n.pokes++;
	u->unanswered++;
}

/* --- announcing ------------------------------------------------------ */

/* Sign clip file cf as clip_id and commit its manifest and its "built"
 * mark together. want_kind non-NULL: the request row is made in the same
 * transaction (a file handed over, not a recorded range); "segment": a
 * central-storage segment, whose manifest is ROUTINE and which moves the
 * camera's last announced start in the same transaction. */
static int announce(struct evidence *ev, const char *clip_id, const char *camera,
		    const char *event_id, const char *want_kind, int64_t start_ms, int64_t end_ms,
		    const char *mime, const struct clip_file *cf)
{
	bool segment = want_kind && !strcmp(want_kind, "segment");
	char start[CLOCK_TS_LEN], end[CLOCK_TS_LEN];
	struct clip_manifest m = {
		.box = ev->cfg->id,
		.clip_id = clip_id,
		.camera = camera,
		.event_id = event_id,
		.start = start,
		.end = end,
		.mime = mime,
		.sha256 = cf->sha256,
		.bytes = cf->bytes,
		.chunk_size = cf->chunk_size,
		.chunk_count = cf->chunk_count,
		.chunks = (const char **)cf->chunk_sha256,
		.cert = signer_cert_pem(ev->signer),
	};
	int64_t seq = outbox_last_seq(ev->ob) + 1;
	struct envelope env;
	char *text, *signature;
	cJSON *msg;
	int rc;

	clock_format_ms(start_ms, start);
	clock_format_ms(MAX(end_ms, start_ms), end);
	text = manifest_signed_text(&m);
	signature = signer_sign(ev->signer, text, strlen(text));
	g_free(text);
	if (!signature) {
		log_error("clip %s: cannot sign its manifest", clip_id);
		return -EIO;
	}
	m.signature = signature;
	envelope_stamp(&env, ev->cfg->id, seq);
	msg = manifest_build(&env, &m);
	rc = outbox_begin(ev->ob);
	if (!rc && want_kind)
		rc = outbox_clip_want(ev->ob, clip_id, camera, event_id, want_kind, start_ms,
				      end_ms);
	if (!rc)
		rc = ev->ops.put_manifest(ev->ops.ctx, msg, segment ? OUTBOX_ROUTINE : OUTBOX_BULK);
	if (!rc)
		rc = outbox_clip_built(ev->ob, clip_id, cf->path, seq, cf->bytes, cf->chunk_size,
				       cf->chunk_count);
	if (!rc && segment)
		rc = outbox_central_set(ev->ob, camera, start_ms);
	if (!rc)
		rc = outbox_commit(ev->ob);
	else
		outbox_rollback(ev->ob);
	cJSON_Delete(msg);
	g_free(signature);
	if (rc)
		return rc;
	add_upload(ev, clip_id, cf->path, seq, cf->bytes, cf->chunk_size, cf->chunk_count, segment,
		   camera);
	if (segment) {
		ev->n.segments_announced++;
		log_debug("segment %s: %lld bytes in %d chunks, manifest seq %lld", clip_id,
			  (long long)cf->bytes, cf->chunk_count, (long long)seq);
		return 0;
	}
	ev->n.built++;
	log_info("clip %s: %s of camera '%s', %lld bytes in %d chunks, manifest seq %lld", clip_id,
		 mime, camera, (long long)cf->bytes, cf->chunk_count, (long long)seq);
	return 0;
}

static char *clip_path(const struct evidence *ev, const char *clip_id, const char *ext)
{
	char *name = g_strdup_printf("%s.%s", clip_id, ext);
	char *path;

	g_strdelimit(name, ":", '_');
	path = g_build_filename(ev->dir, name, NULL);
	g_free(name);
	return path;
}

static void new_clip_id(struct evidence *ev, const char *prefix, const char *camera, char *out)
{
	snprintf(out, 128, "%s:%s:%lld:%llu", prefix, camera, (long long)clock_wall_ms(),
		 (unsigned long long)++ev->next_id);
}

/* --- requests -------------------------------------------------------- */

struct wanted {
	char *clip_id, *camera, *event_id;
	int64_t from_ms, to_ms, created_ms;
};

static void wanted_free(gpointer data)
{
	struct wanted *w = data;

	g_free(w->clip_id);
	g_free(w->camera);
	g_free(w->event_id);
	g_free(w);
}

static void collect_wanted(void *ctx, const struct outbox_clip *c)
{
	struct wanted *w;

	if (c->built)
		return;
	w = g_new0(struct wanted, 1);
	w->clip_id = g_strdup(c->clip_id);
	w->camera = g_strdup(c->camera);
	w->event_id = g_strdup(c->event_id);
	w->from_ms = c->from_ms;
	w->to_ms = c->to_ms;
	w->created_ms = c->created_ms;
	g_ptr_array_add(ctx, w);
}

struct segment_list {
	GPtrArray *paths;
	int64_t start_ms, end_ms;
	int64_t bytes;
};

static void collect_segment(void *ctx, const struct outbox_segment *seg)
{
	struct segment_list *sl = ctx;

	if (sl->paths->len == 0)
		sl->start_ms = seg->start_ms;
	sl->end_ms = MAX(sl->end_ms, seg->end_ms);
	sl->bytes += seg->bytes;
	g_ptr_array_add(sl->paths, g_strdup(seg->path));
}

static void give_up(struct evidence *ev, const struct wanted *w, const char *why)
{
	log_warn("clip %s of camera '%s' (%s): %s; the request is dropped", w->clip_id, w->camera,
		 w->event_id ? w->event_id : "no event", why);
	outbox_clip_delete(ev->ob, w->clip_id);
}

/* Build the clip w if its range is recorded, or will never be. */
static void try_build(struct evidence *ev, const struct wanted *w, int64_t now)
{
	const struct camera_config *cc = camera_by_id(ev, w->camera);
	struct segment_list sl = { .paths = g_ptr_array_new_with_free_func(g_free) };
	struct clip_file cf = { 0 };
	char err[256];
	char *path;
	int chunk_size;

	if (!cc) {
		ev->n.unavailable++;
		give_up(ev, w, "no such camera any more");
		goto out;
	}
	if (outbox_segments_between(ev->ob, w->camera, w->from_ms, w->to_ms, collect_segment, &sl))
		goto out;
	/* the segment that holds the end is indexed when it closes */
	if (sl.end_ms < w->to_ms && now < w->to_ms + cc->segment_ms + RECORDING_GRACE_MS)
		goto out;
	if (sl.paths->len == 0) {
		ev->n.unavailable++;
		give_up(ev, w, "nothing was recorded in that time");
		goto out;
	}
	chunk_size = clip_chunk_size(sl.bytes, ev->cfg->clips.chunk_size);
	if (chunk_size == 0) {
		ev->n.failed++;
		give_up(ev, w, "too large for one clip: ask for a shorter range");
		goto out;
	}
	path = clip_path(ev, w->clip_id, "ts");
	g_ptr_array_add(sl.paths, NULL);
	if (clip_build((const char *const *)sl.paths->pdata, sl.paths->len - 1, path, chunk_size,
		       &cf, err, sizeof err) != 0) {
		ev->n.failed++;
		give_up(ev, w, err);
	} else if (announce(ev, w->clip_id, w->camera, w->event_id, NULL, sl.start_ms, sl.end_ms,
			    "video/mp2t", &cf) != 0) {
		g_unlink(path); /* the request stays and is tried again */
	}
	if (cf.path)
		clip_file_release(&cf);
	g_free(path);
out:
	g_ptr_array_free(sl.paths, TRUE);
}

/* --- central storage ------------------------------------------------- */

static int segments_in_flight(const struct evidence *ev, const char *camera)
{
	int n = 0;

	for (GList *l = ev->uploads.head; l; l = l->next) {
		const struct upload *u = l->data;

		n += u->segment && !strcmp(u->camera, camera);
	}
	return n;
}

struct next_segment {
	int64_t start_ms, end_ms, bytes;
	char *path;
};

static void take_next(void *ctx, const struct outbox_segment *seg)
{
	struct next_segment *ns = ctx;

	ns->start_ms = seg->start_ms;
	ns->end_ms = seg->end_ms;
	ns->bytes = seg->bytes;
	ns->path = g_strdup(seg->path);
}

/* Announce camera cc's next segments owed to the centre, oldest first, up
 * to the window. */
static void central_announce(struct evidence *ev, const struct camera_config *cc)
{
	for (int i = segments_in_flight(ev, cc->id); i < CENTRAL_WINDOW; i++) {
		struct next_segment ns = { 0 };
		struct clip_file cf;
		char err[256], clip_id[128];
		int chunk_size, rc;

		if (outbox_central_next(ev->ob, cc->id, take_next, &ns) != 0)
			return;
		chunk_size = clip_chunk_size(ns.bytes, ev->cfg->clips.chunk_size);
		rc =
		    chunk_size ? clip_hash_file(ns.path, chunk_size, &cf, err, sizeof err) : -EFBIG;
		if (rc == -ENOENT || rc == -ENODATA || rc == -EFBIG) {
			/* gone (the disk budget took it), empty, or too large for
			 * one manifest: skipped, not retried */
			log_warn("segment '%s' of camera '%s' cannot go to the centre: %s; skipped",
				 ns.path, cc->id,
				 rc == -EFBIG ? "too large for one manifest" : err);
			ev->n.segments_lost++;
			rc = outbox_central_set(ev->ob, cc->id, ns.start_ms);
			g_free(ns.path);
			if (rc)
				return;
			continue;
		}
		if (rc) {
			log_error("segment of camera '%s': %s; tried again", cc->id, err);
			g_free(ns.path);
			return;
		}
		snprintf(clip_id, sizeof clip_id, "segment:%s:%lld:%.8s", cc->id,
			 (long long)ns.start_ms, cf.sha256);
		rc = announce(ev, clip_id, cc->id, NULL, "segment", ns.start_ms, ns.end_ms,
			      "video/mp2t", &cf);
		clip_file_release(&cf);
		g_free(ns.path);
		if (rc)
			return; /* tried again on the next tick */
	}
}

static void central_tick(struct evidence *ev)
{
	for (guint i = 0; i < ev->cfg->cameras->len; i++) {
		const struct camera_config *cc = g_ptr_array_index(ev->cfg->cameras, i);

		if (cc->central_storage)
			central_announce(ev, cc);
	}
}

static gboolean on_tick(gpointer data)
{
	struct evidence *ev = data;
	GPtrArray *wanted = g_ptr_array_new_with_free_func(wanted_free);
	int64_t now = clock_wall_ms(), mono = clock_mono_ms();

	if (outbox_clips(ev->ob, collect_wanted, wanted) == 0) {
		for (guint i = 0; i < wanted->len; i++)
			try_build(ev, g_ptr_array_index(wanted, i), now);
	}
	g_ptr_array_free(wanted, TRUE);
	central_tick(ev);
	/* a pass that got no answer: ask again */
	for (GList *l = ev->uploads.head; l; l = l->next) {
		struct upload *u = l->data;

		/* ack_timeout, doubling while nobody answers (a collector that
		 * refuses the clip), up to 64 times that */
		if (u->sending && u->pass_mono &&
		    mono - u->pass_mono >= ev->cfg->ack_timeout_ms << MIN(u->unanswered, 6))
			poke(ev, u);
	}
	evidence_pump(ev);
	return G_SOURCE_CONTINUE;
}

static int want(struct evidence *ev, const char *camera, const char *event_id, int64_t from_ms,
		int64_t to_ms, char *clip_id)
{
	int rc;

	new_clip_id(ev, "clip", camera, clip_id);
	rc = outbox_clip_want(ev->ob, clip_id, camera, event_id, "video", from_ms, to_ms);
	if (rc == 0) {
		ev->n.requested++;
		log_debug("clip %s of camera '%s' asked for (%s)", clip_id, camera,
			  event_id ? event_id : "no event");
	}
	return rc;
}

int evidence_want_range(struct evidence *ev, const char *camera, const char *event_id,
			int64_t from_ms, int64_t to_ms, char *clip_id)
{
	if (!camera_by_id(ev, camera))
		return -ENOENT;
	return want(ev, camera, event_id, from_ms, to_ms, clip_id);
}

static bool camera_concerned(const struct evidence *ev, const struct camera_config *cc,
			     const char *zone, const char *camera)
{
	if (camera)
		return !strcmp(cc->id, camera);
	if (!zone)
		return true;
	for (guint i = 0; i < ev->cfg->cameras->len; i++) {
		const struct camera_config *o = g_ptr_array_index(ev->cfg->cameras, i);

		if (o->zone && !strcmp(o->zone, zone))
			return cc->zone && !strcmp(cc->zone, zone);
	}
	return true; /* no camera films that zone: every camera may have seen something */
}

void evidence_event(struct evidence *ev, const char *event_id, const char *type, const char *zone,
		    const char *camera, bool closing, int64_t start_ms, int64_t end_ms)
{
	int64_t pre, post, max = ev->cfg->clips.max_length_ms;

	if (message_event_about_box(type))
		return;
	rolls_for(ev, type, &pre, &post);
	for (guint i = 0; i < ev->cfg->cameras->len; i++) {
		const struct camera_config *cc = g_ptr_array_index(ev->cfg->cameras, i);
		char *key, clip_id[128];
		struct opening *op;

		if (!camera_concerned(ev, cc, zone, camera))
			continue;
		key = g_strdup_printf("%s %s", event_id, cc->id);
		if (!closing && ev->cfg->clips.snapshots && ev->ops.snapshot)
			ev->ops.snapshot(ev->ops.ctx, cc->id, event_id);
		if (!closing) {
			/* open-ended until the event closes, at most max_length */
			op = g_new0(struct opening, 1);
			op->from_ms = start_ms - pre;
			if (want(ev, cc->id, event_id, op->from_ms, op->from_ms + max,
				 op->clip_id) == 0)
				g_hash_table_replace(ev->opening, key, op);
			else {
				g_free(op);
				g_free(key);
			}
			continue;
		}
		op = g_hash_table_lookup(ev->opening, key);
		/* a short event: its opening clip, not built yet, ends at end + post */
		if (!op || end_ms + post - op->from_ms > max ||
		    outbox_clip_set_end(ev->ob, op->clip_id, end_ms + post) != 0)
			want(ev, cc->id, event_id, MAX(end_ms - pre, op ? op->from_ms : INT64_MIN),
			     end_ms + post, clip_id);
		g_hash_table_remove(ev->opening, key);
		g_free(key);
	}
}

int evidence_add_file(struct evidence *ev, const char *camera, const char *event_id,
		      const char *kind, const char *mime, const char *path, int64_t wall_ms)
{
	const char *ext = g_str_has_suffix(path, ".jpg") ? "jpg" : "bin";
	const char *const files[] = { path, NULL };
	char clip_id[128], err[256];
	struct clip_file cf = { 0 };
	char *dest;
	int rc;

	new_clip_id(ev, kind, camera, clip_id);
	dest = clip_path(ev, clip_id, ext);
	rc = clip_build(files, 1, dest, ev->cfg->clips.chunk_size, &cf, err, sizeof err);
	if (rc) {
		log_error("%s of camera '%s': %s", kind, camera, err);
	} else {
		rc = announce(ev, clip_id, camera, event_id, kind, wall_ms, wall_ms, mime, &cf);
		if (rc)
			g_unlink(dest);
		clip_file_release(&cf);
	}
	if (rc == 0)
		ev->n.requested++;
	g_unlink(path);
	g_free(dest);
	return rc;
}

/* --- the collector's answers ----------------------------------------- */

void evidence_acked(struct evidence *ev, int64_t acked)
{
	bool any = false;

	for (GList *l = ev->uploads.head; l; l = l->next) {
		struct upload *u = l->data;

		if (!u->sending && u->seq <= acked) {
			start_sending(u);
			any = true;
		}
	}
	if (any)
		evidence_pump(ev);
}

/* Forget an upload: its row, its file and its memory. */
static int drop_upload(struct evidence *ev, struct upload *u)
{
	if (outbox_clip_delete(ev->ob, u->clip_id) != 0)
		return -EIO;
	/* a segment's file is the camera's: it stays in the box's ring */
	if (!u->segment && g_unlink(u->path) != 0 && errno != ENOENT)
		log_warn("clip %s: cannot delete '%s': %s", u->clip_id, u->path, g_strerror(errno));
	g_queue_remove(&ev->uploads, u);
	upload_free(u);
	return 0;
}

static void verified(struct evidence *ev, const char *clip_id)
{
	struct upload *u = find_upload(ev, clip_id);

	if (!u)
		return; /* an answer repeated: already done */
	if (u->segment) {
		log_debug("segment %s verified by the collector", clip_id);
		if (drop_upload(ev, u) == 0)
			ev->n.segments_verified++;
		return;
	}
	log_info("clip %s verified by the collector", clip_id);
	if (drop_upload(ev, u) == 0) /* else tried again with the next answer */
		ev->n.verified++;
}

void evidence_ack_clips(struct evidence *ev, const cJSON *verified_ids, const cJSON *missing)
{
	const cJSON *item, *n;

	cJSON_ArrayForEach (item, verified_ids)
		verified(ev, item->valuestring);
	cJSON_ArrayForEach (item, missing) {
		struct upload *u =
		    find_upload(ev, cJSON_GetObjectItem(item, "clip_id")->valuestring);

		if (!u || !u->sending)
			continue;
		u->unanswered = 0;
		cJSON_ArrayForEach (n, cJSON_GetObjectItem(item, "chunks")) {
			if (!u->queued[MIN((int)n->valuedouble, u->chunk_count - 1)])
				ev->n.chunks_resent++;
			queue_chunk(u, (int)n->valuedouble);
		}
		log_debug("clip %s: the collector misses %d chunks", u->clip_id,
			  cJSON_GetArraySize(cJSON_GetObjectItem(item, "chunks")));
	}
	if (cJSON_GetArraySize(verified_ids) > 0)
		central_tick(ev); /* room in the window: catch up without waiting for the tick */
	evidence_pump(ev);
}

void evidence_connected(struct evidence *ev)
{
	for (GList *l = ev->uploads.head; l; l = l->next) {
		struct upload *u = l->data;

		if (u->sending && g_queue_is_empty(&u->todo))
			poke(ev, u);
	}
	evidence_pump(ev);
}

/* Send the chunks of clips (segments false) or of central storage's
 * segments. false when sending must stop (the cap, the link, or the list
 * changed and was pumped again). */
static bool pump_pass(struct evidence *ev, bool segments)
{
	for (GList *l = ev->uploads.head; l; l = l->next) {
		struct upload *u = l->data;
		struct clip_file cf = { .path = u->path,
					.bytes = u->bytes,
					.chunk_size = u->chunk_size,
					.chunk_count = u->chunk_count };
		guint8 *buf = NULL;

		if (u->segment != segments)
			continue;
		while (u->sending && !g_queue_is_empty(&u->todo)) {
			int k = GPOINTER_TO_INT(g_queue_peek_head(&u->todo));
			char topic[TOPIC_MAX];
			size_t len;
			int rc;

			if (!buf)
				buf = g_malloc((gsize)u->chunk_size);
			rc = clip_read_chunk(&cf, k, buf, &len);
			if (rc) {
				log_error("%s %s: cannot read chunk %d of '%s': %s%s",
					  u->segment ? "segment" : "clip", u->clip_id, k, u->path,
					  g_strerror(-rc),
					  rc != -ENOENT ? ""
					  : u->segment
					      ? "; deleted by the disk budget before its upload"
					      : "; the clip is lost");
				g_free(buf);
				if (rc == -ENOENT) {
					if (u->segment)
						ev->n.segments_lost++;
					else
						ev->n.failed++;
					drop_upload(ev, u);
					evidence_pump(ev); /* the list changed: start over */
				}
				return false; /* else tried again on the next tick */
			}
			topic_format_chunk(topic, ev->cfg->id, u->clip_id, k);
			if (ev->corrupt_left > 0 && len > 0)
				buf[len / 2] ^= 0x5a;
			rc = ev->ops.send_chunk(ev->ops.ctx, topic, buf, len);
			if (ev->corrupt_left > 0 && len > 0 && rc == 0) {
				ev->corrupt_left--;
				log_warn(
				    "clip %s: chunk %d sent corrupted (BK_TEST_CORRUPT_CHUNKS)",
				    u->clip_id, k);
			}
			if (rc) {
				g_free(buf);
				return false;
			}
			g_queue_pop_head(&u->todo);
			u->queued[k] = 0;
			ev->n.chunks_sent++;
			if (g_queue_is_empty(&u->todo))
				u->pass_mono = clock_mono_ms();
		}
		g_free(buf);
	}
	return true;
}

/* Clips first: a segment's chunk goes only when no clip has one waiting. */
void evidence_pump(struct evidence *ev)
{
	if (pump_pass(ev, false))
		pump_pass(ev, true);
}

/* --- life cycle ------------------------------------------------------ */

static void collect_built(void *ctx, const struct outbox_clip *c)
{
	struct evidence *ev = ctx;

	if (c->built && c->path && c->chunk_count > 0 && c->chunk_size > 0)
		add_upload(ev, c->clip_id, c->path, c->seq, c->bytes, c->chunk_size, c->chunk_count,
			   !strcmp(c->kind, "segment"), c->camera);
}

/* Files in the clip directory that no clip owns: left by a crash between
 * building a clip and committing it. */
static void sweep_orphans(struct evidence *ev)
{
	GDir *d = g_dir_open(ev->dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		char *path = g_build_filename(ev->dir, name, NULL);
		bool owned = false;

		for (GList *l = ev->uploads.head; l && !owned; l = l->next)
			owned = !strcmp(((struct upload *)l->data)->path, path);
		if (!owned) {
			log_info("deleting '%s': no clip owns it (left by a crash)", path);
			g_unlink(path);
		}
		g_free(path);
	}
	if (d)
		g_dir_close(d);
}

struct evidence *evidence_new(const struct edge_config *cfg, struct outbox *ob,
			      const struct evidence_ops *ops)
{
	struct evidence *ev = g_new0(struct evidence, 1);
	char err[256];

	ev->cfg = cfg;
	ev->ob = ob;
	ev->ops = *ops;
	g_queue_init(&ev->uploads);
	ev->opening = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	ev->dir = g_build_filename(cfg->state_dir, "clips", NULL);
	if (g_getenv("BK_TEST_CORRUPT_CHUNKS"))
		ev->corrupt_left = atoi(g_getenv("BK_TEST_CORRUPT_CHUNKS"));
	if (g_mkdir_with_parents(ev->dir, 0700) != 0) {
		log_error("cannot create the clip directory '%s': %s; no clips", ev->dir,
			  g_strerror(errno));
		goto out_free;
	}
	ev->signer = signer_new(cfg->mqtt.key, cfg->mqtt.cert, err, sizeof err);
	if (!ev->signer) {
		log_error("cannot sign clips: %s; no clips", err);
		goto out_free;
	}
	for (guint i = 0; i < cfg->cameras->len; i++) {
		const struct camera_config *cc = g_ptr_array_index(cfg->cameras, i);

		if (outbox_central_mark(ob, cc->id, cc->central_storage) != 0)
			goto out_free;
	}
	if (outbox_clips(ob, collect_built, ev) != 0)
		goto out_free;
	sweep_orphans(ev);
	/* clips announced before a restart: a manifest no longer in the outbox
	 * was acked; ask the collector what it lacks rather than send it all */
	for (GList *l = ev->uploads.head; l; l = l->next) {
		struct upload *u = l->data;
		struct outbox_row row;

		if (outbox_get(ob, u->seq, &row) == 0) {
			outbox_row_clear(&row);
			continue;
		}
		u->sending = true;
		poke(ev, u);
	}
	ev->tick_source = g_timeout_add(TICK_MS, on_tick, ev);
	return ev;

out_free:
	evidence_free(ev);
	return NULL;
}

void evidence_free(struct evidence *ev)
{
	if (!ev)
		return;
	if (ev->tick_source)
		g_source_remove(ev->tick_source);
	g_queue_clear_full(&ev->uploads, (GDestroyNotify)upload_free);
	g_hash_table_destroy(ev->opening);
	signer_free(ev->signer);
	g_free(ev->dir);
	g_free(ev);
}

int64_t evidence_bytes(struct evidence *ev)
{
	return outbox_clip_bytes(ev->ob);
}

const struct evidence_counters *evidence_counters(const struct evidence *ev)
{
	return &ev->n;
}
