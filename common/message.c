/*
 * message.c — see message.h. Each validator mirrors its schema in
 * schemas/; tests check the builders' output with both this code and an
 * independent JSON Schema validator, so the two cannot drift silently.
 */
#include "message.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "clock.h"
#include "manifest.h"
#include "penalty.h"

const char *const message_sensor_kinds[] = {
	"fridge", "freezer", "cleanroom", "disinfection",   "uv_lamp",
	"rinse",  "gas",     "generic",	  "video_recorded", NULL,
};

static cJSON *new_message(const struct envelope *e)
{
	cJSON *obj = cJSON_CreateObject();

	envelope_add(obj, e);
	return obj;
}

static void add_ts(cJSON *obj, const char *key, int64_t unix_ms)
{
	char ts[CLOCK_TS_LEN];

	clock_format_ms(unix_ms, ts);
	cJSON_AddStringToObject(obj, key, ts);
}

cJSON *message_reading(const struct envelope *e, const struct reading_sample *s, size_t n)
{
	cJSON *obj = new_message(e);
	cJSON *items = cJSON_AddArrayToObject(obj, "readings");

	for (size_t i = 0; i < n; i++) {
		cJSON *r = cJSON_CreateObject();

		cJSON_AddStringToObject(r, "sensor", s[i].sensor);
		cJSON_AddStringToObject(r, "kind", s[i].kind);
		add_ts(r, "t", s[i].t_ms);
		cJSON_AddNumberToObject(r, "value", s[i].value);
		cJSON_AddStringToObject(r, "unit", s[i].unit);
		cJSON_AddItemToArray(items, r);
	}
	return obj;
}

static void add_ranges(cJSON *obj, const char *key, const struct seq_range *r, size_t n)
{
	cJSON *arr = cJSON_AddArrayToObject(obj, key);

	for (size_t i = 0; i < n; i++) {
		cJSON *pair = cJSON_CreateArray();

		cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)r[i].first));
		cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)r[i].last));
		cJSON_AddItemToArray(arr, pair);
	}
}

cJSON *message_event(const struct envelope *e, const struct event_info *ev)
{
	cJSON *obj = new_message(e);

	cJSON_AddStringToObject(obj, "event_id", ev->event_id);
	cJSON_AddStringToObject(obj, "phase", ev->phase);
	cJSON_AddStringToObject(obj, "type", ev->type);
	cJSON_AddStringToObject(obj, "severity", ev->severity);
	add_ts(obj, "start", ev->start_ms);
	if (ev->end_ms)
		add_ts(obj, "end", ev->end_ms);
	if (ev->source)
		cJSON_AddStringToObject(obj, "source", ev->source);
	if (ev->zone)
		cJSON_AddStringToObject(obj, "zone", ev->zone);
	if (ev->has_peak)
		cJSON_AddNumberToObject(obj, "peak", ev->peak);
	if (ev->unit)
		cJSON_AddStringToObject(obj, "unit", ev->unit);
	if (ev->end_ms)
		cJSON_AddNumberToObject(
		    obj, "duration_s",
		    (ev->end_ms > ev->start_ms ? ev->end_ms - ev->start_ms : 0) / 1000.0);
	if (ev->n_dropped)
		add_ranges(obj, "dropped", ev->dropped, ev->n_dropped);
	if (ev->message)
		cJSON_AddStringToObject(obj, "message", ev->message);
	return obj;
}

cJSON *message_status(const struct envelope *e, const struct status_info *st)
{
	cJSON *obj = new_message(e);

	cJSON_AddStringToObject(obj, "state", st->online ? "online" : "offline");
	if (st->version)
		cJSON_AddStringToObject(obj, "version", st->version);
	if (st->started_ms)
		add_ts(obj, "started", st->started_ms);
	if (st->health) {
		const struct status_health *h = st->health;
		cJSON *ho = cJSON_AddObjectToObject(obj, "health");

		cJSON_AddNumberToObject(ho, "outbox_depth", (double)h->outbox_depth);
		cJSON_AddNumberToObject(ho, "oldest_unacked_s", h->oldest_unacked_s);
		cJSON_AddNumberToObject(ho, "resends", (double)h->resends);
		cJSON_AddNumberToObject(ho, "evictions", (double)h->evictions);
		cJSON_AddNumberToObject(ho, "disk_used_bytes", (double)h->disk_used_bytes);
		cJSON_AddNumberToObject(ho, "disk_budget_bytes", (double)h->disk_budget_bytes);
	}
	if (st->sensors) {
		cJSON *arr = cJSON_AddArrayToObject(obj, "sensors");

		for (size_t i = 0; i < st->n_sensors; i++) {
			cJSON *so = cJSON_CreateObject();

			cJSON_AddStringToObject(so, "id", st->sensors[i].id);
			cJSON_AddStringToObject(so, "kind", st->sensors[i].kind);
			cJSON_AddStringToObject(so, "state", st->sensors[i].fault ? "fault" : "ok");
			cJSON_AddItemToArray(arr, so);
		}
	}
	if (st->cert) {
		cJSON *co = cJSON_AddObjectToObject(obj, "certificate");

		cJSON_AddStringToObject(co, "serial", st->cert->serial);
		add_ts(co, "not_after", st->cert->not_after_ms);
	}
	if (st->cameras) {
		cJSON *arr = cJSON_AddArrayToObject(obj, "cameras");

		for (size_t i = 0; i < st->n_cameras; i++) {
			cJSON *co = cJSON_CreateObject();

			cJSON_AddStringToObject(co, "id", st->cameras[i].id);
			cJSON_AddStringToObject(co, "state", st->cameras[i].state);
			cJSON_AddItemToArray(arr, co);
		}
	}
	return obj;
}

cJSON *message_ack(const struct envelope *e, const struct ack_info *a)
{
	cJSON *obj = new_message(e);

	cJSON_AddStringToObject(obj, "box", a->box);
	cJSON_AddNumberToObject(obj, "acked", (double)a->acked);
	cJSON_AddNumberToObject(obj, "max_seen", (double)a->max_seen);
	add_ranges(obj, "missing", a->missing, a->n_missing);
	if (a->n_verified) {
		cJSON *arr = cJSON_AddArrayToObject(obj, "clips_verified");

		for (size_t i = 0; i < a->n_verified; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateString(a->clips_verified[i]));
	}
	if (a->n_clips_missing) {
		cJSON *arr = cJSON_AddArrayToObject(obj, "clips_missing");

		for (size_t i = 0; i < a->n_clips_missing; i++) {
			const struct ack_clip_missing *cm = &a->clips_missing[i];
			cJSON *item = cJSON_CreateObject();

			cJSON_AddStringToObject(item, "clip_id", cm->clip_id);
			cJSON_AddItemToObject(item, "chunks",
					      cJSON_CreateIntArray(cm->chunks, (int)cm->n_chunks));
			cJSON_AddItemToArray(arr, item);
		}
	}
	return obj;
}

