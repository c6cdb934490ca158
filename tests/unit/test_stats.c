/*
 * Unit tests: alerts at the centre, their handling, and the coverage and
 * alert statistics (cloud/archive_stats.c), on one fixed scenario built
 * with the archive's own functions. Every expected figure is worked out by
 * hand in the comments next to it. Local time is Asia/Shanghai (UTC+8):
 * the scenario is written in local time, L("2026-11-23 23:50") gives UTC.
 *
 * Registry (SQL through archive_query, as the registry import would):
 *   E1 JY11101 school_canteen 110101 "06:30-13:00,16:00-19:00" box-e1
 *      (registry cameras cam-a, cam-b): outages, alerts across midnight
 *   E2 JY11102 school_canteen 110101 "07:00-19:00" box-e2 (camera
 *      cam-e2): never connected
 *   E3 JY11103 school_canteen 110102 "10:00-14:00": no box
 *   E4 JY11104 restaurant 110101 "22:00-02:00" (past midnight) box-e4,
 *      no camera in the registry but cam-r reports video
 *   E5 JY11105 restaurant 110102 default hours 06:00-20:00, box-e5 with
 *      no camera at all
 *   box-x: not in the registry (its alert is unbound)
 *
 * The period: local 2026-11-23 and 2026-11-24, i.e. [2026-11-22T16:00Z,
 * 2026-11-24T16:00Z); the previous period of equal length: local 11-21
 * and 11-22.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <glib.h>

#include "archive.h"
#include "clock.h"
#include "log.h"
#include "unit_tmpdir.h"

#define FROM "2026-11-22T16:00:00.000Z" /* local 2026-11-23 00:00 */
#define TO   "2026-11-24T16:00:00.000Z" /* local 2026-11-25 00:00 */

static struct archive *a;
static int64_t seq = 1;

/* UTC timestamp of local "YYYY-MM-DD HH:MM"; valid for the next 7 calls. */
static const char *L(const char *local)
{
	static char buf[8][CLOCK_TS_LEN];
	static int next;
	struct tm tm = { 0 };
	char *out = buf[next++ % 8];

	assert_non_null(strptime(local, "%Y-%m-%d %H:%M", &tm));
	clock_format_ms(((int64_t)timegm(&tm) - 8 * 3600) * 1000, out);
	return out;
}

static void sql(const char *text)
{
	assert_int_equal(archive_query(a, text, NULL, 0, NULL, NULL), 0);
}

/* A camera's recorded minutes in the local hour starting at local. */
static void rec(const char *box, const char *camera, const char *local, double minutes)
{
	assert_int_equal(archive_put_message(a, box, seq, "reading", L(local), "{}", 2), 1);
	assert_int_equal(archive_put_reading(a, box, seq++, 0, camera, "video_recorded", L(local),
					     minutes, "min"),
			 0);
}

static void status(const char *box, bool online, const char *local)
{
	struct archive_box_status s = {
		.box = box, .online = online, .version = "1", .ts = L(local)
	};

	assert_int_equal(archive_put_status(a, &s), 0);
}

/* One event step; returns what archive_alert_from_event returned. */
static int event(const char *box, const char *id, const char *phase, const char *type,
		 const char *severity, const char *start, const char *end, const char *source)
{
	struct message m = { .kind = MSG_EVENT };
	char s[CLOCK_TS_LEN], e[CLOCK_TS_LEN];

	g_strlcpy(m.env.id, box, sizeof m.env.id);
	m.env.seq = seq++;
	g_strlcpy(s, L(start), sizeof s);
	if (end)
		g_strlcpy(e, L(end), sizeof e);
	m.u.event.event_id = id;
	m.u.event.phase = phase;
	m.u.event.type = type;
	m.u.event.severity = severity;
	m.u.event.start = s;
	m.u.event.end = end ? e : NULL;
	m.u.event.source = source;
	assert_int_equal(archive_put_message(a, box, m.env.seq, "event", s, "{}", 2), 1);
	assert_int_equal(archive_put_event(a, &m), 0);
	return archive_alert_from_event(a, &m);
}

static int step(const char *box, const char *id, const char *state, const char *by,
		const char *local)
{
	return archive_alert_step(a, box, id, state, by, "note", local ? L(local) : NULL);
}

/* --- rows as text --------------------------------------------------------- */

struct rows {
	GPtrArray *rows; /* GHashTable name → text ("NULL", "%lld", "%.4f") */
};

static void collect(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	struct rows *r = ctx;
	GHashTable *row = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	for (int i = 0; i < ncols; i++) {
		char *text;

		switch (v[i].type) {
		case VALUE_INT:
			text = g_strdup_printf("%lld", (long long)v[i].i);
			break;
		case VALUE_REAL:
			text = g_strdup_printf("%.4f", v[i].r);
			break;
		case VALUE_TEXT:
			text = g_strdup(v[i].text);
			break;
		default:
			text = g_strdup("NULL");
			break;
		}
		g_hash_table_insert(row, g_strdup(names[i]), text);
	}
	g_ptr_array_add(r->rows, row);
}

static struct rows *rows_new(void)
{
	struct rows *r = g_new0(struct rows, 1);

	r->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_hash_table_destroy);
	return r;
}

static void rows_free(struct rows *r)
{
	g_ptr_array_free(r->rows, TRUE);
	g_free(r);
}

static const char *cell(struct rows *r, guint i, const char *name)
{
	const char *t;

	assert_true(i < r->rows->len);
	t = g_hash_table_lookup(r->rows->pdata[i], name);
	assert_non_null(t);
	return t;
}

