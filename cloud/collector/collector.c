/*
 * collector.c — see collector.h.
 *
 * Brokers: every broker of [mqtt] uri is a full peer (README, "Delivery"),
 * so the collector holds one link to each, with the same subscriptions, and
 * every message goes into the one batch whatever link brought it. A box or
 * handheld is on one broker at a time: the collector remembers, per sender,
 * the broker it was last heard on live, and its acks go there. Alerts and
 * tasks go out on every broker, since a subscriber may be on any of them.
 */
#include "collector.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "archive.h"
#include "clip_intake.h"
#include "clock.h"
#include "http_api.h"
#include "jcheck.h"
#include "live_view.h"
#include "log.h"
#include "message.h"
#include "mqtt_link.h"
#include "progress.h"
#include "recent_ids.h"
#include "topic.h"

#define REJECT_HEAD_BYTES     256
#define REJECT_LOG_PER_PERIOD 20
#define MOVE_LOG_PER_PERIOD   20

struct collector;

/* One broker and the link to it. */
struct broker {
	struct collector *col;
	struct mqtt_link *link;
	const char *uri; /* in cfg->mqtt */
	bool up;	 /* connected, as last told */
	uint64_t received;
};

struct pending {
	char *topic;
	char *sender;  /* from the topic, when it parsed: the broker's ACL vouches for it */
	char *payload; /* NUL-terminated copy */
	size_t len;
	cJSON *root; /* NULL for a reject */
	struct message msg;
	char *reject_reason;
	bool retained; /* a status from a broker's retained store, not live */
};

struct collector {
	const struct collector_config *cfg;
	struct archive *archive;
	struct clip_intake *clips;
	struct broker *brokers; /* one per [mqtt] uri; index i is bit i of a task's mask */
	unsigned n_brokers;
	GHashTable *sender_broker; /* box or handheld id → struct broker* last heard on */
	GHashTable *status_ms;	   /* box id → gint64*: ts of the last status applied */
	GHashTable *task_mask;	   /* "task\x1finspector\x1fstate" → brokers it went to */
	struct http_api *http;	   /* NULL without [http] listen */
	struct live_view *live;	   /* viewers of the HTTP API, boxes' live video */
	struct recent_ids *alerts_shown; /* alert ids other collectors published, shown on the page */
	GPtrArray *batch;	   /* of struct pending* */
	GHashTable *progress;	   /* box id → struct progress* */
	GPtrArray *new_alerts;	   /* of struct new_alert*: opened in the batch being written */
	guint flush_source;
	guint stats_source;
	guint task_source;
	guint gap_source;
	guint storage_source;	 /* central storage's retention */
	int64_t own_seq;	 /* the envelope seq of our own messages */
	char own_seq_key[96];	 /* its meta key, "own_seq:<id>": collectors may share an archive */
	uint64_t rejects_logged; /* in this stats period */
	uint64_t moves_logged;	 /* in this stats period */
	uint64_t moves;		 /* senders heard on another broker than before */
	struct collector_counters n;
};

/* An alert archived in the current batch, fanned out once it commits. */
struct new_alert {
	char *box, *event_id, *type, *severity, *start, *zone, *source, *message;
};

static void new_alert_free(gpointer data)
{
	struct new_alert *na = data;

	g_free(na->box);
	g_free(na->event_id);
	g_free(na->type);
	g_free(na->severity);
	g_free(na->start);
	g_free(na->zone);
	g_free(na->source);
	g_free(na->message);
	g_free(na);
}

static void pending_free(gpointer data)
{
	struct pending *p = data;

	g_free(p->topic);
	g_free(p->sender);
	g_free(p->payload);
	cJSON_Delete(p->root);
	g_free(p->reject_reason);
	g_free(p);
}

static void progress_free(gpointer data)
{
	struct progress *p = data;

	progress_release(p);
	g_free(p);
}

static void add_range(void *ctx, int64_t first, int64_t last)
{
	progress_add_range(ctx, first, last);
}

/* The box's progress, loaded from the archive on first sight. */
static struct progress *box_progress(struct collector *col, const char *box)
{
	struct progress *p = g_hash_table_lookup(col->progress, box);
	int64_t acked;

	if (p)
		return p;
	if (archive_get_progress(col->archive, box, &acked))
		return NULL;
	p = g_new0(struct progress, 1);
	progress_init(p, acked);
	if (archive_accounted_above(col->archive, box, acked, add_range, p)) {
		progress_free(p);
		return NULL;
	}
	g_hash_table_insert(col->progress, g_strdup(box), p);
	return p;
}

/* --- writing a batch ------------------------------------------------- */

static int store_readings(struct collector *col, const struct message *m)
{
	const cJSON *item;
	GArray *r = g_array_new(FALSE, FALSE, sizeof(struct archive_reading));
	int rc;

	cJSON_ArrayForEach (item, m->u.reading.items) {
		struct archive_reading x = {
			.sensor = cJSON_GetObjectItem(item, "sensor")->valuestring,
			.kind = cJSON_GetObjectItem(item, "kind")->valuestring,
			.t = cJSON_GetObjectItem(item, "t")->valuestring,
			.value = cJSON_GetObjectItem(item, "value")->valuedouble,
			.unit = cJSON_GetObjectItem(item, "unit")->valuestring,
		};

		g_array_append_val(r, x);
	}
	rc = archive_put_readings(col->archive, m->env.id, m->env.seq,
				  (const struct archive_reading *)r->data, r->len);
	g_array_free(r, TRUE);
	return rc;
}

/* An event step; a data_dropped event also accounts for the seqs it names;
 * one that opens an alert is remembered for the fan-out. */
static int store_event(struct collector *col, const struct message *m, struct progress *prog)
{
	const cJSON *pair;
	int rc = archive_put_event(col->archive, m);

	if (rc == 0 && (rc = archive_alert_from_event(col->archive, m)) == 1) {
		struct new_alert *na = g_new0(struct new_alert, 1);

		na->box = g_strdup(m->env.id);
		na->event_id = g_strdup(m->u.event.event_id);
		na->type = g_strdup(m->u.event.type);
		na->severity = g_strdup(m->u.event.severity);
		na->start = g_strdup(m->u.event.start);
		na->zone = g_strdup(m->u.event.zone);
		na->source = g_strdup(m->u.event.source);
		na->message = g_strdup(m->u.event.message);
		g_ptr_array_add(col->new_alerts, na);
	}
	if (rc > 0)
		rc = 0;

	cJSON_ArrayForEach (pair, m->u.event.dropped) {
		int64_t first = (int64_t)cJSON_GetArrayItem(pair, 0)->valuedouble;
		int64_t last = (int64_t)cJSON_GetArrayItem(pair, 1)->valuedouble;

		if (rc)
			break;
		rc = archive_put_dropped(col->archive, m->env.id, first, last, m->env.seq);
		progress_add_range(prog, first, last);
	}
	return rc;
}

