/*
 * bk-loadgen — simulated kitchen boxes for benchmarks (make bench, never
 * make test).
 *
 * Each box is its own mutual-TLS MQTT connection with its own certificate
 * (PKI/<id>.crt, made by tools/bk-pki) and behaves towards the collector as
 * bk-edge does: a retained status on connect, then stream messages with seq
 * 1, 2, … (readings of --samples samples, temperature events that open and
 * close, signed clips of random bytes sent in chunks once their manifest is
 * acked), at most --window unacknowledged, resent when the ack names them
 * missing or none comes within --ack-timeout. It keeps nothing on disk: it
 * measures the centre, not the box (bench_outbox does that).
 *
 * It reports, on stdout, one JSON object: boxes connected and how long the
 * connections took, messages generated and acked, the acked rate over the
 * sending time, the latency from a message's generation to the ack that
 * covers it (p50, p90, p99, max), resends, clips verified and their bytes.
 * Progress goes to stderr every few seconds.
 *
 *   bk-loadgen --uri ssl://127.0.0.1:PORT --pki DIR --boxes N [--prefix box-lg-]
 *              [--rate R] [--samples K] [--events E] [--clips C] [--clip-bytes B]
 *              [--duration S] [--drain S] [--connect-rate C]
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <glib.h>

#include "clock.h"
#include "envelope.h"
#include "log.h"
#include "manifest.h"
#include "message.h"
#include "mqtt_link.h"
#include "mqtt_settings.h"
#include "signing.h"
#include "topic.h"

#define EVENT_OPEN_S	5    /* an event closes this long after it opened */
#define DUE_NOW		1    /* a sent_ms that makes a message due again at once */
#define SCAN_MS		1000 /* how often unacked messages are checked for the timeout */
#define STATUS_PERIOD_S 30

/* A message generated and not yet acked: kept for a resend. */
struct pending {
	char *payload;
	int64_t born_ms; /* monotonic, when generated: latency starts here */
	int64_t sent_ms; /* monotonic, last publish; 0 not yet */
	enum msg_kind kind;
};

struct clip {
	char id[64];
	guint8 *data;
	int64_t bytes;
	int64_t seq;	/* its manifest's */
	int next_chunk; /* -1: waiting for the manifest's ack */
};

struct box {
	struct loadgen *lg;
	char id[64];
	struct mqtt_settings settings;
	struct mqtt_link *link;
	struct signer *signer;
	bool connected, ever_connected;
	int64_t connected_ms;
	int64_t next_seq;    /* next to generate */
	int64_t acked;	     /* the collector's high-water mark */
	GHashTable *pending; /* seq → struct pending */
	int64_t send_cursor; /* highest seq published at least once */
	bool rescan;	     /* look for due resends now (missing, reconnect) */
	double reading_credit, event_credit, clip_credit;
	int64_t event_open_until; /* mono ms; 0: no event open */
	char event_id[64];
	int64_t event_start_wall;
	int events;
	GQueue clips; /* of struct clip, in order */
};

struct loadgen {
	/* options */
	char *uri, *pki, *prefix;
	int boxes, first, samples, window, connect_rate;
	double rate, events_per_min, clips_per_hour, duration_s, drain_s, ack_timeout_s;
	int clip_bytes, chunk_bytes;
	/* state */
	struct box *box;
	int started, connected;
	int64_t t0_ms, all_connected_ms, gen_end_ms, last_tick_ms, last_progress_ms, last_scan_ms;
	int64_t gen_start_ms, last_ack_ms;
	bool generating;
	GArray *latency_ms; /* of double */
	uint64_t generated, acked, resends, publish_errors, clips_sent, clips_verified;
	uint64_t clip_bytes_verified, chunks_sent;
	GMainLoop *loop;
};

static int64_t mono(void)
{
	return g_get_monotonic_time() / 1000;
}

static void pending_free(gpointer p)
{
	struct pending *pd = p;

	cJSON_free(pd->payload);
	g_free(pd);
}

