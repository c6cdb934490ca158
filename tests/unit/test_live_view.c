/* Unit tests: the collector's live viewings (cloud/collector/live_view.h)
 * with a recording box and archive (ops), fed the real H.264 fMP4 fixture
 * (tests/fixtures/fmp4/h264.mp4: init, then 11 fragments): what is asked
 * of the box and when (leases, renewals, live_stop with the last viewer, an
 * init asked for again), refusals with reasons, the box's refusal reaching
 * the viewer, the audit trail, time limits and a silent box, garbage. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "live_view.h"
#include "log.h"
#include "topic.h"

#define BOX "box-a"
#define CAM "cam1"

static uint8_t *file;
static size_t off[64], len[64];
static int nchunks;

static uint32_t be32(const uint8_t *q)
{
	return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
}

/* ftyp+moov together, moof+mdat together */
static int load(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t size, pos = 0;

	if (!f)
		return -1;
	file = malloc(1 << 20);
	size = fread(file, 1, 1 << 20, f);
	fclose(f);
	while (pos + 8 <= size && nchunks < 64) {
		size_t n = be32(file + pos);
		uint32_t t = be32(file + pos + 4);

		if (t == be32((const uint8_t *)"ftyp") || t == be32((const uint8_t *)"moof"))
			n += be32(file + pos + n);
		else /* mp4mux's closing mfra: not live video */
			break;
		off[nchunks] = pos;
		len[nchunks++] = n;
		pos += n;
	}
	return nchunks > 8 ? 0 : -1;
}

struct cmd {
	enum cmd_action action;
	char camera[64];
	int lease_s;
};

struct audit {
	char who[64], box[64], camera[64], why[256];
	int64_t bytes;
	bool ended;
};

struct fixture {
	struct live_settings cfg;
	struct live_view *lv;
	GMainLoop *loop;
	struct cmd cmds[64];
	int ncmds;
	struct audit audits[16];
	int naudits;
	const char *unavailable;
	int wakes;
};

static int send_cmd(void *ctx, const struct cmd_info *c)
{
	struct fixture *f = ctx;
	struct cmd *x = &f->cmds[f->ncmds++];

	assert_true(f->ncmds < 64);
	assert_string_equal(c->box, BOX);
	assert_non_null(c->cmd_id);
	x->action = c->action;
	g_strlcpy(x->camera, c->camera, sizeof x->camera);
	x->lease_s = c->lease_s;
	return 0;
}

static const char *unavailable(void *ctx, const char *box, const char *camera, char *buf, size_t n)
{
	struct fixture *f = ctx;

	(void)box;
	(void)camera;
	if (!f->unavailable)
		return NULL;
	g_strlcpy(buf, f->unavailable, n);
	return buf;
}

static int64_t audit_begin(void *ctx, const char *who, const char *box, const char *camera,
			   int64_t wall_ms)
{
	struct fixture *f = ctx;
	struct audit *a = &f->audits[f->naudits++];

	(void)wall_ms;
	g_strlcpy(a->who, who, sizeof a->who);
	g_strlcpy(a->box, box, sizeof a->box);
	g_strlcpy(a->camera, camera, sizeof a->camera);
	return f->naudits; /* ids from 1 */
}

static void audit_end(void *ctx, int64_t id, int64_t wall_ms, int64_t bytes, const char *why)
{
	struct fixture *f = ctx;
	struct audit *a = &f->audits[id - 1];

	(void)wall_ms;
	assert_false(a->ended);
	a->ended = true;
	a->bytes = bytes;
	g_strlcpy(a->why, why ? why : "", sizeof a->why);
}

static const struct live_view_ops ops = { send_cmd, unavailable, audit_begin, audit_end };

static void wake(void *ctx)
{
	((struct fixture *)ctx)->wakes++;
}

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);

	f->cfg = (struct live_settings){ .max_viewers = 4, .max_length_ms = 600000 };
	f->lv = live_view_new(&f->cfg, "svc-c", &ops, f);
	f->loop = g_main_loop_new(NULL, FALSE);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	live_view_free(f->lv);
	g_main_loop_unref(f->loop);
	g_free(f);
	return 0;
}

static void feed(struct fixture *f, int i)
{
	live_view_chunk(f->lv, BOX, CAM, file + off[i], len[i]);
}

