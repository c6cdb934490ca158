/*
 * Unit tests: [camera ID] configuration, the segment index in the outbox,
 * retention by age and by bytes (camera_new runs a retention pass before
 * it starts recording; its pipeline is torn down before the main loop
 * ever runs), the recording schedule, and, running the main loop on the
 * test pattern, snapshots and motion. No network: the unreachable camera
 * is a refused connection on 127.0.0.1.
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

static void pin(const char *db_path, const char *like)
{
	sqlite3 *db;
	char *sql = g_strdup_printf("UPDATE segments SET pinned = 1 WHERE path LIKE '%s'", like);

	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	g_free(sql);
}

/* retention_bytes: the oldest unpinned segments go until the camera's
 * indexed bytes (pinned ones included) fit; a pinned one never goes. */
static void test_retention_bytes(void **state)
{
	const int64_t mib = 1 << 20;
	struct camera_config cc = { .id = "bytes",
				    .kind = CAMERA_TEST,
				    .segment_ms = 2000,
				    .retention_ms = 3600000,
				    .retention_bytes = 3 * mib,
				    .no_frames_timeout_ms = 10000 };
	int64_t now = clock_wall_ms();
	char db_path[256], p[6][256];
	struct outbox *o;
	struct camera *cam;

	(void)state;
	snprintf(db_path, sizeof db_path, "%s/bytes.db", dir);
	o = outbox_open(db_path, false);
	assert_non_null(o);
	/* six recent 1 MiB segments (as indexed; the files are tiny), the
	 * oldest and the fourth pinned */
	for (int i = 0; i < 6; i++) {
		char name[32];

		snprintf(name, sizeof name, "b%d.ts", i);
		g_strlcpy(p[i], tmpdir_write(name, "x"), sizeof p[i]);
		assert_int_equal(outbox_segment_add(o, "bytes", now - 60000 + i * 2000,
						    now - 58000 + i * 2000, p[i], mib),
				 0);
	}
	assert_int_equal(outbox_segment_add(o, "other", now - 60000, now - 58000, "/x", 9 * mib),
			 0);
	pin(db_path, "%b0.ts");
	pin(db_path, "%b3.ts");

	cam = camera_new(&cc, dir, o, ignore_state, NULL);
	assert_non_null(cam);
	camera_free(cam);
	outbox_close(o);

	/* 6 MiB, 3 allowed: b1, b2 (the oldest unpinned) and b4 go */
	assert_int_equal(access(p[0], F_OK), 0);
	assert_int_equal(access(p[1], F_OK), -1);
	assert_int_equal(access(p[2], F_OK), -1);
	assert_int_equal(access(p[3], F_OK), 0);
	assert_int_equal(access(p[4], F_OK), -1);
	assert_int_equal(access(p[5], F_OK), 0);
	assert_int_equal(count_rows(db_path, "camera = 'bytes'"), 3);
	assert_int_equal(count_rows(db_path, "camera = 'bytes' AND pinned = 1"), 2);
	assert_int_equal(count_rows(db_path, "camera = 'other'"), 1); /* not this camera's */
}

/* Unix ms of a local time on 2024-03-12 (no DST change anywhere that day). */
static int64_t local_ms(int hour, int minute)
{
	GDateTime *t = g_date_time_new_local(2024, 3, 12, hour, minute, 30);
	int64_t ms = g_date_time_to_unix(t) * 1000 + 250;

	g_date_time_unref(t);
	return ms;
}

