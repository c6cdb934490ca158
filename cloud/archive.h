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
/* The samples of one reading message, in order (idx from 0): one
 * statement per sample on SQLite (prepared once), one per 100 on
 * PostgreSQL, where each statement is a round trip. 0 or -EIO. */
struct archive_reading {
	const char *sensor, *kind, *t, *unit;
	double value;
};
int archive_put_readings(struct archive *a, const char *sender, int64_t seq,
			 const struct archive_reading *r, size_t n);
/* A box's status message as the archive keeps it; NULL text leaves the
 * stored value as it was (a last will says little). */
struct archive_box_status {
	const char *box;
	bool online;
	const char *version;
	const char *ts;
	int64_t last_seq;
	const char *health_json;
	const char *cert_serial, *cert_not_after;
	const char *cameras_json; /* [{"id", "state"}] as in the status; NULL: keep */
};

/* Record a box's status: the boxes row always, the status log on a change of state. */
int archive_put_status(struct archive *a, const struct archive_box_status *s);
int archive_put_reject(struct archive *a, const char *topic, const char *sender, const char *reason,
		       const void *head, size_t head_len);

/* Per-box delivery progress: acked = every seq up to it accounted for.
 * Setting never moves either figure back (several collectors may write). */
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
	REPORT_LIVE_VIEWS,  /* live view's audit trail, newest first; filter->sensor: camera */
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

/* In a row given to an archive_row_fn: the value of the column called name,
 * or NULL when there is none; and its text, NULL unless it is text. */
const struct archive_value *archive_column(int ncols, const char *const *names,
					   const struct archive_value *values, const char *name);
const char *archive_column_text(int ncols, const char *const *names,
				const struct archive_value *values, const char *name);

int archive_report(struct archive *a, enum archive_report report,
		   const struct archive_filter *filter, archive_row_fn fn, void *ctx);

/* Run one SQL statement with nparams bound parameters (?1…), calling fn
 * (may be NULL) for each row. For the archive's own modules and tools;
 * 0 or -EIO with a log line. */
int archive_query(struct archive *a, const char *sql, const struct archive_value *params,
		  int nparams, archive_row_fn fn, void *ctx);

/* --- live view: the audit trail (archive_live.c) -------------------- */

/* A viewing of box/camera by viewer began at start_ms (refused ones too):
 * its id (> 0), -EINVAL for text out of bounds, -EIO. Its own transaction. */
int64_t archive_live_view_begin(struct archive *a, const char *viewer, const char *box,
				const char *camera, int64_t start_ms);
/* ... and ended: bytes relayed, why (NULL: none given). 0, -ENOENT, -EIO. */
int archive_live_view_end(struct archive *a, int64_t id, int64_t end_ms, int64_t bytes,
			  const char *why);
/* The viewings themselves: archive_report(REPORT_LIVE_VIEWS): id, viewer,
 * box, camera, started, ended (NULL while it runs), seconds, bytes, why. */

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
int archive_registry_import(struct archive *a, enum registry_kind kind, const char *csv, size_t len,
			    GString *errors);
/* Append the table to out as CSV: a header row, then one row per record
 * sorted by key, the same columns import takes (LF line ends, no BOM).
 * 0 or -EIO. */
int archive_registry_export(struct archive *a, enum registry_kind kind, GString *out);
/* The table for people (bkctl registry list): the CSV's columns, plus
 * `updated` and a few joined figures (an establishment's boxes, a box's
 * establishment name, state, cameras and sensors), one fn call per row. */
int archive_registry_list(struct archive *a, enum registry_kind kind, archive_row_fn fn, void *ctx);

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
int archive_rollup_reading(struct archive *a, const char *box, const char *kind, const char *sensor,
			   const char *t, double value);
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
int archive_alert_get(struct archive *a, const char *box, const char *event_id, archive_row_fn fn,
		      void *ctx);

