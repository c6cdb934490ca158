/*
 * Unit tests: the detections interface. detection_parse field by field
 * (every refusal names its field), then end to end: detections_new on a
 * socket in the scratch directory, a plain socket() client, and the GLib
 * main loop iterated until the answers arrive.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "unit_tmpdir.h"

#include "clock.h"
#include "detections.h"

/* 2026-11-25T08:00:00.000Z */
#define NOW INT64_C(1795593600000)

static const char *const cams[] = { "cam1", "cam-2", "kitchen.3", NULL };

/* Parse line as the socket would; the error in err. */
static bool parse(const char *line, struct detection_parsed *p, char *err, size_t errlen)
{
	err[0] = '\0';
	return detection_parse(line, strlen(line), cams, NOW, p, err, errlen);
}

/* line must be refused with an error containing want. */
static void refused(const char *line, const char *want)
{
	struct detection_parsed p;
	char err[256];

	if (parse(line, &p, err, sizeof err))
		fail_msg("accepted: %s", line);
	if (!strstr(err, want))
		fail_msg("line %s\n  error '%s'\n  wanted '%s'", line, err, want);
	for (const char *s = err; *s; s++)
		assert_true(*s >= 0x20 && *s <= 0x7e);
}

static void test_parse_full(void **state)
{
	struct detection_parsed p;
	char err[256];
	int64_t t;

	(void)state;
	assert_true(parse("{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":0.93,"
			  "\"time\":\"2026-11-25T08:01:02.345Z\",\"detector\":\"hik-ai\","
			  "\"ref\":\"evt 88812 / 后厨\"}",
			  &p, err, sizeof err));
	assert_string_equal(p.d.type, "no_mask");
	assert_ptr_equal(p.d.camera, cams[0]); /* points into the caller's list */
	assert_true(p.d.confidence == 0.93);
	assert_true(clock_parse_ts("2026-11-25T08:01:02.345Z", &t));
	assert_int_equal(p.d.t_ms, t);
	assert_string_equal(p.d.detector, "hik-ai");
	assert_string_equal(p.d.ref, "evt 88812 / 后厨");
}

static void test_parse_minimal(void **state)
{
	struct detection_parsed p;
	char err[256];

	(void)state;
	assert_true(parse(" { \"confidence\" : 0, \"camera\":\"kitchen.3\" ,\"type\":\"motion\"}\t",
			  &p, err, sizeof err));
	assert_string_equal(p.d.type, "motion");
	assert_string_equal(p.d.camera, "kitchen.3");
	assert_true(p.d.confidence == 0);
	assert_int_equal(p.d.t_ms, NOW); /* arrival */
	assert_null(p.d.detector);
	assert_null(p.d.ref);
	assert_true(parse("{\"type\":\"wet_floor\",\"camera\":\"cam-2\",\"confidence\":1}", &p, err,
			  sizeof err));
	assert_true(parse("{\"type\":\"rodent\",\"camera\":\"cam-2\",\"confidence\":1e0}", &p, err,
			  sizeof err));
	assert_true(parse("{\"type\":\"rodent\",\"camera\":\"cam-2\",\"confidence\":-0}", &p, err,
			  sizeof err));
}

static void test_parse_every_type(void **state)
{
	struct detection_parsed p;
	char line[256], err[256];
	int n = 0;

	(void)state;
	for (int i = 0; detection_types[i]; i++, n++) {
		snprintf(line, sizeof line,
			 "{\"type\":\"%s\",\"camera\":\"cam1\",\"confidence\":0.5}",
			 detection_types[i]);
		assert_true(parse(line, &p, err, sizeof err));
		assert_ptr_equal(p.d.type, detection_types[i]);
	}
	assert_int_equal(n, 11);
}