/* --- generating -------------------------------------------------------- */

static void add_pending(struct box *b, enum msg_kind kind, cJSON *msg)
{
	struct pending *pd = g_new0(struct pending, 1);

	pd->payload = cJSON_PrintUnformatted(msg);
	pd->born_ms = mono();
	pd->kind = kind;
	cJSON_Delete(msg);
	g_hash_table_insert(b->pending, GINT_TO_POINTER(b->next_seq), pd);
	b->next_seq++;
	b->lg->generated++;
}

static void gen_reading(struct box *b)
{
	struct reading_sample s[64];
	struct envelope env;
	int64_t now = clock_wall_ms();
	int n = MIN(b->lg->samples, (int)G_N_ELEMENTS(s));

	for (int i = 0; i < n; i++) {
		static const char *const sensors[] = { "fridge-1", "fridge-2", "freezer-1",
						       "freezer-2" };

		s[i] = (struct reading_sample){ sensors[i % 4], i % 4 < 2 ? "fridge" : "freezer",
						now - (n - 1 - i) * 100,
						(i % 4 < 2 ? 4.0 : -18.0) + (double)(i % 7) / 10,
						"°C" };
	}
	envelope_stamp(&env, b->id, b->next_seq);
	add_pending(b, MSG_READING, message_reading(&env, s, (size_t)n));
}

static void gen_event(struct box *b, bool open)
{
	struct envelope env;
	int64_t now = clock_wall_ms();
	struct event_info ev = {
		.event_id = b->event_id,
		.phase = open ? "open" : "close",
		.type = "temperature_high",
		.severity = "warning",
		.start_ms = b->event_start_wall,
		.end_ms = open ? 0 : now,
		.source = "fridge-1",
		.zone = "备餐间",
		.has_peak = true,
		.peak = 9.5,
		.unit = "°C",
	};

	envelope_stamp(&env, b->id, b->next_seq);
	add_pending(b, MSG_EVENT, message_event(&env, &ev));
}

/* A clip of random bytes (the collector checks hashes and the signature,
 * not the picture), announced by its signed manifest. */
static void gen_clip(struct box *b)
{
	struct loadgen *lg = b->lg;
	struct clip *c = g_new0(struct clip, 1);
	int count = (lg->clip_bytes + lg->chunk_bytes - 1) / lg->chunk_bytes;
	const char **chunks = g_new0(const char *, count);
	char start[CLOCK_TS_LEN], end[CLOCK_TS_LEN];
	int64_t now = clock_wall_ms();
	struct envelope env;
	char *text, *whole;

	c->bytes = lg->clip_bytes;
	c->data = g_malloc(c->bytes);
	for (int64_t i = 0; i < c->bytes; i += 4)
		*(guint32 *)(c->data + i) = g_random_int();
	snprintf(c->id, sizeof c->id, "lg-%lld-%lld", (long long)now, (long long)b->next_seq);
	for (int i = 0; i < count; i++) {
		int64_t off = (int64_t)i * lg->chunk_bytes;

		chunks[i] = g_compute_checksum_for_data(
		    G_CHECKSUM_SHA256, c->data + off, (gsize)MIN(lg->chunk_bytes, c->bytes - off));
	}
	whole = g_compute_checksum_for_data(G_CHECKSUM_SHA256, c->data, (gsize)c->bytes);
	clock_format_ms(now - 20000, start);
	clock_format_ms(now, end);
	struct clip_manifest m = {
		.box = b->id,
		.clip_id = c->id,
		.camera = "cam1",
		.start = start,
		.end = end,
		.mime = "video/mp2t",
		.sha256 = whole,
		.bytes = c->bytes,
		.chunk_size = lg->chunk_bytes,
		.chunk_count = count,
		.chunks = chunks,
		.cert = signer_cert_pem(b->signer),
	};
	text = manifest_signed_text(&m);
	m.signature = signer_sign(b->signer, text, strlen(text));
	c->seq = b->next_seq;
	c->next_chunk = -1;
	envelope_stamp(&env, b->id, b->next_seq);
	add_pending(b, MSG_CLIP, manifest_build(&env, &m));
	g_queue_push_tail(&b->clips, c);
	lg->clips_sent++;
	g_free((char *)m.signature);
	g_free(text);
	g_free(whole);
	for (int i = 0; i < count; i++)
		g_free((char *)chunks[i]);
	g_free(chunks);
}

