/*
 * archive_stats.c — alerts at the centre and their handling, coverage and
 * alert statistics, with rollup tables kept up to date on ingest (see
 * archive.h, "alerts and statistics").
 *
 * Local time is Asia/Shanghai, UTC+8 without DST: a local day is the UTC
 * instant plus 8 h, cut at midnight. Business hours are a daily pattern of
 * local minutes ("HH:MM-HH:MM[,…]"; a span whose end is not after its
 * start runs past midnight).
 *
 * Rollups (never a scan of readings or events):
 *  - recorded_camera_days(box, camera, day, h00…h23): a camera's recorded
 *    minutes per local day and hour, the largest of repeats;
 *  - recorded_box_days(box, day, h00…h23): per box the largest over its
 *    cameras. Both only grow (max of max), so the upsert is exact in any
 *    arrival order. One row per box and day: a year of 1,000 kitchens is
 *    365,000 rows, read whole by a year's coverage;
 *  - alerts: one row per alert (the event's first alerting step), with
 *    its establishment as it was bound then, and its handling times;
 *  - alert_daily(day, district, category, type, n): alerts per local day
 *    (district and category '' when the box is unbound), for year totals.
 *
 * Effective coverage of an establishment over a period of whole local days:
 *   business minutes B = days × the minutes of its daily pattern;
 *   recorded minutes R = Σ over the hours of the period of
 *     m(hour) × o(hour) / 60, where m is the largest recorded minutes of
 *     any camera of any of its boxes in that hour (a lower bound of the
 *     minutes with some video: cameras' minutes may not overlap, but
 *     nothing finer is reported), and o the business minutes of that local
 *     hour of day (0–60): an hour partly inside business hours counts its
 *     recorded minutes prorated, as if spread evenly over the hour;
 *   effective when installed and R / B ≥ threshold (B = 0: never).
 * Installed: a box bound to it in the registry, provisioned before the
 * period's end, with a camera — listed in registry_cameras, or seen
 * reporting video_recorded before the period's end (boxes' status
 * messages name cameras too, but the archive does not keep that list).
 *
 * Alert statistics: an alert belongs to the period holding its start (the
 * event's start, box clock); minutes to acknowledge and to close are
 * counted from that start, so late delivery counts against the centre.
 * Median: the middle value, the mean of the two middle ones for an even
 * count; p90: nearest rank, the ⌈0.9 n⌉-th smallest.
 */
#include "archive.h"
#include "archive_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "clock.h"
#include "log.h"
#include "message.h"

#define HOUR_MS (3600 * INT64_C(1000))

/* " h00 <s> h01 <s> … h23 <s>" for the 24 hourly columns, and X("00") …
 * X("23") for the triggers' column lists (left unformatted: clang-format
 * reflows them differently on every run) */
/* clang-format off */
#define HCOLS(p, s) \
	p "00" s p "01" s p "02" s p "03" s p "04" s p "05" s p "06" s p "07" s \
	p "08" s p "09" s p "10" s p "11" s p "12" s p "13" s p "14" s p "15" s \
	p "16" s p "17" s p "18" s p "19" s p "20" s p "21" s p "22" s p "23" s
#define HEACH(X) \
	X("00") X("01") X("02") X("03") X("04") X("05") X("06") X("07") \
	X("08") X("09") X("10") X("11") X("12") X("13") X("14") X("15") \
	X("16") X("17") X("18") X("19") X("20") X("21") X("22") X("23")
/* clang-format on */
#define COL(n)		", h" n
#define NEW_COL(n)	", new.h" n
#define ADD_EXCLUDED(n) ", h" n " = h" n " + excluded.h" n
#define ADD_DELTA(n)	", h" n " = h" n " + new.h" n " - old.h" n

const char archive_stats_schema[] =
    /* an alert's handling, one row per alert; its steps in alert_steps */
    "CREATE TABLE alerts(box TEXT NOT NULL, event_id TEXT NOT NULL, licence TEXT,"
    " district TEXT, category TEXT, type TEXT NOT NULL, severity TEXT NOT NULL,"
    " start TEXT NOT NULL, archived_at TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'new'"
    " CHECK (state IN ('new', 'acknowledged', 'in_progress', 'closed')),"
    " acknowledged_at TEXT, acknowledged_by TEXT, progress_at TEXT, progress_by TEXT,"
    " closed_at TEXT, closed_by TEXT, PRIMARY KEY(box, event_id)) WITHOUT ROWID;"
    "CREATE INDEX alerts_by_start ON alerts(start);"
    "CREATE INDEX alerts_by_arrival ON alerts(archived_at);"
    "CREATE TABLE alert_steps(box TEXT NOT NULL, event_id TEXT NOT NULL, state TEXT NOT NULL,"
    " by TEXT NOT NULL, at TEXT NOT NULL, note TEXT);"
    "CREATE INDEX alert_steps_by_alert ON alert_steps(box, event_id);"
    "CREATE INDEX alert_steps_by_time ON alert_steps(at, state, by);"
    "CREATE TABLE alert_daily(day TEXT NOT NULL, district TEXT NOT NULL, category TEXT NOT NULL,"
    " type TEXT NOT NULL, n INTEGER NOT NULL,"
    " PRIMARY KEY(day, district, category, type)) WITHOUT ROWID;"
    "CREATE TABLE recorded_camera_days(box TEXT NOT NULL, camera TEXT NOT NULL,"
    " day TEXT NOT NULL," HCOLS(
	" h",
	" REAL NOT NULL DEFAULT 0,") " PRIMARY KEY(box, camera, day)) WITHOUT ROWID;"
				     "CREATE TABLE recorded_box_days(box TEXT NOT NULL, day TEXT "
				     "NOT NULL," HCOLS(
					 " h",
					 " REAL NOT NULL DEFAULT 0,") " PRIMARY KEY(box, day)) "
								      "WITHOUT ROWID;"
								      /* per box and local month the
									 sums of its days, kept by
									 triggers */
								      "CREATE TABLE "
								      "recorded_box_months(box "
								      "TEXT NOT NULL, month TEXT "
								      "NOT NULL," HCOLS(
									  " h",
									  " REAL NOT NULL DEFAULT "
									  "0,") " PRIMARY KEY(box, "
										"month)) WITHOUT "
										"ROWID;"
										"CREATE TRIGGER "
										"recorded_box_days_"
										"insert AFTER "
										"INSERT ON "
										"recorded_box_days "
										"BEGIN"
										" INSERT INTO "
										"recorded_box_"
										"months(box, "
										"month" HEACH(
										    COL) ")"
											 " VALUES "
											 "(new.box,"
											 " substr("
											 "new.day, "
											 "1, "
											 "7)" HEACH(
											     NEW_COL) ")"
												      " ON CONFLICT(box, month) DO UPDATE SET box = box" HEACH(
													  ADD_EXCLUDED) "; END;"
															"CREATE TRIGGER recorded_box_days_update AFTER UPDATE ON recorded_box_days BEGIN"
															" UPDATE recorded_box_months SET box = box" HEACH(
															    ADD_DELTA) " WHERE box = new.box AND month = substr(new.day, 1, 7); END;";

/* --- local time ---------------------------------------------------------- */

/* Local calendar text of a UTC instant: fmt for strftime (%G-W%V, %Y-%m…). */
static void local_text(int64_t ms, const char *fmt, char *out, size_t len)
{
	time_t t = (time_t)archive_floor_div(ms + LOCAL_OFFSET_MS, 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, fmt, &tm);
}

/* The archive's own timestamps, read back many thousand times a query:
 * the fixed form "YYYY-MM-DDTHH:MM:SS.mmmZ" without sscanf and timegm;
 * anything else goes to clock_parse_ts. */