static void test_parse_type(void **state)
{
	(void)state;
	refused("{\"camera\":\"cam1\",\"confidence\":0.5}", "field 'type': missing");
	refused("{\"type\":\"no_hat\",\"camera\":\"cam1\",\"confidence\":0.5}",
		"field 'type': unknown value 'no_hat'");
	refused("{\"type\":\"NO_MASK\",\"camera\":\"cam1\",\"confidence\":0.5}", "field 'type'");
	refused("{\"type\":7,\"camera\":\"cam1\",\"confidence\":0.5}",
		"field 'type': expected a string");
	refused("{\"type\":null,\"camera\":\"cam1\",\"confidence\":0.5}", "field 'type'");
	refused("{\"type\":[\"no_mask\"],\"camera\":\"cam1\",\"confidence\":0.5}", "field 'type'");
	/* a newline inside a value never splits the answer line */
	refused("{\"type\":\"no\\nmask\",\"camera\":\"cam1\",\"confidence\":0.5}",
		"field 'type': unknown value 'no?mask'");
}

static void test_parse_camera(void **state)
{
	(void)state;
	refused("{\"type\":\"no_mask\",\"confidence\":0.5}", "field 'camera': missing");
	refused("{\"type\":\"no_mask\",\"camera\":\"cam9\",\"confidence\":0.5}",
		"field 'camera': unknown camera 'cam9'");
	refused("{\"type\":\"no_mask\",\"camera\":\"CAM1\",\"confidence\":0.5}",
		"field 'camera': unknown camera");
	refused("{\"type\":\"no_mask\",\"camera\":\"\",\"confidence\":0.5}",
		"field 'camera': unknown camera ''");
	refused("{\"type\":\"no_mask\",\"camera\":1,\"confidence\":0.5}",
		"field 'camera': expected a string");
	refused("{\"type\":\"no_mask\",\"camera\":\"cam1\\u0009\",\"confidence\":0.5}",
		"field 'camera': unknown camera 'cam1?'");
	refused("{\"type\":\"no_mask\",\"camera\":\"камера\",\"confidence\":0.5}",
		"field 'camera': unknown camera '???????????"
		"?'");
	refused("{\"type\":\"no_mask\",\"camera\":"
		"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaa\",\"confidence\":0.5}",
		"field 'camera': longer than 63 bytes");
}

static void test_parse_no_cameras(void **state)
{
	const char line[] = "{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":0.5}";
	const char *const none[] = { NULL };
	struct detection_parsed p;
	char err[256];

	(void)state;
	assert_false(detection_parse(line, strlen(line), NULL, NOW, &p, err, sizeof err));
	assert_non_null(strstr(err, "field 'camera': unknown camera"));
	assert_false(detection_parse(line, strlen(line), none, NOW, &p, err, sizeof err));
}

static void test_parse_confidence(void **state)
{
	(void)state;
	refused("{\"type\":\"no_mask\",\"camera\":\"cam1\"}", "field 'confidence': missing");
	refused("{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":1.5}",
		"field 'confidence': 1.5 is out of range [0, 1]");
	refused("{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":-0.01}",
		"field 'confidence': -0.01 is out of range");
	refused("{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":1e999}",
		"field 'confidence': inf is out of range");
	refused("{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":-1e999}",
		"field 'confidence': -inf is out of range");
	refused("{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":"
		"123456789012345678901234567890123456789012345678901234567890}",
		"field 'confidence'");
	refused("{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":\"0.9\"}",
		"field 'confidence': expected a number");
	refused("{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":true}",
		"field 'confidence': expected a number");
	refused("{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":null}",
		"field 'confidence': expected a number");
	refused("{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":NaN}", "malformed JSON");
	refused("{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":.5}", "malformed JSON");
}

