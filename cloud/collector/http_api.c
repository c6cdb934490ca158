/*
 * http_api.c — see http_api.h. The only libmicrohttpd and GnuTLS user.
 *
 * Event loop: libmicrohttpd in external-polling epoll mode; its one epoll
 * fd is a GLib fd watch, and MHD_get_timeout re-arms one GLib timer after
 * every MHD_run (a zero timeout also covers TLS data GnuTLS has already
 * buffered). Long-lived responses never block: an SSE client with nothing
 * to send, or a request waiting for an MP4 remux, is suspended
 * (MHD_suspend_connection) and resumed when there is something.
 *
 * Invariants: every request is authenticated before anything else is
 * looked at; nothing here writes to the archive through its own (read-only)
 * connection; a clip is served only by its content address in the store.
 * The one write, POST /api/platform/listings, opens a writable connection
 * for the import and closes it before answering: the collector's batches
 * commit within one main-loop callback, so between callbacks the write
 * lock is free (the archive's busy timeout covers bkctl holding it). The
 * upload is held in memory (32 MiB at most) and imported on the main loop:
 * a county's listing takes well under a second; ingest waits that long.
 */
#include "http_api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <glib-unix.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "archive.h"
#include "clipstore.h"
#include "clock.h"
#include "collector.h"
#include "csv.h"
#include "envelope.h"
#include "jcheck.h"
#include "live_view.h"
#include "log.h"
#include "remux.h"
#include "web_assets.h"

#define HTTP_TLS_PRIORITIES	 "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define HTTP_CONNECTION_LIMIT	 256
#define HTTP_CONNECTION_TIMEOUT	 60	   /* s, idle keep-alive connections */
#define HTTP_SSE_PING_S		 15	   /* also how soon a vanished SSE client is noticed */
#define HTTP_SSE_MAX_BUFFER	 (1 << 20) /* a client that falls this far behind is dropped */
#define HTTP_DEFAULT_PERIOD_DAYS 30
#define HTTP_RATE_SAMPLES	 7 /* every 10 s: a one-minute ingest rate */
#define HTTP_MAX_LIMIT		 10000
#define HTTP_ID_MAX		 128
#define HTTP_UPLOAD_MAX		 (32u << 20) /* bytes of a listing export */
#define HTTP_LIVE_BLOCK		 (64u << 10) /* bytes of live video handed to MHD at once */
#define HTTP_LISTINGS_URL	 "/api/platform/listings"

static const char *const categories[] = { "school_canteen", "kindergarten",
					  "care_home",	    "central_kitchen",
					  "group_meal",	    "restaurant",
					  "small_eatery",   NULL };
static const char *const alert_states[] = { "new", "acknowledged", "in_progress", "closed", NULL };
static const char *const stats_groups[] = { "type", "establishment", "district", "category",
					    "day",  "week",	     "month",	 NULL };

struct sse_client {
	struct http_api *api;
	struct MHD_Connection *conn;
	GString *buf; /* events not yet handed to MHD, from off */
	size_t off;
	bool suspended, closing;
};

struct live_client;

struct request {
	struct http_api *api;
	struct MHD_Connection *conn;
	struct live_client *live; /* a live viewing waiting for its first bytes (suspended) */
	char who[HTTP_ID_MAX]; /* the authenticated id; "" for none */
	bool remuxing;	       /* suspended until the MP4 is there */
	bool remux_done;
	char *mp4_path;	  /* after remux_done: NULL if it failed */
	GString *upload;  /* POST /api/platform/listings: the body so far; else NULL */
	bool too_big;	  /* the body passed HTTP_UPLOAD_MAX: dropped, then 413 */
	uint64_t dropped; /* bytes of it dropped since */
};

struct rate_sample {
	int64_t mono_ms;
	uint64_t received;
};

struct http_api {
	const struct http_settings *cfg;
	struct clipstore *clips; /* read only: objects by content address */
	const struct collector_counters *counters;
	char *archive_path;	 /* for the writable connection of an import */
	struct archive *archive; /* read-only */
	struct remux *remux;
	struct MHD_Daemon *mhd;
	char *cert_pem, *key_pem, *ca_pem;
	gnutls_x509_trust_list_t trust;
	bool trust_ready;
	guint fd_watch, timer, kick, ping_timer, rate_timer;
	GList *sse; /* of struct sse_client* */
	struct live_view *live; /* NULL: no live view */
	GList *live_clients;	/* of struct live_client* */
	struct rate_sample rate[HTTP_RATE_SAMPLES];
	int rate_next, rate_count;
	uint64_t recordings_refused; /* bad /api/recordings requests */
};

/* --- the main-loop glue ---------------------------------------------- */

static void mhd_schedule(struct http_api *api);

static void mhd_run(struct http_api *api)
{
	MHD_run(api->mhd);
	mhd_schedule(api);
}

static gboolean on_mhd_timer(gpointer data)
{
	struct http_api *api = data;

	api->timer = 0;
	mhd_run(api);
	return G_SOURCE_REMOVE;
}

static gboolean on_mhd_fd(gint fd, GIOCondition cond, gpointer data)
{
	(void)fd;
	(void)cond;
	mhd_run(data);
	return G_SOURCE_CONTINUE;
}

static gboolean on_kick(gpointer data)
{
	struct http_api *api = data;

	api->kick = 0;
	mhd_run(api);
	return G_SOURCE_REMOVE;
}

/* Run MHD soon: after a resume, which MHD only notices in its next run. */
static void mhd_kick(struct http_api *api)
{
	if (!api->kick)
		api->kick = g_idle_add(on_kick, api);
}

static void mhd_schedule(struct http_api *api)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (api->timer)
		g_source_remove(api->timer);
	api->timer = 0;
	if (MHD_get_timeout(api->mhd, &ms) == MHD_YES)
		api->timer = g_timeout_add((guint)MIN(ms, 60000), on_mhd_timer, api);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char *text = g_strdup_vprintf(fmt, ap);

	(void)cls;
	g_strchomp(text);
	log_warn("http: %s", text);
	g_free(text);
}

/* --- responses --------------------------------------------------------- */

/* extra: NULL, or NULL-terminated header name, value pairs. */
static enum MHD_Result respond_with(struct MHD_Connection *conn, unsigned status, const char *type,
				    const void *body, size_t len, bool copy,
				    const char *const *extra)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    len, (void *)body, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"brightkitchen\"");
	for (; extra && extra[0]; extra += 2)
		MHD_add_response_header(r, extra[0], extra[1]);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED && !MHD_get_response_header(r, "Allow"))
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *type,
			       const void *body, size_t len, bool copy)
{
	return respond_with(conn, status, type, body, len, copy, NULL);
}

static enum MHD_Result respond_json_with(struct MHD_Connection *conn, unsigned status, cJSON *doc,
					 const char *const *extra)
{
	char *text = cJSON_PrintUnformatted(doc);
	enum MHD_Result rc = respond_with(conn, status, "application/json; charset=utf-8", text,
					  strlen(text), true, extra);

	cJSON_free(text);
	cJSON_Delete(doc);
	return rc;
}

static enum MHD_Result respond_json(struct MHD_Connection *conn, unsigned status, cJSON *doc)
{
	return respond_json_with(conn, status, doc, NULL);
}

static enum MHD_Result respond_error(struct MHD_Connection *conn, unsigned status, const char *fmt,
				     ...) __attribute__((format(printf, 3, 4)));

static enum MHD_Result respond_error(struct MHD_Connection *conn, unsigned status, const char *fmt,
				     ...)
{
	cJSON *doc = cJSON_CreateObject();
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(doc, "error", text);
	g_free(text);
	return respond_json(conn, status, doc);
}

/* --- authentication ----------------------------------------------------- */

static bool id_may_read(const char *id)
{
	return g_str_has_prefix(id, "reg-") || g_str_has_prefix(id, "svc-");
}

/* The client certificate's CN, if it chains to the deployment CA (and is
 * not revoked, when a CRL is configured), is meant for TLS clients and
 * names a regulator or a service. */
static bool peer_identity(struct http_api *api, struct MHD_Connection *conn, char *id, size_t len)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_x509_crt_t crts[8];
	const gnutls_datum_t *raw;
	unsigned n = 0, got = 0, status = 0;
	gnutls_typed_vdata_st purpose = { .type = GNUTLS_DT_KEY_PURPOSE_OID,
					  .data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT };
	size_t size = len;
	bool ok = false;

	if (!api->trust_ready || !ci || !ci->tls_session ||
	    gnutls_certificate_type_get(ci->tls_session) != GNUTLS_CRT_X509)
		return false;
	raw = gnutls_certificate_get_peers(ci->tls_session, &n);
	if (!raw || n == 0)
		return false;
	n = MIN(n, G_N_ELEMENTS(crts));
	for (got = 0; got < n; got++) {
		if (gnutls_x509_crt_init(&crts[got]) < 0)
			goto out;
		if (gnutls_x509_crt_import(crts[got], &raw[got], GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crts[got]);
			goto out;
		}
	}
	if (gnutls_x509_trust_list_verify_crt2(api->trust, crts, n, &purpose, 1, 0, &status, NULL) <
		0 ||
	    status != 0) {
		log_debug("http: a client certificate does not verify (status 0x%x)", status);
		goto out;
	}
	if (gnutls_x509_crt_get_dn_by_oid(crts[0], GNUTLS_OID_X520_COMMON_NAME, 0, 0, id, &size) <
	    0)
		goto out;
	ok = id_may_read(id);
out:
	for (unsigned i = 0; i < got; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return ok;
}

/* Compares every byte whatever the mismatch: no timing hint at a token. */
static bool same_secret(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i % (lb ? lb : 1)];
	return d == 0;
}

static const char *token_identity(struct http_api *api, const char *token)
{
	const char *who = NULL;

	for (guint i = 0; token && i < api->cfg->tokens->len; i++) {
		const struct http_token *t = g_ptr_array_index(api->cfg->tokens, i);

		if (same_secret(token, t->token))
			who = t->id;
	}
	return who;
}

/* cookie_ok: whether the page's bk_token cookie counts. It does not for
 * the one write: a browser sends a cookie with a request any other page
 * makes it send (CSRF); a Bearer header it never adds by itself. */
static bool authenticate(struct http_api *api, struct MHD_Connection *conn, bool cookie_ok,
			 char *who, size_t len)
{
	const char *auth =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *id = NULL;

	if (peer_identity(api, conn, who, len))
		return true;
	if (auth && g_ascii_strncasecmp(auth, "Bearer ", 7) == 0)
		id = token_identity(api, auth + 7);
	else if (cookie_ok)
		id = token_identity(api,
				    MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "bk_token"));
	if (!id)
		return false;
	g_strlcpy(who, id, len);
	return true;
}

