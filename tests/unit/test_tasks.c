/*
 * Unit tests: tasks, risk grades, list filtering and penalties at the
 * centre (cloud/archive_tasks.c). Each test opens a fresh archive with the
 * same registry (imported as CSV, as bkctl does):
 *
 *   E1 JY11000000000001 school_canteen 110101, 300 m², 1200 meals, expires 2026-07-01
 *   E2 JY11000000000002 restaurant     110101, no size given, expires 2027-01-01
 *   E3 JY11000000000003 small_eatery   110102, 30 m²
 *   E4 JY11000000000004 care_home      110102, box-e4 with camera cam-1, open
 *      10:00-11:00 local: the coverage fixture
 *   inspectors hh-a, hh-b, hh-c in 110101; hh-d alone in 110102
 *
 * "Now" is fixed: NOW_MS = 2026-06-15 12:00 local (04:00Z).
 */
#include <errno.h>
#include <math.h>
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

#define E1	"JY11000000000001"
#define E2	"JY11000000000002"
#define E3	"JY11000000000003"
#define E4	"JY11000000000004"
#define HOUR_MS (3600 * INT64_C(1000))
#define DAY_MS	(24 * HOUR_MS)

static struct archive *a;
static int64_t NOW_MS;
static int db_n;

static const char establishments_csv[] =
    "licence,name,category,district,address,floor_area,meals_per_day,business_hours,"
    "licence_expires\n" E1 ",一中食堂,school_canteen,110101,路1号,300,1200,,2026-07-01\n" E2
    ",老王餐馆,restaurant,110101,路2号,,,,2027-01-01\n" E3
    ",小面馆,small_eatery,110102,路3号,30,,,\n" E4
    ",福寿养老院,care_home,110102,路4号,,,10:00-11:00,\n";
static const char inspectors_csv[] = "id,name,district,phone\n"
				     "hh-a,甲,110101,\nhh-b,乙,110101,\nhh-c,丙,110101,\n"
				     "hh-d,丁,110102,\n";

static int64_t ms_of(const char *ts)
{
	int64_t ms;

	assert_true(clock_parse_ts(ts, &ms));
	return ms;
}

static const char *ts_of(int64_t ms)
{
	static char buf[8][CLOCK_TS_LEN];
	static int next;
	char *out = buf[next++ % 8];

	clock_format_ms(ms, out);
	return out;
}

static void import(enum registry_kind kind, const char *csv)
{
	GString *errors = g_string_new("");
	int rc = archive_registry_import(a, kind, csv, strlen(csv), errors);

	if (rc < 0)
		fprintf(stderr, "%s", errors->str);
	assert_true(rc >= 0);
	g_string_free(errors, TRUE);
}

static int setup(void **state)
{
	char path[256];

	(void)state;
	NOW_MS = ms_of("2026-06-15T04:00:00.000Z");
	assert_int_equal(unit_archive_target(path, sizeof path, "tasks", db_n++), 0);
	a = archive_open(path, false);
	assert_non_null(a);
	import(REGISTRY_ESTABLISHMENTS, establishments_csv);
	import(REGISTRY_INSPECTORS, inspectors_csv);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	archive_close(a);
	a = NULL;
	return 0;
}

static void sql(const char *text)
{
	assert_int_equal(archive_query(a, text, NULL, 0, NULL, NULL), 0);
}

static void get_int(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	(void)names;
	if (ncols >= 1)
		*(int64_t *)ctx = v[0].type == VALUE_INT ? v[0].i : -1;
}

static int64_t count(const char *text)
{
	int64_t n = -1;

	assert_int_equal(archive_query(a, text, NULL, 0, get_int, &n), 0);
	return n;
}

/* The first row's column name as text ("" when NULL, "%lld" for ints). */
struct pick {
	const char *col;
	char text[512];
	int rows;
};

/* Every row's value of one text column, joined by spaces, in the order given. */
struct column_list {
	const char *col;
	GString *text;
};

static void list_row(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	struct column_list *l = ctx;
	const char *t = archive_column_text(ncols, names, v, l->col);

	g_string_append_printf(l->text, "%s%s", l->text->len ? " " : "", t ? t : "NULL");
}

static void pick_row(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	struct pick *p = ctx;

	if (p->rows++)
		return;
	for (int i = 0; i < ncols; i++) {
		if (strcmp(names[i], p->col))
			continue;
		if (v[i].type == VALUE_TEXT)
			g_strlcpy(p->text, v[i].text, sizeof p->text);
		else if (v[i].type == VALUE_INT)
			snprintf(p->text, sizeof p->text, "%lld", (long long)v[i].i);
		else if (v[i].type == VALUE_REAL)
			snprintf(p->text, sizeof p->text, "%.1f", v[i].r);
	}
}

static const char *const team_ab[] = { "hh-a", "hh-b", NULL };

