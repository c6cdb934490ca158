/*
 * archive.c — see archive.h.
 *
 * Schema versions are kept in PRAGMA user_version; archive_open applies
 * each missing step in one transaction. Statements used per message are
 * prepared once. Costs: one row per stream message plus one per sample;
 * the commit (fsync) is paid per batch, not per message.
 */
#include "archive.h"
#include "archive_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "clock.h"
#include "log.h"
#include "message.h"

enum stmt {
	ST_PUT_MESSAGE,
	ST_PUT_READING,
	ST_PUT_BOX,
	ST_BOX_STATE,
	ST_PUT_STATUS_LOG,
	ST_PUT_REJECT,
	ST_GET_PROGRESS,
	ST_SET_PROGRESS,
	ST_ACCOUNTED_ABOVE,
	ST_PUT_EVENT,
	ST_PUT_DROPPED,
	ST_PUT_EVENT_STATE,
	ST_META_GET,
	ST_META_SET,
	ST_PUT_CLIP,
	ST_CLIP_STATE,
	ST_GET_CLIP,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_PUT_MESSAGE] =
	    "INSERT OR IGNORE INTO messages(sender, seq, kind, ts, received_at, payload)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_PUT_READING] =
	    "INSERT OR IGNORE INTO readings(sender, seq, idx, sensor, kind, t, value, unit)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_PUT_BOX] = "INSERT INTO boxes(id, state, version, status_ts, last_seen, last_seq, "
		       "health, first_seen, cert_serial, cert_not_after, cameras)"
		       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?5, ?8, ?9, ?10)"
		       " ON CONFLICT(id) DO UPDATE SET state = ?2,"
		       " version = coalesce(?3, boxes.version), status_ts = ?4, last_seen = ?5,"
		       " last_seq = max(boxes.last_seq, ?6), health = coalesce(?7, boxes.health),"
		       " cert_serial = coalesce(?8, boxes.cert_serial),"
		       " cert_not_after = coalesce(?9, boxes.cert_not_after),"
		       " cameras = coalesce(?10, boxes.cameras)",
	[ST_BOX_STATE] = "SELECT state FROM boxes WHERE id = ?1",
	[ST_PUT_STATUS_LOG] =
	    "INSERT INTO status_log(box, state, ts, received_at) VALUES (?1, ?2, ?3, ?4)",
	[ST_PUT_REJECT] =
	    "INSERT INTO rejects(at, topic, sender, reason, head) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_GET_PROGRESS] = "SELECT acked FROM progress WHERE box = ?1",
	/* never backwards: collectors sharing the archive each write what
	 * they know, and the one that knows more wins */
	[ST_SET_PROGRESS] = "INSERT INTO progress(box, acked, max_seen) VALUES (?1, ?2, ?3)"
			    " ON CONFLICT(box) DO UPDATE SET acked = max(progress.acked, ?2),"
			    " max_seen = max(progress.max_seen, ?3)",
	[ST_ACCOUNTED_ABOVE] =
	    "SELECT seq, seq FROM messages WHERE sender = ?1 AND seq > ?2"
	    " UNION ALL SELECT first, last FROM dropped WHERE box = ?1 AND last > ?2",
	[ST_PUT_EVENT] = "INSERT OR IGNORE INTO events(box, seq, event_id, phase, type, severity,"
			 " start, end, source, zone, peak, unit, message)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	/* The current state of an event: a later step (higher seq) wins, so
	 * steps arriving out of order (a replay sends alerts first) cannot
	 * reopen a closed event; an earlier step only adds to the count. */
	[ST_PUT_EVENT_STATE] =
	    "INSERT INTO event_state AS e(box, event_id, type, severity, source, zone, state, start,"
	    " end, peak, unit, duration_s, message, steps, last_seq, first_seen, updated)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1, ?14, ?15, ?15)"
	    " ON CONFLICT(box, event_id) DO UPDATE SET steps = e.steps + 1, updated = ?15,"
	    " state = iif(?14 > e.last_seq, ?7, e.state), end = iif(?14 > e.last_seq, ?9, e.end),"
	    " peak = iif(?14 > e.last_seq, coalesce(?10, e.peak), e.peak),"
	    " duration_s = iif(?14 > e.last_seq, ?12, e.duration_s),"
	    " message = iif(?14 > e.last_seq, coalesce(?13, e.message), e.message),"
	    " severity = iif(?14 > e.last_seq, ?4, e.severity), last_seq = max(e.last_seq, ?14)",
	[ST_PUT_DROPPED] =
	    "INSERT OR IGNORE INTO dropped(box, first, last, event_seq) VALUES (?1, ?2, ?3, ?4)",
	[ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[ST_META_SET] = "INSERT INTO meta(key, value) VALUES (?1, ?2)"
			" ON CONFLICT(key) DO UPDATE SET value = ?2",
	[ST_PUT_CLIP] = "INSERT OR IGNORE INTO clips(box, clip_id, seq, camera, event_id, mime,"
			" start, end, bytes, sha256, chunk_size, chunk_count, chunks, state,"
			" received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
			" ?13, ?14, ?15)",
	[ST_CLIP_STATE] = "UPDATE clips SET state = ?3, path = coalesce(?4, path),"
			  " reason = ?5, verified_at = iif(?3 = 'verified', ?6, verified_at)"
			  " WHERE box = ?1 AND clip_id = ?2",
	[ST_GET_CLIP] = "SELECT box, clip_id, seq, camera, event_id, mime, start, end, bytes,"
			" sha256, chunk_size, chunk_count, chunks, state, path FROM clips"
			" WHERE box = ?1 AND clip_id = ?2",
};

