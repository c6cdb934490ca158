/*
 * fuzz_detection.c — libFuzzer target for a line of the local detections
 * interface (edge/detections.h), the one input there from outside the box.
 *
 * Input: the line's bytes, without its '\n' (NULs, any length: the socket
 * hands detection_parse what it read). Checked with fixed cameras and a
 * fixed clock; abort() when
 *   - a refusal's reason is empty or not printable ASCII (it becomes an
 *     answer line and a log line);
 *   - an accepted detection breaks the documented rules (a known type and
 *     camera, confidence 0..1, time in the window, detector an identifier,
 *     ref 1..128 bytes);
 *   - an accepted detection, printed again as JSON, does not parse back to
 *     the same values (the confidence: see near()).
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "detections.h"
#include "jcheck.h"

#define NOW INT64_C(1795593600000) /* 2026-11-25T08:00:00.000Z */

static const char *const cams[] = { "cam1", "cam-2", "kitchen.3", NULL };

static void fail(const char *what, const uint8_t *data, size_t size, const char *detail)
{
	fprintf(stderr, "fuzz_detection: %s\n  line: %.*s\n  detail: %s\n", what, (int)size,
		(const char *)data, detail ? detail : "");
	abort();
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/*
 * Equal as far as cJSON keeps numbers: 1.7.15 prints 15 significant digits
 * whenever its compare_double() finds them close enough, i.e. within
 * max(|a|, |b|) * DBL_EPSILON (DaveGamble/cJSON#758, #838; as in
 * fuzz_message.c), so a confidence may lose its last bit. Anything more is
 * a real change.
 */
static bool near(double a, double b)
{
	return a == b || fabs(a - b) <= fmax(fabs(a), fabs(b)) * DBL_EPSILON;
}

static bool known(const char *s, const char *const *list)
{
	for (int i = 0; list[i]; i++) {
		if (list[i] == s)
			return true;
	}
	return false;
}

/* Print d as a detection line; it must come back the same. */
static void round_trip(const struct detection *d, const uint8_t *data, size_t size)
{
	struct detection_parsed p2;
	char ts[CLOCK_TS_LEN], err[256];
	cJSON *o = cJSON_CreateObject();
	char *text;

	clock_format_ms(d->t_ms, ts);
	cJSON_AddStringToObject(o, "type", d->type);
	cJSON_AddStringToObject(o, "camera", d->camera);
	cJSON_AddNumberToObject(o, "confidence", d->confidence);
	cJSON_AddStringToObject(o, "time", ts);
	if (d->detector)
		cJSON_AddStringToObject(o, "detector", d->detector);
	if (d->ref)
		cJSON_AddStringToObject(o, "ref", d->ref);
	text = cJSON_PrintUnformatted(o);
	if (!text)
		fail("cannot print an accepted detection", data, size, NULL);
	if (!detection_parse(text, strlen(text), cams, NOW, &p2, err, sizeof err))
		fail("printed detection is refused", data, size, err);
	if (p2.d.type != d->type || p2.d.camera != d->camera || p2.d.t_ms != d->t_ms ||
	    !same_str(p2.d.detector, d->detector) || !same_str(p2.d.ref, d->ref))
		fail("detection changed in the round trip", data, size, text);
	if (!near(p2.d.confidence, d->confidence))
		fail("confidence changed in the round trip", data, size, text);
	cJSON_free(text);
	cJSON_Delete(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct detection_parsed p;
	char err[256];

	if (!detection_parse((const char *)data, size, cams, NOW, &p, err, sizeof err)) {
		if (!err[0])
			fail("refused without a reason", data, size, NULL);
		for (const char *s = err; *s; s++) {
			if (*s < 0x20 || *s > 0x7e)
				fail("reason is not printable ASCII", data, size, err);
		}
		return 0;
	}
	if (!known(p.d.type, detection_types) || !known(p.d.camera, cams))
		fail("unknown type or camera accepted", data, size, NULL);
	if (!(p.d.confidence >= 0 && p.d.confidence <= 1))
		fail("confidence out of range accepted", data, size, NULL);
	if (p.d.t_ms > NOW + DETECTION_FUTURE_MS || p.d.t_ms < NOW - DETECTION_PAST_MS)
		fail("time out of the window accepted", data, size, NULL);
	if (p.d.detector && !jc_is_ident(p.d.detector, NULL, DETECTION_DETECTOR_MAX))
		fail("detector is not an identifier", data, size, p.d.detector);
	if (p.d.ref && (!p.d.ref[0] || strlen(p.d.ref) > DETECTION_REF_MAX))
		fail("ref of a bad length accepted", data, size, p.d.ref);
	round_trip(&p.d, data, size);
	return 0;
}