/* A handheld's report: a task's step, its inspection record or a penalty.
 * The report is archived whatever its content; one the task cannot take
 * (an illegal step, a penalty over the cap) is counted and logged. */
static int store_report(struct collector *col, const struct message *m)
{
	struct task_config cfg;
	const char *k = m->u.report.kind;
	int64_t now = clock_wall_ms();
	int rc;

	archive_task_config_default(&cfg);
	/* a record or a penalty only from one of the task's own inspectors
	 * (steps are checked by archive_task_step) */
	rc = !strcmp(k, "state")
		 ? 1
		 : archive_task_has_inspector(col->archive, m->u.report.task_id, m->env.id);
	if (rc == 0) {
		rc = -EPERM;
	} else if (rc < 0) {
		/* the archive failed: said below */
	} else if (!strcmp(k, "state")) {
		rc = archive_task_step(col->archive, m->u.report.task_id, m->u.report.state,
				       m->env.id, NULL, m->env.ts, now);
	} else if (!strcmp(k, "record")) {
		GPtrArray *ids = g_ptr_array_new();
		const cJSON *item;
		char *answers = cJSON_PrintUnformatted(m->u.report.answers);
		struct inspection_record r = {
			.task_id = m->u.report.task_id,
			.result = m->u.report.result,
			.answers = answers,
			.submitted_at = m->u.report.time ? m->u.report.time : m->env.ts,
			.followup_due = m->u.report.deadline,
		};

		cJSON_ArrayForEach (item, m->u.report.inspectors)
			g_ptr_array_add(ids, item->valuestring);
		g_ptr_array_add(ids, NULL);
		r.inspectors = (const char *const *)ids->pdata;
		rc = archive_inspection_put(col->archive, &r, &cfg, now);
		cJSON_free(answers);
		g_ptr_array_free(ids, TRUE);
	} else {
		int64_t serial;
		char decision_no[ARCHIVE_DECISION_NO_LEN];
		struct penalty_spec p = {
			.task_id = m->u.report.task_id,
			.agency = col->cfg->agency,
			.party = m->u.report.party,
			.party_type = m->u.report.party_type,
			.penalty_type = m->u.report.penalty_type,
			.amount_cny = (double)m->u.report.amount_fen / 100.0,
			.violation = m->u.report.violation,
			.legal_basis = m->u.report.legal_basis,
			.decided_at = m->env.ts,
		};

		rc = archive_penalty_put(col->archive, &p, &cfg, now, &serial, decision_no);
		if (rc >= 0)
			log_info("penalty of task %s: decision %s", p.task_id, decision_no);
	}
	if (rc == -EIO)
		return rc;
	if (rc < 0) {
		col->n.reports_refused++;
		log_warn("report %s of %s on task %s not applied: %s", k, m->env.id,
			 m->u.report.task_id, g_strerror(-rc));
	}
	return 0;
}

static int store_status(struct collector *col, const struct message *m)
{
	const cJSON *health = cJSON_GetObjectItem(m->root, "health");
	const cJSON *cameras = cJSON_GetObjectItem(m->root, "cameras");
	char *health_json = health ? cJSON_PrintUnformatted(health) : NULL;
	char *cameras_json = cameras ? cJSON_PrintUnformatted(cameras) : NULL;
	struct archive_box_status s = {
		.box = m->env.id,
		.online = m->u.status.online,
		.version = m->u.status.version,
		.ts = m->env.ts,
		.last_seq = m->env.seq,
		.health_json = health_json,
		.cert_serial = m->u.status.cert_serial,
		.cert_not_after = m->u.status.cert_not_after,
		.cameras_json = cameras_json,
	};
	int rc = archive_put_status(col->archive, &s);

	cJSON_free(health_json);
	cJSON_free(cameras_json);
	return rc;
}

/* A status from a broker's retained store is a state that may be stale: a
 * box that failed over from broker A to B leaves its last status retained
 * on A, which hands it out again whenever the collector subscribes there.
 * Such a status is applied only if no later one has been (by its ts); a
 * live status always is (a last will carries the ts of its connect, earlier
 * than the statuses sent on that connection). */
static bool status_is_stale(struct collector *col, const struct pending *p)
{
	gint64 *last = g_hash_table_lookup(col->status_ms, p->msg.env.id);
	int64_t ms;

	if (!clock_parse_ts(p->msg.env.ts, &ms))
		return false; /* validated before; cannot happen */
	if (p->retained && last && ms < *last) {
		log_debug("ignored a retained status of %s older than the one applied",
			  p->msg.env.id);
		return true;
	}
	if (!last) {
		last = g_new(gint64, 1);
		g_hash_table_insert(col->status_ms, g_strdup(p->msg.env.id), last);
	}
	*last = ms;
	return false;
}

static int store_one(struct collector *col, struct pending *p, GHashTable *touched)
{
	const struct message *m = &p->msg;
	struct progress *prog;
	int rc;

	if (!p->root) {
		col->n.rejected++;
		return archive_put_reject(col->archive, p->topic, p->sender, p->reject_reason,
					  p->payload, MIN(p->len, REJECT_HEAD_BYTES));
	}
	if (m->kind == MSG_STATUS)
		return status_is_stale(col, p) ? 0 : store_status(col, m);
	prog = box_progress(col, m->env.id);
	if (!prog)
		return -EIO;
	rc = archive_put_message(col->archive, m->env.id, m->env.seq, topic_kind_name(m->kind),
				 m->env.ts, p->payload, p->len);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		col->n.duplicates++;
	} else {
		col->n.archived++;
		if (m->kind == MSG_READING)
			rc = store_readings(col, m);
		else if (m->kind == MSG_EVENT)
			rc = store_event(col, m, prog);
		else if (m->kind == MSG_CLIP)
			rc = clip_intake_manifest(col->clips, m);
		else if (m->kind == MSG_REPORT)
			rc = store_report(col, m);
		if (rc < 0)
			return rc;
	}
	progress_add(prog, m->env.seq);
	g_hash_table_add(touched, (gpointer)m->env.id);
	return 0;
}