static void generate(struct box *b, double dt_s)
{
	struct loadgen *lg = b->lg;
	int64_t now = mono();

	b->reading_credit += lg->rate * dt_s;
	for (; b->reading_credit >= 1; b->reading_credit--)
		gen_reading(b);
	if (b->event_open_until && now >= b->event_open_until) {
		gen_event(b, false);
		b->event_open_until = 0;
	}
	b->event_credit += lg->events_per_min / 60 * dt_s;
	if (b->event_credit >= 1 && !b->event_open_until) {
		b->event_credit -= 1;
		b->event_start_wall = clock_wall_ms();
		snprintf(b->event_id, sizeof b->event_id, "lg:%lld:%d",
			 (long long)b->event_start_wall, ++b->events);
		gen_event(b, true);
		b->event_open_until = now + EVENT_OPEN_S * 1000;
	}
	b->clip_credit += lg->clips_per_hour / 3600 * dt_s;
	for (; b->clip_credit >= 1; b->clip_credit--)
		gen_clip(b);
}

/* --- sending ----------------------------------------------------------- */

static const char *kind_topic(struct box *b, enum msg_kind kind, char *buf)
{
	topic_format(buf, kind, b->id);
	return buf;
}

static bool publish(struct box *b, struct pending *pd)
{
	char topic[TOPIC_MAX];
	int rc = mqtt_link_publish(b->link, kind_topic(b, pd->kind, topic), pd->payload,
				   strlen(pd->payload), false);

	if (rc) {
		b->lg->publish_errors++;
		return false;
	}
	if (pd->sent_ms)
		b->lg->resends++;
	pd->sent_ms = mono();
	return true;
}

/* Send the chunks of clips whose manifest is acked (one clip at a time). */
static void send_chunks(struct box *b)
{
	struct clip *c = g_queue_peek_head(&b->clips);
	struct loadgen *lg = b->lg;
	char topic[TOPIC_MAX];
	int count;

	if (!c || c->next_chunk < 0)
		return;
	count = (int)((c->bytes + lg->chunk_bytes - 1) / lg->chunk_bytes);
	for (int budget = 4; c->next_chunk < count && budget > 0; budget--) {
		int64_t off = (int64_t)c->next_chunk * lg->chunk_bytes;

		topic_format_chunk(topic, b->id, c->id, c->next_chunk);
		if (mqtt_link_publish(b->link, topic, c->data + off,
				      (size_t)MIN(lg->chunk_bytes, c->bytes - off), false) != 0)
			return;
		c->next_chunk++;
		lg->chunks_sent++;
	}
}

/* New messages within the window; with scan (or when told to), also those
 * whose ack is overdue or that the collector named missing. */
static void send_some(struct box *b, bool scan)
{
	struct loadgen *lg = b->lg;
	int64_t now = mono(), timeout = (int64_t)(lg->ack_timeout_s * 1000);
	int64_t limit = MIN(b->next_seq - 1, b->acked + lg->window);

	if (!b->connected)
		return;
	if (scan || b->rescan) {
		b->rescan = false;
		for (int64_t seq = b->acked + 1; seq <= MIN(b->send_cursor, limit); seq++) {
			struct pending *pd = g_hash_table_lookup(b->pending, GINT_TO_POINTER(seq));

			if (pd && pd->sent_ms && now - pd->sent_ms >= timeout && !publish(b, pd))
				return;
		}
	}
	for (int64_t seq = MAX(b->send_cursor, b->acked) + 1; seq <= limit; seq++) {
		if (!publish(b, g_hash_table_lookup(b->pending, GINT_TO_POINTER(seq))))
			return;
		b->send_cursor = seq;
	}
	send_chunks(b);
}

