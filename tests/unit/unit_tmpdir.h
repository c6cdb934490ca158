/*
 * unit_tmpdir.h — a scratch directory for one unit-test program, shared
 * by the tests that touch files: `dir` is made by tmpdir_setup (use it as
 * the group setup, or call it from one) and removed with everything in it
 * by tmpdir_teardown. Header-only on purpose: each test program is its own
 * binary and includes it once.
 */
#ifndef BK_UNIT_TMPDIR_H
#define BK_UNIT_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib.h>
#include <libpq-fe.h>

static char dir[] = "/tmp/bk-unit.XXXXXX";

static inline int tmpdir_setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static inline int tmpdir_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

/* Write text to dir/name; the path, valid until the next call. */
static inline const char *tmpdir_write(const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* A deployment CA in dir/name (tools/bk-pki, run from the repository root
 * as tests/run.sh does) with a certificate for each id; 0 on success. */
static inline int tmpdir_pki(const char *name, const char *const *ids)
{
	GString *cmd = g_string_new("");
	int rc;

	g_string_printf(cmd, "tools/bk-pki init %s/%s >/dev/null", dir, name);
	for (int i = 0; ids[i]; i++)
		g_string_append_printf(cmd, " && tools/bk-pki issue %s/%s %s >/dev/null", dir, name,
				       ids[i]);
	rc = system(cmd->str);
	g_string_free(cmd, TRUE);
	return rc == 0 ? 0 : -1;
}

/* Where a test's archive goes: dir/NAME-N.db (SQLite), or, when the
 * environment names a PostgreSQL server in BK_TEST_PG (a URI without a
 * database, e.g. postgresql://bk@127.0.0.1:5432: tests/run.sh starts one),
 * a new empty database there (its URI). Into out; 0, or -1 when the
 * server refuses. */
static inline int unit_archive_target(char *out, size_t size, const char *name, int n)
{
	const char *pg = getenv("BK_TEST_PG");
	char db[96], *uri;
	PGconn *c;
	PGresult *r;
	int rc;

	if (!pg || !*pg) {
		snprintf(out, size, "%s/%s-%d.db", dir, name, n);
		return 0;
	}
	snprintf(db, sizeof db, "bk_%s_%d_%d", name, n, (int)getpid());
	uri = g_strdup_printf("%s/postgres", pg);
	c = PQconnectdb(uri);
	g_free(uri);
	rc = PQstatus(c) == CONNECTION_OK ? 0 : -1;
	if (!rc) /* no "does not exist, skipping" notice on stderr */
		PQclear(PQexec(c, "SET client_min_messages = warning"));
	/* DROP and CREATE DATABASE cannot share a transaction: two commands */
	for (int i = 0; i < 2 && !rc; i++) {
		char *cmd = g_strdup_printf(i ? "CREATE DATABASE %s" : "DROP DATABASE IF EXISTS %s", db);

		r = PQexec(c, cmd);
		rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
		if (rc)
			fprintf(stderr, "unit: %s: %s", cmd, PQerrorMessage(c));
		PQclear(r);
		g_free(cmd);
	}
	PQfinish(c);
	snprintf(out, size, "%s/%s", pg, db);
	return rc;
}

#endif