/* Each entry moves the schema from version i to i + 1. */
static const char *const migrations[] = {
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"CREATE TABLE messages(sender TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,"
	" ts TEXT NOT NULL, received_at TEXT NOT NULL, payload TEXT NOT NULL,"
	" PRIMARY KEY(sender, seq)) WITHOUT ROWID;"
	"CREATE TABLE readings(sender TEXT NOT NULL, seq INTEGER NOT NULL, idx INTEGER NOT NULL,"
	" sensor TEXT NOT NULL, kind TEXT NOT NULL, t TEXT NOT NULL, value REAL NOT NULL,"
	" unit TEXT NOT NULL, PRIMARY KEY(sender, seq, idx)) WITHOUT ROWID;"
	"CREATE INDEX messages_by_arrival ON messages(received_at);"
	"CREATE INDEX readings_by_sensor ON readings(sender, sensor, t);"
	"CREATE INDEX readings_by_time ON readings(t);"
	"CREATE TABLE boxes(id TEXT PRIMARY KEY, state TEXT NOT NULL, version TEXT,"
	" status_ts TEXT, last_seen TEXT NOT NULL, first_seen TEXT NOT NULL,"
	" last_seq INTEGER NOT NULL DEFAULT 0, health TEXT);"
	"CREATE TABLE status_log(box TEXT NOT NULL, state TEXT NOT NULL, ts TEXT NOT NULL,"
	" received_at TEXT NOT NULL);"
	"CREATE INDEX status_log_by_box ON status_log(box, ts);"
	"CREATE TABLE rejects(id INTEGER PRIMARY KEY, at TEXT NOT NULL, topic TEXT NOT NULL,"
	" sender TEXT, reason TEXT NOT NULL, head BLOB);"
	"CREATE TABLE progress(box TEXT PRIMARY KEY, acked INTEGER NOT NULL,"
	" max_seen INTEGER NOT NULL);"
	"CREATE TABLE events(box TEXT NOT NULL, seq INTEGER NOT NULL, event_id TEXT NOT NULL,"
	" phase TEXT NOT NULL, type TEXT NOT NULL, severity TEXT NOT NULL, start TEXT NOT NULL,"
	" end TEXT, source TEXT, zone TEXT, peak REAL, unit TEXT, message TEXT,"
	" PRIMARY KEY(box, seq)) WITHOUT ROWID;"
	"CREATE INDEX events_by_id ON events(box, event_id);"
	"CREATE INDEX events_by_start ON events(start);"
	"CREATE TABLE event_state(box TEXT NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL,"
	" severity TEXT NOT NULL, source TEXT, zone TEXT, state TEXT NOT NULL, start TEXT NOT NULL,"
	" end TEXT, peak REAL, unit TEXT, duration_s REAL, message TEXT, steps INTEGER NOT NULL,"
	" last_seq INTEGER NOT NULL, first_seen TEXT NOT NULL, updated TEXT NOT NULL,"
	" PRIMARY KEY(box, event_id)) WITHOUT ROWID;"
	"CREATE INDEX event_state_by_start ON event_state(start);"
	"CREATE TABLE dropped(box TEXT NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL,"
	" event_seq INTEGER NOT NULL, PRIMARY KEY(box, first)) WITHOUT ROWID;",
	/* 2: clips and snapshots (cloud/collector/clip_intake.c); chunks are the
	 * chunk hashes, space-separated, so an assembly can restart from here */
	"CREATE TABLE clips(box TEXT NOT NULL, clip_id TEXT NOT NULL, seq INTEGER NOT NULL,"
	" camera TEXT NOT NULL, event_id TEXT, mime TEXT NOT NULL, start TEXT NOT NULL,"
	" end TEXT NOT NULL, bytes INTEGER NOT NULL, sha256 TEXT NOT NULL,"
	" chunk_size INTEGER NOT NULL, chunk_count INTEGER NOT NULL, chunks TEXT NOT NULL,"
	" state TEXT NOT NULL, reason TEXT, path TEXT, received_at TEXT NOT NULL,"
	" verified_at TEXT, PRIMARY KEY(box, clip_id)) WITHOUT ROWID;"
	"CREATE INDEX clips_by_event ON clips(box, event_id);"
	"CREATE INDEX clips_by_start ON clips(start);",
	/* 3: the registry (archive_registry.c) */
	archive_registry_schema,
	/* 4: alert handling and the statistics' rollups (archive_stats.c) */
	archive_stats_schema,
	/* 5: tasks, inspections, penalties, grades, complaints (archive_tasks.c) */
	archive_tasks_schema,
	/* 6: the certificate each box connects with, from its status */
	"ALTER TABLE boxes ADD COLUMN cert_serial TEXT;"
	"ALTER TABLE boxes ADD COLUMN cert_not_after TEXT;",
	/* 7: delivery platforms' shops and findings, establishments' scope
	 * (archive_platforms.c) */
	archive_platforms_schema,
	/* 8: central continuous storage (archive_recordings.c) */
	archive_recordings_schema,
	/* 9: live view's audit trail, each box's camera states (archive_live.c) */
	archive_live_schema,
};