/* --- acks and the link -------------------------------------------------- */

static bool in_missing(const cJSON *missing, int64_t seq)
{
	const cJSON *r;

	cJSON_ArrayForEach (r, missing) {
		int64_t a = (int64_t)cJSON_GetArrayItem(r, 0)->valuedouble;
		int64_t z = (int64_t)cJSON_GetArrayItem(r, 1)->valuedouble;

		if (seq >= a && seq <= z)
			return true;
	}
	return false;
}

static void on_ack(struct box *b, const struct message *m)
{
	struct loadgen *lg = b->lg;
	const cJSON *missing = cJSON_GetObjectItem(m->root, "missing"), *v;
	int64_t acked = MIN(m->u.ack.acked, b->next_seq - 1), now = mono();

	for (int64_t seq = b->acked + 1; seq <= acked; seq++) {
		struct pending *pd = g_hash_table_lookup(b->pending, GINT_TO_POINTER(seq));
		double ms;

		if (!pd)
			continue;
		ms = (double)(now - pd->born_ms);
		g_array_append_val(lg->latency_ms, ms);
		lg->acked++;
		lg->last_ack_ms = now;
		for (GList *l = b->clips.head; l; l = l->next) {
			struct clip *c = l->data;

			if (c->seq == seq && c->next_chunk < 0)
				c->next_chunk = 0;
		}
		g_hash_table_remove(b->pending, GINT_TO_POINTER(seq));
	}
	b->acked = MAX(b->acked, acked);
	/* named missing: send again now rather than after the timeout */
	for (int64_t seq = b->acked + 1; seq <= m->u.ack.max_seen; seq++) {
		struct pending *pd = g_hash_table_lookup(b->pending, GINT_TO_POINTER(seq));

		if (pd && pd->sent_ms && in_missing(missing, seq)) {
			pd->sent_ms = DUE_NOW;
			b->rescan = true;
		}
	}
	cJSON_ArrayForEach (v, m->u.ack.clips_verified) {
		struct clip *c = g_queue_peek_head(&b->clips);

		if (c && !strcmp(c->id, v->valuestring)) {
			lg->clips_verified++;
			lg->clip_bytes_verified += (uint64_t)c->bytes;
			g_queue_pop_head(&b->clips);
			g_free(c->data);
			g_free(c);
		}
	}
	if (m->u.ack.clips_missing && b->clips.head) {
		/* chunks lost on the way: send the head clip's chunks again */
		((struct clip *)b->clips.head->data)->next_chunk = 0;
	}
	send_some(b, false);
}

static void publish_status(struct box *b)
{
	struct status_info st = { .online = true, .version = "loadgen" };
	struct envelope env;
	char topic[TOPIC_MAX];
	cJSON *msg;
	char *text;

	envelope_stamp(&env, b->id, b->next_seq - 1);
	msg = message_status(&env, &st);
	text = cJSON_PrintUnformatted(msg);
	mqtt_link_publish(b->link, kind_topic(b, MSG_STATUS, topic), text, strlen(text), true);
	cJSON_free(text);
	cJSON_Delete(msg);
}

static void on_link(void *ctx, const struct mqtt_event *ev)
{
	struct box *b = ctx;
	struct loadgen *lg = b->lg;
	struct message m;
	struct jcheck jc = { 0 };
	struct topic t;
	char err[128];
	cJSON *root;

	switch (ev->kind) {
	case MQTT_EVENT_CONNECTED:
		b->connected = true;
		if (!b->ever_connected) {
			b->ever_connected = true;
			b->connected_ms = mono();
			if (++lg->connected == lg->boxes)
				lg->all_connected_ms = mono();
		}
		publish_status(b);
		/* everything unacked is due again, as bk-edge does after a reconnect */
		for (int64_t seq = b->acked + 1; seq < b->next_seq; seq++) {
			struct pending *pd = g_hash_table_lookup(b->pending, GINT_TO_POINTER(seq));

			if (pd && pd->sent_ms)
				pd->sent_ms = DUE_NOW;
		}
		b->rescan = true;
		send_some(b, false);
		break;
	case MQTT_EVENT_DISCONNECTED:
		b->connected = false;
		break;
	case MQTT_EVENT_MESSAGE:
		if (!topic_parse(ev->topic, &t, err, sizeof err) || t.kind != MSG_ACK)
			break;
		root = message_parse(ev->payload, ev->len, err, sizeof err);
		if (root && message_validate(&t, root, &m, &jc))
			on_ack(b, &m);
		cJSON_Delete(root);
		break;
	}
}

