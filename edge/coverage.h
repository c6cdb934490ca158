/*
 * coverage.h — what effective coverage is computed from: for each camera,
 * the minutes of video recorded in each closed hour, read from the segment
 * index and reported once per hour as readings of kind video_recorded
 * (sensor = the camera, t = the hour's start, unit min).
 *
 * An hour is reported once it is over and its last segment has had time to
 * close. The last hour reported is remembered per camera in the outbox, in
 * the transaction that commits the report, so a restart neither skips nor
 * (beyond a crash between the two) repeats one; should it repeat, the
 * centre keeps the largest value. Hours whose segments are gone (a box off
 * for longer than its retention) are not reported: the centre counts what
 * it never heard of as not recorded.
 */
#ifndef BK_COVERAGE_H
#define BK_COVERAGE_H

#include <stddef.h>
#include <stdint.h>

#include "message.h"
#include "outbox.h"

#define COVERAGE_HOUR_MS (3600 * INT64_C(1000))

/* Fill out (at most max) with camera's closed, unreported hours of
 * hour_ms each, oldest first, as of now_ms; *last gets the start of the
 * last hour filled in. Returns how many, or -EIO. out[i].sensor points to
 * camera, which must outlive out. */
int coverage_collect(struct outbox *o, const char *camera, int64_t segment_ms, int64_t hour_ms,
		     int64_t now_ms, struct reading_sample *out, size_t max, int64_t *last);

#endif
