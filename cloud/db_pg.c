/*
 * db_pg.c — db.h over PostgreSQL (libpq), the only file that includes
 * libpq-fe.h. Statements run with PQexecParams — or, those kept for the
 * connection's life, prepared once on the server and run with
 * PQexecPrepared —, parameters sent as text and typed by the server from
 * their context, results as text.
 *
 * The archive writes SQLite's dialect; db_pg_translate rewrites what
 * PostgreSQL spells otherwise, token by token outside string literals:
 *   ?N                      → $N (typed text before IS [NOT] NULL: the
 *                             archive's optional filters are on text)
 *   the columns by and end  → "by", "end" (ORDER/GROUP/PARTITION BY stay
 *                             keywords, and so does the END of a CASE)
 *   a IS NOT b, a IS b      → a IS DISTINCT FROM b, a IS NOT DISTINCT FROM b
 *                             (not before NULL, TRUE, FALSE, DISTINCT)
 *   INSERT OR IGNORE INTO … → INSERT INTO … ON CONFLICT DO NOTHING
 * SQLite functions without a PostgreSQL twin (iif, julianday, json_valid,
 * group_concat, sum of a condition …) are created by the schema
 * (archive_pg.c).
 *
 * A text starting "-- native" (the schema) runs as it is.
 *
 * Errors: unique_violation (23505) is -EEXIST, lock and serialization
 * failures -EBUSY, anything else -EIO; the message is kept for
 * db_errmsg. A read-only connection sets default_transaction_read_only.
 */
#include "db.h"
#include "db_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libpq-fe.h>

/* Server type OIDs (pg_type.h, stable since forever). */
#define OID_BOOL    16
#define OID_BYTEA   17
#define OID_INT8    20
#define OID_INT2    21
#define OID_INT4    23
#define OID_FLOAT4  700
#define OID_FLOAT8  701
#define OID_NUMERIC 1700
#define OID_TEXT    25

#define MAX_PARAMS 1024 /* archive_put_readings: 100 rows of 8 */

struct db_pg {
	struct db base;
	PGconn *conn;
	char *err;
	int64_t changes;
	unsigned prepared; /* statements prepared on the server so far: their names */
};

struct stmt_pg {
	struct db_stmt base;
	char *sql; /* translated */
	int nparams;
	uint64_t used; /* the first 64 parameters the text names (the others are) */
	bool persistent;
	char name[24]; /* the server-side prepared statement, once made */
	char *values[MAX_PARAMS];
	int lengths[MAX_PARAMS];
	int formats[MAX_PARAMS];
	PGresult *res;
	int row; /* the current row, -1 before the first step */
};

static struct db_pg *pg(struct db *d)
{
	return (struct db_pg *)d;
}

static struct stmt_pg *sp(struct db_stmt *st)
{
	return (struct stmt_pg *)st;
}

static void set_err(struct db_pg *d, const char *msg)
{
	g_free(d->err);
	d->err = g_strdup(msg ? msg : "");
	g_strchomp(d->err);
}

/* --- the dialect ------------------------------------------------------------- */

static bool word_is(const char *w, size_t n, const char *kw)
{
	return strlen(kw) == n && !g_ascii_strncasecmp(w, kw, n);
}

static bool ident_char(char c)
{
	return g_ascii_isalnum(c) || c == '_';
}

/* The next word (identifier or keyword) at or after p, skipping spaces;
 * its start in *w and length returned (0 when the next token is not a
 * word). */
static size_t next_word(const char *p, const char **w)
{
	while (*p == ' ' || *p == '\n' || *p == '\t')
		p++;
	*w = p;
	if (!g_ascii_isalpha(*p) && *p != '_')
		return 0;
	while (ident_char(*p))
		p++;
	return (size_t)(p - *w);
}

/* True when p (after a parameter) reads IS [NOT] NULL: the archive's
 * optional filters ("?1 IS NULL OR box = ?1"), always on text columns.
 * PostgreSQL cannot type a parameter from a null test alone. */