/* Publish on every connected broker; true if any took it. */
static bool publish_all(struct collector *col, const char *topic, const char *text)
{
	bool any = false;

	for (unsigned i = 0; i < col->n_brokers; i++)
		if (mqtt_link_publish(col->brokers[i].link, topic, text, strlen(text), false) == 0)
			any = true;
	return any;
}

/* Publish to a box or handheld: on the broker it was last heard on; when
 * that one is down (the sender is failing over) or unknown, on every
 * connected one. true if any took it. */
static bool publish_to(struct collector *col, const char *owner, const char *topic,
		       const char *text)
{
	struct broker *b = g_hash_table_lookup(col->sender_broker, owner);

	if (b && mqtt_link_connected(b->link))
		return mqtt_link_publish(b->link, topic, text, strlen(text), false) == 0;
	return publish_all(col, topic, text);
}

/* An ack for box: its progress, and a clip's verdict if v is not NULL. */
static void publish_ack(struct collector *col, const char *box, const struct progress *prog,
			int64_t seq, const struct clip_verdict *v)
{
	struct seq_range missing[MESSAGE_MAX_RANGES];
	const char *verified[1];
	struct ack_clip_missing clip_missing;
	struct ack_info a = {
		.box = box,
		.acked = prog->acked,
		.missing = missing,
	};

	if (v && v->verified) {
		verified[0] = v->clip_id;
		a.clips_verified = verified;
		a.n_verified = 1;
	} else if (v) {
		clip_missing = (struct ack_clip_missing){ v->clip_id, v->missing, v->n_missing };
		a.clips_missing = &clip_missing;
		a.n_clips_missing = 1;
	}
	struct envelope e;
	char topic[TOPIC_MAX];
	cJSON *msg;
	char *text;

	/* max_seen is what acked + missing describe, not more: the box treats
	 * every seq up to it that is not listed missing as archived */
	a.n_missing = progress_missing(prog, missing, MESSAGE_MAX_RANGES, &a.max_seen);
	envelope_stamp(&e, col->cfg->id, seq);
	msg = message_ack(&e, &a);
	text = cJSON_PrintUnformatted(msg);
	topic_format(topic, MSG_ACK, box);
	if (publish_to(col, box, topic, text))
		col->n.acks++;
	cJSON_free(text);
	cJSON_Delete(msg);
}

/* An alert on bk/v1/alert/<district> and on the regulators' page. */
static void publish_alert(struct collector *col, const struct alert_info *ai, int64_t seq)
{
	char alert_id[256], topic[TOPIC_MAX];
	struct alert_info a = *ai;
	struct envelope env;
	cJSON *msg;
	char *text;

	snprintf(alert_id, sizeof alert_id, "%s:%s", ai->box, ai->event_id);
	a.alert_id = alert_id;
	envelope_stamp(&env, col->cfg->id, seq);
	msg = message_alert(&env, &a);
	text = cJSON_PrintUnformatted(msg);
	topic_format(topic, MSG_ALERT, a.district);
	if (publish_all(col, topic, text))
		col->n.alerts++;
	http_api_alert(col->http, text); /* the regulators' page, live */
	cJSON_free(text);
	cJSON_Delete(msg);
}

/* Every new alert goes out at once on bk/v1/alert/<district> with its
 * establishment; an alert of a box bound to no establishment has no
 * district to go to: counted and logged, it stays in the archive. */
static void fan_out(struct collector *col, const struct new_alert *na, int64_t seq)
{
	struct establishment_ref est;
	struct alert_info ai = {
		.event_id = na->event_id,
		.box = na->box,
		.district = est.district,
		.licence = est.licence,
		.name = est.name,
		.type = na->type,
		.severity = na->severity,
		.start = na->start,
		.zone = na->zone,
		.source = na->source,
		.message = na->message,
	};

	if (archive_box_establishment(col->archive, na->box, &est) != 0) {
		col->n.alerts_unbound++;
		log_warn("alert %s of %s not fanned out: the box is bound to no establishment",
			 na->event_id, na->box);
		return;
	}
	publish_alert(col, &ai, seq);
}

static void flush_batch(struct collector *col)
{
	GHashTable *touched = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTableIter it;
	gpointer box;
	int64_t first_seq = col->own_seq + 1;
	int rc;

	if (col->batch->len == 0)
		goto out;
	rc = archive_begin(col->archive);
	for (guint i = 0; !rc && i < col->batch->len; i++)
		rc = store_one(col, g_ptr_array_index(col->batch, i), touched);
	g_hash_table_iter_init(&it, touched);
	while (!rc && g_hash_table_iter_next(&it, &box, NULL)) {
		struct progress *p = g_hash_table_lookup(col->progress, box);

		/* other collectors of the group may have archived what this one
		 * has not seen: their committed rows fill the gaps, so that the
		 * ack does not ask the box for them again */
		if (p->above->len)
			rc = archive_accounted_above(col->archive, box, p->acked, add_range, p);
		if (!rc)
			rc = archive_set_progress(col->archive, box, p->acked,
						  progress_max_seen(p));
	}
	/* reserve the seqs of the acks and alerts below in the same transaction */
	if (!rc)
		rc = archive_meta_set(col->archive, col->own_seq_key,
				      col->own_seq + g_hash_table_size(touched) +
					  col->new_alerts->len);
	if (!rc)
		rc = archive_commit(col->archive);
	if (rc) {
		/* Nothing is acked: the boxes resend. Forget the progress we
		 * advanced in memory; it is reloaded from the archive. */
		archive_rollback(col->archive);
		g_hash_table_iter_init(&it, touched);
		while (g_hash_table_iter_next(&it, &box, NULL))
			g_hash_table_remove(col->progress, box);
		log_error("dropped a batch of %u messages unacknowledged; boxes will resend",
			  col->batch->len);
		goto out;
	}
	col->n.batches++;
	col->own_seq += g_hash_table_size(touched) + col->new_alerts->len;
	for (guint i = 0; i < col->new_alerts->len; i++)
		fan_out(col, g_ptr_array_index(col->new_alerts, i),
			first_seq + g_hash_table_size(touched) + i);
	g_hash_table_iter_init(&it, touched);
	while (g_hash_table_iter_next(&it, &box, NULL))
		publish_ack(col, box, g_hash_table_lookup(col->progress, box), first_seq++, NULL);
out:
	g_hash_table_destroy(touched);
	g_ptr_array_set_size(col->batch, 0);
	g_ptr_array_set_size(col->new_alerts, 0);
}