static bool ts_ms(const char *t, int64_t *ms)
{
	static const char form[] = "0000-00-00T00:00:00.000Z";
	int v[7] = { 0 }, k = 0;

	for (int i = 0; i < CLOCK_TS_LEN - 1; i++) {
		if (form[i] == '0') {
			if (t[i] < '0' || t[i] > '9')
				return clock_parse_ts(t, ms);
			v[k] = v[k] * 10 + (t[i] - '0');
		} else if (t[i] != form[i]) {
			return clock_parse_ts(t, ms);
		} else {
			k++;
		}
	}
	if (t[CLOCK_TS_LEN - 1] || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 ||
	    v[4] > 59 || v[5] > 60)
		return clock_parse_ts(t, ms);
	*ms = ((archive_days_from_civil(v[0], v[1], v[2]) * 24 + v[3]) * 60 + v[4]) * 60000 +
	      v[5] * 1000 + v[6];
	return true;
}

bool archive_parse_when(const char *text, int64_t *unix_ms)
{
	struct tm tm = { 0 };
	char *end;

	if (!text)
		return false;
	if (clock_parse_ts(text, unix_ms))
		return true;
	end = strptime(text, "%Y-%m-%d", &tm);
	if (!end || *end || strlen(text) != 10)
		return false;
	*unix_ms = (int64_t)timegm(&tm) * 1000 - LOCAL_OFFSET_MS;
	return true;
}

/* --- small helpers --------------------------------------------------------- */

static void now_ts(char *buf)
{
	clock_format_ms(clock_wall_ms(), buf);
}

/* The values of h in a new array (GLib 2.74 lacks
 * g_hash_table_get_values_as_ptr_array); h keeps owning them. */
static GPtrArray *values_of(GHashTable *h)
{
	GPtrArray *list = g_ptr_array_sized_new(g_hash_table_size(h));
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, h);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_ptr_array_add(list, v);
	return list;
}

static int prepare(struct archive *a, const char *sql, struct db_stmt **st)
{
	if (!(*st = db_prepare(a->db, sql, false)))
		return archive_fail(a, "prepare a statistics query");
	return 0;
}

/* The period [from, to) in ms; a missing bound is INT64_MIN / INT64_MAX. */
static int period_ms(const struct stats_query *q, int64_t *from, int64_t *to)
{
	*from = INT64_MIN;
	*to = INT64_MAX;
	if (q->from && !clock_parse_ts(q->from, from))
		return -EINVAL;
	if (q->to && !clock_parse_ts(q->to, to))
		return -EINVAL;
	return *from < *to ? 0 : -EINVAL;
}

/* --- rollups on ingest ------------------------------------------------------ */

/* INSERT of a day row, or on conflict the largest of each hour:
 * ?1 box, ?2 day, ?3 camera, ?4…?27 the minutes of hours 0…23. */
static char *rollup_sql(bool camera)
{
	GString *s = g_string_new("");

	g_string_printf(s, "INSERT INTO %s(box, %sday",
			camera ? "recorded_camera_days" : "recorded_box_days",
			camera ? "camera, " : "");
	for (int h = 0; h < 24; h++)
		g_string_append_printf(s, ", h%02d", h);
	g_string_append_printf(s, ") VALUES (?1, %s?2", camera ? "?3, " : "");
	for (int h = 0; h < 24; h++)
		g_string_append_printf(s, ", ?%d", 4 + h);
	g_string_append_printf(s, ") ON CONFLICT(box, %sday) DO UPDATE SET ",
			       camera ? "camera, " : "");
	for (int h = 0; h < 24; h++)
		g_string_append_printf(s, "%sh%02d = max(%s.h%02d, excluded.h%02d)", h ? ", " : "",
				       h, camera ? "recorded_camera_days" : "recorded_box_days", h, h);
	return g_string_free(s, FALSE);
}

static int rollup_write(struct archive *a, struct db_stmt *st, const char *box, const char *camera,
			const char *day, const double *minutes)
{
	int rc;

	archive_bind_text(st, 1, box);
	archive_bind_text(st, 2, day);
	archive_bind_text(st, 3, camera);
	for (int h = 0; h < 24; h++)
		db_bind_double(st, 4 + h, minutes[h]);
	rc = db_step(st);
	db_reset(st);
	return rc == DB_DONE ? 0 : archive_fail(a, "update the recorded-video rollup");
}

/* Fold one sample into day rows keyed "day" (the box) and "day camera". */
static void rollup_fold(GHashTable *rows, const char *camera, int64_t t_ms, double minutes)
{
	int64_t day = archive_local_day(t_ms);
	int hour = (int)((t_ms + LOCAL_OFFSET_MS - day * DAY_MS) / HOUR_MS);
	char dt[DATE_LEN];

	minutes = CLAMP(minutes, 0.0, 60.0);
	archive_day_text(day, dt);
	for (int i = 0; i < 2; i++) {
		char *key = i ? g_strdup(dt) : g_strconcat(dt, " ", camera, NULL);
		double *row = g_hash_table_lookup(rows, key);

		if (!row) {
			row = g_new0(double, 24);
			g_hash_table_insert(rows, key, row);
		} else {
			g_free(key);
		}
		row[hour] = MAX(row[hour], minutes);
	}
}

int archive_rollup_reading(struct archive *a, const char *box, const char *kind, const char *sensor,
			   const char *t, double value)
{
	struct reading_sample s = { sensor, kind, 0, value, "min" };

	if (strcmp(kind, "video_recorded") != 0)
		return 0;
	if (!clock_parse_ts(t, &s.t_ms))
		return 0; /* validated on arrival: cannot happen */
	return archive_rollup_samples(a, box, &s, 1);
}

int archive_rollup_samples(struct archive *a, const char *box, const struct reading_sample *s,
			   size_t n)
{
	GHashTable *rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	struct db_stmt *st[2] = { NULL, NULL };
	GHashTableIter it;
	gpointer k, v;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if (!strcmp(s[i].kind, "video_recorded"))
			rollup_fold(rows, s[i].sensor, s[i].t_ms, s[i].value);
	}
	for (int i = 0; i < 2 && !rc && g_hash_table_size(rows); i++) {
		char *sql = rollup_sql(i == 0);

		rc = prepare(a, sql, &st[i]);
		g_free(sql);
	}
	g_hash_table_iter_init(&it, rows);
	while (!rc && g_hash_table_iter_next(&it, &k, &v)) {
		char day[DATE_LEN];
		const char *camera = strchr(k, ' ');

		g_strlcpy(day, k, sizeof day);
		rc = rollup_write(a, st[camera ? 0 : 1], box, camera ? camera + 1 : NULL, day, v);
	}
	db_finalize(st[0]);
	db_finalize(st[1]);
	g_hash_table_destroy(rows);
	return rc;
}

/* --- alerts ------------------------------------------------------------------ */

static bool is_alert(const char *type, const char *severity)
{
	if (strcmp(severity, "warning") != 0 && strcmp(severity, "critical") != 0)
		return false;
	return !message_event_about_box(type);
}

int archive_alert_get(struct archive *a, const char *box, const char *event_id, archive_row_fn fn,
		      void *ctx)
{
	static const char sql[] =
	    "SELECT a.box, a.event_id, e.district, e.licence, e.name, a.type, a.severity,"
	    " a.start, s.zone, s.source, s.message FROM alerts a"
	    " JOIN registry_boxes b ON b.box = a.box"
	    " JOIN establishments e ON e.licence = b.licence"
	    " LEFT JOIN event_state s ON s.box = a.box AND s.event_id = a.event_id"
	    " WHERE a.box = ?1 AND a.event_id = ?2";
	const struct archive_value params[] = {
		{ .type = VALUE_TEXT, .text = box },
		{ .type = VALUE_TEXT, .text = event_id },
	};

	return archive_query(a, sql, params, 2, fn, ctx);
}

