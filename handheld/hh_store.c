/*
 * hh_store.c — see hh_store.h. WAL, synchronous FULL: a report the
 * inspector was told is saved survives a flat battery. Tiny volumes (a few
 * dozen rows a day), so no statement cache: each call prepares its own.
 */
#include "hh_store.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

struct hh_store {
	sqlite3 *db;
	char *path;
};

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta VALUES ('last_seq', 0);"
    "CREATE TABLE IF NOT EXISTS tasks (task_id TEXT PRIMARY KEY, state TEXT NOT NULL,"
    " json TEXT, received_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS records (task_id TEXT PRIMARY KEY, json TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS penalties (id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " task_id TEXT NOT NULL, json TEXT NOT NULL, number TEXT, created_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, topic TEXT NOT NULL,"
    " payload TEXT NOT NULL, created_ms INTEGER NOT NULL);";

static int fail(struct hh_store *s, const char *what)
{
	log_error("cannot %s in '%s': %s", what, s->path, sqlite3_errmsg(s->db));
	return -EIO;
}

struct hh_store *hh_store_open(const char *path)
{
	struct hh_store *s = g_new0(struct hh_store, 1);
	char *err = NULL;
	int fd;

	s->path = g_strdup(path);
	/* created 0600 before SQLite opens it: it holds personal data */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error("cannot open store '%s': %s", path, strerror(errno));
		goto out_free;
	}
	close(fd);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		log_error("cannot open store '%s': %s", path,
			  s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto out_close;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (sqlite3_exec(s->db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 "PRAGMA foreign_keys=ON;",
			 NULL, NULL, &err) != SQLITE_OK ||
	    sqlite3_exec(s->db, SCHEMA, NULL, NULL, &err) != SQLITE_OK) {
		log_error("cannot set up store '%s': %s", path, err ? err : "unknown error");
		sqlite3_free(err);
		goto out_close;
	}
	return s;
out_close:
	sqlite3_close(s->db);
out_free:
	g_free(s->path);
	g_free(s);
	return NULL;
}

void hh_store_free(struct hh_store *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	g_free(s->path);
	g_free(s);
}

static int exec(struct hh_store *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(s, sql);
}

int hh_store_begin(struct hh_store *s)
{
	return exec(s, "BEGIN IMMEDIATE");
}

int hh_store_commit(struct hh_store *s)
{
	if (exec(s, "COMMIT") == 0)
		return 0;
	hh_store_rollback(s);
	return -EIO;
}

void hh_store_rollback(struct hh_store *s)
{
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Prepare sql; NULL (logged) on error. */
static sqlite3_stmt *prepare(struct hh_store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		fail(s, "prepare a statement");
		return NULL;
	}
	return st;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? g_strdup((const char *)t) : NULL;
}

/* Step a statement that returns no rows; finalize it. 0 or -EIO. */
static int run(struct hh_store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : fail(s, what);

	sqlite3_finalize(st);
	return rc;
}

void hh_task_clear(struct hh_task *t)
{
	g_free(t->task_id);
	g_free(t->state);
	g_free(t->json);
	memset(t, 0, sizeof *t);
}

static void read_task(sqlite3_stmt *st, struct hh_task *t)
{
	t->task_id = col_text(st, 0);
	t->state = col_text(st, 1);
	t->json = col_text(st, 2);
	t->received_ms = sqlite3_column_int64(st, 3);
	t->updated_ms = sqlite3_column_int64(st, 4);
}