/* --- query parameters --------------------------------------------------- */

static const char *arg(struct MHD_Connection *conn, const char *name)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);

	return v && *v ? v : NULL;
}

static bool one_of(const char *v, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(v, *set) == 0)
			return true;
	return false;
}

/* A time bound: "YYYY-MM-DD" (local midnight, Asia/Shanghai: the bureau's
 * day) or a full timestamp, into the archive's UTC form. */
static bool parse_time(const char *text, char out[CLOCK_TS_LEN])
{
	int64_t ms;

	if (!archive_parse_when(text, &ms))
		return false;
	clock_format_ms(ms, out);
	return true;
}

struct query_params {
	char from[CLOCK_TS_LEN], to[CLOCK_TS_LEN];
	struct stats_query q;
	char bad[160]; /* what is wrong, for a 400 */
};

/* from, to (default: the last 30 days), district, category, limit. */
static bool stats_params(struct MHD_Connection *conn, struct query_params *p)
{
	const char *from = arg(conn, "from"), *to = arg(conn, "to"), *limit = arg(conn, "limit");
	int64_t now = clock_wall_ms();

	memset(p, 0, sizeof *p);
	clock_format_ms(now, p->to);
	clock_format_ms(now - (int64_t)HTTP_DEFAULT_PERIOD_DAYS * 86400000, p->from);
	if (to && !parse_time(to, p->to)) {
		snprintf(p->bad, sizeof p->bad, "to '%.32s' is not a date or an ISO 8601 time", to);
		return false;
	}
	if (from && !parse_time(from, p->from)) {
		snprintf(p->bad, sizeof p->bad, "from '%.32s' is not a date or an ISO 8601 time",
			 from);
		return false;
	}
	p->q.from = p->from;
	p->q.to = p->to;
	p->q.district = arg(conn, "district");
	p->q.category = arg(conn, "category");
	if (p->q.district &&
	    (strlen(p->q.district) != 6 || strspn(p->q.district, "0123456789") != 6)) {
		snprintf(p->bad, sizeof p->bad, "district '%.32s' is not a 6-digit code",
			 p->q.district);
		return false;
	}
	if (p->q.category && !one_of(p->q.category, categories)) {
		snprintf(p->bad, sizeof p->bad, "category '%.32s' is not known", p->q.category);
		return false;
	}
	if (limit) {
		char *end;
		long n = strtol(limit, &end, 10);

		if (*end || n < 1 || n > HTTP_MAX_LIMIT) {
			snprintf(p->bad, sizeof p->bad, "limit '%.32s' is not 1 to %d", limit,
				 HTTP_MAX_LIMIT);
			return false;
		}
		p->q.limit = (int)n;
	}
	return true;
}

/* --- rows into JSON ----------------------------------------------------- */

struct rows {
	cJSON *array;
	const char *only_col, *only_value; /* keep only rows where column = value */
};

static void add_value(cJSON *obj, const char *name, const struct archive_value *v)
{
	switch (v->type) {
	case VALUE_INT:
		cJSON_AddNumberToObject(obj, name, (double)v->i);
		break;
	case VALUE_REAL:
		cJSON_AddNumberToObject(obj, name, v->r);
		break;
	case VALUE_TEXT:
		cJSON_AddStringToObject(obj, name, v->text);
		break;
	default:
		cJSON_AddNullToObject(obj, name);
	}
}

static void row_to_json(void *ctx, int ncols, const char *const *names,
			const struct archive_value *values)
{
	struct rows *r = ctx;
	cJSON *obj;

	if (r->only_col) {
		int i;

		for (i = 0; i < ncols; i++)
			if (strcmp(names[i], r->only_col) == 0)
				break;
		if (i == ncols || values[i].type != VALUE_TEXT ||
		    strcmp(values[i].text, r->only_value) != 0)
			return;
	}
	obj = cJSON_CreateObject();
	for (int i = 0; i < ncols; i++)
		add_value(obj, names[i], &values[i]);
	cJSON_AddItemToArray(r->array, obj);
}

/* A clip row gets the URLs the page plays it from, once it is stored. */
static void add_clip_urls(cJSON *clips)
{
	cJSON *c;

	cJSON_ArrayForEach (c, clips) {
		const cJSON *path = cJSON_GetObjectItem(c, "path");
		const cJSON *sha = cJSON_GetObjectItem(c, "sha256");
		char *base, *url;

		if (!cJSON_IsString(path) || !cJSON_IsString(sha))
			continue;
		base = g_path_get_basename(path->valuestring);
		url = g_strdup_printf("/clips/%s", base);
		cJSON_AddStringToObject(c, "url", url);
		if (g_str_has_suffix(base, ".ts")) {
			g_free(url);
			url = g_strdup_printf("/clips/%s.mp4", sha->valuestring);
			cJSON_AddStringToObject(c, "mp4", url);
		}
		g_free(url);
		g_free(base);
		cJSON_DeleteItemFromObject(c, "path"); /* the store's layout is ours */
	}
}

/* The registry table kind, CSV-exported, as an array of objects keyed by
 * the header; only rows whose column col is value, when col is set. */
static cJSON *registry_json(struct archive *a, enum registry_kind kind, const char *col,
			    const char *value)
{
	GString *csv = g_string_new(NULL);
	cJSON *array = NULL;
	struct csv *reader;
	struct csv_record rec;
	struct csv_error err;
	char **header = NULL;
	int nheader = 0, match = -1;

	if (archive_registry_export(a, kind, csv) != 0)
		goto out;
	array = cJSON_CreateArray();
	reader = csv_new(csv->str, csv->len);
	while (csv_next(reader, &rec, &err) == 1) {
		cJSON *obj;

		if (!header) {
			header = g_new0(char *, rec.nfields + 1);
			nheader = rec.nfields;
			for (int i = 0; i < rec.nfields; i++) {
				header[i] = g_strdup(rec.fields[i]);
				if (col && strcmp(header[i], col) == 0)
					match = i;
			}
			continue;
		}
		if (col && (match < 0 || strcmp(rec.fields[match], value) != 0))
			continue;
		obj = cJSON_CreateObject();
		for (int i = 0; i < rec.nfields && i < nheader; i++)
			cJSON_AddStringToObject(obj, header[i], rec.fields[i]);
		cJSON_AddItemToArray(array, obj);
	}
	csv_free(reader);
	g_strfreev(header);
out:
	g_string_free(csv, TRUE);
	return array;
}

/* --- endpoints ---------------------------------------------------------- */

static enum MHD_Result api_report(struct http_api *api, struct MHD_Connection *conn,
				  enum archive_report report, const char *sensor_arg)
{
	const char *limit = arg(conn, "limit");
	struct archive_filter f = {
		.box = arg(conn, "box"),
		.sensor = sensor_arg ? arg(conn, sensor_arg) : NULL,
		.limit = limit ? atoi(limit) : 0,
	};
	char since[CLOCK_TS_LEN];
	struct rows r = { .array = cJSON_CreateArray() };

	if (arg(conn, "since")) {
		if (!parse_time(arg(conn, "since"), since)) {
			cJSON_Delete(r.array);
			return respond_error(conn, MHD_HTTP_BAD_REQUEST,
					     "since is not a date or an ISO 8601 time");
		}
		f.since = since;
	}
	if (f.limit < 0 || f.limit > HTTP_MAX_LIMIT) {
		cJSON_Delete(r.array);
		return respond_error(conn, MHD_HTTP_BAD_REQUEST, "limit is not 1 to %d",
				     HTTP_MAX_LIMIT);
	}
	if (archive_report(api->archive, report, &f, row_to_json, &r) != 0) {
		cJSON_Delete(r.array);
		return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "archive query failed");
	}
	if (report == REPORT_CLIPS)
		add_clip_urls(r.array);
	return respond_json(conn, MHD_HTTP_OK, r.array);
}

static cJSON *period_doc(const struct query_params *p, cJSON *rows, const char *name)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddStringToObject(doc, "from", p->from);
	cJSON_AddStringToObject(doc, "to", p->to);
	cJSON_AddItemToObject(doc, name, rows);
	return doc;
}

static enum MHD_Result api_alerts(struct http_api *api, struct MHD_Connection *conn)
{
	struct query_params p;
	const char *state = arg(conn, "state");
	struct rows r;

	if (!stats_params(conn, &p))
		return respond_error(conn, MHD_HTTP_BAD_REQUEST, "%s", p.bad);
	if (state && !one_of(state, alert_states))
		return respond_error(conn, MHD_HTTP_BAD_REQUEST,
				     "state is not new, acknowledged, in_progress or closed");
	r = (struct rows){ .array = cJSON_CreateArray() };
	if (archive_alerts(api->archive, &p.q, state, row_to_json, &r) != 0) {
		cJSON_Delete(r.array);
		return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "archive query failed");
	}
	return respond_json(conn, MHD_HTTP_OK, period_doc(&p, r.array, "alerts"));
}

static enum MHD_Result api_alert_stats(struct http_api *api, struct MHD_Connection *conn)
{
	struct query_params p;
	const char *by = arg(conn, "by") ? arg(conn, "by") : "type";
	struct rows r;
	cJSON *doc;

	if (!stats_params(conn, &p))
		return respond_error(conn, MHD_HTTP_BAD_REQUEST, "%s", p.bad);
	if (!one_of(by, stats_groups))
		return respond_error(
		    conn, MHD_HTTP_BAD_REQUEST,
		    "by is not type, establishment, district, category, day, week or month");
	r = (struct rows){ .array = cJSON_CreateArray() };
	if (archive_alert_stats(api->archive, &p.q, by, row_to_json, &r) != 0) {
		cJSON_Delete(r.array);
		return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "archive query failed");
	}
	doc = period_doc(&p, r.array, "groups");
	cJSON_AddStringToObject(doc, "by", by);
	return respond_json(conn, MHD_HTTP_OK, doc);
}

static enum MHD_Result api_coverage(struct http_api *api, struct MHD_Connection *conn)
{
	struct query_params p;
	const char *t = arg(conn, "threshold");
	double threshold = 0.8;
	struct rows r;
	cJSON *doc;