/* Handling: new → acknowledged → in_progress → closed (acknowledged →
 * closed is allowed too: a false alarm needs no work), each step with who
 * and when (at: a timestamp, NULL for now; not before the previous
 * handling step) and an optional note, kept as history. -EINVAL for a
 * step not allowed from the current state (or a bad state or at),
 * -EILSEQ when by (1–128 bytes) or note (up to 2048) is not printable text,
 * -ENOENT, -EIO. Runs in a savepoint: inside or outside a transaction. */
int archive_alert_step(struct archive *a, const char *box, const char *event_id, const char *state,
		       const char *by, const char *note, const char *at);

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

/* --- tasks, grading and lists (archive_tasks.c) ---------------------- */

/* Inspection tasks, the risk grade of each establishment and the
 * regulators' list filtering (名单筛选). Dates (due, licence expiry) are
 * local YYYY-MM-DD (Asia/Shanghai); times are UTC timestamps. now_ms is
 * the caller's "now" (clock_wall_ms(), or a fixed time in tests). Every
 * write runs in a savepoint: inside or outside a transaction, all or
 * nothing. Same thread rules as the rest of the archive. */

#define ARCHIVE_TASK_ID_LEN	32  /* "tk-20261125-000123" and its NUL */
#define ARCHIVE_DECISION_NO_LEN 320 /* agency〔YYYY〕NNNN号 and its NUL */
#define TASK_MIN_INSPECTORS	2   /* DOMAIN.md: two inspectors at least */
/* The checklist a task names when none is given (automatic tasks among them):
 * the catering form shipped in checklists/. */
#define TASK_DEFAULT_CHECKLIST "catering-2026"

/* Configurable figures (DOMAIN.md marks them so); archive_task_config_default
 * gives the common values below. */
struct task_config {
	double cutoff[3]; /* A ≤ cutoff[0] < B ≤ cutoff[1] < C ≤ cutoff[2] < D: 30 45 60 */
	int visits[4];	  /* routine inspections a year for A…D: 1 2 3 4 (upper bounds) */
	int ahead_days;	  /* a routine task is created this many days before due: 30 */
	int team;	  /* inspectors put on an automatic task: 2 (≥ 2) */
	double coverage;  /* list filter "not covered": effective share, 0.8 */
};
void archive_task_config_default(struct task_config *c);

/* A new task. inspectors: NULL-terminated hh-… ids, at least two,
 * distinct, each in the registry; reason: a JSON array of alert ids
 * ("box:event_id") as text, NULL for []; checklist, note may be NULL. */
struct task_spec {
	const char *kind; /* routine, special, alert, followup */
	const char *due;  /* YYYY-MM-DD */
	const char *const *inspectors;
	const char *reason, *checklist, *note;
	const char *created_by; /* who: a regulator's id or name, "auto:RULE" */
};

/* Create one task for licence, state dispatched (recorded as its first
 * step). task_id (ARCHIVE_TASK_ID_LEN, may be NULL) receives its id.
 * 0; -EINVAL (a bad field), -ENOENT (no such establishment or
 * inspector): why, one line each, appended to errors (may be NULL); -EIO. */
int archive_task_create(struct archive *a, const char *licence, const struct task_spec *spec,
			int64_t now_ms, char *task_id, GString *errors);

/* The list filters (名单筛选); zero / NULL fields do not filter. */
struct list_filter {
	const char *grade; /* "A" … "D" */
	const char *category, *district;
	bool overdue;	   /* an open task past due, or graded and no inspection
			    * within 365 / visits[grade] days */
	bool open_alerts;  /* an alert of it not closed */
	int expiring_days; /* > 0: licence expired or expiring within N days */
	bool not_covered;  /* not effectively covered over the last 30 whole local
			    * days (archive_coverage's rule, share cfg->coverage) */
};

