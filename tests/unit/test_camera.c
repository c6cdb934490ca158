/*
 * Unit tests: [camera ID] configuration, the segment index in the outbox,
 * and retention (camera_new runs a retention pass before it starts
 * recording; its pipeline is torn down before the main loop ever runs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit_tmpdir.h"
#include <sqlite3.h>

#include "camera.h"
#include "clock.h"
#include "edge_config.h"
#include "outbox.h"

/* Load a box config made of the minimum plus cameras; true when valid. */
static bool load(const char *cameras, struct edge_config *cfg)
{
	char *text;
	bool ok;

	tmpdir_write("ca", "not really a certificate\n");
	text = g_strdup_printf("[box]\nid = box-test\nstate_dir = %s/state\n"
			       "[mqtt]\nuri = ssl://127.0.0.1:8883\nca = %s/ca\ncert = %s/ca\n"
			       "key = %s/ca\n%s",
			       dir, dir, dir, dir, cameras);
	ok = edge_config_load(tmpdir_write("edge.conf", text), cfg);
	g_free(text);
	return ok;
}

static void test_camera_config_good(void **state)
{
	struct edge_config cfg;
	const struct camera_config *a, *b, *c;

	(void)state;
	assert_true(
	    load("[camera kitchen-1]\nsource = rtsp://u:p@10.0.0.5:554/h264\nzone = 热菜间\n"
		 "gb28181_id = 34010000001320000001\nsegment = 2s\nretention = 30d\n"
		 "no_frames_timeout = 3s\n"
		 "[camera usb]\nsource = v4l2:/dev/video0\n"
		 "[camera demo]\nsource = test\n",
		 &cfg));
	assert_int_equal(cfg.cameras->len, 3);
	a = g_ptr_array_index(cfg.cameras, 0);
	b = g_ptr_array_index(cfg.cameras, 1);
	c = g_ptr_array_index(cfg.cameras, 2);
	assert_string_equal(a->id, "kitchen-1");
	assert_int_equal(a->kind, CAMERA_RTSP);
	assert_string_equal(a->uri, "rtsp://u:p@10.0.0.5:554/h264");
	assert_string_equal(a->zone, "热菜间");
	assert_string_equal(a->gb28181_id, "34010000001320000001");
	assert_int_equal(a->segment_ms, 2000);
	assert_int_equal(a->retention_ms, 30 * 86400000LL);
	assert_int_equal(a->no_frames_timeout_ms, 3000);
	assert_int_equal(b->kind, CAMERA_V4L2);
	assert_string_equal(b->uri, "/dev/video0");
	assert_null(b->zone);
	assert_null(b->gb28181_id);
	assert_int_equal(b->segment_ms, 10000); /* the defaults */
	assert_int_equal(b->retention_ms, 7 * 86400000LL);
	assert_int_equal(b->no_frames_timeout_ms, 10000);
	assert_int_equal(c->kind, CAMERA_TEST);
	edge_config_release(&cfg);
}

static void test_camera_config_bad(void **state)
{
	static const char *const bad[] = {
		"[camera a]\n",							 /* no source */
		"[camera a]\nsource = http://x/y\n",				 /* not a source */
		"[camera a]\nsource = rtsp://\n",				 /* no host */
		"[camera a]\nsource = v4l2:video0\n",				 /* not a device */
		"[camera a]\nsource = test\ngb28181_id = 3401000000132000000\n", /* 19 digits */
		"[camera a]\nsource = test\ngb28181_id = 3401000000132000000x\n",
		"[camera a]\nsource = test\nsegment = 0\n",
		"[camera a]\nsource = test\nretention = 10s\n",
		"[camera a]\nsource = test\ncolour = yes\n", /* unknown key */
		"[camera -a]\nsource = test\n",
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct edge_config cfg;

		if (load(bad[i], &cfg))
			fail_msg("accepted: %s", bad[i]);
		edge_config_release(&cfg);
	}
}

struct seen {
	int n;
	int64_t ids[8], starts[8];
};

static void collect(void *ctx, const struct outbox_segment *seg)
{
	struct seen *s = ctx;

	assert_true(s->n < 8);
	assert_string_equal(seg->camera, "cam");
	assert_false(seg->pinned);
	s->ids[s->n] = seg->id;
	s->starts[s->n++] = seg->start_ms;
}

