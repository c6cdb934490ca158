/*
 * test_recordings.c — central continuous storage in the archive
 * (archive_recordings.c): a verified segment clip is indexed once, ranges
 * and gaps, usage per box and camera, retention by age and by budget (the
 * oldest first, no more than needed, idempotent, objects shared with an
 * event clip kept). Runs on SQLite and, with BK_TEST_PG, on PostgreSQL.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "archive.h"
#include "clock.h"
#include "log.h"
#include "unit_tmpdir.h"

#define SEG_MS 10000

static struct archive *a;
static int db_n;
static const int64_t T0 = INT64_C(1780000000000); /* 2026-05-28 */

static int setup(void **state)
{
	char path[256];

	(void)state;
	assert_int_equal(unit_archive_target(path, sizeof path, "recordings", db_n++), 0);
	a = archive_open(path, false);
	assert_non_null(a);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	archive_close(a);
	a = NULL;
	return 0;
}

static void sha_of(int n, char out[65])
{
	char *s = g_compute_checksum_for_string(G_CHECKSUM_SHA256, (const char *)&n, sizeof n);

	g_strlcpy(out, s, 65);
	g_free(s);
}

/* A segment clip announced and verified: n-th segment of box's camera. */
static void segment(const char *box, const char *camera, int n, int64_t start_ms, int64_t bytes)
{
	char clip_id[128], sha[65], start[CLOCK_TS_LEN], end[CLOCK_TS_LEN], path[128];
	struct archive_clip c = {
		.box = box,
		.clip_id = clip_id,
		.camera = camera,
		.mime = "video/mp2t",
		.start = start,
		.end = end,
		.sha256 = sha,
		.seq = n + 1,
		.bytes = bytes,
		.chunk_size = 1024,
		.chunk_count = 1,
		.chunks = sha,
		.state = "receiving",
	};

	sha_of(n, sha);
	snprintf(clip_id, sizeof clip_id, "segment:%s:%lld:%.8s", camera, (long long)start_ms, sha);
	snprintf(path, sizeof path, "/store/%.2s/%s.ts", sha, sha);
	clock_format_ms(start_ms, start);
	clock_format_ms(start_ms + SEG_MS, end);
	assert_int_equal(archive_begin(a), 0);
	assert_true(archive_put_clip(a, &c) >= 0);
	assert_int_equal(archive_commit(a), 0);
	assert_int_equal(archive_recording_verified(a, box, clip_id, path), 0);
}

static void count_fn(void *ctx, const struct archive_recording *r)
{
	(void)r;
	++*(int *)ctx;
}

static void first_start(void *ctx, const struct archive_recording *r)
{
	int64_t *first = ctx;

	if (*first == 0)
		*first = r->start_ms;
}

static void count_rows(void *ctx, int ncols, const char *const *names,
		       const struct archive_value *v)
{
	(void)ncols, (void)names;
	*(int64_t *)ctx = v[0].type == VALUE_INT ? v[0].i : (int64_t)v[0].r;
}

static int64_t scalar(const char *sql)
{
	int64_t n = -1;

	assert_int_equal(archive_query(a, sql, NULL, 0, count_rows, &n), 0);
	return n;
}

