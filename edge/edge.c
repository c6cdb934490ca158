/*
 * edge.c — see edge.h.
 *
 * In-flight bookkeeping: `inflight` maps seq → time sent, `sent_order`
 * holds the same seqs oldest send first, so the ack time-out check looks
 * only at the head. Both are bounded by the window.
 */
#include "edge.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include <cjson/cJSON.h>

#include "camera.h"
#include "cert_watch.h"
#include "clock.h"
#include "coverage.h"
#include "detections.h"
#include "evidence.h"
#include "live_sessions.h"
#include "recent_ids.h"
#include "log.h"
#include "message.h"
#include "mqtt_link.h"
#include "outbox.h"
#include "sensor.h"
#include "topic.h"
#include "version.h"

G_STATIC_ASSERT(sizeof(gpointer) >= sizeof(int64_t));
#define SEQ_KEY(seq) ((gpointer)(intptr_t)(seq))
#define KEY_SEQ(p)   ((int64_t)(intptr_t)(p))

struct sample {
	guint sensor; /* index into cfg->sensors */
	int64_t t_ms;
	double value;
};

struct sensor_timer {
	struct edge *e;
	guint index;
};

/* A camera and the camera_offline event it has open, if any. */
struct camera_slot {
	struct edge *e;
	struct camera *cam;
	char event_id[128]; /* "" when online */
	int64_t offline_ms;
};

struct edge {
	const struct edge_config *cfg;
	struct outbox *outbox;
	struct mqtt_link *link;
	GArray *samples;       /* of struct sample, not yet in the outbox */
	GArray *sensor_timers; /* of guint source ids */
	struct sensor_timer *timer_ctx;
	struct rules *rules;	     /* one per sensor, same index */
	struct camera_slot *cameras; /* one per cfg->cameras entry, same index */
	struct evidence *evidence;   /* clips and snapshots; NULL: none (cannot sign) */
	struct live_sessions *live;  /* live view; NULL without cameras */
	struct recent_ids *cmd_seen; /* cmd_ids carried out lately (a copy via another broker) */
	guint batch_source, status_source, resend_source, pump_source, budget_source;
	guint coverage_source;
	int64_t cursor[OUTBOX_CLASSES]; /* last seq sent per class since (re)connect */
	GHashTable *inflight;		/* seq → mono ms sent */
	GQueue sent_order;		/* seqs, oldest send first */
	int64_t acked;			/* the collector's last high-water mark */
	int64_t started_ms;
	double msg_tokens, byte_tokens; /* the send-rate cap, a token bucket */
	int64_t tokens_ms;
	uint64_t dropped_events; /* data_dropped events issued, for their ids */
	uint64_t detections_seen;
	struct detections *detections; /* the local detections interface */
	bool over_budget_logged;       /* said once that only alerts are left */
	struct cert_info cert;	       /* ours; cert.serial empty: unreadable */
	char *cert_event_id;	       /* the open cert_expiring event, or NULL */
	int64_t cert_event_start_ms;
	guint cert_source;
	struct edge_counters n;
};

static void topic_for(const struct edge *e, enum msg_kind kind, char *buf)
{
	topic_format(buf, kind, e->cfg->id);
}

/* --- status ---------------------------------------------------------- */

static char *status_payload(struct edge *e, bool online)
{
	const struct edge_config *cfg = e->cfg;
	struct status_sensor sensors[256];
	struct status_camera cameras[256];
	struct status_health health = { 0 };
	struct status_info st = { .online = online };
	struct status_cert cert = { e->cert.serial, e->cert.not_after_ms };
	int64_t oldest;
	struct envelope env;
	cJSON *msg;
	char *text;

	envelope_stamp(&env, cfg->id, outbox_last_seq(e->outbox));
	if (online) {
		oldest = outbox_oldest_ms(e->outbox);
		health.outbox_depth = outbox_depth(e->outbox);
		health.oldest_unacked_s = oldest ? MAX(0, clock_wall_ms() - oldest) / 1000.0 : 0;
		health.resends = (int64_t)e->n.resends;
		health.evictions = (int64_t)e->n.evictions;
		health.disk_used_bytes = outbox_disk_bytes(e->outbox) +
					 outbox_segment_bytes(e->outbox) +
					 (e->evidence ? evidence_bytes(e->evidence) : 0);
		health.disk_budget_bytes = cfg->disk_budget;
		st.version = BK_VERSION;
		st.started_ms = e->started_ms;
		st.health = &health;
		st.n_sensors = MIN(cfg->sensors->len, G_N_ELEMENTS(sensors));
		for (size_t i = 0; i < st.n_sensors; i++) {
			const struct sensor *s = g_ptr_array_index(cfg->sensors, i);

			/* faulty: failing reads now, or an open sensor_fault (stuck, impossible) */
			bool fault = s->fault || (e->rules && e->rules[i].fault_open);

			sensors[i] = (struct status_sensor){ s->id, s->kind, fault };
		}
		st.sensors = sensors;
		st.n_cameras = MIN(cfg->cameras->len, G_N_ELEMENTS(cameras));
		for (size_t i = 0; i < st.n_cameras; i++) {
			const struct camera_config *cc = g_ptr_array_index(cfg->cameras, i);
			struct camera *cam = e->cameras ? e->cameras[i].cam : NULL;

			/* a camera that could not even be set up records nothing */
			cameras[i] = (struct status_camera){ cc->id, cam ? camera_state_name(cam)
									 : "offline" };
		}
		st.cameras = st.n_cameras ? cameras : NULL;
		st.cert = e->cert.serial[0] ? &cert : NULL;
	}
	msg = message_status(&env, &st);
	text = cJSON_PrintUnformatted(msg);
	cJSON_Delete(msg);
	return text;
}

static void publish_status(struct edge *e, bool online)
{
	char topic[TOPIC_MAX];
	char *text = status_payload(e, online);

	topic_for(e, MSG_STATUS, topic);
	mqtt_link_publish(e->link, topic, text, strlen(text), true);
	cJSON_free(text);
}

/* The last will carries the seq issued when it was set: refreshed before each connect. */
static void refresh_will(struct edge *e)
{
	char topic[TOPIC_MAX];
	char *text = status_payload(e, false);

	topic_for(e, MSG_STATUS, topic);
	mqtt_link_set_will(e->link, topic, text, true);
	cJSON_free(text);
}

static void enforce_budget(struct edge *e);

static gboolean on_status_timer(gpointer data)
{
	struct edge *e = data;

	if (mqtt_link_connected(e->link))
		publish_status(e, true);
	return G_SOURCE_CONTINUE;
}

/* Cameras add segments by themselves: the budget is checked every few seconds too. */
static gboolean on_budget_timer(gpointer data)
{
	enforce_budget(data);
	return G_SOURCE_CONTINUE;
}