static bool box_init(struct loadgen *lg, struct box *b, int n)
{
	char err[256];
	char ack[TOPIC_MAX];
	const char *subs[] = { ack, NULL };

	b->lg = lg;
	snprintf(b->id, sizeof b->id, "%s%04d", lg->prefix, n);
	b->settings.uri = g_strdup(lg->uri);
	b->settings.ca = g_strdup_printf("%s/ca.crt", lg->pki);
	b->settings.cert = g_strdup_printf("%s/%s.crt", lg->pki, b->id);
	b->settings.key = g_strdup_printf("%s/%s.key", lg->pki, b->id);
	b->settings.keepalive_s = 30;
	b->settings.reconnect_max_ms = 5000;
	b->signer = signer_new(b->settings.key, b->settings.cert, err, sizeof err);
	if (!b->signer) {
		fprintf(stderr, "bk-loadgen: box %s: %s\n", b->id, err);
		return false;
	}
	topic_format(ack, MSG_ACK, b->id);
	struct mqtt_link_options opt = {
		.settings = &b->settings,
		.client_id = b->id,
		.clean_session = false,
		.subscriptions = subs,
		.on_event = on_link,
		.ctx = b,
	};
	b->link = mqtt_link_new(&opt);
	b->pending = g_hash_table_new_full(NULL, NULL, NULL, pending_free);
	b->next_seq = 1;
	g_queue_init(&b->clips);
	return b->link != NULL;
}

/* --- the clock ---------------------------------------------------------- */

static double percentile(GArray *v, double p)
{
	size_t i;

	if (!v->len)
		return 0;
	i = (size_t)ceil(p / 100 * v->len);
	return g_array_index(v, double, MIN(MAX(i, 1), v->len) - 1);
}

