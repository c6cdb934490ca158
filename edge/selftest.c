/*
 * selftest.c — see selftest.h.
 *
 * The checks use the box's own modules as the daemon does (sensor drivers,
 * rules for plausibility, camera.c into a scratch directory, the outbox,
 * mqtt_link) and add no protocol: the round trip is an ordinary event
 * message (type selftest, severity info: never an alert). What is not in
 * those modules lives here: the words an installer reads. Cost: a few seconds per camera (2 s
 * segments), three reads per sensor, one TCP probe, one MQTT connection, one outbox row.
 */
#include "selftest.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "camera.h"
#include "clock.h"
#include "log.h"
#include "message.h"
#include "mqtt_link.h"
#include "outbox.h"
#include "rules.h"
#include "sensor.h"
#include "state_lock.h"
#include "topic.h"
#include "version.h"

#define DAY_MS		   INT64_C(86400000)
#define SENSOR_READS	   3
#define CAMERA_SEGMENT_MS  2000	 /* scratch segments: short, so the check is quick */
#define TCP_TIMEOUT_MS	   5000	 /* the broker's TCP probe */
#define CONNECT_TIMEOUT_MS 15000 /* TLS + CONNECT; Paho's own limit is 10 s */

struct selftest {
	const struct edge_config *cfg;
	const char *config_path;
	GKeyFile *kf; /* the file again, for concrete hints (a sensor's host, path) */
	struct state_lock *lock;
	struct outbox *outbox; /* NULL: the state directory is unusable */
	int64_t started_ms;
	int n[4];	 /* lines per enum selftest_mark */
	GString *failed; /* "camera cam1, sensor plc-1": for the round trip's event */
	GString *warned;
	guint tick;

	struct mqtt_link *link;
	int link_state; /* 0 connecting, 1 up, -1 failed */
	char link_reason[640];
	GString *commands; /* commands that arrived, not carried out */

	int64_t rt_seq; /* the round trip's seq; 0: none sent */
	bool rt_acked;
	int64_t rt_rtt_ms, rt_offset_ms;
	bool centre_synced;
	int64_t rt_sent_mono, rt_sent_wall;
};

/* --- output ---------------------------------------------------------- */

static void line_set(struct selftest_line *l, enum selftest_mark mark, const char *what)
{
	memset(l, 0, sizeof *l);
	l->mark = mark;
	g_snprintf(l->what, sizeof l->what, "%s", what);
}

static void print_line(struct selftest *st, const struct selftest_line *l)
{
	static const char *const marks[] = { "✓", "!", "✗", "-" };
	GString *list = l->mark == SELFTEST_FAIL   ? st->failed
			: l->mark == SELFTEST_WARN ? st->warned
						   : NULL;

	printf("%s %s: %s\n", marks[l->mark], l->what, l->fact);
	if (l->mark != SELFTEST_PASS && l->hint[0])
		printf("  → %s\n", l->hint);
	fflush(stdout); /* an installer watches it appear, maybe through tee */
	st->n[l->mark]++;
	if (list)
		g_string_append_printf(list, "%s%s", list->len ? ", " : "", l->what);
}

static int summary(struct selftest *st)
{
	int bad = st->n[SELFTEST_FAIL] + st->n[SELFTEST_SKIP];

	printf("%d passed (%d with a warning), %d failed, %d not run: self-test %s\n",
	       st->n[SELFTEST_PASS] + st->n[SELFTEST_WARN], st->n[SELFTEST_WARN],
	       st->n[SELFTEST_FAIL], st->n[SELFTEST_SKIP], bad ? "FAILED" : "passed");
	fflush(stdout);
	return bad ? 1 : 0;
}

/* --- pure judgements (selftest.h) ------------------------------------ */

void selftest_format_bytes(int64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = -1;

	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		g_snprintf(buf, len, "%lld B", (long long)bytes);
	else
		g_snprintf(buf, len, "%.1f %s", v, units[u]);
}

static void format_utc(int64_t ms, char *buf, size_t len)
{
	char ts[CLOCK_TS_LEN];

	clock_format_ms(ms, ts);
	/* "2026-11-25T08:01:02.345Z" → "2026-11-25 08:01:02 UTC" */
	g_snprintf(buf, len, "%.10s %.8s UTC", ts, ts + 11);
}

void selftest_judge_clock(int64_t wall_ms, bool synced, struct selftest_line *l)
{
	char now[40];
	GDateTime *t = g_date_time_new_from_unix_utc(wall_ms / 1000);
	int year = t ? g_date_time_get_year(t) : 0;

	if (t)
		g_date_time_unref(t);
	format_utc(wall_ms, now, sizeof now);
	line_set(l, SELFTEST_PASS, "clock");
	if (year < SELFTEST_MIN_YEAR) {
		l->mark = SELFTEST_FAIL;
		g_snprintf(l->fact, sizeof l->fact, "the box says %s: it has never been set", now);
		g_snprintf(l->hint, sizeof l->hint,
			   "turn on NTP (timedatectl set-ntp true) and let the box reach an NTP "
			   "server (UDP port 123), or set the date by hand: timedatectl set-time");
	} else if (!synced) {
		l->mark = SELFTEST_WARN;
		g_snprintf(l->fact, sizeof l->fact,
			   "%s, not synchronised by NTP (the kernel says so); compared with the "
			   "centre's below",
			   now);
		g_snprintf(l->hint, sizeof l->hint,
			   "turn on NTP (timedatectl set-ntp true) and let the box reach an NTP "
			   "server (UDP port 123)");
	} else {
		g_snprintf(l->fact, sizeof l->fact, "%s, synchronised by NTP", now);
	}
}

void selftest_judge_offset(int64_t offset_ms, int64_t rtt_ms, bool centre_synced,
			   struct selftest_line *l)
{
	int64_t error = rtt_ms / 2; /* the ack was stamped somewhere in the round trip */
	int64_t off = offset_ms < 0 ? -offset_ms : offset_ms;

	line_set(l, SELFTEST_PASS, "clock vs centre");
	g_snprintf(l->fact, sizeof l->fact, "the centre's clock is %+.2f s from ours (± %.2f s)%s",
		   (double)offset_ms / 1000.0, (double)error / 1000.0,
		   centre_synced ? "" : "; the centre's own clock is not synchronised by NTP");
	if (off - error > SELFTEST_MAX_OFFSET_MS) {
		l->mark = SELFTEST_FAIL;
		g_snprintf(l->hint, sizeof l->hint,
			   "more than %d s apart: events and video would carry wrong times; turn "
			   "on NTP (timedatectl set-ntp true) and let the box reach an NTP server "
			   "(UDP port 123)",
			   SELFTEST_MAX_OFFSET_MS / 1000);
	}
}

void selftest_judge_disk(const char *dir, int64_t free_bytes, int64_t ours, int64_t budget,
			 struct selftest_line *l)
{
	char f[32], o[32], b[32], most[32];