int hh_store_task_get(struct hh_store *s, const char *task_id, struct hh_task *t)
{
	sqlite3_stmt *st = prepare(s, "SELECT task_id, state, json, received_ms, updated_ms"
				      " FROM tasks WHERE task_id = ?");
	int rc;

	memset(t, 0, sizeof *t);
	if (!st)
		return -EIO;
	bind_text(st, 1, task_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_task(st, t);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : fail(s, "read a task");
}

int hh_store_task_add(struct hh_store *s, const char *task_id, const char *state, const char *json)
{
	sqlite3_stmt *st = prepare(s, "INSERT INTO tasks VALUES (?, ?, ?, ?, ?)");
	int64_t now = clock_wall_ms();
	int rc;

	if (!st)
		return -EIO;
	bind_text(st, 1, task_id);
	bind_text(st, 2, state);
	bind_text(st, 3, json);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	return rc == SQLITE_CONSTRAINT ? -EEXIST : fail(s, "add a task");
}

int hh_store_task_set_state(struct hh_store *s, const char *task_id, const char *state)
{
	sqlite3_stmt *st =
	    prepare(s, "UPDATE tasks SET state = ?, updated_ms = ? WHERE task_id = ?");

	if (!st)
		return -EIO;
	bind_text(st, 1, state);
	sqlite3_bind_int64(st, 2, clock_wall_ms());
	bind_text(st, 3, task_id);
	if (run(s, st, "update a task"))
		return -EIO;
	return sqlite3_changes(s->db) ? 0 : -ENOENT;
}

int hh_store_tasks(struct hh_store *s, hh_task_fn fn, void *ctx)
{
	sqlite3_stmt *st = prepare(s, "SELECT task_id, state, json, received_ms, updated_ms"
				      " FROM tasks ORDER BY json ->> '$.due', task_id");
	struct hh_task t;
	int rc;

	if (!st)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_task(st, &t);
		fn(ctx, &t);
		hh_task_clear(&t);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(s, "list the tasks");
}

int hh_store_record_put(struct hh_store *s, const char *task_id, const char *json)
{
	sqlite3_stmt *st = prepare(s, "INSERT OR REPLACE INTO records VALUES (?, ?, ?)");

	if (!st)
		return -EIO;
	bind_text(st, 1, task_id);
	bind_text(st, 2, json);
	sqlite3_bind_int64(st, 3, clock_wall_ms());
	return run(s, st, "save a record");
}

/* The first column of the first row of sql with one text argument, or NULL. */
static char *one_text(struct hh_store *s, const char *sql, const char *arg, int64_t *id)
{
	sqlite3_stmt *st = prepare(s, sql);
	char *v = NULL;

	if (!st)
		return NULL;
	bind_text(st, 1, arg);
	if (sqlite3_step(st) == SQLITE_ROW) {
		v = col_text(st, 0);
		if (id)
			*id = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return v;
}

char *hh_store_record_get(struct hh_store *s, const char *task_id)
{
	return one_text(s, "SELECT json FROM records WHERE task_id = ?", task_id, NULL);
}

int hh_store_penalty_add(struct hh_store *s, const char *task_id, const char *json)
{
	sqlite3_stmt *st =
	    prepare(s, "INSERT INTO penalties (task_id, json, created_ms) VALUES (?, ?, ?)");

	if (!st)
		return -EIO;
	bind_text(st, 1, task_id);
	bind_text(st, 2, json);
	sqlite3_bind_int64(st, 3, clock_wall_ms());
	return run(s, st, "save a penalty");
}

char *hh_store_penalty_last(struct hh_store *s, const char *task_id, int64_t *id)
{
	return one_text(s, "SELECT json, id FROM penalties WHERE task_id = ? ORDER BY id DESC",
			task_id, id);
}

int hh_store_penalty_count(struct hh_store *s, const char *task_id)
{
	sqlite3_stmt *st = prepare(s, "SELECT count(*) FROM penalties WHERE task_id = ?");
	int n = -EIO;

	if (!st)
		return -EIO;
	bind_text(st, 1, task_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

int hh_store_penalty_set_number(struct hh_store *s, int64_t id, const char *number)
{
	sqlite3_stmt *st = prepare(s, "UPDATE penalties SET number = ? WHERE id = ?");

	if (!st)
		return -EIO;
	bind_text(st, 1, number);
	sqlite3_bind_int64(st, 2, id);
	if (run(s, st, "number a penalty"))
		return -EIO;
	return sqlite3_changes(s->db) ? 0 : -ENOENT;
}

char *hh_store_penalty_number(struct hh_store *s, int64_t id)
{
	sqlite3_stmt *st = prepare(s, "SELECT number FROM penalties WHERE id = ?");
	char *v = NULL;

	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = col_text(st, 0);
	sqlite3_finalize(st);
	return v;
}

int64_t hh_store_last_seq(struct hh_store *s)
{
	sqlite3_stmt *st = prepare(s, "SELECT value FROM meta WHERE key = 'last_seq'");
	int64_t seq = 0;

	if (!st)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		seq = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return seq;
}

int hh_store_outbox_put(struct hh_store *s, int64_t seq, const char *topic, const char *payload)
{
	sqlite3_stmt *st;

	if (seq != hh_store_last_seq(s) + 1) {
		log_error("cannot queue report seq %lld in '%s': the next seq is %lld",
			  (long long)seq, s->path, (long long)hh_store_last_seq(s) + 1);
		return -EINVAL;
	}
	st = prepare(s, "INSERT INTO outbox VALUES (?, ?, ?, ?)");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, seq);
	bind_text(st, 2, topic);
	bind_text(st, 3, payload);
	sqlite3_bind_int64(st, 4, clock_wall_ms());
	if (run(s, st, "queue a report"))
		return -EIO;
	st = prepare(s, "UPDATE meta SET value = ? WHERE key = 'last_seq'");
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, seq);
	return run(s, st, "advance the seq");
}

int hh_store_outbox_ack(struct hh_store *s, int64_t acked)
{
	sqlite3_stmt *st = prepare(s, "DELETE FROM outbox WHERE seq <= ?");

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, acked);
	if (run(s, st, "delete acknowledged reports"))
		return -EIO;
	return sqlite3_changes(s->db);
}

int hh_store_outbox_next(struct hh_store *s, int64_t after, int64_t *seq, char **topic,
			 char **payload)
{
	sqlite3_stmt *st =
	    prepare(s, "SELECT seq, topic, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT 1");
	int rc;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, after);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		*topic = col_text(st, 1);
		*payload = col_text(st, 2);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : fail(s, "read the outbox");
}

int64_t hh_store_outbox_depth(struct hh_store *s)
{
	sqlite3_stmt *st = prepare(s, "SELECT count(*) FROM outbox");
	int64_t n = -EIO;

	if (!st)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}