static void make_task(const char *licence, const char *due, char *id)
{
	struct task_spec s = {
		.kind = "special", .due = due, .inspectors = team_ab, .created_by = "reg-zhang"
	};

	assert_int_equal(archive_task_create(a, licence, &s, NOW_MS, id, NULL), 0);
}

/* An alert row as archive_alert_from_event stores it. */
static void alert(const char *box, const char *id, const char *licence, const char *type,
		  int64_t start_ms, const char *state)
{
	char *q = g_strdup_printf(
	    "INSERT INTO alerts(box, event_id, licence, district, category, type, severity, start,"
	    " archived_at, state) SELECT '%s', '%s', licence, district, category, '%s', 'warning',"
	    " '%s', '%s', '%s' FROM establishments WHERE licence = '%s'",
	    box, id, type, ts_of(start_ms), ts_of(start_ms), state, licence);

	sql(q);
	g_free(q);
}

/* --- grading, table-driven ------------------------------------------------------ */

static void test_grade_cutoffs(void **state)
{
	static const struct {
		double score;
		char grade;
	} def[] = {
		{ 0, 'A' },    { 30, 'A' }, { 30.01, 'B' }, { 45, 'B' },
		{ 45.5, 'C' }, { 60, 'C' }, { 60.01, 'D' }, { 100, 'D' },
	};
	struct task_config cfg;

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(def); i++)
		assert_int_equal(archive_grade_letter(def[i].score, NULL), def[i].grade);
	archive_task_config_default(&cfg);
	cfg.cutoff[0] = 20;
	cfg.cutoff[1] = 40;
	cfg.cutoff[2] = 70;
	assert_int_equal(archive_grade_letter(25, &cfg), 'B');
	assert_int_equal(archive_grade_letter(65, &cfg), 'C');
	assert_int_equal(archive_grade_letter(70.5, &cfg), 'D');
}

static void test_score_formula(void **state)
{
	static const struct {
		struct grade_inputs in;
		double stat, dyn, score;
		char grade;
	} cases[] = {
		/* tier 25 + scale max(area 300 → 11, meals 1200 → 11); never inspected 10 */
		{ { "school_canteen", 300, 1200, NULL, 0, 0, 0, 0 }, 36, 10, 46, 'C' },
		/* 8 + 3 (area 30, meals unknown); compliant 0 */
		{ { "small_eatery", 30, -1, "compliant", 0, 0, 0, 0 }, 11, 0, 11, 'A' },
		/* 12 + 7 (nothing known); 24 + 4 + 3 = 31 → 30; 9 alerts → 6; 1 complaint 5 */
		{ { "restaurant", -1, -1, "non_compliant", 1, 1, 9, 1 }, 19, 41, 60, 'C' },
		/* 25 + max(15, 3); 12 + alerts 45 → 20 (cap) + 3 complaints → 10 (cap) */
		{ { "central_kitchen", 800, 50, "basically_compliant", 0, 0, 45, 3 },
		  40,
		  42,
		  82,
		  'D' },
		/* meals 100 is the second band (7); 3 alerts in 90 days → 2 */
		{ { "kindergarten", -1, 100, "compliant", 0, 0, 3, 0 }, 32, 2, 34, 'B' },
		/* 20 + 15 (1500 meals); never inspected → 45: still B */
		{ { "group_meal", -1, 1500, NULL, 0, 0, 0, 0 }, 35, 10, 45, 'B' },
		/* 2 penalties, compliant latest: 0 + 6 */
		{ { "care_home", 120, 499, "compliant", 0, 2, 0, 0 }, 32, 6, 38, 'B' },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct grade_score s;

		archive_grade_score(&cases[i].in, NULL, &s);
		assert_float_equal(s.static_score, cases[i].stat, 1e-9);
		assert_float_equal(s.dynamic_score, cases[i].dyn, 1e-9);
		assert_float_equal(s.score, cases[i].score, 1e-9);
		assert_int_equal(s.grade, cases[i].grade);
		assert_true(s.static_score <= 40 && s.dynamic_score <= 60);
	}
}

