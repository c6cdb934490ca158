/*
 * collector_config.h — bk-collector's configuration file (INI):
 *
 *   [collector]  id, archive, clips, log_level, max_payload, batch_max, stats_period
 *   [mqtt]       uri, ca, cert, key, keepalive, reconnect_max, share_group
 *
 * See README.md, "Configuration", for every key and its default.
 */
#ifndef BK_COLLECTOR_CONFIG_H
#define BK_COLLECTOR_CONFIG_H

#include <stdint.h>

#include "config.h"
#include "log.h"
#include "mqtt_settings.h"

struct collector_config {
	char *id; /* svc-…, the certificate's CN */
	char *archive_path;
	char *clip_store; /* directory of the clip store */
	enum log_level log_level;
	int64_t max_payload; /* bytes; larger messages are rejected unparsed */
	int batch_max;	     /* messages per archive transaction */
	int64_t stats_period_ms;
	struct mqtt_settings mqtt;
	char *share_group;
};

/* Load and check path. On problems, prints each to stderr and returns false. */
bool collector_config_load(const char *path, struct collector_config *cfg);
void collector_config_release(struct collector_config *cfg);

#endif