	selftest_format_bytes(free_bytes, f, sizeof f);
	selftest_format_bytes(ours, o, sizeof o);
	selftest_format_bytes(budget, b, sizeof b);
	line_set(l, SELFTEST_PASS, "disk");
	if (free_bytes + ours >= budget) {
		g_snprintf(l->fact, sizeof l->fact,
			   "'%s' is writable; %s free + %s used by the box ≥ disk_budget %s", dir,
			   f, o, b);
		return;
	}
	l->mark = SELFTEST_FAIL;
	/* what fits, rounded down to a whole MiB for the config file */
	g_snprintf(most, sizeof most, "%lldM", (long long)((free_bytes + ours) >> 20));
	g_snprintf(l->fact, sizeof l->fact,
		   "'%s': only %s free + %s used by the box, less than disk_budget %s", dir, f, o,
		   b);
	g_snprintf(l->hint, sizeof l->hint,
		   "lower [box] disk_budget to at most %s, or put state_dir on a bigger disk",
		   most);
}

void selftest_judge_cert(const struct cert_info *ci, const char *cert_path, const char *box_id,
			 int64_t now_ms, int warn_days, struct selftest_line *l)
{
	char from[40], until[40], now[40];
	int64_t left = ci->not_after_ms - now_ms;

	format_utc(ci->not_before_ms, from, sizeof from);
	format_utc(ci->not_after_ms, until, sizeof until);
	format_utc(now_ms, now, sizeof now);
	line_set(l, SELFTEST_PASS, "certificate");
	if (strcmp(ci->cn, box_id) != 0) {
		l->mark = SELFTEST_FAIL;
		g_snprintf(l->fact, sizeof l->fact, "'%s' is issued to '%s', not to this box '%s'",
			   cert_path, ci->cn, box_id);
		g_snprintf(
		    l->hint, sizeof l->hint,
		    "install the certificate and key issued for %s as [mqtt] cert and key, or "
		    "correct [box] id",
		    box_id);
	} else if (now_ms < ci->not_before_ms) {
		l->mark = SELFTEST_FAIL;
		g_snprintf(l->fact, sizeof l->fact,
			   "%s is valid only from %s; the box's clock says %s", ci->cn, from, now);
		g_snprintf(l->hint, sizeof l->hint,
			   "set the box's clock (see clock above); if it is right, the certificate "
			   "was issued with a wrong date: ask the centre for a new one");
	} else if (left <= 0) {
		l->mark = SELFTEST_FAIL;
		g_snprintf(l->fact, sizeof l->fact, "%s expired on %s (valid from %s)", ci->cn,
			   until, from);
		g_snprintf(l->hint, sizeof l->hint,
			   "ask the centre for a renewed certificate (bk-provision box renew) and "
			   "install it as [mqtt] cert and key");
	} else if (left < (int64_t)warn_days * DAY_MS) {
		l->mark = SELFTEST_WARN;
		g_snprintf(l->fact, sizeof l->fact, "%s, valid until %s: only %lld days left",
			   ci->cn, until, (long long)(left / DAY_MS));
		g_snprintf(l->hint, sizeof l->hint,
			   "ask the centre to renew it before then (bk-provision box renew)");
	} else {
		g_snprintf(l->fact, sizeof l->fact, "%s, valid until %s (%lld days left)", ci->cn,
			   until, (long long)(left / DAY_MS));
	}
}

/* The parts of a URI an installer may see: never the password. */
struct uri_parts {
	char host[256];
	int port;
	char shown[512]; /* scheme://host:port/path */
};

static bool uri_split(const char *text, int default_port, struct uri_parts *u)
{
	GUri *uri = g_uri_parse(text, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED, NULL);

	memset(u, 0, sizeof *u);
	if (!uri || !g_uri_get_host(uri)) {
		if (uri)
			g_uri_unref(uri);
		g_snprintf(u->shown, sizeof u->shown, "%s", text);
		return false;
	}
	g_snprintf(u->host, sizeof u->host, "%s", g_uri_get_host(uri));
	u->port = g_uri_get_port(uri) > 0 ? g_uri_get_port(uri) : default_port;
	g_snprintf(u->shown, sizeof u->shown, "%s://%s:%d%s", g_uri_get_scheme(uri), u->host,
		   u->port, g_uri_get_path(uri));
	g_uri_unref(uri);
	return true;
}

static bool has(const char *text, const char *what)
{
	return text && strcasestr(text, what) != NULL;
}

void selftest_judge_camera(const struct camera_config *cc, const char *why, struct selftest_line *l)
{
	char what[96], reason[256];
	struct uri_parts u;
	bool rtsp = cc->kind == CAMERA_RTSP;

	g_snprintf(what, sizeof what, "camera %s", cc->id);
	line_set(l, SELFTEST_FAIL, what);
	/* GStreamer's sentences end in a full stop; ours go on after them */
	g_snprintf(reason, sizeof reason, "%s", why ? why : "offline");
	g_strchomp(reason);
	if (reason[0] && reason[strlen(reason) - 1] == '.')
		reason[strlen(reason) - 1] = '\0';
	why = reason;
	if (rtsp)
		uri_split(cc->uri, 554, &u);
	else
		g_snprintf(u.shown, sizeof u.shown, "%s", cc->uri ? cc->uri : "the test pattern");
	if (rtsp && (has(why, "unauthorized") || has(why, "401"))) {
		g_snprintf(l->fact, sizeof l->fact,
			   "%s refused the user name or password (401 Unauthorized)", u.shown);
		g_snprintf(l->hint, sizeof l->hint,
			   "check the user and password in [camera %s] source "
			   "(rtsp://USER:PASSWORD@%s:%d/…); try them in the camera's web page",
			   cc->id, u.host, u.port);
	} else if (rtsp && (has(why, "not found") || has(why, "404"))) {
		g_snprintf(l->fact, sizeof l->fact,
			   "the camera answers, but has no stream at %s (404 Not Found)", u.shown);
		g_snprintf(l->hint, sizeof l->hint,
			   "check the path in [camera %s] source against the camera's manual "
			   "(Hikvision: /Streaming/Channels/101, Dahua: "
			   "/cam/realmonitor?channel=1&subtype=0)",
			   cc->id);
	} else if (rtsp && (has(why, "resolve") || has(why, "lookup"))) {
		g_snprintf(l->fact, sizeof l->fact, "cannot find the camera's host '%s' (%s)",
			   u.host, why);
		g_snprintf(l->hint, sizeof l->hint,
			   "use the camera's IP address in [camera %s] source, or check the box's "
			   "DNS: getent hosts %s",
			   cc->id, u.host);
	} else if (rtsp && (has(why, "could not open resource") || has(why, "connect") ||
			    has(why, "refused") || has(why, "unreachable") || has(why, "timeout") ||
			    has(why, "timed out"))) {
		g_snprintf(l->fact, sizeof l->fact, "cannot connect to %s:%d (%s)", u.host, u.port,
			   why);
		g_snprintf(
		    l->hint, sizeof l->hint,
		    "check the camera's RTSP URL and password in [camera %s] source and that "
		    "the camera is powered and on this network: ping %s (RTSP is usually port "
		    "554)",
		    cc->id, u.host);
	} else if (has(why, "no frames")) {
		g_snprintf(l->fact, sizeof l->fact, "connected to %s, but no video came (%s)",
			   u.shown, why);
		g_snprintf(l->hint, sizeof l->hint,
			   "check in the camera's web page that this stream is enabled and encoded "
			   "as H.264 or H.265");
	} else if (!rtsp && cc->kind == CAMERA_V4L2) {
		g_snprintf(l->fact, sizeof l->fact, "cannot record from %s: %s", u.shown, why);
		g_snprintf(l->hint, sizeof l->hint,
			   "check the camera is plugged in and is this device: ls -l %s; "
			   "v4l2-ctl --list-devices",
			   cc->uri);
	} else {
		g_snprintf(l->fact, sizeof l->fact, "cannot record from %s: %s", u.shown, why);
		g_snprintf(l->hint, sizeof l->hint,
			   "check [camera %s] source; run with [box] log_level = debug for "
			   "GStreamer's details",
			   cc->id);
	}
}

