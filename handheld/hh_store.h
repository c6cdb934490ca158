/*
 * hh_store.h — the handheld's own SQLite database, the one module of
 * bk-handheld that touches SQLite: the tasks it has been given, its
 * inspection records and penalties, and the outbox of reports it keeps
 * until the centre's ack covers them.
 *
 * Invariants: a report is accepted when its outbox row is committed, in the
 * same transaction as the local change it reports (hh_store_begin/commit).
 * seq is strictly +1 per report and survives restarts and an empty outbox
 * (meta last_seq). A task id is stored once: a repeated delivery finds it.
 * One thread only; every string returned is the caller's (g_free).
 */
#ifndef BK_HH_STORE_H
#define BK_HH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hh_store;

/* Open or create path (mode 0600). NULL with a log line on error. */
struct hh_store *hh_store_open(const char *path);
void hh_store_free(struct hh_store *s); /* NULL is fine */

/* Several changes as one. 0 or -EIO (a failed commit rolls back). */
int hh_store_begin(struct hh_store *s);
int hh_store_commit(struct hh_store *s);
void hh_store_rollback(struct hh_store *s);

/* --- tasks --- */
struct hh_task {
	char *task_id;
	char *state; /* received, in_progress, submitted, cancelled */
	char *json;  /* the task message as received (last dispatch) */
	int64_t received_ms, updated_ms;
};
void hh_task_clear(struct hh_task *t);

/* 0 with *t filled, -ENOENT, -EIO. */
int hh_store_task_get(struct hh_store *s, const char *task_id, struct hh_task *t);
/* Insert a new task (json may be NULL for a cancellation of an unknown
 * task). 0, -EEXIST, -EIO. */
int hh_store_task_add(struct hh_store *s, const char *task_id, const char *state, const char *json);
/* 0, -ENOENT, -EIO. */
int hh_store_task_set_state(struct hh_store *s, const char *task_id, const char *state);
/* fn for every task, by due date then id (t valid during fn only). 0 or -EIO. */
typedef void (*hh_task_fn)(void *ctx, const struct hh_task *t);
int hh_store_tasks(struct hh_store *s, hh_task_fn fn, void *ctx);

/* --- records and penalties (the JSON of the report's member) --- */
/* Replace the task's record. 0 or -EIO. */
int hh_store_record_put(struct hh_store *s, const char *task_id, const char *json);
/* The task's record JSON, or NULL when there is none. */
char *hh_store_record_get(struct hh_store *s, const char *task_id);
/* Add a penalty. 0 or -EIO. */
int hh_store_penalty_add(struct hh_store *s, const char *task_id, const char *json);
/* The latest penalty of the task (JSON) and its row id, or NULL. */
char *hh_store_penalty_last(struct hh_store *s, const char *task_id, int64_t *id);
/* Number of penalties of the task, or -EIO. */
int hh_store_penalty_count(struct hh_store *s, const char *task_id);
/* Remember the decision number the centre gave a penalty. 0, -ENOENT, -EIO. */
int hh_store_penalty_set_number(struct hh_store *s, int64_t id, const char *number);
/* The number remembered, or NULL. */
char *hh_store_penalty_number(struct hh_store *s, int64_t id);

/* --- outbox --- */
/* The last seq issued (0 before the first report). */
int64_t hh_store_last_seq(struct hh_store *s);
/* Append the report with seq == hh_store_last_seq() + 1. 0, -EINVAL, -EIO. */
int hh_store_outbox_put(struct hh_store *s, int64_t seq, const char *topic, const char *payload);
/* Delete every row with seq <= acked; how many, or -EIO. */
int hh_store_outbox_ack(struct hh_store *s, int64_t acked);
/* The row with the smallest seq > after: 0, -ENOENT, -EIO. */
int hh_store_outbox_next(struct hh_store *s, int64_t after, int64_t *seq, char **topic,
			 char **payload);
/* Rows waiting, or -EIO. */
int64_t hh_store_outbox_depth(struct hh_store *s);

#endif