	if (!stats_params(conn, &p))
		return respond_error(conn, MHD_HTTP_BAD_REQUEST, "%s", p.bad);
	if (t) {
		char *end;

		threshold = g_ascii_strtod(t, &end);
		if (*end || !(threshold > 0 && threshold <= 1))
			return respond_error(conn, MHD_HTTP_BAD_REQUEST,
					     "threshold '%.32s' is not a share in (0, 1]", t);
	}
	r = (struct rows){ .array = cJSON_CreateArray() };
	if (archive_coverage(api->archive, &p.q, threshold, NULL, 0, row_to_json, &r) != 0) {
		cJSON_Delete(r.array);
		return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "archive query failed");
	}
	doc = period_doc(&p, r.array, "coverage");
	cJSON_AddNumberToObject(doc, "threshold", threshold);
	return respond_json(conn, MHD_HTTP_OK, doc);
}

static enum MHD_Result api_establishments(struct http_api *api, struct MHD_Connection *conn)
{
	cJSON *all = registry_json(api->archive, REGISTRY_ESTABLISHMENTS, NULL, NULL);
	const char *district = arg(conn, "district"), *category = arg(conn, "category");
	cJSON *out, *e;

	if (!all)
		return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "archive query failed");
	out = cJSON_CreateArray();
	while ((e = cJSON_DetachItemFromArray(all, 0))) {
		const char *d = cJSON_GetStringValue(cJSON_GetObjectItem(e, "district"));
		const char *c = cJSON_GetStringValue(cJSON_GetObjectItem(e, "category"));

		if ((district && (!d || strcmp(d, district))) ||
		    (category && (!c || strcmp(c, category))))
			cJSON_Delete(e);
		else
			cJSON_AddItemToArray(out, e);
	}
	cJSON_Delete(all);
	return respond_json(conn, MHD_HTTP_OK, out);
}

/* A yes/no parameter: absent or "0"/"false" is no. */
static bool flag(struct MHD_Connection *conn, const char *name)
{
	const char *v = arg(conn, name);

	return v && strcmp(v, "0") != 0 && strcmp(v, "false") != 0;
}

/* 名单筛选: the establishments passing the filters (as `bkctl list`). */
static enum MHD_Result api_list(struct http_api *api, struct MHD_Connection *conn)
{
	static const char *const grades[] = { "A", "B", "C", "D", NULL };
	const char *days = arg(conn, "expiring_days");
	struct task_config cfg;
	struct list_filter f = {
		.grade = arg(conn, "grade"),
		.category = arg(conn, "category"),
		.district = arg(conn, "district"),
		.overdue = flag(conn, "overdue"),
		.open_alerts = flag(conn, "open_alerts"),
		.not_covered = flag(conn, "not_covered"),
	};
	struct rows r;

	if (f.grade && !one_of(f.grade, grades))
		return respond_error(conn, MHD_HTTP_BAD_REQUEST, "grade is not A, B, C or D");
	if (days) {
		char *end;
		long n = strtol(days, &end, 10);

		if (*end || n < 1 || n > 3650)
			return respond_error(conn, MHD_HTTP_BAD_REQUEST,
					     "expiring_days '%.32s' is not 1 to 3650", days);
		f.expiring_days = (int)n;
	}
	archive_task_config_default(&cfg);
	r = (struct rows){ .array = cJSON_CreateArray() };
	if (archive_list(api->archive, &f, &cfg, clock_wall_ms(), row_to_json, &r) != 0) {
		cJSON_Delete(r.array);
		return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "archive query failed");
	}
	return respond_json(conn, MHD_HTTP_OK, r.array);
}

/* Inspection tasks (as `bkctl tasks`), and current risk grades. */
static enum MHD_Result api_tasks(struct http_api *api, struct MHD_Connection *conn)
{
	struct task_query q = {
		.state = arg(conn, "state"),
		.inspector = arg(conn, "inspector"),
		.licence = arg(conn, "licence"),
		.kind = arg(conn, "kind"),
	};
	struct rows r = { .array = cJSON_CreateArray() };

	if (archive_tasks(api->archive, &q, clock_wall_ms(), row_to_json, &r) != 0) {
		cJSON_Delete(r.array);
		return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "archive query failed");
	}
	return respond_json(conn, MHD_HTTP_OK, r.array);
}

static enum MHD_Result api_grades(struct http_api *api, struct MHD_Connection *conn)
{
	struct rows r = { .array = cJSON_CreateArray() };

	if (archive_grades(api->archive, arg(conn, "licence"), row_to_json, &r) != 0) {
		cJSON_Delete(r.array);
		return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "archive query failed");
	}
	return respond_json(conn, MHD_HTTP_OK, r.array);
}

static void on_cameras_json(void *ctx, int ncols, const char *const *names,
			    const struct archive_value *values)
{
	const char *text = archive_column_text(ncols, names, values, "cameras");

	*(cJSON **)ctx = text ? cJSON_Parse(text) : NULL;
}

/* A box's cameras for the page's live view: [{camera, state}], the states
 * from its last status (recording, offline, disabled), then the cameras the
 * registry names that the box has not reported ("not reported"). */
static cJSON *box_cameras(struct http_api *api, const char *box)
{
	struct archive_value p = { .type = VALUE_TEXT, .text = box };
	cJSON *reported = NULL, *out = cJSON_CreateArray(), *c;
	cJSON *registry = registry_json(api->archive, REGISTRY_CAMERAS, "box", box);
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);

	archive_query(api->archive, "SELECT cameras FROM boxes WHERE id = ?1", &p, 1,
		      on_cameras_json, &reported);
	cJSON_ArrayForEach (c, reported) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(c, "id"));
		const char *state = cJSON_GetStringValue(cJSON_GetObjectItem(c, "state"));
		cJSON *o;

		if (!id || !state || g_hash_table_contains(seen, id))
			continue;
		g_hash_table_add(seen, (gpointer)id);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "camera", id);
		cJSON_AddStringToObject(o, "state", state);
		cJSON_AddItemToArray(out, o);
	}
	cJSON_ArrayForEach (c, registry) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(c, "camera"));
		cJSON *o;

		if (!id || g_hash_table_contains(seen, id))
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "camera", id);
		cJSON_AddStringToObject(o, "state", "not reported");
		cJSON_AddItemToArray(out, o);
	}
	g_hash_table_destroy(seen);
	cJSON_Delete(reported);
	cJSON_Delete(registry);
	return out;
}

/* One establishment: its registry row, coverage detail, alerts and the
 * clips of its boxes, for the period. */
static enum MHD_Result api_establishment(struct http_api *api, struct MHD_Connection *conn,
					 const char *licence)
{
	struct query_params p;
	cJSON *found, *boxes, *doc, *clips, *b;
	struct rows r;
	int rc;

	if (!stats_params(conn, &p))
		return respond_error(conn, MHD_HTTP_BAD_REQUEST, "%s", p.bad);
	found = registry_json(api->archive, REGISTRY_ESTABLISHMENTS, "licence", licence);
	if (!found)
		return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "archive query failed");
	if (cJSON_GetArraySize(found) == 0) {
		cJSON_Delete(found);
		return respond_error(conn, MHD_HTTP_NOT_FOUND, "no establishment with licence '%s'",
				     licence);
	}
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "from", p.from);
	cJSON_AddStringToObject(doc, "to", p.to);
	cJSON_AddItemToObject(doc, "establishment", cJSON_DetachItemFromArray(found, 0));
	cJSON_Delete(found);

	r = (struct rows){ .array = cJSON_AddArrayToObject(doc, "coverage") };
	rc = archive_coverage_detail(api->archive, licence, &p.q, row_to_json, &r);
	r = (struct rows){ .array = cJSON_AddArrayToObject(doc, "alerts"),
			   .only_col = "licence",
			   .only_value = licence };
	p.q.limit = p.q.limit ? p.q.limit : 1000;
	if (!rc)
		rc = archive_alerts(api->archive, &p.q, NULL, row_to_json, &r);
	boxes = registry_json(api->archive, REGISTRY_BOXES, "licence", licence);
	clips = cJSON_AddArrayToObject(doc, "clips");
	cJSON_ArrayForEach (b, boxes) {
		struct archive_filter f = {
			.box = cJSON_GetStringValue(cJSON_GetObjectItem(b, "box")),
			.since = p.from,
			.limit = 200,
		};

		r = (struct rows){ .array = clips };
		if (!rc && f.box)
			rc = archive_report(api->archive, REPORT_CLIPS, &f, row_to_json, &r);
	}
	add_clip_urls(clips);
	cJSON_ArrayForEach (b, boxes) {
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(b, "box"));

		if (id)
			cJSON_AddItemToObject(b, "cameras", box_cameras(api, id));
	}
	cJSON_AddItemToObject(doc, "boxes", boxes ? boxes : cJSON_CreateArray());
	if (rc || !boxes) {
		cJSON_Delete(doc);
		return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "archive query failed");
	}
	return respond_json(conn, MHD_HTTP_OK, doc);
}

/* --- delivery platforms, 以网管网 ----------------------------------------- */

/* A platform id as the archive stores it: [a-z0-9_-]{1,32}. */
static bool platform_id(const char *v)
{
	size_t n = strlen(v);

	return n >= 1 && n <= 32 && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* The optional platform parameter; false (400 answered) when malformed. */
static bool platform_arg(struct MHD_Connection *conn, const char **platform, enum MHD_Result *rc)
{
	*platform = arg(conn, "platform");
	if (*platform && !platform_id(*platform)) {
		*rc = respond_error(conn, MHD_HTTP_BAD_REQUEST,
				    "platform '%.40s' is not a platform id ([a-z0-9_-], 1 to 32)",
				    *platform);
		return false;
	}
	return true;
}

static enum MHD_Result api_platform_stats(struct http_api *api, struct MHD_Connection *conn)
{
	struct rows r = { .array = cJSON_CreateArray() };

	if (archive_platform_stats(api->archive, row_to_json, &r) != 0) {
		cJSON_Delete(r.array);
		return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "archive query failed");
	}
	return respond_json(conn, MHD_HTTP_OK, r.array);
}

static enum MHD_Result api_platform_findings(struct http_api *api, struct MHD_Connection *conn)
{
	static const char *const states[] = { "open", "closed", "all", NULL };
	const char *limit = arg(conn, "limit");
	struct finding_query q = {
		.kind = arg(conn, "kind"),
		.state = arg(conn, "state"),
		.licence = arg(conn, "licence"),
	};
	enum MHD_Result rc;
	struct rows r;