G_STATIC_ASSERT(ST_COUNT <= ARCHIVE_STMT_MAX);

int archive_fail(struct archive *a, const char *what)
{
	log_error("archive '%s': cannot %s: %s", a->path, what, db_errmsg(a->db));
	return -EIO;
}

int64_t archive_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t archive_local_day(int64_t ms)
{
	return archive_floor_div(ms + LOCAL_OFFSET_MS, DAY_MS);
}

void archive_day_text(int64_t day, char *out)
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, DATE_LEN, "%Y-%m-%d", &tm);
}

int64_t archive_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int archive_exec(struct archive *a, const char *sql, const char *what)
{
	return db_exec(a->db, sql) == 0 ? 0 : archive_fail(a, what);
}

/* One migration per transaction, the version read again under the write
 * lock each time: a bkctl and a collector opening a new archive together
 * must not both run the same step ("duplicate column name"). */
static int migrate(struct archive *a)
{
	int target = (int)(sizeof migrations / sizeof migrations[0]);
	bool pg = db_engine(a->db) == DB_POSTGRES;

	for (;;) {
		int version = 0, next, rc = archive_begin(a);
		const char *step;

		if (!rc && db_schema_version(a->db, &version))
			rc = archive_fail(a, "read the schema version");
		if (!rc && version > target) {
			log_error("archive '%s': schema version %d is newer than this build's %d",
				  a->path, version, target);
			rc = -EPROTO;
		}
		if (!rc && version == target)
			return archive_commit(a);
		/* a new PostgreSQL archive starts from the whole schema at once */
		step = pg ? archive_pg_schema_step(version, &next) : migrations[version];
		if (!pg)
			next = version + 1;
		if (!rc && !step) {
			log_error("archive '%s': no PostgreSQL step from schema version %d", a->path,
				  version);
			rc = -EPROTO;
		}
		if (!rc)
			rc = archive_exec(a, step, "migrate the schema");
		if (!rc && db_set_schema_version(a->db, next))
			rc = archive_fail(a, "set the schema version");
		if (!rc)
			rc = archive_commit(a);
		if (rc) {
			archive_rollback(a);
			return rc;
		}
	}
}

struct archive *archive_open(const char *path, bool read_only)
{
	struct archive *a = calloc(1, sizeof *a);
	char *why = NULL;

	a->path = strdup(path);
	a->db = db_open(path, read_only, &why);
	if (!a->db) {
		log_error("archive '%s': cannot open: %s", path, why);
		g_free(why);
		goto out_close;
	}
	if (!read_only && migrate(a))
		goto out_close;
	for (int i = 0; i < ST_COUNT; i++) {
		if (read_only && i != ST_META_GET && i != ST_GET_PROGRESS)
			continue;
		if (!(a->stmt[i] = db_prepare(a->db, stmt_sql[i], true))) {
			archive_fail(a, "prepare a statement (is it an archive?)");
			goto out_close;
		}
	}
	return a;

out_close:
	archive_close(a);
	return NULL;
}

void archive_close(struct archive *a)
{
	if (!a)
		return;
	for (int i = 0; i < ST_COUNT && a->db; i++)
		db_finalize(a->stmt[i]);
	db_close(a->db);
	free(a->path);
	free(a);
}

int archive_begin(struct archive *a)
{
	return db_begin_write(a->db) ? archive_fail(a, "begin a transaction") : 0;
}

bool archive_good_text(const char *text, size_t max, bool optional)
{
	if (!text)
		return optional;
	if (!*text || strlen(text) > max || !g_utf8_validate(text, -1, NULL))
		return false;
	for (const char *p = text; *p; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);

		if ((ch < 0x20 && ch != '\n' && ch != '\t') || (ch >= 0x7F && ch < 0xA0))
			return false;
	}
	return true;
}

int archive_savepoint(struct archive *a, const char *name)
{
	char *sql = g_strdup_printf("SAVEPOINT %s", name);
	bool top = !db_in_transaction(a->db);
	int rc = top ? archive_begin(a) : 0;

	if (!rc)
		rc = archive_exec(a, sql, "begin a savepoint");
	if (!rc && top)
		g_strlcpy(a->top_savepoint, name, sizeof a->top_savepoint);
	else if (rc && top)
		archive_rollback(a);
	g_free(sql);
	return rc;
}

