/*
 * detections.c — see detections.h.
 *
 * Plain sockets under GLib fd watches (g_unix_fd_add) rather than GIO's
 * GSocketService: the daemons link glib and gobject, not gio, and a watch
 * per fd is all a line protocol on a local socket needs. Every fd is
 * non-blocking; a wake-up reads at most one buffer (4 KiB) from one client,
 * so a chatty client cannot hold the main loop.
 *
 * Invariants: a client's input buffer never holds a complete line between
 * wake-ups except while its answers are backed up (then it is not read);
 * each line gets exactly one answer, appended to the client's output in
 * order. Cost: 4 KiB + answers per client, one cJSON tree per line.
 */
#include "detections.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <glib-unix.h>
#include <glib.h>

#include "clock.h"
#include "jcheck.h"
#include "log.h"

#define MAX_CLIENTS_DEFAULT 16
#define IDLE_MS_DEFAULT	    (5 * 60 * 1000)
#define OUT_HIGH	    (64 * 1024) /* stop reading a client with this much unread */
#define LOG_WINDOW_MS	    60000
#define LOG_PER_WINDOW	    10
#define ACCEPT_RETRY_MS	    1000 /* after EMFILE: the listener sleeps this long */

const char *const detection_types[] = {
	"no_chef_hat",	    "no_mask",	"no_work_clothes", "smoking",	"phone_use", "rodent",
	"unattended_flame", "stranger", "bin_overflow",	   "wet_floor", "motion",    NULL,
};

struct client {
	struct detections *owner;
	int fd;
	guint watch;
	GIOCondition cond; /* what watch waits for */
	char name[64];	   /* "client 3 (pid 812, uid 1000)", for logs */
	char in[DETECTION_LINE_MAX + 1];
	size_t in_len;
	bool skipping; /* the rest of an over-long line, up to its '\n' */
	bool eof;      /* no more input: close once out is written */
	GString *out;
	int64_t active_ms; /* monotonic: last byte read or written */
};

struct detections {
	char *path; /* NULL: disabled */
	dev_t dev;
	ino_t ino; /* of the socket file we made, so free removes only ours */
	double min_confidence;
	char **camera_ids;
	detection_fn fn;
	void *ctx;
	int fd;
	guint listen_watch, retry_source, idle_source;
	GPtrArray *clients; /* of struct client*, owned */
	unsigned max_clients;
	int64_t idle_ms;
	unsigned next_client_id;
	uint64_t seq;
	struct detection_counters counters;
	int64_t log_window_ms; /* rate limit of the refusal log lines */
	unsigned log_count;
	uint64_t log_suppressed;
};

/* ---- the parser --------------------------------------------------------- */

/* Replace what is not printable ASCII, so an answer stays one ASCII line
 * whatever a refused value held. */
static void ascii_only(char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
	}
}

/* Offset of the first byte that is not valid UTF-8 or is a control
 * character (C0, DEL, C1), or -1 when there is none. */
static long unprintable_at(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (p[i]) {
		unsigned c = p[i], cp, n;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return (long)i;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return (long)i;
		}
		for (unsigned k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80) /* the NUL ends this too */
				return (long)i;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		/* overlong forms, surrogates, beyond U+10FFFF, C1 controls */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
			return (long)i;
		i += n + 1;
	}
	return -1;
}

/* Offset of an escaped NUL (\u0000) in the line, or -1. cJSON would end
 * the string there and silently drop the rest of the value. */
static long escaped_nul_at(const char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0)
			return (long)i;
		i++; /* the escaped character: "\\u0000" is text, not a NUL */
	}
	return -1;
}

/* "time": present and valid, in the window around now_ms. */
static void check_time(struct jcheck *jc, const cJSON *root, int64_t now_ms, int64_t *t_ms)
{
	const char *ts = jc_timestamp(jc, root, "time", false);
	int64_t t;

	*t_ms = now_ms;
	if (!ts || !clock_parse_ts(ts, &t))
		return;
	/* unsigned differences: no overflow whatever now_ms is */
	if (t > now_ms && (uint64_t)t - (uint64_t)now_ms > (uint64_t)DETECTION_FUTURE_MS) {
		jc_fail(
		    jc,
		    "field 'time': %s is %llu s ahead of the box's clock, at most %lld s allowed",
		    ts, (unsigned long long)(((uint64_t)t - (uint64_t)now_ms) / 1000),
		    (long long)(DETECTION_FUTURE_MS / 1000));
		return;
	}
	if (t < now_ms && (uint64_t)now_ms - (uint64_t)t > (uint64_t)DETECTION_PAST_MS) {
		jc_fail(jc,
			"field 'time': %s is %llu s behind the box's clock, at most %lld s allowed",
			ts, (unsigned long long)(((uint64_t)now_ms - (uint64_t)t) / 1000),
			(long long)(DETECTION_PAST_MS / 1000));
		return;
	}
	*t_ms = t;
}