static bool null_test(const char *p)
{
	const char *w;
	size_t n = next_word(p, &w);

	if (!word_is(w, n, "is"))
		return false;
	n = next_word(w + n, &w);
	if (word_is(w, n, "not"))
		n = next_word(w + n, &w);
	return word_is(w, n, "null");
}

char *db_pg_translate(const char *sql, int *max_param, uint64_t *used);

/* used (may be NULL): bit N-1 set for each ?N the text names. */
char *db_pg_translate(const char *sql, int *max_param, uint64_t *used)
{
	GString *out = g_string_sized_new(strlen(sql) + 32);
	char prev[16] = ""; /* the previous word, lower-case */
	bool or_ignore = false;
	int cases = 0; /* CASE … END open */
	const char *p = sql;

	*max_param = 0;
	if (used)
		*used = 0;
	while (*p) {
		if (*p == '\'' || *p == '"') {
			char q = *p;

			g_string_append_c(out, *p++);
			while (*p) {
				g_string_append_c(out, *p);
				if (*p++ == q) {
					if (*p == q) { /* doubled: an escaped quote */
						g_string_append_c(out, *p++);
						continue;
					}
					break;
				}
			}
			prev[0] = '\0';
			continue;
		}
		if (*p == '?' && g_ascii_isdigit(p[1])) {
			int n = atoi(p + 1);

			g_string_append_printf(out, "$%d", n);
			*max_param = MAX(*max_param, n);
			if (used && n >= 1 && n <= 64)
				*used |= UINT64_C(1) << (n - 1);
			for (p++; g_ascii_isdigit(*p); p++)
				;
			if (null_test(p))
				g_string_append(out, "::text");
			prev[0] = '\0';
			continue;
		}
		if ((g_ascii_isalpha(*p) || *p == '_') &&
		    (p == sql || (!ident_char(p[-1]) && p[-1] != '$' && p[-1] != '.'))) {
			const char *w = p, *nw;
			size_t n = 0, nn;

			while (ident_char(p[n]))
				n++;
			p += n;
			if (word_is(w, n, "by") && strcmp(prev, "order") && strcmp(prev, "group") &&
			    strcmp(prev, "partition")) {
				g_string_append(out, "\"by\"");
			} else if (word_is(w, n, "end") && !cases) {
				/* not closing a CASE: the column "end" (a reserved word) */
				g_string_append(out, "\"end\"");
			} else if (word_is(w, n, "or") && !strcmp(prev, "insert") &&
				   (nn = next_word(p, &nw)) && word_is(nw, nn, "ignore")) {
				/* INSERT OR IGNORE INTO: the conflict clause goes at the end */
				or_ignore = true;
				for (p = nw + nn; *p == ' '; p++) /* one space is out already */
					;
				g_strlcpy(prev, "insert", sizeof prev);
				continue;
			} else if (word_is(w, n, "is")) {
				nn = next_word(p, &nw);
				if (nn && word_is(nw, nn, "not")) {
					const char *n2;
					size_t l2 = next_word(nw + nn, &n2);

					if (!(l2 && (word_is(n2, l2, "null") || word_is(n2, l2, "true") ||
						     word_is(n2, l2, "false") ||
						     word_is(n2, l2, "distinct")))) {
						g_string_append(out, "IS DISTINCT FROM");
						p = nw + nn;
						g_strlcpy(prev, "from", sizeof prev);
						continue;
					}
				} else if (!(nn && (word_is(nw, nn, "null") || word_is(nw, nn, "true") ||
						    word_is(nw, nn, "false") ||
						    word_is(nw, nn, "distinct")))) {
					g_string_append(out, "IS NOT DISTINCT FROM");
					g_strlcpy(prev, "from", sizeof prev);
					continue;
				}
				g_string_append_len(out, w, (gssize)n);
			} else {
				if (word_is(w, n, "case"))
					cases++;
				else if (word_is(w, n, "end"))
					cases--;
				g_string_append_len(out, w, (gssize)n);
			}
			if (n < sizeof prev) {
				for (size_t i = 0; i < n; i++)
					prev[i] = g_ascii_tolower(w[i]);
				prev[n] = '\0';
			} else {
				prev[0] = '\0';
			}
			continue;
		}
		if (!(*p == ' ' || *p == '\n' || *p == '\t'))
			prev[0] = '\0';
		g_string_append_c(out, *p++);
	}
	if (or_ignore) {
		while (out->len && (out->str[out->len - 1] == ';' || out->str[out->len - 1] == ' '))
			g_string_truncate(out, out->len - 1);
		g_string_append(out, " ON CONFLICT DO NOTHING");
	}
	return g_string_free(out, FALSE);
}