int archive_savepoint_end(struct archive *a, const char *name, int rc)
{
	bool top = strcmp(a->top_savepoint, name) == 0;
	char *sql;

	if (top)
		a->top_savepoint[0] = '\0';
	if (rc >= 0) {
		sql = g_strdup_printf("RELEASE %s", name);
		if (archive_exec(a, sql, "release a savepoint") || (top && archive_commit(a)))
			rc = -EIO;
		g_free(sql);
		if (rc >= 0)
			return rc;
	}
	sql = g_strdup_printf("ROLLBACK TO %s; RELEASE %s", name, name);
	db_exec(a->db, sql);
	g_free(sql);
	if (top)
		archive_rollback(a);
	return rc;
}

int archive_commit(struct archive *a)
{
	return archive_exec(a, "COMMIT", "commit");
}

void archive_rollback(struct archive *a)
{
	if (db_in_transaction(a->db))
		db_exec(a->db, "ROLLBACK");
}

/* Run a prepared write statement whose parameters are bound; reset it. */
static int step_done(struct archive *a, enum stmt s, const char *what)
{
	int rc = db_step(a->stmt[s]);

	db_reset(a->stmt[s]);
	db_clear_bindings(a->stmt[s]);
	return rc == DB_DONE ? 0 : archive_fail(a, what);
}

int archive_changes(struct archive *a, int64_t *n)
{
	*n = db_changes(a->db);
	return 0;
}

void archive_bind_text(struct db_stmt *st, int i, const char *text)
{
	if (text)
		db_bind_text(st, i, text);
	else
		db_bind_null(st, i);
}

static void now_ts(char *buf)
{
	clock_format_ms(clock_wall_ms(), buf);
}

int archive_put_message(struct archive *a, const char *sender, int64_t seq, const char *kind,
			const char *ts, const char *payload, size_t len)
{
	struct db_stmt *st = a->stmt[ST_PUT_MESSAGE];
	char now[CLOCK_TS_LEN];

	now_ts(now);
	archive_bind_text(st, 1, sender);
	db_bind_int64(st, 2, seq);
	archive_bind_text(st, 3, kind);
	archive_bind_text(st, 4, ts);
	archive_bind_text(st, 5, now);
	db_bind_text_len(st, 6, payload, len);
	if (step_done(a, ST_PUT_MESSAGE, "store a message"))
		return -EIO;
	return db_changes(a->db) > 0;
}

int archive_put_reading(struct archive *a, const char *sender, int64_t seq, int idx,
			const char *sensor, const char *kind, const char *t, double value,
			const char *unit)
{
	struct db_stmt *st = a->stmt[ST_PUT_READING];

	archive_bind_text(st, 1, sender);
	db_bind_int64(st, 2, seq);
	db_bind_int64(st, 3, idx);
	archive_bind_text(st, 4, sensor);
	archive_bind_text(st, 5, kind);
	archive_bind_text(st, 6, t);
	db_bind_double(st, 7, value);
	archive_bind_text(st, 8, unit);
	return step_done(a, ST_PUT_READING, "store a reading")
		   ? -EIO
		   : archive_rollup_reading(a, sender, kind, sensor, t, value);
}

/* Rows per INSERT on PostgreSQL: 8 parameters each, well under its limit. */
#define READINGS_PER_INSERT 100

int archive_put_readings(struct archive *a, const char *sender, int64_t seq,
			 const struct archive_reading *r, size_t n)
{
	struct archive_value p[READINGS_PER_INSERT * 8];
	GString *sql;
	int rc = 0;

	if (db_engine(a->db) != DB_POSTGRES) {
		for (size_t i = 0; i < n && !rc; i++)
			rc = archive_put_reading(a, sender, seq, (int)i, r[i].sensor, r[i].kind,
						 r[i].t, r[i].value, r[i].unit);
		return rc;
	}
	sql = g_string_new("");
	for (size_t first = 0; first < n && !rc; first += READINGS_PER_INSERT) {
		size_t m = MIN(n - first, READINGS_PER_INSERT);

		g_string_assign(sql, "INSERT OR IGNORE INTO readings(sender, seq, idx, sensor, kind,"
				     " t, value, unit) VALUES ");
		for (size_t i = 0; i < m; i++) {
			const struct archive_reading *x = &r[first + i];
			int k = (int)i * 8;

			g_string_append_printf(sql, "%s(?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d)",
					       i ? ", " : "", k + 1, k + 2, k + 3, k + 4, k + 5,
					       k + 6, k + 7, k + 8);
			p[k] = text_value(sender);
			p[k + 1] = int_value(seq);
			p[k + 2] = int_value((int64_t)(first + i));
			p[k + 3] = text_value(x->sensor);
			p[k + 4] = text_value(x->kind);
			p[k + 5] = text_value(x->t);
			p[k + 6] = real_value(x->value);
			p[k + 7] = text_value(x->unit);
		}
		rc = archive_query(a, sql->str, p, (int)m * 8, NULL, NULL);
		for (size_t i = 0; i < m && !rc; i++)
			rc = archive_rollup_reading(a, sender, r[first + i].kind, r[first + i].sensor,
						    r[first + i].t, r[first + i].value);
	}
	g_string_free(sql, TRUE);
	return rc;
}

