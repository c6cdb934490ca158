/*
 * topic.c — see topic.h.
 */
#include "topic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[MSG_KIND_COUNT] = {
	[MSG_STATUS] = "status", [MSG_READING] = "reading", [MSG_EVENT] = "event",
	[MSG_CLIP] = "clip",	 [MSG_CHUNK] = "chunk",	    [MSG_ACK] = "ack",
	[MSG_CMD] = "cmd",	 [MSG_ALERT] = "alert",	    [MSG_TASK] = "task",
	[MSG_REPORT] = "report", [MSG_LIVE] = "live",	    [MSG_LIVE_CHUNK] = "live chunk",
};

const char *topic_kind_name(enum msg_kind kind)
{
	return kind < MSG_KIND_COUNT ? kind_names[kind] : "unknown";
}

void topic_format(char *buf, enum msg_kind kind, const char *owner)
{
	/* a handheld's acks live in its own subtree, like its tasks */
	bool hh = kind == MSG_TASK || kind == MSG_REPORT ||
		  (kind == MSG_ACK && envelope_party(owner) == PARTY_HANDHELD);
	const char *area = kind == MSG_ALERT ? "alert" : hh ? "hh" : "box";

	if (kind == MSG_ALERT)
		snprintf(buf, TOPIC_MAX, TOPIC_PREFIX "alert/%s", owner);
	else
		snprintf(buf, TOPIC_MAX, TOPIC_PREFIX "%s/%s/%s", area, owner, kind_names[kind]);
}

void topic_format_chunk(char *buf, const char *box, const char *clip_id, int n)
{
	snprintf(buf, TOPIC_MAX, TOPIC_PREFIX "box/%s/clip/%s/%d", box, clip_id, n);
}

void topic_format_live(char *buf, const char *box, const char *camera)
{
	snprintf(buf, TOPIC_MAX, TOPIC_PREFIX "box/%s/live/%s", box, camera);
}

/* Split text on '/' into at most max parts (in place in copy); returns the count. */
static int split(char *copy, char **parts, int max)
{
	int n = 0;
	char *save = NULL;

	for (char *p = copy;; p = NULL) {
		char *tok = strtok_r(p, "/", &save);

		if (!tok)
			break;
		if (n == max)
			return max + 1;
		parts[n++] = tok;
	}
	return n;
}

bool topic_parse(const char *text, struct topic *t, char *err, size_t errlen)
{
	char copy[TOPIC_MAX];
	char *parts[8];
	int n;
	size_t len = strlen(text);

	memset(t, 0, sizeof *t);
	if (len >= TOPIC_MAX || strncmp(text, TOPIC_PREFIX, strlen(TOPIC_PREFIX)) != 0 ||
	    strstr(text, "//") || text[len - 1] == '/') {
		snprintf(err, errlen, "topic is not under " TOPIC_PREFIX);
		return false;
	}
	memcpy(copy, text + strlen(TOPIC_PREFIX), len - strlen(TOPIC_PREFIX) + 1);
	n = split(copy, parts, 6);
	if (n == 2 && strcmp(parts[0], "alert") == 0) {
		t->kind = MSG_ALERT;
	} else if (n == 3 && strcmp(parts[0], "hh") == 0) {
		if (strcmp(parts[2], "task") == 0)
			t->kind = MSG_TASK;
		else if (strcmp(parts[2], "report") == 0)
			t->kind = MSG_REPORT;
		else if (strcmp(parts[2], "ack") == 0)
			t->kind = MSG_ACK;
		else
			goto unknown;
	} else if (n == 3 && strcmp(parts[0], "box") == 0) {
		int k;

		for (k = MSG_STATUS; k <= MSG_CMD; k++) {
			if (k != MSG_CHUNK && strcmp(parts[2], kind_names[k]) == 0)
				break;
		}
		if (k <= MSG_CMD)
			t->kind = (enum msg_kind)k;
		else if (strcmp(parts[2], "live") == 0)
			t->kind = MSG_LIVE;
		else
			goto unknown;
	} else if (n == 4 && strcmp(parts[0], "box") == 0 && strcmp(parts[2], "live") == 0) {
		if (!jc_is_ident(parts[3], NULL, sizeof t->camera - 1)) {
			snprintf(err, errlen, "topic has an invalid camera id");
			return false;
		}
		t->kind = MSG_LIVE_CHUNK;
		strcpy(t->camera, parts[3]);
	} else if (n == 5 && strcmp(parts[0], "box") == 0 && strcmp(parts[2], "clip") == 0) {
		char *end;

		if (!jc_is_ident(parts[3], ":", sizeof t->clip_id - 1)) {
			snprintf(err, errlen, "topic has an invalid clip id");
			return false;
		}
		t->chunk = strtol(parts[4], &end, 10);
		/* digits, no leading zero: one topic per chunk, as topic_format_chunk writes */
		if (*end || strspn(parts[4], "0123456789") != strlen(parts[4]) ||
		    (parts[4][0] == '0' && parts[4][1]) || t->chunk > 1000000) {
			snprintf(err, errlen, "topic has an invalid chunk number");
			return false;
		}
		t->kind = MSG_CHUNK;
		strcpy(t->clip_id, parts[3]);
	} else {
		goto unknown;
	}
	/* the owner is an id of its subtree's party (an ack's subtree follows
	 * its owner), so that topic_format of what was parsed gives text back */
	if (t->kind != MSG_ALERT &&
	    envelope_party(parts[1]) != (strcmp(parts[0], "hh") ? PARTY_BOX : PARTY_HANDHELD)) {
		snprintf(err, errlen, "topic names an invalid %s id",
			 strcmp(parts[0], "hh") ? "box" : "handheld");
		return false;
	}
	if (strlen(parts[1]) > ENVELOPE_ID_MAX) {
		snprintf(err, errlen, "topic names an id longer than %d bytes", ENVELOPE_ID_MAX);
		return false;
	}
	strcpy(t->owner, parts[1]);
	return true;
unknown:
	snprintf(err, errlen, "topic is not a known message kind");
	return false;
}