static void add_opt(cJSON *obj, const char *key, const char *text)
{
	if (text)
		cJSON_AddStringToObject(obj, key, text);
}

cJSON *message_alert(const struct envelope *e, const struct alert_info *a)
{
	cJSON *obj = new_message(e);
	cJSON *est;

	cJSON_AddStringToObject(obj, "alert_id", a->alert_id);
	cJSON_AddStringToObject(obj, "event_id", a->event_id);
	cJSON_AddStringToObject(obj, "box", a->box);
	cJSON_AddStringToObject(obj, "district", a->district);
	est = cJSON_AddObjectToObject(obj, "establishment");
	cJSON_AddStringToObject(est, "licence", a->licence);
	cJSON_AddStringToObject(est, "name", a->name);
	cJSON_AddStringToObject(obj, "type", a->type);
	cJSON_AddStringToObject(obj, "severity", a->severity);
	cJSON_AddStringToObject(obj, "start", a->start);
	add_opt(obj, "zone", a->zone);
	add_opt(obj, "source", a->source);
	add_opt(obj, "snapshot", a->snapshot);
	add_opt(obj, "clip", a->clip);
	add_opt(obj, "message", a->message);
	return obj;
}

const char *const message_cmd_actions[] = {
	[CMD_PING] = "ping",	 [CMD_SNAPSHOT] = "snapshot", [CMD_UPLOAD_RANGE] = "upload_range",
	[CMD_CONFIG] = "config", [CMD_RESEND] = "resend",     [CMD_LIVE] = "live",
	[CMD_LIVE_STOP] = "live_stop", NULL,
};

cJSON *message_cmd(const struct envelope *e, const struct cmd_info *c)
{
	cJSON *obj = new_message(e);
	cJSON *args;

	cJSON_AddStringToObject(obj, "cmd_id", c->cmd_id);
	cJSON_AddStringToObject(obj, "box", c->box);
	cJSON_AddStringToObject(obj, "action", message_cmd_actions[c->action]);
	if (c->camera) {
		args = cJSON_AddObjectToObject(obj, "args");
		cJSON_AddStringToObject(args, "camera", c->camera);
		if (c->action == CMD_UPLOAD_RANGE) {
			add_ts(args, "from", c->from_ms);
			add_ts(args, "to", c->to_ms);
		}
		if (c->action == CMD_LIVE)
			cJSON_AddNumberToObject(args, "lease", c->lease_s);
	}
	return obj;
}

const char *const message_live_states[] = {
	[LIVE_STARTING] = "starting", [LIVE_REFUSED] = "refused", [LIVE_ENDED] = "ended", NULL
};

cJSON *message_live(const struct envelope *e, const struct live_info *l)
{
	cJSON *obj = new_message(e);

	cJSON_AddStringToObject(obj, "camera", l->camera);
	cJSON_AddStringToObject(obj, "state", message_live_states[l->state]);
	add_opt(obj, "why", l->why);
	add_opt(obj, "codec", l->codec);
	cJSON_AddNumberToObject(obj, "streams", l->streams);
	cJSON_AddNumberToObject(obj, "max_streams", l->max_streams);
	return obj;
}

/* --- tasks and reports (schemas/task.json, report.json) ---------------- */

const char *const message_task_states[] = { "dispatched", "cancelled", NULL };
const char *const message_task_kinds[] = { "routine", "special", "alert", "followup", NULL };
const char *const message_report_kinds[] = { "state", "record", "penalty", NULL };
const char *const message_report_states[] = { "received", "in_progress", "submitted", NULL };
const char *const message_payments[] = { "on_the_spot", "bank", NULL };
static const char *const record_results[] = { "compliant", "basically_compliant", "non_compliant",
					      NULL };
static const char *const replies[] = { "yes", "no", "na", NULL };

static void add_strings(cJSON *obj, const char *key, const char *const *v, size_t n)
{
	cJSON *arr = cJSON_AddArrayToObject(obj, key);

	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(v[i]));
}

cJSON *message_task(const struct envelope *e, const struct task_info *t)
{
	cJSON *obj = new_message(e);
	cJSON *est;

	cJSON_AddStringToObject(obj, "task_id", t->task_id);
	cJSON_AddStringToObject(obj, "state", t->state);
	est = cJSON_AddObjectToObject(obj, "establishment");
	cJSON_AddStringToObject(est, "licence", t->licence);
	cJSON_AddStringToObject(est, "name", t->name);
	add_opt(est, "address", t->address);
	add_opt(est, "district", t->district);
	add_opt(est, "category", t->category);
	cJSON_AddStringToObject(obj, "kind", t->kind);
	cJSON_AddStringToObject(obj, "due", t->due);
	add_strings(obj, "inspectors", t->inspectors, t->n_inspectors);
	if (t->reason)
		add_strings(obj, "reason", t->reason, t->n_reason);
	add_opt(obj, "checklist", t->checklist);
	add_opt(obj, "note", t->note);
	return obj;
}

static void add_record(cJSON *obj, const struct report_record *r)
{
	cJSON *rec = cJSON_AddObjectToObject(obj, "record");
	cJSON *cl = cJSON_AddObjectToObject(rec, "checklist");
	cJSON *answers;

	cJSON_AddStringToObject(cl, "id", r->checklist_id);
	cJSON_AddNumberToObject(cl, "version", (double)r->checklist_version);
	answers = cJSON_AddArrayToObject(rec, "answers");
	for (size_t i = 0; i < r->n_answers; i++) {
		const struct report_answer *a = &r->answers[i];
		cJSON *ao = cJSON_CreateObject();

		cJSON_AddStringToObject(ao, "item", a->item);
		cJSON_AddStringToObject(ao, "answer", a->answer);
		add_opt(ao, "note", a->note);
		if (a->photos)
			add_strings(ao, "photos", a->photos, a->n_photos);
		cJSON_AddItemToArray(answers, ao);
	}
	cJSON_AddStringToObject(rec, "result", r->result);
	add_strings(rec, "inspectors", r->inspectors, r->n_inspectors);
	cJSON_AddStringToObject(rec, "time", r->time);
	cJSON_AddStringToObject(rec, "place", r->place);
	cJSON_AddStringToObject(rec, "facts", r->facts);
	add_opt(rec, "deadline", r->deadline);
}