	if (!platform_arg(conn, &q.platform, &rc))
		return rc;
	if (q.state && !one_of(q.state, states))
		return respond_error(conn, MHD_HTTP_BAD_REQUEST,
				     "state '%.32s' is not open, closed or all", q.state);
	if (q.kind && !one_of(q.kind, platform_finding_kinds)) {
		GString *kinds = g_string_new(NULL);

		for (int i = 0; platform_finding_kinds[i]; i++)
			g_string_append_printf(kinds, "%s%s", i ? ", " : "",
					       platform_finding_kinds[i]);
		rc = respond_error(conn, MHD_HTTP_BAD_REQUEST, "kind '%.32s' is not one of %s",
				   q.kind, kinds->str);
		g_string_free(kinds, TRUE);
		return rc;
	}
	if (limit) {
		char *end;
		long n = strtol(limit, &end, 10);

		if (*end || n < 1 || n > HTTP_MAX_LIMIT)
			return respond_error(conn, MHD_HTTP_BAD_REQUEST,
					     "limit '%.32s' is not 1 to %d", limit, HTTP_MAX_LIMIT);
		q.limit = (int)n;
	}
	r = (struct rows){ .array = cJSON_CreateArray() };
	if (archive_platform_findings(api->archive, &q, row_to_json, &r) != 0) {
		cJSON_Delete(r.array);
		return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "archive query failed");
	}
	return respond_json(conn, MHD_HTTP_OK, r.array);
}

static enum MHD_Result api_platform_shops(struct http_api *api, struct MHD_Connection *conn)
{
	const char *platform;
	enum MHD_Result rc;
	struct rows r;

	if (!platform_arg(conn, &platform, &rc))
		return rc;
	r = (struct rows){ .array = cJSON_CreateArray() };
	if (archive_platform_shops(api->archive, platform, row_to_json, &r) != 0) {
		cJSON_Delete(r.array);
		return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "archive query failed");
	}
	return respond_json(conn, MHD_HTTP_OK, r.array);
}

/* The platform's notice list (its open findings put on it), as the CSV
 * sent to the platform: a download. */
static enum MHD_Result api_platform_notice(struct http_api *api, struct MHD_Connection *conn)
{
	const char *platform = arg(conn, "platform");
	GString *csv;
	char *disposition;
	enum MHD_Result rc;

	if (!platform)
		return respond_error(conn, MHD_HTTP_BAD_REQUEST,
				     "platform is required: /api/platform/notice.csv?platform=ID");
	if (!platform_arg(conn, &platform, &rc))
		return rc;
	csv = g_string_new(NULL);
	if (archive_platform_notice_csv(api->archive, platform, csv) != 0) {
		g_string_free(csv, TRUE);
		return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "archive query failed");
	}
	/* the id is [a-z0-9_-]: nothing in it needs quoting */
	disposition = g_strdup_printf("attachment; filename=\"notice-%s.csv\"", platform);
	rc = respond_with(conn, MHD_HTTP_OK, "text/csv; charset=utf-8", csv->str, csv->len, true,
			  (const char *const[]){ "Content-Disposition", disposition, NULL });
	g_free(disposition);
	g_string_free(csv, TRUE);
	return rc;
}

/* POST /api/platform/listings: the body must say it is data, not a form.
 * An HTML form (of any page the regulator visits) can only send
 * urlencoded, multipart or text/plain bodies, and a script elsewhere
 * cannot send another type here without a CORS preflight we never grant:
 * a browser holding a regulator's client certificate cannot be made to
 * upload. */
static bool upload_type_ok(struct MHD_Connection *conn)
{
	static const char *const types[] = {
		"text/csv",	     "application/json",	 "application/x-ndjson",
		"application/jsonl", "application/octet-stream", NULL
	};
	const char *type =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	char *bare;
	bool ok;

	if (!type)
		return false;
	bare = g_ascii_strdown(type, (gssize)strcspn(type, ";"));
	ok = one_of(g_strstrip(bare), types);
	g_free(bare);
	return ok;
}

/* The first call of a POST to the listings (headers only): who, what type,
 * how large. false: answered already (rc). */
static bool listings_begin(struct http_api *api, struct request *rq, enum MHD_Result *rc)
{
	struct MHD_Connection *conn = rq->conn;
	const char *length =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (!authenticate(api, conn, false, rq->who, sizeof rq->who)) {
		*rc = respond_error(conn, MHD_HTTP_UNAUTHORIZED,
				    "an upload needs a client certificate of the deployment CA "
				    "(reg-… or svc-…) or \"Authorization: Bearer TOKEN\"; the "
				    "page's bk_token cookie does not count for writes");
		return false;
	}
	if (!upload_type_ok(conn)) {
		*rc = respond_error(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
				    "send the export as Content-Type text/csv or application/json "
				    "(a form's type is refused: uploads are not for browsers)");
		return false;
	}
	if (length && g_ascii_strtoull(length, NULL, 10) > HTTP_UPLOAD_MAX) {
		*rc =
		    respond_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
				  "the file is %s bytes, more than the %u MiB an upload may hold: "
				  "split it by platform",
				  length, HTTP_UPLOAD_MAX >> 20);
		return false;
	}
	rq->upload =
	    g_string_sized_new(length ? MIN(g_ascii_strtoull(length, NULL, 10), 1u << 20) : 65536);
	return true;
}

/* A piece of the body. One without a Content-Length (chunked) is only
 * found too big as it arrives; libmicrohttpd (0.9.75) cannot answer before
 * the body has been read, so the rest is read and dropped, and 413 comes
 * at its end, unless it goes on past twice the limit: then the connection
 * is closed unanswered. */
static enum MHD_Result listings_data(struct request *rq, const char *data, size_t *len)
{
	if (!rq->too_big && rq->upload->len + *len > HTTP_UPLOAD_MAX) {
		rq->too_big = true;
		g_string_free(rq->upload, TRUE);
		rq->upload = NULL;
	}
	if (rq->too_big) {
		rq->dropped += *len;
		*len = 0;
		return rq->dropped > 2 * (uint64_t)HTTP_UPLOAD_MAX ? MHD_NO : MHD_YES;
	}
	g_string_append_len(rq->upload, data, (gssize)*len);
	*len = 0;
	return MHD_YES;
}

static cJSON *run_json(const struct platform_run *run)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddNumberToObject(doc, "platforms", run->platforms);
	cJSON_AddNumberToObject(doc, "shops", run->shops);
	cJSON_AddNumberToObject(doc, "added", run->added);
	cJSON_AddNumberToObject(doc, "changed", run->changed);
	cJSON_AddNumberToObject(doc, "delisted", run->delisted);
	cJSON_AddNumberToObject(doc, "opened", run->opened);
	cJSON_AddNumberToObject(doc, "updated", run->updated);
	cJSON_AddNumberToObject(doc, "closed", run->closed);
	cJSON_AddNumberToObject(doc, "open", run->open);
	cJSON_AddBoolToObject(doc, "seen_before", run->seen_before);
	return doc;
}

/* The whole body is there: import it as rq->who, through a writable
 * connection of its own (the API's is read-only), closed again at once. */
static enum MHD_Result listings_import(struct http_api *api, struct request *rq)
{
	struct MHD_Connection *conn = rq->conn;
	struct task_config tasks;
	struct platform_check_config cfg = { .scope = api->cfg->scope };
	struct platform_run run;
	GString *errors = g_string_new(NULL);
	struct archive *a = archive_open(api->archive_path, false);
	enum MHD_Result rc;
	int err;

	if (!a) {
		g_string_free(errors, TRUE);
		return respond_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				     "cannot open the archive for writing: try again");
	}
	archive_task_config_default(&tasks);
	cfg.coverage = tasks.coverage;
	err = archive_platform_import_text(a, rq->upload->str, rq->upload->len, rq->who, &cfg,
					   clock_wall_ms(), &run, errors);
	archive_close(a);
	if (err == -EINVAL) {
		cJSON *doc = cJSON_CreateObject();
		cJSON *problems = cJSON_AddArrayToObject(doc, "problems");
		char **lines = g_strsplit(errors->str, "\n", -1);
		int n = 0;

		cJSON_AddStringToObject(doc, "error", "the file was refused: nothing imported");
		for (int i = 0; lines[i]; i++)
			if (*lines[i]) {
				cJSON_AddItemToArray(problems, cJSON_CreateString(lines[i]));
				n++;
			}
		if (!n) /* bad arguments, which the API does not make: still say so */
			cJSON_AddItemToArray(problems, cJSON_CreateString("1:-: no shops"));
		log_info("http: listings from %s refused (%d problem%s, %zu bytes)", rq->who, n,
			 n == 1 ? "" : "s", rq->upload->len);
		g_strfreev(lines);
		rc = respond_json(conn, MHD_HTTP_UNPROCESSABLE_CONTENT, doc);
	} else if (err) {
		rc = respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "the import failed in the archive (see the collector's log): "
				   "nothing imported");
	} else {
		log_info("http: listings imported by %s: %d shop%s of %d platform%s, findings %d "
			 "opened, %d closed, %d open%s",
			 rq->who, run.shops, run.shops == 1 ? "" : "s", run.platforms,
			 run.platforms == 1 ? "" : "s", run.opened, run.closed, run.open,
			 run.seen_before ? " (this file was imported before)" : "");
		rc = respond_json(conn, MHD_HTTP_OK, run_json(&run));
	}
	g_string_free(errors, TRUE);
	return rc;
}

/* --- /metrics ----------------------------------------------------------- */

struct metrics {
	int64_t boxes, online, gaps, gap_ranges;
	GHashTable *clips; /* state → count (GINT_TO_POINTER) */
};

static void count_box(void *ctx, int ncols, const char *const *names,
		      const struct archive_value *values)
{
	struct metrics *m = ctx;
	const struct archive_value *state = archive_column(ncols, names, values, "state");

	m->boxes++;
	m->online += state && state->type == VALUE_TEXT && strcmp(state->text, "online") == 0;
}

static void count_gap(void *ctx, int ncols, const char *const *names,
		      const struct archive_value *values)
{
	struct metrics *m = ctx;
	const struct archive_value *missing = archive_column(ncols, names, values, "missing");

	m->gap_ranges++;
	m->gaps += missing && missing->type == VALUE_INT ? missing->i : 0;
}

static void count_clips(void *ctx, int ncols, const char *const *names,
			const struct archive_value *values)
{
	struct metrics *m = ctx;

	(void)names;
	if (ncols == 2 && values[0].type == VALUE_TEXT)
		g_hash_table_insert(m->clips, g_strdup(values[0].text),
				    GINT_TO_POINTER((int)values[1].i));
}

static void metric(GString *out, const char *name, const char *type, const char *help, double value)
{
	g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name,
			       type, name, value);
}

static gboolean on_rate_sample(gpointer data)
{
	struct http_api *api = data;

	api->rate[api->rate_next] =
	    (struct rate_sample){ clock_mono_ms(), api->counters ? api->counters->received : 0 };
	api->rate_next = (api->rate_next + 1) % HTTP_RATE_SAMPLES;
	api->rate_count = MIN(api->rate_count + 1, HTTP_RATE_SAMPLES);
	return G_SOURCE_CONTINUE;
}