/* The establishments passing every filter set, by district and licence:
 * licence, name, category, district, grade, score, last_inspection,
 * open_tasks, next_due, overdue (why, or NULL), open_alerts,
 * licence_expires, expires_in_days, covered_pct (only with not_covered:
 * it costs one coverage_detail per candidate). 0, -EINVAL (bad grade),
 * -EIO. */
int archive_list(struct archive *a, const struct list_filter *f, const struct task_config *cfg,
		 int64_t now_ms, archive_row_fn fn, void *ctx);

/* A special campaign: one task per establishment, either the licences
 * given (NULL-terminated, non-NULL) or those archive_list selects with f.
 * The same spec for each (kind usually "special"). All or none; created
 * (may be NULL) receives the new ids (g_free'd strings, caller's). Returns
 * how many were created, or as archive_task_create. */
int archive_task_campaign(struct archive *a, const char *const *licences,
			  const struct list_filter *f, const struct task_config *cfg,
			  const struct task_spec *spec, int64_t now_ms, GPtrArray *created,
			  GString *errors);

/* A step of a task: dispatched → received → in_progress → submitted →
 * reviewed; cancelled from dispatched, received or in_progress (a
 * submitted task holds a record: it is reviewed, not withdrawn). received,
 * in_progress and submitted are the inspectors' own steps: by must be one
 * of the task's inspectors (-EPERM). at: when it happened (a handheld's
 * time, UTC timestamp; NULL: now), kept beside the time it was recorded.
 * The same state again is a replay: 0, nothing recorded. -EINVAL (not
 * allowed from the current state, bad state or at, empty by), -ENOENT,
 * -EPERM, -EIO. */
int archive_task_step(struct archive *a, const char *task_id, const char *state, const char *by,
		      const char *note, const char *at, int64_t now_ms);

/* Tasks, soonest due first: task_id, licence, name, district, kind,
 * state, due, overdue (0/1), inspectors ("hh-a,hh-b"), reason, rule,
 * checklist, note, created_at, created_by. NULL fields do not filter. */
struct task_query {
	const char *state, *inspector, *licence, *kind;
	int limit; /* <= 0: 100 */
};
int archive_tasks(struct archive *a, const struct task_query *q, int64_t now_ms, archive_row_fn fn,
		  void *ctx);
/* Every step of one task, oldest first (state, by, at, recorded_at,
 * note). 0, -ENOENT, -EIO. */
int archive_task_steps(struct archive *a, const char *task_id, archive_row_fn fn, void *ctx);

/* Delivery to handhelds (the collector): one row per task and inspector not
 * yet sent what it should have: task_id, inspector, state (dispatched or
 * cancelled), licence, name, address, district, category, kind, due,
 * checklist, note, reason (JSON array text or NULL), inspectors
 * (space-separated). archive_task_sent records that it went. 0 or -EIO. */
int archive_tasks_to_send(struct archive *a, archive_row_fn fn, void *ctx);
/* 1 when inspector is one of the task's, 0 when not (or no such task), -EIO. */
int archive_task_has_inspector(struct archive *a, const char *task_id, const char *inspector);
int archive_task_sent(struct archive *a, const char *task_id, const char *inspector,
		      const char *state);

/* Automatic tasks from alerts, kind "alert", reason = the alert ids:
 *  RULE_NOT_CLOSED: an alert of one of types started more than hours ago
 *    and not closed;
 *  RULE_REPEATED: at least count alerts of types at one establishment
 *    started within the last days.
 * Alerts already named by a task of the same rule do not count again; no
 * task while one of the same rule is open (dispatched, received,
 * in_progress) for the establishment. Inspectors: cfg->team of the
 * establishment's district (registry inspectors.district), least loaded
 * (open tasks) first, then by id; fewer than two there: no task, a
 * warning, counted in run->no_inspectors. */