static void test_parse_time(void **state)
{
	struct detection_parsed p;
	char err[256];

	(void)state;
	/* the window's edges: 1 h ahead, 24 h behind, inclusive */
	assert_true(parse("{\"type\":\"smoking\",\"camera\":\"cam1\",\"confidence\":0.7,"
			  "\"time\":\"2026-11-25T09:00:00.000Z\"}",
			  &p, err, sizeof err));
	assert_int_equal(p.d.t_ms, NOW + DETECTION_FUTURE_MS);
	assert_true(parse("{\"type\":\"smoking\",\"camera\":\"cam1\",\"confidence\":0.7,"
			  "\"time\":\"2026-11-24T08:00:00.000Z\"}",
			  &p, err, sizeof err));
	assert_int_equal(p.d.t_ms, NOW - DETECTION_PAST_MS);
	refused("{\"type\":\"smoking\",\"camera\":\"cam1\",\"confidence\":0.7,"
		"\"time\":\"2026-11-25T09:00:00.001Z\"}",
		"field 'time': 2026-11-25T09:00:00.001Z is 3600 s ahead of the box's clock, at "
		"most 3600 s allowed");
	refused("{\"type\":\"smoking\",\"camera\":\"cam1\",\"confidence\":0.7,"
		"\"time\":\"2026-11-24T07:59:59.999Z\"}",
		"field 'time': 2026-11-24T07:59:59.999Z is 86400 s behind the box's clock");
	refused("{\"type\":\"smoking\",\"camera\":\"cam1\",\"confidence\":0.7,"
		"\"time\":\"9999-12-31T23:59:59.999Z\"}",
		"field 'time'");
	refused("{\"type\":\"smoking\",\"camera\":\"cam1\",\"confidence\":0.7,"
		"\"time\":\"0000-01-01T00:00:00.000Z\"}",
		"behind the box's clock");
	refused("{\"type\":\"smoking\",\"camera\":\"cam1\",\"confidence\":0.7,"
		"\"time\":\"2026-11-25T08:00:00Z\"}",
		"field 'time': not a UTC timestamp");
	refused("{\"type\":\"smoking\",\"camera\":\"cam1\",\"confidence\":0.7,"
		"\"time\":\"2026-11-25T16:00:00.000+08:00\"}",
		"field 'time'");
	refused("{\"type\":\"smoking\",\"camera\":\"cam1\",\"confidence\":0.7,"
		"\"time\":1795593600000}",
		"field 'time': expected a string");
	refused("{\"type\":\"smoking\",\"camera\":\"cam1\",\"confidence\":0.7,"
		"\"time\":\"2026-02-30T08:00:00.000Z\"}",
		"field 'time'");
}

static void test_parse_detector_ref(void **state)
{
	const char long_id[] =
	    "hik-ai.0123456789012345678901234567890123456789012345678901234567890";
	struct detection_parsed p;
	char err[256], line[512];

	(void)state;
	refused("{\"type\":\"rodent\",\"camera\":\"cam1\",\"confidence\":0.7,\"detector\":\"-x\"}",
		"field 'detector': not a valid identifier");
	refused("{\"type\":\"rodent\",\"camera\":\"cam1\",\"confidence\":0.7,\"detector\":\"a b\"}",
		"field 'detector': not a valid identifier");
	refused("{\"type\":\"rodent\",\"camera\":\"cam1\",\"confidence\":0.7,\"detector\":\"\"}",
		"field 'detector'");
	refused("{\"type\":\"rodent\",\"camera\":\"cam1\",\"confidence\":0.7,\"detector\":null}",
		"field 'detector': expected a string");
	snprintf(
	    line, sizeof line,
	    "{\"type\":\"rodent\",\"camera\":\"cam1\",\"confidence\":0.7,\"detector\":\"%.63s\"}",
	    long_id);
	assert_true(parse(line, &p, err, sizeof err));
	assert_int_equal(strlen(p.d.detector), 63);
	snprintf(
	    line, sizeof line,
	    "{\"type\":\"rodent\",\"camera\":\"cam1\",\"confidence\":0.7,\"detector\":\"%.64s\"}",
	    long_id);
	refused(line, "field 'detector': longer than 63 bytes");

	refused("{\"type\":\"rodent\",\"camera\":\"cam1\",\"confidence\":0.7,\"ref\":\"\"}",
		"field 'ref': empty");
	refused("{\"type\":\"rodent\",\"camera\":\"cam1\",\"confidence\":0.7,\"ref\":\"a\\nb\"}",
		"field 'ref': control character or invalid UTF-8 at byte 1");
	refused("{\"type\":\"rodent\",\"camera\":\"cam1\",\"confidence\":0.7,\"ref\":\"a\\u007f\"}",
		"field 'ref': control character");
	refused("{\"type\":\"rodent\",\"camera\":\"cam1\",\"confidence\":0.7,\"ref\":\"a\\u0085\"}",
		"field 'ref': control character"); /* C1 NEL */
	refused("{\"type\":\"rodent\",\"camera\":\"cam1\",\"confidence\":0.7,\"ref\":\"ab\xff\"}",
		"field 'ref': control character or invalid UTF-8 at byte 2");
	refused("{\"type\":\"rodent\",\"camera\":\"cam1\",\"confidence\":0.7,\"ref\":\"\xc0\xaf\"}",
		"field 'ref'"); /* overlong '/' */
	refused(
	    "{\"type\":\"rodent\",\"camera\":\"cam1\",\"confidence\":0.7,\"ref\":\"\xed\xa0\x80\"}",
	    "field 'ref'"); /* a raw surrogate */
	refused("{\"type\":\"rodent\",\"camera\":\"cam1\",\"confidence\":0.7,\"ref\":\"\xe5\x90\"}",
		"field 'ref'"); /* truncated */
	refused("{\"type\":\"rodent\",\"camera\":\"cam1\",\"confidence\":0.7,\"ref\":\"\\ud800\"}",
		"malformed JSON"); /* a lone escaped surrogate */
	refused("{\"type\":\"rodent\",\"camera\":\"cam1\",\"confidence\":0.7,\"ref\":7}",
		"field 'ref': expected a string");
	/* escaped astral characters and raw ones are text */
	assert_true(parse("{\"type\":\"rodent\",\"camera\":\"cam1\",\"confidence\":0.7,"
			  "\"ref\":\"\\ud83d\\udc00 🐀 é\"}",
			  &p, err, sizeof err));
	assert_string_equal(p.d.ref, "\xf0\x9f\x90\x80 🐀 é");
	/* 128 bytes, then 129 */
	memset(line, 0, sizeof line);
	strcpy(line, "{\"type\":\"rodent\",\"camera\":\"cam1\",\"confidence\":0.7,\"ref\":\"");
	memset(line + strlen(line), 'r', 128);
	strcat(line, "\"}");
	assert_true(parse(line, &p, err, sizeof err));
	assert_int_equal(strlen(p.d.ref), 128);
	strcpy(strstr(line, "\"}"), "r\"}");
	refused(line, "field 'ref': longer than 128 bytes");
}

