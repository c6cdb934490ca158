/*
 * test_live_sessions — the box's live view sessions (edge/live_sessions.c)
 * on real test-pattern cameras (edge/live.c, GStreamer): leases shared by
 * requesters, the limit of streams, refusals with reasons, lease expiry,
 * the time limit, and the bandwidth cap dropping up to a key frame.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <gst/gst.h>

#include "edge_config.h"
#include "fmp4.h"
#include "live_sessions.h"
#include "log.h"

struct answer {
	char camera[64];
	enum live_state state;
	char why[512];
	char codec[32];
	int streams;
};

struct fixture {
	struct edge_config cfg;
	struct camera_config cams[3];
	GMainLoop *loop;
	struct answer answers[32];
	int n_answers;
	int chunks, inits, keys_after_gap;
	bool gap; /* a fragment was dropped: the next one sent must be a key */
	bool bad_order;
	const char *unavailable; /* what camera_unavailable says, NULL: available */
	int fail_sends;		 /* make this many sends fail */
	struct fmp4_init init;
};

static int send_chunk(void *ctx, const char *camera, const uint8_t *data, size_t len)
{
	struct fixture *f = ctx;
	struct fmp4_init init;
	struct fmp4_info info;
	char err[200];

	(void)camera;
	if (f->fail_sends > 0) {
		f->fail_sends--;
		f->gap = true;
		return -ENOTCONN;
	}
	if (!fmp4_inspect(data, len, f->inits ? &f->init : NULL, &init, &info, err, sizeof err))
		fail_msg("the box sent a chunk that is not fragmented MP4: %s", err);
	if (info.kind == FMP4_INIT) {
		f->init = init;
		f->inits++;
		return 0;
	}
	if (!f->inits)
		f->bad_order = true;
	if (f->gap) {
		if (!info.key)
			f->bad_order = true; /* after a drop, only a key fragment may follow */
		f->keys_after_gap++;
		f->gap = false;
	}
	f->chunks++;
	return 0;
}

static void send_state(void *ctx, const struct live_info *li)
{
	struct fixture *f = ctx;
	struct answer *a;

	assert_true(f->n_answers < (int)G_N_ELEMENTS(f->answers));
	a = &f->answers[f->n_answers++];
	g_strlcpy(a->camera, li->camera, sizeof a->camera);
	a->state = li->state;
	g_strlcpy(a->why, li->why ? li->why : "", sizeof a->why);
	g_strlcpy(a->codec, li->codec ? li->codec : "", sizeof a->codec);
	a->streams = li->streams;
}

static const char *camera_unavailable(void *ctx, const struct camera_config *cc, char *buf,
				      size_t n)
{
	struct fixture *f = ctx;

	(void)cc;
	if (!f->unavailable)
		return NULL;
	g_strlcpy(buf, f->unavailable, n);
	return buf;
}

static const struct live_sessions_ops ops = { send_chunk, send_state, camera_unavailable };

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	static const char *const ids[] = { "cam1", "cam2", "cam3" };

	f->cfg.id = "box-t";
	f->cfg.cameras = g_ptr_array_new();
	for (int i = 0; i < 3; i++) {
		f->cams[i] = (struct camera_config){ .id = (char *)ids[i], .kind = CAMERA_TEST };
		g_ptr_array_add(f->cfg.cameras, &f->cams[i]);
	}
	f->cfg.live = (struct live_config){ .max_streams = 2,
					    .max_kbps = 100000,
					    .max_length_ms = 600000,
					    .transcode_width = 320,
					    .transcode_kbps = 300 };
	f->loop = g_main_loop_new(NULL, FALSE);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	g_ptr_array_free(f->cfg.cameras, TRUE);
	g_main_loop_unref(f->loop);
	g_free(f);
	return 0;
}

