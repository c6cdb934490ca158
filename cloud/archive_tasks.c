/*
 * archive_tasks.c — inspection tasks, inspection records, simple
 * penalties, complaints, risk grades and the list filtering (名单筛选) at
 * the centre (see archive.h, "tasks, grading and lists").
 *
 * Invariants:
 *  - a task has at least TASK_MIN_INSPECTORS distinct registered
 *    inspectors, and every change of its state is a row of task_steps
 *    (who, when it happened, when it was recorded): 执法留痕;
 *  - the state only moves along dispatched → received → in_progress →
 *    submitted → reviewed, or to cancelled before submitted;
 *  - an alert id named by a task of an automatic rule is never counted by
 *    that rule again (task_alerts), and a rule makes no second task for an
 *    establishment while one of it is open; a routine slot (year, visits a
 *    year, k) is made once (unique index);
 *  - a decision serial is taken from agency_year_serials, which only
 *    grows, and recorded in decision_serials before the penalty is
 *    stored, in a savepoint of its own (see archive_penalty_put);
 *  - grades are recomputed on every record, penalty and complaint, and by
 *    archive_grade_compute (bkctl tasks auto); grade_history gets a row
 *    when the grade or the score changes.
 *
 * Costs: a list is one query over the establishments plus, only for the
 * "not covered" filter, one archive_coverage_detail per candidate (a few
 * indexed queries each). Automatic runs are a query per rule and one per
 * establishment; each task is a handful of inserts.
 */
#include "archive.h"
#include "archive_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <glib.h>

#include "clock.h"
#include "log.h"
#include "message.h"

/* The simple procedure's caps (Administrative Penalty Law 2021, art. 51):
 * law, not county configuration. */
#define CAP_INDIVIDUAL_CNY   200.0
#define CAP_ORGANISATION_CNY 3000.0

/* Look-back windows of the dynamic score. */
#define GRADE_YEAR_DAYS	  365
#define GRADE_ALERT_DAYS  90
#define COVERAGE_DAYS	  30
#define MAX_TEXT	  4096 /* notes, violations, complaints */
#define MAX_AGENCY	  256
#define MAX_INSPECTOR_LEN 64

const char archive_tasks_schema[] =
    "CREATE TABLE tasks(task_id TEXT PRIMARY KEY, licence TEXT NOT NULL"
    " REFERENCES establishments(licence),"
    " kind TEXT NOT NULL CHECK (kind IN ('routine', 'special', 'alert', 'followup')),"
    " reason TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(reason)"
    " AND json_type(reason) = 'array'), rule TEXT, slot TEXT, due TEXT NOT NULL,"
    " checklist TEXT, note TEXT, state TEXT NOT NULL DEFAULT 'dispatched'"
    " CHECK (state IN ('dispatched', 'received', 'in_progress', 'submitted', 'reviewed',"
    " 'cancelled')), created_at TEXT NOT NULL, created_by TEXT NOT NULL,"
    " updated TEXT NOT NULL);"
    "CREATE INDEX tasks_by_licence ON tasks(licence, state);"
    "CREATE INDEX tasks_by_due ON tasks(state, due);"
    "CREATE UNIQUE INDEX tasks_by_slot ON tasks(licence, slot) WHERE slot IS NOT NULL;"
    "CREATE TABLE task_inspectors(task_id TEXT NOT NULL REFERENCES tasks(task_id),"
    " inspector TEXT NOT NULL, sent_state TEXT, sent_at TEXT,"
    " PRIMARY KEY(task_id, inspector)) WITHOUT ROWID;"
    "CREATE INDEX task_inspectors_by_inspector ON task_inspectors(inspector);"
    "CREATE TABLE task_alerts(alert_id TEXT NOT NULL, task_id TEXT NOT NULL,"
    " PRIMARY KEY(alert_id, task_id)) WITHOUT ROWID;"
    "CREATE TABLE task_steps(task_id TEXT NOT NULL, state TEXT NOT NULL, by TEXT NOT NULL,"
    " at TEXT NOT NULL, recorded_at TEXT NOT NULL, note TEXT);"
    "CREATE INDEX task_steps_by_task ON task_steps(task_id);"
    "CREATE TABLE inspections(task_id TEXT PRIMARY KEY REFERENCES tasks(task_id),"
    " licence TEXT NOT NULL, result TEXT NOT NULL CHECK (result IN ('compliant',"
    " 'basically_compliant', 'non_compliant')), answers TEXT NOT NULL"
    " CHECK (json_valid(answers)), inspectors TEXT NOT NULL, submitted_at TEXT NOT NULL,"
    " recorded_at TEXT NOT NULL);"
    "CREATE INDEX inspections_by_licence ON inspections(licence, submitted_at);"
    /* the counter only grows; decision_serials lists every serial handed
     * out, so a gap (allocated, no penalty) is visible and explained */
    "CREATE TABLE agency_year_serials(agency TEXT NOT NULL, year INTEGER NOT NULL,"
    " last INTEGER NOT NULL, PRIMARY KEY(agency, year)) WITHOUT ROWID;"
    "CREATE TABLE decision_serials(agency TEXT NOT NULL, year INTEGER NOT NULL,"
    " serial INTEGER NOT NULL, task_id TEXT NOT NULL, allocated_at TEXT NOT NULL,"
    " PRIMARY KEY(agency, year, serial)) WITHOUT ROWID;"
    "CREATE TABLE penalties(decision_no TEXT PRIMARY KEY, agency TEXT NOT NULL,"
    " year INTEGER NOT NULL, serial INTEGER NOT NULL, task_id TEXT NOT NULL,"
    " licence TEXT NOT NULL, party TEXT NOT NULL, party_type TEXT NOT NULL"
    " CHECK (party_type IN ('individual', 'organisation')), penalty_type TEXT NOT NULL"
    " CHECK (penalty_type IN ('warning', 'fine')), amount_cny REAL NOT NULL,"
    " violation TEXT NOT NULL, legal_basis TEXT NOT NULL, decided_at TEXT NOT NULL,"
    " recorded_at TEXT NOT NULL, UNIQUE(agency, year, serial));"
    "CREATE INDEX penalties_by_licence ON penalties(licence, decided_at);"
    "CREATE TABLE grades(licence TEXT PRIMARY KEY, grade TEXT NOT NULL"
    " CHECK (grade IN ('A', 'B', 'C', 'D')), score REAL NOT NULL, static_score REAL NOT NULL,"
    " dynamic_score REAL NOT NULL, computed_at TEXT NOT NULL, reason TEXT NOT NULL);"
    "CREATE TABLE grade_history(licence TEXT NOT NULL, grade TEXT NOT NULL,"
    " score REAL NOT NULL, static_score REAL NOT NULL, dynamic_score REAL NOT NULL,"
    " computed_at TEXT NOT NULL, reason TEXT NOT NULL);"
    "CREATE INDEX grade_history_by_licence ON grade_history(licence, computed_at);"
    "CREATE TABLE complaints(id INTEGER PRIMARY KEY, licence TEXT NOT NULL, at TEXT NOT NULL,"
    " text TEXT NOT NULL, recorded_at TEXT NOT NULL);"
    "CREATE INDEX complaints_by_licence ON complaints(licence, at);"
    /* grading and lists count an establishment's alerts */
    "CREATE INDEX alerts_by_licence ON alerts(licence, start);";

static const char *const kinds[] = { "routine", "special", "alert", "followup" };
enum { S_DISPATCHED, S_RECEIVED, S_IN_PROGRESS, S_SUBMITTED, S_REVIEWED, S_CANCELLED };
static const char *const states[] = { "dispatched", "received", "in_progress",
				      "submitted",  "reviewed", "cancelled" };
static const char *const results[] = { "compliant", "basically_compliant", "non_compliant" };
#define OPEN_STATES "('dispatched', 'received', 'in_progress')"

/* --- small helpers ------------------------------------------------------- */

static double value_real(const struct archive_value *v, double none)
{
	return v->type == VALUE_INT ? (double)v->i : v->type == VALUE_REAL ? v->r : none;
}

static int index_of(const char *const *list, size_t n, const char *text)
{
	for (size_t i = 0; text && i < n; i++) {
		if (!strcmp(list[i], text))
			return (int)i;
	}
	return -1;
}