int archive_alert_from_event(struct archive *a, const struct message *m)
{
	const char *box = m->env.id, *id = m->u.event.event_id;
	char now[CLOCK_TS_LEN], day[DATE_LEN];
	int64_t start_ms;
	int rc;

	if (m->kind != MSG_EVENT || !is_alert(m->u.event.type, m->u.event.severity))
		return 0;
	if (!clock_parse_ts(m->u.event.start, &start_ms))
		return 0; /* validated on arrival: cannot happen */
	now_ts(now);
	struct archive_value p[] = {
		text_value(box),
		text_value(id),
		text_value(m->u.event.type),
		text_value(m->u.event.severity),
		text_value(m->u.event.start),
		text_value(now),
		text_value(m->u.event.message),
	};
	rc =
	    archive_query(a,
			  "INSERT OR IGNORE INTO alerts(box, event_id, licence, district, category,"
			  " type, severity, start, archived_at)"
			  " SELECT ?1, ?2, b.licence, e.district, e.category, ?3, ?4, ?5, ?6"
			  " FROM (SELECT 1) AS one LEFT JOIN registry_boxes b ON b.box = ?1"
			  " LEFT JOIN establishments e ON e.licence = b.licence",
			  p, 6, NULL, NULL);
	if (rc)
		return rc;
	if (db_changes(a->db) == 0) {
		/* known: a later step may only raise it to critical */
		return archive_query(
		    a,
		    "UPDATE alerts SET severity = ?4 WHERE box = ?1 AND event_id = ?2"
		    " AND ?4 = 'critical'",
		    p, 4, NULL, NULL);
	}
	rc = archive_query(a,
			   "INSERT INTO alert_steps(box, event_id, state, by, at, note)"
			   " VALUES (?1, ?2, 'new', ?1, ?5, ?7)",
			   p, 7, NULL, NULL);
	archive_day_text(archive_local_day(start_ms), day);
	p[3] = text_value(day);
	if (!rc)
		rc = archive_query(
		    a,
		    "INSERT INTO alert_daily(day, district, category, type, n)"
		    " SELECT ?4, coalesce(district, ''), coalesce(category, ''), ?3, 1"
		    " FROM alerts WHERE box = ?1 AND event_id = ?2"
		    " ON CONFLICT(day, district, category, type) DO UPDATE SET n = alert_daily.n + 1",
		    p, 4, NULL, NULL);
	return rc ? rc : 1;
}

static const char *const handling_states[] = { "new", "acknowledged", "in_progress", "closed" };
/* columns of each handling state's time and person */
static const char *const handling_cols[] = { NULL, "acknowledged", "progress", "closed" };

static int state_index(const char *state)
{
	for (int i = 0; state && i < 4; i++) {
		if (!strcmp(state, handling_states[i]))
			return i;
	}
	return -1;
}

/* The steps allowed: from → to. */
static bool step_allowed(int from, int to)
{
	return (from == 0 && to == 1) || (from == 1 && (to == 2 || to == 3)) ||
	       (from == 2 && to == 3);
}

struct alert_now {
	int found;
	char state[16];
	char last[CLOCK_TS_LEN + 8];
};

static void get_alert_now(void *ctx, int ncols, const char *const *names,
			  const struct archive_value *v)
{
	struct alert_now *n = ctx;

	(void)names;
	(void)ncols;
	n->found = 1;
	g_strlcpy(n->state, value_text(&v[0]) ? v[0].text : "", sizeof n->state);
	g_strlcpy(n->last, value_text(&v[1]) ? v[1].text : "", sizeof n->last);
}

int archive_alert_step(struct archive *a, const char *box, const char *event_id, const char *state,
		       const char *by, const char *note, const char *at)
{
	int to = state_index(state), from, rc;
	struct alert_now cur = { 0 };
	char when[CLOCK_TS_LEN], *sql;
	int64_t at_ms;

	if (to < 1)
		return -EINVAL;
	/* who and why are shown to regulators and in reports: printable text */
	if (!archive_good_text(by, 128, false) || !archive_good_text(note, 2048, true))
		return -EILSEQ;
	if (at) {
		if (!clock_parse_ts(at, &at_ms))
			return -EINVAL;
		clock_format_ms(at_ms,
				when); /* the one canonical form, so text order is time order */
	} else {
		now_ts(when);
	}
	if (archive_savepoint(a, "alert_step"))
		return -EIO;
	struct archive_value p[] = {
		text_value(box), text_value(event_id), text_value(state),
		text_value(by),	 text_value(when),     text_value(note),
	};
	rc = archive_query(a,
			   "SELECT state, coalesce(closed_at, progress_at, acknowledged_at)"
			   " FROM alerts WHERE box = ?1 AND event_id = ?2",
			   p, 2, get_alert_now, &cur);
	if (rc)
		goto out_rollback;
	if (!cur.found) {
		rc = -ENOENT;
		goto out_rollback;
	}
	from = state_index(cur.state);
	if (!step_allowed(from, to) || (cur.last[0] && strcmp(when, cur.last) < 0)) {
		rc = -EINVAL;
		goto out_rollback;
	}
	sql = g_strdup_printf("UPDATE alerts SET state = ?3, %s_at = ?5, %s_by = ?4"
			      " WHERE box = ?1 AND event_id = ?2",
			      handling_cols[to], handling_cols[to]);
	rc = archive_query(a, sql, p, 6, NULL, NULL);
	g_free(sql);
	if (!rc)
		rc = archive_query(a,
				   "INSERT INTO alert_steps(box, event_id, state, by, at, note)"
				   " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
				   p, 6, NULL, NULL);
	if (rc)
		goto out_rollback;
	return archive_savepoint_end(a, "alert_step", 0);

out_rollback:
	return archive_savepoint_end(a, "alert_step", rc);
}

int archive_alerts(struct archive *a, const struct stats_query *q, const char *state,
		   archive_row_fn fn, void *ctx)
{
	static const char sql[] =
	    "SELECT a.start, a.box, a.event_id, a.licence, e.name, a.district, a.category,"
	    " a.type, a.severity, a.state, s.state AS event, a.acknowledged_at, a.acknowledged_by,"
	    " a.progress_at, a.progress_by, a.closed_at, a.closed_by,"
	    " round((julianday(a.acknowledged_at) - julianday(a.start)) * 1440, 1) AS ack_min,"
	    " round((julianday(a.closed_at) - julianday(a.start)) * 1440, 1) AS close_min,"
	    " a.archived_at, s.message"
	    " FROM alerts a LEFT JOIN establishments e ON e.licence = a.licence"
	    " LEFT JOIN event_state s ON s.box = a.box AND s.event_id = a.event_id"
	    " WHERE (?1 IS NULL OR a.start >= ?1) AND (?2 IS NULL OR a.start < ?2)"
	    " AND (?3 IS NULL OR a.district = ?3) AND (?4 IS NULL OR a.category = ?4)"
	    " AND (?5 IS NULL OR a.state = ?5) AND (?6 IS NULL OR a.archived_at > ?6)";
	int64_t from, to;
	char *full;
	int rc;

	if (period_ms(q, &from, &to) || (state && state_index(state) < 0) ||
	    (q->archived_after && !clock_parse_ts(q->archived_after, &from)))
		return -EINVAL;
	struct archive_value p[] = {
		text_value(q->from),
		text_value(q->to),
		text_value(q->district),
		text_value(q->category),
		text_value(state),
		text_value(q->archived_after),
		int_value(q->limit > 0 ? q->limit : 100),
	};
	full = g_strconcat(sql,
			   q->archived_after ? " ORDER BY a.archived_at, a.box, a.event_id LIMIT ?7"
					     : " ORDER BY a.start DESC, a.box, a.event_id LIMIT ?7",
			   NULL);
	rc = archive_query(a, full, p, G_N_ELEMENTS(p), fn, ctx);
	g_free(full);
	return rc;
}

/* --- alert statistics --------------------------------------------------------- */

enum group_by { BY_TYPE, BY_ESTABLISHMENT, BY_DISTRICT, BY_CATEGORY, BY_DAY, BY_WEEK, BY_MONTH };
static const char *const group_names[] = { "type", "establishment", "district", "category",
					   "day",  "week",	    "month" };

