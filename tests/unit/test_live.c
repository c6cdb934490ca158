/*
 * Unit tests: live view (edge/live.c). The test pattern and the fake RTSP
 * camera (tests/tools/fake-camera, beside this program's build, on a free
 * port of 127.0.0.1) are streamed for a few seconds on the main loop;
 * every chunk is checked to be whole boxes (the init segment first, then
 * moof + mdat) and their concatenation is read back by gst-discoverer-1.0.
 * The unreachable cameras are a refused connection and a socket that
 * never answers, both on 127.0.0.1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "unit_tmpdir.h"

#include "edge_config.h"
#include "live.h"

struct capture {
	GMainLoop *loop;
	guint deadline;	 /* run_for's timeout, or 0 */
	GByteArray *all; /* every chunk, concatenated */
	int chunks, keys, deltas;
	int free_after; /* > 0: free the stream in this chunk's callback */
	bool freed;
	bool ended;
	char why[512];
	int64_t ended_us;
	char problem[256]; /* the first malformed chunk, or "" */
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The top-level box types of data, "ftyp,moov" style, into out; false
 * when the sizes do not add up to len exactly. */
static bool box_types(const uint8_t *data, size_t len, char *out, size_t outlen)
{
	size_t off = 0;

	out[0] = '\0';
	while (off + 8 <= len) {
		uint64_t size = be32(data + off);

		if (size == 1 && off + 16 <= len)
			size = (uint64_t)be32(data + off + 8) << 32 | be32(data + off + 12);
		if (size < 8 || off + size > len)
			return false;
		if (strlen(out) + 6 < outlen) {
			if (out[0])
				strcat(out, ",");
			strncat(out, (const char *)data + off + 4, 4);
		}
		off += size;
	}
	return off == len;
}

static void on_chunk(void *ctx, struct live_stream *ls, enum live_chunk_kind kind,
		     const uint8_t *data, size_t len)
{
	struct capture *c = ctx;
	char types[128];

	assert_false(c->freed);
	assert_false(c->ended);
	if (!box_types(data, len, types, sizeof types) && !c->problem[0])
		snprintf(c->problem, sizeof c->problem, "chunk %d: not whole boxes", c->chunks);
	if (c->chunks == 0) {
		if ((kind != LIVE_CHUNK_INIT || strcmp(types, "ftyp,moov")) && !c->problem[0])
			snprintf(c->problem, sizeof c->problem, "first chunk: kind %d, boxes %s",
				 kind, types);
	} else {
		if ((kind == LIVE_CHUNK_INIT || strcmp(types, "moof,mdat")) && !c->problem[0])
			snprintf(c->problem, sizeof c->problem, "chunk %d: kind %d, boxes %s",
				 c->chunks, kind, types);
		if (c->chunks == 1 && kind != LIVE_CHUNK_KEY && !c->problem[0])
			snprintf(c->problem, sizeof c->problem,
				 "the first fragment does not start with a key frame");
		c->keys += kind == LIVE_CHUNK_KEY;
		c->deltas += kind == LIVE_CHUNK_DELTA;
	}
	g_byte_array_append(c->all, data, (guint)len);
	c->chunks++;
	if (c->free_after && c->chunks == c->free_after) {
		live_stream_free(ls);
		c->freed = true;
	}
}

static void on_end(void *ctx, struct live_stream *ls, const char *why)
{
	struct capture *c = ctx;

	(void)ls;
	assert_false(c->freed);
	assert_false(c->ended);
	c->ended = true;
	c->ended_us = g_get_monotonic_time();
	snprintf(c->why, sizeof c->why, "%s", why);
	g_main_loop_quit(c->loop);
}

static gboolean on_deadline(gpointer data)
{
	struct capture *c = data;

	c->deadline = 0;
	g_main_loop_quit(c->loop);
	return G_SOURCE_REMOVE;
}

/* Run the main loop for ms, or until the stream ends. */
static void run_for(struct capture *c, int ms)
{
	c->deadline = g_timeout_add((guint)ms, on_deadline, c);
	g_main_loop_run(c->loop);
	if (c->deadline) /* quit early by on_end */
		g_source_remove(c->deadline);
	c->deadline = 0;
}

static void capture_init(struct capture *c)
{
	memset(c, 0, sizeof *c);
	c->loop = g_main_loop_new(NULL, FALSE);
	c->all = g_byte_array_new();
}