void selftest_judge_broker(const char *uri, const char *reason, bool cert_ok,
			   struct selftest_line *l)
{
	struct uri_parts u;

	uri_split(uri, 8883, &u);
	line_set(l, SELFTEST_FAIL, "broker");
	if (has(reason, "certificate verify failed")) {
		g_snprintf(
		    l->fact, sizeof l->fact,
		    "%s:%d: the broker's certificate is not trusted: not signed by the CA in "
		    "[mqtt] ca, or not issued for '%s'",
		    u.host, u.port, u.host);
		g_snprintf(l->hint, sizeof l->hint,
			   "check that [mqtt] ca is this deployment's ca.crt, and that the host in "
			   "[mqtt] uri is the name (or address) in the broker's certificate");
	} else if (has(reason, "revoked")) {
		g_snprintf(l->fact, sizeof l->fact,
			   "%s:%d: the broker refused this box's certificate: it is revoked",
			   u.host, u.port);
		g_snprintf(l->hint, sizeof l->hint,
			   "ask the centre for a new certificate for this box and install it as "
			   "[mqtt] cert and key");
	} else if (has(reason, "certificate expired")) {
		g_snprintf(l->fact, sizeof l->fact,
			   "%s:%d: the broker refused this box's certificate: it has expired",
			   u.host, u.port);
		g_snprintf(l->hint, sizeof l->hint,
			   "ask the centre for a renewed certificate (bk-provision box renew) and "
			   "install it as [mqtt] cert and key");
	} else if (has(reason, "unknown ca") || has(reason, "bad certificate") ||
		   has(reason, "certificate required") || has(reason, "unsupported certificate") ||
		   has(reason, "certificate unknown") || has(reason, "decrypt error")) {
		g_snprintf(
		    l->fact, sizeof l->fact,
		    "%s:%d: the broker refused this box's certificate (issued by another CA?)",
		    u.host, u.port);
		g_snprintf(l->hint, sizeof l->hint,
			   "install the certificate and key issued for this box by this "
			   "deployment's CA as [mqtt] cert and key");
	} else if (has(reason, "connack") || has(reason, "not authori") ||
		   strstr(reason, "(code 5)") || strstr(reason, "(code 4)") ||
		   strstr(reason, "(code 2)")) {
		g_snprintf(l->fact, sizeof l->fact,
			   "%s:%d: TLS is fine, but the broker refused the MQTT connection (%s)",
			   u.host, u.port, reason);
		g_snprintf(l->hint, sizeof l->hint,
			   "ask the centre to let this box in: its ACL (tools/bk-acl) and the "
			   "certificate's CN must be the box id");
	} else if (has(reason, "; tls: ")) {
		g_snprintf(l->fact, sizeof l->fact, "%s:%d: the TLS handshake failed (%s)", u.host,
			   u.port, strstr(reason, "; tls: ") + 7);
		g_snprintf(l->hint, sizeof l->hint,
			   "check [mqtt] ca, cert and key are this deployment's; the broker's log "
			   "says which side refused");
	} else if (strstr(reason, "(code -1)")) {
		/* TCP worked (probed before): the broker hung up during TLS, which
		 * under TLS 1.3 is how it refuses a client's certificate */
		g_snprintf(l->fact, sizeof l->fact,
			   "%s:%d accepts TCP, then closes the connection during TLS: it refuses "
			   "this box's certificate",
			   u.host, u.port);
		if (cert_ok)
			g_snprintf(
			    l->hint, sizeof l->hint,
			    "the certificate looks right on the box: ask the centre whether "
			    "it is revoked, or the broker trusts another CA (the broker's log "
			    "says why)");
		else
			g_snprintf(l->hint, sizeof l->hint,
				   "fix the certificate first (see certificate above)");
	} else {
		g_snprintf(l->fact, sizeof l->fact, "%s:%d: cannot connect (%s)", u.host, u.port,
			   reason);
		g_snprintf(l->hint, sizeof l->hint,
			   "check [mqtt] uri and the box's network; ask the centre whether the "
			   "broker runs");
	}
}

bool selftest_ack_covers(int64_t seq, int64_t acked, int64_t max_seen, const cJSON *missing)
{
	const cJSON *pair;

	if (seq <= acked)
		return true;
	if (seq > max_seen)
		return false;
	cJSON_ArrayForEach (pair, missing) {
		const cJSON *a = cJSON_GetArrayItem(pair, 0), *b = cJSON_GetArrayItem(pair, 1);

		if (a && b && seq >= a->valuedouble && seq <= b->valuedouble)
			return false;
	}
	return true;
}

/* --- the main loop, for cameras and the broker ------------------------ */

static gboolean on_tick(gpointer data)
{
	(void)data;
	return G_SOURCE_CONTINUE; /* only wakes g_main_context_iteration */
}

/* Run the default main context until done(ctx) or the monotonic deadline. */
static bool wait_until(bool (*done)(void *), void *ctx, int64_t deadline_ms)
{
	while (!done(ctx)) {
		if (clock_mono_ms() >= deadline_ms)
			return false;
		g_main_context_iteration(NULL, TRUE);
	}
	return true;
}

/* --- config, clock, disk --------------------------------------------- */

static void check_config(struct selftest *st)
{
	const struct edge_config *cfg = st->cfg;
	struct selftest_line l;

	line_set(&l, SELFTEST_PASS, "config");
	g_snprintf(l.fact, sizeof l.fact, "'%s' is valid: box %s, %u sensor%s, %u camera%s",
		   st->config_path, cfg->id, cfg->sensors->len, cfg->sensors->len == 1 ? "" : "s",
		   cfg->cameras->len, cfg->cameras->len == 1 ? "" : "s");
	print_line(st, &l);
}