/* --- sending --------------------------------------------------------- */

static void pump(struct edge *e);

static gboolean on_pump_timer(gpointer data)
{
	struct edge *e = data;

	e->pump_source = 0;
	pump(e);
	return G_SOURCE_REMOVE;
}

/* Take one message of len bytes from the token bucket (a second's worth at
 * most is saved up). When empty, schedule a pump for when it has refilled
 * and say -EAGAIN: a box back from an outage replays at the cap, not at once. */
static int take_tokens(struct edge *e, size_t len)
{
	const struct edge_config *cfg = e->cfg;
	int64_t now = clock_mono_ms();
	double elapsed = (double)(now - e->tokens_ms) / 1000.0;
	double need_bytes = MIN((double)len, cfg->max_bytes_rate);
	double wait_s;

	e->tokens_ms = now;
	e->msg_tokens = MIN(cfg->max_rate, e->msg_tokens + elapsed * cfg->max_rate);
	e->byte_tokens = MIN(cfg->max_bytes_rate, e->byte_tokens + elapsed * cfg->max_bytes_rate);
	if (e->msg_tokens >= 1 && e->byte_tokens >= need_bytes) {
		e->msg_tokens -= 1;
		e->byte_tokens -= need_bytes;
		return 0;
	}
	wait_s = MAX((1 - e->msg_tokens) / cfg->max_rate,
		     (need_bytes - e->byte_tokens) / cfg->max_bytes_rate);
	if (!e->pump_source)
		e->pump_source = g_timeout_add((guint)(wait_s * 1000) + 1, on_pump_timer, e);
	return -EAGAIN;
}

static int send_row(struct edge *e, const struct outbox_row *row)
{
	int rc = take_tokens(e, row->len);

	if (rc == 0)
		rc = mqtt_link_publish(e->link, row->topic, row->payload, row->len, false);
	return rc;
}

static void track_sent(struct edge *e, int64_t seq)
{
	g_hash_table_insert(e->inflight, SEQ_KEY(seq), SEQ_KEY(clock_mono_ms()));
	g_queue_push_tail(&e->sent_order, SEQ_KEY(seq));
}

/* Send from the outbox, lowest class first, while the window has room;
 * then clip chunks, which come after everything in the outbox. */
static void pump(struct edge *e)
{
	while (mqtt_link_connected(e->link) &&
	       (int)g_hash_table_size(e->inflight) < e->cfg->window) {
		struct outbox_row row;
		int rc = -ENOENT;

		for (int cls = 0; cls < OUTBOX_CLASSES && rc == -ENOENT; cls++)
			rc = outbox_next(e->outbox, (enum outbox_class)cls, e->cursor[cls], &row);
		if (rc)
			break;
		if (row.seq <= e->acked) {
			/* acked while we were away: no need to send it */
			e->cursor[row.cls] = row.seq;
			outbox_row_clear(&row);
			continue;
		}
		rc = send_row(e, &row);
		if (rc == 0) {
			e->cursor[row.cls] = row.seq;
			if (!g_hash_table_contains(e->inflight, SEQ_KEY(row.seq)))
				track_sent(e, row.seq);
			e->n.sent++;
		}
		outbox_row_clear(&row);
		if (rc)
			return; /* the cap or the link: chunks wait too */
	}
	if (e->evidence && mqtt_link_connected(e->link))
		evidence_pump(e->evidence);
}

static int send_chunk(void *ctx, const char *topic, const void *data, size_t len)
{
	struct edge *e = ctx;
	int rc = mqtt_link_connected(e->link) ? take_tokens(e, len) : -ENOTCONN;

	return rc ? rc : mqtt_link_publish(e->link, topic, data, len, false);
}

/* Send again what has waited longer than ack_timeout for its ack. */
static gboolean on_resend_timer(gpointer data)
{
	struct edge *e = data;
	int64_t now = clock_mono_ms();
	int budget = e->cfg->window;

	while (mqtt_link_connected(e->link) && !g_queue_is_empty(&e->sent_order)) {
		int64_t seq = KEY_SEQ(g_queue_peek_head(&e->sent_order));
		gpointer sent;
		struct outbox_row row;
		int rc;

		/* acked or evicted meanwhile: dropped here, lazily, and free of the
		 * budget, so the queue never outgrows the window for long */
		if (!g_hash_table_lookup_extended(e->inflight, SEQ_KEY(seq), NULL, &sent)) {
			g_queue_pop_head(&e->sent_order);
			continue;
		}
		if (now - KEY_SEQ(sent) < e->cfg->ack_timeout_ms || budget-- <= 0)
			break;
		if (outbox_get(e->outbox, seq, &row) != 0) {
			g_queue_pop_head(&e->sent_order);
			g_hash_table_remove(e->inflight, SEQ_KEY(seq));
			continue;
		}
		rc = send_row(e, &row);
		outbox_row_clear(&row);
		if (rc)
			break; /* stays at the head; tried again on the next tick */
		g_queue_pop_head(&e->sent_order);
		track_sent(e, seq);
		e->n.resends++;
		log_debug("resent seq %lld after %lld ms without an ack", (long long)seq,
			  (long long)(now - KEY_SEQ(sent)));
	}
	return G_SOURCE_CONTINUE;
}

/* --- acks ------------------------------------------------------------ */

static bool in_ranges(int64_t seq, const cJSON *missing)
{
	const cJSON *pair;

	cJSON_ArrayForEach (pair, missing) {
		if (seq >= cJSON_GetArrayItem(pair, 0)->valuedouble &&
		    seq <= cJSON_GetArrayItem(pair, 1)->valuedouble)
			return true;
	}
	return false;
}

static void handle_ack(struct edge *e, const struct message *m)
{
	const cJSON *missing = cJSON_GetObjectItem(m->root, "missing");
	int64_t acked = m->u.ack.acked, max_seen = m->u.ack.max_seen;
	GHashTableIter it;
	gpointer key;
	int deleted;

	e->n.acks++;
	if (acked > outbox_last_seq(e->outbox)) {
		log_warn("ack for seq %lld beyond the last issued %lld (outbox replaced?); ignored",
			 (long long)acked, (long long)outbox_last_seq(e->outbox));
		return;
	}
	if (acked > e->acked) {
		deleted = outbox_ack(e->outbox, acked);
		if (deleted < 0)
			return; /* rows stay; the next ack retries */
		e->acked = acked;
	}
	/* Above the high-water mark, what the collector saw is archived: stop
	 * timing it. The rows stay until the mark passes them. */
	g_hash_table_iter_init(&it, e->inflight);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		int64_t seq = KEY_SEQ(key);

		if (seq <= e->acked || (seq <= max_seen && !in_ranges(seq, missing)))
			g_hash_table_iter_remove(&it);
	}
	if (e->evidence) {
		evidence_acked(e->evidence, e->acked);
		evidence_ack_clips(e->evidence, m->u.ack.clips_verified, m->u.ack.clips_missing);
	}
	pump(e);
}