/* Messages received per second over the last minute (since start, before). */
static double ingest_rate(const struct http_api *api)
{
	int oldest = (api->rate_next - api->rate_count + HTTP_RATE_SAMPLES) % HTTP_RATE_SAMPLES;
	const struct rate_sample *s = &api->rate[oldest];
	int64_t dt = clock_mono_ms() - s->mono_ms;

	if (api->rate_count == 0 || dt <= 0 || !api->counters)
		return 0;
	return (double)(api->counters->received - s->received) * 1000.0 / (double)dt;
}

static enum MHD_Result api_metrics(struct http_api *api, struct MHD_Connection *conn)
{
	static const char *const clip_states[] = { "receiving", "verified", "rejected" };
	const struct collector_counters *n = api->counters;
	struct metrics m = { .clips =
				 g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL) };
	struct archive_filter all = { .limit = 1000000 };
	GString *out = g_string_new(NULL);
	int rc;

	rc = archive_report(api->archive, REPORT_BOXES, &all, count_box, &m);
	if (!rc)
		rc = archive_report(api->archive, REPORT_GAPS, &all, count_gap, &m);
	/* no report counts clips by state; one aggregate beats listing them */
	if (!rc)
		rc = archive_query(
		    api->archive,
		    "SELECT state, count(*) FROM clips WHERE clip_id NOT LIKE 'segment:%'"
		    " GROUP BY state",
		    NULL, 0, count_clips, &m);
	if (rc) {
		g_hash_table_destroy(m.clips);
		g_string_free(out, TRUE);
		return respond(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
			       "archive query failed\n", 21, false);
	}
	metric(out, "bk_collector_received_total", "counter",
	       "Messages received from the broker, chunks included.", (double)n->received);
	metric(out, "bk_collector_archived_total", "counter",
	       "Stream messages archived for the first time.", (double)n->archived);
	metric(out, "bk_collector_duplicates_total", "counter",
	       "Stream messages already in the archive (replays).", (double)n->duplicates);
	metric(out, "bk_collector_rejected_total", "counter",
	       "Messages rejected (topic, size, JSON or schema).", (double)n->rejected);
	metric(out, "bk_collector_acks_total", "counter", "Acks published to boxes.",
	       (double)n->acks);
	metric(out, "bk_collector_batches_total", "counter", "Archive transactions committed.",
	       (double)n->batches);
	metric(out, "bk_collector_alerts_total", "counter", "New alerts fanned out.",
	       (double)n->alerts);
	metric(out, "bk_collector_alerts_unbound_total", "counter",
	       "New alerts of boxes bound to no establishment.", (double)n->alerts_unbound);
	metric(out, "bk_collector_ingest_rate", "gauge",
	       "Messages received per second over the last minute.", ingest_rate(api));
	metric(out, "bk_archive_gap_seqs", "gauge",
	       "Seqs neither archived nor reported dropped, all boxes.", (double)m.gaps);
	metric(out, "bk_archive_gap_ranges", "gauge", "Ranges of such seqs.", (double)m.gap_ranges);
	metric(out, "bk_boxes", "gauge", "Boxes known to the archive.", (double)m.boxes);
	metric(out, "bk_boxes_online", "gauge", "Boxes whose last status is online.",
	       (double)m.online);
	g_string_append(out, "# HELP bk_clips Clips and snapshots by state.\n"
			     "# TYPE bk_clips gauge\n");
	for (size_t i = 0; i < G_N_ELEMENTS(clip_states); i++)
		g_string_append_printf(
		    out, "bk_clips{state=\"%s\"} %d\n", clip_states[i],
		    GPOINTER_TO_INT(g_hash_table_lookup(m.clips, clip_states[i])));
	metric(out, "bk_http_sse_clients", "gauge", "Clients of /api/alerts/stream.",
	       (double)g_list_length(api->sse));
	g_string_append(out, "# HELP bk_broker_up Whether the link to each broker is up.\n"
			     "# TYPE bk_broker_up gauge\n");
	for (unsigned i = 0; i < api->counters->n_brokers; i++)
		g_string_append_printf(out, "bk_broker_up{broker=\"%s\"} %d\n",
				       api->counters->brokers[i].uri, api->counters->brokers[i].up);
	g_string_append(out, "# HELP bk_broker_received_total Messages received through each broker.\n"
			     "# TYPE bk_broker_received_total counter\n");
	for (unsigned i = 0; i < api->counters->n_brokers; i++)
		g_string_append_printf(out, "bk_broker_received_total{broker=\"%s\"} %llu\n",
				       api->counters->brokers[i].uri,
				       (unsigned long long)api->counters->brokers[i].received);
	if (api->live) {
		const struct live_view_counters *lv = live_view_counters(api->live);

		metric(out, "bk_live_viewers", "gauge", "Live viewings relayed now.",
		       (double)live_view_viewers(api->live));
		metric(out, "bk_live_streams", "gauge", "Cameras watched live through here now.",
		       (double)live_view_streams(api->live));
		metric(out, "bk_live_bytes_total", "counter", "Live video received from boxes.",
		       (double)lv->bytes);
		metric(out, "bk_live_rejected_total", "counter",
		       "Live video chunks that were not fragmented MP4.", (double)lv->rejected);
		metric(out, "bk_live_refused_total", "counter",
		       "Live viewings refused here (limits, offline cameras).", (double)lv->refused);
	}
	metric(out, "bk_http_recordings_refused_total", "counter",
	       "Requests for central storage's recordings refused (bad parameters, gaps).",
	       (double)api->recordings_refused);
	g_hash_table_destroy(m.clips);
	rc = respond(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", out->str,
		     out->len, true);
	g_string_free(out, TRUE);
	return rc;
}

/* --- live view ------------------------------------------------------------ */

/* A viewer of a camera (live_view.h). The request waits suspended until the
 * box sends video or says why not, so that the answer can still be an
 * error status; then the video streams from a callback response, which
 * owns the client. */
struct live_client {
	struct http_api *api;
	struct MHD_Connection *conn;
	struct live_watch *watch;
	bool suspended, closing;
	uint8_t *first; /* read before the response existed */
	size_t first_len, first_off;
};

static void live_client_free(void *cls)
{
	struct live_client *lc = cls;

	lc->api->live_clients = g_list_remove(lc->api->live_clients, lc);
	live_watch_leave(lc->watch);
	g_free(lc->first);
	g_free(lc);
}

static void live_resume(struct live_client *lc)
{
	if (lc->suspended) {
		lc->suspended = false;
		MHD_resume_connection(lc->conn);
		mhd_kick(lc->api);
	}
}

static void live_wake(void *ctx)
{
	live_resume(ctx);
}

static ssize_t live_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct live_client *lc = cls;
	const char *why;
	bool ended;
	size_t n;

	(void)pos;
	if (lc->first_off < lc->first_len) {
		n = MIN(max, lc->first_len - lc->first_off);
		memcpy(buf, lc->first + lc->first_off, n);
		lc->first_off += n;
		return (ssize_t)n;
	}
	if (lc->closing)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = live_watch_read(lc->watch, (uint8_t *)buf, max, &ended, &why);
	if (n)
		return (ssize_t)n;
	if (ended)
		return MHD_CONTENT_READER_END_OF_STREAM;
	/* nothing now: park the connection until live_wake */
	lc->suspended = true;
	MHD_suspend_connection(lc->conn);
	return 0;
}

/* The first bytes, the end, or nothing yet (suspend again). */
static enum MHD_Result live_answer(struct http_api *api, struct request *rq)
{
	struct live_client *lc = rq->live;
	struct MHD_Response *r;
	const char *why, *codec;
	bool ended;
	enum MHD_Result rc;

	if (lc->closing) {
		rq->live = NULL;
		live_client_free(lc);
		return respond_error(rq->conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				     "the collector is stopping");
	}
	lc->first = g_malloc(HTTP_LIVE_BLOCK);
	lc->first_len = live_watch_read(lc->watch, lc->first, HTTP_LIVE_BLOCK, &ended, &why);
	if (!lc->first_len && !ended) {
		g_clear_pointer(&lc->first, g_free);
		lc->suspended = true;
		MHD_suspend_connection(rq->conn);
		return MHD_YES;
	}
	rq->live = NULL;
	if (!lc->first_len) {
		rc = respond_error(rq->conn, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", why);
		live_client_free(lc);
		return rc;
	}
	codec = live_watch_codec(lc->watch);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, HTTP_LIVE_BLOCK, live_read, lc,
					      live_client_free);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "video/mp4");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (codec)
		MHD_add_response_header(r, "X-BK-Codec", codec);
	rc = MHD_queue_response(rq->conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	(void)api;
	return rc;
}

/* /api/live/{box}/{camera}: the camera now, as fragmented MP4 for Media
 * Source Extensions (X-BK-Codec: its RFC 6381 codec); 409 when the box or
 * the camera is offline, 503 when a limit or the box refuses, with why. */
static enum MHD_Result api_live(struct http_api *api, struct request *rq, const char *path)
{
	const char *slash = strchr(path, '/');
	char box[ENVELOPE_ID_MAX + 1], why[512];
	struct live_client *lc;
	int rc;

	if (rq->live)
		return live_answer(api, rq);
	if (!api->live)
		return respond_error(rq->conn, MHD_HTTP_NOT_FOUND, "live view is off here");
	if (!slash || (size_t)(slash - path) > ENVELOPE_ID_MAX)
		return respond_error(rq->conn, MHD_HTTP_NOT_FOUND,
				     "no such resource: /api/live/BOX/CAMERA");
	memcpy(box, path, (size_t)(slash - path));
	box[slash - path] = '\0';
	if (envelope_party(box) != PARTY_BOX || !jc_is_ident(slash + 1, NULL, 63))
		return respond_error(rq->conn, MHD_HTTP_NOT_FOUND,
				     "no such resource: /api/live/BOX/CAMERA with a box id and a "
				     "camera id");
	lc = g_new0(struct live_client, 1);
	lc->api = api;
	lc->conn = rq->conn;
	rc = live_view_watch(api->live, rq->who, box, slash + 1, live_wake, lc, &lc->watch, why,
			     sizeof why);
	if (rc) {
		g_free(lc);
		return respond_error(rq->conn,
				     rc == -EHOSTUNREACH ? MHD_HTTP_CONFLICT
							 : MHD_HTTP_SERVICE_UNAVAILABLE,
				     "%s", why);
	}
	api->live_clients = g_list_prepend(api->live_clients, lc);
	rq->live = lc;
	return live_answer(api, rq);
}

/* --- live alerts (Server-Sent Events) ----------------------------------- */