static void test_verified_is_indexed_once(void **state)
{
	char sha[65], clip_id[128];
	int n = 0;

	(void)state;
	segment("box-a", "cam-1", 0, T0, 1000);
	/* a second collector finishing the same clip: nothing more */
	sha_of(0, sha);
	snprintf(clip_id, sizeof clip_id, "segment:cam-1:%lld:%.8s", (long long)T0, sha);
	assert_int_equal(archive_recording_verified(a, "box-a", clip_id, "/x"), 0);
	/* an unknown clip: nothing indexed */
	assert_int_equal(archive_recording_verified(a, "box-a", "segment:cam-1:1:ffffffff", "/x"),
			 -ENOENT);
	assert_int_equal(
	    archive_recordings_between(a, "box-a", "cam-1", T0, T0 + SEG_MS, count_fn, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(scalar("SELECT count(*) FROM recordings"), 1);
	assert_int_equal(scalar("SELECT count(*) FROM clips WHERE state = 'verified'"), 1);
	/* segment clips stay out of the clips report */
	assert_true(archive_is_segment_clip("segment:cam-1:1:abc"));
	assert_false(archive_is_segment_clip("clip:cam-1:1:1"));
}

static void test_ranges_and_gaps(void **state)
{
	struct archive_span segs[] = {
		{ 1000, 2000 },
		{ 2003, 3000 }, /* meet within the slack */
		{ 5000, 6000 }, /* after a 2 s gap */
	};
	GArray *ranges = g_array_new(FALSE, FALSE, sizeof(struct archive_span));
	GArray *gaps = g_array_new(FALSE, FALSE, sizeof(struct archive_span));
	struct archive_span *r, *g;

	(void)state;
	archive_recordings_spans(segs, 3, 500, 7000, 100, ranges, gaps);
	assert_int_equal(ranges->len, 2);
	assert_int_equal(gaps->len, 3);
	r = (struct archive_span *)(void *)ranges->data;
	g = (struct archive_span *)(void *)gaps->data;
	assert_true(r[0].from_ms == 1000 && r[0].to_ms == 3000);
	assert_true(r[1].from_ms == 5000 && r[1].to_ms == 6000);
	assert_true(g[0].from_ms == 500 && g[0].to_ms == 1000);
	assert_true(g[1].from_ms == 3000 && g[1].to_ms == 5000);
	assert_true(g[2].from_ms == 6000 && g[2].to_ms == 7000);
	/* clipped to the range asked for, no gap inside */
	g_array_set_size(ranges, 0);
	g_array_set_size(gaps, 0);
	archive_recordings_spans(segs, 2, 1500, 2500, 100, ranges, gaps);
	assert_int_equal(ranges->len, 1);
	assert_int_equal(gaps->len, 0);
	g_array_free(ranges, TRUE);
	g_array_free(gaps, TRUE);
}

struct use {
	int rows;
	int64_t bytes_a1, segs_a1, oldest_a1, newest_a1;
};

static void on_use(void *ctx, const struct archive_storage_use *u)
{
	struct use *x = ctx;

	x->rows++;
	if (!strcmp(u->box, "box-a") && !strcmp(u->camera, "cam-1")) {
		x->bytes_a1 = u->bytes;
		x->segs_a1 = u->segments;
		x->oldest_a1 = u->oldest_ms;
		x->newest_a1 = u->newest_ms;
	}
}

static void test_usage(void **state)
{
	struct use u = { 0 };

	(void)state;
	for (int i = 0; i < 3; i++)
		segment("box-a", "cam-1", i, T0 + i * SEG_MS, 100);
	segment("box-a", "cam-2", 10, T0, 50);
	segment("box-b", "cam-1", 11, T0, 70);
	assert_int_equal(archive_storage_use(a, NULL, on_use, &u), 0);
	assert_int_equal(u.rows, 3);
	assert_int_equal(u.bytes_a1, 300);
	assert_int_equal(u.segs_a1, 3);
	assert_true(u.oldest_a1 == T0 && u.newest_a1 == T0 + 3 * SEG_MS);
	u = (struct use){ 0 };
	assert_int_equal(archive_storage_use(a, "box-b", on_use, &u), 0);
	assert_int_equal(u.rows, 1);
}

static void test_budget_oldest_first(void **state)
{
	GPtrArray *gone = g_ptr_array_new_with_free_func(g_free);
	int64_t rows, bytes, first = 0;
	int n = 0;

	(void)state;
	/* 10 segments of 100 bytes, two boxes interleaved in time */
	for (int i = 0; i < 10; i++)
		segment(i % 2 ? "box-b" : "box-a", "cam-1", i, T0 + i * SEG_MS, 100);
	/* 650 bytes allowed: the 4 oldest go, no more */
	assert_int_equal(archive_recordings_expire(a, 0, 650, &rows, &bytes, gone), 0);
	assert_int_equal(rows, 4);
	assert_int_equal(bytes, 400);
	assert_int_equal(gone->len, 4);
	assert_int_equal(scalar("SELECT coalesce(sum(bytes), 0) FROM recordings"), 600);
	assert_int_equal(scalar("SELECT count(*) FROM clips"), 6);
	assert_int_equal(
	    archive_recordings_between(a, "box-a", "cam-1", 0, INT64_MAX, first_start, &first), 0);
	assert_true(first == T0 + 4 * SEG_MS);
	assert_int_equal(
	    archive_recordings_between(a, "box-b", "cam-1", 0, INT64_MAX, count_fn, &n), 0);
	assert_int_equal(n, 3);
	/* again: nothing (idempotent, another collector finding nothing to do) */
	g_ptr_array_set_size(gone, 0);
	assert_int_equal(archive_recordings_expire(a, 0, 650, &rows, &bytes, gone), 0);
	assert_int_equal(rows, 0);
	assert_int_equal(gone->len, 0);
	g_ptr_array_free(gone, TRUE);
}

static void test_age_and_shared_object(void **state)
{
	GPtrArray *gone = g_ptr_array_new_with_free_func(g_free);
	char sha[65], start[CLOCK_TS_LEN], end[CLOCK_TS_LEN];
	int64_t rows, bytes;
	struct archive_clip ev = {
		.box = "box-a",
		.clip_id = "clip:cam-1:1:1",
		.camera = "cam-1",
		.event_id = "e1",
		.mime = "video/mp2t",
		.start = start,
		.end = end,
		.sha256 = sha,
		.seq = 100,
		.bytes = 100,
		.chunk_size = 1024,
		.chunk_count = 1,
		.chunks = sha,
		.state = "receiving",
	};

	(void)state;
	for (int i = 0; i < 5; i++)
		segment("box-a", "cam-1", i, T0 + i * SEG_MS, 100);
	/* an event clip of exactly segment 0's content */
	sha_of(0, sha);
	clock_format_ms(T0, start);
	clock_format_ms(T0 + SEG_MS, end);
	assert_int_equal(archive_begin(a), 0);
	assert_true(archive_put_clip(a, &ev) >= 0);
	assert_int_equal(archive_set_clip_state(a, "box-a", ev.clip_id, "verified", "/p", NULL), 0);
	assert_int_equal(archive_commit(a), 0);
	/* segments ended by T0 + 2 segments are past the cutoff */
	assert_int_equal(archive_recordings_expire(a, T0 + 2 * SEG_MS, 0, &rows, &bytes, gone), 0);
	assert_int_equal(rows, 2);
	/* segment 0's object is the event clip's too: kept */
	assert_int_equal(gone->len, 1);
	sha_of(1, sha);
	assert_string_equal(g_ptr_array_index(gone, 0), sha);
	assert_int_equal(scalar("SELECT count(*) FROM recordings"), 3);
	assert_int_equal(scalar("SELECT count(*) FROM clips WHERE event_id = 'e1'"), 1);
	g_ptr_array_free(gone, TRUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_verified_is_indexed_once, setup, teardown),
		cmocka_unit_test(test_ranges_and_gaps),
		cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_oldest_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_age_and_shared_object, setup, teardown),
	};

	log_init("test_recordings", (enum log_level)(LOG_ERROR + 1));
	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