static void test_grade_stored_with_history(void **state)
{
	char id[ARCHIVE_TASK_ID_LEN];
	struct pick p = { .col = "grade" };
	struct inspection_record r = { .result = "non_compliant", .task_id = id };

	(void)state;
	assert_int_equal(archive_grade_compute(a, NULL, NULL, NOW_MS), 0);
	assert_int_equal(archive_grades(a, E1, pick_row, &p), 0);
	assert_string_equal(p.text, "C"); /* 36 + 10, as in the table */
	assert_int_equal(count("SELECT count(*) FROM grade_history"), 4);
	/* the same again: no new history */
	assert_int_equal(archive_grade_compute(a, NULL, NULL, NOW_MS), 0);
	assert_int_equal(count("SELECT count(*) FROM grade_history"), 4);
	/* a non-compliant record: 36 + 24 = 60, still C but a new score */
	make_task(E1, "2026-06-30", id);
	assert_int_equal(archive_inspection_put(a, &r, NULL, NOW_MS), 1);
	assert_int_equal(archive_inspection_put(a, &r, NULL, NOW_MS), 0); /* once per task */
	assert_int_equal(count("SELECT count(*) FROM grade_history WHERE licence = '" E1 "'"), 2);
	assert_int_equal(
	    count("SELECT CAST(round(score) AS INTEGER) FROM grades WHERE licence = '" E1 "'"), 60);
	/* one complaint: 65 → D */
	assert_int_equal(archive_complaint_add(a, E1, NULL, "饭菜有异味", NULL, NOW_MS), 0);
	p = (struct pick){ .col = "grade" };
	assert_int_equal(archive_grades(a, E1, pick_row, &p), 0);
	assert_string_equal(p.text, "D");
	assert_int_equal(count("SELECT count(*) FROM grade_history WHERE licence = '" E1 "'"), 3);
	{
		struct column_list l = { "grade", g_string_new(NULL) };

		assert_int_equal(archive_grade_history(a, E1, list_row, &l), 0);
		assert_int_equal(strlen(l.text->str), strlen("X X X"));
		assert_true(strstr(l.text->str, "D") != NULL);
		g_string_free(l.text, TRUE);
	}
	assert_int_equal(archive_complaint_add(a, "JY19999999999999", NULL, "x", NULL, NOW_MS),
			 -ENOENT);
}

/* --- tasks ---------------------------------------------------------------------- */

static void test_create_checks(void **state)
{
	const char *const one[] = { "hh-a", NULL };
	const char *const twice[] = { "hh-a", "hh-a", NULL };
	const char *const unknown[] = { "hh-a", "hh-zz", NULL };
	struct task_spec s = {
		.kind = "special", .due = "2026-12-15", .inspectors = one, .created_by = "reg"
	};
	GString *why = g_string_new("");

	(void)state;
	assert_int_equal(archive_task_create(a, E1, &s, NOW_MS, NULL, why), -EINVAL);
	assert_non_null(strstr(why->str, "at least 2"));
	s.inspectors = twice;
	assert_int_equal(archive_task_create(a, E1, &s, NOW_MS, NULL, NULL), -EINVAL);
	s.inspectors = unknown;
	assert_int_equal(archive_task_create(a, E1, &s, NOW_MS, NULL, NULL), -ENOENT);
	s.inspectors = team_ab;
	assert_int_equal(archive_task_create(a, "JY19999999999999", &s, NOW_MS, NULL, NULL),
			 -ENOENT);
	s.due = "2026-02-30";
	assert_int_equal(archive_task_create(a, E1, &s, NOW_MS, NULL, NULL), -EINVAL);
	s.due = "2026-12-15";
	s.kind = "raid";
	assert_int_equal(archive_task_create(a, E1, &s, NOW_MS, NULL, NULL), -EINVAL);
	s.kind = "special";
	s.reason = "{\"not\": \"an array\"}";
	assert_int_equal(archive_task_create(a, E1, &s, NOW_MS, NULL, NULL), -EINVAL);
	assert_int_equal(count("SELECT count(*) FROM tasks"), 0);
	g_string_free(why, TRUE);
}

static void test_state_machine(void **state)
{
	static const struct {
		const char *state, *by;
		int rc;
	} steps[] = {
		{ "in_progress", "hh-a", -EINVAL }, /* skips received */
		{ "reviewed", "reg", -EINVAL },
		{ "received", "reg", -EPERM }, /* the inspectors' own step */
		{ "received", "hh-a", 0 },
		{ "received", "hh-a", 0 }, /* a replay: nothing recorded */
		{ "dispatched", "hh-a", -EINVAL },
		{ "in_progress", "hh-b", 0 },
		{ "submitted", "hh-a", 0 },
		{ "cancelled", "reg", -EINVAL }, /* submitted holds a record */
		{ "in_progress", "hh-a", -EINVAL },
		{ "reviewed", "reg-li", 0 },
		{ "cancelled", "reg", -EINVAL },
		{ "bogus", "reg", -EINVAL },
	};
	char id[ARCHIVE_TASK_ID_LEN], id2[ARCHIVE_TASK_ID_LEN];

	(void)state;
	make_task(E1, "2026-06-30", id);
	assert_true(g_str_has_prefix(id, "tk-20260615-"));
	for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
		int rc = archive_task_step(a, id, steps[i].state, steps[i].by, "n", NULL, NOW_MS);

		if (rc != steps[i].rc)
			fail_msg("step %zu (%s by %s): %d, expected %d", i, steps[i].state,
				 steps[i].by, rc, steps[i].rc);
	}
	/* dispatched + received + in_progress + submitted + reviewed */
	assert_int_equal(count("SELECT count(*) FROM task_steps"), 5);
	/* in the order recorded (bkctl task show; several in one millisecond) */
	{
		struct column_list l = { "state", g_string_new(NULL) };

		assert_int_equal(archive_task_steps(a, id, list_row, &l), 0);
		assert_string_equal(l.text->str, "dispatched received in_progress submitted reviewed");
		g_string_free(l.text, TRUE);
	}
	assert_int_equal(archive_task_step(a, "tk-none", "received", "hh-a", NULL, NULL, NOW_MS),
			 -ENOENT);
	/* cancelled from dispatched, received, in_progress */
	make_task(E2, "2026-06-30", id2);
	assert_int_equal(
	    archive_task_step(a, id2, "received", "hh-b", NULL, "2026-06-15T03:00:00.000Z", NOW_MS),
	    0);
	assert_int_equal(archive_task_step(a, id2, "cancelled", "reg", "重复", NULL, NOW_MS), 0);
	assert_int_equal(archive_task_step(a, id2, "in_progress", "hh-b", NULL, NULL, NOW_MS),
			 -EINVAL);
	/* the handheld's time is kept beside the time recorded */
	assert_int_equal(count("SELECT count(*) FROM task_steps WHERE at = "
			       "'2026-06-15T03:00:00.000Z' AND recorded_at = "
			       "'2026-06-15T04:00:00.000Z'"),
			 1);
}