int archive_put_status(struct archive *a, const struct archive_box_status *s)
{
	struct db_stmt *st = a->stmt[ST_BOX_STATE];
	const char *state = s->online ? "online" : "offline";
	const char *box = s->box, *ts = s->ts;
	char now[CLOCK_TS_LEN];
	bool changed = true;

	archive_bind_text(st, 1, box);
	if (db_step(st) == DB_ROW)
		changed = strcmp(db_column_text(st, 0), state) != 0;
	db_reset(st);
	now_ts(now);
	st = a->stmt[ST_PUT_BOX];
	archive_bind_text(st, 1, box);
	archive_bind_text(st, 2, state);
	archive_bind_text(st, 3, s->version);
	archive_bind_text(st, 4, ts);
	archive_bind_text(st, 5, now);
	db_bind_int64(st, 6, s->last_seq);
	archive_bind_text(st, 7, s->health_json);
	archive_bind_text(st, 8, s->cert_serial);
	archive_bind_text(st, 9, s->cert_not_after);
	archive_bind_text(st, 10, s->cameras_json);
	if (step_done(a, ST_PUT_BOX, "store a box's status"))
		return -EIO;
	if (!changed)
		return 0;
	st = a->stmt[ST_PUT_STATUS_LOG];
	archive_bind_text(st, 1, box);
	archive_bind_text(st, 2, state);
	archive_bind_text(st, 3, ts);
	archive_bind_text(st, 4, now);
	return step_done(a, ST_PUT_STATUS_LOG, "log a change of status");
}

int archive_put_reject(struct archive *a, const char *topic, const char *sender, const char *reason,
		       const void *head, size_t head_len)
{
	struct db_stmt *st = a->stmt[ST_PUT_REJECT];
	char now[CLOCK_TS_LEN];

	now_ts(now);
	archive_bind_text(st, 1, now);
	archive_bind_text(st, 2, topic);
	archive_bind_text(st, 3, sender);
	archive_bind_text(st, 4, reason);
	db_bind_blob(st, 5, head, (int)head_len);
	return step_done(a, ST_PUT_REJECT, "store a reject");
}

int archive_get_progress(struct archive *a, const char *box, int64_t *acked)
{
	struct db_stmt *st = a->stmt[ST_GET_PROGRESS];
	int rc;

	archive_bind_text(st, 1, box);
	rc = db_step(st);
	*acked = rc == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? 0 : archive_fail(a, "read progress");
}

int archive_set_progress(struct archive *a, const char *box, int64_t acked, int64_t max_seen)
{
	struct db_stmt *st = a->stmt[ST_SET_PROGRESS];

	archive_bind_text(st, 1, box);
	db_bind_int64(st, 2, acked);
	db_bind_int64(st, 3, max_seen);
	return step_done(a, ST_SET_PROGRESS, "store progress");
}

int archive_accounted_above(struct archive *a, const char *box, int64_t after,
			    void (*fn)(void *ctx, int64_t first, int64_t last), void *ctx)
{
	struct db_stmt *st = a->stmt[ST_ACCOUNTED_ABOVE];
	int rc;

	archive_bind_text(st, 1, box);
	db_bind_int64(st, 2, after);
	while ((rc = db_step(st)) == DB_ROW)
		fn(ctx, db_column_int64(st, 0), db_column_int64(st, 1));
	db_reset(st);
	return rc == DB_DONE ? 0 : archive_fail(a, "list archived seqs");
}

static int put_event_state(struct archive *a, const struct message *m)
{
	struct db_stmt *st = a->stmt[ST_PUT_EVENT_STATE];
	const char *state = strcmp(m->u.event.phase, "close") == 0 ? "closed" : "open";
	char now[CLOCK_TS_LEN];
	int64_t start_ms, end_ms;

	now_ts(now);
	archive_bind_text(st, 1, m->env.id);
	archive_bind_text(st, 2, m->u.event.event_id);
	archive_bind_text(st, 3, m->u.event.type);
	archive_bind_text(st, 4, m->u.event.severity);
	archive_bind_text(st, 5, m->u.event.source);
	archive_bind_text(st, 6, m->u.event.zone);
	archive_bind_text(st, 7, state);
	archive_bind_text(st, 8, m->u.event.start);
	archive_bind_text(st, 9, m->u.event.end);
	if (m->u.event.has_peak)
		db_bind_double(st, 10, m->u.event.peak);
	archive_bind_text(st, 11, m->u.event.unit);
	if (m->u.event.end && clock_parse_ts(m->u.event.start, &start_ms) &&
	    clock_parse_ts(m->u.event.end, &end_ms))
		db_bind_double(st, 12, (double)(end_ms - start_ms) / 1000.0);
	archive_bind_text(st, 13, m->u.event.message);
	db_bind_int64(st, 14, m->env.seq);
	archive_bind_text(st, 15, now);
	return step_done(a, ST_PUT_EVENT_STATE, "store an event's state");
}

