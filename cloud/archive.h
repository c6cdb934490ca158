/*
 * archive.h — the centre's archive, the one module that touches SQLite on
 * the cloud side (bk-collector writes, bkctl reads).
 *
 * Invariants: every stream message is stored once under (sender, seq)
 * with its raw payload, so a replay is harmless and a gap is visible;
 * writes happen inside archive_begin/archive_commit, committed with
 * synchronous=FULL before anything is acknowledged to a box.
 * One struct archive per thread.
 */
#ifndef BK_ARCHIVE_H
#define BK_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "message.h"

struct archive;

/* Open (and create or migrate) the archive at path. NULL with a log line on error. */
struct archive *archive_open(const char *path, bool read_only);
void archive_close(struct archive *a);

int archive_begin(struct archive *a);
int archive_commit(struct archive *a);
void archive_rollback(struct archive *a);

/* Store one stream message. 1 when new, 0 when (sender, seq) was already there, -EIO. */
int archive_put_message(struct archive *a, const char *sender, int64_t seq, const char *kind,
			const char *ts, const char *payload, size_t len);
int archive_put_reading(struct archive *a, const char *sender, int64_t seq, int idx,
			const char *sensor, const char *kind, const char *t, double value,
			const char *unit);
/* Record a box's status: the boxes row always, the status log on a change of state. */
int archive_put_status(struct archive *a, const char *box, bool online, const char *version,
		       const char *ts, int64_t last_seq, const char *health_json);
int archive_put_reject(struct archive *a, const char *topic, const char *sender, const char *reason,
		       const void *head, size_t head_len);

/* Per-box delivery progress: acked = every seq up to it accounted for. */
int archive_get_progress(struct archive *a, const char *box, int64_t *acked);
int archive_set_progress(struct archive *a, const char *box, int64_t acked, int64_t max_seen);
/* Call fn for each archived seq ([seq, seq]) and each dropped range of box
 * that reaches above after, in no particular order. */
int archive_accounted_above(struct archive *a, const char *box, int64_t after,
			    void (*fn)(void *ctx, int64_t first, int64_t last), void *ctx);

/* An event message's step (m->kind == MSG_EVENT, validated): kept in the
 * history and folded into the event's current state. */
int archive_put_event(struct archive *a, const struct message *m);
/* Seqs [first, last] the box reported evicted unsent, in its event event_seq. */
int archive_put_dropped(struct archive *a, const char *box, int64_t first, int64_t last,
			int64_t event_seq);

/* Clips and snapshots announced by boxes. put stores a manifest's clip
 * (returns 1 stored, 0 already known, or -errno); set_clip_state records
 * "verified" (with its path in the clip store) or "rejected" (with the
 * reason); get_clip calls fn with the row (-ENOENT if none). */
struct archive_clip {
	const char *box, *clip_id, *camera, *event_id /* may be NULL */, *mime;
	const char *start, *end, *sha256;
	int64_t seq, bytes;
	int chunk_size, chunk_count;
	const char *chunks; /* the chunks' SHA-256, space-separated */
	const char *state;  /* receiving, verified, rejected */
	const char *path;   /* in the clip store, once verified */
};
typedef void (*archive_clip_fn)(void *ctx, const struct archive_clip *c);
int archive_put_clip(struct archive *a, const struct archive_clip *c);
int archive_set_clip_state(struct archive *a, const char *box, const char *clip_id,
			   const char *state, const char *path, const char *reason);
int archive_get_clip(struct archive *a, const char *box, const char *clip_id, archive_clip_fn fn,
		     void *ctx);

/* Small persistent counters (e.g. the collector's own envelope seq). */
int archive_meta_get(struct archive *a, const char *key, int64_t *value);
int archive_meta_set(struct archive *a, const char *key, int64_t value);

/* --- reports for bkctl and the API ---------------------------------- */

enum archive_report {
	REPORT_BOXES,	    /* one row per box */
	REPORT_READINGS,    /* newest first, filtered */
	REPORT_REJECTS,	    /* newest first */
	REPORT_EVENTS,	    /* each event's current state, newest first */
	REPORT_EVENT_STEPS, /* every step of every event (the history), newest first */
	REPORT_GAPS,	    /* per box, seq ranges neither archived nor reported dropped */
	REPORT_ACTIVITY,    /* everything archived after filter->since, oldest first */
	REPORT_CLIPS,	    /* clips, newest first; filter->sensor is the camera */
};

struct archive_filter {
	const char *box;    /* NULL: all */
	const char *sensor; /* NULL: all */
	const char *since;  /* timestamp, NULL: no bound */
	int limit;	    /* <= 0: default 100 */
};

enum archive_value_type { VALUE_NULL, VALUE_INT, VALUE_REAL, VALUE_TEXT };

struct archive_value {
	enum archive_value_type type;
	int64_t i;
	double r;
	const char *text;
};

/* Called once per row; names and values are valid only during the call. */
typedef void (*archive_row_fn)(void *ctx, int ncols, const char *const *names,
			       const struct archive_value *values);

int archive_report(struct archive *a, enum archive_report report,
		   const struct archive_filter *filter, archive_row_fn fn, void *ctx);

#endif