static void add_penalty(cJSON *obj, const struct report_penalty *p)
{
	cJSON *po = cJSON_AddObjectToObject(obj, "penalty");

	cJSON_AddStringToObject(po, "party", p->party);
	cJSON_AddStringToObject(po, "party_type", p->party_type);
	cJSON_AddStringToObject(po, "penalty_type", p->penalty_type);
	cJSON_AddNumberToObject(po, "amount_cny", p->amount_cny);
	cJSON_AddStringToObject(po, "violation", p->violation);
	cJSON_AddStringToObject(po, "legal_basis", p->legal_basis);
	add_opt(po, "payment", p->payment);
	add_opt(po, "decision_number", p->decision_number);
	add_opt(po, "time", p->time);
	add_opt(po, "place", p->place);
	cJSON_AddBoolToObject(po, "refused_to_sign", p->refused_to_sign);
}

cJSON *message_report(const struct envelope *e, const struct report_info *r)
{
	cJSON *obj = new_message(e);

	cJSON_AddStringToObject(obj, "task_id", r->task_id);
	cJSON_AddStringToObject(obj, "kind", r->kind);
	if (r->state)
		cJSON_AddStringToObject(obj, "state", r->state);
	if (r->record)
		add_record(obj, r->record);
	if (r->penalty)
		add_penalty(obj, r->penalty);
	return obj;
}

/* --- validators ------------------------------------------------------- */

#define SEQ_MAX INT64_C(9007199254740991)

bool message_event_about_box(const char *type)
{
	static const char *const types[] = {
		"camera_offline", "sensor_fault", "data_dropped", "evidence_request",
		"cert_expiring",  "selftest",	  NULL,
	};

	for (const char *const *t = types; *t; t++) {
		if (!strcmp(*t, type))
			return true;
	}
	return false;
}

static const char *const status_states[] = { "offline", "online", NULL };
static const char *const sensor_states[] = { "ok", "fault", NULL };
static const char *const camera_states[] = { "recording", "offline", "disabled", NULL };
static const char *const severities[] = { "info", "warning", "critical", NULL };

static bool validate_health(struct jcheck *jc, const cJSON *h)
{
	static const char *const keys[] = {
		"outbox_depth",	   "oldest_unacked_s",	"resends", "evictions",
		"disk_used_bytes", "disk_budget_bytes", NULL
	};
	double age;

	jc_prefix(jc, "health.");
	jc_only_keys(jc, h, keys);
	jc_int(jc, h, "outbox_depth", false, 0, SEQ_MAX, NULL);
	if (jc_number(jc, h, "oldest_unacked_s", false, &age) && age < 0)
		jc_fail(jc, "field 'health.oldest_unacked_s': negative");
	jc_int(jc, h, "resends", false, 0, SEQ_MAX, NULL);
	jc_int(jc, h, "evictions", false, 0, SEQ_MAX, NULL);
	jc_int(jc, h, "disk_used_bytes", false, 0, SEQ_MAX, NULL);
	jc_int(jc, h, "disk_budget_bytes", false, 0, SEQ_MAX, NULL);
	jc_prefix(jc, "%s", "");
	return jc_ok(jc);
}

static void validate_cert(struct jcheck *jc, const cJSON *c, struct message *m)
{
	static const char *const keys[] = { "serial", "not_after", NULL };
	const char *serial;

	jc_prefix(jc, "certificate.");
	jc_only_keys(jc, c, keys);
	serial = jc_string(jc, c, "serial", true, 64);
	if (serial && (!*serial || strspn(serial, "0123456789ABCDEF") != strlen(serial)))
		jc_fail(jc, "field 'certificate.serial': not upper-case hex");
	m->u.status.cert_serial = serial;
	m->u.status.cert_not_after = jc_timestamp(jc, c, "not_after", true);
	jc_prefix(jc, "%s", "");
}

static bool validate_status(struct jcheck *jc, const cJSON *root, struct message *m)
{
	static const char *const keys[] = { ENVELOPE_KEYS, "state",	  "version",
					    "started",	   "health",	  "sensors",
					    "cameras",	   "certificate", NULL };
	static const char *const sensor_keys[] = { "id", "kind", "state", NULL };
	static const char *const camera_keys[] = { "id", "state", NULL };
	const cJSON *health, *cert, *sensors, *cameras, *item;
	int i = 0;

	jc_only_keys(jc, root, keys);
	m->u.status.online = jc_enum(jc, root, "state", true, status_states) == 1;
	m->u.status.version = jc_string(jc, root, "version", false, 64);
	jc_timestamp(jc, root, "started", false);
	health = jc_object(jc, root, "health", false);
	if (health)
		validate_health(jc, health);
	cert = jc_object(jc, root, "certificate", false);
	if (cert)
		validate_cert(jc, cert, m);
	sensors = jc_array(jc, root, "sensors", false, 0, 256);
	cJSON_ArrayForEach (item, sensors) {
		jc_prefix(jc, "sensors[%d].", i++);
		if (!cJSON_IsObject(item))
			jc_fail(jc, "field '%s': expected an object", jc->prefix);
		jc_only_keys(jc, item, sensor_keys);
		jc_ident(jc, item, "id", true, NULL, 63);
		jc_enum(jc, item, "kind", true, message_sensor_kinds);
		jc_enum(jc, item, "state", true, sensor_states);
	}
	jc_prefix(jc, "%s", "");
	cameras = jc_array(jc, root, "cameras", false, 0, 256);
	i = 0;
	cJSON_ArrayForEach (item, cameras) {
		jc_prefix(jc, "cameras[%d].", i++);
		if (!cJSON_IsObject(item))
			jc_fail(jc, "field '%s': expected an object", jc->prefix);
		jc_only_keys(jc, item, camera_keys);
		jc_ident(jc, item, "id", true, NULL, 63);
		jc_enum(jc, item, "state", true, camera_states);
	}
	jc_prefix(jc, "%s", "");
	return jc_ok(jc);
}