static void check_fields(struct jcheck *jc, const cJSON *root, const char *const *camera_ids,
			 int64_t now_ms, struct detection_parsed *out)
{
	static const char *const keys[] = { "type",	"camera", "confidence", "time",
					    "detector", "ref",	  NULL };
	const cJSON *conf;
	const char *camera, *detector, *ref;
	int type;
	long bad;

	/* first, so that a duplicate is refused before any copy is read */
	if (!jc_only_keys(jc, root, keys))
		return;
	type = jc_enum(jc, root, "type", true, detection_types);
	camera = jc_string(jc, root, "camera", true, 63);
	if (camera) {
		for (size_t i = 0; camera_ids && camera_ids[i] && !out->d.camera; i++) {
			if (strcmp(camera, camera_ids[i]) == 0)
				out->d.camera = camera_ids[i];
		}
		if (!out->d.camera)
			jc_fail(jc, "field 'camera': unknown camera '%.63s'", camera);
	}
	conf = cJSON_GetObjectItemCaseSensitive(root, "confidence");
	if (cJSON_IsNumber(conf) && !(conf->valuedouble >= 0 && conf->valuedouble <= 1))
		jc_fail(jc, "field 'confidence': %g is out of range [0, 1]", conf->valuedouble);
	jc_number(jc, root, "confidence", true, &out->d.confidence);
	check_time(jc, root, now_ms, &out->d.t_ms);
	detector = jc_ident(jc, root, "detector", false, NULL, DETECTION_DETECTOR_MAX);
	ref = jc_string(jc, root, "ref", false, DETECTION_REF_MAX);
	if (ref && !*ref)
		jc_fail(jc, "field 'ref': empty");
	else if (ref && (bad = unprintable_at(ref)) >= 0)
		jc_fail(jc, "field 'ref': control character or invalid UTF-8 at byte %ld", bad);
	if (!jc_ok(jc))
		return;
	out->d.type = detection_types[type];
	if (detector) {
		snprintf(out->detector, sizeof out->detector, "%s", detector);
		out->d.detector = out->detector;
	}
	if (ref) {
		snprintf(out->ref, sizeof out->ref, "%s", ref);
		out->d.ref = out->ref;
	}
}

bool detection_parse(const char *line, size_t len, const char *const *camera_ids, int64_t now_ms,
		     struct detection_parsed *out, char *err, size_t errlen)
{
	char buf[DETECTION_LINE_MAX + 1];
	const char *nul, *end = NULL;
	struct jcheck jc = { 0 };
	cJSON *root;
	long at;