static int cmp_double(gconstpointer a, gconstpointer b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static uint64_t unacked(struct loadgen *lg)
{
	uint64_t n = 0;

	for (int i = 0; i < lg->started; i++)
		n += g_hash_table_size(lg->box[i].pending) + g_queue_get_length(&lg->box[i].clips);
	return n;
}

static gboolean on_tick(gpointer data)
{
	struct loadgen *lg = data;
	int64_t now = mono();
	double dt = (double)(now - lg->last_tick_ms) / 1000;
	bool scan = now - lg->last_scan_ms >= SCAN_MS;

	lg->last_tick_ms = now;
	/* connect at connect_rate, so 1,000 TLS handshakes do not all start at once */
	for (int want = MIN(lg->boxes, (int)((now - lg->t0_ms) * lg->connect_rate / 1000) + 1);
	     lg->started < want; lg->started++)
		mqtt_link_start(lg->box[lg->started].link);
	if (!lg->generating && lg->all_connected_ms) {
		lg->generating = true;
		lg->gen_start_ms = now;
		lg->gen_end_ms = now + (int64_t)(lg->duration_s * 1000);
		dt = 0;
	}
	if (lg->generating && now >= lg->gen_end_ms && lg->gen_end_ms) {
		if (unacked(lg) == 0 || now >= lg->gen_end_ms + (int64_t)(lg->drain_s * 1000)) {
			g_main_loop_quit(lg->loop);
			return G_SOURCE_REMOVE;
		}
	}
	for (int i = 0; i < lg->started; i++) {
		if (lg->generating && now < lg->gen_end_ms && lg->box[i].connected)
			generate(&lg->box[i], dt);
		send_some(&lg->box[i], scan);
	}
	if (scan)
		lg->last_scan_ms = now;
	if (now - lg->last_progress_ms >= 5000) {
		lg->last_progress_ms = now;
		fprintf(stderr,
			"bk-loadgen: %d/%d connected, %llu generated, %llu acked, %llu resent, "
			"%llu/%llu clips verified\n",
			lg->connected, lg->boxes, (unsigned long long)lg->generated,
			(unsigned long long)lg->acked, (unsigned long long)lg->resends,
			(unsigned long long)lg->clips_verified, (unsigned long long)lg->clips_sent);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_status_timer(gpointer data)
{
	struct loadgen *lg = data;

	for (int i = 0; i < lg->started; i++)
		if (lg->box[i].connected)
			publish_status(&lg->box[i]);
	return G_SOURCE_CONTINUE;
}

static void report(struct loadgen *lg)
{
	double send_s = lg->gen_end_ms ? lg->duration_s : 0;
	cJSON *o = cJSON_CreateObject();
	char *text;

	g_array_sort(lg->latency_ms, cmp_double);
	cJSON_AddNumberToObject(o, "boxes", lg->boxes);
	cJSON_AddNumberToObject(o, "connected", lg->connected);
	cJSON_AddNumberToObject(
	    o, "connect_s",
	    lg->all_connected_ms ? (double)(lg->all_connected_ms - lg->t0_ms) / 1000 : -1);
	cJSON_AddNumberToObject(o, "send_s", send_s);
	cJSON_AddNumberToObject(o, "generated", (double)lg->generated);
	cJSON_AddNumberToObject(o, "acked", (double)lg->acked);
	cJSON_AddNumberToObject(o, "unacked", (double)unacked(lg));
	cJSON_AddNumberToObject(o, "acked_per_s", send_s > 0 ? (double)lg->acked / send_s : 0);
	/* the collector's pace: everything acked over first generated to last acked */
	cJSON_AddNumberToObject(o, "ack_rate",
				lg->last_ack_ms > lg->gen_start_ms
				    ? (double)lg->acked * 1000 /
					  (double)(lg->last_ack_ms - lg->gen_start_ms)
				    : 0);
	cJSON_AddNumberToObject(o, "latency_p50_ms", percentile(lg->latency_ms, 50));
	cJSON_AddNumberToObject(o, "latency_p90_ms", percentile(lg->latency_ms, 90));
	cJSON_AddNumberToObject(o, "latency_p99_ms", percentile(lg->latency_ms, 99));
	cJSON_AddNumberToObject(o, "latency_max_ms", percentile(lg->latency_ms, 100));
	cJSON_AddNumberToObject(o, "resends", (double)lg->resends);
	cJSON_AddNumberToObject(o, "publish_errors", (double)lg->publish_errors);
	cJSON_AddNumberToObject(o, "clips_sent", (double)lg->clips_sent);
	cJSON_AddNumberToObject(o, "clips_verified", (double)lg->clips_verified);
	cJSON_AddNumberToObject(o, "clip_bytes_verified", (double)lg->clip_bytes_verified);
	text = cJSON_PrintUnformatted(o);
	printf("%s\n", text);
	cJSON_free(text);
	cJSON_Delete(o);
}

int main(int argc, char **argv)
{
	struct loadgen lg = {
		.prefix = NULL,
		.boxes = 10,
		.first = 1,
		.samples = 8,
		.window = 200,
		.connect_rate = 100,
		.rate = 1,
		.duration_s = 10,
		.drain_s = 30,
		.ack_timeout_s = 5,
		.clip_bytes = 2 << 20,
		.chunk_bytes = 256 << 10,
	};
	GOptionEntry entries[] = {
		{ "uri", 0, 0, G_OPTION_ARG_STRING, &lg.uri, "broker, ssl://host:port", "URI" },
		{ "pki", 0, 0, G_OPTION_ARG_FILENAME, &lg.pki, "ca.crt and <id>.crt/.key", "DIR" },
		{ "boxes", 0, 0, G_OPTION_ARG_INT, &lg.boxes, "boxes (10)", "N" },
		{ "prefix", 0, 0, G_OPTION_ARG_STRING, &lg.prefix, "ids: PREFIX0001… (box-lg-)",
		  "PREFIX" },
		{ "first", 0, 0, G_OPTION_ARG_INT, &lg.first, "number of the first box (1)", "N" },
		{ "rate", 0, 0, G_OPTION_ARG_DOUBLE, &lg.rate, "reading messages/s per box (1)",
		  "R" },
		{ "samples", 0, 0, G_OPTION_ARG_INT, &lg.samples, "samples per reading (8, ≤ 64)",
		  "K" },
		{ "events", 0, 0, G_OPTION_ARG_DOUBLE, &lg.events_per_min,
		  "events opened (and closed 5 s later) per minute per box (0)", "E" },
		{ "clips", 0, 0, G_OPTION_ARG_DOUBLE, &lg.clips_per_hour,
		  "clips per hour per box (0)", "C" },
		{ "clip-bytes", 0, 0, G_OPTION_ARG_INT, &lg.clip_bytes, "bytes per clip (2 MiB)",
		  "B" },
		{ "window", 0, 0, G_OPTION_ARG_INT, &lg.window, "unacked messages per box (200)",
		  "W" },
		{ "duration", 0, 0, G_OPTION_ARG_DOUBLE, &lg.duration_s,
		  "seconds of generating, once all are connected (10)", "S" },
		{ "drain", 0, 0, G_OPTION_ARG_DOUBLE, &lg.drain_s,
		  "at most this long to wait for the last acks (30)", "S" },
		{ "ack-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &lg.ack_timeout_s,
		  "resend what has no ack after this long (5)", "S" },
		{ "connect-rate", 0, 0, G_OPTION_ARG_INT, &lg.connect_rate,
		  "connections started per second (100)", "C" },
		{ NULL },
	};
	GOptionContext *octx = g_option_context_new("- simulated boxes for make bench");
	GError *err = NULL;

	g_option_context_add_main_entries(octx, entries, NULL);
	if (!g_option_context_parse(octx, &argc, &argv, &err)) {
		fprintf(stderr, "bk-loadgen: %s\n", err->message);
		return 2;
	}
	g_option_context_free(octx);
	if (!lg.uri || !lg.pki || lg.boxes < 1 || lg.samples < 1 || lg.samples > 64 ||
	    lg.window < 1 || lg.connect_rate < 1 || lg.clip_bytes < 1 || lg.rate < 0) {
		fprintf(stderr, "bk-loadgen: need --uri and --pki; --boxes, --samples (1–64), "
				"--window, --connect-rate, --clip-bytes positive (see --help)\n");
		return 2;
	}
	if (!lg.prefix)
		lg.prefix = g_strdup("box-lg-");
	log_init("bk-loadgen", LOG_WARN);
	lg.box = g_new0(struct box, lg.boxes);
	for (int i = 0; i < lg.boxes; i++) {
		if (!box_init(&lg, &lg.box[i], lg.first + i))
			return 1;
	}
	lg.latency_ms = g_array_new(FALSE, FALSE, sizeof(double));
	lg.loop = g_main_loop_new(NULL, FALSE);
	lg.t0_ms = lg.last_tick_ms = lg.last_progress_ms = mono();
	g_timeout_add(10, on_tick, &lg);
	g_timeout_add_seconds(STATUS_PERIOD_S, on_status_timer, &lg);
	g_main_loop_run(lg.loop);
	report(&lg);
	for (int i = 0; i < lg.boxes; i++) {
		mqtt_link_free(lg.box[i].link, 100);
		signer_free(lg.box[i].signer);
	}
	return lg.acked == lg.generated && lg.connected == lg.boxes ? 0 : 1;
}
