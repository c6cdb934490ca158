/*
 * progress.c — see progress.h.
 */
#include "progress.h"

void progress_init(struct progress *p, int64_t acked)
{
	p->acked = acked;
	p->above = g_array_new(FALSE, FALSE, sizeof(struct seq_range));
}

void progress_release(struct progress *p)
{
	if (p->above)
		g_array_free(p->above, TRUE);
	p->above = NULL;
}

#define RANGE(p, i) g_array_index((p)->above, struct seq_range, (i))

void progress_add_range(struct progress *p, int64_t first, int64_t last)
{
	struct seq_range r;
	guint i = 0;

	if (first <= p->acked)
		first = p->acked + 1;
	if (first > last)
		return;
	/* skip ranges wholly before the new one (and not adjacent) */
	while (i < p->above->len && RANGE(p, i).last + 1 < first)
		i++;
	r.first = first;
	r.last = last;
	/* swallow every range that overlaps or touches */
	while (i < p->above->len && RANGE(p, i).first <= r.last + 1) {
		r.first = MIN(r.first, RANGE(p, i).first);
		r.last = MAX(r.last, RANGE(p, i).last);
		g_array_remove_index(p->above, i);
	}
	g_array_insert_val(p->above, i, r);
	if (RANGE(p, 0).first == p->acked + 1) {
		p->acked = RANGE(p, 0).last;
		g_array_remove_index(p->above, 0);
	}
}

void progress_add(struct progress *p, int64_t seq)
{
	progress_add_range(p, seq, seq);
}

int64_t progress_max_seen(const struct progress *p)
{
	return p->above->len ? RANGE(p, p->above->len - 1).last : p->acked;
}

size_t progress_missing(const struct progress *p, struct seq_range *out, size_t max,
			int64_t *described)
{
	int64_t next = p->acked + 1;
	size_t n = 0;
	guint i;

	for (i = 0; i < p->above->len && n < max; i++) {
		out[n].first = next;
		out[n].last = RANGE(p, i).first - 1;
		n++;
		next = RANGE(p, i).last + 1;
	}
	/* with gaps left over, what lies past the last listed one is not described */
	*described = i < p->above->len ? next - 1 : progress_max_seen(p);
	return n;
}