/* --- the connection ------------------------------------------------------------ */

static const char *p_errmsg(struct db *d)
{
	return pg(d)->err ? pg(d)->err : "";
}

/* 0 when res succeeded; else the error as db_step reports it, kept. */
static int result_rc(struct db_pg *d, PGresult *res)
{
	ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	const char *state;

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		return 0;
	set_err(d, res ? PQresultErrorMessage(res) : PQerrorMessage(d->conn));
	state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (state && !strcmp(state, "23505"))
		return -EEXIST;
	if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01") ||
		      !strcmp(state, "55P03")))
		return -EBUSY;
	return -EIO;
}

static int p_exec(struct db *d, const char *sql)
{
	int max;
	/* the schema is written for PostgreSQL already (archive_pg.c) */
	char *t = g_str_has_prefix(sql, "-- native") ? g_strdup(sql)
						      : db_pg_translate(sql, &max, NULL);
	PGresult *res = PQexec(pg(d)->conn, t);
	int rc = result_rc(pg(d), res);

	PQclear(res);
	g_free(t);
	return rc ? -EIO : 0;
}

static struct db_stmt *p_prepare(struct db *d, const char *sql, bool persistent)
{
	struct stmt_pg *s = g_new0(struct stmt_pg, 1);

	s->base.db = d;
	s->persistent = persistent;
	if (g_str_has_prefix(sql, "-- native"))
		s->sql = g_strdup(sql); /* no parameters */
	else
		s->sql = db_pg_translate(sql, &s->nparams, &s->used);
	s->row = -1;
	if (s->nparams > MAX_PARAMS) {
		set_err(pg(d), "too many parameters");
		g_free(s->sql);
		g_free(s);
		return NULL;
	}
	return &s->base;
}

static void set_param(struct db_stmt *st, int i, char *v, int len, int format)
{
	struct stmt_pg *s = sp(st);

	if (i < 1 || i > MAX_PARAMS) {
		g_free(v);
		return;
	}
	g_free(s->values[i - 1]);
	s->values[i - 1] = v;
	s->lengths[i - 1] = len;
	s->formats[i - 1] = format;
}

static void p_bind_null(struct db_stmt *st, int i)
{
	set_param(st, i, NULL, 0, 0);
}

static void p_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	set_param(st, i, g_strdup_printf("%" G_GINT64_FORMAT, v), 0, 0);
}

static void p_bind_double(struct db_stmt *st, int i, double v)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	set_param(st, i, g_strdup(g_ascii_dtostr(buf, sizeof buf, v)), 0, 0);
}

static void p_bind_text(struct db_stmt *st, int i, const char *v)
{
	set_param(st, i, v ? g_strdup(v) : NULL, 0, 0);
}

static void p_bind_text_len(struct db_stmt *st, int i, const char *v, size_t n)
{
	set_param(st, i, g_strndup(v, n), 0, 0);
}

static void p_bind_blob(struct db_stmt *st, int i, const void *v, size_t n)
{
	set_param(st, i, g_memdup2(v, n ? n : 1), (int)n, 1);
}