static void test_schedule(void **state)
{
	struct camera_config cc = { .id = "s" };

	(void)state;
	assert_true(camera_in_schedule(&cc, local_ms(3, 0))); /* none: always */
	/* 07:00-11:30 and 22:00-02:00 (past midnight) */
	cc.schedule[0].from_min = 7 * 60;
	cc.schedule[0].to_min = 11 * 60 + 30;
	cc.schedule[1].from_min = 22 * 60;
	cc.schedule[1].to_min = 2 * 60;
	cc.n_schedule = 2;
	assert_false(camera_in_schedule(&cc, local_ms(6, 59)));
	assert_true(camera_in_schedule(&cc, local_ms(7, 0)));
	assert_true(camera_in_schedule(&cc, local_ms(11, 29)));
	assert_false(camera_in_schedule(&cc, local_ms(11, 30))); /* [from, to) */
	assert_false(camera_in_schedule(&cc, local_ms(21, 59)));
	assert_true(camera_in_schedule(&cc, local_ms(22, 0)));
	assert_true(camera_in_schedule(&cc, local_ms(23, 59)));
	assert_true(camera_in_schedule(&cc, local_ms(0, 0)));
	assert_true(camera_in_schedule(&cc, local_ms(1, 59)));
	assert_false(camera_in_schedule(&cc, local_ms(2, 0)));
	/* up to the end of the day: 24:00 */
	cc.schedule[0].from_min = 18 * 60;
	cc.schedule[0].to_min = 24 * 60;
	cc.n_schedule = 1;
	assert_true(camera_in_schedule(&cc, local_ms(23, 59)));
	assert_false(camera_in_schedule(&cc, local_ms(0, 0)));
	assert_false(camera_in_schedule(&cc, local_ms(17, 59)));
}

/* A camera outside its schedule builds no pipeline and says "disabled";
 * snapshots fail at once, after camera_snapshot has returned; the state
 * callback is never called. */
struct watch {
	int online, offline; /* state callbacks */
	int snaps, snap_ok;  /* snapshot callbacks, successes */
	char why[256];	     /* of the last failed snapshot */
	int64_t snap_wall_ms;
	int motions;
	double score;
	int64_t motion_wall_ms;
};

static void watch_state(void *ctx, struct camera *cam, bool online, int64_t wall_ms,
			const char *why)
{
	struct watch *w = ctx;

	(void)cam, (void)wall_ms, (void)why;
	if (online)
		w->online++;
	else
		w->offline++;
}

static void watch_snapshot(void *ctx, struct camera *cam, const char *path, int64_t wall_ms,
			   const char *why)
{
	struct watch *w = ctx;

	(void)cam;
	w->snaps++;
	w->snap_wall_ms = wall_ms;
	if (path) {
		assert_null(why);
		w->snap_ok++;
	} else {
		assert_non_null(why);
		snprintf(w->why, sizeof w->why, "%s", why);
	}
}

static void watch_motion(void *ctx, struct camera *cam, int64_t wall_ms, double score)
{
	struct watch *w = ctx;

	(void)cam;
	w->motions++;
	w->score = score;
	w->motion_wall_ms = wall_ms;
}

static gboolean tick(gpointer data)
{
	(void)data;
	return G_SOURCE_CONTINUE;
}

/* Run the main loop until *count reaches want or timeout_ms pass; the ms it took. */
static int64_t run_until(const int *count, int want, int64_t timeout_ms)
{
	int64_t t0 = g_get_monotonic_time() / 1000, now = t0;
	guint t = g_timeout_add(50, tick, NULL);

	while ((!count || *count < want) && now - t0 < timeout_ms) {
		g_main_context_iteration(NULL, TRUE);
		now = g_get_monotonic_time() / 1000;
	}
	g_source_remove(t);
	return now - t0;
}

static void test_schedule_disabled(void **state)
{
	/* an interval that cannot hold now: [now + 2 h, now + 3 h) */
	GDateTime *t = g_date_time_new_now_local();
	int m = (g_date_time_get_hour(t) * 60 + g_date_time_get_minute(t) + 120) % 1440;
	struct camera_config cc = { .id = "sched",
				    .kind = CAMERA_TEST,
				    .segment_ms = 2000,
				    .retention_ms = 3600000,
				    .no_frames_timeout_ms = 10000,
				    .schedule = { { m, (m + 60) % 1440 } },
				    .n_schedule = 1 };
	char db_path[256];
	struct outbox *o;
	struct camera *cam;
	struct watch w = { 0 };

	(void)state;
	g_date_time_unref(t);
	snprintf(db_path, sizeof db_path, "%s/sched.db", dir);
	o = outbox_open(db_path, false);
	assert_non_null(o);
	cam = camera_new(&cc, dir, o, watch_state, &w);
	assert_non_null(cam);
	assert_string_equal(camera_state_name(cam), "disabled");
	assert_int_equal(camera_snapshot(cam, "/nonexistent/x.jpg", watch_snapshot, &w), 0);
	assert_int_equal(w.snaps, 0); /* never from within camera_snapshot */
	run_until(&w.snaps, 1, 3000);
	assert_int_equal(w.snaps, 1);
	assert_int_equal(w.snap_ok, 0);
	assert_string_equal(w.why, "outside the recording schedule");
	run_until(NULL, 0, 1500);
	assert_int_equal(w.online + w.offline, 0);
	assert_string_equal(camera_state_name(cam), "disabled");
	camera_free(cam);
	outbox_close(o);
	assert_int_equal(count_rows(db_path, "1"), 0);
}