static void test_parse_shape(void **state)
{
	const char nul_line[] = "{\"type\":\"no_mask\",\"camera\":\"cam1\"\0,\"confidence\":0.5}";
	struct detection_parsed p;
	char err[256];
	char *big;

	(void)state;
	refused("{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":0.5,\"zone\":\"x\"}",
		"field 'zone': not allowed here");
	refused(
	    "{\"type\":\"no_mask\",\"type\":\"smoking\",\"camera\":\"cam1\",\"confidence\":0.5}",
	    "field 'type': duplicate key");
	refused("{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":0.5,\"confidence\":0.9}",
		"field 'confidence': duplicate key");
	refused("{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":0.5,\"Type\":\"x\"}",
		"field 'Type': not allowed here");
	refused("", "malformed JSON at byte 0");
	refused("   ", "malformed JSON");
	refused("[]", "line is not a JSON object");
	refused("\"no_mask\"", "line is not a JSON object");
	refused("null", "line is not a JSON object");
	refused("{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":0.5} {}",
		"malformed JSON");
	refused("{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":0.5", "malformed JSON");
	refused("{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":0.5,}", "malformed JSON");
	refused("{'type':'no_mask'}", "malformed JSON at byte");
	/* NUL bytes: raw, and escaped (cJSON would cut the string there) */
	assert_false(
	    detection_parse(nul_line, sizeof nul_line - 1, cams, NOW, &p, err, sizeof err));
	assert_string_equal(err, "line contains a NUL byte at byte 33");
	refused("{\"type\":\"no_mask\",\"camera\":\"cam1\\u0000x\",\"confidence\":0.5}",
		"line contains an escaped NUL (\\u0000) at byte 32");
	refused("{\"type\\u0000x\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":0.5}",
		"escaped NUL");
	/* an escaped backslash then "u0000" is text: an unknown camera, no NUL */
	refused("{\"type\":\"no_mask\",\"camera\":\"c\\\\u0000\",\"confidence\":0.5}",
		"field 'camera': unknown camera 'c\\u0000'");
	/* deep nesting stops at cJSON's limit, not the stack */
	big = g_strnfill(DETECTION_LINE_MAX, '[');
	assert_false(detection_parse(big, DETECTION_LINE_MAX, cams, NOW, &p, err, sizeof err));
	assert_non_null(strstr(err, "malformed JSON"));
	g_free(big);
	big = g_strnfill(DETECTION_LINE_MAX + 1, ' ');
	assert_false(detection_parse(big, DETECTION_LINE_MAX + 1, cams, NOW, &p, err, sizeof err));
	assert_string_equal(err, "line longer than 4096 bytes");
	g_free(big);
	/* a short err buffer is cut, never overrun */
	assert_false(detection_parse("[]", 2, cams, NOW, &p, err, 8));
	assert_string_equal(err, "line is");
}