static gboolean quit(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

static void run_for(struct fixture *f, int ms)
{
	g_timeout_add(ms, quit, f->loop);
	g_main_loop_run(f->loop);
}

static const struct answer *last(const struct fixture *f)
{
	assert_true(f->n_answers > 0);
	return &f->answers[f->n_answers - 1];
}

static void test_shared_stream_and_limit(void **state)
{
	struct fixture *f = *state;
	struct live_sessions *s = live_sessions_new(&f->cfg, &ops, f);

	live_sessions_want(s, "svc-a", "cam1", 30);
	assert_int_equal(last(f)->state, LIVE_STARTING);
	assert_int_equal(last(f)->streams, 1);
	run_for(f, 2500);
	assert_int_equal(f->inits, 1);
	assert_true(f->chunks >= 3);
	assert_false(f->bad_order);

	/* a second requester shares the stream: an answer, no second stream */
	live_sessions_want(s, "svc-b", "cam1", 30);
	assert_int_equal(last(f)->state, LIVE_STARTING);
	assert_string_equal(last(f)->codec, "h264");
	assert_int_equal(live_sessions_count(s), 1);
	/* a renewal is silent */
	int n = f->n_answers;
	live_sessions_want(s, "svc-a", "cam1", 30);
	assert_int_equal(f->n_answers, n);

	live_sessions_want(s, "svc-a", "cam2", 30);
	assert_int_equal(live_sessions_count(s), 2);
	live_sessions_want(s, "svc-a", "cam3", 30);
	assert_int_equal(last(f)->state, LIVE_REFUSED);
	assert_string_equal(last(f)->why,
			    "box-t streams 2 cameras live already (its limit, [live] max_streams = 2)");
	assert_int_equal(live_sessions_count(s), 2);

	/* both requesters leave cam1: it ends, the other stays */
	live_sessions_unwant(s, "svc-a", "cam1");
	assert_int_equal(live_sessions_count(s), 2);
	live_sessions_unwant(s, "svc-b", "cam1");
	assert_int_equal(live_sessions_count(s), 1);
	assert_int_equal(last(f)->state, LIVE_ENDED);
	assert_string_equal(last(f)->camera, "cam1");
	assert_string_equal(last(f)->why, "no one watches any more");
	assert_int_equal(live_sessions_counters(s)->started, 2);
	assert_int_equal(live_sessions_counters(s)->refused, 1);
	live_sessions_free(s);
	assert_int_equal(last(f)->state, LIVE_ENDED);
	assert_string_equal(last(f)->why, "the box is stopping");
}

static void test_refusals(void **state)
{
	struct fixture *f = *state;
	struct live_sessions *s;

	s = live_sessions_new(&f->cfg, &ops, f);
	live_sessions_want(s, "svc-a", "nope", 30);
	assert_int_equal(last(f)->state, LIVE_REFUSED);
	assert_string_equal(last(f)->why, "no camera 'nope' on this box");
	f->unavailable = "offline (no frames for 10 s)";
	live_sessions_want(s, "svc-a", "cam1", 30);
	assert_string_equal(last(f)->why, "camera 'cam1' is offline (no frames for 10 s)");
	f->unavailable = NULL;
	f->cams[2].kind = CAMERA_V4L2;
	f->cams[2].uri = "/dev/video0";
	live_sessions_want(s, "svc-a", "cam3", 30);
	assert_int_equal(last(f)->state, LIVE_REFUSED);
	assert_non_null(strstr(last(f)->why, "camera 'cam3' cannot stream live: "));
	assert_int_equal(live_sessions_count(s), 0);
	live_sessions_free(s);

	f->cfg.live.max_streams = 0;
	s = live_sessions_new(&f->cfg, &ops, f);
	live_sessions_want(s, "svc-a", "cam1", 30);
	assert_string_equal(last(f)->why, "live view is off on box-t ([live] max_streams = 0)");
	live_sessions_free(s);
}

static void test_lease_and_time_limit(void **state)
{
	struct fixture *f = *state;
	struct live_sessions *s;

	s = live_sessions_new(&f->cfg, &ops, f);
	live_sessions_want(s, "svc-a", "cam1", 1); /* below the protocol's minimum: a test */
	run_for(f, 2600);
	assert_int_equal(live_sessions_count(s), 0);
	assert_int_equal(last(f)->state, LIVE_ENDED);
	assert_string_equal(last(f)->why, "no one watches any more (no lease renewed)");
	live_sessions_free(s);

	f->cfg.live.max_length_ms = 1500;
	s = live_sessions_new(&f->cfg, &ops, f);
	live_sessions_want(s, "svc-a", "cam1", 60);
	run_for(f, 1200);
	live_sessions_want(s, "svc-a", "cam1", 60); /* renewed: the limit still holds */
	run_for(f, 1800);
	assert_int_equal(live_sessions_count(s), 0);
	assert_string_equal(last(f)->why, "the box's time limit ([live] max_length = 1 s)");
	live_sessions_free(s);
}

static void test_bandwidth_cap(void **state)
{
	struct fixture *f = *state;
	struct live_sessions *s;
	const struct live_sessions_counters *n;

	/* the uncapped rate of the test pattern, then a third of it as the cap */
	s = live_sessions_new(&f->cfg, &ops, f);
	live_sessions_want(s, "svc-a", "cam1", 60);
	run_for(f, 3000);
	n = live_sessions_counters(s);
	int64_t kbps = (int64_t)n->bytes_sent * 8 / 3 / 1000;
	print_message("# uncapped: %lld kbit/s, %llu dropped\n", (long long)kbps,
		      (unsigned long long)n->chunks_dropped_cap);
	assert_int_equal(n->chunks_dropped_cap, 0);
	live_sessions_free(s);

	f->cfg.live.max_kbps = kbps / 3;
	f->inits = f->chunks = 0;
	s = live_sessions_new(&f->cfg, &ops, f);
	live_sessions_want(s, "svc-a", "cam1", 60);
	run_for(f, 4000);
	n = live_sessions_counters(s);
	print_message("# cap %lld kbit/s: %llu bytes sent in 4 s, %d fragments, %llu dropped\n",
		      (long long)f->cfg.live.max_kbps, (unsigned long long)n->bytes_sent, f->chunks,
		      (unsigned long long)n->chunks_dropped_cap);
	assert_true(n->chunks_dropped_cap > 0);
	assert_true(f->chunks > 0);
	/* two seconds saved up plus four at the rate, the init segment aside */
	assert_true(n->bytes_sent <= (uint64_t)(f->cfg.live.max_kbps * 1000 / 8 * 6 + 4096));
	assert_false(f->bad_order);
	live_sessions_free(s);

	/* sends that fail (link down) also restart at a key fragment */
	f->cfg.live.max_kbps = 100000;
	f->inits = f->chunks = 0;
	s = live_sessions_new(&f->cfg, &ops, f);
	live_sessions_want(s, "svc-a", "cam1", 60);
	run_for(f, 1500);
	f->fail_sends = 2;
	run_for(f, 3000);
	assert_true(live_sessions_counters(s)->chunks_dropped_link >= 2);
	assert_true(f->keys_after_gap >= 1);
	assert_false(f->bad_order);
	live_sessions_free(s);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shared_stream_and_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_and_time_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bandwidth_cap, setup, teardown),
	};

	gst_init(&argc, &argv);
	log_init("test_live_sessions", LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