static bool validate_reading(struct jcheck *jc, const cJSON *root, struct message *m)
{
	static const char *const keys[] = { ENVELOPE_KEYS, "readings", NULL };
	static const char *const sample_keys[] = { "sensor", "kind", "t", "value", "unit", NULL };
	const cJSON *items, *item;
	int i = 0;

	jc_only_keys(jc, root, keys);
	if (m->env.seq < 1)
		jc_fail(jc, "field 'seq': stream messages start at 1");
	items = jc_array(jc, root, "readings", true, 1, MESSAGE_MAX_READINGS);
	cJSON_ArrayForEach (item, items) {
		jc_prefix(jc, "readings[%d].", i++);
		if (!cJSON_IsObject(item))
			jc_fail(jc, "field '%s': expected an object", jc->prefix);
		jc_only_keys(jc, item, sample_keys);
		jc_ident(jc, item, "sensor", true, NULL, 63);
		jc_enum(jc, item, "kind", true, message_sensor_kinds);
		jc_timestamp(jc, item, "t", true);
		jc_number(jc, item, "value", true, NULL);
		jc_string(jc, item, "unit", true, 16);
	}
	jc_prefix(jc, "%s", "");
	m->u.reading.items = items;
	return jc_ok(jc);
}

/* An array of [first, last] seq ranges with 1 <= first <= last. */
static const cJSON *validate_ranges(struct jcheck *jc, const cJSON *root, const char *key,
				    bool required)
{
	const cJSON *arr = jc_array(jc, root, key, required, 0, MESSAGE_MAX_RANGES);
	const cJSON *pair;
	int i = 0;

	cJSON_ArrayForEach (pair, arr) {
		const cJSON *a = cJSON_GetArrayItem(pair, 0), *b = cJSON_GetArrayItem(pair, 1);

		/* the range before the casts: converting a double outside int64_t's
		 * range (1e300, inf) is undefined behaviour */
		if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 || !cJSON_IsNumber(a) ||
		    !cJSON_IsNumber(b) ||
		    !(a->valuedouble >= 1 && a->valuedouble <= b->valuedouble &&
		      b->valuedouble <= (double)SEQ_MAX) ||
		    a->valuedouble != (double)(int64_t)a->valuedouble ||
		    b->valuedouble != (double)(int64_t)b->valuedouble)
			jc_fail(jc,
				"field '%s[%d]': expected [first, last] with 1 <= first <= last",
				key, i);
		i++;
	}
	return jc_ok(jc) ? arr : NULL;
}

static bool validate_event(struct jcheck *jc, const cJSON *root, struct message *m)
{
	static const char *const keys[] = { ENVELOPE_KEYS, "event_id", "phase", "type",
					    "severity",	   "start",    "end",	"source",
					    "zone",	   "peak",     "unit",	"duration_s",
					    "dropped",	   "message",  NULL };
	static const char *const phases[] = { "open", "update", "close", NULL };
	double duration;
	int phase, severity;

	jc_only_keys(jc, root, keys);
	if (m->env.seq < 1)
		jc_fail(jc, "field 'seq': stream messages start at 1");
	m->u.event.event_id = jc_ident(jc, root, "event_id", true, ":", 128);
	phase = jc_enum(jc, root, "phase", true, phases);
	m->u.event.type = jc_string(jc, root, "type", true, 64);
	if (m->u.event.type && !jc_is_event_type(m->u.event.type))
		jc_fail(jc, "field 'type': '%.40s' is not lowercase letters, digits and _",
			m->u.event.type);
	severity = jc_enum(jc, root, "severity", true, severities);
	m->u.event.start = jc_timestamp(jc, root, "start", true);
	m->u.event.end = jc_timestamp(jc, root, "end", phase == 2);
	m->u.event.source = jc_ident(jc, root, "source", false, NULL, 63);
	m->u.event.zone = jc_string(jc, root, "zone", false, 64);
	m->u.event.has_peak = jc_number(jc, root, "peak", false, &m->u.event.peak);
	m->u.event.unit = jc_string(jc, root, "unit", false, 16);
	if (jc_number(jc, root, "duration_s", false, &duration) && duration < 0)
		jc_fail(jc, "field 'duration_s': negative");
	m->u.event.dropped = validate_ranges(jc, root, "dropped", false);
	m->u.event.message = jc_string(jc, root, "message", false, 512);
	if (!jc_ok(jc))
		return false;
	m->u.event.phase = phases[phase];
	m->u.event.severity = severities[severity];
	return true;
}

static bool validate_ack(struct jcheck *jc, const cJSON *root, struct message *m)
{
	static const char *const keys[] = { ENVELOPE_KEYS,   "box",	"acked",
					    "max_seen",	     "missing", "clips_verified",
					    "clips_missing", NULL };
	const cJSON *item;
	int i = 0;

	jc_only_keys(jc, root, keys);
	m->u.ack.box = jc_string(jc, root, "box", true, ENVELOPE_ID_MAX);
	jc_int(jc, root, "acked", true, 0, SEQ_MAX, &m->u.ack.acked);
	jc_int(jc, root, "max_seen", true, 0, SEQ_MAX, &m->u.ack.max_seen);
	validate_ranges(jc, root, "missing", true);
	if (jc_ok(jc) && envelope_party(m->u.ack.box) != PARTY_BOX &&
	    envelope_party(m->u.ack.box) != PARTY_HANDHELD)
		jc_fail(jc, "field 'box': not a box or handheld id");
	m->u.ack.clips_verified =
	    jc_array(jc, root, "clips_verified", false, 0, MESSAGE_MAX_ACK_CLIPS);
	cJSON_ArrayForEach (item, m->u.ack.clips_verified) {
		if (!cJSON_IsString(item) || !jc_is_ident(item->valuestring, ":", 128))
			jc_fail(jc, "field 'clips_verified[%d]': not a clip id", i);
		i++;
	}
	m->u.ack.clips_missing =
	    jc_array(jc, root, "clips_missing", false, 0, MESSAGE_MAX_ACK_CLIPS);
	i = 0;
	cJSON_ArrayForEach (item, m->u.ack.clips_missing) {
		static const char *const clip_keys[] = { "clip_id", "chunks", NULL };
		const cJSON *chunks, *n;
		int k = 0;

		jc_prefix(jc, "clips_missing[%d].", i++);
		if (!cJSON_IsObject(item)) {
			jc_fail(jc, "field 'clips_missing[%d]': not an object", i - 1);
			break;
		}
		jc_only_keys(jc, item, clip_keys);
		jc_ident(jc, item, "clip_id", true, ":", 128);
		chunks = jc_array(jc, item, "chunks", true, 0, MESSAGE_MAX_ACK_CHUNKS);
		cJSON_ArrayForEach (n, chunks) {
			if (!cJSON_IsNumber(n) || !(n->valuedouble >= 0 && n->valuedouble < 1e6) ||
			    n->valuedouble != (double)(int)n->valuedouble)
				jc_fail(jc,
					"field 'clips_missing[%d].chunks[%d]': not a chunk number",
					i - 1, k);
			k++;
		}
	}
	jc_prefix(jc, "%s", "");
	return jc_ok(jc);
}