static void test_parse_line_max(void **state)
{
	const char body[] = "{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":0.5}";
	char line[DETECTION_LINE_MAX];
	struct detection_parsed p;
	char err[256];

	(void)state;
	memset(line, ' ', sizeof line);
	memcpy(line, body, strlen(body));
	assert_true(detection_parse(line, sizeof line, cams, NOW, &p, err, sizeof err));
}

/* ---- end to end --------------------------------------------------------- */

struct seen {
	int n;
	char type[32], camera[64], detector[64], ref[160];
	double confidence;
	int64_t t_ms;
};

static void on_detection(void *ctx, const struct detection *d)
{
	struct seen *s = ctx;

	s->n++;
	snprintf(s->type, sizeof s->type, "%s", d->type);
	snprintf(s->camera, sizeof s->camera, "%s", d->camera);
	snprintf(s->detector, sizeof s->detector, "%s", d->detector ? d->detector : "(none)");
	snprintf(s->ref, sizeof s->ref, "%s", d->ref ? d->ref : "(none)");
	s->confidence = d->confidence;
	s->t_ms = d->t_ms;
}

static const char *sock_path(const char *name)
{
	static char path[256];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static int connect_to(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
	return fd;
}

/* Send everything, running the main loop while the socket is full. */
static void send_all(int fd, const char *data, size_t len)
{
	int64_t deadline = clock_mono_ms() + 5000;

	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			assert_true(clock_mono_ms() < deadline);
			g_main_context_iteration(NULL, FALSE);
			continue;
		}
		assert_true(n > 0);
		data += n;
		len -= (size_t)n;
	}
}

/* Run the main loop until n answer lines (or end of stream) came from fd,
 * 5 s at most; the answers, '\n'-separated (caller frees). *eof: the box
 * closed the connection. */
static char *answers(int fd, int n, bool *eof)
{
	GString *got = g_string_new(NULL);
	int64_t deadline = clock_mono_ms() + 5000;
	int lines = 0;

	*eof = false;
	while (lines < n && !*eof && clock_mono_ms() < deadline) {
		char buf[4096];
		ssize_t r;

		g_main_context_iteration(NULL, FALSE);
		r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (r > 0) {
			g_string_append_len(got, buf, r);
			lines = 0;
			for (size_t i = 0; i < got->len; i++)
				lines += got->str[i] == '\n';
		} else if (r == 0) {
			*eof = true;
		} else {
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
			g_usleep(1000);
		}
	}
	return g_string_free(got, FALSE);
}

/* Send text, expect exactly want back (and the connection open). */
static void exchange(int fd, const char *text, size_t len, const char *want)
{
	int n = 0;
	bool eof;
	char *got;

	for (const char *s = want; *s; s++)
		n += *s == '\n';
	send_all(fd, text, len);
	got = answers(fd, n, &eof);
	assert_string_equal(got, want);
	assert_false(eof);
	g_free(got);
}

#define EXCHANGE(fd, text, want) exchange(fd, text, strlen(text), want)