static gboolean on_idle_flush(gpointer data)
{
	struct collector *col = data;

	col->flush_source = 0;
	flush_batch(col);
	return G_SOURCE_REMOVE;
}

/* --- receiving ------------------------------------------------------- */

static void reject(struct collector *col, struct pending *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void reject(struct collector *col, struct pending *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	p->reject_reason = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	cJSON_Delete(p->root);
	p->root = NULL;
	if (col->rejects_logged++ < REJECT_LOG_PER_PERIOD)
		log_warn("rejected a message on '%.128s': %s", p->topic, p->reject_reason);
	else if (col->rejects_logged == REJECT_LOG_PER_PERIOD + 1)
		log_warn("more rejects this period; see 'bkctl rejects'");
}

static void ingest(struct collector *col, struct pending *p)
{
	struct topic t;
	struct jcheck jc = { 0 };
	char err[128];

	if (!topic_parse(p->topic, &t, err, sizeof err)) {
		reject(col, p, "%s", err);
		return;
	}
	p->sender = g_strdup(t.owner);
	if ((int64_t)p->len > col->cfg->max_payload) {
		reject(col, p, "payload of %zu bytes exceeds max_payload (%lld)", p->len,
		       (long long)col->cfg->max_payload);
		return;
	}
	p->root = message_parse(p->payload, p->len, err, sizeof err);
	if (!p->root) {
		reject(col, p, "%s", err);
		return;
	}
	if (!message_validate(&t, p->root, &p->msg, &jc))
		reject(col, p, "%s", jc.error);
}

/* The clip or snapshot of an alert is verified: the alert goes out again
 * with it (the same alert_id; a subscriber keeps the latest). */
struct evidence_ref {
	char event_id[257];
	char ref[300];
	bool snapshot;
};

static void on_stored_clip(void *ctx, const struct archive_clip *c)
{
	struct evidence_ref *r = ctx;
	const char *base = c->path ? strrchr(c->path, '/') : NULL;

	snprintf(r->event_id, sizeof r->event_id, "%s", c->event_id ? c->event_id : "");
	r->snapshot = !strcmp(c->mime, "image/jpeg");
	if (r->snapshot && base) /* where the HTTP API serves it */
		snprintf(r->ref, sizeof r->ref, "/clips%s", base);
	else
		snprintf(r->ref, sizeof r->ref, "%s", c->clip_id);
}

struct alert_row {
	struct collector *col;
	const struct evidence_ref *ev;
	int64_t seq;
};

static void on_alert_row(void *ctx, int ncols, const char *const *names,
			 const struct archive_value *v)
{
	struct alert_row *r = ctx;
	struct alert_info ai = {
		.event_id = archive_column_text(ncols, names, v, "event_id"),
		.box = archive_column_text(ncols, names, v, "box"),
		.district = archive_column_text(ncols, names, v, "district"),
		.licence = archive_column_text(ncols, names, v, "licence"),
		.name = archive_column_text(ncols, names, v, "name"),
		.type = archive_column_text(ncols, names, v, "type"),
		.severity = archive_column_text(ncols, names, v, "severity"),
		.start = archive_column_text(ncols, names, v, "start"),
		.zone = archive_column_text(ncols, names, v, "zone"),
		.source = archive_column_text(ncols, names, v, "source"),
		.message = archive_column_text(ncols, names, v, "message"),
	};

	if (r->ev->snapshot)
		ai.snapshot = r->ev->ref;
	else
		ai.clip = r->ev->ref;
	if (ai.event_id && ai.box && ai.district && ai.licence && ai.name && ai.type &&
	    ai.severity && ai.start)
		publish_alert(r->col, &ai, r->seq);
}

static void count_row(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	(void)ncols, (void)names, (void)v;
	++*(int *)ctx;
}

static void publish_evidence(struct collector *col, const char *box, const char *clip_id)
{
	struct evidence_ref ev = { 0 };
	struct alert_row row = { col, &ev, 0 };

	int alerts = 0;

	if (archive_get_clip(col->archive, box, clip_id, on_stored_clip, &ev) != 0 ||
	    !ev.event_id[0] ||
	    archive_alert_get(col->archive, box, ev.event_id, count_row, &alerts) != 0 ||
	    alerts == 0)
		return; /* not the evidence of an alert of a bound box */
	/* its seq is reserved like a verdict's */
	if (archive_meta_set(col->archive, col->own_seq_key, col->own_seq + 1) != 0)
		return;
	row.seq = ++col->own_seq;
	archive_alert_get(col->archive, box, ev.event_id, on_alert_row, &row);
}

/* --- tasks to handhelds ---------------------------------------------- */

/* A task (or its cancellation) for one inspector, as archive_tasks_to_send
 * names its fields; values copied. */
#define TASK_FIELDS 14
static const char *const task_fields[TASK_FIELDS] = {
	"task_id",  "inspector", "state", "licence",   "name", "address", "district",
	"category", "kind",	 "due",	  "checklist", "note", "reason",  "inspectors",
};
enum {
	TF_TASK_ID,
	TF_INSPECTOR,
	TF_STATE,
	TF_LICENCE,
	TF_NAME,
	TF_ADDRESS,
	TF_DISTRICT,
	TF_CATEGORY,
	TF_KIND,
	TF_DUE,
	TF_CHECKLIST,
	TF_NOTE,
	TF_REASON,
	TF_INSPECTORS
};

static void collect_task(void *ctx, int ncols, const char *const *names,
			 const struct archive_value *v)
{
	char **row = g_new0(char *, TASK_FIELDS);

	for (int i = 0; i < TASK_FIELDS; i++)
		row[i] = g_strdup(archive_column_text(ncols, names, v, task_fields[i]));
	g_ptr_array_add(ctx, row);
}

static void task_row_free(gpointer data)
{
	char **row = data;

	for (int i = 0; i < TASK_FIELDS; i++)
		g_free(row[i]);
	g_free(row);
}

static cJSON *task_message(const struct envelope *env, char **row)
{
	char **ids = g_strsplit(row[TF_INSPECTORS] ? row[TF_INSPECTORS] : "", " ", -1);
	cJSON *reasons = row[TF_REASON] ? cJSON_Parse(row[TF_REASON]) : NULL;
	const char *reason_ids[64];
	size_t n_reason = 0;
	const cJSON *r;
	struct task_info ti = {
		.task_id = row[TF_TASK_ID],
		.state = row[TF_STATE],
		.licence = row[TF_LICENCE],
		.name = row[TF_NAME],
		.address = row[TF_ADDRESS],
		.district = row[TF_DISTRICT],
		.category = row[TF_CATEGORY],
		.kind = row[TF_KIND],
		.due = row[TF_DUE],
		.inspectors = (const char *const *)ids,
		.n_inspectors = g_strv_length(ids),
		.checklist = row[TF_CHECKLIST],
		.note = row[TF_NOTE],
	};
	cJSON *msg;

	cJSON_ArrayForEach (r, reasons) {
		if (cJSON_IsString(r) && n_reason < G_N_ELEMENTS(reason_ids))
			reason_ids[n_reason++] = r->valuestring;
	}
	ti.reason = n_reason ? reason_ids : NULL;
	ti.n_reason = n_reason;
	msg = message_task(env, &ti);
	cJSON_Delete(reasons);
	g_strfreev(ids);
	return msg;
}

/* Send each inspector's handheld the tasks and cancellations it has not
 * had: into its persistent session, where the broker keeps them while it is
 * away. On every broker, since the handheld may come back to any of them:
 * a row is marked sent once every broker has taken it (col->task_mask keeps
 * which have, in memory: after a restart a row not yet marked goes to all
 * again). The handheld takes a task once whatever arrives twice
 * (hh_commands.c, on_task: by task id). */
static void send_tasks(struct collector *col)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func(task_row_free);
	GHashTable *masks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	const guint all = (1u << col->n_brokers) - 1;
	guint up = 0, n_to_send = 0;
	bool listed = false;

	for (unsigned i = 0; i < col->n_brokers; i++)
		if (mqtt_link_connected(col->brokers[i].link))
			up |= 1u << i;
	if (!up || archive_tasks_to_send(col->archive, collect_task, rows) != 0)
		goto done;
	listed = true;
	for (guint i = 0; i < rows->len; i++) {
		char **row = g_ptr_array_index(rows, i);
		char *key =
		    g_strjoin("\x1f", row[TF_TASK_ID], row[TF_INSPECTOR], row[TF_STATE], NULL);
		guint mask = GPOINTER_TO_UINT(g_hash_table_lookup(col->task_mask, key));

		if (up & ~mask)
			n_to_send++;
		g_hash_table_insert(masks, key, GUINT_TO_POINTER(mask));
	}
	/* their seqs are reserved first, like an ack's */
	if (n_to_send && archive_meta_set(col->archive, col->own_seq_key, col->own_seq + n_to_send) != 0)
		goto done;
	for (guint i = 0; i < rows->len; i++) {
		char **row = g_ptr_array_index(rows, i);
		char *key =
		    g_strjoin("\x1f", row[TF_TASK_ID], row[TF_INSPECTOR], row[TF_STATE], NULL);
		guint mask = GPOINTER_TO_UINT(g_hash_table_lookup(masks, key));
		char topic[TOPIC_MAX], *text;
		struct envelope env;
		cJSON *msg;

		if (up & ~mask) {
			envelope_stamp(&env, col->cfg->id, ++col->own_seq);
			msg = task_message(&env, row);
			text = cJSON_PrintUnformatted(msg);
			topic_format(topic, MSG_TASK, row[TF_INSPECTOR]);
			for (unsigned b = 0; b < col->n_brokers; b++)
				if ((up & ~mask & (1u << b)) &&
				    mqtt_link_publish(col->brokers[b].link, topic, text,
						      strlen(text), false) == 0)
					mask |= 1u << b;
			cJSON_free(text);
			cJSON_Delete(msg);
		}
		if (mask == all && archive_task_sent(col->archive, row[TF_TASK_ID],
						     row[TF_INSPECTOR], row[TF_STATE]) == 0) {
			col->n.tasks_sent++;
			log_info("task %s %s to %s", row[TF_TASK_ID], row[TF_STATE],
				 row[TF_INSPECTOR]);
			g_hash_table_remove(masks, key);
		} else {
			g_hash_table_insert(masks, g_strdup(key), GUINT_TO_POINTER(mask));
		}
		g_free(key);
	}
done:
	/* only the rows still to send are remembered */
	if (listed) {
		g_hash_table_destroy(col->task_mask);
		col->task_mask = masks;
	} else {
		g_hash_table_destroy(masks);
	}
	g_ptr_array_free(rows, TRUE);
}