static void capture_release(struct capture *c)
{
	g_main_loop_unref(c->loop);
	g_byte_array_unref(c->all);
}

/* gst-discoverer-1.0's report of the concatenated chunks. */
static char *discover(const struct capture *c, const char *name)
{
	char path[512], *cmd, *out = NULL;
	int status = -1;

	snprintf(path, sizeof path, "%s/%s.mp4", dir, name);
	assert_true(g_file_set_contents(path, (const char *)c->all->data, c->all->len, NULL));
	cmd = g_strdup_printf("gst-discoverer-1.0 %s", path);
	assert_true(g_spawn_command_line_sync(cmd, &out, NULL, &status, NULL));
	g_free(cmd);
	return out;
}

static void assert_h264(const struct capture *c, const char *name, int w, int h)
{
	char *report = discover(c, name), want_w[32], want_h[32];
	const uint8_t *avcc = memmem(c->all->data, MIN(c->all->len, 4096), "avcC", 4);

	/* a profile browsers decode: Baseline, Main or High (4:2:0 8-bit) */
	assert_non_null(avcc);
	if (avcc[5] != 66 && avcc[5] != 77 && avcc[5] != 100)
		fail_msg("%s: H.264 profile_idc %d", name, avcc[5]);

	snprintf(want_w, sizeof want_w, "Width: %d\n", w);
	snprintf(want_h, sizeof want_h, "Height: %d\n", h);
	if (!strstr(report, "video #") || !strstr(report, "H.264") || !strstr(report, want_w) ||
	    !strstr(report, want_h))
		fail_msg("gst-discoverer-1.0 on %s, wanted H.264 %dx%d:\n%s", name, w, h, report);
	g_free(report);
}

/* Wait (up to 10 s) for the init segment, stream ms more and check every
 * chunk: the start-up (an RTSP session, a decoder) is not counted. */
static void stream_and_check(struct capture *c, struct live_stream *ls, int ms)
{
	for (int i = 0; i < 100 && !c->chunks && !c->ended; i++)
		run_for(c, 100);
	assert_true(c->chunks > 0 || c->ended);
	c->keys = c->deltas = 0;
	if (!c->ended)
		run_for(c, ms);
	if (c->ended)
		fail_msg("the stream ended: %s", c->why);
	if (c->problem[0])
		fail_msg("%s", c->problem);
	assert_int_equal(live_stream_bytes(ls), c->all->len);
	/* a fragment at least every 500 ms, a key frame every second */
	if (c->keys + c->deltas < ms / 1000 * 2 - 1 || c->keys < ms / 1000 - 1)
		fail_msg("in %d ms: %d fragments, %d with a key frame", ms, c->keys + c->deltas,
			 c->keys);
}

static void test_live_test_pattern(void **state)
{
	struct camera_config cc = { .id = "demo", .kind = CAMERA_TEST };
	struct live_options o = { .fragment_ms = 500 };
	struct capture c;
	struct live_stream *ls;
	char err[256] = "";

	(void)state;
	capture_init(&c);
	ls = live_stream_new(&cc, &o, on_chunk, on_end, &c, err, sizeof err);
	if (!ls)
		fail_msg("live_stream_new: %s", err);
	stream_and_check(&c, ls, 3000);
	assert_false(live_stream_transcoding(ls));
	live_stream_free(ls);
	/* a key frame a second (15 frames): fragments of 7, 7 and 1 frames */
	assert_true(c.deltas >= c.keys);
	assert_h264(&c, "pattern", 640, 360);
	capture_release(&c);
}

static void test_live_free_in_callback(void **state)
{
	struct camera_config cc = { .id = "demo", .kind = CAMERA_TEST };
	struct capture c;
	struct live_stream *ls;
	char err[256] = "";

	(void)state;
	capture_init(&c);
	c.free_after = 2; /* the first fragment */
	ls = live_stream_new(&cc, NULL, on_chunk, on_end, &c, err, sizeof err);
	if (!ls)
		fail_msg("live_stream_new: %s", err);
	run_for(&c, 2000);
	assert_true(c.freed);
	assert_int_equal(c.chunks, 2); /* nothing after the free */
	assert_false(c.ended);
	capture_release(&c);
}

/* --- the fake camera --------------------------------------------------- */

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t n = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &n), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* The fake camera built beside this program ($BUILD/tests/tools/). */
static char *fake_camera_path(void)
{
	char *self = g_file_read_link("/proc/self/exe", NULL);
	char *d = self ? g_path_get_dirname(self) : g_strdup(".");
	char *path = g_build_filename(d, "tools", "fake-camera", NULL);

	g_free(self);
	g_free(d);
	return path;
}

