/*
 * archive_live.c — the audit trail of live view (archive.h, "live view"):
 * one row per viewing, by the regulators' page (through a collector) or by
 * bkctl, refused ones included: who, which camera, from when to when,
 * bytes, and why it ended.
 *
 * A viewing's row is written when it starts, so that one cut short by a
 * crash still shows who was watching (its end stays empty).
 */
#include "archive.h"
#include "archive_internal.h"

#include <errno.h>
#include <string.h>

#include "clock.h"

const char archive_live_schema[] =
    "CREATE TABLE live_views(id INTEGER PRIMARY KEY, viewer TEXT NOT NULL, box TEXT NOT NULL,"
    " camera TEXT NOT NULL, started TEXT NOT NULL, ended TEXT, bytes INTEGER NOT NULL"
    " DEFAULT 0, why TEXT);"
    "CREATE INDEX live_views_by_start ON live_views(started);"
    "ALTER TABLE boxes ADD COLUMN cameras TEXT;";

static void on_id(void *ctx, int ncols, const char *const *names,
		  const struct archive_value *values)
{
	(void)names;
	if (ncols == 1 && values[0].type == VALUE_INT)
		*(int64_t *)ctx = values[0].i;
}

int64_t archive_live_view_begin(struct archive *a, const char *viewer, const char *box,
				const char *camera, int64_t start_ms)
{
	char start[CLOCK_TS_LEN];
	struct archive_value p[4];
	int64_t id = -EIO;

	if (!archive_good_text(viewer, 256, false) || !archive_good_text(box, 64, false) ||
	    !archive_good_text(camera, 64, false))
		return -EINVAL;
	clock_format_ms(start_ms, start);
	p[0] = text_value(viewer);
	p[1] = text_value(box);
	p[2] = text_value(camera);
	p[3] = text_value(start);
	if (archive_begin(a))
		return -EIO;
	if (archive_query(a,
			  "INSERT INTO live_views(viewer, box, camera, started) VALUES (?1, ?2, ?3,"
			  " ?4) RETURNING id",
			  p, 4, on_id, &id) ||
	    archive_commit(a)) {
		archive_rollback(a);
		return -EIO;
	}
	return id;
}

int archive_live_view_end(struct archive *a, int64_t id, int64_t end_ms, int64_t bytes,
			  const char *why)
{
	char end[CLOCK_TS_LEN];
	struct archive_value p[4];
	int64_t n = 0;

	if (!archive_good_text(why, 512, true))
		why = "(a reason too long to keep, or not text)";
	clock_format_ms(end_ms, end);
	p[0] = int_value(id);
	p[1] = text_value(end);
	p[2] = int_value(bytes);
	p[3] = why ? text_value(why) : (struct archive_value){ .type = VALUE_NULL };
	if (archive_begin(a))
		return -EIO;
	if (archive_query(a, "UPDATE live_views SET ended = ?2, bytes = ?3, why = ?4 WHERE id = ?1",
			  p, 4, NULL, NULL) ||
	    archive_changes(a, &n) || archive_commit(a)) {
		archive_rollback(a);
		return -EIO;
	}
	return n ? 0 : -ENOENT;
}
