/*
 * archive_recordings.c — central continuous storage (archive.h, "central
 * continuous storage"): the index of the segments boxes upload for cameras
 * marked central_storage, what it holds per box and camera, and retention.
 *
 * Invariants: a recordings row exists only for a verified object in the
 * clip store (clip_intake.c writes it when the segment's clip is
 * verified); retention deletes the row and its clips row together, and
 * names an object for removal only once no verified clip references its
 * sha256 (a one-segment event clip has the same content as the segment).
 * Several collectors may expire at once: deletes are by key and idempotent.
 *
 * Costs: one indexed query per look-up; retention sums the table once per
 * run (an index scan) and deletes row by row (two statements each).
 */
#include "archive.h"
#include "archive_internal.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#include "clock.h"

#define SEGMENT_PREFIX "segment:"
#define EXPIRE_PAGE    500 /* candidates read per query */

const char archive_recordings_schema[] =
    "CREATE TABLE recordings(box TEXT NOT NULL, clip_id TEXT NOT NULL, camera TEXT NOT NULL,"
    " start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, bytes INTEGER NOT NULL,"
    " sha256 TEXT NOT NULL, path TEXT NOT NULL, received_at TEXT NOT NULL,"
    " PRIMARY KEY(box, clip_id)) WITHOUT ROWID;"
    "CREATE INDEX recordings_by_camera ON recordings(box, camera, start_ms);"
    "CREATE INDEX recordings_by_start ON recordings(start_ms);"
    "CREATE INDEX clips_by_sha256 ON clips(sha256);";

bool archive_is_segment_clip(const char *clip_id)
{
	return clip_id && g_str_has_prefix(clip_id, SEGMENT_PREFIX);
}

int archive_recording_put(struct archive *a, const struct archive_recording *r)
{
	char now[CLOCK_TS_LEN];
	int64_t n = 0;
	struct archive_value p[9];

	if (!archive_good_text(r->box, 64, false) || !archive_good_text(r->clip_id, 128, false) ||
	    !archive_good_text(r->camera, 64, false) || !archive_good_text(r->path, 4096, false) ||
	    !r->sha256 || strlen(r->sha256) != 64 || r->end_ms < r->start_ms || r->bytes < 0)
		return -EINVAL;
	clock_format_ms(clock_wall_ms(), now);
	p[0] = text_value(r->box);
	p[1] = text_value(r->clip_id);
	p[2] = text_value(r->camera);
	p[3] = int_value(r->start_ms);
	p[4] = int_value(r->end_ms);
	p[5] = int_value(r->bytes);
	p[6] = text_value(r->sha256);
	p[7] = text_value(r->path);
	p[8] = text_value(now);
	if (archive_query(a,
			  "INSERT OR IGNORE INTO recordings(box, clip_id, camera, start_ms, end_ms,"
			  " bytes, sha256, path, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
			  " ?8, ?9)",
			  p, 9, NULL, NULL))
		return -EIO;
	archive_changes(a, &n);
	return n > 0 ? 1 : 0;
}

/* A segment's clip row, for its recordings row. */
struct segment_row {
	bool found;
	char camera[65], start[CLOCK_TS_LEN], end[CLOCK_TS_LEN], sha256[65];
	int64_t bytes;
};

static void on_segment_clip(void *ctx, const struct archive_clip *c)
{
	struct segment_row *r = ctx;

	r->found = true;
	g_strlcpy(r->camera, c->camera, sizeof r->camera);
	g_strlcpy(r->start, c->start, sizeof r->start);
	g_strlcpy(r->end, c->end, sizeof r->end);
	g_strlcpy(r->sha256, c->sha256, sizeof r->sha256);
	r->bytes = c->bytes;
}

int archive_recording_verified(struct archive *a, const char *box, const char *clip_id,
			       const char *path)
{
	struct segment_row r = { 0 };
	struct archive_recording rec;
	int rc = archive_savepoint(a, "segment");

	if (!rc)
		rc = archive_set_clip_state(a, box, clip_id, "verified", path, NULL);
	if (!rc)
		rc = archive_get_clip(a, box, clip_id, on_segment_clip, &r);
	rec = (struct archive_recording){ .box = box,
					  .clip_id = clip_id,
					  .camera = r.camera,
					  .bytes = r.bytes,
					  .sha256 = r.sha256,
					  .path = path };
	if (!rc && (!clock_parse_ts(r.start, &rec.start_ms) || !clock_parse_ts(r.end, &rec.end_ms)))
		rc = -EINVAL;
	if (!rc)
		rc = archive_recording_put(a, &rec);
	return archive_savepoint_end(a, "segment", rc < 0 ? rc : 0);
}