int archive_put_event(struct archive *a, const struct message *m)
{
	struct db_stmt *st = a->stmt[ST_PUT_EVENT];

	archive_bind_text(st, 1, m->env.id);
	db_bind_int64(st, 2, m->env.seq);
	archive_bind_text(st, 3, m->u.event.event_id);
	archive_bind_text(st, 4, m->u.event.phase);
	archive_bind_text(st, 5, m->u.event.type);
	archive_bind_text(st, 6, m->u.event.severity);
	archive_bind_text(st, 7, m->u.event.start);
	archive_bind_text(st, 8, m->u.event.end);
	archive_bind_text(st, 9, m->u.event.source);
	archive_bind_text(st, 10, m->u.event.zone);
	if (m->u.event.has_peak)
		db_bind_double(st, 11, m->u.event.peak);
	archive_bind_text(st, 12, m->u.event.unit);
	archive_bind_text(st, 13, m->u.event.message);
	if (step_done(a, ST_PUT_EVENT, "store an event"))
		return -EIO;
	if (db_changes(a->db) == 0)
		return 0; /* the same step again */
	return put_event_state(a, m);
}

int archive_put_dropped(struct archive *a, const char *box, int64_t first, int64_t last,
			int64_t event_seq)
{
	struct db_stmt *st = a->stmt[ST_PUT_DROPPED];

	archive_bind_text(st, 1, box);
	db_bind_int64(st, 2, first);
	db_bind_int64(st, 3, last);
	db_bind_int64(st, 4, event_seq);
	return step_done(a, ST_PUT_DROPPED, "store a dropped range");
}

int archive_meta_get(struct archive *a, const char *key, int64_t *value)
{
	struct db_stmt *st = a->stmt[ST_META_GET];
	int rc;

	archive_bind_text(st, 1, key);
	rc = db_step(st);
	*value = rc == DB_ROW ? db_column_int64(st, 0) : 0;
	db_reset(st);
	return rc == DB_ROW || rc == DB_DONE ? 0 : archive_fail(a, "read meta");
}

int archive_meta_set(struct archive *a, const char *key, int64_t value)
{
	struct db_stmt *st = a->stmt[ST_META_SET];

	archive_bind_text(st, 1, key);
	db_bind_int64(st, 2, value);
	return step_done(a, ST_META_SET, "store meta");
}

/* --- clips ------------------------------------------------------------ */

int archive_put_clip(struct archive *a, const struct archive_clip *c)
{
	struct db_stmt *st = a->stmt[ST_PUT_CLIP];
	char now[CLOCK_TS_LEN];
	int rc;

	now_ts(now);
	archive_bind_text(st, 1, c->box);
	archive_bind_text(st, 2, c->clip_id);
	db_bind_int64(st, 3, c->seq);
	archive_bind_text(st, 4, c->camera);
	archive_bind_text(st, 5, c->event_id);
	archive_bind_text(st, 6, c->mime);
	archive_bind_text(st, 7, c->start);
	archive_bind_text(st, 8, c->end);
	db_bind_int64(st, 9, c->bytes);
	archive_bind_text(st, 10, c->sha256);
	db_bind_int64(st, 11, c->chunk_size);
	db_bind_int64(st, 12, c->chunk_count);
	archive_bind_text(st, 13, c->chunks);
	archive_bind_text(st, 14, c->state);
	archive_bind_text(st, 15, now);
	rc = step_done(a, ST_PUT_CLIP, "store a clip");
	return rc ? rc : db_changes(a->db);
}

int archive_set_clip_state(struct archive *a, const char *box, const char *clip_id,
			   const char *state, const char *path, const char *reason)
{
	struct db_stmt *st = a->stmt[ST_CLIP_STATE];
	char now[CLOCK_TS_LEN];

	now_ts(now);
	archive_bind_text(st, 1, box);
	archive_bind_text(st, 2, clip_id);
	archive_bind_text(st, 3, state);
	archive_bind_text(st, 4, path);
	archive_bind_text(st, 5, reason);
	archive_bind_text(st, 6, now);
	return step_done(a, ST_CLIP_STATE, "store a clip's state");
}

static const char *column_text(struct db_stmt *st, int i)
{
	return db_column_text(st, i);
}

int archive_get_clip(struct archive *a, const char *box, const char *clip_id, archive_clip_fn fn,
		     void *ctx)
{
	struct db_stmt *st = a->stmt[ST_GET_CLIP];
	int rc;

	archive_bind_text(st, 1, box);
	archive_bind_text(st, 2, clip_id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		struct archive_clip c = {
			.box = column_text(st, 0),
			.clip_id = column_text(st, 1),
			.seq = db_column_int64(st, 2),
			.camera = column_text(st, 3),
			.event_id = column_text(st, 4),
			.mime = column_text(st, 5),
			.start = column_text(st, 6),
			.end = column_text(st, 7),
			.bytes = db_column_int64(st, 8),
			.sha256 = column_text(st, 9),
			.chunk_size = (int)db_column_int64(st, 10),
			.chunk_count = (int)db_column_int64(st, 11),
			.chunks = column_text(st, 12),
			.state = column_text(st, 13),
			.path = column_text(st, 14),
		};

		fn(ctx, &c);
	}
	db_reset(st);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? -ENOENT : archive_fail(a, "read a clip");
}