	memset(out, 0, sizeof *out);
	if (len > DETECTION_LINE_MAX) {
		snprintf(err, errlen, "line longer than %d bytes", DETECTION_LINE_MAX);
		return false;
	}
	if ((nul = memchr(line, '\0', len))) {
		snprintf(err, errlen, "line contains a NUL byte at byte %ld", (long)(nul - line));
		return false;
	}
	if ((at = escaped_nul_at(line, len)) >= 0) {
		snprintf(err, errlen, "line contains an escaped NUL (\\u0000) at byte %ld", at);
		return false;
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	/* the terminating NUL is included so that trailing bytes are refused */
	root = cJSON_ParseWithLengthOpts(buf, len + 1, &end, 1);
	if (!root) {
		snprintf(err, errlen, "malformed JSON at byte %ld", end ? (long)(end - buf) : -1L);
		return false;
	}
	if (!cJSON_IsObject(root))
		jc_fail(&jc, "line is not a JSON object");
	else
		check_fields(&jc, root, camera_ids, now_ms, out);
	cJSON_Delete(root);
	if (!jc_ok(&jc)) {
		snprintf(err, errlen, "%s", jc.error);
		ascii_only(err);
		memset(out, 0, sizeof *out);
		return false;
	}
	return true;
}

/* ---- clients ------------------------------------------------------------ */

static gboolean on_client_io(gint fd, GIOCondition cond, gpointer data);

/* A refusal's log line, at most LOG_PER_WINDOW a minute: a detector gone
 * wrong may send thousands of bad lines a second. */
static void log_refusal(struct detections *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void log_refusal(struct detections *d, const char *fmt, ...)
{
	int64_t now = clock_mono_ms();
	char msg[512];
	va_list ap;

	if (now - d->log_window_ms >= LOG_WINDOW_MS) {
		if (d->log_suppressed)
			log_warn("detections: %llu more refusals not logged in the last minute",
				 (unsigned long long)d->log_suppressed);
		d->log_window_ms = now;
		d->log_count = 0;
		d->log_suppressed = 0;
	}
	if (d->log_count >= LOG_PER_WINDOW) {
		d->log_suppressed++;
		return;
	}
	d->log_count++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_warn("detections: %s", msg);
}

static void client_close(struct client *c)
{
	struct detections *d = c->owner;

	if (c->watch)
		g_source_remove(c->watch);
	close(c->fd);
	log_debug("detections: %s disconnected", c->name);
	g_string_free(c->out, TRUE);
	g_ptr_array_remove_fast(d->clients, c);
	g_free(c);
}

/* Wait for what c needs now: input unless it ended or its answers are
 * backed up, output while answers wait. false: nothing left, c is freed. */
static bool client_rewatch(struct client *c)
{
	GIOCondition want = 0;

	if (!c->eof && c->out->len < OUT_HIGH)
		want |= G_IO_IN;
	if (c->out->len)
		want |= G_IO_OUT;
	if (!want) {
		client_close(c);
		return false;
	}
	if (c->watch && want == c->cond)
		return true;
	if (c->watch)
		g_source_remove(c->watch);
	c->cond = want;
	c->watch = g_unix_fd_add(c->fd, want, on_client_io, c);
	return true;
}

/* Write what the socket takes; false when the client is gone (EPIPE…). */
static bool client_flush(struct client *c)
{
	while (c->out->len) {
		ssize_t n = send(c->fd, c->out->str, c->out->len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n <= 0) {
			log_debug("detections: cannot answer %s: %s", c->name,
				  n < 0 ? strerror(errno) : "closed");
			return false;
		}
		g_string_erase(c->out, 0, n);
		c->active_ms = clock_mono_ms();
	}
	return true;
}

static void client_refuse(struct client *c, const char *reason)
{
	struct detections *d = c->owner;

	d->counters.rejected++;
	g_string_append_printf(c->out, "error: %s\n", reason);
	log_refusal(d, "refused a line from %s on '%s': %s", c->name, d->path, reason);
}

/* Shortest precision (2 to 17 decimals) at which a and b print differently. */
static int distinct_digits(double a, double b)
{
	char sa[32], sb[32];
	int p;

	for (p = 2; p < 17; p++) {
		snprintf(sa, sizeof sa, "%.*f", p, a);
		snprintf(sb, sizeof sb, "%.*f", p, b);
		if (strcmp(sa, sb) != 0)
			break;
	}
	return p;
}

static void client_line(struct client *c, const char *line, size_t len)
{
	struct detections *d = c->owner;
	struct detection_parsed p;
	char err[256];

	d->counters.lines++;
	if (len && line[len - 1] == '\r')
		len--;
	if (!detection_parse(line, len, (const char *const *)d->camera_ids, clock_wall_ms(), &p,
			     err, sizeof err)) {
		client_refuse(c, err);
		return;
	}
	if (p.d.confidence < d->min_confidence) {
		int digits = distinct_digits(p.d.confidence, d->min_confidence);

		d->counters.ignored++;
		g_string_append_printf(c->out, "ignored: confidence %.*f below %.*f\n", digits,
				       p.d.confidence, digits, d->min_confidence);
		log_debug("detections: ignored %s on '%s' from %s: confidence %g", p.d.type,
			  p.d.camera, c->name, p.d.confidence);
		return;
	}
	d->counters.accepted++;
	d->seq++;
	g_string_append_printf(c->out, "ok %llu\n", (unsigned long long)d->seq);
	log_debug("detections: %s on '%s' (%.2f) from %s is detection %llu", p.d.type, p.d.camera,
		  p.d.confidence, c->name, (unsigned long long)d->seq);
	if (d->fn)
		d->fn(d->ctx, &p.d);
}

/* Answer the complete lines in c->in, keeping a partial one. */
static void client_lines(struct client *c)
{
	size_t start = 0;
	char *nl;

	while (c->out->len < OUT_HIGH &&
	       (nl = memchr(c->in + start, '\n', c->in_len - start)) != NULL) {
		size_t len = (size_t)(nl - (c->in + start));

		if (c->skipping)
			c->skipping = false; /* the end of the over-long line: answered already */
		else
			client_line(c, c->in + start, len);
		start += len + 1;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	if (c->in_len == sizeof c->in && !memchr(c->in, '\n', c->in_len)) {
		/* no '\n' in DETECTION_LINE_MAX + 1 bytes: answer now, skip the rest */
		if (!c->skipping) {
			c->owner->counters.lines++;
			c->owner->counters.too_long++;
			char why[64];

			snprintf(why, sizeof why, "line longer than %d bytes", DETECTION_LINE_MAX);
			client_refuse(c, why);
		}
		c->skipping = true;
		c->in_len = 0;
	}
}

/* Answer what can be answered now: complete lines while the answers are
 * not backed up, and after the end of input an unterminated last line. */
static void client_work(struct client *c)
{
	client_lines(c);
	if (c->eof && c->in_len && !memchr(c->in, '\n', c->in_len)) {
		if (!c->skipping)
			client_line(c, c->in, c->in_len);
		c->in_len = 0;
	}
}

static gboolean on_client_io(gint fd, GIOCondition cond, gpointer data)
{
	struct client *c = data;
	guint watch = c->watch;
	ssize_t n;

	(void)fd;
	if ((cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) && !c->eof && c->in_len < sizeof c->in) {
		n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, MSG_DONTWAIT);
		if (n > 0) {
			c->in_len += (size_t)n;
			c->active_ms = clock_mono_ms();
		} else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			c->eof = true;
		}
	}
	client_work(c);
	/* twice: answers that drain at once let lines held back go on */
	for (int i = 0; i < 2; i++) {
		if (!client_flush(c)) {
			c->watch = 0; /* returning G_SOURCE_REMOVE removes it */
			client_close(c);
			return G_SOURCE_REMOVE;
		}
		if (c->out->len)
			break;
		client_work(c);
	}
	if (!client_rewatch(c))
		return G_SOURCE_REMOVE; /* c is freed, its watch removed */
	/* a new watch replaced this one (already removed): this one is done */
	return c->watch == watch ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* ---- the listener ------------------------------------------------------- */

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data);

static gboolean on_accept_retry(gpointer data)
{
	struct detections *d = data;

	d->retry_source = 0;
	d->listen_watch = g_unix_fd_add(d->fd, G_IO_IN, on_accept, d);
	return G_SOURCE_REMOVE;
}

static void client_name(int fd, unsigned id, char *name, size_t len)
{
	struct ucred cred;
	socklen_t cl = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0)
		snprintf(name, len, "client %u (pid %ld, uid %ld)", id, (long)cred.pid,
			 (long)cred.uid);
	else
		snprintf(name, len, "client %u", id);
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data)
{
	struct detections *d = data;
	struct client *c;
	int cfd;

	(void)cond;
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* the pending connection stays: sleep rather than spin on it */
			log_warn("detections: cannot accept a client on '%s': %s", d->path,
				 strerror(errno));
			d->listen_watch = 0;
			d->retry_source = g_timeout_add(ACCEPT_RETRY_MS, on_accept_retry, d);
			return G_SOURCE_REMOVE;
		}
		return G_SOURCE_CONTINUE; /* EAGAIN, ECONNABORTED: nothing to do */
	}
	if (d->clients->len >= d->max_clients) {
		char msg[64];
		int n = snprintf(msg, sizeof msg, "error: too many clients (%u)\n", d->max_clients);

		d->counters.clients_refused++;
		(void)!send(cfd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(cfd);
		log_refusal(d, "refused a client on '%s': already %u clients", d->path,
			    d->max_clients);
		return G_SOURCE_CONTINUE;
	}
	c = g_new0(struct client, 1);
	c->owner = d;
	c->fd = cfd;
	c->out = g_string_new(NULL);
	c->active_ms = clock_mono_ms();
	client_name(cfd, ++d->next_client_id, c->name, sizeof c->name);
	g_ptr_array_add(d->clients, c);
	d->counters.clients++;
	log_debug("detections: %s connected", c->name);
	client_rewatch(c);
	return G_SOURCE_CONTINUE;
}

