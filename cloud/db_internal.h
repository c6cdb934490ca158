/*
 * db_internal.h — what db.c (the dispatch) and the two backends share.
 */
#ifndef BK_DB_INTERNAL_H
#define BK_DB_INTERNAL_H

#include "db.h"

struct db_ops {
	void (*close)(struct db *d);
	const char *(*errmsg)(struct db *d);
	int (*exec)(struct db *d, const char *sql);
	struct db_stmt *(*prepare)(struct db *d, const char *sql, bool persistent);
	void (*bind_null)(struct db_stmt *st, int i);
	void (*bind_int64)(struct db_stmt *st, int i, int64_t v);
	void (*bind_double)(struct db_stmt *st, int i, double v);
	void (*bind_text)(struct db_stmt *st, int i, const char *v);
	void (*bind_text_len)(struct db_stmt *st, int i, const char *v, size_t n);
	void (*bind_blob)(struct db_stmt *st, int i, const void *v, size_t n);
	int (*step)(struct db_stmt *st);
	int (*column_count)(struct db_stmt *st);
	const char *(*column_name)(struct db_stmt *st, int i);
	enum db_type (*column_type)(struct db_stmt *st, int i);
	int64_t (*column_int64)(struct db_stmt *st, int i);
	double (*column_double)(struct db_stmt *st, int i);
	const char *(*column_text)(struct db_stmt *st, int i);
	void (*reset)(struct db_stmt *st);
	void (*clear_bindings)(struct db_stmt *st);
	void (*finalize)(struct db_stmt *st);
	int64_t (*changes)(struct db *d);
	bool (*in_transaction)(struct db *d);
	int (*begin_write)(struct db *d);
	int (*schema_version)(struct db *d, int *version);
	int (*set_schema_version)(struct db *d, int version);
};

struct db {
	const struct db_ops *ops;
	enum db_engine engine;
};

struct db_stmt {
	struct db *db;
};

struct db *db_sqlite_open(const char *path, bool read_only, char **why);
struct db *db_pg_open(const char *uri, bool read_only, char **why);

#endif