static void sse_resume(struct sse_client *cl)
{
	if (cl->suspended) {
		cl->suspended = false;
		MHD_resume_connection(cl->conn);
		mhd_kick(cl->api);
	}
}

static void sse_push(struct sse_client *cl, const char *text)
{
	if (cl->buf->len - cl->off + strlen(text) > HTTP_SSE_MAX_BUFFER) {
		log_warn("http: dropping a live-alert client that does not keep up");
		cl->closing = true;
	} else {
		g_string_append(cl->buf, text);
	}
	sse_resume(cl);
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse_client *cl = cls;
	size_t n = cl->buf->len - cl->off;

	(void)pos;
	if (cl->closing)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n == 0) {
		/* nothing to send: park the connection until sse_push */
		cl->suspended = true;
		MHD_suspend_connection(cl->conn);
		return 0;
	}
	n = MIN(n, max);
	memcpy(buf, cl->buf->str + cl->off, n);
	cl->off += n;
	if (cl->off == cl->buf->len) {
		g_string_truncate(cl->buf, 0);
		cl->off = 0;
	}
	return (ssize_t)n;
}

static void sse_free(void *cls)
{
	struct sse_client *cl = cls;

	cl->api->sse = g_list_remove(cl->api->sse, cl);
	g_string_free(cl->buf, TRUE);
	g_free(cl);
}

static enum MHD_Result api_stream(struct http_api *api, struct MHD_Connection *conn)
{
	struct sse_client *cl = g_new0(struct sse_client, 1);
	struct MHD_Response *r;
	enum MHD_Result rc;

	cl->api = api;
	cl->conn = conn;
	/* retry: how soon EventSource reconnects; the page reloads the list then */
	cl->buf = g_string_new("retry: 3000\n: live alerts\n\n");
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, cl, sse_free);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/event-stream; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	api->sse = g_list_prepend(api->sse, cl);
	rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

static gboolean on_sse_ping(gpointer data)
{
	struct http_api *api = data;

	for (GList *l = api->sse; l; l = l->next)
		sse_push(l->data, ": ping\n\n");
	return G_SOURCE_CONTINUE;
}

void http_api_alert(struct http_api *api, const char *json)
{
	GString *ev;
	char **lines;

	if (!api || !api->sse)
		return;
	ev = g_string_new("event: alert\n");
	lines = g_strsplit(json, "\n", -1); /* a data line may not hold a line break */
	for (int i = 0; lines[i]; i++)
		g_string_append_printf(ev, "data: %s\n", lines[i]);
	g_string_append_c(ev, '\n');
	for (GList *l = api->sse; l; l = l->next)
		sse_push(l->data, ev->str);
	g_strfreev(lines);
	g_string_free(ev, TRUE);
}

/* --- files: clips, snapshots and the page ------------------------------- */

static enum MHD_Result serve_fd_cached(struct MHD_Connection *conn, int fd, const char *type,
				       const char *cache);

static enum MHD_Result serve_fd(struct MHD_Connection *conn, int fd, const char *type)
{
	/* content-addressed: a URL's bytes never change */
	return serve_fd_cached(conn, fd, type, "private, max-age=31536000, immutable");
}

static enum MHD_Result serve_fd_cached(struct MHD_Connection *conn, int fd, const char *type,
				       const char *cache)
{
	const char *range =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
	struct stat st;
	uint64_t first = 0, last;
	unsigned status = MHD_HTTP_OK;
	struct MHD_Response *r;
	enum MHD_Result rc;

	if (fstat(fd, &st) != 0 || st.st_size == 0) {
		close(fd);
		return respond_error(conn, MHD_HTTP_NOT_FOUND, "no such file");
	}
	last = (uint64_t)st.st_size - 1;
	/* one range, "bytes=A-" or "bytes=A-B": what <video> asks for to seek */
	if (range && g_str_has_prefix(range, "bytes=") && !strchr(range, ',')) {
		unsigned long long a, b;
		int got = sscanf(range + 6, "%llu-%llu", &a, &b);

		if (got >= 1 && a <= last) {
			first = a;
			if (got == 2 && b >= a && b < last)
				last = b;
			status = MHD_HTTP_PARTIAL_CONTENT;
		}
	}
	r = MHD_create_response_from_fd_at_offset64(last - first + 1, fd, first);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
	if (status == MHD_HTTP_PARTIAL_CONTENT) {
		char cr[96];

		snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)first,
			 (unsigned long long)last, (unsigned long long)st.st_size);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
	}
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result serve_path(struct MHD_Connection *conn, const char *path, const char *type)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return respond_error(conn, MHD_HTTP_NOT_FOUND, "no such clip");
	return serve_fd(conn, fd, type);
}

static void on_remuxed(void *ctx, const char *mp4_path)
{
	struct request *rq = ctx;

	rq->remux_done = true;
	rq->mp4_path = g_strdup(mp4_path);
	MHD_resume_connection(rq->conn);
	mhd_kick(rq->api);
}

/* /clips/<sha256>.<ts|jpg|mp4>: a stored file by its content address; the
 * MP4 is remuxed from the .ts on first request (the request waits). */
static enum MHD_Result api_clip(struct http_api *api, struct request *rq, const char *name)
{
	struct MHD_Connection *conn = rq->conn;
	const char *dot = strchr(name, '.');
	char sha[65], *ts, *mp4 = NULL;
	enum MHD_Result rc;

	if (rq->remux_done) {
		if (!rq->mp4_path)
			return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
					     "cannot remux the clip to MP4");
		return serve_path(conn, rq->mp4_path, "video/mp4");
	}
	if (!dot || dot - name != 64 || strspn(name, "0123456789abcdef") != 64)
		return respond_error(conn, MHD_HTTP_NOT_FOUND, "not a clip address");
	memcpy(sha, name, 64);
	sha[64] = '\0';
	if (strcmp(dot, ".ts") != 0 && strcmp(dot, ".jpg") != 0 && strcmp(dot, ".mp4") != 0)
		return respond_error(conn, MHD_HTTP_NOT_FOUND, "not a clip address");
	ts = clipstore_object_path(api->clips, sha, strcmp(dot, ".mp4") ? dot + 1 : "ts");
	if (!ts) {
		rc = respond_error(conn, MHD_HTTP_NOT_FOUND, "no such clip");
	} else if (strcmp(dot, ".mp4") != 0) {
		rc = serve_path(conn, ts, strcmp(dot, ".jpg") ? "video/mp2t" : "image/jpeg");
	} else if (!api->remux) { /* stopping */
		rc = respond_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down");
	} else if (!g_file_test(ts, G_FILE_TEST_IS_REGULAR)) {
		rc = respond_error(conn, MHD_HTTP_NOT_FOUND, "no such clip");
	} else {
		switch (remux_get(api->remux, ts, sha, &mp4, on_remuxed, rq)) {
		case 0:
			rc = serve_path(conn, mp4, "video/mp4");
			break;
		case -EINPROGRESS:
			rq->remuxing = true;
			MHD_suspend_connection(conn);
			rc = MHD_YES;
			break;
		default:
			rc = respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
					   "cannot remux the clip to MP4");
		}
	}
	g_free(mp4);
	g_free(ts);
	return rc;
}

/* --- central storage: recordings and their use ------------------------- */

#define HTTP_RANGE_MAX_MS     (4 * 3600 * INT64_C(1000)) /* one MP4 at most */
#define HTTP_SEGMENT_SLACK_MS 1500			 /* segments closer than this meet */

static void add_ts(cJSON *obj, const char *name, int64_t ms)
{
	char ts[CLOCK_TS_LEN];

	clock_format_ms(ms, ts);
	cJSON_AddStringToObject(obj, name, ts);
}