static gboolean on_idle_check(gpointer data)
{
	struct detections *d = data;
	int64_t now = clock_mono_ms();

	/* backwards: client_close moves the last client into the hole */
	for (guint i = d->clients->len; i-- > 0;) {
		struct client *c = g_ptr_array_index(d->clients, i);

		if (now - c->active_ms >= d->idle_ms) {
			log_info("detections: closing %s: silent for %lld s", c->name,
				 (long long)((now - c->active_ms) / 1000));
			d->counters.clients_idle++;
			client_close(c);
		}
	}
	return G_SOURCE_CONTINUE;
}

static void start_idle_timer(struct detections *d)
{
	int64_t tick = d->idle_ms / 4;

	if (d->idle_source)
		g_source_remove(d->idle_source);
	d->idle_source = g_timeout_add((guint)CLAMP(tick, 10, 10000), on_idle_check, d);
}

/* Remove a socket left by an earlier run; refuse a live one or a non-socket. */
static int clear_stale(const char *path, const struct sockaddr_un *addr)
{
	struct stat st;
	int probe, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_error("cannot listen for detections on '%s': exists and is not a socket", path);
		return -EEXIST;
	}
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return -errno;
	rc = connect(probe, (const struct sockaddr *)addr, sizeof *addr);
	close(probe);
	if (rc == 0) {
		log_error("cannot listen for detections on '%s': another process listens there",
			  path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	log_info("detections: removed the stale socket '%s'", path);
	return 0;
}

static int listen_on(struct detections *d)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int rc;

	if (strlen(d->path) >= sizeof addr.sun_path) {
		log_error("cannot listen for detections on '%s': path longer than %zu bytes",
			  d->path, sizeof addr.sun_path - 1);
		return -ENAMETOOLONG;
	}
	memcpy(addr.sun_path, d->path, strlen(d->path));
	if ((rc = clear_stale(d->path, &addr)) < 0) {
		if (rc != -EEXIST && rc != -EADDRINUSE)
			log_error("cannot listen for detections on '%s': %s", d->path,
				  strerror(-rc));
		return rc;
	}
	d->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->fd < 0) {
		rc = -errno;
		goto out_fail;
	}
	if (bind(d->fd, (const struct sockaddr *)&addr, sizeof addr) < 0) {
		rc = -errno;
		goto out_close;
	}
	/* before listen(): nobody can connect while the mode is still the umask's */
	if (chmod(d->path, 0660) < 0 || stat(d->path, &st) < 0) {
		rc = -errno;
		goto out_unlink;
	}
	d->dev = st.st_dev;
	d->ino = st.st_ino;
	if (listen(d->fd, 16) < 0) {
		rc = -errno;
		goto out_unlink;
	}
	d->listen_watch = g_unix_fd_add(d->fd, G_IO_IN, on_accept, d);
	return 0;