static void check_clock(struct selftest *st)
{
	struct selftest_line l;

	selftest_judge_clock(clock_wall_ms(), clock_is_synced(), &l);
	print_line(st, &l);
}

/* Write, sync and remove a small file in dir: root passes access(W_OK)
 * on a read-only filesystem, so only a real write tells. */
static int try_write(const char *dir)
{
	char *path = g_build_filename(dir, ".selftest-XXXXXX", NULL);
	char block[64 * 1024] = { 0 };
	int fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600), rc = 0;

	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (write(fd, block, sizeof block) != (ssize_t)sizeof block || fsync(fd) != 0)
		rc = errno ? -errno : -EIO;
	close(fd);
	g_unlink(path);
out:
	g_free(path);
	return rc;
}

/* The lock first (and with it the directory), then what the disk can take.
 * false when another bk-edge holds the lock: nothing more may be tried. */
static bool check_disk(struct selftest *st)
{
	const struct edge_config *cfg = st->cfg;
	struct selftest_line l;
	struct statvfs vfs;
	long holder;
	int rc = state_lock_take(cfg->state_dir, &st->lock, &holder);

	if (rc == -EWOULDBLOCK) {
		line_set(&l, SELFTEST_FAIL, "bk-edge");
		g_snprintf(l.fact, sizeof l.fact,
			   "already running on the state directory '%s' (pid %ld): the self-test "
			   "would share its outbox, cameras and broker connection",
			   cfg->state_dir, holder);
		g_snprintf(l.hint, sizeof l.hint,
			   "stop it first (systemctl stop bk-edge), run the self-test again, then "
			   "start it (systemctl start bk-edge)");
		print_line(st, &l);
		return false;
	}
	line_set(&l, SELFTEST_FAIL, "disk");
	g_snprintf(l.hint, sizeof l.hint,
		   "set [box] state_dir to a directory on the box's data disk that the user "
		   "running bk-edge can write (mkdir -p DIR; chown USER DIR)");
	if (rc == 0)
		rc = try_write(cfg->state_dir);
	if (rc) {
		g_snprintf(l.fact, sizeof l.fact, "cannot use the state directory '%s': %s",
			   cfg->state_dir, g_strerror(-rc));
		print_line(st, &l);
		return true;
	}
	st->outbox = outbox_open(cfg->outbox_path, cfg->outbox_sync_full);
	if (!st->outbox) {
		g_snprintf(l.fact, sizeof l.fact, "cannot open the outbox '%s' (the log says why)",
			   cfg->outbox_path);
		g_snprintf(l.hint, sizeof l.hint,
			   "check [outbox] path is writable; a damaged outbox: stop, move it aside "
			   "and tell the centre (its messages were not sent)");
		print_line(st, &l);
		return true;
	}
	if (statvfs(cfg->state_dir, &vfs) != 0) {
		g_snprintf(l.fact, sizeof l.fact, "cannot measure the disk of '%s': %s",
			   cfg->state_dir, g_strerror(errno));
		print_line(st, &l);
		return true;
	}
	selftest_judge_disk(cfg->state_dir, (int64_t)vfs.f_bavail * (int64_t)vfs.f_frsize,
			    outbox_disk_bytes(st->outbox) + outbox_segment_bytes(st->outbox) +
				outbox_clip_bytes(st->outbox),
			    cfg->disk_budget, &l);
	print_line(st, &l);
	return true;
}

/* --- cameras --------------------------------------------------------- */

struct cam_probe {
	struct camera_config cc; /* a copy: always in schedule, no motion, short segments */
	struct camera *cam;
	bool started;	     /* camera_new worked */
	int64_t online_mono; /* 0: no frame yet */
	bool offline;
	char why[256];
	int segments;
	int64_t done_mono; /* when it recorded or failed; 0: not yet */
};

struct cam_run {
	struct cam_probe *probes;
	guint n;
};

static void on_cam_state(void *ctx, struct camera *cam, bool online, int64_t wall_ms,
			 const char *why)
{
	struct cam_probe *p = ctx;

	(void)cam;
	(void)wall_ms;
	if (online) {
		p->online_mono = clock_mono_ms();
	} else if (!p->offline) { /* the first reason is the one to tell */
		p->offline = true;
		g_snprintf(p->why, sizeof p->why, "%s", why ? why : "offline");
	}
}

static bool cams_done(void *ctx)
{
	struct cam_run *r = ctx;
	bool all = true;

	for (guint i = 0; i < r->n; i++) {
		struct cam_probe *p = &r->probes[i];

		if (p->cam && !p->offline && camera_recorded_ms(p->cam) == 0)
			all = false;
		else if (!p->done_mono)
			p->done_mono = clock_mono_ms();
	}
	return all;
}

static void count_segment(void *ctx, const struct outbox_segment *seg)
{
	(void)seg;
	(*(int *)ctx)++;
}

/* rm -r dir, for the scratch directory only (regular files and directories). */
static void remove_tree(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		char *p = g_build_filename(dir, name, NULL);

		if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
			remove_tree(p);
		else
			g_unlink(p);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(dir);
}

/* A scratch directory: STATE_DIR/selftest when we hold the state directory
 * (the disk the video goes to), else one in /tmp. */
static char *scratch_dir(struct selftest *st)
{
	char *dir;

	if (st->outbox) {
		dir = g_build_filename(st->cfg->state_dir, "selftest", NULL);
		remove_tree(dir); /* a crashed self-test's leftovers: we hold the lock */
		if (g_mkdir_with_parents(dir, 0700) == 0)
			return dir;
		g_free(dir);
	}
	return g_dir_make_tmp("bk-selftest-XXXXXX", NULL);
}