/* --- snapshots and motion ------------------------------------------- */

static void commit_events(struct edge *e, const struct sensor *sn, const char *camera,
			  const struct rule_event *evs, int n);
static void on_detection(void *ctx, const struct detection *d);

struct snapshot_request {
	struct edge *e;
	char *camera, *event_id;
};

static void on_snapshot(void *ctx, struct camera *cam, const char *path, int64_t wall_ms,
			const char *why)
{
	struct snapshot_request *r = ctx;

	(void)cam;
	if (!path)
		log_warn("no snapshot of camera '%s'%s%s: %s", r->camera,
			 r->event_id ? " for " : "", r->event_id ? r->event_id : "", why);
	else if (r->e->evidence)
		evidence_add_file(r->e->evidence, r->camera, r->event_id, "snapshot", "image/jpeg",
				  path, wall_ms);
	g_free(r->camera);
	g_free(r->event_id);
	g_free(r);
}

static struct camera_slot *camera_slot_of(struct edge *e, const char *camera)
{
	for (guint i = 0; e->cameras && i < e->cfg->cameras->len; i++) {
		if (e->cameras[i].cam && !strcmp(camera_config(e->cameras[i].cam)->id, camera))
			return &e->cameras[i];
	}
	return NULL;
}

/* A JPEG of camera's live picture, uploaded like a clip. */
static void take_snapshot(void *ctx, const char *camera, const char *event_id)
{
	struct edge *e = ctx;
	struct camera_slot *slot = camera_slot_of(e, camera);
	struct snapshot_request *r;
	char *path;

	if (!slot) {
		log_warn("no snapshot of camera '%s': no such camera is recording", camera);
		return;
	}
	r = g_new0(struct snapshot_request, 1);
	r->e = e;
	r->camera = g_strdup(camera);
	r->event_id = g_strdup(event_id);
	path = g_strdup_printf("%s/snapshot-%s-%lld.jpg", e->cfg->state_dir, camera,
			       (long long)clock_wall_ms());
	if (camera_snapshot(slot->cam, path, on_snapshot, r) != 0) {
		g_free(r->camera);
		g_free(r->event_id);
		g_free(r);
	}
	g_free(path);
}

/* The GStreamer motion detector of a camera: a detection like any other. */
static void on_motion(void *ctx, struct camera *cam, int64_t wall_ms, double score)
{
	struct camera_slot *slot = ctx;
	struct detection d = { .type = "motion",
			       .camera = camera_config(cam)->id,
			       .detector = "bk-motion",
			       .confidence = MIN(1.0, score),
			       .t_ms = wall_ms };

	on_detection(slot->e, &d);
}

/* --- commands -------------------------------------------------------- */

struct recorded_ranges {
	GString *text;
	int64_t from_ms, to_ms; /* the run being merged; to_ms 0: none yet */
	int64_t total_ms;
};

static void append_range(struct recorded_ranges *r)
{
	char a[CLOCK_TS_LEN], b[CLOCK_TS_LEN];

	if (!r->to_ms)
		return;
	clock_format_ms(r->from_ms, a);
	clock_format_ms(r->to_ms, b);
	g_string_append_printf(r->text, "%s%s – %s", r->text->len ? ", " : "", a, b);
	r->total_ms += r->to_ms - r->from_ms;
}

/* Segments closer than a second make one range. */
static void add_recorded(void *ctx, const struct outbox_segment *seg)
{
	struct recorded_ranges *r = ctx;

	if (r->to_ms && seg->start_ms - r->to_ms <= 1000) {
		r->to_ms = MAX(r->to_ms, seg->end_ms);
		return;
	}
	append_range(r);
	r->from_ms = seg->start_ms;
	r->to_ms = seg->end_ms;
}

/* upload_range: say which parts of the range the box has (an
 * evidence_request event, id cmd:<cmd_id>), and upload them as a clip. */
static void cmd_upload_range(struct edge *e, const struct message *m)
{
	const char *camera = m->u.cmd.camera;
	struct recorded_ranges r = { .text = g_string_new(NULL) };
	struct sensor as_source = { .id = (char *)camera };
	struct rule_event re = { .phase = RULE_CLOSE,
				 .type = "evidence_request",
				 .severity = "info",
				 .start_ms = m->u.cmd.from_ms,
				 .end_ms = m->u.cmd.to_ms };
	char clip_id[128] = "";
	int rc;

	snprintf(re.event_id, sizeof re.event_id, "cmd:%s", m->u.cmd.cmd_id);
	outbox_segments_between(e->outbox, camera, m->u.cmd.from_ms, m->u.cmd.to_ms, add_recorded,
				&r);
	append_range(&r);
	rc = e->evidence ? evidence_want_range(e->evidence, camera, re.event_id, m->u.cmd.from_ms,
					       m->u.cmd.to_ms, clip_id)
			 : -ENOTSUP;
	if (rc == -ENOENT)
		snprintf(re.message, sizeof re.message, "no camera '%s' on this box", camera);
	else if (rc)
		snprintf(re.message, sizeof re.message, "cannot upload: %s",
			 rc == -ENOTSUP ? "this box cannot sign clips" : g_strerror(-rc));
	else if (r.total_ms == 0)
		g_snprintf(re.message, sizeof re.message,
			   "clip %s: nothing recorded yet in that range; it follows if it is",
			   clip_id);
	else /* a long list of ranges is cut, the clip id first is not */
		g_snprintf(re.message, sizeof re.message, "clip %s: recorded %lld s: %s", clip_id,
			   (long long)(r.total_ms / 1000), r.text->str);
	g_string_free(r.text, TRUE);
	commit_events(e, &as_source, NULL, &re, 1);
}

/* --- live view (live_sessions.h) ------------------------------------- */

static int live_send_chunk(void *ctx, const char *camera, const uint8_t *data, size_t len)
{
	struct edge *e = ctx;
	char topic[TOPIC_MAX];

	topic_format_live(topic, e->cfg->id, camera);
	return mqtt_link_publish(e->link, topic, data, len, false);
}

/* An answer goes straight out (schemas/live.json), never through the
 * outbox: stale once the connection is lost. Its seq, like a status's, is
 * the last one issued. */
