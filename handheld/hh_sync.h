/*
 * hh_sync.h — the handheld's exchange with the centre, over mqtt_link (the
 * one Paho user): a persistent session (clean_session false, client id =
 * the handheld id) subscribed to bk/v1/hh/<id>/task and bk/v1/hh/<id>/ack.
 * On every connect it sends every report of the outbox, oldest first; a
 * report not acked within ack_timeout goes again; an ack deletes every row
 * up to its high-water mark (acked), as on the boxes (edge/edge.c).
 *
 * A one-shot run ends once the outbox is empty and nothing has arrived for
 * a second (the broker hands a persistent session its queue right after the
 * connect), or after timeout_ms, or on SIGINT/SIGTERM; --follow runs until
 * a signal. Runs the default GMainContext; main thread only.
 */
#ifndef BK_HH_SYNC_H
#define BK_HH_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "hh_config.h"
#include "hh_store.h"
#include "message.h"

/* A task message arrived and validated (m points into it); the handler may
 * queue reports in the store: they are sent right after it returns. */
typedef void (*hh_sync_task_fn)(void *ctx, const struct message *m, const char *payload);

struct hh_sync_result {
	bool connected;	 /* reached the broker at least once */
	int tasks;	 /* task messages received */
	int64_t sent;	 /* reports published (resends included) */
	int64_t waiting; /* reports still unacknowledged at the end */
};

/* Run one exchange (follow false) or until a signal (follow true).
 * 0, or -EIO when the link could not be created. */
int hh_sync_run(const struct hh_config *cfg, struct hh_store *store, bool follow,
		int64_t timeout_ms, hh_sync_task_fn on_task, void *ctx, struct hh_sync_result *res);

#endif