static void test_socket_lines(void **state)
{
	struct detections_config cfg = { (char *)sock_path("det.sock"), 0.5 };
	const struct detection_counters *k;
	struct seen seen = { 0 };
	struct detections *d;
	struct stat st;
	int64_t before = clock_wall_ms();
	char *big, ts[CLOCK_TS_LEN], text[256];
	const char *line;
	int fd;

	(void)state;
	d = detections_new(&cfg, cams, on_detection, &seen);
	assert_non_null(d);
	assert_int_equal(stat(cfg.socket, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	k = detections_counters(d);
	fd = connect_to(cfg.socket);

	clock_format_ms(before - 2000, ts);
	snprintf(text, sizeof text,
		 "{\"type\":\"no_mask\",\"camera\":\"cam1\",\"confidence\":0.93,\"time\":\"%s\","
		 "\"detector\":\"hik-ai\",\"ref\":\"evt-1\"}\n",
		 ts);
	EXCHANGE(fd, text, "ok 1\n");
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.type, "no_mask");
	assert_string_equal(seen.camera, "cam1");
	assert_string_equal(seen.detector, "hik-ai");
	assert_string_equal(seen.ref, "evt-1");
	assert_true(seen.confidence == 0.93);
	assert_int_equal(seen.t_ms, before - 2000);

	/* refusals keep the connection; CRLF is fine; no time means now */
	EXCHANGE(fd,
		 "{\"type\":\"no_mask\",\"camera\":\"cam9\",\"confidence\":0.9}\n"
		 "not json\n"
		 "\n"
		 "{\"type\":\"smoking\",\"camera\":\"cam-2\",\"confidence\":0.8}\r\n",
		 "error: field 'camera': unknown camera 'cam9'\n"
		 "error: malformed JSON at byte 0\n"
		 "error: malformed JSON at byte 0\n"
		 "ok 2\n");
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.type, "smoking");
	assert_string_equal(seen.detector, "(none)");
	assert_true(seen.t_ms >= before && seen.t_ms <= clock_wall_ms());

	/* below min_confidence: answered, not handed on */
	EXCHANGE(fd, "{\"type\":\"phone_use\",\"camera\":\"cam1\",\"confidence\":0.31}\n",
		 "ignored: confidence 0.31 below 0.50\n");
	EXCHANGE(fd, "{\"type\":\"phone_use\",\"camera\":\"cam1\",\"confidence\":0.4999}\n",
		 "ignored: confidence 0.4999 below 0.5000\n");
	assert_int_equal(seen.n, 2);

	/* a NUL byte inside a line */
	exchange(fd, "{\"type\":\"rodent\"\0}\n", 19,
		 "error: line contains a NUL byte at byte 16\n");

	/* an over-long line, sent in pieces: one answer, then the next line works */
	big = g_strnfill(3000, 'x');
	send_all(fd, big, 3000);
	send_all(fd, big, 3000);
	g_free(big);
	EXCHANGE(fd, "xxx\n{\"type\":\"rodent\",\"camera\":\"kitchen.3\",\"confidence\":0.6}\n",
		 "error: line longer than 4096 bytes\nok 3\n");

	/* exactly DETECTION_LINE_MAX bytes (+ '\n') is fine */
	big = g_malloc(DETECTION_LINE_MAX + 1);
	memset(big, ' ', DETECTION_LINE_MAX);
	line = "{\"type\":\"stranger\",\"camera\":\"cam1\",\"confidence\":0.99}";
	memcpy(big, line, strlen(line));
	big[DETECTION_LINE_MAX] = '\n';
	exchange(fd, big, DETECTION_LINE_MAX + 1, "ok 4\n");
	/* one more byte is too long */
	big[DETECTION_LINE_MAX] = ' ';
	send_all(fd, big, DETECTION_LINE_MAX + 1);
	g_free(big);
	EXCHANGE(fd, "\n", "error: line longer than 4096 bytes\n");

	assert_int_equal(k->lines, 12);
	assert_int_equal(k->accepted, 4);
	assert_int_equal(k->ignored, 2);
	assert_int_equal(k->rejected, 6);
	assert_int_equal(k->too_long, 2);
	assert_int_equal(k->clients, 1);
	close(fd);
	detections_free(d);
	assert_int_equal(stat(cfg.socket, &st), -1); /* removed */
}