/* A JPEG's width and height from its SOF marker; false when it is not a
 * whole baseline/progressive JPEG (SOI … EOI). */
static bool jpeg_size(const char *path, int *width, int *height)
{
	gchar *data;
	gsize len, i = 2;
	const guint8 *b;
	bool ok = false;

	if (!g_file_get_contents(path, &data, &len, NULL))
		return false;
	b = (const guint8 *)data;
	if (len < 4 || b[0] != 0xFF || b[1] != 0xD8 || b[len - 2] != 0xFF || b[len - 1] != 0xD9)
		goto out;
	while (i + 9 < len && b[i] == 0xFF) {
		guint8 marker = b[i + 1];
		gsize seg = (gsize)b[i + 2] << 8 | b[i + 3];

		if (marker == 0xC0 || marker == 0xC1 || marker == 0xC2) {
			*height = b[i + 5] << 8 | b[i + 6];
			*width = b[i + 7] << 8 | b[i + 8];
			ok = true;
			break;
		}
		i += 2 + seg;
	}
out:
	g_free(data);
	return ok;
}

static const struct camera_config test_cc = { .id = "snap",
					      .kind = CAMERA_TEST,
					      .segment_ms = 2000,
					      .retention_ms = 3600000,
					      .no_frames_timeout_ms = 5000,
					      .motion = true,
					      .motion_threshold = 0.02 };

/* Snapshots of the test pattern: two requests together share a frame,
 * each fn once; a later one gets a later frame; the recording goes on;
 * the scrolling pattern is motion. */
static void test_snapshot_and_motion(void **state)
{
	char db_path[256], a[256], b[256], c[256];
	struct outbox *o;
	struct camera *cam;
	struct watch w = { 0 }, m = { 0 };
	int width = 0, height = 0;
	int64_t t0 = clock_wall_ms(), took, first_wall;

	(void)state;
	snprintf(db_path, sizeof db_path, "%s/snap.db", dir);
	snprintf(a, sizeof a, "%s/a.jpg", dir);
	snprintf(b, sizeof b, "%s/b.jpg", dir);
	snprintf(c, sizeof c, "%s/c.jpg", dir);
	o = outbox_open(db_path, false);
	assert_non_null(o);
	cam = camera_new(&test_cc, dir, o, watch_state, &w);
	assert_non_null(cam);
	camera_on_motion(cam, watch_motion, &m);
	assert_int_equal(camera_snapshot(cam, a, watch_snapshot, &w), 0);
	assert_int_equal(camera_snapshot(cam, b, watch_snapshot, &w), 0);
	took = run_until(&w.snaps, 2, 15000);
	print_message("# two snapshots of the test pattern in %lld ms\n", (long long)took);
	assert_int_equal(w.snaps, 2);
	assert_int_equal(w.snap_ok, 2);
	assert_true(w.snap_wall_ms >= t0 && w.snap_wall_ms <= clock_wall_ms());
	first_wall = w.snap_wall_ms;
	assert_true(jpeg_size(a, &width, &height));
	assert_int_equal(width, 640);
	assert_int_equal(height, 360);
	assert_true(jpeg_size(b, &width, &height));
	assert_int_equal(access(tmpdir_write("probe", ""), F_OK), 0);
	{
		char *tmp = g_strconcat(a, ".tmp", NULL);

		assert_int_equal(access(tmp, F_OK), -1); /* renamed */
		g_free(tmp);
	}

	assert_int_equal(camera_snapshot(cam, c, watch_snapshot, &w), 0);
	run_until(&w.snaps, 3, 15000);
	assert_int_equal(w.snap_ok, 3);
	assert_true(w.snap_wall_ms > first_wall);
	assert_true(jpeg_size(c, &width, &height));

	/* motion: the bars scroll 2 px a frame */
	took = run_until(&m.motions, 1, 15000);
	print_message("# motion after %lld ms more, score %.3f\n", (long long)took, m.score);
	assert_int_equal(m.motions, 1);
	assert_true(m.score >= test_cc.motion_threshold && m.score <= 1);
	/* debounced: not again within the next 3 s although it goes on */
	run_until(NULL, 0, 3000);
	assert_int_equal(m.motions, 1);

	/* recording all along: online once, never offline, segments indexed */
	assert_int_equal(w.online, 1);
	assert_int_equal(w.offline, 0);
	assert_string_equal(camera_state_name(cam), "recording");
	assert_int_equal(w.snaps, 3); /* nothing more came */
	camera_free(cam);
	outbox_close(o);
	assert_true(count_rows(db_path, "camera = 'snap'") >= 2);
}