static int p_step(struct db_stmt *st)
{
	struct stmt_pg *s = sp(st);
	struct db_pg *d = pg(st->db);
	int rc;

	if (!s->res) {
		Oid *types = g_newa(Oid, MAX(s->nparams, 1));

		/* the server types each parameter from its context; one the text
		 * does not name (a kind's column left out) must be typed anyway */
		for (int i = 0; i < s->nparams; i++)
			types[i] = i >= 64 || s->used & (UINT64_C(1) << i) ? 0 : OID_TEXT;
		/* a statement kept for the connection's life is parsed and
		 * planned once, on the server (the archive's ingest path) */
		if (s->persistent && !s->name[0]) {
			char name[sizeof s->name];
			PGresult *r;

			snprintf(name, sizeof name, "bk_%u", ++d->prepared);
			r = PQprepare(d->conn, name, s->sql, s->nparams, types);
			rc = result_rc(d, r);
			PQclear(r);
			if (rc)
				return rc;
			g_strlcpy(s->name, name, sizeof s->name);
		}
		if (s->name[0])
			s->res = PQexecPrepared(d->conn, s->name, s->nparams,
						(const char *const *)s->values, s->lengths,
						s->formats, 0);
		else
			s->res = PQexecParams(d->conn, s->sql, s->nparams, types,
					      (const char *const *)s->values, s->lengths,
					      s->formats, 0);
		rc = result_rc(d, s->res);
		if (rc) {
			PQclear(s->res);
			s->res = NULL;
			return rc;
		}
		if (PQresultStatus(s->res) == PGRES_COMMAND_OK) {
			const char *n = PQcmdTuples(s->res);

			d->changes = *n ? g_ascii_strtoll(n, NULL, 10) : 0;
		}
		s->row = -1;
	}
	if (PQresultStatus(s->res) != PGRES_TUPLES_OK)
		return DB_DONE;
	if (++s->row >= PQntuples(s->res))
		return DB_DONE;
	return DB_ROW;
}

static int p_column_count(struct db_stmt *st)
{
	return sp(st)->res ? PQnfields(sp(st)->res) : 0;
}

static const char *p_column_name(struct db_stmt *st, int i)
{
	return sp(st)->res ? PQfname(sp(st)->res, i) : "";
}

static bool current(struct stmt_pg *s, int i)
{
	return s->res && s->row >= 0 && s->row < PQntuples(s->res) && i >= 0 &&
	       i < PQnfields(s->res);
}

static enum db_type p_column_type(struct db_stmt *st, int i)
{
	struct stmt_pg *s = sp(st);
	const char *v;

	if (!current(s, i) || PQgetisnull(s->res, s->row, i))
		return DB_NULL;
	switch (PQftype(s->res, i)) {
	case OID_BOOL:
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
		return DB_INT;
	case OID_FLOAT4:
	case OID_FLOAT8:
		return DB_REAL;
	case OID_NUMERIC:
		/* sum() of integers is numeric: an integer when it has no fraction */
		v = PQgetvalue(s->res, s->row, i);
		return strpbrk(v, ".eE") || strlen(v) > 18 ? DB_REAL : DB_INT;
	case OID_BYTEA:
		return DB_BLOB;
	default:
		return DB_TEXT;
	}
}

static int64_t p_column_int64(struct db_stmt *st, int i)
{
	struct stmt_pg *s = sp(st);
	const char *v;

	if (!current(s, i) || PQgetisnull(s->res, s->row, i))
		return 0;
	v = PQgetvalue(s->res, s->row, i);
	if (PQftype(s->res, i) == OID_BOOL)
		return v[0] == 't';
	if (strpbrk(v, ".eE"))
		return (int64_t)g_ascii_strtod(v, NULL);
	return g_ascii_strtoll(v, NULL, 10);
}

static double p_column_double(struct db_stmt *st, int i)
{
	struct stmt_pg *s = sp(st);

	if (!current(s, i) || PQgetisnull(s->res, s->row, i))
		return 0;
	if (PQftype(s->res, i) == OID_BOOL)
		return PQgetvalue(s->res, s->row, i)[0] == 't';
	return g_ascii_strtod(PQgetvalue(s->res, s->row, i), NULL);
}

static const char *p_column_text(struct db_stmt *st, int i)
{
	struct stmt_pg *s = sp(st);

	if (!current(s, i) || PQgetisnull(s->res, s->row, i))
		return NULL;
	if (PQftype(s->res, i) == OID_BOOL)
		return PQgetvalue(s->res, s->row, i)[0] == 't' ? "1" : "0";
	return PQgetvalue(s->res, s->row, i);
}

static void p_reset(struct db_stmt *st)
{
	struct stmt_pg *s = sp(st);

	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
}

