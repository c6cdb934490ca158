/*
 * envelope.h — the fields every brightkitchen message carries (DESIGN.md,
 * "Envelope"; schemas/envelope.json): v, id, seq, ts, mono, clock.
 *
 * Messages are flat JSON objects: the envelope's members sit beside the
 * message's own. Pure functions, thread-safe.
 */
#ifndef BK_ENVELOPE_H
#define BK_ENVELOPE_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "jcheck.h"

#define ENVELOPE_VERSION 1
#define ENVELOPE_ID_MAX	 67 /* "box-" + 63 characters */

/* What kind of party a sender id names, from its prefix. */
enum party { PARTY_BOX, PARTY_SERVICE, PARTY_HANDHELD, PARTY_REGULATOR, PARTY_INVALID };

struct envelope {
	char id[ENVELOPE_ID_MAX + 1];
	int64_t seq;
	char ts[CLOCK_TS_LEN];
	int64_t mono;
	bool synced;
};

/* Fill e with id, seq and the current clocks. id longer than the maximum is cut. */
void envelope_stamp(struct envelope *e, const char *id, int64_t seq);

/* Add the envelope members to obj (a cJSON object the caller owns). */
void envelope_add(cJSON *obj, const struct envelope *e);

/* Check and read the envelope members of obj; false with jc->error set. */
bool envelope_read(struct jcheck *jc, const cJSON *obj, struct envelope *e);

/* The party an id names ("box-…", "svc-…", "hh-…", "reg-…"), PARTY_INVALID if malformed. */
enum party envelope_party(const char *id);

/* NULL-terminated names of the envelope members, for jc_only_keys lists. */
#define ENVELOPE_KEYS "v", "id", "seq", "ts", "mono", "clock"

#endif