enum task_rule_kind { RULE_NOT_CLOSED, RULE_REPEATED };
struct task_rule {
	const char *name; /* unique: tasks remember it */
	enum task_rule_kind kind;
	const char *types; /* alert types, comma-separated; NULL: any */
	double hours;	   /* NOT_CLOSED */
	int count;	   /* REPEATED */
	double days;	   /* REPEATED */
	int due_days;	   /* the task is due today + due_days (local) */
};
struct task_run {
	int created, skipped_open, no_inspectors;
	GPtrArray *ids; /* may be NULL; else receives new task ids (g_free'd) */
};
int archive_tasks_from_alerts(struct archive *a, const struct task_rule *rules, size_t n_rules,
			      const struct task_config *cfg, int64_t now_ms, struct task_run *run);

/* Routine tasks from the risk grade: a graded establishment gets n =
 * cfg->visits[grade] slots a calendar year, slot k (1…n) due on day
 * ⌊(k − 1 + f) · D / n⌋ of the year (D its days, f ∈ [0, 1) a fixed
 * fraction from the licence's FNV-1a hash), so establishments spread over
 * the year and one's visits are D / n days apart. A slot's task is created
 * when its due date is within cfg->ahead_days from today, once (the slot is
 * remembered; a cancelled one is not made again), and not while another
 * routine task of the establishment is open, nor when an inspection was
 * submitted within D / n days before the due date. */
int archive_tasks_schedule(struct archive *a, const struct task_config *cfg, int64_t now_ms,
			   struct task_run *run);
/* The due date of slot k of n in year for licence (YYYY-MM-DD into out[11]). */
void archive_task_slot_due(const char *licence, int year, int n, int k, char *out);

/* An inspection record of a task (one per task: a repeat returns 0 and
 * keeps the first). inspectors: NULL-terminated, NULL for the task's.
 * followup_due: with basically_compliant, a followup task due then with
 * the same inspectors. The grade is recomputed. 1 stored, 0 already,
 * -EINVAL (bad result or answers JSON; the task cancelled or reviewed),
 * -ENOENT, -EIO. */
struct inspection_record {
	const char *task_id;
	const char *result;	  /* compliant, basically_compliant, non_compliant */
	const char *answers;	  /* JSON text, NULL: [] */
	const char *submitted_at; /* timestamp, NULL: now */
	const char *const *inspectors;
	const char *followup_due; /* YYYY-MM-DD or NULL */
};
int archive_inspection_put(struct archive *a, const struct inspection_record *r,
			   const struct task_config *cfg, int64_t now_ms);

/* A simple-procedure penalty (简易程序) decided in a task: a warning
 * (amount 0) or a fine of at most 200 CNY for an individual, 3,000 CNY for
 * an organisation. Above that: -ERANGE, nothing stored nor allocated (the
 * ordinary procedure applies). The decision serial is per agency and the
 * local year of decided_at, allocated in its own savepoint before the
 * penalty is stored: once that allocation is committed the serial is
 * consumed for good, even if storing the penalty then fails (a gap,
 * listed in decision_serials without a penalty), so a number is never
 * given twice. Publish or print the number only after the commit. The
 * grade is recomputed. 0, -EINVAL, -ENOENT (task), -ERANGE, -EIO. */
struct penalty_spec {
	const char *task_id, *agency;
	const char *party, *party_type; /* individual, organisation */
	const char *penalty_type;	/* warning, fine */
	double amount_cny;
	const char *violation, *legal_basis;
	const char *decided_at; /* timestamp, NULL: now */
};
int archive_penalty_put(struct archive *a, const struct penalty_spec *p,
			const struct task_config *cfg, int64_t now_ms, int64_t *serial,
			char *decision_no);

/* A complaint about an establishment (at: timestamp, NULL now); the grade
 * is recomputed. 0, -EINVAL, -ENOENT, -EIO. */
int archive_complaint_add(struct archive *a, const char *licence, const char *at, const char *text,
			  const struct task_config *cfg, int64_t now_ms);

