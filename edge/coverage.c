/*
 * coverage.c — see coverage.h.
 */
#include "coverage.h"

#include <errno.h>

/* Wait this long after an hour's end (beyond a segment) for its last
 * segment to be closed and indexed. */
#define CLOSE_GRACE_MS 10000

int coverage_collect(struct outbox *o, const char *camera, int64_t segment_ms, int64_t hour_ms,
		     int64_t now_ms, struct reading_sample *out, size_t max, int64_t *last)
{
	int64_t reported = outbox_coverage_reported(o, camera);
	int64_t first = outbox_first_segment_ms(o, camera);
	int64_t h;
	size_t n = 0;

	if (reported < 0 || first < 0)
		return -EIO;
	if (first == 0)
		return 0; /* nothing recorded that is still indexed */
	h = first - first % hour_ms;
	if (reported && reported + hour_ms > h)
		h = reported + hour_ms;
	for (; n < max && h + hour_ms + segment_ms + CLOSE_GRACE_MS <= now_ms; h += hour_ms) {
		int64_t ms = outbox_recorded_ms(o, camera, h, h + hour_ms);

		if (ms < 0)
			return -EIO;
		out[n++] = (struct reading_sample){ camera, "video_recorded", h,
						    (double)ms / 60000.0, "min" };
		*last = h;
	}
	return (int)n;
}