static void live_send_state(void *ctx, const struct live_info *li)
{
	struct edge *e = ctx;
	char topic[TOPIC_MAX], *text;
	struct envelope env;
	cJSON *msg;

	envelope_stamp(&env, e->cfg->id, outbox_last_seq(e->outbox));
	msg = message_live(&env, li);
	text = cJSON_PrintUnformatted(msg);
	cJSON_Delete(msg);
	topic_for(e, MSG_LIVE, topic);
	mqtt_link_publish(e->link, topic, text, strlen(text), false);
	cJSON_free(text);
}

static const char *live_camera_unavailable(void *ctx, const struct camera_config *cc, char *buf,
					   size_t n)
{
	struct edge *e = ctx;

	for (guint i = 0; i < e->cfg->cameras->len; i++) {
		const char *state;

		if (g_ptr_array_index(e->cfg->cameras, i) != cc)
			continue;
		if (!e->cameras[i].cam) {
			snprintf(buf, n, "not set up on this box (see its log)");
			return buf;
		}
		state = camera_state_name(e->cameras[i].cam);
		if (strcmp(state, "disabled") == 0) {
			snprintf(buf, n, "outside its recording hours (its schedule)");
			return buf;
		}
		if (strcmp(state, "recording") != 0) {
			snprintf(buf, n, "offline: the box cannot reach it");
			return buf;
		}
		return NULL;
	}
	return NULL;
}

static void live_refuse_no_cameras(struct edge *e, const char *camera)
{
	struct live_info li = { .camera = camera,
				.state = LIVE_REFUSED,
				.why = "this box has no cameras",
				.max_streams = e->cfg->live.max_streams };

	live_send_state(e, &li);
}

#define CMD_REMEMBERED 256

static void on_cmd(struct edge *e, const struct message *m)
{
	/* A command sent on every broker may reach the box twice (a copy queued
	 * on a broker it left): each cmd_id is carried out once, while remembered. */
	if (!recent_ids_add(e->cmd_seen, m->u.cmd.cmd_id)) {
		log_info("command %s: carried out already (a copy through another broker)",
			 m->u.cmd.cmd_id);
		return;
	}
	log_info("command %s: %s%s%s", m->u.cmd.cmd_id, message_cmd_actions[m->u.cmd.action],
		 m->u.cmd.camera ? " " : "", m->u.cmd.camera ? m->u.cmd.camera : "");
	switch (m->u.cmd.action) {
	case CMD_PING:
		publish_status(e, true); /* the answer: the box's state, now */
		break;
	case CMD_UPLOAD_RANGE:
		cmd_upload_range(e, m);
		break;
	case CMD_RESEND:
		/* everything unacknowledged goes again, as after a reconnect */
		memset(e->cursor, 0, sizeof e->cursor);
		g_hash_table_remove_all(e->inflight);
		g_queue_clear(&e->sent_order);
		pump(e);
		break;
	case CMD_SNAPSHOT:
		take_snapshot(e, m->u.cmd.camera, NULL);
		break;
	case CMD_CONFIG:
		log_warn("command %s: remote configuration is not supported by this box",
			 m->u.cmd.cmd_id);
		break;
	case CMD_LIVE:
		if (e->live)
			live_sessions_want(e->live, m->env.id, m->u.cmd.camera, m->u.cmd.lease_s);
		else
			live_refuse_no_cameras(e, m->u.cmd.camera);
		break;
	case CMD_LIVE_STOP:
		if (e->live)
			live_sessions_unwant(e->live, m->env.id, m->u.cmd.camera);
		break;
	}
}

static void on_message(struct edge *e, const struct mqtt_event *ev)
{
	struct topic t;
	struct message m;
	struct jcheck jc = { 0 };
	char err[128];
	cJSON *root;

	if (!topic_parse(ev->topic, &t, err, sizeof err) || strcmp(t.owner, e->cfg->id) != 0) {
		log_warn("ignored a message on '%.128s': not for this box", ev->topic);
		return;
	}
	root = message_parse(ev->payload, ev->len, err, sizeof err);
	if (!root) {
		log_warn("ignored a message on '%.128s': %s", ev->topic, err);
		return;
	}
	if (!message_validate(&t, root, &m, &jc))
		log_warn("ignored a message on '%.128s': %s", ev->topic, jc.error);
	else if (t.kind == MSG_ACK)
		handle_ack(e, &m);
	else if (t.kind == MSG_CMD)
		on_cmd(e, &m);
	cJSON_Delete(root);
}

static void on_mqtt_event(void *ctx, const struct mqtt_event *ev)
{
	struct edge *e = ctx;

	switch (ev->kind) {
	case MQTT_EVENT_CONNECTED:
		/* A new connection: everything unacknowledged goes again, alerts first. */
		memset(e->cursor, 0, sizeof e->cursor);
		g_hash_table_remove_all(e->inflight);
		g_queue_clear(&e->sent_order);
		publish_status(e, true);
		if (e->evidence)
			evidence_connected(e->evidence);
		pump(e);
		break;
	case MQTT_EVENT_DISCONNECTED:
		refresh_will(e);
		break;
	case MQTT_EVENT_MESSAGE:
		on_message(e, ev);
		break;
	}
}

/* --- accepting messages and the disk budget -------------------------- */

static int put_message(struct edge *e, enum msg_kind kind, enum outbox_class cls, cJSON *msg)
{
	char topic[TOPIC_MAX];
	char *text = cJSON_PrintUnformatted(msg);
	int rc;

	topic_for(e, kind, topic);
	rc = outbox_put(e->outbox, (int64_t)cJSON_GetObjectItem(msg, "seq")->valuedouble, cls,
			topic, text, strlen(text));
	cJSON_free(text);
	if (rc == 0)
		e->n.accepted++;
	return rc;
}

static gboolean on_pump_timer(gpointer data);

/* A clip's manifest, committed by evidence.c in its own transaction: sent
 * by the next pump. */
static int put_manifest(void *ctx, cJSON *msg, enum outbox_class cls)
{
	struct edge *e = ctx;
	int rc = put_message(e, MSG_CLIP, cls, msg);

	if (rc == 0 && !e->pump_source)
		e->pump_source = g_idle_add(on_pump_timer, e);
	return rc;
}

/* Report evicted seqs as one data_dropped event (an alert: never evicted). */
static void report_dropped(struct edge *e, const struct seq_range *r, size_t n, int rows)
{
	int64_t now = clock_wall_ms();
	char event_id[64], text[160];
	struct envelope env;
	struct event_info ev = {
		.event_id = event_id,
		.phase = "close",
		.type = "data_dropped",
		.severity = "warning",
		.start_ms = now,
		.end_ms = now,
		.dropped = r,
		.n_dropped = n,
		.message = text,
	};
	cJSON *msg;

	snprintf(event_id, sizeof event_id, "dropped:%lld:%llu", (long long)now,
		 (unsigned long long)++e->dropped_events);
	snprintf(text, sizeof text,
		 "disk budget reached: %d unsent readings evicted, seq %lld to %lld", rows,
		 (long long)r[0].first, (long long)r[n - 1].last);
	envelope_stamp(&env, e->cfg->id, outbox_last_seq(e->outbox) + 1);
	msg = message_event(&env, &ev);
	if (put_message(e, MSG_EVENT, OUTBOX_ALERT, msg) != 0)
		log_error("cannot record that seq %lld to %lld were dropped", (long long)r[0].first,
			  (long long)r[n - 1].last);
	cJSON_Delete(msg);
	log_warn("%s", text);
}

