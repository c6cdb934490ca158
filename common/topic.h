/*
 * topic.h — the MQTT topic tree of DESIGN.md ("Topics", prefix bk/v1):
 * building a topic for a message kind and parsing one back, strictly.
 * Pure functions, thread-safe.
 */
#ifndef BK_TOPIC_H
#define BK_TOPIC_H

#include <stdbool.h>
#include <stddef.h>

#include "envelope.h"

#define TOPIC_PREFIX "bk/v1/"
#define TOPIC_MAX    256

enum msg_kind {
	MSG_STATUS,  /* box/{box}/status */
	MSG_READING, /* box/{box}/reading */
	MSG_EVENT,   /* box/{box}/event */
	MSG_CLIP,    /* box/{box}/clip */
	MSG_CHUNK,   /* box/{box}/clip/{clip}/{n} (binary) */
	MSG_ACK,     /* box/{box}/ack, hh/{inspector}/ack */
	MSG_CMD,     /* box/{box}/cmd */
	MSG_ALERT,   /* alert/{district} */
	MSG_TASK,    /* hh/{inspector}/task */
	MSG_REPORT,  /* hh/{inspector}/report */
	MSG_LIVE,    /* box/{box}/live: where the box's live streams stand (JSON) */
	MSG_LIVE_CHUNK, /* box/{box}/live/{camera}: fragmented MP4 (binary) */
	MSG_KIND_COUNT
};

struct topic {
	enum msg_kind kind;
	char owner[ENVELOPE_ID_MAX + 1]; /* box id, inspector id or district */
	char clip_id[129];		 /* MSG_CHUNK only */
	long chunk;			 /* MSG_CHUNK only */
	char camera[64];		 /* MSG_LIVE_CHUNK only */
};

/* Name of a kind as in schemas/ ("reading"). */
const char *topic_kind_name(enum msg_kind kind);

/* Write the topic of a message of kind for owner into buf[TOPIC_MAX]. */
void topic_format(char *buf, enum msg_kind kind, const char *owner);
/* The topic of chunk n of a clip: bk/v1/box/{box}/clip/{clip}/{n}. */
void topic_format_chunk(char *buf, const char *box, const char *clip_id, int n);
/* The topic of a camera's live video: bk/v1/box/{box}/live/{camera}. */
void topic_format_live(char *buf, const char *box, const char *camera);

/* Parse a received topic; false with a reason in err[errlen] if it is not one of ours.
 * Accepted: box/… owned by a box id, hh/… by a handheld id, a chunk number
 * in decimal without leading zeros; topic_format of the result gives text. */
bool topic_parse(const char *text, struct topic *t, char *err, size_t errlen);

#endif