out_unlink:
	unlink(d->path);
out_close:
	close(d->fd);
	d->fd = -1;
out_fail:
	log_error("cannot listen for detections on '%s': %s", d->path, strerror(-rc));
	return rc;
}

struct detections *detections_new(const struct detections_config *cfg,
				  const char *const *camera_ids, detection_fn fn, void *ctx)
{
	struct detections *d = g_new0(struct detections, 1);
	size_t n = 0;

	while (camera_ids && camera_ids[n])
		n++;
	d->camera_ids = g_new0(char *, n + 1);
	for (size_t i = 0; i < n; i++)
		d->camera_ids[i] = g_strdup(camera_ids[i]);
	d->min_confidence = cfg->min_confidence;
	d->fn = fn;
	d->ctx = ctx;
	d->fd = -1;
	d->clients = g_ptr_array_new();
	d->max_clients = MAX_CLIENTS_DEFAULT;
	d->idle_ms = IDLE_MS_DEFAULT;
	d->log_window_ms = clock_mono_ms();
	if (!cfg->socket || !*cfg->socket) {
		log_info("detections: no socket configured, the local interface is off");
		return d;
	}
	d->path = g_strdup(cfg->socket);
	if (listen_on(d) < 0) {
		detections_free(d);
		return NULL;
	}
	start_idle_timer(d);
	log_info("detections: listening on '%s' for %zu cameras", d->path, n);
	return d;
}

void detections_free(struct detections *d)
{
	struct stat st;

	if (!d)
		return;
	while (d->clients->len)
		client_close(g_ptr_array_index(d->clients, d->clients->len - 1));
	g_ptr_array_free(d->clients, TRUE);
	if (d->listen_watch)
		g_source_remove(d->listen_watch);
	if (d->retry_source)
		g_source_remove(d->retry_source);
	if (d->idle_source)
		g_source_remove(d->idle_source);
	if (d->fd >= 0) {
		close(d->fd);
		/* only our own file: another instance may have replaced it */
		if (lstat(d->path, &st) == 0 && st.st_dev == d->dev && st.st_ino == d->ino)
			unlink(d->path);
	}
	g_strfreev(d->camera_ids);
	g_free(d->path);
	g_free(d);
}

const struct detection_counters *detections_counters(const struct detections *d)
{
	return &d->counters;
}

void detections_set_limits(struct detections *d, unsigned max_clients, int64_t idle_ms)
{
	d->max_clients = max_clients ? max_clients : 1;
	d->idle_ms = idle_ms > 0 ? idle_ms : 1;
	if (d->idle_source)
		start_idle_timer(d);
}
