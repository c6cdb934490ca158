/*
 * archive_internal.h — what the archive's files share (archive.c: the
 * connection, schema migrations, the stream; archive_registry.c: the
 * registry; archive_stats.c: alert handling and statistics). SQLite stays
 * inside them; nothing outside cloud/archive*.c includes this.
 */
#ifndef BK_ARCHIVE_INTERNAL_H
#define BK_ARCHIVE_INTERNAL_H

#include <sqlite3.h>

#include "archive.h"

#define ARCHIVE_STMT_MAX 64

struct archive {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[ARCHIVE_STMT_MAX]; /* archive.c's prepared statements */
};

/* Log "archive 'PATH': cannot WHAT: sqlite's message"; returns -EIO. */
int archive_fail(struct archive *a, const char *what);
/* Run sql (no results); 0 or archive_fail's -EIO. */
int archive_exec(struct archive *a, const char *sql, const char *what);
/* Bind text, or NULL when text is NULL. */
void archive_bind_text(sqlite3_stmt *st, int i, const char *text);

/* Schema steps, applied in order by archive_open (archive.c, migrations[]).
 * Each runs once, in a transaction, and is never edited afterwards: a
 * change is a new step. */
extern const char archive_registry_schema[];
extern const char archive_stats_schema[];
extern const char archive_tasks_schema[];

#endif
