/*
 * edge.h — bk-edge's running state: sensors feed readings into the outbox,
 * the outbox feeds the MQTT link, the collector's acks empty the outbox.
 *
 * Delivery (DESIGN.md, "Delivery"): every message is committed to the
 * outbox before it is sent; at most `window` messages are in flight
 * without an ack; one unacknowledged after `ack_timeout` is sent again;
 * after a reconnect everything unacknowledged is sent again, alerts first.
 * Everything runs on the main thread.
 */
#ifndef BK_EDGE_H
#define BK_EDGE_H

#include <stdint.h>

#include "edge_config.h"

struct edge_counters {
	uint64_t accepted; /* messages committed to the outbox */
	uint64_t sent;	   /* first sends */
	uint64_t resends;
	uint64_t acks;
	uint64_t evictions;	   /* readings evicted by the disk budget */
	uint64_t segments_evicted; /* video segments deleted by the disk budget */
	uint64_t read_errors;
};

struct edge;

/* cfg must outlive the edge. NULL with a log line on error. */
struct edge *edge_new(const struct edge_config *cfg);
int edge_start(struct edge *e);
/* Commit pending readings, say offline, disconnect, free. NULL is fine. */
void edge_free(struct edge *e);

const struct edge_counters *edge_counters(const struct edge *e);

#endif