/* Check a row: pairs of column name and expected text, NULL-terminated. */
static void expect_row(struct rows *r, guint i, ...)
{
	va_list ap;
	const char *name;

	va_start(ap, i);
	while ((name = va_arg(ap, const char *))) {
		const char *want = va_arg(ap, const char *);

		if (strcmp(cell(r, i, name), want) != 0)
			fail_msg("row %u, %s: got '%s', want '%s'", i, name, cell(r, i, name),
				 want);
	}
	va_end(ap);
}

/* --- the scenario ----------------------------------------------------------- */

static void build_scenario(void)
{
	sql("INSERT INTO establishments(licence, name, category, district, address,"
	    " business_hours, updated) VALUES"
	    " ('JY11101', '一中食堂', 'school_canteen', '110101', 'a', '06:30-13:00,16:00-19:00', "
	    "'x'),"
	    " ('JY11102', '二中食堂', 'school_canteen', '110101', 'b', '07:00-19:00', 'x'),"
	    " ('JY11103', '三中食堂', 'school_canteen', '110102', 'c', '10:00-14:00', 'x'),"
	    " ('JY11104', '夜宵店', 'restaurant', '110101', 'd', '22:00-02:00', 'x')");
	sql("INSERT INTO establishments(licence, name, category, district, address, updated)"
	    " VALUES ('JY11105', '小饭馆', 'restaurant', '110102', 'e', 'x')");
	sql("INSERT INTO registry_boxes(box, licence, provisioned, updated) VALUES"
	    " ('box-e1', 'JY11101', '2026-11-01T00:00:00.000Z', 'x'),"
	    " ('box-e2', 'JY11102', '2026-11-01T00:00:00.000Z', 'x'),"
	    " ('box-e4', 'JY11104', '2026-11-01T00:00:00.000Z', 'x'),"
	    " ('box-e5', 'JY11105', '2026-11-01T00:00:00.000Z', 'x')");
	sql("INSERT INTO registry_cameras(box, camera, zone, updated) VALUES"
	    " ('box-e1', 'cam-a', '烹饪区', 'x'), ('box-e1', 'cam-b', '专间', 'x'),"
	    " ('box-e2', 'cam-e2', '烹饪区', 'x')");

	/* E1, box-e1. Its hours: 06:30-07:00 (30 min in hour 6), 07-13 (60
	 * in hours 7..12), 16-19 (60 in hours 16..18): 570 minutes a day. */
	status("box-e1", true, "2026-11-22 08:00");
	rec("box-e1", "cam-a", "2026-11-22 12:00", 60); /* before the period */
	/* 11-23: cam-a 60 in hours 5..18, cam-b 30 in hours 6..18. Per hour
	 * the best camera, weighted by the business minutes of the hour:
	 * hour 5: 0 (closed), 6: 60 × 30/60 = 30, 7..12: 6 × 60 = 360,
	 * 13..15: 0 (closed), 16..18: 180. Day: 570 of 570. */
	for (int h = 5; h <= 18; h++) {
		char t[32];

		snprintf(t, sizeof t, "2026-11-23 %02d:00", h);
		rec("box-e1", "cam-a", t, 60);
		if (h >= 6)
			rec("box-e1", "cam-b", t, 30);
	}
	/* 11-24: the box loses power 09:40–17:20 and again from 23:00 */
	rec("box-e1", "cam-a", "2026-11-24 06:00", 60);
	rec("box-e1", "cam-a", "2026-11-24 07:00", 60);
	rec("box-e1", "cam-a", "2026-11-24 07:00", 30); /* a repeat keeps the largest */
	rec("box-e1", "cam-a", "2026-11-24 08:00", 60);
	rec("box-e1", "cam-a", "2026-11-24 09:00", 40);
	rec("box-e1", "cam-b", "2026-11-24 09:00", 50);
	rec("box-e1", "cam-a", "2026-11-24 17:00", 20);
	rec("box-e1", "cam-a", "2026-11-24 17:00", 40); /* larger repeat wins */
	rec("box-e1", "cam-a", "2026-11-24 18:00", 60);
	/* Day: 6: 60 × 30/60 = 30, 7: 60, 8: 60, 9: max(40, 50) = 50,
	 * 17: 40, 18: 60 → 300. E1: 870 of 1,140 = 76.3158 %. */
	status("box-e1", false, "2026-11-24 09:40");
	status("box-e1", true, "2026-11-24 17:20");
	status("box-e1", false, "2026-11-24 23:00");
	/* cam-b offline 20:00–21:00 on 11-23: an event about the box, no alert */
	assert_int_equal(event("box-e1", "camera_offline:cam-b:1", "open", "camera_offline",
			       "warning", "2026-11-23 20:00", NULL, "cam-b"),
			 0);
	assert_int_equal(event("box-e1", "camera_offline:cam-b:1", "close", "camera_offline",
			       "warning", "2026-11-23 20:00", "2026-11-23 21:00", "cam-b"),
			 0);

	/* E4, box-e4, 22:00-02:00: hours 22, 23, 0, 1 → 240 a day, 480 in
	 * the period. cam-r (not in the registry) records them all, 60 each,
	 * but 30 in the last one: 7 × 60 + 30 = 450 of 480 = 93.75 %. */
	status("box-e4", true, "2026-11-20 08:00");
	rec("box-e4", "cam-r", "2026-11-22 23:00", 60); /* before the period */
	rec("box-e4", "cam-r", "2026-11-23 00:00", 60);
	rec("box-e4", "cam-r", "2026-11-23 01:00", 60);
	rec("box-e4", "cam-r", "2026-11-23 22:00", 60);
	rec("box-e4", "cam-r", "2026-11-23 23:00", 60);
	rec("box-e4", "cam-r", "2026-11-24 00:00", 60);
	rec("box-e4", "cam-r", "2026-11-24 01:00", 60);
	rec("box-e4", "cam-r", "2026-11-24 22:00", 60);
	rec("box-e4", "cam-r", "2026-11-24 23:00", 30);
	rec("box-e4", "cam-r", "2026-11-25 00:00", 60); /* after the period */

	/* box-x, unbound: its video counts for nobody */
	status("box-x", true, "2026-11-23 08:00");
	rec("box-x", "cam-x", "2026-11-23 10:00", 60);

	/* Alerts. Previous period (local 11-21, 11-22): ev-00 (11-21 00:30,
	 * UTC still 11-20) and ev-0; ev-000 at 11-20 23:59 local is before it. */
	assert_int_equal(event("box-e4", "ev-000", "open", "no_mask", "warning", "2026-11-20 23:59",
			       NULL, "cam-r"),
			 1);
	assert_int_equal(event("box-e4", "ev-00", "open", "no_mask", "warning", "2026-11-21 00:30",
			       NULL, "cam-r"),
			 1);
	assert_int_equal(event("box-e1", "ev-0", "open", "no_mask", "warning", "2026-11-22 10:00",
			       NULL, "cam-a"),
			 1);
	/* This period: ev-1 (11-23 23:50, handled across midnight), ev-2
	 * (11-24 07:30 local, 11-23 in UTC), ev-3 (11-24 23:30, acknowledged
	 * on 11-25), ev-4 (unbound box), ev-5 (info raised to warning). */
	assert_int_equal(event("box-e1", "ev-1", "open", "no_mask", "warning", "2026-11-23 23:50",
			       NULL, "cam-a"),
			 1);
	/* a later step of the same alert: no new alert, severity raised */
	assert_int_equal(event("box-e1", "ev-1", "update", "no_mask", "critical",
			       "2026-11-23 23:50", NULL, "cam-a"),
			 0);
	assert_int_equal(event("box-e1", "ev-2", "open", "temperature_high", "critical",
			       "2026-11-24 07:30", NULL, "fridge-1"),
			 1);
	assert_int_equal(event("box-e4", "ev-3", "open", "no_mask", "warning", "2026-11-24 23:30",
			       NULL, "cam-r"),
			 1);
	assert_int_equal(
	    event("box-x", "ev-4", "open", "smoking", "warning", "2026-11-24 12:00", NULL, "cam-x"),
	    1);
	assert_int_equal(event("box-e4", "ev-5", "open", "temperature_high", "info",
			       "2026-11-24 14:00", NULL, "fridge-4"),
			 0);
	assert_int_equal(event("box-e4", "ev-5", "update", "temperature_high", "warning",
			       "2026-11-24 14:00", NULL, "fridge-4"),
			 1);
	/* the event closes at the box: the alert stays new */
	assert_int_equal(event("box-e4", "ev-5", "close", "temperature_high", "warning",
			       "2026-11-24 14:00", "2026-11-24 14:30", "fridge-4"),
			 0);
	/* not alerts: info, and events about the box */
	assert_int_equal(event("box-e1", "ev-info", "open", "temperature_high", "info",
			       "2026-11-24 10:00", NULL, "fridge-1"),
			 0);
	assert_int_equal(event("box-e1", "dd-1", "open", "data_dropped", "warning",
			       "2026-11-24 10:00", NULL, NULL),
			 0);
	assert_int_equal(event("box-e1", "cmd:1", "close", "evidence_request", "warning",
			       "2026-11-24 10:00", "2026-11-24 10:00", "cam-a"),
			 0);
}