static void test_segment_index(void **state)
{
	char path[256];
	struct outbox *o;
	struct seen s = { 0 };

	(void)state;
	snprintf(path, sizeof path, "%s/index.db", dir);
	o = outbox_open(path, false);
	assert_non_null(o);
	assert_int_equal(outbox_segment_add(o, "cam", 20000, 30000, "/v/2.ts", 100), 0);
	assert_int_equal(outbox_segment_add(o, "cam", 10000, 20000, "/v/1.ts", 100), 0);
	assert_int_equal(outbox_segment_add(o, "cam", 30000, 40000, "/v/3.ts", 100), 0);
	assert_int_equal(outbox_segment_add(o, "other", 10000, 40000, "/w/1.ts", 100), 0);
	/* overlapping [15 s, 25 s): the first two, oldest first, not the other camera's */
	assert_int_equal(outbox_segments_between(o, "cam", 15000, 25000, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.starts[0], 10000);
	assert_int_equal(s.starts[1], 20000);
	/* touching at the boundary is not overlapping */
	s.n = 0;
	assert_int_equal(outbox_segments_between(o, "cam", 40000, 50000, collect, &s), 0);
	assert_int_equal(s.n, 0);
	s.n = 0;
	assert_int_equal(outbox_segments_between(o, "cam", 0, 25000, collect, &s), 0);
	assert_int_equal(outbox_segment_delete(o, s.ids[0]), 0);
	s.n = 0;
	assert_int_equal(outbox_segments_between(o, "cam", 0, INT64_MAX, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.starts[0], 20000);
	outbox_close(o);
}

static void ignore_state(void *ctx, struct camera *cam, bool online, int64_t wall_ms,
			 const char *why)
{
	(void)ctx, (void)cam, (void)online, (void)wall_ms, (void)why;
}

static int count_rows(const char *db_path, const char *where)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char *sql = g_strdup_printf("SELECT count(*) FROM segments WHERE %s", where);
	int n = -1;

	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	g_free(sql);
	return n;
}

static void test_retention_keeps_pinned_and_recent(void **state)
{
	struct camera_config cc = { .id = "demo",
				    .kind = CAMERA_TEST,
				    .segment_ms = 2000,
				    .retention_ms = 3600000,
				    .no_frames_timeout_ms = 10000 };
	int64_t now = clock_wall_ms(), old = now - 2 * 3600000;
	char db_path[256], p_old[256], p_pinned[256], p_recent[256];
	struct outbox *o;
	struct camera *cam;
	sqlite3 *db;

	(void)state;
	snprintf(db_path, sizeof db_path, "%s/retention.db", dir);
	snprintf(p_old, sizeof p_old, "%s/old.ts", dir);
	snprintf(p_pinned, sizeof p_pinned, "%s/pinned.ts", dir);
	snprintf(p_recent, sizeof p_recent, "%s/recent.ts", dir);
	tmpdir_write("old.ts", "x");
	tmpdir_write("pinned.ts", "x");
	tmpdir_write("recent.ts", "x");
	o = outbox_open(db_path, false);
	assert_non_null(o);
	assert_int_equal(outbox_segment_add(o, "demo", old, old + 2000, p_old, 1), 0);
	assert_int_equal(outbox_segment_add(o, "demo", old + 2000, old + 4000, p_pinned, 1), 0);
	assert_int_equal(outbox_segment_add(o, "demo", now - 4000, now - 2000, p_recent, 1), 0);
	/* pinning belongs to the clip work; set the flag directly */
	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "UPDATE segments SET pinned = 1 WHERE path LIKE '%pinned.ts'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	cam = camera_new(&cc, dir, o, ignore_state, NULL);
	assert_non_null(cam);
	camera_free(cam);
	outbox_close(o);

	assert_int_equal(access(p_old, F_OK), -1);
	assert_int_equal(access(p_pinned, F_OK), 0);
	assert_int_equal(access(p_recent, F_OK), 0);
	assert_int_equal(count_rows(db_path, "path LIKE '%old.ts'"), 0);
	assert_int_equal(count_rows(db_path, "1"), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_camera_config_good),
		cmocka_unit_test(test_camera_config_bad),
		cmocka_unit_test(test_segment_index),
		cmocka_unit_test(test_retention_keeps_pinned_and_recent),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