struct camera_proc {
	GPid pid;
	char uri[128];
};

/* The camera running, for the teardown when a test fails midway (the
 * test's own struct is gone with its stack by then); 0: none. */
static GPid running;

/* Start fake-camera serving codec; wait for its "listening on" line. */
static void camera_start(struct camera_proc *p, const char *codec)
{
	char *path = fake_camera_path(), port[16], line[256] = "";
	char *argv[] = { path, "--port", port, "--codec", (char *)codec, NULL };
	/* under make asan the tool's encoders' own leaks are not this test's */
	char **env = g_environ_setenv(g_get_environ(), "ASAN_OPTIONS", "detect_leaks=0", TRUE);
	struct pollfd pfd;
	int out;
	size_t n = 0;

	snprintf(port, sizeof port, "%d", free_port());
	if (!g_file_test(path, G_FILE_TEST_IS_EXECUTABLE))
		fail_msg("no fake camera at %s (make tests/tools/fake-camera)", path);
	assert_true(g_spawn_async_with_pipes(NULL, argv, env, G_SPAWN_DEFAULT, NULL, NULL, &p->pid,
					     NULL, &out, NULL, NULL));
	g_strfreev(env);
	pfd.fd = out;
	pfd.events = POLLIN;
	while (n < sizeof line - 1 && !strchr(line, '\n') && poll(&pfd, 1, 5000) == 1) {
		ssize_t r = read(out, line + n, sizeof line - 1 - n);

		if (r <= 0)
			break;
		n += (size_t)r;
		line[n] = '\0';
	}
	close(out);
	g_free(path);
	running = p->pid;
	if (!g_str_has_prefix(line, "listening on "))
		fail_msg("fake-camera did not start: '%s'", line);
	snprintf(p->uri, sizeof p->uri, "%.*s", (int)strcspn(line + 13, "\n"), line + 13);
}

static void kill_camera(GPid pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	g_spawn_close_pid(pid);
	running = 0;
}

static void camera_stop(struct camera_proc *p)
{
	kill_camera(p->pid);
}

static int stop_camera(void **state)
{
	(void)state;
	if (running)
		kill_camera(running);
	return 0;
}

static void test_live_rtsp_h264_passthrough(void **state)
{
	struct camera_proc cam;
	struct camera_config cc = { .id = "rtsp264", .kind = CAMERA_RTSP };
	struct live_options o = { .transcode_width = 320, .fragment_ms = 500 };
	struct capture c;
	struct live_stream *ls;
	char err[256] = "";

	(void)state;
	camera_start(&cam, "h264");
	cc.uri = cam.uri;
	capture_init(&c);
	ls = live_stream_new(&cc, &o, on_chunk, on_end, &c, err, sizeof err);
	if (!ls)
		fail_msg("live_stream_new: %s", err);
	stream_and_check(&c, ls, 3000);
	assert_false(live_stream_transcoding(ls));
	live_stream_free(ls);
	camera_stop(&cam);
	assert_h264(&c, "h264", 640, 360); /* as served: passed through */
	capture_release(&c);
}

static void test_live_rtsp_h265_transcoded(void **state)
{
	struct camera_proc cam;
	struct camera_config cc = { .id = "cam265", .kind = CAMERA_V4L2, .uri = "/dev/video9" };
	struct live_options o = { .transcode_width = 320, .transcode_kbps = 300 };
	struct capture c;
	struct live_stream *ls;
	char err[256] = "";

	(void)state;
	/* a V4L2 camera with an RTSP live_source: streamed from there */
	camera_start(&cam, "h265");
	cc.live_source = cam.uri;
	capture_init(&c);
	ls = live_stream_new(&cc, &o, on_chunk, on_end, &c, err, sizeof err);
	if (!ls)
		fail_msg("live_stream_new: %s", err);
	stream_and_check(&c, ls, 3000);
	assert_true(live_stream_transcoding(ls));
	live_stream_free(ls);
	camera_stop(&cam);
	assert_h264(&c, "h265", 320, 180);
	capture_release(&c);
}