static void p_clear_bindings(struct db_stmt *st)
{
	struct stmt_pg *s = sp(st);

	for (int i = 0; i < MAX_PARAMS; i++) {
		g_free(s->values[i]);
		s->values[i] = NULL;
		s->lengths[i] = s->formats[i] = 0;
	}
}

static void p_finalize(struct db_stmt *st)
{
	struct stmt_pg *s = sp(st);

	p_reset(st);
	p_clear_bindings(st);
	if (s->name[0]) {
		char *sql = g_strdup_printf("DEALLOCATE %s", s->name);

		PQclear(PQexec(pg(st->db)->conn, sql));
		g_free(sql);
	}
	g_free(s->sql);
	g_free(s);
}

static int64_t p_changes(struct db *d)
{
	return pg(d)->changes;
}

static bool p_in_transaction(struct db *d)
{
	return PQtransactionStatus(pg(d)->conn) != PQTRANS_IDLE;
}

static int p_begin_write(struct db *d)
{
	return p_exec(d, "BEGIN");
}

/* The version lives in a one-row table; the advisory lock (held to the end
 * of the transaction) makes concurrent migrations of a new database wait
 * for each other, as SQLite's BEGIN IMMEDIATE does. */
static int p_schema_version(struct db *d, int *version)
{
	PGresult *res;
	int rc;

	*version = 0;
	if (p_exec(d, "SELECT pg_advisory_xact_lock(727201)") ||
	    p_exec(d, "CREATE TABLE IF NOT EXISTS bk_schema(version INTEGER NOT NULL)"))
		return -EIO;
	res = PQexec(pg(d)->conn, "SELECT version FROM bk_schema");
	rc = result_rc(pg(d), res);
	if (!rc && PQntuples(res) > 0)
		*version = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc ? -EIO : 0;
}

static int p_set_schema_version(struct db *d, int version)
{
	char sql[96];

	snprintf(sql, sizeof sql, "DELETE FROM bk_schema; INSERT INTO bk_schema VALUES (%d)",
		 version);
	return p_exec(d, sql);
}

static void p_close(struct db *d)
{
	PQfinish(pg(d)->conn);
	g_free(pg(d)->err);
	g_free(d);
}

static const struct db_ops pg_ops = {
	.close = p_close,
	.errmsg = p_errmsg,
	.exec = p_exec,
	.prepare = p_prepare,
	.bind_null = p_bind_null,
	.bind_int64 = p_bind_int64,
	.bind_double = p_bind_double,
	.bind_text = p_bind_text,
	.bind_text_len = p_bind_text_len,
	.bind_blob = p_bind_blob,
	.step = p_step,
	.column_count = p_column_count,
	.column_name = p_column_name,
	.column_type = p_column_type,
	.column_int64 = p_column_int64,
	.column_double = p_column_double,
	.column_text = p_column_text,
	.reset = p_reset,
	.clear_bindings = p_clear_bindings,
	.finalize = p_finalize,
	.changes = p_changes,
	.in_transaction = p_in_transaction,
	.begin_write = p_begin_write,
	.schema_version = p_schema_version,
	.set_schema_version = p_set_schema_version,
};

/* Notices (e.g. "relation already exists, skipping") are not errors. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

struct db *db_pg_open(const char *uri, bool read_only, char **why)
{
	struct db_pg *d = g_new0(struct db_pg, 1);

	d->base.ops = &pg_ops;
	d->base.engine = DB_POSTGRES;
	d->conn = PQconnectdb(uri);
	if (PQstatus(d->conn) != CONNECTION_OK) {
		*why = g_strchomp(g_strdup(PQerrorMessage(d->conn)));
		goto fail;
	}
	PQsetNoticeProcessor(d->conn, quiet, NULL);
	if (p_exec(&d->base, "SET TIME ZONE 'UTC'") ||
	    (read_only && p_exec(&d->base, "SET default_transaction_read_only = on"))) {
		*why = g_strdup(d->err);
		goto fail;
	}
	return &d->base;

fail:
	PQfinish(d->conn);
	g_free(d->err);
	g_free(d);
	return NULL;
}