/* Segments owed to central storage that the disk budget took: reported
 * once per enforce_budget as a data_dropped event naming the time. */
struct owed_dropped {
	char camera[64]; /* the first one's */
	bool several;	 /* of more than one camera */
	int64_t from_ms, to_ms;
	int n;
};

/* Segments owed to central storage deleted by the disk budget: a
 * data_dropped event (no seqs: the time it names is lost to the centre). */
static void report_owed_dropped(struct edge *e, const struct owed_dropped *od)
{
	char event_id[64], text[256];
	struct envelope env;
	struct event_info ev = {
		.event_id = event_id,
		.phase = "close",
		.type = "data_dropped",
		.severity = "warning",
		.start_ms = od->from_ms,
		.end_ms = od->to_ms,
		.source = od->camera,
		.message = text,
	};
	cJSON *msg;

	snprintf(event_id, sizeof event_id, "dropped:%lld:%llu", (long long)clock_wall_ms(),
		 (unsigned long long)++e->dropped_events);
	snprintf(text, sizeof text,
		 "disk budget reached: %d video segments of camera %s%s deleted before their "
		 "upload to central storage",
		 od->n, od->camera, od->several ? " and others" : "");
	envelope_stamp(&env, e->cfg->id, outbox_last_seq(e->outbox) + 1);
	msg = message_event(&env, &ev);
	if (put_message(e, MSG_EVENT, OUTBOX_ALERT, msg) != 0)
		log_error("cannot record that %d segments owed to central storage were dropped",
			  od->n);
	cJSON_Delete(msg);
	log_warn("%s", text);
}

/* What the budget covers: the outbox, the recorded segments and the clip
 * files waiting for verification. */
static int64_t disk_used(struct edge *e)
{
	return outbox_used_bytes(e->outbox) + outbox_segment_bytes(e->outbox) +
	       (e->evidence ? evidence_bytes(e->evidence) : 0);
}

struct doomed_segment {
	int64_t id;
	char *path;
	bool central; /* owed to the centre: the last resort */
	char *camera;
	int64_t start_ms, end_ms;
};

static void collect_doomed(void *ctx, const struct outbox_segment *seg)
{
	struct doomed_segment d = { seg->id,	   g_strdup(seg->path),
				    seg->central,  g_strdup(seg->camera),
				    seg->start_ms, seg->end_ms };

	g_array_append_val(ctx, d);
}

/* Delete up to max of the oldest segments not pinned by a clip; how many. */
static int evict_segments(struct edge *e, int max, struct owed_dropped *od)
{
	GArray *doomed = g_array_new(FALSE, FALSE, sizeof(struct doomed_segment));
	int n = 0;

	outbox_segments_oldest_unpinned(e->outbox, max, collect_doomed, doomed);
	for (guint i = 0; i < doomed->len; i++) {
		struct doomed_segment *d = &g_array_index(doomed, struct doomed_segment, i);

		if (outbox_segment_delete(e->outbox, d->id) == 0) {
			if (d->central && od->n++ == 0) {
				g_strlcpy(od->camera, d->camera, sizeof od->camera);
				od->from_ms = d->start_ms;
			}
			if (d->central) {
				od->several |= strcmp(od->camera, d->camera) != 0;
				od->to_ms = MAX(od->to_ms, d->end_ms);
			}
			if (g_unlink(d->path) != 0 && errno != ENOENT)
				log_warn("cannot delete segment '%s': %s", d->path,
					 g_strerror(errno));
			n++;
		}
		g_free(d->path);
		g_free(d->camera);
	}
	g_array_free(doomed, TRUE);
	e->n.segments_evicted += (uint64_t)n;
	return n;
}

/* Keep the box within the disk budget: the oldest video segments not held
 * by a clip go first, then the oldest readings; alerts and clips waiting
 * for verification are never evicted. Every eviction is counted, and
 * evicted readings are reported. */
static void enforce_budget(struct edge *e)
{
	struct seq_range ranges[MESSAGE_MAX_RANGES];
	uint64_t segments_before = e->n.segments_evicted;
	struct owed_dropped od = { .n = 0 };
	size_t n;
	int rows;

	while (disk_used(e) > e->cfg->disk_budget) {
		/* one at a time: a segment is large, the check is cheap */
		if (evict_segments(e, 1, &od) > 0)
			continue;
		rows = outbox_evict_oldest(e->outbox, OUTBOX_READING, 256, ranges,
					   G_N_ELEMENTS(ranges), &n);
		if (rows <= 0) {
			if (!e->over_budget_logged)
				log_error("the box uses %lld bytes, over the disk budget of %lld, "
					  "and holds only alerts and clips; keeping them",
					  (long long)disk_used(e), (long long)e->cfg->disk_budget);
			e->over_budget_logged = true;
			break;
		}
		e->over_budget_logged = false;
		e->n.evictions += (uint64_t)rows;
		for (size_t i = 0; i < n; i++) {
			for (int64_t seq = ranges[i].first; seq <= ranges[i].last; seq++)
				g_hash_table_remove(e->inflight, SEQ_KEY(seq));
		}
		report_dropped(e, ranges, n, rows);
	}
	if (od.n > 0)
		report_owed_dropped(e, &od);
	if (e->n.segments_evicted > segments_before)
		log_info("disk budget: deleted the %llu oldest video segments (%llu so far)",
			 (unsigned long long)(e->n.segments_evicted - segments_before),
			 (unsigned long long)e->n.segments_evicted);
}

/* Commit msg (built with seq = last + 1) to the outbox and start sending it. */
static int accept(struct edge *e, enum msg_kind kind, enum outbox_class cls, cJSON *msg)
{
	int rc = put_message(e, kind, cls, msg);

	if (rc == 0) {
		enforce_budget(e);
		pump(e);
	}
	return rc;
}

/* --- readings -------------------------------------------------------- */