static cJSON *spans_json(GArray *spans)
{
	cJSON *arr = cJSON_CreateArray();

	for (guint i = 0; i < spans->len; i++) {
		const struct archive_span *sp = &g_array_index(spans, struct archive_span, i);
		cJSON *o = cJSON_CreateObject();

		add_ts(o, "from", sp->from_ms);
		add_ts(o, "to", sp->to_ms);
		cJSON_AddNumberToObject(o, "seconds", (double)(sp->to_ms - sp->from_ms) / 1000.0);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* The segments of a range, in order. */
struct range_segs {
	GArray *spans;	 /* of struct archive_span */
	GPtrArray *shas; /* g_strdup'd */
	int64_t bytes;
};

static void on_range_seg(void *ctx, const struct archive_recording *r)
{
	struct range_segs *rs = ctx;
	struct archive_span sp = { r->start_ms, r->end_ms };

	g_array_append_val(rs->spans, sp);
	g_ptr_array_add(rs->shas, g_strdup(r->sha256));
	rs->bytes += r->bytes;
}

static enum MHD_Result refuse_recording(struct http_api *api, struct MHD_Connection *conn,
					unsigned status, cJSON *doc)
{
	api->recordings_refused++;
	log_info("http: recordings: %s", cJSON_GetObjectItem(doc, "error")->valuestring);
	return respond_json(conn, status, doc);
}

static enum MHD_Result bad_recording(struct http_api *api, struct MHD_Connection *conn,
				     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum MHD_Result bad_recording(struct http_api *api, struct MHD_Connection *conn,
				     const char *fmt, ...)
{
	cJSON *doc = cJSON_CreateObject();
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(doc, "error", text);
	g_free(text);
	return refuse_recording(api, conn, MHD_HTTP_BAD_REQUEST, doc);
}

static void on_bounds(void *ctx, const struct archive_storage_use *u)
{
	struct archive_span *b = ctx;

	b->from_ms = u->oldest_ms;
	b->to_ms = u->newest_ms;
}

struct bounds_query {
	const char *camera;
	struct archive_span span;
	bool found;
};

static void on_bounds_of(void *ctx, const struct archive_storage_use *u)
{
	struct bounds_query *q = ctx;

	if (strcmp(u->camera, q->camera) != 0)
		return;
	q->found = true;
	on_bounds(&q->span, u);
}

/* GET /api/recordings/{box}/{camera}[?from=…&to=…[&list=1][&partial=1]]:
 * without from and to, or with list=1, what is kept (ranges and gaps) as
 * JSON; else one MP4 of the range (whole segments covering it), or 404
 * naming the gaps (partial=1: what there is, gaps and all). */
static enum MHD_Result api_recordings(struct http_api *api, struct request *rq, const char *rest)
{
	struct MHD_Connection *conn = rq->conn;
	const char *from_s = arg(conn, "from"), *to_s = arg(conn, "to");
	bool list = flag(conn, "list") || (!from_s && !to_s), partial = flag(conn, "partial");
	struct range_segs rs = { g_array_new(FALSE, FALSE, sizeof(struct archive_span)),
				 g_ptr_array_new_with_free_func(g_free), 0 };
	GArray *ranges = g_array_new(FALSE, FALSE, sizeof(struct archive_span));
	GArray *gaps = g_array_new(FALSE, FALSE, sizeof(struct archive_span));
	char **parts = g_strsplit(rest, "/", 3);
	const char *box = parts[0], *camera = box ? parts[1] : NULL;
	struct bounds_query bq = { .camera = camera };
	int64_t from = 0, to = 0;
	GPtrArray *paths = NULL;
	enum MHD_Result rc;
	cJSON *doc;

	if (rq->remux_done) {
		rc = rq->mp4_path ? serve_path(conn, rq->mp4_path, "video/mp4")
				  : respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
						  "cannot remux the recording to MP4");
		goto out;
	}
	if (!box || !camera || parts[2] || !g_str_has_prefix(box, "box-") ||
	    !jc_is_ident(box + 4, NULL, 63) || !jc_is_ident(camera, NULL, 63)) {
		rc = bad_recording(api, conn,
				   "/api/recordings/%s: expected /api/recordings/BOX/CAMERA "
				   "(BOX box-…, CAMERA an id)",
				   rest);
		goto out;
	}
	if ((from_s && !archive_parse_when(from_s, &from)) ||
	    (to_s && !archive_parse_when(to_s, &to))) {
		rc = bad_recording(api, conn,
				   "/api/recordings/%s/%s: %s '%s' is not a time like "
				   "2026-01-31T08:00:00.000Z or 2026-01-31",
				   box, camera,
				   from_s && !archive_parse_when(from_s, &from) ? "from" : "to",
				   from_s && !archive_parse_when(from_s, &from) ? from_s : to_s);
		goto out;
	}
	if (!list && (!from_s || !to_s)) {
		rc = bad_recording(api, conn,
				   "/api/recordings/%s/%s: a range needs both from and to", box,
				   camera);
		goto out;
	}
	if (!from_s || !to_s) { /* everything kept */
		if (archive_storage_use(api->archive, box, on_bounds_of, &bq) != 0) {
			rc = respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
					   "archive query failed");
			goto out;
		}
		from = from_s ? from : bq.span.from_ms;
		to = to_s ? to : bq.span.to_ms;
	}
	if (to < from || (!list && to == from)) {
		rc = bad_recording(api, conn, "/api/recordings/%s/%s: to (%s) is before from (%s)",
				   box, camera, to_s ? to_s : "the newest",
				   from_s ? from_s : "the oldest");
		goto out;
	}
	if (!list && to - from > HTTP_RANGE_MAX_MS) {
		rc = bad_recording(api, conn,
				   "/api/recordings/%s/%s: %lld s asked for; one MP4 holds at most "
				   "%lld s: ask for shorter ranges",
				   box, camera, (long long)((to - from) / 1000),
				   (long long)(HTTP_RANGE_MAX_MS / 1000));
		goto out;
	}
	if (archive_recordings_between(api->archive, box, camera, from, to, on_range_seg, &rs)) {
		rc = respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "archive query failed");
		goto out;
	}
	archive_recordings_spans((const struct archive_span *)(void *)rs.spans->data, rs.spans->len,
				 from, to, HTTP_SEGMENT_SLACK_MS, ranges, gaps);
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "box", box);
	cJSON_AddStringToObject(doc, "camera", camera);
	if (rs.spans->len || from_s) {
		add_ts(doc, "from", from);
		add_ts(doc, "to", to);
	}
	cJSON_AddNumberToObject(doc, "segments", rs.spans->len);
	cJSON_AddNumberToObject(doc, "bytes", (double)rs.bytes);
	cJSON_AddItemToObject(doc, "ranges", spans_json(ranges));
	cJSON_AddItemToObject(doc, "gaps", spans_json(gaps));
	if (list) {
		rc = respond_json(conn, MHD_HTTP_OK, doc);
		goto out;
	}
	if (rs.spans->len == 0 || (gaps->len && !partial)) {
		char *text = g_strdup_printf(
		    "%s of %s has %s in that range (%u gap%s, listed): ask for the recorded "
		    "ranges, or add partial=1",
		    camera, box, rs.spans->len ? "gaps" : "no recording", gaps->len,
		    gaps->len == 1 ? "" : "s");

		cJSON_AddStringToObject(doc, "error", text);
		g_free(text);
		rc = refuse_recording(api, conn, MHD_HTTP_NOT_FOUND, doc);
		goto out;
	}
	cJSON_Delete(doc);
	/* the MP4 of these very segments: named by their hashes */
	{
		GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
		char name[80], *mp4 = NULL;

		paths = g_ptr_array_new_with_free_func(g_free);
		for (guint i = 0; i < rs.shas->len; i++) {
			char *p =
			    clipstore_object_path(api->clips, g_ptr_array_index(rs.shas, i), "ts");

			g_checksum_update(sum, g_ptr_array_index(rs.shas, i), 64);
			if (!p) {
				g_checksum_free(sum);
				rc = respond_error(conn, MHD_HTTP_NOT_FOUND,
						   "segment %s of %s/%s is not in the clip store "
						   "(deleted by retention meanwhile?)",
						   (char *)g_ptr_array_index(rs.shas, i), box,
						   camera);
				goto out;
			}
			g_ptr_array_add(paths, p);
		}
		snprintf(name, sizeof name, "range-%s", g_checksum_get_string(sum));
		g_checksum_free(sum);
		if (!api->remux) {
			rc = respond_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down");
			goto out;
		}
		switch (remux_get_range(api->remux, (const char *const *)paths->pdata, paths->len,
					name, &mp4, on_remuxed, rq)) {
		case 0: {
			int fd = open(mp4, O_RDONLY | O_CLOEXEC);

			rc = fd < 0 ? respond_error(conn, MHD_HTTP_NOT_FOUND, "no such recording")
				    : serve_fd_cached(conn, fd, "video/mp4", "private, no-cache");
			break;
		}
		case -EINPROGRESS:
			rq->remuxing = true;
			MHD_suspend_connection(conn);
			rc = MHD_YES;
			break;
		default:
			rc = respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
					   "cannot remux the recording to MP4");
		}
		g_free(mp4);
	}
out:
	if (paths)
		g_ptr_array_free(paths, TRUE);
	g_array_free(rs.spans, TRUE);
	g_ptr_array_free(rs.shas, TRUE);
	g_array_free(ranges, TRUE);
	g_array_free(gaps, TRUE);
	g_strfreev(parts);
	return rc;
}

struct storage_doc {
	cJSON *cameras;
	int64_t total;
};

static void on_storage_use(void *ctx, const struct archive_storage_use *u)
{
	struct storage_doc *sd = ctx;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "box", u->box);
	cJSON_AddStringToObject(o, "camera", u->camera);
	cJSON_AddNumberToObject(o, "segments", (double)u->segments);
	cJSON_AddNumberToObject(o, "bytes", (double)u->bytes);
	add_ts(o, "oldest", u->oldest_ms);
	add_ts(o, "newest", u->newest_ms);
	cJSON_AddNumberToObject(o, "kept_days", (double)(u->newest_ms - u->oldest_ms) / 86400000.0);
	cJSON_AddItemToArray(sd->cameras, o);
	sd->total += u->bytes;
}

/* GET /api/storage[?box=…]: central storage per box and camera. */
static enum MHD_Result api_storage(struct http_api *api, struct MHD_Connection *conn)
{
	const char *box = arg(conn, "box");
	struct storage_doc sd = { cJSON_CreateArray(), 0 };
	int64_t days = 0, budget = 0;
	cJSON *doc, *c;

	if (box && (!g_str_has_prefix(box, "box-") || !jc_is_ident(box + 4, NULL, 63))) {
		cJSON_Delete(sd.cameras);
		return bad_recording(api, conn, "/api/storage: box '%s' is not a box id", box);
	}
	if (archive_storage_use(api->archive, box, on_storage_use, &sd) != 0 ||
	    archive_meta_get(api->archive, "storage_retention_days", &days) != 0 ||
	    archive_meta_get(api->archive, "storage_budget", &budget) != 0) {
		cJSON_Delete(sd.cameras);
		return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "archive query failed");
	}
	doc = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "retention_days", (double)days);
	cJSON_AddNumberToObject(doc, "budget", (double)budget);
	cJSON_AddNumberToObject(doc, "bytes", (double)sd.total);
	cJSON_ArrayForEach (c, sd.cameras) {
		double bytes = cJSON_GetObjectItem(c, "bytes")->valuedouble;

		cJSON_AddNumberToObject(c, "budget_share", budget > 0 ? bytes / (double)budget : 0);
		cJSON_AddNumberToObject(c, "share", sd.total > 0 ? bytes / (double)sd.total : 0);
	}
	cJSON_AddItemToObject(doc, "cameras", sd.cameras);
	return respond_json(conn, MHD_HTTP_OK, doc);
}

static const char *content_type(const char *name)
{
	if (g_str_has_suffix(name, ".html"))
		return "text/html; charset=utf-8";
	if (g_str_has_suffix(name, ".js"))
		return "text/javascript; charset=utf-8";
	if (g_str_has_suffix(name, ".css"))
		return "text/css; charset=utf-8";
	if (g_str_has_suffix(name, ".svg"))
		return "image/svg+xml";
	if (g_str_has_suffix(name, ".png"))
		return "image/png";
	return "application/octet-stream";
}

/* The page: from web_root when configured (edit and reload), else built in.
 * false when name is no file of the page. */
static bool page_file(struct http_api *api, struct MHD_Connection *conn, const char *name,
		      enum MHD_Result *rc)
{
	struct MHD_Response *r = NULL;

	if (!*name || name[0] == '.' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(name))
		return false;
	if (api->cfg->web_root) {
		char *path = g_build_filename(api->cfg->web_root, name, NULL);
		char *data;
		gsize len;

		if (g_file_get_contents(path, &data, &len, NULL))
			r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
		g_free(path);
	} else {
		for (size_t i = 0; i < web_assets_count; i++)
			if (strcmp(web_assets[i].name, name) == 0)
				r = MHD_create_response_from_buffer(web_assets[i].len,
								    (void *)web_assets[i].data,
								    MHD_RESPMEM_PERSISTENT);
	}
	if (!r)
		return false;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type(name));
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	/* media-src blob:: live view plays through a MediaSource's object URL */
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
				"object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	*rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return true;
}

/* --- dispatch ------------------------------------------------------------ */

static enum MHD_Result route(struct http_api *api, struct request *rq, const char *url)
{
	struct MHD_Connection *conn = rq->conn;

