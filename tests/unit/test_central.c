/*
 * Unit tests: central storage on the box's side of the outbox
 * (outbox_central_*): what a marked camera owes the centre is pinned
 * against retention until announced and verified, the disk budget takes
 * routine segments before owed ones, segment manifests replay after
 * everything else, and a segment's upload does not count as clip bytes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "unit_tmpdir.h"

#include <glib.h>

#include "outbox.h"

static char path[256];
static int n_db;

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof path, "%s/outbox-%d.db", dir, n_db++);
	return 0;
}

struct seen {
	int n;
	int64_t start[16];
	bool pinned[16], central[16];
	char camera[16][16];
};

static void collect(void *ctx, const struct outbox_segment *seg)
{
	struct seen *s = ctx;

	if (s->n >= 16)
		return;
	s->start[s->n] = seg->start_ms;
	s->pinned[s->n] = seg->pinned;
	s->central[s->n] = seg->central;
	g_strlcpy(s->camera[s->n], seg->camera, sizeof s->camera[0]);
	s->n++;
}

static void add(struct outbox *o, const char *camera, int64_t start)
{
	char p[64];

	snprintf(p, sizeof p, "/video/%s/%lld.ts", camera, (long long)start);
	assert_int_equal(outbox_segment_add(o, camera, start, start + 10000, p, 1000), 0);
}

static void test_owed_segments_are_pinned_until_verified(void **state)
{
	struct outbox *o = outbox_open(path, true);
	struct seen s = { 0 };

	(void)state;
	assert_non_null(o);
	add(o, "cam-a", 0); /* recorded before the camera was marked: stays local */
	assert_int_equal(outbox_central_mark(o, "cam-a", true), 0);
	add(o, "cam-a", 10000);
	add(o, "cam-a", 20000);
	assert_int_equal(outbox_segments_between(o, "cam-a", 0, 30000, collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_false(s.pinned[0] || s.central[0]);
	assert_true(s.pinned[1] && s.central[1] && s.pinned[2] && s.central[2]);

	/* the oldest owed is next; announcing it moves the mark, its upload pins it */
	s = (struct seen){ 0 };
	assert_int_equal(outbox_central_next(o, "cam-a", collect, &s), 0);
	assert_int_equal(s.start[0], 10000);
	assert_int_equal(outbox_begin(o), 0);
	assert_int_equal(
	    outbox_clip_want(o, "segment:cam-a:10000:x", "cam-a", NULL, "segment", 10000, 20000),
	    0);
	assert_int_equal(outbox_clip_built(o, "segment:cam-a:10000:x", "/video/cam-a/10000.ts", 5,
					   1000, 1024, 1),
			 0);
	assert_int_equal(outbox_central_set(o, "cam-a", 10000), 0);
	assert_int_equal(outbox_commit(o), 0);
	assert_int_equal(outbox_clip_bytes(o), 0); /* the file is the segment's */
	s = (struct seen){ 0 };
	assert_int_equal(outbox_central_next(o, "cam-a", collect, &s), 0);
	assert_int_equal(s.start[0], 20000);
	s = (struct seen){ 0 };
	assert_int_equal(outbox_segments_between(o, "cam-a", 10000, 20000, collect, &s), 0);
	assert_true(s.n == 1 && s.pinned[0] && s.central[0]);

	/* verified: the upload goes, the segment stays, unpinned */
	assert_int_equal(outbox_clip_delete(o, "segment:cam-a:10000:x"), 0);
	s = (struct seen){ 0 };
	assert_int_equal(outbox_segments_between(o, "cam-a", 10000, 20000, collect, &s), 0);
	assert_true(s.n == 1 && !s.pinned[0] && !s.central[0]);

	/* marked again: nothing changes; unmarked: nothing owed any more */
	assert_int_equal(outbox_central_mark(o, "cam-a", true), 0);
	s = (struct seen){ 0 };
	assert_int_equal(outbox_central_next(o, "cam-a", collect, &s), 0);
	assert_int_equal(s.start[0], 20000);
	assert_int_equal(outbox_central_mark(o, "cam-a", false), 0);
	assert_int_equal(outbox_central_next(o, "cam-a", collect, &s), -ENOENT);
	s = (struct seen){ 0 };
	assert_int_equal(outbox_segments_between(o, "cam-a", 20000, 30000, collect, &s), 0);
	assert_true(s.n == 1 && !s.pinned[0]);
	outbox_close(o);
}

static void test_budget_takes_routine_segments_first(void **state)
{
	struct outbox *o = outbox_open(path, true);
	struct seen s = { 0 };

	(void)state;
	assert_non_null(o);
	assert_int_equal(outbox_central_mark(o, "cam-a", true), 0);
	add(o, "cam-a", 1000);
	add(o, "cam-a", 11000);
	add(o, "cam-b", 50000); /* unmarked, newer */
	assert_int_equal(outbox_segments_oldest_unpinned(o, 10, collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.camera[0], "cam-b");
	assert_false(s.central[0]);
	assert_true(s.start[1] == 1000 && s.central[1] && s.start[2] == 11000 && s.central[2]);
	outbox_close(o);
}

static void test_routine_after_bulk(void **state)
{
	struct outbox *o = outbox_open(path, true);
	struct outbox_row row;

	(void)state;
	assert_non_null(o);
	assert_int_equal(outbox_put(o, 1, OUTBOX_ROUTINE, "t", "r", 1), 0);
	assert_int_equal(outbox_put(o, 2, OUTBOX_BULK, "t", "b", 1), 0);
	/* the sender asks class by class, lowest first: bulk before routine */
	for (int cls = 0; cls < OUTBOX_CLASSES; cls++) {
		if (outbox_next(o, (enum outbox_class)cls, 0, &row) == 0)
			break;
	}
	assert_int_equal(row.seq, 2);
	outbox_row_clear(&row);
	assert_true(OUTBOX_ROUTINE > OUTBOX_BULK);
	outbox_close(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_owed_segments_are_pinned_until_verified, setup),
		cmocka_unit_test_setup(test_budget_takes_routine_segments_first, setup),
		cmocka_unit_test_setup(test_routine_after_bulk, setup),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
