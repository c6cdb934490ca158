/*
 * Unit tests: recorded minutes per camera and hour (edge/coverage.c) from
 * the segment index, with one-minute "hours" to keep the numbers small;
 * and clip requests pinning the segments they need (edge/outbox.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "unit_tmpdir.h"

#include "coverage.h"
#include "outbox.h"

#define H 60000 /* the "hour" of these tests */

static struct outbox *open_outbox(const char *name)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return outbox_open(path, false);
}

/* 10 s segments of camera k from from_ms to to_ms. */
static void record(struct outbox *o, int64_t from_ms, int64_t to_ms)
{
	for (int64_t t = from_ms; t < to_ms; t += 10000)
		assert_int_equal(outbox_segment_add(o, "k", t, t + 10000, "/nowhere", 1000), 0);
}

static void test_hours_reported_once(void **state)
{
	struct outbox *o = open_outbox("cov.db");
	struct reading_sample rs[16];
	int64_t last = 0;
	int n;

	(void)state;
	assert_non_null(o);
	assert_int_equal(coverage_collect(o, "k", 10000, H, 1000000, rs, 16, &last), 0);
	record(o, 2 * H, 3 * H);	 /* a full hour */
	record(o, 3 * H + 20000, 5 * H); /* 40 s, then a full hour */
	/* at 6H + 15 s, hour 5 is not closed long enough (segment + grace) */
	n = coverage_collect(o, "k", 10000, H, 6 * H + 15000, rs, 16, &last);
	assert_int_equal(n, 3);
	assert_string_equal(rs[0].sensor, "k");
	assert_string_equal(rs[0].kind, "video_recorded");
	assert_string_equal(rs[0].unit, "min");
	assert_int_equal(rs[0].t_ms, 2 * H);
	assert_true(rs[0].value == 1.0);
	assert_int_equal(rs[1].t_ms, 3 * H);
	assert_true(rs[1].value > 0.66 && rs[1].value < 0.67); /* 40 of 60 s */
	assert_true(rs[2].value == 1.0);
	assert_int_equal(last, 4 * H);
	assert_int_equal(outbox_coverage_set(o, "k", last), 0);
	/* nothing new until the next hour has closed long enough */
	assert_int_equal(coverage_collect(o, "k", 10000, H, 6 * H + 15000, rs, 16, &last), 0);
	assert_int_equal(coverage_collect(o, "k", 10000, H, 6 * H + 20000, rs, 16, &last), 1);
	assert_int_equal(rs[0].t_ms, 5 * H);
	assert_true(rs[0].value == 0.0); /* nothing recorded in it */
	assert_int_equal(outbox_coverage_set(o, "k", last), 0);
	record(o, 6 * H, 6 * H + 30000);
	n = coverage_collect(o, "k", 10000, H, 7 * H + 20000, rs, 16, &last);
	assert_int_equal(n, 1);
	assert_int_equal(rs[0].t_ms, 6 * H);
	assert_true(rs[0].value == 0.5);
	/* at most max per call, the rest next time */
	assert_int_equal(coverage_collect(o, "k", 10000, H, 20 * H, rs, 2, &last), 2);
	assert_int_equal(last, 7 * H);
	outbox_close(o);
}

static int64_t pinned_count;
static void count_pinned(void *ctx, const struct outbox_segment *seg)
{
	(void)ctx;
	pinned_count += seg->pinned;
}

static void test_wanted_clip_pins_segments(void **state)
{
	struct outbox *o = open_outbox("pin.db");

	(void)state;
	assert_non_null(o);
	record(o, 0, 100000); /* ten segments */
	assert_int_equal(outbox_clip_want(o, "c1", "k", NULL, "video", 25000, 45000), 0);
	pinned_count = 0;
	assert_int_equal(outbox_segments_between(o, "k", 0, 100000, count_pinned, NULL), 0);
	assert_int_equal(pinned_count, 3); /* 20–30, 30–40, 40–50 */
	/* the budget's candidates skip them: the oldest 5 unpinned end before 80 s */
	pinned_count = 0;
	assert_int_equal(outbox_segments_oldest_unpinned(o, 100, count_pinned, NULL), 0);
	assert_int_equal(pinned_count, 0);
	assert_int_equal(outbox_clip_set_end(o, "c1", 55000), 0);
	pinned_count = 0;
	outbox_segments_between(o, "k", 0, 100000, count_pinned, NULL);
	assert_int_equal(pinned_count, 4);
	/* built: the clip's file holds the evidence, the segments are free */
	assert_int_equal(outbox_clip_built(o, "c1", "/x.ts", 7, 1000, 100, 10), 0);
	assert_int_equal(outbox_clip_set_end(o, "c1", 60000), -ENOENT);
	pinned_count = 0;
	outbox_segments_between(o, "k", 0, 100000, count_pinned, NULL);
	assert_int_equal(pinned_count, 0);
	assert_int_equal(outbox_clip_bytes(o), 1000);
	assert_int_equal(outbox_segment_bytes(o), 10000);
	outbox_close(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hours_reported_once),
		cmocka_unit_test(test_wanted_clip_pins_segments),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