static void test_socket_pipelined(void **state)
{
	struct detections_config cfg = { (char *)sock_path("pipe.sock"), 0.5 };
	struct seen seen = { 0 };
	struct detections *d;
	GString *text = g_string_new(NULL), *want = g_string_new(NULL);
	int fd;

	(void)state;
	d = detections_new(&cfg, cams, on_detection, &seen);
	assert_non_null(d);
	fd = connect_to(cfg.socket);
	/* 2000 lines in one go, good and bad mixed: answers in order */
	for (int i = 1; i <= 2000; i++) {
		if (i % 3 == 0) {
			g_string_append(text, "{\"type\":\"bin_overflow\"}\n");
			g_string_append(want, "error: field 'camera': missing\n");
		} else {
			g_string_append_printf(text,
					       "{\"type\":\"bin_overflow\",\"camera\":\"cam1\","
					       "\"confidence\":0.9,\"ref\":\"n%d\"}\n",
					       i);
			g_string_append_printf(want, "ok %d\n", i - i / 3);
		}
	}
	exchange(fd, text->str, text->len, want->str);
	assert_int_equal(seen.n, 1334);
	assert_string_equal(seen.ref, "n2000");
	g_string_free(text, TRUE);
	g_string_free(want, TRUE);
	close(fd);
	detections_free(d);
}

/* A client that writes and does not read: the box stops reading it rather
 * than buffer answers without end, and goes on once it reads again. */