static bool validate_alert(struct jcheck *jc, const cJSON *root, struct message *m)
{
	static const char *const keys[] = { ENVELOPE_KEYS, "alert_id",	    "event_id", "box",
					    "district",	   "establishment", "type",	"severity",
					    "start",	   "zone",	    "source",	"snapshot",
					    "clip",	   "message",	    NULL };
	static const char *const est_keys[] = { "licence", "name", NULL };
	const cJSON *est;

	jc_only_keys(jc, root, keys);
	m->u.alert.alert_id = jc_string(jc, root, "alert_id", true, 256);
	m->u.alert.event_id = jc_string(jc, root, "event_id", true, 256);
	m->u.alert.box = jc_string(jc, root, "box", true, ENVELOPE_ID_MAX);
	m->u.alert.district = jc_string(jc, root, "district", true, 6);
	est = jc_object(jc, root, "establishment", true);
	if (est) {
		jc_prefix(jc, "establishment.");
		jc_only_keys(jc, est, est_keys);
		m->u.alert.licence = jc_string(jc, est, "licence", true, 64);
		m->u.alert.name = jc_string(jc, est, "name", true, 256);
		jc_prefix(jc, "%s", "");
	}
	m->u.alert.type = jc_string(jc, root, "type", true, 64);
	jc_enum(jc, root, "severity", true, severities);
	m->u.alert.start = jc_timestamp(jc, root, "start", true);
	jc_string(jc, root, "zone", false, 64);
	jc_ident(jc, root, "source", false, NULL, 63);
	jc_string(jc, root, "snapshot", false, 512);
	jc_string(jc, root, "clip", false, 256);
	jc_string(jc, root, "message", false, 512);
	if (!jc_ok(jc))
		return false;
	m->u.alert.severity = cJSON_GetObjectItem(root, "severity")->valuestring;
	if (envelope_party(m->u.alert.box) != PARTY_BOX)
		jc_fail(jc, "field 'box': not a box id");
	else if (strlen(m->u.alert.district) != 6 || strspn(m->u.alert.district, "0123456789") != 6)
		jc_fail(jc, "field 'district': not 6 digits");
	else if (!jc_is_event_type(m->u.alert.type))
		jc_fail(jc, "field 'type': not an event type");
	else if (!m->u.alert.licence[0] || !m->u.alert.name[0] || !m->u.alert.alert_id[0] ||
		 !m->u.alert.event_id[0])
		jc_fail(jc, "an id or the establishment's licence or name is empty");
	return jc_ok(jc);
}

static bool validate_clip(struct jcheck *jc, const cJSON *root, struct message *m)
{
	struct clip_manifest cm;
	bool ok = manifest_read(jc, root, m->env.id, &cm);

	manifest_release(&cm);
	return ok;
}

static bool validate_cmd(struct jcheck *jc, const cJSON *root, struct message *m)
{
	static const char *const keys[] = {
		ENVELOPE_KEYS, "cmd_id", "box", "action", "args", NULL
	};
	static const char *const arg_keys[] = { "camera", "from", "to", "lease", NULL };
	int64_t lease = 0;
	const cJSON *args;
	const char *from = NULL, *to = NULL;
	int action;

	jc_only_keys(jc, root, keys);
	m->u.cmd.cmd_id = jc_ident(jc, root, "cmd_id", true, ":", 128);
	m->u.cmd.box = jc_string(jc, root, "box", true, ENVELOPE_ID_MAX);
	action = jc_enum(jc, root, "action", true, message_cmd_actions);
	args = jc_object(jc, root, "args", false);
	if (jc_ok(jc) && envelope_party(m->u.cmd.box) != PARTY_BOX)
		jc_fail(jc, "field 'box': not a box id");
	if (!jc_ok(jc))
		return false;
	m->u.cmd.action = (enum cmd_action)action;
	if (action != CMD_SNAPSHOT && action != CMD_UPLOAD_RANGE && action != CMD_LIVE &&
	    action != CMD_LIVE_STOP)
		return true;
	if (!args) {
		jc_fail(jc, "field 'args': required for %s", message_cmd_actions[action]);
		return false;
	}
	jc_prefix(jc, "args.");
	jc_only_keys(jc, args, arg_keys);
	m->u.cmd.camera = jc_ident(jc, args, "camera", true, NULL, 63);
	if (action == CMD_UPLOAD_RANGE) {
		from = jc_timestamp(jc, args, "from", true);
		to = jc_timestamp(jc, args, "to", true);
	}
	if (action == CMD_LIVE)
		jc_int(jc, args, "lease", true, MESSAGE_LIVE_LEASE_MIN, MESSAGE_LIVE_LEASE_MAX,
		       &lease);
	else if (cJSON_GetObjectItemCaseSensitive(args, "lease"))
		jc_fail(jc, "field 'args.lease': only for live");
	if (action != CMD_UPLOAD_RANGE &&
	    (cJSON_GetObjectItemCaseSensitive(args, "from") ||
	     cJSON_GetObjectItemCaseSensitive(args, "to")))
		jc_fail(jc, "field 'args': from and to are only for upload_range");
	m->u.cmd.lease_s = (int)lease;
	jc_prefix(jc, "%s", "");
	if (!jc_ok(jc) || action != CMD_UPLOAD_RANGE)
		return jc_ok(jc);
	clock_parse_ts(from, &m->u.cmd.from_ms);
	clock_parse_ts(to, &m->u.cmd.to_ms);
	if (m->u.cmd.to_ms <= m->u.cmd.from_ms)
		jc_fail(jc, "field 'args.to': not after 'args.from'");
	else if (m->u.cmd.to_ms - m->u.cmd.from_ms > MESSAGE_MAX_RANGE_MS)
		jc_fail(jc, "field 'args.to': the range is longer than %d minutes",
			MESSAGE_MAX_RANGE_MS / 60000);
	return jc_ok(jc);
}