static void test_campaign(void **state)
{
	struct list_filter f = { .district = "110101" };
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	struct task_spec s = { .kind = "special",
			       .due = "2026-07-15",
			       .inspectors = team_ab,
			       .note = "夏季专项",
			       .created_by = "reg" };
	const char *const two[] = { E3, "JY19999999999999", NULL };

	(void)state;
	assert_int_equal(archive_task_campaign(a, NULL, &f, NULL, &s, NOW_MS, ids, NULL), 2);
	assert_int_equal(ids->len, 2);
	assert_int_equal(count("SELECT count(*) FROM tasks WHERE kind = 'special'"), 2);
	assert_int_equal(count("SELECT count(*) FROM task_inspectors"), 4);
	/* all or none: one unknown licence and nothing is made */
	assert_int_equal(archive_task_campaign(a, two, NULL, NULL, &s, NOW_MS, ids, NULL), -ENOENT);
	assert_int_equal(ids->len, 2);
	assert_int_equal(count("SELECT count(*) FROM tasks"), 2);
	g_ptr_array_free(ids, TRUE);
}

/* --- automatic tasks --------------------------------------------------------------- */

static const struct task_rule rules[] = {
	{ .name = "cold-chain-2h",
	  .kind = RULE_NOT_CLOSED,
	  .types = "temperature_high,temperature_low",
	  .hours = 2,
	  .due_days = 1 },
	{ .name = "no-mask-week",
	  .kind = RULE_REPEATED,
	  .types = "no_mask",
	  .count = 3,
	  .days = 7 },
};

static void test_auto_not_closed(void **state)
{
	struct task_run run = { 0 };
	struct pick p = { .col = "reason" };
	struct task_query q = { .kind = "alert" };

	(void)state;
	alert("box-e1", "ev-old", E1, "temperature_high", NOW_MS - 3 * HOUR_MS, "acknowledged");
	alert("box-e1", "ev-new", E1, "temperature_high", NOW_MS - 1 * HOUR_MS, "new");
	alert("box-e2", "ev-shut", E2, "temperature_high", NOW_MS - 5 * HOUR_MS, "closed");
	alert("box-e2", "ev-mask", E2, "no_mask", NOW_MS - 5 * HOUR_MS, "new");
	assert_int_equal(archive_tasks_from_alerts(a, rules, 1, NULL, NOW_MS, &run), 0);
	assert_int_equal(run.created, 1);
	assert_int_equal(archive_tasks(a, &q, NOW_MS, pick_row, &p), 0);
	assert_int_equal(p.rows, 1);
	assert_string_equal(p.text, "[\"box-e1:ev-old\"]");
	p = (struct pick){ .col = "due" };
	assert_int_equal(archive_tasks(a, &q, NOW_MS, pick_row, &p), 0);
	assert_string_equal(p.text, "2026-06-16");
	/* not twice: the open task holds it; an hour later ev-new is late too,
	 * but a task of the rule is still open there */
	run = (struct task_run){ 0 };
	assert_int_equal(archive_tasks_from_alerts(a, rules, 1, NULL, NOW_MS + 2 * HOUR_MS, &run),
			 0);
	assert_int_equal(run.created, 0);
	assert_int_equal(run.skipped_open, 1);
	/* once the task is done, only the alert not yet named comes back */
	sql("UPDATE tasks SET state = 'reviewed'");
	make_task(E2, "2026-06-30", NULL); /* hh-a and hh-b now have an open task each */
	run = (struct task_run){ .ids = g_ptr_array_new_with_free_func(g_free) };
	assert_int_equal(archive_tasks_from_alerts(a, rules, 1, NULL, NOW_MS + 2 * HOUR_MS, &run),
			 0);
	assert_int_equal(run.created, 1);
	assert_int_equal(run.ids->len, 1);
	assert_int_equal(count("SELECT count(*) FROM tasks WHERE reason = '[\"box-e1:ev-new\"]'"),
			 1);
	g_ptr_array_free(run.ids, TRUE);
	/* least loaded first: hh-c (no open task), then hh-a (by id) */
	assert_int_equal(count("SELECT count(*) FROM task_inspectors i JOIN tasks t USING (task_id)"
			       " WHERE t.kind = 'alert' AND t.state = 'dispatched'"
			       " AND i.inspector IN ('hh-a', 'hh-c')"),
			 2);
}

