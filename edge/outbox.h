/*
 * outbox.h — the box's durable queue, the one module that touches SQLite
 * on the edge.
 *
 * A message is *accepted* when outbox_put returns 0: its row is committed
 * (synchronous FULL by default, WAL). It stays until the collector's ack
 * covers its seq. seq is strictly +1 per message and survives restarts,
 * also when the outbox has been emptied (the last seq is kept in meta).
 * Main thread only.
 */
#ifndef BK_OUTBOX_H
#define BK_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "message.h"

/* Replay order after an outage: lower classes first. */
enum outbox_class {
	OUTBOX_ALERT = 0, /* events: legal evidence, sent first */
	OUTBOX_READING = 1,
	OUTBOX_BULK = 2,    /* clip manifests and other bulk */
	OUTBOX_ROUTINE = 3, /* central storage's segment manifests: after everything */
	OUTBOX_CLASSES
};

struct outbox_row {
	int64_t seq;
	enum outbox_class cls;
	char *topic;
	char *payload;
	size_t len;
	int64_t created_ms; /* wall clock at put */
};

struct outbox;

/* Open or create. sync_full false means synchronous=NORMAL (faster, may lose
 * the last commits on power loss). NULL with a log line on error. */
struct outbox *outbox_open(const char *path, bool sync_full);
void outbox_close(struct outbox *o);

/* The last seq issued (0 before the first message). */
int64_t outbox_last_seq(const struct outbox *o);

/* Several changes as one: begin, then outbox_put / outbox_event_set /
 * outbox_event_clear, then commit (0 or -errno; a failed commit rolls back)
 * or rollback. Without begin, each outbox_put is its own transaction. */
int outbox_begin(struct outbox *o);
int outbox_commit(struct outbox *o);
void outbox_rollback(struct outbox *o);

/* Append the message with seq == outbox_last_seq() + 1. 0 or -errno. */
int outbox_put(struct outbox *o, int64_t seq, enum outbox_class cls, const char *topic,
	       const char *payload, size_t len);

/* Delete every row with seq <= acked; returns how many, or -errno. */
int outbox_ack(struct outbox *o, int64_t acked);

/* The row of class cls with the smallest seq > after: 0, -ENOENT, -EIO.
 * The row's strings are newly allocated; release with outbox_row_clear. */
int outbox_next(struct outbox *o, enum outbox_class cls, int64_t after, struct outbox_row *row);
int outbox_get(struct outbox *o, int64_t seq, struct outbox_row *row);
void outbox_row_clear(struct outbox_row *row);

/* Delete up to max_rows of the oldest rows of class cls (one transaction).
 * The deleted seqs are written as ascending ranges into out (at most
 * max_ranges; eviction stops early rather than lose track of a seq).
 * Returns the number of rows deleted, or -errno. */
int outbox_evict_oldest(struct outbox *o, enum outbox_class cls, int max_rows,
			struct seq_range *out, size_t max_ranges, size_t *n_ranges);

/* Events still open, so that a restarted box closes what it opened
 * (rule state otherwise lives only in memory). set inserts or updates the
 * peak; clear forgets; events lists them. Strings are valid during fn only. */
typedef void (*outbox_event_fn)(void *ctx, const char *event_id, const char *sensor,
				const char *type, int64_t start_ms, double peak);
int outbox_event_set(struct outbox *o, const char *event_id, const char *sensor, const char *type,
		     int64_t start_ms, double peak);
int outbox_event_clear(struct outbox *o, const char *event_id);
int outbox_events(struct outbox *o, outbox_event_fn fn, void *ctx);

/* The video segment index: one row per closed segment file, wall-clock
 * times. add indexes a file (unpinned); between calls fn for each segment
 * of camera overlapping [from_ms, to_ms), oldest first (fields valid during
 * fn only; fn must not call the outbox); delete forgets one row (the file
 * is the caller's). 0 or -EIO. */
struct outbox_segment {
	int64_t id;
	const char *camera;
	int64_t start_ms, end_ms;
	const char *path;
	int64_t bytes;
	bool pinned;  /* held by an unsent clip or owed to the centre: kept by retention */
	bool central; /* owed to the centre (not yet verified there) */
};
typedef void (*outbox_segment_fn)(void *ctx, const struct outbox_segment *seg);
int outbox_segment_add(struct outbox *o, const char *camera, int64_t start_ms, int64_t end_ms,
		       const char *path, int64_t bytes);
