/*
 * archive_internal.h — what the archive's files share (archive.c: the
 * connection, schema migrations, the stream; archive_registry.c: the
 * registry; archive_stats.c: alert handling and statistics). The SQL engine
 * (cloud/db.h) stays inside them; nothing outside cloud/archive*.c includes
 * this.
 */
#ifndef BK_ARCHIVE_INTERNAL_H
#define BK_ARCHIVE_INTERNAL_H

#include "archive.h"
#include "db.h"

#define ARCHIVE_STMT_MAX 64

struct archive {
	struct db *db;
	char *path;
	struct db_stmt *stmt[ARCHIVE_STMT_MAX]; /* archive.c's prepared statements */
	char top_savepoint[32];		      /* the savepoint that began the transaction, or "" */
};

/* Log "archive 'PATH': cannot WHAT: sqlite's message"; returns -EIO. */
int archive_fail(struct archive *a, const char *what);
/* Run sql (no results); 0 or archive_fail's -EIO. */
int archive_exec(struct archive *a, const char *sql, const char *what);
/* A unit of work that may nest: SAVEPOINT name, inside a transaction or
 * not. At the top level it begins with BEGIN IMMEDIATE: a deferred one that
 * reads first would fail at once ("database is locked", no busy wait) when
 * the collector commits between its read and its write. 0 or -EIO. */
int archive_savepoint(struct archive *a, const char *name);
/* Release it when rc >= 0 (committing, at the top level), else roll it
 * back; returns rc, or -EIO when the release or commit failed. */
int archive_savepoint_end(struct archive *a, const char *name, int rc);
/* Printable text of 1…max bytes of UTF-8 (tabs and newlines allowed, no
 * other control character); NULL is fine when optional. */
bool archive_good_text(const char *text, size_t max, bool optional);
/* Rows changed by the last INSERT, UPDATE or DELETE into *n; 0. */
int archive_changes(struct archive *a, int64_t *n);
/* Bind text, or NULL when text is NULL. */
void archive_bind_text(struct db_stmt *st, int i, const char *text);

/* Bound values for archive_query: text (NULL stays NULL), integer, real
 * (NaN is NULL); and a column's text or NULL. */
static inline struct archive_value text_value(const char *text)
{
	return (struct archive_value){ .type = text ? VALUE_TEXT : VALUE_NULL, .text = text };
}

static inline struct archive_value int_value(int64_t i)
{
	return (struct archive_value){ .type = VALUE_INT, .i = i };
}

static inline struct archive_value real_value(double r)
{
	if (r != r)
		return (struct archive_value){ .type = VALUE_NULL };
	return (struct archive_value){ .type = VALUE_REAL, .r = r };
}

static inline const char *value_text(const struct archive_value *v)
{
	return v->type == VALUE_TEXT ? v->text : NULL;
}

/* Local time for statistics, tasks and their dates: Asia/Shanghai, UTC+8,
 * no daylight saving. Days are counted from 1970-01-01. */
#define LOCAL_OFFSET_MS (8 * 3600 * INT64_C(1000))
#define DAY_MS		(24 * 3600 * INT64_C(1000))
#define DATE_LEN	11 /* "YYYY-MM-DD" and its NUL */

/* a / b rounded toward minus infinity */
int64_t archive_floor_div(int64_t a, int64_t b);
/* The local day of a UTC instant. */
int64_t archive_local_day(int64_t ms);
/* "YYYY-MM-DD" of a day number into out[DATE_LEN]. */
void archive_day_text(int64_t day, char *out);
/* The day number of a proleptic Gregorian date (H. Hinnant's algorithm). */
int64_t archive_days_from_civil(int64_t y, int m, int d);

/* Shared with archive_platforms.c (archive_tasks.c has them):
 * effective coverage of licence over the last 30 whole local days, by
 * archive_coverage's rule (installed, recorded / business ≥ threshold),
 * with the recorded share in *pct; and up to team inspectors of district,
 * least loaded (open tasks) first, then by id, as g_strdup'd strings into
 * out. 0 or -EIO (archive_covered: -ENOENT for an unknown licence). */
int archive_covered(struct archive *a, const char *licence, int64_t now_ms, double threshold,
		    bool *effective, double *pct);
int archive_pick_inspectors(struct archive *a, const char *district, int team, GPtrArray *out);

/* Schema steps, applied in order by archive_open (archive.c, migrations[]).
 * Each runs once, in a transaction, and is never edited afterwards: a
 * change is a new step. */
extern const char archive_registry_schema[];
extern const char archive_stats_schema[];
extern const char archive_tasks_schema[];
extern const char archive_platforms_schema[];
extern const char archive_recordings_schema[];
extern const char archive_live_schema[];
/* PostgreSQL (archive_pg.c): the step from schema version `from` (the
 * whole schema when 0), setting *to; NULL when there is none. */
const char *archive_pg_schema_step(int from, int *to);

#endif