struct group {
	char *key; /* "" for unbound */
	char *name;
	int64_t count, prev;
	GArray *ack, *close; /* minutes (double) */
};

struct stats_scan {
	enum group_by by;
	GHashTable *groups; /* key → struct group */
	bool prev;	    /* counting the previous period */
	int64_t total, total_prev;
	GArray *ack, *close; /* over every alert of the period */
};

static void group_free(gpointer p)
{
	struct group *g = p;

	g_free(g->key);
	g_free(g->name);
	g_array_free(g->ack, TRUE);
	g_array_free(g->close, TRUE);
	g_free(g);
}

static double minutes_between(const char *from, const struct archive_value *v)
{
	int64_t a, b;

	if (!value_text(v) || !ts_ms(from, &a) || !ts_ms(v->text, &b))
		return NAN;
	return (double)(b - a) / 60000.0;
}

/* columns: licence, name, district, category, type, start, acknowledged_at, closed_at */
static void stats_row(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	struct stats_scan *s = ctx;
	char key[64];
	const char *k = "";
	int64_t start;
	struct group *g;
	double ack, close;

	(void)names;
	(void)ncols;
	if (!value_text(&v[5]) || !ts_ms(v[5].text, &start))
		return;
	switch (s->by) {
	case BY_TYPE:
		k = value_text(&v[4]);
		break;
	case BY_ESTABLISHMENT:
		k = value_text(&v[0]);
		break;
	case BY_DISTRICT:
		k = value_text(&v[2]);
		break;
	case BY_CATEGORY:
		k = value_text(&v[3]);
		break;
	case BY_DAY:
		local_text(start, "%Y-%m-%d", key, sizeof key);
		k = key;
		break;
	case BY_WEEK:
		local_text(start, "%G-W%V", key, sizeof key);
		k = key;
		break;
	case BY_MONTH:
		local_text(start, "%Y-%m", key, sizeof key);
		k = key;
		break;
	}
	if (!k)
		k = "";
	if (s->prev) {
		s->total_prev++;
		/* a time bucket of the previous period is not one of this period's */
		if (s->by < BY_DAY && (g = g_hash_table_lookup(s->groups, k)))
			g->prev++;
		else if (s->by < BY_DAY) {
			g = g_new0(struct group, 1);
			g->key = g_strdup(k);
			g->name = g_strdup(value_text(&v[1]));
			g->ack = g_array_new(FALSE, FALSE, sizeof(double));
			g->close = g_array_new(FALSE, FALSE, sizeof(double));
			g->prev = 1;
			g_hash_table_insert(s->groups, g->key, g);
		}
		return;
	}
	g = g_hash_table_lookup(s->groups, k);
	if (!g) {
		g = g_new0(struct group, 1);
		g->key = g_strdup(k);
		g->name = g_strdup(value_text(&v[1]));
		g->ack = g_array_new(FALSE, FALSE, sizeof(double));
		g->close = g_array_new(FALSE, FALSE, sizeof(double));
		g_hash_table_insert(s->groups, g->key, g);
	}
	g->count++;
	s->total++;
	ack = minutes_between(v[5].text, &v[6]);
	close = minutes_between(v[5].text, &v[7]);
	if (!isnan(ack)) {
		g_array_append_val(g->ack, ack);
		g_array_append_val(s->ack, ack);
	}
	if (!isnan(close)) {
		g_array_append_val(g->close, close);
		g_array_append_val(s->close, close);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median (mean of the middle two for an even count) and p90 (nearest
 * rank); NAN when there are no values. Sorts v. */
static void percentiles(GArray *v, double *median, double *p90)
{
	double *d = (double *)v->data;
	guint n = v->len;

	*median = *p90 = NAN;
	if (!n)
		return;
	qsort(d, n, sizeof *d, cmp_double);
	*median = n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
	*p90 = d[(guint)ceil(0.9 * n) - 1];
}

static int group_order(gconstpointer pa, gconstpointer pb, gpointer by)
{
	const struct group *a = *(struct group *const *)pa, *b = *(struct group *const *)pb;

	if (GPOINTER_TO_INT(by) < BY_DAY) {
		if (!a->key[0] != !b->key[0])
			return a->key[0] ? -1 : 1; /* unbound last */
		if (a->count != b->count)
			return a->count > b->count ? -1 : 1;
		if (a->prev != b->prev)
			return a->prev > b->prev ? -1 : 1;
	}
	return strcmp(a->key, b->key);
}

static int scan_alerts(struct archive *a, const struct stats_query *q, const char *from,
		       const char *to, struct stats_scan *s)
{
	struct archive_value p[] = { text_value(from), text_value(to), text_value(q->district),
				     text_value(q->category) };

	/* the establishment's name only when it is the grouping */
	return archive_query(
	    a,
	    s->by == BY_ESTABLISHMENT
		? "SELECT a.licence, e.name, a.district, a.category, a.type, a.start,"
		  " a.acknowledged_at, a.closed_at FROM alerts a"
		  " LEFT JOIN establishments e ON e.licence = a.licence"
		  " WHERE (?1 IS NULL OR a.start >= ?1) AND (?2 IS NULL OR a.start < ?2)"
		  " AND (?3 IS NULL OR a.district = ?3) AND (?4 IS NULL OR a.category = ?4)"
		: "SELECT a.licence, NULL, a.district, a.category, a.type, a.start,"
		  " a.acknowledged_at, a.closed_at FROM alerts a"
		  " WHERE (?1 IS NULL OR a.start >= ?1) AND (?2 IS NULL OR a.start < ?2)"
		  " AND (?3 IS NULL OR a.district = ?3) AND (?4 IS NULL OR a.category = ?4)",
	    p, G_N_ELEMENTS(p), stats_row, s);
}

static void emit_stats_row(const struct stats_scan *s, const char *key, const char *name,
			   int64_t count, double prev, GArray *ack, GArray *close,
			   archive_row_fn fn, void *ctx)
{
	const char *names[12];
	struct archive_value v[12];
	double am, a90, cm, c90;
	int n = 0;

	percentiles(ack, &am, &a90);
	percentiles(close, &cm, &c90);
	names[n] = group_names[s->by];
	v[n++] = text_value(key && *key ? key : NULL);
	if (s->by == BY_ESTABLISHMENT) {
		names[n] = "name";
		v[n++] = text_value(name);
	}
	names[n] = "alerts";
	v[n++] = int_value(count);
	names[n] = "previous";
	v[n++] = isnan(prev) ? real_value(NAN) : int_value((int64_t)prev);
	names[n] = "change_pct";
	v[n++] = real_value(!isnan(prev) && prev > 0 ? 100.0 * ((double)count - prev) / prev : NAN);
	names[n] = "acknowledged";
	v[n++] = int_value(ack->len);
	names[n] = "ack_median_min";
	v[n++] = real_value(am);
	names[n] = "ack_p90_min";
	v[n++] = real_value(a90);
	names[n] = "closed";
	v[n++] = int_value(close->len);
	names[n] = "close_median_min";
	v[n++] = real_value(cm);
	names[n] = "close_p90_min";
	v[n++] = real_value(c90);
	fn(ctx, n, names, v);
}

int archive_alert_stats(struct archive *a, const struct stats_query *q, const char *group_by,
			archive_row_fn fn, void *ctx)
{
	struct stats_scan s = { 0 };
	char prev_from[CLOCK_TS_LEN];
	int64_t from, to;
	bool has_prev;
	GPtrArray *list;
	int rc = -EINVAL, limit = q->limit > 0 ? q->limit : 100;

	for (int i = 0; group_by && i < (int)G_N_ELEMENTS(group_names); i++) {
		if (!strcmp(group_by, group_names[i])) {
			s.by = (enum group_by)i;
			rc = 0;
		}
	}
	if (rc || period_ms(q, &from, &to))
		return -EINVAL;
	has_prev = q->from && q->to && from - (to - from) < from;
	s.groups = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, group_free);
	s.ack = g_array_new(FALSE, FALSE, sizeof(double));
	s.close = g_array_new(FALSE, FALSE, sizeof(double));
	rc = scan_alerts(a, q, q->from, q->to, &s);
	if (!rc && has_prev) {
		clock_format_ms(from - (to - from), prev_from);
		s.prev = true;
		rc = scan_alerts(a, q, prev_from, q->from, &s);
	}
	if (rc)
		goto out;
	list = values_of(s.groups);
	g_ptr_array_sort_with_data(list, group_order, GINT_TO_POINTER(s.by));
	/* the limit makes a top N; time buckets are bounded by the period */
	for (guint i = 0; i < list->len && (s.by >= BY_DAY || (int)i < limit); i++) {
		struct group *g = list->pdata[i];

		if (g->count == 0 && s.by >= BY_DAY)
			continue;
		emit_stats_row(&s, g->key, g->name, g->count,
			       has_prev && s.by < BY_DAY ? (double)g->prev : NAN, g->ack, g->close,
			       fn, ctx);
	}
	g_ptr_array_free(list, TRUE);
	emit_stats_row(&s, "total", NULL, s.total, has_prev ? (double)s.total_prev : NAN, s.ack,
		       s.close, fn, ctx);
out:
	g_hash_table_destroy(s.groups);
	g_array_free(s.ack, TRUE);
	g_array_free(s.close, TRUE);
	return rc;
}

/* --- coverage ------------------------------------------------------------------ */

/* Business minutes of each local hour of day from "HH:MM-HH:MM[,…]";
 * false if malformed. */
static bool business_hours(const char *text, int per_hour[24])
{
	bool minute[1440] = { false };
	const char *p = text;

	memset(per_hour, 0, 24 * sizeof *per_hour);
	while (p && *p) {
		int h1, m1, h2, m2, n = 0, start, end;

		if (sscanf(p, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &n) != 4 || n != 11 ||
		    h1 > 23 || m1 > 59 || h2 > 24 || m2 > 59 || (h2 == 24 && m2) || h1 < 0 ||
		    m1 < 0 || h2 < 0 || m2 < 0)
			return false;
		start = h1 * 60 + m1;
		end = h2 * 60 + m2;
		if (end <= start)
			end += 1440; /* past midnight */
		for (int m = start; m < end; m++)
			minute[m % 1440] = true;
		p += n;
		if (*p == ',')
			p++;
		else if (*p)
			return false;
	}
	for (int m = 0; m < 1440; m++)
		per_hour[m / 60] += minute[m];
	return true;
}

struct estab {
	char *licence, *district, *category, *name, *hours;
	bool installed;
	int nboxes;
	int per_hour[24];
	int daily;	  /* business minutes a day */
	double sum[24];	  /* Σ over the period's days of the hour's recorded minutes */
	GHashTable *days; /* multi-box only: day → double[24], the max over boxes */
};

static void estab_free(gpointer p)
{
	struct estab *e = p;

	g_free(e->licence);
	g_free(e->district);
	g_free(e->category);
	g_free(e->name);
	g_free(e->hours);
	if (e->days)
		g_hash_table_destroy(e->days);
	g_free(e);
}

struct coverage_scan {
	GHashTable *estabs; /* licence → struct estab */
	int64_t days;
	char from_day[DATE_LEN], to_day[DATE_LEN];
	char from_ts[CLOCK_TS_LEN], to_ts[CLOCK_TS_LEN];
};

/* columns: licence, name, district, category, business_hours, installed, boxes */
static void estab_row(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	struct coverage_scan *c = ctx;
	struct estab *e = g_new0(struct estab, 1);

	(void)names;
	(void)ncols;
	e->licence = g_strdup(v[0].text);
	e->name = g_strdup(value_text(&v[1]));
	e->district = g_strdup(v[2].text);
	e->category = g_strdup(v[3].text);
	e->hours = g_strdup(value_text(&v[4]) ? v[4].text : "");
	e->installed = v[5].i != 0;
	e->nboxes = (int)v[6].i;
	if (!business_hours(e->hours, e->per_hour))
		log_warn("establishment '%s': business hours '%s' are not HH:MM-HH:MM[,…]: "
			 "counted as none",
			 e->licence, e->hours);
	for (int h = 0; h < 24; h++)
		e->daily += e->per_hour[h];
	if (e->nboxes > 1)
		e->days = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_hash_table_insert(c->estabs, e->licence, e);
}

static double estab_recorded(const struct estab *e)
{
	double r = 0;

	for (int h = 0; h < 24; h++)
		r += e->sum[h] * e->per_hour[h] / 60.0;
	return r;
}

/* Rows of (licence, day, h00…h23): the day rows of boxes, or the month
 * rows of boxes; ?4: 0 every establishment, 1 (days) only those with
 * several boxes, or (months) only those with one. The boxes are the outer
 * loop so that each is a range search of the rollup's key. */
#define FOLD_DAYS                                                                                  \
	"SELECT b.licence, d.day," HCOLS(                                                          \
	    " d.h",                                                                                \
	    ",") " 0 FROM registry_boxes b"                                                        \
		 " CROSS JOIN recorded_box_days d WHERE d.box = b.box AND d.day >= ?1"             \
		 " AND d.day < ?2 AND (?3 IS NULL OR b.licence = ?3) AND (?4 = 0 OR"               \
		 " (SELECT count(*) FROM registry_boxes x WHERE x.licence = b.licence) > 1)"
#define FOLD_MONTHS                                                                                \
	"SELECT b.licence, d.month," HCOLS(                                                        \
	    " d.h",                                                                                \
	    ",") " 0 FROM registry_boxes b"                                                        \
		 " CROSS JOIN recorded_box_months d WHERE d.box = b.box AND d.month >= ?1"         \
		 " AND d.month < ?2 AND (?3 IS NULL OR b.licence = ?3) AND (?4 = 0 OR"             \
		 " (SELECT count(*) FROM registry_boxes x WHERE x.licence = b.licence) = 1)"

static int fold(struct archive *a, struct coverage_scan *c, const char *sql, const char *from,
		const char *to, const char *licence, int which)
{
	struct db_stmt *st;
	int rc;

	if (strcmp(from, to) >= 0)
		return 0;
	if (prepare(a, sql, &st))
		return -EIO;
	archive_bind_text(st, 1, from);
	archive_bind_text(st, 2, to);
	archive_bind_text(st, 3, licence);
	db_bind_int64(st, 4, which);
	while ((rc = db_step(st)) == DB_ROW) {
		struct estab *e = g_hash_table_lookup(c->estabs, db_column_text(st, 0));
		double *day;

		if (!e)
			continue; /* not selected */
		if (!e->days) {
			for (int h = 0; h < 24; h++)
				e->sum[h] += db_column_double(st, 2 + h);
			continue;
		}
		day = g_hash_table_lookup(e->days, db_column_text(st, 1));
		if (!day) {
			day = g_new0(double, 24);
			g_hash_table_insert(
			    e->days, g_strdup(db_column_text(st, 1)), day);
		}
		for (int h = 0; h < 24; h++)
			day[h] = MAX(day[h], db_column_double(st, 2 + h));
	}
	db_finalize(st);
	return rc == DB_DONE ? 0 : archive_fail(a, "read the recorded-video rollup");
}

/* The first day of a month at or after (up: true) or at or before day. */
static int64_t month_start(int64_t day, bool up)
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;

	gmtime_r(&t, &tm);
	if (tm.tm_mday == 1)
		return day;
	tm.tm_mday = 1;
	if (up)
		tm.tm_mon++;
	return (int64_t)timegm(&tm) / 86400;
}