static int64_t int_of(int ncols, const char *const *names, const struct archive_value *v,
		      const char *name)
{
	const struct archive_value *x = archive_column(ncols, names, v, name);

	return !x ? 0 : x->type == VALUE_INT ? x->i : x->type == VALUE_REAL ? (int64_t)x->r : 0;
}

struct between {
	archive_recording_fn fn;
	void *ctx;
};

static void on_recording(void *ctx, int ncols, const char *const *names,
			 const struct archive_value *v)
{
	struct between *b = ctx;
	struct archive_recording r = {
		.box = archive_column_text(ncols, names, v, "box"),
		.clip_id = archive_column_text(ncols, names, v, "clip_id"),
		.camera = archive_column_text(ncols, names, v, "camera"),
		.start_ms = int_of(ncols, names, v, "start_ms"),
		.end_ms = int_of(ncols, names, v, "end_ms"),
		.bytes = int_of(ncols, names, v, "bytes"),
		.sha256 = archive_column_text(ncols, names, v, "sha256"),
		.path = archive_column_text(ncols, names, v, "path"),
	};

	b->fn(b->ctx, &r);
}

int archive_recordings_between(struct archive *a, const char *box, const char *camera,
			       int64_t from_ms, int64_t to_ms, archive_recording_fn fn, void *ctx)
{
	struct between b = { fn, ctx };
	struct archive_value p[4] = { text_value(box), text_value(camera), int_value(from_ms),
				      int_value(to_ms) };

	return archive_query(a,
			     "SELECT box, clip_id, camera, start_ms, end_ms, bytes, sha256, path"
			     " FROM recordings WHERE box = ?1 AND camera = ?2 AND start_ms < ?4"
			     " AND end_ms > ?3 ORDER BY start_ms, clip_id",
			     p, 4, on_recording, &b);
}

void archive_recordings_spans(const struct archive_span *segs, size_t n, int64_t from_ms,
			      int64_t to_ms, int64_t slack_ms, GArray *ranges, GArray *gaps)
{
	int64_t at = from_ms; /* covered up to here */
	struct archive_span cur = { 0, 0 };
	bool open = false;

	for (size_t i = 0; i < n && at < to_ms; i++) {
		int64_t s = MAX(segs[i].from_ms, from_ms), e = MIN(segs[i].to_ms, to_ms);

		if (e <= s || e <= at)
			continue;
		if (open && s <= cur.to_ms + slack_ms) {
			cur.to_ms = MAX(cur.to_ms, e);
		} else {
			if (open)
				g_array_append_val(ranges, cur);
			/* a gap from the end of what is covered to this start */
			if (gaps && s > at && s - at > (open ? slack_ms : 0)) {
				struct archive_span g = { at, s };

				g_array_append_val(gaps, g);
			}
			cur = (struct archive_span){ s, e };
			open = true;
		}
		at = cur.to_ms;
	}
	if (open)
		g_array_append_val(ranges, cur);
	if (gaps && at < to_ms && to_ms - at > (open ? slack_ms : 0)) {
		struct archive_span g = { at, to_ms };

		g_array_append_val(gaps, g);
	}
}

struct usage {
	archive_storage_fn fn;
	void *ctx;
};

static void on_usage(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	struct usage *u = ctx;
	struct archive_storage_use use = {
		.box = archive_column_text(ncols, names, v, "box"),
		.camera = archive_column_text(ncols, names, v, "camera"),
		.segments = int_of(ncols, names, v, "segments"),
		.bytes = int_of(ncols, names, v, "bytes"),
		.oldest_ms = int_of(ncols, names, v, "oldest_ms"),
		.newest_ms = int_of(ncols, names, v, "newest_ms"),
	};

	u->fn(u->ctx, &use);
}

int archive_storage_use(struct archive *a, const char *box, archive_storage_fn fn, void *ctx)
{
	struct usage u = { fn, ctx };
	struct archive_value p[1] = { text_value(box) };

	return archive_query(a,
			     "SELECT box, camera, count(*) AS segments, sum(bytes) AS bytes,"
			     " min(start_ms) AS oldest_ms, max(end_ms) AS newest_ms FROM recordings"
			     " WHERE (?1 IS NULL OR box = ?1) GROUP BY box, camera ORDER BY box,"
			     " camera",
			     p, 1, on_usage, &u);
}

/* --- retention --------------------------------------------------------- */

struct victim {
	char *box, *clip_id, *sha256;
	int64_t bytes;
};

struct victims {
	GArray *list;	/* of struct victim */
	int64_t excess; /* budget pass: bytes still to free; < 0: take every row */
};

static void victim_clear(struct victim *v)
{
	g_free(v->box);
	g_free(v->clip_id);
	g_free(v->sha256);
}