/* Risk grade. score = static (0–40) + dynamic (0–60):
 *  static = category tier (school_canteen, kindergarten, care_home,
 *    central_kitchen 25; group_meal 20; restaurant 12; small_eatery 8)
 *    + scale, the larger of the known of meals a day (< 100: 3, < 500: 7,
 *    < 1,500: 11, else 15) and floor area m² (< 50: 3, < 150: 7, < 500:
 *    11, else 15); neither known: 7;
 *  dynamic = inspections (≤ 30) + alerts (≤ 20) + complaints (≤ 10):
 *    inspections: the latest result in the last 365 days (compliant 0,
 *      basically_compliant 12, non_compliant 24; none: 10), + 4 per other
 *      non_compliant result and + 3 per penalty in those 365 days;
 *    alerts: 2 per alert a month, over the last 90 days (n / 3);
 *    complaints: 5 each in the last 365 days.
 * The grade is the first of A, B, C whose cut-off the score does not
 * exceed, else D. */
struct grade_inputs {
	const char *category;
	double floor_area;	   /* < 0: unknown */
	int64_t meals_per_day;	   /* < 0: unknown */
	const char *latest;	   /* latest result in 365 days, NULL: none */
	int earlier_non_compliant; /* the others non_compliant in 365 days */
	int penalties, alerts_90d, complaints;
};
struct grade_score {
	double tier, scale; /* the static parts */
	double static_score, dynamic_score, score;
	double inspections, alerts, complaints; /* the dynamic parts */
	char grade;				/* 'A' … 'D' */
};
void archive_grade_score(const struct grade_inputs *in, const struct task_config *cfg,
			 struct grade_score *out);
char archive_grade_letter(double score, const struct task_config *cfg);
/* Recompute and store one establishment's grade (history row when grade
 * or score changed), or every establishment's (licence NULL). 0, -ENOENT,
 * -EIO. */
int archive_grade_compute(struct archive *a, const char *licence, const struct task_config *cfg,
			  int64_t now_ms);
/* Current grades, highest score first (licence NULL: all): licence, name,
 * category, district, grade, score, static, dynamic, computed_at, reason;
 * a history, oldest first. */
int archive_grades(struct archive *a, const char *licence, archive_row_fn fn, void *ctx);
int archive_grade_history(struct archive *a, const char *licence, archive_row_fn fn, void *ctx);

/* --- delivery platforms, 以网管网 (archive_platforms.c) ----------------- */

/* Shop listings exported by delivery platforms (cloud/listing.h reads
 * them) are cross-checked against the registry. An import is a platform's
 * whole current listing: each platform named in the file replaces its
 * shops (a shop missing from the file is "no longer listed"), then all of
 * that platform's checks run again. Findings, one per shop and kind:
 *   no_licence        no licence shown on the shop's page
 *   licence_unknown   the licence shown is not in the registry
 *   licence_expired   the registry's licence_expires is before today
 *   licence_shared    one licence shown by several shops of the platform
 *   address_shared    several shops of the platform at one pickup address
 *                     (address.h's normalised form)
 *   address_mismatch  the pickup address is not the licence's address
 *   dish_out_of_scope a dish recognised (scope.h) as an item the licence's
 *                     scope lacks (not checked while the scope is unknown)
 *   not_covered       the licensed kitchen is not effectively covered by
 *                     明厨亮灶 video over the last 30 days (no box, or
 *                     recorded share < the configured coverage)
 * A finding stays open, its evidence kept current, until a check no longer
 * finds it (then closed with why: no longer found, shop offline, shop no
 * longer listed); found again later, it opens anew. Platforms are checked
 * apart: one shop on two platforms is two listings, not a shared licence. */
extern const char *const platform_finding_kinds[]; /* NULL-terminated, order above */
/* The finding's name in Chinese (the platforms' notices), NULL if unknown. */
const char *platform_finding_label(const char *kind);