/* Load the establishments selected (licence: just one) and fold the
 * recorded_box_days rows of their boxes over the period's days. */
static int coverage_load(struct archive *a, const struct stats_query *q, const char *licence,
			 struct coverage_scan *c)
{
	int64_t from, to, d0, d1, m0, m1;
	int rc;

	if (period_ms(q, &from, &to) || !q->from || !q->to)
		return -EINVAL;
	d0 = archive_local_day(from);
	d1 = archive_local_day(to - 1) + 1; /* whole local days */
	c->days = d1 - d0;
	archive_day_text(d0, c->from_day);
	archive_day_text(d1, c->to_day);
	clock_format_ms(d0 * DAY_MS - LOCAL_OFFSET_MS, c->from_ts);
	clock_format_ms(d1 * DAY_MS - LOCAL_OFFSET_MS, c->to_ts);
	c->estabs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, estab_free);
	struct archive_value p[] = { text_value(c->to_ts), text_value(q->district),
				     text_value(q->category), text_value(c->to_day),
				     text_value(licence) };
	rc = archive_query(
	    a,
	    "SELECT e.licence, e.name, e.district, e.category, e.business_hours,"
	    " EXISTS (SELECT 1 FROM registry_boxes b WHERE b.licence = e.licence"
	    "  AND b.provisioned < ?1 AND (EXISTS (SELECT 1 FROM registry_cameras k"
	    "  WHERE k.box = b.box) OR EXISTS (SELECT 1 FROM recorded_camera_days d"
	    "  WHERE d.box = b.box AND d.day < ?4))) AS installed,"
	    " (SELECT count(*) FROM registry_boxes b WHERE b.licence = e.licence) AS boxes"
	    " FROM establishments e WHERE (?2 IS NULL OR e.district = ?2)"
	    " AND (?3 IS NULL OR e.category = ?3) AND (?5 IS NULL OR e.licence = ?5)",
	    p, G_N_ELEMENTS(p), estab_row, c);
	if (rc)
		return rc;
	/* whole local months inside the period from the month rollup (for
	 * establishments with one box: with several, each hour needs the
	 * largest over the boxes, day by day), the rest from the day rows */
	m0 = month_start(d0, true);
	m1 = month_start(d1, false);
	if (m0 < m1) {
		char m0t[DATE_LEN], m1t[DATE_LEN];

		archive_day_text(m0, m0t);
		archive_day_text(m1, m1t);
		m0t[7] = m1t[7] = '\0';
		rc = fold(a, c, FOLD_MONTHS, m0t, m1t, licence, 1);
		if (!rc)
			rc = fold(a, c, FOLD_DAYS, c->from_day, m0t, licence, 0);
		archive_day_text(m0, m0t);
		archive_day_text(m1, m1t);
		if (!rc)
			rc = fold(a, c, FOLD_DAYS, m0t, m1t, licence, 1);
		if (!rc)
			rc = fold(a, c, FOLD_DAYS, m1t, c->to_day, licence, 0);
	} else {
		rc = fold(a, c, FOLD_DAYS, c->from_day, c->to_day, licence, 0);
	}
	if (rc)
		return rc;
	GHashTableIter it;
	gpointer k, val;

	g_hash_table_iter_init(&it, c->estabs);
	while (g_hash_table_iter_next(&it, &k, &val)) {
		struct estab *e = val;
		GHashTableIter di;
		gpointer dk, dv;

		if (!e->days)
			continue;
		g_hash_table_iter_init(&di, e->days);
		while (g_hash_table_iter_next(&di, &dk, &dv)) {
			for (int h = 0; h < 24; h++)
				e->sum[h] += ((double *)dv)[h];
		}
	}
	return 0;
}