static void on_candidate(void *ctx, int ncols, const char *const *names,
			 const struct archive_value *v)
{
	struct victims *x = ctx;
	struct victim vi;

	if (x->excess == 0)
		return; /* enough */
	vi.box = g_strdup(archive_column_text(ncols, names, v, "box"));
	vi.clip_id = g_strdup(archive_column_text(ncols, names, v, "clip_id"));
	vi.sha256 = g_strdup(archive_column_text(ncols, names, v, "sha256"));
	vi.bytes = int_of(ncols, names, v, "bytes");
	if (x->excess > 0)
		x->excess = MAX(x->excess - vi.bytes, 0);
	g_array_append_val(x->list, vi);
}

static void on_count(void *ctx, int ncols, const char *const *names, const struct archive_value *v)
{
	(void)names;
	*(int64_t *)ctx = ncols > 0 ? (v[0].type == VALUE_INT	 ? v[0].i
				       : v[0].type == VALUE_REAL ? (int64_t)v[0].r
								 : 0)
				    : 0;
}

/* Delete the victims' rows; count what this call deleted, and collect the
 * sha256 of those it did (checked for references after the commit). */
static int delete_victims(struct archive *a, GArray *list, int64_t *rows, int64_t *bytes,
			  GHashTable *shas)
{
	for (guint i = 0; i < list->len; i++) {
		struct victim *v = &g_array_index(list, struct victim, i);
		struct archive_value p[2] = { text_value(v->box), text_value(v->clip_id) };
		int64_t n = 0;

		if (archive_query(a, "DELETE FROM recordings WHERE box = ?1 AND clip_id = ?2", p, 2,
				  NULL, NULL))
			return -EIO;
		archive_changes(a, &n);
		if (n == 0)
			continue; /* another collector took it */
		if (archive_query(a, "DELETE FROM clips WHERE box = ?1 AND clip_id = ?2", p, 2,
				  NULL, NULL))
			return -EIO;
		++*rows;
		*bytes += v->bytes;
		g_hash_table_add(shas, g_strdup(v->sha256));
	}
	return 0;
}

static void clear_list(GArray *list)
{
	for (guint i = 0; i < list->len; i++)
		victim_clear(&g_array_index(list, struct victim, i));
	g_array_set_size(list, 0);
}

int archive_recordings_expire(struct archive *a, int64_t cutoff_ms, int64_t budget, int64_t *rows,
			      int64_t *bytes, GPtrArray *unreferenced)
{
	GHashTable *shas = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	struct victims x = { g_array_new(FALSE, FALSE, sizeof(struct victim)), -1 };
	struct archive_value p[2] = { int_value(cutoff_ms), int_value(EXPIRE_PAGE) };
	GHashTableIter it;
	gpointer sha;
	int rc;

	*rows = *bytes = 0;
	rc = archive_savepoint(a, "expire");
	/* by age, a page at a time */
	while (!rc) {
		x.excess = -1;
		rc = archive_query(a,
				   "SELECT box, clip_id, sha256, bytes FROM recordings"
				   " WHERE end_ms <= ?1 ORDER BY start_ms, box, clip_id LIMIT ?2",
				   p, 2, on_candidate, &x);
		if (!rc)
			rc = delete_victims(a, x.list, rows, bytes, shas);
		if (rc || x.list->len < EXPIRE_PAGE) {
			clear_list(x.list);
			break;
		}
		clear_list(x.list);
	}
	/* by the budget: the oldest, only as many as needed */
	while (!rc && budget > 0) {
		int64_t total = 0;

		rc = archive_query(a, "SELECT coalesce(sum(bytes), 0) FROM recordings", NULL, 0,
				   on_count, &total);
		if (rc || total <= budget)
			break;
		x.excess = total - budget;
		rc = archive_query(a,
				   "SELECT box, clip_id, sha256, bytes FROM recordings"
				   " ORDER BY start_ms, box, clip_id LIMIT ?1",
				   p + 1, 1, on_candidate, &x);
		if (!rc)
			rc = delete_victims(a, x.list, rows, bytes, shas);
		if (!rc && x.list->len == 0)
			break;
		clear_list(x.list);
	}
	clear_list(x.list);
	g_array_free(x.list, TRUE);
	rc = archive_savepoint_end(a, "expire", rc);
	if (rc < 0) {
		*rows = *bytes = 0;
		g_hash_table_destroy(shas);
		return rc;
	}
	/* after the commit: an object still referenced by a verified clip
	 * (an event clip of the same content) stays */
	g_hash_table_iter_init(&it, shas);
	while (g_hash_table_iter_next(&it, &sha, NULL)) {
		struct archive_value q[1] = { text_value(sha) };
		int64_t refs = 1;

		if (archive_query(
			a, "SELECT count(*) FROM clips WHERE sha256 = ?1 AND state = 'verified'", q,
			1, on_count, &refs) == 0 &&
		    refs == 0)
			g_ptr_array_add(unreferenced, g_strdup(sha));
	}
	g_hash_table_destroy(shas);
	return 0;
}