static int setup(void **state)
{
	char path[256];

	if (tmpdir_setup(state))
		return -1;
	log_init("test_stats", LOG_WARN);
	assert_int_equal(unit_archive_target(path, sizeof path, "stats", 0), 0);
	a = archive_open(path, false);
	if (!a)
		return -1;
	build_scenario();
	return 0;
}

static int teardown(void **state)
{
	archive_close(a);
	return tmpdir_teardown(state);
}

/* --- handling ------------------------------------------------------------------ */

static void test_handling(void **state)
{
	struct rows *r = rows_new();

	(void)state;
	/* ev-1 is new: only acknowledging is allowed */
	assert_int_equal(step("box-e1", "ev-1", "in_progress", "reg-li", "2026-11-24 00:05"),
			 -EINVAL);
	assert_int_equal(step("box-e1", "ev-1", "closed", "reg-li", "2026-11-24 00:05"), -EINVAL);
	assert_int_equal(step("box-e1", "ev-1", "new", "reg-li", "2026-11-24 00:05"), -EINVAL);
	assert_int_equal(step("box-e1", "ev-1", "done", "reg-li", "2026-11-24 00:05"), -EINVAL);
	/* who and why must be printable text (1–128, up to 2048 bytes) */
	assert_int_equal(step("box-e1", "ev-1", "acknowledged", "", "2026-11-24 00:05"), -EILSEQ);
	assert_int_equal(
	    archive_alert_step(a, "box-e1", "ev-1", "acknowledged", "reg-\033[2J", NULL, NULL),
	    -EILSEQ);
	assert_int_equal(
	    archive_alert_step(a, "box-e1", "ev-1", "acknowledged", "reg-li", "bell\a", NULL),
	    -EILSEQ);
	assert_int_equal(
	    archive_alert_step(a, "box-e1", "ev-1", "acknowledged", "reg-li", NULL, "yesterday"),
	    -EINVAL);
	assert_int_equal(step("box-e1", "nope", "acknowledged", "reg-li", NULL), -ENOENT);
	assert_int_equal(step("box-e1", "ev-info", "acknowledged", "reg-li", NULL), -ENOENT);
	/* 20 minutes to acknowledge, across midnight */
	assert_int_equal(step("box-e1", "ev-1", "acknowledged", "reg-li", "2026-11-24 00:10"), 0);
	assert_int_equal(step("box-e1", "ev-1", "acknowledged", "reg-li", "2026-11-24 00:11"),
			 -EINVAL);
	/* not before the previous step */
	assert_int_equal(step("box-e1", "ev-1", "in_progress", "reg-li", "2026-11-24 00:05"),
			 -EINVAL);
	assert_int_equal(step("box-e1", "ev-1", "in_progress", "reg-wang", "2026-11-24 00:30"), 0);
	/* 90 minutes to close */
	assert_int_equal(step("box-e1", "ev-1", "closed", "reg-wang", "2026-11-24 01:20"), 0);
	assert_int_equal(step("box-e1", "ev-1", "acknowledged", "reg-li", NULL), -EINVAL);
	assert_int_equal(step("box-e1", "ev-1", "closed", "reg-li", NULL), -EINVAL);
	/* ev-2: acknowledged after 5 minutes, closed straight away after 60 */
	assert_int_equal(step("box-e1", "ev-2", "acknowledged", "reg-li", "2026-11-24 07:35"), 0);
	assert_int_equal(step("box-e1", "ev-2", "closed", "reg-li", "2026-11-24 08:30"), 0);
	/* ev-3: acknowledged the next day, 75 minutes */
	assert_int_equal(step("box-e4", "ev-3", "acknowledged", "reg-li", "2026-11-25 00:45"), 0);

	/* the history of ev-1: new (by the box, at its start), then three steps */
	assert_int_equal(
	    archive_query(a,
			  "SELECT state, by, at FROM alert_steps WHERE event_id = 'ev-1'"
			  " ORDER BY at",
			  NULL, 0, collect, r),
	    0);
	assert_int_equal(r->rows->len, 4);
	expect_row(r, 0, "state", "new", "by", "box-e1", "at", "2026-11-23T15:50:00.000Z", NULL);
	expect_row(r, 1, "state", "acknowledged", "by", "reg-li", "at", "2026-11-23T16:10:00.000Z",
		   NULL);
	expect_row(r, 2, "state", "in_progress", "by", "reg-wang", NULL);
	expect_row(r, 3, "state", "closed", "by", "reg-wang", "at", "2026-11-23T17:20:00.000Z",
		   NULL);
	rows_free(r);
}