static void problem(GString *errors, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void problem(GString *errors, const char *fmt, ...)
{
	va_list ap;

	if (!errors)
		return;
	va_start(ap, fmt);
	g_string_append_vprintf(errors, fmt, ap);
	va_end(ap);
	g_string_append_c(errors, '\n');
}

static int local_year(int64_t ms)
{
	char d[DATE_LEN];

	archive_day_text(archive_local_day(ms), d);
	return atoi(d);
}

/* A YYYY-MM-DD date that exists; its day number. */
static bool parse_date(const char *text, int64_t *day)
{
	int y, m, d, n = 0;
	char back[DATE_LEN];

	if (!text || strlen(text) != 10 || sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 ||
	    n != 10 || m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	*day = archive_days_from_civil(y, m, d);
	archive_day_text(*day, back);
	return !strcmp(back, text);
}

/* A timestamp in the archive's one canonical form (text order = time order). */
static bool canonical_ts(const char *text, int64_t now_ms, char *out)
{
	int64_t ms = now_ms;

	if (text && !clock_parse_ts(text, &ms))
		return false;
	clock_format_ms(ms, out);
	return true;
}

/* The first row's first column. */
struct one {
	bool found;
	int64_t i;
	double r;
	char *text;
};

static void one_row(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	struct one *o = ctx;

	(void)names;
	if (o->found || ncols < 1)
		return;
	o->found = true;
	o->i = v[0].type == VALUE_INT ? v[0].i : (int64_t)value_real(&v[0], 0);
	o->r = value_real(&v[0], NAN);
	o->text = g_strdup(value_text(&v[0]));
}

static int query_one(struct archive *a, const char *sql, const struct archive_value *p, int n,
		     struct one *o)
{
	memset(o, 0, sizeof *o);
	return archive_query(a, sql, p, n, one_row, o);
}

/* Each row's first column (text) into a GPtrArray of g_strdup'd strings. */
static void strings_row(void *ctx, int ncols, const char *const *names,
			const struct archive_value *v)
{
	(void)names;
	if (ncols >= 1 && value_text(&v[0]))
		g_ptr_array_add(ctx, g_strdup(v[0].text));
}

static int count_of(struct archive *a, const char *sql, const struct archive_value *p, int n,
		    int64_t *count)
{
	struct one o;
	int rc = query_one(a, sql, p, n, &o);

	*count = o.i;
	g_free(o.text);
	return rc;
}

/* FNV-1a, 32 bits: stable across builds and platforms (unlike g_str_hash). */
static uint32_t fnv1a(const char *text)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

void archive_task_config_default(struct task_config *c)
{
	*c = (struct task_config){
		.cutoff = { 30, 45, 60 },
		.visits = { 1, 2, 3, 4 },
		.ahead_days = 30,
		.team = TASK_MIN_INSPECTORS,
		.coverage = 0.8,
	};
}

static const struct task_config *config_or_default(const struct task_config *c,
						   struct task_config *store)
{
	if (c)
		return c;
	archive_task_config_default(store);
	return store;
}

/* --- the risk grade --------------------------------------------------------- */

/* Category tiers out of 25 (DOMAIN.md: schools, nurseries, care homes and
 * central kitchens are the highest static tier). */
static const struct {
	const char *category;
	double tier;
} tiers[] = {
	{ "school_canteen", 25 },  { "kindergarten", 25 }, { "care_home", 25 },
	{ "central_kitchen", 25 }, { "group_meal", 20 },   { "restaurant", 12 },
	{ "small_eatery", 8 },
};

static double scale_points(double v, double b1, double b2, double b3)
{
	return v < b1 ? 3 : v < b2 ? 7 : v < b3 ? 11 : 15;
}

char archive_grade_letter(double score, const struct task_config *cfg)
{
	struct task_config d;

	cfg = config_or_default(cfg, &d);
	for (int i = 0; i < 3; i++) {
		if (score <= cfg->cutoff[i])
			return (char)('A' + i);
	}
	return 'D';
}

void archive_grade_score(const struct grade_inputs *in, const struct task_config *cfg,
			 struct grade_score *out)
{
	double area = -1, meals = -1;

	memset(out, 0, sizeof *out);
	out->tier = tiers[G_N_ELEMENTS(tiers) - 1].tier; /* unknown: the lowest */
	for (size_t i = 0; in->category && i < G_N_ELEMENTS(tiers); i++) {
		if (!strcmp(in->category, tiers[i].category))
			out->tier = tiers[i].tier;
	}
	if (in->floor_area >= 0)
		area = scale_points(in->floor_area, 50, 150, 500);
	if (in->meals_per_day >= 0)
		meals = scale_points((double)in->meals_per_day, 100, 500, 1500);
	out->scale = area < 0 && meals < 0 ? 7 : MAX(area, meals);
	out->static_score = out->tier + out->scale;

	if (!in->latest) {
		out->inspections = 10; /* not inspected is not low risk */
	} else {
		int r = index_of(results, G_N_ELEMENTS(results), in->latest);

		out->inspections = r == 2 ? 24 : r == 1 ? 12 : 0;
	}
	out->inspections += 4.0 * in->earlier_non_compliant + 3.0 * in->penalties;
	out->inspections = MIN(out->inspections, 30);
	out->alerts = MIN(20.0, 2.0 * in->alerts_90d / 3.0);
	out->complaints = MIN(10.0, 5.0 * in->complaints);
	out->dynamic_score = out->inspections + out->alerts + out->complaints;
	out->score = out->static_score + out->dynamic_score;
	out->grade = archive_grade_letter(out->score, cfg);
}

struct grade_row {
	char *licence, *category, *latest, *latest_at;
	double area;
	int64_t meals, non_compliant, penalties, alerts, complaints;
};

static void grade_row_free(gpointer p)
{
	struct grade_row *g = p;

	g_free(g->licence);
	g_free(g->category);
	g_free(g->latest);
	g_free(g->latest_at);
	g_free(g);
}

static void grade_input_row(void *ctx, int ncols, const char *const *names,
			    const struct archive_value *v)
{
	struct grade_row *g = g_new0(struct grade_row, 1);

	(void)names;
	(void)ncols;
	g->licence = g_strdup(value_text(&v[0]));
	g->category = g_strdup(value_text(&v[1]));
	g->area = value_real(&v[2], -1);
	g->meals = v[3].type == VALUE_NULL ? -1 : (int64_t)value_real(&v[3], -1);
	g->latest = g_strdup(value_text(&v[4]));
	g->latest_at = g_strdup(value_text(&v[5]));
	g->non_compliant = v[6].i;
	g->penalties = v[7].i;
	g->alerts = v[8].i;
	g->complaints = v[9].i;
	g_ptr_array_add(ctx, g);
}

static int grade_store(struct archive *a, const struct grade_row *g, const struct task_config *cfg,
		       const char *now)
{
	struct grade_inputs in = {
		.category = g->category,
		.floor_area = g->area,
		.meals_per_day = g->meals,
		.latest = g->latest,
		.earlier_non_compliant =
		    (int)(g->non_compliant - (g->latest && !strcmp(g->latest, "non_compliant"))),
		.penalties = (int)g->penalties,
		.alerts_90d = (int)g->alerts,
		.complaints = (int)g->complaints,
	};
	struct grade_score s;
	char grade[2], *reason;
	int rc;

	archive_grade_score(&in, cfg, &s);
	grade[0] = s.grade;
	grade[1] = '\0';
	reason = g_strdup_printf(
	    "static %.0f (%s tier %.0f, scale %.0f); inspections %.1f (%s%s%s, %d more "
	    "non_compliant, %d penalties in 365 days); alerts %.1f (%d in 90 days); complaints "
	    "%.0f (%d in 365 days)",
	    s.static_score, g->category, s.tier, s.scale, s.inspections,
	    g->latest ? g->latest : "none in 365 days", g->latest ? " " : "",
	    g->latest ? g->latest_at : "", in.earlier_non_compliant, in.penalties, s.alerts,
	    in.alerts_90d, s.complaints, in.complaints);
	struct archive_value p[] = {
		text_value(g->licence),	    text_value(grade),		 real_value(s.score),
		real_value(s.static_score), real_value(s.dynamic_score), text_value(now),
		text_value(reason),
	};
	/* history first, while the old grade is still there to compare */
	rc = archive_query(a,
			   "INSERT INTO grade_history(licence, grade, score, static_score,"
			   " dynamic_score, computed_at, reason)"
			   " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE NOT EXISTS (SELECT 1 FROM"
			   " grades WHERE licence = ?1 AND grade = ?2 AND abs(score - ?3) < 0.05)",
			   p, G_N_ELEMENTS(p), NULL, NULL);
	if (!rc)
		rc = archive_query(a,
				   "INSERT INTO grades(licence, grade, score, static_score,"
				   " dynamic_score, computed_at, reason)"
				   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(licence) DO"
				   " UPDATE SET grade = ?2, score = ?3, static_score = ?4,"
				   " dynamic_score = ?5, computed_at = ?6, reason = ?7",
				   p, G_N_ELEMENTS(p), NULL, NULL);
	g_free(reason);
	return rc;
}

int archive_grade_compute(struct archive *a, const char *licence, const struct task_config *cfg,
			  int64_t now_ms)
{
	char now[CLOCK_TS_LEN], year_ago[CLOCK_TS_LEN], alerts_from[CLOCK_TS_LEN];
	GPtrArray *rows = g_ptr_array_new_with_free_func(grade_row_free);
	struct task_config d;
	int rc;

	cfg = config_or_default(cfg, &d);
	clock_format_ms(now_ms, now);
	clock_format_ms(now_ms - GRADE_YEAR_DAYS * DAY_MS, year_ago);
	clock_format_ms(now_ms - GRADE_ALERT_DAYS * DAY_MS, alerts_from);
	struct archive_value p[] = { text_value(licence), text_value(year_ago), text_value(now),
				     text_value(alerts_from) };
	rc = archive_query(
	    a,
	    "SELECT e.licence, e.category, e.floor_area, e.meals_per_day,"
	    " (SELECT result FROM inspections i WHERE i.licence = e.licence"
	    "  AND i.submitted_at >= ?2 AND i.submitted_at <= ?3"
	    "  ORDER BY i.submitted_at DESC, i.task_id DESC LIMIT 1),"
	    " (SELECT max(submitted_at) FROM inspections i WHERE i.licence = e.licence"
	    "  AND i.submitted_at >= ?2 AND i.submitted_at <= ?3),"
	    " (SELECT count(*) FROM inspections i WHERE i.licence = e.licence"
	    "  AND i.submitted_at >= ?2 AND i.submitted_at <= ?3 AND i.result = 'non_compliant'),"
	    " (SELECT count(*) FROM penalties x WHERE x.licence = e.licence"
	    "  AND x.decided_at >= ?2 AND x.decided_at <= ?3),"
	    " (SELECT count(*) FROM alerts l WHERE l.licence = e.licence"
	    "  AND l.start >= ?4 AND l.start <= ?3),"
	    " (SELECT count(*) FROM complaints c WHERE c.licence = e.licence"
	    "  AND c.at >= ?2 AND c.at <= ?3)"
	    " FROM establishments e WHERE ?1 IS NULL OR e.licence = ?1 ORDER BY e.licence",
	    p, G_N_ELEMENTS(p), grade_input_row, rows);
	if (!rc && licence && rows->len == 0)
		rc = -ENOENT;
	if (!rc)
		rc = archive_savepoint(a, "grade");
	if (!rc) {
		for (guint i = 0; i < rows->len && !rc; i++)
			rc = grade_store(a, rows->pdata[i], cfg, now);
		rc = archive_savepoint_end(a, "grade", rc);
	}
	g_ptr_array_free(rows, TRUE);
	return rc;
}

int archive_grades(struct archive *a, const char *licence, archive_row_fn fn, void *ctx)
{
	struct archive_value p = text_value(licence);

	return archive_query(a,
			     "SELECT g.licence, e.name, e.category, e.district, g.grade,"
			     " round(g.score, 1) AS score, round(g.static_score, 1) AS static,"
			     " round(g.dynamic_score, 1) AS dynamic, g.computed_at, g.reason"
			     " FROM grades g LEFT JOIN establishments e ON e.licence = g.licence"
			     " WHERE ?1 IS NULL OR g.licence = ?1 ORDER BY g.score DESC, g.licence",
			     &p, 1, fn, ctx);
}

int archive_grade_history(struct archive *a, const char *licence, archive_row_fn fn, void *ctx)
{
	struct archive_value p = text_value(licence);

	return archive_query(
	    a,
	    "SELECT computed_at, grade, round(score, 1) AS score,"
	    " round(static_score, 1) AS static, round(dynamic_score, 1) AS dynamic,"
	    " reason FROM grade_history WHERE licence = ?1"
	    " ORDER BY computed_at, rowid",
	    &p, 1, fn, ctx);
}

/* --- creating tasks ----------------------------------------------------------- */

/* reason as canonical JSON text (g_free), or NULL when it is not an
 * array of strings. */
static char *reason_json(const char *reason)
{
	cJSON *j, *item;
	char *text, *out;

	if (!reason)
		return g_strdup("[]");
	j = cJSON_Parse(reason);
	if (!cJSON_IsArray(j)) {
		cJSON_Delete(j);
		return NULL;
	}
	cJSON_ArrayForEach (item, j) {
		if (!cJSON_IsString(item) || !archive_good_text(item->valuestring, 300, false)) {
			cJSON_Delete(j);
			return NULL;
		}
	}
	text = cJSON_PrintUnformatted(j);
	out = g_strdup(text);
	cJSON_free(text);
	cJSON_Delete(j);
	return out;
}

static char *strings_json(const char *const *list)
{
	cJSON *j = cJSON_CreateArray();
	char *text, *out;

	for (size_t i = 0; list && list[i]; i++)
		cJSON_AddItemToArray(j, cJSON_CreateString(list[i]));
	text = cJSON_PrintUnformatted(j);
	out = g_strdup(text);
	cJSON_free(text);
	cJSON_Delete(j);
	return out;
}

/* Check a spec against the registry; 0, -EINVAL or -ENOENT with why. */
static int task_check(struct archive *a, const char *licence, const struct task_spec *s,
		      GString *errors)
{
	int64_t day, n;
	size_t count = 0;
	int rc = 0;

	if (!archive_good_text(licence, 63, false)) {
		problem(errors, "no licence given");
		return -EINVAL;
	}
	if (count_of(a, "SELECT count(*) FROM establishments WHERE licence = ?1",
		     &(struct archive_value){ .type = VALUE_TEXT, .text = licence }, 1, &n))
		return -EIO;
	if (!n) {
		problem(errors, "'%s' is not an establishment in the registry", licence);
		rc = -ENOENT;
	}
	if (index_of(kinds, G_N_ELEMENTS(kinds), s->kind) < 0) {
		problem(errors, "kind '%s' is not routine, special, alert or followup",
			s->kind ? s->kind : "");
		rc = rc ? rc : -EINVAL;
	}
	if (!parse_date(s->due, &day)) {
		problem(errors, "due '%s' is not a date like 2026-12-15", s->due ? s->due : "");
		rc = rc ? rc : -EINVAL;
	}
	if (!archive_good_text(s->created_by, 128, false)) {
		problem(errors, "who creates the task is not given");
		rc = rc ? rc : -EINVAL;
	}
	/* the note travels in the task message: what handhelds take (task.json) */
	if (!archive_good_text(s->note, MESSAGE_MAX_TASK_NOTE, true) ||
	    (s->checklist && !jc_is_ident(s->checklist, NULL, 63))) {
		problem(errors,
			"the note or checklist id is empty, too long or not one line of text");
		rc = rc ? rc : -EINVAL;
	}
	for (size_t i = 0; s->inspectors && s->inspectors[i]; i++, count++) {
		const char *id = s->inspectors[i];

		if (!archive_good_text(id, MAX_INSPECTOR_LEN, false)) {
			problem(errors, "inspector %zu: not an id", i + 1);
			rc = rc ? rc : -EINVAL;
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(s->inspectors[j], id)) {
				problem(errors, "inspector '%s' is named twice", id);
				rc = rc ? rc : -EINVAL;
			}
		}
		if (count_of(a, "SELECT count(*) FROM inspectors WHERE id = ?1",
			     &(struct archive_value){ .type = VALUE_TEXT, .text = id }, 1, &n))
			return -EIO;
		if (!n) {
			problem(errors, "'%s' is not an inspector in the registry", id);
			rc = rc ? rc : -ENOENT;
		}
	}
	if (count < TASK_MIN_INSPECTORS) {
		problem(errors, "%zu inspector(s): a task needs at least %d", count,
			TASK_MIN_INSPECTORS);
		rc = rc ? rc : -EINVAL;
	} else if (count > MESSAGE_MAX_INSPECTORS) {
		problem(errors, "%zu inspectors: a task message names at most %d", count,
			MESSAGE_MAX_INSPECTORS);
		rc = rc ? rc : -EINVAL;
	}
	return rc;
}

/* Insert a checked-or-not task (checks first); caller holds a savepoint. */
static int task_insert(struct archive *a, const char *licence, const struct task_spec *s,
		       const char *rule, const char *slot, int64_t now_ms, char *task_id,
		       GString *errors)
{
	char now[CLOCK_TS_LEN], today[DATE_LEN], id[ARCHIVE_TASK_ID_LEN], *reason;
	struct one seq;
	int rc;

	rc = task_check(a, licence, s, errors);
	if (rc)
		return rc;
	reason = reason_json(s->reason);
	if (!reason) {
		problem(errors, "reason is not a JSON array of alert ids");
		return -EINVAL;
	}
	clock_format_ms(now_ms, now);
	archive_day_text(archive_local_day(now_ms), today);
	rc = query_one(a,
		       "INSERT INTO meta(key, value) VALUES ('task_seq', 1) ON CONFLICT(key)"
		       " DO UPDATE SET value = meta.value + 1 RETURNING value",
		       NULL, 0, &seq);
	g_free(seq.text);
	if (rc)
		goto out;
	snprintf(id, sizeof id, "tk-%.4s%.2s%.2s-%06lld", today, today + 5, today + 8,
		 (long long)seq.i);
	struct archive_value p[] = {
		text_value(id),
		text_value(licence),
		text_value(s->kind),
		text_value(reason),
		text_value(rule),
		text_value(slot),
		text_value(s->due),
		text_value(s->checklist ? s->checklist : TASK_DEFAULT_CHECKLIST),
		text_value(s->note),
		text_value(now),
		text_value(s->created_by),
	};
	rc = archive_query(
	    a,
	    "INSERT INTO tasks(task_id, licence, kind, reason, rule, slot, due,"
	    " checklist, note, state, created_at, created_by, updated)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'dispatched', ?10, ?11, ?10)",
	    p, G_N_ELEMENTS(p), NULL, NULL);
	if (!rc)
		rc = archive_query(
		    a,
		    "INSERT INTO task_steps(task_id, state, by, at, recorded_at, note)"
		    " VALUES (?1, 'dispatched', ?11, ?10, ?10, ?9)",
		    p, G_N_ELEMENTS(p), NULL, NULL);
	if (!rc)
		rc = archive_query(a,
				   "INSERT OR IGNORE INTO task_alerts(alert_id, task_id)"
				   " SELECT value, ?1 FROM json_each(?4)",
				   p, 4, NULL, NULL);
	for (size_t i = 0; !rc && s->inspectors[i]; i++) {
		struct archive_value ip[] = { text_value(id), text_value(s->inspectors[i]) };

		rc = archive_query(
		    a, "INSERT INTO task_inspectors(task_id, inspector) VALUES (?1, ?2)", ip, 2,
		    NULL, NULL);
	}
	if (!rc && task_id)
		g_strlcpy(task_id, id, ARCHIVE_TASK_ID_LEN);
out:
	g_free(reason);
	return rc;
}

int archive_task_create(struct archive *a, const char *licence, const struct task_spec *spec,
			int64_t now_ms, char *task_id, GString *errors)
{
	int rc = archive_savepoint(a, "task_create");

	if (rc)
		return rc;
	rc = task_insert(a, licence, spec, NULL, NULL, now_ms, task_id, errors);
	return archive_savepoint_end(a, "task_create", rc);
}

/* --- steps ---------------------------------------------------------------------- */

static bool step_allowed(int from, int to)
{
	if (to == S_CANCELLED)
		return from <= S_IN_PROGRESS;
	return to == from + 1 && to <= S_REVIEWED;
}

int archive_task_step(struct archive *a, const char *task_id, const char *state, const char *by,
		      const char *note, const char *at, int64_t now_ms)
{
	int to = index_of(states, G_N_ELEMENTS(states), state), from, rc;
	char when[CLOCK_TS_LEN], now[CLOCK_TS_LEN];
	struct one cur;
	int64_t mine;

	if (to <= S_DISPATCHED || !archive_good_text(by, 128, false) ||
	    !archive_good_text(note, MAX_TEXT, true) || !canonical_ts(at, now_ms, when))
		return -EINVAL;
	clock_format_ms(now_ms, now);
	struct archive_value p[] = { text_value(task_id), text_value(state), text_value(by),
				     text_value(when),	  text_value(now),   text_value(note) };
	rc = archive_savepoint(a, "task_step");
	if (rc)
		return rc;
	rc = query_one(a, "SELECT state FROM tasks WHERE task_id = ?1", p, 1, &cur);
	if (!rc && !cur.found)
		rc = -ENOENT;
	from = rc ? -1 : index_of(states, G_N_ELEMENTS(states), cur.text);
	g_free(cur.text);
	if (rc || from == to) /* a replay of the same step: harmless */
		return archive_savepoint_end(a, "task_step", rc);
	if (!step_allowed(from, to)) {
		rc = -EINVAL;
		goto out;
	}
	if (to <= S_SUBMITTED) {
		rc = count_of(a,
			      "SELECT count(*) FROM task_inspectors WHERE task_id = ?1"
			      " AND inspector = ?3",
			      p, 3, &mine);
		if (!rc && !mine)
			rc = -EPERM;
	}
	if (!rc)
		rc =
		    archive_query(a, "UPDATE tasks SET state = ?2, updated = ?5 WHERE task_id = ?1",
				  p, 5, NULL, NULL);
	if (!rc)
		rc = archive_query(
		    a,
		    "INSERT INTO task_steps(task_id, state, by, at, recorded_at, note)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		    p, G_N_ELEMENTS(p), NULL, NULL);
out:
	return archive_savepoint_end(a, "task_step", rc);
}

int archive_tasks(struct archive *a, const struct task_query *q, int64_t now_ms, archive_row_fn fn,
		  void *ctx)
{
	char today[DATE_LEN];

	if ((q->state && index_of(states, G_N_ELEMENTS(states), q->state) < 0) ||
	    (q->kind && index_of(kinds, G_N_ELEMENTS(kinds), q->kind) < 0))
		return -EINVAL;
	archive_day_text(archive_local_day(now_ms), today);
	struct archive_value p[] = {
		text_value(q->state),	text_value(q->inspector),
		text_value(q->licence), text_value(q->kind),
		text_value(today),	int_value(q->limit > 0 ? q->limit : 100),
	};
	return archive_query(
	    a,
	    "SELECT t.task_id, t.licence, e.name, e.district, t.kind, t.state, t.due,"
	    " (t.due < ?5 AND t.state IN " OPEN_STATES ") AS overdue,"
	    " (SELECT group_concat(inspector, ',') FROM (SELECT inspector FROM task_inspectors i"
	    "  WHERE i.task_id = t.task_id ORDER BY inspector) AS x) AS inspectors,"
	    " t.reason, t.rule, t.checklist, t.note, t.created_at, t.created_by"
	    " FROM tasks t LEFT JOIN establishments e ON e.licence = t.licence"
	    " WHERE (?1 IS NULL OR t.state = ?1) AND (?3 IS NULL OR t.licence = ?3)"
	    " AND (?4 IS NULL OR t.kind = ?4) AND (?2 IS NULL OR EXISTS (SELECT 1 FROM"
	    " task_inspectors i WHERE i.task_id = t.task_id AND i.inspector = ?2))"
	    " ORDER BY t.due, t.task_id LIMIT ?6",
	    p, G_N_ELEMENTS(p), fn, ctx);
}

static void count_rows(void *ctx, int ncols, const char *const *names,
		       const struct archive_value *v)
{
	(void)ncols, (void)names, (void)v;
	++*(int *)ctx;
}

int archive_task_has_inspector(struct archive *a, const char *task_id, const char *inspector)
{
	const struct archive_value p[] = { text_value(task_id), text_value(inspector) };
	int n = 0;
	int rc =
	    archive_query(a, "SELECT 1 FROM task_inspectors WHERE task_id = ?1 AND inspector = ?2",
			  p, 2, count_rows, &n);

	return rc ? rc : n > 0;
}

int archive_tasks_to_send(struct archive *a, archive_row_fn fn, void *ctx)
{
	/* what each inspector's handheld has not been sent yet: the task, or
	 * its cancellation */
	static const char sql[] =
	    "SELECT t.task_id, i.inspector, iif(t.state = 'cancelled', 'cancelled', 'dispatched')"
	    " AS state, t.licence, e.name, e.address, e.district, e.category, t.kind, t.due,"
	    " t.checklist, t.note, t.reason,"
	    " (SELECT group_concat(inspector, ' ') FROM task_inspectors x"
	    "  WHERE x.task_id = t.task_id) AS inspectors"
	    " FROM task_inspectors i JOIN tasks t ON t.task_id = i.task_id"
	    " JOIN establishments e ON e.licence = t.licence"
	    " WHERE (t.state = 'cancelled' AND i.sent_state IS NOT 'cancelled')"
	    " OR (t.state <> 'cancelled' AND i.sent_state IS NULL)"
	    " ORDER BY t.created_at LIMIT 500";

	return archive_query(a, sql, NULL, 0, fn, ctx);
}

int archive_task_sent(struct archive *a, const char *task_id, const char *inspector,
		      const char *state)
{
	char now[CLOCK_TS_LEN];
	const struct archive_value params[] = {
		{ .type = VALUE_TEXT, .text = task_id },
		{ .type = VALUE_TEXT, .text = inspector },
		{ .type = VALUE_TEXT, .text = state },
		{ .type = VALUE_TEXT, .text = now },
	};

	clock_format_ms(clock_wall_ms(), now);
	return archive_query(a,
			     "UPDATE task_inspectors SET sent_state = ?3, sent_at = ?4"
			     " WHERE task_id = ?1 AND inspector = ?2",
			     params, G_N_ELEMENTS(params), NULL, NULL);
}

int archive_task_steps(struct archive *a, const char *task_id, archive_row_fn fn, void *ctx)
{
	struct archive_value p = text_value(task_id);
	int64_t n;

	if (count_of(a, "SELECT count(*) FROM tasks WHERE task_id = ?1", &p, 1, &n))
		return -EIO;
	if (!n)
		return -ENOENT;
	return archive_query(a,
			     "SELECT state, by, at, recorded_at, note FROM task_steps"
			     " WHERE task_id = ?1 ORDER BY recorded_at, rowid",
			     &p, 1, fn, ctx);
}

/* --- the list (名单筛选) ------------------------------------------------------------ */

struct list_row {
	char *licence, *name, *category, *district, *grade, *last, *next_due, *expires;
	double score;
	int64_t open_tasks, overdue_tasks, open_alerts;
};

static void list_row_free(gpointer p)
{
	struct list_row *r = p;

	g_free(r->licence);
	g_free(r->name);
	g_free(r->category);
	g_free(r->district);
	g_free(r->grade);
	g_free(r->last);
	g_free(r->next_due);
	g_free(r->expires);
	g_free(r);
}

static void list_collect(void *ctx, int ncols, const char *const *names,
			 const struct archive_value *v)
{
	struct list_row *r = g_new0(struct list_row, 1);

	(void)ncols;
	(void)names;
	r->licence = g_strdup(value_text(&v[0]));
	r->name = g_strdup(value_text(&v[1]));
	r->category = g_strdup(value_text(&v[2]));
	r->district = g_strdup(value_text(&v[3]));
	r->grade = g_strdup(value_text(&v[4]));
	r->score = value_real(&v[5], NAN);
	r->last = g_strdup(value_text(&v[6]));
	r->open_tasks = v[7].i;
	r->next_due = g_strdup(value_text(&v[8]));
	r->overdue_tasks = v[9].i;
	r->open_alerts = v[10].i;
	r->expires = g_strdup(value_text(&v[11]));
	g_ptr_array_add(ctx, r);
}

struct coverage_probe {
	bool installed, seen;
	double share_pct; /* NAN: no business hours */
};

static void coverage_probe_row(void *ctx, int ncols, const char *const *names,
			       const struct archive_value *v)
{
	struct coverage_probe *c = ctx;
	const char *kind = NULL, *note = NULL;
	double share = NAN;

	for (int i = 0; i < ncols; i++) {
		if (!strcmp(names[i], "kind"))
			kind = value_text(&v[i]);
		else if (!strcmp(names[i], "note"))
			note = value_text(&v[i]);
		else if (!strcmp(names[i], "share_pct"))
			share = value_real(&v[i], NAN);
	}
	if (!kind)
		return;
	if (!strcmp(kind, "establishment") && note) {
		/* the note's last part is "installed" or "not installed" */
		c->installed = g_str_has_suffix(note, "; installed");
		c->seen = true;
	} else if (!strcmp(kind, "recorded")) {
		c->share_pct = share;
	}
}

int archive_covered(struct archive *a, const char *licence, int64_t now_ms, double threshold,
		   bool *effective, double *pct)
{
	int64_t to = archive_local_day(now_ms) * DAY_MS - LOCAL_OFFSET_MS;
	char from_ts[CLOCK_TS_LEN], to_ts[CLOCK_TS_LEN];
	struct coverage_probe c = { .share_pct = NAN };
	int rc;

	clock_format_ms(to - COVERAGE_DAYS * DAY_MS, from_ts);
	clock_format_ms(to, to_ts);
	rc = archive_coverage_detail(a, licence,
				     &(struct stats_query){ .from = from_ts, .to = to_ts },
				     coverage_probe_row, &c);
	if (rc)
		return rc;
	*pct = isnan(c.share_pct) ? 0 : c.share_pct;
	*effective = c.installed && !isnan(c.share_pct) && c.share_pct / 100.0 >= threshold - 1e-9;
	return 0;
}

static int grade_index(const char *grade)
{
	return grade && strlen(grade) == 1 && grade[0] >= 'A' && grade[0] <= 'D' ? grade[0] - 'A'
										 : -1;
}

int archive_list(struct archive *a, const struct list_filter *f, const struct task_config *cfg,
		 int64_t now_ms, archive_row_fn fn, void *ctx)
{
	static const char *const names[] = {
		"licence",	   "name",	  "category",	     "district",
		"grade",	   "score",	  "last_inspection", "open_tasks",
		"next_due",	   "overdue",	  "open_alerts",     "licence_expires",
		"expires_in_days", "covered_pct",
	};
	GPtrArray *rows = g_ptr_array_new_with_free_func(list_row_free);
	char today[DATE_LEN];
	int64_t today_day = archive_local_day(now_ms);
	struct task_config d;
	int rc;

	cfg = config_or_default(cfg, &d);
	if (f->grade && grade_index(f->grade) < 0) {
		g_ptr_array_free(rows, TRUE);
		return -EINVAL;
	}
	archive_day_text(today_day, today);
	struct archive_value p[] = { text_value(f->grade), text_value(f->category),
				     text_value(f->district), text_value(today) };
	rc = archive_query(
	    a,
	    "SELECT e.licence, e.name, e.category, e.district, g.grade, g.score,"
	    " (SELECT max(submitted_at) FROM inspections i WHERE i.licence = e.licence),"
	    " (SELECT count(*) FROM tasks t WHERE t.licence = e.licence"
	    "  AND t.state IN " OPEN_STATES "),"
	    " (SELECT min(due) FROM tasks t WHERE t.licence = e.licence"
	    "  AND t.state IN " OPEN_STATES "),"
	    " (SELECT count(*) FROM tasks t WHERE t.licence = e.licence"
	    "  AND t.state IN " OPEN_STATES " AND t.due < ?4),"
	    " (SELECT count(*) FROM alerts l WHERE l.licence = e.licence AND l.state != 'closed'),"
	    " e.licence_expires"
	    " FROM establishments e LEFT JOIN grades g ON g.licence = e.licence"
	    " WHERE (?1 IS NULL OR g.grade = ?1) AND (?2 IS NULL OR e.category = ?2)"
	    " AND (?3 IS NULL OR e.district = ?3) ORDER BY e.district, e.licence",
	    p, G_N_ELEMENTS(p), list_collect, rows);
	for (guint i = 0; !rc && i < rows->len; i++) {
		struct list_row *r = rows->pdata[i];
		int g = grade_index(r->grade);
		char *overdue = NULL;
		int64_t exp_day = 0;
		bool has_exp = parse_date(r->expires, &exp_day), effective = true;
		double pct = NAN;

		if (r->overdue_tasks) {
			overdue =
			    g_strdup_printf("%lld task(s) past due", (long long)r->overdue_tasks);
		} else if (g >= 0 && cfg->visits[g] > 0) {
			double interval = 365.0 / cfg->visits[g];
			char cut[CLOCK_TS_LEN];

			clock_format_ms(now_ms - (int64_t)(interval * (double)DAY_MS), cut);
			if (!r->last || strcmp(r->last, cut) < 0)
				overdue = g_strdup_printf("no inspection within %.0f days "
							  "(grade %s)",
							  interval, r->grade);
		}
		if ((f->overdue && !overdue) || (f->open_alerts && !r->open_alerts) ||
		    (f->expiring_days > 0 &&
		     (!has_exp || exp_day > today_day + f->expiring_days))) {
			g_free(overdue);
			continue;
		}
		if (f->not_covered) {
			rc = archive_covered(a, r->licence, now_ms, cfg->coverage, &effective, &pct);
			if (rc || effective) {
				g_free(overdue);
				continue;
			}
		}
		struct archive_value v[] = {
			text_value(r->licence),
			text_value(r->name),
			text_value(r->category),
			text_value(r->district),
			text_value(r->grade),
			real_value(r->score),
			text_value(r->last),
			int_value(r->open_tasks),
			text_value(r->next_due),
			text_value(overdue),
			int_value(r->open_alerts),
			text_value(r->expires),
			has_exp ? int_value(exp_day - today_day) : text_value(NULL),
			real_value(pct),
		};
		fn(ctx, G_N_ELEMENTS(v), names, v);
		g_free(overdue);
	}
	g_ptr_array_free(rows, TRUE);
	return rc;
}

static void list_licences(void *ctx, int ncols, const char *const *names,
			  const struct archive_value *v)
{
	(void)ncols;
	(void)names;
	g_ptr_array_add(ctx, g_strdup(v[0].text));
}

int archive_task_campaign(struct archive *a, const char *const *licences,
			  const struct list_filter *f, const struct task_config *cfg,
			  const struct task_spec *spec, int64_t now_ms, GPtrArray *created,
			  GString *errors)
{
	GPtrArray *targets = g_ptr_array_new_with_free_func(g_free);
	guint first = created ? created->len : 0;
	int rc = 0;

	if (licences) {
		for (size_t i = 0; licences[i]; i++)
			g_ptr_array_add(targets, g_strdup(licences[i]));
	} else {
		rc = archive_list(a, f ? f : &(struct list_filter){ 0 }, cfg, now_ms, list_licences,
				  targets);
	}
	if (!rc && targets->len == 0) {
		problem(errors, "no establishment selected");
		rc = -ENOENT;
	}
	if (!rc)
		rc = archive_savepoint(a, "campaign");
	if (!rc) {
		for (guint i = 0; i < targets->len && !rc; i++) {
			char id[ARCHIVE_TASK_ID_LEN];

			rc =
			    task_insert(a, targets->pdata[i], spec, NULL, NULL, now_ms, id, errors);
			if (!rc && created)
				g_ptr_array_add(created, g_strdup(id));
		}
		rc = archive_savepoint_end(a, "campaign", rc);
	}
	if (rc && created && created->len > first)
		g_ptr_array_remove_range(created, first, created->len - first);
	if (!rc)
		rc = (int)targets->len;
	g_ptr_array_free(targets, TRUE);
	return rc;
}

/* --- automatic tasks ------------------------------------------------------------------ */

int archive_pick_inspectors(struct archive *a, const char *district, int team, GPtrArray *out)
{
	struct archive_value p[] = { text_value(district), int_value(team) };

	return archive_query(
	    a,
	    "SELECT id FROM inspectors i WHERE i.district = ?1 ORDER BY"
	    " (SELECT count(*) FROM task_inspectors x JOIN tasks t ON"
	    "  t.task_id = x.task_id WHERE x.inspector = i.id AND t.state IN " OPEN_STATES
	    "), i.id LIMIT ?2",
	    p, 2, strings_row, out);
}

/* Create an automatic task; *made true when it was. */
static int auto_task(struct archive *a, const char *licence, const char *district, const char *kind,
		     const char *reason, const char *rule, const char *slot, const char *due,
		     const char *note, const char *by, const struct task_config *cfg,
		     int64_t now_ms, struct task_run *run)
{
	GPtrArray *team = g_ptr_array_new_with_free_func(g_free);
	char id[ARCHIVE_TASK_ID_LEN];
	GString *why = g_string_new("");
	int rc = archive_pick_inspectors(a, district, MAX(cfg->team, TASK_MIN_INSPECTORS), team);

	if (!rc && team->len < TASK_MIN_INSPECTORS) {
		log_warn("establishment '%s': %u inspector(s) in district '%s', a task needs %d: "
			 "no %s task made (add inspectors to the registry)",
			 licence, team->len, district ? district : "", TASK_MIN_INSPECTORS, kind);
		run->no_inspectors++;
		goto out;
	}
	if (rc)
		goto out;
	g_ptr_array_add(team, NULL);
	struct task_spec s = {
		.kind = kind,
		.due = due,
		.inspectors = (const char *const *)team->pdata,
		.reason = reason,
		.note = note,
		.created_by = by,
	};
	rc = task_insert(a, licence, &s, rule, slot, now_ms, id, why);
	if (rc == -EINVAL || rc == -ENOENT)
		log_warn("establishment '%s': cannot make a %s task: %s", licence, kind, why->str);
	if (!rc) {
		run->created++;
		if (run->ids)
			g_ptr_array_add(run->ids, g_strdup(id));
	}
out:
	g_ptr_array_free(team, TRUE);
	g_string_free(why, TRUE);
	return rc;
}

struct alert_hit {
	char *licence, *district, *alert_id;
};

static void alert_hit_free(gpointer p)
{
	struct alert_hit *h = p;

	g_free(h->licence);
	g_free(h->district);
	g_free(h->alert_id);
	g_free(h);
}

static void alert_hit_row(void *ctx, int ncols, const char *const *names,
			  const struct archive_value *v)
{
	struct alert_hit *h = g_new0(struct alert_hit, 1);

	(void)ncols;
	(void)names;
	h->licence = g_strdup(value_text(&v[0]));
	h->district = g_strdup(value_text(&v[1]));
	h->alert_id = g_strdup(value_text(&v[2]));
	g_ptr_array_add(ctx, h);
}

static bool rule_valid(const struct task_rule *r)
{
	if (!archive_good_text(r->name, 64, false) || r->due_days < 0 || r->due_days > 366)
		return false;
	if (r->kind == RULE_NOT_CLOSED)
		return r->hours > 0 && r->hours < 24 * 366;
	return r->kind == RULE_REPEATED && r->count >= 1 && r->days > 0 && r->days <= 366;
}

static int run_rule(struct archive *a, const struct task_rule *r, const struct task_config *cfg,
		    int64_t now_ms, struct task_run *run)
{
	GPtrArray *hits = g_ptr_array_new_with_free_func(alert_hit_free);
	char now[CLOCK_TS_LEN], bound[CLOCK_TS_LEN], due[DATE_LEN], *note;
	int rc;

	clock_format_ms(now_ms, now);
	if (r->kind == RULE_NOT_CLOSED) {
		clock_format_ms(now_ms - (int64_t)(r->hours * 3600e3), bound);
		note = g_strdup_printf("rule %s: %s alert not closed within %g h", r->name,
				       r->types ? r->types : "any", r->hours);
	} else {
		clock_format_ms(now_ms - (int64_t)(r->days * (double)DAY_MS), bound);
		note = g_strdup_printf("rule %s: %d %s alerts within %g days", r->name, r->count,
				       r->types ? r->types : "", r->days);
	}
	archive_day_text(archive_local_day(now_ms) + r->due_days, due);
	struct archive_value p[] = { text_value(r->types), text_value(bound), text_value(now),
				     text_value(r->name), int_value(r->kind == RULE_NOT_CLOSED) };
	rc = archive_query(
	    a,
	    "SELECT l.licence, e.district, l.box || ':' || l.event_id FROM alerts l"
	    " JOIN establishments e ON e.licence = l.licence"
	    " WHERE (?1 IS NULL OR instr(',' || ?1 || ',', ',' || l.type || ',') > 0)"
	    " AND CASE WHEN ?5 THEN l.state != 'closed' AND l.start <= ?2"
	    "  ELSE l.start >= ?2 AND l.start <= ?3 END"
	    " AND NOT EXISTS (SELECT 1 FROM task_alerts x JOIN tasks t ON t.task_id = x.task_id"
	    "  WHERE x.alert_id = l.box || ':' || l.event_id AND t.rule = ?4)"
	    " ORDER BY l.licence, l.start, l.box, l.event_id",
	    p, G_N_ELEMENTS(p), alert_hit_row, hits);
	for (guint i = 0; !rc && i < hits->len;) {
		struct alert_hit *h = hits->pdata[i];
		guint j = i;
		GPtrArray *ids = g_ptr_array_new();
		int64_t open;
		char *reason;

		for (; j < hits->len &&
		       !strcmp(((struct alert_hit *)hits->pdata[j])->licence, h->licence);
		     j++)
			g_ptr_array_add(ids, ((struct alert_hit *)hits->pdata[j])->alert_id);
		g_ptr_array_add(ids, NULL);
		if (r->kind == RULE_REPEATED && (int)(j - i) < r->count)
			goto next;
		struct archive_value op[] = { text_value(h->licence), text_value(r->name) };
		rc = count_of(a,
			      "SELECT count(*) FROM tasks WHERE licence = ?1 AND rule = ?2"
			      " AND state IN " OPEN_STATES,
			      op, 2, &open);
		if (rc)
			goto next;
		if (open) {
			run->skipped_open++;
			goto next;
		}
		reason = strings_json((const char *const *)ids->pdata);
		rc = auto_task(a, h->licence, h->district, "alert", reason, r->name, NULL, due,
			       note, "auto:alert-rules", cfg, now_ms, run);
		g_free(reason);
	next:
		g_ptr_array_free(ids, TRUE);
		i = j;
	}
	g_free(note);
	g_ptr_array_free(hits, TRUE);
	return rc;
}

int archive_tasks_from_alerts(struct archive *a, const struct task_rule *rules, size_t n_rules,
			      const struct task_config *cfg, int64_t now_ms, struct task_run *run)
{
	struct task_config d;
	int rc;

	cfg = config_or_default(cfg, &d);
	for (size_t i = 0; i < n_rules; i++) {
		if (!rule_valid(&rules[i]))
			return -EINVAL;
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(rules[i].name, rules[j].name))
				return -EINVAL;
		}
	}
	rc = archive_savepoint(a, "alert_rules");
	for (size_t i = 0; !rc && i < n_rules; i++)
		rc = run_rule(a, &rules[i], cfg, now_ms, run);
	return archive_savepoint_end(a, "alert_rules", rc);
}