struct scope_config;
struct platform_check_config {
	const struct scope_config *scope; /* dish keywords; NULL: built-in */
	double coverage;		  /* effective share a seller's kitchen needs (0.8) */
};

/* What an import or a check did. */
struct platform_run {
	int platforms;		   /* platforms in the file */
	int shops;		   /* shops in the file */
	int added, changed;	   /* shops new, or with a value changed */
	int delisted;		   /* shops listed before and not in the file */
	int opened, updated;	   /* findings new, or with new evidence */
	int closed, open;	   /* findings closed; open after the run */
	bool seen_before;	   /* this very file was imported before */
};

/* Import shops (GPtrArray of struct listing_shop*, checked by
 * listing_parse, each (platform, shop_id) once) and run the checks of
 * every platform in it, all in one savepoint. sha256: the file's digest
 * (the imports log keeps each file once); by: who imports. Importing the
 * same file again changes nothing unless the registry or coverage changed.
 * 0, -EINVAL (no shops, or bad arguments), -EIO. */
int archive_platform_import(struct archive *a, const GPtrArray *shops, const char *sha256,
			    const char *by, const struct platform_check_config *cfg,
			    int64_t now_ms, struct platform_run *run);
/* The same from the text of an export (listing_parse reads it; its
 * SHA-256 is the sha256 above): one problem in the file and nothing is
 * stored, -EINVAL with the problems in errors, one per line "LINE:FIELD:
 * reason". */
int archive_platform_import_text(struct archive *a, const char *text, size_t len, const char *by,
				 const struct platform_check_config *cfg, int64_t now_ms,
				 struct platform_run *run, GString *errors);
/* Run the checks of one platform (NULL: every platform) without an import,
 * e.g. after the registry changed. 0, -EIO. */
int archive_platform_check(struct archive *a, const char *platform,
			   const struct platform_check_config *cfg, int64_t now_ms,
			   struct platform_run *run);

/* Findings, newest first: id, platform, shop_id, shop_name, licence, kind,
 * label, evidence, opened_at, closed_at, closed_why, notice_at, task_id,
 * task_state. NULL fields do not filter; state "open" (default),
 * "closed" or "all". 0, -EINVAL (bad state or kind), -EIO. */
struct finding_query {
	const char *platform, *kind, *state, *licence;
	int limit; /* <= 0: 100 */
};
int archive_platform_findings(struct archive *a, const struct finding_query *q, archive_row_fn fn,
			      void *ctx);
/* Shops of a platform (NULL: all), by platform and shop id: platform,
 * shop_id, name, licence, address, status, listed, dishes (count),
 * open_findings, first_seen, updated. */
int archive_platform_shops(struct archive *a, const char *platform, archive_row_fn fn, void *ctx);
/* Per platform, one row per kind of finding and one "all" row, then the
 * same over every platform (platform "all"): platform, kind, label,
 * shops_listed ("all" rows), shops_with_open (shops with an open finding),
 * open, closed, on_notice, with_task; the last import's time per platform
 * (last_import). 0, -EIO. */
int archive_platform_stats(struct archive *a, archive_row_fn fn, void *ctx);

/* Put open findings on their platform's notice list: one (id > 0) or every
 * open one of platform and kind (kind NULL: all kinds) not on it yet.
 * *count (may be NULL) gets how many were added. 0, -ENOENT (no such open
 * finding), -EINVAL, -EIO. */
int archive_platform_notice_add(struct archive *a, int64_t id, const char *platform,
				const char *kind, const char *by, int64_t now_ms, int *count);
/* The notice list of platform as CSV for the platform (UTF-8, header row):
 * its open findings on the list, by shop: platform, shop_id, shop_name,
 * licence, finding, 问题, evidence, opened_at, noticed_at. 0, -EIO. */
int archive_platform_notice_csv(struct archive *a, const char *platform, GString *out);