/* --- the alert list ----------------------------------------------------------- */

static void test_alert_list(void **state)
{
	struct stats_query q = { .from = FROM, .to = TO };
	struct rows *r = rows_new();

	(void)state;
	/* five alerts in the period, newest first */
	assert_int_equal(archive_alerts(a, &q, NULL, collect, r), 0);
	assert_int_equal(r->rows->len, 5);
	expect_row(r, 0, "event_id", "ev-3", "state", "acknowledged", "ack_min", "75.0000", NULL);
	expect_row(r, 1, "event_id", "ev-5", "state", "new", "event", "closed", "licence",
		   "JY11104", "district", "110101", "category", "restaurant", "name", "夜宵店",
		   NULL);
	expect_row(r, 2, "event_id", "ev-4", "licence", "NULL", "district", "NULL", NULL);
	expect_row(r, 3, "event_id", "ev-2", "severity", "critical", "close_min", "60.0000", NULL);
	expect_row(r, 4, "event_id", "ev-1", "severity", "critical", "state", "closed", "ack_min",
		   "20.0000", "close_min", "90.0000", "acknowledged_by", "reg-li", "progress_by",
		   "reg-wang", "closed_by", "reg-wang", NULL);
	rows_free(r);

	/* district 110101, still new: only ev-5 (ev-4 has no district) */
	r = rows_new();
	q.district = "110101";
	assert_int_equal(archive_alerts(a, &q, "new", collect, r), 0);
	assert_int_equal(r->rows->len, 1);
	expect_row(r, 0, "event_id", "ev-5", NULL);
	rows_free(r);

	/* follow: everything archived after a time, oldest first: all 8 */
	r = rows_new();
	q = (struct stats_query){ .archived_after = "2000-01-01T00:00:00.000Z" };
	assert_int_equal(archive_alerts(a, &q, NULL, collect, r), 0);
	assert_int_equal(r->rows->len, 8);
	rows_free(r);
	assert_int_equal(archive_alerts(a, &q, "bogus", collect, NULL), -EINVAL);

	/* the per-day rollup agrees: 8 alerts; on 11-24 (local) one no_mask
	 * in a restaurant (ev-3) and the unbound smoking one (ev-4) */
	r = rows_new();
	assert_int_equal(
	    archive_query(a,
			  "SELECT sum(n) AS n FROM alert_daily UNION ALL"
			  " SELECT n FROM alert_daily WHERE day = '2026-11-24'"
			  " AND district = '110101' AND category = 'restaurant'"
			  " AND type = 'no_mask' UNION ALL SELECT n FROM alert_daily"
			  " WHERE day = '2026-11-24' AND district = '' AND type = 'smoking'",
			  NULL, 0, collect, r),
	    0);
	assert_int_equal(r->rows->len, 3);
	expect_row(r, 0, "n", "8", NULL);
	expect_row(r, 1, "n", "1", NULL);
	expect_row(r, 2, "n", "1", NULL);
	rows_free(r);
}