static void commit_readings(struct edge *e)
{
	struct reading_sample rs[MESSAGE_MAX_READINGS];
	size_t n = MIN(e->samples->len, MESSAGE_MAX_READINGS);
	struct envelope env;
	int64_t seq = outbox_last_seq(e->outbox) + 1;
	cJSON *msg;

	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct sample *s = &g_array_index(e->samples, struct sample, i);
		const struct sensor *sn = g_ptr_array_index(e->cfg->sensors, s->sensor);

		rs[i] = (struct reading_sample){ sn->id, sn->kind, s->t_ms, s->value, sn->unit };
	}
	envelope_stamp(&env, e->cfg->id, seq);
	msg = message_reading(&env, rs, n);
	if (accept(e, MSG_READING, OUTBOX_READING, msg) == 0)
		g_array_remove_range(e->samples, 0, (guint)n);
	/* on failure the samples stay and are retried with the next batch */
	cJSON_Delete(msg);
}

static gboolean on_batch_timer(gpointer data)
{
	commit_readings(data);
	return G_SOURCE_CONTINUE;
}

/* Each closed hour's recorded minutes per camera, as readings: what the
 * centre computes effective coverage from (edge/coverage.h). */
static void report_coverage(struct edge *e)
{
	struct reading_sample rs[MESSAGE_MAX_READINGS];
	int64_t last[64] = { 0 };
	guint ncam = MIN(e->cfg->cameras->len, G_N_ELEMENTS(last));
	size_t n = 0;
	struct envelope env;
	cJSON *msg;
	int rc;

	for (guint i = 0; i < ncam; i++) {
		const struct camera_config *cc = g_ptr_array_index(e->cfg->cameras, i);
		int got = coverage_collect(e->outbox, cc->id, cc->segment_ms, COVERAGE_HOUR_MS,
					   clock_wall_ms(), rs + n, G_N_ELEMENTS(rs) - n, &last[i]);

		n += (size_t)MAX(got, 0);
	}
	if (n == 0)
		return;
	envelope_stamp(&env, e->cfg->id, outbox_last_seq(e->outbox) + 1);
	msg = message_reading(&env, rs, n);
	rc = outbox_begin(e->outbox);
	if (!rc)
		rc = put_message(e, MSG_READING, OUTBOX_READING, msg);
	for (guint i = 0; i < ncam && !rc; i++) {
		const struct camera_config *cc = g_ptr_array_index(e->cfg->cameras, i);

		if (last[i])
			rc = outbox_coverage_set(e->outbox, cc->id, last[i]);
	}
	if (!rc)
		rc = outbox_commit(e->outbox);
	else
		outbox_rollback(e->outbox);
	cJSON_Delete(msg);
	if (rc)
		log_error("cannot commit the recorded minutes of %zu camera hours", n);
	else
		pump(e);
}

static gboolean on_coverage_timer(gpointer data)
{
	report_coverage(data);
	return G_SOURCE_CONTINUE;
}

/* --- events ---------------------------------------------------------- */

static const char *const phase_names[] = {
	[RULE_OPEN] = "open", [RULE_UPDATE] = "update", [RULE_CLOSE] = "close"
};

/* Commit what the rule engine said about sensor sn as event messages.
 * camera, if not NULL, is the only camera whose clip the events want (a
 * detection); otherwise the cameras of sn's zone. */
static void commit_events(struct edge *e, const struct sensor *sn, const char *camera,
			  const struct rule_event *evs, int n)
{
	for (int i = 0; i < n; i++) {
		const struct rule_event *re = &evs[i];
		struct event_info ev = {
			.event_id = re->event_id,
			.phase = phase_names[re->phase],
			.type = re->type,
			.severity = re->severity,
			.start_ms = re->start_ms,
			.end_ms = re->end_ms,
			.source = sn->id,
			.zone = sn->zone,
			.has_peak = re->has_peak,
			.peak = re->peak,
			.unit = re->has_peak ? sn->unit : NULL,
			.message = re->message[0] ? re->message : NULL,
		};
		struct envelope env;
		cJSON *msg;

		int rc;

		envelope_stamp(&env, e->cfg->id, outbox_last_seq(e->outbox) + 1);
		msg = message_event(&env, &ev);
		/* the message and the box's memory of open events change together:
		 * a crash cannot leave an event sent but forgotten, or remembered
		 * but never sent */
		rc = outbox_begin(e->outbox);
		if (!rc) {
			rc = put_message(e, MSG_EVENT, OUTBOX_ALERT, msg);
			if (!rc)
				rc = re->phase == RULE_CLOSE
					 ? outbox_event_clear(e->outbox, re->event_id)
					 : outbox_event_set(e->outbox, re->event_id, sn->id,
							    re->type, re->start_ms, re->peak);
			if (!rc)
				rc = outbox_commit(e->outbox); /* rolls back itself on failure */
			else
				outbox_rollback(e->outbox);
		}
		if (rc) {
			log_error("cannot commit event '%s' (%s %s) to the outbox", re->event_id,
				  re->type, ev.phase);
		} else {
			log_info("event %s %s: %s%s%s", ev.phase, re->event_id, re->type,
				 ev.message ? ": " : "", ev.message ? ev.message : "");
			if (e->evidence && re->phase != RULE_UPDATE)
				evidence_event(e->evidence, re->event_id, re->type, sn->zone,
					       camera, re->phase == RULE_CLOSE, re->start_ms,
					       re->end_ms);
			enforce_budget(e);
			pump(e);
		}
		cJSON_Delete(msg);
	}
}

struct open_event {
	char *event_id, *sensor, *type;
	int64_t start_ms;
	double peak;
};

static void collect_open_event(void *ctx, const char *event_id, const char *sensor,
			       const char *type, int64_t start_ms, double peak)
{
	struct open_event *oe = g_new0(struct open_event, 1);

	oe->event_id = g_strdup(event_id);
	oe->sensor = g_strdup(sensor);
	oe->type = g_strdup(type);
	oe->start_ms = start_ms;
	oe->peak = peak;
	g_ptr_array_add(ctx, oe);
}

static void open_event_free(gpointer data)
{
	struct open_event *oe = data;

	g_free(oe->event_id);
	g_free(oe->sensor);
	g_free(oe->type);
	g_free(oe);
}

/* Events the previous run left open: resume each in its sensor's rules, or
 * close it now if no sensor of ours opens that kind of event any more. */