static bool validate_live(struct jcheck *jc, const cJSON *root, struct message *m)
{
	static const char *const keys[] = {
		ENVELOPE_KEYS, "camera", "state", "why", "codec", "streams", "max_streams", NULL
	};
	int64_t streams = 0, max_streams = 0;
	int state;

	jc_only_keys(jc, root, keys);
	m->u.live.camera = jc_ident(jc, root, "camera", true, NULL, 63);
	state = jc_enum(jc, root, "state", true, message_live_states);
	m->u.live.why = jc_string(jc, root, "why", false, 512);
	m->u.live.codec = jc_ident(jc, root, "codec", false, ">", 32);
	jc_int(jc, root, "streams", true, 0, 16, &streams);
	jc_int(jc, root, "max_streams", true, 0, 16, &max_streams);
	if (!jc_ok(jc))
		return false;
	m->u.live.state = (enum live_state)state;
	m->u.live.streams = (int)streams;
	m->u.live.max_streams = (int)max_streams;
	if (state != LIVE_STARTING && !m->u.live.why)
		jc_fail(jc, "field 'why': required when the state is %s", message_live_states[state]);
	return jc_ok(jc);
}

/* YYYY-MM-DD by pattern, as envelope.json's "date". */
static const char *jc_date(struct jcheck *jc, const cJSON *obj, const char *key, bool required)
{
	const char *s = jc_string(jc, obj, key, required, 10);

	if (s && !(strlen(s) == 10 && strspn(s, "0123456789") == 4 && s[4] == '-' &&
		   strspn(s + 5, "0123456789") == 2 && s[7] == '-' &&
		   strspn(s + 8, "0123456789") == 2)) {
		jc_fail(jc, "field '%s%s': not a date like 2026-01-31", jc->prefix, key);
		return NULL;
	}
	return s;
}

/* A required string that must not be empty. */
static const char *jc_text(struct jcheck *jc, const cJSON *obj, const char *key, bool required,
			   size_t max_len)
{
	const char *s = jc_string(jc, obj, key, required, max_len);

	if (s && !*s) {
		jc_fail(jc, "field '%s%s': empty", jc->prefix, key);
		return NULL;
	}
	return s;
}

/* An array of 2..MESSAGE_MAX_INSPECTORS distinct handheld ids that
 * includes who (the topic's inspector, the reporting handheld). */
static const cJSON *validate_inspectors(struct jcheck *jc, const cJSON *obj, const char *who)
{
	const cJSON *arr = jc_array(jc, obj, "inspectors", true, 2, MESSAGE_MAX_INSPECTORS);
	const cJSON *item, *other;
	bool found = false;
	int i = 0;

	cJSON_ArrayForEach (item, arr) {
		if (!cJSON_IsString(item) || strlen(item->valuestring) > ENVELOPE_ID_MAX ||
		    envelope_party(item->valuestring) != PARTY_HANDHELD) {
			jc_fail(jc, "field '%sinspectors[%d]': not a handheld id (hh-…)",
				jc->prefix, i);
			return NULL;
		}
		for (other = arr->child; other != item; other = other->next) {
			if (strcmp(other->valuestring, item->valuestring) == 0) {
				jc_fail(jc, "field '%sinspectors[%d]': '%s' is listed twice",
					jc->prefix, i, item->valuestring);
				return NULL;
			}
		}
		found = found || strcmp(item->valuestring, who) == 0;
		i++;
	}
	if (arr && !found)
		jc_fail(jc, "field '%sinspectors': '%s' is not among them", jc->prefix, who);
	return jc_ok(jc) ? arr : NULL;
}

static bool validate_task(struct jcheck *jc, const cJSON *root, const char *inspector,
			  struct message *m)
{
	static const char *const keys[] = { ENVELOPE_KEYS, "task_id", "state",	    "establishment",
					    "kind",	   "due",     "inspectors", "reason",
					    "checklist",   "note",    NULL };
	static const char *const est_keys[] = { "licence",  "name",	"address",
						"district", "category", NULL };
	const cJSON *est, *item;
	int state, kind, i = 0;

	jc_only_keys(jc, root, keys);
	m->u.task.task_id = jc_text(jc, root, "task_id", true, 128);
	state = jc_enum(jc, root, "state", true, message_task_states);
	est = jc_object(jc, root, "establishment", true);
	if (est) {
		jc_prefix(jc, "establishment.");
		jc_only_keys(jc, est, est_keys);
		m->u.task.licence = jc_text(jc, est, "licence", true, 64);
		m->u.task.name = jc_text(jc, est, "name", true, 256);
		m->u.task.address = jc_string(jc, est, "address", false, 512);
		m->u.task.district = jc_string(jc, est, "district", false, 6);
		if (m->u.task.district && (strlen(m->u.task.district) != 6 ||
					   strspn(m->u.task.district, "0123456789") != 6))
			jc_fail(jc, "field 'establishment.district': not 6 digits");
		m->u.task.category = jc_ident(jc, est, "category", false, NULL, 63);
		jc_prefix(jc, "%s", "");
	}
	kind = jc_enum(jc, root, "kind", true, message_task_kinds);
	m->u.task.due = jc_date(jc, root, "due", true);
	m->u.task.inspectors = validate_inspectors(jc, root, inspector);
	m->u.task.reason = jc_array(jc, root, "reason", false, 0, MESSAGE_MAX_REASONS);
	cJSON_ArrayForEach (item, m->u.task.reason) {
		if (!cJSON_IsString(item) || !*item->valuestring || strlen(item->valuestring) > 256)
			jc_fail(jc, "field 'reason[%d]': not an alert id (1..256 bytes)", i);
		i++;
	}
	m->u.task.checklist = jc_ident(jc, root, "checklist", false, NULL, 63);
	m->u.task.note = jc_string(jc, root, "note", false, MESSAGE_MAX_TASK_NOTE);
	if (!jc_ok(jc))
		return false;
	m->u.task.state = message_task_states[state];
	m->u.task.kind = message_task_kinds[kind];
	return true;
}