/* --- alert statistics ---------------------------------------------------------- */

static struct rows *stats(const char *by, const char *from, const char *to, const char *district)
{
	struct stats_query q = { .from = from, .to = to, .district = district };
	struct rows *r = rows_new();

	assert_int_equal(archive_alert_stats(a, &q, by, collect, r), 0);
	return r;
}

static void test_alert_stats(void **state)
{
	struct rows *r;

	(void)state;
	/* By type. This period: no_mask ev-1, ev-3; temperature_high ev-2,
	 * ev-5; smoking ev-4. Previous: no_mask ev-00, ev-0.
	 * no_mask: acknowledged after 20 (ev-1) and 75 (ev-3): median 47.5,
	 *   p90 = the ⌈1.8⌉ = 2nd = 75; closed ev-1 after 90.
	 * temperature_high: ev-2 acknowledged after 5, closed after 60; ev-5
	 *   untouched. smoking: untouched.
	 * total: 5 against 2 (+150 %); acknowledged 5, 20, 75: median 20,
	 *   p90 the 3rd = 75; closed 60, 90: median 75, p90 the 2nd = 90. */
	r = stats("type", FROM, TO, NULL);
	assert_int_equal(r->rows->len, 4);
	expect_row(r, 0, "type", "no_mask", "alerts", "2", "previous", "2", "change_pct", "0.0000",
		   "acknowledged", "2", "ack_median_min", "47.5000", "ack_p90_min", "75.0000",
		   "closed", "1", "close_median_min", "90.0000", "close_p90_min", "90.0000", NULL);
	expect_row(r, 1, "type", "temperature_high", "alerts", "2", "previous", "0", "change_pct",
		   "NULL", "acknowledged", "1", "ack_median_min", "5.0000", "closed", "1",
		   "close_median_min", "60.0000", NULL);
	expect_row(r, 2, "type", "smoking", "alerts", "1", "acknowledged", "0", "ack_median_min",
		   "NULL", "close_p90_min", "NULL", NULL);
	expect_row(r, 3, "type", "total", "alerts", "5", "previous", "2", "change_pct", "150.0000",
		   "acknowledged", "3", "ack_median_min", "20.0000", "ack_p90_min", "75.0000",
		   "closed", "2", "close_median_min", "75.0000", "close_p90_min", "90.0000", NULL);
	rows_free(r);

	/* By establishment (top first): E1 ev-1, ev-2 (before: ev-0); E4 ev-3,
	 * ev-5 (before: ev-00); the unbound ev-4 last. */
	r = stats("establishment", FROM, TO, NULL);
	assert_int_equal(r->rows->len, 4);
	expect_row(r, 0, "establishment", "JY11101", "name", "一中食堂", "alerts", "2", "previous",
		   "1", "change_pct", "100.0000", "ack_median_min", "12.5000", "close_median_min",
		   "75.0000", NULL);
	expect_row(r, 1, "establishment", "JY11104", "alerts", "2", "previous", "1", NULL);
	expect_row(r, 2, "establishment", "NULL", "name", "NULL", "alerts", "1", "previous", "0",
		   NULL);
	rows_free(r);

	r = stats("district", FROM, TO, NULL);
	assert_int_equal(r->rows->len, 3);
	expect_row(r, 0, "district", "110101", "alerts", "4", "previous", "2", NULL);
	expect_row(r, 1, "district", "NULL", "alerts", "1", NULL);
	rows_free(r);

	r = stats("category", FROM, TO, NULL);
	assert_int_equal(r->rows->len, 4);
	expect_row(r, 0, "category", "restaurant", "alerts", "2", "previous", "1", NULL);
	expect_row(r, 1, "category", "school_canteen", "alerts", "2", "previous", "1", NULL);
	expect_row(r, 2, "category", "NULL", "alerts", "1", NULL);
	rows_free(r);

	/* By local day: ev-2 at 07:30 on 11-24 is 23:30 on 11-23 in UTC */
	r = stats("day", FROM, TO, NULL);
	assert_int_equal(r->rows->len, 3);
	expect_row(r, 0, "day", "2026-11-23", "alerts", "1", "previous", "NULL", NULL);
	expect_row(r, 1, "day", "2026-11-24", "alerts", "4", "acknowledged", "2", "ack_median_min",
		   "40.0000", NULL);
	expect_row(r, 2, "day", "total", "alerts", "5", "previous", "2", NULL);
	rows_free(r);

	/* By ISO week over local 11-21..11-24: Saturday 11-21 (ev-00, UTC
	 * Friday) and Sunday 11-22 (ev-0) are week 47, the rest week 48; the
	 * previous four days (11-17..11-20) hold ev-000 only. */
	r = stats("week", L("2026-11-21 00:00"), TO, NULL);
	assert_int_equal(r->rows->len, 3);
	expect_row(r, 0, "week", "2026-W47", "alerts", "2", NULL);
	expect_row(r, 1, "week", "2026-W48", "alerts", "5", NULL);
	expect_row(r, 2, "week", "total", "alerts", "7", "previous", "1", "change_pct", "600.0000",
		   NULL);
	rows_free(r);

	r = stats("month", FROM, TO, NULL);
	assert_int_equal(r->rows->len, 2);
	expect_row(r, 0, "month", "2026-11", "alerts", "5", NULL);
	rows_free(r);

	/* district 110101: the unbound ev-4 drops out, and so nothing before */
	r = stats("type", FROM, TO, "110101");
	expect_row(r, r->rows->len - 1, "type", "total", "alerts", "4", "previous", "2", NULL);
	rows_free(r);

	assert_int_equal(archive_alert_stats(a, &(struct stats_query){ .from = FROM, .to = TO },
					     "zone", collect, NULL),
			 -EINVAL);
	assert_int_equal(archive_alert_stats(a, &(struct stats_query){ .from = TO, .to = FROM },
					     "type", collect, NULL),
			 -EINVAL);
}