static void coverage_release(struct coverage_scan *c)
{
	if (c->estabs)
		g_hash_table_destroy(c->estabs);
}

struct cov_group {
	char district[16], category[32];
	int64_t n, installed, effective;
	double business, recorded;
};

static double target_for(const char *category, const struct coverage_target *targets,
			 size_t n_targets)
{
	if (!targets)
		return !strcmp(category, "school_canteen") ? 0.5 : NAN;
	for (size_t i = 0; i < n_targets; i++) {
		if (!strcmp(targets[i].category, category))
			return targets[i].share;
	}
	return NAN;
}

static int cov_group_order(gconstpointer pa, gconstpointer pb)
{
	const struct cov_group *a = *(struct cov_group *const *)pa,
			       *b = *(struct cov_group *const *)pb;
	bool aa = !strcmp(a->district, "all"), ba = !strcmp(b->district, "all");
	int c;

	/* districts first, then the per-category totals, then all of it */
	if (aa != ba)
		return aa ? 1 : -1;
	if (!strcmp(a->category, "all") != !strcmp(b->category, "all"))
		return !strcmp(a->category, "all") ? 1 : -1;
	c = strcmp(a->district, b->district);
	return c ? c : strcmp(a->category, b->category);
}

static struct cov_group *cov_group_get(GHashTable *h, const char *district, const char *category)
{
	char key[64];
	struct cov_group *g;

	snprintf(key, sizeof key, "%s|%s", district, category);
	g = g_hash_table_lookup(h, key);
	if (!g) {
		g = g_new0(struct cov_group, 1);
		g_strlcpy(g->district, district, sizeof g->district);
		g_strlcpy(g->category, category, sizeof g->category);
		g_hash_table_insert(h, g_strdup(key), g);
	}
	return g;
}

/* Groups of the scan: district × category, per category ("all"
 * districts) and overall ("all", "all"), sorted in that order. */
static GPtrArray *coverage_groups(struct coverage_scan *c, double threshold, GHashTable **owner)
{
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GHashTableIter it;
	gpointer k, val;
	GPtrArray *list;

	g_hash_table_iter_init(&it, c->estabs);
	while (g_hash_table_iter_next(&it, &k, &val)) {
		struct estab *e = val;
		double business = (double)c->days * e->daily, recorded = estab_recorded(e);
		bool effective = e->installed && business > 0 && recorded / business >= threshold;
		struct cov_group *gs[3] = { cov_group_get(h, e->district, e->category),
					    cov_group_get(h, "all", e->category),
					    cov_group_get(h, "all", "all") };

		for (int i = 0; i < 3; i++) {
			gs[i]->n++;
			gs[i]->installed += e->installed;
			gs[i]->effective += effective;
			gs[i]->business += business;
			gs[i]->recorded += recorded;
		}
	}
	list = values_of(h);
	g_ptr_array_sort(list, cov_group_order);
	*owner = h;
	return list;
}

int archive_coverage(struct archive *a, const struct stats_query *q, double threshold,
		     const struct coverage_target *targets, size_t n_targets, archive_row_fn fn,
		     void *ctx)
{
	static const char *const names[] = {
		"district",	 "category",  "establishments",	  "installed",
		"installed_pct", "effective", "effective_pct",	  "target_pct",
		"target_met",	 "days",      "business_minutes", "recorded_minutes",
		"recorded_pct",
	};
	struct coverage_scan c = { 0 };
	GHashTable *owner;
	GPtrArray *list;
	int rc;

	if (!(threshold >= 0 && threshold <= 1))
		return -EINVAL;
	rc = coverage_load(a, q, NULL, &c);
	if (rc) {
		coverage_release(&c);
		return rc;
	}
	list = coverage_groups(&c, threshold, &owner);
	for (guint i = 0; i < list->len; i++) {
		struct cov_group *g = list->pdata[i];
		double target =
		    strcmp(g->category, "all") ? target_for(g->category, targets, n_targets) : NAN;
		double eff = g->n ? 100.0 * (double)g->effective / (double)g->n : NAN;
		struct archive_value v[] = {
			text_value(g->district),
			text_value(g->category),
			int_value(g->n),
			int_value(g->installed),
			real_value(g->n ? 100.0 * (double)g->installed / (double)g->n : NAN),
			int_value(g->effective),
			real_value(eff),
			real_value(100.0 * target),
			text_value(isnan(target)		  ? NULL
				   : eff >= 100.0 * target - 1e-9 ? "yes"
								  : "no"),
			int_value(c.days),
			real_value(g->business),
			real_value(g->recorded),
			real_value(g->business > 0 ? 100.0 * g->recorded / g->business : NAN),
		};

		fn(ctx, G_N_ELEMENTS(v), names, v);
	}
	g_ptr_array_free(list, TRUE);
	g_hash_table_destroy(owner);
	coverage_release(&c);
	return 0;
}