static int days_in_year(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 366 : 365;
}

void archive_task_slot_due(const char *licence, int year, int n, int k, char *out)
{
	double f = (double)(fnv1a(licence) % 10000u) / 10000.0;
	int64_t offset = (int64_t)floor(((double)(k - 1) + f) * days_in_year(year) / n);

	archive_day_text(archive_days_from_civil(year, 1, 1) + offset, out);
}

struct sched_row {
	char *licence, *district, *grade;
};

static void sched_row_free(gpointer p)
{
	struct sched_row *s = p;

	g_free(s->licence);
	g_free(s->district);
	g_free(s->grade);
	g_free(s);
}

static void sched_collect(void *ctx, int ncols, const char *const *names,
			  const struct archive_value *v)
{
	struct sched_row *s = g_new0(struct sched_row, 1);

	(void)ncols;
	(void)names;
	s->licence = g_strdup(value_text(&v[0]));
	s->district = g_strdup(value_text(&v[1]));
	s->grade = g_strdup(value_text(&v[2]));
	g_ptr_array_add(ctx, s);
}

static int schedule_one(struct archive *a, const struct sched_row *s, const struct task_config *cfg,
			int64_t now_ms, struct task_run *run)
{
	int g = grade_index(s->grade), n = g >= 0 ? cfg->visits[g] : 0, rc = 0;
	int64_t today = archive_local_day(now_ms);
	int year = local_year(now_ms);

	for (int y = year; y <= year + 1 && !rc; y++) {
		for (int k = 1; k <= n && !rc; k++) {
			char due[DATE_LEN], slot[32], cut[CLOCK_TS_LEN], *note;
			int64_t day, count;
			double interval = (double)days_in_year(y) / n;

			archive_task_slot_due(s->licence, y, n, k, due);
			parse_date(due, &day);
			if (day < today || day > today + cfg->ahead_days)
				continue;
			snprintf(slot, sizeof slot, "%d/%d#%d", y, n, k);
			struct archive_value p[] = { text_value(s->licence), text_value(slot) };
			rc = count_of(a,
				      "SELECT count(*) FROM tasks WHERE licence = ?1 AND slot = ?2",
				      p, 2, &count);
			if (rc || count)
				continue;
			rc = count_of(a,
				      "SELECT count(*) FROM tasks WHERE licence = ?1"
				      " AND kind = 'routine' AND state IN " OPEN_STATES,
				      p, 1, &count);
			if (rc)
				continue;
			if (count) {
				run->skipped_open++;
				continue;
			}
			clock_format_ms((day - (int64_t)ceil(interval)) * DAY_MS - LOCAL_OFFSET_MS,
					cut);
			struct archive_value ip[] = { text_value(s->licence), text_value(cut) };
			rc = count_of(a,
				      "SELECT count(*) FROM inspections WHERE licence = ?1"
				      " AND submitted_at > ?2",
				      ip, 2, &count);
			if (rc || count)
				continue;
			note = g_strdup_printf("routine inspection %d of %d in %d (grade %s)", k, n,
					       y, s->grade);
			rc = auto_task(a, s->licence, s->district, "routine", NULL, NULL, slot, due,
				       note, "auto:schedule", cfg, now_ms, run);
			g_free(note);
		}
	}
	return rc;
}

