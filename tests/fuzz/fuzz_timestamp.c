/*
 * fuzz_timestamp.c — libFuzzer target for clock_parse_ts, the parser behind
 * every "ts", "t", "start" and "end" of a received message.
 *
 * Two properties, abort() when either fails:
 *   - text → ms → text → ms: when clock_parse_ts accepts the input (as a C
 *     string), clock_format_ms of the result must parse back to the same ms.
 *     The format has four year digits, so only years 1970..9999 are held to
 *     it (the envelope never carries an earlier wall time).
 *   - ms → text → ms: the first 8 input bytes, as a time in 1970..9999,
 *     formatted and parsed again must give the same ms.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

#define MS_MAX INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */

static void check_round_trip(const char *origin, int64_t ms)
{
	char text[CLOCK_TS_LEN];
	int64_t back = -1;

	clock_format_ms(ms, text);
	if (!clock_parse_ts(text, &back) || back != ms) {
		fprintf(stderr, "fuzz_timestamp: '%s' -> %lld ms -> '%s' -> %lld ms\n", origin,
			(long long)ms, text, (long long)back);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *)data, size);
	int64_t ms;

	if (!text)
		return 0;
	if (clock_parse_ts(text, &ms) && ms >= 0 && ms <= MS_MAX)
		check_round_trip(text, ms);
	free(text);

	if (size >= 8) {
		uint64_t raw;
		char origin[32];

		memcpy(&raw, data, sizeof raw);
		ms = (int64_t)(raw % (uint64_t)(MS_MAX + 1));
		snprintf(origin, sizeof origin, "bytes %016llx", (unsigned long long)raw);
		check_round_trip(origin, ms);
	}
	return 0;
}