/* --- reports ----------------------------------------------------------- */

static const char *const report_sql[] = {
	[REPORT_BOXES] =
	    "SELECT b.id AS box, b.state, b.version, b.last_seen, b.last_seq,"
	    " coalesce(p.acked, 0) AS acked,"
	    " (SELECT count(*) FROM messages m WHERE m.sender = b.id) AS archived,"
	    " CAST(json_extract(b.health, '$.outbox_depth') AS BIGINT) AS outbox_depth,"
	    " b.cert_serial, b.cert_not_after,"
	    " CAST(floor(julianday(b.cert_not_after) - julianday('now')) AS INTEGER)"
	    " AS cert_days_left"
	    " FROM boxes b LEFT JOIN progress p ON p.box = b.id"
	    " WHERE ?1 IS NULL OR b.id = ?1 ORDER BY b.id",
	[REPORT_READINGS] = "SELECT sender AS box, seq, sensor, kind, t, value, unit FROM readings"
			    " WHERE (?1 IS NULL OR sender = ?1) AND (?2 IS NULL OR sensor = ?2)"
			    " AND (?3 IS NULL OR t >= ?3) ORDER BY t DESC, sender, sensor LIMIT ?4",
	[REPORT_REJECTS] =
	    "SELECT at, topic, sender, reason, CAST(head AS TEXT) AS head FROM rejects"
	    " WHERE ?1 IS NULL OR sender = ?1 ORDER BY id DESC LIMIT ?4",
	[REPORT_EVENTS] =
	    "SELECT box, event_id, type, severity, state, source, zone, start, end, duration_s,"
	    " peak, unit, steps, message FROM event_state"
	    " WHERE (?1 IS NULL OR box = ?1) AND (?2 IS NULL OR source = ?2)"
	    " AND (?3 IS NULL OR start >= ?3) ORDER BY start DESC, box LIMIT ?4",
	[REPORT_EVENT_STEPS] =
	    "SELECT box, seq, event_id, phase, type, severity, start, end, source, peak, unit,"
	    " message FROM events WHERE (?1 IS NULL OR box = ?1) AND (?2 IS NULL OR source = ?2)"
	    " AND (?3 IS NULL OR start >= ?3) ORDER BY box, seq DESC LIMIT ?4",
	/* Seqs neither archived nor reported dropped, per box: the holes in the
	 * union of archived seqs and dropped ranges, up to the last seq the box
	 * said (in its status) it has issued. */
	[REPORT_GAPS] =
	    "WITH r(box, first, last) AS ("
	    "  SELECT sender, seq, seq FROM messages WHERE ?1 IS NULL OR sender = ?1"
	    "  UNION ALL SELECT box, first, last FROM dropped WHERE ?1 IS NULL OR box = ?1"
	    "  UNION ALL SELECT id, 0, 0 FROM boxes WHERE ?1 IS NULL OR id = ?1),"
	    " o AS (SELECT box, first, max(last) OVER (PARTITION BY box ORDER BY first, last"
	    "  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before FROM r),"
	    " top AS (SELECT box, max(last) AS last FROM r GROUP BY box)"
	    " SELECT * FROM ("
	    "  SELECT box, before + 1 AS first, first - 1 AS last, first - before - 1 AS missing"
	    "  FROM o WHERE first > before + 1"
	    "  UNION ALL SELECT b.id, t.last + 1, b.last_seq, b.last_seq - t.last FROM boxes b"
	    "  JOIN top t ON t.box = b.id WHERE b.last_seq > t.last"
	    " ) AS g ORDER BY box, first LIMIT ?4",
	[REPORT_CLIPS] = "SELECT box, clip_id, camera, event_id, mime, start, end, bytes, state,"
			 " sha256, path, reason, received_at, verified_at FROM clips"
			 " WHERE (?1 IS NULL OR box = ?1) AND (?2 IS NULL OR camera = ?2)"
			 " AND (?3 IS NULL OR start >= ?3) AND clip_id NOT LIKE 'segment:%'"
			 " ORDER BY start DESC, box LIMIT ?4",
	[REPORT_LIVE_VIEWS] =
	    "SELECT id, viewer, box, camera, started, ended,"
	    " CAST(round((julianday(coalesce(ended, started)) - julianday(started)) * 86400)"
	    " AS INTEGER) AS seconds, bytes, why FROM live_views"
	    " WHERE (?1 IS NULL OR box = ?1) AND (?2 IS NULL OR camera = ?2)"
	    " AND (?3 IS NULL OR started >= ?3) ORDER BY id DESC LIMIT ?4",
	[REPORT_ACTIVITY] =
	    "SELECT * FROM ("
	    " SELECT received_at AS at, sender AS source, kind || ' #' || seq AS what,"
	    "  (SELECT count(*) FROM readings r WHERE r.sender = m.sender AND r.seq = m.seq)"
	    "   || ' samples, last: ' ||"
	    "  (SELECT group_concat(sensor || ' ' || printf('%.1f', value) || ' ' || unit, ', ')"
	    "   FROM readings r WHERE r.sender = m.sender AND r.seq = m.seq AND r.idx ="
	    "    (SELECT max(idx) FROM readings l WHERE l.sender = r.sender AND l.seq = r.seq"
	    "     AND l.sensor = r.sensor)) AS detail"
	    "  FROM messages m WHERE kind = 'reading' AND received_at > ?3"
	    "  AND (?1 IS NULL OR sender = ?1)"
	    " UNION ALL"
	    " SELECT received_at, box, 'status', state FROM status_log"
	    "  WHERE received_at > ?3 AND (?1 IS NULL OR box = ?1)"
	    " UNION ALL"
	    " SELECT received_at, box, 'event ' || phase, type || ' ' || severity"
	    "  || coalesce(' ' || source, '') || coalesce(': ' || message, '')"
	    "  FROM events e JOIN messages m ON m.sender = e.box AND m.seq = e.seq"
	    "  WHERE received_at > ?3 AND (?1 IS NULL OR box = ?1)"
	    " UNION ALL"
	    " SELECT coalesce(verified_at, received_at), box, 'clip ' || state,"
	    "  camera || ' ' || start || ' ' || bytes || ' bytes' || coalesce(': ' || reason, '')"
	    "  FROM clips WHERE coalesce(verified_at, received_at) > ?3 AND (?1 IS NULL OR box = "
	    "?1) AND clip_id NOT LIKE 'segment:%'"
	    " UNION ALL"
	    " SELECT at, coalesce(sender, '-'), 'reject', reason || ' on ' || topic FROM rejects"
	    "  WHERE at > ?3 AND (?1 IS NULL OR sender = ?1)"
	    ") AS activity ORDER BY at LIMIT ?4",
};