int archive_tasks_schedule(struct archive *a, const struct task_config *cfg, int64_t now_ms,
			   struct task_run *run)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func(sched_row_free);
	struct task_config d;
	int rc;

	cfg = config_or_default(cfg, &d);
	rc = archive_query(a,
			   "SELECT e.licence, e.district, g.grade FROM establishments e"
			   " JOIN grades g ON g.licence = e.licence ORDER BY e.licence",
			   NULL, 0, sched_collect, rows);
	if (!rc)
		rc = archive_savepoint(a, "schedule");
	if (!rc) {
		for (guint i = 0; i < rows->len && !rc; i++)
			rc = schedule_one(a, rows->pdata[i], cfg, now_ms, run);
		rc = archive_savepoint_end(a, "schedule", rc);
	}
	g_ptr_array_free(rows, TRUE);
	return rc;
}

/* --- records, penalties, complaints ----------------------------------------------------- */

struct task_now {
	bool found;
	char *licence, *state, *district;
};

static void task_now_row(void *ctx, int ncols, const char *const *names,
			 const struct archive_value *v)
{
	struct task_now *t = ctx;

	(void)ncols;
	(void)names;
	t->found = true;
	t->licence = g_strdup(value_text(&v[0]));
	t->state = g_strdup(value_text(&v[1]));
	t->district = g_strdup(value_text(&v[2]));
}