/* An inspection task (archive_task_create) for an open finding of a shop
 * whose licence is in the registry: kind special unless spec says
 * otherwise, its note naming the finding, reason ["platform:ID"]; spec's
 * inspectors NULL: cfg->team of the establishment's district, least loaded
 * first. -EEXIST when the finding has a task already, -ENOENT (no such
 * open finding; licence not in the registry: put it on the notice list
 * instead), else as archive_task_create; why in errors. */
int archive_platform_task(struct archive *a, int64_t id, const struct task_spec *spec,
			  const struct task_config *cfg, int64_t now_ms, char *task_id,
			  GString *errors);

/* --- central continuous storage (archive_recordings.c) --------------- */

/* Every segment a box uploaded for a camera marked central_storage: its
 * clip (clip_id "segment:…", kept in clips for the chunk transfer) and a
 * recordings row once verified, with wall-clock times in Unix ms. Times
 * are half-open [start_ms, end_ms). */
struct archive_recording {
	const char *box, *clip_id, *camera;
	int64_t start_ms, end_ms, bytes;
	const char *sha256, *path; /* in the clip store */
};
typedef void (*archive_recording_fn)(void *ctx, const struct archive_recording *r);

/* true when clip_id names a continuous-storage segment ("segment:…"). */
bool archive_is_segment_clip(const char *clip_id);
/* Index a verified segment. 1 new, 0 known already (another collector),
 * -EINVAL (bad values), -EIO. */
int archive_recording_put(struct archive *a, const struct archive_recording *r);
/* Mark the segment clip verified (stored at path) and index it from its
 * clips row, in one transaction. 0, -EINVAL (its row cannot be indexed:
 * nothing changes), -ENOENT, -EIO. */
int archive_recording_verified(struct archive *a, const char *box, const char *clip_id,
			       const char *path);
/* fn for each segment of box's camera overlapping [from_ms, to_ms),
 * oldest first (values valid during fn only). 0, -EIO. */
int archive_recordings_between(struct archive *a, const char *box, const char *camera,
			       int64_t from_ms, int64_t to_ms, archive_recording_fn fn, void *ctx);

/* A time span [from_ms, to_ms). */
struct archive_span {
	int64_t from_ms, to_ms;
};
/* Pure: the recorded ranges and the gaps of n segment spans sorted by
 * start, within [from_ms, to_ms); spans less than slack_ms apart join (a
 * camera's segments meet within a few ms). Appended to ranges and gaps
 * (GArrays of struct archive_span; gaps may be NULL). */
void archive_recordings_spans(const struct archive_span *segs, size_t n, int64_t from_ms,
			      int64_t to_ms, int64_t slack_ms, GArray *ranges, GArray *gaps);

/* What central storage holds, per box and camera. */
struct archive_storage_use {
	const char *box, *camera;
	int64_t segments, bytes, oldest_ms, newest_ms;
};
typedef void (*archive_storage_fn)(void *ctx, const struct archive_storage_use *u);
/* fn per (box, camera), ordered by box then camera; box NULL: every box.
 * 0, -EIO. */
int archive_storage_use(struct archive *a, const char *box, archive_storage_fn fn, void *ctx);

/* Retention, in one transaction of its own: delete the segments that ended
 * before cutoff_ms, then, while the rest holds more than budget bytes
 * (budget 0: no limit), the oldest (by start, then box and clip id), no more
 * than needed. Their clips rows go too. Several collectors may run it at
 * once: a row is counted by whoever deleted it. *rows and *bytes get what
 * this call deleted; unreferenced gets (g_strdup'd) the sha256 of each
 * object no verified clip references any more, for the caller to remove
 * from the clip store after the commit. 0, -EIO. */
int archive_recordings_expire(struct archive *a, int64_t cutoff_ms, int64_t budget, int64_t *rows,
			      int64_t *bytes, GPtrArray *unreferenced);

#endif