/* --- coverage --------------------------------------------------------------------- */

static struct rows *coverage(double threshold, const struct coverage_target *t, size_t n,
			     const char *district)
{
	struct stats_query q = { .from = FROM, .to = TO, .district = district };
	struct rows *r = rows_new();

	assert_int_equal(archive_coverage(a, &q, threshold, t, n, collect, r), 0);
	return r;
}

static void test_coverage(void **state)
{
	struct rows *r;

	(void)state;
	/* Business minutes in the 2 days: E1 2 × 570 = 1,140; E2 2 × 720 =
	 * 1,440; E3 2 × 240 = 480; E4 2 × 240 = 480; E5 2 × 840 = 1,680.
	 * Recorded: E1 870 (76.3 %), E4 450 (93.75 %), the others 0.
	 * Installed: E1, E2 (registry cameras; E2 never connected), E4 (a
	 * camera seen); not E3 (no box) nor E5 (a box with no camera).
	 * Threshold 0.8: only E4 is effective. */
	r = coverage(0.8, NULL, 0, NULL);
	assert_int_equal(r->rows->len, 7);
	expect_row(r, 0, "district", "110101", "category", "restaurant", "establishments", "1",
		   "installed", "1", "installed_pct", "100.0000", "effective", "1", "effective_pct",
		   "100.0000", "target_pct", "NULL", "target_met", "NULL", "days", "2",
		   "business_minutes", "480.0000", "recorded_minutes", "450.0000", "recorded_pct",
		   "93.7500", NULL);
	/* 870 / 2,580 = 33.7209 % */
	expect_row(r, 1, "district", "110101", "category", "school_canteen", "establishments", "2",
		   "installed", "2", "installed_pct", "100.0000", "effective", "0", "effective_pct",
		   "0.0000", "target_pct", "50.0000", "target_met", "no", "business_minutes",
		   "2580.0000", "recorded_minutes", "870.0000", "recorded_pct", "33.7209", NULL);
	expect_row(r, 2, "district", "110102", "category", "restaurant", "establishments", "1",
		   "installed", "0", "effective", "0", "business_minutes", "1680.0000",
		   "recorded_minutes", "0.0000", NULL);
	expect_row(r, 3, "district", "110102", "category", "school_canteen", "establishments", "1",
		   "installed", "0", "installed_pct", "0.0000", "target_met", "no",
		   "business_minutes", "480.0000", NULL);
	/* per category: restaurants 1 of 2 installed and effective; 450 /
	 * 2,160 = 20.8333 %; canteens 2 of 3 installed (66.6667 %), 870 /
	 * 3,060 = 28.4314 % */
	expect_row(r, 4, "district", "all", "category", "restaurant", "establishments", "2",
		   "installed", "1", "installed_pct", "50.0000", "effective", "1", "effective_pct",
		   "50.0000", "recorded_pct", "20.8333", NULL);
	expect_row(r, 5, "district", "all", "category", "school_canteen", "establishments", "3",
		   "installed", "2", "installed_pct", "66.6667", "effective", "0", "target_pct",
		   "50.0000", "target_met", "no", "recorded_pct", "28.4314", NULL);
	/* all: 3 of 5 installed, 1 of 5 effective, 1,320 / 5,220 = 25.2874 % */
	expect_row(r, 6, "district", "all", "category", "all", "establishments", "5", "installed",
		   "3", "installed_pct", "60.0000", "effective", "1", "effective_pct", "20.0000",
		   "target_pct", "NULL", "business_minutes", "5220.0000", "recorded_minutes",
		   "1320.0000", "recorded_pct", "25.2874", NULL);
	rows_free(r);

	/* Threshold 0.7: E1 (76.3 %) is effective too: half the canteens of
	 * 110101 meet the 50 % target, a third of all canteens do not. */
	r = coverage(0.7, NULL, 0, NULL);
	expect_row(r, 1, "category", "school_canteen", "effective", "1", "effective_pct", "50.0000",
		   "target_met", "yes", NULL);
	expect_row(r, 5, "category", "school_canteen", "effective", "1", "effective_pct", "33.3333",
		   "target_met", "no", NULL);
	expect_row(r, 6, "effective", "2", "effective_pct", "40.0000", NULL);
	rows_free(r);

	/* Targets given: restaurants 20 %, canteens none */
	r = coverage(0.8, (const struct coverage_target[]){ { "restaurant", 0.2 } }, 1, NULL);
	expect_row(r, 0, "category", "restaurant", "target_pct", "20.0000", "target_met", "yes",
		   NULL);
	expect_row(r, 1, "category", "school_canteen", "target_pct", "NULL", NULL);
	expect_row(r, 2, "category", "restaurant", "target_met", "no", NULL);
	rows_free(r);

	/* One district */
	r = coverage(0.8, NULL, 0, "110102");
	assert_int_equal(r->rows->len, 5);
	expect_row(r, 4, "district", "all", "category", "all", "establishments", "2", "installed",
		   "0", NULL);
	rows_free(r);

	/* A period given to the second is widened to whole local days */
	r = rows_new();
	assert_int_equal(archive_coverage(a,
					  &(struct stats_query){ .from = L("2026-11-23 09:15"),
								 .to = L("2026-11-24 20:00") },
					  0.8, NULL, 0, collect, r),
			 0);
	expect_row(r, 6, "days", "2", "business_minutes", "5220.0000", NULL);
	rows_free(r);
	/* Whole months come from the month rollup (kept by triggers, through
	 * the repeats above). November, 30 days: E1 has its 11-22 12:00 hour
	 * too (60, inside business hours): 930 of 30 × 570 + E2's 30 × 720 =
	 * 38,700; E4 its 11-22 23:00 and 11-25 00:00 hours: 570 of 7,200. */
	r = rows_new();
	assert_int_equal(archive_coverage(a,
					  &(struct stats_query){ .from = L("2026-11-01 00:00"),
								 .to = L("2026-12-01 00:00") },
					  0.8, NULL, 0, collect, r),
			 0);
	expect_row(r, 0, "days", "30", "business_minutes", "7200.0000", "recorded_minutes",
		   "570.0000", NULL);
	expect_row(r, 1, "business_minutes", "38700.0000", "recorded_minutes", "930.0000", NULL);
	rows_free(r);
	/* 10-31 to 12-01: November from months, the two edge days from days */
	r = rows_new();
	assert_int_equal(archive_coverage(a,
					  &(struct stats_query){ .from = "2026-10-30T16:00:00.000Z",
								 .to = "2026-12-01T16:00:00.000Z" },
					  0.8, NULL, 0, collect, r),
			 0);
	expect_row(r, 0, "days", "32", "business_minutes", "7680.0000", "recorded_minutes",
		   "570.0000", NULL);
	expect_row(r, 1, "business_minutes", "41280.0000", "recorded_minutes", "930.0000", NULL);
	rows_free(r);
	assert_int_equal(
	    archive_coverage(a, &(struct stats_query){ .from = FROM }, 0.8, NULL, 0, collect, NULL),
	    -EINVAL);
}