static void resume_open_events(struct edge *e)
{
	GPtrArray *list = g_ptr_array_new_with_free_func(open_event_free);

	outbox_events(e->outbox, collect_open_event, list);
	for (guint k = 0; k < list->len; k++) {
		const struct open_event *oe = g_ptr_array_index(list, k);
		int64_t now = clock_wall_ms();

		if (!strcmp(oe->sensor, CERT_WATCH_SOURCE)) { /* check_certificate's */
			g_free(e->cert_event_id);
			e->cert_event_id = g_strdup(oe->event_id);
			e->cert_event_start_ms = oe->start_ms;
			continue;
		}
		struct rule_event re = { .phase = RULE_CLOSE,
					 .type = oe->type,
					 .severity = "warning",
					 .start_ms = oe->start_ms,
					 .end_ms = MAX(now, oe->start_ms) };
		struct sensor orphan = { .id = oe->sensor };
		bool resumed = false;

		for (guint i = 0; i < e->cfg->sensors->len && !resumed; i++) {
			const struct sensor *sn = g_ptr_array_index(e->cfg->sensors, i);

			resumed = strcmp(sn->id, oe->sensor) == 0 &&
				  rules_restore(&e->rules[i], oe->event_id, oe->type, oe->start_ms,
						oe->peak, clock_mono_ms(), now);
		}
		if (resumed) {
			log_info("resumed event %s, open since before the restart", oe->event_id);
			continue;
		}
		snprintf(re.event_id, sizeof re.event_id, "%s", oe->event_id);
		snprintf(re.message, sizeof re.message,
			 "closed when the box restarted: no rule of '%s' resumes %s", oe->sensor,
			 oe->type);
		commit_events(e, &orphan, NULL, &re, 1);
	}
	g_ptr_array_free(list, TRUE);
}

/* Our certificate's cert_expiring event: opened within cert_warn_days of
 * its end, closed when a renewed certificate is in use (cert_watch.c). */
static void check_certificate(struct edge *e)
{
	static const struct sensor source = { .id = CERT_WATCH_SOURCE };
	struct rule_event steps[2];
	int n;

	if (!e->cert.serial[0])
		return;
	n = cert_watch_check(&e->cert, clock_wall_ms(), e->cfg->cert_warn_days, e->cert_event_id,
			     e->cert_event_start_ms, steps);
	if (n == 0)
		return;
	commit_events(e, &source, NULL, steps, n);
	g_free(e->cert_event_id);
	e->cert_event_id = NULL;
	if (steps[n - 1].phase == RULE_OPEN) {
		e->cert_event_id = g_strdup(steps[n - 1].event_id);
		e->cert_event_start_ms = steps[n - 1].start_ms;
	}
}

static gboolean on_cert_timer(gpointer data)
{
	check_certificate(data);
	return G_SOURCE_CONTINUE;
}

/* A camera went offline or came back: a camera_offline event opens when it
 * goes, and closes when it records again. */
static void on_camera_state(void *ctx, struct camera *cam, bool online, int64_t wall_ms,
			    const char *why)
{
	struct camera_slot *slot = ctx;
	const struct camera_config *cc = camera_config(cam);
	/* commit_events speaks of sensors; a camera is the event's source the same way */
	struct sensor as_source = { .id = cc->id, .zone = cc->zone };
	struct rule_event re = { .type = "camera_offline", .severity = "warning" };

	if (!online && !slot->event_id[0]) {
		slot->offline_ms = wall_ms;
		snprintf(slot->event_id, sizeof slot->event_id, "camera_offline:%s:%lld", cc->id,
			 (long long)wall_ms);
		re.phase = RULE_OPEN;
		re.start_ms = wall_ms;
		snprintf(re.message, sizeof re.message, "camera '%s': %s", cc->id, why);
	} else if (online && slot->event_id[0]) {
		re.phase = RULE_CLOSE;
		re.start_ms = slot->offline_ms;
		re.end_ms = MAX(wall_ms, slot->offline_ms);
		snprintf(re.message, sizeof re.message, "camera '%s' recording again", cc->id);
	} else {
		return;
	}
	snprintf(re.event_id, sizeof re.event_id, "%s", slot->event_id);
	commit_events(slot->e, &as_source, cc->id, &re, 1);
	if (online)
		slot->event_id[0] = '\0';
}

/* Detections handed over by a camera's AI or a detector (edge/detections.c):
 * each is an event of its own, closed at once, with a clip of its camera. */
static void on_detection(void *ctx, const struct detection *d)
{
	struct edge *e = ctx;
	const struct camera_config *cc = NULL;
	bool critical = !strcmp(d->type, "rodent") || !strcmp(d->type, "unattended_flame");
	struct rule_event re = { .phase = RULE_CLOSE,
				 .type = d->type,
				 .severity = critical			  ? "critical"
					     : !strcmp(d->type, "motion") ? "info"
									  : "warning",
				 .start_ms = d->t_ms,
				 .end_ms = d->t_ms };
	struct sensor as_source = { .id = (char *)d->camera };

	for (guint i = 0; i < e->cfg->cameras->len && !cc; i++) {
		cc = g_ptr_array_index(e->cfg->cameras, i);
		if (strcmp(cc->id, d->camera) != 0)
			cc = NULL;
	}
	as_source.zone = cc ? cc->zone : NULL;
	snprintf(re.event_id, sizeof re.event_id, "%s:%s:%lld:%llu", d->type, d->camera,
		 (long long)d->t_ms, (unsigned long long)++e->detections_seen);
	snprintf(re.message, sizeof re.message, "%s on camera '%s', confidence %.2f%s%s%s%s",
		 d->type, d->camera, d->confidence, d->detector ? ", by " : "",
		 d->detector ? d->detector : "", d->ref ? ", ref " : "", d->ref ? d->ref : "");
	commit_events(e, &as_source, d->camera, &re, 1);
}

static gboolean on_sensor_timer(gpointer data)
{
	struct sensor_timer *st = data;
	struct edge *e = st->e;
	struct sensor *sn = g_ptr_array_index(e->cfg->sensors, st->index);
	struct rules *rules = &e->rules[st->index];
	struct rule_event evs[RULES_MAX_EVENTS];
	int64_t mono = clock_mono_ms();
	struct sample s = { .sensor = st->index, .t_ms = clock_wall_ms() };
	int rc = sensor_read(sn, &s.value);

	if (rc < 0) {
		e->n.read_errors++;
		commit_events(e, sn, NULL, evs, rules_feed_error(rules, mono, s.t_ms, rc, evs));
	}
	if (rc != 0)
		return G_SOURCE_CONTINUE;
	commit_events(e, sn, NULL, evs, rules_feed(rules, mono, s.t_ms, s.value, evs));
	g_array_append_val(e->samples, s);
	if (e->cfg->reading_batch_ms == 0 || e->samples->len >= MESSAGE_MAX_READINGS)
		commit_readings(e);
	return G_SOURCE_CONTINUE;
}

/* --- life cycle ------------------------------------------------------ */

struct edge *edge_new(const struct edge_config *cfg)
{
	struct edge *e = g_new0(struct edge, 1);
	char ack_topic[TOPIC_MAX], cmd_topic[TOPIC_MAX];
	const char *subs[] = { ack_topic, cmd_topic, NULL };
	struct mqtt_link_options opt = {
		.settings = &cfg->mqtt,
		.client_id = cfg->id,
		.clean_session = false, /* commands sent while we are away wait for us */
		.subscriptions = subs,
		.on_event = on_mqtt_event,
		.ctx = e,
	};

