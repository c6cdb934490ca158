/*
 * collector_config.h — bk-collector's configuration file (INI):
 *
 *   [collector]  id, archive, clips, agency, log_level, max_payload, batch_max, stats_period
 *   [mqtt]       uri (one or more brokers: the collector connects to each),
 *                ca, cert, key, keepalive, reconnect_max, share_group
 *   [http]       listen, cert, key, ca, crl, tokens, web_root, cache (optional:
 *                without listen there is no HTTP server)
 *   [platforms]  scope (optional): the dish keywords (scope.h) that imports of
 *                delivery-platform listings through the API check with
 *   [live]       max_viewers, max_length: live view
 *   [storage]    retention_days, budget: central continuous storage of the
 *                segments of cameras marked central_storage
 *
 * See README.md, "Configuration", for every key and its default.
 */
#ifndef BK_COLLECTOR_CONFIG_H
#define BK_COLLECTOR_CONFIG_H

#include <stdint.h>

#include "config.h"
#include "log.h"
#include "mqtt_settings.h"

struct scope_config;

/* One line of the [http] tokens file: "TOKEN ID", ID a regulator (reg-…)
 * or a service (svc-…). */
struct http_token {
	char *token;
	char *id;
};

/* [http]: the regulators' HTTPS API and page (http_api.h). */
struct http_settings {
	char *listen;	   /* "host:port" as written; NULL: no HTTP server */
	char *cert, *key;  /* the server's certificate and key (PEM) */
	char *ca;	   /* CA that client certificates must chain to ([mqtt] ca) */
	char *crl;	   /* optional CRL (PEM) of that CA */
	char *tokens_path; /* optional */
	GPtrArray *tokens; /* of struct http_token*, from tokens_path; never NULL */
	char *web_root;	   /* optional directory served instead of the built-in page */
	char *cache;	   /* directory of MP4 remuxes of clips */
	/* [platforms] scope: the dish keywords that POST /api/platform/listings
	 * checks with, loaded once (scope_config_load) or the built-in ones
	 * (scope_config_default); never NULL after a successful load, owned
	 * here. Kept with the API's settings: the API is what imports. */
	char *scope_path; /* NULL: built in */
	struct scope_config *scope;
};

/* [live]: the viewers this collector relays live video to. */
struct live_settings {
	int max_viewers;       /* at once, all streams together */
	int64_t max_length_ms; /* a viewing ends after this (the viewer may open again) */
};

/* [storage]: segments kept centrally (cameras marked central_storage). */
struct storage_settings {
	int retention_days; /* >= 7 */
	int64_t budget;	    /* bytes for all of them; 0: only retention_days limits */
};

struct collector_config {
	char *id; /* svc-…, the certificate's CN */
	char *archive_path;
	char *clip_store; /* directory of the clip store */
	char *agency;	  /* who numbers penalty decisions: 〔year〕 serials per agency */
	enum log_level log_level;
	int64_t max_payload; /* bytes; larger messages are rejected unparsed */
	int batch_max;	     /* messages per archive transaction */
	int64_t stats_period_ms;
	struct mqtt_settings mqtt;
	char *share_group;
	struct http_settings http;
	struct live_settings live;
	struct storage_settings storage;
};

/* Load and check path, [platforms] scope included (so -t checks it). On
 * problems, prints each to stderr and returns false. */
bool collector_config_load(const char *path, struct collector_config *cfg);
void collector_config_release(struct collector_config *cfg);

#endif