static void test_auto_repeated(void **state)
{
	struct task_run run = { 0 };

	(void)state;
	/* three no_mask in a week at E1 (one closed: still counts), two at E2,
	 * one at E1 too old */
	alert("box-e1", "m1", E1, "no_mask", NOW_MS - 6 * DAY_MS, "closed");
	alert("box-e1", "m2", E1, "no_mask", NOW_MS - 3 * DAY_MS, "new");
	alert("box-e1", "m3", E1, "no_mask", NOW_MS - 1 * HOUR_MS, "new");
	alert("box-e1", "m0", E1, "no_mask", NOW_MS - 8 * DAY_MS, "new");
	alert("box-e1", "s1", E1, "smoking", NOW_MS - 1 * HOUR_MS, "new");
	alert("box-e2", "m4", E2, "no_mask", NOW_MS - 1 * DAY_MS, "new");
	alert("box-e2", "m5", E2, "no_mask", NOW_MS - 2 * DAY_MS, "new");
	assert_int_equal(archive_tasks_from_alerts(a, rules, 2, NULL, NOW_MS, &run), 0);
	assert_int_equal(run.created, 1);
	assert_int_equal(count("SELECT count(*) FROM tasks WHERE licence = '" E1 "' AND rule ="
			       " 'no-mask-week' AND json_array_length(reason) = 3"),
			 1);
	/* not twice, and once reviewed its alerts do not count again */
	run = (struct task_run){ 0 };
	assert_int_equal(archive_tasks_from_alerts(a, rules, 2, NULL, NOW_MS, &run), 0);
	assert_int_equal(run.created, 0);
	sql("UPDATE tasks SET state = 'reviewed'");
	alert("box-e1", "m6", E1, "no_mask", NOW_MS, "new");
	run = (struct task_run){ 0 };
	assert_int_equal(archive_tasks_from_alerts(a, rules, 2, NULL, NOW_MS, &run), 0);
	assert_int_equal(run.created, 0);
	/* a district with one inspector: no task, counted */
	alert("box-e3", "n1", E3, "no_mask", NOW_MS - HOUR_MS, "new");
	alert("box-e3", "n2", E3, "no_mask", NOW_MS - HOUR_MS, "new");
	alert("box-e3", "n3", E3, "no_mask", NOW_MS - HOUR_MS, "new");
	run = (struct task_run){ 0 };
	assert_int_equal(archive_tasks_from_alerts(a, rules, 2, NULL, NOW_MS, &run), 0);
	assert_int_equal(run.created, 0);
	assert_int_equal(run.no_inspectors, 1);
	/* bad rules are refused */
	struct task_rule bad = { .name = "x", .kind = RULE_REPEATED, .count = 0, .days = 7 };
	assert_int_equal(archive_tasks_from_alerts(a, &bad, 1, NULL, NOW_MS, &run), -EINVAL);
}

/* --- the risk schedule ---------------------------------------------------------------- */

static int64_t day_of(const char *date)
{
	struct tm tm = { 0 };

	assert_non_null(strptime(date, "%Y-%m-%d", &tm));
	return (int64_t)timegm(&tm) / 86400;
}

static void test_schedule_spread(void **state)
{
	static const char *const lic[] = { E1, E2, E3, E4, "JY11000000000005", "JY11000000000006" };
	char due[11], prev[11];
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	(void)state;
	/* four visits: every due date in 2026, about a quarter apart */
	for (int k = 1; k <= 4; k++) {
		archive_task_slot_due(E1, 2026, 4, k, due);
		assert_true(g_str_has_prefix(due, "2026-"));
		if (k > 1) {
			int64_t gap = day_of(due) - day_of(prev);

			assert_true(gap >= 91 && gap <= 92);
		}
		g_strlcpy(prev, due, sizeof prev);
	}
	/* one visit a year: establishments do not all fall on one day */
	for (size_t i = 0; i < G_N_ELEMENTS(lic); i++) {
		archive_task_slot_due(lic[i], 2026, 1, 1, due);
		assert_true(g_str_has_prefix(due, "2026-"));
		g_hash_table_add(seen, g_strdup(due));
	}
	assert_true(g_hash_table_size(seen) >= 5);
	g_hash_table_destroy(seen);
}