/* Everything w has queued now: bytes, and whether it ended (why). */
static size_t drain(struct live_watch *w, bool *ended, const char **why)
{
	uint8_t buf[4096];
	size_t n, total = 0;

	*ended = false;
	while ((n = live_watch_read(w, buf, sizeof buf, ended, why)) > 0)
		total += n;
	return total;
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

static void test_two_viewers_one_request(void **state)
{
	struct fixture *f = *state;
	struct live_watch *a, *b;
	char why[256];
	const char *end;
	bool ended;

	assert_int_equal(live_view_watch(f->lv, "reg-a", BOX, CAM, wake, f, &a, why, sizeof why), 0);
	assert_int_equal(f->ncmds, 1);
	assert_int_equal(f->cmds[0].action, CMD_LIVE);
	assert_string_equal(f->cmds[0].camera, CAM);
	assert_int_equal(f->cmds[0].lease_s, LIVE_VIEW_LEASE_S);
	assert_int_equal(live_view_watch(f->lv, "reg-b", BOX, CAM, wake, f, &b, why, sizeof why), 0);
	assert_int_equal(f->ncmds, 1); /* the second joins what is coming */
	assert_int_equal(live_view_viewers(f->lv), 2);
	assert_int_equal(live_view_streams(f->lv), 1);
	assert_null(live_watch_codec(a));
	assert_int_equal(drain(a, &ended, &end), 0); /* nothing yet: woken when there is */
	assert_false(ended);
	for (int i = 0; i < nchunks; i++)
		feed(f, i);
	assert_true(g_str_has_prefix(live_watch_codec(a), "avc1."));
	assert_true(f->wakes > 0);
	assert_int_equal(drain(a, &ended, &end), len[0] + off[nchunks - 1] + len[nchunks - 1] - off[1]);
	assert_false(ended);
	assert_true(drain(b, &ended, &end) > len[0]);
	live_watch_leave(a);
	assert_int_equal(f->ncmds, 1); /* b still watches */
	live_watch_leave(b);
	assert_int_equal(f->ncmds, 2);
	assert_int_equal(f->cmds[1].action, CMD_LIVE_STOP);
	assert_int_equal(live_view_streams(f->lv), 0);
	assert_int_equal(f->naudits, 2);
	assert_string_equal(f->audits[0].who, "reg-a");
	assert_true(f->audits[0].ended && f->audits[1].ended);
	assert_true(f->audits[0].bytes > 10000);
	assert_string_equal(f->audits[1].why, "the viewer left");
	assert_int_equal(live_view_counters(f->lv)->chunks, nchunks);
}

static void test_refusals_audited(void **state)
{
	struct fixture *f = *state;
	struct live_watch *w[4], *x;
	char why[256];

	f->unavailable = "camera 'cam1' of box-a is offline: the box cannot reach it";
	assert_int_equal(live_view_watch(f->lv, "reg-a", BOX, CAM, wake, f, &x, why, sizeof why),
			 -EHOSTUNREACH);
	assert_null(x);
	assert_string_equal(why, f->unavailable);
	assert_int_equal(f->ncmds, 0); /* the box is not even asked */
	assert_int_equal(f->naudits, 1);
	assert_true(f->audits[0].ended);
	assert_string_equal(f->audits[0].why, f->unavailable);
	f->unavailable = NULL;
	for (int i = 0; i < 4; i++)
		assert_int_equal(
		    live_view_watch(f->lv, "reg-a", BOX, CAM, wake, f, &w[i], why, sizeof why), 0);
	assert_int_equal(live_view_watch(f->lv, "reg-e", BOX, CAM, wake, f, &x, why, sizeof why),
			 -EBUSY);
	assert_string_equal(why, "this collector relays 4 live viewings already (its limit, [live] "
				 "max_viewers = 4)");
	assert_int_equal(live_view_counters(f->lv)->refused, 2);
	for (int i = 0; i < 4; i++)
		live_watch_leave(w[i]);
}

static void test_box_refuses(void **state)
{
	struct fixture *f = *state;
	struct live_watch *w;
	struct message m = { .kind = MSG_LIVE };
	char why[256];
	const char *end;
	bool ended;

	assert_int_equal(live_view_watch(f->lv, "reg-a", BOX, CAM, wake, f, &w, why, sizeof why), 0);
	m.u.live.camera = CAM;
	m.u.live.state = LIVE_REFUSED;
	m.u.live.why = "box-a streams 1 camera live already (its limit, [live] max_streams = 1)";
	live_view_answer(f->lv, BOX, &m);
	assert_int_equal(drain(w, &ended, &end), 0);
	assert_true(ended);
	assert_string_equal(end, m.u.live.why);
	run_for(f, 1200); /* no renewal for a stream the box refused */
	assert_int_equal(f->ncmds, 1);
	live_watch_leave(w);
	assert_string_equal(f->audits[0].why, m.u.live.why);
	assert_int_equal(f->audits[0].bytes, 0);
}

static void test_garbage_and_lost_init(void **state)
{
	struct fixture *f = *state;
	struct live_watch *w;
	char why[256];
	static const uint8_t junk[] = "\0\0\0\x10moofgarbage!!";

	assert_int_equal(live_view_watch(f->lv, "reg-a", BOX, CAM, wake, f, &w, why, sizeof why), 0);
	live_view_chunk(f->lv, BOX, CAM, junk, sizeof junk - 1);
	assert_int_equal(live_view_counters(f->lv)->rejected, 1);
	/* a fragment before any init (the box streamed already for another
	 * collector): the box is asked again, which brings its init */
	feed(f, 1);
	assert_int_equal(f->ncmds, 2);
	assert_int_equal(f->cmds[1].action, CMD_LIVE);
	feed(f, 2);
	assert_int_equal(f->ncmds, 2); /* not more than once in 2 s */
	/* video of a camera nobody here watches is dropped, silently */
	live_view_chunk(f->lv, BOX, "cam2", file + off[0], len[0]);
	assert_int_equal(live_view_counters(f->lv)->chunks, 0);
	live_watch_leave(w);
}

/* Renewals every third of the lease; a box that sends nothing within
 * LIVE_VIEW_ANSWER_S, or stops sending; the viewing time limit. */
static void test_timers(void **state)
{
	struct fixture *f = *state;
	struct live_watch *mute, *silent, *limited;
	char why[256];
	const char *end;
	bool ended;

	f->cfg.max_length_ms = 2000;
	assert_int_equal(
	    live_view_watch(f->lv, "reg-a", BOX, CAM, wake, f, &limited, why, sizeof why), 0);
	for (int i = 0; i < 4; i++)
		feed(f, i);
	assert_true(drain(limited, &ended, &end) > 0);
	run_for(f, 3500); /* the checks run once a second */
	assert_int_equal(drain(limited, &ended, &end), 0);
	assert_true(ended);
	assert_string_equal(end, "the viewing time limit ([live] max_length = 2 s)");
	live_watch_leave(limited);
	f->cfg.max_length_ms = 600000;
	assert_int_equal(
	    live_view_watch(f->lv, "reg-a", BOX, "mute", wake, f, &mute, why, sizeof why), 0);
	assert_int_equal(
	    live_view_watch(f->lv, "reg-b", BOX, CAM, wake, f, &silent, why, sizeof why), 0);
	feed(f, 0); /* the same init again: nothing new for the stream */
	for (int i = 4; i < 6; i++)
		feed(f, i);
	assert_true(drain(silent, &ended, &end) > 0);
	run_for(f, (LIVE_VIEW_ANSWER_S + 2) * 1000);
	drain(mute, &ended, &end);
	assert_true(ended);
	assert_string_equal(end, "box-a sent no video within 10 s");
	drain(silent, &ended, &end);
	assert_true(ended);
	assert_string_equal(end, "box-a sent no video for 10 s");
	/* leases renewed meanwhile: a live command per stream every 10 s */
	int renewals = 0;
	for (int i = 0; i < f->ncmds; i++)
		renewals += f->cmds[i].action == CMD_LIVE;
	assert_true(renewals >= 4);
	live_watch_leave(mute);
	live_watch_leave(silent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_two_viewers_one_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_audited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_box_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_and_lost_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timers, setup, teardown),
	};
	int rc;

	log_init("test_live_view", LOG_ERROR);
	if (load("tests/fixtures/fmp4/h264.mp4") != 0) {
		fprintf(stderr, "cannot load tests/fixtures/fmp4/h264.mp4 (run from the repository root)\n");
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(file);
	return rc;
}