int outbox_segments_between(struct outbox *o, const char *camera, int64_t from_ms, int64_t to_ms,
			    outbox_segment_fn fn, void *ctx);
int outbox_segment_delete(struct outbox *o, int64_t id);
/* fn for up to max of the oldest segments no clip pins, of every camera:
 * those owed to the centre last (for the disk budget, which may take them
 * when nothing else is left; seg->central says so). 0 or -EIO. */
int outbox_segments_oldest_unpinned(struct outbox *o, int max, outbox_segment_fn fn, void *ctx);
/* Bytes of all indexed segments. */
int64_t outbox_segment_bytes(struct outbox *o);
/* Milliseconds of camera's indexed video inside [from_ms, to_ms), or -EIO. */
int64_t outbox_recorded_ms(struct outbox *o, const char *camera, int64_t from_ms, int64_t to_ms);
/* Start of camera's oldest indexed segment (0: none), or -EIO. */
int64_t outbox_first_segment_ms(struct outbox *o, const char *camera);
/* The start of the last hour whose recorded minutes were reported for
 * camera (0: none yet), or -EIO; set remembers it (inside the transaction
 * that commits the report). */
int64_t outbox_coverage_reported(struct outbox *o, const char *camera);
int outbox_coverage_set(struct outbox *o, const char *camera, int64_t hour_ms);

/* Central storage (edge/evidence.c): a camera marked central_storage owes
 * the centre every segment it records from the moment it is marked. mark
 * on remembers the camera (the start of its newest segment so far as the
 * last announced; nothing if marked already), off forgets it and unpins
 * what it owed. next calls fn with the oldest segment not announced yet
 * (0, -ENOENT when none, -EIO); set moves the last announced start forward.
 * A segment owed is pinned until announced and then until its upload (a
 * clips row of kind "segment" whose path is the segment's) is deleted. */
int outbox_central_mark(struct outbox *o, const char *camera, bool on);
int outbox_central_next(struct outbox *o, const char *camera, outbox_segment_fn fn, void *ctx);
int outbox_central_set(struct outbox *o, const char *camera, int64_t through_ms);

/* Clips and snapshots from request to verified upload (edge/evidence.c).
 * want records a request for camera's [from_ms, to_ms] (a snapshot:
 * from = to); while it is not built, the segments it overlaps are pinned.
 * set_end moves the end of a request not yet built (-ENOENT if there is
 * none); built records the file and the seq of its manifest; delete
 * forgets (the file is the caller's). 0 or -EIO (want: also for a clip id
 * already known). */
struct outbox_clip {
	const char *clip_id, *camera, *event_id /* may be NULL */;
	const char *kind; /* video, snapshot, segment (central storage: path is the segment) */
	int64_t from_ms, to_ms;
	bool built;
	const char *path; /* NULL until built */
	int64_t seq, bytes;
	int chunk_size, chunk_count;
	int64_t created_ms;
};
typedef void (*outbox_clip_fn)(void *ctx, const struct outbox_clip *clip);
int outbox_clip_want(struct outbox *o, const char *clip_id, const char *camera,
		     const char *event_id, const char *kind, int64_t from_ms, int64_t to_ms);
int outbox_clip_set_end(struct outbox *o, const char *clip_id, int64_t to_ms);
int outbox_clip_built(struct outbox *o, const char *clip_id, const char *path, int64_t seq,
		      int64_t bytes, int chunk_size, int chunk_count);
int outbox_clip_delete(struct outbox *o, const char *clip_id);
/* fn for every clip, oldest request first (fields valid during fn only; fn
 * must not call the outbox). 0 or -EIO. */
int outbox_clips(struct outbox *o, outbox_clip_fn fn, void *ctx);
/* Bytes of the built clip files waiting for verification (segments'
 * uploads not counted: their files are the segments). */
int64_t outbox_clip_bytes(struct outbox *o);

/* Bytes of the database in use (pages not on the free list). */
int64_t outbox_used_bytes(struct outbox *o);

/* Rows waiting, and the creation time of the oldest (0 when empty). */
int64_t outbox_depth(struct outbox *o);
int64_t outbox_oldest_ms(struct outbox *o);
/* Bytes the database files take on disk. */
int64_t outbox_disk_bytes(const struct outbox *o);

#endif