static void test_schedule_tasks(void **state)
{
	struct task_run run = { 0 };
	char due[11], date[11];
	int64_t now;
	struct pick p = { .col = "due" };
	struct task_query q = { .kind = "routine", .licence = E1 };

	(void)state;
	assert_int_equal(archive_grade_compute(a, NULL, NULL, NOW_MS), 0);
	/* E1 is C: three visits. Ten days before its first slot: made, due then */
	archive_task_slot_due(E1, 2027, 3, 1, due);
	now = day_of(due) * DAY_MS - 10 * DAY_MS + 4 * HOUR_MS; /* local noon */
	assert_int_equal(archive_tasks_schedule(a, NULL, now, &run), 0);
	assert_int_equal(archive_tasks(a, &q, now, pick_row, &p), 0);
	assert_int_equal(p.rows, 1);
	assert_string_equal(p.text, due);
	/* again: not twice (the slot is remembered) */
	int64_t before = count("SELECT count(*) FROM tasks");
	assert_int_equal(archive_tasks_schedule(a, NULL, now, &run), 0);
	assert_int_equal(count("SELECT count(*) FROM tasks"), before);
	/* 40 days before its second slot: not yet */
	archive_task_slot_due(E1, 2027, 3, 2, date);
	/* what refers to the tasks first: PostgreSQL enforces the foreign keys */
	sql("DELETE FROM task_inspectors WHERE task_id IN (SELECT task_id FROM tasks"
	    " WHERE kind = 'routine')");
	sql("DELETE FROM task_steps WHERE task_id IN (SELECT task_id FROM tasks"
	    " WHERE kind = 'routine')");
	sql("DELETE FROM tasks WHERE kind = 'routine'");
	run = (struct task_run){ 0 };
	assert_int_equal(archive_tasks_schedule(
			     a, NULL, day_of(date) * DAY_MS - 40 * DAY_MS + 4 * HOUR_MS, &run),
			 0);
	assert_int_equal(count("SELECT count(*) FROM tasks WHERE licence = '" E1 "'"), 0);
	/* E3 and E4 are in a district with one inspector: never a task */
	assert_int_equal(count("SELECT count(*) FROM tasks WHERE licence IN ('" E3 "', '" E4 "')"),
			 0);
}

/* --- the list ---------------------------------------------------------------------------- */

struct names {
	GString *s;
};

static void name_row(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	GString *s = ctx;

	(void)names;
	(void)ncols;
	g_string_append_printf(s, "%s ", v[0].text);
}

static const char *list(const struct list_filter *f)
{
	static char out[512];
	GString *s = g_string_new("");

	assert_int_equal(archive_list(a, f, NULL, NOW_MS, name_row, s), 0);
	g_strlcpy(out, s->str, sizeof out);
	g_string_free(s, TRUE);
	return out;
}

/* E4 has a box with a camera and an hour of video in its business hour
 * (10:00-11:00 local) on each of the 30 days before today. */
static void cover_e4(void)
{
	static const char boxes[] = "box,licence,provisioned\nbox-e4,JY11000000000004,2026-01-01\n";
	static const char cams[] = "box,camera,zone,gb28181_id\nbox-e4,cam-1,专间,\n";
	int64_t today = (NOW_MS + 8 * HOUR_MS) / DAY_MS; /* local day number */

	import(REGISTRY_BOXES, boxes);
	import(REGISTRY_CAMERAS, cams);
	for (int d = 1; d <= 30; d++) {
		/* local 10:00 of day today − d is 02:00Z */
		const char *t = ts_of((today - d) * DAY_MS + 2 * HOUR_MS);

		assert_int_equal(archive_put_message(a, "box-e4", d, "reading", t, "{}", 2), 1);
		assert_int_equal(
		    archive_put_reading(a, "box-e4", d, 0, "cam-1", "video_recorded", t, 60, "min"),
		    0);
	}
}