/* --- coverage detail ------------------------------------------------------------- */

struct detail {
	archive_row_fn fn;
	void *ctx;
	int64_t from, to;
	const struct estab *e;
	GPtrArray *boxes; /* char* */
};

static void detail_emit(struct detail *d, const char *kind, const char *box, const char *subject,
			int64_t from, int64_t to, double minutes, double share, const char *note)
{
	static const char *const names[] = { "kind", "box",	"subject",   "from",
					     "to",   "minutes", "share_pct", "note" };
	char f[CLOCK_TS_LEN], t[CLOCK_TS_LEN];

	if (from != INT64_MIN)
		clock_format_ms(from, f);
	if (to != INT64_MIN)
		clock_format_ms(to, t);
	struct archive_value v[] = {
		text_value(kind),
		text_value(box),
		text_value(subject),
		text_value(from != INT64_MIN ? f : NULL),
		text_value(to != INT64_MIN ? t : NULL),
		real_value(minutes),
		real_value(share),
		text_value(note),
	};
	d->fn(d->ctx, G_N_ELEMENTS(v), names, v);
}

static void collect_box(void *ctx, int ncols, const char *const *names,
			const struct archive_value *v)
{
	(void)ncols;
	(void)names;
	g_ptr_array_add(ctx, g_strdup(v[0].text));
}

/* camera rows: box, camera, registered, then per camera its business-hours minutes */
struct camera_acc {
	char *box, *camera;
	bool registered;
	double sum[24];
	int64_t days_seen;
};

static int detail_cameras(struct archive *a, struct detail *d, struct coverage_scan *c,
			  double business)
{
	GPtrArray *cams = g_ptr_array_new();
	struct db_stmt *st;
	int rc = 0;

	for (guint b = 0; b < d->boxes->len && !rc; b++) {
		const char *box = d->boxes->pdata[b];

		/* the names first, then the minutes of the period */
		if (prepare(a,
			    "SELECT camera, max(reg) FROM (SELECT camera, 1 AS reg FROM "
			    "registry_cameras"
			    " WHERE box = ?1 UNION ALL SELECT DISTINCT camera, 0 FROM "
			    "recorded_camera_days"
			    " WHERE box = ?1) AS c GROUP BY camera ORDER BY camera",
			    &st)) {
			rc = -EIO;
			break;
		}
		archive_bind_text(st, 1, box);
		while (db_step(st) == DB_ROW) {
			struct camera_acc *acc = g_new0(struct camera_acc, 1);

			acc->box = g_strdup(box);
			acc->camera = g_strdup(db_column_text(st, 0));
			acc->registered = (int)db_column_int64(st, 1);
			g_ptr_array_add(cams, acc);
		}
		db_finalize(st);
		if (prepare(a,
			    "SELECT camera," HCOLS(
				" h", ",") " 0 FROM recorded_camera_days"
					   " WHERE box = ?1 AND day >= ?2 AND day < ?3",
			    &st)) {
			rc = -EIO;
			break;
		}
		archive_bind_text(st, 1, box);
		archive_bind_text(st, 2, c->from_day);
		archive_bind_text(st, 3, c->to_day);
		while (db_step(st) == DB_ROW) {
			const char *cam = db_column_text(st, 0);

			for (guint i = 0; i < cams->len; i++) {
				struct camera_acc *acc = cams->pdata[i];

				if (strcmp(acc->box, box) || strcmp(acc->camera, cam))
					continue;
				acc->days_seen++;
				for (int h = 0; h < 24; h++)
					acc->sum[h] += db_column_double(st, 1 + h);
			}
		}
		db_finalize(st);
	}
	for (guint i = 0; i < cams->len; i++) {
		struct camera_acc *acc = cams->pdata[i];
		double r = 0;

		for (int h = 0; h < 24; h++)
			r += acc->sum[h] * d->e->per_hour[h] / 60.0;
		if (!rc)
			detail_emit(d, "camera", acc->box, acc->camera, INT64_MIN, INT64_MIN, r,
				    business > 0 ? 100.0 * r / business : NAN,
				    acc->registered
					? (acc->days_seen ? "registered"
							  : "registered, no video in the period")
					: "not in the registry, seen reporting video");
		g_free(acc->box);
		g_free(acc->camera);
		g_free(acc);
	}
	g_ptr_array_free(cams, TRUE);
	return rc;
}

/* An interval [a, b) (b INT64_MAX: still open) clipped to the period. */
static void detail_interval(struct detail *d, const char *kind, const char *box,
			    const char *subject, int64_t a, int64_t b, const char *note)
{
	int64_t f = MAX(a, d->from), t = MIN(b, d->to);

	if (t <= f)
		return;
	detail_emit(d, kind, box, subject, a, b == INT64_MAX ? INT64_MIN : b,
		    (double)(t - f) / 60000.0, NAN, b == INT64_MAX ? "still offline" : note);
}

static int detail_offline(struct archive *a, struct detail *d)
{
	struct db_stmt *st;
	int rc = 0;

	for (guint b = 0; b < d->boxes->len && !rc; b++) {
		const char *box = d->boxes->pdata[b];
		int64_t off = INT64_MIN, ts;
		int seen = 0;

		if (prepare(a, "SELECT state, ts FROM status_log WHERE box = ?1 ORDER BY ts", &st))
			return -EIO;
		archive_bind_text(st, 1, box);
		while (db_step(st) == DB_ROW) {
			const char *state = db_column_text(st, 0);

			seen++;
			if (!clock_parse_ts(db_column_text(st, 1), &ts))
				continue;
			if (!strcmp(state, "offline") && off == INT64_MIN) {
				off = ts;
			} else if (!strcmp(state, "online") && off != INT64_MIN) {
				detail_interval(d, "box_offline", box, box, off, ts, NULL);
				off = INT64_MIN;
			}
		}
		db_finalize(st);
		if (off != INT64_MIN)
			detail_interval(d, "box_offline", box, box, off, INT64_MAX, NULL);
		if (!seen)
			detail_emit(d, "never_connected", box, box, INT64_MIN, INT64_MIN, NAN, NAN,
				    "no status from this box, ever");
		if (prepare(a,
			    "SELECT source, start, end FROM event_state WHERE box = ?1"
			    " AND type = 'camera_offline' ORDER BY start",
			    &st))
			return -EIO;
		archive_bind_text(st, 1, box);
		while (db_step(st) == DB_ROW) {
			int64_t s, e = INT64_MAX;
			const char *end = db_column_text(st, 2);

			if (!clock_parse_ts(db_column_text(st, 1), &s) ||
			    (end && !clock_parse_ts(end, &e)))
				continue;
			detail_interval(d, "camera_offline", box,
					db_column_text(st, 0), s, e, NULL);
		}
		db_finalize(st);
	}
	return rc;
}

int archive_coverage_detail(struct archive *a, const char *licence, const struct stats_query *q,
			    archive_row_fn fn, void *ctx)
{
	struct coverage_scan c = { 0 };
	struct detail d = { .fn = fn, .ctx = ctx };
	struct estab *e;
	double business, recorded;
	char *note;
	int rc;

	if (!licence)
		return -EINVAL;
	rc = coverage_load(a, &(struct stats_query){ .from = q->from, .to = q->to }, licence, &c);
	if (rc)
		goto out;
	e = g_hash_table_lookup(c.estabs, licence);
	if (!e) {
		rc = -ENOENT;
		goto out;
	}
	clock_parse_ts(c.from_ts, &d.from);
	clock_parse_ts(c.to_ts, &d.to);
	d.e = e;
	d.boxes = g_ptr_array_new_with_free_func(g_free);
	rc = archive_query(a, "SELECT box FROM registry_boxes WHERE licence = ?1 ORDER BY box",
			   &(struct archive_value){ .type = VALUE_TEXT, .text = licence }, 1,
			   collect_box, d.boxes);
	business = (double)c.days * e->daily;
	recorded = estab_recorded(e);
	note = g_strdup_printf("%s; %s; district %s; business hours %s; %s", e->name ? e->name : "",
			       e->category, e->district, e->hours,
			       e->installed ? "installed" : "not installed");
	if (!rc) {
		detail_emit(&d, "establishment", NULL, licence, d.from, d.to, business, NAN, note);
		detail_emit(&d, "recorded", NULL, licence, d.from, d.to, recorded,
			    business > 0 ? 100.0 * recorded / business : NAN,
			    "business-hours minutes with video (per hour the best camera)");
		rc = detail_cameras(a, &d, &c, business);
	}
	g_free(note);
	if (!rc)
		rc = detail_offline(a, &d);
	g_ptr_array_free(d.boxes, TRUE);
out:
	coverage_release(&c);
	return rc;
}