static void cam_verdict(const struct cam_probe *p, int64_t t0, struct selftest_line *l,
			int64_t recorded_ms)
{
	char what[96];
	double s = (double)((p->done_mono ? p->done_mono : clock_mono_ms()) - t0) / 1000.0;

	g_snprintf(what, sizeof what, "camera %s", p->cc.id);
	line_set(l, SELFTEST_FAIL, what);
	if (!p->started) {
		g_snprintf(l->fact, sizeof l->fact,
			   "cannot record: GStreamer or one of its elements is missing (the log "
			   "says which)");
		g_snprintf(l->hint, sizeof l->hint,
			   "install GStreamer's plugins: apt-get install gstreamer1.0-plugins-good "
			   "gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly");
	} else if (recorded_ms > 0) {
		l->mark = SELFTEST_PASS;
		g_snprintf(l->fact, sizeof l->fact, "%s%d segment%s recorded in %.0f s",
			   p->cc.kind == CAMERA_RTSP ? "reachable, " : "", p->segments,
			   p->segments == 1 ? "" : "s", s);
	} else if (p->offline) {
		selftest_judge_camera(&p->cc, p->why, l);
	} else if (p->online_mono) {
		g_snprintf(l->fact, sizeof l->fact,
			   "video arrives, but no segment was closed in %.0f s", s);
		g_snprintf(l->hint, sizeof l->hint,
			   "the camera's key-frame (I-frame) interval is probably longer than %.0f "
			   "s: set it to 1–2 s in the camera's web page",
			   s / 2);
	} else {
		struct uri_parts u;

		if (p->cc.kind == CAMERA_RTSP && uri_split(p->cc.uri, 554, &u))
			g_snprintf(l->hint, sizeof l->hint,
				   "check the camera is powered and on this network: ping %s; and "
				   "the host and port in [camera %s] source",
				   u.host, p->cc.id);
		else
			g_snprintf(l->hint, sizeof l->hint, "check [camera %s] source", p->cc.id);
		g_snprintf(l->fact, sizeof l->fact, "no picture in %.0f s", s);
	}
}

static void check_cameras(struct selftest *st)
{
	const struct edge_config *cfg = st->cfg;
	struct cam_run run = { g_new0(struct cam_probe, cfg->cameras->len), cfg->cameras->len };
	struct outbox *scratch_ob = NULL;
	char *dir, *db;
	int64_t t0 = clock_mono_ms(), deadline = t0;
	int64_t *recorded = g_new0(int64_t, run.n);

	dir = scratch_dir(st);
	db = dir ? g_build_filename(dir, "outbox.db", NULL) : NULL;
	if (db)
		scratch_ob = outbox_open(db, false);
	for (guint i = 0; i < run.n; i++) {
		struct cam_probe *p = &run.probes[i];

		p->cc = *(const struct camera_config *)g_ptr_array_index(cfg->cameras, i);
		p->cc.n_schedule = 0;	   /* outside its hours too: an installer is here now */
		p->cc.motion = false;	   /* no motion events nobody will read */
		p->cc.retention_bytes = 0; /* the scratch store is thrown away anyway */
		p->cc.segment_ms = MIN(p->cc.segment_ms, CAMERA_SEGMENT_MS);
		/* two segments' worth (cut at key frames), the stall limit, and slack */
		deadline =
		    MAX(deadline, t0 + 2 * p->cc.segment_ms + p->cc.no_frames_timeout_ms + 10000);
		if (scratch_ob)
			p->cam = camera_new(&p->cc, dir, scratch_ob, on_cam_state, p);
	}
	if (!scratch_ob) {
		struct selftest_line l;

		for (guint i = 0; i < run.n; i++) {
			char what[96];

			g_snprintf(what, sizeof what, "camera %s", run.probes[i].cc.id);
			line_set(&l, SELFTEST_SKIP, what);
			g_snprintf(l.fact, sizeof l.fact,
				   "not tried: no scratch directory to record into (see disk)");
			print_line(st, &l);
		}
		goto out;
	}
	wait_until(cams_done, &run, deadline);
	for (guint i = 0; i < run.n; i++) {
		struct cam_probe *p = &run.probes[i];

		recorded[i] = p->cam ? camera_recorded_ms(p->cam) : 0;
		p->started = p->cam != NULL;
		camera_free(p->cam); /* indexes the segment being written */
		p->cam = NULL;
		outbox_segments_between(scratch_ob, p->cc.id, 0, INT64_MAX, count_segment,
					&p->segments);
	}
	for (guint i = 0; i < run.n; i++) {
		struct selftest_line l;

		cam_verdict(&run.probes[i], t0, &l, recorded[i]);
		print_line(st, &l);
	}
out:
	outbox_close(scratch_ob);
	if (dir)
		remove_tree(dir);
	g_free(db);
	g_free(dir);
	g_free(recorded);
	g_free(run.probes);
}

/* --- sensors --------------------------------------------------------- */

static void format_value(const struct sensor *s, double v, char *buf, size_t len)
{
	if (!strcmp(s->unit, "C"))
		g_snprintf(buf, len, "%.1f °C", v);
	else if (!strcmp(s->unit, "on"))
		g_snprintf(buf, len, "%s", v >= 0.5 ? "on" : "off");
	else if (!strcmp(s->unit, "alarm"))
		g_snprintf(buf, len, "%s", v >= 0.5 ? "alarm" : "no alarm");
	else
		g_snprintf(buf, len, "%g %s", v, s->unit);
}

/* What to look at for a sensor that cannot be read, by driver. */
static void sensor_hint(struct selftest *st, const struct sensor *s, char *buf, size_t len)
{
	char *group = g_strdup_printf("sensor %s", s->id);
	char *host = g_key_file_get_string(st->kf, group, "host", NULL);
	char *port = g_key_file_get_string(st->kf, group, "port", NULL);
	char *device = g_key_file_get_string(st->kf, group, "device", NULL);
	char *path = g_key_file_get_string(st->kf, group, "path", NULL);

	if (!strcmp(s->ops->name, "modbus") && host)
		g_snprintf(buf, len,
			   "check the controller at %s port %s is powered and on this network "
			   "(ping %s), and [%s] host, port, unit_id and register",
			   host, port ? port : "502", host, group);
	else if (!strcmp(s->ops->name, "modbus"))
		g_snprintf(buf, len,
			   "check the RS-485 wiring and %s (ls -l %s), and [%s] baud, parity, "
			   "unit_id and register",
			   device ? device : "the serial device", device ? device : "/dev/ttyUSB0",
			   group);
	else if (!strcmp(s->ops->name, "file"))
		g_snprintf(buf, len,
			   "check the probe is connected and its driver loaded: ls -l %s (1-Wire: "
			   "modprobe w1_therm); and [%s] path",
			   path ? path : "PATH", group);
	else
		g_snprintf(buf, len, "check the settings of [%s]", group);
	g_free(group);
	g_free(host);
	g_free(port);
	g_free(device);
	g_free(path);
}

