/*
 * Unit tests: the SQL engine layer (cloud/db.h) — the PostgreSQL dialect
 * rewrite (db_pg_translate, pure) and the SQLite backend through the
 * interface. The PostgreSQL backend itself runs under the archive's unit
 * tests on a throw-away server (tests/run.sh, unit-pg/…).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "db.h"
#include "unit_tmpdir.h"

char *db_pg_translate(const char *sql, int *max_param, uint64_t *used);

static void expect(const char *sqlite, const char *pg, int max)
{
	int n = -1;
	char *out = db_pg_translate(sqlite, &n, NULL);

	assert_string_equal(out, pg);
	assert_int_equal(n, max);
	g_free(out);
}

static void test_translate(void **state)
{
	uint64_t used;
	int n;
	char *out;

	(void)state;
	expect("SELECT a FROM t WHERE b = ?1 AND c > ?12", "SELECT a FROM t WHERE b = $1 AND c > $12",
	       12);
	/* the column "by" and a keyword BY */
	expect("SELECT by FROM s ORDER BY by, at GROUP BY by",
	       "SELECT \"by\" FROM s ORDER BY \"by\", at GROUP BY \"by\"", 0);
	/* end: a column, unless it closes a CASE */
	expect("SELECT CASE WHEN x THEN 1 ELSE 2 END, end FROM e WHERE end > ?1",
	       "SELECT CASE WHEN x THEN 1 ELSE 2 END, \"end\" FROM e WHERE \"end\" > $1", 1);
	expect("UPDATE e SET end = iif(?1 > e.last, ?2, e.end)",
	       "UPDATE e SET \"end\" = iif($1 > e.last, $2, e.end)", 2);
	/* null-safe comparisons; IS NULL stays, a parameter before it is text */
	expect("WHERE a IS NOT b AND c IS d AND e IS NOT NULL AND f IS NULL",
	       "WHERE a IS DISTINCT FROM b AND c IS NOT DISTINCT FROM d AND e IS NOT NULL AND f IS "
	       "NULL",
	       0);
	expect("WHERE (?1 IS NULL OR box = ?1)", "WHERE ($1::text IS NULL OR box = $1)", 1);
	/* INSERT OR IGNORE */
	expect("INSERT OR IGNORE INTO t(a) VALUES (?1)",
	       "INSERT INTO t(a) VALUES ($1) ON CONFLICT DO NOTHING", 1);
	/* literals and quoted names are left alone, '' included */
	expect("SELECT 'by ?1 end it''s', \"end\" FROM t WHERE x = ?2",
	       "SELECT 'by ?1 end it''s', \"end\" FROM t WHERE x = $2", 2);
	/* the parameters named */
	out = db_pg_translate("VALUES (?1, ?2, ?4)", &n, &used);
	assert_int_equal(n, 4);
	assert_int_equal(used, 0x0B);
	g_free(out);
}

static void test_sqlite_backend(void **state)
{
	char path[256], *why = NULL;
	struct db *d;
	struct db_stmt *st;
	int version = -1;

	(void)state;
	snprintf(path, sizeof path, "%s/db.sqlite", dir);
	d = db_open(path, false, &why);
	assert_non_null(d);
	assert_int_equal(db_engine(d), DB_SQLITE);
	assert_false(db_target_is_postgres(path));
	assert_true(db_target_is_postgres("postgresql://bk@127.0.0.1/x"));
	assert_int_equal(db_exec(d, "CREATE TABLE t(k TEXT PRIMARY KEY, n INTEGER, r REAL)"), 0);
	assert_int_equal(db_begin_write(d), 0);
	assert_true(db_in_transaction(d));
	st = db_prepare(d, "INSERT INTO t(k, n, r) VALUES (?1, ?2, ?3)", true);
	assert_non_null(st);
	db_bind_text(st, 1, "a");
	db_bind_int64(st, 2, 42);
	db_bind_double(st, 3, 1.5);
	assert_int_equal(db_step(st), DB_DONE);
	assert_int_equal(db_changes(d), 1);
	db_reset(st);
	assert_int_equal(db_step(st), -EEXIST); /* the same key again */
	db_finalize(st);
	assert_int_equal(db_exec(d, "COMMIT"), 0);
	assert_false(db_in_transaction(d));
	st = db_prepare(d, "SELECT k, n, r, NULL AS z FROM t", false);
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_column_count(st), 4);
	assert_string_equal(db_column_name(st, 3), "z");
	assert_string_equal(db_column_text(st, 0), "a");
	assert_int_equal(db_column_type(st, 1), DB_INT);
	assert_int_equal(db_column_int64(st, 1), 42);
	assert_int_equal(db_column_type(st, 2), DB_REAL);
	assert_int_equal(db_column_type(st, 3), DB_NULL);
	assert_int_equal(db_step(st), DB_DONE);
	db_finalize(st);
	assert_null(db_prepare(d, "SELEC nonsense", false));
	assert_true(strlen(db_errmsg(d)) > 0);
	assert_int_equal(db_schema_version(d, &version), 0);
	assert_int_equal(version, 0);
	assert_int_equal(db_set_schema_version(d, 7), 0);
	assert_int_equal(db_schema_version(d, &version), 0);
	assert_int_equal(version, 7);
	db_close(d);
	assert_null(db_open("/nonexistent-dir/x.db", false, &why));
	assert_non_null(why);
	g_free(why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translate),
		cmocka_unit_test(test_sqlite_backend),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
