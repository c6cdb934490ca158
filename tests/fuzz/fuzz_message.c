/*
 * fuzz_message.c — libFuzzer target for a received MQTT message.
 *
 * Input: "topic\npayload" (the first '\n' splits them; no '\n' means an
 * empty payload). The payload goes through exactly the checks of the
 * collector's ingest(): topic_parse, max_payload, chunks refused,
 * message_parse (the NUL check and strict JSON, which the box uses too),
 * then message_validate. Every kind of the topic tree is reached (status,
 * reading, event, clip manifest, ack on box/ and hh/, cmd, alert, task,
 * report; the box's and the handheld's on_message run the same three steps).
 * A message that passes is printed again and must parse
 * and validate again with the same values (numbers: see near()), since
 * the collector prints what it received again (a status's health into the
 * archive, the seqs it acknowledges into acks). abort() otherwise.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "message.h"
#include "topic.h"

#define COLLECTOR_MAX_PAYLOAD (256 * 1024) /* collector_config.c's default */

static void fail(const char *what, const char *topic, const char *text, const char *detail)
{
	fprintf(stderr, "fuzz_message: %s\n  topic: %s\n  printed: %s\n  detail: %s\n", what, topic,
		text ? text : "(null)", detail ? detail : "");
	abort();
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/*
 * Equal as far as cJSON keeps numbers: 1.7.15 prints 15 significant digits
 * whenever its compare_double() finds them close enough, i.e. within
 * max(|a|, |b|) * DBL_EPSILON (DaveGamble/cJSON#758, #838). So integers of
 * 2^52 and more (seq up to 2^53 - 1) may come back 1 or 2 lower, and a double
 * may lose its last bit. That limit is known; anything more is a real change.
 */
static bool near(double a, double b)
{
	return a == b || fabs(a - b) <= fmax(fabs(a), fabs(b)) * DBL_EPSILON;
}

/* Print root, parse and validate it again; the result must carry the same values. */
static void round_trip(const char *topic, const struct topic *t, const struct message *m)
{
	struct jcheck jc = { 0 };
	struct message m2;
	const char *end = NULL;
	char *text = cJSON_PrintUnformatted(m->root);
	cJSON *root2;

	if (!text)
		fail("cannot print a validated message", topic, NULL, NULL);
	root2 = cJSON_ParseWithLengthOpts(text, strlen(text) + 1, &end, 1);
	if (!root2)
		fail("printed message does not parse", topic, text, end);
	if (!message_validate(t, root2, &m2, &jc))
		fail("printed message does not validate", topic, text, jc.error);
	if (strcmp(m->env.id, m2.env.id) || !near((double)m->env.seq, (double)m2.env.seq) ||
	    strcmp(m->env.ts, m2.env.ts) || !near((double)m->env.mono, (double)m2.env.mono) ||
	    m->env.synced != m2.env.synced || m->kind != m2.kind)
		fail("envelope changed in the round trip", topic, text, NULL);
	switch (t->kind) {
	case MSG_STATUS:
		if (m->u.status.online != m2.u.status.online ||
		    !same_str(m->u.status.version, m2.u.status.version))
			fail("status changed in the round trip", topic, text, NULL);
		break;
	case MSG_READING:
		if (cJSON_GetArraySize(m->u.reading.items) !=
		    cJSON_GetArraySize(m2.u.reading.items))
			fail("readings changed in the round trip", topic, text, NULL);
		break;
	case MSG_ACK:
		if (!same_str(m->u.ack.box, m2.u.ack.box) ||
		    !near((double)m->u.ack.acked, (double)m2.u.ack.acked) ||
		    !near((double)m->u.ack.max_seen, (double)m2.u.ack.max_seen))
			fail("ack changed in the round trip", topic, text, NULL);
		break;
	case MSG_EVENT:
		if (!same_str(m->u.event.event_id, m2.u.event.event_id) ||
		    !same_str(m->u.event.phase, m2.u.event.phase) ||
		    !same_str(m->u.event.start, m2.u.event.start) ||
		    !same_str(m->u.event.end, m2.u.event.end) ||
		    m->u.event.has_peak != m2.u.event.has_peak ||
		    (m->u.event.has_peak && !near(m->u.event.peak, m2.u.event.peak)))
			fail("event changed in the round trip", topic, text, NULL);
		break;
	case MSG_CMD:
		if (!same_str(m->u.cmd.cmd_id, m2.u.cmd.cmd_id) ||
		    !same_str(m->u.cmd.box, m2.u.cmd.box) ||
		    !same_str(m->u.cmd.camera, m2.u.cmd.camera) ||
		    m->u.cmd.action != m2.u.cmd.action || m->u.cmd.from_ms != m2.u.cmd.from_ms ||
		    m->u.cmd.to_ms != m2.u.cmd.to_ms)
			fail("cmd changed in the round trip", topic, text, NULL);
		break;
	case MSG_ALERT:
		if (!same_str(m->u.alert.alert_id, m2.u.alert.alert_id) ||
		    !same_str(m->u.alert.box, m2.u.alert.box) ||
		    !same_str(m->u.alert.district, m2.u.alert.district) ||
		    !same_str(m->u.alert.type, m2.u.alert.type) ||
		    !same_str(m->u.alert.start, m2.u.alert.start))
			fail("alert changed in the round trip", topic, text, NULL);
		break;
	case MSG_TASK:
		if (!same_str(m->u.task.task_id, m2.u.task.task_id) ||
		    !same_str(m->u.task.state, m2.u.task.state) ||
		    !same_str(m->u.task.due, m2.u.task.due) ||
		    cJSON_GetArraySize(m->u.task.inspectors) !=
			cJSON_GetArraySize(m2.u.task.inspectors))
			fail("task changed in the round trip", topic, text, NULL);
		break;
	case MSG_REPORT:
		if (!same_str(m->u.report.task_id, m2.u.report.task_id) ||
		    !same_str(m->u.report.kind, m2.u.report.kind) ||
		    !same_str(m->u.report.result, m2.u.report.result) ||
		    m->u.report.amount_fen != m2.u.report.amount_fen ||
		    cJSON_GetArraySize(m->u.report.answers) !=
			cJSON_GetArraySize(m2.u.report.answers))
			fail("report changed in the round trip", topic, text, NULL);
		break;
	default:
		break;
	}
	cJSON_Delete(root2);
	cJSON_free(text);
}

/* collector.c ingest(), minus the archive. */
static void as_collector(const char *topic, const char *payload, size_t len)
{
	struct topic t;
	struct message m;
	struct jcheck jc = { 0 };
	char err[128];
	cJSON *root;

	if (!topic_parse(topic, &t, err, sizeof err))
		return;
	if (len > COLLECTOR_MAX_PAYLOAD || t.kind == MSG_CHUNK)
		return;
	root = message_parse(payload, len, err, sizeof err);
	if (!root)
		return;
	if (message_validate(&t, root, &m, &jc))
		round_trip(topic, &t, &m);
	cJSON_Delete(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t topic_len = nl ? (size_t)(nl - data) : size;
	const uint8_t *payload = nl ? nl + 1 : data + size;
	size_t len = size - (size_t)(payload - data);
	char *topic = strndup((const char *)data, topic_len); /* Paho hands over a C string */
	char *terminated = malloc(len + 1); /* the collector's g_memdup2(payload, len + 1) */

	if (topic && terminated) {
		memcpy(terminated, payload, len);
		terminated[len] = '\0';
		as_collector(topic, terminated, len);
	}
	free(terminated);
	free(topic);
	return 0;
}