static void check_sensor(struct selftest *st, struct sensor *s)
{
	const struct rule_config *rc = &s->rules;
	struct rules rules;
	struct rule_event evs[RULES_MAX_EVENTS];
	struct selftest_line l;
	char what[96], value[64] = "", fault[160] = "";
	int n_ok = 0, n_err = 0, last_err = 0;
	double v = 0, last = 0;
	int64_t deadline = clock_mono_ms() + 5000;

	g_snprintf(what, sizeof what, "sensor %s", s->id);
	line_set(&l, SELFTEST_PASS, what);
	rules_init(&rules, rc, s->id);
	/* three samples, a moment apart; a driver with nothing yet (a sim_csv
	 * script that starts later) is given a few seconds */
	while (n_ok + n_err < SENSOR_READS && clock_mono_ms() < deadline) {
		int rc_read = sensor_read(s, &v);

		if (rc_read == 0) {
			int n = rules_feed(&rules, clock_mono_ms(), clock_wall_ms(), v, evs);

			/* the rules' own test of the impossible (valid_min..valid_max) */
			for (int i = 0; i < n; i++) {
				if (!strcmp(evs[i].type, "sensor_fault") && !fault[0])
					g_snprintf(fault, sizeof fault, "%s", evs[i].message);
			}
			last = v;
			n_ok++;
		} else if (rc_read < 0) {
			last_err = rc_read;
			n_err++;
		}
		g_usleep((gulong)MIN(s->period_ms, 300) * 1000);
	}
	if (n_ok)
		format_value(s, last, value, sizeof value);
	if (fault[0]) {
		l.mark = SELFTEST_FAIL;
		g_snprintf(l.fact, sizeof l.fact, "%s is impossible for a %s: %s", value, s->kind,
			   fault);
		g_snprintf(
		    l.hint, sizeof l.hint,
		    "check the probe sits where it should and is wired right, and [sensor %s] "
		    "scale, offset%s; the valid range is valid_min..valid_max",
		    s->id, !strcmp(s->ops->name, "modbus") ? ", register and type" : "");
	} else if (n_ok == 0 && n_err) {
		l.mark = SELFTEST_FAIL;
		g_snprintf(l.fact, sizeof l.fact, "%d of %d reads failed: %s", n_err, n_err,
			   g_strerror(-last_err));
		sensor_hint(st, s, l.hint, sizeof l.hint);
	} else if (n_ok == 0) {
		l.mark = SELFTEST_FAIL;
		g_snprintf(l.fact, sizeof l.fact, "gave no sample in 5 s");
		g_snprintf(l.hint, sizeof l.hint, "check the settings of [sensor %s]", s->id);
	} else if (n_err) {
		l.mark = SELFTEST_WARN;
		g_snprintf(l.fact, sizeof l.fact,
			   "%s, plausible for %s, but %d of %d reads failed: %s", value, s->kind,
			   n_err, n_ok + n_err, g_strerror(-last_err));
		sensor_hint(st, s, l.hint, sizeof l.hint);
	} else if ((rc->has_max && last > rc->max) || (rc->has_min && last < rc->min)) {
		bool high = rc->has_max && last > rc->max;

		l.mark = SELFTEST_WARN;
		g_snprintf(l.fact, sizeof l.fact, "%s, plausible for %s, but %s its limit %g",
			   value, s->kind, high ? "above" : "below", high ? rc->max : rc->min);
		g_snprintf(l.hint, sizeof l.hint,
			   "an alert opens if it stays so for %lld %s: check the appliance, or "
			   "[sensor %s] %s if the limit is wrong for it",
			   (long long)(rc->duration_ms >= 60000 ? rc->duration_ms / 60000
								: rc->duration_ms / 1000),
			   rc->duration_ms >= 60000 ? "min" : "s", s->id, high ? "max" : "min");
	} else {
		g_snprintf(l.fact, sizeof l.fact, "%s, plausible for %s", value, s->kind);
	}
	print_line(st, &l);
}

/* --- certificate and broker ------------------------------------------ */

/* The certificate as the broker will judge it, as far as the box can:
 * key and certificate belong together, it names the box, is valid now and
 * chains to [mqtt] ca. A broker that refuses it anyway (revoked, another
 * CA) closes the connection after TLS 1.3's handshake without a reason the
 * client sees: this line is what tells the causes apart. */
static bool check_certificate(struct selftest *st)
{
	static const char probe[] = "bk-edge selftest";
	const struct edge_config *cfg = st->cfg;
	struct selftest_line l;
	struct cert_info ci;
	char err[256] = "";
	struct signer *sg = signer_new(cfg->mqtt.key, cfg->mqtt.cert, err, sizeof err);
	char *sig = NULL;

	if (!sg || !signing_cert_info(cfg->mqtt.cert, &ci, err, sizeof err)) {
		line_set(&l, SELFTEST_FAIL, "certificate");
		g_snprintf(l.fact, sizeof l.fact, "'%s' with key '%s': %s", cfg->mqtt.cert,
			   cfg->mqtt.key, err);
		g_snprintf(l.hint, sizeof l.hint,
			   "install this box's certificate and its own key as [mqtt] cert and key "
			   "(PEM files, from the box's bundle)");
		goto out;
	}
	selftest_judge_cert(&ci, cfg->mqtt.cert, cfg->id, clock_wall_ms(), cfg->cert_warn_days, &l);
	if (l.mark == SELFTEST_FAIL)
		goto out;
	sig = signer_sign(sg, probe, sizeof probe);
	if (!sig || !signing_verify(cfg->mqtt.ca, signer_cert_pem(sg), cfg->id, probe, sizeof probe,
				    sig, err, sizeof err)) {
		line_set(&l, SELFTEST_FAIL, "certificate");
		g_snprintf(l.fact, sizeof l.fact, "%s is not from the CA in [mqtt] ca '%s': %s",
			   cfg->id, cfg->mqtt.ca, sig ? err : "cannot sign with its key");
		g_snprintf(l.hint, sizeof l.hint,
			   "install the certificate and key this deployment's CA issued for %s as "
			   "[mqtt] cert and key, and the deployment's ca.crt as [mqtt] ca",
			   cfg->id);
	}
out:
	g_free(sig);
	signer_free(sg);
	print_line(st, &l);
	return l.mark != SELFTEST_FAIL;
}

/* Plain TCP to the broker first: only this tells "no network" from a TLS
 * problem (Paho says "TCP/TLS connect failure" for both). 0 or -errno;
 * -EHOSTDOWN: the name does not resolve (gai holds the resolver's reason). */
static int tcp_probe(const char *host, int port, char *gai, size_t gai_len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char service[16];
	int rc, err = -ETIMEDOUT;

	g_snprintf(service, sizeof service, "%d", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0) {
		g_snprintf(gai, gai_len, "%s", gai_strerror(rc));
		return -EHOSTDOWN;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		socklen_t len = sizeof err;

		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			err = 0;
		} else if (errno != EINPROGRESS) {
			err = -errno;
		} else if (poll(&pfd, 1, TCP_TIMEOUT_MS) <= 0) {
			err = -ETIMEDOUT;
		} else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0) {
			err = -err;
		}
		close(fd);
		if (err == 0)
			break;
	}
	freeaddrinfo(res);
	return err;
}

static void on_link_event(void *ctx, const struct mqtt_event *ev);

static bool link_settled(void *ctx)
{
	return ((struct selftest *)ctx)->link_state != 0;
}

