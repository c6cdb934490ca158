/*
 * bench_live — what live view costs the box: CPU of this process per
 * second of video, passing the fake camera's H.264 through against
 * transcoding its H.265 to H.264 (edge/live.c, the box's own code).
 *
 *   bench_live FAKE_CAMERA [SECONDS [WIDTHxHEIGHT [TRANSCODE_WIDTH]]]
 *
 * Starts FAKE_CAMERA (tests/tools/fake-camera) twice on free loopback
 * ports, --codec h264 and --codec h265, at WIDTHxHEIGHT (default
 * 1280x720, 15/s, 2000 kbit/s: a camera's main stream), streams each live
 * for SECONDS (default 10) from the first key frame on, transcoding to
 * TRANSCODE_WIDTH (default 640) at 500 kbit/s, and measures user + system
 * CPU of this process (getrusage; the cameras' encoders are their own
 * processes and do not count). Prints key=value lines for a table:
 *   mode=passthrough seconds=10.0 cpu_s=0.08 cpu_per_s=0.008 kbit_s=1990
 *   mode=transcode seconds=10.0 cpu_s=4.10 cpu_per_s=0.410 kbit_s=498
 *   ratio=51.3
 * cpu_per_s is CPU seconds per second of video (1.0 = one core). Exit 1
 * when a stream fails. Not a test: it measures (tests/unit/test_live.c
 * checks behaviour).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "edge_config.h"
#include "live.h"

struct run {
	GMainLoop *loop;
	int64_t seconds;
	bool measuring, ended;
	char why[256];
	int64_t t0_us, t1_us, bytes;
	double cpu0, cpu1;
};

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static void on_chunk(void *ctx, struct live_stream *ls, enum live_chunk_kind kind,
		     const uint8_t *data, size_t len)
{
	struct run *r = ctx;
	int64_t now = g_get_monotonic_time();

	(void)ls, (void)data;
	if (!r->measuring && kind == LIVE_CHUNK_KEY) {
		r->measuring = true;
		r->t0_us = now;
		r->cpu0 = cpu_s();
		return;
	}
	if (!r->measuring)
		return;
	r->bytes += (int64_t)len;
	if (now - r->t0_us >= r->seconds * 1000000) {
		r->t1_us = now;
		r->cpu1 = cpu_s();
		g_main_loop_quit(r->loop);
	}
}

static void on_end(void *ctx, struct live_stream *ls, const char *why)
{
	struct run *r = ctx;

	(void)ls;
	r->ended = true;
	snprintf(r->why, sizeof r->why, "%s", why);
	g_main_loop_quit(r->loop);
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t n = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &n) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Start the fake camera; its URI into uri, or false. */
static bool camera_start(const char *tool, const char *codec, int w, int h, GPid *pid, char *uri,
			 size_t urilen)
{
	char port[16], ws[16], hs[16], line[256] = "";
	char *argv[] = { (char *)tool, "--port",   port, "--codec",   (char *)codec, "--width",
			 ws,	       "--height", hs,	 "--bitrate", "2000",	     NULL };
	struct pollfd pfd;
	size_t n = 0;
	int out;

	snprintf(port, sizeof port, "%d", free_port());
	snprintf(ws, sizeof ws, "%d", w);
	snprintf(hs, sizeof hs, "%d", h);
	if (!g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, pid, NULL,
				      &out, NULL, NULL))
		return false;
	pfd.fd = out;
	pfd.events = POLLIN;
	while (n < sizeof line - 1 && !strchr(line, '\n') && poll(&pfd, 1, 5000) == 1) {
		ssize_t got = read(out, line + n, sizeof line - 1 - n);

		if (got <= 0)
			break;
		n += (size_t)got;
		line[n] = '\0';
	}
	close(out);
	if (!g_str_has_prefix(line, "listening on "))
		return false;
	snprintf(uri, urilen, "%.*s", (int)strcspn(line + 13, "\n"), line + 13);
	return true;
}

static bool measure(const char *tool, const char *codec, int w, int h, int tw, int64_t seconds,
		    struct run *r)
{
	struct camera_config cc = { .id = (char *)codec, .kind = CAMERA_RTSP };
	struct live_options o = { .transcode_width = tw, .transcode_kbps = 500 };
	struct live_stream *ls;
	char uri[128], err[256];
	GPid pid;
	bool ok;

	memset(r, 0, sizeof *r);
	r->seconds = seconds;
	r->loop = g_main_loop_new(NULL, FALSE);
	if (!camera_start(tool, codec, w, h, &pid, uri, sizeof uri)) {
		fprintf(stderr, "bench_live: cannot start %s --codec %s\n", tool, codec);
		g_main_loop_unref(r->loop);
		return false;
	}
	cc.uri = uri;
	ls = live_stream_new(&cc, &o, on_chunk, on_end, r, err, sizeof err);
	if (ls) {
		g_main_loop_run(r->loop);
		live_stream_free(ls);
	} else {
		snprintf(r->why, sizeof r->why, "%s", err);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	g_spawn_close_pid(pid);
	g_main_loop_unref(r->loop);
	ok = ls && !r->ended && r->t1_us > r->t0_us;
	if (!ok)
		fprintf(stderr, "bench_live: %s stream failed: %s\n", codec, r->why);
	return ok;
}

int main(int argc, char **argv)
{
	int64_t seconds = argc > 2 ? atoll(argv[2]) : 10;
	int w = 1280, h = 720, tw = argc > 4 ? atoi(argv[4]) : 640;
	struct run pass, trans;
	double ps, ts, pc, tc;

	if (argc < 2 || seconds < 1 || tw < 16 ||
	    (argc > 3 && sscanf(argv[3], "%dx%d", &w, &h) != 2)) {
		fprintf(stderr, "usage: bench_live FAKE_CAMERA [SECONDS [WIDTHxHEIGHT "
				"[TRANSCODE_WIDTH]]]\n");
		return 2;
	}
	log_init("bench_live", LOG_WARN);
	if (!measure(argv[1], "h264", w, h, tw, seconds, &pass) ||
	    !measure(argv[1], "h265", w, h, tw, seconds, &trans))
		return 1;
	ps = (double)(pass.t1_us - pass.t0_us) / 1e6;
	ts = (double)(trans.t1_us - trans.t0_us) / 1e6;
	pc = (pass.cpu1 - pass.cpu0) / ps;
	tc = (trans.cpu1 - trans.cpu0) / ts;
	printf("camera=%dx%d transcode_width=%d\n", w, h, tw);
	printf("mode=passthrough seconds=%.1f cpu_s=%.3f cpu_per_s=%.4f kbit_s=%.0f\n", ps,
	       pass.cpu1 - pass.cpu0, pc, (double)pass.bytes * 8 / 1000 / ps);
	printf("mode=transcode seconds=%.1f cpu_s=%.3f cpu_per_s=%.4f kbit_s=%.0f\n", ts,
	       trans.cpu1 - trans.cpu0, tc, (double)trans.bytes * 8 / 1000 / ts);
	printf("ratio=%.1f\n", pc > 0 ? tc / pc : 0.0);
	return 0;
}
