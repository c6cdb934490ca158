/*
 * outbox.c — see outbox.h.
 *
 * Cost: one transaction (one fsync with FULL) per accepted message; the
 * readings of a period are batched into one message, so a box commits a
 * few times a minute in normal operation.
 */
#include "outbox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <sqlite3.h>

#include "clock.h"
#include "log.h"

enum stmt {
	ST_PUT,
	ST_SET_LAST,
	ST_ACK,
	ST_NEXT,
	ST_GET,
	ST_DEPTH,
	ST_OLDEST,
	ST_OLDEST_OF_CLASS,
	ST_DELETE_ONE,
	ST_PAGES,
	ST_FREE_PAGES,
	ST_PAGE_SIZE,
	ST_EVENT_SET,
	ST_EVENT_DEL,
	ST_EVENT_LIST,
	ST_SEG_ADD,
	ST_SEG_BETWEEN,
	ST_SEG_DEL,
	ST_SEG_BYTES,
	ST_SEG_OLDEST,
	ST_SEG_RECORDED,
	ST_CLIP_WANT,
	ST_CLIP_EXTEND,
	ST_CLIP_BUILT,
	ST_CLIP_DEL,
	ST_CLIP_LIST,
	ST_CLIP_BYTES,
	ST_COVERAGE_GET,
	ST_COVERAGE_SET,
	ST_SEG_FIRST,
	ST_CENTRAL_ON,
	ST_CENTRAL_OFF,
	ST_CENTRAL_NEXT,
	ST_CENTRAL_SET,
	ST_COUNT
};

/* A segment is pinned by hand (pinned = 1) or while a clip not yet built
 * wants time it covers; once built, the clip's own file is the evidence. */
#define SEG_CLIP_PINNED                                                                            \
	"(s.pinned OR EXISTS (SELECT 1 FROM clips c WHERE c.state = 0 AND c.camera = s.camera"     \
	" AND c.from_ms < s.end_ms AND c.to_ms > s.start_ms))"
/* Central storage: a segment of a marked camera not announced yet (after
 * the camera's through_ms), or announced and not verified (its upload is a
 * clips row of kind segment whose file is the segment itself). */
#define SEG_CENTRAL                                                                                \
	"(EXISTS (SELECT 1 FROM central u WHERE u.camera = s.camera"                               \
	" AND s.start_ms > u.through_ms) OR EXISTS (SELECT 1 FROM clips c"                         \
	" WHERE c.kind = 'segment' AND c.path = s.path))"
