/*
 * http_api.h — bk-collector's HTTPS API and the regulators' page: JSON
 * queries of the archive, the stored clips and snapshots, live alerts as
 * Server-Sent Events, /metrics (Prometheus text) and /healthz.
 *
 * Who may do what: a regulator or a service authenticates with a client
 * certificate of the deployment CA (CN reg-… or svc-…) or a token from
 * [http] tokens, sent as "Authorization: Bearer TOKEN" or as the cookie
 * bk_token (which the page sets, since a browser cannot put a header on
 * <img>, <video> or EventSource). Anything else gets 401. They may only
 * read (GET, HEAD; anything else 405), with one exception: POST
 * /api/platform/listings imports a delivery platform's shop listing (CSV or
 * JSON, cloud/listing.h; at most 32 MiB, else 413; refused whole with 422
 * and its problems), recorded as imported by the caller's id. That write
 * takes ONLY a client certificate or a Bearer token, never the bk_token
 * cookie: a browser attaches a cookie to requests any page makes it send,
 * so a cookie would let any site the regulator visits upload (CSRF). For
 * the same reason, since a browser may present a client certificate on its
 * own, the body must be typed text/csv or application/json (415 for the
 * types an HTML form can send). The page itself never writes. The page's
 * own files (/, /index.html, /app.js, /style.css) and /healthz are public:
 * they hold no data. TLS 1.2 or 1.3 only.
 *
 * Live view: GET /api/live/BOX/CAMERA streams the camera as fragmented MP4
 * (live_view.h); GET /api/live/views is the audit trail of viewings.
 *
 * Threads: none of its own. The server (libmicrohttpd, external polling
 * through its epoll fd) runs on the GLib default main loop, like the rest of
 * the collector; so every function here is for the main thread. It reads
 * the archive through its own read-only connection: SQLite then refuses
 * any write a query might attempt, and a query never sees the collector's
 * uncommitted batch. The price: a slow statistics query delays ingest for
 * its duration (they answer in well under 200 ms at county scale). An
 * import opens a writable connection for its one transaction and closes
 * it; it too runs on the main loop, between the collector's batches.
 */
#ifndef BK_HTTP_API_H
#define BK_HTTP_API_H

#include "collector_config.h"

struct collector_counters;
struct http_api;
struct live_view;

/* Start serving per cfg (cfg->listen must be set; cfg->scope, the dish
 * keywords, is what imports check with). cfg, clip_store and counters must
 * outlive the server (archive_path is copied); counters is read on
 * each /metrics. The archive must exist (the collector opens it first).
 * live (may be NULL: no live view) serves /api/live/BOX/CAMERA and must
 * outlive the server. NULL with a log line on error. */
struct http_api *http_api_new(const struct http_settings *cfg, const char *archive_path,
			      const char *clip_store, const struct collector_counters *counters,
			      struct live_view *live);
/* Close every connection and stop. NULL is fine. */
void http_api_free(struct http_api *api);

/* A new alert was archived: json (the alert message as published on MQTT,
 * copied) goes to every client of /api/alerts/stream now. NULL api: no-op,
 * so that the collector calls it whether HTTP is configured or not. */
void http_api_alert(struct http_api *api, const char *json);

#endif