static gboolean on_task_timer(gpointer data)
{
	send_tasks(data);
	return G_SOURCE_CONTINUE;
}

/* Tell a box where its clip stands, outside any batch. */
static void publish_verdict(struct collector *col, const char *box, const struct clip_verdict *v)
{
	struct progress *prog = box_progress(col, box);

	/* the ack's seq is reserved in the archive first, like a batch's */
	if (!prog || archive_meta_set(col->archive, col->own_seq_key, col->own_seq + 1) != 0)
		return; /* the box asks again */
	publish_ack(col, box, prog, ++col->own_seq, v);
}

/* Boxes whose progress has gaps, looked at again once a second: another
 * collector of the group may have archived the missing seqs. Without this
 * the last batches of two collectors, committed at the same moment, each
 * miss the other's rows; the box stops timing what was archived (each ack
 * says so) and waits for an acked mark that nobody moves. One query per such
 * box; a box heard by this collector alone has no gaps but real ones. */
static gboolean on_gap_timer(gpointer data)
{
	struct collector *col = data;
	GHashTableIter it;
	gpointer box, value;

	g_hash_table_iter_init(&it, col->progress);
	while (g_hash_table_iter_next(&it, &box, &value)) {
		struct progress *p = value;
		int64_t before = p->acked;

		if (!p->above->len)
			continue;
		if (archive_accounted_above(col->archive, box, p->acked, add_range, p))
			break;
		if (p->acked == before)
			continue;
		archive_set_progress(col->archive, box, p->acked, progress_max_seen(p));
		publish_verdict(col, box, NULL);
	}
	return G_SOURCE_CONTINUE;
}

/* A clip chunk: binary, not part of the stream, handled at once. true when
 * taken; false with the reason in err when it is a reject. */