static int task_now_get(struct archive *a, const char *task_id, struct task_now *t)
{
	struct archive_value p = text_value(task_id);

	memset(t, 0, sizeof *t);
	if (!task_id)
		return -EINVAL;
	int rc = archive_query(a,
			       "SELECT t.licence, t.state, e.district FROM tasks t LEFT JOIN"
			       " establishments e ON e.licence = t.licence WHERE t.task_id = ?1",
			       &p, 1, task_now_row, t);
	return rc ? rc : t->found ? 0 : -ENOENT;
}

static void task_now_release(struct task_now *t)
{
	g_free(t->licence);
	g_free(t->state);
	g_free(t->district);
}

int archive_inspection_put(struct archive *a, const struct inspection_record *r,
			   const struct task_config *cfg, int64_t now_ms)
{
	char at[CLOCK_TS_LEN], now[CLOCK_TS_LEN], *answers = NULL, *inspectors = NULL;
	struct task_now t;
	struct task_config d;
	int64_t day, exists;
	cJSON *j;
	int rc;

	cfg = config_or_default(cfg, &d);
	if (index_of(results, G_N_ELEMENTS(results), r->result) < 0 ||
	    !canonical_ts(r->submitted_at, now_ms, at) ||
	    (r->followup_due && !parse_date(r->followup_due, &day)))
		return -EINVAL;
	j = cJSON_Parse(r->answers ? r->answers : "[]");
	if (!j)
		return -EINVAL;
	cJSON_Delete(j);
	clock_format_ms(now_ms, now);
	rc = archive_savepoint(a, "inspection");
	if (rc)
		return rc;
	rc = task_now_get(a, r->task_id, &t);
	if (!rc && (!strcmp(t.state, "cancelled") || !strcmp(t.state, "reviewed")))
		rc = -EINVAL;
	struct archive_value p0 = text_value(r->task_id);
	if (!rc)
		rc = count_of(a, "SELECT count(*) FROM inspections WHERE task_id = ?1", &p0, 1,
			      &exists);
	if (rc || exists)
		goto out;
	if (r->inspectors) {
		inspectors = strings_json(r->inspectors);
	} else {
		struct one o;

		rc = query_one(a,
			       "SELECT json_group_array(inspector) FROM (SELECT inspector FROM"
			       " task_inspectors WHERE task_id = ?1 ORDER BY inspector) AS x",
			       &p0, 1, &o);
		inspectors = o.text;
	}
	answers = g_strdup(r->answers ? r->answers : "[]");
	struct archive_value p[] = { text_value(r->task_id), text_value(t.licence),
				     text_value(r->result),  text_value(answers),
				     text_value(inspectors), text_value(at),
				     text_value(now) };
	if (!rc)
		rc = archive_query(a,
				   "INSERT INTO inspections(task_id, licence, result, answers,"
				   " inspectors, submitted_at, recorded_at)"
				   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
				   p, G_N_ELEMENTS(p), NULL, NULL);
	if (!rc && r->followup_due && !strcmp(r->result, "basically_compliant")) {
		GPtrArray *team = g_ptr_array_new_with_free_func(g_free);
		char *note = g_strdup_printf("follow-up of %s (basically compliant)", r->task_id);

		rc = archive_query(a,
				   "SELECT inspector FROM task_inspectors WHERE task_id = ?1"
				   " ORDER BY inspector",
				   &p0, 1, strings_row, team);
		g_ptr_array_add(team, NULL);
		struct task_spec s = {
			.kind = "followup",
			.due = r->followup_due,
			.inspectors = (const char *const *)team->pdata,
			.note = note,
			.created_by = "auto:followup",
		};
		if (!rc)
			rc = task_insert(a, t.licence, &s, NULL, NULL, now_ms, NULL, NULL);
		g_free(note);
		g_ptr_array_free(team, TRUE);
	}
	if (!rc)
		rc = archive_grade_compute(a, t.licence, cfg, now_ms);
	if (!rc)
		rc = 1;
out:
	g_free(answers);
	g_free(inspectors);
	task_now_release(&t);
	return archive_savepoint_end(a, "inspection", rc);
}