static void test_socket_backpressure(void **state)
{
	struct detections_config cfg = { (char *)sock_path("slow.sock"), 0.5 };
	const char answer[] = "error: field 'type': missing\n";
	const int n = 40000;
	struct seen seen = { 0 };
	struct detections *d;
	GString *text = g_string_new(NULL), *got = g_string_new(NULL);
	int64_t deadline = clock_mono_ms() + 20000, idle_since = clock_mono_ms();
	size_t sent = 0, want_len = (size_t)n * strlen(answer);
	bool stalled = false;
	int fd;

	(void)state;
	d = detections_new(&cfg, cams, on_detection, &seen);
	assert_non_null(d);
	fd = connect_to(cfg.socket);
	for (int i = 0; i < n; i++)
		g_string_append(text, "{}\n");
	while (got->len < want_len && clock_mono_ms() < deadline) {
		ssize_t r = 0;
		char buf[65536];

		if (sent < text->len) {
			r = send(fd, text->str + sent, text->len - sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (r > 0) {
				sent += (size_t)r;
				idle_since = clock_mono_ms();
			}
		}
		g_main_context_iteration(NULL, FALSE);
		/* read only once writing has been stuck a while */
		if (!stalled && clock_mono_ms() - idle_since < 300)
			continue;
		stalled = true;
		r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (r > 0)
			g_string_append_len(got, buf, r);
		else
			g_usleep(500);
	}
	assert_true(stalled);
	assert_int_equal(sent, text->len);
	assert_int_equal(got->len, want_len);
	for (size_t i = 0; i < got->len; i += strlen(answer))
		assert_memory_equal(got->str + i, answer, strlen(answer));
	assert_int_equal(detections_counters(d)->rejected, n);
	EXCHANGE(fd, "{\"type\":\"motion\",\"camera\":\"cam1\",\"confidence\":0.5}\n", "ok 1\n");
	g_string_free(text, TRUE);
	g_string_free(got, TRUE);
	close(fd);
	detections_free(d);
}

static void test_socket_clients(void **state)
{
	struct detections_config cfg = { (char *)sock_path("clients.sock"), 0.5 };
	struct seen seen = { 0 };
	struct detections *d;
	const char *line;
	int a, b, c;
	bool eof;
	char *got;

	(void)state;
	d = detections_new(&cfg, cams, on_detection, &seen);
	assert_non_null(d);
	detections_set_limits(d, 2, 300);
	a = connect_to(cfg.socket);
	b = connect_to(cfg.socket);
	EXCHANGE(a, "{\"type\":\"no_chef_hat\",\"camera\":\"cam1\",\"confidence\":0.9}\n",
		 "ok 1\n");
	EXCHANGE(b, "{\"type\":\"no_chef_hat\",\"camera\":\"cam1\",\"confidence\":0.9}\n",
		 "ok 2\n");
	c = connect_to(cfg.socket); /* the third: told why, and closed */
	got = answers(c, 1, &eof);
	assert_string_equal(got, "error: too many clients (2)\n");
	g_free(got);
	got = answers(c, 2, &eof);
	assert_true(eof);
	g_free(got);
	close(c);
	assert_int_equal(detections_counters(d)->clients_refused, 1);

	/* silent clients are closed after the idle time */
	got = answers(a, 1, &eof);
	assert_true(eof);
	assert_string_equal(got, "");
	g_free(got);
	got = answers(b, 1, &eof);
	assert_true(eof);
	g_free(got);
	assert_int_equal(detections_counters(d)->clients_idle, 2);
	close(a);
	close(b);

	/* half-closed with an unterminated last line: answered, then closed */
	a = connect_to(cfg.socket);
	line = "{\"type\":\"unattended_flame\",\"camera\":\"cam-2\",\"confidence\":0.7}";
	send_all(a, line, strlen(line));
	shutdown(a, SHUT_WR);
	got = answers(a, 2, &eof);
	assert_string_equal(got, "ok 3\n");
	assert_true(eof);
	g_free(got);
	close(a);

	/* a client that goes away mid-line costs nothing */
	a = connect_to(cfg.socket);
	send_all(a, "{\"type\":", 8);
	close(a);
	for (int i = 0; i < 50; i++)
		g_main_context_iteration(NULL, FALSE);
	assert_int_equal(seen.n, 3);
	detections_free(d);
}

static void test_socket_setup(void **state)
{
	struct detections_config cfg = { (char *)sock_path("stale.sock"), 0.5 };
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct seen seen = { 0 };
	struct detections *d, *d2;
	int fd;

	(void)state;
	/* a stale socket (its listener gone) is replaced */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(addr.sun_path, sizeof addr.sun_path, "%s", cfg.socket);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
	close(fd);
	d = detections_new(&cfg, cams, on_detection, &seen);
	assert_non_null(d);
	/* a live one is not */
	assert_null(detections_new(&cfg, cams, on_detection, &seen));
	fd = connect_to(cfg.socket); /* and still works */
	EXCHANGE(fd, "{\"type\":\"wet_floor\",\"camera\":\"cam1\",\"confidence\":0.9}\n", "ok 1\n");
	close(fd);
	detections_free(d);

	/* anything else at the path is left alone */
	cfg.socket = (char *)tmpdir_write("not-a-socket", "keep me\n");
	assert_null(detections_new(&cfg, cams, on_detection, &seen));
	assert_int_equal(access(cfg.socket, F_OK), 0);
	cfg.socket = (char *)sock_path("no/such/dir/x.sock");
	assert_null(detections_new(&cfg, cams, on_detection, &seen));
	cfg.socket = g_strnfill(200, 'p');
	assert_null(detections_new(&cfg, cams, on_detection, &seen));
	g_free(cfg.socket);

	/* disabled: a valid object that listens nowhere */
	cfg.socket = NULL;
	d = detections_new(&cfg, cams, on_detection, &seen);
	assert_non_null(d);
	assert_int_equal(detections_counters(d)->lines, 0);
	detections_free(d);
	cfg.socket = "";
	d2 = detections_new(&cfg, NULL, NULL, NULL);
	assert_non_null(d2);
	detections_free(d2);
	detections_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_parse_minimal),
		cmocka_unit_test(test_parse_every_type),
		cmocka_unit_test(test_parse_type),
		cmocka_unit_test(test_parse_camera),
		cmocka_unit_test(test_parse_no_cameras),
		cmocka_unit_test(test_parse_confidence),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_parse_detector_ref),
		cmocka_unit_test(test_parse_shape),
		cmocka_unit_test(test_parse_line_max),
		cmocka_unit_test(test_socket_lines),
		cmocka_unit_test(test_socket_pipelined),
		cmocka_unit_test(test_socket_backpressure),
		cmocka_unit_test(test_socket_clients),
		cmocka_unit_test(test_socket_setup),
	};

	log_init("test_detections", LOG_ERROR);
	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