static bool take_chunk(struct collector *col, const struct mqtt_event *ev, char *owner, char *err,
		       size_t errlen)
{
	struct topic t;
	struct clip_verdict v;

	if (!topic_parse(ev->topic, &t, err, errlen))
		return false;
	snprintf(owner, ENVELOPE_ID_MAX + 1, "%s", t.owner);
	if (t.kind != MSG_CHUNK) {
		snprintf(err, errlen, "not a clip chunk topic");
		return false;
	}
	if (clip_intake_chunk(col->clips, t.owner, t.clip_id, t.chunk, ev->payload, ev->len, &v,
			      err, errlen) != 0)
		return false;
	if (v.answer)
		publish_verdict(col, t.owner, &v);
	if (v.stored)
		publish_evidence(col, t.owner, t.clip_id);
	return true;
}

static bool is_chunk_topic(const char *topic)
{
	/* bk/v1/box/{box}/clip/{clip}/{n}: seven levels */
	int levels = 1;

	for (const char *c = topic; *c; c++)
		levels += *c == '/';
	return levels == 7 && g_str_has_prefix(topic, TOPIC_PREFIX "box/");
}

/* --- live view (live_view.h) ----------------------------------------- */

/* bk/v1/box/{box}/live and bk/v1/box/{box}/live/{camera}: the fourth level is "live". */
static bool is_live_topic(const char *topic)
{
	const char *p = topic + strlen(TOPIC_PREFIX "box/");

	if (!g_str_has_prefix(topic, TOPIC_PREFIX "box/") || !(p = strchr(p, '/')))
		return false;
	return g_str_has_prefix(p, "/live") && (p[5] == '\0' || p[5] == '/');
}

/* A box's live video or answer: handled at once, never archived (video at
 * QoS 0 is not part of the stream). true when taken; false with the reason
 * in err when it is a reject. */
static bool take_live(struct collector *col, const struct mqtt_event *ev, char *owner, char *err,
		      size_t errlen)
{
	struct topic t;
	struct message m;
	struct jcheck jc = { 0 };
	cJSON *root;
	bool ok;

	if (!topic_parse(ev->topic, &t, err, errlen))
		return false;
	snprintf(owner, ENVELOPE_ID_MAX + 1, "%s", t.owner);
	if (t.kind == MSG_LIVE_CHUNK) {
		live_view_chunk(col->live, t.owner, t.camera, ev->payload, ev->len);
		return true;
	}
	if (t.kind != MSG_LIVE) {
		snprintf(err, errlen, "not a live view topic");
		return false;
	}
	root = message_parse(ev->payload, ev->len, err, errlen);
	if (!root)
		return false;
	ok = message_validate(&t, root, &m, &jc);
	if (!ok)
		snprintf(err, errlen, "%s", jc.error);
	else if (!ev->retained) /* an answer is for now: a stored one is stale */
		live_view_answer(col->live, t.owner, &m);
	cJSON_Delete(root);
	return ok;
}

static int live_send_cmd(void *ctx, const struct cmd_info *c)
{
	struct collector *col = ctx;
	struct envelope e;
	char topic[TOPIC_MAX], *text;
	cJSON *msg;
	bool sent;

	/* its seq is reserved like an ack's */
	if (archive_meta_set(col->archive, col->own_seq_key, col->own_seq + 1) != 0)
		return -EIO;
	envelope_stamp(&e, col->cfg->id, ++col->own_seq);
	msg = message_cmd(&e, c);
	text = cJSON_PrintUnformatted(msg);
	topic_format(topic, MSG_CMD, c->box);
	sent = publish_to(col, c->box, topic, text);
	cJSON_free(text);
	cJSON_Delete(msg);
	return sent ? 0 : -ENOTCONN;
}

struct box_row {
	bool found, online;
	char last_seen[CLOCK_TS_LEN];
	cJSON *cameras; /* the status's [{"id", "state"}], or NULL */
};

static void on_box_row(void *ctx, int ncols, const char *const *names,
		       const struct archive_value *values)
{
	struct box_row *r = ctx;
	const char *state = archive_column_text(ncols, names, values, "state");
	const char *seen = archive_column_text(ncols, names, values, "last_seen");
	const char *cameras = archive_column_text(ncols, names, values, "cameras");

	r->found = true;
	r->online = state && strcmp(state, "online") == 0;
	g_strlcpy(r->last_seen, seen ? seen : "never", sizeof r->last_seen);
	r->cameras = cameras ? cJSON_Parse(cameras) : NULL;
}

/* What the archive knows: the box's last status and its cameras' states. */
static const char *live_unavailable(void *ctx, const char *box, const char *camera, char *buf,
				    size_t n)
{
	struct collector *col = ctx;
	struct archive_value p = { .type = VALUE_TEXT, .text = box };
	struct box_row r = { 0 };
	const cJSON *c;
	const char *state = NULL, *why = NULL;

	if (archive_query(col->archive, "SELECT state, last_seen, cameras FROM boxes WHERE id = ?1",
			  &p, 1, on_box_row, &r) != 0) {
		snprintf(buf, n, "the archive cannot be read now");
		return buf;
	}
	if (!r.found) {
		snprintf(buf, n, "%s has never reported to the centre", box);
		return buf;
	}
	if (!r.online) {
		snprintf(buf, n, "%s is offline (last seen %s)", box, r.last_seen);
		cJSON_Delete(r.cameras);
		return buf;
	}
	cJSON_ArrayForEach (c, r.cameras) {
		if (g_strcmp0(cJSON_GetStringValue(cJSON_GetObjectItem(c, "id")), camera) == 0)
			state = cJSON_GetStringValue(cJSON_GetObjectItem(c, "state"));
	}
	if (r.cameras && !state)
		why = "is not on the box";
	else if (state && strcmp(state, "disabled") == 0)
		why = "is outside its recording hours (its schedule)";
	else if (state && strcmp(state, "recording") != 0)
		why = "is offline: the box cannot reach it";
	if (why)
		snprintf(buf, n, "camera '%s' of %s %s", camera, box, why);
	cJSON_Delete(r.cameras);
	return why ? buf : NULL; /* a box that reports no cameras decides itself */
}

static int64_t live_audit_begin(void *ctx, const char *who, const char *box, const char *camera,
				int64_t wall_ms)
{
	struct collector *col = ctx;
	int64_t id = archive_live_view_begin(col->archive, who, box, camera, wall_ms);

	if (id < 0)
		log_error("cannot write the live viewing of %s/%s by %s to the audit trail: %s",
			  box, camera, who, g_strerror((int)-id));
	return id;
}

static void live_audit_end(void *ctx, int64_t id, int64_t wall_ms, int64_t bytes,
			   const char *why)
{
	struct collector *col = ctx;

	if (id > 0 && archive_live_view_end(col->archive, id, wall_ms, bytes, why) != 0)
		log_error("cannot close live viewing %lld in the audit trail", (long long)id);
}