	e->cfg = cfg;
	e->samples = g_array_new(FALSE, FALSE, sizeof(struct sample));
	e->sensor_timers = g_array_new(FALSE, TRUE, sizeof(guint));
	e->inflight = g_hash_table_new(g_direct_hash, g_direct_equal);
	e->cmd_seen = recent_ids_new(CMD_REMEMBERED);
	g_queue_init(&e->sent_order);
	if (g_mkdir_with_parents(cfg->state_dir, 0700) != 0) {
		log_error("cannot create the state directory '%s': %s", cfg->state_dir,
			  g_strerror(errno));
		goto out_free;
	}
	e->outbox = outbox_open(cfg->outbox_path, cfg->outbox_sync_full);
	if (!e->outbox)
		goto out_free;
	topic_for(e, MSG_ACK, ack_topic);
	topic_for(e, MSG_CMD, cmd_topic);
	e->link = mqtt_link_new(&opt);
	if (!e->link)
		goto out_free;
	return e;

out_free:
	edge_free(e);
	return NULL;
}

int edge_start(struct edge *e)
{
	const struct edge_config *cfg = e->cfg;
	guint tick = (guint)MIN(1000, cfg->ack_timeout_ms / 4);
	char err[256];

	e->started_ms = clock_wall_ms();
	e->timer_ctx = g_new0(struct sensor_timer, cfg->sensors->len);
	e->rules = g_new0(struct rules, cfg->sensors->len);
	for (guint i = 0; i < cfg->sensors->len; i++) {
		const struct sensor *s = g_ptr_array_index(cfg->sensors, i);
		guint id;

		rules_init(&e->rules[i], &s->rules, s->id);
		e->timer_ctx[i] = (struct sensor_timer){ e, i };
		id = g_timeout_add((guint)s->period_ms, on_sensor_timer, &e->timer_ctx[i]);
		g_array_append_val(e->sensor_timers, id);
	}
	if (cfg->cameras->len) {
		struct evidence_ops ops = { put_manifest, send_chunk, take_snapshot, e };

		e->evidence = evidence_new(cfg, e->outbox, &ops);
	}
	resume_open_events(e);
	if (!signing_cert_info(cfg->mqtt.cert, &e->cert, err, sizeof err))
		log_warn("%s: its expiry is not reported", err);
	check_certificate(e);
	e->cert_source = g_timeout_add_seconds(3600, on_cert_timer, e);
	e->cameras = g_new0(struct camera_slot, cfg->cameras->len);
	for (guint i = 0; i < cfg->cameras->len; i++) {
		e->cameras[i].e = e;
		/* a camera that cannot be set up is reported offline, the box runs on */
		e->cameras[i].cam = camera_new(g_ptr_array_index(cfg->cameras, i), cfg->state_dir,
					       e->outbox, on_camera_state, &e->cameras[i]);
		if (e->cameras[i].cam)
			camera_on_motion(e->cameras[i].cam, on_motion, &e->cameras[i]);
	}
	if (cfg->cameras->len) {
		static const struct live_sessions_ops live_ops = {
			live_send_chunk, live_send_state, live_camera_unavailable
		};

		e->live = live_sessions_new(cfg, &live_ops, e);
	}
	if (cfg->cameras->len) {
		const char **ids = g_new0(const char *, cfg->cameras->len + 1);

		for (guint i = 0; i < cfg->cameras->len; i++)
			ids[i] =
			    ((const struct camera_config *)g_ptr_array_index(cfg->cameras, i))->id;
		/* without it the box runs on: detections are an addition */
		e->detections = detections_new(&cfg->detections, ids, on_detection, e);
		g_free(ids);
	}
	if (cfg->reading_batch_ms > 0)
		e->batch_source = g_timeout_add((guint)cfg->reading_batch_ms, on_batch_timer, e);
	e->msg_tokens = cfg->max_rate;
	e->byte_tokens = cfg->max_bytes_rate;
	e->tokens_ms = clock_mono_ms();
	e->status_source = g_timeout_add((guint)cfg->status_period_ms, on_status_timer, e);
	e->resend_source = g_timeout_add(tick, on_resend_timer, e);
	e->budget_source = g_timeout_add(2000, on_budget_timer, e);
	if (cfg->cameras->len)
		e->coverage_source = g_timeout_add_seconds(60, on_coverage_timer, e);
	log_info("box '%s' starting: %u sensors, %u cameras, outbox '%s' at seq %lld with %lld "
		 "waiting",
		 cfg->id, cfg->sensors->len, cfg->cameras->len, cfg->outbox_path,
		 (long long)outbox_last_seq(e->outbox), (long long)outbox_depth(e->outbox));
	refresh_will(e);
	return mqtt_link_start(e->link);
}

void edge_free(struct edge *e)
{
	if (!e)
		return;
	for (guint i = 0; i < e->sensor_timers->len; i++)
		g_source_remove(g_array_index(e->sensor_timers, guint, i));
	if (e->batch_source)
		g_source_remove(e->batch_source);
	if (e->status_source)
		g_source_remove(e->status_source);
	if (e->resend_source)
		g_source_remove(e->resend_source);
	if (e->pump_source)
		g_source_remove(e->pump_source);
	if (e->budget_source)
		g_source_remove(e->budget_source);
	if (e->coverage_source)
		g_source_remove(e->coverage_source);
	if (e->cert_source)
		g_source_remove(e->cert_source);
	g_free(e->cert_event_id);
	live_sessions_free(e->live); /* its requesters hear that it ends */
	e->live = NULL;
	for (guint i = 0; e->cameras && i < e->cfg->cameras->len; i++)
		camera_free(e->cameras[i].cam); /* indexes the segments being written */
	g_free(e->cameras);
	detections_free(e->detections);
	e->detections = NULL;
	evidence_free(e->evidence); /* commit_readings below must not see it */
	e->evidence = NULL;
	if (e->outbox)
		commit_readings(e);
	if (e->link && mqtt_link_connected(e->link))
		publish_status(e, false); /* a clean goodbye: the will is not sent */
	mqtt_link_free(e->link, 2000);
	outbox_close(e->outbox);
	g_array_free(e->samples, TRUE);
	g_array_free(e->sensor_timers, TRUE);
	g_free(e->timer_ctx);
	g_free(e->rules);
	g_hash_table_destroy(e->inflight);
	recent_ids_free(e->cmd_seen);
	g_queue_clear(&e->sent_order);
	g_free(e);
}

const struct edge_counters *edge_counters(const struct edge *e)
{
	return &e->n;
}