static void validate_answers(struct jcheck *jc, const cJSON *rec, struct message *m)
{
	static const char *const answer_keys[] = { "item", "answer", "note", "photos", NULL };
	const cJSON *answers = jc_array(jc, rec, "answers", true, 1, MESSAGE_MAX_ANSWERS);
	const cJSON *a, *other, *photo;
	int i = 0, failed = 0, result;

	cJSON_ArrayForEach (a, answers) {
		const cJSON *photos;
		const char *item;
		int k = 0;

		jc_prefix(jc, "record.answers[%d].", i);
		if (!cJSON_IsObject(a)) {
			jc_fail(jc, "field 'record.answers[%d]': expected an object", i);
			break;
		}
		jc_only_keys(jc, a, answer_keys);
		item = jc_ident(jc, a, "item", true, NULL, 16);
		failed += jc_enum(jc, a, "answer", true, replies) == 1;
		jc_string(jc, a, "note", false, 2048);
		photos = jc_array(jc, a, "photos", false, 0, MESSAGE_MAX_PHOTOS);
		cJSON_ArrayForEach (photo, photos) {
			if (!cJSON_IsString(photo) || !jc_is_ident(photo->valuestring, ":", 128))
				jc_fail(jc,
					"field 'record.answers[%d].photos[%d]': not a photo "
					"reference",
					i, k);
			k++;
		}
		for (other = answers->child; item && other != a; other = other->next) {
			if (strcmp(cJSON_GetObjectItemCaseSensitive(other, "item")->valuestring,
				   item) == 0)
				jc_fail(jc,
					"field 'record.answers[%d].item': '%s' is answered twice",
					i, item);
		}
		if (!jc_ok(jc))
			break;
		i++;
	}
	jc_prefix(jc, "record.");
	result = jc_enum(jc, rec, "result", true, record_results);
	if (!jc_ok(jc))
		return;
	m->u.report.answers = answers;
	m->u.report.result = record_results[result];
	/* the only part of the result that needs no template: see checklist.h */
	if (failed && result == 0)
		jc_fail(jc, "field 'record.result': compliant, but %d item(s) answered no", failed);
	else if (!failed && result != 0)
		jc_fail(jc, "field 'record.result': %s, but no item answered no",
			record_results[result]);
}

static bool validate_record(struct jcheck *jc, const cJSON *root, struct message *m)
{
	static const char *const keys[] = { "checklist",  "answers",  "result",
					    "inspectors", "time",     "place",
					    "facts",	  "deadline", NULL };
	static const char *const cl_keys[] = { "id", "version", NULL };
	const cJSON *rec = jc_object(jc, root, "record", true), *cl;

	if (!rec)
		return false;
	jc_prefix(jc, "record.");
	jc_only_keys(jc, rec, keys);
	cl = jc_object(jc, rec, "checklist", true);
	if (cl) {
		jc_prefix(jc, "record.checklist.");
		jc_only_keys(jc, cl, cl_keys);
		m->u.report.checklist_id = jc_ident(jc, cl, "id", true, NULL, 63);
		jc_int(jc, cl, "version", true, 1, 1000000, &m->u.report.checklist_version);
		jc_prefix(jc, "record.");
	}
	validate_answers(jc, rec, m);
	jc_prefix(jc, "record.");
	m->u.report.inspectors = validate_inspectors(jc, rec, m->env.id);
	m->u.report.time = jc_timestamp(jc, rec, "time", true);
	m->u.report.place = jc_text(jc, rec, "place", true, 512);
	m->u.report.facts = jc_text(jc, rec, "facts", true, 16384);
	m->u.report.deadline = jc_date(jc, rec, "deadline", false);
	jc_prefix(jc, "%s", "");
	if (!jc_ok(jc))
		return false;
	if (!m->u.report.deadline && strcmp(m->u.report.result, "basically_compliant") == 0)
		jc_fail(jc, "field 'record.deadline': missing, required for basically_compliant");
	else if (m->u.report.deadline && strcmp(m->u.report.result, "compliant") == 0)
		jc_fail(jc, "field 'record.deadline': not allowed when compliant");
	return jc_ok(jc);
}

static bool validate_penalty(struct jcheck *jc, const cJSON *root, struct message *m)
{
	static const char *const keys[] = { "party",	  "party_type",	     "penalty_type",
					    "amount_cny", "violation",	     "legal_basis",
					    "payment",	  "decision_number", "time",
					    "place",	  "refused_to_sign", NULL };
	const cJSON *p = jc_object(jc, root, "penalty", true), *refused;
	struct penalty_decision d;
	char why[200];
	double amount = 0;
	int party, type, payment;

	if (!p)
		return false;
	jc_prefix(jc, "penalty.");
	jc_only_keys(jc, p, keys);
	m->u.report.party = jc_text(jc, p, "party", true, 256);
	party = jc_enum(jc, p, "party_type", true, penalty_party_names);
	type = jc_enum(jc, p, "penalty_type", true, penalty_type_names);
	jc_number(jc, p, "amount_cny", true, &amount);
	m->u.report.violation = jc_text(jc, p, "violation", true, 2048);
	m->u.report.legal_basis = jc_text(jc, p, "legal_basis", true, 1024);
	payment = jc_enum(jc, p, "payment", false, message_payments);
	m->u.report.decision_number =
	    jc_text(jc, p, "decision_number", false, PENALTY_NUMBER_MAX - 1);
	jc_timestamp(jc, p, "time", false);
	jc_text(jc, p, "place", false, 512);
	refused = cJSON_GetObjectItemCaseSensitive(p, "refused_to_sign");
	if (refused && !cJSON_IsBool(refused))
		jc_fail(jc, "field 'penalty.refused_to_sign': expected true or false");
	jc_prefix(jc, "%s", "");
	if (!jc_ok(jc))
		return false;
	if (penalty_check((enum penalty_party)party, (enum penalty_type)type, amount, &d, why,
			  sizeof why) < 0) {
		/* penalty.c says "amount: …"; the field name replaces that */
		jc_fail(jc, "field 'penalty.amount_cny': %s",
			strncmp(why, "amount: ", 8) == 0 ? why + 8 : why);
		return false;
	}
	if (type == PENALTY_FINE && payment < 0)
		jc_fail(jc, "field 'penalty.payment': missing, required for a fine");
	else if (type == PENALTY_WARNING && payment >= 0)
		jc_fail(jc, "field 'penalty.payment': not allowed for a warning");
	else if (payment == 0 && !d.cash_allowed)
		jc_fail(jc,
			"field 'penalty.payment': on_the_spot only up to 100 CNY; "
			"else bank, within %d days",
			PENALTY_PAYMENT_DAYS);
	if (!jc_ok(jc))
		return false;
	m->u.report.party_type = penalty_party_names[party];
	m->u.report.penalty_type = penalty_type_names[type];
	m->u.report.amount_fen = d.amount_fen;
	m->u.report.payment = payment >= 0 ? message_payments[payment] : NULL;
	m->u.report.refused_to_sign = cJSON_IsTrue(refused);
	return true;
}