static void test_list_filters(void **state)
{
	char id[ARCHIVE_TASK_ID_LEN];

	(void)state;
	assert_int_equal(archive_grade_compute(a, NULL, NULL, NOW_MS), 0);
	/* grades: E1 36+10 C, E2 19+10 A, E3 11+10 A, E4 25+7+10 B */
	assert_string_equal(list(&(struct list_filter){ .grade = "C" }), E1 " ");
	assert_string_equal(list(&(struct list_filter){ .grade = "B" }), E4 " ");
	assert_string_equal(list(&(struct list_filter){ .grade = "A", .district = "110102" }),
			    E3 " ");
	assert_string_equal(list(&(struct list_filter){ .category = "restaurant" }), E2 " ");
	/* overdue: graded and never inspected: everyone; give E2 an inspection
	 * (A: within 365 days) and E1 a recent one but an open task past due */
	make_task(E2, "2026-06-20", id);
	assert_int_equal(archive_inspection_put(
			     a, &(struct inspection_record){ .task_id = id, .result = "compliant" },
			     NULL, NOW_MS - 100 * DAY_MS),
			 1);
	make_task(E3, "2026-06-20", id);
	assert_int_equal(archive_inspection_put(
			     a, &(struct inspection_record){ .task_id = id, .result = "compliant" },
			     NULL, NOW_MS - 400 * DAY_MS),
			 1);
	make_task(E1, "2026-06-10", id);
	assert_int_equal(archive_inspection_put(
			     a, &(struct inspection_record){ .task_id = id, .result = "compliant" },
			     NULL, NOW_MS - 10 * DAY_MS),
			 1);
	make_task(E1, "2026-06-14", id); /* past due, open */
	make_task(E4, "2026-06-15", id); /* due today: not past */
	assert_string_equal(list(&(struct list_filter){ .overdue = true }), E1 " " E3 " " E4 " ");
	/* E4 with an inspection 100 days ago: B wants one every 182 days */
	make_task(E4, "2026-06-20", id);
	assert_int_equal(archive_inspection_put(
			     a, &(struct inspection_record){ .task_id = id, .result = "compliant" },
			     NULL, NOW_MS - 100 * DAY_MS),
			 1);
	assert_string_equal(list(&(struct list_filter){ .overdue = true }), E1 " " E3 " ");
	/* open alerts */
	alert("box-e2", "a1", E2, "rodent", NOW_MS - DAY_MS, "closed");
	alert("box-e3", "a2", E3, "rodent", NOW_MS - DAY_MS, "acknowledged");
	assert_string_equal(list(&(struct list_filter){ .open_alerts = true }), E3 " ");
	/* licence expiring: E1 on 2026-07-01 (16 days), E2 2027-01-01 */
	assert_string_equal(list(&(struct list_filter){ .expiring_days = 16 }), E1 " ");
	assert_string_equal(list(&(struct list_filter){ .expiring_days = 15 }), "");
	assert_string_equal(list(&(struct list_filter){ .expiring_days = 365 }), E1 " " E2 " ");
	/* not effectively covered: all but E4 */
	cover_e4();
	assert_string_equal(list(&(struct list_filter){ .not_covered = true }),
			    E1 " " E2 " " E3 " ");
	/* filters combine */
	assert_string_equal(list(&(struct list_filter){
				.not_covered = true, .overdue = true, .district = "110102" }),
			    E3 " ");
	assert_int_equal(
	    archive_list(a, &(struct list_filter){ .grade = "E" }, NULL, NOW_MS, name_row, NULL),
	    -EINVAL);
}

/* --- records and penalties ----------------------------------------------------------------- */

static void test_followup(void **state)
{
	char id[ARCHIVE_TASK_ID_LEN];
	struct inspection_record r = { .task_id = id,
				       .result = "basically_compliant",
				       .answers = "[{\"item\":\"1.1\",\"answer\":\"no\"}]",
				       .followup_due = "2026-06-25" };

	(void)state;
	make_task(E2, "2026-06-20", id);
	assert_int_equal(archive_task_step(a, id, "cancelled", "reg", NULL, NULL, NOW_MS), 0);
	assert_int_equal(archive_inspection_put(a, &r, NULL, NOW_MS), -EINVAL); /* cancelled */
	make_task(E2, "2026-06-20", id);
	r.answers = "not json";
	assert_int_equal(archive_inspection_put(a, &r, NULL, NOW_MS), -EINVAL);
	r.answers = "[{\"item\":\"1.1\",\"answer\":\"no\"}]";
	assert_int_equal(archive_inspection_put(a, &r, NULL, NOW_MS), 1);
	assert_int_equal(count("SELECT count(*) FROM tasks WHERE kind = 'followup' AND due ="
			       " '2026-06-25' AND created_by = 'auto:followup'"),
			 1);
	assert_int_equal(count("SELECT count(*) FROM inspections WHERE inspectors ="
			       " '[\"hh-a\",\"hh-b\"]'"),
			 1);
}

static struct penalty_spec fine(const char *task_id, const char *party, const char *party_type,
				double amount)
{
	return (struct penalty_spec){
		.task_id = task_id,
		.agency = "城关市监当罚",
		.party = party,
		.party_type = party_type,
		.penalty_type = amount > 0 ? "fine" : "warning",
		.amount_cny = amount,
		.violation = "从业人员未佩戴口罩",
		.legal_basis = "《食品安全法》第一百二十六条",
	};
}