int archive_penalty_put(struct archive *a, const struct penalty_spec *ps,
			const struct task_config *cfg, int64_t now_ms, int64_t *serial,
			char *decision_no)
{
	char at[CLOCK_TS_LEN], now[CLOCK_TS_LEN], number[ARCHIVE_DECISION_NO_LEN];
	bool organisation, fine;
	struct task_now t;
	struct task_config d;
	struct one s;
	int64_t ms;
	int rc, year;

	cfg = config_or_default(cfg, &d);
	if (!archive_good_text(ps->agency, MAX_AGENCY, false) ||
	    !archive_good_text(ps->party, 256, false) ||
	    !archive_good_text(ps->violation, MAX_TEXT, false) ||
	    !archive_good_text(ps->legal_basis, MAX_TEXT, false) ||
	    index_of((const char *const[]){ "individual", "organisation" }, 2, ps->party_type) <
		0 ||
	    index_of((const char *const[]){ "warning", "fine" }, 2, ps->penalty_type) < 0 ||
	    !canonical_ts(ps->decided_at, now_ms, at) || !isfinite(ps->amount_cny))
		return -EINVAL;
	organisation = !strcmp(ps->party_type, "organisation");
	fine = !strcmp(ps->penalty_type, "fine");
	if (!fine && ps->amount_cny != 0)
		return -EINVAL; /* a warning carries no amount */
	if (fine && ps->amount_cny <= 0)
		return -EINVAL;
	if (fine && ps->amount_cny > (organisation ? CAP_ORGANISATION_CNY : CAP_INDIVIDUAL_CNY))
		return -ERANGE; /* the ordinary procedure: refused, never clipped */
	clock_parse_ts(at, &ms);
	year = local_year(ms);
	clock_format_ms(now_ms, now);
	rc = task_now_get(a, ps->task_id, &t);
	if (!rc && !strcmp(t.state, "cancelled"))
		rc = -EINVAL;
	if (rc) {
		task_now_release(&t);
		return rc;
	}
	/* 1: the serial, in a savepoint of its own. Outside a transaction its
	 * release commits it at once; inside one it is kept even if the
	 * penalty's savepoint below is rolled back. Either way, once
	 * committed, agency_year_serials has moved past it for good. */
	struct archive_value sp[] = { text_value(ps->agency), int_value(year),
				      text_value(ps->task_id), text_value(now) };
	rc = archive_savepoint(a, "penalty_serial");
	if (!rc) {
		rc = query_one(
		    a,
		    "INSERT INTO agency_year_serials(agency, year, last) VALUES (?1, ?2, 1)"
		    " ON CONFLICT(agency, year) DO UPDATE SET last = agency_year_serials.last + 1"
		    " RETURNING last",
		    sp, 2, &s);
		g_free(s.text);
		if (!rc && !s.found)
			rc = -EIO;
		struct archive_value dp[] = { sp[0], sp[1], int_value(s.i), sp[2], sp[3] };
		if (!rc)
			rc = archive_query(
			    a,
			    "INSERT INTO decision_serials(agency, year, serial, task_id,"
			    " allocated_at) VALUES (?1, ?2, ?3, ?4, ?5)",
			    dp, G_N_ELEMENTS(dp), NULL, NULL);
		rc = archive_savepoint_end(a, "penalty_serial", rc);
	}
	if (rc) {
		task_now_release(&t);
		return rc;
	}
	/* 2: the penalty, and the grade it moves */
	snprintf(number, sizeof number, "%s〔%d〕%04lld号", ps->agency, year, (long long)s.i);
	struct archive_value p[] = {
		text_value(number),
		text_value(ps->agency),
		int_value(year),
		int_value(s.i),
		text_value(ps->task_id),
		text_value(t.licence),
		text_value(ps->party),
		text_value(ps->party_type),
		text_value(ps->penalty_type),
		real_value(ps->amount_cny),
		text_value(ps->violation),
		text_value(ps->legal_basis),
		text_value(at),
		text_value(now),
	};
	rc = archive_savepoint(a, "penalty");
	if (!rc) {
		rc = archive_query(
		    a,
		    "INSERT INTO penalties(decision_no, agency, year, serial, task_id,"
		    " licence, party, party_type, penalty_type, amount_cny, violation,"
		    " legal_basis, decided_at, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5,"
		    " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
		    p, G_N_ELEMENTS(p), NULL, NULL);
		if (!rc)
			rc = archive_grade_compute(a, t.licence, cfg, now_ms);
		rc = archive_savepoint_end(a, "penalty", rc);
	}
	if (rc)
		log_error("decision serial %lld of '%s' for %d allocated to task '%s' but its "
			  "penalty was not stored: the serial stays unused",
			  (long long)s.i, ps->agency, year, ps->task_id);
	if (serial)
		*serial = s.i;
	if (decision_no)
		g_strlcpy(decision_no, number, ARCHIVE_DECISION_NO_LEN);
	task_now_release(&t);
	return rc;
}

int archive_complaint_add(struct archive *a, const char *licence, const char *at, const char *text,
			  const struct task_config *cfg, int64_t now_ms)
{
	char when[CLOCK_TS_LEN], now[CLOCK_TS_LEN];
	int64_t n;
	int rc;

	if (!archive_good_text(text, MAX_TEXT, false) || !canonical_ts(at, now_ms, when) ||
	    !licence)
		return -EINVAL;
	clock_format_ms(now_ms, now);
	struct archive_value p[] = { text_value(licence), text_value(when), text_value(text),
				     text_value(now) };
	rc = count_of(a, "SELECT count(*) FROM establishments WHERE licence = ?1", p, 1, &n);
	if (rc)
		return rc;
	if (!n)
		return -ENOENT;
	rc = archive_savepoint(a, "complaint");
	if (rc)
		return rc;
	rc = archive_query(a,
			   "INSERT INTO complaints(licence, at, text, recorded_at)"
			   " VALUES (?1, ?2, ?3, ?4)",
			   p, G_N_ELEMENTS(p), NULL, NULL);
	if (!rc)
		rc = archive_grade_compute(a, licence, cfg, now_ms);
	return archive_savepoint_end(a, "complaint", rc);
}
