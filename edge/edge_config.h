/*
 * edge_config.h — bk-edge's configuration file (INI, GKeyFile):
 *
 *   [box]          id, state_dir, log_level, status_period, reading_batch, disk_budget
 *   [mqtt]         uri, ca, cert, key, keepalive, reconnect_max
 *   [outbox]       path, sync, window, ack_timeout, max_rate, max_bytes_rate
 *   [sensor <id>]  kind, driver, period, unit, and the driver's own keys
 *
 * See README.md, "Configuration", for every key and its default.
 */
#ifndef BK_EDGE_CONFIG_H
#define BK_EDGE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "log.h"
#include "mqtt_settings.h"

struct edge_config {
	char *id; /* box-…, the certificate's CN */
	char *state_dir;
	enum log_level log_level;
	int64_t status_period_ms;
	int64_t reading_batch_ms; /* 0: every sample is its own message */
	int64_t disk_budget;	  /* bytes for the outbox (and, later, video) */
	struct mqtt_settings mqtt;
	char *outbox_path;
	bool outbox_sync_full;
	int window; /* messages sent and not yet acknowledged by the collector */
	int64_t ack_timeout_ms;
	double max_rate;       /* messages/s sent, resends included */
	double max_bytes_rate; /* payload bytes/s sent */
	GPtrArray *sensors;    /* of struct sensor*, owned */
};

/* Load and check path, creating the sensors. On problems, prints each to
 * stderr and returns false. */
bool edge_config_load(const char *path, struct edge_config *cfg);
void edge_config_release(struct edge_config *cfg);

#endif
