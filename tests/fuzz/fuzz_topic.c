/*
 * fuzz_topic.c — libFuzzer target for topic_parse (common/topic.h), the
 * one parser of every received topic: the collector's ingest and its chunk
 * intake, the box's and the handheld's on_message.
 *
 * Input: the topic as a C string (Paho hands one over; bytes after a NUL are
 * not seen). abort() when
 *   - a refusal comes without a reason, or with a non-printable one;
 *   - an accepted topic names a kind the tree does not have, or an owner
 *     that breaks the id rules of its subtree: box/{box-…},
 *     hh/{hh-…}, box/{box-…}/ack or hh/{hh-…}/ack, alert/{district} (one
 *     level, no more than ENVELOPE_ID_MAX bytes); or a chunk whose clip id
 *     is not an identifier or whose number is out of 0..1000000;
 *   - an accepted topic is not the canonical one: topic_format (or
 *     topic_format_chunk) of what was parsed must give the input back;
 *   - format then parse loses something: the input read as (kind byte,
 *     owner, '\n', clip id, '\n', number) builds a topic for any owner that
 *     obeys the id rules, which must parse to the same kind, owner, clip id
 *     and number.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "jcheck.h"
#include "topic.h"

#define CHUNK_MAX 1000000 /* topic_parse's bound on a chunk number */

static void fail(const char *what, const char *topic, const char *detail)
{
	fprintf(stderr, "fuzz_topic: %s\n  topic: '%s'\n  detail: %s\n", what, topic,
		detail ? detail : "");
	abort();
}

/* The id rules (schemas/envelope.json, envelope_party) of the subtree a
 * kind lives in; an ack lives in both. A district: one level. */
static bool owner_ok(enum msg_kind kind, const char *owner)
{
	enum party p = envelope_party(owner);

	switch (kind) {
	case MSG_ALERT:
		return owner[0] && !strchr(owner, '/') && strlen(owner) <= ENVELOPE_ID_MAX;
	case MSG_TASK:
	case MSG_REPORT:
		return p == PARTY_HANDHELD;
	case MSG_ACK:
		return p == PARTY_HANDHELD || p == PARTY_BOX;
	default:
		return p == PARTY_BOX;
	}
}

static void format(char *buf, const struct topic *t)
{
	if (t->kind == MSG_CHUNK)
		topic_format_chunk(buf, t->owner, t->clip_id, (int)t->chunk);
	else if (t->kind == MSG_LIVE_CHUNK)
		topic_format_live(buf, t->owner, t->camera);
	else
		topic_format(buf, t->kind, t->owner);
}

/* Parse the input as a received topic; check what was accepted. */
static void check_parse(const char *text)
{
	struct topic t;
	char err[128] = "", again[TOPIC_MAX];

	memset(&t, 0xa5, sizeof t); /* topic_parse must fill it, whatever happens */
	if (!topic_parse(text, &t, err, sizeof err)) {
		if (!err[0])
			fail("refused without a reason", text, NULL);
		for (const char *c = err; *c; c++) {
			if (*c < 0x20 || *c > 0x7e)
				fail("reason is not printable ASCII", text, err);
		}
		return;
	}
	if (strlen(text) >= TOPIC_MAX || strncmp(text, TOPIC_PREFIX, strlen(TOPIC_PREFIX)) != 0)
		fail("accepted a topic outside " TOPIC_PREFIX " or too long", text, NULL);
	if ((unsigned)t.kind >= MSG_KIND_COUNT)
		fail("accepted with an unknown kind", text, NULL);
	if (!memchr(t.owner, '\0', sizeof t.owner) || !owner_ok(t.kind, t.owner))
		fail("accepted an owner that breaks the id rules", text, t.owner);
	if (t.kind == MSG_CHUNK && (!memchr(t.clip_id, '\0', sizeof t.clip_id) ||
				    !jc_is_ident(t.clip_id, ":", sizeof t.clip_id - 1) ||
				    t.chunk < 0 || t.chunk > CHUNK_MAX))
		fail("accepted a chunk with a bad clip id or number", text, t.clip_id);
	if (t.kind == MSG_LIVE_CHUNK && (!memchr(t.camera, '\0', sizeof t.camera) ||
					 !jc_is_ident(t.camera, NULL, sizeof t.camera - 1)))
		fail("accepted live video with a bad camera id", text, t.camera);
	format(again, &t);
	if (strcmp(again, text) != 0)
		fail("accepted a topic that is not canonical (format gives another)", text, again);
}

/* Build a topic from the input's parts; a valid one must parse back whole.
 * The owner may be longer than struct topic holds: the id rules decide. */
static void check_format(const uint8_t *data, size_t size)
{
	struct topic want = { 0 }, got;
	char owner[128] = "";
	char buf[TOPIC_MAX], err[128];
	const char *p, *end, *nl;
	size_t n;

	if (size < 1)
		return;
	want.kind = (enum msg_kind)(data[0] % MSG_KIND_COUNT);
	p = (const char *)data + 1;
	end = (const char *)data + size;
	nl = memchr(p, '\n', (size_t)(end - p));
	n = (size_t)((nl ? nl : end) - p);
	if (n >= sizeof owner || memchr(p, '\0', n))
		return;
	memcpy(owner, p, n);
	if (want.kind == MSG_CHUNK) {
		const char *clip = nl ? nl + 1 : end;
		const char *nl2 = memchr(clip, '\n', (size_t)(end - clip));
		size_t m = (size_t)((nl2 ? nl2 : end) - clip);
		char num[16] = "";

		if (m >= sizeof want.clip_id || memchr(clip, '\0', m))
			return;
		memcpy(want.clip_id, clip, m);
		if (nl2 && (size_t)(end - nl2 - 1) < sizeof num)
			memcpy(num, nl2 + 1, (size_t)(end - nl2 - 1));
		want.chunk = strtol(num, NULL, 10);
		if (!jc_is_ident(want.clip_id, ":", sizeof want.clip_id - 1) || want.chunk < 0 ||
		    want.chunk > CHUNK_MAX)
			return;
	}
	if (want.kind == MSG_LIVE_CHUNK) {
		const char *cam = nl ? nl + 1 : end;
		size_t m = (size_t)(end - cam);

		if (m >= sizeof want.camera || memchr(cam, '\0', m))
			return;
		memcpy(want.camera, cam, m);
		if (!jc_is_ident(want.camera, NULL, sizeof want.camera - 1))
			return;
	}
	if (!owner_ok(want.kind, owner))
		return;
	if (strlen(owner) > ENVELOPE_ID_MAX)
		fail("an id the rules allow does not fit struct topic", owner, NULL);
	memcpy(want.owner, owner, n + 1);
	format(buf, &want);
	if (!topic_parse(buf, &got, err, sizeof err))
		fail("a topic built for a valid owner does not parse", buf, err);
	if (got.kind != want.kind || strcmp(got.owner, want.owner) != 0 ||
	    (want.kind == MSG_CHUNK &&
	     (strcmp(got.clip_id, want.clip_id) != 0 || got.chunk != want.chunk)) ||
	    (want.kind == MSG_LIVE_CHUNK && strcmp(got.camera, want.camera) != 0))
		fail("a built topic parses to something else", buf, got.owner);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *)data, size);

	if (!text)
		return 0;
	check_parse(text);
	check_format(data, size);
	free(text);
	return 0;
}