/* --- the year report -------------------------------------------------------------- */

struct year_row {
	archive_row_fn fn;
	void *ctx;
};

static void year_emit(struct year_row *y, const char *figure, struct archive_value value,
		      const char *unit, const char *note)
{
	static const char *const names[] = { "figure", "value", "unit", "note" };
	struct archive_value v[] = { text_value(figure), value, text_value(unit),
				     text_value(note) };

	y->fn(y->ctx, G_N_ELEMENTS(v), names, v);
}

static void get_int(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	(void)ncols;
	(void)names;
	*(int64_t *)ctx = v[0].type == VALUE_INT ? v[0].i : 0;
}

static void get_two(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	int64_t *out = ctx;

	(void)names;
	for (int i = 0; i < 2 && i < ncols; i++)
		out[i] = v[i].type == VALUE_INT ? v[i].i : 0;
}

static void pct_row(struct year_row *y, const char *figure, int64_t part, int64_t whole,
		    double target)
{
	char *note;
	double pct = whole ? 100.0 * (double)part / (double)whole : NAN;

	if (isnan(target))
		note = g_strdup_printf("%lld of %lld", (long long)part, (long long)whole);
	else
		note = g_strdup_printf("%lld of %lld; target %.0f %%: %s", (long long)part,
				       (long long)whole, 100.0 * target,
				       !isnan(pct) && pct >= 100.0 * target - 1e-9 ? "met"
										   : "not met");
	year_emit(y, figure, real_value(pct), "%", note);
	g_free(note);
}

static int year_coverage(struct archive *a, struct year_row *y, const char *from, const char *to,
			 double threshold, const struct coverage_target *targets, size_t n_targets)
{
	struct coverage_scan c = { 0 };
	GHashTable *owner;
	GPtrArray *list;
	int rc = coverage_load(a, &(struct stats_query){ .from = from, .to = to }, NULL, &c);

	if (rc) {
		coverage_release(&c);
		return rc;
	}
	list = coverage_groups(&c, threshold, &owner);
	year_emit(y, "establishments in the registry", int_value(g_hash_table_size(c.estabs)), NULL,
		  NULL);
	for (guint i = 0; i < list->len; i++) {
		struct cov_group *g = list->pdata[i];
		double target = target_for(g->category, targets, n_targets);
		char *f;

		if (strcmp(g->district, "all") || (strcmp(g->category, "all") && isnan(target)))
			continue;
		f = g_strdup_printf("installed coverage, %s", g->category);
		pct_row(y, f, g->installed, g->n, target);
		g_free(f);
		f = g_strdup_printf("effective coverage (≥ %.0f %% of business hours), %s",
				    100.0 * threshold, g->category);
		pct_row(y, f, g->effective, g->n, target);
		g_free(f);
	}
	g_ptr_array_free(list, TRUE);
	g_hash_table_destroy(owner);
	coverage_release(&c);
	return 0;
}

int archive_year_report(struct archive *a, int year, double threshold,
			const struct coverage_target *targets, size_t n_targets, archive_row_fn fn,
			void *ctx)
{
	struct year_row y = { fn, ctx };
	char from[CLOCK_TS_LEN], to[CLOCK_TS_LEN], d0[16], d1[16], *note;
	struct stats_scan s = { .by = BY_TYPE };
	int64_t ms, n = 0, people = 0, two[2] = { 0, 0 };
	double m, p90;
	int rc;

	if (year < 2000 || year > 9999 || !(threshold >= 0 && threshold <= 1))
		return -EINVAL;
	snprintf(d0, sizeof d0, "%04d-01-01", year);
	snprintf(d1, sizeof d1, "%04d-01-01", year + 1);
	archive_parse_when(d0, &ms);
	clock_format_ms(ms, from);
	archive_parse_when(d1, &ms);
	clock_format_ms(ms, to);
	rc = year_coverage(a, &y, from, to, threshold, targets, n_targets);
	if (rc)
		return rc;

	struct archive_value p[] = { text_value(d0), text_value(d1), text_value(from),
				     text_value(to) };
	rc = archive_query(
	    a, "SELECT coalesce(sum(n), 0) FROM alert_daily WHERE day >= ?1 AND day < ?2", p, 2,
	    get_int, &n);
	if (rc)
		return rc;
	year_emit(&y, "alerts", int_value(n), NULL, "warning and critical events about kitchens");
	s.groups = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, group_free);
	s.ack = g_array_new(FALSE, FALSE, sizeof(double));
	s.close = g_array_new(FALSE, FALSE, sizeof(double));
	rc = scan_alerts(a, &(struct stats_query){ 0 }, from, to, &s);
	if (!rc) {
		pct_row(&y, "alerts handled (closed)", s.close->len, s.total, NAN);
		percentiles(s.close, &m, &p90);
		note = g_strdup_printf("from the event's start; p90 %.1f min", p90);
		year_emit(&y, "median time to close", real_value(m), "min", note);
		g_free(note);
		percentiles(s.ack, &m, &p90);
		note = g_strdup_printf("from the event's start; p90 %.1f min; %u acknowledged", p90,
				       s.ack->len);
		year_emit(&y, "median time to acknowledge", real_value(m), "min", note);
		g_free(note);
	}
	g_hash_table_destroy(s.groups);
	g_array_free(s.ack, TRUE);
	g_array_free(s.close, TRUE);
	if (rc)
		return rc;
	year_emit(&y, "inspections done against the risk schedule", real_value(NAN), NULL,
		  "not yet recorded: the platform holds no inspections or risk grades");

	rc = archive_query(a,
			   "SELECT count(*), count(DISTINCT by) FROM alert_steps WHERE at >= ?3"
			   " AND at < ?4 AND state != 'new'",
			   p, 4, get_two, two);
	if (rc)
		return rc;
	n = two[0];
	people = two[1];
	note = g_strdup_printf("acknowledge, start, close; by %lld people", (long long)people);
	year_emit(&y, "usage, regulators: alert handling steps", int_value(n), NULL, note);
	g_free(note);
	rc = archive_query(a,
			   "SELECT count(DISTINCT box) FROM recorded_box_months"
			   " WHERE month >= substr(?1, 1, 7) AND month < substr(?2, 1, 7)",
			   p, 2, get_int, &n);
	if (rc)
		return rc;
	year_emit(&y, "usage, kitchens and installers: boxes reporting video", int_value(n), NULL,
		  "boxes with at least one video_recorded hour in the year");
	rc = archive_query(a,
			   "SELECT count(*) FROM clips WHERE state = 'verified' AND start >= ?3"
			   " AND start < ?4",
			   p, 4, get_int, &n);
	if (rc)
		return rc;
	year_emit(&y, "usage, regulators: evidence clips received", int_value(n), NULL,
		  "clips and snapshots verified at the centre");
	year_emit(&y, "usage, regulators: bkctl and API queries", real_value(NAN), NULL,
		  "not measured: queries are not logged");
	year_emit(&y, "usage, inspectors: handheld inspections", real_value(NAN), NULL,
		  "not measured: no handheld module yet");
	return 0;
}