/* Retention (camera.c) keeps both; the disk budget only the clips' */
#define SEG_PINNED "(" SEG_CLIP_PINNED " OR " SEG_CENTRAL ")"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_PUT] = "INSERT INTO outbox(seq, class, topic, payload, created_ms) VALUES (?1, ?2, ?3, "
		   "?4, ?5)",
	[ST_SET_LAST] = "UPDATE meta SET last_seq = ?1",
	[ST_ACK] = "DELETE FROM outbox WHERE seq <= ?1",
	[ST_NEXT] = "SELECT seq, class, topic, payload, created_ms FROM outbox"
		    " WHERE class = ?1 AND seq > ?2 ORDER BY seq LIMIT 1",
	[ST_GET] = "SELECT seq, class, topic, payload, created_ms FROM outbox WHERE seq = ?1",
	[ST_DEPTH] = "SELECT count(*) FROM outbox",
	[ST_OLDEST] = "SELECT min(created_ms) FROM outbox",
	[ST_OLDEST_OF_CLASS] = "SELECT seq FROM outbox WHERE class = ?1 ORDER BY seq LIMIT ?2",
	[ST_DELETE_ONE] = "DELETE FROM outbox WHERE seq = ?1",
	[ST_PAGES] = "PRAGMA page_count",
	[ST_FREE_PAGES] = "PRAGMA freelist_count",
	[ST_PAGE_SIZE] = "PRAGMA page_size",
	[ST_EVENT_SET] =
	    "INSERT INTO open_events(event_id, sensor, type, start_ms, peak)"
	    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(event_id) DO UPDATE SET peak = ?5",
	[ST_EVENT_DEL] = "DELETE FROM open_events WHERE event_id = ?1",
	[ST_EVENT_LIST] = "SELECT event_id, sensor, type, start_ms, peak FROM open_events",
	[ST_SEG_ADD] = "INSERT INTO segments(camera, start_ms, end_ms, path, bytes, pinned)"
		       " VALUES (?1, ?2, ?3, ?4, ?5, 0)",
	[ST_SEG_BETWEEN] = "SELECT id, camera, start_ms, end_ms, path, bytes, " SEG_PINNED
			   ", " SEG_CENTRAL " FROM segments s WHERE camera = ?1 AND end_ms > ?2"
			   " AND start_ms < ?3 ORDER BY start_ms",
	[ST_SEG_DEL] = "DELETE FROM segments WHERE id = ?1",
	[ST_SEG_BYTES] = "SELECT coalesce(sum(bytes), 0) FROM segments",
	/* routine segments first, then those still owed to the centre */
	[ST_SEG_OLDEST] = "SELECT id, camera, start_ms, end_ms, path, bytes, 0, " SEG_CENTRAL
			  " AS central FROM segments s WHERE NOT " SEG_CLIP_PINNED
			  " ORDER BY central, start_ms LIMIT ?1",
	[ST_SEG_RECORDED] = "SELECT coalesce(sum(min(end_ms, ?3) - max(start_ms, ?2)), 0)"
			    " FROM segments WHERE camera = ?1 AND end_ms > ?2 AND start_ms < ?3",
	[ST_CLIP_WANT] = "INSERT INTO clips(clip_id, camera, event_id, kind, from_ms, to_ms, state,"
			 " created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)",
	[ST_CLIP_EXTEND] = "UPDATE clips SET to_ms = ?2 WHERE clip_id = ?1 AND state = 0",
	[ST_CLIP_BUILT] = "UPDATE clips SET state = 1, path = ?2, seq = ?3, bytes = ?4,"
			  " chunk_size = ?5, chunk_count = ?6 WHERE clip_id = ?1",
	[ST_CLIP_DEL] = "DELETE FROM clips WHERE clip_id = ?1",
	[ST_CLIP_LIST] =
	    "SELECT clip_id, camera, event_id, kind, from_ms, to_ms, state, path, seq,"
	    " bytes, chunk_size, chunk_count, created_ms FROM clips ORDER BY created_ms",
	/* a segment's upload is the segment's file: counted as a segment */
	[ST_CLIP_BYTES] = "SELECT coalesce(sum(bytes), 0) FROM clips WHERE state = 1"
			  " AND kind <> 'segment'",
	[ST_COVERAGE_GET] = "SELECT hour_ms FROM coverage WHERE camera = ?1",
	[ST_COVERAGE_SET] = "INSERT INTO coverage(camera, hour_ms) VALUES (?1, ?2)"
			    " ON CONFLICT(camera) DO UPDATE SET hour_ms = ?2",
	[ST_SEG_FIRST] = "SELECT coalesce(min(start_ms), 0) FROM segments WHERE camera = ?1",
	/* from the moment a camera is marked: what it recorded before stays local */
	[ST_CENTRAL_ON] = "INSERT OR IGNORE INTO central(camera, through_ms) VALUES (?1,"
			  " (SELECT coalesce(max(start_ms), 0) FROM segments WHERE camera = ?1))",
	[ST_CENTRAL_OFF] = "DELETE FROM central WHERE camera = ?1",
	[ST_CENTRAL_NEXT] = "SELECT s.id, s.camera, s.start_ms, s.end_ms, s.path, s.bytes, 1, 1"
			    " FROM segments s JOIN central u ON u.camera = s.camera"
			    " WHERE s.camera = ?1 AND s.start_ms > u.through_ms"
			    " ORDER BY s.start_ms LIMIT 1",
	[ST_CENTRAL_SET] = "UPDATE central SET through_ms = max(through_ms, ?2) WHERE camera = ?1",
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(last_seq INTEGER NOT NULL);"
    "INSERT INTO meta(last_seq) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM meta);"
    "CREATE TABLE IF NOT EXISTS outbox(seq INTEGER PRIMARY KEY, class INTEGER NOT NULL,"
    " topic TEXT NOT NULL, payload BLOB NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS outbox_by_class ON outbox(class, seq);"
    "CREATE TABLE IF NOT EXISTS open_events(event_id TEXT PRIMARY KEY, sensor TEXT NOT NULL,"
    " type TEXT NOT NULL, start_ms INTEGER NOT NULL, peak REAL);"
    /* the video index: one row per closed segment file (edge/camera.c) */
    "CREATE TABLE IF NOT EXISTS segments(id INTEGER PRIMARY KEY, camera TEXT NOT NULL,"
    " start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, path TEXT NOT NULL,"
    " bytes INTEGER NOT NULL, pinned INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS segments_by_time ON segments(camera, start_ms);"
    /* clips and snapshots from request to verified upload (edge/evidence.c):
     * state 0 wanted, 1 built and announced (seq: its manifest) */
    "CREATE TABLE IF NOT EXISTS clips(clip_id TEXT PRIMARY KEY, camera TEXT NOT NULL,"
    " event_id TEXT, kind TEXT NOT NULL, from_ms INTEGER NOT NULL, to_ms INTEGER NOT NULL,"
    " state INTEGER NOT NULL, path TEXT, seq INTEGER, bytes INTEGER NOT NULL DEFAULT 0,"
    " chunk_size INTEGER, chunk_count INTEGER, created_ms INTEGER NOT NULL);"
    /* the last hour whose recorded minutes each camera reported */
    "CREATE TABLE IF NOT EXISTS coverage(camera TEXT PRIMARY KEY, hour_ms INTEGER NOT NULL);"
    /* central storage: per marked camera, the start of the last segment
     * announced for upload (edge/evidence.c) */
    "CREATE TABLE IF NOT EXISTS central(camera TEXT PRIMARY KEY, through_ms INTEGER NOT NULL);";