static bool validate_report(struct jcheck *jc, const cJSON *root, struct message *m)
{
	static const char *const keys[] = { ENVELOPE_KEYS, "task_id", "kind", "state",
					    "record",	   "penalty", NULL };
	static const char *const members[] = { "state", "record", "penalty" };
	int kind, state;

	jc_only_keys(jc, root, keys);
	m->u.report.task_id = jc_text(jc, root, "task_id", true, 128);
	kind = jc_enum(jc, root, "kind", true, message_report_kinds);
	if (!jc_ok(jc))
		return false;
	m->u.report.kind = message_report_kinds[kind];
	for (int k = 0; k < 3; k++) {
		if (k != kind && cJSON_GetObjectItemCaseSensitive(root, members[k]))
			jc_fail(jc, "field '%s': not allowed in a report of kind %s", members[k],
				members[kind]);
	}
	switch (kind) {
	case 0:
		state = jc_enum(jc, root, "state", true, message_report_states);
		if (jc_ok(jc))
			m->u.report.state = message_report_states[state];
		return jc_ok(jc);
	case 1:
		return jc_ok(jc) && validate_record(jc, root, m);
	default:
		return jc_ok(jc) && validate_penalty(jc, root, m);
	}
}

cJSON *message_parse(const char *payload, size_t len, char *err, size_t errlen)
{
	const char *end = NULL;
	cJSON *root;

	if (strlen(payload) != len) {
		snprintf(err, errlen, "payload contains a NUL byte at offset %zu", strlen(payload));
		return NULL;
	}
	/* cJSON takes any bytes in a string: what it lets through would be
	 * archived and break every JSON reader downstream (bkctl, the API) */
	if (!g_utf8_validate(payload, (gssize)len, &end)) {
		snprintf(err, errlen, "payload is not UTF-8 (byte %ld)", (long)(end - payload));
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)payload[i];

		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
			snprintf(err, errlen,
				 "malformed JSON: control character 0x%02X at byte %zu", c, i);
			return NULL;
		}
		/* every backslash of valid JSON starts an escape; cJSON would cut
		 * the string at a \u0000, storing less than was sent */
		if (c == '\\' && ++i < len && strncmp(payload + i, "u0000", 5) == 0) {
			snprintf(err, errlen, "payload has a \\u0000 (NUL) escape at byte %zu",
				 i - 1);
			return NULL;
		}
	}
	/* the terminating NUL is included so that trailing bytes are refused */
	root = cJSON_ParseWithLengthOpts(payload, len + 1, &end, 1);
	if (!root)
		snprintf(err, errlen, "malformed JSON at byte %ld",
			 end ? (long)(end - payload) : -1L);
	return root;
}

bool message_validate(const struct topic *t, const cJSON *root, struct message *m,
		      struct jcheck *jc)
{
	static const enum party senders[MSG_KIND_COUNT] = {
		[MSG_STATUS] = PARTY_BOX,   [MSG_READING] = PARTY_BOX,
		[MSG_EVENT] = PARTY_BOX,    [MSG_CLIP] = PARTY_BOX,
		[MSG_CHUNK] = PARTY_BOX,    [MSG_ACK] = PARTY_SERVICE,
		[MSG_CMD] = PARTY_SERVICE,  [MSG_ALERT] = PARTY_SERVICE,
		[MSG_TASK] = PARTY_SERVICE, [MSG_REPORT] = PARTY_HANDHELD,
		[MSG_LIVE] = PARTY_BOX,	    [MSG_LIVE_CHUNK] = PARTY_BOX,
	};

	memset(m, 0, sizeof *m);
	m->kind = t->kind;
	m->root = root;
	if (!envelope_read(jc, root, &m->env))
		return false;
	if (envelope_party(m->env.id) != senders[t->kind]) {
		jc_fail(jc, "field 'id': '%s' may not send %s messages", m->env.id,
			topic_kind_name(t->kind));
		return false;
	}
	/* A box or handheld speaks only in its own subtree; the broker's ACL
	 * enforces it too, this catches a misconfigured broker. */
	if ((senders[t->kind] == PARTY_BOX || t->kind == MSG_REPORT) &&
	    strcmp(m->env.id, t->owner) != 0) {
		jc_fail(jc, "field 'id': '%s' does not match the topic's '%s'", m->env.id,
			t->owner);
		return false;
	}
	switch (t->kind) {
	case MSG_STATUS:
		return validate_status(jc, root, m);
	case MSG_READING:
		return validate_reading(jc, root, m);
	case MSG_EVENT:
		return validate_event(jc, root, m);
	case MSG_CLIP:
		return validate_clip(jc, root, m);
	case MSG_ACK:
		if (!validate_ack(jc, root, m))
			return false;
		if (strcmp(m->u.ack.box, t->owner) != 0)
			jc_fail(jc, "field 'box': '%s' does not match the topic's '%s'",
				m->u.ack.box, t->owner);
		return jc_ok(jc);
	case MSG_ALERT:
		if (!validate_alert(jc, root, m))
			return false;
		if (strcmp(m->u.alert.district, t->owner) != 0)
			jc_fail(jc, "field 'district': '%s' does not match the topic's '%s'",
				m->u.alert.district, t->owner);
		return jc_ok(jc);
	case MSG_CMD:
		if (!validate_cmd(jc, root, m))
			return false;
		if (strcmp(m->u.cmd.box, t->owner) != 0)
			jc_fail(jc, "field 'box': '%s' does not match the topic's '%s'",
				m->u.cmd.box, t->owner);
		return jc_ok(jc);
	case MSG_TASK:
		return validate_task(jc, root, t->owner, m);
	case MSG_REPORT:
		return validate_report(jc, root, m);
	case MSG_LIVE:
		return validate_live(jc, root, m);
	default:
		jc_fail(jc, "message: %s messages are not handled by this build",
			topic_kind_name(t->kind));
		return false;
	}
}
