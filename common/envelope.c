/*
 * envelope.c — see envelope.h.
 */
#include "envelope.h"

#include <string.h>

static const char *const clock_states[] = { "unsynced", "synced", NULL };

void envelope_stamp(struct envelope *e, const char *id, int64_t seq)
{
	memset(e, 0, sizeof *e);
	strncpy(e->id, id, ENVELOPE_ID_MAX);
	e->seq = seq;
	clock_format_ms(clock_wall_ms(), e->ts);
	e->mono = clock_mono_ms();
	e->synced = clock_is_synced();
}

void envelope_add(cJSON *obj, const struct envelope *e)
{
	cJSON_AddNumberToObject(obj, "v", ENVELOPE_VERSION);
	cJSON_AddStringToObject(obj, "id", e->id);
	cJSON_AddNumberToObject(obj, "seq", (double)e->seq);
	cJSON_AddStringToObject(obj, "ts", e->ts);
	cJSON_AddNumberToObject(obj, "mono", (double)e->mono);
	cJSON_AddStringToObject(obj, "clock", clock_states[e->synced]);
}

enum party envelope_party(const char *id)
{
	static const struct {
		const char *prefix;
		enum party party;
	} parties[] = {
		{ "box-", PARTY_BOX },
		{ "svc-", PARTY_SERVICE },
		{ "hh-", PARTY_HANDHELD },
		{ "reg-", PARTY_REGULATOR },
	};

	for (size_t i = 0; i < sizeof parties / sizeof parties[0]; i++) {
		size_t n = strlen(parties[i].prefix);

		if (strncmp(id, parties[i].prefix, n) == 0 && jc_is_ident(id + n, NULL, 63))
			return parties[i].party;
	}
	return PARTY_INVALID;
}

bool envelope_read(struct jcheck *jc, const cJSON *obj, struct envelope *e)
{
	int64_t v = 0;
	const char *id;
	const char *ts;
	int clock;

	memset(e, 0, sizeof *e);
	if (!cJSON_IsObject(obj)) {
		jc_fail(jc, "message: expected a JSON object");
		return false;
	}
	if (jc_int(jc, obj, "v", true, 0, INT32_MAX, &v) && v != ENVELOPE_VERSION) {
		jc_fail(jc, "field 'v': unsupported version %lld (this build speaks %d)",
			(long long)v, ENVELOPE_VERSION);
		return false;
	}
	id = jc_string(jc, obj, "id", true, ENVELOPE_ID_MAX);
	if (id && envelope_party(id) == PARTY_INVALID)
		jc_fail(jc, "field 'id': '%.40s' is not a box-, svc-, hh- or reg- id", id);
	jc_int(jc, obj, "seq", true, 0, INT64_C(9007199254740991), &e->seq);
	ts = jc_timestamp(jc, obj, "ts", true);
	jc_int(jc, obj, "mono", true, 0, INT64_C(9007199254740991), &e->mono);
	clock = jc_enum(jc, obj, "clock", true, clock_states);
	if (!jc_ok(jc))
		return false;
	strcpy(e->id, id);
	strcpy(e->ts, ts);
	e->synced = clock == 1;
	return true;
}