struct outbox {
	sqlite3 *db;
	char *path;
	int64_t last_seq;
	int64_t seq_at_begin; /* last_seq when the open transaction began */
	sqlite3_stmt *stmt[ST_COUNT];
};

static int fail(const struct outbox *o, const char *what)
{
	log_error("outbox '%s': cannot %s: %s", o->path, what, sqlite3_errmsg(o->db));
	return -EIO;
}

static int exec(struct outbox *o, const char *sql, const char *what)
{
	return sqlite3_exec(o->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(o, what);
}

struct outbox *outbox_open(const char *path, bool sync_full)
{
	struct outbox *o = g_new0(struct outbox, 1);
	sqlite3_stmt *st;

	o->path = g_strdup(path);
	if (sqlite3_open_v2(path, &o->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		fail(o, "open");
		goto out_close;
	}
	sqlite3_busy_timeout(o->db, 5000);
	if (exec(o, "PRAGMA journal_mode = WAL", "switch to WAL") ||
	    exec(o, sync_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
		 "set synchronous") ||
	    exec(o, schema, "create the schema"))
		goto out_close;
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(o->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &o->stmt[i], NULL) != SQLITE_OK) {
			fail(o, "prepare a statement");
			goto out_close;
		}
	}
	/* the larger of meta and the rows: meta may lag if an older build wrote rows */
	if (sqlite3_prepare_v2(o->db,
			       "SELECT max((SELECT last_seq FROM meta),"
			       " coalesce((SELECT max(seq) FROM outbox), 0))",
			       -1, &st, NULL) != SQLITE_OK) {
		fail(o, "read the last seq");
		goto out_close;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		o->last_seq = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return o;

out_close:
	outbox_close(o);
	return NULL;
}

void outbox_close(struct outbox *o)
{
	if (!o)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(o->stmt[i]);
	sqlite3_close(o->db);
	g_free(o->path);
	g_free(o);
}

int64_t outbox_last_seq(const struct outbox *o)
{
	return o->last_seq;
}

static int step_done(struct outbox *o, enum stmt s, const char *what)
{
	int rc = sqlite3_step(o->stmt[s]);

	sqlite3_reset(o->stmt[s]);
	return rc == SQLITE_DONE ? 0 : fail(o, what);
}

int outbox_begin(struct outbox *o)
{
	if (exec(o, "BEGIN IMMEDIATE", "begin"))
		return -EIO;
	o->seq_at_begin = o->last_seq;
	return 0;
}

int outbox_commit(struct outbox *o)
{
	if (exec(o, "COMMIT", "commit")) {
		outbox_rollback(o);
		return -EIO;
	}
	return 0;
}

void outbox_rollback(struct outbox *o)
{
	if (!sqlite3_get_autocommit(o->db))
		sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
	o->last_seq = o->seq_at_begin; /* what the rollback took back */
}

int outbox_put(struct outbox *o, int64_t seq, enum outbox_class cls, const char *topic,
	       const char *payload, size_t len)
{
	sqlite3_stmt *st = o->stmt[ST_PUT];
	bool own = sqlite3_get_autocommit(o->db); /* else the caller's transaction */

	if (seq != o->last_seq + 1) {
		log_error("outbox '%s': seq %lld out of order (last %lld)", o->path, (long long)seq,
			  (long long)o->last_seq);
		return -EINVAL;
	}
	if (own && outbox_begin(o))
		return -EIO;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int(st, 2, cls);
	sqlite3_bind_text(st, 3, topic, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, payload, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, clock_wall_ms());
	sqlite3_bind_int64(o->stmt[ST_SET_LAST], 1, seq);
	if (step_done(o, ST_PUT, "store a message") ||
	    step_done(o, ST_SET_LAST, "store the last seq")) {
		if (own)
			outbox_rollback(o);
		return -EIO;
	}
	o->last_seq = seq;
	return own ? outbox_commit(o) : 0;
}

int outbox_ack(struct outbox *o, int64_t acked)
{
	sqlite3_bind_int64(o->stmt[ST_ACK], 1, acked);
	if (step_done(o, ST_ACK, "delete acknowledged rows"))
		return -EIO;
	return sqlite3_changes(o->db);
}

static int read_row(struct outbox *o, enum stmt s, struct outbox_row *row)
{
	sqlite3_stmt *st = o->stmt[s];
	int rc = sqlite3_step(st);

	memset(row, 0, sizeof *row);
	if (rc == SQLITE_ROW) {
		row->seq = sqlite3_column_int64(st, 0);
		row->cls = (enum outbox_class)sqlite3_column_int(st, 1);
		row->topic = g_strdup((const char *)sqlite3_column_text(st, 2));
		row->len = (size_t)sqlite3_column_bytes(st, 3);
		row->payload = g_memdup2(sqlite3_column_blob(st, 3), row->len + 1);
		row->payload[row->len] = '\0';
		row->created_ms = sqlite3_column_int64(st, 4);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : fail(o, "read a row");
}

int outbox_next(struct outbox *o, enum outbox_class cls, int64_t after, struct outbox_row *row)
{
	sqlite3_bind_int(o->stmt[ST_NEXT], 1, cls);
	sqlite3_bind_int64(o->stmt[ST_NEXT], 2, after);
	return read_row(o, ST_NEXT, row);
}

int outbox_get(struct outbox *o, int64_t seq, struct outbox_row *row)
{
	sqlite3_bind_int64(o->stmt[ST_GET], 1, seq);
	return read_row(o, ST_GET, row);
}

void outbox_row_clear(struct outbox_row *row)
{
	g_free(row->topic);
	g_free(row->payload);
	memset(row, 0, sizeof *row);
}

static int64_t scalar(struct outbox *o, enum stmt s)
{
	int64_t v = 0;

	if (sqlite3_step(o->stmt[s]) == SQLITE_ROW)
		v = sqlite3_column_int64(o->stmt[s], 0);
	sqlite3_reset(o->stmt[s]);
	return v;
}

int outbox_evict_oldest(struct outbox *o, enum outbox_class cls, int max_rows,
			struct seq_range *out, size_t max_ranges, size_t *n_ranges)
{
	sqlite3_stmt *st = o->stmt[ST_OLDEST_OF_CLASS];
	GArray *seqs = g_array_new(FALSE, FALSE, sizeof(int64_t));
	size_t n = 0;
	int deleted = 0, rc;

	*n_ranges = 0;
	sqlite3_bind_int(st, 1, cls);
	sqlite3_bind_int(st, 2, max_rows);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);

		g_array_append_val(seqs, seq);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE || exec(o, "BEGIN IMMEDIATE", "begin an eviction")) {
		g_array_free(seqs, TRUE);
		return -EIO;
	}
	for (guint i = 0; i < seqs->len; i++) {
		int64_t seq = g_array_index(seqs, int64_t, i);

		if (n > 0 && out[n - 1].last + 1 == seq) {
			out[n - 1].last = seq;
		} else if (n < max_ranges) {
			out[n].first = out[n].last = seq;
			n++;
		} else {
			break;
		}
		sqlite3_bind_int64(o->stmt[ST_DELETE_ONE], 1, seq);
		if (step_done(o, ST_DELETE_ONE, "evict a row")) {
			sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
			g_array_free(seqs, TRUE);
			return -EIO;
		}
		deleted++;
	}
	g_array_free(seqs, TRUE);
	if (exec(o, "COMMIT", "commit an eviction")) {
		sqlite3_exec(o->db, "ROLLBACK", NULL, NULL, NULL);
		return -EIO;
	}
	*n_ranges = n;
	return deleted;
}

