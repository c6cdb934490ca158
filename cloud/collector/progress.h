/*
 * progress.h — which seqs of one box are accounted for (archived, or
 * reported dropped by the box), as a contiguous prefix plus sorted,
 * disjoint ranges above it. This is what an ack carries.
 *
 * Cost: O(number of ranges) per add; a healthy box has none or a few.
 * Owned and used by one thread.
 */
#ifndef BK_PROGRESS_H
#define BK_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "message.h"

struct progress {
	int64_t acked; /* every seq in [1, acked] is accounted for */
	GArray *above; /* of struct seq_range, sorted, disjoint, all > acked + 1 */
};

void progress_init(struct progress *p, int64_t acked);
void progress_release(struct progress *p);

/* Account for [first, last]; seqs at or below acked are ignored. */
void progress_add_range(struct progress *p, int64_t first, int64_t last);
void progress_add(struct progress *p, int64_t seq);

/* The highest seq accounted for. */
int64_t progress_max_seen(const struct progress *p);

/* Write up to max gaps above acked into out; returns how many. *described is
 * the highest seq that acked plus these gaps describe completely: max_seen
 * when every gap fit, else just below the first gap left out. An ack must
 * not claim more (the box would stop resending what is really missing). */
size_t progress_missing(const struct progress *p, struct seq_range *out, size_t max,
			int64_t *described);

#endif