/* Broker i of n (ms names only that one): the connected link, or NULL. */
static struct mqtt_link *check_broker(struct selftest *st, const struct mqtt_settings *ms, int i,
				      int n, bool cert_ok)
{
	const struct edge_config *cfg = st->cfg;
	char ack_topic[TOPIC_MAX], gai[128] = "", what[32];
	const char *subs[] = { ack_topic, NULL };
	struct mqtt_link *link;
	struct mqtt_link_options opt = {
		.settings = ms,
		.client_id = cfg->id,
		/* the daemon's persistent session: kept, so that commands the
		 * centre sends after the self-test still wait for the daemon */
		.clean_session = false,
		.subscriptions = subs,
		.on_event = on_link_event,
		.ctx = st,
	};
	struct selftest_line l;
	struct uri_parts u;
	int64_t t0 = clock_mono_ms();
	int rc;

	if (n > 1)
		g_snprintf(what, sizeof what, "broker %d of %d", i + 1, n);
	line_set(&l, SELFTEST_FAIL, n > 1 ? what : "broker");
	if (!uri_split(ms->uri, 8883, &u)) {
		g_snprintf(l.fact, sizeof l.fact, "cannot read the host in [mqtt] uri '%s'",
			   ms->uri);
		g_snprintf(l.hint, sizeof l.hint, "write it as ssl://HOST:PORT");
		print_line(st, &l);
		return NULL;
	}
	rc = tcp_probe(u.host, u.port, gai, sizeof gai);
	if (rc == -EHOSTDOWN) {
		g_snprintf(l.fact, sizeof l.fact, "cannot resolve the broker's host '%s': %s",
			   u.host, gai);
		g_snprintf(l.hint, sizeof l.hint,
			   "check the host in [mqtt] uri and the box's DNS: getent hosts %s",
			   u.host);
	} else if (rc == -ECONNREFUSED) {
		g_snprintf(l.fact, sizeof l.fact,
			   "%s:%d refused the connection: no broker listens there", u.host, u.port);
		g_snprintf(
		    l.hint, sizeof l.hint,
		    "check the port in [mqtt] uri, and ask the centre whether the broker runs");
	} else if (rc) {
		g_snprintf(l.fact, sizeof l.fact, "cannot reach %s:%d: %s", u.host, u.port,
			   g_strerror(-rc));
		g_snprintf(l.hint, sizeof l.hint,
			   "check the box's network (cable, gateway: ip route; ping %s) and that "
			   "the firewall lets TCP port %d out",
			   u.host, u.port);
	}
	if (rc) {
		print_line(st, &l);
		return NULL;
	}
	topic_format(ack_topic, MSG_ACK, cfg->id);
	st->link_state = 0;
	link = mqtt_link_new(&opt);
	if (!link || mqtt_link_start(link) != 0) {
		g_snprintf(l.fact, sizeof l.fact, "cannot start an MQTT client (the log says why)");
		print_line(st, &l);
		mqtt_link_free(link, 0);
		return NULL;
	}
	if (!wait_until(link_settled, st, t0 + CONNECT_TIMEOUT_MS)) {
		g_snprintf(l.fact, sizeof l.fact,
			   "%s:%d accepts TCP, but TLS and MQTT CONNECT did not finish in %d s",
			   u.host, u.port, CONNECT_TIMEOUT_MS / 1000);
		g_snprintf(l.hint, sizeof l.hint,
			   "check that [mqtt] uri names the broker's TLS port (8883), not another "
			   "service");
	} else if (st->link_state < 0) {
		selftest_judge_broker(ms->uri, st->link_reason, cert_ok, &l);
		if (n > 1)
			g_strlcpy(l.what, what, sizeof l.what);
	} else {
		l.mark = SELFTEST_PASS;
		g_snprintf(l.fact, sizeof l.fact, "%s:%d: TLS and MQTT connect as %s in %lld ms",
			   u.host, u.port, cfg->id, (long long)(clock_mono_ms() - t0));
	}
	print_line(st, &l);
	if (l.mark == SELFTEST_PASS)
		return link;
	mqtt_link_free(link, 0);
	return NULL;
}

/* Every broker of [mqtt] uri, each on its own: a box fails over among them,
 * so each must take it. The first that does carries the round trip. */
static bool check_brokers(struct selftest *st, bool cert_ok)
{
	int n = mqtt_settings_broker_count(&st->cfg->mqtt);

	for (int i = 0; i < n; i++) {
		struct mqtt_settings one = mqtt_settings_only(&st->cfg->mqtt, i);
		struct mqtt_link *link;

		link = check_broker(st, &one, i, n, cert_ok);
		if (link && !st->link)
			st->link = link;
		else
			mqtt_link_free(link, 1000);
	}
	return st->link != NULL;
}

/* --- round trip ------------------------------------------------------ */

static void on_ack(struct selftest *st, const struct message *m)
{
	int64_t acked = m->u.ack.acked;
	int64_t clock_ms;

	/* as the daemon: rows the collector has archived go (edge.c, handle_ack) */
	if (acked > 0 && acked <= outbox_last_seq(st->outbox))
		outbox_ack(st->outbox, acked);
	if (!st->rt_seq || st->rt_acked ||
	    !selftest_ack_covers(st->rt_seq, acked, m->u.ack.max_seen,
				 cJSON_GetObjectItem(m->root, "missing")))
		return;
	st->rt_acked = true;
	st->rt_rtt_ms = clock_mono_ms() - st->rt_sent_mono;
	st->centre_synced = m->env.synced;
	/* the centre stamped the ack within the round trip: compare with its middle */
	if (clock_parse_ts(m->env.ts, &clock_ms))
		st->rt_offset_ms = clock_ms - (st->rt_sent_wall + st->rt_rtt_ms / 2);
}

static void on_link_event(void *ctx, const struct mqtt_event *ev)
{
	struct selftest *st = ctx;
	struct topic t;
	struct message m;
	struct jcheck jc = { 0 };
	char err[128];
	cJSON *root;

	if (ev->kind == MQTT_EVENT_CONNECTED) {
		st->link_state = 1;
		return;
	}
	if (ev->kind == MQTT_EVENT_DISCONNECTED) {
		if (st->link_state == 0) { /* the first attempt's reason is the one */
			st->link_state = -1;
			g_snprintf(st->link_reason, sizeof st->link_reason, "%s", ev->reason);
		}
		return;
	}
	if (!topic_parse(ev->topic, &t, err, sizeof err) || strcmp(t.owner, st->cfg->id) != 0)
		return;
	root = message_parse(ev->payload, ev->len, err, sizeof err);
	if (root && message_validate(&t, root, &m, &jc)) {
		if (t.kind == MSG_ACK && st->outbox)
			on_ack(st, &m);
		else if (t.kind == MSG_CMD)
			g_string_append_printf(st->commands, "%s%s %s",
					       st->commands->len ? ", " : "",
					       message_cmd_actions[m.u.cmd.action], m.u.cmd.cmd_id);
	}
	cJSON_Delete(root);
}

static bool rt_settled(void *ctx)
{
	struct selftest *st = ctx;

	return st->rt_acked || !mqtt_link_connected(st->link);
}