static void test_decision_serials(void **state)
{
	char id[ARCHIVE_TASK_ID_LEN], no[ARCHIVE_DECISION_NO_LEN];
	struct penalty_spec p;
	int64_t serial = 0;

	(void)state;
	make_task(E2, "2026-06-20", id);
	p = fine(id, "老王餐馆", "organisation", 0);
	assert_int_equal(archive_penalty_put(a, &p, NULL, NOW_MS, &serial, no), 0);
	assert_int_equal(serial, 1);
	assert_string_equal(no, "城关市监当罚〔2026〕0001号");
	p = fine(id, "王某", "individual", 200);
	assert_int_equal(archive_penalty_put(a, &p, NULL, NOW_MS, &serial, no), 0);
	assert_int_equal(serial, 2);
	/* above the caps: refused, nothing allocated */
	p = fine(id, "王某", "individual", 200.01);
	assert_int_equal(archive_penalty_put(a, &p, NULL, NOW_MS, &serial, no), -ERANGE);
	p = fine(id, "老王餐馆", "organisation", 3001);
	assert_int_equal(archive_penalty_put(a, &p, NULL, NOW_MS, &serial, no), -ERANGE);
	p = fine(id, "老王餐馆", "organisation", 3000);
	p.penalty_type = "warning"; /* a warning with an amount */
	assert_int_equal(archive_penalty_put(a, &p, NULL, NOW_MS, &serial, no), -EINVAL);
	/* storing the penalty fails after the serial was taken: 3 is consumed */
	if (getenv("BK_TEST_PG")) { /* as written for PostgreSQL (no translation) */
		sql("-- native\n"
		    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
		    " $f$BEGIN IF NEW.party = 'FAIL' THEN RAISE 'refused by the test'; END IF;"
		    " RETURN NEW; END$f$");
		sql("-- native\n"
		    "CREATE TRIGGER refuse BEFORE INSERT ON penalties FOR EACH ROW"
		    " EXECUTE FUNCTION refuse()");
	} else {
		sql("CREATE TRIGGER refuse BEFORE INSERT ON penalties WHEN new.party = 'FAIL'"
		    " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
	}
	p = fine(id, "FAIL", "organisation", 3000);
	assert_int_equal(archive_penalty_put(a, &p, NULL, NOW_MS, &serial, no), -EIO);
	assert_int_equal(serial, 3);
	/* the same inside a caller's transaction that is then committed */
	assert_int_equal(archive_begin(a), 0);
	assert_int_equal(archive_penalty_put(a, &p, NULL, NOW_MS, &serial, no), -EIO);
	assert_int_equal(serial, 4);
	assert_int_equal(archive_commit(a), 0);
	p = fine(id, "老王餐馆", "organisation", 3000);
	assert_int_equal(archive_penalty_put(a, &p, NULL, NOW_MS, &serial, no), 0);
	assert_int_equal(serial, 5);
	assert_int_equal(count("SELECT count(*) FROM penalties"), 3);
	assert_int_equal(count("SELECT count(*) FROM decision_serials"), 5);
	assert_int_equal(count("SELECT count(*) FROM decision_serials d WHERE NOT EXISTS"
			       " (SELECT 1 FROM penalties p WHERE p.agency = d.agency AND"
			       " p.year = d.year AND p.serial = d.serial)"),
			 2);
	/* a new year starts at 1; another agency has its own */
	p.decided_at = "2026-12-31T16:30:00.000Z"; /* local 2027-01-01 00:30 */
	assert_int_equal(archive_penalty_put(a, &p, NULL, NOW_MS, &serial, no), 0);
	assert_int_equal(serial, 1);
	assert_string_equal(no, "城关市监当罚〔2027〕0001号");
	p.decided_at = NULL;
	p.agency = "东城市监当罚";
	assert_int_equal(archive_penalty_put(a, &p, NULL, NOW_MS, &serial, no), 0);
	assert_int_equal(serial, 1);
	/* penalties move the grade: 19 + (10 + 3 per penalty) = 32, 35, 38, then
	 * the other agency's 41 (the 2027 one is after now: not counted) */
	assert_int_equal(count("SELECT count(*) FROM grade_history WHERE licence = '" E2 "'"), 4);
	assert_int_equal(
	    count("SELECT CAST(score AS INTEGER) FROM grades WHERE licence = '" E2 "'"), 41);
	p.task_id = "tk-none";
	assert_int_equal(archive_penalty_put(a, &p, NULL, NOW_MS, &serial, no), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grade_cutoffs),
		cmocka_unit_test(test_score_formula),
		cmocka_unit_test(test_schedule_spread),
		cmocka_unit_test_setup_teardown(test_grade_stored_with_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_machine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_campaign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_not_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auto_repeated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schedule_tasks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_followup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decision_serials, setup, teardown),
	};

	log_init("test_tasks", (enum log_level)(LOG_ERROR + 1)); /* quiet: failures are provoked */
	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
