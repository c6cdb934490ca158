/*
 * db.h — the archive's SQL engine, one small interface over two backends:
 * SQLite (db_sqlite.c, the embedded default: a file path) and PostgreSQL
 * (db_pg.c, libpq: a "postgresql://…" or "postgres://…" URI). Only
 * cloud/archive*.c use it; they write SQL once, in SQLite's dialect with
 * numbered parameters (?1, ?2 …), and the PostgreSQL backend rewrites
 * what differs (parameters as $N, the column "by") and provides the few
 * SQLite functions the archive calls (db_pg.c lists them).
 *
 * Values: integers, reals, text, blobs and NULL, as SQLite has them; a
 * PostgreSQL boolean reads as an integer 0/1 and a numeric without a
 * fraction as an integer, so that sums and counts look alike on both.
 *
 * Transactions: db_begin_write takes the write lock at once (SQLite BEGIN
 * IMMEDIATE; PostgreSQL BEGIN, rows locked as written). A statement that
 * fails inside a PostgreSQL transaction aborts it: callers roll back on any
 * error, as they do anyway.
 *
 * One struct db per thread; statements belong to their db.
 */
#ifndef BK_DB_H
#define BK_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct db_stmt;

enum db_engine { DB_SQLITE, DB_POSTGRES };
enum db_type { DB_NULL, DB_INT, DB_REAL, DB_TEXT, DB_BLOB };

/* db_step's answers besides a negative errno */
#define DB_DONE 0
#define DB_ROW	1

/* True when target names a PostgreSQL database (a postgres[ql]:// URI). */
bool db_target_is_postgres(const char *target);

/* Open target (a file path, created when !read_only; or a URI). NULL with
 * why (g_malloc'd, the caller frees) when it cannot be opened. */
struct db *db_open(const char *target, bool read_only, char **why);
void db_close(struct db *d);
enum db_engine db_engine(const struct db *d);
/* The last error, for log lines; never NULL. */
const char *db_errmsg(struct db *d);

/* Run sql (one or more statements, no parameters, no rows). 0 or -EIO. */
int db_exec(struct db *d, const char *sql);

/* Prepare one statement; NULL on error (db_errmsg says why). persistent:
 * kept for the life of the connection (SQLite's hint). */
struct db_stmt *db_prepare(struct db *d, const char *sql, bool persistent);
/* Parameters count from 1; text and blobs are copied. */
void db_bind_null(struct db_stmt *st, int i);
void db_bind_int64(struct db_stmt *st, int i, int64_t v);
void db_bind_double(struct db_stmt *st, int i, double v);
void db_bind_text(struct db_stmt *st, int i, const char *v); /* NULL binds NULL */
void db_bind_text_len(struct db_stmt *st, int i, const char *v, size_t n); /* no NUL needed */
void db_bind_blob(struct db_stmt *st, int i, const void *v, size_t n);
/* The next row: DB_ROW, DB_DONE, -EEXIST (a unique or primary key
 * violated), -EBUSY (locked past the timeout), -EIO (anything else). */
int db_step(struct db_stmt *st);
int db_column_count(struct db_stmt *st);
const char *db_column_name(struct db_stmt *st, int i);
enum db_type db_column_type(struct db_stmt *st, int i);
int64_t db_column_int64(struct db_stmt *st, int i);
double db_column_double(struct db_stmt *st, int i);
/* Text of a column (numbers as text too), NULL for NULL; valid until the
 * next step, reset or finalize. */
const char *db_column_text(struct db_stmt *st, int i);
/* Ready to run again; bindings kept (db_clear_bindings drops them). */
void db_reset(struct db_stmt *st);
void db_clear_bindings(struct db_stmt *st);
void db_finalize(struct db_stmt *st); /* NULL is fine */

/* Rows changed by the last INSERT, UPDATE or DELETE run. */
int64_t db_changes(struct db *d);
/* Inside a transaction (BEGIN … not yet committed or rolled back). */
bool db_in_transaction(struct db *d);
/* BEGIN with the write lock (see above). 0 or -EIO. */
int db_begin_write(struct db *d);
/* The schema version (SQLite's user_version; a one-row table in
 * PostgreSQL), 0 for a new database. 0 or -EIO. */
int db_schema_version(struct db *d, int *version);
int db_set_schema_version(struct db *d, int version);

#endif