/* A selftest event through the outbox, as any message; its ack proves the
 * path to the archive. The row stays if no ack comes: the daemon sends it. */
static void check_round_trip(struct selftest *st, bool connected)
{
	const struct edge_config *cfg = st->cfg;
	struct selftest_line l;
	char topic[TOPIC_MAX], text_msg[512], event_id[64];
	int64_t timeout = MAX(5000, MIN(cfg->ack_timeout_ms, 30000));
	struct envelope env;
	struct event_info ev = { .event_id = event_id,
				 .phase = "close",
				 .type = "selftest",
				 .severity = "info",
				 .message = text_msg };
	cJSON *msg;
	char *text;
	int rc;

	line_set(&l, SELFTEST_SKIP, "round trip");
	if (!st->outbox || !connected) {
		g_snprintf(l.fact, sizeof l.fact, "not tried: %s",
			   !st->outbox ? "no outbox (see disk)" : "not connected to the broker");
		print_line(st, &l);
		return;
	}
	g_snprintf(event_id, sizeof event_id, "selftest:%lld", (long long)st->started_ms);
	/* the checklist so far, for the centre: "self-test: 8 passed (1 with a
	 * warning: clock), 1 failed (camera cam1)" */
	g_snprintf(text_msg, sizeof text_msg,
		   "self-test: %d passed (%d with a warning%s%s), %d failed%s%s%s",
		   st->n[SELFTEST_PASS] + st->n[SELFTEST_WARN], st->n[SELFTEST_WARN],
		   st->warned->len ? ": " : "", st->warned->str, st->n[SELFTEST_FAIL],
		   st->failed->len ? " (" : "", st->failed->str, st->failed->len ? ")" : "");
	ev.start_ms = st->started_ms;
	ev.end_ms = MAX(clock_wall_ms(), st->started_ms);
	st->rt_seq = outbox_last_seq(st->outbox) + 1;
	envelope_stamp(&env, cfg->id, st->rt_seq);
	msg = message_event(&env, &ev);
	text = cJSON_PrintUnformatted(msg);
	topic_format(topic, MSG_EVENT, cfg->id);
	rc = outbox_put(st->outbox, st->rt_seq, OUTBOX_ALERT, topic, text, strlen(text));
	if (rc == 0) {
		st->rt_sent_mono = clock_mono_ms();
		st->rt_sent_wall = clock_wall_ms();
		rc = mqtt_link_publish(st->link, topic, text, strlen(text), false);
	}
	cJSON_free(text);
	cJSON_Delete(msg);
	l.mark = SELFTEST_FAIL;
	if (rc) {
		g_snprintf(l.fact, sizeof l.fact, "cannot send the selftest event: %s",
			   g_strerror(-rc));
		st->rt_seq = 0;
	} else if (wait_until(rt_settled, st, st->rt_sent_mono + timeout) && st->rt_acked) {
		l.mark = SELFTEST_PASS;
		g_snprintf(l.fact, sizeof l.fact,
			   "a selftest event (seq %lld) archived and acknowledged by the centre in "
			   "%lld ms",
			   (long long)st->rt_seq, (long long)st->rt_rtt_ms);
	} else {
		g_snprintf(l.fact, sizeof l.fact,
			   "the broker took the selftest event (seq %lld), but the centre did not "
			   "acknowledge it in %lld s%s",
			   (long long)st->rt_seq, (long long)(timeout / 1000),
			   mqtt_link_connected(st->link) ? "" : " (the connection dropped)");
		g_snprintf(
		    l.hint, sizeof l.hint,
		    "the centre's bk-collector may be down: call the centre; the event stays "
		    "in the outbox and is sent when bk-edge runs");
	}
	print_line(st, &l);
}

static void check_centre_clock(struct selftest *st)
{
	struct selftest_line l;

	if (st->rt_acked) {
		selftest_judge_offset(st->rt_offset_ms, st->rt_rtt_ms, st->centre_synced, &l);
	} else {
		line_set(&l, SELFTEST_SKIP, "clock vs centre");
		g_snprintf(l.fact, sizeof l.fact, "not measured: no answer from the centre");
	}
	print_line(st, &l);
}

static void report_commands(struct selftest *st)
{
	struct selftest_line l;

	if (!st->commands->len)
		return;
	line_set(&l, SELFTEST_WARN, "commands");
	g_snprintf(l.fact, sizeof l.fact,
		   "arrived from the centre during the self-test and were not carried out: %s",
		   st->commands->str);
	g_snprintf(l.hint, sizeof l.hint, "ask the centre to send them again once bk-edge runs");
	print_line(st, &l);
}

/* --- the run --------------------------------------------------------- */

int selftest_run(const char *config_path, const struct edge_config *cfg)
{
	struct selftest st = { .cfg = cfg, .config_path = config_path };
	struct selftest_line l;
	bool cert_ok, connected;
	int status;

	printf("bk-edge %s self-test of '%s'\n", BK_VERSION, config_path);
	st.failed = g_string_new(NULL);
	st.warned = g_string_new(NULL);
	st.commands = g_string_new(NULL);
	if (!cfg) {
		line_set(&l, SELFTEST_FAIL, "config");
		g_snprintf(l.fact, sizeof l.fact,
			   "'%s' is not valid: the problems are listed above", config_path);
		g_snprintf(l.hint, sizeof l.hint,
			   "fix each problem, then check the file again: bk-edge -t -c %s",
			   config_path);
		print_line(&st, &l);
		summary(&st);
		status = 2;
		goto out;
	}
	/* the checklist says what went wrong; the log only for whoever asks */
	log_init("bk-edge", cfg->log_level == LOG_DEBUG ? LOG_DEBUG : LOG_ERROR);
	st.started_ms = clock_wall_ms();
	st.kf = g_key_file_new();
	g_key_file_load_from_file(st.kf, config_path, G_KEY_FILE_NONE, NULL);
	st.tick = g_timeout_add(50, on_tick, NULL);
	check_config(&st);
	check_clock(&st);
	if (!check_disk(&st)) {
		status = summary(&st);
		goto out;
	}
	if (cfg->cameras->len)
		check_cameras(&st);
	for (guint i = 0; i < cfg->sensors->len; i++)
		check_sensor(&st, g_ptr_array_index(cfg->sensors, i));
	cert_ok = check_certificate(&st);
	connected = check_brokers(&st, cert_ok);
	check_round_trip(&st, connected);
	check_centre_clock(&st);
	report_commands(&st);
	status = summary(&st);
out:
	mqtt_link_free(st.link, 1000);
	outbox_close(st.outbox);
	state_lock_release(st.lock);
	if (st.tick)
		g_source_remove(st.tick);
	if (st.kf)
		g_key_file_free(st.kf);
	g_string_free(st.failed, TRUE);
	g_string_free(st.warned, TRUE);
	g_string_free(st.commands, TRUE);
	return status;
}