static void test_live_camera_lost(void **state)
{
	struct camera_proc cam;
	struct camera_config cc = { .id = "lost", .kind = CAMERA_RTSP };
	struct live_options o = { .connect_timeout_ms = 2000 };
	struct capture c;
	struct live_stream *ls;
	char err[256] = "";
	int64_t t0;
	int chunks;

	(void)state;
	camera_start(&cam, "h264");
	cc.uri = cam.uri;
	capture_init(&c);
	ls = live_stream_new(&cc, &o, on_chunk, on_end, &c, err, sizeof err);
	if (!ls)
		fail_msg("live_stream_new: %s", err);
	stream_and_check(&c, ls, 1000);
	camera_stop(&cam);
	t0 = g_get_monotonic_time();
	run_for(&c, 5000);
	chunks = c.chunks;
	assert_true(c.ended);
	assert_true(c.ended_us - t0 < 3000 * 1000); /* the connect timeout at most */
	assert_true(c.why[0] != '\0');
	run_for(&c, 300); /* nothing after end */
	assert_int_equal(c.chunks, chunks);
	live_stream_free(ls);
	capture_release(&c);
}

static void test_live_unreachable(void **state)
{
	struct camera_config cc = { .id = "gone", .kind = CAMERA_RTSP };
	struct live_options o = { .connect_timeout_ms = 3000 };
	struct capture c;
	struct live_stream *ls;
	char err[256] = "", uri[128];
	int64_t t0;

	(void)state;
	/* refused at once; the password never shows */
	snprintf(uri, sizeof uri, "rtsp://admin:s3cr3t@127.0.0.1:%d/x", free_port());
	cc.uri = uri;
	capture_init(&c);
	t0 = g_get_monotonic_time();
	ls = live_stream_new(&cc, &o, on_chunk, on_end, &c, err, sizeof err);
	if (!ls)
		fail_msg("live_stream_new: %s", err);
	assert_false(c.ended); /* never from inside live_stream_new */
	run_for(&c, 5000);
	assert_true(c.ended);
	assert_true(c.ended_us - t0 < 3500 * 1000);
	assert_int_equal(c.chunks, 0);
	if (!g_str_has_prefix(c.why, "camera unreachable: ") || strstr(c.why, "s3cr3t"))
		fail_msg("why: %s", c.why);
	live_stream_free(ls);
	capture_release(&c);
}

static void test_live_no_answer(void **state)
{
	struct camera_config cc = { .id = "mute", .kind = CAMERA_RTSP };
	struct live_options o = { .connect_timeout_ms = 1000 };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t n = sizeof a;
	struct capture c;
	struct live_stream *ls;
	char err[256] = "", uri[128];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int64_t t0;

	(void)state;
	/* the kernel accepts the connection; nobody ever answers */
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &n), 0);
	snprintf(uri, sizeof uri, "rtsp://127.0.0.1:%d/x", ntohs(a.sin_port));
	cc.uri = uri;
	capture_init(&c);
	t0 = g_get_monotonic_time();
	ls = live_stream_new(&cc, &o, on_chunk, on_end, &c, err, sizeof err);
	if (!ls)
		fail_msg("live_stream_new: %s", err);
	run_for(&c, 4000);
	assert_true(c.ended);
	assert_true(c.ended_us - t0 >= 1000 * 1000);
	assert_true(c.ended_us - t0 < 2000 * 1000);
	if (!g_str_has_prefix(c.why, "camera unreachable: "))
		fail_msg("why: %s", c.why);
	live_stream_free(ls);
	close(fd);
	capture_release(&c);
}

static void test_live_v4l2_refused(void **state)
{
	struct camera_config cc = { .id = "usb", .kind = CAMERA_V4L2, .uri = "/dev/video0" };
	struct capture c;
	char err[256] = "";

	(void)state;
	capture_init(&c);
	assert_null(live_stream_new(&cc, NULL, on_chunk, on_end, &c, err, sizeof err));
	if (!strstr(err, "live_source"))
		fail_msg("err: %s", err);
	capture_release(&c);
	live_stream_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_v4l2_refused),
		cmocka_unit_test(test_live_test_pattern),
		cmocka_unit_test(test_live_free_in_callback),
		cmocka_unit_test_teardown(test_live_rtsp_h264_passthrough, stop_camera),
		cmocka_unit_test_teardown(test_live_rtsp_h265_transcoded, stop_camera),
		cmocka_unit_test_teardown(test_live_camera_lost, stop_camera),
		cmocka_unit_test(test_live_unreachable),
		cmocka_unit_test(test_live_no_answer),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