int64_t outbox_depth(struct outbox *o)
{
	return scalar(o, ST_DEPTH);
}

int64_t outbox_oldest_ms(struct outbox *o)
{
	return scalar(o, ST_OLDEST);
}

int outbox_event_set(struct outbox *o, const char *event_id, const char *sensor, const char *type,
		     int64_t start_ms, double peak)
{
	sqlite3_stmt *st = o->stmt[ST_EVENT_SET];

	sqlite3_bind_text(st, 1, event_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sensor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, start_ms);
	sqlite3_bind_double(st, 5, peak);
	return step_done(o, ST_EVENT_SET, "remember an open event");
}

int outbox_event_clear(struct outbox *o, const char *event_id)
{
	sqlite3_bind_text(o->stmt[ST_EVENT_DEL], 1, event_id, -1, SQLITE_STATIC);
	return step_done(o, ST_EVENT_DEL, "forget a closed event");
}

int outbox_events(struct outbox *o, outbox_event_fn fn, void *ctx)
{
	sqlite3_stmt *st = o->stmt[ST_EVENT_LIST];
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(ctx, (const char *)sqlite3_column_text(st, 0),
		   (const char *)sqlite3_column_text(st, 1),
		   (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3),
		   sqlite3_column_double(st, 4));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(o, "list open events");
}