const struct archive_value *archive_column(int ncols, const char *const *names,
					   const struct archive_value *values, const char *name)
{
	for (int i = 0; i < ncols; i++) {
		if (!strcmp(names[i], name))
			return &values[i];
	}
	return NULL;
}

const char *archive_column_text(int ncols, const char *const *names,
				const struct archive_value *values, const char *name)
{
	const struct archive_value *v = archive_column(ncols, names, values, name);

	return v && v->type == VALUE_TEXT ? v->text : NULL;
}

int archive_query(struct archive *a, const char *sql, const struct archive_value *params,
		  int nparams, archive_row_fn fn, void *ctx)
{
	struct db_stmt *st;
	const char *names[32];
	struct archive_value values[32];
	int ncols = 0, rc;

	if (!(st = db_prepare(a->db, sql, false)))
		return archive_fail(a, "prepare a query");
	for (int i = 0; i < nparams; i++) {
		switch (params[i].type) {
		case VALUE_NULL:
			db_bind_null(st, i + 1);
			break;
		case VALUE_INT:
			db_bind_int64(st, i + 1, params[i].i);
			break;
		case VALUE_REAL:
			db_bind_double(st, i + 1, params[i].r);
			break;
		case VALUE_TEXT:
			archive_bind_text(st, i + 1, params[i].text);
			break;
		}
	}
	/* the columns are known once the statement ran (PostgreSQL) */
	for (bool first = true; (rc = db_step(st)) == DB_ROW; first = false) {
		if (first) {
			ncols = MIN(db_column_count(st), 32);
			for (int i = 0; i < ncols; i++)
				names[i] = db_column_name(st, i);
		}
		for (int i = 0; i < ncols; i++) {
			struct archive_value *v = &values[i];

			memset(v, 0, sizeof *v);
			switch (db_column_type(st, i)) {
			case DB_INT:
				v->type = VALUE_INT;
				v->i = db_column_int64(st, i);
				break;
			case DB_REAL:
				v->type = VALUE_REAL;
				v->r = db_column_double(st, i);
				break;
			case DB_NULL:
				v->type = VALUE_NULL;
				break;
			default:
				v->type = VALUE_TEXT;
				v->text = db_column_text(st, i);
				break;
			}
		}
		if (fn)
			fn(ctx, ncols, names, values);
	}
	db_finalize(st);
	return rc == DB_DONE ? 0 : archive_fail(a, "run a query");
}

int archive_report(struct archive *a, enum archive_report report, const struct archive_filter *f,
		   archive_row_fn fn, void *ctx)
{
	/* Reports share one parameter scheme: ?1 box, ?2 sensor, ?3 since,
	 * ?4 limit. Binding a number a report does not use is harmless. */
	const struct archive_value params[] = {
		{ .type = f->box ? VALUE_TEXT : VALUE_NULL, .text = f->box },
		{ .type = f->sensor ? VALUE_TEXT : VALUE_NULL, .text = f->sensor },
		{ .type = f->since ? VALUE_TEXT : VALUE_NULL, .text = f->since },
		{ .type = VALUE_INT, .i = f->limit > 0 ? f->limit : 100 },
	};

	return archive_query(a, report_sql[report], params, G_N_ELEMENTS(params), fn, ctx);
}
