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

#include <glib.h>

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

/* Run one SQL statement with nparams bound parameters (?1…), calling fn
 * (may be NULL) for each row. For the archive's own modules and tools;
 * 0 or -EIO with a log line. */
int archive_query(struct archive *a, const char *sql, const struct archive_value *params,
		  int nparams, archive_row_fn fn, void *ctx);

/* --- the registry (archive_registry.c) ----------------------------- */

/* What can be imported and exported as CSV (UTF-8, a header row naming
 * the columns; README.md, "Registry", lists them). */
enum registry_kind {
	REGISTRY_ESTABLISHMENTS,
	REGISTRY_BOXES, /* a box bound to an establishment */
	REGISTRY_CAMERAS,
	REGISTRY_SENSORS,
	REGISTRY_INSPECTORS,
	REGISTRY_REGULATORS,
	REGISTRY_KINDS
};
extern const char *const registry_kind_names[]; /* "establishments", … */

/* Import len bytes of CSV (cloud/csv.h) into a writable archive, in one
 * transaction of its own: every row is checked first (fields, duplicate
 * keys in the file, references to rows already stored: a box's licence,
 * a camera's or sensor's box); one bad row and nothing is stored, and each
 * problem (up to 50) is appended to errors as one line
 * "LINE:COLUMN: reason" (COLUMN by header name when the header is known,
 * else its number). A row whose key exists replaces it, and its `updated`
 * moves only when a value changed; nothing is deleted. Returns the number
 * of rows added or changed (0 when the same file is imported again),
 * -EINVAL when rows were refused, -EIO. */
int archive_registry_import(struct archive *a, enum registry_kind kind, const char *csv,
			    size_t len, GString *errors);
/* Append the table to out as CSV: a header row, then one row per record
 * sorted by key, the same columns import takes (LF line ends, no BOM).
 * 0 or -EIO. */
int archive_registry_export(struct archive *a, enum registry_kind kind, GString *out);
/* The table for people (bkctl registry list): the CSV's columns, plus
 * `updated` and a few joined figures (an establishment's boxes, a box's
 * establishment name, state, cameras and sensors), one fn call per row. */
int archive_registry_list(struct archive *a, enum registry_kind kind, archive_row_fn fn,
			  void *ctx);

/* The establishment a box is bound to (any archive, read-only too; one
 * query per call). 0, -ENOENT (not bound), -EIO. */
struct establishment_ref {
	char licence[64];
	char name[256];
	char category[32];
	char district[8];
};
int archive_box_establishment(struct archive *a, const char *box, struct establishment_ref *out);

/* --- alerts and statistics (archive_stats.c) ----------------------- */

/* Local time is Asia/Shanghai (UTC+8, no DST): days, weeks (ISO) and
 * months of the statistics, and business hours, are local; timestamps in
 * and out are UTC as everywhere. All of these run on the caller's thread
 * with its struct archive; rows are as in reports (archive_row_fn). */

/* A period and a selection: timestamps [from, to) (UTC, as everywhere),
 * district and category NULL for all. */
struct stats_query {
	const char *from, *to;
	const char *district, *category;
	int limit;		    /* <= 0: 100 */
	const char *archived_after; /* archive_alerts only: alerts archived after
				     * this, oldest first (bkctl alerts --follow) */
};

/* Rollups kept on ingest: archive_put_reading calls this for every
 * reading it stores; a video_recorded reading (sensor = camera, t = the
 * hour's start, value = minutes) updates the per-camera and per-box
 * hourly minutes, keeping the largest value of a repeat. Other kinds: 0
 * at once. 0 or -EIO. archive_rollup_samples does the same for n samples
 * of one box with its statements prepared once (tools/bk-synth). */
int archive_rollup_reading(struct archive *a, const char *box, const char *kind,
			   const char *sensor, const char *t, double value);
int archive_rollup_samples(struct archive *a, const char *box, const struct reading_sample *s,
			   size_t n);

/* An event step just archived (inside the batch's transaction): if it
 * opens an alert (severity warning or critical, about the kitchen: not
 * camera_offline, sensor_fault, data_dropped or evidence_request, which
 * speak of the box), record the alert as "new" with its establishment
 * (none if the box is not bound: licence NULL) and return 1, so that the
 * collector fans it out; 0 otherwise (not an alert, or already known: a
 * later step may raise its severity); -EIO. An event that starts at
 * info and is raised to warning opens its alert with that step. A step
 * closing the event keeps the alert's handling state (a regulator still
 * has to close it). */
int archive_alert_from_event(struct archive *a, const struct message *m);

/* fn once with the alert of (box, event_id) as fanned out (box, event_id,
 * district, licence, name, type, severity, start, zone, source, message),
 * if it is an alert of a bound box; not at all otherwise. 0 or -EIO. */
int archive_alert_get(struct archive *a, const char *box, const char *event_id,
		      archive_row_fn fn, void *ctx);

/* Handling: new → acknowledged → in_progress → closed (acknowledged →
 * closed is allowed too: a false alarm needs no work), each step with who
 * and when (at: a timestamp, NULL for now; not before the previous
 * handling step) and an optional note, kept as history. -EINVAL for a
 * step not allowed from the current state (or a bad state, by or at),
 * -ENOENT, -EIO. Runs in a savepoint: inside or outside a transaction. */
int archive_alert_step(struct archive *a, const char *box, const char *event_id,
		       const char *state, const char *by, const char *note, const char *at);

/* A coverage target: share (0..1) of a category's establishments. */
struct coverage_target {
	const char *category;
	double share;
};

/* Rows for fn (archive_row_fn, names and values as in reports):
 * alerts: one row per alert whose start is in the period (state NULL for
 *   all), newest first, with its establishment, state and handling times;
 * alert_stats: counts grouped by group_by (type, establishment, district,
 *   category, day, week, month), with median and p90 minutes to
 *   acknowledge and to close, and the previous period's count beside,
 *   then a total row; q->limit keeps the top N groups (time buckets:
 *   every one of the period);
 * coverage: per district × category, then per category and overall:
 *   establishments, installed, effective (share of business-hours
 *   minutes with recorded video ≥ threshold), their shares and the target
 *   for the category (targets NULL: school_canteen 50 %); the period is
 *   widened to whole local days;
 * coverage_detail: one establishment's business-hours and recorded
 *   minutes, its cameras, and its offline intervals in the period
 *   (-ENOENT for an unknown licence);
 * year_report: the bureau's yearly self-evaluation figures, one row each.
 * 0, -EINVAL (bad group_by, period or year), -EIO. */
int archive_alerts(struct archive *a, const struct stats_query *q, const char *state,
		   archive_row_fn fn, void *ctx);
int archive_alert_stats(struct archive *a, const struct stats_query *q, const char *group_by,
			archive_row_fn fn, void *ctx);
int archive_coverage(struct archive *a, const struct stats_query *q, double threshold,
		     const struct coverage_target *targets, size_t n_targets, archive_row_fn fn,
		     void *ctx);
int archive_coverage_detail(struct archive *a, const char *licence, const struct stats_query *q,
			    archive_row_fn fn, void *ctx);
int archive_year_report(struct archive *a, int year, double threshold,
			const struct coverage_target *targets, size_t n_targets, archive_row_fn fn,
			void *ctx);

/* Local time (Asia/Shanghai) helpers for callers: "YYYY-MM-DD" (local
 * midnight) or a full timestamp into Unix ms; false if neither. */
bool archive_parse_when(const char *text, int64_t *unix_ms);

#endif