int outbox_segment_add(struct outbox *o, const char *camera, int64_t start_ms, int64_t end_ms,
		       const char *path, int64_t bytes)
{
	sqlite3_stmt *st = o->stmt[ST_SEG_ADD];

	sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, start_ms);
	sqlite3_bind_int64(st, 3, end_ms);
	sqlite3_bind_text(st, 4, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, bytes);
	return step_done(o, ST_SEG_ADD, "index a video segment");
}

static struct outbox_segment segment_of(sqlite3_stmt *st)
{
	return (struct outbox_segment){
		.id = sqlite3_column_int64(st, 0),
		.camera = (const char *)sqlite3_column_text(st, 1),
		.start_ms = sqlite3_column_int64(st, 2),
		.end_ms = sqlite3_column_int64(st, 3),
		.path = (const char *)sqlite3_column_text(st, 4),
		.bytes = sqlite3_column_int64(st, 5),
		.pinned = sqlite3_column_int(st, 6) != 0,
		.central = sqlite3_column_int(st, 7) != 0,
	};
}

int outbox_segments_between(struct outbox *o, const char *camera, int64_t from_ms, int64_t to_ms,
			    outbox_segment_fn fn, void *ctx)
{
	sqlite3_stmt *st = o->stmt[ST_SEG_BETWEEN];
	int rc;

	sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from_ms);
	sqlite3_bind_int64(st, 3, to_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct outbox_segment seg = segment_of(st);

		fn(ctx, &seg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(o, "list video segments");
}

int outbox_segment_delete(struct outbox *o, int64_t id)
{
	sqlite3_bind_int64(o->stmt[ST_SEG_DEL], 1, id);
	return step_done(o, ST_SEG_DEL, "delete a video segment");
}

int outbox_segments_oldest_unpinned(struct outbox *o, int max, outbox_segment_fn fn, void *ctx)
{
	sqlite3_stmt *st = o->stmt[ST_SEG_OLDEST];
	int rc;

	sqlite3_bind_int(st, 1, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct outbox_segment seg = segment_of(st);

		fn(ctx, &seg);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(o, "list the oldest video segments");
}

int64_t outbox_segment_bytes(struct outbox *o)
{
	return scalar(o, ST_SEG_BYTES);
}

int64_t outbox_recorded_ms(struct outbox *o, const char *camera, int64_t from_ms, int64_t to_ms)
{
	sqlite3_stmt *st = o->stmt[ST_SEG_RECORDED];
	int64_t ms = -EIO;

	sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from_ms);
	sqlite3_bind_int64(st, 3, to_ms);
	if (sqlite3_step(st) == SQLITE_ROW)
		ms = sqlite3_column_int64(st, 0);
	else
		fail(o, "sum recorded time");
	sqlite3_reset(st);
	return ms;
}

static int64_t camera_scalar(struct outbox *o, enum stmt s, const char *camera)
{
	int64_t v = 0;
	int rc;

	sqlite3_bind_text(o->stmt[s], 1, camera, -1, SQLITE_STATIC);
	rc = sqlite3_step(o->stmt[s]);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(o->stmt[s], 0);
	else if (rc != SQLITE_DONE)
		v = fail(o, "read a camera's video state");
	sqlite3_reset(o->stmt[s]);
	return v;
}

int64_t outbox_first_segment_ms(struct outbox *o, const char *camera)
{
	return camera_scalar(o, ST_SEG_FIRST, camera);
}

int64_t outbox_coverage_reported(struct outbox *o, const char *camera)
{
	return camera_scalar(o, ST_COVERAGE_GET, camera);
}

int outbox_coverage_set(struct outbox *o, const char *camera, int64_t hour_ms)
{
	sqlite3_bind_text(o->stmt[ST_COVERAGE_SET], 1, camera, -1, SQLITE_STATIC);
	sqlite3_bind_int64(o->stmt[ST_COVERAGE_SET], 2, hour_ms);
	return step_done(o, ST_COVERAGE_SET, "remember a reported hour");
}

/* --- central storage ------------------------------------------------- */

int outbox_central_mark(struct outbox *o, const char *camera, bool on)
{
	enum stmt s = on ? ST_CENTRAL_ON : ST_CENTRAL_OFF;

	sqlite3_bind_text(o->stmt[s], 1, camera, -1, SQLITE_STATIC);
	return step_done(o, s, "mark a camera for central storage");
}

int outbox_central_next(struct outbox *o, const char *camera, outbox_segment_fn fn, void *ctx)
{
	sqlite3_stmt *st = o->stmt[ST_CENTRAL_NEXT];
	int rc;

	sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		struct outbox_segment seg = segment_of(st);

		fn(ctx, &seg);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : fail(o, "find the next segment for the centre");
}

int outbox_central_set(struct outbox *o, const char *camera, int64_t through_ms)
{
	sqlite3_bind_text(o->stmt[ST_CENTRAL_SET], 1, camera, -1, SQLITE_STATIC);
	sqlite3_bind_int64(o->stmt[ST_CENTRAL_SET], 2, through_ms);
	return step_done(o, ST_CENTRAL_SET, "remember the last segment announced");
}

/* --- clips ----------------------------------------------------------- */

int outbox_clip_want(struct outbox *o, const char *clip_id, const char *camera,
		     const char *event_id, const char *kind, int64_t from_ms, int64_t to_ms)
{
	sqlite3_stmt *st = o->stmt[ST_CLIP_WANT];

	sqlite3_bind_text(st, 1, clip_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, camera, -1, SQLITE_STATIC);
	if (event_id)
		sqlite3_bind_text(st, 3, event_id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, from_ms);
	sqlite3_bind_int64(st, 6, to_ms);
	sqlite3_bind_int64(st, 7, clock_wall_ms());
	return step_done(o, ST_CLIP_WANT, "record a clip request");
}

int outbox_clip_set_end(struct outbox *o, const char *clip_id, int64_t to_ms)
{
	int rc;

	sqlite3_bind_text(o->stmt[ST_CLIP_EXTEND], 1, clip_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(o->stmt[ST_CLIP_EXTEND], 2, to_ms);
	rc = step_done(o, ST_CLIP_EXTEND, "move the end of a clip request");
	return rc ? rc : sqlite3_changes(o->db) == 1 ? 0 : -ENOENT;
}

int outbox_clip_built(struct outbox *o, const char *clip_id, const char *path, int64_t seq,
		      int64_t bytes, int chunk_size, int chunk_count)
{
	sqlite3_stmt *st = o->stmt[ST_CLIP_BUILT];

	sqlite3_bind_text(st, 1, clip_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, seq);
	sqlite3_bind_int64(st, 4, bytes);
	sqlite3_bind_int(st, 5, chunk_size);
	sqlite3_bind_int(st, 6, chunk_count);
	return step_done(o, ST_CLIP_BUILT, "record a built clip");
}

int outbox_clip_delete(struct outbox *o, const char *clip_id)
{
	sqlite3_bind_text(o->stmt[ST_CLIP_DEL], 1, clip_id, -1, SQLITE_STATIC);
	return step_done(o, ST_CLIP_DEL, "forget a clip");
}

int outbox_clips(struct outbox *o, outbox_clip_fn fn, void *ctx)
{
	sqlite3_stmt *st = o->stmt[ST_CLIP_LIST];
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct outbox_clip c = {
			.clip_id = (const char *)sqlite3_column_text(st, 0),
			.camera = (const char *)sqlite3_column_text(st, 1),
			.event_id = (const char *)sqlite3_column_text(st, 2),
			.kind = (const char *)sqlite3_column_text(st, 3),
			.from_ms = sqlite3_column_int64(st, 4),
			.to_ms = sqlite3_column_int64(st, 5),
			.built = sqlite3_column_int(st, 6) == 1,
			.path = (const char *)sqlite3_column_text(st, 7),
			.seq = sqlite3_column_int64(st, 8),
			.bytes = sqlite3_column_int64(st, 9),
			.chunk_size = sqlite3_column_int(st, 10),
			.chunk_count = sqlite3_column_int(st, 11),
			.created_ms = sqlite3_column_int64(st, 12),
		};

		fn(ctx, &c);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(o, "list clips");
}

int64_t outbox_clip_bytes(struct outbox *o)
{
	return scalar(o, ST_CLIP_BYTES);
}

int64_t outbox_used_bytes(struct outbox *o)
{
	return (scalar(o, ST_PAGES) - scalar(o, ST_FREE_PAGES)) * scalar(o, ST_PAGE_SIZE);
}

int64_t outbox_disk_bytes(const struct outbox *o)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	int64_t total = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(suffixes); i++) {
		char *p = g_strconcat(o->path, suffixes[i], NULL);
		struct stat sb;

		if (stat(p, &sb) == 0)
			total += (int64_t)sb.st_blocks * 512;
		g_free(p);
	}
	return total;
}
