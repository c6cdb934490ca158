/*
 * db.c — db.h's dispatch to the backend a target names.
 */
#include "db.h"
#include "db_internal.h"

#include <string.h>

#include <glib.h>

bool db_target_is_postgres(const char *target)
{
	return g_str_has_prefix(target, "postgresql://") || g_str_has_prefix(target, "postgres://");
}

struct db *db_open(const char *target, bool read_only, char **why)
{
	*why = NULL;
	return db_target_is_postgres(target) ? db_pg_open(target, read_only, why)
					     : db_sqlite_open(target, read_only, why);
}

void db_close(struct db *d)
{
	if (d)
		d->ops->close(d);
}

enum db_engine db_engine(const struct db *d)
{
	return d->engine;
}

const char *db_errmsg(struct db *d)
{
	const char *m = d->ops->errmsg(d);

	return m ? m : "";
}

int db_exec(struct db *d, const char *sql)
{
	return d->ops->exec(d, sql);
}

struct db_stmt *db_prepare(struct db *d, const char *sql, bool persistent)
{
	return d->ops->prepare(d, sql, persistent);
}

void db_bind_null(struct db_stmt *st, int i)
{
	st->db->ops->bind_null(st, i);
}

void db_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	st->db->ops->bind_int64(st, i, v);
}

void db_bind_double(struct db_stmt *st, int i, double v)
{
	st->db->ops->bind_double(st, i, v);
}

void db_bind_text(struct db_stmt *st, int i, const char *v)
{
	st->db->ops->bind_text(st, i, v);
}

void db_bind_text_len(struct db_stmt *st, int i, const char *v, size_t n)
{
	st->db->ops->bind_text_len(st, i, v, n);
}

void db_bind_blob(struct db_stmt *st, int i, const void *v, size_t n)
{
	st->db->ops->bind_blob(st, i, v, n);
}

int db_step(struct db_stmt *st)
{
	return st->db->ops->step(st);
}

int db_column_count(struct db_stmt *st)
{
	return st->db->ops->column_count(st);
}

const char *db_column_name(struct db_stmt *st, int i)
{
	return st->db->ops->column_name(st, i);
}

enum db_type db_column_type(struct db_stmt *st, int i)
{
	return st->db->ops->column_type(st, i);
}

int64_t db_column_int64(struct db_stmt *st, int i)
{
	return st->db->ops->column_int64(st, i);
}

double db_column_double(struct db_stmt *st, int i)
{
	return st->db->ops->column_double(st, i);
}

const char *db_column_text(struct db_stmt *st, int i)
{
	return st->db->ops->column_text(st, i);
}

void db_reset(struct db_stmt *st)
{
	st->db->ops->reset(st);
}

void db_clear_bindings(struct db_stmt *st)
{
	st->db->ops->clear_bindings(st);
}

void db_finalize(struct db_stmt *st)
{
	if (st)
		st->db->ops->finalize(st);
}

int64_t db_changes(struct db *d)
{
	return d->ops->changes(d);
}

bool db_in_transaction(struct db *d)
{
	return d->ops->in_transaction(d);
}

int db_begin_write(struct db *d)
{
	return d->ops->begin_write(d);
}

int db_schema_version(struct db *d, int *version)
{
	return d->ops->schema_version(d, version);
}

int db_set_schema_version(struct db *d, int version)
{
	return d->ops->set_schema_version(d, version);
}