static const struct live_view_ops live_ops = {
	.send_cmd = live_send_cmd,
	.unavailable = live_unavailable,
	.audit_begin = live_audit_begin,
	.audit_end = live_audit_end,
};

/* An alert another collector of the group archived and published: shown
 * on this collector's page too (its regulators watch here), once, though
 * it comes through every broker. Not archived again: the other did. */
#define ALERTS_REMEMBERED 1024

static void take_alert(struct collector *col, const struct mqtt_event *ev)
{
	struct topic t;
	struct message m;
	struct jcheck jc = { 0 };
	char err[128];
	cJSON *root;

	if (!col->http || ev->retained || !topic_parse(ev->topic, &t, err, sizeof err) ||
	    t.kind != MSG_ALERT)
		return;
	root = message_parse(ev->payload, ev->len, err, sizeof err);
	if (!root)
		return;
	if (message_validate(&t, root, &m, &jc) && strcmp(m.env.id, col->cfg->id) != 0 &&
	    recent_ids_add(col->alerts_shown, m.u.alert.alert_id))
		http_api_alert(col->http, ev->payload);
	cJSON_Delete(root);
}

/* Remember which broker a box or handheld was last heard on, live (a
 * retained status may come from a broker it left long ago): its acks go
 * there. */
static void note_sender(struct collector *col, struct broker *b, const struct mqtt_event *ev)
{
	struct broker *was;
	struct topic t;
	char err[128];

	if (ev->retained || !topic_parse(ev->topic, &t, err, sizeof err))
		return;
	was = g_hash_table_lookup(col->sender_broker, t.owner);
	if (was == b)
		return;
	g_hash_table_insert(col->sender_broker, g_strdup(t.owner), b);
	if (!was)
		return;
	col->moves++;
	if (col->moves_logged++ < MOVE_LOG_PER_PERIOD)
		log_info("%s moved to broker %s (was on %s): its acks go there", t.owner, b->uri,
			 was->uri);
	else if (col->moves_logged == MOVE_LOG_PER_PERIOD + 1)
		log_info("more senders moved between brokers this period: counted in the stats");
}

static unsigned brokers_up(const struct collector *col)
{
	unsigned n = 0;

	for (unsigned i = 0; i < col->n_brokers; i++)
		n += col->brokers[i].up;
	return n;
}

/* A broker came or went. mqtt_link logs every attempt; this says what it
 * means for the whole, once per change, when there are several. */
static void broker_state(struct broker *b, bool up)
{
	struct collector *col = b->col;

	if (b->up == up)
		return;
	b->up = up;
	col->n.brokers[b - col->brokers].up = up;
	if (col->n_brokers < 2)
		return;
	if (up)
		log_info("broker %s up: %u of %u brokers connected", b->uri, brokers_up(col),
			 col->n_brokers);
	else
		log_warn("lost broker %s: %u of %u brokers connected; its boxes fail over to "
			 "the others",
			 b->uri, brokers_up(col), col->n_brokers);
}

static void on_mqtt_event(void *ctx, const struct mqtt_event *ev)
{
	struct broker *b = ctx;
	struct collector *col = b->col;
	struct pending *p;
	char err[256], owner[ENVELOPE_ID_MAX + 1] = "";
	bool chunk, live;

	if (ev->kind != MQTT_EVENT_MESSAGE) {
		broker_state(b, ev->kind == MQTT_EVENT_CONNECTED);
		return;
	}
	if (g_str_has_prefix(ev->topic, TOPIC_PREFIX "alert/")) {
		take_alert(col, ev);
		return;
	}
	chunk = is_chunk_topic(ev->topic);
	live = !chunk && is_live_topic(ev->topic);
	col->n.received++;
	b->received++;
	col->n.brokers[b - col->brokers].received++;
	note_sender(col, b, ev);
	if (chunk && take_chunk(col, ev, owner, err, sizeof err))
		return;
	if (live && take_live(col, ev, owner, err, sizeof err))
		return;
	p = g_new0(struct pending, 1);
	p->topic = g_strdup(ev->topic);
	p->payload = g_memdup2(ev->payload, ev->len + 1);
	p->len = ev->len;
	p->retained = ev->retained;
	if (chunk || live) {
		/* binary (or handled here): the reject keeps no head of it */
		p->sender = owner[0] ? g_strdup(owner) : NULL;
		p->len = 0;
		reject(col, p, "%s", err);
	} else {
		ingest(col, p);
	}
	g_ptr_array_add(col->batch, p);
	if ((int)col->batch->len >= col->cfg->batch_max)
		flush_batch(col);
	else if (!col->flush_source)
		col->flush_source = g_idle_add(on_idle_flush, col);
}

static gboolean on_stats(gpointer data)
{
	struct collector *col = data;
	GString *brokers = g_string_new(NULL);

	/* with several brokers: each one's state and what came through it */
	for (unsigned i = 0; col->n_brokers > 1 && i < col->n_brokers; i++)
		g_string_append_printf(brokers, "%s%s %s (%llu received)",
				       i ? ", " : "; brokers: ", col->brokers[i].uri,
				       col->brokers[i].up ? "up" : "down",
				       (unsigned long long)col->brokers[i].received);
	if (col->n_brokers > 1)
		g_string_append_printf(brokers, "; moved between brokers %llu",
				       (unsigned long long)col->moves);
	log_info("received %llu, archived %llu, duplicates %llu, rejected %llu, acks %llu, "
		 "batches %llu%s",
		 (unsigned long long)col->n.received, (unsigned long long)col->n.archived,
		 (unsigned long long)col->n.duplicates, (unsigned long long)col->n.rejected,
		 (unsigned long long)col->n.acks, (unsigned long long)col->n.batches, brokers->str);
	g_string_free(brokers, TRUE);
	col->rejects_logged = 0;
	col->moves_logged = 0;
	return G_SOURCE_CONTINUE;
}

/* --- life cycle ------------------------------------------------------ */

struct collector *collector_new(const struct collector_config *cfg)
{
	/* The stream is shared among the collectors of a group; status is not:
	 * every collector takes every box's state, and a plain subscription is
	 * also what brings the retained status (a will's "offline" among them)
	 * to a collector that starts after it was sent. */
	static const char *const kinds[] = { "reading", "event", "clip", "clip/+/+" };
	struct collector *col = g_new0(struct collector, 1);
	char *subs[G_N_ELEMENTS(kinds) + 6] = { 0 };
	int n = mqtt_settings_broker_count(&cfg->mqtt);