	if (strcmp(url, "/api/boxes") == 0)
		return api_report(api, conn, REPORT_BOXES, NULL);
	if (strcmp(url, "/api/clips") == 0)
		return api_report(api, conn, REPORT_CLIPS, "camera");
	if (strcmp(url, "/api/events") == 0)
		return api_report(api, conn, REPORT_EVENTS, "source");
	if (strcmp(url, "/api/alerts") == 0)
		return api_alerts(api, conn);
	if (strcmp(url, "/api/alerts/stream") == 0)
		return api_stream(api, conn);
	if (strcmp(url, "/api/alert-stats") == 0)
		return api_alert_stats(api, conn);
	if (strcmp(url, "/api/coverage") == 0)
		return api_coverage(api, conn);
	if (strcmp(url, "/api/establishments") == 0)
		return api_establishments(api, conn);
	if (strcmp(url, "/api/list") == 0)
		return api_list(api, conn);
	if (strcmp(url, "/api/tasks") == 0)
		return api_tasks(api, conn);
	if (strcmp(url, "/api/grades") == 0)
		return api_grades(api, conn);
	if (strcmp(url, "/api/platform/stats") == 0)
		return api_platform_stats(api, conn);
	if (strcmp(url, "/api/platform/findings") == 0)
		return api_platform_findings(api, conn);
	if (strcmp(url, "/api/platform/shops") == 0)
		return api_platform_shops(api, conn);
	if (strcmp(url, "/api/platform/notice.csv") == 0)
		return api_platform_notice(api, conn);
	if (g_str_has_prefix(url, "/api/establishments/") && url[20] && !strchr(url + 20, '/'))
		return api_establishment(api, conn, url + 20);
	if (g_str_has_prefix(url, "/clips/"))
		return api_clip(api, rq, url + 7);
	if (g_str_has_prefix(url, "/api/recordings/"))
		return api_recordings(api, rq, url + 16);
	if (strcmp(url, "/api/storage") == 0)
		return api_storage(api, conn);
	if (strcmp(url, "/api/live/views") == 0)
		return api_report(api, conn, REPORT_LIVE_VIEWS, "camera");
	if (g_str_has_prefix(url, "/api/live/"))
		return api_live(api, rq, url + 10);
	if (strcmp(url, "/metrics") == 0)
		return api_metrics(api, conn);
	return respond_error(conn, MHD_HTTP_NOT_FOUND, "no such resource");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **req_cls)
{
	struct http_api *api = cls;
	struct request *rq = *req_cls;
	bool read = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	bool listings = strcmp(url, HTTP_LISTINGS_URL) == 0;
	enum MHD_Result rc;

	(void)version;
	if (!rq) {
		rq = g_new0(struct request, 1);
		rq->api = api;
		rq->conn = conn;
		*req_cls = rq;
		/* the one write: headers now, the body in the calls that follow */
		if (listings && strcmp(method, "POST") == 0)
			return listings_begin(api, rq, &rc) ? MHD_YES : rc;
	}
	if (rq->upload || rq->too_big) {
		if (upload_len && *upload_len)
			return listings_data(rq, upload, upload_len);
		if (rq->too_big)
			rc = respond_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
					   "the file is more than the %u MiB an upload may hold: "
					   "split it by platform",
					   HTTP_UPLOAD_MAX >> 20);
		else
			rc = listings_import(api, rq);
		log_debug("http: %s %s by %s", method, url, rq->who);
		return rc;
	}
	if (upload_len && *upload_len) {
		*upload_len = 0; /* a body is read and dropped: nothing here takes one */
		return MHD_YES;
	}
	if (rq->remuxing || rq->live)
		return route(api, rq, url);
	/* public: the page itself (no data in it) and the health probe */
	if (read && strcmp(url, "/healthz") == 0)
		return respond(conn, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok\n", 3, false);
	if (read && strcmp(url, "/") == 0 && page_file(api, conn, "index.html", &rc))
		return rc;
	if (read && url[0] == '/' && !strchr(url + 1, '/') && page_file(api, conn, url + 1, &rc))
		return rc;
	if (!authenticate(api, conn, true, rq->who, sizeof rq->who))
		return respond_error(conn, MHD_HTTP_UNAUTHORIZED,
				     "a client certificate of the deployment CA (reg-… or svc-…) "
				     "or a token is required");
	if (listings) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddStringToObject(doc, "error",
					HTTP_LISTINGS_URL " takes POST only (an export to import)");
		return respond_json_with(conn, MHD_HTTP_METHOD_NOT_ALLOWED, doc,
					 (const char *const[]){ "Allow", "POST", NULL });
	}
	if (!read)
		return respond_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				     "%s: regulators may only read (GET)", rq->who);
	rc = route(api, rq, url);
	log_debug("http: %s %s by %s", method, url, rq->who);
	return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct request *rq = *req_cls;

	(void)cls;
	(void)conn;
	(void)code;
	if (!rq)
		return;
	if (rq->live) /* never got its first bytes: the viewer went */
		live_client_free(rq->live);
	g_free(rq->mp4_path);
	if (rq->upload)
		g_string_free(rq->upload, TRUE);
	g_free(rq);
	*req_cls = NULL;
}

/* --- life cycle ---------------------------------------------------------- */

static bool parse_listen(const char *listen, struct sockaddr_storage *ss, bool *v6)
{
	const char *colon = strrchr(listen, ':');
	char *host = g_strndup(listen, (gsize)(colon - listen));
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai = NULL;
	size_t n = strlen(host);
	bool ok;

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	ok = getaddrinfo(host, colon + 1, &hints, &ai) == 0;
	if (ok) {
		memcpy(ss, ai->ai_addr, ai->ai_addrlen);
		*v6 = ai->ai_family == AF_INET6;
		freeaddrinfo(ai);
	}
	g_free(host);
	return ok;
}

struct http_api *http_api_new(const struct http_settings *cfg, const char *archive_path,
			      const char *clip_store, const struct collector_counters *counters,
			      struct live_view *live)
{
	struct http_api *api = g_new0(struct http_api, 1);
	struct sockaddr_storage ss = { 0 };
	const union MHD_DaemonInfo *info;
	GError *err = NULL;
	char err_text[512];
	bool v6 = false;

	api->cfg = cfg;
	api->archive_path = g_strdup(archive_path);
	api->counters = counters;
	api->live = live;
	if (!parse_listen(cfg->listen, &ss, &v6)) {
		log_error("cannot listen on '%s': not a numeric HOST:PORT", cfg->listen);
		goto out_free;
	}
	if (!g_file_get_contents(cfg->cert, &api->cert_pem, NULL, &err) ||
	    !g_file_get_contents(cfg->key, &api->key_pem, NULL, &err) ||
	    !g_file_get_contents(cfg->ca, &api->ca_pem, NULL, &err)) {
		log_error("cannot start the HTTP API: %s", err->message);
		g_error_free(err);
		goto out_free;
	}
	if (gnutls_x509_trust_list_init(&api->trust, 0) < 0)
		goto out_free;
	api->trust_ready = true;
	if (gnutls_x509_trust_list_add_trust_file(api->trust, cfg->ca, cfg->crl,
						  GNUTLS_X509_FMT_PEM, 0, 0) <= 0) {
		log_error("cannot load the client CA '%s'%s%s", cfg->ca,
			  cfg->crl ? " or the CRL " : "", cfg->crl ? cfg->crl : "");
		goto out_free;
	}
	api->archive = archive_open(archive_path, true);
	if (!api->archive)
		goto out_free;
	api->clips = clipstore_open(clip_store, err_text, sizeof err_text);
	if (!api->clips) {
		log_error("cannot start the HTTP API: %s", err_text);
		goto out_free;
	}
	api->remux = remux_new(cfg->cache);
	if (!api->remux)
		goto out_free;
	api->mhd = MHD_start_daemon(
	    MHD_USE_TLS | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
		(v6 ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, on_request, api,
	    /* first, or the options before it log to stderr */
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, api, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_HTTPS_MEM_CERT, api->cert_pem, MHD_OPTION_HTTPS_MEM_KEY, api->key_pem,
	    /* makes the server ask for (not require) a client certificate */
	    MHD_OPTION_HTTPS_MEM_TRUST, api->ca_pem, MHD_OPTION_HTTPS_PRIORITIES,
	    HTTP_TLS_PRIORITIES, MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTION_LIMIT,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_CONNECTION_TIMEOUT,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, api, MHD_OPTION_END);
	if (!api->mhd) {
		log_error("cannot start the HTTP API on '%s' (port in use, or a bad certificate "
			  "or key?)",
			  cfg->listen);
		goto out_free;
	}
	info = MHD_get_daemon_info(api->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		log_error("cannot start the HTTP API: libmicrohttpd has no epoll");
		goto out_free;
	}
	api->fd_watch = g_unix_fd_add(info->epoll_fd, G_IO_IN, on_mhd_fd, api);
	api->ping_timer = g_timeout_add_seconds(HTTP_SSE_PING_S, on_sse_ping, api);
	on_rate_sample(api);
	api->rate_timer = g_timeout_add_seconds(10, on_rate_sample, api);
	mhd_schedule(api);
	log_info("HTTPS API on %s", cfg->listen);
	return api;

out_free:
	http_api_free(api);
	return NULL;
}

void http_api_free(struct http_api *api)
{
	if (!api)
		return;
	/* MHD cannot close a suspended connection: resume them all first */
	remux_free(api->remux); /* its waiters are resumed, and answered 500 */
	api->remux = NULL;
	for (GList *l = api->sse; l; l = l->next) {
		struct sse_client *cl = l->data;

		cl->closing = true;
		sse_resume(cl);
	}
	for (GList *l = api->live_clients; l; l = l->next) {
		struct live_client *lc = l->data;

		lc->closing = true;
		live_resume(lc);
	}
	if (api->mhd) {
		MHD_run(api->mhd);
		MHD_stop_daemon(api->mhd); /* calls sse_free for the streams */
	}
	if (api->fd_watch)
		g_source_remove(api->fd_watch);
	if (api->timer)
		g_source_remove(api->timer);
	if (api->kick)
		g_source_remove(api->kick);
	if (api->ping_timer)
		g_source_remove(api->ping_timer);
	if (api->rate_timer)
		g_source_remove(api->rate_timer);
	archive_close(api->archive);
	clipstore_close(api->clips);
	if (api->trust_ready)
		gnutls_x509_trust_list_deinit(api->trust, 1);
	g_free(api->cert_pem);
	g_free(api->key_pem);
	g_free(api->ca_pem);
	g_free(api->archive_path);
	g_free(api);
}
