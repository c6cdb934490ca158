/*
 * collector.h — bk-collector's running state: the MQTT link to the broker,
 * the archive, and the batch of messages between arrival and commit.
 *
 * Flow: a message arrives (main loop) → topic, size, JSON and schema checks
 * → appended to the batch (or as a reject). When the main loop is idle, or
 * the batch is full, the batch is written in one transaction; after the
 * commit each box touched gets an ack with its accounted-for high-water
 * mark. Nothing is acknowledged before it is durable.
 * Everything runs on the main thread.
 */
#ifndef BK_COLLECTOR_H
#define BK_COLLECTOR_H

#include <glib.h>

#include "collector_config.h"

struct collector_counters {
	uint64_t received;
	uint64_t archived;
	uint64_t duplicates;
	uint64_t rejected;
	uint64_t acks;
	uint64_t batches;
	uint64_t alerts;	 /* new alerts fanned out */
	uint64_t alerts_unbound; /* new alerts of boxes bound to no establishment */
	uint64_t tasks_sent;	 /* tasks and cancellations sent to handhelds */
	uint64_t reports_refused; /* handhelds' reports their task could not take */
	/* each broker of [mqtt] uri, in its order (the link to it, for /metrics) */
	struct {
		const char *uri; /* in the configuration */
		bool up;
		uint64_t received;
	} brokers[MQTT_MAX_BROKERS];
	unsigned n_brokers;
};

struct collector;

/* cfg must outlive the collector. NULL with a log line on error. */
struct collector *collector_new(const struct collector_config *cfg);
/* Start connecting; the work happens on the default main loop. */
int collector_start(struct collector *col);
/* Flush what is pending, disconnect and free. NULL is fine. */
void collector_free(struct collector *col);

const struct collector_counters *collector_counters(const struct collector *col);

#endif