	col->cfg = cfg;
	col->batch = g_ptr_array_new_with_free_func(pending_free);
	col->new_alerts = g_ptr_array_new_with_free_func(new_alert_free);
	col->progress = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, progress_free);
	col->sender_broker = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	col->status_ms = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	col->task_mask = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	col->alerts_shown = recent_ids_new(ALERTS_REMEMBERED);
	if (n < 1 || n > MQTT_MAX_BROKERS) {
		log_error("cannot connect to %d brokers: [mqtt] uri lists 1 to %d", n,
			  MQTT_MAX_BROKERS);
		goto out_free;
	}
	col->archive = archive_open(cfg->archive_path, false);
	if (!col->archive)
		goto out_free;
	snprintf(col->own_seq_key, sizeof col->own_seq_key, "own_seq:%s", cfg->id);
	if (archive_meta_get(col->archive, col->own_seq_key, &col->own_seq))
		goto out_free;
	/* an archive of one collector before the key carried its id */
	if (!col->own_seq && archive_meta_get(col->archive, "own_seq", &col->own_seq))
		goto out_free;
	col->clips = clip_intake_new(col->archive, cfg->clip_store, cfg->mqtt.ca);
	if (!col->clips)
		goto out_free;
	/* central storage: the settings also in the archive, for bkctl and the API */
	clip_intake_set_storage(col->clips, cfg->storage.retention_days, cfg->storage.budget);
	if (archive_meta_set(col->archive, "storage_retention_days", cfg->storage.retention_days) ||
	    archive_meta_set(col->archive, "storage_budget", cfg->storage.budget))
		goto out_free;
	col->live = live_view_new(&cfg->live, cfg->id, &live_ops, col);
	if (cfg->http.listen) {
		col->http = http_api_new(&cfg->http, cfg->archive_path, cfg->clip_store, &col->n,
					 col->live);
		if (!col->http)
			goto out_free;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++)
		subs[i] = g_strdup_printf("$share/%s/" TOPIC_PREFIX "box/+/%s", cfg->share_group,
					  kinds[i]);
	subs[G_N_ELEMENTS(kinds)] = g_strdup(TOPIC_PREFIX "box/+/status");
	subs[G_N_ELEMENTS(kinds) + 1] =
	    g_strdup_printf("$share/%s/" TOPIC_PREFIX "hh/+/report", cfg->share_group);
	/* live view, not shared: each collector relays to its own viewers and
	 * drops video nobody here watches */
	subs[G_N_ELEMENTS(kinds) + 2] = g_strdup(TOPIC_PREFIX "box/+/live");
	subs[G_N_ELEMENTS(kinds) + 3] = g_strdup(TOPIC_PREFIX "box/+/live/+");
	/* alerts other collectors archived, for this one's page */
	if (cfg->http.listen)
		subs[G_N_ELEMENTS(kinds) + 4] = g_strdup(TOPIC_PREFIX "alert/+");
	/* A link per broker: the same client id on each is fine (different
	 * brokers), and so are the same shared subscriptions: every broker's
	 * group splits its own traffic among the collectors connected to it. */
	col->brokers = g_new0(struct broker, n);
	for (int i = 0; i < n; i++) {
		struct broker *b = &col->brokers[i];
		struct mqtt_settings one = mqtt_settings_only(&cfg->mqtt, i);
		struct mqtt_link_options opt = {
			.settings = &one,
			.client_id = cfg->id,
			.clean_session = false, /* the broker queues for us while we restart */
			.subscriptions = (const char *const *)subs,
			.on_event = on_mqtt_event,
			.ctx = b,
		};

		b->col = col;
		b->uri = one.uri;
		col->n.brokers[i].uri = one.uri;
		col->n.n_brokers = (unsigned)i + 1;
		b->link = mqtt_link_new(&opt);
		if (!b->link)
			break;
		col->n_brokers++;
	}
	for (size_t i = 0; i <= G_N_ELEMENTS(kinds) + 4; i++)
		g_free(subs[i]);
	if ((int)col->n_brokers < n)
		goto out_free;
	return col;

out_free:
	collector_free(col);
	return NULL;
}

/* Central storage's retention, every minute (and after intake). */
static gboolean on_storage_timer(gpointer data)
{
	struct collector *col = data;

	clip_intake_expire(col->clips);
	return G_SOURCE_CONTINUE;
}

int collector_start(struct collector *col)
{
	col->stats_source = g_timeout_add((guint)col->cfg->stats_period_ms, on_stats, col);
	/* tasks are created by bkctl and by rules, in the archive: looked for often */
	col->task_source = g_timeout_add(2000, on_task_timer, col);
	col->gap_source = g_timeout_add(1000, on_gap_timer, col);
	col->storage_source = g_timeout_add_seconds(60, on_storage_timer, col);
	clip_intake_expire(col->clips); /* a budget made smaller takes effect at once */
	for (unsigned i = 0; i < col->n_brokers; i++) {
		int rc = mqtt_link_start(col->brokers[i].link);

		if (rc)
			return rc;
	}
	return 0;
}

void collector_free(struct collector *col)
{
	if (!col)
		return;
	if (col->archive && col->batch->len)
		flush_batch(col); /* may fan alerts out: the page is still there */
	http_api_free(col->http); /* its viewers leave first */
	col->http = NULL;
	live_view_free(col->live);
	col->live = NULL;
	if (col->flush_source)
		g_source_remove(col->flush_source);
	if (col->task_source)
		g_source_remove(col->task_source);
	if (col->gap_source)
		g_source_remove(col->gap_source);
	if (col->storage_source)
		g_source_remove(col->storage_source);
	if (col->stats_source) {
		g_source_remove(col->stats_source);
		on_stats(col);
	}
	for (unsigned i = 0; i < col->n_brokers; i++)
		mqtt_link_free(col->brokers[i].link, 1000);
	g_free(col->brokers);
	clip_intake_free(col->clips);
	archive_close(col->archive);
	g_ptr_array_free(col->batch, TRUE);
	g_ptr_array_free(col->new_alerts, TRUE);
	g_hash_table_destroy(col->progress);
	g_hash_table_destroy(col->sender_broker);
	g_hash_table_destroy(col->status_ms);
	g_hash_table_destroy(col->task_mask);
	recent_ids_free(col->alerts_shown);
	g_free(col);
}

const struct collector_counters *collector_counters(const struct collector *col)
{
	return &col->n;
}
