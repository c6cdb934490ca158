/*
 * db_sqlite.c — db.h over SQLite, the embedded default: a thin wrapper,
 * the only file that includes sqlite3.h. WAL and synchronous=FULL for a
 * writable archive (nothing is acknowledged before it is on disk), a 5 s
 * busy timeout so that bkctl and the collector wait for each other's
 * short transactions.
 */
#include "db.h"
#include "db_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <sqlite3.h>

#define BUSY_TIMEOUT_MS 5000

struct db_sqlite {
	struct db base;
	sqlite3 *db;
};

struct stmt_sqlite {
	struct db_stmt base;
	sqlite3_stmt *st;
};

static sqlite3 *handle(struct db *d)
{
	return ((struct db_sqlite *)d)->db;
}

static sqlite3_stmt *stmt(struct db_stmt *st)
{
	return ((struct stmt_sqlite *)st)->st;
}

static const char *s_errmsg(struct db *d)
{
	return sqlite3_errmsg(handle(d));
}

static int s_exec(struct db *d, const char *sql)
{
	return sqlite3_exec(handle(d), sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

static struct db_stmt *s_prepare(struct db *d, const char *sql, bool persistent)
{
	struct stmt_sqlite *s = g_new0(struct stmt_sqlite, 1);

	if (sqlite3_prepare_v3(handle(d), sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0,
			       &s->st, NULL) != SQLITE_OK) {
		g_free(s);
		return NULL;
	}
	s->base.db = d;
	return &s->base;
}

static void s_bind_null(struct db_stmt *st, int i)
{
	sqlite3_bind_null(stmt(st), i);
}

static void s_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	sqlite3_bind_int64(stmt(st), i, v);
}

static void s_bind_double(struct db_stmt *st, int i, double v)
{
	sqlite3_bind_double(stmt(st), i, v);
}

static void s_bind_text(struct db_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(stmt(st), i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(stmt(st), i);
}

static void s_bind_text_len(struct db_stmt *st, int i, const char *v, size_t n)
{
	sqlite3_bind_text(stmt(st), i, v, (int)n, SQLITE_TRANSIENT);
}

static void s_bind_blob(struct db_stmt *st, int i, const void *v, size_t n)
{
	sqlite3_bind_blob(stmt(st), i, v, (int)n, SQLITE_TRANSIENT);
}

static int s_step(struct db_stmt *st)
{
	int rc = sqlite3_step(stmt(st));

	switch (rc) {
	case SQLITE_ROW:
		return DB_ROW;
	case SQLITE_DONE:
		return DB_DONE;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	default:
		return sqlite3_extended_errcode(sqlite3_db_handle(stmt(st))) ==
				       SQLITE_CONSTRAINT_PRIMARYKEY ||
			       sqlite3_extended_errcode(sqlite3_db_handle(stmt(st))) ==
				       SQLITE_CONSTRAINT_UNIQUE
			   ? -EEXIST
			   : -EIO;
	}
}

static int s_column_count(struct db_stmt *st)
{
	return sqlite3_column_count(stmt(st));
}

static const char *s_column_name(struct db_stmt *st, int i)
{
	return sqlite3_column_name(stmt(st), i);
}

static enum db_type s_column_type(struct db_stmt *st, int i)
{
	switch (sqlite3_column_type(stmt(st), i)) {
	case SQLITE_INTEGER:
		return DB_INT;
	case SQLITE_FLOAT:
		return DB_REAL;
	case SQLITE_TEXT:
		return DB_TEXT;
	case SQLITE_BLOB:
		return DB_BLOB;
	default:
		return DB_NULL;
	}
}

static int64_t s_column_int64(struct db_stmt *st, int i)
{
	return sqlite3_column_int64(stmt(st), i);
}

static double s_column_double(struct db_stmt *st, int i)
{
	return sqlite3_column_double(stmt(st), i);
}

static const char *s_column_text(struct db_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(stmt(st), i);
}

static void s_reset(struct db_stmt *st)
{
	sqlite3_reset(stmt(st));
}

static void s_clear_bindings(struct db_stmt *st)
{
	sqlite3_clear_bindings(stmt(st));
}

static void s_finalize(struct db_stmt *st)
{
	sqlite3_finalize(stmt(st));
	g_free(st);
}

static int64_t s_changes(struct db *d)
{
	return sqlite3_changes(handle(d));
}

static bool s_in_transaction(struct db *d)
{
	return !sqlite3_get_autocommit(handle(d));
}

static int s_begin_write(struct db *d)
{
	return s_exec(d, "BEGIN IMMEDIATE");
}

static int s_schema_version(struct db *d, int *version)
{
	sqlite3_stmt *st;

	*version = 0;
	if (sqlite3_prepare_v2(handle(d), "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int s_set_schema_version(struct db *d, int version)
{
	char sql[64];

	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version);
	return s_exec(d, sql);
}

static void s_close(struct db *d)
{
	sqlite3_close(handle(d));
	g_free(d);
}

static const struct db_ops sqlite_ops = {
	.close = s_close,
	.errmsg = s_errmsg,
	.exec = s_exec,
	.prepare = s_prepare,
	.bind_null = s_bind_null,
	.bind_int64 = s_bind_int64,
	.bind_double = s_bind_double,
	.bind_text = s_bind_text,
	.bind_text_len = s_bind_text_len,
	.bind_blob = s_bind_blob,
	.step = s_step,
	.column_count = s_column_count,
	.column_name = s_column_name,
	.column_type = s_column_type,
	.column_int64 = s_column_int64,
	.column_double = s_column_double,
	.column_text = s_column_text,
	.reset = s_reset,
	.clear_bindings = s_clear_bindings,
	.finalize = s_finalize,
	.changes = s_changes,
	.in_transaction = s_in_transaction,
	.begin_write = s_begin_write,
	.schema_version = s_schema_version,
	.set_schema_version = s_set_schema_version,
};

struct db *db_sqlite_open(const char *path, bool read_only, char **why)
{
	struct db_sqlite *d = g_new0(struct db_sqlite, 1);
	int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

	d->base.ops = &sqlite_ops;
	d->base.engine = DB_SQLITE;
	if (sqlite3_open_v2(path, &d->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		*why = g_strdup(d->db ? sqlite3_errmsg(d->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(d->db, BUSY_TIMEOUT_MS);
	if (!read_only && (s_exec(&d->base, "PRAGMA journal_mode = WAL") ||
			   s_exec(&d->base, "PRAGMA synchronous = FULL"))) {
		*why = g_strdup_printf("cannot switch to WAL: %s", sqlite3_errmsg(d->db));
		goto fail;
	}
	return &d->base;

fail:
	sqlite3_close(d->db);
	g_free(d);
	return NULL;
}