static void test_coverage_detail(void **state)
{
	struct stats_query q = { .from = FROM, .to = TO };
	struct rows *r = rows_new();

	(void)state;
	/* E1: 1,140 business minutes, 870 recorded. Per camera:
	 * cam-a 11-23 570, 11-24 30 + 60 + 60 + 40 + 40 + 60 = 290: 860
	 *   (75.4386 %);
	 * cam-b 11-23 15 + 6 × 30 + 3 × 30 = 285, 11-24 50: 335 (29.3860 %).
	 * Offline: box-e1 09:40–17:20 on 11-24 (460 min), again from 23:00
	 * (60 min to the period's end, still offline); cam-b 20:00–21:00
	 * on 11-23 (60 min). */
	assert_int_equal(archive_coverage_detail(a, "JY11101", &q, collect, r), 0);
	assert_int_equal(r->rows->len, 7);
	expect_row(r, 0, "kind", "establishment", "subject", "JY11101", "minutes", "1140.0000",
		   "from", FROM, "to", TO, NULL);
	expect_row(r, 1, "kind", "recorded", "minutes", "870.0000", "share_pct", "76.3158", NULL);
	expect_row(r, 2, "kind", "camera", "box", "box-e1", "subject", "cam-a", "minutes",
		   "860.0000", "share_pct", "75.4386", NULL);
	expect_row(r, 3, "kind", "camera", "subject", "cam-b", "minutes", "335.0000", "share_pct",
		   "29.3860", NULL);
	expect_row(r, 4, "kind", "box_offline", "from", L("2026-11-24 09:40"), "to",
		   L("2026-11-24 17:20"), "minutes", "460.0000", NULL);
	expect_row(r, 5, "kind", "box_offline", "from", L("2026-11-24 23:00"), "to", "NULL",
		   "minutes", "60.0000", "note", "still offline", NULL);
	expect_row(r, 6, "kind", "camera_offline", "subject", "cam-b", "from",
		   L("2026-11-23 20:00"), "to", L("2026-11-23 21:00"), "minutes", "60.0000", NULL);
	rows_free(r);

	/* E2: installed, never connected */
	r = rows_new();
	assert_int_equal(archive_coverage_detail(a, "JY11102", &q, collect, r), 0);
	assert_int_equal(r->rows->len, 4);
	expect_row(r, 1, "kind", "recorded", "minutes", "0.0000", "share_pct", "0.0000", NULL);
	expect_row(r, 2, "kind", "camera", "subject", "cam-e2", "minutes", "0.0000", "note",
		   "registered, no video in the period", NULL);
	expect_row(r, 3, "kind", "never_connected", "box", "box-e2", NULL);
	rows_free(r);

	/* E4: its camera is known only from its video */
	r = rows_new();
	assert_int_equal(archive_coverage_detail(a, "JY11104", &q, collect, r), 0);
	expect_row(r, 2, "kind", "camera", "subject", "cam-r", "minutes", "450.0000", "note",
		   "not in the registry, seen reporting video", NULL);
	rows_free(r);

	assert_int_equal(archive_coverage_detail(a, "JY99999", &q, collect, NULL), -ENOENT);
}

/* --- the year report ----------------------------------------------------------------- */