/* A camera that cannot be reached: the snapshot fails with the reason,
 * well within the timeout; asked again while offline, at once (but not
 * from within camera_snapshot). */
static void test_snapshot_offline(void **state)
{
	struct camera_config cc = { .id = "gone",
				    .kind = CAMERA_RTSP,
				    .uri = "rtsp://127.0.0.1:1/x",
				    .segment_ms = 2000,
				    .retention_ms = 3600000,
				    .no_frames_timeout_ms = 10000 };
	char db_path[256], p[256];
	struct outbox *o;
	struct camera *cam;
	struct watch w = { 0 };
	int64_t took;

	(void)state;
	snprintf(db_path, sizeof db_path, "%s/gone.db", dir);
	snprintf(p, sizeof p, "%s/gone.jpg", dir);
	o = outbox_open(db_path, false);
	assert_non_null(o);
	cam = camera_new(&cc, dir, o, watch_state, &w);
	assert_non_null(cam);
	assert_int_equal(camera_snapshot(cam, p, watch_snapshot, &w), 0);
	took = run_until(&w.snaps, 1, 12000);
	print_message("# snapshot of an unreachable camera failed in %lld ms: %s\n",
		      (long long)took, w.why);
	assert_int_equal(w.snaps, 1);
	assert_int_equal(w.snap_ok, 0);
	assert_true(took < 5000);
	assert_non_null(strstr(w.why, "offline"));
	assert_int_equal(w.offline, 1);
	assert_string_equal(camera_state_name(cam), "offline");
	assert_int_equal(camera_snapshot(cam, p, watch_snapshot, &w), 0);
	assert_int_equal(w.snaps, 1);
	run_until(&w.snaps, 2, 1000);
	assert_int_equal(w.snaps, 2);
	assert_int_equal(w.snap_ok, 0);
	assert_int_equal(access(p, F_OK), -1);
	/* pending when the camera is freed: answered by camera_free */
	camera_free(cam);
	outbox_close(o);
}

/* camera_free answers what is still pending. */
static void test_snapshot_pending_at_free(void **state)
{
	char db_path[256], p[256];
	struct outbox *o;
	struct camera *cam;
	struct watch w = { 0 };

	(void)state;
	snprintf(db_path, sizeof db_path, "%s/free.db", dir);
	snprintf(p, sizeof p, "%s/free.jpg", dir);
	o = outbox_open(db_path, false);
	assert_non_null(o);
	cam = camera_new(&test_cc, dir, o, watch_state, &w);
	assert_non_null(cam);
	assert_int_equal(camera_snapshot(cam, p, watch_snapshot, &w), 0);
	camera_free(cam); /* before the main loop ever ran */
	assert_int_equal(w.snaps, 1);
	assert_int_equal(w.snap_ok, 0);
	assert_string_equal(w.why, "the camera is stopping");
	outbox_close(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_camera_config_good),
		cmocka_unit_test(test_camera_config_bad),
		cmocka_unit_test(test_segment_index),
		cmocka_unit_test(test_retention_keeps_pinned_and_recent),
		cmocka_unit_test(test_retention_bytes),
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_schedule_disabled),
		cmocka_unit_test(test_snapshot_and_motion),
		cmocka_unit_test(test_snapshot_offline),
		cmocka_unit_test(test_snapshot_pending_at_free),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