static void test_year_report(void **state)
{
	struct rows *r = rows_new();

	(void)state;
	/* Over 2026 nobody is effective (a few days of video in a year).
	 * Alerts: 8 (ev-000 … ev-5), 2 closed (25 %), closed after 60 and 90
	 * (median 75), acknowledged after 5, 20, 75 (median 20). Handling
	 * steps: ev-1 3, ev-2 2, ev-3 1 = 6 by reg-li and reg-wang. Boxes
	 * reporting video: box-e1, box-e4, box-x. */
	assert_int_equal(archive_year_report(a, 2026, 0.8, NULL, 0, collect, r), 0);
	assert_int_equal(r->rows->len, 15);
	expect_row(r, 0, "figure", "establishments in the registry", "value", "5", NULL);
	expect_row(r, 1, "figure", "installed coverage, school_canteen", "value", "66.6667", "note",
		   "2 of 3; target 50 %: met", NULL);
	expect_row(r, 2, "value", "0.0000", "note", "0 of 3; target 50 %: not met", NULL);
	expect_row(r, 3, "figure", "installed coverage, all", "value", "60.0000", NULL);
	expect_row(r, 4, "value", "0.0000", "note", "0 of 5", NULL);
	expect_row(r, 5, "figure", "alerts", "value", "8", NULL);
	expect_row(r, 6, "figure", "alerts handled (closed)", "value", "25.0000", "note", "2 of 8",
		   NULL);
	expect_row(r, 7, "figure", "median time to close", "value", "75.0000", NULL);
	expect_row(r, 8, "figure", "median time to acknowledge", "value", "20.0000", NULL);
	expect_row(r, 9, "value", "NULL", NULL);
	expect_row(r, 10, "value", "6", "note", "acknowledge, start, close; by 2 people", NULL);
	expect_row(r, 11, "value", "3", NULL);
	expect_row(r, 12, "value", "0", NULL);
	expect_row(r, 13, "value", "NULL", "note", "not measured: queries are not logged", NULL);
	rows_free(r);
	assert_int_equal(archive_year_report(a, 26, 0.8, NULL, 0, collect, NULL), -EINVAL);
}

static void test_local_time(void **state)
{
	int64_t ms;
	char ts[CLOCK_TS_LEN];

	(void)state;
	assert_true(archive_parse_when("2026-11-23", &ms));
	clock_format_ms(ms, ts);
	assert_string_equal(ts, FROM);
	assert_true(archive_parse_when("2026-11-23T01:02:03.000Z", &ms));
	assert_false(archive_parse_when("2026-11-23 01:02", &ms));
	assert_false(archive_parse_when("23/11/2026", &ms));
}

/* The rollup keeps the largest minutes per camera and per box hour */
static void test_rollup(void **state)
{
	struct rows *r = rows_new();

	(void)state;
	assert_int_equal(
	    archive_query(a,
			  "SELECT h07, h09, h17 FROM recorded_box_days WHERE box = 'box-e1'"
			  " AND day = '2026-11-24' UNION ALL SELECT h07, h09, h17 FROM"
			  " recorded_camera_days WHERE box = 'box-e1' AND camera = 'cam-a'"
			  " AND day = '2026-11-24'",
			  NULL, 0, collect, r),
	    0);
	assert_int_equal(r->rows->len, 2);
	expect_row(r, 0, "h07", "60.0000", "h09", "50.0000", "h17", "40.0000", NULL);
	expect_row(r, 1, "h07", "60.0000", "h09", "40.0000", "h17", "40.0000", NULL);
	rows_free(r);
}

static void first_int(void *ctx, int ncols, const char *const *names,
		      const struct archive_value *v)
{
	(void)names;
	if (ncols >= 1)
		*(int64_t *)ctx = v[0].type == VALUE_INT ? v[0].i : -1;
}

/* One reading message of 150 samples: stored in order, once, on both
 * engines (PostgreSQL takes them 100 rows a statement). */
static void test_readings_batch(void **state)
{
	struct archive_reading r[150];
	char t[150][CLOCK_TS_LEN];
	int64_t n = -1, sum = -1;

	(void)state;
	for (int i = 0; i < 150; i++) {
		clock_format_ms(INT64_C(1795000000000) + i * 1000, t[i]);
		r[i] = (struct archive_reading){ "fridge-1", "fridge", t[i], "C", (double)i };
	}
	for (int round = 0; round < 2; round++) { /* again: a replay changes nothing */
		assert_int_equal(archive_begin(a), 0);
		assert_int_equal(archive_put_readings(a, "box-batch", 1, r, 150), 0);
		assert_int_equal(archive_commit(a), 0);
	}
	assert_int_equal(archive_query(a,
				       "SELECT count(*) FROM readings WHERE sender = 'box-batch'"
				       " AND CAST(value AS INTEGER) = idx",
				       NULL, 0, first_int, &n),
			 0);
	assert_int_equal(n, 150);
	assert_int_equal(archive_query(a,
				       "SELECT CAST(sum(value) AS INTEGER) FROM readings"
				       " WHERE sender = 'box-batch'",
				       NULL, 0, first_int, &sum),
			 0);
	assert_int_equal(sum, 149 * 150 / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_time),	cmocka_unit_test(test_rollup),
		cmocka_unit_test(test_handling),	cmocka_unit_test(test_alert_list),
		cmocka_unit_test(test_alert_stats),	cmocka_unit_test(test_coverage),
		cmocka_unit_test(test_coverage_detail), cmocka_unit_test(test_year_report),
		cmocka_unit_test(test_readings_batch),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
